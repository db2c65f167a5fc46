/*
** test_eval_v2.c -- evaluation with version 2: the worked examples of the
** manual (docs/version2.md, "Worked examples"), then each feature at its
** boundaries and combined with caps, repeat, repairs, revokes and clamps.
** Every expected number was worked out by hand from the rules and events
** written next to it.
*/
#include "support.h"

#define FINE_1Y "[rule.fine]\npoints = -10\nvalid = \"1y\"\n"

static uint64_t rng_state;
static void rng_seed(uint64_t s) { rng_state = s; }
static uint32_t rng_next(void)
{
    rng_state = rng_state * UINT64_C(6364136223846793005) + UINT64_C(1442695040888963407);
    return (uint32_t)(rng_state >> 33);
}

/* The record of subject at as_of; free with civic_record_free. */
static civic_record *record_at(const civic_engine *e, const char *subject, const char *as_of)
{
    civic_record *rec = NULL;
    assert_int_equal(civic_engine_record(e, subject, when(e, as_of), &rec), CIVIC_OK);
    return rec;
}

static civic_entry entry_of(const civic_record *rec, const char *id)
{
    for (size_t i = 0; i < civic_record_count(rec); i++) {
        civic_entry x = CIVIC_ENTRY_INIT;
        assert_int_equal(civic_record_entry(rec, i, &x), CIVIC_OK);
        if (strcmp(x.id, id) == 0) return x;
    }
    fail_msg("no entry %s", id);
    civic_entry none = CIVIC_ENTRY_INIT;
    return none;
}

static void state_is(const civic_engine *e, const char *as_of, const char *id, uint32_t state)
{
    civic_record *rec = record_at(e, "s", as_of);
    civic_entry x = entry_of(rec, id);
    if (x.state != state)
        fprintf(stderr, "%s at %s: %s, not %s\n", id, as_of, civic_state_name(x.state),
                civic_state_name(state));
    assert_int_equal(x.state, state);
    civic_record_free(rec);
}

static void score_is(const civic_engine *e, const char *as_of, int64_t score)
{
    civic_score s = score_at(e, "s", as_of);
    if (s.score != score)
        fprintf(stderr, "at %s: %lld, not %lld\n", as_of, (long long)s.score, (long long)score);
    assert_int_equal(s.score, score);
}

/* ------------------------------------------------------------ examples */

static void example_1_a_change_keeps_old_weights_for_old_events(void **state)
{
    (void)state;
    civic_engine *e = engine_from(TEST_SCHEME FINE_1Y
                                  "[[rule.fine.change]]\nfrom = \"2023-01-01\"\npoints = -20\n");
    load_ok(e, "id,subject,type,ts\na,s,fine,2022-06-01\nb,s,fine,2023-02-01\n");
    score_is(e, "2023-03-01", P(970));
    civic_record *rec = record_at(e, "s", "2023-03-01");
    assert_int_equal(entry_of(rec, "a").from, CIVIC_NO_TIME);
    assert_int_equal(entry_of(rec, "b").from, when(e, "2023-01-01"));
    assert_int_equal(entry_of(rec, "b").raw, P(-20));
    civic_record_free(rec);
    civic_engine_free(e);
    support_release();
}

static void example_2_a_repeat_by_category(void **state)
{
    (void)state;
    civic_engine *e = engine_from(TEST_SCHEME
                                  "[rule.park]\npoints = -10\ncategory = \"traffic\"\n"
                                  "repeat_factor = 2\nvalid = \"1y\"\n"
                                  "[rule.block_lane]\npoints = -10\ncategory = \"traffic\"\n"
                                  "repeat_factor = 2\nvalid = \"1y\"\n");
    load_ok(e, "id,subject,type,ts\na,s,park,2022-01-10\nb,s,block_lane,2022-03-01\n");
    score_is(e, "2022-04-01", P(970));
    civic_engine_free(e);
    support_release();
}

static void example_3_validity_follows_the_escalated_size(void **state)
{
    (void)state;
    civic_engine *e = engine_from(TEST_SCHEME "[[validity]]\nup_to = 40\nvalid = \"1y\"\n"
                                  "[[validity]]\nvalid = \"2y\"\n"
                                  "[rule.dog]\npoints = -30\nvalid = \"by-severity\"\n"
                                  "repeat_factor = 2\n");
    load_ok(e, "id,subject,type,ts\na,s,dog,2022-01-10\nb,s,dog,2022-02-10\n");
    score_is(e, "2023-01-20", P(940));
    score_is(e, "2024-02-09", P(940));
    score_is(e, "2024-02-10", P(1000));
    score_is(e, "2024-03-01", P(1000));
    civic_engine_free(e);
    support_release();
}

static void example_5_a_freeze_stops_additions_until_repaired(void **state)
{
    (void)state;
    civic_engine *e = engine_from(TEST_SCHEME
                                  "[rule.defaulter]\npoints = 0\nceiling = 599\nvalid = \"5y\"\n"
                                  "freeze = true\n[rule.volunteer]\npoints = 5\n");
    load_ok(e, "id,subject,type,ts,ref\nv1,s,volunteer,2022-01-01,\nd1,s,defaulter,2022-02-01,\n"
               "v2,s,volunteer,2022-03-01,\np1,s,repair,2022-04-01,d1\n"
               "v3,s,volunteer,2022-05-01,\n");
    civic_score s = score_at(e, "s", "2022-06-01");
    assert_int_equal(s.score, P(1010));
    assert_string_equal(s.grade, "A");
    civic_record *rec = record_at(e, "s", "2022-06-01");
    civic_entry v2 = entry_of(rec, "v2");
    assert_int_equal(v2.counted, 0);
    assert_int_equal(v2.raw, P(5));
    assert_true(v2.marks & CIVIC_MARK_FROZEN);
    assert_false(entry_of(rec, "v3").marks & CIVIC_MARK_FROZEN);
    civic_record_free(rec);
    score_is(e, "2022-03-15", P(599));
    civic_engine_free(e);
    support_release();
}

static void example_6_publicity_holds_an_entry_pending(void **state)
{
    (void)state;
    const char *rules = TEST_SCHEME "[rule.honour]\npoints = 20\nvalid = \"1y\"\n"
                                    "publicity = \"7d\"\n";
    civic_engine *e = engine_from(rules);
    load_ok(e, "id,subject,type,ts\ne1,s,honour,2022-03-01\n");
    score_is(e, "2022-03-05", P(1000));
    state_is(e, "2022-03-05", "e1", CIVIC_STATE_PENDING);
    score_is(e, "2022-03-07T23:59:59", P(1000));
    score_is(e, "2022-03-08", P(1020));
    state_is(e, "2022-03-08", "e1", CIVIC_STATE_ACTIVE);
    /* validity starts at eff: a year after 8 March */
    score_is(e, "2023-03-07T23:59:59", P(1020));
    score_is(e, "2023-03-08", P(1000));
    civic_record *rec = record_at(e, "s", "2022-03-05");
    civic_entry x = entry_of(rec, "e1");
    assert_int_equal(x.ts, when(e, "2022-03-01"));
    assert_int_equal(x.eff, when(e, "2022-03-08"));
    civic_record_free(rec);
    civic_engine_free(e);
    e = engine_from(rules);
    load_ok(e, "id,subject,type,ts,ref\ne1,s,honour,2022-03-01,\nr1,s,revoke,2022-03-04,e1\n");
    score_is(e, "2022-03-05", P(1000));
    score_is(e, "2022-03-08", P(1000));
    score_is(e, "2022-06-08", P(1000));
    /* revoked, it shows when it would have started, as a pending or merged
     * entry does: its eff (8 March), not its ts */
    rec = record_at(e, "s", "2022-06-08");
    x = entry_of(rec, "e1");
    assert_int_equal(x.state, CIVIC_STATE_REVOKED);
    assert_int_equal(x.end, when(e, "2022-03-08"));
    assert_int_equal(x.eff, when(e, "2022-03-08"));
    civic_record_free(rec);
    civic_engine_free(e);
    support_release();
}

/* In a scheme with publicity only the rules that have it take effect
 * later: another rule's events, and a revoke (a built-in type, which has
 * no rule to ask), take effect at their ts, and the record lists them all
 * by when they take effect. */
