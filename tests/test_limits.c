/*
** test_limits.c -- every documented limit of include/civic.h ("Limits" and
** civic_engine_options.events_max) at limit-1, limit and limit+1.  The
** header's contract: inputs past a limit are rejected with CIVIC_E_LIMIT,
** never truncated, with an error message; a rejected event or batch leaves
** the engine unchanged.  Limits of event fields are checked through all
** three doors: civic_engine_add, a CSV batch and a JSON Lines batch.
*/
#include "support.h"
#include "internal.h" /* civic__copy_fields, for the versioned-struct test */

#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <unistd.h>

/* A scheme in UTC so the time limits are the plain Unix values. */
#define UTC_SCHEME "[scheme]\nbase = 1000\nutc_offset = \"+00:00\"\n" TEST_GRADES
#define UTC_RULES UTC_SCHEME "[rule.hour]\npoints = 1\nper = \"unit\"\n[rule.fine]\npoints = -10\n"

static bool under_valgrind(void)
{
    return getenv("CIVIC_TEST_UNDER_VALGRIND") != NULL;
}

static char *repeat(char c, size_t n)
{
    char *s = malloc(n + 1);
    assert_non_null(s);
    memset(s, c, n);
    s[n] = '\0';
    return s;
}

/* A group path of `segments` one-byte segments: "g/g/g". */
static char *segments_path(size_t segments)
{
    char *s = malloc(2 * segments + 1);
    assert_non_null(s);
    for (size_t i = 0; i < segments; i++) {
        s[2 * i] = 'g';
        s[2 * i + 1] = '/';
    }
    s[segments ? 2 * segments - 1 : 0] = '\0';
    return s;
}

static int add(civic_engine *e, const civic_event *ev, civic_error *err)
{
    uint64_t before = civic_engine_event_count(e);
    int rc = civic_engine_add(e, ev, err);
    assert_int_equal(civic_engine_event_count(e), before + (rc == CIVIC_OK));
    if (rc < 0) {
        assert_int_equal(err->code, rc);
        assert_true(err->message[0] != '\0');
    }
    return rc;
}

/* The same event as a one-line CSV batch and as a one-line JSONL batch. */
static int load_one(civic_engine *e, const civic_event *ev, bool json, civic_error *err)
{
    size_t cap = 4096 + strlen(ev->id) + strlen(ev->subject) + strlen(ev->type) + strlen(ev->ts) +
                 (ev->qty ? strlen(ev->qty) : 0) + (ev->group ? strlen(ev->group) : 0) +
                 (ev->ref ? strlen(ev->ref) : 0);
    char *text = malloc(cap);
    assert_non_null(text);
    if (json)
        snprintf(text, cap,
                 "{\"id\":\"%s\",\"subject\":\"%s\",\"type\":\"%s\",\"ts\":\"%s\",\"qty\":%s%s%s,"
                 "\"group\":\"%s\",\"ref\":%s%s%s}\n",
                 ev->id, ev->subject, ev->type, ev->ts, ev->qty ? "\"" : "",
                 ev->qty ? ev->qty : "null", ev->qty ? "\"" : "", ev->group ? ev->group : "",
                 ev->ref ? "\"" : "", ev->ref ? ev->ref : "null", ev->ref ? "\"" : "");
    else
        snprintf(text, cap, "id,subject,type,ts,qty,group,ref\n%s,%s,%s,%s,%s,%s,%s\n", ev->id,
                 ev->subject, ev->type, ev->ts, ev->qty ? ev->qty : "", ev->group ? ev->group : "",
                 ev->ref ? ev->ref : "");
    civic_load_options o = CIVIC_LOAD_OPTIONS_INIT;
    o.format = json ? CIVIC_FORMAT_JSONL : CIVIC_FORMAT_CSV;
    uint64_t before = civic_engine_event_count(e);
    int rc = civic_engine_load(e, text, strlen(text), &o, NULL, err);
    free(text);
    assert_int_equal(civic_engine_event_count(e), before + (rc == CIVIC_OK));
    if (rc < 0) {
        assert_int_equal(err->code, rc);
        assert_int_equal(err->line, 2 - json);
        assert_true(err->message[0] != '\0');
    }
    return rc;
}

/* Through every door, expecting `want`: add, CSV, JSONL (each into a fresh
 * engine so an accepted event cannot turn the next into a duplicate). */
static void expect_everywhere(const char *rules, const civic_event *ev, int want,
                              const char *what)
{
    for (int door = 0; door < 3; door++) {
        civic_engine *e = engine_from(rules);
        civic_error err = CIVIC_ERROR_INIT;
        int rc = door == 0 ? add(e, ev, &err) : load_one(e, ev, door == 2, &err);
        if (rc != want)
            fail_msg("%s via %s: got %d (%s: %s), expected %d (%s)", what,
                     door == 0 ? "civic_engine_add" : door == 1 ? "CSV" : "JSONL", rc,
                     civic_strerror(rc), err.message, want, civic_strerror(want));
        civic_engine_free(e);
    }
}

/* ------------------------------------------------------------ ids */

static void ids_subjects_and_refs_hold_128_bytes_not_129(void **state)
{
    (void)state;
    const size_t lens[] = { CIVIC_ID_BYTES_MAX - 1, CIVIC_ID_BYTES_MAX, CIVIC_ID_BYTES_MAX + 1 };
    for (int i = 0; i < 3; i++) {
        int want = lens[i] <= CIVIC_ID_BYTES_MAX ? CIVIC_OK : CIVIC_E_LIMIT;
        char *s = repeat('x', lens[i]);
        civic_event ev = event_of(s, "s1", "fine", "2024-01-01");
        expect_everywhere(UTC_RULES, &ev, want, "event id");
        ev = event_of("e1", s, "fine", "2024-01-01");
        expect_everywhere(UTC_RULES, &ev, want, "subject id");
        ev = event_of("e1", "s1", "revoke", "2024-01-01");
        ev.ref = s;
        expect_everywhere(UTC_RULES, &ev, want, "ref");
        free(s);
    }
    /* The limit counts bytes, not characters: 64 two-byte characters fit. */
    char utf8[2 * 64 + 3];
    for (int i = 0; i < 64; i++) memcpy(utf8 + 2 * i, "\xC3\xA9", 2);
    utf8[128] = '\0';
    civic_event ev = event_of(utf8, "s1", "fine", "2024-01-01");
    expect_everywhere(UTC_RULES, &ev, CIVIC_OK, "128-byte UTF-8 id");
    memcpy(utf8 + 128, "\xC3\xA9", 3);
    expect_everywhere(UTC_RULES, &ev, CIVIC_E_LIMIT, "130-byte UTF-8 id");
}

/* The word-at-a-time printable check against the plain definition, for
 * every length up to 40 and one odd byte at every position: the bytes just
 * inside and outside 0x20..0x7e, and high bytes. */
static bool printable_by_bytes(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e) return false;
    return true;
}

static void the_printable_check_sees_every_byte(void **state)
{
    (void)state;
    static const unsigned char odd[] = {0x00, 0x01, 0x1f, 0x20, 0x21, 0x7e, 0x7f,
                                        0x80, 0x9f, 0xa0, 0xc3, 0xfe, 0xff};
    char buf[48];
    assert_true(civic__ascii_printable(NULL, 0));
    for (size_t n = 1; n <= 40; n++) {
        for (size_t k = 0; k < n; k++) {
            for (size_t b = 0; b < sizeof odd; b++) {
                memset(buf, 'a', sizeof buf);
                buf[k] = (char)odd[b];
                assert_int_equal(civic__ascii_printable(buf, n), printable_by_bytes(buf, n));
                /* the bytes after the string are never looked at */
                buf[n] = '\x01';
                assert_int_equal(civic__ascii_printable(buf, n), printable_by_bytes(buf, n));
            }
        }
    }
}

/* civic_engine_add vouches for printable fields without the UTF-8 scan:
 * one control character anywhere in any text field of any length still
 * refuses the event, and leaves the engine as it was. */
static void a_control_character_anywhere_refuses_an_added_event(void **state)
{
    (void)state;
    civic_engine *e = engine_from(UTC_RULES);
    static const char bad[] = {'\x01', '\x1f', '\x7f'};
    char text[48];
    civic_error err = CIVIC_ERROR_INIT;
    for (size_t n = 1; n <= 40; n += (n < 18 ? 1 : 7)) {
        for (size_t k = 0; k < n; k++) {
            memset(text, 'q', n);
            text[n] = '\0';
            text[k] = bad[(n + k) % sizeof bad];
            for (int field = 0; field < 6; field++) {
                civic_event ev = event_of("e1", "s1", "fine", "2024-01-01");
                if (field == 5) ev.type = "revoke";
                switch (field) {
                case 0: ev.id = text; break;
                case 1: ev.subject = text; break;
                case 2: ev.group = text; break;
                case 3: ev.act = text; break;
                case 4: ev.source = text; break;
                default: ev.ref = text; break;
                }
                assert_int_equal(add(e, &ev, &err), CIVIC_E_EVENT);
                assert_non_null(strstr(err.message, "control characters"));
            }
        }
    }
    assert_int_equal(civic_engine_event_count(e), 0);
    /* and the same fields, printable or UTF-8, are taken */
    civic_event ok = event_of("e-\xC3\xA9-1", "s1", "fine", "2024-01-01");
    ok.group = "a/b";
    ok.act = "act-1";
    ok.source = "desk 4";
    assert_int_equal(add(e, &ok, &err), CIVIC_OK);
    assert_int_equal(civic_engine_event_count(e), 1);
    civic_engine_free(e);
}

/* A subject id past the limit is never truncated into another subject: the
 * query fails with CIVIC_E_LIMIT (no subject can have such an id), and the
 * subject whose id is its first 128 bytes keeps answering for itself. */
static void a_long_subject_is_never_truncated_into_a_known_one(void **state)
{
    (void)state;
    civic_engine *e = engine_from(UTC_RULES);
    char *s = repeat('s', CIVIC_ID_BYTES_MAX);
    char *longer = repeat('s', CIVIC_ID_BYTES_MAX + 1);
    civic_event ev = event_of("e1", s, "fine", "2024-01-01");
    civic_error err = CIVIC_ERROR_INIT;
    assert_int_equal(add(e, &ev, &err), CIVIC_OK);
    int64_t t = when(e, "2024-02-01");
    civic_result *res = (civic_result *)1;
    assert_int_equal(civic_engine_subject(e, longer, t, &res), CIVIC_E_LIMIT);
    assert_null(res);
    civic_record *rec = (civic_record *)1;
    assert_int_equal(civic_engine_record(e, longer, t, &rec), CIVIC_E_LIMIT);
    assert_null(rec);
    civic_score sc = score_at(e, s, "2024-02-01");
    assert_string_equal(sc.subject, s);
    assert_int_equal(sc.events, 1);
    assert_int_equal(sc.score, P(990));
    free(s);
    free(longer);
    support_release();
    civic_engine_free(e);
}

