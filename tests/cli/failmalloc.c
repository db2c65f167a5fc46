/*
** failmalloc.c -- an LD_PRELOAD shim for the tests of out of memory (the
** CLI's and the service's): the Nth call of malloc, calloc or realloc (N from
** CIVIC_FAIL_AT, counted across threads) returns NULL with ENOMEM, every
** other call is glibc's.  With CIVIC_FAIL_COUNT set, the number of calls is
** written to that file at exit, so a test knows how far to sweep.
**
** Armed from outside while a server runs (CIVIC_FAIL_CTL set), so that a
** test can fail each allocation of one request in turn without starting the
** server again for each: on SIGUSR2 the shim writes to CIVIC_FAIL_CTL.count
** (through a rename, so the file is whole once it exists) how many calls
** there were since the last SIGUSR2, reads a number K from the file
** CIVIC_FAIL_CTL, and fails the Kth call from then on, once; K = 0 fails
** none.  The handler uses only async-signal-safe calls.
*/
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "../fail_shim.h"

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);

static atomic_ulong armed_at;
static char ctl[512], count_tmp[520], count_path[520];

static size_t put_ulong(char *out, unsigned long v)
{
    char d[24];
    size_t n = 0, k = 0;
    do d[n++] = (char)('0' + v % 10), v /= 10;
    while (v);
    while (n) out[k++] = d[--n];
    out[k++] = '\n';
    return k;
}

static void on_usr2(int sig)
{
    (void)sig;
    int saved = errno;
    unsigned long now = atomic_load(&calls);
    char text[32];
    int fd = open(count_tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd >= 0) {
        size_t n = put_ulong(text, now - atomic_load(&armed_at));
        ssize_t w = write(fd, text, n);
        (void)w;
        close(fd);
    }
    unsigned long k = 0;
    fd = open(ctl, O_RDONLY);
    if (fd >= 0) {
        ssize_t n = read(fd, text, sizeof(text) - 1);
        for (ssize_t i = 0; i < n && text[i] >= '0' && text[i] <= '9'; i++)
            k = k * 10 + (unsigned long)(text[i] - '0');
        close(fd);
    }
    atomic_store(&armed_at, now);
    atomic_store(&fail_at, k ? now + k : 0);
    rename(count_tmp, count_path);
    errno = saved;
}

__attribute__((constructor)) static void start(void)
{
    fail_at_from("CIVIC_FAIL_AT");
    const char *c = getenv("CIVIC_FAIL_CTL");
    if (!c || strlen(c) >= sizeof(ctl)) return;
    strcpy(ctl, c);
    snprintf(count_tmp, sizeof(count_tmp), "%s.tmp", c);
    snprintf(count_path, sizeof(count_path), "%s.count", c);
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_usr2;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR2, &sa, NULL);
}

static int fails(void)
{
    if (!this_call_fails()) return 0;
    errno = ENOMEM;
    return 1;
}

void *malloc(size_t n) { return fails() ? NULL : __libc_malloc(n); }
void *calloc(size_t a, size_t b) { return fails() ? NULL : __libc_calloc(a, b); }
void *realloc(void *p, size_t n) { return fails() ? NULL : __libc_realloc(p, n); }
