/*
** test_load.c -- SPEC section 3: events through the API, CSV and JSON Lines;
** every bad-input class with its line (and column); all-or-nothing batches;
** lenient mode; idempotency.
*/
#include "support.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define RULES TEST_SCHEME "[rule.fine]\npoints = -10\n[rule.hour]\npoints = 1\nper = \"unit\"\n"

static civic_engine *fresh(void) { return engine_from(RULES); }

/* Load must fail with code at line (and column, if not 0); engine unchanged. */
static void load_fails(const char *data, uint32_t format, int code, uint64_t line, uint32_t column,
                       const char *words)
{
    civic_engine *e = fresh();
    load_ok(e, "id,subject,type,ts\nkeep,s,fine,2024-01-01\n");
    civic_load_options opts = CIVIC_LOAD_OPTIONS_INIT;
    civic_load_report rep = CIVIC_LOAD_REPORT_INIT;
    civic_error err = CIVIC_ERROR_INIT;
    opts.format = format;
    int rc = civic_engine_load(e, data, strlen(data), &opts, &rep, &err);
    if (rc != code || err.line != line || (column && err.column != column) ||
        (words && !strstr(err.message, words)))
        fprintf(stderr, "got %d line %llu column %u: %s\n", rc, (unsigned long long)err.line,
                err.column, err.message);
    assert_int_equal(rc, code);
    assert_int_equal(err.code, code);
    assert_int_equal(err.line, line);
    if (column) assert_int_equal(err.column, column);
    if (words) assert_non_null(strstr(err.message, words));
    assert_int_equal(rep.accepted, 0);
    assert_int_equal(rep.rejected, 1);
    /* nothing of the batch was applied */
    assert_int_equal(civic_engine_event_count(e), 1);
    assert_int_equal(civic_engine_subject_count(e), 1);
    civic_engine_free(e);
}

/* The message of a strict load of data (CSV or JSON Lines by its content)
 * that fails, for a check of how it ends. */
static const char *load_message(const char *data)
{
    static char message[sizeof(((civic_error *)0)->message)];
    civic_engine *e = fresh();
    civic_error err = CIVIC_ERROR_INIT;
    assert_int_not_equal(civic_engine_load(e, data, strlen(data), NULL, NULL, &err), CIVIC_OK);
    memcpy(message, err.message, sizeof(message));
    civic_engine_free(e);
    return message;
}

static bool ends_with(const char *s, const char *end)
{
    size_t n = strlen(s), m = strlen(end);
    return n >= m && strcmp(s + n - m, end) == 0;
}

/* A load that must fail under the rules text, at line 1 and column, with words. */
static void load_fails_under(const char *rules, const char *data, uint32_t column,
                             const char *words)
{
    civic_engine *e = engine_from(rules);
    civic_error err = CIVIC_ERROR_INIT;
    civic_load_options opts = CIVIC_LOAD_OPTIONS_INIT;
    opts.format = CIVIC_FORMAT_JSONL;
    assert_int_equal(civic_engine_load(e, data, strlen(data), &opts, NULL, &err), CIVIC_E_SYNTAX);
    assert_int_equal(civic_engine_event_count(e), 0);
    assert_int_equal(err.line, 1);
    assert_int_equal(err.column, column);
    assert_non_null(strstr(err.message, words));
    civic_engine_free(e);
}

static void csv_accepts_quotes_bom_crlf_and_extra_columns(void **state)
{
    (void)state;
    civic_engine *e = fresh();
    const char *csv = "\xEF\xBB\xBF" "ID , Subject,note,type,ts,qty,group\r\n"
                      "\"a,1\",\"s \"\"x\"\"\",\"free, text\nover two lines\",hour,2024-01-01,2.5,\"d,1/s\"\r\n"
                      "\r\n"
                      "b,s2,,fine,1704067200,,\n";
    civic_load_report rep = CIVIC_LOAD_REPORT_INIT;
    civic_error err = CIVIC_ERROR_INIT;
    assert_int_equal(civic_engine_load(e, csv, strlen(csv), NULL, &rep, &err), CIVIC_OK);
    assert_int_equal(rep.accepted, 2);
    assert_int_equal(rep.lines, 5);
    civic_score s = score_at(e, "s \"x\"", "2024-02-01");
    assert_int_equal(s.score, 100250);
    assert_string_equal(s.group, "d,1/s");
    assert_int_equal(score_at(e, "s2", "2024-02-01").score, P(990));
    support_release();
    civic_engine_free(e);
}

/* A bad value is quoted in whole characters, and nothing of it reaches a
 * terminal as a control: C0 and bytes that are not UTF-8 as \xNN, C1 and
 * bidi controls as \uNNNN. */
static void a_quoted_value_is_safe_to_print(void **state)
{
    (void)state;
    const uint32_t csv = CIVIC_FORMAT_CSV;
    char data[512] = "id,subject,type,ts\n";
    for (int i = 0; i < 43; i++) strcat(data, "\xe4\xb8\xad"); /* 129 bytes */
    strcat(data, ",s,fine,2024-01-01\n");
    char want[128] = "\"";
    for (int i = 0; i < 13; i++) strcat(want, "\xe4\xb8\xad"); /* 39 of the 40 bytes shown */
    strcat(want, "...\"");
    load_fails(data, csv, CIVIC_E_LIMIT, 2, 1, want);
    load_fails("id,subject,type,ts\nx,s,fi\xc2\x9bne,2024-01-01\n", csv, CIVIC_E_EVENT, 2, 5,
               "\"fi\\u009bne\"");
    load_fails("id,subject,type,ts\nx,s,fine,2024-01-0\xff" "1\n", csv, CIVIC_E_EVENT, 2, 10,
               "\"2024-01-0\\xff1\"");
    load_fails("id,subject,type,ts\nx,s,f\x1b[31m,2024-01-01\n", csv, CIVIC_E_EVENT, 2, 5,
               "\"f\\x1b[31m\"");
    /* bidi controls (U+202E, U+2066, U+061C, U+200F) too: a terminal showed
     * the rest of the message reversed */
    load_fails("id,subject,type,ts\nx,s,a\xe2\x80\xae" "b\xe2\x81\xa6" "c\xd8\x9c" "d\xe2\x80\x8f,2024-01-01\n",
               csv, CIVIC_E_EVENT, 2, 5, "\"a\\u202eb\\u2066c\\u061cd\\u200f\"");
    /* in its quotes, a quote or a backslash of the value is escaped: the
     * quotes are its bounds ("a"b" read as a value a, then b); U+2028 and
     * U+2029 break a line where text is shown as paragraphs */
    load_fails("id,subject,type,ts\nx,s,\"a\"\"b\\c\",2024-01-01\n", csv, CIVIC_E_EVENT, 2, 5,
               "\"a\\\"b\\\\c\"");
    load_fails("{\"id\":\"x\",\"subject\":\"s\",\"type\":\"a\\\"b\\\\c\",\"ts\":\"2024-01-01\"}\n",
               CIVIC_FORMAT_JSONL, CIVIC_E_EVENT, 1, 32, "\"a\\\"b\\\\c\"");
    load_fails("id,subject,type,ts\nx,s,a\xe2\x80\xa8" "b\xe2\x80\xa9,2024-01-01\n", csv, CIVIC_E_EVENT,
               2, 5, "\"a\\u2028b\\u2029\"");
    /* a value that fits is shown whole: no room kept for a "..." it does not need */
    char ctl[256] = "id,subject,type,ts\nx,s,", shown[128] = "\"";
    for (int i = 0; i < 15; i++) {
        strcat(ctl, "\x01");
        strcat(shown, "\\x01");
    }
    strcat(ctl, ",2024-01-01\n");
    strcat(shown, "\"");
    load_fails(ctl, csv, CIVIC_E_EVENT, 2, 5, shown);
}

/* The reader's errors say what was most likely meant: a type that is a rule
 * code in other letters, with blanks around it, in full-width letters or
 * one or two edits away; a header written with full-width commas; a row of
 * nothing but separators.  Code, line and column stay those of the error. */
static void log_errors_say_what_was_meant(void **state)
{
    (void)state;
    const uint32_t csv = CIVIC_FORMAT_CSV;
    load_fails("id,subject,type,ts\nx,s,Fine,2024-01-01\n", csv, CIVIC_E_EVENT, 2, 5,
               "unknown type (not a rule code, revoke, repair, redeem, object, dismiss or "
               "correct) \"Fine\" (did you mean 'fine'?)");
    load_fails("id,subject,type,ts\nx,s,fien,2024-01-01\n", csv, CIVIC_E_EVENT, 2, 5,
               "\"fien\" (did you mean 'fine'?)");
    load_fails("id,subject,type,ts\nx,s, fine\t,2024-01-01\n", csv, CIVIC_E_EVENT, 2, 5,
               "(did you mean 'fine'?)");
    load_fails("id,subject,type,ts\nx,s,\xef\xbd\x86\xef\xbd\x89\xef\xbd\x8e\xef\xbd\x85,"
               "2024-01-01\n", csv, CIVIC_E_EVENT, 2, 5, "(did you mean 'fine'?)");
    load_fails("{\"id\":\"x\",\"subject\":\"s\",\"type\":\"HOUR \",\"ts\":\"2024-01-01\"}\n",
               CIVIC_FORMAT_JSONL, CIVIC_E_EVENT, 1, 0, "\"HOUR \" (did you mean 'hour'?)");
    load_fails("id,subject,type,ts\nx,s,Revoke,2024-01-01\n", csv, CIVIC_E_EVENT, 2, 5,
               "(did you mean 'revoke'?)");
    /* a look-alike character in a ts or a qty: named, the value shown, and
     * no replacement advised that the field still refuses: a ts keeps the
     * forms it allows (2026-01-05 10:00, with a plain space, is no ts
     * either), a qty says what a qty is (1 000 is no qty, nor is -1) */
#define FORMS "expected YYYY-MM-DD, YYYY-MM-DDTHH:MM:SS[Z|+HH:MM] or Unix seconds)"
#define WIDE "(a full-width character, as an input method for Chinese or Japanese types it: " \
             "write it in ASCII)"
#define QTY_IS "a qty is digits with at most one '.', no spaces)"
    load_fails("id,subject,type,ts\nx,s,fine,2024\xef\xbc\x8d" "01\xef\xbc\x8d" "01\n", csv,
               CIVIC_E_EVENT, 2, 10, "line 2, column 10: field 'ts': bad timestamp \"2024\xef\xbc\x8d"
               "01\xef\xbc\x8d" "01\" (U+FF0D is a full-width character; " FORMS);
    load_fails("id,subject,type,ts\nx,s,fine,2024\xe2\x80\x90" "01\xe2\x80\x90" "01\n", csv,
               CIVIC_E_EVENT, 2, 10, "field 'ts': bad timestamp \"2024\xe2\x80\x90" "01\xe2\x80\x90"
               "01\" (U+2010 is a typographic hyphen; " FORMS);
    load_fails("id,subject,type,ts\nx,s,fine,2026-01-05\xc2\xa0" "10:00\n", csv, CIVIC_E_EVENT, 2,
               10, "field 'ts': bad timestamp \"2026-01-05\xc2\xa0" "10:00\" (U+00A0 is a "
               "no-break space; " FORMS);
    load_fails("id,subject,type,ts,qty\nx,s,fine,2024-01-01,\xef\xbc\x92\n", csv, CIVIC_E_EVENT, 2,
               21, "line 2, column 21: field 'qty': bad qty \"\xef\xbc\x92\" " WIDE);
    load_fails("id,subject,type,ts,qty\nx,s,fine,2024-01-01,1\xc2\xa0\n", csv, CIVIC_E_EVENT, 2,
               21, "field 'qty': bad qty \"1\xc2\xa0\" (U+00A0 is a no-break space: " QTY_IS);
    load_fails("id,subject,type,ts,qty\nx,s,fine,2024-01-01,1\xc2\xa0" "000\n", csv, CIVIC_E_EVENT,
               2, 21, "field 'qty': bad qty \"1\xc2\xa0" "000\" (U+00A0 is a no-break space: "
               QTY_IS);
    load_fails("id,subject,type,ts,qty\nx,s,fine,2024-01-01,1\xe3\x80\x80" "000\n", csv,
               CIVIC_E_EVENT, 2, 21, "(U+3000 is an ideographic space: " QTY_IS);
    load_fails("id,subject,type,ts,qty\nx,s,fine,2024-01-01,\xe2\x88\x92" "1\n", csv,
               CIVIC_E_EVENT, 2, 21, "field 'qty': bad qty \"\xe2\x88\x92" "1\" (U+2212 is a "
               "minus sign only in print: a qty is not negative)");
    load_fails("id,subject,type,ts,qty\nx,s,fine,2024-01-01,\xef\xbc\x8d" "1\n", csv,
               CIVIC_E_EVENT, 2, 21, "(U+FF0D is a full-width character: a qty is not negative)");
    load_fails("id,subject,type,ts,qty\nx,s,fine,2024-01-01,1\xe2\x80\x93" "2\n", csv,
               CIVIC_E_EVENT, 2, 21, "(U+2013 is a dash, not a minus sign: " QTY_IS);
    load_fails("id,subject,type,ts,qty\nx,s,redeem,2024-01-01,\xe2\x88\x92" "5\n", csv,
               CIVIC_E_EVENT, 2, 23, "field 'qty': bad redeem amount \"\xe2\x88\x92" "5\" "
               "(U+2212 is a minus sign only in print: a redeem amount is not negative)");
    load_fails("id,subject,type,ts,qty\nx,s,redeem,2024-01-01,1\xc2\xa0" "000\n", csv,
               CIVIC_E_EVENT, 2, 23, "(U+00A0 is a no-break space: a redeem amount is digits "
               "with at most one '.', no spaces)");
    load_fails("{\"id\":\"x\",\"subject\":\"s\",\"type\":\"fine\",\"ts\":\"2024\xef\xbc\x8d" "01"
               "\xef\xbc\x8d" "01\",\"qty\":1}\n", CIVIC_FORMAT_JSONL, CIVIC_E_EVENT, 1, 0,
               "field 'ts': bad timestamp \"2024\xef\xbc\x8d" "01\xef\xbc\x8d" "01\" (U+FF0D is a "
               "full-width character; " FORMS);
    load_fails("{\"id\":\"x\",\"subject\":\"s\",\"type\":\"fine\",\"ts\":\"2024-01-01\",\"qty\":"
               "\"\xef\xbc\x92\"}\n", CIVIC_FORMAT_JSONL, CIVIC_E_EVENT, 1, 0,
               "field 'qty': bad qty \"\xef\xbc\x92\" " WIDE);
    /* the forms fit in the message with the longest ts (64 bytes) shown */
    load_fails("id,subject,type,ts\nx,s,fine,2026-01-05\xc2\xa0"
               "10:00:00.1111111111111111111111111111111111111+08:00\n", csv, CIVIC_E_EVENT, 2, 10,
               "(U+00A0 is a no-break space; " FORMS);
    /* a database dump's NULL or \N for an empty field */
    load_fails("id,subject,type,ts,qty\nx,s,fine,2024-01-01,NULL\n", csv, CIVIC_E_EVENT, 2, 21,
               "line 2, column 21: field 'qty': bad qty: not a number (a non-negative decimal, "
               "at most 3 places, at most 1000000000000) \"NULL\" (a database's NULL? an empty field is "
               "absent: a qty of 1)");
    load_fails("id,subject,type,ts,qty\nx,s,redeem,2024-01-01,\\N\n", csv, CIVIC_E_EVENT, 2, 23,
               "\"\\\\N\" (a database's NULL? an empty field is absent: a qty of 1)");
    load_fails("{\"id\":\"x\",\"subject\":\"s\",\"type\":\"fine\",\"ts\":\"null\"}\n",
               CIVIC_FORMAT_JSONL, CIVIC_E_EVENT, 1, 0, "field 'ts': bad timestamp (" FORMS
               " \"null\" (a database's NULL? an empty field is absent, and a ts is required)");
    load_fails("id,subject,type,ts\nx,s,fine,\\N\r\n", csv, CIVIC_E_EVENT, 2, 10,
               "(a database's NULL? an empty field is absent, and a ts is required)");
    /* a ts or qty in a locale's form, a ts written otherwise than a form it
     * takes (a blank and a decimal comma were "bad UTC offset"), a qty in
     * scientific notation as a spreadsheet shows a large one: the form named,
     * and what to write */
#define TS_ROW "id,subject,type,ts\nx,s,fine,"
#define QTY_ROW "id,subject,type,ts,qty\nx,s,"
    static const struct { const char *data; uint32_t column; const char *want; } hinted[] = {
        { TS_ROW "01.12.2026\n", 10,
          "line 2, column 10: field 'ts': bad timestamp (" FORMS " \"01.12.2026\" "
          "(day.month.year? write 2026-12-01)" },
        { TS_ROW "6.12.2026 09:30\n", 10,
          "\"6.12.2026 09:30\" (day.month.year? write 2026-12-06T09:30:00)" },
        { TS_ROW "12/06/2026\n", 10,
          "\"12/06/2026\" (day/month/year or month/day/year? write YYYY-MM-DD)" },
        { TS_ROW "2026-12-01 09:00\n", 10,
          "\"2026-12-01 09:00\" (the seconds are required: write 2026-12-01T09:00:00)" },
        { TS_ROW "2026-12-01T09:00+08:00\n", 10,
          "(the seconds are required: write 2026-12-01T09:00:00+08:00)" },
        { TS_ROW "2024-01-01T09:30:00Z \n", 10,
          "line 2, column 10: field 'ts': bad timestamp (" FORMS " \"2024-01-01T09:30:00Z \" "
          "(it ends in a blank: write 2024-01-01T09:30:00Z)" },
        { TS_ROW "2024-01-01 \n", 10, "\"2024-01-01 \" (it ends in a blank: write 2024-01-01)" },
        { TS_ROW "\t2024-01-01T09:30:00\n", 10,
          "(it starts with a blank: write 2024-01-01T09:30:00)" },
        { TS_ROW " 1704067200 \n", 10, "(blanks around it: write 1704067200)" },
        { TS_ROW "\"2024-01-01T09:30:00,5Z\"\n", 10,
          "bad timestamp (" FORMS " \"2024-01-01T09:30:00,5Z\" (a decimal comma? write "
          "2024-01-01T09:30:00.5Z)" },
        { TS_ROW "2024-01-01T09:30:00+0800\n", 10,
          "field 'ts': bad UTC offset (expected Z or +HH:MM) \"2024-01-01T09:30:00+0800\" "
          "(write +08:00)" },
        { TS_ROW "2024-01-01T09:30:00.25-05\n", 10,
          "\"2024-01-01T09:30:00.25-05\" (write -05:00)" },
        /* an offset with seconds of zero, and a zone written UTC or GMT, as
         * some libraries write them; seconds other than zero: no hint */
        { TS_ROW "2024-01-01T09:30:00+08:00:00\n", 10,
          "field 'ts': bad UTC offset (expected Z or +HH:MM) \"2024-01-01T09:30:00+08:00:00\" "
          "(write +08:00)" },
        { TS_ROW "2024-01-01T09:30:00-05:30:00\n", 10, "\"2024-01-01T09:30:00-05:30:00\" (write -05:30)" },
        { TS_ROW "2024-01-01T09:30:00UTC\n", 10, "\"2024-01-01T09:30:00UTC\" (write Z)" },
        { TS_ROW "2024-01-01T09:30:00.5 gmt\n", 10, "\"2024-01-01T09:30:00.5 gmt\" (write Z)" },
        { TS_ROW "2025/03/04\n", 10, "\"2025/03/04\" (year/month/day? write 2025-03-04)" },
        { TS_ROW "2025/3/4 9:30\n", 10,
          "\"2025/3/4 9:30\" (year/month/day? write 2025-03-04T09:30:00)" },
        { TS_ROW "45000.375\n", 10,
          "\"45000.375\" (a spreadsheet's serial date and time? write 2023-03-15T09:00:00)" },
        /* Unix seconds with a fraction, as text: the second it falls in (a
         * negative one's rounds down, as a JSON number's does) */
        { TS_ROW "1741051800.5\n", 10,
          "\"1741051800.5\" (Unix seconds take no fraction: write 1741051800)" },
        { TS_ROW "-1000000000.25\n", 10,
          "\"-1000000000.25\" (Unix seconds take no fraction: write -1000000001)" },
        { TS_ROW "1741051800.000\n", 10, "(Unix seconds take no fraction: write 1741051800)" },
        { TS_ROW "001741051800.5\n", 10, "(Unix seconds take no fraction: write 1741051800)" },
        { TS_ROW "2025\xE5\xB9\xB4" "3\xE6\x9C\x88" "4\xE6\x97\xA5\n", 10,
          "(a date written with \xE5\xB9\xB4, \xE6\x9C\x88 and "
          "\xE6\x97\xA5? write 2025-03-04)" },
        /* several slips at once, a part in one digit, a blank before the
         * offset: the whole ts as the field takes it */
        { TS_ROW "2024-01-01T09:30:00 +08:00\n", 10,
          "bad UTC offset (expected Z or +HH:MM) \"2024-01-01T09:30:00 +08:00\" "
          "(write 2024-01-01T09:30:00+08:00)" },
        { TS_ROW "2024-01-01T09:30:00+0800 \n", 10, "(write 2024-01-01T09:30:00+08:00)" },
        { TS_ROW "2024-01-01T09:30:00-8:00\n", 10, "(write 2024-01-01T09:30:00-08:00)" },
        { TS_ROW "2024-01-01T09:30:00 Z\n", 10, "(write 2024-01-01T09:30:00Z)" },
        { TS_ROW "2024-01-01T9:30:00\n", 10, "\"2024-01-01T9:30:00\" (write 2024-01-01T09:30:00)" },
        { TS_ROW "2024-1-5\n", 10, FORMS " \"2024-1-5\" (write 2024-01-05)" },
        { TS_ROW "2024/1/5 9:30 +530\n", 10, "(write 2024-01-05T09:30:00+05:30)" },
        { TS_ROW "\" 2024-01-01 10:00\"\n", 10, "(write 2024-01-01T10:00:00)" },
        { TS_ROW "2024-01-01T10:00+0800\n", 10, "(write 2024-01-01T10:00:00+08:00)" },
        { TS_ROW "\"2024-01-05T10:00:00,25 +0530\"\n", 10,
          "(write 2024-01-05T10:00:00.25+05:30)" },
        { TS_ROW "2025/03/04 \n", 10, "\"2025/03/04 \" (write 2025-03-04)" },
        { QTY_ROW "fine,2024-01-01,1E+12\n", 21,
          "\"1E+12\" (scientific notation? write 1000000000000)" },
        { QTY_ROW "fine,2024-01-01,2.5e-2\n", 21, "\"2.5e-2\" (scientific notation? write 0.025)" },
        { QTY_ROW "fine,2024-01-01,0.5e1\n", 21, "\"0.5e1\" (scientific notation? write 5)" },
        { QTY_ROW "redeem,2024-01-01,1.25E2\n", 23, "\"1.25E2\" (scientific notation? write 125)" },
    };
    for (size_t k = 0; k < sizeof(hinted) / sizeof(hinted[0]); k++)
        load_fails(hinted[k].data, csv, CIVIC_E_EVENT, 2, hinted[k].column, hinted[k].want);
#undef TS_ROW
#undef QTY_ROW
    load_fails("{\"id\":\"x\",\"subject\":\"s\",\"type\":\"fine\",\"ts\":\"2025-03-04 \"}\n",
               CIVIC_FORMAT_JSONL, CIVIC_E_EVENT, 1, 0, "(it ends in a blank: write 2025-03-04)");
    load_fails("{\"id\":\"x\",\"subject\":\"s\",\"type\":\"fine\",\"ts\":\"2024-01-01\",\"qty\":"
               "\"1e3\"}\n", CIVIC_FORMAT_JSONL, CIVIC_E_EVENT, 1, 0,
               "\"1e3\" (scientific notation? write 1000)");
    assert_true(ends_with(load_message("id,subject,type,ts\nx,s,fine,31.02.26\n"),
                          "\"31.02.26\""));
    assert_true(ends_with(load_message("id,subject,type,ts\nx,s,fine,2026-12-01 09\n"),
                          "\"2026-12-01 09\""));
    /* a hint never advises a value the field still refuses: what it would
     * write is read as the field reads it (a day or hour out of range, a bad
     * offset, too many places, over 1e12), else no hint */
    static const char *const no_ts_hint[] = {
        "31.02.2024", "2024-01-01T09:30:00+08:00:30",
        "2024-01-01T09:30:00 UT",
        "2024-01-01T10:00-", "31.02.2024 10:00", "2024-01-01T10:00+25:00",
        "2024-01-01T10:00:00+2500", "2024-02-30T10:00:00+0800", "2024-02-30T10:00:00+24:00",
        "2024/02/30", "2024/01/01 24:00", "2024\xE5\xB9\xB4" "2\xE6\x9C\x88" "30\xE6\x97\xA5",
        "99999.5", "45000.5x", "2024-01-01T10:00:00,", "2024-2-30", "2024-01-05T9:60",
        "2024-01-05T24:00:00 +08:00", "2024-01-05T10:00:00+8:60", "2024-01-05 Z",
        "2024-01-05T10:00:00 +08:00 x",
    };
    for (size_t k = 0; k < sizeof(no_ts_hint) / sizeof(no_ts_hint[0]); k++) {
        char text[128], end[64];
        snprintf(text, sizeof(text), "id,subject,type,ts\nx,s,fine,\"%s\"\n", no_ts_hint[k]);
        snprintf(end, sizeof(end), "\"%s\"", no_ts_hint[k]);
        const char *m = load_message(text);
        if (!ends_with(m, end)) fail_msg("%s", m);
    }
    /* where the one slip is a day, month or hour out of range besides:
     * no advice (it would still be refused), both faults told */
    static const char *const both[][2] = {
        { "2024-02-30 10:00", "(the seconds are required; also day out of range for the month)" },
        { "2024-01-01 25:00", "(the seconds are required; also time of day out of range)" },
        { "2024-02-30 ", "(it ends in a blank; also day out of range for the month)" },
        { "2024-02-30T10:00:00,5",
          "(a decimal comma for the fraction's point; also day out of range for the month)" },
    };
    for (size_t k = 0; k < sizeof(both) / sizeof(both[0]); k++) {
        char text[128], end[160];
        snprintf(text, sizeof(text), "id,subject,type,ts\nx,s,fine,\"%s\"\n", both[k][0]);
        snprintf(end, sizeof(end), "\"%s\" %s", both[k][0], both[k][1]);
        const char *m = load_message(text);
        if (!ends_with(m, end)) fail_msg("%s", m);
    }
    static const char *const no_qty_hint[][2] = {
        { "fine", "1,2345" }, { "fine", "0,0001" }, { "fine", "9999999999999,5" },
        { "fine", "9 999 999 999 999" }, { "redeem", "0,001" },
        { "fine", "1111111111111111111111111111111111111111111111111111111111111,5" },
        { "fine", "1E13" }, { "fine", "1e-4" }, { "redeem", "1e-3" }, { "fine", "1e" },
        { "fine", "1e+3x" }, { "fine", "2.5e-3" },
    };
    for (size_t k = 0; k < sizeof(no_qty_hint) / sizeof(no_qty_hint[0]); k++) {
        char text[192], end[80];
        snprintf(text, sizeof(text), "id,subject,type,ts,qty\nx,s,%s,2024-01-01,\"%s\"\n",
                 no_qty_hint[k][0], no_qty_hint[k][1]);
        snprintf(end, sizeof(end), "\"%s\"", no_qty_hint[k][1]);
        const char *m = load_message(text); /* the longest shown cut short, "...\"" */
        if (!ends_with(m, strlen(end) < 40 ? end : "...\"") || strstr(m, "write"))
            fail_msg("%s", m);
    }
    /* of "write X or Y", only the form the field takes */
    load_fails("id,subject,type,ts,qty\nx,s,redeem,2024-01-01,\"2,125\"\n", csv, CIVIC_E_EVENT,
               2, 23, "\"2,125\" (a thousands separator? write 2125)");
    load_fails("id,subject,type,ts,qty\nx,s,redeem,2024-01-01,\"2,50\"\n", csv, CIVIC_E_EVENT,
               2, 23, "\"2,50\" (a decimal comma? write 2.50)");
    load_fails("id,subject,type,ts,qty\nx,s,fine,2024-01-01,\"250,5\"\n", csv, CIVIC_E_EVENT, 2,
               21, "at most 1000000000000) \"250,5\" (a decimal comma? write 250.5)");
    load_fails("id,subject,type,ts,qty\nx,s,fine,2024-01-01,\"1.000,5\"\n", csv, CIVIC_E_EVENT,
               2, 21, "\"1.000,5\" (a decimal comma? write 1000.5)");
    load_fails("id,subject,type,ts,qty\nx,s,fine,2024-01-01,\"1,000\"\n", csv, CIVIC_E_EVENT,
               2, 21, "\"1,000\" (a decimal comma or a thousands separator? write 1.000 or "
               "1000)");
    load_fails("id,subject,type,ts,qty\nx,s,fine,2024-01-01,1 000\n", csv, CIVIC_E_EVENT, 2,
               21, "\"1 000\" (a space as thousands separator? write 1000)");
    load_fails("id,subject,type,ts,qty\nx,s,fine,2024-01-01,TRUE\n", csv, CIVIC_E_EVENT, 2,
               21, "\"TRUE\" (a spreadsheet's TRUE or FALSE? a qty is a number: leave it "
               "empty for 1)");
    load_fails("id,subject,type,ts,qty\nx,s,fine,2024-01-01,false\n", csv, CIVIC_E_EVENT, 2,
               21, "(a spreadsheet's TRUE or FALSE? a qty is a number: leave it empty for 1)");
    assert_true(ends_with(load_message("id,subject,type,ts,qty\nx,s,fine,2024-01-01,1 00\n"),
                          "\"1 00\""));
    assert_true(ends_with(load_message("id,subject,type,ts,qty\nx,s,fine,2024-01-01,NULLS\n"),
                          "\"NULLS\""));
    /* Latin-1 (Windows-1252) text, not UTF-8: the bytes of letters */
    load_fails("id,subject,type,ts\nx,M\xfcller,fine,2024-01-01\n", csv, CIVIC_E_EVENT, 2, 3,
               "field 'subject': not UTF-8 text without control characters \"M\\xfcller\" "
               "(Latin-1 text? convert it with iconv -f WINDOWS-1252 -t UTF-8)");
    /* UTF-8 cut short at a field's end is no Latin-1: a lead byte last
     * after UTF-8 text, or 0xC3 (the lead of UTF-8's é, Latin-1's Ã) after
     * ASCII; a Latin-1 letter ending a word of ASCII is (Jos\xe9, José) */
    assert_true(ends_with(load_message("id,subject,type,ts\nx,Jos\xc3,fine,2024-01-01\n"),
                          "\"Jos\\xc3\""));
    assert_true(ends_with(load_message("id,subject,type,ts\nx,\xe4\xb8\xad\xe6,fine,2024-01-01\n"),
                          "\"\xe4\xb8\xad\\xe6\""));
    assert_true(ends_with(load_message("id,subject,type,ts\nx,\xc3\xa9t\xc3,fine,2024-01-01\n"),
                          "\""));
    assert_null(strstr(load_message("id,subject,type,ts\nx,\xc3\xa9t\xc3,fine,2024-01-01\n"),
                       "Latin-1"));
    load_fails("id,subject,type,ts\nx,Jos\xe9,fine,2024-01-01\n", csv, CIVIC_E_EVENT, 2, 3,
               "\"Jos\\xe9\" (Latin-1 text? convert it with iconv -f WINDOWS-1252 -t UTF-8)");
    /* JSON Lines alike, in any string */
    load_fails("{\"id\":\"x\",\"subject\":\"M\xfcller\",\"type\":\"fine\",\"ts\":1}\n",
               CIVIC_FORMAT_JSONL, CIVIC_E_SYNTAX, 1, 0, "invalid UTF-8 in a string (Latin-1 "
               "text? convert it with iconv -f WINDOWS-1252 -t UTF-8)");
    load_fails("{\"id\":\"x\",\"subject\":\"Jos\xe9\",\"type\":\"fine\",\"ts\":1}\n",
               CIVIC_FORMAT_JSONL, CIVIC_E_SYNTAX, 1, 0, "(Latin-1 text? convert it with iconv");
    assert_null(strstr(load_message("{\"id\":\"x\",\"subject\":\"Jos\xc3\",\"type\":\"fine\","
                                    "\"ts\":1}\n"), "Latin-1"));
    assert_null(strstr(load_message("{\"id\":\"x\",\"subject\":\"\xed\xa0\x80\",\"type\":"
                                    "\"fine\",\"ts\":1}\n"), "Latin-1"));
    assert_true(ends_with(load_message("id,subject,type,ts\nx,\xed\xa0\x80" "b,fine,2024-01-01\n"),
                          "\"\\xed\\xa0\\x80" "b\""));
    assert_true(ends_with(load_message("id,subject,type,ts\nx,M\x01ller,fine,2024-01-01\n"),
                          "field 'subject': not UTF-8 text without control characters "
                          "\"M\\x01ller\""));
#undef QTY_IS
#undef WIDE
#undef FORMS
    /* nothing near: no guess */
    civic_engine *e = fresh();
    civic_error err = CIVIC_ERROR_INIT;
    const char *far = "id,subject,type,ts\nx,s,volunteer,2024-01-01\n";
    assert_int_equal(civic_engine_load(e, far, strlen(far), NULL, NULL, &err), CIVIC_E_EVENT);
    assert_null(strstr(err.message, "did you mean"));
    /* nor for a type holding a control byte or other letters than a code's:
     * garbled text, told as it is (the same whatever the bytes) */
    static const char *const garbled[] = { "fine\x01", "fine\tb", "fin\xc3\xa9" };
    for (size_t k = 0; k < sizeof(garbled) / sizeof(garbled[0]); k++) {
        civic_event ev = CIVIC_EVENT_INIT;
        ev.id = "g";
        ev.subject = "s";
        ev.type = garbled[k];
        ev.ts = "2024-01-01";
        assert_int_equal(civic_engine_add(e, &ev, &err), CIVIC_E_EVENT);
        assert_non_null(strstr(err.message, "unknown type"));
        assert_null(strstr(err.message, "did you mean"));
    }
    civic_engine_free(e);
    /* A header read as one column (or as "sep=" and ""): it lacks every
     * required column, told at once, then what it most likely is. */
#define NO_COLUMN_4 "line 1: the header has no 'id', 'subject', 'type' or 'ts' column " \
                    "(required: id, subject, type, ts)"
    /* full-width commas: one column named "id，subject，type，ts" */
    load_fails("id\xef\xbc\x8csubject\xef\xbc\x8ctype\xef\xbc\x8cts\nx\xef\xbc\x8cs\n", csv,
               CIVIC_E_SYNTAX, 1, 0,
               NO_COLUMN_4 " (it uses the full-width comma '\xef\xbc\x8c'; the separator is ',')");
    /* a spreadsheet's line that sets the separator, before the header: no
     * log has it (as 'sep=;' is refused), so it is told to go */
    load_fails("sep=,\nid,subject,type,ts\nx,s,fine,2024-01-01\n", csv, CIVIC_E_SYNTAX, 1, 0,
               NO_COLUMN_4 " (a spreadsheet's 'sep=,' line: delete line 1)");
    load_fails("\xef\xbb\xbfSEP=, \r\nid,subject,type,ts\r\nx,s,fine,2024-01-01\r\n", csv,
               CIVIC_E_SYNTAX, 1, 0, "(a spreadsheet's 'sep=,' line: delete line 1)");
    /* quoted, as some tools write it; another separator: deleting the
     * line would not do, the fields are separated so */
    load_fails("\"sep=,\"\r\nid,subject,type,ts\r\n", csv, CIVIC_E_SYNTAX, 1, 0,
               NO_COLUMN_4 " (a spreadsheet's 'sep=,' line: delete line 1)");
    /* another separator, of ASCII or UTF-8, a tab, a blank (kept, not
     * trimmed as the line's end), a control character, or none: each named */
    static const struct {
        const char *text, *says;
    } seps[] = {
        { "sep=;\r\nid;subject;type;ts\r\nx;s;fine;2024-01-01\r\n",
          NO_COLUMN_4 " (a spreadsheet's 'sep=;' line: the fields are separated by ';'; save "
                      "the export as CSV with commas)" },
        { "sep=|\nid|subject|type|ts\n", "(a spreadsheet's 'sep=|' line: the fields are "
          "separated by '|'; save the export as CSV with commas)" },
        { "sep=\t\nid\tsubject\ttype\tts\n", "(a spreadsheet's 'sep=' line of a tab: the "
          "fields are separated by tabs; save the export as CSV with commas)" },
        { "sep=\xc3\xa9\nid\xc3\xa9subject\xc3\xa9type\xc3\xa9ts\n",
          NO_COLUMN_4 " (a spreadsheet's 'sep=\xc3\xa9' line: the fields are separated by "
                      "'\xc3\xa9'; save the export as CSV with commas)" },
        { "\"sep=\xe2\x80\xa2\"\nid,subject,type,ts\n", "(a spreadsheet's 'sep=\xe2\x80\xa2' "
          "line: the fields are separated by '\xe2\x80\xa2'; save the export as CSV with "
          "commas)" },
        { "sep=\r\nid,subject,type,ts\r\n", NO_COLUMN_4 " (a spreadsheet's 'sep=' line that "
          "names no separator: save the export as CSV with commas)" },
        { "sep= \nid subject type ts\n", "(a spreadsheet's 'sep= ' line: the fields are "
          "separated by ' '; save the export as CSV with commas)" },
        { "sep= \r\nid subject type ts\r\n", "(a spreadsheet's 'sep= ' line: the fields are "
          "separated by ' '; save the export as CSV with commas)" },
        { "sep=\x01\nid\x01subject\n", "(a spreadsheet's 'sep=' line of a control character: "
          "save the export as CSV with commas)" },
    };
    for (size_t k = 0; k < sizeof(seps) / sizeof(seps[0]); k++)
        load_fails(seps[k].text, csv, CIVIC_E_SYNTAX, 1, 0, seps[k].says);
    /* two characters, or bytes that are not one UTF-8 character: no such line */
    {
        const char *other[] = { "sep=;;\nid;subject;type;ts\n", "sep=\xc3\nid\n",
                                "sep=\xc3\xa9\xc3\xa9\nid\n", "sep=\xe9\nid\n" };
        for (size_t k = 0; k < 4; k++) {
            const char *m = load_message(other[k]);
            if (strstr(m, "sep=")) fail_msg("%s", m);
        }
    }
    /* a header separated by ';' or tabs: three names or more, one a column
     * the load needs (not a title line that holds a ';') */
    load_fails("\xef\xbb\xbfID;Subject;Type;Date\r\na;b;c;2025-01-01\r\n", csv,
               CIVIC_E_SYNTAX, 1, 0, NO_COLUMN_4 " (the fields are separated by ';': save the "
               "export as CSV with commas)");
    load_fails("\"id\";\"subject\";\"type\";\"ts\"\n", csv, CIVIC_E_SYNTAX, 1, 0,
               "(the fields are separated by ';': save the export as CSV with commas)");
    load_fails("id\tsubject\ttype\tts\nx\ts\tfine\t2024-01-01\n", csv, CIVIC_E_SYNTAX, 1, 0,
               NO_COLUMN_4 " (the fields are separated by tabs: save the export as CSV with "
               "commas)");
    {
        const char *plain[] = { "Events export; March 2025\nid,subject,type,ts\n",
                                "id;subject\nx;y\n" };
        for (size_t k = 0; k < 2; k++) {
            civic_engine *en = fresh();
            civic_error er = CIVIC_ERROR_INIT;
            assert_int_equal(civic_engine_load(en, plain[k], strlen(plain[k]), NULL, NULL, &er),
                             CIVIC_E_SYNTAX);
            assert_null(strstr(er.message, "separated"));
            civic_engine_free(en);
        }
    }
    {
        civic_engine *en = fresh();
        civic_error er = CIVIC_ERROR_INIT;
        const char *other = "sep=,x\nid,subject,type,ts\n";
        assert_int_equal(civic_engine_load(en, other, strlen(other), NULL, NULL, &er),
                         CIVIC_E_SYNTAX);
        assert_null(strstr(er.message, "sep="));
        civic_engine_free(en);
    }
    /* a row of separators only, as a spreadsheet leaves after its data */
    load_fails("id,subject,type,ts,qty\nx,s,fine,2024-01-01,\n,,,,\n", csv, CIVIC_E_EVENT, 3, 1,
               "field 'id': missing (an empty row (only separators): delete it)");
    load_fails("id,subject,type,ts,qty\nx,s,fine,2024-01-01,\n,,,,,,\r\n", csv, CIVIC_E_SYNTAX, 3,
               0, "expected 5 fields as in the header, found 7 (an empty row (only separators): "
               "delete it)");
    /* a line of blanks only (no empty line, which is skipped): said so,
     * and before the header, by the header's error */
    load_fails("id,subject,type,ts\nx,s,fine,2024-01-01\n \t\r\n", csv, CIVIC_E_SYNTAX, 3, 0,
               "expected 4 fields as in the header, found 1 (a line of blanks only: delete it)");
    load_fails("  \nid,subject,type,ts\nx,s,fine,2024-01-01\n", csv, CIVIC_E_SYNTAX, 1, 0,
               NO_COLUMN_4 " (line 1 holds blanks only: delete it, the header comes first)");
#undef NO_COLUMN_4
}

