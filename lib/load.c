/*
** load.c -- bulk loads: format choice, file reading, strict and lenient
** batches, the load report.
**
** A load is one batch under the engine's write lock: queries see all of it or
** none.  Strict mode stops at the first bad line and rolls the whole batch
** back; lenient mode skips bad lines (reporting each through on_reject) and
** applies the rest.  Running out of memory is never a "bad line": it rolls
** back in both modes.  Files are read in pieces of a few MiB, so memory
** follows the number of events, not the size of the file.
*/
#include "internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

int civic__loader_reject(civic_loader *ld, const civic_error *e)
{
    if (e->code == CIVIC_E_NOMEM || !ld->lenient) {
        civic__error_copy(ld->err, e);
        if (ld->report) ld->report->rejected++;
        return e->code ? e->code : CIVIC_E_EVENT;
    }
    if (ld->report) ld->report->rejected++;
    if (ld->opts && ld->opts->on_reject && ld->opts->on_reject(ld->opts->payload, e) != 0) {
        civic__error_set(ld->err, CIVIC_E_USER, e->line, 0, 0,
                         "line %llu: the reject callback stopped the load",
                         (unsigned long long)e->line);
        return CIVIC_E_USER;
    }
    return CIVIC_OK;
}

int civic__loader_insert(civic_loader *ld, const civic_parsed *p, uint64_t line, uint32_t column,
                         bool reserved)
{
    civic_error e; /* filled only on failure: no 300-byte clear per event */
    e.version = CIVIC_ERROR_VERSION;
    e.code = 0;
    e.line = 0;
    e.column = 0;
    e.reserved = 0;
    e.offset = 0;
    e.message[0] = '\0';
    int rc = reserved ? civic__event_insert_reserved(ld->engine, p, line, column, &e)
                      : civic__event_insert(ld->engine, p, line, column, &e);
    if (rc == CIVIC_OK) {
        if (ld->report) ld->report->accepted++;
        return CIVIC_OK;
    }
    if (rc == CIVIC_DUPLICATE) {
        if (ld->report) ld->report->duplicates++;
        return CIVIC_OK;
    }
    if (e.line == 0) e.line = line;
    return civic__loader_reject(ld, &e);
}

int civic__loader_event(civic_loader *ld, const civic_fields *f, uint64_t line)
{
    civic_error e = CIVIC_ERROR_INIT;
    civic_parsed p;
    int rc = civic__event_parse(ld->engine, f, &p, line, &e);
    if (rc == CIVIC_OK) return civic__loader_insert(ld, &p, line, f->column[CIVIC_F_ID], false);
    if (e.line == 0) e.line = line;
    return civic__loader_reject(ld, &e);
}

/* ------------------------------------------------------------ parallel parse
 *
 * A pipeline.  The feed functions hand over spans of whole lines; each span
 * is cut into parts that worker threads ("helpers") and the caller's thread
 * claim one at a time and parse into memory of their own.  While the helpers
 * parse span N + 1, the caller's thread inserts span N, in line order, so
 * errors, line numbers and callbacks are those of the serial path.
 *
 * Parsing also looks subjects and groups up (civic__events_resolve), which
 * reads tables the inserting thread writes.  That is safe because (1) slots
 * are published with release stores after the record and key bytes they
 * point to, and (2) before inserting span N while span N + 1 is parsed, the
 * caller reserves room for every subject and group span N can add, so no
 * array or table moves under a reader.  A lookup that misses a subject
 * added meanwhile just leaves the work to the insert.  Anything serial (a
 * CSV header, quoted CSV, the last partial line) first drains the pipeline.
 */

#define PARALLEL_BYTES_MIN ((size_t)1 << 18)
#define SPAN_BYTES ((size_t)4 << 20)
#define PART_BYTES ((size_t)1 << 19)
#define PARTS_MAX 16
#define HELPERS_MAX 7

typedef struct pipe_span {
    civic_part parts[PARTS_MAX];
    size_t count, claimed, finished;   /* parts; claimed and finished: under mu */
    int (*rest)(civic_loader *, const char *, size_t);
} pipe_span;

struct civic_pipe {
    pthread_mutex_t mu;
    pthread_cond_t wake;               /* helpers: a span opened, or stop */
    pthread_cond_t done;               /* caller: the last part finished */
    pthread_t tid[HELPERS_MAX];
    size_t helpers;
    bool stop;
    pipe_span span[2];
    pipe_span *open;                   /* submitted, maybe not yet parsed */
};

