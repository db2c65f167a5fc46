/*
** test_compat.c -- what libcivic 1.0.0 wrote still opens and means the same:
** a snapshot and a journal made by the 1.0.0 library (tests/fixtures/1.0.0,
** made once with it and committed), a 1.0 journal that 1.1 appends to, and
** the 1.0 built-in scheme kept as examples/data/community-1.0.toml.  The
** expected scores were worked out by hand from the fixture's rules and log
** (written in tests/fixtures/1.0.0/README).
*/
#include "support.h"
#include "../lib/internal.h" /* civic__crc32c: headers made by hand */

#include <sys/stat.h>
#include <unistd.h>

static char *read_file(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char *buf = malloc(1 << 20);
    *n = fread(buf, 1, (1 << 20) - 1, f);
    buf[*n] = '\0';
    fclose(f);
    return buf;
}

static civic_rules *fixture_rules(void)
{
    size_t n;
    char *text = read_file("tests/fixtures/1.0.0/rules.toml", &n);
    civic_rules *r = rules_from(text);
    free(text);
    return r;
}

static void fixture_answers(const civic_engine *e, bool with_dave)
{
    char *csv = subjects_csv(e, when(e, "2024-06-01"));
    const char *want = with_dave ? "alice,d1/s1,975.00,A,-25.00,watch\nbob,,1000.00,A,0.00,\n"
                                   "carol,,1000.00,A,0.00,\ndave,,1005.00,A,5.00,\n"
                                 : "alice,d1/s1,975.00,A,-25.00,watch\nbob,,1000.00,A,0.00,\n"
                                   "carol,,1000.00,A,0.00,\n";
    assert_string_equal(csv, want);
    free(csv);
}

static void a_snapshot_written_by_1_0_0_opens(void **state)
{
    (void)state;
    civic_rules *r = fixture_rules();
    civic_engine *e = NULL;
    civic_error err = CIVIC_ERROR_INIT;
    int rc = civic_engine_open_snapshot(&e, r, NULL, "tests/fixtures/1.0.0/snapshot.civic", &err);
    if (rc != CIVIC_OK) fail_msg("%s", err.message);
    assert_int_equal(civic_engine_event_count(e), 6);
    fixture_answers(e, false);
    assert_int_equal(civic_engine_spec_version(e), 1);
    civic_engine_free(e);
    civic_rules_free(r);
}

/* A copy of the journal 1.0.0 wrote, at a new temporary path (a mkstemp
 * template, filled in). */
static void copy_fixture_journal(char *path)
{
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    size_t n;
    char *bytes = read_file("tests/fixtures/1.0.0/journal.civic", &n);
    assert_int_equal(write(fd, bytes, n), (ssize_t)n);
    close(fd);
    free(bytes);
}

/* Open a copy of the 1.0 journal fixture under r with flags, then again with
 * CIVIC_JOURNAL_RECOVER: each refused (CIVIC_E_CORRUPT) with a message
 * holding every text of want and not absent, nothing loaded, and the file
 * left byte for byte as it was (a sound file has no damage to cut). */
static void journal_refused_untouched(civic_rules *r, const char *fixture, uint32_t flags,
                                      const char *const *want, size_t n_want, const char *absent)
{
    char path[] = "/tmp/civic-compat-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    size_t n;
    char *bytes = read_file(fixture, &n);
    assert_int_equal(write(fd, bytes, n), (ssize_t)n);
    close(fd);
    for (int recover = 0; recover < 2; recover++) {
        civic_engine *e = NULL;
        civic_error err = CIVIC_ERROR_INIT;
        assert_int_equal(civic_engine_new(&e, r, NULL), CIVIC_OK);
        int rc = civic_engine_journal_open(e, path,
                                           CIVIC_SYNC_NONE | flags |
                                               (recover ? CIVIC_JOURNAL_RECOVER : 0u),
                                           NULL, &err);
        assert_int_equal(rc, CIVIC_E_CORRUPT);
        for (size_t i = 0; i < n_want; i++)
            if (!strstr(err.message, want[i])) fail_msg("no \"%s\" in: %s", want[i], err.message);
        assert_null(strstr(err.message, absent));
        assert_int_equal(civic_engine_event_count(e), 0);
        civic_engine_free(e);
        size_t now;
        char *after = read_file(path, &now);
        assert_int_equal(now, n);
        assert_memory_equal(after, bytes, n);
        free(after);
    }
    free(bytes);
    unlink(path);
}

