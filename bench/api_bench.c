/*
** api_bench.c -- the libcivic API benchmark.
**
** What it measures, on one event log written by bench/gen:
**   1. add:   events/s of civic_engine_add, one event at a time, into an
**             empty engine (the fields are split from the log beforehand;
**             splitting is not timed);
**   2. load:  events/s of one civic_engine_load of the same bytes into
**             another empty engine;
**   3. score: the time of civic_engine_subjects (every subject, at the
**             latest ts) on the loaded engine;
**   4. latency of civic_engine_subject (median, p99 and max) for subjects
**             with 10, 100 and 10,000 events, in a separate engine built
**             with synthetic events of the same rules.
** On request:
**   --busiest  the busiest subject of the log (most events), queried with
**             civic_engine_subject at the latest ts on the loaded engine:
**             the first query after the load ("cold"), then R more
**             ("repeated": min, median, max), nothing written in between;
**   --sizes    civic_engine_add, one event at a time, of a block of K events
**             (1,000,000, or a tenth of the log if smaller) into engines that
**             already hold P events (loaded with civic_engine_load from the
**             first P lines): P = 0, 1,000,000 and N - K, as far as the log
**             allows -- so "into an empty, a 1M and a ~10M engine" on a 10M
**             log -- besides step 1, which grows one engine from 0 to N;
**   --batches  the whole log loaded into a fresh engine in batches of 1, 4,
**             16, 64 and 256 KiB (cut at line breaks, each with the log's
**             header), as a service feeding events in batches would, on one
**             thread and on two: CPU per event;
**   --reserve  the whole log into a fresh engine, with and without room for
**             all of it made first by civic_engine_reserve, three times
**             each, alternating: added one event at a time, and loaded in
**             32 batches.
** Clock: clock_gettime(CLOCK_MONOTONIC).  Uses only civic.h.
**
** What it does not do: assert any time (benchmarks never fail on speed); it
** fails only when the library returns an error or the two engines disagree.
**
** Usage: api_bench -r RULES [-q QUERIES] [--busiest [R]] [--sizes] [--batches]
**                  [--reserve] EVENTS.csv
*/
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "civic.h"

#define FIELD_COUNT 6 /* id, subject, type, ts, qty, group */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* CPU seconds of the whole process (every thread). */
static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Wall and CPU time of one measured step. */
typedef struct span {
    double wall;
    double cpu;
} span;

static span span_begin(void)
{
    span s = {now_s(), cpu_s()};
    return s;
}

static span span_end(span s)
{
    span r = {now_s() - s.wall, cpu_s() - s.cpu};
    return r;
}

/* Resident and peak resident bytes of this process (Linux /proc; 0 when
 * unknown), and a reset of the peak (clear_refs 5, Linux 4.0+), so that
 * one step's peak can be read apart from the ones before it. */
static void rss_now(double *rss, double *peak)
{
    *rss = *peak = 0;
    FILE *f = fopen("/proc/self/status", "r");
    if (f == NULL)
        return;
    char line[256];
    while (fgets(line, sizeof line, f) != NULL) {
        unsigned long long kb;
        if (sscanf(line, "VmRSS: %llu kB", &kb) == 1)
            *rss = (double)kb * 1024;
        else if (sscanf(line, "VmHWM: %llu kB", &kb) == 1)
            *peak = (double)kb * 1024;
    }
    fclose(f);
}

static int rss_reset_peak(void)
{
    FILE *f = fopen("/proc/self/clear_refs", "w");
    if (f == NULL)
        return 0;
    int ok = fputs("5", f) >= 0;
    return fclose(f) == 0 && ok;
}

static void die_civic(const char *what, int rc, const civic_error *err)
{
    fprintf(stderr, "api_bench: %s: %s", what, civic_strerror(rc));
    if (err != NULL && err->message[0] != '\0')
        fprintf(stderr, " (line %llu, column %u: %s)", (unsigned long long)err->line,
                err->column, err->message);
    fputc('\n', stderr);
    exit(1);
}

