/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: gzip decoding step over zlib's inflate (the one zlib user), and
 * HTTP bodies' gzip and deflate content codings.
 *
 * RFC 1952. inflateInit2(16 + MAX_WBITS) accepts the gzip wrapper only and
 * checks each member's CRC-32 and ISIZE. Like gzip -d, members that follow
 * one another are decoded one after another, and zero bytes after a member
 * are padding (tape blocks).
 *
 *   MEMBER  --Z_STREAM_END-->  BETWEEN  --byte 0-->  PADDING (zeros to the end)
 *     ^                          |
 *     +----- any other byte -----+   (inflateReset; a bad header there is
 *                                     "trailing garbage", not "corrupt")
 *   at the end of input: BETWEEN/PADDING -> clean end; MEMBER -> truncated
 *
 * inflate() writes every byte it can decode from the input it was given, so
 * a cut-short member still yields all the data before the cut.
 */
#include "config.h"

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

#include "base/diag.h"
#include "base/xalloc.h"
#include "compress_int.h"

enum gz_state {
    GZ_MEMBER = 0,      /* inside a member (header, deflate data or trailer) */
    GZ_BETWEEN = 1,     /* a member ended; another, padding or the end may follow */
    GZ_PADDING = 2,     /* zero bytes after the last member */
};

struct gz_src {
    struct comp_src c;          /* first: compress.c sees only this */
    z_stream zs;
    gz_header head;             /* head.done: the current member's header is complete */
    enum gz_state state;
    unsigned members;           /* members started */
    uint64_t member_off;        /* compressed offset where the current member starts */
};

/* zlib's trailer-check messages, said in the terms a user looks for. */
static const struct {
    const char *zlib, *ours;
} gz_msgs[] = {
    { "incorrect data check", "CRC-32 mismatch (incorrect data check)" },
    { "incorrect length check", "length mismatch (incorrect length check)" },
};

/* The one place zlib errors become SV_E* codes. */
static int gz_error(struct gz_src *g, int ret, size_t wrote)
{
    struct comp_src *c = &g->c;
    uint64_t off = c->produced + wrote;
    const char *why = g->zs.msg ? g->zs.msg : "unknown error";

    switch (ret) {
    case Z_MEM_ERROR:
        return comp_fail(c, SV_ENOMEM, off, "out of memory for gzip decoding");
    case Z_DATA_ERROR:
    case Z_NEED_DICT:
        if (g->members > 1 && g->head.done != 1)
            return comp_fail(c, SV_EFORMAT, off,
                             "trailing garbage after the gzip data at compressed offset %llu "
                             "(%s)",
                             (unsigned long long)g->member_off, why);
        if (g->head.done != 1)
            return comp_fail(c, SV_EFORMAT, off, "bad gzip header at compressed offset %llu: %s",
                             (unsigned long long)g->member_off, why);
        for (size_t i = 0; i < sizeof gz_msgs / sizeof gz_msgs[0]; i++)
            if (strcmp(why, gz_msgs[i].zlib) == 0)
                why = gz_msgs[i].ours;
        return comp_fail(c, SV_EFORMAT, off, "corrupt gzip data at compressed offset %llu: %s",
                         (unsigned long long)comp_in_off(c), why);
    default:
        return comp_fail(c, SV_EFORMAT, off, "gzip decoding failed at compressed offset %llu: "
                         "zlib error %d (%s)", (unsigned long long)comp_in_off(c), ret, why);
    }
}

/* Starts the next member at the current input byte. */
static int gz_next_member(struct gz_src *g)
{
    int ret = inflateReset(&g->zs);

    if (ret == Z_OK)
        ret = inflateGetHeader(&g->zs, &g->head);    /* inflateReset forgets it */
    if (ret != Z_OK)
        return gz_error(g, ret, 0);
    g->state = GZ_MEMBER;
    g->members++;
    g->member_off = comp_in_off(&g->c);
    return COMP_STEP_MORE;
}

static int gz_step(struct comp_src *c, uint8_t *out, size_t n, size_t *wrote)
{
    struct gz_src *g = (struct gz_src *)c;
    size_t avail = c->in_len - c->in_pos;
    uInt in_n = avail < UINT_MAX ? (uInt)avail : UINT_MAX;
    uInt out_n = n < UINT_MAX ? (uInt)n : UINT_MAX;
    size_t used;
    int ret;

    *wrote = 0;
    if (g->state != GZ_MEMBER) {
        if (avail == 0)
            return COMP_STEP_END;       /* only at the end of input */
        if (c->in[c->in_pos] == 0) {
            while (c->in_pos < c->in_len && c->in[c->in_pos] == 0)
                c->in_pos++;
            g->state = GZ_PADDING;
            return COMP_STEP_MORE;
        }
        if (g->state == GZ_PADDING)
            return comp_fail(c, SV_EFORMAT, c->produced,
                             "trailing garbage after the gzip data at compressed offset %llu",
                             (unsigned long long)comp_in_off(c));
        ret = gz_next_member(g);
        if (ret < 0)
            return ret;
    }
    g->zs.next_in = c->in + c->in_pos;
    g->zs.avail_in = in_n;
    g->zs.next_out = out;
    g->zs.avail_out = out_n;
    ret = inflate(&g->zs, Z_NO_FLUSH);
    used = in_n - g->zs.avail_in;
    *wrote = out_n - g->zs.avail_out;
    c->in_pos += used;
    if (ret == Z_STREAM_END) {
        g->state = GZ_BETWEEN;
        return COMP_STEP_MORE;
    }
    if (ret != Z_OK && ret != Z_BUF_ERROR)
        return gz_error(g, ret, *wrote);
    if (used == 0 && *wrote == 0) {
        /* Nothing left to decode and the member is not complete: cut short. */
        if (c->in_eof && c->in_pos == c->in_len)
            return comp_fail(c, SV_ETRUNC, c->produced,
                             "compressed data truncated (gzip input ends after %llu bytes)",
                             (unsigned long long)comp_in_off(c));
        /* With input and output room, inflate always moves; never loop on it. */
        return comp_fail(c, SV_EFORMAT, c->produced,
                         "gzip decoding stalled at compressed offset %llu",
                         (unsigned long long)comp_in_off(c));
    }
    return COMP_STEP_MORE;
}

