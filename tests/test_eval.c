/*
** test_eval.c -- SPEC section 4 (evaluation) through the public API.
** Every expected value below was computed by hand from SPEC; the comments
** show the arithmetic.  (The scheme's bounds and clamp mode are not in the
** API: the_record_explains_every_score reads them through lib/internal.h.)
*/
#include "support.h"
#include "internal.h"

#include <ctype.h>

static void teardown_results(void) { support_release(); }

/* ------------------------------------------------ SPEC section 8 examples */

static void spec_example_1_fine_expires_after_one_year(void **state)
{
    (void)state;
    civic_engine *e = engine_from(TEST_SCHEME "[rule.fine]\npoints = -10\nvalid = \"1y\"\n");
    load_ok(e, "id,subject,type,ts\nf1,s1,fine,2022-03-01\n");
    civic_score s = score_at(e, "s1", "2022-06-01");
    assert_int_equal(s.score, P(990));
    assert_string_equal(s.grade, "A");
    s = score_at(e, "s1", "2023-06-01");
    assert_int_equal(s.score, P(1000));
    assert_string_equal(s.grade, "A");
    /* expiry boundary: in effect just before 2023-03-01T00:00+08:00, not at it */
    assert_int_equal(score_at(e, "s1", "2023-02-28T23:59:59").score, P(990));
    assert_int_equal(score_at(e, "s1", "2023-03-01T00:00:00").score, P(1000));
    assert_int_equal(score_at(e, "s1", "2023-03-01T00:00:01").score, P(1000));
    teardown_results();
    civic_engine_free(e);
}

static void spec_example_2_repeat_doubles_while_the_first_is_in_effect(void **state)
{
    (void)state;
    civic_engine *e = engine_from(TEST_SCHEME
                                  "[rule.dog]\npoints = -10\nvalid = \"1y\"\nrepeat_factor = 2\n");
    load_ok(e, "id,subject,type,ts\nd1,s,dog,2022-01-10\nd2,s,dog,2022-06-10\n");
    assert_int_equal(score_at(e, "s", "2022-07-01").score, P(970)); /* -10 then -20 */
    assert_int_equal(score_at(e, "s", "2023-02-01").score, P(980)); /* d1 expired */
    assert_int_equal(score_at(e, "s", "2023-07-01").score, P(1000));
    teardown_results();
    civic_engine_free(e);
}

static void spec_example_3_yearly_cap_stops_the_fifth_donation(void **state)
{
    (void)state;
    civic_engine *e = engine_from(TEST_SCHEME
                                  "[rule.donation]\npoints = 10\ncap = 40\ncap_period = \"year\"\n");
    load_ok(e, "id,subject,type,ts\na,s,donation,2023-01-05\nb,s,donation,2023-03-05\n"
               "c,s,donation,2023-05-05\nd,s,donation,2023-07-05\nx,s,donation,2023-09-05\n");
    civic_score s = score_at(e, "s", "2023-12-31");
    assert_int_equal(s.score, P(1040));
    assert_string_equal(s.grade, "AA");
    civic_record *rec = NULL;
    assert_int_equal(civic_engine_record(e, "s", when(e, "2023-12-31"), &rec), CIVIC_OK);
    assert_int_equal(civic_record_count(rec), 5);
    civic_entry x = CIVIC_ENTRY_INIT;
    assert_int_equal(civic_record_entry(rec, 4, &x), CIVIC_OK);
    assert_string_equal(x.id, "x");
    assert_int_equal(x.raw, P(10));
    assert_int_equal(x.counted, 0);
    assert_true(x.marks & CIVIC_MARK_CAPPED);
    assert_int_equal(x.state, CIVIC_STATE_ACTIVE);
    civic_record_free(rec);
    /* a new year opens a new bucket */
    load_ok(e, "id,subject,type,ts\ny,s,donation,2024-01-01\n");
    assert_int_equal(score_at(e, "s", "2024-01-02").score, P(1050));
    teardown_results();
    civic_engine_free(e);
}

static void spec_example_4_ceiling_grades_drunk_driving_b(void **state)
{
    (void)state;
    civic_engine *e = engine_from(TEST_SCHEME "[rule.drunk_driving]\npoints = 0\n"
                                  "ceiling = 850\nvalid = \"2y\"\n");
    load_ok(e, "id,subject,type,ts\nd,s,drunk_driving,2022-02-01\n");
    civic_score s = score_at(e, "s", "2022-03-01");
    assert_int_equal(s.score, P(850));
    assert_string_equal(s.grade, "B");
    assert_int_equal(s.ceiling, P(850));
    s = score_at(e, "s", "2024-03-01");
    assert_int_equal(s.score, P(1000));
    assert_string_equal(s.grade, "A");
    assert_int_equal(s.ceiling, CIVIC_FOREVER);
    teardown_results();
    civic_engine_free(e);
}

static void spec_example_5_repair_replaces_the_defaulter_listing(void **state)
{
    (void)state;
    civic_engine *e = engine_from(TEST_SCHEME
                                  "[rule.defaulter]\npoints = 0\nceiling = 599\nvalid = \"5y\"\n"
                                  "flag = \"dishonest\"\n"
                                  "[rule.repaired_default]\npoints = -50\nvalid = \"2y\"\n");
    load_ok(e, "id,subject,type,ts,ref\ne1,s,defaulter,2022-03-01,\n"
               "p1,s,repair,2022-09-01,e1\nr1,s,repaired_default,2022-09-01,\n");
    civic_score s = score_at(e, "s", "2022-06-01");
    assert_int_equal(s.score, P(599));
    assert_string_equal(s.grade, "D");
    assert_string_equal(s.flags, "dishonest");
    s = score_at(e, "s", "2022-10-01");
    assert_int_equal(s.score, P(950));
    assert_string_equal(s.grade, "B");
    assert_string_equal(s.flags, "");
    teardown_results();
    civic_engine_free(e);
}

static void spec_example_6_revoke_acts_from_its_own_time(void **state)
{
    (void)state;
    civic_engine *e = engine_from(TEST_SCHEME "[rule.fine]\npoints = -10\nvalid = \"1y\"\n");
    load_ok(e, "id,subject,type,ts,ref\nf,s,fine,2022-03-01,\nr,s,revoke,2022-04-01,f\n");
    assert_int_equal(score_at(e, "s", "2022-03-15").score, P(990));
    assert_int_equal(score_at(e, "s", "2022-04-01").score, P(1000));
    assert_int_equal(score_at(e, "s", "2025-01-01").score, P(1000));
    civic_record *rec = NULL;
    assert_int_equal(civic_engine_record(e, "s", when(e, "2022-04-01"), &rec), CIVIC_OK);
    civic_entry x = CIVIC_ENTRY_INIT;
    assert_int_equal(civic_record_entry(rec, 0, &x), CIVIC_OK);
    assert_string_equal(x.id, "f");
    assert_int_equal(x.state, CIVIC_STATE_REVOKED);
    assert_int_equal(x.counted, 0);
    assert_int_equal(civic_record_entry(rec, 1, &x), CIVIC_OK);
    assert_int_equal(x.state, CIVIC_STATE_APPLIED);
    assert_int_equal(x.kind, CIVIC_KIND_REVOKE);
    civic_record_free(rec);
    teardown_results();
    civic_engine_free(e);
}

/* ------------------------------------------------ one feature at a time */

static civic_entry entry_at(civic_engine *e, const char *subject, const char *as_of, size_t i,
                            civic_record **rec)
{
    civic_entry x = CIVIC_ENTRY_INIT;
    civic_record_free(*rec);
    *rec = NULL;
    assert_int_equal(civic_engine_record(e, subject, when(e, as_of), rec), CIVIC_OK);
    assert_int_equal(civic_record_entry(*rec, i, &x), CIVIC_OK);
    return x;
}

static void per_unit_points_round_half_away_from_zero(void **state)
{
    (void)state;
    civic_engine *e = engine_from(TEST_SCHEME
                                  "[rule.up]\npoints = 0.01\nper = \"unit\"\n"
                                  "[rule.down]\npoints = -0.01\nper = \"unit\"\n"
                                  "[rule.hours]\npoints = 3\nper = \"unit\"\n");
    load_ok(e, "id,subject,type,ts,qty\n"
               "a,s,up,2024-01-01,0.5\n"     /* 0.005 -> 0.01 */
               "b,s,up,2024-01-02,0.499\n"   /* 0.00499 -> 0.00 */
               "c,s,down,2024-01-03,0.5\n"   /* -0.005 -> -0.01 */
               "d,s,hours,2024-01-04,2.5\n"  /* 7.50 */
               "f,s,hours,2024-01-05,\n");   /* qty defaults to 1 -> 3.00 */
    civic_record *rec = NULL;
    assert_int_equal(entry_at(e, "s", "2024-02-01", 0, &rec).raw, 1);
    assert_int_equal(entry_at(e, "s", "2024-02-01", 1, &rec).raw, 0);
    assert_int_equal(entry_at(e, "s", "2024-02-01", 2, &rec).raw, -1);
    assert_int_equal(entry_at(e, "s", "2024-02-01", 3, &rec).raw, 750);
    assert_int_equal(entry_at(e, "s", "2024-02-01", 4, &rec).raw, 300);
    assert_int_equal(score_at(e, "s", "2024-02-01").score, P(1000) + 1 + 0 - 1 + 750 + 300);
    civic_record_free(rec);
    teardown_results();
    civic_engine_free(e);
}

