/*
** test_durability.c -- snapshots and the journal (issue 7): round trips give
** identical answers; every truncation and every flipped bit of a snapshot
** is rejected without touching the engine; wrong magic, version and rules
** are named; the journal replays, truncates a torn tail at every offset,
** rolls a batch back when its append fails, and compaction recovers the
** same events from every crash point -- also when a process is killed at
** each of compaction's file operations in turn (see "crash injection").
*/
#define _GNU_SOURCE /* syscall, F_OFD_SETLK */
#include "support.h"
#include "alloc_fail.h"
#include "internal.h" /* civic__fopen_read */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdatomic.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* ------------------------------------------------------------ crash injection
 *
 * This file defines the file operations the library's durability code uses
 * (the library is linked statically, so its calls land here).  They do what
 * the C library does, through the system call, except in a child process
 * armed with crash_at = N: there the Nth of them kills the process with
 * SIGKILL before doing anything, as kill -9 or a power cut would. */
static long crash_at, crash_calls;

static void crash_point(void)
{
    if (crash_at && ++crash_calls == crash_at) raise(SIGKILL);
}

/* While watch_exec is set, every descriptor the library syncs or closes
 * that a program it started would inherit (no FD_CLOEXEC) is counted. */
static bool watch_exec;
static int inheritable_seen;

static void exec_point(int fd)
{
    if (!watch_exec || fd < 0) return;
    int flags = (int)syscall(SYS_fcntl, fd, F_GETFD);
    if (flags >= 0 && !(flags & FD_CLOEXEC)) inheritable_seen++;
}

ssize_t pwrite(int fd, const void *buf, size_t n, off_t offset)
{
    crash_point();
    return (ssize_t)syscall(SYS_pwrite64, fd, buf, n, offset);
}
int fsync(int fd)
{
    crash_point();
    exec_point(fd);
    return (int)syscall(SYS_fsync, fd);
}
int fdatasync(int fd)
{
    crash_point();
    return (int)syscall(SYS_fdatasync, fd);
}
int rename(const char *from, const char *to)
{
    crash_point();
    return (int)syscall(SYS_renameat, AT_FDCWD, from, AT_FDCWD, to);
}
int unlink(const char *path)
{
    crash_point();
    return (int)syscall(SYS_unlinkat, AT_FDCWD, path, 0);
}
int close(int fd)
{
    crash_point();
    exec_point(fd);
    return (int)syscall(SYS_close, fd);
}

/* mkostemp, as the C library's, except that a template that starts with
 * fail_temp_of fails with ENOSPC (a full disk: no temporary file for that
 * path can be made, while the others can). */
static char fail_temp_of[256];

int mkostemp(char *tmpl, int flags)
{
    if (fail_temp_of[0] && strncmp(tmpl, fail_temp_of, strlen(fail_temp_of)) == 0) {
        errno = ENOSPC;
        return -1;
    }
    static const char letters[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    static unsigned next = 1;
    size_t n = strlen(tmpl);
    if (n < 6 || strcmp(tmpl + n - 6, "XXXXXX") != 0) {
        errno = EINVAL;
        return -1;
    }
    for (int attempt = 0; attempt < 1000; attempt++) {
        unsigned x = next++ * 2654435761u ^ (unsigned)getpid();
        for (size_t i = n - 6; i < n; i++, x /= 36) tmpl[i] = letters[x % 36];
        int fd = (int)syscall(SYS_openat, AT_FDCWD, tmpl, O_RDWR | O_CREAT | O_EXCL | flags, 0600);
        if (fd >= 0 || errno != EEXIST) return fd;
    }
    errno = EEXIST;
    return -1;
}

#define RULES_TEXT                                                                          \
    TEST_SCHEME                                                                             \
    "[rule.fine]\npoints = -10\nvalid = \"1y\"\nflag = \"fined\"\n"                       \
    "[rule.volunteer_hour]\npoints = 1.5\nper = \"unit\"\ndimension = \"autonomy\"\n"     \
    "[rule.donation]\npoints = 10\ncap = 40\ncap_period = \"year\"\naffects = \"both\"\n" \
    "[rule.dog]\npoints = -10\nvalid = \"1y\"\nrepeat_factor = 2\n"

#define OTHER_RULES_TEXT TEST_SCHEME "[rule.fine]\npoints = -20\n"

static char dir[64];

/* ------------------------------------------------------------ helpers */

static char *path_in(const char *name)
{
    static char buf[4][256];
    static int next;
    char *p = buf[next++ % 4];
    snprintf(p, 256, "%s/%s", dir, name);
    return p;
}

/* A log of n events over a few subjects with every kind of event. */
static char *make_log(size_t n, const char *prefix)
{
    static const char *types[] = { "fine", "volunteer_hour", "donation", "dog" };
    size_t cap = 128 + n * 160, len = 0;
    char *out = malloc(cap);
    assert_non_null(out);
    len += (size_t)snprintf(out + len, cap - len, "id,subject,type,ts,qty,group,ref\n");
    for (size_t i = 0; i < n; i++) {
        unsigned day = (unsigned)(i * 7 % 700);
        const char *type = types[i % 4];
        char ref[64] = "";
        if (i % 11 == 10) {
            type = i % 22 == 10 ? "revoke" : "repair";
            snprintf(ref, sizeof(ref), "%s%zu", prefix, i - 4);
        } else if (i % 13 == 12) {
            type = "redeem";
        }
        len += (size_t)snprintf(out + len, cap - len,
                                "%s%zu,s%zu,%s,%u,%s,%s,%s\n", prefix, i, i % 7, type,
                                1672531200u + day * 86400u,
                                strcmp(type, "redeem") == 0 ? "0.5" : (i % 3 ? "2.25" : ""),
                                i % 5 ? "east/street-a/c1" : "", ref);
    }
    return out;
}

static civic_engine *fresh_engine(void) { return engine_from(RULES_TEXT); }

static civic_engine *engine_with_log(size_t n)
{
    civic_engine *e = fresh_engine();
    char *log = make_log(n, "e");
    load_ok(e, log);
    free(log);
    return e;
}

/* Every answer at a few as-of times, records included, as one string. */
static char *answers(const civic_engine *e)
{
    const int64_t times[] = { 1672531200, 1690000000, 1720000000, 1800000000 };
    size_t cap = 1 << 20, len = 0;
    char *out = malloc(cap);
    assert_non_null(out);
    out[0] = '\0';
    for (size_t t = 0; t < 4; t++) {
        char *csv = subjects_csv(e, times[t]);
        len += (size_t)snprintf(out + len, cap - len, "T%zu\n%s", t, csv);
        free(csv);
        civic_result *res = NULL;
        assert_int_equal(civic_engine_subjects(e, times[t], &res), CIVIC_OK);
        for (size_t i = 0; i < civic_result_count(res); i++) {
            civic_score s = CIVIC_SCORE_INIT;
            civic_result_get(res, i, &s);
            civic_record *rec = NULL;
            assert_int_equal(civic_engine_record(e, s.subject, times[t], &rec), CIVIC_OK);
            for (size_t k = 0; k < civic_record_count(rec); k++) {
                civic_entry en = CIVIC_ENTRY_INIT;
                civic_record_entry(rec, k, &en);
                len += (size_t)snprintf(out + len, cap - len, " %s %s %lld %u %lld %s\n", en.id,
                                        en.type, (long long)en.ts, en.state,
                                        (long long)en.counted, en.ref);
                assert_true(len < cap);
            }
            civic_record_free(rec);
        }
        civic_result_free(res);
    }
    return out;
}

static void assert_same_answers(const civic_engine *a, const civic_engine *b)
{
    char *x = answers(a), *y = answers(b);
    assert_string_equal(x, y);
    free(x);
    free(y);
    assert_int_equal(civic_engine_event_count(a), civic_engine_event_count(b));
}

static unsigned char *read_all(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *buf = malloc((size_t)size + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)size, f), (size_t)size);
    fclose(f);
    *n = (size_t)size;
    return buf;
}

static void write_all(const char *path, const unsigned char *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(p, 1, n, f), n);
    fclose(f);
}

/* A copy of a journal that a live engine holds (and locks), to replay it
 * as a recovery after a crash would. */
static void copy_file(const char *from, const char *to)
{
    size_t n;
    unsigned char *bytes = read_all(from, &n);
    write_all(to, bytes, n);
    free(bytes);
}

/* The names in dir/sub, sorted, without . and .. (free_names). */
static int compare_names(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static char **names_in(const char *sub, size_t *n)
{
    char path[300];
    snprintf(path, sizeof(path), "%s/%s", dir, sub);
    DIR *d = opendir(path);
    assert_non_null(d);
    char **names = calloc(256, sizeof(char *));
    assert_non_null(names);
    *n = 0;
    const struct dirent *ent;
    while ((ent = readdir(d)) != NULL) {
        if (strcmp(ent->d_name, ".") == 0 || strcmp(ent->d_name, "..") == 0) continue;
        assert_true(*n < 255);
        names[(*n)++] = strdup(ent->d_name);
    }
    closedir(d);
    qsort(names, *n, sizeof(char *), compare_names);
    return names;
}

static void free_names(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
}

static void empty_dir(const char *sub)
{
    size_t n;
    char **names = names_in(sub, &n);
    char path[600];
    for (size_t i = 0; i < n; i++) {
        snprintf(path, sizeof(path), "%s/%s/%s", dir, sub, names[i]);
        assert_int_equal(unlink(path), 0);
    }
    free_names(names, n);
}

static bool names_are(const char *sub, const char *const *want, size_t count)
{
    size_t n;
    char **names = names_in(sub, &n);
    bool same = n == count;
    for (size_t i = 0; same && i < n; i++) same = strcmp(names[i], want[i]) == 0;
    if (!same) {
        fprintf(stderr, "%s holds:", sub);
        for (size_t i = 0; i < n; i++) fprintf(stderr, " %s", names[i]);
        fprintf(stderr, "\n");
    }
    free_names(names, n);
    return same;
}

/* The copies of the damaged journal dir/name kept beside it: the names that
 * start with name.damaged. */
static int copies_of(const char *name)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    char prefix[64];
    snprintf(prefix, sizeof(prefix), "%s.damaged.", name);
    int copies = 0;
    const struct dirent *ent;
    while ((ent = readdir(d)) != NULL) copies += strncmp(ent->d_name, prefix, strlen(prefix)) == 0;
    closedir(d);
    return copies;
}

/* Remove the copies copies_of counts. */
static void remove_copies(const char *name)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    char prefix[64], path[600];
    snprintf(prefix, sizeof(prefix), "%s.damaged.", name);
    const struct dirent *ent;
    while ((ent = readdir(d)) != NULL) {
        if (strncmp(ent->d_name, prefix, strlen(prefix)) != 0) continue;
        snprintf(path, sizeof(path), "%s/%s", dir, ent->d_name);
        assert_int_equal(unlink(path), 0);
    }
    closedir(d);
}

static void touch(const char *path)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs("half a file", f);
    fclose(f);
}

static uint64_t file_size(const char *path)
{
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    return (uint64_t)st.st_size;
}

/* Load path into a fresh engine; the engine must stay empty on failure. */
static int load_into_fresh(const char *path, civic_error *err)
{
    civic_engine *e = fresh_engine();
    int rc = civic_engine_load_snapshot(e, path, err);
    if (rc != CIVIC_OK) assert_int_equal(civic_engine_event_count(e), 0);
    civic_engine_free(e);
    return rc;
}

static int setup(void **state)
{
    snprintf(dir, sizeof(dir), "/tmp/civic-durability-XXXXXX");
    assert_non_null(mkdtemp(dir));
    return 0;
}

static int teardown(void **state)
{
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* ------------------------------------------------------------ snapshots */

static void snapshot_round_trip_gives_identical_answers(void **state)
{
    civic_engine *a = engine_with_log(600);
    civic_error err = CIVIC_ERROR_INIT;
    assert_int_equal(civic_engine_save(a, path_in("s.snap"), &err), CIVIC_OK);
    civic_engine *b = NULL;
    civic_rules *r = rules_from(RULES_TEXT);
    assert_int_equal(civic_engine_open_snapshot(&b, r, NULL, path_in("s.snap"), &err), CIVIC_OK);
    civic_rules_free(r);
    assert_same_answers(a, b);
    int64_t fa, la, fb, lb;
    assert_int_equal(civic_engine_time_range(a, &fa, &la), CIVIC_OK);
    assert_int_equal(civic_engine_time_range(b, &fb, &lb), CIVIC_OK);
    assert_true(fa == fb && la == lb);
    /* A snapshot of the loaded engine is the same file, but for the save time
     * (bytes 32..39), the header checksum over it (44..47) and the file
     * checksum (the last 4 bytes). */
    assert_int_equal(civic_engine_save(b, path_in("t.snap"), &err), CIVIC_OK);
    size_t n1, n2;
    unsigned char *x = read_all(path_in("s.snap"), &n1), *y = read_all(path_in("t.snap"), &n2);
    assert_int_equal(n1, n2);
    assert_memory_equal(x, y, 32);
    assert_memory_equal(x + 40, y + 40, 4);
    assert_memory_equal(x + 48, y + 48, n1 - 48 - 4);
    free(x);
    free(y);
    civic_engine_free(a);
    civic_engine_free(b);
}

/* A qty of 2,147,483.648 units or more does not fit the event record and
 * is kept beside it: exactly, through a rolled-back batch (which gives its
 * slots back), a snapshot and the answers. */
static void large_quantities_survive_a_rollback_and_a_snapshot(void **state)
{
    civic_engine *a = fresh_engine();
    civic_error err = CIVIC_ERROR_INIT;
    load_ok(a, "id,subject,type,ts,qty\n"
               "w1,s1,volunteer_hour,2024-01-01,3000000.5\n"
               "w2,s1,volunteer_hour,2024-01-02,2\n"
               "w3,s2,redeem,2024-01-03,30000000\n");
    const char *bad = "id,subject,type,ts,qty\n"
                      "w4,s1,volunteer_hour,2024-01-04,9000000\n"
                      "w5,s1,nosuchtype,2024-01-05,1\n";
    assert_int_equal(civic_engine_load(a, bad, strlen(bad), NULL, NULL, &err), CIVIC_E_EVENT);
    load_ok(a, "id,subject,type,ts,qty\n"
               "w6,s1,volunteer_hour,2024-01-06,4000000.125\n"
               "w1,s1,volunteer_hour,2024-01-01,3000000.5\n");
    assert_int_equal(civic_engine_event_count(a), 4);
    civic_record *rec = NULL;
    assert_int_equal(civic_engine_record(a, "s1", 1800000000, &rec), CIVIC_OK);
    int64_t want[] = { 3000000500, 2000, 4000000125 };
    assert_int_equal(civic_record_count(rec), 3);
    for (size_t i = 0; i < 3; i++) {
        civic_entry entry = CIVIC_ENTRY_INIT;
        assert_int_equal(civic_record_entry(rec, i, &entry), CIVIC_OK);
        assert_int_equal(entry.qty, want[i]);
    }
    civic_record_free(rec);
    assert_int_equal(civic_engine_save(a, path_in("wide.snap"), &err), CIVIC_OK);
    civic_engine *b = NULL;
    civic_rules *r = rules_from(RULES_TEXT);
    assert_int_equal(civic_engine_open_snapshot(&b, r, NULL, path_in("wide.snap"), &err), CIVIC_OK);
    civic_rules_free(r);
    assert_same_answers(a, b);
    civic_engine_free(a);
    civic_engine_free(b);
}

static void snapshot_of_an_empty_engine_loads_as_empty(void **state)
{
    civic_engine *a = fresh_engine();
    assert_int_equal(civic_engine_save(a, path_in("empty.snap"), NULL), CIVIC_OK);
    civic_error err = CIVIC_ERROR_INIT;
    assert_int_equal(load_into_fresh(path_in("empty.snap"), &err), CIVIC_OK);
    /* an empty path is said to be one, by each function that writes a file */
    assert_int_equal(civic_engine_save(a, "", &err), CIVIC_E_INVALID);
    assert_string_equal(err.message, "an empty path");
    assert_int_equal(civic_engine_compact(a, "", &err), CIVIC_E_INVALID);
    assert_string_equal(err.message, "an empty path");
    assert_int_equal(civic_engine_journal_open(a, "", CIVIC_SYNC_NONE, NULL, &err),
                     CIVIC_E_INVALID);
    assert_string_equal(err.message, "an empty path");
    civic_engine_free(a);
}

static void snapshot_save_leaves_no_temporary_file(void **state)
{
    civic_engine *a = engine_with_log(20);
    assert_int_equal(civic_engine_save(a, path_in("clean.snap"), NULL), CIVIC_OK);
    assert_int_equal(civic_engine_save(a, path_in("clean.snap"), NULL), CIVIC_OK);
    char cmd[256];
    snprintf(cmd, sizeof(cmd), "ls '%s' | grep -q 'clean.snap.tmp'", dir);
    assert_int_not_equal(system(cmd), 0);
    /* A save into a missing directory fails cleanly and says where. */
    civic_error err = CIVIC_ERROR_INIT;
    assert_int_equal(civic_engine_save(a, path_in("no/such/dir.snap"), &err), CIVIC_E_IO);
    assert_non_null(strstr(err.message, "no/such"));
    civic_engine_free(a);
}

static void snapshot_truncated_at_every_offset_is_rejected(void **state)
{
    civic_engine *a = engine_with_log(12);
    assert_int_equal(civic_engine_save(a, path_in("small.snap"), NULL), CIVIC_OK);
    size_t n;
    unsigned char *bytes = read_all(path_in("small.snap"), &n);
    assert_true(n > 100);
    for (size_t len = 0; len < n; len++) {
        write_all(path_in("cut.snap"), bytes, len);
        civic_error err = CIVIC_ERROR_INIT;
        int rc = load_into_fresh(path_in("cut.snap"), &err);
        if (rc != CIVIC_E_CORRUPT) fprintf(stderr, "length %zu: %d %s\n", len, rc, err.message);
        assert_int_equal(rc, CIVIC_E_CORRUPT);
        assert_int_equal(err.code, CIVIC_E_CORRUPT);
        assert_non_null(strstr(err.message, "cut.snap"));
    }
    free(bytes);
    civic_engine_free(a);
}

static void snapshot_with_any_flipped_bit_is_rejected(void **state)
{
    civic_engine *a = engine_with_log(12);
    assert_int_equal(civic_engine_save(a, path_in("flip.snap"), NULL), CIVIC_OK);
    size_t n;
    unsigned char *bytes = read_all(path_in("flip.snap"), &n);
    for (size_t i = 0; i < n; i++) {
        for (int bit = 0; bit < 8; bit += 7) {
            bytes[i] ^= (unsigned char)(1u << bit);
            write_all(path_in("bad.snap"), bytes, n);
            bytes[i] ^= (unsigned char)(1u << bit);
            civic_error err = CIVIC_ERROR_INIT;
            int rc = load_into_fresh(path_in("bad.snap"), &err);
            if (rc != CIVIC_E_CORRUPT) fprintf(stderr, "byte %zu: %d %s\n", i, rc, err.message);
            assert_int_equal(rc, CIVIC_E_CORRUPT);
        }
    }
    /* Bytes after the trailer are damage too. */
    unsigned char *longer = malloc(n + 1);
    memcpy(longer, bytes, n);
    longer[n] = '\n';
    write_all(path_in("bad.snap"), longer, n + 1);
    civic_error err = CIVIC_ERROR_INIT;
    assert_int_equal(load_into_fresh(path_in("bad.snap"), &err), CIVIC_E_CORRUPT);
    assert_non_null(strstr(err.message, "after the trailer"));
    free(longer);
    free(bytes);
    civic_engine_free(a);
}

/* A checksum says that what it covers is damaged, not where: a byte flipped
 * deep in a block used to be reported "damaged at byte 48" (the block's
 * first byte).  The message names the part the checksum covers, by its byte
 * range; err->offset stays that part's first byte for a block, the
 * checksum's own for the header and the trailer. */
static void a_checksum_mismatch_names_the_part_it_covers(void **state)
{
    (void)state;
    civic_engine *a = engine_with_log(40);
    assert_int_equal(civic_engine_save(a, path_in("sum.snap"), NULL), CIVIC_OK);
    civic_engine_free(a);
    size_t n;
    unsigned char *good = read_all(path_in("sum.snap"), &n);
    /* the layout, read by hand: a 48-byte header, then the first block's
     * tag, count, payload bytes and checksum (16 bytes), its payload, ...,
     * and a 32-byte trailer */
    assert_memory_equal(good + 48, "EVTS", 4);
    uint32_t payload = (uint32_t)good[56] | (uint32_t)good[57] << 8 |
                       (uint32_t)good[58] << 16 | (uint32_t)good[59] << 24;
    assert_true(payload > 100 && 48 + 16 + payload + 32 <= n);
    assert_memory_equal(good + n - 32, "CIVICEND", 8);
    char block[80], trailer[80];
    snprintf(block, sizeof(block), "is damaged in the block at bytes 48 to %u: block checksum "
             "mismatch", 48u + 16u + payload - 1u);
    snprintf(trailer, sizeof(trailer), "is damaged in its trailer at bytes %zu to %zu: file "
             "checksum mismatch", n - 32, n - 1);
    const struct { size_t at; const char *says; uint64_t offset; } cases[] = {
        { 48 + 16 + payload / 2, block, 48 },   /* deep in the block's payload */
        { 48 + 16 + payload - 1, block, 48 },   /* its last byte */
        { 61, block, 48 },                      /* its checksum */
        { 20, "is damaged in its header at bytes 0 to 47: header checksum mismatch", 44 },
        { n - 3, trailer, n - 4 },              /* the file checksum itself */
    };
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        unsigned char *bad = malloc(n);
        assert_non_null(bad);
        memcpy(bad, good, n);
        bad[cases[k].at] ^= 0x10;
        write_all(path_in("sum-bad.snap"), bad, n);
        free(bad);
        civic_error err = CIVIC_ERROR_INIT;
        assert_int_equal(load_into_fresh(path_in("sum-bad.snap"), &err), CIVIC_E_CORRUPT);
        if (!strstr(err.message, cases[k].says))
            fail_msg("byte %zu: \"%s\", not \"%s\"", cases[k].at, err.message, cases[k].says);
        assert_null(strstr(err.message, "damaged at byte"));
        assert_int_equal(err.offset, cases[k].offset);
    }
    free(good);
}

/* Recompute the header checksum after editing a header field. */
static uint32_t crc32c(const unsigned char *p, size_t n)
{
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
    }
    return ~c;
}

static uint32_t get_le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put_le32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i));
}

static void snapshot_with_wrong_magic_version_or_rules_is_named(void **state)
{
    civic_engine *a = engine_with_log(12);
    assert_int_equal(civic_engine_save(a, path_in("h.snap"), NULL), CIVIC_OK);
    size_t n;
    unsigned char *bytes = read_all(path_in("h.snap"), &n);
    civic_error err = CIVIC_ERROR_INIT;

    memcpy(bytes, "CIVICXXX", 8);
    put_le32(bytes + 44, crc32c(bytes, 44));
    write_all(path_in("m.snap"), bytes, n);
    assert_int_equal(load_into_fresh(path_in("m.snap"), &err), CIVIC_E_CORRUPT);
    assert_non_null(strstr(err.message, "magic"));
    memcpy(bytes, "CIVICSNP", 8);

    put_le32(bytes + 8, 3); /* 1 and 2 are read; 3 is from the future */
    put_le32(bytes + 44, crc32c(bytes, 44));
    write_all(path_in("v.snap"), bytes, n);
    assert_int_equal(load_into_fresh(path_in("v.snap"), &err), CIVIC_E_CORRUPT);
    assert_non_null(strstr(err.message, "version 3"));
    free(bytes);

    /* Saved under other rules: a mismatch, not damage. */
    civic_engine *o = engine_from(OTHER_RULES_TEXT);
    assert_int_equal(civic_engine_save(o, path_in("o.snap"), NULL), CIVIC_OK);
    assert_int_equal(load_into_fresh(path_in("o.snap"), &err), CIVIC_E_MISMATCH);
    assert_non_null(strstr(err.message, "other rules"));
    /* A file that is not a snapshot at all. */
    write_all(path_in("text.snap"), (const unsigned char *)"id,subject\n", 11);
    assert_int_equal(load_into_fresh(path_in("text.snap"), &err), CIVIC_E_CORRUPT);
    assert_int_equal(load_into_fresh(path_in("missing.snap"), &err), CIVIC_E_IO);
    civic_engine_free(o);
    civic_engine_free(a);
}

/* After a block of a snapshot of n bytes was edited: its checksum (over its
 * tag, count, length and payload) and the file's, made right again. */
static void reseal_block(unsigned char *file, size_t n, unsigned char *block)
{
    uint32_t len = (uint32_t)block[8] | (uint32_t)block[9] << 8 | (uint32_t)block[10] << 16 |
                   (uint32_t)block[11] << 24;
    unsigned char *framed = malloc(12 + (size_t)len);
    assert_non_null(framed);
    memcpy(framed, block, 12);
    memcpy(framed + 12, block + 16, len);
    put_le32(block + 12, crc32c(framed, 12 + (size_t)len));
    put_le32(file + n - 4, crc32c(file, n - 4));
    free(framed);
}

/* The bytes (*n of them) of a snapshot saved as `name` by an engine of 12
 * events purged at 2025-12-01 (*events left, optional); *hrzn: its horizon
 * block.  Free the bytes. */
static unsigned char *purged_snapshot(const char *name, uint64_t *events, size_t *n,
                                      unsigned char **hrzn)
{
    civic_engine *a = engine_with_log(12);
    assert_int_equal(civic_engine_purge(a, 1764518400, NULL, NULL), CIVIC_OK);
    assert_int_equal(civic_engine_save(a, path_in(name), NULL), CIVIC_OK);
    if (events) *events = civic_engine_event_count(a);
    civic_engine_free(a);
    unsigned char *bytes = read_all(path_in(name), n);
    *hrzn = NULL;
    for (size_t i = 48; i + 32 <= *n && !*hrzn; i++)
        if (memcmp(bytes + i, "HRZN", 4) == 0) *hrzn = bytes + i;
    assert_non_null(*hrzn);
    return bytes;
}

/* A snapshot's purge horizon is checked as a purge checks it: one outside
 * the range of times (checksums right) is damage.  It was taken, and every
 * answer before it, to 146 billion years from now, was "purged". */
static void snapshot_with_a_horizon_out_of_range_is_corrupt(void **state)
{
    (void)state;
    size_t n;
    unsigned char *at, *bytes = purged_snapshot("hz.snap", NULL, &n, &at);
    const int64_t bad[] = { (int64_t)1 << 62, INT64_MIN, CIVIC_TIME_MAX + 1 };
    for (size_t k = 0; k < 3; k++) {
        for (int i = 0; i < 8; i++) at[16 + i] = (unsigned char)((uint64_t)bad[k] >> (8 * i));
        reseal_block(bytes, n, at);
        write_all(path_in("hz2.snap"), bytes, n);
        civic_error err = CIVIC_ERROR_INIT;
        assert_int_equal(load_into_fresh(path_in("hz2.snap"), &err), CIVIC_E_CORRUPT);
        assert_non_null(strstr(err.message, "purge horizon out of range"));
    }
    /* the horizon right, its purge count 0: a horizon comes with a purge */
    for (int i = 0; i < 8; i++) at[16 + i] = (unsigned char)((uint64_t)1764518400 >> (8 * i));
    assert_int_equal(at[8], 16); /* the payload: the horizon, then the count */
    memset(at + 24, 0, 8);
    reseal_block(bytes, n, at);
    write_all(path_in("hz3.snap"), bytes, n);
    civic_error err = CIVIC_ERROR_INIT;
    assert_int_equal(load_into_fresh(path_in("hz3.snap"), &err), CIVIC_E_CORRUPT);
    assert_non_null(strstr(err.message, "bad purge count"));
    /* a count no engine reaches: the next purge would wrap it to 0, and the
     * journal record it writes would be refused on the next open */
    memset(at + 24, 0xff, 8);
    reseal_block(bytes, n, at);
    write_all(path_in("hz4.snap"), bytes, n);
    assert_int_equal(load_into_fresh(path_in("hz4.snap"), &err), CIVIC_E_CORRUPT);
    assert_non_null(strstr(err.message, "bad purge count"));
    /* the most a file may say (2^62) loads; the engine then makes no more
     * purges (one more would be a count the files refuse), and what it
     * saves loads */
    memset(at + 24, 0, 8);
    at[24 + 7] = 0x40;
    reseal_block(bytes, n, at);
    write_all(path_in("hz5.snap"), bytes, n);
    civic_engine *e = fresh_engine();
    assert_int_equal(civic_engine_load_snapshot(e, path_in("hz5.snap"), &err), CIVIC_OK);
    assert_int_equal(civic_engine_purge(e, 1767225600, NULL, &err), CIVIC_E_LIMIT);
    assert_non_null(strstr(err.message, "2^62 purges"));
    assert_int_equal(civic_engine_purge_horizon(e), 1764518400);
    assert_int_equal(civic_engine_save(e, path_in("hz6.snap"), NULL), CIVIC_OK);
    civic_engine_free(e);
    assert_int_equal(load_into_fresh(path_in("hz6.snap"), &err), CIVIC_OK);
    free(bytes);
}

/* A snapshot of an earlier 1.1 build: its horizon block holds the horizon
 * alone (8 bytes, no purge count).  It loads, and the engine saves it again
 * as a file that loads (a count of 0 written would be refused as damage). */
