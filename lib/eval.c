/*
** eval.c -- one subject's answer at an as-of time T (SPEC 4, with the
** version-2 order of evaluation of SPEC 10.6).
**
** Input: the indices of all the subject's events, in any order.  Output: the
** score, grade, balance, ceiling, flags, dimension subtotals, group, tiers,
** measures and (on request) the record items.  The steps:
**   1. keep events with ts <= T; each rule event takes its version (in force
**      at its ts, or a recount in force at T) and eff = ts + publicity;
**      sort by (eff, id bytewise) -- (ts, id) when no rule has publicity;
**   2. pointers: dismissals and objections (suspend or mark the target),
**      revokes, repairs (premature ones ignored), corrections;
**   3. acts: one member counts, the others are merged;
**   4. retention: archived events (acts as a whole) and what points at them;
**   5. pending events (eff > T) are set aside; the fold: raw, repeat by
**      category, validity (by severity), freeze, own and shared caps (both
**      or net), end of effect, the balance with its floor and redeems;
**   6. score with final or running clamp and the lowest ceiling not yet
**      corrected, grade, flags, dimensions, group; tiers and measures.
** Every step before the fold depends only on timestamps and references, so
** the answer depends only on the set of events: the sort makes arrival order
** irrelevant and (eff, id) is a total order because ids are unique.
** Scratch arrays per category, cap slot and cap are reset lazily with a
** stamp so that evaluating many subjects costs nothing per rule.  A scheme
** and a subject that use no version-2 feature skip steps 2-4 but for
** version-1 revokes and repairs.
 **
** It does not lock (its callers hold the read lock), find a subject's
** events (query.c hands them over) or copy anything out (query.c and
** record.c do); calendar questions go to time.c, raw points to event.c.
** Invariant: nothing outside one subject's events is read except the
** targets of its pointers (revokes, repairs, objections, dismissals,
** corrections), to check that they are the subject's, and the purge
** tombstones.
*/
#include "internal.h"

#include <stdlib.h>
#include <string.h>

static size_t nz(size_t n) { return n ? n : 1; }

/* ------------------------------------------------------------ scratch */

