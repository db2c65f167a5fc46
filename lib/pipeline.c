/*
** pipeline.c -- parsing a bulk load in parts, in parallel when it can.
**
** A pipeline.  load.c submits spans of whole lines; each span is cut into
** parts that worker threads ("helpers") and the caller's thread claim one at
** a time and parse into memory of their own, through the format's part
** runner.  While the helpers parse span N + 1, the caller's thread inserts
** span N, in line order, and has the format's serial reader read every line
** a runner left (and the rest of a part a runner gave up on), so errors,
** line numbers and callbacks are those of the serial path.  An engine of
** one thread, or a load under 256 KiB, has no helpers: the caller's thread
** parses each part just before it inserts it, which still beats the serial
** reader by a third.
**
** It does not read any format itself (the runners do), does not decide
** what is parsed in parallel (load.c does) and takes no engine lock (the
** load runs inside one write).
**
** Invariants.  Parsing also looks subjects and groups up (events_resolve),
** which reads tables the inserting thread writes.
** That is safe because (1) slots are published with release stores after
** the record and key bytes they point to (table.h), and (2) before
** inserting span N while span N + 1 is parsed, the caller reserves room for
** every subject and group span N can add, so no array or table moves under
** a reader.  A lookup that misses a subject added meanwhile just leaves the
** work to the insert.  Anything serial (a CSV header, quoted CSV, the last
** partial line) first drains the pipeline.  The arena room reserved for a
** part's events is used by them alone: a line a runner left is one the
** serial reader rejects too (both convert through civic__event_parse), so it
** inserts nothing, and the lines after a runner gave up are inserted after
** the part's events.
*/
#include "pipeline.h"

#include <string.h>

#define SPAN_BYTES ((size_t)2 << 20)
/* 128 KiB parts: a part's parsed events (~1/3 MiB) stay in the parsing core's
 * L2 through the lookups that follow the parse, and sixteen parts a span let
 * the inserting thread take a fair share of the next span's parsing when it
 * is done inserting (with four of 512 KiB the two threads idled in turn). */
#define PART_BYTES ((size_t)1 << 17)
#define PARTS_MAX 16
#define HELPERS_MAX 7
/* A load whose first span is shorter starts no helper threads: starting
 * and joining them costs more than they save. */
#define HELPER_BYTES_MIN ((size_t)1 << 18)

typedef struct pipe_span {
    civic_part parts[PARTS_MAX];
    size_t count, claimed, finished;   /* parts; claimed and finished: under mu */
} pipe_span;

typedef struct civic_pipe civic_pipe;

/* Memory the helpers fault in ahead of the inserting thread (prefault). */
enum { FILL_EVENTS, FILL_STORE, FILL_IDS, FILL_RANGES }; /* in the order they are filled */
#define FILL_CHUNK ((uintptr_t)2 << 20)

typedef struct fill_range {
    uintptr_t lo, hi;                  /* what is left to fault in */
} fill_range;

struct civic_pipe {
    pthread_mutex_t mu;
    pthread_cond_t wake;               /* helpers: a span or the fill opened, or stop */
    pthread_cond_t done;               /* caller: the last part or fill chunk finished */
    pthread_t tid[HELPERS_MAX];
    size_t helpers;
    bool stop;
    pipe_span span[2];
    pipe_span *open;                   /* submitted, maybe not yet parsed */
    fill_range fill[FILL_RANGES];      /* under mu; empty while the fill is closed */
    size_t fill_busy;                  /* chunks being faulted in, under mu */
    bool fill_off;                     /* the system cannot: never open it; under mu */
    const civic_allocator *alc;        /* the engine's */
    const uint64_t *ids_filled;        /* the id table the fill started on */
    uint64_t store_at;                 /* the id store's use when the last fill opened */
    uint64_t store_asked;              /* the id bytes of that span (0: none yet) */
};

