/*
** purge.c -- deleting what the law says must go (SPEC 10.4): every event
** archived at the purge instant H, and every revoke, repair, objection,
** dismissal and correction of the same subject that points at one
** (directly or through another removed event) and is dated at or after it.
** What is removed leaves a tombstone: its id (an event with that id is a
** duplicate from then on), and for acts the archival instant, so that a
** late member is archived on arrival.  Questions about T < H fail with
** CIVIC_E_PURGED afterwards; every answer at T >= H stays what it was.
**
** How: one evaluation of every subject at H marks the archived events;
** a closure adds the pointers; then the event array, the id table, the
** id store and the act/source arrays are rebuilt without them (memory is
** given back) and swapped in.  Everything that can fail happens before the
** swap -- including the journal record, through the engine's hook -- so a
** purge that fails changes nothing, and one that a crash interrupts is in
** the journal whole or not at all.  It does not decide when to purge.
*/
#include "internal.h"

#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ lookups */

static const char *tomb_key(const void *owner, uint32_t i)
{
    return ((const civic_engine *)owner)->tombs.items[i].id;
}

const civic_tomb *civic__tomb_find(const civic_engine *e, const char *id, size_t len)
{
    if (!e->tombs.count) return NULL;
    uint32_t i = civic__table_find(&e->tombs.table, tomb_key, e, id, len, civic__hash32(id, len));
    return i == CIVIC_NONE ? NULL : &e->tombs.items[i];
}

static int act_tomb_compare(const civic_act_tomb *a, uint32_t subject, uint32_t act)
{
    if (a->subject != subject) return a->subject < subject ? -1 : 1;
    return a->act < act ? -1 : a->act > act;
}

int64_t civic__act_tomb(const civic_engine *e, uint32_t subject, uint32_t act)
{
    size_t lo = 0, hi = e->tombs.act_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = act_tomb_compare(&e->tombs.acts[mid], subject, act);
        if (c == 0) return e->tombs.acts[mid].until;
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    return CIVIC_NO_TIME;
}

void civic__tombs_free(civic_engine *e)
{
    civic_tombs *t = &e->tombs;
    civic__free(&e->alc, t->items, t->cap * sizeof(civic_tomb));
    civic__free(&e->alc, t->acts, t->act_cap * sizeof(civic_act_tomb));
    civic__table_free(&e->alc, &t->table);
    civic__arena_free(&t->arena);
    memset(t, 0, sizeof(*t));
}

/* ------------------------------------------------------------ what goes */

typedef struct purge_plan {
    civic_engine *e;
    int64_t before;
    uint8_t *removed;          /* per event: 1 when the purge removes it */
    size_t removed_count;
    civic_act_tomb *acts;      /* act generations archived at before, any order */
    size_t act_count, act_cap;
    int rc;
} purge_plan;

static void on_act(void *ctx, uint32_t subject, uint32_t act, int64_t until)
{
    purge_plan *pl = ctx;
    if (pl->rc != CIVIC_OK) return;
    if (civic__grow(&pl->e->alc, (void **)&pl->acts, &pl->act_cap, pl->act_count + 1,
                    sizeof(civic_act_tomb)) != CIVIC_OK) {
        pl->rc = CIVIC_E_NOMEM;
        return;
    }
    pl->acts[pl->act_count++] = (civic_act_tomb){ subject, act, until };
}

