/*
** test_ids.c -- how the engine recognises event ids, through the public API
** only (docs/events.md, "Idempotency"): an id already held is a duplicate
** when the event is identical and a conflict when it is not; two different
** id strings are two events, however alike they look as numbers.
**
** Written to hold for any way of finding ids -- a hash table, or the array
** by number the engine keeps for ids that are a fixed prefix and a decimal
** number ("1", "2", ... or "e1", "e2", ...; lib/ids.h) -- it dwells on what
** such an index gets wrong:
** leading zeros, numbers past 32 and 64 bits, signs, several prefixes, ids
** in reverse and random order, sparse numbers before dense ones, batches
** rolled back, purged ids (tombstones), snapshots, journals, reserve, and
** refs resolved at query time.
**
** Every event carries fields that differ from its neighbours' (subject,
** ts, qty), so a lookup that lands on the wrong event shows as a conflict
** instead of passing as a duplicate by chance.
**
** CIVIC_TEST_UNDER_VALGRIND scales the bulk cases down.
*/
#include "support.h"

#include <unistd.h>

#define RULES                                                                    \
    TEST_SCHEME "[rule.hour]\npoints = 1\nper = \"unit\"\n"                      \
                "[rule.fine]\npoints = -10\n"                                    \
                "[rule.old]\npoints = -5\nretain = \"1y\"\naffects = \"score\"\n"

static civic_rules *rules;
static char dir[64];

static bool under_valgrind(void) { return getenv("CIVIC_TEST_UNDER_VALGRIND") != NULL; }

/* The bulk size: ~200,000 normally. */
static uint32_t big_n(void) { return under_valgrind() ? 20000u : 200000u; }

static const char *path_in(const char *name)
{
    static char p[160];
    snprintf(p, sizeof(p), "%s/%s", dir, name);
    return p;
}

static civic_engine *fresh_threads(uint32_t threads)
{
    civic_engine_options o = CIVIC_ENGINE_OPTIONS_INIT;
    o.threads = threads;
    civic_engine *e = NULL;
    assert_int_equal(civic_engine_new(&e, rules, &o), CIVIC_OK);
    return e;
}

static civic_engine *fresh(void) { return fresh_threads(1); }

static uint64_t count(const civic_engine *e) { return civic_engine_event_count(e); }

/* ------------------------------------------------------------ random order */

static uint64_t rng_state;
static uint32_t rnd(uint32_t n)
{
    rng_state = rng_state * UINT64_C(6364136223846793005) + UINT64_C(1442695040888963407);
    return (uint32_t)((rng_state >> 33) % n);
}

/* 1..n in order (0), in reverse (1) or shuffled with seed (2). */
static uint32_t *numbers(uint32_t n, int how, uint64_t seed)
{
    uint32_t *v = malloc(sizeof(uint32_t) * n);
    assert_non_null(v);
    for (uint32_t i = 0; i < n; i++) v[i] = how == 1 ? n - i : i + 1;
    if (how == 2) {
        rng_state = seed;
        for (uint32_t i = n - 1; i > 0; i--) {
            uint32_t j = rnd(i + 1), t = v[i];
            v[i] = v[j];
            v[j] = t;
        }
    }
    return v;
}

/* ------------------------------------------------------------ adds */

static int add_full(civic_engine *e, const char *id, const char *subject, const char *type,
                    const char *ts, const char *qty, const char *ref, civic_error *err)
{
    civic_event ev = CIVIC_EVENT_INIT;
    ev.id = id;
    ev.subject = subject;
    ev.type = type;
    ev.ts = ts;
    ev.qty = qty;
    ev.ref = ref;
    return civic_engine_add(e, &ev, err);
}

/* Add and compare with the expected code, naming the id on a mismatch. */
static void expect_add(civic_engine *e, const char *id, const char *subject, const char *type,
                       const char *ts, const char *qty, const char *ref, int want)
{
    civic_error err = CIVIC_ERROR_INIT;
    uint64_t before = count(e);
    int rc = add_full(e, id, subject, type, ts, qty, ref, &err);
    if (rc != want)
        fail_msg("add id \"%s\" (subject %s, ts %s, qty %s): got %d (%s), want %d (%s)", id,
                 subject, ts, qty ? qty : "-", rc, rc < 0 ? err.message : civic_strerror(rc),
                 want, civic_strerror(want));
    /* only a new event changes the count */
    assert_int_equal(count(e), before + (want == CIVIC_OK ? 1 : 0));
    if (want == CIVIC_E_CONFLICT) assert_int_equal(err.code, CIVIC_E_CONFLICT);
}

/* The numbered event i of the bulk cases: id "<prefix><i>", subject s<i % 97>,
 * ts 2024-01-01T00:00:00Z + i seconds, qty 1 + i % 5 (or `qty` when given):
 * neighbours differ in every field a duplicate is compared on. */
#define SUBJECTS 97u
static void numbered(civic_engine *e, const char *prefix, uint64_t i, const char *qty, int want)
{
    char id[48], subject[16], ts[24], q[8];
    snprintf(id, sizeof(id), "%s%llu", prefix, (unsigned long long)i);
    snprintf(subject, sizeof(subject), "s%u", (unsigned)(i % SUBJECTS));
    snprintf(ts, sizeof(ts), "%llu", (unsigned long long)(1704067200u + i % 1000000u));
    snprintf(q, sizeof(q), "%u", (unsigned)(1 + i % 5));
    expect_add(e, id, subject, "hour", ts, qty ? qty : q, NULL, want);
}

/* Every subject's score at 2025-01-01 is base + the qty of its numbered
 * events 1..n (each held once, under its own id). */
static void scores_are_the_sums(const civic_engine *e, uint32_t n)
{
    int64_t want[SUBJECTS] = { 0 };
    for (uint32_t i = 1; i <= n; i++) want[i % SUBJECTS] += 1 + i % 5;
    civic_result *res = NULL;
    assert_int_equal(civic_engine_subjects(e, when(e, "2025-01-01"), &res), CIVIC_OK);
    assert_int_equal(civic_result_count(res), n < SUBJECTS ? n : SUBJECTS);
    for (size_t r = 0; r < civic_result_count(res); r++) {
        civic_score s = CIVIC_SCORE_INIT;
        assert_int_equal(civic_result_get(res, r, &s), CIVIC_OK);
        unsigned k = (unsigned)strtoul(s.subject + 1, NULL, 10);
        assert_true(k < SUBJECTS);
        assert_int_equal(s.score, P(1000 + want[k]));
    }
    civic_result_free(res);
}

/* ------------------------------------------------------------ case 1 */

/* Ids "1".."n" in order, in reverse and shuffled; every one again
 * (duplicate), with another qty (conflict), and the ids around them. */
static void bulk_numeric_ids(civic_engine *e, int how, uint32_t n)
{
    uint32_t *order = numbers(n, how, 42 + (uint64_t)how);
    for (uint32_t k = 0; k < n; k++) numbered(e, "", order[k], NULL, CIVIC_OK);
    assert_int_equal(count(e), n);
    /* again, in another order */
    uint32_t *again = numbers(n, 2, 7 + (uint64_t)how);
    for (uint32_t k = 0; k < n; k++) numbered(e, "", again[k], NULL, CIVIC_DUPLICATE);
    assert_int_equal(count(e), n);
    /* another qty: qty 9 is never 1 + i % 5 */
    for (uint32_t k = 0; k < n; k++) numbered(e, "", order[k], "9", CIVIC_E_CONFLICT);
    assert_int_equal(count(e), n);
    /* the conflict names the field that differs: the right event was found */
    civic_error err = CIVIC_ERROR_INIT;
    assert_int_equal(add_full(e, "1", "s1", "hour", "1704067201", "2", NULL, &err),
                     CIVIC_DUPLICATE);
    assert_int_equal(add_full(e, "1", "s1", "hour", "1704067201", "3", NULL, &err),
                     CIVIC_E_CONFLICT);
    assert_non_null(strstr(err.message, "different qty"));
    assert_int_equal(add_full(e, "2", "s1", "hour", "1704067202", "3", NULL, &err),
                     CIVIC_E_CONFLICT);
    assert_non_null(strstr(err.message, "different subject"));
    scores_are_the_sums(e, n);
    free(again);
    free(order);
}

static void numeric_ids_in_order_reverse_and_shuffled(void **state)
{
    (void)state;
    uint32_t n = big_n();
    for (int how = 0; how < 3; how++) {
        civic_engine *e = fresh();
        bulk_numeric_ids(e, how, n);
        /* the neighbours of the range are new, and written another way too */
        char id[32];
        numbered(e, "", 0, NULL, CIVIC_OK);
        numbered(e, "", (uint64_t)n + 1, NULL, CIVIC_OK);
        numbered(e, "0", 1, NULL, CIVIC_OK);           /* "01" */
        numbered(e, "0", n, NULL, CIVIC_OK);           /* "0<n>" */
        numbered(e, "e", 1, NULL, CIVIC_OK);           /* "e1" */
        snprintf(id, sizeof(id), "%u", n);
        expect_add(e, id, "s9", "fine", "2020-01-01", NULL, NULL, CIVIC_E_CONFLICT);
        assert_int_equal(count(e), (uint64_t)n + 5);
        numbered(e, "0", 1, NULL, CIVIC_DUPLICATE);
        numbered(e, "", 0, NULL, CIVIC_DUPLICATE);
        civic_engine_free(e);
    }
}

/* The same through bulk loads (the pipeline, on four threads): a batch of
 * n shuffled ids, the batch again (all duplicates), a batch whose last line
 * conflicts (rolled back whole), an id twice in one batch. */