static void snapshot_with_a_horizon_but_no_purge_count_loads(void **state)
{
    (void)state;
    uint64_t events;
    size_t n;
    unsigned char *at, *b = purged_snapshot("hz8.snap", &events, &n, &at);
    assert_int_equal(at[8], 16);
    /* cut the count: the block's length, its checksum, then the trailer's
     * file length and checksum */
    size_t cut = (size_t)(at + 32 - b);
    memmove(at + 24, at + 32, n - cut);
    n -= 8;
    put_le32(at + 8, 8);
    unsigned char *trailer = b + n - 32;
    assert_memory_equal(trailer, "CIVICEND", 8);
    for (int i = 0; i < 8; i++) trailer[16 + i] = (unsigned char)((uint64_t)n >> (8 * i));
    reseal_block(b, n, at);
    write_all(path_in("hz8b.snap"), b, n);
    free(b);
    civic_error err = CIVIC_ERROR_INIT;
    civic_engine *e = fresh_engine();
    assert_int_equal(civic_engine_load_snapshot(e, path_in("hz8b.snap"), &err), CIVIC_OK);
    assert_int_equal(civic_engine_purge_horizon(e), 1764518400);
    assert_int_equal(civic_engine_event_count(e), events);
    assert_int_equal(civic_engine_save(e, path_in("hz8c.snap"), NULL), CIVIC_OK);
    civic_engine_free(e);
    e = fresh_engine();
    assert_int_equal(civic_engine_load_snapshot(e, path_in("hz8c.snap"), &err), CIVIC_OK);
    assert_int_equal(civic_engine_purge_horizon(e), 1764518400);
    civic_engine_free(e);
}

/* A file that holds one id twice with different fields (checksums right) is
 * damaged, not a conflict with the engine. */
static void snapshot_holding_one_id_twice_is_corrupt(void **state)
{
    civic_engine *a = fresh_engine();
    load_ok(a, "id,subject,type,ts\naa,s,fine,2023-01-01\nab,s,fine,2023-02-01\n");
    assert_int_equal(civic_engine_save(a, path_in("twice.snap"), NULL), CIVIC_OK);
    size_t n;
    unsigned char *b = read_all(path_in("twice.snap"), &n);
    unsigned char *hit = NULL;
    for (size_t i = 48; i + 3 <= n; i++)
        if (memcmp(b + i, "\x02" "ab", 3) == 0) hit = b + i;
    assert_non_null(hit);
    hit[2] = 'a';
    reseal_block(b, n, b + 48);
    write_all(path_in("twice2.snap"), b, n);
    civic_error err = CIVIC_ERROR_INIT;
    assert_int_equal(load_into_fresh(path_in("twice2.snap"), &err), CIVIC_E_CORRUPT);
    assert_non_null(strstr(err.message, "twice"));
    free(b);
    civic_engine_free(a);
}

static void snapshot_loads_as_one_batch_into_a_busy_engine(void **state)
{
    civic_engine *a = engine_with_log(50);
    assert_int_equal(civic_engine_save(a, path_in("b.snap"), NULL), CIVIC_OK);
    /* Overlapping events are duplicates. */
    civic_engine *b = fresh_engine();
    char *half = make_log(25, "e");
    load_ok(b, half);
    free(half);
    assert_int_equal(civic_engine_load_snapshot(b, path_in("b.snap"), NULL), CIVIC_OK);
    assert_same_answers(a, b);
    /* A conflicting id fails the whole load and changes nothing. */
    civic_engine *c = fresh_engine();
    load_ok(c, "id,subject,type,ts\ne3,someone-else,fine,2023-01-01\n");
    civic_error err = CIVIC_ERROR_INIT;
    assert_int_equal(civic_engine_load_snapshot(c, path_in("b.snap"), &err), CIVIC_E_CONFLICT);
    assert_int_equal(civic_engine_event_count(c), 1);
    assert_int_equal(civic_engine_subject_count(c), 1);
    /* events_max counts too. */
    civic_rules *r = rules_from(RULES_TEXT);
    civic_engine_options opts = CIVIC_ENGINE_OPTIONS_INIT;
    opts.events_max = 10;
    civic_engine *d = NULL;
    assert_int_equal(civic_engine_open_snapshot(&d, r, &opts, path_in("b.snap"), &err),
                     CIVIC_E_LIMIT);
    assert_null(d);
    civic_rules_free(r);
    civic_engine_free(a);
    civic_engine_free(b);
    civic_engine_free(c);
}

/* ------------------------------------------------------------ journal */

static civic_engine *journaled(const char *name, uint32_t policy, civic_journal_report *rep)
{
    civic_engine *e = fresh_engine();
    civic_error err = CIVIC_ERROR_INIT;
    int rc = civic_engine_journal_open(e, path_in(name), policy, rep, &err);
    if (rc != CIVIC_OK) fprintf(stderr, "journal_open: %s\n", err.message);
    assert_int_equal(rc, CIVIC_OK);
    return e;
}

static void add_one(civic_engine *e, const char *id, const char *type, const char *ts)
{
    civic_event ev = event_of(id, "solo", type, ts);
    civic_error err = CIVIC_ERROR_INIT;
    assert_int_equal(civic_engine_add(e, &ev, &err), CIVIC_OK);
}

/* A save or compaction onto a directory is told as the open of one is,
 * "cannot save snapshot D: Is a directory" (it said "cannot rename", a
 * step the caller never asked for), and so is a name ending in '/', which
 * only a directory can have; the directory and the one it is in are left
 * as they were, and the journal stays attached. */
static void a_snapshot_onto_a_directory_is_told_so(void **state)
{
    (void)state;
    char expect[512], given[300], link_to[300];
    civic_error err = CIVIC_ERROR_INIT;
    civic_engine *e = engine_with_log(10);
    assert_int_equal(mkdir(path_in("ondir"), 0755), 0);
    assert_int_equal(mkdir(path_in("ondir/d"), 0755), 0);
    snprintf(link_to, sizeof(link_to), "%s", path_in("ondir/d"));
    assert_int_equal(symlink(link_to, path_in("ondir/to_d")), 0);
    write_all(path_in("ondir/f"), (const unsigned char *)"x", 1);
    static const struct { const char *name, *cause; } cases[] = {
        { "ondir/d", "Is a directory" },      { "ondir/d/", "Is a directory" },
        { "ondir/d/.", "Is a directory" },    { "ondir/to_d", "Is a directory" },
        { "ondir/none/", "Is a directory" },  { "ondir/f/", "Not a directory" },
    };
    for (int journaled = 0; journaled < 2; journaled++) {
        if (journaled)
            assert_int_equal(civic_engine_journal_open(e, path_in("ondir/j.jnl"), CIVIC_SYNC_NONE,
                                                       NULL, &err),
                             CIVIC_OK);
        for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
            snprintf(given, sizeof(given), "%s", path_in(cases[k].name));
            snprintf(expect, sizeof(expect), "cannot save snapshot %s: %s", given, cases[k].cause);
            assert_int_equal(civic_engine_save(e, given, &err), CIVIC_E_IO);
            assert_string_equal(err.message, expect);
            assert_int_equal(civic_engine_compact(e, given, &err), CIVIC_E_IO);
            assert_string_equal(err.message, expect);
        }
    }
    /* nothing made in either directory; the journal takes writes */
    size_t n;
    char **names = names_in("ondir", &n);
    assert_int_equal(n, 4);
    assert_string_equal(names[0], "d");
    assert_string_equal(names[1], "f");
    assert_string_equal(names[2], "j.jnl");
    assert_string_equal(names[3], "to_d");
    free_names(names, n);
    names = names_in("ondir/d", &n);
    assert_int_equal(n, 0);
    free_names(names, n);
    add_one(e, "after_dir", "fine", "2024-01-01");
    /* a journal opened on a directory says so as open(2) does */
    civic_engine *other = fresh_engine();
    snprintf(expect, sizeof(expect), "journal %s: cannot open: Is a directory", link_to);
    assert_int_equal(civic_engine_journal_open(other, link_to, CIVIC_SYNC_NONE, NULL, &err),
                     CIVIC_E_IO);
    assert_string_equal(err.message, expect);
    civic_engine_free(other);
    civic_engine_free(e);
}

/* A compaction whose very last step fails (the directory sync after the new,
 * empty journal took the path: here for want of a descriptor) has left the
 * snapshot and the new journal holding every event.  The engine used to go
 * on appending to the old file, which had no name left: an add after it was
 * acknowledged and gone at the next open.  Writes are refused until the
 * journal is opened again, and nothing acknowledged is lost. */
static void a_compaction_whose_directory_sync_fails_loses_nothing(void **state)
{
    (void)state;
    struct rlimit saved, low;
    assert_int_equal(getrlimit(RLIMIT_NOFILE, &saved), 0);
    low = saved;
    low.rlim_cur = 256;
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
    civic_engine *e = journaled("dsync.jnl", CIVIC_SYNC_ALWAYS, NULL);
    add_one(e, "d1", "fine", "2024-01-01");
    civic_error err = CIVIC_ERROR_INIT;
    int rc = CIVIC_OK;
    bool reached = false;
    for (int spare = 0; spare < 16 && !reached; spare++) {
        int fds[256];
        size_t k = 0;
        int f;
        while (k < 256 && (f = open("/dev/null", O_RDONLY)) >= 0) fds[k++] = f;
        if (k == 256) { /* the limit is not enforced (valgrind keeps its own) */
            while (k) close(fds[--k]);
            assert_int_equal(setrlimit(RLIMIT_NOFILE, &saved), 0);
            civic_engine_free(e);
            skip();
        }
        for (int i = 0; i < spare && k; i++) close(fds[--k]);
        rc = civic_engine_compact(e, path_in("dsync.snap"), &err);
        while (k) close(fds[--k]);
        if (rc == CIVIC_OK) break;
        reached = strstr(err.message, "sync its directory") != NULL;
    }
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &saved), 0);
    if (!reached) fail_msg("no descriptor budget failed the compaction at its last step");
    assert_int_equal(rc, CIVIC_E_IO);
    civic_event ev = event_of("d2", "solo", "fine", "2024-01-02");
    assert_int_equal(civic_engine_add(e, &ev, &err), CIVIC_E_IO);
    assert_non_null(strstr(err.message, "close and reopen"));
    assert_int_equal(civic_engine_event_count(e), 1);
    /* closing says why it fails, not that its own final sync did */
    assert_int_equal(civic_engine_journal_close(e, &err), CIVIC_E_IO);
    assert_non_null(strstr(err.message, "closed after an earlier failed write or sync"));
    civic_engine_free(e);
    /* The rename may not be durable yet: opening the journal syncs its
     * directory before anything is appended (with no descriptor to spare
     * for the directory, the open fails and says so). */
    civic_engine *c = fresh_engine();
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
    int fds[256];
    size_t k = 0;
    int f;
    while (k < 256 && (f = open("/dev/null", O_RDONLY)) >= 0) fds[k++] = f;
    close(fds[--k]); /* one: the journal's own */
    rc = civic_engine_journal_open(c, path_in("dsync.jnl"), CIVIC_SYNC_ALWAYS, NULL, &err);
    while (k) close(fds[--k]);
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &saved), 0);
    assert_int_equal(rc, CIVIC_E_IO);
    assert_non_null(strstr(err.message, "sync its directory"));
    civic_engine_free(c);
    for (int round = 0; round < 2; round++) { /* the snapshot, then the journal */
        civic_engine *b = fresh_engine();
        assert_int_equal(civic_engine_load_snapshot(b, path_in("dsync.snap"), &err), CIVIC_OK);
        assert_int_equal(civic_engine_journal_open(b, path_in("dsync.jnl"), CIVIC_SYNC_ALWAYS,
                                                   NULL, &err),
                         CIVIC_OK);
        assert_int_equal(civic_engine_event_count(b), (size_t)(1 + round));
        if (round == 0) add_one(b, "d2", "fine", "2024-01-02");
        civic_engine_free(b);
    }
}

static void journal_replays_every_acknowledged_batch(void **state)
{
    const uint32_t policies[] = { CIVIC_SYNC_ALWAYS, CIVIC_SYNC_GROUP | CIVIC_SYNC_INTERVAL_MS(5),
                                  CIVIC_SYNC_NONE };
    for (int p = 0; p < 3; p++) {
        char name[32];
        snprintf(name, sizeof(name), "replay%d.jnl", p);
        civic_journal_report rep = CIVIC_JOURNAL_REPORT_INIT;
        civic_engine *a = journaled(name, policies[p], &rep);
        assert_int_equal(rep.created, 1);
        assert_int_equal(rep.batches, 0);
        char *log = make_log(300, "e");
        load_ok(a, log);
        load_ok(a, log); /* all duplicates: nothing to journal */
        free(log);
        add_one(a, "x1", "fine", "2024-01-01");
        add_one(a, "x2", "dog", "2024-02-01");
        assert_int_equal(civic_engine_journal_sync(a, NULL), CIVIC_OK);
        char copy[40];
        snprintf(copy, sizeof(copy), "copy-%s", name);
        copy_file(path_in(name), path_in(copy));
        civic_engine *b = journaled(copy, CIVIC_SYNC_ALWAYS, &rep);
        assert_int_equal(rep.created, 0);
        assert_int_equal(rep.batches, 3);
        assert_int_equal(rep.events, 302);
        assert_int_equal(rep.accepted, 302);
        assert_int_equal(rep.bytes_truncated, 0);
        assert_same_answers(a, b);
        civic_engine_free(a);
        civic_engine_free(b);
    }
}

/* A message is valid UTF-8 and ends with `tail`: the reason, kept however
 * long the path. */
static void message_keeps_its_reason(const char *message, const char *tail)
{
    size_t m = strlen(message), t = strlen(tail);
    if (m < t || strcmp(message + m - t, tail) != 0) fprintf(stderr, "message: %s\n", message);
    assert_true(m >= t && strcmp(message + m - t, tail) == 0);
    for (size_t i = 0; i < m;) { /* every character whole */
        unsigned char c = (unsigned char)message[i];
        size_t len = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
        assert_true(c < 0x80 || c >= 0xC0);
        assert_true(i + len <= m);
        for (size_t k = 1; k < len; k++)
            assert_int_equal((unsigned char)message[i + k] & 0xC0, 0x80);
        i += len;
    }
}

/* Paths of 600 bytes and more, in characters of two and four bytes: the
 * journal's and the snapshot's messages cut the path in the middle, never
 * a character, and keep the reason (they were cut at 255 bytes). */
static void messages_about_long_paths_keep_their_reason(void **state)
{
    char dir_path[1024];
    snprintf(dir_path, sizeof(dir_path), "%s", path_in(""));
    for (int level = 0; level < 4; level++) {
        size_t k = strlen(dir_path);
        for (int i = 0; i < 35; i++) /* U+00E9 and U+1F600: 35 x 6 bytes a level */
            k += (size_t)snprintf(dir_path + k, sizeof(dir_path) - k, "\xc3\xa9\xf0\x9f\x98\x80");
        snprintf(dir_path + k, sizeof(dir_path) - k, "/");
        assert_true(mkdir(dir_path, 0700) == 0 || errno == EEXIST);
    }
    char jnl[1100], snap[1100];
    snprintf(jnl, sizeof(jnl), "%sx.jnl", dir_path);
    snprintf(snap, sizeof(snap), "%sx.snap", dir_path);
    write_all(jnl, (const unsigned char *)"NOT A JOURNAL, NOT AT ALL, NOT EVEN CLOSE", 41);
    civic_engine *e = fresh_engine();
    civic_error err = CIVIC_ERROR_INIT;
    assert_int_equal(civic_engine_journal_open(e, jnl, CIVIC_SYNC_ALWAYS, NULL, &err),
                     CIVIC_E_CORRUPT);
    message_keeps_its_reason(err.message, "not a libcivic journal (bad magic)");
    /* a journal given for the snapshot is named, not called damaged */
    write_all(snap, (const unsigned char *)"CIVICJNLxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", 51);
    assert_int_equal(civic_engine_load_snapshot(e, snap, &err), CIVIC_E_CORRUPT);
    assert_non_null(strstr(err.message, "not a libcivic snapshot (it is a libcivic journal)"));
    assert_null(strstr(err.message, "damaged"));
    write_all(snap, (const unsigned char *)"CIVICJNLxx", 10); /* a short one too */
    assert_int_equal(civic_engine_load_snapshot(e, snap, &err), CIVIC_E_CORRUPT);
    assert_non_null(strstr(err.message, "not a libcivic snapshot (it is a libcivic journal)"));
    write_all(snap, (const unsigned char *)"CIVICSNPxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", 41);
    assert_int_equal(civic_engine_load_snapshot(e, snap, &err), CIVIC_E_CORRUPT);
    assert_non_null(strstr(err.message, "is damaged at byte"));
    message_keeps_its_reason(err.message, err.message + strlen(err.message) - 8);
    /* shorter than a header, and no snapshot's bytes (a text, a CSV log's
     * header): no libcivic file, not one cut short ("truncated header") */
    static const char *const texts[] = { "hello world, not a snapshot\n", "id,subject,type,ts\n",
                                         "x" };
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        write_all(snap, (const unsigned char *)texts[i], strlen(texts[i]));
        assert_int_equal(civic_engine_load_snapshot(e, snap, &err), CIVIC_E_CORRUPT);
        message_keeps_its_reason(err.message, "not a libcivic snapshot (bad magic)");
        assert_null(strstr(err.message, "damaged")); /* no libcivic file, not a damaged one */
    }
    write_all(snap, (const unsigned char *)"CIVICSN", 7); /* a snapshot's start: cut short */
    assert_int_equal(civic_engine_load_snapshot(e, snap, &err), CIVIC_E_CORRUPT);
    message_keeps_its_reason(err.message, "truncated header");
    /* of no bytes at all: empty, not damaged at byte 0 (a journal of none is
     * told it is empty too) */
    write_all(snap, (const unsigned char *)"", 0);
    assert_int_equal(civic_engine_load_snapshot(e, snap, &err), CIVIC_E_CORRUPT);
    message_keeps_its_reason(err.message, "is empty (0 bytes: cut, or restored without its "
                                          "contents)");
    assert_null(strstr(err.message, "damaged"));
    civic_engine_free(e);
}

/* A program started with stdin, stdout or stderr closed: the journal and
 * the snapshot must not take that descriptor, or whatever the program then
 * prints lands in them (civic-server's "listening" line over a journal's
 * header, which then refused to open). */
static void files_written_never_take_a_closed_standard_descriptor(void **state)
{
    for (int fd = 0; fd <= 2; fd++) {
        char jnl[32], snap[32];
        snprintf(jnl, sizeof(jnl), "stdio%d.jnl", fd);
        snprintf(snap, sizeof(snap), "stdio%d.snap", fd);
        int saved = dup(fd);
        assert_true(saved > 2);
        for (int round = 0; round < 2; round++) { /* create, then open an existing one */
            close(fd);
            civic_engine *a = journaled(jnl, CIVIC_SYNC_ALWAYS, NULL);
            add_one(a, round ? "x2" : "x1", "fine", round ? "2024-02-01" : "2024-01-01");
            int rc = civic_engine_save(a, path_in(snap), NULL);
            /* what the program prints goes nowhere: the slot is still free */
            ssize_t wrote = write(fd, "NOT A JOURNAL", 13);
            int err = errno;
            assert_int_equal(dup2(saved, fd), fd);
            assert_int_equal(rc, CIVIC_OK);
            assert_int_equal(wrote, -1);
            assert_int_equal(err, EBADF);
            civic_engine_free(a);
        }
        close(saved);
        civic_journal_report rep = CIVIC_JOURNAL_REPORT_INIT;
        civic_engine *b = journaled(jnl, CIVIC_SYNC_ALWAYS, &rep);
        assert_int_equal(rep.batches, 2);
        assert_int_equal(rep.accepted, 2);
        civic_engine *c = fresh_engine();
        assert_int_equal(civic_engine_load_snapshot(c, path_in(snap), NULL), CIVIC_OK);
        assert_same_answers(b, c);
        civic_engine_free(b);
        civic_engine_free(c);
    }
}

/* A child that fork() made shares the journal's descriptor but not its
 * lock's protection nor its sync thread: its writes would land where the
 * parent's next batch overwrites them (acknowledged, then lost).  The
 * child's writes, syncs and compactions are refused, its engine unchanged;
 * freeing it there neither hangs (no sync thread to join) nor cuts the
 * parent's file; the parent's batches all replay. */
static void a_forked_child_cannot_write_the_parents_journal(void **state)
{
    (void)state;
    const uint32_t policies[] = { CIVIC_SYNC_ALWAYS, CIVIC_SYNC_GROUP | CIVIC_SYNC_INTERVAL_MS(5),
                                  CIVIC_SYNC_NONE };
    for (int p = 0; p < 3; p++) {
        char name[32];
        snprintf(name, sizeof(name), "fork%d.jnl", p);
        civic_engine *a = journaled(name, policies[p], NULL);
        add_one(a, "p0", "fine", "2024-01-01");
        fflush(NULL);
        int verdict[2];
        assert_int_equal(pipe(verdict), 0);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            close(verdict[0]);
            alarm(20); /* a hang fails the test */
            civic_event ev = event_of("c0", "solo", "fine", "2024-01-02");
            civic_error err = CIVIC_ERROR_INIT;
            int bad = 0;
            bad |= civic_engine_add(a, &ev, &err) != CIVIC_E_IO;
            bad |= strstr(err.message, "after fork()") == NULL;
            bad |= civic_engine_event_count(a) != 1;
            bad |= civic_engine_journal_sync(a, NULL) != CIVIC_E_IO;
            bad |= civic_engine_compact(a, path_in("fork.snap"), NULL) != CIVIC_E_IO;
            civic_engine_free(a);
            char v = bad ? 'F' : 'K'; /* the verdict, not the exit status: under valgrind
                                         that is valgrind's, for what the child inherited */
            if (write(verdict[1], &v, 1) != 1) bad = 1;
            _exit(bad ? 3 : 0);
        }
        close(verdict[1]);
        char v = 0;
        ssize_t got = read(verdict[0], &v, 1);
        close(verdict[0]);
        int status = 0;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status)); /* no hang (alarm), no crash */
        assert_int_equal(got, 1);
        assert_int_equal(v, 'K');
        add_one(a, "p1", "fine", "2024-01-03");
        civic_engine_free(a);
        civic_journal_report rep = CIVIC_JOURNAL_REPORT_INIT;
        civic_engine *b = journaled(name, CIVIC_SYNC_ALWAYS, &rep);
        assert_int_equal(rep.batches, 2);
        assert_int_equal(civic_engine_event_count(b), 2);
        civic_engine_free(b);
    }
}

/* The descriptors open now (a bitmap of the first 1024), without the one
 * that reads /proc/self/fd itself. */
static void open_fds(bool open[1024])
{
    memset(open, 0, 1024 * sizeof(bool));
    DIR *d = opendir("/proc/self/fd");
    if (!d) skip(); /* no /proc */
    const struct dirent *ent;
    while ((ent = readdir(d)) != NULL) {
        char *end;
        long fd = strtol(ent->d_name, &end, 10);
        if (*end == '\0' && end != ent->d_name && fd >= 0 && fd < 1024 && fd != dirfd(d))
            open[fd] = true;
    }
    closedir(d);
}

/* How many descriptors opened since `before` a program started now would
 * inherit (no FD_CLOEXEC); *opened gets how many were opened at all. */
static int inheritable_since(const bool before[1024], int *opened)
{
    bool now[1024];
    open_fds(now);
    int bad = 0;
    *opened = 0;
    for (int fd = 0; fd < 1024; fd++) {
        if (!now[fd] || before[fd]) continue;
        ++*opened;
        int flags = fcntl(fd, F_GETFD);
        if (flags < 0 || !(flags & FD_CLOEXEC)) bad++;
    }
    return bad;
}

/* Every descriptor the library opens is close-on-exec from the moment it
 * is made: the journal it creates, the one a compaction installs, a
 * snapshot's temporary file, the directory it syncs, the temporary files
 * it sweeps and the files it reads.  Without it, a program the host starts
 * meanwhile (system, popen, posix_spawn) inherits the descriptor. */
static void descriptors_the_library_opens_are_close_on_exec(void **state)
{
    (void)state;
    bool before[1024];
    int opened = 0;
    open_fds(before);
    inheritable_seen = 0;
    watch_exec = true;
    civic_engine *e = journaled("exec.jnl", CIVIC_SYNC_ALWAYS, NULL); /* a new file */
    int created = inheritable_since(before, &opened);
    int held_after_create = opened;
    add_one(e, "x1", "fine", "2024-01-01");
    touch(path_in("exec.snap.tmp.civic.Stale1")); /* for the save's sweep to open */
    civic_error err = CIVIC_ERROR_INIT;
    assert_int_equal(civic_engine_save(e, path_in("exec.snap"), &err), CIVIC_OK);
    touch(path_in("exec.snap.tmp.civic.Stale2"));
    assert_int_equal(civic_engine_compact(e, path_in("exec.snap"), &err), CIVIC_OK);
    int compacted = inheritable_since(before, &opened);
    int held_after_compact = opened;
    FILE *f = civic__fopen_read(path_in("exec.snap"));
    assert_non_null(f);
    int flags = fcntl(fileno(f), F_GETFD);
    fclose(f);
    civic_engine_free(e);
    civic_engine *b = fresh_engine(); /* opening an existing journal */
    assert_int_equal(civic_engine_load_snapshot(b, path_in("exec.snap"), &err), CIVIC_OK);
    assert_int_equal(civic_engine_journal_open(b, path_in("exec.jnl"), CIVIC_SYNC_ALWAYS, NULL,
                                               &err),
                     CIVIC_OK);
    int reopened = inheritable_since(before, &opened);
    civic_engine_free(b);
    watch_exec = false;
    assert_true(held_after_create >= 1);  /* the journal's descriptor, at least */
    assert_true(held_after_compact >= 1);
    assert_int_equal(created, 0);
    assert_int_equal(compacted, 0);
    assert_int_equal(reopened, 0);
    assert_true(flags >= 0 && (flags & FD_CLOEXEC));
    assert_int_equal(inheritable_seen, 0); /* synced or closed: temporary files, directories */
}

/* A program the host starts while a journal is open (here `sleep`, through
 * posix_spawn) must not keep the journal's descriptor, and with it the
 * journal's lock: after the engine is freed, another engine opens the
 * journal at once, not only once the program has exited.  Both for a
 * journal the open created and for the one a compaction installed. */
static void a_spawned_program_keeps_no_journal_locked(void **state)
{
    (void)state;
    extern char **environ;
    for (int round = 0; round < 2; round++) { /* created, then compacted */
        civic_engine *e = journaled("spawn.jnl", CIVIC_SYNC_ALWAYS, NULL);
        add_one(e, round ? "s2" : "s1", "fine", round ? "2024-01-02" : "2024-01-01");
        if (round == 1) assert_int_equal(civic_engine_compact(e, path_in("spawn.snap"), NULL),
                                         CIVIC_OK);
        char *argv[] = { "sleep", "30", NULL };
        pid_t pid;
        int execd[2]; /* reads end of file once the child has exec'd (or died) */
        assert_int_equal(pipe2(execd, O_CLOEXEC), 0);
        assert_int_equal(posix_spawnp(&pid, "sleep", NULL, NULL, argv, environ), 0);
        close(execd[1]);
        /* posix_spawn returns after the exec, but under valgrind the child
         * runs on beside the parent, holding every descriptor, until then */
        char c;
        assert_int_equal(read(execd[0], &c, 1), 0);
        close(execd[0]);
        civic_engine_free(e);
        civic_engine *b = fresh_engine();
        civic_error err = CIVIC_ERROR_INIT;
        if (round == 1) assert_int_equal(civic_engine_load_snapshot(b, path_in("spawn.snap"), &err),
                                         CIVIC_OK);
        int rc = civic_engine_journal_open(b, path_in("spawn.jnl"), CIVIC_SYNC_ALWAYS, NULL, &err);
        kill(pid, SIGKILL);
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        if (rc != CIVIC_OK) fail_msg("round %d: %s", round, err.message);
        assert_int_equal(civic_engine_event_count(b), (size_t)(round + 1));
        civic_engine_free(b);
    }
}

/* A journal records events and its own engine's purges.  A snapshot that
 * holds a purge made elsewhere (its horizon, the tombstones of events the
 * engine never held) was journaled as its events only: recovered from the
 * journal, the engine answered before the horizon and took a purged event
 * again.  It is refused while a journal is attached (the engine unchanged,
 * nothing journaled); loaded first, then the journal opened (the recovery
 * order), it keeps the purge; the engine's own snapshot loads again. */