static void only_a_rule_with_publicity_takes_effect_later(void **state)
{
    (void)state;
    civic_engine *e = engine_from(TEST_SCHEME "[rule.slow]\npoints = 5\npublicity = \"7d\"\n"
                                  "[rule.fast]\npoints = 2\n");
    load_ok(e, "id,subject,type,ts,ref\np1,s,slow,2022-03-01,\nf0,s,fast,2022-03-01,\n"
               "r1,s,revoke,2022-03-02,f0\nf1,s,fast,2022-03-03,\n");
    score_is(e, "2022-03-05", P(1002));             /* f1; f0 revoked, p1 pending */
    score_is(e, "2022-03-08", P(1007));             /* and p1 from 8 March */
    civic_record *rec = record_at(e, "s", "2022-03-10");
    static const char *const order[] = { "f0", "r1", "f1", "p1" };
    static const char *const eff[] = { "2022-03-01", "2022-03-02", "2022-03-03", "2022-03-08" };
    assert_int_equal(civic_record_count(rec), 4);
    for (size_t i = 0; i < 4; i++) {
        civic_entry x = CIVIC_ENTRY_INIT;
        assert_int_equal(civic_record_entry(rec, i, &x), CIVIC_OK);
        assert_string_equal(x.id, order[i]);
        assert_int_equal(x.eff, when(e, eff[i]));
    }
    civic_record_free(rec);
    civic_engine_free(e);
    support_release();
}

static void example_7_an_objection_suspends_until_dismissed(void **state)
{
    (void)state;
    civic_engine *e = engine_from("[scheme]\nbase = 1000\nutc_offset = \"+08:00\"\n"
                                  "contested = \"suspend\"\n" TEST_GRADES FINE_1Y);
    load_ok(e, "id,subject,type,ts,ref\nf1,s,fine,2022-03-01,\no1,s,object,2022-03-05,f1\n"
               "d1,s,dismiss,2022-04-01,o1\n");
    score_is(e, "2022-03-04", P(990));
    score_is(e, "2022-03-10", P(1000));
    state_is(e, "2022-03-10", "f1", CIVIC_STATE_CONTESTED);
    state_is(e, "2022-03-10", "o1", CIVIC_STATE_APPLIED);
    score_is(e, "2022-04-10", P(990));
    state_is(e, "2022-04-10", "o1", CIVIC_STATE_DISMISSED);
    state_is(e, "2022-04-10", "d1", CIVIC_STATE_APPLIED);
    state_is(e, "2022-04-10", "f1", CIVIC_STATE_ACTIVE);
    civic_engine_free(e);
    support_release();
}

static void example_8_retention_archives_after_five_years(void **state)
{
    (void)state;
    const char *one = TEST_SCHEME "[rule.fine]\npoints = -10\nvalid = \"1y\"\nretain = \"5y\"\n"
                                  "affects = \"score\"\n";
    civic_engine *e = engine_from(one);
    load_ok(e, "id,subject,type,ts\nf,s,fine,2015-03-01\n");
    score_is(e, "2020-02-29", P(1000));
    state_is(e, "2020-02-29", "f", CIVIC_STATE_EXPIRED);
    civic_score s = score_at(e, "s", "2020-03-01");
    assert_int_equal(s.score, P(1000));
    assert_int_equal(s.archived, 1);
    assert_int_equal(s.events, 0);
    civic_record *rec = record_at(e, "s", "2020-03-01");
    assert_int_equal(civic_record_count(rec), 0);
    civic_record_free(rec);
    /* a subject whose every event is archived is not listed */
    civic_result *res = NULL;
    assert_int_equal(civic_engine_subjects(e, when(e, "2020-03-01"), &res), CIVIC_OK);
    assert_int_equal(civic_result_count(res), 0);
    civic_result_free(res);
    civic_engine_free(e);
    e = engine_from(TEST_SCHEME "[rule.fine]\npoints = -10\nvalid = \"10y\"\nretain = \"5y\"\n"
                                "affects = \"score\"\n");
    load_ok(e, "id,subject,type,ts\nf,s,fine,2015-03-01\n");
    score_is(e, "2020-02-29T23:59:59", P(990));
    score_is(e, "2020-03-01", P(1000));
    score_is(e, "2030-01-01", P(1000));
    civic_engine_free(e);
    support_release();
}

/* Found by fuzz_rules under clang's UBSan (corpus rules/v2_severity_freeze.toml):
 * in a scheme where no rule has a change the version table is NULL, and the
 * version lookups of retention and evaluation computed NULL + 0.  Only
 * clang diagnoses that: `make test-asan CC=clang` runs this test so. */
static void a_scheme_without_changes_reads_every_rule_from_its_base_table(void **state)
{
    (void)state;
    civic_engine *e = engine_from(TEST_SCHEME
                                  "[rule.fine]\npoints = -10\nvalid = \"1y\"\nretain = \"2y\"\n"
                                  "affects = \"score\"\nrepair_after = \"1m\"\n"
                                  "[rule.help]\npoints = 5\npublicity = \"1d\"\n");
    load_ok(e, "id,subject,type,ts,ref\nf,s,fine,2020-03-01,\nh,s,help,2020-03-01,\n"
               "p,s,repair,2020-03-15,f\n");
    score_is(e, "2020-03-10", P(995));
    state_is(e, "2020-03-20", "p", CIVIC_STATE_PREMATURE);
    civic_record *rec = record_at(e, "s", "2020-03-10");
    assert_int_equal(entry_of(rec, "f").from, CIVIC_NO_TIME);
    assert_int_equal(entry_of(rec, "h").eff, when(e, "2020-03-02"));
    civic_record_free(rec);
    civic_score s = score_at(e, "s", "2022-03-01");
    assert_int_equal(s.archived, 2);
    assert_int_equal(s.score, P(1005));
    civic_engine_free(e);
    support_release();
}

static void example_9_a_tier_counts_hours_whatever_the_caps(void **state)
{
    (void)state;
    civic_engine *e = engine_from(TEST_SCHEME
                                  "[rule.volunteer_hour]\npoints = 1\nper = \"unit\"\ncap = 20\n"
                                  "cap_period = \"month\"\n"
                                  "[tier.volunteer_star]\nrules = \"volunteer_hour\"\n"
                                  "measure = \"qty\"\n[[tier.volunteer_star.level]]\n"
                                  "name = \"1 star\"\nmin = 100\n[[tier.volunteer_star.level]]\n"
                                  "name = \"2 stars\"\nmin = 300\n");
    /* 250 hours in 2022 (25 a month for ten months), 60 in 2023 */
    char csv[4096] = "id,subject,type,ts,qty\n";
    size_t n = strlen(csv);
    for (int m = 1; m <= 10; m++)
        n += (size_t)snprintf(csv + n, sizeof(csv) - n, "a%d,s,volunteer_hour,2022-%02d-05,25\n",
                              m, m);
    for (int m = 1; m <= 3; m++)
        n += (size_t)snprintf(csv + n, sizeof(csv) - n, "b%d,s,volunteer_hour,2023-%02d-05,20\n",
                              m, m);
    load_ok(e, csv);
    civic_result *res = NULL;
    assert_int_equal(civic_engine_subject(e, "s", when(e, "2023-12-31"), &res), CIVIC_OK);
    civic_tier_value t = CIVIC_TIER_VALUE_INIT;
    assert_int_equal(civic_result_tier(res, 0, 0, &t), CIVIC_OK);
    assert_int_equal(t.value, 310000);
    assert_int_equal(t.places, 3);
    assert_int_equal(t.level, 1);
    assert_string_equal(t.level_name, "2 stars");
    assert_string_equal(t.tier, "volunteer_star");
    civic_result_free(res);
    /* 250 hours by the end of 2022: one star */
    assert_int_equal(civic_engine_subject(e, "s", when(e, "2022-12-31"), &res), CIVIC_OK);
    assert_int_equal(civic_result_tier(res, 0, 0, &t), CIVIC_OK);
    assert_string_equal(t.level_name, "1 star");
    civic_result_free(res);
    civic_engine_free(e);
}

/* SPEC 9.1: an own cap's room is used by the earlier events whose version
 * had an own cap of the same period and mode, whatever versions lie between;
 * a version without a cap uses none.  Worked by hand in the comments. */
