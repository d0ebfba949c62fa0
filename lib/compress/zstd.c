/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: zstd decoding step over libzstd's streaming API (its one decompression user).
 *
 * RFC 8878. ZSTD_decompressStream() walks frame after frame by itself and
 * skips skippable frames; it returns 0 exactly when a frame has been decoded
 * and flushed, so "between frames" is the last call returning 0. The window
 * is capped (LIM_ZSTD_WINDOW_LOG) so a frame header cannot make us
 * allocate what it likes.
 *
 *   BETWEEN --input--> IN_FRAME --returns 0--> BETWEEN
 *   at the end of input: BETWEEN -> clean end; IN_FRAME -> drained, then truncated
 *
 * A block is only decoded once it is whole, so a frame cut short yields the
 * blocks before the cut (up to 128 KiB each), all of them.
 */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <zstd.h>
#include <zstd_errors.h>

#include "base/diag.h"
#include "base/limits.h"
#include "base/xalloc.h"
#include "compress_int.h"

struct zs_src {
    struct comp_src c;          /* first: compress.c sees only this */
    ZSTD_DStream *ds;
    bool between;               /* the last frame is complete (or none has started) */
    uint64_t frame_off;         /* compressed offset where the current frame starts */
    bool pending;               /* the decoder may hold decoded bytes not yet copied out */
    unsigned frames;            /* frames (skippable ones included) completed */
};

/* The one place libzstd errors become SV_E* codes. */
static int zs_error(struct zs_src *z, size_t ret, size_t wrote)
{
    struct comp_src *c = &z->c;
    uint64_t off = c->produced + wrote;
    unsigned long long frame_off = z->frame_off;

    ZSTD_ErrorCode code = ZSTD_getErrorCode(ret);

    if (code == ZSTD_error_memory_allocation)
        return comp_fail(c, SV_ENOMEM, off, "out of memory for zstd decoding");
    if (code == ZSTD_error_frameParameter_windowTooLarge)
        return comp_fail(c, SV_ELIMIT, off,
                         "zstd frame at compressed offset %llu needs a window larger than the "
                         "limit of %u MiB",
                         frame_off, (1u << LIM_ZSTD_WINDOW_LOG) >> 20);
    if (code == ZSTD_error_prefix_unknown && z->frames > 0)
        return comp_fail(c, SV_EFORMAT, off,
                         "trailing garbage after the zstd data at compressed offset %llu",
                         frame_off);
    if (code == ZSTD_error_prefix_unknown)
        return comp_fail(c, SV_EFORMAT, off, "not zstd data at compressed offset %llu (%s)",
                         frame_off, ZSTD_getErrorName(ret));
    return comp_fail(c, SV_EFORMAT, off, "corrupt zstd data at compressed offset %llu: %s",
                     (unsigned long long)comp_in_off(c), ZSTD_getErrorName(ret));
}

/*
 * Two kinds of call, so that no decoded byte is lost: ZSTD_decompressStream()
 * does not report what it already wrote when a later part of the same call
 * fails (a bad block, a checksum mismatch). So input is only ever given
 * with no output room: the call decodes at most one block, into the
 * decoder's own buffer, and any error comes before any output. A drain call
 * (no input) then copies the decoded bytes out, and cannot fail on data.
 */
static int zs_step(struct comp_src *c, uint8_t *out, size_t n, size_t *wrote)
{
    struct zs_src *z = (struct zs_src *)c;
    ZSTD_inBuffer in = { c->in + c->in_pos, 0, 0 };
    ZSTD_outBuffer ob = { out, n, 0 };
    size_t ret;

    *wrote = 0;
    if (z->pending) {
        ret = ZSTD_decompressStream(z->ds, &ob, &in);
        *wrote = ob.pos;
        if (ZSTD_isError(ret))
            return zs_error(z, ret, ob.pos);
        if (ob.pos < ob.size || ret == 0)
            z->pending = false;
        if (ret == 0) {
            z->between = true;
            z->frames++;
        }
        if (ob.pos > 0 || ret == 0)
            return COMP_STEP_MORE;
    }
    if (c->in_pos == c->in_len) {
        if (z->between)
            return COMP_STEP_END;       /* only at the end of input */
        /* drained, and the frame is not complete: cut short */
        return comp_fail(c, SV_ETRUNC, c->produced,
                         "compressed data truncated (zstd input ends after %llu bytes)",
                         (unsigned long long)comp_in_off(c));
    }
    if (z->between)
        z->frame_off = comp_in_off(c);
    in.size = c->in_len - c->in_pos;
    ob.size = 0;
    ret = ZSTD_decompressStream(z->ds, &ob, &in);
    c->in_pos += in.pos;
    if (ZSTD_isError(ret))
        return zs_error(z, ret, 0);
    z->between = ret == 0;
    z->pending = ret != 0;
    if (ret == 0)
        z->frames++;
    /* With input and nothing decoded waiting, the decoder always moves; never loop on it. */
    if (in.pos == 0 && ret != 0)
        return comp_fail(c, SV_EFORMAT, c->produced,
                         "zstd decoding stalled at compressed offset %llu",
                         (unsigned long long)comp_in_off(c));
    return COMP_STEP_MORE;
}

