/*
** fuzz_load.h -- the body shared by fuzz_csv.c and fuzz_jsonl.c: load one
** input as a batch into an engine under the built-in rules, then
** check what the loader promises (SPEC section 3):
**   - the engine holds three events before the load ("no input, however
**     malformed, may corrupt what it already holds");
**   - strict mode (first byte even): success, or an error with a line and a
**     message and an engine left exactly as it was (same events, same
**     answers);
**   - lenient mode (first byte odd): only out-of-memory, an oversize line,
**     a stop from on_reject or (CSV) a bad header may fail; every reject is
**     reported with a line;
**   - the report adds up: accepted == events held - 3;
**   - loading the same bytes again changes nothing (every event is a
**     duplicate or rejected again, answers identical);
**   - every query answers (all subjects, each record, rank, groups at
**     depths 0..3) at the last ts, halfway and far in the future, and the
**     record invariant and the group/ranking checks of fuzz_common.h hold.
** The first byte also picks whether on_reject asks to stop at the third
** reject (bit 1), to exercise CIVIC_E_USER and its rollback, and (bit 2,
** CSV only) a differential run of the parallel CSV reader: the input's
** header plus its body repeated past 300 KiB, loaded with threads = 1 and
** threads = 4, must give the same code, error, report, rejects and answers.
*/
#ifndef CIVIC_FUZZ_LOAD_H
#define CIVIC_FUZZ_LOAD_H

#include "fuzz_common.h"

typedef struct fz_rejects {
    uint64_t count;
    uint64_t stop_at; /* 0: never stop */
} fz_rejects;

static inline int fz_on_reject(void *payload, const civic_error *err)
{
    fz_rejects *r = payload;
    FZ_CHECK(err && err->code < 0 && err->line > 0 && err->message[0],
             "reject without code, line or message");
    r->count++;
    return r->stop_at && r->count >= r->stop_at;
}

static inline civic_rules *fz_default_rules(void)
{
    static civic_rules *rules;
    if (!rules) FZ_CHECK(civic_rules_default(&rules, NULL) == CIVIC_OK, "default rules");
    return rules;
}

/* One reject as the callback saw it, folded into a running hash. */
typedef struct fz_trace {
    uint64_t hash, count;
} fz_trace;

static inline int fz_on_reject_trace(void *payload, const civic_error *err)
{
    fz_trace *t = payload;
    const unsigned char *m = (const unsigned char *)err->message;
    t->hash = (t->hash ^ err->line) * 0x100000001B3ull;
    t->hash = (t->hash ^ (uint64_t)(uint32_t)err->code) * 0x100000001B3ull;
    for (; *m; m++) t->hash = (t->hash ^ *m) * 0x100000001B3ull;
    t->count++;
    return 0;
}

/* The parallel CSV reader (threads > 1, batches of 256 KiB and more) must
 * behave exactly like the serial one: same code, error, report, rejects in
 * the same order with the same lines and messages, same answers.  The
 * input's first line is kept as the header and the rest repeated until the
 * batch is large enough. */
