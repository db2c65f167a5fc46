/*
** test_cache.c -- the fold cache (lib/cache.c): a subject's answer is the
** same with and without it, across writes, rollbacks, purges, as-of times
** before and after the cached one, evictions and concurrent readers; and a
** write to the subject changes a cached answer.
**
** Two engines get the same writes: one keeps the fold of every subject
** (events_min 1), the other none.  Every question is asked of both.
*/
#include "support.h"

#include <pthread.h>
#include <stdio.h>

#include "internal.h"

#define HEAD "id,subject,type,ts,qty,ref,act\n"
#define SUBJECTS 4
#define IDS_MAX 4096

/* Every version-2 feature that reads T: publicity, repair_after, retention
 * (of acts too), recounts and changes, objections, freeze, by-severity
 * validity, net caps, balance floor and resets, tiers (rolling and
 * calendar windows), measures. */
static const char *const SCHEMES[] = {
    "[scheme]\nbase = 1000\nmin = 0\nmax = 1100\nutc_offset = \"+08:00\"\n"
    "balance_reset = \"month\"\n" TEST_GRADES
    "[cap.civic]\nlimit = 15\nperiod = \"month\"\n"
    "[rule.good]\npoints = 5\nvalid = \"60d\"\ncap = 12\ncap_period = \"week\"\n"
    "cap_group = \"civic\"\n"
    "[rule.fine]\npoints = -10\nvalid = \"30d\"\nrepeat_factor = 2\nflag = \"late\"\n"
    "ceiling = 990\n"
    "[rule.hour]\npoints = 1\nper = \"unit\"\ncap = 8\ncap_period = \"day\"\n"
    "valid = \"end-of-month\"\n"
    "[rule.badge]\npoints = 2\ndimension = \"honour\"\nflag = \"badge\"\nceiling = 1040\n",

    "[scheme]\nbase = 1000\nutc_offset = \"-05:00\"\nclamp = \"running\"\nmin = 950\n"
    "max = 1050\ncontested = \"suspend\"\nobjection_window = \"20d\"\nbalance_min = -20\n"
    "balance_reset = \"quarter\"\n" TEST_GRADES
    "[[validity]]\nup_to = 20\nvalid = \"15d\"\n[[validity]]\nvalid = \"45d\"\n"
    "[rule.good]\npoints = 3\npublicity = \"3d\"\nrepair_after = \"7d\"\nvalid = \"60d\"\n"
    "flag = \"watched\"\n"
    "[rule.fine]\npoints = -10\nvalid = \"30d\"\nretain = \"90d\"\naffects = \"score\"\n"
    "repeat_factor = 2\nflag = \"dishonest\"\nceiling = 990\n"
    "[[rule.fine.change]]\nfrom = \"2022-03-01\"\nrecount = true\npoints = -20\n"
    "[rule.hour]\npoints = 1\nper = \"unit\"\ncap = 8\ncap_period = \"week\"\n"
    "cap_mode = \"net\"\n"
    "[[rule.hour.change]]\nfrom = \"2022-02-15\"\npoints = 2\n"
    "[rule.freeze]\npoints = -5\nvalid = \"10d\"\nfreeze = true\nretain = \"120d\"\n"
    "affects = \"score\"\n"
    "[rule.sev]\npoints = -30\nvalid = \"by-severity\"\npublicity = \"2d\"\n"
    "[tier.stars]\nrules = \"hour\"\nwindow = \"30d\"\n[[tier.stars.level]]\nname = \"one\"\n"
    "min = 3\n[[tier.stars.level]]\nname = \"two\"\nmin = 9\n"
    "[tier.monthly]\nrules = \"good\"\nmeasure = \"points\"\nwindow = \"month\"\n"
    "[[tier.monthly.level]]\nname = \"m\"\nmin = 4\n"
    "[measure.no_subsidy]\nkind = \"restriction\"\nflag = \"dishonest\"\n"
    "[measure.star]\nkind = \"incentive\"\ntier = \"stars\"\nmin_level = \"one\"\n"
    "[measure.high]\nkind = \"incentive\"\nmin_score = 1001\n",

    "[scheme]\nbase = 1000\nutc_offset = \"-05:00\"\nmin = 950\n"
    "max = 1050\ncontested = \"suspend\"\nobjection_window = \"20d\"\nbalance_min = -20\n"
    "balance_reset = \"quarter\"\n" TEST_GRADES
    "[[validity]]\nup_to = 20\nvalid = \"15d\"\n[[validity]]\nvalid = \"45d\"\n"
    "[rule.good]\npoints = 3\npublicity = \"3d\"\nrepair_after = \"7d\"\nvalid = \"60d\"\n"
    "flag = \"watched\"\n"
    "[rule.fine]\npoints = -10\nvalid = \"30d\"\nretain = \"90d\"\naffects = \"score\"\n"
    "repeat_factor = 2\nflag = \"dishonest\"\nceiling = 990\n"
    "[[rule.fine.change]]\nfrom = \"2022-03-01\"\nrecount = true\npoints = -20\n"
    "[rule.hour]\npoints = 1\nper = \"unit\"\ncap = 8\ncap_period = \"week\"\n"
    "cap_mode = \"net\"\n"
    "[[rule.hour.change]]\nfrom = \"2022-02-15\"\npoints = 2\n"
    "[rule.freeze]\npoints = -5\nvalid = \"10d\"\nfreeze = true\nretain = \"120d\"\n"
    "affects = \"score\"\n"
    "[rule.sev]\npoints = -30\nvalid = \"by-severity\"\npublicity = \"2d\"\n"
    "[tier.stars]\nrules = \"hour\"\nwindow = \"30d\"\n[[tier.stars.level]]\nname = \"one\"\n"
    "min = 3\n[[tier.stars.level]]\nname = \"two\"\nmin = 9\n"
    "[tier.monthly]\nrules = \"good\"\nmeasure = \"points\"\nwindow = \"month\"\n"
    "[[tier.monthly.level]]\nname = \"m\"\nmin = 4\n"
    "[measure.no_subsidy]\nkind = \"restriction\"\nflag = \"dishonest\"\n"
    "[measure.star]\nkind = \"incentive\"\ntier = \"stars\"\nmin_level = \"one\"\n"
    "[rule.badge]\npoints = 2\ndimension = \"honour\"\nflag = \"badge\"\nceiling = 1040\n"
    "[measure.high]\nkind = \"incentive\"\nmin_score = 1001\n",
};

