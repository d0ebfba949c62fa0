/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: writing an index segment: sort the records, shred their sections
 * into shapes and columns, pack and compress each column chunk per block.
 *
 * Everything that goes into a segment is a function of the records alone
 * (column ids in order of first appearance over the sorted rows, dictionary
 * codes in order of first appearance per block), so the same entries give
 * the same bytes at any thread count.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/crc32c.h"
#include "base/cur.h"
#include "base/diag.h"
#include "base/fsutil.h"
#include "compress/compress.h"
#include "entry/entry.h"
#include "index.h"
#include "ix_int.h"
#include "ixvec.h"
#include "streamvault.h"

const struct ix_fixed_def ix_fixed_cols[IXC_FIXED_COUNT] = {
    [IXC_STREAM] = { "stream", IXK_U, IX_SEC_NONE },
    [IXC_INDEX] = { "index", IXK_U, IX_SEC_NONE },
    [IXC_PROTO] = { "proto", IXK_U, IX_SEC_NONE },
    [IXC_L4] = { "l4", IXK_U, IX_SEC_NONE },
    [IXC_IPVER] = { "ipver", IXK_U, IX_SEC_NONE },
    [IXC_FLAGS] = { "flags", IXK_U, IX_SEC_NONE },
    [IXC_ANOMALIES] = { "anomalies", IXK_U, IX_SEC_NONE },
    [IXC_SRC_PORT] = { "src_port", IXK_U, IX_SEC_NONE },
    [IXC_DST_PORT] = { "dst_port", IXK_U, IX_SEC_NONE },
    [IXC_REQ_NS] = { "req_ns", IXK_TIME, IX_SEC_NONE },
    [IXC_REQ_END_NS] = { "req_end_ns", IXK_TIME, IX_SEC_NONE },
    [IXC_RESP_NS] = { "resp_ns", IXK_TIME, IX_SEC_NONE },
    [IXC_RESP_END_NS] = { "resp_end_ns", IXK_TIME, IX_SEC_NONE },
    [IXC_REQ_SIZE] = { "req_size", IXK_U, IX_SEC_NONE },
    [IXC_RESP_SIZE] = { "resp_size", IXK_U, IX_SEC_NONE },
    [IXC_REQ_PKT] = { "req_pkt", IXK_U, IX_SEC_NONE },
    [IXC_RESP_PKT] = { "resp_pkt", IXK_TIME, IX_SEC_NONE },
    [IXC_LAST_PKT] = { "last_pkt", IXK_TIME, IX_SEC_NONE },
    [IXC_SRC_IP] = { "src_ip", IXK_DICT, IX_SEC_NONE },
    [IXC_DST_IP] = { "dst_ip", IXK_DICT, IX_SEC_NONE },
    [IXC_REQ_SHAPE] = { "$shape", IXK_DICT, IX_SEC_REQ },
    [IXC_RESP_SHAPE] = { "$shape", IXK_DICT, IX_SEC_RESP },
    [IXC_REQ_RAW] = { "$raw", IXK_RAW, IX_SEC_REQ },
    [IXC_RESP_RAW] = { "$raw", IXK_RAW, IX_SEC_RESP },
    [IXC_REQ_BODY] = { "req_body", IXK_BLOB, IX_SEC_NONE },
    [IXC_RESP_BODY] = { "resp_body", IXK_BLOB, IX_SEC_NONE },
    [IXC_SRC_NAME] = { "src.name", IXK_DICT, IX_SEC_NONE },
    [IXC_SRC_NS] = { "src.namespace", IXK_DICT, IX_SEC_NONE },
    [IXC_SRC_POD] = { "src.pod", IXK_DICT, IX_SEC_NONE },
    [IXC_SRC_SVC] = { "src.service", IXK_DICT, IX_SEC_NONE },
    [IXC_SRC_DNS] = { "src.dns", IXK_DICT, IX_SEC_NONE },
    [IXC_DST_NAME] = { "dst.name", IXK_DICT, IX_SEC_NONE },
    [IXC_DST_NS] = { "dst.namespace", IXK_DICT, IX_SEC_NONE },
    [IXC_DST_POD] = { "dst.pod", IXK_DICT, IX_SEC_NONE },
    [IXC_DST_SVC] = { "dst.service", IXK_DICT, IX_SEC_NONE },
    [IXC_DST_DNS] = { "dst.dns", IXK_DICT, IX_SEC_NONE },
};

/* ------------------------------------------------------------ dictionaries */

/*
 * Interns byte strings: code = order of first appearance. A slot keeps a
 * tag of the hash and where the string's bytes are, so that a probe reads
 * the bytes only of a string that is likely the one sought: with 64
 * buckets' dictionaries in play, each of those reads is a cache miss.
 */
struct sslot {
    uint32_t code1;             /* code + 1, 0 empty */
    uint32_t tag;               /* the hash's high half */
    uint32_t off, len;          /* the bytes in sdict.bytes */
};

struct sdict {
    struct sslot *slot;
    size_t nslot;
    struct ixv bytes;
    struct ixu off;             /* off.v[code] = start in bytes; end = next start */
};

static uint64_t str_hash(const uint8_t *p, size_t n)
{
    uint64_t h = 0x9e3779b97f4a7c15ull ^ n, t = 0;

    while (n > 8) {
        h = (h ^ ld_le64(p)) * 0xff51afd7ed558ccdull;
        h ^= h >> 32;
        p += 8;
        n -= 8;
    }
    /* the last 1 to 8 bytes in at most two loads */
    if (n >= 4)
        t = (uint64_t)ld_le32(p) << 32 | ld_le32(p + n - 4);
    else if (n > 0)
        t = (uint64_t)p[0] << 16 | (uint64_t)p[n / 2] << 8 | p[n - 1];
    h = (h ^ t) * 0xc4ceb9fe1a85ec53ull;
    return h ^ (h >> 29);
}

static size_t sdict_count(const struct sdict *t)
{
    return t->off.n;
}

static void sdict_get(const struct sdict *t, size_t code, const uint8_t **p, size_t *n)
{
    size_t a = t->off.v[code], b = code + 1 < t->off.n ? t->off.v[code + 1] : t->bytes.n;

    *p = t->bytes.p ? t->bytes.p + a : (const uint8_t *)"";   /* an empty dictionary */
    *n = b - a;
}