static inline void fz_parallel_csv(const char *text, size_t len, bool lenient)
{
    const char *nl = memchr(text, '\n', len);
    if (!nl || (size_t)(nl - text) + 1 >= len) return;
    size_t head = (size_t)(nl - text) + 1, body = len - head;
    size_t copies = ((size_t)300 << 10) / body + 1, n = head + copies * body;
    char *big = malloc(n);
    FZ_CHECK(big != NULL, "malloc");
    memcpy(big, text, head);
    for (size_t i = 0; i < copies; i++) memcpy(big + head + i * body, text + head, body);
    fz_buf snap[2] = { { NULL, 0, 0 }, { NULL, 0, 0 } };
    int rc[2];
    civic_error err[2] = { CIVIC_ERROR_INIT, CIVIC_ERROR_INIT };
    civic_load_report rep[2] = { CIVIC_LOAD_REPORT_INIT, CIVIC_LOAD_REPORT_INIT };
    fz_trace trace[2] = { { 0, 0 }, { 0, 0 } };
    for (int k = 0; k < 2; k++) {
        civic_engine_options eo = CIVIC_ENGINE_OPTIONS_INIT;
        eo.threads = k ? 4 : 1;
        civic_engine *e = NULL;
        FZ_CHECK(civic_engine_new(&e, fz_default_rules(), &eo) == CIVIC_OK, "engine_new");
        civic_load_options o = CIVIC_LOAD_OPTIONS_INIT;
        o.format = CIVIC_FORMAT_CSV;
        o.flags = lenient ? CIVIC_LOAD_LENIENT : 0;
        o.on_reject = fz_on_reject_trace;
        o.payload = &trace[k];
        rc[k] = civic_engine_load(e, big, n, &o, &rep[k], &err[k]);
        fz_printf(&snap[k], "events %llu subjects %llu\n",
                  (unsigned long long)civic_engine_event_count(e),
                  (unsigned long long)civic_engine_subject_count(e));
        fz_snapshot_at(e, CIVIC_TIME_MAX, 1, &snap[k]);
        civic_engine_free(e);
    }
    FZ_CHECK(rc[0] == rc[1], "parallel CSV load returned %d, serial %d", rc[1], rc[0]);
    FZ_CHECK(err[0].code == err[1].code && err[0].line == err[1].line &&
                 err[0].column == err[1].column && strcmp(err[0].message, err[1].message) == 0,
             "parallel CSV error \"%s\" (line %llu), serial \"%s\" (line %llu)", err[1].message,
             (unsigned long long)err[1].line, err[0].message, (unsigned long long)err[0].line);
    FZ_CHECK(rep[0].lines == rep[1].lines && rep[0].accepted == rep[1].accepted &&
                 rep[0].duplicates == rep[1].duplicates && rep[0].rejected == rep[1].rejected,
             "parallel CSV report %llu/%llu/%llu/%llu, serial %llu/%llu/%llu/%llu",
             (unsigned long long)rep[1].lines, (unsigned long long)rep[1].accepted,
             (unsigned long long)rep[1].duplicates, (unsigned long long)rep[1].rejected,
             (unsigned long long)rep[0].lines, (unsigned long long)rep[0].accepted,
             (unsigned long long)rep[0].duplicates, (unsigned long long)rep[0].rejected);
    FZ_CHECK(trace[0].count == trace[1].count && trace[0].hash == trace[1].hash,
             "parallel CSV rejects differ from serial (%llu vs %llu)",
             (unsigned long long)trace[1].count, (unsigned long long)trace[0].count);
    FZ_CHECK(snap[0].n == snap[1].n && memcmp(snap[0].p, snap[1].p, snap[0].n) == 0,
             "parallel CSV load answers differ from serial");
    fz_buf_free(&snap[0]);
    fz_buf_free(&snap[1]);
    free(big);
}