static void own_caps_share_room_across_versions_by_period_and_mode(void **state)
{
    (void)state;
    civic_engine *e = engine_from(TEST_SCHEME
                                  "[rule.vol]\npoints = 1\nper = \"unit\"\ncap = 10\n"
                                  "cap_period = \"month\"\n"
                                  "[[rule.vol.change]]\nfrom = \"2022-03-05\"\ncap = false\n"
                                  "[[rule.vol.change]]\nfrom = \"2022-03-10\"\ncap = 15\n"
                                  "cap_period = \"month\"\n"
                                  "[[rule.vol.change]]\nfrom = \"2022-03-20\"\ncap = 5\n"
                                  "cap_period = \"day\"\n"
                                  "[[rule.vol.change]]\nfrom = \"2022-03-25\"\ncap = 18\n"
                                  "cap_period = \"month\"\n"
                                  "[[rule.vol.change]]\nfrom = \"2022-03-28\"\ncap = 30\n"
                                  "cap_mode = \"net\"\n");
    load_ok(e, "id,subject,type,ts,qty\n"
               "a,s,vol,2022-03-02,8\n"          /* 10 a month, none used: 8 */
               "b,s,vol,2022-03-06,20\n"         /* no cap: 20, uses no room */
               "c,s,vol,2022-03-12,10\n"         /* 15 a month, a used 8: 7 */
               "d,s,vol,2022-03-21T09:00:00,4\n" /* 5 a day, none that day: 4 */
               "e,s,vol,2022-03-21T12:00:00,4\n" /* d used 4: 1 */
               "f,s,vol,2022-03-26,5\n"          /* 18 a month, a and c used 15: 3 */
               "g,s,vol,2022-03-29,40\n");       /* net 30 a month, no net one before: 30 */
    score_is(e, "2022-03-26", P(1000 + 8 + 20 + 7 + 4 + 1 + 3));
    score_is(e, "2022-03-31", P(1000 + 8 + 20 + 7 + 4 + 1 + 3 + 30));
    civic_record *rec = record_at(e, "s", "2022-03-31");
    assert_int_equal(entry_of(rec, "c").counted, P(7));
    assert_int_equal(entry_of(rec, "f").counted, P(3));
    civic_record_free(rec);
    civic_engine_free(e);
}

static void example_10_a_net_cap_lets_downvotes_give_room_back(void **state)
{
    (void)state;
    const char *rules[2] = {
        TEST_SCHEME "[cap.votes]\nlimit = 20\nperiod = \"day\"\nmode = \"both\"\n"
                    "[rule.up]\npoints = 10\ncap_group = \"votes\"\n"
                    "[rule.down]\npoints = -2\ncap_group = \"votes\"\n",
        TEST_SCHEME "[cap.votes]\nlimit = 20\nperiod = \"day\"\nmode = \"net\"\n"
                    "[rule.up]\npoints = 10\ncap_group = \"votes\"\n"
                    "[rule.down]\npoints = -2\ncap_group = \"votes\"\n",
    };
    const int64_t before[2] = { P(1020), P(1018) }, after[2] = { P(1020), P(1020) };
    for (int k = 0; k < 2; k++) {
        civic_engine *e = engine_from(rules[k]);
        load_ok(e, "id,subject,type,ts\na,s,up,2022-05-01T09:00:00\nb,s,up,2022-05-01T10:00:00\n"
                   "c,s,down,2022-05-01T11:00:00\n");
        score_is(e, "2022-05-02", before[k]);
        load_ok(e, "id,subject,type,ts\nd,s,up,2022-05-01T12:00:00\n");
        score_is(e, "2022-05-02", after[k]);
        civic_engine_free(e);
    }
    support_release();
}

/* A net cap's running total of large expired deductions: 8 or 9 of -2^60
 * hundredths take it to -2^63 and past.  limit - net overflowed (undefined;
 * in practice the room wrapped to nothing and the +1 was capped), and the
 * total itself wrapped.  The room is max(0, limit - net): vast here, so the
 * +1 counts, and the score (every fine expired) is the base plus 1. */
static void a_net_cap_far_below_zero_still_has_room(void **state)
{
    (void)state;
    const char *rules[2] = {
        TEST_SCHEME "[cap.c]\nlimit = 1\nperiod = \"lifetime\"\nmode = \"net\"\n"
                    "[rule.fine]\npoints = -703687441776.64\nper = \"unit\"\nvalid = \"1d\"\n"
                    "affects = \"score\"\ncap_group = \"c\"\n"
                    "[rule.help]\npoints = 1\ncap_group = \"c\"\n",
        TEST_SCHEME "[rule.fine]\npoints = -703687441776.64\nper = \"unit\"\nvalid = \"1d\"\n"
                    "affects = \"score\"\ncap = 1\ncap_period = \"lifetime\"\n"
                    "cap_mode = \"net\"\n"
                    "[[rule.fine.change]]\nfrom = \"2020-01-25\"\npoints = 1\nper = \"event\"\n"
                    "valid = \"forever\"\n",
    };
    for (int k = 0; k < 2; k++) {
        for (int fines = 7; fines <= 9; fines++) {
            civic_engine *e = engine_from(rules[k]);
            char log[1024];
            int n = snprintf(log, sizeof(log), "id,subject,type,ts,qty\n");
            for (int i = 0; i < fines; i++)
                n += snprintf(log + n, sizeof(log) - (size_t)n, "f%d,s,fine,2020-01-%02d,16384\n",
                              i, 1 + 2 * i);
            snprintf(log + n, sizeof(log) - (size_t)n, "h,s,%s,2020-02-01,\n",
                     k == 0 ? "help" : "fine");
            load_ok(e, log);
            score_is(e, "2020-03-01", P(1001));
            civic_engine_free(e);
        }
    }
    /* and exact after: nine deductions, eight additions of 2^60 (the true net
     * -2^60), then one more, whose room is 2^60 + 1: it counts whole (a total
     * stopped at INT64_MIN and climbed back gave it 1.00, capped) */
    civic_engine *e = engine_from(
        TEST_SCHEME "[cap.c]\nlimit = 1\nperiod = \"lifetime\"\nmode = \"net\"\n"
                    "[rule.fine]\npoints = -703687441776.64\nper = \"unit\"\nvalid = \"1d\"\n"
                    "affects = \"score\"\ncap_group = \"c\"\n"
                    "[rule.up]\npoints = 703687441776.64\nper = \"unit\"\nvalid = \"1d\"\n"
                    "affects = \"score\"\ncap_group = \"c\"\n");
    char log[1024];
    int n = snprintf(log, sizeof(log), "id,subject,type,ts,qty\n");
    for (int i = 0; i < 9; i++)
        n += snprintf(log + n, sizeof(log) - (size_t)n, "f%d,s,fine,2020-01-%02d,16384\n", i,
                      1 + 2 * i);
    for (int i = 0; i < 8; i++)
        n += snprintf(log + n, sizeof(log) - (size_t)n, "u%d,s,up,2020-01-%02d,16384\n", i, 19 + i);
    snprintf(log + n, sizeof(log) - (size_t)n, "last,s,up,2020-02-10,16384\n");
    load_ok(e, log);
    score_is(e, "2020-02-10T12:00:00", P(1000) + (INT64_C(1) << 60));
    civic_engine_free(e);
    support_release();
}

static void example_11_a_recount_rewrites_the_past_from_its_date(void **state)
{
    (void)state;
    /* affects = "score": a recount of a rule that affects the balance is a
     * load-time error (spendable points are never rewritten) */
    civic_engine *e = engine_from(TEST_SCHEME "[rule.fine]\npoints = -10\naffects = \"score\"\n"
                                  "[[rule.fine.change]]\nfrom = \"2023-01-01\"\npoints = -5\n"
                                  "recount = true\n");
    load_ok(e, "id,subject,type,ts\na,s,fine,2022-06-01\n");
    score_is(e, "2022-12-31", P(990));
    score_is(e, "2022-12-31T23:59:59", P(990));
    score_is(e, "2023-01-01", P(995));
    civic_engine_free(e);
    e = engine_from(TEST_SCHEME "[rule.fine]\npoints = -10\naffects = \"score\"\n"
                                "[[rule.fine.change]]\nfrom = \"2023-01-01\"\npoints = -5\n");
    load_ok(e, "id,subject,type,ts\na,s,fine,2022-06-01\n");
    score_is(e, "2022-12-31", P(990));
    score_is(e, "2023-01-01", P(990));
    civic_engine_free(e);
    support_release();
}