static uint64_t rng_state;
static uint32_t rng(uint32_t n)
{
    rng_state = rng_state * UINT64_C(6364136223846793005) + UINT64_C(1442695040888963407);
    return (uint32_t)(rng_state >> 33) % n;
}

typedef struct world {
    civic_engine *cached, *plain;
    const char *types[16];
    size_t type_count;
    char ids[IDS_MAX][16];
    size_t id_count;
    int64_t t0, t1;            /* the log's time range */
    int64_t horizon;           /* CIVIC_NO_TIME until a purge */
} world;

static void world_new(world *w, const char *scheme, size_t bytes_max)
{
    memset(w, 0, sizeof(*w));
    w->cached = engine_from(scheme);
    w->plain = engine_from(scheme);
    civic__cache_configure(w->cached, 1, bytes_max);
    civic__cache_configure(w->plain, UINT32_MAX, 0);
    const char *types[] = { "good", "fine", "hour", "good", "fine", "hour", "redeem",
                            "revoke", "repair", "object", "dismiss", "correct" };
    bool v2 = strstr(scheme, "freeze") != NULL;
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        if (!v2 && (strcmp(types[i], "object") == 0 || strcmp(types[i], "dismiss") == 0 ||
                    strcmp(types[i], "correct") == 0))
            continue;
        w->types[w->type_count++] = types[i];
    }
    if (v2) {
        w->types[w->type_count++] = "freeze";
        w->types[w->type_count++] = "sev";
    }
    if (strstr(scheme, "badge")) w->types[w->type_count++] = "badge";
    w->t0 = when(w->cached, "2022-01-01");
    w->t1 = when(w->cached, "2022-07-01");
    w->horizon = CIVIC_NO_TIME;
}

