/*
** journal.c -- the append-only journal: replay on open, one checksummed
** batch per successful write call, sync policies, compaction.
**
** It does not encode events (event_codec.c does), does not write snapshots
** itself (compaction asks snapshot.c) and does not decide when to compact
** (the caller does).  CRC-32C and whole reads and writes come from fileio.c.
**
** File layout (integers little-endian):
**   header  32 bytes: "CIVICJNL", u32 format version (1, or 2 once it may
**           hold a record of format 2 or a purge), u32 flags (0), u64 rules
**           fingerprint, u32 reserved (0), u32 CRC-32C of bytes 0..27.
**   record  24-byte header: "CJRC", u32 flags (FIRST 0x1: starts a batch;
**           COMMIT 0x2: ends it), u32 event count, u32 payload bytes
**           (<= 2 MiB), u32 reserved (0), u32 CRC-32C of the 20 bytes before
**           it and of the payload; then the payload: event records.
**   purge   a record of its own (FIRST | COMMIT | PURGE, no events): i64
**           instant, then u64 its number in the engine's history of purges
**           (1, 2, ...; absent in the 8-byte records of earlier 1.1 builds).
**           Replay skips a purge whose number the engine holds already (it
**           was loaded from a snapshot saved after it): a second purge at
**           the same instant is not idempotent, it removes what was archived
**           on arrival since the first.
**
** Invariants:
**   - The file is a header followed by whole committed batches, except for
**     a tail that a crash may have torn; replay applies a batch only when it
**     has read its COMMIT record, and truncates the file at the end of the
**     last committed batch (j->size) -- but only when nothing intact follows
**     the first unusable record, or only the rest of its torn batch.  Damage
**     followed by intact records is never truncated without a copy: the open
**     fails, or a copy of the whole file is kept first (with
**     CIVIC_JOURNAL_RECOVER, or when they are the rest of the torn batch --
**     the one exception: that batch is cut without its copy when the copy
**     cannot be written, judge_damage).
**   - The engine reaches the journal only through its commit hook
**     (journal_commit), attached and detached by writes of this file.
**   - Appends happen only under the engine's write lock and write at
**     j->size; j->size moves only after the whole batch is written (and
**     synced under CIVIC_SYNC_ALWAYS).  A failed append cuts the file back
**     to j->size; if that fails too, j->failed makes every later append fail.
**   - A new journal file is always written under a temporary name, synced
**     and renamed into place, so the path never names a header-less file.
**   - j->mutex guards j->fd against the group-sync thread while compaction
**     swaps it; appends never take it except to flag the journal dirty.
**   - A record libcivic 1.0 does not know (FORMAT2, PURGE) is written only
**     after the header says version 2: 1.0 reads such a record as a torn
**     tail and would cut it and every batch after it; it refuses a version
**     2 header instead.  An object, a dismiss or a correct (types 1.0 calls
**     damage) makes the engine's records format 2 (civic__event_format).
**     Opening a file that holds such records under a version 1 header
**     (libcivic 1.1 wrote them so before it knew, and wrote those three
**     types in format 1 records) sets version 2 too.
*/
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define JNL_HEADER_BYTES 32u
#define JNL_RECORD_HEADER_BYTES 24u
#define JNL_VERSION_1 1u /* events in record format 1 only (libcivic 1.0 reads it) */
#define JNL_VERSION_2 2u /* FORMAT2 and PURGE records may follow */
#define JNL_PAYLOAD_BYTES ((size_t)1 << 20)     /* target record payload */
#define JNL_PAYLOAD_BYTES_MAX ((size_t)2 << 20) /* accepted on replay */
#define JNL_FIRST 0x1u
#define JNL_COMMIT 0x2u
#define JNL_FORMAT2 0x4u /* the payload's events are in record format 2 (act, source) */
#define JNL_PURGE 0x8u   /* a purge: no events, the payload is its i64 instant */
#define JNL_PURGE_BYTES 16u    /* instant, number */
#define JNL_PURGE_BYTES_V1 8u  /* instant only (earlier 1.1 builds) */

struct civic_journal {
    int fd;
    char *path;                /* as given (or the file a link led to): for messages */
    size_t path_size;
    char *file;                /* the same file by an absolute name, fixed at the open: for
                                  every file operation after it (resolve_file) */
    size_t file_size;
    bool file_as_given;        /* no absolute name fits: file is path, resolved at each use */
    bool dir_known;            /* file's directory, as found at the open (still_named) */
    dev_t dir_dev;
    ino_t dir_ino;
    char label[CIVIC_PATH_BRIEF_SIZE]; /* path as messages give it: jname() */
    uint32_t policy;           /* CIVIC_SYNC_ALWAYS / GROUP / NONE */
    bool recover;              /* CIVIC_JOURNAL_RECOVER: cut damage, keeping a copy */
    bool other_rules;          /* CIVIC_JOURNAL_OTHER_RULES: replay a file of other rules */
    bool foreign;              /* ... and the file's header names other rules (until the
                                  first write sets it to these, or a compaction) */
    bool holds_purge;          /* a purge record was replayed (or skipped as held) */
    uint64_t fingerprint;      /* the rules the file's header names */
    uint32_t interval_ms;
    uint64_t size;             /* end of the last committed batch */
    uint32_t version;          /* the header's format version (JNL_VERSION_*) */
    unsigned char *buf;        /* one record: header + payload */
    size_t buf_size;
    atomic_int failed;         /* a write or sync failed: refuse appends */
    atomic_int name_lost;      /* its name was found not to lead to it (still_named) */
    atomic_int unsynced_lost;  /* ... a sync under GROUP or NONE, of writes acknowledged
                                  before it: the close must not say nothing was lost */
    atomic_int cut;            /* the file was found shorter than what was written to it
                                  (cut_short): refuse appends until a compaction */
    pthread_mutex_t mutex;
    pthread_cond_t cond;
    pthread_t thread;
    bool thread_started;
    bool stop;                 /* under mutex */
    bool dirty;                /* under mutex: appended, not yet synced */
    bool syncing;              /* under mutex: the thread is in fdatasync */
    pid_t pid;                 /* the process that opened it (see in_child) */
};

static int journal_commit(void *ctx, const civic_engine *e, size_t first, civic_error *err);
static int journal_purge(void *ctx, const civic_engine *e, int64_t before, civic_error *err);
static void journal_release(void *ctx, const civic_allocator *alc);

/* The journal attached to e, if any: the one behind e's commit hook.  The
 * caller holds the engine lock (read or write). */
static struct civic_journal *journal_of(const civic_engine *e)
{
    return e->hook.commit == journal_commit ? e->hook.ctx : NULL;
}

static void make_header(unsigned char *h, uint64_t fingerprint, uint32_t version)
{
    memset(h, 0, JNL_HEADER_BYTES);
    memcpy(h, "CIVICJNL", 8);
    civic__put32(h + 8, version);
    for (int i = 0; i < 8; i++) h[16 + i] = (unsigned char)(fingerprint >> (8 * i));
    civic__put32(h + 28, civic__crc32c(0, h, 28));
}

/* Whether this is a child that fork() made after the journal was opened: it
 * shares the descriptor, not the lock's protection nor the sync thread, so
 * a write of its own would land where the parent's next one overwrites it.
 * A child may not write, sync or compact the journal; freeing the engine
 * there only closes its copy of the descriptor (as engine.c's fault-ahead
 * thread is left alone in a child). */
static bool in_child(const struct civic_journal *j) { return j->pid != getpid(); }

static int child_error(civic_error *err, const struct civic_journal *j)
{
    char brief[CIVIC_PATH_BRIEF_SIZE];
    return civic__error_set(err, CIVIC_E_IO, 0, 0, 0, "journal %s: opened by process %ld, not "
                            "this one; after fork() a child must open a journal of its own",
                            civic__path_brief(j->path, brief), (long)j->pid);
}

/* The path as a message gives it (civic__path_brief), in j->label: for the
 * open, replay and compaction, under the engine's write lock. */
static const char *jname(struct civic_journal *j) { return civic__path_brief(j->path, j->label); }

static int io_error(civic_error *err, const char *what, const char *path)
{
    char brief[CIVIC_PATH_BRIEF_SIZE];
    return civic__error_set(err, CIVIC_E_IO, 0, 0, 0, "journal %s: cannot %s: %s",
                            civic__path_brief(path, brief), what, strerror(errno));
}

/* The directory part of the absolute name file, into dir: false when it
 * has none or it does not fit. */
static bool parent_of(const char *file, char *dir, size_t size)
{
    const char *slash = strrchr(file, '/');
    size_t n = slash == file ? 1 : slash ? (size_t)(slash - file) : 0;
    if (n == 0 || n >= size) return false;
    memcpy(dir, file, n);
    dir[n] = '\0';
    return true;
}

/* j->file's directory as it is at the open: still_named tells a file moved
 * out of it from a directory moved, or a chroot(), by it. */
static void note_dir(struct civic_journal *j)
{
    char dir[PATH_MAX];
    struct stat st;
    j->dir_known = !j->file_as_given && parent_of(j->file, dir, sizeof(dir)) &&
                   stat(dir, &st) == 0;
    if (j->dir_known) j->dir_dev = st.st_dev, j->dir_ino = st.st_ino;
}

/* The journal's name still leads to its file fd.  A journal whose file
 * was removed (its directory deleted, say), or moved or renamed out of its
 * name (a backup by mv, a log rotation that creates a new file there, a
 * hard link made and the name removed), takes appends and syncs without
 * complaint, and the open at the name finds none of them: a write is
 * refused then (ENOENT).  Only where its directory is still found at its
 * name: a directory moved (caught by compaction, name_is_ours, as before),
 * a chroot() since the open (a privilege drop), a name resolved again at
 * each use (file_as_given) or one that cannot be looked up (EACCES) cannot
 * tell, and are taken to be ours. */
static bool still_named(struct civic_journal *j, int fd)
{
    struct stat held, named, d;
    char dir[PATH_MAX];
    if (fstat(fd, &held) != 0) return false;
    if (held.st_nlink > 0) {
        if (!j->dir_known) return true;
        if (stat(j->file, &named) == 0) {
            if (named.st_dev == held.st_dev && named.st_ino == held.st_ino) return true;
        } else if (errno != ENOENT && errno != ENOTDIR) {
            return true; /* cannot tell */
        }
        if (!parent_of(j->file, dir, sizeof(dir)) || stat(dir, &d) != 0 ||
            d.st_dev != j->dir_dev || d.st_ino != j->dir_ino)
            return true; /* not the directory it was in: cannot tell */
    }
    atomic_store(&j->name_lost, 1); /* failed_error: said so until a compaction */
    errno = ENOENT;
    return false;
}

/* The journal's file still has a link, though not at its name: moved or
 * renamed while open. */
static bool moved_away(const struct civic_journal *j)
{
    struct stat held;
    return fstat(j->fd, &held) == 0 && held.st_nlink > 0;
}

/* What to do once the journal's file lost its name (removed, or another
 * file moved over it): every batch it held is now only in the engine, and a
 * close and a reopen would start an empty journal at the path, losing them
 * for good at the next restart.  A compaction writes them all to the
 * snapshot and starts a fresh journal there; it replaces no other file, so
 * one that took the name is moved away first. */