/* ------------------------------------------------------------ groups */

static void groups_hold_255_bytes_not_256(void **state)
{
    (void)state;
    const size_t lens[] = { CIVIC_GROUP_BYTES_MAX - 1, CIVIC_GROUP_BYTES_MAX,
                            CIVIC_GROUP_BYTES_MAX + 1 };
    for (int i = 0; i < 3; i++) {
        char *g = repeat('a', lens[i]);
        civic_event ev = event_of("e1", "s1", "fine", "2024-01-01");
        ev.group = g;
        expect_everywhere(UTC_RULES, &ev, lens[i] <= CIVIC_GROUP_BYTES_MAX ? CIVIC_OK : CIVIC_E_LIMIT,
                          "group bytes");
        free(g);
    }
}

static void groups_hold_64_segments_not_65(void **state)
{
    (void)state;
    const size_t counts[] = { CIVIC_GROUP_DEPTH_MAX - 1, CIVIC_GROUP_DEPTH_MAX,
                              CIVIC_GROUP_DEPTH_MAX + 1 };
    for (int i = 0; i < 3; i++) {
        char *g = segments_path(counts[i]);
        civic_event ev = event_of("e1", "s1", "fine", "2024-01-01");
        ev.group = g;
        expect_everywhere(UTC_RULES, &ev,
                          counts[i] <= CIVIC_GROUP_DEPTH_MAX ? CIVIC_OK : CIVIC_E_LIMIT,
                          "group segments");
        free(g);
    }
    /* Groups at the deepest depth answer; depth 65 is an invalid question. */
    civic_engine *e = engine_from(UTC_RULES);
    char *g = segments_path(CIVIC_GROUP_DEPTH_MAX);
    civic_event ev = event_of("e1", "s1", "fine", "2024-01-01");
    ev.group = g;
    civic_error err = CIVIC_ERROR_INIT;
    assert_int_equal(add(e, &ev, &err), CIVIC_OK);
    civic_groups *gs = NULL;
    assert_int_equal(civic_engine_groups(e, CIVIC_GROUP_DEPTH_MAX, when(e, "2024-02-01"), &gs),
                     CIVIC_OK);
    assert_int_equal(civic_groups_count(gs), 1);
    civic_group_stats st = CIVIC_GROUP_STATS_INIT;
    assert_int_equal(civic_groups_get(gs, 0, &st), CIVIC_OK);
    assert_string_equal(st.path, g);
    civic_groups_free(gs);
    gs = (civic_groups *)1;
    assert_int_equal(civic_engine_groups(e, CIVIC_GROUP_DEPTH_MAX + 1, when(e, "2024-02-01"), &gs),
                     CIVIC_E_INVALID);
    assert_null(gs);
    free(g);
    civic_engine_free(e);
}

/* ------------------------------------------------------------ lines */

/* A batch of one event whose record (CSV) or line (JSONL) is exactly
 * `bytes` long, not counting the line terminator, padded in an ignored
 * column or key. */
static char *line_of(size_t bytes, bool json, size_t *len)
{
    const char *head = json ? "" : "id,subject,type,ts,pad\n";
    const char *start = json ? "{\"id\":\"e1\",\"subject\":\"s1\",\"type\":\"fine\",\"ts\":\"2024-01-01\",\"pad\":\""
                             : "e1,s1,fine,2024-01-01,";
    const char *end = json ? "\"}" : "";
    size_t fixed = strlen(start) + strlen(end);
    assert_true(bytes > fixed);
    size_t pad = bytes - fixed;
    size_t n = strlen(head) + bytes + 1;
    char *text = malloc(n + 1);
    assert_non_null(text);
    size_t at = 0;
    memcpy(text + at, head, strlen(head));
    at += strlen(head);
    memcpy(text + at, start, strlen(start));
    at += strlen(start);
    memset(text + at, 'p', pad);
    at += pad;
    memcpy(text + at, end, strlen(end));
    at += strlen(end);
    text[at++] = '\n';
    text[at] = '\0';
    *len = at;
    return text;
}

/* Load text (or, with path, the file) into a fresh engine of UTC_RULES as
 * CSV or JSON Lines, strict or lenient; *e gets the engine. */
static int load_fresh(civic_engine **e, const char *text, size_t len, const char *path, bool json,
                    bool lenient, civic_load_report *rep, civic_error *err)
{
    *e = engine_from(UTC_RULES);
    civic_load_options o = CIVIC_LOAD_OPTIONS_INIT;
    o.format = json ? CIVIC_FORMAT_JSONL : CIVIC_FORMAT_CSV;
    o.flags = lenient ? CIVIC_LOAD_LENIENT : 0;
    *rep = (civic_load_report)CIVIC_LOAD_REPORT_INIT;
    *err = (civic_error)CIVIC_ERROR_INIT;
    return path ? civic_engine_load_file(*e, path, &o, rep, err)
                : civic_engine_load(*e, text, len, &o, rep, err);
}

static void records_and_lines_hold_1_mib_not_more(void **state)
{
    (void)state;
    const size_t sizes[] = { CIVIC_LINE_BYTES_MAX - 1, CIVIC_LINE_BYTES_MAX,
                             CIVIC_LINE_BYTES_MAX + 1 };
    for (int json = 0; json <= 1; json++) {
        for (int i = 0; i < 3; i++) {
            size_t len;
            char *text = line_of(sizes[i], json, &len);
            int want = sizes[i] <= CIVIC_LINE_BYTES_MAX ? CIVIC_OK : CIVIC_E_LIMIT;
            for (int lenient = 0; lenient <= 1; lenient++) {
                civic_engine *e;
                civic_load_report rep;
                civic_error err;
                int rc = load_fresh(&e, text, len, NULL, json, lenient, &rep, &err);
                if (lenient) {
                    /* lenient: the long line is skipped and reported */
                    if (rc != CIVIC_OK || rep.rejected != (want != CIVIC_OK))
                        fail_msg("%s line of %zu bytes (lenient): rc %d, %llu rejected (%s)",
                                 json ? "JSONL" : "CSV", sizes[i], rc,
                                 (unsigned long long)rep.rejected, err.message);
                } else if (rc != want) {
                    fail_msg("%s line of %zu bytes: got %d (%s), expected %d",
                             json ? "JSONL" : "CSV", sizes[i], rc, err.message, want);
                }
                assert_int_equal(civic_engine_event_count(e), want == CIVIC_OK);
                civic_engine_free(e);
            }
            free(text);
        }
    }
}

/* Under an ignored key of a JSON line, 64 arrays or objects may be open at
 * once inside the line's own object, whatever the innermost holds (a number
 * is no level); a 65th is refused at its bracket, with CIVIC_E_LIMIT as every
 * limit is (it was CIVIC_E_SYNTAX), and a lenient load skips the line and
 * reports it.  (A number inside 64 objects was refused, though 64 empty
 * arrays were not.) */
static void json_lines_nest_64_levels_not_65(void **state)
{
    (void)state;
    static const char head[] = "{\"id\":\"e\",\"subject\":\"s\",\"type\":\"fine\",\"ts\":\"2025-01-01\","
                               "\"extra\":";
    for (int levels = 63; levels <= 65; levels++) {
        for (int kind = 0; kind < 4; kind++) { /* arrays, arrays around 1, objects, mixed */
            char text[1024];
            size_t n = sizeof(head) - 1;
            memcpy(text, head, n);
            for (int i = 0; i < levels; i++) {
                bool object = kind == 2 || (kind == 3 && i % 2);
                n += (size_t)snprintf(text + n, sizeof(text) - n, "%s", object ? "{\"k\":" : "[");
            }
            n += (size_t)snprintf(text + n, sizeof(text) - n, "%s", kind == 0 ? "" : kind == 2 ||
                                  (kind == 3 && levels % 2 == 0) ? "1" : "true");
            for (int i = levels - 1; i >= 0; i--)
                text[n++] = kind == 2 || (kind == 3 && i % 2) ? '}' : ']';
            memcpy(text + n, "}\n", 3);
            n += 2;
            civic_engine *e;
            civic_load_report rep;
            civic_error err;
            int rc = load_fresh(&e, text, n, NULL, 1, 0, &rep, &err);
            if (levels <= 64) {
                if (rc != CIVIC_OK) fail_msg("%d levels, kind %d: %s", levels, kind, err.message);
            } else {
                /* the column of the 65th bracket */
                size_t at = sizeof(head) - 1;
                for (int i = 0; i < 64; i++) at += kind == 2 || (kind == 3 && i % 2) ? 5 : 1;
                if (rc != CIVIC_E_LIMIT || err.code != CIVIC_E_LIMIT ||
                    !strstr(err.message, "nesting deeper than 64") || err.column != at + 1)
                    fail_msg("%d levels, kind %d: rc %d, column %u: %s", levels, kind, rc,
                             (unsigned)err.column, err.message);
            }
            civic_engine_free(e);
            /* lenient, with a good line after it: the deep line is skipped */
            memcpy(text + n, "{\"id\":\"f\",\"subject\":\"s\",\"type\":\"fine\",\"ts\":1}\n", 47);
            rc = load_fresh(&e, text, n + 46, NULL, 1, 1, &rep, &err);
            if (rc != CIVIC_OK || rep.rejected != (levels > 64) ||
                civic_engine_event_count(e) != 2u - (levels > 64))
                fail_msg("%d levels, kind %d, lenient: rc %d, %llu rejected, %llu events: %s",
                         levels, kind, rc, (unsigned long long)rep.rejected,
                         (unsigned long long)civic_engine_event_count(e), err.message);
            civic_engine_free(e);
            /* civic_split reads the line with the same parser */
            civic_split_options so = CIVIC_SPLIT_OPTIONS_INIT;
            so.parts = 2;
            so.format = CIVIC_FORMAT_JSONL;
            civic_split_report sr = CIVIC_SPLIT_REPORT_INIT;
            char out[1024];
            uint64_t end[2];
            rc = civic_split(text, n, &so, out, sizeof(out), end, NULL, &sr, &err);
            if (rc != (levels > 64 ? CIVIC_E_LIMIT : CIVIC_OK) ||
                (levels > 64 && !strstr(err.message, "nesting deeper than 64")))
                fail_msg("%d levels, kind %d, split: rc %d: %s", levels, kind, rc, err.message);
        }
    }
}