static size_t count_lines(const char *p, size_t n)
{
    size_t lines = 1;
    for (const char *q = p; (q = memchr(q, '\n', (size_t)(p + n - q))) != NULL; q++) lines++;
    return lines;
}

/* ------------------------------------------------------------ lookahead */

/* Hint the caches about the table slots the insert of p will touch.  Always
 * inline: a function that only prefetches has no effect the compiler must
 * keep, and gcc drops calls to it (it did, costing 15% of a parallel load). */
__attribute__((always_inline)) static inline void event_prefetch(const civic_engine *e,
                                                                 const civic_parsed *p)
{
    if (civic__ids_table_hint(&e->ids)) civic__table_prefetch(&e->ids.table, p->id_hash);
    if (p->subject_index != CIVIC_NONE)
        __builtin_prefetch(&e->subjects[p->subject_index], 1);
    else
        civic__table_prefetch(&e->subject_table, p->subject_hash);
}

/* Look the subjects and groups of a part's events up among those already
 * stored (p.subject_index, p.group_index; CIVIC_NONE when not found), on the
 * part's thread while the caller's thread inserts: see the invariants above.
 * The answers stay right while the engine only grows, i.e. until the batch
 * is rolled back.  Three passes, each walking one level of the lookup
 * (table slot, record, key bytes) for every event with prefetches running
 * ahead, so the cache misses of many events overlap. */
static void events_resolve(const civic_engine *e, civic_part_event *ev, size_t n)
{
    const size_t ahead = 16;
    const civic_table *st = &e->subject_table, *gt = &e->group_table;
    for (size_t i = 0; i < n; i++) {
        if (i + ahead < n) {
            const civic_parsed *q = &ev[i + ahead].p;
            civic__table_prefetch(st, q->subject_hash);
            if (q->group_len) civic__table_prefetch(gt, q->group_hash);
        }
        civic_parsed *p = &ev[i].p;
        if (ev[i].reread) { /* not an event: nothing to look up */
            p->subject_index = p->group_index = CIVIC_NONE;
            continue;
        }
        p->subject_index = civic__table_candidate(st, p->subject_hash);
        p->group_index = p->group_len ? civic__table_candidate(gt, p->group_hash) : CIVIC_NONE;
    }
    for (size_t i = 0; i < n; i++) {
        if (i + ahead < n) {
            const civic_parsed *q = &ev[i + ahead].p;
            if (q->subject_index != CIVIC_NONE) __builtin_prefetch(&e->subjects[q->subject_index]);
            if (q->group_index != CIVIC_NONE) __builtin_prefetch(&e->groups[q->group_index]);
        }
        if (i + ahead / 2 < n) {
            const civic_parsed *q = &ev[i + ahead / 2].p;
            if (q->subject_index != CIVIC_NONE)
                __builtin_prefetch(e->subjects[q->subject_index].id - 1);
            if (q->group_index != CIVIC_NONE) __builtin_prefetch(e->groups[q->group_index].text - 1);
        }
        civic_parsed *p = &ev[i].p;
        if (ev[i].reread) continue;
        p->subject_index = civic__table_confirm(st, civic__subject_key, e, p->subject_index,
                                                p->subject, p->subject_len, p->subject_hash);
        if (p->group_len)
            p->group_index = civic__table_confirm(gt, civic__group_key, e, p->group_index,
                                                  p->group, p->group_len, p->group_hash);
    }
}

/* ------------------------------------------------------------ parts */

