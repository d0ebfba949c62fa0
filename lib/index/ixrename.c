/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: new names for a segment's rows without rebuilding it: the name
 * columns are written anew and every other chunk is copied as it is.
 *
 * Names depend on a history that grows after ingest (passive DNS seen
 * across the whole capture, `names import`), while everything else in a
 * segment is fixed. Re-encoding a segment costs as much as writing it;
 * copying its chunks costs a memcpy (each keeps its CRC in the new
 * directory, checked or not: a corrupt chunk stays one), so re-resolving a
 * store is cheap whatever the size of its bodies; and a segment whose
 * names stay as they are is only read.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/crc32c.h"
#include "base/cur.h"
#include "base/diag.h"
#include "base/fsutil.h"
#include "base/xalloc.h"
#include "entry/entry.h"
#include "index.h"
#include "ix_int.h"
#include "ixread_int.h"
#include "ixvec.h"

static void put_dir(struct ixv *dir, uint32_t col, const struct ix_chunk_dir *c)
{
    ixv_varint(dir, col);
    ixv_u8(dir, c->flags);
    ixv_varint(dir, c->dl);
    ixv_varint(dir, c->dr);
    ixv_varint(dir, c->al);
    ixv_varint(dir, c->ar);
    ixv_varint(dir, c->lo);
    ixv_varint(dir, c->hi);
    ixv_le32(dir, c->crc);
}

/*
 * The new segment as it is written: straight to its file, chunks that stay
 * as they are from the old one's mapping (adjacent ones in one write), so
 * that no copy of the segment is built in memory.
 */
struct wout {
    int fd;
    const char *name;           /* the file, for messages */
    struct diag *d;
    int rc;
    uint64_t off;               /* bytes written, and pending */
    const uint8_t *run;         /* chunk bytes of the old segment waiting to be written */
    size_t nrun;
};

static void wout_flush(struct wout *w)
{
    if (w->nrun > 0 && w->rc == 0)
        w->rc = fs_write_all(w->fd, w->run, w->nrun, w->name, w->d);
    w->nrun = 0;
}

static void wout_put(struct wout *w, const void *p, size_t n)
{
    wout_flush(w);
    if (w->rc == 0)
        w->rc = fs_write_all(w->fd, p, n, w->name, w->d);
    w->off += n;
}

/* Copies chunk ch of s as it is, with its directory entry. */
static void copy_chunk(const struct ix_seg *s, const struct rchunk *ch, struct wout *w,
                       struct ixv *dir)
{
    struct ix_chunk_dir c = { ch->flags, ch->dict_len, ch->dict_raw, ch->data_len, ch->data_raw,
                              ch->lo, ch->hi, ch->crc };
    const uint8_t *p = s->file + ch->dict_off;
    size_t n = ch->dict_len + ch->data_len;

    if (w->nrun > 0 && w->run + w->nrun != p)
        wout_flush(w);
    if (w->nrun == 0)
        w->run = p;
    w->nrun += n;
    w->off += n;
    put_dir(dir, ch->col, &c);
}

/* The names fn gives the rows of loaded block b, and whether one differs from the stored. */
static bool resolve_block(struct ix_seg *s, uint32_t rows, ix_names_fn fn, void *arg,
                          const char **nm, uint8_t *nl)
{
    const uint64_t *ipver = s->lc[IXC_IPVER].u, *sp = s->lc[IXC_SRC_PORT].u;
    const uint64_t *dp = s->lc[IXC_DST_PORT].u, *req = s->lc[IXC_REQ_NS].u;
    const uint64_t *resp = s->lc[IXC_RESP_NS].u;
    bool changed = false;

    for (uint32_t i = 0; i < rows; i++) {
        const char **rn = nm + (size_t)i * ENT_NAMES;
        uint8_t *rl = nl + (size_t)i * ENT_NAMES;
        struct ix_ends e = {
            (uint8_t)ipver[i], ix_col_ip(s, IXC_SRC_IP, i), ix_col_ip(s, IXC_DST_IP, i),
            (uint16_t)sp[i], (uint16_t)dp[i], req[i] ? req[i] : resp[i],
        };

        fn(arg, &e, rn, rl);
        for (int k = 0; k < ENT_NAMES && !changed; k++) {
            const struct lcol *c = &s->lc[IXC_SRC_NAME + k];
            size_t on = c->nu ? c->ds[c->u[i]].n : 0;

            changed = on != rl[k] || (on && memcmp(c->ds[c->u[i]].p, rn[k], on) != 0);
        }
    }
    return changed;
}

