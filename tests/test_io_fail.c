/*
** test_io_fail.c -- a read that fails while a journal is replayed.  pread is
** wrapped (-Wl,--wrap=pread, tests/reliability.mk): the Nth call fails with
** EIO.  A failed read says nothing of the file: the open must fail with
** CIVIC_E_IO and leave the file as it was.  Taken for a torn tail, the last
** acknowledged batch was cut off the disk (the open returned CIVIC_OK); taken
** for damage, the error said CIVIC_E_CORRUPT and pointed at
** CIVIC_JOURNAL_RECOVER, which cut every batch out.  fstat is wrapped too:
** a temporary file that cannot be checked is removed (it was left behind).
** fsync is wrapped: a recovery whose copy's directory cannot be synced says
** so (it said "cannot copy the damaged file" of a whole copy).  fcntl is
** wrapped: another engine compacts between a journal's open and its lock.
*/
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* F_OFD_SETLK, the lock the library takes */
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "support.h"

ssize_t __real_pread(int fd, void *buf, size_t n, off_t offset);
ssize_t __wrap_pread(int fd, void *buf, size_t n, off_t offset);

static long calls, fail_at; /* fail the fail_at-th call; 0: none */

ssize_t __wrap_pread(int fd, void *buf, size_t n, off_t offset)
{
    if (fail_at && ++calls == fail_at) {
        errno = EIO;
        return -1;
    }
    return __real_pread(fd, buf, n, offset);
}

int __real_fstat(int fd, struct stat *st);
int __wrap_fstat(int fd, struct stat *st);

static long stat_calls, stat_fail_at;

int __wrap_fstat(int fd, struct stat *st)
{
    if (stat_fail_at && ++stat_calls == stat_fail_at) {
        errno = EIO;
        return -1;
    }
    return __real_fstat(fd, st);
}

int __real_fsync(int fd);
int __wrap_fsync(int fd);

static long dir_syncs, dir_sync_fail_at; /* fail the Nth fsync of a directory; 0: none */

int __wrap_fsync(int fd)
{
    struct stat st;
    if (dir_sync_fail_at && __real_fstat(fd, &st) == 0 && S_ISDIR(st.st_mode) &&
        ++dir_syncs == dir_sync_fail_at) {
        errno = EIO;
        return -1;
    }
    return __real_fsync(fd);
}

int __real_fcntl(int fd, int cmd, ...);
int __wrap_fcntl(int fd, int cmd, ...);

/* Run once, at the next lock of a file (the first lock an open takes):
 * what another engine does between that open and its lock. */
static void (*before_lock)(void);

int __wrap_fcntl(int fd, int cmd, ...)
{
    va_list ap;
    va_start(ap, cmd);
    void *arg = va_arg(ap, void *); /* every call here passes a pointer or an int */
    va_end(ap);
    if (before_lock && (cmd == F_SETLK
#ifdef F_OFD_SETLK
                        || cmd == F_OFD_SETLK
#endif
                        )) {
        void (*run)(void) = before_lock;
        before_lock = NULL;
        run();
    }
    return __real_fcntl(fd, cmd, arg);
}

static char dir[] = "/tmp/civic-io-fail-XXXXXX";

static const char *journal_path(void)
{
    static char path[64];
    snprintf(path, sizeof(path), "%s/j.jnl", dir);
    return path;
}

static off_t size_of(const char *path)
{
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    return st.st_size;
}

#define RULES TEST_SCHEME "[rule.fine]\npoints = -10\n"

static void a_failed_read_in_a_replay_loses_nothing(void **state)
{
    (void)state;
    civic_error err = CIVIC_ERROR_INIT;
    civic_engine *e = engine_from(RULES);
    assert_int_equal(civic_engine_journal_open(e, journal_path(), CIVIC_SYNC_ALWAYS, NULL, &err),
                     CIVIC_OK);
    for (int i = 0; i < 3; i++) { /* three acknowledged batches */
        char id[16], ts[32];
        snprintf(id, sizeof(id), "f%d", i);
        snprintf(ts, sizeof(ts), "2024-01-0%d", i + 1);
        civic_event ev = event_of(id, "s1", "fine", ts);
        assert_int_equal(civic_engine_add(e, &ev, &err), CIVIC_OK);
    }
    civic_engine_free(e);
    off_t size = size_of(journal_path());
    bool failed_some = false;
    for (long n = 1;; n++) {
        for (int recover = 0; recover <= 1; recover++) {
            e = engine_from(RULES);
            calls = 0;
            fail_at = n;
            civic_journal_report rep = CIVIC_JOURNAL_REPORT_INIT;
            int rc = civic_engine_journal_open(
                e, journal_path(), CIVIC_SYNC_ALWAYS | (recover ? CIVIC_JOURNAL_RECOVER : 0u),
                &rep, &err);
            bool hit = calls >= n;
            fail_at = 0;
            if (hit) {
                failed_some = true;
                if (rc != CIVIC_E_IO)
                    fprintf(stderr, "pread %ld failed: rc %d (%s), %llu events, %llu bytes cut\n",
                            n, rc, err.message, (unsigned long long)rep.events,
                            (unsigned long long)rep.bytes_truncated);
                assert_int_equal(rc, CIVIC_E_IO);
                assert_non_null(strstr(err.message, "cannot read"));
                assert_int_equal(civic_engine_event_count(e), 0);
            } else {
                assert_int_equal(rc, CIVIC_OK);
                assert_int_equal(civic_engine_event_count(e), 3);
            }
            assert_int_equal(size_of(journal_path()), size); /* nothing cut */
            civic_engine_free(e);
            if (!hit && recover) {
                assert_true(failed_some);
                unlink(journal_path());
                return;
            }
        }
    }
}

