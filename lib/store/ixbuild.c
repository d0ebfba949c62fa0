/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: the entry index, written as ingest goes: each pack bucket's
 * writer task adds the entries of every batch it wrote to the bucket's
 * current index segment, while they are still in the cache.
 *
 * A bucket's segments hold its entries in the order its dissectors emitted
 * them, which depends on the packets alone, and a segment ends at
 * STORE_SEGMENT_ROWS rows or STORE_SEGMENT_BYTES bytes of records: so the
 * segments are the same at any -j. Nothing is buffered beyond one block
 * per bucket (lib/index bounds a block's rows and bytes), and no record is
 * written to disk and read back. Segments are named "<node>-<bucket>-<n>"
 * and listed in store.json in bucket order.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/diag.h"
#include "base/fsutil.h"
#include "base/xalloc.h"
#include "compress/compress.h"
#include "entry/entry.h"
#include "index/index.h"
#include "split_int.h"
#include "store_int.h"

/*
 * zstd level of the index: 1 packs the columns as small as 3 (measured on
 * the 1 GiB gencap capture: 19.16 against 19.24 MB) in less time.
 */
#define INDEX_ZSTD_LEVEL 1

/*
 * Closes the bucket's segment, listing it; at the end of ingest (names: the
 * sealed history, else NULL) the rows of its last block are named first.
 */
static int close_segment(struct split *sp, struct bucket *b, struct names *names)
{
    struct store_segment_info *si;
    struct ix_seg_info info;
    bool named = false;
    int rc;

    if (!b->ix)
        return 0;
    if (names)
        named = ix_writer_name(b->ix, swr_name_row, names);
    xgrow((void **)&b->seg, &b->capseg, b->nseg + 1, sizeof *b->seg);
    si = &b->seg[b->nseg];
    memset(si, 0, sizeof *si);
    rc = ix_writer_close(b->ix, &info, &b->d);
    b->ix = NULL;
    b->ix_bytes = 0;
    if (rc < 0)
        return rc;
    si->name = fs_printf("%s-%02x-%04zu", sp->o->node_name, b->id, b->nseg);
    si->rows = info.rows;
    si->bytes = info.bytes;
    si->blocks = info.blocks;
    si->first_ns = info.first_ns;
    si->last_ns = info.last_ns;
    si->named = named;
    b->nseg++;
    return 0;
}

/* Opens the bucket's next segment. */
static int open_segment(struct split *sp, struct bucket *b)
{
    char *dir = fs_printf("%s/%s/%s-%02x-%04zu", sp->tmp_root, STORE_INDEX_DIR,
                          sp->o->node_name, b->id, b->nseg);
    char *path = fs_join(dir, IX_SEGMENT_FILE);
    int rc = fs_mkdirs(dir, &b->d);

    if (!b->zc)
        b->zc = comp_block_new(INDEX_ZSTD_LEVEL);
    if (rc == 0) {
        b->ix = ix_writer_new(path, sp->o->node_name, b->zc, &b->d);
        if (!b->ix)
            rc = SV_EIO;
    }
    free(path);
    free(dir);
    return rc;
}

int swr_index_batch(struct split *sp, struct bucket *b)
{
    int rc = 0;

    for (size_t pos = 0; pos < b->ents.len && rc == 0;) {
        struct ent_view v;
        long n = ent_parse(b->ents.data + pos, b->ents.len - pos, &v);

        if (n <= 0)
            return diag_set(&b->d, SV_EFORMAT, "bucket %02x: corrupt entry record", b->id);
        if (!b->ix)
            rc = open_segment(sp, b);
        if (rc == 0)
            rc = ix_writer_add(b->ix, &v, &b->d);
        swr_names_batch(b, &v);
        b->ix_bytes += (uint64_t)n;
        if (rc == 0 && (ix_writer_rows(b->ix) >= STORE_SEGMENT_ROWS ||
                        b->ix_bytes >= STORE_SEGMENT_BYTES))
            rc = close_segment(sp, b, NULL);
        pos += (size_t)n;
    }
    return rc;
}

int swr_index_finish(struct split *sp, struct store_ingest_result *res, struct diag *d)
{
    int rc = 0;

#pragma omp parallel for schedule(dynamic, 1)
    for (uint32_t t = 0; t < STORE_BUCKETS; t++) {
        struct bucket *b = &sp->b[t];

        if (b->rc == 0)
            b->rc = close_segment(sp, b, sp->names);
    }
    for (uint32_t t = 0; t < STORE_BUCKETS; t++) {
        struct bucket *b = &sp->b[t];

        if (b->rc < 0 && rc == 0) {
            *d = b->d;
            rc = b->rc;
        }
        for (size_t k = 0; k < b->nseg; k++) {
            xgrow((void **)&res->segments, &res->capsegments, res->nsegments + 1,
                  sizeof *res->segments);
            res->segments[res->nsegments++] = b->seg[k];
        }
        b->nseg = 0;
    }
    return rc;
}