/* Parse one part: its memory, its lines, then its subjects and groups. */
static void part_parse(civic_part *part)
{
    const civic_engine *e = part->ld->engine;
    const civic_allocator *alc = &e->alc;
    const civic_format *fmt = part->ld->format;
    /* Formats with scratch size it by lines; others start from a guess and
     * grow (civic__part_grow), sparing a pass over the bytes.  The memory is
     * the part slot's, kept from span to span (span_reset) and freed by
     * civic__pipe_finish: fresh memory for every span cost a page fault per
     * 4 KiB written and came in cold. */
    size_t lines = fmt->scratch_per_line ? count_lines(part->data, part->len) : part->len / 40 + 16;
    if (civic__grow(alc, (void **)&part->out, &part->cap, lines, sizeof(civic_part_event)) != CIVIC_OK ||
        (fmt->scratch_per_line &&
         (lines > (SIZE_MAX - part->len) / fmt->scratch_per_line ||
          civic__grow(alc, (void **)&part->scratch, &part->scratch_cap,
                      part->len + lines * fmt->scratch_per_line, 1) != CIVIC_OK))) {
        part->nomem = true;
        return;
    }
    fmt->run_part(part);
    events_resolve(e, part->out, part->count);
    size_t id_bytes = 0, name_bytes = 0;
    for (size_t i = 0; i < part->count; i++) {
        const civic_parsed *p = &part->out[i].p;
        if (part->out[i].reread) continue;
        id_bytes += p->id_len + 2 + (p->ref ? p->ref_len + 2 : 0);
        if (p->subject_index == CIVIC_NONE) name_bytes += p->subject_len + 2;
        if (p->group_len && p->group_index == CIVIC_NONE) name_bytes += p->group_len + 2;
        name_bytes += (p->act_len ? p->act_len + 2 : 0) + (p->source_len ? p->source_len + 2 : 0);
    }
    part->id_bytes = id_bytes;
    part->name_bytes = name_bytes;
}

static void part_free(const civic_allocator *alc, civic_part *part)
{
    civic__free(alc, part->out, part->cap * sizeof(civic_part_event));
    civic__free(alc, part->scratch, part->scratch_cap);
    part->out = NULL;
    part->scratch = NULL;
    part->cap = part->scratch_cap = 0;
}

/* ------------------------------------------------------------ the fill */

/* Writing fresh memory first costs a page fault, in which the kernel zeroes
 * the page: at 10M events a fifth of the inserting thread's time went there
 * (the event array, the id table, the id store), while the helpers, done
 * parsing the next span, waited for it.  So while a span is inserted, idle
 * helpers fault in what it and the next one will write (civic__prefault:
 * the kernel's work moves to their core; no byte changes).  The blocks
 * cannot move meanwhile: the fill opens only after room for the whole span
 * is reserved, and closes, waiting out the chunks in flight, before anything
 * that may grow them (the serial reader, the next span's reserve). */

/* Under mu: the next chunk to fault in, at most FILL_CHUNK up to a 2 MiB
 * boundary (a huge page each), or false. */
static bool fill_take(civic_pipe *pp, uintptr_t *lo, uintptr_t *hi)
{
    for (size_t i = 0; i < FILL_RANGES; i++) {
        fill_range *r = &pp->fill[i];
        if (r->lo >= r->hi) continue;
        *lo = r->lo;
        *hi = (r->lo & ~(FILL_CHUNK - 1)) + FILL_CHUNK;
        if (*hi > r->hi) *hi = r->hi;
        r->lo = *hi;
        return true;
    }
    return false;
}

static bool fill_ready(const civic_pipe *pp)
{
    for (size_t i = 0; i < FILL_RANGES; i++)
        if (pp->fill[i].lo < pp->fill[i].hi) return true;
    return false;
}

static void fill_set(fill_range *r, const void *lo, const void *hi)
{
    r->lo = (uintptr_t)lo;
    r->hi = (uintptr_t)hi;
}

/* Stop handing out chunks and wait for those in flight: after this the
 * inserting thread may grow (move, free) any block again. */
static void fill_close(civic_pipe *pp)
{
    if (!pp || !pp->helpers) return;
    pthread_mutex_lock(&pp->mu);
    memset(pp->fill, 0, sizeof(pp->fill));
    while (pp->fill_busy) pthread_cond_wait(&pp->done, &pp->mu);
    pthread_mutex_unlock(&pp->mu);
}