static void sdict_grow(struct sdict *t)
{
    size_t nslot = t->nslot ? t->nslot * 2 : 64;
    struct sslot *slot = xcalloc(nslot, sizeof *slot);

    for (size_t c = 0; c < t->nslot; c++) {
        const struct sslot *o = &t->slot[c];
        size_t i;

        if (!o->code1)
            continue;
        for (i = str_hash(t->bytes.p + o->off, o->len) & (nslot - 1); slot[i].code1;
             i = (i + 1) & (nslot - 1))
            ;
        slot[i] = *o;
    }
    free(t->slot);
    t->slot = slot;
    t->nslot = nslot;
}

static uint32_t sdict_intern(struct sdict *t, const uint8_t *p, size_t n)
{
    uint64_t h = str_hash(p, n);
    uint32_t tag = (uint32_t)(h >> 32);
    struct sslot *e;
    size_t i;

    if (2 * (t->off.n + 1) > t->nslot)
        sdict_grow(t);
    for (i = h & (t->nslot - 1); t->slot[i].code1; i = (i + 1) & (t->nslot - 1)) {
        e = &t->slot[i];
        if (e->tag == tag && e->len == n && (n == 0 || memcmp(p, t->bytes.p + e->off, n) == 0))
            return e->code1 - 1;
    }
    /* a block's strings stay far below 4 GiB (IX_BLOCK_BYTES, IX_MAX_NAMES) */
    if (t->bytes.n + n > UINT32_MAX)
        xdie(t->bytes.n + n);
    e = &t->slot[i];
    e->tag = tag;
    e->off = (uint32_t)t->bytes.n;
    e->len = (uint32_t)n;
    ixu_push(&t->off, t->bytes.n);
    ixv_put(&t->bytes, p, n);
    e->code1 = (uint32_t)t->off.n;
    return e->code1 - 1;
}

static void sdict_reset(struct sdict *t)
{
    if (t->slot)
        memset(t->slot, 0, t->nslot * sizeof *t->slot);
    t->bytes.n = 0;
    t->off.n = 0;
}

static void sdict_free(struct sdict *t)
{
    free(t->slot);
    ixv_free(&t->bytes);
    ixu_free(&t->off);
}

/* ------------------------------------------------------------------ columns */

struct wcol {
    uint8_t kind, sec;
    struct ixv name;
    bool used;                  /* has values in the block being built */
    struct sdict dict;          /* DICT, LEAF strings, MAP values */
    struct ixu a;               /* U values, DICT codes, LEAF string codes, MAP counts,
                                 * RAW lengths */
    struct ixu b;               /* LEAF numbers, MAP name codes */
    struct ixu c;               /* MAP value codes */
    struct ixv blob;            /* RAW bytes; BLOB: the bytes not yet in a frame */
    struct ixv frames;          /* BLOB: zstd frames of the bytes before (see add_body) */
    uint64_t raw;               /* BLOB: bytes in frames */
};

/* A value shredded from a row's section, committed once the whole section shredded. */
struct staged {
    uint32_t col;
    uint8_t tag;                /* ENT_T_STR, ENT_T_U64 (numbers), IX_T_MAP (a pair) */
    const uint8_t *p, *k;       /* string value; map: value and name */
    size_t n, kn;
    uint64_t num;
};

/*
 * A path of a section: its parent, its last key (or "[]"), and the columns
 * of values and of a header map there. Paths are found by (parent, key) in
 * a hash table, so shredding a value costs a hash of its key alone.
 */
struct pnode {
    uint32_t parent;
    uint32_t kstart, klen;      /* key bytes in wseg.pkeys */
    bool arr;                   /* "[]": an array's elements */
    uint32_t leaf, map;         /* column ids, UINT32_MAX until used */
};

/*
 * A part is stored compressed only when zstd saves at least 1/PART_KEEP of
 * it: below, reading it back costs more than the bytes are worth. A time
 * column needs zstd to save half: every query reads the time columns (its
 * window, the order of its rows), and zstd's entropy-coded bytes decode at
 * about 1 GB/s. Measured with tests/tools/ixbench on the 1 GiB gencap
 * capture: a one-core scan at 35 M rows/s instead of 30 M, for 0.86 MB
 * more index (0.08% of the capture; the time units of ix_time_encode had
 * saved 0.80 MB).
 * And zstd must save PART_MIN_SAVE bytes at least: a frame costs its reader
 * 2,000 to 8,000 cycles before its first byte (the entropy tables of each
 * block are built anew), as much as reading a few KB, and most parts of a
 * block's many small columns saved less than that. Measured the same way:
 * the scan at 39.6 -> 42.2 M rows/s, the index without bodies at 1.952% ->
 * 1.979% of the capture (a minimum of 1,024 bytes: 44.3 M rows/s, 2.0005%).
 */
#define PART_KEEP 5u
#define PART_MIN_SAVE 768u
#define PART_KEEP_TIME 2u

/* Paths kept per segment at most (past it, a section stays raw). */
#define IX_MAX_PATHS (4 * IX_MAX_COLS)

struct wseg {
    struct wcol *col;
    size_t ncol, capcol;
    struct pnode *pn;           /* 0 and 1: the request's and the response's root */
    size_t npn, cappn;
    uint32_t *pslot;            /* node id + 1, 0 empty */
    size_t npslot;
    struct ixv pkeys;
    struct sdict names;         /* header names (segment-wide) */
    struct staged *st;
    size_t nst, capst;
    struct ixv shape, key;
    struct ixv blk, part, footer;
    struct comp_block *zc;
    size_t bvalues;             /* values in the block being built (IX_BLOCK_VALUES) */
    struct ixu req, resp;       /* the block's request and response times, as they were */
    struct ixu reqpkt;          /* and its requests' packet numbers */
    uint32_t nm_code[ENT_NAMES];    /* the codes of the names of the row before */
};

