/*
** failmalloc.c -- an LD_PRELOAD shim for the CLI tests: the Nth call of
** malloc, calloc or realloc (N from CIVIC_FAIL_AT, counted across threads)
** returns NULL with ENOMEM, every other call is glibc's.  With
** CIVIC_FAIL_COUNT set, the number of calls is written to that file at exit,
** so a test knows how far to sweep.
*/
#define _GNU_SOURCE
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);

static atomic_ulong calls;
static unsigned long fail_at;

__attribute__((constructor)) static void start(void)
{
    const char *at = getenv("CIVIC_FAIL_AT");
    fail_at = at ? strtoul(at, NULL, 10) : 0;
}

__attribute__((destructor)) static void finish(void)
{
    const char *path = getenv("CIVIC_FAIL_COUNT");
    FILE *f = path ? fopen(path, "w") : NULL;
    if (f) {
        fprintf(f, "%lu\n", (unsigned long)atomic_load(&calls));
        fclose(f);
    }
}

static int fails(void)
{
    unsigned long n = atomic_fetch_add(&calls, 1) + 1;
    if (fail_at && n == fail_at) {
        errno = ENOMEM;
        return 1;
    }
    return 0;
}

void *malloc(size_t n) { return fails() ? NULL : __libc_malloc(n); }
void *calloc(size_t a, size_t b) { return fails() ? NULL : __libc_calloc(a, b); }
void *realloc(void *p, size_t n) { return fails() ? NULL : __libc_realloc(p, n); }
