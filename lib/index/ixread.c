/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: reading an index segment: validate the header, footer and block
 * directory at open; per block, read and check the CRC of the chunks asked
 * for only, decompress them, check every code and count, and rebuild
 * records or serve scans.
 *
 * Nothing read from the file is used before it is checked: offsets and
 * lengths against what holds them, codes against their dictionaries, and
 * the values the rows' shapes take from each column against what the
 * column holds. After ix_block_load() succeeds, rebuilding rows cannot read
 * out of bounds.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/crc32c.h"
#include "base/cur.h"
#include "base/diag.h"
#include "base/fsutil.h"
#include "base/hash.h"
#include "compress/compress.h"
#include "entry/entry.h"
#include "index.h"
#include "ix_int.h"
#include "ixread_int.h"
#include "ixvec.h"
#include "streamvault.h"

/* MAP_POPULATE (Linux) maps the file's cached pages at once; elsewhere they fault in. */
#ifndef MAP_POPULATE
#define MAP_POPULATE 0
#endif

int ix_corrupt(struct diag *d, const struct ix_seg *s, size_t off, const char *what)
{
    return diag_set(d, SV_EFORMAT, "%s: offset %zu: corrupt index segment: %s", s->name, off,
                    what);
}

/* ------------------------------------------------------------------ opening */

static bool rd_size(struct ixr *r, size_t max, size_t *out)
{
    uint64_t v = ixr_varint(r);

    if (r->bad || v > max)
        return false;
    *out = (size_t)v;
    return true;
}

/* A column's identity across segments: its kind, section and name. */
static uint64_t col_key(const struct ix_seg *s, size_t i)
{
    return hash_bytes(s->cname[i], s->cnamelen[i], (uint64_t)s->kind[i] << 8 | s->sec[i]);
}

struct slot_key {
    uint64_t key;
    size_t slot;
};

static int by_key(const void *a, const void *b)
{
    const struct slot_key *x = a, *y = b;

    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return (x->slot > y->slot) - (x->slot < y->slot);
}

/*
 * Gives each column of the catalogue just parsed its state (s->lc): the
 * state a column of the same kind, section and name had in the segment
 * closed before on the same ix_filebuf (open_seg moved it here), else a
 * slot no column matched, else a fresh one. Its arrays then already have
 * about the size this column needs, in pages already in memory. Slots no
 * column takes are kept, past ncols, for the segments after.
 */
static void adopt_columns(struct ix_seg *s)
{
    size_t nold = s->caplc, n = s->ncols > nold ? s->ncols : nold, free_at = 0;
    struct lcol *old = s->lc;
    uint64_t *oldkey = s->lckey;
    struct slot_key *ord;
    bool *taken, *got;

    s->lc = xcalloc(n, sizeof *s->lc);
    s->lckey = xcalloc(n, sizeof *s->lckey);
    s->caplc = n;
    for (size_t i = 0; i < s->ncols; i++)
        s->lckey[i] = col_key(s, i);
    if (nold == 0)
        return;
    ord = xcalloc(nold, sizeof *ord);
    taken = xcalloc(nold, sizeof *taken);
    got = xcalloc(n, sizeof *got);
    for (size_t j = 0; j < nold; j++)
        ord[j] = (struct slot_key){ oldkey[j], j };
    qsort(ord, nold, sizeof *ord, by_key);
    for (size_t i = 0; i < s->ncols; i++) {
        size_t lo = 0, hi = nold;

        while (lo < hi) {
            size_t mid = (lo + hi) / 2;

            if (ord[mid].key < s->lckey[i])
                lo = mid + 1;
            else
                hi = mid;
        }
        for (; lo < nold && ord[lo].key == s->lckey[i]; lo++) {
            if (!taken[ord[lo].slot]) {
                s->lc[i] = old[ord[lo].slot];
                taken[ord[lo].slot] = got[i] = true;
                break;
            }
        }
    }
    /* the rest, in slot order: first to columns without a match, then past ncols */
    for (size_t j = 0; j < nold; j++) {
        if (taken[j])
            continue;
        while (got[free_at])
            free_at++;
        s->lc[free_at] = old[j];
        if (free_at >= s->ncols)
            s->lckey[free_at] = oldkey[j];
        got[free_at] = true;
    }
    for (size_t i = 0; i < n; i++) {
        s->lc[i].loaded = false;
        s->lc[i].first_ok = false;
    }
    free(got);
    free(taken);
    free(ord);
    free(old);
    free(oldkey);
}

