/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: an LD_PRELOAD shim for tests/replaced.sh: holds a reader still
 * at a chosen point, so that a store can be replaced under it on cue.
 *
 * The first open (open, openat, fopen, opendir and their 64 forms) of a
 * path containing $PAUSE_AT (or, with $PAUSE_EXACT set, of that path)
 * creates the file $PAUSE_FLAG, then waits until the file $PAUSE_GO exists
 * (at most 60 s) before opening. Built by the test itself:
 * cc -shared -fPIC -o openpause.so openpause.c -ldl
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int paused;

static void maybe_pause(const char *path)
{
    const char *at = getenv("PAUSE_AT"), *exact = getenv("PAUSE_EXACT");
    const char *flag = getenv("PAUSE_FLAG"), *go = getenv("PAUSE_GO");
    struct timespec tick = { 0, 10 * 1000 * 1000 };
    struct stat st;
    int fd;

    if (paused || !path || !flag || !go)
        return;
    if (exact ? strcmp(path, exact) != 0 : !at || !strstr(path, at))
        return;
    paused = 1;
    fd = creat(flag, 0644);
    if (fd >= 0)
        close(fd);
    for (int i = 0; i < 6000 && stat(go, &st) < 0; i++)
        nanosleep(&tick, NULL);
}

/* The mode argument, when flags say there is one. */
#define MODE_ARG(flags, mode)                       \
    do {                                            \
        if (((flags) & O_CREAT) ||                  \
            ((flags) & O_TMPFILE) == O_TMPFILE) {   \
            va_list ap;                             \
            va_start(ap, flags);                    \
            mode = (mode_t)va_arg(ap, int);         \
            va_end(ap);                             \
        }                                           \
    } while (0)

#define WRAP_OPEN(name)                                                     \
    int name(const char *path, int flags, ...)                              \
    {                                                                       \
        int (*next)(const char *, int, ...) = dlsym(RTLD_NEXT, #name);      \
        mode_t mode = 0;                                                    \
        MODE_ARG(flags, mode);                                              \
        maybe_pause(path);                                                  \
        return next(path, flags, mode);                                     \
    }

#define WRAP_OPENAT(name)                                                   \
    int name(int dir, const char *path, int flags, ...)                     \
    {                                                                       \
        int (*next)(int, const char *, int, ...) = dlsym(RTLD_NEXT, #name); \
        mode_t mode = 0;                                                    \
        MODE_ARG(flags, mode);                                              \
        maybe_pause(path);                                                  \
        return next(dir, path, flags, mode);                                \
    }

#define WRAP_FOPEN(name)                                                    \
    FILE *name(const char *path, const char *how)                           \
    {                                                                       \
        FILE *(*next)(const char *, const char *) = dlsym(RTLD_NEXT, #name); \
        maybe_pause(path);                                                  \
        return next(path, how);                                             \
    }

WRAP_OPEN(open)
WRAP_OPEN(open64)
WRAP_OPENAT(openat)
WRAP_OPENAT(openat64)
WRAP_FOPEN(fopen)
WRAP_FOPEN(fopen64)

DIR *opendir(const char *path)
{
    DIR *(*next)(const char *) = dlsym(RTLD_NEXT, "opendir");

    maybe_pause(path);
    return next(path);
}