static void repeat_factor_multiplies_once_and_never_compounds(void **state)
{
    (void)state;
    civic_engine *e = engine_from(TEST_SCHEME
                                  "[rule.dog]\npoints = -10\nvalid = \"1y\"\nrepeat_factor = 2\n"
                                  "[rule.noise]\npoints = -10\nrepeat_factor = 1.5\n");
    load_ok(e, "id,subject,type,ts\na,s,dog,2022-01-01\nb,s,dog,2022-02-01\nc,s,dog,2022-03-01\n"
               "n1,t,noise,2022-01-01\nn2,t,noise,2022-01-02\n");
    /* -10, -20, -20: the factor applies once, not 2 x 2 */
    assert_int_equal(score_at(e, "s", "2022-04-01").score, P(950));
    /* -10, then -15 */
    assert_int_equal(score_at(e, "t", "2022-04-01").score, P(975));
    civic_record *rec = NULL;
    civic_entry x = entry_at(e, "s", "2022-04-01", 2, &rec);
    assert_int_equal(x.raw, P(-20));
    assert_true(x.marks & CIVIC_MARK_ESCALATED);
    x = entry_at(e, "s", "2022-04-01", 0, &rec);
    assert_false(x.marks & CIVIC_MARK_ESCALATED);
    civic_record_free(rec);
    teardown_results();
    civic_engine_free(e);
}

static void repeat_needs_the_earlier_event_still_in_effect(void **state)
{
    (void)state;
    civic_engine *e = engine_from(TEST_SCHEME
                                  "[rule.dog]\npoints = -10\nvalid = \"30d\"\nrepeat_factor = 2\n");
    /* b comes exactly when a ends: a is no longer in effect, no escalation */
    load_ok(e, "id,subject,type,ts\na,s,dog,2022-01-01\nb,s,dog,2022-01-31\n");
    assert_int_equal(score_at(e, "s", "2022-02-01").score, P(990));
    teardown_results();
    civic_engine_free(e);
}

static void own_caps_follow_local_calendar_periods(void **state)
{
    (void)state;
    civic_engine *e = engine_from(TEST_SCHEME
                                  "[rule.d]\npoints = 5\ncap = 8\ncap_period = \"day\"\n"
                                  "[rule.w]\npoints = 5\ncap = 8\ncap_period = \"week\"\n"
                                  "[rule.q]\npoints = 5\ncap = 8\ncap_period = \"quarter\"\n"
                                  "[rule.l]\npoints = 5\ncap = 8\ncap_period = \"lifetime\"\n"
                                  "[rule.m]\npoints = 5\ncap = 8\ncap_period = \"month\"\n");
    load_ok(e, "id,subject,type,ts\n"
               /* day: 16:30Z is 00:30 the next local day (+08:00): two buckets */
               "d1,a,d,2024-01-01T10:00:00+08:00\nd2,a,d,2024-01-01T16:30:00Z\n"
               /* same local day: 5 + 3 */
               "d3,b,d,2024-01-01T01:00:00\nd4,b,d,2024-01-01T23:59:59\n"
               /* ISO weeks start on Monday: Sunday 7th and Monday 8th differ */
               "w1,c,w,2024-01-07\nw2,c,w,2024-01-08\n"
               /* Monday 8th and Sunday 14th share a week: 5 + 3 */
               "w3,d,w,2024-01-08\nw4,d,w,2024-01-14T23:00:00\n"
               /* quarters: 31 March and 1 April differ; January and March do not */
               "q1,f,q,2024-03-31\nq2,f,q,2024-04-01\nq3,g,q,2024-01-01\nq4,g,q,2024-03-31\n"
               "l1,h,l,2020-01-01\nl2,h,l,2030-01-01\n"
               "m1,i,m,2024-01-31T23:59:59\nm2,i,m,2024-02-01T00:00:00\n");
    const char *t = "2031-01-01";
    assert_int_equal(score_at(e, "a", t).score, P(1010));
    assert_int_equal(score_at(e, "b", t).score, P(1008));
    assert_int_equal(score_at(e, "c", t).score, P(1010));
    assert_int_equal(score_at(e, "d", t).score, P(1008));
    assert_int_equal(score_at(e, "f", t).score, P(1010));
    assert_int_equal(score_at(e, "g", t).score, P(1008));
    assert_int_equal(score_at(e, "h", t).score, P(1008));
    assert_int_equal(score_at(e, "i", t).score, P(1010));
    teardown_results();
    civic_engine_free(e);
}

static void shared_caps_are_drawn_on_by_several_rules(void **state)
{
    (void)state;
    civic_engine *e = engine_from(TEST_SCHEME
                                  "[cap.g]\nlimit = 6\nperiod = \"month\"\n"
                                  "[rule.a]\npoints = 3\ncap_group = \"g\"\n"
                                  "[rule.b]\npoints = 4\ncap_group = \"g\"\n"
                                  "[rule.c]\npoints = 5\ncap = 4\ncap_period = \"month\"\ncap_group = \"g\"\n");
    load_ok(e, "id,subject,type,ts\n"
               "1,s,a,2024-01-02\n2,s,b,2024-01-03\n3,s,a,2024-01-04\n4,s,b,2024-02-01\n"
               /* c: min(5, own 4, shared 6) = 4, then a gets the 2 left */
               "5,t,c,2024-01-02\n6,t,a,2024-01-03\n");
    assert_int_equal(score_at(e, "s", "2024-03-01").score, P(1010)); /* 3 + 3 + 0 + 4 */
    assert_int_equal(score_at(e, "t", "2024-03-01").score, P(1006)); /* 4 + 2 */
    civic_record *rec = NULL;
    civic_entry x = entry_at(e, "s", "2024-03-01", 1, &rec);
    assert_int_equal(x.raw, P(4));
    assert_int_equal(x.counted, P(3));
    assert_true(x.marks & CIVIC_MARK_CAPPED);
    civic_record_free(rec);
    teardown_results();
    civic_engine_free(e);
}

static void a_revoke_gives_back_the_cap_room_it_used(void **state)
{
    (void)state;
    civic_engine *e = engine_from(TEST_SCHEME
                                  "[rule.donation]\npoints = 10\ncap = 40\ncap_period = \"year\"\n");
    load_ok(e, "id,subject,type,ts,ref\na,s,donation,2023-01-05,\nb,s,donation,2023-02-05,\n"
               "c,s,donation,2023-03-05,\nd,s,donation,2023-04-05,\nx,s,donation,2023-05-05,\n"
               "r,s,revoke,2023-06-01,b\n");
    civic_record *rec = NULL;
    civic_entry x = entry_at(e, "s", "2023-05-31", 4, &rec);
    assert_int_equal(x.counted, 0);
    x = entry_at(e, "s", "2023-06-01", 4, &rec);
    assert_string_equal(x.id, "x");
    assert_int_equal(x.counted, P(10));
    assert_false(x.marks & CIVIC_MARK_CAPPED);
    assert_int_equal(score_at(e, "s", "2023-06-01").score, P(1040));
    civic_record_free(rec);
    teardown_results();
    civic_engine_free(e);
}

