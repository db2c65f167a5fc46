/*
** test_rules.c -- SPEC section 2: the rules file, every load-time check, the
** built-in scheme, and the time helpers.  Line and column numbers in the
** expectations were counted by hand from the texts.
*/
#include "support.h"

#include <unistd.h>

static void the_built_in_scheme_parses_and_matches_its_text(void **state)
{
    (void)state;
    civic_rules *r = NULL;
    assert_int_equal(civic_rules_default(&r, NULL), CIVIC_OK);
    assert_string_equal(civic_rules_name(r), "community");
    assert_int_equal(civic_rules_base(r), P(1000));
    assert_int_equal(civic_rules_utc_offset(r), 8 * 3600);
    assert_int_equal(civic_rules_grade_count(r), 6);
    const char *grades[] = { "AAA", "AA", "A", "B", "C", "D" };
    const int64_t mins[] = { 1050, 1030, 960, 850, 600 };
    for (size_t i = 0; i < 6; i++) {
        assert_string_equal(civic_rules_grade_name(r, i), grades[i]);
        int64_t m = 0;
        if (i < 5) {
            assert_int_equal(civic_rules_grade_min(r, i, &m), CIVIC_OK);
            assert_int_equal(m, P(mins[i]));
        } else {
            assert_int_equal(civic_rules_grade_min(r, i, &m), CIVIC_E_INVALID);
        }
    }
    assert_true(civic_rules_rule_count(r) >= 20);
    /* the five governance dimensions */
    const char *dims[] = { "political", "legal", "moral", "autonomy", "smart" };
    for (size_t d = 0; d < 5; d++) {
        bool found = false;
        for (size_t k = 0; k < civic_rules_dimension_count(r); k++)
            found |= strcmp(civic_rules_dimension_name(r, k), dims[d]) == 0;
        assert_true(found);
    }
    /* the C array and the .toml it is generated from agree */
    FILE *f = fopen("lib/default_rules.toml", "rb");
    assert_non_null(f);
    char buf[65536];
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    buf[n] = '\0';
    fclose(f);
    assert_string_equal(buf, civic_rules_default_text());
    civic_rules_free(r);
}

static void utf8_grade_names_work(void **state)
{
    (void)state;
    civic_rules *r = rules_from("[[grade]]\nname = \"\xe4\xba\x8c\xe6\x98\x9f\"\nmin = 10\n"
                                "[[grade]]\nname = \"\\u4e00\\u661f\"\n");
    assert_string_equal(civic_rules_grade_name(r, 0), "二星");
    assert_string_equal(civic_rules_grade_name(r, 1), "一星");
    civic_rules_free(r);
}

static void every_documented_key_is_accepted(void **state)
{
    (void)state;
    civic_rules *r = rules_from(
        "# a comment\n"
        "[scheme]\nname = \"community\"\nbase = 1000\nmin = 0\nmax = 2000\nclamp = \"running\"\n"
        "utc_offset = \"-05:30\"\nvalid = \"forever\"\nbalance_reset = \"quarter\"\n"
        "[[grade]] # trailing comment\nname = \"AAA\"\nmin = 1050.5\n[[grade]]\nname = \"D\"\n"
        "[cap.votes]\nlimit = 200\nperiod = \"lifetime\"\n"
        "[rule.volunteer_hour]\npoints = 1.25\nper = \"unit\"\ndimension = \"autonomy\"\n"
        "valid = \"18m\"\ncap = 20\ncap_period = \"month\"\ncap_group = \"votes\"\n"
        "repeat_factor = 2\nceiling = 850\nflag = \"dishonest\"\naffects = \"both\"\n"
        "[rule.\"with.dots\"]\npoints = -2.5\n[rule.a.b-c_d]\nvalid = \"end-of-quarter\"\n");
    assert_int_equal(civic_rules_rule_count(r), 3);
    assert_string_equal(civic_rules_rule_code(r, 1), "with.dots");
    assert_string_equal(civic_rules_rule_code(r, 2), "a.b-c_d");
    assert_int_equal(civic_rules_utc_offset(r), -(5 * 3600 + 30 * 60));
    civic_rules_free(r);
}

static void an_error_names_line_and_column(civic_error e, uint64_t line, uint32_t column,
                                           const char *words)
{
    if (e.line != line || e.column != column || !strstr(e.message, words))
        fprintf(stderr, "got line %llu column %u: %s\n", (unsigned long long)e.line, e.column,
                e.message);
    assert_int_equal(e.line, line);
    assert_int_equal(e.column, column);
    assert_non_null(strstr(e.message, words));
}

static void unknown_tables_and_keys_are_errors(void **state)
{
    (void)state;
    an_error_names_line_and_column(rules_error(TEST_GRADES "[rule.a]\npoint = 1\n", CIVIC_E_RULES),
                                   19, 1, "unknown key 'point'");
    an_error_names_line_and_column(rules_error("[scheme]\n  bse = 1\n", CIVIC_E_RULES), 2, 3,
                                   "unknown key");
    an_error_names_line_and_column(rules_error("[schema]\n", CIVIC_E_RULES), 1, 2,
                                   "unknown table");
    an_error_names_line_and_column(rules_error("base = 1\n", CIVIC_E_RULES), 1, 1, "unknown key");
    an_error_names_line_and_column(rules_error("[[rule]]\n", CIVIC_E_RULES), 1, 3, "unknown table");
}

static void syntax_errors_name_line_and_column(void **state)
{
    (void)state;
    an_error_names_line_and_column(rules_error("[scheme]\nname = \"open\n", CIVIC_E_SYNTAX), 2, 8,
                                   "unterminated string");
    an_error_names_line_and_column(rules_error("[scheme]\nname = [1]\n", CIVIC_E_SYNTAX), 2, 8,
                                   "arrays are not supported");
    an_error_names_line_and_column(rules_error("[scheme]\nbase = 1 2\n", CIVIC_E_SYNTAX), 2, 10,
                                   "unexpected text");
    an_error_names_line_and_column(rules_error("[scheme\n", CIVIC_E_SYNTAX), 1, 1,
                                   "unterminated table header");
    an_error_names_line_and_column(rules_error("[scheme]\nbase 1\n", CIVIC_E_SYNTAX), 2, 6,
                                   "expected '='");
    an_error_names_line_and_column(rules_error("[scheme]\nname = \"a\\q\"\n", CIVIC_E_SYNTAX), 2, 10,
                                   "unknown escape");
    an_error_names_line_and_column(rules_error("[scheme]\nbase = 1.\n", CIVIC_E_SYNTAX), 2, 8,
                                   "digits after");
    /* no value: at the line's end, or before a comment (a value to come) */
    an_error_names_line_and_column(rules_error("[scheme]\nbase =\n", CIVIC_E_SYNTAX), 2, 7,
                                   "missing value after '='");
    an_error_names_line_and_column(rules_error("[scheme]\nbase = # soon\n", CIVIC_E_SYNTAX), 2,
                                   8, "missing value after '=' (a comment starts here)");
    /* a letter that looks like an ASCII one, in a key; a dash for '-' in a
     * duration (a word processor's en dash) */
    an_error_names_line_and_column(rules_error("[scheme]\np\xd0\xbeints = 1\n", CIVIC_E_SYNTAX), 2, 2,
                                   "expected '=' after the key (U+043E is not ASCII");
    an_error_names_line_and_column(rules_error(TEST_GRADES "[rule.a]\npoints = 1\n"
                                               "valid = \"end\xe2\x80\x93of\xe2\x80\x93year\"\n",
                                               CIVIC_E_RULES), 20, 13,
                                   "(U+2013 is a dash, not a minus sign: write -)");
    an_error_names_line_and_column(rules_error("[rul\xd0\xb5.x]\npoints = 1\n", CIVIC_E_RULES), 1, 2,
                                   "unknown table [rul\xd0\xb5.x] (U+0435 is not ASCII");
    an_error_names_line_and_column(rules_error("[rule.\xd0\xb0]\npoints = 1\n", CIVIC_E_RULES), 1, 2,
                                   "rule codes are 1..64 characters of [a-z0-9_.-] (U+0430 is not "
                                   "ASCII");
    an_error_names_line_and_column(rules_error("[rule.x\xc2\xa0]\npoints = 1\n", CIVIC_E_RULES), 1, 2,
                                   "rule codes are 1..64 characters of [a-z0-9_.-] (U+00A0 is a "
                                   "no-break space");
    /* capitals, and blanks a quoted name may hold: the code to write */
    an_error_names_line_and_column(rules_error("[rule.Illegal_parking]\npoints = 1\n",
                                               CIVIC_E_RULES), 1, 2,
                                   "rule codes are 1..64 characters of [a-z0-9_.-] (codes are "
                                   "lower case: write [rule.illegal_parking])");
    an_error_names_line_and_column(rules_error("[rule.\"Illegal  Parking\"]\npoints = 1\n",
                                               CIVIC_E_RULES), 1, 2,
                                   "rule codes are 1..64 characters of [a-z0-9_.-] (codes are "
                                   "lower case, with '_' for a blank: write "
                                   "[rule.illegal_parking])");
    an_error_names_line_and_column(rules_error("[rule.\"illegal parking\"]\npoints = 1\n",
                                               CIVIC_E_RULES), 1, 2,
                                   "rule codes are 1..64 characters of [a-z0-9_.-] (codes have "
                                   "'_' for a blank: write [rule.illegal_parking])");
    /* a code that lower case makes reserved: no header to write, but that
     * it is reserved (the next error it would lead to) */
    an_error_names_line_and_column(rules_error("[rule.REVOKE]\npoints = 1\n", CIVIC_E_RULES), 1, 2,
                                   "rule codes are 1..64 characters of [a-z0-9_.-] (codes are "
                                   "lower case; rule codes revoke, repair, redeem, object, dismiss "
                                   "and correct are reserved)");
    an_error_names_line_and_column(rules_error("[rule.Object]\npoints = 1\n", CIVIC_E_RULES), 1, 2,
                                   "rule codes are 1..64 characters of [a-z0-9_.-] (codes are "
                                   "lower case; rule codes revoke, repair, redeem, object, dismiss "
                                   "and correct are reserved)");
    assert_null(strstr(rules_error("[rule.\"Dis miss\"]\npoints = 1\n", CIVIC_E_RULES).message,
                       "reserved"));
    /* none where lower case is not enough */
    assert_string_equal(rules_error("[rule.\"Park!\"]\npoints = 1\n", CIVIC_E_RULES).message,
                        "line 1, column 2: rule codes are 1..64 characters of [a-z0-9_.-]");
    assert_string_equal(rules_error("[rule.\" \"]\npoints = 1\n", CIVIC_E_RULES).message,
                        "line 1, column 2: rule codes are 1..64 characters of [a-z0-9_.-]");
#define G "[[grade]]\nname = \"A\"\n"
    /* blanks at a quoted name's start or end, alone or with capitals and
     * blanks inside, and in a cap's, tier's or measure's name: the header to
     * write, which written so loads */
    {
        static const struct { const char *header, *what, *applied; } ends[] = {
            { "[rule.\"a \"]", "rule codes are 1..64 characters of [a-z0-9_.-] (a blank at its "
              "end: write [rule.a])", "[rule.a]" },
            { "[rule.\" a\"]", "rule codes are 1..64 characters of [a-z0-9_.-] (a blank at its "
              "start: write [rule.a])", "[rule.a]" },
            { "[rule.\"Illegal parking \"]", "rule codes are 1..64 characters of [a-z0-9_.-] "
              "(codes are lower case, with '_' for a blank; and a blank at its end: write "
              "[rule.illegal_parking])", "[rule.illegal_parking]" },
            { "[rule.\"  park\t\"]", "rule codes are 1..64 characters of [a-z0-9_.-] (blanks at "
              "its start and end: write [rule.park])", "[rule.park]" },
            { "[cap.\"c \"]", "cap names are 1..64 characters of [a-z0-9_.-] (a blank at its "
              "end: write [cap.c])", "[cap.c]" },
            { "[cap.Day]", "cap names are 1..64 characters of [a-z0-9_.-] (names are lower "
              "case: write [cap.day])", "[cap.day]" },
            { "[tier.\"Gold star \"]", "tier names are 1..64 characters of [A-Za-z0-9_.-] "
              "(names have '_' for a blank; and a blank at its end: write [tier.Gold_star])",
              "[tier.Gold_star]" },
            { "[measure.\" m\"]", "measure names are 1..64 characters of [A-Za-z0-9_.-] (a "
              "blank at its start: write [measure.m])", "[measure.m]" },
        };
        /* each header with what its table needs after it (a tier: rule z) */
        static const char *const bodies[] = { "points = 1\n", "points = 1\n",
                                              "points = 1\n", "points = 1\n",
                                              "limit = 1\nperiod = \"day\"\n",
                                              "limit = 1\nperiod = \"day\"\n",
                                              "rules = \"z\"\n[[tier.Gold_star.level]]\nname = "
                                              "\"x\"\nmin = 1\n",
                                              "kind = \"incentive\"\nmin_score = 1\n" };
        for (size_t k = 0; k < sizeof(ends) / sizeof(ends[0]); k++) {
            char text[320], want[320];
            snprintf(text, sizeof(text), G "[rule.z]\n%s\n%s", ends[k].header, bodies[k]);
            civic_error e2 = rules_error(text, CIVIC_E_RULES);
            snprintf(want, sizeof(want), "line 4, column 2: %s", ends[k].what);
            assert_string_equal(e2.message, want);
            snprintf(text, sizeof(text), G "[rule.z]\n%s\n%s", ends[k].applied, bodies[k]);
            civic_rules_free(rules_from(text));
        }
    }
    /* the name that advice would write already defined: where it is, not
     * a header that would be a duplicate; a name of another kind is none */
    {
        static const struct { const char *text, *what; } taken[] = {
            { G "[rule.park]\npoints = 1\n[rule.parK]\npoints = 1\n", "line 5, column 2: rule "
              "codes are 1..64 characters of [a-z0-9_.-] (codes are lower case; rule 'park' is "
              "already defined at line 3)" },
            { G "[rule.a]\npoints = 1\n[rule.\"a \"]\n", "line 5, column 2: rule codes are "
              "1..64 characters of [a-z0-9_.-] (a blank at its end; rule 'a' is already defined "
              "at line 3)" },
            { G "[cap.day]\nlimit = 1\nperiod = \"day\"\n[cap.Day]\n", "line 6, column 2: cap "
              "names are 1..64 characters of [a-z0-9_.-] (names are lower case; cap 'day' is "
              "already defined at line 3)" },
            { G "[rule.z]\npoints = 1\n[tier.Gold_star]\nrules = \"z\"\n[[tier.Gold_star.level]]"
              "\nname = \"x\"\nmin = 1\n[tier.\"Gold star\"]\n", "line 10, column 2: tier names "
              "are 1..64 characters of [A-Za-z0-9_.-] (names have '_' for a blank; tier "
              "'Gold_star' is already defined at line 5)" },
            { G "[measure.m_m]\nkind = \"incentive\"\nmin_score = 1\n[measure.\"m m\"]\n",
              "line 6, column 2: measure names are 1..64 characters of [A-Za-z0-9_.-] (names "
              "have '_' for a blank; measure 'm_m' is already defined at line 3)" },
            { G "[cap.park]\nlimit = 1\nperiod = \"day\"\n[rule.Park]\n", "line 6, column 2: "
              "rule codes are 1..64 characters of [a-z0-9_.-] (codes are lower case: write "
              "[rule.park])" },
        };
        for (size_t k = 0; k < sizeof(taken) / sizeof(taken[0]); k++) {
            rules_refused_saying(taken[k].text, taken[k].what);
        }
    }
    /* a blank at an end of a code that is reserved: said so, no header */
    assert_string_equal(rules_error("[rule.\"revoke \"]\npoints = 1\n", CIVIC_E_RULES).message,
                        "line 1, column 2: rule codes are 1..64 characters of [a-z0-9_.-] (a "
                        "blank at its end; rule codes revoke, repair, redeem, object, dismiss and "
                        "correct are reserved)");
    /* a character that looks like no ASCII one: codes are ASCII, and where a
     * name for people goes (a rule has none); not "which it may look like" */
    assert_string_equal(rules_error("[rule.\xe5\x81\x9c\xe8\xbd\xa6]\npoints = 1\n",
                                    CIVIC_E_RULES).message,
                        "line 1, column 2: rule codes are 1..64 characters of [a-z0-9_.-] "
                        "(U+505C is not ASCII: rule codes are ASCII, as the log's type names "
                        "them; a rule has no other name)");
    assert_string_equal(rules_error(G "[measure.\xe5\x81\x9c]\n", CIVIC_E_RULES).message,
                        "line 3, column 2: measure names are 1..64 characters of "
                        "[A-Za-z0-9_.-] (U+505C is not ASCII: measure names are ASCII; its "
                        "text, which the notice page shows, may be any text)");
    assert_string_equal(rules_error(G "[tier.\xe6\x98\x9f]\n", CIVIC_E_RULES).message,
                        "line 3, column 2: tier names are 1..64 characters of [A-Za-z0-9_.-] "
                        "(U+661F is not ASCII: tier names are ASCII; a level's name may be any "
                        "text)");
    assert_string_equal(rules_error(G "[cap.\xe5\x81\x9c]\n", CIVIC_E_RULES).message,
                        "line 3, column 2: cap names are 1..64 characters of [a-z0-9_.-] "
                        "(U+505C is not ASCII: cap names are ASCII)");
    assert_string_equal(rules_error(G "\xe7\x82\xb9 = 1\n", CIVIC_E_SYNTAX).message,
                        "line 3, column 1: expected a key, a [table] or a comment (U+70B9 is not "
                        "ASCII: keys, numbers and the words of headers are written in ASCII)");
#undef G
    /* a word or a duration left unquoted: write it in double quotes */
    an_error_names_line_and_column(rules_error("[scheme]\nvalid = forever\n", CIVIC_E_SYNTAX), 2, 9,
                                   "expected a string, number, true or false (write it in double "
                                   "quotes: \"forever\")");
    an_error_names_line_and_column(rules_error("[scheme]\nvalid = 1y\n", CIVIC_E_SYNTAX), 2, 9,
                                   "malformed number (write it in double quotes: \"1y\")");
    an_error_names_line_and_column(rules_error("[scheme]\nvalid = end-of-year\n", CIVIC_E_SYNTAX),
                                   2, 9, "(write it in double quotes: \"end-of-year\")");
    an_error_names_line_and_column(rules_error("[scheme]\nbase = inf\n", CIVIC_E_SYNTAX), 2, 8,
                                   "expected a string, number, true or false (TOML's inf and nan "
                                   "are not numbers here)");
    an_error_names_line_and_column(rules_error("[scheme]\nbase = 10x0\n", CIVIC_E_SYNTAX), 2, 8,
                                   "malformed number");
    /* TOML spellings the subset leaves out, each by its name */
    an_error_names_line_and_column(rules_error("[scheme]\n'name' = \"x\"\n", CIVIC_E_SYNTAX), 2, 1,
                                   "quoted keys are not supported");
    an_error_names_line_and_column(rules_error("[scheme]\nname . x = 1\n", CIVIC_E_SYNTAX), 2, 6,
                                   "dotted keys are not supported");
    an_error_names_line_and_column(rules_error("[rule.'a']\n", CIVIC_E_SYNTAX), 1, 7,
                                   "literal (single-quoted) names are not supported");
    an_error_names_line_and_column(rules_error("[ rule . a ]\n", CIVIC_E_SYNTAX), 1, 7,
                                   "a blank inside a table header");
    an_error_names_line_and_column(rules_error("[[rule.a\t.change]]\n", CIVIC_E_SYNTAX), 1, 9,
                                   "a blank inside a table header");
    an_error_names_line_and_column(rules_error("[rule.x # c]\n", CIVIC_E_SYNTAX), 1, 9,
                                   "a comment inside a table header: close it with ']' before "
                                   "the '#'");
    an_error_names_line_and_column(rules_error("[rule.\"a\\\"b\"]\n", CIVIC_E_RULES), 1, 2,
                                   "a quoted name is the whole name, with no escape");
    an_error_names_line_and_column(rules_error("[scheme]\nname = \"ab\\", CIVIC_E_SYNTAX), 2, 8,
                                   "unterminated string");
    an_error_names_line_and_column(rules_error("[scheme]\nname = \"ab\\\n\"\n", CIVIC_E_SYNTAX),
                                   2, 8, "unterminated string");
    an_error_names_line_and_column(rules_error("[scheme]\r\nname = \"ab\\\r\n\"\r\n",
                                               CIVIC_E_SYNTAX), 2, 8, "unterminated string");
    /* an escape's error is at its backslash, a scalar value's too */
    an_error_names_line_and_column(rules_error("[scheme]\nname = \"a\\uD800\"\n", CIVIC_E_SYNTAX),
                                   2, 10, "not a scalar value");
    an_error_names_line_and_column(rules_error("[scheme]\nname = \"a\\U00110000\"\n",
                                               CIVIC_E_SYNTAX), 2, 10, "not a scalar value");
    /* a lone CR in a comment would hide the "key" after it */
    an_error_names_line_and_column(rules_error("[scheme]\nname = \"t\" # c\rbse = 1\n",
                                               CIVIC_E_SYNTAX), 2, 15, "in a comment");
    {   /* a CRLF after a comment is a line end */
        civic_rules *r = NULL;
        const char *crlf = "[scheme] # c\r\nname = \"t\" # c\r\n[[grade]]\r\nname = \"A\"\r\n";
        assert_int_equal(civic_rules_parse(&r, crlf, strlen(crlf), NULL, NULL), CIVIC_OK);
        civic_rules_free(r);
        /* a CR that ends the file ends its last line, after a comment too */
        const char *cr_end = "[[grade]]\nname = \"A\" # c\r";
        assert_int_equal(civic_rules_parse(&r, cr_end, strlen(cr_end), NULL, NULL), CIVIC_OK);
        civic_rules_free(r);
    }
    /* a header's bytes come back escaped: a terminal does not act on them */
    an_error_names_line_and_column(rules_error("[zz\x1b[2Jq]\n", CIVIC_E_RULES), 1, 2,
                                   "unknown table [zz\\x1b[2Jq]");
    an_error_names_line_and_column(rules_error("[[rule.a\x1b" "b.change]]\n", CIVIC_E_RULES), 1, 3,
                                   "[[rule.a\\x1bb.change]] has no [rule.a\\x1bb]");
    /* a quoted header name is plain: what is wrong with it, and the form */
    an_error_names_line_and_column(rules_error("[rule.\"a\\u002eb\"]\npoints = 1\n", CIVIC_E_RULES),
                                   1, 2, "no escape or quote inside ([rule.\"a.b\"])");
    /* and in a change's or a level's header (they were "unknown table") */
    an_error_names_line_and_column(rules_error("[rule.a]\npoints = 1\n[[rule.\"a\"x.change]]\n",
                                               CIVIC_E_RULES),
                                   3, 3, "bad rule name: a quoted name is the whole name, with no "
                                         "escape or quote inside ([[rule.\"a.b\".change]])");
    an_error_names_line_and_column(rules_error("[[tier.\"t\\\\\".level]]\n", CIVIC_E_RULES),
                                   1, 3, "bad tier name: a quoted name is the whole name, with no "
                                         "escape or quote inside ([[tier.\"a.b\".level]])");
    /* TOML spellings the subset leaves out, each named */
    an_error_names_line_and_column(rules_error("[scheme]\nbase = 2025-07-01\n", CIVIC_E_SYNTAX),
                                   2, 8, "a date or time is written as a string");
    an_error_names_line_and_column(rules_error("[scheme]\nbase = 07:32:00\n", CIVIC_E_SYNTAX),
                                   2, 8, "a date or time is written as a string");
    an_error_names_line_and_column(rules_error("[scheme]\nbase = 1_000\n", CIVIC_E_SYNTAX), 2, 8,
                                   "without '_'");
    an_error_names_line_and_column(rules_error("[scheme]\nbase = 1e3\n", CIVIC_E_SYNTAX), 2, 8,
                                   "exponents");
    an_error_names_line_and_column(rules_error("[scheme]\nbase = 0x10\n", CIVIC_E_SYNTAX), 2, 8,
                                   "hexadecimal");
    an_error_names_line_and_column(rules_error("[scheme]\nbase = 12a3\n", CIVIC_E_SYNTAX), 2, 8,
                                   "malformed number");
    an_error_names_line_and_column(rules_error("[scheme]\nbase = 12ab\n", CIVIC_E_SYNTAX), 2, 10,
                                   "unexpected text after the value (write the number alone, "
                                   "without a unit)");
    /* characters an editor or a word processor put there unseen, each named */
    an_error_names_line_and_column(rules_error("[scheme]\nname = \xe2\x80\x9c" "A\xe2\x80\x9d\n",
                                               CIVIC_E_SYNTAX),
                                   2, 8, "(U+201C is a typographic quote: write \"...\")");
    an_error_names_line_and_column(rules_error("[rule.a]\npoints = \xe2\x80\x93" "10\n",
                                               CIVIC_E_SYNTAX),
                                   2, 10, "(U+2013 is a dash, not a minus sign: write -)");
    an_error_names_line_and_column(rules_error("[rule.a]\npoints = \xe2\x88\x92" "10\n",
                                               CIVIC_E_SYNTAX),
                                   2, 10, "(U+2212 is a minus sign only in print: write -)");
    an_error_names_line_and_column(rules_error("[rule.a]\npoints = 1\n\xef\xbb\xbf[rule.b]\n",
                                               CIVIC_E_SYNTAX),
                                   3, 1, "expected a key, a [table] or a comment (U+FEFF");
    an_error_names_line_and_column(rules_error("[rule.a]\npoints\xc2\xa0= 1\n", CIVIC_E_SYNTAX),
                                   2, 7, "expected '=' after the key (U+00A0 is a no-break space");
    an_error_names_line_and_column(rules_error("[rule.a]\npoints = 10\xc2\xa0# c\n",
                                               CIVIC_E_SYNTAX),
                                   2, 12, "malformed number (U+00A0 is a no-break space");
    an_error_names_line_and_column(rules_error("[rule.a]\npoints = 1\n\x1a", CIVIC_E_SYNTAX), 3, 1,
                                   "(0x1A is an old end-of-file mark: delete it)");
    an_error_names_line_and_column(rules_error("[rule.a]\npoints = 1\nfreeze = True\n",
                                               CIVIC_E_SYNTAX),
                                   3, 10, "(write true and false in lower case)");
    an_error_names_line_and_column(rules_error("[rule.a]\npoints = 1\nfreeze = FALSE\n",
                                               CIVIC_E_SYNTAX),
                                   3, 10, "(write true and false in lower case)");
    an_error_names_line_and_column(rules_error("[rule.a]\npoints = 1\xe2\x80\x8b\n", CIVIC_E_SYNTAX),
                                   2, 11, "(U+200B is a zero-width space: delete it)");
    an_error_names_line_and_column(rules_error("[rule.a]\npoints \xef\xbc\x9d 5\n", CIVIC_E_SYNTAX),
                                   2, 8, "expected '=' after the key (a full-width character");
    an_error_names_line_and_column(rules_error("[rule.a]\npoints = \xef\xbc\x8d" "10\n",
                                               CIVIC_E_SYNTAX),
                                   2, 10, "(a full-width character, as an input method");
    an_error_names_line_and_column(rules_error("[rule.a]\npoints = 1\n[ [rule.a.change] ]\n",
                                               CIVIC_E_SYNTAX),
                                   3, 1, "a blank between a header's two '[': write [[NAME]]");
    /* a key on its table header's line (TOML has none there): where it
     * goes, not "after the value" of a line that has none */
    an_error_names_line_and_column(rules_error(TEST_GRADES "[rule.a] points = 2\n",
                                               CIVIC_E_SYNTAX),
                                   18, 10, "a key must start its own line: put 'points' on the "
                                           "line after the table header");
    an_error_names_line_and_column(rules_error("[[grade]]\tname = \"A\"\n", CIVIC_E_SYNTAX), 1,
                                   11, "a key must start its own line: put 'name' on the line "
                                       "after the table header");
    an_error_names_line_and_column(rules_error(TEST_GRADES "[rule.a] ]\n", CIVIC_E_SYNTAX), 18,
                                   10, "unexpected text after the table header");
    /* a bracket too many: to delete, and done so the file loads */
    assert_string_equal(rules_error(TEST_GRADES "[rule.a]]\npoints = 1\n", CIVIC_E_SYNTAX).message,
                        "line 18, column 9: unexpected text after the table header (an extra "
                        "']': delete it)");
    assert_string_equal(rules_error("[[grade]]]] # top\nname = \"A\"\n", CIVIC_E_SYNTAX).message,
                        "line 1, column 10: unexpected text after the table header (extra ']': "
                        "delete them)");
    civic_rules_free(rules_from(TEST_GRADES "[rule.a]\npoints = 1\n"));
    assert_string_equal(rules_error(TEST_GRADES "[rule.a]]x\n", CIVIC_E_SYNTAX).message,
                        "line 18, column 9: unexpected text after the table header");
    /* a number whole up to a byte no number holds: that byte */
    an_error_names_line_and_column(rules_error("[scheme]\nbase = 10,\n", CIVIC_E_SYNTAX), 2, 10,
                                   "unexpected text after the value");
    an_error_names_line_and_column(rules_error("[scheme]\nbase = 10\f\n", CIVIC_E_SYNTAX), 2, 10,
                                   "unexpected text after the value");
    /* and a character that is none of those is not guessed at */
    an_error_names_line_and_column(rules_error("[rule.a]\npoints = \xe2\x82\xac" "1\n",
                                               CIVIC_E_SYNTAX),
                                   2, 10, "expected a string, number, true or false");
    /* bytes that are not UTF-8 in a string: at the first of them, escapes,
     * characters of several bytes and the line counted (it was the quote) */
    static const struct { const char *text; uint64_t line; uint32_t column; } not_utf8[] = {
        { "[scheme]\nname = \"\xff\"\n", 2, 9 },
        { "[scheme]\nname = \"harbour district \377 north\"\n[[grade]]\nname = \"A\"\n", 2, 26 },
        { "[scheme]\nname = \"a\\n\\u00e9 \xc3(\"\n", 2, 19 },  /* a lead byte, no more */
        { "[scheme]\nname = \"ab\xe2\x82\"\n", 2, 11 },           /* cut short by the quote */
        { "[scheme]\nname = \"\xc3\xa9\x80\"\n", 2, 11 },        /* a stray continuation */
        { "[scheme]\nname = \"\xc0\xaf\"\n", 2, 9 },              /* overlong */
        { "[scheme]\nname = \"\xed\xa0\x80\"\n", 2, 9 },         /* a surrogate */
        { "[scheme]\nname = \"\xe2\x82\xac\xff\"\n", 2, 12 },
        { "[scheme]\nname = \"\xc3\\n\"\n", 2, 9 },              /* an escape after a lead */
        { "[scheme]\r\n\r\nname = \"x\xf4\x90\x80\x80\"\r\n", 3, 10 }, /* above U+10FFFF */
        { "[[grade]]\nname = \"A\"\n[rule.a]\npoints = 1\nflag = \"\\t\\\"x\xfe\"\n", 5, 14 },
    };
    for (size_t k = 0; k < sizeof(not_utf8) / sizeof(not_utf8[0]); k++)
        an_error_names_line_and_column(rules_error(not_utf8[k].text, CIVIC_E_SYNTAX),
                                       not_utf8[k].line, not_utf8[k].column,
                                       "string is not valid UTF-8");
    /* named with the key; a Latin-1 letter told the iconv a header with one
     * is told, and text in another encoding (GBK's 停车, named at its third
     * byte) or UTF-8 cut short not */
    assert_string_equal(rules_error("[[grade]]\nname = \"caf\xe9\"\n", CIVIC_E_SYNTAX).message,
                        "line 2, column 12: 'name': string is not valid UTF-8 (Latin-1 text? "
                        "convert it with iconv -f WINDOWS-1252 -t UTF-8)");
    assert_string_equal(rules_error("[[grade]]\nname = \"A\"\n[rule.a]\nflag = \"\\t\\\"Jos\xe9\"\n",
                                    CIVIC_E_SYNTAX).message,
                        "line 4, column 16: 'flag': string is not valid UTF-8 (Latin-1 text? "
                        "convert it with iconv -f WINDOWS-1252 -t UTF-8)");
    assert_string_equal(rules_error("[[grade]]\nname = \"A\"\n[rule.a]\nflag = \"\xcd\xa3\xb3\xb5\"\n",
                                    CIVIC_E_SYNTAX).message,
                        "line 4, column 11: 'flag': string is not valid UTF-8");
    assert_string_equal(rules_error("[scheme]\nname = \"\xc3\xa9t\xc3\"\n", CIVIC_E_SYNTAX).message,
                        "line 2, column 12: 'name': string is not valid UTF-8");
    /* a key past 40 bytes cut, as every name a message quotes */
    assert_string_equal(rules_error("[scheme]\nabcdefghijabcdefghijabcdefghijabcdefghijXYZ = "
                                    "\"Jos\xe9\"\n", CIVIC_E_SYNTAX).message,
                        "line 2, column 51: 'abcdefghijabcdefghijabcdefghijabcdefghij...': string "
                        "is not valid UTF-8 (Latin-1 text? convert it with iconv -f WINDOWS-1252 "
                        "-t UTF-8)");
    an_error_names_line_and_column(rules_error("[scheme]\na.b = 1\n", CIVIC_E_SYNTAX), 2, 2,
                                   "dotted keys");
    /* lines ended by a lone CR; a raw CR inside a string */
    an_error_names_line_and_column(rules_error("[scheme]\rname = \"x\"\r", CIVIC_E_SYNTAX), 1, 9,
                                   "a carriage return not followed by a line feed");
    an_error_names_line_and_column(rules_error("[scheme]\nname = \"x\ry\"\n", CIVIC_E_SYNTAX), 2, 10,
                                   "control character in a string");
    an_error_names_line_and_column(rules_error("[scheme]\r\nname = \"x\r\n", CIVIC_E_SYNTAX), 2, 8,
                                   "unterminated string");
    /* a CR as the file's last byte is its last line end: in a string too */
    an_error_names_line_and_column(rules_error("[scheme]\nname = \"abc\r", CIVIC_E_SYNTAX), 2, 8,
                                   "unterminated string");
    an_error_names_line_and_column(rules_error("[scheme]\nname = \"abc\\\r", CIVIC_E_SYNTAX), 2,
                                   8, "unterminated string");
    /* a NUL would cut the scheme's name (and its fingerprint) short */
    an_error_names_line_and_column(rules_error("[scheme]\nname = \"a\\u0000b\"\n", CIVIC_E_RULES),
                                   2, 8, "NUL character");
}