static char *numeric_csv(const uint32_t *order, uint32_t n, const char *last_line)
{
    size_t cap = 64 + (size_t)n * 48 + (last_line ? strlen(last_line) : 0), len = 0;
    char *csv = malloc(cap);
    assert_non_null(csv);
    len += (size_t)snprintf(csv, cap, "id,subject,type,ts,qty\n");
    for (uint32_t k = 0; k < n; k++) {
        uint32_t i = order[k];
        len += (size_t)snprintf(csv + len, cap - len, "%u,s%u,hour,%u,%u\n", i, i % SUBJECTS,
                                1704067200u + i % 1000000u, 1 + i % 5);
    }
    if (last_line) len += (size_t)snprintf(csv + len, cap - len, "%s", last_line);
    return csv;
}

static int load(civic_engine *e, const char *data, civic_load_report *rep, civic_error *err)
{
    return civic_engine_load(e, data, strlen(data), NULL, rep, err);
}

static void numeric_ids_through_bulk_loads(void **state)
{
    (void)state;
    uint32_t n = big_n();
    uint32_t *order = numbers(n, 2, 99);
    civic_engine *e = fresh_threads(4);
    char *csv = numeric_csv(order, n, NULL);
    civic_load_report rep = CIVIC_LOAD_REPORT_INIT;
    civic_error err = CIVIC_ERROR_INIT;
    assert_int_equal(load(e, csv, &rep, &err), CIVIC_OK);
    assert_int_equal(rep.accepted, n);
    assert_int_equal(rep.duplicates, 0);
    assert_int_equal(count(e), n);
    /* the same batch again: every line a duplicate */
    civic_load_report rep2 = CIVIC_LOAD_REPORT_INIT;
    assert_int_equal(load(e, csv, &rep2, &err), CIVIC_OK);
    assert_int_equal(rep2.accepted, 0);
    assert_int_equal(rep2.duplicates, n);
    assert_int_equal(count(e), n);
    free(csv);
    /* reversed, with a new id and then a conflict with an id held */
    uint32_t *rev = numbers(n, 1, 0);
    char last[96];
    snprintf(last, sizeof(last), "%u,s1,hour,1704067200,1\n1,s1,hour,1704067201,4\n", n + 1);
    csv = numeric_csv(rev, n, last);
    civic_load_report rep3 = CIVIC_LOAD_REPORT_INIT;
    assert_int_equal(load(e, csv, &rep3, &err), CIVIC_E_CONFLICT);
    assert_int_equal(err.line, (uint64_t)n + 3);
    assert_non_null(strstr(err.message, "different qty"));
    assert_int_equal(count(e), n);
    free(csv);
    /* n + 1 was in the failed batch only: new */
    numbered(e, "", (uint64_t)n + 1, NULL, CIVIC_OK);
    /* an id twice in one batch: once new, once a duplicate */
    snprintf(last, sizeof(last), "id,subject,type,ts,qty\n%u,s0,hour,1,1\n%u,s0,hour,1,1.000\n",
             n + 7, n + 7);
    civic_load_report rep4 = CIVIC_LOAD_REPORT_INIT;
    assert_int_equal(load(e, last, &rep4, &err), CIVIC_OK);
    assert_int_equal(rep4.accepted, 1);
    assert_int_equal(rep4.duplicates, 1);
    /* and every id of the loads is held, found by an add */
    for (uint32_t k = 0; k < n; k += under_valgrind() ? 7 : 1)
        numbered(e, "", order[k], NULL, CIVIC_DUPLICATE);
    assert_int_equal(count(e), (uint64_t)n + 2);
    civic_engine_free(e);
    free(rev);
    free(order);
}

/* ------------------------------------------------------------ case 2 */

/* Ids that read as the same number (or as numbers at all) but are other
 * strings.  Filled by tricky_ids(), with the 128-byte ones built there. */
static const char *const tricky_fixed[] = {
    "7", "07", "007", "0007", "e7", "E7", "e07", "e007", "7 ", " 7", "+7", "-7", "7.0", "0x7",
    "\xef\xbc\x97", /* U+FF17 FULLWIDTH DIGIT SEVEN */
    "0", "00", "000", "-0", "+0", "-1", "+1", "1", "01", "-01", "10", "1e1", "1.0",
    "2147483647", "2147483648", "4294967295", "4294967296", "4294967297",
    "4294967303",                   /* 2^32 + 7 */
    "1099511627776", "1099511627783", /* 2^40, 2^40 + 7 */
    "9223372036854775807", "9223372036854775808", "-9223372036854775808",
    "18446744073709551615",         /* 2^64 - 1 */
    "18446744073709551616",         /* 2^64: 0 when wrapped */
    "18446744073709551617",         /* 2^64 + 1: 1 when wrapped */
    "18446744073709551623",         /* 2^64 + 7: 7 when wrapped */
    "036893488147419103232",        /* 2^65 with a leading zero */
    "36893488147419103232",         /* 2^65: 0 when wrapped */
    "99999999999999999999",         /* 20 digits */
    "1234567890123456789",          /* 19 digits */
    "999999999999999999",           /* 18 digits */
    "1000000000000000000",          /* 19 digits, 10^18 */
    "10000000000000000000",         /* 20 digits, 10^19 */
    "100000000000000000007",        /* 21 digits */
    "e18446744073709551616", "e0", "e00", "e", "E",
};
#define TRICKY_MAX 80
static char tricky_built[6][CIVIC_ID_BYTES_MAX + 1];
static const char *tricky[TRICKY_MAX];

static size_t tricky_ids(void)
{
    size_t n = 0;
    for (size_t i = 0; i < sizeof(tricky_fixed) / sizeof(tricky_fixed[0]); i++)
        tricky[n++] = tricky_fixed[i];
    char *b = tricky_built[0];
    memset(b, '1', 128); /* 128 ones */
    b[128] = '\0';
    b = tricky_built[1];
    memset(b, '1', 127); /* 127 ones */
    b[127] = '\0';
    b = tricky_built[2];
    memset(b, '0', 128); /* 128 zeros */
    b[128] = '\0';
    b = tricky_built[3];
    memset(b, '0', 127); /* 127 zeros and a 7 */
    b[127] = '7';
    b[128] = '\0';
    b = tricky_built[4];
    b[0] = 'e';          /* e, 126 zeros, 7 */
    memset(b + 1, '0', 126);
    b[127] = '7';
    b[128] = '\0';
    b = tricky_built[5];
    memset(b, '9', 128); /* 128 nines */
    b[128] = '\0';
    for (size_t i = 0; i < 6; i++) tricky[n++] = tricky_built[i];
    assert_true(n <= TRICKY_MAX);
    /* all different strings (the test's own premise) */
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++) assert_string_not_equal(tricky[i], tricky[j]);
    return n;
}

/* Whether id is "<prefix><v>" with v a plain decimal (no sign, no leading
 * zero) in 1..hi: the id of numbered event v, which a test holding both
 * must not add as a tricky one too. */
static bool plain_in(const char *id, const char *prefix, uint64_t hi)
{
    size_t p = strlen(prefix), digits = strlen(id) - (strncmp(id, prefix, p) == 0 ? p : 0);
    if (strncmp(id, prefix, p) != 0 || digits == 0 || digits > 19 || id[p] == '0' ||
        strspn(id + p, "0123456789") != digits)
        return false;
    uint64_t v = strtoull(id + p, NULL, 10);
    return v >= 1 && v <= hi;
}

/* Tricky id k: subject "t", ts 2024-01-01 + k seconds, qty 1 (or `qty`). */
static void tricky_add(civic_engine *e, size_t k, const char *qty, int want)
{
    char ts[24];
    snprintf(ts, sizeof(ts), "%llu", (unsigned long long)(1704067200u + k));
    expect_add(e, tricky[k], "t", "hour", ts, qty ? qty : "1", NULL, want);
}

/* The record of "t" lists each of the n ids exactly once, and t's score
 * counts each. */
static void record_lists_each_once(const civic_engine *e, size_t n)
{
    civic_record *rec = NULL;
    assert_int_equal(civic_engine_record(e, "t", when(e, "2025-01-01"), &rec), CIVIC_OK);
    assert_int_equal(civic_record_count(rec), n);
    bool seen[TRICKY_MAX] = { false };
    for (size_t i = 0; i < civic_record_count(rec); i++) {
        civic_entry x = CIVIC_ENTRY_INIT;
        assert_int_equal(civic_record_entry(rec, i, &x), CIVIC_OK);
        size_t k = 0;
        while (k < n && strcmp(tricky[k], x.id) != 0) k++;
        if (k == n) fail_msg("record lists an id that was never added: \"%s\"", x.id);
        assert_false(seen[k]);
        seen[k] = true;
        assert_int_equal(x.state, CIVIC_STATE_ACTIVE);
        assert_int_equal(x.ts, (int64_t)(1704067200 + k)); /* its own event's fields */
    }
    civic_score s = CIVIC_SCORE_INIT;
    assert_int_equal(civic_record_summary(rec, &s), CIVIC_OK);
    assert_int_equal(s.score, P(1000 + (int64_t)n));
    assert_int_equal(s.events, n);
    civic_record_free(rec);
}

