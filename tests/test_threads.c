/*
** test_threads.c -- concurrent use of one engine (include/civic.h, "Threads").
**
** One writer adds events one by one and loads batches (CSV and JSON Lines,
** strict, lenient, and strict batches that fail and roll back) while reader
** threads query without pause: civic_engine_subject, _subjects, _rank,
** _record, _groups, _event_count, _subject_count.  Every batch gives a
** fresh subject exactly K events, or K more events to the shared subject,
** so a reader that ever sees a batch half-applied finds an event count that
** is not a multiple of K; a subject of a failed batch must never be seen at
** all; counts a reader sees never go down.  Readers collect violations and
** the main thread asserts on them (cmocka is not thread-safe).  Also: one
** rules object shared by engines created and freed on several threads, and
** one answer object read from several threads, and the engine's own worker
** threads (parallel CSV reading, parallel evaluation) giving the answers of
** one thread.  `make tsan` runs this file under ThreadSanitizer.
*/
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* sched_setaffinity, CPU_SET */
#endif
#include "support.h"
#include "alloc_fail.h"
#include "internal.h" /* civic_engine.two_pass_events, .threads */

#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <time.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/mman.h> /* madvise: a block split behind the allocator's back */
#endif

#define K 7               /* events per batch and subject */
#define BATCHES_MAX 120   /* batches the writer loads (fewer under valgrind) */
#define READERS 3
#define AS_OF INT64_C(1767225600) /* 2026-01-01: before any entry is archived */

static const char *const kinds[K] = { "volunteer_hour", "illegal_parking", "donation",
                                      "neighbour_help", "recycling", "dispute_mediation",
                                      "court_defaulter" };

typedef struct shared {
    civic_engine *engine;
    atomic_bool done;
    atomic_ulong violations;
    atomic_ulong queries;
    pthread_mutex_t lock;
    char first[512];          /* the first violation, for the failure message */
    unsigned long singles;    /* events the writer added one by one */
    unsigned long batches_ok; /* batches the writer applied */
    unsigned batches;         /* batches the writer loads */
    unsigned big_subjects;    /* subjects of the one big batch */
    uint64_t big_events;      /* its events, once applied */
} shared;

static void violation(shared *sh, const char *fmt, ...)
{
    atomic_fetch_add(&sh->violations, 1);
    pthread_mutex_lock(&sh->lock);
    if (!sh->first[0]) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(sh->first, sizeof(sh->first), fmt, ap);
        va_end(ap);
    }
    pthread_mutex_unlock(&sh->lock);
}

/* ------------------------------------------------------------ writer */

/* K events for `subject` (ids prefixed by tag), CSV or JSONL; with bad
 * lines in between when asked. */
static char *make_batch(const char *tag, const char *subject, unsigned n, bool json, bool bad,
                        bool fail_at_end)
{
    size_t cap = 4096, at = 0;
    char *out = malloc(cap);
    if (!out) return NULL;
    if (!json) at += (size_t)snprintf(out, cap, "id,subject,type,ts,qty,group\n");
    for (unsigned i = 0; i < K; i++) {
        const char *type = kinds[(n + i) % K];
        const char *qty = i % 3 == 0 ? "2" : "";
        char ts[32];
        snprintf(ts, sizeof(ts), "%lld", (long long)(1700000000 + (int64_t)n * 86400 + i * 3600));
        if (json)
            at += (size_t)snprintf(out + at, cap - at,
                                   "{\"id\":\"%s-%u-%u\",\"subject\":\"%s\",\"type\":\"%s\","
                                   "\"ts\":%s%s%s%s,\"group\":\"d%u/s%u\"}\n",
                                   tag, n, i, subject, type, ts, qty[0] ? ",\"qty\":\"" : "", qty,
                                   qty[0] ? "\"" : "", n % 3, n % 5);
        else
            at += (size_t)snprintf(out + at, cap - at, "%s-%u-%u,%s,%s,%s,%s,d%u/s%u\n", tag, n, i,
                                   subject, type, ts, qty, n % 3, n % 5);
        if (bad && i == 3)
            at += (size_t)snprintf(out + at, cap - at, json ? "{\"id\":1}\n" : "x,,nope,,,\n");
    }
    if (fail_at_end)
        at += (size_t)snprintf(out + at, cap - at,
                               json ? "{\"id\":\"bad\",\"subject\":\"s\",\"type\":\"nope\",\"ts\":1}\n"
                                    : "bad,s,nope,1,,\n");
    return out;
}

/* One large CSV batch: `subjects` subjects "bigNNNNN" with K events each,
 * large enough (> 256 KiB) for the engine's parallel CSV parse. */
static char *make_big_batch(unsigned subjects)
{
    size_t cap = 64 + (size_t)subjects * K * 96, at = 0;
    char *out = malloc(cap);
    if (!out) return NULL;
    at += (size_t)snprintf(out, cap, "id,subject,type,ts,qty,group\n");
    for (unsigned s = 0; s < subjects; s++)
        for (unsigned i = 0; i < K; i++)
            at += (size_t)snprintf(out + at, cap - at, "big-%u-%u,big%05u,%s,%lld,%s,d%u/s%u\n", s, i, s,
                                   kinds[(s + i) % K], (long long)(1700000000 + (int64_t)s * 600 + i),
                                   i % 3 == 0 ? "1.5" : "", s % 3, s % 7);
    return out;
}

static void writer_big_batch(shared *sh)
{
    char *data = make_big_batch(sh->big_subjects);
    if (!data) {
        violation(sh, "writer out of memory");
        return;
    }
    civic_load_report rep = CIVIC_LOAD_REPORT_INIT;
    int rc = civic_engine_load(sh->engine, data, strlen(data), NULL, &rep, NULL);
    free(data);
    if (rc != CIVIC_OK || rep.accepted != (uint64_t)sh->big_subjects * K)
        violation(sh, "writer: the big batch returned %d, accepted %llu", rc,
                  (unsigned long long)rep.accepted);
    else
        sh->big_events = rep.accepted;
}

static void *writer(void *arg)
{
    shared *sh = arg;
    for (unsigned n = 0; n < sh->batches; n++) {
        if (n == sh->batches / 2) writer_big_batch(sh);
        bool json = n % 2;
        char subject[32];
        const char *tag = "w";
        bool bad = false, fail = false;
        switch (n % 4) {
        case 0: snprintf(subject, sizeof(subject), "batch%03u", n); break;
        case 1: snprintf(subject, sizeof(subject), "shared"); tag = "sh"; break;
        case 2: snprintf(subject, sizeof(subject), "batch%03u", n); bad = true; break;
        default: snprintf(subject, sizeof(subject), "failed%03u", n); fail = true; break;
        }
        char *data = make_batch(tag, subject, n, json, bad, fail);
        if (!data) {
            violation(sh, "writer out of memory");
            break;
        }
        civic_load_options o = CIVIC_LOAD_OPTIONS_INIT;
        o.format = json ? CIVIC_FORMAT_JSONL : CIVIC_FORMAT_CSV;
        o.flags = bad ? CIVIC_LOAD_LENIENT : 0;
        civic_load_report rep = CIVIC_LOAD_REPORT_INIT;
        int rc = civic_engine_load(sh->engine, data, strlen(data), &o, &rep, NULL);
        free(data);
        if (fail ? rc != CIVIC_E_EVENT : (rc != CIVIC_OK || rep.accepted != K))
            violation(sh, "writer: batch %u returned %d, accepted %llu", n, rc,
                      (unsigned long long)rep.accepted);
        if (!fail) sh->batches_ok++;
        /* and a few single events for subjects of their own */
        for (unsigned i = 0; i < 2; i++) {
            char id[32], who[32];
            snprintf(id, sizeof(id), "single-%u-%u", n, i);
            snprintf(who, sizeof(who), "single%u", n % 5);
            civic_event ev = CIVIC_EVENT_INIT;
            ev.id = id;
            ev.subject = who;
            ev.type = "hazard_report";
            ev.ts = "2024-05-01T08:00:00+08:00";
            if (civic_engine_add(sh->engine, &ev, NULL) != CIVIC_OK)
                violation(sh, "writer: add %s failed", id);
            else
                sh->singles++;
        }
        struct timespec pause = { 0, 500000 }; /* let the readers run between writes */
        nanosleep(&pause, NULL);
    }
    atomic_store(&sh->done, true);
    return NULL;
}

/* ------------------------------------------------------------ readers */

/* A subject of a batch must show 0 or K events (K * m for the shared one);
 * a subject of a failed batch must not show at all. */
static void check_row(shared *sh, const char *where, const civic_score *s)
{
    if (strncmp(s->subject, "failed", 6) == 0)
        violation(sh, "%s: subject %s of a failed batch is visible (%llu events)", where,
                  s->subject, (unsigned long long)s->events);
    else if ((strncmp(s->subject, "batch", 5) == 0 || strncmp(s->subject, "big", 3) == 0) &&
             s->events != K && s->events != 0)
        violation(sh, "%s: %s has %llu events, not %d", where, s->subject,
                  (unsigned long long)s->events, K);
    else if (strcmp(s->subject, "shared") == 0 && s->events % K != 0)
        violation(sh, "%s: shared has %llu events, not a multiple of %d", where,
                  (unsigned long long)s->events, K);
}

static void read_subjects(shared *sh, size_t *last_rows)
{
    civic_result *res = NULL;
    int rc = civic_engine_subjects(sh->engine, AS_OF, &res);
    if (rc != CIVIC_OK) {
        violation(sh, "subjects returned %d", rc);
        return;
    }
    size_t n = civic_result_count(res);
    if (n < *last_rows) violation(sh, "subjects went from %zu rows to %zu", *last_rows, n);
    *last_rows = n;
    const char *prev = "";
    size_t big = 0;
    for (size_t i = 0; i < n; i++) {
        civic_score s = CIVIC_SCORE_INIT;
        civic_result_get(res, i, &s);
        if (strcmp(prev, s.subject) >= 0) violation(sh, "subjects out of order at %s", s.subject);
        prev = s.subject;
        check_row(sh, "subjects", &s);
        big += strncmp(s.subject, "big", 3) == 0;
    }
    if (big != 0 && big != sh->big_subjects)
        violation(sh, "subjects: %zu of the %u subjects of the big batch are visible", big,
                  sh->big_subjects);
    civic_result_free(res);
}

