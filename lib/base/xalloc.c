/* SPDX-License-Identifier: BSD-2-Clause */
/* summary: aborting allocators */
#include "config.h"

#include "xalloc.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void xdie(size_t n)
{
    /* The one place lib/ writes to stderr: there is nobody left to tell. */
    if (n == SIZE_MAX)
        fputs("streamvault: out of memory\n", stderr);    /* a library's allocation failed */
    else
        fprintf(stderr, "streamvault: out of memory allocating %zu bytes\n", n);
    /*
     * Exit status 3, as any error, without a core dump, and at once (other
     * threads may be running): what was being written is a temporary tree
     * or file that the next writer removes.
     */
    _exit(3);
}

void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);

    if (!p)
        xdie(n);
    return p;
}

void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);

    if (!p)
        xdie(n * size);
    return p;
}

void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);

    if (!q)
        xdie(n);
    return q;
}

char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = xmalloc(n);

    memcpy(p, s, n);
    return p;
}

void xgrow(void **v, size_t *cap, size_t need, size_t sz)
{
    size_t n = *cap ? *cap : 8;

    if (need <= *cap)
        return;
    while (n < need) {
        if (n > SIZE_MAX / 2 / sz)
            xdie(SIZE_MAX);
        n *= 2;
    }
    *v = xrealloc(*v, n * sz);
    *cap = n;
}