size_t civic__parallel_span(const civic_loader *ld, const char *data, size_t len, bool final)
{
    if (ld->engine->threads < 2 || len < PARALLEL_BYTES_MIN) return 0;
    size_t end = len;
    if (!final)
        while (end > 0 && data[end - 1] != '\n') end--;
    return end >= PARALLEL_BYTES_MIN ? end : 0;
}

static size_t count_lines(const char *p, size_t n)
{
    size_t lines = 1;
    for (const char *q = p; (q = memchr(q, '\n', (size_t)(p + n - q))) != NULL; q++) lines++;
    return lines;
}

/* Parse one part: its memory, its lines, then its subjects and groups. */
static void part_parse(civic_part *part)
{
    const civic_engine *e = part->ld->engine;
    const civic_allocator *alc = &e->alc;
    /* Formats with scratch size it by lines; others start from a guess and
     * grow (civic__part_grow), sparing a pass over the bytes. */
    part->cap = part->scratch_per_line ? count_lines(part->data, part->len) : part->len / 40 + 16;
    part->out = civic__malloc(alc, part->cap * sizeof(civic_part_event));
    if (part->scratch_per_line) {
        part->scratch_cap = part->len + part->cap * part->scratch_per_line;
        part->scratch = civic__malloc(alc, part->scratch_cap);
    }
    if (!part->out || (part->scratch_per_line && !part->scratch)) {
        part->nomem = true;
        return;
    }
    part->parse(part);
    civic__events_resolve(e, part->out, part->count);
    size_t id_bytes = 0, name_bytes = 0;
    for (size_t i = 0; i < part->count; i++) {
        const civic_parsed *p = &part->out[i].p;
        if (part->out[i].reread) continue;
        id_bytes += p->id_len + 2 + (p->ref ? p->ref_len + 2 : 0);
        if (p->subject_index == CIVIC_NONE) name_bytes += p->subject_len + 2;
        if (p->group_len && p->group_index == CIVIC_NONE) name_bytes += p->group_len + 2;
    }
    part->id_bytes = id_bytes;
    part->name_bytes = name_bytes;
}

void civic__part_reread(civic_part *part, const char *line, size_t len, uint64_t lineno)
{
    CIVIC_ASSERT(part->count < part->cap);
    civic_part_event *o = &part->out[part->count++];
    memset(&o->p, 0, sizeof(o->p));
    o->p.id = line;
    o->p.id_len = len;
    o->line = lineno;
    o->column = 0;
    o->reread = 1;
}

bool civic__part_event(civic_part *part, const civic_fields *f, const char *text, size_t len,
                       uint64_t lineno)
{
    CIVIC_ASSERT(part->count < part->cap);
    civic_part_event *o = &part->out[part->count];
    if (civic__event_parse(part->ld->engine, f, &o->p, 0, NULL) != CIVIC_OK) {
        civic__part_reread(part, text, len, lineno);
        return false;
    }
    o->line = lineno;
    o->column = f->column[CIVIC_F_ID];
    o->reread = 0;
    part->count++;
    return true;
}

bool civic__part_grow(civic_part *part)
{
    size_t cap = part->cap;
    return civic__grow(&part->ld->engine->alc, (void **)&part->out, &part->cap, cap + 1,
                       sizeof(civic_part_event)) == CIVIC_OK;
}

static void part_free(const civic_allocator *alc, civic_part *part)
{
    civic__free(alc, part->out, part->cap * sizeof(civic_part_event));
    civic__free(alc, part->scratch, part->scratch_cap);
    part->out = NULL;
    part->scratch = NULL;
}