static void a_journal_written_by_1_0_0_replays_and_takes_appends(void **state)
{
    (void)state;
    char path[] = "/tmp/civic-compat-XXXXXX";
    copy_fixture_journal(path);
    civic_rules *r = fixture_rules();
    civic_engine *e = NULL;
    assert_int_equal(civic_engine_new(&e, r, NULL), CIVIC_OK);
    civic_journal_report rep = CIVIC_JOURNAL_REPORT_INIT;
    civic_error err = CIVIC_ERROR_INIT;
    int rc = civic_engine_journal_open(e, path, CIVIC_SYNC_ALWAYS, &rep, &err);
    if (rc != CIVIC_OK) fail_msg("%s", err.message);
    assert_int_equal(rep.batches, 2);
    assert_int_equal(rep.bytes_truncated, 0);
    fixture_answers(e, true);
    /* 1.1 appends an event with a source to the 1.0 journal */
    load_ok(e, "id,subject,type,ts,source\ne6,erin,help,2024-06-01,office\n");
    civic_engine_free(e);
    assert_int_equal(civic_engine_new(&e, r, NULL), CIVIC_OK);
    assert_int_equal(civic_engine_journal_open(e, path, CIVIC_SYNC_ALWAYS, NULL, &err), CIVIC_OK);
    assert_int_equal(civic_engine_event_count(e), 8);
    civic_record *rec = NULL;
    assert_int_equal(civic_engine_record(e, "erin", when(e, "2024-06-01"), &rec), CIVIC_OK);
    civic_entry x = CIVIC_ENTRY_INIT;
    assert_int_equal(civic_record_entry(rec, 0, &x), CIVIC_OK);
    assert_string_equal(x.source, "office");
    civic_record_free(rec);
    civic_engine_free(e);
    civic_rules_free(r);
    unlink(path);
}

/* The journal header's format version, after checking its checksum. */
static uint32_t journal_version(const char *path)
{
    unsigned char h[32];
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fread(h, 1, sizeof(h), f), sizeof(h));
    fclose(f);
    assert_int_equal(civic__get32(h + 28), civic__crc32c(0, h, 28));
    return civic__get32(h + 8);
}

/* Write version v into the header of the journal at path (checksum too). */
static void journal_set_version(const char *path, uint32_t v)
{
    unsigned char h[32];
    FILE *f = fopen(path, "r+b");
    assert_non_null(f);
    assert_int_equal(fread(h, 1, sizeof(h), f), sizeof(h));
    civic__put32(h + 8, v);
    civic__put32(h + 28, civic__crc32c(0, h, 28));
    assert_int_equal(fseek(f, 0, SEEK_SET), 0);
    assert_int_equal(fwrite(h, 1, sizeof(h), f), sizeof(h));
    fclose(f);
}

/* libcivic 1.0 reads a journal record it does not know (an event with act
 * or source, a purge) as a torn tail and cuts it off with every batch after
 * it, reporting success; it refuses a header of another version.  So the
 * header says version 2 before the first such record is written, and only
 * then: a journal of version-1 events stays readable by 1.0. */
static void a_journal_says_version_2_before_1_0_could_misread_it(void **state)
{
    (void)state;
    char path[] = "/tmp/civic-compat-XXXXXX";
    copy_fixture_journal(path);
    civic_rules *r = fixture_rules();
    civic_engine *e = NULL;
    civic_error err = CIVIC_ERROR_INIT;
    assert_int_equal(civic_engine_new(&e, r, NULL), CIVIC_OK);
    assert_int_equal(civic_engine_journal_open(e, path, CIVIC_SYNC_NONE, NULL, &err), CIVIC_OK);
    assert_int_equal(journal_version(path), 1);
    load_ok(e, "id,subject,type,ts\ne6,erin,help,2024-06-01\n");
    assert_int_equal(journal_version(path), 1); /* 1.0 still reads it */
    load_ok(e, "id,subject,type,ts,source\ne7,erin,help,2024-06-02,office\n");
    assert_int_equal(journal_version(path), 2);
    load_ok(e, "id,subject,type,ts\ne8,erin,help,2024-06-03\n");
    civic_engine_free(e);
    assert_int_equal(journal_version(path), 2);

    /* a purge alone (it removes nothing here), into a fresh journal */
    unlink(path);
    assert_int_equal(civic_engine_new(&e, r, NULL), CIVIC_OK);
    assert_int_equal(civic_engine_journal_open(e, path, CIVIC_SYNC_NONE, NULL, &err), CIVIC_OK);
    load_ok(e, "id,subject,type,ts\ne1,bob,help,2020-06-01\n");
    assert_int_equal(journal_version(path), 1);
    assert_int_equal(civic_engine_purge(e, when(e, "2021-01-01"), NULL, &err), CIVIC_OK);
    assert_int_equal(journal_version(path), 2);
    load_ok(e, "id,subject,type,ts\ne2,bob,help,2024-06-01\n");
    civic_engine_free(e);

    /* a purge under a version 1 header (as earlier builds of 1.1 wrote it):
     * opened, answered as before, and the header is set to 2 */
    journal_set_version(path, 1);
    assert_int_equal(civic_engine_new(&e, r, NULL), CIVIC_OK);
    civic_journal_report rep = CIVIC_JOURNAL_REPORT_INIT;
    int rc = civic_engine_journal_open(e, path, CIVIC_SYNC_NONE, &rep, &err);
    if (rc != CIVIC_OK) fail_msg("%s", err.message);
    assert_int_equal(rep.batches, 3);
    assert_int_equal(rep.bytes_truncated, 0);
    assert_int_equal(civic_engine_event_count(e), 2);
    assert_int_equal(civic_engine_purge_horizon(e), when(e, "2021-01-01"));
    civic_engine_free(e);
    assert_int_equal(journal_version(path), 2);

    /* a version this library does not know is refused, and left alone */
    journal_set_version(path, 3);
    assert_int_equal(civic_engine_new(&e, r, NULL), CIVIC_OK);
    assert_int_equal(civic_engine_journal_open(e, path, CIVIC_SYNC_NONE, NULL, &err),
                     CIVIC_E_CORRUPT);
    assert_non_null(strstr(err.message, "format version 3 is not supported"));
    civic_engine_free(e);
    assert_int_equal(journal_version(path), 3);
    civic_rules_free(r);
    unlink(path);
}