static void ids_that_look_numeric_are_distinct_strings(void **state)
{
    (void)state;
    size_t n = tricky_ids();
    /* all in one engine, first to last and last to first */
    for (int reverse = 0; reverse < 2; reverse++) {
        civic_engine *e = fresh();
        for (size_t i = 0; i < n; i++) tricky_add(e, reverse ? n - 1 - i : i, NULL, CIVIC_OK);
        assert_int_equal(count(e), n);
        for (size_t i = 0; i < n; i++) tricky_add(e, i, NULL, CIVIC_DUPLICATE);
        for (size_t i = 0; i < n; i++) tricky_add(e, i, "2", CIVIC_E_CONFLICT);
        assert_int_equal(count(e), n);
        record_lists_each_once(e, n);
        civic_engine_free(e);
    }
    /* every ordered pair: b after a is new, whatever a is, even with other
     * fields than a's (neither a duplicate nor a conflict of a) */
    for (size_t a = 0; a < n; a++) {
        civic_engine *e = fresh();
        tricky_add(e, a, NULL, CIVIC_OK);
        for (size_t b = 0; b < n; b++) {
            if (b == a) continue;
            expect_add(e, tricky[b], "t", "hour", "1704067200", "3", NULL, CIVIC_OK);
        }
        tricky_add(e, a, NULL, CIVIC_DUPLICATE);
        tricky_add(e, a, "2", CIVIC_E_CONFLICT);
        assert_int_equal(count(e), n);
        civic_engine_free(e);
    }
    /* "07" is no duplicate of "7", nor "7" of "07": spelled out */
    civic_engine *e = fresh();
    expect_add(e, "7", "t", "hour", "2024-01-01", NULL, NULL, CIVIC_OK);
    expect_add(e, "07", "t", "hour", "2024-01-01", NULL, NULL, CIVIC_OK);
    civic_engine_free(e);
    e = fresh();
    expect_add(e, "07", "t", "hour", "2024-01-01", NULL, NULL, CIVIC_OK);
    expect_add(e, "7", "t", "hour", "2024-01-01", NULL, NULL, CIVIC_OK);
    civic_engine_free(e);
    /* 129 digits is past the id limit: refused, never cut to 128 (which is held) */
    e = fresh();
    tricky_add(e, n - 6, NULL, CIVIC_OK); /* 128 ones */
    char long_id[CIVIC_ID_BYTES_MAX + 2];
    memset(long_id, '1', CIVIC_ID_BYTES_MAX + 1);
    long_id[CIVIC_ID_BYTES_MAX + 1] = '\0';
    expect_add(e, long_id, "t", "hour", "1704067200", NULL, NULL, CIVIC_E_LIMIT);
    civic_engine_free(e);
}

/* The same ids through CSV (quoted, so blanks stay) and JSON Lines, whose
 * escapes decode to the same text: a decoded id is the id. */
static void tricky_ids_through_csv_and_jsonl(void **state)
{
    (void)state;
    size_t n = tricky_ids();
    size_t cap = 64 + n * 200, len = 0;
    char *csv = malloc(cap);
    assert_non_null(csv);
    len += (size_t)snprintf(csv, cap, "id,subject,type,ts,qty\n");
    for (size_t k = n; k-- > 0;)
        len += (size_t)snprintf(csv + len, cap - len, "\"%s\",t,hour,%llu,1\n", tricky[k],
                                (unsigned long long)(1704067200u + k));
    civic_engine *e = fresh_threads(2);
    civic_load_report rep = CIVIC_LOAD_REPORT_INIT;
    civic_error err = CIVIC_ERROR_INIT;
    assert_int_equal(load(e, csv, &rep, &err), CIVIC_OK);
    assert_int_equal(rep.accepted, n);
    civic_load_report rep2 = CIVIC_LOAD_REPORT_INIT;
    assert_int_equal(load(e, csv, &rep2, &err), CIVIC_OK);
    assert_int_equal(rep2.accepted, 0);
    assert_int_equal(rep2.duplicates, n);
    for (size_t k = 0; k < n; k++) tricky_add(e, k, NULL, CIVIC_DUPLICATE);
    record_lists_each_once(e, n);
    free(csv);
    /* JSON escapes: "\u0037" is "7", "0\u0037" is "07", "\u0030\u0030\u0037" is
     * "007", "\uff17" the fullwidth seven: all held already */
    const char *jl =
        "{\"id\":\"\\u0037\",\"subject\":\"t\",\"type\":\"hour\",\"ts\":1704067200,\"qty\":1}\n"
        "{\"id\":\"0\\u0037\",\"subject\":\"t\",\"type\":\"hour\",\"ts\":1704067201,\"qty\":1}\n"
        "{\"id\":\"\\u0030\\u0030\\u0037\",\"subject\":\"t\",\"type\":\"hour\",\"ts\":1704067202,"
        "\"qty\":1}\n"
        "{\"id\":\"\\uff17\",\"subject\":\"t\",\"type\":\"hour\",\"ts\":1704067214,\"qty\":1}\n";
    assert_string_equal(tricky[0], "7");
    assert_string_equal(tricky[1], "07");
    assert_string_equal(tricky[2], "007");
    assert_string_equal(tricky[14], "\xef\xbc\x97");
    civic_load_report rep3 = CIVIC_LOAD_REPORT_INIT;
    int rc = load(e, jl, &rep3, &err);
    if (rc != CIVIC_OK) fail_msg("jsonl: %s", err.message);
    assert_int_equal(rep3.accepted, 0);
    assert_int_equal(rep3.duplicates, 4);
    /* "\u0030\u0037" with 007's fields: "07" held with other fields */
    const char *bad =
        "{\"id\":\"\\u0030\\u0037\",\"subject\":\"t\",\"type\":\"hour\",\"ts\":1704067202}\n";
    assert_int_equal(load(e, bad, NULL, &err), CIVIC_E_CONFLICT);
    assert_non_null(strstr(err.message, "different ts"));
    assert_int_equal(count(e), n);
    civic_engine_free(e);
}

/* ------------------------------------------------------------ case 3 */

/* Several prefixes interleaved, and ids whose "number" has prefixes of
 * its own: every form k of number u is its own event. */
#define FORMS 9
static void form_id(char *id, size_t size, int form, uint32_t u)
{
    switch (form) {
    case 0: snprintf(id, size, "e%u", u); break;
    case 1: snprintf(id, size, "x%u", u); break;
    case 2: snprintf(id, size, "%u", u); break;
    case 3: snprintf(id, size, "ee%u", u); break;
    case 4: snprintf(id, size, "E%u", u); break;
    case 5: snprintf(id, size, "e0%u", u); break;   /* a leading zero after the prefix */
    case 6: snprintf(id, size, "r%05u", u); break;  /* zero-padded, like r0001 */
    case 7: snprintf(id, size, "r%u", u); break;
    default: snprintf(id, size, "v2-%u", u); break; /* a prefix ending in a digit */
    }
}

static const char *const prefix_fixed[] = {
    "e", "x", "ee", "E", "r", "v2-", "e1e1", "1e1", "e-1", "e+1", "e 1", "-", "+", "e1.5", "1e",
};
#define PREFIX_FIXED (sizeof(prefix_fixed) / sizeof(prefix_fixed[0]))

static void form_add(civic_engine *e, int form, uint32_t u, const char *qty, int want)
{
    char id[32], subject[16], ts[24];
    form_id(id, sizeof(id), form, u);
    snprintf(subject, sizeof(subject), "f%d", form);
    snprintf(ts, sizeof(ts), "%u", 1704067200u + u * 16u + (uint32_t)form);
    expect_add(e, id, subject, "hour", ts, qty ? qty : "1", NULL, want);
}

static void all_forms_counted(const civic_engine *e, uint32_t m)
{
    for (int f = 0; f < FORMS; f++) {
        char subject[16];
        snprintf(subject, sizeof(subject), "f%d", f);
        civic_score s = score_at(e, subject, "2025-01-01");
        assert_int_equal(s.events, m);
        assert_int_equal(s.score, P(1000 + (int64_t)m));
    }
    civic_score s = score_at(e, "fixed", "2025-01-01");
    assert_int_equal(s.events, PREFIX_FIXED);
    support_release();
}

static void mixed_prefixes_are_distinct(void **state)
{
    (void)state;
    /* r%05u needs u < 10000 to carry a leading zero */
    uint32_t m = under_valgrind() ? 500u : 3000u;
    civic_engine *e = fresh();
    for (uint32_t u = 1; u <= m; u++)
        for (int f = 0; f < FORMS; f++) form_add(e, f, u, NULL, CIVIC_OK);
    for (size_t i = 0; i < PREFIX_FIXED; i++)
        expect_add(e, prefix_fixed[i], "fixed", "hour", "2024-06-01", NULL, NULL, CIVIC_OK);
    assert_int_equal(count(e), (uint64_t)m * FORMS + PREFIX_FIXED);
    /* again, form by form, numbers downwards */
    for (int f = FORMS; f-- > 0;)
        for (uint32_t u = m; u >= 1; u--) form_add(e, f, u, NULL, CIVIC_DUPLICATE);
    for (size_t i = 0; i < PREFIX_FIXED; i++)
        expect_add(e, prefix_fixed[i], "fixed", "hour", "2024-06-01", NULL, NULL,
                   CIVIC_DUPLICATE);
    for (uint32_t u = 1; u <= m; u += 3)
        for (int f = 0; f < FORMS; f++) form_add(e, f, u, "2", CIVIC_E_CONFLICT);
    for (size_t i = 0; i < PREFIX_FIXED; i++)
        expect_add(e, prefix_fixed[i], "fixed", "hour", "2024-06-01", "2", NULL,
                   CIVIC_E_CONFLICT);
    assert_int_equal(count(e), (uint64_t)m * FORMS + PREFIX_FIXED);
    all_forms_counted(e, m);
    /* the numbers just past each form's range are new */
    for (int f = 0; f < FORMS; f++) form_add(e, f, m + 1, NULL, CIVIC_OK);
    for (int f = 0; f < FORMS; f++) form_add(e, f, 0, NULL, CIVIC_OK);
    civic_engine_free(e);

    /* the prefix changes in runs: e, then bare numbers, then e again, x,
     * bare numbers again, then the ids of every run once more */
    e = fresh();
    uint32_t run = m / 3;
    struct { int form; uint32_t from; } runs[] = {
        { 0, 1 }, { 2, 1 }, { 0, run + 1 }, { 1, 1 }, { 2, run + 1 }, { 3, 1 }, { 0, 2 * run + 1 },
    };
    size_t nruns = sizeof(runs) / sizeof(runs[0]);
    for (size_t r = 0; r < nruns; r++)
        for (uint32_t u = runs[r].from; u < runs[r].from + run; u++)
            form_add(e, runs[r].form, u, NULL, CIVIC_OK);
    assert_int_equal(count(e), (uint64_t)run * nruns);
    for (size_t r = nruns; r-- > 0;)
        for (uint32_t u = runs[r].from; u < runs[r].from + run; u++)
            form_add(e, runs[r].form, u, NULL, CIVIC_DUPLICATE);
    /* x and ee saw only 1..run; e saw 1..3 run; bare numbers 1..2 run */
    form_add(e, 1, run + 1, NULL, CIVIC_OK);
    form_add(e, 3, run + 1, NULL, CIVIC_OK);
    form_add(e, 0, 3 * run + 1, NULL, CIVIC_OK);
    form_add(e, 2, 2 * run + 1, NULL, CIVIC_OK);
    form_add(e, 2, 2 * run, NULL, CIVIC_DUPLICATE);
    civic_engine_free(e);
}

