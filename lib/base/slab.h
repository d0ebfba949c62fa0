/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: a free-list allocator for one object size (flows, live streams).
 *
 * Ingest creates and ends up to a million objects of each kind per second;
 * taking them from blocks and recycling them through a free list keeps the
 * general allocator (and its page faults) out of the per-stream path. Not
 * thread-safe: one owner at a time.
 */
#ifndef SV_BASE_SLAB_H
#define SV_BASE_SLAB_H

#include <stddef.h>

struct region;

struct slab {
    size_t size;            /* object size, rounded up to 16 */
    size_t per_block;
    void *free;             /* singly linked through the objects' first word */
    void *blocks;           /* singly linked list of blocks (malloc'd ones) */
    struct region *region;  /* when set, blocks come from it instead */
    size_t live;
};

/* per_block is ignored with a region (a block is REGION_BLOCK bytes); r may be NULL. */
void slab_init(struct slab *s, size_t size, size_t per_block, struct region *r);
/* Frees every block (and so every object). */
void slab_release(struct slab *s);
/* A zeroed object; aborts on OOM like xmalloc. */
void *slab_alloc(struct slab *s) __attribute__((malloc, returns_nonnull));
void slab_free(struct slab *s, void *p);

/*
 * Objects freed apart from the slab, by a thread that may not touch it,
 * linked the slab's way: slab_free_chain() gives them all back at once
 * without reading them (no cache line of theirs moves to its thread).
 */
struct slab_chain {
    void *head, *tail;
    size_t n;
};

static inline void slab_chain_push(struct slab_chain *c, void *p)
{
    *(void **)p = c->head;
    c->head = p;
    if (!c->tail)
        c->tail = p;
    c->n++;
}

/* Returns the chain's objects to s; the chain is empty afterwards. */
void slab_free_chain(struct slab *s, struct slab_chain *c);

#endif