/* A lenient file load skips quoted CSV records of several MiB, read in many
 * pieces: escaped quotes and line breaks inside them (some of them cut by
 * the end of a read) do not end them, and the records after them are read
 * at their right line numbers. */
static void lenient_file_loads_skip_long_quoted_records_across_reads(void **state)
{
    (void)state;
    const size_t big = 3 * CIVIC_LINE_BYTES_MAX;
    size_t cap = 3 * (big + 64) + 256, len = 0;
    char *text = malloc(cap);
    assert_non_null(text);
    len += (size_t)snprintf(text, cap, "id,subject,type,ts,pad\n");
    uint64_t line = 2, want[4];
    for (int r = 0; r < 3; r++) {
        /* a long quoted pad of "" and line breaks, shifted by r bytes */
        want[r] = line;
        len += (size_t)snprintf(text + len, cap - len, "l%d,s1,fine,2024-01-01,\"%.*s", r, r, "xx");
        for (size_t k = 0; k < big / 3; k++) {
            memcpy(text + len, "\"\"\n", 3);
            len += 3;
            line++;
        }
        len += (size_t)snprintf(text + len, cap - len, "\"\n");
        line++;
        len += (size_t)snprintf(text + len, cap - len, "g%d,s1,fine,2024-01-01,\n", r);
        line++;
    }
    want[3] = line;
    len += (size_t)snprintf(text + len, cap - len, "bad,s1,nope,2024-01-01,\n");
    char path[64];
    snprintf(path, sizeof(path), "/tmp/civic-limits-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, len), (ssize_t)len);
    close(fd);
    civic_engine *e = engine_from(UTC_RULES);
    reject_log seen = { { 0 }, 0, "" };
    civic_load_options o = CIVIC_LOAD_OPTIONS_INIT;
    o.format = CIVIC_FORMAT_CSV;
    o.flags = CIVIC_LOAD_LENIENT;
    o.on_reject = log_reject;
    o.payload = &seen;
    civic_load_report rep = CIVIC_LOAD_REPORT_INIT;
    civic_error err = CIVIC_ERROR_INIT;
    assert_int_equal(civic_engine_load_file(e, path, &o, &rep, &err), CIVIC_OK);
    assert_int_equal(rep.accepted, 3);
    assert_int_equal(rep.rejected, 4);
    assert_int_equal(seen.count, 4);
    for (size_t k = 0; k < 4; k++) assert_int_equal(seen.lines[k], want[k]);
    assert_int_equal(rep.lines, want[3]);
    assert_int_equal(civic_engine_event_count(e), 3);
    civic_engine_free(e);
    /* a file that ends in the skipped line, without a line break, its size a
     * multiple of the reads (so the last read is empty): the line counts */
    for (int json = 0; json <= 1; json++) {
        const char *head = json ? "{\"id\":\"a\",\"subject\":\"s1\",\"type\":\"fine\",\"ts\":\"2024-01-01\",\"p\":\""
                                : "id,subject,type,ts,pad\ng,s1,fine,2024-01-01,\na,s1,fine,2024-01-01,\"";
        size_t size = 4 * CIVIC_LINE_BYTES_MAX, h = strlen(head);
        memcpy(text, head, h);
        memset(text + h, 'x', size - h);
        fd = open(path, O_WRONLY | O_TRUNC);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, text, size), (ssize_t)size);
        close(fd);
        assert_int_equal(load_fresh(&e, NULL, 0, path, json, true, &rep, &err), CIVIC_OK);
        assert_int_equal(rep.rejected, 1);
        assert_int_equal(rep.accepted, json ? 0 : 1);
        assert_int_equal(rep.lines, json ? 1 : 3);
        civic_engine_free(e);
    }
    unlink(path);
    free(text);
}

/* A CSV header may have 1,024 columns, the mapped ones anywhere among them;
 * a record with more fields than the header is a bad line.  Enough rows for
 * the pipeline (the part runner maps fields straight into the event), on one
 * thread and on two, and the serial reader, strict and lenient. */
static void csv_headers_hold_1024_columns_not_more(void **state)
{
    (void)state;
    const size_t rows = 600, cols = 1024;
    size_t cap = (rows + 2) * (cols + 64), len = 0;
    char *text = malloc(cap);
    assert_non_null(text);
    for (size_t c = 0; c < cols - 4; c++) len += (size_t)snprintf(text + len, cap - len, "c%zu,", c);
    len += (size_t)snprintf(text + len, cap - len, "ts,TYPE,subject,id\n");
    for (size_t r = 0; r < rows; r++) {
        memset(text + len, ',', cols - 4);
        len += cols - 4;
        len += (size_t)snprintf(text + len, cap - len, "2024-01-01,fine,s%zu,e%zu%s\n", r % 7, r,
                                r == 300 ? ",x" : ""); /* one field too many */
    }
    const uint32_t threads[] = { SERIAL_READER, 1, 2 };
    for (int k = 0; k < 3; k++) {
        for (int lenient = 0; lenient <= 1; lenient++) {
            civic_engine *e = engine_from_threads(UTC_RULES, threads[k]);
            civic_load_options o = CIVIC_LOAD_OPTIONS_INIT;
            o.flags = lenient ? CIVIC_LOAD_LENIENT : 0;
            civic_load_report rep = CIVIC_LOAD_REPORT_INIT;
            civic_error err = CIVIC_ERROR_INIT;
            int rc = civic_engine_load(e, text, len, &o, &rep, &err);
            if (lenient) {
                assert_int_equal(rc, CIVIC_OK);
                assert_int_equal(rep.accepted, rows - 1);
                assert_int_equal(rep.rejected, 1);
                assert_int_equal(civic_engine_subject_count(e), 7);
            } else {
                assert_int_equal(rc, CIVIC_E_SYNTAX);
                assert_int_equal(err.line, 302);
                assert_non_null(strstr(err.message, "expected 1024 fields as in the header, found more than 1024"));
                assert_int_equal(civic_engine_event_count(e), 0);
            }
            civic_engine_free(e);
        }
    }
    /* a 1,025th column is refused in the header */
    char *wide = malloc(cols * 8 + 64);
    assert_non_null(wide);
    size_t w = (size_t)snprintf(wide, 64, "id,subject,type,ts");
    for (size_t c = 4; c <= cols; c++) w += (size_t)snprintf(wide + w, 16, ",c%zu", c);
    wide[w++] = '\n';
    civic_engine *e = engine_from(UTC_RULES);
    civic_error err = CIVIC_ERROR_INIT;
    assert_int_equal(civic_engine_load(e, wide, w, NULL, NULL, &err), CIVIC_E_LIMIT);
    assert_non_null(strstr(err.message, "more than 1024 columns"));
    civic_engine_free(e);
    free(wide);
    free(text);
}

/* civic_engine_load_file reads in pieces: the same limits hold there. */
static void records_and_lines_in_files_hold_1_mib_not_more(void **state)
{
    (void)state;
    const size_t sizes[] = { CIVIC_LINE_BYTES_MAX, CIVIC_LINE_BYTES_MAX + 1,
                             3 * CIVIC_LINE_BYTES_MAX };
    for (int json = 0; json <= 1; json++) {
        for (int i = 0; i < 3; i++) {
            size_t len;
            char *text = line_of(sizes[i], json, &len);
            char path[64];
            snprintf(path, sizeof(path), "/tmp/civic-limits-XXXXXX");
            int fd = mkstemp(path);
            assert_true(fd >= 0);
            /* the long line, then a good one: the long one must not be cut
             * into pieces that parse */
            assert_int_equal(write(fd, text, len), (ssize_t)len);
            const char *more = json ? "{\"id\":\"e2\",\"subject\":\"s1\",\"type\":\"fine\",\"ts\":\"2024-01-01\"}\n"
                                    : "e2,s1,fine,2024-01-01,\n";
            assert_int_equal(write(fd, more, strlen(more)), (ssize_t)strlen(more));
            close(fd);
            int want = sizes[i] <= CIVIC_LINE_BYTES_MAX ? CIVIC_OK : CIVIC_E_LIMIT;
            for (int lenient = 0; lenient <= 1; lenient++) {
                civic_engine *e;
                civic_load_report rep;
                civic_error err;
                int rc = load_fresh(&e, NULL, 0, path, json, lenient, &rep, &err);
                if (lenient) {
                    /* however long, the line is skipped and the next one read, at its
                     * line number, even when the long one spans several reads */
                    if (rc != CIVIC_OK || rep.rejected != (want != CIVIC_OK))
                        fail_msg("%s file with a %zu-byte line (lenient): rc %d, %llu rejected (%s)",
                                 json ? "JSONL" : "CSV", sizes[i], rc,
                                 (unsigned long long)rep.rejected, err.message);
                    assert_int_equal(civic_engine_event_count(e), want == CIVIC_OK ? 2 : 1);
                    assert_int_equal(rep.lines, json ? 2 : 3);
                } else {
                    if (rc != want)
                        fail_msg("%s file with a %zu-byte line: got %d (%s), expected %d",
                                 json ? "JSONL" : "CSV", sizes[i], rc, err.message, want);
                    assert_int_equal(civic_engine_event_count(e), want == CIVIC_OK ? 2 : 0);
                }
                civic_engine_free(e);
            }
            unlink(path);
            free(text);
        }
    }
}

/* ------------------------------------------------------------ rules file */

/* Valid rules padded with a comment to exactly `bytes`. */
static char *rules_of(size_t bytes)
{
    const char *base = UTC_RULES "#";
    size_t n = strlen(base);
    assert_true(bytes > n + 1);
    char *text = malloc(bytes + 1);
    assert_non_null(text);
    memcpy(text, base, n);
    memset(text + n, 'c', bytes - n - 1);
    text[bytes - 1] = '\n';
    text[bytes] = '\0';
    return text;
}