static int removed_error(civic_error *err, struct civic_journal *j)
{
    struct stat st;
    bool back = still_named(j, j->fd);
    bool other = stat(j->file, &st) == 0, moved = moved_away(j);
    const char *tail =
        back
            ? " was moved or renamed while open, and its name leads to it again: every batch "
              "it held is in this engine and the file; compact (civic_engine_compact) to go on"
        : moved && other
            ? " was moved or renamed while open and another file has its name: its batches are "
              "in this engine and the moved file; close the journal and open the moved file, "
              "or move it back (compaction will not replace the other)"
        : moved
            ? " was moved or renamed while open: every batch it held is in this engine, not at "
              "its name; compact (civic_engine_compact) to keep them there, before any close (a "
              "reopen starts an empty journal)"
        : other
            ? " was removed while open (its file has no name left, and another file has that "
              "name now): every batch it held is only in this engine; move that file away, "
              "then compact (civic_engine_compact) to keep them"
            : " was removed while open (its file has no name left): every batch it held is "
              "only in this engine; compact (civic_engine_compact) to keep them, before any "
              "close (a reopen starts an empty journal)";
    /* not j->label: a sync may be saying something too */
    return civic__error_path(err, CIVIC_E_IO, 0, "journal", j->path, tail);
}

/* The file was truncated in place while open (a log rotation's
 * "copytruncate" empties it): shorter than `size`, the end of the batches
 * written to it (0: not known), or, once a batch was written at the old end
 * behind a hole of zero bytes no open reads, without its header's or its
 * first record's magic there.  The batches are all in the engine still.
 * Looked for where a lost name is (journal_append under ALWAYS, before the
 * write; the group sync; civic_engine_journal_sync and _close): not at
 * every append under GROUP or NONE, where three system calls a write would
 * cost more than the write. */
static bool cut_short(struct civic_journal *j, int fd, uint64_t size)
{
    struct stat st;
    unsigned char m[8];
    if (atomic_load(&j->cut) || fstat(fd, &st) != 0) return atomic_load(&j->cut);
    bool cut = (uint64_t)st.st_size < size || pread(fd, m, 8, 0) != 8 ||
               memcmp(m, "CIVICJNL", 8) != 0 ||
               (st.st_size > JNL_HEADER_BYTES &&
                (pread(fd, m, 4, JNL_HEADER_BYTES) != 4 || memcmp(m, "CJRC", 4) != 0));
    if (cut) atomic_store(&j->cut, 1);
    return cut;
}

static int cut_error(civic_error *err, struct civic_journal *j)
{
    atomic_store(&j->failed, 1);
    return civic__error_path(err, CIVIC_E_IO, 0, "journal", j->path,
                             " was truncated while open (as copytruncate does): its batches "
                             "are in this engine, not all in the file; compact "
                             "(civic_engine_compact) to keep them, before any close (a reopen "
                             "loses them)");
}

/* Why a journal whose `failed` is set refuses a write or a sync, and the way
 * out that loses nothing.  A file that lost its name holds nothing any more
 * (removed_error).  After a failed sync under GROUP or NONE the file may
 * lack writes acknowledged before it (a failed fsync may drop the pages),
 * while the engine holds them all: a compaction keeps them, a reopen would
 * read only the file.  Otherwise (a failed append whose cut failed too, a
 * failed sync under ALWAYS, a header that could not be rewritten, a
 * compaction whose last step failed) what failed was not acknowledged and
 * the files hold everything that was: a reopen goes on from them. */
static int failed_error(civic_error *err, struct civic_journal *j)
{
    /* its name lost, even if given back since: the reason it failed */
    if (!still_named(j, j->fd) || atomic_load(&j->name_lost)) return removed_error(err, j);
    if (atomic_load(&j->cut)) return cut_error(err, j);
    /* the path cut to leave the advice whole (a long one cut it off) */
    const char *tail = atomic_load(&j->unsynced_lost)
                           ? ": an earlier sync failed, and writes acknowledged before it may "
                             "be missing from the file (this engine holds them); compact "
                             "(civic_engine_compact) to keep them"
                           : ": an earlier write or sync failed (what failed was not "
                             "acknowledged, and the files hold all that was); close and "
                             "reopen the journal";
    return civic__error_path(err, CIVIC_E_IO, 0, "journal", j->path, tail);
}

/* An advisory lock so two engines (of this process or another) never
 * append to one journal. */
static bool lock_file(int fd)
{
    int rc = civic__file_lock(fd, true, false);
    if (rc != 0) errno = rc;
    return rc == 0;
}

/* Write a header-only journal to the open, locked temporary file fd (named
 * tmp), sync it and put it at path: it stays locked, as the journal.
 * replace: rename it over the file there (the journal a compaction or a
 * recovery replaces, or an empty file), which the caller holds locked until
 * the rename is done.  Otherwise path had no file, and it is linked there,
 * which fails with EEXIST when another engine created one meanwhile: a
 * rename would put this journal over that one, and both engines would go on
 * writing, one of them into a file nobody can open again.  (Only a file
 * system without hard links gets the rename.)  Returns the failed step or
 * NULL (errno says why). */
static const char *fresh_steps(int fd, const char *tmp, const char *path, uint64_t fingerprint,
                               bool replace)
{
    unsigned char h[JNL_HEADER_BYTES];
    make_header(h, fingerprint, JNL_VERSION_1);
    if (!civic__write_all(fd, h, sizeof(h), 0)) return "write";
    if (fsync(fd) != 0) return "sync";
    if (!replace && link(tmp, path) == 0) {
        (void)unlink(tmp); /* a name left over is swept once the lock is gone */
        return NULL;
    }
    if (!replace && errno != EPERM && errno != EOPNOTSUPP && errno != ENOSYS)
        return errno == EEXIST ? "create (another engine created it meanwhile)" : "link into place";
    if (rename(tmp, path) != 0) return "rename into place";
    return NULL;
}

/* Create a header-only journal at path atomically (temporary file, sync,
 * lock, link or rename, directory sync; replace as in fresh_steps); its
 * messages name the journal as the caller gave it (shown), not path, the
 * absolute name resolve_file fixed.
 * *fd_out gets its open descriptor.  Returns CIVIC_OK, CIVIC_E_NOMEM or
 * CIVIC_E_IO (errno EEXIST: another engine created path first): the same
 * code whether or not err is given.  When only the directory sync failed,
 * the new file already names path: with placed, *placed gets its open
 * descriptor (the caller must not go on with the file it replaced), else
 * it is closed; *placed is -1 otherwise. */
static int create_fresh(const civic_allocator *alc, const char *path, const char *shown,
                        uint64_t fingerprint, bool replace, int *fd_out, int *placed,
                        civic_error *err)
{
    size_t tmp_size = 0;
    char *tmp = NULL;
    int fd;
    *fd_out = -1;
    if (placed) *placed = -1;
    int rc = civic__temp_create(alc, path, &tmp, &tmp_size, &fd);
    if (rc == CIVIC_E_NOMEM) return civic__error_set(err, CIVIC_E_NOMEM, 0, 0, 0, NULL);
    const char *step = fd < 0 ? "create a temporary file"
                              : fresh_steps(fd, tmp, path, fingerprint, replace);
    if (fd >= 0 && step) {
        int saved = errno;
        close(fd);
        unlink(tmp);
        errno = saved;
        fd = -1;
    } else if (fd >= 0 && !civic__fsync_parent(path)) {
        step = "sync its directory";
        int saved = errno;
        if (placed) *placed = fd;
        else close(fd);
        errno = saved;
        fd = -1;
    }
    int saved = errno;
    rc = fd < 0 ? io_error(err, step, shown) : CIVIC_OK;
    civic__free(alc, tmp, tmp_size);
    *fd_out = fd;
    errno = saved;
    return rc;
}

/* ------------------------------------------------------------ replay */


/* Rewrite the header, synced: 32 bytes in the first block, in place. */
static bool set_header(struct civic_journal *j, uint64_t fingerprint, uint32_t version)
{
    unsigned char h[JNL_HEADER_BYTES];
    make_header(h, fingerprint, version);
    if (!civic__write_all(j->fd, h, sizeof(h), 0)) return false;
    if (fdatasync(j->fd) != 0) { /* as any failed sync: unsynced batches may be gone */
        if (j->policy != CIVIC_SYNC_ALWAYS) atomic_store(&j->unsynced_lost, 1);
        return false;
    }
    j->version = version;
    return true;
}

/* Version 2: from here on the file may hold records libcivic 1.0 does not
 * know, and 1.0 must refuse it rather than cut them off as a torn tail. */
static bool set_version_2(struct civic_journal *j, uint64_t fingerprint)
{
    return set_header(j, fingerprint, JNL_VERSION_2);
}

/* The checks of the record header h at off that need no payload. */
static bool header_ok(const unsigned char *h, uint64_t off, uint64_t file_size, uint32_t *flags,
                      uint32_t *count, size_t *len)
{
    *flags = civic__get32(h + 4);
    *count = civic__get32(h + 8);
    *len = civic__get32(h + 12);
    bool purge = *flags & JNL_PURGE;
    if (memcmp(h, "CJRC", 4) != 0 ||
        (*flags & ~(JNL_FIRST | JNL_COMMIT | JNL_FORMAT2 | JNL_PURGE)) || civic__get32(h + 16) ||
        *len > JNL_PAYLOAD_BYTES_MAX || file_size - off - JNL_RECORD_HEADER_BYTES < *len)
        return false;
    return purge ? *count == 0 && (*len == JNL_PURGE_BYTES || *len == JNL_PURGE_BYTES_V1) &&
                       *flags == (JNL_FIRST | JNL_COMMIT | JNL_PURGE)
                 : *count != 0 && *count <= *len / CIVIC_EVENT_RECORD_BYTES_MIN;
}

/* Read and check the record at off: RECORD_OK (its payload bytes through
 * *len), RECORD_BAD when it is torn or damaged (the end of the usable
 * journal), RECORD_UNREAD when a read failed (errno): the file may be
 * whole, and nothing in it is judged. */
enum { RECORD_OK, RECORD_BAD, RECORD_UNREAD };

static int read_record(struct civic_journal *j, uint64_t off, uint64_t file_size,
                       uint32_t *flags, uint32_t *count, size_t *len)
{
    unsigned char *h = j->buf;
    /* every read lies within file_size: one that comes up short (the file
     * shrank under the lock) is an error too, not a torn write */
    if (file_size - off < JNL_RECORD_HEADER_BYTES) return RECORD_BAD;
    if (!civic__read_all(j->fd, h, JNL_RECORD_HEADER_BYTES, off)) return RECORD_UNREAD;
    if (!header_ok(h, off, file_size, flags, count, len)) return RECORD_BAD;
    if (!civic__read_all(j->fd, h + JNL_RECORD_HEADER_BYTES, *len, off + JNL_RECORD_HEADER_BYTES))
        return RECORD_UNREAD;
    uint32_t crc = civic__crc32c(0, h, 20);
    return civic__crc32c(crc, h + JNL_RECORD_HEADER_BYTES, *len) == civic__get32(h + 20)
               ? RECORD_OK : RECORD_BAD;
}

/* An event record of a type libcivic 1.0 does not know (object, dismiss,
 * correct), which it reads as damage: a file holding one is version 2. */
static bool v2_type(const unsigned char *rec, size_t n)
{
    uint16_t t = 0;   /* read only when the lookup succeeds; set for -Wmaybe-uninitialized */
    return n > 16 && rec[16] <= n - 17 &&
           civic__builtin_type((const char *)rec + 17, rec[16], &t) && t >= CIVIC_TYPE_OBJECT &&
           t <= CIVIC_TYPE_CORRECT;
}

/* *v2: a record of format 1 holds an event of a version-2 type (earlier
 * builds of 1.1 wrote them so, under a version 1 header). */
