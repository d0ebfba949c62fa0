/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: internals shared by compress.c and the codecs (gzip.c, zstd.c).
 *
 * compress.c owns the byte-source side: the compressed input buffer (which
 * starts out holding the replayed prefix), refills from the inner source,
 * the count of delivered bytes and the sticky error. A codec only turns
 * buffered compressed bytes into output, one step at a time:
 *
 *   step(c, out, n, &wrote)  decodes from c->in[in_pos, in_len) into out[0, n)
 *     COMP_STEP_MORE   call again (with more input if in_pos == in_len)
 *     COMP_STEP_END    clean end: the input ended between members (frames)
 *     < 0              SV_E*, message set in c->ed with comp_fail()
 *
 * A step is only called with buffered input, or once the inner source has
 * ended (in_eof): then it drains what its decoder still holds and decides
 * between END and a truncation. A step that returns MORE made progress.
 */
#ifndef SV_COMPRESS_INT_H
#define SV_COMPRESS_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/bytesrc.h"
#include "base/diag.h"
#include "compress.h"

/* Compressed bytes asked of the inner source per read. */
#define COMP_IN_CHUNK ((size_t)256 * 1024)

enum comp_step {
    COMP_STEP_MORE = 0,
    COMP_STEP_END = 1,
};

struct comp_src;

typedef int (*comp_step_fn)(struct comp_src *c, uint8_t *out, size_t n, size_t *wrote);
typedef void (*comp_free_fn)(struct comp_src *c);

struct comp_src {
    struct bytesrc base;        /* first: the bytesrc pointer is the struct pointer */
    struct bytesrc *inner;      /* owned */
    comp_step_fn step;
    comp_free_fn release;       /* releases the codec's state and the struct */

    uint8_t *in;                /* in_size bytes; [in_pos, in_len) not yet decoded */
    size_t in_size, in_pos, in_len;
    uint64_t in_off;            /* compressed-stream offset of in[0] */
    bool in_eof;                /* the inner source has ended */

    uint64_t produced;          /* decompressed bytes delivered (before the current step) */
    bool done;                  /* clean end returned */
    int err;                    /* sticky error, 0 when none */
    struct diag ed;             /* its detail */
};

/* Compressed-stream offset of the next undecoded byte. */
static inline uint64_t comp_in_off(const struct comp_src *c)
{
    return c->in_off + c->in_pos;
}

/*
 * Sets c->ed to "<name>: offset <off> (decompressed): <message>" and
 * returns code. off is the decompressed offset of the fault: c->produced
 * plus what the failing step wrote.
 */
int comp_fail(struct comp_src *c, int code, uint64_t off, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/*
 * Codec constructors: return a zeroed codec struct (struct comp_src first)
 * with step and free set and the decoder ready, or SV_ENOMEM/SV_EDEP with d
 * set (name names the input). compress.c fills in the rest.
 */
int comp_gzip_new(struct comp_src **out, const char *name, struct diag *d)
    __attribute__((warn_unused_result));
int comp_zstd_new(struct comp_src **out, const char *name, struct diag *d)
    __attribute__((warn_unused_result));

#endif
