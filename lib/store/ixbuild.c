/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: the last step of ingest: the node's entry index segments, built
 * in parallel from the buckets' entry records, which are then dropped.
 *
 * A bucket's records are in memory, or, past ENTBUF_KEEP, partly in its
 * entries file (the older ones). The buckets are split into
 * STORE_INDEX_GROUPS fixed groups; each group's entries (its buckets'
 * records in bucket order) are cut into segments of at
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

/*
 * zstd level of the index: 1 packs the columns as small as 3 (measured on
 * the 1 GiB gencap capture: 19.16 against 19.24 MB) in less time.
 */
#define INDEX_ZSTD_LEVEL 1

/* A record waiting for a segment: in the bucket's memory, or at off in the group's recs. */
struct rref {
    const uint8_t *mem;
    size_t off;
};

struct group {
    uint32_t id;
    struct store_segment_info *seg;
    size_t nseg, capseg;
    struct buf recs;            /* records read from entries files */
    struct rref *ref;           /* the records waiting, in order */
    size_t nrec, caprec;
    size_t bytes;               /* their bytes */
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
        recs[i] = g->ref[i].mem ? g->ref[i].mem : g->recs.data + g->ref[i].off;
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
    g->bytes = 0;
    buf_reset(&g->recs);
    return 0;
}

/* Adds a record (n bytes) to the group, and writes a segment when one is full. */
static int add_record(const struct split *sp, struct group *g, const uint8_t *mem, size_t off,
                      size_t n)
{
    xgrow((void **)&g->ref, &g->caprec, g->nrec + 1, sizeof *g->ref);
    g->ref[g->nrec++] = (struct rref){ mem, off };
    g->bytes += n;
    if (g->nrec == STORE_SEGMENT_ROWS || g->bytes >= STORE_SEGMENT_BYTES)
        return flush_segment(sp, g);
    return 0;
}

/* The records of a bucket still in memory. */
static int add_memory(const struct split *sp, struct group *g, uint32_t bucket)
{
    const struct buf *e = &sp->b[bucket].ents;
    int rc = 0;

    for (size_t pos = 0; pos < e->len && rc == 0;) {
        /* only the length: the index writer checks the records */
        long n = ent_record_len(e->data + pos, e->len - pos);

        if (n <= 0)
            return diag_set(&g->d, SV_EFORMAT, "bucket %02x: corrupt entry record in memory",
                            bucket);
        rc = add_record(sp, g, e->data + pos, 0, (size_t)n);
        pos += (size_t)n;
    }
    return rc;
}

/* Feeds one bucket's entries file to the group, a segment whenever one is full. */
static int read_file(const struct split *sp, struct group *g, uint32_t bucket)
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
    /* records are read in pieces; after a segment is written, the piece not yet used moves down */
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
            long n = ent_record_len(g->recs.data + pos, g->recs.len - pos);
            size_t tail, nseg = g->nseg;

            if (n < 0) {
                rc = diag_set(&g->d, SV_EFORMAT, "%s: corrupt entry record", path);
                break;
            }
            if (n == 0)
                break;
            tail = g->recs.len - pos - (size_t)n;
            /* a segment written empties recs: keep the bytes read after this record */
            g->recs.len = pos + (size_t)n;
            rc = add_record(sp, g, NULL, pos, (size_t)n);
            if (rc < 0)
                break;
            if (g->nseg != nseg) {
                memmove(g->recs.data, g->recs.data + pos + (size_t)n, tail);
                g->recs.len = tail;
                pos = 0;
            } else {
                g->recs.len += tail;
                pos += (size_t)n;
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
        for (uint32_t b = i * per; b < (i + 1) * per && k->rc == 0; b++) {
            /* with --keep-entries the files hold every record, and the memory none */
            k->rc = read_file(sp, k, b);
            if (k->rc == 0 && !sp->o->keep_entries)
                k->rc = add_memory(sp, k, b);
        }
        if (k->rc == 0)
            k->rc = flush_segment(sp, k);
        comp_block_free(k->z);
        buf_release(&k->recs);
        free(k->ref);
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