/* A table header without its opening '[' reads as a dotted key: the
 * missing bracket is named when the line ends in ']' and has no '=' */
static void a_header_without_its_opening_bracket_is_named(void **state)
{
    (void)state;
    an_error_names_line_and_column(rules_error(TEST_GRADES "rule.illegal_parking]\npoints = 1\n",
                                               CIVIC_E_SYNTAX),
                                   18, 5, "dotted keys are not supported (missing '[' at the "
                                          "start of a table header?)");
    an_error_names_line_and_column(rules_error(TEST_GRADES "[rule.a]\npoints = 1\n"
                                               "rule.a.change]]  # c\r\nfrom = \"2026-01-01\"\n",
                                               CIVIC_E_SYNTAX),
                                   20, 5, "dotted keys are not supported (missing '[[' at the "
                                          "start of a table header?)");
    /* a name without a dot: read as a key, without its '=' */
    an_error_names_line_and_column(rules_error("scheme]\nbase = 1000\n", CIVIC_E_SYNTAX), 1, 7,
                                   "expected '=' after the key (missing '[' at the start of a "
                                   "table header?)");
    an_error_names_line_and_column(rules_error("[scheme]\nbase = 1000\n[[grade]]\nname = \"A\"\n"
                                               "grade ]] # B\nname = \"B\"\n", CIVIC_E_SYNTAX),
                                   5, 7, "expected '=' after the key (missing '[[' at the start "
                                         "of a table header?)");
    /* the brackets the table takes, not the count of those left */
    static const char *const lost[][2] = {
        { "scheme]]\nbase = 1000\n", "line 1, column 7: expected '=' after the key (missing "
                                      "'[' at the start of a table header?)" },
        { "[scheme]\nbase = 1000\ngrade]\n", "line 3, column 6: expected '=' after the key "
                                             "(missing '[[' at the start of a table header?)" },
        { "[scheme]\nbase = 1000\nvalidity]\n", "line 3, column 9: expected '=' after the "
                                                "key (missing '[[' at the start of a table "
                                                "header?)" },
        { "rule.a]]\n", "line 1, column 5: dotted keys are not supported (missing '[' at the "
                        "start of a table header?)" },
        { "cap.votes]]\n", "line 1, column 4: dotted keys are not supported (missing '[' at the "
                           "start of a table header?)" },
        { "tier.T]]\n", "line 1, column 5: dotted keys are not supported (missing '[' at the "
                        "start of a table header?)" },
        { "measure.m]]\n", "line 1, column 8: dotted keys are not supported (missing '[' at "
                           "the start of a table header?)" },
        { "rule.a.change]\n", "line 1, column 5: dotted keys are not supported (missing '[[' "
                              "at the start of a table header?)" },
        { "tier.T.level]\n", "line 1, column 5: dotted keys are not supported (missing '[[' at "
                             "the start of a table header?)" },
        /* a table that is none: as its brackets say */
        { "[scheme]\nbase = 1000\nfoo]]\n", "line 3, column 4: expected '=' after the key "
                                            "(missing '[[' at the start of a table header?)" },
    };
    for (size_t k = 0; k < sizeof(lost) / sizeof(lost[0]); k++)
        assert_string_equal(rules_error(lost[k][0], CIVIC_E_SYNTAX).message, lost[k][1]);
    civic_error e = rules_error("[scheme]\nbase] = 1\n", CIVIC_E_SYNTAX);
    assert_string_equal(e.message, "line 2, column 5: expected '=' after the key");
    e = rules_error("[scheme]\nbase ]x\n", CIVIC_E_SYNTAX);
    assert_string_equal(e.message, "line 2, column 6: expected '=' after the key");
    e = rules_error("[scheme]\nname.x = \"a]\"\n", CIVIC_E_SYNTAX); /* a key */
    assert_string_equal(e.message, "line 2, column 5: dotted keys are not supported");
    e = rules_error("[scheme]\nname.x\n", CIVIC_E_SYNTAX);
    assert_string_equal(e.message, "line 2, column 5: dotted keys are not supported");
}

/* Text after a value that is a thousands separator, a unit or another
 * language's comment: what to write instead */
static void text_after_a_value_says_what_to_write(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        uint64_t line;
        uint32_t column;
        const char *hint;
    } cases[] = {
        { "[scheme]\nbase = 1,000\n", 2, 9, "no thousands separators; the decimal point is '.'" },
        { "[rule.a]\npoints = -1,5\n", 2, 12, "no thousands separators; the decimal point is '.'" },
        { "[rule.a]\npoints = 5 points\n", 2, 12, "write the number alone, without a unit" },
        { "[rule.a]\npoints = 2.5 pts # c\n", 2, 14, "write the number alone, without a unit" },
        { "[rule.a]\npoints = 1\nrepeat_factor = 200%\n", 3, 20,
          "write the number alone, without a unit" },
        { "[rule.a]\npoints = 5 %\n", 2, 12, "write the number alone, without a unit" },
        { "[rule.a]\npoints = -10 ; fine\n", 2, 14, "a comment starts with '#'" },
        { "[rule.a]\npoints = -10;fine\n", 2, 13, "a comment starts with '#'" },
        { "[rule.a]\npoints = -10 // fine\n", 2, 14, "a comment starts with '#'" },
        { "[rule.a]\npoints = -10 -- fine\n", 2, 14, "a comment starts with '#'" },
        { "[scheme]\nname = \"x\" // c\n", 2, 12, "a comment starts with '#'" },
        /* another key on the value's line, after a number or not */
        { "[rule.a]\npoints = 5 valid = \"1y\"\n", 2, 12, "a key must start its own line" },
        { "[scheme]\nname = \"x\" base=5\n", 2, 12, "a key must start its own line" },
        { "[rule.a]\nfreeze = true\tpoints = 1\n", 2, 15, "a key must start its own line" },
        /* an inline table's habit: keys parted by commas */
        { "[rule.a]\npoints = 2, per = \"unit\"\n", 2, 11,
          "a key must start its own line: no ',' between keys" },
        { "[scheme]\nname = \"x\",base=5\n", 2, 11,
          "a key must start its own line: no ',' between keys" },
        /* a statement's ';' at the line's end, blanks or a comment after it */
        { "[rule.a]\npoints = 5;\n", 2, 11, "no ';' at the end of a line" },
        { "[rule.a]\npoints = 5 ; \r\n", 2, 12, "no ';' at the end of a line" },
        { "[rule.a]\npoints = 5.5;  # five\n", 2, 13, "no ';' at the end of a line" },
        { "[scheme]\nname = \"x\";", 2, 11, "no ';' at the end of a line" },
        /* digits grouped by a blank, as a clerk writes thousands */
        { "[scheme]\nbase = 1 000\n", 2, 10,
          "a number is written without spaces or separators: write 1000" },
        { "[scheme]\nbase = 1 000 000 # c\n", 2, 10,
          "a number is written without spaces or separators: write 1000000" },
        { "[rule.a]\npoints = -1 000.5\n", 2, 13,
          "a number is written without spaces or separators: write -1000.5" },
        { "[scheme]\nmax = 2\t000\r\n", 2, 9,
          "a number is written without spaces or separators: write 2000" },
        /* not thousands: no number to write, the rule alone */
        { "[rule.a]\npoints = 5 10\n", 2, 12, "a number is written without spaces or separators" },
        { "[scheme]\nbase = 1 0000\n", 2, 10, "a number is written without spaces or separators" },
    };
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        char want[200];
        snprintf(want, sizeof(want), "unexpected text after the value (%s)", cases[k].hint);
        an_error_names_line_and_column(rules_error(cases[k].text, CIVIC_E_SYNTAX), cases[k].line,
                                       cases[k].column, want);
    }
    /* a line that starts as another language's comment */
    an_error_names_line_and_column(rules_error("[scheme]\n; c\n", CIVIC_E_SYNTAX), 2, 1,
                                   "expected a key, a [table] or a comment (a comment starts "
                                   "with '#')");
    an_error_names_line_and_column(rules_error("[scheme]\n  // c\n", CIVIC_E_SYNTAX), 2, 3,
                                   "expected a key, a [table] or a comment (a comment starts "
                                   "with '#')");
    an_error_names_line_and_column(rules_error("[scheme]\n;\n", CIVIC_E_SYNTAX), 2, 1,
                                   "expected a key, a [table] or a comment (a comment starts "
                                   "with '#')");
    an_error_names_line_and_column(rules_error("[scheme]\n-- c\n", CIVIC_E_SYNTAX), 2, 4,
                                   "expected '=' after the key (a comment starts with '#')");
    /* after a table header, as after a value */
    an_error_names_line_and_column(rules_error("[rule.park] ; parking\n", CIVIC_E_SYNTAX), 1, 13,
                                   "unexpected text after the table header (a comment starts "
                                   "with '#')");
    an_error_names_line_and_column(rules_error("[[grade]]// B\n", CIVIC_E_SYNTAX), 1, 10,
                                   "unexpected text after the table header (a comment starts "
                                   "with '#')");
    an_error_names_line_and_column(rules_error("[rule.park];\n", CIVIC_E_SYNTAX), 1, 12,
                                   "unexpected text after the table header (no ';' at the end "
                                   "of a line)");
    assert_string_equal(rules_error("[rule.park] x\n", CIVIC_E_SYNTAX).message,
                        "line 1, column 13: unexpected text after the table header");
    assert_string_equal(rules_error("[scheme] 1,000\n", CIVIC_E_SYNTAX).message,
                        "line 1, column 10: unexpected text after the table header");
    /* thousands grouped by an apostrophe or a no-break or thin space, inside
     * the number's word: the same, at the separator (not "write a plain
     * space", which would be the error above) */
    an_error_names_line_and_column(rules_error("[scheme]\nbase = 1'000\n", CIVIC_E_SYNTAX), 2, 9,
                                   "malformed number (a number is written without spaces or "
                                   "separators: write 1000)");
    an_error_names_line_and_column(rules_error("[scheme]\nbase = 1\xc2\xa0" "000\n",
                                               CIVIC_E_SYNTAX),
                                   2, 9, "malformed number (a number is written without spaces "
                                         "or separators: write 1000)");
    an_error_names_line_and_column(rules_error("[scheme]\nbase = 1\xe2\x80\xaf" "000\n",
                                               CIVIC_E_SYNTAX),
                                   2, 9, "malformed number (a number is written without spaces "
                                         "or separators: write 1000)");
    /* U+2019 (a right single quotation mark: the apostrophe a word processor
     * types) and U+02BC group thousands as the ASCII apostrophe does */
    an_error_names_line_and_column(rules_error("[rule.a]\npoints = 1\xe2\x80\x99" "000\n",
                                               CIVIC_E_SYNTAX),
                                   2, 11, "malformed number (a number is written without spaces "
                                          "or separators: write 1000)");
    an_error_names_line_and_column(rules_error("[scheme]\nbase = 12\xca\xbc" "500\xca\xbc" "000\n",
                                               CIVIC_E_SYNTAX),
                                   2, 10, "malformed number (a number is written without spaces "
                                          "or separators: write 12500000)");
    /* grouped past what any number key allows (1e12): the rule, no number
     * to write that would be refused as too large */
    an_error_names_line_and_column(rules_error("[rule.a]\npoints = 1 000 000 000 000 000 000 000\n",
                                               CIVIC_E_SYNTAX),
                                   2, 12, "unexpected text after the value (a number is written "
                                          "without spaces or separators)");
    an_error_names_line_and_column(rules_error("[rule.a]\npoints = -1'000'000'000'001\n",
                                               CIVIC_E_SYNTAX),
                                   2, 12, "malformed number (a number is written without spaces "
                                          "or separators)");
    an_error_names_line_and_column(rules_error("[scheme]\nbase = 1 000 000 000 000.5\n",
                                               CIVIC_E_SYNTAX),
                                   2, 10, "unexpected text after the value (a number is written "
                                          "without spaces or separators)");
    /* at the limit: still written out */
    an_error_names_line_and_column(rules_error("[rule.a]\npoints = -1 000 000 000 000\n",
                                               CIVIC_E_SYNTAX),
                                   2, 13, "unexpected text after the value (a number is written "
                                          "without spaces or separators: write -1000000000000)");
    an_error_names_line_and_column(rules_error("[scheme]\nbase = 1 000 000 000 000.00\n",
                                               CIVIC_E_SYNTAX),
                                   2, 10, "unexpected text after the value (a number is written "
                                          "without spaces or separators: write 1000000000000.00)");
    /* a no-break space that groups nothing is still named as such */
    an_error_names_line_and_column(rules_error("[scheme]\nbase = 1\xc2\xa0\n", CIVIC_E_SYNTAX),
                                   2, 9, "(U+00A0 is a no-break space: write a plain space)");
    /* and none where none fits: a unit after a string or a boolean, a comma
     * with no digit after it, a word after a key */
    static const char *const plain[][2] = {
        { "[scheme]\nname = \"x\" y\n", "line 2, column 12: unexpected text after the value" },
        { "[rule.a]\nfreeze = true yes\n", "line 2, column 15: unexpected text after the value" },
        { "[scheme]\nbase = 10,\n", "line 2, column 10: unexpected text after the value" },
        { "[scheme]\nbase = 10, 5\n", "line 2, column 10: unexpected text after the value" },
        { "[scheme]\nbase 1\n", "line 2, column 6: expected '=' after the key" },
        { "[scheme]\n-x 1\n", "line 2, column 4: expected '=' after the key" },
        /* a comma after a string is no thousands separator */
        { "[rule.a]\npoints = 1\nflag = \"x\",2\n",
          "line 3, column 11: unexpected text after the value" },
    };
    for (size_t k = 0; k < sizeof(plain) / sizeof(plain[0]); k++)
        assert_string_equal(rules_error(plain[k][0], CIVIC_E_SYNTAX).message, plain[k][1]);
    /* a ':' for '=', as YAML and JSON write it: the line as TOML writes it */
    static const char *const colon[][2] = {
        { "[scheme]\nbase: 1000\n", "line 2, column 5: expected '=' after the key (TOML uses "
                                     "'=', not ':': write base = 1000)" },
        { "[scheme]\nname : \"Harbour # 1\" # c\r\n",
          "line 2, column 6: expected '=' after the key (TOML uses '=', not ':': write "
          "name = \"Harbour # 1\")" },
        { "[rule.a]\npoints:-5\n", "line 2, column 7: expected '=' after the key (TOML uses "
                                   "'=', not ':': write points = -5)" },
        { "[scheme]\nbase\xef\xbc\x9a 1000\n", "line 2, column 5: expected '=' after the key "
                                              "(TOML uses '=', not ':': write base = 1000)" },
        /* the line as the key's value is written: a string's quoted, a
         * number's and a boolean's not, and none for a key of no table or a
         * value that would still be refused there */
        { "[rule.a]\npoints = 1\nvalid: 5d\n", "line 3, column 6: expected '=' after the key "
                                               "(TOML uses '=', not ':': write valid = \"5d\")" },
        { "[rule.a]\npoints = 1\ncap_period: month\n",
          "line 3, column 11: expected '=' after the key (TOML uses '=', not ':': write "
          "cap_period = \"month\")" },
        { "[scheme]\nname: community scheme # c\n",
          "line 2, column 5: expected '=' after the key (TOML uses '=', not ':': write "
          "name = \"community scheme\")" },
        { "[rule.a]\npoints = 1\nfreeze: true\n", "line 3, column 7: expected '=' after the "
                                                  "key (TOML uses '=', not ':': write freeze = "
                                                  "true)" },
        { "[rule.a]\npoints: 5d\n", "line 2, column 7: expected '=' after the key (TOML uses "
                                     "'=', not ':')" },
        { "[rule.a]\npoints: \"5\"\n", "line 2, column 7: expected '=' after the key (TOML "
                                        "uses '=', not ':')" },
        { "[rule.a]\npoints = 1\nfreeze: yes\n", "line 3, column 7: expected '=' after the "
                                                 "key (TOML uses '=', not ':')" },
        { "[scheme]\nname: say \"hi\"\n", "line 2, column 5: expected '=' after the key "
                                          "(TOML uses '=', not ':')" },
        { "[rule.a]\npoints = 1\naffects: [a, b]\n", "line 3, column 8: expected '=' after "
                                                     "the key (TOML uses '=', not ':')" },
        { "[scheme]\nnmae: community\n", "line 2, column 5: expected '=' after the key (TOML "
                                         "uses '=', not ':')" },
        /* an array of strings is no string: rules = "a" would be refused */
        { "[rule.a]\npoints = 1\n[tier.t]\nrules: a\n", "line 4, column 6: expected '=' after "
                                                       "the key (TOML uses '=', not ':')" },
        { "[measure.m]\ngrades: A\n", "line 2, column 7: expected '=' after the key (TOML uses "
                                       "'=', not ':')" },
        { "[scheme]\nbogus: 1000\n", "line 2, column 6: expected '=' after the key (TOML uses "
                                     "'=', not ':')" },
        /* nothing after it, or too much to repeat: the rule alone */
        { "[scheme]\nbase:\n", "line 2, column 5: expected '=' after the key (TOML uses '=', "
                               "not ':')" },
        { "[scheme]\nname: \"a name much longer than forty bytes, as some are\"\n",
          "line 2, column 5: expected '=' after the key (TOML uses '=', not ':')" },
    };
    for (size_t k = 0; k < sizeof(colon) / sizeof(colon[0]); k++)
        assert_string_equal(rules_error(colon[k][0], CIVIC_E_SYNTAX).message, colon[k][1]);
}