static void example_13_a_correction_lifts_the_ceiling_not_the_freeze(void **state)
{
    (void)state;
    civic_engine *e = engine_from(TEST_SCHEME
                                  "[rule.drunk]\npoints = -150\nceiling = 850\nvalid = \"2y\"\n"
                                  "freeze = true\n[rule.blood]\npoints = 10\nvalid = \"1y\"\n"
                                  "[rule.honour]\npoints = 100\nvalid = \"5y\"\n");
    load_ok(e, "id,subject,type,ts,ref\ne1,s,drunk,2021-05-01,\nh1,s,blood,2021-06-01,\n"
               "c1,s,correct,2021-07-01,e1\nh2,s,honour,2021-08-01,\n");
    civic_score s = score_at(e, "s", "2021-06-15");
    assert_int_equal(s.score, P(850));
    assert_string_equal(s.grade, "B");
    s = score_at(e, "s", "2021-09-01");
    assert_int_equal(s.score, P(950));
    assert_string_equal(s.grade, "B");
    assert_int_equal(s.ceiling, CIVIC_FOREVER);
    s = score_at(e, "s", "2023-05-02");
    assert_int_equal(s.score, P(1100));
    assert_string_equal(s.grade, "AAA");
    civic_record *rec = record_at(e, "s", "2021-09-01");
    assert_true(entry_of(rec, "h1").marks & CIVIC_MARK_FROZEN);
    assert_int_equal(entry_of(rec, "c1").state, CIVIC_STATE_APPLIED);
    assert_int_equal(entry_of(rec, "e1").corrected, when(e, "2021-07-01"));
    civic_record_free(rec);
    civic_engine_free(e);
    support_release();
}

/* ------------------------------------------------------------ boundaries */

static void a_change_applies_from_its_instant_exactly(void **state)
{
    (void)state;
    civic_engine *e = engine_from(TEST_SCHEME FINE_1Y
                                  "[[rule.fine.change]]\nfrom = \"2023-01-01T12:00:00\"\n"
                                  "points = -20\n");
    load_ok(e, "id,subject,type,ts\na,s,fine,2023-01-01T11:59:59\nb,t,fine,2023-01-01T12:00:00\n");
    score_is(e, "2023-02-01", P(990));
    civic_score t = score_at(e, "t", "2023-02-01");
    assert_int_equal(t.score, P(980));
    civic_engine_free(e);
    support_release();
}

static void a_balance_floor_cuts_deductions_and_redeems(void **state)
{
    (void)state;
    civic_engine *e = engine_from("[scheme]\nbase = 1000\nutc_offset = \"+08:00\"\n"
                                  "balance_min = -5\n" TEST_GRADES
                                  "[rule.help]\npoints = 10\n[rule.fine]\npoints = -30\n");
    load_ok(e, "id,subject,type,ts,qty\na,s,help,2022-01-01,\nb,s,fine,2022-01-02,\n"
               "c,s,help,2022-01-03,\nd,s,redeem,2022-01-04,15\ne,s,redeem,2022-01-05,14\n");
    /* balance: +10, -30 floored to -5 (part -15), +10 = 5, redeem 15 -> -10 < -5
     * rejected, redeem 14 -> -9 < -5 rejected; score 1000 + 10 - 30 + 10 */
    civic_score s = score_at(e, "s", "2022-02-01");
    assert_int_equal(s.balance, P(5));
    assert_int_equal(s.score, P(990));
    civic_record *rec = record_at(e, "s", "2022-02-01");
    civic_entry b = entry_of(rec, "b");
    assert_int_equal(b.counted, P(-30));
    assert_int_equal(b.to_balance, P(-15));
    assert_true(b.marks & CIVIC_MARK_FLOORED);
    assert_int_equal(entry_of(rec, "d").state, CIVIC_STATE_REJECTED);
    assert_int_equal(entry_of(rec, "e").state, CIVIC_STATE_REJECTED);
    civic_record_free(rec);
    load_ok(e, "id,subject,type,ts,qty\nf,s,redeem,2022-01-06,10\n");
    s = score_at(e, "s", "2022-02-01");
    assert_int_equal(s.balance, P(-5));
    civic_engine_free(e);
    support_release();
}

static void a_premature_repair_has_no_effect(void **state)
{
    (void)state;
    civic_engine *e = engine_from(TEST_SCHEME "[rule.fine]\npoints = -10\nvalid = \"2y\"\n"
                                              "repair_after = \"3m\"\n");
    load_ok(e, "id,subject,type,ts,ref\nf,s,fine,2022-01-31,\n"
               "p1,s,repair,2022-04-29T23:59:59,f\np2,s,repair,2022-04-30,f\n");
    /* 31 January + 3 months is 30 April (no 31 April) */
    state_is(e, "2022-05-01", "p1", CIVIC_STATE_PREMATURE);
    state_is(e, "2022-05-01", "p2", CIVIC_STATE_APPLIED);
    score_is(e, "2022-04-29T23:59:59", P(990));
    score_is(e, "2022-04-30", P(1000));
    state_is(e, "2022-05-01", "f", CIVIC_STATE_REPAIRED);
    civic_engine_free(e);
    support_release();
}

static void an_objection_after_the_window_is_late(void **state)
{
    (void)state;
    civic_engine *e = engine_from("[scheme]\nbase = 1000\nutc_offset = \"+08:00\"\n"
                                  "contested = \"suspend\"\nobjection_window = \"7d\"\n"
                                  TEST_GRADES FINE_1Y);
    load_ok(e, "id,subject,type,ts,ref\nf,s,fine,2022-03-01,\ng,s,fine,2022-03-01,\n"
               "o1,s,object,2022-03-07T23:59:59,f\no2,s,object,2022-03-08,g\n"
               "o3,s,object,2022-02-28,f\n");
    state_is(e, "2022-03-10", "o1", CIVIC_STATE_APPLIED);
    state_is(e, "2022-03-10", "o2", CIVIC_STATE_LATE);
    state_is(e, "2022-03-10", "o3", CIVIC_STATE_DANGLING);
    state_is(e, "2022-03-10", "f", CIVIC_STATE_CONTESTED);
    state_is(e, "2022-03-10", "g", CIVIC_STATE_ACTIVE);
    score_is(e, "2022-03-10", P(990));
    civic_engine_free(e);
    support_release();
}

static void mark_mode_only_marks_the_entry(void **state)
{
    (void)state;
    civic_engine *e = engine_from(TEST_SCHEME FINE_1Y);
    load_ok(e, "id,subject,type,ts,ref\nf,s,fine,2022-03-01,\no,s,object,2022-03-02,f\n"
               "r,s,revoke,2022-03-03,o\n");
    civic_record *rec = record_at(e, "s", "2022-03-05");
    civic_entry f = entry_of(rec, "f");
    assert_int_equal(f.state, CIVIC_STATE_ACTIVE);
    assert_true(f.marks & CIVIC_MARK_CONTESTED);
    /* a revoke cannot target an objection */
    assert_int_equal(entry_of(rec, "r").state, CIVIC_STATE_DANGLING);
    civic_record_free(rec);
    score_is(e, "2022-03-05", P(990));
    civic_engine_free(e);
    support_release();
}

static void lists_give_the_flagged_stretch_containing_t(void **state)
{
    (void)state;
    civic_engine *e = engine_from(TEST_SCHEME
                                  "[rule.bad]\npoints = 0\nflag = \"dishonest\"\nvalid = \"30d\"\n"
                                  "[measure.no_subsidy]\nkind = \"restriction\"\n"
                                  "flag = \"dishonest\"\n");
    /* s: [1 Jan, 31 Jan) and [31 Jan, 2 Mar) touch: one stretch; t: a gap */
    load_ok(e, "id,subject,type,ts\na,s,bad,2022-01-01\nb,s,bad,2022-01-31\n"
               "c,t,bad,2022-01-01\nd,t,bad,2022-02-15\n");
    civic_list *l = NULL;
    assert_int_equal(civic_engine_list(e, "dishonest", when(e, "2022-02-20"), &l), CIVIC_OK);
    assert_int_equal(civic_list_kind(l), CIVIC_LIST_FLAG);
    assert_int_equal(civic_list_count(l), 2);
    civic_list_entry x = CIVIC_LIST_ENTRY_INIT;
    assert_int_equal(civic_list_get(l, 0, &x), CIVIC_OK);
    assert_string_equal(x.subject, "s");
    assert_int_equal(x.since, when(e, "2022-01-01"));
    assert_int_equal(x.until, when(e, "2022-03-02"));
    assert_int_equal(civic_list_get(l, 1, &x), CIVIC_OK);
    assert_string_equal(x.subject, "t");
    assert_int_equal(x.since, when(e, "2022-02-15"));
    assert_int_equal(x.until, when(e, "2022-03-17"));
    civic_list_free(l);
    assert_int_equal(civic_engine_list(e, "no_subsidy", when(e, "2022-03-10"), &l), CIVIC_OK);
    assert_int_equal(civic_list_kind(l), CIVIC_LIST_MEASURE);
    assert_int_equal(civic_list_count(l), 1);
    assert_int_equal(civic_list_get(l, 0, &x), CIVIC_OK);
    assert_string_equal(x.subject, "t");
    assert_int_equal(x.since, CIVIC_NO_TIME);
    civic_list_free(l);
    assert_int_equal(civic_engine_list(e, "dishonest", when(e, "2023-01-01"), &l), CIVIC_OK);
    assert_int_equal(civic_list_count(l), 0);
    civic_list_free(l);
    assert_int_equal(civic_engine_list(e, "nobody", 0, &l), CIVIC_E_NOTFOUND);
    assert_null(l);
    civic_engine_free(e);
}

