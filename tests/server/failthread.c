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

#include "../fail_shim.h"

typedef int (*create_fn)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);

__attribute__((constructor)) static void start(void)
{
    fail_at_from("CIVIC_FAIL_THREAD");
}

int pthread_create(pthread_t *t, const pthread_attr_t *attr, void *(*fn)(void *), void *arg)
{
    static create_fn real;
    if (!real) real = (create_fn)dlsym(RTLD_NEXT, "pthread_create");
    if (this_call_fails()) return EAGAIN;
    return real(t, attr, fn, arg);
}
