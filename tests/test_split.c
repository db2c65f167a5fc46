/*
** test_split.c -- civic_split and civic_split_part (lib/split.c): a log cut
** into subject partitions without loading it.
**
** The promises under test: every event record lands in exactly one part, the
** one civic_split_part names, unchanged and in input order; every CSV part
** starts with the header; the partition function is frozen (pinned values);
** the block's latest ts is what a load would hold; bad input is an error
** naming line and column; scoring the parts in separate engines gives every
** subject the answer of one engine holding everything.
*/
#include "support.h"
#include "alloc_fail.h"
#include "internal.h"

/* ------------------------------------------------------------- helpers */

typedef struct split_out {
    int rc;
    uint32_t parts;
    char *buf;
    uint64_t *end;
    uint64_t *events;
    civic_split_report rep;
    civic_error err;
} split_out;

/* civic_split as a caller does it: ask the size, then split. */
static split_out split_opts(const char *data, size_t len, const civic_split_options *o)
{
    split_out s;
    memset(&s, 0, sizeof(s));
    s.parts = o->parts;
    civic_split_report q = CIVIC_SPLIT_REPORT_INIT;
    civic_error err = CIVIC_ERROR_INIT;
    s.err = err;
    s.rep = q;
    s.rc = civic_split(data, len, o, NULL, 0, NULL, NULL, &q, &s.err);
    if (s.rc != CIVIC_OK) return s;
    assert_true(q.bytes_max >= len);
    s.buf = malloc(q.bytes_max ? q.bytes_max : 1);
    s.end = calloc(o->parts, sizeof(uint64_t));
    s.events = calloc(o->parts, sizeof(uint64_t));
    assert_non_null(s.buf);
    s.rc = civic_split(data, len, o, s.buf, q.bytes_max, s.end, s.events, &s.rep, &s.err);
    if (s.rc == CIVIC_OK) {
        assert_int_equal(s.rep.bytes, s.end[o->parts - 1]);
        assert_true(s.rep.bytes <= q.bytes_max);
        assert_int_equal(s.rep.bytes_max, q.bytes_max);
    }
    /* err is optional: the same status without it (a hint added to the
     * message of a record over lines, or joined by lone CRs, wrote through
     * a NULL err: a crash); not with a failing allocator, which counts calls */
    if (!o->allocator)
        assert_int_equal(civic_split(data, len, o, s.buf, q.bytes_max, s.end, s.events, NULL,
                                     NULL),
                         s.rc);
    return s;
}

static split_out split_text(const char *data, uint32_t parts)
{
    civic_split_options o = CIVIC_SPLIT_OPTIONS_INIT;
    o.parts = parts;
    o.utc_offset = 8 * 3600;
    return split_opts(data, strlen(data), &o);
}

static void split_free(split_out *s)
{
    free(s->buf);
    free(s->end);
    free(s->events);
}

/* Part p as a NUL-terminated copy (freed by the caller). */
static char *part_text(const split_out *s, uint32_t p)
{
    uint64_t from = p ? s->end[p - 1] : 0, to = s->end[p];
    char *t = malloc(to - from + 1);
    assert_non_null(t);
    memcpy(t, s->buf + from, to - from);
    t[to - from] = '\0';
    return t;
}

static uint32_t part_of(const char *subject, uint32_t parts)
{
    return civic_split_part(subject, strlen(subject), parts);
}

static int64_t ts_of(const char *text)
{
    civic_rules *r = rules_from(TEST_SCHEME "[rule.x]\npoints = 1\n");
    int64_t t = 0;
    assert_int_equal(civic_rules_parse_time(r, text, strlen(text), &t), CIVIC_OK);
    civic_rules_free(r);
    return t;
}

static void expect_error(const char *data, int code, uint64_t line, uint32_t column,
                         const char *words)
{
    split_out s = split_text(data, 3);
    if (s.rc != code || s.err.line != line || s.err.column != column ||
        !strstr(s.err.message, words))
        fprintf(stderr, "got %d line %llu column %u: %s\n", s.rc,
                (unsigned long long)s.err.line, s.err.column, s.err.message);
    assert_int_equal(s.rc, code);
    assert_int_equal(s.err.code, code);
    assert_int_equal(s.err.line, line);
    assert_int_equal(s.err.column, column);
    assert_non_null(strstr(s.err.message, words));
    split_free(&s);
}

/* A deterministic log: n events over m subjects, a mix of ts forms, some
 * quoted fields, a group with a comma. */
static char *make_log(size_t n, size_t m, bool jsonl)
{
    size_t cap = 200 + n * 160, len = 0;
    char *t = malloc(cap);
    assert_non_null(t);
    if (!jsonl) len += (size_t)snprintf(t, cap, "id,subject,type,ts,qty,group\n");
    uint64_t x = 88172645463325252ull;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        unsigned subject = (unsigned)(x % m);
        unsigned day = 1 + (unsigned)(x >> 20) % 28, month = 1 + (unsigned)(x >> 30) % 12;
        char ts[48];
        switch ((x >> 40) % 4) {
        case 0: snprintf(ts, sizeof(ts), "2024-%02u-%02u", month, day); break;
        case 1: snprintf(ts, sizeof(ts), "2024-%02u-%02uT10:00:00Z", month, day); break;
        case 2: snprintf(ts, sizeof(ts), "2024-%02u-%02uT10:00:00.5-05:00", month, day); break;
        default: snprintf(ts, sizeof(ts), "%u", 1700000000u + (unsigned)(x % 9999999)); break;
        }
        if (jsonl)
            len += (size_t)snprintf(t + len, cap - len,
                                    "{\"id\":\"e%zu\",\"subject\":\"s%u\",\"type\":\"good\","
                                    "\"ts\":\"%s\",\"group\":\"a/b\"}\n", i, subject, ts);
        else if (i % 5 == 0)
            len += (size_t)snprintf(t + len, cap - len, "e%zu,\"s%u\",good,\"%s\",2,\"a, b/c\"\n",
                                    i, subject, ts);
        else
            len += (size_t)snprintf(t + len, cap - len, "e%zu,s%u,good,%s,,a/b\n", i, subject, ts);
    }
    return t;
}

#define SPLIT_SCHEME TEST_SCHEME "[rule.good]\npoints = 3\nper = \"unit\"\n"

/* --------------------------------------------------------------- tests */

static void the_partition_function_is_frozen(void **state)
{
    (void)state;
    /* Pinned: a change here breaks every partitioned store. */
    assert_int_equal(civic_split_part("", 0, 1000003u), 24427u);
    assert_int_equal(civic_split_part("r1", 2, 1000003u), 166431u);
    assert_int_equal(civic_split_part("s1", 2, 1000003u), 119720u);
    assert_int_equal(civic_split_part("r0001", 5, 1000003u), 442534u);
    assert_int_equal(civic_split_part("abcdefgh", 8, 4294967295u), 198564899u);
    const char *longer = "a subject id longer than sixteen bytes";
    assert_int_equal(civic_split_part(longer, strlen(longer), 1000003u), 466521u);
    assert_int_equal(civic_split_part("\xe4\xb8\xad\xe6\x96\x87-1", 8, 4294967295u), 829983918u);
    /* parts < 2: everything in part 0 */
    assert_int_equal(civic_split_part("r1", 2, 1), 0u);
    assert_int_equal(civic_split_part("r1", 2, 0), 0u);
    assert_int_equal(civic_split_part(NULL, 0, 7), civic_split_part("", 0, 7));
    /* on a little-endian machine it is the high half of the engine's own
     * string hash */
    const uint16_t probe = 1;
    if (*(const unsigned char *)&probe == 1) {
        char key[64];
        for (int n = 0; n < 40; n++) {
            for (int i = 0; i < n; i++) key[i] = (char)('a' + (i * 7 + n) % 26);
            assert_int_equal(civic_split_part(key, (size_t)n, 4294967295u),
                             (uint32_t)(civic__hash_bytes(key, (size_t)n) >> 32) % 4294967295u);
        }
    }
}

static void every_line_lands_once_in_its_subjects_part_in_order(void **state)
{
    (void)state;
    char *log = make_log(5000, 4000, false); /* ~3,500 subjects */
    /* small counts, and large ones where the split's remainder without a
     * division must still match civic_split_part's */
    static const uint32_t counts[] = { 1, 5, 9, 255, 4099, 65521, 65536 };
    for (size_t ci = 0; ci < sizeof(counts) / sizeof(counts[0]); ci++) {
        uint32_t parts = counts[ci];
        split_out s = split_text(log, parts);
        assert_int_equal(s.rc, CIVIC_OK);
        assert_int_equal(s.rep.events, 5000);
        assert_int_equal(s.rep.lines, 5001);
        assert_int_equal(s.rep.format, CIVIC_FORMAT_CSV);
        uint64_t events = 0;
        /* Walk the input; each record must be the next line of its part. */
        size_t *cursor = calloc(parts, sizeof(size_t));
        const char *header = "id,subject,type,ts,qty,group\n";
        for (uint32_t p = 0; p < parts; p++) {
            uint64_t from = p ? s.end[p - 1] : 0;
            assert_memory_equal(s.buf + from, header, strlen(header));
            cursor[p] = from + strlen(header);
            events += s.events[p];
        }
        assert_int_equal(events, 5000);
        const char *line = strchr(log, '\n') + 1;
        while (*line) {
            const char *nl = strchr(line, '\n');
            size_t n = (size_t)(nl - line) + 1;
            char subject[32];
            const char *c1 = strchr(line, ',') + 1;
            const char *c2 = strchr(c1, ',');
            size_t sn = (size_t)(c2 - c1);
            memcpy(subject, c1, sn);
            subject[sn] = '\0';
            if (subject[0] == '"') { /* decoded */
                memmove(subject, subject + 1, sn - 2);
                subject[sn - 2] = '\0';
            }
            uint32_t p = part_of(subject, parts);
            assert_memory_equal(s.buf + cursor[p], line, n);
            cursor[p] += n;
            line = nl + 1;
        }
        for (uint32_t p = 0; p < parts; p++) assert_int_equal(cursor[p], s.end[p]);
        free(cursor);
        split_free(&s);
    }
    free(log);
}

static void the_same_input_splits_the_same_way_every_time(void **state)
{
    (void)state;
    char *log = make_log(2000, 100, false);
    split_out a = split_text(log, 4), b = split_text(log, 4);
    assert_int_equal(a.rc, CIVIC_OK);
    assert_int_equal(b.rc, CIVIC_OK);
    assert_int_equal(a.rep.bytes, b.rep.bytes);
    assert_memory_equal(a.end, b.end, 4 * sizeof(uint64_t));
    assert_memory_equal(a.buf, b.buf, a.rep.bytes);
    /* Two halves of the log, split apart, give the same parts in sum. */
    char *mid = log + strlen(log) / 2;
    while (*mid != '\n') mid++;
    mid++;
    civic_split_options o = CIVIC_SPLIT_OPTIONS_INIT;
    o.parts = 4;
    o.utc_offset = 8 * 3600;
    split_out first = split_opts(log, (size_t)(mid - log), &o);
    o.header = "id,subject,type,ts,qty,group\n";
    o.header_len = strlen(o.header);
    split_out second = split_opts(mid, strlen(mid), &o);
    assert_int_equal(first.rc, CIVIC_OK);
    assert_int_equal(second.rc, CIVIC_OK);
    assert_int_equal(first.rep.events + second.rep.events, 2000);
    assert_int_equal(first.rep.bytes + second.rep.bytes, a.rep.bytes + 4 * o.header_len);
    for (uint32_t p = 0; p < 4; p++) {
        char *whole = part_text(&a, p), *x = part_text(&first, p), *y = part_text(&second, p);
        size_t xn = strlen(x);
        assert_memory_equal(whole, x, xn);
        assert_string_equal(whole + xn, y + o.header_len);
        assert_true(first.rep.max_ts <= a.rep.max_ts && second.rep.max_ts <= a.rep.max_ts);
        assert_true(first.rep.max_ts == a.rep.max_ts || second.rep.max_ts == a.rep.max_ts);
        free(whole);
        free(x);
        free(y);
    }
    split_free(&a);
    split_free(&b);
    split_free(&first);
    split_free(&second);
    free(log);
}

static void one_part_is_the_input_itself(void **state)
{
    (void)state;
    char *log = make_log(500, 50, false);
    split_out s = split_text(log, 1);
    assert_int_equal(s.rc, CIVIC_OK);
    assert_int_equal(s.rep.bytes, strlen(log));
    assert_memory_equal(s.buf, log, strlen(log));
    split_free(&s);
    free(log);
    /* BOM, blank lines and a last line without a break: normalised. */
    s = split_text("\xEF\xBB\xBFid,subject,type,ts\r\n\r\n\ne1,s1,good,2024-01-01\r\n\n"
                   "e2,s2,good,1", 1);
    assert_int_equal(s.rc, CIVIC_OK);
    assert_int_equal(s.rep.events, 2);
    assert_int_equal(s.rep.lines, 6);
    char *t = part_text(&s, 0);
    assert_string_equal(t, "id,subject,type,ts\r\ne1,s1,good,2024-01-01\r\ne2,s2,good,1\n");
    free(t);
    split_free(&s);
}

