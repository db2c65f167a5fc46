/*
** eval.c -- SPEC section 4: one subject's answer at an as-of time.
**
** Input: the indices of all the subject's events, in any order.  Output: the
** score, grade, balance, ceiling, flags, dimension subtotals, group and (on
** request) the record items.  The steps follow SPEC 4 literally:
**   1. keep events with ts <= T and sort them by (ts, id bytewise);
**   2. revokes remove their targets (rule events or redeems of the subject
**      with ts <= T); 3. repairs end rule events at the earliest repair;
**   4. fold in order: raw, repeat escalation, own and shared caps per local
**      period, end of effect, the balance per balance period with redeems;
**   5-9. score with final or running clamp and the lowest ceiling in effect,
**      grade, flags, dimensions, group.
** The answer depends only on the set of events: the sort makes arrival order
** irrelevant and (ts, id) is a total order because ids are unique.
** Scratch arrays per rule and per cap are reset lazily with a stamp so that
** evaluating many subjects costs nothing per rule.
**
** It does not lock (its callers hold the read lock), find a subject's
** events (query.c hands them over) or copy anything out (query.c and
** record.c do); calendar questions go to time.c, raw points to event.c.
** Invariant: nothing outside one subject's events is read except the
** targets of its revokes and repairs, to check that they are the subject's.
*/
#include "internal.h"

#include <stdlib.h>
#include <string.h>

int civic__eval_init(civic_eval *ev, const civic_engine *e, int64_t as_of, bool want_items)
{
    const civic_rules *r = e->rules;
    memset(ev, 0, sizeof(*ev));
    ev->e = e;
    ev->r = r;
    ev->as_of = as_of;
    ev->want_items = want_items;
    size_t nr = r->rule_count ? r->rule_count : 1, nc = r->cap_count ? r->cap_count : 1;
    const civic_allocator *a = &e->alc;
    ev->rule_max_end = civic__malloc(a, nr * sizeof(int64_t));
    ev->rule_stamp = civic__calloc(a, nr, sizeof(uint32_t));
    ev->rule_caps = civic__calloc(a, nr, sizeof(civic_cap_use));
    ev->shared_caps = civic__calloc(a, nc, sizeof(civic_cap_use));
    ev->dims = civic__malloc(a, (r->dimension_count + 1) * sizeof(int64_t));
    ev->flag_marks = civic__calloc(a, r->flag_count + 1, sizeof(uint32_t));
    if (!ev->rule_max_end || !ev->rule_stamp || !ev->rule_caps || !ev->shared_caps || !ev->dims ||
        !ev->flag_marks) {
        civic__eval_free(ev);
        return CIVIC_E_NOMEM;
    }
    return CIVIC_OK;
}

void civic__eval_free(civic_eval *ev)
{
    if (!ev->e) return;
    const civic_allocator *a = &ev->e->alc;
    const civic_rules *r = ev->r;
    size_t nr = r->rule_count ? r->rule_count : 1, nc = r->cap_count ? r->cap_count : 1;
    civic__free(a, ev->rule_max_end, nr * sizeof(int64_t));
    civic__free(a, ev->rule_stamp, nr * sizeof(uint32_t));
    civic__free(a, ev->rule_caps, nr * sizeof(civic_cap_use));
    civic__free(a, ev->shared_caps, nc * sizeof(civic_cap_use));
    civic__free(a, ev->dims, (r->dimension_count + 1) * sizeof(int64_t));
    civic__free(a, ev->flag_marks, (r->flag_count + 1) * sizeof(uint32_t));
    civic__free(a, ev->items, ev->item_cap * sizeof(civic_item));
    memset(ev, 0, sizeof(*ev));
}

static int item_compare(const civic_item *a, const civic_item *b)
{
    if (a->ts != b->ts) return a->ts < b->ts ? -1 : 1;
    size_t na = civic__lp_len(a->id), nb = civic__lp_len(b->id);
    int c = memcmp(a->id, b->id, na < nb ? na : nb);
    if (c) return c;
    return na < nb ? -1 : na > nb;
}

static int item_qsort(const void *a, const void *b) { return item_compare(a, b); }

/* Logs are mostly in time order, so a subject's events come nearly sorted:
 * insertion sort, which is linear then, with a budget of moves so that a
 * badly ordered subject falls back to qsort after linear work. */