/* Evaluate every subject at `before`: its archived events go. */
static int mark_archived(purge_plan *pl)
{
    civic_engine *e = pl->e;
    civic_eval ev;
    uint32_t *list = NULL;
    size_t cap = 0;
    int rc = civic__eval_init(&ev, e, pl->before, true);
    if (rc != CIVIC_OK) return rc;
    ev.act_archived = on_act;
    ev.act_ctx = pl;
    for (uint32_t s = 0; rc == CIVIC_OK && s < e->subject_count; s++) {
        const civic_subject *sub = &e->subjects[s];
        if (!sub->count) continue;
        if ((rc = civic__grow(&e->alc, (void **)&list, &cap, sub->count, sizeof(uint32_t))) != CIVIC_OK)
            break;
        size_t k = sub->count;
        for (uint32_t i = sub->last; i != CIVIC_NONE && k > 0; i = e->events[i].prev) list[--k] = i;
        civic_answer a;
        if ((rc = civic__eval_subject(&ev, list, sub->count, &a)) != CIVIC_OK) break;
        for (size_t i = 0; i < a.item_count; i++)
            if (ev.items[i].flags & CIVIC_ITEM_ARCHIVED) pl->removed[ev.items[i].ev] = 1;
    }
    civic__free(&e->alc, list, cap * sizeof(uint32_t));
    civic__eval_free(&ev);
    return rc == CIVIC_OK ? pl->rc : rc;
}

/* Is pointer i at an event that goes, of the same subject, and dated at or
 * after it?  Or archived on arrival at one that went in an earlier purge
 * (dated from it to that purge's H; the evaluation at `before` marked those
 * already)?  A pointer dated after that H stays: it was dangling, and no
 * later purge may change an answer at T >= its own H. */
static bool points_at_removed(const purge_plan *pl, uint32_t i)
{
    const civic_engine *e = pl->e;
    const civic_ev *x = &e->events[i];
    const char *ref = civic__ev_ref(e, x);
    uint32_t t = civic__event_find(e, ref, civic__lp_len(ref));
    if (t != CIVIC_NONE)
        return pl->removed[t] == 1 && e->events[t].subject == x->subject && x->ts >= e->events[t].ts;
    const civic_tomb *tomb = civic__tomb_find(e, ref, civic__lp_len(ref));
    return tomb && tomb->subject == x->subject && x->ts >= tomb->ts && x->ts <= tomb->horizon;
}

/* The pointers at what goes go too, through chains of pointers.  Each chain
 * is walked once, to where it ends and back: a pass over every event moved
 * the mark one link, so a chain sent against the array's order took its
 * length squared (7 s for 32,000 revokes, under the write lock).  While
 * it runs removed[] holds 2 for a pointer on the current walk and 3 for one
 * found to stay; both are 0 again at the end. */
static int close_pointers(purge_plan *pl)
{
    const civic_engine *e = pl->e;
    uint8_t *removed = pl->removed;
    size_t pointers = 0;
    for (uint32_t i = 0; i < e->event_count; i++)
        pointers += !removed[i] && civic__type_has_ref(e->events[i].type);
    uint32_t *path = pointers ? civic__malloc(&e->alc, pointers * sizeof(uint32_t)) : NULL;
    if (pointers && !path) return CIVIC_E_NOMEM;
    for (uint32_t i = 0; i < e->event_count; i++) {
        size_t k = 0;
        uint32_t j = i;
        while (j != CIVIC_NONE && !removed[j] && civic__type_has_ref(e->events[j].type)) {
            removed[j] = 2;
            path[k++] = j;
            const char *ref = civic__ev_ref(e, &e->events[j]);
            j = civic__event_find(e, ref, civic__lp_len(ref));
        }
        while (k) { /* from the chain's end: each target is settled before its pointers */
            uint32_t p = path[--k];
            removed[p] = points_at_removed(pl, p) ? 1 : 3;
        }
    }
    pl->removed_count = 0;
    for (uint32_t i = 0; i < e->event_count; i++) {
        if (removed[i] == 3) removed[i] = 0;
        pl->removed_count += removed[i];
    }
    civic__free(&e->alc, path, pointers * sizeof(uint32_t));
    return CIVIC_OK;
}

/* ------------------------------------------------------------ the rebuild */

/* The engine's storage after the purge, built beside the old one. */
typedef struct rebuilt {
    void *block;               /* of events (civic__events_realloc) */
    civic_ev *events;
    size_t count, cap;
    civic_id_index ids;
    civic_id_store store;
    int64_t *wide;
    size_t wide_count, wide_cap;
    uint32_t *act, *source;    /* compacted extras, when the engine has them */
    uint32_t *last, *per_subject; /* subject chains */
    int64_t ts_min, ts_max;
} rebuilt;