static void a_buffer_of_only_a_header_gives_parts_of_only_the_header(void **state)
{
    (void)state;
    split_out s = split_text("id,subject,type,ts\n", 3);
    assert_int_equal(s.rc, CIVIC_OK);
    assert_int_equal(s.rep.events, 0);
    assert_int_equal(s.rep.lines, 1);
    assert_true(s.rep.max_ts == CIVIC_NO_TIME);
    for (uint32_t p = 0; p < 3; p++) {
        char *t = part_text(&s, p);
        assert_string_equal(t, "id,subject,type,ts\n");
        assert_int_equal(s.events[p], 0);
        free(t);
    }
    split_free(&s);
    /* without its line break, the header gets one */
    s = split_text("id,subject,type,ts", 2);
    assert_int_equal(s.rc, CIVIC_OK);
    char *t = part_text(&s, 1);
    assert_string_equal(t, "id,subject,type,ts\n");
    free(t);
    split_free(&s);
    /* nothing at all: empty parts */
    s = split_text("", 2);
    assert_int_equal(s.rc, CIVIC_OK);
    assert_int_equal(s.rep.bytes, 0);
    assert_int_equal(s.end[0], 0);
    split_free(&s);
    s = split_text("\n\r\n", 2);
    assert_int_equal(s.rc, CIVIC_OK);
    assert_int_equal(s.rep.bytes, 0);
    assert_int_equal(s.rep.lines, 2);
    split_free(&s);
}

/* Header names are matched after trimming blanks, however many, quoted or
 * not, as a load matches them; a quoted name with an escaped quote names
 * no column. */
static void header_names_match_after_any_blanks(void **state)
{
    (void)state;
    char pad[300];
    memset(pad, ' ', sizeof(pad) - 1);
    pad[sizeof(pad) - 1] = '\0';
    char data[1200];
    const char *rows = "e1,alice,x,1700000000\ne2,bob,x,1700000001\n";
    snprintf(data, sizeof(data), "id,%ssubject%s,\"%sTYPE\t\",ts\n%s", pad, pad, pad, rows);
    split_out s = split_text(data, 2);
    assert_int_equal(s.rc, CIVIC_OK);
    assert_int_equal(s.rep.events, 2);
    split_free(&s);
    /* the load reads the same header */
    civic_engine *e = engine_from(TEST_SCHEME "[rule.x]\npoints = 1\n");
    assert_int_equal(civic_engine_load(e, data, strlen(data), NULL, NULL, NULL), CIVIC_OK);
    assert_int_equal(civic_engine_event_count(e), 2);
    civic_engine_free(e);
    /* an escaped quote inside the name: no 'type' column, for both */
    expect_error("id,subject,\"ty\"\"pe\",ts\ne1,a,x,1\n", CIVIC_E_SYNTAX, 1, 0, "no 'type' column");
}

static void quoted_subjects_are_decoded_before_hashing(void **state)
{
    (void)state;
    const char *log =
        "ID ,\"Subject\",type,ts,group\n"
        "e1,s1,good,2024-01-01,a/b\n"
        "e2,\"s1\",good,2024-01-02,\"a, \"\"quoted\"\" b\"\n"
        "e3,\"s\"\"2\",good,\"2024-01-03\",x\n"
        "e4,\"s,3\",good,2024-01-04,\"line\nbreak\"\n"
        "e5,s4,good,2024-01-05T00:00:00Z,\"\"\r\n";
    split_out s = split_text(log, 5);
    assert_int_equal(s.rc, CIVIC_OK);
    assert_int_equal(s.rep.events, 5);
    assert_int_equal(s.rep.lines, 7);
    assert_true(s.rep.max_ts == ts_of("2024-01-05T00:00:00Z"));
    char *p1 = part_text(&s, part_of("s1", 5));
    assert_non_null(strstr(p1, "e1,s1,"));
    assert_non_null(strstr(p1, "e2,\"s1\",good,2024-01-02,\"a, \"\"quoted\"\" b\"\n"));
    free(p1);
    char *p2 = part_text(&s, part_of("s\"2", 5));
    assert_non_null(strstr(p2, "e3,\"s\"\"2\","));
    free(p2);
    char *p3 = part_text(&s, part_of("s,3", 5));
    assert_non_null(strstr(p3, "e4,\"s,3\",good,2024-01-04,\"line\nbreak\"\n"));
    free(p3);
    char *p4 = part_text(&s, part_of("s4", 5));
    assert_non_null(strstr(p4, "e5,s4,good,2024-01-05T00:00:00Z,\"\"\r\n"));
    free(p4);
    split_free(&s);
}

static void json_lines_are_read_with_the_loaders_parser(void **state)
{
    (void)state;
    const char *log =
        "{\"id\":\"j1\",\"subject\":\"r1\",\"type\":\"good\",\"ts\":\"2024-02-01\"}\n"
        "\n"
        "  \r\n"
        "{\"ts\":1706745600,\"subject\":\"\\u0072\\u0031\",\"id\":\"j2\",\"type\":\"good\","
        "\"extra\":{\"subject\":\"nested\",\"a\":[1,2,{\"b\":null}]}}\n"
        "{\"id\":\"j3\",\"subject\":\"r\\\"2\",\"type\":\"good\",\"ts\":1.7068e9}\n"
        "{\"id\":\"j4\",\"subject\":\"\\u4e2d\",\"type\":\"good\",\"ts\":\"2024\\u002d03-01\"}";
    split_out s = split_text(log, 7);
    assert_int_equal(s.rc, CIVIC_OK);
    assert_int_equal(s.rep.format, CIVIC_FORMAT_JSONL);
    assert_int_equal(s.rep.events, 4);
    assert_int_equal(s.rep.lines, 6);
    assert_true(s.rep.max_ts == ts_of("2024-03-01"));
    char *p = part_text(&s, part_of("r1", 7));
    assert_non_null(strstr(p, "\"j1\""));
    assert_non_null(strstr(p, "\"j2\""));
    free(p);
    p = part_text(&s, part_of("r\"2", 7));
    assert_non_null(strstr(p, "\"j3\""));
    free(p);
    p = part_text(&s, part_of("\xe4\xb8\xad", 7));
    assert_non_null(strstr(p, "\"j4\""));
    assert_int_equal(p[strlen(p) - 1], '\n'); /* the last line got its break */
    free(p);
    split_free(&s);
}

static void the_latest_ts_is_the_one_a_load_would_hold(void **state)
{
    (void)state;
    for (int jsonl = 0; jsonl < 2; jsonl++) {
        char *log = make_log(3000, 70, jsonl);
        split_out s = split_text(log, 3);
        assert_int_equal(s.rc, CIVIC_OK);
        civic_engine *e = engine_from(SPLIT_SCHEME);
        load_ok(e, log);
        int64_t first, last;
        assert_int_equal(civic_engine_time_range(e, &first, &last), CIVIC_OK);
        assert_true(s.rep.max_ts == last);
        civic_engine_free(e);
        /* other offsets move the forms without one */
        civic_split_options o = CIVIC_SPLIT_OPTIONS_INIT;
        o.parts = 2;
        o.utc_offset = -5 * 3600;
        split_out t = split_opts("id,subject,type,ts\ne1,s,x,2030-01-01\n", 37, &o);
        assert_int_equal(t.rc, CIVIC_OK);
        assert_true(t.rep.max_ts == ts_of("2030-01-01T00:00:00-05:00"));
        split_free(&t);
        split_free(&s);
        free(log);
    }
}

static void scoring_the_parts_apart_gives_every_subjects_answer(void **state)
{
    (void)state;
    for (int jsonl = 0; jsonl < 2; jsonl++) {
        char *log = make_log(4000, 150, jsonl);
        civic_engine *whole = engine_from(SPLIT_SCHEME);
        load_ok(whole, log);
        int64_t as_of = ts_of("2024-12-31");
        char *want = subjects_csv(whole, as_of);
        split_out s = split_text(log, 4);
        assert_int_equal(s.rc, CIVIC_OK);
        size_t got_len = 0;
        uint64_t subjects = 0;
        char *got = calloc(1, strlen(want) + 1);
        for (uint32_t p = 0; p < 4; p++) {
            civic_engine *e = engine_from(SPLIT_SCHEME);
            char *t = part_text(&s, p);
            load_ok(e, t);
            subjects += civic_engine_subject_count(e);
            char *rows = subjects_csv(e, as_of);
            /* every row of this part must be in the whole answer */
            for (char *r = rows; *r;) {
                char *nl = strchr(r, '\n');
                *nl = '\0';
                assert_non_null(strstr(want, r));
                got_len += (size_t)(nl - r) + 1;
                r = nl + 1;
            }
            free(rows);
            free(t);
            civic_engine_free(e);
        }
        assert_int_equal(subjects, civic_engine_subject_count(whole));
        assert_int_equal(got_len, strlen(want));
        free(got);
        free(want);
        split_free(&s);
        civic_engine_free(whole);
        free(log);
    }
}

static void the_key_may_be_the_event_id(void **state)
{
    (void)state;
    civic_split_options o = CIVIC_SPLIT_OPTIONS_INIT;
    o.parts = 16;
    o.flags = CIVIC_SPLIT_KEY_ID;
    const char *log = "id,subject,type,ts\ne1,s1,x,1\ne1,s2,x,2\ne2,s1,x,3\n";
    split_out s = split_opts(log, strlen(log), &o);
    assert_int_equal(s.rc, CIVIC_OK);
    char *p = part_text(&s, part_of("e1", 16));
    assert_non_null(strstr(p, "e1,s1,x,1\ne1,s2,x,2\n"));
    free(p);
    split_free(&s);
    s = split_opts("id,subject,type,ts\n,s1,x,1\n", 27, &o);
    assert_int_equal(s.rc, CIVIC_E_EVENT);
    assert_string_equal(s.err.message, "line 2, column 1: field 'id': missing");
    split_free(&s);
}

static void bad_input_names_its_line_and_column(void **state)
{
    (void)state;
    /* the header */
    expect_error("id,subject,ts\n", CIVIC_E_SYNTAX, 1, 0, "no 'type' column");
    expect_error("\n\nid,subject,type,ts,Subject\n", CIVIC_E_SYNTAX, 3, 20, "appears twice");
    expect_error("id,\"subj\"ect,type,ts\n", CIVIC_E_SYNTAX, 1, 10,
                 "unexpected character after a closing quote");
    /* the structure */
    expect_error("id,subject,type,ts\ne1,s1,x\n", CIVIC_E_SYNTAX, 2, 0,
                 "expected 4 fields as in the header, found 3");
    /* two records joined by a lone CR: where the CR is, as a load says it;
     * a CR inside quotes is a field's text, and a CRLF's CR ends no field */
    expect_error("id,subject,type,ts\nok,s,fine,2024-01-01\ny,s,fine,2024-01-01\rz,s,fine,"
                 "2024-01-01\n", CIVIC_E_SYNTAX, 3, 0,
                 "line 3: expected 4 fields as in the header, found 7 (a carriage return at "
                 "column 20: lines must end in LF or CRLF)");
    expect_error("id,subject,type,ts\ny,s,fine,\"2024-01-01\r\",x\n", CIVIC_E_SYNTAX, 2, 0,
                 "line 2: expected 4 fields as in the header, found 5");
    {
        split_out q = split_text("id,subject,type,ts\ny,s,fine,\"2024-01-01\r\",x\n", 3);
        assert_null(strstr(q.err.message, "carriage"));
        split_free(&q);
        q = split_text("id,subject,type,ts\r\ny,s,fine,2024-01-01,x\r\n", 3);
        assert_string_equal(q.err.message, "line 2: expected 4 fields as in the header, found 5");
        split_free(&q);
    }
    expect_error("id,subject,type,ts\ne1,s1,x,1\ne2,s\"1,x,1\n", CIVIC_E_SYNTAX, 3, 5,
                 "a quote inside an unquoted field");
    expect_error("id,subject,type,ts\ne1,s1,x,1\n\ne2,\"s1\n\nx,1\n", CIVIC_E_SYNTAX, 4, 4,
                 "line 4, column 4: unterminated quoted field at end of input (the quote opens "
                 "here: 2 lines after it were read into the field)");
    expect_error("id,subject,type,ts\ne1,s1,x,1,\"x\ne2,s2,x,2\ne3,\"s3\",x,3\n", CIVIC_E_SYNTAX, 4,
                 5, "line 4, column 5: unexpected character after a closing quote (the quoted "
                 "field opened at line 2, column 11 holds line breaks: lines 2 to 4 were read "
                 "as one record)");
    expect_error("id,subject,type,ts\ne1,\"s\n1\"x,x,1\n", CIVIC_E_SYNTAX, 3, 3,
                 "unexpected character after a closing quote");
    /* the key and the ts */
    expect_error("id,subject,type,ts\ne1,s1,x,1\ne2,,x,1\n", CIVIC_E_EVENT, 3, 4,
                 "line 3, column 4: field 'subject': missing");
    expect_error("id,subject,type,ts\ne1,s1,x,\n", CIVIC_E_EVENT, 2, 9,
                 "line 2, column 9: field 'ts': missing");
    expect_error("id,subject,type,ts\r\ne1,s1,x,2024-02-30\r\n", CIVIC_E_EVENT, 2, 9,
                 "line 2, column 9: field 'ts': day out of range for the month \"2024-02-30\"");
    expect_error("id,ts,type,subject\ne1,\"20x\",x,s\n", CIVIC_E_EVENT, 2, 4,
                 "field 'ts': bad timestamp");
    expect_error("id,subject,type,ts\ne1,s1,x,99999999999999\n", CIVIC_E_LIMIT, 2, 9,
                 "out of range");
    char big[400];
    memset(big, 'a', sizeof(big));
    snprintf(big, sizeof(big), "id,subject,type,ts\ne1,\"%0129d\",x,1\n", 7);
    expect_error(big, CIVIC_E_LIMIT, 2, 4, "field 'subject': longer than 128 bytes");
    /* JSON Lines */
    expect_error("{\"id\":\"j1\",\"subject\":\"s\",\"ts\":1}\n{\"id\":\"j2\",\"subject\":\"s\",}\n",
                 CIVIC_E_SYNTAX, 2, 26, "expected a key string");
    expect_error("{\"id\":\"j1\",\"subject\":\"s\",\"ts\":\"bad\"}\n", CIVIC_E_EVENT, 1, 31,
                 "field 'ts': bad timestamp");
    expect_error("{\"id\":\"j1\",\"subject\":\"s\",\"ts\":-62135596800.5}\n", CIVIC_E_LIMIT, 1, 31,
                 "field 'ts': timestamp out of range (years 0001..9999 in UTC) \"-62135596801\" "
                 "(the JSON number written out, to the whole second)");
    expect_error("{\"id\":\"j1\",\"ts\":1}\n", CIVIC_E_EVENT, 1, 0, "field 'subject': missing");
    expect_error("{\"id\":\"j1\",\"subject\":7,\"ts\":1}\n", CIVIC_E_SYNTAX, 1, 22,
                 "must be a string");
    expect_error("{\"id\":\"j1\",\"subject\":\"a\",\"subject\":\"b\",\"ts\":1}\n", CIVIC_E_SYNTAX,
                 1, 26, "duplicate key");
    /* the offset names the record */
    split_out s = split_text("id,subject,type,ts\ne1,s1,x,1\ne2,,x,1\n", 2);
    assert_int_equal(s.err.offset, 29);
    assert_int_equal(s.rep.lines, 3);
    assert_int_equal(s.rep.events, 0);
    split_free(&s);
}