static inline void fz_load_one(const uint8_t *data, size_t size, uint32_t format)
{
    if (size == 0) return;
    uint8_t mode = data[0];
    const char *text = (const char *)data + 1;
    size_t len = size - 1;
    /* The built-in scheme: min 0, max 2000, clamp final. */
    static const fz_bounds bounds = { 0, 200000, false };
    civic_engine *e = NULL;
    FZ_CHECK(civic_engine_new(&e, fz_default_rules(), NULL) == CIVIC_OK, "engine_new");
    /* What the engine already holds must survive any input. */
    static const char base[] = "id,subject,type,ts,qty,group,ref\n"
                               "base1,r0001,volunteer_hour,2024-03-01,2,a/b,\n"
                               "base2,r0001,illegal_parking,2024-03-02,,a/b,\n"
                               "base3,zz,revoke,2024-03-03,,,base2\n";
    FZ_CHECK(civic_engine_load(e, base, sizeof(base) - 1, NULL, NULL, NULL) == CIVIC_OK, "base");
    const uint64_t base_events = 3;
    fz_buf held_before = { NULL, 0, 0 };
    fz_snapshot_at(e, CIVIC_TIME_MAX, 1, &held_before);

    civic_load_options opts = CIVIC_LOAD_OPTIONS_INIT;
    fz_rejects rejects = { 0, (mode & 2) ? 3 : 0 };
    opts.format = format;
    opts.flags = (mode & 1) ? CIVIC_LOAD_LENIENT : 0;
    opts.on_reject = fz_on_reject;
    opts.payload = &rejects;
    civic_load_report rep = CIVIC_LOAD_REPORT_INIT;
    civic_error err = CIVIC_ERROR_INIT;
    int rc = civic_engine_load(e, text, len, &opts, &rep, &err);
    uint64_t held = civic_engine_event_count(e);
    if (rc != CIVIC_OK) {
        FZ_CHECK(err.code == rc && err.message[0], "load failed with %d but err.code %d", rc,
                 err.code);
        FZ_CHECK(held == base_events && civic_engine_subject_count(e) == 2,
                 "a failed load left %llu events", (unsigned long long)held);
        fz_buf held_after = { NULL, 0, 0 };
        fz_snapshot_at(e, CIVIC_TIME_MAX, 1, &held_after);
        FZ_CHECK(held_before.n == held_after.n &&
                     memcmp(held_before.p, held_after.p, held_before.n) == 0,
                 "a failed load changed the answers about what the engine held");
        fz_buf_free(&held_after);
        /* lenient: a bad CSV header leaves nothing to read (SYNTAX), nor
         * JSON Lines whose lines end in a lone CR ("}\r{": every line after
         * would go with the one skipped); else only a stop, an oversize
         * record or memory may fail the batch */
        if (mode & 1)
            FZ_CHECK(rc == CIVIC_E_USER || rc == CIVIC_E_LIMIT || rc == CIVIC_E_NOMEM ||
                         (rc == CIVIC_E_SYNTAX && format == CIVIC_FORMAT_CSV) ||
                         (rc == CIVIC_E_SYNTAX && format == CIVIC_FORMAT_JSONL &&
                          strstr(err.message, "an object after a carriage return")),
                     "lenient load failed with %d: %s", rc, err.message);
        else
            FZ_CHECK(err.line > 0 || rc == CIVIC_E_NOMEM, "strict error without a line: %s",
                     err.message);
        FZ_CHECK(rep.rejected >= 1, "failed load reports no rejected line");
    } else {
        FZ_CHECK(rep.accepted + base_events == held,
                 "report says %llu accepted, engine holds %llu + %llu",
                 (unsigned long long)rep.accepted, (unsigned long long)base_events,
                 (unsigned long long)(held - base_events));
        FZ_CHECK((mode & 1) || rep.rejected == 0, "strict success with rejects");
        FZ_CHECK(rep.rejected == rejects.count, "report %llu rejects, callback saw %llu",
                 (unsigned long long)rep.rejected, (unsigned long long)rejects.count);
    }

    int64_t first = 0, last = 0;
    int64_t times[3] = { CIVIC_TIME_MAX, 0, 0 };
    size_t ntimes = 1;
    if (civic_engine_time_range(e, &first, &last) == CIVIC_OK) {
        times[1] = last;
        times[2] = first + (last - first) / 2;
        ntimes = 3;
    }
    fz_buf before = { NULL, 0, 0 };
    for (size_t i = 0; i < ntimes; i++) {
        fz_check_all(e, &bounds, times[i]);
        fz_snapshot_at(e, times[i], 3, &before);
    }

    /* The same batch again: nothing new. */
    rejects.count = 0;
    civic_load_report rep2 = CIVIC_LOAD_REPORT_INIT;
    rc = civic_engine_load(e, text, len, &opts, &rep2, NULL);
    FZ_CHECK(civic_engine_event_count(e) == held, "reloading the same batch added events");
    FZ_CHECK(rc != CIVIC_OK || rep2.accepted == 0, "reloading accepted %llu events",
             (unsigned long long)rep2.accepted);
    fz_buf after = { NULL, 0, 0 };
    for (size_t i = 0; i < ntimes; i++) fz_snapshot_at(e, times[i], 3, &after);
    FZ_CHECK(before.n == after.n && (before.n == 0 || memcmp(before.p, after.p, before.n) == 0),
             "answers changed after reloading the same batch");
    fz_buf_free(&before);
    fz_buf_free(&after);
    fz_buf_free(&held_before);
    civic_engine_free(e);
    if (format == CIVIC_FORMAT_CSV && (mode & 4)) fz_parallel_csv(text, len, mode & 1);
}

#endif