static void *helper_main(void *arg)
{
    civic_pipe *pp = arg;
    pthread_mutex_lock(&pp->mu);
    for (;;) {
        while (!pp->stop && (!pp->open || pp->open->claimed == pp->open->count))
            pthread_cond_wait(&pp->wake, &pp->mu);
        if (pp->stop) break;
        pipe_span *sp = pp->open;
        civic_part *part = &sp->parts[sp->claimed++];
        pthread_mutex_unlock(&pp->mu);
        part_parse(part);
        pthread_mutex_lock(&pp->mu);
        if (++sp->finished == sp->count) pthread_cond_signal(&pp->done);
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

static void span_free(const civic_allocator *alc, pipe_span *sp)
{
    for (size_t i = 0; i < sp->count; i++) part_free(alc, &sp->parts[i]);
    sp->count = sp->claimed = sp->finished = 0;
}

/* Insert what one part parsed, then let the serial reader finish it. */
static int part_commit(civic_loader *ld, const civic_part *part,
                       int (*rest)(civic_loader *, const char *, size_t))
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
        if (!part->out[i].reread) civic__event_prefetch(ld->engine, &part->out[i].p);
    for (size_t i = 0; i < part->count && rc == CIVIC_OK; i++) {
        const civic_part_event *o = &part->out[i];
        if (i + ahead < part->count && !part->out[i + ahead].reread)
            civic__event_prefetch(ld->engine, &part->out[i + ahead].p);
        if (o->reread) { /* the serial reader says what is wrong, and counts */
            ld->line = base + o->line;
            ld->offset = base_offset + (uint64_t)(o->p.id - part->data);
            rc = rest(ld, o->p.id, o->p.id_len);
            continue;
        }
        rc = civic__loader_insert(ld, &o->p, base + o->line + 1, o->column, reserved);
        if (rc != CIVIC_OK) ld->line = base + o->line + 1; /* the lines read, as serially */
    }
    if (rc != CIVIC_OK) return rc;
    ld->line = base + part->lines;
    ld->offset = base_offset + part->stop;
    if (part->stop < part->len) rc = rest(ld, part->data + part->stop, part->len - part->stop);
    return rc;
}

static int span_commit(civic_loader *ld, const pipe_span *sp)
{
    int rc = CIVIC_OK;
    for (size_t i = 0; rc == CIVIC_OK && i < sp->count; i++)
        rc = part_commit(ld, &sp->parts[i], sp->rest);
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

static civic_pipe *pipe_start(civic_loader *ld)
{
    const civic_allocator *alc = &ld->engine->alc;
    civic_pipe *pp = civic__calloc(alc, 1, sizeof(*pp));
    if (!pp) return NULL;
    if (pthread_mutex_init(&pp->mu, NULL) != 0) goto fail_mu;
    if (pthread_cond_init(&pp->wake, NULL) != 0) goto fail_wake;
    if (pthread_cond_init(&pp->done, NULL) != 0) goto fail_done;
    size_t want = ld->engine->threads - 1;
    if (want > HELPERS_MAX) want = HELPERS_MAX;
    /* Fewer helpers than asked (even none) is slower, never wrong. */
    while (pp->helpers < want && pthread_create(&pp->tid[pp->helpers], NULL, helper_main, pp) == 0)
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

int civic__load_parallel(civic_loader *ld, const char *data, size_t len,
                         void *(*run)(void *), int (*rest)(civic_loader *, const char *, size_t),
                         size_t scratch_per_line)
{
    civic_engine *e = ld->engine;
    if (!ld->pipe) {
        presize(ld, data, len);
        if (!(ld->pipe = pipe_start(ld)))
            return civic__error_set(ld->err, CIVIC_E_NOMEM, 0, 0, 0, NULL);
    }
    civic_pipe *pp = ld->pipe;
    pipe_span *prev = pp->open;
    int rc = CIVIC_OK;
    if (prev) {
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
            memset(part, 0, sizeof(*part));
            part->ld = ld;
            part->parse = run;
            part->scratch_per_line = scratch_per_line;
            part->data = data + at;
            part->len = end - at;
            at = end;
        }
        next->rest = rest;
        pthread_mutex_lock(&pp->mu);
        next->count = made;
        next->claimed = next->finished = 0;
        pp->open = next;
        pthread_cond_broadcast(&pp->wake);
        pthread_mutex_unlock(&pp->mu);
    }
    if (prev) {
        if (rc == CIVIC_OK) rc = span_commit(ld, prev);
        span_close(pp, prev);
        span_free(&e->alc, prev);
    }
    return rc;
}

int civic__load_spans(civic_loader *ld, const char *data, size_t len, void *(*run)(void *),
                      int (*rest)(civic_loader *, const char *, size_t), size_t scratch_per_line)
{
    int rc = CIVIC_OK;
    size_t pos = 0;
    while (rc == CIVIC_OK && pos < len) {
        size_t end = len - pos <= SPAN_BYTES + SPAN_BYTES / 2 ? len : pos + SPAN_BYTES;
        const char *nl = end < len ? memchr(data + end, '\n', len - end) : NULL;
        end = nl ? (size_t)(nl - data) + 1 : len;
        rc = civic__load_parallel(ld, data + pos, end - pos, run, rest, scratch_per_line);
        pos = end;
    }
    return rc;
}

int civic__pipe_drain(civic_loader *ld)
{
    civic_pipe *pp = ld->pipe;
    if (!pp || !pp->open) return CIVIC_OK;
    pipe_span *sp = pp->open;
    span_finish(pp, sp, false); /* helpers idle: nothing reads while this inserts */
    int rc = span_commit(ld, sp);
    span_close(pp, sp);
    span_free(&ld->engine->alc, sp);
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
        span_free(&ld->engine->alc, sp);
    }
    pthread_mutex_lock(&pp->mu);
    pp->stop = true;
    pthread_cond_broadcast(&pp->wake);
    pthread_mutex_unlock(&pp->mu);
    for (size_t i = 0; i < pp->helpers; i++) pthread_join(pp->tid[i], NULL);
    pthread_cond_destroy(&pp->done);
    pthread_cond_destroy(&pp->wake);
    pthread_mutex_destroy(&pp->mu);
    civic__free(&ld->engine->alc, pp, sizeof(*pp));
    ld->pipe = NULL;
    return rc;
}

static uint32_t detect_format(const char *data, size_t len)
{
    size_t i = 0;
    if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0) i = 3;
    while (i < len && (data[i] == ' ' || data[i] == '\t' || data[i] == '\r' || data[i] == '\n'))
        i++;
    return i < len && data[i] == '{' ? CIVIC_FORMAT_JSONL : CIVIC_FORMAT_CSV;
}