/* The load's error for text[0..len) by an engine of `scheme`, after
 * checking that a split with `flags` gives the same: code, line, column and
 * message.  The engine is freed. */
static civic_error split_as_load_by(civic_engine *e, const char *text, size_t len,
                                    uint32_t flags)
{
    civic_error lerr = CIVIC_ERROR_INIT;
    int lrc = civic_engine_load(e, text, len, NULL, NULL, &lerr);
    civic_split_options o = CIVIC_SPLIT_OPTIONS_INIT;
    o.parts = 2;
    o.utc_offset = 8 * 3600;
    o.flags = flags;
    split_out s = split_opts(text, len, &o);
    if (s.rc != lrc || strcmp(s.err.message, lerr.message) != 0)
        fprintf(stderr, "the load says %d \"%s\", the split %d \"%s\"\n", lrc, lerr.message, s.rc,
                s.err.message);
    assert_int_equal(s.rc, lrc);
    assert_int_equal(s.err.line, lerr.line);
    assert_int_equal(s.err.column, lerr.column);
    assert_string_equal(s.err.message, lerr.message);
    split_free(&s);
    civic_engine_free(e);
    lerr.code = lrc;
    return lerr;
}

/* The load's error for text[0..len) (built-in test scheme), after checking
 * that the split gives the same: code, line, column and message. */
static civic_error split_as_load(const char *text, size_t len)
{
    return split_as_load_by(engine_from(SPLIT_SCHEME), text, len, 0);
}