static int parse_catalogue(struct ix_seg *s, struct ixr *r, size_t base, struct diag *d)
{
    size_t n;
    const uint8_t *p;

    p = ixr_str(r, &n);
    if (!p || n == 0 || n > 255 || memchr(p, 0, n))
        return ix_corrupt(d, s, base, "bad node name");
    s->node = xmalloc(n + 1);
    memcpy(s->node, p, n);
    s->node[n] = 0;
    if (!rd_size(r, IX_MAX_COLS, &s->ncols) || s->ncols < IXC_FIXED_COUNT)
        return ix_corrupt(d, s, (size_t)(r->p - s->file), "bad column count");
    s->kind = xcalloc(s->ncols, 1);
    s->sec = xcalloc(s->ncols, 1);
    s->cname = xcalloc(s->ncols, sizeof *s->cname);
    s->cnamelen = xcalloc(s->ncols, sizeof *s->cnamelen);
    for (size_t i = 0; i < s->ncols; i++) {
        size_t at = (size_t)(r->p - s->file);

        if ((size_t)(r->end - r->p) < 2)
            return ix_corrupt(d, s, at, "column catalogue cut short");
        s->kind[i] = *r->p++;
        s->sec[i] = *r->p++;
        s->cname[i] = ixr_str(r, &s->cnamelen[i]);
        if (r->bad)
            return ix_corrupt(d, s, at, "column catalogue cut short");
        if (i < IXC_FIXED_COUNT) {
            const struct ix_fixed_def *f = &ix_fixed_cols[i];
            /* format 3 kept the packet numbers as plain numbers */
            uint8_t kind = s->version < 4 && (i == IXC_RESP_PKT || i == IXC_LAST_PKT) ? IXK_U
                                                                                     : f->kind;

            if (s->kind[i] != kind || s->sec[i] != f->section ||
                s->cnamelen[i] != strlen(f->name) || memcmp(s->cname[i], f->name, strlen(f->name)))
                return ix_corrupt(d, s, at, "the fixed columns are not the expected ones");
        } else if ((s->kind[i] != IXK_LEAF && s->kind[i] != IXK_MAP) || s->sec[i] > IX_SEC_RESP) {
            return ix_corrupt(d, s, at, "bad column kind");
        }
    }
    adopt_columns(s);
    if (!rd_size(r, IX_MAX_NAMES, &s->nnames))
        return ix_corrupt(d, s, (size_t)(r->p - s->file), "bad header-name count");
    s->names = xcalloc(s->nnames ? s->nnames : 1, sizeof *s->names);
    s->namelen = xcalloc(s->nnames ? s->nnames : 1, sizeof *s->namelen);
    for (size_t i = 0; i < s->nnames; i++) {
        s->names[i] = ixr_str(r, &s->namelen[i]);
        if (r->bad || s->namelen[i] > 255)
            return ix_corrupt(d, s, (size_t)(r->p - s->file), "bad header name");
    }
    return 0;
}

static bool has_dict(uint8_t kind)
{
    return kind == IXK_DICT || kind == IXK_LEAF || kind == IXK_MAP;
}

static int parse_blocks(struct ix_seg *s, struct ixr *r, size_t footer_off, struct diag *d)
{
    size_t off = IX_HDR_LEN;
    uint64_t rows = 0;

    s->blk = xcalloc(s->nblk ? s->nblk : 1, sizeof *s->blk);
    for (uint32_t b = 0; b < s->nblk; b++) {
        struct rblock *k = &s->blk[b];
        size_t at = (size_t)(r->p - s->file), sum = 0, len;
        long prev = -1;

        if (!rd_size(r, IX_BLOCK_ROWS, &len) || len == 0)
            return ix_corrupt(d, s, at, "bad block row count");
        k->rows = (uint32_t)len;
        k->t0 = ixr_varint(r);
        k->t1 = ixr_varint(r);
        if (!rd_size(r, footer_off - off, &k->len))
            return ix_corrupt(d, s, at, "bad block length");
        k->off = off;
        if (!rd_size(r, s->ncols, &k->nch))
            return ix_corrupt(d, s, at, "bad chunk count");
        k->ch = xcalloc(k->nch ? k->nch : 1, sizeof *k->ch);
        for (size_t c = 0; c < k->nch; c++) {
            struct rchunk *ch = &k->ch[c];
            size_t col;

            if (!rd_size(r, s->ncols - 1, &col) || (long)col <= prev || r->p >= r->end)
                return ix_corrupt(d, s, at, "bad chunk column");
            prev = (long)col;
            ch->col = (uint32_t)col;
            ch->flags = *r->p++;
            if (ch->flags > (IXC_DICT_ZSTD | IXC_DATA_ZSTD) ||
                !rd_size(r, k->len, &ch->dict_len) || !rd_size(r, IX_PART_MAX, &ch->dict_raw) ||
                !rd_size(r, k->len, &ch->data_len) || !rd_size(r, IX_PART_MAX, &ch->data_raw))
                return ix_corrupt(d, s, at, "bad chunk sizes");
            ch->lo = ixr_varint(r);
            ch->hi = ixr_varint(r);
            if (r->bad || (size_t)(r->end - r->p) < 4)
                return ix_corrupt(d, s, at, "bad chunk sizes");
            ch->crc = ld_le32(r->p);
            r->p += 4;
            if ((!has_dict(s->kind[col]) && (ch->dict_len || ch->dict_raw)) ||
                (!(ch->flags & IXC_DICT_ZSTD) && ch->dict_len != ch->dict_raw) ||
                (!(ch->flags & IXC_DATA_ZSTD) && ch->data_len != ch->data_raw) ||
                ch->dict_len > k->len - sum || ch->data_len > k->len - sum - ch->dict_len)
                return ix_corrupt(d, s, at, "bad chunk sizes");
            ch->dict_off = off + sum;
            ch->data_off = ch->dict_off + ch->dict_len;
            sum += ch->dict_len + ch->data_len;
        }
        if (sum != k->len)
            return ix_corrupt(d, s, at, "chunks do not fill their block");
        /* every row has its fixed fields and shapes */
        if (k->nch < IXC_REQ_RAW)
            return ix_corrupt(d, s, at, "a fixed column is missing from a block");
        for (size_t c = 0; c < IXC_REQ_RAW; c++) {
            if (k->ch[c].col != c)
                return ix_corrupt(d, s, at, "a fixed column is missing from a block");
        }
        off += k->len;
        rows += k->rows;
    }
    if (off != footer_off)
        return ix_corrupt(d, s, (size_t)(r->p - s->file), "blocks do not fill the segment");
    if (rows != s->info.rows)
        return ix_corrupt(d, s, 16, "row count does not match the blocks");
    if (r->p != r->end)
        return ix_corrupt(d, s, (size_t)(r->p - s->file), "bytes after the block directory");
    return 0;
}

