/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: a thread-safe source of 64 KiB blocks cut from 2 MiB regions.
 *
 * The ingest's buffer pools and object slabs grow to their peak and stay
 * there; in a virtual machine every 4 KiB page they touch for the first time
 * costs a page fault of several microseconds. Regions are mapped 2 MiB at a
 * time and marked for transparent huge pages, so a region costs one fault.
 * Memory goes back to the system only all together (region_release); a
 * block given back with region_block_free is reused by the next caller.
 */
#ifndef SV_BASE_REGION_H
#define SV_BASE_REGION_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#define REGION_BLOCK (64u * 1024)
#define REGION_SIZE (2u * 1024 * 1024)

struct region {
    pthread_mutex_t lock;
    uint8_t *cur;               /* the region being cut */
    size_t used;                /* bytes of it handed out */
    void **maps;                /* every region mapped */
    size_t nmaps, capmaps;
    uint64_t bytes;             /* bytes handed out in total */
    void *free;                 /* blocks given back, for reuse */
};

void region_init(struct region *r);
void region_release(struct region *r);
/* A REGION_BLOCK-byte block aligned to REGION_BLOCK (contents undefined); NULL on OOM. */
void *region_block(struct region *r);
/* Gives a block back for reuse by any user of the region. */
void region_block_free(struct region *r, void *block);
/* Maps n bytes (rounded up and aligned to REGION_SIZE) for huge pages; see region_unmap. */
void *region_map(size_t n);
void region_unmap(void *p, size_t n);

#endif