static void rules_hold_16_mib_not_more(void **state)
{
    (void)state;
    const size_t sizes[] = { CIVIC_RULES_BYTES_MAX - 1, CIVIC_RULES_BYTES_MAX,
                             CIVIC_RULES_BYTES_MAX + 1 };
    for (int i = 0; i < 3; i++) {
        char *text = rules_of(sizes[i]);
        int want = sizes[i] <= CIVIC_RULES_BYTES_MAX ? CIVIC_OK : CIVIC_E_LIMIT;
        civic_rules *r = NULL;
        civic_error err = CIVIC_ERROR_INIT;
        int rc = civic_rules_parse(&r, text, sizes[i], NULL, &err);
        if (rc != want) fail_msg("rules of %zu bytes: got %d (%s)", sizes[i], rc, err.message);
        civic_rules_free(r);
        /* and from a file */
        char path[64];
        snprintf(path, sizeof(path), "/tmp/civic-limits-XXXXXX");
        int fd = mkstemp(path);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, text, sizes[i]), (ssize_t)sizes[i]);
        close(fd);
        r = NULL;
        rc = civic_rules_load_file(&r, path, NULL, &err);
        if (rc != want)
            fail_msg("rules file of %zu bytes: got %d (%s)", sizes[i], rc, err.message);
        if (rc != CIVIC_OK) assert_true(err.message[0] != '\0');
        civic_rules_free(r);
        unlink(path);
        free(text);
    }
}

/* ------------------------------------------------------------ counts */

typedef enum { COUNT_RULES, COUNT_GRADES, COUNT_CAPS, COUNT_DIMENSIONS } count_kind;

/* A scheme with n rules, grades, caps or distinct dimensions. */
static char *scheme_with(count_kind kind, size_t n)
{
    size_t cap = 4096 + n * 96, at = 0;
    char *t = malloc(cap);
    assert_non_null(t);
    at += (size_t)snprintf(t + at, cap - at, "[scheme]\nbase = 0\n");
    if (kind == COUNT_GRADES) {
        for (size_t i = 0; i + 1 < n; i++)
            at += (size_t)snprintf(t + at, cap - at, "[[grade]]\nname = \"g%zu\"\nmin = %zu\n", i,
                                   (n - i) * 10);
        at += (size_t)snprintf(t + at, cap - at, "[[grade]]\nname = \"last\"\n");
    } else {
        at += (size_t)snprintf(t + at, cap - at, "[[grade]]\nname = \"all\"\n");
    }
    if (kind == COUNT_CAPS)
        for (size_t i = 0; i < n; i++)
            at += (size_t)snprintf(t + at, cap - at, "[cap.c%zu]\nlimit = 5\nperiod = \"day\"\n", i);
    if (kind == COUNT_RULES)
        for (size_t i = 0; i < n; i++)
            at += (size_t)snprintf(t + at, cap - at, "[rule.r%zu]\npoints = 1\n", i);
    if (kind == COUNT_DIMENSIONS)
        for (size_t i = 0; i < n; i++)
            at += (size_t)snprintf(t + at, cap - at, "[rule.r%zu]\npoints = 1\ndimension = \"d%zu\"\n",
                                   i, i);
    return t;
}

static void counts_at_limit(count_kind kind, size_t limit, const char *what)
{
    const size_t counts[] = { limit - 1, limit, limit + 1 };
    for (int i = 0; i < 3; i++) {
        char *text = scheme_with(kind, counts[i]);
        int want = counts[i] <= limit ? CIVIC_OK : CIVIC_E_LIMIT;
        civic_rules *r = NULL;
        civic_error err = CIVIC_ERROR_INIT;
        int rc = civic_rules_parse(&r, text, strlen(text), NULL, &err);
        if (rc != want)
            fail_msg("%zu %s: got %d (%s: %s), expected %d", counts[i], what, rc,
                     civic_strerror(rc), err.message, want);
        if (rc == CIVIC_OK && kind == COUNT_RULES && counts[i] == limit) {
            /* a scheme at the rule limit scores its last rule */
            civic_engine *e = NULL;
            assert_int_equal(civic_engine_new(&e, r, NULL), CIVIC_OK);
            char code[32];
            snprintf(code, sizeof(code), "r%zu", limit - 1);
            civic_event ev = event_of("e1", "s1", code, "2024-01-01");
            assert_int_equal(add(e, &ev, &err), CIVIC_OK);
            civic_score s = score_at(e, "s1", "2024-02-01");
            assert_int_equal(s.score, P(1));
            support_release();
            civic_engine_free(e);
        }
        if (rc == CIVIC_OK) {
            if (kind == COUNT_RULES) assert_int_equal(civic_rules_rule_count(r), counts[i]);
            if (kind == COUNT_GRADES) assert_int_equal(civic_rules_grade_count(r), counts[i]);
            if (kind == COUNT_DIMENSIONS)
                assert_true(civic_rules_dimension_count(r) >= counts[i]);
        } else {
            assert_true(err.line > 0);
        }
        civic_rules_free(r);
        free(text);
    }
}

/* Parsing 16384 rules or caps takes seconds: duplicate names are found by a
 * linear scan per rule (quadratic); too slow for valgrind. */
static void schemes_hold_16384_rules_not_more(void **state)
{
    (void)state;
    if (under_valgrind()) skip();
    counts_at_limit(COUNT_RULES, CIVIC_RULE_COUNT_MAX, "rules");
}

static void schemes_hold_64_grades_not_more(void **state)
{
    (void)state;
    counts_at_limit(COUNT_GRADES, CIVIC_GRADE_COUNT_MAX, "grades");
}

static void schemes_hold_16384_caps_not_more(void **state)
{
    (void)state;
    if (under_valgrind()) skip();
    counts_at_limit(COUNT_CAPS, CIVIC_CAP_COUNT_MAX, "caps");
}

/* A scheme of one grade, `before`, 255 rules r1..r255 naming d1..d255, and
 * `after` (malloc'd; *len its length). */
static char *dimensions_text(const char *before, const char *after, size_t *len)
{
    size_t cap = 64 * 1024, at = 0;
    char *t = malloc(cap);
    assert_non_null(t);
    at += (size_t)snprintf(t + at, cap - at, "[[grade]]\nname = \"A\"\n%s", before);
    for (int k = 1; k <= 255; k++)
        at += (size_t)snprintf(t + at, cap - at, "[rule.r%d]\ndimension = \"d%d\"\n", k, k);
    at += (size_t)snprintf(t + at, cap - at, "%s", after);
    *len = at;
    return t;
}

/* Flags: version 2's changes can each set one, so more than the 16,384 of
 * 1.0's rules can be named; the 16,385th was "out of memory" with no line
 * or column, now the limit and where. */
static void schemes_hold_16384_flags_not_more(void **state)
{
    (void)state;
    for (int extra = 0; extra < 2; extra++) {
        int n = 16384 + extra;
        size_t cap = (size_t)n * 64 + 64, len = 0;
        char *t = malloc(cap);
        assert_non_null(t);
        len += (size_t)snprintf(t + len, cap - len, "[[grade]]\nname = \"A\"\n[rule.r]\n");
        for (int i = 0; i < n; i++)
            len += (size_t)snprintf(t + len, cap - len,
                                    "[[rule.r.change]]\nfrom = %d\nflag = \"f%d\"\n", 1000000001 + i, i);
        civic_rules *r = NULL;
        civic_error err = CIVIC_ERROR_INIT;
        int rc = civic_rules_parse(&r, t, len, NULL, &err);
        if (!extra) {
            assert_int_equal(rc, CIVIC_OK);
        } else {
            assert_int_equal(rc, CIVIC_E_LIMIT);
            assert_int_equal(err.line, 4 + 3 * 16384 + 2); /* the last change's flag */
            assert_int_equal(err.column, 8);
            assert_non_null(strstr(err.message, "too many flags (at most 16384)"));
        }
        civic_rules_free(r);
        free(t);
    }
}

static void schemes_hold_256_dimensions_not_more(void **state)
{
    (void)state;
    counts_at_limit(COUNT_DIMENSIONS, CIVIC_DIMENSION_COUNT_MAX, "dimensions");
    /* 255 named, then a rule without one ("general", the 256th) whose change
     * names another: the 257th in first-use order is the change's, and the
     * error is at its value, not at the rule's header; with general named
     * by the last rule instead, the change's is the 256th and loads */
    for (int named_last = 0; named_last < 2; named_last++) {
        size_t len;
        char *t = dimensions_text("", named_last ? "[rule.a]\ndimension = \"d1\"\n[[rule.a.change]]"
                                                 "\nfrom = \"2020-01-01\"\ndimension = \"zz\"\n"
                                               : "[rule.a]\n[[rule.a.change]]\nfrom = "
                                                 "\"2020-01-01\"\ndimension = \"zz\"\n", &len);
        civic_rules *r = NULL;
        civic_error err = CIVIC_ERROR_INIT;
        int rc = civic_rules_parse(&r, t, len, NULL, &err);
        if (named_last) {
            assert_int_equal(rc, CIVIC_OK);
            assert_int_equal(civic_rules_dimension_count(r), 256);
        } else {
            assert_int_equal(rc, CIVIC_E_LIMIT);
            assert_int_equal(err.line, 516); /* dimension = "zz" */
            assert_int_equal(err.column, 13);
            assert_non_null(strstr(err.message, "too many dimensions (at most 256, \"general\" "
                                                "included)"));
        }
        civic_rules_free(r);
        free(t);
    }
    /* general first (rule a names none), then 256 named: r254's change,
     * last in the file, counts with r254, so the 257th is r255's own d255 */
    size_t len;
    char *t = dimensions_text("[rule.a]\n", "[[rule.r255.change]]\nfrom = \"2020-01-01\"\n"
                              "dimension = \"d1\"\n[[rule.r254.change]]\nfrom = \"2020-01-01\"\n"
                              "dimension = \"zz\"\n", &len);
    civic_rules *r = NULL;
    civic_error err = CIVIC_ERROR_INIT;
    assert_int_equal(civic_rules_parse(&r, t, len, NULL, &err), CIVIC_E_LIMIT);
    assert_int_equal(err.line, 513); /* r255's dimension = "d255" */
    assert_int_equal(err.column, 13);
    assert_null(r);
    free(t);
}

/* ------------------------------------------------------------ names */