static void a_snapshot_holding_a_purge_is_not_half_journaled(void **state)
{
    (void)state;
    const char *rules = TEST_SCHEME "[rule.fine]\npoints = -10\nretain = \"1y\"\naffects = \"score\"\n"
                        "[rule.hour]\npoints = 1\n";
    const char *log = "id,subject,type,ts\na1,r1,fine,2019-03-01\na2,r1,hour,2024-02-01\n";
    civic_engine *m = engine_from(rules);
    load_ok(m, log);
    int64_t h = 1764518400; /* 2025-12-01 */
    assert_int_equal(civic_engine_purge(m, h, NULL, NULL), CIVIC_OK);
    assert_int_equal(civic_engine_event_count(m), 1);
    assert_int_equal(civic_engine_save(m, path_in("purged.snap"), NULL), CIVIC_OK);

    civic_engine *e = engine_from(rules);
    civic_error err = CIVIC_ERROR_INIT;
    assert_int_equal(civic_engine_journal_open(e, path_in("purged.jnl"), CIVIC_SYNC_ALWAYS, NULL, &err),
                     CIVIC_OK);
    assert_int_equal(civic_engine_load_snapshot(e, path_in("purged.snap"), &err), CIVIC_E_INVALID);
    assert_non_null(strstr(err.message, "holds a purge"));
    assert_int_equal(civic_engine_event_count(e), 0);
    assert_int_equal(civic_engine_purge_horizon(e), CIVIC_NO_TIME);
    civic_engine_free(e);
    civic_journal_report rep = CIVIC_JOURNAL_REPORT_INIT;
    e = engine_from(rules);
    assert_int_equal(civic_engine_journal_open(e, path_in("purged.jnl"), CIVIC_SYNC_ALWAYS, &rep, &err),
                     CIVIC_OK);
    assert_int_equal(rep.batches, 0); /* nothing was journaled */
    civic_engine_free(e);

    /* the recovery order: snapshot, then journal; the purge holds after a restart */
    for (int round = 0; round < 2; round++) {
        e = engine_from(rules);
        assert_int_equal(civic_engine_load_snapshot(e, path_in("purged.snap"), &err), CIVIC_OK);
        assert_int_equal(civic_engine_journal_open(e, path_in("purged.jnl"), CIVIC_SYNC_ALWAYS, NULL,
                                                   &err), CIVIC_OK);
        assert_int_equal(civic_engine_purge_horizon(e), h);
        civic_event ev = event_of("a1", "r1", "fine", "2019-03-01");
        assert_int_equal(civic_engine_add(e, &ev, NULL), CIVIC_DUPLICATE); /* its tombstone */
        /* its own snapshot, tombstones and all, loads again with the journal on */
        assert_int_equal(civic_engine_load_snapshot(e, path_in("purged.snap"), &err), CIVIC_OK);
        civic_engine_free(e);
    }
    civic_engine_free(m);

    /* Act tombstones: a refused load leaves the engine's own as they were.
     * They were sorted in before the refusal cut the array back, so the cut
     * dropped the engine's own tombstone of (z, a) and kept the foreign one
     * of (b, a) (b sorts first), or raised an archival instant it kept. */
    const char *acts_m = "id,subject,type,ts,act\nm1,b,fine,2019-03-01,a\n";
    const char *acts_e = "id,subject,type,ts,act\nx0,b,hour,2024-01-01,\ne1,z,fine,2019-03-01,a\n";
    m = engine_from(rules);
    load_ok(m, acts_m);
    assert_int_equal(civic_engine_purge(m, h, NULL, NULL), CIVIC_OK);
    assert_int_equal(civic_engine_save(m, path_in("acts.snap"), NULL), CIVIC_OK);
    e = engine_from(rules);
    load_ok(e, acts_e); /* b is interned before z */
    assert_int_equal(civic_engine_purge(e, h, NULL, NULL), CIVIC_OK);
    assert_int_equal(civic_engine_journal_open(e, path_in("acts.jnl"), CIVIC_SYNC_ALWAYS, NULL, &err),
                     CIVIC_OK);
    assert_int_equal(civic_engine_load_snapshot(e, path_in("acts.snap"), &err), CIVIC_E_INVALID);
    /* members of act a dated before its archival: z's is archived on arrival
     * (its act was purged here), b's counts (b's act a was purged elsewhere) */
    load_ok(e, "id,subject,type,ts,act\nn1,z,hour,2019-02-01,a\nk1,b,hour,2019-02-01,a\n");
    assert_int_equal(score_at(e, "z", "2026-01-01").score, P(1000));
    assert_int_equal(score_at(e, "b", "2026-01-01").score, P(1002));
    civic_engine_free(e);
    civic_engine_free(m);
}

/* A snapshot saved after a purge, and the journal it overlaps (the
 * recovery order, or a crash inside civic_engine_compact): the journal's
 * purge record is replayed over a state that already holds it.  Purging
 * again at the same instant is not a no-op: it removes what arrived since
 * and was archived on arrival.  Such an event (a repair of a purged entry)
 * was acknowledged, so recovery must keep it -- and a second purge made
 * after the snapshot must still run.  Both engines below end as the one
 * that wrote the files did (counts worked out by hand in the comments). */
static void a_purge_the_snapshot_holds_is_not_replayed_over_it(void **state)
{
    (void)state;
    const char *rules = TEST_SCHEME "[rule.fine]\npoints = -5\nvalid = \"1y\"\nretain = \"2y\"\n"
                        "affects = \"score\"\n[rule.hour]\npoints = 1\n";
    int64_t h = 1577836800; /* 2020-01-01 */
    civic_error err = CIVIC_ERROR_INIT;
    for (int second = 0; second < 2; second++) {
        char jnl[64], snap[64];
        snprintf(jnl, sizeof(jnl), "seq%d.jnl", second);
        snprintf(snap, sizeof(snap), "seq%d.snap", second);
        civic_engine *m = engine_from(rules);
        assert_int_equal(civic_engine_journal_open(m, path_in(jnl), CIVIC_SYNC_ALWAYS, NULL, &err),
                         CIVIC_OK);
        /* o1 is archived from 2017-01-01: the purge removes it */
        load_ok(m, "id,subject,type,ts,ref\no1,r1,fine,2015-01-01,\nx1,r1,hour,2016-01-01,\n");
        assert_int_equal(civic_engine_purge(m, h, NULL, NULL), CIVIC_OK);
        if (second) assert_int_equal(civic_engine_save(m, path_in(snap), NULL), CIVIC_OK);
        /* a repair of the purged o1, dated between it and h: archived on arrival */
        load_ok(m, "id,subject,type,ts,ref\nv7,r1,repair,2016-06-01,o1\n");
        assert_int_equal(civic_engine_event_count(m), 2);
        assert_int_equal(score_at(m, "r1", "2026-01-01").archived, 1);
        if (second) /* the same instant again removes v7, and only v7 */
            assert_int_equal(civic_engine_purge(m, h, NULL, NULL), CIVIC_OK);
        else
            assert_int_equal(civic_engine_save(m, path_in(snap), NULL), CIVIC_OK);
        uint64_t events = civic_engine_event_count(m);
        assert_int_equal(events, second ? 1 : 2);
        int64_t archived = score_at(m, "r1", "2026-01-01").archived;
        assert_int_equal(archived, second ? 0 : 1);
        civic_engine_free(m);
        for (int with_snapshot = 0; with_snapshot < 2; with_snapshot++) {
            civic_engine *e = engine_from(rules);
            if (with_snapshot)
                assert_int_equal(civic_engine_load_snapshot(e, path_in(snap), &err), CIVIC_OK);
            assert_int_equal(civic_engine_journal_open(e, path_in(jnl), CIVIC_SYNC_ALWAYS, NULL,
                                                       &err), CIVIC_OK);
            assert_int_equal(civic_engine_event_count(e), events);
            assert_int_equal(score_at(e, "r1", "2026-01-01").archived, archived);
            assert_int_equal(score_at(e, "r1", "2026-01-01").score, P(1001));
            assert_int_equal(civic_engine_purge_horizon(e), h);
            civic_engine_free(e);
        }
    }
}

/* A purge record as earlier 1.1 builds wrote it, its instant alone (8 bytes,
 * no number), still replays; one whose number is 0, or past any engine's
 * count (the next purge would wrap it to 0), is damage. */
static void a_purge_record_without_its_number_still_replays(void **state)
{
    (void)state;
    const char *rules = TEST_SCHEME "[rule.fine]\npoints = -5\nvalid = \"1y\"\nretain = \"2y\"\n"
                        "affects = \"score\"\n";
    civic_error err = CIVIC_ERROR_INIT;
    civic_engine *m = engine_from(rules);
    assert_int_equal(civic_engine_journal_open(m, path_in("p8.jnl"), CIVIC_SYNC_ALWAYS, NULL, &err),
                     CIVIC_OK);
    assert_int_equal(civic_engine_purge(m, 1577836800, NULL, NULL), CIVIC_OK);
    civic_engine_free(m);
    size_t n;
    unsigned char *b = read_all(path_in("p8.jnl"), &n);
    assert_int_equal(n, 32 + 24 + 16); /* the header, one purge record */
    unsigned char *rec = b + 32;
    assert_int_equal(rec[12], 16);
    assert_int_equal(rec[24 + 8], 1); /* the engine's first purge */
    for (int old = 2; old >= 0; old--) {
        size_t len = old == 1 ? 8 : 16;
        if (old == 2) memset(rec + 24 + 8, 0xff, 8); /* a number no engine reaches */
        if (!old) memset(rec + 24 + 8, 0, 8);        /* number 0 */
        put_le32(rec + 12, (uint32_t)len);
        unsigned char framed[20 + 16];
        memcpy(framed, rec, 20);
        memcpy(framed + 20, rec + 24, len);
        put_le32(rec + 20, crc32c(framed, 20 + len));
        write_all(path_in("p8b.jnl"), b, 32 + 24 + len);
        civic_engine *e = engine_from(rules);
        civic_journal_report rep = CIVIC_JOURNAL_REPORT_INIT;
        int rc = civic_engine_journal_open(e, path_in("p8b.jnl"), CIVIC_SYNC_ALWAYS, &rep, &err);
        if (old == 1) {
            assert_int_equal(rc, CIVIC_OK);
            assert_int_equal(rep.batches, 1);
            assert_int_equal(civic_engine_purge_horizon(e), 1577836800);
        } else {
            assert_int_equal(rc, CIVIC_E_CORRUPT);
            assert_non_null(strstr(err.message, "bad purge number"));
        }
        civic_engine_free(e);
    }
    free(b);
}

/* A scheme is revised: the files written under the old rules are read under
 * the new ones when asked (each event validated anew), refused otherwise,
 * and an event that no longer fits is named.  By hand: under the revision
 * an honour gives 7, not 5, so r1's two honours and one fine of -10 make
 * 1000 + 14 - 10. */
static void files_of_a_revised_scheme_load_when_asked(void **state)
{
    (void)state;
    const char *old_rules = TEST_SCHEME "[rule.fine]\npoints = -10\n[rule.honour]\npoints = 5\n";
    const char *new_rules = TEST_SCHEME "[rule.fine]\npoints = -10\n[rule.honour]\npoints = 7\n";
    const char *no_honour = TEST_SCHEME "[rule.fine]\npoints = -10\n";
    civic_error err = CIVIC_ERROR_INIT;
    civic_engine *m = engine_from(old_rules);
    assert_int_equal(civic_engine_journal_open(m, path_in("rev.jnl"), CIVIC_SYNC_ALWAYS, NULL, &err),
                     CIVIC_OK);
    load_ok(m, "id,subject,type,ts\nh1,r1,honour,2024-01-01\nf1,r1,fine,2024-01-02\n");
    assert_int_equal(civic_engine_compact(m, path_in("rev.snap"), &err), CIVIC_OK);
    load_ok(m, "id,subject,type,ts\nh2,r1,honour,2024-01-03\n"); /* in the journal only */
    civic_engine_free(m);

    civic_engine *e = engine_from(new_rules);
    assert_int_equal(civic_engine_load_snapshot(e, path_in("rev.snap"), &err), CIVIC_E_MISMATCH);
    assert_int_equal(civic_engine_load_snapshot_ext(e, path_in("rev.snap"), 0x80u, &err),
                     CIVIC_E_INVALID);
    assert_int_equal(civic_engine_load_snapshot_ext(e, path_in("rev.snap"), CIVIC_SNAPSHOT_OTHER_RULES,
                                                    &err), CIVIC_OK);
    assert_int_equal(civic_engine_journal_open(e, path_in("rev.jnl"), CIVIC_SYNC_ALWAYS, NULL, &err),
                     CIVIC_E_MISMATCH);
    assert_int_equal(civic_engine_journal_open(e, path_in("rev.jnl"),
                                               CIVIC_SYNC_ALWAYS | CIVIC_JOURNAL_OTHER_RULES, NULL,
                                               &err), CIVIC_OK);
    assert_int_equal(civic_engine_event_count(e), 3);
    assert_int_equal(score_at(e, "r1", "2024-02-01").score, P(1000 + 14 - 10));
    /* compacted, both files carry the new rules: they open as any */
    assert_int_equal(civic_engine_compact(e, path_in("rev.snap"), &err), CIVIC_OK);
    civic_engine_free(e);
    e = engine_from(new_rules);
    assert_int_equal(civic_engine_load_snapshot(e, path_in("rev.snap"), &err), CIVIC_OK);
    assert_int_equal(civic_engine_journal_open(e, path_in("rev.jnl"), CIVIC_SYNC_ALWAYS, NULL, &err),
                     CIVIC_OK);
    assert_int_equal(score_at(e, "r1", "2024-02-01").score, P(1004));
    civic_engine_free(e);

    /* a revision without the honour rule: the snapshot's h1 does not fit,
     * and nothing is loaded */
    e = engine_from(no_honour);
    assert_int_equal(civic_engine_load_snapshot_ext(e, path_in("rev.snap"), CIVIC_SNAPSHOT_OTHER_RULES,
                                                    &err), CIVIC_E_MISMATCH);
    assert_non_null(strstr(err.message, "event \"h1\" does not fit these rules"));
    assert_non_null(strstr(err.message, "honour"));
    assert_int_equal(civic_engine_event_count(e), 0);
    civic_engine_free(e);
    /* nor does a journal's */
    m = engine_from(old_rules);
    assert_int_equal(civic_engine_journal_open(m, path_in("rev2.jnl"), CIVIC_SYNC_ALWAYS, NULL, &err),
                     CIVIC_OK);
    load_ok(m, "id,subject,type,ts\nf9,r2,fine,2024-01-01\nh9,r2,honour,2024-01-02\n");
    civic_engine_free(m);
    e = engine_from(no_honour);
    assert_int_equal(civic_engine_journal_open(e, path_in("rev2.jnl"),
                                               CIVIC_SYNC_ALWAYS | CIVIC_JOURNAL_OTHER_RULES, NULL,
                                               &err), CIVIC_E_MISMATCH);
    assert_non_null(strstr(err.message, "event \"h9\" does not fit these rules"));
    assert_int_equal(civic_engine_event_count(e), 0);
    civic_engine_free(e);
}

/* A journal replayed under other rules keeps its header until the engine
 * writes to it: a program that opens it so and compacts at once (civic-server
 * --rescore), and fails or is killed before the snapshot lands, leaves both
 * files under the old rules, openable with them as before.  Relabelled at
 * the open, the journal named the new rules beside a snapshot of the old:
 * refused under either.  The first write relabels it; a compaction writes
 * both files under the new rules. */
/* An engine of rules_text with the snapshot and journal of these names in
 * the test directory, read as of other rules (OTHER_RULES) or plainly. */
static civic_engine *opened(const char *rules_text, const char *snap, const char *jnl, bool other)
{
    civic_error err = CIVIC_ERROR_INIT;
    civic_engine *e = engine_from(rules_text);
    assert_int_equal(civic_engine_load_snapshot_ext(e, path_in(snap),
                                                    other ? CIVIC_SNAPSHOT_OTHER_RULES : 0u, &err),
                     CIVIC_OK);
    assert_int_equal(civic_engine_journal_open(e, path_in(jnl),
                                               CIVIC_SYNC_ALWAYS |
                                                   (other ? CIVIC_JOURNAL_OTHER_RULES : 0u),
                                               NULL, &err),
                     CIVIC_OK);
    return e;
}

static void a_journal_of_other_rules_keeps_its_header_until_a_write(void **state)
{
    (void)state;
    const char *old_rules = TEST_SCHEME "[rule.fine]\npoints = -10\n[rule.honour]\npoints = 5\n";
    const char *new_rules = TEST_SCHEME "[rule.fine]\npoints = -10\n[rule.honour]\npoints = 7\n";
    civic_error err = CIVIC_ERROR_INIT;
    civic_engine *m = engine_from(old_rules);
    assert_int_equal(civic_engine_journal_open(m, path_in("kh.jnl"), CIVIC_SYNC_ALWAYS, NULL, &err),
                     CIVIC_OK);
    load_ok(m, "id,subject,type,ts\nh1,r1,honour,2024-01-01\n");
    assert_int_equal(civic_engine_compact(m, path_in("kh.snap"), &err), CIVIC_OK);
    load_ok(m, "id,subject,type,ts\nh2,r1,honour,2024-01-03\n"); /* in the journal only */
    civic_engine_free(m);
    size_t n_jnl, n_snap;
    unsigned char *jnl = read_all(path_in("kh.jnl"), &n_jnl);
    unsigned char *snap = read_all(path_in("kh.snap"), &n_snap);

    /* opened under the revision, no write, freed: the journal is as it was */
    civic_engine *e = opened(new_rules, "kh.snap", "kh.jnl", true);
    assert_int_equal(civic_engine_event_count(e), 2);
    assert_int_equal(score_at(e, "r1", "2024-02-01").score, P(1000 + 14));
    civic_engine_free(e);
    size_t n;
    unsigned char *now = read_all(path_in("kh.jnl"), &n);
    assert_int_equal(n, n_jnl);
    assert_memory_equal(now, jnl, n);
    free(now);

    /* ... and so after a compaction that fails (the snapshot's directory is
     * missing): the old rules open both files, without a flag */
    e = opened(new_rules, "kh.snap", "kh.jnl", true);
    assert_int_equal(civic_engine_compact(e, path_in("no-such-dir/kh.snap"), &err), CIVIC_E_IO);
    civic_engine_free(e);
    now = read_all(path_in("kh.jnl"), &n);
    assert_int_equal(n, n_jnl);
    assert_memory_equal(now, jnl, n);
    free(now);
    now = read_all(path_in("kh.snap"), &n);
    assert_int_equal(n, n_snap);
    assert_memory_equal(now, snap, n);
    free(now);
    e = opened(old_rules, "kh.snap", "kh.jnl", false);
    assert_int_equal(civic_engine_event_count(e), 2);
    assert_int_equal(score_at(e, "r1", "2024-02-01").score, P(1000 + 10));
    civic_engine_free(e);

    /* the first write relabels it: the journal opens under the revision,
     * without a flag, and holds the event */
    e = engine_from(new_rules);
    assert_int_equal(civic_engine_journal_open(e, path_in("kh.jnl"),
                                               CIVIC_SYNC_ALWAYS | CIVIC_JOURNAL_OTHER_RULES, NULL,
                                               &err), CIVIC_OK);
    load_ok(e, "id,subject,type,ts\nh3,r1,honour,2024-01-05\n");
    civic_engine_free(e);
    e = engine_from(new_rules);
    assert_int_equal(civic_engine_journal_open(e, path_in("kh.jnl"), CIVIC_SYNC_ALWAYS, NULL, &err),
                     CIVIC_OK);
    assert_int_equal(civic_engine_event_count(e), 2); /* h2, h3 */
    assert_int_equal(score_at(e, "r1", "2024-02-01").score, P(1000 + 14));
    civic_engine_free(e);
    e = engine_from(old_rules);
    assert_int_equal(civic_engine_journal_open(e, path_in("kh.jnl"), CIVIC_SYNC_ALWAYS, NULL, &err),
                     CIVIC_E_MISMATCH);
    civic_engine_free(e);

    /* a compaction after an open under other rules, with no write, leaves
     * both files under the revision */
    m = engine_from(old_rules);
    assert_int_equal(civic_engine_journal_open(m, path_in("kh2.jnl"), CIVIC_SYNC_ALWAYS, NULL, &err),
                     CIVIC_OK);
    load_ok(m, "id,subject,type,ts\nh4,r2,honour,2024-01-01\n");
    civic_engine_free(m);
    e = opened(new_rules, "kh.snap", "kh2.jnl", true);
    assert_int_equal(civic_engine_compact(e, path_in("kh2.snap"), &err), CIVIC_OK);
    civic_engine_free(e);
    e = opened(new_rules, "kh2.snap", "kh2.jnl", false);
    assert_int_equal(civic_engine_event_count(e), 2); /* h1, h4 */
    assert_int_equal(score_at(e, "r2", "2024-02-01").score, P(1007));
    civic_engine_free(e);

    /* a compaction whose snapshot lands but whose fresh journal cannot be
     * made (a full disk): the journal it leaves names the revision too, so
     * the revision opens both files without a flag (the journal named the
     * old rules beside a snapshot of the new: neither opened them) */
    m = engine_from(old_rules);
    assert_int_equal(civic_engine_journal_open(m, path_in("kh3.jnl"), CIVIC_SYNC_ALWAYS, NULL, &err),
                     CIVIC_OK);
    load_ok(m, "id,subject,type,ts\nh5,r3,honour,2024-01-01\n");
    assert_int_equal(civic_engine_compact(m, path_in("kh3.snap"), &err), CIVIC_OK);
    load_ok(m, "id,subject,type,ts\nh6,r3,honour,2024-01-02\n"); /* in the journal only */
    civic_engine_free(m);
    e = opened(new_rules, "kh3.snap", "kh3.jnl", true);
    snprintf(fail_temp_of, sizeof(fail_temp_of), "%s", path_in("kh3.jnl"));
    assert_int_equal(civic_engine_compact(e, path_in("kh3.snap"), &err), CIVIC_E_IO);
    fail_temp_of[0] = '\0';
    civic_engine_free(e);
    e = opened(new_rules, "kh3.snap", "kh3.jnl", false);
    assert_int_equal(civic_engine_event_count(e), 2); /* h5, h6 */
    assert_int_equal(score_at(e, "r3", "2024-02-01").score, P(1014));
    civic_engine_free(e);
    free(jnl);
    free(snap);
}

/* A journal opened by a relative name whose file cannot be made (no
 * temporary file: a full disk, a directory the process cannot write) is
 * named in the message as the caller gave it, as every other message of
 * the journal names it -- not by the absolute name the open fixed. */
static void a_failed_creation_names_the_journal_as_given(void **state)
{
    (void)state;
    int home = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    assert_true(home >= 0);
    assert_int_equal(mkdir(path_in("given"), 0700), 0);
    assert_int_equal(chdir(path_in("given")), 0);
    char cwd[200]; /* fits fail_temp_of with the name */
    assert_non_null(getcwd(cwd, sizeof(cwd)));
    snprintf(fail_temp_of, sizeof(fail_temp_of), "%s/j.jnl", cwd);
    civic_engine *e = fresh_engine();
    civic_error err = CIVIC_ERROR_INIT;
    assert_int_equal(civic_engine_journal_open(e, "j.jnl", CIVIC_SYNC_ALWAYS, NULL, &err),
                     CIVIC_E_IO);
    fail_temp_of[0] = '\0';
    assert_non_null(strstr(err.message, "journal j.jnl: cannot create a temporary file"));
    assert_null(strstr(err.message, cwd));
    civic_engine_free(e);
    assert_int_equal(fchdir(home), 0);
    close(home);
}

/* A purge in a journal of other rules: what it removed depends on the old
 * rules' retain, so replayed under the revision (retain 6y, not 2y) it would
 * bring f1 back.  Refused, the engine unchanged; compacted under the old
 * rules first, the snapshot keeps the purge's result under the new ones. */
static void a_purge_of_other_rules_is_not_replayed_under_these(void **state)
{
    (void)state;
    const char *old_rules = TEST_SCHEME "[rule.fine]\npoints = -10\nretain = \"2y\"\n"
                            "affects = \"score\"\n[rule.honour]\npoints = 5\n";
    const char *new_rules = TEST_SCHEME "[rule.fine]\npoints = -10\nretain = \"6y\"\n"
                            "affects = \"score\"\n[rule.honour]\npoints = 5\n";
    civic_error err = CIVIC_ERROR_INIT;
    civic_engine *m = engine_from(old_rules);
    assert_int_equal(civic_engine_journal_open(m, path_in("rp.jnl"), CIVIC_SYNC_ALWAYS, NULL, &err),
                     CIVIC_OK);
    load_ok(m, "id,subject,type,ts\nf1,s1,fine,2015-03-01\nh1,s1,honour,2016-05-01\n");
    assert_int_equal(civic_engine_purge(m, 1546300800 /* 2019-01-01 */, NULL, NULL), CIVIC_OK);
    assert_int_equal(civic_engine_event_count(m), 1);
    civic_engine_free(m);

    civic_engine *e = engine_from(new_rules);
    assert_int_equal(civic_engine_journal_open(e, path_in("rp.jnl"),
                                               CIVIC_SYNC_ALWAYS | CIVIC_JOURNAL_OTHER_RULES, NULL,
                                               &err), CIVIC_E_MISMATCH);
    assert_non_null(strstr(err.message, "a purge made under other rules cannot be replayed"));
    assert_int_equal(civic_engine_event_count(e), 0);
    civic_engine_free(e);

    /* the way: compact under the old rules, then read both under the new */
    m = engine_from(old_rules);
    assert_int_equal(civic_engine_journal_open(m, path_in("rp.jnl"), CIVIC_SYNC_ALWAYS, NULL, &err),
                     CIVIC_OK);
    assert_int_equal(civic_engine_compact(m, path_in("rp.snap"), &err), CIVIC_OK);
    civic_engine_free(m);
    e = engine_from(new_rules);
    assert_int_equal(civic_engine_load_snapshot_ext(e, path_in("rp.snap"), CIVIC_SNAPSHOT_OTHER_RULES,
                                                    &err), CIVIC_OK);
    assert_int_equal(civic_engine_journal_open(e, path_in("rp.jnl"),
                                               CIVIC_SYNC_ALWAYS | CIVIC_JOURNAL_OTHER_RULES, NULL,
                                               &err), CIVIC_OK);
    assert_int_equal(civic_engine_event_count(e), 1); /* f1 stays deleted */
    assert_int_equal(civic_engine_purge_horizon(e), 1546300800);
    civic_engine_free(e);
}

/* A journal or snapshot path that is a FIFO or a device (or a link to one)
 * was replaced by a regular file: through a link to /dev/null, as root, that
 * would replace /dev/null.  It is refused, and the node stays what it was.
 * (The link here leads to a FIFO of the test's own: were the check gone,
 * the test must not replace the machine's /dev/null.) */
static void a_fifo_or_device_is_no_place_for_a_journal_or_snapshot(void **state)
{
    (void)state;
    civic_engine *e = fresh_engine();
    add_one(e, "x1", "fine", "2024-01-01");
    char fifo[256], other[256], link[256];
    snprintf(fifo, sizeof(fifo), "%s", path_in("node.fifo"));
    snprintf(other, sizeof(other), "%s", path_in("other.fifo"));
    snprintf(link, sizeof(link), "%s", path_in("fifo.link"));
    assert_int_equal(mkfifo(fifo, 0600), 0);
    assert_int_equal(mkfifo(other, 0600), 0);
    assert_int_equal(symlink(other, link), 0);
    const char *paths[] = { fifo, link };
    for (int k = 0; k < 2; k++) {
        civic_error err = CIVIC_ERROR_INIT;
        assert_int_equal(civic_engine_journal_open(e, paths[k], CIVIC_SYNC_ALWAYS, NULL, &err),
                         CIVIC_E_IO);
        assert_non_null(strstr(err.message, "not a regular file"));
        assert_int_equal(civic_engine_save(e, paths[k], &err), CIVIC_E_IO);
        assert_non_null(strstr(err.message, "not a regular file"));
        struct stat st;
        assert_int_equal(stat(paths[k], &st), 0);
        assert_true(S_ISFIFO(st.st_mode));
    }
    assert_int_equal(civic_engine_event_count(e), 1);
    unlink(fifo);
    unlink(other);
    unlink(link);
    civic_engine_free(e);
}

/* A save closed its temporary file (dropping its lock) before renaming it:
 * a load of the same path sweeping at that moment took it for one a killed
 * writer left and removed it, and the save failed with "cannot rename".
 * One thread saves while another opens the snapshot, again and again. */
typedef struct save_race {
    civic_rules *rules;
    const char *path;
    atomic_int stop;
    int opens;
} save_race;

static void *open_loop(void *arg)
{
    save_race *r = arg;
    while (!atomic_load(&r->stop)) {
        civic_engine *x = NULL;
        if (civic_engine_open_snapshot(&x, r->rules, NULL, r->path, NULL) == CIVIC_OK) r->opens++;
        civic_engine_free(x);
    }
    return NULL;
}

static void a_save_and_a_load_of_one_path_at_once_both_work(void **state)
{
    (void)state;
    civic_engine *e = fresh_engine();
    char *log = make_log(40, "r");
    load_ok(e, log);
    free(log);
    char path[256];
    snprintf(path, sizeof(path), "%s", path_in("race.snap"));
    assert_int_equal(civic_engine_save(e, path, NULL), CIVIC_OK);
    civic_rules *rules = rules_from(RULES_TEXT); /* the same fingerprint */
    save_race r = { rules, path, 0, 0 };
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, open_loop, &r), 0);
    int failed = 0;
    civic_error err = CIVIC_ERROR_INIT;
    for (int i = 0; i < 1500; i++) {
        if (civic_engine_save(e, path, &err) != CIVIC_OK) {
            if (!failed) fprintf(stderr, "save %d: %s\n", i, err.message);
            failed++;
        }
    }
    atomic_store(&r.stop, 1);
    pthread_join(t, NULL);
    assert_int_equal(failed, 0);
    assert_true(r.opens > 0);
    civic_rules_free(rules);
    civic_engine_free(e);
}

/* Two engines never share a journal, in one process as in two: the second
 * open fails and names the lock; closing the first frees it.  (fcntl record
 * locks are per process, so before open file description locks the second
 * open succeeded and the two overwrote each other's records.) */
