/* SPDX-License-Identifier: BSD-2-Clause */
/* summary: free-list allocator for one object size */
#include "config.h"

#include "slab.h"

#include <stdlib.h>
#include <stdint.h>
#include <string.h>

#include "region.h"
#include "xalloc.h"

struct block {
    struct block *next;
    unsigned char pad[8];       /* keeps objects 16-byte aligned */
};

void slab_init(struct slab *s, size_t size, size_t per_block, struct region *r)
{
    s->size = (size + 15) & ~(size_t)15;
    s->region = r;
    s->per_block = r ? REGION_BLOCK / s->size : per_block ? per_block : 1024;
    s->free = NULL;
    s->blocks = NULL;
    s->live = 0;
}

void slab_release(struct slab *s)
{
    struct block *b = s->blocks;

    while (b) {
        struct block *next = b->next;

        free(b);
        b = next;
    }
    s->blocks = NULL;
    s->free = NULL;
    s->live = 0;
}

void *slab_alloc(struct slab *s)
{
    void *p;

    if (!s->free) {
        unsigned char *o;

        if (s->region) {
            o = region_block(s->region);
            if (!o)
                xmalloc(SIZE_MAX);      /* out of memory: abort as xmalloc does */
        } else {
            struct block *b = xmalloc(sizeof *b + s->size * s->per_block);

            b->next = s->blocks;
            s->blocks = b;
            o = (unsigned char *)(b + 1);
        }
        for (size_t i = s->per_block; i-- > 0;) {
            void **obj = (void **)(void *)(o + i * s->size);

            *obj = s->free;
            s->free = obj;
        }
    }
    p = s->free;
    s->free = *(void **)p;
    memset(p, 0, s->size);
    s->live++;
    return p;
}

void slab_free(struct slab *s, void *p)
{
    if (!p)
        return;
    *(void **)p = s->free;
    s->free = p;
    s->live--;
}

void slab_free_chain(struct slab *s, struct slab_chain *c)
{
    if (!c->head)
        return;
    *(void **)c->tail = s->free;
    s->free = c->head;
    s->live -= c->n;
    c->head = c->tail = NULL;
    c->n = 0;
}