/* Files in dir whose name holds ".tmp.". */
static int temporaries(void)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    for (struct dirent *x; (x = readdir(d));) n += strstr(x->d_name, ".tmp.") != NULL;
    closedir(d);
    return n;
}

static void a_save_whose_temporary_cannot_be_checked_removes_it(void **state)
{
    (void)state;
    civic_error err = CIVIC_ERROR_INIT;
    civic_engine *e = engine_from(RULES);
    civic_event ev = event_of("f1", "s1", "fine", "2024-01-01");
    assert_int_equal(civic_engine_add(e, &ev, &err), CIVIC_OK);
    char path[64];
    snprintf(path, sizeof(path), "%s/s.snap", dir);
    long n = 1;
    for (;; n++) { /* a failed check may be tried again under a new name: either way */
        stat_calls = 0;
        stat_fail_at = n;
        int rc = civic_engine_save(e, path, &err);
        bool hit = stat_calls >= n;
        stat_fail_at = 0;
        assert_int_equal(temporaries(), 0);
        if (!hit) {
            assert_int_equal(rc, CIVIC_OK);
            break;
        }
        assert_true(rc == CIVIC_OK || rc == CIVIC_E_IO);
    }
    assert_true(n > 1); /* some fstat failed */
    civic_engine_free(e);
    unlink(path);
}

/* Files in dir whose name holds ".damaged.". */
static int copies(void)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    for (struct dirent *x; (x = readdir(d));) n += strstr(x->d_name, ".damaged.") != NULL;
    closedir(d);
    return n;
}

/* CIVIC_JOURNAL_RECOVER over a damaged header, with each read failing in
 * turn (the header's, the count of intact records after it, the copy's):
 * the open fails with CIVIC_E_IO, the journal is as it was, and no copy is
 * left (a copy cut short by a failed read or write was left, named like a
 * whole one). */
static void write_damaged_journal(void)
{
    civic_error err = CIVIC_ERROR_INIT;
    civic_engine *e = engine_from(RULES);
    assert_int_equal(civic_engine_journal_open(e, journal_path(), CIVIC_SYNC_ALWAYS, NULL, &err),
                     CIVIC_OK);
    for (int i = 0; i < 3; i++) {
        char id[16];
        snprintf(id, sizeof(id), "f%d", i);
        civic_event ev = event_of(id, "s1", "fine", "2024-01-01");
        assert_int_equal(civic_engine_add(e, &ev, &err), CIVIC_OK);
    }
    civic_engine_free(e);
    FILE *f = fopen(journal_path(), "r+b");
    assert_non_null(f);
    assert_int_equal(fseek(f, 20, SEEK_SET), 0); /* in the fingerprint: the checksum fails */
    int c = fgetc(f);
    assert_int_equal(fseek(f, 20, SEEK_SET), 0);
    fputc(c ^ 0x01, f);
    assert_int_equal(fclose(f), 0);
}

static void remove_all(void)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    for (struct dirent *x; (x = readdir(d));) {
        if (x->d_name[0] == '.') continue;
        char path[300];
        snprintf(path, sizeof(path), "%s/%s", dir, x->d_name);
        unlink(path);
    }
    closedir(d);
}

static void a_recovery_whose_copy_fails_leaves_no_copy(void **state)
{
    (void)state;
    civic_error err = CIVIC_ERROR_INIT;
    civic_engine *e;
    write_damaged_journal();
    off_t size = size_of(journal_path());
    long n = 1;
    for (;; n++) {
        e = engine_from(RULES);
        calls = 0;
        fail_at = n;
        int rc = civic_engine_journal_open(e, journal_path(),
                                           CIVIC_SYNC_ALWAYS | CIVIC_JOURNAL_RECOVER, NULL, &err);
        bool hit = calls >= n;
        fail_at = 0;
        civic_engine_free(e);
        if (!hit) {
            assert_int_equal(rc, CIVIC_OK);
            assert_int_equal(copies(), 1);
            break;
        }
        if (rc != CIVIC_E_IO) fprintf(stderr, "pread %ld failed: rc %d (%s)\n", n, rc, err.message);
        assert_int_equal(rc, CIVIC_E_IO);
        assert_int_equal(copies(), 0);
        assert_int_equal(size_of(journal_path()), size);
    }
    assert_true(n > 3); /* the header, the count and the copy's reads failed */
    remove_all();
}