/*
 * A fuzzing build does not enforce the checksums (libFuzzer's convention):
 * mutations must reach the checks behind them.
 */
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
#define crc_bad(have, want) ((void)(have), (void)(want), false)
#else
#define crc_bad(have, want) ((have) != (want))
#endif

static int parse(struct ix_seg *s, struct diag *d)
{
    const uint8_t *h = s->file;
    uint64_t foff, flen;
    struct ixr r;
    int rc;

    s->cur = -1;
    if (s->size < IX_HDR_LEN || memcmp(h, IX_MAGIC, IX_MAGIC_LEN) != 0)
        return ix_corrupt(d, s, 0, "not an index segment (bad magic)");
    if (crc_bad(ld_le32(h + 60), crc32c(0, h, 60)))
        return ix_corrupt(d, s, 60, "header checksum mismatch");
    if (ld_le32(h + 8) < IX_VERSION_MIN || ld_le32(h + 8) > IX_VERSION)
        return diag_set(d, SV_EFORMAT,
                        "%s: offset 8: index format %u, this build reads %u to %u: re-ingest",
                        s->name, ld_le32(h + 8), IX_VERSION_MIN, IX_VERSION);
    s->version = ld_le32(h + 8);
    s->info.rows = ld_le64(h + 16);
    s->info.first_ns = ld_le64(h + 24);
    s->info.last_ns = ld_le64(h + 32);
    foff = ld_le64(h + 40);
    flen = ld_le32(h + 48);
    s->nblk = ld_le32(h + 52);
    s->info.blocks = s->nblk;
    s->info.bytes = s->size;
    if (foff < IX_HDR_LEN || flen < 4 || foff > s->size || flen != s->size - foff)
        return ix_corrupt(d, s, 40, "bad footer position");
    if (crc_bad(ld_le32(s->file + s->size - 4), crc32c(0, s->file + foff, (size_t)flen - 4)))
        return ix_corrupt(d, s, s->size - 4, "footer checksum mismatch");
    /* each block takes a dozen bytes of the footer at least */
    if (s->nblk > flen / 8)
        return ix_corrupt(d, s, 52, "more blocks than the footer can describe");
    if (s->info.rows > (uint64_t)s->nblk * IX_BLOCK_ROWS)
        return ix_corrupt(d, s, 16, "more rows than the blocks hold");
    ixr_init(&r, s->file + foff, (size_t)flen - 4);
    rc = parse_catalogue(s, &r, (size_t)foff, d);
    s->foot_off = (size_t)foff;
    s->dir_off = (size_t)(r.p - s->file);
    if (rc == 0)
        rc = parse_blocks(s, &r, (size_t)foff, d);
    return rc;
}

int ix_open_mem(struct ix_seg **out, const char *name, const void *p, size_t n, struct diag *d)
{
    struct ix_seg *s = xcalloc(1, sizeof *s);
    int rc;

    s->name = xstrdup(name);
    s->file = xmalloc(n ? n : 1);
    if (n)
        memcpy(s->file, p, n);
    s->size = n;
    rc = parse(s, d);
    if (rc < 0) {
        ix_close(s);
        s = NULL;
    }
    *out = s;
    return rc;
}

/*
 * Maps a segment file (read-only: segments are never modified in place, a
 * new one is renamed over an old one), so that a query's reading costs no
 * copy; a file that cannot be mapped is read into memory.
 */