/* A unit written onto a number (5h, -10pt, 2.5pts): not a word to quote,
 * but the number alone, as "5 points" is told; a duration (1y, 30d, 12m)
 * is still told to quote */
static void a_unit_on_a_number_says_to_write_the_number_alone(void **state)
{
    (void)state;
    static const struct {
        const char *value;
        uint32_t column;
    } cases[] = {
        { "5h", 11 }, { "5pts", 11 }, { "-10pt", 13 }, { "+10pt", 13 }, { "2.5pts", 13 },
        { "5H", 11 }, { "10points", 12 },
    };
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        char text[80];
        snprintf(text, sizeof(text), "[rule.a]\npoints = %s\n", cases[k].value);
        an_error_names_line_and_column(rules_error(text, CIVIC_E_SYNTAX), 2, cases[k].column,
                                       "unexpected text after the value (write the number "
                                       "alone, without a unit)");
    }
    an_error_names_line_and_column(rules_error("[scheme]\nvalid = 30d\n", CIVIC_E_SYNTAX), 2, 9,
                                   "malformed number (write it in double quotes: \"30d\")");
    an_error_names_line_and_column(rules_error("[scheme]\nvalid = 12m # c\n", CIVIC_E_SYNTAX), 2,
                                   9, "malformed number (write it in double quotes: \"12m\")");
    an_error_names_line_and_column(rules_error("[scheme]\nvalid = 3Months\n", CIVIC_E_SYNTAX), 2,
                                   9, "malformed number (write it in double quotes: \"3Months\")");
    an_error_names_line_and_column(rules_error("[rule.a]\npoints = 1\nrepair_after = 3m\n",
                                               CIVIC_E_SYNTAX),
                                   3, 16, "malformed number (write it in double quotes: \"3m\")");
    an_error_names_line_and_column(rules_error("[scheme]\nobjection_window = 30d\n",
                                               CIVIC_E_SYNTAX),
                                   2, 20, "malformed number (write it in double quotes: \"30d\")");
    /* a duration's letters on a key whose value is a number: a unit, not a
     * string to quote ("5d" quoted would be "'points' must be a number") */
    static const struct {
        const char *text;
        uint64_t line;
        uint32_t column;
    } numbers[] = {
        { "[rule.a]\npoints = 5d\n", 2, 11 },
        { "[rule.a]\npoints = 10Days # c\n", 2, 12 },
        { "[scheme]\nbase = 1000y\n", 2, 12 },
        { "[scheme]\nmax = 3m\n", 2, 8 },
        { "[scheme]\nbalance_min = 5d\n", 2, 16 },
        { "[[grade]]\nname = \"A\"\nmin = 30d\n", 3, 9 },
        { "[cap.c]\nlimit = 1y\n", 2, 10 },
        { "[rule.a]\npoints = 1\ncap = 20m\n", 3, 9 },
        { "[rule.a]\npoints = 1\nceiling = 850d\n", 3, 14 },
        { "[rule.a]\npoints = 1\nrepeat_factor = 2w\n", 3, 18 },
        { "[measure.m]\nmin_score = 7d\n", 2, 14 },
    };
    for (size_t k = 0; k < sizeof(numbers) / sizeof(numbers[0]); k++)
        an_error_names_line_and_column(rules_error(numbers[k].text, CIVIC_E_SYNTAX),
                                       numbers[k].line, numbers[k].column,
                                       "unexpected text after the value (write the number "
                                       "alone, without a unit)");
    /* a key whose value is neither (a boolean, a time, a misspelt key):
     * no advice that would be wrong */
    assert_string_equal(rules_error("[rule.a]\npoints = 1\nfreeze = 5d\n", CIVIC_E_SYNTAX)
                            .message, "line 3, column 10: malformed number");
    assert_string_equal(rules_error("[rule.a]\npoints = 1\nvaild = 5d\n", CIVIC_E_SYNTAX)
                            .message, "line 3, column 9: malformed number");
    /* neither where the letters are not a unit's alone */
    assert_string_equal(rules_error("[scheme]\nbase = 10x0\n", CIVIC_E_SYNTAX).message,
                        "line 2, column 8: malformed number");
    /* a signed duration is no duration to quote (on a number's key, -1y is
     * a unit, as 5d above) */
    assert_string_equal(rules_error("[rule.a]\npoints = 1\nvalid = -1y\n", CIVIC_E_SYNTAX)
                            .message, "line 3, column 9: malformed number");
    an_error_names_line_and_column(rules_error("[rule.a]\npoints = -1y\n", CIVIC_E_SYNTAX), 2, 12,
                                   "unexpected text after the value (write the number alone, "
                                   "without a unit)");
}

/* yes, no, on, off for a boolean: true or false, not a quoted word (which
 * would be "'freeze' must be true or false") */
static void yes_no_on_off_are_told_to_write_true_or_false(void **state)
{
    (void)state;
    static const char *const words[] = { "yes", "Yes", "NO", "on", "Off", "oN" };
    for (size_t k = 0; k < sizeof(words) / sizeof(words[0]); k++) {
        char text[80];
        snprintf(text, sizeof(text), "[rule.a]\npoints = 1\nfreeze = %s\n", words[k]);
        assert_string_equal(rules_error(text, CIVIC_E_SYNTAX).message,
                            "line 3, column 10: expected a string, number, true or false "
                            "(write true or false)");
    }
    /* as True is told */
    assert_string_equal(rules_error("[rule.a]\npoints = 1\nfreeze = True\n", CIVIC_E_SYNTAX)
                            .message,
                        "line 3, column 10: expected a string, number, true or false (write "
                        "true and false in lower case)");
    /* other words are still told to quote */
    an_error_names_line_and_column(rules_error("[rule.a]\npoints = 1\nflag = none\n",
                                               CIVIC_E_SYNTAX),
                                   3, 8, "(write it in double quotes: \"none\")");
    /* a boolean in quotes, as a number in quotes is told: drop them, and
     * what to write; done so, the file loads */
    static const struct { const char *rule, *key, *value, *hint, *applied; } quoted[] = {
        { "[rule.a]\n", "freeze", "\"true\"", "(drop the quotes: freeze = true)", "true" },
        { "[rule.a]\n", "freeze", "\"false\"", "(drop the quotes: freeze = false)", "false" },
        { "[rule.a]\n", "freeze", "\"yes\"", "(drop the quotes and write true or false: "
          "freeze = true)", "true" },
        { "[rule.a]\n", "freeze", "\"Off\"", "(drop the quotes and write true or false: "
          "freeze = false)", "false" },
        { "[rule.a]\n", "freeze", "\"TRUE\"", "(drop the quotes and write it in lower case: "
          "freeze = true)", "true" },
        { "[rule.a]\naffects = \"score\"\n[[rule.a.change]]\nfrom = \"2026-01-01\"\n",
          "recount", "\"true\"", "(drop the quotes: recount = true)", "true" },
    };
    for (size_t k = 0; k < sizeof(quoted) / sizeof(quoted[0]); k++) {
        char text[200], want[200];
        snprintf(text, sizeof(text), "[[grade]]\nname = \"A\"\n%s%s = %s\n", quoted[k].rule,
                 quoted[k].key, quoted[k].value);
        civic_error e = rules_error(text, CIVIC_E_RULES);
        snprintf(want, sizeof(want), "'%s' must be true or false %s", quoted[k].key,
                 quoted[k].hint);
        if (!strstr(e.message, want)) fprintf(stderr, "got %s\n", e.message);
        assert_non_null(strstr(e.message, want));
        snprintf(text, sizeof(text), "[[grade]]\nname = \"A\"\n%s%s = %s\n", quoted[k].rule,
                 quoted[k].key, quoted[k].applied);
        civic_rules_free(rules_from(text));
    }
    /* no boolean in other words or other types: no hint */
    assert_string_equal(rules_error("[[grade]]\nname = \"A\"\n[rule.a]\nfreeze = \"maybe\"\n",
                                    CIVIC_E_RULES).message,
                        "line 4, column 10: 'freeze' must be true or false");
    assert_string_equal(rules_error("[[grade]]\nname = \"A\"\n[rule.a]\nfreeze = 1\n",
                                    CIVIC_E_RULES).message,
                        "line 4, column 10: 'freeze' must be true or false");
}

/* A key that takes a string, whose value left unquoted begins with a word a
 * boolean is spelt with (No, On, True): the string to write, quoted whole
 * up to a comment, as any other word gets -- "write true or false" would
 * give a value the key refuses */
static void a_string_key_starting_with_a_boolean_word_is_told_to_quote_it(void **state)
{
    (void)state;
    static const struct { const char *text; uint32_t column; const char *quoted; } cases[] = {
        { "[scheme]\nname = On the hill\n", 8, "On the hill" },
        { "[scheme]\nname = True north # a comment\n", 8, "True north" },
        { "[scheme]\nname = FALSE\n", 8, "FALSE" },
        { "[rule.a]\nflag = no\n", 8, "no" },
        { "[rule.a]\ndimension = on line\n", 13, "on line" },
        { "[rule.a]\nper = Yes\n", 7, "Yes" },
        { "[[grade]]\nname = Off\n", 8, "Off" },
    };
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        char want[160];
        snprintf(want, sizeof(want), "line 2, column %u: expected a string, number, true or "
                 "false (write it in double quotes: \"%s\")", cases[k].column, cases[k].quoted);
        assert_string_equal(rules_error(cases[k].text, CIVIC_E_SYNTAX).message, want);
    }
    /* a boolean key keeps its advice; a key that takes a number is told so
     * (it was told "write true or false", which it then refused) */
    an_error_names_line_and_column(rules_error("[rule.a]\nfreeze = yes\n", CIVIC_E_SYNTAX), 2, 10,
                                   "(write true or false)");
    assert_string_equal(rules_error("[rule.a]\npoints = no\n", CIVIC_E_SYNTAX).message,
                        "line 2, column 10: expected a string, number, true or false (the key "
                        "takes a number)");
    assert_string_equal(rules_error("[scheme]\nbase = Off\n", CIVIC_E_SYNTAX).message,
                        "line 2, column 8: expected a string, number, true or false (the key "
                        "takes a number)");
}

/* A number or a list left unquoted where the key takes a name: the value
 * to write, quoted (a flag's, a dimension's or a text's "2 stars", as a
 * name's "2026 scheme" is told to quote it) */
static void a_name_left_unquoted_is_told_to_quote_it(void **state)
{
    (void)state;
    an_error_names_line_and_column(rules_error(TEST_GRADES "[rule.a]\nflag = 2 stars # c\n",
                                               CIVIC_E_RULES),
                                   19, 8, "'flag' must be a string (write it in double quotes: "
                                          "\"2 stars\")");
    an_error_names_line_and_column(rules_error(TEST_GRADES "[rule.a]\ndimension = 5\n",
                                               CIVIC_E_RULES),
                                   19, 13, "'dimension' must be a string (write it in double "
                                           "quotes: \"5\")");
    /* a name's own words are kept */
    assert_string_equal(rules_error("[scheme]\nname = 2026 scheme\n" TEST_GRADES, CIVIC_E_RULES)
                            .message,
                        "line 2, column 8: 'name' must be a string (write the name in double "
                        "quotes)");
    /* a word key is not told to quote a number: quoted, it is refused too */
    assert_string_equal(rules_error(TEST_GRADES "[rule.a]\nper = 2 unit\n", CIVIC_E_RULES)
                            .message,
                        "line 19, column 7: 'per' must be a string");
}

/* Numbers other languages write (.5) or a sign apart from its digits */
static void a_number_without_a_leading_digit_or_with_a_loose_sign_says_what_to_write(void **s)
{
    (void)s;
    an_error_names_line_and_column(rules_error("[rule.a]\npoints = .5\n", CIVIC_E_SYNTAX), 2, 10,
                                   "expected a string, number, true or false (write 0.5, not .5)");
    an_error_names_line_and_column(rules_error("[rule.a]\npoints = -.25\n", CIVIC_E_SYNTAX), 2,
                                   10, "expected a string, number, true or false (write -0.25, "
                                       "not -.25)");
    an_error_names_line_and_column(rules_error("[rule.a]\npoints = - 10\n", CIVIC_E_SYNTAX), 2,
                                   10, "expected a string, number, true or false (no blank after "
                                       "the sign: write -10)");
    an_error_names_line_and_column(rules_error("[rule.a]\npoints = + 2.5\n", CIVIC_E_SYNTAX), 2,
                                   10, "expected a string, number, true or false (no blank after "
                                       "the sign: write +2.5)");
    an_error_names_line_and_column(rules_error("[rule.a]\npoints = --10\n", CIVIC_E_SYNTAX), 2,
                                   10, "expected a string, number, true or false (a number has "
                                       "one sign)");
    an_error_names_line_and_column(rules_error("[rule.a]\npoints = - 10 # c\n", CIVIC_E_SYNTAX),
                                   2, 10, "expected a string, number, true or false (no blank after "
                                          "the sign: write -10)");
    civic_error e = rules_error("[rule.a]\npoints = - x\n", CIVIC_E_SYNTAX);
    assert_string_equal(e.message, "line 2, column 10: expected a string, number, true or false");
    /* no hint that would drop what follows the number (- 1y is no -1) */
    e = rules_error("[rule.a]\npoints = 1\nvalid = - 1y\n", CIVIC_E_SYNTAX);
    assert_string_equal(e.message, "line 3, column 9: expected a string, number, true or false");
    e = rules_error("[rule.a]\npoints = - 1.2.3\n", CIVIC_E_SYNTAX);
    assert_string_equal(e.message, "line 2, column 10: expected a string, number, true or false");
    e = rules_error("[rule.a]\npoints = - 1,5\n", CIVIC_E_SYNTAX);
    assert_string_equal(e.message, "line 2, column 10: expected a string, number, true or false");
    e = rules_error("[rule.a]\npoints = .\n", CIVIC_E_SYNTAX);
    assert_string_equal(e.message, "line 2, column 10: expected a string, number, true or false");
}

/* A word with its closing quote but not its opening one */
static void a_word_with_only_its_closing_quote_is_told_to_quote(void **state)
{
    (void)state;
    an_error_names_line_and_column(rules_error("[rule.a]\npoints = 1\nflag = drunk_driving\"\n",
                                               CIVIC_E_SYNTAX),
                                   3, 8, "expected a string, number, true or false (write it in "
                                         "double quotes: \"drunk_driving\")");
    civic_error e = rules_error("[rule.a]\npoints = 1\nflag = a\"b\"\n", CIVIC_E_SYNTAX);
    assert_string_equal(e.message, "line 3, column 8: expected a string, number, true or false");
}

/* Words of a value without their quotes: the whole value quoted, up to the
 * line's end or a comment */
static void an_unquoted_value_of_several_words_is_quoted_whole(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        { "[scheme]\nname = Harbour district\n", "\"Harbour district\"" },
        { "[scheme]\nname = Harbour district\"\n", "\"Harbour district\"" },
        { "[scheme]\nname = Harbour  district  # c\n", "\"Harbour  district\"" },
        { "[scheme]\nname = Harbour district\t\r\n", "\"Harbour district\"" },
        { "[scheme]\nname = Harbour\n", "\"Harbour\"" },
        { "[scheme]\nname = Harbour#1\n", "\"Harbour\"" },
    };
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        char want[160];
        snprintf(want, sizeof(want), "line 2, column 8: expected a string, number, true or false "
                 "(write it in double quotes: %s)", cases[k][1]);
        assert_string_equal(rules_error(cases[k][0], CIVIC_E_SYNTAX).message, want);
    }
    /* a second key, a quote or a backslash in the rest: the word alone */
    assert_string_equal(rules_error("[rule.a]\npoints = 1\nflag = x valid = \"1y\"\n",
                                    CIVIC_E_SYNTAX).message,
                        "line 3, column 8: expected a string, number, true or false (write it "
                        "in double quotes: \"x\")");
    assert_string_equal(rules_error("[scheme]\nname = a \"b\"\n", CIVIC_E_SYNTAX).message,
                        "line 2, column 8: expected a string, number, true or false (write it "
                        "in double quotes: \"a\")");
    assert_string_equal(rules_error("[scheme]\nname = C: \\x\n", CIVIC_E_SYNTAX).message,
                        "line 2, column 8: expected a string, number, true or false");
}

/* A blank inside a table header's name, not around its dots: the name
 * written without it */