static void a_load_and_a_split_agree_on_what_is_wrong(void **state)
{
    (void)state;
    const char *bad[] = {
        "id,subject,type,ts\ne1,s1,good,2024-13-01\n",
        "id,subject,type,ts\ne1,,good,2024-01-01\n",
        "id,subject,type,ts\ne1,s1,good,\n",
        "id,subject,x,type,ts\ne1,s1,\"a\nb\",good,2024-13-01\n", /* ts on the record's 2nd line */
        "{\"id\":\"j1\",\"subject\":\"s\",\"type\":\"good\",\"ts\":1}\r{\"id\":\"j2\"}\r",
        "{\"id\":\"j1\",\"subject\":\"s\",\"type\":\"good\",\"ts\":1} \r\t{\"id\":\"j2\"}\r",
        "id,subject,type,ts\ne1,\"\",\"go\nod\",\"2024-01-01\"\n",
        "id,subject,type,ts\n\"e1\",\"\",good,2024-01-01\n",
        "{\"id\":\"j1\",\"subject\":\"\",\"type\":\"good\",\"ts\":\"2024-01-01\"}\n",
        "{\"id\":\"j1\",\"subject\":\"s\",\"type\":\"good\",\"ts\":\"\"}\n",
        "id,subject,type,ts\ne1,s1,good\n",
        "{\"id\":\"j1\",\"subject\":\"s\",\"type\":\"good\",\"ts\":\"2024-01-01\"\n",
        "{\"id\":\"j1\",\"subject\":\"s\",\"type\":\"good\",\"ts\":[1]}\n",
        /* ts numbers refused for their form: the limit they are past */
        "{\"id\":\"j1\",\"subject\":\"s\",\"type\":\"good\",\"ts\":1e40}\n",
        "{\"id\":\"j1\",\"subject\":\"s\",\"type\":\"good\",\"ts\":1.70000000000000000000000000000"
        "000000000000000000000000000000000e9}\n",
        "{\"id\":\"j1\",\"subject\":\"s\",\"type\":\"good\",\"ts\":1000000000000000000000000000000"
        "0000000000000000000000000000000000000000}\n",
        "{\"id\":\"j1\",\"subject\":\"s\",\"type\":\"good\",\"ts\":1700000000.000000000000000000"
        "000000000000000000000000000000000000000000000000000000000000000000000000000000000}\n",
        "{\"id\":\"j1\",\"subject\":\"s\",\"type\":\"good\",\"ts\":\"2024-01-01T00:00:00+24:00\"}\n",
        /* a stray quote: the lines after it one record, met lines later */
        "id,subject,type,ts\ne1,s1,good,2024-01-01,\"oops\ne2,s2,good,2024-01-02\n"
        "e3,\"s3\",good,2024-01-03\n",
        "id,subject,type,ts\ne1,s1,good,\"2024-01-01\ne2\",s2\ne3,s3,good,2024-01-03\n",
        "id,subject,type,ts\ne1,s1,good,2024-01-01\ne2,s2,good,2024-01-02,\"x\"\"\ny\n\nz\n",
        "id,subject,type,ts,note\ne1,s1,good,2024-01-01,\"a\nb\"\ne2,s1,good,2024-01-02,\"x\n",
        "id,subject,type,ts,note\ne1,\"a\nb\",good,\"2024\ne2,s1,x,y\n",
        "id,subject,\"type,ts\ne1,s1\"x,good,2024-01-01\n",
        "id,subject,type,ts,note\ne2,s,good,2024-01-01,\"g\ne3,s,good,2024-01-01,g\"x,\"\n"
        "e4,s,good,2024-01-01,g\",\ne5,s,good,2024-01-01,\n",
        /* records joined by a lone CR (old Mac line ends) that hold quotes:
         * where the CR is, as the load says it */
        "id,subject,type,ts,group\ne0,s,good,2024-01-01,\"a,b\"\re1,s,good,2024-01-01,\"u\"v\n",
        "id,subject,type,ts,group\ne0,s,good,2024-01-01,g\re1,s,good,\"2024-01-02\",\n"
        "e2,s,good,\"2024-01-02\",\r\n",
        "id,subject,\"type\",ts,group\r\ne0,s,good,2024-01-01,\ne1,s,good,2024-01-01,\"x\"\"y\"\r"
        "e2,s,good,2024-01-01,g\r\n",
        "id,subject,type,ts,group\ne0,s,good,2024-01-01,\"a\nb\"\re1,s,good,2024-01-01,\"u\"v\n",
        "id,subject,type,ts,group\ne0,s,good,2024-01-01,g\re1,s,good,2024-01-01,\"a\nb\"x\n",
        /* what the load finds of a record's extent before its fields: a
         * quote never closed after a stray one, or after a closing quote
         * and text; in the header, a lone CR before a stray quote, one in a
         * quoted name, and a name twice before a field that cannot be read */
        "id,subject,type,ts\ne1,s1,good,2024-01-01\ne2,b\"x,\"good,2024-01-01\n",
        "id,subject,type,ts\ne1,s1,good,2024-01-01\ne2,\"b\"x,good,\"2024-01-01\ne3,c,d,e\n",
        "id,subject,type,ts\re1,s1,b\"c,d\n",
        "id,subject,type,\"ts\r\"\n",
        "id,subject,type,\"t\"\"s\r\"\n",
        "id,\"sub\nject\",type,ts\r,x\n",
        "id,subject,type,ts,type,\"a\"b\n",
        "id,\"x\ny\",id,subject,type,ts\n", /* a name twice on the header's 2nd line */
        /* a stray quote that a later line closes: any error of the record
         * it makes (a value, a name the header lacks) names the lines */
        "id,subject,type,ts,note\ne1,s1,good,2024-13-01,\"a\nb\"\n",
        "id,subject,type,ts\ne1,s1,good,\"2024-01-01\ne2,s2,good,2024-01-02\"\n",
        "id,\"subject,type\nx\",ts\ne1,s1,good,2024-01-01\n",
        /* a row of separators only, as a spreadsheet leaves below its data */
        "id,subject,type,ts\ne1,s1,good,2024-01-01\n,\n",
        "id,subject,type,ts\ne1,s1,good,2024-01-01\n , ,\t\r\n",
        /* files joined: a byte-order mark that opens a line, the header again */
        "{\"id\":\"j1\",\"subject\":\"s\",\"type\":\"good\",\"ts\":1}\n"
        "\xEF\xBB\xBF{\"id\":\"j2\",\"subject\":\"s\",\"type\":\"good\",\"ts\":1}\n",
        "id,subject,type,ts\ne1,s1,good,2024-01-01\n\xEF\xBB\xBF" "e2,s1,good,2024-13-01\n",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        split_as_load(bad[i], strlen(bad[i]));
    /* what no event log can be, though what follows its first bytes splits
     * as CSV up to a later line (the fuzzer's case: FE FF, a UTF-16 mark,
     * then a header): what it is, at line 1, as the load says (the split
     * failed at line 3 instead) */
    static const char *const binary[][2] = {
        { "\xfe\xff,id,subject,type,ts\r\n\r\ne1,x,s,good,2024-01-01\r\ne2,\"a\nb\",s1,good,1\r\n",
          "UTF-16 text (event logs are UTF-8: convert it first)" },
        { "\xff\xfeid,subject,type,ts\ne1,s1,good,2024-01-01\n", "UTF-16 text" },
        { "PK\x03\x04id,subject,type,ts\ne1,s1,good,2024-01-01\n", "a zip archive" },
        { "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1id,subject,type,ts\ne1,s1,good,2024-01-01\n",
          "an Excel 97-2003 workbook" },
    };
    for (size_t i = 0; i < sizeof(binary) / sizeof(binary[0]); i++) {
        civic_error e = split_as_load(binary[i][0], strlen(binary[i][0]));
        assert_int_equal(e.code, CIVIC_E_SYNTAX);
        assert_int_equal(e.line, 1);
        if (!strstr(e.message, "line 1, column 1: not an event log: ") ||
            !strstr(e.message, binary[i][1]))
            fail_msg("%s", e.message);
    }
    /* the header again: the split reads its ts first, the load its type,
     * and both say what the line is */
    static const char *const again[][2] = {
        { "\xEF\xBB\xBFid,subject,type,ts\r\ne1,s1,good,2024-01-01\r\n"
          "\xEF\xBB\xBFid,subject,type,ts\r\ne2,s1,good,2024-01-01\r\n",
          " (the line starts with U+FEFF, a byte-order mark, and repeats the header: were files "
          "joined? remove the line)" },
        { "id,subject,type,ts\ne1,s1,good,2024-01-01\nid,subject,type,ts\n",
          " (the line repeats the header: were files joined? remove it)" },
    };
    for (size_t i = 0; i < 2; i++) {
        split_out s = split_text(again[i][0], 2);
        assert_int_equal(s.rc, CIVIC_E_EVENT);
        assert_int_equal(s.err.line, 3);
        assert_non_null(strstr(s.err.message, "field 'ts': "));
        assert_non_null(strstr(s.err.message, again[i][1]));
        split_free(&s);
        civic_engine *e = engine_from(SPLIT_SCHEME);
        civic_error lerr = CIVIC_ERROR_INIT;
        assert_int_equal(civic_engine_load(e, again[i][0], strlen(again[i][0]), NULL, NULL,
                                           &lerr), CIVIC_E_EVENT);
        assert_non_null(strstr(lerr.message, again[i][1]));
        civic_engine_free(e);
    }
    /* a record of the NUL byte alone (a length of strlen + 1): said so */
    const char *text = "id,subject,type,ts\ne1,s1,good,2024-01-01\n";
    assert_string_equal(split_as_load(text, strlen(text) + 1).message,
                        "line 3: expected 4 fields as in the header, found 1: a NUL byte (a "
                        "length of strlen(text) + 1 takes in the terminating NUL)");
    /* a NUL line in the middle of the text, or last after another NUL: no
     * length of strlen + 1, so named without that hint, as the load does */
    static const char mid_csv[] = "id,subject,type,ts\ne1,s1,good,2024-01-01\n\0\n"
                                  "e2,s1,good,2024-01-02\n\0";
    static const char mid_jsonl[] = "{\"id\":\"j1\",\"subject\":\"s\",\"type\":\"good\",\"ts\":1}\n"
                                    "\0\n{\"id\":\"j2\",\"subject\":\"s\",\"type\":\"good\",\"ts\":2}\n";
    for (size_t cut = 0; cut < 2; cut++) { /* with the last NUL, and without it */
        civic_error m = split_as_load(mid_csv, sizeof(mid_csv) - 1 - cut);
        assert_string_equal(m.message, "line 3: expected 4 fields as in the header, found 1: "
                                       "a NUL byte");
    }
    assert_string_equal(split_as_load(mid_jsonl, sizeof(mid_jsonl) - 1).message,
                        "line 2, column 1: a NUL byte");
    static const char end_jsonl[] = "{\"id\":\"j1\",\"subject\":\"s\",\"type\":\"good\",\"ts\":1}\n\0";
    assert_string_equal(split_as_load(end_jsonl, sizeof(end_jsonl) - 1).message,
                        "line 2, column 1: a NUL byte (a length of strlen(text) + 1 takes in the "
                        "terminating NUL)");
    /* a length that takes in the terminating NUL: the load's hint */
    text = "id,subject,type,ts\ne1,s1,good\n";
    assert_non_null(strstr(split_as_load(text, strlen(text) + 1).message,
                           "(the text ends in a NUL byte"));
    /* a JSON array (json.dumps of a list; pretty-printed, after a BOM and
     * blank lines): the hint that JSON Lines has none, alike */
    static const char *const arrays[] = {
        "[{\"id\": \"e1\", \"subject\": \"s1\"}]",
        "\xEF\xBB\xBF\n\n[\n  {\n    \"id\": \"e1\"\n  }\n]\n",
    };
    for (size_t i = 0; i < 2; i++) {
        civic_error e = split_as_load(arrays[i], strlen(arrays[i]));
        if (!strstr(e.message, "(the text is a JSON array: JSON Lines is one object a line, "
                               "without '[' and ']')"))
            fail_msg("%s", e.message);
    }
    /* a '[' that begins no array of objects: no hint */
    text = "[id],subject,type\n";
    assert_null(strstr(split_as_load(text, strlen(text)).message, "JSON array"));
    {   /* lone-CR line ends past 1 MiB: one header too long, but the CR is
         * what to tell, in the load and the split alike */
        size_t rows = 60000, cap = 32 + rows * 32, k = 0;
        char *mac = malloc(cap);
        assert_non_null(mac);
        k += (size_t)snprintf(mac, cap, "id,subject,type,ts\r");
        for (size_t i = 0; i < rows; i++)
            k += (size_t)snprintf(mac + k, cap - k, "e%zu,s,good,2024-01-01\r", i);
        assert_true(k > CIVIC_LINE_BYTES_MAX);
        civic_error lerr = split_as_load(mac, k);
        assert_int_equal(lerr.code, CIVIC_E_SYNTAX);
        assert_string_equal(lerr.message, "line 1, column 19: a carriage return inside the header "
                                          "(lines must end in LF or CRLF)");
        free(mac);
    }
    /* a record past 1 MiB: that, before the stray quote early in it */
    size_t big = CIVIC_LINE_BYTES_MAX + 64;
    char *log = malloc(big + 128);
    assert_non_null(log);
    int k = snprintf(log, 128, "id,subject,type,ts\ne1,s1,good,2024-01-01\ne2,s\"2,good,");
    memset(log + k, '9', big);
    memcpy(log + k + big, "\n", 2);
    civic_error lerr = split_as_load(log, strlen(log));
    assert_int_equal(lerr.code, CIVIC_E_LIMIT);
    assert_string_equal(lerr.message, "line 3: record longer than 1 MiB");
    free(log);
}

/* A field's name in other letters beside the exact key, and a variant of
 * any field's name under rules of version 1 (an unknown key in 1.0), are
 * keys to ignore in the split as in the load.  A split has no rules: it
 * leaves the variants to the engine that loads the part, which refuses one
 * alone under version-2 rules. */
static void a_load_and_a_split_agree_on_keys_in_other_letters(void **state)
{
    (void)state;
    const char *fine[] = {
        "{\"id\":\"j1\",\"subject\":\"s\",\"type\":\"good\",\"ts\":1,\"group\":\"a\","
        "\"Group\":\"b\"}\n",
        "{\"ID\":\"J1\",\"id\":\"j1\",\"Subject \":\"t\",\"subject\":\"s\",\"type\":\"good\","
        "\"ts\":1}\n",
        "{\"id\":\"j1\",\"subject\":\"s\",\"type\":\"good\",\"ts\":1,\"Source\":\"x\","
        "\"ACT\":\"y\"}\n",
        /* CSV: a column of act or source in other letters, beside the
         * exact one or another variant, is not one twice */
        "id,subject,type,ts,act,ACT\nj1,s,good,2024-01-01,a,b\n",
        "id,subject,type,ts,Source, SOURCE \nj1,s,good,2024-01-01,a,b\n",
    };
    for (size_t i = 0; i < sizeof(fine) / sizeof(fine[0]); i++)
        assert_int_equal(split_as_load(fine[i], strlen(fine[i])).code, CIVIC_OK);
    /* alone: ignored by both, as in 1.0 */
    const char *alone[] = {
        "{\"Group\":\"g\",\"id\":\"j1\",\"subject\":\"s\",\"type\":\"good\",\"ts\":1}\n",
        "{\"id\":\"j1\",\"subject\":\"s\",\"type\":\"good\",\"ts\":1,\"Qty\":5,\" ref\":\"x\"}\n",
    };
    for (size_t i = 0; i < sizeof(alone) / sizeof(alone[0]); i++)
        assert_int_equal(split_as_load(alone[i], strlen(alone[i])).code, CIVIC_OK);
}

/* The subject or ts, which a split needs, only in other letters or with
 * blanks: the split cannot leave the key to the engine.  It says at the
 * variant's column what the engine says under version-2 rules (the
 * built-in scheme's), with its code, after the "missing" of version 1. */
static void split_names_a_subject_or_ts_key_in_other_letters(const char *text, uint32_t column,
                                                             const char *engine_says,
                                                             const char *split_says)
{
    civic_engine *v2 = engine_from_threads(NULL, SERIAL_READER);
    civic_error lerr = CIVIC_ERROR_INIT;
    assert_int_equal(civic_engine_load(v2, text, strlen(text), NULL, NULL, &lerr),
                     CIVIC_E_SYNTAX);
    assert_int_equal(lerr.line, 2);
    assert_int_equal(lerr.column, column);
    assert_string_equal(lerr.message, engine_says);
    civic_engine_free(v2);
    expect_error(text, CIVIC_E_SYNTAX, 2, column, split_says);
    split_out s = split_text(text, 3);
    assert_string_equal(s.err.message, split_says);
    split_free(&s);
}

static void a_split_says_what_the_engine_says_of_a_subject_or_ts_key_in_other_letters(
    void **state)
{
    (void)state;
#define GOOD_LINE "{\"id\":\"j0\",\"subject\":\"s\",\"type\":\"donation\",\"ts\":1}\n"
    split_names_a_subject_or_ts_key_in_other_letters(
        GOOD_LINE "{\"id\":\"a1\",\"Subject\":\"x\",\"type\":\"donation\",\"ts\":1}\n", 12,
        "line 2, column 12: keys are lower case: write \"subject\"",
        "line 2, column 12: field 'subject': missing (keys are lower case: write \"subject\")");
    split_names_a_subject_or_ts_key_in_other_letters(
        GOOD_LINE "{\"id\":\"a1\",\"subject \":\"x\",\"type\":\"donation\",\"ts\":1}\n", 12,
        "line 2, column 12: a key has no blanks around it: write \"subject\"",
        "line 2, column 12: field 'subject': missing (a key has no blanks around it: write "
        "\"subject\")");
    split_names_a_subject_or_ts_key_in_other_letters(
        GOOD_LINE "{\"id\":\"a1\",\"subject\":\"x\",\"type\":\"donation\",\"TS\":1}\n", 44,
        "line 2, column 44: keys are lower case: write \"ts\"",
        "line 2, column 44: field 'ts': missing (keys are lower case: write \"ts\")");
    /* no subject at all: the ts variant is what the engine refuses first */
    split_names_a_subject_or_ts_key_in_other_letters(
        GOOD_LINE "{\"id\":\"a1\",\"type\":\"donation\",\" ts\":1}\n", 30,
        "line 2, column 30: a key has no blanks around it: write \"ts\"",
        "line 2, column 30: field 'ts': missing (a key has no blanks around it: write \"ts\")");
    /* both: the first of them, as the engine */
    split_names_a_subject_or_ts_key_in_other_letters(
        GOOD_LINE "{\"TS\":1,\"id\":\"a1\",\"SUBJECT\":\"x\",\"type\":\"donation\"}\n", 2,
        "line 2, column 2: keys are lower case: write \"ts\"",
        "line 2, column 2: field 'ts': missing (keys are lower case: write \"ts\")");
#undef GOOD_LINE
    /* under rules of version 1 the engine says the same words (the key
     * missing, as in 1.0), with the code of that refusal */
    const char *v1 = "{\"id\":\"j1\",\"Subject\":\"s\",\"type\":\"good\",\"ts\":1}\n";
    civic_engine *e = engine_from(SPLIT_SCHEME);
    civic_error lerr = CIVIC_ERROR_INIT;
    assert_int_equal(civic_engine_load(e, v1, strlen(v1), NULL, NULL, &lerr), CIVIC_E_EVENT);
    assert_int_equal(lerr.column, 12);
    assert_string_equal(lerr.message, "line 1, column 12: field 'subject': missing (keys are lower "
                                      "case: write \"subject\")");
    civic_engine_free(e);
    expect_error(v1, CIVIC_E_SYNTAX, 1, 12,
                 "line 1, column 12: field 'subject': missing (keys are lower case: write "
                 "\"subject\")");
    /* an exact key beside the variant: its value is the field's */
    const char *empty = "{\"id\":\"j1\",\"Subject\":\"s\",\"subject\":\"\",\"type\":\"good\","
                        "\"ts\":1}\n";
    expect_error(empty, CIVIC_E_EVENT, 1, 36, "line 1, column 36: field 'subject': missing");
    /* the key is the id: a subject in other letters is the engine's */
    civic_split_options o = CIVIC_SPLIT_OPTIONS_INIT;
    o.parts = 2;
    o.flags = CIVIC_SPLIT_KEY_ID;
    split_out s = split_opts(v1, strlen(v1), &o);
    assert_int_equal(s.rc, CIVIC_OK);
    split_free(&s);
}

/* Rules of version 2 (SPLIT_SCHEME with a rule change). */
#define SPLIT_SCHEME_V2 SPLIT_SCHEME "[[rule.good.change]]\nfrom = \"2030-01-01\"\npoints = 4\n"

/* The load's error for text under SPLIT_SCHEME_V2, after checking that a
 * split with CIVIC_SPLIT_V2 (and `flags`) gives the same: code, line,
 * column and message. */
static civic_error v2_split_as_load(const char *text, uint32_t flags)
{
    civic_engine *e = engine_from(SPLIT_SCHEME_V2);
    assert_int_equal(civic_rules_spec_version(civic_engine_rules(e)), 2);
    return split_as_load_by(e, text, strlen(text), CIVIC_SPLIT_V2 | flags);
}

/* CIVIC_SPLIT_V2: the parts will be loaded under version-2 rules, so a key
 * in other letters or with blanks that such a load refuses is refused by
 * the split, on the same line with the same words, not ignored (the split
 * succeeding where the load fails, or stopping at a later line). */
static void a_version_2_split_refuses_a_key_a_version_2_load_refuses(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        uint64_t line;
        uint32_t column;
        const char *says;
    } refused[] = {
        /* a field the split does not need: without the flag it succeeds */
        { "{\"id\":\"j1\",\"subject\":\"s\",\"type\":\"good\",\"ts\":1,\"Qty\":5}\n", 1, 47,
          "line 1, column 47: keys are lower case: write \"qty\"" },
        { "{\"id\":\"j1\",\"subject\":\"s\",\"Type \":\"good\",\"ts\":1}\n"
          "{\"id\":\"j2\",\"subject\":\"s\",\"type\":\"good\"}\n", 1, 26,
          "line 1, column 26: a key has no blanks around it: write \"type\"" },
        /* a field it needs: the load's words, not "missing" */
        { "{\"id\":\"j0\",\"subject\":\"s\",\"type\":\"good\",\"ts\":1}\n"
          "{\"id\":\"a1\",\"Subject\":\"x\",\"type\":\"good\",\"ts\":1}\n", 2, 12,
          "line 2, column 12: keys are lower case: write \"subject\"" },
        { "{\"TS\":1,\"id\":\"a1\",\"SUBJECT\":\"x\",\"type\":\"good\"}\n", 1, 2,
          "line 1, column 2: keys are lower case: write \"ts\"" },
        /* act and source are read under version 2: a variant is refused */
        { "{\"id\":\"j1\",\"subject\":\"s\",\"type\":\"good\",\"ts\":1,\"Source\":\"x\"}\n", 1,
          47, "line 1, column 47: keys are lower case: write \"source\"" },
        /* CSV: act and source in other letters are those columns */
        { "id,subject,type,ts,act,ACT\nj1,s,good,2024-01-01,a,b\n", 1, 24,
          "line 1, column 24: column 'act' appears twice in the header" },
    };
    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        civic_error e = v2_split_as_load(refused[i].text, 0);
        assert_int_equal(e.code, CIVIC_E_SYNTAX);
        assert_int_equal(e.line, refused[i].line);
        assert_int_equal(e.column, refused[i].column);
        assert_string_equal(e.message, refused[i].says);
    }
    /* by id too: the subject in other letters is refused all the same */
    civic_error e = v2_split_as_load(refused[2].text, CIVIC_SPLIT_KEY_ID);
    assert_string_equal(e.message, refused[2].says);
    /* without the flag: the first two pass the split (or it names a later
     * line), the third is "missing" with a hint */
    split_out s = split_text(refused[0].text, 2);
    assert_int_equal(s.rc, CIVIC_OK);
    split_free(&s);
    expect_error(refused[1].text, CIVIC_E_EVENT, 2, 0, "line 2: field 'ts': missing");
    /* what both versions take is split alike */
    const char *fine[] = {
        "{\"id\":\"j1\",\"subject\":\"s\",\"type\":\"good\",\"ts\":1,\"group\":\"a\","
        "\"Group\":\"b\"}\n",
        "{\"ID\":\"J1\",\"id\":\"j1\",\"Subject \":\"t\",\"subject\":\"s\",\"type\":\"good\","
        "\"ts\":1}\n",
        "id,subject,type,ts,Source\nj1,s,good,2024-01-01,a\n",
    };
    for (size_t i = 0; i < sizeof(fine) / sizeof(fine[0]); i++)
        assert_int_equal(v2_split_as_load(fine[i], 0).code, CIVIC_OK);
    for (int jsonl = 0; jsonl < 2; jsonl++) {
        char *log = make_log(400, 30, jsonl);
        civic_split_options o = CIVIC_SPLIT_OPTIONS_INIT;
        o.parts = 3;
        o.utc_offset = 8 * 3600;
        split_out a = split_opts(log, strlen(log), &o);
        o.flags = CIVIC_SPLIT_V2;
        split_out b = split_opts(log, strlen(log), &o);
        assert_int_equal(a.rc, CIVIC_OK);
        assert_int_equal(b.rc, CIVIC_OK);
        assert_int_equal(a.rep.bytes, b.rep.bytes);
        assert_int_equal(a.rep.max_ts, b.rep.max_ts);
        assert_memory_equal(a.end, b.end, 3 * sizeof(uint64_t));
        assert_memory_equal(a.buf, b.buf, a.rep.bytes);
        split_free(&a);
        split_free(&b);
        free(log);
    }
}