/* Whatever id comes first, and however long the prefix of a numbered log
 * (a 14-, 15- and 16-byte prefix, one with digits and dashes), the ids of
 * one prefix and of its neighbours stay apart. */
static void long_and_odd_prefixes(void **state)
{
    (void)state;
    static const char *const prefixes[] = {
        "abcdefghijklmn", "abcdefghijklmno", "abcdefghijklmnop", "order-2024-", "e", "",
        "x y ", "\xc3\xa9", "-", "0.",
    };
    const size_t np = sizeof(prefixes) / sizeof(prefixes[0]);
    const uint32_t m = under_valgrind() ? 300u : 2000u;
    for (size_t first = 0; first < np; first++) {
        civic_engine *e = fresh();
        /* prefix `first` numbered first, then the others interleaved, in
         * an order that is neither up nor down */
        uint32_t *order = numbers(m, 2, first + 1);
        for (size_t q = 0; q < np; q++) {
            size_t p = (first + q) % np;
            for (uint32_t k = 0; k < m; k++) numbered(e, prefixes[p], order[k], NULL, CIVIC_OK);
            if (q == 0) numbered(e, prefixes[p], 0, NULL, CIVIC_OK);
        }
        assert_int_equal(count(e), (uint64_t)m * np + 1);
        for (size_t p = 0; p < np; p++)
            for (uint32_t i = 1; i <= m; i++) numbered(e, prefixes[p], i, NULL, CIVIC_DUPLICATE);
        for (size_t p = 0; p < np; p++) {
            numbered(e, prefixes[p], m / 2, "9", CIVIC_E_CONFLICT);
            numbered(e, prefixes[p], (uint64_t)m + 1, NULL, CIVIC_OK);
            char zero[24]; /* the prefix and a leading zero */
            snprintf(zero, sizeof(zero), "%s0", prefixes[p]);
            numbered(e, zero, 1, NULL, CIVIC_OK);
        }
        numbered(e, prefixes[first], 0, NULL, CIVIC_DUPLICATE);
        assert_int_equal(count(e), (uint64_t)(m + 2) * np + 1);
        free(order);
        civic_engine_free(e);
    }
}

/* A numbered log far from zero: 18-digit numbers (the largest below
 * 10^18) downwards, then 19- and 20-digit ones, then small ones. */
static void numbers_near_the_top(void **state)
{
    (void)state;
    const uint32_t m = under_valgrind() ? 2000u : 20000u;
    const uint64_t top = UINT64_C(999999999999999999);
    civic_engine *e = fresh();
    for (uint32_t k = 0; k < m; k++) numbered(e, "", top - k, NULL, CIVIC_OK);
    numbered(e, "", top + 1, NULL, CIVIC_OK);                          /* 10^18: 19 digits */
    numbered(e, "", top + 2, NULL, CIVIC_OK);
    numbered(e, "", UINT64_C(10000000000000000000), NULL, CIVIC_OK);   /* 20 digits */
    numbered(e, "", UINT64_C(18446744073709551615), NULL, CIVIC_OK);
    for (uint32_t i = 0; i <= 100; i++) numbered(e, "", i, NULL, CIVIC_OK);
    numbered(e, "", top - m, NULL, CIVIC_OK);
    numbered(e, "", top - 2 * (uint64_t)m, NULL, CIVIC_OK);
    numbered(e, "", UINT64_C(99999999999999999), NULL, CIVIC_OK);      /* 17 nines */
    assert_int_equal(count(e), (uint64_t)m + 4 + 101 + 3);
    for (uint32_t k = 0; k < m; k++) numbered(e, "", top - k, NULL, CIVIC_DUPLICATE);
    for (uint32_t k = 0; k < m; k += 7) numbered(e, "", top - k, "9", CIVIC_E_CONFLICT);
    for (uint32_t i = 0; i <= 100; i++) numbered(e, "", i, NULL, CIVIC_DUPLICATE);
    numbered(e, "", top + 1, NULL, CIVIC_DUPLICATE);
    numbered(e, "", top + 2, NULL, CIVIC_DUPLICATE);
    numbered(e, "", top + 3, NULL, CIVIC_OK);
    numbered(e, "", UINT64_C(10000000000000000000), NULL, CIVIC_DUPLICATE);
    numbered(e, "", UINT64_C(18446744073709551615), NULL, CIVIC_DUPLICATE);
    numbered(e, "", UINT64_C(99999999999999999), NULL, CIVIC_DUPLICATE);
    numbered(e, "0", top, NULL, CIVIC_OK);                             /* "0999...9" */
    civic_engine_free(e);
}

/* ------------------------------------------------------------ case 4 */

static void sparse_then_dense(void **state)
{
    (void)state;
    uint32_t dense = under_valgrind() ? 10000u : 100000u;
    civic_engine *e = fresh();
    const uint64_t sparse[] = { 1, 1000000000, 5, 2000000 };
    for (size_t i = 0; i < 4; i++) numbered(e, "", sparse[i], NULL, CIVIC_OK);
    /* 2..dense in order: 5 is held already (a duplicate), the rest are new */
    for (uint32_t i = 2; i <= dense; i++) numbered(e, "", i, NULL, i == 5 ? CIVIC_DUPLICATE : CIVIC_OK);
    assert_int_equal(count(e), (uint64_t)dense + 2);
    numbered(e, "", 1000000000, NULL, CIVIC_DUPLICATE);
    numbered(e, "", 2000000, NULL, CIVIC_DUPLICATE);
    numbered(e, "", 1000000000, "9", CIVIC_E_CONFLICT);
    numbered(e, "", 999999999, NULL, CIVIC_OK);
    numbered(e, "", 1000000001, NULL, CIVIC_OK);
    numbered(e, "", 1999999, NULL, CIVIC_OK);
    numbered(e, "", (uint64_t)dense + 1, NULL, CIVIC_OK);
    /* the sparse ones wrapped at 32 bits are other numbers */
    numbered(e, "", UINT64_C(4294967297), NULL, CIVIC_OK);  /* 2^32 + 1 */
    numbered(e, "", UINT64_C(5000000000), NULL, CIVIC_OK);  /* 705032704 at 32 bits */
    numbered(e, "", 705032704, NULL, CIVIC_OK);
    for (uint32_t i = 1; i <= dense; i++) numbered(e, "", i, NULL, CIVIC_DUPLICATE);
    assert_int_equal(count(e), (uint64_t)dense + 9);
    civic_engine_free(e);

    /* and the other way round: dense first, then far above and below */
    e = fresh();
    for (uint32_t i = dense; i >= 1; i--) numbered(e, "", i, NULL, CIVIC_OK);
    numbered(e, "", UINT64_C(18446744073709551615), NULL, CIVIC_OK);
    numbered(e, "", 0, NULL, CIVIC_OK);
    numbered(e, "", UINT64_C(4294967296), NULL, CIVIC_OK);
    for (uint32_t i = 1; i <= dense; i += 13) numbered(e, "", i, NULL, CIVIC_DUPLICATE);
    numbered(e, "", UINT64_C(18446744073709551615), NULL, CIVIC_DUPLICATE);
    numbered(e, "", UINT64_C(4294967296), NULL, CIVIC_DUPLICATE);
    numbered(e, "", 0, NULL, CIVIC_DUPLICATE);
    assert_int_equal(count(e), (uint64_t)dense + 3);
    civic_engine_free(e);
}

/* ------------------------------------------------------------ case 5 */

static int stop_at_first(void *payload, const civic_error *err)
{
    (void)payload;
    (void)err;
    return 1;
}

/* A strict load that fails at its last line keeps nothing of the batch:
 * its ids are new afterwards; the ids held before stay duplicates. */
