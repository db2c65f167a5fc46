/*
** snapshot.c -- the snapshot file: every event of an engine in one compact,
** checksummed file, written atomically.
**
** It does not decide when to snapshot (the caller or civic_engine_compact
** does), does not encode events (event_codec.c does) and never trusts a
** file: every byte read is bounds-checked and every event is re-validated
** through civic__event_parse, so no input can crash the library or put an
** invalid event into an engine.  CRC-32C and whole writes come from
** fileio.c; the journal is a sibling it never calls.
**
** File layout (integers little-endian):
**   header   48 bytes: "CIVICSNP", u32 format version (1 or 2), u32 flags (0),
**            u64 rules fingerprint, u64 event count, i64 save time (Unix s,
**            informational), u32 reserved (0), u32 CRC-32C of bytes 0..43.
**   blocks   "EVTS", u32 event count, u32 payload bytes (<= 16 MiB), u32
**            CRC-32C of the 12 header bytes before it and of the payload;
**            then the payload: event records back to back.
**   trailer  32 bytes: "CIVICEND", u64 event count, u64 file length
**            (trailer included), u32 reserved (0), u32 CRC-32C of every
**            byte of the file before this field.
**   record   one event in the form of event_codec.c: record format 1 in a
**            version-1 file, format 2 (act and source) in a version-2 one.
**   version 2 also has, after the event blocks, blocks of the same framing:
**            "TMBS" tombstones of purged events (i64 ts, then id, subject
**            and act as u8 length + bytes), "ACTT" tombstones of purged
**            acts (i64 t*, subject, act), "HRZN" the purge horizon (i64)
**            and the number of purges in the engine's history (u64, absent
**            in the files of earlier 1.1 builds; journal.c skips a purge
**            record up to it).
**            A TMBS tombstone's purge had the file's horizon as its H; when
**            purges with different H removed them, the tombstones are in
**            "TMB2" blocks instead: i64 ts, i64 H, then id, subject, act.
**   A file is written in version 1 whenever the engine holds nothing of
**   version 2 (no act, no source, no object, dismiss or correct, no purge),
**   so libcivic 1.0 still reads it.
**
** Invariants: a file is only ever created under a temporary name and
** renamed into place after fsync, so `path` names a complete file or the
** previous one (when `path` is a symbolic link, the file it leads to: the
** link stays); the temporary name is locked by its writer until the
** rename, and saving or loading removes those that no live writer holds
** (left by a writer killed before its rename), so they never pile up (of
** libcivic 1.0's form, only a leftover by its content: fileio.c).
** A load is one batch: any failure rolls back every event it inserted.
** Events are written in insertion order.
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

#define SNAP_HEADER_BYTES 48u
#define SNAP_BLOCK_HEADER_BYTES 16u
#define SNAP_TRAILER_BYTES 32u
#define SNAP_FORMAT_VERSION 2u /* the newest this library writes and reads */
#define SNAP_BLOCK_PAYLOAD_BYTES ((size_t)1 << 20)      /* target size when writing */
#define SNAP_BLOCK_PAYLOAD_BYTES_MAX ((size_t)16 << 20) /* accepted when reading */

/* ------------------------------------------------------------ save */

typedef struct snap_writer {
    int fd;
    uint64_t offset;
    uint32_t crc;          /* of every byte written so far */
    unsigned char *buf;    /* block header + payload */
    size_t len;            /* payload bytes in buf */
    uint32_t count;        /* events in the block */
} snap_writer;

static bool writer_put(snap_writer *w, const void *p, size_t n)
{
    if (!civic__write_all(w->fd, p, n, w->offset)) return false;
    w->crc = civic__crc32c(w->crc, p, n);
    w->offset += n;
    return true;
}

static bool writer_flush_tagged(snap_writer *w, const char *tag)
{
    if (w->count == 0) return true;
    unsigned char *h = w->buf;
    memcpy(h, tag, 4);
    civic__put32(h + 4, w->count);
    civic__put32(h + 8, (uint32_t)w->len);
    uint32_t crc = civic__crc32c(0, h, 12);
    crc = civic__crc32c(crc, h + SNAP_BLOCK_HEADER_BYTES, w->len);
    civic__put32(h + 12, crc);
    bool ok = writer_put(w, h, SNAP_BLOCK_HEADER_BYTES + w->len);
    w->len = 0;
    w->count = 0;
    return ok;
}

static bool writer_flush_block(snap_writer *w) { return writer_flush_tagged(w, "EVTS"); }

