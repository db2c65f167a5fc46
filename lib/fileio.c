/*
** fileio.c -- the durability primitives: CRC-32C, whole reads and writes at
** an offset, the directory fsync that makes a rename durable, and locks on
** open files.
**
** It knows nothing of events, snapshots or journals: snapshot.c and
** journal.c are its two users and never call each other.  Nothing here
** allocates or keeps state.
**
** Invariants: every function either completes the whole operation or
** returns false with errno saying why; a short read or write is retried,
** never reported as success.
*/
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* F_OFD_SETLK (Linux); flock */
#endif
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
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

/* ------------------------------------------------------------ directories */

bool civic__fsync_parent(const char *path)
{
    const char *slash = strrchr(path, '/');
    char dir[4096];
    if (!slash) {
        memcpy(dir, ".", 2);
    } else if (slash == path) {
        memcpy(dir, "/", 2);
    } else {
        size_t n = (size_t)(slash - path);
        if (n >= sizeof(dir)) {
            errno = ENAMETOOLONG;
            return false;
        }
        memcpy(dir, path, n);
        dir[n] = '\0';
    }
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd < 0) return false;
    int rc = fsync(fd);
    int saved = errno;
    close(fd);
    errno = saved;
    return rc == 0;
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