static void sort_items(civic_item *items, size_t n)
{
    size_t budget = n <= 24 ? SIZE_MAX : 8 * n;
    if (n > 24 && item_compare(&items[0], &items[n - 1]) > 0) {
        /* newest first (a log exported in reverse): turn it round */
        for (size_t i = 0, j = n - 1; i < j; i++, j--) {
            civic_item t = items[i];
            items[i] = items[j];
            items[j] = t;
        }
    }
    for (size_t i = 1; i < n; i++) {
        if (item_compare(&items[i - 1], &items[i]) <= 0) continue;
        civic_item x = items[i];
        size_t j = i;
        while (j > 0 && item_compare(&items[j - 1], &x) > 0) {
            items[j] = items[j - 1];
            j--;
        }
        items[j] = x;
        if (i - j > budget) {
            qsort(items, n, sizeof(*items), item_qsort);
            return;
        }
        budget -= i - j;
    }
}

/* Position of the item with this (ts, id), or SIZE_MAX. */
static size_t find_item(const civic_item *items, size_t n, int64_t ts, const char *id)
{
    civic_item key;
    key.ts = ts;
    key.id = id;
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = item_compare(&items[mid], &key);
        if (c == 0) return mid;
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    return SIZE_MAX;
}

/* Steps 1 and 2 (revocations) and 3 (repairs): resolve each revoke and
 * repair against the subject's events with ts <= T. */
static void resolve_targets(civic_eval *ev, size_t n, uint16_t kind)
{
    const civic_engine *e = ev->e;
    civic_item *items = ev->items;
    for (size_t i = 0; i < n; i++) {
        if (items[i].type != kind) continue;
        const civic_ev *x = &e->events[items[i].ev];
        items[i].state = CIVIC_STATE_DANGLING;
        const char *ref = x->u.ref;
        uint32_t t = civic__event_find(e, ref, civic__lp_len(ref));
        if (t == CIVIC_NONE) continue;
        const civic_ev *target = &e->events[t];
        if (target->subject != x->subject || target->ts > ev->as_of) continue;
        if (target->type == CIVIC_TYPE_REVOKE || target->type == CIVIC_TYPE_REPAIR) continue;
        if (kind == CIVIC_TYPE_REPAIR && target->type == CIVIC_TYPE_REDEEM) continue;
        size_t at = find_item(items, n, target->ts, target->id);
        CIVIC_ASSERT(at != SIZE_MAX);
        if (at == SIZE_MAX) continue;
        if (kind == CIVIC_TYPE_REVOKE) {
            items[at].flags |= CIVIC_ITEM_REVOKED;
        } else {
            if (items[at].flags & CIVIC_ITEM_REVOKED) continue;
            if (x->ts < items[at].repair) items[at].repair = x->ts;
        }
        items[i].state = CIVIC_STATE_APPLIED;
    }
}

static int64_t clamp(const civic_rules *r, int64_t s)
{
    if (s < r->min) return r->min;
    if (s > r->max) return r->max;
    return s;
}

/* One cap drawn on by a rule event: the rule's own cap or its shared cap. */
typedef struct cap_claim {
    civic_cap_use *use;
    int64_t limit;             /* per period bucket, hundredths */
    int64_t bucket;            /* the event's period bucket for this cap */
} cap_claim;

/* SPEC 4 step 4, caps: what fits of `want` in every cap claimed; each room
 * shrinks by it.  A cap first met for this subject (stamp), or in a new
 * period bucket, starts empty. */
static int64_t cap_take(cap_claim *claims, size_t n, uint32_t stamp, int64_t want)
{
    int64_t room = want;
    for (size_t i = 0; i < n; i++) {
        civic_cap_use *u = claims[i].use;
        if (u->stamp != stamp || u->bucket != claims[i].bucket) {
            u->stamp = stamp;
            u->bucket = claims[i].bucket;
            u->used = 0;
        }
        if (claims[i].limit - u->used < room) room = claims[i].limit - u->used;
    }
    if (room < 0) room = 0;
    for (size_t i = 0; i < n; i++) claims[i].use->used += room;
    return room;
}

typedef struct fold_state {
    int64_t balance;
    int64_t balance_period;
    bool balance_seen;
} fold_state;

/* One rule event of the fold: raw, repeat, caps, end of effect.
 * *valid_end gets the end its validity alone would give. */