static void failed_loads_forget_their_ids(void **state)
{
    (void)state;
    const uint32_t held = 1000, batch = under_valgrind() ? 5000u : 50000u;
    for (int threads = 1; threads <= 4; threads += 3) {
        civic_engine *e = fresh_threads((uint32_t)threads);
        uint32_t *order = numbers(held, 2, 5);
        char *csv = numeric_csv(order, held, NULL);
        load_ok(e, csv);
        free(csv);
        free(order);
        assert_int_equal(count(e), held);
        /* ids held+1 .. held+batch (given as numbers(batch) + held) */
        uint32_t *ids = numbers(batch, 2, 11);
        for (uint32_t k = 0; k < batch; k++) ids[k] += held;
        const char *tails[] = {
            /* a conflict with an id earlier in the same load */
            NULL,
            /* a bad timestamp on a new id */
            "9999999,s1,hour,2024-13-01,1\n",
            /* a duplicate of an id held, then a conflict with it */
            "5,s5,hour,1704067205,1\n5,s5,hour,1704067205,2\n",
            /* a conflict with an id held */
            "7,s8,hour,1704067207,3\n",
        };
        const int codes[] = { CIVIC_E_CONFLICT, CIVIC_E_EVENT, CIVIC_E_CONFLICT, CIVIC_E_CONFLICT };
        for (size_t t = 0; t < 4; t++) {
            char tail[96];
            if (!tails[t]) /* ids[batch / 2] again with another qty */
                snprintf(tail, sizeof(tail), "%u,s%u,hour,%u,9\n", ids[batch / 2],
                         ids[batch / 2] % SUBJECTS, 1704067200u + ids[batch / 2]);
            else snprintf(tail, sizeof(tail), "%s", tails[t]);
            csv = numeric_csv(ids, batch, tail);
            civic_load_report rep = CIVIC_LOAD_REPORT_INIT;
            civic_error err = CIVIC_ERROR_INIT;
            int rc = load(e, csv, &rep, &err);
            if (rc != codes[t]) fail_msg("tail %zu: got %d (%s)", t, rc, err.message);
            assert_int_equal(rep.accepted, 0);
            assert_int_equal(count(e), held);
            free(csv);
        }
        /* every id of the failed loads is new; the held ones are duplicates */
        for (uint32_t i = held + 1; i <= held + batch; i += under_valgrind() ? 5 : 1)
            numbered(e, "", i, "9", CIVIC_OK); /* another qty than any failed line's */
        numbered(e, "", 9999999, NULL, CIVIC_OK);
        for (uint32_t i = 1; i <= held; i++) numbered(e, "", i, NULL, CIVIC_DUPLICATE);
        numbered(e, "", 5, "2", CIVIC_E_CONFLICT); /* 5 keeps its own qty */
        numbered(e, "", 7, "9", CIVIC_E_CONFLICT);
        free(ids);
        civic_engine_free(e);
    }

    /* the first batch of an empty engine fails: afterwards nothing is held;
     * numbers far away, then every number of the failed batch, are new */
    for (int threads = 1; threads <= 4; threads += 3) {
        civic_engine *e = fresh_threads((uint32_t)threads);
        uint32_t *ids = numbers(batch, 0, 0);
        char *csv = numeric_csv(ids, batch, "1,s1,hour,1704067201,5\n");
        civic_error err = CIVIC_ERROR_INIT;
        assert_int_equal(load(e, csv, NULL, &err), CIVIC_E_CONFLICT);
        assert_int_equal(err.line, (uint64_t)batch + 2);
        assert_int_equal(count(e), 0);
        for (uint32_t i = 1000000; i < 1000000 + 3000; i++) numbered(e, "", i, NULL, CIVIC_OK);
        uint32_t step = under_valgrind() ? 3 : 1, again = 0;
        for (uint32_t i = 1; i <= batch; i += step, again++) numbered(e, "", i, "9", CIVIC_OK);
        assert_int_equal(count(e), 3000 + (uint64_t)again);
        /* the batch now conflicts at its first line: 1 is held with qty 9 */
        free(csv);
        csv = numeric_csv(ids, batch, NULL);
        assert_int_equal(load(e, csv, NULL, &err), CIVIC_E_CONFLICT);
        assert_int_equal(err.line, 2);
        civic_engine_free(e);

        /* a batch held whole, then again with a bad last line, then without */
        e = fresh_threads((uint32_t)threads);
        civic_load_report rep = CIVIC_LOAD_REPORT_INIT;
        assert_int_equal(load(e, csv, &rep, &err), CIVIC_OK);
        assert_int_equal(rep.accepted, batch);
        free(csv);
        csv = numeric_csv(ids, batch, "0,s0,hour,2024-13-01,1\n");
        assert_int_equal(load(e, csv, NULL, &err), CIVIC_E_EVENT);
        assert_int_equal(count(e), batch);
        civic_load_report rep2 = CIVIC_LOAD_REPORT_INIT;
        csv[strlen(csv) - strlen("0,s0,hour,2024-13-01,1\n")] = '\0';
        assert_int_equal(load(e, csv, &rep2, &err), CIVIC_OK);
        assert_int_equal(rep2.duplicates, batch);
        numbered(e, "", 0, NULL, CIVIC_OK);
        free(csv);
        free(ids);
        civic_engine_free(e);
    }

    /* the same with ids of two prefixes and the same batch loaded again
     * without its bad line: every line accepted as new */
    civic_engine *e = fresh();
    load_ok(e, "id,subject,type,ts\ne1,s,fine,2024-01-01\n1,s,fine,2024-01-02\n");
    const char *bad = "id,subject,type,ts\ne2,s,fine,2024-01-03\n2,s,fine,2024-01-04\n"
                      "e1,s,fine,2024-01-01\n1,s,fine,2024-01-02\n"
                      "02,s,fine,2024-01-05\n2,t,fine,2024-01-04\n";
    civic_error err = CIVIC_ERROR_INIT;
    assert_int_equal(load(e, bad, NULL, &err), CIVIC_E_CONFLICT);
    assert_int_equal(err.line, 7);
    assert_non_null(strstr(err.message, "different subject"));
    assert_int_equal(count(e), 2);
    civic_load_report rep = CIVIC_LOAD_REPORT_INIT;
    const char *good = "id,subject,type,ts\ne2,s,fine,2024-01-03\n2,s,fine,2024-01-04\n"
                       "e1,s,fine,2024-01-01\n1,s,fine,2024-01-02\n02,s,fine,2024-01-05\n";
    assert_int_equal(load(e, good, &rep, &err), CIVIC_OK);
    assert_int_equal(rep.accepted, 3);
    assert_int_equal(rep.duplicates, 2);
    assert_int_equal(score_at(e, "s", "2024-02-01").score, P(950));
    support_release();
    /* lenient: the good lines are applied, the bad ones leave no id behind */
    civic_load_options opts = CIVIC_LOAD_OPTIONS_INIT;
    opts.flags = CIVIC_LOAD_LENIENT;
    reject_log log = { { 0 }, 0, "" };
    opts.on_reject = log_reject;
    opts.payload = &log;
    const char *lenient = "id,subject,type,ts\n3,s,fine,2024-01-06\n4,s,fine,2024-13-01\n"
                          "5,s,fine,2024-01-07\n2,t,fine,2024-01-04\n6,s,fine,2024-01-08\n";
    civic_load_report rep2 = CIVIC_LOAD_REPORT_INIT;
    assert_int_equal(civic_engine_load(e, lenient, strlen(lenient), &opts, &rep2, &err), CIVIC_OK);
    /* lenient: 3, 5 and 6 applied; 4 (bad ts) and 2 (conflict) skipped */
    assert_int_equal(rep2.accepted, 3);
    assert_int_equal(rep2.rejected, 2);
    assert_int_equal(log.count, 2);
    assert_int_equal(count(e), 8);
    expect_add(e, "4", "s", "fine", "2024-01-09", NULL, NULL, CIVIC_OK);
    expect_add(e, "3", "s", "fine", "2024-01-06", NULL, NULL, CIVIC_DUPLICATE);
    expect_add(e, "2", "s", "fine", "2024-01-04", NULL, NULL, CIVIC_DUPLICATE);
    /* a lenient load its callback stops is undone whole */
    opts.on_reject = stop_at_first;
    const char *stopped = "id,subject,type,ts\n7,s,fine,2024-01-10\n8,s,fine,2024-13-01\n";
    assert_int_equal(civic_engine_load(e, stopped, strlen(stopped), &opts, NULL, &err),
                     CIVIC_E_USER);
    assert_int_equal(count(e), 9);
    expect_add(e, "7", "s", "fine", "2024-01-11", NULL, NULL, CIVIC_OK);
    civic_engine_free(e);
}

/* An add refused for any reason holds nothing: its id is new afterwards;
 * at the engine's limit a held id is still a duplicate, not a limit. */
static void refused_adds_and_the_event_limit(void **state)
{
    (void)state;
    civic_engine *e = fresh();
    expect_add(e, "12", "s", "hour", "2024-02-30", NULL, NULL, CIVIC_E_EVENT);
    expect_add(e, "12", "s", "nope", "2024-01-01", NULL, NULL, CIVIC_E_EVENT);
    expect_add(e, "12", "s", "revoke", "2024-01-01", NULL, NULL, CIVIC_E_EVENT); /* no ref */
    expect_add(e, "12", "s", "hour", "2024-01-01", "1.2345", NULL, CIVIC_E_EVENT);
    expect_add(e, "12", "s", "hour", "2024-01-01", NULL, NULL, CIVIC_OK);
    expect_add(e, "12", "s", "hour", "2024-01-01", "1.000", NULL, CIVIC_DUPLICATE);
    civic_engine_free(e);

    civic_engine_options o = CIVIC_ENGINE_OPTIONS_INIT;
    o.threads = 1;
    o.events_max = 1000;
    assert_int_equal(civic_engine_new(&e, rules, &o), CIVIC_OK);
    for (uint32_t i = 1000; i >= 1; i--) numbered(e, "", i, NULL, CIVIC_OK);
    numbered(e, "", 1001, NULL, CIVIC_E_LIMIT);
    numbered(e, "", 0, NULL, CIVIC_E_LIMIT);
    numbered(e, "0", 1, NULL, CIVIC_E_LIMIT);
    /* identical: nothing would change, so a duplicate even at the limit */
    for (uint32_t i = 1; i <= 1000; i++) numbered(e, "", i, NULL, CIVIC_DUPLICATE);
    numbered(e, "", 500, "9", CIVIC_E_CONFLICT);
    assert_int_equal(count(e), 1000);
    scores_are_the_sums(e, 1000);
    civic_engine_free(e);
}