/* The split checks the key and the ts only, the engine the type first: on
 * a line with several bad fields they may name two of them, on one line,
 * with one hint (docs/events.md says so). */
static void a_line_with_several_bad_fields_may_be_named_by_its_ts(void **state)
{
    (void)state;
    static const char header[] = "id,subject,type,ts\na1,x,donation,2022-01-01\n"
                                 "id,subject,type,ts\n";
    static const char typo[] = "id,subject,type,ts\na1,x,donation,2022-01-01\n"
                               "a2,y,donaton,2022-13-01\n";
    const char *texts[2] = { header, typo };
    const uint32_t split_column[2] = { 17, 14 }, load_column[2] = { 12, 6 };
    for (int i = 0; i < 2; i++) {
        civic_engine *e = engine_from_threads(NULL, SERIAL_READER);
        civic_error lerr = CIVIC_ERROR_INIT;
        assert_int_equal(civic_engine_load(e, texts[i], strlen(texts[i]), NULL, NULL, &lerr),
                         CIVIC_E_EVENT);
        civic_engine_free(e);
        split_out s = split_text(texts[i], 3);
        assert_int_equal(s.rc, CIVIC_E_EVENT);
        assert_int_equal(s.err.line, 3);
        assert_int_equal(lerr.line, 3);
        assert_int_equal(s.err.column, split_column[i]);
        assert_int_equal(lerr.column, load_column[i]);
        assert_non_null(strstr(s.err.message, "field 'ts'"));
        assert_non_null(strstr(lerr.message, "field 'type'"));
        const char *hint = " (the line repeats the header: were files joined? remove it)";
        bool split_hint = strstr(s.err.message, hint) != NULL;
        assert_int_equal(split_hint, strstr(lerr.message, hint) != NULL);
        assert_int_equal(split_hint, i == 0);
        split_free(&s);
    }
}

/* A log whose line breaks were removed (curl -d) is one line, its header and
 * every event's values: the split refuses it as a load does, code, line,
 * column and words (it split it into parts of the header alone). */
static void a_log_run_into_one_line_is_refused_as_a_load_does(void **state)
{
    (void)state;
    static const char *const texts[] = {
        "id,subject,type,ts,qty,group,refe1,s1,good,2025-03-04,,d1/s1,e2,s1,good,2025-03-05,,,",
        "id,subject,type,tse1,s1,good,2024-01-01e2,s1,good,2024-01-02",
        "id,subject,type",
        "id,subject,type,ts,id",
        "id,subject,type,ts,groupe1,s1,good,2024-01-01,\"a, b\"e2,s1,good,2024-01-02,\"c\"",
    };
    static const char *const words[] = {
        "line 1, column 44: a column named like a time ('2025-03-04')",
        "line 1, column 51: a column named like a time ('2024-01-02')",
        "(the header is the whole input, without a line break: were the log's line breaks "
        "removed? curl -d removes them: send the file with --data-binary)",
        "line 1, column 20: column 'id' appears twice in the header (the header is the whole "
        "input",
        "line 1, column 53: unexpected character after a closing quote (the header is the "
        "whole input",
    };
    for (size_t k = 0; k < sizeof(texts) / sizeof(texts[0]); k++) {
        civic_error err = split_as_load(texts[k], strlen(texts[k]));
        if (!strstr(err.message, words[k])) fail_msg("case %zu: %s", k, err.message);
    }
    /* more than 1024 columns; a header of more than 1 MiB */
    size_t n = (size_t)3 << 20;
    char *big = malloc(n);
    assert_non_null(big);
    size_t at = (size_t)snprintf(big, n, "id,subject,type,ts");
    for (int k = 0; k < 1100; k++) at += (size_t)snprintf(big + at, n - at, ",c");
    civic_error err = split_as_load(big, at);
    assert_int_equal(err.code, CIVIC_E_LIMIT);
    assert_non_null(strstr(err.message, "more than 1024 columns (the header is the whole input"));
    memset(big + at, 'x', n - at);
    err = split_as_load(big, n);
    assert_int_equal(err.code, CIVIC_E_LIMIT);
    assert_string_equal(err.message, "line 1: record longer than 1 MiB (a header of more than 1 "
                        "MiB without a line break: were the log's line breaks removed? curl -d "
                        "removes them: send the file with --data-binary)");
    free(big);
    /* a header-only log is split as before: parts of the header alone */
    split_out s = split_text("id,subject,type,ts,2024", 2);
    assert_int_equal(s.rc, CIVIC_OK);
    assert_int_equal(s.rep.events, 0);
    split_free(&s);
}

/* A '#' comment before a log is read as the header: the split says what
 * the lines after it are, as a load does. */
static void a_comment_before_a_log_is_named_as_a_load_does(void **state)
{
    (void)state;
    const char *csv = "# exported\nid,subject,type,ts\ne1,s1,good,2024-01-01\n";
    civic_error err = split_as_load(csv, strlen(csv));
    assert_string_equal(err.message, "line 1: the header has no 'id', 'subject', 'type' or 'ts' "
                        "column (required: id, subject, type, ts) (line 1 is a '#' comment, and "
                        "line 2 is the header: an event log has no comment lines; delete it)");
    const char *jsonl = "# exported\n{\"id\":\"j1\",\"subject\":\"s\",\"type\":\"good\","
                        "\"ts\":\"2024-01-01\"}\n";
    err = split_as_load(jsonl, strlen(jsonl));
    assert_string_equal(err.message, "line 1: the header has no 'id', 'subject', 'type' or 'ts' "
                        "column (required: id, subject, type, ts) (line 1 is a '#' comment, and "
                        "the lines after it are JSON objects: an event log has no comment lines; "
                        "delete it)");
}

/* The split's error for text and the load's: the same code and line, and
 * both end in `hint` (the field named may differ: the split reads the ts
 * where the load reads the type first). */
static void split_hint_as_load(const char *text, const char *hint)
{
    civic_engine *e = engine_from(SPLIT_SCHEME);
    civic_error lerr = CIVIC_ERROR_INIT;
    int lrc = civic_engine_load(e, text, strlen(text), NULL, NULL, &lerr);
    civic_engine_free(e);
    split_out s = split_text(text, 2);
    size_t h = strlen(hint), sn = strlen(s.err.message), ln = strlen(lerr.message);
    if (sn < h || ln < h || strcmp(s.err.message + sn - h, hint) != 0 ||
        strcmp(lerr.message + ln - h, hint) != 0)
        fail_msg("the load says \"%s\", the split \"%s\"; both should end in \"%s\"",
                 lerr.message, s.err.message, hint);
    assert_int_equal(s.rc, lrc);
    assert_int_equal(s.err.line, lerr.line);
    split_free(&s);
}

/* Another file's header below the first (files joined): the split says
 * what the line is as the load says it, whether it names the columns in
 * other letters, in another order, or others. */
static void a_split_names_a_header_of_another_file_as_a_load_does(void **state)
{
    (void)state;
#define FIRST "id,subject,type,ts\ne1,s1,good,2024-01-01\n"
#define ORDER " (the line is a header of another column order: were files joined? load them " \
              "as separate files)"
#define OTHER " (the line is a header of other columns: were files joined? load them as " \
              "separate files)"
#define SAME " (the line repeats the header: were files joined? remove it)"
    split_hint_as_load(FIRST "ID,Subject,Type,TS\ne2,s1,good,2024-01-01\n", SAME);
    split_hint_as_load(FIRST " id , subject,type,ts \n", SAME);
    split_hint_as_load(FIRST "\"id\",\"subject\",\"type\",\"ts\"\n", SAME);
    split_hint_as_load(FIRST "\xEF\xBB\xBFID,Subject,Type,TS\n",
                       " (the line starts with U+FEFF, a byte-order mark, and repeats the "
                       "header: were files joined? remove the line)");
    split_hint_as_load(FIRST "subject,id,type,ts\ns1,e2,good,2024-01-01\n", ORDER);
    split_hint_as_load(FIRST "id,type,subject,ts\ne2,good,s1,2024-01-01\n", ORDER);
    split_hint_as_load(FIRST "\"subject\",\"id\",\"type\",\"ts\"\n", ORDER);
    split_hint_as_load("id,subject,type,ts\r\ne1,s1,good,2024-01-01\r\nsubject,id,type,ts\r\n",
                       ORDER);
    /* a header of other columns: the field count is what both say */
    const char *count[] = {
        FIRST "id,subject,type,ts,qty\ne2,s1,good,2024-01-01,1\n",
        FIRST "id,subject,type,ts,x,y\n",
        "id,subject,type,ts,qty\ne1,s1,good,2024-01-01,1\nid,subject,type,ts\n",
        FIRST "\xEF\xBB\xBFid,subject,type,ts,qty\n",
    };
    for (size_t i = 0; i < sizeof(count) / sizeof(count[0]); i++) {
        civic_error e = split_as_load(count[i], strlen(count[i]));
        if (!strstr(e.message, i == 3 ? " (the line starts with U+FEFF and is a header of "
                                        "other columns: were files joined? load them as "
                                        "separate files)" : OTHER))
            fail_msg("%s", e.message);
    }
    /* a quoted name holding a comma is one column, as the header reads it */
    split_hint_as_load("id,subject,type,ts,\"a,b\"\ne1,s1,good,2024-01-01,x\n"
                       "ID,SUBJECT,TYPE,TS,\"a,b\"\ne2,s1,good,2024-01-01,x\n", SAME);
    /* under version-2 rules a column of act in other letters is act */
    civic_error e = v2_split_as_load("id,subject,type,ts,act\ne1,s1,good,2024-01-01,a\n"
                                     "id,subject,type,ts,ACT,x\n", 0);
    assert_non_null(strstr(e.message, OTHER));
#undef FIRST
#undef ORDER
#undef OTHER
#undef SAME
}

/* A header that is not CSV with commas (an export separated by ';' or
 * tabs, one a spreadsheet's "sep=X" line opens, one written with
 * full-width commas): the split's error says what it is, as the load's. */