/* A length-prefixed, NUL-terminated copy of lp in the arena, or NULL. */
static const char *copy_lp(civic_arena *a, const char *lp)
{
    size_t n = civic__lp_len(lp);
    char *p = civic__arena_alloc(a, n + 2, 1);
    if (!p) return NULL;
    p[0] = (char)n;
    memcpy(p + 1, lp, n);
    p[n + 1] = '\0';
    return p + 1;
}

static void rebuilt_free(civic_engine *e, rebuilt *b)
{
    const civic_allocator *a = &e->alc;
    civic__events_free(a, b->block, b->cap);
    civic__ids_free(a, &b->ids);
    civic__id_store_free(a, &b->store);
    civic__free(a, b->wide, b->wide_cap * sizeof(int64_t));
    civic__free(a, b->act, b->act ? b->cap * sizeof(uint32_t) : 0);
    civic__free(a, b->source, b->source ? b->cap * sizeof(uint32_t) : 0);
    civic__free(a, b->last, (e->subject_count ? e->subject_count : 1) * sizeof(uint32_t));
    civic__free(a, b->per_subject, (e->subject_count ? e->subject_count : 1) * sizeof(uint32_t));
}

static int rebuild_alloc(civic_engine *e, const purge_plan *pl, rebuilt *b)
{
    const civic_allocator *a = &e->alc;
    size_t ns = e->subject_count ? e->subject_count : 1;
    uint64_t bytes = 0;
    size_t wide = 0;
    for (uint32_t i = 0; i < e->event_count; i++) {
        if (pl->removed[i]) continue;
        const civic_ev *x = &e->events[i];
        civic_id_buf buf;
        bytes += civic__lp_len(civic__ev_id(e, x, &buf)) + 1;
        if (civic__type_has_ref(x->type)) bytes += civic__lp_len(civic__ev_ref(e, x)) + 1;
        else wide += (x->aux & CIVIC_EV_WIDE) != 0;
    }
    b->cap = e->event_count - pl->removed_count;
    if (b->cap == 0) b->cap = 1;
    b->last = civic__malloc(a, ns * sizeof(uint32_t));
    b->per_subject = civic__calloc(a, ns, sizeof(uint32_t));
    b->act = e->extras.act ? civic__malloc(a, b->cap * sizeof(uint32_t)) : NULL;
    b->source = e->extras.source ? civic__malloc(a, b->cap * sizeof(uint32_t)) : NULL;
    if (civic__events_realloc(a, &b->block, &b->events, 0, 0, b->cap) != CIVIC_OK ||
        !b->last || !b->per_subject || (e->extras.act && !b->act) ||
        (e->extras.source && !b->source) ||
        civic__ids_reserve(&b->ids, a, e->event_count - pl->removed_count) != CIVIC_OK ||
        civic__id_store_reserve(a, &b->store, bytes) != CIVIC_OK ||
        (wide && civic__grow(a, (void **)&b->wide, &b->wide_cap, wide, sizeof(int64_t)) != CIVIC_OK))
        return CIVIC_E_NOMEM;
    for (size_t s = 0; s < ns; s++) b->last[s] = CIVIC_NONE;
    b->ts_min = INT64_MAX;
    b->ts_max = INT64_MIN;
    return CIVIC_OK;
}