/* What on_reject got for each refused line of a lenient load (up to 64). */
typedef struct meant_seen {
    unsigned count;
    char says[64][64];
} meant_seen;

static int keep_meant(void *payload, const civic_error *err)
{
    meant_seen *m = payload;
    const char *at = strstr(err->message, "(did you mean '");
    if (m->count < 64)
        snprintf(m->says[m->count], sizeof(m->says[0]), "%llu %s",
                 (unsigned long long)err->line, at ? at : "-");
    m->count++;
    return 0;
}

/* A lenient load remembers the did-you-mean of the last few unknown types
 * it met (a log whose type was renamed refuses every line of it, and each
 * search measures every rule code): each line still gets its own type's,
 * or none, when more types than it remembers come in turn, each several
 * times running, in CSV and JSON Lines, serially and in parallel parts. */
static void each_unknown_type_of_a_lenient_load_gets_its_own_did_you_mean(void **state)
{
    (void)state;
    static const struct { const char *type, *says; } bad[] = {
        { "fien", "(did you mean 'fine'?)" },     { "huor", "(did you mean 'hour'?)" },
        { "revok", "(did you mean 'revoke'?)" },  { "zzzzzz", "-" },
        { "objet", "(did you mean 'object'?)" },  { "dismis", "(did you mean 'dismiss'?)" },
        { "corect", "(did you mean 'correct'?)" }, { "Fine", "(did you mean 'fine'?)" },
    };
    const unsigned kinds = sizeof(bad) / sizeof(bad[0]);
    for (int jsonl = 0; jsonl < 2; jsonl++) {
        /* 40 refused lines among 400 good ones: past 4 KiB, read in parts */
        size_t cap = 64 * 1024, len = 0;
        char *log = malloc(cap), want[40][64];
        assert_non_null(log);
        if (!jsonl) len += (size_t)snprintf(log + len, cap - len, "id,subject,type,ts\n");
        unsigned line = jsonl ? 0 : 1, refused = 0;
        for (unsigned i = 0; i < 440; i++) {
            bool good = i % 11 != 5;
            const char *type = good ? "fine" : bad[(refused / 3) % kinds].type;
            line++;
            len += (size_t)snprintf(log + len, cap - len,
                                    jsonl ? "{\"id\":\"e%u\",\"subject\":\"s%u\",\"type\":\"%s\","
                                            "\"ts\":\"2024-01-01\"}\n"
                                          : "e%u,s%u,%s,2024-01-01\n",
                                    i, i % 7, type);
            if (good) continue;
            snprintf(want[refused], sizeof(want[0]), "%u %s", line,
                     bad[(refused / 3) % kinds].says);
            refused++;
        }
        assert_int_equal(refused, 40);
        for (int serial = 0; serial < 2; serial++) {
            civic_engine *e = engine_from_threads(RULES, serial ? SERIAL_READER : 2);
            civic_load_options opts = CIVIC_LOAD_OPTIONS_INIT;
            civic_load_report rep = CIVIC_LOAD_REPORT_INIT;
            civic_error err = CIVIC_ERROR_INIT;
            meant_seen seen = { 0 };
            opts.flags = CIVIC_LOAD_LENIENT;
            opts.on_reject = keep_meant;
            opts.payload = &seen;
            assert_int_equal(civic_engine_load(e, log, len, &opts, &rep, &err), CIVIC_OK);
            assert_int_equal(rep.accepted, 400);
            assert_int_equal(rep.rejected, 40);
            assert_int_equal(seen.count, 40);
            for (unsigned k = 0; k < 40; k++) assert_string_equal(seen.says[k], want[k]);
            civic_engine_free(e);
        }
        free(log);
    }
}

/* The message of a header that lacks required columns, whole (and the
 * same in a lenient load: no line can be read without them). */
static void header_says(const char *data, const char *message)
{
    for (int lenient = 0; lenient < 2; lenient++) {
        civic_engine *e = fresh();
        civic_load_options opts = CIVIC_LOAD_OPTIONS_INIT;
        civic_error err = CIVIC_ERROR_INIT;
        opts.flags = lenient ? CIVIC_LOAD_LENIENT : 0;
        assert_int_equal(civic_engine_load(e, data, strlen(data), &opts, NULL, &err),
                         CIVIC_E_SYNTAX);
        assert_int_equal(err.line, 1);
        assert_int_equal(err.column, 0);
        assert_string_equal(err.message, message);
        civic_engine_free(e);
    }
}

/* A header that lacks several required columns names them all at once (it
 * named the first alone, and the next only once that was fixed); one that
 * lacks one says what it always said.  What the header most likely is
 * follows as before; else the names an export most likely gave them, to
 * rename, when that fits the message. */
static void a_header_names_every_required_column_it_lacks(void **state)
{
    (void)state;
#define REQUIRED " column (required: id, subject, type, ts)"
#define SEMI " (the fields are separated by ';': save the export as CSV with commas)"
    /* one: the words of before, byte for byte, and what to rename where
     * the header has a likely name */
    header_says("subject,type,ts\n", "line 1: the header has no 'id'" REQUIRED);
    header_says("id,type,ts\n", "line 1: the header has no 'subject'" REQUIRED);
    header_says("id,subject,ts\n", "line 1: the header has no 'type'" REQUIRED);
    header_says("id,subject,type\n", "line 1: the header has no 'ts'" REQUIRED);
    header_says("Event ID,subject,type,ts\n", "line 1: the header has no 'id'" REQUIRED
                "; rename 'Event ID' to 'id'");
    header_says("id,subject,type,Date\r\n", "line 1: the header has no 'ts'" REQUIRED
                "; rename 'Date' to 'ts'");
    /* two, three, four */
    header_says("subject,ts\n", "line 1: the header has no 'id' or 'type'" REQUIRED);
    header_says("qty,subject\n", "line 1: the header has no 'id', 'type' or 'ts'" REQUIRED);
    header_says("x,y\n", "line 1: the header has no 'id', 'subject', 'type' or 'ts'" REQUIRED);
    /* with what the header most likely is: fields separated by ';' (some
     * names read as one column), a spreadsheet's 'sep=' line, tabs */
    header_says("id;subject;x,type,ts\n", "line 1: the header has no 'id' or 'subject'" REQUIRED
                SEMI);
    header_says("id;subject;type,ts\n", "line 1: the header has no 'id', 'subject' or 'type'"
                REQUIRED SEMI);
    header_says("id;subject;type;ts\n", "line 1: the header has no 'id', 'subject', 'type' or "
                "'ts'" REQUIRED SEMI);
    header_says("sep=,\nid,subject,type,ts\n", "line 1: the header has no 'id', 'subject', "
                "'type' or 'ts'" REQUIRED " (a spreadsheet's 'sep=,' line: delete line 1)");
    header_says("id\tsubject\ttype\tts\n", "line 1: the header has no 'id', 'subject', 'type' "
                "or 'ts'" REQUIRED " (the fields are separated by tabs: save the export as CSV "
                "with commas)");
    /* what to rename: any case, blanks, '_' and '-' aside, the first
     * such name of each, in the header's own spelling */
    header_says("Event ID,Resident,Event Type,Date\n", "line 1: the header has no 'id', "
                "'subject', 'type' or 'ts'" REQUIRED "; rename 'Event ID' to 'id', 'Resident' to "
                "'subject', 'Event Type' to 'type' and 'Date' to 'ts'");
    header_says("event_id,note,resident-id,member,type,TIMESTAMP,time\r\n", "line 1: the header "
                "has no 'id', 'subject' or 'ts'" REQUIRED "; rename 'event_id' to 'id', "
                "'resident-id' to 'subject' and 'TIMESTAMP' to 'ts'");
    header_says("\xEF\xBB\xBF\"eventid\", Subject_ID ,type,ts\n", "line 1: the header has no 'id' "
                "or 'subject'" REQUIRED "; rename 'eventid' to 'id' and 'Subject_ID' to 'subject'");
    header_says("id,Kind,datetime\n", "line 1: the header has no 'subject', 'type' or 'ts'"
                REQUIRED "; rename 'Kind' to 'type' and 'datetime' to 'ts'");
    header_says("id,subject,Event Type,x\n", "line 1: the header has no 'type' or 'ts'"
                REQUIRED "; rename 'Event Type' to 'type'");
    /* not a name that only holds such a word, nor one of other signs */
    header_says("Event ID2,Residents,Date.,type\n", "line 1: the header has no 'id', 'subject' "
                "or 'ts'" REQUIRED);
    /* never instead of what the header most likely is: fields separated
     * by ';' are the fix */
    header_says("id;subject;x,Event ID,Resident,ts\n", "line 1: the header has no 'id', "
                "'subject' or 'type'" REQUIRED SEMI);
    /* nor before the note of a stray quote's lines or of a byte-order
     * mark that opens the line, which follow */
    header_says("\"a\nb\",Event ID,Resident,type,ts\n", "line 1: the header has no 'id' or "
                "'subject'" REQUIRED " (the quoted field opened at line 1, column 1 holds line "
                "breaks: lines 1 to 2 were read as one record)");
    header_says("\xEF\xBB\xBF\xEF\xBB\xBFx,Resident,Event Type,Date\n", "line 1: the header "
                "has no 'id', 'subject', 'type' or 'ts'" REQUIRED " (the line starts with U+FEFF, "
                "a byte-order mark: were files joined? remove it)");
    /* whole or not at all: a message of 255 bytes has room for it, one of
     * 256 would be cut, so it is left out */
    char data[160], want[CIVIC_ERROR_MESSAGE_SIZE];
    const char *base = "line 1: the header has no 'id', 'subject', 'type' or 'ts'" REQUIRED;
    for (int ts = 20; ts <= 21; ts++) {
        snprintf(data, sizeof(data), "Event_________________ID,Resident----------------,"
                 "Event               Type,Date%.*s\n", ts - 4, "_________________");
        int n = snprintf(want, sizeof(want), "%s; rename 'Event_________________ID' to 'id', "
                         "'Resident----------------' to 'subject', 'Event               Type' "
                         "to 'type' and 'Date%.*s' to 'ts'", base, ts - 4, "_________________");
        assert_int_equal(n, 235 + ts);
        header_says(data, n < CIVIC_ERROR_MESSAGE_SIZE ? want : base);
    }
    /* a name past 24 bytes is no export's name of a column */
    header_says("Event_________________ID_,Resident\n", "line 1: the header has no 'id', "
                "'subject', 'type' or 'ts'" REQUIRED "; rename 'Resident' to 'subject'");
#undef REQUIRED
#undef SEMI
}

static void csv_bad_lines_are_named(void **state)
{
    /* A record over two lines: an error names its first line, with a column
     * only for a field that starts on it (a column of line 3 would point at
     * the wrong bytes of line 2). */
    const char *later = "id,subject,type,ts,x,group\ne1,s1,fine,2024-01-01,\"a\nb\",g//h\n";
    civic_engine *e = fresh();
    civic_error err = CIVIC_ERROR_INIT;
    assert_int_equal(civic_engine_load(e, later, strlen(later), NULL, NULL, &err), CIVIC_E_EVENT);
    assert_int_equal(err.line, 2);
    assert_int_equal(err.column, 0);
    assert_non_null(strstr(err.message, "line 2: field 'group': empty segment"));
    civic_engine_free(e);
    load_fails("id,subject,type,ts,x,group\ne1,s1,fine,2024-01-0x,\"a\nb\",g\n", CIVIC_FORMAT_CSV,
               CIVIC_E_EVENT, 2, 12, "line 2, column 12: field 'ts'");
    (void)state;
    const uint32_t csv = CIVIC_FORMAT_CSV;
    load_fails("id,subject,type,ts\nx,s,nope,2024-01-01\n", csv, CIVIC_E_EVENT, 2, 5, "unknown type");
    load_fails("id,subject,type,ts\nx,,fine,2024-01-01\n", csv, CIVIC_E_EVENT, 2, 3, "'subject': missing");
    load_fails("id,subject,type,ts\nx,s,fine,2024-02-30\n", csv, CIVIC_E_EVENT, 2, 10, "day out of range");
    load_fails("id,subject,type,ts,qty\nx,s,hour,2024-01-01,1.2345\n", csv, CIVIC_E_EVENT, 2, 21,
               "at most 3 places");
    load_fails("id,subject,type,ts,qty\nx,s,hour,2024-01-01,-1\n", csv, CIVIC_E_EVENT, 2, 21, "qty");
    load_fails("id,subject,type,ts,qty\nx,s,hour,2024-01-01,abc\n", csv, CIVIC_E_EVENT, 2, 21, "not a number");
    load_fails("id,subject,type,ts,qty\nx,s,hour,2024-01-01,1e3\n", csv, CIVIC_E_EVENT, 2, 21, "not a number");
    load_fails("id,subject,type,ts,qty\nx,s,redeem,2024-01-01,1.005\n", csv, CIVIC_E_EVENT, 2, 23, "redeem");
    load_fails("id,subject,type,ts,qty\nx,s,redeem,2024-01-01,0\n", csv, CIVIC_E_EVENT, 2, 23, "more than 0");
    load_fails("id,subject,type,ts,ref\nx,s,revoke,2024-01-01,\n", csv, CIVIC_E_EVENT, 2, 23, "'ref': missing");
    load_fails("id,subject,type,ts,group\nx,s,fine,2024-01-01,a//b\n", csv, CIVIC_E_EVENT, 2, 21, "empty segment");
    load_fails("id,subject,type,ts\nx,s\x01,fine,2024-01-01\n", csv, CIVIC_E_EVENT, 2, 3, "control");
    load_fails("id,subject,type,ts\nx,\xc3\x28,fine,2024-01-01\n", csv, CIVIC_E_EVENT, 2, 3, "UTF-8");
    load_fails("id,subject,type,ts\nok,s,fine,2024-01-01\nx,s,fine,2024-01-01,extra\n", csv,
               CIVIC_E_SYNTAX, 3, 0, "expected 4 fields");
    /* two records joined by a lone CR: the count, and where the CR is */
    load_fails("id,subject,type,ts\nok,s,fine,2024-01-01\ny,s,fine,2024-01-01\rz,s,fine,2024-01-01\n",
               csv, CIVIC_E_SYNTAX, 3, 0,
               "expected 4 fields as in the header, found 7 (a carriage return at column 20: "
               "lines must end in LF or CRLF)");
    {   /* a CR inside quotes is a field's text: the count alone */
        civic_engine *quoted = fresh();
        civic_error why = CIVIC_ERROR_INIT;
        const char *q = "id,subject,type,ts\ny,s,fine,\"2024-01-01\r\",x\n";
        assert_int_equal(civic_engine_load(quoted, q, strlen(q), NULL, NULL, &why), CIVIC_E_SYNTAX);
        assert_string_equal(why.message, "line 2: expected 4 fields as in the header, found 5");
        civic_engine_free(quoted);
    }
    load_fails("id,subject,type,ts\nx,s\"q,fine,2024-01-01\n", csv, CIVIC_E_SYNTAX, 2, 4, "quote");
    load_fails("id,subject,type,ts\nx,\"s\"q,fine,2024-01-01\n", csv, CIVIC_E_SYNTAX, 2, 6, "closing quote");
    load_fails("id,subject,type,ts\nok,s,fine,2024-01-01\nx,\"s,fine,2024-01-01\n", csv, CIVIC_E_SYNTAX, 3,
               3, "line 3, column 3: unterminated quoted field at end of input");
    /* where the quote that took the lines after it opens, and how many */
    load_fails("id,subject,type,ts\nx,\"s,fine,2024-01-01\nok,s,fine,2024-01-01\n\n", csv,
               CIVIC_E_SYNTAX, 2, 3, "line 2, column 3: unterminated quoted field at end of input "
               "(the quote opens here: 2 lines after it were read into the field)");
    load_fails("id,subject,type,ts\ne1,s,fine,2024-01-01,\"oops\ne2,s,fine,2024-01-02\n"
               "e3,\"s\",fine,2024-01-03\n", csv, CIVIC_E_SYNTAX, 4, 5,
               "line 4, column 5: unexpected character after a closing quote (the quoted field "
               "opened at line 2, column 22 holds line breaks: lines 2 to 4 were read as one "
               "record)");
    load_fails("id,subject,type,ts\ne1,s,fine,\"2024-01-01\ne2\",s\n", csv, CIVIC_E_SYNTAX, 2, 0,
               "line 2: expected 4 fields as in the header, found 5 (the quoted field opened at "
               "line 2, column 11 holds line breaks: lines 2 to 3 were read as one record)");
    load_fails("id,subject,type\nx,s,fine\n", csv, CIVIC_E_SYNTAX, 1, 0, "no 'ts' column");
    load_fails("id,subject,type,ts,ID\n", csv, CIVIC_E_SYNTAX, 1, 20, "appears twice");
    /* lines ended by a lone CR: one long header, refused rather than read as no events */
    load_fails("id,subject,type,ts,qty\ra,s,fine,2024-01-01,2\r", csv, CIVIC_E_SYNTAX, 1, 23,
               "carriage return inside the header");
    /* ... and not told that its line breaks were removed: they are CRs */
    assert_string_equal(load_message("id,subject,type,ts\re1,s1,fine,2024-01-01\r"),
                        "line 1, column 19: a carriage return inside the header (lines must end "
                        "in LF or CRLF)");
    /* the CR's own column, in a quoted name too, and before a stray quote
     * that the joined line holds */
    load_fails("id,subject,type,\"ts\r\"\n", csv, CIVIC_E_SYNTAX, 1, 20,
               "line 1, column 20: a carriage return inside the header");
    load_fails("id,subject,type,\"t\"\"s\r\"\n", csv, CIVIC_E_SYNTAX, 1, 22,
               "line 1, column 22: a carriage return inside the header");
    load_fails("id,subject,type,ts\r1,a,b\"c,d\n", csv, CIVIC_E_SYNTAX, 1, 19,
               "line 1, column 19: a carriage return inside the header");
    load_fails("id,\"sub\nject\",type,ts\r,x\n", csv, CIVIC_E_SYNTAX, 2, 14,
               "line 2, column 14: a carriage return inside the header");
    {   /* a large such file has more fields than a header may: the CR is what
         * is wrong, not "more than 1024 columns" */
        static char many[26000] = "id,subject,type,ts,qty\r";
        for (int k = 0; k < 1100; k++) strcat(many, "a,s,fine,2024-01-01,2\r");
        load_fails(many, csv, CIVIC_E_SYNTAX, 1, 23, "carriage return inside the header");
    }
    /* a conflict with an event already held (keep: -10 on 2024-01-01), with
     * the two values, which the engine holds anyway (it named the field
     * only: which of the two lines was the typo?) */
    load_fails("id,subject,type,ts\nkeep,s,fine,2024-01-02\n", csv, CIVIC_E_CONFLICT, 2, 1,
               "line 2, column 1: event id \"keep\" was seen before with a different ts: "
               "2024-01-01T00:00:00+08:00 before, 2024-01-02T00:00:00+08:00 here");
    load_fails("id,subject,type,ts,qty\nkeep,s,fine,2024-01-01,2.5\n", csv, CIVIC_E_CONFLICT, 2, 1,
               "event id \"keep\" was seen before with a different qty: 1 before, 2.5 here");
    load_fails("id,subject,type,ts\nkeep,s,hour,2024-01-01\n", csv, CIVIC_E_CONFLICT, 2, 1,
               "with a different type: fine before, hour here");
    load_fails("id,subject,type,ts,group\nkeep,s,fine,2024-01-01,a/b\n", csv, CIVIC_E_CONFLICT, 2, 1,
               "with a different group: none before, \"a/b\" here");
    /* and one within the batch; the column is the id's, in the message too */
    load_fails("subject,id,type,ts\ns,n,fine,2024-01-02\nt,n,fine,2024-01-02\n", csv, CIVIC_E_CONFLICT, 3,
               3, "line 3, column 3: event id \"n\" was seen before with a different subject: "
               "\"s\" before, \"t\" here");
}