static int fold_rule(civic_eval *ev, civic_item *it, civic_day *day, int64_t *valid_end)
{
    const civic_rules *r = ev->r;
    const civic_rule *rule = &r->rules[it->type];
    uint32_t ri = it->type;
    int64_t raw;
    if (!civic__rule_raw(rule, it->qty, &raw)) return CIVIC_E_OVERFLOW;
    if (ev->rule_stamp[ri] != ev->stamp) {
        ev->rule_stamp[ri] = ev->stamp;
        ev->rule_max_end[ri] = INT64_MIN;
    }
    if (rule->repeat_factor && ev->rule_max_end[ri] > it->ts) {
        if (!civic__mul_div_round(raw, rule->repeat_factor, 100, &raw)) return CIVIC_E_OVERFLOW;
        it->flags |= CIVIC_ITEM_ESCALATED;
    }
    int64_t mag = raw < 0 ? -raw : raw;
    cap_claim claims[2];
    size_t nc = 0;
    if (rule->cap >= 0)
        claims[nc++] = (cap_claim){ &ev->rule_caps[ri], rule->cap,
                                    civic__period_bucket_on(rule->cap_period, day) };
    if (rule->cap_group != CIVIC_NO_CAP) {
        const civic_cap *c = &r->caps[rule->cap_group];
        claims[nc++] = (cap_claim){ &ev->shared_caps[rule->cap_group], c->limit,
                                    civic__period_bucket_on(c->period, day) };
    }
    int64_t room = cap_take(claims, nc, ev->stamp, mag);
    if (room < mag) it->flags |= CIVIC_ITEM_CAPPED;
    it->raw = raw;
    it->counted = raw < 0 ? -room : room;
    *valid_end = civic__duration_end_on(&rule->valid, it->ts, r->utc_offset, day);
    int64_t end = *valid_end;
    if (it->repair < end) end = it->repair;
    it->end = end;
    if (end > ev->rule_max_end[ri]) ev->rule_max_end[ri] = end;
    return CIVIC_OK;
}

/* Enter the balance period of the day: a new period starts from 0. */
static void fold_balance(civic_eval *ev, fold_state *fs, civic_day *day)
{
    int64_t p = civic__period_bucket_on(ev->r->balance_reset, day);
    if (!fs->balance_seen || p != fs->balance_period) {
        fs->balance = 0;
        fs->balance_period = p;
        fs->balance_seen = true;
    }
}

/* Step 4: the fold over rule events and redeems in (ts, id) order. */
static int fold(civic_eval *ev, size_t n, fold_state *fs)
{
    civic_day day = { INT64_MIN, 0, 0, 0, false }; /* kept while items share a day */
    for (size_t i = 0; i < n; i++) {
        civic_item *it = &ev->items[i];
        const civic_item *x = it;
        if (x->type == CIVIC_TYPE_REVOKE || x->type == CIVIC_TYPE_REPAIR) continue;
        civic_day today = civic__day_of(x->ts, ev->r->utc_offset);
        if (today.days != day.days) day = today;
        if (x->type == CIVIC_TYPE_REDEEM) {
            it->raw = -(x->qty / 10);
            if (it->flags & CIVIC_ITEM_REVOKED) {
                it->state = CIVIC_STATE_REVOKED;
                continue;
            }
            fold_balance(ev, fs, &day);
            int64_t amount = x->qty / 10;
            if (fs->balance >= amount) {
                fs->balance -= amount;
                it->counted = -amount;
                it->state = CIVIC_STATE_ACCEPTED;
            } else {
                it->state = CIVIC_STATE_REJECTED;
            }
            continue;
        }
        const civic_rule *rule = &ev->r->rules[x->type];
        if (it->flags & CIVIC_ITEM_REVOKED) {
            if (!civic__rule_raw(rule, x->qty, &it->raw)) return CIVIC_E_OVERFLOW;
            it->state = CIVIC_STATE_REVOKED;
            continue;
        }
        int64_t valid_end;
        int rc = fold_rule(ev, it, &day, &valid_end);
        if (rc != CIVIC_OK) return rc;
        if (rule->affects & CIVIC_AFFECTS_BALANCE) {
            fold_balance(ev, fs, &day);
            if (!civic__add_checked(fs->balance, it->counted, &fs->balance)) return CIVIC_E_OVERFLOW;
        }
        if (ev->as_of < it->end) {
            it->state = CIVIC_STATE_ACTIVE;
            it->flags |= CIVIC_ITEM_ACTIVE;
        } else {
            it->state = it->repair <= valid_end ? CIVIC_STATE_REPAIRED : CIVIC_STATE_EXPIRED;
        }
    }
    return CIVIC_OK;
}

