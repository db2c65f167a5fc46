/*
** fileio.c -- the durability primitives: CRC-32C, whole reads and writes at
** an offset, the directory fsync that makes a rename durable, the file a
** symbolic link leads to, locks on open files, and the temporary files that
** atomic replacement writes.
**
** It knows nothing of events, snapshots or journals: snapshot.c and
** journal.c are its two users and never call each other.  Nothing here
** allocates or keeps state.
**
** Invariants: every function either completes the whole operation or
** returns false with errno saying why; a short read or write is retried,
** never reported as success.  Every descriptor opened here is close-on-exec
** from the moment it exists (O_CLOEXEC, mkostemp, fopen "e"; opendir sets it
** itself): a program the host starts meanwhile (system, popen, posix_spawn)
** would otherwise keep the file open, and with it a journal's lock.
*/
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* F_OFD_SETLK (Linux); flock */
#endif
#include "internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------ CRC-32C */

/* Reflected Castagnoli polynomial, one byte at a time.  The 256-entry table
 * is a compile-time constant built by this macro ladder, so there is no
 * lazily initialised global state. */
#define P 0x82F63B78u
#define C1(c) (((c) & 1u) ? (((c) >> 1) ^ P) : ((c) >> 1))
#define C8(c) C1(C1(C1(C1(C1(C1(C1(C1(c))))))))
#define R4(i) C8((uint32_t)(i)), C8((uint32_t)(i) + 1u), C8((uint32_t)(i) + 2u), \
              C8((uint32_t)(i) + 3u)
#define R16(i) R4(i), R4((i) + 4u), R4((i) + 8u), R4((i) + 12u)
#define R64(i) R16(i), R16((i) + 16u), R16((i) + 32u), R16((i) + 48u)
static const uint32_t crc_table[256] = { R64(0u), R64(64u), R64(128u), R64(192u) };
#undef P
#undef C1
#undef C8
#undef R4
#undef R16
#undef R64

static uint32_t crc32c_table(uint32_t crc, const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) crc = crc_table[(crc ^ p[i]) & 0xFFu] ^ (crc >> 8);
    return crc;
}

/* x86-64 has the same polynomial in hardware (SSE4.2 crc32), about twenty
 * times faster than the table; it is chosen at run time per call, so the
 * library still runs on CPUs without it. */
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define CIVIC_CRC32C_HW 1
__attribute__((target("sse4.2"))) static uint32_t crc32c_hw(uint32_t crc, const unsigned char *p,
                                                              size_t n)
{
    uint64_t c = crc;
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        c = __builtin_ia32_crc32di(c, w);
        p += 8;
        n -= 8;
    }
    crc = (uint32_t)c;
    while (n--) crc = __builtin_ia32_crc32qi(crc, *p++);
    return crc;
}
#endif

uint32_t civic__crc32c(uint32_t crc, const void *data, size_t n)
{
    const unsigned char *p = data;
#ifdef CIVIC_CRC32C_HW
    if (n >= 64 && __builtin_cpu_supports("sse4.2")) return ~crc32c_hw(~crc, p, n);
#endif
    return ~crc32c_table(~crc, p, n);
}

/* ------------------------------------------------------------ whole reads and writes */

bool civic__write_all(int fd, const void *data, size_t n, uint64_t offset)
{
    const char *p = data;
    while (n > 0) {
        size_t chunk = n > ((size_t)1 << 30) ? ((size_t)1 << 30) : n;
        ssize_t w = pwrite(fd, p, chunk, (off_t)offset);
        if (w < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        if (w == 0) {
            errno = EIO;
            return false;
        }
        p += w;
        n -= (size_t)w;
        offset += (uint64_t)w;
    }
    return true;
}

bool civic__read_all(int fd, void *data, size_t n, uint64_t offset)
{
    unsigned char *p = data;
    while (n > 0) {
        ssize_t r = pread(fd, p, n, (off_t)offset);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) {
            if (r == 0) errno = EIO; /* the file ends first */
            return false;
        }
        p += r;
        n -= (size_t)r;
        offset += (uint64_t)r;
    }
    return true;
}

FILE *civic__fopen_read(const char *path)
{
    FILE *f;
    while (!(f = fopen(path, "rbe")) && errno == EINTR) {}
    return f;
}