static void oversize_fields_hit_their_limits(void **state)
{
    (void)state;
    char id[200], line[512];
    memset(id, 'i', sizeof(id));
    id[129] = '\0';
    snprintf(line, sizeof(line), "id,subject,type,ts\n%s,s,fine,2024-01-01\n", id);
    load_fails(line, CIVIC_FORMAT_CSV, CIVIC_E_LIMIT, 2, 1, "longer than 128");
    id[128] = '\0'; /* exactly 128 is fine */
    snprintf(line, sizeof(line), "id,subject,type,ts\n%s,s,fine,2024-01-01\n", id);
    civic_engine *e = fresh();
    load_ok(e, line);
    civic_engine_free(e);
}

static void jsonl_accepts_numbers_nulls_and_unknown_keys(void **state)
{
    (void)state;
    civic_engine *e = fresh();
    const char *jl = "{\"id\":\"a\",\"subject\":\"s\",\"type\":\"hour\",\"ts\":1704067200,\"qty\":2.5,"
                     "\"note\":{\"deep\":[1,{\"x\":null},\"\\u00e9\"]},\"group\":null}\n"
                     "\n"
                     "  {\"id\":\"b\",\"subject\":\"\\u4e00\",\"type\":\"fine\",\"ts\":\"2024-01-01T00:00:00Z\","
                     "\"ref\":null}  \r\n"
                     "{\"id\":\"c\",\"subject\":\"s\",\"type\":\"hour\",\"ts\":1704067200.75,\"qty\":1e0}\n"
                     "{\"id\":\"d\",\"subject\":\"s\",\"type\":\"hour\",\"ts\":1.7040672e9,\"qty\":25E-2}\n"
                     "{\"id\":\"z\",\"subject\":\"zero\",\"type\":\"fine\",\"ts\":-5e-99}\n"
                     /* a zero is 0 whatever its exponent; leading zeros go */
                     "{\"id\":\"e\",\"subject\":\"s\",\"type\":\"hour\",\"ts\":1704067200,\"qty\":0e999999999}\n"
                     "{\"id\":\"f\",\"subject\":\"s\",\"type\":\"hour\",\"ts\":1704067200,\"qty\":0.0025e2}\n"
                     "{\"id\":\"g\",\"subject\":\"nought\",\"type\":\"fine\",\"ts\":-0E+99999}\n";
    civic_load_report rep = CIVIC_LOAD_REPORT_INIT;
    civic_error err = CIVIC_ERROR_INIT;
    int rc = civic_engine_load(e, jl, strlen(jl), NULL, &rep, &err);
    if (rc) fprintf(stderr, "%s\n", err.message);
    assert_int_equal(rc, CIVIC_OK);
    assert_int_equal(rep.accepted, 8);
    /* -5e-99 seconds: less than a second before 1970-01-01T00:00:00Z, so in
     * the second -1, as 1969-12-31T23:59:59.999Z would be: its fraction is
     * dropped as a time's is, rounding down */
    civic_record *rec = NULL;
    assert_int_equal(civic_engine_record(e, "zero", -1, &rec), CIVIC_OK);
    assert_int_equal(civic_record_count(rec), 1);
    civic_record_free(rec);
    assert_int_equal(civic_engine_record(e, "zero", -2, &rec), CIVIC_OK);
    assert_int_equal(civic_record_count(rec), 0);
    civic_record_free(rec);
    {   /* one instant in two forms is one event: -100.7 s is in the second
         * -101, as its ISO spelling with the fraction dropped is; -9.5 and
         * -99.9 round down across a digit */
        const char *same = "{\"id\":\"n1\",\"subject\":\"neg\",\"type\":\"fine\",\"ts\":-100.7}\n"
                           "{\"id\":\"n1\",\"subject\":\"neg\",\"type\":\"fine\","
                           "\"ts\":\"1969-12-31T23:58:19.300Z\"}\n"
                           "{\"id\":\"n2\",\"subject\":\"neg\",\"type\":\"fine\",\"ts\":-9.5}\n"
                           "{\"id\":\"n2\",\"subject\":\"neg\",\"type\":\"fine\",\"ts\":-10}\n"
                           "{\"id\":\"n3\",\"subject\":\"neg\",\"type\":\"fine\",\"ts\":-99.9}\n"
                           "{\"id\":\"n3\",\"subject\":\"neg\",\"type\":\"fine\",\"ts\":-100}\n";
        civic_load_report r2 = CIVIC_LOAD_REPORT_INIT;
        civic_error e2 = CIVIC_ERROR_INIT;
        int rc2 = civic_engine_load(e, same, strlen(same), NULL, &r2, &e2);
        if (rc2) fprintf(stderr, "%s\n", e2.message);
        assert_int_equal(rc2, CIVIC_OK);
        assert_int_equal(r2.accepted, 3);
        assert_int_equal(r2.duplicates, 3);
    }
    {   /* only a number nearer 0 than 1e-41 is "too small to write out" (the
         * second 0 or -1); -5.000...e-0 with more significant digits than a
         * ts may have is refused for them, never read as 0 or -1 */
        char fifty[200];
        snprintf(fifty, sizeof(fifty), "{\"id\":\"w\",\"subject\":\"s\",\"type\":\"fine\","
                 "\"ts\":-5.%053de-0}\n", 0);
        civic_error e3 = CIVIC_ERROR_INIT;
        assert_int_equal(civic_engine_load(e, fifty, strlen(fifty), NULL, NULL, &e3), CIVIC_E_LIMIT);
        assert_non_null(strstr(e3.message, "field 'ts': a JSON number with an exponent has at most 52 digits"));
    }
    /* 2.5 + 1 + 0.25 + 0 + 0.25 hours: JSON numbers may use exponents */
    assert_int_equal(score_at(e, "s", "2024-02-01").score, 100400);
    assert_int_equal(civic_engine_record(e, "nought", 0, &rec), CIVIC_OK);
    assert_int_equal(civic_record_count(rec), 1);
    civic_record_free(rec);
    assert_int_equal(score_at(e, "一", "2024-02-01").score, P(990));
    support_release();
    civic_engine_free(e);
}

/* The record entry_of() read last: its strings are the entry's. */
static civic_record *entry_rec;

/* Free what entry_of() holds (each test that calls it, at its end: valgrind
 * counts a record still held at exit). */
static void entry_done(void)
{
    civic_record_free(entry_rec);
    entry_rec = NULL;
}

/* The entry of one event: its group and source (strings kept until the
 * next call, or entry_done()). */
static civic_entry entry_of(civic_engine *e, const char *subject)
{
    entry_done();
    assert_int_equal(civic_engine_record(e, subject, when(e, "2024-02-01"), &entry_rec), CIVIC_OK);
    civic_entry x = CIVIC_ENTRY_INIT;
    assert_int_equal(civic_record_entry(entry_rec, 0, &x), CIVIC_OK);
    return x;
}

/* A field's name in other letters is refused where the line would be read
 * without the field; beside the exact key it is another key, ignored ("group"
 * and "Group", "id" and "ID": the event was refused, though nothing of it
 * was missing).  Absent the exact key it is still refused, wherever it
 * stands on the line. */
static void jsonl_a_key_in_other_letters_beside_the_exact_one_is_ignored(void **state)
{
    (void)state;
    civic_engine *e = fresh();
    load_ok(e, "{\"id\":\"e1\",\"subject\":\"u1\",\"type\":\"fine\",\"ts\":\"2024-01-01\","
               "\"group\":\"a/b\",\"Group\":\"Street A\"}\n"
               "{\"ID\":\"E2\",\"subject\":\"u2\",\"type\":\"hour\",\"ts\":\"2024-01-01\","
               "\"id\":\"e2\",\"Qty\":9,\"qty \":8,\"qty\":2}\n");
    assert_int_equal(civic_engine_event_count(e), 2);
    assert_string_equal(entry_of(e, "u1").group, "a/b");
    assert_string_equal(entry_of(e, "u2").id, "e2");
    assert_int_equal(entry_of(e, "u2").qty, 2000);
    entry_done();
    civic_engine_free(e);
}

/* Absent the exact key, a field's name in other letters or with blanks
 * around it: in 1.0 a key like any other, ignored (the line read without
 * the field), so under rules that use no version-2 key it is ignored again
 * and a 1.0 log keeps its answers; under version-2 rules it is refused at
 * the first such key, after the rest of the line is read. */
static void jsonl_a_key_in_other_letters_alone_is_ignored_under_version_1_rules(void **state)
{
    (void)state;
    const char *log = "{\"id\":\"e1\",\"subject\":\"u1\",\"type\":\"hour\",\"ts\":\"2024-01-01\","
                      "\"Qty\":5,\"Group\":\"g\",\"REF\":\"e0\"}\n"
                      "{\"id\":\"e2\",\"subject\":\"u2\",\"type\":\"hour\",\"ts\":\"2024-01-01\","
                      "\"qty \":4,\" group\":\"h\",\"QTY\":3}\n";
    civic_engine *e = fresh();
    load_ok(e, log);
    assert_int_equal(civic_engine_event_count(e), 2);
    assert_int_equal(civic_engine_spec_version(e), 1);
    civic_entry x = entry_of(e, "u1");
    assert_int_equal(x.qty, 1000); /* one unit, as without the key */
    assert_string_equal(x.group, "");
    assert_string_equal(x.ref, "");
    x = entry_of(e, "u2");
    assert_int_equal(x.qty, 1000);
    assert_string_equal(x.group, "");
    assert_int_equal(score_at(e, "u1", "2024-02-01").score, P(1001));
    entry_done();
    civic_engine_free(e);
    /* a field that must be there is missing, as 1.0 said */
    load_fails("{\"id\":\"x\",\"Subject\":\"s\",\"type\":\"fine\",\"ts\":\"2024-01-01\"}\n",
               CIVIC_FORMAT_JSONL, CIVIC_E_EVENT, 1, 0, "field 'subject': missing");

    const char *v2 = RULES "[[rule.fine.change]]\nfrom = \"2030-01-01\"\npoints = -20\n";
    load_fails_under(v2, "{\"Group\":\"g\",\"id\":\"x\",\"subject\":\"s\",\"type\":\"fine\","
                         "\"ts\":\"2024-01-01\",\"GROUP\":\"h\"}\n",
                     2, "keys are lower case: write \"group\"");
    load_fails_under(v2, "{\"id\":\"x\",\"subject\":\"s\",\"qty \":1,\"type\":\"fine\","
                         "\"ts\":\"2024-01-01\",\"Qty\":5}\n",
                     25, "a key has no blanks around it: write \"qty\"");
    load_fails_under(v2, "{\"id\":\"x\",\"Subject\":\"s\",\"type\":\"fine\","
                         "\"ts\":\"2024-01-01\"}\n",
                     11, "keys are lower case: write \"subject\"");
}

/* civic_reject_fn: the message, into the payload's buffer. */
static int reject_message(void *payload, const civic_error *err)
{
    memcpy(payload, err->message, sizeof(err->message));
    return 0;
}

/* The load of `log` under RULES (version 1) fails at its last line with
 * CIVIC_E_EVENT, column and exactly `says`: by the serial reader and by the
 * pipeline (a log past 4 KiB, `good` repeated before it), strict, and
 * lenient (the line rejected with those words, the others taken). */
static void v1_load_refuses_last_line(const char *line, uint32_t column, const char *says)
{
    const char *good = "{\"id\":\"g%04u\",\"subject\":\"u%u\",\"type\":\"fine\",\"ts\":1704067200}\n";
    for (unsigned lines = 0; lines <= 100; lines += 100) {
        size_t cap = lines * 80 + strlen(line) + 1, len = 0;
        char *log = malloc(cap), want[256];
        assert_non_null(log);
        for (unsigned i = 0; i < lines; i++)
            len += (size_t)snprintf(log + len, cap - len, good, i, i % 7);
        snprintf(log + len, cap - len, "%s", line);
        assert_true(lines == 0 || strlen(log) > 4096);
        snprintf(want, sizeof(want), "line %u, column %u: %s", lines + 1, column, says);
        for (int serial = 0; serial < 2; serial++) {
            civic_engine *e = engine_from_threads(RULES, serial ? SERIAL_READER : 2);
            assert_int_equal(civic_rules_spec_version(civic_engine_rules(e)), 1);
            civic_error err = CIVIC_ERROR_INIT;
            assert_int_equal(civic_engine_load(e, log, strlen(log), NULL, NULL, &err),
                             CIVIC_E_EVENT);
            assert_int_equal(err.line, lines + 1);
            assert_int_equal(err.column, column);
            assert_string_equal(err.message, want);
            assert_int_equal(civic_engine_event_count(e), 0);
            civic_load_options lenient = CIVIC_LOAD_OPTIONS_INIT;
            civic_load_report rep = CIVIC_LOAD_REPORT_INIT;
            char rejected[sizeof(err.message)] = "";
            lenient.flags = CIVIC_LOAD_LENIENT;
            lenient.on_reject = reject_message;
            lenient.payload = rejected;
            assert_int_equal(civic_engine_load(e, log, strlen(log), &lenient, &rep, &err),
                             CIVIC_OK);
            assert_int_equal(rep.rejected, 1);
            assert_string_equal(rejected, want);
            assert_int_equal(civic_engine_event_count(e), lines);
            civic_engine_free(e);
        }
        free(log);
    }
}

/* Under version-1 rules a line whose only id, subject, type or ts key is
 * spelt in other letters or with blanks is refused as 1.0 refused it, the
 * field missing (CIVIC_E_EVENT), with the words a split gives it: at that
 * key's column, the key to write.  A key beside the exact one, or the
 * exact key with null, gives no hint. */
static void jsonl_a_required_key_only_in_other_letters_is_missing_with_the_key_to_write(
    void **state)
{
    (void)state;
    v1_load_refuses_last_line(
        "{\"id\":\"x\",\"Subject\":\"s\",\"type\":\"fine\",\"ts\":\"2024-01-01\"}\n", 11,
        "field 'subject': missing (keys are lower case: write \"subject\")");
    v1_load_refuses_last_line(
        "{\"id\":\"x\",\"subject\":\"s\",\"type\":\"fine\",\"TS\":\"2024-01-01\"}", 39,
        "field 'ts': missing (keys are lower case: write \"ts\")");
    v1_load_refuses_last_line(
        "{\"type\":\"fine\",\" id\":\"x\",\"subject\":\"s\",\"ts\":\"2024-01-01\"}\n", 16,
        "field 'id': missing (a key has no blanks around it: write \"id\")");
    /* the first variant of the field's name */
    v1_load_refuses_last_line(
        "{\"id\":\"x\",\"subject\":\"s\",\"Type\":\"fine\",\"TYPE \":\"x\",\"ts\":\"2024-01-01\"}\n", 25,
        "field 'type': missing (keys are lower case: write \"type\")");
    /* the exact key, null: missing, as before, without a hint */
    load_fails("{\"id\":\"x\",\"subject\":\"s\",\"type\":\"fine\",\"ts\":null,\"TS\":1}\n",
               CIVIC_FORMAT_JSONL, CIVIC_E_EVENT, 1, 0, NULL);
    civic_engine *e = fresh();
    civic_error err = CIVIC_ERROR_INIT;
    const char *null_ts = "{\"id\":\"x\",\"subject\":\"s\",\"type\":\"fine\",\"ts\":null,\"TS\":1}\n";
    assert_int_equal(civic_engine_load(e, null_ts, strlen(null_ts), NULL, NULL, &err),
                     CIVIC_E_EVENT);
    assert_string_equal(err.message, "line 1: field 'ts': missing");
    assert_int_equal(err.column, 0);
    /* a variant of an optional field stays ignored */
    load_ok(e, "{\"id\":\"x\",\"subject\":\"s\",\"type\":\"fine\",\"ts\":1,\"Group\":\"g\"}\n");
    civic_engine_free(e);
}

/* act and source are version 2: in 1.0 "Source" was a key like any other,
 * ignored.  Under rules that use no version-2 key a log of 1.0 keeps its
 * answers, so a case variant of act or source (or one with blanks) is
 * ignored there; under version-2 rules, where act and source are read, it
 * is refused as a variant of any other field is. */
static void jsonl_variants_of_act_and_source_are_other_keys_under_version_1_rules(void **state)
{
    (void)state;
    const char *log = "{\"id\":\"e1\",\"subject\":\"u0\",\"type\":\"fine\",\"ts\":\"2024-01-01\","
                      "\"Source\":\"parking app\"}\n"
                      "{\"id\":\"e2\",\"subject\":\"u1\",\"type\":\"fine\",\"ts\":\"2024-01-01\","
                      "\"ACT\":\"a1\",\"\\u0053ource\":\"x\",\" act\":\"b\"}\n";
    civic_engine *e = fresh();
    assert_int_equal(civic_rules_spec_version(civic_engine_rules(e)), 1);
    load_ok(e, log);
    assert_int_equal(civic_engine_event_count(e), 2);
    assert_int_equal(civic_engine_spec_version(e), 1); /* as 1.0 read it */
    assert_string_equal(entry_of(e, "u0").source, "");
    civic_engine_free(e);

    const char *v2 = RULES "[[rule.fine.change]]\nfrom = \"2030-01-01\"\npoints = -20\n";
    e = engine_from(v2);
    assert_int_equal(civic_rules_spec_version(civic_engine_rules(e)), 2);
    civic_error err = CIVIC_ERROR_INIT;
    civic_load_options opts = CIVIC_LOAD_OPTIONS_INIT;
    opts.format = CIVIC_FORMAT_JSONL;
    assert_int_equal(civic_engine_load(e, log, strlen(log), &opts, NULL, &err), CIVIC_E_SYNTAX);
    assert_int_equal(err.line, 1);
    assert_int_equal(err.column, 59);
    assert_non_null(strstr(err.message, "keys are lower case: write \"source\""));
    /* beside the exact key, ignored under these rules too */
    load_ok(e, "{\"id\":\"e3\",\"subject\":\"u3\",\"type\":\"fine\",\"ts\":\"2024-01-01\","
               "\"Source\":\"x\",\"source\":\"office\",\"act\":\"a\",\"Act\":\"b\"}\n");
    assert_string_equal(entry_of(e, "u3").source, "office");
    entry_done();
    civic_engine_free(e);
}

/* The same for a CSV header: a column "Act" or " Source " was another
 * column in 1.0, ignored, so under rules of version 1 it is ignored again
 * (a 1.0 export keeps its answers, its files version 1), the exact lower
 * case name alone being read as the field; under version-2 rules a header
 * name matches in any case, as before.  Read serially and in parallel
 * parts alike. */
static void csv_variants_of_act_and_source_are_other_columns_under_version_1_rules(void **state)
{
    (void)state;
    const char *log = "id,subject,type,ts,Act, Source \n"
                      "e1,u0,fine,2024-01-01,Art-5,app\n"
                      "e2,u0,fine,2024-01-01,Art-5,app\n";
    civic_engine *e = fresh();
    load_ok(e, log);
    assert_int_equal(civic_engine_spec_version(e), 1); /* as 1.0 read it */
    civic_record *rec = NULL;
    assert_int_equal(civic_engine_record(e, "u0", when(e, "2024-02-01"), &rec), CIVIC_OK);
    assert_int_equal(civic_record_count(rec), 2);
    for (size_t i = 0; i < 2; i++) {
        civic_entry x = CIVIC_ENTRY_INIT;
        assert_int_equal(civic_record_entry(rec, i, &x), CIVIC_OK);
        assert_int_equal(x.state, CIVIC_STATE_ACTIVE);
        assert_string_equal(x.act, "");
        assert_string_equal(x.source, "");
    }
    civic_record_free(rec);
    civic_engine_free(e);
    /* beside the exact names, which are read */
    e = fresh();
    load_ok(e, "id,subject,type,ts,ACT,act,SOURCE,source\ne1,u0,fine,2024-01-01,x,a1,y,s1\n");
    assert_string_equal(entry_of(e, "u0").act, "a1");
    assert_string_equal(entry_of(e, "u0").source, "s1");
    civic_engine_free(e);

    /* many lines: the parallel parts read the header's map as the serial
     * reader does */
    size_t lines = 60000, cap = lines * 48 + 64, len = 0;
    char *big = malloc(cap);
    len += (size_t)snprintf(big, cap, "id,subject,type,ts,Source\n");
    for (size_t i = 0; i < lines; i++)
        len += (size_t)snprintf(big + len, cap - len, "e%zu,u%zu,fine,2024-01-01,src\n", i, i % 97);
    const uint32_t threads[] = { SERIAL_READER, 4 };
    for (int k = 0; k < 2; k++) {
        e = engine_from_threads(RULES, threads[k]);
        civic_error err = CIVIC_ERROR_INIT;
        assert_int_equal(civic_engine_load(e, big, len, NULL, NULL, &err), CIVIC_OK);
        assert_int_equal(civic_engine_event_count(e), lines);
        assert_int_equal(civic_engine_spec_version(e), 1);
        assert_string_equal(entry_of(e, "u5").source, "");
        civic_engine_free(e);
    }
    free(big);

    /* under version-2 rules the header matches in any case */
    e = engine_from(RULES "[[rule.fine.change]]\nfrom = \"2030-01-01\"\npoints = -20\n");
    load_ok(e, log);
    assert_string_equal(entry_of(e, "u0").act, "Art-5");
    assert_string_equal(entry_of(e, "u0").source, "app");
    entry_done();
    civic_engine_free(e);
}

/* The whole message of the one bad line of a JSON Lines text, which a load
 * (under RULES) and a split both give, line 1. */
static void jsonl_says(const char *data, uint32_t column, const char *message)
{
    civic_engine *e = fresh();
    civic_load_options opts = CIVIC_LOAD_OPTIONS_INIT;
    civic_error err = CIVIC_ERROR_INIT;
    opts.format = CIVIC_FORMAT_JSONL;
    int rc = civic_engine_load(e, data, strlen(data), &opts, NULL, &err);
    if (rc != CIVIC_E_SYNTAX || err.column != column || strcmp(err.message, message) != 0)
        fprintf(stderr, "got %d column %u: %s\n", rc, err.column, err.message);
    assert_int_equal(rc, CIVIC_E_SYNTAX);
    assert_int_equal(err.line, 1);
    assert_int_equal(err.column, column);
    assert_string_equal(err.message, message);
    civic_engine_free(e);
    civic_split_options so = CIVIC_SPLIT_OPTIONS_INIT;
    civic_error serr = CIVIC_ERROR_INIT;
    so.format = CIVIC_FORMAT_JSONL;
    so.parts = 3;
    char out[256];
    uint64_t end[3];
    assert_true(strlen(data) < sizeof(out));
    assert_int_equal(civic_split(data, strlen(data), &so, out, sizeof(out), end, NULL, NULL,
                                 &serr),
                     CIVIC_E_SYNTAX);
    assert_int_equal(serr.column, column);
    assert_string_equal(serr.message, message);
}

/* A ts or qty written without quotes that is no JSON number: the field
 * named, at the value's first byte, and why (it said "malformed number" at
 * the byte after it, or "expected ',' or '}'" at the byte that stopped the
 * number). */
static void jsonl_a_bare_ts_or_qty_that_is_no_number_names_its_field(void **state)
{
    (void)state;
#define Q "{\"id\":\"x\",\"subject\":\"s\",\"type\":\"fine\",\"ts\":\"2024-01-01\",\"qty\":"
#define T "{\"id\":\"x\",\"subject\":\"s\",\"type\":\"fine\",\"ts\":"
    jsonl_says(Q "5.}\n", 63, "line 1, column 63: field 'qty': malformed number (JSON writes "
                              "5.0 or 5, not 5.)");
    /* no example for a negative qty, which a qty never is (the example
     * -0.5 was then refused: "must not be negative") */
    jsonl_says(Q "-.5}\n", 63, "line 1, column 63: field 'qty': malformed number, and a qty "
                               "must not be negative");
    jsonl_says(Q "-0123}\n", 63, "line 1, column 63: field 'qty': leading zero in a number, and "
                                 "a qty must not be negative");
    jsonl_says(Q "5e}\n", 63, "line 1, column 63: field 'qty': malformed number (a digit must "
                              "follow the exponent's 'e')");
    jsonl_says(Q "-}\n", 63, "line 1, column 63: field 'qty': malformed number");
    jsonl_says(Q "05}\n", 63, "line 1, column 63: field 'qty': leading zero in a number (JSON "
                              "writes 5, not 05)");
    /* the examples are the value's own, and a ts's text keeps leading zeros */
    jsonl_says(T "-0123}\n", 44, "line 1, column 44: field 'ts': leading zero in a number (JSON "
                                 "writes -123, not -0123; a string keeps leading zeros: "
                                 "\"-0123\")");
    jsonl_says(Q "007}\n", 63, "line 1, column 63: field 'qty': leading zero in a number (JSON "
                               "writes 7, not 007)");
    jsonl_says(Q "00.5}\n", 63, "line 1, column 63: field 'qty': leading zero in a number (JSON "
                                "writes 0.5, not 00.5)");
    jsonl_says(T "017e8}\n", 44, "line 1, column 44: field 'ts': leading zero in a number (JSON "
                                 "writes 17e8, not 017e8)");
    jsonl_says(Q "12.}\n", 63, "line 1, column 63: field 'qty': malformed number (JSON writes "
                               "12.0 or 12, not 12.)");
    jsonl_says(Q "5.e1}\n", 63, "line 1, column 63: field 'qty': malformed number (JSON writes "
                                "5.0e1 or 5e1, not 5.e1)");
    jsonl_says(T "-.25}\n", 44, "line 1, column 44: field 'ts': malformed number (JSON writes "
                                "-0.25, not -.25)");
    jsonl_says(Q ".25}\n", 63, "line 1, column 63: field 'qty': malformed number (JSON writes "
                               "0.25, not .25)");
    jsonl_says(Q "+2.5}\n", 63, "line 1, column 63: field 'qty': malformed number (JSON writes "
                                "2.5, not +2.5)");
    jsonl_says(Q "+.5}\n", 63, "line 1, column 63: field 'qty': malformed number (JSON writes "
                               "0.5, not +.5)");
    /* a value the example cannot be made of keeps the words as they were */
    jsonl_says(Q "05x}\n", 63, "line 1, column 63: field 'qty': leading zero in a number (JSON "
                               "writes 5, not 05)");
    jsonl_says(Q "+1x}\n", 63, "line 1, column 63: field 'qty': malformed number (JSON writes "
                               "1, not +1)");
    jsonl_says(T "2022-01-01}\n", 44, "line 1, column 44: field 'ts': not a JSON number (a date "
                                      "or time is written as a string here: \"2022-01-01\")");
    jsonl_says(T "2022-01-01T10:00:00Z , \"qty\":1}\n", 44,
               "line 1, column 44: field 'ts': not a JSON number (a date or time is written as "
               "a string here: \"2022-01-01T10:00:00Z\")");
    jsonl_says(Q "0x10}\n", 63, "line 1, column 63: field 'qty': not a JSON number (a number "
                                "is written in decimal)");
    jsonl_says(Q "1_000}\n", 63, "line 1, column 63: field 'qty': not a JSON number (a number "
                                 "is written without spaces or separators)");
    jsonl_says(Q "1.5.2}\n", 63, "line 1, column 63: field 'qty': not a JSON number");
    jsonl_says(Q "2022-01-01}\n", 63, "line 1, column 63: field 'qty': not a JSON number");
    /* a character that only looks like a digit or a minus: named with its
     * code point, as in a string or a CSV field */
    jsonl_says(Q "\xe2\x88\x92" "5}\n", 63, "line 1, column 63: field 'qty': not a JSON number "
               "(U+2212 is a minus sign only in print: a qty is not negative)");
    jsonl_says(T "\xe2\x88\x92" "5}\n", 44, "line 1, column 44: field 'ts': not a JSON number "
               "(U+2212 is a minus sign only in print: write -)");
    jsonl_says(Q "\xef\xbc\x95}\n", 63, "line 1, column 63: field 'qty': not a JSON number "
               "(U+FF15 is a full-width character: write it in ASCII)");
    jsonl_says(Q "1\xef\xbc\x90}\n", 63, "line 1, column 63: field 'qty': not a JSON number "
               "(U+FF10 is a full-width character: write it in ASCII)");
    /* a date and its time after a blank: the hint keeps the time (without
     * it, the event would move to midnight) */
    jsonl_says(T "2022-01-01 10:00:00}\n", 44, "line 1, column 44: field 'ts': not a JSON "
               "number (a date or time is written as a string here: \"2022-01-01 10:00:00\")");
    /* and its offset after a second blank (the hint without it would move
     * the event by hours); text the hint cannot quote gets the hint alone */
    jsonl_says(T "2022-01-01 10:00:00 Z}\n", 44, "line 1, column 44: field 'ts': not a JSON "
               "number (a date or time is written as a string here: \"2022-01-01 10:00:00 Z\")");
    jsonl_says(T "2022-01-01 10:00:00\"}\n", 44, "line 1, column 44: field 'ts': not a JSON "
               "number (a date or time is written as a string here)");
    /* other text that runs on from a number: the field named */
    jsonl_says(T "2022/01/01}\n", 44, "line 1, column 44: field 'ts': not a JSON number");
    jsonl_says(Q "50%}\n", 63, "line 1, column 63: field 'qty': not a JSON number");
    /* a quote, bracket or brace after a whole number is a missing comma's or
     * a wrong bracket's, told where it is, not the number's */
    jsonl_says(T "1640995200\"qty\":2}\n", 54, "line 1, column 54: expected ',' or '}'");
    jsonl_says(Q "2)\n", 64, "line 1, column 64: expected ',' or '}'");
    jsonl_says(Q "2]\n", 64, "line 1, column 64: expected ',' or '}'");
    /* text after a whole number and a blank is no part of it */
    jsonl_says(Q "5 6}\n", 65, "line 1, column 65: expected ',' or '}'");
    jsonl_says(Q "5\n", 64, "line 1, column 64: expected ',' or '}'"); /* cut short */
    jsonl_says(Q "five}\n", 63, "line 1, column 63: field 'qty': must be a string or a number");
#undef Q
#undef T
}

