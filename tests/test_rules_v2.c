/*
** test_rules_v2.c -- version 2 of the rules file: rule changes, categories,
** validity classes, net caps, the balance floor, publicity, objections,
** repair_after, retain, tiers and measures.  Every load-time check with the
** line and column it names (counted by hand from the texts), the version an
** event gets, the canonical text written back, and compatibility: a
** version-1 scheme keeps its 1.0.0 fingerprint.
*/
#include "support.h"

#include "../lib/internal.h"

#define G1 "[[grade]]\nname = \"A\"\n"

/* Parse text that must fail with CIVIC_E_RULES at line:column, with a
 * message containing `what`. */
static void fails_at(const char *text, uint64_t line, uint32_t column, const char *what)
{
    civic_error err = rules_error(text, CIVIC_E_RULES);
    if (err.line != line || err.column != column || !strstr(err.message, what))
        fprintf(stderr, "got %llu:%u %s\n", (unsigned long long)err.line, err.column,
                err.message);
    assert_int_equal(err.line, line);
    assert_int_equal(err.column, column);
    assert_non_null(strstr(err.message, what));
}

static void a_version_one_scheme_keeps_its_fingerprint(void **state)
{
    (void)state;
    /* The 1.0.0 fingerprint of this text, taken from the 1.0.0 library. */
    civic_rules *r = rules_from(TEST_SCHEME "[cap.c]\nlimit = 5\nperiod = \"day\"\n"
                                            "[rule.fine]\npoints = -10\nvalid = \"1y\"\n"
                                            "cap_group = \"c\"\nflag = \"x\"\n");
    assert_int_equal(civic_rules_spec_version(r), 1);
    assert_true(civic_rules_fingerprint(r) == UINT64_C(0x62f7e8e5b2aee4ed));
    civic_rules_free(r);

}

static void every_version_two_key_makes_a_version_two_scheme(void **state)
{
    (void)state;
    const char *bits[] = {
        "[scheme]\nbalance_min = 0\n" G1,
        "[scheme]\ncontested = \"suspend\"\n" G1,
        "[scheme]\nobjection_window = \"7d\"\n" G1,
        /* classes no rule uses are refused: a rule takes them (itself a
         * version-2 key: see validity_classes_no_rule_uses_are_refused) */
        G1 "[[validity]]\nvalid = \"1y\"\n[rule.a]\nvalid = \"by-severity\"\n",
        G1 "[cap.c]\nlimit = 1\nperiod = \"day\"\nmode = \"net\"\n",
        G1 "[rule.a]\npoints = 1\ncategory = \"x\"\n",
        G1 "[rule.a]\npoints = 1\nfreeze = true\n",
        G1 "[rule.a]\npoints = 1\npublicity = \"7d\"\n",
        G1 "[rule.a]\npoints = 1\nrepair_after = \"3m\"\n",
        G1 "[rule.a]\npoints = 1\nretain = \"5y\"\naffects = \"score\"\n",
        G1 "[rule.a]\npoints = 1\ncap = 1\ncap_period = \"day\"\ncap_mode = \"net\"\n",
        G1 "[rule.a]\npoints = 1\n[[rule.a.change]]\nfrom = \"2024-01-01\"\n",
        G1 "[rule.a]\npoints = 1\n[tier.t]\nrules = \"a\"\n[[tier.t.level]]\nname = \"x\"\nmin = 1\n",
        G1 "[measure.m]\nkind = \"incentive\"\nmin_score = 1\n",
    };
    for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]); i++) {
        civic_rules *r = rules_from(bits[i]);
        assert_int_equal(civic_rules_spec_version(r), 2);
        civic_rules_free(r);
    }
}

static void changes_take_effect_at_from_and_recounts_only_from_then(void **state)
{
    (void)state;
    civic_rules *r = rules_from(TEST_SCHEME
                                "[rule.fine]\npoints = -10\naffects = \"score\"\n"
                                "[[rule.fine.change]]\nfrom = \"2023-01-01\"\npoints = -20\n"
                                "[[rule.fine.change]]\nfrom = \"2024-01-01\"\npoints = -5\n"
                                "recount = true\n");
    int64_t y22 = 0, y23 = 0, y23b = 0, y24 = 0;
    civic_rules_parse_time(r, "2022-06-01", 10, &y22);
    civic_rules_parse_time(r, "2023-01-01", 10, &y23);
    civic_rules_parse_time(r, "2023-06-01", 10, &y23b);
    civic_rules_parse_time(r, "2024-01-01", 10, &y24);
    /* not retroactive: the version in force at ts */
    assert_int_equal(civic__rule_version(r, 0, y22, y23b)->points, P(-10));
    assert_int_equal(civic__rule_version(r, 0, y23 - 1, y23b)->points, P(-10));
    assert_int_equal(civic__rule_version(r, 0, y23, y23)->points, P(-20));
    /* the recount governs every event from its from on, and not before */
    assert_int_equal(civic__rule_version(r, 0, y22, y24 - 1)->points, P(-10));
    assert_int_equal(civic__rule_version(r, 0, y22, y24)->points, P(-5));
    assert_int_equal(civic__rule_version(r, 0, y23b, y24)->points, P(-5));
    /* the life of an entry never follows a recount */
    assert_int_equal(civic__rule_version_at(r, 0, y22)->points, P(-10));
    assert_int_equal(civic__rule_version_at(r, 0, y24)->points, P(-5));
    civic_rules_free(r);
}

/* The version lookup searches (a rule may have thousands of changes): on
 * rules of 1..40 changes, some recounting, it gives at every pair of times
 * around the changes what the contract's words give, read literally: the
 * last change dated by as_of that recounts or is dated by ts.  The changes
 * from T0 on (fewer than nine digits are refused as `from`). */
#define T0 1000000000
static void version_lookup_is_the_contracts_on_many_changes(void **state)
{
    (void)state;
    unsigned seed = 12345;
    for (int round = 0; round < 60; round++) {
        char text[8192];
        size_t len = (size_t)snprintf(text, sizeof(text), "%s[rule.fine]\npoints = -1\n"
                                      "affects = \"score\"\n", TEST_SCHEME);
        seed = seed * 1103515245u + 12345u;
        int n = 1 + (int)((seed >> 16) % 40);
        for (int k = 0; k < n; k++) {
            seed = seed * 1103515245u + 12345u;
            len += (size_t)snprintf(text + len, sizeof(text) - len,
                                    "[[rule.fine.change]]\nfrom = %d\npoints = -%d\n%s",
                                    T0 + 1000 * (k + 1), k + 2, (seed >> 16) % 3 == 0 ? "recount = true\n" : "");
        }
        civic_rules *r = rules_from(text);
        const civic_rule *base = &r->rules[0], *v = r->versions + base->change_first;
        assert_int_equal(base->change_count, (uint32_t)n);
        /* each change's from, a second before and after it */
        int64_t times[3 * 42];
        int nt = 0;
        for (int k = 0; k <= n + 1; k++)
            for (int d = -1; d <= 1; d++) times[nt++] = T0 + 1000 * k + d;
        for (int i = 0; i < nt; i++) {
            for (int j = i; j < nt; j++) {
                int64_t ts = times[i], as_of = times[j];
                const civic_rule *want = base, *at = base;
                for (int k = 0; k < n; k++) {
                    if (v[k].from <= as_of && (v[k].recount || v[k].from <= ts)) want = &v[k];
                    if (v[k].from <= ts) at = &v[k];
                }
                assert_ptr_equal(civic__rule_version(r, 0, ts, as_of), want);
                assert_ptr_equal(civic__rule_version_at(r, 0, ts), at);
            }
        }
        civic_rules_free(r);
    }
}

static void a_change_keeps_what_it_does_not_list_and_false_removes(void **state)
{
    (void)state;
    civic_rules *r = rules_from(TEST_SCHEME "[cap.votes]\nlimit = 5\nperiod = \"day\"\n"
                                "[rule.v]\npoints = 1\nper = \"unit\"\ncap = 20\n"
                                "cap_period = \"month\"\nflag = \"f\"\ncap_group = \"votes\"\n"
                                "[[rule.v.change]]\nfrom = \"2026-01-01\"\npoints = 0.5\ncap = 30\n"
                                "[[rule.v.change]]\nfrom = \"2027-01-01\"\ncap = false\n"
                                "flag = false\ncap_group = false\n");
    civic_rule_info info;
    memset(&info, 0, sizeof(info));
    info.version = CIVIC_RULE_INFO_VERSION;
    assert_int_equal(civic_rules_rule_info(r, 0, 1, &info), CIVIC_OK);
    assert_int_equal(info.points, 50);
    assert_int_equal(info.cap, P(30));
    assert_string_equal(info.cap_period, "month");
    assert_int_equal(info.per_unit, 1);
    assert_string_equal(info.flag, "f");
    assert_string_equal(info.cap_group, "votes");
    assert_int_equal(civic_rules_rule_info(r, 0, 2, &info), CIVIC_OK);
    assert_int_equal(info.points, 50);
    assert_int_equal(info.cap, -1);
    assert_string_equal(info.cap_period, "");
    assert_string_equal(info.flag, "");
    assert_string_equal(info.cap_group, "");
    assert_int_equal(info.changes, 2);
    assert_int_equal(civic_rules_rule_info(r, 0, 3, &info), CIVIC_E_INVALID);
    /* either index out of range before a bad version, as every other
     * accessor checks its index (a change out of range said CIVIC_E_VERSION) */
    civic_rule_info bad = { 0 };
    assert_int_equal(civic_rules_rule_info(r, 0, 3, &bad), CIVIC_E_INVALID);
    assert_int_equal(civic_rules_rule_info(r, 99, 0, &bad), CIVIC_E_INVALID);
    assert_int_equal(civic_rules_rule_info(r, 0, 0, &bad), CIVIC_E_VERSION);
    civic_rules_free(r);
}

static void validity_classes_follow_the_size_of_raw(void **state)
{
    (void)state;
    civic_rules *r = rules_from(TEST_SCHEME "[[validity]]\nup_to = 40\nvalid = \"1y\"\n"
                                            "[[validity]]\nvalid = \"2y\"\n"
                                            "[rule.dog]\npoints = -30\nvalid = \"by-severity\"\n");
    const civic_rule *v = &r->rules[0];
    assert_int_equal(civic__rule_validity(r, v, P(-40))->n, 1);
    assert_int_equal(civic__rule_validity(r, v, P(40))->n, 1);
    assert_int_equal(civic__rule_validity(r, v, P(-40) - 1)->n, 2);
    assert_int_equal(civic__rule_validity(r, v, 0)->n, 1);
    civic_rules_free(r);
}