/* Copy the kept events, in insertion order, with their strings. */
static int rebuild(civic_engine *e, const purge_plan *pl, rebuilt *b)
{
    int rc = rebuild_alloc(e, pl, b);
    for (uint32_t i = 0; rc == CIVIC_OK && i < e->event_count; i++) {
        if (pl->removed[i]) continue;
        civic_ev x = e->events[i];
        civic_id_buf buf;
        const char *id = civic__ev_id(e, &x, &buf);
        civic_id_at where;
        civic__ids_locate(&b->ids, id, civic__lp_len(id), &where);
        rc = civic__ids_prepare(&b->ids, &e->alc, id, civic__lp_len(id), &where);
        if (rc != CIVIC_OK) break;
        uint32_t j = (uint32_t)b->count++;
        uint64_t at = civic__id_store_id(&b->store, &where, id, civic__lp_len(id)), aux = x.aux;
        if (civic__type_has_ref(x.type)) {
            const char *ref = civic__ev_ref(e, &x);
            aux = civic__id_store_put(&b->store, ref, civic__lp_len(ref));
        } else if (x.aux & CIVIC_EV_WIDE) {
            aux = CIVIC_EV_WIDE | b->wide_count;
            b->wide[b->wide_count++] = civic__ev_qty(e, &x);
        }
        civic__ev_set(&x, at, aux);
        x.prev = b->last[x.subject];
        b->last[x.subject] = j;
        b->per_subject[x.subject]++;
        b->events[j] = x;
        civic__ids_insert(&b->ids, &where, civic__hash32(id, civic__lp_len(id)), j);
        if (b->act) b->act[j] = e->extras.act[i];
        if (b->source) b->source[j] = e->extras.source[i];
        if (x.ts < b->ts_min) b->ts_min = x.ts;
        if (x.ts > b->ts_max) b->ts_max = x.ts;
    }
    return rc;
}

/* ------------------------------------------------------------ tombstones */

static int act_qsort(const void *a, const void *b)
{
    const civic_act_tomb *x = a, *y = b;
    return act_tomb_compare(x, y->subject, y->act);
}

/* The act tombstones after the purge: old and new merged, by (subject,
 * act), the latest archival instant kept. */
static int merge_acts(civic_engine *e, purge_plan *pl, civic_act_tomb **out, size_t *count,
                      size_t *cap)
{
    const civic_tombs *t = &e->tombs;
    size_t n = t->act_count + pl->act_count;
    *cap = n ? n : 1;
    *out = civic__malloc(&e->alc, *cap * sizeof(civic_act_tomb));
    if (!*out) return CIVIC_E_NOMEM;
    if (t->act_count) memcpy(*out, t->acts, t->act_count * sizeof(civic_act_tomb));
    if (pl->act_count) memcpy(*out + t->act_count, pl->acts, pl->act_count * sizeof(civic_act_tomb));
    if (n > 1) qsort(*out, n, sizeof(civic_act_tomb), act_qsort);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (k && act_qsort(&(*out)[k - 1], &(*out)[i]) == 0) {
            if ((*out)[i].until > (*out)[k - 1].until) (*out)[k - 1].until = (*out)[i].until;
        } else {
            (*out)[k++] = (*out)[i];
        }
    }
    *count = k;
    return CIVIC_OK;
}

/* The arena of tombstone ids, set up once: a purge that removes nothing
 * still reserves a chunk in it, so "no tombstones yet" does not mean "no
 * arena yet". */
static void tombs_arena_init(civic_engine *e)
{
    civic_tombs *t = &e->tombs;
    if (!t->arena.alc) civic__arena_init(&t->arena, &e->alc, (size_t)1 << 16);
}

/* Room for the new tombstones, so that adding them cannot fail. */
static int tombs_reserve(civic_engine *e, const purge_plan *pl)
{
    civic_tombs *t = &e->tombs;
    size_t bytes = 0;
    tombs_arena_init(e);
    for (uint32_t i = 0; i < e->event_count; i++)
        if (pl->removed[i]) {
            civic_id_buf buf;
            bytes += civic__lp_len(civic__ev_id(e, &e->events[i], &buf)) + 2;
        }
    if (civic__grow(&e->alc, (void **)&t->items, &t->cap, t->count + pl->removed_count,
                    sizeof(civic_tomb)) != CIVIC_OK ||
        civic__table_reserve(&e->alc, &t->table, pl->removed_count) != CIVIC_OK ||
        civic__arena_reserve(&t->arena, bytes) != CIVIC_OK)
        return CIVIC_E_NOMEM;
    return CIVIC_OK;
}