/* A bad \u escape, and a surrogate escape without its pair, are told at
 * the backslash of the escape at fault, as the rules reader tells them (it
 * was the byte after the escape, or its 'u'); so is an unknown escape. */
static void jsonl_a_bad_unicode_escape_is_told_at_its_backslash(void **state)
{
    (void)state;
#define REST ",\"subject\":\"s\",\"type\":\"fine\",\"ts\":\"2024-01-01\"}\n"
    jsonl_says("{\"id\":\"a1\",\"subject\":\"\\udc00xyz\",\"type\":\"fine\",\"ts\":\"2024-01-01\"}\n",
               23, "line 1, column 23: lone low surrogate in \\u escape");
    jsonl_says("{\"id\":\"a\\u12\"" REST, 9, "line 1, column 9: bad \\u escape");
    jsonl_says("{\"id\":\"a\\u12G4\"" REST, 9, "line 1, column 9: bad \\u escape");
    jsonl_says("{\"id\":\"x\\ud800\"" REST, 9, "line 1, column 9: lone high surrogate in \\u escape");
    jsonl_says("{\"id\":\"x\\ud800\\u0041\"" REST, 9,
               "line 1, column 9: lone high surrogate in \\u escape");
    jsonl_says("{\"id\":\"x\\ud800\\udc00\\udc00\"" REST, 21,
               "line 1, column 21: lone low surrogate in \\u escape");
    /* in the value of a key that is ignored too */
    jsonl_says("{\"note\":\"ab\\ud800\",\"id\":\"x\"" REST, 12,
               "line 1, column 12: lone high surrogate in \\u escape");
    /* an escape JSON does not know, at its backslash too (it was the letter
     * after it), with the rules reader's advice */
    jsonl_says("{\"id\":\"a\\q\"" REST, 9,
               "line 1, column 9: unknown escape in a string (write \\\\ for a backslash)");
    /* in C:\temp, \t is a tab: the \x after it is at fault */
    jsonl_says("{\"note\":\"C:\\temp\\x\",\"id\":\"x\"" REST, 17,
               "line 1, column 17: unknown escape in a string (write \\\\ for a backslash)");
#undef REST
}

static void jsonl_bad_lines_are_named(void **state)
{
    (void)state;
    const uint32_t jl = CIVIC_FORMAT_JSONL;
    load_fails("{\"id\":\"x\",\"subject\":\"s\",\"type\":\"fine\",\"ts\":\"2024-01-01\"}\n{\"id\":\"y\"",
               jl, CIVIC_E_SYNTAX, 2, 10, "expected ',' or '}'");
    load_fails("{\"id\":\"x\",\"subject\":\"s\",\"type\":\"fine\",\"ts\":\"2024-01-01\",}\n", jl,
               CIVIC_E_SYNTAX, 1, 57, "expected a key");
    load_fails("{\"id\":\"x\",\"id\":\"y\"}\n", jl, CIVIC_E_SYNTAX, 1, 11, "duplicate key \"id\"");
    /* under version-2 rules a field's name in other letters is not another
     * key to ignore: read without it, the event would count one unit where
     * the log says five (under rules of version 1 it is ignored, as in 1.0) */
    const char *v2 = RULES "[[rule.fine.change]]\nfrom = \"2030-01-01\"\npoints = -20\n";
    load_fails_under(v2, "{\"id\":\"x\",\"subject\":\"s\",\"type\":\"fine\",\"ts\":\"2024-01-01\",\"Qty\":5}\n",
                     57, "keys are lower case: write \"qty\"");
    load_fails_under(v2, "{\"ID\":\"x\"}\n", 2, "write \"id\"");
    /* nor its name with blanks around it, as a CSV header's name may have */
    load_fails_under(v2, "{\"id\":\"x\",\"subject\":\"s\",\"type\":\"fine\",\"ts\":\"2024-01-01\",\"qty \":5}\n",
                     57, "a key has no blanks around it: write \"qty\"");
    load_fails_under(v2, "{\"id\":\"x\",\"\\t Group\":\"g\"}\n", 11,
                     "a key has no blanks around it: write \"group\"");
    load_fails("{\"id\":7,\"subject\":\"s\",\"type\":\"fine\",\"ts\":\"2024-01-01\"}\n", jl,
               CIVIC_E_SYNTAX, 1, 7, "field 'id': must be a string (write \"7\")");
    /* a number for a text field: what to write, from the value; not for
     * another value, nor for one that is no whole number */
    load_fails("{\"id\":\"x\",\"subject\":-12.5e1,\"type\":\"fine\",\"ts\":\"2024-01-01\"}\n",
               jl, CIVIC_E_SYNTAX, 1, 21, "field 'subject': must be a string (write \"-12.5e1\")");
    load_fails("{\"id\":\"x\",\"subject\":\"s\",\"type\":\"fine\",\"ts\":\"2024-01-01\",\"ref\":3 }\n",
               jl, CIVIC_E_SYNTAX, 1, 63, "field 'ref': must be a string (write \"3\")");
    jsonl_says("{\"id\":007}\n", 7, "line 1, column 7: field 'id': must be a string (write "
                                    "\"007\")");
    jsonl_says("{\"id\":true}\n", 7, "line 1, column 7: field 'id': must be a string");
    jsonl_says("{\"id\":-}\n", 7, "line 1, column 7: field 'id': must be a string");
    jsonl_says("{\"id\":1x}\n", 7, "line 1, column 7: field 'id': must be a string");
    jsonl_says("{\"id\":[1]}\n", 7, "line 1, column 7: field 'id': must be a string");
    load_fails("{\"id\":\"x\",\"subject\":\"s\",\"type\":\"fine\",\"ts\":true}\n", jl,
               CIVIC_E_SYNTAX, 1, 44, "field 'ts': must be a string or a number");
    /* ".5" and "+1" are numbers in other languages, not JSON: a malformed
     * number, not a value of the wrong type */
    load_fails("{\"id\":\"x\",\"subject\":\"s\",\"type\":\"fine\",\"ts\":\"2024-01-01\",\"qty\":.5}\n",
               jl, CIVIC_E_SYNTAX, 1, 63, "field 'qty': malformed number (JSON writes 0.5, not .5)");
    load_fails("{\"id\":\"x\",\"subject\":\"s\",\"type\":\"fine\",\"ts\":\"2024-01-01\",\"qty\":+1}\n",
               jl, CIVIC_E_SYNTAX, 1, 63, "field 'qty': malformed number (JSON writes 1, not +1)");
    load_fails("{\"id\":\"x\",\"subject\":\"s\",\"type\":\"fine\",\"ts\":+1735000000}\n", jl,
               CIVIC_E_SYNTAX, 1, 44, "field 'ts': malformed number (JSON writes 1735000000, not "
               "+1735000000)");
    load_fails("{\"id\":\"x\",\"subject\":\"s\",\"type\":\"fine\"}\n", jl, CIVIC_E_EVENT, 1, 0, "'ts': missing");
    load_fails("{\"id\":\"x\",\"subject\":\"s\",\"type\":\"fine\",\"ts\":\"2024-01-01\"} x\n", jl,
               CIVIC_E_SYNTAX, 1, 58, "after the object");
    /* an empty object is checked for what follows it too (it was refused
     * for its missing id, so {}{...} of two lines run together said so) */
    load_fails("{}{\"id\":\"x\",\"subject\":\"s\",\"type\":\"fine\",\"ts\":\"2024-01-01\"}\n", jl,
               CIVIC_E_SYNTAX, 1, 3, "line 1, column 3: unexpected text after the object: "
               "another object on the same line (JSON Lines is one object a line: were the "
               "log's line breaks removed? curl -d removes them: send the file with "
               "--data-binary)");
    /* on a later line the log has line breaks: the objects are told, not
     * the advice */
    assert_string_equal(load_message("{\"id\":\"a\",\"subject\":\"s\",\"type\":\"fine\",\"ts\":1}\n"
                                     "{\"id\":\"b\",\"subject\":\"s\",\"type\":\"fine\",\"ts\":1}"
                                     "{\n"),
                        "line 2, column 46: unexpected text after the object: another object on "
                        "the same line (JSON Lines is one object a line)");
    /* other text after an object is no sign of a line break gone */
    assert_string_equal(load_message("{\"id\":\"x\",\"subject\":\"s\",\"type\":\"fine\",\"ts\":1} "
                                     "[1]\n"),
                        "line 1, column 47: unexpected text after the object");
    load_fails("{ } \n", jl, CIVIC_E_EVENT, 1, 0, "line 1: field 'id': missing");
    load_fails("[1,2]\n", jl, CIVIC_E_SYNTAX, 1, 1, "JSON object");
    load_fails("{\"id\":\"x\\ud800\",\"subject\":\"s\",\"type\":\"fine\",\"ts\":\"2024-01-01\"}\n", jl,
               CIVIC_E_SYNTAX, 1, 0, "surrogate");
    /* a JSON string is text: an exponent there is not a decimal */
    load_fails("{\"id\":\"x\",\"subject\":\"s\",\"type\":\"hour\",\"ts\":\"2024-01-01\",\"qty\":\"1e3\"}\n",
               jl, CIVIC_E_EVENT, 1, 63, "not a number");
    load_fails("{\"id\":\"x\",\"subject\":\"s\",\"type\":\"bogus\",\"ts\":\"2024-01-01\"}\n", jl,
               CIVIC_E_EVENT, 1, 32, "unknown type");
    /* a ts number too large to write out is refused, not cut at its point
     * (7.5e99 was read as 7 seconds) */
    load_fails("{\"id\":\"x\",\"subject\":\"s\",\"type\":\"fine\",\"ts\":7.5e99}\n", jl,
               CIVIC_E_LIMIT, 1, 44, "timestamp out of range (years 0001..9999 in UTC) \"7.5e99\"");
    load_fails("{\"id\":\"x\",\"subject\":\"s\",\"type\":\"fine\",\"ts\":-2.5E+41}\n", jl,
               CIVIC_E_LIMIT, 1, 44, "-2.5E+41");
    /* a ts number written out before it is refused: the quote says so
     * ("-62135596801" is in no file); one as written is quoted alone */
    load_fails("{\"id\":\"x\",\"subject\":\"s\",\"type\":\"fine\",\"ts\":-62135596800.5}\n", jl,
               CIVIC_E_LIMIT, 1, 44, "timestamp out of range (years 0001..9999 in UTC) "
               "\"-62135596801\" (the JSON number written out, to the whole second)");
    load_fails("{\"id\":\"x\",\"subject\":\"s\",\"type\":\"fine\",\"ts\":1e20}\n", jl,
               CIVIC_E_LIMIT, 1, 44, "\"100000000000000000000\" (the JSON number written out");
    /* Unix milliseconds, as a number or as text, in JSON Lines and CSV */
    load_fails("{\"id\":\"x\",\"subject\":\"s\",\"type\":\"fine\",\"ts\":1767607200000}\n", jl,
               CIVIC_E_LIMIT, 1, 44, "field 'ts': timestamp out of range (years 0001..9999 in "
               "UTC): it looks like milliseconds; write Unix seconds (drop the last three digits) "
               "\"1767607200000\"");
    /* digits and a fraction below 100000000, however many zeros lead them:
     * not told to write Unix seconds of 1970 */
    assert_true(ends_with(load_message("id,subject,type,ts\nx,s,fine,000045000.5\n"),
                          "\"000045000.5\""));
    assert_true(ends_with(load_message("{\"id\":\"x\",\"subject\":\"s\",\"type\":\"fine\","
                                       "\"ts\":-62135596801}\n"),
                          "timestamp out of range (years 0001..9999 in UTC) \"-62135596801\""));
    load_fails("{\"id\":\"x\",\"subject\":\"s\",\"type\":\"fine\",\"ts\":\"1767607200000\"}\n",
               jl, CIVIC_E_LIMIT, 1, 44, "it looks like milliseconds; write Unix seconds (drop the "
               "last three digits)");
    load_fails("id,subject,type,ts\nx,s,fine,1767607200000\n", CIVIC_FORMAT_CSV, CIVIC_E_LIMIT, 2,
               10, "it looks like milliseconds; write Unix seconds (drop the last three digits)");
    /* a qty number too large or too small to write out says which, as one
     * that can be written out does (both were "not a number") */
    load_fails("{\"id\":\"x\",\"subject\":\"s\",\"type\":\"hour\",\"ts\":\"2024-01-01\",\"qty\":1e400}\n",
               jl, CIVIC_E_LIMIT, 1, 63, "bad qty: number too large (a non-negative decimal, at most 3 places, at most 1000000000000) \"1e400\"");
    load_fails("{\"id\":\"x\",\"subject\":\"s\",\"type\":\"hour\",\"ts\":\"2024-01-01\",\"qty\":1e-400}\n",
               jl, CIVIC_E_EVENT, 1, 63, "bad qty: too many decimal places");
    load_fails("{\"id\":\"x\",\"subject\":\"s\",\"type\":\"redeem\",\"ts\":\"2024-01-01\",\"qty\":2E+41}\n",
               jl, CIVIC_E_LIMIT, 1, 65, "bad redeem amount: number too large");
    /* JSON numbers past what can be written out say why, naming the limit
     * the manual gives (95 bytes as written, 52 digits with an exponent) or
     * the value's range; "longer than 64 bytes" named the wrong limit */
    char line[512], digits[256];
    const char *head = "{\"id\":\"x\",\"subject\":\"s\",\"type\":\"hour\",\"ts\":";
    memset(digits, '0', 200);
    digits[200] = '\0';
    snprintf(line, sizeof(line), "%s\"2024-01-01\",\"qty\":1%.95s}\n", head, digits);
    load_fails(line, jl, CIVIC_E_LIMIT, 1, 63, "bad qty: number too large");
    snprintf(line, sizeof(line), "%s\"2024-01-01\",\"qty\":1.%.200s}\n", head, digits);
    load_fails(line, jl, CIVIC_E_LIMIT, 1, 63, "field 'qty': a JSON number longer than 95 bytes");
    snprintf(line, sizeof(line), "%s1700000000.%.100s}\n", head, digits);
    load_fails(line, jl, CIVIC_E_LIMIT, 1, 44, "field 'ts': a JSON number longer than 95 bytes");
    snprintf(line, sizeof(line), "%s1%.70s}\n", head, digits);
    load_fails(line, jl, CIVIC_E_LIMIT, 1, 44, "field 'ts': timestamp out of range");
    load_fails("{\"id\":\"x\",\"subject\":\"s\",\"type\":\"fine\",\"ts\":1e50}\n", jl,
               CIVIC_E_LIMIT, 1, 44, "field 'ts': timestamp out of range");
    snprintf(line, sizeof(line), "%s1.7%.60se9}\n", head, digits);
    load_fails(line, jl, CIVIC_E_LIMIT, 1, 44,
               "field 'ts': a JSON number with an exponent has at most 52 digits");
    /* the same numbers within the limits are read */
    civic_engine *e = fresh();
    snprintf(line, sizeof(line), "%s1.7%.49se9,\"qty\":1.%.60se2}\n", head, digits, digits);
    load_ok(e, line);
    assert_int_equal(score_at(e, "s", "2024-01-01").score, P(1000) + P(100));
    civic_engine_free(e);
}

static int count_rejects(void *payload, const civic_error *err)
{
    uint64_t *lines = payload;
    lines[++lines[0]] = err->line;
    return 0;
}

static void lenient_mode_applies_every_good_line(void **state)
{
    (void)state;
    civic_engine *e = fresh();
    const char *csv = "id,subject,type,ts\n"
                      "a,s,fine,2024-01-01\n"
                      "b,s,nope,2024-01-01\n"      /* line 3: unknown type */
                      "c,s,fine,2024-13-01\n"      /* line 4: bad ts */
                      "a,s,fine,2024-01-01\n"      /* line 5: duplicate */
                      "d,s,fine,2024-01-02,x\n"    /* line 6: field count */
                      "e,t,fine,2024-01-03\n";
    uint64_t lines[8] = { 0 };
    civic_load_options opts = CIVIC_LOAD_OPTIONS_INIT;
    civic_load_report rep = CIVIC_LOAD_REPORT_INIT;
    opts.flags = CIVIC_LOAD_LENIENT;
    opts.on_reject = count_rejects;
    opts.payload = lines;
    assert_int_equal(civic_engine_load(e, csv, strlen(csv), &opts, &rep, NULL), CIVIC_OK);
    assert_int_equal(rep.accepted, 2);
    assert_int_equal(rep.duplicates, 1);
    assert_int_equal(rep.rejected, 3);
    assert_int_equal(lines[0], 3);
    assert_int_equal(lines[1], 3);
    assert_int_equal(lines[2], 4);
    assert_int_equal(lines[3], 6);
    assert_int_equal(civic_engine_event_count(e), 2);
    civic_engine_free(e);
}

/* JSON Lines whose lines end in a lone CR read as one line: skipped, it
 * would take every event with it, so a lenient load stops there too. */
static void lone_cr_line_ends_stop_a_lenient_jsonl_load(void **state)
{
    (void)state;
    civic_engine *e = fresh();
    const char *data = "{\"id\":\"a\",\"subject\":\"s\",\"type\":\"fine\",\"ts\":\"2024-01-01\"}\n"
                       "{\"id\":\"b\",\"subject\":\"s\",\"type\":\"fine\",\"ts\":\"2024-01-01\"}\r"
                       "{\"id\":\"c\",\"subject\":\"s\",\"type\":\"fine\",\"ts\":\"2024-01-01\"}\r";
    civic_load_options opts = CIVIC_LOAD_OPTIONS_INIT;
    civic_error err = CIVIC_ERROR_INIT;
    opts.flags = CIVIC_LOAD_LENIENT;
    opts.format = CIVIC_FORMAT_JSONL;
    assert_int_equal(civic_engine_load(e, data, strlen(data), &opts, NULL, &err), CIVIC_E_SYNTAX);
    assert_int_equal(err.line, 2);
    assert_int_equal(err.column, 58);
    assert_non_null(strstr(err.message, "lines must end in LF or CRLF"));
    assert_int_equal(civic_engine_event_count(e), 0);
    /* blanks around the CR (JSON whitespace) hide it no better */
    const char *blank[] = { "} \r\t{", "}\r {", "}\r\r  {", "} \r{" };
    for (size_t k = 0; k < sizeof(blank) / sizeof(blank[0]); k++) {
        char text[256];
        int len = snprintf(text, sizeof(text), "{\"id\":\"b\",\"subject\":\"s\",\"type\":"
                           "\"fine\",\"ts\":1%s\"id\":\"c\",\"subject\":\"s\",\"type\":"
                           "\"fine\",\"ts\":2}\r\n", blank[k]);
        err = (civic_error)CIVIC_ERROR_INIT;
        assert_int_equal(civic_engine_load(e, text, (size_t)len, &opts, NULL, &err),
                         CIVIC_E_SYNTAX);
        assert_int_equal(err.line, 1);
        assert_int_equal(err.column, (uint32_t)(strchr(text + 1, '{') - text + 1));
        assert_non_null(strstr(err.message, "lines must end in LF or CRLF"));
        assert_int_equal(civic_engine_event_count(e), 0);
    }
    /* CSV records joined by a lone CR below a header that ends in LF: a whole
     * record before the CR stops a lenient load too; a stray CR elsewhere in
     * a record of too many fields is that record's fault alone */
    opts.format = CIVIC_FORMAT_CSV;
    const char *csv = "id,subject,type,ts\nx,s,fine,2024-01-01\ry,s,fine,2024-01-02\r"
                      "z,s,fine,2024-01-03\n";
    err = (civic_error)CIVIC_ERROR_INIT;
    assert_int_equal(civic_engine_load(e, csv, strlen(csv), &opts, NULL, &err), CIVIC_E_SYNTAX);
    assert_int_equal(err.line, 2);
    assert_string_equal(err.message, "line 2: expected 4 fields as in the header, found 10 (a "
                                     "carriage return at column 20: lines must end in LF or "
                                     "CRLF)");
    assert_int_equal(civic_engine_event_count(e), 0);
    /* with quoted fields too: the quote after the CR fails first, the CR is
     * still what is wrong */
    const char *quoted[] = {
        "id,subject,type,ts\nx,\"s\",fine,2024-01-01\ry,\"s\",fine,2024-01-02\r",
        "id,subject,type,ts\nx,s,fine,\"2024-01-01\"\ry,s,fine,\"2024-01-02\"\r\n",
        "id,subject,type,ts\nx,s,fine,2024-01-01\r\"y\",s,fine,2024-01-02\r\n",
    };
    for (size_t k = 0; k < sizeof(quoted) / sizeof(quoted[0]); k++) {
        err = (civic_error)CIVIC_ERROR_INIT;
        assert_int_equal(civic_engine_load(e, quoted[k], strlen(quoted[k]), &opts, NULL, &err),
                         CIVIC_E_SYNTAX);
        assert_int_equal(err.line, 2);
        assert_non_null(strstr(err.message, "a carriage return at column 2"));
        assert_int_equal(civic_engine_event_count(e), 0);
    }
    /* a blank or a short record after the first CR hides the whole ones
     * after it no better; a CR on the record's first line is named there */
    const char *between[] = {
        "id,subject,type,ts\nx,s,fine,2024-01-01\r\ry,s,fine,2024-01-02\r\n",
        "id,subject,type,ts\nx,s,fine,2024-01-01\ry,s,fine\rz,s,fine,2024-01-03\r\n",
    };
    for (size_t k = 0; k < sizeof(between) / sizeof(between[0]); k++) {
        err = (civic_error)CIVIC_ERROR_INIT;
        assert_int_equal(civic_engine_load(e, between[k], strlen(between[k]), &opts, NULL, &err),
                         CIVIC_E_SYNTAX);
        assert_non_null(strstr(err.message, "(a carriage return at column 20: "));
    }
    const char *later = "id,subject,type,ts\nx,s,fine,2024-01-01\ry,s,\"a\nb\",2024-01-02 z\"\n";
    err = (civic_error)CIVIC_ERROR_INIT;
    assert_int_equal(civic_engine_load(e, later, strlen(later), &opts, NULL, &err), CIVIC_E_SYNTAX);
    assert_int_equal(err.line, 3);
    assert_non_null(strstr(err.message, "(a carriage return at line 2, column 20: "));
    {   /* a "record" of joined records longer than 1 MiB: stopped, not skipped */
        size_t cap = (size_t)3 << 20, len = 0;
        char *big = malloc(cap);
        assert_non_null(big);
        len += (size_t)snprintf(big, cap, "id,subject,type,ts\n");
        for (int i = 0; len + 64 < cap - 64; i++)
            len += (size_t)snprintf(big + len, cap - len, "e%d,s,fine,2024-01-01\r", i);
        big[len++] = '\n';
        err = (civic_error)CIVIC_ERROR_INIT;
        assert_int_equal(civic_engine_load(e, big, len, &opts, NULL, &err), CIVIC_E_LIMIT);
        assert_non_null(strstr(err.message, "record longer than 1 MiB (a carriage return at "));
        assert_int_equal(civic_engine_event_count(e), 0);
        free(big);
    }
    {   /* a stray quote in a large log: the record it makes passes 1 MiB;
         * the error says where the quote opens and the lines it took */
        size_t cap = (size_t)2 << 20, len = 0;
        char *big = malloc(cap);
        assert_non_null(big);
        len += (size_t)snprintf(big, cap, "id,subject,type,ts,note\na0,s,fine,2024-01-01,\"oops\n");
        unsigned k = 0;
        while (len + 64 < cap - 64)
            len += (size_t)snprintf(big + len, cap - len, "a%u,s,fine,2024-01-01,\n", ++k);
        len += (size_t)snprintf(big + len, cap - len, "z,s,fine,2024-01-01,\"\nw,s,fine,2024-01-01,\n");
        char want[200];
        snprintf(want, sizeof(want), "line 2: record longer than 1 MiB (the quoted field opened at "
                 "line 2, column 22 holds line breaks: lines 2 to %u were read as one record)",
                 k + 3);
        civic_engine *big_e = fresh();
        err = (civic_error)CIVIC_ERROR_INIT;
        assert_int_equal(civic_engine_load(big_e, big, len, NULL, NULL, &err), CIVIC_E_LIMIT);
        assert_string_equal(err.message, want);
        civic_load_options lenient = CIVIC_LOAD_OPTIONS_INIT;
        lenient.flags = CIVIC_LOAD_LENIENT;
        civic_load_report rep = CIVIC_LOAD_REPORT_INIT;
        assert_int_equal(civic_engine_load(big_e, big, len, &lenient, &rep, NULL), CIVIC_OK);
        assert_int_equal(rep.rejected, 1);
        assert_int_equal(rep.accepted, 1); /* w, after the record */
        civic_engine_free(big_e);
        free(big);
    }
    /* the lines read as one record run to its end, past the error */
    load_fails("id,subject,type,ts,note\ne2,s,fine,2024-01-01,\"g\ne3,s,fine,2024-01-01,g\"x,\"\n"
               "e4,s,fine,2024-01-01,g\",\n", CIVIC_FORMAT_CSV, CIVIC_E_SYNTAX, 3, 24,
               "line 3, column 24: unexpected character after a closing quote (the quoted field "
               "opened at line 2, column 22 holds line breaks: lines 2 to 4 were read as one "
               "record)");
    /* a CR after a whole record, then no whole record: that record's fault */
    const char *tail = "id,subject,type,ts,qty\nx,s,fine,2024-01-01,\r,q\nw,s,fine,2024-01-02,\n";
    civic_load_report two = CIVIC_LOAD_REPORT_INIT;
    assert_int_equal(civic_engine_load(e, tail, strlen(tail), &opts, &two, &err), CIVIC_OK);
    assert_int_equal(two.rejected, 1);
    assert_int_equal(civic_engine_event_count(e), 1);
    const char *stray = "id,subject,type,ts\nx,s\ry,fine,2024-01-01,q\nz,s,fine,2024-01-03\n";
    civic_load_report one = CIVIC_LOAD_REPORT_INIT;
    assert_int_equal(civic_engine_load(e, stray, strlen(stray), &opts, &one, &err), CIVIC_OK);
    assert_int_equal(one.rejected, 1);
    assert_int_equal(civic_engine_event_count(e), 2);
    opts.format = CIVIC_FORMAT_JSONL;
    /* a CR as JSON whitespace before a value that is an object: one bad line */
    const char *inside = "{\"id\":\"a\",\"subject\":\r{\"x\":1},\"type\":\"fine\",\"ts\":1}\n"
                         "{\"id\":\"b\",\"subject\":\"s\",\"type\":\"fine\",\"ts\":1}\n";
    civic_load_report rep = CIVIC_LOAD_REPORT_INIT;
    assert_int_equal(civic_engine_load(e, inside, strlen(inside), &opts, &rep, &err), CIVIC_OK);
    assert_int_equal(rep.rejected, 1);
    assert_int_equal(civic_engine_event_count(e), 3);
    civic_engine_free(e);
}

/* A header that cannot be read stops a lenient load as a missing column
 * does: skipping it made the first record the header (a stray quote in it),
 * or the whole file one skipped record (an unclosed quote). */
static void an_unreadable_header_stops_a_lenient_load(void **state)
{
    (void)state;
    const char *bad[] = { "id,sub\"ject,type,ts\nid,subject,type,ts\na,s,fine,2024-01-01\n",
                          "id,\"subject,type,ts\na,s,fine,2024-01-01\n",
                          "id,\"subject\"x,type,ts\na,s,fine,2024-01-01\n" };
    const uint32_t column[] = { 7, 0, 0 };
    for (int k = 0; k < 3; k++) {
        civic_engine *e = fresh();
        civic_load_options opts = CIVIC_LOAD_OPTIONS_INIT;
        civic_error err = CIVIC_ERROR_INIT;
        civic_load_report rep = CIVIC_LOAD_REPORT_INIT;
        opts.flags = CIVIC_LOAD_LENIENT;
        assert_int_equal(civic_engine_load(e, bad[k], strlen(bad[k]), &opts, &rep, &err),
                         CIVIC_E_SYNTAX);
        assert_int_equal(err.line, 1);
        if (column[k]) assert_int_equal(err.column, column[k]);
        assert_int_equal(rep.accepted, 0);
        assert_int_equal(civic_engine_event_count(e), 0);
        civic_engine_free(e);
    }
}

/* Compressed data, archives, programs, UTF-16 and UTF-32 are said to be what they
 * are, strict or lenient, from a buffer or a file; a header that merely
 * begins like one (BZh, PK) still loads. */
/* The load of data[0..len) into a fresh engine, *e: from memory, or from
 * the file path holding the same bytes; strict or lenient. */
static int load_either(civic_engine **e, const char *path, const char *data, size_t len,
                       int lenient, int from_file, civic_error *err)
{
    civic_load_options opts = CIVIC_LOAD_OPTIONS_INIT;
    opts.flags = lenient ? CIVIC_LOAD_LENIENT : 0;
    *e = fresh();
    return from_file ? civic_engine_load_file(*e, path, &opts, NULL, err)
                     : civic_engine_load(*e, data, len, &opts, NULL, err);
}