/* Each directory sync failing in turn (the journal's own name, the copy's,
 * the new journal's): the open fails with CIVIC_E_IO.  Before the new
 * journal is in place no copy is left (its name might not outlive a crash)
 * and the journal is as it was; after, the message names the copy.  The
 * copy's failure says so (it said "cannot copy the damaged file" of a
 * whole copy). */
static void a_recovery_whose_copy_cannot_be_synced_says_so(void **state)
{
    (void)state;
    civic_error err = CIVIC_ERROR_INIT;
    write_damaged_journal();
    off_t size = size_of(journal_path());
    bool said_copy = false, said_anew = false;
    long n = 1;
    for (;; n++) {
        civic_engine *e = engine_from(RULES);
        dir_syncs = 0;
        dir_sync_fail_at = n;
        int rc = civic_engine_journal_open(e, journal_path(),
                                           CIVIC_SYNC_ALWAYS | CIVIC_JOURNAL_RECOVER, NULL, &err);
        bool hit = dir_syncs >= n;
        dir_sync_fail_at = 0;
        civic_engine_free(e);
        if (!hit) {
            assert_int_equal(rc, CIVIC_OK);
            assert_int_equal(copies(), 1);
            break;
        }
        assert_int_equal(rc, CIVIC_E_IO);
        assert_null(strstr(err.message, "cannot copy"));
        said_copy = said_copy || strstr(err.message, "cannot sync the directory of the copy");
        if (strstr(err.message, "started anew, the damaged file kept beside it as ")) {
            said_anew = true;
            assert_non_null(strstr(err.message, ".damaged."));
            assert_int_equal(copies(), 1);
            assert_int_equal(size_of(journal_path()), 32); /* a new header */
            remove_all();
            write_damaged_journal();
        } else {
            assert_int_equal(copies(), 0);
            assert_int_equal(size_of(journal_path()), size);
        }
    }
    assert_true(said_copy);
    assert_true(said_anew);
    remove_all();
}

static civic_engine *holder; /* the engine that compacts in the window */

static void holder_compacts(void)
{
    char snap[64];
    civic_error err = CIVIC_ERROR_INIT;
    snprintf(snap, sizeof(snap), "%s/s.snap", dir);
    assert_int_equal(civic_engine_compact(holder, snap, &err), CIVIC_OK);
}

/* An engine that opens the journal just before its holder compacts and
 * locks it just after holds the old file, which has no name any more: its
 * batches would go nowhere, and its own compaction would put its stale
 * state over the holder's.  The open looks at the name again and finds the
 * holder's new journal, locked. */
static void a_journal_replaced_between_open_and_lock_is_opened_again(void **state)
{
    (void)state;
    civic_error err = CIVIC_ERROR_INIT;
    holder = engine_from(RULES);
    assert_int_equal(civic_engine_journal_open(holder, journal_path(), CIVIC_SYNC_ALWAYS, NULL,
                                               &err), CIVIC_OK);
    civic_event ev = event_of("f1", "s1", "fine", "2024-01-01");
    assert_int_equal(civic_engine_add(holder, &ev, &err), CIVIC_OK);
    civic_engine *late = engine_from(RULES);
    before_lock = holder_compacts;
    int rc = civic_engine_journal_open(late, journal_path(), CIVIC_SYNC_ALWAYS, NULL, &err);
    assert_null(before_lock); /* the window was reached */
    if (rc == CIVIC_OK) fprintf(stderr, "the late engine attached to the unnamed journal\n");
    assert_int_equal(rc, CIVIC_E_IO);
    assert_non_null(strstr(err.message, "is locked by another engine"));
    /* the holder goes on: its batch after the compaction is in the journal
     * the name leads to */
    ev = event_of("f2", "s1", "fine", "2024-01-02");
    assert_int_equal(civic_engine_add(holder, &ev, &err), CIVIC_OK);
    civic_engine_free(holder);
    civic_engine_free(late);
    civic_engine *back = engine_from(RULES);
    char snap[64];
    snprintf(snap, sizeof(snap), "%s/s.snap", dir);
    assert_int_equal(civic_engine_load_snapshot(back, snap, &err), CIVIC_OK);
    assert_int_equal(civic_engine_journal_open(back, journal_path(), CIVIC_SYNC_ALWAYS, NULL,
                                               &err), CIVIC_OK);
    assert_int_equal(civic_engine_event_count(back), 2);
    civic_engine_free(back);
    remove_all();
}

