/*
** killrename.c -- an LD_PRELOAD shim for the server's tests: a rename() whose
** target ends with CIVIC_KILL_RENAME ("/snapshot.civic", say) kills the
** process with SIGKILL before it is made, as a crash or a kill -9 at that
** moment would; one whose target ends with CIVIC_FAIL_RENAME fails with
** ENOSPC instead, as on a full disk; every other call is the C library's.
*/
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef int (*rename_fn)(const char *, const char *);

static int ends_with(const char *s, const char *var)
{
    const char *end = getenv(var);
    size_t n = end ? strlen(end) : 0, len = s ? strlen(s) : 0;
    return n && len >= n && strcmp(s + len - n, end) == 0;
}

int rename(const char *from, const char *to)
{
    static rename_fn real;
    if (ends_with(to, "CIVIC_KILL_RENAME")) raise(SIGKILL);
    if (ends_with(to, "CIVIC_FAIL_RENAME")) {
        errno = ENOSPC;
        return -1;
    }
    if (!real) real = (rename_fn)dlsym(RTLD_NEXT, "rename");
    return real(from, to);
}