static void calendar_validity_clamps_to_the_end_of_short_months(void **state)
{
    (void)state;
    civic_engine *e = engine_from(TEST_SCHEME
                                  "[rule.m]\npoints = -10\nvalid = \"1m\"\n"
                                  "[rule.y]\npoints = -10\nvalid = \"1y\"\n"
                                  "[rule.em]\npoints = -10\nvalid = \"end-of-month\"\n"
                                  "[rule.eq]\npoints = -10\nvalid = \"end-of-quarter\"\n"
                                  "[rule.ey]\npoints = -10\nvalid = \"end-of-year\"\n"
                                  "[rule.d]\npoints = -10\nvalid = \"10d\"\n");
    load_ok(e, "id,subject,type,ts\n"
               "1,m,m,2024-01-31T12:00:00\n"   /* ends 2024-02-29T12:00 (leap year) */
               "2,y,y,2024-02-29\n"            /* ends 2025-02-28 */
               "3,em,em,2024-05-15\n"          /* ends 2024-06-01 */
               "4,eq,eq,2024-05-15\n"          /* ends 2024-07-01 */
               "5,ey,ey,2024-05-15\n"          /* ends 2025-01-01 */
               "6,d,d,2024-05-15T10:00:00\n"); /* ends 2024-05-25T10:00 */
    assert_int_equal(score_at(e, "m", "2024-02-29T11:59:59").score, P(990));
    assert_int_equal(score_at(e, "m", "2024-02-29T12:00:00").score, P(1000));
    assert_int_equal(score_at(e, "y", "2025-02-27T23:59:59").score, P(990));
    assert_int_equal(score_at(e, "y", "2025-02-28").score, P(1000));
    assert_int_equal(score_at(e, "em", "2024-05-31T23:59:59").score, P(990));
    assert_int_equal(score_at(e, "em", "2024-06-01").score, P(1000));
    assert_int_equal(score_at(e, "eq", "2024-06-30T23:59:59").score, P(990));
    assert_int_equal(score_at(e, "eq", "2024-07-01").score, P(1000));
    assert_int_equal(score_at(e, "ey", "2024-12-31T23:59:59").score, P(990));
    assert_int_equal(score_at(e, "ey", "2025-01-01").score, P(1000));
    assert_int_equal(score_at(e, "d", "2024-05-25T09:59:59").score, P(990));
    assert_int_equal(score_at(e, "d", "2024-05-25T10:00:00").score, P(1000));
    civic_record *rec = NULL;
    civic_entry x = entry_at(e, "m", "2024-03-01", 0, &rec);
    assert_int_equal(x.state, CIVIC_STATE_EXPIRED);
    assert_int_equal(x.end, when(e, "2024-02-29T12:00:00"));
    civic_record_free(rec);
    teardown_results();
    civic_engine_free(e);
}

static int month_days(int y, int m)
{
    static const int dim[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    return m == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0) ? 29 : dim[m - 1];
}

/* The fold carries an event's calendar date over from the event before it
 * within a month, and steps to the next month by that month's length.  A
 * subject per rule, an event a day from November 2023 to March 2025 (a
 * leap February, two new years) but for June and July 2024 (a gap no step
 * crosses): a cap of one event per month, quarter or year counts the first
 * event of each and no other, and a month's validity ends on the same day
 * a month later, or the last day of a shorter month. */
static void every_day_of_a_long_run_is_in_its_own_month(void **state)
{
    (void)state;
    civic_engine *e = engine_from(TEST_SCHEME "[rule.v]\npoints = -1\nvalid = \"1m\"\n"
                                  "[rule.m]\npoints = 5\ncap = 5\ncap_period = \"month\"\n"
                                  "[rule.q]\npoints = 5\ncap = 5\ncap_period = \"quarter\"\n"
                                  "[rule.y]\npoints = 5\ncap = 5\ncap_period = \"year\"\n");
    static const char *const rule[] = { "v", "m", "q", "y" };
    size_t cap = (size_t)1 << 17, len = 0, days = 0;
    char *csv = malloc(cap);
    assert_non_null(csv);
    len += (size_t)snprintf(csv, cap, "id,subject,type,ts\n");
    for (int y = 2023, m = 11, d = 1; y < 2025 || m <= 3;) {
        if (!(y == 2024 && (m == 6 || m == 7))) {
            for (size_t r = 0; r < 4; r++)
                len += (size_t)snprintf(csv + len, cap - len, "%s%zu,%s,%s,%04d-%02d-%02d\n",
                                        rule[r], days, rule[r], rule[r], y, m, d);
            days++;
        }
        if (++d > month_days(y, m)) {
            d = 1;
            if (++m > 12) {
                m = 1;
                y++;
            }
        }
    }
    assert_true(len < cap);
    load_ok(e, csv);
    free(csv);
    civic_record *rec = NULL;
    for (size_t r = 0; r < 4; r++) {
        assert_int_equal(civic_engine_record(e, rule[r], when(e, "2025-06-01"), &rec), CIVIC_OK);
        assert_int_equal(civic_record_count(rec), days);
        size_t i = 0;
        int64_t last_bucket = -1;
        for (int y = 2023, m = 11, d = 1; y < 2025 || m <= 3;) {
            if (!(y == 2024 && (m == 6 || m == 7))) {
                civic_entry x = CIVIC_ENTRY_INIT;
                assert_int_equal(civic_record_entry(rec, i++, &x), CIVIC_OK);
                if (r == 0) {
                    int ny = y + (m == 12), nm = m == 12 ? 1 : m + 1;
                    int nd = d < month_days(ny, nm) ? d : month_days(ny, nm);
                    char end[40];
                    snprintf(end, sizeof end, "%04d-%02d-%02d", ny, nm, nd);
                    if (x.end != when(e, end))
                        fail_msg("%04d-%02d-%02d: ends %lld, not %s", y, m, d, (long long)x.end, end);
                } else {
                    int64_t bucket = r == 1 ? y * 12 + m - 1 : r == 2 ? y * 4 + (m - 1) / 3 : y;
                    int64_t want = bucket != last_bucket ? P(5) : 0;
                    last_bucket = bucket;
                    if (x.counted != want)
                        fail_msg("%s on %04d-%02d-%02d: counted %lld, not %lld", rule[r], y, m, d,
                                 (long long)x.counted, (long long)want);
                }
            }
            if (++d > month_days(y, m)) {
                d = 1;
                if (++m > 12) {
                    m = 1;
                    y++;
                }
            }
        }
        civic_record_free(rec);
        rec = NULL;
    }
    teardown_results();
    civic_engine_free(e);
}

static void balance_takes_redemptions_and_resets_each_year(void **state)
{
    (void)state;
    civic_engine *e = engine_from("[scheme]\nbase = 1000\nbalance_reset = \"year\"\n"
                                  "utc_offset = \"+08:00\"\n" TEST_GRADES
                                  "[rule.earn]\npoints = 10\nvalid = \"1d\"\n"
                                  "[rule.gift]\npoints = 7\naffects = \"balance\"\n"
                                  "[rule.honour]\npoints = 20\naffects = \"score\"\n");
    load_ok(e, "id,subject,type,ts,qty,ref\n"
               "e1,s,earn,2024-03-01,,\ne2,s,earn,2024-04-01,,\n"
               "r1,s,redeem,2024-05-01,15,\n"   /* 20 >= 15: accepted, 5 left */
               "r2,s,redeem,2024-06-01,10,\n"   /* 5 < 10: rejected */
               "g1,s,gift,2024-07-01,,\nh1,s,honour,2024-07-02,,\n"
               "e3,s,earn,2025-01-10,,\n"
               "r3,s,redeem,2025-02-01,2.5,\nv3,s,revoke,2025-03-01,,r3\n");
    civic_score x = score_at(e, "s", "2024-12-31");
    /* earn expired (1 day) but points earned stay earned: 20 - 15 + 7 = 12 */
    assert_int_equal(x.balance, P(12));
    /* score: earn events expired; gift is balance-only; honour +20 */
    assert_int_equal(x.score, P(1020));
    assert_int_equal(score_at(e, "s", "2025-01-31").balance, P(10));  /* new year */
    assert_int_equal(score_at(e, "s", "2025-02-01").balance, 750);    /* 10 - 2.50 */
    assert_int_equal(score_at(e, "s", "2025-03-01").balance, P(10));  /* redeem revoked */
    civic_record *rec = NULL;
    civic_entry r = entry_at(e, "s", "2024-12-31", 2, &rec);
    assert_string_equal(r.id, "r1");
    assert_int_equal(r.state, CIVIC_STATE_ACCEPTED);
    assert_int_equal(r.counted, P(-15));
    r = entry_at(e, "s", "2024-12-31", 3, &rec);
    assert_int_equal(r.state, CIVIC_STATE_REJECTED);
    assert_int_equal(r.counted, 0);
    civic_record_free(rec);
    teardown_results();
    civic_engine_free(e);
}

