/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: the entry index, written as ingest goes: a task per group of
 * IX_GROUP_BUCKETS pack buckets adds the entries its buckets emitted in a
 * batch to the group's current index segment, while the buckets write the
 * next batch.
 *
 * A group's segments hold its buckets' entries in the order of the events
 * that emitted them (each bucket's in the order its dissectors emitted
 * them), which depends on the packets alone, whatever the batches and the
 * threads; a segment ends at STORE_SEGMENT_ROWS rows or STORE_SEGMENT_BYTES
 * bytes of records: so the segments are the same at any -j. Nothing is
 * buffered beyond a batch's entries per bucket and one block per group
 * (lib/index bounds a block's rows and bytes), and no record is written to
 * disk and read back. Eight groups, not one per bucket: 64 writers held a
 * block each (a quarter of what ingest of the 1 GiB gencap capture held in
 * memory), none of them full by the end, and a query opened 64 segments.
 * Segments are named "<node>-<group>-<n>" and listed in store.json in group
 * order.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
 * Closes the group's segment, listing it; at the end of ingest (names: the
 * sealed history, else NULL) the rows of its last block are named first.
 */
static int close_segment(struct split *sp, struct ixgroup *g, struct names *names)
{
    struct store_segment_info *si;
    struct ix_seg_info info;
    bool named = false;
    int rc;

    if (!g->ix)
        return 0;
    if (names)
        named = ix_writer_name(g->ix, swr_name_row, names);
    xgrow((void **)&g->seg, &g->capseg, g->nseg + 1, sizeof *g->seg);
    si = &g->seg[g->nseg];
    memset(si, 0, sizeof *si);
    rc = ix_writer_close(g->ix, &info, &g->d);
    g->ix = NULL;
    g->ix_bytes = 0;
    if (rc < 0)
        return rc;
    si->name = fs_printf("%s-%02x-%04zu", sp->o->node_name, g->id, g->nseg);
    si->rows = info.rows;
    si->bytes = info.bytes;
    si->blocks = info.blocks;
    si->first_ns = info.first_ns;
    si->last_ns = info.last_ns;
    si->named = named;
    g->nseg++;
    return 0;
}

/* Opens the group's next segment. */
static int open_segment(struct split *sp, struct ixgroup *g)
{
    char *dir = fs_printf("%s/%s/%s-%02x-%04zu", sp->tmp_root, STORE_INDEX_DIR,
                          sp->o->node_name, g->id, g->nseg);
    char *path = fs_join(dir, IX_SEGMENT_FILE);
    int rc = fs_mkdirs(dir, &g->d);

    if (!g->zc)
        g->zc = comp_block_new(INDEX_ZSTD_LEVEL);
    if (rc == 0) {
        g->ix = ix_writer_new(path, sp->o->node_name, g->zc, &g->d);
        if (!g->ix)
            rc = SV_EIO;
    }
    free(path);
    free(dir);
    return rc;
}

/*
 * Appends a batch's entry records to the bucket's entries file (ingest
 * --keep-entries). The file is opened for each batch and closed again, so
 * that open files stay bounded by the packs, not doubled by 64 entries files.
 */
static int ent_flush(struct split *sp, struct bucket *b, const struct buf *ents, struct diag *d)
{
    bool create = b->ent_path == NULL;
    int fd, rc = 0;

    if (ents->len == 0)
        return 0;
    if (create)
        b->ent_path = store_entries_path(sp->node_dir, b->id);
    fd = swr_open_out(b->ent_path, create, d);
    if (fd < 0)
        return fd;
    if (create)
        rc = fs_write_all(fd, STORE_ENT_MAGIC, STORE_ENT_MAGIC_LEN, b->ent_path, d);
    if (rc == 0)
        rc = fs_write_all(fd, ents->data, ents->len, b->ent_path, d);
    if (close(fd) < 0 && rc == 0)
        rc = diag_errno(d, SV_EIO, errno, "%s: close", b->ent_path);
    return rc;
}

/* Adds the records of ents[from, to) (bucket b's) to the group's segment. */
static int add_records(struct split *sp, struct ixgroup *g, struct bucket *b,
                       const struct buf *ents, size_t from, size_t to)
{
    int rc = 0;

    for (size_t pos = from; pos < to && rc == 0;) {
        struct ent_view v;
        long n = ent_parse(ents->data + pos, to - pos, &v);

        if (n <= 0)
            return diag_set(&g->d, SV_EFORMAT, "bucket %02x: corrupt entry record", b->id);
        if (!g->ix)
            rc = open_segment(sp, g);
        if (rc == 0)
            rc = ix_writer_add(g->ix, &v, &g->d);
        swr_names_batch(b, &v);
        g->ix_bytes += (uint64_t)n;
        if (rc == 0 && (ix_writer_rows(g->ix) >= STORE_SEGMENT_ROWS ||
                        g->ix_bytes >= STORE_SEGMENT_BYTES))
            rc = close_segment(sp, g, NULL);
        pos += (size_t)n;
    }
    return rc;
}

void swr_index_group(struct split *sp, struct ixgroup *g, int k)
{
    struct bucket *bs = &sp->b[g->id * IX_GROUP_BUCKETS];
    size_t at[IX_GROUP_BUCKETS] = { 0 }, pos[IX_GROUP_BUCKETS] = { 0 };

    /* the buckets' runs merged by the number of the event that emitted them */
    while (g->rc == 0) {
        uint32_t best = IX_GROUP_BUCKETS;

        for (uint32_t j = 0; j < IX_GROUP_BUCKETS; j++)
            if (at[j] < bs[j].nruns[k] &&
                (best == IX_GROUP_BUCKETS ||
                 seq_before(bs[j].runs[k][at[j]].seq, bs[best].runs[k][at[best]].seq)))
                best = j;
        if (best == IX_GROUP_BUCKETS)
            break;
        g->rc = add_records(sp, g, &bs[best], &bs[best].ents[k], pos[best],
                            bs[best].runs[k][at[best]].end);
        pos[best] = bs[best].runs[k][at[best]].end;
        at[best]++;
    }
    for (uint32_t j = 0; j < IX_GROUP_BUCKETS; j++) {
        if (g->rc == 0 && sp->o->keep_entries)
            g->rc = ent_flush(sp, &bs[j], &bs[j].ents[k], &g->d);
        buf_reset(&bs[j].ents[k]);
        bs[j].nruns[k] = 0;
    }
}

int swr_index_finish(struct split *sp, struct store_ingest_result *res, struct diag *d)
{
    int rc = 0;

#pragma omp parallel for schedule(dynamic, 1)
    for (uint32_t i = 0; i < IX_GROUPS; i++) {
        struct ixgroup *g = &sp->g[i];

        if (g->rc == 0)
            g->rc = close_segment(sp, g, sp->names);
    }
    for (uint32_t i = 0; i < IX_GROUPS; i++) {
        struct ixgroup *g = &sp->g[i];

        if (g->rc < 0 && rc == 0) {
            *d = g->d;
            rc = g->rc;
        }
        for (size_t k = 0; k < g->nseg; k++) {
            xgrow((void **)&res->segments, &res->capsegments, res->nsegments + 1,
                  sizeof *res->segments);
            res->segments[res->nsegments++] = g->seg[k];
        }
        g->nseg = 0;
    }
    return rc;
}