static void names_and_codes_hold_their_byte_limits(void **state)
{
    (void)state;
    for (size_t n = CIVIC_CODE_BYTES_MAX - 1; n <= CIVIC_CODE_BYTES_MAX + 1; n++) {
        char *code = repeat('c', n);
        int want = n <= CIVIC_CODE_BYTES_MAX ? CIVIC_OK : CIVIC_E_LIMIT;
        const char *forms[] = { "[rule.%s]\npoints = 1\n",
                                ("[cap.%s]\nlimit = 1\nperiod = \"day\"\n[rule.x]\npoints = 1\n"
                                 "cap_group = \"%s\"\n"),
                                "[rule.x]\npoints = 1\nflag = \"%s\"\n",
                                "[rule.x]\npoints = 1\ndimension = \"%s\"\n" };
        for (int f = 0; f < 4; f++) {
            char *text = malloc(4096);
            int at = snprintf(text, 4096, "%s", UTC_SCHEME);
            snprintf(text + at, (size_t)(4096 - at), forms[f], code, code);
            civic_rules *r = NULL;
            civic_error err = CIVIC_ERROR_INIT;
            int rc = civic_rules_parse(&r, text, strlen(text), NULL, &err);
            if (rc != want)
                fail_msg("%zu-byte name in form %d: got %d (%s), expected %d", n, f, rc,
                         err.message, want);
            civic_rules_free(r);
            free(text);
        }
        /* A type longer than any code is an unknown type, not a crash. */
        civic_event ev = event_of("e1", "s1", code, "2024-01-01");
        expect_everywhere(UTC_RULES, &ev, CIVIC_E_EVENT, "unknown long type");
        free(code);
    }
    for (size_t n = CIVIC_NAME_BYTES_MAX - 1; n <= CIVIC_NAME_BYTES_MAX + 1; n++) {
        char *name = repeat('n', n);
        int want = n <= CIVIC_NAME_BYTES_MAX ? CIVIC_OK : CIVIC_E_LIMIT;
        char *text = malloc(4096);
        snprintf(text, 4096, "[scheme]\nname = \"%s\"\n[[grade]]\nname = \"%s\"\n", name, name);
        civic_rules *r = NULL;
        civic_error err = CIVIC_ERROR_INIT;
        int rc = civic_rules_parse(&r, text, strlen(text), NULL, &err);
        if (rc != want)
            fail_msg("%zu-byte scheme/grade name: got %d (%s), expected %d", n, rc, err.message,
                     want);
        if (rc == CIVIC_OK) assert_string_equal(civic_rules_name(r), name);
        civic_rules_free(r);
        free(text);
        free(name);
    }
}

/* ------------------------------------------------------------ numbers */

/* A duration's N is at most 3,660,000 days, 120,000 months or 10,000
 * years; one past is CIVIC_E_LIMIT naming the limit (it was CIVIC_E_RULES
 * with "(N >= 1)", which 3660001d satisfies), wherever a duration goes. */
static void durations_hold_their_limits_not_more(void **state)
{
    (void)state;
    static const struct { const char *value, *at_most; } cases[] = {
        { "3660000d", NULL }, { "120000m", NULL }, { "10000y", NULL },
        { "3660001d", "at most 3660000d" }, { "120001m", "at most 120000m" },
        { "10001y", "at most 10000y" }, { "99999999999999999999d", "at most 3660000d" },
    };
    const char *forms[] = {
        TEST_SCHEME "[rule.x]\npoints = -1\nvalid = \"%s\"\n",
        TEST_SCHEME "[rule.x]\npoints = -1\nrepair_after = \"%s\"\n",
        TEST_SCHEME "[rule.x]\npoints = -1\npublicity = \"%s\"\n",
        TEST_SCHEME "[rule.x]\npoints = -1\n[[rule.x.change]]\nfrom = \"2024-01-01\"\n"
                    "valid = \"%s\"\n",
        "[scheme]\nobjection_window = \"%s\"\n" TEST_GRADES "[rule.x]\npoints = -1\n",
        TEST_SCHEME "[rule.x]\npoints = 1\n[tier.t]\nrules = \"x\"\nwindow = \"%s\"\n"
                    "[[tier.t.level]]\nname = \"a\"\nmin = 1\n",
    };
    for (size_t f = 0; f < sizeof(forms) / sizeof(forms[0]); f++) {
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
            char text[1024];
            snprintf(text, sizeof(text), forms[f], cases[i].value);
            civic_rules *r = NULL;
            civic_error err = CIVIC_ERROR_INIT;
            int rc = civic_rules_parse(&r, text, strlen(text), NULL, &err);
            int want = cases[i].at_most ? CIVIC_E_LIMIT : CIVIC_OK;
            if (rc != want || (cases[i].at_most && !strstr(err.message, cases[i].at_most)))
                fail_msg("%s in form %zu: got %d (%s), expected %d", cases[i].value, f, rc,
                         err.message, want);
            civic_rules_free(r);
        }
    }
}

static void points_hold_1e12_not_more(void **state)
{
    (void)state;
    const char *values[] = { "999999999999.99", "1000000000000", "1000000000000.01",
                             "-1000000000000", "-1000000000000.01" };
    const int want[] = { CIVIC_OK, CIVIC_OK, CIVIC_E_LIMIT, CIVIC_OK, CIVIC_E_LIMIT };
    const char *forms[] = {
        "[scheme]\nbase = 0\n[[grade]]\nname = \"g\"\n[rule.x]\npoints = %s\n",
        "[scheme]\nbase = %s\n[[grade]]\nname = \"g\"\n",
        ("[scheme]\nbase = 0\nmin = -1000000000000\nmax = 1000000000000\n[[grade]]\nname = \"g\"\n"
         "[rule.x]\npoints = 1\nceiling = %s\n"),
        "[scheme]\nbase = 0\n[[grade]]\nname = \"g\"\nmin = %s\n[[grade]]\nname = \"h\"\n",
    };
    for (int f = 0; f < 4; f++) {
        for (int i = 0; i < 5; i++) {
            char text[512];
            snprintf(text, sizeof(text), forms[f], values[i]);
            civic_rules *r = NULL;
            civic_error err = CIVIC_ERROR_INIT;
            int rc = civic_rules_parse(&r, text, strlen(text), NULL, &err);
            if (rc != want[i])
                fail_msg("points %s in form %d: got %d (%s: %s), expected %d", values[i], f, rc,
                         civic_strerror(rc), err.message, want[i]);
            civic_rules_free(r);
        }
    }
    /* cap limits and bounds are non-negative/ordered: only the positive side */
    for (int i = 0; i < 3; i++) {
        char text[512];
        snprintf(text, sizeof(text),
                 "[scheme]\nbase = 0\nmax = %s\n[[grade]]\nname = \"g\"\n[cap.c]\nlimit = %s\n"
                 "period = \"day\"\n[rule.x]\npoints = 1\ncap = %s\ncap_period = \"day\"\n",
                 values[i], values[i], values[i]);
        civic_rules *r = NULL;
        civic_error err = CIVIC_ERROR_INIT;
        int rc = civic_rules_parse(&r, text, strlen(text), NULL, &err);
        if (rc != want[i])
            fail_msg("max/cap %s: got %d (%s), expected %d", values[i], rc, err.message, want[i]);
        civic_rules_free(r);
    }
}

static void quantities_hold_1e12_units_not_more(void **state)
{
    (void)state;
    const char *values[] = { "999999999999.999", "1000000000000", "1000000000000.001" };
    for (int i = 0; i < 3; i++) {
        civic_event ev = event_of("e1", "s1", "hour", "2024-01-01");
        ev.qty = values[i];
        expect_everywhere(UTC_RULES, &ev, i < 2 ? CIVIC_OK : CIVIC_E_LIMIT, "qty");
    }
    /* at the limit the score is exact: 1e12 units x 1 point */
    civic_engine *e = engine_from(UTC_RULES);
    civic_event ev = event_of("e1", "s1", "hour", "2024-01-01");
    ev.qty = "1000000000000";
    civic_error err = CIVIC_ERROR_INIT;
    assert_int_equal(add(e, &ev, &err), CIVIC_OK);
    civic_score s = score_at(e, "s1", "2024-02-01");
    assert_int_equal(s.score, P(1000) + P(INT64_C(1000000000000)));
    support_release();
    civic_engine_free(e);
}

/* One event weighs at most 2^60 hundredths (about 1.15e16 points): points x
 * qty x repeat_factor, the factor counted even for a first event, since a
 * later one may repeat it.  A qty within its own limit past that bound is
 * refused with the bound in the message (it said "points x qty is too
 * large" of 1e6 x 1e9 = 1e15 points, the factor unsaid). */
static void an_event_weighs_at_most_2_60_hundredths(void **state)
{
    (void)state;
    const char *rules = UTC_SCHEME "[rule.u]\npoints = 1000000\nper = \"unit\"\nrepeat_factor = 100\n";
    const char *values[] = { "115292150", "115292151", "1000000000" };
    for (int i = 0; i < 3; i++) {
        civic_event ev = event_of("e1", "s1", "u", "2024-01-01");
        ev.qty = values[i];
        expect_everywhere(rules, &ev, i == 0 ? CIVIC_OK : CIVIC_E_OVERFLOW, "points x qty x factor");
    }
    civic_engine *e = engine_from(rules);
    civic_event ev = event_of("e1", "s1", "u", "2024-01-01");
    ev.qty = "1000000000";
    civic_error err = CIVIC_ERROR_INIT;
    assert_int_equal(add(e, &ev, &err), CIVIC_E_OVERFLOW);
    if (!strstr(err.message, "field 'qty': points x qty x repeat_factor (1 when the rule has "
                             "none or one below 1) must stay within 2^60 hundredths (about "
                             "1.15e16 points)"))
        fail_msg("message: %s", err.message);
    civic_engine_free(e);
}

/* A repeat_factor below 1 does not widen the bound: a first event's raw is
 * points x qty unreduced, so the factor counts as max(1, repeat_factor).
 * 1e6 points x 11529215046 units fit 2^60 hundredths, one unit more does
 * not; with the factor taken as 0.5 both (and 2e10 units) were accepted,
 * and every answer about the subject then failed with "arithmetic
 * overflow".  A plain qty of few digits (the fast path) is held to the
 * same bound, and so is every version of a changed rule. */