static uint32_t col_add(struct wseg *w, uint8_t kind, uint8_t sec, const uint8_t *name, size_t n)
{
    struct wcol *c;

    xgrow((void **)&w->col, &w->capcol, w->ncol + 1, sizeof *w->col);
    c = &w->col[w->ncol];
    memset(c, 0, sizeof *c);
    c->kind = kind;
    c->sec = sec;
    ixv_put(&c->name, name, n);
    return (uint32_t)w->ncol++;
}

static uint64_t pnode_hash(uint32_t parent, const uint8_t *key, size_t kl, bool arr)
{
    return str_hash(key, kl) ^ ((uint64_t)parent * 0x9e3779b97f4a7c15ull) ^ arr;
}

static void pnode_rehash(struct wseg *w)
{
    size_t n = w->npslot ? 2 * w->npslot : 256;

    free(w->pslot);
    w->pslot = xcalloc(n, sizeof *w->pslot);
    w->npslot = n;
    for (size_t id = 2; id < w->npn; id++) {
        const struct pnode *q = &w->pn[id];
        size_t i = pnode_hash(q->parent, w->pkeys.p + q->kstart, q->klen, q->arr) & (n - 1);

        while (w->pslot[i])
            i = (i + 1) & (n - 1);
        w->pslot[i] = (uint32_t)id + 1;
    }
}

/* The child of parent at key (arr: the "[]" of an array); UINT32_MAX past the cap. */
static uint32_t pnode_child(struct wseg *w, uint32_t parent, const uint8_t *key, size_t kl,
                            bool arr)
{
    size_t i;
    struct pnode *q;

    if (2 * (w->npn + 1) > w->npslot)
        pnode_rehash(w);
    for (i = pnode_hash(parent, key, kl, arr) & (w->npslot - 1); w->pslot[i];
         i = (i + 1) & (w->npslot - 1)) {
        q = &w->pn[w->pslot[i] - 1];
        if (q->parent == parent && q->arr == arr && q->klen == kl &&
            (kl == 0 || memcmp(w->pkeys.p + q->kstart, key, kl) == 0))
            return w->pslot[i] - 1;
    }
    if (w->npn >= IX_MAX_PATHS)
        return UINT32_MAX;
    xgrow((void **)&w->pn, &w->cappn, w->npn + 1, sizeof *w->pn);
    q = &w->pn[w->npn];
    *q = (struct pnode){ parent, (uint32_t)w->pkeys.n, (uint32_t)kl, arr, UINT32_MAX, UINT32_MAX };
    ixv_put(&w->pkeys, key, kl);
    w->pslot[i] = (uint32_t)w->npn + 1;
    return (uint32_t)w->npn++;
}

/* Appends the catalogue name of path id: its keys from the root, each v (length + 1) + bytes. */
static void path_name(const struct wseg *w, uint32_t id, struct ixv *out)
{
    const struct pnode *q = &w->pn[id];

    if (id < 2)
        return;
    path_name(w, q->parent, out);
    if (q->arr) {
        ixv_u8(out, 0);
    } else {
        ixv_varint(out, (uint64_t)q->klen + 1);
        ixv_put(out, w->pkeys.p + q->kstart, q->klen);
    }
}

/* The column of kind (leaf values or a map) at path id; UINT32_MAX past the cap. */
static uint32_t col_at(struct wseg *w, uint8_t kind, uint8_t sec, uint32_t id)
{
    uint32_t *c;

    if (id == UINT32_MAX)
        return UINT32_MAX;
    c = kind == IXK_MAP ? &w->pn[id].map : &w->pn[id].leaf;
    if (*c != UINT32_MAX)
        return *c;
    if (w->ncol >= IX_MAX_COLS)
        return UINT32_MAX;
    w->key.n = 0;
    path_name(w, id, &w->key);
    *c = col_add(w, kind, sec, w->key.p, w->key.n);
    return *c;
}

static void stage(struct wseg *w, const struct staged *s)
{
    xgrow((void **)&w->st, &w->capst, w->nst + 1, sizeof *w->st);
    w->st[w->nst++] = *s;
}

static bool is_map_key(const uint8_t *k, size_t kl)
{
    return (kl == 7 && memcmp(k, "headers", 7) == 0) ||
           (kl == 8 && memcmp(k, "trailers", 8) == 0) ||
           (kl == 11 && memcmp(k, "queryString", 11) == 0);
}

/* The object at p (after its key) holds only strings up to its END: its pair count, or -1. */
static long map_pairs(const uint8_t *p, const uint8_t *end)
{
    struct ixr r;
    long pairs = 0;

    ixr_init(&r, p, (size_t)(end - p));
    while (r.p < r.end) {
        uint8_t tag = *r.p++;
        size_t kl, n;

        if (tag == ENT_T_END)
            return pairs;
        if (tag != ENT_T_STR || r.p >= r.end)
            return -1;
        kl = *r.p++;
        if (kl > (size_t)(r.end - r.p))
            return -1;
        r.p += kl;
        (void)ixr_str(&r, &n);
        if (r.bad)
            return -1;
        pairs++;
    }
    return -1;
}

/* A header map at depth 0: shape op and staged pairs. False past a cap. */
static bool shred_map(struct wseg *w, struct ixr *r, uint8_t sec, uint32_t node,
                      const uint8_t *key, size_t kl, long pairs)
{
    uint32_t col = col_at(w, IXK_MAP, sec, pnode_child(w, node, key, kl, false));

    if (col == UINT32_MAX || sdict_count(&w->names) + (size_t)pairs > IX_MAX_NAMES)
        return false;
    ixv_u8(&w->shape, IX_T_MAP);
    ixv_u8(&w->shape, (uint8_t)kl);
    ixv_put(&w->shape, key, kl);
    ixv_varint(&w->shape, col);
    stage(w, &(struct staged){ .col = col, .tag = ENT_T_OBJ });
    /* map_pairs() checked every length */
    for (long i = 0; i < pairs; i++) {
        struct staged s = { .col = col, .tag = IX_T_MAP };

        r->p++;
        s.kn = *r->p++;
        s.k = r->p;
        r->p += s.kn;
        s.p = ixr_str(r, &s.n);
        stage(w, &s);
    }
    r->p++;
    return true;
}

/*
 * Shreds values from r up to the END of the container (or the section's end
 * at depth 0) into w->shape and w->st. False when the bytes are not a
 * well-formed section or a cap was reached.
 */
