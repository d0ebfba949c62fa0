/* SPDX-License-Identifier: BSD-2-Clause */
/* summary: chunked byte buffers and their recycling pool */
#include "config.h"

#include "cbuf.h"

#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/region.h"
#include "streamvault.h"

/* a block is a 64-byte header and chunks of one class (32-byte chunk header + data) */
#define BLOCK_HDR 64u
static const uint32_t class_size[CBUF_CLASSES] = { 96,   224,  480,   992,   2016,
                                                    4064, 8160, 16352, 32736, 65440 };

struct cblk {
    struct cblk *next;          /* in the pool's list of free blocks */
    uint32_t used;              /* chunks of this block in use */
    uint32_t n;                 /* chunks cut from it */
    uint32_t each;              /* bytes per chunk, header included */
    uint8_t cls;
};

static struct cblk *chunk_block(const struct chunk *k)
{
    return (struct cblk *)((uintptr_t)k & ~(uintptr_t)(REGION_BLOCK - 1));
}

static void free_unlink(struct cpool *p, struct chunk *k)
{
    if (k->prev)
        k->prev->next = k->next;
    else
        p->free[k->cls] = k->next;
    if (k->next)
        k->next->prev = k->prev;
}

static void free_push(struct cpool *p, struct chunk *k)
{
    k->prev = NULL;
    k->next = p->free[k->cls];
    if (k->next)
        k->next->prev = k;
    p->free[k->cls] = k;
}

void cpool_init(struct cpool *p, struct region *r)
{
    memset(p, 0, sizeof *p);
    p->region = r;
}

void cpool_release(struct cpool *p)
{
    /* the blocks belong to the region */
    memset(p, 0, sizeof *p);
}

/* Cuts a block (a free one, or a new one) into chunks of class cls. */
static int cpool_grow(struct cpool *p, uint8_t cls)
{
    size_t each = (sizeof(struct chunk) + class_size[cls] + 15) & ~(size_t)15;
    size_t n = (REGION_BLOCK - BLOCK_HDR) / each;
    struct cblk *b = region_block(p->region);
    uint8_t *o;

    if (!b)
        return SV_ENOMEM;
    b->next = NULL;
    b->used = 0;
    b->n = (uint32_t)n;
    b->each = (uint32_t)each;
    b->cls = cls;
    o = (uint8_t *)b + BLOCK_HDR;
    for (size_t i = n; i-- > 0;) {
        struct chunk *k = (struct chunk *)(void *)(o + i * each);

        k->cap = class_size[cls];
        k->cls = cls;
        free_push(p, k);
    }
    p->held += n * class_size[cls];
    p->allocated += REGION_BLOCK;
    return 0;
}

static struct chunk *chunk_get(struct cpool *p, uint8_t cls, size_t odd)
{
    struct chunk *k;

    if (cls >= CBUF_CLASSES) {
        /* a packet bigger than the largest class: its own allocation */
        k = malloc(sizeof *k + odd);
        if (!k)
            return NULL;
        k->cap = (uint32_t)odd;
        k->cls = cls;
        k->prev = NULL;
    } else {
        if (!p->free[cls] && cpool_grow(p, cls) < 0)
            return NULL;
        k = p->free[cls];
        free_unlink(p, k);
        chunk_block(k)->used++;
        p->held -= k->cap;
    }
    k->next = NULL;
    k->len = 0;
    return k;
}

/* Returns a chunk to the pool; a block all free goes back to the region. */
static void chunk_put(struct cpool *p, struct chunk *k)
{
    struct cblk *b = chunk_block(k);

    free_push(p, k);
    p->held += k->cap;
    if (--b->used > 0)
        return;
    for (uint32_t i = 0; i < b->n; i++)
        free_unlink(p, (struct chunk *)(void *)((uint8_t *)b + BLOCK_HDR + i * b->each));
    p->held -= (uint64_t)b->n * class_size[b->cls];
    p->allocated -= REGION_BLOCK;
    region_block_free(p->region, b);
}

uint8_t *cbuf_reserve(struct cbuf *b, struct cpool *p, size_t n)
{
    struct chunk *k;
    uint8_t cls;

    if (b->tail && b->tail->cap - b->tail->len >= n)
        return b->tail->data + b->tail->len;
    /* the smallest class that holds n and about half of what the buffer holds already */
    cls = 0;
    while (cls < CBUF_CLASSES && (class_size[cls] < n || class_size[cls] < b->len / 2))
        cls++;
    if (cls == CBUF_CLASSES && n <= class_size[CBUF_CLASSES - 1])
        cls = CBUF_CLASSES - 1;
    k = chunk_get(p, cls, n);
    if (!k)
        return NULL;
    if (b->tail)
        b->tail->next = k;
    else
        b->head = k;
    b->tail = k;
    b->cap += k->cap;
    return k->data;
}

void cbuf_clear(struct cbuf *b, struct cpool *p)
{
    struct chunk *k = b->head;

    if (!k)
        return;
    while (k) {
        struct chunk *next = k->next;

        if (k->cls >= CBUF_CLASSES)
            free(k);            /* an odd-sized chunk of its own */
        else
            chunk_put(p, k);
        k = next;
    }
    cbuf_init(b);
}

void cbuf_splice(struct cbuf *dst, struct cbuf *src)
{
    if (!src->head)
        return;
    if (dst->tail)
        dst->tail->next = src->head;
    else
        dst->head = src->head;
    dst->tail = src->tail;
    dst->len += src->len;
    dst->cap += src->cap;
    cbuf_init(src);
}

void cbuf_drop(struct cbuf *b)
{
    for (struct chunk *k = b->head, *next; k; k = next) {
        next = k->next;
        if (k->cls >= CBUF_CLASSES)
            free(k);
    }
    cbuf_init(b);
}

int cbuf_iov(const struct cbuf *b, struct iovec *iov, int max)
{
    int n = 0;

    for (const struct chunk *k = b->head; k; k = k->next) {
        if (k->len == 0)
            continue;
        if (n == max)
            return -1;
        iov[n].iov_base = (void *)(uintptr_t)k->data;
        iov[n].iov_len = k->len;
        n++;
    }
    return n;
}

int cbuf_copy_out(const struct cbuf *b, struct buf *out)
{
    for (const struct chunk *k = b->head; k; k = k->next) {
        int rc = buf_append(out, k->data, k->len);

        if (rc < 0)
            return rc;
    }
    return 0;
}

int cbuf_assign(struct cbuf *b, struct cpool *pool, const uint8_t *p, size_t n)
{
    cbuf_clear(b, pool);
    while (n > 0) {
        size_t piece = n > 32736 ? 32736 : n;
        uint8_t *dst = cbuf_reserve(b, pool, piece);

        if (!dst)
            return SV_ENOMEM;
        memcpy(dst, p, piece);
        cbuf_commit(b, piece);
        p += piece;
        n -= piece;
    }
    return 0;
}
