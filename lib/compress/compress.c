/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: the decompressing byte source: input buffering, prefix replay, fault delivery.
 *
 * The codec (gzip.c, zstd.c) decodes straight into the caller's buffer; this
 * file feeds it compressed bytes and keeps the byte-source contract:
 *
 *   read:  [sticky error? -> return it]  [done? -> 0]
 *          loop: input used up -> (output already? return it) refill from inner
 *                step -> MORE: loop | END: done | error: sticky
 *          bytes decoded before an error go out first; the error on the next read
 *
 * Returning as soon as some output is ready and the input buffer is empty
 * keeps a slow pipe from holding back packets that are already decoded.
 */
#include "config.h"

#include "compress.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/bytesrc.h"
#include "base/diag.h"
#include "base/xalloc.h"
#include "compress_int.h"

int comp_fail(struct comp_src *c, int code, uint64_t off, const char *fmt, ...)
{
    char why[sizeof c->ed.msg];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    return diag_set(&c->ed, code, "%s: offset %llu (decompressed): %s", c->base.name,
                    (unsigned long long)off, why);
}

/* Reads the next compressed bytes into the (used up) input buffer. */
static int comp_refill(struct comp_src *c)
{
    ssize_t got;

    c->in_off += c->in_len;
    c->in_pos = 0;
    c->in_len = 0;
    got = c->inner->read(c->inner, c->in, c->in_size, &c->ed);
    if (got < 0)
        return (int)got;        /* the inner source's own message is in c->ed */
    if (got == 0)
        c->in_eof = true;
    c->in_len = (size_t)got;
    return 0;
}

static ssize_t comp_read(struct bytesrc *s, void *buf, size_t n, struct diag *d)
{
    struct comp_src *c = (struct comp_src *)s;
    uint8_t *out = buf;
    size_t got = 0;
    int rc = COMP_STEP_MORE;

    if (c->err) {
        *d = c->ed;
        return c->err;
    }
    if (c->done)
        return 0;
    if (n > SSIZE_MAX)
        n = SSIZE_MAX;
    while (got < n) {
        size_t wrote = 0;

        if (c->in_pos == c->in_len && !c->in_eof) {
            if (got > 0)
                break;
            rc = comp_refill(c);
            if (rc < 0)
                break;
        }
        rc = c->step(c, out + got, n - got, &wrote);
        got += wrote;
        c->produced += wrote;
        if (rc != COMP_STEP_MORE)
            break;
    }
    if (rc == COMP_STEP_END)
        c->done = true;
    else if (rc < 0)
        c->err = rc;
    if (got > 0)
        return (ssize_t)got;
    if (c->err) {
        *d = c->ed;
        return c->err;
    }
    return 0;
}

static void comp_close(struct bytesrc *s)
{
    struct comp_src *c = (struct comp_src *)s;

    bytesrc_close(c->inner);
    free(c->in);
    c->release(c);
}

int comp_open(struct bytesrc **out, enum comp_kind kind, struct bytesrc *inner,
              const void *prefix, size_t nprefix, struct diag *d)
{
    struct comp_src *c = NULL;
    int rc;

    *out = NULL;
    switch (kind) {
    case COMP_GZIP:
        rc = comp_gzip_new(&c, inner->name, d);
        break;
    case COMP_ZSTD:
        rc = comp_zstd_new(&c, inner->name, d);
        break;
    default:
        rc = diag_set(d, SV_EINVAL, "%s: unknown compression %d", inner->name, (int)kind);
        break;
    }
    if (rc < 0)
        goto out_close_inner;
    c->inner = inner;
    c->base.read = comp_read;
    c->base.close = comp_close;
    c->base.name = inner->name;
    c->in_size = nprefix > COMP_IN_CHUNK ? nprefix : COMP_IN_CHUNK;
    c->in = xmalloc(c->in_size);
    if (nprefix)
        memcpy(c->in, prefix, nprefix);
    c->in_len = nprefix;
    *out = &c->base;
    return 0;

out_close_inner:
    bytesrc_close(inner);
    return rc;
}