static void what_is_not_a_log_is_named(void **state)
{
    (void)state;
    static const struct { const char *data; size_t len; const char *words; } bad[] = {
        { "\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03id,x", 14, "gzip-compressed" },
        { "\x28\xb5\x2f\xfd\x04\x58", 6, "zstd-compressed" },
        { "\xfd" "7zXZ\x00\x00", 7, "xz-compressed" },
        { "BZh91AY&SY\x01\x02", 12, "bzip2-compressed" },
        { "PK\x03\x04\x14\x00", 6, "zip archive" },
        { "SQLite format 3\x00\x10\x00", 18, "SQLite database" },
        { "\x7f" "ELF\x02\x01", 6, "a program" },
        { "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00", 9,
          "an Excel 97-2003 workbook or another old Office file (a .doc, a .msg): save the sheet "
          "as CSV" },
        { "\xff\xfei\x00d\x00", 6, "UTF-16" },
        { "\xfe\xff\x00i\x00d", 6, "UTF-16" },
        { "\xff\xfe\x00\x00i\x00\x00\x00", 8, "UTF-32" }, /* its mark begins as UTF-16's */
        { "\x00\x00\xfe\xff\x00\x00\x00i", 8, "UTF-32" },
        /* without a byte order mark, as the rules reader names them (a
         * character of ASCII beside one NUL, or three) */
        { "i\0d\0,\0s\0\n\0", 10, "UTF-16 text (event logs are UTF-8: convert it first)" },
        { "\0i\0d\0,\0s\0\n", 10, "UTF-16 text (event logs are UTF-8: convert it first)" },
        { "i\0\0\0d\0\0\0", 8, "UTF-32 text (event logs are UTF-8: convert it first)" },
        { "\0\0\0i\0\0\0d", 8, "UTF-32 text (event logs are UTF-8: convert it first)" },
        /* the library's own files, given to a load beside the call that
         * opens them (the CSV reader said "a quote inside an unquoted
         * field" of a snapshot's header): the real headers' first bytes */
        { "CIVICSNP\x02\x00\x00\x00\x00\x00\x00\x00", 16,
          "not an event log: a libcivic snapshot (open it as one: civic_engine_load_snapshot or "
          "civic_engine_open_snapshot, Python's Engine.load_snapshot or Engine.open_snapshot, or "
          "civic-server --data)" },
        { "CIVICJNL\x02\x00\x00\x00\x00\x00\x00\x00", 16,
          "not an event log: a libcivic journal (open it as one: civic_engine_journal_open, "
          "Python's Engine.journal_open, or civic-server --data)" },
    };
    char path[] = "/tmp/civic-test-notlog-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
        FILE *f = fopen(path, "wb");
        assert_non_null(f);
        assert_int_equal(fwrite(bad[k].data, 1, bad[k].len, f), bad[k].len);
        fclose(f);
        for (int lenient = 0; lenient < 2; lenient++) {
            for (int from_file = 0; from_file < 2; from_file++) {
                civic_engine *e;
                civic_error err = CIVIC_ERROR_INIT;
                int rc = load_either(&e, path, bad[k].data, bad[k].len, lenient, from_file, &err);
                if (rc != CIVIC_E_SYNTAX || !strstr(err.message, bad[k].words))
                    fprintf(stderr, "case %zu: %d %s\n", k, rc, err.message);
                assert_int_equal(rc, CIVIC_E_SYNTAX);
                assert_int_equal(err.line, 1);
                assert_int_equal(err.column, 1);
                assert_non_null(strstr(err.message, "not an event log"));
                assert_non_null(strstr(err.message, bad[k].words));
                assert_int_equal(civic_engine_event_count(e), 0);
                civic_engine_free(e);
            }
        }
    }
    unlink(path);
    const char *fine[] = { "BZhours,id,subject,type,ts\n1,a,s,fine,2024-01-01\n",
                           "PK,id,subject,type,ts\n1,a,s,fine,2024-01-01\n" };
    for (int k = 0; k < 2; k++) {
        civic_engine *e = fresh();
        load_ok(e, fine[k]);
        assert_int_equal(civic_engine_event_count(e), 1);
        civic_engine_free(e);
    }
}

/* UTF-16 and UTF-32 text without a byte order mark is named as the rules
 * reader names it, by a strict JSON Lines load and by civic_split too; a
 * stray NUL in a header is still the header's to name, and a lenient JSON
 * Lines load skips such a first line as with a mark. */
static void unmarked_utf16_and_utf32_are_named(void **state)
{
    (void)state;
    static const char want16[] = "line 1, column 1: not an event log: UTF-16 text (event logs "
                                 "are UTF-8: convert it first)";
    static const char jsonl16[] = "{\0\"\0i\0d\0\"\0:\0\"\0a\0\"\0}\0\n\0";
    civic_engine *e = fresh();
    civic_load_options opts = CIVIC_LOAD_OPTIONS_INIT;
    civic_error err = CIVIC_ERROR_INIT;
    opts.format = CIVIC_FORMAT_JSONL;
    assert_int_equal(civic_engine_load(e, jsonl16, sizeof(jsonl16) - 1, &opts, NULL, &err),
                     CIVIC_E_SYNTAX);
    assert_string_equal(err.message, want16);
    opts.flags = CIVIC_LOAD_LENIENT;
    civic_load_report rep = CIVIC_LOAD_REPORT_INIT;
    assert_int_equal(civic_engine_load(e, jsonl16, sizeof(jsonl16) - 1, &opts, &rep, NULL),
                     CIVIC_OK);
    assert_int_equal(rep.rejected, 2); /* the line, and the NUL after its line feed */
    assert_int_equal(civic_engine_event_count(e), 0);
    civic_engine_free(e);

    static const char csv16be[] = "\0i\0d\0,\0s\0u\0b\0j\0e\0c\0t\0\n";
    civic_split_options so = CIVIC_SPLIT_OPTIONS_INIT;
    err = (civic_error)CIVIC_ERROR_INIT;
    assert_int_equal(civic_split(csv16be, sizeof(csv16be) - 1, &so, NULL, 0, NULL, NULL, NULL,
                                 &err),
                     CIVIC_E_SYNTAX);
    assert_string_equal(err.message, want16);

    static const char stray[] = "id,s\0ubject,type,ts\na,s,fine,2024-01-01\n";
    e = fresh();
    err = (civic_error)CIVIC_ERROR_INIT;
    assert_true(civic_engine_load(e, stray, sizeof(stray) - 1, NULL, NULL, &err) < 0);
    assert_null(strstr(err.message, "UTF-16"));
    assert_null(strstr(err.message, "not an event log"));
    civic_engine_free(e);
}

static int stop_at_first(void *payload, const civic_error *err)
{
    (void)payload;
    (void)err;
    return 1;
}

/* A reject callback runs inside the load's write.  It called back into the
 * engine: the rwlock refused the nested lock (EDEADLK, ignored) and the
 * unlock after the call released the load's own lock, so the rest of the
 * load ran unlocked (another thread saw half a batch) and an add from the
 * callback was acknowledged, then rolled back with the load.  Now a query
 * from it reads under the load's lock and sees the batch so far; a write, a
 * save and a compaction are refused; the load is whole afterwards. */
typedef struct reenter {
    civic_engine *e;
    uint64_t seen;      /* events the callback saw */
    int add_rc, save_rc, query_rc;
    int snap_rc, file_rc; /* loads of files that do not exist: refused as writes first */
} reenter;

static int reenter_reject(void *payload, const civic_error *err)
{
    (void)err;
    reenter *r = payload;
    r->seen = civic_engine_event_count(r->e);
    civic_result *res = NULL;
    r->query_rc = civic_engine_subjects(r->e, CIVIC_TIME_MAX, &res);
    civic_result_free(res);
    civic_event ev = event_of("inside", "s", "fine", "2024-01-01");
    civic_error e2 = CIVIC_ERROR_INIT;
    r->add_rc = civic_engine_add(r->e, &ev, &e2);
    r->save_rc = civic_engine_save(r->e, "/tmp/civic-test-reenter.snap", NULL);
    r->snap_rc = civic_engine_load_snapshot(r->e, "/nonexistent/civic-reenter.snap", NULL);
    r->file_rc = civic_engine_load_file(r->e, "/nonexistent/civic-reenter.csv", NULL, NULL, NULL);
    return 0;
}

static void a_reject_callback_may_query_the_engine_but_not_write_it(void **state)
{
    (void)state;
    civic_engine *e = fresh();
    reenter r = { e, 0, 1, 1, 1, 1, 1 };
    civic_load_options opts = CIVIC_LOAD_OPTIONS_INIT;
    opts.flags = CIVIC_LOAD_LENIENT;
    opts.on_reject = reenter_reject;
    opts.payload = &r;
    const char *data = "id,subject,type,ts\na1,s,fine,2024-01-01\nbad,s,nope,2024-01-01\n"
                       "a2,s,fine,2024-01-02\n";
    assert_int_equal(civic_engine_load(e, data, strlen(data), &opts, NULL, NULL), CIVIC_OK);
    assert_int_equal(r.seen, 1);          /* the batch so far */
    assert_int_equal(r.query_rc, CIVIC_OK);
    assert_int_equal(r.add_rc, CIVIC_E_INVALID);
    assert_int_equal(r.save_rc, CIVIC_E_INVALID);
    /* the write is refused before the file is opened (a missing one said
     * CIVIC_E_IO, a FIFO would block the load) */
    assert_int_equal(r.snap_rc, CIVIC_E_INVALID);
    assert_int_equal(r.file_rc, CIVIC_E_INVALID);
    assert_int_equal(civic_engine_event_count(e), 2);
    /* the load's lock held to its end: a write from this thread now works,
     * and the rwlock is in a usable state (a second load, a query) */
    load_ok(e, "id,subject,type,ts\na3,s,fine,2024-01-03\n");
    assert_int_equal(civic_engine_event_count(e), 3);
    unlink("/tmp/civic-test-reenter.snap");
    civic_engine_free(e);
}

/* Two engines: A's reject callback loads into B, whose callback writes to
 * A.  Only the innermost write was known, so the call on A took A's lock
 * again (the original fault, one level deeper): acknowledged, then lost,
 * and A's lock broken.  Every engine the thread is writing is known now. */
typedef struct nested {
    civic_engine *a, *b;
    int inner_rc, b_load_rc;
} nested;

static int nested_b_reject(void *payload, const civic_error *err)
{
    (void)err;
    nested *n = payload;
    civic_event ev = event_of("from-b", "s", "fine", "2024-01-01");
    n->inner_rc = civic_engine_add(n->a, &ev, NULL);
    return 0;
}

static int nested_a_reject(void *payload, const civic_error *err)
{
    (void)err;
    nested *n = payload;
    civic_load_options opts = CIVIC_LOAD_OPTIONS_INIT;
    opts.flags = CIVIC_LOAD_LENIENT;
    opts.on_reject = nested_b_reject;
    opts.payload = n;
    const char *data = "id,subject,type,ts\nb1,s,fine,2024-01-01\nbad,s,nope,2024-01-01\n";
    n->b_load_rc = civic_engine_load(n->b, data, strlen(data), &opts, NULL, NULL);
    return 1; /* and stop A's load */
}

static void a_callback_into_another_engine_may_not_write_the_first(void **state)
{
    (void)state;
    nested n = { fresh(), fresh(), 1, 1 };
    civic_load_options opts = CIVIC_LOAD_OPTIONS_INIT;
    opts.flags = CIVIC_LOAD_LENIENT;
    opts.on_reject = nested_a_reject;
    opts.payload = &n;
    const char *data = "id,subject,type,ts\na1,s,fine,2024-01-01\nbad,s,nope,2024-01-01\n";
    assert_int_equal(civic_engine_load(n.a, data, strlen(data), &opts, NULL, NULL), CIVIC_E_USER);
    assert_int_equal(n.b_load_rc, CIVIC_OK);
    assert_int_equal(n.inner_rc, CIVIC_E_INVALID);
    assert_int_equal(civic_engine_event_count(n.a), 0);
    assert_int_equal(civic_engine_event_count(n.b), 1);
    load_ok(n.a, "id,subject,type,ts\na2,s,fine,2024-01-02\n"); /* A's lock is whole */
    assert_int_equal(civic_engine_event_count(n.a), 1);
    civic_engine_free(n.a);
    civic_engine_free(n.b);
}

/* A query from a callback may fold a busy subject (the fold cache keeps
 * subjects of 4,096 events or more); the load then rolled back, the next
 * add gave the subject the same count and newest event number, and the
 * kept fold answered with the rolled-back event in it. */
typedef struct cache_probe {
    civic_engine *e;
    int64_t seen;
} cache_probe;

static int cache_probe_reject(void *payload, const civic_error *err)
{
    (void)err;
    cache_probe *c = payload;
    c->seen = score_at(c->e, "s", "2025-01-01").score;
    return 1; /* stop: the batch is rolled back */
}

static void a_query_inside_a_rolled_back_load_leaves_no_fold(void **state)
{
    (void)state;
    size_t cap = 64 + 5000 * 48, len = 0;
    char *big = malloc(cap);
    assert_non_null(big);
    len += (size_t)snprintf(big, cap, "id,subject,type,ts,qty\n");
    for (int i = 0; i < 5000; i++)
        len += (size_t)snprintf(big + len, cap - len, "h%d,s,hour,2024-01-01T00:00:%02d,0.01\n", i,
                                i % 60);
    civic_engine *e = fresh();
    load_ok(e, big);
    free(big);
    cache_probe c = { e, 0 };
    civic_load_options opts = CIVIC_LOAD_OPTIONS_INIT;
    opts.flags = CIVIC_LOAD_LENIENT;
    opts.on_reject = cache_probe_reject;
    opts.payload = &c;
    const char *data = "id,subject,type,ts\nx1,s,fine,2024-06-01\nbad,s,nope,2024-06-01\n";
    assert_int_equal(civic_engine_load(e, data, strlen(data), &opts, NULL, NULL), CIVIC_E_USER);
    assert_int_equal(c.seen, P(1000 + 50 - 10)); /* the batch so far: 5,000 x 0.01 h, one fine */
    load_ok(e, "id,subject,type,ts,qty\ny1,s,hour,2024-06-02,5\n");
    assert_int_equal(score_at(e, "s", "2025-01-01").score, P(1000 + 50 + 5));
    civic_engine_free(e);
}

static void a_reject_callback_can_stop_the_load_and_undo_it(void **state)
{
    (void)state;
    civic_engine *e = fresh();
    const char *csv = "id,subject,type,ts\na,s,fine,2024-01-01\nb,s,nope,2024-01-01\n";
    civic_load_options opts = CIVIC_LOAD_OPTIONS_INIT;
    opts.flags = CIVIC_LOAD_LENIENT;
    opts.on_reject = stop_at_first;
    assert_int_equal(civic_engine_load(e, csv, strlen(csv), &opts, NULL, NULL), CIVIC_E_USER);
    assert_int_equal(civic_engine_event_count(e), 0);
    civic_engine_free(e);
}

static void identical_events_are_duplicates_and_change_nothing(void **state)
{
    (void)state;
    civic_engine *e = fresh();
    civic_event ev = CIVIC_EVENT_INIT;
    ev.id = "a";
    ev.subject = "s";
    ev.type = "hour";
    ev.ts = "2024-01-01";
    ev.qty = "1.5";
    civic_error err = CIVIC_ERROR_INIT;
    assert_int_equal(civic_engine_add(e, &ev, &err), CIVIC_OK);
    /* the same instant written differently, the same qty with a trailing zero */
    ev.ts = "2023-12-31T16:00:00Z";
    ev.qty = "1.50";
    assert_int_equal(civic_engine_add(e, &ev, &err), CIVIC_DUPLICATE);
    ev.qty = "2";
    assert_int_equal(civic_engine_add(e, &ev, &err), CIVIC_E_CONFLICT);
    assert_non_null(strstr(err.message, "different qty"));
    assert_int_equal(err.line, 0);
    assert_int_equal(err.column, 1); /* the id, field 1, as a load's column of the id */
    ev.qty = "1.5";
    ev.group = "x/y";
    assert_int_equal(civic_engine_add(e, &ev, &err), CIVIC_E_CONFLICT);
    assert_non_null(strstr(err.message, "different group"));
    assert_int_equal(civic_engine_event_count(e), 1);
    assert_int_equal(score_at(e, "s", "2024-02-01").score, 100150);
    /* a field-level error through the API names the field */
    ev.id = "b";
    ev.group = NULL;
    ev.type = "nope";
    assert_int_equal(civic_engine_add(e, &ev, &err), CIVIC_E_EVENT);
    assert_int_equal(err.line, 0);
    assert_int_equal(err.column, 3);
    assert_non_null(strstr(err.message, "'type'"));
    ev.type = "fine";
    ev.reserved = 1;
    assert_int_equal(civic_engine_add(e, &ev, &err), CIVIC_E_INVALID);
    ev.reserved = 0;
    ev.version = 99;
    assert_int_equal(civic_engine_add(e, &ev, &err), CIVIC_E_VERSION);
    assert_int_equal(civic_engine_add(e, NULL, &err), CIVIC_E_INVALID);
    support_release();
    civic_engine_free(e);
}

static void files_load_in_pieces_with_the_same_answers(void **state)
{
    (void)state;
    civic_rules *r = NULL;
    assert_int_equal(civic_rules_default(&r, NULL), CIVIC_OK);
    civic_engine *a = NULL, *b = NULL;
    assert_int_equal(civic_engine_new(&a, r, NULL), CIVIC_OK);
    assert_int_equal(civic_engine_new(&b, r, NULL), CIVIC_OK);
    civic_load_report rep = CIVIC_LOAD_REPORT_INIT;
    civic_error err = CIVIC_ERROR_INIT;
    assert_int_equal(civic_engine_load_file(a, "examples/data/sample.csv", NULL, &rep, &err), CIVIC_OK);
    assert_true(rep.accepted > 400);
    FILE *f = fopen("examples/data/sample.csv", "rb");
    char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    load_ok(b, buf);
    char *x = subjects_csv(a, when(a, "2025-06-01"));
    char *y = subjects_csv(b, when(b, "2025-06-01"));
    assert_string_equal(x, y);
    free(x);
    free(y);
    assert_int_equal(civic_engine_load_file(a, "missing.csv", NULL, &rep, &err), CIVIC_E_IO);
    assert_non_null(strstr(err.message, "missing.csv"));
    /* a long path is cut in the middle, between characters, so the reason
     * still fits the message (it was cut off before it) */
    char longest[1200];
    for (int twice = 0; twice < 2; twice++) {
        size_t k = 0;
        k += (size_t)snprintf(longest, sizeof(longest), "no-such-dir/");
        while (k < 600) k += (size_t)snprintf(longest + k, sizeof(longest) - k, twice ? "\u00e9" : "d");
        snprintf(longest + k, sizeof(longest) - k, "/log.csv");
        assert_int_equal(civic_engine_load_file(a, longest, NULL, &rep, &err), CIVIC_E_IO);
        size_t m = strlen(err.message);
        const char *why = strerror(ENOENT), *too_long = strerror(ENAMETOOLONG);
        assert_true(m < sizeof(err.message) - 1);
        assert_true((m > strlen(why) && strcmp(err.message + m - strlen(why), why) == 0) ||
                    (m > strlen(too_long) && strcmp(err.message + m - strlen(too_long), too_long) == 0));
        assert_non_null(strstr(err.message, "cannot open no-such-dir/"));
        assert_non_null(strstr(err.message, "..."));
        assert_non_null(strstr(err.message, "/log.csv: "));
        for (size_t i = 0; i + 1 < m; i++) /* never half a character: UTF-8 throughout */
            if (((unsigned char)err.message[i] & 0xE0) == 0xC0)
                assert_int_equal((unsigned char)err.message[i + 1] & 0xC0, 0x80);
        for (size_t i = 0; i < m; i++)
            if (((unsigned char)err.message[i] & 0xC0) == 0x80)
                assert_true(i > 0 && (unsigned char)err.message[i - 1] >= 0xC0);
    }
    int64_t first = 0, last = 0;
    assert_int_equal(civic_engine_time_range(a, &first, &last), CIVIC_OK);
    assert_true(first < last);
    civic_engine_free(a);
    civic_engine_free(b);
    civic_engine *empty = NULL;
    assert_int_equal(civic_engine_new(&empty, r, NULL), CIVIC_OK);
    assert_int_equal(civic_engine_time_range(empty, &first, &last), CIVIC_E_INVALID);
    civic_engine_free(empty);
    civic_rules_free(r);
}


/* A large log (several parallel parts, > 4096 subjects) with bad lines at
 * known places: answers, errors and reject callbacks must not depend on
 * the number of threads. */
static char *big_log(size_t events, const size_t *bad, size_t nbad, bool jsonl)
{
    size_t cap = 64 + events * 160, n = 0;
    char *out = malloc(cap);
    assert_non_null(out);
    /* JSON Lines has no header: line L of the CSV is line L-1 there */
    if (!jsonl) n += (size_t)snprintf(out + n, cap - n, "id,subject,type,ts,qty,group\n");
    uint64_t seed = 7;
    for (size_t i = 0; i < events; i++) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        unsigned r = (unsigned)(seed >> 33);
        size_t line = i + (jsonl ? 1 : 2);
        bool is_bad = false;
        for (size_t k = 0; k < nbad; k++) is_bad |= bad[k] == line;
        if (is_bad && jsonl) {
            n += (size_t)snprintf(out + n, cap - n, "{\"id\":\"x%zu\",\"subject\":\"s%u\","
                                  "\"type\":\"nope\",\"ts\":\"2024-01-01\"}\n", i, r % 6000);
        } else if (is_bad) {
            n += (size_t)snprintf(out + n, cap - n, "x%zu,s%u,nope,2024-01-01,,\n", i, r % 6000);
        } else if (r % 97 == 0) {
            n += (size_t)snprintf(out + n, cap - n, "\n"); /* blank lines count as lines */
        } else if (jsonl) {
            n += (size_t)snprintf(out + n, cap - n,
                                  "{\"id\":\"e%zu\",\"subject\":\"s%u\",\"type\":\"%s\","
                                  "\"ts\":\"2024-%02u-%02uT%02u:00:00\",\"qty\":%u,"
                                  "\"group\":\"g%u/c%u\",\"note\":[1,{\"x\":\"\\u00e9\"}]}\n",
                                  r % 50 == 0 ? i - 1 : i, r % 6000, r % 3 ? "hour" : "fine",
                                  1 + r % 12, 1 + r % 28, r % 24, 1 + r % 5, r % 4, r % 7);
        } else {
            n += (size_t)snprintf(out + n, cap - n, "e%zu,s%u,%s,2024-%02u-%02uT%02u:00:00,%u,g%u/c%u\n",
                                  r % 50 == 0 ? i - 1 : i, r % 6000, r % 3 ? "hour" : "fine",
                                  1 + r % 12, 1 + r % 28, r % 24, 1 + r % 5, r % 4, r % 7);
        }
    }
    return out;
}

static void threads_change_nothing_but_speed_in(bool jsonl)
{
    const size_t bad[] = { 3000, 17777, 31000 };
    char *log = big_log(40000, bad, 3, jsonl);
    /* the serial reader; the pipeline on one thread; on four */
    const uint32_t threads[] = { SERIAL_READER, 1, 4 };
    char *answers[3];
    civic_load_report reps[3];
    reject_log rejects[3];
    civic_error errs[3];
    int strict_rc[3];
    for (int k = 0; k < 3; k++) {
        civic_engine *e = engine_from_threads(RULES, threads[k]);
        civic_load_options o = CIVIC_LOAD_OPTIONS_INIT;
        errs[k] = (civic_error)CIVIC_ERROR_INIT;
        strict_rc[k] = civic_engine_load(e, log, strlen(log), &o, NULL, &errs[k]);
        assert_int_equal(civic_engine_event_count(e), 0);
        memset(&rejects[k], 0, sizeof(rejects[k]));
        o.flags = CIVIC_LOAD_LENIENT;
        o.on_reject = log_reject;
        o.payload = &rejects[k];
        reps[k] = (civic_load_report)CIVIC_LOAD_REPORT_INIT;
        assert_int_equal(civic_engine_load(e, log, strlen(log), &o, &reps[k], NULL), CIVIC_OK);
        answers[k] = subjects_csv(e, when(e, "2024-12-31"));
        civic_engine_free(e);
    }
    assert_int_equal(strict_rc[0], CIVIC_E_CONFLICT);
    assert_int_equal(reps[0].lines, jsonl ? 40000 : 40001);
    assert_true(reps[0].rejected >= 3);
    assert_true(strlen(answers[0]) > 100000);
    for (int k = 1; k < 3; k++) {
        assert_int_equal(strict_rc[k], strict_rc[0]);
        assert_int_equal(errs[k].line, errs[0].line);
        assert_int_equal(errs[k].offset, errs[0].offset);
        assert_string_equal(errs[k].message, errs[0].message);
        assert_int_equal(reps[0].accepted, reps[k].accepted);
        assert_int_equal(reps[0].duplicates, reps[k].duplicates);
        assert_int_equal(reps[0].rejected, reps[k].rejected);
        assert_int_equal(reps[0].lines, reps[k].lines);
        assert_int_equal(rejects[0].count, rejects[k].count);
        for (size_t i = 0; i < rejects[0].count && i < 64; i++)
            assert_int_equal(rejects[0].lines[i], rejects[k].lines[i]);
        assert_string_equal(rejects[0].first, rejects[k].first);
        assert_string_equal(answers[0], answers[k]);
    }
    for (int k = 0; k < 3; k++) free(answers[k]);
    free(log);
}

static void threads_change_nothing_but_speed(void **state)
{
    (void)state;
    threads_change_nothing_but_speed_in(false);
}

static void threads_change_nothing_but_speed_jsonl(void **state)
{
    (void)state;
    threads_change_nothing_but_speed_in(true);
}

/* ------------------------------------------------------------ error offsets */

/* The byte offset of 1-based physical line n of data, counted here. */
static uint64_t line_start(const char *data, uint64_t n)
{
    const char *p = data; /* a plain loop: ASan's strict strchr is quadratic here */
    for (uint64_t k = 1; k < n; p++)
        if (*p == '\n') k++;
    return (uint64_t)(p - data);
}

static void strict_offset_is(const char *data, uint32_t threads, uint64_t line, uint64_t offset)
{
    civic_engine *e = engine_from_threads(RULES, threads);
    civic_error err = CIVIC_ERROR_INIT;
    assert_true(civic_engine_load(e, data, strlen(data), NULL, NULL, &err) < 0);
    if (err.line != line || err.offset != offset)
        fprintf(stderr, "line %llu offset %llu: %s\n", (unsigned long long)err.line,
                (unsigned long long)err.offset, err.message);
    assert_int_equal(err.line, line);
    assert_int_equal(err.offset, offset);
    civic_engine_free(e);
}

typedef struct offsets_seen {
    uint64_t line[8], offset[8];
    size_t count;
} offsets_seen;

static int note_offset(void *payload, const civic_error *err)
{
    offsets_seen *o = payload;
    if (o->count < 8) {
        o->line[o->count] = err->line;
        o->offset[o->count] = err->offset;
    }
    o->count++;
    return 0;
}

/* err->offset is the byte offset of the first byte of the record in
 * error, counted from the start of the input (a BOM included), whatever
 * the format, the kind of error, the mode, the threads or the reads. */
static void errors_give_the_byte_offset_of_their_record(void **state)
{
    (void)state;
    static const struct { const char *data; uint64_t line; } strict[] = {
        { "id,subject,type,ts\na1,s,fine,2024-01-01\na2,s,fine,BAD\n", 3 },
        /* a quoted record over two lines */
        { "id,subject,type,ts,note\na1,s,fine,2022-01-01,\"x\ny\"\na2,s,fine,BAD,\n", 4 },
        { "id,subject,type,ts\r\na1,s,fine,2024-01-01\r\na2,s,nope,2024-01-01\r\n", 3 },
        { "\xEF\xBB\xBFid,subject,type,ts\na2,s,fine,BAD\n", 2 },
        { "{\"id\":\"a1\",\"subject\":\"s\",\"type\":\"fine\",\"ts\":\"2024-01-01\"}\n\n"
          "{\"id\":\"a2\",\"subject\":\"s\",\"type\":\"fine\",\"ts\":\"2024-02-30\"}\n", 3 },
        /* a conflict, found when the event is inserted */
        { "id,subject,type,ts\na1,s,fine,2024-01-01\na1,t,fine,2024-01-01\n", 3 },
    };
    for (size_t k = 0; k < sizeof(strict) / sizeof(strict[0]); k++)
        strict_offset_is(strict[k].data, SERIAL_READER, strict[k].line,
                         line_start(strict[k].data, strict[k].line));
    strict_offset_is("id,subject,type\na1,s,fine\n", 1, 1, 0); /* no ts column */

    /* lenient, a buffer of megabytes (the parallel parts) and a file (more
     * than one read): a conflict and a bad ts far in, on one thread and on
     * two; in JSON Lines the conflicting id is escaped ("e\u00310" = e10) */
    for (int as_jsonl = 0; as_jsonl < 2; as_jsonl++) {
        size_t lines = 100000, cap = lines * 80, n = 0;
        char *big = malloc(cap);
        if (!as_jsonl) n += (size_t)snprintf(big, cap, "id,subject,type,ts\n");
        for (size_t i = 2 - (size_t)as_jsonl; i <= lines; i++) {
            const char *f = as_jsonl ? "{\"id\":\"%s%zu\",\"subject\":\"%s%zu\",\"type\":\"fine\","
                                    "\"ts\":\"%s\"}\n"
                                  : "%s%zu,%s%zu,fine,%s\n";
            if (i == 70001)
                n += (size_t)snprintf(big + n, cap - n, f, as_jsonl ? "e\\u0031" : "e1", (size_t)0,
                                      "other", (size_t)0, "2024-01-01");
            else
                n += (size_t)snprintf(big + n, cap - n, f, "e", i, "s", i % 97,
                                      i == 90001 ? "2024-13-01" : "2024-01-01");
        }
        char path[] = "/tmp/civic-offsets-XXXXXX";
        int fd = mkstemp(path);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, big, n), (ssize_t)n);
        close(fd);
        uint32_t threads[] = { SERIAL_READER, 1, 2 };
        for (int k = 0; k < 6; k++) {
            civic_engine *e = engine_from_threads(RULES, threads[k % 3]);
            civic_load_options o = CIVIC_LOAD_OPTIONS_INIT;
            offsets_seen seen = { { 0 }, { 0 }, 0 };
            o.flags = CIVIC_LOAD_LENIENT;
            o.format = as_jsonl ? CIVIC_FORMAT_JSONL : CIVIC_FORMAT_CSV;
            o.on_reject = note_offset;
            o.payload = &seen;
            int rc = k < 3 ? civic_engine_load(e, big, n, &o, NULL, NULL)
                           : civic_engine_load_file(e, path, &o, NULL, NULL);
            assert_int_equal(rc, CIVIC_OK);
            assert_int_equal(seen.count, 2);
            assert_int_equal(seen.line[0], 70001);
            assert_int_equal(seen.offset[0], line_start(big, 70001));
            assert_int_equal(seen.line[1], 90001);
            assert_int_equal(seen.offset[1], line_start(big, 90001));
            civic_engine_free(e);
        }
        unlink(path);
        free(big);
    }
}

