/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: chunked byte buffers drawn from recycling pools.
 *
 * A live stream's PCAP bytes grow packet by packet until the stream ends
 * and is written out with one writev. Each new chunk is about half as
 * large as everything before it (classes of 96 B to 64 KiB less headers),
 * so a DNS exchange costs a few hundred bytes and a bulk transfer few
 * chunks. Released chunks go back to the pool of their size class, so in
 * steady state ingest neither copies on growth (no realloc) nor faults in
 * fresh pages. Chunks are cut from 64 KiB blocks of a shared region; a
 * block whose chunks are all free again goes back to the region and can be
 * cut anew for another size class or bucket, so pools do not keep the peak
 * of every class at once. A pool is used by one thread at a time (one pool
 * per bucket) and takes no lock; the region is thread-safe.
 */
#ifndef SV_STORE_CBUF_H
#define SV_STORE_CBUF_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

struct buf;
struct region;

#define CBUF_CLASSES 10

struct chunk {
    struct chunk *next;
    struct chunk *prev;         /* in a pool's free list */
    uint32_t len;               /* bytes used */
    uint32_t cap;               /* bytes of data[] */
    uint8_t cls;                /* size class, or CBUF_CLASSES for an odd-sized one */
    uint8_t data[];
};

struct cpool {
    struct chunk *free[CBUF_CLASSES];
    struct region *region;      /* where blocks come from (shared, thread-safe) */
    uint64_t held;              /* bytes in the free lists */
    uint64_t allocated;         /* bytes of chunks cut so far (the pool's high-water mark) */
};

struct cbuf {
    struct chunk *head, *tail;
    uint64_t len;               /* bytes used over all chunks */
    uint64_t cap;               /* bytes allocated (what the memcap counts) */
};

void cpool_init(struct cpool *p, struct region *r);
void cpool_release(struct cpool *p);

static inline void cbuf_init(struct cbuf *b)
{
    b->head = b->tail = NULL;
    b->len = b->cap = 0;
}

/* Returns room for n contiguous bytes at the end (commit with cbuf_commit), NULL on OOM. */
uint8_t *cbuf_reserve(struct cbuf *b, struct cpool *p, size_t n);
static inline void cbuf_commit(struct cbuf *b, size_t n)
{
    b->tail->len += (uint32_t)n;
    b->len += n;
}
/* Returns every chunk to the pool; b is empty afterwards. */
void cbuf_clear(struct cbuf *b, struct cpool *p);
/* Moves every chunk of src to the end of dst; src is empty afterwards. */
void cbuf_splice(struct cbuf *dst, struct cbuf *src);
/*
 * Forgets the chunks without returning them to the pool (which is about to
 * be released with its region): only odd-sized chunks, malloc'd, are freed.
 */
void cbuf_drop(struct cbuf *b);
/*
 * Fills iov with the chunks holding data and returns their count, or -1
 * (iov's contents undefined) when there are more than max: one walk of the
 * chain, whose chunks are cold in the cache when a stream ends.
 */
int cbuf_iov(const struct cbuf *b, struct iovec *iov, int max);
/* Copies the contents into out (appending). SV_ENOMEM/SV_ELIMIT from out. */
int cbuf_copy_out(const struct cbuf *b, struct buf *out) __attribute__((warn_unused_result));
/* Replaces the contents with n bytes from p. */
int cbuf_assign(struct cbuf *b, struct cpool *pool, const uint8_t *p, size_t n)
    __attribute__((warn_unused_result));

#endif