size_t civic__fread(void *data, size_t n, FILE *f)
{
    unsigned char *p = data;
    size_t got = 0;
    for (;;) {
        got += fread(p + got, 1, n - got, f);
        if (got == n || !ferror(f) || errno != EINTR) return got;
        clearerr(f);
    }
}

/* ------------------------------------------------------------ file kinds */

civic_binary civic__binary_kind(const char *data, size_t len)
{
    static const struct { const char *magic; size_t len; civic_binary kind; } kinds[] = {
        { "\x1f\x8b", 2, CIVIC_BINARY_GZIP },
        { "\x28\xb5\x2f\xfd", 4, CIVIC_BINARY_ZSTD },
        { "\xfd" "7zXZ", 5, CIVIC_BINARY_XZ },
        { "PK\x03\x04", 4, CIVIC_BINARY_ZIP },
        { "SQLite format 3", 16, CIVIC_BINARY_SQLITE },
        { "\x7f" "ELF", 4, CIVIC_BINARY_ELF },
        /* an OLE2 compound file: what Excel 97-2003 saves as .xls */
        { "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", 8, CIVIC_BINARY_XLS },
        /* the library's own files (snapshot.c, journal.c), given for a
         * log (Engine.load beside Engine.load_snapshot) or a rules file */
        { "CIVICSNP", 8, CIVIC_BINARY_SNAPSHOT },
        { "CIVICJNL", 8, CIVIC_BINARY_JOURNAL },
        { "\xff\xfe\0\0", 4, CIVIC_BINARY_UTF32 }, /* before UTF-16's, which it begins with */
        { "\0\0\xfe\xff", 4, CIVIC_BINARY_UTF32 },
        { "\xff\xfe", 2, CIVIC_BINARY_UTF16 },
        { "\xfe\xff", 2, CIVIC_BINARY_UTF16 },
    };
    for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
        if (len >= kinds[k].len && memcmp(data, kinds[k].magic, kinds[k].len) == 0)
            return kinds[k].kind;
    if (len >= 10 && memcmp(data, "BZh", 3) == 0 && data[3] >= '1' && data[3] <= '9' &&
        memcmp(data + 4, "1AY&SY", 6) == 0)
        return CIVIC_BINARY_BZIP2;
    /* Without a byte order mark, only where a NUL is among the first bytes
     * (no text of a rules file or a log begins so): UTF-16, two characters
     * each with a NUL beside it (a stray NUL is the parser's to name, line
     * and column); UTF-32, a character of ASCII and three NULs */
    const unsigned char *u = (const unsigned char *)data;
    if (len < 4 || !memchr(data, '\0', 4)) return CIVIC_BINARY_NONE;
    if ((u[0] && !u[1] && u[2] && !u[3]) || (!u[0] && u[1] && !u[2] && u[3]))
        return CIVIC_BINARY_UTF16;
    if ((u[0] && u[0] < 0x80 && !u[1] && !u[2] && !u[3]) ||
        (!u[0] && !u[1] && !u[2] && u[3] && u[3] < 0x80))
        return CIVIC_BINARY_UTF32;
    return CIVIC_BINARY_NONE;
}

const char *civic__binary_text(civic_binary kind, bool rules)
{
    static const char *const what[][2] = {
        [CIVIC_BINARY_NONE] = { NULL, NULL },
        [CIVIC_BINARY_GZIP] = { "gzip-compressed data (decompress it first)", NULL },
        [CIVIC_BINARY_ZSTD] = { "zstd-compressed data (decompress it first)", NULL },
        [CIVIC_BINARY_XZ] = { "xz-compressed data (decompress it first)", NULL },
        [CIVIC_BINARY_BZIP2] = { "bzip2-compressed data (decompress it first)", NULL },
        [CIVIC_BINARY_ZIP] = { "a zip archive (extract the log first)",
                               "a zip archive (extract the rules file first)" },
        [CIVIC_BINARY_SQLITE] = { "an SQLite database (export the events as CSV first)",
                                  "an SQLite database" },
        [CIVIC_BINARY_ELF] = { "a program", NULL },
        [CIVIC_BINARY_UTF16] = { "UTF-16 text (event logs are UTF-8: convert it first)",
                                 "UTF-16 text (save it as UTF-8: iconv -f UTF-16 -t UTF-8)" },
        [CIVIC_BINARY_UTF32] = { "UTF-32 text (event logs are UTF-8: convert it first)",
                                 "UTF-32 text (save it as UTF-8: iconv -f UTF-32 -t UTF-8)" },
        [CIVIC_BINARY_XLS] = { "an Excel 97-2003 workbook or another old Office file (a .doc, "
                               "a .msg): save the sheet as CSV (UTF-8, comma-separated)",
                               "an Excel 97-2003 workbook or another old Office file" },
        [CIVIC_BINARY_SNAPSHOT] = { "a libcivic snapshot (open it as one: "
                                    "civic_engine_load_snapshot or civic_engine_open_snapshot, "
                                    "Python's Engine.load_snapshot or Engine.open_snapshot, or "
                                    "civic-server --data)",
                                    "a libcivic snapshot" },
        [CIVIC_BINARY_JOURNAL] = { "a libcivic journal (open it as one: "
                                   "civic_engine_journal_open, Python's Engine.journal_open, or "
                                   "civic-server --data)",
                                   "a libcivic journal" },
    };
    return rules && what[kind][1] ? what[kind][1] : what[kind][0];
}