static void a_blank_inside_a_header_name_gives_the_name_without_it(void **state)
{
    (void)state;
    an_error_names_line_and_column(rules_error("[rule.illegal parking]\n", CIVIC_E_SYNTAX), 1, 14,
                                   "a blank inside a table header (a rule code has no blanks: "
                                   "write illegal_parking)");
    an_error_names_line_and_column(rules_error("[[rule.illegal \t parking.change]]\n",
                                               CIVIC_E_SYNTAX),
                                   1, 15, "a blank inside a table header (a rule code has no "
                                          "blanks: write illegal_parking)");
    an_error_names_line_and_column(rules_error("[cap.big votes]\n", CIVIC_E_SYNTAX), 1, 9,
                                   "a blank inside a table header (a name has no blanks: write "
                                   "big_votes)");
    /* capitals too, where the name may not hold them: said, and the name
     * given in lower case; a tier's name may */
    an_error_names_line_and_column(rules_error("[rule.Illegal parking]\n", CIVIC_E_SYNTAX), 1,
                                   14, "a blank inside a table header (a rule code has no blanks "
                                       "or capitals: write illegal_parking)");
    an_error_names_line_and_column(rules_error("[cap.Big votes]\n", CIVIC_E_SYNTAX), 1, 9,
                                   "a blank inside a table header (a name has no blanks or "
                                   "capitals: write big_votes)");
    an_error_names_line_and_column(rules_error("[tier.Big votes]\n", CIVIC_E_SYNTAX), 1, 10,
                                   "a blank inside a table header (a name has no blanks: write "
                                   "Big_votes)");
    /* a code with dots in it is given whole */
    an_error_names_line_and_column(rules_error("[rule.city.park here]\n", CIVIC_E_SYNTAX), 1, 16,
                                   "a blank inside a table header (a rule code has no blanks: "
                                   "write city.park_here)");
    /* a blank after the code ([[rule.park.change x]], [[rule.park.chan ge]]:
     * the code is park), a name that no blank-less spelling makes one of
     * its table (a quote in it, 65 bytes), or a blank beside a later dot:
     * as before */
    static const char *const generic[] = {
        "[[rule.park.change x]]\n",
        "[[rule.park.chan ge]]\n",
        "[[tier.t.lev el]]\n",
        "[rule.a b\"c\"]\n",
        "[rule.a b.c d .e]\n",
        "[rule.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa bbbbbbbbbbbbbbbbbbbbbbbb]\n",
        "[grade.a b]\n",
    };
    for (size_t k = 0; k < sizeof(generic) / sizeof(generic[0]); k++) {
        civic_error e = rules_error(generic[k], CIVIC_E_SYNTAX);
        const char *plain = ": a blank inside a table header (write [rule.CODE], no blanks "
                            "around its dots)";
        if (!strstr(e.message, plain)) fprintf(stderr, "%s-> %s\n", generic[k], e.message);
        assert_non_null(strstr(e.message, plain));
    }
    /* 64 bytes is a code's most: given */
    an_error_names_line_and_column(rules_error("[rule.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa "
                                               "bbbbbbbbbbbbbbbbbbbbbbb]\n", CIVIC_E_SYNTAX),
                                   1, 47, "(a rule code has no blanks: write "
                                          "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa_"
                                          "bbbbbbbbbbbbbbbbbbbbbbb)");
    /* around a dot, or in the table's kind: as before */
    an_error_names_line_and_column(rules_error("[rule. a]\n", CIVIC_E_SYNTAX), 1, 7,
                                   "a blank inside a table header (write [rule.CODE], no blanks "
                                   "around its dots)");
    an_error_names_line_and_column(rules_error("[rule .a]\n", CIVIC_E_SYNTAX), 1, 6,
                                   "a blank inside a table header (write [rule.CODE], no blanks "
                                   "around its dots)");
    an_error_names_line_and_column(rules_error("[sch eme]\n", CIVIC_E_SYNTAX), 1, 5,
                                   "a blank inside a table header (write [rule.CODE], no blanks "
                                   "around its dots)");
}

/* A backslash meant as itself (a Windows path): how to write it */
static void a_lone_backslash_in_a_string_is_told_how_to_write_it(void **state)
{
    (void)state;
    an_error_names_line_and_column(rules_error("[scheme]\nname = \"C:\\office\"\n",
                                               CIVIC_E_SYNTAX),
                                   2, 11, "unknown escape in a string (write \\\\ for a backslash)");
    /* \U or \u not followed by hex digits: a path, as \office is */
    assert_string_equal(rules_error("[scheme]\nname = \"C:\\Users\\clerk\"\n", CIVIC_E_SYNTAX)
                            .message,
                        "line 2, column 13: bad hex digit in a unicode escape (write \\\\ for a "
                        "backslash)");
    assert_string_equal(rules_error("[scheme]\nname = \"D:\\uploads\"\n", CIVIC_E_SYNTAX)
                            .message,
                        "line 2, column 13: bad hex digit in a unicode escape (write \\\\ for a "
                        "backslash)");
    assert_string_equal(rules_error("[scheme]\nname = \"D:\\Udata\"\n", CIVIC_E_SYNTAX)
                            .message,
                        "line 2, column 15: bad hex digit in a unicode escape (write \\\\ for a "
                        "backslash)");
    /* an escape's digits mistyped is no path */
    assert_string_equal(rules_error("[scheme]\nname = \"\\u00e\"\n", CIVIC_E_SYNTAX).message,
                        "line 2, column 14: bad hex digit in a unicode escape");
    assert_string_equal(rules_error("[scheme]\nname = \"\\u00-9\"\n", CIVIC_E_SYNTAX).message,
                        "line 2, column 13: bad hex digit in a unicode escape");
    /* \xHH, other languages' escape (TOML 1.1's too): the \u form to write,
     * and that form is one the reader takes */
    assert_string_equal(rules_error("[scheme]\nname = \"Caf\\xe9\"\n", CIVIC_E_SYNTAX).message,
                        "line 2, column 12: unknown escape in a string (TOML 1.0 has no \\x: "
                        "write \\u00E9 for that character, or \\\\ for a backslash)");
    civic_rules *r = NULL;
    civic_error err = CIVIC_ERROR_INIT;
    const char *ok = "[scheme]\nname = \"Caf\\u00E9\"\n[[grade]]\nname = \"A\"\n";
    assert_int_equal(civic_rules_parse(&r, ok, strlen(ok), NULL, &err), CIVIC_OK);
    civic_rules_free(r);
    /* a control character has no \u form a name takes: the plain advice */
    assert_string_equal(rules_error("[scheme]\nname = \"a\\x1b\"\n", CIVIC_E_SYNTAX).message,
                        "line 2, column 10: unknown escape in a string (write \\\\ for a "
                        "backslash)");
}

/* A header's slips name what to write: a stray quote at its own column,
 * a plural of an array table the singular it takes. */
static void a_header_slip_says_what_to_write(void **state)
{
    (void)state;
#define G "[[grade]]\nname = \"A\"\n"
    an_error_names_line_and_column(rules_error(G "[rule.vh\"]\npoints = 1\n", CIVIC_E_SYNTAX), 3, 9,
                                   "unterminated table header (a stray '\"' at column 9: delete "
                                   "it)");
    /* done as it says, the header is taken */
    civic_rules_free(rules_from(G "[rule.vh]\npoints = 1\n"));
    an_error_names_line_and_column(rules_error(G "[rule.\"vh]\npoints = 1\n", CIVIC_E_SYNTAX), 3, 7,
                                   "(a stray '\"' at column 7");
    static const struct { const char *text; uint64_t line; const char *what; } plural[] = {
        { G "[rule.vh]\npoints = 1\n[[rule.vh.changes]]\nfrom = \"2026-01-01\"\n", 5,
          "unknown table [[rule.vh.changes]] (did you mean [[rule.vh.change]]?)" },
        { G "[rule.vh]\npoints = 1\n[tier.t]\nrules = \"vh\"\n[[tier.t.levels]]\nname = \"x\"\n"
            "min = 1\n", 7, "unknown table [[tier.t.levels]] (did you mean [[tier.t.level]]?)" },
        { G "[[validities]]\nname = \"x\"\n", 3,
          "unknown table [[validities]] (did you mean [[validity]]?)" },
        { "[[grades]]\nname = \"x\"\n", 1, "unknown table [[grades]] (did you mean [[grade]]?)" },
    };
    for (size_t k = 0; k < sizeof(plural) / sizeof(plural[0]); k++)
        an_error_names_line_and_column(rules_error(plural[k].text, CIVIC_E_RULES), plural[k].line,
                                       3, plural[k].what);
#undef G
}

/* TOML idioms the subset leaves out say what to write instead: a dotted
 * key as its table's header and its key, an inline table as a table, an
 * array as the ';'-joined list or the [[...]] tables the manual takes, an
 * offset or a number in the other form of value its key takes. */
static void a_toml_idiom_left_out_says_what_to_write(void **state)
{
    (void)state;
#define G "[[grade]]\nname = \"A\"\n"
#define AB G "[rule.vh]\npoints = 1\n[rule.fine]\npoints = -1\n"
    static const struct { const char *text; int code; uint64_t line; uint32_t column;
                          const char *what; } cases[] = {
        { "rule.vh.points = 5\n" G, CIVIC_E_SYNTAX, 1, 5, "dotted keys are not supported (write "
          "[rule.vh] on its own line, then points = 5)" },
        { "scheme.base = 100 # the base\n" G, CIVIC_E_SYNTAX, 1, 7, "dotted keys are not supported "
          "(write [scheme] on its own line, then base = 100)" },
        { "scheme . base = 100\n" G, CIVIC_E_SYNTAX, 1, 8, "(write [scheme] on its own line, then "
          "base = 100)" },
        { "grade.name = \"A\"\n", CIVIC_E_SYNTAX, 1, 6, "(write [[grade]] on its own line, then "
          "name = \"A\")" },
        { "rule.vh = { points = 1.5, per = \"unit\" }\n" G, CIVIC_E_SYNTAX, 1, 5,
          "dotted keys are not supported (write [rule.vh] on its own line, then one key = value "
          "a line)" },
        { G "[rule.fine]\npoints = { value = -10 }\n", CIVIC_E_SYNTAX, 4, 10,
          "inline tables are not supported (write a table as [NAME] on its own line, then one "
          "key = value a line)" },
        { AB "[tier.t]\nrules = [\"vh\", \"fine\"]\n", CIVIC_E_SYNTAX, 8, 9,
          "arrays are not supported (write rules = \"vh;fine\")" },
        { AB "[measure.m]\nkind = \"restriction\"\ngrades = [ \"A\",\"B\", ]\n", CIVIC_E_SYNTAX, 9,
          10, "arrays are not supported (write grades = \"A;B\")" },
        { "grade = [{name = \"A\"}]\n", CIVIC_E_SYNTAX, 1, 9, "arrays are not supported (write "
          "[[grade]] on its own line, then one key = value a line, for each)" },
        { "[scheme]\nutc_offset = +08:00\n" G, CIVIC_E_SYNTAX, 2, 14,
          "malformed number (write it in double quotes: \"+08:00\")" },
        { G "[rule.a]\npoints = \"5\"\n", CIVIC_E_RULES, 4, 10,
          "'points' must be a number (drop the quotes: points = 5)" },
        { G "[rule.a]\npoints = \"-2.5\"\n", CIVIC_E_RULES, 4, 10,
          "'points' must be a number (drop the quotes: points = -2.5)" },
        { G "[rule.a]\npoints = 1\nvalid = 365\n", CIVIC_E_RULES, 5, 9,
          "'valid' must be a string (quote it with its unit: \"365d\", \"365m\" or \"365y\")" },
        { G "[rule.a]\npoints = 1\nvalid = 20000\n", CIVIC_E_RULES, 5, 9,
          "'valid' must be a string (quote it with its unit: \"20000d\" or \"20000m\")" },
        /* a name TOML reads as a number or a boolean: any text is a name */
        { "[scheme]\nname = 2026 scheme\n" G, CIVIC_E_RULES, 2, 8,
          "'name' must be a string (write the name in double quotes)" },
        { "[[grade]]\nname = true\nmin = 0\n", CIVIC_E_RULES, 2, 8,
          "'name' must be a string (write the name in double quotes)" },
    };
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++)
        an_error_names_line_and_column(rules_error(cases[k].text, cases[k].code), cases[k].line,
                                       cases[k].column, cases[k].what);
    /* no hint where the suggestion would be refused: a table the scheme
     * has no such header for, a list of what is no simple name, a number
     * with too many places, a duration of no length */
    static const char *const bare[] = {
        "foo.bar = 1\n" G, "[tier.t]\nrules = [\"a;b\", \"c\"]\n" G,
        "[scheme]\nname = [\"a\", \"b\"]\n" G,
    };
    for (size_t k = 0; k < sizeof(bare) / sizeof(bare[0]); k++) {
        civic_error e = rules_error(bare[k], CIVIC_E_SYNTAX);
        assert_null(strstr(e.message, "(write"));
    }
    civic_error e = rules_error(G "[rule.a]\npoints = \"1.234\"\n", CIVIC_E_RULES);
    assert_null(strstr(e.message, "drop the quotes"));
    e = rules_error(G "[rule.a]\npoints = 1\nvalid = 0\n", CIVIC_E_RULES);
    assert_null(strstr(e.message, "quote it"));
#undef AB
#undef G
}

/* A dotted key's hint, written into the file as it says, is accepted:
 * a change or level is an array of tables ([[...]]), a rule code or cap
 * name is lower case, and a reserved code gets no header to write. */
static void a_dotted_key_hint_written_as_said_is_accepted(void **state)
{
    (void)state;
#define G "[[grade]]\nname = \"A\"\n"
#define RA G "[rule.a]\npoints = 1\n"
    static const struct { const char *text; uint64_t line; uint32_t column; const char *what;
                          const char *applied; } cases[] = {
        { RA "rule.a.change.from = \"2026-01-01\"\npoints = 2\n", 5, 5,
          "(write [[rule.a.change]] on its own line, then from = \"2026-01-01\")",
          RA "[[rule.a.change]]\nfrom = \"2026-01-01\"\npoints = 2\n" },
        { RA "[tier.t]\nrules = \"a\"\ntier.t.level.name = \"x\"\nmin = 1\n", 7, 5,
          "(write [[tier.t.level]] on its own line, then name = \"x\")",
          RA "[tier.t]\nrules = \"a\"\n[[tier.t.level]]\nname = \"x\"\nmin = 1\n" },
        { "rule.A.points = 1\n" G, 1, 5, "(write [rule.a] on its own line, then points = 1)",
          "[rule.a]\npoints = 1\n" G },
        { RA "cap.Day.limit = 5\nperiod = \"day\"\n", 5, 4,
          "(write [cap.day] on its own line, then limit = 5)",
          RA "[cap.day]\nlimit = 5\nperiod = \"day\"\n" },
        { "rule.vh.points = 5\n" G, 1, 5, "(write [rule.vh] on its own line, then points = 5)",
          "[rule.vh]\npoints = 5\n" G },
        { "scheme.base = 100\n" G, 1, 7, "(write [scheme] on its own line, then base = 100)",
          "[scheme]\nbase = 100\n" G },
        { "grade.name = \"A\"\n", 1, 6, "(write [[grade]] on its own line, then name = \"A\")",
          "[[grade]]\nname = \"A\"\n" },
    };
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        an_error_names_line_and_column(rules_error(cases[k].text, CIVIC_E_SYNTAX), cases[k].line,
                                       cases[k].column, cases[k].what);
        civic_rules_free(rules_from(cases[k].applied));
    }
    /* a reserved code has no header to write */
    civic_error e = rules_error("rule.revoke.points = 1\n" G, CIVIC_E_SYNTAX);
    assert_null(strstr(e.message, "(write"));
    e = rules_error("rule.REPAIR.points = 1\n" G, CIVIC_E_SYNTAX);
    assert_null(strstr(e.message, "(write"));
#undef RA
#undef G
}

/* The array, offset and quoted-number hints, done as they say, are taken;
 * where they would not be (a key the table has not, a value out of the
 * key's range) there is none. */
static void an_idiom_hint_is_given_only_where_taken(void **state)
{
    (void)state;
#define G "[[grade]]\nname = \"A\"\n"
#define RA G "[rule.a]\npoints = 1\n"
#define M "[measure.m]\nkind = \"restriction\"\n"
    static const struct { const char *text; int code; const char *what; const char *applied; }
        cases[] = {
        { RA "[tier.t]\nrules = [\"a\"]\n[[tier.t.level]]\nname = \"x\"\nmin = 1\n",
          CIVIC_E_SYNTAX, "(write rules = \"a\")",
          RA "[tier.t]\nrules = \"a\"\n[[tier.t.level]]\nname = \"x\"\nmin = 1\n" },
        { RA M "grades = [\"A\"]\n", CIVIC_E_SYNTAX, "(write grades = \"A\")",
          RA M "grades = \"A\"\n" },
        { "[scheme]\nutc_offset = +08:00\n" G, CIVIC_E_SYNTAX, "(write it in double quotes: "
          "\"+08:00\")", "[scheme]\nutc_offset = \"+08:00\"\n" G },
        { RA "cap = \"3\"\ncap_period = \"day\"\n", CIVIC_E_RULES, "(drop the quotes: cap = 3)",
          RA "cap = 3\ncap_period = \"day\"\n" },
        { RA "repeat_factor = \"1.5\"\n", CIVIC_E_RULES,
          "(drop the quotes: repeat_factor = 1.5)", RA "repeat_factor = 1.5\n" },
        { RA "[cap.c]\nlimit = \"5\"\nperiod = \"day\"\n", CIVIC_E_RULES,
          "(drop the quotes: limit = 5)", RA "[cap.c]\nlimit = 5\nperiod = \"day\"\n" },
        { G "[rule.a]\npoints = \"-3\"\n", CIVIC_E_RULES, "(drop the quotes: points = -3)",
          G "[rule.a]\npoints = -3\n" },
    };
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        civic_error e = rules_error(cases[k].text, cases[k].code);
        if (!strstr(e.message, cases[k].what)) fprintf(stderr, "got %s\n", e.message);
        assert_non_null(strstr(e.message, cases[k].what));
        civic_rules_free(rules_from(cases[k].applied));
    }
    static const struct { const char *text; int code; const char *not; } none[] = {
        { "[scheme]\nrules = [\"a\"]\n" G, CIVIC_E_SYNTAX, "(write" },
        { RA "rules = [\"a\"]\n", CIVIC_E_SYNTAX, "(write" },
        { RA "grades = [\"A\"]\n", CIVIC_E_SYNTAX, "(write" },
        { RA "[tier.t]\nrules = \"a\"\n[[tier.t.level]]\nname = \"x\"\nrules = [\"a\"]\n",
          CIVIC_E_SYNTAX, "(write" },
        { RA "valid = +08:00\n", CIVIC_E_SYNTAX, "double quotes" },
        { RA "flag = -08:00\n", CIVIC_E_SYNTAX, "double quotes" },
        { RA "cap = \"-3\"\ncap_period = \"day\"\n", CIVIC_E_RULES, "drop the quotes" },
        { RA "repeat_factor = \"-3\"\n", CIVIC_E_RULES, "drop the quotes" },
        { RA "repeat_factor = \"0\"\n", CIVIC_E_RULES, "drop the quotes" },
        { RA "[cap.c]\nlimit = \"-3\"\nperiod = \"day\"\n", CIVIC_E_RULES, "drop the quotes" },
    };
    for (size_t k = 0; k < sizeof(none) / sizeof(none[0]); k++) {
        civic_error e = rules_error(none[k].text, none[k].code);
        if (strstr(e.message, none[k].not)) fprintf(stderr, "got %s\n", e.message);
        assert_null(strstr(e.message, none[k].not));
    }
#undef M
#undef RA
#undef G
}

/* A word value's hint, done as it says, gives a value the key takes: a
 * no-break space at an edge is deleted whichever else is said, at both
 * edges both are named, and a blank left after it is named too. */
static void a_word_value_hint_done_as_said_is_accepted(void **state)
{
    (void)state;
#define RA TEST_GRADES "[rule.a]\npoints = 1\n"
    static const struct { const char *text; uint32_t column; const char *what;
                          const char *applied; } cases[] = {
        { RA "per = \"\xc2\xa0unit \"\n", 8, "(U+00A0 is a no-break space at its start: delete "
          "it; and a blank at its end: delete it)", RA "per = \"unit\"\n" },
        { RA "per = \"\xc2\xa0unit\xc2\xa0\"\n", 8, "(U+00A0 is a no-break space at its start "
          "and end: delete them)", RA "per = \"unit\"\n" },
        { RA "per = \"unit\xc2\xa0\"\n", 12, "(U+00A0 is a no-break space at its end: delete it)",
          RA "per = \"unit\"\n" },
        { RA "per = \" unit\xc2\xa0\"\n", 13, "(U+00A0 is a no-break space at its end: delete "
          "it; and a blank at its start: delete it)", RA "per = \"unit\"\n" },
        { RA "per = \"\xc2\xa0\xc2\xa0unit\"\n", 8, "(U+00A0 is a no-break space: delete it at "
          "its start, write a plain space in its place elsewhere; and a blank at its start: "
          "delete it)", RA "per = \"unit\"\n" },
    };
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        an_error_names_line_and_column(rules_error(cases[k].text, CIVIC_E_RULES), 20,
                                       cases[k].column, cases[k].what);
        civic_rules_free(rules_from(cases[k].applied));
    }
    an_error_names_line_and_column(
        rules_error("[scheme]\nutc_offset = \"\xe2\x80\x93" "08:00 \"\n" TEST_GRADES, CIVIC_E_RULES),
        2, 15, "(U+2013 is a dash, not a minus sign: write -; and a blank at its end: delete it)");
    civic_rules_free(rules_from("[scheme]\nutc_offset = \"-08:00\"\n" TEST_GRADES));
#undef RA
}

/* A word value with a stray blank at its start or end (" unit", "1y ",
 * a no-break space after "unit") names it, quoted, at the blank's column,
 * and says to delete it when the value without it is accepted: a plain
 * space in its place would be refused too.  A look-alike's replacement is
 * suggested only when the value with it is accepted. */