static void a_split_says_what_a_header_of_another_separator_is(void **state)
{
    (void)state;
    static const char *const text[][2] = {
        { "id;subject;type;ts\ne1;s1;good;2024-01-01\n",
          " (the fields are separated by ';': save the export as CSV with commas)" },
        { "\n\nID; Subject ;Type;Date\n", " (the fields are separated by ';'" },
        { "id\tsubject\ttype\tts\ne1\ts1\tgood\t2024-01-01\n",
          " (the fields are separated by tabs: save the export as CSV with commas)" },
        { "sep=;\nid;subject;type;ts\n", " (a spreadsheet's 'sep=;' line: the fields are "
          "separated by ';'; save the export as CSV with commas)" },
        { "\xEF\xBB\xBF\"sep=;\"\nid;subject;type;ts\n", " (a spreadsheet's 'sep=;' line" },
        { "sep=,\nid,subject,type,ts\ne1,s1,good,2024-01-01\n",
          " (a spreadsheet's 'sep=,' line: delete line 1)" },
        { "\n\"sep=,\"\nid,subject,type,ts\n", " (a spreadsheet's 'sep=,' line: delete line 2)" },
        { "sep=\t\nid\tsubject\ttype\tts\n", " (a spreadsheet's 'sep=' line of a tab" },
        { "sep=\xC3\xA9\nid\xC3\xA9subject\n", " (a spreadsheet's 'sep=\xC3\xA9' line: the fields are "
          "separated by '\xC3\xA9'; save the export as CSV with commas)" },
        { "sep=\nid;subject;type;ts\n", " (a spreadsheet's 'sep=' line that names no "
          "separator: save the export as CSV with commas)" },
        { "id\xEF\xBC\x8Csubject\xEF\xBC\x8Ctype\xEF\xBC\x8Cts\n",
          " (it uses the full-width comma '\xEF\xBC\x8C'; the separator is ',')" },
        /* a header that fails as CSV before its names are looked at */
        { "\"id\";\"subject\";\"type\";\"ts\"\n\"e1\";\"s1\";\"good\";\"2024-01-01\"\n",
          "line 1, column 5: unexpected character after a closing quote (the fields are "
          "separated by ';': save the export as CSV with commas)" },
        { "\"id\"\t\"subject\"\t\"type\"\t\"ts\"\n", " (the fields are separated by tabs" },
        /* a line of blanks only before the header, or after it */
        { " \t\r\nid,subject,type,ts\n", "line 1: the header has no 'id', 'subject', 'type' or "
          "'ts' column (required: id, subject, type, ts) (line 1 holds blanks only: delete it, "
          "the header comes first)" },
        { "id,subject,type,ts\ne1,s1,good,2024-01-01\n  \n",
          "line 3: expected 4 fields as in the header, found 1 (a line of blanks only: delete it)" },
    };
    for (size_t i = 0; i < sizeof(text) / sizeof(text[0]); i++) {
        civic_error e = split_as_load(text[i][0], strlen(text[i][0]));
        assert_int_equal(e.code, CIVIC_E_SYNTAX);
        if (!strstr(e.message, text[i][1])) fail_msg("%s", e.message);
    }
    /* a title line that holds a ';' is not taken for a separated header */
    const char *title = "Events; March\nid,subject,type,ts\n";
    assert_null(strstr(split_as_load(title, strlen(title)).message, "separated by"));
}

/* A header that lacks several required columns: the split names them all
 * at once, with what the header most likely is or what to rename (one
 * missing too), in the load's words (the load's tests say when each is
 * given). */
static void a_split_names_every_missing_column_as_a_load_does(void **state)
{
    (void)state;
#define NO "line 1: the header has no "
#define REQUIRED " column (required: id, subject, type, ts)"
#define SEMI " (the fields are separated by ';': save the export as CSV with commas)"
    static const char *const text[][2] = {
        { "subject,type,ts\ne1,good,2024-01-01\n", NO "'id'" REQUIRED },
        { "Event ID,subject,type,ts\n", NO "'id'" REQUIRED "; rename 'Event ID' to 'id'" },
        { "subject,ts\n", NO "'id' or 'type'" REQUIRED },
        { "qty,subject\n", NO "'id', 'type' or 'ts'" REQUIRED },
        { "x,y\n", NO "'id', 'subject', 'type' or 'ts'" REQUIRED },
        { "id;subject;x,type,ts\n", NO "'id' or 'subject'" REQUIRED SEMI },
        { "id;subject;type,ts\n", NO "'id', 'subject' or 'type'" REQUIRED SEMI },
        { "id;subject;type;ts\n", NO "'id', 'subject', 'type' or 'ts'" REQUIRED SEMI },
        { "\n\"sep=,\"\nid,subject,type,ts\n", "line 2: the header has no 'id', 'subject', "
          "'type' or 'ts'" REQUIRED " (a spreadsheet's 'sep=,' line: delete line 2)" },
        { "Event ID,Resident,Event Type,Date\ne1,s1,good,2024-01-01\n", NO "'id', 'subject', "
          "'type' or 'ts'" REQUIRED "; rename 'Event ID' to 'id', 'Resident' to 'subject', "
          "'Event Type' to 'type' and 'Date' to 'ts'" },
        { "event_id,note,resident-id,member,type,TIMESTAMP,time\r\n", NO "'id', 'subject' or "
          "'ts'" REQUIRED "; rename 'event_id' to 'id', 'resident-id' to 'subject' and "
          "'TIMESTAMP' to 'ts'" },
        { "\xEF\xBB\xBF\"eventid\", Subject_ID ,type,ts\n", NO "'id' or 'subject'" REQUIRED
          "; rename 'eventid' to 'id' and 'Subject_ID' to 'subject'" },
        { "Event ID2,Residents,Date.,type\n", NO "'id', 'subject' or 'ts'" REQUIRED },
        { "id;subject;x,Event ID,Resident,ts\n", NO "'id', 'subject' or 'type'" REQUIRED SEMI },
        { "\"a\nb\",Event ID,Resident,type,ts\n", NO "'id' or 'subject'" REQUIRED " (the quoted "
          "field opened at line 1, column 1 holds line breaks: lines 1 to 2 were read as one "
          "record)" },
        /* 255 bytes with what to rename; 256 would be cut: left out */
        { "Event_________________ID,Resident----------------,Event               Type,"
          "Date________________\n", NO "'id', 'subject', 'type' or 'ts'" REQUIRED "; rename "
          "'Event_________________ID' to 'id', 'Resident----------------' to 'subject', "
          "'Event               Type' to 'type' and 'Date________________' to 'ts'" },
        { "Event_________________ID,Resident----------------,Event               Type,"
          "Date_________________\n", NO "'id', 'subject', 'type' or 'ts'" REQUIRED },
    };
    for (size_t i = 0; i < sizeof(text) / sizeof(text[0]); i++) {
        civic_error e = split_as_load(text[i][0], strlen(text[i][0]));
        assert_int_equal(e.code, CIVIC_E_SYNTAX);
        assert_string_equal(e.message, text[i][1]);
    }
    /* a header given apart: the same words after its own name, but no
     * hint of a line it does not hold (as for one header) */
    civic_split_options o = CIVIC_SPLIT_OPTIONS_INIT;
    o.parts = 2;
    static const char *const given[][2] = {
        { "Event ID,Resident,type,ts\n", "the given header: the header has no 'id' or "
          "'subject'" REQUIRED "; rename 'Event ID' to 'id' and 'Resident' to 'subject'" },
        { "id;subject;type;ts", "the given header: the header has no 'id', 'subject', 'type' or "
          "'ts'" REQUIRED },
        { "subject,type,ts", "the given header: the header has no 'id'" REQUIRED },
    };
    for (size_t i = 0; i < sizeof(given) / sizeof(given[0]); i++) {
        o.header = given[i][0];
        o.header_len = strlen(o.header);
        split_out s = split_opts("e1,s1,good,2024-01-01\n", 22, &o);
        assert_int_equal(s.rc, CIVIC_E_SYNTAX);
        assert_int_equal(s.err.line, 0);
        assert_string_equal(s.err.message, given[i][1]);
        split_free(&s);
    }
#undef NO
#undef REQUIRED
#undef SEMI
}

/* A CSV line that holds NUL bytes and has not the header's field count (a
 * log whose tail a crash zero-filled): named by its NULs, as a load names
 * it, not by its count alone. */
static void a_split_names_a_line_of_nul_bytes_as_a_load_does(void **state)
{
    (void)state;
    static const char tail[] = "id,subject,type,ts\ne1,s1,good,2024-01-01\n\0\0\0\0\0\0\0\0\0\0";
    static const char crlf[] = "id,subject,type,ts\r\ne1,s1,good,2024-01-01\r\n\0\0\0\0\r\n";
    static const char mid[] = "id,subject,type,ts\ne1,s1,good,2024-01-01\ne2,s\0\0,x\n";
    static const char more[] = "id,subject,type,ts\ne1,s1,good,2024-01-01\ne2,s1,good,"
                               "2024-01-01,\0\n";
    static const char bom[] = "id,subject,type,ts\ne1,s1,good,2024-01-01\n\xEF\xBB\xBF\0\0\0\n";
    static const struct {
        const char *text;
        size_t len;
        const char *says;
    } nul[] = {
        { tail, sizeof(tail) - 1, "line 3: 10 NUL bytes (a file cut short by a crash may end in "
                                  "them)" },
        { crlf, sizeof(crlf) - 1, "line 3: 4 NUL bytes (a file cut short by a crash may end in "
                                  "them)" },
        { mid, sizeof(mid) - 1, "line 3: expected 4 fields as in the header, found 3, and a "
                                "NUL byte at column 5" },
        { more, sizeof(more) - 1, "line 3: expected 4 fields as in the header, found 5, and a "
                                  "NUL byte at column 23" },
        { bom, sizeof(bom) - 1, "line 3, column 4: a NUL byte (expected 4 fields as in the "
                                "header, found 1) (the line starts with U+FEFF, a byte-order "
                                "mark: were files joined? remove it)" },
    };
    for (size_t i = 0; i < sizeof(nul) / sizeof(nul[0]); i++) {
        civic_error e = split_as_load(nul[i].text, nul[i].len);
        assert_int_equal(e.code, CIVIC_E_SYNTAX);
        assert_string_equal(e.message, nul[i].says);
    }
    /* JSON Lines alike */
    static const char json[] = "{\"id\":\"j1\",\"subject\":\"s\",\"type\":\"good\",\"ts\":1}\n"
                               "{\"id\":\"j2\",\"subject\":\"s\",\"type\":\"good\",\"ts\":2}\n"
                               "\0\0\0\0\0\0\0\0\0\0\0\0\r\n";
    assert_string_equal(split_as_load(json, sizeof(json) - 1).message,
                        "line 3, column 1: 12 NUL bytes (a file cut short by a crash may end in "
                        "them)");
    /* a quoted record is not looked into for NULs, in the load as in the split */
    static const char quoted[] = "id,subject,type,ts\ne1,s1,good,2024-01-01\n\"e2\",\0\n";
    assert_string_equal(split_as_load(quoted, sizeof(quoted) - 1).message,
                        "line 3: expected 4 fields as in the header, found 2");
    /* a line cut short mid-value, the NULs of the tail ending its value and
     * the input: said as the load says it */
    static const char ts[] = "id,subject,type,ts\ne1,s1,good,2024-01-01\ne2,s1,good,"
                             "2024-01-10T10:00:00\0\0\0";
    char key[300]; /* a key of 129 bytes and more: the split reads no key's text */
    size_t key_len = (size_t)snprintf(key, sizeof(key), "id,type,ts,subject\ne1,good,2024-01-01,"
                                      "s1\ne2,good,2024-01-01,s");
    memset(key + key_len, 0, 200);
    key_len += 200;
    static const char jstr[] = "{\"id\":\"j1\",\"subject\":\"s\",\"type\":\"good\",\"ts\":1}\n"
                               "{\"id\":\"j2\",\"subject\":\"s\",\"type\":\"good\",\"ts\":\"20\0\0";
    static const char jnum[] = "{\"id\":\"j1\",\"subject\":\"s\",\"type\":\"good\",\"ts\":1}\n"
                               "{\"id\":\"j2\",\"subject\":\"s\",\"type\":\"good\",\"ts\":17\0\0";
    const struct {
        const char *text;
        size_t len;
        const char *says;
    } cut[] = {
        { ts, sizeof(ts) - 1, "line 3, column 12: field 'ts': bad UTC offset (expected Z or "
                              "+HH:MM) \"2024-01-10T10:00:00\\x00\\x00\\x00\" (3 NUL bytes to "
                              "the end of the input: a file cut short by a crash may end in "
                              "them)" },
        { key, key_len, "line 3, column 20: field 'subject': longer than 128 bytes \"s\\x00\\x00"
                        "\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00...\" (200 "
                        "NUL bytes to the end of the input: a file cut short by a crash may end "
                        "in them)" },
        { jstr, sizeof(jstr) - 1, "line 2, column 48: control character in a string (2 NUL "
                                  "bytes to the end of the input: a file cut short by a crash "
                                  "may end in them)" },
        { jnum, sizeof(jnum) - 1, "line 2, column 45: field 'ts': not a JSON number (2 NUL "
                                  "bytes to the end of the input: a file cut short by a crash "
                                  "may end in them)" },
    };
    for (size_t i = 0; i < sizeof(cut) / sizeof(cut[0]); i++)
        assert_string_equal(split_as_load(cut[i].text, cut[i].len).message, cut[i].says);
}

/* A ts a database dump wrote as NULL or \N, or in a locale's form: the
 * split, which reads the ts, says what to write, as the load does (CSV,
 * quoted or not, and JSON Lines). */