/* The snapshot header's format version (its bytes 8..11). */
static uint32_t snapshot_version(const char *path)
{
    unsigned char h[12];
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fread(h, 1, sizeof(h), f), sizeof(h));
    fclose(f);
    return civic__get32(h + 8);
}

/* Append to the journal at path one committed batch of the events of e, in
 * record format 1 and without the flag of format 2: what earlier builds of
 * 1.1 wrote of an object, a dismiss or a correct. */
static void journal_append_format_1(const char *path, const civic_engine *e)
{
    static unsigned char buf[24 + 4 * CIVIC_EVENT_RECORD_BYTES_MAX];
    size_t len = 0, count = civic_engine_event_count(e);
    for (size_t i = 0; i < count; i++)
        len += civic__event_encode(e, (uint32_t)i, 1, buf + 24 + len);
    memcpy(buf, "CJRC", 4);
    civic__put32(buf + 4, 0x1u | 0x2u); /* FIRST | COMMIT */
    civic__put32(buf + 8, (uint32_t)count);
    civic__put32(buf + 12, (uint32_t)len);
    civic__put32(buf + 16, 0);
    civic__put32(buf + 20, civic__crc32c(civic__crc32c(0, buf, 20), buf + 24, len));
    FILE *f = fopen(path, "ab");
    assert_non_null(f);
    assert_int_equal(fwrite(buf, 1, 24 + len, f), 24 + len);
    fclose(f);
}

/* An object, a dismiss and a correct are events of version 2: libcivic 1.0
 * reads them as damage ("unknown type object"), so a file that holds one
 * says format version 2, which 1.0 refuses as such (docs/evaluation.md), as
 * one holding an act, a source or a purge does; the header of a version 1
 * journal is set to 2 before such an event is appended, and on open when
 * an earlier build wrote one under version 1.  A file of 1.0's content only
 * stays version 1. */