static void change_checks_name_line_and_column(void **state)
{
    (void)state;
    /* the table named as written (it said [[rule.CODE.change]]) */
    fails_at(G1 "[rule.a]\npoints = 1\n[[rule.a.change]]\npoints = 2\n", 5, 3,
             "[[rule.a.change]] without 'from'");
    fails_at(G1 "[rule.\"a.b\"]\npoints = 1\n[[rule.\"a.b\".change]]\npoints = 2\n", 5, 3,
             "[[rule.\"a.b\".change]] without 'from'");
    fails_at(G1 "[[rule.\"a.b\".change]]\npoints = 2\n", 3, 3,
             "[[rule.\"a.b\".change]] has no [rule.\"a.b\"] before it (a change follows the "
             "rule it changes)");
    /* false in the rule itself, a tier without levels: the tables named as
     * written (they said [rule.CODE] and [[tier.NAME.level]]) */
    fails_at(G1 "[rule.a]\npoints = 1\ncap = false\n", 5, 7,
             "'cap = false' removes a key in a [[rule.a.change]]; in [rule.a] leave the key out");
    fails_at(G1 "[rule.\"a.b\"]\npoints = 1\nflag = false\n", 5, 8,
             "in a [[rule.\"a.b\".change]]; in [rule.\"a.b\"] leave the key out");
    fails_at(G1 "[rule.a]\npoints = 1\n[tier.stars]\nrules = \"a\"\n", 5, 2,
             "a tier needs at least one [[tier.stars.level]]");
    /* a dotted name written bare stays bare, as the other messages of the
     * table write it */
    fails_at(G1 "[rule.a.b]\npoints = 1\ncap = false\n", 5, 7,
             "in a [[rule.a.b.change]]; in [rule.a.b] leave the key out");
    fails_at(G1 "[rule.a]\npoints = 1\n[tier.x.y]\nrules = \"a\"\n", 5, 2,
             "a tier needs at least one [[tier.x.y.level]]");
    /* a misspelt rule: the one it most likely is, beside the order (only
     * the rules before it are known: the change may be of a later one) */
    fails_at(G1 "[rule.illegal_parking]\npoints = 1\n[[rule.ilegal_parking.change]]\n"
                "from = \"2026-01-01\"\n", 5, 3,
             "[[rule.ilegal_parking.change]] has no [rule.ilegal_parking] before it (a change "
             "follows the rule it changes; did you mean 'illegal_parking'?)");
    fails_at(G1 "[rule.park]\npoints = 1\n[[rule.prak.change]]\nfrom = \"2026-01-01\"\n", 5, 3,
             "[[rule.prak.change]] has no [rule.prak] before it (a change follows the rule it "
             "changes; did you mean 'park'?)");
    /* a change above its own rule, near another's code: the order is what
     * is wrong, and is said */
    fails_at(G1 "[rule.dog1]\npoints = 5\n[[rule.dog2.change]]\nfrom = \"2026-01-01\"\n"
                "points = 3\n[rule.dog2]\npoints = 4\n", 5, 3,
             "[[rule.dog2.change]] has no [rule.dog2] before it (a change follows the rule it "
             "changes; did you mean 'dog1'?)");
    fails_at(G1 "[rule.a]\npoints = 1\n[[rule.a.change]]\nfrom = \"2024-01-01\"\n"
                "[[rule.a.change]]\nfrom = \"2023-01-01\"\n", 8, 8, "later than");
    fails_at(G1 "[rule.a]\npoints = 1\n[[rule.a.change]]\nfrom = \"2024-01-01\"\n"
                "[[rule.a.change]]\nfrom = \"2024-01-01\"\n", 8, 8, "later than");
    fails_at(G1 "[rule.a]\npoints = 1\n[[rule.a.change]]\nfrom = \"2024-13-01\"\n", 6, 8, "'from'");
    /* a date without its dashes, quoted or not, is Unix seconds of 1970 as
     * a timestamp: refused with the fix (20250101 s = 234 days 9:01:41 in,
     * so 1970-08-23 17:01:41 at +08:00); eight digits that are no date, and
     * other seconds, are seconds as written */
    fails_at(G1 "[scheme]\nutc_offset = \"+08:00\"\n[rule.a]\npoints = 1\n[[rule.a.change]]\n"
                "from = \"20250101\"\n", 8, 8, "'from': \"20250101\" would be Unix seconds, "
             "1970-08-23T17:01:41+08:00: write the date as \"2025-01-01\" (that instant itself "
             "as \"1970-08-23T17:01:41+08:00\")");
    fails_at(G1 "[rule.a]\npoints = 1\n[[rule.a.change]]\nfrom = 20240229\n", 6, 8,
             "'from': 20240229 would be Unix seconds, 1970-08-23T06:17:09+00:00: write the date "
             "as \"2024-02-29\"");
    /* Unix milliseconds, quoted or not */
    {
        static const char *const ms[] = { "1772323200000", "\"1772323200000\"" };
        for (size_t k = 0; k < 2; k++) {
            char text[200];
            snprintf(text, sizeof(text), G1 "[rule.a]\npoints = 1\n[[rule.a.change]]\nfrom = %s\n",
                     ms[k]);
            civic_rules *r = NULL;
            civic_error err = CIVIC_ERROR_INIT;
            assert_int_not_equal(civic_rules_parse(&r, text, strlen(text), NULL, &err), CIVIC_OK);
            assert_null(r);
            assert_int_equal(err.line, 6);
            assert_int_equal(err.column, 8);
            assert_string_equal(err.message,
                                "line 6, column 8: 'from': timestamp out of range (years "
                                "0001..9999 in UTC): it looks like milliseconds; write Unix "
                                "seconds (drop the last three digits)");
        }
    }
    /* a look-alike inside a quoted 'from' is named at its column, as it is
     * unquoted */
    fails_at(G1 "[rule.a]\npoints = 1\n[[rule.a.change]]\nfrom = \"2026\xef\xbc\x8d" "03\xef\xbc\x8d"
                "01\"\n", 6, 13,
             "'from': bad timestamp (expected YYYY-MM-DD, YYYY-MM-DDTHH:MM:SS[Z|+HH:MM] or Unix "
             "seconds) (a full-width character, as an input method for Chinese or Japanese types "
             "it: write it in ASCII)");
    fails_at(G1 "[rule.a]\npoints = 1\n[[rule.a.change]]\nfrom = \"2026-03\xe2\x80\x90" "01\"\n", 6,
             16, "'from': bad timestamp (expected YYYY-MM-DD, YYYY-MM-DDTHH:MM:SS[Z|+HH:MM] or Unix "
                 "seconds) (U+2010 is a typographic hyphen: write -)");
    fails_at(G1 "[rule.a]\npoints = 1\n[[rule.a.change]]\nfrom = \"2026-03-01T08:00:00\xef\xbc\x8b"
                "08:00\"\n", 6, 28, "(a full-width character");
    /* a from of none of the forms: the value, and what to write, as a log's
     * ts and an as-of time are told; written as said, the file loads */
    {
#define FROM_FORMS "'from': bad timestamp (expected YYYY-MM-DD, YYYY-MM-DDTHH:MM:SS[Z|+HH:MM] " \
                   "or Unix seconds) "
        static const struct { const char *from, *want, *applied; } hinted[] = {
            { "\"2026/01/01\"", FROM_FORMS "\"2026/01/01\" (year/month/day? write 2026-01-01)",
              "\"2026-01-01\"" },
            { "\"2026-1-1\"", FROM_FORMS "\"2026-1-1\" (write 2026-01-01)", "\"2026-01-01\"" },
            { "\"2025-07-01T00:00\"", FROM_FORMS "\"2025-07-01T00:00\" (the seconds are "
              "required: write 2025-07-01T00:00:00)", "\"2025-07-01T00:00:00\"" },
            { "\"01.07.2025\"", FROM_FORMS "\"01.07.2025\" (day.month.year? write 2025-07-01)",
              "\"2025-07-01\"" },
            { "\"2026-01-01T08:00:00+0800\"", "'from': bad UTC offset (expected Z or +HH:MM) "
              "\"2026-01-01T08:00:00+0800\" (write +08:00)", "\"2026-01-01T08:00:00+08:00\"" },
            { "\"2026-01-01 8:00\"", FROM_FORMS "\"2026-01-01 8:00\" (write "
              "2026-01-01T08:00:00)", "\"2026-01-01T08:00:00\"" },
        };
        for (size_t k = 0; k < sizeof(hinted) / sizeof(hinted[0]); k++) {
            char text[200], want[300];
            snprintf(text, sizeof(text), G1 "[rule.a]\npoints = 1\n[[rule.a.change]]\nfrom = "
                     "%s\n", hinted[k].from);
            civic_error e = rules_error(text, CIVIC_E_RULES);
            snprintf(want, sizeof(want), "line 6, column 8: %s", hinted[k].want);
            assert_string_equal(e.message, want);
            snprintf(text, sizeof(text), G1 "[rule.a]\npoints = 1\n[[rule.a.change]]\nfrom = "
                     "%s\n", hinted[k].applied);
            civic_rules_free(rules_from(text));
        }
        /* no day to write where none exists; a range error keeps its words */
        civic_error e = rules_error(G1 "[rule.a]\npoints = 1\n[[rule.a.change]]\nfrom = "
                                    "\"2026/02/30\"\n", CIVIC_E_RULES);
        assert_string_equal(e.message, "line 6, column 8: " FROM_FORMS "\"2026/02/30\"");
        e = rules_error(G1 "[rule.a]\npoints = 1\n[[rule.a.change]]\nfrom = \"2026-13-01\"\n",
                        CIVIC_E_RULES);
        assert_string_equal(e.message, "line 6, column 8: 'from': month out of range");
#undef FROM_FORMS
    }
    /* leading zeros (a number may carry them) hide no such date */
    fails_at(G1 "[rule.a]\npoints = 1\n[[rule.a.change]]\nfrom = 020250101\n", 6, 8,
             "'from': 020250101 would be Unix seconds, 1970-08-23T09:01:41+00:00: write the date "
             "as \"2025-01-01\" (that instant itself as \"1970-08-23T09:01:41+00:00\")");
    fails_at(G1 "[rule.a]\npoints = 1\n[[rule.a.change]]\nfrom = \"00020240229\"\n", 6, 8,
             "'from': \"00020240229\" would be Unix seconds, 1970-08-23T06:17:09+00:00: write the "
             "date as \"2024-02-29\"");
    /* the value quoted as written, its '+' too */
    fails_at(G1 "[rule.a]\npoints = 1\n[[rule.a.change]]\nfrom = +020250101\n", 6, 8,
             "'from': +020250101 would be Unix seconds, 1970-08-23T09:01:41+00:00: write the "
             "date as \"2025-01-01\"");
    {
        civic_rules *r = NULL;
        civic_error err = CIVIC_ERROR_INIT;
        static const char *const seconds[] = { "\"1735689600\"", "0001735689600",
                                               "100000000", "\"0100000000\"" };
        for (size_t k = 0; k < sizeof(seconds) / sizeof(seconds[0]); k++) {
            char text[160];
            snprintf(text, sizeof(text), G1 "[rule.a]\npoints = 1\n[[rule.a.change]]\nfrom = %s\n",
                     seconds[k]);
            assert_int_equal(civic_rules_parse(&r, text, strlen(text), NULL, &err), CIVIC_OK);
            civic_rules_free(r);
        }
    }
    fails_at(G1 "[[rule.a.change]]\nfrom = \"2024-01-01\"\n", 3, 3, "has no [rule.a] before it");
    fails_at(G1 "[rule.a]\npoints = 1\n[[rule.a.change]]\nfrom = \"2024-01-01\"\npoints = false\n",
             7, 10, "cannot be removed");
    fails_at(G1 "[rule.a]\npoints = 1\n[[rule.a.change]]\nfrom = \"2024-01-01\"\nvalid = false\n",
             7, 9, "cannot be removed");
    fails_at(G1 "[rule.a]\npoints = 1\ncap = false\n", 5, 7, "leave the key out");
    fails_at(G1 "[rule.a]\npoints = 1\n[[rule.a.change]]\nfrom = \"2024-01-01\"\nbogus = 1\n",
             7, 1, "unknown key 'bogus'");
    fails_at(G1 "[rule.a]\npoints = 1\n[[rule.a.change]]\nfrom = \"2024-01-01\"\nfrom = \"2025-01-01\"\n",
             7, 1, "duplicate key 'from'");
    /* a change written as a table of the rule: the fix in the message */
    fails_at(G1 "[rule.a]\npoints = 1\n[rule.a.change]\nfrom = \"2024-01-01\"\n", 6, 1,
             "key 'from' belongs to a rule change: write [[rule.a.change]], with double brackets");
    fails_at(G1 "[rule.a]\npoints = 1\nrecount = true\n", 5, 1, "[[rule.a.change]]");
    /* a from in a rule's own table: a rule that starts on a date, written
     * as the manual says (an empty rule and a change); done so, it loads,
     * and counts 0 before the date and the points from it on */
    {
        civic_error e = rules_error(G1 "[rule.new]\npoints = 5\nfrom = \"2026-01-01\"\n",
                                    CIVIC_E_RULES);
        assert_string_equal(e.message, "line 5, column 1: key 'from' belongs to a rule change (a "
                                       "rule that starts on a date: leave [rule.new] empty, "
                                       "which counts 0 till then, and after it write "
                                       "[[rule.new.change]] with this from and the rule's keys)");
        e = rules_error(G1 "[rule.\"n.w\"]\nfrom = \"2026-01-01\"\n", CIVIC_E_RULES);
        assert_string_equal(e.message, "line 4, column 1: key 'from' belongs to a rule change (a "
                                       "rule that starts on a date: leave [rule.\"n.w\"] empty, "
                                       "which counts 0 till then, and after it write "
                                       "[[rule.\"n.w\".change]] with this from and the rule's "
                                       "keys)");
        civic_rules *r = rules_from(G1 "[rule.new]\n[[rule.new.change]]\nfrom = \"2026-01-01\"\n"
                                       "points = 5\n");
        int64_t before = 0, on = 0;
        assert_int_equal(civic_rules_parse_time(r, "2025-12-31T23:59:59", 19, &before), CIVIC_OK);
        assert_int_equal(civic_rules_parse_time(r, "2026-01-01", 10, &on), CIVIC_OK);
        assert_int_equal(civic__rule_version(r, 0, before, on)->points, 0);
        assert_int_equal(civic__rule_version(r, 0, on, on)->points, P(5));
        civic_rules_free(r);
    }
    /* every resulting version is checked as a whole */
    fails_at(G1 "[rule.a]\npoints = 1\n[[rule.a.change]]\nfrom = \"2024-01-01\"\ncap = 5\n",
             7, 7, "'cap' needs 'cap_period'");
    fails_at(G1 "[rule.a]\npoints = 1\n[[rule.a.change]]\nfrom = \"2024-01-01\"\ncap_group = \"x\"\n",
             7, 13, "names no [cap.NAME]");
    /* a name near one the scheme has: said */
    fails_at(G1 "[cap.votes]\nlimit = 5\nperiod = \"year\"\n[rule.a]\npoints = 1\n"
                "cap_group = \"vote\"\n",
             8, 13, "'cap_group' names no [cap.NAME] table (did you mean 'votes'?)");
    fails_at(G1 "[rule.a]\npoints = 1\n[[rule.a.change]]\nfrom = \"2024-01-01\"\npoints = 1.005\n",
             7, 10, "at most 2 places");
    /* the key the change set, not the inherited one further up */
    fails_at(G1 "[rule.a]\npoints = -1\nrepeat_factor = 100000\n[[rule.a.change]]\n"
                "from = \"2024-01-01\"\npoints = -1000000000000\n", 8, 10, "is too large");
    fails_at(G1 "[rule.a]\npoints = -1000000000000\n[[rule.a.change]]\n"
                "from = \"2024-01-01\"\nrepeat_factor = 100000\n", 7, 17, "is too large");
    fails_at("[scheme]\nmin = 0\nmax = 10\n" G1 "[rule.a]\npoints = 1\n[[rule.a.change]]\n"
             "from = \"2024-01-01\"\nceiling = 11\n", 10, 11, "outside");
    /* recount */
    fails_at(G1 "[rule.a]\npoints = 1\naffects = \"score\"\n[[rule.a.change]]\n"
                "from = \"2024-01-01\"\nrecount = true\npublicity = \"7d\"\n", 9, 13,
             "may not set or remove 'publicity'");
    fails_at(G1 "[rule.a]\npoints = 1\naffects = \"score\"\nretain = \"6m\"\n[[rule.a.change]]\n"
                "from = \"2024-01-01\"\nrecount = true\nretain = false\n", 10, 10,
             "a recount change may not set or remove 'retain' (the life of an entry always "
             "follows the version in force at its ts)");
    fails_at(G1 "[rule.a]\npoints = 1\n[[rule.a.change]]\nfrom = \"2024-01-01\"\nrecount = true\n",
             7, 11, "affects the balance");
    /* a later version that affects the balance counts too */
    fails_at(G1 "[rule.a]\npoints = 1\naffects = \"score\"\n[[rule.a.change]]\n"
                "from = \"2024-01-01\"\nrecount = true\n[[rule.a.change]]\n"
                "from = \"2025-01-01\"\naffects = \"both\"\n", 8, 11, "affects the balance");
}