static void a_split_says_what_to_write_for_a_ts_in_another_form(void **state)
{
    (void)state;
    static const struct {
        const char *ts, *hint;
    } ts[] = {
        { "NULL", " (a database's NULL? an empty field is absent, and a ts is required)" },
        { "null", " (a database's NULL? an empty field is absent, and a ts is required)" },
        { "\\N", " (a database's NULL? an empty field is absent, and a ts is required)" },
        { "01.12.2026", " (day.month.year? write 2026-12-01)" },
        { "06.12.2026 09:30", " (day.month.year? write 2026-12-06T09:30:00)" },
        { "12/06/2026", " (day/month/year or month/day/year? write YYYY-MM-DD)" },
        { "2026-12-01 09:00", " (the seconds are required: write 2026-12-01T09:00:00)" },
        { "2026-12-01T09:00+01:00",
          " (the seconds are required: write 2026-12-01T09:00:00+01:00)" },
        { "2026-12-01T09:00:00Z ", " (it ends in a blank: write 2026-12-01T09:00:00Z)" },
        { "2026-12-01T09:00:00+0100", " (write +01:00)" },
        { "2026-12-1 9:00 +0100", " (write 2026-12-01T09:00:00+01:00)" },
        { "2026-12-01T09:00:00 Z", " (write 2026-12-01T09:00:00Z)" },
        { "2026/12/01", " (year/month/day? write 2026-12-01)" },
        { "45000.375", " (a spreadsheet's serial date and time? write 2023-03-15T09:00:00)" },
        { "2026\xE5\xB9\xB4" "12\xE6\x9C\x88" "1\xE6\x97\xA5",
          " (a date written with \xE5\xB9\xB4, \xE6\x9C\x88 and \xE6\x97\xA5? write 2026-12-01)" },
    };
    for (size_t i = 0; i < sizeof(ts) / sizeof(ts[0]); i++) {
        char text[3][256];
        char json[64]; /* the ts as a JSON string: a backslash escaped */
        size_t k = 0;
        for (const char *q = ts[i].ts; *q; q++) {
            if (*q == '\\') json[k++] = '\\';
            json[k++] = *q;
        }
        json[k] = '\0';
        snprintf(text[0], sizeof(text[0]), "id,subject,type,ts\ne1,s1,good,2024-01-01\n"
                 "e2,s1,good,%s\n", ts[i].ts);
        snprintf(text[1], sizeof(text[1]), "id,subject,type,ts\n\"e1\",\"s1\",\"good\",\"%s\"\n",
                 ts[i].ts);
        snprintf(text[2], sizeof(text[2]), "{\"id\":\"j1\",\"subject\":\"s\",\"type\":\"good\","
                 "\"ts\":\"%s\"}\n", json);
        for (int t = 0; t < 3; t++) {
            civic_error e = split_as_load(text[t], strlen(text[t]));
            assert_int_equal(e.code, CIVIC_E_EVENT);
            size_t m = strlen(e.message), h = strlen(ts[i].hint);
            if (m < h || strcmp(e.message + m - h, ts[i].hint) != 0) fail_msg("%s", e.message);
        }
    }
    /* a decimal comma before the fraction of a second, quoted in CSV */
    static const char comma[] = "id,subject,type,ts\ne1,s1,good,\"2026-12-01T09:00:00,5\"\n";
    civic_error ce = split_as_load(comma, sizeof(comma) - 1);
    assert_non_null(strstr(ce.message, " (a decimal comma? write 2026-12-01T09:00:00.5)"));
    /* a ts that holds a look-alike character (a full-width dash, a
     * no-break space): named as the load names it */
    const char *alike[] = {
        "id,subject,type,ts\ne1,s1,good,2026\xEF\xBC\x8D" "01\xEF\xBC\x8D" "05\n",
        "id,subject,type,ts\ne1,s1,good,\"2026-01-05\xC2\xA0" "10:00:00\"\n",
        "{\"id\":\"j1\",\"subject\":\"s\",\"type\":\"good\",\"ts\":\"\xEF\xBC\x92" "026-01-05\"}\n",
    };
    for (size_t i = 0; i < sizeof(alike) / sizeof(alike[0]); i++) {
        civic_error e = split_as_load(alike[i], strlen(alike[i]));
        assert_int_equal(e.code, CIVIC_E_EVENT);
        if (!strstr(e.message, "field 'ts': bad timestamp \"") ||
            !strstr(e.message, "; expected YYYY-MM-DD, YYYY-MM-DDTHH:MM:SS[Z|+HH:MM] or Unix "
                               "seconds)"))
            fail_msg("%s", e.message);
    }
    /* nor where what it would write is still no ts (a day or hour out of
     * range, a bad offset): no hint, as in the load */
    static const char *const still_bad[] = {
        "31.02.2024", "2024-01-01T10:00+2500", "2024-01-01T10:00-",
    };
    for (size_t i = 0; i < sizeof(still_bad) / sizeof(still_bad[0]); i++) {
        char text[128], end[64];
        snprintf(text, sizeof(text), "id,subject,type,ts\ne1,s1,good,%s\n", still_bad[i]);
        snprintf(end, sizeof(end), "\"%s\"", still_bad[i]);
        civic_error e = split_as_load(text, strlen(text));
        size_t m = strlen(e.message), h = strlen(end);
        if (m < h || strcmp(e.message + m - h, end) != 0) fail_msg("%s", e.message);
    }
    /* a slip besides a day or hour out of range: both told, as in the load */
    {
        const char *text = "id,subject,type,ts\ne1,s1,good,2024-02-30 10:00\n";
        const char *end = "\"2024-02-30 10:00\" (the seconds are required; also day out of "
                          "range for the month)";
        civic_error e = split_as_load(text, strlen(text));
        size_t m = strlen(e.message), h = strlen(end);
        if (m < h || strcmp(e.message + m - h, end) != 0) fail_msg("%s", e.message);
    }
    /* a JSON string, which the split reads whole, of Latin-1 text: the
     * load's hint; UTF-8 cut short at its end: none */
    const char *latin1 = "{\"id\":\"j1\",\"subject\":\"M\xfcller\",\"type\":\"good\",\"ts\":1}\n";
    assert_string_equal(split_as_load(latin1, strlen(latin1)).message,
                        "line 1, column 24: invalid UTF-8 in a string (Latin-1 text? convert it "
                        "with iconv -f WINDOWS-1252 -t UTF-8)");
    const char *cut = "{\"id\":\"j1\",\"subject\":\"Jos\xc3\",\"type\":\"good\",\"ts\":1}\n";
    assert_string_equal(split_as_load(cut, strlen(cut)).message,
                        "line 1, column 26: invalid UTF-8 in a string");
    /* a ts in no such form: no hint, in the split as in the load */
    const char *plain = "id,subject,type,ts\ne1,s1,good,TRUE\n";
    assert_string_equal(split_as_load(plain, strlen(plain)).message,
                        "line 2, column 12: field 'ts': bad timestamp (expected YYYY-MM-DD, "
                        "YYYY-MM-DDTHH:MM:SS[Z|+HH:MM] or Unix seconds) \"TRUE\"");
}

/* What the split does not read or check, it does not refuse, so it gives
 * no hint of it (docs/events.md lists them): a qty in another form, Latin-1
 * text in an id, subject or group.  The load of the part gives the hint. */
static void what_the_split_does_not_check_the_load_of_its_part_names(void **state)
{
    (void)state;
    static const char *const text[][2] = {
        { "id,subject,type,ts,qty\ne1,s1,good,2024-01-01,NULL\n",
          " (a database's NULL? an empty field is absent: a qty of 1)" },
        { "id,subject,type,ts,qty\ne1,s1,good,2024-01-01,\"250,5\"\n",
          " (a decimal comma? write 250.5)" },
        { "id,subject,type,ts,qty\ne1,s1,good,2024-01-01,TRUE\n",
          " (a spreadsheet's TRUE or FALSE? a qty is a number: leave it empty for 1)" },
        { "{\"id\":\"j1\",\"subject\":\"s\",\"type\":\"good\",\"ts\":1,\"qty\":\"1 000\"}\n",
          " (a space as thousands separator? write 1000)" },
        { "id,subject,type,ts\ne1,M\xfcller,good,2024-01-01\n",
          " (Latin-1 text? convert it with iconv -f WINDOWS-1252 -t UTF-8)" },
        { "id,subject,type,ts\nM\xfcller,s1,good,2024-01-01\n",
          " (Latin-1 text? convert it with iconv -f WINDOWS-1252 -t UTF-8)" },
        { "id,subject,type,ts,group\ne1,s1,good,2024-01-01,K\xf6ln\n",
          " (Latin-1 text? convert it with iconv -f WINDOWS-1252 -t UTF-8)" },
    };
    for (size_t i = 0; i < sizeof(text) / sizeof(text[0]); i++) {
        split_out s = split_text(text[i][0], 1);
        assert_int_equal(s.rc, CIVIC_OK);
        char *part = part_text(&s, 0);
        civic_engine *e = engine_from(SPLIT_SCHEME);
        civic_error lerr = CIVIC_ERROR_INIT;
        assert_int_equal(civic_engine_load(e, part, strlen(part), NULL, NULL, &lerr),
                         CIVIC_E_EVENT);
        size_t m = strlen(lerr.message), h = strlen(text[i][1]);
        if (m < h || strcmp(lerr.message + m - h, text[i][1]) != 0) fail_msg("%s", lerr.message);
        civic_engine_free(e);
        free(part);
        split_free(&s);
    }
}

static void a_header_given_apart_reads_a_later_block(void **state)
{
    (void)state;
    civic_split_options o = CIVIC_SPLIT_OPTIONS_INIT;
    o.parts = 2;
    o.header = "\xEF\xBB\xBFsubject,ts,id,type\r\n";
    o.header_len = strlen(o.header);
    const char *block = "s1,2024-01-01,e7,x\r\ns2,2024-01-02,e8,x";
    split_out s = split_opts(block, strlen(block), &o);
    assert_int_equal(s.rc, CIVIC_OK);
    assert_int_equal(s.rep.events, 2);
    assert_int_equal(s.rep.lines, 2);
    char *p = part_text(&s, part_of("s2", 2));
    assert_non_null(strstr(p, "subject,ts,id,type\r\n"));
    assert_non_null(strstr(p, "s2,2024-01-02,e8,x\n"));
    assert_int_equal(p[0], 's'); /* no BOM in the parts */
    free(p);
    split_free(&s);
    /* a later block that happens to start with the bytes of a BOM: they
     * are part of its first record there, as in a load of the whole file */
    o.header = "id,subject,type,ts\n";
    o.header_len = strlen(o.header);
    block = "\xEF\xBB\xBF" "e2,s1,x,1\ne2,s1,x,2\n";
    s = split_opts(block, strlen(block), &o);
    assert_int_equal(s.rc, CIVIC_OK);
    assert_int_equal(s.rep.events, 2);
    p = part_text(&s, part_of("s1", 2));
    assert_string_equal(p, "id,subject,type,ts\n\xEF\xBB\xBF" "e2,s1,x,1\ne2,s1,x,2\n");
    free(p);
    split_free(&s);
    /* AUTO with a header means CSV, even if the block starts with '{' */
    o.header = "id,subject,type,ts,group";
    o.header_len = strlen(o.header);
    s = split_opts("{e1},s1,x,1,g\n", 14, &o);
    assert_int_equal(s.rc, CIVIC_OK);
    assert_int_equal(s.rep.format, CIVIC_FORMAT_CSV);
    split_free(&s);
    /* errors in the block count its own lines */
    s = split_opts("e1,s1,x,1,g\ne2,s1,x,,g\n", 23, &o);
    assert_int_equal(s.rc, CIVIC_E_EVENT);
    assert_int_equal(s.err.line, 2);
    split_free(&s);
    /* a header must be one record */
    o.header = "id,subject,type,ts\ne1,s1,x,1\n";
    o.header_len = strlen(o.header);
    s = split_opts("", 0, &o);
    assert_int_equal(s.rc, CIVIC_E_INVALID);
    split_free(&s);
    o.header = "\r\n";
    o.header_len = 2;
    s = split_opts("", 0, &o);
    assert_int_equal(s.rc, CIVIC_E_INVALID);
    split_free(&s);
    o.header = "id,subject,type";
    o.header_len = strlen(o.header);
    s = split_opts("", 0, &o);
    assert_int_equal(s.rc, CIVIC_E_SYNTAX);
    assert_int_equal(s.err.line, 0);
    split_free(&s);
    /* an error on a later line of a header a quoted name runs over is the
     * given header's still (line 0), its line in the message; and data that
     * ends in a NUL byte gets no hint for an error of the header */
    o.header = "id,\"sub\nject\",type,ts,x\"y\n";
    o.header_len = strlen(o.header);
    s = split_opts("e1,s1,x,1,a\n", 13, &o);
    assert_int_equal(s.rc, CIVIC_E_SYNTAX);
    assert_int_equal(s.err.line, 0);
    assert_string_equal(s.err.message, "the given header, line 2, column 16: a quote inside an "
                                       "unquoted field (quote the whole field)");
    split_free(&s);
}

/* civic_split with out of 64 bytes and 4 part ends: the code, and the
 * message, which names the one argument at fault and its value. */
static void split_refuses(const char *data, size_t len, const civic_split_options *o,
                          char *out, size_t out_cap, uint64_t *end, const char *want)
{
    civic_error err = CIVIC_ERROR_INIT;
    assert_int_equal(civic_split(data, len, o, out, out_cap, end, NULL, NULL, &err),
                     CIVIC_E_INVALID);
    assert_int_equal(err.code, CIVIC_E_INVALID);
    assert_string_equal(err.message, want);
}

/* Each bad argument is named alone, with its value (the message listed
 * every possible cause: "a NULL buffer, parts outside 1..65536, ..."). */