static void world_free(world *w)
{
    civic_engine_free(w->cached);
    civic_engine_free(w->plain);
}

/* One random CSV line (a new id) appended to buf. */
static size_t random_line(world *w, char *buf, size_t cap)
{
    const char *type = w->types[rng((uint32_t)w->type_count)];
    char ts[32], qty[16] = "", ref[16] = "", act[8] = "";
    int64_t t = w->t0 + (int64_t)rng((uint32_t)(w->t1 - w->t0));
    snprintf(ts, sizeof ts, "%lld", (long long)t);
    bool pointer = strcmp(type, "revoke") == 0 || strcmp(type, "repair") == 0 ||
                   strcmp(type, "object") == 0 || strcmp(type, "dismiss") == 0 ||
                   strcmp(type, "correct") == 0;
    if (pointer && w->id_count) snprintf(ref, sizeof ref, "%s", w->ids[rng((uint32_t)w->id_count)]);
    else if (pointer) snprintf(ref, sizeof ref, "none");
    else snprintf(qty, sizeof qty, "%u", 1 + rng(strcmp(type, "redeem") == 0 ? 30 : 5));
    if ((strcmp(type, "fine") == 0 || strcmp(type, "sev") == 0) && rng(3) == 0)
        snprintf(act, sizeof act, "a%u", rng(3));
    CIVIC_ASSERT(w->id_count < IDS_MAX);
    char *id = w->ids[w->id_count++];
    snprintf(id, 16, "e%zu", w->id_count);
    int n = snprintf(buf, cap, "%s,s%u,%s,%s,%s,%s,%s\n", id, rng(SUBJECTS), type, ts, qty, ref,
                     act);
    assert_true(n > 0 && (size_t)n < cap);
    return (size_t)n;
}

static void load_both(world *w, const char *csv, int expected)
{
    int a = civic_engine_load(w->cached, csv, strlen(csv), NULL, NULL, NULL);
    int b = civic_engine_load(w->plain, csv, strlen(csv), NULL, NULL, NULL);
    assert_int_equal(a, b);
    if (expected == CIVIC_OK) assert_int_equal(a, CIVIC_OK);
    else assert_true(a < 0);
}

/* A batch of k new events, or (bad) k events then a line that fails the batch. */
static void write_batch(world *w, size_t k, bool bad)
{
    static char csv[64 * 1024];
    size_t n = (size_t)snprintf(csv, sizeof csv, HEAD);
    size_t ids = w->id_count;
    for (size_t i = 0; i < k; i++) n += random_line(w, csv + n, sizeof csv - n);
    if (bad) snprintf(csv + n, sizeof csv - n, "x%zu,s0,no_such_type,%lld,1,,\n", w->id_count,
                      (long long)w->t0);
    load_both(w, csv, bad ? CIVIC_E_EVENT : CIVIC_OK);
    if (bad) w->id_count = ids; /* nothing of it is there */
}

static void add_one(world *w)
{
    char line[256];
    random_line(w, line, sizeof line);
    char csv[300];
    snprintf(csv, sizeof csv, HEAD "%s", line);
    load_both(w, csv, CIVIC_OK); /* a one-event batch, like civic_engine_add */
}

static void purge_both(world *w, int64_t before)
{
    civic_error err = CIVIC_ERROR_INIT;
    assert_int_equal(civic_engine_purge(w->cached, before, NULL, &err), CIVIC_OK);
    assert_int_equal(civic_engine_purge(w->plain, before, NULL, &err), CIVIC_OK);
    if (before > w->horizon) w->horizon = before;
}