static int replay_payload(civic_engine *e, struct civic_journal *j, uint64_t off, uint32_t flags,
                          uint32_t count, size_t len, size_t first, civic_journal_report *batch,
                          bool *v2, civic_error *err)
{
    const unsigned char *p = j->buf + JNL_RECORD_HEADER_BYTES;
    unsigned format = flags & JNL_FORMAT2 ? 2u : 1u;
    size_t pos = 0;
    for (uint32_t i = 0; i < count; i++) {
        size_t used;
        civic_error why = CIVIC_ERROR_INIT;
        int rc = civic__event_decode_insert(e, p + pos, len - pos, format, first, j->other_rules,
                                            &used, &why);
        if (rc < 0) {
            /* an event past the bound, or of a 1.0 rule whose code this
             * version reserves (a sound record, refused): the code of a
             * file the journal cannot open, and not called damage */
            bool refused = rc == CIVIC_E_OVERFLOW || rc == CIVIC_E_VERSION;
            char fit[CIVIC_PATH_BRIEF_SIZE]; /* the file cut rather than the cause */
            size_t rest = strlen("journal , record at byte 18446744073709551615: ") +
                          strlen(why.message) + 1;
            civic__error_set(err, refused ? CIVIC_E_CORRUPT : rc, 0, 0, off,
                             "journal %s, record at byte %llu: %s",
                             civic__path_fit(j->path, sizeof(why.message) > rest
                                                          ? sizeof(why.message) - rest : 0, fit),
                             (unsigned long long)off, why.message);
            if (refused) civic__error_refused_tail(err, rc);
            return refused ? CIVIC_E_CORRUPT : rc;
        }
        *v2 |= format == 1 && v2_type(p + pos, used);
        pos += used;
        batch->events++;
        if (rc == CIVIC_OK) batch->accepted++;
    }
    if (pos != len)
        return civic__error_set(err, CIVIC_E_CORRUPT, 0, 0, off,
                                "journal %s, record at byte %llu: longer than its events",
                                jname(j), (unsigned long long)off);
    return CIVIC_OK;
}

/* Apply every committed batch, purges where they stand (what arrived after
 * a purge met its tombstones); leave j->size at the end of the last one and
 * roll back a batch that has no COMMIT record.  *stop gets the offset where
 * reading stopped (file_size at a clean end), *framing whether the record
 * there was intact but out of place, *in_batch whether it stopped inside a
 * batch, and *kept_v2 whether a committed batch holds a record only a
 * version 2 header announces (format 2, a purge, or a format 1 record of
 * an object, a dismiss or a correct). */
static int replay(civic_engine *e, struct civic_journal *j, uint64_t file_size,
                  civic_journal_report *rep, uint64_t *stop, bool *framing, bool *in_batch,
                  bool *kept_v2, civic_error *err)
{
    uint64_t off = JNL_HEADER_BYTES;
    *framing = false;
    *kept_v2 = false;
    bool open_batch = false, open_v2 = false;
    civic_batch_mark batch = civic__batch_begin(e);
    civic_journal_report counted = { 0 }; /* the open batch's events: reported at its COMMIT */
    size_t first = batch.event_count;
    j->size = JNL_HEADER_BYTES;
    for (;;) {
        uint32_t flags, count;
        size_t len;
        if (off == file_size) break;
        int got = read_record(j, off, file_size, &flags, &count, &len);
        if (got == RECORD_UNREAD) return io_error(err, "read", j->path); /* as any error: the
                                                                           open is undone */
        if (got == RECORD_BAD) break;
        if (((flags & JNL_FIRST) != 0) == open_batch) { /* batch framing broken */
            *framing = true;
            break;
        }
        if (flags & JNL_FIRST) {
            batch = civic__batch_begin(e);
            open_batch = true;
            open_v2 = false;
            counted.events = counted.accepted = 0;
        }
        open_v2 |= (flags & (JNL_FORMAT2 | JNL_PURGE)) != 0;
        int rc;
        if (flags & JNL_PURGE) {
            j->holds_purge = true;
            int64_t h = (int64_t)civic__get64(j->buf + JNL_RECORD_HEADER_BYTES);
            uint64_t seq = len == JNL_PURGE_BYTES
                               ? civic__get64(j->buf + JNL_RECORD_HEADER_BYTES + 8) : 0;
            /* a number no engine reaches (one purge a second for 10^11
             * years): read, the next purge would wrap it to 0 */
            if (h < CIVIC_TIME_MIN || h > CIVIC_TIME_MAX ||
                (len == JNL_PURGE_BYTES && (seq == 0 || seq > CIVIC__PURGE_SEQ_MAX)))
                rc = civic__error_set(err, CIVIC_E_CORRUPT, 0, 0, off, "journal %s, record at "
                                      "byte %llu: bad purge %s", jname(j),
                                      (unsigned long long)off,
                                      h < CIVIC_TIME_MIN || h > CIVIC_TIME_MAX ? "time" : "number");
            else if (seq != 0 && seq <= e->purge_seq && h <= e->purge_horizon)
                rc = CIVIC_OK; /* the snapshot the engine was loaded from holds it (a purge
                                  later than the engine's horizon it cannot hold, whatever
                                  its number: the files are of two histories) */
            else if (j->foreign)
                /* what a purge removes depends on the rules (their retain):
                 * run again under others, it would remove other events, and
                 * bring back ones it had deleted */
                rc = civic__error_set(err, CIVIC_E_MISMATCH, 0, 0, off, "journal %s, record at "
                                      "byte %llu: a purge made under other rules cannot be "
                                      "replayed under these; open the journal under the rules "
                                      "it was written with and compact, then load the snapshot "
                                      "under these", jname(j), (unsigned long long)off);
            else if ((rc = civic__purge_locked(e, h, NULL, err)) == CIVIC_OK && seq > e->purge_seq)
                e->purge_seq = seq;
        } else {
            rc = replay_payload(e, j, off, flags, count, len, first, &counted, &open_v2, err);
        }
        if (rc != CIVIC_OK) return rc;
        off += JNL_RECORD_HEADER_BYTES + len;
        if (flags & JNL_COMMIT) {
            open_batch = false;
            *kept_v2 |= open_v2;
            j->size = off;
            rep->batches++;
            rep->events += counted.events;
            rep->accepted += counted.accepted;
        }
    }
    if (open_batch) civic__batch_rollback(e, &batch);
    *stop = off;
    *in_batch = open_batch;
    return CIVIC_OK;
}

/* ------------------------------------------------------------ damage
 *
 * Replay stops at the first record it cannot use.  When nothing intact
 * follows it, that is a torn tail: a write cut short by a crash (a record
 * whose bytes end early, or whose pages never reached the disk), and it is
 * truncated; so is a batch of several records torn that way, when only
 * more of its records are intact after the damage (a copy of the file kept
 * first: a batch written whole and damaged later looks the same).  When
 * other intact records follow it, the file was damaged in the middle and
 * truncating would drop batches that were acknowledged: the open fails
 * unless the caller asks for recovery (CIVIC_JOURNAL_RECOVER), which keeps
 * a copy of the file first. */

/* The file as the scan after the damage reads it: a window of it in memory,
 * where record magics are found and headers checked without a read each. */
typedef struct scan_window {
    unsigned char *buf;
    size_t cap, len;
    uint64_t at; /* the file offset of buf[0] */
} scan_window;

/* Make [pos, pos + n) of the file (n <= cap, pos + n <= file_size) lie in
 * the window; false on a read error. */
static bool window_at(const struct civic_journal *j, scan_window *w, uint64_t pos, size_t n,
                      uint64_t file_size)
{
    if (pos >= w->at && pos + n <= w->at + w->len) return true;
    w->len = file_size - pos < w->cap ? (size_t)(file_size - pos) : w->cap;
    w->at = pos;
    return civic__read_all(j->fd, w->buf, w->len, pos);
}

/* The next offset >= pos where a record magic starts, or file_size; false
 * on a read error. */
static bool next_magic(const struct civic_journal *j, scan_window *w, uint64_t pos,
                       uint64_t file_size, uint64_t *at)
{
    while (pos + 4 <= file_size) {
        if (!window_at(j, w, pos, 4, file_size)) return false;
        const unsigned char *p = w->buf + (pos - w->at);
        size_t n = (size_t)(w->at + w->len - pos);
        for (size_t k = 0; k + 4 <= n; k++) {
            if (p[k] == 'C' && memcmp(p + k, "CJRC", 4) == 0) {
                *at = pos + k;
                return true;
            }
        }
        pos += n - 3; /* a magic may straddle two windows */
    }
    *at = file_size;
    return true;
}

/* The intact records in [from, file_size) (checksum good), the batch starts
 * among them and the whole batches (FIRST to COMMIT, back to back) and the
 * records in those (*in_whole: the others belong to batches not whole, such as
 * the rest of a batch whose first record is the damage), and the
 * commits (batch ends, whole or not); *last_commits: the last intact record
 * is a commit.  *unsure: the scan gave up.  It reads the file through a window that
 * holds any record whole, so records that follow one another are read and
 * checked once, and a magic whose header does not hold up costs nothing
 * more; but a tail of sound headers that each claim a large payload would
 * have it checksum that payload again for every one: the scan stops after
 * the payloads it checked add up to the tail a few times over. */
static int count_intact(struct civic_journal *j, uint64_t from, uint64_t file_size,
                        uint64_t *records, uint64_t *firsts, uint64_t *batches,
                        uint64_t *in_whole, uint64_t *commits, bool *last_commits, bool *unsure)
{
    scan_window w = { j->buf, j->buf_size, 0, 0 }; /* one record's buffer holds any record */
    uint64_t pos = from, work = 0, run = 0; /* run: the open batch's records so far */
    uint64_t budget = 4 * (file_size - from) +
                      2 * (uint64_t)(JNL_RECORD_HEADER_BYTES + JNL_PAYLOAD_BYTES_MAX);
    bool open = false;
    *records = *firsts = *batches = *in_whole = *commits = 0;
    *last_commits = *unsure = false;
    int rc = CIVIC_OK;
    while (pos + JNL_RECORD_HEADER_BYTES <= file_size) {
        uint32_t flags, count;
        size_t len;
        if (!window_at(j, &w, pos, JNL_RECORD_HEADER_BYTES, file_size)) {
            rc = CIVIC_E_IO;
            break;
        }
        if (header_ok(w.buf + (pos - w.at), pos, file_size, &flags, &count, &len)) {
            size_t whole = JNL_RECORD_HEADER_BYTES + len;
            if ((work += len) > budget) {
                *unsure = true;
                break;
            }
            if (!window_at(j, &w, pos, whole, file_size)) {
                rc = CIVIC_E_IO;
                break;
            }
            const unsigned char *h = w.buf + (pos - w.at);
            uint32_t crc = civic__crc32c(0, h, 20);
            if (civic__crc32c(crc, h + JNL_RECORD_HEADER_BYTES, len) == civic__get32(h + 20)) {
                (*records)++;
                if (flags & JNL_FIRST) {
                    open = true;
                    run = 0;
                    (*firsts)++;
                }
                run++;
                if ((flags & JNL_COMMIT) && open) {
                    (*batches)++;
                    *in_whole += run;
                }
                if (flags & JNL_COMMIT) open = false;
                *commits += (flags & JNL_COMMIT) != 0;
                *last_commits = (flags & JNL_COMMIT) != 0;
                pos += JNL_RECORD_HEADER_BYTES + len;
                continue;
            }
        }
        open = false;
        if (!next_magic(j, &w, pos + 1, file_size, &pos)) {
            rc = CIVIC_E_IO;
            break;
        }
    }
    return rc;
}

/* What count_intact found after the damage, as a message says it: "2
 * intact batches (5 records) follow it" (commas: "2 intact batches, 5
 * records, follow it", inside parentheses), and when some intact records are
 * in no whole batch (the rest of a batch whose first record is the damage),
 * ", plus 2 records of incomplete batches" -- they are not acknowledged
 * batches, and were counted as if they were. */
enum { FOLLOW_WORDS_SIZE = 160 };