static bool shred(struct wseg *w, struct ixr *r, uint8_t sec, uint32_t node, bool in_arr,
                  unsigned depth)
{
    if (depth > ENT_DEPTH_MAX + 1)
        return false;
    while (r->p < r->end) {
        uint8_t tag = *r->p++;
        const uint8_t *key = NULL;
        size_t kl = 0;
        uint32_t col, child;
        long pairs;

        if (tag == ENT_T_END) {
            if (depth == 0)
                return false;
            ixv_u8(&w->shape, tag);
            return true;
        }
        if (!in_arr) {
            if (r->p >= r->end)
                return false;
            kl = *r->p++;
            if (kl > (size_t)(r->end - r->p))
                return false;
            key = r->p;
            r->p += kl;
        }
        if (tag == ENT_T_OBJ && depth == 0 && is_map_key(key, kl) &&
            (pairs = map_pairs(r->p, r->end)) >= 0) {
            if (!shred_map(w, r, sec, node, key, kl, pairs))
                return false;
            continue;
        }
        ixv_u8(&w->shape, tag);
        if (!in_arr) {
            ixv_u8(&w->shape, (uint8_t)kl);
            ixv_put(&w->shape, key, kl);
        }
        switch (tag) {
        case ENT_T_OBJ:
        case ENT_T_ARR:
            /* an object's members are under its key; an array's elements under "[]" */
            child = in_arr ? node : pnode_child(w, node, key, kl, false);
            if (tag == ENT_T_ARR && child != UINT32_MAX)
                child = pnode_child(w, child, NULL, 0, true);
            if (child == UINT32_MAX || !shred(w, r, sec, child, tag == ENT_T_ARR, depth + 1))
                return false;
            break;
        case ENT_T_STR:
        case ENT_T_U64:
        case ENT_T_I64: {
            struct staged s = { .tag = tag == ENT_T_STR ? ENT_T_STR : ENT_T_U64 };

            if (tag == ENT_T_STR)
                s.p = ixr_str(r, &s.n);
            else
                s.num = ixr_varint(r);
            if (r->bad)
                return false;
            col = col_at(w, IXK_LEAF, sec, in_arr ? node : pnode_child(w, node, key, kl, false));
            if (col == UINT32_MAX)
                return false;
            s.col = col;
            ixv_varint(&w->shape, col);
            stage(w, &s);
            break;
        }
        case ENT_T_BOOL_F:
        case ENT_T_BOOL_T:
        case ENT_T_NULL:
            break;
        default:
            return false;
        }
    }
    return depth == 0;
}

static struct wcol *use(struct wseg *w, uint32_t col)
{
    struct wcol *c = &w->col[col];

    c->used = true;
    return c;
}

/* Moves a shredded section's staged values into their columns. */
static void commit(struct wseg *w)
{
    struct wcol *map = NULL;

    w->bvalues += w->nst;
    for (size_t i = 0; i < w->nst; i++) {
        const struct staged *s = &w->st[i];
        struct wcol *c = use(w, s->col);

        switch (s->tag) {
        case ENT_T_STR:
            ixu_push(&c->a, sdict_intern(&c->dict, s->p, s->n));
            break;
        case ENT_T_U64:
            ixu_push(&c->b, s->num);
            break;
        case ENT_T_OBJ:
            map = c;
            ixu_push(&c->a, 0);
            break;
        default: /* IX_T_MAP: a pair of the map just opened */
            map->a.v[map->a.n - 1]++;
            ixu_push(&c->b, sdict_intern(&w->names, s->k, s->kn));
            ixu_push(&c->c, sdict_intern(&c->dict, s->p, s->n));
            break;
        }
    }
    w->nst = 0;
}

/* One section of a row: its shape into the shape column, its values into theirs. */
static void add_section(struct wseg *w, uint8_t sec, const uint8_t *p, size_t n)
{
    struct wcol *shape;
    struct ixr r;

    w->shape.n = 0;
    w->nst = 0;
    ixr_init(&r, p, n);
    if (shred(w, &r, sec, sec, false, 0)) {
        commit(w);
    } else {
        /* not ours to judge: kept whole, as written */
        struct wcol *raw = use(w, sec == IX_SEC_REQ ? IXC_REQ_RAW : IXC_RESP_RAW);

        w->nst = 0;
        w->shape.n = 0;
        ixv_u8(&w->shape, IX_T_RAW);
        ixu_push(&raw->a, n);
        ixv_put(&raw->blob, p, n);
        w->bvalues++;
    }
    /* shredding may have added columns (and moved w->col) */
    shape = use(w, sec == IX_SEC_REQ ? IXC_REQ_SHAPE : IXC_RESP_SHAPE);
    ixu_push(&shape->a, sdict_intern(&shape->dict, w->shape.p, w->shape.n));
}

/* Appends src[0..n) to out as one zstd frame, compressed in place; returns its length. */
static size_t put_frame(struct wseg *w, struct ixv *out, const uint8_t *src, size_t n)
{
    size_t bound = comp_block_bound(n), zn;

    zn = comp_block_pack(w->zc, ixv_room(out, bound), bound, src, n);
    /* with room for the bound, zstd fails only when it cannot allocate */
    if (zn == 0)
        xdie(bound);
    out->n += zn;
    return zn;
}

/*
 * A body column keeps its bytes compressed as they come: the bytes waiting
 * become a zstd frame before a body would take them past IX_BODY_FRAME.
 * The chunk's data part is then a frame of the lengths, then these frames
 * (FORMAT.md): the same bytes as one frame would hold, so a reader
 * decompresses it like any other part, while the writer holds a block's
 * bodies compressed.
 */
static void add_body(struct wseg *w, struct wcol *c, const uint8_t *p, size_t n)
{
    ixu_push(&c->a, n);
    w->bvalues++;
    /*
     * Both buffers grow as the bytes come (the copies cost far less than
     * the compression): room set aside at once for a frame and a block's
     * worth of frames, in each of 64 buckets' two body columns, was most
     * of what a dissecting ingest touched beyond a split.
     */
    if (c->blob.n > 0 && c->blob.n + n > IX_BODY_FRAME) {
        put_frame(w, &c->frames, c->blob.p, c->blob.n);
        c->raw += c->blob.n;
        c->blob.n = 0;
    }
    ixv_put(&c->blob, p, n);
}