/* The list a name that is none most likely meant: of the same letters in
 * another case, or one or two edits away (as the rules reader's "did you
 * mean"), flags before measures; a list gives itself, a tier no list. */
static void a_name_that_is_no_list_gets_the_list_it_meant(void **state)
{
    (void)state;
    civic_rules *r = rules_from(TEST_SCHEME
                                "[rule.bad]\npoints = 0\nflag = \"dishonest\"\n"
                                "[rule.slow]\npoints = -1\nflag = \"late\"\n"
                                "[rule.help]\npoints = 1\n"
                                "[tier.star]\nrules = \"help\"\n"
                                "[[tier.star.level]]\nname = \"1 star\"\nmin = 1\n"
                                "[measure.lace]\nkind = \"restriction\"\nflag = \"late\"\n"
                                "[measure.no_subsidy]\nkind = \"restriction\"\n"
                                "flag = \"dishonest\"\n");
    const char *meant = civic_rules_list_meant(r, "Dishonest");
    assert_non_null(meant);
    assert_string_equal(meant, "dishonest");
    /* two letters swapped, one letter wrong */
    assert_string_equal(civic_rules_list_meant(r, "dishonset"), "dishonest");
    assert_string_equal(civic_rules_list_meant(r, "NO_SUBSIDY"), "no_subsidy");
    assert_string_equal(civic_rules_list_meant(r, "no_subsidi"), "no_subsidy");
    /* "lane" is one edit from the flag "late" and the measure "lace": the flag */
    assert_string_equal(civic_rules_list_meant(r, "lane"), "late");
    /* a list gives itself, as the scheme holds it */
    char name[] = "no_subsidy";
    meant = civic_rules_list_meant(r, name);
    assert_non_null(meant);
    assert_string_equal(meant, "no_subsidy");
    assert_ptr_not_equal(meant, name);
    /* nothing that near; a tier is no list; "x" is one edit from no name
     * of one or two letters */
    assert_null(civic_rules_list_meant(r, "nobody"));
    assert_null(civic_rules_list_meant(r, "star"));
    assert_null(civic_rules_list_meant(r, "x"));
    assert_null(civic_rules_list_meant(r, ""));
    assert_null(civic_rules_list_meant(r, NULL));
    assert_null(civic_rules_list_meant(NULL, "dishonest"));
    civic_rules_free(r);
    /* another case whatever the name's length (edits are measured on names
     * of 32 letters at most); of two names in other cases, the one fewer
     * letters away ("doG": "dog", not "Dog", which comes first) */
    r = rules_from(TEST_SCHEME
                   "[rule.long]\npoints = 0\nflag = \"abcdefghijklmnopqrstuvwxyzabcdefgh\"\n"
                   "[rule.r6]\npoints = 0\nflag = \"Dog\"\n"
                   "[rule.r7]\npoints = 0\nflag = \"dog\"\n");
    assert_string_equal(civic_rules_list_meant(r, "ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFGH"),
                        "abcdefghijklmnopqrstuvwxyzabcdefgh");
    assert_null(civic_rules_list_meant(r, "ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFG"));
    assert_string_equal(civic_rules_list_meant(r, "doG"), "dog");
    assert_string_equal(civic_rules_list_meant(r, "DOg"), "Dog");
    assert_string_equal(civic_rules_list_meant(r, "Dog"), "Dog");
    assert_string_equal(civic_rules_list_meant(r, "dog"), "dog");
    civic_rules_free(r);
    /* of names as near with case ignored, the one nearer in its own
     * letters: "hera" is one edit from "hero", three from "HeRo" (which
     * comes first); "herO" is one letter in another case from "hero", three
     * from "HeRo"; "HeRa" is one edit from "HeRo", three from "hero" */
    r = rules_from(TEST_SCHEME "[rule.r1]\npoints = 0\nflag = \"HeRo\"\n"
                               "[rule.r2]\npoints = 0\nflag = \"hero\"\n");
    assert_string_equal(civic_rules_list_meant(r, "hera"), "hero");
    assert_string_equal(civic_rules_list_meant(r, "herO"), "hero");
    assert_string_equal(civic_rules_list_meant(r, "HeRa"), "HeRo");
    assert_string_equal(civic_rules_list_meant(r, "hEro"), "hero");
    assert_string_equal(civic_rules_list_meant(r, "HERO"), "HeRo");
    civic_rules_free(r);
    /* as near counting case too, the fewest letters in another case:
     * "xaA" is one swap from "xAa" (two letters in another case) and one
     * letter in another case from "xaa" */
    r = rules_from(TEST_SCHEME "[rule.r1]\npoints = 0\nflag = \"xAa\"\n"
                               "[rule.r2]\npoints = 0\nflag = \"xaa\"\n");
    assert_string_equal(civic_rules_list_meant(r, "xaA"), "xaa");
    assert_string_equal(civic_rules_list_meant(r, "XAa"), "xAa");
    civic_rules_free(r);
    /* edits count letters, not bytes: a Chinese character dropped or
     * changed (three bytes each) is one edit, as an ASCII letter is; a
     * four-letter name is allowed one, whatever its bytes */
    r = rules_from(TEST_SCHEME
                   "[rule.bad]\npoints = 0\nflag = \"\xe5\xa4\xb1\xe4\xbf\xa1\xe4\xba"
                   "\xba\xe5\x91\x98\"\n"                  /* 失信人员 */
                   "[rule.cross]\npoints = -1\nflag = \"\xc3\x84rger\"\n"); /* Ärger */
    assert_string_equal(civic_rules_list_meant(r, "\xe5\xa4\xb1\xe4\xbf\xa1\xe4\xba"
                                                  "\xba"),                    /* 失信人 */
                        "\xe5\xa4\xb1\xe4\xbf\xa1\xe4\xba\xba\xe5\x91\x98");
    assert_string_equal(civic_rules_list_meant(r, "\xe5\xa4\xb1\xe8\xa8\x80\xe4\xba"
                                                  "\xba\xe5\x91\x98"),     /* 失言人员 */
                        "\xe5\xa4\xb1\xe4\xbf\xa1\xe4\xba\xba\xe5\x91\x98");
    assert_string_equal(civic_rules_list_meant(r, "Arger"), "\xc3\x84rger");
    /* one letter changed and one added to four: too far */
    assert_null(civic_rules_list_meant(r, "\xe5\xa4\xb1\xe8\xa8\x80\xe4\xba\xba\xe5"
                                          "\x91\x98\xe5\x91\x98"));
    /* the cap is 32 letters, not 32 bytes: an 11-letter name (33 bytes)
     * with its last letter dropped is offered */
    civic_rules_free(r);
    r = rules_from(TEST_SCHEME "[rule.bad]\npoints = 0\nflag = \""
                   "\xe4\xb8\x80\xe4\xba\x8c\xe4\xb8\x89\xe5\x9b\x9b\xe4\xba\x94\xe5\x85\xad"
                   "\xe4\xb8\x83\xe5\x85\xab\xe4\xb9\x9d\xe5\x8d\x81\xe7\x94\xb2\"\n"
                   "[rule.cross]\npoints = -1\nflag = \"\xc3\x84rger\"\n");
    assert_string_equal(civic_rules_list_meant(r, "\xe4\xb8\x80\xe4\xba\x8c\xe4\xb8\x89"
                                                  "\xe5\x9b\x9b\xe4\xba\x94\xe5\x85\xad"
                                                  "\xe4\xb8\x83\xe5\x85\xab\xe4\xb9\x9d"
                                                  "\xe5\x8d\x81"),
                        "\xe4\xb8\x80\xe4\xba\x8c\xe4\xb8\x89\xe5\x9b\x9b\xe4\xba\x94"
                        "\xe5\x85\xad\xe4\xb8\x83\xe5\x85\xab\xe4\xb9\x9d\xe5\x8d\x81"
                        "\xe7\x94\xb2");
    civic_rules_free(r);
}

