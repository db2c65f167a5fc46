/*
** failthread.c -- an LD_PRELOAD shim for the server's start-up tests: the
** Nth call of pthread_create (N from CIVIC_FAIL_THREAD) returns EAGAIN, as
** it does when a process may start no more threads; every other call is
** the C library's.  With CIVIC_FAIL_COUNT set, the number of calls is
** written to that file at exit, so a test knows how far to sweep.
*/
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

typedef int (*create_fn)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);

static atomic_ulong calls;
static unsigned long fail_at;

__attribute__((constructor)) static void start(void)
{
    const char *at = getenv("CIVIC_FAIL_THREAD");
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

int pthread_create(pthread_t *t, const pthread_attr_t *attr, void *(*fn)(void *), void *arg)
{
    static create_fn real;
    if (!real) real = (create_fn)dlsym(RTLD_NEXT, "pthread_create");
    unsigned long n = atomic_fetch_add(&calls, 1) + 1;
    if (fail_at && n == fail_at) return EAGAIN;
    return real(t, attr, fn, arg);
}