/* Body bytes the block being built holds, as held and before compression. */
static void body_bytes(const struct wseg *w, size_t *held, uint64_t *raw)
{
    *held = 0;
    *raw = 0;
    for (int k = IXC_REQ_BODY; k <= IXC_RESP_BODY; k++) {
        *held += w->col[k].blob.n + w->col[k].frames.n;
        *raw += w->col[k].raw + w->col[k].blob.n;
    }
}

static void add_row(struct wseg *w, const struct ent_view *v)
{
    static const uint8_t fixed_u[] = { IXC_STREAM, IXC_INDEX, IXC_PROTO, IXC_L4, IXC_IPVER,
                                       IXC_FLAGS, IXC_ANOMALIES, IXC_SRC_PORT, IXC_DST_PORT,
                                       IXC_REQ_NS, IXC_REQ_END_NS, IXC_RESP_NS, IXC_RESP_END_NS,
                                       IXC_REQ_SIZE, IXC_RESP_SIZE, IXC_REQ_PKT, IXC_RESP_PKT,
                                       IXC_LAST_PKT };
    const struct ent_fixed *f = &v->f;
    const uint64_t val[] = { f->stream_id, f->index, f->proto, f->l4, f->ipver, f->flags,
                             f->anomalies, f->src_port, f->dst_port, f->req_ns, f->req_end_ns,
                             f->resp_ns, f->resp_end_ns, f->req_size, f->resp_size, f->req_pkt,
                             f->resp_pkt, f->last_pkt };

    for (size_t i = 0; i < sizeof fixed_u; i++)
        ixu_push(&use(w, fixed_u[i])->a, val[i]);
    ixu_push(&use(w, IXC_SRC_IP)->a, sdict_intern(&w->col[IXC_SRC_IP].dict, f->src_ip, 16));
    ixu_push(&use(w, IXC_DST_IP)->a, sdict_intern(&w->col[IXC_DST_IP].dict, f->dst_ip, 16));
    for (int i = 0; i < ENT_NAMES; i++) {
        struct wcol *c = use(w, (uint32_t)(IXC_SRC_NAME + i));
        const uint8_t *p;
        size_t n;

        /* names repeat row after row: skip the hash when it is the row before's again */
        if (c->a.n > 0) {
            sdict_get(&c->dict, w->nm_code[i], &p, &n);
            if (n == v->nmlen[i] && (n == 0 || memcmp(p, v->nm[i], n) == 0)) {
                ixu_push(&c->a, w->nm_code[i]);
                continue;
            }
        }
        w->nm_code[i] = sdict_intern(&c->dict, (const uint8_t *)v->nm[i], v->nmlen[i]);
        ixu_push(&c->a, w->nm_code[i]);
    }
    add_section(w, IX_SEC_REQ, v->sec[0], v->seclen[0]);
    add_section(w, IX_SEC_RESP, v->sec[1], v->seclen[1]);
    for (int k = 0; k < 2; k++)
        add_body(w, use(w, k ? IXC_RESP_BODY : IXC_REQ_BODY), v->body[k], v->bodylen[k]);
}

/* ------------------------------------------------------------------- blocks */

static void put_dict(struct ixv *out, const struct sdict *t)
{
    ixv_varint(out, sdict_count(t));
    for (size_t c = 0; c < sdict_count(t); c++) {
        const uint8_t *p;
        size_t n;

        sdict_get(t, c, &p, &n);
        ixv_varint(out, n);
        ixv_put(out, p, n);
    }
}

static void min_max(const struct ixu *a, bool skip_zero, uint64_t *lo, uint64_t *hi)
{
    *lo = UINT64_MAX;
    *hi = 0;
    for (size_t i = 0; i < a->n; i++) {
        if (skip_zero && a->v[i] == 0)
            continue;
        if (a->v[i] < *lo)
            *lo = a->v[i];
        if (a->v[i] > *hi)
            *hi = a->v[i];
    }
    if (*lo > *hi)
        *lo = *hi = 0;
}

/*
 * Appends part (w->part) to the block, compressed when that saves at least
 * 1/keep of it; returns its stored length.
 */
static size_t put_part(struct wseg *w, size_t keep, bool *zstd)
{
    size_t bound = comp_block_bound(w->part.n), zn = 0;

    *zstd = false;
    /* compressed in place at the block's end; replaced by the bytes as they are if not kept */
    if (w->part.n >= 32)
        zn = comp_block_pack(w->zc, ixv_room(&w->blk, bound), bound, w->part.p, w->part.n);
    if (zn > 0 && zn <= w->part.n - w->part.n / keep && w->part.n - zn >= PART_MIN_SAVE) {
        *zstd = true;
        w->blk.n += zn;
        return zn;
    }
    ixv_put(&w->blk, w->part.p, w->part.n);
    return w->part.n;
}

/*
 * The values of the column time column c is coded against (ix_time_ref), as
 * they were before their own coding changed them (flush_block copies them);
 * NULL for the request time, coded against the rows before.
 */
static const struct ixu *time_ref(const struct wseg *w, const struct wcol *c)
{
    uint32_t col = (uint32_t)(c - w->col), ref = ix_time_ref(col);

    if (col == IXC_REQ_NS)
        return NULL;
    return ref == IXC_RESP_NS ? &w->resp : ref == IXC_REQ_PKT ? &w->reqpkt : &w->req;
}