static int check_options(const civic_load_options *opts, civic_load_report *report,
                         civic_error *err)
{
    if (opts && (opts->version < 1 || opts->version > CIVIC_LOAD_OPTIONS_VERSION))
        return civic__error_set(err, CIVIC_E_VERSION, 0, 0, 0, "unsupported load options version");
    if (opts && (opts->format > CIVIC_FORMAT_JSONL || (opts->flags & ~CIVIC_LOAD_LENIENT) ||
                 opts->reserved != 0))
        return civic__error_set(err, CIVIC_E_INVALID, 0, 0, 0,
                                "unknown format or flag, or a reserved field is not zero");
    if (report && (report->version < 1 || report->version > CIVIC_LOAD_REPORT_VERSION))
        return civic__error_set(err, CIVIC_E_VERSION, 0, 0, 0, "unsupported load report version");
    return CIVIC_OK;
}

static void loader_init(civic_loader *ld, civic_engine *e, const civic_load_options *opts,
                        civic_load_report *report, civic_error *err)
{
    memset(ld, 0, sizeof(*ld));
    ld->engine = e;
    ld->opts = opts;
    ld->report = report;
    ld->err = err;
    ld->lenient = opts && (opts->flags & CIVIC_LOAD_LENIENT);
    if (report) {
        report->lines = report->accepted = report->duplicates = report->rejected = 0;
    }
}

static void loader_finish(civic_loader *ld, int rc)
{
    if (ld->report) {
        ld->report->lines = ld->line;
        if (rc != CIVIC_OK) ld->report->accepted = ld->report->duplicates = 0;
    }
}

static int feed(civic_loader *ld, uint32_t format, const char *data, size_t len, bool final,
                size_t *used)
{
    size_t bom = 0;
    if (!ld->bom_checked) { /* a UTF-8 BOM may open either format */
        if (len < 3 && !final) {
            *used = 0;
            return CIVIC_OK;
        }
        if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0) bom = 3;
        ld->bom_checked = true;
    }
    int rc = format == CIVIC_FORMAT_JSONL
                 ? civic__jsonl_feed(ld, data + bom, len - bom, final, used)
                 : civic__csv_feed(ld, data + bom, len - bom, final, used);
    *used += bom;
    return rc;
}

typedef struct buffer_load {
    civic_loader *ld;
    uint32_t format;
    const char *data;
    size_t len;
} buffer_load;

/* The write of civic_engine_load: the whole buffer as one batch.  The loader
 * reports errors through ld->err, which is err. */
static int buffer_apply(civic_engine *e, void *ctx, civic_error *err)
{
    buffer_load *b = ctx;
    size_t used = 0;
    int rc = feed(b->ld, b->format, b->data, b->len, true, &used);
    return civic__pipe_finish(b->ld, rc);
}

int civic_engine_load(civic_engine *e, const char *data, size_t len,
                      const civic_load_options *opts, civic_load_report *report,
                      civic_error *err)
{
    civic__error_clear(err);
    if (!e || (!data && len)) return civic__error_set(err, CIVIC_E_INVALID, 0, 0, 0, "invalid argument");
    int rc = check_options(opts, report, err);
    if (rc != CIVIC_OK) return rc;
    uint32_t format = opts ? opts->format : CIVIC_FORMAT_AUTO;
    if (!data) data = "";
    if (format == CIVIC_FORMAT_AUTO) format = detect_format(data, len);
    civic_loader ld;
    loader_init(&ld, e, opts, report, err);
    ld.size_hint = len;
    buffer_load b = { &ld, format, data, len };
    rc = civic__engine_write(e, buffer_apply, &b, err);
    loader_finish(&ld, rc);
    return rc;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    if (n < m) return false;
    for (size_t i = 0; i < m; i++) {
        char c = s[n - m + i];
        if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
        if (c != suffix[i]) return false;
    }
    return true;
}