static void objections_and_corrections_make_the_files_version_2(void **state)
{
    (void)state;
    civic_rules *r = fixture_rules();
    const char *lines[] = { "id,subject,type,ts,ref\nx1,alice,object,2024-06-02,e2\n",
                            "id,subject,type,ts,ref\nx1,alice,dismiss,2024-06-02,o9\n",
                            "id,subject,type,ts,ref\nx1,alice,correct,2024-06-02,e2\n" };
    char snap[] = "/tmp/civic-compat-snap-XXXXXX";
    int fd = mkstemp(snap);
    assert_true(fd >= 0);
    close(fd);
    for (int i = 0; i < 3; i++) {
        char path[] = "/tmp/civic-compat-XXXXXX";
        copy_fixture_journal(path);
        civic_engine *e = NULL;
        civic_error err = CIVIC_ERROR_INIT;
        assert_int_equal(civic_engine_new(&e, r, NULL), CIVIC_OK);
        assert_int_equal(civic_engine_journal_open(e, path, CIVIC_SYNC_NONE, NULL, &err),
                         CIVIC_OK);
        assert_int_equal(civic_engine_save(e, snap, &err), CIVIC_OK);
        assert_int_equal(snapshot_version(snap), 1); /* 1.0's content: 1.0 reads it */
        assert_int_equal(journal_version(path), 1);
        load_ok(e, lines[i]);
        assert_int_equal(journal_version(path), 2);
        assert_int_equal(civic_engine_save(e, snap, &err), CIVIC_OK);
        assert_int_equal(snapshot_version(snap), 2);
        civic_engine_free(e);
        /* and both read back */
        e = NULL;
        int rc = civic_engine_open_snapshot(&e, r, NULL, snap, &err);
        if (rc != CIVIC_OK) fail_msg("%s", err.message);
        assert_int_equal(civic_engine_event_count(e), 8);
        civic_engine_free(e);
        assert_int_equal(civic_engine_new(&e, r, NULL), CIVIC_OK);
        rc = civic_engine_journal_open(e, path, CIVIC_SYNC_NONE, NULL, &err);
        if (rc != CIVIC_OK) fail_msg("%s", err.message);
        assert_int_equal(civic_engine_event_count(e), 8);
        civic_engine_free(e);

        /* a version 1 journal holding such an event in record format 1, as
         * earlier builds wrote it: opened, and its header set to 2 */
        unlink(path);
        memcpy(path + strlen(path) - 6, "XXXXXX", 6);
        copy_fixture_journal(path);
        civic_engine *one = NULL;
        assert_int_equal(civic_engine_new(&one, r, NULL), CIVIC_OK);
        load_ok(one, lines[i]);
        journal_append_format_1(path, one);
        civic_engine_free(one);
        assert_int_equal(journal_version(path), 1);
        assert_int_equal(civic_engine_new(&e, r, NULL), CIVIC_OK);
        rc = civic_engine_journal_open(e, path, CIVIC_SYNC_NONE, NULL, &err);
        if (rc != CIVIC_OK) fail_msg("%s", err.message);
        assert_int_equal(civic_engine_event_count(e), 8);
        civic_engine_free(e);
        assert_int_equal(journal_version(path), 2);
        unlink(path);
    }
    unlink(snap);
    civic_rules_free(r);
}

/* A batch refused and rolled back takes its act and its source with it:
 * the files follow the events the engine holds, so 1.0-only content is
 * still written as version 1 after a strict load that carried an act or a
 * source failed, or after a snapshot under other rules was refused partway
 * (the act and source arrays, once allocated, stay). */
static void a_refused_batch_with_an_act_leaves_the_files_version_1(void **state)
{
    (void)state;
    civic_rules *r = fixture_rules();
    const char *bad[] = { "id,subject,type,ts,act\nx1,alice,fine,2024-06-02,a1\n"
                          "x2,alice,bogus,2024-06-03,\n",
                          "id,subject,type,ts,source\nx1,alice,fine,2024-06-02,dept\n"
                          "x2,alice,bogus,2024-06-03,\n" };
    char snap[] = "/tmp/civic-compat-snap-XXXXXX";
    int fd = mkstemp(snap);
    assert_true(fd >= 0);
    close(fd);
    for (int i = 0; i < 2; i++) {
        char path[] = "/tmp/civic-compat-XXXXXX";
        copy_fixture_journal(path);
        civic_engine *e = NULL;
        civic_error err = CIVIC_ERROR_INIT;
        assert_int_equal(civic_engine_new(&e, r, NULL), CIVIC_OK);
        assert_int_equal(civic_engine_journal_open(e, path, CIVIC_SYNC_NONE, NULL, &err),
                         CIVIC_OK);
        assert_int_not_equal(civic_engine_load(e, bad[i], strlen(bad[i]), NULL, NULL, &err),
                             CIVIC_OK);
        assert_int_equal(civic_engine_event_count(e), 7);
        assert_int_equal(civic_engine_spec_version(e), 1);
        load_ok(e, "id,subject,type,ts\nx3,alice,help,2024-06-04\n");
        assert_int_equal(journal_version(path), 1);
        assert_int_equal(civic_engine_save(e, snap, &err), CIVIC_OK);
        assert_int_equal(snapshot_version(snap), 1);
        civic_engine_free(e);
        unlink(path);
    }

    /* a snapshot whose first event has an act, refused under rules without
     * its second event's type */
    civic_rules *wide = rules_from("[[grade]]\nname = \"A\"\n[rule.fine]\npoints = -10\n"
                                   "[rule.other]\npoints = 1\n");
    civic_engine *e = NULL;
    civic_error err = CIVIC_ERROR_INIT;
    assert_int_equal(civic_engine_new(&e, wide, NULL), CIVIC_OK);
    load_ok(e, "id,subject,type,ts,act\nx1,alice,fine,2024-06-02,a1\n"
               "x2,alice,other,2024-06-03,\n");
    assert_int_equal(civic_engine_save(e, snap, &err), CIVIC_OK);
    civic_engine_free(e);
    e = NULL;
    assert_int_equal(civic_engine_new(&e, r, NULL), CIVIC_OK);
    assert_int_not_equal(civic_engine_load_snapshot_ext(e, snap, CIVIC_SNAPSHOT_OTHER_RULES, &err),
                         CIVIC_OK);
    assert_int_equal(civic_engine_event_count(e), 0);
    load_ok(e, "id,subject,type,ts\nx3,alice,help,2024-06-04\n");
    assert_int_equal(civic_engine_save(e, snap, &err), CIVIC_OK);
    assert_int_equal(snapshot_version(snap), 1);
    civic_engine_free(e);
    civic_rules_free(wide);
    unlink(snap);
    civic_rules_free(r);
}