static void follow_words(char out[FOLLOW_WORDS_SIZE], bool commas, bool unsure,
                         uint64_t batches, uint64_t whole, uint64_t records)
{
    if (batches == 0 && records == 0 && !unsure) { /* a header cut, and nothing after it */
        snprintf(out, FOLLOW_WORDS_SIZE, "nothing follows it");
        return;
    }
    if (batches == 0 && records > whole && !unsure) { /* the rest of a batch alone */
        snprintf(out, FOLLOW_WORDS_SIZE, "no intact batch follows it, only %llu record%s of "
                 "incomplete batches", (unsigned long long)(records - whole),
                 records - whole == 1 ? "" : "s");
        return;
    }
    char count[64]; /* "3 intact batches" */
    snprintf(count, sizeof(count), "%s%llu intact batch%s", unsure ? "at least " : "",
             (unsigned long long)batches, batches == 1 ? "" : "es");
    int n = snprintf(out, FOLLOW_WORDS_SIZE, commas ? "%s, %llu record%s, follow%s it"
                                                    : "%s (%llu record%s) follow%s it",
                     count, (unsigned long long)whole, whole == 1 ? "" : "s",
                     batches == 1 ? "s" : "");
    if (records > whole && n > 0 && n < FOLLOW_WORDS_SIZE)
        snprintf(out + n, (size_t)(FOLLOW_WORDS_SIZE - n),
                 ", plus %llu record%s of incomplete batches",
                 (unsigned long long)(records - whole), records - whole == 1 ? "" : "s");
}

/* 1: an intact record starts at pos (its header, its payload's checksum);
 * 0: none does; -1: a read error. */
static int intact_at(struct civic_journal *j, uint64_t pos, uint64_t file_size)
{
    scan_window w = { j->buf, j->buf_size, 0, 0 };
    uint32_t flags, count;
    size_t len;
    if (pos + JNL_RECORD_HEADER_BYTES > file_size) return 0;
    if (!window_at(j, &w, pos, JNL_RECORD_HEADER_BYTES, file_size)) return -1;
    if (!header_ok(w.buf, pos, file_size, &flags, &count, &len)) return 0;
    if (!window_at(j, &w, pos, JNL_RECORD_HEADER_BYTES + len, file_size)) return -1;
    uint32_t crc = civic__crc32c(0, w.buf, 20);
    return civic__crc32c(crc, w.buf + JNL_RECORD_HEADER_BYTES, len) == civic__get32(w.buf + 20);
}

/* damaged: the header is a journal's, damaged: its magic is whole (the
 * checksum failed, or the file was cut inside the header), or an intact
 * record starts where the header ends, as a journal's first does.  Any
 * other file is no journal (CIVIC_JOURNAL_RECOVER must never replace it):
 * one that merely holds a journal's records further on (an archive) too. */
static int check_header(civic_engine *e, struct civic_journal *j, uint64_t file_size,
                        bool *damaged, civic_error *err)
{
    unsigned char h[JNL_HEADER_BYTES];
    *damaged = false;
    size_t n = file_size < JNL_HEADER_BYTES ? (size_t)file_size : JNL_HEADER_BYTES;
    if (!civic__read_all(j->fd, h, n, 0)) return io_error(err, "read", j->path);
    bool magic = n >= 8 && memcmp(h, "CIVICJNL", 8) == 0;
    if (file_size < JNL_HEADER_BYTES || !magic || civic__get32(h + 28) != civic__crc32c(0, h, 28)) {
        uint64_t records = 0, firsts, batches = 0, whole = 0, commits;
        bool unsure = false, last_commits;
        int first = magic ? 1 : intact_at(j, JNL_HEADER_BYTES, file_size);
        if (first < 0 ||
            (first > 0 && file_size > JNL_HEADER_BYTES &&
             count_intact(j, JNL_HEADER_BYTES, file_size, &records, &firsts, &batches, &whole,
                          &commits, &last_commits, &unsure) != CIVIC_OK))
            return io_error(err, "read", j->path);
        *damaged = first > 0;
        /* a snapshot given for the journal (files swapped): said as such */
        bool snapshot = n >= 8 && memcmp(h, "CIVICSNP", 8) == 0;
        /* a short file whose bytes are no journal's (a text) is no
         * libcivic file: its magic before its length */
        bool begins = memcmp(h, "CIVICJNL", n < 8 ? n : 8) == 0;
        const char *what = snapshot                               ? "it is a libcivic snapshot"
                           : file_size < JNL_HEADER_BYTES && begins ? "truncated header"
                           : !magic                               ? "bad magic"
                                                                  : "header checksum mismatch";
        if (!*damaged)
            return civic__error_set(err, CIVIC_E_CORRUPT, 0, 0, 0,
                                    "journal %s: not a libcivic journal (%s)", jname(j), what);
        char follow[FOLLOW_WORDS_SIZE], fit[CIVIC_PATH_BRIEF_SIZE];
        char tail[CIVIC_ERROR_MESSAGE_SIZE + FOLLOW_WORDS_SIZE];
        follow_words(follow, true, unsure, batches, whole, records);
        /* the path cut to leave the advice whole, as judge_damage does */
        snprintf(tail, sizeof(tail), ": %s (%s); open with CIVIC_JOURNAL_RECOVER to keep a copy "
                 "and start the journal anew", what, follow);
        size_t said = strlen("journal ") + strlen(tail),
               room = said < CIVIC_ERROR_MESSAGE_SIZE - 1 ? CIVIC_ERROR_MESSAGE_SIZE - 1 - said : 0;
        return civic__error_set(err, CIVIC_E_CORRUPT, 0, 0,
                                magic && file_size >= JNL_HEADER_BYTES ? 28 : 0, "journal %s%s",
                                civic__path_fit(j->path, room, fit), tail);
    }
    j->version = civic__get32(h + 8);
    if ((j->version != JNL_VERSION_1 && j->version != JNL_VERSION_2) || civic__get32(h + 12) != 0 ||
        civic__get32(h + 24) != 0)
        return civic__error_set(err, CIVIC_E_CORRUPT, 0, 0, 8,
                                "journal %s: format version %u is not supported (this "
                                "library reads %u and %u)", jname(j), j->version, JNL_VERSION_1,
                                JNL_VERSION_2);
    j->fingerprint = civic__get64(h + 16);
    j->foreign = j->fingerprint != e->rules->fingerprint;
    /* the path cut so that the advice is said whole (a long one cut it off) */
    if (j->foreign && !j->other_rules && j->fingerprint == CIVIC__FINGERPRINT_1_0_BUILT_IN)
        return civic__error_path(err, CIVIC_E_MISMATCH, 16, "journal", j->path,
                                 " was written under libcivic 1.0's built-in scheme "
                                 "(examples/data/community-1.0.toml: open under it for 1.0's "
                                 "answers); rules changed on purpose: open with "
                                 "CIVIC_JOURNAL_OTHER_RULES to read its events under these");
    if (j->foreign && !j->other_rules) {
        char tail[CIVIC_ERROR_MESSAGE_SIZE];
        snprintf(tail, sizeof(tail), " was written under other rules (fingerprint %016llx, the "
                 "engine's is %016llx); rules changed on purpose: open with "
                 "CIVIC_JOURNAL_OTHER_RULES to read its events under these",
                 (unsigned long long)j->fingerprint,
                 (unsigned long long)e->rules->fingerprint);
        return civic__error_path(err, CIVIC_E_MISMATCH, 16, "journal", j->path, tail);
    }
    return CIVIC_OK;
}

enum { COPY_NAME_SIZE = 4200 };

/* Copy the whole file to "<path>.damaged.<unix time>[.n]" (path's name cut
 * to fit NAME_MAX, civic__name_fit), synced; name gets its name.  The copy
 * is written under a temporary name and given its own once whole and
 * synced (linked, never over another file; renamed where links are not), so
 * that a copy under that name is whole: one killed in the middle is a
 * temporary file, swept as any (the journal's lock keeps other engines from
 * copying it meanwhile).  On CIVIC_E_IO, *unwritable says whether it was
 * the copy that could not be created, written or synced (a read-only
 * directory, a full disk, a file size limit), not a read of the journal;
 * no part of a copy is left. */
static int keep_copy(struct civic_journal *j, uint64_t file_size, char name[COPY_NAME_SIZE],
                     bool *unwritable, civic_error *err)
{
    char tmp[COPY_NAME_SIZE];
    int fd = -1;
    *unwritable = true;
    if (strlen(j->file) + CIVIC_TEMP_NAME_EXTRA > sizeof(tmp)) {
        errno = ENAMETOOLONG;
        return io_error(err, "create a copy of the damaged file", j->path);
    }
    if (civic__temp_create_in(j->file, tmp, &fd) != CIVIC_OK)
        return io_error(err, "create a copy of the damaged file", j->path);
    bool ok = true, read_ok = true;
    for (uint64_t at = 0; ok && at < file_size;) {
        size_t n = file_size - at < j->buf_size ? (size_t)(file_size - at) : j->buf_size;
        read_ok = civic__read_all(j->fd, j->buf, n, at);
        ok = read_ok && civic__write_all(fd, j->buf, n, at);
        at += n;
    }
    *unwritable = read_ok;
    ok = ok && fsync(fd) == 0;
    /* a name no file has: the first of time, time.1, ... time.99 */
    long long now = (long long)time(NULL);
    bool named = false;
    struct stat st;
    for (int n = 0; ok && !named && n < 100; n++) {
        char tail[48];
        if (n == 0) snprintf(tail, sizeof(tail), ".damaged.%lld", now);
        else snprintf(tail, sizeof(tail), ".damaged.%lld.%d", now, n);
        size_t tail_len = strlen(tail);
        if (strlen(j->file) + tail_len >= COPY_NAME_SIZE) {
            errno = ENAMETOOLONG;
            ok = false;
            break;
        }
        size_t at = civic__name_fit(j->file, tail_len, name);
        memcpy(name + at, tail, tail_len + 1);
        /* link() never replaces a file of that name (an operator's copy
         * made in the same second); a file system without hard links gets
         * the name looked up first, then the rename */
        if (link(tmp, name) == 0) {
            named = true;
            unlink(tmp);
        } else if (errno == EEXIST) {
            continue;
        } else if (lstat(name, &st) == 0) {
            continue;
        } else if (errno != ENOENT || rename(tmp, name) != 0) {
            ok = false;
        } else {
            named = true;
        }
    }
    if (ok && !named) errno = EEXIST, ok = false;
    int saved = errno;
    if (!named) unlink(tmp); /* no copy rather than one that is not whole */
    close(fd);
    errno = saved;
    if (!ok) return io_error(err, "copy the damaged file", j->path);
    if (!civic__fsync_parent(name)) { /* whole, but its name might not outlive a crash */
        saved = errno;
        unlink(name);
        errno = saved;
        return io_error(err, "sync the directory of the copy of the damaged file", j->path);
    }
    return CIVIC_OK;
}

/* The record at stop, which failed its checksum, is the first of a batch of
 * several: its header is sound and says so (FIRST without COMMIT), and an
 * intact record starts where it ends.  False on a read error too. */
static bool first_of_several(struct civic_journal *j, uint64_t stop, uint64_t file_size)
{
    unsigned char h[JNL_RECORD_HEADER_BYTES];
    uint32_t flags, count;
    size_t len;
    if (stop + sizeof(h) > file_size || !civic__read_all(j->fd, h, sizeof(h), stop) ||
        !header_ok(h, stop, file_size, &flags, &count, &len) ||
        (flags & (JNL_FIRST | JNL_COMMIT | JNL_PURGE)) != JNL_FIRST)
        return false;
    return intact_at(j, stop + JNL_RECORD_HEADER_BYTES + len, file_size) == 1;
}

