/*
** fuzz_rules.c -- libFuzzer harness for civic_rules_parse (SPEC section 2).
**
** Covers: the TOML-subset reader (comments, tables, arrays of tables, basic
** strings with escapes, integers, decimals, booleans), every key and check
** of the scheme, grades, caps and rules, and the error path (the error must
** carry a code equal to the return value and a message).  When the text is
** accepted it also checks that the rules answer consistently: every
** accessor, a second parse of the same text gives the same fingerprint, a
** parse of the text with a trailing comment keeps the fingerprint, and an
** engine under these rules accepts and scores a few events of every rule.
** Not covered here: event loading (fuzz_csv.c, fuzz_jsonl.c) and
** evaluation invariants (fuzz_api.c).
*/
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void exercise(civic_rules *r, const char *text, size_t size)
{
    (void)civic_rules_name(r);
    (void)civic_rules_utc_offset(r);
    size_t ng = civic_rules_grade_count(r);
    FZ_CHECK(ng >= 1, "accepted rules without grades");
    int64_t prev = INT64_MAX;
    for (size_t i = 0; i < ng; i++) {
        int64_t min = 0;
        FZ_CHECK(civic_rules_grade_name(r, i) != NULL, "grade name");
        int rc = civic_rules_grade_min(r, i, &min);
        if (i + 1 < ng) {
            FZ_CHECK(rc == CIVIC_OK && min < prev, "grade mins not strictly decreasing");
            prev = min;
        }
    }
    FZ_CHECK(civic_rules_grade_name(r, ng) == NULL, "grade past the end");
    size_t nr = civic_rules_rule_count(r);
    for (size_t i = 0; i < nr; i++) FZ_CHECK(civic_rules_rule_code(r, i) != NULL, "rule code");
    FZ_CHECK(civic_rules_rule_code(r, nr) == NULL, "rule past the end");
    for (size_t i = 0; i < civic_rules_dimension_count(r); i++)
        FZ_CHECK(civic_rules_dimension_name(r, i) != NULL, "dimension name");

    /* Same meaning, same fingerprint. */
    civic_rules *again = NULL;
    FZ_CHECK(civic_rules_parse(&again, text, size, NULL, NULL) == CIVIC_OK, "second parse");
    FZ_CHECK(civic_rules_fingerprint(again) == civic_rules_fingerprint(r), "fingerprint");
    civic_rules_free(again);
    char *commented = malloc(size + 16);
    FZ_CHECK(commented != NULL, "malloc");
    memcpy(commented, text, size);
    memcpy(commented + size, "\n# comment\n", 11);
    again = NULL;
    if (civic_rules_parse(&again, commented, size + 11, NULL, NULL) == CIVIC_OK)
        FZ_CHECK(civic_rules_fingerprint(again) == civic_rules_fingerprint(r),
                 "a trailing comment changed the fingerprint");
    civic_rules_free(again);
    free(commented);

    /* An engine under these rules: one event of every rule (at most 64),
     * then a full query. */
    civic_engine *e = NULL;
    FZ_CHECK(civic_engine_new(&e, r, NULL) == CIVIC_OK, "engine_new");
    for (size_t i = 0; i < nr && i < 64; i++) {
        char id[32], subject[32];
        snprintf(id, sizeof(id), "e%zu", i);
        snprintf(subject, sizeof(subject), "s%zu", i % 3);
        civic_event ev = CIVIC_EVENT_INIT;
        ev.id = id;
        ev.subject = subject;
        ev.type = civic_rules_rule_code(r, i);
        ev.ts = i % 2 ? "2024-02-29T12:00:00" : "2023-12-31";
        ev.qty = i % 4 == 3 ? "2.5" : NULL;
        ev.group = i % 2 ? "a/b" : "a";
        int rc = civic_engine_add(e, &ev, NULL);
        FZ_CHECK(rc == CIVIC_OK || rc == CIVIC_E_OVERFLOW, "add of rule %s: %d", ev.type, rc);
    }
    int64_t t = 0;
    FZ_CHECK(civic_rules_parse_time(r, "2025-01-01", 10, &t) == CIVIC_OK, "parse_time");
    char buf[32];
    FZ_CHECK(civic_rules_format_time(r, t, buf, sizeof(buf)) == CIVIC_OK, "format_time");
    fz_buf snap = { NULL, 0, 0 };
    fz_snapshot_at(e, t, 2, &snap);
    fz_buf_free(&snap);
    civic_engine_free(e);
}

/* The same bytes as a time (civic_rules_parse_time_ext): its reason, with
 * the hint a time of no form gets, is one terminated message, and a time
 * it accepts formats back. */
static void as_time(const char *text, size_t size)
{
    static civic_rules *def;
    if (!def) FZ_CHECK(civic_rules_default(&def, NULL) == CIVIC_OK, "default rules");
    int64_t t = 0;
    civic_error err = CIVIC_ERROR_INIT;
    int rc = civic_rules_parse_time_ext(def, text, size < 300 ? size : 300, &t, &err);
    if (rc != CIVIC_OK) {
        FZ_CHECK(err.code == rc && err.message[0] != '\0', "time: code %d, message '%s'",
                 err.code, err.message);
        FZ_CHECK(memchr(err.message, '\0', sizeof(err.message)) != NULL, "time: unterminated");
        return;
    }
    char buf[64];
    FZ_CHECK(civic_rules_format_time(def, t, buf, sizeof(buf)) == CIVIC_OK, "time: format");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    as_time(text, size);
    civic_rules *r = (civic_rules *)1;
    civic_error err = CIVIC_ERROR_INIT;
    int rc = civic_rules_parse(&r, text, size, NULL, &err);
    if (rc != CIVIC_OK) {
        FZ_CHECK(r == NULL, "failed parse left *out set");
        FZ_CHECK(err.code == rc, "err.code %d, returned %d", err.code, rc);
        FZ_CHECK(rc == CIVIC_E_SYNTAX || rc == CIVIC_E_RULES || rc == CIVIC_E_LIMIT,
                 "unexpected code %d", rc);
        FZ_CHECK(err.message[0] != '\0', "error without a message");
        FZ_CHECK(memchr(err.message, '\0', sizeof(err.message)) != NULL, "unterminated message");
        return 0;
    }
    FZ_CHECK(r != NULL, "OK without rules");
    exercise(r, text, size);
    civic_rules_free(r);
    return 0;
}