/* Before inserting sp: reserve room for all its parsed events, then let the
 * helpers fault in that room and as much again, the id store likewise, and
 * the id table once (its slots are written at random from the first span). */
static void fill_open(civic_loader *ld, civic_pipe *pp, const pipe_span *sp)
{
    civic_engine *e = ld->engine;
    if (!pp->helpers) return;
    pthread_mutex_lock(&pp->mu);
    bool off = pp->fill_off;
    pthread_mutex_unlock(&pp->mu);
    if (off) return;
    size_t events = 0, id_bytes = 0, name_bytes = 0;
    for (size_t i = 0; i < sp->count; i++) {
        events += sp->parts[i].count;
        id_bytes += sp->parts[i].id_bytes;
        name_bytes += sp->parts[i].name_bytes;
    }
    if (!events || civic__engine_reserve_batch(e, events, id_bytes, name_bytes) != CIVIC_OK)
        return; /* the parts' own reserves say what is wrong */
    size_t ev_end = e->event_count + 2 * events;
    if (ev_end > e->event_cap || ev_end < events) ev_end = e->event_cap;
    /* The store gets the text of the ids that are not numbered (ids.h):
     * as much again, of this span's, as the last span's wrote of its own. */
    uint64_t st_ahead = 2 * (uint64_t)id_bytes;
    if (pp->store_asked && e->id_store.used >= pp->store_at) {
        uint64_t wrote = e->id_store.used - pp->store_at;
        if (wrote < pp->store_asked) st_ahead = st_ahead * wrote / pp->store_asked;
    }
    pp->store_at = e->id_store.used;
    pp->store_asked = id_bytes;
    uint64_t st_end = e->id_store.used + st_ahead;
    if (st_end > e->id_store.cap) st_end = e->id_store.cap;
    pthread_mutex_lock(&pp->mu);
    fill_set(&pp->fill[FILL_EVENTS], e->events + e->event_count, e->events + ev_end);
    fill_set(&pp->fill[FILL_STORE], e->id_store.data + e->id_store.used,
             e->id_store.data + st_end);
    const civic_table *ids = &e->ids.table;
    if (pp->ids_filled != ids->slots && civic__ids_table_hint(&e->ids)) {
        pp->ids_filled = ids->slots;
        fill_set(&pp->fill[FILL_IDS], ids->slots, ids->slots + ids->mask + 1);
    }
    pthread_cond_broadcast(&pp->wake);
    pthread_mutex_unlock(&pp->mu);
}

static void *helper_main(void *arg)
{
    civic_pipe *pp = arg;
    pthread_mutex_lock(&pp->mu);
    for (;;) {
        bool part_ready = false;
        while (!pp->stop && !(part_ready = pp->open && pp->open->claimed < pp->open->count) &&
               !fill_ready(pp))
            pthread_cond_wait(&pp->wake, &pp->mu);
        if (pp->stop) break;
        if (part_ready) { /* parsing first: the inserting thread waits for it */
            pipe_span *sp = pp->open;
            civic_part *part = &sp->parts[sp->claimed++];
            pthread_mutex_unlock(&pp->mu);
            part_parse(part);
            pthread_mutex_lock(&pp->mu);
            if (++sp->finished == sp->count) pthread_cond_signal(&pp->done);
            continue;
        }
        uintptr_t lo, hi;
        if (!fill_take(pp, &lo, &hi)) continue;
        pp->fill_busy++;
        pthread_mutex_unlock(&pp->mu);
        bool ok = civic__prefault(pp->alc, (void *)lo, hi - lo);
        pthread_mutex_lock(&pp->mu);
        if (!ok) {
            pp->fill_off = true;
            memset(pp->fill, 0, sizeof(pp->fill));
        }
        if (--pp->fill_busy == 0) pthread_cond_signal(&pp->done);
    }
    pthread_mutex_unlock(&pp->mu);
    return NULL;
}

