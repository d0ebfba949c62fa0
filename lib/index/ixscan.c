/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: what a query plan reads of a block without rebuilding records:
 * zone maps from the directory, dictionary sizes, what a section's shape
 * holds at a path, and per row the header map a row has.
 *
 * ix_block_load() (ixread.c) has checked every code and count, so these
 * index without further checks. What they keep per block lives in the
 * segment's column state and is reused from block to block: scanning
 * allocates nothing per row.
 */
#include "config.h"

#include <string.h>
#include <strings.h>

#include "base/xalloc.h"
#include "entry/entry.h"
#include "index.h"
#include "ix_int.h"
#include "ixread_int.h"
#include "ixvec.h"

bool ix_block_zone(const struct ix_seg *s, uint32_t b, int col, uint64_t *lo, uint64_t *hi)
{
    const struct rblock *k;

    if (b >= s->nblk || col < 0 || (size_t)col >= s->ncols)
        return false;
    k = &s->blk[b];
    for (size_t i = 0; i < k->nch; i++) {
        if (k->ch[i].col == (uint32_t)col) {
            *lo = k->ch[i].lo;
            *hi = k->ch[i].hi;
            return true;
        }
    }
    return false;
}

size_t ix_dict_count(const struct ix_seg *s, int col)
{
    const struct lcol *c = &s->lc[col];

    return c->loaded ? c->nd : 0;
}

size_t ix_header_names(const struct ix_seg *s)
{
    return s->nnames;
}

void ix_header_name(const struct ix_seg *s, uint64_t code, const uint8_t **p, size_t *n)
{
    *p = code < s->nnames ? s->names[code] : NULL;
    *n = code < s->nnames ? s->namelen[code] : 0;
}

/* ------------------------------------------------------------------ shapes */

/* One open object or array while a shape is walked. */
struct frame {
    bool arr;
    int level;          /* the path's keys matched down to this object (-1: off the path) */
    unsigned exact;     /* members named keys[level] exactly */
    unsigned folded;    /* members named keys[level] without regard to case */
};

static bool key_is(const uint8_t *k, size_t kl, const char *key, size_t n, bool fold)
{
    if (kl != n)
        return false;
    if (!fold)
        return memcmp(k, key, n) == 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t a = k[i], b = (uint8_t)key[i];

        if (a >= 'A' && a <= 'Z')
            a = (uint8_t)(a - 'A' + 'a');
        if (b >= 'A' && b <= 'Z')
            b = (uint8_t)(b - 'A' + 'a');
        if (a != b)
            return false;
    }
    return true;
}

/* A closed object on the path: the lookup in it was not exact (a key twice, or only in
 * another case). */
static bool frame_ambiguous(const struct frame *f)
{
    return f->level >= 0 && (f->exact > 1 || (f->exact == 0 && f->folded > 0));
}