static void a_second_engine_cannot_open_a_journal_in_use(void **state)
{
    civic_engine *a = journaled("lock.jnl", CIVIC_SYNC_ALWAYS, NULL);
    add_one(a, "x1", "fine", "2024-01-01");
    civic_engine *b = fresh_engine();
    civic_error err = CIVIC_ERROR_INIT;
    assert_int_equal(civic_engine_journal_open(b, path_in("lock.jnl"), CIVIC_SYNC_ALWAYS, NULL, &err),
                     CIVIC_E_IO);
    assert_non_null(strstr(err.message, "locked by another engine"));
    assert_int_equal(civic_engine_event_count(b), 0);
    /* a compaction swaps the file; the new one is locked too */
    assert_int_equal(civic_engine_compact(a, path_in("lock.snap"), NULL), CIVIC_OK);
    assert_int_equal(civic_engine_journal_open(b, path_in("lock.jnl"), CIVIC_SYNC_ALWAYS, NULL, &err),
                     CIVIC_E_IO);
    add_one(a, "x2", "fine", "2024-01-02");
    assert_int_equal(civic_engine_journal_close(a, NULL), CIVIC_OK);
    assert_int_equal(civic_engine_load_snapshot(b, path_in("lock.snap"), NULL), CIVIC_OK);
    assert_int_equal(civic_engine_journal_open(b, path_in("lock.jnl"), CIVIC_SYNC_ALWAYS, NULL, &err),
                     CIVIC_OK);
    assert_int_equal(civic_engine_event_count(b), 2);
    civic_engine_free(a);
    civic_engine_free(b);
}

/* A save onto a journal, the engine's own (by its path, a symbolic link or
 * a hard link) or another engine's, is refused and the journal stays: the
 * snapshot was renamed over it, the engine went on appending to the file
 * that no longer had a name, and every later write was acknowledged and
 * gone at the next open (which found a snapshot where the journal was). */
static void a_save_onto_a_journal_is_refused(void **state)
{
    (void)state;
    civic_engine *a = journaled("own.jnl", CIVIC_SYNC_ALWAYS, NULL);
    add_one(a, "o1", "fine", "2024-01-01");
    unlink(path_in("own.link"));
    unlink(path_in("own.hard"));
    assert_int_equal(symlink("own.jnl", path_in("own.link")), 0);
    assert_int_equal(link(path_in("own.jnl"), path_in("own.hard")), 0);
    const char *names[] = { "own.jnl", "own.link", "own.hard" };
    civic_error err = CIVIC_ERROR_INIT;
    for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
        assert_int_equal(civic_engine_save(a, path_in(names[k]), &err), CIVIC_E_INVALID);
        assert_non_null(strstr(err.message, "journal"));
    }
    civic_engine *b = fresh_engine(); /* another engine, no journal of its own */
    assert_int_equal(civic_engine_save(b, path_in("own.jnl"), &err), CIVIC_E_INVALID);
    assert_int_equal(civic_engine_compact(b, path_in("own.jnl"), &err), CIVIC_E_INVALID);
    add_one(a, "o2", "fine", "2024-01-02");
    civic_engine_free(a);
    civic_engine_free(b);
    b = fresh_engine();
    assert_int_equal(civic_engine_journal_open(b, path_in("own.jnl"), CIVIC_SYNC_ALWAYS, NULL, &err),
                     CIVIC_OK);
    assert_int_equal(civic_engine_event_count(b), 2);
    civic_engine_free(b);
    unlink(path_in("own.link"));
    unlink(path_in("own.hard"));
    unlink(path_in("own.jnl"));
}

/* A journal whose file is removed while open (its directory deleted): a
 * synced write is refused and not applied, and so is an explicit sync.  The
 * writes were acknowledged, and all gone at the next open. */
static void a_journal_removed_while_open_takes_no_more_writes(void **state)
{
    (void)state;
    uint32_t policies[] = { CIVIC_SYNC_ALWAYS, CIVIC_SYNC_GROUP };
    for (size_t k = 0; k < 2; k++) {
        civic_engine *e = journaled("gone.jnl", policies[k], NULL);
        add_one(e, "g1", "fine", "2024-01-01");
        assert_int_equal(unlink(path_in("gone.jnl")), 0);
        civic_error err = CIVIC_ERROR_INIT;
        if (policies[k] == CIVIC_SYNC_ALWAYS) {
            civic_event ev = event_of("g2", "solo", "fine", "2024-01-02");
            assert_int_equal(civic_engine_add(e, &ev, &err), CIVIC_E_IO);
            assert_non_null(strstr(err.message, "removed while open"));
            assert_int_equal(civic_engine_event_count(e), 1);
        }
        assert_int_equal(civic_engine_journal_sync(e, &err), CIVIC_E_IO);
        civic_event ev = event_of("g3", "solo", "fine", "2024-01-03");
        assert_int_equal(civic_engine_add(e, &ev, &err), CIVIC_E_IO);
        assert_int_equal(civic_engine_event_count(e), 1);
        civic_engine_free(e);
    }
    /* under GROUP and NONE, a close says so (it returned CIVIC_OK) */
    for (size_t k = 0; k < 2; k++) {
        civic_engine *e = journaled("gone.jnl", k ? CIVIC_SYNC_NONE : CIVIC_SYNC_GROUP, NULL);
        add_one(e, "g1", "fine", "2024-01-01");
        assert_int_equal(unlink(path_in("gone.jnl")), 0);
        civic_error err = CIVIC_ERROR_INIT;
        assert_int_equal(civic_engine_journal_close(e, &err), CIVIC_E_IO);
        assert_non_null(strstr(err.message, "removed while open"));
        civic_engine_free(e);
    }
}

/* A journal removed while open, found out by an explicit sync (which
 * fails): the close after it must not say that nothing acknowledged was
 * lost.  Under NONE and GROUP the adds after the removal returned CIVIC_OK
 * and went to a file with no name; under ALWAYS the one before it did.  (It
 * said "closed after an earlier failed write or sync (what failed was not
 * acknowledged)".) */
static void a_close_after_a_removal_says_the_acknowledged_writes_are_gone(void **state)
{
    (void)state;
    uint32_t policies[] = { CIVIC_SYNC_NONE, CIVIC_SYNC_GROUP, CIVIC_SYNC_ALWAYS };
    for (size_t k = 0; k < 3; k++) {
        civic_engine *e = journaled("gone2.jnl", policies[k], NULL);
        add_one(e, "g1", "fine", "2024-01-01");
        assert_int_equal(unlink(path_in("gone2.jnl")), 0);
        civic_error err = CIVIC_ERROR_INIT;
        if (policies[k] == CIVIC_SYNC_NONE) {
            add_one(e, "g2", "fine", "2024-01-02"); /* acknowledged, and in no journal */
            add_one(e, "g3", "fine", "2024-01-03");
        }
        assert_int_equal(civic_engine_journal_sync(e, &err), CIVIC_E_IO);
        assert_non_null(strstr(err.message, "removed while open"));
        assert_int_equal(civic_engine_journal_close(e, &err), CIVIC_E_IO);
        assert_non_null(strstr(err.message, "removed while open"));
        assert_non_null(strstr(err.message, "only in this engine"));
        assert_non_null(strstr(err.message, "save them (civic_engine_save) to the snapshot"));
        assert_null(strstr(err.message, "not acknowledged"));
        civic_engine_free(e);
    }
}

/* The events an engine holds, recovered as a restart would: the snapshot
 * (when there is one), then the journal. */
static size_t recovered(const char *snap, const char *jnl)
{
    civic_engine *b = fresh_engine();
    civic_error err = CIVIC_ERROR_INIT;
    if (access(snap, F_OK) == 0)
        assert_int_equal(civic_engine_load_snapshot(b, snap, &err), CIVIC_OK);
    assert_int_equal(civic_engine_journal_open(b, jnl, CIVIC_SYNC_ALWAYS, NULL, &err), CIVIC_OK);
    size_t n = civic_engine_event_count(b);
    civic_engine_free(b);
    return n;
}

/* The way out a journal's lost name gives: a compaction to snap, after
 * which ev is taken; the engine freed, and n events recovered from snap and
 * jnl (then removed). */
static void compacted_keeps(civic_engine *e, const char *snap, const char *jnl,
                            const civic_event *ev, size_t n)
{
    civic_error err = CIVIC_ERROR_INIT;
    assert_int_equal(civic_engine_compact(e, snap, &err), CIVIC_OK);
    assert_int_equal(civic_engine_add(e, ev, &err), CIVIC_OK);
    civic_engine_free(e);
    assert_int_equal(recovered(snap, jnl), n);
    unlink(jnl);
}

/* A journal removed while open, then the way out its message gives.  It
 * said "open the journal again", then "close and reopen the journal": that
 * started an empty journal, and a restart got back 1 of 6 events.  The
 * message names compaction, which keeps every one; when another file was
 * moved over the journal, a compaction refuses to replace it, and the
 * message says to move it away first. */
static void a_removed_journal_points_at_the_compaction_that_keeps_its_events(void **state)
{
    (void)state;
    char snap[256], jnl[256]; /* path_in's buffers are reused */
    snprintf(snap, sizeof(snap), "%s", path_in("kept.snap"));
    snprintf(jnl, sizeof(jnl), "%s", path_in("kept.jnl"));
    uint32_t policies[] = { CIVIC_SYNC_ALWAYS, CIVIC_SYNC_GROUP, CIVIC_SYNC_NONE };
    for (size_t k = 0; k < 3; k++) {
        unlink(snap);
        civic_engine *e = journaled("kept.jnl", policies[k], NULL);
        char id[16];
        for (int i = 0; i < 5; i++) {
            snprintf(id, sizeof(id), "k%d", i);
            add_one(e, id, "fine", "2024-01-01");
        }
        assert_int_equal(unlink(jnl), 0);
        civic_error err = CIVIC_ERROR_INIT;
        civic_event ev = event_of("k5", "solo", "fine", "2024-01-02");
        if (policies[k] != CIVIC_SYNC_ALWAYS) { /* found by a sync, the add after it refused */
            assert_int_equal(civic_engine_journal_sync(e, &err), CIVIC_E_IO);
            assert_non_null(strstr(err.message, "compact (civic_engine_compact)"));
        }
        for (int again = 0; again < 2; again++) { /* the first refusal, and every later one */
            assert_int_equal(civic_engine_add(e, &ev, &err), CIVIC_E_IO);
            assert_non_null(strstr(err.message, "was removed while open"));
            assert_non_null(strstr(err.message, "only in this engine; compact "
                                                "(civic_engine_compact) to keep them, before "
                                                "any close (a reopen starts an empty journal)"));
            assert_null(strstr(err.message, "reopen the journal"));
            assert_null(strstr(err.message, "open the journal again"));
        }
        compacted_keeps(e, snap, jnl, &ev, 6);
    }
    /* another file moved over the journal */
    unlink(snap);
    civic_engine *e = journaled("kept.jnl", CIVIC_SYNC_ALWAYS, NULL);
    add_one(e, "m1", "fine", "2024-01-01");
    write_all(path_in("other.file"), (const unsigned char *)"not mine\n", 9);
    assert_int_equal(rename(path_in("other.file"), jnl), 0);
    civic_error err = CIVIC_ERROR_INIT;
    civic_event ev = event_of("m2", "solo", "fine", "2024-01-02");
    assert_int_equal(civic_engine_add(e, &ev, &err), CIVIC_E_IO);
    assert_non_null(strstr(err.message, "another file has that name now"));
    assert_non_null(strstr(err.message, "move that file away, then compact "
                                        "(civic_engine_compact) to keep them"));
    assert_int_equal(civic_engine_compact(e, snap, &err), CIVIC_E_IO);
    assert_non_null(strstr(err.message, "move that file away"));
    assert_int_equal(access(snap, F_OK), -1); /* refused before anything was written */
    size_t n = 0;
    unsigned char *other = read_all(jnl, &n);
    assert_int_equal(n, 9); /* and that file is left alone */
    free(other);
    assert_int_equal(rename(jnl, path_in("other.file")), 0);
    assert_int_equal(civic_engine_compact(e, snap, &err), CIVIC_OK);
    assert_int_equal(civic_engine_add(e, &ev, &err), CIVIC_OK);
    civic_engine_free(e);
    assert_int_equal(recovered(snap, jnl), 2);
    unlink(path_in("other.file"));
    unlink(jnl);
    unlink(snap);
}

/* A journal moved or renamed while open (a backup by mv, a log rotation,
 * a hard link made and the name removed): the open at its name finds none
 * of its writes, as after a removal.  It took writes without complaint (the
 * file kept a link), and a restart after a crash lost every acknowledged
 * batch since (the service review).  Now the synced write is refused, and so
 * are a sync, the adds after it and a close; the compaction the message names
 * keeps every event at the name; with another file at the name, it refuses
 * until that file is moved away. */
static void a_journal_renamed_while_open_takes_no_more_writes(void **state)
{
    (void)state;
    char snap[256], jnl[256], moved[256];
    snprintf(snap, sizeof(snap), "%s", path_in("mv.snap"));
    snprintf(jnl, sizeof(jnl), "%s", path_in("mv.jnl"));
    snprintf(moved, sizeof(moved), "%s", path_in("mv.bak"));
    uint32_t policies[] = { CIVIC_SYNC_ALWAYS, CIVIC_SYNC_GROUP, CIVIC_SYNC_NONE };
    for (size_t k = 0; k < 3 * 2; k++) {
        bool linked = k >= 3; /* a hard link, then the name removed */
        unlink(snap);
        civic_engine *e = journaled("mv.jnl", policies[k % 3], NULL);
        add_one(e, "v1", "fine", "2024-01-01");
        add_one(e, "v2", "fine", "2024-01-02");
        if (linked)
            assert_int_equal(link(jnl, moved) == 0 && unlink(jnl) == 0, 1);
        else
            assert_int_equal(rename(jnl, moved), 0);
        civic_error err = CIVIC_ERROR_INIT;
        civic_event ev = event_of("v3", "solo", "fine", "2024-01-03");
        if (policies[k % 3] != CIVIC_SYNC_ALWAYS) { /* found by a sync */
            assert_int_equal(civic_engine_journal_sync(e, &err), CIVIC_E_IO);
            assert_non_null(strstr(err.message, "was moved or renamed while open"));
        }
        for (int again = 0; again < 2; again++) {
            assert_int_equal(civic_engine_add(e, &ev, &err), CIVIC_E_IO);
            assert_non_null(strstr(err.message, "mv.jnl was moved or renamed while open: every "
                                                "batch it held is in this engine, not at its "
                                                "name; compact (civic_engine_compact) to keep "
                                                "them there, before any close (a reopen starts "
                                                "an empty journal)"));
            assert_int_equal(civic_engine_event_count(e), 2);
        }
        assert_int_equal(civic_engine_compact(e, snap, &err), CIVIC_OK);
        assert_int_equal(civic_engine_add(e, &ev, &err), CIVIC_OK);
        assert_int_equal(civic_engine_journal_close(e, &err), CIVIC_OK);
        civic_engine_free(e);
        assert_int_equal(recovered(snap, jnl), 3);
        unlink(jnl);
        unlink(moved);
    }
    /* under NONE, a close after the move says so (it said "removed") */
    civic_engine *e = journaled("mv.jnl", CIVIC_SYNC_NONE, NULL);
    add_one(e, "n1", "fine", "2024-01-01");
    assert_int_equal(rename(jnl, moved), 0);
    civic_error err = CIVIC_ERROR_INIT;
    assert_int_equal(civic_engine_journal_close(e, &err), CIVIC_E_IO);
    assert_non_null(strstr(err.message, "mv.jnl was moved or renamed while open: every batch it "
                                        "held, acknowledged ones included, is in this engine, "
                                        "not at its name; save them"));
    civic_engine_free(e);
    unlink(moved);
    /* moved away and renamed back before the next write (the background
     * sync saw it away): refused still, as the failure was, and said so
     * (it said "an earlier sync failed"); a compaction goes on */
    for (size_t k = 0; k < 2; k++) {
        unlink(snap);
        e = journaled("mv.jnl", k ? CIVIC_SYNC_ALWAYS : CIVIC_SYNC_GROUP, NULL);
        add_one(e, "b1", "fine", "2024-01-01");
        assert_int_equal(rename(jnl, moved), 0);
        civic_event ev = event_of("b2", "solo", "fine", "2024-01-02");
        if (k) /* under ALWAYS the add sees it */
            assert_int_equal(civic_engine_add(e, &ev, &err), CIVIC_E_IO);
        else
            assert_int_equal(civic_engine_journal_sync(e, &err), CIVIC_E_IO);
        assert_int_equal(rename(moved, jnl), 0);
        assert_int_equal(civic_engine_add(e, &ev, &err), CIVIC_E_IO);
        assert_non_null(strstr(err.message, "mv.jnl was moved or renamed while open, and its "
                                            "name leads to it again: every batch it held is in "
                                            "this engine and the file; compact "
                                            "(civic_engine_compact) to go on"));
        compacted_keeps(e, snap, jnl, &ev, 2);
    }
    /* moved away, and another file put at its name (a log rotation's
     * "create"): whatever errno the caller left (it was read after a stat
     * that succeeded, and an add with errno 0 went through) */
    unlink(snap);
    e = journaled("mv.jnl", CIVIC_SYNC_ALWAYS, NULL);
    add_one(e, "w1", "fine", "2024-01-01");
    assert_int_equal(rename(jnl, moved), 0);
    write_all(jnl, (const unsigned char *)"not mine\n", 9);
    civic_event ev = event_of("w2", "solo", "fine", "2024-01-02");
    errno = 0;
    assert_int_equal(civic_engine_add(e, &ev, &err), CIVIC_E_IO);
    assert_non_null(strstr(err.message, "was moved or renamed while open and another file has "
                                        "its name: its batches are in this engine and the moved "
                                        "file; close the journal and open the moved file, or "
                                        "move it back (compaction will not replace the other)"));
    assert_int_equal(civic_engine_compact(e, snap, &err), CIVIC_E_IO);
    assert_non_null(strstr(err.message, "(compaction will not replace the other)"));
    assert_int_equal(access(snap, F_OK), -1); /* refused before anything was written */
    assert_int_equal(unlink(jnl), 0); /* that file moved away: the compaction keeps them */
    compacted_keeps(e, snap, jnl, &ev, 2);
    unlink(moved);
    unlink(snap);
    /* a directory that cannot be searched (not for root): the compaction
     * says so (it said "that name now leads to another file") */
    if (geteuid() != 0) {
        char sub[256];
        snprintf(sub, sizeof(sub), "%s", path_in("unsearchable"));
        assert_int_equal(mkdir(sub, 0700), 0);
        e = journaled("unsearchable/j.jnl", CIVIC_SYNC_NONE, NULL);
        add_one(e, "u1", "fine", "2024-01-01");
        assert_int_equal(chmod(sub, 0), 0);
        int rc = civic_engine_compact(e, snap, &err);
        assert_int_equal(chmod(sub, 0700), 0);
        assert_int_equal(rc, CIVIC_E_IO);
        assert_non_null(strstr(err.message, "j.jnl: cannot stat: Permission denied"));
        assert_int_equal(access(snap, F_OK), -1); /* refused before anything was written */
        compacted_keeps(e, snap, path_in("unsearchable/j.jnl"), &ev, 2);
        unlink(snap);
        rmdir(sub);
    }
}

/* A journal truncated in place while open (a log rotation's copytruncate,
 * to nothing or to its header): the next write went at the old end, behind
 * a hole of zero bytes that no open can read, and every batch before it was
 * lost at the restart.  Now it is found where a lost name is (the write
 * under ALWAYS, a sync, a close), later writes are refused with the way
 * out, and the compaction it names keeps every event. */
static void a_journal_truncated_while_open_takes_no_more_writes(void **state)
{
    (void)state;
    char snap[256], jnl[256];
    snprintf(snap, sizeof(snap), "%s", path_in("cut.snap"));
    snprintf(jnl, sizeof(jnl), "%s", path_in("cut.jnl"));
    uint32_t policies[] = { CIVIC_SYNC_ALWAYS, CIVIC_SYNC_GROUP, CIVIC_SYNC_NONE };
    for (size_t k = 0; k < 3 * 2; k++) {
        unlink(snap);
        civic_engine *e = journaled("cut.jnl", policies[k % 3], NULL);
        add_one(e, "c1", "fine", "2024-01-01");
        add_one(e, "c2", "fine", "2024-01-02");
        assert_int_equal(truncate(jnl, k < 3 ? 0 : 32), 0);
        civic_error err = CIVIC_ERROR_INIT;
        civic_event ev = event_of("c3", "solo", "fine", "2024-01-03");
        size_t held = 2;
        if (policies[k % 3] != CIVIC_SYNC_ALWAYS) {
            /* found by a sync (as a lost name is): the write went behind
             * the hole, and the engine holds it */
            assert_int_equal(civic_engine_add(e, &ev, &err), CIVIC_OK);
            held = 3;
            assert_int_equal(civic_engine_journal_sync(e, &err), CIVIC_E_IO);
            assert_non_null(strstr(err.message, "cut.jnl was truncated while open"));
            ev = event_of("c4", "solo", "fine", "2024-01-04");
        }
        for (int again = 0; again < 2; again++) {
            assert_int_equal(civic_engine_add(e, &ev, &err), CIVIC_E_IO);
            assert_non_null(strstr(err.message, "cut.jnl was truncated while open (as "
                                                "copytruncate does): its batches are in this "
                                                "engine, not all in the file; compact "
                                                "(civic_engine_compact) to keep them, before any "
                                                "close (a reopen loses them)"));
            assert_int_equal(civic_engine_event_count(e), held);
        }
        assert_int_equal(civic_engine_journal_sync(e, &err), CIVIC_E_IO);
        assert_non_null(strstr(err.message, "cut.jnl was truncated while open"));
        compacted_keeps(e, snap, jnl, &ev, held + 1);
    }
    /* cut, then closed with no write between: the close says so */
    unlink(snap);
    civic_engine *e = journaled("cut.jnl", CIVIC_SYNC_ALWAYS, NULL);
    add_one(e, "d1", "fine", "2024-01-01");
    assert_int_equal(truncate(jnl, 0), 0);
    civic_error err = CIVIC_ERROR_INIT;
    assert_int_equal(civic_engine_journal_close(e, &err), CIVIC_E_IO);
    assert_non_null(strstr(err.message, "cut.jnl was truncated while open (as copytruncate "
                                        "does): its batches, acknowledged ones included, are in "
                                        "this engine, not all in the file; save them "
                                        "(civic_engine_save) before opening it again"));
    civic_engine_free(e);
    /* bytes after the last batch (a write cut short by a failed cut back)
     * are no cut: the next batch is written over them */
    unlink(jnl);
    e = journaled("cut.jnl", CIVIC_SYNC_ALWAYS, NULL);
    add_one(e, "g1", "fine", "2024-01-01");
    FILE *f = fopen(jnl, "ab");
    assert_non_null(f);
    assert_int_equal(fputs("CJRC", f) >= 0 && fclose(f) == 0, 1);
    add_one(e, "g2", "fine", "2024-01-02");
    civic_engine_free(e);
    assert_int_equal(recovered(snap, jnl), 2);
    unlink(jnl);
}

/* A compaction whose snapshot is written but whose fresh journal cannot be
 * made (a full disk) says what it leaves: the snapshot written, the old
 * journal still attached and whole (it said only "journal J: cannot create
 * a temporary file: No space left on device").  The cause stays last. */
static void a_compaction_without_room_for_its_fresh_journal_says_what_it_left(void **state)
{
    (void)state;
    char snap[256], jnl[256];
    snprintf(snap, sizeof(snap), "%s", path_in("room.snap"));
    snprintf(jnl, sizeof(jnl), "%s", path_in("room.jnl"));
    civic_engine *e = journaled("room.jnl", CIVIC_SYNC_ALWAYS, NULL);
    add_one(e, "r1", "fine", "2024-01-01");
    add_one(e, "r2", "fine", "2024-01-02");
    civic_error err = CIVIC_ERROR_INIT;
    snprintf(fail_temp_of, sizeof(fail_temp_of), "%s", jnl);
    int rc = civic_engine_compact(e, snap, &err);
    fail_temp_of[0] = '\0';
    assert_int_equal(rc, CIVIC_E_IO);
    char want[512];
    snprintf(want, sizeof(want), "journal %s: compaction: the snapshot was written, and the old "
             "journal is still attached and whole; the fresh journal to replace it failed: "
             "cannot create a temporary file: No space left on device", jnl);
    assert_string_equal(err.message, want);
    assert_int_equal(access(snap, F_OK), 0);
    add_one(e, "r3", "fine", "2024-01-03"); /* the old journal takes writes as before */
    civic_engine_free(e);
    civic_engine *j = fresh_engine(); /* and holds them all, as the snapshot holds r1 and r2 */
    assert_int_equal(civic_engine_journal_open(j, jnl, CIVIC_SYNC_ALWAYS, NULL, &err), CIVIC_OK);
    assert_int_equal(civic_engine_event_count(j), 3);
    civic_engine_free(j);
    assert_int_equal(recovered(snap, jnl), 3);

    /* the journal removed while open: the snapshot holds every event */
    unlink(snap);
    e = journaled("room.jnl", CIVIC_SYNC_ALWAYS, NULL);
    assert_int_equal(unlink(jnl), 0);
    snprintf(fail_temp_of, sizeof(fail_temp_of), "%s", jnl);
    rc = civic_engine_compact(e, snap, &err);
    fail_temp_of[0] = '\0';
    assert_int_equal(rc, CIVIC_E_IO);
    snprintf(want, sizeof(want), "journal %s: compaction: the snapshot was written and holds "
             "every event; the fresh journal to replace the lost one failed: cannot create "
             "a temporary file: No space left on device", jnl);
    assert_string_equal(err.message, want);
    civic_engine_free(e);
    assert_int_equal(recovered(snap, jnl), 3);
    unlink(jnl);
    unlink(snap);
}

/* Two engines that find no journal at one path and create it at the same
 * moment: one gets it, the other is told it is locked, never both.  (A
 * rename into place let the second creation replace the first; both opens
 * succeeded, and the first engine's events went to a file no longer at the
 * path.) */
typedef struct racer {
    civic_engine *e;
    const char *path;
    pthread_barrier_t *go;
    int rc;
    char message[256];
    uint32_t policy;
} racer;

static void *race_to_create(void *p)
{
    racer *r = p;
    civic_error err = CIVIC_ERROR_INIT;
    pthread_barrier_wait(r->go);
    r->rc = civic_engine_journal_open(r->e, r->path, r->policy, NULL, &err);
    snprintf(r->message, sizeof(r->message), "%s", err.message);
    return NULL;
}

static void two_engines_creating_one_journal_never_both_get_it(void **state)
{
    for (int round = 0; round < 40; round++) {
        char name[32], path[256];
        snprintf(name, sizeof(name), "race%d.jnl", round);
        snprintf(path, sizeof(path), "%s", path_in(name));
        pthread_barrier_t go;
        assert_int_equal(pthread_barrier_init(&go, NULL, 2), 0);
        racer r[2] = { { fresh_engine(), path, &go, 0, "", CIVIC_SYNC_ALWAYS },
                       { fresh_engine(), path, &go, 0, "", CIVIC_SYNC_ALWAYS } };
        pthread_t t[2];
        for (int i = 0; i < 2; i++) assert_int_equal(pthread_create(&t[i], NULL, race_to_create, &r[i]), 0);
        for (int i = 0; i < 2; i++) pthread_join(t[i], NULL);
        pthread_barrier_destroy(&go);
        int winner = r[0].rc == CIVIC_OK ? 0 : 1;
        assert_int_equal(r[winner].rc, CIVIC_OK);
        assert_int_equal(r[1 - winner].rc, CIVIC_E_IO);
        assert_non_null(strstr(r[1 - winner].message, "locked by another engine"));
        add_one(r[winner].e, "x1", "fine", "2024-01-01");
        civic_engine_free(r[0].e);
        civic_engine_free(r[1].e);
        civic_journal_report rep = CIVIC_JOURNAL_REPORT_INIT;
        civic_engine *again = journaled(name, CIVIC_SYNC_ALWAYS, &rep);
        assert_int_equal(rep.created, 0);
        assert_int_equal(civic_engine_event_count(again), 1);
        civic_engine_free(again);
        size_t n = 0;
        char **left = names_in("", &n); /* no temporary file left behind */
        for (size_t i = 0; i < n; i++) assert_null(strstr(left[i], ".tmp."));
        free_names(left, n);
    }
}

/* The same over an empty file at the path (what `touch`, or a program
 * killed right after creating it, leaves): the engine let the empty file's
 * lock go and renamed a fresh journal over it, so two engines both opened
 * it, the later rename won, and the other went on appending to a file with
 * no name: its acknowledged events were gone at the next open.  While both
 * engines live at most one has the journal, and every event acknowledged is
 * replayed.  (Before the fix both opened in nearly every round.) */