static void running_clamp_is_a_floor_that_cannot_be_dug_below(void **state)
{
    (void)state;
    const char *rules = "[rule.minus]\npoints = -80\n[rule.plus]\npoints = 60\n";
    const char *events = "id,subject,type,ts\n1,s,minus,2024-01-01\n2,s,plus,2024-01-02\n"
                         "3,t,plus,2024-01-01\n4,t,plus,2024-01-02\n5,t,minus,2024-01-03\n";
    char text[2048];
    snprintf(text, sizeof(text), "[scheme]\nbase = 50\nmin = 0\nmax = 100\nclamp = \"final\"\n"
             "[[grade]]\nname = \"x\"\n%s", rules);
    civic_engine *fin = engine_from(text);
    snprintf(text, sizeof(text), "[scheme]\nbase = 50\nmin = 0\nmax = 100\nclamp = \"running\"\n"
             "[[grade]]\nname = \"x\"\n%s", rules);
    civic_engine *run = engine_from(text);
    load_ok(fin, events);
    load_ok(run, events);
    assert_int_equal(score_at(fin, "s", "2024-02-01").score, P(30)); /* 50 - 80 + 60 */
    assert_int_equal(score_at(run, "s", "2024-02-01").score, P(60)); /* max(0, -30) + 60 */
    assert_int_equal(score_at(fin, "t", "2024-02-01").score, P(90)); /* 50 + 120 - 80 */
    assert_int_equal(score_at(run, "t", "2024-02-01").score, P(20)); /* min(100, 170) - 80 */
    teardown_results();
    civic_engine_free(fin);
    civic_engine_free(run);
}

static void the_lowest_ceiling_in_effect_wins_after_the_bound(void **state)
{
    (void)state;
    civic_engine *e = engine_from("[scheme]\nbase = 1000\nmax = 1100\n" TEST_GRADES
                                  "[rule.b]\npoints = 0\nceiling = 850\nvalid = \"2y\"\n"
                                  "[rule.c]\npoints = 0\nceiling = 600\nvalid = \"1y\"\n"
                                  "[rule.up]\npoints = 500\n");
    load_ok(e, "id,subject,type,ts\n1,s,up,2020-01-01\n2,s,b,2022-01-01\n3,s,c,2022-06-01\n");
    assert_int_equal(score_at(e, "s", "2021-01-01").score, P(1100));   /* 1500 bounded */
    assert_int_equal(score_at(e, "s", "2022-03-01").score, P(850));
    assert_int_equal(score_at(e, "s", "2022-07-01").score, P(600));
    assert_string_equal(score_at(e, "s", "2022-07-01").grade, "C");
    assert_int_equal(score_at(e, "s", "2023-07-01").score, P(850));    /* c expired */
    assert_int_equal(score_at(e, "s", "2024-01-01").score, P(1100));
    teardown_results();
    civic_engine_free(e);
}

static void flags_are_sorted_and_distinct(void **state)
{
    (void)state;
    civic_engine *e = engine_from(TEST_SCHEME
                                  "[rule.x]\nflag = \"zeta\"\n[rule.y]\nflag = \"alpha\"\n"
                                  "[rule.z]\nflag = \"zeta\"\nvalid = \"1d\"\n");
    load_ok(e, "id,subject,type,ts\n1,s,x,2024-01-01\n2,s,y,2024-01-02\n3,s,z,2024-01-03\n");
    civic_score s = score_at(e, "s", "2024-01-03");
    assert_string_equal(s.flags, "alpha;zeta");
    assert_int_equal(s.flag_count, 2);
    teardown_results();
    civic_engine_free(e);
}

static void dimensions_sum_what_is_in_effect(void **state)
{
    (void)state;
    civic_engine *e = engine_from(TEST_SCHEME
                                  "[rule.fine]\npoints = -10\ndimension = \"legal\"\nvalid = \"1y\"\n"
                                  "[rule.help]\npoints = 5\ndimension = \"moral\"\n"
                                  "[rule.misc]\npoints = 1\n");
    load_ok(e, "id,subject,type,ts\n1,s,fine,2024-01-01\n2,s,help,2024-01-02\n"
               "3,s,help,2024-01-03\n4,s,misc,2024-01-04\n5,s,fine,2023-01-01\n");
    civic_result *res = NULL;
    assert_int_equal(civic_engine_subject(e, "s", when(e, "2024-06-01"), &res), CIVIC_OK);
    assert_int_equal(civic_result_dimension_count(res), 3);
    int64_t v = 0;
    for (size_t d = 0; d < 3; d++) {
        const char *name = civic_result_dimension_name(res, d);
        assert_int_equal(civic_result_dimension(res, 0, d, &v), CIVIC_OK);
        if (strcmp(name, "legal") == 0) assert_int_equal(v, P(-10)); /* 2023 fine expired */
        else if (strcmp(name, "moral") == 0) assert_int_equal(v, P(10));
        else assert_int_equal(v, P(1));
    }
    assert_int_equal(civic_result_dimension(res, 0, 3, &v), CIVIC_E_INVALID);
    civic_result_free(res);
    civic_engine_free(e);
}

static void group_is_that_of_the_last_event_carrying_one(void **state)
{
    (void)state;
    civic_engine *e = engine_from(TEST_SCHEME "[rule.a]\npoints = 1\n");
    load_ok(e, "id,subject,type,ts,group,ref\n1,s,a,2024-01-01,d/s1/c1,\n"
               "2,s,a,2024-01-02,d/s2/c2,\n3,s,a,2024-01-03,,\n"
               "4,s,revoke,2024-01-04,d/s9/c9,2\n");
    assert_string_equal(score_at(e, "s", "2024-01-02").group, "d/s2/c2");
    /* the event with d/s2/c2 is revoked; a revoke's own group does not count */
    assert_string_equal(score_at(e, "s", "2024-01-05").group, "d/s1/c1");
    teardown_results();
    civic_engine_free(e);
}

/* An engine that holds no group answers no group without looking at the
 * events; from the first group loaded on, each subject's is its own: a
 * load that fails takes its new group back with its events, and a subject
 * whose events carry none still has none. */
static void no_subject_has_a_group_until_an_event_brings_one(void **state)
{
    (void)state;
    civic_engine *e = engine_from(TEST_SCHEME "[rule.a]\npoints = 1\n");
    load_ok(e, "id,subject,type,ts\n1,s,a,2024-01-01\n2,t,a,2024-01-01\n");
    assert_string_equal(score_at(e, "s", "2024-02-01").group, "");
    civic_error err = CIVIC_ERROR_INIT;
    const char *bad = "id,subject,type,ts,group\n3,s,a,2024-01-02,d/s\n4,s,nope,2024-01-03,\n";
    assert_int_equal(civic_engine_load(e, bad, strlen(bad), NULL, NULL, &err), CIVIC_E_EVENT);
    assert_string_equal(score_at(e, "s", "2024-02-01").group, "");
    assert_int_equal(score_at(e, "s", "2024-02-01").score, P(1001));
    load_ok(e, "id,subject,type,ts,group\n5,t,a,2024-01-02,d/t\n");
    assert_string_equal(score_at(e, "s", "2024-02-01").group, "");
    assert_string_equal(score_at(e, "t", "2024-02-01").group, "d/t");
    assert_string_equal(score_at(e, "t", "2024-01-01").group, ""); /* before it */
    load_ok(e, "id,subject,type,ts,group\n6,t,a,2024-01-03,\n3,s,a,2024-01-02,d/s\n");
    assert_string_equal(score_at(e, "t", "2024-02-01").group, "d/t");
    assert_string_equal(score_at(e, "s", "2024-02-01").group, "d/s");
    teardown_results();
    civic_engine_free(e);
}

static void grades_switch_exactly_at_their_minimum(void **state)
{
    (void)state;
    civic_engine *e = engine_from(TEST_SCHEME "[rule.a]\npoints = 50\n[rule.b]\npoints = 49.99\n"
                                  "[rule.c]\npoints = -150.01\n");
    load_ok(e, "id,subject,type,ts\n1,s,a,2024-01-01\n2,t,b,2024-01-01\n3,u,c,2024-01-01\n");
    assert_string_equal(score_at(e, "s", "2024-01-02").grade, "AAA"); /* 1050.00 */
    assert_string_equal(score_at(e, "t", "2024-01-02").grade, "AA");  /* 1049.99 */
    assert_string_equal(score_at(e, "u", "2024-01-02").grade, "C");   /* 849.99 */
    teardown_results();
    civic_engine_free(e);
}