/* libcivic 1.0 took an event past the bound on one event's points (it
 * counted a repeat_factor below 1 as lowering it: 1e6 points x 2e10 units
 * under repeat_factor = 0.5).  Its files are still refused, since this
 * version cannot hold the event, but as what they are: a sound file holding
 * one event this version refuses, named with its subject and record, the
 * bound (its factor said as the add and load error says it), and what to
 * do; not "damaged".  The journal is left as it was, even with
 * CIVIC_JOURNAL_RECOVER (it has no damage to cut). */
static void a_1_0_event_past_the_bound_is_named_not_called_damage(void **state)
{
    (void)state;
    size_t n;
    char *text = read_file("tests/fixtures/1.0.0/bound-rules.toml", &n);
    civic_rules *r = rules_from(text);
    free(text);
    civic_engine *e = NULL;
    civic_error err = CIVIC_ERROR_INIT;
    int rc = civic_engine_open_snapshot(&e, r, NULL, "tests/fixtures/1.0.0/bound-snapshot.civic",
                                        &err);
    assert_int_equal(rc, CIVIC_E_CORRUPT);
    assert_null(e);
    const char *want[] = { "record at byte 96: event \"b1\" of subject \"bob\": points x qty x "
                           "repeat_factor (1 when the rule has none or one below 1) pass 2^60 "
                           "hundredths; the file is not damaged: load its events again without it" };
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
        if (!strstr(err.message, want[i])) fail_msg("no \"%s\" in: %s", want[i], err.message);
    assert_null(strstr(err.message, "is damaged"));
    assert_int_equal(err.offset, 96);

    const char *jwant[] = { "record at byte 32: event \"b1\" of subject \"bob\": points x "
                            "qty x repeat_factor (1 when the rule has none or one below 1) "
                            "pass 2^60 hundredths; the file is not damaged: load its events "
                            "again without it" };
    journal_refused_untouched(r, "tests/fixtures/1.0.0/bound-journal.civic", 0, jwant, 1,
                              "invalid event record");
    civic_rules_free(r);
}

/* libcivic 1.0 let a rule be named object, dismiss or correct; this
 * version reserves those codes for objections and corrections, and a
 * record of such a rule's event cannot be read as the type it now names.
 * Its files are still refused, under other rules too (renaming the rule
 * leaves the record's code as it was), but as what they are: the event
 * named, its type a 1.0 rule code this version reserves, the file sound,
 * and what to do; not "a bad qty". */
static void a_1_0_rule_of_a_reserved_code_is_named_not_called_damage(void **state)
{
    (void)state;
    size_t n;
    char *text = read_file("tests/fixtures/1.0.0/objrule-rules.toml", &n);
    civic_rules *r = NULL;
    civic_error rerr = CIVIC_ERROR_INIT;
    /* this version refuses the rules themselves: the user renames the rule */
    assert_int_not_equal(civic_rules_parse(&r, text, n, NULL, &rerr), CIVIC_OK);
    free(text);
    civic_rules *renamed = rules_from("[scheme]\nbase = 1000\n[[grade]]\nname = \"A\"\nmin = 960\n"
                                      "[[grade]]\nname = \"B\"\n[rule.help]\npoints = 5\n"
                                      "[rule.objection]\npoints = -10\n");
    const char *want[] = { "record at byte 96: event \"o1\" has type \"object\": a 1.0 rule "
                           "code this version reserves for objections/corrections",
                           "; the file is not damaged: export its events with 1.0, load them "
                           "under a renamed rule" };
    for (uint32_t flags = 0; flags <= CIVIC_SNAPSHOT_OTHER_RULES; flags++) {
        civic_engine *e = NULL;
        civic_error err = CIVIC_ERROR_INIT;
        assert_int_equal(civic_engine_new(&e, renamed, NULL), CIVIC_OK);
        int rc = civic_engine_load_snapshot_ext(e, "tests/fixtures/1.0.0/objrule-snapshot.civic",
                                                flags, &err);
        if (flags == 0) { /* of other rules: said so first */
            assert_int_equal(rc, CIVIC_E_MISMATCH);
            civic_engine_free(e);
            continue;
        }
        assert_int_equal(rc, CIVIC_E_CORRUPT);
        for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
            if (!strstr(err.message, want[i])) fail_msg("no \"%s\" in: %s", want[i], err.message);
        assert_null(strstr(err.message, "bad qty"));
        assert_null(strstr(err.message, "is damaged"));
        assert_int_equal(civic_engine_event_count(e), 0);
        civic_engine_free(e);
    }

    const char *jwant[] = { "record at byte 32: event \"o1\"", want[1] };
    journal_refused_untouched(renamed, "tests/fixtures/1.0.0/objrule-journal.civic",
                              CIVIC_JOURNAL_OTHER_RULES, jwant, 2, "bad qty");
    civic_rules_free(renamed);
}