int civic__eval_init(civic_eval *ev, const civic_engine *e, int64_t as_of, bool want_items)
{
    const civic_rules *r = e->rules;
    const civic_allocator *a = &e->alc;
    size_t ncat = nz(r->category_count), nslot = nz(r->own_slot_count), ncap = nz(r->cap_count);
    size_t ntier = nz(r->tier_count), nmeasure = nz(r->measure_count);
    memset(ev, 0, sizeof(*ev));
    ev->e = e;
    ev->r = r;
    ev->as_of = as_of;
    ev->want_items = want_items;
    ev->cat_end = civic__malloc(a, ncat * sizeof(int64_t));
    ev->cat_stamp = civic__calloc(a, ncat, sizeof(uint32_t));
    ev->slot_caps = civic__calloc(a, nslot, sizeof(civic_cap_use));
    ev->shared_caps = civic__calloc(a, ncap, sizeof(civic_cap_use));
    ev->dims = civic__malloc(a, (r->dimension_count + 1) * sizeof(int64_t));
    ev->flag_marks = civic__calloc(a, r->flag_count + 1, sizeof(uint32_t));
    ev->tier_value = civic__calloc(a, ntier, sizeof(int64_t));
    ev->tier_level = civic__calloc(a, ntier, sizeof(uint32_t));
    ev->measure_on = civic__calloc(a, nmeasure, 1);
    if (!ev->cat_end || !ev->cat_stamp || !ev->slot_caps || !ev->shared_caps || !ev->dims ||
        !ev->flag_marks || !ev->tier_value || !ev->tier_level || !ev->measure_on) {
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
    size_t ncat = nz(r->category_count), nslot = nz(r->own_slot_count), ncap = nz(r->cap_count);
    size_t ntier = nz(r->tier_count), nmeasure = nz(r->measure_count);
    civic__free(a, ev->cat_end, ncat * sizeof(int64_t));
    civic__free(a, ev->cat_stamp, ncat * sizeof(uint32_t));
    civic__free(a, ev->slot_caps, nslot * sizeof(civic_cap_use));
    civic__free(a, ev->shared_caps, ncap * sizeof(civic_cap_use));
    civic__free(a, ev->dims, (r->dimension_count + 1) * sizeof(int64_t));
    civic__free(a, ev->flag_marks, (r->flag_count + 1) * sizeof(uint32_t));
    civic__free(a, ev->tier_value, ntier * sizeof(int64_t));
    civic__free(a, ev->tier_level, ntier * sizeof(uint32_t));
    civic__free(a, ev->measure_on, nmeasure);
    civic__free(a, ev->items, ev->item_cap * sizeof(civic_item));
    civic__free(a, ev->scratch, ev->scratch_cap);
    memset(ev, 0, sizeof(*ev));
}

/* A new subject: every stamped scratch array reads as reset. */
static void next_stamp(civic_eval *ev)
{
    if (++ev->stamp != 0) return;
    const civic_rules *r = ev->r;
    memset(ev->cat_stamp, 0, nz(r->category_count) * sizeof(uint32_t));
    memset(ev->slot_caps, 0, nz(r->own_slot_count) * sizeof(civic_cap_use));
    memset(ev->shared_caps, 0, nz(r->cap_count) * sizeof(civic_cap_use));
    memset(ev->flag_marks, 0, (r->flag_count + 1) * sizeof(uint32_t));
    ev->stamp = 1;
}

/* ------------------------------------------------------------ order */

static int item_compare(const civic_item *a, const civic_item *b)
{
    if (a->eff != b->eff) return a->eff < b->eff ? -1 : 1;
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

/* Position of the item with this (eff, id), or SIZE_MAX. */
static size_t find_item(const civic_item *items, size_t n, int64_t eff, const char *id)
{
    civic_item key;
    key.eff = eff;
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

/* ------------------------------------------------------------ step 1 */

enum { SEEN_OBJECTION = 1, SEEN_CORRECTION = 2, SEEN_ACT = 4, SEEN_POINTER = 8 };

/* When an event takes effect: ts, or ts + the publicity of the version in
 * force at ts (SPEC 10.1). */
static int64_t event_eff(const civic_rules *r, const civic_ev *x)
{
    if (!r->any_publicity || !civic__type_is_rule(x->type)) return x->ts;
    const civic_rule *life = civic__rule_version_at(r, x->type, x->ts);
    return life->has_publicity ? civic__duration_end(&life->publicity, x->ts, r->utc_offset)
                               : x->ts;
}

static void item_init(const civic_eval *ev, civic_item *it, uint32_t index)
{
    const civic_engine *e = ev->e;
    const civic_rules *r = ev->r;
    const civic_ev *x = &e->events[index];
    it->ts = x->ts;
    it->eff = event_eff(r, x);
    it->id = civic__ev_id(e, x);
    it->ev = index;
    it->flags = 0;
    it->raw = it->counted = it->to_balance = 0;
    it->end = it->repair = it->corrected = CIVIC_FOREVER;
    it->type = x->type;
    it->group = x->group;
    it->state = CIVIC_STATE_ACTIVE;
    it->act = it->merged_with = CIVIC_NONE;
    it->v = NULL;
    it->qty = civic__ev_qty(e, x);
    if (civic__type_is_rule(x->type)) {
        it->v = r->any_change ? civic__rule_version(r, x->type, x->ts, ev->as_of)
                              : &r->rules[x->type];
        if (e->extras.act) it->act = e->extras.act[index];
    }
}

/* Half of the 48-byte records straddle two cache lines: fetch both. */
static inline void prefetch_event(const civic_engine *e, uint32_t i)
{
    const char *p = (const char *)&e->events[i];
    __builtin_prefetch(p);
    __builtin_prefetch(p + sizeof(civic_ev) - 1);
}

/* The subject's events with ts <= T into ev->items; *seen: SEEN_* bits. */
static size_t gather(civic_eval *ev, const uint32_t *events, size_t n, unsigned *seen)
{
    const civic_engine *e = ev->e;
    size_t m = 0;
    const size_t ahead = 8; /* a subject's events lie far apart: fetch early */
    *seen = 0;
    for (size_t i = 0; i < ahead && i < n; i++) prefetch_event(e, events[i]);
    for (size_t i = 0; i < n; i++) {
        if (i + ahead < n) prefetch_event(e, events[i + ahead]);
        const civic_ev *x = &e->events[events[i]];
        if (x->ts > ev->as_of) continue;
        civic_item *it = &ev->items[m++];
        item_init(ev, it, events[i]);
        if (civic__type_has_ref(x->type)) *seen |= SEEN_POINTER;
        if (x->type == CIVIC_TYPE_OBJECT || x->type == CIVIC_TYPE_DISMISS)
            *seen |= SEEN_OBJECTION;
        else if (x->type == CIVIC_TYPE_CORRECT) *seen |= SEEN_CORRECTION;
        if (it->act != CIVIC_NONE) *seen |= SEEN_ACT;
    }
    return m;
}

/* ------------------------------------------------------------ step 2 */

/* The position of the event a pointer item refers to, or CIVIC_NONE when
 * it is missing, another subject's or later than T. */
static uint32_t target_of(const civic_eval *ev, const civic_item *it, size_t n)
{
    const civic_engine *e = ev->e;
    const civic_ev *x = &e->events[it->ev];
    const char *ref = civic__ev_ref(e, x);
    uint32_t t = civic__event_find(e, ref, civic__lp_len(ref));
    if (t == CIVIC_NONE) return CIVIC_NONE;
    const civic_ev *y = &e->events[t];
    if (y->subject != x->subject || y->ts > ev->as_of) return CIVIC_NONE;
    size_t at = find_item(ev->items, n, event_eff(ev->r, y), civic__ev_id(e, y));
    CIVIC_ASSERT(at != SIZE_MAX);
    return at == SIZE_MAX ? CIVIC_NONE : (uint32_t)at;
}

/* Dismissals, then objections (SPEC 10.2). */
static void resolve_objections(civic_eval *ev, size_t n, const uint32_t *target)
{
    const civic_rules *r = ev->r;
    civic_item *items = ev->items;
    for (size_t i = 0; i < n; i++) {
        if (items[i].type != CIVIC_TYPE_DISMISS) continue;
        uint32_t t = target[i];
        bool ok = t != CIVIC_NONE && items[t].type == CIVIC_TYPE_OBJECT &&
                  items[i].ts >= items[t].ts;
        items[i].state = ok ? CIVIC_STATE_APPLIED : CIVIC_STATE_DANGLING;
        if (ok) items[t].flags |= CIVIC_ITEM_DISMISSED;
    }
    for (size_t i = 0; i < n; i++) {
        civic_item *o = &items[i];
        if (o->type != CIVIC_TYPE_OBJECT) continue;
        uint32_t t = target[i];
        if (t == CIVIC_NONE || !civic__type_is_rule(items[t].type) || o->ts < items[t].ts) {
            o->state = CIVIC_STATE_DANGLING;
        } else if (o->ts >= civic__duration_end(&r->objection_window, items[t].ts,
                                                r->utc_offset)) {
            o->state = CIVIC_STATE_LATE;
        } else if (o->flags & CIVIC_ITEM_DISMISSED) {
            o->state = CIVIC_STATE_DISMISSED;
        } else {
            o->state = CIVIC_STATE_APPLIED;
            items[t].flags |= r->contested == CIVIC_CONTESTED_SUSPEND ? CIVIC_ITEM_SUSPENDED
                                                                      : CIVIC_ITEM_CONTESTED;
        }
    }
}

/* A repair dated before eff(target) + repair_after is premature (10.3). */
static bool premature(const civic_rules *r, const civic_item *repair, const civic_item *target)
{
    if (!r->any_repair_after) return false;
    const civic_rule *life = civic__rule_version_at(r, target->type, target->ts);
    return life->has_repair_after &&
           repair->ts < civic__duration_end(&life->repair_after, target->eff, r->utc_offset);
}

/* Revokes, repairs and corrections (SPEC 4 steps 1-2, 9.5). */
static void resolve_targets(civic_eval *ev, size_t n, const uint32_t *target, uint16_t kind)
{
    civic_item *items = ev->items;
    for (size_t i = 0; i < n; i++) {
        civic_item *p = &items[i];
        if (p->type != kind) continue;
        uint32_t t = target[i];
        p->state = CIVIC_STATE_DANGLING;
        if (t == CIVIC_NONE) continue;
        civic_item *x = &items[t];
        bool rule = civic__type_is_rule(x->type);
        if (kind == CIVIC_TYPE_REVOKE) {
            if (!rule && x->type != CIVIC_TYPE_REDEEM) continue;
            x->flags |= CIVIC_ITEM_REVOKED;
        } else if (kind == CIVIC_TYPE_REPAIR) {
            if (!rule || (x->flags & (CIVIC_ITEM_REVOKED | CIVIC_ITEM_SUSPENDED))) continue;
            if (premature(ev->r, p, x)) {
                p->state = CIVIC_STATE_PREMATURE;
                continue;
            }
            if (p->ts < x->repair) x->repair = p->ts;
        } else {
            if (!rule || p->ts < x->ts) continue;
            if (p->ts < x->corrected) x->corrected = p->ts;
        }
        p->state = CIVIC_STATE_APPLIED;
    }
}

/* ------------------------------------------------------------ steps 3-4 */

/* raw before repeat and caps: points, or points x qty (SPEC 4 step 4). */
static int raw_of(const civic_rule *v, int64_t qty, int64_t *raw)
{
    return civic__rule_raw(v, qty, raw) ? CIVIC_OK : CIVIC_E_OVERFLOW;
}

typedef struct act_member {
    int64_t ts;
    const char *id;
    uint32_t act;
    uint32_t item;
} act_member;

static int member_compare(const void *a, const void *b)
{
    const act_member *x = a, *y = b;
    if (x->act != y->act) return x->act < y->act ? -1 : 1;
    if (x->ts != y->ts) return x->ts < y->ts ? -1 : 1;
    size_t nx = civic__lp_len(x->id), ny = civic__lp_len(y->id);
    int c = memcmp(x->id, y->id, nx < ny ? nx : ny);
    return c ? c : (nx < ny ? -1 : nx > ny);
}

/* Does member a count before member b (SPEC 9.4)?  A direct grade first,
 * the lowest ceiling first; then the largest |raw|; then (eff, id). */
static bool counts_before(const civic_item *a, int64_t raw_a, const civic_item *b, int64_t raw_b)
{
    int64_t ca = a->v->ceiling, cb = b->v->ceiling;
    if (ca != cb) return ca < cb;
    uint64_t ma = raw_a < 0 ? (uint64_t)0 - (uint64_t)raw_a : (uint64_t)raw_a;
    uint64_t mb = raw_b < 0 ? (uint64_t)0 - (uint64_t)raw_b : (uint64_t)raw_b;
    if (ma != mb) return ma > mb;
    return item_compare(a, b) < 0;
}

/* One generation of an act, not archived: one member counts. */
static int merge_generation(civic_eval *ev, const act_member *m, size_t k)
{
    civic_item *items = ev->items;
    uint32_t best = CIVIC_NONE;
    int64_t best_raw = 0, raw;
    for (size_t j = 0; j < k; j++) {
        civic_item *x = &items[m[j].item];
        if (x->flags & (CIVIC_ITEM_REVOKED | CIVIC_ITEM_SUSPENDED)) continue;
        int rc = raw_of(x->v, x->qty, &raw);
        if (rc != CIVIC_OK) return rc;
        if (best == CIVIC_NONE || counts_before(x, raw, &items[best], best_raw)) {
            best = m[j].item;
            best_raw = raw;
        }
    }
    for (size_t j = 0; j < k; j++) {
        civic_item *x = &items[m[j].item];
        if (m[j].item == best || (x->flags & (CIVIC_ITEM_REVOKED | CIVIC_ITEM_SUSPENDED)))
            continue;
        x->flags |= CIVIC_ITEM_MERGED;
        x->merged_with = best;
    }
    return CIVIC_OK;
}

/* The end of retention of a member, CIVIC_FOREVER when its rule keeps it. */
static int64_t retained_until(const civic_rules *r, const civic_item *x)
{
    if (!r->any_retain) return CIVIC_FOREVER;
    const civic_rule *life = civic__rule_version_at(r, x->type, x->ts);
    return life->has_retain ? civic__duration_end(&life->retain, x->ts, r->utc_offset)
                            : CIVIC_FOREVER;
}

/* The members of one act, by (ts, id): cut into generations at each
 * archival instant t* (SPEC 9.4); archived generations are archived whole,
 * the others merged.  Members of an act a purge removed, dated at or before
 * its t*, are archived on arrival (SPEC 10.4). */
static int act_generations(civic_eval *ev, const act_member *m, size_t k)
{
    size_t first = 0;
    if (ev->e->tombs.act_count) {
        const civic_ev *x = &ev->e->events[ev->items[m[0].item].ev];
        int64_t purged = civic__act_tomb(ev->e, x->subject, m[0].act);
        while (purged != CIVIC_NO_TIME && first < k && m[first].ts <= purged)
            ev->items[m[first++].item].flags |= CIVIC_ITEM_ARCHIVED;
    }
    int64_t until = INT64_MIN;
    for (size_t j = 0; j < k; j++) {
        int64_t u = retained_until(ev->r, &ev->items[m[j].item]);
        if (u > until) until = u;
        int64_t next = j + 1 < k ? m[j + 1].ts : CIVIC_FOREVER;
        if (next == m[j].ts || until == CIVIC_FOREVER || until >= next) continue;
        /* t* = until: members first..j leave together */
        if (until <= ev->as_of) {
            for (size_t g = first; g <= j; g++) ev->items[m[g].item].flags |= CIVIC_ITEM_ARCHIVED;
            if (ev->act_archived) {
                const civic_ev *x = &ev->e->events[ev->items[m[first].item].ev];
                ev->act_archived(ev->act_ctx, x->subject, m[first].act, until);
            }
        } else {
            int rc = merge_generation(ev, m + first, j + 1 - first);
            if (rc != CIVIC_OK) return rc;
        }
        first = j + 1;
        until = INT64_MIN;
    }
    return first < k ? merge_generation(ev, m + first, k - first) : CIVIC_OK;
}

static int merge_acts(civic_eval *ev, size_t n)
{
    size_t count = 0;
    for (size_t i = 0; i < n; i++) count += ev->items[i].act != CIVIC_NONE;
    if (civic__grow(&ev->e->alc, (void **)&ev->scratch, &ev->scratch_cap,
                    count * sizeof(act_member), 1) != CIVIC_OK)
        return CIVIC_E_NOMEM;
    act_member *m = (act_member *)(void *)ev->scratch;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        const civic_item *x = &ev->items[i];
        if (x->act != CIVIC_NONE) m[k++] = (act_member){ x->ts, x->id, x->act, (uint32_t)i };
    }
    if (k > 1) qsort(m, k, sizeof(*m), member_compare);
    for (size_t j = 0; j < k;) {
        size_t end = j + 1;
        while (end < k && m[end].act == m[j].act) end++;
        int rc = act_generations(ev, m + j, end - j);
        if (rc != CIVIC_OK) return rc;
        j = end;
    }
    return CIVIC_OK;
}

/* A pointer at an event a purge removed (SPEC 10.4): archived when it is
 * dated at or after that event and no later than the purge horizon. */
static void archive_at_tomb(civic_eval *ev, civic_item *p)
{
    const civic_engine *e = ev->e;
    const civic_ev *x = &e->events[p->ev];
    const char *ref = civic__ev_ref(e, x);
    const civic_tomb *t = civic__tomb_find(e, ref, civic__lp_len(ref));
    if (t && t->subject == x->subject && p->ts >= t->ts && p->ts <= e->purge_horizon)
        p->flags |= CIVIC_ITEM_ARCHIVED;
}

/* Retention (SPEC 10.4): rule events without an act, then everything that
 * points at an archived event from the same moment or later; a pointer
 * dated before its archived target is dangling. */
static void archive(civic_eval *ev, size_t n, const uint32_t *target)
{
    civic_item *items = ev->items;
    if (target && ev->e->tombs.count)
        for (size_t i = 0; i < n; i++)
            if (civic__type_has_ref(items[i].type) && target[i] == CIVIC_NONE)
                archive_at_tomb(ev, &items[i]);
    for (size_t i = 0; i < n; i++) {
        civic_item *x = &items[i];
        if (civic__type_is_rule(x->type) && x->act == CIVIC_NONE &&
            retained_until(ev->r, x) <= ev->as_of)
            x->flags |= CIVIC_ITEM_ARCHIVED;
    }
    for (bool changed = true; changed;) {
        changed = false;
        for (size_t i = 0; i < n; i++) {
            civic_item *p = &items[i];
            if (!civic__type_has_ref(p->type) || (p->flags & CIVIC_ITEM_ARCHIVED)) continue;
            uint32_t t = target[i];
            if (t == CIVIC_NONE || !(items[t].flags & CIVIC_ITEM_ARCHIVED)) continue;
            if (p->ts >= items[t].ts) {
                p->flags |= CIVIC_ITEM_ARCHIVED;
                changed = true;
            } else {
                p->state = CIVIC_STATE_DANGLING;
            }
        }
    }
}

/* Steps 2-4 and the pending events of step 5. */
static int before_fold(civic_eval *ev, size_t n, unsigned seen)
{
    const civic_rules *r = ev->r;
    uint32_t *target = NULL;
    int rc = CIVIC_OK;
    if (seen & SEEN_POINTER) {
        target = civic__malloc(&ev->e->alc, nz(n) * sizeof(uint32_t));
        if (!target) return CIVIC_E_NOMEM;
        for (size_t i = 0; i < n; i++)
            target[i] = civic__type_has_ref(ev->items[i].type) ? target_of(ev, &ev->items[i], n)
                                                              : CIVIC_NONE;
        if (seen & SEEN_OBJECTION) resolve_objections(ev, n, target);
        resolve_targets(ev, n, target, CIVIC_TYPE_REVOKE);
        resolve_targets(ev, n, target, CIVIC_TYPE_REPAIR);
        if (seen & SEEN_CORRECTION) resolve_targets(ev, n, target, CIVIC_TYPE_CORRECT);
    }
    if (seen & SEEN_ACT) rc = merge_acts(ev, n);
    if (rc == CIVIC_OK && r->any_retain) archive(ev, n, target);
    if (r->any_publicity)
        for (size_t i = 0; i < n; i++)
            if (ev->items[i].eff > ev->as_of) ev->items[i].flags |= CIVIC_ITEM_PENDING;
    civic__free(&ev->e->alc, target, nz(n) * sizeof(uint32_t));
    return rc;
}

/* ------------------------------------------------------------ step 5: caps */

/* One cap an event draws on: its use in the subject's scratch, its limit,
 * mode and the event's bucket of its period.  The rule's own cap (one use
 * per (rule, period, mode) slot) and shared caps are the same thing here. */
typedef struct cap_claim {
    civic_cap_use *use;
    int64_t limit;             /* per period bucket, hundredths */
    int64_t bucket;            /* the event's period bucket for this cap */
    uint8_t mode;              /* CIVIC_CAP_BOTH / NET */
} cap_claim;

/* counted for raw under every claimed cap (SPEC 4 step 4, 9.6): a both-mode
 * cap counts |counted| against its limit, so negatives are capped too; a
 * net-mode cap limits only additions, by limit - the net counted so far
 * (which negatives lower), and sets no limit for raw <= 0. */
static int64_t cap_take(cap_claim *claims, size_t n, uint32_t stamp, int64_t raw)
{
    int64_t mag = raw < 0 ? -raw : raw, room = mag;
    for (size_t i = 0; i < n; i++) {
        civic_cap_use *u = claims[i].use;
        if (u->stamp != stamp || u->bucket != claims[i].bucket) {
            u->stamp = stamp;
            u->bucket = claims[i].bucket;
            u->used = 0;
        }
        int64_t left = claims[i].limit - u->used;
        if (claims[i].mode == CIVIC_CAP_NET && raw <= 0) continue;
        if (left < room) room = left;
    }
    if (room < 0) room = 0;
    int64_t counted = raw < 0 ? -room : room;
    for (size_t i = 0; i < n; i++)
        claims[i].use->used += claims[i].mode == CIVIC_CAP_NET ? counted : room;
    return counted;
}

/* counted for raw under v's own cap and v's cap group. */
static int64_t take_caps(civic_eval *ev, const civic_rule *v, int64_t raw, civic_day *day,
                         uint32_t *flags)
{
    const civic_rules *r = ev->r;
    cap_claim claims[2];
    size_t n = 0;
    if (v->cap >= 0)
        claims[n++] = (cap_claim){ &ev->slot_caps[v->own_slot], v->cap,
                                   civic__period_bucket_on(v->cap_period, day), v->cap_mode };
    if (v->cap_group != CIVIC_NO_CAP) {
        const civic_cap *c = &r->caps[v->cap_group];
        claims[n++] = (cap_claim){ &ev->shared_caps[v->cap_group], c->limit,
                                   civic__period_bucket_on(c->period, day), c->mode };
    }
    int64_t counted = n ? cap_take(claims, n, ev->stamp, raw) : raw;
    if (counted != raw) *flags |= CIVIC_ITEM_CAPPED;
    return counted;
}

/* ------------------------------------------------------------ step 5: fold */

typedef struct fold_state {
    int64_t balance;
    int64_t balance_period;
    bool balance_seen;
    size_t period_first;       /* first item of the current balance period */
    int64_t freeze_until;      /* additions before this are frozen (9.5) */
} fold_state;

/* A new balance period starts the balance over. */
static void balance_period(civic_eval *ev, fold_state *fs, civic_day *day, size_t i)
{
    int64_t p = civic__period_bucket_on(ev->r->balance_reset, day);
    if (!fs->balance_seen || p != fs->balance_period) {
        fs->balance = 0;
        fs->balance_period = p;
        fs->balance_seen = true;
        fs->period_first = i;
    }
}

/* Add counted to the balance, no lower than balance_min (9.7). */
static int balance_add(const civic_rules *r, fold_state *fs, civic_item *it)
{
    int64_t part = it->counted, next;
    if (!civic__add_checked(fs->balance, part, &next)) return CIVIC_E_OVERFLOW;
    if (r->has_balance_min && part < 0 && next < r->balance_min) {
        part = r->balance_min - fs->balance;
        next = r->balance_min;
        it->flags |= CIVIC_ITEM_FLOORED;
    }
    fs->balance = next;
    it->to_balance = part;
    return CIVIC_OK;
}

static void fold_redeem(civic_eval *ev, fold_state *fs, civic_item *it, civic_day *day, size_t i)
{
    const civic_rules *r = ev->r;
    int64_t amount = it->qty / 10;
    it->raw = -amount;
    if (it->flags & CIVIC_ITEM_REVOKED) {
        it->state = CIVIC_STATE_REVOKED;
        return;
    }
    balance_period(ev, fs, day, i);
    bool ok = r->has_balance_min ? fs->balance - amount >= r->balance_min
                                 : fs->balance >= amount;
    if (ok) {
        fs->balance -= amount;
        it->counted = it->to_balance = -amount;
        it->state = CIVIC_STATE_ACCEPTED;
    } else {
        it->state = CIVIC_STATE_REJECTED;
    }
}

/* An event set aside before the fold: its raw, its state, no effect. */
static int fold_gone(civic_item *it)
{
    int rc = raw_of(it->v, it->qty, &it->raw);
    uint32_t f = it->flags;
    it->state = (f & CIVIC_ITEM_REVOKED) ? CIVIC_STATE_REVOKED
                : (f & CIVIC_ITEM_SUSPENDED) ? CIVIC_STATE_CONTESTED
                : (f & CIVIC_ITEM_MERGED) ? CIVIC_STATE_MERGED
                                          : CIVIC_STATE_PENDING;
    it->end = it->eff;
    return rc;
}

/* Repeat escalation by category (SPEC 4, 9.2). */
static int escalate(civic_eval *ev, civic_item *it, int64_t *raw)
{
    const civic_rule *v = it->v;
    uint32_t c = v->category;
    if (ev->cat_stamp[c] != ev->stamp) {
        ev->cat_stamp[c] = ev->stamp;
        ev->cat_end[c] = INT64_MIN;
    }
    if (v->repeat_factor && ev->cat_end[c] > it->eff) {
        if (!civic__mul_div_round(*raw, v->repeat_factor, 100, raw)) return CIVIC_E_OVERFLOW;
        it->flags |= CIVIC_ITEM_ESCALATED;
    }
    return CIVIC_OK;
}

static int fold_rule(civic_eval *ev, fold_state *fs, civic_item *it, civic_day *day, size_t i)
{
    const civic_rules *r = ev->r;
    const civic_rule *v = it->v;
    int64_t raw;
    int rc = raw_of(v, it->qty, &raw);
    if (rc == CIVIC_OK) rc = escalate(ev, it, &raw);
    if (rc != CIVIC_OK) return rc;
    int64_t valid_end =
        civic__duration_end_on(civic__rule_validity(r, v, raw), it->eff, r->utc_offset, day);
    it->end = it->repair < valid_end ? it->repair : valid_end;
    it->raw = raw;
    if (raw > 0 && fs->freeze_until > it->eff) {
        it->flags |= CIVIC_ITEM_FROZEN;
        it->counted = 0;
    } else {
        it->counted = take_caps(ev, v, raw, day, &it->flags);
    }
    if (it->end > ev->cat_end[v->category]) ev->cat_end[v->category] = it->end;
    if (v->freeze) {
        int64_t until = it->end < it->corrected ? it->end : it->corrected;
        if (until > fs->freeze_until) fs->freeze_until = until;
    }
    if (v->affects & CIVIC_AFFECTS_BALANCE) {
        balance_period(ev, fs, day, i);
        if ((rc = balance_add(r, fs, it)) != CIVIC_OK) return rc;
    }
    if (ev->as_of < it->end) {
        it->state = CIVIC_STATE_ACTIVE;
        it->flags |= CIVIC_ITEM_ACTIVE;
    } else {
        it->state = it->repair <= valid_end ? CIVIC_STATE_REPAIRED : CIVIC_STATE_EXPIRED;
    }
    return CIVIC_OK;
}

/* Step 5: the fold over rule events and redeems in (eff, id) order. */
static int fold(civic_eval *ev, size_t n, fold_state *fs)
{
    civic_day day = { INT64_MIN, 0, 0, 0, false }; /* kept while items share a day */
    for (size_t i = 0; i < n; i++) {
        civic_item *it = &ev->items[i];
        if (civic__type_has_ref(it->type)) continue;
        if (it->type != CIVIC_TYPE_REDEEM && (it->flags & CIVIC_ITEM_GONE)) {
            if (fold_gone(it) != CIVIC_OK) return CIVIC_E_OVERFLOW;
            continue;
        }
        int64_t days = civic__floor_div(it->eff + ev->r->utc_offset, 86400);
        if (days != day.days) day = civic__day_of(it->eff, ev->r->utc_offset);
        if (it->type == CIVIC_TYPE_REDEEM) {
            fold_redeem(ev, fs, it, &day, i);
            continue;
        }
        int rc = fold_rule(ev, fs, it, &day, i);
        if (rc != CIVIC_OK) return rc;
    }
    return CIVIC_OK;
}

/* Only the balance period of T counts: what earlier periods added is gone. */
static int64_t balance_at(civic_eval *ev, const fold_state *fs, size_t n)
{
    int64_t now = civic__period_bucket(ev->r->balance_reset, ev->as_of, ev->r->utc_offset);
    bool current = fs->balance_seen && fs->balance_period == now;
    size_t stale = current ? fs->period_first : n;
    for (size_t i = 0; i < stale; i++) ev->items[i].to_balance = 0;
    return current ? fs->balance : 0;
}

/* ------------------------------------------------------------ step 6 */

static int64_t clamp(const civic_rules *r, int64_t s)
{
    if (s < r->min) return r->min;
    if (s > r->max) return r->max;
    return s;
}

static int id_compare(const char *a, const char *b)
{
    size_t na = civic__lp_len(a), nb = civic__lp_len(b);
    int c = memcmp(a, b, na < nb ? na : nb);
    return c ? c : (na < nb ? -1 : na > nb);
}

/* Group (SPEC 10.6): the last, in (ts, id) order, of the rule events and
 * redeems that carry one and are neither revoked nor archived. */
static uint32_t group_of(const civic_eval *ev, size_t n)
{
    const civic_item *best = NULL;
    for (size_t i = 0; i < n; i++) {
        const civic_item *x = &ev->items[i];
        if (civic__type_has_ref(x->type) || x->group == CIVIC_NONE ||
            (x->flags & (CIVIC_ITEM_REVOKED | CIVIC_ITEM_ARCHIVED)))
            continue;
        if (!best || x->ts > best->ts || (x->ts == best->ts && id_compare(x->id, best->id) > 0))
            best = x;
    }
    return best ? best->group : CIVIC_NONE;
}

/* Steps 5-9 of SPEC 4 over the active items. */
static int summarize(civic_eval *ev, size_t n, civic_answer *out)
{
    const civic_rules *r = ev->r;
    int64_t sum = r->base, running = r->base, ceiling = CIVIC_FOREVER;
    memset(ev->dims, 0, r->dimension_count * sizeof(int64_t));
    out->flag_count = 0;
    out->group = group_of(ev, n);
    for (size_t i = 0; i < n; i++) {
        const civic_item *it = &ev->items[i];
        if (!(it->flags & CIVIC_ITEM_ACTIVE)) continue;
        const civic_rule *v = it->v;
        if (v->affects & CIVIC_AFFECTS_SCORE) {
            if (!civic__add_checked(sum, it->counted, &sum)) return CIVIC_E_OVERFLOW;
            if (!civic__add_checked(running, it->counted, &running)) return CIVIC_E_OVERFLOW;
            running = clamp(r, running);
        }
        if (!civic__add_checked(ev->dims[v->dimension], it->counted, &ev->dims[v->dimension]))
            return CIVIC_E_OVERFLOW;
        if (v->ceiling < ceiling && it->corrected > ev->as_of) ceiling = v->ceiling;
        if (v->flag != UINT32_MAX && ev->flag_marks[v->flag] != ev->stamp) {
            ev->flag_marks[v->flag] = ev->stamp;
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

/* ------------------------------------------------------------ tiers */

static bool tier_has_rule(const civic_tier *t, uint32_t rule)
{
    size_t lo = 0, hi = t->rule_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (t->rules[mid] == rule) return true;
        if (t->rules[mid] < rule) lo = mid + 1;
        else hi = mid;
    }
    return false;
}

/* Is eff inside the tier's window at T (SPEC 11.1)? */
static bool in_window(const civic_eval *ev, const civic_tier *t, int64_t eff)
{
    static const uint8_t periods[] = { CIVIC_PERIOD_LIFETIME, CIVIC_PERIOD_YEAR,
                                       CIVIC_PERIOD_QUARTER, CIVIC_PERIOD_MONTH };
    int32_t off = ev->r->utc_offset;
    if (t->window == CIVIC_WINDOW_LIFETIME) return true;
    if (t->window == CIVIC_WINDOW_ROLLING)
        return civic__duration_end(&t->rolling, eff, off) > ev->as_of;
    uint8_t p = periods[t->window];
    return civic__period_bucket(p, eff, off) == civic__period_bucket(p, ev->as_of, off);
}

static int tier_value(const civic_eval *ev, const civic_tier *t, size_t n, int64_t *out)
{
    int64_t sum = 0;
    for (size_t i = 0; i < n; i++) {
        const civic_item *it = &ev->items[i];
        /* a frozen addition adds nothing to tiers either (SPEC 9.5) */
        if (!civic__type_is_rule(it->type) || (it->flags & (CIVIC_ITEM_GONE | CIVIC_ITEM_FROZEN)) ||
            !tier_has_rule(t, it->type) || !in_window(ev, t, it->eff))
            continue;
        if (!civic__add_checked(sum, t->measure == CIVIC_TIER_QTY ? it->qty : it->counted, &sum))
            return CIVIC_E_OVERFLOW;
    }
    *out = sum;
    return CIVIC_OK;
}

static bool measure_applies(const civic_eval *ev, const civic_measure *m, const civic_answer *a)
{
    if (m->has_grades && !(m->grades >> a->grade & 1u)) return false;
    if (m->flag != CIVIC_NONE && ev->flag_marks[m->flag] != ev->stamp) return false;
    if (m->tier != CIVIC_NONE &&
        (ev->tier_level[m->tier] == CIVIC_LEVEL_NONE || ev->tier_level[m->tier] < m->min_level))
        return false;
    if (m->has_min_score && a->score < m->min_score) return false;
    if (m->has_max_score && a->score > m->max_score) return false;
    return true;
}

/* Tiers (11.1) and measures (11.2) of the subject just summarized. */
static int outputs(civic_eval *ev, size_t n, civic_answer *out)
{
    const civic_rules *r = ev->r;
    out->measure_count = 0;
    for (uint32_t t = 0; t < r->tier_count; t++) {
        const civic_tier *tier = &r->tiers[t];
        int rc = tier_value(ev, tier, n, &ev->tier_value[t]);
        if (rc != CIVIC_OK) return rc;
        uint32_t level = CIVIC_LEVEL_NONE;
        for (uint32_t l = 0; l < tier->level_count; l++)
            if (tier->levels[l].min <= ev->tier_value[t]) level = l;
        ev->tier_level[t] = level;
    }
    for (uint32_t m = 0; m < r->measure_count; m++) {
        ev->measure_on[m] = measure_applies(ev, &r->measures[m], out);
        out->measure_count += ev->measure_on[m];
    }
    return CIVIC_OK;
}

/* ------------------------------------------------------------ entry point */

int civic__eval_subject(civic_eval *ev, const uint32_t *events, size_t n, civic_answer *out)
{
    const civic_engine *e = ev->e;
    if (civic__grow(&e->alc, (void **)&ev->items, &ev->item_cap, nz(n), sizeof(civic_item)) !=
        CIVIC_OK)
        return CIVIC_E_NOMEM;
    unsigned seen;
    size_t m = gather(ev, events, n, &seen);
    sort_items(ev->items, m);
    next_stamp(ev);
    int rc = before_fold(ev, m, seen);
    if (rc != CIVIC_OK) return rc;
    fold_state fs = { 0, 0, false, 0, INT64_MIN };
    if ((rc = fold(ev, m, &fs)) != CIVIC_OK) return rc;
    out->balance = balance_at(ev, &fs, m);
    out->archived = 0;
    if (ev->r->any_retain)
        for (size_t i = 0; i < m; i++) out->archived += (ev->items[i].flags & CIVIC_ITEM_ARCHIVED) != 0;
    out->events = m - out->archived;
    out->item_count = m;
    if ((rc = summarize(ev, m, out)) != CIVIC_OK) return rc;
    return outputs(ev, m, out);
}