static void a_stray_blank_in_a_word_value_is_named(void **state)
{
    (void)state;
#define RA TEST_GRADES "[rule.a]\npoints = 1\n"
    static const char choices[] = "'per' must be one of \"event\", \"unit\" ";
    static const struct { const char *text; uint64_t line; uint32_t column; const char *what; }
        cases[] = {
        { RA "per = \"unit\xc2\xa0\"\n", 20, 12,
          "(U+00A0 is a no-break space at its end: delete it)" },
        { RA "per = \"\xc2\xa0unit\"\n", 20, 8,
          "(U+00A0 is a no-break space at its start: delete it)" },
        { RA "per = \"unit \"\n", 20, 12, "(\"unit \" has a blank at its end: delete it)" },
        { RA "per = \" unit\"\n", 20, 8, "(\" unit\" has a blank at its start: delete it)" },
        { RA "per = \"\tunit  \"\n", 20, 8, /* a tab itself, not an escape */
          "(\"\\tunit  \" has blanks at its start and end: delete them)" },
        /* quoted back with the escape a rules file takes (TOML has no \x) */
        { RA "per = \"unit\\t\"\n", 20, 7,
          "(\"unit\\t\" has a blank at its end: delete it)" },
        { RA "valid = \"1y \"\n", 20, 12, "(\"1y \" has a blank at its end: delete it)" },
        { RA "valid = \" by-severity\"\n", 20, 10,
          "(\" by-severity\" has a blank at its start: delete it)" },
        { "[scheme]\nutc_offset = \"+08:00 \"\n" TEST_GRADES, 2, 21,
          "'utc_offset' must be \"+HH:MM\", \"-HH:MM\" or \"Z\" (\"+08:00 \" has a blank at its "
          "end: delete it)" },
        { "[scheme]\nclamp = \" final\"\n" TEST_GRADES, 2, 10,
          "(\" final\" has a blank at its start: delete it)" },
        { RA "[[rule.a.change]]\nfrom = \"2026-01-01 \"\npoints = 2\n", 21, 19,
          "(\"2026-01-01 \" has a blank at its end: delete it)" },
        { RA "[tier.t]\nrules = \"a\"\nwindow = \"12m \"\n[[tier.t.level]]\nname = \"x\"\n"
             "min = 1\n", 22, 14, "(\"12m \" has a blank at its end: delete it)" },
        { RA "[[rule.a.change]]\nfrom = \"2026-01-01\xc2\xa0\"\npoints = 2\n", 21, 19,
          "(U+00A0 is a no-break space at its end: delete it)" },
    };
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++)
        an_error_names_line_and_column(rules_error(cases[k].text, CIVIC_E_RULES), cases[k].line,
                                       cases[k].column, cases[k].what);
    /* the message is the value's own before it */
    an_error_names_line_and_column(rules_error(RA "per = \"unit \"\n", CIVIC_E_RULES), 20, 12,
                                   choices);
    /* without the blank it is still no choice: named, not "delete it" */
    civic_error e = rules_error(RA "per = \"hour \"\n", CIVIC_E_RULES);
    an_error_names_line_and_column(e, 20, 12, "(\"hour \" has a blank at its end)");
    /* a no-break space inside a word: a plain space would be refused too */
    e = rules_error(RA "per = \"un\xc2\xa0it\"\n", CIVIC_E_RULES);
    an_error_names_line_and_column(e, 20, 10, "(U+00A0 is a no-break space)");
    assert_null(strstr(e.message, "write a plain space"));
#undef RA
}

/* A word value near one of the key's words (the same in another case, the
 * only one it starts or that starts it, two letters off, one for the
 * shortest) is offered it, at the value; written as said, the file loads.
 * A look-alike or a blank at an end keeps its own advice. */
static void a_word_near_a_choice_is_offered_it(void **state)
{
    (void)state;
#define G "[[grade]]\nname = \"A\"\n"
#define RULE G "[rule.a]\npoints = 1\n"
#define CAP RULE "cap = 5\ncap_period = \"day\"\n"
    static const struct {
        const char *before, *key, *value, *after, *words, *meant;
        uint64_t line;
        uint32_t column;
    } cases[] = {
        { "[scheme]\n", "contested", "suspended", G, "\"mark\", \"suspend\"", "suspend", 2, 13 },
        { "[scheme]\n", "contested", "Mark", G, "\"mark\", \"suspend\"", "mark", 2, 13 },
        { "[scheme]\n", "clamp", "run", G, "\"final\", \"running\"", "running", 2, 9 },
        { "[scheme]\n", "clamp", "fine", G, "\"final\", \"running\"", "final", 2, 9 },
        { "[scheme]\n", "balance_reset", "yearly", G,
          "\"never\", \"month\", \"quarter\", \"year\"", "year", 2, 17 },
        { RULE, "affects", "Score", "", "\"both\", \"score\", \"balance\"", "score", 5, 11 },
        { RULE, "affects", "bal", "", "\"both\", \"score\", \"balance\"", "balance", 5, 11 },
        { RULE, "affects", "balanse", "", "\"both\", \"score\", \"balance\"", "balance", 5, 11 },
        { RULE, "per", "units", "", "\"event\", \"unit\"", "unit", 5, 7 },
        { RULE "cap = 5\n", "cap_period", "daily", "",
          "\"day\", \"week\", \"month\", \"quarter\", \"year\", \"lifetime\"", "day", 6, 14 },
        { RULE "cap = 5\n", "cap_period", "Monthly", "",
          "\"day\", \"week\", \"month\", \"quarter\", \"year\", \"lifetime\"", "month", 6, 14 },
        { CAP, "cap_mode", "NET", "", "\"both\", \"net\"", "net", 7, 12 },
        { G "[cap.c]\nlimit = 5\nperiod = \"day\"\n", "mode", "nett", "", "\"both\", \"net\"",
          "net", 6, 8 },
        { G "[cap.c]\nlimit = 5\n", "period", "wek", "",
          "\"day\", \"week\", \"month\", \"quarter\", \"year\", \"lifetime\"", "week", 5, 10 },
        { RULE "[tier.t]\nrules = \"a\"\n", "measure", "point", "[[tier.t.level]]\nname = \"x\"\n"
          "min = 1\n", "\"qty\", \"points\"", "points", 7, 11 },
        { G "[measure.m]\nmin_score = 1\n", "kind", "restrict", "",
          "\"incentive\", \"restriction\"", "restriction", 5, 8 },
    };
    char text[512], want[256];
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        snprintf(text, sizeof(text), "%s%s = \"%s\"\n%s", cases[k].before, cases[k].key,
                 cases[k].value, cases[k].after);
        civic_error e = rules_error(text, CIVIC_E_RULES);
        snprintf(want, sizeof(want), "line %llu, column %u: '%s' must be one of %s (did you "
                 "mean \"%s\"?)", (unsigned long long)cases[k].line, cases[k].column,
                 cases[k].key, cases[k].words, cases[k].meant);
        if (strcmp(e.message, want) != 0) fprintf(stderr, "got %s\n", e.message);
        assert_string_equal(e.message, want);
        snprintf(text, sizeof(text), "%s%s = \"%s\"\n%s", cases[k].before, cases[k].key,
                 cases[k].meant, cases[k].after);
        civic_rules_free(rules_from(text));
    }
    /* none near: the words alone; two prefixes: none; the shortest: one letter off */
    static const char *const far[] = { RULE "affects = \"none\"\n", RULE "affects = \"b\"\n",
                                       RULE "per = \"hour\"\n", CAP "cap_mode = \"no\"\n",
                                       "[scheme]\ncontested = \"ignore\"\n" G };
    for (size_t k = 0; k < sizeof(far) / sizeof(far[0]); k++) {
        civic_error e = rules_error(far[k], CIVIC_E_RULES);
        assert_null(strstr(e.message, "did you mean"));
        assert_true(e.message[strlen(e.message) - 1] == '"');
    }
    /* a blank at an end or a look-alike: its own advice, not a guess */
    civic_error e = rules_error(RULE "affects = \" Score\"\n", CIVIC_E_RULES);
    assert_string_equal(e.message, "line 5, column 12: 'affects' must be one of \"both\", "
                                   "\"score\", \"balance\" (\" Score\" has a blank at its start)");
    e = rules_error(RULE "per = \"\xef\xbd\x95nits\"\n", CIVIC_E_RULES);
    assert_null(strstr(e.message, "did you mean"));
#undef CAP
#undef RULE
#undef G
}

/* A dimension, flag or grade name refused for a control character quotes
 * the value as the file writes it; one from a \t, \n, \r, \b or \f escape
 * (a Windows path: "C:\temp" is a tab) is told to write \\ for a
 * backslash, and so written the file loads.  A tab written as itself is
 * named at its own column, with nothing to write. */
static void a_control_character_in_a_label_is_quoted_as_written(void **state)
{
    (void)state;
#define RA TEST_GRADES "[rule.a]\npoints = 1\n"
#define WITHOUT "bytes of text without control characters"
    static const struct { const char *text, *what, *applied; } cases[] = {
        { RA "dimension = \"C:\\temp\"\n", "line 20, column 13: 'dimension' must be 1..64 "
          WITHOUT " \"C:\\temp\" (write \\\\ for a backslash)", RA "dimension = \"C:\\\\temp\"\n" },
        { RA "flag = \"C:\\new\"\n", "line 20, column 8: 'flag' must be 1..64 " WITHOUT " or ';' "
          "\"C:\\new\" (write \\\\ for a backslash)", RA "flag = \"C:\\\\new\"\n" },
        { "[[grade]]\nname = \"A\\bB\\f\\r\"\n", "line 2, column 8: 'name' must be 1..256 "
          WITHOUT " \"A\\bB\\f\\r\" (write \\\\ for a backslash)",
          "[[grade]]\nname = \"A\\\\bB\\\\f\\\\r\"\n" },
        /* a tab as itself: its own column; \u0001: the escape meant */
        { RA "flag = \"ab\tc\"\n", "line 20, column 11: 'flag' must be 1..64 " WITHOUT
          " or ';' \"ab\\tc\"", RA "flag = \"abc\"\n" },
        { RA "dimension = \"a\\u0001\"\n", "line 20, column 13: 'dimension' must be 1..64 "
          WITHOUT " \"a\\u0001\"", RA "dimension = \"a\"\n" },
    };
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        rules_refused_saying(cases[k].text, cases[k].what);
        civic_rules_free(rules_from(cases[k].applied));
    }
    /* refused for its length or a ';' alone: no value quoted */
    assert_string_equal(rules_error(RA "flag = \"a;b\"\n", CIVIC_E_RULES).message,
                        "line 20, column 8: 'flag' must be 1..64 " WITHOUT " or ';'");
#undef WITHOUT
#undef RA
}

/* A duration's count may have any number of leading zeros: it is the
 * count without them, within the same limits (a count of ten characters
 * was refused as no duration at all, whatever its value). */
static void a_duration_count_may_have_many_leading_zeros(void **state)
{
    (void)state;
    static const struct { const char *given, *same; } cases[] = {
        { "000000001d", "1d" }, { "0003660000d", "3660000d" },
        { "00000000000000000000000012m", "12m" }, { "0000000000010000y", "10000y" },
    };
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        char text[256], same[256];
        snprintf(text, sizeof(text), TEST_GRADES "[rule.a]\npoints = -1\nvalid = \"%s\"\n",
                 cases[k].given);
        snprintf(same, sizeof(same), TEST_GRADES "[rule.a]\npoints = -1\nvalid = \"%s\"\n",
                 cases[k].same);
        civic_rules *r = rules_from(text), *s = rules_from(same);
        civic_rule_info a = CIVIC_RULE_INFO_INIT, b = CIVIC_RULE_INFO_INIT;
        assert_int_equal(civic_rules_rule_info(r, 0, 0, &a), CIVIC_OK);
        assert_int_equal(civic_rules_rule_info(s, 0, 0, &b), CIVIC_OK);
        assert_string_equal(a.valid, cases[k].same);
        assert_string_equal(a.valid, b.valid);
        civic_rules_free(r);
        civic_rules_free(s);
    }
    /* past a limit, however written: told so, not offered the forms */
    static const char *const past[] = { "0003660001d", "99999999999999999999d", "000120001m" };
    for (size_t k = 0; k < sizeof(past) / sizeof(past[0]); k++) {
        char text[256];
        snprintf(text, sizeof(text), TEST_GRADES "[rule.a]\npoints = -1\nvalid = \"%s\"\n",
                 past[k]);
        civic_error e = rules_error(text, CIVIC_E_LIMIT);
        assert_non_null(strstr(e.message, "'valid' is too long: at most"));
    }
}

/* A duration in words ("3 months", "2 weeks", "3M"), or near a named form
 * ("end of month"), is offered the form to write, on every key that takes
 * a duration; working days, which no form counts, are told as calendar
 * days.  Written as said, the file loads. */
static void a_duration_in_words_is_offered_its_form(void **state)
{
    (void)state;
#define G "[[grade]]\nname = \"A\"\n"
#define RULE G "[rule.a]\npoints = 1\n"
#define FORMS "\"forever\", \"Nd\", \"Nm\", \"Ny\" (N >= 1), \"end-of-month\", \"end-of-quarter\""
#define V1 FORMS " or \"end-of-year\""
#define V2 FORMS ", \"end-of-year\" or \"by-severity\""
#define PUB "a period: \"Nd\", \"Nm\", \"Ny\" (N >= 1), \"end-of-month\", \"end-of-quarter\" or " \
            "\"end-of-year\""
#define WIN "\"lifetime\", \"year\", \"quarter\", \"month\" or a rolling period such as \"12m\" or " \
            "\"90d\""
#define TIER RULE "[tier.t]\nrules = \"a\"\n"
#define LEVEL "[[tier.t.level]]\nname = \"x\"\nmin = 1\n"
    static const struct {
        const char *before, *key, *value, *after, *forms, *hint, *applied;
        uint64_t line;
        uint32_t column;
    } cases[] = {
        { RULE, "valid", "3 months", "", V2, "(did you mean \"3m\"?)", "3m", 5, 9 },
        { RULE, "valid", "3months", "", V2, "(did you mean \"3m\"?)", "3m", 5, 9 },
        { RULE, "valid", "3M", "", V2, "(did you mean \"3m\"?)", "3m", 5, 9 },
        { RULE, "valid", "2 Weeks", "", V2, "(did you mean \"14d\"?)", "14d", 5, 9 },
        { RULE, "valid", "1 quarter", "", V2, "(did you mean \"3m\"?)", "3m", 5, 9 },
        { RULE, "valid", "30 days", "", V2, "(did you mean \"30d\"?)", "30d", 5, 9 },
        { RULE, "valid", "48 hours", "", V2, "(did you mean \"2d\"?)", "2d", 5, 9 },
        /* blanks at its start or end: named, as alone, at the first one's column */
        { RULE, "valid", " 2-year ", "", V2, "(\" 2-year \" has blanks at its start and end; did "
          "you mean \"2y\"?)", "2y", 5, 10 },
        { RULE, "valid", " 1w", "", V2, "(\" 1w\" has a blank at its start; did you mean "
          "\"7d\"?)", "7d", 5, 10 },
        { RULE, "valid", "1 y ", "", V2, "(\"1 y \" has a blank at its end; did you mean "
          "\"1y\"?)", "1y", 5, 13 },
        { RULE, "repair_after", "3 months ", "", V1, "(\"3 months \" has a blank at its end; "
          "did you mean \"3m\"?)", "3m", 5, 25 },
        { RULE, "publicity", "2 weeks  ", "", PUB, "(\"2 weeks  \" has blanks at its end; did "
          "you mean \"14d\"?)", "14d", 5, 21 },
        { RULE, "valid", "End of Month", "", V2, "(did you mean \"end-of-month\"?)",
          "end-of-month", 5, 9 },
        { RULE, "valid", "by severity", "[[validity]]\nvalid = \"1y\"\n", V2,
          "(did you mean \"by-severity\"?)", "by-severity", 5, 9 },
        { "[scheme]\n", "valid", "for ever", G, V2, "(did you mean \"forever\"?)", "forever", 2,
          9 },
        { RULE, "repair_after", "3 months", "", V1, "(did you mean \"3m\"?)", "3m", 5, 16 },
        { RULE, "repair_after", "5 working days", "", V1, "(working days cannot be written: 5 "
          "working days span at most 7 calendar days, \"7d\")", "7d", 5, 16 },
        { RULE "affects = \"score\"\n", "retain", "5 years", "", V1, "(did you mean \"5y\"?)",
          "5y", 6, 10 },
        { "[scheme]\n", "objection_window", "3 wd", G, V1, "(working days cannot be written: 3 "
          "working days span at most 5 calendar days, \"5d\")", "5d", 2, 20 },
        { RULE, "repair_after", "1 working day", "", V1, "(working days cannot be written: 1 "
          "working day spans at most 3 calendar days, \"3d\")", "3d", 5, 16 },
        { "[scheme]\n", "objection_window", "10 business days", G, V1, "(working days cannot be "
          "written: 10 working days span at most 14 calendar days, \"14d\")", "14d", 2, 20 },
        { G "[[validity]]\n", "valid", "1 yr", "[rule.a]\nvalid = \"by-severity\"\n", V1,
          "(did you mean \"1y\"?)", "1y", 4, 9 },
        { RULE, "publicity", "2 weeks", "", PUB, "(did you mean \"14d\"?)", "14d", 5, 13 },
        { RULE, "publicity", "7 Working Days", "", PUB, "(working days cannot be written: 7 "
          "working days span at most 11 calendar days, \"11d\")", "11d", 5, 13 },
        { TIER, "window", "12 months", LEVEL, WIN, "(did you mean \"12m\"?)", "12m", 7, 10 },
        { TIER, "window", "Monthly", LEVEL, WIN, "(did you mean \"month\"?)", "month", 7, 10 },
        { TIER, "window", " Monthly", LEVEL, WIN, "(\" Monthly\" has a blank at its start; did "
          "you mean \"month\"?)", "month", 7, 11 },
        /* a count in words, an ISO 8601 period, a form with a word before it */
        { RULE, "valid", "three months", "", V2, "(did you mean \"3m\"?)", "3m", 5, 9 },
        { RULE, "valid", "Twelve Months", "", V2, "(did you mean \"12m\"?)", "12m", 5, 9 },
        { RULE, "valid", "a year", "", V2, "(did you mean \"1y\"?)", "1y", 5, 9 },
        { RULE, "repair_after", "two weeks", "", V1, "(did you mean \"14d\"?)", "14d", 5, 16 },
        { RULE, "publicity", "five working days", "", PUB, "(working days cannot be written: 5 "
          "working days span at most 7 calendar days, \"7d\")", "7d", 5, 13 },
        { RULE, "valid", "P3M", "", V2, "(did you mean \"3m\"?)", "3m", 5, 9 },
        { RULE, "valid", "p1y", "", V2, "(did you mean \"1y\"?)", "1y", 5, 9 },
        { RULE, "valid", "P1Y6M", "", V2, "(did you mean \"18m\"?)", "18m", 5, 9 },
        { RULE, "valid", "P2W", "", V2, "(did you mean \"14d\"?)", "14d", 5, 9 },
        /* years and months, or weeks and days, without the P */
        { RULE, "valid", "1y6m", "", V2, "(did you mean \"18m\"?)", "18m", 5, 9 },
        { RULE, "valid", "2W3D", "", V2, "(did you mean \"17d\"?)", "17d", 5, 9 },
        { RULE "affects = \"score\"\n", "retain", "P5Y", "", V1, "(did you mean \"5y\"?)", "5y",
          6, 10 },
        { TIER, "window", "end-of-month", LEVEL, WIN, "(did you mean \"month\"?)", "month", 7,
          10 },
        { TIER, "window", "End of the Quarter", LEVEL, WIN, "(did you mean \"quarter\"?)",
          "quarter", 7, 10 },
        { TIER, "window", "calendar year", LEVEL, WIN, "(did you mean \"year\"?)", "year", 7,
          10 },
        { TIER, "window", "P90D", LEVEL, WIN, "(did you mean \"90d\"?)", "90d", 7, 10 },
        /* all time in another word: the key's own, "lifetime" or "forever" */
        { TIER, "window", "forever", LEVEL, WIN, "(did you mean \"lifetime\"?)", "lifetime", 7,
          10 },
        { TIER, "window", "Never", LEVEL, WIN, "(did you mean \"lifetime\"?)", "lifetime", 7,
          10 },
        { TIER, "window", "always", LEVEL, WIN, "(did you mean \"lifetime\"?)", "lifetime", 7,
          10 },
        { TIER, "window", "all", LEVEL, WIN, "(did you mean \"lifetime\"?)", "lifetime", 7, 10 },
        { TIER, "window", "permanent", LEVEL, WIN, "(did you mean \"lifetime\"?)", "lifetime", 7,
          10 },
        { TIER, "window", "for ever", LEVEL, WIN, "(did you mean \"lifetime\"?)", "lifetime", 7,
          10 },
        { RULE, "valid", "lifetime", "", V2, "(did you mean \"forever\"?)", "forever", 5, 9 },
        { RULE, "repair_after", "Permanent", "", V1, "(did you mean \"forever\"?)", "forever", 5,
          16 },
        /* a fraction of a year in months, an ISO period's hours in whole days */
        { RULE, "valid", "1.5y", "", V2, "(did you mean \"18m\"?)", "18m", 5, 9 },
        { RULE, "valid", "0.5y", "", V2, "(did you mean \"6m\"?)", "6m", 5, 9 },
        /* zeros after the point say nothing: the unit as written */
        { RULE, "valid", "1.0y", "", V2, "(did you mean \"1y\"?)", "1y", 5, 9 },
        { RULE, "valid", "1.50y", "", V2, "(did you mean \"18m\"?)", "18m", 5, 9 },
        { RULE, "valid", "1.5 years", "", V2, "(did you mean \"18m\"?)", "18m", 5, 9 },
        { RULE, "repair_after", "0.25y", "", V1, "(did you mean \"3m\"?)", "3m", 5, 16 },
        { RULE, "valid", "PT48H", "", V2, "(did you mean \"2d\"?)", "2d", 5, 9 },
        { RULE, "valid", "PT24H", "", V2, "(did you mean \"1d\"?)", "1d", 5, 9 },
        { RULE, "valid", "P1DT24H", "", V2, "(did you mean \"2d\"?)", "2d", 5, 9 },
    };
    char text[512], want[256];
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        snprintf(text, sizeof(text), "%s%s = \"%s\"\n%s", cases[k].before, cases[k].key,
                 cases[k].value, cases[k].after);
        civic_error e = rules_error(text, CIVIC_E_RULES);
        snprintf(want, sizeof(want), "line %llu, column %u: '%s' must be %s %s",
                 (unsigned long long)cases[k].line, cases[k].column, cases[k].key,
                 cases[k].forms, cases[k].hint);
        if (strcmp(e.message, want) != 0) fprintf(stderr, "got %s\n", e.message);
        assert_string_equal(e.message, want);
        snprintf(text, sizeof(text), "%s%s = \"%s\"\n%s", cases[k].before, cases[k].key,
                 cases[k].applied, cases[k].after);
        civic_rules_free(rules_from(text));
    }
    /* no form to offer: none guessed */
    static const char *const none[] = {
        RULE "valid = \"thirteen months\"\n", RULE "valid = \"25 hours\"\n",
        RULE "valid = \"PT36H\"\n", RULE "valid = \"P1M2D\"\n", RULE "valid = \"P0D\"\n",
        RULE "valid = \"P1MT24H\"\n", RULE "valid = \"PT30M\"\n", RULE "valid = \"1.5m\"\n",
        RULE "valid = \"1.01y\"\n", RULE "valid = \"2.5 weeks\"\n", RULE "valid = \"0.5d\"\n",
        RULE "valid = \"P99999999Y\"\n", RULE "valid = \"P\"\n", RULE "valid = \"P3\"\n",
        RULE "valid = \"P3M3M\"\n", RULE "valid = \"an hour\"\n",
        RULE "valid = \"0 days\"\n", RULE "valid = \"4000000 days\"\n",
        RULE "valid = \"3 fortnights\"\n", RULE "affects = \"score\"\nretain = \"by severity\"\n",
        RULE "publicity = \"for ever\"\n",
        /* "never" and "all" could mean no time for a validity: none offered */
        RULE "valid = \"never\"\n", RULE "valid = \"all\"\n", RULE "publicity = \"lifetime\"\n",
    };
    for (size_t k = 0; k < sizeof(none) / sizeof(none[0]); k++) {
        civic_error e = rules_error(none[k], CIVIC_E_RULES);
        if (strchr(e.message, '(') != strrchr(e.message, '('))
            fprintf(stderr, "got %s\n", e.message);
        assert_null(strstr(e.message, "did you mean"));
        assert_null(strstr(e.message, "working days"));
    }
    /* the most working days a form counts: the hint whole within the message */
    civic_error e = rules_error("[scheme]\nobjection_window = \"2614285 wd\"\n" G, CIVIC_E_RULES);
    assert_string_equal(e.message, "line 2, column 20: 'objection_window' must be " V1
                                   " (working days cannot be written: 2614285 working days "
                                   "span at most 3659999 calendar days, \"3659999d\")");
    e = rules_error("[scheme]\nobjection_window = \"2614286 wd\"\n" G, CIVIC_E_RULES);
    assert_string_equal(e.message, "line 2, column 20: 'objection_window' must be " V1
                                   " (working days cannot be written: count calendar days, "
                                   "\"Nd\")");
    /* a calendar period said as a form of another key: the word to write */
    e = rules_error(RULE "cap = 5\ncap_period = \"end-of-month\"\n", CIVIC_E_RULES);
    assert_string_equal(e.message, "line 6, column 14: 'cap_period' must be one of \"day\", "
                                   "\"week\", \"month\", \"quarter\", \"year\", \"lifetime\" "
                                   "(did you mean \"month\"?)");
    e = rules_error(RULE "cap = 5\ncap_period = \"forever\"\n", CIVIC_E_RULES);
    assert_string_equal(e.message, "line 6, column 14: 'cap_period' must be one of \"day\", "
                                   "\"week\", \"month\", \"quarter\", \"year\", \"lifetime\" "
                                   "(did you mean \"lifetime\"?)");
    civic_rules_free(rules_from(RULE "cap = 5\ncap_period = \"lifetime\"\n"));
    /* blanks and working days: the value left out, the hint whole */
    e = rules_error(RULE "repair_after = \" 5 working days \"\n", CIVIC_E_RULES);
    assert_string_equal(e.message, "line 5, column 17: 'repair_after' must be " V1 " (blanks at "
                                   "its start and end; working days cannot be written: 5 working "
                                   "days span at most 7 calendar days, \"7d\")");
    /* a value right but for a blank at an end keeps that advice */
    e = rules_error(RULE "valid = \"1y \"\n", CIVIC_E_RULES);
    assert_non_null(strstr(e.message, "(\"1y \" has a blank at its end: delete it)"));