/* The record at stop, which replay could not use, is whole in the file: its
 * 24-byte header is there and the length it gives lies within the file.  A
 * write() cut short by a crash leaves a record shorter than its length (the
 * header goes first, whole, in the same write); one whole in length and bad
 * -- its checksum, or a bit of its header (the magic, the flags, the count)
 * -- is damage after it was written, or a power cut that lost pages of it
 * while the file's size was kept.  A header of zero bytes alone is pages a
 * power cut never wrote (no copy for them).  False on a read error too. */
static bool whole_at(struct civic_journal *j, uint64_t stop, uint64_t file_size)
{
    unsigned char h[JNL_RECORD_HEADER_BYTES];
    static const unsigned char zero[JNL_RECORD_HEADER_BYTES];
    if (stop + sizeof(h) > file_size || !civic__read_all(j->fd, h, sizeof(h), stop) ||
        memcmp(h, zero, sizeof(h)) == 0)
        return false;
    uint32_t len = civic__get32(h + 12);
    return len <= JNL_PAYLOAD_BYTES_MAX && len <= file_size - stop - sizeof(h);
}

/* The record at stop has a header of zero bytes: a page a power cut never
 * wrote (the page it begins on held only older records then).  Where the
 * header runs over a sector's end (512 bytes, which every page size is a
 * multiple of), its bytes up to that end: the next page may have been
 * written.  False on a read error too. */
#define JNL_SECTOR_BYTES 512u
static bool zero_header_at(struct civic_journal *j, uint64_t stop, uint64_t file_size)
{
    unsigned char h[JNL_RECORD_HEADER_BYTES];
    static const unsigned char zero[JNL_RECORD_HEADER_BYTES];
    uint64_t sector_end = (stop / JNL_SECTOR_BYTES + 1) * JNL_SECTOR_BYTES;
    size_t n = sector_end - stop < sizeof(h) ? (size_t)(sector_end - stop) : sizeof(h);
    return stop + sizeof(h) <= file_size && civic__read_all(j->fd, h, sizeof(h), stop) &&
           memcmp(h, zero, n) == 0;
}

/* Replay stopped at `stop`, before the end of the file: a torn tail
 * (CIVIC_OK: truncate; a copy kept first when it holds an intact record
 * after the damage, or when the record at stop is whole in the file),
 * damage with intact records after it (CIVIC_E_CORRUPT unless recover), or
 * a read error.  in_batch: the replay was inside a batch of several
 * records, whose first it had read.  A batch written as several records may
 * reach the disk in any order: when what is intact after the damage is only
 * more of that batch (no record starts another), the batch was torn, and it
 * is cut as a torn tail.  So too when the damaged record is the first of a
 * batch of several (its header sound and saying so, its payload bad, an
 * intact record where it ends), or its header is zero bytes (a power cut
 * never wrote the page it begins on, which cannot be so of a batch
 * acknowledged under CIVIC_SYNC_ALWAYS: it was synced before the next was
 * written): what is intact after it, no record starting a batch and at
 * most one ending one, last, is the rest of that one batch.  (A damaged
 * record whose header is bad otherwise may have been a whole batch,
 * acknowledged: that is damage.)  rep gets copy_kept and cut_whole. */
static int judge_damage(struct civic_journal *j, uint64_t stop, bool framing, bool in_batch,
                        uint64_t file_size, civic_journal_report *rep, civic_error *err)
{
    uint64_t records, firsts, batches, whole, commits;
    bool unsure, last_commits;
    int rc = count_intact(j, framing ? stop : stop + 1, file_size, &records, &firsts, &batches,
                          &whole, &commits, &last_commits, &unsure);
    if (rc != CIVIC_OK) return io_error(err, "read", j->path);
    bool rest_of_one = !framing && !in_batch && firsts == 0 &&
                       (commits == 0 || (commits == 1 && last_commits)) &&
                       (first_of_several(j, stop, file_size) ||
                        zero_header_at(j, stop, file_size));
    char copy[COPY_NAME_SIZE];
    bool unwritable;
    /* Torn, and cut.  But an intact record after the damage may as well say
     * the batch was written whole and damaged later (a flipped bit in its
     * first record, synced and closed): the two look the same, and what is
     * accepted stays as it was, but those bytes are kept in a copy, as for
     * CIVIC_JOURNAL_RECOVER, when the copy can be written.  When it cannot
     * (a read-only directory; a full disk, maybe what ended the program; the
     * copy is the whole journal) the batch is cut without one, as before
     * copies were kept: a crash in a batch's write leaves these bytes, and
     * failing the open would block every ordinary restart.  A failed read
     * of the journal still fails the open.
     *
     * With nothing intact after it, the damaged record is cut with no copy
     * when it is short (a write cut short, the usual torn tail); when it is
     * whole in the file (whole_at) it was written whole, and acknowledged
     * when it ends a batch -- a batch of one record is up to a MiB, the
     * whole of what a client sent -- so the file is copied first, on the
     * same terms: a power cut may leave it so too, and a failed copy must
     * not block the open.  (It was cut silently, and the next compaction
     * made the loss final with nothing left to look at.) */
    bool whole_record = records == 0 && !unsure && whole_at(j, stop, file_size);
    if (!unsure && (records == 0 || (in_batch && firsts == 0) || rest_of_one)) {
        rep->cut_whole = whole_record;
        if (records == 0 && !whole_record) return CIVIC_OK;
        rc = keep_copy(j, file_size, copy, &unwritable, err);
        if (rc == CIVIC_E_IO && unwritable) {
            civic__error_clear(err);
            return CIVIC_OK;
        }
        rep->copy_kept = rc == CIVIC_OK;
        return rc;
    }
    if (j->recover) {
        rc = keep_copy(j, file_size, copy, &unwritable, err);
        rep->copy_kept = rc == CIVIC_OK;
        return rc;
    }
    if (unsure)
        return civic__error_set(err, CIVIC_E_CORRUPT, 0, 0, stop,
                                "journal %s is damaged at byte %llu, and the %llu bytes after "
                                "it hold too many damaged records to tell whether intact "
                                "batches follow: not truncating; open with "
                                "CIVIC_JOURNAL_RECOVER to keep a copy and cut the journal there",
                                jname(j), (unsigned long long)stop,
                                (unsigned long long)(file_size - stop));
    char follow[FOLLOW_WORDS_SIZE], fit[CIVIC_PATH_BRIEF_SIZE];
    follow_words(follow, false, false, batches, whole, records);
    /* with no whole batch after it, the acknowledged data is what the
     * damaged record may have held (as short as the other: a long path
     * must still leave the message whole) */
    const char *tail = batches ? ": not truncating acknowledged data; open with "
                                 "CIVIC_JOURNAL_RECOVER to keep a copy and cut the journal there"
                               : ": the record may have been an acknowledged batch; open with "
                                 "CIVIC_JOURNAL_RECOVER to keep a copy and cut the journal there";
    char at[24];
    snprintf(at, sizeof(at), "%llu", (unsigned long long)stop);
    size_t said = strlen("journal  is damaged at byte , and ") + strlen(at) + strlen(follow) +
                  strlen(tail),
           room = said < CIVIC_ERROR_MESSAGE_SIZE - 1 ? CIVIC_ERROR_MESSAGE_SIZE - 1 - said : 0;
    return civic__error_set(err, CIVIC_E_CORRUPT, 0, 0, stop,
                            "journal %s is damaged at byte %s, and %s%s",
                            civic__path_fit(j->path, room, fit), at, follow, tail);
}

/* ------------------------------------------------------------ group sync */

