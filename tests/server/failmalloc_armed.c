/*
** failmalloc_armed.c -- an LD_PRELOAD shim for the server's out-of-memory
** tests: tests/cli/failmalloc.c armed from outside while the server runs,
** so that a test can fail each allocation of one request in turn without
** starting the server again for each.
**
** On SIGUSR2 the shim writes to CIVIC_FAIL_CTL.count (through a rename, so
** the file is whole once it exists) how many calls of malloc, calloc and
** realloc there were since the last SIGUSR2, reads a number K from the file
** CIVIC_FAIL_CTL, and fails the Kth call from then on (returns NULL with
** ENOMEM), once; K = 0 fails none.  Before the first SIGUSR2, CIVIC_FAIL_AT=N
** fails the Nth call from the start, as tests/cli/failmalloc.c does.  Calls
** are counted across threads.  The handler uses only async-signal-safe calls.
*/
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);

static atomic_ulong calls, armed_at, fail_at;
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
    const char *at = getenv("CIVIC_FAIL_AT");
    if (at) atomic_store(&fail_at, strtoul(at, NULL, 10));
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
    unsigned long n = atomic_fetch_add(&calls, 1) + 1;
    unsigned long at = atomic_load(&fail_at);
    if (at && n == at) {
        errno = ENOMEM;
        return 1;
    }
    return 0;
}

void *malloc(size_t n) { return fails() ? NULL : __libc_malloc(n); }
void *calloc(size_t a, size_t b) { return fails() ? NULL : __libc_calloc(a, b); }
void *realloc(void *p, size_t n) { return fails() ? NULL : __libc_realloc(p, n); }