#undef LEVEL
#undef TIER
#undef WIN
#undef PUB
#undef V2
#undef V1
#undef FORMS
#undef RULE
#undef G
}

/* A utc_offset of another form than "+HH:MM" (an hour of one digit, no
 * ':', "UTC" before it, no sign, a '.' for the ':') is offered the offset
 * to write, which loads. */
static void an_offset_of_another_form_is_offered_its_form(void **state)
{
    (void)state;
    static const struct { const char *value, *meant; } cases[] = {
        { "+8:00", "+08:00" }, { "+0800", "+08:00" }, { "+08", "+08:00" }, { "UTC+8", "+08:00" },
        { "+8", "+08:00" }, { "gmt -05:30", "-05:30" }, { "-530", "-05:30" }, { "UTC", "Z" },
        { "utc+08:00", "+08:00" }, { "+05:45:00", "+05:45" }, { "-11:00:00", "-11:00" },
        { "08:00", "+08:00" }, { "+08.00", "+08:00" }, { "-05.30", "-05:30" },
        { "UTC 05:45", "+05:45" },
    };
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        char text[160], want[200];
        snprintf(text, sizeof(text), "[scheme]\nutc_offset = \"%s\"\n[[grade]]\nname = \"A\"\n",
                 cases[k].value);
        civic_error e = rules_error(text, CIVIC_E_RULES);
        snprintf(want, sizeof(want), "line 2, column 14: 'utc_offset' must be \"+HH:MM\", "
                 "\"-HH:MM\" or \"Z\" (did you mean \"%s\"?)", cases[k].meant);
        assert_string_equal(e.message, want);
        snprintf(text, sizeof(text), "[scheme]\nutc_offset = \"%s\"\n[[grade]]\nname = \"A\"\n",
                 cases[k].meant);
        civic_rules_free(rules_from(text));
    }
    /* none that would be refused, or where the form is no offset */
    static const char *const none[] = { "+24", "+0860", "+08:0", "UTC+", "+123456", "8",
                                        "+05:45:30", "+0545:00", "24:00", "08:60", "ab:cd",
                                        "+08.60" };
    for (size_t k = 0; k < sizeof(none) / sizeof(none[0]); k++) {
        char text[160];
        snprintf(text, sizeof(text), "[scheme]\nutc_offset = \"%s\"\n[[grade]]\nname = \"A\"\n",
                 none[k]);
        assert_null(strstr(rules_error(text, CIVIC_E_RULES).message, "did you mean"));
    }
    /* a zone's name: no offset to offer (it may change with the date), but
     * what the key takes; Etc/GMT+8 is UTC-08:00 (POSIX's inverted sign), so
     * no "+08:00" is offered for it */
#define ZONE "line 2, column 14: 'utc_offset' must be \"+HH:MM\", \"-HH:MM\" or \"Z\" " \
             "(a time zone's name: write its fixed offset"
    static const struct { const char *value, *says; } zones[] = {
        { "Asia/Shanghai", ZONE ", such as \"+08:00\"; there is no daylight saving time)" },
        { "America/New_York", ZONE ", such as \"+08:00\"; there is no daylight saving time)" },
        { "Etc/GMT+8", ZONE "; an Etc/GMT name's sign is the inverse of the offset's: "
                       "Etc/GMT+8 is \"-08:00\")" },
        { "Etc/GMT-8", ZONE "; an Etc/GMT name's sign is the inverse of the offset's: "
                       "Etc/GMT+8 is \"-08:00\")" },
        { "etc/gmt", ZONE "; an Etc/GMT name's sign is the inverse of the offset's: "
                     "Etc/GMT+8 is \"-08:00\")" },
    };
#undef ZONE
    for (size_t k = 0; k < sizeof(zones) / sizeof(zones[0]); k++) {
        char text[160];
        snprintf(text, sizeof(text), "[scheme]\nutc_offset = \"%s\"\n[[grade]]\nname = \"A\"\n",
                 zones[k].value);
        assert_string_equal(rules_error(text, CIVIC_E_RULES).message, zones[k].says);
    }
}

/* A look-alike inside a word value (a choice, an offset, a duration, a list
 * of names, a number after its sign) is named, as where it stops the file */
static void a_lookalike_inside_a_word_value_is_named(void **state)
{
    (void)state;
#define WIDE "(a full-width character, as an input method for Chinese or Japanese types it: " \
             "write it in ASCII)"
    an_error_names_line_and_column(rules_error(TEST_GRADES "[rule.a]\npoints = 1\n"
                                               "per = \"\xef\xbd\x95nit\"\n", CIVIC_E_RULES),
                                   20, 8, "'per' must be one of \"event\", \"unit\" " WIDE);
    /* an escape after the character leaves its column known; one before
     * it, the opening quote's is given (and the tab, a blank at the
     * value's edge, is to go too: "unit\t" in ASCII is still no choice) */
    an_error_names_line_and_column(rules_error(TEST_GRADES "[rule.a]\npoints = 1\n"
                                               "per = \"\xef\xbd\x95nit\\t\"\n", CIVIC_E_RULES),
                                   20, 8, "'per' must be one of \"event\", \"unit\" (a full-width "
                                          "character, as an input method for Chinese or Japanese "
                                          "types it: write it in ASCII; and a blank at its end: "
                                          "delete it)");
    an_error_names_line_and_column(rules_error(TEST_GRADES "[rule.a]\npoints = 1\n"
                                               "per = \"\\t\xef\xbd\x95nit\"\n", CIVIC_E_RULES),
                                   20, 7, "'per' must be one of \"event\", \"unit\" (a full-width "
                                          "character, as an input method for Chinese or Japanese "
                                          "types it: write it in ASCII; and a blank at its start: "
                                          "delete it)");
    an_error_names_line_and_column(rules_error("[scheme]\nclamp = \"\xef\xbd\x86inal\"\n",
                                               CIVIC_E_RULES),
                                   2, 10, "'clamp' must be one of \"final\", \"running\" " WIDE);
    an_error_names_line_and_column(rules_error("[scheme]\nutc_offset = \"\xef\xbc\x8b" "08:00\"\n",
                                               CIVIC_E_RULES),
                                   2, 15, "'utc_offset' must be \"+HH:MM\", \"-HH:MM\" or \"Z\" "
                                          WIDE);
    an_error_names_line_and_column(rules_error("[scheme]\nutc_offset = \"+08\xef\xbc\x9a" "00\"\n",
                                               CIVIC_E_RULES),
                                   2, 18, "'utc_offset' must be \"+HH:MM\", \"-HH:MM\" or \"Z\" "
                                          WIDE);
    /* after a sign: at the character, as without one */
    an_error_names_line_and_column(rules_error("[rule.a]\npoints = -\xef\xbc\x91" "0\n",
                                               CIVIC_E_SYNTAX),
                                   2, 11, "expected a string, number, true or false " WIDE);
    an_error_names_line_and_column(rules_error("[rule.a]\npoints = \xef\xbc\x91" "0\n",
                                               CIVIC_E_SYNTAX),
                                   2, 10, "expected a string, number, true or false " WIDE);
    /* hyphens a word processor puts in a word */
    an_error_names_line_and_column(rules_error(TEST_GRADES "[rule.a]\npoints = 1\n"
                                               "valid = \"end\xe2\x80\x91of\xe2\x80\x91month\"\n",
                                               CIVIC_E_RULES),
                                   20, 13, "(U+2011 is a non-breaking hyphen: write -)");
    an_error_names_line_and_column(rules_error(TEST_GRADES "[rule.a]\npoints = 1\n"
                                               "valid = \"end\xe2\x80\x90of\xe2\x80\x90month\"\n",
                                               CIVIC_E_RULES),
                                   20, 13, "(U+2010 is a typographic hyphen: write -)");
    an_error_names_line_and_column(rules_error("[rul\xe2\x80\x90" "e.a]\n", CIVIC_E_RULES), 1, 2,
                                   "(U+2010 is a typographic hyphen: write -)");
    /* a list of names: a full-width comma is the comma it stands for */
    an_error_names_line_and_column(rules_error(TEST_GRADES "[measure.m]\nkind = \"restriction\"\n"
                                               "grades = \"AAA\xef\xbc\x8c" "A\"\n",
                                               CIVIC_E_RULES),
                                   20, 10, "'grades': \"AAA\xef\xbc\x8c" "A\" is not a grade of "
                                           "this scheme (names are separated by ';', not ',')");
    an_error_names_line_and_column(rules_error(TEST_GRADES "[measure.m]\nkind = \"restriction\"\n"
                                               "grades = \"AAA\xe3\x80\x81" "A\"\n",
                                               CIVIC_E_RULES),
                                   20, 10, "(names are separated by ';', not ',')");
    an_error_names_line_and_column(rules_error(TEST_GRADES "[measure.m]\nkind = \"restriction\"\n"
                                               "grades = \"AAA\xc2\xa0\"\n", CIVIC_E_RULES),
                                   20, 10, "is not a grade of this scheme (U+00A0 is a no-break "
                                           "space: write a plain space)");
    an_error_names_line_and_column(rules_error(TEST_GRADES "[rule.a]\npoints = 1\n[rule.b]\n"
                                               "points = 1\n[tier.t]\n"
                                               "rules = \"a\xef\xbc\x8c" "b\"\nmeasure = \"qty\"\n"
                                               "[[tier.t.level]]\nname = \"x\"\nmin = 1\n",
                                               CIVIC_E_RULES),
                                   23, 9, "'rules': \"a\xef\xbc\x8c" "b\" is not a rule of this "
                                          "scheme (names are separated by ';', not ',')");
#undef WIDE
}

/* The rules parsed from text[0..len) as a file (civic_rules_load_file) and
 * as a buffer (civic_rules_parse): the message of each, which must fail. */
static void rules_errors_of_bytes(const char *text, size_t len, char *file_msg,
                                  char *text_msg, size_t size)
{
    civic_rules *r = NULL;
    civic_error err = CIVIC_ERROR_INIT;
    char path[] = "/tmp/civic-rules-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, len, f), len);
    fclose(f);
    assert_int_equal(civic_rules_load_file(&r, path, NULL, &err), CIVIC_E_SYNTAX);
    unlink(path);
    assert_null(r);
    snprintf(file_msg, size, "%s", err.message);
    assert_int_equal(civic_rules_parse(&r, text, len, NULL, &err), CIVIC_E_SYNTAX);
    assert_null(r);
    snprintf(text_msg, size, "%s", err.message);
}

/* A NUL byte where a key, a value or a line's end is read is named, at its
 * own line and column (it was "expected a string, number, true or false" at
 * the value before it, or "malformed number"); a buffer's last byte, a
 * caller's strlen(text) + 1, says so.  Columns counted by hand. */
static void a_nul_byte_is_named_at_its_line_and_column(void **state)
{
    (void)state;
#define NUL_G "[[grade]]\nname = \"A\"\n[rule.a]\n"
    static const struct { const char *text; size_t len; const char *where; } cases[] = {
        { NUL_G "freeze = true\0\n", sizeof(NUL_G "freeze = true\0\n") - 1, "line 4, column 14" },
        { NUL_G "points = 1\0\n", sizeof(NUL_G "points = 1\0\n") - 1, "line 4, column 11" },
        { NUL_G "valid = 1\0\n", sizeof(NUL_G "valid = 1\0\n") - 1, "line 4, column 10" },
        { NUL_G "freeze = 1\0\n", sizeof(NUL_G "freeze = 1\0\n") - 1, "line 4, column 11" },
        { NUL_G "points = 1.5\0\n", sizeof(NUL_G "points = 1.5\0\n") - 1, "line 4, column 13" },
        { NUL_G "flag = \"x\"\0\n", sizeof(NUL_G "flag = \"x\"\0\n") - 1, "line 4, column 11" },
        { NUL_G "points = 1 \0\n", sizeof(NUL_G "points = 1 \0\n") - 1, "line 4, column 12" },
        { NUL_G "\0points = 1\n", sizeof(NUL_G "\0points = 1\n") - 1, "line 4, column 1" },
        { NUL_G "  \0\n", sizeof(NUL_G "  \0\n") - 1, "line 4, column 3" },
        { NUL_G "points\0= 1\n", sizeof(NUL_G "points\0= 1\n") - 1, "line 4, column 7" },
        { NUL_G "points = \0\n", sizeof(NUL_G "points = \0\n") - 1, "line 4, column 10" },
        { "[[grade]]\0\nname = \"A\"\n", sizeof("[[grade]]\0\nname = \"A\"\n") - 1,
          "line 1, column 10" },
        { "[[grade\0]]\nname = \"A\"\n", sizeof("[[grade\0]]\nname = \"A\"\n") - 1,
          "line 1, column 8" },
        { NUL_G "[rule.b\0]\n", sizeof(NUL_G "[rule.b\0]\n") - 1, "line 4, column 8" },
    };
    char file_msg[300], text_msg[300], want[300];
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        rules_errors_of_bytes(cases[k].text, cases[k].len, file_msg, text_msg, sizeof(file_msg));
        snprintf(want, sizeof(want), "%s: a NUL byte in the rules text", cases[k].where);
        assert_string_equal(file_msg, want);
        assert_string_equal(text_msg, want);
        /* without the line end after it, the NUL is the text's last byte:
         * a file says what it is, a buffer why it is there */
        rules_errors_of_bytes(cases[k].text, cases[k].len - 1, file_msg, text_msg,
                              sizeof(file_msg));
        if (cases[k].text[cases[k].len - 2] != '\0') continue;
        assert_string_equal(file_msg, want);
        snprintf(want, sizeof(want), "%s: a NUL byte (a length of strlen(text) + 1 takes in the "
                 "terminating NUL)", cases[k].where);
        assert_string_equal(text_msg, want);
    }
    /* another control byte after a value is the text after it, at that byte */
    an_error_names_line_and_column(rules_error(NUL_G "freeze = true\x01\n", CIVIC_E_SYNTAX), 4,
                                   14, "unexpected text after the value");
    an_error_names_line_and_column(rules_error(NUL_G "points = 1\x01\n", CIVIC_E_SYNTAX), 4,
                                   11, "unexpected text after the value");
    /* a word cut short by one is no word to quote */
    civic_error e = rules_error(NUL_G "cap_period = wee\x01k\n", CIVIC_E_SYNTAX);
    an_error_names_line_and_column(e, 4, 14, "expected a string, number, true or false");
    assert_null(strstr(e.message, "quotes"));
    e = rules_error(NUL_G "valid = 1\x01y\n", CIVIC_E_SYNTAX);
    an_error_names_line_and_column(e, 4, 10, "unexpected text after the value");
#undef NUL_G
}

/* A file that is not text says what it is at once: "expected a key" at line
 * 1 would send its reader looking for a typo. */
static void a_compressed_utf16_or_utf32_rules_file_says_what_it_is(void **state)
{
    (void)state;
    static const struct { const char *bytes; size_t len; const char *what; } cases[] = {
        { "\x1f\x8b\x08\x00\x00\x00", 6, "not a rules file: gzip-compressed data" },
        { "CIVICSNP\x02\x00\x00\x00", 12, "not a rules file: a libcivic snapshot" },
        { "CIVICJNL\x02\x00\x00\x00", 12, "not a rules file: a libcivic journal" },
        { "\xff\xfe[\0s\0", 6, "not a rules file: UTF-16 text" },
        { "\xfe\xff\0[\0s", 6, "not a rules file: UTF-16 text" },
        { "[\0s\0c\0", 6, "not a rules file: UTF-16 text" },        /* no byte order mark */
        { "\0[\0s\0c", 6, "not a rules file: UTF-16 text" },
        { "BZh91AY&SY\x01", 11, "not a rules file: bzip2-compressed data" },
        { "PK\x03\x04\x14\0", 6, "not a rules file: a zip archive" },
        { "\x28\xb5\x2f\xfd\0\0", 6, "not a rules file: zstd-compressed data" },
        /* UTF-32, with a byte order mark (FF FE 00 00 is no UTF-16) or without */
        { "\xff\xfe\0\0[\0\0\0", 8, "not a rules file: UTF-32 text (save it as UTF-8: "
                                    "iconv -f UTF-32 -t UTF-8)" },
        { "\0\0\xfe\xff\0\0\0[", 8, "not a rules file: UTF-32 text" },
        { "[\0\0\0[\0\0\0", 8, "not a rules file: UTF-32 text" },
        { "\0\0\0[\0\0\0[", 8, "not a rules file: UTF-32 text" },
    };
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        civic_rules *r = NULL;
        civic_error err = CIVIC_ERROR_INIT;
        assert_int_equal(civic_rules_parse(&r, cases[k].bytes, cases[k].len, NULL, &err),
                         CIVIC_E_SYNTAX);
        an_error_names_line_and_column(err, 1, 1, cases[k].what);
        assert_null(r);
    }
    /* text that merely begins like one is read as text */
    an_error_names_line_and_column(rules_error("BZh = 1\n", CIVIC_E_RULES), 1, 1, "unknown key");
    {   /* a stray NUL is the parser's to name, not taken for UTF-16 */
        civic_rules *r = NULL;
        civic_error err = CIVIC_ERROR_INIT;
        assert_int_equal(civic_rules_parse(&r, "\n\0", 2, NULL, &err), CIVIC_E_SYNTAX);
        assert_null(strstr(err.message, "UTF-16"));
        assert_int_equal(err.line, 2);
    }
}

/* An event log given where the rules go (the two swapped) says so, after
 * the parser's own words, which keep their code, line and column. */
