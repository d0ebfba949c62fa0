/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: rebuilding entry records from a loaded block, and the column
 * scans (ix_col_*, ix_leaf_*).
 *
 * ix_block_load() (ixread.c) has checked every code and count against the
 * rows' shapes, so the loops here index without further checks; what they
 * still bound is the size of what they build.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/cur.h"
#include "base/diag.h"
#include "base/hash.h"
#include "entry/entry.h"
#include "index.h"
#include "ix_int.h"
#include "ixread_int.h"
#include "streamvault.h"

/* ----------------------------------------------------------------- records */

#define IX_SECTION_REBUILT_MAX (2u * ENT_SECTION_MAX)

/* Cursors over the loaded columns while rows are rebuilt in order. */
struct cursor {
    size_t *s, *n, *blob;
};

/* Where a section is rebuilt: room reserved for the most a section may take. */
struct out {
    uint8_t *p, *end;
};

/* n bytes (w <= n <= 2w) as a word from each end, overlapping: both read, then written. */
static inline __attribute__((always_inline)) void copy_ends(uint8_t *d, const uint8_t *s,
                                                           size_t n, size_t w)
{
    uint8_t a[8], b[8];

    memcpy(a, s, w);
    memcpy(b, s + n - w, w);
    memcpy(d, a, w);
    memcpy(d + n - w, b, w);
}

/*
 * Copies n bytes where most copies are a few bytes (tags, keys, short
 * values): a call to memcpy costs more than the copy. Reads and writes
 * only the n bytes.
 */
static inline void copy_short(uint8_t *d, const uint8_t *s, size_t n)
{
    if (n > 16) {
        memcpy(d, s, n);
    } else if (n >= 8) {
        copy_ends(d, s, n, 8);
    } else if (n >= 4) {
        copy_ends(d, s, n, 4);
    } else if (n > 0) {
        d[0] = s[0];
        d[n / 2] = s[n / 2];
        d[n - 1] = s[n - 1];
    }
}

static inline bool put(struct out *o, const void *p, size_t n)
{
    if (n > (size_t)(o->end - o->p))
        return false;
    copy_short(o->p, p, n);
    o->p += n;
    return true;
}

