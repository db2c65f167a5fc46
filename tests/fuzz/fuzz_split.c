/*
** fuzz_split.c -- libFuzzer harness for civic_split (lib/split.c).
**
** Input: one mode byte, then CSV or JSON Lines (format by content, as a load
** chooses it).  Mode bits 0-2: parts - 1 (1..8); bit 3: part by event id;
** bit 4: a CSV input's first line is given apart as the header (the block
** after it is split, as a later block of a file would be); bit 5:
** CIVIC_SPLIT_V2 (the built-in rules that load the whole are version 2).
**
** The checks, against one engine loading the whole input (built-in rules):
**   - the size query and the split agree on bytes_max; the split writes no
**     more; the parts end where part_end says and hold the events reported;
**   - a split that fails names a line, and the whole load fails too: the
**     split checks nothing a load does not; when the load cannot read a
**     record, the split fails with the load's error (code, line, column,
**     message) -- without CIVIC_SPLIT_V2, unless the load refuses a JSON
**     key in other letters;
**   - each record is in the part of its key, each CSV part starts with the
**     header, the events of all parts add up;
**   - by subject: when the whole loads, every part loads, they hold its
**     events between them, max_ts is its latest ts, and every subject's
**     answer (score, grade, balance, flags, group, events) is the whole
**     engine's; when the whole does not load, some part does not either,
**     unless an id was reused across subjects (a conflict only the whole
**     sees);
**   - by id: a part fails to load exactly when the whole does.
** Not covered: the Dask example and the Python binding around it.
*/
#include "fuzz_load.h"

/* The load's words for what only a version-2 load refuses of the keys and
 * columns, which a split without CIVIC_SPLIT_V2 reads as version 1 does: a
 * JSON key spelling a field's name in other letters or with blanks
 * (jsonl.c), and a CSV header naming act or source twice, "act" and "ACT"
 * (csv.c; version 1 has no such columns). */
static bool variant_key_error(const char *message)
{
    return strstr(message, "keys are lower case: write") ||
           strstr(message, "a key has no blanks around it: write") ||
           strstr(message, "column 'act' appears twice in the header") ||
           strstr(message, "column 'source' appears twice in the header");
}

/* Whether two messages are the same but for the note of a line that is a
 * header again or another file's header (with a byte-order mark or not):
 * a split not told the version reads `act` and `source` as columns it
 * ignores, the load under version-2 rules as fields, so a line naming them
 * (twice, or where the header has the other) may be a header to one and
 * not the other. */