static void an_event_log_given_as_rules_says_it_is_one(void **state)
{
    (void)state;
    static const char csv[] = "its first line is a CSV header naming id, subject, type and ts";
    static const char json[] = "its first line is a JSON object";
    static const struct { const char *text; uint64_t line; uint32_t column; const char *what,
                          *why; } cases[] = {
        { "id,subject,type,ts,qty\ne1,s1,fine,2022-01-01,\n", 1, 3,
          "expected '=' after the key", csv },
        { "\xef\xbb\xbf" "ID, Subject ,\"type\",TS\r\n", 1, 3, "expected '=' after the key", csv },
        { "\n\nts,id,subject,type\n", 3, 3, "expected '=' after the key", csv },
        { "{\"id\":\"a1\",\"subject\":\"s1\",\"type\":\"vol\",\"ts\":\"2022-01-01\"}\n", 1, 1,
          "expected a key, a [table] or a comment", json },
    };
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        civic_rules *r = NULL;
        civic_error err = CIVIC_ERROR_INIT;
        assert_int_equal(civic_rules_parse(&r, cases[k].text, strlen(cases[k].text), NULL, &err),
                         CIVIC_E_SYNTAX);
        assert_null(r);
        an_error_names_line_and_column(err, cases[k].line, cases[k].column, cases[k].what);
        char want[200];
        snprintf(want, sizeof(want), "; not a rules file: an event log (%s)", cases[k].why);
        const char *at = strstr(err.message, want);
        assert_non_null(at);
        assert_string_equal(at, want); /* last, and once */
    }
    /* JSON is a log only when its first object holds an event's keys (id,
     * subject and type or ts): any other is a JSON document, rules written
     * in JSON (an object without them, pretty-printed or empty, a lone '['),
     * named after the parser's words at line 1, column 1 */
    static const char doc[] = "; not a rules file: a JSON document (rules are written in TOML; "
                              "see the manual's rules chapter)";
    /* a lone [] or [ ] is an empty table header, not JSON */
    static const char *const empty[] = { "[]\n" TEST_GRADES, "[ ]\n" TEST_GRADES, "[]",
                                         "  [\t]  \n" TEST_GRADES, "[] # x\n" TEST_GRADES };
    for (size_t k = 0; k < sizeof(empty) / sizeof(empty[0]); k++) {
        civic_error e = rules_error(empty[k], CIVIC_E_SYNTAX);
        if (!strstr(e.message, "empty table header") || strstr(e.message, "not a rules file"))
            fprintf(stderr, "got %s\n", e.message);
        assert_non_null(strstr(e.message, "empty table header"));
        assert_null(strstr(e.message, "not a rules file"));
    }
    static const char array[] = "; not a rules file: an event log (a JSON array of objects)";
    static const struct { const char *text, *want; int code; } json_cases[] = {
        { "{\"scheme\": {\"base\": 100}, \"grade\": [{\"name\": \"A\"}]}\n", doc, CIVIC_E_SYNTAX },
        { "{}\n", doc, CIVIC_E_SYNTAX },
        { "{\"base\": 100}\n", doc, CIVIC_E_SYNTAX },
        { "{\n  \"scheme\": {\"base\": 100}\n}\n", doc, CIVIC_E_SYNTAX },
        { "{\n  \"id\": \"a1\", \"subject\": \"s1\", \"type\": \"vol\"\n}\n", doc, CIVIC_E_SYNTAX },
        { "{\"id\": \"a1\", \"type\": \"vol\"}\n", doc, CIVIC_E_SYNTAX },
        { "[\n  1, 2\n]\n", doc, CIVIC_E_SYNTAX },
        { "[ {\"name\": \"A\"} ]\n", doc, CIVIC_E_SYNTAX },
        { "{\"subject\":\"s1\", \"id\" : \"a1\",\"ts\":1}\n", "; not a rules file: an event log "
                                                             "(its first line is a JSON object)", CIVIC_E_SYNTAX },
        { "[{\"id\":\"a1\",\"subject\":\"s1\",\"type\":\"vol\"}]\n", array, CIVIC_E_RULES },
        { "[\n  {\n    \"id\": \"a1\",\n    \"subject\": \"s1\",\n    \"ts\": 1\n  }\n]\n", array, CIVIC_E_SYNTAX },
    };
    for (size_t k = 0; k < sizeof(json_cases) / sizeof(json_cases[0]); k++) {
        civic_rules *r = NULL;
        civic_error err = CIVIC_ERROR_INIT;
        assert_int_equal(civic_rules_parse(&r, json_cases[k].text, strlen(json_cases[k].text),
                                           NULL, &err), json_cases[k].code);
        /* the parser's words too long to take these after them give way */
        const char *want = json_cases[k].code == CIVIC_E_RULES ? json_cases[k].want + 2
                                                               : json_cases[k].want;
        const char *at = strstr(err.message, want);
        if (!at || strcmp(at, want) != 0 || err.line != 1)
            fprintf(stderr, "%s: got %llu:%u %s\n", json_cases[k].text,
                    (unsigned long long)err.line, err.column, err.message);
        assert_int_equal(err.line, 1);
        assert_non_null(at);
        assert_string_equal(at, want); /* last, and once */
        if (json_cases[k].code == CIVIC_E_RULES)
            assert_int_equal(at - err.message, strlen("line 1, column 2: "));
    }
    /* a key that is one of those names, or a header naming fewer, is no log */
    const char *no_log[] = { "id,subject,type\n", "id = 1\n", "{ id = 1 }\n", "[id,subject]\n",
                             "[scheme]\nid,subject,type,ts\n", "[{scheme]\nbase = 1\n",
                             "[[grade]\n" };
    for (size_t k = 0; k < sizeof(no_log) / sizeof(no_log[0]); k++) {
        civic_rules *r = NULL;
        civic_error err = CIVIC_ERROR_INIT;
        assert_int_not_equal(civic_rules_parse(&r, no_log[k], strlen(no_log[k]), NULL, &err),
                             CIVIC_OK);
        assert_null(strstr(err.message, "event log"));
        assert_null(strstr(err.message, "JSON"));
    }
}

static void load_time_checks_fail_clearly(void **state)
{
    (void)state;
    /* at least one grade */
    civic_error e = rules_error("[scheme]\nbase = 1\n", CIVIC_E_RULES);
    assert_non_null(strstr(e.message, "no [[grade]]"));
    /* grade mins strictly decreasing: the second min (line 6, column 7) */
    an_error_names_line_and_column(
        rules_error("[[grade]]\nname = \"a\"\nmin = 10\n[[grade]]\nname = \"b\"\nmin = 10\n"
                    "[[grade]]\nname = \"c\"\n", CIVIC_E_RULES), 6, 7, "strictly decreasing");
    /* only the last grade may omit min */
    an_error_names_line_and_column(
        rules_error("[[grade]]\nname = \"a\"\n[[grade]]\nname = \"b\"\n", CIVIC_E_RULES), 1, 3,
        "only the last grade");
    /* min <= base <= max */
    an_error_names_line_and_column(
        rules_error("[scheme]\nbase = 5\nmin = 10\n" TEST_GRADES, CIVIC_E_RULES), 2, 8, "below");
    an_error_names_line_and_column(
        rules_error("[scheme]\nbase = 50\nmax = 10\n" TEST_GRADES, CIVIC_E_RULES), 2, 8, "above");
    an_error_names_line_and_column(
        rules_error("[scheme]\nmin = 10\nmax = 5\nbase = 7\n" TEST_GRADES, CIVIC_E_RULES), 3, 7,
        "below scheme min");
    /* a ceiling within the bounds (TEST_GRADES is 17 lines) */
    an_error_names_line_and_column(
        rules_error("[scheme]\nmin = 0\nmax = 2000\nbase = 1000\n" TEST_GRADES
                    "[rule.a]\nceiling = 2001\n", CIVIC_E_RULES), 23, 11, "ceiling");
    /* cap_period with cap, both ways */
    an_error_names_line_and_column(rules_error(TEST_GRADES "[rule.a]\ncap = 5\n", CIVIC_E_RULES),
                                   19, 7, "needs 'cap_period'");
    an_error_names_line_and_column(
        rules_error(TEST_GRADES "[rule.a]\ncap_period = \"day\"\n", CIVIC_E_RULES), 19, 14,
        "without 'cap'");
    /* every cap_group defined */
    an_error_names_line_and_column(
        rules_error(TEST_GRADES "[rule.a]\ncap_group = \"nope\"\n", CIVIC_E_RULES), 19, 13,
        "names no [cap");
    /* decimals with at most 2 places */
    an_error_names_line_and_column(rules_error(TEST_GRADES "[rule.a]\npoints = 1.234\n",
                                               CIVIC_E_RULES), 19, 10, "at most 2 places");
    /* no duplicate rule, grade or key */
    an_error_names_line_and_column(rules_error(TEST_GRADES "[rule.a]\n[rule.a]\n", CIVIC_E_RULES),
                                   19, 2, "duplicate rule 'a' (first at line 18)");
    an_error_names_line_and_column(
        rules_error("[[grade]]\nname = \"x\"\nmin = 2\n[[grade]]\nname = \"x\"\n", CIVIC_E_RULES), 5,
        8, "duplicate grade name 'x' (first at line 1)");
    an_error_names_line_and_column(
        rules_error("[cap.c]\nlimit = 1\nperiod = \"day\"\n\n[cap.c]\n", CIVIC_E_RULES), 5, 2,
        "duplicate cap 'c' (first at line 1)");
    an_error_names_line_and_column(
        rules_error(TEST_GRADES "[rule.a]\npoints = 1\npoints = 2\n", CIVIC_E_RULES), 20, 1,
        "duplicate key 'points' (first at line 19)");
    an_error_names_line_and_column(rules_error("[scheme]\nbase = 1\n\nbase = 2\n" TEST_GRADES,
                                               CIVIC_E_RULES),
                                   4, 1, "duplicate key 'base' (first at line 2)");
    an_error_names_line_and_column(rules_error("[[grade]]\nname = \"a\"\nname = \"b\"\n",
                                               CIVIC_E_RULES),
                                   3, 1, "duplicate key 'name' (first at line 2)");
    an_error_names_line_and_column(rules_error("[scheme]\n[scheme]\n", CIVIC_E_RULES), 2, 2,
                                   "duplicate [scheme] table (first at line 1)");
    an_error_names_line_and_column(rules_error("# x\n[scheme]\nbase = 1\n[scheme]\n",
                                               CIVIC_E_RULES),
                                   4, 2, "duplicate [scheme] table (first at line 2)");
}

/* A bound that the default base (0) is outside: said at the bound, with the
 * default named (the file sets no base to look at) */
static void a_bound_beyond_the_default_base_names_the_default(void **state)
{
    (void)state;
    assert_string_equal(rules_error("[scheme]\nmin = 10\n" TEST_GRADES, CIVIC_E_RULES).message,
                        "line 2, column 7: scheme base is below scheme min (base defaults to 0: "
                        "set base under [scheme])");
    assert_string_equal(rules_error("[scheme]\nmax = -5\n" TEST_GRADES, CIVIC_E_RULES).message,
                        "line 2, column 7: scheme base is above scheme max (base defaults to 0: "
                        "set base under [scheme])");
    /* a base of the file's own: as before */
    assert_string_equal(rules_error("[scheme]\nbase = 5\nmin = 10\n" TEST_GRADES, CIVIC_E_RULES)
                            .message,
                        "line 2, column 8: scheme base is below scheme min");
}

/* A table header in another encoding than UTF-8 (a Latin-1 é): named at
 * the byte, not as the characters a code takes */
static void a_table_header_not_utf8_is_named_at_the_byte(void **state)
{
    (void)state;
    static const char why[] = "table header is not valid UTF-8 (Latin-1 text? convert it with "
                              "iconv -f WINDOWS-1252 -t UTF-8)";
    char want[200];
    snprintf(want, sizeof(want), "line 1, column 10: %s", why);
    assert_string_equal(rules_error("[rule.caf\xe9]\npoints = 1\n", CIVIC_E_SYNTAX).message, want);
    snprintf(want, sizeof(want), "line 1, column 11: %s", why);
    assert_string_equal(rules_error("[rule.\"caf\xe9\"]\npoints = 1\n", CIVIC_E_SYNTAX).message,
                        want);
    snprintf(want, sizeof(want), "line 1, column 5: %s", why);
    assert_string_equal(rules_error("[sch\xe9me]\n", CIVIC_E_SYNTAX).message, want);
    snprintf(want, sizeof(want), "line 1, column 11: %s", why);
    assert_string_equal(rules_error("[[tier.caf\xe9.level]]\n", CIVIC_E_SYNTAX).message, want);
    /* UTF-8 that is not ASCII keeps its own message */
    an_error_names_line_and_column(rules_error("[rule.caf\xc3\xa9]\npoints = 1\n",
                                               CIVIC_E_RULES),
                                   1, 2, "(U+00E9 is not ASCII");
}

static void values_are_checked_for_type_and_range(void **state)
{
    (void)state;
    an_error_names_line_and_column(rules_error(TEST_GRADES "[rule.a]\npoints = \"5\"\n",
                                               CIVIC_E_RULES), 19, 10, "must be a number");
    an_error_names_line_and_column(rules_error(TEST_GRADES "[rule.a]\nper = \"hour\"\n",
                                               CIVIC_E_RULES), 19, 7, "\"event\", \"unit\"");
    an_error_names_line_and_column(rules_error(TEST_GRADES "[rule.a]\nvalid = \"3w\"\n",
                                               CIVIC_E_RULES), 19, 9, "'valid'");
    an_error_names_line_and_column(rules_error(TEST_GRADES "[rule.a]\nvalid = \"0d\"\n",
                                               CIVIC_E_RULES), 19, 9, "'valid'");
    an_error_names_line_and_column(rules_error("[scheme]\nutc_offset = \"+8\"\n", CIVIC_E_RULES),
                                   2, 14, "'utc_offset' must be \"+HH:MM\", \"-HH:MM\" or \"Z\"");
    an_error_names_line_and_column(rules_error("[scheme]\nutc_offset = \"+24:00\"\n", CIVIC_E_RULES),
                                   2, 14, "'utc_offset' out of range (-23:59..+23:59)");
    an_error_names_line_and_column(rules_error("[scheme]\nutc_offset = \"+05:60\"\n", CIVIC_E_RULES),
                                   2, 14, "'utc_offset': minutes out of range (00..59)");
    an_error_names_line_and_column(rules_error("[scheme]\nclamp = \"soft\"\n", CIVIC_E_RULES), 2, 9,
                                   "clamp");
    an_error_names_line_and_column(rules_error("[scheme]\nbalance_reset = \"week\"\n",
                                               CIVIC_E_RULES), 2, 17, "balance_reset");
    an_error_names_line_and_column(rules_error(TEST_GRADES "[rule.a]\nrepeat_factor = 0\n",
                                               CIVIC_E_RULES), 19, 17, "positive");
    /* a repeat of 1e12 points x 100000 could never be scored: refused here,
     * not by the first event that gives a qty; x 10000 (1e16) still fits */
    an_error_names_line_and_column(rules_error(TEST_GRADES "[rule.a]\npoints = 1000000000000\n"
                                               "repeat_factor = 100000\n", CIVIC_E_RULES),
                                   20, 17, "'points' x 'repeat_factor' is too large");
    civic_rules_free(rules_from(TEST_GRADES "[rule.a]\npoints = -1000000000000\n"
                                "repeat_factor = 10000\n"));
    an_error_names_line_and_column(rules_error(TEST_GRADES "[rule.a]\nflag = \"a;b\"\n",
                                               CIVIC_E_RULES), 19, 8, "';'");
    an_error_names_line_and_column(rules_error(TEST_GRADES "[rule.Bad]\n", CIVIC_E_RULES), 18, 2,
                                   "rule codes");
    an_error_names_line_and_column(rules_error(TEST_GRADES "[rule.redeem]\n", CIVIC_E_RULES), 18, 2,
                                   "reserved");
    /* a 1.0 file's rule named as a type 1.1 built in: why, and the way out
     * (rename the rule, and its events' type), which taken loads */
    assert_string_equal(rules_error("[[grade]]\nname = \"A\"\n[rule.correct]\npoints = 2\n",
                                    CIVIC_E_RULES).message,
                        "line 3, column 2: rule codes revoke, repair, redeem, object, dismiss and "
                        "correct are reserved ('correct' is a built-in event type since libcivic "
                        "1.1: rename the rule, as [rule.correct_x] or a name of your own, and its "
                        "events' type with it)");
    assert_string_equal(rules_error("[[grade]]\nname = \"A\"\n[rule.object]\n",
                                    CIVIC_E_RULES).message,
                        "line 3, column 2: rule codes revoke, repair, redeem, object, dismiss and "
                        "correct are reserved ('object' is a built-in event type since libcivic "
                        "1.1: rename the rule, as [rule.object_x] or a name of your own, and its "
                        "events' type with it)");
    /* 1.0 reserved these already: no "since" */
    assert_string_equal(rules_error("[[grade]]\nname = \"A\"\n[rule.revoke]\n",
                                    CIVIC_E_RULES).message,
                        "line 3, column 2: rule codes revoke, repair, redeem, object, dismiss and "
                        "correct are reserved ('revoke' is a built-in event type: rename the "
                        "rule, as [rule.revoke_x] or a name of your own, and its events' type "
                        "with it)");
    {
        civic_rules *r = rules_from("[[grade]]\nname = \"A\"\n[rule.correct_x]\npoints = 2\n");
        assert_int_equal(civic_rules_spec_version(r), 1);
        civic_rules_free(r);
    }
    an_error_names_line_and_column(rules_error(TEST_GRADES "[cap.g]\nlimit = 1\n", CIVIC_E_RULES),
                                   18, 2, "without 'period'");
    an_error_names_line_and_column(rules_error(TEST_GRADES "[rule.a]\npoints = 1000000000001\n",
                                               CIVIC_E_LIMIT), 19, 10, "at most 1000000000000");
    an_error_names_line_and_column(rules_error(TEST_GRADES "[rule.a]\npoints = true\n",
                                               CIVIC_E_RULES), 19, 10, "must be a number");
}

static void the_fingerprint_ignores_comments_and_key_order(void **state)
{
    (void)state;
    civic_rules *a = rules_from(TEST_SCHEME "[rule.x]\npoints = 1\nvalid = \"1y\"\n");
    civic_rules *b = rules_from("# other layout\n" TEST_SCHEME
                                "[rule.x]\nvalid = \"1y\" # same\npoints = 1.00\n");
    civic_rules *c = rules_from(TEST_SCHEME "[rule.x]\npoints = 2\nvalid = \"1y\"\n");
    assert_true(civic_rules_fingerprint(a) == civic_rules_fingerprint(b));
    assert_true(civic_rules_fingerprint(a) != civic_rules_fingerprint(c));
    civic_rules_free(a);
    civic_rules_free(b);
    civic_rules_free(c);
}

static void timestamps_parse_in_every_form(void **state)
{
    (void)state;
    civic_rules *r = rules_from(TEST_SCHEME);
    struct { const char *text; int64_t want; } ok[] = {
        { "2022-03-01", 1646064000 },                  /* local midnight at +08:00 */
        { "2022-03-01T00:00:00", 1646064000 },
        { "2022-03-01T08:00:00Z", 1646121600 },
        { "2022-03-01T08:00:00.999Z", 1646121600 },    /* fraction ignored */
        { "2022-03-01T03:00:00-05:00", 1646121600 },
        { "2022-03-01 16:00:00+08:00", 1646121600 },
        { "1646121600", 1646121600 },
        { "-1", -1 },
        { "0001-01-01T00:00:00Z", CIVIC_TIME_MIN },
        { "9999-12-31T23:59:59Z", CIVIC_TIME_MAX },
        { "2024-02-29", 1709136000 },
    };
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        int64_t t = 0;
        assert_int_equal(civic_rules_parse_time(r, ok[i].text, strlen(ok[i].text), &t), CIVIC_OK);
        assert_int_equal(t, ok[i].want);
    }
    const char *bad[] = { "", "2022-3-1", "2022-02-30", "2023-02-29", "2022-13-01",
                          "2022-03-01T24:00:00", "2022-03-01T10:00", "2022-03-01T10:00:00+8",
                          "2022-03-01X", "12a", "2022-03-01T10:00:60", "2022-03-01T10:00:00.Z" };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int64_t t = 0;
        assert_int_equal(civic_rules_parse_time(r, bad[i], strlen(bad[i]), &t), CIVIC_E_EVENT);
    }
    const char *too_far[] = { "0000-01-01", "253402300800", "-62135596801" };
    for (size_t i = 0; i < sizeof(too_far) / sizeof(too_far[0]); i++) {
        int64_t t = 0;
        assert_int_equal(civic_rules_parse_time(r, too_far[i], strlen(too_far[i]), &t), CIVIC_E_LIMIT);
    }
    char buf[32];
    assert_int_equal(civic_rules_format_time(r, 1646121600, buf, sizeof(buf)), CIVIC_OK);
    assert_string_equal(buf, "2022-03-01T16:00:00+08:00");
    assert_int_equal(civic_rules_format_time(r, 0, buf, 10), CIVIC_E_INVALID);
    civic_rules_free(r);
}

static void rules_files_load_from_disk_with_clear_io_errors(void **state)
{
    (void)state;
    civic_rules *r = NULL;
    civic_error err = CIVIC_ERROR_INIT;
    assert_int_equal(civic_rules_load_file(&r, "lib/default_rules.toml", NULL, &err), CIVIC_OK);
    assert_string_equal(civic_rules_name(r), "community");
    civic_rules_free(r);
    assert_int_equal(civic_rules_load_file(&r, "no/such/file.toml", NULL, &err), CIVIC_E_IO);
    assert_null(r);
    assert_non_null(strstr(err.message, "no/such/file.toml"));
    assert_int_equal(civic_rules_parse(NULL, "", 0, NULL, &err), CIVIC_E_INVALID);
    /* The header says reserved is zero: whatever the caller left there,
     * a filled error and a cleared one both say so. */
    err.reserved = 0xdeadbeef;
    assert_int_equal(civic_rules_load_file(&r, "no/such/file.toml", NULL, &err), CIVIC_E_IO);
    assert_int_equal(err.reserved, 0);
    err.reserved = 0xdeadbeef;
    assert_int_equal(civic_rules_load_file(&r, "lib/default_rules.toml", NULL, &err), CIVIC_OK);
    assert_int_equal(err.reserved, 0);
    assert_int_equal(err.code, 0);
    civic_rules_free(r);
    /* A file has no length of strlen(text) + 1: no C caller's hint for one
     * that ends in a NUL (every UTF-16LE file does), which a buffer gets. */
    static const struct { const char *bytes; size_t len; const char *what; } ends_in_nul[] = {
        { "\xff\xfe[\0[\0g\0", 8, "line 1, column 1: not a rules file: UTF-16 text (save it "
                                   "as UTF-8: iconv -f UTF-16 -t UTF-8)" },
        { "[\0\0\0[\0\0\0", 8, "line 1, column 1: not a rules file: UTF-32 text (save it as "
                               "UTF-8: iconv -f UTF-32 -t UTF-8)" },
        { "\x1f\x8b\x08\x00\x00\x00", 6, "line 1, column 1: not a rules file: gzip-compressed "
                                       "data (decompress it first)" },
        { "[[grade]]\nname = \"A\"\n\0", 22,
          "line 3, column 1: a NUL byte in the rules text" },
        { "[[grade]]\nnam = \"A\"\n\0", 21, "line 2, column 1: unknown key 'nam' in [[grade]] "
                                          "(did you mean 'name'?)" },
    };
    for (size_t k = 0; k < sizeof(ends_in_nul) / sizeof(ends_in_nul[0]); k++) {
        char path[] = "/tmp/civic-rules-XXXXXX";
        int fd = mkstemp(path);
        assert_true(fd >= 0);
        FILE *f = fdopen(fd, "wb");
        assert_non_null(f);
        assert_int_equal(fwrite(ends_in_nul[k].bytes, 1, ends_in_nul[k].len, f),
                         ends_in_nul[k].len);
        fclose(f);
        assert_int_equal(civic_rules_load_file(&r, path, NULL, &err),
                         k < 4 ? CIVIC_E_SYNTAX : CIVIC_E_RULES);
        unlink(path);
        assert_null(r);
        assert_string_equal(err.message, ends_in_nul[k].what);
        /* the same bytes as a buffer: the hint where the last NUL is the
         * text's only one (UTF-16, UTF-32 and gzip data hold others: their
         * last NUL is no caller's strlen(text) + 1) */
        assert_int_equal(civic_rules_parse(&r, ends_in_nul[k].bytes, ends_in_nul[k].len, NULL,
                                           &err), k < 4 ? CIVIC_E_SYNTAX : CIVIC_E_RULES);
        if (k < 3) assert_string_equal(err.message, ends_in_nul[k].what);
        else assert_non_null(strstr(err.message, "strlen(text) + 1"));
    }
}

/* A misspelt key names the key it most likely is: one edit away (a swap of
 * neighbours is one), two for keys of six bytes or more, any case; the first
 * of the nearest; nothing when none is that near. */