static void gz_free(struct comp_src *c)
{
    struct gz_src *g = (struct gz_src *)c;

    inflateEnd(&g->zs);
    free(g);
}

int comp_gzip_new(struct comp_src **out, const char *name, struct diag *d)
{
    struct gz_src *g = xcalloc(1, sizeof *g);
    int ret;

    *out = NULL;
    ret = inflateInit2(&g->zs, 16 + MAX_WBITS);
    if (ret != Z_OK) {
        free(g);
        if (ret == Z_MEM_ERROR)
            return diag_set(d, SV_ENOMEM, "%s: out of memory for gzip decoding", name);
        return diag_set(d, SV_EDEP, "%s: cannot set up zlib %s for gzip decoding (error %d)",
                        name, zlibVersion(), ret);
    }
    ret = inflateGetHeader(&g->zs, &g->head);
    if (ret != Z_OK) {
        inflateEnd(&g->zs);
        free(g);
        return diag_set(d, SV_EDEP, "%s: zlib %s: inflateGetHeader failed (error %d)", name,
                        zlibVersion(), ret);
    }
    g->state = GZ_MEMBER;
    g->members = 1;
    g->c.step = gz_step;
    g->c.release = gz_free;
    *out = &g->c;
    return 0;
}

/* Whether the field value v[0..n) is the coding name c, in any case, blanks around it. */
static bool coding_is(const char *v, size_t n, const char *c)
{
    size_t cl = strlen(c);

    while (n > 0 && (*v == ' ' || *v == '\t')) {
        v++;
        n--;
    }
    while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
        n--;
    return n == cl && strncasecmp(v, c, cl) == 0;
}

/*
 * Inflates src with zlib's window bits wbits into a buffer that grows as
 * the bytes come, up to max of them; the buffer (*outn bytes, room for a NUL
 * after them), or NULL when bad data comes before the first byte would.
 */
static uint8_t *inflate_some(int wbits, const void *src, size_t n, size_t max, size_t *outn)
{
    size_t cap = n < max / 4 ? 4 * n + 1024 : max;
    uint8_t *out = NULL;
    z_stream zs;
    int ret = Z_BUF_ERROR;

    memset(&zs, 0, sizeof zs);
    if (inflateInit2(&zs, wbits) != Z_OK)
        return NULL;
    zs.next_in = (Bytef *)(uintptr_t)src;
    /* (zlib counts in uInt: bodies and the cap stay far below 4 GiB) */
    zs.avail_in = (uInt)(n < UINT_MAX ? n : UINT_MAX);
    *outn = 0;
    for (;;) {
        uint8_t *grown;

        if (cap > max)
            cap = max;
        grown = realloc(out, cap + 1);
        if (!grown)
            break;
        out = grown;
        zs.next_out = out + *outn;
        zs.avail_out = (uInt)(cap - *outn);
        ret = inflate(&zs, Z_NO_FLUSH);
        *outn = (size_t)(zs.next_out - out);
        /* on while the output filled its room: more may be pending, even with no input left */
        if (ret != Z_OK || *outn >= max || zs.avail_out > 0)
            break;
        cap *= 2;
    }
    inflateEnd(&zs);
    /* bad data before the first byte came out: not this format */
    if (*outn == 0 && ret != Z_STREAM_END) {
        free(out);
        return NULL;
    }
    return out;
}

char *comp_content_decode(const char *coding, size_t clen, const void *src, size_t n,
                          size_t max, size_t *outn)
{
    uint8_t *out;

    if (coding_is(coding, clen, "gzip") || coding_is(coding, clen, "x-gzip")) {
        out = inflate_some(16 + MAX_WBITS, src, n, max, outn);
    } else if (coding_is(coding, clen, "deflate")) {
        const uint8_t *b = src;
        /* RFC 1950's header (CM 8, a multiple of 31), else the raw deflate some servers send */
        bool zlib = n >= 2 && (b[0] & 0x0f) == 8 && (b[0] << 8 | b[1]) % 31 == 0;

        out = inflate_some(zlib ? MAX_WBITS : -MAX_WBITS, src, n, max, outn);
    } else {
        return NULL;
    }
    if (out)
        out[*outn] = 0;
    return (char *)out;
}