static void two_engines_opening_one_empty_journal_never_both_get_it(void **state)
{
    char sub[300];
    snprintf(sub, sizeof(sub), "%s/empty", dir);
    assert_int_equal(mkdir(sub, 0700), 0);
    for (int round = 0; round < 200; round++) {
        char name[32], path[256];
        snprintf(name, sizeof(name), "empty/e%d.jnl", round);
        snprintf(path, sizeof(path), "%s", path_in(name));
        write_all(path, (const unsigned char *)"", 0);
        pthread_barrier_t go;
        assert_int_equal(pthread_barrier_init(&go, NULL, 2), 0);
        racer r[2] = { { fresh_engine(), path, &go, 0, "", CIVIC_SYNC_NONE },
                       { fresh_engine(), path, &go, 0, "", CIVIC_SYNC_NONE } };
        pthread_t t[2];
        for (int i = 0; i < 2; i++) assert_int_equal(pthread_create(&t[i], NULL, race_to_create, &r[i]), 0);
        for (int i = 0; i < 2; i++) pthread_join(t[i], NULL);
        pthread_barrier_destroy(&go);
        uint64_t acknowledged = 0;
        for (int i = 0; i < 2; i++) {
            if (r[i].rc != CIVIC_OK) {
                assert_int_equal(r[i].rc, CIVIC_E_IO);
                assert_non_null(strstr(r[i].message, "locked by another engine"));
                continue;
            }
            add_one(r[i].e, i ? "x2" : "x1", "fine", "2024-01-01");
            acknowledged++;
        }
        civic_engine_free(r[0].e);
        civic_engine_free(r[1].e);
        civic_journal_report rep = CIVIC_JOURNAL_REPORT_INIT;
        civic_engine *again = journaled(name, CIVIC_SYNC_NONE, &rep);
        assert_int_equal(rep.created, 0);
        assert_int_equal(civic_engine_event_count(again), acknowledged);
        assert_int_equal(acknowledged, 1);
        civic_engine_free(again);
        const char *only[] = { name + strlen("empty/") }; /* no temporary file left behind */
        assert_true(names_are("empty", only, 1));
        assert_int_equal(unlink(path), 0);
    }
}

/* The same with two processes.  Each child opens the empty journal when the
 * parent lets both go, adds one event when it got the journal, tells the
 * parent and holds the journal until the parent has heard from both. */
static void two_processes_opening_one_empty_journal_never_both_get_it(void **state)
{
    if (getenv("CIVIC_TEST_UNDER_VALGRIND")) skip(); /* children exit with memory in use */
    char sub[300];
    snprintf(sub, sizeof(sub), "%s/emptyp", dir);
    assert_int_equal(mkdir(sub, 0700), 0);
    for (int round = 0; round < 100; round++) {
        char name[32], path[256];
        snprintf(name, sizeof(name), "emptyp/e%d.jnl", round);
        snprintf(path, sizeof(path), "%s", path_in(name));
        write_all(path, (const unsigned char *)"", 0);
        int go[2], said[2], release[2];
        assert_int_equal(pipe(go), 0);
        assert_int_equal(pipe(said), 0);
        assert_int_equal(pipe(release), 0);
        pid_t pid[2];
        for (int c = 0; c < 2; c++) {
            pid[c] = fork();
            assert_true(pid[c] >= 0);
            if (pid[c] == 0) {
                civic_engine *e = fresh_engine();
                char byte;
                close(go[1]);
                close(release[1]);
                close(said[0]);
                (void)!read(go[0], &byte, 1); /* end of file: the parent let go */
                civic_error err = CIVIC_ERROR_INIT;
                int rc = civic_engine_journal_open(e, path, CIVIC_SYNC_NONE, NULL, &err);
                civic_event ev = event_of(c ? "x2" : "x1", "solo", "fine", "2024-01-01");
                byte = rc == CIVIC_E_IO && strstr(err.message, "locked by another engine") ? 'L'
                       : rc != CIVIC_OK                             ? '?'
                       : civic_engine_add(e, &ev, NULL) == CIVIC_OK ? 'A'
                                                                    : '!';
                (void)!write(said[1], &byte, 1);
                (void)!read(release[0], &byte, 1);
                _exit(0);
            }
        }
        close(go[0]);
        close(said[1]);
        close(release[0]);
        close(go[1]); /* both children read the end of file now */
        uint64_t acknowledged = 0;
        for (int c = 0; c < 2; c++) {
            char byte = 0;
            assert_int_equal(read(said[0], &byte, 1), 1);
            if (byte != 'A' && byte != 'L') fail_msg("round %d: a child said %c", round, byte);
            acknowledged += byte == 'A';
        }
        close(said[0]);
        close(release[1]);
        for (int c = 0; c < 2; c++) {
            int status;
            assert_int_equal(waitpid(pid[c], &status, 0), pid[c]);
            assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        }
        civic_journal_report rep = CIVIC_JOURNAL_REPORT_INIT;
        civic_engine *again = journaled(name, CIVIC_SYNC_NONE, &rep);
        assert_int_equal(rep.created, 0);
        assert_int_equal(civic_engine_event_count(again), acknowledged);
        assert_int_equal(acknowledged, 1);
        civic_engine_free(again);
        const char *only[] = { name + strlen("emptyp/") };
        assert_true(names_are("emptyp", only, 1));
        assert_int_equal(unlink(path), 0);
    }
}

/* A journal path that is a symbolic link to a missing file is refused with
 * that reason, and the link stays (a rename used to replace it with the
 * journal, away from where the link pointed). */
static void a_journal_path_linking_to_nothing_is_named(void **state)
{
    char path[256], target[256];
    snprintf(path, sizeof(path), "%s", path_in("dangling.jnl"));
    snprintf(target, sizeof(target), "%s", path_in("nowhere/target.jnl"));
    assert_int_equal(symlink(target, path), 0);
    civic_engine *e = fresh_engine();
    civic_error err = CIVIC_ERROR_INIT;
    assert_int_equal(civic_engine_journal_open(e, path, CIVIC_SYNC_ALWAYS, NULL, &err), CIVIC_E_IO);
    assert_non_null(strstr(err.message, "symbolic link to a missing file"));
    struct stat st;
    assert_int_equal(lstat(path, &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    civic_engine_free(e);
    assert_int_equal(unlink(path), 0);
}

static void journal_rejects_bad_arguments(void **state)
{
    civic_engine *e = fresh_engine();
    civic_error err = CIVIC_ERROR_INIT;
    assert_int_equal(civic_engine_journal_open(e, path_in("a.jnl"), 0, NULL, &err), CIVIC_E_INVALID);
    assert_int_equal(civic_engine_journal_open(e, path_in("a.jnl"),
                                               CIVIC_SYNC_ALWAYS | CIVIC_SYNC_NONE, NULL, &err),
                     CIVIC_E_INVALID);
    assert_int_equal(civic_engine_journal_open(e, path_in("a.jnl"),
                                               CIVIC_SYNC_ALWAYS | CIVIC_SYNC_INTERVAL_MS(5), NULL,
                                               &err),
                     CIVIC_E_INVALID);
    assert_int_equal(civic_engine_journal_sync(e, &err), CIVIC_E_INVALID);
    assert_int_equal(civic_engine_journal_close(e, &err), CIVIC_E_INVALID);
    assert_int_equal(civic_engine_journal_open(e, path_in("a.jnl"), CIVIC_SYNC_ALWAYS, NULL, &err),
                     CIVIC_OK);
    assert_int_equal(civic_engine_journal_open(e, path_in("b.jnl"), CIVIC_SYNC_ALWAYS, NULL, &err),
                     CIVIC_E_INVALID);
    assert_int_equal(civic_engine_journal_close(e, &err), CIVIC_OK);
    assert_int_equal(civic_engine_journal_open(e, path_in("dir/missing/c.jnl"), CIVIC_SYNC_ALWAYS,
                                               NULL, &err),
                     CIVIC_E_IO);
    civic_engine_free(e);
}

static void journal_open_refuses(civic_engine *e, const char *path, uint32_t policy,
                                 const char *want)
{
    civic_error err = CIVIC_ERROR_INIT;
    assert_int_equal(civic_engine_journal_open(e, path, policy, NULL, &err), CIVIC_E_INVALID);
    assert_string_equal(err.message, want);
}

/* A bad sync policy is named with the one thing wrong in it (the message
 * was "invalid argument or sync policy" for each); so are a bad flag of
 * civic_engine_load_snapshot_ext and a NULL argument. */
static void a_bad_policy_or_flag_says_what_is_wrong(void **state)
{
    civic_engine *e = fresh_engine();
    const char *p = path_in("bad.jnl");
    journal_open_refuses(e, p, 0, "sync_policy 0x0 names no sync policy: give one of "
                         "CIVIC_SYNC_ALWAYS, CIVIC_SYNC_GROUP and CIVIC_SYNC_NONE");
    journal_open_refuses(e, p, CIVIC_JOURNAL_RECOVER, "sync_policy 0x100 names no sync policy: "
                         "give one of CIVIC_SYNC_ALWAYS, CIVIC_SYNC_GROUP and CIVIC_SYNC_NONE");
    journal_open_refuses(e, p, CIVIC_SYNC_ALWAYS | CIVIC_SYNC_NONE,
                         "sync_policy 0x5 names more than one sync policy: give one of "
                         "CIVIC_SYNC_ALWAYS, CIVIC_SYNC_GROUP and CIVIC_SYNC_NONE");
    journal_open_refuses(e, p, CIVIC_SYNC_ALWAYS | 0x8u,
                         "sync_policy 0x9 has unknown bits 0x8");
    journal_open_refuses(e, p, CIVIC_SYNC_NONE | 0x400u,
                         "sync_policy 0x404 has unknown bits 0x400");
    journal_open_refuses(e, p, CIVIC_SYNC_NONE | CIVIC_SYNC_INTERVAL_MS(10),
                         "sync_policy 0xa0004: CIVIC_SYNC_INTERVAL_MS(10) with CIVIC_SYNC_NONE: "
                         "an interval is only allowed with CIVIC_SYNC_GROUP");
    journal_open_refuses(e, p, CIVIC_SYNC_ALWAYS | CIVIC_SYNC_INTERVAL_MS(65535),
                         "sync_policy 0xffff0001: CIVIC_SYNC_INTERVAL_MS(65535) with "
                         "CIVIC_SYNC_ALWAYS: an interval is only allowed with CIVIC_SYNC_GROUP");
    journal_open_refuses(e, NULL, CIVIC_SYNC_ALWAYS, "path is NULL");
    journal_open_refuses(NULL, p, CIVIC_SYNC_ALWAYS, "engine is NULL");
    assert_int_equal(access(p, F_OK), -1); /* nothing created */
    civic_error err = CIVIC_ERROR_INIT;
    assert_int_equal(civic_engine_load_snapshot_ext(e, path_in("none.snap"), 0x4u, &err),
                     CIVIC_E_INVALID);
    assert_string_equal(err.message,
                        "flags 0x4 has unknown bits 0x4 (CIVIC_SNAPSHOT_OTHER_RULES is the only "
                        "flag)");
    assert_int_equal(civic_engine_load_snapshot_ext(e, path_in("none.snap"),
                                                    CIVIC_SNAPSHOT_OTHER_RULES | 0x10u, &err),
                     CIVIC_E_INVALID);
    assert_string_equal(err.message,
                        "flags 0x11 has unknown bits 0x10 (CIVIC_SNAPSHOT_OTHER_RULES is the only "
                        "flag)");
    assert_int_equal(civic_engine_load_snapshot_ext(e, NULL, 0, &err), CIVIC_E_INVALID);
    assert_string_equal(err.message, "path is NULL");
    assert_int_equal(civic_engine_load_snapshot_ext(NULL, path_in("none.snap"), 0, &err),
                     CIVIC_E_INVALID);
    assert_string_equal(err.message, "engine is NULL");
    civic_engine_free(e);
}

/* A snapshot event that conflicts with one the engine holds is named as the
 * journal names its own: the file and the byte of the record (here the
 * only one: after the 48-byte header and the 16-byte block header). */
static void a_snapshot_event_in_conflict_names_the_file_and_record(void **state)
{
    civic_engine *a = fresh_engine();
    add_one(a, "e2", "fine", "2024-01-01");
    assert_int_equal(civic_engine_save(a, path_in("conflict.snap"), NULL), CIVIC_OK);
    civic_engine_free(a);
    civic_engine *b = fresh_engine();
    add_one(b, "e2", "dog", "2024-01-01");
    civic_error err = CIVIC_ERROR_INIT;
    assert_int_equal(civic_engine_load_snapshot(b, path_in("conflict.snap"), &err),
                     CIVIC_E_CONFLICT);
    assert_int_equal(err.code, CIVIC_E_CONFLICT);
    assert_int_equal(err.offset, 64);
    char want[400];
    snprintf(want, sizeof(want), "snapshot %s, record at byte 64: event id \"e2\" was seen "
             "before with a different type: ", path_in("conflict.snap"));
    if (strncmp(err.message, want, strlen(want)) != 0)
        fail_msg("got: %s\nwant it to begin: %s", err.message, want);
    assert_int_equal(civic_engine_event_count(b), 1);
    /* under a long name the file is cut, never the cause, which ends the
     * message whole: the cause of a conflict is what an operator acts on */
    char cause_copy[256], name[201], id[101];
    memset(id, 'x', 100);
    id[100] = '\0';
    add_one(b, id, "dog", "2024-01-01");
    memset(name, 'n', 195);
    memcpy(name + 195, ".snap", 6);
    civic_engine *c = fresh_engine();
    add_one(c, id, "fine", "2024-01-01");
    assert_int_equal(civic_engine_save(c, path_in("short.snap"), NULL), CIVIC_OK);
    assert_int_equal(civic_engine_load_snapshot(b, path_in("short.snap"), &err), CIVIC_E_CONFLICT);
    snprintf(cause_copy, sizeof(cause_copy), "%s", strstr(err.message, ": event id") + 2);
    assert_int_equal(civic_engine_save(c, path_in(name), NULL), CIVIC_OK);
    civic_engine_free(c);
    assert_int_equal(civic_engine_load_snapshot(b, path_in(name), &err), CIVIC_E_CONFLICT);
    size_t m = strlen(err.message), k = strlen(cause_copy);
    if (m < k || strcmp(err.message + m - k, cause_copy) != 0 ||
        strncmp(err.message, "snapshot ", 9) != 0 || !strstr(err.message, "nnnn.snap, record at byte 64: "))
        fail_msg("got: %s\nwant it to end: %s", err.message, cause_copy);
    civic_engine_free(b);
}

static void journal_with_damaged_header_or_other_rules_is_refused(void **state)
{
    civic_engine *a = journaled("h.jnl", CIVIC_SYNC_ALWAYS, NULL);
    add_one(a, "x1", "fine", "2024-01-01");
    civic_engine_free(a);
    size_t n;
    unsigned char *bytes = read_all(path_in("h.jnl"), &n);
    civic_error err = CIVIC_ERROR_INIT;
    for (size_t i = 0; i < 32; i++) {
        bytes[i] ^= 0x10;
        write_all(path_in("h2.jnl"), bytes, n);
        bytes[i] ^= 0x10;
        civic_engine *e = fresh_engine();
        assert_int_equal(civic_engine_journal_open(e, path_in("h2.jnl"), CIVIC_SYNC_ALWAYS, NULL,
                                                   &err),
                         CIVIC_E_CORRUPT);
        assert_int_equal(civic_engine_event_count(e), 0);
        civic_engine_free(e);
    }
    write_all(path_in("h3.jnl"), bytes, 20);
    civic_engine *e = fresh_engine();
    assert_int_equal(civic_engine_journal_open(e, path_in("h3.jnl"), CIVIC_SYNC_ALWAYS, NULL, &err),
                     CIVIC_E_CORRUPT);
    civic_engine_free(e);
    civic_engine *o = engine_from(OTHER_RULES_TEXT);
    assert_int_equal(civic_engine_journal_open(o, path_in("h.jnl"), CIVIC_SYNC_ALWAYS, NULL, &err),
                     CIVIC_E_MISMATCH);
    assert_non_null(strstr(err.message, "other rules"));
    civic_engine_free(o);
    free(bytes);
}

/* Cut the journal at every offset inside its last batch (and flip bytes in
 * it): the earlier batches come back, the torn one is gone, the file is cut
 * back to the last commit and accepts appends again.  A cut record keeps no
 * copy; a flipped one, whole in the file, keeps one wherever the flip is
 * (its magic, flags, count, reserved word, checksum or payload), but in
 * its length when the length then runs past the end of the file: that one
 * might be a write cut short. */
static void journal_torn_tail_is_truncated_at_every_offset(void **state)
{
    civic_engine *a = journaled("t.jnl", CIVIC_SYNC_ALWAYS, NULL);
    add_one(a, "x1", "fine", "2024-01-01");
    add_one(a, "x2", "dog", "2024-02-01");
    uint64_t good = file_size(path_in("t.jnl"));
    load_ok(a, "id,subject,type,ts\ny1,solo,fine,2024-03-01\ny2,other,dog,2024-03-02\n");
    civic_engine_free(a);
    size_t n;
    unsigned char *bytes = read_all(path_in("t.jnl"), &n);
    for (size_t len = good; len <= n; len++) {
        for (int flip = 0; flip < 2; flip++) {
            if (flip && len == n) continue;
            write_all(path_in("t2.jnl"), bytes, len);
            if (flip) {
                unsigned char *copy = malloc(n);
                memcpy(copy, bytes, n);
                copy[len] ^= 0x40;
                write_all(path_in("t2.jnl"), copy, n);
                free(copy);
            }
            civic_journal_report rep = CIVIC_JOURNAL_REPORT_INIT;
            civic_engine *b = journaled("t2.jnl", CIVIC_SYNC_ALWAYS, &rep);
            uint64_t expect = len == n && !flip ? 3 : 2;
            assert_int_equal(rep.batches, expect);
            assert_int_equal(civic_engine_event_count(b), expect == 3 ? 4 : 2);
            assert_int_equal(rep.bytes_truncated, expect == 3 ? 0 : (flip ? n : len) - good);
            assert_int_equal(file_size(path_in("t2.jnl")), expect == 3 ? n : good);
            /* the copy goes with the record's being whole, and nothing else */
            assert_int_equal(copies_of("t2.jnl"), rep.copy_kept);
            assert_int_equal(rep.copy_kept, rep.cut_whole);
            size_t in_record = len - (size_t)good;
            if (!flip) assert_int_equal(rep.copy_kept, 0);
            else if (in_record < 12 || in_record >= 16) assert_int_equal(rep.copy_kept, 1);
            remove_copies("t2.jnl");
            add_one(b, "z1", "fine", "2024-05-01");
            civic_engine_free(b);
            civic_engine *c = journaled("t2.jnl", CIVIC_SYNC_ALWAYS, &rep);
            assert_int_equal(rep.bytes_truncated, 0);
            assert_int_equal(civic_engine_event_count(c), expect == 3 ? 5 : 3);
            civic_engine_free(c);
        }
    }
    free(bytes);
}

/* ------------------------------------------------------------ damage in the middle */

/* A journal of five one-event batches; *starts gets each record's offset
 * (one record per batch here) and the file's size. */
static void five_batches(const char *name, uint64_t starts[6])
{
    civic_engine *a = journaled(name, CIVIC_SYNC_ALWAYS, NULL);
    for (int i = 0; i < 5; i++) {
        starts[i] = file_size(path_in(name));
        char id[16];
        snprintf(id, sizeof(id), "b%d", i);
        add_one(a, id, i % 2 ? "dog" : "fine", "2024-01-01");
    }
    starts[5] = file_size(path_in(name));
    civic_engine_free(a);
}

static int open_damaged(const char *name, uint32_t flags, civic_journal_report *rep,
                        civic_error *err, uint64_t *events)
{
    civic_engine *e = fresh_engine();
    int rc = civic_engine_journal_open(e, path_in(name), CIVIC_SYNC_ALWAYS | flags, rep, err);
    *events = civic_engine_event_count(e);
    civic_engine_free(e);
    return rc;
}

/* A flipped byte in the second of five batches (payload, checksum, magic or
 * length field) is damage, not a torn tail: the open fails, names the
 * offset and the three intact batches after it, and changes neither the
 * engine nor the file.  Only the last record, with nothing after it, is a
 * torn tail (journal_torn_tail_is_truncated_at_every_offset). */
static void journal_damage_before_intact_batches_is_refused_and_named(void **state)
{
    uint64_t at[6];
    five_batches("mid.jnl", at);
    size_t n;
    unsigned char *good = read_all(path_in("mid.jnl"), &n);
    const uint64_t where[] = { at[1] + 30, at[1] + 21, at[1] + 1, at[1] + 13 };
    for (size_t w = 0; w < 4; w++) {
        unsigned char *bad = malloc(n);
        memcpy(bad, good, n);
        bad[where[w]] ^= 0x40;
        write_all(path_in("mid2.jnl"), bad, n);
        civic_error err = CIVIC_ERROR_INIT;
        uint64_t events;
        assert_int_equal(open_damaged("mid2.jnl", 0, NULL, &err, &events), CIVIC_E_CORRUPT);
        assert_int_equal(events, 0);
        assert_int_equal(err.offset, at[1]);
        char want[64];
        snprintf(want, sizeof(want), "damaged at byte %llu", (unsigned long long)at[1]);
        assert_non_null(strstr(err.message, want));
        assert_non_null(strstr(err.message, "3 intact batches"));
        size_t m;
        unsigned char *after = read_all(path_in("mid2.jnl"), &m);
        assert_int_equal(m, n);
        assert_memory_equal(after, bad, n); /* nothing truncated */
        free(after);
        free(bad);
    }
    free(good);
}

/* dir/sub holds the journal name and one copy of it, name.damaged.<time>,
 * whose bytes are bad[0..n). */
static void only_journal_and_its_copy(const char *sub, const char *name,
                                      const unsigned char *bad, size_t n)
{
    size_t count;
    char **names = names_in(sub, &count);
    assert_int_equal(count, 2);
    assert_string_equal(names[0], name);
    char prefix[64];
    snprintf(prefix, sizeof(prefix), "%s.damaged.", name);
    assert_int_equal(strncmp(names[1], prefix, strlen(prefix)), 0);
    char copy[600];
    snprintf(copy, sizeof(copy), "%s/%s/%s", dir, sub, names[1]);
    size_t m;
    unsigned char *kept = read_all(copy, &m);
    assert_int_equal(m, n);
    assert_memory_equal(kept, bad, n);
    free(kept);
    free_names(names, count);
}

/* sub/f.jnl written as bytes[0..len) opens with the engine's 3 events and
 * is cut to `good` bytes; the report says whether a copy was kept (then the
 * directory holds the journal and the copy, and is emptied) and whether the
 * record cut was whole (else it holds the journal alone). */
static civic_journal_report opens_cut_to(const char *sub, const unsigned char *bytes, size_t len,
                                         uint64_t good, uint32_t copy_kept, uint32_t cut_whole)
{
    char name[64];
    snprintf(name, sizeof(name), "%s/f.jnl", sub);
    write_all(path_in(name), bytes, len);
    civic_journal_report rep = CIVIC_JOURNAL_REPORT_INIT;
    civic_error err = CIVIC_ERROR_INIT;
    uint64_t events;
    assert_int_equal(open_damaged(name, 0, &rep, &err, &events), CIVIC_OK);
    assert_int_equal(events, 3);
    assert_int_equal(rep.bytes_truncated, len - good);
    assert_int_equal(rep.copy_kept, copy_kept);
    assert_int_equal(rep.cut_whole, cut_whole);
    assert_int_equal(file_size(path_in(name)), good);
    if (copy_kept) {
        only_journal_and_its_copy(sub, "f.jnl", bytes, len);
        empty_dir(sub);
    } else {
        const char *only[] = { "f.jnl" };
        assert_true(names_are(sub, only, 1));
    }
    return rep;
}

/* With CIVIC_JOURNAL_RECOVER the same file opens: a copy of it is kept as
 * <path>.damaged.<time>, the journal is cut at the damage, and later writes
 * go on from there. */
static void journal_recovery_keeps_a_copy_and_cuts_at_the_damage(void **state)
{
    char sub[300];
    snprintf(sub, sizeof(sub), "%s/rec", dir);
    assert_int_equal(mkdir(sub, 0700), 0);
    uint64_t at[6];
    five_batches("rec/r.jnl", at);
    size_t n;
    unsigned char *bad = read_all(path_in("rec/r.jnl"), &n);
    bad[at[2] + 30] ^= 0x01;
    write_all(path_in("rec/r.jnl"), bad, n);
    civic_journal_report rep = CIVIC_JOURNAL_REPORT_INIT;
    civic_error err = CIVIC_ERROR_INIT;
    uint64_t events;
    assert_int_equal(open_damaged("rec/r.jnl", CIVIC_JOURNAL_RECOVER, &rep, &err, &events),
                     CIVIC_OK);
    assert_int_equal(events, 2);
    assert_int_equal(rep.batches, 2);
    assert_int_equal(rep.bytes_truncated, n - at[2]);
    assert_int_equal(file_size(path_in("rec/r.jnl")), at[2]);
    only_journal_and_its_copy("rec", "r.jnl", bad, n);
    free(bad);
    civic_engine *b = journaled("rec/r.jnl", CIVIC_SYNC_ALWAYS, &rep);
    assert_int_equal(rep.bytes_truncated, 0);
    add_one(b, "after", "fine", "2024-02-01");
    civic_engine_free(b);
    civic_engine *c = journaled("rec/r.jnl", CIVIC_SYNC_ALWAYS, &rep);
    assert_int_equal(civic_engine_event_count(c), 3);
    civic_engine_free(c);
    civic_engine *d = fresh_engine(); /* the flag is a flag, not a policy */
    assert_int_equal(civic_engine_journal_open(d, path_in("rec/x.jnl"), CIVIC_JOURNAL_RECOVER, NULL,
                                               NULL),
                     CIVIC_E_INVALID);
    assert_int_equal(civic_engine_journal_open(d, path_in("rec/x.jnl"), CIVIC_SYNC_NONE | 0x400u,
                                               NULL, NULL),
                     CIVIC_E_INVALID);
    civic_engine_free(d);
}

/* dir/sub/ and a file name of len bytes: fill repeated, then ext; out
 * (600 bytes) gets the path, *base where the name starts in it. */
static void long_name(char *out, const char *sub, size_t len, char fill, const char *ext,
                      const char **base)
{
    int at = snprintf(out, 600, "%s/%s/", dir, sub);
    size_t e = strlen(ext);
    assert_true(at > 0 && (size_t)at + len < 600 && len > e);
    memset(out + at, fill, len - e);
    memcpy(out + (size_t)at + len - e, ext, e + 1);
    *base = out + at;
}

/* File names of 245 to 255 bytes (NAME_MAX is 255) are saved, journaled and
 * compacted, though "<name>.tmp.XXXXXX" would pass NAME_MAX: the temporary
 * file takes a shorter name in the same directory, and nothing is left
 * behind.  (They failed: "cannot create a temporary file for ...: File name
 * too long".) */
static void names_of_245_to_255_bytes_are_saved_journaled_and_compacted(void **state)
{
    char sub[300];
    snprintf(sub, sizeof(sub), "%s/long", dir);
    assert_int_equal(mkdir(sub, 0700), 0);
    const size_t lens[] = { 244, 245, 250, 255 };
    for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
        char snap[600], jnl[600];
        const char *names[2];
        long_name(jnl, "long", lens[i], 'j', ".jnl", &names[0]);
        long_name(snap, "long", lens[i], 's', ".snap", &names[1]);
        civic_engine *a = engine_with_log(20);
        uint64_t held = civic_engine_event_count(a);
        civic_error err = CIVIC_ERROR_INIT;
        int rc = civic_engine_save(a, snap, &err);
        if (rc != CIVIC_OK) fail_msg("save, %zu-byte name: %s", lens[i], err.message);
        assert_int_equal(load_into_fresh(snap, &err), CIVIC_OK);
        rc = civic_engine_journal_open(a, jnl, CIVIC_SYNC_ALWAYS, NULL, &err);
        if (rc != CIVIC_OK) fail_msg("journal, %zu-byte name: %s", lens[i], err.message);
        add_one(a, "late", "fine", "2024-06-01");
        rc = civic_engine_compact(a, snap, &err);
        if (rc != CIVIC_OK) fail_msg("compaction, %zu-byte name: %s", lens[i], err.message);
        add_one(a, "later", "dog", "2024-06-02");
        civic_engine_free(a);
        civic_engine *b = fresh_engine();
        assert_int_equal(civic_engine_load_snapshot(b, snap, &err), CIVIC_OK);
        assert_int_equal(civic_engine_journal_open(b, jnl, CIVIC_SYNC_ALWAYS, NULL, &err),
                         CIVIC_OK);
        assert_int_equal(civic_engine_event_count(b), held + 2);
        civic_engine_free(b);
        assert_true(names_are("long", names, 2));
        empty_dir("long");
    }
}

/* A save of a 250-byte name killed before its rename leaves its temporary
 * file (of a shorter name), and the next save removes it. */
static void a_long_named_save_killed_midway_leaves_nothing_for_good(void **state)
{
    if (getenv("CIVIC_TEST_UNDER_VALGRIND")) skip(); /* children die with memory in use */
    char sub[300], snap[600];
    const char *base;
    snprintf(sub, sizeof(sub), "%s/longkill", dir);
    assert_int_equal(mkdir(sub, 0700), 0);
    long_name(snap, "longkill", 250, 'k', ".snap", &base);
    civic_engine *a = engine_with_log(20);
    bool left = false;
    for (long k = 1; k <= 8 && !left; k++) {
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            crash_calls = 0;
            crash_at = k;
            (void)civic_engine_save(a, snap, NULL);
            raise(SIGKILL);
            _exit(5);
        }
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        size_t n;
        char **names = names_in("longkill", &n);
        left = n == 1 && strcmp(names[0], base) != 0 && strlen(names[0]) <= 255;
        free_names(names, n);
    }
    assert_true(left);
    civic_error err = CIVIC_ERROR_INIT;
    assert_int_equal(civic_engine_save(a, snap, &err), CIVIC_OK);
    const char *only[] = { base };
    assert_true(names_are("longkill", only, 1));
    civic_engine_free(a);
}