/* Wait until every part of sp is parsed, parsing unclaimed ones here; with
 * cancel, unclaimed parts are dropped instead.  Helpers are idle after. */
static void span_finish(civic_pipe *pp, pipe_span *sp, bool cancel)
{
    pthread_mutex_lock(&pp->mu);
    while (sp->claimed < sp->count) {
        civic_part *part = &sp->parts[sp->claimed++];
        if (cancel) {
            sp->finished++;
            continue;
        }
        pthread_mutex_unlock(&pp->mu);
        part_parse(part);
        pthread_mutex_lock(&pp->mu);
        sp->finished++;
    }
    while (sp->finished < sp->count) pthread_cond_wait(&pp->done, &pp->mu);
    pthread_mutex_unlock(&pp->mu);
}

/* Stop offering sp to the helpers (when it is still the open span). */
static void span_close(civic_pipe *pp, const pipe_span *sp)
{
    pthread_mutex_lock(&pp->mu);
    if (pp->open == sp) pp->open = NULL;
    pthread_mutex_unlock(&pp->mu);
}

/* Done with sp's parts; their memory stays for the next span in sp. */
static void span_reset(pipe_span *sp)
{
    sp->count = sp->claimed = sp->finished = 0;
}

/* The serial reader on lines a runner left: their exact errors, in order. */
static int rest(civic_loader *ld, const char *data, size_t len)
{
    size_t used = 0;
    return ld->format->serial(ld, data, len, true, SIZE_MAX, &used);
}

/* Insert what one part parsed, then let the serial reader finish it. */
static int part_commit(civic_loader *ld, const civic_part *part)
{
    if (part->nomem) return civic__error_set(ld->err, CIVIC_E_NOMEM, 0, 0, 0, NULL);
    uint64_t base = ld->line, base_offset = ld->offset;
    int rc = CIVIC_OK;
    /* Room for the whole part at once spares each insert its checks; when
     * it cannot be had, inserts ask one by one and the one that fails says
     * so at its line. */
    bool reserved = civic__engine_reserve_batch(ld->engine, part->count, part->id_bytes,
                                                part->name_bytes) == CIVIC_OK;
    const size_t ahead = 8; /* table slots are fetched this many events early */
    for (size_t i = 0; i < ahead && i < part->count; i++)
        if (!part->out[i].reread) event_prefetch(ld->engine, &part->out[i].p);
    ld->part_data = part->data; /* where a rejected event's line starts (sink.c) */
    ld->part_len = part->len;
    ld->part_offset = base_offset;
    ld->part_line = base;
    for (size_t i = 0; i < part->count && rc == CIVIC_OK; i++) {
        const civic_part_event *o = &part->out[i];
        if (i + 4 * ahead < part->count) { /* the parsed events came from another core */
            const char *next = (const char *)&part->out[i + 4 * ahead];
            __builtin_prefetch(next);
            __builtin_prefetch(next + 64);
            __builtin_prefetch(next + sizeof(*o) - 1);
        }
        if (i + ahead < part->count && !part->out[i + ahead].reread)
            event_prefetch(ld->engine, &part->out[i + ahead].p);
        if (o->reread) { /* the serial reader says what is wrong, and counts */
            fill_close(ld->pipe); /* it may grow what the helpers fault in */
            ld->line = base + o->line;
            ld->offset = base_offset + (uint64_t)(o->p.id - part->data);
            ld->part_data = NULL;
            rc = rest(ld, o->p.id, o->p.id_len);
            ld->part_data = part->data;
            continue;
        }
        rc = civic__loader_insert(ld, &o->p, base + o->line + 1, o->column, reserved);
        if (rc != CIVIC_OK) ld->line = base + o->line + 1; /* the lines read, as serially */
    }
    ld->part_data = NULL;
    if (rc != CIVIC_OK) return rc;
    ld->line = base + part->lines;
    ld->offset = base_offset + part->stop;
    if (part->stop < part->len) {
        fill_close(ld->pipe);
        rc = rest(ld, part->data + part->stop, part->len - part->stop);
    }
    return rc;
}