/* A list's until is where the subject leaves it as known at T: retention
 * archives an entry before its validity ends (10.4: it "stops counting"),
 * an act's members all at its t*.  Computed by hand: 90 days after 1 Jan
 * 2022 is 1 Apr; after 20 Jan, 20 Apr. */
static void a_list_ends_where_retention_archives_the_entry(void **state)
{
    (void)state;
    civic_engine *e = engine_from(TEST_SCHEME
                                  "[rule.bad]\npoints = -5\nflag = \"dishonest\"\nvalid = \"1y\"\n"
                                  "retain = \"90d\"\naffects = \"score\"\n");
    load_ok(e, "id,subject,type,ts,act\na,s,bad,2022-01-01,\n"
               "b1,u,bad,2022-01-01,x\nb2,u,bad,2022-01-20,x\n");
    const char *at[] = { "2022-02-01", "2022-03-31", "2022-04-10", "2022-04-20" };
    const size_t count[] = { 2, 2, 1, 0 };
    for (int k = 0; k < 4; k++) {
        civic_list *l = NULL;
        assert_int_equal(civic_engine_list(e, "dishonest", when(e, at[k]), &l), CIVIC_OK);
        assert_int_equal(civic_list_count(l), count[k]);
        civic_list_entry x = CIVIC_LIST_ENTRY_INIT;
        for (size_t i = 0; i < count[k]; i++) {
            assert_int_equal(civic_list_get(l, i, &x), CIVIC_OK);
            bool act = strcmp(x.subject, "u") == 0;
            assert_int_equal(x.since, when(e, "2022-01-01"));
            assert_int_equal(x.until, when(e, act ? "2022-04-20" : "2022-04-01"));
        }
        civic_list_free(l);
    }
    civic_engine_free(e);
}

/* head, then 12 events of rule big for "rich" (2022-01-01 to 12, each line
 * ending in more: a group's column), loaded into e: an overflowing sum
 * under a scheme whose big is 1e12 points with a large repeat factor. */
static void load_rich(civic_engine *e, const char *head, const char *more)
{
    char log[1024];
    snprintf(log, sizeof(log), "%s", head);
    for (int i = 1; i <= 12; i++) {
        size_t n = strlen(log);
        snprintf(log + n, sizeof(log) - n, "b%d,rich,big,2022-01-%02d%s\n", i, i, more);
    }
    load_ok(e, log);
}

/* A flag's list evaluates only the subjects that can carry the flag: one
 * whose answer overflows (12 repeats of 1e12 points x 90) but holds no
 * event of a rule that names it does not fail the list; a list it may be
 * on, a measure's list and every answer about it still fail. */
static void a_flag_list_evaluates_only_who_can_carry_the_flag(void **state)
{
    (void)state;
    civic_engine *e = engine_from(TEST_SCHEME
                                  "[rule.big]\npoints = 1000000000000\nrepeat_factor = 9000\n"
                                  "[rule.bad]\npoints = 0\nflag = \"dishonest\"\nvalid = \"30d\"\n"
                                  "[rule.odd]\npoints = 0\nflag = \"odd\"\n"
                                  "[measure.watch]\nkind = \"restriction\"\n"
                                  "flag = \"dishonest\"\n");
    load_rich(e, "id,subject,type,ts\na,s,bad,2022-01-01\no,rich,odd,2022-01-01\n", "");
    civic_list *l = NULL;
    assert_int_equal(civic_engine_list(e, "dishonest", when(e, "2022-01-20"), &l), CIVIC_OK);
    assert_int_equal(civic_list_count(l), 1);
    civic_list_entry x = CIVIC_LIST_ENTRY_INIT;
    assert_int_equal(civic_list_get(l, 0, &x), CIVIC_OK);
    assert_string_equal(x.subject, "s");
    assert_int_equal(x.since, when(e, "2022-01-01"));
    assert_int_equal(x.until, when(e, "2022-01-31"));
    civic_list_free(l);
    l = NULL;
    assert_int_equal(civic_engine_list(e, "odd", when(e, "2022-01-20"), &l), CIVIC_E_OVERFLOW);
    assert_null(l);
    assert_int_equal(civic_engine_list(e, "watch", when(e, "2022-01-20"), &l), CIVIC_E_OVERFLOW);
    assert_null(l);
    civic_result *res = NULL;
    assert_int_equal(civic_engine_subjects(e, when(e, "2022-01-20"), &res), CIVIC_E_OVERFLOW);
    civic_engine_free(e);
    support_release();
}

/* One subject whose sum overflows (12 repeats of 1e12 points x 9000) fails
 * every question about all subjects, a ranking of a group it is not in
 * too, while every other subject is still answered one by one (the C API
 * manual says so). */
static void an_overflowing_subject_fails_all_subject_questions_only(void **state)
{
    (void)state;
    civic_engine *e = engine_from(TEST_SCHEME
                                  "[rule.big]\npoints = 1000000000000\nrepeat_factor = 9000\n");
    load_rich(e, "id,subject,type,ts,group\nx1,a,big,2022-01-01,g2\n", ",g1");
    int64_t t = when(e, "2022-01-20");
    civic_result *res = NULL;
    civic_groups *g = NULL;
    civic_record *rec = NULL;
    assert_int_equal(civic_engine_subjects(e, t, &res), CIVIC_E_OVERFLOW);
    assert_int_equal(civic_engine_rank(e, NULL, t, 10, &res), CIVIC_E_OVERFLOW);
    assert_int_equal(civic_engine_rank(e, "g2", t, 10, &res), CIVIC_E_OVERFLOW);
    assert_int_equal(civic_engine_groups(e, 1, t, &g), CIVIC_E_OVERFLOW);
    assert_null(res);
    assert_null(g);
    assert_int_equal(civic_engine_subject(e, "rich", t, &res), CIVIC_E_OVERFLOW);
    assert_int_equal(civic_engine_record(e, "rich", t, &rec), CIVIC_E_OVERFLOW);
    assert_int_equal(civic_engine_subject(e, "a", t, &res), CIVIC_OK);
    assert_int_equal(civic_result_count(res), 1);
    civic_result_free(res);
    assert_int_equal(civic_engine_record(e, "a", t, &rec), CIVIC_OK);
    assert_int_equal(civic_record_count(rec), 1);
    civic_record_free(rec);
    /* before the sum passes the bound, every question is answered */
    assert_int_equal(civic_engine_subjects(e, when(e, "2022-01-05"), &res), CIVIC_OK);
    assert_int_equal(civic_result_count(res), 2);
    civic_result_free(res);
    civic_engine_free(e);
    support_release();
}

/* Whether the ';'-joined names hold name. */
static bool names_hold(const char *names, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = names; *p;) {
        const char *semi = strchr(p, ';');
        size_t k = semi ? (size_t)(semi - p) : strlen(p);
        if (k == n && memcmp(p, name, n) == 0) return true;
        p += k + (semi != NULL);
    }
    return false;
}

/* Every flag's list at t holds exactly the subjects whose answer (all of
 * them, through civic_engine_subjects) carries the flag, with the same
 * group, score and grade. */
static void flag_lists_agree_with_the_answers(const civic_engine *e, int64_t t)
{
    const civic_rules *r = civic_engine_rules(e);
    civic_result *all = NULL;
    assert_int_equal(civic_engine_subjects(e, t, &all), CIVIC_OK);
    for (size_t f = 0; f < civic_rules_flag_count(r); f++) {
        const char *name = civic_rules_flag_name(r, f);
        civic_list *l = NULL;
        assert_int_equal(civic_engine_list(e, name, t, &l), CIVIC_OK);
        size_t k = 0;
        for (size_t i = 0; i < civic_result_count(all); i++) {
            civic_score s = CIVIC_SCORE_INIT;
            assert_int_equal(civic_result_get(all, i, &s), CIVIC_OK);
            if (!names_hold(s.flags, name)) continue;
            civic_list_entry x = CIVIC_LIST_ENTRY_INIT;
            if (civic_list_get(l, k++, &x) != CIVIC_OK)
                fail_msg("flag %s at %lld: %s missing", name, (long long)t, s.subject);
            assert_string_equal(x.subject, s.subject);
            assert_string_equal(x.group, s.group);
            assert_string_equal(x.grade, s.grade);
            assert_int_equal(x.score, s.score);
            assert_true(x.since != CIVIC_NO_TIME && x.since <= t && t < x.until);
        }
        if (civic_list_count(l) != k)
            fail_msg("flag %s at %lld: %zu listed, %zu carry it", name, (long long)t,
                     civic_list_count(l), k);
        civic_list_free(l);
    }
    civic_result_free(all);
}