/* The record of event o1 (an object of h1) in bytes[0..n): where its qty
 * lies, one bit of which is flipped.  Format 2 stores ts, qty, then the
 * type and the id as u8 length + bytes. */
static size_t flip_object_qty(unsigned char *bytes, size_t n)
{
    static const unsigned char key[] = "\x06object\x02o1";
    for (size_t at = 16; at + sizeof(key) - 1 <= n; at++)
        if (memcmp(bytes + at, key, sizeof(key) - 1) == 0) {
            bytes[at - 8] ^= 1; /* qty 0 -> 1 (thousandths) */
            return at - 8;
        }
    fail_msg("no record of o1");
    return 0;
}

static void write_bytes(const char *path, const unsigned char *bytes, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(bytes, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}

/* What a damaged record says of itself.  An object is an event of version
 * 2, whose records are format 2, which 1.0 never wrote: such a record with
 * a quantity, checksum and all right, is damage (a flipped bit its writer
 * checksummed), not the "1.0 rule of a reserved code" whose file is sound.
 * (It was told the file was not damaged and to export it with 1.0.) */
static void a_format_2_object_record_with_a_quantity_is_called_damage(void **state)
{
    (void)state;
    civic_rules *r = NULL;
    assert_int_equal(civic_rules_default(&r, NULL), CIVIC_OK);
    char jnl[] = "/tmp/civic-compat-jnl-XXXXXX", snap[] = "/tmp/civic-compat-snap-XXXXXX";
    int fd = mkstemp(jnl);
    assert_true(fd >= 0);
    close(fd);
    unlink(jnl);
    fd = mkstemp(snap);
    assert_true(fd >= 0);
    close(fd);
    civic_engine *e = NULL;
    civic_error err = CIVIC_ERROR_INIT;
    assert_int_equal(civic_engine_new(&e, r, NULL), CIVIC_OK);
    assert_int_equal(civic_engine_journal_open(e, jnl, CIVIC_SYNC_NONE, NULL, &err), CIVIC_OK);
    load_ok(e, "id,subject,type,ts,ref\nh1,r1,honour_city,2024-05-01,\n"
               "o1,r1,object,2024-05-03,h1\n");
    assert_int_equal(civic_engine_save(e, snap, &err), CIVIC_OK);
    assert_int_equal(snapshot_version(snap), 2);
    civic_engine_free(e);
    assert_int_equal(journal_version(jnl), 2);

    /* the journal: the bit flipped, the record's checksum made right */
    size_t n;
    unsigned char *j = (unsigned char *)read_file(jnl, &n);
    size_t qty = flip_object_qty(j, n), at = 32;
    for (;;) {
        assert_true(at + 24 <= n);
        size_t len = civic__get32(j + at + 12);
        if (qty < at + 24 + len) {
            assert_true(civic__get32(j + at + 4) & 0x4u); /* FORMAT2 */
            civic__put32(j + at + 20,
                         civic__crc32c(civic__crc32c(0, j + at, 20), j + at + 24, len));
            break;
        }
        at += 24 + len;
    }
    write_bytes(jnl, j, n);
    free(j);
    /* the snapshot: the bit flipped, its block's checksum and the file's */
    unsigned char *s = (unsigned char *)read_file(snap, &n);
    qty = flip_object_qty(s, n);
    for (at = 48;; at += 16 + civic__get32(s + at + 8)) {
        assert_true(at + 16 <= n);
        uint32_t len = civic__get32(s + at + 8);
        if (qty < at + 16 + len) {
            assert_memory_equal(s + at, "EVTS", 4);
            civic__put32(s + at + 12, civic__crc32c(civic__crc32c(0, s + at, 12), s + at + 16, len));
            civic__put32(s + n - 4, civic__crc32c(0, s, n - 4));
            break;
        }
    }
    write_bytes(snap, s, n);
    free(s);

    const char *what[] = { "journal", "snapshot" };
    for (int k = 0; k < 2; k++) {
        e = NULL;
        assert_int_equal(civic_engine_new(&e, r, NULL), CIVIC_OK);
        int rc = k == 0 ? civic_engine_journal_open(e, jnl, CIVIC_SYNC_NONE, NULL, &err)
                        : civic_engine_load_snapshot(e, snap, &err);
        assert_int_equal(rc, CIVIC_E_CORRUPT);
        if (!strstr(err.message, what[k]) || !strstr(err.message, "\"o1\"") ||
            !strstr(err.message, "damaged") || strstr(err.message, "not damaged") ||
            strstr(err.message, "1.0 rule code") || strstr(err.message, "export its events"))
            fail_msg("%s: %s", what[k], err.message);
        assert_int_equal(civic_engine_event_count(e), 0);
        civic_engine_free(e);
    }
    unlink(jnl);
    unlink(snap);
    civic_rules_free(r);
}

static void the_1_0_built_in_scheme_is_kept_with_its_fingerprint(void **state)
{
    (void)state;
    size_t n;
    char *text = read_file("examples/data/community-1.0.toml", &n);
    civic_rules *r = rules_from(text);
    /* the fingerprint of libcivic 1.0.0's built-in scheme */
    assert_true(civic_rules_fingerprint(r) == UINT64_C(0x6dfa6006ce7a0b42));
    assert_int_equal(civic_rules_spec_version(r), 1);
    civic_rules_free(r);
    free(text);
}

/* 1.0's built-in scheme (kept as examples/data/community-1.0.toml) and
 * today's. */
static void old_and_now(civic_rules **old, civic_rules **now)
{
    size_t n;
    char *text = read_file("examples/data/community-1.0.toml", &n);
    *old = rules_from(text);
    free(text);
    *now = NULL;
    assert_int_equal(civic_rules_default(now, NULL), CIVIC_OK);
}

/* Files a 1.0 program wrote under its built-in scheme (a 1.0 civic-server
 * run without --rules) carry that scheme's fingerprint; under 1.1's revised
 * built-in scheme they are refused naming the file that keeps 1.0's answers,
 * not only the rescore that would change them. */
static void files_of_the_1_0_built_in_scheme_name_its_file(void **state)
{
    (void)state;
    civic_rules *old, *now;
    old_and_now(&old, &now);
    char snap[] = "/tmp/civic-compat-snap-XXXXXX", jnl[] = "/tmp/civic-compat-jnl-XXXXXX";
    int fd = mkstemp(snap);
    assert_true(fd >= 0);
    close(fd);
    fd = mkstemp(jnl);
    assert_true(fd >= 0);
    close(fd);
    unlink(jnl);
    civic_engine *e = NULL;
    civic_error err = CIVIC_ERROR_INIT;
    assert_int_equal(civic_engine_new(&e, old, NULL), CIVIC_OK);
    const char *log = "id,subject,type,ts\ne1,r1,volunteer_hour,2024-01-01\n";
    assert_int_equal(civic_engine_journal_open(e, jnl, CIVIC_SYNC_ALWAYS, NULL, &err), CIVIC_OK);
    assert_int_equal(civic_engine_load(e, log, strlen(log), NULL, NULL, &err), CIVIC_OK);
    assert_int_equal(civic_engine_save(e, snap, &err), CIVIC_OK);
    civic_engine_free(e);
    e = NULL;
    int rc = civic_engine_open_snapshot(&e, now, NULL, snap, &err);
    assert_int_equal(rc, CIVIC_E_MISMATCH);
    assert_non_null(strstr(err.message, "was saved under libcivic 1.0's built-in scheme "
                                        "(examples/data/community-1.0.toml: load under it"));
    assert_non_null(strstr(err.message, "CIVIC_SNAPSHOT_OTHER_RULES"));
    assert_int_equal(civic_engine_new(&e, now, NULL), CIVIC_OK);
    rc = civic_engine_journal_open(e, jnl, CIVIC_SYNC_ALWAYS, NULL, &err);
    assert_int_equal(rc, CIVIC_E_MISMATCH);
    assert_non_null(strstr(err.message, "was written under libcivic 1.0's built-in scheme "
                                        "(examples/data/community-1.0.toml: open under it"));
    civic_engine_free(e);
    /* other rules keep the message with both fingerprints */
    civic_rules *other = rules_from("[[grade]]\nname = \"A\"\n[rule.x]\npoints = 1\n");
    e = NULL;
    rc = civic_engine_open_snapshot(&e, other, NULL, snap, &err);
    assert_int_equal(rc, CIVIC_E_MISMATCH);
    civic_engine *w = NULL;
    assert_int_equal(civic_engine_new(&w, other, NULL), CIVIC_OK);
    assert_int_equal(civic_engine_save(w, snap, &err), CIVIC_OK);
    civic_engine_free(w);
    rc = civic_engine_open_snapshot(&e, now, NULL, snap, &err);
    assert_int_equal(rc, CIVIC_E_MISMATCH);
    assert_non_null(strstr(err.message, "was saved under other rules (fingerprint "));
    assert_null(strstr(err.message, "1.0"));
    unlink(snap);
    unlink(jnl);
    civic_rules_free(other);
    civic_rules_free(old);
    civic_rules_free(now);
}

/* The same refusals from a file in a deep directory: the message filled its
 * 255 bytes and lost its end (past a 31-byte directory "...under the", past
 * 100 bytes the file to load under).  The path is cut instead, and every
 * message ends with its advice whole. */
static void a_long_path_keeps_the_mismatch_advice_whole(void **state)
{
    (void)state;
    civic_rules *old, *now;
    old_and_now(&old, &now);
    civic_rules *other = rules_from("[[grade]]\nname = \"A\"\n[rule.x]\npoints = 1\n");
    char dir[] = "/tmp/civic-compat-long-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char deep[400], snap[460], jnl[460];
    snprintf(deep, sizeof(deep), "%s/the-points-service-of-the-district-office-in-production-"
             "its-data-directory-kept-on-the-shared-volume-number-0001", dir);
    assert_int_equal(mkdir(deep, 0700), 0);
    snprintf(snap, sizeof(snap), "%s/snapshot.civic", deep);
    snprintf(jnl, sizeof(jnl), "%s/journal.civic", deep);
    civic_engine *e = NULL;
    civic_error err = CIVIC_ERROR_INIT;
    /* "rules changed on purpose", not "a revised scheme": the engine's
     * rules may be the ones before the file's (an operator going back) */
    const char *ends = "; rules changed on purpose: load with CIVIC_SNAPSHOT_OTHER_RULES to read "
                       "its events under these";
    for (int k = 0; k < 2; k++) { /* written under 1.0's built-in scheme, under other rules */
        unlink(snap);
        unlink(jnl);
        assert_int_equal(civic_engine_new(&e, k == 0 ? old : other, NULL), CIVIC_OK);
        const char *log = "id,subject,type,ts\ne1,r1,x,2024-01-01\n";
        assert_int_equal(civic_engine_journal_open(e, jnl, CIVIC_SYNC_ALWAYS, NULL, &err),
                         CIVIC_OK);
        if (k == 1) assert_int_equal(civic_engine_load(e, log, strlen(log), NULL, NULL, &err),
                                     CIVIC_OK);
        assert_int_equal(civic_engine_save(e, snap, &err), CIVIC_OK);
        civic_engine_free(e);
        civic_rules *as = now;
        e = NULL;
        assert_int_equal(civic_engine_open_snapshot(&e, as, NULL, snap, &err), CIVIC_E_MISMATCH);
        assert_non_null(strstr(err.message, "snapshot ..."));
        assert_non_null(strstr(err.message, "/snapshot.civic was saved under"));
        assert_non_null(strstr(err.message, k == 0 ? "(examples/data/community-1.0.toml: load "
                                                     "under it" : "(fingerprint "));
        assert_string_equal(err.message + strlen(err.message) - strlen(ends), ends);
        assert_int_equal(civic_engine_new(&e, as, NULL), CIVIC_OK);
        assert_int_equal(civic_engine_journal_open(e, jnl, CIVIC_SYNC_ALWAYS, NULL, &err),
                         CIVIC_E_MISMATCH);
        assert_non_null(strstr(err.message, "journal ..."));
        assert_non_null(strstr(err.message, "/journal.civic was written under"));
        const char *opens = "; rules changed on purpose: open with CIVIC_JOURNAL_OTHER_RULES to "
                            "read its events under these";
        assert_string_equal(err.message + strlen(err.message) - strlen(opens), opens);
        civic_engine_free(e);
    }
    unlink(snap);
    unlink(jnl);
    rmdir(deep);
    rmdir(dir);
    civic_rules_free(other);
    civic_rules_free(old);
    civic_rules_free(now);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_snapshot_written_by_1_0_0_opens),
        cmocka_unit_test(a_journal_written_by_1_0_0_replays_and_takes_appends),
        cmocka_unit_test(a_journal_says_version_2_before_1_0_could_misread_it),
        cmocka_unit_test(a_1_0_event_past_the_bound_is_named_not_called_damage),
        cmocka_unit_test(objections_and_corrections_make_the_files_version_2),
        cmocka_unit_test(a_refused_batch_with_an_act_leaves_the_files_version_1),
        cmocka_unit_test(a_1_0_rule_of_a_reserved_code_is_named_not_called_damage),
        cmocka_unit_test(a_format_2_object_record_with_a_quantity_is_called_damage),
        cmocka_unit_test(the_1_0_built_in_scheme_is_kept_with_its_fingerprint),
        cmocka_unit_test(files_of_the_1_0_built_in_scheme_name_its_file),
        cmocka_unit_test(a_long_path_keeps_the_mismatch_advice_whole),
    };
    return cmocka_run_group_tests_name("compat", tests, NULL, NULL);
}