static int map_file(struct ix_seg *s, const char *path, struct diag *d)
{
    struct stat st;
    void *p;
    int fd = fs_open_read(path, &st, d);

    if (fd < 0)
        return fd;
    if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size > IX_FILE_MAX || st.st_size == 0) {
        close(fd);
        return fs_read_file(path, IX_FILE_MAX, &s->file, &s->size, d);
    }
    p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
    close(fd);
    if (p == MAP_FAILED)
        return fs_read_file(path, IX_FILE_MAX, &s->file, &s->size, d);
    s->file = p;
    s->size = (size_t)st.st_size;
    s->mapped = true;
    return 0;
}

/*
 * Opens a segment file to read it into fb (grown to the file's size as
 * needed, so that offsets in the file are offsets in fb): here only the
 * header and the footer, then each chunk when a block load first needs it
 * (need_chunk). Bytes never needed, such as the bodies' chunks of a query
 * that shows none, are never read. No mapping, no allocation per segment.
 */
static int read_into(struct ix_seg *s, const char *path, struct ix_filebuf *fb, struct diag *d)
{
    struct stat st;
    uint64_t foff, flen;
    size_t head;
    int rc, fd = fs_open_read(path, &st, d);

    if (fd < 0)
        return fd;
    if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size > IX_FILE_MAX) {
        close(fd);
        return diag_set(d, SV_ELIMIT, "%s: not a regular file of at most %llu bytes", path,
                        (unsigned long long)IX_FILE_MAX);
    }
    if (fb->cap < (size_t)st.st_size + 1) {
        free(fb->p);
        fb->cap = (size_t)st.st_size + 1;
        fb->p = xmalloc(fb->cap);
    }
    s->file = fb->p;
    s->size = (size_t)st.st_size;
    s->borrowed = true;
    s->lazy = true;
    s->fd = fd;
    head = s->size < IX_HDR_LEN ? s->size : IX_HDR_LEN;
    rc = fs_pread_all(fd, s->file, head, 0, path, d);
    if (rc < 0 || head < IX_HDR_LEN)
        return rc;
    /* the footer where the header says; parse() checks the header before it uses either */
    foff = ld_le64(s->file + 40);
    flen = ld_le32(s->file + 48);
    if (foff >= IX_HDR_LEN && foff <= s->size && flen == s->size - foff)
        rc = fs_pread_all(fd, s->file + foff, (size_t)flen, (off_t)foff, path, d);
    return rc;
}

/*
 * Makes chunk ch's bytes usable: read from the file when the segment is
 * lazy, and checked against the chunk's CRC, once per open segment.
 */
static int need_chunk(struct ix_seg *s, struct rchunk *ch, struct diag *d)
{
    size_t len = ch->dict_len + ch->data_len;
    int rc;

    if (ch->crc_ok)
        return 0;
    if (s->lazy) {
        rc = fs_pread_all(s->fd, s->file + ch->dict_off, len, (off_t)ch->dict_off, s->name, d);
        if (rc < 0)
            return rc;
    }
    if (crc_bad(crc32c(0, s->file + ch->dict_off, len), ch->crc))
        return ix_corrupt(d, s, ch->dict_off, "column chunk checksum mismatch");
    ch->crc_ok = true;
    return 0;
}

static int open_seg(struct ix_seg **out, const char *path, struct ix_filebuf *fb,
                    struct diag *d)
{
    struct ix_seg *s;
    int rc;

    *out = NULL;
    s = xcalloc(1, sizeof *s);
    s->name = xstrdup(path);
    s->fb = fb;
    if (fb && fb->spare) {
        struct ix_spare *sp = fb->spare;

        s->lc = sp->lc;
        s->lckey = sp->key;
        s->caplc = sp->nlc;
        s->sh[0] = sp->sh[0];
        s->sh[1] = sp->sh[1];
        s->z = sp->z;
        s->tally = sp->tally;
        s->captally = sp->captally;
        free(sp);
        fb->spare = NULL;
    }
    rc = fb ? read_into(s, path, fb, d) : map_file(s, path, d);
    if (rc == 0)
        rc = parse(s, d);
    if (rc < 0) {
        ix_close(s);
        return rc;
    }
    *out = s;
    return 0;
}

int ix_open(struct ix_seg **out, const char *path, struct diag *d)
{
    return open_seg(out, path, NULL, d);
}

int ix_open_buf(struct ix_seg **out, const char *path, struct ix_filebuf *fb, struct diag *d)
{
    return open_seg(out, path, fb, d);
}