/* ------------------------------------------------------------------ */
/* The log in memory                                                   */
/* ------------------------------------------------------------------ */

typedef struct log_data {
    char *text;       /* the file as read, for civic_engine_load */
    size_t len;
    char *split;      /* a copy cut into NUL-terminated fields */
    char **fields;    /* FIELD_COUNT per event, in civic_event order */
    size_t events;
} log_data;

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL || fseek(f, 0, SEEK_END) != 0) {
        fprintf(stderr, "api_bench: %s: %s\n", path, strerror(errno));
        exit(1);
    }
    long size = ftell(f);
    if (size < 0 || fseek(f, 0, SEEK_SET) != 0) {
        fprintf(stderr, "api_bench: %s: cannot size\n", path);
        exit(1);
    }
    char *buf = malloc((size_t)size + 1);
    if (buf == NULL || fread(buf, 1, (size_t)size, f) != (size_t)size) {
        fprintf(stderr, "api_bench: %s: cannot read\n", path);
        exit(1);
    }
    fclose(f);
    buf[size] = '\0';
    *len = (size_t)size;
    return buf;
}

/* Column index of each wanted field, from the header line. */
static void map_header(char *line, int map[FIELD_COUNT])
{
    static const char *const names[FIELD_COUNT] = {"id", "subject", "type",
                                                   "ts", "qty", "group"};
    for (int k = 0; k < FIELD_COUNT; k++)
        map[k] = -1;
    int col = 0;
    for (char *tok = strtok(line, ","); tok != NULL; tok = strtok(NULL, ","), col++) {
        for (int k = 0; k < FIELD_COUNT; k++)
            if (strcmp(tok, names[k]) == 0)
                map[k] = col;
    }
    for (int k = 0; k < 4; k++) {
        if (map[k] < 0) {
            fprintf(stderr, "api_bench: the header lacks column '%s'\n", names[k]);
            exit(1);
        }
    }
}

/* Cut the copy into fields: a plain split on ',' -- the logs of bench/gen
 * never quote (the library's own CSV reader is what `load` measures). */
static void split_log(log_data *d)
{
    size_t lines = 0;
    for (size_t i = 0; i < d->len; i++)
        lines += d->text[i] == '\n';
    d->split = malloc(d->len + 1);
    d->fields = calloc(lines + 1, FIELD_COUNT * sizeof *d->fields);
    if (d->split == NULL || d->fields == NULL) {
        fprintf(stderr, "api_bench: out of memory\n");
        exit(1);
    }
    memcpy(d->split, d->text, d->len + 1);
    char *p = d->split, *end = d->split + d->len;
    char *nl = memchr(p, '\n', (size_t)(end - p));
    if (nl == NULL) {
        fprintf(stderr, "api_bench: no header line\n");
        exit(1);
    }
    *nl = '\0';
    int map[FIELD_COUNT];
    map_header(p, map);
    p = nl + 1;
    static char empty[] = "";
    while (p < end) {
        nl = memchr(p, '\n', (size_t)(end - p));
        char *eol = nl != NULL ? nl : end;
        *eol = '\0';
        if (eol > p && eol[-1] == '\r')
            eol[-1] = '\0';
        if (*p != '\0') {
            char *col[16];
            int n = 0;
            col[n++] = p;
            for (char *q = p; *q != '\0' && n < 16; q++) {
                if (*q == ',') {
                    *q = '\0';
                    col[n++] = q + 1;
                }
            }
            char **f = d->fields + d->events * FIELD_COUNT;
            for (int k = 0; k < FIELD_COUNT; k++)
                f[k] = map[k] >= 0 && map[k] < n ? col[map[k]] : empty;
            d->events++;
        }
        p = eol + 1;
    }
}

/* ------------------------------------------------------------------ */
/* 1-3: add, load, score                                              */
/* ------------------------------------------------------------------ */

