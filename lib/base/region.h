/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: a thread-safe source of 64 KiB blocks cut from 2 MiB regions.
 *
 * The ingest's buffer pools and object slabs grow to their peak and stay
 * there; in a virtual machine every 4 KiB page they touch for the first time
 * costs a page fault of several microseconds. Regions are mapped 2 MiB at a
 * time and marked for transparent huge pages, so a region costs one fault.
 * Blocks are returned only all together (region_release).
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
};

void region_init(struct region *r);
void region_release(struct region *r);
/* A REGION_BLOCK-byte block aligned to REGION_BLOCK (zero-filled: fresh pages); NULL on OOM. */
void *region_block(struct region *r);
/* Maps n bytes (rounded up to REGION_SIZE, aligned to it) advised for huge pages; free with region_unmap. */
void *region_map(size_t n);
void region_unmap(void *p, size_t n);

#endif