static void revokes_and_repairs_without_a_valid_target_dangle(void **state)
{
    (void)state;
    civic_engine *e = engine_from(TEST_SCHEME "[rule.fine]\npoints = -10\n");
    load_ok(e, "id,subject,type,ts,qty,ref\n"
               "f,s,fine,2024-01-01,,\n"
               "o,other,fine,2024-01-01,,\n"
               "v1,s,revoke,2024-02-01,,missing\n"   /* no such event */
               "v2,s,revoke,2024-02-01,,o\n"         /* another subject's */
               "v3,s,revoke,2024-02-02,,v1\n"        /* a revoke */
               "d,s,redeem,2024-02-03,1,\n"
               "p1,s,repair,2024-02-04,,d\n"         /* a redeem cannot be repaired */
               "late,s,revoke,2024-01-15,,future\n"  /* target after the revoke */
               "future,s,fine,2024-03-01,,\n");
    civic_record *rec = NULL;
    assert_int_equal(civic_engine_record(e, "s", when(e, "2024-02-10"), &rec), CIVIC_OK);
    for (size_t i = 0; i < civic_record_count(rec); i++) {
        civic_entry x = CIVIC_ENTRY_INIT;
        civic_record_entry(rec, i, &x);
        if (x.kind == CIVIC_KIND_REVOKE || x.kind == CIVIC_KIND_REPAIR)
            assert_int_equal(x.state, CIVIC_STATE_DANGLING);
    }
    civic_record_free(rec);
    assert_int_equal(score_at(e, "s", "2024-02-10").score, P(990));
    assert_int_equal(score_at(e, "other", "2024-02-10").score, P(990));
    /* once the target exists, the earlier revoke applies to it */
    assert_int_equal(score_at(e, "s", "2024-03-01").score, P(990));
    teardown_results();
    civic_engine_free(e);
}

static void a_repair_dated_before_its_target_means_it_never_takes_effect(void **state)
{
    (void)state;
    civic_engine *e = engine_from(TEST_SCHEME "[rule.fine]\npoints = -10\nflag = \"f\"\n");
    load_ok(e, "id,subject,type,ts,ref\np,s,repair,2024-01-01,f1\nf1,s,fine,2024-02-01,\n"
               "f2,s,fine,2024-02-01,\nq1,s,repair,2024-03-01,f2\nq2,s,repair,2024-04-01,f2\n");
    civic_score x = score_at(e, "s", "2024-02-15");
    assert_int_equal(x.score, P(990)); /* only f2 */
    x = score_at(e, "s", "2024-03-01");
    assert_int_equal(x.score, P(1000)); /* f2 repaired at the earliest repair */
    assert_string_equal(x.flags, "");
    civic_record *rec = NULL;
    civic_entry f = entry_at(e, "s", "2024-05-01", 1, &rec);
    assert_string_equal(f.id, "f1");
    assert_int_equal(f.state, CIVIC_STATE_REPAIRED);
    f = entry_at(e, "s", "2024-05-01", 2, &rec);
    assert_string_equal(f.id, "f2");
    assert_int_equal(f.state, CIVIC_STATE_REPAIRED);
    assert_int_equal(f.end, when(e, "2024-03-01"));
    assert_int_equal(f.counted, P(-10)); /* its history stays */
    civic_record_free(rec);
    teardown_results();
    civic_engine_free(e);
}

static void a_subject_without_events_has_the_base_score(void **state)
{
    (void)state;
    civic_engine *e = engine_from(TEST_SCHEME "[rule.a]\npoints = 1\n");
    load_ok(e, "id,subject,type,ts\n1,s,a,2030-01-01\n");
    civic_score x = score_at(e, "nobody", "2024-01-01");
    assert_int_equal(x.score, P(1000));
    assert_int_equal(x.balance, 0);
    assert_string_equal(x.grade, "A");
    assert_int_equal(x.events, 0);
    /* s's only event is after T: s is not listed at T */
    char *csv = subjects_csv(e, when(e, "2024-01-01"));
    assert_string_equal(csv, "");
    free(csv);
    teardown_results();
    civic_engine_free(e);
}

/* ------------------------------------------------ properties over the sample log */

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return buf;
}

/* The sample log's data lines in a shuffled order (seeded LCG). */
static char *shuffled(const char *csv, uint64_t seed)
{
    size_t n = strlen(csv), lines = 0;
    const char *body = strchr(csv, '\n') + 1;
    for (const char *p = body; *p; p++) lines += *p == '\n';
    const char **start = malloc(lines * sizeof(char *));
    size_t k = 0;
    for (const char *p = body; *p && k < lines; p = strchr(p, '\n') + 1) start[k++] = p;
    for (size_t i = lines; i > 1; i--) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        size_t j = (size_t)(seed >> 33) % i;
        const char *t = start[i - 1];
        start[i - 1] = start[j];
        start[j] = t;
    }
    char *out = malloc(n + 1), *w = out;
    size_t head = (size_t)(body - csv);
    memcpy(w, csv, head);
    w += head;
    for (size_t i = 0; i < lines; i++) {
        size_t len = (size_t)(strchr(start[i], '\n') - start[i]) + 1;
        memcpy(w, start[i], len);
        w += len;
    }
    *w = '\0';
    free(start);
    return out;
}

static const char *const sample_times[] = { "2024-03-01", "2024-12-31T23:59:59", "2025-02-28",
                                            "2025-07-14T10:51:00", "2025-11-29T10:57:00",
                                            "2027-01-01" };

/* Load the data lines of csv (header first) as `batches` batches, each with
 * the header: an arrival order spread over several writes. */
static void load_in_batches(civic_engine *e, const char *csv, size_t batches)
{
    const char *body = strchr(csv, '\n') + 1;
    size_t head = (size_t)(body - csv), lines = 0;
    for (const char *p = body; *p; p++) lines += *p == '\n';
    const char *at = body;
    for (size_t b = 0; b < batches; b++) {
        size_t take = lines / batches + (b < lines % batches);
        const char *end = at;
        for (size_t i = 0; i < take; i++) end = strchr(end, '\n') + 1;
        char *batch = malloc(head + (size_t)(end - at) + 1);
        assert_non_null(batch);
        memcpy(batch, csv, head);
        memcpy(batch + head, at, (size_t)(end - at));
        batch[head + (size_t)(end - at)] = '\0';
        load_ok(e, batch);
        free(batch);
        at = end;
    }
}

static void answers_do_not_depend_on_arrival_order(void **state)
{
    (void)state;
    size_t len;
    char *csv = read_file("examples/data/sample.csv", &len);
    civic_rules *r = NULL;
    assert_int_equal(civic_rules_default(&r, NULL), CIVIC_OK);
    civic_engine *ref = NULL;
    assert_int_equal(civic_engine_new(&ref, r, NULL), CIVIC_OK);
    load_ok(ref, csv);
    for (uint64_t seed = 1; seed <= 8; seed++) {
        char *mixed = shuffled(csv, seed);
        civic_engine *e = NULL;
        assert_int_equal(civic_engine_new(&e, r, NULL), CIVIC_OK);
        /* the shuffled log over 2..9 batches, then all of it again: duplicates */
        load_in_batches(e, mixed, (size_t)seed + 1);
        assert_int_equal(civic_engine_event_count(e), civic_engine_event_count(ref));
        load_ok(e, csv);
        assert_int_equal(civic_engine_event_count(e), civic_engine_event_count(ref));
        for (size_t t = 0; t < sizeof(sample_times) / sizeof(sample_times[0]); t++) {
            char *a = subjects_csv(ref, when(ref, sample_times[t]));
            char *b = subjects_csv(e, when(e, sample_times[t]));
            assert_string_equal(a, b);
            free(a);
            free(b);
        }
        civic_engine_free(e);
        free(mixed);
    }
    civic_engine_free(ref);
    civic_rules_free(r);
    free(csv);
}

/* A subject with thousands of events arriving in time order, reversed,
 * nearly ordered, shuffled, jittered with every 50th event weeks late, or
 * with its first and last swapped (the sort inside evaluation takes
 * different paths for each) has one record, in (ts, id) order, and one
 * score. */
static char *busy_log(const unsigned *order, size_t n)
{
    static const char *const types[] = { "volunteer_hour", "illegal_parking", "blood_donation",
                                         "dispute_mediation", "garbage_unsorted" };
    size_t cap = 64 + n * 96, at = 0;
    char *out = malloc(cap);
    assert_non_null(out);
    at += (size_t)snprintf(out, cap, "id,subject,type,ts\n");
    for (size_t k = 0; k < n; k++) {
        unsigned i = order[k];
        at += (size_t)snprintf(out + at, cap - at, "e%05u,busy,%s,%lld\n", i, types[i % 5],
                               (long long)(1700000000 + (int64_t)(i / 2) * 3600));
    }
    return out;
}