static civic_engine *new_engine_threads(civic_rules *rules, uint32_t threads)
{
    civic_engine *e = NULL;
    civic_engine_options o = CIVIC_ENGINE_OPTIONS_INIT;
    o.threads = threads;
    int rc = civic_engine_new(&e, rules, &o);
    if (rc != CIVIC_OK)
        die_civic("civic_engine_new", rc, NULL);
    return e;
}

static civic_engine *new_engine(civic_rules *rules)
{
    return new_engine_threads(rules, 0);
}

static span bench_add_range(civic_engine *e, const log_data *d, size_t from, size_t to)
{
    civic_error err = CIVIC_ERROR_INIT;
    span t0 = span_begin();
    for (size_t i = from; i < to; i++) {
        char **f = d->fields + i * FIELD_COUNT;
        civic_event ev = CIVIC_EVENT_INIT;
        ev.id = f[0];
        ev.subject = f[1];
        ev.type = f[2];
        ev.ts = f[3];
        ev.qty = f[4];
        ev.group = f[5];
        int rc = civic_engine_add(e, &ev, &err);
        if (rc < 0) {
            fprintf(stderr, "api_bench: event %zu (%s):\n", i + 1, f[0]);
            die_civic("civic_engine_add", rc, &err);
        }
    }
    return span_end(t0);
}

static span bench_add(civic_engine *e, const log_data *d)
{
    return bench_add_range(e, d, 0, d->events);
}

/* Load the first `bytes` of the log (the header and some whole lines). */
static span load_prefix(civic_engine *e, const log_data *d, size_t bytes)
{
    civic_error err = CIVIC_ERROR_INIT;
    civic_load_options opts = CIVIC_LOAD_OPTIONS_INIT;
    civic_load_report rep = CIVIC_LOAD_REPORT_INIT;
    opts.format = CIVIC_FORMAT_CSV;
    span t0 = span_begin();
    int rc = civic_engine_load(e, d->text, bytes, &opts, &rep, &err);
    span t = span_end(t0);
    if (rc != CIVIC_OK)
        die_civic("civic_engine_load", rc, &err);
    return t;
}

static span bench_load(civic_engine *e, const log_data *d)
{
    return load_prefix(e, d, d->len);
}

/* Bytes of the header and the first n events' lines (the logs of bench/gen
 * have no blank lines and no quoted line breaks). */
static size_t prefix_bytes(const log_data *d, size_t n)
{
    size_t lines = 0, need = n + 1;
    for (size_t i = 0; i < d->len; i++)
        if (d->text[i] == '\n' && ++lines == need)
            return i + 1;
    return d->len;
}

/* Every subject's answer at `as_of`; returns the time, sets *out. */
static span bench_subjects(const civic_engine *e, int64_t as_of, civic_result **out)
{
    span t0 = span_begin();
    int rc = civic_engine_subjects(e, as_of, out);
    span t = span_end(t0);
    if (rc != CIVIC_OK)
        die_civic("civic_engine_subjects", rc, NULL);
    return t;
}

/* The two engines must hold the same events and give the same answers. */
static void compare_results(const civic_result *a, const civic_result *b)
{
    size_t n = civic_result_count(a);
    if (n != civic_result_count(b)) {
        fprintf(stderr, "api_bench: add and load engines list %zu vs %zu subjects\n", n,
                civic_result_count(b));
        exit(1);
    }
    for (size_t i = 0; i < n; i++) {
        civic_score x = CIVIC_SCORE_INIT, y = CIVIC_SCORE_INIT;
        if (civic_result_get(a, i, &x) != CIVIC_OK || civic_result_get(b, i, &y) != CIVIC_OK ||
            strcmp(x.subject, y.subject) != 0 || x.score != y.score ||
            x.balance != y.balance) {
            fprintf(stderr, "api_bench: add and load engines disagree at row %zu\n", i);
            exit(1);
        }
    }
}