static void spare_free(struct ix_spare *sp)
{
    for (size_t i = 0; sp->lc && i < sp->nlc; i++) {
        struct lcol *c = &sp->lc[i];

        free(c->u);
        free(c->v);
        free(c->w);
        free(c->ds);
        free(c->first_s);
        free(c->first_n);
        free(c->mfirst);
        ixv_free(&c->dict);
        ixv_free(&c->data);
    }
    for (int k = 0; k < 2; k++) {
        free(sp->sh[k].ops);
        free(sp->sh[k].start);
    }
    comp_block_free(sp->z);
    free(sp->tally);
    free(sp->lc);
    free(sp->key);
}

void ix_filebuf_release(struct ix_filebuf *fb)
{
    free(fb->p);
    fb->p = NULL;
    fb->cap = 0;
    if (fb->spare) {
        spare_free(fb->spare);
        free(fb->spare);
        fb->spare = NULL;
    }
}

void ix_close(struct ix_seg *s)
{
    struct ix_spare sp;

    if (!s)
        return;
    sp = (struct ix_spare){ s->lc, s->lckey, s->caplc, { s->sh[0], s->sh[1] }, s->z, s->tally,
                            s->captally };
    if (s->fb && !s->fb->spare) {
        /* the buffers stay allocated (and their pages in memory) for the next segment */
        s->fb->spare = xmalloc(sizeof sp);
        *s->fb->spare = sp;
    } else {
        spare_free(&sp);
    }
    for (uint32_t b = 0; s->blk && b < s->nblk; b++)
        free(s->blk[b].ch);
    free(s->blk);
    free(s->kind);
    free(s->sec);
    free(s->cname);
    free(s->cnamelen);
    free(s->names);
    free(s->namelen);
    free(s->node);
    if (s->lazy)
        close(s->fd);
    if (s->mapped)
        munmap(s->file, s->size);
    else if (!s->borrowed)
        free(s->file);
    free(s->name);
    free(s);
}

const struct ix_seg_info *ix_info(const struct ix_seg *s)
{
    return &s->info;
}

const char *ix_node(const struct ix_seg *s)
{
    return s->node;
}

uint32_t ix_block_rows(const struct ix_seg *s, uint32_t b)
{
    return b < s->nblk ? s->blk[b].rows : 0;
}

void ix_block_time(const struct ix_seg *s, uint32_t b, uint64_t *first, uint64_t *last)
{
    *first = b < s->nblk ? s->blk[b].t0 : 0;
    *last = b < s->nblk ? s->blk[b].t1 : 0;
}

/* ----------------------------------------------------------------- blocks */

static struct rchunk *chunk_of(const struct rblock *k, uint32_t col)
{
    size_t lo = 0, hi = k->nch;

