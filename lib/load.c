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

int civic__loader_insert(civic_loader *ld, const civic_parsed *p, uint64_t line, uint32_t column)
{
    civic_error e = CIVIC_ERROR_INIT;
    int rc = civic__event_insert(ld->engine, p, line, column, &e);
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
    if (rc == CIVIC_OK) return civic__loader_insert(ld, &p, line, f->column[CIVIC_F_ID]);
    if (e.line == 0) e.line = line;
    return civic__loader_reject(ld, &e);
}

/* ------------------------------------------------------------ parallel parse */

#define PARALLEL_BYTES_MIN ((size_t)1 << 18)
#define PARTS_MAX 8

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

/* Insert what one part parsed, then let the serial reader finish it. */
static int part_commit(civic_loader *ld, const civic_part *part,
                       int (*rest)(civic_loader *, const char *, size_t))
{
    uint64_t base = ld->line;
    int rc = CIVIC_OK;
    const size_t ahead = 8; /* table slots are fetched this many events early */
    for (size_t i = 0; i < ahead && i < part->count; i++)
        civic__event_prefetch(ld->engine, &part->out[i].p);
    for (size_t i = 0; i < part->count && rc == CIVIC_OK; i++) {
        const civic_part_event *o = &part->out[i];
        if (i + ahead < part->count) civic__event_prefetch(ld->engine, &part->out[i + ahead].p);
        rc = civic__loader_insert(ld, &o->p, base + o->line + 1, o->column);
        if (rc != CIVIC_OK) ld->line = base + o->line + 1; /* the lines read, as serially */
    }
    if (rc != CIVIC_OK) return rc;
    ld->line = base + part->lines;
    ld->offset += part->stop;
    if (part->stop < part->len) rc = rest(ld, part->data + part->stop, part->len - part->stop);
    return rc;
}

/* A worker: parse the part, then look up the subjects and groups its events
 * name, which the tables answer read-only while every thread is parsing. */
static void *part_main(void *arg)
{
    civic_part *part = arg;
    const civic_engine *e = part->ld->engine;
    part->parse(part);
    civic__events_resolve(e, part->out, part->count);
    return NULL;
}

static int parts_alloc(civic_loader *ld, civic_part *part, size_t scratch_per_line)
{
    const civic_allocator *alc = &ld->engine->alc;
    part->cap = count_lines(part->data, part->len);
    part->out = civic__malloc(alc, part->cap * sizeof(civic_part_event));
    if (scratch_per_line) {
        part->scratch_cap = part->len + part->cap * scratch_per_line;
        part->scratch = civic__malloc(alc, part->scratch_cap);
    }
    if (!part->out || (scratch_per_line && !part->scratch))
        return civic__error_set(ld->err, CIVIC_E_NOMEM, 0, 0, 0, NULL);
    return CIVIC_OK;
}

int civic__load_parallel(civic_loader *ld, const char *data, size_t len,
                         void *(*run)(void *), int (*rest)(civic_loader *, const char *, size_t),
                         size_t scratch_per_line)
{
    const civic_allocator *alc = &ld->engine->alc;
    civic_part parts[PARTS_MAX];
    pthread_t tid[PARTS_MAX];
    bool started[PARTS_MAX] = { false };
    size_t k = ld->engine->threads < PARTS_MAX ? ld->engine->threads : PARTS_MAX;
    size_t at = 0, made = 0;
    int rc = CIVIC_OK;
    for (size_t i = 0; i < k && at < len; i++) {
        size_t end = i + 1 == k ? len : (len / k) * (i + 1);
        if (end < at) end = at;
        const char *nl = end < len ? memchr(data + end, '\n', len - end) : NULL;
        end = nl ? (size_t)(nl - data) + 1 : len;
        civic_part *part = &parts[made++];
        memset(part, 0, sizeof(*part));
        part->ld = ld;
        part->parse = run;
        part->data = data + at;
        part->len = end - at;
        if (rc == CIVIC_OK) rc = parts_alloc(ld, part, scratch_per_line);
        at = end;
    }
    for (size_t i = 1; rc == CIVIC_OK && i < made; i++)
        started[i] = pthread_create(&tid[i], NULL, part_main, &parts[i]) == 0;
    if (rc == CIVIC_OK && made > 0) part_main(&parts[0]);
    for (size_t i = 1; i < made; i++) {
        if (started[i]) pthread_join(tid[i], NULL);
        else if (rc == CIVIC_OK) part_main(&parts[i]); /* no thread: do it here */
    }
    for (size_t i = 0; rc == CIVIC_OK && i < made; i++) rc = part_commit(ld, &parts[i], rest);
    for (size_t i = 0; i < made; i++) {
        civic__free(alc, parts[i].out, parts[i].cap * sizeof(civic_part_event));
        civic__free(alc, parts[i].scratch, parts[i].scratch_cap);
    }
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
    pthread_rwlock_wrlock(&e->lock);
    civic_batch_mark mark = civic__batch_begin(e);
    size_t used = 0;
    rc = feed(&ld, format, data, len, true, &used);
    if (rc == CIVIC_OK) rc = civic__journal_append(e, &mark, err);
    if (rc != CIVIC_OK) civic__batch_rollback(e, &mark);
    pthread_rwlock_unlock(&e->lock);
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

/* Read `f` in pieces and feed every complete record; the unconsumed tail of
 * one piece moves to the front of the buffer before the next read. */
static int load_stream(civic_loader *ld, FILE *f, uint32_t format, char *buf, size_t cap,
                       const char *path)
{
    size_t have = 0;
    bool eof = false;
    int rc = CIVIC_OK;
    while (rc == CIVIC_OK && !eof) {
        size_t got = fread(buf + have, 1, cap - have, f);
        have += got;
        if (got == 0 || have < cap) {
            if (ferror(f))
                return civic__error_set(ld->err, CIVIC_E_IO, 0, 0, ld->offset,
                                        "cannot read %s: %s", path, strerror(errno));
            if (feof(f)) eof = true;
        }
        if (format == CIVIC_FORMAT_AUTO) format = detect_format(buf, have);
        size_t used = 0;
        rc = feed(ld, format, buf, have, eof, &used);
        if (rc != CIVIC_OK) break;
        if (!eof && used == 0 && have == cap)
            return civic__error_set(ld->err, CIVIC_E_LIMIT, ld->line + 1, 0, ld->offset,
                                    "line %llu: a record longer than %u bytes",
                                    (unsigned long long)ld->line + 1, CIVIC_LINE_BYTES_MAX);
        memmove(buf, buf + used, have - used);
        have -= used;
    }
    return rc;
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
    char *buf = civic__malloc(&e->alc, cap);
    if (!buf) {
        fclose(f);
        return civic__error_set(err, CIVIC_E_NOMEM, 0, 0, 0, NULL);
    }
    civic_loader ld;
    loader_init(&ld, e, opts, report, err);
    pthread_rwlock_wrlock(&e->lock);
    civic_batch_mark mark = civic__batch_begin(e);
    rc = load_stream(&ld, f, format, buf, cap, path);
    if (rc == CIVIC_OK) rc = civic__journal_append(e, &mark, err);
    if (rc != CIVIC_OK) civic__batch_rollback(e, &mark);
    pthread_rwlock_unlock(&e->lock);
    loader_finish(&ld, rc);
    civic__free(&e->alc, buf, cap);
    fclose(f);
    return rc;
}