static void a_repeat_factor_below_1_does_not_widen_the_bound(void **state)
{
    (void)state;
    const char *rules = UTC_SCHEME "[rule.u]\npoints = 1000000\nper = \"unit\"\n"
                                   "repeat_factor = 0.5\n";
    const char *values[] = { "11529215046", "11529215047", "20000000000" };
    for (int i = 0; i < 3; i++) {
        civic_event ev = event_of("e1", "s1", "u", "2024-01-01");
        ev.qty = values[i];
        expect_everywhere(rules, &ev, i == 0 ? CIVIC_OK : CIVIC_E_OVERFLOW, "factor 0.5");
    }
    /* 1e12 points: 11529 units fit, 20000 (five digits, read by the fast
     * path) do not */
    const char *big = UTC_SCHEME "[rule.u]\npoints = 1000000000000\nper = \"unit\"\n"
                                 "repeat_factor = 0.5\n";
    civic_event ev = event_of("e1", "s1", "u", "2024-01-01");
    ev.qty = "11529";
    expect_everywhere(big, &ev, CIVIC_OK, "factor 0.5, 11529 units");
    ev.qty = "20000";
    expect_everywhere(big, &ev, CIVIC_E_OVERFLOW, "factor 0.5, 20000 units");
    /* a change that lowers the factor below 1 (SPEC 9) bounds its version
     * by points x qty too, and so does one that raises the points while the
     * factor stays below 1 */
    const char *lowered = UTC_SCHEME "[rule.u]\npoints = 1000000000000\nper = \"unit\"\n"
                                     "[[rule.u.change]]\nfrom = \"2025-01-01\"\n"
                                     "repeat_factor = 0.25\n";
    expect_everywhere(lowered, &ev, CIVIC_E_OVERFLOW, "a change to factor 0.25");
    const char *raised = UTC_SCHEME "[rule.u]\npoints = 1\nper = \"unit\"\n"
                                    "repeat_factor = 0.5\n"
                                    "[[rule.u.change]]\nfrom = \"2025-01-01\"\n"
                                    "points = 1000000000000\n";
    expect_everywhere(raised, &ev, CIVIC_E_OVERFLOW, "a change to 1e12 points");
    /* what is accepted is answered */
    civic_engine *e = engine_from(big);
    ev.qty = "11529";
    civic_error err = CIVIC_ERROR_INIT;
    assert_int_equal(add(e, &ev, &err), CIVIC_OK);
    civic_event again = event_of("e2", "s1", "u", "2024-01-02");
    again.qty = "11529";
    assert_int_equal(add(e, &again, &err), CIVIC_OK);
    civic_score s = score_at(e, "s1", "2024-02-01");
    assert_int_equal(s.score, P(1000) + P(INT64_C(11529000000000000)) + P(INT64_C(5764500000000000)));
    support_release();
    civic_engine_free(e);
}

static void redeems_hold_1e12_points_not_more(void **state)
{
    (void)state;
    const char *values[] = { "999999999999.99", "1000000000000", "1000000000000.01" };
    for (int i = 0; i < 3; i++) {
        civic_event ev = event_of("e1", "s1", "redeem", "2024-01-01");
        ev.qty = values[i];
        expect_everywhere(UTC_RULES, &ev, i < 2 ? CIVIC_OK : CIVIC_E_LIMIT, "redeem amount");
    }
}

/* ------------------------------------------------------------ time */

static void times_run_from_year_1_to_9999(void **state)
{
    (void)state;
    struct {
        const char *ts;
        int want;
    } cases[] = {
        { "0001-01-01T00:00:00Z", CIVIC_OK },
        { "0001-01-01T00:00:01Z", CIVIC_OK },
        { "0001-01-01", CIVIC_OK }, /* local midnight in a UTC scheme */
        { "0000-12-31T23:59:59Z", CIVIC_E_LIMIT },
        { "0001-01-01T00:00:00+00:01", CIVIC_E_LIMIT },
        { "9999-12-31T23:59:58Z", CIVIC_OK },
        { "9999-12-31T23:59:59Z", CIVIC_OK },
        { "9999-12-31T23:59:59-00:01", CIVIC_E_LIMIT },
        { "-62135596801", CIVIC_E_LIMIT },
        { "-62135596800", CIVIC_OK },
        { "-62135596799", CIVIC_OK },
        { "253402300798", CIVIC_OK },
        { "253402300799", CIVIC_OK },
        { "253402300800", CIVIC_E_LIMIT },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        civic_event ev = event_of("e1", "s1", "fine", cases[i].ts);
        char what[80];
        snprintf(what, sizeof(what), "ts %s", cases[i].ts);
        expect_everywhere(UTC_RULES, &ev, cases[i].want, what);
    }
    /* civic_rules_parse_time at the edges */
    civic_rules *r = rules_from(UTC_RULES);
    int64_t t = 0;
    assert_int_equal(civic_rules_parse_time(r, "0001-01-01T00:00:00Z", 20, &t), CIVIC_OK);
    assert_int_equal(t, CIVIC_TIME_MIN);
    assert_int_equal(civic_rules_parse_time(r, "9999-12-31T23:59:59Z", 20, &t), CIVIC_OK);
    assert_int_equal(t, CIVIC_TIME_MAX);
    assert_true(civic_rules_parse_time(r, "253402300800", 12, &t) < 0);
    /* civic_rules_format_time at limit-1, limit, limit+1 */
    char buf[32];
    assert_int_equal(civic_rules_format_time(r, CIVIC_TIME_MIN, buf, sizeof(buf)), CIVIC_OK);
    assert_string_equal(buf, "0001-01-01T00:00:00+00:00");
    assert_int_equal(civic_rules_format_time(r, CIVIC_TIME_MIN + 1, buf, sizeof(buf)), CIVIC_OK);
    assert_int_equal(civic_rules_format_time(r, CIVIC_TIME_MIN - 1, buf, sizeof(buf)),
                     CIVIC_E_INVALID);
    assert_int_equal(civic_rules_format_time(r, CIVIC_TIME_MAX - 1, buf, sizeof(buf)), CIVIC_OK);
    assert_int_equal(civic_rules_format_time(r, CIVIC_TIME_MAX, buf, sizeof(buf)), CIVIC_OK);
    assert_string_equal(buf, "9999-12-31T23:59:59+00:00");
    assert_int_equal(civic_rules_format_time(r, CIVIC_TIME_MAX + 1, buf, sizeof(buf)),
                     CIVIC_E_INVALID);
    civic_rules_free(r);
    /* East of UTC the last hours of the range are in the local year 10000
     * (five digits, as 1.0 wrote them): 27 bytes, and a buffer of the usual
     * 26 gets CIVIC_E_INVALID and "", never a time cut short */
    r = rules_from(TEST_SCHEME); /* +08:00 */
    char exact[27];
    assert_int_equal(civic_rules_format_time(r, CIVIC_TIME_MAX, exact, 26), CIVIC_E_INVALID);
    assert_string_equal(exact, "");
    assert_int_equal(civic_rules_format_time(r, CIVIC_TIME_MAX, exact, 27), CIVIC_OK);
    assert_string_equal(exact, "10000-01-01T07:59:59+08:00");
    assert_int_equal(civic_rules_format_time(r, CIVIC_TIME_MAX - 8 * 3600, exact, 26), CIVIC_OK);
    assert_string_equal(exact, "9999-12-31T23:59:59+08:00");
    /* and what is written reads back: the local year 10000 east of UTC, the
     * local year 0000 west of it, for the instants of the range only */
    int64_t back = 0;
    assert_int_equal(civic_rules_parse_time(r, "10000-01-01T07:59:59+08:00", 26, &back), CIVIC_OK);
    assert_int_equal(back, CIVIC_TIME_MAX);
    assert_int_equal(civic_rules_parse_time(r, "10000-01-01", 11, &back), CIVIC_OK); /* local */
    assert_int_equal(back, CIVIC_TIME_MAX + 1 - 8 * 3600); /* 9999-12-31T16:00:00Z */
    assert_int_equal(civic_rules_parse_time(r, "10000-01-01T08:00:00+08:00", 26, &back),
                     CIVIC_E_LIMIT);
    assert_int_equal(civic_rules_parse_time(r, "10000-01-02", 11, &back), CIVIC_E_LIMIT);
    assert_int_equal(civic_rules_parse_time(r, "0000-12-31T16:00:00-08:00", 25, &back), CIVIC_OK);
    assert_int_equal(back, CIVIC_TIME_MIN);
    assert_int_equal(civic_rules_parse_time(r, "0000-12-31T15:59:59-08:00", 25, &back),
                     CIVIC_E_LIMIT);
    assert_int_equal(civic_rules_parse_time(r, "0000-02-29T00:00:00-08:00", 25, &back),
                     CIVIC_E_LIMIT); /* a date of year 0 (a leap year), out of the range */
    assert_int_equal(civic_rules_parse_time(r, "0000-02-30", 10, &back), CIVIC_E_EVENT);
    assert_int_equal(civic_rules_parse_time(r, "10000-02-29", 11, &back), CIVIC_E_LIMIT);
    assert_int_equal(civic_rules_parse_time(r, "10000-02-30", 11, &back), CIVIC_E_EVENT);
    /* every CIVIC_E_INVALID leaves "" */
    assert_int_equal(civic_rules_format_time(r, 0, exact, 20), CIVIC_E_INVALID);
    assert_string_equal(exact, "");
    strcpy(exact, "stale");
    assert_int_equal(civic_rules_format_time(r, CIVIC_TIME_MAX + 1, exact, 27), CIVIC_E_INVALID);
    assert_string_equal(exact, "");
    civic_rules_free(r);
}

/* Events at the ends of time are scored; validity and periods near year 9999
 * neither overflow nor wrap. */
