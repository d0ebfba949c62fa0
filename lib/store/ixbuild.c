/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: the last step of ingest: the node's entry index segments, built
 * in parallel from the buckets' entry files, which are then removed.
 *
 * The buckets are split into STORE_INDEX_GROUPS fixed groups; each group's
 * entries (its buckets' files in bucket order) are cut into segments of at
 * most STORE_SEGMENT_ROWS rows and STORE_SEGMENT_BYTES bytes of records. So
 * which entries share a segment depends on the traffic alone, and a group's
 * memory is bounded whatever the capture's size. Segments are named
 * "<node>-<group>-<n>" and listed in store.json in group order.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

/* zstd level of the index: 3 (zstd's default) packs well at ~300 MB/s a core. */
#define INDEX_ZSTD_LEVEL 3

struct group {
    uint32_t id;
    struct store_segment_info *seg;
    size_t nseg, capseg;
    struct buf recs;            /* records waiting for a segment */
    size_t *off;                /* where each one starts in recs */
    size_t nrec, caprec;
    struct comp_block *z;
    int rc;
    struct diag d;
};

/* Writes the records gathered so far as the group's next segment. */
static int flush_segment(const struct split *sp, struct group *g)
{
    const char *node = sp->o->node_name;
    struct store_segment_info *si;
    const uint8_t **recs;
    struct ix_seg_info info;
    char *dir, *path;
    int rc;

    if (g->nrec == 0)
        return 0;
    xgrow((void **)&g->seg, &g->capseg, g->nseg + 1, sizeof *g->seg);
    si = &g->seg[g->nseg];
    memset(si, 0, sizeof *si);
    si->name = fs_printf("%s-%02x-%04zu", node, g->id, g->nseg);
    dir = fs_printf("%s/%s/%s", sp->tmp_root, STORE_INDEX_DIR, si->name);
    rc = fs_mkdirs(dir, &g->d);
    path = fs_join(dir, IX_SEGMENT_FILE);
    recs = xcalloc(g->nrec, sizeof *recs);
    for (size_t i = 0; i < g->nrec; i++)
        recs[i] = g->recs.data + g->off[i];
    if (rc == 0)
        rc = ix_write_segment(path, node, recs, g->nrec, g->z, &info, &g->d);
    free(recs);
    free(path);
    free(dir);
    if (rc < 0) {
        free(si->name);
        return rc;
    }
    si->rows = info.rows;
    si->bytes = info.bytes;
    si->blocks = info.blocks;
    si->first_ns = info.first_ns;
    si->last_ns = info.last_ns;
    g->nseg++;
    g->nrec = 0;
    buf_reset(&g->recs);
    return 0;
}

/* Feeds one bucket's entries file to the group, a segment whenever one is full. */
static int read_bucket(const struct split *sp, struct group *g, uint32_t bucket)
{
    char *path = store_entries_path(sp->node_dir, bucket);
    uint64_t at = STORE_ENT_MAGIC_LEN;
    size_t pos;
    struct stat st;
    int fd, rc = 0;

    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        rc = errno == ENOENT ? 0 : diag_errno(&g->d, SV_EIO, errno, "%s", path);
        free(path);
        return rc;
    }
    if (fstat(fd, &st) < 0) {
        rc = diag_errno(&g->d, SV_EIO, errno, "%s", path);
        goto out;
    }
    /* records are read in pieces, each at most a segment's bytes plus one record */
    pos = g->recs.len;
    while (rc == 0 && at < (uint64_t)st.st_size) {
        size_t want = (size_t)((uint64_t)st.st_size - at);
        uint8_t *p;

        if (want > (4u << 20))
            want = 4u << 20;
        p = buf_reserve(&g->recs, want);
        if (!p) {
            rc = diag_set(&g->d, SV_ENOMEM, "%s: out of memory", path);
            break;
        }
        rc = fs_pread_all(fd, p, want, (off_t)at, path, &g->d);
        if (rc < 0)
            break;
        g->recs.len += want;
        at += want;
        for (;;) {
            /* only the length: the index writer checks the records */
            long n = ent_record_len(g->recs.data + pos, g->recs.len - pos);

            if (n < 0) {
                rc = diag_set(&g->d, SV_EFORMAT, "%s: corrupt entry record", path);
                break;
            }
            if (n == 0)
                break;
            xgrow((void **)&g->off, &g->caprec, g->nrec + 1, sizeof *g->off);
            g->off[g->nrec++] = pos;
            pos += (size_t)n;
            if (g->nrec == STORE_SEGMENT_ROWS || pos >= STORE_SEGMENT_BYTES) {
                /* keep the bytes of a record not yet whole */
                size_t tail = g->recs.len - pos;

                g->recs.len = pos;
                if ((rc = flush_segment(sp, g)) < 0)
                    break;
                memmove(g->recs.data, g->recs.data + pos, tail);
                g->recs.len = tail;
                pos = 0;
            }
        }
    }
    if (rc == 0 && pos != g->recs.len)
        rc = diag_set(&g->d, SV_EFORMAT, "%s: the last entry record is cut short", path);
out:
    close(fd);
    free(path);
    return rc;
}

int swr_build_index(struct split *sp, struct store_ingest_result *res, struct diag *d)
{
    struct group *g = xcalloc(STORE_INDEX_GROUPS, sizeof *g);
    const uint32_t per = STORE_BUCKETS / STORE_INDEX_GROUPS;
    int rc = 0;

#pragma omp parallel for schedule(dynamic, 1)
    for (uint32_t i = 0; i < STORE_INDEX_GROUPS; i++) {
        struct group *k = &g[i];

        k->id = i;
        diag_clear(&k->d);
        buf_init(&k->recs, SIZE_MAX);
        k->z = comp_block_new(INDEX_ZSTD_LEVEL);
        for (uint32_t b = i * per; b < (i + 1) * per && k->rc == 0; b++)
            k->rc = read_bucket(sp, k, b);
        if (k->rc == 0)
            k->rc = flush_segment(sp, k);
        comp_block_free(k->z);
        buf_release(&k->recs);
        free(k->off);
    }
    for (uint32_t i = 0; i < STORE_INDEX_GROUPS; i++) {
        if (g[i].rc < 0 && rc == 0) {
            *d = g[i].d;
            rc = g[i].rc;
        }
        for (size_t k = 0; k < g[i].nseg; k++) {
            xgrow((void **)&res->segments, &res->capsegments, res->nsegments + 1,
                  sizeof *res->segments);
            res->segments[res->nsegments++] = g[i].seg[k];
        }
        free(g[i].seg);
    }
    free(g);
    if (rc == 0 && !sp->o->keep_entries) {
        char *dir = fs_join(sp->node_dir, "entries");

        rc = fs_rmtree(dir, d);
        free(dir);
    }
    return rc;
}