/* Insert sp's parts in order.  Without helpers each part is parsed just
 * before it is inserted, while its bytes and parsed events are in cache. */
static int span_commit(civic_loader *ld, civic_pipe *pp, pipe_span *sp)
{
    int rc = CIVIC_OK;
    fill_open(ld, pp, sp);
    for (size_t i = 0; rc == CIVIC_OK && i < sp->count; i++) {
        if (i >= sp->claimed) { /* no helpers: nobody else claims */
            part_parse(&sp->parts[i]);
            sp->claimed = sp->finished = i + 1;
        }
        rc = part_commit(ld, &sp->parts[i]);
    }
    fill_close(pp);
    return rc;
}

/* The most subjects (and groups) inserting sp can add: one per event. */
static size_t span_bound(const pipe_span *sp)
{
    size_t n = 0;
    for (size_t i = 0; i < sp->count; i++) {
        const civic_part *part = &sp->parts[i];
        n += part->count;
        if (part->stop < part->len) n += count_lines(part->data + part->stop, part->len - part->stop);
    }
    return n;
}

/* A first big load into an empty engine: size the event array and id table
 * for the whole input, from the bytes per line of its first span.  Only a
 * hint: when it fails, inserts grow them as usual. */
static void presize(const civic_loader *ld, const char *data, size_t len)
{
    civic_engine *e = ld->engine;
    if (e->event_count != 0 || ld->size_hint <= len || len == 0) return;
    uint64_t lines = count_lines(data, len);
    uint64_t guess = ld->size_hint / len * lines + (ld->size_hint % len) * lines / len;
    if (guess > e->events_max) guess = e->events_max;
    if (guess > SIZE_MAX / 64) return;
    (void)civic__engine_reserve_events(e, (size_t)guess);
}

static civic_pipe *pipe_start(civic_loader *ld, size_t first_len)
{
    const civic_allocator *alc = &ld->engine->alc;
    civic_pipe *pp = civic__calloc(alc, 1, sizeof(*pp));
    if (!pp) return NULL;
    pp->alc = alc;
    if (pthread_mutex_init(&pp->mu, NULL) != 0) goto fail_mu;
    if (pthread_cond_init(&pp->wake, NULL) != 0) goto fail_wake;
    if (pthread_cond_init(&pp->done, NULL) != 0) goto fail_done;
    size_t want = first_len < HELPER_BYTES_MIN ? 0 : ld->engine->threads - 1;
    if (want > HELPERS_MAX) want = HELPERS_MAX;
    /* Fewer helpers than asked (even none) is slower, never wrong. */
    while (pp->helpers < want && civic__thread_create(&pp->tid[pp->helpers], helper_main, pp) == 0)
        pp->helpers++;
    return pp;
fail_done:
    pthread_cond_destroy(&pp->wake);
fail_wake:
    pthread_mutex_destroy(&pp->mu);
fail_mu:
    civic__free(alc, pp, sizeof(*pp));
    return NULL;
}