/* Everything a civic_result row says, as text. */
static void row_text(const civic_result *res, char *buf, size_t cap)
{
    civic_score s = CIVIC_SCORE_INIT;
    assert_int_equal(civic_result_get(res, 0, &s), CIVIC_OK);
    size_t n = (size_t)snprintf(buf, cap, "%s|%s|%s|%s|%lld|%lld|%lld|%llu|%u|%s|%u|%llu|",
                                s.subject, s.group, s.grade, s.flags, (long long)s.score,
                                (long long)s.balance, (long long)s.ceiling,
                                (unsigned long long)s.events, s.flag_count, s.measures,
                                s.measure_count, (unsigned long long)s.archived);
    for (size_t d = 0; d < s.dimension_count; d++) {
        int64_t v = 0;
        assert_int_equal(civic_result_dimension(res, 0, d, &v), CIVIC_OK);
        n += (size_t)snprintf(buf + n, cap - n, "d%lld|", (long long)v);
    }
    for (size_t t = 0; t < s.tier_count; t++) {
        civic_tier_value v = CIVIC_TIER_VALUE_INIT;
        assert_int_equal(civic_result_tier(res, 0, t, &v), CIVIC_OK);
        n += (size_t)snprintf(buf + n, cap - n, "t%lld:%u|", (long long)v.value, v.level);
    }
}

/* The answer of e about subject at t as text, or the error code. */
static void answer(const civic_engine *e, const char *subject, int64_t t, char *buf, size_t cap)
{
    civic_result *res = NULL;
    int rc = civic_engine_subject(e, subject, t, &res);
    if (rc != CIVIC_OK) snprintf(buf, cap, "error %d", rc);
    else row_text(res, buf, cap);
    civic_result_free(res);
}

static int64_t random_time(world *w)
{
    int64_t span = w->t1 - w->t0;
    switch (rng(5)) {
    case 0: return w->t1 + (int64_t)rng(400) * 86400;     /* after every event */
    case 1: return w->t0 - 86400;                          /* before them */
    case 2: { /* an event's own instant, or just before or after it */
        int64_t t = w->t0 + (int64_t)rng((uint32_t)span);
        return t + (int64_t)rng(3) - 1;
    }
    default: return w->t0 + (int64_t)rng((uint32_t)(span + 200 * 86400));
    }
}

/* Ask both engines about every subject at t, twice of the cached one. */
static void compare_at(world *w, int64_t t)
{
    char a[2048], b[2048], c[2048];
    for (unsigned s = 0; s <= SUBJECTS; s++) { /* s4 never has an event */
        char subject[8];
        snprintf(subject, sizeof subject, "s%u", s);
        answer(w->cached, subject, t, a, sizeof a);
        answer(w->cached, subject, t, b, sizeof b);
        answer(w->plain, subject, t, c, sizeof c);
        if (strcmp(a, c) != 0 || strcmp(b, c) != 0)
            fail_msg("%s at %lld:\n cached %s\n again  %s\n plain  %s", subject, (long long)t, a,
                     b, c);
    }
}

static void one_world(const char *scheme, uint64_t seed, size_t bytes_max)
{
    world w;
    rng_state = seed;
    world_new(&w, scheme, bytes_max);
    for (int step = 0; step < 120; step++) {
        switch (rng(8)) {
        case 0: case 1: write_batch(&w, 1 + rng(40), false); break;
        case 2: add_one(&w); break;
        case 3: write_batch(&w, 1 + rng(10), true); break; /* rolled back */
        case 4:
            if (rng(6) == 0 && w.id_count) purge_both(&w, w.t0 + (int64_t)rng(200) * 86400);
            break;
        default: break;
        }
        /* later, earlier and equal as-of times than the last question */
        int64_t t = random_time(&w);
        compare_at(&w, t);
        compare_at(&w, t + (int64_t)rng(90) * 86400);
        compare_at(&w, t - (int64_t)rng(90) * 86400);
        compare_at(&w, t);
    }
    size_t folds = 0, bytes = 0;
    uint64_t hits = 0;
    civic__cache_stats(w.cached, &folds, &bytes, &hits);
    assert_true(bytes <= bytes_max);
    assert_true(hits > 100); /* the second of each pair of questions, at least */
    civic__cache_stats(w.plain, &folds, &bytes, &hits);
    assert_int_equal(folds, 0);
    assert_int_equal(hits, 0);
    world_free(&w);
}

/* As one_world, and the fixed sums of some fold were used. */
static void answers_are_the_same_with_and_without_the_cache(void **state)
{
    (void)state;
    for (size_t k = 0; k < sizeof(SCHEMES) / sizeof(SCHEMES[0]); k++)
        for (uint64_t seed = 1; seed <= 6; seed++) one_world(SCHEMES[k], seed * 7919 + k, 1u << 24);
    support_release();
}