static bool same_but_header_note(const char *a, const char *b)
{
    static const char *notes[] = { " (the line repeats the header", " (the line is a header of",
                                   " (the line starts with U+FEFF" };
    size_t n[2] = { strlen(a), strlen(b) };
    const char *m[2] = { a, b };
    for (int k = 0; k < 2; k++)
        for (size_t i = 0; i < sizeof(notes) / sizeof(notes[0]); i++) {
            const char *at = strstr(m[k], notes[i]);
            if (at && (size_t)(at - m[k]) < n[k]) n[k] = (size_t)(at - m[k]);
        }
    return n[0] == n[1] && memcmp(a, b, n[0]) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static civic_engine *fz_engine(void)
{
    civic_engine *e = NULL;
    civic_engine_options o = CIVIC_ENGINE_OPTIONS_INIT;
    o.threads = 1;
    FZ_CHECK(civic_engine_new(&e, fz_default_rules(), &o) == CIVIC_OK, "engine_new");
    return e;
}

static int fz_load(civic_engine *e, const char *text, size_t len, uint32_t format,
                   civic_error *err)
{
    civic_load_options o = CIVIC_LOAD_OPTIONS_INIT;
    o.format = format;
    return civic_engine_load(e, text, len, &o, NULL, err);
}

/* Each subject of part engine `pe` answers as in the whole engine. */
static void fz_same_answers(const civic_engine *pe, const civic_engine *whole, int64_t as_of)
{
    civic_result *res = NULL;
    FZ_CHECK(civic_engine_subjects(pe, as_of, &res) == CIVIC_OK, "part subjects");
    for (size_t i = 0; i < civic_result_count(res); i++) {
        civic_score s = CIVIC_SCORE_INIT, w = CIVIC_SCORE_INIT;
        civic_result *one = NULL;
        FZ_CHECK(civic_result_get(res, i, &s) == CIVIC_OK, "result_get");
        FZ_CHECK(civic_engine_subject(whole, s.subject, as_of, &one) == CIVIC_OK, "subject");
        FZ_CHECK(civic_result_get(one, 0, &w) == CIVIC_OK, "result_get");
        FZ_CHECK(s.score == w.score && s.balance == w.balance && s.events == w.events &&
                     strcmp(s.grade, w.grade) == 0 && strcmp(s.flags, w.flags) == 0 &&
                     strcmp(s.group, w.group) == 0,
                 "subject %s: a part says %lld/%lld/%llu, the whole %lld/%lld/%llu", s.subject,
                 (long long)s.score, (long long)s.balance, (unsigned long long)s.events,
                 (long long)w.score, (long long)w.balance, (unsigned long long)w.events);
        civic_result_free(one);
    }
    civic_result_free(res);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) return 0;
    uint8_t mode = data[0];
    const char *text = (const char *)data + 1;
    size_t len = size - 1;
    civic_split_options o = CIVIC_SPLIT_OPTIONS_INIT;
    o.parts = 1u + (mode & 7u);
    o.flags = ((mode & 8) ? CIVIC_SPLIT_KEY_ID : 0) | ((mode & 32) ? CIVIC_SPLIT_V2 : 0);
    o.utc_offset = civic_rules_utc_offset(fz_default_rules());
    const char *block = text;
    size_t block_len = len;
    const char *nl = memchr(text, '\n', len);
    size_t skip = 0;
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) skip = 3;
    while (skip < len && strchr(" \t\r\n", text[skip])) skip++;
    bool csv_like = skip == len || text[skip] != '{';
    if ((mode & 16) && nl && csv_like && !memchr(text, '"', (size_t)(nl - text)) &&
        memchr(text, ',', (size_t)(nl - text))) {
        o.header = text;
        o.header_len = (size_t)(nl - text) + 1;
        block = nl + 1;
        block_len = len - o.header_len;
    }

    civic_split_report q = CIVIC_SPLIT_REPORT_INIT, rep = CIVIC_SPLIT_REPORT_INIT;
    civic_error err = CIVIC_ERROR_INIT;
    int qrc = civic_split(block, block_len, &o, NULL, 0, NULL, NULL, &q, &err);
    civic_engine *whole = fz_engine();
    civic_error werr = CIVIC_ERROR_INIT;
    int wrc = fz_load(whole, text, len, CIVIC_FORMAT_AUTO, &werr);
    if (qrc != CIVIC_OK) {
        FZ_CHECK(err.code == qrc && err.message[0], "size query failed without a message");
        FZ_CHECK(wrc != CIVIC_OK, "the split refused a header the load takes: %s", err.message);
        civic_engine_free(whole);
        return 0;
    }
    FZ_CHECK(q.bytes_max >= block_len + 1, "bytes_max %llu for %zu bytes",
             (unsigned long long)q.bytes_max, block_len);
    /* One guard byte past bytes_max. */
    char *out = malloc(q.bytes_max + 1);
    uint64_t *end = calloc(o.parts, sizeof(uint64_t)), *events = calloc(o.parts, sizeof(uint64_t));
    FZ_CHECK(out && end && events, "out of memory");
    out[q.bytes_max] = '\x5a';
    /* err and report are optional: the same status without them (a hint
     * appended to a message through a NULL err crashed) */
    int bare = civic_split(block, block_len, &o, out, q.bytes_max, end, events, NULL, NULL);
    int rc = civic_split(block, block_len, &o, out, q.bytes_max, end, events, &rep, &err);
    FZ_CHECK(bare == rc, "without err the split returned %d, with it %d", bare, rc);
    FZ_CHECK(out[q.bytes_max] == '\x5a', "the split wrote past bytes_max");
    FZ_CHECK(rep.bytes_max == q.bytes_max, "bytes_max changed between calls");
    if (rc != CIVIC_OK) {
        FZ_CHECK(err.code == rc && err.message[0], "split failed without a message");
        FZ_CHECK(err.line > 0 || rc == CIVIC_E_NOMEM, "split error without a line: %s",
                 err.message);
        FZ_CHECK(wrc != CIVIC_OK, "the split refused what a load takes: %s", err.message);
        /* A record the load cannot read is the first thing wrong for the
         * split too (it checks less of the lines before), said alike -- but
         * without CIVIC_SPLIT_V2 for a JSON key spelling a field's name in
         * other letters or with blanks: the load refuses it under these
         * version-2 rules, and the split, not told the version, ignores it
         * (unless it is the subject's or the ts's, which it needs), so it
         * may stop at a later line; the same of a CSV header naming act or
         * source twice.  With the flag it refuses them alike. */
        FZ_CHECK(wrc != CIVIC_E_SYNTAX || o.header ||
                     (!(o.flags & CIVIC_SPLIT_V2) && variant_key_error(werr.message)) ||
                     (rc == wrc && err.line == werr.line && err.column == werr.column &&
                      (strcmp(err.message, werr.message) == 0 ||
                       (!(o.flags & CIVIC_SPLIT_V2) &&
                        same_but_header_note(err.message, werr.message)))),
                 "the load says \"%s\", the split \"%s\"", werr.message, err.message);
        goto done;
    }
    FZ_CHECK(rep.bytes == end[o.parts - 1] && rep.bytes <= q.bytes_max, "bytes");
    uint64_t sum = 0, at = 0, held = 0;
    bool part_failed = false;
    for (uint32_t p = 0; p < o.parts; p++) {
        FZ_CHECK(end[p] >= at, "part_end goes back");
        sum += events[p];
        civic_engine *pe = fz_engine();
        int prc = fz_load(pe, out + at, (size_t)(end[p] - at), rep.format, NULL);
        if (prc != CIVIC_OK) part_failed = true;
        if (prc == CIVIC_OK) held += civic_engine_event_count(pe);
        if (prc == CIVIC_OK && wrc == CIVIC_OK && !(o.flags & CIVIC_SPLIT_KEY_ID))
            fz_same_answers(pe, whole, rep.max_ts == CIVIC_NO_TIME ? 0 : rep.max_ts);
        civic_engine_free(pe);
        at = end[p];
    }
    FZ_CHECK(sum == rep.events, "part events %llu, report %llu", (unsigned long long)sum,
             (unsigned long long)rep.events);
    if (wrc == CIVIC_OK) {
        int64_t first, last;
        FZ_CHECK(!part_failed, "a part fails to load, the whole loads");
        FZ_CHECK(held == civic_engine_event_count(whole), "parts hold %llu events, whole %llu",
                 (unsigned long long)held, (unsigned long long)civic_engine_event_count(whole));
        if (civic_engine_time_range(whole, &first, &last) == CIVIC_OK)
            FZ_CHECK(rep.max_ts == last, "max_ts %lld, whole engine %lld",
                     (long long)rep.max_ts, (long long)last);
        else
            FZ_CHECK(rep.max_ts == CIVIC_NO_TIME && rep.events == 0, "max_ts without events");
    } else if (o.flags & CIVIC_SPLIT_KEY_ID) {
        FZ_CHECK(part_failed, "the whole fails, every id part loads");
    } else if (wrc != CIVIC_E_CONFLICT) {
        FZ_CHECK(part_failed, "the whole fails with %d, every subject part loads", wrc);
    }
done:
    free(out);
    free(end);
    free(events);
    civic_engine_free(whole);
    return 0;
}