/* ------------------------------------------------------------ case 6 */

/* Ids a purge removed stay known: an event with one is a duplicate from
 * then on (civic_engine_purge), also through a snapshot. */
static void purged_ids_stay_known(void **state)
{
    (void)state;
    const uint32_t old = under_valgrind() ? 300u : 3000u;
    civic_engine *e = fresh();
    char id[32], subject[16], ts[24];
    for (uint32_t i = 1; i <= old; i++) {
        snprintf(id, sizeof(id), "%u", i);
        snprintf(subject, sizeof(subject), "p%u", i % 7);
        snprintf(ts, sizeof(ts), "%u", 1420070400u + i); /* 2015-01-01Z + i s */
        expect_add(e, id, subject, "old", ts, NULL, NULL, CIVIC_OK);
    }
    for (uint32_t i = 1; i <= 50; i++) {
        snprintf(id, sizeof(id), "k%u", i);
        snprintf(ts, sizeof(ts), "%u", 1420070400u + i);
        expect_add(e, id, "p1", "hour", ts, NULL, NULL, CIVIC_OK);
    }
    /* numbered survivors among the purged, every 61st number */
    uint32_t survivors = 0;
    for (uint32_t i = 61; i <= old; i += 61, survivors++)
        numbered(e, "", (uint64_t)old + i, NULL, CIVIC_OK);
    civic_purge_report rep = CIVIC_PURGE_REPORT_INIT;
    assert_int_equal(civic_engine_purge(e, when(e, "2020-01-01"), &rep, NULL), CIVIC_OK);
    assert_int_equal(rep.events, old); /* archived 2016-01-01; the hours have no retain */
    assert_int_equal(count(e), 50 + (uint64_t)survivors);
    for (int round = 0; round < 2; round++) {
        for (uint32_t i = 1; i <= old; i++) {
            snprintf(id, sizeof(id), "%u", i);
            snprintf(subject, sizeof(subject), "p%u", i % 7);
            snprintf(ts, sizeof(ts), "%u", 1420070400u + i);
            /* identical, and with every field another: both duplicates */
            expect_add(e, id, subject, "old", ts, NULL, NULL, CIVIC_DUPLICATE);
            expect_add(e, id, "z", "hour", "2024-01-01", "7", NULL, CIVIC_DUPLICATE);
        }
        expect_add(e, "k1", "p1", "hour", "1420070401", NULL, NULL, CIVIC_DUPLICATE);
        expect_add(e, "k1", "p1", "hour", "1420070401", "2", NULL, CIVIC_E_CONFLICT);
        for (uint32_t i = 61; i <= old; i += 61) {
            numbered(e, "", (uint64_t)old + i, NULL, CIVIC_DUPLICATE);
            numbered(e, "", (uint64_t)old + i, "9", CIVIC_E_CONFLICT);
        }
        numbered(e, "", (uint64_t)old + 60, NULL, round ? CIVIC_DUPLICATE : CIVIC_OK);
        assert_int_equal(count(e), 51 + (uint64_t)survivors + (uint64_t)round * 4);
        if (round == 0) {
            /* not tombstones: new */
            snprintf(id, sizeof(id), "%u", old + 1);
            expect_add(e, id, "z", "hour", "2024-01-01", NULL, NULL, CIVIC_OK);
            expect_add(e, "0", "z", "hour", "2024-01-01", NULL, NULL, CIVIC_OK);
            expect_add(e, "01", "z", "hour", "2024-01-01", NULL, NULL, CIVIC_OK);
            expect_add(e, "k0", "z", "hour", "2024-01-01", NULL, NULL, CIVIC_OK);
            assert_int_equal(civic_engine_save(e, path_in("purged.snap"), NULL), CIVIC_OK);
            civic_engine_free(e);
            e = NULL;
            assert_int_equal(civic_engine_open_snapshot(&e, rules, NULL, path_in("purged.snap"), NULL),
                             CIVIC_OK);
            assert_int_equal(count(e), 55 + (uint64_t)survivors);
        }
    }
    expect_add(e, "01", "z", "hour", "2024-01-01", NULL, NULL, CIVIC_DUPLICATE);
    expect_add(e, "001", "z", "hour", "2024-01-01", NULL, NULL, CIVIC_OK);
    civic_engine_free(e);
}

/* ------------------------------------------------------------ case 7 */

/* An engine of numeric, prefixed and tricky ids, k of each numbering. */
static bool numbered_in_mixed(const char *id, uint32_t k)
{
    return plain_in(id, "", k) || plain_in(id, "e", k);
}

/* Returns the tricky ids it added (the others are numbered ids already). */
static size_t fill_mixed(civic_engine *e, uint32_t k, size_t n_tricky)
{
    size_t added = 0;
    for (uint32_t i = 1; i <= k; i++) numbered(e, "", i, NULL, CIVIC_OK);
    for (uint32_t i = k; i >= 1; i--) numbered(e, "e", i, NULL, CIVIC_OK);
    for (size_t t = 0; t < n_tricky; t++)
        if (!numbered_in_mixed(tricky[t], k)) {
            tricky_add(e, t, NULL, CIVIC_OK);
            added++;
        }
    return added;
}

static void mixed_are_duplicates(civic_engine *e, uint32_t k, size_t n_tricky)
{
    for (uint32_t i = k; i >= 1; i--) numbered(e, "", i, NULL, CIVIC_DUPLICATE);
    for (uint32_t i = 1; i <= k; i++) numbered(e, "e", i, NULL, CIVIC_DUPLICATE);
    for (size_t t = 0; t < n_tricky; t++)
        if (!numbered_in_mixed(tricky[t], k)) tricky_add(e, t, NULL, CIVIC_DUPLICATE);
    for (uint32_t i = 1; i <= k; i += 17) numbered(e, "", i, "9", CIVIC_E_CONFLICT);
    for (uint32_t i = 1; i <= k; i += 17) numbered(e, "e", i, "9", CIVIC_E_CONFLICT);
    for (size_t t = 0; t < n_tricky; t++)
        if (!numbered_in_mixed(tricky[t], k)) tricky_add(e, t, "2", CIVIC_E_CONFLICT);
}

static void snapshot_and_journal_keep_every_id(void **state)
{
    (void)state;
    uint32_t k = under_valgrind() ? 2000u : 20000u;
    size_t nt = tricky_ids();
    civic_engine *e = fresh();
    size_t nt_held = fill_mixed(e, k, nt);
    assert_true(nt_held >= nt - 8 && nt_held < nt); /* "7", "1", "10", "e7", ... are numbered */
    uint64_t total = 2 * (uint64_t)k + nt_held;
    assert_int_equal(count(e), total);
    assert_int_equal(civic_engine_save(e, path_in("ids.snap"), NULL), CIVIC_OK);
    civic_engine_free(e);

    /* reopened: every id held, a new one accepted */
    e = NULL;
    assert_int_equal(civic_engine_open_snapshot(&e, rules, NULL, path_in("ids.snap"), NULL),
                     CIVIC_OK);
    assert_int_equal(count(e), total);
    mixed_are_duplicates(e, k, nt);
    numbered(e, "", (uint64_t)k + 1, NULL, CIVIC_OK);
    numbered(e, "e", (uint64_t)k + 1, NULL, CIVIC_OK);
    numbered(e, "00", 1, NULL, CIVIC_OK);   /* "001"; "01" is a tricky one, held */
    numbered(e, "e0", 1, NULL, CIVIC_OK);   /* "e01" */
    assert_int_equal(count(e), total + 4);
    assert_int_equal(score_at(e, "t", "2025-01-01").events, nt_held);
    support_release();
    civic_engine_free(e);

    /* into an engine holding one of its ids with other fields: the whole
     * snapshot is refused, and its ids are then new to that engine */
    e = fresh();
    numbered(e, "", 3, "9", CIVIC_OK);
    civic_error err = CIVIC_ERROR_INIT;
    assert_int_equal(civic_engine_load_snapshot(e, path_in("ids.snap"), &err), CIVIC_E_CONFLICT);
    assert_int_equal(count(e), 1);
    numbered(e, "", 4, NULL, CIVIC_OK);
    numbered(e, "e", 3, NULL, CIVIC_OK);
    tricky_add(e, 1, NULL, CIVIC_OK); /* "07" */
    numbered(e, "", 3, "9", CIVIC_DUPLICATE);
    civic_engine_free(e);

    /* into an engine holding some of them identically: duplicates */
    e = fresh();
    numbered(e, "", 3, NULL, CIVIC_OK);
    tricky_add(e, 1, NULL, CIVIC_OK);
    assert_int_equal(civic_engine_load_snapshot(e, path_in("ids.snap"), &err), CIVIC_OK);
    assert_int_equal(count(e), total);
    mixed_are_duplicates(e, k, nt);
    civic_engine_free(e);

    /* a journal replayed into a fresh engine */
    e = fresh();
    assert_int_equal(civic_engine_journal_open(e, path_in("ids.journal"), CIVIC_SYNC_NONE, NULL,
                                               NULL),
                     CIVIC_OK);
    size_t nt_journal = fill_mixed(e, k / 4, nt);
    civic_engine_free(e);
    e = fresh();
    civic_journal_report jr = CIVIC_JOURNAL_REPORT_INIT;
    assert_int_equal(civic_engine_journal_open(e, path_in("ids.journal"), CIVIC_SYNC_NONE, &jr,
                                               NULL),
                     CIVIC_OK);
    assert_int_equal(jr.accepted, 2 * (uint64_t)(k / 4) + nt_journal);
    mixed_are_duplicates(e, k / 4, nt);
    numbered(e, "", (uint64_t)k / 4 + 1, NULL, CIVIC_OK);
    civic_engine_free(e);
}