/* ------------------------------------------------------------ directories */

#define DIR_BYTES_MAX 4096

/* The directory part of path into dir (DIR_BYTES_MAX bytes); false when it
 * does not fit. */
static bool parent_of(const char *path, char *dir)
{
    const char *slash = strrchr(path, '/');
    if (!slash) {
        memcpy(dir, ".", 2);
    } else if (slash == path) {
        memcpy(dir, "/", 2);
    } else {
        size_t n = (size_t)(slash - path);
        if (n >= DIR_BYTES_MAX) {
            errno = ENAMETOOLONG;
            return false;
        }
        memcpy(dir, path, n);
        dir[n] = '\0';
    }
    return true;
}

bool civic__fsync_parent(const char *path)
{
    char dir[DIR_BYTES_MAX];
    if (!parent_of(path, dir)) return false;
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return false;
    int rc = fsync(fd);
    int saved = errno;
    close(fd);
    errno = saved;
    return rc == 0;
}

/* ------------------------------------------------------------ links */

/* The name of path that no later chdir() changes (internal.h). */
bool civic__absolute_name(const char *path, char *out, size_t out_size)
{
    const char *slash = strrchr(path, '/'), *base = slash ? slash + 1 : path;
    char rel[PATH_MAX], dir[PATH_MAX];
    size_t n = slash ? (size_t)(slash - path) : 0;
    if (n >= sizeof(rel)) {
        errno = ENAMETOOLONG;
        return false;
    }
    if (!slash) {
        memcpy(rel, ".", 2);
    } else if (n == 0) {
        memcpy(rel, "/", 2);
    } else {
        memcpy(rel, path, n);
        rel[n] = '\0';
    }
    if (!realpath(rel, dir)) return false;
    int len = snprintf(out, out_size, "%s/%s", strcmp(dir, "/") == 0 ? "" : dir, base);
    if (len < 0 || (size_t)len >= out_size) {
        errno = ENAMETOOLONG;
        return false;
    }
    return true;
}

int civic__link_target(const char *what, const char *path, char *out, civic_error *err)
{
    struct stat st;
    char brief[CIVIC_PATH_BRIEF_SIZE];
    /* A FIFO, a device or a socket would be replaced by a regular file (or
     * /dev/null itself, through a link): not the place for a journal or a
     * snapshot.  A directory fails as it opens. */
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
        return civic__error_set(err, CIVIC_E_IO, 0, 0, 0, "%s %s is not a regular file (%s)", what,
                                civic__path_brief(path, brief),
                                S_ISFIFO(st.st_mode) ? "a FIFO" : S_ISSOCK(st.st_mode) ? "a socket"
                                                                                       : "a device");
    if (lstat(path, &st) != 0 || !S_ISLNK(st.st_mode)) return 0;
    if (realpath(path, out)) return 1;
    if (errno == ENOENT)
        return civic__error_set(err, CIVIC_E_IO, 0, 0, 0, "%s %s is a symbolic link to a missing "
                                "file: give the %s's own path", what,
                                civic__path_brief(path, brief), what);
    return civic__error_set(err, CIVIC_E_IO, 0, 0, 0, "%s %s: cannot follow its symbolic link: %s",
                            what, civic__path_brief(path, brief), strerror(errno));
}