static void unknown_keys_name_the_likely_key(void **state)
{
    (void)state;
    static const struct { const char *text, *message; } cases[] = {
        { "[scheme]\nbsae = 1\n", "line 2, column 1: unknown key 'bsae' in [scheme] "
                                  "(did you mean 'base'?)" },
        { "[scheme]\nutc_ofset = 1\n", "line 2, column 1: unknown key 'utc_ofset' in [scheme] "
                                       "(did you mean 'utc_offset'?)" },
        { "[scheme]\nUTC_Offset = 1\n", "line 2, column 1: unknown key 'UTC_Offset' in "
                                        "[scheme] (did you mean 'utc_offset'?)" },
        { "[scheme]\nbalance_mni = 1\n", "line 2, column 1: unknown key 'balance_mni' in "
                                         "[scheme] (did you mean 'balance_min'?)" },
        { "[scheme]\nbalance = 1\n", "line 2, column 1: unknown key 'balance' in [scheme]" },
        { "[scheme]\nx = 1\n", "line 2, column 1: unknown key 'x' in [scheme]" },
        { TEST_GRADES "[rule.a]\npionts = 1\n", "line 19, column 1: unknown key 'pionts' in "
                                                "[rule.a] (did you mean 'points'?)" },
        { TEST_GRADES "[rule.a]\ncolour = 1\n", "line 19, column 1: unknown key 'colour' in "
                                                "[rule.a]" },
        /* from and recount are a change's keys: not offered in [rule.X] */
        { TEST_GRADES "[rule.a]\nfrm = 1\n", "line 19, column 1: unknown key 'frm' in [rule.a]" },
        { TEST_GRADES "[rule.a]\npoints = 1\n[[rule.a.change]]\nrecont = true\n",
          "line 21, column 1: unknown key 'recont' in [[rule.a.change]] (did you mean 'recount'?)" },
        { TEST_GRADES "[rule.a]\npoints = 1\n[[rule.a.change]]\nfrmo = \"2024-01-01\"\n",
          "line 21, column 1: unknown key 'frmo' in [[rule.a.change]] (did you mean 'from'?)" },
        { TEST_GRADES "[cap.c]\nlimt = 5\n", "line 19, column 1: unknown key 'limt' in [cap.c] "
                                             "(did you mean 'limit'?)" },
        { TEST_GRADES "[tier.t]\nrule = \"a\"\n", "line 19, column 1: unknown key 'rule' in "
                                                  "[tier.t] (did you mean 'rules'?)" },
        { "[[grade]]\nmni = 1\n", "line 2, column 1: unknown key 'mni' in [[grade]] "
                                  "(did you mean 'min'?)" },
        { "[[grade]]\nmn = 1\n", "line 2, column 1: unknown key 'mn' in [[grade]] "
                                 "(did you mean 'min'?)" },
        /* a key under another table's name for it, or in the wrong table */
        { TEST_GRADES "[cap.c]\nlimit = 5\ncap_mode = \"net\"\n",
          "line 20, column 1: unknown key 'cap_mode' in [cap.c] (did you mean 'mode'?)" },
        { TEST_GRADES "[rule.a]\npoints = 1\nmode = \"net\"\n",
          "line 20, column 1: unknown key 'mode' in [rule.a] (did you mean 'cap_mode'? 'mode' is "
          "a key of [cap.NAME])" },
        /* scheme settings added at the end of the file land in the last
         * rule; a measure's or a tier's keys in a rule; a rule's in [scheme] */
        { TEST_GRADES "[rule.a]\npoints = 1\nbase = 1000\n",
          "line 20, column 1: unknown key 'base' in [rule.a] (a key of [scheme]: write it under "
          "[scheme])" },
        { TEST_GRADES "[rule.a]\npoints = 1\nutc_offset = \"+08:00\"\n",
          "line 20, column 1: unknown key 'utc_offset' in [rule.a] (a key of [scheme]: write it "
          "under [scheme])" },
        { TEST_GRADES "[rule.a]\npoints = 1\n[[rule.a.change]]\nfrom = 1\ncontested = \"mark\"\n",
          "line 22, column 1: unknown key 'contested' in [[rule.a.change]] (a key of [scheme]: write "
          "it under [scheme])" },
        { TEST_GRADES "[rule.a]\npoints = 1\nmin = 0\n",
          "line 20, column 1: unknown key 'min' in [rule.a] (a key of [scheme] or of [[grade]])" },
        { TEST_GRADES "[rule.a]\npoints = 1\ntext = \"x\"\n",
          "line 20, column 1: unknown key 'text' in [rule.a] (a key of [measure.CODE])" },
        { TEST_GRADES "[rule.a]\npoints = 1\nwindow = \"1y\"\n",
          "line 20, column 1: unknown key 'window' in [rule.a] (a key of [tier.NAME])" },
        { "[scheme]\ncategory = \"x\"\n",
          "line 2, column 1: unknown key 'category' in [scheme] (a key of [rule.CODE])" },
        { "[scheme]\ncap = 5\n",
          "line 2, column 1: unknown key 'cap' in [scheme] (a key of [rule.CODE])" },
        { TEST_GRADES "[rule.a]\npoints = 1\nname = \"x\"\n",
          "line 20, column 1: unknown key 'name' in [rule.a] (a rule is named by its code, "
          "[rule.CODE]; 'name' is a key of [scheme] or of [[grade]])" },
        { TEST_GRADES "[rule.a]\npoints = 1\n[[rule.a.change]]\nfrom = \"2024-01-01\"\n"
                      "name = \"x\"\n",
          "line 22, column 1: unknown key 'name' in [[rule.a.change]] (a rule is named by its code, "
          "[rule.CODE]; 'name' is a key of [scheme] or of [[grade]])" },
        { TEST_GRADES "[rule.a]\npoints = 1\nmax = 2000\n",
          "line 20, column 1: unknown key 'max' in [rule.a] (a key of [scheme]: write it under "
          "[scheme])" },
        /* and after a grade: min and name are its own */
        { "[[grade]]\nname = \"A\"\nmax = 2000\n",
          "line 3, column 1: unknown key 'max' in [[grade]] (a key of [scheme]: write it under "
          "[scheme])" },
        { "[[grade]]\nname = \"A\"\nbase = 1000\n",
          "line 3, column 1: unknown key 'base' in [[grade]] (a key of [scheme]: write it under "
          "[scheme])" },
        { "[[grade]]\nname = \"A\"\npoints = 1\n",
          "line 3, column 1: unknown key 'points' in [[grade]]" },
        { TEST_GRADES "[rule.a]\npoints = 1\n[[rule.a.change]]\nfrom = \"2024-01-01\"\n"
                      "period = \"day\"\n",
          "line 22, column 1: unknown key 'period' in [[rule.a.change]] "
          "(did you mean 'cap_period'?)" },
        { TEST_GRADES "[rule.a]\npoints = 1\nbalance_min = 0\n",
          "line 20, column 1: unknown key 'balance_min' in [rule.a] (a key of [scheme])" },
        { "base = 1000\n", "line 1, column 1: unknown key 'base' in [top level] "
                           "(a key of [scheme]: write it under [scheme])" },
        { "points = 1\n", "line 1, column 1: unknown key 'points' in [top level] "
                          "(a key of [rule.CODE]: write it under its rule)" },
        { "zork = 1\n", "line 1, column 1: unknown key 'zork' in [top level]" },
        /* a misspelt [scheme] key above every table: the scheme's keys offered */
        { "bse = 1000\n", "line 1, column 1: unknown key 'bse' in [top level] (did you "
                           "mean 'base'? a key of [scheme]: write it under [scheme])" },
        { "utc_ofset = \"+08:00\"\n",
          "line 1, column 1: unknown key 'utc_ofset' in [top level] (did you mean "
          "'utc_offset'? a key of [scheme]: write it under [scheme])" },
        /* the table named as its header is written: a rule whose code has a
         * dot ([rule.fine.cap] for a cap of rule fine) by that header */
        { TEST_GRADES "[rule.fine]\npoints = -1\n[rule.fine.cap]\nlimit = 5\n",
          "line 21, column 1: unknown key 'limit' in [rule.fine.cap] (did you mean 'cap'?)" },
        { TEST_GRADES "[rule.\"x.y\"]\nlimt = 5\n",
          "line 19, column 1: unknown key 'limt' in [rule.\"x.y\"]" },
        /* a key too long to show whole is cut as every value is: "..." says so */
        { "[scheme]\nkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk"
          "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk = 1\n",
          "line 2, column 1: unknown key 'kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk...' in "
          "[scheme]" },
    };
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        civic_error e = rules_error(cases[k].text, CIVIC_E_RULES);
        assert_string_equal(e.message, cases[k].message);
    }
    /* a table: its first word misspelt, or in the wrong brackets; no guess
     * where the word needs a name it lacks, or [[rule.a]] (a rule or a
     * change?), or nothing is near */
    static const struct { const char *header, *meant; } tables[] = {
        { "[rulle.a]", "[rule.a]" },           { "[Rule.\"a.b\"]", "[rule.\"a.b\"]" },
        { "[grade]", "[[grade]]" },            { "[[grades]]", "[[grade]]" },
        { "[[scheme]]", "[scheme]" },          { "[scheem]", "[scheme]" },
        { "[validity]", "[[validity]]" },      { "[measures.m]", "[measure.m]" },
        { "[[cap.c]]", "[cap.c]" },            { "[[rulle.a.change]]", "[[rule.a.change]]" },
        { "[[tiers.t.level]]", "[[tier.t.level]]" },
        /* TOML's one quoted key: the table it most likely is, bare */
        { "[\"rule.a\"]", "[rule.a]" },          { "[\"tier.t\"]", "[tier.t]" },
        { "[\"cap.x\"]", "[cap.x]" },            { "[\"rulle.a\"]", "[rule.a]" },
        { "[[\"rule.a.change\"]]", "[[rule.a.change]]" },
        { "[\"rule\".a]", "[rule.a]" },          { "[\"rule\".\"a.b\"]", "[rule.\"a.b\"]" },
        { "[rule]", NULL }, { "[[rule.a]]", NULL }, { "[[tier.t]]", NULL }, { "[zzz]", NULL },
        { "[grade.x]", NULL },
        /* nor where the name after the word is no name a header can hold */
        { "[rule\".a\"]", NULL }, { "[Rule.\"a\"b]", NULL }, { "[[\"tier.t\".level]]", NULL },
        { "[rulle.\"a.b\".c]", NULL }, { "[rulle.a\\b]", NULL },
        /* a change or a level is offered in double brackets, whatever was
         * written ([rule.a.change] would be a rule "a.change") */
        { "[\"rule.a.change\"]", "[[rule.a.change]]" },
        { "[\"tier.t.level\"]", "[[tier.t.level]]" },
        { "[Rule.a.change]", "[[rule.a.change]]" }, { "[tiers.t.level]", "[[tier.t.level]]" },
        /* nor where the name is none its table takes: rule codes and cap
         * names are [a-z0-9_.-]{1,64}, tier and measure names [A-Za-z0-9_.-]
         * {1,64}; no blank inside a header */
        { "[\"rule.a b\"]", NULL }, { "[\"rule.A\"]", NULL }, { "[\"Rule.A\"]", NULL },
        { "[rulle.\"a b\"]", NULL }, { "[\"cap.A\"]", NULL }, { "[[rulle.A.change]]", NULL },
        { "[[\"tier.t t.level\"]]", NULL }, { "[\"measure.m-\xc3\xa9\"]", NULL },
        { "[\"tier.T\"]", "[tier.T]" }, { "[measures.M]", "[measure.M]" },
        { "[tiers.T.level]", "[[tier.T.level]]" },
        /* 64 bytes, the most a name holds, and 65 */
        { "[rulle.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa]", "[rule.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa]" },
        { "[rulle.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa]", NULL },
        { "[[rulle.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.change]]", "[[rule.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.change]]" },
        { "[[rulle.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.change]]", NULL },
    };
    for (size_t k = 0; k < sizeof(tables) / sizeof(tables[0]); k++) {
        char text[160], want[320];
        snprintf(text, sizeof(text), "%s\n", tables[k].header);
        civic_error e = rules_error(text, CIVIC_E_RULES);
        if (tables[k].meant) {
            /* a long header is shown cut ("..."), what it offers whole */
            if (strlen(tables[k].header) < 40)
                snprintf(want, sizeof(want), "unknown table %s (did you mean %s?)",
                         tables[k].header, tables[k].meant);
            else
                snprintf(want, sizeof(want), "(did you mean %s?)", tables[k].meant);
            if (!strstr(e.message, want)) fprintf(stderr, "got: %s\n", e.message);
            assert_non_null(strstr(e.message, want));
            /* and what it offers is a header the reader takes as that table */
            snprintf(text, sizeof(text), "%s\n", tables[k].meant);
            civic_rules *r = NULL;
            civic_error e2 = CIVIC_ERROR_INIT;
            int rc = civic_rules_parse(&r, text, strlen(text), NULL, &e2);
            civic_rules_free(r);
            if (rc == CIVIC_E_SYNTAX || strstr(e2.message, "unknown table") ||
                strstr(e2.message, "bad ") || strstr(e2.message, "quoted name") ||
                strstr(e2.message, "blank") || strstr(e2.message, "characters of") ||
                strstr(e2.message, "codes are") || strstr(e2.message, "names are"))
                fail_msg("%s offers %s, which says: %s", tables[k].header, tables[k].meant,
                         e2.message);
        } else {
            if (!strstr(e.message, "(expected [scheme], ")) fprintf(stderr, "got: %s\n", e.message);
            if (strlen(tables[k].header) < 40)
                snprintf(want, sizeof(want), "unknown table %s (expected [scheme], ",
                         tables[k].header);
            else
                snprintf(want, sizeof(want), "%s", "(expected [scheme], "); /* cut */
            assert_non_null(strstr(e.message, want));
        }
    }
}

static void strerror_and_names_cover_every_code(void **state)
{
    (void)state;
    for (int c = CIVIC_DUPLICATE; c >= CIVIC_E_NOTFOUND; c--)
        assert_string_not_equal(civic_strerror(c), "unknown error");
    assert_string_equal(civic_strerror(CIVIC_E_NOTFOUND - 1), "unknown error");
    assert_string_equal(civic_strerror(-99), "unknown error");
    assert_string_equal(civic_state_name(CIVIC_STATE_DANGLING), "dangling");
    assert_string_equal(civic_state_name(CIVIC_STATE_CONTESTED), "contested");
    assert_string_equal(civic_state_name(CIVIC_STATE_MERGED), "merged");
    assert_string_equal(civic_state_name(CIVIC_STATE_PENDING), "pending");
    assert_string_equal(civic_state_name(CIVIC_STATE_PREMATURE), "premature");
    assert_string_equal(civic_state_name(CIVIC_STATE_DISMISSED), "dismissed");
    assert_string_equal(civic_state_name(CIVIC_STATE_LATE), "late");
    assert_null(civic_state_name(CIVIC_STATE_LATE + 1));
    assert_string_equal(civic_kind_name(CIVIC_KIND_REDEEM), "redeem");
    assert_string_equal(civic_kind_name(CIVIC_KIND_OBJECT), "object");
    assert_string_equal(civic_kind_name(CIVIC_KIND_DISMISS), "dismiss");
    assert_string_equal(civic_kind_name(CIVIC_KIND_CORRECT), "correct");
    assert_null(civic_kind_name(CIVIC_KIND_CORRECT + 1));
    assert_string_equal(civic_version(), CIVIC_VERSION);
    assert_int_equal(civic_version_number(), CIVIC_VERSION_NUMBER);
    char buf[24];
    assert_int_equal(civic_format_fixed(-5, 2, buf, sizeof(buf)), CIVIC_OK);
    assert_string_equal(buf, "-0.05");
    assert_int_equal(civic_format_fixed(INT64_MIN, 2, buf, sizeof(buf)), CIVIC_OK);
    assert_string_equal(buf, "-92233720368547758.08");
    assert_int_equal(civic_format_fixed(1500, 3, buf, sizeof(buf)), CIVIC_OK);
    assert_string_equal(buf, "1.500");
    assert_int_equal(civic_format_fixed(7, 0, buf, sizeof(buf)), CIVIC_OK);
    assert_string_equal(buf, "7");
    assert_int_equal(civic_format_fixed(7, 4, buf, sizeof(buf)), CIVIC_E_INVALID);
    assert_string_equal(buf, ""); /* a failure leaves "", never a stale value */
    memcpy(buf, "stale", 6);
    assert_int_equal(civic_format_fixed(123456, 2, buf, 7), CIVIC_E_INVALID); /* "1234.56" */
    assert_string_equal(buf, "");
    assert_int_equal(civic_format_fixed(123456, 2, buf, 8), CIVIC_OK);
    assert_string_equal(buf, "1234.56");
}

/* Timestamps convert like a naive calendar (year by year, month by month)
 * says, whatever order they come in: long runs within one month, jumps
 * across millennia, month and leap-day edges (the library remembers the
 * last month it converted). */
static int naive_days_in_month(int64_t y, int m)
{
    static const int dim[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : dim[m - 1];
}

static void naive_date(int64_t days, int64_t *y, int *m, int *d)
{
    /* days since 1970-01-01, walked from 0001-01-01 */
    int64_t left = days + 719162; /* days from 0001-01-01 to 1970-01-01 */
    int64_t year = 1;
    for (;;) {
        int64_t n = 365 + (naive_days_in_month(year, 2) == 29);
        if (left < n) break;
        left -= n;
        year++;
    }
    int month = 1;
    while (left >= naive_days_in_month(year, month)) left -= naive_days_in_month(year, month++);
    *y = year;
    *m = month;
    *d = (int)left + 1;
}

static void calendar_matches_a_naive_calendar_in_any_order(void **state)
{
    (void)state;
    civic_rules *r = NULL;
    assert_int_equal(civic_rules_default(&r, NULL), CIVIC_OK); /* local time +08:00 */
    uint64_t seed = 99;
    int64_t day = 0;
    for (int i = 0; i < 20000; i++) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        unsigned pick = (unsigned)(seed >> 60);
        if (pick < 8) day += 1;                          /* runs through a month */
        else if (pick < 12) day -= (int64_t)(seed >> 40) % 40; /* back a little */
        else day = (int64_t)((seed >> 20) % 3652000) - 719000; /* anywhere, 0001..9999 */
        if (day < -719162) day = -719162;
        if (day > 2932896) day = 2932896;                 /* 9999-12-31 */
        int64_t y;
        int m, d;
        naive_date(day, &y, &m, &d);
        int64_t t = day * 86400 + 12 * 3600 - 8 * 3600; /* local noon */
        char buf[32], want[64];
        assert_int_equal(civic_rules_format_time(r, t, buf, sizeof(buf)), CIVIC_OK);
        snprintf(want, sizeof(want), "%04lld-%02d-%02dT12:00:00+08:00", (long long)y, m, d);
        assert_string_equal(buf, want);
        snprintf(want, sizeof(want), "%04lld-%02d-%02dT12:00:00", (long long)y, m, d);
        int64_t back = 0;
        assert_int_equal(civic_rules_parse_time(r, want, strlen(want), &back), CIVIC_OK);
        assert_int_equal(back, t);
        if (i % 7 == 0) { /* the last day of the month, then the first of the next */
            snprintf(want, sizeof(want), "%04lld-%02d-%02d", (long long)y, m,
                     naive_days_in_month(y, m));
            assert_int_equal(civic_rules_parse_time(r, want, strlen(want), &back), CIVIC_OK);
            assert_int_equal(back, (day + naive_days_in_month(y, m) - d) * 86400 - 8 * 3600);
        }
    }
    civic_rules_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_built_in_scheme_parses_and_matches_its_text),
        cmocka_unit_test(utf8_grade_names_work),
        cmocka_unit_test(every_documented_key_is_accepted),
        cmocka_unit_test(unknown_tables_and_keys_are_errors),
        cmocka_unit_test(unknown_keys_name_the_likely_key),
        cmocka_unit_test(syntax_errors_name_line_and_column),
        cmocka_unit_test(a_header_slip_says_what_to_write),
        cmocka_unit_test(a_toml_idiom_left_out_says_what_to_write),
        cmocka_unit_test(a_dotted_key_hint_written_as_said_is_accepted),
        cmocka_unit_test(an_offset_of_another_form_is_offered_its_form),
        cmocka_unit_test(a_word_value_hint_done_as_said_is_accepted),
        cmocka_unit_test(an_idiom_hint_is_given_only_where_taken),
        cmocka_unit_test(a_stray_blank_in_a_word_value_is_named),
        cmocka_unit_test(a_word_near_a_choice_is_offered_it),
        cmocka_unit_test(a_control_character_in_a_label_is_quoted_as_written),
        cmocka_unit_test(a_duration_in_words_is_offered_its_form),
        cmocka_unit_test(a_duration_count_may_have_many_leading_zeros),
        cmocka_unit_test(a_lookalike_inside_a_word_value_is_named),
        cmocka_unit_test(a_lone_backslash_in_a_string_is_told_how_to_write_it),
        cmocka_unit_test(a_blank_inside_a_header_name_gives_the_name_without_it),
        cmocka_unit_test(a_word_with_only_its_closing_quote_is_told_to_quote),
        cmocka_unit_test(an_unquoted_value_of_several_words_is_quoted_whole),
        cmocka_unit_test(a_unit_on_a_number_says_to_write_the_number_alone),
        cmocka_unit_test(yes_no_on_off_are_told_to_write_true_or_false),
        cmocka_unit_test(a_number_without_a_leading_digit_or_with_a_loose_sign_says_what_to_write),
        cmocka_unit_test(text_after_a_value_says_what_to_write),
        cmocka_unit_test(a_header_without_its_opening_bracket_is_named),
        cmocka_unit_test(load_time_checks_fail_clearly),
        cmocka_unit_test(values_are_checked_for_type_and_range),
        cmocka_unit_test(the_fingerprint_ignores_comments_and_key_order),
        cmocka_unit_test(timestamps_parse_in_every_form),
        cmocka_unit_test(a_nul_byte_is_named_at_its_line_and_column),
        cmocka_unit_test(a_string_key_starting_with_a_boolean_word_is_told_to_quote_it),
        cmocka_unit_test(a_name_left_unquoted_is_told_to_quote_it),
        cmocka_unit_test(a_bound_beyond_the_default_base_names_the_default),
        cmocka_unit_test(a_table_header_not_utf8_is_named_at_the_byte),
        cmocka_unit_test(a_compressed_utf16_or_utf32_rules_file_says_what_it_is),
        cmocka_unit_test(an_event_log_given_as_rules_says_it_is_one),
        cmocka_unit_test(rules_files_load_from_disk_with_clear_io_errors),
        cmocka_unit_test(strerror_and_names_cover_every_code),
        cmocka_unit_test(calendar_matches_a_naive_calendar_in_any_order),
    };
    return cmocka_run_group_tests_name("rules", tests, NULL, NULL);
}