static double seconds_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Records before a CSV header are read one at a time: the header decides
 * whether the pipeline may take what follows.  Before each, a file load on
 * two threads looked again, from the end of the 2 MiB it had read, for the
 * last line break: with 272,144 blank lines and a long last line that took
 * seconds, against milliseconds on one thread.  Same answer, same time. */
static void blank_lines_before_the_header_cost_no_more_on_two_threads(void **state)
{
    (void)state;
    const size_t blanks = ((size_t)1 << 18) + 10000, size = blanks + ((size_t)2 << 20);
    char *text = malloc(size);
    assert_non_null(text);
    memset(text, '\n', blanks);
    memset(text + blanks, 'x', size - blanks); /* a last line without a break */
    char path[] = "/tmp/civic-blank-lines-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, size), (ssize_t)size);
    assert_int_equal(close(fd), 0);
    free(text);
    civic_error errs[2];
    civic_load_report reps[2];
    double took[2];
    for (int k = 0; k < 2; k++) {
        civic_engine *e = engine_from_threads(RULES, k == 0 ? SERIAL_READER : 2);
        civic_load_options o = CIVIC_LOAD_OPTIONS_INIT;
        o.format = CIVIC_FORMAT_CSV;
        errs[k] = (civic_error)CIVIC_ERROR_INIT;
        reps[k] = (civic_load_report)CIVIC_LOAD_REPORT_INIT;
        double start = seconds_now();
        assert_int_equal(civic_engine_load_file(e, path, &o, &reps[k], &errs[k]), CIVIC_E_LIMIT);
        took[k] = seconds_now() - start;
        civic_engine_free(e);
    }
    unlink(path);
    assert_int_equal(errs[0].line, blanks + 1);
    assert_int_equal(errs[1].line, errs[0].line);
    assert_string_equal(errs[1].message, errs[0].message);
    assert_int_equal(reps[1].lines, reps[0].lines);
    assert_int_equal(reps[1].rejected, reps[0].rejected);
    /* Not a speed target (those are the benchmark's): a complexity check
     * with a wide margin, so that a busy machine cannot fail it.  The old
     * code took 13.6 and 22.6 s here against 0.01 s by the serial reader. */
    if (took[1] >= 5.0 + 20 * took[0])
        fprintf(stderr, "two threads: %.3f s, the serial reader: %.3f s\n", took[1], took[0]);
    assert_true(took[1] < 5.0 + 20 * took[0]);
}

/* ------------------------------------------------------------ signals */

typedef struct slow_writer {
    const char *path, *text;
    size_t len, chunk;
    long pause_ns;
} slow_writer;

/* Open the FIFO late, then write text in small pieces with pauses: the
 * reader waits in open() and in every read while SIGALRM keeps coming. */
static void *write_slowly(void *arg)
{
    const slow_writer *w = arg;
    struct timespec pause = { 0, w->pause_ns };
    nanosleep(&pause, NULL);
    int fd = open(w->path, O_WRONLY);
    if (fd < 0) return NULL;
    for (size_t at = 0, n = w->len; at < n; at += w->chunk) {
        size_t k = n - at < w->chunk ? n - at : w->chunk;
        if (write(fd, w->text + at, k) != (ssize_t)k) break;
        nanosleep(&pause, NULL);
    }
    close(fd);
    return NULL;
}

static volatile sig_atomic_t ticks;
static void on_alarm(int sig) { (void)sig; ticks++; }

/* A host that catches a signal without SA_RESTART (Python does, for every
 * handler it installs) interrupts the library's open() of a FIFO and its
 * reads: a load, a rules file or a snapshot read from a FIFO failed with
 * "Interrupted system call".  They go on, and read everything; a byte after
 * a snapshot's trailer, arriving late, is still found (an interrupted look
 * for it used to read as the end of the file). */
static void a_caught_signal_does_not_fail_a_read(void **state)
{
    (void)state;
    char dir[] = "/tmp/civic-eintr-XXXXXX", fifo[64];
    assert_non_null(mkdtemp(dir));
    snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    enum { N = 400 };
    char *log = malloc(N * 40 + 64);
    size_t n = (size_t)sprintf(log, "id,subject,type,ts,qty\n");
    for (int i = 0; i < N; i++)
        n += (size_t)sprintf(log + n, "e%d,s%d,hour,2024-01-%02d,1\n", i, i % 7, i % 28 + 1);
    struct sigaction sa, old_sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_alarm; /* no SA_RESTART */
    sigemptyset(&sa.sa_mask);
    assert_int_equal(sigaction(SIGALRM, &sa, &old_sa), 0);
    /* only this thread takes the signal: block it in the writer */
    sigset_t alrm, old_mask;
    sigemptyset(&alrm);
    sigaddset(&alrm, SIGALRM);
    /* every 0.5 ms; under valgrind, whose every signal costs more than
     * that, every 10 ms with the writer's pauses ten times as long */
    bool slow = getenv("CIVIC_TEST_UNDER_VALGRIND") != NULL;
    long period_us = slow ? 10000 : 500, pause_ns = slow ? 30000000L : 3000000L;
    struct itimerval every_ms = { { 0, period_us }, { 0, period_us } },
                     off = { { 0, 0 }, { 0, 0 } };
    ticks = 0;
    char snap[80];
    snprintf(snap, sizeof(snap), "%s/snap", dir);
    civic_engine *src = engine_from_threads(RULES, 1);
    load_ok(src, log);
    assert_int_equal(civic_engine_save(src, snap, NULL), CIVIC_OK);
    civic_engine_free(src);
    FILE *sf = fopen(snap, "rb");
    assert_non_null(sf);
    char *snap_bytes = malloc(1 << 20);
    size_t snap_len = fread(snap_bytes, 1, (1 << 20) - 1, sf);
    fclose(sf);
    snap_bytes[snap_len] = 'x'; /* round 3: one byte too many */
    for (int round = 0; round < 4; round++) {
        slow_writer w = { fifo, round == 0 ? log : round == 1 ? RULES : snap_bytes,
                          round == 0 ? strlen(log) : round == 1 ? strlen(RULES)
                                                                : snap_len + (round == 3),
                          round == 0 ? 512 : round == 1 ? 16 : snap_len, pause_ns };
        pthread_t writer;
        pthread_sigmask(SIG_BLOCK, &alrm, &old_mask);
        assert_int_equal(pthread_create(&writer, NULL, write_slowly, &w), 0);
        pthread_sigmask(SIG_SETMASK, &old_mask, NULL);
        assert_int_equal(setitimer(ITIMER_REAL, &every_ms, NULL), 0);
        civic_error err = CIVIC_ERROR_INIT;
        int rc;
        if (round == 0) {
            civic_engine *e = engine_from_threads(RULES, 1);
            civic_load_options opts = CIVIC_LOAD_OPTIONS_INIT;
            opts.format = CIVIC_FORMAT_CSV;
            rc = civic_engine_load_file(e, fifo, &opts, NULL, &err);
            setitimer(ITIMER_REAL, &off, NULL);
            if (rc != CIVIC_OK) fail_msg("load_file: %s", err.message);
            assert_int_equal(civic_engine_event_count(e), N);
            civic_engine_free(e);
        } else if (round == 1) {
            civic_rules *r = NULL;
            rc = civic_rules_load_file(&r, fifo, NULL, &err);
            setitimer(ITIMER_REAL, &off, NULL);
            if (rc != CIVIC_OK) fail_msg("rules_load_file: %s", err.message);
            civic_rules_free(r);
        } else { /* the whole snapshot at once; round 3's last byte after a pause */
            civic_engine *e = engine_from_threads(RULES, 1);
            rc = civic_engine_load_snapshot(e, fifo, &err);
            setitimer(ITIMER_REAL, &off, NULL);
            if (round == 2 && rc != CIVIC_OK) fail_msg("load_snapshot: %s", err.message);
            assert_int_equal(rc, round == 2 ? CIVIC_OK : CIVIC_E_CORRUPT);
            assert_int_equal(civic_engine_event_count(e), round == 2 ? N : 0);
            if (round == 3) assert_non_null(strstr(err.message, "bytes after the trailer"));
            civic_engine_free(e);
        }
        pthread_join(writer, NULL);
    }
    assert_true(ticks > 10); /* the signal did come, many times */
    sigaction(SIGALRM, &old_sa, NULL);
    unlink(fifo);
    unlink(snap);
    rmdir(dir);
    free(log);
    free(snap_bytes);
    support_release();
}

/* A text passed with a length of strlen + 1 ends in a NUL byte: the error
 * says so (it said "expected a key", "expected 4 fields ... found 1" or
 * "expected a JSON object"), for rules, CSV and JSON Lines alike; a NUL
 * elsewhere keeps its usual message. */
/* Load data strictly and leniently: the strict error's message, and the
 * lenient load's one rejection says the same. */
static void both_modes_say(const char *data, int code, uint64_t line, const char *message)
{
    civic_engine *e = fresh();
    civic_error err = CIVIC_ERROR_INIT;
    assert_int_equal(civic_engine_load(e, data, strlen(data), NULL, NULL, &err), code);
    assert_int_equal(err.line, line);
    assert_string_equal(err.message, message);
    assert_true(strlen(err.message) < sizeof(err.message));
    reject_log rejects;
    memset(&rejects, 0, sizeof(rejects));
    civic_load_options o = CIVIC_LOAD_OPTIONS_INIT;
    o.flags = CIVIC_LOAD_LENIENT;
    o.on_reject = log_reject;
    o.payload = &rejects;
    civic_load_report rep = CIVIC_LOAD_REPORT_INIT;
    assert_int_equal(civic_engine_load(e, data, strlen(data), &o, &rep, NULL), CIVIC_OK);
    assert_int_equal(rep.rejected, 1);
    assert_int_equal(rejects.lines[0], line);
    assert_string_equal(rejects.first, message);
    civic_engine_free(e);
}

/* A stray quote that a later line closes makes one record of the lines
 * between; whatever is then wrong with it (a field's value, an id held
 * before, not only its field count or a quote), the error says where that
 * field opened and which lines it took: a lenient load skips them all. */
static void a_stray_quote_names_the_lines_it_joined_in_every_error(void **state)
{
    (void)state;
    /* the record has the header's count: its type is what is wrong */
    both_modes_say("id,subject,type,ts,qty\ne1,s,\"fine,2024-01-01,\ne2,s,fine,2024-01-01,\n"
                   "e3,s\",2024-01-01,\ne4,s,fine,2024-01-01,\n", CIVIC_E_EVENT, 2,
                   "line 2, column 6: field 'type': unknown type (not a rule code, revoke, "
                   "repair, redeem, object, dismiss or correct) \"fine,2024-01-01,\\x0ae2,s,"
                   "fine,2024... (the quoted field opened at line 2, column 6 holds line breaks: "
                   "lines 2 to 4 were read as one record)"); /* cut to make room: "..." */
    /* an id held before, the line breaks in a column no field takes */
    both_modes_say("id,subject,type,ts,note\nk,s,fine,2024-01-01,\nk,t,fine,2024-01-01,\"x\n"
                   "z,s,fine,2024-01-02,\"\n", CIVIC_E_CONFLICT, 3,
                   "line 3, column 1: event id \"k\" was seen before with a different subject: "
                   "\"s\" before, \"t\" here (the quoted field opened at line 3, column 21 "
                   "holds line breaks: lines 3 to 4 were read as one record)");
    /* a message too long for both is cut before the hint, and says so */
    char log[512];
    snprintf(log, sizeof(log), "id,subject,type,ts\ne1,s,\"%s\ne2\",2024-01-01\n",
             "fine,2024-01-01,aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
    civic_engine *e = fresh();
    civic_error err = CIVIC_ERROR_INIT;
    assert_int_equal(civic_engine_load(e, log, strlen(log), NULL, NULL, &err), CIVIC_E_EVENT);
    assert_true(strlen(err.message) < sizeof(err.message));
    assert_non_null(strstr(err.message, "... (the quoted field opened at line 2, column 6 holds "
                                        "line breaks: lines 2 to 3 were read as one record)"));
    civic_engine_free(e);
    /* nor in the middle of an escape: a value of tabs shows as \x09 \x09 ...,
     * cut at whole ones whatever the phase of the cut */
    for (int pad = 0; pad < 8; pad++) {
        snprintf(log, sizeof(log), "id,subject,type,ts\ne1,s,\"fine,%.*s%s\ne2\",2024-01-01\n",
                 pad, "aaaaaaaa", "\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t");
        e = fresh();
        err = (civic_error)CIVIC_ERROR_INIT;
        assert_int_equal(civic_engine_load(e, log, strlen(log), NULL, NULL, &err), CIVIC_E_EVENT);
        const char *cut = strstr(err.message, "... (the quoted field");
        const char *tabs = strstr(err.message, "\"fine,");
        assert_non_null(cut);
        assert_non_null(tabs);
        tabs += strlen("\"fine,") + (size_t)pad;
        assert_true(cut >= tabs);
        assert_int_equal((cut - tabs) % 4, 0);
        civic_engine_free(e);
    }
}

/* A byte-order mark that opens a line other than the first (files joined
 * with cat) is read as the line's first bytes, as 1.0 read it: a line it
 * makes bad says that it starts with one (and, in CSV, when the line is the
 * header again); a line it does not make bad is still accepted. */
/* A bad load option is named alone, with its value (the message was
 * "unknown format or flag, or a reserved field is not zero" for each). */
static void a_bad_load_option_is_named_with_its_value(void **state)
{
    (void)state;
    civic_engine *e = fresh();
    const char *log = "id,subject,type,ts\na,s,fine,2024-01-01\n";
    const struct {
        uint32_t format, flags, reserved;
        const char *want;
    } cases[] = {
        { 9, 0, 0, "opts->format is 9: not CIVIC_FORMAT_AUTO (0), CIVIC_FORMAT_CSV (1) or "
                   "CIVIC_FORMAT_JSONL (2)" },
        { 0, 0x80, 0, "opts->flags 0x80 has unknown bits 0x80 (CIVIC_LOAD_LENIENT is the only "
                      "flag)" },
        { 0, 0x81, 0, "opts->flags 0x81 has unknown bits 0x80 (CIVIC_LOAD_LENIENT is the only "
                      "flag)" },
        { 0, 0, 7, "opts->reserved is 7: it must be 0" },
    };
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        civic_load_options o = CIVIC_LOAD_OPTIONS_INIT;
        o.format = cases[k].format;
        o.flags = cases[k].flags;
        o.reserved = cases[k].reserved;
        civic_error err = CIVIC_ERROR_INIT;
        assert_int_equal(civic_engine_load(e, log, strlen(log), &o, NULL, &err), CIVIC_E_INVALID);
        assert_string_equal(err.message, cases[k].want);
        err = (civic_error)CIVIC_ERROR_INIT;
        assert_int_equal(civic_engine_load_file(e, "no-such-file.csv", &o, NULL, &err),
                         CIVIC_E_INVALID);
        assert_string_equal(err.message, cases[k].want);
    }
    assert_int_equal(civic_engine_event_count(e), 0);
    civic_engine_free(e);
}

static void a_byte_order_mark_inside_a_log_is_named(void **state)
{
    (void)state;
    both_modes_say("{\"id\":\"j1\",\"subject\":\"s\",\"type\":\"fine\",\"ts\":\"2024-01-01\"}\n"
                   "\xEF\xBB\xBF{\"id\":\"j2\",\"subject\":\"s\",\"type\":\"fine\","
                   "\"ts\":\"2024-01-01\"}\n", CIVIC_E_SYNTAX, 2,
                   "line 2, column 1: expected a JSON object '{' (the line starts with U+FEFF, "
                   "a byte-order mark: were files joined? remove it)");
    /* columns count the mark's three bytes: it is no mark at the text's start */
    both_modes_say("\xEF\xBB\xBFid,subject,type,ts\r\na1,s,fine,2024-01-01\r\n"
                   "\xEF\xBB\xBFid,subject,type,ts\r\nb1,s,fine,2024-01-01\r\n", CIVIC_E_EVENT, 3,
                   "line 3, column 15: field 'type': unknown type (not a rule code, revoke, "
                   "repair, redeem, object, dismiss or correct) \"type\" (the line starts with "
                   "U+FEFF, a byte-order mark, and repeats the header: were files joined? "
                   "remove the line)");
    both_modes_say("id,subject,type,ts\na1,s,fine,2024-01-01\n\xEF\xBB\xBF" "b1,s,fine,BAD\n",
                   CIVIC_E_EVENT, 3, "line 3, column 14: field 'ts': bad timestamp (expected "
                   "YYYY-MM-DD, YYYY-MM-DDTHH:MM:SS[Z|+HH:MM] or Unix seconds) \"BAD\" (the line "
                   "starts with U+FEFF, a byte-order mark: were files joined? remove it)");
    /* files without a mark joined: the header again */
    both_modes_say("id,subject,type,ts\na1,s,fine,2024-01-01\nid,subject,type,ts\n",
                   CIVIC_E_EVENT, 3, "line 3, column 12: field 'type': unknown type (not a rule "
                   "code, revoke, repair, redeem, object, dismiss or correct) \"type\" (the "
                   "line repeats the header: were files joined? remove it)");
    /* the header again in other letters or with blanks: names match as the header's do */
    both_modes_say("id,subject,type,ts\na1,s,fine,2024-01-01\nID, Subject ,TYPE,Ts\r\n",
                   CIVIC_E_EVENT, 3, "line 3, column 14: field 'type': unknown type (not a rule "
                   "code, revoke, repair, redeem, object, dismiss or correct) \"TYPE\" (the "
                   "line repeats the header: were files joined? remove it)");
    /* a header of another column order: every line after it would be read
     * under the first header's columns */
    both_modes_say("id,subject,type,ts\na1,s,fine,2024-01-01\nsubject,id,type,ts\n",
                   CIVIC_E_EVENT, 3, "line 3, column 12: field 'type': unknown type (not a rule "
                   "code, revoke, repair, redeem, object, dismiss or correct) \"type\" (the "
                   "line is a header of another column order: were files joined? load them "
                   "as separate files)");
    both_modes_say("id,subject,type,ts\na1,s,fine,2024-01-01\n\"subject\",\"id\",\"type\",\"ts\"\n",
                   CIVIC_E_EVENT, 3, "line 3, column 16: field 'type': unknown type (not a rule "
                   "code, revoke, repair, redeem, object, dismiss or correct) \"type\" (the "
                   "line is a header of another column order: were files joined? load them "
                   "as separate files)");
    both_modes_say("id,subject,type,ts\na1,s,fine,2024-01-01\n\xEF\xBB\xBFid,subject,ts,type\n",
                   CIVIC_E_EVENT, 3, "line 3, column 15: field 'type': unknown type (not a rule "
                   "code, revoke, repair, redeem, object, dismiss or correct) \"ts\" (the line "
                   "starts with U+FEFF and is a header of another column order: were files "
                   "joined? load them as separate files)");
    /* other columns: one more, or one fewer */
    both_modes_say("id,subject,type,ts,qty\na1,s,fine,2024-01-01,1\nid,subject,type,ts,qty,group\n",
                   CIVIC_E_SYNTAX, 3, "line 3: expected 5 fields as in the header, found 6 (the "
                   "line is a header of other columns: were files joined? load them as "
                   "separate files)");
    both_modes_say("id,subject,type,ts,qty\na1,s,fine,2024-01-01,1\nid,subject,type,ts,group\n",
                   CIVIC_E_EVENT, 3, "line 3, column 12: field 'type': unknown type (not a rule "
                   "code, revoke, repair, redeem, object, dismiss or correct) \"type\" (the "
                   "line is a header of other columns: were files joined? load them as "
                   "separate files)");
    both_modes_say("id,subject,type,ts,qty\na1,s,fine,2024-01-01,1\nid,subject,type,ts,qty,note\n",
                   CIVIC_E_SYNTAX, 3, "line 3: expected 5 fields "
                   "as in the header, found 6 (the line is a header of other columns: were "
                   "files joined? load them as separate files)");
    /* a column no field takes, named otherwise: the same columns */
    both_modes_say("id,subject,type,ts,note\na1,s,fine,2024-01-01,x\nID,subject,type,ts,Remark\n",
                   CIVIC_E_EVENT, 3, "line 3, column 12: field 'type': unknown type (not a rule "
                   "code, revoke, repair, redeem, object, dismiss or correct) \"type\" (the "
                   "line repeats the header: were files joined? remove it)");
    /* not a header: a required name missing, or one named twice */
    both_modes_say("id,subject,type,ts\na1,s,fine,2024-01-01\nid,subject,kind,ts\n",
                   CIVIC_E_EVENT, 3, "line 3, column 12: field 'type': unknown type (not a rule "
                   "code, revoke, repair, redeem, object, dismiss or correct) \"kind\"");
    both_modes_say("id,subject,type,ts\na1,s,fine,2024-01-01\nid,subject,type,id\n",
                   CIVIC_E_EVENT, 3, "line 3, column 12: field 'type': unknown type (not a rule "
                   "code, revoke, repair, redeem, object, dismiss or correct) \"type\"");
    both_modes_say("id,subject,type,ts,qty\na1,s,fine,2024-01-01,1\nid,subject,type,qty,ts\n",
                   CIVIC_E_EVENT, 3, "line 3, column 12: field 'type': unknown type (not a rule "
                   "code, revoke, repair, redeem, object, dismiss or correct) \"type\" (the "
                   "line is a header of another column order: were files joined? load them "
                   "as separate files)");
    /* a quoted name holding a comma is one column, as the header reads it */
    both_modes_say("id,subject,type,ts,\"a,b\"\na1,s,fine,2024-01-01,x\n"
                   "ID,SUBJECT,TYPE,TS,\"a,b\"\n",
                   CIVIC_E_EVENT, 3, "line 3, column 12: field 'type': unknown type (not a rule "
                   "code, revoke, repair, redeem, object, dismiss or correct) \"TYPE\" (the "
                   "line repeats the header: were files joined? remove it)");
    /* a line whose ts is a time is data, whatever its other fields say
     * (an event of a rule named "type" whose note is "ts") */
    {
        civic_engine *en = engine_from(TEST_SCHEME "[rule.type]\npoints = -1\n");
        civic_error er = CIVIC_ERROR_INIT;
        const char *data = "id,subject,type,ts,note\nid,subject,type,2024-01-01,x\n"
                           "id,subject,type,2024-01-02,ts\n";
        assert_int_equal(civic_engine_load(en, data, strlen(data), NULL, NULL, &er),
                         CIVIC_E_CONFLICT);
        if (strstr(er.message, "header")) fail_msg("%s", er.message);
        civic_engine_free(en);
    }
    /* what 1.0 accepted is accepted: the mark is then the id's first bytes */
    civic_engine *e = fresh();
    load_ok(e, "id,subject,type,ts\n\xEF\xBB\xBF" "e2,s,fine,2024-01-01\ne2,s,fine,2024-01-01\n");
    assert_int_equal(civic_engine_event_count(e), 2);
    civic_engine_free(e);
    /* an id held before, read serially or by the pipeline: the same words */
    size_t cap = 64 << 10, len = 0;
    char *big = malloc(cap);
    assert_non_null(big);
    len += (size_t)snprintf(big, cap, "id,subject,type,ts\n\xEF\xBB\xBF" "m,s,fine,2024-01-01\n");
    for (int i = 0; len + 64 < cap / 2; i++)
        len += (size_t)snprintf(big + len, cap - len, "e%d,s,fine,2024-01-01\n", i);
    len += (size_t)snprintf(big + len, cap - len, "\xEF\xBB\xBF" "m,t,fine,2024-01-01\n");
    const uint32_t threads[] = { SERIAL_READER, 1, 4 };
    for (int k = 0; k < 3; k++) {
        e = engine_from_threads(RULES, threads[k]);
        civic_error err = CIVIC_ERROR_INIT;
        assert_int_equal(civic_engine_load(e, big, len, NULL, NULL, &err), CIVIC_E_CONFLICT);
        assert_non_null(strstr(err.message, "with a different subject: \"s\" before, \"t\" here "
                                            "(the line starts with U+FEFF, a byte-order mark: "
                                            "were files joined? remove it)"));
        civic_engine_free(e);
    }
    free(big);
}

static void a_length_that_takes_in_the_nul_says_so(void **state)
{
    (void)state;
    const char *rules = TEST_SCHEME "[rule.fine]\npoints = -10\n";
    civic_rules *r = NULL;
    civic_error err = CIVIC_ERROR_INIT;
    assert_int_equal(civic_rules_parse(&r, rules, strlen(rules) + 1, NULL, &err), CIVIC_E_SYNTAX);
    assert_non_null(strstr(err.message, "a NUL byte (a length of strlen(text) + 1"));
    const char *logs[] = { "id,subject,type,ts\na,s,fine,2024-01-01\n",
                           "{\"id\":\"a\",\"subject\":\"s\",\"type\":\"fine\","
                           "\"ts\":\"2024-01-01\"}\n" };
    for (int k = 0; k < 2; k++) {
        civic_engine *e = engine_from(rules);
        civic_load_options o = CIVIC_LOAD_OPTIONS_INIT;
        err = (civic_error)CIVIC_ERROR_INIT;
        assert_int_equal(civic_engine_load(e, logs[k], strlen(logs[k]) + 1, &o, NULL, &err),
                         CIVIC_E_SYNTAX);
        assert_non_null(strstr(err.message, "a NUL byte (a length of strlen(text) + 1"));
        assert_int_equal(civic_engine_event_count(e), 0);
        civic_engine_free(e);
    }
    /* without a final line break, the NUL ends the last field or value: in
     * rules, the value stops at it and the NUL is named at its own column
     * with the hint; in a log, the error of that field or value, and the
     * hint after it */
    const char *rules_open = TEST_SCHEME "[rule.fine]\npoints = -10";
    err = (civic_error)CIVIC_ERROR_INIT;
    assert_int_equal(civic_rules_parse(&r, rules_open, strlen(rules_open) + 1, NULL, &err),
                     CIVIC_E_SYNTAX);
    assert_non_null(strstr(err.message, "column 13: a NUL byte (a length of strlen(text) + 1"));
    const char *open_logs[] = { "id,subject,type,ts\na,s,fine,2024-01-01",
                                "{\"id\":\"a\",\"subject\":\"s\",\"type\":\"fine\","
                                "\"ts\":\"2024-01-01\"}" };
    for (int k = 0; k < 2; k++) {
        civic_engine *e = engine_from(rules);
        civic_load_options o = CIVIC_LOAD_OPTIONS_INIT;
        err = (civic_error)CIVIC_ERROR_INIT;
        assert_true(civic_engine_load(e, open_logs[k], strlen(open_logs[k]) + 1, &o, NULL,
                                      &err) < 0);
        assert_non_null(strstr(err.message, "(the text ends in a NUL byte: a length of strlen"));
        civic_engine_free(e);
    }
    const char *mid = "id,subject,type,ts\na,s,fi\0ne,2024-01-01\n";
    civic_engine *e = engine_from(rules);
    civic_load_options o = CIVIC_LOAD_OPTIONS_INIT;
    err = (civic_error)CIVIC_ERROR_INIT;
    assert_true(civic_engine_load(e, mid, 40, &o, NULL, &err) < 0);
    assert_null(strstr(err.message, "strlen"));
    civic_engine_free(e);
    /* Text that ends in a NUL as part of its encoding (every UTF-16LE and
     * UTF-32LE file; UTF-16LE without a BOM too), or that holds other NULs,
     * was no caller's strlen(text) + 1: no such hint. */
    static const struct { const char *bytes; size_t len; const char *what; } wide[] = {
        { "\xff\xfei\0d\0,\0s\0\n\0", 12, "line 1, column 1: not an event log: UTF-16 text "
                                          "(event logs are UTF-8: convert it first)" },
        { "i\0d\0,\0s\0u\0b\0,\0t\0\n\0", 18, "line 1, column 1: not an event log: UTF-16 "
                                                 "text (event logs are UTF-8: convert it first)" },
        { "\xff\xfe\0\0i\0\0\0\n\0\0\0", 12, "line 1, column 1: not an event log: UTF-32 "
                                             "text (event logs are UTF-8: convert it first)" },
        { "id,subject,type,ts\na,s,fi\0ne,2024-01-01\n\0", 41, NULL },
    };
    for (size_t k = 0; k < sizeof(wide) / sizeof(wide[0]); k++) {
        e = engine_from(rules);
        err = (civic_error)CIVIC_ERROR_INIT;
        assert_true(civic_engine_load(e, wide[k].bytes, wide[k].len, &o, NULL, &err) < 0);
        if (strstr(err.message, "strlen") ||
            (wide[k].what && strcmp(err.message, wide[k].what) != 0))
            fail_msg("case %zu: %s", k, err.message);
        civic_engine_free(e);
    }
}