/* ------------------------------------------------------------ case 8 */

static void reserve_changes_no_answer(void **state)
{
    (void)state;
    uint32_t n = big_n() / 2;
    civic_engine *e = fresh();
    assert_int_equal(civic_engine_reserve(e, 4 * (uint64_t)n, NULL), CIVIC_OK);
    assert_int_equal(count(e), 0);
    bulk_numeric_ids(e, 2, n);
    /* a reserve on a full engine (the tables grow again) */
    assert_int_equal(civic_engine_reserve(e, 8 * (uint64_t)n, NULL), CIVIC_OK);
    for (uint32_t i = 1; i <= n; i++) numbered(e, "", i, NULL, CIVIC_DUPLICATE);
    for (uint32_t i = n + 1; i <= n + 1000; i++) numbered(e, "", i, NULL, CIVIC_OK);
    numbered(e, "0", 1, NULL, CIVIC_OK);
    size_t nt = tricky_ids();
    /* the tricky ids not held as numbered ones (1..n+1000 and "01") are new */
    for (size_t t = 0; t < nt; t++)
        if (!plain_in(tricky[t], "", (uint64_t)n + 1000) && strcmp(tricky[t], "01") != 0)
            tricky_add(e, t, NULL, CIVIC_OK);
    civic_engine_free(e);

    /* a reserve into an empty engine, whatever the first id turns out to be */
    static const char *const firsts[] = { "1", "e1", "abc", "1000000000000", "07",
                                          "12345678901234567890" };
    const uint32_t m = under_valgrind() ? 500u : 5000u;
    for (size_t f = 0; f < sizeof(firsts) / sizeof(firsts[0]); f++) {
        e = fresh();
        assert_int_equal(civic_engine_reserve(e, 3 * (uint64_t)m, NULL), CIVIC_OK);
        expect_add(e, firsts[f], "first", "fine", "2024-01-01", NULL, NULL, CIVIC_OK);
        uint32_t *order = numbers(m, 2, 100 + f);
        for (uint32_t k = 0; k < m; k++) numbered(e, "", (uint64_t)order[k] + 1, NULL,
                                                  CIVIC_OK); /* 2..m+1: "1" may be held */
        for (uint32_t k = 0; k < m; k++) numbered(e, "e", (uint64_t)order[k] + 1, NULL, CIVIC_OK);
        assert_int_equal(civic_engine_reserve(e, 3 * (uint64_t)m, NULL), CIVIC_OK);
        for (uint32_t i = 2; i <= m + 1; i++) numbered(e, "", i, NULL, CIVIC_DUPLICATE);
        for (uint32_t i = 2; i <= m + 1; i++) numbered(e, "e", i, NULL, CIVIC_DUPLICATE);
        expect_add(e, firsts[f], "first", "fine", "2024-01-01", NULL, NULL, CIVIC_DUPLICATE);
        assert_int_equal(count(e), 2 * (uint64_t)m + 1);
        free(order);
        civic_engine_free(e);
    }

    /* a reserve past events_max is cut to it; answers as without */
    civic_engine_options o = CIVIC_ENGINE_OPTIONS_INIT;
    o.threads = 1;
    o.events_max = 500;
    assert_int_equal(civic_engine_new(&e, rules, &o), CIVIC_OK);
    assert_int_equal(civic_engine_reserve(e, UINT64_C(1) << 40, NULL), CIVIC_OK);
    for (uint32_t i = 1; i <= 500; i++) numbered(e, "", i, NULL, CIVIC_OK);
    numbered(e, "", 501, NULL, CIVIC_E_LIMIT);
    for (uint32_t i = 1; i <= 500; i++) numbered(e, "", i, NULL, CIVIC_DUPLICATE);
    civic_engine_free(e);
}

/* ------------------------------------------------------------ references */

static civic_entry entry_of(const civic_record *rec, const char *id)
{
    for (size_t i = 0; i < civic_record_count(rec); i++) {
        civic_entry x = CIVIC_ENTRY_INIT;
        assert_int_equal(civic_record_entry(rec, i, &x), CIVIC_OK);
        if (strcmp(x.id, id) == 0) return x;
    }
    fail_msg("no entry \"%s\" in the record", id);
    civic_entry none = CIVIC_ENTRY_INIT;
    return none;
}

static uint32_t state_of(const civic_engine *e, const char *subject, const char *id)
{
    civic_record *rec = NULL;
    assert_int_equal(civic_engine_record(e, subject, when(e, "2024-03-01"), &rec), CIVIC_OK);
    uint32_t s = entry_of(rec, id).state;
    civic_record_free(rec);
    return s;
}

/* Events of one subject at one instant count in the order of their ids,
 * bytewise ("10" before "9"), in the record and for the balance floor: the
 * same whether an id is held by its number (and kept without its text) or
 * as text.  Each list is added in a scrambled order; the first id chooses
 * the prefix of the numbered ids. */
static void equal_times_order_ids_bytewise(void **state)
{
    (void)state;
    static const char *const sorted[2][8] = {
        { "0", "09", "10", "100", "18446744073709551621", "1a", "9", "x" },
        { "d5", "e", "e0", "e09", "e10", "e100", "e9", "ex" },
    };
    static const size_t added[8] = { 2, 6, 3, 0, 7, 1, 5, 4 }; /* "10" or "e10" first */
    for (size_t list = 0; list < 2; list++) {
        civic_engine *e = fresh();
        for (size_t i = 0; i < 8; i++)
            expect_add(e, sorted[list][added[i]], "t", "hour", "2024-01-01", NULL, NULL, CIVIC_OK);
        civic_record *rec = NULL;
        assert_int_equal(civic_engine_record(e, "t", when(e, "2025-01-01"), &rec), CIVIC_OK);
        assert_int_equal(civic_record_count(rec), 8);
        for (size_t i = 0; i < 8; i++) {
            civic_entry x = CIVIC_ENTRY_INIT;
            assert_int_equal(civic_record_entry(rec, i, &x), CIVIC_OK);
            assert_string_equal(x.id, sorted[list][i]);
        }
        civic_record_free(rec);
        civic_engine_free(e);
    }
}

/* A ref names an event by its id string: "5" finds event 5, "05" does not
 * (a pointer without its target is dangling: kept, without effect). */
static void refs_find_numeric_ids_by_their_string(void **state)
{
    (void)state;
    civic_engine *e = fresh();
    expect_add(e, "5", "s", "fine", "2024-01-01", NULL, NULL, CIVIC_OK);
    assert_int_equal(score_at(e, "s", "2024-03-01").score, P(990));
    expect_add(e, "6", "s", "revoke", "2024-02-01", NULL, "5", CIVIC_OK);
    assert_int_equal(score_at(e, "s", "2024-03-01").score, P(1000));
    assert_int_equal(score_at(e, "s", "2024-01-15").score, P(990));
    assert_int_equal(state_of(e, "s", "5"), CIVIC_STATE_REVOKED);
    assert_int_equal(state_of(e, "s", "6"), CIVIC_STATE_APPLIED);
    /* the revoke is an event like any: again a duplicate, with another ref a conflict */
    expect_add(e, "6", "s", "revoke", "2024-02-01", NULL, "5", CIVIC_DUPLICATE);
    expect_add(e, "6", "s", "revoke", "2024-02-01", NULL, "05", CIVIC_E_CONFLICT);
    support_release();
    civic_engine_free(e);

    e = fresh();
    expect_add(e, "5", "s", "fine", "2024-01-01", NULL, NULL, CIVIC_OK);
    expect_add(e, "6", "s", "revoke", "2024-02-01", NULL, "05", CIVIC_OK);
    expect_add(e, "7", "s", "revoke", "2024-02-01", NULL, "5 ", CIVIC_OK);
    expect_add(e, "8", "s", "revoke", "2024-02-01", NULL, "e5", CIVIC_OK);
    expect_add(e, "9", "s", "revoke", "2024-02-01", NULL, "18446744073709551621", CIVIC_OK);
    assert_int_equal(score_at(e, "s", "2024-03-01").score, P(990));
    support_release();
    assert_int_equal(state_of(e, "s", "5"), CIVIC_STATE_ACTIVE);
    const char *const dangling[] = { "6", "7", "8", "9" };
    for (size_t i = 0; i < 4; i++) assert_int_equal(state_of(e, "s", dangling[i]), CIVIC_STATE_DANGLING);
    /* an event "05" of another subject is still not s's target */
    expect_add(e, "05", "t", "fine", "2024-01-01", NULL, NULL, CIVIC_OK);
    assert_int_equal(state_of(e, "s", "6"), CIVIC_STATE_DANGLING);
    assert_int_equal(score_at(e, "s", "2024-03-01").score, P(990));
    assert_int_equal(score_at(e, "t", "2024-03-01").score, P(990));
    /* targets that arrive after their revoke are found: a ref resolves at
     * query time, by its exact string */
    expect_add(e, "e5", "s", "fine", "2024-01-01", NULL, NULL, CIVIC_OK);
    assert_int_equal(state_of(e, "s", "8"), CIVIC_STATE_APPLIED);
    assert_int_equal(state_of(e, "s", "e5"), CIVIC_STATE_REVOKED);
    expect_add(e, "18446744073709551621", "s", "fine", "2024-01-01", NULL, NULL, CIVIC_OK);
    assert_int_equal(state_of(e, "s", "9"), CIVIC_STATE_APPLIED);
    assert_int_equal(state_of(e, "s", "5"), CIVIC_STATE_ACTIVE);
    assert_int_equal(score_at(e, "s", "2024-03-01").score, P(990));
    /* a revoke arriving before its target; a repair of a numeric id */
    expect_add(e, "100", "s", "revoke", "2024-02-01", NULL, "99", CIVIC_OK);
    assert_int_equal(state_of(e, "s", "100"), CIVIC_STATE_DANGLING);
    expect_add(e, "99", "s", "fine", "2024-01-01", NULL, NULL, CIVIC_OK);
    assert_int_equal(state_of(e, "s", "100"), CIVIC_STATE_APPLIED);
    expect_add(e, "101", "s", "repair", "2024-02-01", NULL, "5", CIVIC_OK);
    assert_int_equal(state_of(e, "s", "5"), CIVIC_STATE_REPAIRED);
    assert_int_equal(score_at(e, "s", "2024-03-01").score, P(1000));
    assert_int_equal(score_at(e, "s", "2024-01-15").score, P(960)); /* 5, e5, 99, 1844..21 */
    support_release();
    civic_engine_free(e);
}