/* A category that is no code says what to write: the code a name with
 * capitals or blanks stands for (as a rule's header is told), or the first
 * character that is none of [a-z0-9_.-] and its column; the error stays at
 * the value. */
static void a_category_that_is_no_code_says_what_to_write(void **state)
{
    (void)state;
#define CAT "line 5, column 12: 'category' must be 1..64 characters of [a-z0-9_.-] "
    static const struct { const char *value, *what, *applied; } cases[] = {
        { "Traffic", CAT "(codes are lower case: write \"traffic\")", "traffic" },
        { "illegal parking", CAT "(codes have '_' for a blank: write \"illegal_parking\")",
          "illegal_parking" },
        { "Illegal  Parking", CAT "(codes are lower case, with '_' for a blank: write "
          "\"illegal_parking\")", "illegal_parking" },
        { "traf/fic", CAT "('/' at column 17 is not one of them)", "traffic" },
        /* a capital or a blank before it is told next, once the '/' is gone */
        { "Traf/fic", CAT "('/' at column 17 is not one of them)", "traffic" },
        { "a b/c", CAT "('/' at column 16 is not one of them)", "a_bc" },
        { "caf\xc3\xa9", CAT "(U+00E9 at column 16 is not one of them)", "cafe" },
        /* after an escape its column is not known: not given */
        { "\\u00e9t\xc3\xa9", CAT "(U+00E9 is not one of them)", "ete" },
    };
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        char text[256];
        snprintf(text, sizeof(text), G1 "[rule.fine]\npoints = -10\ncategory = \"%s\"\n",
                 cases[k].value);
        civic_error e = rules_refused_saying(text, cases[k].what);
        assert_int_equal(e.line, 5);
        assert_int_equal(e.column, 12);
        snprintf(text, sizeof(text), G1 "[rule.fine]\npoints = -10\ncategory = \"%s\"\n",
                 cases[k].applied);
        civic_rules_free(rules_from(text));
    }
    /* in a change too, at its value */
    fails_at(G1 "[rule.fine]\npoints = -10\n[[rule.fine.change]]\nfrom = \"2026-01-01\"\n"
                "category = \"Dogs\"\n", 7, 12, "(codes are lower case: write \"dogs\")");
    /* a stray blank at an end, or a look-alike, as in any word value */
    fails_at(G1 "[rule.fine]\npoints = -10\ncategory = \" traffic\"\n", 5, 13,
             "[a-z0-9_.-] (\" traffic\" has a blank at its start: delete it)");
    fails_at(G1 "[rule.fine]\npoints = -10\ncategory = \"\xef\xbd\x94raffic\"\n", 5, 13,
             "[a-z0-9_.-] (a full-width character");
    /* too long: its length, a limit */
    char text[256];
    snprintf(text, sizeof(text), G1 "[rule.fine]\npoints = -10\ncategory = \"%065d\"\n", 0);
    civic_error e = rules_error(text, CIVIC_E_LIMIT);
    assert_string_equal(e.message, CAT "(it is 65 bytes long)");
#undef CAT
}

/* A recount refused for the balance names the version to give affects =
 * "score": a change that says "score" already under a base that feeds the
 * balance by default was told to use affects = "score" (what it did). */
static void a_recount_on_a_balance_rule_names_the_version_that_feeds_it(void **state)
{
    (void)state;
#define WHY "recount = true on a rule that affects the balance (spendable points are never " \
            "rewritten; "
    static const struct { const char *text; uint64_t line; uint32_t column; const char *what; }
        cases[] = {
        /* the base, by default */
        { G1 "[rule.fine]\npoints = -10\n[[rule.fine.change]]\nfrom = \"2026-01-01\"\n"
             "points = -5\naffects = \"score\"\nrecount = true\n", 9, 11,
          "line 9, column 11: " WHY "[rule.fine] (line 3) affects the balance: give it "
          "affects = \"score\")" },
        /* an earlier change that set it (a later one inherits it) */
        { G1 "[rule.fine]\npoints = -10\naffects = \"score\"\n[[rule.fine.change]]\n"
             "from = \"2026-01-01\"\naffects = \"both\"\n[[rule.fine.change]]\n"
             "from = \"2027-01-01\"\nrecount = true\n", 11, 11,
          "line 11, column 11: " WHY "[[rule.fine.change]] (line 6) affects the balance: give "
          "it affects = \"score\")" },
        /* a later change */
        { G1 "[rule.a]\npoints = 1\naffects = \"score\"\n[[rule.a.change]]\n"
             "from = \"2024-01-01\"\nrecount = true\n[[rule.a.change]]\n"
             "from = \"2025-01-01\"\naffects = \"both\"\n", 8, 11,
          "line 8, column 11: " WHY "[[rule.a.change]] (line 9) affects the balance: give it "
          "affects = \"score\")" },
        /* the recount change itself */
        { G1 "[rule.fine]\npoints = -10\naffects = \"score\"\n[[rule.fine.change]]\n"
             "from = \"2026-01-01\"\naffects = \"balance\"\nrecount = true\n", 9, 11,
          "line 9, column 11: " WHY "this change affects the balance: give it affects = "
          "\"score\")" },
        /* a code with a dot, quoted as written */
        { G1 "[rule.\"a.b\"]\npoints = 1\n[[rule.\"a.b\".change]]\nfrom = \"2026-01-01\"\n"
             "recount = true\n", 7, 11,
          "line 7, column 11: " WHY "[rule.\"a.b\"] (line 3) affects the balance: give it "
          "affects = \"score\")" },
    };
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        civic_error e = rules_error(cases[k].text, CIVIC_E_RULES);
        assert_int_equal(e.line, cases[k].line);
        assert_int_equal(e.column, cases[k].column);
        assert_string_equal(e.message, cases[k].what);
    }
    /* the longest code is cut as a quoted name is, and the hint kept whole */
    char text[512], code[65];
    memset(code, 'x', 64);
    code[64] = '\0';
    snprintf(text, sizeof(text), G1 "[rule.%s]\npoints = 1\n[[rule.%s.change]]\n"
             "from = \"2026-01-01\"\naffects = \"score\"\nrecount = true\n", code, code);
    civic_error e = rules_error(text, CIVIC_E_RULES);
    assert_non_null(strstr(e.message, "; [rule.xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...] "
                                      "(line 3) affects the balance: give it affects = "
                                      "\"score\")"));
    /* done as said, each loads */
    civic_rules_free(rules_from(G1 "[rule.fine]\npoints = -10\naffects = \"score\"\n"
                                "[[rule.fine.change]]\nfrom = \"2026-01-01\"\npoints = -5\n"
                                "affects = \"score\"\nrecount = true\n"));
#undef WHY
}

static void life_and_cap_keys_are_checked(void **state)
{
    (void)state;
    fails_at(G1 "[rule.a]\npoints = 1\npublicity = \"forever\"\n", 5, 13, "not \"forever\"");
    fails_at(G1 "[rule.a]\npoints = 1\npublicity = \"by-severity\"\n", 5, 13,
             "\"end-of-year\" (not \"by-severity\": [[validity]] classes set how long");
    /* no reason given for a word that is no duration at all */
    civic_error soon = rules_error(G1 "[rule.a]\npoints = 1\npublicity = \"soon\"\n", CIVIC_E_RULES);
    assert_int_equal(soon.line, 5);
    const char *tail = "or \"end-of-year\"";
    assert_true(strlen(soon.message) >= strlen(tail));
    assert_string_equal(soon.message + strlen(soon.message) - strlen(tail), tail);
    fails_at(G1 "[rule.a]\npoints = -1\naffects = \"score\"\nretain = \"by-severity\"\n", 6, 10,
             "(\"by-severity\" is for a rule's 'valid' only)");
    fails_at(G1 "[rule.a]\npoints = 1\nretain = \"5\"\naffects = \"score\"\n", 5, 10, "'retain' must be");
    fails_at(G1 "[rule.a]\npoints = 1\nretain = \"5y\"\n", 5, 10, "affects = \"score\"");
    fails_at(G1 "[rule.a]\npoints = 1\nretain = \"5y\"\naffects = \"balance\"\n", 5, 10,
             "affects = \"score\"");
    /* a change that sets affects under the base's retain is the one named */
    fails_at(G1 "[rule.a]\npoints = 1\nretain = \"5y\"\naffects = \"score\"\n"
                "[[rule.a.change]]\nfrom = \"2025-01-01\"\naffects = \"both\"\n", 9, 11,
             "affects = \"score\"");
    fails_at(G1 "[rule.a]\npoints = 1\ncap_mode = \"net\"\n", 5, 12, "'cap_mode' without 'cap'");
    fails_at(G1 "[rule.a]\npoints = 1\ncap = 5\ncap_period = \"day\"\ncap_mode = \"gross\"\n",
             7, 12, "'cap_mode' must be one of");
    fails_at(G1 "[rule.a]\npoints = 1\nfreeze = 1\n", 5, 10, "true or false");
    fails_at(G1 "[rule.a]\npoints = 1\ncategory = \"Traffic\"\n", 5, 12, "[a-z0-9_.-]");
    fails_at(G1 "[cap.c]\nlimit = 5\nperiod = \"day\"\nmode = \"gross\"\n", 6, 8, "'mode' must be");
    fails_at("[scheme]\nbalance_min = 5\n" G1, 2, 15, "0 or below");
    fails_at("[scheme]\ncontested = \"ignore\"\n" G1, 2, 13, "'contested' must be one of");
    fails_at("[scheme]\nobjection_window = \"soon\"\n" G1, 2, 20, "'objection_window' must be");
    fails_at(G1 "[rule.object]\npoints = 1\n", 3, 2, "reserved");
    fails_at(G1 "[rule.correct]\npoints = 1\n", 3, 2, "reserved");
    fails_at(G1 "[rule.dismiss]\npoints = 1\n", 3, 2, "reserved");
}

static void validity_classes_are_checked(void **state)
{
    (void)state;
    fails_at(G1 "[rule.a]\npoints = 1\nvalid = \"by-severity\"\n", 5, 9, "needs [[validity]]");
    /* inherited: the scheme's key is where to look, not the rule's header */
    fails_at("[scheme]\nvalid = \"by-severity\"\n" G1 "[rule.a]\npoints = 1\n", 2, 9,
             "[scheme] valid = \"by-severity\" needs [[validity]] classes (every rule without");
    fails_at("[scheme]\nvalid = \"by-severity\"\n" G1 "[rule.a]\npoints = 1\nvalid = \"by-severity\"\n",
             7, 9, "valid = \"by-severity\" needs [[validity]]");
    fails_at(G1 "[[validity]]\nup_to = 40\nvalid = \"1y\"\n[[validity]]\nup_to = 40\n"
                "valid = \"2y\"\n[[validity]]\nvalid = \"3y\"\n", 7, 9, "strictly increasing");
    fails_at(G1 "[[validity]]\nvalid = \"1y\"\n[[validity]]\nvalid = \"2y\"\n", 3, 3,
             "only the last");
    fails_at(G1 "[[validity]]\nup_to = 40\nvalid = \"1y\"\n", 4, 9,
             "the last [[validity]] class must not have 'up_to'");
    fails_at(G1 "[[validity]]\nup_to = 40\n", 3, 3, "without 'valid'");
    fails_at(G1 "[[validity]]\nvalid = \"by-severity\"\n", 4, 9, "'valid' must be");
    fails_at(G1 "[[validity]]\nup_to = -1\nvalid = \"1y\"\n", 4, 9, "negative");
    /* unknown and duplicate keys at the key, as in every other table */
    fails_at(G1 "[[validity]]\nvalid = \"1y\"\n  valid = \"2y\"\n", 5, 3, "duplicate key 'valid'");
    fails_at(G1 "[[validity]]\nvalid = \"1y\"\n bogus = 1\n", 5, 2, "unknown key 'bogus'");
}

/* Classes that nothing says valid = "by-severity" of left every entry to its
 * rule's own validity ("forever" by default) without a word: refused at the
 * first class, since [[validity]] is a key of version 2. */