/* Read `f` in pieces and feed every complete record.  Two buffers take
 * turns: the unconsumed tail of one moves to the front of the other before
 * the next read, because the records just fed may still be parsing. */
static int load_stream(civic_loader *ld, FILE *f, uint32_t format, char *bufs[2], size_t cap,
                       const char *path)
{
    size_t have = 0;
    int cur = 0;
    bool eof = false;
    int rc = CIVIC_OK;
    while (rc == CIVIC_OK && !eof) {
        char *buf = bufs[cur];
        size_t got = fread(buf + have, 1, cap - have, f);
        have += got;
        if (got == 0 || have < cap) {
            if (ferror(f)) {
                rc = civic__error_set(ld->err, CIVIC_E_IO, 0, 0, ld->offset,
                                      "cannot read %s: %s", path, strerror(errno));
                break;
            }
            if (feof(f)) eof = true;
        }
        if (format == CIVIC_FORMAT_AUTO) format = detect_format(buf, have);
        size_t used = 0;
        rc = feed(ld, format, buf, have, eof, &used);
        if (rc != CIVIC_OK) break;
        if (!eof && used == 0 && have == cap) {
            rc = civic__pipe_drain(ld); /* the lines before it count */
            if (rc == CIVIC_OK)
                rc = civic__error_set(ld->err, CIVIC_E_LIMIT, ld->line + 1, 0, ld->offset,
                                      "line %llu: a record longer than %u bytes",
                                      (unsigned long long)ld->line + 1, CIVIC_LINE_BYTES_MAX);
            break;
        }
        cur ^= 1;
        memcpy(bufs[cur], buf + used, have - used);
        have -= used;
    }
    return civic__pipe_finish(ld, rc);
}

typedef struct file_load {
    civic_loader *ld;
    FILE *f;
    uint32_t format;
    char **bufs;
    size_t cap;
    const char *path;
} file_load;

/* The write of civic_engine_load_file: the whole file as one batch (errors
 * through ld->err, as above). */
static int file_apply(civic_engine *e, void *ctx, civic_error *err)
{
    file_load *fl = ctx;
    return load_stream(fl->ld, fl->f, fl->format, fl->bufs, fl->cap, fl->path);
}

int civic_engine_load_file(civic_engine *e, const char *path, const civic_load_options *opts,
                           civic_load_report *report, civic_error *err)
{
    civic__error_clear(err);
    if (!e || !path) return civic__error_set(err, CIVIC_E_INVALID, 0, 0, 0, "invalid argument");
    int rc = check_options(opts, report, err);
    if (rc != CIVIC_OK) return rc;
    uint32_t format = opts ? opts->format : CIVIC_FORMAT_AUTO;
    if (format == CIVIC_FORMAT_AUTO) {
        if (ends_with(path, ".csv")) format = CIVIC_FORMAT_CSV;
        else if (ends_with(path, ".jsonl") || ends_with(path, ".ndjson")) format = CIVIC_FORMAT_JSONL;
    }
    FILE *f = fopen(path, "rb");
    if (!f) return civic__error_set(err, CIVIC_E_IO, 0, 0, 0, "cannot open %s: %s", path, strerror(errno));
    const size_t cap = (size_t)4 << 20; /* >= CIVIC_LINE_BYTES_MAX + 1 */
    char *bufs[2] = { civic__malloc(&e->alc, cap), civic__malloc(&e->alc, cap) };
    if (!bufs[0] || !bufs[1]) {
        civic__free(&e->alc, bufs[0], cap);
        civic__free(&e->alc, bufs[1], cap);
        fclose(f);
        return civic__error_set(err, CIVIC_E_NOMEM, 0, 0, 0, NULL);
    }
    civic_loader ld;
    loader_init(&ld, e, opts, report, err);
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0)
        ld.size_hint = (uint64_t)st.st_size;
    file_load fl = { &ld, f, format, bufs, cap, path };
    rc = civic__engine_write(e, file_apply, &fl, err);
    loader_finish(&ld, rc);
    civic__free(&e->alc, bufs[0], cap);
    civic__free(&e->alc, bufs[1], cap);
    fclose(f);
    return rc;
}