/* The subjects a flag's list evaluates are those with an event of a rule
 * one of whose versions in force by T names the flag: a change that adds
 * or drops a flag (recount or not), freezes and ceilings, acts whose
 * merged members carry a flag, objections that suspend, and a purge all
 * leave every list as the answers say.  Thirty flags no event carries,
 * and subjects that carry none, are in the scheme and the log too. */
static void flag_lists_hold_whoever_the_answers_flag(void **state)
{
    (void)state;
    char rules[8192];
    int n = snprintf(rules, sizeof(rules), "%s",
        "[scheme]\nbase = 1000\nutc_offset = \"+08:00\"\ncontested = \"suspend\"\n"
        "objection_window = \"15d\"\n" TEST_GRADES
        "[rule.plain]\npoints = 1\n"
        "[rule.a]\npoints = -5\nvalid = \"30d\"\nflag = \"fa\"\n"
        "[[rule.a.change]]\nfrom = \"2022-03-01\"\nflag = \"fb\"\n"
        "[rule.b]\npoints = -3\nvalid = \"90d\"\naffects = \"score\"\n"
        "[[rule.b.change]]\nfrom = \"2022-02-01\"\nrecount = true\nflag = \"fc\"\n"
        "[rule.c]\npoints = -2\nvalid = \"1y\"\naffects = \"score\"\nflag = \"fd\"\n"
        "[[rule.c.change]]\nfrom = \"2022-04-01\"\nrecount = true\nflag = false\n"
        "[rule.d]\npoints = -4\nvalid = \"1y\"\nflag = \"fh\"\n"
        "[[rule.d.change]]\nfrom = \"2022-04-01\"\nflag = false\n"
        "[rule.fr]\npoints = -1\nvalid = \"20d\"\nfreeze = true\nflag = \"fe\"\n"
        "[rule.ce]\npoints = 0\nvalid = \"60d\"\nceiling = 900\nflag = \"ff\"\n"
        "[rule.up]\npoints = 5\nvalid = \"1y\"\nflag = \"fg\"\n"
        "[rule.m]\npoints = -6\nvalid = \"1y\"\nflag = \"fm\"\n");
    for (int i = 0; i < 30; i++)
        n += snprintf(rules + n, sizeof(rules) - (size_t)n,
                      "[rule.u%d]\npoints = -1\nflag = \"u%d\"\n", i, i);
    civic_engine *e = engine_from(rules);
    char log[32768];
    n = snprintf(log, sizeof(log), "%s",
        "id,subject,type,ts,ref,act\n"
        "p0,old,c,2021-01-05,,\np1,old,a,2021-01-06,,\np2,old,plain,2022-01-02,,\n"
        "a1,s1,a,2022-01-10,,\na2,s1,a,2022-03-10,,\na3,s1,plain,2022-01-11,,\n"
        "b1,s2,b,2022-01-05,,\n"
        "c1,s3,c,2022-01-05,,\n"
        "d1,s4,d,2022-01-05,,\nd2,s4,d,2022-04-05,,\n"
        "f1,s5,fr,2022-02-01,,\nf2,s5,up,2022-02-05,,\nf3,s5,ce,2022-02-10,,\n"
        "m1,s6,m,2022-01-10,,x\nm2,s6,a,2022-01-10,,x\nm3,s6,up,2022-02-01,,y\n"
        "m4,s6,fr,2022-02-01,,y\n"
        "o1,s7,a,2022-02-01,,\no2,s7,up,2022-02-01,,\no3,s7,object,2022-02-05,o1,\n"
        "o4,s7,object,2022-02-06,o2,\no5,s7,dismiss,2022-02-07,o4,\n");
    /* enough events that carry no flag that a list of few subjects finds
     * their events through their chains, and one of many by a pass */
    for (int i = 0; i < 400; i++)
        n += snprintf(log + n, sizeof(log) - (size_t)n, "q%d,z%d,plain,2022-01-%02d,,\n", i,
                      i % 7, 1 + i % 28);
    load_ok(e, log);
    /* the instants of changes and events themselves too */
    const char *at[] = { "2022-01-20", "2022-02-01", "2022-02-02", "2022-02-15", "2022-03-15",
                         "2022-04-01", "2022-04-10", "2022-06-01", "2023-06-01" };
    for (int k = 0; k < 9; k++) flag_lists_agree_with_the_answers(e, when(e, at[k]));
    assert_int_equal(civic_engine_purge(e, when(e, "2021-12-31"), NULL, NULL), CIVIC_OK);
    for (int k = 0; k < 9; k++) flag_lists_agree_with_the_answers(e, when(e, at[k]));
    civic_engine_free(e);
    support_release();
}

/* ------------------------------------------------------------ more */

static int64_t tier_of(const civic_engine *e, const char *subject, const char *as_of,
                       uint32_t *level)
{
    civic_result *res = NULL;
    assert_int_equal(civic_engine_subject(e, subject, when(e, as_of), &res), CIVIC_OK);
    civic_tier_value t = CIVIC_TIER_VALUE_INIT;
    assert_int_equal(civic_result_tier(res, 0, 0, &t), CIVIC_OK);
    civic_result_free(res);
    *level = t.level;
    return t.value;
}

static void tier_windows_count_what_falls_inside_them(void **state)
{
    (void)state;
    const char *windows[] = { "lifetime", "year", "quarter", "month", "90d" };
    /* 3 units on 2021-12-31, 5 on 2022-01-01, 7 on 2022-03-31, 11 on 2022-04-01 */
    const char *log = "id,subject,type,ts,qty\na,s,h,2021-12-31T23:59:59,3\nb,s,h,2022-01-01,5\n"
                      "c,s,h,2022-03-31,7\nd,s,h,2022-04-01,11\n";
    /* as of 2022-04-01: lifetime 26; year 2022: 23; Q2: 11; April: 11;
     * 90 days: eff + 90d > T, i.e. eff after 2022-01-01: 7 + 11 (b's 90 days
     * end exactly at 2022-04-01: out) */
    const int64_t want[] = { 26000, 23000, 11000, 11000, 18000 };
    for (int w = 0; w < 5; w++) {
        char rules[512];
        snprintf(rules, sizeof(rules), TEST_SCHEME "[rule.h]\npoints = 1\nper = \"unit\"\n"
                 "[tier.t]\nrules = \"h\"\nwindow = \"%s\"\n[[tier.t.level]]\nname = \"one\"\n"
                 "min = 11\n[[tier.t.level]]\nname = \"two\"\nmin = 23\n", windows[w]);
        civic_engine *e = engine_from(rules);
        load_ok(e, log);
        uint32_t level;
        int64_t v = tier_of(e, "s", "2022-04-01", &level);
        if (v != want[w]) fprintf(stderr, "window %s: %lld\n", windows[w], (long long)v);
        assert_int_equal(v, want[w]);
        assert_int_equal(level, want[w] >= 23000 ? 1u : 0u);
        /* a second before: d does not exist yet */
        v = tier_of(e, "s", "2022-03-31T23:59:59", &level);
        assert_true(v < want[w] || w == 2 || w == 3);
        civic_engine_free(e);
    }
}

static void measures_hold_when_every_condition_holds(void **state)
{
    (void)state;
    civic_engine *e = engine_from(TEST_SCHEME
        "[rule.h]\npoints = 1\nper = \"unit\"\n[rule.bad]\npoints = -100\nflag = \"f\"\n"
        "[tier.t]\nrules = \"h\"\n[[tier.t.level]]\nname = \"one\"\nmin = 10\n"
        "[[tier.t.level]]\nname = \"two\"\nmin = 20\n"
        "[measure.by_grade]\nkind = \"incentive\"\ngrades = \"AAA;AA\"\n"
        "[measure.by_flag]\nkind = \"restriction\"\nflag = \"f\"\n"
        "[measure.by_tier]\nkind = \"incentive\"\ntier = \"t\"\nmin_level = \"two\"\n"
        "[measure.by_min]\nkind = \"incentive\"\nmin_score = 1020\n"
        "[measure.by_max]\nkind = \"restriction\"\nmax_score = 1000\n"
        "[measure.all]\nkind = \"incentive\"\ngrades = \"AA\"\ntier = \"t\"\nmin_level = \"one\"\n"
        "min_score = 1030\nmax_score = 1049\n");
    /* a: 1035 (AA), tier 35 -> two; b: 1020 (A), tier 20 -> two; c: 910 with
     * the flag, tier 10 -> one; d: 1000 exactly, no tier level */
    load_ok(e, "id,subject,type,ts,qty\na1,a,h,2022-01-01,35\nb1,b,h,2022-01-01,20\n"
               "c1,c,h,2022-01-01,10\nc2,c,bad,2022-01-02,\nd1,d,h,2022-01-01,0\n");
    const char *want[][2] = { { "a", "all;by_grade;by_min;by_tier" }, { "b", "by_min;by_tier" },
                              { "c", "by_flag;by_max" }, { "d", "by_max" } };
    for (int k = 0; k < 4; k++) {
        civic_score s = score_at(e, want[k][0], "2022-02-01");
        if (strcmp(s.measures, want[k][1]) != 0) fprintf(stderr, "%s: %s\n", want[k][0], s.measures);
        assert_string_equal(s.measures, want[k][1]);
    }
    civic_engine_free(e);
    support_release();
}