static void validity_classes_no_rule_uses_are_refused(void **state)
{
    (void)state;
#define CLASSES "[[validity]]\nup_to = 20\nvalid = \"6m\"\n[[validity]]\nvalid = \"2y\"\n"
    const char *want = "[[validity]] classes that no rule uses (nothing says valid = "
                       "\"by-severity\"): add it under [scheme] or to the rules meant, or "
                       "delete the classes";
    civic_error e = rules_error("[scheme]\nbase = 100\n" CLASSES G1 "[rule.a]\npoints = -10\n",
                                CIVIC_E_RULES);
    assert_string_equal(e.message, "line 3, column 3: [[validity]] classes that no rule uses "
                                   "(nothing says valid = \"by-severity\"): add it under [scheme] "
                                   "or to the rules meant, or delete the classes");
    /* a rule's own valid, a scheme's valid of another form: still unused */
    fails_at("[scheme]\nvalid = \"1y\"\n" G1 CLASSES "[rule.a]\npoints = -10\nvalid = \"2y\"\n",
             5, 3, want);
    fails_at(G1 "[rule.a]\npoints = -10\n" CLASSES, 5, 3, want);
    /* used: by [scheme] (even where every rule has its own valid: the classes
     * are the scheme's default), by a rule, or by a change alone */
    const char *used[] = {
        "[scheme]\nbase = 100\nvalid = \"by-severity\"\n" CLASSES G1 "[rule.a]\npoints = -10\n",
        "[scheme]\nvalid = \"by-severity\"\n" CLASSES G1 "[rule.a]\npoints = -10\nvalid = \"1y\"\n",
        CLASSES G1 "[rule.a]\npoints = -10\n[rule.b]\npoints = -30\nvalid = \"by-severity\"\n",
        CLASSES G1 "[rule.a]\npoints = -10\n[[rule.a.change]]\nfrom = \"2026-01-01\"\n"
        "valid = \"by-severity\"\n",
        CLASSES G1 "[rule.a]\npoints = -10\nvalid = \"by-severity\"\n[[rule.a.change]]\n"
        "from = \"2026-01-01\"\nvalid = \"1y\"\n",
    };
    for (size_t i = 0; i < sizeof(used) / sizeof(used[0]); i++)
        civic_rules_free(rules_from(used[i]));
    /* the repro: the 2020 deduction of 10 lasts 6 months under by-severity */
    civic_rules *r = rules_from("[scheme]\nbase = 100\nvalid = \"by-severity\"\n" CLASSES G1
                                "[rule.a]\npoints = -10\n");
    civic_engine *eng = NULL;
    assert_int_equal(civic_engine_new(&eng, r, NULL), CIVIC_OK);
    load_ok(eng, "id,subject,type,ts\ne1,s1,a,2020-01-01\n");
    assert_int_equal(score_at(eng, "s1", "2020-06-30").score, P(90));
    assert_int_equal(score_at(eng, "s1", "2025-01-01").score, P(100));
    support_release();
    civic_engine_free(eng);
    civic_rules_free(r);
#undef CLASSES
}

/* A measure no score can meet (SPEC 11.2: a score is within the scheme's
 * min..max, a grade follows from it): refused at the key that excludes it,
 * as min_score above max_score is. */
static void a_measure_no_score_can_meet_is_refused(void **state)
{
    (void)state;
#define S200 "[scheme]\nbase = 100\nmin = 0\nmax = 200\n"
#define AB "[[grade]]\nname = \"A\"\nmin = 100\n[[grade]]\nname = \"B\"\n"
#define MM "[measure.m]\nkind = \"incentive\"\n"
    civic_error e = rules_error(S200 AB MM "min_score = 500\n", CIVIC_E_RULES);
    assert_string_equal(e.message, "line 12, column 13: 'min_score' is above the scheme's max "
                                   "(200.00): no score reaches it, so the measure could never "
                                   "apply");
    e = rules_error(S200 AB MM "max_score = -0.01\n", CIVIC_E_RULES);
    assert_string_equal(e.message, "line 12, column 13: 'max_score' is below the scheme's min "
                                   "(0.00): no score is that low, so the measure could never "
                                   "apply");
    /* B takes the scores below 100 */
    e = rules_error(S200 AB MM "grades = \"B\"\nmin_score = 150\n", CIVIC_E_RULES);
    assert_string_equal(e.message, "line 13, column 13: 'min_score' is above every score of "
                                   "grade \"B\" (at most 99.99), so the measure could never "
                                   "apply");
    e = rules_error(S200 AB MM "max_score = 50\ngrades = \"A\"\n", CIVIC_E_RULES);
    assert_string_equal(e.message, "line 12, column 13: 'max_score' is below every score of "
                                   "grade \"A\" (at least 100.00), so the measure could never "
                                   "apply");
    /* several grades: the nearest one is named */
#define SAB "[[grade]]\nname = \"S\"\nmin = 150\n" AB
    e = rules_error(S200 SAB MM "grades = \"A;B\"\nmin_score = 160\n", CIVIC_E_RULES);
    assert_string_equal(e.message, "line 16, column 13: 'min_score' is above every score of the "
                                   "grades in 'grades' (at most 149.99, grade \"A\"), so the "
                                   "measure could never apply");
    /* S and B, between them: neither bound alone */
    fails_at(S200 SAB MM "grades = \"S;B\"\nmin_score = 100\nmax_score = 120\n", 17, 13,
             "no score of the grades in 'grades' is within min_score..max_score, so the measure "
             "could never apply");
    /* a grade above the scheme's max takes no score */
#define TOP "[[grade]]\nname = \"T\"\nmin = 300\n"
    fails_at(S200 TOP AB MM "grades = \"T\"\n", 15, 10,
             "'grades': grade \"T\" takes no score within the scheme's min..max, so the measure "
             "could never apply");
    fails_at(S200 TOP "[[grade]]\nname = \"U\"\nmin = 250\n" AB MM "grades = \"T;U\"\n", 18, 10,
             "'grades': none of these grades takes a score within the scheme's min..max");
    /* what some score meets loads: an edge of a band, a grade among others,
     * no bounds on the scheme, the last grade below the scheme's min */
    const char *fine[] = {
        S200 AB MM "min_score = 200\n",
        S200 AB MM "max_score = 0\n",
        S200 AB MM "grades = \"B\"\nmax_score = 99.99\n",
        S200 AB MM "grades = \"A\"\nmin_score = 200\n",
        S200 AB MM "grades = \"A;B\"\nmin_score = 150\n",
        S200 SAB MM "grades = \"S;B\"\nmin_score = 100\nmax_score = 150\n",
        S200 TOP AB MM "grades = \"T;A\"\n",
        "[scheme]\nbase = 100\n" AB MM "grades = \"B\"\nmin_score = -500\nmax_score = 99.99\n",
        "[scheme]\nbase = 100\n" AB MM "grades = \"A\"\nmin_score = 5000\n",
        "[scheme]\nbase = 100\nmin = 50\n" AB MM "grades = \"B\"\nmax_score = 60\n",
    };
    for (size_t i = 0; i < sizeof(fine) / sizeof(fine[0]); i++)
        civic_rules_free(rules_from(fine[i]));
#undef TOP
#undef SAB
#undef MM
#undef AB
#undef S200
}

static void tiers_and_measures_are_checked(void **state)
{
    (void)state;
#define R "[rule.a]\npoints = 1\nflag = \"dishonest\"\n"
#define T "[tier.t]\nrules = \"a\"\n[[tier.t.level]]\nname = \"one\"\nmin = 1\n"
    fails_at(G1 R "[tier.t]\nrules = \"a;b\"\n[[tier.t.level]]\nname = \"x\"\nmin = 1\n",
             7, 9, "\"b\" is not a rule");
    fails_at(G1 R "[tier.t]\nrules = \"a\"\n", 6, 2, "at least one");
    /* a NUL in the list is shown, not the end of the message's text, as the
     * escape that wrote it (TOML has no \x) */
    fails_at(G1 R "[tier.t]\nrules = \"a\\u0000\"\n[[tier.t.level]]\nname = \"x\"\nmin = 1\n",
             7, 9, "'rules': \"a\\u0000\" is not a rule");
    fails_at(G1 R "[tier.t]\nrules = \"a\"\nbogus = \"x\"\n", 8, 1, "unknown key 'bogus' in [tier.t]");
    /* every table is named as its header is written */
    fails_at(G1 R T "bogus = 1\n", 11, 1, "unknown key 'bogus' in [[tier.t.level]]");
    fails_at(G1 R "[tier.\"t.u\"]\nrules = \"a\"\n[[tier.\"t.u\".level]]\nname = \"one\"\nbogus = 1\n",
             10, 1, "unknown key 'bogus' in [[tier.\"t.u\".level]]");
    fails_at(G1 R "[measure.m]\nbogus = 1\n", 7, 1, "unknown key 'bogus' in [measure.m]");
    /* a stray blank in publicity is named as in repair_after and retain,
     * and deleted as said the value is taken */
    fails_at(G1 "[rule.a]\npoints = 1\npublicity = \" 7d\"\n", 5, 14,
             "(\" 7d\" has a blank at its start: delete it)");
    fails_at(G1 "[rule.a]\npoints = 1\npublicity = \"end-of-month \"\n", 5, 26,
             "(\"end-of-month \" has a blank at its end: delete it)");
    fails_at(G1 "[rule.a]\npoints = 1\nrepair_after = \" 7d\"\n", 5, 17,
             "(\" 7d\" has a blank at its start: delete it)");
    civic_rules_free(rules_from(G1 "[rule.a]\npoints = 1\npublicity = \"7d\"\n"));
    civic_rules_free(rules_from(G1 "[rule.a]\npoints = 1\npublicity = \"end-of-month\"\n"));
    /* a blank around a value refused without it is named, without "delete" */
    fails_at(G1 "[rule.a]\npoints = 1\npublicity = \" forever\"\n", 5, 14,
             "(\" forever\" has a blank at its start)");
    fails_at(G1 R "[[validity]]\nbogus = 1\n", 7, 1, "unknown key 'bogus' in [[validity]]");
    fails_at(G1 R T "  name = \"two\"\n", 11, 3, "duplicate key 'name'");
    fails_at(G1 R "[measure.m]\nflag = \"dishonest\"\n  flag = \"dishonest\"\n", 8, 3,
             "duplicate key 'flag'");
    /* found by fuzz_rules: this used to compute NULL + 0 before the check
     * (clang's UBSan, as in `make test-asan CC=clang`, stops there) */
    fails_at(G1 R "[tier.t]\n[[tier.t.level]]\nname = \"x\"\nmin = 1\n", 6, 2, "without 'rules'");
    fails_at(G1 R T "[[tier.t.level]]\nname = \"two\"\nmin = 1\n", 13, 7, "strictly increasing");
    /* the level's tier named (it said [[tier.level]]) */
    fails_at(G1 R "[tier.t]\nrules = \"a\"\n[[tier.t.level]]\nmin = 1\n", 8, 3,
             "[[tier.t.level]] without 'name'");
    fails_at(G1 R "[tier.t]\nrules = \"a\"\n[[tier.t.level]]\nname = \"x\"\n", 8, 3,
             "[[tier.t.level]] without 'min'");
    fails_at(G1 R "[tier.\"t.u\"]\nrules = \"a\"\n[[tier.\"t.u\".level]]\nname = \"x\"\n", 8, 3,
             "[[tier.\"t.u\".level]] without 'min'");
    fails_at(G1 R "[[tier.\"t.u\".level]]\nname = \"x\"\n", 6, 3,
             "[[tier.\"t.u\".level]] has no [tier.\"t.u\"] before it");
    fails_at(G1 R T "[[tier.t.level]]\nname = \"one\"\nmin = 2\n", 12, 8, "duplicate level name");
    fails_at(G1 R "[tier.t]\nrules = \"a\"\nmeasure = \"hours\"\n", 8, 11, "'measure' must be");
    fails_at(G1 R "[tier.t]\nrules = \"a\"\nwindow = \"forever\"\n", 8, 10, "'window' must be");
    fails_at(G1 R "[[tier.u.level]]\nname = \"x\"\n", 6, 3, "has no [tier.u] before it");
    fails_at(G1 R "[tier.t]\nrules = \"a\"\n[[tier.t.level]]\nname = \"x\"\nmin = 1.005\n", 10, 7,
             "'min': decimals may have at most 2 places");
    /* too large: the bound, as every other number of the file says it */
    civic_error big = rules_error(G1 R "[tier.t]\nrules = \"a\"\n[[tier.t.level]]\nname = \"x\"\n"
                                  "min = 1000000000001\n", CIVIC_E_LIMIT);
    assert_int_equal(big.line, 10);
    assert_non_null(strstr(big.message, "'min': number too large (at most 1000000000000)"));
    fails_at(G1 R "[tier.t]\nrules = \"a\"\nwindow = \"end-of-month\"\n", 8, 10, "'window' must be");
    fails_at(G1 R T "[measure.m]\nkind = \"incentive\"\n", 11, 2, "at least one condition");
    fails_at(G1 R T "[measure.m]\ngrades = \"A\"\n", 11, 2, "without 'kind'");
    fails_at(G1 R T "[measure.m]\nkind = \"incentive\"\ngrades = \"A;Z\"\n", 13, 10,
             "\"Z\" is not a grade");
    /* a name twice is a slip (another was meant), as a key twice is */
    fails_at(G1 R T "[measure.m]\nkind = \"incentive\"\ngrades = \"A;A\"\n", 13, 10,
             "'grades': \"A\" is listed twice");
    fails_at(G1 R "[tier.t]\nrules = \"a;a\"\n", 7, 9, "'rules': \"a\" is listed twice");
    fails_at(G1 R T "[measure.m]\nkind = \"incentive\"\nflag = \"nope\"\n", 13, 8, "'flag' is not");
    fails_at(G1 R T "[measure.m]\nkind = \"incentive\"\ntier = \"t\"\n", 13, 8, "go together");
    fails_at(G1 R T "[measure.m]\nkind = \"incentive\"\nmin_level = \"one\"\n", 13, 13, "go together");
    fails_at(G1 R T "[measure.m]\nkind = \"incentive\"\ntier = \"u\"\nmin_level = \"one\"\n", 13, 8,
             "names no [tier");
    fails_at(G1 R T "[measure.m]\nkind = \"incentive\"\ntier = \"t\"\nmin_level = \"two\"\n", 14, 13,
             "not a level");
    fails_at(G1 R T "[measure.dishonest]\nkind = \"restriction\"\nmin_score = 1\n", 11, 2,
             "share its code with a flag");
    fails_at(G1 R T "[measure.m]\nkind = \"bonus\"\nmin_score = 5\n", 12, 8, "'kind' must be");
    /* a score band that holds no score: the measure could never apply; at
     * max_score's value wherever it stands; a band of one score is fine */
    fails_at(G1 R T "[measure.m]\nkind = \"incentive\"\nmin_score = 2000\nmax_score = 10\n", 14, 13,
             "'max_score' is below 'min_score' (no score is in both: the measure could never "
             "apply)");
    fails_at(G1 R T "[measure.m]\nkind = \"incentive\"\nmax_score = 999.99\nmin_score = 1000\n", 13,
             13, "'max_score' is below 'min_score'");
    civic_rules_free(rules_from(G1 R T "[measure.m]\nkind = \"incentive\"\nmin_score = 1000\n"
                                "max_score = 1000\n"));
    civic_rules_free(rules_from(G1 R T "[measure.m]\nkind = \"incentive\"\nmin_score = 999.99\n"
                                "max_score = 1000\n"));
    fails_at(G1 R T "[tier.t]\nrules = \"a\"\n", 11, 2, "duplicate tier 't' (first at line 6)");
    fails_at(G1 R T "[measure.m]\nkind = \"incentive\"\nmin_score = 5\n"
             "[measure.m]\nkind = \"incentive\"\nmin_score = 6\n", 14, 2,
             "duplicate measure 'm' (first at line 11)");
    fails_at(G1 "[rule.volunteer]\npoints = 1\n[tier.t]\nrules = \"volunter\"\n", 6, 9,
             "'rules': \"volunter\" is not a rule of this scheme (did you mean 'volunteer'?)");
    fails_at(G1 R "[measure.m]\nkind = \"restriction\"\nflag = \"dishonset\"\n", 8, 8,
             "'flag' is not a flag any rule of this scheme sets (did you mean 'dishonest'?)");
    fails_at(G1 R "[measure.m]\nkind = \"restriction\"\nflag = \"nothing\"\n", 8, 8,
             "'flag' is not a flag any rule of this scheme sets");
    /* Measures are found by a hash index: 300 of them, the index grown
     * several times, and a duplicate of the first and of a middle one. */
    for (int dup = 0; dup < 300; dup += 149) {
        size_t cap = 64 * 1024, used = 0;
        char *text = malloc(cap);
        assert_non_null(text);
        used += (size_t)snprintf(text + used, cap - used, "%s", G1 R T);
        for (int i = 0; i < 300; i++)
            used += (size_t)snprintf(text + used, cap - used,
                                     "[measure.m%d]\nkind = \"incentive\"\nmin_score = 5\n", i);
        assert_true(used < cap);
        civic_rules *ok = rules_from(text);
        assert_int_equal(civic_rules_measure_count(ok), 300);
        civic_rules_free(ok);
        snprintf(text + used, cap - used, "[measure.m%d]\nmin_score = 5\n", dup);
        fails_at(text, 10 + 300 * 3 + 1, 2, "duplicate measure");
        free(text);
    }
#undef R
#undef T
}