/* ------------------------------------------------------------ locks */

/* Open file description locks (Linux 3.15+) belong to the open file, not
 * to the process as fcntl record locks do: a second open of the same file
 * conflicts even in the same process, and closing some other descriptor of
 * the file does not drop the lock.  flock(2) has the same semantics where
 * they are missing.  Both go away when the process dies. */
static int ofd_lock(int fd, short type, bool wait)
{
#ifdef F_OFD_SETLK
    struct flock fl;
    memset(&fl, 0, sizeof(fl));
    fl.l_type = type;
    fl.l_whence = SEEK_SET;
    if (fcntl(fd, wait ? F_OFD_SETLKW : F_OFD_SETLK, &fl) == 0) return 0;
    if (errno != EINVAL) return errno == EACCES ? EAGAIN : errno;
#endif
    int op = (type == F_WRLCK ? LOCK_EX : LOCK_SH) | (wait ? 0 : LOCK_NB);
    if (flock(fd, op) == 0) return 0;
    return errno == EWOULDBLOCK ? EAGAIN : errno;
}

int civic__file_lock(int fd, bool exclusive, bool wait)
{
    int rc;
    do rc = ofd_lock(fd, exclusive ? F_WRLCK : F_RDLCK, wait);
    while (rc == EINTR);
    return rc;
}

/* ------------------------------------------------------------ temporary files
 *
 * A file is replaced atomically by writing "<path>.tmp.civic.XXXXXX" (path's
 * name cut to fit, as below, when that would be too long), syncing it
 * and renaming it over path.  A process killed meanwhile leaves the
 * temporary file behind.  Writers hold an exclusive lock on their temporary
 * file from its creation to its rename, and the lock dies with the process,
 * so a temporary file nobody holds is stale and may be removed.  A sweeper
 * takes a shared lock before removing a file; a writer that created its
 * file just before a sweeper removed it sees, once it holds its lock, that
 * the file has no name any more (st_nlink 0) and starts over.  A writer
 * never waits for its lock: a sweeper holding the file is about to remove
 * it, so the writer starts over under a new name at once.  (Waiting would
 * be correct too, but a waiting lock is a blocking call that valgrind does
 * not let other threads run beside, so two engines of one process sweeping
 * and creating at once hung there.) */

#define TEMP_SUFFIX ".tmp.civic.XXXXXX"
/* The form libcivic 1.0 gave them.  An operator may name a file so too (a
 * backup, "s.civic.tmp.backup"), so a sweep removes one only when it can
 * tell it is a leftover: see legacy_leftover. */
#define LEGACY_SUFFIX ".tmp.XXXXXX"
/* Each attempt lost means a sweeper took that very file between its creation
 * and its lock; an engine opening the same snapshot in a loop on a loaded
 * machine won 8 in a row once (a test saw the save fail), so a writer that
 * loses yields the processor and tries up to 64 names. */
#define TEMP_ATTEMPTS 64

/* ------------------------------------------------------------ names that fit
 *
 * "<path>.tmp.civic.XXXXXX" and "<path>.damaged.<time>" are longer than path's
 * last component, which may itself be as long as a name can be.  When the
 * component plus the suffix would pass NAME_MAX (pathconf, at most 255),
 * the component is cut and tagged "~" plus 8 hex digits of a hash of the
 * whole component: a name of its own for each file (two names cut alike
 * differ in the tag), the same in every process, so the sweeper finds the
 * temporary files of a path by the name a writer gave them. */

#define NAME_BYTES_MAX 255u /* NAME_MAX of Linux and the BSDs */
#define FIT_TAG_BYTES 9u    /* "~" and 8 hex digits */

/* The longest file name path's directory takes, at most NAME_BYTES_MAX. */
static size_t name_max_of(const char *path)
{
    char d[DIR_BYTES_MAX];
    long m = parent_of(path, d) ? pathconf(d, _PC_NAME_MAX) : -1;
    return m > 0 && (unsigned long)m < NAME_BYTES_MAX ? (size_t)m : NAME_BYTES_MAX;
}

/* 32-bit FNV-1a: unkeyed, so the same for a name in every process. */
static uint32_t name_hash(const char *s, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 16777619u;
    return h;
}