static void answers_are_the_same_when_folds_are_evicted(void **state)
{
    (void)state;
    /* room for about one subject's fold: every put evicts another */
    for (size_t k = 0; k < sizeof(SCHEMES) / sizeof(SCHEMES[0]); k++)
        for (uint64_t seed = 1; seed <= 3; seed++) one_world(SCHEMES[k], seed * 104729 + k, 2048);
    support_release();
}

static void a_write_to_the_subject_changes_its_cached_answer(void **state)
{
    (void)state;
    civic_engine *e = engine_from(SCHEMES[0]);
    civic__cache_configure(e, 1, 1u << 20);
    load_ok(e, HEAD "a,s,good,2022-01-03,,,\nb,s,good,2022-01-20,,,\nc,t,good,2022-01-04,,,\n");
    int64_t t = when(e, "2022-02-01");
    assert_int_equal(score_at(e, "s", "2022-02-01").score, P(1010));
    size_t folds = 0, bytes = 0;
    uint64_t hits = 0, before = 0;
    civic__cache_stats(e, &folds, &bytes, &hits);
    assert_int_equal(folds, 1); /* s's fold: the second question uses it */
    assert_int_equal(hits, 0);
    assert_int_equal(score_at(e, "s", "2022-02-01").score, P(1010));
    civic__cache_stats(e, &folds, &bytes, &hits);
    assert_int_equal(hits, 1);
    /* another subject's event leaves s's fold alone */
    load_ok(e, HEAD "d,t,good,2022-01-05,,,\n");
    assert_int_equal(score_at(e, "s", "2022-02-01").score, P(1010));
    civic__cache_stats(e, &folds, &bytes, &hits);
    assert_int_equal(hits, 2);
    /* a later as-of with no event in between: the same fold */
    assert_int_equal(score_at(e, "s", "2022-03-05").score, P(1005)); /* a expired */
    civic__cache_stats(e, &folds, &bytes, &before);
    assert_int_equal(before, 3);
    /* an event of s, dated before the cached as-of, changes the answer */
    load_ok(e, HEAD "e,s,fine,2022-01-25,,,\n");
    assert_int_equal(score_at(e, "s", "2022-02-01").score, P(990)); /* fine's ceiling */
    civic__cache_stats(e, &folds, &bytes, &hits);
    assert_int_equal(hits, before); /* evaluated anew */
    /* a revoke of s's event */
    load_ok(e, HEAD "f,s,revoke,2022-01-26,,e,\n");
    assert_int_equal(score_at(e, "s", "2022-02-01").score, P(1010));
    /* a failed batch leaves it as it was */
    civic_error err = CIVIC_ERROR_INIT;
    const char *bad = HEAD "g,s,fine,2022-01-27,,,\nh,s,nope,2022-01-27,,,\n";
    assert_int_not_equal(civic_engine_load(e, bad, strlen(bad), NULL, NULL, &err), CIVIC_OK);
    assert_int_equal(score_at(e, "s", "2022-02-01").score, P(1010));
    /* an event after the as-of: the same answer at T, another later */
    load_ok(e, HEAD "i,s,fine,2022-03-01,,,\n");
    assert_int_equal(score_at(e, "s", "2022-02-01").score, P(1010));
    assert_int_equal(score_at(e, "s", "2022-03-02").score, P(990));
    assert_int_equal(score_at(e, "s", "2022-04-02").score, P(1000)); /* i expired, a and b too */
    /* a purge */
    assert_int_equal(civic_engine_purge(e, when(e, "2022-01-10"), NULL, &err), CIVIC_OK);
    assert_int_equal(score_at(e, "s", "2022-03-02").score, P(990));
    civic_result *res = NULL;
    assert_int_equal(civic_engine_subject(e, "s", when(e, "2022-01-09"), &res), CIVIC_E_PURGED);
    (void)t;
    civic_engine_free(e);
    support_release();
}

