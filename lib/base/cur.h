/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: bounded read cursor over hostile bytes, with a sticky error flag.
 *
 * Every read checks the bounds; a read past the end sets c->bad, moves the
 * cursor to the end and returns 0, so later reads fail too and a parser
 * needs one check after many reads (tcpdump's GET_* discipline, no longjmp).
 */
#ifndef SV_BASE_CUR_H
#define SV_BASE_CUR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct cur {
    const uint8_t *p;
    const uint8_t *end;
    bool bad;
};

static inline void cur_init(struct cur *c, const void *p, size_t n)
{
    c->p = (const uint8_t *)p;
    c->end = c->p + n;
    c->bad = false;
}

static inline size_t cur_left(const struct cur *c)
{
    return (size_t)(c->end - c->p);
}

static inline bool cur_need(struct cur *c, size_t n)
{
    if (cur_left(c) < n) {
        c->bad = true;
        c->p = c->end;
        return false;
    }
    return true;
}

static inline uint8_t cur_u8(struct cur *c)
{
    if (!cur_need(c, 1))
        return 0;
    return *c->p++;
}

static inline uint16_t cur_be16(struct cur *c)
{
    if (!cur_need(c, 2))
        return 0;
    c->p += 2;
    return (uint16_t)(c->p[-2] << 8 | c->p[-1]);
}

static inline uint16_t cur_le16(struct cur *c)
{
    if (!cur_need(c, 2))
        return 0;
    c->p += 2;
    return (uint16_t)(c->p[-1] << 8 | c->p[-2]);
}

static inline uint32_t cur_be32(struct cur *c)
{
    if (!cur_need(c, 4))
        return 0;
    c->p += 4;
    return (uint32_t)c->p[-4] << 24 | (uint32_t)c->p[-3] << 16 | (uint32_t)c->p[-2] << 8 |
           (uint32_t)c->p[-1];
}

static inline uint32_t cur_le32(struct cur *c)
{
    if (!cur_need(c, 4))
        return 0;
    c->p += 4;
    return (uint32_t)c->p[-1] << 24 | (uint32_t)c->p[-2] << 16 | (uint32_t)c->p[-3] << 8 |
           (uint32_t)c->p[-4];
}

static inline void cur_skip(struct cur *c, size_t n)
{
    if (cur_need(c, n))
        c->p += n;
}

/* Copies n bytes into dst (zero-filled when short). */
static inline void cur_copy(struct cur *c, void *dst, size_t n)
{
    if (!cur_need(c, n)) {
        memset(dst, 0, n);
        return;
    }
    memcpy(dst, c->p, n);
    c->p += n;
}

/* Unchecked little/big-endian loads for callers that proved the length. */
static inline uint16_t ld_be16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t ld_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static inline uint16_t ld_le16(const uint8_t *p)
{
    return (uint16_t)(p[1] << 8 | p[0]);
}

static inline uint32_t ld_le32(const uint8_t *p)
{
    return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | (uint32_t)p[0];
}

static inline void st_le16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static inline void st_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static inline void st_le64(uint8_t *p, uint64_t v)
{
    st_le32(p, (uint32_t)v);
    st_le32(p + 4, (uint32_t)(v >> 32));
}

static inline uint64_t ld_le64(const uint8_t *p)
{
    return (uint64_t)ld_le32(p) | (uint64_t)ld_le32(p + 4) << 32;
}

#endif