static void a_busy_subject_in_any_arrival_order(void **state)
{
    (void)state;
    enum { N = 3000 };
    static unsigned order[N];
    civic_rules *r = NULL;
    assert_int_equal(civic_rules_default(&r, NULL), CIVIC_OK);
    char *want = NULL;
    civic_record *ref = NULL;
    for (int variant = 0; variant < 6; variant++) {
        uint64_t seed = 7;
        for (unsigned k = 0; k < N; k++) {
            order[k] = variant == 1 ? N - 1 - k : variant == 2 ? (k ^ 1u) : k;
        }
        if (variant == 4) { /* arrival key: k, jittered by 0..6, or k + 500 */
            static unsigned key[N];
            for (unsigned k = 0; k < N; k++) key[k] = 2 * (k % 50 == 0 ? k + 500 : k + k % 7);
            for (unsigned k = 1; k < N; k++) { /* insertion sort of order by key */
                unsigned x = order[k], j = k;
                while (j > 0 && key[order[j - 1]] > key[x]) {
                    order[j] = order[j - 1];
                    j--;
                }
                order[j] = x;
            }
        }
        if (variant == 5) {
            order[0] = N - 1;
            order[N - 1] = 0;
        }
        for (unsigned k = N; variant == 3 && k > 1; k--) {
            seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
            unsigned j = (unsigned)((seed >> 33) % k), t = order[k - 1];
            order[k - 1] = order[j];
            order[j] = t;
        }
        char *log = busy_log(order, N);
        civic_engine *e = NULL;
        assert_int_equal(civic_engine_new(&e, r, NULL), CIVIC_OK);
        load_ok(e, log);
        free(log);
        int64_t as_of = 1700000000 + (int64_t)N * 1800;
        char *got = subjects_csv(e, as_of);
        civic_record *rec = NULL;
        assert_int_equal(civic_engine_record(e, "busy", as_of, &rec), CIVIC_OK);
        assert_int_equal(civic_record_count(rec), N);
        for (size_t i = 0; i < N; i++) {
            civic_entry x = CIVIC_ENTRY_INIT;
            assert_int_equal(civic_record_entry(rec, i, &x), CIVIC_OK);
            char id[16];
            snprintf(id, sizeof(id), "e%05zu", i); /* by construction: (ts, id) order is i */
            assert_string_equal(x.id, id);
            if (ref) {
                civic_entry y = CIVIC_ENTRY_INIT;
                assert_int_equal(civic_record_entry(ref, i, &y), CIVIC_OK);
                assert_int_equal(x.counted, y.counted);
                assert_int_equal(x.state, y.state);
            }
        }
        if (!want) {
            want = got;
            ref = rec;
        } else {
            assert_string_equal(got, want);
            free(got);
            civic_record_free(rec);
        }
        civic_engine_free(e);
    }
    free(want);
    civic_record_free(ref);
    civic_rules_free(r);
}

/* SPEC 4: summing the active entries, bounding (once, or after each step
 * with clamp = "running") and applying ceilings gives the score -- for
 * every subject of the sample at several times. */
static int64_t bounded(const civic_rules *r, int64_t v)
{
    return v < r->min ? r->min : v > r->max ? r->max : v;
}

/* The score as the record explains it (civic.h): base + counted of the
 * active entries, bounded, at most the lowest ceiling of an active entry
 * not corrected by as_of. */
static int64_t score_from_record(const civic_rules *r, const civic_record *rec, int64_t as_of)
{
    int64_t sum = r->base, running = r->base, ceiling = CIVIC_FOREVER;
    for (size_t k = 0; k < civic_record_count(rec); k++) {
        civic_entry x = CIVIC_ENTRY_INIT;
        assert_int_equal(civic_record_entry(rec, k, &x), CIVIC_OK);
        if (x.state != CIVIC_STATE_ACTIVE) continue;
        if (x.affects & CIVIC_AFFECTS_SCORE) {
            sum += x.counted;
            running = bounded(r, running + x.counted);
        }
        if (x.ceiling < ceiling && x.corrected > as_of) ceiling = x.ceiling;
    }
    int64_t score = r->clamp == CIVIC_CLAMP_RUNNING ? running : bounded(r, sum);
    return score > ceiling ? ceiling : score;
}

static void record_explains_every_score_under(const char *rules_text, const char *csv)
{
    civic_rules *r = rules_from(rules_text);
    civic_engine *e = NULL;
    assert_int_equal(civic_engine_new(&e, r, NULL), CIVIC_OK);
    load_ok(e, csv);
    for (size_t t = 0; t < sizeof(sample_times) / sizeof(sample_times[0]); t++) {
        int64_t as_of = when(e, sample_times[t]);
        civic_result *all = NULL;
        assert_int_equal(civic_engine_subjects(e, as_of, &all), CIVIC_OK);
        for (size_t i = 0; i < civic_result_count(all); i++) {
            civic_score s = CIVIC_SCORE_INIT;
            civic_result_get(all, i, &s);
            civic_record *rec = NULL;
            assert_int_equal(civic_engine_record(e, s.subject, as_of, &rec), CIVIC_OK);
            assert_int_equal(score_from_record(r, rec, as_of), s.score);
            civic_score summary = CIVIC_SCORE_INIT;
            civic_record_summary(rec, &summary);
            assert_int_equal(summary.score, s.score);
            assert_int_equal(summary.balance, s.balance);
            assert_string_equal(summary.group, s.group);
            civic_record_free(rec);
        }
        civic_result_free(all);
    }
    civic_engine_free(e);
    civic_rules_free(r);
}

/* The community scheme, then the same scheme with tight bounds and a
 * running clamp, where bounding changes many scores (a max of 1050, the
 * min of AAA: a measure of grades that no score reaches is refused). */
static void the_record_explains_every_score(void **state)
{
    (void)state;
    size_t len;
    char *csv = read_file("examples/data/sample.csv", &len);
    const char *text = civic_rules_default_text();
    record_explains_every_score_under(text, csv);
    const char *bounds = "min = 0\nmax = 2000\nclamp = \"final\"\n";
    const char *at = strstr(text, bounds);
    assert_non_null(at);
    size_t n = strlen(text), head = (size_t)(at - text);
    char *tight = malloc(n + 64);
    assert_non_null(tight);
    snprintf(tight, n + 64, "%.*smin = 500\nmax = 1050\nclamp = \"running\"\n%s", (int)head, text,
             at + strlen(bounds));
    record_explains_every_score_under(tight, csv);
    free(tight);
    free(csv);
}

/* ------------------------------------------------ SPEC section 5: groups, rankings */

#define GROUP_RULES                                                                   \
    TEST_SCHEME "[rule.up]\npoints = 7.5\naffects = \"score\"\n"                         \
                "[rule.down]\npoints = -12.25\naffects = \"score\"\n"                    \
                "[rule.bal]\npoints = 3\naffects = \"both\"\n"
#define GROUP_LOG "id,subject,type,ts,group\n"                                             \
    "1,s1,up,2024-01-01,x/a\n2,s1,up,2024-01-02,x/a\n3,s2,down,2024-01-01,x/a\n"          \
    "4,s3,up,2024-01-01,x/a\n5,s4,down,2024-01-01,x/b\n6,s4,down,2024-01-02,x/b\n"        \
    "7,s4,down,2024-01-03,x/b\n8,s5,up,2024-01-01,x/b/c\n9,s5,up,2024-01-02,x/b/c\n"      \
    "10,s5,up,2024-01-03,x/b/c\n11,s5,up,2024-01-04,x/b/c\n12,s5,up,2024-01-05,x/b/c\n"  \
    "13,s6,bal,2024-01-01,y\n14,s7,down,2024-01-01,\n15,s8,down,2024-01-01,x/bc\n"

/* Scores: s1 1015.00 (2 x 7.50), s2 987.75, s3 1007.50, s4 963.25 (3 x -12.25),
 * s5 1037.50 (5 x 7.50), s6 1003.00 (balance 3.00), s7 987.75 (no group),
 * s8 987.75.  Grades: 1037.50 is AA, the rest A. */
typedef struct want_group {
    const char *path;
    uint64_t subjects;
    int64_t mean, median, min, max, balance;
    uint64_t aa, a; /* grade counts; the other grades are 0 */
} want_group;

static void expect_groups(const civic_engine *e, uint32_t depth, const want_group *want, size_t n)
{
    civic_groups *g = NULL;
    assert_int_equal(civic_engine_groups(e, depth, when(e, "2024-06-01"), &g), CIVIC_OK);
    assert_int_equal(civic_groups_count(g), n);
    assert_int_equal(civic_groups_grade_count(g), 6);
    for (size_t i = 0; i < n; i++) {
        civic_group_stats st = CIVIC_GROUP_STATS_INIT;
        assert_int_equal(civic_groups_get(g, i, &st), CIVIC_OK);
        assert_int_equal(st.depth, depth);
        assert_string_equal(st.path, want[i].path);
        assert_int_equal(st.subjects, want[i].subjects);
        assert_int_equal(st.mean, want[i].mean);
        assert_int_equal(st.median, want[i].median);
        assert_int_equal(st.min, want[i].min);
        assert_int_equal(st.max, want[i].max);
        assert_int_equal(st.balance, want[i].balance);
        const uint64_t grades[6] = { 0, want[i].aa, want[i].a, 0, 0, 0 };
        for (size_t k = 0; k < 6; k++) assert_int_equal(st.grade_counts[k], grades[k]);
    }
    civic_groups_free(g);
}

