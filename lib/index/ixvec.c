/* SPDX-License-Identifier: BSD-2-Clause */
/* summary: the index's packed integer arrays and bounded part reader (ixvec.h) */
#include "config.h"

#include "base/cur.h"
#include "ixvec.h"

static unsigned width_of(uint64_t range)
{
    if (range == 0)
        return 0;
    if (range <= 0xff)
        return 1;
    if (range <= 0xffff)
        return 2;
    if (range <= 0xffffffffu)
        return 4;
    return 8;
}

void ixv_packed(struct ixv *b, const uint64_t *v, size_t n)
{
    uint64_t lo = UINT64_MAX, hi = 0;
    unsigned w;
    uint8_t *p;

    for (size_t i = 0; i < n; i++) {
        if (v[i] < lo)
            lo = v[i];
        if (v[i] > hi)
            hi = v[i];
    }
    if (n == 0)
        lo = hi = 0;
    w = width_of(hi - lo);
    ixv_u8(b, (uint8_t)w);
    ixv_varint(b, lo);
    if (w == 0)
        return;
    p = ixv_room(b, n * w);
    switch (w) {
    case 1:
        for (size_t i = 0; i < n; i++)
            p[i] = (uint8_t)(v[i] - lo);
        break;
    case 2:
        for (size_t i = 0; i < n; i++) {
            uint64_t x = v[i] - lo;

            p[2 * i] = (uint8_t)x;
            p[2 * i + 1] = (uint8_t)(x >> 8);
        }
        break;
    default:
        for (size_t i = 0; i < n; i++) {
            uint64_t x = v[i] - lo;

            for (unsigned k = 0; k < w; k++)
                p[i * w + k] = (uint8_t)(x >> (8 * k));
        }
        break;
    }
    b->n += n * w;
}

uint64_t ixr_varint(struct ixr *r)
{
    uint64_t v = 0;

    for (unsigned i = 0; i < 10; i++) {
        if (r->p >= r->end)
            break;
        v |= (uint64_t)(*r->p & 0x7f) << (7 * i);
        if (!(*r->p++ & 0x80))
            return v;
    }
    r->bad = true;
    r->p = r->end;
    return 0;
}

bool ixr_packed(struct ixr *r, uint64_t *out, size_t n)
{
    unsigned w;
    uint64_t base;
    const uint8_t *p;

    if (r->p >= r->end) {
        r->bad = true;
        return false;
    }
    w = *r->p++;
    base = ixr_varint(r);
    if (r->bad || (w != 0 && w != 1 && w != 2 && w != 4 && w != 8) ||
        (w && n > (size_t)(r->end - r->p) / w)) {
        r->bad = true;
        r->p = r->end;
        return false;
    }
    p = r->p;
    switch (w) {
    case 0:
        for (size_t i = 0; i < n; i++)
            out[i] = base;
        break;
    case 1:
        for (size_t i = 0; i < n; i++)
            out[i] = base + p[i];
        break;
    case 2:
        for (size_t i = 0; i < n; i++)
            out[i] = base + (uint64_t)(p[2 * i] | (unsigned)p[2 * i + 1] << 8);
        break;
    case 4:
        for (size_t i = 0; i < n; i++)
            out[i] = base + ld_le32(p + 4 * i);
        break;
    default:
        for (size_t i = 0; i < n; i++)
            out[i] = base + ld_le64(p + 8 * i);
        break;
    }
    r->p += n * w;
    return true;
}

const uint8_t *ixr_str(struct ixr *r, size_t *n)
{
    uint64_t l = ixr_varint(r);
    const uint8_t *p = r->p;

    if (r->bad || l > (uint64_t)(r->end - r->p)) {
        r->bad = true;
        r->p = r->end;
        *n = 0;
        return NULL;
    }
    r->p += l;
    *n = (size_t)l;
    return p;
}

void ix_time_encode(uint64_t *v, const uint64_t *req, size_t n, uint64_t base)
{
    uint64_t prev = base;

    for (size_t i = 0; i < n; i++) {
        uint64_t r = req ? req[i] : v[i], b = req && r ? r : prev, d = v[i] - b;

        if (r)
            prev = r;
        /* zig-zag of the signed difference, in unsigned arithmetic */
        v[i] = v[i] ? ((d << 1) ^ (0 - (d >> 63))) + 1 : 0;
    }
}

void ix_time_decode(uint64_t *v, const uint64_t *req, size_t n, uint64_t base)
{
    uint64_t prev = base;

    for (size_t i = 0; i < n; i++) {
        uint64_t r = req ? req[i] : 0, b = req && r ? r : prev, z = v[i] - 1;

        if (v[i])
            v[i] = b + ((z >> 1) ^ (0 - (z & 1)));
        if (req ? r != 0 : v[i] != 0)
            prev = req ? r : v[i];
    }
}