/* CIVIC_JOURNAL_RECOVER keeps the copy of a damaged journal of a 244- or
 * 250-byte name under a name NAME_MAX allows, beside it, holding ".damaged.".
 * (It failed: "cannot create a copy of the damaged file: File name too
 * long".) */
static void a_damaged_journal_of_a_long_name_keeps_its_copy(void **state)
{
    char sub[300];
    snprintf(sub, sizeof(sub), "%s/longrec", dir);
    assert_int_equal(mkdir(sub, 0700), 0);
    const size_t lens[] = { 244, 250, 255 };
    for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
        char jnl[600];
        const char *base;
        long_name(jnl, "longrec", lens[i], 'r', ".jnl", &base);
        civic_engine *a = fresh_engine();
        assert_int_equal(civic_engine_journal_open(a, jnl, CIVIC_SYNC_ALWAYS, NULL, NULL),
                         CIVIC_OK);
        uint64_t at[3];
        for (int b = 0; b < 3; b++) {
            at[b] = file_size(jnl);
            char id[16];
            snprintf(id, sizeof(id), "b%d", b);
            add_one(a, id, "fine", "2024-01-01");
        }
        civic_engine_free(a);
        size_t n;
        unsigned char *bad = read_all(jnl, &n);
        bad[at[1] + 30] ^= 0x01;
        write_all(jnl, bad, n);
        civic_engine *e = fresh_engine();
        civic_error err = CIVIC_ERROR_INIT;
        int rc = civic_engine_journal_open(e, jnl, CIVIC_SYNC_ALWAYS | CIVIC_JOURNAL_RECOVER,
                                           NULL, &err);
        if (rc != CIVIC_OK) fail_msg("%zu-byte name: %s", lens[i], err.message);
        assert_int_equal(civic_engine_event_count(e), 1);
        civic_engine_free(e);
        assert_int_equal(file_size(jnl), at[1]);
        size_t count;
        char **names = names_in("longrec", &count);
        assert_int_equal(count, 2);
        const char *copy = strcmp(names[0], base) == 0 ? names[1] : names[0];
        assert_true(strcmp(names[0], base) == 0 || strcmp(names[1], base) == 0);
        assert_non_null(strstr(copy, ".damaged."));
        assert_true(strlen(copy) <= 255);
        assert_int_equal(strncmp(copy, base, 200), 0); /* its name begins as the journal's */
        char path[700];
        snprintf(path, sizeof(path), "%s/%s", sub, copy);
        size_t m;
        unsigned char *kept = read_all(path, &m);
        assert_int_equal(m, n);
        assert_memory_equal(kept, bad, n);
        free(kept);
        free(bad);
        free_names(names, count);
        empty_dir("longrec");
    }
}

/* A damaged header (a flipped byte anywhere in it, or the file cut inside
 * it) is damage before every record: the open is refused, naming the intact
 * batches after it; with CIVIC_JOURNAL_RECOVER a copy of the whole file is
 * kept and the journal starts anew (writes go on, and replay).  (It was
 * refused with the flag too, so civic-server's --recover could not start.)
 * A file that is no journal at all (no magic, no record) is refused with
 * the flag as well, and left as it was, with no copy. */
static void journal_with_a_damaged_header_recovers_to_a_fresh_journal(void **state)
{
    char sub[300];
    snprintf(sub, sizeof(sub), "%s/hdr", dir);
    assert_int_equal(mkdir(sub, 0700), 0);
    uint64_t at[6];
    five_batches("hdr/good.jnl", at);
    size_t n;
    unsigned char *good = read_all(path_in("hdr/good.jnl"), &n);
    assert_int_equal(unlink(path_in("hdr/good.jnl")), 0);
    const size_t flips[] = { 0, 7, 12, 20, 31, 0 };
    for (size_t f = 0; f < 6; f++) {
        unsigned char *bad = malloc(n);
        memcpy(bad, good, n);
        size_t len = f == 5 ? 20 : n; /* the last: cut inside the header */
        if (f < 5) bad[flips[f]] ^= 0x04;
        write_all(path_in("hdr/h.jnl"), bad, len);
        civic_journal_report rep = CIVIC_JOURNAL_REPORT_INIT;
        civic_error err = CIVIC_ERROR_INIT;
        uint64_t events;
        assert_int_equal(open_damaged("hdr/h.jnl", 0, &rep, &err, &events), CIVIC_E_CORRUPT);
        assert_int_equal(events, 0);
        assert_non_null(strstr(err.message, f == 5 ? "truncated header (nothing follows it); open with "
                                                     "CIVIC_JOURNAL_RECOVER"
                                                   : "(5 intact batches, 5 records, follow it); "
                                                     "open with CIVIC_JOURNAL_RECOVER"));
        assert_int_equal(file_size(path_in("hdr/h.jnl")), len); /* untouched */
        assert_int_equal(open_damaged("hdr/h.jnl", CIVIC_JOURNAL_RECOVER, &rep, &err, &events),
                         CIVIC_OK);
        assert_int_equal(events, 0);
        assert_int_equal(rep.bytes_truncated, len);
        assert_int_equal(file_size(path_in("hdr/h.jnl")), 32);
        only_journal_and_its_copy("hdr", "h.jnl", bad, len);
        civic_engine *b = journaled("hdr/h.jnl", CIVIC_SYNC_ALWAYS, &rep);
        assert_int_equal(rep.bytes_truncated, 0);
        add_one(b, "after", "fine", "2024-02-01");
        civic_engine_free(b);
        civic_engine *c = journaled("hdr/h.jnl", CIVIC_SYNC_ALWAYS, &rep);
        assert_int_equal(civic_engine_event_count(c), 1);
        civic_engine_free(c);
        empty_dir("hdr");
        free(bad);
    }
    /* no journal: text, short files (a prefix of the magic is no magic), and
     * files that hold a journal's records but not where a journal's first
     * record is (an archive of one, notes before one) */
    unsigned char *holder = malloc(512 + n);
    memset(holder, 'x', 512);
    memcpy(holder + 512, good, n);
    const struct { const unsigned char *bytes; size_t len; const char *why; } other[] = {
        { (const unsigned char *)"NOT A JOURNAL, NOT AT ALL, NOT EVEN CLOSE", 41, "bad magic" },
        /* shorter than a header: a prefix of the magic is a journal cut
         * short; other bytes are no journal at all, however short (text
         * was told "truncated header", as if a libcivic file were damaged) */
        { (const unsigned char *)"xy", 2, "bad magic" },
        { (const unsigned char *)"hello world, not a journal\n", 27, "bad magic" },
        { (const unsigned char *)"id,subject,type,ts\n", 19, "bad magic" },
        { (const unsigned char *)"C", 1, "truncated header" },
        { (const unsigned char *)"CIVICJN", 7, "truncated header" },
        { holder, 512 + n, "bad magic" },
        { holder + 512 - 100, 100 + n, "bad magic" },
        /* a snapshot given for the journal (files swapped), short or not */
        { (const unsigned char *)"CIVICSNPxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", 41,
          "it is a libcivic snapshot" },
        { (const unsigned char *)"CIVICSNPxx", 10, "it is a libcivic snapshot" },
    };
    for (size_t i = 0; i < sizeof(other) / sizeof(other[0]); i++) {
        write_all(path_in("hdr/h.jnl"), other[i].bytes, other[i].len);
        civic_error err = CIVIC_ERROR_INIT;
        uint64_t events;
        assert_int_equal(open_damaged("hdr/h.jnl", CIVIC_JOURNAL_RECOVER, NULL, &err, &events),
                         CIVIC_E_CORRUPT);
        char want[64];
        snprintf(want, sizeof(want), "not a libcivic journal (%s)", other[i].why);
        if (!strstr(err.message, want)) fail_msg("case %zu: %s", i, err.message);
        const char *only[] = { "h.jnl" };
        assert_true(names_are("hdr", only, 1));
        size_t m;
        unsigned char *after = read_all(path_in("hdr/h.jnl"), &m);
        assert_int_equal(m, other[i].len);
        assert_memory_equal(after, other[i].bytes, m);
        free(after);
    }
    free(holder);
    empty_dir("hdr");
    free(good);
}

/* A journal at name (CIVIC_SYNC_NONE) holding x1, then one batch of n events
 * of make_log(n, prefix); *good gets its size after x1.  The engine stays
 * open when more is to be added (out), else it is freed.  Returns the size
 * after the batch. */
/* Load a batch of n events (make_log) into a, journaled at name, and free
 * a: the journal's size before the batch. */
static uint64_t then_batch(civic_engine *a, const char *name, size_t n)
{
    uint64_t good = file_size(path_in(name));
    char *log = make_log(n, "b");
    load_ok(a, log);
    free(log);
    civic_engine_free(a);
    return good;
}

static uint64_t x1_then_batch(const char *name, size_t n, const char *prefix, uint64_t *good,
                              civic_engine **out)
{
    civic_engine *a = journaled(name, CIVIC_SYNC_NONE, NULL);
    add_one(a, "x1", "fine", "2024-01-01");
    *good = file_size(path_in(name));
    char *log = make_log(n, prefix);
    load_ok(a, log);
    free(log);
    if (out) *out = a;
    else civic_engine_free(a);
    return file_size(path_in(name));
}

/* A batch larger than one record (about 1 MiB) is applied only whole. */
static void journal_big_batch_torn_between_records_is_dropped_whole(void **state)
{
    uint64_t good, full = x1_then_batch("big.jnl", 30000, "b", &good, NULL);
    assert_true(full - good > (1u << 20));
    /* Keep the first record of the batch and half of the second. */
    assert_int_equal(truncate(path_in("big.jnl"), (off_t)(good + (1u << 20) + 300)), 0);
    civic_journal_report rep = CIVIC_JOURNAL_REPORT_INIT;
    civic_engine *b = journaled("big.jnl", CIVIC_SYNC_ALWAYS, &rep);
    assert_int_equal(rep.batches, 1);
    /* the report counts what was replayed: the torn batch's first record
     * was read, then rolled back (it counted its ~20,000 events) */
    assert_int_equal(rep.events, 1);
    assert_int_equal(rep.accepted, 1);
    assert_int_equal(civic_engine_event_count(b), 1);
    assert_int_equal(civic_engine_subject_count(b), 1);
    assert_int_equal(file_size(path_in("big.jnl")), good);
    assert_int_equal(copies_of("big.jnl"), 0); /* nothing intact after the damage */
    civic_engine_free(b);
}


/* A big last batch whose pages reached the disk out of order (power lost
 * during its write): a page of its second record is zeros and its last
 * record, the commit, is whole.  No whole batch follows the damage, so it
 * is a torn tail: the batch is dropped, as when its end is missing.  With a
 * whole batch after it, it is damage, refused and named. */
static void journal_big_batch_with_a_page_missing_is_a_torn_tail(void **state)
{
    civic_engine *a;
    uint64_t good, big = x1_then_batch("page.jnl", 70000, "b", &good, &a);
    add_one(a, "x2", "fine", "2024-01-02");
    civic_engine_free(a);
    assert_true(big - good > (2u << 20)); /* three records or more */
    size_t n;
    unsigned char *whole = read_all(path_in("page.jnl"), &n);
    size_t hole = (size_t)good + (1u << 20) + 8192; /* inside the second record */
    memset(whole + hole, 0, 4096);
    write_all(path_in("page2.jnl"), whole, n); /* x2's batch after it */
    write_all(path_in("page.jnl"), whole, (size_t)big); /* the big batch last */
    civic_journal_report rep = CIVIC_JOURNAL_REPORT_INIT;
    civic_error err = CIVIC_ERROR_INIT;
    uint64_t events;
    assert_int_equal(open_damaged("page.jnl", 0, &rep, &err, &events), CIVIC_OK);
    assert_int_equal(events, 1);
    assert_int_equal(rep.batches, 1);
    assert_int_equal(rep.bytes_truncated, big - good);
    assert_int_equal(file_size(path_in("page.jnl")), good);
    assert_int_equal(copies_of("page.jnl"), 1); /* its commit was intact: a copy first */
    assert_int_equal(open_damaged("page2.jnl", 0, &rep, &err, &events), CIVIC_E_CORRUPT);
    assert_int_equal(events, 0);
    assert_non_null(strstr(err.message, "1 intact batch (1 record) follows it, plus "));
    assert_int_equal(file_size(path_in("page2.jnl")), n);
    free(whole);
}

/* The same with the page missing from the batch's first record: the rest of
 * the batch is intact after it, and nothing else, so the tail is torn (it
 * was refused as damage: the rule above looked only inside a batch whose
 * first record had been read).  So too with that record's header zeros, as
 * a power cut that never wrote the page it begins on leaves it (refused
 * before: the record might have been a whole batch of its own; but one
 * acknowledged was synced before the next was written).  With its header
 * damaged otherwise it might be: damage, refused. */
static void journal_big_batch_missing_a_page_of_its_first_record_is_a_torn_tail(void **state)
{
    civic_engine *a;
    uint64_t good, big = x1_then_batch("first.jnl", 70000, "b", &good, &a);
    civic_engine_free(a);
    assert_true(big - good > (2u << 20));
    size_t n;
    unsigned char *whole = read_all(path_in("first.jnl"), &n);
    for (int header = 0; header <= 2; header++) {
        unsigned char *bad = malloc(n);
        memcpy(bad, whole, n);
        if (header == 1) /* the first record's header, to the end of its page */
            memset(bad + good, 0, 4096 - (size_t)good % 4096);
        else if (header == 2)
            bad[good] ^= 0x01; /* a bit of its header's magic */
        else
            memset(bad + good + 8192, 0, 4096); /* a page of its payload */
        write_all(path_in("first2.jnl"), bad, n);
        civic_journal_report rep = CIVIC_JOURNAL_REPORT_INIT;
        civic_error err = CIVIC_ERROR_INIT;
        uint64_t events;
        int rc = open_damaged("first2.jnl", 0, &rep, &err, &events);
        if (header < 2) {
            assert_int_equal(rc, CIVIC_OK);
            assert_int_equal(events, 1);
            assert_int_equal(rep.bytes_truncated, big - good);
            assert_int_equal(file_size(path_in("first2.jnl")), good);
        } else {
            assert_int_equal(rc, CIVIC_E_CORRUPT);
            assert_non_null(strstr(err.message, ", and no intact batch follows it, only "));
            assert_non_null(strstr(err.message, " of incomplete batches: the record may have "
                                   "been an acknowledged batch; open with CIVIC_JOURNAL_RECOVER "
                                   "to keep a copy and cut the journal there"));
            assert_int_equal(file_size(path_in("first2.jnl")), n);
        }
        /* each cut's; the refusal keeps none */
        assert_int_equal(copies_of("first2.jnl"), header == 0 ? 1 : 2);
        free(bad);
    }
    free(whole);
}

/* The same where the first record's header runs over a sector's end: a
 * power cut that never wrote the page it begins on zeroes it only up to
 * there, the rest of it on the next page, which was written.  A torn tail
 * still (it was refused as damage: only a header all zeros was taken for
 * unwritten pages). */
static void a_first_header_zero_up_to_a_sector_end_is_a_torn_tail(void **state)
{
    (void)state;
    civic_engine *a = journaled("sector.jnl", CIVIC_SYNC_NONE, NULL);
    uint64_t held = 0;
    for (; held < 2000 && file_size(path_in("sector.jnl")) % 512 < 490; held++) {
        char id[24];
        snprintf(id, sizeof(id), "p%llu", (unsigned long long)held);
        add_one(a, id, "fine", "2024-01-01");
    }
    uint64_t good = then_batch(a, "sector.jnl", 30000);
    assert_true(good % 512 >= 490); /* the header's last bytes past the sector's end */
    size_t n;
    unsigned char *bytes = read_all(path_in("sector.jnl"), &n);
    assert_true(n - good > (1u << 20)); /* a batch of several records */
    size_t upto = (size_t)(good / 512 + 1) * 512;
    memset(bytes + good, 0, upto - (size_t)good);
    assert_true(bytes[good + 23] != 0 || bytes[good + 22] != 0); /* not all of the header */
    write_all(path_in("sector2.jnl"), bytes, n);
    civic_journal_report rep = CIVIC_JOURNAL_REPORT_INIT;
    civic_error err = CIVIC_ERROR_INIT;
    uint64_t events;
    int rc = open_damaged("sector2.jnl", 0, &rep, &err, &events);
    if (rc != CIVIC_OK) fprintf(stderr, "%s\n", err.message);
    assert_int_equal(rc, CIVIC_OK);
    assert_int_equal(events, held);
    assert_int_equal(file_size(path_in("sector2.jnl")), good);
    assert_int_equal(copies_of("sector2.jnl"), 1);
    free(bytes);
}

/* A big batch damaged in its first record, then a whole batch: refused as
 * damage, and the message counts what follows truly.  The rest of the big
 * batch is intact records of no whole batch; they were counted with the
 * batch after them ("1 intact batches (3 records) follow it", for one
 * batch of one record). */
static void damage_in_a_big_batch_counts_its_rest_apart_from_the_batches_after_it(void **state)
{
    (void)state;
    civic_engine *a;
    uint64_t good, big = x1_then_batch("rest.jnl", 70000, "b", &good, &a);
    add_one(a, "x2", "fine", "2024-01-02");
    civic_engine_free(a);
    size_t n;
    unsigned char *bytes = read_all(path_in("rest.jnl"), &n);
    size_t records = 0; /* the big batch's */
    for (uint64_t at = good; at < big; at += 24 + get_le32(bytes + at + 12)) records++;
    assert_true(records >= 3);
    memset(bytes + good + 8192, 0, 4096); /* a page of its first record */
    write_all(path_in("rest.jnl"), bytes, n);
    civic_journal_report rep = CIVIC_JOURNAL_REPORT_INIT;
    civic_error err = CIVIC_ERROR_INIT;
    uint64_t events;
    assert_int_equal(open_damaged("rest.jnl", 0, &rep, &err, &events), CIVIC_E_CORRUPT);
    char want[512]; /* the path may be shortened to fit: the rest is said whole */
    snprintf(want, sizeof(want), " is damaged at byte %llu, and 1 intact batch (1 record) "
             "follows it, plus %zu records of incomplete batches: not truncating acknowledged "
             "data; open with CIVIC_JOURNAL_RECOVER to keep a copy and cut the journal there",
             (unsigned long long)good, records - 1);
    size_t len = strlen(err.message);
    assert_true(strncmp(err.message, "journal ", 8) == 0 && len > strlen(want));
    assert_string_equal(err.message + len - strlen(want), want);
    assert_int_equal(file_size(path_in("rest.jnl")), n); /* refused: left as it was */
    /* its header damaged too, in a directory of a service's long name: the
     * path is cut, the advice kept whole (it was cut off at ~65 bytes) */
#define LONG_DIR "a-data-directory-of-the-points-service-in-production-number-01"
    char sub[300];
    snprintf(sub, sizeof(sub), "%s/" LONG_DIR, dir);
    assert_int_equal(mkdir(sub, 0700), 0);
    bytes[20] ^= 0xff;
    write_all(path_in(LONG_DIR "/rest.jnl"), bytes, n);
    assert_int_equal(open_damaged(LONG_DIR "/rest.jnl", 0, &rep, &err, &events), CIVIC_E_CORRUPT);
#undef LONG_DIR
    static const char advice[] = "); open with CIVIC_JOURNAL_RECOVER to keep a copy and start "
                                 "the journal anew";
    len = strlen(err.message);
    assert_true(len > strlen(advice));
    assert_string_equal(err.message + len - strlen(advice), advice);
    assert_true(strncmp(err.message, "journal ...", 11) == 0); /* the path cut instead */
    assert_non_null(strstr(err.message, "-number-01/rest.jnl: header checksum mismatch (2 intact "
                                        "batches, 2 records, follow it, plus "));
    free(bytes);
}

/* In the new directory dir/name (its path in sub), the journal f.jnl of a
 * batch of 3 events and then a batch of 30,000, which spans two records,
 * synced and closed; the size of the journal after the first batch. */
static uint64_t two_batch_journal(const char *name, char sub[300])
{
    char jnl[64];
    snprintf(sub, 300, "%s/%s", dir, name);
    snprintf(jnl, sizeof(jnl), "%s/f.jnl", name);
    assert_int_equal(mkdir(sub, 0700), 0);
    civic_engine *a = journaled(jnl, CIVIC_SYNC_ALWAYS, NULL);
    load_ok(a, "id,subject,type,ts\nx1,solo,fine,2024-01-01\nx2,solo,dog,2024-01-02\n"
               "x3,other,fine,2024-01-03\n");
    uint64_t good = file_size(path_in(jnl));
    char *log = make_log(30000, "b");
    load_ok(a, log);
    free(log);
    assert_int_equal(civic_engine_journal_close(a, NULL), CIVIC_OK);
    civic_engine_free(a);
    return good;
}

/* One flipped bit in the first record of a big batch, in a journal synced
 * and closed: the open cannot tell it from a torn write (the batch's last
 * record is intact), so it still cuts the batch as a torn tail; but that
 * record shows the batch was written whole, so a copy of the file is kept
 * first, named as CIVIC_JOURNAL_RECOVER names one.  (It was cut, more than
 * a MiB, with no copy.)  A tail with nothing intact after the damage, the
 * usual torn write, keeps none. */
static void a_torn_tail_holding_an_intact_record_is_cut_only_after_a_copy(void **state)
{
    char sub[300];
    uint64_t good = two_batch_journal("flip", sub);
    size_t n;
    unsigned char *whole = read_all(path_in("flip/f.jnl"), &n);
    /* two records: FIRST, then COMMIT, which ends the file */
    size_t second = (size_t)good + 24 + get_le32(whole + good + 12);
    assert_int_equal(get_le32(whole + good + 4), 1);
    assert_memory_equal(whole + second, "CJRC", 4);
    assert_int_equal(get_le32(whole + second + 4), 2);
    assert_int_equal(second + 24 + get_le32(whole + second + 12), n);
    unsigned char *bad = malloc(n);
    memcpy(bad, whole, n);
    bad[good + 24 + 1000] ^= 0x04; /* in the first record's payload */
    /* an intact record after it: copied, as before, and not said to be whole */
    assert_int_equal(opens_cut_to("flip", bad, n, good, 1, 0).batches, 1);
    /* torn inside the second record, or inside the first: nothing intact
     * after the damage, no copy */
    const size_t cut[] = { second + 500, (size_t)good + 5000 };
    for (size_t c = 0; c < 2; c++)
        opens_cut_to("flip", whole, cut[c], good, 0, 0);
    free(bad);
    free(whole);
}

/* Cap the size of files this process writes at limit bytes (SIGXFSZ
 * ignored: a write past it fails with EFBIG), or restore *old.  Root
 * ignores a read-only directory, not this. */
static void cap_file_size(rlim_t limit, struct rlimit *old, void (**prev)(int))
{
    assert_int_equal(getrlimit(RLIMIT_FSIZE, old), 0);
    *prev = signal(SIGXFSZ, SIG_IGN);
    struct rlimit small = *old;
    small.rlim_cur = limit;
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
}

static void uncap_file_size(const struct rlimit *old, void (*prev)(int))
{
    assert_int_equal(setrlimit(RLIMIT_FSIZE, old), 0);
    signal(SIGXFSZ, prev);
}

/* The torn batch above, its copy impossible to write: a crash in a batch's
 * write leaves these bytes, and a full disk (the copy is the whole journal)
 * may be what ended the program.  The open cuts the batch without a copy,
 * as it did before copies were kept, rather than fail every restart with
 * "cannot create a copy of the damaged file".  Damage in the middle keeps
 * needing its copy: under CIVIC_JOURNAL_RECOVER the open fails, the file as
 * it was.  With room again, the torn batch is cut after a copy. */
static void a_torn_batch_whose_copy_cannot_be_written_is_cut_without_one(void **state)
{
    char sub[300];
    uint64_t good = two_batch_journal("nocopy", sub);
    size_t n;
    unsigned char *bad = read_all(path_in("nocopy/f.jnl"), &n);
    assert_true(n > good + 100000); /* one big batch after the 3 events */
    bad[good + 24 + 1000] ^= 0x04;  /* in its first record's payload */
    civic_journal_report rep = CIVIC_JOURNAL_REPORT_INIT;
    civic_error err = CIVIC_ERROR_INIT;
    uint64_t events;
    const char *only[] = { "f.jnl" };
    /* the copy cannot grow past the good part of the journal */
    write_all(path_in("nocopy/f.jnl"), bad, n);
    struct rlimit old;
    void (*prev)(int);
    cap_file_size((rlim_t)good, &old, &prev);
    int rc = open_damaged("nocopy/f.jnl", 0, &rep, &err, &events);
    uncap_file_size(&old, prev);
    if (rc != CIVIC_OK) fprintf(stderr, "rc %d: %s\n", rc, err.message);
    assert_int_equal(rc, CIVIC_OK);
    assert_int_equal(err.code, 0);
    assert_int_equal(events, 3);
    assert_int_equal(rep.batches, 1);
    assert_int_equal(rep.bytes_truncated, n - good);
    assert_int_equal(file_size(path_in("nocopy/f.jnl")), good);
    assert_true(names_are("nocopy", only, 1)); /* no copy, not part of one */
    /* a read-only directory, where permissions bite (not for root) */
    if (geteuid() != 0) {
        write_all(path_in("nocopy/f.jnl"), bad, n);
        assert_int_equal(chmod(sub, 0500), 0);
        rc = open_damaged("nocopy/f.jnl", 0, &rep, &err, &events);
        assert_int_equal(chmod(sub, 0700), 0);
        assert_int_equal(rc, CIVIC_OK);
        assert_int_equal(events, 3);
        assert_int_equal(file_size(path_in("nocopy/f.jnl")), good);
        assert_true(names_are("nocopy", only, 1));
    }
    /* with room, the copy is kept */
    write_all(path_in("nocopy/f.jnl"), bad, n);
    assert_int_equal(open_damaged("nocopy/f.jnl", 0, &rep, &err, &events), CIVIC_OK);
    assert_int_equal(events, 3);
    assert_int_equal(file_size(path_in("nocopy/f.jnl")), good);
    only_journal_and_its_copy("nocopy", "f.jnl", bad, n);
    empty_dir("nocopy");
    free(bad);
    /* damage in the middle, under CIVIC_JOURNAL_RECOVER: no cut without a copy */
    uint64_t at[6];
    five_batches("nocopy/m.jnl", at);
    unsigned char *mid = read_all(path_in("nocopy/m.jnl"), &n);
    mid[at[1] + 30] ^= 0x40;
    write_all(path_in("nocopy/m.jnl"), mid, n);
    cap_file_size((rlim_t)at[1], &old, &prev);
    rc = open_damaged("nocopy/m.jnl", CIVIC_JOURNAL_RECOVER, &rep, &err, &events);
    uncap_file_size(&old, prev);
    assert_int_equal(rc, CIVIC_E_IO);
    assert_non_null(strstr(err.message, "copy"));
    assert_int_equal(events, 0);
    size_t m;
    unsigned char *after = read_all(path_in("nocopy/m.jnl"), &m);
    assert_int_equal(m, n);
    assert_memory_equal(after, mid, n);
    const char *only_m[] = { "m.jnl" };
    assert_true(names_are("nocopy", only_m, 1));
    free(after);
    free(mid);
}

/* The last batch of one record (civic-server writes a batch as one record
 * up to about a MiB), synced and closed, then a byte flipped in it: nothing
 * intact follows it, as after a torn write, but the record is whole in the
 * file -- its header sound, its length within the file -- which a write cut
 * short by a crash never leaves.  It is cut as a torn tail still, but only
 * after a copy of the whole file, and the report says both (copy_kept,
 * cut_whole).  (It was cut with no copy and no word: 3,000 acknowledged
 * events gone, and the next compaction left nothing to look at.)  The last
 * record of a batch of several likewise.  With no room for the copy it is
 * cut all the same, the report saying it was whole; a record cut short
 * keeps no copy; a caller of report version 1 has neither field written. */
