/* SPDX-License-Identifier: BSD-2-Clause */
/* summary: chunked byte buffers and their recycling pool */
#include "config.h"

#include "cbuf.h"

#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/region.h"
#include "streamvault.h"

static const uint32_t class_size[CBUF_CLASSES] = { 128,  256,   512,   1024,  2048,
                                                    4096, 8192, 16384, 32768, 65472 };

void cpool_init(struct cpool *p, struct region *r)
{
    memset(p, 0, sizeof *p);
    pthread_mutex_init(&p->lock, NULL);
    p->region = r;
}

void cpool_release(struct cpool *p)
{
    /* the blocks belong to the region */
    pthread_mutex_destroy(&p->lock);
    memset(p, 0, sizeof *p);
}

/* Cuts a block into chunks of class cls and puts them on its free list. */
static int cpool_grow(struct cpool *p, uint8_t cls)
{
    size_t each = (sizeof(struct chunk) + class_size[cls] + 15) & ~(size_t)15;
    size_t n = REGION_BLOCK / each;     /* the largest class fits a block exactly */
    uint8_t *o = region_block(p->region);

    if (!o)
        return SV_ENOMEM;
    for (size_t i = n; i-- > 0;) {
        struct chunk *k = (struct chunk *)(void *)(o + i * each);

        k->cap = class_size[cls];
        k->cls = cls;
        k->next = p->free[cls];
        p->free[cls] = k;
    }
    p->held += n * class_size[cls];
    p->allocated += n * class_size[cls];
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
    } else {
        pthread_mutex_lock(&p->lock);
        if (!p->free[cls] && cpool_grow(p, cls) < 0) {
            pthread_mutex_unlock(&p->lock);
            return NULL;
        }
        k = p->free[cls];
        p->free[cls] = k->next;
        p->held -= k->cap;
        pthread_mutex_unlock(&p->lock);
    }
    k->next = NULL;
    k->len = 0;
    return k;
}

/* Returns a chain of chunks to the pool (caller holds the lock for pool chunks). */
static void chunk_put_locked(struct cpool *p, struct chunk *k)
{
    k->next = p->free[k->cls];
    p->free[k->cls] = k;
    p->held += k->cap;
}

uint8_t *cbuf_reserve(struct cbuf *b, struct cpool *p, size_t n)
{
    struct chunk *k;
    uint8_t cls;

    if (b->tail && b->tail->cap - b->tail->len >= n)
        return b->tail->data + b->tail->len;
    /* the smallest class that holds n and about as much as the buffer holds already */
    cls = 0;
    while (cls < CBUF_CLASSES && (class_size[cls] < n || class_size[cls] < b->len))
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
    pthread_mutex_lock(&p->lock);
    while (k) {
        struct chunk *next = k->next;

        if (k->cls >= CBUF_CLASSES)
            free(k);            /* an odd-sized chunk of its own */
        else
            chunk_put_locked(p, k);
        k = next;
    }
    pthread_mutex_unlock(&p->lock);
    cbuf_init(b);
}

size_t cbuf_nchunks(const struct cbuf *b)
{
    size_t n = 0;

    for (const struct chunk *k = b->head; k; k = k->next)
        n += k->len > 0;
    return n;
}

int cbuf_iov(const struct cbuf *b, struct iovec *iov, int max)
{
    int n = 0;

    for (const struct chunk *k = b->head; k && n < max; k = k->next) {
        if (k->len == 0)
            continue;
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
        size_t piece = n > 32768 ? 32768 : n;
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