static void a_recount_between_two_as_of_times_is_not_reused(void **state)
{
    (void)state;
    /* no event between the two questions: only the change's date differs */
    civic_engine *e = engine_from(SCHEMES[1]);
    civic__cache_configure(e, 1, 1u << 20);
    load_ok(e, HEAD "a,s,fine,2022-02-20,,,\n");
    assert_int_equal(score_at(e, "s", "2022-02-25").score, P(990));
    assert_int_equal(score_at(e, "s", "2022-03-05").score, P(980)); /* recounted at -20 */
    assert_int_equal(score_at(e, "s", "2022-02-28T23:59:59").score, P(990));
    civic_engine_free(e);
    support_release();
}

static void small_subjects_and_records_do_not_use_the_cache(void **state)
{
    (void)state;
    civic_engine *e = engine_from(SCHEMES[0]); /* the default: busy subjects only */
    load_ok(e, HEAD "a,s,good,2022-01-03,,,\n");
    assert_int_equal(score_at(e, "s", "2022-02-01").score, P(1005));
    size_t folds = 1, bytes = 1;
    uint64_t hits = 0;
    civic__cache_stats(e, &folds, &bytes, &hits);
    assert_int_equal(folds, 0);
    assert_int_equal(bytes, 0);
    civic__cache_configure(e, 1, 1u << 20);
    civic_record *rec = NULL;
    assert_int_equal(civic_engine_record(e, "s", when(e, "2022-02-01"), &rec), CIVIC_OK);
    civic_record_free(rec);
    civic__cache_stats(e, &folds, &bytes, &hits);
    assert_int_equal(folds, 0);
    civic_engine_free(e);
    support_release();
}

/* ------------------------------------------------------------ threads */

#define QUESTIONS 48
#define READERS 4

typedef struct question {
    char subject[8];
    int64_t t;
    char expected[2048];
} question;

typedef struct readers {
    const civic_engine *e;
    question q[QUESTIONS];
    unsigned seed;
    int failures;
} readers;

static void *reader(void *arg)
{
    readers *r = arg;
    unsigned seed = __atomic_fetch_add(&r->seed, 7u, __ATOMIC_RELAXED);
    char got[2048];
    for (int i = 0; i < 300; i++) {
        seed = seed * 1103515245u + 12345u;
        const question *q = &r->q[(seed >> 8) % QUESTIONS];
        answer(r->e, q->subject, q->t, got, sizeof got);
        if (strcmp(got, q->expected) != 0) __atomic_fetch_add(&r->failures, 1, __ATOMIC_RELAXED);
    }
    return NULL;
}

static void concurrent_readers_share_folds(void **state)
{
    (void)state;
    for (size_t k = 0; k < sizeof(SCHEMES) / sizeof(SCHEMES[0]); k++) {
        for (size_t bytes_max = 2048; bytes_max <= (1u << 24); bytes_max <<= 12) {
            world w;
            rng_state = 99 + k;
            world_new(&w, SCHEMES[k], bytes_max);
            write_batch(&w, 400, false);
            static readers r;
            memset(&r, 0, sizeof(r));
            r.e = w.cached;
            for (size_t i = 0; i < QUESTIONS; i++) {
                snprintf(r.q[i].subject, sizeof r.q[i].subject, "s%u", rng(SUBJECTS));
                r.q[i].t = random_time(&w);
                answer(w.plain, r.q[i].subject, r.q[i].t, r.q[i].expected,
                       sizeof r.q[i].expected);
            }
            pthread_t tid[READERS];
            for (int i = 0; i < READERS; i++)
                assert_int_equal(pthread_create(&tid[i], NULL, reader, &r), 0);
            for (int i = 0; i < READERS; i++) pthread_join(tid[i], NULL);
            assert_int_equal(r.failures, 0);
            world_free(&w);
        }
    }
    support_release();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(answers_are_the_same_with_and_without_the_cache),
        cmocka_unit_test(answers_are_the_same_when_folds_are_evicted),
        cmocka_unit_test(a_write_to_the_subject_changes_its_cached_answer),
        cmocka_unit_test(a_recount_between_two_as_of_times_is_not_reused),
        cmocka_unit_test(small_subjects_and_records_do_not_use_the_cache),
        cmocka_unit_test(concurrent_readers_share_folds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