/* Write the scheme back and parse it again: same fingerprint, same text. */
static void round_trips(const char *text)
{
    civic_rules *r = rules_from(text);
    size_t need = 0;
    assert_int_equal(civic_rules_to_toml(r, NULL, 0, &need), CIVIC_E_LIMIT);
    char *buf = malloc(need + 1);
    assert_non_null(buf);
    assert_int_equal(civic_rules_to_toml(r, buf, need + 1, NULL), CIVIC_OK);
    assert_int_equal(strlen(buf), need);
    civic_rules *again = rules_from(buf);
    assert_true(civic_rules_fingerprint(r) == civic_rules_fingerprint(again));
    assert_int_equal(civic_rules_spec_version(r), civic_rules_spec_version(again));
    /* the order of the dimensions is the order of every answer's subtotals */
    assert_int_equal(civic_rules_dimension_count(r), civic_rules_dimension_count(again));
    for (size_t d = 0; d < civic_rules_dimension_count(r); d++)
        assert_string_equal(civic_rules_dimension_name(r, d), civic_rules_dimension_name(again, d));
    char *buf2 = malloc(need + 1);
    assert_int_equal(civic_rules_to_toml(again, buf2, need + 1, NULL), CIVIC_OK);
    assert_string_equal(buf, buf2);
    /* a buffer one byte short is refused and still NUL-terminated */
    assert_int_equal(civic_rules_to_toml(r, buf2, need, NULL), CIVIC_E_LIMIT);
    assert_int_equal(buf2[need - 1], '\0');
    free(buf);
    free(buf2);
    civic_rules_free(r);
    civic_rules_free(again);
}

static void dimensions_in_order(const char *text, const char *const *want)
{
    civic_rules *r = rules_from(text);
    size_t n = 0;
    while (want[n]) n++;
    assert_int_equal(civic_rules_dimension_count(r), n);
    for (size_t d = 0; d < n; d++) assert_string_equal(civic_rules_dimension_name(r, d), want[d]);
    civic_rules_free(r);
    round_trips(text);
}

static void dimensions_are_numbered_by_first_use_and_written_back_so(void **state)
{
    (void)state;
    /* a rule naming "general" places it; one without a dimension does not */
    const char *named[] = { "general", "legal", NULL };
    dimensions_in_order(G1 "[rule.a]\npoints = 1\ndimension = \"general\"\n"
                        "[rule.b]\npoints = 2\ndimension = \"legal\"\n", named);
    const char *implicit[] = { "legal", "general", NULL };
    dimensions_in_order(G1 "[rule.a]\npoints = 1\n[rule.b]\npoints = 2\ndimension = \"legal\"\n",
                        implicit);
    /* a's change comes after b in the file but counts with rule a: zed, then
     * legal; c names general after them, d's moral comes last */
    const char *changed[] = { "zed", "legal", "general", "moral", NULL };
    dimensions_in_order(G1 "[rule.a]\npoints = 1\n[rule.b]\npoints = 2\ndimension = \"legal\"\n"
                        "[rule.c]\npoints = 3\ndimension = \"general\"\n"
                        "[rule.d]\npoints = 4\ndimension = \"moral\"\n"
                        "[[rule.a.change]]\nfrom = \"2020-01-01\"\ndimension = \"zed\"\n", changed);
    const char *later[] = { "legal", "smart", "moral", "general", NULL };
    dimensions_in_order(G1 "[rule.a]\npoints = 1\ndimension = \"legal\"\n"
                        "[rule.b]\npoints = 2\ndimension = \"moral\"\n"
                        "[[rule.a.change]]\nfrom = \"2020-01-01\"\ndimension = \"smart\"\n"
                        "[rule.c]\npoints = 3\n", later);
}

/* [rule.a.b] is one code to the scheme, a table b inside rule a to TOML:
 * where that makes the file one TOML refuses (b a key rule a sets), or a
 * change written with single brackets a rule of its own, it is refused,
 * the quoted code offered; elsewhere both readings stand, as in 1.0. */
static void a_bare_dotted_name_that_toml_reads_as_a_key_is_refused(void **state)
{
    (void)state;
    fails_at(G1 "[rule.a]\npoints = 1\n[rule.a.points]\npoints = 5\n", 5, 2,
             "TOML reads this header as the key 'points' of rule 'a', set there too: write "
             "[rule.\"a.points\"] for a rule so named");
    /* either order; at the dotted one */
    fails_at(G1 "[rule.a.b.valid]\npoints = 5\n[rule.a.b]\nvalid = \"1y\"\n", 3, 2,
             "the key 'valid' of rule 'a.b'");
    /* a change with single brackets, beside a quoted code of dots too (the
     * scheme reads [[rule.a.b.change]] as its change); more after "change":
     * the change header to write is the prefix's */
    fails_at(G1 "[rule.\"a.b\"]\n[rule.a.b.change]\npoints = 1\n", 4, 2,
             "write [[rule.a.b.change]] for a change, or [rule.\"a.b.change\"]");
    fails_at(G1 "[rule.zz]\n[rule.zz.change.points]\npoints = 1\n", 4, 2,
             "write [[rule.zz.change]] for a change, or [rule.\"zz.change.points\"] for a rule");
    /* a quoted code of dots is no path: [rule.a.b.valid] is not inside it */
    civic_rules_free(rules_from(G1 "[rule.\"a.b\"]\nvalid = \"1y\"\n[rule.a.b.valid]\npoints = 1\n"));
    /* the longest codes: the message whole */
    {
        char code[61], text[512];
        memset(code, 'x', 57);
        code[57] = '\0';
        snprintf(text, sizeof(text), G1 "[rule.%s]\n[rule.%s.change]\n", code, code);
        civic_error err = rules_error(text, CIVIC_E_RULES);
        char want[200];
        snprintf(want, sizeof(want), "[rule.\"%s.change\"] for a rule of that code", code);
        assert_non_null(strstr(err.message, want));
    }
    fails_at(G1 "[rule.a]\npoints = 1\n[rule.a.change]\npoints = 3\n", 5, 2,
             "write [[rule.a.change]] for a change, or [rule.\"a.change\"] for a rule of that "
             "code");
    fails_at(G1 "[rule.a.change]\npoints = 3\n[rule.a]\npoints = 1\n", 3, 2,
             "write [[rule.a.change]] for a change");
    fails_at(G1 "[cap.c]\nlimit = 5\nperiod = \"day\"\n[cap.c.limit]\nlimit = 3\n"
             "period = \"day\"\n", 6, 2,
             "TOML reads this header as the key 'limit' of cap 'c', set there too: write "
             "[cap.\"c.limit\"] for a cap so named");
    /* quoted, or a part that is no key the prefix sets: the code it names */
    const char *fine[] = {
        G1 "[rule.a]\npoints = 1\n[rule.\"a.points\"]\npoints = 5\n",
        G1 "[rule.a]\npoints = 1\n[rule.\"a.change\"]\npoints = 5\n",
        G1 "[rule.a]\npoints = 1\n[rule.a.b]\npoints = 5\n",
        G1 "[rule.a]\n[rule.a.points]\npoints = 5\n",
        G1 "[rule.x.change]\npoints = 5\n",
        G1 "[cap.c]\nlimit = 5\nperiod = \"day\"\n[cap.c.mode]\nlimit = 3\n"
                    "period = \"day\"\n",
    };
    for (size_t i = 0; i < sizeof(fine) / sizeof(fine[0]); i++) civic_rules_free(rules_from(fine[i]));
}

/* Tiers, measures and changes alike: a bare dotted name that TOML reads as a
 * key its prefix sets (Python's tomllib refuses each of the files refused
 * here: "Cannot overwrite a value"), or a tier's level written with single
 * brackets (which TOML reads as a table inside the tier), is refused with
 * the quoted name offered; the quoted forms load. */
static void a_bare_dotted_tier_measure_or_change_toml_reads_as_a_key_is_refused(void **state)
{
    (void)state;
#define TA "[rule.a]\npoints = 1\n[tier.t]\nrules = \"a\"\n[[tier.t.level]]\nname = \"x\"\nmin = 1\n"
    fails_at(G1 TA "[tier.t.rules]\nrules = \"a\"\n", 10, 2,
             "TOML reads this header as the key 'rules' of tier 't', set there too: write "
             "[tier.\"t.rules\"] for a tier so named");
    fails_at(G1 TA "[tier.t.level]\nrules = \"a\"\n", 10, 2,
             "write [[tier.t.level]] for a level, or [tier.\"t.level\"] for a tier of that name");
    /* a level written with single brackets, holding a level's keys: the
     * fix, as for a change, not "unknown key" */
    fails_at(G1 "[rule.a]\n[tier.t]\nrules = \"a\"\n[tier.t.level]\nname = \"1 star\"\nmin = 100\n",
             7, 1, "key 'name' belongs to a tier level: write [[tier.t.level]], with double "
             "brackets");
    fails_at(G1 TA "[tier.t.level]\nmin = 100\n", 11, 1,
             "key 'min' belongs to a tier level: write [[tier.t.level]], with double brackets");
    fails_at(G1 "[rule.a]\n[tier.\"a.b.level\"]\nname = \"x\"\n", 5, 1,
             "key 'name' belongs to a tier level: write [[tier.\"a.b\".level]], with double "
             "brackets");
    fails_at(G1 "[rule.a]\npoints = 1\n[measure.m]\ntext = \"x\"\nkind = \"incentive\"\n"
             "min_score = 1\n[measure.m.text]\nkind = \"incentive\"\nmin_score = 2\n", 9, 2,
             "TOML reads this header as the key 'text' of measure 'm', set there too: write "
             "[measure.\"m.text\"] for a measure so named");
    fails_at(G1 TA "[tier.\"t.rules\"]\nrules = \"a\"\n[[tier.t.rules.level]]\nname = \"y\"\n"
             "min = 1\n", 12, 3,
             "TOML reads this header as the key 'rules' of tier 't', set there too: write "
             "[[tier.\"t.rules\".level]]");
#define CA "[rule.a]\npoints = 1\ncap = 5\ncap_period = \"day\"\n[rule.\"a.cap\"]\npoints = 2\n"
    fails_at(G1 CA "[[rule.a.cap.change]]\nfrom = \"2020-01-01\"\npoints = 3\n", 9, 3,
             "TOML reads this header as the key 'cap' of rule 'a', set there too: write "
             "[[rule.\"a.cap\".change]]");
    const char *fine[] = {
        G1 TA "[tier.\"t.rules\"]\nrules = \"a\"\n[[tier.\"t.rules\".level]]\nname = \"y\"\n"
              "min = 1\n",
        G1 TA "[tier.t.window]\nrules = \"a\"\n[[tier.t.window.level]]\nname = \"y\"\nmin = 1\n",
        G1 "[rule.a]\npoints = 1\n[measure.m]\nkind = \"incentive\"\nmin_score = 1\n"
           "[measure.m.b]\nkind = \"incentive\"\nmin_score = 2\n",
        G1 CA "[[rule.\"a.cap\".change]]\nfrom = \"2020-01-01\"\npoints = 3\n",
        G1 CA "[[rule.a.change]]\nfrom = \"2020-01-01\"\npoints = 3\n",
    };
#undef TA
#undef CA
    for (size_t i = 0; i < sizeof(fine) / sizeof(fine[0]); i++) civic_rules_free(rules_from(fine[i]));
}