int ix_rename(const char *path, const char *dst, ix_names_fn fn, void *arg,
              struct comp_block *z, bool *changed, struct ix_seg_info *info, struct diag *d)
{
    static const int cols[] = { IXC_IPVER, IXC_SRC_PORT, IXC_DST_PORT, IXC_REQ_NS, IXC_RESP_NS,
                                IXC_SRC_IP, IXC_DST_IP, IXC_SRC_NAME, IXC_SRC_NS, IXC_SRC_POD,
                                IXC_SRC_SVC, IXC_SRC_DNS, IXC_DST_NAME, IXC_DST_NS,
                                IXC_DST_POD, IXC_DST_SVC, IXC_DST_DNS };
    struct ixv names = { 0 }, foot = { 0 }, dir = { 0 };
    const char **nm = xcalloc((size_t)IX_BLOCK_ROWS * ENT_NAMES, sizeof *nm);
    uint8_t *nl = xcalloc((size_t)IX_BLOCK_ROWS * ENT_NAMES, 1);
    const char **colp = xcalloc(IX_BLOCK_ROWS, sizeof *colp);   /* one column's names */
    uint8_t *coln = xcalloc(IX_BLOCK_ROWS, 1);
    const char *to = dst ? dst : path;
    struct wout w = { -1, NULL, d, 0, 0, NULL, 0 };
    uint8_t h[IX_HDR_LEN];
    struct ix_seg *s;
    char *tmp = NULL;
    int rc;

    *changed = false;
    rc = ix_open(&s, path, d);
    if (rc < 0)
        goto out;
    *info = s->info;
    /* first only whether a name changes (it usually does in the first rows, or never) */
    for (uint32_t b = 0; b < s->nblk && rc == 0 && !*changed; b++) {
        rc = ix_block_load(s, b, cols, sizeof cols / sizeof *cols, d);
        if (rc == 0)
            *changed = resolve_block(s, s->blk[b].rows, fn, arg, nm, nl);
    }
    if (rc < 0 || !*changed)
        goto out_seg;
    w.fd = fs_open_tmp_beside(to, &tmp, d);
    if (w.fd < 0) {
        rc = w.fd;
        goto out_seg;
    }
    w.name = tmp;
    /* the header as it is, its lengths and checksum written over at the end */
    memcpy(h, s->file, IX_HDR_LEN);
    wout_put(&w, h, IX_HDR_LEN);
    /* the footer: the catalogue as it is, then a directory for the new blocks */
    ixv_put(&foot, s->file + s->foot_off, s->dir_off - s->foot_off);
    for (uint32_t b = 0; b < s->nblk && rc == 0 && w.rc == 0; b++) {
        const struct rblock *k = &s->blk[b];
        uint64_t start = w.off;
        size_t nch = ENT_NAMES;

        rc = ix_block_load(s, b, cols, sizeof cols / sizeof *cols, d);
        if (rc < 0)
            break;
        (void)resolve_block(s, k->rows, fn, arg, nm, nl);
        for (size_t c = 0; c < k->nch; c++)
            nch += k->ch[c].col < IXC_SRC_NAME || k->ch[c].col >= IXC_FIXED_COUNT;
        dir.n = 0;
        ixv_varint(&dir, nch);
        /* chunks in column order: the fixed ones before the names, the names, the sections' */
        for (size_t c = 0; c < k->nch && k->ch[c].col < IXC_SRC_NAME; c++)
            copy_chunk(s, &k->ch[c], &w, &dir);
        names.n = 0;
        for (int j = 0; j < ENT_NAMES; j++) {
            struct ix_chunk_dir cd;

            for (uint32_t i = 0; i < k->rows; i++) {
                colp[i] = nm[(size_t)i * ENT_NAMES + (size_t)j];
                coln[i] = nl[(size_t)i * ENT_NAMES + (size_t)j];
            }
            ix_put_dict_chunk(z, colp, coln, k->rows, &names, &cd);
            put_dir(&dir, (uint32_t)(IXC_SRC_NAME + j), &cd);
        }
        wout_put(&w, names.p, names.n);
        for (size_t c = 0; c < k->nch; c++) {
            if (k->ch[c].col >= IXC_FIXED_COUNT)
                copy_chunk(s, &k->ch[c], &w, &dir);
        }
        ixv_varint(&foot, k->rows);
        ixv_varint(&foot, k->t0);
        ixv_varint(&foot, k->t1);
        ixv_varint(&foot, w.off - start);
        ixv_put(&foot, dir.p, dir.n);
    }
    if (rc < 0)
        goto out_tmp;
    ixv_le32(&foot, crc32c(0, foot.p, foot.n));
    st_le64(h + 40, w.off);
    st_le32(h + 48, (uint32_t)foot.n);
    st_le32(h + 60, crc32c(0, h, 60));
    wout_put(&w, foot.p, foot.n);
    if (w.rc == 0)
        w.rc = fs_pwrite_all(w.fd, h, IX_HDR_LEN, 0, tmp, d);
    rc = w.rc;
    if (close(w.fd) < 0 && rc == 0)
        rc = diag_errno(d, SV_EIO, errno, "%s: close", tmp);
    w.fd = -1;
    if (rc == 0) {
        rc = fs_commit_staged(tmp, to, d);
        tmp = NULL;
        if (rc == 0)
            info->bytes = w.off;
    }

out_tmp:
    if (w.fd >= 0)
        close(w.fd);
    if (tmp)
        fs_abort_staged(tmp);
out_seg:
    ix_close(s);
out:
    ixv_free(&names);
    ixv_free(&foot);
    ixv_free(&dir);
    free(nm);
    free(nl);
    free(colp);
    free(coln);
    return rc;
}