/* Submit one span and insert the span submitted before it. */
static int submit_span(civic_loader *ld, const char *data, size_t len)
{
    civic_engine *e = ld->engine;
    if (!ld->pipe) {
        presize(ld, data, len);
        if (!(ld->pipe = pipe_start(ld, len)))
            return civic__error_set(ld->err, CIVIC_E_NOMEM, 0, 0, 0, NULL);
    }
    civic_pipe *pp = ld->pipe;
    pipe_span *prev = pp->open;
    int rc = CIVIC_OK;
    if (prev && pp->helpers) { /* no helper reads while prev is inserted */
        span_finish(pp, prev, false);
        if (civic__engine_reserve_names(e, span_bound(prev)) != CIVIC_OK)
            rc = civic__error_set(ld->err, CIVIC_E_NOMEM, 0, 0, 0, NULL);
    }
    if (rc == CIVIC_OK) {
        pipe_span *next = prev == &pp->span[0] ? &pp->span[1] : &pp->span[0];
        size_t k = (len + PART_BYTES - 1) / PART_BYTES;
        if (k < pp->helpers + 1) k = pp->helpers + 1;
        if (k > PARTS_MAX) k = PARTS_MAX;
        size_t at = 0, made = 0;
        for (size_t i = 0; i < k && at < len; i++) {
            size_t end = i + 1 == k ? len : (len / k) * (i + 1);
            if (end < at) end = at;
            const char *nl = end < len ? memchr(data + end, '\n', len - end) : NULL;
            end = nl ? (size_t)(nl - data) + 1 : len;
            civic_part *part = &next->parts[made++];
            /* a fresh part in the slot's memory */
            *part = (civic_part){ .ld = ld, .data = data + at, .len = end - at,
                                  .out = part->out, .cap = part->cap,
                                  .scratch = part->scratch, .scratch_cap = part->scratch_cap };
            at = end;
        }
        pthread_mutex_lock(&pp->mu);
        next->count = made;
        next->claimed = next->finished = 0;
        pp->open = next;
        pthread_cond_broadcast(&pp->wake);
        pthread_mutex_unlock(&pp->mu);
    }
    if (prev) {
        if (rc == CIVIC_OK) rc = span_commit(ld, pp, prev);
        span_close(pp, prev);
        span_reset(prev);
    }
    return rc;
}

int civic__pipe_submit(civic_loader *ld, const char *data, size_t len)
{
    int rc = CIVIC_OK;
    size_t pos = 0;
    while (rc == CIVIC_OK && pos < len) {
        size_t end = len - pos <= SPAN_BYTES + SPAN_BYTES / 2 ? len : pos + SPAN_BYTES;
        const char *nl = end < len ? memchr(data + end, '\n', len - end) : NULL;
        end = nl ? (size_t)(nl - data) + 1 : len;
        rc = submit_span(ld, data + pos, end - pos);
        pos = end;
    }
    return rc;
}

int civic__pipe_drain(civic_loader *ld)
{
    civic_pipe *pp = ld->pipe;
    if (!pp || !pp->open) return CIVIC_OK;
    pipe_span *sp = pp->open;
    if (pp->helpers) span_finish(pp, sp, false); /* helpers idle: nothing reads while this inserts */
    int rc = span_commit(ld, pp, sp);
    span_close(pp, sp);
    span_reset(sp);
    return rc;
}

int civic__pipe_finish(civic_loader *ld, int rc)
{
    civic_pipe *pp = ld->pipe;
    if (!pp) return rc;
    if (rc == CIVIC_OK) {
        rc = civic__pipe_drain(ld);
    } else if (pp->open) {
        pipe_span *sp = pp->open;
        span_finish(pp, sp, true);
        span_close(pp, sp);
        span_reset(sp);
    }
    pthread_mutex_lock(&pp->mu);
    pp->stop = true;
    pthread_cond_broadcast(&pp->wake);
    pthread_mutex_unlock(&pp->mu);
    for (size_t i = 0; i < pp->helpers; i++) pthread_join(pp->tid[i], NULL);
    for (size_t s = 0; s < 2; s++)
        for (size_t i = 0; i < PARTS_MAX; i++) part_free(&ld->engine->alc, &pp->span[s].parts[i]);
    pthread_cond_destroy(&pp->done);
    pthread_cond_destroy(&pp->wake);
    pthread_mutex_destroy(&pp->mu);
    civic__free(&ld->engine->alc, pp, sizeof(*pp));
    ld->pipe = NULL;
    return rc;
}