size_t civic__name_fit(const char *path, size_t suffix_bytes, char *out)
{
    const char *slash = strrchr(path, '/');
    size_t head = slash ? (size_t)(slash + 1 - path) : 0, len = strlen(path);
    size_t base_len = len - head;
    memcpy(out, path, len + 1);
    if (base_len + suffix_bytes <= 14) return len; /* fits every directory (_POSIX_NAME_MAX) */
    size_t max = name_max_of(path);
    if (base_len + suffix_bytes <= max || max < suffix_bytes + FIT_TAG_BYTES + 1) return len;
    size_t keep = max - suffix_bytes - FIT_TAG_BYTES;
    while (keep > 1 && ((unsigned char)path[head + keep] & 0xC0) == 0x80)
        keep--; /* whole UTF-8 characters */
    snprintf(out + head + keep, FIT_TAG_BYTES + 1, "~%08x",
             (unsigned)name_hash(path + head, base_len));
    return head + keep + FIT_TAG_BYTES;
}

/* Files this library writes never get descriptor 0, 1 or 2: a program
 * started with one of those closed would have its own output (a printf, a
 * log line to stderr) land in the journal or a snapshot.  fd is moved above
 * 2 (close-on-exec) before anything locks it; -1 with errno when that fails,
 * fd then closed. */
int civic__fd_above_stdio(int fd)
{
    if (fd < 0 || fd > 2) return fd;
    int high = fcntl(fd, F_DUPFD_CLOEXEC, 3);
    int saved = errno;
    close(fd);
    errno = saved;
    return high;
}

int civic__temp_create(const civic_allocator *alc, const char *path, char **name,
                       size_t *name_size, int *fd_out)
{
    size_t size = strlen(path) + sizeof(TEMP_SUFFIX);
    char *tmp = civic__malloc(alc, size);
    *fd_out = -1;
    *name = NULL;
    if (!tmp) return CIVIC_E_NOMEM;
    if (civic__temp_create_in(path, tmp, fd_out) == CIVIC_OK) {
        *name = tmp;
        *name_size = size;
        return CIVIC_OK;
    }
    int saved = errno;
    civic__free(alc, tmp, size);
    errno = saved;
    return CIVIC_E_IO;
}

int civic__temp_create_in(const char *path, char *tmp, int *fd_out)
{
    _Static_assert(CIVIC_TEMP_NAME_EXTRA == sizeof(TEMP_SUFFIX), "the room the header names");
    *fd_out = -1;
    size_t at = civic__name_fit(path, sizeof(TEMP_SUFFIX) - 1, tmp);
    for (int attempt = 0; attempt < TEMP_ATTEMPTS; attempt++) {
        memcpy(tmp + at, TEMP_SUFFIX, sizeof(TEMP_SUFFIX));
        int made = mkostemp(tmp, O_CLOEXEC);
        int fd = civic__fd_above_stdio(made);
        if (fd < 0) {
            int why = errno;
            if (made >= 0) unlink(tmp); /* made, but no descriptor above stdio for it */
            errno = why;
            break;
        }
        struct stat st;
        int rc = civic__file_lock(fd, true, false);
        bool stated = rc == 0 && fstat(fd, &st) == 0;
        if (stated && st.st_nlink > 0) {
            *fd_out = fd;
            return CIVIC_OK;
        }
        /* Swept before we held it (no name left), or a sweeper holds it and
         * is about to remove it: again.  A lock or a stat that failed for
         * another reason leaves the file ours to remove, or nobody would
         * until the next sweep. */
        int why = rc != 0 ? rc : errno;
        if ((rc == 0 && !stated) || (rc != 0 && rc != EAGAIN && rc != EACCES && rc != EWOULDBLOCK))
            unlink(tmp);
        close(fd);
        /* let the sweeper finish before the next name: a yield first, then,
         * as losses repeat (a loaded machine preempting this thread between
         * its create and its lock while a load sweeps again and again),
         * a wait growing to 6 ms, 0.2 s in all */
        if (attempt < 8) {
            sched_yield();
        } else {
            struct timespec pause = { 0, (long)attempt * 100000L };
            nanosleep(&pause, NULL);
        }
        errno = why;
    }
    return CIVIC_E_IO;
}

/* name is base + `form` with its six X's letters or digits (what mkstemp
 * makes). */
