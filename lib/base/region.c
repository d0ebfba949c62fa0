/* SPDX-License-Identifier: BSD-2-Clause */
/* summary: 64 KiB blocks from huge-page-advised 2 MiB regions */
#include "config.h"

#include "region.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "xalloc.h"

void region_init(struct region *r)
{
    memset(r, 0, sizeof *r);
    pthread_mutex_init(&r->lock, NULL);
}

void region_release(struct region *r)
{
    for (size_t i = 0; i < r->nmaps; i++)
        munmap(r->maps[i], REGION_SIZE);
    free(r->maps);
    pthread_mutex_destroy(&r->lock);
    memset(r, 0, sizeof *r);
}

void *region_map(size_t n)
{
    size_t len = (n + REGION_SIZE - 1) / REGION_SIZE * REGION_SIZE;
    uint8_t *p = mmap(NULL, len + REGION_SIZE, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    size_t head;

    if (p == MAP_FAILED)
        return NULL;
    /* aligned to REGION_SIZE: huge pages fit, and blocks are REGION_BLOCK-aligned */
    head = (REGION_SIZE - (uintptr_t)p % REGION_SIZE) % REGION_SIZE;
    if (head)
        munmap(p, head);
    munmap(p + head + len, REGION_SIZE - head);
    p += head;
    /* a hint: where transparent huge pages are off, plain pages work the same */
    madvise(p, len, MADV_HUGEPAGE);
    return p;
}

void region_unmap(void *p, size_t n)
{
    if (p)
        munmap(p, (n + REGION_SIZE - 1) / REGION_SIZE * REGION_SIZE);
}

void *region_block(struct region *r)
{
    void *p = NULL;

    pthread_mutex_lock(&r->lock);
    if (r->free) {
        p = r->free;
        r->free = *(void **)p;
        goto out;
    }
    if (!r->cur || r->used + REGION_BLOCK > REGION_SIZE) {
        uint8_t *m = region_map(REGION_SIZE);

        if (!m)
            goto out;
        xgrow((void **)&r->maps, &r->capmaps, r->nmaps + 1, sizeof *r->maps);
        r->maps[r->nmaps++] = m;
        r->cur = m;
        r->used = 0;
    }
    p = r->cur + r->used;
    r->used += REGION_BLOCK;
    r->bytes += REGION_BLOCK;
out:
    pthread_mutex_unlock(&r->lock);
    return p;
}

void region_block_free(struct region *r, void *block)
{
    pthread_mutex_lock(&r->lock);
    *(void **)block = r->free;
    r->free = block;
    pthread_mutex_unlock(&r->lock);
}