/* A change's from as an integer takes TOML's '+', as every number does:
 * the same instant as without it, and as its timestamp string. */
/* Fewer than nine digits as Unix seconds are an instant before 1973-03-03:
 * a year, a year and month or a spreadsheet's day number, never what a
 * rules file means (each would put every past entry under the change).
 * Eight digits that are no date get this message, dates the one above.
 * The instants by hand: 2026 s = 00:33:46; 202603 s = 2 d 8:16:43;
 * 45000 s = 12:30:00; 99999999 s = 1157 d (1970, 1971, 1972 and 61 days
 * of 1973) 9:46:39. */
static void a_from_of_fewer_than_nine_digits_is_refused(void **state)
{
    (void)state;
#define CH G1 "[rule.a]\npoints = 1\n[[rule.a.change]]\nfrom = "
    fails_at(CH "2026\n", 6, 8, "'from': 2026 would be Unix seconds, 1970-01-01T00:33:46+00:00: "
             "a year is written as a date, \"2026-01-01\" (that instant itself as "
             "\"1970-01-01T00:33:46+00:00\")");
    fails_at(CH "\"2026\"\n", 6, 8, "'from': \"2026\" would be Unix seconds, "
             "1970-01-01T00:33:46+00:00: a year is written as a date, \"2026-01-01\"");
    fails_at(CH "+02026\n", 6, 8, "'from': +02026 would be Unix seconds, "
             "1970-01-01T00:33:46+00:00: a year is written as a date, \"2026-01-01\"");
    fails_at(CH "+2026\n", 6, 8, "'from': +2026 would be Unix seconds, 1970-01-01T00:33:46+00:00: "
             "a year is written as a date, \"2026-01-01\"");
    fails_at(CH "202603\n", 6, 8, "'from': 202603 would be Unix seconds, "
             "1970-01-03T08:16:43+00:00: a year and month is written as a date, \"2026-03-01\" "
             "(that instant itself as \"1970-01-03T08:16:43+00:00\")");
    fails_at(CH "45000\n", 6, 8, "'from': 45000 would be Unix seconds, 1970-01-01T12:30:00+00:00: "
             "write a date, as \"2026-01-01\" (not a spreadsheet's day number; that instant "
             "itself as \"1970-01-01T12:30:00+00:00\")");
    fails_at(CH "\"45000\"\n", 6, 8, "'from': \"45000\" would be Unix seconds, "
             "1970-01-01T12:30:00+00:00: write a date");
    fails_at(CH "99999999\n", 6, 8, "'from': 99999999 would be Unix seconds, "
             "1973-03-03T09:46:39+00:00: write a date");
    /* eight digits that are no date, and a month 13 */
    fails_at(CH "\"20250229\"\n", 6, 8, "'from': \"20250229\" would be Unix seconds, "
             "1970-08-23T09:03:49+00:00: write a date");
    fails_at(CH "202613\n", 6, 8, "'from': 202613 would be Unix seconds, "
             "1970-01-03T08:16:53+00:00: write a date");
    fails_at(CH "0\n", 6, 8, "'from': 0 would be Unix seconds, 1970-01-01T00:00:00+00:00: "
             "write a date");
    fails_at(CH "\"00000000\"\n", 6, 8, "'from': \"00000000\" would be Unix seconds, "
             "1970-01-01T00:00:00+00:00");
    /* the instant in the scheme's offset, as the eight-digit message */
    fails_at("[scheme]\nutc_offset = \"+08:00\"\n" CH "2026\n", 8, 8,
             "'from': 2026 would be Unix seconds, 1970-01-01T08:33:46+08:00: a year is written "
             "as a date, \"2026-01-01\" (that instant itself as \"1970-01-01T08:33:46+08:00\")");
#undef CH
}

/* A sign before the digits slips past none of it: -0 is 0, 1970-01-01,
 * and a negative count of seconds is before 1970, putting every past entry
 * under the change even more surely.  The instants by hand: -1 s is
 * 1969-12-31T23:59:59; -2026 s is 33 min 46 s before midnight, 23:26:14. */
static void a_from_of_a_sign_and_digits_is_refused(void **state)
{
    (void)state;
#define CH G1 "[rule.a]\npoints = 1\n[[rule.a.change]]\nfrom = "
    static const struct { const char *from, *what; } refused[] = {
        { "-0\n",
          "'from': -0 would be Unix seconds, 1970-01-01T00:00:00+00:00: "
          "write a date, as \"2026-01-01\"" },
        { "-00\n",
          "'from': -00 would be Unix seconds, 1970-01-01T00:00:00+00:00: "
          "write a date" },
        { "\"-0\"\n",
          "'from': \"-0\" would be Unix seconds, "
          "1970-01-01T00:00:00+00:00: write a date" },
        { "-1\n",
          "'from': -1 would be Unix seconds, 1969-12-31T23:59:59+00:00, "
          "before 1970: write a date, as \"2026-01-01\" (that instant itself as "
          "\"1969-12-31T23:59:59+00:00\")" },
        { "-2026\n",
          "'from': -2026 would be Unix seconds, "
          "1969-12-31T23:26:14+00:00, before 1970: write a date" },
        { "\"-2026\"\n",
          "'from': \"-2026\" would be Unix seconds, "
          "1969-12-31T23:26:14+00:00, before 1970: write a date" },
        { "-20250101\n",
          "'from': -20250101 would be Unix seconds, "
          "1969-05-11T14:58:19+00:00, before 1970: write a date" },
        /* the bound is the one digits alone have: 99999999 s before 1970 is
         * 1966-10-31T14:13:21 (3 years 2 months back), leading zeros aside */
        { "-99999999\n",
          "'from': -99999999 would be Unix seconds, "
          "1966-10-31T14:13:21+00:00, before 1970: write a date" },
        { "\"-00099999999\"\n",
          "'from': \"-00099999999\" would be Unix seconds, "
          "1966-10-31T14:13:21+00:00, before 1970: write a date" },
    };
    for (size_t k = 0; k < sizeof(refused) / sizeof(refused[0]); k++) {
        char text[200];
        snprintf(text, sizeof(text), CH "%s", refused[k].from);
        fails_at(text, 6, 8, refused[k].what);
    }
    /* an instant before 1970 written as one is what it says */
    civic_rules_free(rules_from(CH "\"1969-12-31T23:59:59Z\"\npoints = 2\n"));
    /* and so is a negative count of seconds from 100000000 on, as Unix
     * seconds may carry a sign: -1767225600 is 1914-01-01 (56 years of
     * 365.25 days back, 1767225600 s), quoted or not, leading zeros aside */
    static const char *const past[] = { "-100000000", "\"-0100000000\"", "-1000000000",
                                        "-1767225600", "\"-1767225600\"", "-62135596800" };
    static const char *const offsets[] = { "", "[scheme]\nutc_offset = \"-08:00\"\n",
                                           "[scheme]\nutc_offset = \"+08:00\"\n" };
    for (size_t i = 0; i < sizeof(past) / sizeof(past[0]); i++)
        for (size_t o = 0; o < sizeof(offsets) / sizeof(offsets[0]); o++) {
            char text[240];
            snprintf(text, sizeof(text), "%s" CH "%s\npoints = 2\n", offsets[o], past[i]);
            civic_rules *r = rules_from(text);
            if (strcmp(past[i], "-1767225600") == 0) {
                civic_rule_info info = CIVIC_RULE_INFO_INIT;
                assert_int_equal(civic_rules_rule_info(r, 0, 1, &info), CIVIC_OK);
                assert_true(info.from == -1767225600);
            }
            civic_rules_free(r);
        }
#undef CH
}

static void a_from_in_unix_seconds_may_carry_a_plus(void **state)
{
    (void)state;
    const char *forms[] = { "+1735689600", "1735689600", "\"2025-01-01T00:00:00Z\"",
                            "01735689600" };
    uint64_t fp = 0;
    for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
        char text[256];
        snprintf(text, sizeof(text), G1 "[rule.a]\npoints = 1\n[[rule.a.change]]\nfrom = %s\n"
                 "points = 2\n", forms[i]);
        civic_rules *r = rules_from(text);
        if (i == 0) fp = civic_rules_fingerprint(r);
        assert_true(civic_rules_fingerprint(r) == fp);
        civic_rules_free(r);
    }
}

static void the_scheme_written_back_parses_to_the_same_fingerprint(void **state)
{
    (void)state;
    round_trips(civic_rules_default_text());
    round_trips(TEST_SCHEME "[rule.a]\npoints = -2.5\n");
    /* names whose dots would be empty parts of a bare header (read bare, as
     * 1.0 read them, though TOML does not) come back quoted */
    const char *dotted = TEST_SCHEME "[cap.\"c.\"]\nlimit = 1\nperiod = \"day\"\n"
                "[rule.\".x\"]\npoints = 1\ncap_group = \"c.\"\n"
                "[[rule.\".x\".change]]\nfrom = \"2024-01-01\"\npoints = 2\n"
                "[rule.a..b]\npoints = 1\n[rule.y.]\npoints = 1\n"
                "[tier.\"t..u\"]\nrules = \"y.\"\n[[tier.\"t..u\".level]]\nname = \"one\"\nmin = 1\n"
                "[measure.m.]\nkind = \"incentive\"\ntier = \"t..u\"\nmin_level = \"one\"\n";
    round_trips(dotted);
    /* a dotted code beside its prefix's rule, a key of it as its last part:
     * quoted when written, as TOML would read it bare as that key */
    const char *clash = TEST_SCHEME "[rule.a.points]\npoints = 2\n[rule.a]\n"
                        "[[rule.a.points.change]]\nfrom = \"2024-01-01\"\npoints = 3\n";
    round_trips(clash);
    {
        civic_rules *r = rules_from(clash);
        char buf[8192];
        assert_int_equal(civic_rules_to_toml(r, buf, sizeof(buf), NULL), CIVIC_OK);
        assert_non_null(strstr(buf, "\n[rule.\"a.points\"]\n"));
        assert_non_null(strstr(buf, "\n[[rule.\"a.points\".change]]\n"));
        assert_null(strstr(buf, "[rule.a.points"));
        civic_rules_free(r);
    }
    {   /* written as TOML writes them: quoted, every kind of header */
        civic_rules *r = rules_from(dotted);
        char buf[8192];
        assert_int_equal(civic_rules_to_toml(r, buf, sizeof(buf), NULL), CIVIC_OK);
        static const char *const want[] = {
            "\n[cap.\"c.\"]\n", "\n[rule.\".x\"]\n", "\n[[rule.\".x\".change]]\n",
            "\n[rule.\"a..b\"]\n", "\n[rule.\"y.\"]\n", "\n[tier.\"t..u\"]\n",
            "\n[[tier.\"t..u\".level]]\n", "\n[measure.\"m.\"]\n",
        };
        for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
            if (!strstr(buf, want[i])) fprintf(stderr, "missing %s in:\n%s", want[i], buf);
            assert_non_null(strstr(buf, want[i]));
        }
        civic_rules_free(r);
    }
    {   /* control characters in the scheme's name are written as escapes, C1 too */
        const char *ctl = "[scheme]\nname = \"a\\u001b[2J\\u009b1m\\u00a0z\"\n" G1;
        round_trips(ctl);
        civic_rules *r = rules_from(ctl);
        char buf[4096];
        assert_int_equal(civic_rules_to_toml(r, buf, sizeof(buf), NULL), CIVIC_OK);
        assert_non_null(strstr(buf, "name = \"a\\u001B[2J\\u009B1m\xc2\xa0z\"\n"));
        civic_rules_free(r);
    }
    round_trips("[scheme]\nname = \"q\\\"uote\\\\ \\u00e9\"\nbalance_min = -10\n"
                "contested = \"suspend\"\nobjection_window = \"7d\"\nvalid = \"by-severity\"\n"
                G1 "[[validity]]\nup_to = 40\nvalid = \"1y\"\n[[validity]]\nvalid = \"2y\"\n"
                "[cap.votes]\nlimit = 200\nperiod = \"day\"\nmode = \"net\"\n"
                "[rule.v]\npoints = 1\nper = \"unit\"\ncap = 20\ncap_period = \"month\"\n"
                "publicity = \"7d\"\ndimension = \"autonomy\"\n"
                "[[rule.v.change]]\nfrom = \"2026-01-01\"\npoints = 0.5\ncap = 30\n"
                "cap_mode = \"net\"\ndimension = \"general\"\n"
                "[[rule.v.change]]\nfrom = 1800000000\ncap = false\npublicity = false\n"
                "[rule.park]\npoints = -10\ncategory = \"traffic\"\nrepeat_factor = 2\n"
                "retain = \"5y\"\naffects = \"score\"\n"
                "[[rule.park.change]]\nfrom = \"2025-01-01\"\nrecount = true\npoints = -5\n"
                "category = false\nrepeat_factor = false\n"
                "[rule.drunk]\npoints = 0\nceiling = 850\nfreeze = true\nflag = \"dishonest\"\n"
                "repair_after = \"3m\"\ncap_group = \"votes\"\n"
                "[[rule.drunk.change]]\nfrom = \"2025-01-01\"\nfreeze = false\nceiling = false\n"
                "[tier.star]\nrules = \"v;park\"\nmeasure = \"qty\"\nwindow = \"12m\"\n"
                "[[tier.star.level]]\nname = \"1 star\"\nmin = 100.5\n"
                "[[tier.star.level]]\nname = \"2 stars\"\nmin = 300\n"
                "[tier.pts]\nrules = \"v\"\nmeasure = \"points\"\nwindow = \"year\"\n"
                "[[tier.pts.level]]\nname = \"low\"\nmin = -5\n"
                "[measure.priority]\ntext = \"Priority\"\nkind = \"incentive\"\ngrades = \"A\"\n"
                "[measure.no_subsidy]\nkind = \"restriction\"\nflag = \"dishonest\"\n"
                "[measure.rebate]\nkind = \"incentive\"\ntier = \"star\"\nmin_level = \"2 stars\"\n"
                "min_score = 900\nmax_score = 1900\n");
    /* a grade name with a quote and a backslash, named by a measure */
    round_trips("[[grade]]\nname = \"A\\\"B\"\nmin = 10\n[[grade]]\nname = \"C\\\\\"\n"
                "[measure.m]\nkind = \"incentive\"\ngrades = \"A\\\"B;C\\\\\"\n");
    /* a change whose local date falls outside years 1..9999 */
    round_trips("[scheme]\nutc_offset = \"+08:00\"\n" G1 "[rule.x]\npoints = 1\n"
                "[[rule.x.change]]\nfrom = \"9999-12-31T23:00:00Z\"\n");
    round_trips("[scheme]\nutc_offset = \"-08:00\"\n" G1 "[rule.x]\npoints = 1\n"
                "[[rule.x.change]]\nfrom = \"0001-01-01T00:00:00Z\"\n");
}