static void events_at_the_ends_of_time_are_scored(void **state)
{
    (void)state;
    civic_engine *e = engine_from(UTC_SCHEME
                                  "[rule.fine]\npoints = -10\nvalid = \"1y\"\ncap = 100\n"
                                  "cap_period = \"year\"\n[rule.q]\npoints = -1\n"
                                  "valid = \"end-of-quarter\"\nrepeat_factor = 2\n");
    civic_event a = event_of("a", "s1", "fine", "0001-01-01T00:00:00Z");
    civic_event b = event_of("b", "s1", "fine", "9999-12-31T23:59:59Z");
    civic_event c = event_of("c", "s2", "q", "9999-12-31T00:00:00Z");
    civic_event d = event_of("d", "s2", "q", "9999-12-31T23:59:59Z");
    civic_error err = CIVIC_ERROR_INIT;
    assert_int_equal(add(e, &a, &err), CIVIC_OK);
    assert_int_equal(add(e, &b, &err), CIVIC_OK);
    assert_int_equal(add(e, &c, &err), CIVIC_OK);
    assert_int_equal(add(e, &d, &err), CIVIC_OK);
    civic_result *res = NULL;
    assert_int_equal(civic_engine_subjects(e, CIVIC_TIME_MIN, &res), CIVIC_OK);
    assert_int_equal(civic_result_count(res), 1);
    civic_score s = CIVIC_SCORE_INIT;
    civic_result_get(res, 0, &s);
    assert_int_equal(s.score, P(990));
    civic_result_free(res);
    assert_int_equal(civic_engine_subjects(e, CIVIC_TIME_MAX, &res), CIVIC_OK);
    assert_int_equal(civic_result_count(res), 2);
    civic_result_get(res, 0, &s);
    assert_int_equal(s.score, P(990)); /* a expired long ago, b in effect */
    civic_result_get(res, 1, &s);
    assert_int_equal(s.score, P(997)); /* -1, then -2 escalated */
    civic_result_free(res);
    civic_record *rec = NULL;
    assert_int_equal(civic_engine_record(e, "s1", CIVIC_TIME_MAX, &rec), CIVIC_OK);
    civic_entry x = CIVIC_ENTRY_INIT;
    assert_int_equal(civic_record_entry(rec, 1, &x), CIVIC_OK);
    assert_true(x.end > CIVIC_TIME_MAX); /* ends in year 10000 or never, not wrapped */
    civic_record_free(rec);
    /* as-of times outside the range are questions, not errors */
    assert_int_equal(civic_engine_subjects(e, INT64_MIN, &res), CIVIC_OK);
    assert_int_equal(civic_result_count(res), 0);
    civic_result_free(res);
    assert_int_equal(civic_engine_subjects(e, INT64_MAX, &res), CIVIC_OK);
    assert_int_equal(civic_result_count(res), 2);
    civic_result_free(res);
    civic_engine_free(e);
}

/* ------------------------------------------------------------ reserve */

/* civic_engine_reserve is a hint: capped at events_max, it changes no
 * limit and no answer, and the engine still grows past it. */
static void reserve_is_a_hint_that_changes_no_answer(void **state)
{
    (void)state;
    civic_error err = CIVIC_ERROR_INIT;
    assert_int_equal(civic_engine_reserve(NULL, 10, &err), CIVIC_E_INVALID);
    assert_int_equal(err.code, CIVIC_E_INVALID);
    civic_rules *r = rules_from(UTC_RULES);
    civic_engine_options o = CIVIC_ENGINE_OPTIONS_INIT;
    o.events_max = 5;
    civic_engine *e = NULL;
    assert_int_equal(civic_engine_new(&e, r, &o), CIVIC_OK);
    /* far past the limit (and past any memory): capped, so it succeeds */
    assert_int_equal(civic_engine_reserve(e, UINT64_MAX, &err), CIVIC_OK);
    assert_int_equal(civic_engine_reserve(e, 0, NULL), CIVIC_OK);
    char id[16];
    for (int i = 0; i < 5; i++) {
        snprintf(id, sizeof(id), "e%d", i);
        civic_event ev = event_of(id, "s1", "fine", "2024-01-01");
        assert_int_equal(add(e, &ev, &err), CIVIC_OK);
    }
    assert_int_equal(civic_engine_reserve(e, 100, &err), CIVIC_OK); /* full: nothing to do */
    civic_event ev = event_of("e5", "s1", "fine", "2024-01-01");
    assert_int_equal(add(e, &ev, &err), CIVIC_E_LIMIT);
    assert_int_equal(civic_engine_event_count(e), 5);
    civic_engine_free(e);

    /* The same batches and adds, with room made ahead (less, more and
     * between batches) and without, give the same answers. */
    char *want = NULL;
    for (int mode = 0; mode < 4; mode++) {
        assert_int_equal(civic_engine_new(&e, r, NULL), CIVIC_OK);
        if (mode == 1) assert_int_equal(civic_engine_reserve(e, 7, &err), CIVIC_OK);
        if (mode == 2) assert_int_equal(civic_engine_reserve(e, 100000, &err), CIVIC_OK);
        for (int b = 0; b < 3; b++) {
            char batch[4096];
            size_t n = (size_t)snprintf(batch, sizeof(batch), "id,subject,type,ts,qty\n");
            for (int i = 0; i < 40; i++)
                n += (size_t)snprintf(batch + n, sizeof(batch) - n, "b%d-%d,s%d,fine,2024-0%d-%02d,%d\n",
                                      b, i, (i * 7 + b) % 11, 1 + b, 1 + i % 28, i % 3);
            load_ok(e, batch);
            if (mode == 3) assert_int_equal(civic_engine_reserve(e, 13, &err), CIVIC_OK);
            snprintf(id, sizeof(id), "a%d", b);
            civic_event one = event_of(id, "s3", "fine", "2024-05-01");
            assert_int_equal(add(e, &one, &err), CIVIC_OK);
        }
        assert_int_equal(civic_engine_event_count(e), 123);
        char *got = subjects_csv(e, INT64_MAX);
        if (!want) want = got;
        else {
            assert_string_equal(got, want);
            free(got);
        }
        civic_engine_free(e);
    }
    free(want);
    civic_rules_free(r);
}

/* ------------------------------------------------------------ events_max */

static void engines_hold_events_max_events_not_more(void **state)
{
    (void)state;
    civic_rules *r = rules_from(UTC_RULES);
    civic_engine_options o = CIVIC_ENGINE_OPTIONS_INIT;
    o.events_max = 5;
    civic_engine *e = NULL;
    assert_int_equal(civic_engine_new(&e, r, &o), CIVIC_OK);
    civic_error err = CIVIC_ERROR_INIT;
    char id[16];
    for (int i = 0; i < 5; i++) { /* limit-1 and limit */
        snprintf(id, sizeof(id), "e%d", i);
        civic_event ev = event_of(id, "s1", "fine", "2024-01-01");
        assert_int_equal(add(e, &ev, &err), CIVIC_OK);
    }
    civic_event ev = event_of("e5", "s1", "fine", "2024-01-01"); /* limit+1 */
    assert_int_equal(add(e, &ev, &err), CIVIC_E_LIMIT);
    assert_int_equal(err.code, CIVIC_E_LIMIT);
    /* a duplicate at the limit is still a duplicate */
    civic_event dup = event_of("e0", "s1", "fine", "2024-01-01");
    assert_int_equal(add(e, &dup, &err), CIVIC_DUPLICATE);
    assert_int_equal(civic_engine_event_count(e), 5);
    civic_engine_free(e);

    /* A batch that would cross the limit fails whole (strict and lenient:
     * a full engine is not a bad line) and changes nothing. */
    for (int lenient = 0; lenient <= 1; lenient++) {
        assert_int_equal(civic_engine_new(&e, r, &o), CIVIC_OK);
        load_ok(e, "id,subject,type,ts\na,s,fine,2024-01-01\nb,s,fine,2024-01-02\n");
        char *before = subjects_csv(e, INT64_MAX);
        civic_load_options lo = CIVIC_LOAD_OPTIONS_INIT;
        lo.flags = lenient ? CIVIC_LOAD_LENIENT : 0;
        const char *batch = "id,subject,type,ts\nc,s,fine,2024-01-03\nd,t,fine,2024-01-04\n"
                            "a,s,fine,2024-01-01\ne,t,fine,2024-01-05\nf,t,fine,2024-01-06\n";
        civic_load_report rep = CIVIC_LOAD_REPORT_INIT;
        int rc = civic_engine_load(e, batch, strlen(batch), &lo, &rep, &err);
        if (lenient) {
            /* lenient may apply what fits and report the rest; either way
             * the engine holds at most events_max */
            assert_true(rc == CIVIC_E_LIMIT || rc == CIVIC_OK);
            assert_true(civic_engine_event_count(e) <= 5);
        } else {
            assert_int_equal(rc, CIVIC_E_LIMIT);
            assert_int_equal(err.line, 6);
            /* the message names the line too, as every error of a load does */
            assert_string_equal(err.message, "line 6: past the engine's limit of 5 events");
            assert_int_equal(civic_engine_event_count(e), 2);
            char *after = subjects_csv(e, INT64_MAX);
            assert_string_equal(before, after);
            free(after);
        }
        free(before);
        civic_engine_free(e);
    }
    /* a limit of one event is said in the singular */
    {
        civic_engine_options one = o;
        one.events_max = 1;
        assert_int_equal(civic_engine_new(&e, r, &one), CIVIC_OK);
        const char *two = "id,subject,type,ts\na,s,fine,2024-01-01\nb,s,fine,2024-01-02\n";
        assert_int_equal(civic_engine_load(e, two, strlen(two), NULL, NULL, &err), CIVIC_E_LIMIT);
        assert_string_equal(err.message, "line 3: past the engine's limit of 1 event");
        civic_engine_free(e);
    }
    /* exactly filling the engine in one batch works */
    assert_int_equal(civic_engine_new(&e, r, &o), CIVIC_OK);
    load_ok(e, "id,subject,type,ts\na,s,fine,2024-01-01\nb,s,fine,2024-01-02\n"
               "c,s,fine,2024-01-03\nd,s,fine,2024-01-04\ne,s,fine,2024-01-05\n"
               "a,s,fine,2024-01-01\n");
    assert_int_equal(civic_engine_event_count(e), 5);
    civic_engine_free(e);
    civic_rules_free(r);
}

/* ------------------------------------------------------------ versioned structs */

/* The caller's struct is a limit too: a caller built against 1.0.0 passes
 * structs of the 1.0.0 size, and the library must fill only the fields of
 * the version the caller set.  The 1.0.0 size of each struct is where its
 * last 1.0.0 field ends; a canary follows it. */
#define V1_BYTES(type, last) (offsetof(type, last) + sizeof(((type *)0)->last))
#define CANARY_BYTES 64

static unsigned char *v1_struct(size_t v1_bytes)
{
    unsigned char *mem = malloc(v1_bytes + CANARY_BYTES);
    assert_non_null(mem);
    memset(mem, 0xC5, v1_bytes + CANARY_BYTES);
    uint32_t one = 1;
    memcpy(mem, &one, sizeof(one)); /* every versioned struct starts with version */
    return mem;
}