static unsigned char *put_lp(unsigned char *p, const char *lp)
{
    size_t n = lp ? civic__lp_len(lp) : 0;
    *p++ = (unsigned char)n;
    if (n) memcpy(p, lp, n);
    return p + n;
}

/* One tombstone record: i64 ts, [i64 H,] id, subject, act. */
static size_t encode_tomb(const civic_engine *e, const civic_tomb *t, bool with_horizon,
                          unsigned char *out)
{
    civic__put64(out, (uint64_t)t->ts);
    unsigned char *p = out + 8;
    if (with_horizon) {
        civic__put64(p, (uint64_t)t->horizon);
        p += 8;
    }
    p = put_lp(p, t->id);
    p = put_lp(p, e->subjects[t->subject].id);
    p = put_lp(p, t->act == CIVIC_NONE ? NULL : civic__act_text(e, t->act));
    return (size_t)(p - out);
}

static size_t encode_act_tomb(const civic_engine *e, const civic_act_tomb *t, unsigned char *out)
{
    civic__put64(out, (uint64_t)t->until);
    unsigned char *p = put_lp(out + 8, e->subjects[t->subject].id);
    p = put_lp(p, civic__act_text(e, t->act));
    return (size_t)(p - out);
}

/* The version-2 blocks: tombstones, act tombstones, the horizon. */
static bool snapshot_tombs(const civic_engine *e, snap_writer *w)
{
    /* TMBS whenever it can say it (a file an earlier 1.1 build reads) */
    bool own = false;
    for (size_t i = 0; i < e->tombs.count && !own; i++)
        own = e->tombs.items[i].horizon != e->purge_horizon;
    const char *tag = own ? "TMB2" : "TMBS";
    for (size_t i = 0; i < e->tombs.count; i++) {
        w->len += encode_tomb(e, &e->tombs.items[i], own,
                              w->buf + SNAP_BLOCK_HEADER_BYTES + w->len);
        w->count++;
        if (w->len >= SNAP_BLOCK_PAYLOAD_BYTES && !writer_flush_tagged(w, tag)) return false;
    }
    if (!writer_flush_tagged(w, tag)) return false;
    for (size_t i = 0; i < e->tombs.act_count; i++) {
        w->len += encode_act_tomb(e, &e->tombs.acts[i], w->buf + SNAP_BLOCK_HEADER_BYTES + w->len);
        w->count++;
        if (w->len >= SNAP_BLOCK_PAYLOAD_BYTES && !writer_flush_tagged(w, "ACTT")) return false;
    }
    if (!writer_flush_tagged(w, "ACTT")) return false;
    if (e->purge_horizon == CIVIC_NO_TIME) return true;
    civic__put64(w->buf + SNAP_BLOCK_HEADER_BYTES, (uint64_t)e->purge_horizon);
    /* the count, unless the engine does not know it (it loaded a file of an
     * earlier 1.1 build): then the horizon alone, as such a file has it */
    civic__put64(w->buf + SNAP_BLOCK_HEADER_BYTES + 8, e->purge_seq);
    w->len = e->purge_seq ? 16 : 8;
    w->count = 1;
    return writer_flush_tagged(w, "HRZN");
}

/* Version 2 only when the engine holds something version 1 cannot say. */
static unsigned file_version(const civic_engine *e)
{
    return civic__event_format(e) >= 2 || e->tombs.count || e->tombs.act_count ||
                   e->purge_horizon != CIVIC_NO_TIME
               ? 2u
               : 1u;
}

static bool snapshot_body(const civic_engine *e, snap_writer *w)
{
    unsigned char h[SNAP_HEADER_BYTES];
    unsigned version = file_version(e);
    memset(h, 0, sizeof(h));
    memcpy(h, "CIVICSNP", 8);
    civic__put32(h + 8, version);
    civic__put64(h + 16, e->rules->fingerprint);
    civic__put64(h + 24, (uint64_t)e->event_count);
    civic__put64(h + 32, (uint64_t)time(NULL));
    civic__put32(h + 44, civic__crc32c(0, h, 44));
    if (!writer_put(w, h, sizeof(h))) return false;
    for (size_t i = 0; i < e->event_count; i++) {
        unsigned char *at = w->buf + SNAP_BLOCK_HEADER_BYTES + w->len;
        w->len += civic__event_encode(e, (uint32_t)i, version, at);
        w->count++;
        if (w->len >= SNAP_BLOCK_PAYLOAD_BYTES && !writer_flush_block(w)) return false;
    }
    if (!writer_flush_block(w)) return false;
    if (version >= 2 && !snapshot_tombs(e, w)) return false;
    unsigned char t[SNAP_TRAILER_BYTES];
    memset(t, 0, sizeof(t));
    memcpy(t, "CIVICEND", 8);
    civic__put64(t + 8, (uint64_t)e->event_count);
    civic__put64(t + 16, w->offset + SNAP_TRAILER_BYTES);
    uint32_t crc = civic__crc32c(w->crc, t, 28);
    civic__put32(t + 28, crc);
    return writer_put(w, t, sizeof(t));
}