static void a_bad_argument_is_named_with_its_value(void **state)
{
    (void)state;
    const char *log = "id,subject,type,ts\n";
    char out[64];
    uint64_t end[4];
    civic_split_options o = CIVIC_SPLIT_OPTIONS_INIT;
    o.parts = 4;
    civic_split_options bad = o;
    bad.parts = 0;
    split_refuses(log, 5, &bad, out, sizeof(out), end, "opts->parts is 0: it must be 1 to 65536");
    bad.parts = CIVIC_SPLIT_PARTS_MAX + 1;
    split_refuses(log, 5, &bad, out, sizeof(out), end,
                  "opts->parts is 65537: it must be 1 to 65536");
    bad = o;
    bad.utc_offset = 86400;
    split_refuses(log, 5, &bad, out, sizeof(out), end,
                  "opts->utc_offset is 86400 seconds: it must be within a day (-86399 to 86399)");
    bad.utc_offset = -86400;
    split_refuses(log, 5, &bad, out, sizeof(out), end,
                  "opts->utc_offset is -86400 seconds: it must be within a day (-86399 to 86399)");
    split_refuses(log, 5, &o, out, sizeof(out), NULL,
                  "part_end is NULL, but out is given: part_end takes opts->parts offsets");
    split_refuses(NULL, 5, &o, out, sizeof(out), end, "data is NULL with a length of 5");
    split_refuses(log, 5, &o, NULL, 10, end,
                  "out is NULL with an out_cap of 10 (a NULL out asks for the size alone, "
                  "with out_cap 0)");
    bad = o;
    bad.format = 9;
    split_refuses(log, 5, &bad, out, sizeof(out), end,
                  "opts->format is 9: not CIVIC_FORMAT_AUTO (0), CIVIC_FORMAT_CSV (1) or "
                  "CIVIC_FORMAT_JSONL (2)");
    bad = o;
    bad.flags = 0x81;
    split_refuses(log, 5, &bad, out, sizeof(out), end,
                  "opts->flags 0x81 has unknown bits 0x80 (the flags are CIVIC_SPLIT_KEY_ID and "
                  "CIVIC_SPLIT_V2)");
    bad.flags = CIVIC_SPLIT_KEY_ID | CIVIC_SPLIT_V2 | 0x4;
    split_refuses(log, 5, &bad, out, sizeof(out), end,
                  "opts->flags 0x7 has unknown bits 0x4 (the flags are CIVIC_SPLIT_KEY_ID and "
                  "CIVIC_SPLIT_V2)");
    bad = o;
    bad.reserved = 3;
    split_refuses(log, 5, &bad, out, sizeof(out), end, "opts->reserved is 3: it must be 0");
    bad = o;
    bad.header_len = 4;
    split_refuses(log, 5, &bad, out, sizeof(out), end,
                  "opts->header is NULL with a header_len of 4");
    split_refuses(log, 5, NULL, out, sizeof(out), end, "opts is NULL");
}

static void arguments_and_buffer_sizes_are_checked(void **state)
{
    (void)state;
    const char *log = "id,subject,type,ts\ne1,s1,x,1\n";
    civic_split_options o = CIVIC_SPLIT_OPTIONS_INIT;
    civic_split_report rep = CIVIC_SPLIT_REPORT_INIT;
    civic_error err = CIVIC_ERROR_INIT;
    char out[256];
    uint64_t end[4];
    o.parts = 4;
    /* the size: len + 1 + parts x (header + 1) */
    assert_int_equal(civic_split(log, strlen(log), &o, NULL, 0, NULL, NULL, &rep, &err), CIVIC_OK);
    assert_int_equal(rep.bytes_max, strlen(log) + 1 + 4 * (19 + 1));
    assert_int_equal(rep.lines, 1);
    assert_int_equal(civic_split(log, strlen(log), &o, out, (size_t)rep.bytes_max - 1, end, NULL,
                                 &rep, &err), CIVIC_E_LIMIT);
    assert_int_equal(civic_split(log, strlen(log), &o, out, sizeof(out), end, NULL, &rep, &err),
                     CIVIC_OK);
    assert_int_equal(rep.bytes, 4 * 19 + 10);
    /* JSON Lines: len + 1 */
    assert_int_equal(civic_split("{}", 2, &o, NULL, 0, NULL, NULL, &rep, NULL), CIVIC_OK);
    assert_int_equal(rep.bytes_max, 3);
    /* bad arguments */
    assert_int_equal(civic_split(log, 5, NULL, out, sizeof(out), end, NULL, NULL, NULL),
                     CIVIC_E_INVALID);
    assert_int_equal(civic_split(NULL, 5, &o, out, sizeof(out), end, NULL, NULL, NULL),
                     CIVIC_E_INVALID);
    assert_int_equal(civic_split(log, 5, &o, out, sizeof(out), NULL, NULL, NULL, NULL),
                     CIVIC_E_INVALID);
    assert_int_equal(civic_split(log, 5, &o, NULL, 10, end, NULL, NULL, NULL), CIVIC_E_INVALID);
    civic_split_options bad = o;
    bad.parts = 0;
    assert_int_equal(civic_split(log, 5, &bad, out, sizeof(out), end, NULL, NULL, NULL),
                     CIVIC_E_INVALID);
    bad.parts = CIVIC_SPLIT_PARTS_MAX + 1;
    assert_int_equal(civic_split(log, 5, &bad, out, sizeof(out), end, NULL, NULL, NULL),
                     CIVIC_E_INVALID);
    bad = o;
    bad.flags = 0x80;
    assert_int_equal(civic_split(log, 5, &bad, out, sizeof(out), end, NULL, NULL, NULL),
                     CIVIC_E_INVALID);
    bad = o;
    bad.utc_offset = 86400;
    assert_int_equal(civic_split(log, 5, &bad, out, sizeof(out), end, NULL, NULL, NULL),
                     CIVIC_E_INVALID);
    bad = o;
    bad.format = CIVIC_FORMAT_JSONL;
    bad.header = "id,subject,type,ts";
    bad.header_len = 18;
    assert_int_equal(civic_split(log, 5, &bad, out, sizeof(out), end, NULL, NULL, NULL),
                     CIVIC_E_INVALID);
    bad = o;
    bad.version = 0;
    assert_int_equal(civic_split(log, 5, &bad, out, sizeof(out), end, NULL, NULL, &err),
                     CIVIC_E_VERSION);
    bad.version = CIVIC_SPLIT_OPTIONS_VERSION + 1;
    assert_int_equal(civic_split(log, 5, &bad, out, sizeof(out), end, NULL, NULL, NULL),
                     CIVIC_E_VERSION);
    rep.version = 0;
    assert_int_equal(civic_split(log, 5, &o, out, sizeof(out), end, NULL, &rep, NULL),
                     CIVIC_E_VERSION);
    /* the limits of parts */
    o.parts = CIVIC_SPLIT_PARTS_MAX;
    rep.version = CIVIC_SPLIT_REPORT_VERSION;
    assert_int_equal(civic_split(log, strlen(log), &o, NULL, 0, NULL, NULL, &rep, NULL), CIVIC_OK);
    char *huge = malloc(rep.bytes_max);
    uint64_t *ends = calloc(CIVIC_SPLIT_PARTS_MAX, sizeof(uint64_t));
    assert_int_equal(civic_split(log, strlen(log), &o, huge, rep.bytes_max, ends, NULL, &rep,
                                 NULL), CIVIC_OK);
    assert_int_equal(ends[CIVIC_SPLIT_PARTS_MAX - 1], rep.bytes);
    assert_int_equal(rep.bytes, (uint64_t)CIVIC_SPLIT_PARTS_MAX * 19 + 10);
    free(huge);
    free(ends);
}

static void records_and_columns_at_their_limits(void **state)
{
    (void)state;
    /* 1,024 columns pass, 1,025 do not; a lone CR in the header is refused */
    size_t cap = 16384;
    char *header = malloc(cap), *line = malloc(cap), *log = malloc(2 * cap + 16);
    assert_true(header && line && log);
    size_t n = 0, m = 0;
    n += (size_t)snprintf(header + n, cap - n, "id,subject,type,ts");
    m += (size_t)snprintf(line + m, cap - m, "e1,s1,x,1");
    for (int c = 4; c < 1024; c++) {
        n += (size_t)snprintf(header + n, cap - n, ",c%d", c);
        m += (size_t)snprintf(line + m, cap - m, ",");
    }
    snprintf(log, 2 * cap + 16, "%s\n%s\n", header, line);
    split_out s = split_text(log, 2);
    assert_int_equal(s.rc, CIVIC_OK);
    assert_int_equal(s.rep.events, 1);
    split_free(&s);
    snprintf(log, 2 * cap + 16, "%s,c1024\n%s,\n", header, line);
    expect_error(log, CIVIC_E_LIMIT, 1, 0, "more than 1024 columns");
    free(header);
    free(line);
    free(log);
    expect_error("id,subject,type,ts,qty\re1,s1,x,1,2\r", CIVIC_E_SYNTAX, 1, 23,
                 "carriage return inside the header");
    /* a record of 1 MiB passes, one byte more does not */
    size_t big = CIVIC_LINE_BYTES_MAX;
    char *rec = malloc(big + 64);
    int k = snprintf(rec, big + 64, "id,subject,type,ts,pad\ne1,s1,x,1,");
    size_t head = strlen("id,subject,type,ts,pad\n");
    size_t body = big - (size_t)(k - (int)head);
    memset(rec + k, 'p', body);
    rec[k + (int)body] = '\n';
    civic_split_options o = CIVIC_SPLIT_OPTIONS_INIT;
    o.parts = 2;
    s = split_opts(rec, (size_t)k + body + 1, &o);
    assert_int_equal(s.rc, CIVIC_OK);
    split_free(&s);
    rec[k + (int)body] = 'p';
    rec[k + (int)body + 1] = '\n';
    s = split_opts(rec, (size_t)k + body + 2, &o);
    assert_int_equal(s.rc, CIVIC_E_LIMIT);
    assert_int_equal(s.err.line, 2);
    split_free(&s);
    free(rec);
}

static void a_failed_allocation_fails_cleanly(void **state)
{
    (void)state;
    char *csv = make_log(3000, 60, false), *jsonl = make_log(300, 60, true);
    const char *logs[2] = { csv, jsonl };
    for (int i = 0; i < 2; i++) {
        alloc_fail af;
        alloc_fail_init(&af);
        civic_split_options o = CIVIC_SPLIT_OPTIONS_INIT;
        o.parts = 3;
        o.allocator = &af.alc;
        split_out want = split_opts(logs[i], strlen(logs[i]), &o);
        assert_int_equal(want.rc, CIVIC_OK);
        for (uint64_t n = 1;; n++) {
            alloc_fail_arm(&af, n, n % 2 == 0);
            split_out s = split_opts(logs[i], strlen(logs[i]), &o);
            alloc_fail_disarm(&af);
            assert_int_equal(af.live_blocks, 0);
            assert_int_equal(af.size_mismatches, 0);
            assert_int_equal(af.bad_frees, 0);
            if (s.rc == CIVIC_OK) {
                assert_memory_equal(s.buf, want.buf, want.rep.bytes);
                split_free(&s);
                break;
            }
            assert_int_equal(s.rc, CIVIC_E_NOMEM);
            split_free(&s);
        }
        split_free(&want);
        alloc_fail_destroy(&af);
    }
    free(csv);
    free(jsonl);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_partition_function_is_frozen),
        cmocka_unit_test(every_line_lands_once_in_its_subjects_part_in_order),
        cmocka_unit_test(the_same_input_splits_the_same_way_every_time),
        cmocka_unit_test(one_part_is_the_input_itself),
        cmocka_unit_test(a_buffer_of_only_a_header_gives_parts_of_only_the_header),
        cmocka_unit_test(header_names_match_after_any_blanks),
        cmocka_unit_test(quoted_subjects_are_decoded_before_hashing),
        cmocka_unit_test(json_lines_are_read_with_the_loaders_parser),
        cmocka_unit_test(the_latest_ts_is_the_one_a_load_would_hold),
        cmocka_unit_test(scoring_the_parts_apart_gives_every_subjects_answer),
        cmocka_unit_test(the_key_may_be_the_event_id),
        cmocka_unit_test(bad_input_names_its_line_and_column),
        cmocka_unit_test(a_load_and_a_split_agree_on_what_is_wrong),
        cmocka_unit_test(a_load_and_a_split_agree_on_keys_in_other_letters),
        cmocka_unit_test(a_split_says_what_the_engine_says_of_a_subject_or_ts_key_in_other_letters),
        cmocka_unit_test(a_version_2_split_refuses_a_key_a_version_2_load_refuses),
        cmocka_unit_test(a_line_with_several_bad_fields_may_be_named_by_its_ts),
        cmocka_unit_test(a_split_names_a_header_of_another_file_as_a_load_does),
        cmocka_unit_test(a_split_says_what_a_header_of_another_separator_is),
        cmocka_unit_test(a_split_names_every_missing_column_as_a_load_does),
        cmocka_unit_test(a_split_names_a_line_of_nul_bytes_as_a_load_does),
        cmocka_unit_test(a_split_says_what_to_write_for_a_ts_in_another_form),
        cmocka_unit_test(what_the_split_does_not_check_the_load_of_its_part_names),
        cmocka_unit_test(a_header_given_apart_reads_a_later_block),
        cmocka_unit_test(arguments_and_buffer_sizes_are_checked),
        cmocka_unit_test(a_bad_argument_is_named_with_its_value),
        cmocka_unit_test(records_and_columns_at_their_limits),
        cmocka_unit_test(a_failed_allocation_fails_cleanly),
        cmocka_unit_test(a_log_run_into_one_line_is_refused_as_a_load_does),
        cmocka_unit_test(a_comment_before_a_log_is_named_as_a_load_does),
    };
    return cmocka_run_group_tests_name("split", tests, NULL, NULL);
}