static void a_whole_last_record_that_fails_its_checksum_is_cut_after_a_copy(void **state)
{
    char sub[300];
    snprintf(sub, sizeof(sub), "%s/whole", dir);
    assert_int_equal(mkdir(sub, 0700), 0);
    civic_engine *a = journaled("whole/f.jnl", CIVIC_SYNC_ALWAYS, NULL);
    load_ok(a, "id,subject,type,ts\nx1,solo,fine,2024-01-01\nx2,solo,dog,2024-01-02\n"
               "x3,other,fine,2024-01-03\n");
    uint64_t good = then_batch(a, "whole/f.jnl", 3000);
    size_t n;
    unsigned char *bad = read_all(path_in("whole/f.jnl"), &n);
    assert_int_equal(get_le32(bad + good + 4), 3); /* one record, FIRST | COMMIT, ends it */
    assert_int_equal(good + 24 + get_le32(bad + good + 12), n);
    bad[good + 24 + 5000] ^= 0x04;
    assert_int_equal(opens_cut_to("whole", bad, n, good, 1, 1).batches, 1);
    civic_journal_report rep = CIVIC_JOURNAL_REPORT_INIT;
    civic_error err = CIVIC_ERROR_INIT;
    uint64_t events;
    /* a caller built against report version 1: its struct ends before them */
    civic_journal_report v1 = CIVIC_JOURNAL_REPORT_INIT;
    v1.version = 1;
    v1.copy_kept = v1.cut_whole = 7;
    write_all(path_in("whole/f.jnl"), bad, n);
    assert_int_equal(open_damaged("whole/f.jnl", 0, &v1, &err, &events), CIVIC_OK);
    assert_int_equal(v1.bytes_truncated, n - good);
    assert_int_equal(v1.copy_kept, 7);
    assert_int_equal(v1.cut_whole, 7);
    only_journal_and_its_copy("whole", "f.jnl", bad, n);
    empty_dir("whole");
    /* no room for the copy: cut without one, as a crash-left tail must not
     * block the open, and said to be whole */
    const char *only[] = { "f.jnl" };
    write_all(path_in("whole/f.jnl"), bad, n);
    struct rlimit old;
    void (*prev)(int);
    cap_file_size((rlim_t)good, &old, &prev);
    int rc = open_damaged("whole/f.jnl", 0, &rep, &err, &events);
    uncap_file_size(&old, prev);
    assert_int_equal(rc, CIVIC_OK);
    assert_int_equal(events, 3);
    assert_int_equal(rep.copy_kept, 0);
    assert_int_equal(rep.cut_whole, 1);
    assert_int_equal(file_size(path_in("whole/f.jnl")), good);
    assert_true(names_are("whole", only, 1));
    /* the record cut short, as a crash in its write leaves it: no copy */
    opens_cut_to("whole", bad, n - 100, good, 0, 0);
    /* a bit of its header flipped (the flags, the magic, the reserved
     * word), its length still within the file: whole, copied (a review
     * found these cut with no copy, the header being "unsound") */
    static const size_t at[] = { 4, 0, 17 };
    for (size_t k = 0; k < sizeof(at) / sizeof(at[0]); k++) {
        unsigned char *flipped = malloc(n);
        memcpy(flipped, bad, n);
        flipped[good + 5000 + 24] ^= 0x04; /* undo the payload's flip */
        flipped[good + at[k]] ^= 0x10;
        opens_cut_to("whole", flipped, n, good, 1, 1);
        free(flipped);
    }
    /* zero bytes where the record was, the file's size kept (pages a power
     * cut never wrote): cut with no copy */
    unsigned char *zeros = calloc(1, n);
    memcpy(zeros, bad, (size_t)good);
    opens_cut_to("whole", zeros, n, good, 0, 0);
    free(zeros);
    free(bad);
    /* the last record of a batch of two, its first intact */
    char sub2[300];
    good = two_batch_journal("whole2", sub2);
    bad = read_all(path_in("whole2/f.jnl"), &n);
    size_t second = (size_t)good + 24 + get_le32(bad + good + 12);
    assert_int_equal(get_le32(bad + second + 4), 2); /* COMMIT, which ends the file */
    assert_int_equal(second + 24 + get_le32(bad + second + 12), n);
    bad[second + 24 + 1000] ^= 0x04;
    opens_cut_to("whole2", bad, n, good, 1, 1);
    free(bad);
}

/* Damage that ends one committed batch and begins the next is damage in
 * the middle even when only the rest of that next batch is intact after it:
 * the batch it hit first was acknowledged.  (A review of the rule above
 * found it cutting such a journal, and with RECOVER keeping no copy.) */
static void journal_damage_across_two_batches_is_refused(void **state)
{
    char sub[300];
    snprintf(sub, sizeof(sub), "%s/two", dir);
    assert_int_equal(mkdir(sub, 0700), 0);
    civic_engine *a = journaled("two/t.jnl", CIVIC_SYNC_ALWAYS, NULL);
    add_one(a, "x1", "fine", "2024-01-01");
    uint64_t one = file_size(path_in("two/t.jnl"));
    add_one(a, "x2", "fine", "2024-01-02");
    uint64_t two = file_size(path_in("two/t.jnl"));
    char *log = make_log(70000, "b");
    load_ok(a, log);
    free(log);
    civic_engine_free(a);
    size_t n;
    unsigned char *bytes = read_all(path_in("two/t.jnl"), &n);
    memset(bytes + two - 8, 0, 40); /* x2's end, the big batch's first header */
    write_all(path_in("two/t.jnl"), bytes, n);
    civic_journal_report rep = CIVIC_JOURNAL_REPORT_INIT;
    civic_error err = CIVIC_ERROR_INIT;
    uint64_t events;
    assert_int_equal(open_damaged("two/t.jnl", 0, &rep, &err, &events), CIVIC_E_CORRUPT);
    assert_int_equal(err.offset, one);
    assert_int_equal(file_size(path_in("two/t.jnl")), n);
    assert_int_equal(open_damaged("two/t.jnl", CIVIC_JOURNAL_RECOVER, &rep, &err, &events),
                     CIVIC_OK);
    assert_int_equal(events, 1);
    size_t count;
    char **names = names_in("two", &count);
    bool copy = false;
    for (size_t i = 0; i < count; i++) copy |= strncmp(names[i], "t.jnl.damaged.", 14) == 0;
    assert_true(copy);
    free_names(names, count);
    free(bytes);
}

/* A process killed while RECOVER copies the damaged journal (SIGXFSZ, as a
 * file size limit sends it, in the middle of the copy's write) left a part
 * of the copy under the copy's own name, path.damaged.<time>, which an
 * operator restoring from it took for the whole file, and which nothing
 * removed.  The copy is written under a temporary name and renamed once
 * whole: the kill leaves no file of that name, the journal is whole, and
 * the next open keeps one whole copy and sweeps the temporary file. */
static void journal_copy_killed_midway_leaves_no_part_under_its_name(void **state)
{
    (void)state;
    char sub[300];
    snprintf(sub, sizeof(sub), "%s/killed", dir);
    assert_int_equal(mkdir(sub, 0700), 0);
    civic_engine *a = journaled("killed/t.jnl", CIVIC_SYNC_ALWAYS, NULL);
    add_one(a, "x1", "fine", "2024-01-01");
    uint64_t one = file_size(path_in("killed/t.jnl"));
    char *log = make_log(70000, "b");
    load_ok(a, log);
    free(log);
    add_one(a, "x2", "fine", "2024-01-03");
    civic_engine_free(a);
    size_t n;
    unsigned char *bytes = read_all(path_in("killed/t.jnl"), &n);
    assert_true(n > 2 * 65536);
    bytes[one + 24 + 100] ^= 0x04; /* the big batch's payload: damage in the middle */
    write_all(path_in("killed/t.jnl"), bytes, n);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) { /* the copy's writes pass the limit: SIGXFSZ's default, the end */
        struct rlimit small = { (rlim_t)(n / 2), (rlim_t)(n / 2) };
        signal(SIGXFSZ, SIG_DFL);
        if (setrlimit(RLIMIT_FSIZE, &small) != 0) _exit(3);
        civic_journal_report rep = CIVIC_JOURNAL_REPORT_INIT;
        civic_error err = CIVIC_ERROR_INIT;
        uint64_t events;
        open_damaged("killed/t.jnl", CIVIC_JOURNAL_RECOVER, &rep, &err, &events);
        _exit(4); /* not killed: the test does not test what it means to */
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGXFSZ);
    size_t count;
    char **names = names_in("killed", &count);
    bool part = false, temp = false;
    for (size_t i = 0; i < count; i++) {
        part |= strncmp(names[i], "t.jnl.damaged.", 14) == 0;
        temp |= strncmp(names[i], "t.jnl.tmp.civic.", 16) == 0;
    }
    free_names(names, count);
    assert_false(part);
    assert_true(temp); /* what the kill left: a temporary file, swept as any */
    assert_int_equal(file_size(path_in("killed/t.jnl")), n);
    civic_journal_report rep = CIVIC_JOURNAL_REPORT_INIT;
    civic_error err = CIVIC_ERROR_INIT;
    uint64_t events;
    assert_int_equal(open_damaged("killed/t.jnl", CIVIC_JOURNAL_RECOVER, &rep, &err, &events),
                     CIVIC_OK);
    assert_true(rep.copy_kept);
    assert_int_equal(events, 1);
    names = names_in("killed", &count);
    int copies = 0;
    temp = false;
    for (size_t i = 0; i < count; i++) {
        if (strncmp(names[i], "t.jnl.damaged.", 14) == 0) {
            char path[128];
            snprintf(path, sizeof(path), "killed/%.100s", names[i]);
            assert_int_equal(file_size(path_in(path)), n);
            copies++;
        }
        temp |= strncmp(names[i], "t.jnl.tmp.civic.", 16) == 0;
    }
    free_names(names, count);
    assert_int_equal(copies, 1);
    assert_false(temp);
    free(bytes);
}

/* Events whose ids hold the record magic over and over: a crash that tore
 * their batch leaves a tail full of magics, none with a sound header.  It
 * is a torn tail, cut as one (the scan's budget counts only the payloads of
 * sound headers; a first version counted every read and refused it). */
static void journal_torn_tail_full_of_magics_is_cut(void **state)
{
    uint64_t good, full = x1_then_batch("magic.jnl", 20000, "CJRCCJRCCJRCCJRCCJRCCJRCCJRCCJRC",
                                        &good, NULL);
    assert_int_equal(truncate(path_in("magic.jnl"), (off_t)(good + (full - good) * 9 / 10)), 0);
    civic_journal_report rep = CIVIC_JOURNAL_REPORT_INIT;
    civic_error err = CIVIC_ERROR_INIT;
    uint64_t events;
    assert_int_equal(open_damaged("magic.jnl", 0, &rep, &err, &events), CIVIC_OK);
    assert_int_equal(events, 1);
    assert_int_equal(file_size(path_in("magic.jnl")), good);
}

/* After the damage every record magic is a candidate.  A tail of record
 * headers that each claim a 1 MiB payload (checksums wrong) once made the
 * open read a MiB for every 24 bytes of it (minutes for a few MiB); the
 * scan gives up once the payloads it checksummed add up to the tail a few
 * times over, and says so. */
static void journal_tail_of_false_headers_is_judged_without_rereading_it(void **state)
{
    civic_engine *a = journaled("false.jnl", CIVIC_SYNC_NONE, NULL);
    add_one(a, "x1", "fine", "2024-01-01");
    civic_engine_free(a);
    size_t n;
    unsigned char *good = read_all(path_in("false.jnl"), &n);
    size_t tail = (size_t)4 << 20;
    unsigned char *bad = calloc(1, n + tail);
    assert_non_null(bad);
    memcpy(bad, good, n);
    for (size_t at = n; at + 24 <= n + tail; at += 24) {
        memcpy(bad + at, "CJRC", 4);
        put_le32(bad + at + 4, 3);         /* FIRST | COMMIT */
        put_le32(bad + at + 8, 1);         /* one event */
        put_le32(bad + at + 12, 1u << 20); /* its payload */
        put_le32(bad + at + 20, 0xdeadbeef);
    }
    write_all(path_in("false.jnl"), bad, n + tail);
    civic_journal_report rep = CIVIC_JOURNAL_REPORT_INIT;
    civic_error err = CIVIC_ERROR_INIT;
    uint64_t events;
    assert_int_equal(open_damaged("false.jnl", 0, &rep, &err, &events), CIVIC_E_CORRUPT);
    assert_non_null(strstr(err.message, "too many damaged records"));
    assert_int_equal(err.offset, n);
    assert_int_equal(file_size(path_in("false.jnl")), n + tail);
    assert_int_equal(open_damaged("false.jnl", CIVIC_JOURNAL_RECOVER, &rep, &err, &events),
                     CIVIC_OK);
    assert_int_equal(events, 1);
    assert_int_equal(file_size(path_in("false.jnl")), n);
    free(bad);
    free(good);
}

/* RLIMIT_FSIZE makes the journal write fail (EFBIG): the call fails with
 * CIVIC_E_IO, the engine is as before, the file is cut back, and the next
 * call succeeds once there is room again. */
static void journal_append_failure_rolls_the_batch_back(void **state)
{
    civic_engine *a = journaled("f.jnl", CIVIC_SYNC_ALWAYS, NULL);
    add_one(a, "x1", "fine", "2024-01-01");
    uint64_t before = file_size(path_in("f.jnl"));
    char *expected = answers(a);
    struct rlimit old;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
    struct rlimit small = old;
    small.rlim_cur = (rlim_t)before + 10;
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
    char *log = make_log(200, "f");
    civic_error err = CIVIC_ERROR_INIT;
    civic_load_report report = CIVIC_LOAD_REPORT_INIT;
    int rc = civic_engine_load(a, log, strlen(log), NULL, &report, &err);
    civic_event ev = CIVIC_EVENT_INIT;
    ev.id = "x2";
    ev.subject = "solo";
    ev.type = "fine";
    ev.ts = "2024-02-01";
    int rc_add = civic_engine_add(a, &ev, NULL);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
    signal(SIGXFSZ, prev);
    assert_int_equal(rc, CIVIC_E_IO);
    assert_int_equal(err.code, CIVIC_E_IO);
    assert_non_null(strstr(err.message, "f.jnl"));
    assert_int_equal(report.accepted, 0);
    assert_int_equal(rc_add, CIVIC_E_IO);
    assert_int_equal(civic_engine_event_count(a), 1);
    char *now = answers(a);
    assert_string_equal(expected, now);
    assert_int_equal(file_size(path_in("f.jnl")), before);
    /* With room again, the same batch goes through and survives. */
    load_ok(a, log);
    civic_journal_report rep = CIVIC_JOURNAL_REPORT_INIT;
    copy_file(path_in("f.jnl"), path_in("f-copy.jnl"));
    civic_engine *b = journaled("f-copy.jnl", CIVIC_SYNC_ALWAYS, &rep);
    assert_int_equal(rep.bytes_truncated, 0);
    assert_same_answers(a, b);
    free(log);
    free(expected);
    free(now);
    civic_engine_free(a);
    civic_engine_free(b);
}

static void journal_records_only_the_accepted_lines_of_a_lenient_load(void **state)
{
    civic_engine *a = journaled("len.jnl", CIVIC_SYNC_ALWAYS, NULL);
    const char *csv = "id,subject,type,ts\nl1,solo,fine,2024-01-01\nl2,solo,nope,2024-01-01\n"
                      "l3,solo,dog,2024-01-02\n";
    civic_load_options opts = CIVIC_LOAD_OPTIONS_INIT;
    opts.flags = CIVIC_LOAD_LENIENT;
    assert_int_equal(civic_engine_load(a, csv, strlen(csv), &opts, NULL, NULL), CIVIC_OK);
    /* A strict failure journals nothing. */
    assert_int_not_equal(civic_engine_load(a, csv, strlen(csv), NULL, NULL, NULL), CIVIC_OK);
    civic_journal_report rep = CIVIC_JOURNAL_REPORT_INIT;
    copy_file(path_in("len.jnl"), path_in("len-copy.jnl"));
    civic_engine *b = journaled("len-copy.jnl", CIVIC_SYNC_ALWAYS, &rep);
    assert_int_equal(rep.batches, 1);
    assert_int_equal(civic_engine_event_count(b), 2);
    assert_same_answers(a, b);
    civic_engine_free(a);
    civic_engine_free(b);
}

/* Recover as a service would: snapshot (if any), then the journal. */
static civic_engine *recover(const char *snap, const char *jnl, civic_journal_report *rep)
{
    civic_engine *e = fresh_engine();
    civic_error err = CIVIC_ERROR_INIT;
    if (access(path_in(snap), F_OK) == 0)
        assert_int_equal(civic_engine_load_snapshot(e, path_in(snap), &err), CIVIC_OK);
    assert_int_equal(civic_engine_journal_open(e, path_in(jnl), CIVIC_SYNC_ALWAYS, rep, &err),
                     CIVIC_OK);
    return e;
}

static void compaction_recovers_the_same_events_from_every_crash_point(void **state)
{
    civic_engine *a = journaled("c.jnl", CIVIC_SYNC_GROUP, NULL);
    char *log = make_log(400, "c");
    load_ok(a, log);
    free(log);
    /* Crash point "after the snapshot, before the new journal": simulated
     * by saving the snapshot alone while the old journal stays. */
    assert_int_equal(civic_engine_save(a, path_in("c.snap"), NULL), CIVIC_OK);
    civic_journal_report rep = CIVIC_JOURNAL_REPORT_INIT;
    civic_engine *mid = NULL;
    {
        /* A copy of the journal, since the live one is locked by a. */
        size_t n;
        unsigned char *bytes = read_all(path_in("c.jnl"), &n);
        write_all(path_in("mid.jnl"), bytes, n);
        free(bytes);
        mid = recover("c.snap", "mid.jnl", &rep);
        assert_int_equal(rep.accepted, 0); /* all duplicates of the snapshot */
        assert_same_answers(a, mid);
        civic_engine_free(mid);
    }
    civic_error err = CIVIC_ERROR_INIT;
    assert_int_equal(civic_engine_compact(a, path_in("c.jnl"), &err), CIVIC_E_INVALID);
    assert_int_equal(civic_engine_compact(a, path_in("c.snap"), &err), CIVIC_OK);
    assert_int_equal(file_size(path_in("c.jnl")), 32);
    add_one(a, "after1", "fine", "2025-01-01");
    add_one(a, "after2", "dog", "2025-01-02");
    assert_int_equal(civic_engine_journal_close(a, &err), CIVIC_OK);
    civic_engine *b = recover("c.snap", "c.jnl", &rep);
    assert_int_equal(rep.batches, 2);
    assert_same_answers(a, b);
    civic_engine_free(b);
    /* Compaction without a journal is a save. */
    assert_int_equal(civic_engine_compact(a, path_in("plain.snap"), &err), CIVIC_OK);
    assert_int_equal(load_into_fresh(path_in("plain.snap"), &err), CIVIC_OK);
    civic_engine_free(a);
}