static void zs_free(struct comp_src *c)
{
    struct zs_src *z = (struct zs_src *)c;

    ZSTD_freeDStream(z->ds);
    free(z);
}

int comp_zstd_new(struct comp_src **out, const char *name, struct diag *d)
{
    struct zs_src *z = xcalloc(1, sizeof *z);
    size_t ret;
    int rc;

    *out = NULL;
    z->ds = ZSTD_createDStream();
    if (!z->ds) {
        rc = diag_set(d, SV_ENOMEM, "%s: out of memory for zstd decoding", name);
        goto out_free;
    }
    ret = ZSTD_DCtx_setParameter(z->ds, ZSTD_d_windowLogMax, (int)LIM_ZSTD_WINDOW_LOG);
    if (ZSTD_isError(ret)) {
        rc = diag_set(d, SV_EDEP, "%s: libzstd %s cannot cap the window: %s", name,
                      ZSTD_versionString(), ZSTD_getErrorName(ret));
        goto out_free_ds;
    }
    z->between = true;
    z->c.step = zs_step;
    z->c.release = zs_free;
    *out = &z->c;
    return 0;

out_free_ds:
    ZSTD_freeDStream(z->ds);
out_free:
    free(z);
    return rc;
}

/* ---------------------------------------------------------------- blocks */

struct comp_block {
    ZSTD_CCtx *cc;
    ZSTD_DCtx *dc;
    int level;
};

struct comp_block *comp_block_new(int level)
{
    struct comp_block *z = xcalloc(1, sizeof *z);

    z->level = level;
    return z;
}

void comp_block_free(struct comp_block *z)
{
    if (!z)
        return;
    ZSTD_freeCCtx(z->cc);
    ZSTD_freeDCtx(z->dc);
    free(z);
}

size_t comp_block_bound(size_t n)
{
    return ZSTD_compressBound(n);
}

size_t comp_block_pack(struct comp_block *z, void *dst, size_t cap, const void *src, size_t n)
{
    size_t ret;

    if (!z->cc && !(z->cc = ZSTD_createCCtx()))
        return 0;
    ret = ZSTD_compressCCtx(z->cc, dst, cap, src, n, z->level);
    return ZSTD_isError(ret) ? 0 : ret;
}

/* True when the frames of src[0..n) each say their size and the sizes add up to raw. */
static bool frames_declare(const uint8_t *src, size_t n, size_t raw)
{
    unsigned long long sum = 0;

    while (n > 0) {
        unsigned long long declared = ZSTD_getFrameContentSize(src, n);
        size_t len = ZSTD_findFrameCompressedSize(src, n);

        if (declared == ZSTD_CONTENTSIZE_UNKNOWN || declared == ZSTD_CONTENTSIZE_ERROR ||
            ZSTD_isError(len) || len == 0 || len > n || declared > raw - sum)
            return false;
        sum += declared;
        src += len;
        n -= len;
    }
    return sum == raw;
}

int comp_block_unpack(struct comp_block *z, void *dst, size_t raw, const void *src, size_t n)
{
    size_t ret;

    /* the frames must say their sizes, and add up to the one expected, before any work */
    if (n == 0 || !frames_declare(src, n, raw))
        return SV_EFORMAT;
    if (!z->dc) {
        z->dc = ZSTD_createDCtx();
        if (!z->dc)
            return SV_ENOMEM;
        (void)ZSTD_DCtx_setParameter(z->dc, ZSTD_d_windowLogMax, (int)LIM_ZSTD_WINDOW_LOG);
    }
    ret = ZSTD_decompressDCtx(z->dc, dst, raw, src, n);
    if (ZSTD_isError(ret) || ret != raw)
        return SV_EFORMAT;
    return 0;
}
