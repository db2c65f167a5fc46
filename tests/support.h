/*
** support.h -- small helpers shared by the cmocka tests: build rules and
** engines from text, load CSV, ask for one subject's answer at a time given
** as text.  Every helper asserts success, so a test reads as its scenario.
*/
#ifndef CIVIC_TEST_SUPPORT_H
#define CIVIC_TEST_SUPPORT_H

#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "civic.h"

/* The worked examples' scheme header: base 1000 and the six built-in bands. */
#define TEST_GRADES                                                              \
    "[[grade]]\nname = \"AAA\"\nmin = 1050\n[[grade]]\nname = \"AA\"\nmin = 1030\n" \
    "[[grade]]\nname = \"A\"\nmin = 960\n[[grade]]\nname = \"B\"\nmin = 850\n"     \
    "[[grade]]\nname = \"C\"\nmin = 600\n[[grade]]\nname = \"D\"\n"
#define TEST_SCHEME "[scheme]\nbase = 1000\nutc_offset = \"+08:00\"\n" TEST_GRADES

/* Points in hundredths: P(990) is 990.00 points. */
#define P(x) ((int64_t)(x) * 100)

static inline civic_rules *rules_from(const char *text)
{
    civic_rules *r = NULL;
    civic_error err = CIVIC_ERROR_INIT;
    int rc = civic_rules_parse(&r, text, strlen(text), NULL, &err);
    if (rc != CIVIC_OK) fprintf(stderr, "rules: %s\n", err.message);
    assert_int_equal(rc, CIVIC_OK);
    return r;
}

/* Parse rules that must fail; returns the error for inspection. */
static inline civic_error rules_error(const char *text, int expected_code)
{
    civic_rules *r = (civic_rules *)1;
    civic_error err = CIVIC_ERROR_INIT;
    int rc = civic_rules_parse(&r, text, strlen(text), NULL, &err);
    if (rc != expected_code) fprintf(stderr, "rules: got %d (%s)\n", rc, err.message);
    assert_int_equal(rc, expected_code);
    assert_null(r);
    assert_int_equal(err.code, expected_code);
    assert_true(err.message[0] != '\0');
    return err;
}

/* Rules that must be refused (CIVIC_E_RULES) with exactly this message;
 * returns the error for its line and column. */
static inline civic_error rules_refused_saying(const char *text, const char *what)
{
    civic_error err = rules_error(text, CIVIC_E_RULES);
    if (strcmp(err.message, what) != 0) fprintf(stderr, "got %s\n", err.message);
    assert_string_equal(err.message, what);
    return err;
}

static inline civic_engine *engine_from(const char *rules_text)
{
    civic_rules *r = rules_from(rules_text);
    civic_engine *e = NULL;
    assert_int_equal(civic_engine_new(&e, r, NULL), CIVIC_OK);
    civic_rules_free(r); /* the engine keeps its own reference */
    return e;
}

/* Tests only (lib/engine.c; hidden in the shared library, the tests link
 * the static one): every load of e by the format's serial reader. */
void civic__engine_serial_loads(civic_engine *e, bool on);

/* engine_from_threads(rules, SERIAL_READER): one thread, and every load read
 * by the format's serial reader, whatever its size: the reference that the
 * pipeline (lib/pipeline.c), which takes every load of 4 KiB or more on
 * one thread as on several, must agree with. */
#define SERIAL_READER UINT32_MAX

/* An engine of rules_text (NULL: the built-in scheme) with `threads` threads. */
static inline civic_engine *engine_from_threads(const char *rules_text, uint32_t threads)
{
    civic_rules *r = NULL;
    if (rules_text) r = rules_from(rules_text);
    else assert_int_equal(civic_rules_default(&r, NULL), CIVIC_OK);
    civic_engine_options o = CIVIC_ENGINE_OPTIONS_INIT;
    o.threads = threads == SERIAL_READER ? 1 : threads;
    civic_engine *e = NULL;
    assert_int_equal(civic_engine_new(&e, r, &o), CIVIC_OK);
    civic_rules_free(r);
    if (threads == SERIAL_READER) civic__engine_serial_loads(e, true);
    return e;
}

/* A lenient load's rejections, as its on_reject callback (log_reject) sees
 * them: every one counted, the lines of the first 64 and the first message. */
typedef struct reject_log {
    uint64_t lines[64];
    size_t count;
    char first[256];
} reject_log;

static inline int log_reject(void *payload, const civic_error *err)
{
    reject_log *log = payload;
    if (log->count < 64) log->lines[log->count] = err->line;
    if (log->count == 0) snprintf(log->first, sizeof(log->first), "%s", err->message);
    log->count++;
    return 0;
}

/* An event of the four required fields (the strings must outlive its use). */
static inline civic_event event_of(const char *id, const char *subject, const char *type,
                                   const char *ts)
{
    civic_event ev = CIVIC_EVENT_INIT;
    ev.id = id;
    ev.subject = subject;
    ev.type = type;
    ev.ts = ts;
    return ev;
}

static inline void load_ok(civic_engine *e, const char *data)
{
    civic_error err = CIVIC_ERROR_INIT;
    int rc = civic_engine_load(e, data, strlen(data), NULL, NULL, &err);
    if (rc != CIVIC_OK) fprintf(stderr, "load: %s\n", err.message);
    assert_int_equal(rc, CIVIC_OK);
}

static inline int64_t when(const civic_engine *e, const char *text)
{
    int64_t t = 0;
    assert_int_equal(civic_rules_parse_time(civic_engine_rules(e), text, strlen(text), &t),
                     CIVIC_OK);
    return t;
}

/* One subject's answer; the strings stay valid until the next call. */
static civic_result *support_last_result;
static inline civic_score score_at(const civic_engine *e, const char *subject, const char *as_of)
{
    civic_score s = CIVIC_SCORE_INIT;
    civic_result_free(support_last_result);
    support_last_result = NULL;
    assert_int_equal(civic_engine_subject(e, subject, when(e, as_of), &support_last_result),
                     CIVIC_OK);
    assert_int_equal(civic_result_count(support_last_result), 1);
    assert_int_equal(civic_result_get(support_last_result, 0, &s), CIVIC_OK);
    return s;
}

static inline void support_release(void)
{
    civic_result_free(support_last_result);
    support_last_result = NULL;
}

/* All subjects at as_of as the CLI's CSV body (malloc'd), for comparisons. */
static inline char *subjects_csv(const civic_engine *e, int64_t as_of)
{
    civic_result *res = NULL;
    assert_int_equal(civic_engine_subjects(e, as_of, &res), CIVIC_OK);
    size_t cap = 256 + civic_result_count(res) * 512, n = 0;
    char *out = malloc(cap);
    assert_non_null(out);
    out[0] = '\0';
    for (size_t i = 0; i < civic_result_count(res); i++) {
        civic_score s = CIVIC_SCORE_INIT;
        char score[32], balance[32];
        civic_result_get(res, i, &s);
        civic_format_fixed(s.score, 2, score, sizeof(score));
        civic_format_fixed(s.balance, 2, balance, sizeof(balance));
        n += (size_t)snprintf(out + n, cap - n, "%s,%s,%s,%s,%s,%s\n", s.subject, s.group, score,
                              s.grade, balance, s.flags);
    }
    civic_result_free(res);
    return out;
}

#endif