/* The messages of a lenient load's rejected lines, kept for the test. */
static char rejected_msg[4][CIVIC_ERROR_MESSAGE_SIZE];
static int keep_reject(void *payload, const civic_error *err)
{
    size_t *n = payload;
    if (*n < 4) memcpy(rejected_msg[(*n)++], err->message, sizeof(err->message));
    return 0;
}

/* A line of one NUL byte: named, but told of a length of strlen(text) + 1
 * only where the text's last byte is its only NUL (a caller's length that
 * took in the terminating NUL); a NUL line in the middle of a log, or a
 * last one after another NUL, is no such length.  Strict and lenient, CSV
 * and JSON Lines alike. */
static void a_nul_line_gets_the_strlen_hint_only_at_the_texts_end(void **state)
{
    (void)state;
    /* sizeof - 1: every byte of the literal, its NULs too */
#define NUL_CASE(text, hint) { text, sizeof(text) - 1, hint }
    static const struct { const char *text; size_t len; bool hint; } cases[] = {
        NUL_CASE("id,subject,type,ts\ne1,s,fine,2024-01-01\n\0\ne2,s,fine,2024-01-02\n", false),
        NUL_CASE("id,subject,type,ts\ne1,s,fine,2024-01-01\n\0\ne2,s,fine,2024-01-02\n\0", false),
        NUL_CASE("id,subject,type,ts\ne1,s,fine,2024-01-01\n\0", true),
        NUL_CASE("{\"id\":\"e1\",\"subject\":\"s\",\"type\":\"fine\",\"ts\":\"2024-01-01\"}\n\0\n"
                 "{\"id\":\"e2\",\"subject\":\"s\",\"type\":\"fine\",\"ts\":\"2024-01-02\"}\n", false),
        NUL_CASE("{\"id\":\"e1\",\"subject\":\"s\",\"type\":\"fine\",\"ts\":\"2024-01-01\"}\n\0", true),
    };
#undef NUL_CASE
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        size_t len = cases[k].len;
        for (int lenient = 0; lenient < 2; lenient++) {
            civic_engine *e = fresh();
            civic_load_options o = CIVIC_LOAD_OPTIONS_INIT;
            civic_error err = CIVIC_ERROR_INIT;
            size_t n = 0;
            rejected_msg[0][0] = '\0';
            o.flags = lenient ? CIVIC_LOAD_LENIENT : 0;
            o.on_reject = keep_reject;
            o.payload = &n;
            int rc = civic_engine_load(e, cases[k].text, len, &o, NULL, &err);
            if (lenient && n == 0) fail_msg("case %zu: no line rejected", k);
            const char *msg = lenient ? rejected_msg[0] : err.message;
            assert_int_equal(rc == CIVIC_OK, lenient);
            if (!strstr(msg, "a NUL byte") ||
                (strstr(msg, "strlen(text) + 1 takes in the terminating NUL") != NULL) != cases[k].hint)
                fail_msg("case %zu, lenient %d: %s", k, lenient, msg);
            civic_engine_free(e);
        }
    }
}

/* A log cut short by a crash may end in NUL bytes (a zero-filled tail): a
 * line that holds NULs names them before its field count (which the NULs
 * make: one field), and a lenient load keeps every line before it. */
static void a_line_of_nul_bytes_is_named_before_its_field_count(void **state)
{
    (void)state;
    char text[512];
    size_t len = (size_t)snprintf(text, sizeof(text), "id,subject,type,ts,qty,group,ref\r\n"
                                  "e1,r1,fine,2024-01-01,1,a/b,\r\ne2,r2,fine,2024-01-02,1,a/b,"
                                  "\r\ne3,r3,fine,2024-01-03,1,a/b,\r\n");
    memset(text + len, 0, 100);
    len += 100;
    civic_engine *e = fresh();
    civic_error err = CIVIC_ERROR_INIT;
    assert_int_equal(civic_engine_load(e, text, len, NULL, NULL, &err), CIVIC_E_SYNTAX);
    assert_int_equal(err.line, 5);
    assert_string_equal(err.message, "line 5: 100 NUL bytes (a file cut short by a crash may "
                                     "end in them)");
    assert_int_equal(civic_engine_event_count(e), 0);
    civic_load_options o = CIVIC_LOAD_OPTIONS_INIT;
    civic_load_report rep = CIVIC_LOAD_REPORT_INIT;
    o.flags = CIVIC_LOAD_LENIENT;
    assert_int_equal(civic_engine_load(e, text, len, &o, &rep, NULL), CIVIC_OK);
    assert_int_equal(rep.accepted, 3);
    assert_int_equal(rep.rejected, 1);
    assert_int_equal(civic_engine_event_count(e), 3);
    civic_engine_free(e);
    /* JSON Lines alike: a line of NULs after the last object is named by them */
    len = (size_t)snprintf(text, sizeof(text), "{\"id\":\"j1\",\"subject\":\"s\",\"type\":"
                           "\"fine\",\"ts\":1}\n{\"id\":\"j2\",\"subject\":\"s\",\"type\":"
                           "\"fine\",\"ts\":2}\n");
    memset(text + len, 0, 40);
    len += 40;
    {
        civic_load_options jo = CIVIC_LOAD_OPTIONS_INIT;
        jo.format = CIVIC_FORMAT_JSONL;
        e = fresh();
        err = (civic_error)CIVIC_ERROR_INIT;
        assert_int_equal(civic_engine_load(e, text, len, &jo, NULL, &err), CIVIC_E_SYNTAX);
        assert_string_equal(err.message, "line 3, column 1: 40 NUL bytes (a file cut short by "
                                         "a crash may end in them)");
        civic_engine_free(e);
        /* one NUL alone is "a NUL byte", as in CSV, with a CRLF line end too */
        static const char *lone[] = { "{\"id\":\"j1\",\"subject\":\"s\",\"type\":\"fine\","
                                      "\"ts\":1}\n\0\n{\"id\":\"j2\",\"subject\":\"s\","
                                      "\"type\":\"fine\",\"ts\":2}\n",
                                      "{\"id\":\"j1\",\"subject\":\"s\",\"type\":\"fine\","
                                      "\"ts\":1}\r\n\0\r\n{\"id\":\"j2\",\"subject\":\"s\","
                                      "\"type\":\"fine\",\"ts\":2}\r\n" };
        for (size_t k = 0; k < 2; k++) {
            size_t at = strlen(lone[k]) + 1; /* past the NUL: the rest */
            len = at + strlen(lone[k] + at);
            e = fresh();
            err = (civic_error)CIVIC_ERROR_INIT;
            assert_int_equal(civic_engine_load(e, lone[k], len, &jo, NULL, &err),
                             CIVIC_E_SYNTAX);
            assert_string_equal(err.message, "line 2, column 1: a NUL byte");
            civic_engine_free(e);
        }
    }
    /* NULs among other bytes did not make the count: the count first, the
     * first NUL after it; a zero-filled tail glued to nothing (one field)
     * is named by its NULs */
    static const struct {
        const char *text;
        size_t len;
        const char *says;
        uint32_t column;
    } mixed[] = {
        { "id,subject,type,ts\ne1,s,fine,2024-01-01\ne2,s\0\0\0\n", 48,
          "line 3: expected 4 fields as in the header, found 2, and a NUL byte at column 5", 0 },
        { "id,subject,type,ts\ne1,s1,fine,2024-01-01,extra\0\n", 48,
          "line 2: expected 4 fields as in the header, found 5, and a NUL byte at column 28",
          0 },
        { "id,subject,type,ts\ne1,s,fine,2024-01-01\nab\0\0\r\n", 46,
          "line 3, column 3: a NUL byte (expected 4 fields as in the header, found 1)", 3 },
    };
    for (size_t k = 0; k < sizeof(mixed) / sizeof(mixed[0]); k++) {
        e = fresh();
        err = (civic_error)CIVIC_ERROR_INIT;
        assert_int_equal(civic_engine_load(e, mixed[k].text, mixed[k].len, NULL, NULL, &err),
                         CIVIC_E_SYNTAX);
        assert_string_equal(err.message, mixed[k].says);
        assert_int_equal(err.column, mixed[k].column);
        civic_engine_free(e);
    }
}

/* The error of text[0..len) loaded from a file (format given: the name
 * says none), through the serial reader or two threads' part runners. */
static civic_error file_error(const char *text, size_t len, uint32_t format, uint32_t threads)
{
    char path[] = "/tmp/civic-nul-tail-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, len), (ssize_t)len);
    assert_int_equal(close(fd), 0);
    civic_engine *e = engine_from_threads(RULES, threads);
    civic_load_options o = CIVIC_LOAD_OPTIONS_INIT;
    civic_error err = CIVIC_ERROR_INIT;
    o.format = format;
    assert_int_not_equal(civic_engine_load_file(e, path, &o, NULL, &err), CIVIC_OK);
    civic_engine_free(e);
    unlink(path);
    return err;
}

/* A log a crash cut short mid-line, its tail zero-filled: the NUL bytes
 * end the last line's value, and its error says what they are, as the line
 * of NULs alone says it; strict and lenient, from memory and from a file,
 * CSV and JSON Lines.  Not where the NULs do not run to the end of the
 * input, nor for another value of that line, nor for a caller's text whose
 * only NUL is its last byte (a length of strlen + 1). */
static void a_value_cut_short_by_nul_bytes_at_the_end_says_what_they_are(void **state)
{
    (void)state;
    static const char why[] = "a file cut short by a crash may end in them)";
    static const struct {
        const char *head; /* then `nuls` NUL bytes, then `after` */
        size_t nuls;
        const char *after;
        uint32_t format;
        const char *says; /* NULL: the error without the hint */
    } cases[] = {
        { "id,subject,type,ts\ne1,s,fine,2024-01-01\ne2,s,fine,2024-01-10T10:00:00", 3, "",
          CIVIC_FORMAT_CSV, "line 3, column 11: field 'ts': bad UTC offset (expected Z or "
          "+HH:MM) \"2024-01-10T10:00:00\\x00\\x00\\x00\" (3 NUL bytes to the end of the input: " },
        { "id,subject,type,ts\ne1,s,fine,2024-01-01\ne2,s,fine,2024-01-10T10:00:00", 100, "",
          CIVIC_FORMAT_CSV, "line 3, column 11: field 'ts': longer than 64 bytes \"2024-01-10T10:"
          "00:00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00...\" (100 NUL bytes to the "
          "end of the input: " },
        { "id,subject,type,ts,qty\r\ne1,s,hour,2024-01-01,2\r\ne2,s,hour,2024-01-01,1", 2, "",
          CIVIC_FORMAT_CSV, "line 3, column 22: field 'qty': bad qty: not a number (a "
          "non-negative decimal, at most 3 places, at most 1000000000000) \"1\\x00\\x00\" (2 NUL "
          "bytes to the end of the input: " },
        { "{\"id\":\"j1\",\"subject\":\"s\",\"type\":\"fine\",\"ts\":1}\n{\"id\":\"j2\",\"subject\":"
          "\"s\",\"type\":\"fine\",\"ts\":\"2024-01-0", 4, "", CIVIC_FORMAT_JSONL,
          "line 2, column 55: control character in a string (4 NUL bytes to the end of the "
          "input: " },
        { "{\"id\":\"j1\",\"subject\":\"s\",\"type\":\"fine\",\"ts\":1}\n{\"id\":\"j2\",\"subject\":"
          "\"s\",\"type\":\"fine\",\"ts\":17000", 4, "", CIVIC_FORMAT_JSONL,
          "line 2, column 45: field 'ts': not a JSON number (4 NUL bytes to the end of the "
          "input: " },
        /* cut before the last column: the fields miscounted at the first NUL,
         * which starts the run (the diff review) */
        { "id,subject,type,ts,qty\ne1,s,fine,2024-01-01,1\ne2,s,fin", 3, "", CIVIC_FORMAT_CSV,
          "line 3: expected 5 fields as in the header, found 3, and a NUL byte at column 9 (3 "
          "NUL bytes to the end of the input: " },
        /* the NULs end no value of the error: no hint */
        { "id,subject,type,ts\ne1,s,fine,2024-01-01\ne2,s,nosuch,2024-01-01", 3, "",
          CIVIC_FORMAT_CSV, NULL },
        { "id,subject,type,ts\ne1,s,fine,2024-01-01\ne2,s,fine,2024-01-10T10:00:00", 3, "\n",
          CIVIC_FORMAT_CSV, NULL },
        { "id,subject,type,ts\ne1,s,fine,2024-01-01\ne2,s,fine,2024-01-10T10:00:00", 3,
          "\ne3,s,fine,2024-01-01\n", CIVIC_FORMAT_CSV, NULL },
    };
    char text[512];
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        size_t head = strlen(cases[k].head), after = strlen(cases[k].after);
        size_t len = head + cases[k].nuls + after;
        assert_true(len <= sizeof(text));
        memcpy(text, cases[k].head, head);
        memset(text + head, 0, cases[k].nuls);
        memcpy(text + head + cases[k].nuls, cases[k].after, after);
        civic_engine *e = fresh();
        civic_load_options o = CIVIC_LOAD_OPTIONS_INIT;
        civic_error err = CIVIC_ERROR_INIT;
        o.format = cases[k].format;
        assert_int_not_equal(civic_engine_load(e, text, len, &o, NULL, &err), CIVIC_OK);
        civic_engine_free(e);
        if (cases[k].says) {
            size_t n = strlen(cases[k].says);
            if (strncmp(err.message, cases[k].says, n) != 0 || strcmp(err.message + n, why) != 0)
                fail_msg("case %zu: %s", k, err.message);
        } else if (strstr(err.message, "end of the input") || strstr(err.message, "crash")) {
            fail_msg("case %zu: %s", k, err.message);
        }
        /* lenient: the rejected line says the same */
        e = fresh();
        size_t rejected = 0;
        o.flags = CIVIC_LOAD_LENIENT;
        o.on_reject = keep_reject;
        o.payload = &rejected;
        assert_int_equal(civic_engine_load(e, text, len, &o, NULL, NULL), CIVIC_OK);
        civic_engine_free(e);
        assert_int_equal(rejected, 1);
        assert_string_equal(rejected_msg[0], err.message);
        /* from a file, read in pieces; and with a part runner's lines,
         * read again by the serial reader for the error */
        assert_string_equal(file_error(text, len, cases[k].format, SERIAL_READER).message,
                            err.message);
        assert_string_equal(file_error(text, len, cases[k].format, 2).message, err.message);
    }
    /* past 4 KiB of good lines (the pipeline's, without a line break at
     * the end), and one NUL from a file */
    char big[8192];
    size_t len = (size_t)snprintf(big, sizeof(big), "id,subject,type,ts\n");
    for (int i = 0; i < 250; i++)
        len += (size_t)snprintf(big + len, sizeof(big) - len, "e%d,s,fine,2024-01-01\n", i);
    len += (size_t)snprintf(big + len, sizeof(big) - len, "x,s,fine,2024-01-0");
    big[len++] = '\0';
    civic_error err = file_error(big, len, CIVIC_FORMAT_CSV, 2);
    assert_string_equal(err.message, "line 252, column 10: field 'ts': bad timestamp (expected "
                        "YYYY-MM-DD, YYYY-MM-DDTHH:MM:SS[Z|+HH:MM] or Unix seconds) "
                        "\"2024-01-0\\x00\" (a NUL byte at the end of the input: a file cut "
                        "short by a crash may end in NUL bytes)");
    assert_string_equal(file_error(big, len, CIVIC_FORMAT_CSV, SERIAL_READER).message,
                        err.message);
    /* the same text from memory: a caller's length of strlen + 1 */
    civic_engine *e = engine_from_threads(RULES, 2);
    err = (civic_error)CIVIC_ERROR_INIT;
    assert_int_equal(civic_engine_load(e, big, len, NULL, NULL, &err), CIVIC_E_EVENT);
    civic_engine_free(e);
    assert_non_null(strstr(err.message, "\"2024-01-0\\x00\" (the text ends in a NUL byte: a "
                                        "length of strlen(text) + 1 takes in the terminating "
                                        "NUL)"));
    assert_null(strstr(err.message, "crash"));
}

/* A log loaded as the other format (a JSON Lines body sent as CSV, a CSV
 * file read as JSON Lines) fails at its first line with an error of that
 * line alone ("a quote inside an unquoted field", "expected a JSON object
 * '{'"): the error says what the text looks like, in words of no one front
 * end.  Only where the format was given, and the line is the text's first. */
static void a_log_loaded_as_the_other_format_says_so(void **state)
{
    (void)state;
    static const char jl_hint[] = " (the text looks like JSON Lines: load it as JSON Lines)";
    static const char csv_hint[] = " (the text looks like CSV: load it as CSV)";
    static const struct {
        uint32_t format;
        const char *text, *hint;
        uint64_t line;
    } cases[] = {
        { CIVIC_FORMAT_CSV, "{\"id\":\"a\",\"subject\":\"s\",\"type\":\"fine\",\"ts\":\"2024-01-01\"}\n",
          jl_hint, 1 },
        { CIVIC_FORMAT_CSV, "\xEF\xBB\xBF\n\r\n{\"id\":\"a\"}\n", jl_hint, 3 },
        { CIVIC_FORMAT_CSV, "{}\n", jl_hint, 1 },
        { CIVIC_FORMAT_JSONL, "id,subject,type,ts,qty,group,ref\na,s,fine,2024-01-01,,,\n",
          csv_hint, 1 },
        { CIVIC_FORMAT_JSONL, "\n\"ID\" , Subject,TYPE,ts\r\na,s,fine,2024-01-01\r\n", csv_hint, 2 },
        /* no hint: the format read by content, a first line that is no
         * CSV header, an error past the first line */
        { CIVIC_FORMAT_AUTO, "{\"id\":\"a\",\"subject\":\"s\",\"type\":\"fine\",\"ts\":\"x\"}\n", NULL, 1 },
        { CIVIC_FORMAT_JSONL, "id,subject,type\na,s,fine\n", NULL, 1 },
        { CIVIC_FORMAT_JSONL, "a,b,c,d\n", NULL, 1 },
        { CIVIC_FORMAT_CSV, "id,subject,type,ts\n{\"id\":\"a\"}\n", NULL, 2 },
        { CIVIC_FORMAT_CSV, "[{\"id\":\"a\"}]\n", NULL, 1 },
    };
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        civic_engine *e = engine_from(TEST_SCHEME "[rule.fine]\npoints = -10\n");
        civic_load_options o = CIVIC_LOAD_OPTIONS_INIT;
        o.format = cases[k].format;
        civic_error err = CIVIC_ERROR_INIT;
        assert_true(civic_engine_load(e, cases[k].text, strlen(cases[k].text), &o, NULL, &err) < 0);
        size_t m = strlen(err.message);
        const char *hint = cases[k].hint;
        bool ends = hint && m >= strlen(hint) && strcmp(err.message + m - strlen(hint), hint) == 0;
        if (err.line != cases[k].line || (hint ? !ends : strstr(err.message, "looks like") != NULL))
            fail_msg("case %zu: line %llu: %s", k, (unsigned long long)err.line, err.message);
        /* civic_split gives the same error, hint and all */
        civic_split_options so = CIVIC_SPLIT_OPTIONS_INIT;
        so.parts = 2;
        so.format = cases[k].format;
        civic_split_report rep = CIVIC_SPLIT_REPORT_INIT;
        civic_error serr = CIVIC_ERROR_INIT;
        uint64_t end[2];
        static char out[4096];
        int src = civic_split(cases[k].text, strlen(cases[k].text), &so, out, sizeof(out), end,
                              NULL, &rep, &serr);
        if (hint && (src >= 0 || strcmp(serr.message, err.message) != 0))
            fail_msg("case %zu: the split says %s", k, serr.message);
        civic_engine_free(e);
    }
    /* a file: its format given, or said by its name */
    static const struct { const char *name, *text, *hint; uint32_t format; } files[] = {
        { "log.csv", "{\"id\":\"a\"}\n", jl_hint, CIVIC_FORMAT_AUTO },
        { "log.txt", "{\"id\":\"a\"}\n", jl_hint, CIVIC_FORMAT_CSV },
        { "log.ndjson", "id,subject,type,ts\na,s,fine,2024-01-01\n", csv_hint, CIVIC_FORMAT_AUTO },
        { "log.txt", "{\"id\":\"a\"}\n", NULL, CIVIC_FORMAT_AUTO },
    };
    for (size_t k = 0; k < sizeof(files) / sizeof(files[0]); k++) {
        char dir[] = "/tmp/civic-format-XXXXXX", path[64];
        assert_non_null(mkdtemp(dir));
        snprintf(path, sizeof(path), "%s/%s", dir, files[k].name);
        FILE *f = fopen(path, "wb");
        assert_non_null(f);
        fputs(files[k].text, f);
        fclose(f);
        civic_engine *e = engine_from(TEST_SCHEME "[rule.fine]\npoints = -10\n");
        civic_load_options o = CIVIC_LOAD_OPTIONS_INIT;
        o.format = files[k].format;
        civic_error err = CIVIC_ERROR_INIT;
        assert_true(civic_engine_load_file(e, path, &o, NULL, &err) < 0);
        unlink(path);
        rmdir(dir);
        const char *hint = files[k].hint;
        size_t m = strlen(err.message);
        bool ends = hint && m >= strlen(hint) && strcmp(err.message + m - strlen(hint), hint) == 0;
        if (hint ? !ends : strstr(err.message, "looks like") != NULL)
            fail_msg("file %zu: %s", k, err.message);
        civic_engine_free(e);
    }
}


/* What a strict or lenient load of text (format as given) from memory, or
 * of the file `name` holding it, fails with: its code, and err. */
static int load_any(const char *text, size_t len, uint32_t format, bool lenient, const char *name,
                    civic_error *err, civic_load_report *rep)
{
    civic_engine *e = fresh();
    civic_load_options o = CIVIC_LOAD_OPTIONS_INIT;
    o.format = format;
    o.flags = lenient ? CIVIC_LOAD_LENIENT : 0;
    *err = (civic_error)CIVIC_ERROR_INIT;
    int rc;
    if (name) {
        char dir[] = "/tmp/civic-any-XXXXXX", path[64];
        assert_non_null(mkdtemp(dir));
        snprintf(path, sizeof(path), "%s/%s", dir, name);
        FILE *f = fopen(path, "wb");
        assert_non_null(f);
        assert_int_equal(fwrite(text, 1, len, f), len);
        fclose(f);
        rc = civic_engine_load_file(e, path, &o, rep, err);
        unlink(path);
        rmdir(dir);
    } else {
        rc = civic_engine_load(e, text, len, &o, rep, err);
    }
    if (rc != CIVIC_OK) assert_int_equal(civic_engine_event_count(e), 0);
    civic_engine_free(e);
    return rc;
}

/* The split of text (format as given) fails with err's message. */
static void split_says(const char *text, size_t len, uint32_t format, const civic_error *err)
{
    civic_split_options so = CIVIC_SPLIT_OPTIONS_INIT;
    so.parts = 2;
    so.format = format;
    civic_error serr = CIVIC_ERROR_INIT;
    uint64_t end[2];
    char *out = malloc(2 * len + 64);
    assert_non_null(out);
    int rc = civic_split(text, len, &so, out, 2 * len + 64, end, NULL, NULL, &serr);
    free(out);
    if (rc != err->code || strcmp(serr.message, err->message) != 0)
        fail_msg("the split says %d %s, the load %d %s", rc, serr.message, err->code,
                 err->message);
    assert_int_equal(serr.line, err->line);
    assert_int_equal(serr.column, err->column);
    /* the size asked alone says it too, as for any input that is no log */
    serr = (civic_error)CIVIC_ERROR_INIT;
    rc = civic_split(text, len, &so, NULL, 0, NULL, NULL, NULL, &serr);
    if (strstr(err->message, "pretty-printed")) assert_string_equal(serr.message, err->message);
}

#define PRETTY "a JSON object over several lines (pretty-printed JSON): JSON Lines is one " \
               "object a line (jq -c . FILE)"

/* Pretty-printed JSON (json.dumps(indent=2), jq .) given as a log: its
 * first line, a '{' alone, said "expected a key string", and a lenient
 * load skipped every line, answering nothing.  Refused whole, as what it
 * is, strict or lenient, from memory or a file, by the split too; only
 * where its first object reads whole over several lines. */
static void pretty_printed_json_is_refused_whole(void **state)
{
    (void)state;
    static const struct { const char *text; uint64_t line; } pretty[] = {
        { "{\n  \"id\": \"a\",\n  \"subject\": \"s\",\n  \"type\": \"fine\",\n  \"ts\": "
          "\"2024-01-01\"\n}\n{\n  \"id\": \"b\",\n  \"subject\": \"s\",\n  \"type\": \"fine\",\n"
          "  \"ts\": 1704067200\n}\n", 1 },
        /* jq . of one object, nested values; CRLF; blank lines and a mark first */
        { "\xEF\xBB\xBF\n \r\n{ \r\n  \"id\": \"a\",\r\n  \"x\": [\r\n    1,\r\n    {\"y\": null}\r\n"
          "  ],\r\n  \"subject\": \"s\"\r\n}\r\n", 3 },
        /* a C caller's length of strlen + 1 */
        { "{\n\"id\":\"a\"\n}\n", 1 },
    };
    for (size_t k = 0; k < sizeof(pretty) / sizeof(pretty[0]); k++) {
        const char *text = pretty[k].text;
        size_t len = strlen(text) + (k == 2);
        char want[CIVIC_ERROR_MESSAGE_SIZE];
        snprintf(want, sizeof(want), "line %llu: " PRETTY "%s",
                 (unsigned long long)pretty[k].line,
                 k == 2 ? " (the text ends in a NUL byte: a length of strlen(text) + 1 takes "
                          "in the terminating NUL)" : "");
        for (int how = 0; how < 6; how++) {
            civic_error err;
            civic_load_report rep = CIVIC_LOAD_REPORT_INIT;
            const char *name = how < 2 ? NULL : how < 4 ? "log.jsonl" : "log.txt";
            uint32_t format = how == 1 ? CIVIC_FORMAT_JSONL : CIVIC_FORMAT_AUTO;
            if (name && k == 2) continue; /* a file holds no C string */
            int rc = load_any(text, len, format, how % 2, name, &err, &rep);
            const char *end = name ? strstr(want, " (the text ends") : NULL;
            if (rc != CIVIC_E_SYNTAX || strncmp(err.message, want, end ? (size_t)(end - want)
                                                                     : sizeof(want)) != 0)
                fail_msg("case %zu, %d: %d %s", k, how, rc, err.message);
            assert_int_equal(err.line, pretty[k].line);
            assert_int_equal(err.column, 0);
            assert_int_equal(rep.accepted, 0);
            assert_int_equal(rep.rejected, 1);
        }
        civic_error err;
        load_any(text, len, CIVIC_FORMAT_AUTO, false, NULL, &err, NULL);
        split_says(text, len, CIVIC_FORMAT_AUTO, &err);
    }
    /* a big one, as a file the pipeline would read in parts */
    size_t cap = 64 * 1024, n = 0;
    char *big = malloc(cap);
    assert_non_null(big);
    for (int i = 0; n + 200 < cap; i++)
        n += (size_t)snprintf(big + n, cap - n, "{\n    \"id\": \"e%d\",\n    \"subject\": \"s\",\n"
                              "    \"type\": \"fine\",\n    \"ts\": \"2024-01-01\"\n}\n", i);
    for (int lenient = 0; lenient < 2; lenient++) {
        civic_error err;
        assert_int_equal(load_any(big, n, CIVIC_FORMAT_AUTO, lenient, "big.jsonl", &err, NULL),
                         CIVIC_E_SYNTAX);
        assert_string_equal(err.message, "line 1: " PRETTY);
    }
    free(big);
    /* no such document: the lines speak, and a lenient load reads the good
     * ones (a '{' alone, then a line of its own; an empty object; one never
     * closed; text after it; a '{' not alone on its line) */
    static const char good[] = "{\"id\":\"g\",\"subject\":\"s\",\"type\":\"fine\",\"ts\":1}\n";
    static const char *const not_pretty[] = {
        "{\n", "{\n}\n", "{\n\"id\": \"a\",\n", "{\n\"id\": \"a\"\n}\nx\n",
        "{ \"id\": \"a\",\n\"subject\": \"s\"}\n", "{\n\"id\": \"a\n\"}\n",
    };
    for (size_t k = 0; k < sizeof(not_pretty) / sizeof(not_pretty[0]); k++) {
        char text[256];
        snprintf(text, sizeof(text), "%s%s", not_pretty[k], good);
        civic_error err;
        civic_load_report rep = CIVIC_LOAD_REPORT_INIT;
        civic_engine *e = fresh();
        civic_load_options o = CIVIC_LOAD_OPTIONS_INIT;
        o.flags = CIVIC_LOAD_LENIENT;
        err = (civic_error)CIVIC_ERROR_INIT;
        assert_int_equal(civic_engine_load(e, text, strlen(text), &o, &rep, &err), CIVIC_OK);
        if (rep.accepted != 1) fail_msg("case %zu: %llu accepted", k,
                                        (unsigned long long)rep.accepted);
        civic_engine_free(e);
        assert_true(load_any(text, strlen(text), CIVIC_FORMAT_AUTO, false, NULL, &err, NULL) < 0);
        if (strstr(err.message, "pretty")) fail_msg("case %zu: %s", k, err.message);
    }
    /* given as CSV, it is the header's error, with what the text looks like */
    civic_error err;
    assert_int_equal(load_any(pretty[0].text, strlen(pretty[0].text), CIVIC_FORMAT_CSV, true,
                              NULL, &err, NULL), CIVIC_E_SYNTAX);
    assert_null(strstr(err.message, "pretty"));
    assert_non_null(strstr(err.message, "(the text looks like JSON Lines: load it as JSON Lines)"));
}

#define RULES_HINT " (the text looks like a rules file, TOML: give it as the rules, not as events)"

/* A rules file given as events failed at its CSV header with the reader's
 * words alone ("a quote inside an unquoted field" of a comment, "the
 * header has no 'id' ... column"): the error says what the text is, in a
 * load from memory or a file and in a split (civic-score and civic-server
 * name such a text before they load it, in their own words). */