/* Each tombstone keeps the horizon after the purge that made it: a purge
 * below the horizon (a no-op for T >= it, but it still removes pointers that
 * arrived since at what earlier purges removed) must not give them a lower
 * one, or a pointer at one of them dated between the two would be dangling
 * where, had it stayed, it would be archived with it. */
static void tombs_add(civic_engine *e, const purge_plan *pl)
{
    civic_tombs *t = &e->tombs;
    int64_t horizon = pl->before > e->purge_horizon ? pl->before : e->purge_horizon;
    for (uint32_t i = 0; i < e->event_count; i++) {
        if (!pl->removed[i]) continue;
        const civic_ev *x = &e->events[i];
        civic_id_buf buf;
        const char *id = copy_lp(&t->arena, civic__ev_id(e, x, &buf));
        CIVIC_ASSERT(id); /* reserved */
        uint32_t k = (uint32_t)t->count++;
        t->items[k] = (civic_tomb){ id, x->ts, horizon, x->subject, civic__event_act(e, i) };
        civic__table_insert(&t->table, civic__hash32(id, civic__lp_len(id)), k);
    }
}

/* ------------------------------------------------------------ the swap */

static void swap_in(civic_engine *e, purge_plan *pl, rebuilt *b, civic_act_tomb *acts,
                    size_t act_count, size_t act_cap)
{
    const civic_allocator *a = &e->alc;
    tombs_add(e, pl); /* reads the old events: before they go */
    civic__free(a, e->tombs.acts, e->tombs.act_cap * sizeof(civic_act_tomb));
    e->tombs.acts = acts;
    e->tombs.act_count = act_count;
    e->tombs.act_cap = act_cap;
    civic__events_free(a, e->events_block, e->event_cap);
    civic__ids_free(a, &e->ids);
    civic__id_store_free(a, &e->id_store);
    civic__free(a, e->wide, e->wide_cap * sizeof(int64_t));
    e->events_block = b->block;
    e->events = b->events;
    e->event_count = b->count;
    e->event_cap = b->cap;
    e->ids = b->ids;
    e->id_store = b->store;
    e->wide = b->wide;
    e->wide_count = b->wide_count;
    e->wide_cap = b->wide_cap;
    if (e->extras.act) {
        civic__free(a, e->extras.act, e->extras.act_cap * sizeof(uint32_t));
        e->extras.act = b->act;
        e->extras.act_cap = b->cap;
    }
    if (e->extras.source) {
        civic__free(a, e->extras.source, e->extras.source_cap * sizeof(uint32_t));
        e->extras.source = b->source;
        e->extras.source_cap = b->cap;
    }
    for (uint32_t s = 0; s < e->subject_count; s++) {
        e->subjects[s].last = b->last[s];
        e->subjects[s].count = b->per_subject[s];
    }
    e->ts_min = b->ts_min;
    e->ts_max = b->ts_max;
    if (pl->before > e->purge_horizon) e->purge_horizon = pl->before;
    e->purges++;
    e->purge_seq++;
    /* the arrays and the store belong to the engine now; the chains were copied */
    b->block = NULL;
    b->events = NULL;
    b->act = b->source = NULL;
    b->wide = NULL;
    b->wide_cap = 0;
    civic__ids_init(&b->ids);
    memset(&b->store, 0, sizeof(b->store));
}

/* ------------------------------------------------------------ entry points */