/* ------------------------------------------------------------------ */
/* 4: latency of civic_engine_subject                                  */
/* ------------------------------------------------------------------ */

static uint64_t rng_state = UINT64_C(0x2545F4914F6CDD1D);

static uint64_t rng_next(void)
{
    uint64_t z = (rng_state += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

/* 2023-01-01T00:00:00+08:00 and three years, as in bench/gen. */
#define T_START INT64_C(1672502400)
#define T_SPAN (INT64_C(1096) * 86400)

typedef struct latency_class {
    const char *prefix;
    unsigned subjects;
    unsigned events_each;
} latency_class;

static const latency_class classes[] = {
    {"q10_", 1000, 10},
    {"q100_", 100, 100},
    {"q10000_", 10, 10000},
};
#define CLASS_COUNT (sizeof classes / sizeof classes[0])

static void fill_latency_engine(civic_engine *e, const civic_rules *rules)
{
    size_t codes = civic_rules_rule_count(rules);
    uint64_t next_id = 1;
    civic_error err = CIVIC_ERROR_INIT;
    for (size_t c = 0; c < CLASS_COUNT; c++) {
        for (unsigned s = 0; s < classes[c].subjects; s++) {
            char subject[64], id[32], ts[32], qty[8];
            snprintf(subject, sizeof subject, "%s%05u", classes[c].prefix, s);
            for (unsigned k = 0; k < classes[c].events_each; k++) {
                civic_event ev = CIVIC_EVENT_INIT;
                snprintf(id, sizeof id, "q%llu", (unsigned long long)next_id++);
                long long t = (long long)(T_START + (int64_t)(rng_next() % (uint64_t)T_SPAN));
                snprintf(ts, sizeof ts, "%lld", t);
                snprintf(qty, sizeof qty, "%u", (unsigned)(rng_next() % 10) + 1);
                ev.id = id;
                ev.subject = subject;
                ev.type = civic_rules_rule_code(rules, (size_t)(rng_next() % codes));
                ev.ts = ts;
                ev.qty = qty;
                ev.group = "d1/s1/c1/g1";
                int rc = civic_engine_add(e, &ev, &err);
                if (rc < 0)
                    die_civic("civic_engine_add (latency engine)", rc, &err);
            }
        }
    }
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void bench_latency(const civic_engine *e, unsigned queries)
{
    int64_t as_of = T_START + T_SPAN;
    double *lat = malloc(queries * sizeof *lat);
    if (lat == NULL) {
        fprintf(stderr, "api_bench: out of memory\n");
        exit(1);
    }
    printf("\ncivic_engine_subject latency (as of the end of the 3 years; %u queries each,\n"
           "round robin over the subjects of the class; civic_result_free not timed)\n",
           queries);
    printf("  %-16s %12s %12s %12s %14s\n", "events/subject", "median us", "p99 us",
           "max us", "queries/s");
    for (size_t c = 0; c < CLASS_COUNT; c++) {
        char subject[64];
        double total = 0;
        for (unsigned q = 0; q < queries + queries / 10; q++) {
            snprintf(subject, sizeof subject, "%s%05u", classes[c].prefix,
                     q % classes[c].subjects);
            civic_result *r = NULL;
            double t0 = now_s();
            int rc = civic_engine_subject(e, subject, as_of, &r);
            double t = now_s() - t0;
            if (rc != CIVIC_OK)
                die_civic("civic_engine_subject", rc, NULL);
            civic_result_free(r);
            if (q >= queries / 10) { /* the first tenth warms up */
                lat[q - queries / 10] = t;
                total += t;
            }
        }
        qsort(lat, queries, sizeof *lat, cmp_double);
        size_t p99 = (size_t)((double)queries * 0.99);
        if (p99 >= queries)
            p99 = queries - 1;
        printf("  %-16u %12.2f %12.2f %12.2f %14.0f\n", classes[c].events_each,
               lat[queries / 2] * 1e6, lat[p99] * 1e6, lat[queries - 1] * 1e6,
               (double)queries / total);
    }
    free(lat);
}

/* ------------------------------------------------------------------ */
/* --sizes: add into engines of several sizes                          */
/* ------------------------------------------------------------------ */

static void bench_sizes(civic_rules *rules, const log_data *d)
{
    size_t k = d->events / 10 < 1000000 ? d->events / 10 : 1000000;
    size_t sizes[3] = {0, 1000000, d->events - k};
    if (k == 0)
        return;
    printf("\ncivic_engine_add, one event at a time, of %zu events into an engine that\n"
           "already holds P events (loaded by civic_engine_load from the log's first P lines)\n",
           k);
    printf("  %12s %12s %10s %10s %14s %10s\n", "P", "then", "load s", "add s", "add events/s",
           "add CPU s");
    size_t done = 0;
    for (size_t i = 0; i < 3; i++) {
        size_t p = sizes[i];
        if (p + k > d->events || (i > 0 && p <= done))
            continue;
        done = p;
        civic_engine *e = new_engine(rules);
        span tl = {0, 0};
        if (p > 0)
            tl = load_prefix(e, d, prefix_bytes(d, p));
        if (civic_engine_event_count(e) != p) {
            fprintf(stderr, "api_bench: loading %zu events gave %llu\n", p,
                    (unsigned long long)civic_engine_event_count(e));
            exit(1);
        }
        span ta = bench_add_range(e, d, p, p + k);
        printf("  %12zu %12zu %10.3f %10.3f %14.0f %10.3f\n", p, p + k, tl.wall, ta.wall,
               (double)k / ta.wall, ta.cpu);
        fflush(stdout);
        civic_engine_free(e);
    }
}

/* ------------------------------------------------------------------ */
/* --reserve: room made ahead                                          */
/* ------------------------------------------------------------------ */

#define RESERVE_LOADS 32

/* The log in RESERVE_LOADS batches (cut at line breaks, each with the
 * header) into e. */
static span load_in_batches(civic_engine *e, const log_data *d)
{
    const char *nl = memchr(d->text, '\n', d->len);
    size_t head = nl ? (size_t)(nl - d->text) + 1 : d->len;
    size_t step = (d->len - head) / RESERVE_LOADS + 1, pos = head;
    char *buf = malloc(head + step + ((size_t)1 << 20));
    if (buf == NULL) {
        fprintf(stderr, "api_bench: out of memory\n");
        exit(1);
    }
    memcpy(buf, d->text, head);
    span t0 = span_begin();
    while (pos < d->len) {
        size_t end = pos + step < d->len ? pos + step : d->len;
        while (end < d->len && d->text[end - 1] != '\n')
            end++;
        memcpy(buf + head, d->text + pos, end - pos);
        civic_error err = CIVIC_ERROR_INIT;
        civic_load_options opts = CIVIC_LOAD_OPTIONS_INIT;
        opts.format = CIVIC_FORMAT_CSV;
        int rc = civic_engine_load(e, buf, head + end - pos, &opts, NULL, &err);
        if (rc != CIVIC_OK)
            die_civic("civic_engine_load (a batch)", rc, &err);
        pos = end;
    }
    span t = span_end(t0);
    free(buf);
    return t;
}

static void bench_reserve(civic_rules *rules, const log_data *d)
{
    printf("\nthe log into a fresh engine, without and with civic_engine_reserve(%zu) first\n"
           "(the reserve itself is timed too), CPU s:\n", d->events);
    printf("  %8s %22s %22s\n", "round", "add, one at a time", "load, 32 batches");
    for (int round = 0; round < 6; round++) {
        int with = round % 2;
        civic_engine *a = new_engine(rules), *b = new_engine(rules);
        span t0 = span_begin();
        if (with && civic_engine_reserve(a, d->events, NULL) != CIVIC_OK)
            die_civic("civic_engine_reserve", CIVIC_E_NOMEM, NULL);
        (void)bench_add_range(a, d, 0, d->events);
        span ta = span_end(t0);
        civic_engine_free(a);
        span t1 = span_begin();
        if (with && civic_engine_reserve(b, d->events, NULL) != CIVIC_OK)
            die_civic("civic_engine_reserve", CIVIC_E_NOMEM, NULL);
        (void)load_in_batches(b, d);
        span tb = span_end(t1);
        if (civic_engine_event_count(b) != d->events) {
            fprintf(stderr, "api_bench: 32 batches gave %llu events\n",
                    (unsigned long long)civic_engine_event_count(b));
            exit(1);
        }
        civic_engine_free(b);
        printf("  %8s %22.3f %22.3f\n", with ? "reserve" : "growing", ta.cpu, tb.cpu);
        fflush(stdout);
    }
}

/* ------------------------------------------------------------------ */
/* --batches: the log loaded in batches                                */
/* ------------------------------------------------------------------ */

#define BATCH_ROOM ((size_t)2 << 20) /* a batch: at most 256 KiB and one line of 1 MiB */

static void bench_batches(civic_rules *rules, const log_data *d, uint64_t want_events)
{
    const char *nl = memchr(d->text, '\n', d->len);
    if (nl == NULL)
        return;
    size_t head = (size_t)(nl - d->text) + 1;
    static const size_t sizes[] = {1024, 4096, 16384, 65536, 262144};
    char *buf = malloc(head + BATCH_ROOM);
    if (buf == NULL) {
        fprintf(stderr, "api_bench: out of memory\n");
        exit(1);
    }
    memcpy(buf, d->text, head);
    printf("\nthe log loaded by civic_engine_load in batches of B bytes (each with the header)\n");
    printf("  %10s %8s %10s %10s %12s %14s\n", "B", "threads", "loads", "wall s", "CPU s",
           "CPU ns/event");
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        for (uint32_t threads = 1; threads <= 2; threads++) {
            civic_engine *e = new_engine_threads(rules, threads);
            size_t loads = 0;
            span t0 = span_begin();
            for (size_t pos = head; pos < d->len; loads++) {
                size_t end = pos + sizes[i] < d->len ? pos + sizes[i] : d->len;
                const char *brk = memchr(d->text + end - 1, '\n', d->len - end + 1);
                end = brk ? (size_t)(brk - d->text) + 1 : d->len;
                if (end - pos > BATCH_ROOM) {
                    fprintf(stderr, "api_bench: a line longer than 1 MiB\n");
                    exit(1);
                }
                memcpy(buf + head, d->text + pos, end - pos);
                civic_load_options o = CIVIC_LOAD_OPTIONS_INIT;
                o.format = CIVIC_FORMAT_CSV;
                civic_error err = CIVIC_ERROR_INIT;
                int rc = civic_engine_load(e, buf, head + end - pos, &o, NULL, &err);
                if (rc != CIVIC_OK)
                    die_civic("civic_engine_load (a batch)", rc, &err);
                pos = end;
            }
            span t = span_end(t0);
            if (civic_engine_event_count(e) != want_events) {
                fprintf(stderr, "api_bench: batches of %zu bytes gave %llu events, not %llu\n",
                        sizes[i], (unsigned long long)civic_engine_event_count(e),
                        (unsigned long long)want_events);
                exit(1);
            }
            printf("  %10zu %8u %10zu %10.3f %12.3f %14.1f\n", sizes[i], threads, loads, t.wall,
                   t.cpu, t.cpu / (double)want_events * 1e9);
            fflush(stdout);
            civic_engine_free(e);
        }
    }
    free(buf);
}

/* ------------------------------------------------------------------ */
/* --busiest: the query of the subject with the most events            */
/* ------------------------------------------------------------------ */

static void bench_busiest(const civic_engine *e, const civic_result *all, int64_t as_of,
                          unsigned repeat)
{
    size_t n = civic_result_count(all), best = 0;
    uint64_t most = 0;
    for (size_t i = 0; i < n; i++) {
        civic_score s = CIVIC_SCORE_INIT;
        if (civic_result_get(all, i, &s) == CIVIC_OK && s.events > most) {
            most = s.events;
            best = i;
        }
    }
    civic_score s = CIVIC_SCORE_INIT;
    if (n == 0 || civic_result_get(all, best, &s) != CIVIC_OK)
        return;
    char subject[300];
    snprintf(subject, sizeof subject, "%s", s.subject);
    double *lat = malloc((repeat + 1) * sizeof *lat);
    if (lat == NULL) {
        fprintf(stderr, "api_bench: out of memory\n");
        exit(1);
    }
    int64_t score = 0;
    for (unsigned q = 0; q <= repeat; q++) {
        civic_result *r = NULL;
        double t0 = now_s();
        int rc = civic_engine_subject(e, subject, as_of, &r);
        lat[q] = now_s() - t0;
        if (rc != CIVIC_OK)
            die_civic("civic_engine_subject", rc, NULL);
        civic_score x = CIVIC_SCORE_INIT;
        if (civic_result_get(r, 0, &x) != CIVIC_OK || (q > 0 && x.score != score)) {
            fprintf(stderr, "api_bench: the busiest subject's answers differ\n");
            exit(1);
        }
        score = x.score;
        civic_result_free(r);
    }
    double cold = lat[0];
    qsort(lat + 1, repeat, sizeof *lat, cmp_double);
    printf("\nbusiest subject \"%s\": %llu events; civic_engine_subject at the latest ts\n"
           "  cold (first query after the load) %10.3f ms (%.1f ns per event)\n"
           "  repeated, %u queries: min %.3f ms, median %.3f ms, max %.3f ms "
           "(%.1f ns per event)\n",
           subject, (unsigned long long)most, cold * 1e3, cold / (double)most * 1e9, repeat,
           lat[1] * 1e3, lat[1 + repeat / 2] * 1e3, lat[repeat] * 1e3,
           lat[1 + repeat / 2] / (double)most * 1e9);
    free(lat);
}

/* ------------------------------------------------------------------ */
/* main                                                                */
/* ------------------------------------------------------------------ */

static void usage(void)
{
    fputs("usage: api_bench -r RULES [-q QUERIES] [--busiest [R]] [--sizes] [--batches] "
          "[--reserve] EVENTS.csv\n",
          stderr);
    exit(1);
}

int main(int argc, char **argv)
{
    const char *rules_path = NULL, *log_path = NULL;
    unsigned queries = 2000, busiest = 0;
    int sizes = 0, batches = 0, reserve = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--busiest") == 0) {
            busiest = 20;
            if (i + 1 < argc && argv[i + 1][0] >= '1' && argv[i + 1][0] <= '9')
                busiest = (unsigned)strtoul(argv[++i], NULL, 10);
        } else if (strcmp(argv[i], "--sizes") == 0)
            sizes = 1;
        else if (strcmp(argv[i], "--batches") == 0)
            batches = 1;
        else if (strcmp(argv[i], "--reserve") == 0)
            reserve = 1;
        else if (strcmp(argv[i], "-r") == 0 && i + 1 < argc)
            rules_path = argv[++i];
        else if (strcmp(argv[i], "-q") == 0 && i + 1 < argc)
            queries = (unsigned)strtoul(argv[++i], NULL, 10);
        else if (argv[i][0] != '-' && log_path == NULL)
            log_path = argv[i];
        else
            usage();
    }
    if (rules_path == NULL || log_path == NULL || queries < 10)
        usage();

    civic_rules *rules = NULL;
    civic_error err = CIVIC_ERROR_INIT;
    int rc = civic_rules_load_file(&rules, rules_path, NULL, &err);
    if (rc != CIVIC_OK)
        die_civic(rules_path, rc, &err);

    log_data d;
    memset(&d, 0, sizeof d);
    d.text = read_file(log_path, &d.len);
    split_log(&d);
    printf("api_bench: libcivic %s, %s: %zu events, %.1f MB\n\n", civic_version(), log_path,
           d.events, (double)d.len / 1e6);

    civic_engine *by_add = new_engine(rules);
    span t_add = bench_add(by_add, &d);
    if (!sizes && !reserve) {
        free(d.fields);
        free(d.split);
        d.fields = NULL;
        d.split = NULL;
    }
    double rss0, peak0, rss1, peak1;
    rss_now(&rss0, &peak0);
    int peak_ok = rss_reset_peak();
    civic_engine *by_load = new_engine(rules);
    span t_load = bench_load(by_load, &d);
    rss_now(&rss1, &peak1);
    if (civic_engine_event_count(by_add) != civic_engine_event_count(by_load) ||
        civic_engine_subject_count(by_add) != civic_engine_subject_count(by_load)) {
        fprintf(stderr, "api_bench: add and load engines hold different events\n");
        return 1;
    }
    int64_t last = 0;
    if (civic_engine_time_range(by_load, NULL, &last) != CIVIC_OK)
        die_civic("civic_engine_time_range", CIVIC_E_INVALID, NULL);
    civic_result *ra = NULL, *rb = NULL;
    span t_sub_add = bench_subjects(by_add, last, &ra);
    /* The busiest subject is known from the add engine; the load engine
     * answers nothing before its first ("cold") query. */
    if (busiest)
        bench_busiest(by_load, ra, last, busiest);
    double rss2, peak2;
    int peak2_ok = rss_reset_peak();
    span t_sub = bench_subjects(by_load, last, &rb);
    rss_now(&rss2, &peak2);
    compare_results(ra, rb);
    uint64_t subjects = civic_engine_subject_count(by_load);
    double n = (double)d.events;
    printf("  %-44s %10s %10s %14s\n", "", "wall s", "CPU s", "events/s");
    printf("  %-44s %10.3f %10.3f %14.0f\n", "civic_engine_add, one event at a time",
           t_add.wall, t_add.cpu, n / t_add.wall);
    printf("  %-44s %10.3f %10.3f %14.0f\n", "civic_engine_load, one CSV buffer", t_load.wall,
           t_load.cpu, n / t_load.wall);
    printf("  %-44s %10.3f %10.3f %14.0f\n", "civic_engine_subjects (all, at the last ts)",
           t_sub.wall, t_sub.cpu, n / t_sub.wall);
    printf("  (%llu subjects: %.2f us per subject; the same call on the add engine: %.3f s)\n",
           (unsigned long long)subjects, t_sub.wall / (double)subjects * 1e6, t_sub_add.wall);
    printf("  memory of the load engine (resident, this process's growth): %.1f B/event after "
           "the load",
           (rss1 - rss0) / n);
    if (peak_ok)
        printf(", %.1f B/event at the load's peak", (peak1 - rss0) / n);
    if (peak2_ok)
        printf("; civic_engine_subjects peaks %.1f B/event above that, its result holds %.1f",
               (peak2 - rss1) / n, (rss2 - rss1) / n);
    printf("\n");
    civic_result_free(ra);
    civic_result_free(rb);
    uint64_t held = civic_engine_event_count(by_load);
    civic_engine_free(by_add);
    civic_engine_free(by_load);
    if (batches)
        bench_batches(rules, &d, held);
    if (sizes)
        bench_sizes(rules, &d);
    if (reserve)
        bench_reserve(rules, &d);
    free(d.fields);
    free(d.split);
    free(d.text);

    civic_engine *lat = new_engine(rules);
    double t0 = now_s();
    fill_latency_engine(lat, rules);
    printf("\nlatency engine: %llu events in %.3f s\n",
           (unsigned long long)civic_engine_event_count(lat), now_s() - t0);
    bench_latency(lat, queries);
    civic_engine_free(lat);
    civic_rules_free(rules);
    return 0;
}