static void read_rank(shared *sh)
{
    civic_result *res = NULL;
    int rc = civic_engine_rank(sh->engine, NULL, AS_OF, 0, &res);
    if (rc != CIVIC_OK) {
        violation(sh, "rank returned %d", rc);
        return;
    }
    for (size_t i = 0; i < civic_result_count(res); i++) {
        civic_score s = CIVIC_SCORE_INIT, prev = CIVIC_SCORE_INIT;
        civic_result_get(res, i, &s);
        if (s.rank != i + 1) violation(sh, "rank %llu at position %zu", (unsigned long long)s.rank, i);
        if (i) {
            civic_result_get(res, i - 1, &prev);
            if (prev.score < s.score || (prev.score == s.score && strcmp(prev.subject, s.subject) > 0))
                violation(sh, "rank out of order at %s", s.subject);
        }
        check_row(sh, "rank", &s);
    }
    civic_result_free(res);
}

static void read_one(shared *sh, unsigned n)
{
    char subject[32];
    snprintf(subject, sizeof(subject), n % 4 == 1 ? "shared" : n % 4 == 3 ? "failed%03u" : "batch%03u", n);
    civic_result *res = NULL;
    if (civic_engine_subject(sh->engine, subject, AS_OF, &res) != CIVIC_OK) {
        violation(sh, "subject(%s) failed", subject);
        return;
    }
    civic_score s = CIVIC_SCORE_INIT;
    civic_result_get(res, 0, &s);
    if (s.events) check_row(sh, "subject", &s);
    civic_result_free(res);

    civic_record *rec = NULL;
    if (civic_engine_record(sh->engine, subject, AS_OF, &rec) != CIVIC_OK) {
        violation(sh, "record(%s) failed", subject);
        return;
    }
    civic_score sum = CIVIC_SCORE_INIT;
    civic_record_summary(rec, &sum);
    if (civic_record_count(rec) != sum.events)
        violation(sh, "record(%s): %zu entries, summary %llu events", subject,
                  civic_record_count(rec), (unsigned long long)sum.events);
    if (sum.events) check_row(sh, "record", &sum);
    civic_record_free(rec);
}

static void read_groups(shared *sh, uint64_t *last_subjects)
{
    civic_groups *g = NULL;
    if (civic_engine_groups(sh->engine, 0, AS_OF, &g) != CIVIC_OK) {
        violation(sh, "groups(0) failed");
        return;
    }
    civic_group_stats st = CIVIC_GROUP_STATS_INIT;
    if (civic_groups_count(g) == 1 && civic_groups_get(g, 0, &st) == CIVIC_OK) {
        uint64_t total = 0;
        for (size_t k = 0; k < civic_groups_grade_count(g); k++) total += st.grade_counts[k];
        if (total != st.subjects) violation(sh, "groups: grade counts do not add up");
        if (st.subjects < *last_subjects) violation(sh, "groups: subjects went down");
        *last_subjects = st.subjects;
    }
    civic_groups_free(g);
    if (civic_engine_groups(sh->engine, 2, AS_OF, &g) != CIVIC_OK) {
        violation(sh, "groups(2) failed");
        return;
    }
    civic_groups_free(g);
}

static void *reader(void *arg)
{
    shared *sh = arg;
    size_t rows = 0;
    uint64_t events = 0, subjects = 0, grouped = 0;
    unsigned n = 0;
    bool last_round = false;
    for (;;) {
        /* one full round after the writer is done, so the end state is read too */
        if (atomic_load(&sh->done)) last_round = true;
        uint64_t e = civic_engine_event_count(sh->engine);
        uint64_t s = civic_engine_subject_count(sh->engine);
        if (e < events || s < subjects) violation(sh, "counts went down");
        events = e;
        subjects = s;
        read_subjects(sh, &rows);
        read_rank(sh);
        read_one(sh, n++ % sh->batches);
        read_groups(sh, &grouped);
        atomic_fetch_add(&sh->queries, 1);
        if (last_round) break;
        /* A short pause between rounds.  The engine's lock prefers writers
         * (engine.c), but only where the C library lets it say so; with a
         * reader-preferring rwlock, three readers that never pause starved
         * the writer (seen: 120 batches took 25 s instead of 1 s).  The
         * pause keeps the test quick either way; longer queries, longer
         * pauses. */
        struct timespec pause = { 0, sh->big_subjects > 1000 ? 3000000 : 100000 };
        nanosleep(&pause, NULL);
    }
    return NULL;
}

static void one_writer_and_readers_never_see_half_a_batch(void **state)
{
    (void)state;
    alloc_fail af;
    alloc_fail_init(&af);
    shared *sh = calloc(1, sizeof(*sh));
    assert_non_null(sh);
    pthread_mutex_init(&sh->lock, NULL);
    /* `make tsan` asks for more than 4096 subjects, so that all-subject
     * queries run on the engine's worker threads too. */
    sh->big_subjects = getenv("CIVIC_TEST_THREADS_BIG") ? 4200 : 800;
    sh->batches = BATCHES_MAX;
    if (getenv("CIVIC_TEST_UNDER_VALGRIND")) { /* valgrind runs one thread at a time */
        sh->big_subjects = 100;
        sh->batches = 24;
    }
    civic_rules *rules = NULL;
    assert_int_equal(civic_rules_default(&rules, NULL), CIVIC_OK);
    civic_engine_options o = CIVIC_ENGINE_OPTIONS_INIT;
    o.allocator = &af.alc; /* thread-safe: it takes a mutex */
    o.threads = 2;         /* and the engine's own worker threads */
    assert_int_equal(civic_engine_new(&sh->engine, rules, &o), CIVIC_OK);
    civic_rules_free(rules);

    pthread_t w, r[READERS];
    for (int i = 0; i < READERS; i++) assert_int_equal(pthread_create(&r[i], NULL, reader, sh), 0);
    assert_int_equal(pthread_create(&w, NULL, writer, sh), 0);
    pthread_join(w, NULL);
    for (int i = 0; i < READERS; i++) pthread_join(r[i], NULL);

    if (atomic_load(&sh->violations))
        fail_msg("%lu violations; the first: %s", (unsigned long)atomic_load(&sh->violations),
                 sh->first);
    assert_int_equal(civic_engine_event_count(sh->engine),
                     sh->batches_ok * K + sh->singles + sh->big_events);
    assert_int_equal(sh->big_events, (uint64_t)sh->big_subjects * K);
    assert_true(atomic_load(&sh->queries) >= READERS);
    civic_engine_free(sh->engine);
    assert_int_equal(af.live_blocks, 0);
    assert_int_equal(af.size_mismatches, 0);
    pthread_mutex_destroy(&sh->lock);
    free(sh);
    alloc_fail_destroy(&af);
}

/* ------------------------------------------------------------ shared rules */

typedef struct rules_job {
    civic_rules *rules;
    int failures;
} rules_job;

static void *engines_on_shared_rules(void *arg)
{
    rules_job *job = arg;
    for (int i = 0; i < 40; i++) {
        civic_engine *e = NULL;
        if (civic_engine_new(&e, job->rules, NULL) != CIVIC_OK) {
            job->failures++;
            continue;
        }
        civic_event ev = CIVIC_EVENT_INIT;
        ev.id = "e1";
        ev.subject = "s1";
        ev.type = "donation";
        ev.ts = "2024-01-01";
        ev.qty = "500";
        if (civic_engine_add(e, &ev, NULL) != CIVIC_OK) job->failures++;
        civic_result *res = NULL;
        if (civic_engine_subjects(e, AS_OF, &res) != CIVIC_OK || civic_result_count(res) != 1)
            job->failures++;
        civic_result_free(res);
        civic_engine_free(e);
    }
    return NULL;
}