static inline bool put_varint(struct out *o, uint64_t v)
{
    if (o->end - o->p < 10)
        return false;
    while (v >= 0x80) {
        *o->p++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *o->p++ = (uint8_t)v;
    return true;
}

/* A dictionary string as a record holds it: its length and bytes, copied as they are. */
static inline bool put_dstr(struct out *o, const struct dstr *ds)
{
    return put(o, ds->p - ds->hdr, (size_t)ds->hdr + ds->n);
}

/* Rebuilds one section of row i into o: its shape with the values put back. */
static bool rebuild_section(struct ix_seg *s, uint8_t sec, uint32_t i, struct cursor *cu,
                            struct out *o)
{
    const struct lcol *sc = &s->lc[sec == IX_SEC_REQ ? IXC_REQ_SHAPE : IXC_RESP_SHAPE];
    const struct shapes *h = &s->sh[sec];
    uint64_t shape = sc->u[i];

    for (size_t k = h->start[shape]; k < h->start[shape + 1]; k++) {
        const struct op *op = &h->ops[k];
        const struct lcol *c = &s->lc[op->col];
        uint64_t code;
        bool ok = true;

        switch (op->type) {
        case OP_LIT:
            ok = put(o, op->p, op->n);
            break;
        case OP_STR:
            code = c->u[cu->s[op->col]++];
            ok = put(o, op->lit, op->nlit) && put_dstr(o, &c->ds[code]);
            break;
        case OP_NUM:
            ok = put(o, op->lit, op->nlit) && put_varint(o, c->v[cu->n[op->col]++]);
            break;
        case OP_MAP: {
            uint64_t pairs = c->u[cu->s[op->col]++];
            uint8_t tag = ENT_T_OBJ;

            ok = put(o, op->lit, op->nlit) && put(o, &tag, 1) && put(o, op->p, op->n);
            for (uint64_t m = 0; ok && m < pairs; m++) {
                size_t at = cu->n[op->col]++;
                uint64_t name = c->v[at], val = c->w[at];
                uint8_t hd[2] = { ENT_T_STR, (uint8_t)s->namelen[name] };

                ok = put(o, hd, 2) && put(o, s->names[name], hd[1]) &&
                     put_dstr(o, &c->ds[val]);
            }
            tag = ENT_T_END;
            ok = ok && put(o, &tag, 1);
            break;
        }
        default: { /* OP_RAW */
            uint64_t n = c->u[cu->s[op->col]++];

            ok = put(o, c->blob + cu->blob[op->col], (size_t)n);
            cu->blob[op->col] += (size_t)n;
            break;
        }
        }
        if (!ok)
            return false;
    }
    return true;
}

/* Moves the cursors past one section of row i, as rebuild_section would, building nothing. */
static void skip_section(struct ix_seg *s, uint8_t sec, uint32_t i, struct cursor *cu)
{
    const struct lcol *sc = &s->lc[sec == IX_SEC_REQ ? IXC_REQ_SHAPE : IXC_RESP_SHAPE];
    const struct shapes *h = &s->sh[sec];
    uint64_t shape = sc->u[i];

    for (size_t k = h->start[shape]; k < h->start[shape + 1]; k++) {
        const struct op *op = &h->ops[k];
        const struct lcol *c = &s->lc[op->col];

        switch (op->type) {
        case OP_STR:
            cu->s[op->col]++;
            break;
        case OP_NUM:
            cu->n[op->col]++;
            break;
        case OP_MAP:
            cu->n[op->col] += (size_t)c->u[cu->s[op->col]++];
            break;
        case OP_RAW:
            cu->blob[op->col] += (size_t)c->u[cu->s[op->col]++];
            break;
        default:
            break;
        }
    }
}

static int block_records(struct ix_seg *s, uint32_t b, const uint8_t *sel, struct buf *out,
                         bool bodies, struct diag *d);

int ix_block_records(struct ix_seg *s, uint32_t b, struct buf *out, struct diag *d)
{
    return block_records(s, b, NULL, out, true, d);
}

int ix_block_records_nobody(struct ix_seg *s, uint32_t b, struct buf *out, struct diag *d)
{
    return block_records(s, b, NULL, out, false, d);
}

int ix_block_records_sel(struct ix_seg *s, uint32_t b, const uint8_t *sel, bool bodies,
                         struct buf *out, struct diag *d)
{
    return block_records(s, b, sel, out, bodies, d);
}

/*
 * Names parts already put for this block, by their names' codes: rows of
 * one client and server share them, so most rows copy an earlier part.
 */
#define NAMES_CACHE 256
struct names_cache {
    struct {
        uint64_t code[ENT_NAMES];
        size_t at, len;         /* where the part is in out; len 0: none */
    } e[NAMES_CACHE];
};

/* Puts the names part of row i (see ent_names_put) into out. */
static int put_names(struct ix_seg *s, uint32_t i, struct buf *out, struct names_cache *nc,
                     struct diag *d)
{
    const char *nm[ENT_NAMES];
    uint8_t nmlen[ENT_NAMES];
    uint64_t code[ENT_NAMES], h = 0;
    size_t at = out->len;
    uint8_t *p;

    for (int j = 0; j < ENT_NAMES; j++) {
        const struct lcol *c = &s->lc[IXC_SRC_NAME + j];

        code[j] = c->loaded && c->nu ? c->u[i] : UINT64_MAX;
        h = h * 0x9e3779b97f4a7c15ull + code[j];
    }
    /* the slot only: a hit is checked against the codes themselves */
    h = hash_mix(h) % NAMES_CACHE;
    if (nc->e[h].len > 0 && memcmp(code, nc->e[h].code, sizeof code) == 0) {
        p = buf_reserve(out, nc->e[h].len);
        if (!p)
            return diag_set(d, SV_ENOMEM, "%s: out of memory", s->name);
        /* out->data may have moved: the cached part is copied from its offset */
        memcpy(p, out->data + nc->e[h].at, nc->e[h].len);
        out->len += nc->e[h].len;
        return 0;
    }
    for (int j = 0; j < ENT_NAMES; j++) {
        const struct lcol *c = &s->lc[IXC_SRC_NAME + j];

        nm[j] = code[j] == UINT64_MAX ? "" : (const char *)c->ds[code[j]].p;
        nmlen[j] = code[j] == UINT64_MAX ? 0 : (uint8_t)c->ds[code[j]].n;
    }
    if (ent_names_put(out, nm, nmlen) < 0)
        return diag_set(d, SV_ENOMEM, "%s: out of memory", s->name);
    memcpy(nc->e[h].code, code, sizeof code);
    nc->e[h].at = at;
    nc->e[h].len = out->len - at;
    return 0;
}

static int block_records(struct ix_seg *s, uint32_t b, const uint8_t *sel, struct buf *out,
                         bool bodies, struct diag *d)
{
    struct names_cache *nc;
    const struct rblock *k;
    int *cols;
    size_t ncols = 0;
    struct cursor cu;
    int rc;

    if (b >= s->nblk)
        return diag_set(d, SV_EINVAL, "%s: no block %u", s->name, b);
    k = &s->blk[b];
    cols = xcalloc(k->nch, sizeof *cols);
    for (size_t i = 0; i < k->nch; i++) {
        if (bodies || (k->ch[i].col != IXC_REQ_BODY && k->ch[i].col != IXC_RESP_BODY))
            cols[ncols++] = (int)k->ch[i].col;
    }
    /* both sections' shapes even when a block has no section values at all */
    rc = ix_block_load(s, b, cols, ncols, d);
    free(cols);
    if (rc < 0)
        return rc;
    nc = xcalloc(1, sizeof *nc);
    cu.s = xcalloc(s->ncols, sizeof *cu.s);
    cu.n = xcalloc(s->ncols, sizeof *cu.n);
    cu.blob = xcalloc(s->ncols, sizeof *cu.blob);
    for (uint32_t i = 0; i < k->rows && rc == 0; i++) {
        struct ent_fixed f;
        size_t start = out->len, secstart;
        uint8_t *p;

        if (sel && !sel[i]) {
            skip_section(s, IX_SEC_REQ, i, &cu);
            skip_section(s, IX_SEC_RESP, i, &cu);
            for (int bo = IXC_REQ_BODY; bo <= IXC_RESP_BODY; bo++) {
                const struct lcol *c = &s->lc[bo];

                cu.blob[bo] += c->loaded && c->nu ? (size_t)c->u[i] : 0;
            }
            continue;
        }
#define U(c) s->lc[c].u[i]
        memset(&f, 0, sizeof f);
        f.stream_id = U(IXC_STREAM);
        f.index = (uint32_t)U(IXC_INDEX);
        f.proto = (uint8_t)U(IXC_PROTO);
        f.l4 = (uint8_t)U(IXC_L4);
        f.ipver = (uint8_t)U(IXC_IPVER);
        f.flags = (uint8_t)U(IXC_FLAGS);
        f.anomalies = (uint32_t)U(IXC_ANOMALIES);
        f.src_port = (uint16_t)U(IXC_SRC_PORT);
        f.dst_port = (uint16_t)U(IXC_DST_PORT);
        f.req_ns = U(IXC_REQ_NS);
        f.req_end_ns = U(IXC_REQ_END_NS);
        f.resp_ns = U(IXC_RESP_NS);
        f.resp_end_ns = U(IXC_RESP_END_NS);
        f.req_size = U(IXC_REQ_SIZE);
        f.resp_size = U(IXC_RESP_SIZE);
        f.req_pkt = (uint32_t)U(IXC_REQ_PKT);
        f.resp_pkt = (uint32_t)U(IXC_RESP_PKT);
        f.last_pkt = (uint32_t)U(IXC_LAST_PKT);
        memcpy(f.src_ip, s->lc[IXC_SRC_IP].ds[U(IXC_SRC_IP)].p, 16);
        memcpy(f.dst_ip, s->lc[IXC_DST_IP].ds[U(IXC_DST_IP)].p, 16);
#undef U
        p = buf_reserve(out, 4 + ENT_FIXED_LEN + 4);
        if (!p) {
            rc = diag_set(d, SV_ENOMEM, "%s: out of memory", s->name);
            break;
        }
        ent_fixed_put(p + 4, &f);
        out->len += 4 + ENT_FIXED_LEN + 4;
        for (uint8_t sec = 0; sec < 2; sec++) {
            struct out o;

            /* the section's length goes in the 4 bytes before it */
            secstart = out->len;
            o.p = buf_reserve(out, IX_SECTION_REBUILT_MAX + 4);
            if (!o.p) {
                rc = diag_set(d, SV_ENOMEM, "%s: out of memory", s->name);
                break;
            }
            o.end = o.p + IX_SECTION_REBUILT_MAX;
            if (!rebuild_section(s, sec, i, &cu, &o)) {
                rc = ix_corrupt(d, s, k->off, "an entry rebuilds too large");
                break;
            }
            out->len += (size_t)(o.p - (out->data + secstart));
            st_le32(out->data + secstart - 4, (uint32_t)(out->len - secstart));
            if (sec == 0)
                out->len += 4;
        }
        /* the bodies: a length and the bytes each (none when the block has no body column) */
        for (int bo = IXC_REQ_BODY; bo <= IXC_RESP_BODY && rc == 0; bo++) {
            const struct lcol *c = &s->lc[bo];
            size_t n = c->loaded && c->nu ? (size_t)c->u[i] : 0;
            uint8_t *q = buf_reserve(out, 4 + n);

            if (!q) {
                rc = diag_set(d, SV_ENOMEM, "%s: out of memory", s->name);
                break;
            }
            st_le32(q, (uint32_t)n);
            if (n)
                memcpy(q + 4, c->blob + cu.blob[bo], n);
            cu.blob[bo] += n;
            out->len += 4 + n;
        }
        if (rc == 0)
            rc = put_names(s, i, out, nc, d);
        if (rc == 0)
            st_le32(out->data + start, (uint32_t)(out->len - start));
    }
    free(cu.s);
    free(cu.n);
    free(cu.blob);
    free(nc);
    return rc;
}

/* ------------------------------------------------------------------- scans */

int ix_col_find(const struct ix_seg *s, enum ix_sec sec, const char *path)
{
    uint8_t enc[1024];
    size_t n = 0;

    /* the fixed columns: "proto", "src.name", a section's "$shape" ... */
    for (size_t i = 0; i < IXC_FIXED_COUNT; i++) {
        if (ix_fixed_cols[i].section == sec && strcmp(ix_fixed_cols[i].name, path) == 0)
            return (int)i;
    }
    if (sec == IX_SEC_NONE)
        return -1;
    /* encode the path as the catalogue does: keys as v (length + 1) + bytes, "[]" as 0 */
    while (*path) {
        const char *e;
        size_t kl;

        if (path[0] == '[' && path[1] == ']') {
            enc[n++] = 0;
            path += 2;
            if (*path == '.')
                path++;
            continue;
        }
        for (e = path; *e && *e != '.' && *e != '['; e++)
            ;
        kl = (size_t)(e - path);
        if (kl + 1 >= 0x80 || n + kl + 2 > sizeof enc)
            return -1;
        enc[n++] = (uint8_t)(kl + 1);
        memcpy(enc + n, path, kl);
        n += kl;
        path = *e == '.' ? e + 1 : e;
    }
    for (size_t i = IXC_FIXED_COUNT; i < s->ncols; i++) {
        if (s->sec[i] == sec && s->cnamelen[i] == n && memcmp(s->cname[i], enc, n) == 0)
            return (int)i;
    }
    return -1;
}

const uint64_t *ix_col_u64(const struct ix_seg *s, int col)
{
    const struct lcol *c = &s->lc[col];

    return c->loaded && (s->kind[col] == IXK_U || s->kind[col] == IXK_TIME) ? c->u : NULL;
}

const uint8_t *ix_col_ip(const struct ix_seg *s, int col, uint32_t row)
{
    const struct lcol *c = &s->lc[col];

    return c->loaded && s->kind[col] == IXK_DICT ? c->ds[c->u[row]].p : NULL;
}

/* Per row, where its first string and first number of leaf column col are. */
static void leaf_firsts(struct ix_seg *s, int col)
{
    struct lcol *c = &s->lc[col];
    const struct lcol *sc = &s->lc[s->sec[col] == IX_SEC_REQ ? IXC_REQ_SHAPE : IXC_RESP_SHAPE];
    const struct shapes *h = &s->sh[s->sec[col]];
    uint32_t rows = s->blk[s->cur].rows;
    uint32_t *ns = xcalloc(2 * (sc->nd ? sc->nd : 1), sizeof *ns), *nn = ns + sc->nd;
    size_t ks = 0, kn = 0;
    uint64_t *code, has_s = 0, has_n = 0;
    uint32_t i = 0;
    bool one = sc->nd <= 64;

    for (size_t sh = 0; sh < sc->nd; sh++) {
        for (size_t o = h->start[sh]; o < h->start[sh + 1]; o++) {
            if (h->ops[o].col == (uint32_t)col && h->ops[o].type == OP_STR)
                ns[sh]++;
            else if (h->ops[o].col == (uint32_t)col && h->ops[o].type == OP_NUM)
                nn[sh]++;
        }
        one = one && ns[sh] <= 1 && nn[sh] <= 1;
        if (one) {
            has_s |= (uint64_t)ns[sh] << sh;
            has_n |= (uint64_t)nn[sh] << sh;
        }
    }
    if (c->cap_f < rows) {
        c->cap_f = rows;
        c->first_s = xrealloc(c->first_s, rows * sizeof *c->first_s);
        c->first_n = xrealloc(c->first_n, rows * sizeof *c->first_n);
    }
    /* zeros after the codes: the rows add up to c->nu codes (load_col checked the tally) */
    if (c->cap_u < c->nu + 8)
        xgrow((void **)&c->u, &c->cap_u, c->nu + 8, sizeof *c->u);
    code = c->u;
    memset(code + c->nu, 0, 8 * sizeof *code);
    /* most blocks: shapes of at most one value of the column, at most 64 shapes */
    if (one)
        i = (uint32_t)ix_firsts_simd(sc->u, rows, has_s, has_n, code, &ks, &kn, c->first_s,
                                     c->first_n);
    /*
     * Without a branch on the shape (rows of many protocols mix, and a
     * mispredicted branch a row cost more than the rest): a row of no
     * string reads the next code (or a zero) and drops it.
     */
    for (; i < rows; i++) {
        uint64_t sh = sc->u[i];
        uint32_t a = ns[sh], b = nn[sh];
        int32_t fs = (int32_t)code[ks];

        c->first_s[i] = a ? fs : -1;
        c->first_n[i] = b ? (int32_t)kn : -1;
        ks += a;
        kn += b;
    }
    c->first_ok = true;
    free(ns);
}

bool ix_leaf_first(struct ix_seg *s, int col, uint32_t row, const uint8_t **p, size_t *n,
                   uint64_t *num)
{
    struct lcol *c = &s->lc[col];

    if (!c->loaded || s->kind[col] != IXK_LEAF || s->cur < 0 || row >= s->blk[s->cur].rows)
        return false;
    if (!c->first_ok)
        leaf_firsts(s, col);
    if (c->first_s[row] >= 0) {
        uint64_t code = (uint64_t)c->first_s[row];

        *p = c->ds[code].p;
        *n = c->ds[code].n;
        return true;
    }
    if (c->first_n[row] >= 0) {
        *p = NULL;
        *n = 0;
        *num = c->v[c->first_n[row]];
        return true;
    }
    return false;
}

bool ix_leaf_rows(struct ix_seg *s, int col, struct ix_leaf_rows *out)
{
    struct lcol *c = &s->lc[col];

    if (!c->loaded || s->kind[col] != IXK_LEAF || s->cur < 0)
        return false;
    if (!c->first_ok)
        leaf_firsts(s, col);
    out->code = c->first_s;
    out->num = c->first_n;
    out->nums = c->v;
    return true;
}

const uint64_t *ix_col_codes(const struct ix_seg *s, int col)
{
    const struct lcol *c = &s->lc[col];

    return c->loaded && s->kind[col] == IXK_DICT ? c->u : NULL;
}

void ix_dict_str(const struct ix_seg *s, int col, uint64_t code, const uint8_t **p, size_t *n)
{
    const struct lcol *c = &s->lc[col];

    *p = code < c->nd ? c->ds[code].p : NULL;
    *n = code < c->nd ? c->ds[code].n : 0;
}

size_t ix_ncols(const struct ix_seg *s)
{
    return s->ncols;
}

void ix_col_describe(const struct ix_seg *s, int col, char *name, size_t n, uint64_t *stored,
                     uint64_t *raw)
{
    size_t k = 0;
    const uint8_t *p = s->cname[col], *end = p + s->cnamelen[col];

    *stored = *raw = 0;
    for (uint32_t b = 0; b < s->nblk; b++) {
        const struct rblock *bl = &s->blk[b];

        for (size_t c = 0; c < bl->nch; c++) {
            if (bl->ch[c].col != (uint32_t)col)
                continue;
            *stored += bl->ch[c].dict_len + bl->ch[c].data_len;
            *raw += bl->ch[c].dict_raw + bl->ch[c].data_raw;
        }
    }
    /* request./response. and the path's keys joined with '.', arrays as "[]" */
    k = (size_t)snprintf(name, n, "%s", s->sec[col] == IX_SEC_REQ ? "request."
                                        : s->sec[col] == IX_SEC_RESP ? "response." : "");
    if (col < IXC_FIXED_COUNT) {
        snprintf(name + k, n - k, "%.*s", (int)s->cnamelen[col], (const char *)p);
        return;
    }
    while (p < end && k + 1 < n) {
        size_t kl = *p++;

        if (kl == 0) {
            k += (size_t)snprintf(name + k, n - k, "[]");
            continue;
        }
        kl--;
        if (kl > (size_t)(end - p))
            break;
        k += (size_t)snprintf(name + k, n - k, "%s%.*s", name[k - 1] == '.' ? "" : ".", (int)kl,
                              (const char *)p);
        p += kl;
    }
}
