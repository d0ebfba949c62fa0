/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: growable arrays and the index's integer encodings (varints and
 * the packed "U" arrays of ix_int.h), shared by the writer and the reader.
 *
 * The writer's arrays grow through xalloc (an index build that runs out of
 * memory ends the process, as everywhere in ingest); the decoders read
 * through a bounded cursor and report failure, never read past the end.
 */
#ifndef SV_INDEX_IXVEC_H
#define SV_INDEX_IXVEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"

struct ixv {
    uint8_t *p;
    size_t n, cap;
};

struct ixu {
    uint64_t *v;
    size_t n, cap;
};

static inline uint8_t *ixv_room(struct ixv *b, size_t n)
{
    if (b->cap - b->n < n)
        xgrow((void **)&b->p, &b->cap, b->n + n, 1);
    return b->p + b->n;
}

static inline void ixv_put(struct ixv *b, const void *p, size_t n)
{
    if (n) {
        memcpy(ixv_room(b, n), p, n);
        b->n += n;
    }
}

static inline void ixv_u8(struct ixv *b, uint8_t v)
{
    *ixv_room(b, 1) = v;
    b->n++;
}

static inline void ixv_varint(struct ixv *b, uint64_t v)
{
    uint8_t *p = ixv_room(b, 10), *q = p;

    while (v >= 0x80) {
        *q++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *q++ = (uint8_t)v;
    b->n += (size_t)(q - p);
}

/* The bytes ixv_varint() writes for v: the fewest that hold it. */
static inline size_t ixv_varint_len(uint64_t v)
{
    size_t n = 1;

    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

static inline void ixv_le32(struct ixv *b, uint32_t v)
{
    uint8_t *p = ixv_room(b, 4);

    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
    b->n += 4;
}

static inline void ixu_push(struct ixu *a, uint64_t v)
{
    if (a->n == a->cap)
        xgrow((void **)&a->v, &a->cap, a->n + 1, sizeof *a->v);
    a->v[a->n++] = v;
}

static inline void ixv_free(struct ixv *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}

static inline void ixu_free(struct ixu *a)
{
    free(a->v);
    memset(a, 0, sizeof *a);
}

/* Appends values v[0..n) as a U array (ix_int.h). */
void ixv_packed(struct ixv *b, const uint64_t *v, size_t n);

/*
 * Times (IXK_TIME, ix_int.h): each non-zero time t of a row becomes
 * zigzag((t - b) / unit) + 1, 0 stays 0, where b is the row's reference
 * time (the request's or the response's start), or, for the request time
 * itself and for rows without a reference, the last non-zero reference (or
 * request time) of an earlier row (base before the first), and unit is the
 * greatest common divisor of the differences t - b (1 when all are 0):
 * 1000 for a capture timed in microseconds. Rows come roughly in request
 * time order, so the numbers are small. req is the block's reference times
 * (NULL when v is the request time column); both work in place, and
 * encode returns the unit that decode takes (1 for format 3 and 4).
 */
uint64_t ix_time_encode(uint64_t *v, const uint64_t *req, size_t n, uint64_t base);
void ix_time_decode(uint64_t *v, const uint64_t *req, size_t n, uint64_t base, uint64_t unit);

/*
 * For the rows of a leaf column (ixrows.c): row i's shape is shape[i] (each
 * below 64), and bit k of has_s (has_n) says whether shape k holds one
 * string (one number) of the column, none holding more. A row with a string
 * gets fs[i] = code[*ks] and *ks moves on, one with a number fn[i] = *kn and
 * *kn moves on; the others get -1. code has 8 readable entries past the last
 * a row takes. Does the rows eight at a time where the CPU can (AVX-512):
 * returns how many it did, from the first (0 elsewhere); the caller does
 * the rest.
 */
size_t ix_firsts_simd(const uint64_t *shape, size_t rows, uint64_t has_s, uint64_t has_n,
                      const uint64_t *code, size_t *ks, size_t *kn, int32_t *fs, int32_t *fn);

/* A bounded reader of a part; bad is sticky. */
struct ixr {
    const uint8_t *p, *end;
    bool bad;
    uint64_t hi;                /* after ixr_packed: the largest value it read */
};

static inline void ixr_init(struct ixr *r, const uint8_t *p, size_t n)
{
    r->p = p;
    r->end = p + n;
    r->bad = false;
    r->hi = UINT64_MAX;
}

uint64_t ixr_varint(struct ixr *r);
/* Reads a U array of n values into out (room for n). False when malformed. */
bool ixr_packed(struct ixr *r, uint64_t *out, size_t n);
/* A v-length string: its bytes (in place) and length. */
const uint8_t *ixr_str(struct ixr *r, size_t *n);

#endif
