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

/* civic__add_checked, inline: the fold and the summary add for every event. */
static inline bool add_ok(int64_t a, int64_t b, int64_t *out)
{
    return !__builtin_add_overflow(a, b, out);
}

/* ------------------------------------------------------------ scratch */

/* Every instant an answer compares T with lies within these bounds: event
 * times lie in CIVIC_TIME_MIN..MAX, and an end, a window or a publicity
 * adds at most 10,000 years to one of them, a few times over.  So every T
 * past the upper bound gives the answer T = the bound gives (and before
 * the lower one, that of the lower one): T is answered there, where T plus
 * a utc_offset and the calendar cannot overflow and T never meets
 * CIVIC_FOREVER, the end that never comes. */
#define AS_OF_LATEST (CIVIC_TIME_MAX + INT64_C(100000) * 366 * 86400)
#define AS_OF_EARLIEST (CIVIC_TIME_MIN - 2 * 86400)

int civic__eval_init(civic_eval *ev, const civic_engine *e, int64_t as_of, bool want_items)
{
    const civic_rules *r = e->rules;
    const civic_allocator *a = &e->alc;
    size_t ncat = nz(r->category_count), nslot = nz(r->own_slot_count), ncap = nz(r->cap_count);
    size_t ntier = nz(r->tier_count), nmeasure = nz(r->measure_count);
    memset(ev, 0, sizeof(*ev));
    ev->e = e;
    ev->r = r;
    ev->as_of = as_of > AS_OF_LATEST ? AS_OF_LATEST
              : as_of < AS_OF_EARLIEST ? AS_OF_EARLIEST : as_of;
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
    ev->measure_list = civic__malloc(a, nmeasure * sizeof(uint32_t));
    if (!ev->cat_end || !ev->cat_stamp || !ev->slot_caps || !ev->shared_caps || !ev->dims ||
        !ev->flag_marks || !ev->tier_value || !ev->tier_level || !ev->measure_on ||
        !ev->measure_list) {
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
    civic__free(a, ev->measure_list, nmeasure * sizeof(uint32_t));
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

/* Ties of eff are rare: the ids, bytewise, are compared out of line
 * (civic__id_compare). */
static inline int item_compare(const civic_item *a, const civic_item *b)
{
    if (a->eff != b->eff) return a->eff < b->eff ? -1 : 1;
    return civic__id_compare(a->id, b->id);
}

static int item_qsort(const void *a, const void *b) { return item_compare(a, b); }

/* How far back an item may be inserted; one that belongs further back is
 * set aside. */
#define SORT_NEAR 32

/* Merge the k sorted items of late (from the end) into items[0, n - k). */
static void merge_late(civic_item *items, size_t n, const civic_item *late, size_t k)
{
    for (size_t a = n - k, b = k, out = n; b > 0;) {
        if (a > 0 && item_compare(&items[a - 1], &late[b - 1]) > 0) items[--out] = items[--a];
        else items[--out] = late[--b];
    }
}

/* Sort items[from, n) into the sorted items[0, from): an item that
 * belongs more than SORT_NEAR places back (a late arrival, by weeks, of a
 * busy subject, which would move past thousands) is set aside; the few set
 * aside are sorted alone and merged back from the end.  Linear for such
 * logs, n log n at worst. */
static void sort_rest(civic_eval *ev, civic_item *items, size_t n, size_t from)
{
    civic_item *late = NULL;
    size_t w = from, k = 0; /* items[0, w) sorted; k set aside */
    for (size_t i = from; i < n; i++) {
        if (w == 0 || item_compare(&items[w - 1], &items[i]) <= 0) {
            if (w != i) items[w] = items[i];
            w++;
            continue;
        }
        civic_item x = items[i];
        if (w > SORT_NEAR && item_compare(&items[w - 1 - SORT_NEAR], &x) > 0) {
            if (!late && civic__grow(&ev->e->alc, (void **)&ev->scratch, &ev->scratch_cap,
                                     (n - i) * sizeof(civic_item), 1) == CIVIC_OK)
                late = (civic_item *)(void *)ev->scratch;
            if (late) {
                late[k++] = x;
                continue;
            }
        }
        size_t j = w;
        while (j > 0 && item_compare(&items[j - 1], &x) > 0) {
            items[j] = items[j - 1];
            j--;
        }
        items[j] = x;
        w++;
    }
    if (k > 1) qsort(late, k, sizeof(*late), item_qsort);
    if (k) merge_late(items, n, late, k);
}

/* Logs are mostly in time order, so a subject's events come nearly sorted:
 * insertion sort, which is linear then, with a budget of moves after which
 * sort_rest takes over. */
static void sort_items(civic_eval *ev, civic_item *items, size_t n)
{
    size_t budget = n <= 24 ? SIZE_MAX : 2 * n;
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
            sort_rest(ev, items, n, i + 1);
            return;
        }
        budget -= i - j;
    }
}

/* Position of the item with this (eff, id), or SIZE_MAX. */
static size_t find_item(const civic_item *items, size_t n, int64_t eff, civic_id_view id)
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
static int64_t published_eff(const civic_rules *r, const civic_ev *x)
{
    const civic_rule *life = civic__rule_version_at(r, x->type, x->ts);
    return life->has_publicity ? civic__duration_end(&life->publicity, x->ts, r->utc_offset)
                               : x->ts;
}