static void engines_on_several_threads_share_one_rules_object(void **state)
{
    (void)state;
    civic_rules *rules = NULL;
    assert_int_equal(civic_rules_default(&rules, NULL), CIVIC_OK);
    pthread_t t[4];
    rules_job jobs[4];
    for (int i = 0; i < 4; i++) {
        jobs[i].rules = rules;
        jobs[i].failures = 0;
        assert_int_equal(pthread_create(&t[i], NULL, engines_on_shared_rules, &jobs[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(jobs[i].failures, 0);
    }
    assert_int_equal(civic_rules_rule_count(rules) > 0, 1);
    civic_rules_free(rules);
}

/* ------------------------------------------------------------ shared answer */

typedef struct answer_job {
    const civic_result *res;
    const char *want;
    int failures;
} answer_job;

static void *read_answer(void *arg)
{
    answer_job *job = arg;
    for (int round = 0; round < 50; round++) {
        char line[256], *all = NULL;
        size_t n = 0;
        for (size_t i = 0; i < civic_result_count(job->res); i++) {
            civic_score s = CIVIC_SCORE_INIT;
            civic_result_get(job->res, i, &s);
            int k = snprintf(line, sizeof(line), "%s,%lld,%s\n", s.subject, (long long)s.score, s.grade);
            char *more = realloc(all, n + (size_t)k + 1);
            if (!more) break;
            all = more;
            memcpy(all + n, line, (size_t)k + 1);
            n += (size_t)k;
        }
        if (!all || strcmp(all, job->want) != 0) job->failures++;
        free(all);
    }
    return NULL;
}

static void an_answer_is_read_from_several_threads_after_the_engine_is_gone(void **state)
{
    (void)state;
    civic_engine *e = engine_from(civic_rules_default_text());
    char *data = make_batch("a", "alpha", 1, false, false, false);
    load_ok(e, data);
    free(data);
    data = make_batch("b", "beta", 2, true, false, false);
    civic_load_options o = CIVIC_LOAD_OPTIONS_INIT;
    o.format = CIVIC_FORMAT_JSONL;
    assert_int_equal(civic_engine_load(e, data, strlen(data), &o, NULL, NULL), CIVIC_OK);
    free(data);
    civic_result *res = NULL;
    assert_int_equal(civic_engine_subjects(e, AS_OF, &res), CIVIC_OK);
    civic_engine_free(e); /* answers outlive the engine */
    char want[1024] = "";
    size_t n = 0;
    for (size_t i = 0; i < civic_result_count(res); i++) {
        civic_score s = CIVIC_SCORE_INIT;
        civic_result_get(res, i, &s);
        n += (size_t)snprintf(want + n, sizeof(want) - n, "%s,%lld,%s\n", s.subject,
                              (long long)s.score, s.grade);
    }
    pthread_t t[4];
    answer_job jobs[4];
    for (int i = 0; i < 4; i++) {
        jobs[i].res = res;
        jobs[i].want = want;
        jobs[i].failures = 0;
        assert_int_equal(pthread_create(&t[i], NULL, read_answer, &jobs[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(jobs[i].failures, 0);
    }
    civic_result_free(res);
}

/* ------------------------------------------------------------ parallel = serial */

/* The engine's own worker threads (civic_engine_options.threads) change
 * nothing in the answers: a batch big enough for the parallel CSV reader,
 * with more subjects than the parallel evaluation needs, read by the serial
 * reader and by the pipeline on 1 thread and on 4, gives identical reports,
 * subject lists, rankings and groups. */
static char *parallel_case_answers(uint32_t threads, const char *data, civic_load_report *rep)
{
    civic_engine *e = engine_from_threads(NULL, threads);
    civic_load_options lo = CIVIC_LOAD_OPTIONS_INIT;
    lo.flags = CIVIC_LOAD_LENIENT;
    assert_int_equal(civic_engine_load(e, data, strlen(data), &lo, rep, NULL), CIVIC_OK);
    char *subjects = subjects_csv(e, AS_OF);
    size_t cap = strlen(subjects) * 2 + 4096, n = strlen(subjects);
    char *out = malloc(cap);
    assert_non_null(out);
    memcpy(out, subjects, n + 1);
    free(subjects);
    civic_result *res = NULL;
    assert_int_equal(civic_engine_rank(e, "d1", AS_OF, 50, &res), CIVIC_OK);
    for (size_t i = 0; i < civic_result_count(res) && n + 256 < cap; i++) {
        civic_score s = CIVIC_SCORE_INIT;
        civic_result_get(res, i, &s);
        n += (size_t)snprintf(out + n, cap - n, "rank %llu %s\n", (unsigned long long)s.rank, s.subject);
    }
    civic_result_free(res);
    civic_groups *g = NULL;
    assert_int_equal(civic_engine_groups(e, 2, AS_OF, &g), CIVIC_OK);
    for (size_t i = 0; i < civic_groups_count(g) && n + 256 < cap; i++) {
        civic_group_stats st = CIVIC_GROUP_STATS_INIT;
        civic_groups_get(g, i, &st);
        n += (size_t)snprintf(out + n, cap - n, "group %s %llu %lld %lld\n", st.path,
                              (unsigned long long)st.subjects, (long long)st.mean, (long long)st.median);
    }
    civic_groups_free(g);
    civic_engine_free(e);
    return out;
}

/* Every row of an all-subject answer, with its dimensions and tiers, as
 * text (malloc'd). */
static char *rows_with_extras(const civic_engine *e, int64_t as_of, size_t *rows)
{
    civic_result *res = NULL;
    assert_int_equal(civic_engine_subjects(e, as_of, &res), CIVIC_OK);
    size_t n = civic_result_count(res), cap = 256 + n * 1024, at = 0;
    char *out = malloc(cap);
    assert_non_null(out);
    for (size_t i = 0; i < n; i++) {
        civic_score s = CIVIC_SCORE_INIT;
        assert_int_equal(civic_result_get(res, i, &s), CIVIC_OK);
        at += (size_t)snprintf(out + at, cap - at, "%s,%s,%lld,%s,%lld,%lld,%s,%s,%llu,%llu,%llu",
                               s.subject, s.group, (long long)s.score, s.grade, (long long)s.balance,
                               (long long)s.ceiling, s.flags, s.measures,
                               (unsigned long long)s.events, (unsigned long long)s.archived,
                               (unsigned long long)s.rank);
        for (size_t d = 0; d < civic_result_dimension_count(res); d++) {
            int64_t v = 0;
            assert_int_equal(civic_result_dimension(res, i, d, &v), CIVIC_OK);
            at += (size_t)snprintf(out + at, cap - at, ",%lld", (long long)v);
        }
        for (size_t t = 0; t < s.tier_count; t++) {
            civic_tier_value tv = CIVIC_TIER_VALUE_INIT;
            assert_int_equal(civic_result_tier(res, i, t, &tv), CIVIC_OK);
            at += (size_t)snprintf(out + at, cap - at, ",%s=%lld/%u", tv.tier, (long long)tv.value,
                                   tv.level);
        }
        at += (size_t)snprintf(out + at, cap - at, "\n");
        assert_true(at + 1024 < cap);
    }
    *rows = n;
    civic_result_free(res);
    return out;
}

/* e's rows (rows_with_extras) against *want, the rows of the first engine
 * asked: that one must have first_rows of them, every later one the same
 * text.  *want is kept (the caller frees it). */
static void rows_agree(const civic_engine *e, int64_t as_of, char **want, size_t *want_rows,
                       size_t first_rows)
{
    size_t rows = 0;
    char *got = rows_with_extras(e, as_of, &rows);
    if (!*want) {
        *want = got;
        *want_rows = rows;
        assert_int_equal(rows, first_rows);
        return;
    }
    assert_int_equal(rows, *want_rows);
    assert_string_equal(got, *want);
    free(got);
}

/* Above CIVIC_TWO_PASS_EVENTS events, an all-subject answer buckets and
 * evaluates the subjects in two passes (halves of the rows, by events).
 * Forced here on a small log, on 1, 2 and 4 threads, it must give the rows
 * of one pass: subjects inserted out of id order, interleaved events,
 * subjects without events at the as-of time, and one subject holding more
 * than half of the events, first in id order (the first pass is that
 * subject alone) or last, or none (both passes then run on two threads). */
static char *two_pass_log(const char *busy, size_t *len)
{
    const unsigned subjects = 9000, busy_events = busy ? 40000 : 0; /* the others: ~36000 */
    size_t cap = 256 + ((size_t)subjects * 7 + busy_events) * 80, at = 0;
    char *data = malloc(cap);
    assert_non_null(data);
    at += (size_t)snprintf(data, cap, "id,subject,type,ts,qty,group\n");
    const int64_t t0 = 1700000000, late = 1750000000;
    unsigned n = 0;
    for (unsigned round = 0; round < 7; round++) {
        for (unsigned s = 0; s < subjects; s++) {
            if (round > s % 7) continue;
            unsigned name = (s * 7919u) % subjects; /* insertion order is not id order */
            int64_t ts = (s % 11 == 3 ? late : t0) + round * 3600 + s;
            at += (size_t)snprintf(data + at, cap - at, "p%u-%u,t%05u,%s,%lld,,d%u\n", s, round,
                                   name, kinds[(s + round) % K], (long long)ts, s % 4);
            if (s % 3 == 0 && n < busy_events) /* the busy subject's, between the others' */
                at += (size_t)snprintf(data + at, cap - at, "b%u,%s,%s,%lld,2,d9\n", n, busy,
                                       kinds[n % K], (long long)(t0 + n)), n++;
        }
    }
    for (; n < busy_events; n++)
        at += (size_t)snprintf(data + at, cap - at, "b%u,%s,%s,%lld,,d9\n", n, busy,
                               kinds[n % K], (long long)(t0 + n));
    assert_true(at < cap);
    *len = at;
    return data;
}

static void two_pass_rows_are_one_pass_rows(void **state)
{
    (void)state;
    const char *busy_ids[] = { "a-busy", "z-busy", NULL };
    const int64_t as_of = 1750000000 - 1;
    for (size_t b = 0; b < 3; b++) {
        size_t len = 0;
        char *data = two_pass_log(busy_ids[b], &len);
        char *want = NULL;
        size_t want_rows = 0;
        for (uint32_t threads = 1; threads <= 4; threads *= 2) {
            for (int forced = 0; forced <= 1; forced++) {
                civic_engine *e = engine_from_threads(NULL, threads);
                assert_int_equal(civic_engine_load(e, data, len, NULL, NULL, NULL), CIVIC_OK);
                if (busy_ids[b]) /* more than half of the events are the busy subject's */
                    assert_true(civic_engine_event_count(e) < 2 * 40000);
                if (forced) e->two_pass_events = 1;
                /* 818 with s % 11 == 3 have events after as_of only */
                rows_agree(e, as_of, &want, &want_rows, 9000 - 818 + (busy_ids[b] != NULL));
                civic_engine_free(e);
            }
        }
        free(want);
        free(data);
    }
}

/* The evaluation threads write their rows into stretches of one array and
 * move them together: subjects without events at the as-of time leave gaps
 * in every stretch (here every third subject, and a run of 500), and the
 * rows, dimensions and tiers must come out as one thread gives them. */
static void parallel_rows_close_their_gaps(void **state)
{
    (void)state;
    const unsigned subjects = 9000;
    size_t cap = 64 + (size_t)subjects * 3 * 96, at = 0;
    char *data = malloc(cap);
    assert_non_null(data);
    at += (size_t)snprintf(data, cap, "id,subject,type,ts,qty,group\n");
    const int64_t t0 = 1700000000, late = 1750000000;
    size_t in_time = 0;
    for (unsigned s = 0; s < subjects; s++) {
        bool gap = s % 3 == 1 || (s >= 4000 && s < 4500);
        in_time += !gap;
        for (unsigned i = 0; i < 3; i++)
            at += (size_t)snprintf(data + at, cap - at, "g-%u-%u,g%05u,%s,%lld,%s,d%u\n", s, i, s,
                                   kinds[(s + i) % K], (long long)((gap ? late : t0) + s * 60 + i),
                                   i == 0 ? "12" : "", s % 5);
    }
    const int64_t as_of = late - 1;
    char *want = NULL;
    size_t want_rows = 0;
    for (uint32_t threads = 1; threads <= 8; threads *= 2) {
        civic_engine *e = engine_from_threads(NULL, threads);
        assert_int_equal(civic_engine_load(e, data, at, NULL, NULL, NULL), CIVIC_OK);
        rows_agree(e, as_of, &want, &want_rows, in_time); /* 9000 - 3000 - 333 */
        civic_engine_free(e);
    }
    free(want);
    free(data);
}

static void worker_threads_give_the_answers_of_one_thread(void **state)
{
    (void)state;
    char *data = make_big_batch(4500);
    assert_non_null(data);
    /* a few bad lines, duplicates and a conflict spread through the batch */
    size_t len = strlen(data), cap = len + 4096;
    char *mixed = malloc(cap);
    assert_non_null(mixed);
    size_t at = 0, line = 0;
    for (const char *p = data; *p;) {
        const char *nl = strchr(p, '\n');
        size_t n = (size_t)(nl - p) + 1;
        memcpy(mixed + at, p, n);
        at += n;
        if (++line % 7001 == 0 && at + 64 < cap)
            at += (size_t)snprintf(mixed + at, cap - at, "bad%zu,,nope,,,\n", line);
        if (line % 9001 == 0 && at + n < cap) { /* an exact duplicate */
            memcpy(mixed + at, p, n);
            at += n;
        }
        p = nl + 1;
    }
    at += (size_t)snprintf(mixed + at, cap - at, "big-1-1,big00001,donation,1,,\n"); /* conflict */
    mixed[at] = '\0';
    free(data);
    civic_load_report one = CIVIC_LOAD_REPORT_INIT;
    char *a = parallel_case_answers(SERIAL_READER, mixed, &one);
    assert_true(one.rejected >= 4 && one.duplicates >= 3);
    for (uint32_t threads = 1; threads <= 4; threads *= 4) { /* the pipeline */
        civic_load_report rep = CIVIC_LOAD_REPORT_INIT;
        char *b = parallel_case_answers(threads, mixed, &rep);
        assert_int_equal(one.lines, rep.lines);
        assert_int_equal(one.accepted, rep.accepted);
        assert_int_equal(one.duplicates, rep.duplicates);
        assert_int_equal(one.rejected, rep.rejected);
        assert_string_equal(a, b);
        free(b);
    }
    free(a);
    free(mixed);
}

/* ------------------------------------------------------------ adds faulting ahead
 * One civic_engine_add at a time on an engine with threads: a thread of its
 * own faults in the room the adds will write next (engine.c), while a
 * reader queries, the arrays grow under it, adds fail and roll back, and a
 * load (another kind of write) stops it in between.  The answers are those
 * of one thread, which never starts it. */

typedef struct add_watch {
    civic_engine *e;
    atomic_bool done;
    atomic_ulong queries;
    atomic_ulong violations;
} add_watch;

static void *watch_adds(void *arg)
{
    add_watch *w = arg;
    uint64_t last = 0;
    while (!atomic_load(&w->done)) {
        uint64_t n = civic_engine_event_count(w->e);
        if (n < last) atomic_fetch_add(&w->violations, 1);
        last = n;
        civic_result *r = NULL;
        if (civic_engine_subject(w->e, "f00007", AS_OF, &r) != CIVIC_OK)
            atomic_fetch_add(&w->violations, 1);
        civic_result_free(r);
        atomic_fetch_add(&w->queries, 1);
    }
    return NULL;
}

static void add_many(civic_engine *e, unsigned from, unsigned to)
{
    char id[32], subject[32], ts[32];
    civic_event ev = CIVIC_EVENT_INIT;
    for (unsigned i = from; i < to; i++) {
        snprintf(id, sizeof(id), "f%u", i);
        snprintf(subject, sizeof(subject), "f%05u", (i * 7919u) % 5003u);
        snprintf(ts, sizeof(ts), "%lld", (long long)(1700000000 + (int64_t)i * 30));
        ev.id = id;
        ev.subject = subject;
        ev.type = kinds[i % K];
        ev.ts = ts;
        civic_error err = CIVIC_ERROR_INIT;
        if (civic_engine_add(e, &ev, &err) != CIVIC_OK) fail_msg("add %u: %s", i, err.message);
        if (i % 50000 == 0) { /* the same id with another subject: refused, rolled back */
            ev.subject = "other";
            assert_int_equal(civic_engine_add(e, &ev, &err), CIVIC_E_CONFLICT);
        }
    }
}

static char *adds_answers(uint32_t threads, unsigned events, add_watch *w)
{
    civic_engine *e = engine_from_threads(NULL, threads);
    pthread_t reader;
    if (w) {
        w->e = e;
        assert_int_equal(pthread_create(&reader, NULL, watch_adds, w), 0);
        while (atomic_load(&w->queries) == 0) sched_yield(); /* it reads all along */
    }
    add_many(e, 0, events / 2);
    const char batch[] = "id,subject,type,ts\nload1,f00007,donation,1700000000\n"
                         "load2,f00008,recycling,1700000100\n";
    assert_int_equal(civic_engine_load(e, batch, sizeof(batch) - 1, NULL, NULL, NULL), CIVIC_OK);
    add_many(e, events / 2, events);
    if (w) {
        atomic_store(&w->done, true);
        pthread_join(reader, NULL);
    }
    assert_int_equal(civic_engine_event_count(e), (uint64_t)events + 2);
    char *answers = subjects_csv(e, AS_OF);
    civic_engine_free(e);
    return answers;
}

static void adds_fault_ahead_and_give_the_answers_of_one_thread(void **state)
{
    (void)state;
    /* past 4 MiB of room a round: ~130 000 adds since the last other write */
    const unsigned events = getenv("CIVIC_TEST_UNDER_VALGRIND") ? 60000 : 600000;
    char *one = adds_answers(1, events, NULL);
    add_watch w = { 0 };
    char *two = adds_answers(2, events, &w);
    assert_int_equal(atomic_load(&w.violations), 0);
    assert_true(atomic_load(&w.queries) > 0);
    assert_string_equal(one, two);
    free(one);
    free(two);
}

/* ------------------------------------------------------------ pipelined loads
 * Big enough for several spans of the load pipeline (a few MiB each), with
 * subjects and groups that recur in every span, so parsing threads look up
 * names the inserting thread added moments before; bad lines, duplicates of
 * events many spans back, and conflicts spread through. */

#define PIPE_LINES 240000u

static char *make_pipeline_log(bool conflict_at_end)
{
    size_t cap = 64 + (size_t)PIPE_LINES * 110, at = 0;
    char *out = malloc(cap);
    assert_non_null(out);
    at += (size_t)snprintf(out, cap, "id,subject,type,ts,qty,group\n");
    for (unsigned i = 0; i < PIPE_LINES; i++) {
        unsigned s = (i * 7919u) % 20011u;
        if (i % 50021 == 50020) at += (size_t)snprintf(out + at, cap - at, "bad%u,,nope,,,\n", i);
        if (i % 30011 == 30010 && i >= 100000) { /* the exact twin of an event 100 000 lines back */
            unsigned j = i - 100000;
            unsigned t = (j * 7919u) % 20011u;
            at += (size_t)snprintf(out + at, cap - at, "p%u,s%05u,%s,%lld,%s,g%u/h%u\n", j, t,
                                   kinds[j % K], (long long)(1700000000 + (int64_t)j * 60),
                                   j % 5 == 0 ? "2" : "", t % 4, t % 9);
        }
        if (i % 70001 == 70000) /* same id as an event far back, another subject */
            at += (size_t)snprintf(out + at, cap - at, "p%u,other,donation,1700000000,,\n", i - 65000);
        at += (size_t)snprintf(out + at, cap - at, "p%u,s%05u,%s,%lld,%s,g%u/h%u\n", i, s,
                               kinds[i % K], (long long)(1700000000 + (int64_t)i * 60),
                               i % 5 == 0 ? "2" : "", s % 4, s % 9);
    }
    if (conflict_at_end)
        at += (size_t)snprintf(out + at, cap - at, "p7,s00001,donation,1,,\n");
    /* a quoted record sends the tail to the serial reader, after the rest */
    at += (size_t)snprintf(out + at, cap - at,
                           "\"q1\",s00002,donation,1700000000,,\nbad-tail,,nope,,,\n");
    return out;
}

/* A load's report and rejected lines are the serial reader's (one). */
static void same_report(const civic_load_report *rep, const reject_log *log,
                        const civic_load_report *one, const reject_log *one_log)
{
    assert_int_equal(rep->lines, one->lines);
    assert_int_equal(rep->accepted, one->accepted);
    assert_int_equal(rep->duplicates, one->duplicates);
    assert_int_equal(rep->rejected, one->rejected);
    assert_int_equal(log->count, one_log->count);
    for (size_t i = 0; i < log->count && i < 64; i++)
        assert_int_equal(log->lines[i], one_log->lines[i]);
}

static char *pipeline_answers(uint32_t threads, const char *data, const char *path,
                              civic_load_report *rep, reject_log *log)
{
    civic_engine *e = engine_from_threads(NULL, threads);
    civic_load_options lo = CIVIC_LOAD_OPTIONS_INIT;
    lo.flags = CIVIC_LOAD_LENIENT;
    lo.on_reject = log_reject;
    lo.payload = log;
    if (path)
        assert_int_equal(civic_engine_load_file(e, path, &lo, rep, NULL), CIVIC_OK);
    else
        assert_int_equal(civic_engine_load(e, data, strlen(data), &lo, rep, NULL), CIVIC_OK);
    char *answers = subjects_csv(e, AS_OF);
    civic_engine_free(e);
    return answers;
}

static void pipelined_loads_give_the_answers_of_one_thread(void **state)
{
    (void)state;
    char *data = make_pipeline_log(false);
    char path[] = "/tmp/civic-pipeline-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, strlen(data), f), strlen(data));
    assert_int_equal(fclose(f), 0);
    civic_load_report one = CIVIC_LOAD_REPORT_INIT;
    reject_log one_log = { { 0 }, 0, "" };
    char *want = pipeline_answers(SERIAL_READER, data, NULL, &one, &one_log);
    /* by hand: 5 bad lines, 4 twins, 3 conflicts (lines with another subject) */
    assert_int_equal(one.accepted, PIPE_LINES + 1);
    assert_int_equal(one.duplicates, 4);
    assert_int_equal(one.rejected, 5 + 3);
    assert_int_equal(one_log.count, 8);
    assert_int_equal(one_log.lines[7], one.lines);
    for (uint32_t threads = 1; threads <= 4; threads *= 2) {
        for (int from_file = 0; from_file <= 1; from_file++) {
            civic_load_report rep = CIVIC_LOAD_REPORT_INIT;
            reject_log log = { { 0 }, 0, "" };
            char *got = pipeline_answers(threads, data, from_file ? path : NULL, &rep, &log);
            same_report(&rep, &log, &one, &one_log);
            assert_string_equal(got, want);
            free(got);
        }
    }
    free(want);
    unlink(path);
    free(data);
}

/* A numbered log ("1", "2", ...) whose engine's array of numbered ids
 * holds most of its ids: ids far past the array's reach go to the table,
 * under their hash, and are found there by later lines and by
 * civic_engine_add, on any number of parsing threads.  Every 997th line's id is such a far number;
 * from line 100 000 on, every 1009th line repeats the far-numbered event
 * of about 100 000 lines back (a duplicate), every 30011th gives that id
 * another subject (a conflict) and every 40009th repeats a near-numbered
 * event (a duplicate found in the array). */
#define FAR_ID(i) (90000000000ull + (unsigned long long)(i) * 1000ull)

static size_t far_line(char *out, size_t cap, unsigned long long id, unsigned i)
{
    return (size_t)snprintf(out, cap, "%llu,s%05u,%s,%lld,%u\n", id, (i * 7919u) % 20011u,
                            kinds[i % K], (long long)(1700000000 + (int64_t)i * 60), 1 + i % 3);
}

static char *make_far_numbers_log(unsigned *twins, unsigned *conflicts)
{
    size_t cap = 64 + (size_t)PIPE_LINES * 140, at = 0;
    char *out = malloc(cap);
    assert_non_null(out);
    *twins = *conflicts = 0;
    at += (size_t)snprintf(out, cap, "id,subject,type,ts,qty\n");
    for (unsigned i = 0; i < PIPE_LINES; i++) {
        unsigned far = (i - 100000) / 997 * 997 + 996; /* a far line ~100 000 back */
        if (i >= 100000 && i % 1009 == 0) {
            at += far_line(out + at, cap - at, FAR_ID(far), far);
            ++*twins;
        }
        if (i >= 100000 && i % 30011 == 0) {
            at += (size_t)snprintf(out + at, cap - at, "%llu,other,donation,1700000000,1\n",
                                   FAR_ID(far));
            ++*conflicts;
        }
        if (i >= 100000 && i % 40009 == 0) {
            at += far_line(out + at, cap - at, i - 90000 + 1ull, i - 90000);
            ++*twins;
        }
        at += far_line(out + at, cap - at, i % 997 == 996 ? FAR_ID(i) : i + 1ull, i);
    }
    return out;
}

static void far_numbers_are_found_in_the_table_by_parallel_loads(void **state)
{
    (void)state;
    unsigned twins, conflicts;
    char *data = make_far_numbers_log(&twins, &conflicts);
    civic_load_report one = CIVIC_LOAD_REPORT_INIT;
    reject_log one_log = { { 0 }, 0, "" };
    char *want = pipeline_answers(SERIAL_READER, data, NULL, &one, &one_log);
    assert_int_equal(one.accepted, PIPE_LINES);
    assert_int_equal(one.duplicates, twins);
    assert_int_equal(one.rejected, conflicts);
    assert_true(twins > 100 && conflicts >= 4);
    for (uint32_t threads = 1; threads <= 4; threads *= 2) {
        civic_engine *e = engine_from_threads(NULL, threads);
        civic_load_options lo = CIVIC_LOAD_OPTIONS_INIT;
        reject_log log = { { 0 }, 0, "" };
        civic_load_report rep = CIVIC_LOAD_REPORT_INIT;
        lo.flags = CIVIC_LOAD_LENIENT;
        lo.on_reject = log_reject;
        lo.payload = &log;
        assert_int_equal(civic_engine_load(e, data, strlen(data), &lo, &rep, NULL), CIVIC_OK);
        same_report(&rep, &log, &one, &one_log);
        char *got = subjects_csv(e, AS_OF);
        assert_string_equal(got, want);
        free(got);
        /* the far ids of the last spans, added again: held, under their hash */
        for (unsigned i = PIPE_LINES - 10 * 997; i < PIPE_LINES; i++) {
            if (i % 997 != 996) continue;
            char id[32], subject[16], ts[32], qty[8];
            snprintf(id, sizeof id, "%llu", FAR_ID(i));
            snprintf(subject, sizeof subject, "s%05u", (i * 7919u) % 20011u);
            snprintf(ts, sizeof ts, "%lld", (long long)(1700000000 + (int64_t)i * 60));
            snprintf(qty, sizeof qty, "%u", 1 + i % 3);
            civic_event ev = CIVIC_EVENT_INIT;
            ev.id = id;
            ev.subject = subject;
            ev.type = kinds[i % K];
            ev.ts = ts;
            ev.qty = qty;
            assert_int_equal(civic_engine_add(e, &ev, NULL), CIVIC_DUPLICATE);
        }
        civic_engine_free(e);
    }
    free(want);
    free(data);
}

/* Rule codes alike but for one byte, anywhere in them, at every length
 * from 1 to 40 (a parallel reader remembers the codes its lines named by
 * their bytes, from 8 to 24 of them), named in a shuffled order: a parallel
 * load gives each event the rule the serial reader gives it.  Rule k has
 * k + 1 points and subject k only its events, so a wrong rule shows in a
 * score. */
#define CODES_MAX 420
#define CODE_EVENTS 30u

static void codes_alike_but_for_one_byte(char (*codes)[48], size_t *count)
{
    *count = 0;
    for (size_t len = 1; len <= 40; len++) {
        for (size_t at = 0; at < len && *count < CODES_MAX; at += len > 24 ? 7 : 1) {
            memset(codes[*count], 'a', len);
            codes[*count][len] = '\0';
            codes[*count][at] = 'b';
            ++*count;
        }
    }
}

static void rule_codes_alike_at_both_ends_are_told_apart(void **state)
{
    (void)state;
    static char codes[CODES_MAX][48];
    size_t count;
    codes_alike_but_for_one_byte(codes, &count);
    assert_true(count > 300 && count <= CODES_MAX);
    size_t cap = 4096 + count * 96, at = 0;
    char *rules = malloc(cap);
    assert_non_null(rules);
    at += (size_t)snprintf(rules, cap, "[scheme]\nbase = 1000\nmin = 0\nmax = 1000000\n"
                                       TEST_GRADES);
    for (size_t k = 0; k < count; k++)
        at += (size_t)snprintf(rules + at, cap - at,
                               "[rule.%s]\npoints = %zu\nvalid = \"forever\"\n", codes[k], k + 1);
    size_t lines = count * CODE_EVENTS, lcap = 64 + lines * 80;
    char *log = malloc(lcap);
    assert_non_null(log);
    size_t *order = malloc(lines * sizeof(*order));
    assert_non_null(order);
    for (size_t i = 0; i < lines; i++) order[i] = i;
    uint64_t seed = 18;
    for (size_t i = lines - 1; i > 0; i--) { /* Fisher-Yates */
        seed = seed * UINT64_C(6364136223846793005) + 1442695040888963407u;
        size_t j = (size_t)(seed >> 33) % (i + 1), x = order[i];
        order[i] = order[j];
        order[j] = x;
    }
    at = (size_t)snprintf(log, lcap, "id,subject,type,ts\n");
    for (size_t i = 0; i < lines; i++) {
        size_t k = order[i] % count;
        at += (size_t)snprintf(log + at, lcap - at, "%zu,s%zu,%s,%lld\n", i + 1, k, codes[k],
                               (long long)(1700000000 + (int64_t)i));
    }
    assert_true(at > 256 * 1024); /* helpers start */
    char *want = NULL;
    const uint32_t threads[] = { SERIAL_READER, 1, 2, 4 };
    for (size_t t = 0; t < sizeof(threads) / sizeof(threads[0]); t++) {
        civic_engine *e = engine_from_threads(rules, threads[t]);
        civic_load_report rep = CIVIC_LOAD_REPORT_INIT;
        assert_int_equal(civic_engine_load(e, log, at, NULL, &rep, NULL), CIVIC_OK);
        assert_int_equal(rep.accepted, lines);
        char *got = subjects_csv(e, AS_OF);
        if (!want) {
            want = got;
            /* by hand, one subject: 30 events of rule 7 (8 points each) */
            civic_result *res = NULL;
            civic_score sc = CIVIC_SCORE_INIT;
            assert_int_equal(civic_engine_subject(e, "s7", AS_OF, &res), CIVIC_OK);
            assert_int_equal(civic_result_get(res, 0, &sc), CIVIC_OK);
            assert_int_equal(sc.score, (1000 + 8 * CODE_EVENTS) * 100); /* hundredths */
            civic_result_free(res);
        } else {
            assert_string_equal(got, want);
            free(got);
        }
        civic_engine_free(e);
    }
    free(want);
    free(order);
    free(log);
    free(rules);
}

/* The parallel readers' cache of rule codes, white-box: a slot holding
 * another code is never taken for the one looked up, even where both
 * codes share a slot (simulated: the entry moved to the other's slot) and
 * their words or length nearly agree.  Each pair differs in one byte only
 * the middle word holds, or in length only, or (past 24 bytes, which are
 * not cached) in a byte no word would hold. */
static uint16_t type_through(civic_engine *e, civic_type_cache *cache, const char *code)
{
    const char *v[CIVIC_F_COUNT] = { "1", "s", code, "1700000000", NULL, NULL, NULL };
    civic_fields f;
    civic__fields_of(&f, v, NULL);
    f.type_cache = cache;
    civic_parsed p;
    assert_int_equal(civic__event_parse(e, &f, &p, 0, NULL), CIVIC_OK);
    return p.type;
}

static void a_cached_rule_code_is_never_taken_for_another(void **state)
{
    (void)state;
    static const char *const pairs[][2] = {
        { "hhhhhhhhhhbhhhhhhhhh", "hhhhhhhhhhchhhhhhhhh" }, /* 20 bytes, byte 10 */
        { "iiiiiiiiiiiiiiibiiiiiiii", "iiiiiiiiiiiiiiiciiiiiiii" }, /* 24, byte 15 */
        { "jjjjjjjjjjjjjjjjbjjjjjjjj", "jjjjjjjjjjjjjjjjcjjjjjjjj" }, /* 25 (uncached), 16 */
        { "ddddddddd", "dddddddddd" }, /* 9 and 10 bytes */
        { "eeeeeeee", "eeeeeeeee" }, /* 8 and 9 */
        { "ffffffffffffffffffffffff", "fffffffffffffffffffffffff" }, /* 24 and 25 */
        { "ggggggg", "gggggggg" }, /* 7 and 8 */
    };
    const size_t n = sizeof(pairs) / sizeof(pairs[0]);
    char rules[4096];
    size_t at = (size_t)snprintf(rules, sizeof rules, "[scheme]\nbase = 1000\n" TEST_GRADES);
    for (size_t i = 0; i < n; i++)
        for (int j = 0; j < 2; j++)
            at += (size_t)snprintf(rules + at, sizeof rules - at, "[rule.%s]\npoints = 1\n",
                                   pairs[i][j]);
    assert_true(at < sizeof rules);
    civic_engine *e = engine_from(rules);
    for (size_t i = 0; i < n; i++) {
        const char *a = pairs[i][0], *b = pairs[i][1];
        uint64_t w[3];
        size_t ka = civic__type_cache_key(a, strlen(a), w);
        size_t kb = civic__type_cache_key(b, strlen(b), w);
        civic_type_cache cache;
        memset(&cache, 0, sizeof cache);
        uint16_t ta = type_through(e, NULL, a), tb = type_through(e, NULL, b);
        assert_int_not_equal(ta, tb);
        for (int round = 0; round < 2; round++) {
            /* a's entry where b's would be, then b's where a's would be */
            assert_int_equal(type_through(e, &cache, round ? b : a), round ? tb : ta);
            size_t from = round ? kb : ka, to = round ? ka : kb;
            if (from < CIVIC_TYPE_CACHE_SLOTS && to < CIVIC_TYPE_CACHE_SLOTS)
                cache.slot[to] = cache.slot[from];
            assert_int_equal(type_through(e, &cache, round ? a : b), round ? ta : tb);
            assert_int_equal(type_through(e, &cache, round ? b : a), round ? tb : ta);
        }
    }
    civic_engine_free(e);
}

/* Strict: the first bad line stops the load wherever it falls in the
 * pipeline, with the error of the serial reader, and the engine keeps
 * exactly what it held before. */
static void pipelined_strict_loads_fail_like_one_thread(void **state)
{
    (void)state;
    char *data = make_pipeline_log(true);
    const char *bad = strstr(data, "bad50020");
    assert_non_null(bad);
    uint64_t bad_line = 1;
    for (const char *p = data; p < bad; p++) bad_line += *p == '\n';
    const uint32_t threads[] = { SERIAL_READER, 1, 2, 4 };
    for (size_t k = 0; k < sizeof(threads) / sizeof(threads[0]); k++) {
        civic_engine *e = engine_from_threads(NULL, threads[k]);
        const char *before = "id,subject,type,ts\nkeep1,s00001,donation,1700000000\n";
        assert_int_equal(civic_engine_load(e, before, strlen(before), NULL, NULL, NULL), CIVIC_OK);
        char *held = subjects_csv(e, AS_OF);
        civic_error err = CIVIC_ERROR_INIT;
        civic_load_report rep = CIVIC_LOAD_REPORT_INIT;
        assert_int_equal(civic_engine_load(e, data, strlen(data), NULL, &rep, &err), CIVIC_E_EVENT);
        assert_int_equal(err.line, bad_line);
        assert_int_equal(rep.lines, bad_line);
        assert_int_equal(rep.accepted, 0);
        assert_int_equal(civic_engine_event_count(e), 1);
        char *after = subjects_csv(e, AS_OF);
        assert_string_equal(after, held);
        free(after);
        free(held);
        civic_engine_free(e);
    }
    free(data);
}

/* The parallel CSV reader splits lines eight bytes at a time and vouches
 * for printable ASCII itself; on odd bytes (UTF-8, tabs, DEL, stray CR,
 * CRLF, blank lines, wrong field counts) it must reject and accept exactly
 * what the serial reader does, with the same lines and messages. */
typedef struct reject_trace {
    uint64_t hash, count;
} reject_trace;

static int trace_reject(void *payload, const civic_error *err)
{
    reject_trace *t = payload;
    t->hash = (t->hash ^ err->line) * 0x100000001B3ull;
    for (const unsigned char *m = (const unsigned char *)err->message; *m; m++)
        t->hash = (t->hash ^ *m) * 0x100000001B3ull;
    t->count++;
    return 0;
}

/* What a lenient load gave: every subject's answer, its rejects, its report. */
typedef struct load_outcome {
    char *answers;
    reject_trace trace;
    civic_load_report rep;
} load_outcome;

/* got must be want in every part; got's answers are freed. */
static void assert_same_outcome(const load_outcome *want, load_outcome *got)
{
    assert_string_equal(got->answers, want->answers);
    assert_int_equal(got->trace.count, want->trace.count);
    assert_int_equal(got->trace.hash, want->trace.hash);
    assert_int_equal(got->rep.lines, want->rep.lines);
    assert_int_equal(got->rep.accepted, want->rep.accepted);
    assert_int_equal(got->rep.duplicates, want->rep.duplicates);
    assert_int_equal(got->rep.rejected, want->rep.rejected);
    free(got->answers);
}

static const char *const odd[] = { /* CSV lines: id %u, subject %u */
    "o%u,r\xc3\xa9sident%u,donation,1700000000,,g\xc3\xa9/1\n",   /* UTF-8: fine */
    "o%u,tab\tbed%u,donation,1700000000,,\n",                     /* tab: rejected */
    "o%u,del\x7f%u,donation,1700000000,,\n",                      /* DEL: rejected */
    "o%u,cr\rmid%u,donation,1700000000,,\n",                      /* stray CR */
    "o%u,crlf%u,donation,1700000000,2,grp\r\n",                   /* CRLF: fine */
    "o%u,crlfempty%u,donation,1700000000,,\r\n",                  /* CRLF, empty last */
    "\n",                                                          /* blank */
    "\r\n",                                                        /* blank CRLF */
    "o%u,five%u,donation,1700000000\n",                           /* too few fields */
    "o%u,seven%u,donation,1700000000,,,x\n",                      /* too many */
    "o%u,ctl\x01%u,donation,1700000000,,\n",                      /* C0 control */
    "o%u,bad\xff%u,donation,1700000000,,\n",                      /* not UTF-8 */
    "o%u,c1\xc2\x85%u,donation,1700000000,,\n",                   /* C1 control */
    "o%u,longsubjectnamewithmanybytes%u,volunteer_hour,2024-01-02T03:04:05Z,1.5,a/b/c\n",
    "o%u,s%u,donati\xc3\xb6n,1700000000,,\n",                     /* unknown type */
};

static void parallel_csv_reader_matches_serial_on_odd_bytes(void **state)
{
    (void)state;
    size_t cap = (size_t)1 << 21, at = 0;
    char *data = malloc(cap);
    assert_non_null(data);
    at += (size_t)snprintf(data, cap, "id,subject,type,ts,qty,group\n");
    for (unsigned i = 0; at + 256 < cap; i++) {
        const char *fmt = odd[(i * 7u) % (sizeof(odd) / sizeof(odd[0]))];
        at += (size_t)snprintf(data + at, cap - at, fmt, i, i % 997);
    }
    data[at] = '\0';
    load_outcome want = { NULL, { 0, 0 }, CIVIC_LOAD_REPORT_INIT };
    const uint32_t threads[] = { SERIAL_READER, 1, 4 };
    for (size_t k = 0; k < sizeof(threads) / sizeof(threads[0]); k++) {
        civic_engine *e = engine_from_threads(NULL, threads[k]);
        civic_load_options lo = CIVIC_LOAD_OPTIONS_INIT;
        lo.flags = CIVIC_LOAD_LENIENT;
        reject_trace trace = { 0, 0 };
        lo.on_reject = trace_reject;
        lo.payload = &trace;
        civic_load_report rep = CIVIC_LOAD_REPORT_INIT;
        assert_int_equal(civic_engine_load(e, data, at, &lo, &rep, NULL), CIVIC_OK);
        load_outcome got = { subjects_csv(e, AS_OF), trace, rep };
        if (!want.answers) {
            want = got;
            assert_true(rep.accepted > 1000 && rep.rejected > 1000);
        } else {
            assert_same_outcome(&want, &got);
        }
        civic_engine_free(e);
    }
    free(want.answers);
    free(data);
}

/* threads = 0 takes the CPUs this thread may run on, not every online one:
 * under `taskset -c 0` two threads would only take turns on one core. */
static void default_threads_follow_the_affinity_mask(void **state)
{
    (void)state;
#if defined(__linux__) && defined(CPU_COUNT)
    cpu_set_t was, one;
    assert_int_equal(sched_getaffinity(0, sizeof(was), &was), 0);
    int first = 0;
    while (first < CPU_SETSIZE - 1 && !CPU_ISSET(first, &was)) first++;
    CPU_ZERO(&one);
    CPU_SET(first, &one);
    assert_int_equal(sched_setaffinity(0, sizeof(one), &one), 0);
    civic_engine *e = engine_from_threads(NULL, 0);
    uint32_t pinned = e->threads;
    civic_engine_free(e);
    assert_int_equal(sched_setaffinity(0, sizeof(was), &was), 0);
    assert_int_equal(pinned, 1);
    long want = sysconf(_SC_NPROCESSORS_ONLN);
    if (CPU_COUNT(&was) < want) want = CPU_COUNT(&was);
    if (want > 8) want = 8;
    e = engine_from_threads(NULL, 0);
    assert_int_equal(e->threads, want < 1 ? 1 : want);
    civic_engine_free(e);
#endif
}

/* JSON Lines lines as odd as those: id %u, subject %u. */
static const char *const odd_jsonl[] = {
    "{\"id\":\"j%u\",\"subject\":\"r\u00e9s%u\",\"type\":\"donation\",\"ts\":1700000000}\n",
    "{\"id\":\"j%u\",\"subject\":\"tab\tbed%u\",\"type\":\"donation\",\"ts\":1700000000}\n",
    "{\"id\":\"j%u\",\"subject\":\"s%u\",\"type\":\"donation\",\"ts\":\"2024-02-30\"}\n",
    "{\"id\":\"j%u\",\"subject\":\"s%u\",\"type\":\"volunteer_hour\",\"ts\":1700000000,\"qty\":2.5}\r\n",
    "\n",
    "{\"id\":\"j%u\",\"subject\":\"bad\xff%u\",\"type\":\"donation\",\"ts\":1700000000}\n",
    "{\"id\":\"j%u\",\"subject\":\"s%u\",\"type\":\"donation\"}\n",
    "{\"id\":\"j%u\",\"subject\":\"s%u\",\"type\":\"donation\",\"ts\":1700000000,\"x\":[1,{\"y\":null}]}\n",
    "[\"j%u\",\"s%u\"]\n",
    "{\"id\":\"j%u\",\"subject\":\"s%u\",\"type\":\"donation\",\"ts\":1700000000,\"group\":\"a/b\"}\n",
};

/* Small loads (4 KiB and more) take the pipeline too, on the caller's
 * thread when they are under 256 KiB: odd lines loaded in batches of a few
 * KiB (each CSV batch with its header) give the serial reader's answers,
 * rejects and reports, on one thread and on two. */
static void small_batches_match_the_serial_reader(void **state)
{
    (void)state;
    for (int jsonl = 0; jsonl <= 1; jsonl++) {
        const char *const *table = jsonl ? odd_jsonl : odd;
        size_t variants = jsonl ? sizeof(odd_jsonl) / sizeof(odd_jsonl[0]) : sizeof(odd) / sizeof(odd[0]);
        const char *header = jsonl ? "" : "id,subject,type,ts,qty,group\n";
        bool slow = getenv("CIVIC_TEST_UNDER_VALGRIND") != NULL;
        size_t cap = (size_t)(slow ? 60 : 600) << 10, at = 0;
        char *data = malloc(cap);
        assert_non_null(data);
        for (unsigned i = 0; at + 256 < cap; i++)
            at += (size_t)snprintf(data + at, cap - at, table[(i * 7u) % variants], i, i % 997);
        const size_t batches[] = { 3000, 4096, 5000, 40000, 300000 };
        for (size_t b = 0; b < sizeof(batches) / sizeof(batches[0]); b++) {
            load_outcome want = { NULL, { 0, 0 }, CIVIC_LOAD_REPORT_INIT };
            const uint32_t threads[] = { SERIAL_READER, 1, 2 };
            for (size_t k = 0; k < 3; k++) {
                civic_engine *e = engine_from_threads(NULL, threads[k]);
                reject_trace trace = { 0, 0 };
                civic_load_report rep = CIVIC_LOAD_REPORT_INIT;
                char *buf = malloc(batches[b] + 4096);
                assert_non_null(buf);
                for (size_t pos = 0; pos < at;) {
                    size_t end = pos + batches[b] < at ? pos + batches[b] : at;
                    while (end < at && data[end - 1] != '\n') end++;
                    size_t n = strlen(header);
                    memcpy(buf, header, n);
                    memcpy(buf + n, data + pos, end - pos);
                    civic_load_options lo = CIVIC_LOAD_OPTIONS_INIT;
                    lo.flags = CIVIC_LOAD_LENIENT;
                    lo.format = jsonl ? CIVIC_FORMAT_JSONL : CIVIC_FORMAT_CSV;
                    lo.on_reject = trace_reject;
                    lo.payload = &trace;
                    civic_load_report r = CIVIC_LOAD_REPORT_INIT;
                    assert_int_equal(civic_engine_load(e, buf, n + end - pos, &lo, &r, NULL), CIVIC_OK);
                    rep.lines += r.lines;
                    rep.accepted += r.accepted;
                    rep.duplicates += r.duplicates;
                    rep.rejected += r.rejected;
                    pos = end;
                }
                free(buf);
                load_outcome got = { subjects_csv(e, AS_OF), trace, rep };
                if (!want.answers) {
                    want = got;
                    assert_true(rep.accepted > cap / 600 && rep.rejected > cap / 600);
                } else {
                    assert_same_outcome(&want, &got);
                }
                civic_engine_free(e);
            }
            free(want.answers);
        }
        free(data);
    }
}

/* While a span is inserted, idle helpers fault in the memory it will
 * write (civic__prefault): that must never change a byte, wherever the
 * range starts and ends, and must leave a caller's allocator's memory
 * alone. */
static int hook_calls;

static void *hook_malloc(void *ctx, size_t size)
{
    (void)ctx;
    hook_calls++;
    return malloc(size);
}

static void *hook_realloc(void *ctx, void *p, size_t old_size, size_t new_size)
{
    (void)ctx;
    (void)old_size;
    hook_calls++;
    return realloc(p, new_size);
}

static void hook_free(void *ctx, void *p, size_t size)
{
    (void)ctx;
    (void)size;
    hook_calls++;
    free(p);
}

static void prefault_changes_no_byte(void **state)
{
    (void)state;
    civic_allocator lib;
    civic__alloc_init(&lib, NULL);
    const size_t n = (size_t)9 << 20; /* huge pages inside, 4 KiB ones at the ends */
    unsigned char *p = civic__calloc(&lib, n, 1);
    assert_non_null(p);
    for (size_t i = 0; i < n / 3; i++) p[i] = (unsigned char)(i * 7 + 3);
    const size_t cuts[][2] = { { 1, n - 2 }, { 0, n }, { 4097, 4095 }, { n / 2, 1 }, { 5, 0 } };
    for (size_t c = 0; c < sizeof(cuts) / sizeof(cuts[0]); c++)
        (void)civic__prefault(&lib, p + cuts[c][0], cuts[c][1]);
    for (size_t i = 0; i < n; i++)
        if (p[i] != (i < n / 3 ? (unsigned char)(i * 7 + 3) : 0)) fail_msg("byte %zu changed", i);
    civic__free(&lib, p, n);

    civic_allocator hooks = { hook_malloc, hook_realloc, hook_free, NULL }, mine;
    civic__alloc_init(&mine, &hooks);
    unsigned char *q = civic__malloc(&mine, n);
    assert_non_null(q);
    memset(q, 0x5A, n);
    int calls = hook_calls;
    /* not the library's memory: nothing done, and "do not ask again" */
    assert_false(civic__prefault(&mine, q, n));
    assert_int_equal(hook_calls, calls);
    for (size_t i = 0; i < n; i++)
        if (q[i] != 0x5A) fail_msg("byte %zu changed", i);
    civic__free(&mine, q, n);
}

/* The library's allocator maps big blocks itself, so that a huge-page hint
 * covers the whole mapping and a block grows by mremap instead of being
 * copied: a hint on part of a mapping splits it, and glibc's realloc then
 * copied the event array at every doubling.  Checked here: the bytes
 * survive growing, shrinking and crossing the size from which blocks are
 * mapped; a hinted block stays one mapping (Linux, where /proc/self/maps
 * tells); an engine fed one event at a time past that size, with the
 * library's allocator, answers like one loaded through a caller's. */
static bool one_mapping(const void *p, size_t size)
{
#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif
#if defined(UNDER_ASAN)
    (void)p, (void)size;
    return true; /* under ASan the library maps nothing itself */
#endif
    FILE *maps = fopen("/proc/self/maps", "r");
    if (!maps) return true; /* nothing to look at: not this system's promise */
    char line[512];
    bool inside = false;
    while (fgets(line, sizeof(line), maps)) {
        unsigned long lo = 0, hi = 0;
        if (sscanf(line, "%lx-%lx", &lo, &hi) != 2) continue;
        if ((uintptr_t)p >= lo && (uintptr_t)p < hi) {
            inside = (uintptr_t)p + size <= hi;
            break;
        }
    }
    fclose(maps);
    return inside;
}

/* A pattern on every 61st byte and on both ends of every page (the blocks
 * are large: byte by byte is too slow under valgrind). */
static bool watched(size_t i)
{
    return i % 61 == 0 || i % 4096 < 2 || i % 4096 > 4093;
}

static void fill(unsigned char *p, size_t from, size_t to, unsigned seed)
{
    for (size_t i = from; i < to; i++)
        if (watched(i)) p[i] = (unsigned char)(i * 131 + seed + (i >> 12));
}

static void same(const unsigned char *p, size_t n, unsigned seed, const char *when)
{
    for (size_t i = 0; i < n; i++)
        if (watched(i) && p[i] != (unsigned char)(i * 131 + seed + (i >> 12)))
            fail_msg("%s: byte %zu changed", when, i);
}

static void big_blocks_grow_whole_and_keep_their_bytes(void **state)
{
    (void)state;
    civic_allocator lib;
    civic__alloc_init(&lib, NULL);
    size_t n = ((size_t)33 << 20) + 17;
    unsigned char *p = civic__malloc(&lib, n);
    assert_non_null(p);
    fill(p, 0, n, 1);
    assert_ptr_equal(civic__advise_random(&lib, p, n), p);
    assert_true(one_mapping(p, n));
#if defined(__linux__) && defined(MADV_NOHUGEPAGE) && !defined(UNDER_ASAN)
    /* split in three, mremap cannot move it: it must still grow, by a copy */
    if (!one_mapping(p + 8192, 4096) || (uintptr_t)p % 4096 != 0)
        fail_msg("a mapped block is page-aligned and one mapping");
    assert_int_equal(madvise(p + ((size_t)8 << 20), (size_t)4 << 20, MADV_NOHUGEPAGE), 0);
    unsigned char *moved = civic__realloc(&lib, p, n, n + ((size_t)3 << 20));
    assert_non_null(moved);
    same(moved, n, 1, "realloc of a split block");
    civic__free(&lib, moved, n + ((size_t)3 << 20));
    p = civic__malloc(&lib, n);
    assert_non_null(p);
    fill(p, 0, n, 1);
#endif
    size_t sizes[] = { ((size_t)71 << 20) + 5, ((size_t)40 << 20), (size_t)100 << 10,
                       ((size_t)36 << 20) + 4095, (size_t)9 << 20, ((size_t)32 << 20) };
    size_t kept = n;
    for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
        unsigned char *q = civic__realloc(&lib, p, n, sizes[s]);
        assert_non_null(q);
        p = q;
        if (sizes[s] < kept) kept = sizes[s];
        n = sizes[s];
        same(p, kept, 1, "realloc");
        fill(p, kept, n, 1); /* the new tail, so the whole block is checked next */
        kept = n;
        (void)civic__advise_random(&lib, p, n);
        if (n >= CIVIC_MAPPED_BLOCK_BYTES) assert_true(one_mapping(p, n));
    }
    civic__free(&lib, p, n);

    size_t z = ((size_t)37 << 20) + 3;
    unsigned char *c = civic__calloc(&lib, z, 1);
    assert_non_null(c);
    for (size_t i = 0; i < z; i++)
        if (watched(i) && c[i]) fail_msg("calloc byte %zu is %u", i, c[i]);
    assert_true(one_mapping(c, z));
    civic__free(&lib, c, z);

    /* 600,000 events, one add at a time: the event array (32 bytes an
     * event) is mapped once it passes 4 MiB, at 131,073 events, then grows
     * by mremap twice (under valgrind, 50 times slower, it only crosses). */
    const unsigned events = getenv("CIVIC_TEST_UNDER_VALGRIND") ? 150000 : 600000;
    civic_rules *rules = NULL;
    assert_int_equal(civic_rules_default(&rules, NULL), CIVIC_OK);
    civic_engine *added = NULL, *loaded = NULL;
    assert_int_equal(civic_engine_new(&added, rules, NULL), CIVIC_OK);
    alloc_fail af;
    alloc_fail_init(&af);
    civic_engine_options o = CIVIC_ENGINE_OPTIONS_INIT;
    o.allocator = &af.alc;
    assert_int_equal(civic_engine_new(&loaded, rules, &o), CIVIC_OK);
    size_t cap = (size_t)events * 96 + 64, at = 0;
    char *csv = malloc(cap);
    assert_non_null(csv);
    at += (size_t)snprintf(csv, cap, "id,subject,type,ts,qty\n");
    for (unsigned i = 0; i < events; i++) {
        char id[24], subject[24], ts[32], qty[8];
        snprintf(id, sizeof(id), "e%u", i * 2654435761u); /* distinct: odd factor */
        snprintf(subject, sizeof(subject), "r%u", i % 997u);
        snprintf(ts, sizeof(ts), "2025-%02u-%02uT%02u:00:00Z", 1 + i % 12, 1 + i % 28, i % 24);
        snprintf(qty, sizeof(qty), "%u", 1 + i % 3);
        civic_event ev = CIVIC_EVENT_INIT;
        ev.id = id;
        ev.subject = subject;
        ev.type = kinds[i % K];
        ev.ts = ts;
        ev.qty = qty;
        civic_error err = CIVIC_ERROR_INIT;
        if (civic_engine_add(added, &ev, &err) != CIVIC_OK) fail_msg("add %u: %s", i, err.message);
        at += (size_t)snprintf(csv + at, cap - at, "%s,%s,%s,%s,%s\n", id, subject, kinds[i % K], ts,
                               qty);
    }
    load_ok(loaded, csv);
    free(csv);
    assert_int_equal(civic_engine_event_count(added), events);
    char *want = NULL;
    size_t want_rows = 0;
    rows_agree(loaded, AS_OF, &want, &want_rows, 997);
    rows_agree(added, AS_OF, &want, &want_rows, 997);
    free(want);
    civic_engine_free(added);
    civic_engine_free(loaded);
    civic_rules_free(rules);
    assert_int_equal(af.size_mismatches, 0);
    assert_int_equal(af.live_blocks, 0);
}

/* ------------------------------------------------------------ journal open/close
 * Two threads open and close a journal on ONE engine, over and over.  There
 * is no other engine: an open that finds the engine's own journal attached
 * is refused as "the engine already has a journal" (CIVIC_E_INVALID), or
 * it waits for the other thread's close and succeeds.  It used to fail,
 * thousands of times in a few seconds, with CIVIC_E_IO "locked by another
 * engine": the close detached the journal under the engine's lock and let
 * go of its file (and the file's lock) after, so an open in between found
 * the engine free and the file still locked by it.  The same for an open
 * that fails after locking the file (a damaged header): the next open must
 * see the damage, not the failed open's lock. */

typedef struct cycle_job {
    civic_engine *engine;
    const char *path;
    int want;              /* the one failure allowed: its code */
    const char *want_text; /* and a text its message holds */
    unsigned opens;        /* rounds until this many opens ... */
    unsigned max_rounds;   /* ... or this many rounds */
    unsigned rounds, opened, refused;
    unsigned others;       /* any other outcome */
    char first[CIVIC_ERROR_MESSAGE_SIZE + 64];
} cycle_job;

/* A refused open is quick and a successful one is not (the close syncs):
 * each thread goes on until it opened its share, yielding after a refusal,
 * or ran its rounds. */
static void *open_close_cycles(void *arg)
{
    cycle_job *job = arg;
    for (; job->opened < job->opens && job->rounds < job->max_rounds; job->rounds++) {
        civic_error err = CIVIC_ERROR_INIT;
        int rc = civic_engine_journal_open(job->engine, job->path, CIVIC_SYNC_NONE, NULL, &err);
        if (rc == CIVIC_OK) {
            job->opened++;
            rc = civic_engine_journal_close(job->engine, &err);
            if (rc == CIVIC_OK) continue;
        } else if (rc == job->want && strstr(err.message, job->want_text)) {
            job->refused++;
            sched_yield();
            continue;
        }
        if (job->others++ == 0)
            snprintf(job->first, sizeof(job->first), "round %u: %d %s", job->rounds, rc,
                     err.message);
    }
    return NULL;
}

/* Two threads cycling on one engine; every round opened and closed the
 * journal or failed as `want`.  Returns the opens of both. */
static unsigned two_cycling_threads(const char *path, unsigned opens, unsigned max_rounds,
                                    int want, const char *want_text)
{
    civic_rules *rules = NULL;
    civic_engine *e = NULL;
    assert_int_equal(civic_rules_default(&rules, NULL), CIVIC_OK);
    assert_int_equal(civic_engine_new(&e, rules, NULL), CIVIC_OK);
    civic_rules_free(rules);
    cycle_job jobs[2];
    pthread_t t[2];
    for (int i = 0; i < 2; i++) {
        jobs[i] = (cycle_job){ e, path, want, want_text, opens, max_rounds, 0, 0, 0, 0, "" };
        assert_int_equal(pthread_create(&t[i], NULL, open_close_cycles, &jobs[i]), 0);
    }
    for (int i = 0; i < 2; i++) pthread_join(t[i], NULL);
    for (int i = 0; i < 2; i++)
        if (jobs[i].others)
            fail_msg("thread %d: %u of %u rounds neither opened and closed the journal nor "
                     "failed with %d \"%s\"; the first: %s", i, jobs[i].others, jobs[i].rounds,
                     want, want_text, jobs[i].first);
    for (int i = 0; i < 2; i++)
        assert_int_equal(jobs[i].opened + jobs[i].refused, jobs[i].rounds);
    civic_error err = CIVIC_ERROR_INIT; /* nothing left attached */
    assert_int_equal(civic_engine_journal_close(e, &err), CIVIC_E_INVALID);
    civic_engine_free(e);
    return jobs[0].opened + jobs[1].opened;
}

static void one_engine_opens_and_closes_its_journal_on_two_threads(void **state)
{
    (void)state;
    char dir[] = "/tmp/civic-cycles-XXXXXX", path[64];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/j.civic", dir);
    bool slow = getenv("CIVIC_TEST_UNDER_VALGRIND") != NULL;
    assert_true(two_cycling_threads(path, slow ? 30 : 150, 200000, CIVIC_E_INVALID,
                                    "the engine already has a journal") > 0);
    /* a file damaged at its header: every open fails so, on either thread */
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    for (int i = 0; i < 64; i++) fputc('x', f);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(two_cycling_threads(path, 1, slow ? 200 : 2000, CIVIC_E_CORRUPT, ""), 0);
    assert_int_equal(unlink(path), 0);
    assert_int_equal(rmdir(dir), 0);
}

/* ------------------------------------------------------------ signals
 * The library's own threads (a journal's group sync, the fault-ahead of
 * adds, load helpers, query workers) never take the process's signals: a
 * program that blocks SIGTERM in its threads and waits for it in sigwait
 * (as civic-server does) had it go to the group sync thread, started with
 * the caller's mask open, where its default action ended the process. */

/* Whether every thread but this one has SIGTERM blocked (Linux: /proc). */
static bool other_threads_block_sigterm(int *others)
{
    char path[300], line[256];
    *others = 0;
    bool all = true;
    pid_t self = (pid_t)syscall(SYS_gettid);
    DIR *d = opendir("/proc/self/task");
    if (!d) return true; /* no /proc: nothing to look at */
    const struct dirent *ent;
    while ((ent = readdir(d)) != NULL) {
        if (ent->d_name[0] == '.' || atoi(ent->d_name) == self) continue;
        snprintf(path, sizeof(path), "/proc/self/task/%s/status", ent->d_name);
        FILE *f = fopen(path, "r");
        if (!f) continue;
        while (fgets(line, sizeof(line), f))
            if (strncmp(line, "SigBlk:", 7) == 0) {
                unsigned long long mask = strtoull(line + 7, NULL, 16);
                (*others)++;
                if (!(mask & (1ull << (SIGTERM - 1)))) all = false;
            }
        fclose(f);
    }
    closedir(d);
    return all;
}

static void library_threads_take_no_signals(void **state)
{
    (void)state;
    sigset_t none, before;
    sigemptyset(&none);
    pthread_sigmask(SIG_SETMASK, &none, &before); /* the caller's mask: all open */
    civic_rules *rules = NULL;
    civic_engine *e = NULL;
    assert_int_equal(civic_rules_default(&rules, NULL), CIVIC_OK);
    assert_int_equal(civic_engine_new(&e, rules, NULL), CIVIC_OK);
    civic_rules_free(rules);
    char dir[] = "/tmp/civic-signals-XXXXXX", path[64];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/j.civic", dir);
    civic_error err = CIVIC_ERROR_INIT;
    assert_int_equal(civic_engine_journal_open(e, path, CIVIC_SYNC_GROUP, NULL, &err), CIVIC_OK);
    int others = 0;
    bool blocked = other_threads_block_sigterm(&others);
    assert_true(others >= 1); /* the group sync thread */
    assert_true(blocked);
    civic_engine_free(e);
    unlink(path);
    rmdir(dir);
    pthread_sigmask(SIG_SETMASK, &before, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(library_threads_take_no_signals),
        cmocka_unit_test(one_writer_and_readers_never_see_half_a_batch),
        cmocka_unit_test(engines_on_several_threads_share_one_rules_object),
        cmocka_unit_test(an_answer_is_read_from_several_threads_after_the_engine_is_gone),
        cmocka_unit_test(worker_threads_give_the_answers_of_one_thread),
        cmocka_unit_test(parallel_rows_close_their_gaps),
        cmocka_unit_test(two_pass_rows_are_one_pass_rows),
        cmocka_unit_test(adds_fault_ahead_and_give_the_answers_of_one_thread),
        cmocka_unit_test(pipelined_loads_give_the_answers_of_one_thread),
        cmocka_unit_test(pipelined_strict_loads_fail_like_one_thread),
        cmocka_unit_test(far_numbers_are_found_in_the_table_by_parallel_loads),
        cmocka_unit_test(rule_codes_alike_at_both_ends_are_told_apart),
        cmocka_unit_test(a_cached_rule_code_is_never_taken_for_another),
        cmocka_unit_test(parallel_csv_reader_matches_serial_on_odd_bytes),
        cmocka_unit_test(default_threads_follow_the_affinity_mask),
        cmocka_unit_test(small_batches_match_the_serial_reader),
        cmocka_unit_test(prefault_changes_no_byte),
        cmocka_unit_test(big_blocks_grow_whole_and_keep_their_bytes),
        cmocka_unit_test(one_engine_opens_and_closes_its_journal_on_two_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