static void version_two_accessors_describe_the_scheme(void **state)
{
    (void)state;
    civic_rules *r = rules_from(G1 "[rule.a]\npoints = 1\nflag = \"f1\"\n"
                                   "[rule.b]\npoints = 1\nflag = \"f2\"\n"
                                   "[tier.t]\nrules = \"a\"\n[[tier.t.level]]\nname = \"one\"\n"
                                   "min = 1\n[[tier.t.level]]\nname = \"two\"\nmin = 2\n"
                                   "[measure.m]\ntext = \"Help\"\nkind = \"restriction\"\n"
                                   "flag = \"f2\"\n");
    assert_int_equal(civic_rules_flag_count(r), 2);
    assert_string_equal(civic_rules_flag_name(r, 1), "f2");
    assert_null(civic_rules_flag_name(r, 2));
    assert_int_equal(civic_rules_tier_count(r), 1);
    assert_string_equal(civic_rules_tier_name(r, 0), "t");
    assert_int_equal(civic_rules_tier_level_count(r, 0), 2);
    assert_string_equal(civic_rules_tier_level_name(r, 0, 1), "two");
    assert_null(civic_rules_tier_level_name(r, 0, 2));
    assert_int_equal(civic_rules_measure_count(r), 1);
    assert_string_equal(civic_rules_measure_code(r, 0), "m");
    assert_string_equal(civic_rules_measure_text(r, 0), "Help");
    assert_int_equal(civic_rules_measure_kind(r, 0), CIVIC_MEASURE_RESTRICTION);
    assert_int_equal(civic_rules_measure_kind(r, 1), 0);
    civic_rules_free(r);
}

static void the_scheme_its_caps_classes_tiers_and_measures_are_described(void **state)
{
    (void)state;
    civic_rules *r = rules_from(
        "[scheme]\nbase = 1000\nmin = 0\nmax = 2000\nclamp = \"running\"\n"
        "utc_offset = \"+08:00\"\nbalance_reset = \"quarter\"\nbalance_min = -50\n"
        "contested = \"suspend\"\nobjection_window = \"15d\"\n" TEST_GRADES
        "[cap.votes]\nlimit = 20\nperiod = \"day\"\nmode = \"net\"\n"
        "[cap.help]\nlimit = 7.5\nperiod = \"lifetime\"\n"
        "[[validity]]\nup_to = 40\nvalid = \"1y\"\n[[validity]]\nup_to = 80.5\nvalid = \"2y\"\n"
        "[[validity]]\nvalid = \"forever\"\n"
        "[rule.z]\npoints = 1\ncap_group = \"votes\"\n[rule.a]\npoints = -1\nflag = \"f\"\n"
        "valid = \"by-severity\"\n[tier.t]\nrules = \"z;a\"\nmeasure = \"points\"\nwindow = \"12m\"\n"
        "[[tier.t.level]]\nname = \"one\"\nmin = 2.5\n[[tier.t.level]]\nname = \"two\"\nmin = 10\n"
        "[tier.q]\nrules = \"z\"\n[[tier.q.level]]\nname = \"x\"\nmin = 1.25\n"
        "[measure.m]\nkind = \"incentive\"\ngrades = \"AA;AAA\"\ntier = \"t\"\n"
        "min_level = \"two\"\nmin_score = 900\nmax_score = 1999.99\n"
        "[measure.n]\ntext = \"No\"\nkind = \"restriction\"\nflag = \"f\"\n");
    civic_scheme_info s = CIVIC_SCHEME_INFO_INIT;
    assert_int_equal(civic_rules_scheme_info(r, &s), CIVIC_OK);
    assert_true(s.running_clamp && s.suspend && s.has_min && s.has_max && s.has_balance_min);
    assert_int_equal(s.min, 0);
    assert_int_equal(s.max, P(2000));
    assert_int_equal(s.balance_min, P(-50));
    assert_string_equal(s.valid, "forever");
    assert_string_equal(s.balance_reset, "quarter");
    assert_string_equal(s.objection_window, "15d");

    assert_int_equal(civic_rules_cap_count(r), 2);
    civic_cap_info c = CIVIC_CAP_INFO_INIT;
    assert_int_equal(civic_rules_cap_info(r, 0, &c), CIVIC_OK);
    assert_string_equal(c.name, "votes");
    assert_int_equal(c.limit, P(20));
    assert_string_equal(c.period, "day");
    assert_int_equal(c.net, 1);
    assert_int_equal(civic_rules_cap_info(r, 1, &c), CIVIC_OK);
    assert_string_equal(c.name, "help");
    assert_int_equal(c.limit, 750);
    assert_string_equal(c.period, "lifetime");
    assert_int_equal(c.net, 0);
    assert_int_equal(civic_rules_cap_info(r, 2, &c), CIVIC_E_INVALID);

    assert_int_equal(civic_rules_validity_count(r), 3);
    civic_validity_info v = CIVIC_VALIDITY_INFO_INIT;
    assert_int_equal(civic_rules_validity_info(r, 1, &v), CIVIC_OK);
    assert_int_equal(v.up_to, 8050);
    assert_string_equal(v.valid, "2y");
    assert_int_equal(civic_rules_validity_info(r, 2, &v), CIVIC_OK);
    assert_int_equal(v.up_to, -1);
    assert_string_equal(v.valid, "forever");
    assert_int_equal(civic_rules_validity_info(r, 3, &v), CIVIC_E_INVALID);

    civic_tier_info t = CIVIC_TIER_INFO_INIT;
    assert_int_equal(civic_rules_tier_info(r, 0, &t), CIVIC_OK);
    assert_string_equal(t.name, "t");
    assert_int_equal(t.measure, CIVIC_TIER_MEASURE_POINTS);
    assert_string_equal(t.window, "12m");
    assert_int_equal(t.rule_count, 2);
    assert_int_equal(t.level_count, 2);
    /* rule indices, sorted: z is rule 0, a rule 1 */
    assert_int_equal(civic_rules_tier_rule(r, 0, 0), 0);
    assert_int_equal(civic_rules_tier_rule(r, 0, 1), 1);
    assert_true(civic_rules_tier_rule(r, 0, 2) == SIZE_MAX);
    int64_t min = 0;
    assert_int_equal(civic_rules_tier_level_min(r, 0, 0, &min), CIVIC_OK);
    assert_int_equal(min, 250); /* points: hundredths */
    assert_int_equal(civic_rules_tier_level_min(r, 0, 2, &min), CIVIC_E_INVALID);
    assert_int_equal(civic_rules_tier_info(r, 1, &t), CIVIC_OK);
    assert_int_equal(t.measure, CIVIC_TIER_MEASURE_QTY);
    assert_string_equal(t.window, "lifetime");
    assert_int_equal(civic_rules_tier_level_min(r, 1, 0, &min), CIVIC_OK);
    assert_int_equal(min, 1250); /* qty: thousandths */
    assert_int_equal(civic_rules_tier_info(r, 2, &t), CIVIC_E_INVALID);

    civic_measure_info m = CIVIC_MEASURE_INFO_INIT;
    assert_int_equal(civic_rules_measure_info(r, 0, &m), CIVIC_OK);
    assert_string_equal(m.code, "m");
    assert_string_equal(m.text, "");
    assert_int_equal(m.kind, CIVIC_MEASURE_INCENTIVE);
    assert_int_equal(m.grades, 0x3); /* grades 0 (AAA) and 1 (AA) */
    assert_string_equal(m.flag, "");
    assert_string_equal(m.tier, "t");
    assert_string_equal(m.min_level, "two");
    assert_true(m.has_min_score && m.has_max_score);
    assert_int_equal(m.min_score, P(900));
    assert_int_equal(m.max_score, 199999);
    assert_int_equal(civic_rules_measure_info(r, 1, &m), CIVIC_OK);
    assert_string_equal(m.text, "No");
    assert_int_equal(m.kind, CIVIC_MEASURE_RESTRICTION);
    assert_int_equal(m.grades, 0);
    assert_string_equal(m.flag, "f");
    assert_string_equal(m.tier, "");
    assert_string_equal(m.min_level, "");
    assert_false(m.has_min_score || m.has_max_score);
    assert_int_equal(civic_rules_measure_info(r, 2, &m), CIVIC_E_INVALID);

    /* a version the library does not know */
    m.version = CIVIC_MEASURE_INFO_VERSION + 1;
    assert_int_equal(civic_rules_measure_info(r, 0, &m), CIVIC_E_VERSION);
    s.version = 0;
    assert_int_equal(civic_rules_scheme_info(r, &s), CIVIC_E_VERSION);
    assert_int_equal(civic_rules_scheme_info(NULL, &s), CIVIC_E_INVALID);
    civic_rules_free(r);

    /* a version-1 scheme: defaults, no caps, classes or tiers */
    r = rules_from(TEST_SCHEME "[rule.a]\npoints = 1\n");
    s = (civic_scheme_info)CIVIC_SCHEME_INFO_INIT;
    assert_int_equal(civic_rules_scheme_info(r, &s), CIVIC_OK);
    assert_false(s.running_clamp || s.suspend || s.has_min || s.has_max || s.has_balance_min);
    assert_string_equal(s.valid, "forever");
    assert_string_equal(s.balance_reset, "never");
    assert_string_equal(s.objection_window, "forever");
    assert_int_equal(civic_rules_cap_count(r) + civic_rules_validity_count(r), 0);
    civic_rules_free(r);
}

/* A grade may hold a ';', which separates the names of a measure's
 * 'grades': such a grade cannot be named there, and the message says so (it
 * named a grade "A" the file never wrote, and no more). */
static void a_grade_with_a_semicolon_cannot_be_named_by_a_measure(void **state)
{
    (void)state;
    fails_at("[[grade]]\nname = \"A;B\"\nmin = 10\n[[grade]]\nname = \"C\"\n"
             "[rule.f]\npoints = -10\n[measure.m]\nkind = \"incentive\"\ngrades = \"A;B\"\n",
             10, 10, "'grades': \"A\" is not a grade of this scheme (the grade \"A;B\" cannot "
             "be named here, as ';' separates the names: rename it)");
    fails_at(G1 "[rule.f]\npoints = -10\n[measure.m]\nkind = \"incentive\"\ngrades = \"Z\"\n",
             7, 10, "'grades': \"Z\" is not a grade of this scheme");
    fails_at(G1 "[rule.f]\npoints = -10\n[measure.m]\nkind = \"incentive\"\ngrades = \"a\"\n",
             7, 10, "'grades': \"a\" is not a grade of this scheme (did you mean 'A'? the only "
             "grade is \"A\")");
    /* a list written with commas: the separator is ';' */
    fails_at(G1 "[rule.f]\npoints = -10\n[measure.m]\nkind = \"incentive\"\ngrades = \"A, B\"\n",
             7, 10, "'grades': \"A, B\" is not a grade of this scheme (names are separated by "
             "';', not ',')");
    fails_at(G1 "[rule.a]\npoints = 1\n[rule.b]\npoints = 1\n[tier.t]\nrules = \"a,b\"\n", 8, 9,
             "'rules': \"a,b\" is not a rule of this scheme (names are separated by ';', not ',')");
}