/* Inline: gather asks it for every event, and without publicity (most
 * schemes) the answer is ts. */
static inline int64_t event_eff(const civic_rules *r, const civic_ev *x)
{
    if (!r->any_publicity || !civic__type_is_rule(x->type)) return x->ts;
    return published_eff(r, x);
}

static void item_init(const civic_eval *ev, civic_item *it, uint32_t index)
{
    const civic_engine *e = ev->e;
    const civic_rules *r = ev->r;
    const civic_ev *x = &e->events[index];
    it->ts = x->ts;
    it->eff = event_eff(r, x);
    it->id = civic__ev_id_view(e, x);
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

/* A record is 32 bytes, 32-byte aligned: one cache line. */
static inline void prefetch_event(const civic_engine *e, uint32_t i)
{
    __builtin_prefetch(&e->events[i]);
}

/* The subject's events with ts <= T into ev->items; *seen: SEEN_* bits. */
static size_t gather(civic_eval *ev, const uint32_t *events, size_t n, unsigned *seen)
{
    const civic_engine *e = ev->e;
    size_t m = 0;
    /* A subject's events lie far apart: fetch early.  Eight ahead left the
     * loop waiting on memory at 10M events (24: all subjects 15 % sooner). */
    const size_t ahead = 24;
    *seen = 0;
    ev->next_ts = INT64_MAX;
    for (size_t i = 0; i < ahead && i < n; i++) prefetch_event(e, events[i]);
    for (size_t i = 0; i < n; i++) {
        if (i + ahead < n) prefetch_event(e, events[i + ahead]);
        const civic_ev *x = &e->events[events[i]];
        if (x->ts > ev->as_of) {
            if (x->ts < ev->next_ts) ev->next_ts = x->ts;
            continue;
        }
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
    size_t at = find_item(ev->items, n, event_eff(ev->r, y), civic__ev_id_view(e, y));
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
static inline int raw_of(const civic_rule *v, int64_t qty, int64_t *raw)
{
    if (!v->per_unit) { /* civic__rule_raw's first case, without the call */
        *raw = v->points;
        return CIVIC_OK;
    }
    return civic__rule_raw(v, qty, raw) ? CIVIC_OK : CIVIC_E_OVERFLOW;
}

typedef struct act_member {
    int64_t ts;
    civic_id_view id;
    uint32_t act;
    uint32_t item;
} act_member;

static int member_compare(const void *a, const void *b)
{
    const act_member *x = a, *y = b;
    if (x->act != y->act) return x->act < y->act ? -1 : 1;
    if (x->ts != y->ts) return x->ts < y->ts ? -1 : 1;
    return civic__id_compare(x->id, y->id);
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

/* One generation of an act, not archived: one member counts.  kept: the
 * member whose retention ends last, noted on the one that counts. */
static int merge_generation(civic_eval *ev, const act_member *m, size_t k, uint32_t kept)
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
    if (best != CIVIC_NONE) items[best].merged_with = kept;
    return CIVIC_OK;
}

int64_t civic__retained_until(const civic_rules *r, const civic_item *x)
{
    if (!r->any_retain) return CIVIC_FOREVER;
    const civic_rule *life = civic__rule_version_at(r, x->type, x->ts);
    return life->has_retain ? civic__duration_end(&life->retain, x->ts, r->utc_offset)
                            : CIVIC_FOREVER;
}

/* The members of one act, by (ts, id): cut into generations at each
 * archival instant t* (SPEC 9.4); archived generations are archived whole,
 * the others merged.  Members of an act a purge removed, dated at or before
 * its t*, are archived on arrival (SPEC 10.4): they lead the order, and the
 * generations are cut among the members after them only. */
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
    uint32_t kept = CIVIC_NONE; /* the member whose retention ends at until */
    for (size_t j = first; j < k; j++) {
        int64_t u = civic__retained_until(ev->r, &ev->items[m[j].item]);
        if (u > until || kept == CIVIC_NONE) {
            until = u;
            kept = m[j].item;
        }
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
            int rc = merge_generation(ev, m + first, j + 1 - first, kept);
            if (rc != CIVIC_OK) return rc;
        }
        first = j + 1;
        until = INT64_MIN;
        kept = CIVIC_NONE;
    }
    return first < k ? merge_generation(ev, m + first, k - first, kept) : CIVIC_OK;
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
 * dated at or after that event and no later than the H of that purge (not
 * the engine's horizon: a later purge must not change what it answered). */
static void archive_at_tomb(civic_eval *ev, civic_item *p)
{
    const civic_engine *e = ev->e;
    const civic_ev *x = &e->events[p->ev];
    const char *ref = civic__ev_ref(e, x);
    const civic_tomb *t = civic__tomb_find(e, ref, civic__lp_len(ref));
    if (t && t->subject == x->subject && p->ts >= t->ts && p->ts <= t->horizon)
        p->flags |= CIVIC_ITEM_ARCHIVED;
}

/* Retention (SPEC 10.4): rule events without an act, then everything that
 * points at an archived event from the same moment or later; a pointer
 * dated before its archived target is dangling.  Each chain of pointers is
 * walked once, to where it ends and back: a pass over the items moved the
 * mark one link, so a chain against the (eff, id) order took its length
 * squared (39 s for 128,000 revokes, on every question). */
static int archive(civic_eval *ev, size_t n, const uint32_t *target)
{
    civic_item *items = ev->items;
    if (target && ev->e->tombs.count)
        for (size_t i = 0; i < n; i++)
            if (civic__type_has_ref(items[i].type) && target[i] == CIVIC_NONE)
                archive_at_tomb(ev, &items[i]);
    size_t pointers = 0;
    for (size_t i = 0; i < n; i++) {
        civic_item *x = &items[i];
        if (civic__type_is_rule(x->type) && x->act == CIVIC_NONE &&
            civic__retained_until(ev->r, x) <= ev->as_of)
            x->flags |= CIVIC_ITEM_ARCHIVED;
        pointers += civic__type_has_ref(x->type) && !(x->flags & CIVIC_ITEM_ARCHIVED);
    }
    if (!pointers || !target) return CIVIC_OK; /* no target: gather saw no pointer */
    size_t bytes = pointers * sizeof(uint32_t) + n;
    uint32_t *path = civic__malloc(&ev->e->alc, bytes);
    if (!path) return CIVIC_E_NOMEM;
    uint8_t *walked = (uint8_t *)(path + pointers); /* 1: on this walk, 2: settled */
    memset(walked, 0, n);
    for (size_t i = 0; i < n; i++) {
        size_t k = 0;
        for (uint32_t j = (uint32_t)i; j != CIVIC_NONE && !walked[j] &&
                                       civic__type_has_ref(items[j].type) &&
                                       !(items[j].flags & CIVIC_ITEM_ARCHIVED);
             j = target[j]) {
            walked[j] = 1;
            path[k++] = j;
        }
        while (k) { /* from the chain's end: each target is settled before its pointers */
            uint32_t at = path[--k], t = target[at];
            civic_item *p = &items[at];
            walked[at] = 2;
            if (t == CIVIC_NONE || !(items[t].flags & CIVIC_ITEM_ARCHIVED)) continue;
            if (p->ts >= items[t].ts) p->flags |= CIVIC_ITEM_ARCHIVED;
            else p->state = CIVIC_STATE_DANGLING;
        }
    }
    civic__free(&ev->e->alc, path, bytes);
    return CIVIC_OK;
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
    if (rc == CIVIC_OK && r->any_retain) rc = archive(ev, n, target);
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
__extension__ typedef __int128 cap_wide;

static cap_wide cap_used(const civic_cap_use *u)
{
    cap_wide v;
    memcpy(&v, u->used, sizeof(v));
    return v;
}

static void cap_set_used(civic_cap_use *u, cap_wide v) { memcpy(u->used, &v, sizeof(v)); }

static int64_t cap_take(cap_claim *claims, size_t n, uint32_t stamp, int64_t raw)
{
    /* In 128 bits: a net total of many large deductions passes 2^63, and
     * the room is then vast, not wrapped; |raw| <= 2^60, so no number of
     * events a subject can hold fills 128 bits. */
    cap_wide room = raw < 0 ? -(cap_wide)raw : raw;
    for (size_t i = 0; i < n; i++) {
        civic_cap_use *u = claims[i].use;
        if (u->stamp != stamp || u->bucket != claims[i].bucket) {
            u->stamp = stamp;
            u->bucket = claims[i].bucket;
            cap_set_used(u, 0);
        }
        if (claims[i].mode == CIVIC_CAP_NET && raw <= 0) continue;
        cap_wide left = (cap_wide)claims[i].limit - cap_used(u);
        if (left < room) room = left;
    }
    if (room < 0) room = 0;
    int64_t counted = raw < 0 ? -(int64_t)room : (int64_t)room; /* room <= |raw| */
    for (size_t i = 0; i < n; i++) {
        civic_cap_use *u = claims[i].use;
        cap_set_used(u, cap_used(u) + (claims[i].mode == CIVIC_CAP_NET ? counted : (int64_t)room));
    }
    return counted;
}

/* The fold's calendar: the local day of the item being folded and the
 * bucket of every period on it.  Items come in time order, so the civil
 * date is carried over within a month rather than converted for each new
 * day: a subject pays one conversion per month, not one per day and
 * period.  The buckets are civic__period_bucket_on's, period by period. */
typedef struct fold_day {
    civic_day day;
    int64_t bucket[CIVIC_PERIOD_LIFETIME + 1];
    int64_t month_first, month_last;   /* local days of day's month */
} fold_day;

static void fold_day_init(fold_day *f)
{
    memset(f, 0, sizeof(*f));
    f->day.days = INT64_MIN;
    f->month_first = INT64_MAX;
    f->month_last = INT64_MIN;
}

/* Step f to the month after its own when days lies in it (items come in
 * time order, so a new month is most often the next one): the month's
 * bounds from its length alone, without the civil date's divisions. */
static bool fold_next_month(fold_day *f, int64_t days)
{
    civic_day *d = &f->day;
    if (f->month_last == INT64_MIN || days <= f->month_last) return false; /* no month yet */
    int month = d->month == 12 ? 1 : d->month + 1;
    int64_t year = d->year + (d->month == 12);
    int64_t first = f->month_last + 1, last = first + civic__days_in_month(year, month) - 1;
    if (days > last) return false;
    d->year = year;
    d->month = month;
    d->mday = (int)(days - first) + 1;
    f->month_first = first;
    f->month_last = last;
    return true;
}

static void fold_day_set(fold_day *f, int64_t days)
{
    civic_day *d = &f->day;
    d->days = days;
    if (days >= f->month_first && days <= f->month_last) {
        d->mday = (int)(days - f->month_first) + 1;
    } else {
        if (!fold_next_month(f, days)) {
            civic__civil_from_days(days, &d->year, &d->month, &d->mday);
            f->month_first = days - (d->mday - 1);
            f->month_last = f->month_first + civic__days_in_month(d->year, d->month) - 1;
        }
        f->bucket[CIVIC_PERIOD_MONTH] = d->year * 12 + (d->month - 1);
        f->bucket[CIVIC_PERIOD_QUARTER] = d->year * 4 + (d->month - 1) / 3;
        f->bucket[CIVIC_PERIOD_YEAR] = d->year;
    }
    d->civil = true;
    f->bucket[CIVIC_PERIOD_DAY] = days;
    f->bucket[CIVIC_PERIOD_WEEK] = civic__floor_div(days + 3, 7); /* weeks start Monday */
}

/* counted for raw under v's own cap and v's cap group. */
static int64_t take_caps(civic_eval *ev, const civic_rule *v, int64_t raw, const fold_day *fd,
                         uint32_t *flags)
{
    const civic_rules *r = ev->r;
    cap_claim claims[2];
    size_t n = 0;
    if (v->cap >= 0)
        claims[n++] = (cap_claim){ &ev->slot_caps[v->own_slot], v->cap,
                                   fd->bucket[v->cap_period], v->cap_mode };
    if (v->cap_group != CIVIC_NO_CAP) {
        const civic_cap *c = &r->caps[v->cap_group];
        claims[n++] = (cap_claim){ &ev->shared_caps[v->cap_group], c->limit,
                                   fd->bucket[c->period], c->mode };
    }
    if (!n) return raw;
    int64_t counted = cap_take(claims, n, ev->stamp, raw);
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
static void balance_period(civic_eval *ev, fold_state *fs, const fold_day *fd, size_t i)
{
    int64_t p = fd->bucket[ev->r->balance_reset];
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
    if (!add_ok(fs->balance, part, &next)) return CIVIC_E_OVERFLOW;
    if (r->has_balance_min && part < 0 && next < r->balance_min) {
        part = r->balance_min - fs->balance;
        next = r->balance_min;
        it->flags |= CIVIC_ITEM_FLOORED;
    }
    fs->balance = next;
    it->to_balance = part;
    return CIVIC_OK;
}

static void fold_redeem(civic_eval *ev, fold_state *fs, civic_item *it, const fold_day *fd,
                        size_t i)
{
    const civic_rules *r = ev->r;
    int64_t amount = it->qty / 10;
    it->raw = -amount;
    if (it->flags & CIVIC_ITEM_REVOKED) {
        it->state = CIVIC_STATE_REVOKED;
        return;
    }
    balance_period(ev, fs, fd, i);
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

/* The end of validity of an event taking effect at eff: the common
 * durations inline, the calendar ones through time.c. */
static inline int64_t validity_end(const civic_rules *r, const civic_rule *v, int64_t raw,
                                   int64_t eff, fold_day *fd)
{
    const civic_duration *d =
        v->valid.kind == CIVIC_DUR_SEVERITY ? civic__rule_validity(r, v, raw) : &v->valid;
    if (d->kind == CIVIC_DUR_FOREVER) return CIVIC_FOREVER;
    if (d->kind == CIVIC_DUR_DAYS) return eff + d->n * 86400;
    return civic__duration_end_on(d, eff, r->utc_offset, &fd->day);
}

static int fold_rule(civic_eval *ev, fold_state *fs, civic_item *it, fold_day *fd, size_t i)
{
    const civic_rules *r = ev->r;
    const civic_rule *v = it->v;
    int64_t raw;
    int rc = raw_of(v, it->qty, &raw);
    if (rc == CIVIC_OK) rc = escalate(ev, it, &raw);
    if (rc != CIVIC_OK) return rc;
    int64_t valid_end = validity_end(r, v, raw, it->eff, fd);
    it->end = it->repair < valid_end ? it->repair : valid_end;
    it->raw = raw;
    if (raw > 0 && fs->freeze_until > it->eff) {
        it->flags |= CIVIC_ITEM_FROZEN;
        it->counted = 0;
    } else {
        it->counted = take_caps(ev, v, raw, fd, &it->flags);
    }
    if (it->end > ev->cat_end[v->category]) ev->cat_end[v->category] = it->end;
    if (v->freeze) {
        int64_t until = it->end < it->corrected ? it->end : it->corrected;
        if (until > fs->freeze_until) fs->freeze_until = until;
    }
    if (v->affects & CIVIC_AFFECTS_BALANCE) {
        balance_period(ev, fs, fd, i);
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
    fold_day fd;
    fold_day_init(&fd);
    for (size_t i = 0; i < n; i++) {
        civic_item *it = &ev->items[i];
        if (civic__type_has_ref(it->type)) continue;
        if (it->type != CIVIC_TYPE_REDEEM && (it->flags & CIVIC_ITEM_GONE)) {
            if (fold_gone(it) != CIVIC_OK) return CIVIC_E_OVERFLOW;
            continue;
        }
        int64_t days = civic__floor_div(it->eff + ev->r->utc_offset, 86400);
        if (days != fd.day.days) fold_day_set(&fd, days);
        if (it->type == CIVIC_TYPE_REDEEM) {
            fold_redeem(ev, fs, it, &fd, i);
            continue;
        }
        int rc = fold_rule(ev, fs, it, &fd, i);
        if (rc != CIVIC_OK) return rc;
    }
    return CIVIC_OK;
}

/* Only the balance period of T counts: what earlier periods added is gone. */
static bool balance_current(const civic_eval *ev, bool seen, int64_t period)
{
    return seen &&
           period == civic__period_bucket(ev->r->balance_reset, ev->as_of, ev->r->utc_offset);
}

static int64_t balance_at(civic_eval *ev, const fold_state *fs, size_t n)
{
    bool current = balance_current(ev, fs->balance_seen, fs->balance_period);
    size_t stale = current ? fs->period_first : n;
    /* only a record shows what each event did to the balance */
    for (size_t i = 0; ev->want_items && i < stale; i++) ev->items[i].to_balance = 0;
    return current ? fs->balance : 0;
}

/* ------------------------------------------------------------ step 6 */

static int64_t clamp(const civic_rules *r, int64_t s)
{
    if (s < r->min) return r->min;
    if (s > r->max) return r->max;
    return s;
}

/* Group (SPEC 10.6): the last, in (ts, id) order, of the rule events and
 * redeems that carry one and are neither revoked nor archived. */
static uint32_t group_of(const civic_eval *ev, size_t n)
{
    if (!ev->e->group_count) return CIVIC_NONE; /* the engine holds none: no event has one */
    const civic_item *best = NULL;
    for (size_t i = 0; i < n; i++) {
        const civic_item *x = &ev->items[i];
        if (civic__type_has_ref(x->type) || x->group == CIVIC_NONE ||
            (x->flags & (CIVIC_ITEM_REVOKED | CIVIC_ITEM_ARCHIVED)))
            continue;
        if (!best || x->ts > best->ts || (x->ts == best->ts && civic__id_compare(x->id, best->id) > 0))
            best = x;
    }
    return best ? best->group : CIVIC_NONE;
}

/* Steps 5-9 of SPEC 4, one active event at a time: the evaluation's items
 * and a cached fold's rows go through the same code, so their answers
 * cannot differ. */
typedef struct score_acc {
    int64_t sum, running, ceiling;
} score_acc;

static void score_begin(civic_eval *ev, score_acc *acc, civic_answer *out)
{
    const civic_rules *r = ev->r;
    acc->sum = acc->running = r->base;
    acc->ceiling = CIVIC_FOREVER;
    memset(ev->dims, 0, r->dimension_count * sizeof(int64_t));
    out->flag_count = 0;
}

static inline int score_add(civic_eval *ev, score_acc *acc, const civic_rule *v, int64_t counted,
                            int64_t corrected, civic_answer *out)
{
    const civic_rules *r = ev->r;
    if (v->affects & CIVIC_AFFECTS_SCORE) {
        if (!add_ok(acc->sum, counted, &acc->sum)) return CIVIC_E_OVERFLOW;
        if (!add_ok(acc->running, counted, &acc->running)) return CIVIC_E_OVERFLOW;
        acc->running = clamp(r, acc->running);
    }
    if (!add_ok(ev->dims[v->dimension], counted, &ev->dims[v->dimension]))
        return CIVIC_E_OVERFLOW;
    if (v->ceiling < acc->ceiling && corrected > ev->as_of) acc->ceiling = v->ceiling;
    if (v->flag != UINT32_MAX && ev->flag_marks[v->flag] != ev->stamp) {
        ev->flag_marks[v->flag] = ev->stamp;
        out->flag_count++;
    }
    return CIVIC_OK;
}

static void score_end(const civic_eval *ev, const score_acc *acc, civic_answer *out)
{
    const civic_rules *r = ev->r;
    int64_t score = r->clamp == CIVIC_CLAMP_RUNNING ? acc->running : clamp(r, acc->sum);
    if (score > acc->ceiling) score = acc->ceiling;
    out->score = score;
    out->ceiling = acc->ceiling;
    out->grade = civic__grade_of(r, score);
}

/* Steps 5-9 of SPEC 4 over the active items. */
static int summarize(civic_eval *ev, size_t n, civic_answer *out)
{
    score_acc acc;
    score_begin(ev, &acc, out);
    out->group = group_of(ev, n);
    for (size_t i = 0; i < n; i++) {
        const civic_item *it = &ev->items[i];
        if (!(it->flags & CIVIC_ITEM_ACTIVE)) continue;
        int rc = score_add(ev, &acc, it->v, it->counted, it->corrected, out);
        if (rc != CIVIC_OK) return rc;
    }
    score_end(ev, &acc, out);
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

static int tier_value(const civic_eval *ev, const civic_tier *t, size_t n, const civic_fold *f,
                      int64_t *out)
{
    int64_t sum = 0;
    for (size_t i = 0; f && i < f->tier_row_count; i++) { /* a fold's rows: these items */
        const civic_tier_row *x = &f->tier_rows[i];
        if (!tier_has_rule(t, x->type) || !in_window(ev, t, x->eff)) continue;
        if (!add_ok(sum, t->measure == CIVIC_TIER_QTY ? x->qty : x->counted, &sum))
            return CIVIC_E_OVERFLOW;
    }
    for (size_t i = 0; !f && i < n; i++) {
        const civic_item *it = &ev->items[i];
        /* a frozen addition adds nothing to tiers either (SPEC 9.5) */
        if (!civic__type_is_rule(it->type) || (it->flags & (CIVIC_ITEM_GONE | CIVIC_ITEM_FROZEN)) ||
            !tier_has_rule(t, it->type) || !in_window(ev, t, it->eff))
            continue;
        if (!add_ok(sum, t->measure == CIVIC_TIER_QTY ? it->qty : it->counted, &sum))
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

/* Measure m applies to the subject just summarized. */
static void measure_set(civic_eval *ev, uint32_t m)
{
    ev->measure_on[m] = 1;
    ev->measure_list[ev->measure_listed++] = m;
}

/* Every measure of group k (see civic_rules) whose key is at most bound and
 * that applies. */
static void measure_scan(civic_eval *ev, size_t k, bool by_level, int64_t bound,
                         const civic_answer *a)
{
    const civic_rules *r = ev->r;
    for (uint32_t i = r->measure_group[k]; i < r->measure_group[k + 1]; i++) {
        uint32_t m = r->measure_by[i];
        const civic_measure *x = &r->measures[m];
        int64_t key = by_level ? (int64_t)x->min_level
                               : x->has_min_score ? x->min_score : INT64_MIN;
        if (key > bound) break; /* sorted by key: none further applies */
        if (measure_applies(ev, x, a)) measure_set(ev, m);
    }
}

/* The measures that apply, through the groups: those of the score alone,
 * of the subject's grade, of each flag it carries and of each tier level
 * it reached, rather than all M of the scheme. */
static void measures_all(civic_eval *ev, const civic_answer *a)
{
    const civic_rules *r = ev->r;
    size_t grades = r->grade_count, flags = r->flag_count;
    const uint32_t *g = r->measure_group;
    measure_scan(ev, 0, false, a->score, a);
    measure_scan(ev, 1 + a->grade, false, a->score, a);
    for (uint32_t f = 0; f < flags; f++)
        if (g[1 + grades + f] != g[2 + grades + f] && ev->flag_marks[f] == ev->stamp)
            measure_scan(ev, 1 + grades + f, false, a->score, a);
    for (uint32_t t = 0; t < r->tier_count; t++)
        if (g[1 + grades + flags + t] != g[2 + grades + flags + t] &&
            ev->tier_level[t] != CIVIC_LEVEL_NONE)
            measure_scan(ev, 1 + grades + flags + t, true, (int64_t)ev->tier_level[t], a);
}

/* Tiers (11.1) and measures (11.2) of the subject just summarized (from
 * the items, or from fold f's rows). */
static int outputs(civic_eval *ev, size_t n, const civic_fold *f, civic_answer *out)
{
    const civic_rules *r = ev->r;
    out->measure_count = 0;
    for (uint32_t t = 0; t < r->tier_count; t++) {
        const civic_tier *tier = &r->tiers[t];
        int rc = tier_value(ev, tier, n, f, &ev->tier_value[t]);
        if (rc != CIVIC_OK) return rc;
        uint32_t level = CIVIC_LEVEL_NONE;
        for (uint32_t l = 0; l < tier->level_count; l++)
            if (tier->levels[l].min <= ev->tier_value[t]) level = l;
        ev->tier_level[t] = level;
    }
    /* the last subject's measures, off: measure_on is all 0 between subjects */
    for (uint32_t i = 0; i < ev->measure_listed; i++) ev->measure_on[ev->measure_list[i]] = 0;
    ev->measure_listed = 0;
    if (ev->measures_wanted == CIVIC_EVAL_MEASURES_ONE) {
        uint32_t m = ev->measure_one;
        CIVIC_ASSERT(m < r->measure_count);
        if (measure_applies(ev, &r->measures[m], out)) measure_set(ev, m);
    } else if (ev->measures_wanted == CIVIC_EVAL_MEASURES_ALL && r->measure_count) {
        measures_all(ev, out);
    }
    out->measure_count = ev->measure_listed;
    return CIVIC_OK;
}

/* ------------------------------------------------------------ entry point */

/* Grown subject by subject, the items doubled their way up to the busiest
 * subject's size (219k events, 25 MB, on the lean 10M log), each step a
 * copy onto fresh pages faulted in 4 KiB at a time.  Made once here, with
 * huge pages. */
int civic__eval_reserve(civic_eval *ev, size_t n)
{
    const civic_allocator *a = &ev->e->alc;
    if (n <= ev->item_cap) return CIVIC_OK;
    if (n > SIZE_MAX / sizeof(civic_item)) return CIVIC_E_NOMEM;
    civic_item *items = civic__malloc(a, n * sizeof(civic_item));
    if (!items) return CIVIC_E_NOMEM;
    civic__advise_random(a, items, n * sizeof(civic_item));
    civic__free(a, ev->items, ev->item_cap * sizeof(civic_item));
    ev->items = items;
    ev->item_cap = n;
    return CIVIC_OK;
}

int civic__eval_subject(civic_eval *ev, const uint32_t *events, size_t n, civic_answer *out)
{
    const civic_engine *e = ev->e;
    if (civic__grow(&e->alc, (void **)&ev->items, &ev->item_cap, nz(n), sizeof(civic_item)) !=
        CIVIC_OK)
        return CIVIC_E_NOMEM;
    unsigned seen;
    size_t m = gather(ev, events, n, &seen);
    sort_items(ev, ev->items, m);
    next_stamp(ev);
    int rc = before_fold(ev, m, seen);
    if (rc != CIVIC_OK) return rc;
    fold_state fs = { 0, 0, false, 0, INT64_MIN };
    if ((rc = fold(ev, m, &fs)) != CIVIC_OK) return rc;
    out->balance = balance_at(ev, &fs, m);
    ev->fold_balance = fs.balance;
    ev->fold_period = fs.balance_period;
    ev->fold_seen = fs.balance_seen;
    out->archived = 0;
    if (ev->r->any_retain)
        for (size_t i = 0; i < m; i++) out->archived += (ev->items[i].flags & CIVIC_ITEM_ARCHIVED) != 0;
    out->events = m - out->archived;
    out->item_count = m;
    if ((rc = summarize(ev, m, out)) != CIVIC_OK) return rc;
    return outputs(ev, m, NULL, out);
}

/* ------------------------------------------------------------ the fold cache
 *
 * What of an evaluation at T another query may reuse, and for which T'.
 * Steps 1-5 but the state of each rule event (active, expired, repaired)
 * read T only through comparisons x <= T (or x > T), for x in
 *   - the ts of every event of the subject (which are kept, by gather; a
 *     pointer's target is one of them, in target_of): the kept ones' ts are
 *     <= T, and gather notes the earliest of the others (next_ts),
 *   - the `from` of every rule change (the version of an event, SPEC 9.1),
 *   - the eff of every kept event (pending, 10.1),
 *   - the end of retention of every kept rule event (archival, of acts as a
 *     whole too: an act's t* is one of its members' ends; 10.4).
 * With lo the largest such x <= T and hi the smallest x > T, every one of
 * those comparisons comes out the same for any T' in [lo, hi), so the kept
 * events, their order, flags, versions, raw, counted, end, corrected and
 * the balance fold are those of T.  The rest reads T' itself and is
 * recomputed from them: an event is active iff T' < end (and then counts
 * exactly as in summarize), the ceiling's corrected > T', the balance
 * period of T', tier windows, measures.  Events with end <= lo are active
 * at no such T' and are left out of the rows.  The purge state and the
 * subject's events are the fold's key (cache.c), not this function's.
 * (The purge's act_archived callback is called only by purge.c's own
 * evaluations, which do not use folds.)  tests/test_cache.c catches each
 * kind of x left out of the span. */

static void narrow(int64_t x, int64_t t, int64_t *lo, int64_t *hi)
{
    if (x <= t) {
        if (x > *lo) *lo = x;
    } else if (x < *hi) {
        *hi = x;
    }
}

static void fold_span(const civic_eval *ev, size_t m, int64_t *lo, int64_t *hi)
{
    const civic_rules *r = ev->r;
    int64_t t = ev->as_of;
    *lo = INT64_MIN;
    *hi = ev->next_ts; /* the earliest ts of the events left out (gather) */
    for (size_t i = 0; i < m; i++) narrow(ev->items[i].ts, t, lo, hi);
    if (r->any_change)
        for (uint32_t k = 0; k < r->version_count; k++) narrow(r->versions[k].from, t, lo, hi);
    for (size_t i = 0; i < m && (r->any_publicity || r->any_retain); i++) {
        const civic_item *it = &ev->items[i];
        narrow(it->eff, t, lo, hi);
        if (civic__type_is_rule(it->type)) narrow(civic__retained_until(r, it), t, lo, hi);
    }
}

static bool folded(const civic_item *it)
{
    return civic__type_is_rule(it->type) && !(it->flags & CIVIC_ITEM_GONE);
}

/* Can the fold sum its always-active events up front?  Only with a final
 * clamp (the running one depends on their order), and only when base plus
 * the magnitudes of every counted amount fits: then no partial sum
 * overflows in any order, so the summary's checked additions, done in
 * evaluation order, give the same sums and no error. */
static bool sums_fixed(const civic_eval *ev, size_t m, int64_t lo)
{
    const civic_rules *r = ev->r;
    if (r->clamp != CIVIC_CLAMP_FINAL) return false;
    uint64_t total = r->base < 0 ? (uint64_t)0 - (uint64_t)r->base : (uint64_t)r->base;
    for (size_t i = 0; i < m; i++) {
        const civic_item *it = &ev->items[i];
        if (!folded(it) || it->end <= lo) continue;
        int64_t c = it->counted;
        total += c < 0 ? (uint64_t)0 - (uint64_t)c : (uint64_t)c; /* each < 2^63: no wrap */
        if (total > (uint64_t)INT64_MAX) return false;
    }
    return true;
}

/* Fold f's always-active event: added to the fixed sums (sums_fixed). */
static void fix_row(const civic_eval *ev, civic_fold *f, const civic_item *it, uint8_t *seen)
{
    const civic_rule *v = it->v;
    if (v->affects & CIVIC_AFFECTS_SCORE) f->fixed_sum += it->counted;
    f->fixed_dims[v->dimension] += it->counted;
    if (v->ceiling < f->fixed_ceiling) f->fixed_ceiling = v->ceiling;
    if (v->flag != UINT32_MAX && !seen[v->flag]) {
        seen[v->flag] = 1;
        f->fixed_flags[f->fixed_flag_count++] = v->flag;
    }
    (void)ev;
}

civic_fold *civic__eval_fold(const civic_eval *ev, const civic_answer *a)
{
    const civic_rules *r = ev->r;
    size_t m = a->item_count, rows = 0, tier_rows = 0;
    int64_t lo, hi;
    fold_span(ev, m, &lo, &hi);
    bool fixed = sums_fixed(ev, m, lo);
    /* active at every T' in [lo, hi): T' < hi <= end, and corrected > T' */
#define ALWAYS(it) (fixed && (it)->end >= hi && (it)->corrected >= hi)
    for (size_t i = 0; i < m; i++) {
        const civic_item *it = &ev->items[i];
        if (!folded(it)) continue;
        rows += it->end > lo && !ALWAYS(it);
        tier_rows += r->tier_count && !(it->flags & CIVIC_ITEM_FROZEN);
    }
    size_t dims = r->dimension_count, flags = r->flag_count;
    size_t bytes = sizeof(civic_fold) + rows * sizeof(civic_fold_row) +
                   tier_rows * sizeof(civic_tier_row) + dims * sizeof(int64_t) +
                   flags * (sizeof(uint32_t) + 1);
    civic_fold *f = civic__malloc(&ev->e->alc, bytes);
    if (!f) return NULL; /* no cache, same answer */
    memset(f, 0, bytes);
    f->bytes = bytes;
    f->lo = lo;
    f->hi = hi;
    f->events = a->events;
    f->archived = a->archived;
    f->group = a->group;
    f->balance = ev->fold_balance;
    f->balance_period = ev->fold_period;
    f->balance_seen = ev->fold_seen;
    f->rows = (civic_fold_row *)(void *)(f + 1);
    f->tier_rows = (civic_tier_row *)(void *)(f->rows + rows);
    f->fixed_dims = (int64_t *)(void *)(f->tier_rows + tier_rows);
    f->fixed_flags = (uint32_t *)(void *)(f->fixed_dims + dims);
    uint8_t *seen = (uint8_t *)(f->fixed_flags + flags); /* scratch: flags already listed */
    f->fixed_ceiling = CIVIC_FOREVER;
    for (size_t i = 0; i < m; i++) {
        const civic_item *it = &ev->items[i];
        if (!folded(it)) continue;
        if (ALWAYS(it)) fix_row(ev, f, it, seen);
        else if (it->end > lo)
            f->rows[f->row_count++] = (civic_fold_row){ it->end, it->corrected, it->counted, it->v };
        if (r->tier_count && !(it->flags & CIVIC_ITEM_FROZEN))
            f->tier_rows[f->tier_row_count++] =
                (civic_tier_row){ it->eff, it->qty, it->counted, it->type };
    }
#undef ALWAYS
    return f;
}

int civic__eval_cached(civic_eval *ev, const civic_fold *f, civic_answer *out)
{
    CIVIC_ASSERT(ev->as_of >= f->lo && ev->as_of < f->hi);
    next_stamp(ev);
    out->balance = balance_current(ev, f->balance_seen, f->balance_period) ? f->balance : 0;
    out->archived = f->archived;
    out->events = f->events;
    out->item_count = 0;
    out->group = f->group;
    score_acc acc;
    score_begin(ev, &acc, out);
    /* the fixed part first: without overflow, the order of a sum is free */
    acc.sum += f->fixed_sum;
    acc.ceiling = f->fixed_ceiling;
    for (uint32_t d = 0; d < ev->r->dimension_count; d++) ev->dims[d] = f->fixed_dims[d];
    for (uint32_t k = 0; k < f->fixed_flag_count; k++) {
        ev->flag_marks[f->fixed_flags[k]] = ev->stamp;
        out->flag_count++;
    }
    for (size_t i = 0; i < f->row_count; i++) {
        const civic_fold_row *x = &f->rows[i];
        if (ev->as_of >= x->end) continue; /* fold_rule's active test */
        int rc = score_add(ev, &acc, x->v, x->counted, x->corrected, out);
        if (rc != CIVIC_OK) return rc;
    }
    score_end(ev, &acc, out);
    return outputs(ev, 0, f, out);
}