static int make_dir(void **state)
{
    (void)state;
    return mkdtemp(dir) ? 0 : -1;
}

static int remove_dir(void **state)
{
    (void)state;
    return rmdir(dir);
}

/* A sync that fails (here the check that the file still has a name) under
 * CIVIC_SYNC_NONE: the adds before it were acknowledged without a sync, so
 * the close may not say that what failed was not acknowledged.  Under
 * CIVIC_SYNC_ALWAYS every acknowledged add was synced, and it may. */
static void a_close_after_a_failed_sync_says_what_may_be_lost(void **state)
{
    (void)state;
    uint32_t policies[] = { CIVIC_SYNC_NONE, CIVIC_SYNC_ALWAYS };
    /* each again in a directory of a long name: the advice stays whole, the
     * path is cut (the refusals kept the whole path and lost the advice) */
    char deep[300], path[320];
    snprintf(deep, sizeof(deep), "%s/%s", dir,
             "the-data-directory-of-the-community-points-service-of-the-harbour-district-in-"
             "production-kept-on-the-second-disk");
    assert_int_equal(mkdir(deep, 0700), 0);
    for (size_t k = 0; k < 4; k++) {
        civic_error err = CIVIC_ERROR_INIT;
        civic_engine *e = engine_from(RULES);
        snprintf(path, sizeof(path), "%s", k < 2 ? journal_path() : deep);
        if (k >= 2) strcat(path, "/j.jnl");
        assert_int_equal(civic_engine_journal_open(e, path, policies[k % 2], NULL, &err),
                         CIVIC_OK);
        civic_event ev = event_of("n1", "s1", "fine", "2024-01-01");
        assert_int_equal(civic_engine_add(e, &ev, &err), CIVIC_OK);
        stat_calls = 0;
        stat_fail_at = 1; /* the sync's check of the file */
        assert_int_equal(civic_engine_journal_sync(e, &err), CIVIC_E_IO);
        stat_fail_at = 0;
        /* a write refused after it says which way out keeps everything: a
         * reopen reads only the file, which under NONE may lack n1 (it said
         * "close and reopen the journal" under every policy) */
        ev = event_of("n2", "s1", "fine", "2024-01-02");
        assert_int_equal(civic_engine_add(e, &ev, &err), CIVIC_E_IO);
        if (policies[k % 2] == CIVIC_SYNC_NONE) {
            assert_non_null(strstr(err.message, "an earlier sync failed, and writes acknowledged "
                                                "before it may be missing from the file (this "
                                                "engine holds them); compact "
                                                "(civic_engine_compact) to keep them"));
            assert_null(strstr(err.message, "reopen"));
        } else {
            assert_non_null(strstr(err.message, "an earlier write or sync failed (what failed "
                                                "was not acknowledged, and the files hold all "
                                                "that was); close and reopen the journal"));
        }
        assert_int_equal(civic_engine_journal_sync(e, &err), CIVIC_E_IO); /* the same words */
        const char *advice = policies[k % 2] == CIVIC_SYNC_NONE
                                 ? "compact (civic_engine_compact) to keep them"
                                 : "close and reopen the journal";
        size_t len = strlen(err.message);
        assert_true(len > strlen(advice));
        assert_string_equal(err.message + len - strlen(advice), advice);
        assert_int_equal(civic_engine_journal_close(e, &err), CIVIC_E_IO);
        if (policies[k % 2] == CIVIC_SYNC_NONE) {
            assert_non_null(strstr(err.message, "closed after a failed sync; writes acknowledged "
                                                "before it may be missing from the file (group or "
                                                "no-sync policy), but the engine holds them: save "
                                                "it (civic_engine_save) before reopening"));
            assert_null(strstr(err.message, "not acknowledged"));
        } else {
            assert_non_null(strstr(err.message, "(what failed was not acknowledged)"));
        }
        civic_engine_free(e);
        assert_int_equal(unlink(path), 0);
    }
    assert_int_equal(rmdir(deep), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_failed_read_in_a_replay_loses_nothing),
        cmocka_unit_test(a_save_whose_temporary_cannot_be_checked_removes_it),
        cmocka_unit_test(a_recovery_whose_copy_fails_leaves_no_copy),
        cmocka_unit_test(a_recovery_whose_copy_cannot_be_synced_says_so),
        cmocka_unit_test(a_journal_replaced_between_open_and_lock_is_opened_again),
        cmocka_unit_test(a_close_after_a_failed_sync_says_what_may_be_lost),
    };
    return cmocka_run_group_tests(tests, make_dir, remove_dir);
}
