/* SPDX-License-Identifier: BSD-2-Clause */
/* summary: chunked byte buffers and their recycling pool */
#include "config.h"

#include "cbuf.h"

#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "streamvault.h"

static const uint32_t class_size[CBUF_CLASSES] = { 256, 1024, 4096, 16384, 65536 };

void cpool_init(struct cpool *p, uint64_t limit)
{
    memset(p, 0, sizeof *p);
    p->limit = limit;
}

void cpool_release(struct cpool *p)
{
    for (int c = 0; c < CBUF_CLASSES; c++) {
        while (p->free[c]) {
            struct chunk *k = p->free[c];

            p->free[c] = k->next;
            free(k);
        }
    }
    p->held = 0;
}

static struct chunk *chunk_get(struct cpool *p, uint8_t cls, size_t odd)
{
    struct chunk *k;

    if (cls < CBUF_CLASSES && p->free[cls]) {
        k = p->free[cls];
        p->free[cls] = k->next;
        p->held -= k->cap;
    } else {
        size_t cap = cls < CBUF_CLASSES ? class_size[cls] : odd;

        k = malloc(sizeof *k + cap);
        if (!k)
            return NULL;
        k->cap = (uint32_t)cap;
        k->cls = cls;
    }
    k->next = NULL;
    k->len = 0;
    return k;
}

static void chunk_put(struct cpool *p, struct chunk *k)
{
    if (k->cls >= CBUF_CLASSES || p->held + k->cap > p->limit) {
        free(k);
        return;
    }
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
    /* the next class up from the tail's, and at least big enough for n */
    cls = b->tail ? (uint8_t)(b->tail->cls + 1) : 0;
    if (cls >= CBUF_CLASSES)
        cls = CBUF_CLASSES - 1;
    while (cls < CBUF_CLASSES && class_size[cls] < n)
        cls++;
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

    while (k) {
        struct chunk *next = k->next;

        chunk_put(p, k);
        k = next;
    }
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
        size_t piece = n > 65536 ? 65536 : n;
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