static void assert_canary(unsigned char *mem, size_t v1_bytes, const char *what)
{
    for (size_t i = 0; i < CANARY_BYTES; i++)
        if (mem[v1_bytes + i] != 0xC5) fail_msg("%s wrote past its 1.0.0 size", what);
    free(mem);
}

static void output_structs_write_only_the_fields_of_the_callers_version(void **state)
{
    (void)state;
    civic_engine *e = engine_from(UTC_RULES);
    load_ok(e, "id,subject,type,ts,group\ne1,s1,fine,2024-01-01,a/b\ne2,s2,hour,2024-01-02,a\n");
    int64_t t = when(e, "2024-02-01");
    civic_result *res = NULL;
    civic_record *rec = NULL;
    civic_groups *g = NULL;
    assert_int_equal(civic_engine_subjects(e, t, &res), CIVIC_OK);
    assert_int_equal(civic_engine_record(e, "s1", t, &rec), CIVIC_OK);
    assert_int_equal(civic_engine_groups(e, 1, t, &g), CIVIC_OK);
    size_t score_v1 = V1_BYTES(civic_score, rank), entry_v1 = V1_BYTES(civic_entry, ceiling),
           stats_v1 = V1_BYTES(civic_group_stats, grade_counts);
    unsigned char *mem = v1_struct(score_v1);
    assert_int_equal(civic_result_get(res, 0, (civic_score *)(void *)mem), CIVIC_OK);
    civic_score s;
    memcpy(&s, mem, score_v1);
    assert_string_equal(s.subject, "s1");
    assert_int_equal(s.score, P(990));
    assert_canary(mem, score_v1, "civic_result_get");
    mem = v1_struct(score_v1);
    assert_int_equal(civic_record_summary(rec, (civic_score *)(void *)mem), CIVIC_OK);
    memcpy(&s, mem, score_v1);
    assert_string_equal(s.group, "a/b");
    assert_canary(mem, score_v1, "civic_record_summary");
    mem = v1_struct(entry_v1);
    assert_int_equal(civic_record_entry(rec, 0, (civic_entry *)(void *)mem), CIVIC_OK);
    civic_entry x;
    memcpy(&x, mem, entry_v1);
    assert_string_equal(x.id, "e1");
    assert_int_equal(x.counted, P(-10));
    assert_canary(mem, entry_v1, "civic_record_entry");
    mem = v1_struct(stats_v1);
    assert_int_equal(civic_groups_get(g, 0, (civic_group_stats *)(void *)mem), CIVIC_OK);
    civic_group_stats st;
    memcpy(&st, mem, stats_v1);
    assert_string_equal(st.path, "a");
    assert_int_equal(st.subjects, 2);
    assert_canary(mem, stats_v1, "civic_groups_get");
    civic_result_free(res);
    civic_record_free(rec);
    civic_groups_free(g);
    civic_engine_free(e);
}

/* The mechanism behind them, with a struct that has a version-2 field:
 * a version-1 caller gets the version-1 fields and nothing past them. */
typedef struct grown {
    uint32_t version;
    uint32_t a;
    int64_t b;
    const char *c;   /* the last version-1 field */
    int64_t d;       /* version 2 */
    uint32_t e;      /* version 2 */
} grown;

static void a_version_1_caller_never_gets_a_version_2_field(void **state)
{
    (void)state;
    static const civic_field fields[] = {
        CIVIC_FIELD(grown, a, 1), CIVIC_FIELD(grown, b, 1), CIVIC_FIELD(grown, c, 1),
        CIVIC_FIELD(grown, d, 2), CIVIC_FIELD(grown, e, 2),
    };
    grown full = { 2, 7, -8, "nine", 10, 11 };
    size_t v1 = V1_BYTES(grown, c);
    unsigned char *mem = v1_struct(v1);
    civic__copy_fields(mem, &full, fields, CIVIC_FIELD_COUNT(fields), 1);
    grown got;
    memcpy(&got, mem, v1);
    assert_int_equal(got.version, 1);
    assert_int_equal(got.a, 7);
    assert_int_equal(got.b, -8);
    assert_string_equal(got.c, "nine");
    assert_canary(mem, v1, "a version-2 field");
    grown two = { 2, 0, 0, NULL, 0, 0 };
    civic__copy_fields(&two, &full, fields, CIVIC_FIELD_COUNT(fields), 2);
    assert_int_equal(two.d, 10);
    assert_int_equal(two.e, 11);
    assert_int_equal(two.version, 2);
}

/* The as-of time is any int64: far past CIVIC_TIME_MAX every answer is the
 * one of the end of time, never that of an overflow or of T meeting
 * CIVIC_FOREVER.  By hand: a fine of -10 with no validity (forever) and a
 * flag, and a -1 kept a year (retain): at any T from 2026 on the fine is
 * active (990, flag f, balance -10) and the -1 archived. */
static void as_of_times_to_the_end_of_int64_answer_as_the_end_of_time(void **state)
{
    (void)state;
    civic_engine *e = engine_from("[scheme]\nbase = 1000\nutc_offset = \"+08:00\"\n"
                                  "balance_reset = \"month\"\n[[grade]]\nname = \"A\"\n"
                                  "[rule.fine]\npoints = -10\nflag = \"f\"\n"
                                  "[rule.old]\npoints = -1\nretain = \"1y\"\naffects = \"score\"\n");
    load_ok(e, "id,subject,type,ts\ne1,s,fine,2024-01-01\ne2,s,old,2024-01-01\n");
    const int64_t far[] = { when(e, "2026-01-01"), CIVIC_TIME_MAX, CIVIC_TIME_MAX + 1,
                            INT64_MAX / 2, INT64_MAX - 28801, INT64_MAX - 1, INT64_MAX };
    for (size_t i = 0; i < sizeof(far) / sizeof(far[0]); i++) {
        civic_result *res = NULL;
        assert_int_equal(civic_engine_subject(e, "s", far[i], &res), CIVIC_OK);
        civic_score s = CIVIC_SCORE_INIT;
        assert_int_equal(civic_result_get(res, 0, &s), CIVIC_OK);
        assert_int_equal(s.score, 99000);
        assert_string_equal(s.flags, "f");
        assert_int_equal(s.events, 1);
        assert_int_equal(s.archived, 1);
        civic_result_free(res);
        civic_record *rec = NULL;
        assert_int_equal(civic_engine_record(e, "s", far[i], &rec), CIVIC_OK);
        assert_int_equal(civic_record_count(rec), 1);
        civic_entry en = CIVIC_ENTRY_INIT;
        assert_int_equal(civic_record_entry(rec, 0, &en), CIVIC_OK);
        assert_int_equal(en.state, CIVIC_STATE_ACTIVE);
        civic_record_free(rec);
        /* balance, lists, groups: no overflow in the calendar either */
        assert_int_equal(civic_engine_subjects(e, far[i], &res), CIVIC_OK);
        assert_int_equal(civic_result_count(res), 1);
        civic_result_free(res);
        civic_list *list = NULL;
        assert_int_equal(civic_engine_list(e, "f", far[i], &list), CIVIC_OK);
        assert_int_equal(civic_list_count(list), 1);
        civic_list_free(list);
    }
    /* and before CIVIC_TIME_MIN, nothing has happened yet */
    const int64_t early[] = { INT64_MIN, INT64_MIN + 1, CIVIC_TIME_MIN - 1 };
    for (size_t i = 0; i < sizeof(early) / sizeof(early[0]); i++) {
        civic_result *res = NULL;
        assert_int_equal(civic_engine_subjects(e, early[i], &res), CIVIC_OK);
        assert_int_equal(civic_result_count(res), 0);
        civic_result_free(res);
        assert_int_equal(civic_engine_subject(e, "s", early[i], &res), CIVIC_OK);
        civic_score s = CIVIC_SCORE_INIT;
        assert_int_equal(civic_result_get(res, 0, &s), CIVIC_OK);
        assert_int_equal(s.score, 100000);
        assert_int_equal(s.events, 0);
        civic_result_free(res);
    }
    civic_engine_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ids_subjects_and_refs_hold_128_bytes_not_129),
        cmocka_unit_test(a_long_subject_is_never_truncated_into_a_known_one),
        cmocka_unit_test(output_structs_write_only_the_fields_of_the_callers_version),
        cmocka_unit_test(a_version_1_caller_never_gets_a_version_2_field),
        cmocka_unit_test(groups_hold_255_bytes_not_256),
        cmocka_unit_test(groups_hold_64_segments_not_65),
        cmocka_unit_test(records_and_lines_hold_1_mib_not_more),
        cmocka_unit_test(json_lines_nest_64_levels_not_65),
        cmocka_unit_test(records_and_lines_in_files_hold_1_mib_not_more),
        cmocka_unit_test(csv_headers_hold_1024_columns_not_more),
        cmocka_unit_test(lenient_file_loads_skip_long_quoted_records_across_reads),
        cmocka_unit_test(rules_hold_16_mib_not_more),
        cmocka_unit_test(schemes_hold_16384_rules_not_more),
        cmocka_unit_test(schemes_hold_64_grades_not_more),
        cmocka_unit_test(schemes_hold_16384_caps_not_more),
        cmocka_unit_test(schemes_hold_256_dimensions_not_more),
        cmocka_unit_test(schemes_hold_16384_flags_not_more),
        cmocka_unit_test(names_and_codes_hold_their_byte_limits),
        cmocka_unit_test(durations_hold_their_limits_not_more),
        cmocka_unit_test(points_hold_1e12_not_more),
        cmocka_unit_test(quantities_hold_1e12_units_not_more),
        cmocka_unit_test(an_event_weighs_at_most_2_60_hundredths),
        cmocka_unit_test(a_repeat_factor_below_1_does_not_widen_the_bound),
        cmocka_unit_test(redeems_hold_1e12_points_not_more),
        cmocka_unit_test(times_run_from_year_1_to_9999),
        cmocka_unit_test(events_at_the_ends_of_time_are_scored),
        cmocka_unit_test(engines_hold_events_max_events_not_more),
        cmocka_unit_test(reserve_is_a_hint_that_changes_no_answer),
        cmocka_unit_test(the_printable_check_sees_every_byte),
        cmocka_unit_test(a_control_character_anywhere_refuses_an_added_event),
        cmocka_unit_test(as_of_times_to_the_end_of_int64_answer_as_the_end_of_time),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