static void expect_ranking(const civic_engine *e, const char *group, uint64_t top,
                           const char *const *subjects, size_t n)
{
    civic_result *res = NULL;
    assert_int_equal(civic_engine_rank(e, group, when(e, "2024-06-01"), top, &res), CIVIC_OK);
    assert_int_equal(civic_result_count(res), n);
    for (size_t i = 0; i < n; i++) {
        civic_score s = CIVIC_SCORE_INIT;
        assert_int_equal(civic_result_get(res, i, &s), CIVIC_OK);
        assert_string_equal(s.subject, subjects[i]);
        assert_int_equal(s.rank, i + 1);
    }
    civic_result_free(res);
}

static void spec_5_group_values_and_rankings_computed_by_hand(void **state)
{
    (void)state;
    civic_engine *e = engine_from(GROUP_RULES);
    load_ok(e, GROUP_LOG);
    /* Depth 0: all eight.  Sum 7989.50 / 8 = 998.6875 -> 998.69; sorted
     * 963.25 987.75 987.75 987.75 | 1003.00 ... -> median (987.75 + 1003.00) / 2
     * = 995.375 -> 995.38 (half away from zero). */
    const want_group all[] = { { "", 8, 99869, 99538, 96325, 103750, 300, 1, 7 } };
    expect_groups(e, 0, all, 1);
    /* Depth 1: x holds s1..s5 and s8 (x/bc is under x); y holds s6; s7 has no
     * group and is left out.  x: 5998.75 / 6 = 999.7916 -> 999.79; median
     * (987.75 + 1007.50) / 2 = 997.625 -> 997.63. */
    const want_group one[] = { { "x", 6, 99979, 99763, 96325, 103750, 0, 1, 5 },
                               { "y", 1, 100300, 100300, 100300, 100300, 300, 0, 1 } };
    expect_groups(e, 1, one, 2);
    /* Depth 2, bytewise: x/a (3010.25 / 3 = 1003.4166 -> 1003.42, median
     * 1007.50), x/b (s4 and s5 of x/b/c: 2000.75 / 2 = 1000.375 -> 1000.38 for
     * mean and median), x/bc apart from x/b; y is too shallow. */
    const want_group two[] = { { "x/a", 3, 100342, 100750, 98775, 101500, 0, 0, 3 },
                               { "x/b", 2, 100038, 100038, 96325, 103750, 0, 1, 1 },
                               { "x/bc", 1, 98775, 98775, 98775, 98775, 0, 0, 1 } };
    expect_groups(e, 2, two, 3);
    const want_group three[] = { { "x/b/c", 1, 103750, 103750, 103750, 103750, 0, 1, 0 } };
    expect_groups(e, 3, three, 1);
    /* Rankings: best first, ties (987.75) by subject id bytewise. */
    const char *const everyone[] = { "s5", "s1", "s3", "s6", "s2", "s7", "s8", "s4" };
    expect_ranking(e, NULL, 0, everyone, 8);
    const char *const in_x[] = { "s5", "s1", "s3", "s2", "s8", "s4" };
    expect_ranking(e, "x", 0, in_x, 6);
    expect_ranking(e, "x", 3, in_x, 3);
    const char *const in_xb[] = { "s5", "s4" }; /* x/b/c is in x/b, x/bc is not */
    expect_ranking(e, "x/b", 0, in_xb, 2);
    civic_engine_free(e);
}

/* A group no event can hold (an empty segment, over 255 bytes or 64
 * segments) ranks nobody, with CIVIC_OK, as in 1.0: "x/" does not rank x's
 * subjects, nor "x//b" those of x/b.  (The front ends refuse such paths.) */
static void a_group_no_event_can_hold_ranks_nobody(void **state)
{
    (void)state;
    civic_engine *e = engine_from(GROUP_RULES);
    load_ok(e, GROUP_LOG);
    char long_path[300], deep[300];
    memset(long_path, 'x', 256);
    long_path[256] = '\0';
    size_t n = 0;
    for (int i = 0; i < 65; i++)
        n += (size_t)snprintf(deep + n, sizeof(deep) - n, "%sx", i ? "/" : "");
    const char *const bad[] = { "x/", "/x", "x//b", "x/b/", "/", long_path, deep };
    for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++)
        expect_ranking(e, bad[k], 0, NULL, 0);
    const char *const in_x[] = { "s5", "s1", "s3", "s2", "s8", "s4" };
    expect_ranking(e, "x", 0, in_x, 6); /* the same question, well asked */
    civic_engine_free(e);
}

/* ------------------------------------------------ accessor status codes */

/* The doc comment right above `CIVIC_API int <name>(` in include/civic.h
 * (malloc'd), or NULL when the declaration has none of its own. */
static char *header_doc_of(const char *name)
{
    size_t len = 0;
    char *h = read_file("include/civic.h", &len);
    char decl[128];
    snprintf(decl, sizeof(decl), "\nCIVIC_API int %s(", name);
    const char *at = strstr(h, decl);
    assert_non_null(at);
    char *doc = NULL;
    if (at - h >= 2 && memcmp(at - 2, "*/", 2) == 0) {
        const char *start = at - 2;
        while (start > h && memcmp(start, "/**", 3) != 0) start--;
        size_t n = (size_t)(at - start);
        doc = malloc(n + 1);
        assert_non_null(doc);
        memcpy(doc, start, n);
        doc[n] = '\0';
    }
    free(h);
    return doc;
}

/* name's doc comment has an @return naming exactly the codes in `seen`
 * (what the calls below returned), no more and no fewer. */
static void documents_exactly(const char *name, const int *seen, size_t n)
{
    static const struct { int code; const char *text; } names[] = {
        { CIVIC_OK, "CIVIC_OK" }, { CIVIC_E_INVALID, "CIVIC_E_INVALID" },
        { CIVIC_E_VERSION, "CIVIC_E_VERSION" },
    };
    char *doc = header_doc_of(name);
    if (!doc) fail_msg("%s: no doc comment of its own in civic.h", name);
    const char *ret = strstr(doc, "@return");
    if (!ret) fail_msg("%s: its doc comment has no @return", name);
    for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
        bool returned = false;
        for (size_t i = 0; i < n; i++) returned |= seen[i] == names[k].code;
        if (returned != (strstr(ret, names[k].text) != NULL))
            fail_msg("%s: returns %s%s, its @return %s it", name, returned ? "" : "never ",
                     names[k].text, returned ? "does not name" : "names");
    }
    for (const char *c = strstr(ret, "CIVIC_"); c; c = strstr(c + 1, "CIVIC_")) {
        bool known = false;
        for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++)
            known |= strncmp(c, names[k].text, strlen(names[k].text)) == 0 &&
                     !(isalnum((unsigned char)c[strlen(names[k].text)]) ||
                       c[strlen(names[k].text)] == '_');
        if (!known && strncmp(c, "CIVIC_E_", 8) == 0)
            fail_msg("%s: its @return names a code it never returns: %.20s", name, c);
    }
    free(doc);
}

/* Each answer accessor returns CIVIC_E_INVALID for a NULL argument or an
 * index out of range -- checked before the struct's version, so also on an
 * empty list with version 0 -- CIVIC_E_VERSION for a version 0 or newer
 * than the library's, CIVIC_OK otherwise; and its comment in civic.h says
 * so (libcivic(3) promises that the header lists every status). */
