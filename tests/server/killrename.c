/*
** killrename.c -- an LD_PRELOAD shim for the server's tests: a rename() whose
** target ends with CIVIC_KILL_RENAME ("/snapshot.civic", say) kills the
** process with SIGKILL before it is made, as a crash or a kill -9 at that
** moment would; every other call is the C library's.
*/
#define _GNU_SOURCE
#include <dlfcn.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef int (*rename_fn)(const char *, const char *);

int rename(const char *from, const char *to)
{
    static rename_fn real;
    const char *end = getenv("CIVIC_KILL_RENAME");
    size_t n = end ? strlen(end) : 0, len = to ? strlen(to) : 0;
    if (n && len >= n && strcmp(to + len - n, end) == 0) raise(SIGKILL);
    if (!real) real = (rename_fn)dlsym(RTLD_NEXT, "rename");
    return real(from, to);
}