enum ix_at ix_shape_at(const struct ix_seg *s, enum ix_sec sec, uint64_t shape,
                       const char *const *keys, const size_t *klen, size_t nkeys, int *col)
{
    const struct lcol *sc;
    struct frame st[ENT_DEPTH_MAX + 2];
    unsigned depth = 0;
    enum ix_at found = IX_AT_NONE;
    struct ixr r;

    *col = -1;
    if (sec > IX_SEC_RESP || nkeys == 0)
        return IX_AT_OTHER;
    sc = &s->lc[sec == IX_SEC_REQ ? IXC_REQ_SHAPE : IXC_RESP_SHAPE];
    if (!sc->loaded || shape >= sc->nd)
        return IX_AT_OTHER;
    ixr_init(&r, sc->ds[shape].p, sc->ds[shape].n);
    if (sc->ds[shape].n == 1 && sc->ds[shape].p[0] == IX_T_RAW)
        return IX_AT_OTHER;     /* kept whole: its values are in no column */
    st[0] = (struct frame){ false, 0, 0, 0 };
    while (r.p < r.end) {
        struct frame *f = &st[depth];
        uint8_t tag = *r.p++;
        const uint8_t *key = NULL;
        size_t kl = 0;
        bool exact = false;
        uint64_t c = 0;

        if (tag == ENT_T_END) {
            if (depth == 0 || frame_ambiguous(f))
                return IX_AT_OTHER;
            depth--;
            continue;
        }
        if (!f->arr || tag == IX_T_MAP) {
            if (r.p >= r.end)
                return IX_AT_OTHER;
            kl = *r.p++;
            if (kl > (size_t)(r.end - r.p))
                return IX_AT_OTHER;
            key = r.p;
            r.p += kl;
        }
        if (f->level >= 0 && !f->arr) {
            size_t lv = (size_t)f->level;

            /* JSON keys are C strings in UTF-8: other bytes would not compare as here */
            for (size_t i = 0; i < kl; i++) {
                if (key[i] == 0 || key[i] >= 0x80)
                    return IX_AT_OTHER;
            }

            exact = key_is(key, kl, keys[lv], klen[lv], false);
            f->exact += exact;
            f->folded += key_is(key, kl, keys[lv], klen[lv], true);
        }
        if (tag == ENT_T_STR || tag == ENT_T_U64 || tag == ENT_T_I64 || tag == IX_T_MAP) {
            c = ixr_varint(&r);
            if (r.bad || c >= s->ncols)
                return IX_AT_OTHER;
        }
        if (exact) {
            size_t lv = (size_t)f->level;

            if (lv + 1 == nkeys) {
                /* the value itself: one in a column, or something the columns do not hold */
                switch (tag) {
                case ENT_T_STR: found = IX_AT_STR; break;
                case ENT_T_U64: found = IX_AT_U64; break;
                case ENT_T_I64: found = IX_AT_I64; break;
                default: return IX_AT_OTHER;
                }
                *col = (int)c;
            } else if (tag == IX_T_MAP && lv + 2 == nkeys) {
                found = IX_AT_MAP;
                *col = (int)c;
            } else if (tag != ENT_T_OBJ) {
                /* a key below a string, number, array ...: missing, but keep it simple */
                return IX_AT_OTHER;
            }
        }
        if (tag == ENT_T_OBJ || tag == ENT_T_ARR) {
            if (depth + 1 >= sizeof st / sizeof *st)
                return IX_AT_OTHER;
            st[depth + 1] = (struct frame){ tag == ENT_T_ARR,
                                            exact && tag == ENT_T_OBJ ? f->level + 1 : -1, 0, 0 };
            depth++;
        } else if (tag > ENT_T_NULL && tag != IX_T_MAP) {
            return IX_AT_OTHER;
        }
    }
    if (depth != 0 || frame_ambiguous(&st[0]))
        return IX_AT_OTHER;
    return found;
}

/* ------------------------------------------------------------ map columns */

bool ix_map_rows(struct ix_seg *s, int col, struct ix_map_rows *out)
{
    struct lcol *c;
    const struct lcol *sc;
    const struct shapes *h;
    uint32_t rows, *per;
    uint64_t at = 0;
    size_t k = 0;

    if (col < 0 || (size_t)col >= s->ncols || s->kind[col] != IXK_MAP || s->cur < 0)
        return false;
    c = &s->lc[col];
    if (!c->loaded)
        return false;
    sc = &s->lc[s->sec[col] == IX_SEC_REQ ? IXC_REQ_SHAPE : IXC_RESP_SHAPE];
    h = &s->sh[s->sec[col]];
    rows = s->blk[s->cur].rows;
    if (!c->first_ok) {
        /* per shape, the maps of col it holds; per row, the number of its first one */
        per = xcalloc(sc->nd ? sc->nd : 1, sizeof *per);
        for (size_t sh = 0; sh < sc->nd; sh++) {
            for (size_t o = h->start[sh]; o < h->start[sh + 1]; o++)
                per[sh] += h->ops[o].col == (uint32_t)col && h->ops[o].type == OP_MAP;
        }
        if (c->cap_f < rows) {
            c->cap_f = rows;
            c->first_s = xrealloc(c->first_s, rows * sizeof *c->first_s);
            c->first_n = xrealloc(c->first_n, rows * sizeof *c->first_n);
        }
        for (uint32_t i = 0; i < rows; i++) {
            uint32_t m = per[sc->u[i]];

            c->first_s[i] = m ? (int32_t)k : -1;
            k += m;
        }
        free(per);
        if (c->cap_mf < c->nu + 1) {
            c->cap_mf = c->nu + 1;
            c->mfirst = xrealloc(c->mfirst, c->cap_mf * sizeof *c->mfirst);
        }
        for (size_t m = 0; m < c->nu; m++) {
            c->mfirst[m] = at;
            at += c->u[m];
        }
        c->first_ok = true;
    }
    out->map = c->first_s;
    out->first = c->mfirst;
    out->pairs = c->u;
    out->name = c->v;
    out->value = c->w;
    return true;
}