static void deadline_after(struct timespec *ts, uint32_t ms)
{
    clock_gettime(CLOCK_MONOTONIC, ts);
    ts->tv_sec += (time_t)(ms / 1000);
    ts->tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

/* Wait for the journal to turn dirty, let the interval pass (so one fsync
 * covers every batch of the interval), sync.  The descriptor is read under
 * the mutex and `syncing` keeps compaction from closing it meanwhile. */
static void *group_main(void *arg)
{
    struct civic_journal *j = arg;
    pthread_mutex_lock(&j->mutex);
    while (!j->stop) {
        if (!j->dirty) {
            pthread_cond_wait(&j->cond, &j->mutex);
            continue;
        }
        struct timespec until;
        deadline_after(&until, j->interval_ms);
        while (!j->stop && pthread_cond_timedwait(&j->cond, &j->mutex, &until) != ETIMEDOUT) {
        }
        if (j->stop) break;
        j->dirty = false;
        j->syncing = true;
        int fd = j->fd;
        pthread_mutex_unlock(&j->mutex);
        bool ok = fdatasync(fd) == 0 && still_named(j, fd) && !cut_short(j, fd, 0);
        pthread_mutex_lock(&j->mutex);
        if (!ok) {
            atomic_store(&j->unsynced_lost, 1);
            atomic_store(&j->failed, 1);
        }
        j->syncing = false;
        pthread_cond_broadcast(&j->cond);
    }
    pthread_mutex_unlock(&j->mutex);
    return NULL;
}

/* ------------------------------------------------------------ open/close */

static void journal_destroy(const civic_allocator *alc, struct civic_journal *j)
{
    if (j->fd >= 0) close(j->fd);
    pthread_cond_destroy(&j->cond);
    pthread_mutex_destroy(&j->mutex);
    civic__free(alc, j->buf, j->buf_size);
    civic__free(alc, j->path, j->path_size);
    civic__free(alc, j->file, j->file_size);
    civic__free(alc, j, sizeof(*j));
}

static struct civic_journal *journal_alloc(const civic_allocator *alc, const char *path,
                                           uint32_t policy)
{
    struct civic_journal *j = civic__calloc(alc, 1, sizeof(*j));
    if (!j) return NULL;
    j->fd = -1;
    j->pid = getpid();
    j->policy = policy & 0xFFu;
    j->recover = (policy & CIVIC_JOURNAL_RECOVER) != 0;
    j->other_rules = (policy & CIVIC_JOURNAL_OTHER_RULES) != 0;
    j->interval_ms = policy >> 16 ? policy >> 16 : CIVIC_SYNC_GROUP_DEFAULT_MS;
    j->path_size = strlen(path) + 1;
    j->path = civic__strndup(alc, path, j->path_size - 1);
    j->buf_size = JNL_RECORD_HEADER_BYTES + JNL_PAYLOAD_BYTES_MAX;
    j->buf = civic__malloc(alc, j->buf_size);
    atomic_init(&j->failed, 0);
    atomic_init(&j->unsynced_lost, 0);
    atomic_init(&j->name_lost, 0);
    atomic_init(&j->cut, 0);
    pthread_condattr_t ca;
    bool cond_ok = pthread_condattr_init(&ca) == 0;
    if (cond_ok) {
        pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
        cond_ok = pthread_cond_init(&j->cond, &ca) == 0;
        pthread_condattr_destroy(&ca);
    }
    bool mutex_ok = pthread_mutex_init(&j->mutex, NULL) == 0;
    if (!j->path || !j->buf || !cond_ok || !mutex_ok) {
        if (cond_ok) pthread_cond_destroy(&j->cond);
        if (mutex_ok) pthread_mutex_destroy(&j->mutex);
        civic__free(alc, j->buf, j->buf ? j->buf_size : 0);
        civic__free(alc, j->path, j->path ? j->path_size : 0);
        civic__free(alc, j, sizeof(*j));
        return NULL;
    }
    return j;
}

/* CIVIC_JOURNAL_RECOVER over a damaged header: the damage is before every
 * record, so the cut is there: a copy of the whole file is kept, and a
 * header-only journal of these rules takes the file's place (created as a
 * fresh one is, locked before it is put there; the old one's lock is let go
 * after). */
static int start_anew(civic_engine *e, struct civic_journal *j, uint64_t file_size,
                      civic_journal_report *rep, civic_error *err)
{
    char copy[COPY_NAME_SIZE];
    bool unwritable;
    int rc = keep_copy(j, file_size, copy, &unwritable, err);
    if (rc != CIVIC_OK) return rc;
    int old = j->fd, placed;
    rc = create_fresh(&e->alc, j->file, j->path, e->rules->fingerprint, true, &j->fd, &placed,
                      err);
    if (rc != CIVIC_OK) {
        int saved = errno;
        j->fd = old;
        if (placed < 0) { /* nothing replaced: no copy, as when the copy fails */
            unlink(copy);
            return rc;
        }
        close(placed);
        char brief[CIVIC_PATH_BRIEF_SIZE];
        const char *base = strrchr(copy, '/');
        return civic__error_set(err, CIVIC_E_IO, 0, 0, 0,
                                "journal %s: started anew, the damaged file kept beside it as "
                                "%s, but cannot sync their directory: %s", jname(j),
                                civic__path_brief(base ? base + 1 : copy, brief),
                                strerror(saved));
    }
    close(old);
    civic__error_clear(err);
    rep->copy_kept = 1;
    j->size = JNL_HEADER_BYTES;
    j->version = JNL_VERSION_1;
    j->fingerprint = e->rules->fingerprint;
    j->foreign = false;
    rep->bytes_truncated = file_size;
    rep->bytes_kept = j->size;
    return CIVIC_OK;
}

/* j->file: the journal's file by an absolute name, fixed here, which no
 * later working directory changes (civic.h: each state of a compaction
 * recovers every acknowledged event; the file is locked against every
 * other engine).  A relative path used to be resolved again at each use: a
 * program that opened "journal.civic" and then called chdir() had its
 * compaction put the fresh journal in the new directory -- later adds went
 * there, lost to a recovery from the real files, and a journal of that name
 * there (another engine's, locked) was replaced.  An absolute name rather
 * than a descriptor of the directory (openat, renameat): every later use --
 * the temporary file (mkostemp has no *at form), the sweep of stale ones,
 * the name fitted to NAME_MAX, the directory sync, the ".damaged." copy --
 * goes through fileio.c's helpers by path, as the snapshot's do.  A
 * directory moved while the journal is open is caught by compaction
 * (name_is_ours), not followed (still_named cannot tell it from a
 * chroot()).  Messages keep j->path, as given.
 *
 * A name too long for an absolute form (ENAMETOOLONG: a working directory
 * deeper than PATH_MAX, which only a relative path reaches) is used as
 * given, resolved again at each use, as before names were fixed (civic.h
 * says what a chdir() then does); the open used to fail there.  Not a
 * directory descriptor with *at calls for that case either: mkostemp, the
 * sweep and the directory sync would each need an *at form of their own,
 * in fileio.c, shared with the snapshot, for a case this rare. */
static int resolve_file(const civic_allocator *alc, struct civic_journal *j, civic_error *err)
{
    char abs[CIVIC_ABSOLUTE_NAME_SIZE];
    bool as_given = !civic__absolute_name(j->path, abs, sizeof(abs));
    if (as_given && errno != ENAMETOOLONG) return io_error(err, "open", j->path);
    const char *name = as_given ? j->path : abs;
    size_t size = strlen(name) + 1;
    char *file = civic__strndup(alc, name, size - 1);
    if (!file) return civic__error_set(err, CIVIC_E_NOMEM, 0, 0, 0, NULL);
    civic__free(alc, j->file, j->file_size);
    j->file = file;
    j->file_size = size;
    j->file_as_given = as_given;
    note_dir(j);
    return CIVIC_OK;
}

/* Open (or create) the file and replay it.  The caller holds the write lock. */
static int journal_attach(civic_engine *e, struct civic_journal *j, civic_journal_report *rep,
                          civic_error *err)
{
    /* A path that is a symbolic link: the journal is the file it leads to,
     * so a compaction replaces that file, not the link. */
    char target[PATH_MAX];
    int link = civic__link_target("journal", j->path, target, err);
    if (link < 0) return link;
    if (link > 0) {
        size_t size = strlen(target) + 1;
        char *copy = civic__strndup(&e->alc, target, size - 1);
        if (!copy) return civic__error_set(err, CIVIC_E_NOMEM, 0, 0, 0, NULL);
        civic__free(&e->alc, j->path, j->path_size);
        j->path = copy;
        j->path_size = size;
    }
    int rc = resolve_file(&e->alc, j, err);
    if (rc != CIVIC_OK) return rc;
    civic__temp_sweep(j->file); /* what a killed open or compaction left */
    struct stat st, named;
    /* Twice at most: an engine that finds no journal and loses the race to
     * create it opens the winner's, and finds it locked.  (A few more times
     * for the file replaced under its name, below.) */
    for (int attempt = 0;; attempt++) {
        j->fd = civic__fd_above_stdio(open(j->file, O_RDWR | O_CLOEXEC));
        if (j->fd < 0 && errno != ENOENT) return io_error(err, "open", j->path);
        if (j->fd >= 0 && !lock_file(j->fd))
            return errno == EAGAIN
                       ? civic__error_set(err, CIVIC_E_IO, 0, 0, 0, "journal %s is locked by "
                                          "another engine (in this process or another)", jname(j))
                       : io_error(err, "lock", jname(j));
        if (j->fd >= 0 && fstat(j->fd, &st) != 0) return io_error(err, "stat", j->path);
        /* The lock holds the file the open found.  Between the two, the
         * engine that held it may have compacted: renamed a fresh journal
         * over the name and let the old file (and its lock) go.  Appending to
         * that unnamed file would lose every batch, and a later compaction of
         * this engine would put its stale state over the other's: open the
         * name again, which finds the new journal, locked. */
        if (j->fd >= 0 && (st.st_nlink == 0 || stat(j->file, &named) != 0 ||
                           named.st_dev != st.st_dev || named.st_ino != st.st_ino)) {
            close(j->fd);
            j->fd = -1;
            if (attempt < 8) continue;
            return civic__error_set(err, CIVIC_E_IO, 0, 0, 0, "journal %s: replaced by another "
                                    "engine while it was being opened, again and again",
                                    jname(j));
        }
        /* A file this name found may have been put here by a rename whose
         * directory sync failed (a compaction's last step): its name is made
         * durable before anything is appended under it. */
        if (j->fd >= 0 && st.st_size > 0 && !civic__fsync_parent(j->file))
            return io_error(err, "sync its directory", j->path);
        if (j->fd >= 0 && st.st_size > 0) break;
        /* An empty file (`touch`, a creation killed before its header) is
         * replaced by a fresh journal renamed over it, and its lock is held
         * until then.  Let go first, another engine could lock the empty
         * file meanwhile and replace it too: the later rename won, and the
         * other engine appended to a file with no name, every write it
         * acknowledged lost.  Held, that engine finds it locked, or (locked
         * after the rename) no longer named, and opens the name again, which
         * leads to the fresh journal, locked.  Not the header written into
         * the empty file in place: a crash in that write could leave a short
         * or zeroed header, which the next open refuses as no journal. */
        int empty = j->fd;
        bool replace = empty >= 0;
        j->fd = -1;
        rc = create_fresh(&e->alc, j->file, j->path, e->rules->fingerprint, replace, &j->fd, NULL,
                          err);
        if (replace) {
            int saved = errno;
            close(empty);
            errno = saved;
        }
        if (rc == CIVIC_E_IO && errno == EEXIST && !replace) {
            /* open found nothing, yet the name exists: a symbolic link to a
             * missing file (which a rename used to replace), else a race */
            if (lstat(j->file, &st) == 0 && S_ISLNK(st.st_mode))
                return civic__error_set(err, CIVIC_E_IO, 0, 0, 0, "journal %s is a symbolic "
                                        "link to a missing file: give the journal's own path",
                                        jname(j));
            if (attempt == 0) {
                civic__error_clear(err);
                continue;
            }
        }
        if (rc != CIVIC_OK) return rc;
        j->size = JNL_HEADER_BYTES;
        j->version = JNL_VERSION_1;
        j->fingerprint = e->rules->fingerprint;
        rep->created = 1;
        rep->bytes_kept = j->size;
        return CIVIC_OK;
    }
    uint64_t file_size = (uint64_t)st.st_size, stop = file_size;
    bool framing = false, in_batch = false, kept_v2 = false, damaged;
    rc = check_header(e, j, file_size, &damaged, err);
    if (rc == CIVIC_E_CORRUPT && damaged && j->recover) return start_anew(e, j, file_size, rep, err);
    if (rc == CIVIC_OK)
        rc = replay(e, j, file_size, rep, &stop, &framing, &in_batch, &kept_v2, err);
    if (rc == CIVIC_OK && stop < file_size)
        rc = judge_damage(j, stop, framing, in_batch, file_size, rep, err);
    if (rc != CIVIC_OK) return rc;
    /* version 2 first: a crash before the cut must not leave 1.0 a version 1
     * header over records it cannot read */
    if (kept_v2 && j->version == JNL_VERSION_1 && !set_version_2(j, j->fingerprint))
        return io_error(err, "set its header to format version 2", j->path);
    if (j->size < file_size) {
        if (ftruncate(j->fd, (off_t)j->size) != 0 || fdatasync(j->fd) != 0)
            return io_error(err, "truncate its torn tail", j->path);
        rep->bytes_truncated = file_size - j->size;
    }
    /* A file of other rules, replayed under these (CIVIC_JOURNAL_OTHER_RULES),
     * keeps their name here (j->foreign): its header is set to these rules
     * by the engine's first write, when it holds nothing but events, so that
     * what is appended, a purge above all (what it removes depends on the
     * rules), is read under the rules it was made under (journal_append).
     * Not at the open: a program that opens it so and compacts at once (as
     * the header advises) and fails or is killed before the snapshot lands
     * would leave a journal naming these rules beside a snapshot of the
     * old, which neither opens (a compaction writes both files anew). */
    rep->bytes_kept = j->size;
    return CIVIC_OK;
}

static const civic_field report_fields[] = {
    CIVIC_FIELD(civic_journal_report, created, 1), CIVIC_FIELD(civic_journal_report, batches, 1),
    CIVIC_FIELD(civic_journal_report, events, 1),  CIVIC_FIELD(civic_journal_report, accepted, 1),
    CIVIC_FIELD(civic_journal_report, bytes_kept, 1),
    CIVIC_FIELD(civic_journal_report, bytes_truncated, 1),
    CIVIC_FIELD(civic_journal_report, copy_kept, 2),
    CIVIC_FIELD(civic_journal_report, cut_whole, 2),
};

typedef struct journal_open_ctx {
    struct civic_journal *j;
    civic_journal_report rep;
} journal_open_ctx;

/* The write of civic_engine_journal_open: replay, then attach the hook.  The
 * replayed events are not handed to the hook: it was not attached when the
 * write began (civic__engine_write). */
static int open_apply(civic_engine *e, void *ctx, civic_error *err)
{
    journal_open_ctx *o = ctx;
    struct civic_journal *j = o->j;
    if (journal_of(e))
        return civic__error_set(err, CIVIC_E_INVALID, 0, 0, 0, "the engine already has a journal");
    int rc = journal_attach(e, j, &o->rep, err);
    if (rc != CIVIC_OK) return rc;
    if (j->policy == CIVIC_SYNC_GROUP) {
        if (civic__thread_create(&j->thread, group_main, j) != 0)
            return civic__error_set(err, CIVIC_E_NOMEM, 0, 0, 0, "cannot start the sync thread");
        j->thread_started = true;
    }
    e->hook = (civic_commit_hook){ journal_commit, journal_release, journal_purge, j };
    return CIVIC_OK;
}

/* A sync policy is one of ALWAYS, GROUP and NONE, the flags RECOVER and
 * OTHER_RULES, and an interval with GROUP alone; what is wrong with one is
 * named alone. */
static int check_policy(uint32_t policy, civic_error *err)
{
    const uint32_t kinds = CIVIC_SYNC_ALWAYS | CIVIC_SYNC_GROUP | CIVIC_SYNC_NONE;
    const uint32_t known = kinds | CIVIC_JOURNAL_RECOVER | CIVIC_JOURNAL_OTHER_RULES;
    uint32_t kind = policy & kinds, unknown = policy & 0xFFFFu & ~known;
    if (unknown)
        return civic__error_set(err, CIVIC_E_INVALID, 0, 0, 0,
                                "sync_policy 0x%x has unknown bits 0x%x", (unsigned)policy,
                                (unsigned)unknown);
    if (kind != CIVIC_SYNC_ALWAYS && kind != CIVIC_SYNC_GROUP && kind != CIVIC_SYNC_NONE)
        return civic__error_set(err, CIVIC_E_INVALID, 0, 0, 0,
                                "sync_policy 0x%x names %s sync policy: give one of "
                                "CIVIC_SYNC_ALWAYS, CIVIC_SYNC_GROUP and CIVIC_SYNC_NONE",
                                (unsigned)policy, kind ? "more than one" : "no");
    if (kind != CIVIC_SYNC_GROUP && (policy >> 16))
        return civic__error_set(err, CIVIC_E_INVALID, 0, 0, 0,
                                "sync_policy 0x%x: CIVIC_SYNC_INTERVAL_MS(%u) with %s: an "
                                "interval is only allowed with CIVIC_SYNC_GROUP",
                                (unsigned)policy, (unsigned)(policy >> 16),
                                kind == CIVIC_SYNC_ALWAYS ? "CIVIC_SYNC_ALWAYS" : "CIVIC_SYNC_NONE");
    return CIVIC_OK;
}

int civic_engine_journal_open(civic_engine *e, const char *path, uint32_t sync_policy,
                              civic_journal_report *report, civic_error *err)
{
    civic__error_clear(err);
    if (!e) return civic__error_set(err, CIVIC_E_INVALID, 0, 0, 0, "engine is NULL");
    if (!path) return civic__error_set(err, CIVIC_E_INVALID, 0, 0, 0, "path is NULL");
    if (!*path) return civic__error_set(err, CIVIC_E_INVALID, 0, 0, 0, "an empty path");
    int rc = check_policy(sync_policy, err);
    if (rc != CIVIC_OK) return rc;
    if (report && (report->version < 1 || report->version > CIVIC_JOURNAL_REPORT_VERSION))
        return civic__error_set(err, CIVIC_E_VERSION, 0, 0, 0, "unsupported journal report version");
    journal_open_ctx o = { journal_alloc(&e->alc, path, sync_policy), CIVIC_JOURNAL_REPORT_INIT };
    if (!o.j) return civic__error_set(err, CIVIC_E_NOMEM, 0, 0, 0, NULL);
    /* After another thread's close of this engine's journal, whole: that
     * close lets go of the file (and its lock) after its write, and an open
     * in between found the engine free and the file locked, "by another
     * engine".  Likewise a failed open's file, closed below. */
    bool began = civic__engine_journal_begin(e);
    rc = civic__engine_write(e, open_apply, &o, err);
    if (rc != CIVIC_OK) journal_destroy(&e->alc, o.j);
    civic__engine_journal_end(e, began);
    if (report)
        civic__copy_fields(report, &o.rep, report_fields, CIVIC_FIELD_COUNT(report_fields),
                           report->version);
    return rc;
}

/* Stop the thread, sync, close.  Returns false when the final sync failed,
 * or an earlier write or sync; errno is ENOENT when the file has no name
 * left (looked at even after an earlier failure: a sync that found the file
 * removed set `failed`, and the close must say what that means). */
static bool journal_shutdown(const civic_allocator *alc, struct civic_journal *j)
{
    if (in_child(j)) { /* no sync thread here; its mutex may have been held at the fork */
        close(j->fd);
        civic__free(alc, j->buf, j->buf_size);
        civic__free(alc, j->path, j->path_size);
        civic__free(alc, j->file, j->file_size);
        civic__free(alc, j, sizeof(*j));
        return false;
    }
    if (j->thread_started) {
        pthread_mutex_lock(&j->mutex);
        j->stop = true;
        pthread_cond_broadcast(&j->cond);
        pthread_mutex_unlock(&j->mutex);
        pthread_join(j->thread, NULL);
    }
    bool synced = fdatasync(j->fd) == 0;
    int saved = synced ? 0 : errno;
    if (!still_named(j, j->fd)) saved = errno; /* ENOENT: removed while open */
    bool ok = synced && saved == 0 && !atomic_load(&j->failed);
    journal_destroy(alc, j);
    errno = saved;
    return ok;
}

/* The hook's release: civic_engine_free closes the journal silently. */
static void journal_release(void *ctx, const civic_allocator *alc)
{
    journal_shutdown(alc, ctx);
}

/* The write of civic_engine_journal_close: detach the journal, if any. */
static int close_apply(civic_engine *e, void *ctx, civic_error *err)
{
    struct civic_journal **out = ctx;
    *out = journal_of(e);
    if (!*out) return civic__error_set(err, CIVIC_E_INVALID, 0, 0, 0, "no journal attached");
    e->hook = (civic_commit_hook){ NULL, NULL, NULL, NULL };
    return CIVIC_OK;
}

int civic_engine_journal_close(civic_engine *e, civic_error *err)
{
    civic__error_clear(err);
    if (!e) return civic__error_set(err, CIVIC_E_INVALID, 0, 0, 0, "invalid argument");
    struct civic_journal *j = NULL;
    /* The sync and the file's release after the write (queries and adds go
     * on meanwhile), but before another open of this engine's journal
     * (civic_engine_journal_open). */
    bool began = civic__engine_journal_begin(e);
    int rc = civic__engine_write(e, close_apply, &j, err);
    if (rc != CIVIC_OK) {
        civic__engine_journal_end(e, began);
        return rc;
    }
    char path[CIVIC_PATH_BRIEF_SIZE], brief[CIVIC_PATH_BRIEF_SIZE]; /* cut whole characters */
    snprintf(path, sizeof(path), "%s", civic__path_brief(j->path, brief));
    bool child = in_child(j); /* a child's close only closes its copy: nothing to sync */
    bool moved = !child && moved_away(j); /* its file still linked: not at its name, if lost */
    bool was_lost = atomic_load(&j->name_lost); /* its name lost, given back since if named */
    bool earlier = atomic_load(&j->failed), lost = atomic_load(&j->unsynced_lost);
    bool cut = !child && cut_short(j, j->fd, j->size); /* no append since the write */
    errno = 0;
    bool closed = journal_shutdown(&e->alc, j);
    int saved = errno;
    civic__engine_journal_end(e, began);
    errno = saved;
    if ((closed && !cut) || child) return CIVIC_OK;
    /* A removal first, even after an earlier failure: every write to the
     * file is gone, acknowledged ones too (under NONE the adds after the
     * removal returned CIVIC_OK). */
    const char *tail =
        errno == ENOENT && moved
            ? " was moved or renamed while open: every batch it held, acknowledged ones "
              "included, is in this engine, not at its name; save them (civic_engine_save) to "
              "the snapshot before opening the journal again"
        : errno == ENOENT ? " was removed while open (its file has no name left): every batch it "
                          "held, acknowledged ones included, is only in this engine; save them "
                          "(civic_engine_save) to the snapshot before opening the journal again"
        : was_lost ? " was moved or renamed while open, and its name leads to it again: every "
                     "batch it held is in the file; open it again to go on"
        : cut ? " was truncated while open (as copytruncate does): its batches, acknowledged "
                "ones included, are in this engine, not all in the file; save them "
                "(civic_engine_save) before opening it again"
        : earlier && lost ? ": closed after a failed sync; writes acknowledged before it "
                            "may be missing from the file (group or no-sync policy), but the "
                            "engine holds them: save it (civic_engine_save) before reopening"
        : earlier ? ": closed after an earlier failed write or sync (what failed was not "
                    "acknowledged); open it again to go on"
                  : ": the final sync failed";
    char fit[CIVIC_PATH_BRIEF_SIZE];
    size_t room = CIVIC_ERROR_MESSAGE_SIZE - 1 - strlen("journal ") - strlen(tail);
    return civic__error_set(err, CIVIC_E_IO, 0, 0, 0, "journal %s%s",
                            civic__path_fit(path, room, fit), tail);
}

/* ------------------------------------------------------------ append */

static bool emit_record(struct civic_journal *j, uint64_t *off, uint32_t flags, uint32_t count,
                        size_t len)
{
    unsigned char *h = j->buf;
    memcpy(h, "CJRC", 4);
    civic__put32(h + 4, flags);
    civic__put32(h + 8, count);
    civic__put32(h + 12, (uint32_t)len);
    civic__put32(h + 16, 0);
    uint32_t crc = civic__crc32c(0, h, 20);
    civic__put32(h + 20, civic__crc32c(crc, h + JNL_RECORD_HEADER_BYTES, len));
    if (!civic__write_all(j->fd, h, JNL_RECORD_HEADER_BYTES + len, *off)) return false;
    *off += JNL_RECORD_HEADER_BYTES + len;
    return true;
}

static bool append_batch(const civic_engine *e, struct civic_journal *j, const void *arg,
                         uint64_t *off)
{
    size_t first = *(const size_t *)arg, len = 0;
    unsigned format = civic__event_format(e);
    uint32_t count = 0, flags = JNL_FIRST, f2 = format == 2 ? JNL_FORMAT2 : 0;
    for (size_t i = first; i < e->event_count; i++) {
        if (count && len + CIVIC_EVENT_RECORD_BYTES_MAX > JNL_PAYLOAD_BYTES) {
            if (!emit_record(j, off, flags | f2, count, len)) return false;
            flags = 0;
            len = 0;
            count = 0;
        }
        len += civic__event_encode(e, (uint32_t)i, format, j->buf + JNL_RECORD_HEADER_BYTES + len);
        count++;
    }
    return emit_record(j, off, flags | f2 | JNL_COMMIT, count, len);
}

typedef bool (*append_fn)(const civic_engine *e, struct civic_journal *j, const void *arg,
                          uint64_t *off);

static int journal_append(struct civic_journal *j, const civic_engine *e, const void *arg,
                          append_fn append, bool v2, civic_error *err);

/* The commit hook: events [first, e->event_count) as one batch.  Called under
 * the engine's write lock; a failure rolls the write back (CIVIC_E_IO). */
static int journal_commit(void *ctx, const civic_engine *e, size_t first, civic_error *err)
{
    return journal_append(ctx, e, &first, append_batch, civic__event_format(e) == 2, err);
}

/* A purge record: one committed batch of its own, with the instant and the
 * purge's number (the engine's count once it is applied). */
static bool append_purge(const civic_engine *e, struct civic_journal *j, const void *arg,
                         uint64_t *off)
{
    civic__put64(j->buf + JNL_RECORD_HEADER_BYTES, (uint64_t) * (const int64_t *)arg);
    civic__put64(j->buf + JNL_RECORD_HEADER_BYTES + 8, e->purge_seq + 1);
    return emit_record(j, off, JNL_FIRST | JNL_COMMIT | JNL_PURGE, 0, JNL_PURGE_BYTES);
}

/* The purge hook: the purge is durable before it is applied. */
static int journal_purge(void *ctx, const civic_engine *e, int64_t before, civic_error *err)
{
    return journal_append(ctx, e, &before, append_purge, true, err);
}

/* Append one batch (events or a purge; v2: records of format 2 or a purge)
 * at the journal's end, then sync as the policy says; a failure cuts the
 * file back. */
static int journal_append(struct civic_journal *j, const civic_engine *e, const void *arg,
                          append_fn append, bool v2, civic_error *err)
{
    if (in_child(j)) return child_error(err, j);
    /* A file that still names other rules (journal_attach): what is appended
     * would be read under them, a purge would remove what their retain says
     * and an event of a rule they lack could not be read at all.  One that
     * holds a purge of theirs keeps their name until a compaction, lest that
     * purge be run again under these over a snapshot that does not hold it;
     * one of events alone is set to these rules first (below). */
    if (j->foreign && j->holds_purge)
        return civic__error_set(err, CIVIC_E_MISMATCH, 0, 0, 0, "journal %s still names the "
                                "rules it was written under (it holds a purge of theirs): "
                                "compact (civic_engine_compact) before any write, so that "
                                "both files name these rules", jname(j));
    if (atomic_load(&j->failed)) return failed_error(err, j);
    if (j->policy == CIVIC_SYNC_ALWAYS && cut_short(j, j->fd, j->size)) return cut_error(err, j);
    uint32_t version = v2 ? JNL_VERSION_2 : j->version;
    if (j->foreign) { /* synced before anything is appended under it */
        if (!set_header(j, e->rules->fingerprint, version)) {
            atomic_store(&j->failed, 1); /* only a reopen can say what the header holds now */
            return io_error(err, "set its header to these rules", j->path);
        }
        j->fingerprint = e->rules->fingerprint;
        j->foreign = false;
    } else if (version != j->version && !set_version_2(j, j->fingerprint)) {
        atomic_store(&j->failed, 1); /* only a reopen can say what the header holds now */
        return io_error(err, "set its header to format version 2", j->path);
    }
    uint64_t off = j->size;
    bool written = append(e, j, arg, &off);
    bool synced = written && (j->policy != CIVIC_SYNC_ALWAYS ||
                              (fdatasync(j->fd) == 0 && still_named(j, j->fd)));
    if (!synced) {
        int saved = errno;
        /* Cut the file back.  After a failed fsync the kernel may have
         * dropped the pages: only a reopen (which re-reads the file) can be
         * trusted again, so the journal refuses further writes. */
        if (ftruncate(j->fd, (off_t)j->size) != 0 || written ||
            (j->policy == CIVIC_SYNC_ALWAYS && fdatasync(j->fd) != 0))
            atomic_store(&j->failed, 1);
        errno = saved;
        if (written && saved == ENOENT) return removed_error(err, j);
        return io_error(err, written ? "sync" : "append", j->path);
    }
    j->size = off;
    if (j->policy == CIVIC_SYNC_GROUP) {
        pthread_mutex_lock(&j->mutex);
        if (!j->dirty) {
            j->dirty = true;
            pthread_cond_broadcast(&j->cond);
        }
        pthread_mutex_unlock(&j->mutex);
    }
    return CIVIC_OK;
}

/* ------------------------------------------------------------ sync, compact */

int civic_engine_journal_sync(civic_engine *e, civic_error *err)
{
    civic__error_clear(err);
    if (!e) return civic__error_set(err, CIVIC_E_INVALID, 0, 0, 0, "invalid argument");
    civic__engine_read_begin(e);
    struct civic_journal *j = journal_of(e);
    int rc = CIVIC_OK;
    if (!j) {
        rc = civic__error_set(err, CIVIC_E_INVALID, 0, 0, 0, "no journal attached");
    } else if (in_child(j)) {
        rc = child_error(err, j);
    } else {
        pthread_mutex_lock(&j->mutex);
        while (j->syncing) pthread_cond_wait(&j->cond, &j->mutex);
        if (fdatasync(j->fd) != 0 || !still_named(j, j->fd)) {
            if (j->policy != CIVIC_SYNC_ALWAYS) atomic_store(&j->unsynced_lost, 1);
            atomic_store(&j->failed, 1);
            rc = errno == ENOENT ? removed_error(err, j) : io_error(err, "sync", j->path);
        } else if (atomic_load(&j->failed)) {
            rc = failed_error(err, j);
        } else if (cut_short(j, j->fd, j->size)) {
            rc = cut_error(err, j);
        } else {
            j->dirty = false;
        }
        pthread_mutex_unlock(&j->mutex);
    }
    civic__engine_read_end(e);
    return rc;
}

/* The journal's name leads to its file, or to nothing (the file was removed
 * while open: a compaction puts a fresh journal there, as it always has).
 * Another file there -- the directory moved since the open and another made
 * in its place, the file renamed over -- may be another engine's journal,
 * locked: a compaction must not replace it (civic.h: the lock). */
static bool name_is_ours(const struct civic_journal *j)
{
    struct stat named, held;
    if (stat(j->file, &named) != 0) return errno == ENOENT;
    return fstat(j->fd, &held) == 0 && named.st_dev == held.st_dev &&
           named.st_ino == held.st_ino;
}

/* A compaction whose snapshot is in place but whose fresh journal could not
 * be made (a full disk): create_fresh's "journal J: cannot STEP: CAUSE" (in
 * why), told as what it leaves.  The old journal is still attached and
 * whole, and takes writes as before; or, when its file has no name left,
 * every event is in the snapshot now, and writes are refused still (the
 * next compaction, once the fresh journal can be made, ends that).  The
 * cause stays last, where the Python binding reads errno from it. */
static int fresh_failed(civic_error *err, struct civic_journal *j, const civic_error *why)
{
    char brief[CIVIC_PATH_BRIEF_SIZE], fit[CIVIC_PATH_BRIEF_SIZE], tail[CIVIC_ERROR_MESSAGE_SIZE];
    size_t skip = strlen("journal ") + strlen(civic__path_brief(j->path, brief)) + strlen(": ");
    const char *cause = strlen(why->message) > skip ? why->message + skip : why->message;
    snprintf(tail, sizeof(tail), still_named(j, j->fd) && !atomic_load(&j->cut)
                                     ? ": compaction: the snapshot was written, and the old "
                                       "journal is still attached and whole; the fresh journal "
                                       "to replace it failed: %s"
                                     : ": compaction: the snapshot was written and holds every "
                                       "event; the fresh journal to replace the lost one "
                                       "failed: %s",
             cause);
    size_t room = CIVIC_ERROR_MESSAGE_SIZE - 1 - strlen("journal ") - strlen(tail);
    return civic__error_set(err, CIVIC_E_IO, 0, 0, 0, "journal %s%s",
                            civic__path_fit(j->path, room, fit), tail);
}

/* Called with the engine read-locked (no appends) and j->mutex held. */
static int compact_locked(civic_engine *e, struct civic_journal *j, const char *snapshot_path,
                          civic_error *err)
{
    while (j->syncing) pthread_cond_wait(&j->cond, &j->mutex);
    /* before anything is written: a refusal leaves both files as they were */
    if (!name_is_ours(j) && !still_named(j, j->fd)) /* its batches only in the engine */
        return removed_error(err, j);
    struct stat named;
    if (stat(j->file, &named) != 0 && errno != ENOENT) /* a directory that cannot be searched */
        return io_error(err, "stat", j->path);
    if (!name_is_ours(j))
        return civic__error_set(err, CIVIC_E_IO, 0, 0, 0, "journal %s: that name now leads to "
                                "another file (the journal's directory was moved or the file "
                                "replaced since it was opened); not replacing it: close the "
                                "journal and open it again", jname(j));
    /* (1) the snapshot, durable and in place ... */
    int rc = civic__snapshot_write(e, snapshot_path, err);
    if (rc != CIVIC_OK) return rc;
    /* A journal still naming other rules (opened with OTHER_RULES, no write
     * since) is set to these now, in place (no space needed): should the
     * fresh journal fail to replace it (a full disk) or the process die
     * first, the snapshot of these rules lies beside a journal of these
     * rules, which opens; its events are all the snapshot's.  One holding a
     * purge of the old rules keeps their name (journal_append).  On failure
     * the fresh journal below replaces it all the same. */
    if (j->foreign && !j->holds_purge) {
        if (set_header(j, e->rules->fingerprint, j->version)) {
            j->fingerprint = e->rules->fingerprint;
            j->foreign = false;
        } else {
            atomic_store(&j->failed, 1); /* only a reopen can say what the header holds now */
        }
    }
    /* ... (2) only then the empty journal replaces the old one. */
    civic__temp_sweep(j->file);
    int fd, placed;
    civic_error why = CIVIC_ERROR_INIT;
    rc = create_fresh(&e->alc, j->file, j->path, e->rules->fingerprint, true, &fd, &placed, &why);
    if (rc == CIVIC_E_IO && placed < 0) /* the old journal is still the path's */
        return fresh_failed(err, j, &why);
    if (rc != CIVIC_OK) civic__error_copy(err, &why);
    if (rc != CIVIC_OK && placed < 0) return rc;
    /* The empty journal names the path now (the snapshot holds every event).
     * When its directory entry may not be durable yet, appends are refused
     * until a reopen: the old file has no name left, and writing on to it
     * would lose what it took. */
    close(j->fd);
    j->fd = rc == CIVIC_OK ? fd : placed;
    j->size = JNL_HEADER_BYTES;
    j->version = JNL_VERSION_1;
    j->fingerprint = e->rules->fingerprint; /* a file of these rules now, and no purge */
    j->foreign = j->holds_purge = false;
    j->dirty = false;
    atomic_store(&j->failed, rc != CIVIC_OK);
    atomic_store(&j->unsynced_lost, 0); /* the snapshot holds every event */
    atomic_store(&j->name_lost, 0); /* the fresh file has the name */
    atomic_store(&j->cut, 0);
    return rc;
}

/* path names the journal's file: its text, or another name (a link, a
 * relative path, a hard link) of the same file.  The text is compared in
 * the absolute form the open fixed (a relative path names another file
 * once the working directory changed).  j->mutex held. */
static bool is_journal(const struct civic_journal *j, const char *path)
{
    struct stat a, b;
    char abs[CIVIC_ABSOLUTE_NAME_SIZE];
    bool same_text = j->file_as_given ? strcmp(path, j->file) == 0
                                      : civic__absolute_name(path, abs, sizeof(abs)) &&
                                            strcmp(abs, j->file) == 0;
    return same_text ||
           (stat(path, &a) == 0 && fstat(j->fd, &b) == 0 && a.st_dev == b.st_dev &&
            a.st_ino == b.st_ino);
}

int civic_engine_compact(civic_engine *e, const char *snapshot_path, civic_error *err)
{
    civic__error_clear(err);
    if (!e || !snapshot_path)
        return civic__error_set(err, CIVIC_E_INVALID, 0, 0, 0, "invalid argument");
    if (!*snapshot_path) return civic__error_set(err, CIVIC_E_INVALID, 0, 0, 0, "an empty path");
    if (civic__engine_writing(e)) /* the snapshot would hold a batch not yet committed */
        return civic__error_set(err, CIVIC_E_INVALID, 0, 0, 0, "a compaction from a callback of "
                                "the engine's own write");
    civic__engine_read_begin(e);
    struct civic_journal *j = journal_of(e);
    int rc;
    if (!j) {
        rc = civic__snapshot_write(e, snapshot_path, err);
    } else if (in_child(j)) {
        rc = child_error(err, j);
    } else {
        pthread_mutex_lock(&j->mutex);
        rc = is_journal(j, snapshot_path)
                 ? civic__error_set(err, CIVIC_E_INVALID, 0, 0, 0,
                                    "the snapshot path is the journal's path")
                 : compact_locked(e, j, snapshot_path, err);
        pthread_mutex_unlock(&j->mutex);
    }
    civic__engine_read_end(e);
    return rc;
}