/* A grade a measure names that the scheme lacks is told the scheme's
 * grades, as many as the message holds and the rest counted, and the one
 * it most likely is. */
static void a_measure_naming_no_grade_is_told_the_grades(void **state)
{
    (void)state;
#define G4 "[[grade]]\nname = \"AAA\"\nmin = 3\n[[grade]]\nname = \"AA\"\nmin = 2\n" \
           "[[grade]]\nname = \"A\"\nmin = 1\n[[grade]]\nname = \"B\"\n"
#define M "[measure.m]\nkind = \"incentive\"\ngrades = "
#define HH "[[grade]]\nname = \"HeRo\"\nmin = 2\n[[grade]]\nname = \"hero\"\n"
    static const struct { const char *text, *what; } cases[] = {
        { G1 M "\"AAA\"\n", "line 5, column 10: 'grades': \"AAA\" is not a grade of this scheme "
                            "(the only grade is \"A\")" },
        { G4 M "\"X\"\n", "line 14, column 10: 'grades': \"X\" is not a grade of this scheme (the "
                          "grades are \"AAA\", \"AA\", \"A\" and \"B\")" },
        { G4 M "\"AA;aaa\"\n", "line 14, column 10: 'grades': \"aaa\" is not a grade of this "
                               "scheme (did you mean 'AAA'? the grades are \"AAA\", \"AA\", \"A\" "
                               "and \"B\")" },
        { G4 M "\"AAAA\"\n", "line 14, column 10: 'grades': \"AAAA\" is not a grade of this "
                             "scheme (did you mean 'AAA'? the grades are \"AAA\", \"AA\", \"A\" "
                             "and \"B\")" },
        /* of two as near with case ignored, the one nearer in its own
         * letters: "herO" is one letter in another case from "hero", three
         * from "HeRo"; "hera" one edit from "hero", three from "HeRo" */
        { HH M "\"herO\"\n", "line 8, column 10: 'grades': \"herO\" is not a grade of this "
                              "scheme (did you mean 'hero'? the grades are \"HeRo\" and "
                              "\"hero\")" },
        { HH M "\"hera\"\n", "line 8, column 10: 'grades': \"hera\" is not a grade of this "
                              "scheme (did you mean 'hero'? the grades are \"HeRo\" and "
                              "\"hero\")" },
        { HH M "\"HeRa\"\n", "line 8, column 10: 'grades': \"HeRa\" is not a grade of this "
                              "scheme (did you mean 'HeRo'? the grades are \"HeRo\" and "
                              "\"hero\")" },
    };
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        rules_refused_saying(cases[k].text, cases[k].what);
    }
    /* 64 grades of long names: as many as fit, the rest counted, and the
     * message whole to its ')', after a line number of any length */
    static const size_t blank_lines[] = { 0, 9999000 };
    for (size_t k = 0; k < 2; k++) {
        char *text = malloc(blank_lines[k] + 40000), *w = text;
        assert_non_null(text);
        memset(w, '\n', blank_lines[k]);
        w += blank_lines[k];
        for (int g = 0; g < 64; g++)
            w += sprintf(w, "[[grade]]\nname = \"%02d %0200d\"\nmin = %d\n", g, 0, 100 - g);
        w += sprintf(w, M "\"01 %0200d\"\n", 1);
        civic_rules *r = (civic_rules *)1;
        civic_error e = CIVIC_ERROR_INIT;
        assert_int_equal(civic_rules_parse(&r, text, (size_t)(w - text), NULL, &e),
                         CIVIC_E_RULES);
        free(text);
        assert_int_equal(e.line, blank_lines[k] + 195);
        const char *list = strstr(e.message, " (the grades are \"00 0000");
        assert_non_null(list);
        assert_true(strlen(e.message) < CIVIC_ERROR_MESSAGE_SIZE - 1);
        assert_non_null(strstr(list, "...\", \"01 0000"));
        assert_string_equal(e.message + strlen(e.message) - 14, "\" and 62 more)");
    }
#undef M
#undef G4
#undef HH
}

/* A blank beside a list's ';' ("AAA; AA") or at an end of a name a measure
 * refers to ("gold ", "t ", "dishonest "): said so, and to delete it, where
 * the name without it is one of the scheme's (a word value's blanks are
 * told alike); one that is no name without them is told as before. */
static void a_blank_around_a_name_a_measure_or_tier_names_is_told(void **state)
{
    (void)state;
#define G3 "[[grade]]\nname = \"AAA\"\nmin = 2\n[[grade]]\nname = \"AA\"\nmin = 1\n" \
           "[[grade]]\nname = \"B\"\n"
#define R2 "[rule.a]\npoints = 1\nflag = \"dishonest\"\n[rule.b]\npoints = 1\n"
#define T2 "[tier.t]\nrules = \"a\"\n[[tier.t.level]]\nname = \"gold\"\nmin = 1\n"
#define M2 "[measure.m]\nkind = \"incentive\"\n"
    static const struct { const char *text, *what; } cases[] = {
        { G3 R2 M2 "grades = \"AAA; AA\"\n",
          "line 16, column 10: 'grades': \" AA\" is not a grade of this scheme (a blank at its "
          "start: delete it)" },
        { G3 R2 M2 "grades = \"AAA ;AA\"\n",
          "line 16, column 10: 'grades': \"AAA \" is not a grade of this scheme (a blank at its "
          "end: delete it)" },
        { G3 R2 "[tier.u]\nrules = \"a; b\"\n[[tier.u.level]]\nname = \"x\"\nmin = 1\n",
          "line 15, column 9: 'rules': \" b\" is not a rule of this scheme (a blank at its "
          "start: delete it)" },
        { G3 R2 T2 M2 "tier = \"t\"\nmin_level = \"gold \"\n",
          "line 22, column 13: 'min_level' is not a level of that tier (\"gold \" has a blank at "
          "its end: delete it)" },
        { G3 R2 T2 M2 "tier = \"t \"\nmin_level = \"gold\"\n",
          "line 21, column 8: 'tier' names no [tier.NAME] (\"t \" has a blank at its end: delete "
          "it)" },
        { G3 R2 M2 "flag = \"  dishonest\"\n",
          "line 16, column 8: 'flag' is not a flag any rule of this scheme sets (\"  dishonest\" "
          "has blanks at its start: delete them)" },
        /* the blank in the rule's flag, not the measure's: the rule's table
         * and line, and the blank to delete there (not "did you mean
         * 'dishonest '?", which advised adding it) */
        { G3 "[rule.d]\nflag = \"dishonest \"\n" M2 "flag = \"dishonest\"\n",
          "line 13, column 8: 'flag' is not a flag any rule of this scheme sets (the flag "
          "'dishonest ' that [rule.d] sets at line 10 has a blank at its end: delete it)" },
        { G3 "[rule.\"d.e\"]\nflag = \"x\"\n[[rule.\"d.e\".change]]\nfrom = \"2026-01-01\"\n"
          "flag = \"  dishonest \"\n" M2 "flag = \"dishonest\"\n",
          "line 16, column 8: 'flag' is not a flag any rule of this scheme sets (the flag "
          "'  dishonest ' that [[rule.\"d.e\".change]] sets at line 13 has blanks at its start "
          "and end: delete them)" },
        /* no grade without the blank: as before */
        { G3 R2 M2 "grades = \"AAA; X\"\n",
          "line 16, column 10: 'grades': \" X\" is not a grade of this scheme (the grades are "
          "\"AAA\", \"AA\" and \"B\")" },
    };
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        rules_refused_saying(cases[k].text, cases[k].what);
    }
    /* the rule's flag without its blank, as said: the measure loads */
    civic_rules_free(rules_from(G3 "[rule.d]\nflag = \"dishonest\"\n" M2
                                "flag = \"dishonest\"\n"));
}

/* A level's name or a measure's text with a control character from an
 * escape ("C:\reports" is a carriage return) is quoted as written and told
 * to write \\ for a backslash, as a flag is. */
static void a_control_escape_in_a_level_or_measure_text_is_told(void **state)
{
    (void)state;
    fails_at(G3 R2 "[tier.t]\nrules = \"a\"\n[[tier.t.level]]\nname = \"gold\\tstar\"\nmin = 1\n",
             17, 8, "'name' must be 1..256 bytes of text without control characters or ';' "
             "\"gold\\tstar\" (write \\\\ for a backslash)");
    fails_at(G3 R2 M2 "text = \"see C:\\reports\"\n", 16, 8, "'text' must be 1..4096 bytes of "
             "text without control characters \"see C:\\reports\" (write \\\\ for a backslash)");
    civic_rules_free(rules_from(G3 R2 M2 "grades = \"AAA\"\ntext = \"see C:\\\\reports\"\n"));
}

/* A level's min in quotes, or a level's name, a measure's text or a list
 * left unquoted: what to write, as a grade's min and a scheme's name are
 * told. */
static void a_level_or_measure_value_quoted_wrong_is_told_what_to_write(void **state)
{
    (void)state;
    /* a level's min in quotes is told to drop them, as a grade's is */
    fails_at(G3 R2 "[tier.t]\nrules = \"a\"\n[[tier.t.level]]\nname = \"gold\"\nmin = \"50\"\n",
             18, 7, "'min' must be a number (drop the quotes: min = 50)");
    /* a level's name, a measure's text or its list, left unquoted: the value to quote */
    fails_at(G3 R2 T2 M2 "tier = \"t\"\nmin_level = 2 stars\n", 22, 13,
             "'min_level' must be a string (write it in double quotes: \"2 stars\")");
    civic_error e = rules_error(G3 R2 M2 "grades = AAA;AA\n", CIVIC_E_SYNTAX);
    assert_string_equal(e.message, "line 16, column 10: expected a string, number, true or false "
                                   "(write it in double quotes: \"AAA;AA\")");
    e = rules_error(G3 R2 M2 "grades = AAA; AA # the top two\n", CIVIC_E_SYNTAX);
    assert_string_equal(e.message, "line 16, column 10: expected a string, number, true or false "
                                   "(write it in double quotes: \"AAA; AA\")");
    e = rules_error(G3 R2 "[tier.u]\nrules = a;b\n", CIVIC_E_SYNTAX);
    assert_string_equal(e.message, "line 15, column 9: expected a string, number, true or false "
                                   "(write it in double quotes: \"a;b\")");
    e = rules_error(G3 R2 M2 "flag = \"dishonest\"\ntext = No subsidies while listed\n",
                    CIVIC_E_SYNTAX);
    assert_string_equal(e.message, "line 17, column 8: expected a string, number, true or false "
                                   "(write it in double quotes: \"No subsidies while listed\")");
}
#undef M2
#undef T2
#undef R2
#undef G3

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_version_one_scheme_keeps_its_fingerprint),
        cmocka_unit_test(every_version_two_key_makes_a_version_two_scheme),
        cmocka_unit_test(changes_take_effect_at_from_and_recounts_only_from_then),
        cmocka_unit_test(a_recount_on_a_balance_rule_names_the_version_that_feeds_it),
        cmocka_unit_test(a_category_that_is_no_code_says_what_to_write),
        cmocka_unit_test(version_lookup_is_the_contracts_on_many_changes),
        cmocka_unit_test(a_change_keeps_what_it_does_not_list_and_false_removes),
        cmocka_unit_test(validity_classes_follow_the_size_of_raw),
        cmocka_unit_test(change_checks_name_line_and_column),
        cmocka_unit_test(life_and_cap_keys_are_checked),
        cmocka_unit_test(validity_classes_are_checked),
        cmocka_unit_test(validity_classes_no_rule_uses_are_refused),
        cmocka_unit_test(a_measure_no_score_can_meet_is_refused),
        cmocka_unit_test(tiers_and_measures_are_checked),
        cmocka_unit_test(the_scheme_written_back_parses_to_the_same_fingerprint),
        cmocka_unit_test(a_bare_dotted_name_that_toml_reads_as_a_key_is_refused),
        cmocka_unit_test(a_bare_dotted_tier_measure_or_change_toml_reads_as_a_key_is_refused),
        cmocka_unit_test(a_from_of_fewer_than_nine_digits_is_refused),
        cmocka_unit_test(a_from_of_a_sign_and_digits_is_refused),
        cmocka_unit_test(a_from_in_unix_seconds_may_carry_a_plus),
        cmocka_unit_test(dimensions_are_numbered_by_first_use_and_written_back_so),
        cmocka_unit_test(version_two_accessors_describe_the_scheme),
        cmocka_unit_test(the_scheme_its_caps_classes_tiers_and_measures_are_described),
        cmocka_unit_test(a_grade_with_a_semicolon_cannot_be_named_by_a_measure),
        cmocka_unit_test(a_measure_naming_no_grade_is_told_the_grades),
        cmocka_unit_test(a_blank_around_a_name_a_measure_or_tier_names_is_told),
        cmocka_unit_test(a_level_or_measure_value_quoted_wrong_is_told_what_to_write),
        cmocka_unit_test(a_control_escape_in_a_level_or_measure_text_is_told),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
