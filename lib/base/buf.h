/* SPDX-License-Identifier: BSD-2-Clause */
/* summary: growable byte buffer with a hard cap (input-driven growth) */
#ifndef SV_BASE_BUF_H
#define SV_BASE_BUF_H

#include <stddef.h>
#include <stdint.h>

struct buf {
    uint8_t *data;
    size_t len;
    size_t cap;         /* allocated bytes */
    size_t limit;       /* len never exceeds this */
};

void buf_init(struct buf *b, size_t limit);
void buf_release(struct buf *b);                /* frees data, keeps limit */
static inline void buf_reset(struct buf *b)
{
    b->len = 0;
}

/* Appends n bytes; SV_ELIMIT when limit would be passed, SV_ENOMEM on OOM. */
int buf_append(struct buf *b, const void *p, size_t n) __attribute__((warn_unused_result));
/* Makes room for n more bytes and returns where they go (len unchanged); NULL on cap/OOM. */
uint8_t *buf_reserve(struct buf *b, size_t n);
/* The allocation (cap) b has after growing to hold need bytes: cap when it holds them. */
size_t buf_grown_cap(const struct buf *b, size_t need);

#endif