static void assert_is_link_to(const char *link, const char *target)
{
    struct stat st;
    char got[256];
    assert_int_equal(lstat(link, &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    ssize_t n = readlink(link, got, sizeof(got) - 1);
    assert_true(n > 0);
    got[n] = '\0';
    assert_string_equal(got, target);
}

/* A journal and a snapshot opened through symbolic links: compaction and
 * saving replace the files the links lead to, and the links stay links
 * (a rename used to put the new file in the link's place and leave the
 * old file, stale, where the link pointed). */
static void compaction_through_symbolic_links_keeps_the_links(void **state)
{
    assert_int_equal(mkdir(path_in("real"), 0700), 0);
    assert_int_equal(symlink("real/j.jnl", path_in("j.link")), 0);
    assert_int_equal(symlink("real/s.snap", path_in("s.link")), 0);
    /* a journal opened through a link must exist (see the test above) */
    civic_engine *a = journaled("real/j.jnl", CIVIC_SYNC_ALWAYS, NULL);
    civic_error err = CIVIC_ERROR_INIT;
    assert_int_equal(civic_engine_journal_close(a, &err), CIVIC_OK);
    assert_int_equal(civic_engine_journal_open(a, path_in("j.link"), CIVIC_SYNC_ALWAYS, NULL, &err),
                     CIVIC_OK);
    char *log = make_log(60, "l");
    load_ok(a, log);
    free(log);
    assert_true(file_size(path_in("real/j.jnl")) > 32);
    /* the snapshot may not be the journal under another name */
    assert_int_equal(civic_engine_compact(a, path_in("real/j.jnl"), &err), CIVIC_E_INVALID);
    assert_int_equal(civic_engine_compact(a, path_in("j.link"), &err), CIVIC_E_INVALID);
    assert_int_equal(civic_engine_compact(a, path_in("real/../real/j.jnl"), &err), CIVIC_E_INVALID);
    assert_true(file_size(path_in("real/j.jnl")) > 32);
    /* a missing snapshot behind its link: refused, and nothing changes */
    assert_int_equal(civic_engine_compact(a, path_in("s.link"), &err), CIVIC_E_IO);
    assert_non_null(strstr(err.message, "symbolic link to a missing file"));
    assert_int_equal(civic_engine_save(a, path_in("s.link"), &err), CIVIC_E_IO);
    assert_true(file_size(path_in("real/j.jnl")) > 32);
    assert_is_link_to(path_in("s.link"), "real/s.snap");
    /* a snapshot behind the link exists: compaction goes through both links */
    assert_int_equal(civic_engine_save(a, path_in("real/s.snap"), &err), CIVIC_OK);
    add_one(a, "late1", "fine", "2025-02-01");
    assert_int_equal(civic_engine_compact(a, path_in("s.link"), &err), CIVIC_OK);
    assert_is_link_to(path_in("j.link"), "real/j.jnl");
    assert_is_link_to(path_in("s.link"), "real/s.snap");
    assert_int_equal(file_size(path_in("real/j.jnl")), 32);
    add_one(a, "late2", "dog", "2025-02-02");
    assert_true(file_size(path_in("real/j.jnl")) > 32);
    assert_int_equal(civic_engine_journal_close(a, &err), CIVIC_OK);
    /* the files at the links' ends hold everything, read through the links */
    civic_journal_report rep = CIVIC_JOURNAL_REPORT_INIT;
    civic_engine *b = recover("s.link", "j.link", &rep);
    assert_int_equal(rep.accepted, 1);
    assert_same_answers(a, b);
    civic_engine_free(b);
    /* saving through a link replaces the file it leads to, too */
    assert_int_equal(civic_engine_save(a, path_in("s.link"), &err), CIVIC_OK);
    assert_is_link_to(path_in("s.link"), "real/s.snap");
    assert_int_equal(load_into_fresh(path_in("real/s.snap"), &err), CIVIC_OK);
    civic_engine_free(a);
}

/* A journal opened by a relative path, then the program changes its working
 * directory: a compaction used to resolve the path again, against the new
 * directory, and put the fresh journal there -- every later add went to it,
 * lost to a recovery from the real files, and a journal of that name there
 * (another engine's, locked) was replaced.  The journal's own directory
 * keeps both: the snapshot and journal recover every event, and the other
 * directory is left as it was. */
static void compaction_after_a_chdir_keeps_the_journal_where_it_was_opened(void **state)
{
    (void)state;
    int home = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    assert_true(home >= 0);
    for (int round = 0; round < 2; round++) { /* alone, then beside another engine's journal */
        char a[32], b[32];
        snprintf(a, sizeof(a), "cwd%d-a", round);
        snprintf(b, sizeof(b), "cwd%d-b", round);
        assert_int_equal(mkdir(path_in(a), 0700), 0);
        assert_int_equal(mkdir(path_in(b), 0700), 0);
        civic_error err = CIVIC_ERROR_INIT;
        civic_engine *other = NULL;
        size_t other_bytes = 0;
        unsigned char *other_before = NULL;
        if (round == 1) {
            assert_int_equal(chdir(path_in(b)), 0);
            other = fresh_engine();
            assert_int_equal(civic_engine_journal_open(other, "j.jnl", CIVIC_SYNC_ALWAYS, NULL,
                                                       &err), CIVIC_OK);
            add_one(other, "theirs", "dog", "2024-03-01");
        }
        assert_int_equal(chdir(path_in(a)), 0);
        civic_engine *e = fresh_engine();
        assert_int_equal(civic_engine_journal_open(e, "j.jnl", CIVIC_SYNC_ALWAYS, NULL, &err),
                         CIVIC_OK);
        add_one(e, "a1", "fine", "2024-01-01");
        assert_int_equal(chdir(path_in(b)), 0);
        char bj[300], snap[300], aj[300];
        snprintf(bj, sizeof(bj), "%s/j.jnl", path_in(b));
        snprintf(snap, sizeof(snap), "%s/s.snap", path_in(a));
        snprintf(aj, sizeof(aj), "%s/j.jnl", path_in(a));
        if (other) other_before = read_all(bj, &other_bytes);
        int rc = civic_engine_compact(e, snap, &err);
        if (rc != CIVIC_OK) fprintf(stderr, "compact: %s\n", err.message);
        assert_int_equal(rc, CIVIC_OK);
        assert_int_equal(file_size(aj), 32); /* the journal it opened, started anew */
        add_one(e, "a2", "dog", "2024-01-02"); /* after the compaction, still in b */
        assert_true(file_size(aj) > 32);
        /* a second compaction and add, as a long-running program goes on */
        assert_int_equal(civic_engine_compact(e, snap, &err), CIVIC_OK);
        add_one(e, "a3", "donation", "2024-01-03");
        /* the other directory holds what it held */
        if (other) {
            size_t n;
            unsigned char *after = read_all(bj, &n);
            assert_int_equal(n, other_bytes);
            assert_memory_equal(after, other_before, n);
            free(after);
            free(other_before);
            const char *theirs[] = { "j.jnl" };
            assert_true(names_are(b, theirs, 1));
            add_one(other, "theirs2", "fine", "2024-03-02"); /* its journal is still its own */
            assert_int_equal(civic_engine_journal_close(other, &err), CIVIC_OK);
            civic_engine_free(other);
            civic_engine *o = fresh_engine();
            assert_int_equal(civic_engine_journal_open(o, bj, CIVIC_SYNC_ALWAYS, NULL, &err),
                             CIVIC_OK);
            assert_int_equal(civic_engine_event_count(o), 2);
            civic_engine_free(o);
        } else {
            assert_true(names_are(b, NULL, 0));
        }
        assert_int_equal(civic_engine_journal_close(e, &err), CIVIC_OK);
        /* recovery from the files where the journal was opened: every event */
        char rs[64], rj[64];
        snprintf(rs, sizeof(rs), "%s/s.snap", a);
        snprintf(rj, sizeof(rj), "%s/j.jnl", a);
        civic_engine *r = recover(rs, rj, NULL);
        assert_int_equal(civic_engine_event_count(r), 3);
        assert_same_answers(e, r);
        civic_engine_free(r);
        civic_engine_free(e);
        const char *ours[] = { "j.jnl", "s.snap" };
        assert_true(names_are(a, ours, 2));
        assert_int_equal(fchdir(home), 0);
    }
    close(home);
}

enum { DEEP_LEVELS = 22, DEEP_NAME_BYTES = 200 };

/* Go down DEEP_LEVELS new directories of DEEP_NAME_BYTES-byte names from
 * the working directory (into the deepest; its name is longer than
 * PATH_MAX, so only relative paths reach it), or, up, remove them from the
 * deepest, which must be empty by then. */
static void deep_directories(bool down)
{
    char name[DEEP_NAME_BYTES + 1];
    memset(name, 'd', DEEP_NAME_BYTES);
    name[DEEP_NAME_BYTES] = '\0';
    for (int i = 0; i < DEEP_LEVELS; i++) {
        if (down) {
            assert_int_equal(mkdir(name, 0700), 0);
            assert_int_equal(chdir(name), 0);
        } else {
            assert_int_equal(chdir(".."), 0);
            assert_int_equal(rmdir(name), 0);
        }
    }
}

/* A journal opened by a relative path in a working directory whose name
 * is longer than PATH_MAX (4,439 bytes here), which has no absolute name
 * the open could fix: it opens, takes adds, compacts and recovers, the path
 * used as given, as it was before the open fixed absolute names.  (It
 * failed: "cannot open: File name too long".) */
static void a_journal_deeper_than_path_max_opens_compacts_and_recovers(void **state)
{
    (void)state;
    int home = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    assert_true(home >= 0);
    assert_int_equal(chdir(dir), 0);
    deep_directories(true);
    char cwd[PATH_MAX];
    assert_null(getcwd(cwd, sizeof(cwd))); /* its name does not fit in PATH_MAX */
    civic_error err = CIVIC_ERROR_INIT;
    civic_journal_report rep = CIVIC_JOURNAL_REPORT_INIT;
    civic_engine *e = fresh_engine();
    int rc = civic_engine_journal_open(e, "j.jnl", CIVIC_SYNC_ALWAYS, &rep, &err);
    if (rc != CIVIC_OK) fprintf(stderr, "open: %s\n", err.message);
    assert_int_equal(rc, CIVIC_OK);
    assert_int_equal(rep.created, 1);
    add_one(e, "d1", "fine", "2024-01-01");
    rc = civic_engine_compact(e, "s.snap", &err);
    if (rc != CIVIC_OK) fprintf(stderr, "compact: %s\n", err.message);
    assert_int_equal(rc, CIVIC_OK);
    struct stat st;
    assert_int_equal(stat("j.jnl", &st), 0);
    assert_int_equal(st.st_size, 32); /* started anew */
    add_one(e, "d2", "dog", "2024-01-02");
    assert_int_equal(civic_engine_journal_close(e, &err), CIVIC_OK);
    civic_engine *r = fresh_engine();
    assert_int_equal(civic_engine_load_snapshot(r, "s.snap", &err), CIVIC_OK);
    assert_int_equal(civic_engine_event_count(r), 1);
    rep = (civic_journal_report)CIVIC_JOURNAL_REPORT_INIT;
    assert_int_equal(civic_engine_journal_open(r, "j.jnl", CIVIC_SYNC_ALWAYS, &rep, &err),
                     CIVIC_OK);
    assert_int_equal(rep.batches, 1);
    assert_int_equal(civic_engine_event_count(r), 2);
    assert_same_answers(e, r);
    /* the snapshot given as the journal's own name, relative, is refused */
    assert_int_equal(civic_engine_compact(r, "j.jnl", &err), CIVIC_E_INVALID);
    assert_int_equal(civic_engine_journal_close(r, &err), CIVIC_OK);
    civic_engine_free(r);
    civic_engine_free(e);
    assert_int_equal(unlink("j.jnl"), 0);
    assert_int_equal(unlink("s.snap"), 0);
    deep_directories(false);
    assert_int_equal(fchdir(home), 0);
    close(home);
}

/* The journal's directory moved while it is open, and another engine's
 * journal made at its old name: a compaction would replace that journal
 * (locked, its engine appending) with its own.  It is refused before
 * anything is written, and each engine goes on with its own file. */
static void a_compaction_never_replaces_a_file_its_journal_no_longer_is(void **state)
{
    (void)state;
    assert_int_equal(mkdir(path_in("mv"), 0700), 0);
    civic_engine *e = journaled("mv/j.jnl", CIVIC_SYNC_ALWAYS, NULL);
    add_one(e, "m1", "fine", "2024-01-01");
    assert_int_equal(rename(path_in("mv"), path_in("mv-old")), 0);
    assert_int_equal(mkdir(path_in("mv"), 0700), 0);
    civic_engine *other = journaled("mv/j.jnl", CIVIC_SYNC_ALWAYS, NULL);
    add_one(other, "o1", "dog", "2024-02-01");
    size_t n_before, n_after;
    unsigned char *before = read_all(path_in("mv/j.jnl"), &n_before);
    civic_error err = CIVIC_ERROR_INIT;
    assert_int_equal(civic_engine_compact(e, path_in("mv-old/s.snap"), &err), CIVIC_E_IO);
    assert_non_null(strstr(err.message, "another file"));
    unsigned char *after = read_all(path_in("mv/j.jnl"), &n_after);
    assert_int_equal(n_after, n_before);
    assert_memory_equal(after, before, n_after);
    free(before);
    free(after);
    const char *kept[] = { "j.jnl" };
    assert_true(names_are("mv-old", kept, 1)); /* no snapshot either */
    add_one(e, "m2", "fine", "2024-01-02"); /* into its own file, moved with its directory */
    add_one(other, "o2", "fine", "2024-02-02");
    civic_engine_free(e);
    civic_engine_free(other);
    civic_engine *r = recover("mv-old/none.snap", "mv-old/j.jnl", NULL);
    assert_int_equal(civic_engine_event_count(r), 2);
    civic_engine_free(r);
    r = recover("mv/none.snap", "mv/j.jnl", NULL);
    assert_int_equal(civic_engine_event_count(r), 2);
    civic_engine_free(r);
}

/* Compaction reports a failure with one code whether or not the caller
 * passed an error struct: fail each of its allocations in turn (with err,
 * then the same one without). */
static void compaction_fails_with_one_code_with_or_without_an_error_struct(void **state)
{
    alloc_fail af;
    alloc_fail_init(&af);
    civic_rules *r = rules_from(RULES_TEXT);
    civic_engine_options o = CIVIC_ENGINE_OPTIONS_INIT;
    o.allocator = &af.alc;
    civic_engine *e = NULL;
    assert_int_equal(civic_engine_new(&e, r, &o), CIVIC_OK);
    assert_int_equal(civic_engine_journal_open(e, path_in("code.jnl"), CIVIC_SYNC_NONE, NULL, NULL),
                     CIVIC_OK);
    add_one(e, "x1", "fine", "2024-01-01");
    int with = CIVIC_E_NOMEM;
    uint64_t n;
    for (n = 1; with != CIVIC_OK && n < 100; n++) {
        civic_error err = CIVIC_ERROR_INIT;
        alloc_fail_arm(&af, n, false);
        int without = civic_engine_compact(e, path_in("code.snap"), NULL);
        alloc_fail_arm(&af, n, false);
        with = civic_engine_compact(e, path_in("code.snap"), &err);
        alloc_fail_disarm(&af);
        if (with != without)
            fail_msg("allocation %llu failed: %d with an error struct, %d without",
                     (unsigned long long)n, with, without);
        if (with != CIVIC_OK) {
            assert_int_equal(with, CIVIC_E_NOMEM);
            assert_int_equal(err.code, CIVIC_E_NOMEM);
        }
    }
    assert_int_equal(with, CIVIC_OK);
    assert_true(n > 3);
    add_one(e, "x2", "fine", "2024-01-02");
    civic_engine_free(e);
    civic_engine *b = recover("code.snap", "code.jnl", NULL);
    assert_int_equal(civic_engine_event_count(b), 2);
    civic_engine_free(b);
    assert_int_equal(alloc_fail_live_blocks(&af), 0);
    civic_rules_free(r);
    alloc_fail_destroy(&af);
}

/* ------------------------------------------------------------ stale temporary files */

/* A temporary file a live writer holds: open and locked as the library's
 * writers lock theirs. */
static int hold(const char *path)
{
    int fd = open(path, O_RDWR | O_CREAT, 0600);
    assert_true(fd >= 0);
    struct flock fl;
    memset(&fl, 0, sizeof(fl));
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    assert_int_equal(fcntl(fd, F_OFD_SETLK, &fl), 0);
    return fd;
}

/* Saving, loading a snapshot and opening a journal remove the temporary
 * files of their path that a killed writer left, and nothing else: not a
 * live writer's, not another path's, not a look-alike. */
static void stale_temporary_files_are_removed_and_live_ones_kept(void **state)
{
    char sub[300];
    snprintf(sub, sizeof(sub), "%s/tmp", dir);
    assert_int_equal(mkdir(sub, 0700), 0);
    civic_engine *e = engine_with_log(30);
    touch(path_in("tmp/s.snap.tmp.civic.AbC123"));   /* stale */
    touch(path_in("tmp/s.snap.tmp.civic.abc"));      /* not mkstemp's */
    touch(path_in("tmp/other.snap.tmp.civic.AbC123")); /* another path's */
    int live = hold(path_in("tmp/s.snap.tmp.civic.Live99"));
    touch(path_in("tmp/j.jnl.tmp.civic.Q1w2E3"));    /* stale */
    assert_int_equal(civic_engine_save(e, path_in("tmp/s.snap"), NULL), CIVIC_OK);
    const char *after_save[] = { "j.jnl.tmp.civic.Q1w2E3", "other.snap.tmp.civic.AbC123",
                                 "s.snap", "s.snap.tmp.civic.Live99", "s.snap.tmp.civic.abc" };
    assert_true(names_are("tmp", after_save, 5));
    touch(path_in("tmp/s.snap.tmp.civic.Again1"));
    civic_engine *b = fresh_engine();
    assert_int_equal(civic_engine_load_snapshot(b, path_in("tmp/s.snap"), NULL), CIVIC_OK);
    assert_int_equal(civic_engine_journal_open(b, path_in("tmp/j.jnl"), CIVIC_SYNC_ALWAYS, NULL,
                                               NULL),
                     CIVIC_OK);
    const char *after_open[] = { "j.jnl", "other.snap.tmp.civic.AbC123", "s.snap",
                                 "s.snap.tmp.civic.Live99", "s.snap.tmp.civic.abc" };
    assert_true(names_are("tmp", after_open, 5));
    close(live); /* the writer died: its file is stale now */
    touch(path_in("tmp/j.jnl.tmp.civic.R4t5Y6"));
    assert_int_equal(civic_engine_compact(b, path_in("tmp/s.snap"), NULL), CIVIC_OK);
    const char *after_compact[] = { "j.jnl", "other.snap.tmp.civic.AbC123", "s.snap",
                                    "s.snap.tmp.civic.abc" };
    assert_true(names_are("tmp", after_compact, 4));
    civic_engine_free(b);
    civic_engine_free(e);
}

/* Files named as libcivic 1.0 named its temporary files ("<path>.tmp." and
 * six letters or digits), which an operator may choose too ("cp s.snap
 * s.snap.tmp.backup": it was deleted by the next save).  A sweep removes
 * one only when it is what a killed 1.0 writer left: empty, a snapshot
 * without its trailer, a journal of its header alone, or another name of
 * the path's own file.  A complete snapshot, a journal holding batches and
 * a file of other content stay, and so does a locked one. */
static void files_in_the_1_0_temporary_form_go_only_when_they_are_leftovers(void **state)
{
    (void)state;
    char sub[300];
    snprintf(sub, sizeof(sub), "%s/legacy", dir);
    assert_int_equal(mkdir(sub, 0700), 0);
    civic_engine *e = engine_with_log(30);
    assert_int_equal(civic_engine_save(e, path_in("legacy/s.snap"), NULL), CIVIC_OK);
    size_t n;
    unsigned char *snap = read_all(path_in("legacy/s.snap"), &n);
    write_all(path_in("legacy/s.snap.tmp.backup"), snap, n);     /* a copy: stays */
    write_all(path_in("legacy/s.snap.tmp.Half01"), snap, n / 2); /* cut short: goes */
    write_all(path_in("legacy/s.snap.tmp.Head02"), snap, 5);     /* "CIVIC": goes */
    write_all(path_in("legacy/s.snap.tmp.Empty3"), snap, 0);     /* empty: goes */
    touch(path_in("legacy/s.snap.tmp.notes1"));                  /* no libcivic file: stays */
    int live = hold(path_in("legacy/s.snap.tmp.Live99"));        /* held, empty: stays */
    /* a hard-linked copy of the snapshot: stays (a snapshot is renamed into
     * place, never linked, so no leftover is another name of it) */
    assert_int_equal(link(path_in("legacy/s.snap"), path_in("legacy/s.snap.tmp.before")), 0);
    assert_int_equal(civic_engine_save(e, path_in("legacy/s.snap"), NULL), CIVIC_OK);
    const char *after_save[] = { "s.snap", "s.snap.tmp.Live99", "s.snap.tmp.backup",
                                 "s.snap.tmp.before",
                                 "s.snap.tmp.notes1" };
    assert_true(names_are("legacy", after_save, 5));
    size_t kept_n;
    unsigned char *kept = read_all(path_in("legacy/s.snap.tmp.backup"), &kept_n);
    assert_true(kept_n == n && memcmp(kept, snap, n) == 0);
    free(kept);
    close(live);

    /* a journal: a copy holding batches stays, a header alone goes, and so
     * does another name of the journal's own file */
    civic_engine *j = journaled("legacy/j.jnl", CIVIC_SYNC_ALWAYS, NULL);
    add_one(j, "l1", "fine", "2024-01-01");
    civic_engine_free(j);
    unsigned char *jnl = read_all(path_in("legacy/j.jnl"), &n);
    assert_true(n > 32);
    write_all(path_in("legacy/j.jnl.tmp.backup"), jnl, n); /* stays */
    write_all(path_in("legacy/j.jnl.tmp.Head04"), jnl, 32); /* the header alone: goes */
    write_all(path_in("legacy/j.jnl.tmp.Part05"), jnl, 20); /* goes */
    assert_int_equal(link(path_in("legacy/j.jnl"), path_in("legacy/j.jnl.tmp.Link06")), 0);
    j = journaled("legacy/j.jnl", CIVIC_SYNC_ALWAYS, NULL);
    assert_int_equal(civic_engine_event_count(j), 1);
    civic_engine_free(j);
    const char *after_open[] = { "j.jnl", "j.jnl.tmp.backup", "s.snap", "s.snap.tmp.Live99",
                                 "s.snap.tmp.backup", "s.snap.tmp.before", "s.snap.tmp.notes1" };
    assert_true(names_are("legacy", after_open, 7));
    kept = read_all(path_in("legacy/j.jnl.tmp.backup"), &kept_n);
    assert_true(kept_n == n && memcmp(kept, jnl, n) == 0);
    free(kept);
    /* the copies open as what they are */
    civic_engine *c = fresh_engine();
    assert_int_equal(civic_engine_load_snapshot(c, path_in("legacy/s.snap.tmp.backup"), NULL),
                     CIVIC_OK);
    assert_int_equal(civic_engine_journal_open(c, path_in("legacy/j.jnl.tmp.backup"),
                                               CIVIC_SYNC_ALWAYS, NULL, NULL),
                     CIVIC_OK);
    civic_engine_free(c);
    free(jnl);
    free(snap);
    civic_engine_free(e);
}

/* Compaction killed (SIGKILL) at each of its file operations in turn, as a
 * server under kill -9 would be: the directory never holds more than the
 * snapshot, the journal and the one temporary file being written, recovery
 * removes that file, and every event comes back. */
static const char *const kill_log_prefix = "k";

static void kill_state(civic_engine *ref)
{
    empty_dir("kill");
    civic_engine *a = journaled("kill/kc.jnl", CIVIC_SYNC_ALWAYS, NULL);
    char *log = make_log(120, kill_log_prefix);
    load_ok(a, log);
    load_ok(ref, log);
    free(log);
    /* an older snapshot, then more events in the journal */
    assert_int_equal(civic_engine_compact(a, path_in("kill/kc.snap"), NULL), CIVIC_OK);
    add_one(a, "late1", "fine", "2024-06-01");
    add_one(a, "late2", "dog", "2024-06-02");
    civic_engine_free(a);
}

/* The child compacts, armed to die at its kill_at-th file operation.  It
 * always dies by SIGKILL; when the compaction got through first, it says so
 * on the pipe beforehand (an exit status would not do: valgrind changes it
 * when the child exits with memory in use). */
static void compact_in_child(long kill_at, int done_fd)
{
    civic_engine *e = NULL;
    civic_rules *r = NULL;
    if (civic_rules_parse(&r, RULES_TEXT, strlen(RULES_TEXT), NULL, NULL) != CIVIC_OK ||
        civic_engine_new(&e, r, NULL) != CIVIC_OK ||
        civic_engine_load_snapshot(e, path_in("kill/kc.snap"), NULL) != CIVIC_OK ||
        civic_engine_journal_open(e, path_in("kill/kc.jnl"), CIVIC_SYNC_ALWAYS, NULL, NULL) !=
            CIVIC_OK)
        _exit(2);
    crash_calls = 0;
    crash_at = kill_at;
    int rc = civic_engine_compact(e, path_in("kill/kc.snap"), NULL);
    crash_at = 0;
    char done = rc == CIVIC_OK ? 'd' : 'f';
    if (write(done_fd, &done, 1) != 1) _exit(4);
    raise(SIGKILL);
    _exit(5);
}

static void compaction_killed_at_every_step_leaves_one_snapshot_and_one_journal(void **state)
{
    /* Every child dies with its memory in use: under valgrind each would
     * print a leak report.  The ASan run covers the same code. */
    if (getenv("CIVIC_TEST_UNDER_VALGRIND")) skip();
    char sub[300];
    snprintf(sub, sizeof(sub), "%s/kill", dir);
    assert_int_equal(mkdir(sub, 0700), 0);
    civic_engine *ref = fresh_engine();
    kill_state(ref);
    add_one(ref, "late1", "fine", "2024-06-01");
    add_one(ref, "late2", "dog", "2024-06-02");
    long kills = 0;
    for (long k = 1; k < 200; k++) {
        if (k > 1) {
            civic_engine *scratch = fresh_engine();
            kill_state(scratch);
            civic_engine_free(scratch);
        }
        int pipe_fds[2];
        assert_int_equal(pipe(pipe_fds), 0);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) compact_in_child(k, pipe_fds[1]);
        close(pipe_fds[1]);
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
        char done = 0;
        ssize_t got = read(pipe_fds[0], &done, 1);
        close(pipe_fds[0]);
        assert_true(got == 0 || done == 'd'); /* killed on the way, or compacted */
        bool killed = got == 0;
        size_t n;
        char **names = names_in("kill", &n);
        size_t temps = 0;
        for (size_t i = 0; i < n; i++) {
            bool known = strcmp(names[i], "kc.snap") == 0 || strcmp(names[i], "kc.jnl") == 0;
            if (!known && (strncmp(names[i], "kc.snap.tmp.civic.", 18) == 0 ||
                           strncmp(names[i], "kc.jnl.tmp.civic.", 17) == 0))
                temps++;
            else if (!known)
                fail_msg("step %ld left %s", k, names[i]);
        }
        free_names(names, n);
        assert_true(temps <= 1); /* the one being written when the process died */
        civic_journal_report rep = CIVIC_JOURNAL_REPORT_INIT;
        civic_engine *b = recover("kill/kc.snap", "kill/kc.jnl", &rep);
        assert_same_answers(ref, b);
        civic_engine_free(b);
        const char *clean[] = { "kc.jnl", "kc.snap" };
        assert_true(names_are("kill", clean, 2)); /* recovery removed the temporary file */
        if (!killed) break;
        kills++;
    }
    assert_true(kills >= 8); /* each write, sync, close and rename of both files */
    civic_engine_free(ref);
}

static void snapshot_loaded_into_a_journaled_engine_is_journaled(void **state)
{
    civic_engine *a = engine_with_log(40);
    assert_int_equal(civic_engine_save(a, path_in("j.snap"), NULL), CIVIC_OK);
    civic_engine *b = journaled("j.jnl", CIVIC_SYNC_ALWAYS, NULL);
    assert_int_equal(civic_engine_load_snapshot(b, path_in("j.snap"), NULL), CIVIC_OK);
    civic_engine_free(b);
    civic_engine *c = journaled("j.jnl", CIVIC_SYNC_ALWAYS, NULL);
    assert_same_answers(a, c);
    civic_engine_free(a);
    civic_engine_free(c);
}

/* Fail allocation 1, 2, 3 ... of a snapshot load and of a journal replay:
 * each failure is CIVIC_E_NOMEM, leaves the engine empty, and nothing leaks. */
static void allocation_failures_leave_the_engine_unchanged(void **state)
{
    civic_engine *a = engine_with_log(300);
    assert_int_equal(civic_engine_save(a, path_in("oom.snap"), NULL), CIVIC_OK);
    civic_engine *w = journaled("oom.jnl", CIVIC_SYNC_NONE, NULL);
    char *log = make_log(300, "e");
    load_ok(w, log);
    free(log);
    civic_engine_free(w);
    for (int which = 0; which < 2; which++) {
        alloc_fail af;
        alloc_fail_init(&af);
        civic_rules *r = rules_from(RULES_TEXT);
        civic_engine_options o = CIVIC_ENGINE_OPTIONS_INIT;
        o.allocator = &af.alc;
        int rc = CIVIC_E_NOMEM;
        uint64_t n;
        for (n = 1; rc == CIVIC_E_NOMEM && n < 10000; n++) {
            civic_engine *e = NULL;
            assert_int_equal(civic_engine_new(&e, r, &o), CIVIC_OK);
            civic_error err = CIVIC_ERROR_INIT;
            alloc_fail_arm(&af, n, false);
            rc = which == 0 ? civic_engine_load_snapshot(e, path_in("oom.snap"), &err)
                            : civic_engine_journal_open(e, path_in("oom.jnl"), CIVIC_SYNC_ALWAYS,
                                                        NULL, &err);
            alloc_fail_disarm(&af);
            if (rc != CIVIC_OK) {
                assert_int_equal(rc, CIVIC_E_NOMEM);
                assert_int_equal(err.code, CIVIC_E_NOMEM);
                assert_int_equal(civic_engine_event_count(e), 0);
                assert_int_equal(civic_engine_subject_count(e), 0);
                if (which == 1) /* no journal stays attached after a failure */
                    assert_int_equal(civic_engine_journal_sync(e, NULL), CIVIC_E_INVALID);
            } else {
                assert_same_answers(a, e);
            }
            civic_engine_free(e);
            assert_int_equal(alloc_fail_live_blocks(&af), 0);
        }
        assert_int_equal(rc, CIVIC_OK);
        assert_true(n > 3);
        assert_int_equal(af.size_mismatches, 0);
        assert_int_equal(af.bad_frees, 0);
        civic_rules_free(r);
        alloc_fail_destroy(&af);
    }
    civic_engine_free(a);
}

typedef struct writer_arg {
    civic_engine *e;
    int index;
    int count;
} writer_arg;

static void *writer_main(void *p)
{
    writer_arg *w = p;
    for (int i = 0; i < w->count; i++) {
        char id[32], subject[32];
        snprintf(id, sizeof(id), "w%d-%d", w->index, i);
        snprintf(subject, sizeof(subject), "writer-%d", w->index);
        civic_event ev = CIVIC_EVENT_INIT;
        ev.id = id;
        ev.subject = subject;
        ev.type = i % 2 ? "fine" : "volunteer_hour";
        ev.ts = "2024-06-01";
        if (civic_engine_add(w->e, &ev, NULL) != CIVIC_OK) return (void *)1;
    }
    return NULL;
}

typedef struct compactor_arg {
    civic_engine *e;
    char snap[256];
    atomic_int stop;
    int compactions;
} compactor_arg;

static void *compactor_main(void *p)
{
    compactor_arg *c = p;
    /* at least one round, even when this thread first runs after the
     * writers are done (a busy host): the test counts on a compaction */
    do {
        if (civic_engine_compact(c->e, c->snap, NULL) != CIVIC_OK) return (void *)1;
        if (civic_engine_journal_sync(c->e, NULL) != CIVIC_OK) return (void *)1;
        civic_result *res = NULL;
        if (civic_engine_subjects(c->e, 1800000000, &res) != CIVIC_OK) return (void *)1;
        civic_result_free(res);
        c->compactions++;
    } while (!atomic_load(&c->stop));
    return NULL;
}

/* Writers, compaction, syncs and queries at once (run it under TSan): every
 * event comes back from the last snapshot plus the journal. */
static void journal_survives_concurrent_writers_and_compaction(void **state)
{
    civic_engine *e = journaled("conc.jnl", CIVIC_SYNC_GROUP | CIVIC_SYNC_INTERVAL_MS(2), NULL);
    enum { WRITERS = 4, EACH = 300 };
    pthread_t wt[WRITERS], ct;
    writer_arg wa[WRITERS];
    compactor_arg ca;
    ca.e = e;
    snprintf(ca.snap, sizeof(ca.snap), "%s", path_in("conc.snap"));
    atomic_init(&ca.stop, 0);
    ca.compactions = 0;
    assert_int_equal(pthread_create(&ct, NULL, compactor_main, &ca), 0);
    for (int i = 0; i < WRITERS; i++) {
        wa[i].e = e;
        wa[i].index = i;
        wa[i].count = EACH;
        assert_int_equal(pthread_create(&wt[i], NULL, writer_main, &wa[i]), 0);
    }
    for (int i = 0; i < WRITERS; i++) {
        void *rv;
        pthread_join(wt[i], &rv);
        assert_null(rv);
    }
    atomic_store(&ca.stop, 1);
    void *rv;
    pthread_join(ct, &rv);
    assert_null(rv);
    assert_true(ca.compactions >= 1);
    assert_int_equal(civic_engine_event_count(e), WRITERS * EACH);
    assert_int_equal(civic_engine_journal_close(e, NULL), CIVIC_OK);
    civic_engine *b = recover("conc.snap", "conc.jnl", NULL);
    assert_same_answers(e, b);
    civic_engine_free(b);
    civic_engine_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(snapshot_round_trip_gives_identical_answers),
        cmocka_unit_test(large_quantities_survive_a_rollback_and_a_snapshot),
        cmocka_unit_test(snapshot_of_an_empty_engine_loads_as_empty),
        cmocka_unit_test(snapshot_save_leaves_no_temporary_file),
        cmocka_unit_test(a_snapshot_onto_a_directory_is_told_so),
        cmocka_unit_test(snapshot_truncated_at_every_offset_is_rejected),
        cmocka_unit_test(snapshot_with_any_flipped_bit_is_rejected),
        cmocka_unit_test(a_checksum_mismatch_names_the_part_it_covers),
        cmocka_unit_test(snapshot_with_wrong_magic_version_or_rules_is_named),
        cmocka_unit_test(snapshot_holding_one_id_twice_is_corrupt),
        cmocka_unit_test(snapshot_loads_as_one_batch_into_a_busy_engine),
        cmocka_unit_test(journal_replays_every_acknowledged_batch),
        cmocka_unit_test(journal_rejects_bad_arguments),
        cmocka_unit_test(a_bad_policy_or_flag_says_what_is_wrong),
        cmocka_unit_test(a_snapshot_event_in_conflict_names_the_file_and_record),
        cmocka_unit_test(files_written_never_take_a_closed_standard_descriptor),
        cmocka_unit_test(messages_about_long_paths_keep_their_reason),
        cmocka_unit_test(a_second_engine_cannot_open_a_journal_in_use),
        cmocka_unit_test(a_save_onto_a_journal_is_refused),
        cmocka_unit_test(a_journal_removed_while_open_takes_no_more_writes),
        cmocka_unit_test(a_close_after_a_removal_says_the_acknowledged_writes_are_gone),
        cmocka_unit_test(a_removed_journal_points_at_the_compaction_that_keeps_its_events),
        cmocka_unit_test(a_journal_renamed_while_open_takes_no_more_writes),
        cmocka_unit_test(a_journal_truncated_while_open_takes_no_more_writes),
        cmocka_unit_test(a_compaction_without_room_for_its_fresh_journal_says_what_it_left),
        cmocka_unit_test(damage_in_a_big_batch_counts_its_rest_apart_from_the_batches_after_it),
        cmocka_unit_test(a_forked_child_cannot_write_the_parents_journal),
        cmocka_unit_test(descriptors_the_library_opens_are_close_on_exec),
        cmocka_unit_test(a_spawned_program_keeps_no_journal_locked),
        cmocka_unit_test(a_snapshot_holding_a_purge_is_not_half_journaled),
        cmocka_unit_test(a_purge_the_snapshot_holds_is_not_replayed_over_it),
        cmocka_unit_test(a_purge_record_without_its_number_still_replays),
        cmocka_unit_test(files_of_a_revised_scheme_load_when_asked),
        cmocka_unit_test(a_journal_of_other_rules_keeps_its_header_until_a_write),
        cmocka_unit_test(a_purge_of_other_rules_is_not_replayed_under_these),
        cmocka_unit_test(a_fifo_or_device_is_no_place_for_a_journal_or_snapshot),
        cmocka_unit_test(a_save_and_a_load_of_one_path_at_once_both_work),
        cmocka_unit_test(two_engines_creating_one_journal_never_both_get_it),
        cmocka_unit_test(two_engines_opening_one_empty_journal_never_both_get_it),
        cmocka_unit_test(two_processes_opening_one_empty_journal_never_both_get_it),
        cmocka_unit_test(a_journal_path_linking_to_nothing_is_named),
        cmocka_unit_test(compaction_through_symbolic_links_keeps_the_links),
        cmocka_unit_test(compaction_after_a_chdir_keeps_the_journal_where_it_was_opened),
        cmocka_unit_test(a_failed_creation_names_the_journal_as_given),
        cmocka_unit_test(a_journal_deeper_than_path_max_opens_compacts_and_recovers),
        cmocka_unit_test(a_compaction_never_replaces_a_file_its_journal_no_longer_is),
        cmocka_unit_test(journal_with_damaged_header_or_other_rules_is_refused),
        cmocka_unit_test(journal_torn_tail_is_truncated_at_every_offset),
        cmocka_unit_test(journal_big_batch_torn_between_records_is_dropped_whole),
        cmocka_unit_test(snapshot_with_a_horizon_out_of_range_is_corrupt),
        cmocka_unit_test(snapshot_with_a_horizon_but_no_purge_count_loads),
        cmocka_unit_test(journal_big_batch_with_a_page_missing_is_a_torn_tail),
        cmocka_unit_test(journal_big_batch_missing_a_page_of_its_first_record_is_a_torn_tail),
        cmocka_unit_test(a_first_header_zero_up_to_a_sector_end_is_a_torn_tail),
        cmocka_unit_test(a_torn_tail_holding_an_intact_record_is_cut_only_after_a_copy),
        cmocka_unit_test(a_torn_batch_whose_copy_cannot_be_written_is_cut_without_one),
        cmocka_unit_test(a_whole_last_record_that_fails_its_checksum_is_cut_after_a_copy),
        cmocka_unit_test(journal_tail_of_false_headers_is_judged_without_rereading_it),
        cmocka_unit_test(journal_damage_across_two_batches_is_refused),
        cmocka_unit_test(journal_copy_killed_midway_leaves_no_part_under_its_name),
        cmocka_unit_test(journal_torn_tail_full_of_magics_is_cut),
        cmocka_unit_test(journal_damage_before_intact_batches_is_refused_and_named),
        cmocka_unit_test(journal_recovery_keeps_a_copy_and_cuts_at_the_damage),
        cmocka_unit_test(names_of_245_to_255_bytes_are_saved_journaled_and_compacted),
        cmocka_unit_test(a_long_named_save_killed_midway_leaves_nothing_for_good),
        cmocka_unit_test(a_damaged_journal_of_a_long_name_keeps_its_copy),
        cmocka_unit_test(journal_with_a_damaged_header_recovers_to_a_fresh_journal),
        cmocka_unit_test(journal_append_failure_rolls_the_batch_back),
        cmocka_unit_test(journal_records_only_the_accepted_lines_of_a_lenient_load),
        cmocka_unit_test(compaction_recovers_the_same_events_from_every_crash_point),
        cmocka_unit_test(compaction_fails_with_one_code_with_or_without_an_error_struct),
        cmocka_unit_test(stale_temporary_files_are_removed_and_live_ones_kept),
        cmocka_unit_test(files_in_the_1_0_temporary_form_go_only_when_they_are_leftovers),
        cmocka_unit_test(compaction_killed_at_every_step_leaves_one_snapshot_and_one_journal),
        cmocka_unit_test(snapshot_loaded_into_a_journaled_engine_is_journaled),
        cmocka_unit_test(allocation_failures_leave_the_engine_unchanged),
        cmocka_unit_test(journal_survives_concurrent_writers_and_compaction),
        cmocka_unit_test(a_compaction_whose_directory_sync_fails_loses_nothing),
    };
    int rc = cmocka_run_group_tests_name("durability", tests, setup, teardown);
    support_release();
    return rc;
}