    while (lo < hi) {
        size_t mid = (lo + hi) / 2;

        if (k->ch[mid].col == col)
            return &k->ch[mid];
        if (k->ch[mid].col < col)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* A chunk's part as bytes: in the file, or decompressed into into. */
static int get_part(struct ix_seg *s, size_t off, size_t len, size_t raw, bool zstd,
                    struct ixv *into, struct ixr *r, struct diag *d)
{
    if (!zstd) {
        ixr_init(r, s->file + off, len);
        return 0;
    }
    if (!s->z)
        s->z = comp_block_new(0);
    into->n = 0;
    ixv_room(into, raw ? raw : 1);
    if (comp_block_unpack(s->z, into->p, raw, s->file + off, len) < 0)
        return ix_corrupt(d, s, off, "a column chunk does not decompress");
    into->n = raw;
    ixr_init(r, into->p, raw);
    return 0;
}

static void grow_u64(uint64_t **v, size_t *cap, size_t n)
{
    if (*cap < n)
        xgrow((void **)v, cap, n, sizeof **v);
}

static bool read_array(struct ixr *r, uint64_t **v, size_t *cap, size_t n)
{
    grow_u64(v, cap, n ? n : 1);
    return ixr_packed(r, *v, n);
}

static bool read_counted(struct ixr *r, uint64_t **v, size_t *cap, size_t *n, size_t max)
{
    uint64_t k = ixr_varint(r);

    if (r->bad || k > max)
        return false;
    *n = (size_t)k;
    return read_array(r, v, cap, *n);
}

/* Every code of the n just read by r below limit (ixr_packed kept the largest). */
static bool codes_ok(const struct ixr *r, size_t n, size_t limit)
{
    return n == 0 || r->hi < limit;
}

/* Decodes column col of block k into s->lc[col]. */
static int load_col(struct ix_seg *s, const struct rblock *k, uint32_t col, struct diag *d)
{
    struct lcol *c = &s->lc[col];
    struct rchunk *ch = chunk_of(k, col);
    struct ixr r;
    size_t at;
    int rc;

    c->nu = c->nv = c->nw = c->nd = c->nblob = 0;
    c->loaded = true;
    c->first_ok = false;
    if (!ch)
        return 0;
    rc = need_chunk(s, ch, d);
    if (rc < 0)
        return rc;
    at = ch->dict_off;
    if (has_dict(s->kind[col])) {
        uint64_t n;

        rc = get_part(s, ch->dict_off, ch->dict_len, ch->dict_raw, ch->flags & IXC_DICT_ZSTD,
                      &c->dict, &r, d);
        if (rc < 0)
            return rc;
        n = ixr_varint(&r);
        if (r.bad || n > ch->dict_raw)
            return ix_corrupt(d, s, at, "bad dictionary");
        c->nd = (size_t)n;
        if (c->cap_d < c->nd + 1) {
            c->cap_d = c->nd + 1;
            c->ds = xrealloc(c->ds, c->cap_d * sizeof *c->ds);
        }
        for (size_t i = 0; i < c->nd; i++) {
            const uint8_t *start = r.p;
            size_t len;

            c->ds[i].p = ixr_str(&r, &len);
            c->ds[i].n = (uint32_t)len;
            c->ds[i].hdr = r.bad ? 0 : (uint32_t)(c->ds[i].p - start);
            /* the length a varint of the fewest bytes, as a record's (rebuild copies both) */
            if (r.bad || len > UINT32_MAX || c->ds[i].hdr != ixv_varint_len(len) ||
                (s->kind[col] == IXK_DICT && col < IXC_REQ_SHAPE && len != 16) ||
                (col >= IXC_SRC_NAME && col < IXC_FIXED_COUNT && len > ENT_NAME_MAX))
                return ix_corrupt(d, s, at, "bad dictionary");
        }
        if (r.p != r.end)
            return ix_corrupt(d, s, at, "bytes after a dictionary");
    }
    at = ch->data_off;
    rc = get_part(s, ch->data_off, ch->data_len, ch->data_raw, ch->flags & IXC_DATA_ZSTD,
                  &c->data, &r, d);
    if (rc < 0)
        return rc;
    switch (s->kind[col]) {
    case IXK_U:
        c->nu = k->rows;
        if (!read_array(&r, &c->u, &c->cap_u, c->nu))
            return ix_corrupt(d, s, at, "bad number column");
        break;
    case IXK_TIME: {
        uint64_t base = ixr_varint(&r), unit = s->version >= 5 ? ixr_varint(&r) : 1;
        const uint64_t *ref = col == IXC_REQ_NS ? NULL : s->lc[ix_time_ref(col)].u;

        c->nu = k->rows;
        if (unit == 0 || !read_array(&r, &c->u, &c->cap_u, c->nu))
            return ix_corrupt(d, s, at, "bad time column");
        /* ix_block_load() loaded the times this one is coded against first */
        ix_time_decode(c->u, ref, c->nu, base, unit);
        break;
    }
    case IXK_DICT:
        c->nu = k->rows;
        if (!read_array(&r, &c->u, &c->cap_u, c->nu) || !codes_ok(&r, c->nu, c->nd))
            return ix_corrupt(d, s, at, "bad dictionary codes");
        break;
    case IXK_LEAF:
        if (!read_counted(&r, &c->u, &c->cap_u, &c->nu, s->tally[2 * col]) ||
            c->nu != s->tally[2 * col] || !codes_ok(&r, c->nu, c->nd) ||
            !read_counted(&r, &c->v, &c->cap_v, &c->nv, s->tally[2 * col + 1]) ||
            c->nv != s->tally[2 * col + 1])
            return ix_corrupt(d, s, at, "bad value column");
        break;
    case IXK_MAP:
        if (!read_counted(&r, &c->u, &c->cap_u, &c->nu, s->tally[2 * col]) ||
            c->nu != s->tally[2 * col] ||
            !read_counted(&r, &c->v, &c->cap_v, &c->nv, IX_BLOCK_VALUES) ||
            !codes_ok(&r, c->nv, s->nnames))
            return ix_corrupt(d, s, at, "bad map column");
        c->nw = c->nv;
        if (!read_array(&r, &c->w, &c->cap_w, c->nw) || !codes_ok(&r, c->nw, c->nd))
            return ix_corrupt(d, s, at, "bad map column");
        {
            uint64_t pairs = 0;

            for (size_t i = 0; i < c->nu; i++) {
                if (c->u[i] > c->nv)
                    return ix_corrupt(d, s, at, "bad map column");
                pairs += c->u[i];
            }
            if (pairs != c->nv)
                return ix_corrupt(d, s, at, "map pair counts do not add up");
        }
        break;
    default: { /* IXK_RAW, IXK_BLOB */
        uint64_t total = 0, want = s->kind[col] == IXK_BLOB ? k->rows : s->tally[2 * col];

        if (!read_counted(&r, &c->u, &c->cap_u, &c->nu, want) || c->nu != want)
            return ix_corrupt(d, s, at, "bad raw column");
        for (size_t i = 0; i < c->nu; i++)
            total += c->u[i];
        if (total != (uint64_t)(r.end - r.p))
            return ix_corrupt(d, s, at, "raw lengths do not add up");
        c->blob = r.p;
        c->nblob = (size_t)total;
        r.p = r.end;
        break;
    }
    }
    if (r.bad || r.p != r.end)
        return ix_corrupt(d, s, at, "bad column chunk");
    return 0;
}

/* ------------------------------------------------------------------ shapes */

static void add_op(struct shapes *h, uint8_t type, uint32_t col, const uint8_t *p, size_t n)
{
    /* the op before, if it is this shape's */
    struct op *last = h->nops > h->first ? &h->ops[h->nops - 1] : NULL;

    /* literals next to each other become one */
    if (type == OP_LIT && last && last->type == OP_LIT && last->p + last->n == p) {
        last->n += n;
        return;
    }
    /* a literal just before a value becomes the value's prefix */
    if ((type == OP_STR || type == OP_NUM || type == OP_MAP) && last && last->type == OP_LIT) {
        *last = (struct op){ type, col, p, n, last->p, last->n };
        return;
    }
    xgrow((void **)&h->ops, &h->capops, h->nops + 1, sizeof *h->ops);
    h->ops[h->nops++] = (struct op){ type, col, p, n, NULL, 0 };
}

/* Reads a column id in a shape: it must be a column of kind in section sec. */
static bool shape_col(const struct ix_seg *s, struct ixr *r, uint8_t kind, uint8_t sec,
                      uint32_t *col)
{
    uint64_t c = ixr_varint(r);

    if (r->bad || c >= s->ncols || s->kind[c] != kind || s->sec[c] != sec)
        return false;
    *col = (uint32_t)c;
    return true;
}

/* Compiles one shape; false when it is malformed. */
static bool compile(const struct ix_seg *s, struct shapes *h, uint8_t sec, const uint8_t *p,
                    size_t n)
{
    bool in_arr[ENT_DEPTH_MAX + 2] = { false };
    unsigned depth = 0;
    struct ixr r;

    ixr_init(&r, p, n);
    if (n == 1 && p[0] == IX_T_RAW) {
        add_op(h, OP_RAW, sec == IX_SEC_REQ ? IXC_REQ_RAW : IXC_RESP_RAW, NULL, 0);
        return true;
    }
    while (r.p < r.end) {
        const uint8_t *op = r.p;
        uint8_t tag = *r.p++;
        uint32_t col;

        if (tag == ENT_T_END) {
            if (depth == 0)
                return false;
            depth--;
            add_op(h, OP_LIT, 0, op, 1);
            continue;
        }
        if (!in_arr[depth] || tag == IX_T_MAP) {
            size_t kl;

            if (r.p >= r.end)
                return false;
            kl = *r.p++;
            if (kl > (size_t)(r.end - r.p))
                return false;
            r.p += kl;
        }
        switch (tag) {
        case ENT_T_OBJ:
        case ENT_T_ARR:
            if (depth == ENT_DEPTH_MAX + 1)
                return false;
            add_op(h, OP_LIT, 0, op, (size_t)(r.p - op));
            in_arr[++depth] = tag == ENT_T_ARR;
            break;
        case ENT_T_STR:
        case ENT_T_U64:
        case ENT_T_I64:
            add_op(h, OP_LIT, 0, op, (size_t)(r.p - op));
            if (!shape_col(s, &r, IXK_LEAF, sec, &col))
                return false;
            add_op(h, tag == ENT_T_STR ? OP_STR : OP_NUM, col, NULL, 0);
            break;
        case ENT_T_BOOL_F:
        case ENT_T_BOOL_T:
        case ENT_T_NULL:
            add_op(h, OP_LIT, 0, op, (size_t)(r.p - op));
            break;
        case IX_T_MAP: {
            const uint8_t *key = op + 1, *kend = r.p;

            if (depth != 0 || !shape_col(s, &r, IXK_MAP, sec, &col))
                return false;
            /* the key (length byte and bytes), written after an OBJ tag */
            add_op(h, OP_MAP, col, key, (size_t)(kend - key));
            break;
        }
        default:
            return false;
        }
        if (r.bad)
            return false;
    }
    return depth == 0;
}

/* Compiles the shapes of section sec of the loaded block. */
static int compile_shapes(struct ix_seg *s, uint8_t sec, size_t at, struct diag *d)
{
    const struct lcol *c = &s->lc[sec == IX_SEC_REQ ? IXC_REQ_SHAPE : IXC_RESP_SHAPE];
    struct shapes *h = &s->sh[sec];

    h->nops = 0;
    if (h->capstart < c->nd + 1)
        xgrow((void **)&h->start, &h->capstart, c->nd + 1, sizeof *h->start);
    for (size_t i = 0; i < c->nd; i++) {
        h->start[i] = h->first = h->nops;
        if (!compile(s, h, sec, c->ds[i].p, c->ds[i].n))
            return ix_corrupt(d, s, at, "bad shape");
    }
    h->start[c->nd] = h->nops;
    return 0;
}

/*
 * Loads column col of block k, after the column it is coded against if it
 * is a time column (ix_time_ref), and that one's in turn.
 */
static int load_with_ref(struct ix_seg *s, const struct rblock *k, uint32_t col, struct diag *d)
{
    if (s->lc[col].loaded)
        return 0;
    if (s->kind[col] == IXK_TIME && col != IXC_REQ_NS) {
        int rc = load_with_ref(s, k, ix_time_ref(col), d);

        if (rc < 0)
            return rc;
    }
    return load_col(s, k, col, d);
}
/*
 * Counts what the rows' shapes of section sec take from each column
 * (s->tally[2 * col]: strings, maps or raw values; [2 * col + 1]: numbers)
 * before any value column is read, so that their counts are checked against
 * it and nothing is allocated for more values than a block may hold.
 */
static int tally(struct ix_seg *s, const struct rblock *k, uint8_t sec, size_t at,
                 struct diag *d)
{
    const struct lcol *sc = &s->lc[sec == IX_SEC_REQ ? IXC_REQ_SHAPE : IXC_RESP_SHAPE];
    const struct shapes *h = &s->sh[sec];
    uint64_t *hist = xcalloc(sc->nd ? 4 * sc->nd : 1, sizeof *hist), total = 0;
    uint32_t i = 0;
    int rc = 0;

    /*
     * Four counters a shape, row i counting in lane i % 4: most rows of a
     * block share a few shapes, and one counter a shape chained every
     * increment to the one before (a store-to-load round trip per row).
     */
    for (; i + 4 <= k->rows; i += 4) {
        hist[4 * sc->u[i]]++;
        hist[4 * sc->u[i + 1] + 1]++;
        hist[4 * sc->u[i + 2] + 2]++;
        hist[4 * sc->u[i + 3] + 3]++;
    }
    for (; i < k->rows; i++)
        hist[4 * sc->u[i]]++;
    for (size_t sh = 0; sh < sc->nd; sh++)
        hist[sh] = hist[4 * sh] + hist[4 * sh + 1] + hist[4 * sh + 2] + hist[4 * sh + 3];
    for (size_t sh = 0; sh < sc->nd; sh++) {
        for (size_t o = h->start[sh]; hist[sh] && o < h->start[sh + 1]; o++) {
            const struct op *op = &h->ops[o];

            if (op->type == OP_LIT)
                continue;
            s->tally[2 * op->col + (op->type == OP_NUM)] += hist[sh];
            total += hist[sh];
        }
    }
    s->tally_total += total;
    if (s->tally_total > IX_BLOCK_VALUES)
        rc = ix_corrupt(d, s, at, "the rows' shapes take more values than a block holds");
    for (size_t col = IXC_REQ_RAW; col < s->ncols && rc == 0; col++) {
        if (s->sec[col] == sec && (s->tally[2 * col] || s->tally[2 * col + 1]) &&
            !chunk_of(k, (uint32_t)col))
            rc = ix_corrupt(d, s, at, "the rows' shapes take values from a column the block lacks");
    }
    free(hist);
    return rc;
}

int ix_block_load(struct ix_seg *s, uint32_t b, const int *cols, size_t ncols, struct diag *d)
{
    struct rblock *k;
    bool secs[2] = { false, false };
    int rc;

    if (b >= s->nblk)
        return diag_set(d, SV_EINVAL, "%s: no block %u", s->name, b);
    k = &s->blk[b];
    s->cur = (int32_t)b;
    for (size_t i = 0; i < s->ncols; i++)
        s->lc[i].loaded = false;
    for (size_t i = 0; i < ncols; i++) {
        if (cols[i] < 0 || (size_t)cols[i] >= s->ncols)
            return diag_set(d, SV_EINVAL, "%s: no column %d", s->name, cols[i]);
        if (s->sec[cols[i]] <= IX_SEC_RESP)
            secs[s->sec[cols[i]]] = true;
    }
    if (s->captally < 2 * s->ncols)
        xgrow((void **)&s->tally, &s->captally, 2 * s->ncols, sizeof *s->tally);
    memset(s->tally, 0, 2 * s->ncols * sizeof *s->tally);
    s->tally_total = 0;
    for (uint8_t sec = 0; sec < 2; sec++) {
        if (!secs[sec])
            continue;
        rc = load_col(s, k, sec == IX_SEC_REQ ? IXC_REQ_SHAPE : IXC_RESP_SHAPE, d);
        if (rc == 0)
            rc = compile_shapes(s, sec, k->off, d);
        if (rc == 0)
            rc = tally(s, k, sec, k->off, d);
        if (rc < 0)
            goto fail;
    }
    for (size_t i = 0; i < ncols; i++) {
        rc = load_with_ref(s, k, (uint32_t)cols[i], d);
        if (rc < 0)
            goto fail;
    }
    return 0;
fail:
    s->cur = -1;
    return rc;
}