/* Write the file body to the open temporary file, sync it, rename it over
 * path while it is still open (locked), then close it.  Returns the failed
 * step or NULL (errno says why); the descriptor is closed either way. */
static const char *write_steps(const civic_engine *e, snap_writer *w, const char *tmp,
                               const char *path)
{
    const char *step = NULL;
    if (!snapshot_body(e, w)) step = "write";
    else if (fsync(w->fd) != 0) step = "sync";
    /* Renamed while still open: closing drops the lock on the temporary
     * file, and a save, load or compaction of the same path sweeping at that
     * moment would take it for one a killed writer left and remove it. */
    else if (rename(tmp, path) != 0) step = "rename";
    int saved = errno;
    if (close(w->fd) != 0 && !step) { /* synced and in place: only a close */
        step = "close";
        saved = errno;
    }
    errno = saved;
    return step;
}

/* file begins with a journal's magic.  A snapshot renamed over a journal
 * took its name from under the engine appending to it: what it acknowledged
 * afterwards had no name, and the next open found a snapshot. */
static bool holds_journal(const char *file)
{
    int fd = open(file, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return false;
    char magic[8];
    bool yes = pread(fd, magic, sizeof(magic), 0) == (ssize_t)sizeof(magic) &&
               memcmp(magic, "CIVICJNL", sizeof(magic)) == 0;
    close(fd);
    return yes;
}

int civic__snapshot_write(const civic_engine *e, const char *path, civic_error *err)
{
    /* A path that is a symbolic link: the file it leads to is replaced, and
     * the link stays.  Messages name the path as given. */
    char target[PATH_MAX];
    int link = civic__link_target("snapshot", path, target, err);
    if (link < 0) return link;
    const char *file = link ? target : path;
    char brief[CIVIC_PATH_BRIEF_SIZE];
    /* A directory, or a name ending in '/' (which only a directory can
     * have), is told as open(2) tells it, EISDIR (ENOTDIR: "F/" of a file
     * F), before any temporary file is made: not as the rename over it
     * that would fail ("cannot rename snapshot D: Is a directory"). */
    struct stat st;
    size_t n = strlen(file);
    int why = 0;
    if (stat(file, &st) == 0)
        why = S_ISDIR(st.st_mode) ? EISDIR : 0;
    else if (n > 0 && file[n - 1] == '/')
        why = errno == ENOENT ? EISDIR : errno == ENOTDIR ? ENOTDIR : 0;
    if (why)
        return civic__error_set(err, CIVIC_E_IO, 0, 0, 0, "cannot save snapshot %s: %s",
                                civic__path_brief(path, brief), strerror(why));
    if (holds_journal(file))
        return civic__error_set(err, CIVIC_E_INVALID, 0, 0, 0, "%s holds a libcivic journal, "
                                "which a snapshot would replace: give the snapshot a file of "
                                "its own", civic__path_brief(path, brief));
    size_t tmp_size = 0, buf_size = SNAP_BLOCK_HEADER_BYTES + SNAP_BLOCK_PAYLOAD_BYTES +
                                     CIVIC_EVENT_RECORD_BYTES_MAX;
    char *tmp = NULL;
    snap_writer w = { -1, 0, 0, civic__malloc(&e->alc, buf_size), 0, 0 };
    civic__temp_sweep(file); /* what earlier writers killed before their rename left */
    int rc = w.buf ? civic__temp_create(&e->alc, file, &tmp, &tmp_size, &w.fd) : CIVIC_E_NOMEM;
    if (rc == CIVIC_E_IO) {
        rc = civic__error_set(err, CIVIC_E_IO, 0, 0, 0, "cannot create a temporary file for %s: %s",
                              civic__path_brief(path, brief), strerror(errno));
    } else if (rc != CIVIC_OK) {
        rc = civic__error_set(err, rc, 0, 0, 0, NULL);
    } else {
        const char *step = write_steps(e, &w, tmp, file);
        if (step) {
            int saved = errno;
            unlink(tmp);
            rc = civic__error_set(err, CIVIC_E_IO, 0, 0, 0, "cannot %s snapshot %s: %s", step,
                                  civic__path_brief(path, brief), strerror(saved));
        } else if (!civic__fsync_parent(file)) {
            rc = civic__error_set(err, CIVIC_E_IO, 0, 0, 0, "cannot sync the directory of %s: %s",
                                  civic__path_brief(path, brief), strerror(errno));
        }
    }
    civic__free(&e->alc, w.buf, buf_size);
    civic__free(&e->alc, tmp, tmp_size);
    return rc;
}

int civic_engine_save(const civic_engine *e, const char *path, civic_error *err)
{
    civic__error_clear(err);
    if (!e || !path) return civic__error_set(err, CIVIC_E_INVALID, 0, 0, 0, "invalid argument");
    if (!*path) return civic__error_set(err, CIVIC_E_INVALID, 0, 0, 0, "an empty path");
    if (civic__engine_writing(e)) /* it would hold a batch that may yet be rolled back */
        return civic__error_set(err, CIVIC_E_INVALID, 0, 0, 0, "a save from a callback of the "
                                "engine's own write");
    civic__engine_read_begin(e);
    int rc = civic__snapshot_write(e, path, err);
    civic__engine_read_end(e);
    return rc;
}

/* ------------------------------------------------------------ load */

typedef struct snap_reader {
    FILE *f;
    const char *path;
    char label[CIVIC_PATH_BRIEF_SIZE]; /* room for name when path is long */
    const char *name;      /* path as messages give it (civic__path_brief) */
    uint64_t offset;       /* bytes read so far */
    uint32_t crc;          /* of every byte read so far */
    civic_error *err;
    size_t first;          /* index of the first event this load inserts */
    unsigned version;      /* of the file: its record format too */
    int64_t horizon;       /* read from an HRZN block, CIVIC_NO_TIME */
    uint64_t purge_seq;    /* read from an HRZN block, 0: none or not said */
    bool other_rules;      /* CIVIC_SNAPSHOT_OTHER_RULES */
} snap_reader;

static int corrupt(snap_reader *r, uint64_t offset, const char *what)
{
    return civic__error_set(r->err, CIVIC_E_CORRUPT, 0, 0, offset,
                            "snapshot %s is damaged at byte %llu: %s", r->name,
                            (unsigned long long)offset, what);
}

/* A checksum mismatch: the damage lies somewhere in the part the checksum
 * covers, bytes first to last (where: "its header", "the block", "its
 * trailer"), and the message names that range rather than one byte of it.
 * offset stays as err->offset has always been: the block's first byte, the
 * checksum's own for the header and the trailer (civic.h). */
static int corrupt_in(snap_reader *r, uint64_t offset, const char *where, uint64_t first,
                      uint64_t last, const char *what)
{
    return civic__error_set(r->err, CIVIC_E_CORRUPT, 0, 0, offset,
                            "snapshot %s is damaged in %s at bytes %llu to %llu: %s", r->name,
                            where, (unsigned long long)first, (unsigned long long)last, what);
}

/* Read exactly n bytes or fail as "truncated". */
static int reader_get(snap_reader *r, void *p, size_t n, const char *what)
{
    size_t got = civic__fread(p, n, r->f);
    if (got != n) {
        if (ferror(r->f))
            return civic__error_set(r->err, CIVIC_E_IO, 0, 0, r->offset + got,
                                    "cannot read %s: %s", r->name, strerror(errno));
        return corrupt(r, r->offset + got, what);
    }
    r->crc = civic__crc32c(r->crc, p, n);
    r->offset += n;
    return CIVIC_OK;
}

/* A file that is no snapshot at all (its magic not a snapshot's): said as
 * such, not as a snapshot damaged at byte 0, as the journal says it. */
static int not_a_snapshot(snap_reader *r)
{
    return civic__error_set(r->err, CIVIC_E_CORRUPT, 0, 0, 0,
                            "snapshot %s: not a libcivic snapshot (bad magic)", r->name);
}

static int read_header(civic_engine *e, snap_reader *r, uint64_t *count)
{
    unsigned char h[SNAP_HEADER_BYTES];
    /* a file shorter than a header whose bytes are no snapshot's (a text, a
     * CSV header) is no libcivic file, not a damaged one: its magic first */
    size_t got = civic__fread(h, sizeof(h), r->f);
    size_t seen = got < 8 ? got : 8;
    if (got >= 8 && memcmp(h, "CIVICJNL", 8) == 0) /* a journal given for it (files swapped) */
        return civic__error_set(r->err, CIVIC_E_CORRUPT, 0, 0, 0, "snapshot %s: not a libcivic "
                                "snapshot (it is a libcivic journal)", r->name);
    if (got < sizeof(h) && !ferror(r->f) && got > 0 && memcmp(h, "CIVICSNP", seen) != 0)
        return not_a_snapshot(r);
    if (got != sizeof(h)) {
        if (ferror(r->f))
            return civic__error_set(r->err, CIVIC_E_IO, 0, 0, got, "cannot read %s: %s", r->name,
                                    strerror(errno));
        if (got == 0) /* nothing was written to it, or it was cut: no damage to point at */
            return civic__error_set(r->err, CIVIC_E_CORRUPT, 0, 0, 0, "snapshot %s is empty "
                                    "(0 bytes: cut, or restored without its contents)", r->name);
        return corrupt(r, got, "truncated header");
    }
    r->crc = civic__crc32c(r->crc, h, sizeof(h));
    r->offset += sizeof(h);
    if (memcmp(h, "CIVICSNP", 8) != 0) return not_a_snapshot(r);
    if (civic__get32(h + 44) != civic__crc32c(0, h, 44))
        return corrupt_in(r, 44, "its header", 0, SNAP_HEADER_BYTES - 1,
                          "header checksum mismatch");
    r->version = civic__get32(h + 8);
    if (r->version < 1 || r->version > SNAP_FORMAT_VERSION)
        return civic__error_set(r->err, CIVIC_E_CORRUPT, 0, 0, 8,
                                "snapshot %s has format version %u; this library reads 1 to %u",
                                r->name, r->version, SNAP_FORMAT_VERSION);
    if (civic__get32(h + 12) != 0 || civic__get32(h + 40) != 0) return corrupt(r, 12, "unknown header flags");
    uint64_t fp = civic__get64(h + 16);
    /* the path cut so that the advice is said whole (a long one cut it off) */
    if (fp != e->rules->fingerprint && !r->other_rules && fp == CIVIC__FINGERPRINT_1_0_BUILT_IN)
        return civic__error_path(r->err, CIVIC_E_MISMATCH, 16, "snapshot", r->path,
                                 " was saved under libcivic 1.0's built-in scheme "
                                 "(examples/data/community-1.0.toml: load under it for 1.0's "
                                 "answers); rules changed on purpose: load with "
                                 "CIVIC_SNAPSHOT_OTHER_RULES to read its events under these");
    if (fp != e->rules->fingerprint && !r->other_rules) {
        char tail[CIVIC_ERROR_MESSAGE_SIZE];
        snprintf(tail, sizeof(tail), " was saved under other rules (fingerprint %016llx, the "
                 "engine's is %016llx); rules changed on purpose: load with "
                 "CIVIC_SNAPSHOT_OTHER_RULES to read its events under these",
                 (unsigned long long)fp, (unsigned long long)e->rules->fingerprint);
        return civic__error_path(r->err, CIVIC_E_MISMATCH, 16, "snapshot", r->path, tail);
    }
    *count = civic__get64(h + 24);
    return CIVIC_OK;
}

/* A block after its tag: count, payload bytes, checksum, payload (into
 * *buf); every record is at least min_record bytes. */
static int read_framed(civic_engine *e, snap_reader *r, const unsigned char *tag,
                       unsigned char **buf, size_t *buf_size, size_t min_record,
                       uint32_t *count_out, uint32_t *bytes_out)
{
    uint64_t at = r->offset - 4;
    unsigned char h[12];
    int rc = reader_get(r, h, sizeof(h), "truncated block header");
    if (rc != CIVIC_OK) return rc;
    uint32_t count = civic__get32(h), bytes = civic__get32(h + 4), want = civic__get32(h + 8);
    if (bytes > SNAP_BLOCK_PAYLOAD_BYTES_MAX || count == 0 || count > bytes / min_record)
        return corrupt(r, at, "impossible block size");
    if (bytes > *buf_size) {
        unsigned char *p = civic__realloc(&e->alc, *buf, *buf_size, bytes);
        if (!p) return civic__error_set(r->err, CIVIC_E_NOMEM, 0, 0, 0, NULL);
        *buf = p;
        *buf_size = bytes;
    }
    if ((rc = reader_get(r, *buf, bytes, "truncated block")) != CIVIC_OK) return rc;
    uint32_t crc = civic__crc32c(civic__crc32c(0, tag, 4), h, 8);
    if (civic__crc32c(crc, *buf, bytes) != want)
        return corrupt_in(r, at, "the block", at, r->offset - 1, "block checksum mismatch");
    *count_out = count;
    *bytes_out = bytes;
    return CIVIC_OK;
}

static int read_block(civic_engine *e, snap_reader *r, const unsigned char *tag,
                      unsigned char **buf, size_t *buf_size, uint64_t *events)
{
    uint64_t at = r->offset - 4;
    uint32_t count, bytes;
    int rc = read_framed(e, r, tag, buf, buf_size, CIVIC_EVENT_RECORD_BYTES_MIN, &count, &bytes);
    if (rc != CIVIC_OK) return rc;
    size_t pos = 0;
    for (uint32_t i = 0; i < count; i++) {
        size_t used;
        civic_error why = CIVIC_ERROR_INIT;
        rc = civic__event_decode_insert(e, *buf + pos, bytes - pos, r->version, r->first,
                                        r->other_rules, &used,
                                        &why);
        if (rc == CIVIC_E_CORRUPT) return corrupt(r, at + 16 + pos, why.message);
        if (rc == CIVIC_E_OVERFLOW || rc == CIVIC_E_VERSION) { /* sound, but refused */
            civic__error_set(r->err, CIVIC_E_CORRUPT, 0, 0, at + 16 + pos,
                             "snapshot %s, record at byte %llu: %s", r->name,
                             (unsigned long long)(at + 16 + pos), why.message);
            civic__error_refused_tail(r->err, rc);
            return CIVIC_E_CORRUPT;
        }
        if (rc == CIVIC_E_NOMEM) return civic__error_set(r->err, rc, 0, 0, 0, NULL);
        if (rc < 0) { /* a conflict with an event held: named as a journal names its own,
                       * the file cut rather than the cause */
            char fit[CIVIC_PATH_BRIEF_SIZE];
            size_t used_by_rest = strlen("snapshot , record at byte 18446744073709551615: ") +
                                  strlen(why.message) + 1;
            size_t room = sizeof(why.message) > used_by_rest ? sizeof(why.message) - used_by_rest
                                                             : 0;
            return civic__error_set(r->err, rc, 0, 0, at + 16 + pos,
                                    "snapshot %s, record at byte %llu: %s",
                                    civic__path_fit(r->path, room, fit),
                                    (unsigned long long)(at + 16 + pos), why.message);
        }
        pos += used;
    }
    if (pos != bytes) return corrupt(r, at + 16 + pos, "block longer than its events");
    *events += count;
    return CIVIC_OK;
}

/* One u8-length string of a record at *pos, or false past the end. */
static bool get_str(const unsigned char *p, size_t n, size_t *pos, const char **s, size_t *len)
{
    if (*pos >= n) return false;
    *len = p[(*pos)++];
    if (*len > n - *pos) return false;
    *s = (const char *)p + *pos;
    *pos += *len;
    return true;
}

/* A TMBS, TMB2, ACTT or HRZN block (version 2). */
static int read_tombs(civic_engine *e, snap_reader *r, const unsigned char *tag,
                      unsigned char **buf, size_t *buf_size)
{
    uint64_t at = r->offset - 4;
    bool hrzn = memcmp(tag, "HRZN", 4) == 0, acts = memcmp(tag, "ACTT", 4) == 0;
    bool own = memcmp(tag, "TMB2", 4) == 0; /* each with its purge's H */
    uint32_t count, bytes;
    int rc = read_framed(e, r, tag, buf, buf_size, hrzn ? 8 : own ? 19 : 11, &count, &bytes);
    if (rc != CIVIC_OK) return rc;
    if (hrzn) {
        if (count != 1 || (bytes != 8 && bytes != 16)) return corrupt(r, at, "bad horizon block");
        r->horizon = (int64_t)civic__get64(*buf);
        r->purge_seq = bytes == 16 ? civic__get64(*buf + 8) : 0;
        if (bytes == 16 && (r->purge_seq == 0 || r->purge_seq > CIVIC__PURGE_SEQ_MAX))
            return corrupt(r, at + 24, "bad purge count");
        /* as a purge takes it (civic_engine_purge, a journal's purge record) */
        if (r->horizon < CIVIC_TIME_MIN || r->horizon > CIVIC_TIME_MAX)
            return corrupt(r, at + 16, "purge horizon out of range");
        return CIVIC_OK;
    }
    size_t pos = 0;
    for (uint32_t i = 0; i < count && rc == CIVIC_OK; i++) {
        const char *a, *b, *c = NULL;
        size_t na, nb, nc = 0;
        if (bytes - pos < (own ? 16u : 8u)) return corrupt(r, at + 16 + pos, "truncated tombstone");
        int64_t t = (int64_t)civic__get64(*buf + pos), h = CIVIC_NO_TIME;
        pos += 8;
        if (own) {
            h = (int64_t)civic__get64(*buf + pos);
            pos += 8;
            if (h < CIVIC_TIME_MIN || h > CIVIC_TIME_MAX)
                return corrupt(r, at + 16 + pos, "invalid tombstone");
        }
        if (!get_str(*buf, bytes, &pos, &a, &na) || !get_str(*buf, bytes, &pos, &b, &nb) ||
            (!acts && !get_str(*buf, bytes, &pos, &c, &nc)))
            return corrupt(r, at + 16 + pos, "truncated tombstone");
        rc = acts ? civic__act_tomb_load(e, a, na, b, nb, t)
                  : civic__tomb_load(e, a, na, t, h, b, nb, c, nc);
        if (rc == CIVIC_E_CORRUPT) return corrupt(r, at + 16 + pos, "invalid tombstone");
        if (rc != CIVIC_OK) return civic__error_set(r->err, rc, 0, 0, 0, NULL);
    }
    return pos == bytes ? CIVIC_OK : corrupt(r, at + 16 + pos, "block longer than its records");
}

static int read_trailer(snap_reader *r, const unsigned char *tag, uint64_t header_count,
                        uint64_t events)
{
    uint64_t at = r->offset - 4;
    unsigned char t[SNAP_TRAILER_BYTES];
    memcpy(t, tag, 4);
    int rc = reader_get(r, t + 4, 24, "truncated trailer");
    if (rc != CIVIC_OK) return rc;
    uint32_t crc = r->crc;
    if ((rc = reader_get(r, t + 28, 4, "truncated trailer")) != CIVIC_OK) return rc;
    if (memcmp(t, "CIVICEND", 8) != 0) return corrupt(r, at, "unknown block tag");
    /* Every byte before the trailer passed its block's or the header's own
     * checksum: what the file's finds damaged is the trailer. */
    if (civic__get32(t + 28) != crc)
        return corrupt_in(r, at + 28, "its trailer", at, r->offset - 1, "file checksum mismatch");
    if (civic__get64(t + 8) != header_count || events != header_count)
        return corrupt(r, at, "event count does not match the header");
    if (civic__get64(t + 16) != r->offset || civic__get32(t + 24) != 0)
        return corrupt(r, at, "file length does not match the trailer");
    unsigned char more;
    if (civic__fread(&more, 1, r->f) == 1) return corrupt(r, r->offset, "bytes after the trailer");
    if (ferror(r->f))
        return civic__error_set(r->err, CIVIC_E_IO, 0, 0, r->offset, "cannot read %s: %s",
                                r->name, strerror(errno));
    return CIVIC_OK;
}

static int snapshot_read(civic_engine *e, snap_reader *r)
{
    uint64_t header_count = 0, events = 0;
    unsigned char *buf = NULL;
    size_t buf_size = 0;
    int rc = read_header(e, r, &header_count);
    while (rc == CIVIC_OK) {
        unsigned char tag[4];
        if ((rc = reader_get(r, tag, 4, "truncated: no trailer")) != CIVIC_OK) break;
        if (memcmp(tag, "EVTS", 4) == 0) {
            rc = read_block(e, r, tag, &buf, &buf_size, &events);
            if (rc == CIVIC_OK && events > header_count)
                rc = corrupt(r, r->offset, "more events than the header says");
        } else if (r->version >= 2 &&
                   (memcmp(tag, "TMBS", 4) == 0 || memcmp(tag, "TMB2", 4) == 0 ||
                    memcmp(tag, "ACTT", 4) == 0 || memcmp(tag, "HRZN", 4) == 0)) {
            rc = read_tombs(e, r, tag, &buf, &buf_size);
        } else {
            rc = read_trailer(r, tag, header_count, events);
            break;
        }
    }
    civic__free(&e->alc, buf, buf_size);
    return rc;
}

/* The write of a snapshot load: every event of the file, as one batch (the
 * reader reports errors through r->err, which is err). */
static int snapshot_apply(civic_engine *e, void *ctx, civic_error *err)
{
    snap_reader *r = ctx;
    size_t tombs = e->tombs.count, act_tombs = e->tombs.act_count;
    r->first = e->event_count;
    r->horizon = CIVIC_NO_TIME;
    r->purge_seq = 0;
    int rc = snapshot_read(e, r);
    if (rc < 0) {
        civic__tombs_truncate(e, tombs, act_tombs); /* the batch rollback does the rest */
        return rc;
    }
    if (e->tombs.count > tombs && r->horizon == CIVIC_NO_TIME) {
        civic__tombs_truncate(e, tombs, act_tombs);
        return corrupt(r, r->offset, "tombstones without a horizon");
    }
    /* A journal records events and its engine's own purges, not a purge
     * that happened elsewhere (the tombstones of events it never held): a
     * replay would forget it, answering before the horizon and taking
     * purged events again.  So that is refused, not half journaled.  Asked
     * before the act tombstones are sorted in (which merges them with those
     * held, so that cutting the array back would no longer undo it). */
    if (e->hook.commit && (e->tombs.count > tombs || !civic__act_tombs_known(e, act_tombs) ||
                           (r->horizon != CIVIC_NO_TIME && r->horizon > e->purge_horizon))) {
        civic__tombs_truncate(e, tombs, act_tombs);
        return civic__error_set(r->err, CIVIC_E_INVALID, 0, 0, 0, "snapshot %s holds a purge, "
                                "which the attached journal cannot record: load the snapshot "
                                "before opening the journal", r->name);
    }
    /* A purge made elsewhere cannot be applied to events already held: one
     * whose id it tombstoned would stay and count (and be saved again),
     * where added after the load it is a duplicate; one pointing at a
     * purged event would stay dangling, where added after it is archived
     * on arrival.  The answer would hang on the order of the calls. */
    if (r->first > 0 && (e->tombs.count > tombs || !civic__act_tombs_known(e, act_tombs) ||
                         r->horizon > e->purge_horizon)) {
        /* the horizon too: a purge that removed nothing still says that
         * nothing archived before it is held, which events held may break */
        civic__tombs_truncate(e, tombs, act_tombs);
        return civic__error_set(r->err, CIVIC_E_INVALID, 0, 0, 0, "snapshot %s holds a purge "
                                "this engine has not made, and the engine already holds %llu "
                                "event%s, to which its deletions cannot be applied: load the "
                                "snapshot into an empty engine first, then add the events",
                                r->name, (unsigned long long)r->first, r->first == 1 ? "" : "s");
    }
    civic__act_tombs_sort(e);
    civic__tombs_set_horizon(e, tombs, r->horizon);
    if (r->horizon > e->purge_horizon) e->purge_horizon = r->horizon;
    if (r->purge_seq > e->purge_seq) e->purge_seq = r->purge_seq;
    return rc;
}

int civic_engine_load_snapshot(civic_engine *e, const char *path, civic_error *err)
{
    return civic_engine_load_snapshot_ext(e, path, 0, err);
}

int civic_engine_load_snapshot_ext(civic_engine *e, const char *path, uint32_t flags,
                                   civic_error *err)
{
    civic__error_clear(err);
    if (!e) return civic__error_set(err, CIVIC_E_INVALID, 0, 0, 0, "engine is NULL");
    if (!path) return civic__error_set(err, CIVIC_E_INVALID, 0, 0, 0, "path is NULL");
    if (flags & ~CIVIC_SNAPSHOT_OTHER_RULES)
        return civic__error_set(err, CIVIC_E_INVALID, 0, 0, 0,
                                "flags 0x%x has unknown bits 0x%x (CIVIC_SNAPSHOT_OTHER_RULES is "
                                "the only flag)", (unsigned)flags,
                                (unsigned)(flags & ~CIVIC_SNAPSHOT_OTHER_RULES));
    int rc = civic__engine_write_allowed(e, err);
    if (rc != CIVIC_OK) return rc;
    FILE *f = civic__fopen_read(path);
    char brief[CIVIC_PATH_BRIEF_SIZE];
    if (!f)
        return civic__error_set(err, CIVIC_E_IO, 0, 0, 0, "cannot open %s: %s",
                                civic__path_brief(path, brief), strerror(errno));
    civic__temp_sweep(path); /* at startup: what a killed save or compaction left */
    snap_reader r = { f, path, { 0 }, NULL, 0, 0, err, 0, 1, CIVIC_NO_TIME, 0,
                      (flags & CIVIC_SNAPSHOT_OTHER_RULES) != 0 };
    r.name = civic__path_brief(path, r.label);
    rc = civic__engine_write(e, snapshot_apply, &r, err);
    fclose(f);
    return rc;
}

int civic_engine_open_snapshot(civic_engine **out, civic_rules *rules,
                               const civic_engine_options *opts, const char *path,
                               civic_error *err)
{
    civic__error_clear(err);
    if (out) *out = NULL;
    if (!out || !path) return civic__error_set(err, CIVIC_E_INVALID, 0, 0, 0, "invalid argument");
    civic_engine *e;
    int rc = civic_engine_new(&e, rules, opts);
    if (rc != CIVIC_OK) return civic__error_set(err, rc, 0, 0, 0, NULL);
    rc = civic_engine_load_snapshot(e, path, err);
    if (rc != CIVIC_OK) {
        civic_engine_free(e);
        return rc;
    }
    *out = e;
    return CIVIC_OK;
}
