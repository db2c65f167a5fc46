/*
** fail_shim.h -- what the tests' LD_PRELOAD shims share (tests/cli/failmalloc.c,
** tests/server/failthread.c): the calls they stand in for are counted across
** threads, the one numbered fail_at (0: none) fails, and with
** CIVIC_FAIL_COUNT set the count is written to that file at exit, so that a
** test knows how far to sweep.  Included by one shim, never by two.
*/
#ifndef CIVIC_TESTS_FAIL_SHIM_H
#define CIVIC_TESTS_FAIL_SHIM_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

static atomic_ulong calls, fail_at;

/* fail_at from the environment variable `name` (absent: none). */
static void fail_at_from(const char *name)
{
    const char *at = getenv(name);
    if (at) atomic_store(&fail_at, strtoul(at, NULL, 10));
}

__attribute__((destructor)) static void write_count(void)
{
    const char *path = getenv("CIVIC_FAIL_COUNT");
    FILE *f = path ? fopen(path, "w") : NULL;
    if (f) {
        fprintf(f, "%lu\n", (unsigned long)atomic_load(&calls));
        fclose(f);
    }
}

/* One more call: true when it is the one to fail. */
static bool this_call_fails(void)
{
    unsigned long n = atomic_fetch_add(&calls, 1) + 1;
    unsigned long at = atomic_load(&fail_at);
    return at && n == at;
}

#endif