static bool is_temp_of(const char *name, const char *base, size_t base_len, const char *form)
{
    const size_t tail = strlen(form), fixed = tail - 6;
    if (strlen(name) != base_len + tail || memcmp(name, base, base_len) != 0 ||
        memcmp(name + base_len, form, fixed) != 0)
        return false;
    for (size_t i = base_len + fixed; i < base_len + tail; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')))
            return false;
    }
    return true;
}

/* Whether n bytes at p start as magic does (all of p a prefix of it when
 * shorter). */
static bool starts_as(const unsigned char *p, size_t n, const char *magic)
{
    return memcmp(p, magic, n < 8 ? n : 8) == 0;
}

/* A file named as libcivic 1.0 named its temporary files, that no writer
 * holds: removed only when it is what a writer killed before its rename
 * left and holds nothing a complete file would -- empty (created, nothing
 * written yet); the start of a snapshot without its trailer (the end a
 * complete one has: "CIVICEND" and the file's length; snapshot.c); a
 * journal of its header alone, or less (a journal is created so, and holds
 * no batch; journal.c); or, for a journal, another name of `path`'s own
 * file (linked into place, killed before its temporary name was unlinked;
 * a snapshot is renamed into place, never linked).
 * Anything else -- a complete snapshot, a journal holding batches, a file
 * that is no libcivic file at all -- may be a copy someone made, and
 * stays. */
static bool legacy_leftover(int fd, const struct stat *held, const char *path)
{
    struct stat own;
    if (held->st_size == 0) return true;
    unsigned char head[8], tail[32];
    size_t n = held->st_size < 8 ? (size_t)held->st_size : 8;
    if (!civic__read_all(fd, head, n, 0)) return false;
    /* only a journal is linked into place; a snapshot is renamed, so a
     * snapshot's other name is an operator's hard-linked copy, and stays */
    if (starts_as(head, n, "CIVICJNL"))
        return held->st_size <= 32 /* JNL_HEADER_BYTES */ ||
               (stat(path, &own) == 0 && own.st_dev == held->st_dev &&
                own.st_ino == held->st_ino);
    if (!starts_as(head, n, "CIVICSNP")) return false;
    if (held->st_size < 48 + 32) return true; /* a header and a trailer, at least */
    if (!civic__read_all(fd, tail, sizeof(tail), (uint64_t)held->st_size - sizeof(tail)))
        return false;
    return memcmp(tail, "CIVICEND", 8) != 0 || civic__get64(tail + 16) != (uint64_t)held->st_size;
}

/* Remove the temporary file at full if no live writer holds it (and, for
 * legacy, if it is a leftover: legacy_leftover; path is the file it was
 * for). */
static void sweep_one(const char *full, bool legacy, const char *path)
{
    int fd = open(full, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return;
    struct stat held, named;
    if (civic__file_lock(fd, false, false) == 0 && fstat(fd, &held) == 0 &&
        lstat(full, &named) == 0 && held.st_dev == named.st_dev && held.st_ino == named.st_ino &&
        (!legacy || (S_ISREG(held.st_mode) && legacy_leftover(fd, &held, path))))
        unlink(full);
    close(fd);
}

void civic__temp_sweep(const char *path)
{
    char dir[DIR_BYTES_MAX], full[DIR_BYTES_MAX + 256], fit[DIR_BYTES_MAX + 256];
    if (strlen(path) >= sizeof(fit)) return;
    civic__name_fit(path, sizeof(TEMP_SUFFIX) - 1, fit); /* as civic__temp_create names them */
    const char *slash = strrchr(fit, '/');
    const char *base = slash ? slash + 1 : fit;
    size_t base_len = strlen(base);
    /* libcivic 1.0 named them after the whole name (it cut none) */
    const char *whole = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    size_t whole_len = strlen(whole);
    if (!parent_of(fit, dir) || base_len == 0 || base_len + sizeof(TEMP_SUFFIX) - 1 > 255)
        return;
    DIR *d = opendir(dir);
    if (!d) return; /* best effort: nothing to sweep, or no access */
    const struct dirent *ent;
    while ((ent = readdir(d)) != NULL) {
        bool ours = is_temp_of(ent->d_name, base, base_len, TEMP_SUFFIX);
        if (!ours && !is_temp_of(ent->d_name, whole, whole_len, LEGACY_SUFFIX)) continue;
        snprintf(full, sizeof(full), "%s/%s", dir, ent->d_name);
        sweep_one(full, !ours, path);
    }
    closedir(d);
}