/* Steps 5-9 over the active items. */
static int summarize(civic_eval *ev, size_t n, civic_answer *out)
{
    const civic_rules *r = ev->r;
    int64_t sum = r->base, running = r->base, ceiling = CIVIC_FOREVER;
    memset(ev->dims, 0, r->dimension_count * sizeof(int64_t));
    out->flag_count = 0;
    out->group = CIVIC_NONE;
    for (size_t i = 0; i < n; i++) {
        const civic_item *it = &ev->items[i];
        const civic_item *x = it;
        if (x->type < CIVIC_TYPE_REVOKE || x->type == CIVIC_TYPE_REDEEM) {
            if (!(it->flags & CIVIC_ITEM_REVOKED) && x->group != CIVIC_NONE) out->group = x->group;
        }
        if (!(it->flags & CIVIC_ITEM_ACTIVE)) continue;
        const civic_rule *rule = &r->rules[x->type];
        if (rule->affects & CIVIC_AFFECTS_SCORE) {
            if (!civic__add_checked(sum, it->counted, &sum)) return CIVIC_E_OVERFLOW;
            if (!civic__add_checked(running, it->counted, &running)) return CIVIC_E_OVERFLOW;
            running = clamp(r, running);
        }
        if (!civic__add_checked(ev->dims[rule->dimension], it->counted, &ev->dims[rule->dimension]))
            return CIVIC_E_OVERFLOW;
        if (rule->ceiling < ceiling) ceiling = rule->ceiling;
        if (rule->flag != UINT32_MAX && ev->flag_marks[rule->flag] != ev->stamp) {
            ev->flag_marks[rule->flag] = ev->stamp;
            out->flag_count++;
        }
    }
    int64_t score = r->clamp == CIVIC_CLAMP_RUNNING ? running : clamp(r, sum);
    if (score > ceiling) score = ceiling;
    out->score = score;
    out->ceiling = ceiling;
    out->grade = civic__grade_of(r, score);
    return CIVIC_OK;
}

/* Half of the 48-byte records straddle two cache lines: fetch both. */
static inline void prefetch_event(const civic_engine *e, uint32_t i)
{
    const char *p = (const char *)&e->events[i];
    __builtin_prefetch(p);
    __builtin_prefetch(p + sizeof(civic_ev) - 1);
}

int civic__eval_subject(civic_eval *ev, const uint32_t *events, size_t n, civic_answer *out)
{
    const civic_engine *e = ev->e;
    if (civic__grow(&e->alc, (void **)&ev->items, &ev->item_cap, n ? n : 1,
                    sizeof(civic_item)) != CIVIC_OK)
        return CIVIC_E_NOMEM;
    size_t m = 0;
    const size_t ahead = 8; /* a subject's events lie far apart: fetch early */
    for (size_t i = 0; i < ahead && i < n; i++) prefetch_event(e, events[i]);
    for (size_t i = 0; i < n; i++) {
        if (i + ahead < n) prefetch_event(e, events[i + ahead]);
        const civic_ev *x = &e->events[events[i]];
        if (x->ts > ev->as_of) continue;
        civic_item *it = &ev->items[m++];
        it->ts = x->ts;
        it->id = x->id;
        it->ev = events[i];
        it->flags = 0;
        it->raw = it->counted = 0;
        it->end = CIVIC_FOREVER;
        it->repair = CIVIC_FOREVER;
        it->type = x->type;
        it->qty = x->type == CIVIC_TYPE_REVOKE || x->type == CIVIC_TYPE_REPAIR ? 0 : x->u.qty;
        it->group = x->group;
        it->state = CIVIC_STATE_ACTIVE;
    }
    sort_items(ev->items, m);
    if (++ev->stamp == 0) { /* wrapped: clear the stamps for real */
        size_t nr = ev->r->rule_count ? ev->r->rule_count : 1;
        size_t nc = ev->r->cap_count ? ev->r->cap_count : 1;
        memset(ev->rule_stamp, 0, nr * sizeof(uint32_t));
        memset(ev->rule_caps, 0, nr * sizeof(civic_cap_use));
        memset(ev->shared_caps, 0, nc * sizeof(civic_cap_use));
        memset(ev->flag_marks, 0, (ev->r->flag_count + 1) * sizeof(uint32_t));
        ev->stamp = 1;
    }
    resolve_targets(ev, m, CIVIC_TYPE_REVOKE);
    resolve_targets(ev, m, CIVIC_TYPE_REPAIR);
    fold_state fs = { 0, 0, false };
    int rc = fold(ev, m, &fs);
    if (rc != CIVIC_OK) return rc;
    int64_t now = civic__period_bucket(ev->r->balance_reset, ev->as_of, ev->r->utc_offset);
    out->balance = fs.balance_seen && fs.balance_period == now ? fs.balance : 0;
    out->events = m;
    out->item_count = m;
    return summarize(ev, m, out);
}