static int purge_run(civic_engine *e, int64_t before, bool journal, civic_purge_report *report,
                     civic_error *err)
{
    purge_plan pl = { e, before, NULL, 0, NULL, 0, 0, CIVIC_OK };
    if (report) report->horizon = e->purge_horizon; /* what an error leaves */
    rebuilt b;
    memset(&b, 0, sizeof(b));
    civic__ids_init(&b.ids);
    civic_act_tomb *acts = NULL;
    size_t act_count = 0, act_cap = 0, events = e->event_count ? e->event_count : 1;
    pl.removed = civic__calloc(&e->alc, events, 1);
    int rc = pl.removed ? mark_archived(&pl) : CIVIC_E_NOMEM;
    if (rc == CIVIC_OK) rc = close_pointers(&pl);
    if (rc == CIVIC_OK) rc = merge_acts(e, &pl, &acts, &act_count, &act_cap);
    if (rc == CIVIC_OK) rc = tombs_reserve(e, &pl);
    if (rc == CIVIC_OK) rc = rebuild(e, &pl, &b);
    if (rc != CIVIC_OK && rc != CIVIC_E_OVERFLOW) civic__error_set(err, rc, 0, 0, 0, NULL);
    if (rc == CIVIC_OK && journal && e->hook.purge) rc = e->hook.purge(e->hook.ctx, e, before, err);
    if (rc == CIVIC_OK) {
        uint64_t new_acts = act_count - e->tombs.act_count;
        swap_in(e, &pl, &b, acts, act_count, act_cap);
        acts = NULL;
        if (report) {
            report->events = pl.removed_count;
            report->acts = new_acts;
            report->horizon = e->purge_horizon;
        }
    }
    civic__free(&e->alc, acts, act_cap * sizeof(civic_act_tomb));
    rebuilt_free(e, &b);
    civic__free(&e->alc, pl.acts, pl.act_cap * sizeof(civic_act_tomb));
    civic__free(&e->alc, pl.removed, events);
    return rc;
}

int civic__purge_locked(civic_engine *e, int64_t before, civic_purge_report *report,
                        civic_error *err)
{
    return purge_run(e, before, false, report, err);
}

typedef struct purge_call {
    int64_t before;
    civic_purge_report *report;
} purge_call;

static int purge_apply(civic_engine *e, void *ctx, civic_error *err)
{
    purge_call *c = ctx;
    /* the files count an engine's purges up to CIVIC__PURGE_SEQ_MAX: one
     * more would be written as a count they refuse (only a file that says
     * the engine made that many gets here) */
    if (e->purge_seq >= CIVIC__PURGE_SEQ_MAX)
        return civic__error_set(err, CIVIC_E_LIMIT, 0, 0, 0, "the engine's history holds "
                                "2^62 purges, the most its files can count");
    return purge_run(e, c->before, true, c->report, err);
}

int civic_engine_purge(civic_engine *e, int64_t before, civic_purge_report *report,
                       civic_error *err)
{
    civic__error_clear(err);
    if (!e) return civic__error_set(err, CIVIC_E_INVALID, 0, 0, 0, "invalid argument");
    if (report && (report->version < 1 || report->version > CIVIC_PURGE_REPORT_VERSION))
        return civic__error_set(err, CIVIC_E_VERSION, 0, 0, 0, "unsupported purge report version");
    if (report) {
        report->events = report->acts = 0;
        report->horizon = civic_engine_purge_horizon(e);
    }
    if (before < CIVIC_TIME_MIN || before > CIVIC_TIME_MAX)
        return civic__error_set(err, CIVIC_E_INVALID, 0, 0, 0,
                                "purge time outside 0001-01-01 .. 9999-12-31");
    purge_call c = { before, report };
    return civic__engine_write(e, purge_apply, &c, err);
}

/* ------------------------------------------------------------ stored tombstones */

/* A stored id, subject or act: what an event's field could have held. */
static bool stored_text_ok(const char *s, size_t n, bool empty_ok)
{
    size_t bad;
    return (n > 0 || empty_ok) && n <= CIVIC_ID_BYTES_MAX && civic__text_valid(s, n, &bad);
}