/* Many numeric ids and many refs, loaded as one batch on four threads:
 * fine i (subject b<i % 13>); for i % 3 == 0 a revoke n+i of "<i>"
 * (applied), for i % 3 == 1 a revoke of "0<i>" (dangling), for i % 3 == 2 a
 * revoke of "<2n+i>" (no such event: dangling). */
static void many_refs_resolve_to_their_targets(void **state)
{
    (void)state;
    const uint32_t n = under_valgrind() ? 3000u : 30000u, subjects = 13;
    size_t cap = 64 + (size_t)n * 2 * 64, len = 0;
    char *csv = malloc(cap);
    assert_non_null(csv);
    len += (size_t)snprintf(csv, cap, "id,subject,type,ts,ref\n");
    uint32_t *order = numbers(n, 2, 3);
    for (uint32_t k = 0; k < n; k++) {
        uint32_t i = order[k];
        len += (size_t)snprintf(csv + len, cap - len, "%u,b%u,fine,2024-01-01,\n", i, i % subjects);
        if (i % 3 == 0)
            len += (size_t)snprintf(csv + len, cap - len, "%u,b%u,revoke,2024-02-01,%u\n", n + i,
                                    i % subjects, i);
        else if (i % 3 == 1)
            len += (size_t)snprintf(csv + len, cap - len, "%u,b%u,revoke,2024-02-01,0%u\n", n + i,
                                    i % subjects, i);
        else
            len += (size_t)snprintf(csv + len, cap - len, "%u,b%u,revoke,2024-02-01,%u\n", n + i,
                                    i % subjects, 2 * n + i);
    }
    free(order);
    civic_engine *e = fresh_threads(4);
    load_ok(e, csv);
    free(csv);
    assert_int_equal(count(e), 2 * (uint64_t)n);
    for (uint32_t j = 0; j < subjects; j++) {
        int64_t fines = 0, revoked = 0;
        for (uint32_t i = 1; i <= n; i++)
            if (i % subjects == j) {
                fines++;
                revoked += i % 3 == 0;
            }
        char subject[16];
        snprintf(subject, sizeof(subject), "b%u", j);
        assert_int_equal(score_at(e, subject, "2024-03-01").score, P(1000 - 10 * (fines - revoked)));
        assert_int_equal(score_at(e, subject, "2024-01-15").score, P(1000 - 10 * fines));
        civic_record *rec = NULL;
        assert_int_equal(civic_engine_record(e, subject, when(e, "2024-03-01"), &rec), CIVIC_OK);
        int64_t states[16] = { 0 };
        for (size_t x = 0; x < civic_record_count(rec); x++) {
            civic_entry en = CIVIC_ENTRY_INIT;
            civic_record_entry(rec, x, &en);
            assert_true(en.state < 16);
            states[en.state]++;
            /* a revoke's target is the event named by its ref's exact string */
            if (en.kind == CIVIC_KIND_REVOKE) {
                uint32_t i = (uint32_t)strtoul(en.id, NULL, 10) - n;
                assert_int_equal(en.state, i % 3 == 0 ? CIVIC_STATE_APPLIED : CIVIC_STATE_DANGLING);
            } else {
                uint32_t i = (uint32_t)strtoul(en.id, NULL, 10);
                assert_int_equal(en.state, i % 3 == 0 ? CIVIC_STATE_REVOKED : CIVIC_STATE_ACTIVE);
            }
        }
        assert_int_equal(states[CIVIC_STATE_REVOKED], revoked);
        assert_int_equal(states[CIVIC_STATE_APPLIED], revoked);
        assert_int_equal(states[CIVIC_STATE_DANGLING], fines - revoked);
        assert_int_equal(states[CIVIC_STATE_ACTIVE], fines - revoked);
        civic_record_free(rec);
    }
    support_release();
    civic_engine_free(e);
}

/* ------------------------------------------------------------ main */

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/civic-ids-XXXXXX");
    if (!mkdtemp(dir)) return -1;
    rules = NULL;
    civic_error err = CIVIC_ERROR_INIT;
    return civic_rules_parse(&rules, RULES, strlen(RULES), NULL, &err) == CIVIC_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    civic_rules_free(rules);
    support_release();
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* ------------------------------------------------------------ subject ids */

/* One subject's score and events at 2025-01-01. */
static void subject_answer(const civic_engine *e, const char *subject, int64_t *score,
                           int64_t *events)
{
    civic_result *res = NULL;
    assert_int_equal(civic_engine_subject(e, subject, when(e, "2025-01-01"), &res), CIVIC_OK);
    assert_int_equal(civic_result_count(res), 1);
    civic_score sc = CIVIC_SCORE_INIT;
    assert_int_equal(civic_result_get(res, 0, &sc), CIVIC_OK);
    assert_string_equal(sc.subject, subject);
    *score = sc.score;
    *events = (int64_t)sc.events;
    civic_result_free(res);
}

/* Subject ids alike in their first bytes and their length are two
 * subjects: an add, a load and a query each find the right one.  Subject
 * k gets k + 1 events of qty 1, so each score names its subject. */
static void subject_ids_alike_in_their_first_bytes(void **state)
{
    (void)state;
    static const char *const names[] = {
        "a", "ab", "abcdefg", "abcdefh", "abcdefgh", "abcdefgi", "abcdefg1", "abcdefg2",
        "bbcdefgh", "abcdefghijklmnop1", "abcdefghijklmnop2", "abcdefghijklmnopq", "s1", "s01",
        "s1 ", "\xc3\xa9t\xc3\xa9", "\xc3\xa9t\xc3\xa9s",
    };
    const size_t n = sizeof(names) / sizeof(names[0]);
    for (int how = 0; how < 2; how++) { /* adds, then one CSV load */
        civic_engine *e = fresh_threads(how ? 2 : 1);
        char csv[8192], id[32], ts[24];
        size_t at = (size_t)snprintf(csv, sizeof(csv), "id,subject,type,ts,qty\n");
        unsigned next = 1;
        for (size_t round = 0; round <= n; round++) /* interleaved: every lookup is a hit */
            for (size_t k = round; k < n; k++) {
                snprintf(id, sizeof(id), "x%u", next);
                snprintf(ts, sizeof(ts), "%u", 1704067200u + next++);
                if (how == 0) {
                    expect_add(e, id, names[k], "hour", ts, "1", NULL, CIVIC_OK);
                } else {
                    assert_true(strchr(names[k], ' ') == NULL || strlen(names[k]) < 8);
                    at += (size_t)snprintf(csv + at, sizeof(csv) - at, "%s,%s,hour,%s,1\n", id,
                                           names[k], ts);
                    assert_true(at < sizeof(csv));
                }
            }
        if (how == 1) {
            civic_error err = CIVIC_ERROR_INIT;
            assert_int_equal(civic_engine_load(e, csv, at, NULL, NULL, &err), CIVIC_OK);
        }
        assert_int_equal(civic_engine_subject_count(e), n);
        for (size_t k = 0; k < n; k++) {
            int64_t score = 0, events = 0;
            subject_answer(e, names[k], &score, &events);
            if (events != (int64_t)k + 1 || score != P(1000 + (int64_t)k + 1))
                fail_msg("subject \"%s\": %lld events, score %lld; want %lld, %lld", names[k],
                         (long long)events, (long long)score, (long long)k + 1,
                         (long long)P(1000 + (int64_t)k + 1));
        }
        static const char *const unseen[] = { "abcdefgj", "abcdefghijklmnop3", "abcdef", "s001" };
        for (size_t k = 0; k < sizeof(unseen) / sizeof(unseen[0]); k++) {
            int64_t score = 0, events = -1;
            subject_answer(e, unseen[k], &score, &events);
            if (events != 0 || score != P(1000)) fail_msg("unseen subject \"%s\" has events", unseen[k]);
        }
        civic_engine_free(e);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(numeric_ids_in_order_reverse_and_shuffled),
        cmocka_unit_test(numeric_ids_through_bulk_loads),
        cmocka_unit_test(ids_that_look_numeric_are_distinct_strings),
        cmocka_unit_test(tricky_ids_through_csv_and_jsonl),
        cmocka_unit_test(mixed_prefixes_are_distinct),
        cmocka_unit_test(long_and_odd_prefixes),
        cmocka_unit_test(numbers_near_the_top),
        cmocka_unit_test(sparse_then_dense),
        cmocka_unit_test(failed_loads_forget_their_ids),
        cmocka_unit_test(refused_adds_and_the_event_limit),
        cmocka_unit_test(purged_ids_stay_known),
        cmocka_unit_test(snapshot_and_journal_keep_every_id),
        cmocka_unit_test(reserve_changes_no_answer),
        cmocka_unit_test(equal_times_order_ids_bytewise),
        cmocka_unit_test(refs_find_numeric_ids_by_their_string),
        cmocka_unit_test(many_refs_resolve_to_their_targets),
        cmocka_unit_test(subject_ids_alike_in_their_first_bytes),
    };
    return cmocka_run_group_tests_name("ids", tests, setup, teardown);
}