static void answer_accessors_return_the_codes_the_header_documents(void **state)
{
    (void)state;
    civic_engine *e = engine_from(TEST_SCHEME
                                  "[rule.fine]\npoints = -10\nflag = \"fined\"\n"
                                  "dimension = \"legal\"\n");
    load_ok(e, "id,subject,type,ts,group\nf1,s,fine,2024-01-01,a/b\n");
    int64_t t = when(e, "2024-06-01");
    int seen[8];
    size_t n;

    civic_result *res = NULL;
    assert_int_equal(civic_engine_subject(e, "s", t, &res), CIVIC_OK);
    int64_t v = 0;
    n = 0;
    seen[n++] = civic_result_dimension(res, 0, 0, &v);
    assert_int_equal(seen[n - 1], CIVIC_OK);
    seen[n++] = civic_result_dimension(NULL, 0, 0, &v);
    assert_int_equal(seen[n - 1], CIVIC_E_INVALID);
    seen[n++] = civic_result_dimension(res, 0, 0, NULL);
    assert_int_equal(seen[n - 1], CIVIC_E_INVALID);
    seen[n++] = civic_result_dimension(res, 1, 0, &v);
    assert_int_equal(seen[n - 1], CIVIC_E_INVALID);
    seen[n++] = civic_result_dimension(res, 0, civic_result_dimension_count(res), &v);
    assert_int_equal(seen[n - 1], CIVIC_E_INVALID);
    documents_exactly("civic_result_dimension", seen, n);
    civic_result_free(res);

    civic_record *rec = NULL;
    assert_int_equal(civic_engine_record(e, "s", t, &rec), CIVIC_OK);
    civic_entry x = CIVIC_ENTRY_INIT;
    n = 0;
    seen[n++] = civic_record_entry(rec, 0, &x);
    assert_int_equal(seen[n - 1], CIVIC_OK);
    x.version = 1; /* a 1.0 caller */
    assert_int_equal(civic_record_entry(rec, 0, &x), CIVIC_OK);
    seen[n++] = civic_record_entry(NULL, 0, &x);
    assert_int_equal(seen[n - 1], CIVIC_E_INVALID);
    seen[n++] = civic_record_entry(rec, 0, NULL);
    assert_int_equal(seen[n - 1], CIVIC_E_INVALID);
    seen[n++] = civic_record_entry(rec, 1, &x);
    assert_int_equal(seen[n - 1], CIVIC_E_INVALID);
    x.version = 0;
    seen[n++] = civic_record_entry(rec, 0, &x);
    assert_int_equal(seen[n - 1], CIVIC_E_VERSION);
    assert_int_equal(civic_record_entry(rec, 1, &x), CIVIC_E_INVALID); /* range first */
    x.version = CIVIC_ENTRY_VERSION + 1;
    seen[n++] = civic_record_entry(rec, 0, &x);
    assert_int_equal(seen[n - 1], CIVIC_E_VERSION);
    documents_exactly("civic_record_entry", seen, n);

    civic_score sum = CIVIC_SCORE_INIT;
    n = 0;
    seen[n++] = civic_record_summary(rec, &sum);
    assert_int_equal(seen[n - 1], CIVIC_OK);
    seen[n++] = civic_record_summary(NULL, &sum);
    assert_int_equal(seen[n - 1], CIVIC_E_INVALID);
    seen[n++] = civic_record_summary(rec, NULL);
    assert_int_equal(seen[n - 1], CIVIC_E_INVALID);
    sum.version = 0;
    seen[n++] = civic_record_summary(rec, &sum);
    assert_int_equal(seen[n - 1], CIVIC_E_VERSION);
    sum.version = CIVIC_SCORE_VERSION + 1;
    seen[n++] = civic_record_summary(rec, &sum);
    assert_int_equal(seen[n - 1], CIVIC_E_VERSION);
    documents_exactly("civic_record_summary", seen, n);
    civic_record_free(rec);

    civic_groups *g = NULL;
    assert_int_equal(civic_engine_groups(e, 1, t, &g), CIVIC_OK);
    assert_int_equal(civic_groups_count(g), 1);
    civic_group_stats st = CIVIC_GROUP_STATS_INIT;
    n = 0;
    seen[n++] = civic_groups_get(g, 0, &st);
    assert_int_equal(seen[n - 1], CIVIC_OK);
    seen[n++] = civic_groups_get(NULL, 0, &st);
    assert_int_equal(seen[n - 1], CIVIC_E_INVALID);
    seen[n++] = civic_groups_get(g, 0, NULL);
    assert_int_equal(seen[n - 1], CIVIC_E_INVALID);
    seen[n++] = civic_groups_get(g, 1, &st);
    assert_int_equal(seen[n - 1], CIVIC_E_INVALID);
    st.version = 0;
    seen[n++] = civic_groups_get(g, 0, &st);
    assert_int_equal(seen[n - 1], CIVIC_E_VERSION);
    assert_int_equal(civic_groups_get(g, 1, &st), CIVIC_E_INVALID); /* range first */
    st.version = CIVIC_GROUP_STATS_VERSION + 1;
    seen[n++] = civic_groups_get(g, 0, &st);
    assert_int_equal(seen[n - 1], CIVIC_E_VERSION);
    documents_exactly("civic_groups_get", seen, n);
    civic_groups_free(g);

    civic_list *l = NULL;
    assert_int_equal(civic_engine_list(e, "fined", t, &l), CIVIC_OK);
    assert_int_equal(civic_list_count(l), 1);
    civic_list_entry le = CIVIC_LIST_ENTRY_INIT;
    n = 0;
    seen[n++] = civic_list_get(l, 0, &le);
    assert_int_equal(seen[n - 1], CIVIC_OK);
    assert_string_equal(le.subject, "s");
    seen[n++] = civic_list_get(NULL, 0, &le);
    assert_int_equal(seen[n - 1], CIVIC_E_INVALID);
    seen[n++] = civic_list_get(l, 0, NULL);
    assert_int_equal(seen[n - 1], CIVIC_E_INVALID);
    seen[n++] = civic_list_get(l, 1, &le);
    assert_int_equal(seen[n - 1], CIVIC_E_INVALID);
    le.version = 0;
    seen[n++] = civic_list_get(l, 0, &le);
    assert_int_equal(seen[n - 1], CIVIC_E_VERSION);
    le.version = CIVIC_LIST_ENTRY_VERSION + 1;
    seen[n++] = civic_list_get(l, 0, &le);
    assert_int_equal(seen[n - 1], CIVIC_E_VERSION);
    documents_exactly("civic_list_get", seen, n);
    civic_list_free(l);
    /* an empty list: every index is out of range, whatever the version */
    assert_int_equal(civic_engine_list(e, "fined", when(e, "2023-06-01"), &l), CIVIC_OK);
    assert_int_equal(civic_list_count(l), 0);
    le.version = 0;
    assert_int_equal(civic_list_get(l, 0, &le), CIVIC_E_INVALID);
    le.version = CIVIC_LIST_ENTRY_VERSION;
    assert_int_equal(civic_list_get(l, 0, &le), CIVIC_E_INVALID);
    civic_list_free(l);
    civic_engine_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(spec_example_1_fine_expires_after_one_year),
        cmocka_unit_test(spec_example_2_repeat_doubles_while_the_first_is_in_effect),
        cmocka_unit_test(spec_example_3_yearly_cap_stops_the_fifth_donation),
        cmocka_unit_test(spec_example_4_ceiling_grades_drunk_driving_b),
        cmocka_unit_test(spec_example_5_repair_replaces_the_defaulter_listing),
        cmocka_unit_test(spec_example_6_revoke_acts_from_its_own_time),
        cmocka_unit_test(per_unit_points_round_half_away_from_zero),
        cmocka_unit_test(repeat_factor_multiplies_once_and_never_compounds),
        cmocka_unit_test(repeat_needs_the_earlier_event_still_in_effect),
        cmocka_unit_test(own_caps_follow_local_calendar_periods),
        cmocka_unit_test(shared_caps_are_drawn_on_by_several_rules),
        cmocka_unit_test(a_revoke_gives_back_the_cap_room_it_used),
        cmocka_unit_test(calendar_validity_clamps_to_the_end_of_short_months),
        cmocka_unit_test(every_day_of_a_long_run_is_in_its_own_month),
        cmocka_unit_test(balance_takes_redemptions_and_resets_each_year),
        cmocka_unit_test(running_clamp_is_a_floor_that_cannot_be_dug_below),
        cmocka_unit_test(the_lowest_ceiling_in_effect_wins_after_the_bound),
        cmocka_unit_test(flags_are_sorted_and_distinct),
        cmocka_unit_test(dimensions_sum_what_is_in_effect),
        cmocka_unit_test(group_is_that_of_the_last_event_carrying_one),
        cmocka_unit_test(no_subject_has_a_group_until_an_event_brings_one),
        cmocka_unit_test(grades_switch_exactly_at_their_minimum),
        cmocka_unit_test(revokes_and_repairs_without_a_valid_target_dangle),
        cmocka_unit_test(a_repair_dated_before_its_target_means_it_never_takes_effect),
        cmocka_unit_test(a_subject_without_events_has_the_base_score),
        cmocka_unit_test(answers_do_not_depend_on_arrival_order),
        cmocka_unit_test(a_busy_subject_in_any_arrival_order),
        cmocka_unit_test(the_record_explains_every_score),
        cmocka_unit_test(spec_5_group_values_and_rankings_computed_by_hand),
        cmocka_unit_test(a_group_no_event_can_hold_ranks_nobody),
        cmocka_unit_test(answer_accessors_return_the_codes_the_header_documents),
    };
    return cmocka_run_group_tests_name("eval", tests, NULL, NULL);
}