int civic__tomb_load(civic_engine *e, const char *id, size_t id_len, int64_t ts,
                     int64_t horizon, const char *subject, size_t subject_len, const char *act,
                     size_t act_len)
{
    civic_tombs *t = &e->tombs;
    if (!stored_text_ok(id, id_len, false) || !stored_text_ok(subject, subject_len, false) ||
        !stored_text_ok(act, act_len, true) || ts < CIVIC_TIME_MIN || ts > CIVIC_TIME_MAX ||
        (horizon != CIVIC_NO_TIME && (horizon < CIVIC_TIME_MIN || horizon > CIVIC_TIME_MAX)))
        return CIVIC_E_CORRUPT;
    if (civic__tomb_find(e, id, id_len)) return CIVIC_OK; /* a file may repeat one */
    uint32_t s = civic__subject_intern(e, subject, subject_len);
    uint32_t a = act_len ? civic__act_intern(e, act, act_len) : CIVIC_NONE;
    if (s == CIVIC_NONE || (act_len && a == CIVIC_NONE)) return CIVIC_E_NOMEM;
    tombs_arena_init(e);
    if (civic__grow(&e->alc, (void **)&t->items, &t->cap, t->count + 1, sizeof(civic_tomb)) !=
            CIVIC_OK ||
        civic__table_reserve(&e->alc, &t->table, 1) != CIVIC_OK)
        return CIVIC_E_NOMEM;
    char *copy = civic__arena_alloc(&t->arena, id_len + 2, 1);
    if (!copy) return CIVIC_E_NOMEM;
    copy[0] = (char)id_len;
    memcpy(copy + 1, id, id_len);
    copy[id_len + 1] = '\0';
    uint32_t k = (uint32_t)t->count++;
    t->items[k] = (civic_tomb){ copy + 1, ts, horizon, s, a };
    civic__table_insert(&t->table, civic__hash32(id, id_len), k);
    return CIVIC_OK;
}

void civic__tombs_set_horizon(civic_engine *e, size_t from, int64_t horizon)
{
    civic_tombs *t = &e->tombs;
    for (size_t i = from; i < t->count; i++)
        if (t->items[i].horizon == CIVIC_NO_TIME) t->items[i].horizon = horizon;
}

int civic__act_tomb_load(civic_engine *e, const char *subject, size_t subject_len,
                         const char *act, size_t act_len, int64_t until)
{
    civic_tombs *t = &e->tombs;
    if (!stored_text_ok(subject, subject_len, false) || !stored_text_ok(act, act_len, false) ||
        until < CIVIC_TIME_MIN || until > CIVIC_TIME_MAX)
        return CIVIC_E_CORRUPT;
    uint32_t s = civic__subject_intern(e, subject, subject_len);
    uint32_t a = civic__act_intern(e, act, act_len);
    if (s == CIVIC_NONE || a == CIVIC_NONE ||
        civic__grow(&e->alc, (void **)&t->acts, &t->act_cap, t->act_count + 1,
                    sizeof(civic_act_tomb)) != CIVIC_OK)
        return CIVIC_E_NOMEM;
    t->acts[t->act_count++] = (civic_act_tomb){ s, a, until };
    return CIVIC_OK;
}

void civic__act_tombs_sort(civic_engine *e)
{
    civic_tombs *t = &e->tombs;
    if (t->act_count > 1) qsort(t->acts, t->act_count, sizeof(civic_act_tomb), act_qsort);
    size_t k = 0;
    for (size_t i = 0; i < t->act_count; i++) {
        if (k && act_qsort(&t->acts[k - 1], &t->acts[i]) == 0) {
            if (t->acts[i].until > t->acts[k - 1].until) t->acts[k - 1].until = t->acts[i].until;
        } else {
            t->acts[k++] = t->acts[i];
        }
    }
    t->act_count = k;
}

bool civic__act_tombs_known(const civic_engine *e, size_t from)
{
    const civic_tombs *t = &e->tombs;
    for (size_t i = from; i < t->act_count; i++) {
        const civic_act_tomb *x = &t->acts[i];
        const civic_act_tomb *hit = bsearch(x, t->acts, from, sizeof(*x), act_qsort);
        if (!hit || hit->until < x->until) return false;
    }
    return true;
}

void civic__tombs_truncate(civic_engine *e, size_t count, size_t act_count)
{
    civic_tombs *t = &e->tombs;
    while (t->count > count) {
        const civic_tomb *x = &t->items[--t->count];
        civic__table_remove(&t->table, civic__hash32(x->id, civic__lp_len(x->id)),
                            (uint32_t)t->count);
    }
    if (t->act_count > act_count) t->act_count = act_count;
}