static void a_freeze_ends_with_its_entry_exactly(void **state)
{
    (void)state;
    civic_engine *e = engine_from(TEST_SCHEME
        "[rule.d]\npoints = -50\nvalid = \"30d\"\nfreeze = true\n[rule.h]\npoints = 10\n");
    load_ok(e, "id,subject,type,ts\nd1,s,d,2022-01-01\nh1,s,h,2022-01-30T23:59:59\n"
               "h2,s,h,2022-01-31\n");
    /* d1 ends 2022-01-31 00:00: h1 (a second before) is frozen, h2 is not */
    civic_record *rec = record_at(e, "s", "2022-02-01");
    assert_true(entry_of(rec, "h1").marks & CIVIC_MARK_FROZEN);
    assert_false(entry_of(rec, "h2").marks & CIVIC_MARK_FROZEN);
    civic_record_free(rec);
    score_is(e, "2022-02-01", P(1010));
    civic_engine_free(e);
    support_release();
}

/* Every arrival order and every split into batches gives the same answers. */
static void version_two_answers_do_not_depend_on_arrival_order(void **state)
{
    (void)state;
    const char *rules = "[scheme]\nbase = 1000\nutc_offset = \"+08:00\"\ncontested = \"suspend\"\n"
                        "balance_min = 0\n" TEST_GRADES
                        "[[validity]]\nup_to = 40\nvalid = \"1y\"\n[[validity]]\nvalid = \"2y\"\n"
                        "[cap.v]\nlimit = 20\nperiod = \"day\"\nmode = \"net\"\n"
                        "[rule.fine]\npoints = -30\nvalid = \"by-severity\"\nrepeat_factor = 2\n"
                        "category = \"c\"\nretain = \"3y\"\naffects = \"score\"\nflag = \"w\"\n"
                        "[rule.park]\npoints = -10\ncategory = \"c\"\nrepeat_factor = 2\n"
                        "[rule.up]\npoints = 10\ncap_group = \"v\"\npublicity = \"2d\"\n"
                        "[rule.down]\npoints = -2\ncap_group = \"v\"\n"
                        "[rule.d]\npoints = 0\nceiling = 900\nfreeze = true\nvalid = \"60d\"\n"
                        "repair_after = \"10d\"\n"
                        "[[rule.up.change]]\nfrom = \"2022-03-01\"\npoints = 12\n";
    const char *lines[] = {
        "a1,s,fine,2022-01-01T10:00:00,,x,", "a2,s,park,2022-01-01T10:00:00,,x,",
        "b1,s,park,2022-02-01,,,", "u1,s,up,2022-02-02T09:00:00,,,o1",
        "u2,s,up,2022-02-02T10:00:00,,,", "w1,s,down,2022-02-04T11:00:00,,,",
        "u3,s,up,2022-02-04T12:00:00,,,", "d1,s,d,2022-02-10,,,", "u4,s,up,2022-02-15,,,",
        "p1,s,repair,2022-02-15,d1,,", "p2,s,repair,2022-02-25,d1,,", "c1,s,correct,2022-02-12,d1,,",
        "o1,s,object,2022-02-05,b1,,", "x1,s,dismiss,2022-02-20,o1,,", "r1,s,revoke,2022-03-02,u4,,",
        "u5,s,up,2022-03-05,,,", "f9,s,fine,2019-01-01,,,",
    };
    size_t n = sizeof(lines) / sizeof(lines[0]);
    char *reference = NULL;
    rng_seed(42);
    for (int round = 0; round < 30; round++) {
        civic_engine *e = engine_from(rules);
        size_t order[32];
        for (size_t i = 0; i < n; i++) order[i] = i;
        for (size_t i = n - 1; round && i > 0; i--) {
            size_t j = rng_next() % (i + 1), t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        size_t cut = round ? rng_next() % n : n; /* two batches */
        for (int half = 0; half < 2; half++) {
            char csv[4096] = "id,subject,type,ts,ref,act,source\n";
            for (size_t k = half ? cut : 0; k < (half ? n : cut); k++) {
                strcat(csv, lines[order[k]]);
                strcat(csv, "\n");
            }
            load_ok(e, csv);
        }
        char *got = malloc(1 << 14);
        got[0] = '\0';
        const char *times[] = { "2022-02-03", "2022-02-11", "2022-02-21", "2022-03-10", "2023-01-01" };
        for (int t = 0; t < 5; t++) {
            civic_record *rec = record_at(e, "s", times[t]);
            civic_score sum = CIVIC_SCORE_INIT;
            civic_record_summary(rec, &sum);
            size_t len = strlen(got);
            snprintf(got + len, (1 << 14) - len, "%lld %lld %s %s|", (long long)sum.score,
                     (long long)sum.balance, sum.flags, sum.measures);
            for (size_t i = 0; i < civic_record_count(rec); i++) {
                civic_entry x = CIVIC_ENTRY_INIT;
                civic_record_entry(rec, i, &x);
                len = strlen(got);
                snprintf(got + len, (1 << 14) - len, "%s:%u:%u:%lld:%lld ", x.id, x.state, x.marks,
                         (long long)x.counted, (long long)x.end);
            }
            civic_record_free(rec);
        }
        if (!reference) reference = got;
        else {
            assert_string_equal(got, reference);
            free(got);
        }
        civic_engine_free(e);
    }
    free(reference);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(example_1_a_change_keeps_old_weights_for_old_events),
        cmocka_unit_test(example_2_a_repeat_by_category),
        cmocka_unit_test(example_3_validity_follows_the_escalated_size),
        cmocka_unit_test(example_5_a_freeze_stops_additions_until_repaired),
        cmocka_unit_test(example_6_publicity_holds_an_entry_pending),
        cmocka_unit_test(only_a_rule_with_publicity_takes_effect_later),
        cmocka_unit_test(example_7_an_objection_suspends_until_dismissed),
        cmocka_unit_test(a_list_ends_where_retention_archives_the_entry),
        cmocka_unit_test(example_8_retention_archives_after_five_years),
        cmocka_unit_test(a_scheme_without_changes_reads_every_rule_from_its_base_table),
        cmocka_unit_test(example_9_a_tier_counts_hours_whatever_the_caps),
        cmocka_unit_test(own_caps_share_room_across_versions_by_period_and_mode),
        cmocka_unit_test(example_10_a_net_cap_lets_downvotes_give_room_back),
        cmocka_unit_test(a_net_cap_far_below_zero_still_has_room),
        cmocka_unit_test(example_11_a_recount_rewrites_the_past_from_its_date),
        cmocka_unit_test(example_13_a_correction_lifts_the_ceiling_not_the_freeze),
        cmocka_unit_test(a_change_applies_from_its_instant_exactly),
        cmocka_unit_test(a_balance_floor_cuts_deductions_and_redeems),
        cmocka_unit_test(a_premature_repair_has_no_effect),
        cmocka_unit_test(an_objection_after_the_window_is_late),
        cmocka_unit_test(mark_mode_only_marks_the_entry),
        cmocka_unit_test(lists_give_the_flagged_stretch_containing_t),
        cmocka_unit_test(a_name_that_is_no_list_gets_the_list_it_meant),
        cmocka_unit_test(a_flag_list_evaluates_only_who_can_carry_the_flag),
        cmocka_unit_test(an_overflowing_subject_fails_all_subject_questions_only),
        cmocka_unit_test(flag_lists_hold_whoever_the_answers_flag),
        cmocka_unit_test(tier_windows_count_what_falls_inside_them),
        cmocka_unit_test(measures_hold_when_every_condition_holds),
        cmocka_unit_test(a_freeze_ends_with_its_entry_exactly),
        cmocka_unit_test(version_two_answers_do_not_depend_on_arrival_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
