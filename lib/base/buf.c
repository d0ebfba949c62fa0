/* SPDX-License-Identifier: BSD-2-Clause */
/* summary: growable byte buffer with a hard cap */
#include "config.h"

#include "buf.h"

#include <stdlib.h>
#include <string.h>

#include "streamvault.h"

void buf_init(struct buf *b, size_t limit)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->limit = limit;
}

void buf_release(struct buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

size_t buf_grown_cap(const struct buf *b, size_t need)
{
    size_t n = b->cap ? b->cap : 256;

    if (need <= b->cap)
        return b->cap;
    while (n < need && n < b->limit)
        n = n > b->limit / 2 ? b->limit : n * 2;
    return n < need ? need : n;
}

static int buf_grow(struct buf *b, size_t need)
{
    size_t n = buf_grown_cap(b, need);
    uint8_t *p;

    p = realloc(b->data, n);
    if (!p)
        return SV_ENOMEM;
    b->data = p;
    b->cap = n;
    return 0;
}

uint8_t *buf_reserve(struct buf *b, size_t n)
{
    if (n > b->limit - b->len)
        return NULL;
    if (b->len + n > b->cap && buf_grow(b, b->len + n) < 0)
        return NULL;
    return b->data + b->len;
}

int buf_append(struct buf *b, const void *p, size_t n)
{
    if (n > b->limit - b->len)              /* invariant: len <= limit */
        return SV_ELIMIT;
    if (b->len + n > b->cap && buf_grow(b, b->len + n) < 0)
        return SV_ENOMEM;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    return 0;
}