/* The data part of column c (w->part) and its zone map. */
static void data_part(struct wseg *w, struct wcol *c, uint64_t *lo, uint64_t *hi)
{
    struct ixv *o = &w->part;

    *lo = *hi = 0;
    switch (c->kind) {
    case IXK_U:
        min_max(&c->a, false, lo, hi);
        ixv_packed(o, c->a.v, c->a.n);
        break;
    case IXK_TIME: {
        const struct ixu *ref = time_ref(w, c);
        bool pkt = ref == &w->reqpkt;
        uint64_t base, dummy;

        /* 0 is no time, but packet 0 is a packet */
        min_max(&c->a, !pkt, lo, hi);
        min_max(pkt ? ref : &w->req, true, &base, &dummy);
        ixv_varint(o, base);
        ixv_varint(o, ix_time_encode(c->a.v, ref ? ref->v : NULL, c->a.n, base));
        ixv_packed(o, c->a.v, c->a.n);
        break;
    }
    case IXK_DICT:
        ixv_packed(o, c->a.v, c->a.n);
        break;
    case IXK_LEAF:
        min_max(&c->b, false, lo, hi);
        ixv_varint(o, c->a.n);
        ixv_packed(o, c->a.v, c->a.n);
        ixv_varint(o, c->b.n);
        ixv_packed(o, c->b.v, c->b.n);
        break;
    case IXK_MAP:
        ixv_varint(o, c->a.n);
        ixv_packed(o, c->a.v, c->a.n);
        ixv_varint(o, c->b.n);
        ixv_packed(o, c->b.v, c->b.n);
        ixv_packed(o, c->c.v, c->c.n);
        break;
    default: /* IXK_RAW, IXK_BLOB */
        ixv_varint(o, c->a.n);
        ixv_packed(o, c->a.v, c->a.n);
        /* a framed body's bytes are in frames of their own (flush_block) */
        if (c->frames.n == 0)
            ixv_put(o, c->blob.p, c->blob.n);
        break;
    }
}

/* Writes the block built so far (rows rows, times t0 to t1) and its directory entry. */
static void flush_block(struct wseg *w, uint32_t rows, uint64_t t0, uint64_t t1)
{
    size_t nchunks = 0;

    w->blk.n = 0;
    w->part.n = 0;
    for (size_t i = 0; i < w->ncol; i++)
        nchunks += w->col[i].used;
    /* what the time columns are coded against (time_ref), which their own coding changes */
    w->req.n = w->resp.n = w->reqpkt.n = 0;
    for (size_t i = 0; i < w->col[IXC_REQ_NS].a.n; i++) {
        ixu_push(&w->req, w->col[IXC_REQ_NS].a.v[i]);
        ixu_push(&w->resp, w->col[IXC_RESP_NS].a.v[i]);
        ixu_push(&w->reqpkt, w->col[IXC_REQ_PKT].a.v[i]);
    }
    ixv_varint(&w->footer, rows);
    ixv_varint(&w->footer, t0);
    ixv_varint(&w->footer, t1);
    /* the block's length follows once known: a scratch directory first */
    {
        struct ixv dir = { 0 };

        ixv_varint(&dir, nchunks);
        for (size_t i = 0; i < w->ncol; i++) {
            struct wcol *c = &w->col[i];
            size_t dl = 0, dr = 0, al, ar;
            bool dz = false, az;
            uint64_t lo, hi;
            size_t start = w->blk.n;

            if (!c->used)
                continue;
            if (c->kind == IXK_DICT || c->kind == IXK_LEAF || c->kind == IXK_MAP) {
                w->part.n = 0;
                put_dict(&w->part, &c->dict);
                dr = w->part.n;
                dl = put_part(w, PART_KEEP, &dz);
            }
            w->part.n = 0;
            data_part(w, c, &lo, &hi);
            ar = w->part.n;
            if (c->frames.n > 0) {
                /* a framed body (add_body): a frame of the lengths, the frames, the rest */
                al = put_frame(w, &w->blk, w->part.p, w->part.n);
                ixv_put(&w->blk, c->frames.p, c->frames.n);
                al += c->frames.n;
                if (c->blob.n > 0)
                    al += put_frame(w, &w->blk, c->blob.p, c->blob.n);
                ar += c->raw + c->blob.n;
                az = true;
            } else {
                al = put_part(w, c->kind == IXK_TIME ? PART_KEEP_TIME : PART_KEEP, &az);
            }
            ixv_varint(&dir, i);
            ixv_u8(&dir, (uint8_t)((dz ? IXC_DICT_ZSTD : 0) | (az ? IXC_DATA_ZSTD : 0)));
            ixv_varint(&dir, dl);
            ixv_varint(&dir, dr);
            ixv_varint(&dir, al);
            ixv_varint(&dir, ar);
            ixv_varint(&dir, lo);
            ixv_varint(&dir, hi);
            ixv_le32(&dir, crc32c(0, w->blk.p + start, w->blk.n - start));
            c->used = false;
            sdict_reset(&c->dict);
            c->a.n = c->b.n = c->c.n = 0;
            c->blob.n = 0;
            c->frames.n = 0;
            c->raw = 0;
        }
        w->bvalues = 0;
        ixv_varint(&w->footer, w->blk.n);
        ixv_put(&w->footer, dir.p, dir.n);
        ixv_free(&dir);
    }
}

void ix_put_dict_chunk(struct comp_block *z, const char *const *p, const uint8_t *n, size_t rows,
                       struct ixv *blk, struct ix_chunk_dir *dir)
{
    struct wseg w;
    struct sdict t = { 0 };
    struct ixu codes = { 0 };
    bool dz, az;
    size_t start = blk->n;

    memset(&w, 0, sizeof w);
    w.zc = z;
    w.blk = *blk;
    for (size_t i = 0; i < rows; i++)
        ixu_push(&codes, sdict_intern(&t, (const uint8_t *)p[i], n[i]));
    put_dict(&w.part, &t);
    dir->dr = w.part.n;
    dir->dl = put_part(&w, PART_KEEP, &dz);
    w.part.n = 0;
    ixv_packed(&w.part, codes.v, codes.n);
    dir->ar = w.part.n;
    dir->al = put_part(&w, PART_KEEP, &az);
    dir->flags = (uint8_t)((dz ? IXC_DICT_ZSTD : 0) | (az ? IXC_DATA_ZSTD : 0));
    dir->lo = dir->hi = 0;
    dir->crc = crc32c(0, w.blk.p + start, w.blk.n - start);
    *blk = w.blk;
    ixv_free(&w.part);
    sdict_free(&t);
    ixu_free(&codes);
}

/* ----------------------------------------------------------------- segment */

struct srow {
    uint64_t t, stream;
    uint32_t index;
    const struct ent_view *v;
};

static int cmp_srow(const void *a, const void *b)
{
    const struct srow *x = a, *y = b;

    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    if (x->stream != y->stream)
        return x->stream < y->stream ? -1 : 1;
    return (x->index > y->index) - (x->index < y->index);
}