static void a_rules_file_given_as_events_says_so(void **state)
{
    (void)state;
    static const struct { const char *text, *says; } rules[] = {
        { "[scheme]\nbase = 1000\n", "line 1: the header has no 'id', 'subject', 'type' or 'ts' "
          "column (required: id, subject, type, ts)" RULES_HINT },
        { "# The \"community\" scheme\n[scheme]\n", "line 1, column 7: a quote inside an "
          "unquoted field (quote the whole field)" RULES_HINT },
        { "\n\r\nversion = 2\n[[grade]]\nname = \"A\"\n", "line 3: the header has no 'id', "
          "'subject', 'type' or 'ts' column (required: id, subject, type, ts)" RULES_HINT },
        { "# rules\n\n[rule.litter]  # a rule\npoints = -5\n", NULL },
    };
    for (size_t k = 0; k < sizeof(rules) / sizeof(rules[0]); k++) {
        const char *text = rules[k].text;
        for (int how = 0; how < 6; how++) {
            civic_error err;
            const char *name = how < 2 ? NULL : how < 4 ? "rules.toml" : "rules.csv";
            uint32_t format = how == 1 ? CIVIC_FORMAT_CSV : CIVIC_FORMAT_AUTO;
            int rc = load_any(text, strlen(text), format, how % 2, name, &err, NULL);
            size_t m = strlen(err.message), h = sizeof(RULES_HINT) - 1;
            if (rc != CIVIC_E_SYNTAX || m < h || strcmp(err.message + m - h, RULES_HINT) != 0 ||
                (rules[k].says && strcmp(err.message, rules[k].says) != 0))
                fail_msg("case %zu, %d: %d %s", k, how, rc, err.message);
        }
        civic_error err;
        load_any(text, strlen(text), CIVIC_FORMAT_AUTO, false, NULL, &err, NULL);
        split_says(text, strlen(text), CIVIC_FORMAT_AUTO, &err);
    }
    /* not as JSON Lines, nor for a text that is no rules file, nor for an
     * error past the header */
    static const struct { const char *text; uint32_t format; } other[] = {
        { "[scheme]\nbase = 1000\n", CIVIC_FORMAT_JSONL },
        { "sep=;\nid;subject;type;ts\n", CIVIC_FORMAT_AUTO },
        { "qty=5\n", CIVIC_FORMAT_AUTO },
        { "[1, 2]\n", CIVIC_FORMAT_AUTO },
        { "[true]\n", CIVIC_FORMAT_AUTO },
        { "id,subject,type,ts\n[scheme]\n", CIVIC_FORMAT_AUTO },
        { "title\n[scheme]\n", CIVIC_FORMAT_AUTO },
    };
    for (size_t k = 0; k < sizeof(other) / sizeof(other[0]); k++) {
        civic_error err;
        assert_true(load_any(other[k].text, strlen(other[k].text), other[k].format, false, NULL,
                             &err, NULL) < 0);
        if (strstr(err.message, "rules file")) fail_msg("case %zu: %s", k, err.message);
    }
}

#define CR_AT(c) " (a carriage return at column " #c ": lines must end in LF or CRLF)"

/* A record that ends in a CR before its CRLF (a line end written over one
 * that had its CR) showed the CR only as "\x0d" in its last field's error:
 * where it is is said, as of a CR in the header or inside a record; a
 * lenient load skips that line alone. */
static void a_cr_before_the_line_end_is_named_where_it_is(void **state)
{
    (void)state;
#define BAD_TS "bad timestamp (expected YYYY-MM-DD, YYYY-MM-DDTHH:MM:SS[Z|+HH:MM] or Unix seconds)"
#define BAD_QTY "bad qty: not a number (a non-negative decimal, at most 3 places, at most " \
                "1000000000000)"
    static const struct { const char *text, *says; } cases[] = {
        { "id,subject,type,ts\r\nx,s,fine,2024-01-01\r\r\n", "line 2, column 10: field 'ts': "
          BAD_TS " \"2024-01-01\\x0d\"" CR_AT(20) },
        { "id,subject,type,ts\nx,s,fine,2024-01-01\r\r\r\n", "line 2, column 10: field 'ts': "
          BAD_TS " \"2024-01-01\\x0d\\x0d\"" CR_AT(20) },
        { "id,subject,type,ts,qty\r\nx,s,fine,2024-01-01,\r\r\n", "line 2, column 21: field "
          "'qty': " BAD_QTY " \"\\x0d\"" CR_AT(21) },
        { "id,subject,type,ts\r\nx,s,fine,\"2024-01-01\"\r\r\n", "line 2, column 22: unexpected "
          "character after a closing quote" CR_AT(22) },
        { "id,subject,type,ts\r\nx,s,fine,2024-01-01\r\r", "line 2, column 10: field 'ts': "
          BAD_TS " \"2024-01-01\\x0d\"" CR_AT(20) },
        /* an error of another field is that field's alone */
        { "id,subject,type,ts\r\nx,s,fien,2024-01-01\r\r\n", "line 2, column 5: field 'type': "
          "unknown type (not a rule code, revoke, repair, redeem, object, dismiss or correct) "
          "\"fien\" (did you mean 'fine'?)" },
    };
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        civic_error err;
        civic_load_report rep = CIVIC_LOAD_REPORT_INIT;
        const char *text = cases[k].text;
        int rc = load_any(text, strlen(text), CIVIC_FORMAT_AUTO, false, NULL, &err, &rep);
        if (rc >= 0 || strcmp(err.message, cases[k].says) != 0)
            fail_msg("case %zu: %d %s", k, rc, err.message);
        /* the split reads the ts, not the qty nor the type */
        if (!strstr(err.message, "'qty'") && !strstr(err.message, "'type'"))
            split_says(text, strlen(text), CIVIC_FORMAT_AUTO, &err);
    }
    /* lenient: that line skipped alone, with the same words, read serially
     * or in parts (a load of 4 KiB and more) */
    size_t cap = 16 * 1024, n = 0;
    char *text = malloc(cap);
    assert_non_null(text);
    n += (size_t)snprintf(text, cap, "id,subject,type,ts\r\nbad,s,fine,2024-01-01\r\r\n");
    for (int i = 0; n + 64 < cap; i++)
        n += (size_t)snprintf(text + n, cap - n, "e%d,s,fine,2024-01-01\r\n", i);
    for (int big = 0; big < 2; big++) {
        civic_engine *e = fresh();
        civic_load_options o = CIVIC_LOAD_OPTIONS_INIT;
        civic_load_report rep = CIVIC_LOAD_REPORT_INIT;
        civic_error err = CIVIC_ERROR_INIT;
        o.flags = CIVIC_LOAD_LENIENT;
        size_t len = big ? n : 66; /* the header, that line and one more */
        assert_int_equal(civic_engine_load(e, text, len, &o, &rep, &err), CIVIC_OK);
        assert_int_equal(rep.rejected, 1);
        assert_int_equal(rep.accepted, civic_engine_event_count(e));
        civic_engine_free(e);
        o.flags = 0;
        assert_int_equal(load_any(text, len, CIVIC_FORMAT_AUTO, false, NULL, &err, NULL),
                         CIVIC_E_EVENT);
        assert_string_equal(err.message, "line 2, column 12: field 'ts': " BAD_TS
                            " \"2024-01-01\\x0d\"" CR_AT(22));
    }
    free(text);
#undef BAD_TS
#undef BAD_QTY
}

/* The load of data[0..len), from memory and from a file named .csv, strict
 * and lenient, fails alike: code, line 1, column and message (a header
 * that cannot be read stops a lenient load too); nothing is loaded. */
static void whole_input_says(const char *data, size_t len, int code, uint32_t column,
                             const char *message)
{
    char dir[] = "/tmp/civic-test-oneline-XXXXXX", path[64];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/one.csv", dir);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, len), (ssize_t)len);
    close(fd);
    for (int lenient = 0; lenient < 2; lenient++) {
        for (int from_file = 0; from_file < 2; from_file++) {
            civic_engine *e;
            civic_error err = CIVIC_ERROR_INIT;
            int rc = load_either(&e, path, data, len, lenient, from_file, &err);
            if (rc != code || err.column != column || strcmp(err.message, message) != 0)
                fprintf(stderr, "lenient %d, file %d: got %d column %u: %s\n", lenient,
                        from_file, rc, err.column, err.message);
            assert_int_equal(rc, code);
            assert_int_equal(err.line, 1);
            assert_int_equal(err.column, column);
            assert_string_equal(err.message, message);
            assert_int_equal(civic_engine_event_count(e), 0);
            civic_engine_free(e);
        }
    }
    unlink(path);
    rmdir(dir);
}

/* data loads, strict, with `events` events and no error. */
static void loads_events(const char *data, uint64_t events)
{
    civic_engine *e = fresh();
    civic_error err = CIVIC_ERROR_INIT;
    civic_load_report rep = CIVIC_LOAD_REPORT_INIT;
    int rc = civic_engine_load(e, data, strlen(data), NULL, &rep, &err);
    if (rc != CIVIC_OK) fprintf(stderr, "%s: %s\n", data, err.message);
    assert_int_equal(rc, CIVIC_OK);
    assert_int_equal(rep.accepted, events);
    assert_int_equal(civic_engine_event_count(e), events);
    civic_engine_free(e);
}

/* A log whose line breaks were removed (curl -d sends a file so, and tr -d
 * '\r\n' writes one) is one line: read as the header, the header's names and
 * every event's values, it named id, subject, type and ts and loaded no
 * event, with no error ("refe1", "r1", "fine", "2025-03-04" ... were
 * columns no field takes).  A name that is a time, an event's ts, refuses
 * it where the header is the whole input; the refusals met before (a
 * column missing or twice, too many columns, a quote, more than 1 MiB) say
 * the same there.  A header-only log is still read as one, without events. */
static void a_log_whose_line_breaks_were_removed_is_refused(void **state)
{
    (void)state;
#define GONE "were the log's line breaks removed? curl -d removes them: send the file with " \
             "--data-binary"
#define WHOLE " (the header is the whole input, without a line break: were the log's line " \
              "breaks removed? curl -d removes them: send the file with --data-binary)"
#define REQUIRED " column (required: id, subject, type, ts)"
    const char *one = "id,subject,type,ts,qty,group,refe1,r1,fine,2025-03-04,,d1/s1,"
                      "e2,r1,hour,2025-03-05,2.5,,";
    whole_input_says(one, strlen(one), CIVIC_E_SYNTAX, 44, "line 1, column 44: a column named "
                     "like a time ('2025-03-04'), in a header that is the whole input: " GONE);
    /* its ts merged with the next id: it said the header had no 'ts'
     * column; the last event's ts stands alone */
    const char *ts_last = "id,subject,type,tse1,s,fine,2024-01-01e2,s,fine,2024-01-02";
    whole_input_says(ts_last, strlen(ts_last), CIVIC_E_SYNTAX, 49, "line 1, column 49: a "
                     "column named like a time ('2024-01-02'), in a header that is the whole "
                     "input: " GONE);
    /* any form of a ts: quoted, with its offset; Unix seconds */
    const char *quoted = "id,subject,type,ts,qtye1,s,fine,\"2024-01-01T09:00:00+08:00\",2";
    whole_input_says(quoted, strlen(quoted), CIVIC_E_SYNTAX, 33, "line 1, column 33: a column "
                     "named like a time ('2024-01-01T09:00:00+08:00'), in a header that is the "
                     "whole input: " GONE);
    const char *seconds = "id,subject,type,tse1,s,fine,1704067200";
    whole_input_says(seconds, strlen(seconds), CIVIC_E_SYNTAX, 29, "line 1, column 29: a "
                     "column named like a time ('1704067200'), in a header that is the whole "
                     "input: " GONE);
    /* a long one: it said "more than 1024 columns" (the first 1024 hold a ts) */
    size_t cap = 300 * 32 + 64, n = (size_t)snprintf(NULL, 0, "id,subject,type,ts");
    char *many = malloc(cap);
    assert_non_null(many);
    memcpy(many, "id,subject,type,ts", n + 1);
    for (int k = 0; k < 300; k++)
        n += (size_t)snprintf(many + n, cap - n, "e%03d,s,fine,2024-01-01,", k);
    whole_input_says(many, n, CIVIC_E_SYNTAX, 31, "line 1, column 31: a column named like a "
                     "time ('2024-01-01'), in a header that is the whole input: " GONE);
    /* the refusals met before, where the header is the whole input */
    whole_input_says("id,subject,type", 15, CIVIC_E_SYNTAX, 0,
                     "line 1: the header has no 'ts'" REQUIRED WHOLE);
    whole_input_says("id,subject,type,ts,id", 21, CIVIC_E_SYNTAX, 20, "line 1, column 20: column "
                     "'id' appears twice in the header" WHOLE);
    n = (size_t)snprintf(many, cap, "id,subject,type,ts");
    for (int k = 0; k < 1100; k++) n += (size_t)snprintf(many + n, cap - n, ",c");
    whole_input_says(many, n, CIVIC_E_LIMIT, 0, "line 1: more than 1024 columns" WHOLE);
    /* a quote that fails, in a header that holds a time */
    const char *quote = "id,subject,type,ts,groupe1,s,fine,2024-01-01,\"a, b\"e2,s,fine,"
                        "2024-01-02,\"c\"";
    whole_input_says(quote, strlen(quote), CIVIC_E_SYNTAX, 52, "line 1, column 52: unexpected "
                     "character after a closing quote" WHOLE);
    free(many);
    /* more than 1 MiB: read from a file in pieces too, never whole */
    size_t big_n = (size_t)3 << 20;
    char *big = malloc(big_n);
    assert_non_null(big);
    memcpy(big, "id,subject,type,ts", 18);
    for (size_t i = 18; i < big_n; i += 20)
        memcpy(big + i, "e1,s,fine,2024-01-01", i + 20 <= big_n ? 20 : big_n - i);
    whole_input_says(big, big_n, CIVIC_E_LIMIT, 0, "line 1: record longer than 1 MiB (a header "
                     "of more than 1 MiB without a line break: were the log's line breaks "
                     "removed? curl -d removes them: send the file with --data-binary)");
    free(big);
    /* what is said where the header has a line break, as it always was */
    header_says("id,subject,type\n", "line 1: the header has no 'ts'" REQUIRED);
    /* the words that were said first, still first: what to rename, a
     * separator */
    whole_input_says("id,subject,type,Date", 20, CIVIC_E_SYNTAX, 0,
                     "line 1: the header has no 'ts'" REQUIRED "; rename 'Date' to 'ts'");
    whole_input_says("id;subject;type;ts", 18, CIVIC_E_SYNTAX, 0, "line 1: the header has no "
                     "'id', 'subject', 'type' or 'ts'" REQUIRED " (the fields are separated by "
                     "';': save the export as CSV with commas)");
    /* a header-only log, with a line break or without, and names that are
     * no ts (a year), are read as before: no event, no error */
    loads_events("id,subject,type,ts", 0);
    loads_events("\xEF\xBB\xBFid,subject,type,ts\r\n", 0);
    loads_events("id,subject,type,ts,2024,20240101", 0);
    loads_events("id,subject,type,ts,2024-01-01\n", 0);
    loads_events("id,subject,type,ts,2024-01-01\ne1,s,fine,2024-01-01,x\n", 1);
    loads_events("id,subject,type,ts,2024-01-01\ne1,s,fine,2024-01-01,x", 1);
#undef REQUIRED
#undef WHOLE
#undef GONE
}

/* NaN, Infinity and -Infinity are no JSON, but Python's json.dumps writes
 * them for a float NaN (pandas' empty cell) or inf: the field is named, as a
 * value of the wrong type, with what the value is and, of a NaN, the advice
 * the Python binding's add() gives (it said "must be a string or a number",
 * "unexpected character" without the field, or "malformed number"). */
static void jsonl_nan_and_infinity_are_named_as_python_writes_them(void **state)
{
    (void)state;
#define LINE "{\"id\":\"x\",\"subject\":\"s\",\"type\":\"fine\",\"ts\":"
#define EMPTY "an empty cell? write null or leave the key out)"
    jsonl_says(LINE "\"2024-01-01\",\"qty\":NaN}\n", 63, "line 1, column 63: field 'qty': must be "
               "a string or a number (NaN is not JSON: " EMPTY);
    jsonl_says(LINE "\"2024-01-01\",\"qty\":nan}\n", 63, "line 1, column 63: field 'qty': must be "
               "a string or a number (nan is not JSON: " EMPTY);
    jsonl_says(LINE "\"2024-01-01\",\"group\":NaN}\n", 65, "line 1, column 65: field 'group': "
               "must be a string (NaN is not JSON: " EMPTY);
    jsonl_says(LINE "NaN}\n", 44, "line 1, column 44: field 'ts': must be a string or a number "
               "(NaN is not JSON: an empty cell? every event has one)");
    jsonl_says("{\"id\":NaN,\"subject\":\"s\",\"type\":\"fine\",\"ts\":\"2024-01-01\"}\n", 7,
               "line 1, column 7: field 'id': must be a string (NaN is not JSON: an empty cell? "
               "every event has one)");
    jsonl_says(LINE "\"2024-01-01\",\"qty\":Infinity}\n", 63, "line 1, column 63: field 'qty': "
               "must be a string or a number (Infinity is not JSON, and a qty is finite)");
    jsonl_says(LINE "\"2024-01-01\",\"qty\":-Infinity}\n", 63, "line 1, column 63: field 'qty': "
               "must be a string or a number (-Infinity is not JSON, and a qty is finite)");
    jsonl_says(LINE "-Infinity}\n", 44, "line 1, column 44: field 'ts': must be a string or a "
               "number (-Infinity is not JSON)");
    jsonl_says(LINE "\"2024-01-01\",\"group\":Infinity}\n", 65, "line 1, column 65: field "
               "'group': must be a string (Infinity is not JSON)");
    /* in a key that is ignored, at any depth: no field to name */
    jsonl_says(LINE "\"2024-01-01\",\"note\":[1,NaN]}\n", 67, "line 1, column 67: unexpected "
               "character (NaN is not JSON: an empty cell? write null)");
    /* a word that only begins so is what it was */
    jsonl_says(LINE "\"2024-01-01\",\"qty\":nanny}\n", 63, "line 1, column 63: unexpected "
               "character");
    jsonl_says(LINE "\"2024-01-01\",\"qty\":Info}\n", 63, "line 1, column 63: field 'qty': must "
               "be a string or a number");
#undef EMPTY
#undef LINE
}

/* A line that is a header of another column order or of other columns
 * (files joined) has a column's name where the type goes: no misspelt rule
 * code, so no "(did you mean ...?)" ("subject" was told 'object'), and its
 * room goes to what the line is, which a byte-order mark before the line
 * made longer than a message holds: the note is kept whole, the message
 * cut before it at 256 bytes and not at 255. */
static void a_header_in_the_type_column_is_no_misspelt_type(void **state)
{
    (void)state;
#define UNKNOWN "field 'type': unknown type (not a rule code, revoke, repair, redeem, object, " \
                "dismiss or correct) "
#define ORDER "a header of another column order: were files joined? load them as separate " \
              "files)"
    both_modes_say("id,type,subject,ts\nm1,fine,s,2024-01-01\nid,subject,type,ts\n",
                   CIVIC_E_EVENT, 3, "line 3, column 4: " UNKNOWN "\"subject\" (the line is "
                   ORDER);
    both_modes_say("id,type,subject,ts\nm1,fine,s,2024-01-01\n\xEF\xBB\xBFid,subject,type,ts\n",
                   CIVIC_E_EVENT, 3, "line 3, column 7: " UNKNOWN "\"subject\" (the line starts "
                   "with U+FEFF and is " ORDER);
    /* a line of data keeps it */
    both_modes_say("id,type,subject,ts\nm1,fine,s,2024-01-01\nm2,subject,s,2024-01-01\n",
                   CIVIC_E_EVENT, 3, "line 3, column 4: " UNKNOWN "\"subject\" (did you mean "
                   "'object'?)");
    /* 255 bytes: whole; 256: cut before the note, "..." marking the cut */
    for (int len = 20; len <= 21; len++) {
        char rules[1024], data[256], want[512];
        const char *code = "remark_abcdefghijklmn";
        snprintf(rules, sizeof(rules), TEST_SCHEME "[rule.%.*s]\npoints = -1\n", len, code);
        snprintf(data, sizeof(data), "id,type,subject,ts,note\nm1,%.*s,s,2024-01-01,x\n"
                 "\xEF\xBB\xBFid,%.*sx,subject,ts,type\n", len, code, len - 1, code);
        int n = snprintf(want, sizeof(want), "line 3, column 7: " UNKNOWN "\"%.*sx\" (the line "
                         "starts with U+FEFF and is " ORDER, len - 1, code);
        assert_int_equal(n, 235 + len);
        civic_engine *e = engine_from(rules);
        civic_error err = CIVIC_ERROR_INIT;
        assert_int_equal(civic_engine_load(e, data, strlen(data), NULL, NULL, &err),
                         CIVIC_E_EVENT);
        civic_engine_free(e);
        if (n < CIVIC_ERROR_MESSAGE_SIZE) {
            assert_string_equal(err.message, want);
        } else {
            const char *note = " (the line starts with U+FEFF and is " ORDER;
            size_t m = strlen(err.message), k = strlen(note);
            assert_int_equal(m, CIVIC_ERROR_MESSAGE_SIZE - 1);
            assert_string_equal(err.message + m - k, note);
            assert_memory_equal(err.message + m - k - 3, "...", 3);
            assert_null(strstr(err.message, "did you mean"));
        }
    }
#undef ORDER
#undef UNKNOWN
}

/* An event log has no comment lines: a '#' line opens no log, yet one
 * that a rules file or a script put first was read as the CSV header (JSON
 * Lines after it too, its format told by its first line) and refused
 * without saying why.  Where the lines after the comments are a header
 * naming the columns, or JSON objects, the error says so; a JSON Lines
 * load says of a '#' line that it is one, in lenient mode too. */
static void a_comment_line_before_the_log_is_named(void **state)
{
    (void)state;
#define NONE "line 1: the header has no 'id', 'subject', 'type' or 'ts' column (required: id, " \
             "subject, type, ts)"
#define OBJECT "{\"id\":\"j1\",\"subject\":\"s\",\"type\":\"fine\",\"ts\":\"2024-01-01\"}\n"
    header_says("# exported 2024-03-01\nid,subject,type,ts\ne1,s,fine,2024-01-01\n", NONE
                " (line 1 is a '#' comment, and line 2 is the header: an event log has no "
                "comment lines; delete it)");
    header_says("# exported\n\n# by the office\r\n\nid,subject,type,ts\r\n", NONE " (lines 1 to "
                "3 are '#' comments and blank lines, and line 5 is the header: an event log "
                "has no comment lines; delete them)");
    header_says("# exported\n" OBJECT, NONE " (line 1 is a '#' comment, and the lines after it "
                "are JSON objects: an event log has no comment lines; delete it)");
    header_says("\xEF\xBB\xBF# a\n# b\n\n" OBJECT, NONE " (lines 1 to 2 are '#' comments, and "
                "the lines after them are JSON objects: an event log has no comment lines; "
                "delete them)");
    /* any error of that line */
    load_fails("# \"exported\"\nid,subject,type,ts\n", CIVIC_FORMAT_AUTO, CIVIC_E_SYNTAX, 1, 3,
               "line 1, column 3: a quote inside an unquoted field (quote the whole field) (line "
               "1 is a '#' comment, and line 2 is the header: an event log has no comment lines; "
               "delete it)");
    /* not a header that a '#' opens (deleting it would lose the header) */
    header_says("#id,subject,type,ts\ne1,s,fine,2024-01-01\n",
                "line 1: the header has no 'id' column (required: id, subject, type, ts)");
    header_says("# notes\nx,y\n", "line 1: the header has no 'id', 'subject', 'type' or 'ts' "
                "column (required: id, subject, type, ts)");
    /* from a file, its format by its name or by its content */
    char dir[] = "/tmp/civic-test-comment-XXXXXX";
    assert_non_null(mkdtemp(dir));
    for (size_t k = 0; k < 2; k++) {
        char path[64];
        snprintf(path, sizeof(path), "%s/events.%s", dir, k ? "log" : "csv");
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
        assert_true(fd >= 0);
        const char *text = "# exported\n" OBJECT;
        assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
        close(fd);
        civic_engine *e = fresh();
        civic_error err = CIVIC_ERROR_INIT;
        assert_int_equal(civic_engine_load_file(e, path, NULL, NULL, &err), CIVIC_E_SYNTAX);
        assert_string_equal(err.message, NONE " (line 1 is a '#' comment, and the lines after it "
                            "are JSON objects: an event log has no comment lines; delete it)");
        civic_engine_free(e);
        unlink(path);
    }
    rmdir(dir);
    /* read as JSON Lines: the line is one, skipped in lenient mode */
    load_fails("# exported\n" OBJECT, CIVIC_FORMAT_JSONL, CIVIC_E_SYNTAX, 1, 1,
               "line 1, column 1: expected a JSON object '{' (a '#' comment? an event log has no "
               "comment lines: delete the line)");
    reject_log rejects;
    memset(&rejects, 0, sizeof(rejects));
    civic_load_options o = CIVIC_LOAD_OPTIONS_INIT;
    o.format = CIVIC_FORMAT_JSONL;
    o.flags = CIVIC_LOAD_LENIENT;
    o.on_reject = log_reject;
    o.payload = &rejects;
    civic_engine *e = fresh();
    const char *text = "# exported\n" OBJECT;
    assert_int_equal(civic_engine_load(e, text, strlen(text), &o, NULL, NULL), CIVIC_OK);
    assert_int_equal(rejects.count, 1);
    assert_string_equal(rejects.first, "line 1, column 1: expected a JSON object '{' (a '#' "
                        "comment? an event log has no comment lines: delete the line)");
    assert_int_equal(civic_engine_event_count(e), 1);
    civic_engine_free(e);
#undef OBJECT
#undef NONE
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(csv_accepts_quotes_bom_crlf_and_extra_columns),
        cmocka_unit_test(csv_bad_lines_are_named),
        cmocka_unit_test(lone_cr_line_ends_stop_a_lenient_jsonl_load),
        cmocka_unit_test(a_quoted_value_is_safe_to_print),
        cmocka_unit_test(oversize_fields_hit_their_limits),
        cmocka_unit_test(jsonl_accepts_numbers_nulls_and_unknown_keys),
        cmocka_unit_test(jsonl_bad_lines_are_named),
        cmocka_unit_test(jsonl_a_bad_unicode_escape_is_told_at_its_backslash),
        cmocka_unit_test(jsonl_a_bare_ts_or_qty_that_is_no_number_names_its_field),
        cmocka_unit_test(jsonl_a_key_in_other_letters_beside_the_exact_one_is_ignored),
        cmocka_unit_test(jsonl_a_key_in_other_letters_alone_is_ignored_under_version_1_rules),
        cmocka_unit_test(
            jsonl_a_required_key_only_in_other_letters_is_missing_with_the_key_to_write),
        cmocka_unit_test(jsonl_variants_of_act_and_source_are_other_keys_under_version_1_rules),
        cmocka_unit_test(csv_variants_of_act_and_source_are_other_columns_under_version_1_rules),
        cmocka_unit_test(lenient_mode_applies_every_good_line),
        cmocka_unit_test(an_unreadable_header_stops_a_lenient_load),
        cmocka_unit_test(what_is_not_a_log_is_named),
        cmocka_unit_test(unmarked_utf16_and_utf32_are_named),
        cmocka_unit_test(log_errors_say_what_was_meant),
        cmocka_unit_test(each_unknown_type_of_a_lenient_load_gets_its_own_did_you_mean),
        cmocka_unit_test(a_header_names_every_required_column_it_lacks),
        cmocka_unit_test(a_reject_callback_can_stop_the_load_and_undo_it),
        cmocka_unit_test(a_reject_callback_may_query_the_engine_but_not_write_it),
        cmocka_unit_test(a_callback_into_another_engine_may_not_write_the_first),
        cmocka_unit_test(a_query_inside_a_rolled_back_load_leaves_no_fold),
        cmocka_unit_test(identical_events_are_duplicates_and_change_nothing),
        cmocka_unit_test(files_load_in_pieces_with_the_same_answers),
        cmocka_unit_test(threads_change_nothing_but_speed),
        cmocka_unit_test(threads_change_nothing_but_speed_jsonl),
        cmocka_unit_test(pretty_printed_json_is_refused_whole),
        cmocka_unit_test(a_rules_file_given_as_events_says_so),
        cmocka_unit_test(a_cr_before_the_line_end_is_named_where_it_is),
        cmocka_unit_test(errors_give_the_byte_offset_of_their_record),
        cmocka_unit_test(blank_lines_before_the_header_cost_no_more_on_two_threads),
        cmocka_unit_test(a_caught_signal_does_not_fail_a_read),
        cmocka_unit_test(a_length_that_takes_in_the_nul_says_so),
        cmocka_unit_test(a_nul_line_gets_the_strlen_hint_only_at_the_texts_end),
        cmocka_unit_test(a_line_of_nul_bytes_is_named_before_its_field_count),
        cmocka_unit_test(a_value_cut_short_by_nul_bytes_at_the_end_says_what_they_are),
        cmocka_unit_test(a_log_loaded_as_the_other_format_says_so),
        cmocka_unit_test(a_stray_quote_names_the_lines_it_joined_in_every_error),
        cmocka_unit_test(a_byte_order_mark_inside_a_log_is_named),
        cmocka_unit_test(a_bad_load_option_is_named_with_its_value),
        cmocka_unit_test(a_log_whose_line_breaks_were_removed_is_refused),
        cmocka_unit_test(jsonl_nan_and_infinity_are_named_as_python_writes_them),
        cmocka_unit_test(a_header_in_the_type_column_is_no_misspelt_type),
        cmocka_unit_test(a_comment_line_before_the_log_is_named),
    };
    return cmocka_run_group_tests_name("load", tests, NULL, NULL);
}