static void wseg_free(struct wseg *w)
{
    for (size_t i = 0; i < w->ncol; i++) {
        struct wcol *c = &w->col[i];

        ixv_free(&c->name);
        sdict_free(&c->dict);
        ixu_free(&c->a);
        ixu_free(&c->b);
        ixu_free(&c->c);
        ixv_free(&c->blob);
        ixv_free(&c->frames);
    }
    free(w->col);
    free(w->pn);
    free(w->pslot);
    ixv_free(&w->pkeys);
    sdict_free(&w->names);
    free(w->st);
    ixv_free(&w->shape);
    ixv_free(&w->key);
    ixv_free(&w->blk);
    ixv_free(&w->part);
    ixv_free(&w->footer);
    ixu_free(&w->req);
    ixu_free(&w->reqpkt);
    ixu_free(&w->resp);
}

/* The footer's head: node, column catalogue, header names. */
static void put_catalogue(struct wseg *w, struct ixv *out, const char *node)
{
    ixv_varint(out, strlen(node));
    ixv_put(out, node, strlen(node));
    ixv_varint(out, w->ncol);
    for (size_t i = 0; i < w->ncol; i++) {
        ixv_u8(out, w->col[i].kind);
        ixv_u8(out, w->col[i].sec);
        ixv_varint(out, w->col[i].name.n);
        ixv_put(out, w->col[i].name.p, w->col[i].name.n);
    }
    put_dict(out, &w->names);
}

struct ix_writer {
    struct wseg w;
    char *path, *tmp, *node;
    int fd;
    uint64_t off;               /* bytes written to the file */
    uint64_t rows, first, last;
    uint32_t nblocks;
    uint32_t brows;             /* rows of the block being built */
    uint64_t bfirst, blast;     /* and their times' range */
    size_t bbytes;              /* and their section and name bytes */
};

/* Opens the file to append (x->fd). */
static int writer_open(struct ix_writer *x, struct diag *d)
{
    x->fd = open(x->tmp, O_WRONLY | O_APPEND | O_CLOEXEC);
    return x->fd < 0 ? diag_errno(d, SV_EIO, errno, "%s: open", x->tmp) : 0;
}

static int writer_shut(struct ix_writer *x, int rc, struct diag *d)
{
    if (close(x->fd) < 0 && rc == 0)
        rc = diag_errno(d, SV_EIO, errno, "%s: close", x->tmp);
    x->fd = -1;
    return rc;
}

struct ix_writer *ix_writer_new(const char *path, const char *node, struct comp_block *z,
                                struct diag *d)
{
    struct ix_writer *x = xcalloc(1, sizeof *x);
    static const uint8_t zero[IX_HDR_LEN];

    x->path = xstrdup(path);
    x->tmp = fs_printf("%s.tmp", path);
    x->node = xstrdup(node);
    x->w.zc = z;
    for (size_t i = 0; i < IXC_FIXED_COUNT; i++) {
        const struct ix_fixed_def *f = &ix_fixed_cols[i];
        uint32_t id = col_add(&x->w, f->kind, f->section, (const uint8_t *)f->name,
                              strlen(f->name));
        struct wcol *c = &x->w.col[id];     /* after col_add, which may move the columns */

        /* a value per row: a block's worth of room at once (touched as rows come), where
         * growing by doubling copied each array into fresh pages over and over */
        if (f->kind != IXK_RAW)
            xgrow((void **)&c->a.v, &c->a.cap, IX_BLOCK_ROWS, sizeof *c->a.v);
    }
    /* the roots of the request's and the response's paths */
    for (uint32_t sec = 0; sec < 2; sec++) {
        xgrow((void **)&x->w.pn, &x->w.cappn, x->w.npn + 1, sizeof *x->w.pn);
        x->w.pn[x->w.npn++] = (struct pnode){ sec, 0, 0, false, UINT32_MAX, UINT32_MAX };
    }
    /* the file is open only while a block is written: open files stay bounded */
    x->fd = open(x->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (x->fd < 0) {
        diag_errno(d, SV_EIO, errno, "%s: create", x->tmp);
        ix_writer_abort(x);
        return NULL;
    }
    if (writer_shut(x, fs_write_all(x->fd, zero, IX_HDR_LEN, x->tmp, d), d) < 0) {
        ix_writer_abort(x);
        return NULL;
    }
    x->off = IX_HDR_LEN;
    return x;
}

/* Writes the block built so far. */
static int writer_flush(struct ix_writer *x, struct diag *d)
{
    int rc;

    if (x->brows == 0)
        return 0;
    flush_block(&x->w, x->brows, x->bfirst, x->blast);
    rc = writer_open(x, d);
    if (rc == 0)
        rc = writer_shut(x, fs_write_all(x->fd, x->w.blk.p, x->w.blk.n, x->tmp, d), d);
    x->off += x->w.blk.n;
    x->nblocks++;
    x->brows = 0;
    x->bbytes = 0;
    return rc;
}

int ix_writer_add(struct ix_writer *x, const struct ent_view *v, struct diag *d)
{
    uint64_t t = v->f.req_ns ? v->f.req_ns : v->f.resp_ns, braw;
    size_t bytes = v->seclen[0] + v->seclen[1], body = v->bodylen[0] + v->bodylen[1], bheld;
    int rc = 0;

    for (int i = 0; i < ENT_NAMES; i++)
        bytes += v->nmlen[i];
    body_bytes(&x->w, &bheld, &braw);
    /* a block ends before a row could take it past IX_BLOCK_VALUES, IX_BLOCK_BYTES (its
     * sections and names, or its bodies as held) or IX_BLOCK_BODY_RAW */
    if (x->brows > 0 && (x->w.bvalues + v->seclen[0] + v->seclen[1] + 2 > IX_BLOCK_VALUES ||
                         x->bbytes + bytes > IX_BLOCK_BYTES || bheld + body > IX_BLOCK_BYTES ||
                         braw + body > IX_BLOCK_BODY_RAW))
        rc = writer_flush(x, d);
    if (rc < 0)
        return rc;
    add_row(&x->w, v);
    if (x->brows == 0 || t < x->bfirst)
        x->bfirst = t;
    if (x->brows == 0 || t > x->blast)
        x->blast = t;
    if (x->rows == 0 || t < x->first)
        x->first = t;
    if (x->rows == 0 || t > x->last)
        x->last = t;
    x->brows++;
    x->bbytes += bytes;
    x->rows++;
    return x->brows == IX_BLOCK_ROWS ? writer_flush(x, d) : 0;
}

uint64_t ix_writer_rows(const struct ix_writer *x)
{
    return x->rows;
}

bool ix_writer_name(struct ix_writer *x, ix_names_fn fn, void *arg)
{
    struct wseg *w = &x->w;
    const struct wcol *sip = &w->col[IXC_SRC_IP], *dip = &w->col[IXC_DST_IP];
    const uint64_t *ipver = w->col[IXC_IPVER].a.v, *sp = w->col[IXC_SRC_PORT].a.v;
    const uint64_t *dp = w->col[IXC_DST_PORT].a.v, *req = w->col[IXC_REQ_NS].a.v;
    const uint64_t *resp = w->col[IXC_RESP_NS].a.v;

    /* the name columns anew, their codes in order of first appearance as add_row gives them */
    for (int k = 0; k < ENT_NAMES; k++) {
        sdict_reset(&w->col[IXC_SRC_NAME + k].dict);
        w->col[IXC_SRC_NAME + k].a.n = 0;
    }
    for (uint32_t i = 0; i < x->brows; i++) {
        const char *nm[ENT_NAMES];
        uint8_t nl[ENT_NAMES];
        const uint8_t *a, *b;
        size_t an, bn;
        struct ix_ends e;

        sdict_get(&sip->dict, sip->a.v[i], &a, &an);
        sdict_get(&dip->dict, dip->a.v[i], &b, &bn);
        e = (struct ix_ends){ (uint8_t)ipver[i], a,           b,
                              (uint16_t)sp[i],  (uint16_t)dp[i], req[i] ? req[i] : resp[i] };
        fn(arg, &e, nm, nl);
        for (int k = 0; k < ENT_NAMES; k++) {
            struct wcol *c = &w->col[IXC_SRC_NAME + k];

            w->nm_code[k] = sdict_intern(&c->dict, (const uint8_t *)nm[k], nl[k]);
            ixu_push(&c->a, w->nm_code[k]);
        }
    }
    return x->nblocks == 0;
}

int ix_writer_close(struct ix_writer *x, struct ix_seg_info *info, struct diag *d)
{
    struct ixv head = { 0 };
    uint8_t h[IX_HDR_LEN];
    int rc = writer_flush(x, d);

    memset(info, 0, sizeof *info);
    /* the footer: catalogue, then the block directory built by flush_block */
    put_catalogue(&x->w, &head, x->node);
    ixv_put(&head, x->w.footer.p, x->w.footer.n);
    ixv_le32(&head, crc32c(0, head.p, head.n));
    memcpy(h, IX_MAGIC, IX_MAGIC_LEN);
    st_le32(h + 8, IX_VERSION);
    st_le32(h + 12, 0);
    st_le64(h + 16, x->rows);
    st_le64(h + 24, x->first);
    st_le64(h + 32, x->last);
    st_le64(h + 40, x->off);
    st_le32(h + 48, (uint32_t)head.n);
    st_le32(h + 52, x->nblocks);
    st_le32(h + 56, 0);
    st_le32(h + 60, crc32c(0, h, 60));
    if (rc == 0)
        rc = writer_open(x, d);
    if (rc == 0) {
        rc = fs_write_all(x->fd, head.p, head.n, x->tmp, d);
        /* O_APPEND ignores offsets: the header goes through a descriptor of its own */
        rc = writer_shut(x, rc, d);
    }
    if (rc == 0) {
        x->fd = open(x->tmp, O_WRONLY | O_CLOEXEC);
        rc = x->fd < 0 ? diag_errno(d, SV_EIO, errno, "%s: open", x->tmp)
                       : writer_shut(x, fs_pwrite_all(x->fd, h, IX_HDR_LEN, 0, x->tmp, d), d);
    }
    if (rc == 0 && rename(x->tmp, x->path) < 0)
        rc = diag_errno(d, SV_EIO, errno, "%s: rename", x->path);
    if (rc == 0) {
        info->rows = x->rows;
        info->bytes = x->off + head.n;
        info->first_ns = x->first;
        info->last_ns = x->last;
        info->blocks = x->nblocks;
    }
    ixv_free(&head);
    ix_writer_abort(x);
    return rc;
}

void ix_writer_abort(struct ix_writer *x)
{
    if (!x)
        return;
    if (x->fd >= 0)
        close(x->fd);
    (void)unlink(x->tmp);   /* gone already after a close that renamed it */
    wseg_free(&x->w);
    free(x->path);
    free(x->tmp);
    free(x->node);
    free(x);
}

int ix_write_segment(const char *path, const char *node, const uint8_t *const *recs, size_t n,
                     struct comp_block *z, struct ix_seg_info *info, struct diag *d)
{
    struct srow *rows = xcalloc(n ? n : 1, sizeof *rows);
    struct ent_view *views = xcalloc(n ? n : 1, sizeof *views);
    struct ix_writer *x;
    int rc = 0;

    memset(info, 0, sizeof *info);
    for (size_t i = 0; i < n; i++) {
        const struct ent_view *v = &views[i];

        if (ent_parse(recs[i], SIZE_MAX, &views[i]) <= 0) {
            free(rows);
            free(views);
            return diag_set(d, SV_EFORMAT, "%s: entry record %zu is corrupt", path, i);
        }
        rows[i] = (struct srow){ v->f.req_ns ? v->f.req_ns : v->f.resp_ns, v->f.stream_id,
                                 v->f.index, v };
    }
    if (n > 1)
        qsort(rows, n, sizeof *rows, cmp_srow);
    x = ix_writer_new(path, node, z, d);
    if (!x)
        rc = SV_EIO;
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = ix_writer_add(x, rows[i].v, d);
    if (rc == 0)
        rc = ix_writer_close(x, info, d);
    else
        ix_writer_abort(x);
    free(rows);
    free(views);
    return rc;
}
