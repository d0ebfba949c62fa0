/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: capture reader: open and sniff, buffer management, batch dispatch.
 *
 * Input flows  bytesrc (file | stdin | memory) [-> lib/compress decompressor]
 *              -> r->buf -> format step (pcap.c | pcapng.c) -> struct cap_pkt.
 *
 * Sniffing: the first bytes are read into r->buf. gzip (1f 8b) or zstd
 * (28 b5 2f fd, or a skippable frame 5? 2a 4d 18) magic wraps the source in a
 * decompressor that first replays those bytes, and the decompressed stream
 * is sniffed again for the pcap or pcapng magic.
 *
 * A cut-short compressed stream: the decompressor delivers every byte it
 * can decode, then SV_ETRUNC. The reader takes that as the end of input
 * (keeping the source's message), so the steps return every complete record
 * and, when the data end inside a record, report that record ("packet record
 * truncated ..."), the more precise message. When the data end between
 * records, the source's "compressed data truncated" message is the fault.
 *
 * Batches: packets point into r->buf, so within one batch the buffer is
 * neither moved nor reallocated; more input is only appended into its free
 * tail, CAP_READ_CHUNK bytes at a time. A batch ends at max packets, at the
 * end of input, at a fault, or when the next record does not fit the tail.
 * The next read that needs room compacts (moves the partial record, less
 * than one record, to the front). The buffer doubles up to LIM_BATCH_BYTES
 * while batches keep filling it, and grows to the size of a single large
 * record (up to CAP_RECORD_MAX) when one needs it.
 */
#include "config.h"

#include "capture.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/bytesrc.h"
#include "base/diag.h"
#include "base/limits.h"
#include "base/xalloc.h"
#include "capture_int.h"
#include "compress/compress.h"

/* First buffer size; batches that fill it double it up to LIM_BATCH_BYTES. */
#define CAP_BUF_INIT ((size_t)64 * 1024)
/* Hard cap: a full batch plus one record that straddles its end. */
#define CAP_BUF_MAX ((size_t)LIM_BATCH_BYTES + CAP_RECORD_MAX)

/*
 * Bytes asked of the source per read: small enough that the record headers
 * are still in cache when the step function walks them right after the copy.
 */
#define CAP_READ_CHUNK ((size_t)1024 * 1024)

/* cap_fill_ex() result when !may_move and the record does not fit the free tail. */
#define CAP_FILL_FULL 1

int cap_fail(struct cap_reader *r, int code, uint64_t off, const char *fmt, ...)
{
    char why[sizeof r->ed.msg];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    return diag_set(&r->ed, code, "%s: offset %llu%s: %s", r->name, (unsigned long long)off,
                    r->comp != CAP_COMP_NONE ? " (decompressed)" : "", why);
}

int cap_add_iface(struct cap_reader *r, uint64_t off, const struct cap_iface *ifc,
                  const struct cap_ng_iface *ng)
{
    if (r->niface >= LIM_PCAPNG_IFACES)
        return cap_fail(r, SV_ELIMIT, off, "more than %u interfaces", LIM_PCAPNG_IFACES);
    if (r->niface == r->iface_cap) {
        r->iface_cap = r->iface_cap ? r->iface_cap * 2 : 4;
        r->ifaces = xrealloc(r->ifaces, r->iface_cap * sizeof *r->ifaces);
        r->ng_ifaces = xrealloc(r->ng_ifaces, r->iface_cap * sizeof *r->ng_ifaces);
    }
    r->ifaces[r->niface] = *ifc;
    r->ng_ifaces[r->niface] = *ng;
    return (int)r->niface++;
}

/* Moves the unparsed bytes to the front of the buffer. */
static void cap_compact(struct cap_reader *r)
{
    size_t n = r->end - r->beg;

    if (r->beg == 0)
        return;
    if (n)
        memmove(r->buf, r->buf + r->beg, n);
    r->buf_off += r->beg;
    r->beg = 0;
    r->end = n;
}

/* Moves the unparsed bytes into the other buffer and makes it the one in use. */
static int cap_switch(struct cap_reader *r)
{
    size_t n = r->end - r->beg;
    uint8_t *p;

    if (r->other_cap < r->cap || r->other_cap < n) {
        size_t want = r->cap > n ? r->cap : n;

        p = realloc(r->other, want);
        if (!p)
            return cap_fail(r, SV_ENOMEM, cap_off(r), "out of memory for a %zu-byte read buffer",
                            want);
        r->other = p;
        r->other_cap = want;
    }
    if (n)
        memcpy(r->other, r->buf + r->beg, n);
    r->buf_off += r->beg;
    p = r->buf;
    r->buf = r->other;
    r->other = p;
    n = r->cap;
    r->cap = r->other_cap;
    r->other_cap = n;
    r->end -= r->beg;
    r->beg = 0;
    r->batched = false;
    return 0;
}

/* Grows the buffer to at least want bytes (after cap_compact). */
static int cap_grow(struct cap_reader *r, size_t want)
{
    size_t n = r->cap;
    uint8_t *p;

    while (n < want)
        n = n > CAP_BUF_MAX / 2 ? CAP_BUF_MAX : n * 2;
    if (n < want)
        n = want;
    if (n == r->cap)
        return 0;
    p = realloc(r->buf, n);
    if (!p)
        return cap_fail(r, SV_ENOMEM, cap_off(r), "out of memory for a %zu-byte read buffer", n);
    r->buf = p;
    r->cap = n;
    return 0;
}

/* One read into the free tail, of at most CAP_READ_CHUNK bytes. */
static int cap_read_some(struct cap_reader *r)
{
    size_t want = r->cap - r->end < CAP_READ_CHUNK ? r->cap - r->end : CAP_READ_CHUNK;
    ssize_t got;

    got = r->src->read(r->src, r->buf + r->end, want, &r->ed);
    if (got == SV_ETRUNC) {
        /* everything before the cut was delivered: read it as the end of input */
        r->src_trunc = r->ed;
        r->src_trunc.code = SV_ETRUNC;
        r->eof = true;
        return 0;
    }
    if (got < 0)
        return (int)got;
    if (got == 0)
        r->eof = true;
    r->end += (size_t)got;
    return 0;
}

static int cap_fill_ex(struct cap_reader *r, size_t need, bool may_move)
{
    int rc;

    if (r->end - r->beg >= need || r->eof)
        return 0;
    if (may_move) {
        cap_compact(r);             /* cheap: less than one record is buffered */
        if (need > r->cap) {
            rc = cap_grow(r, need);
            if (rc < 0)
                return rc;
        }
    } else if (need > r->cap - r->beg) {
        return CAP_FILL_FULL;
    }
    while (r->end - r->beg < need && !r->eof) {
        rc = cap_read_some(r);
        if (rc < 0)
            return rc;
    }
    return 0;
}

int cap_fill(struct cap_reader *r, size_t need)
{
    return cap_fill_ex(r, need, true);
}

ssize_t cap_next_batch(struct cap_reader *r, struct cap_pkt *pkts, size_t max, struct diag *d)
{
    size_t n = 0;
    int rc;

    if (r->err) {
        *d = r->ed;
        return r->err;
    }
    if (r->done)
        return 0;
    if (max == 0)
        return diag_set(d, SV_EINVAL, "%s: cap_next_batch: max is 0", r->name);

    /*
     * Double buffering: the previous batch's packets stay valid during this
     * call (the caller may still be writing them out on another thread), so
     * the unparsed rest moves to the other buffer and this batch is read
     * there. The batch before the previous one is overwritten.
     */
    if (r->batched) {
        rc = cap_switch(r);
        if (rc < 0) {
            *d = r->ed;
            r->err = rc;
            return rc;
        }
    }
    /* The buffer in use holds no live packet: it may grow. */
    if (r->was_full && r->cap < LIM_BATCH_BYTES) {
        rc = cap_grow(r, r->cap * 2 < LIM_BATCH_BYTES ? r->cap * 2 : LIM_BATCH_BYTES);
        if (rc < 0)
            diag_clear(&r->ed);     /* not fatal: go on with the smaller buffer */
    }
    r->was_full = false;

    while (n < max) {
        rc = r->step(r, &pkts[n]);
        if (rc == CAP_STEP_PKT) {
            n++;
            r->consumed = cap_off(r);
            continue;
        }
        if (rc == CAP_STEP_SKIP)
            continue;
        if (rc == CAP_STEP_MORE) {
            rc = cap_fill_ex(r, r->need, n == 0);
            if (rc == CAP_FILL_FULL) {
                r->was_full = true;
                break;
            }
            if (rc == 0)
                continue;
        } else if (rc == CAP_STEP_END) {
            r->consumed = cap_off(r);
            if (r->src_trunc.code == 0) {
                r->done = true;
                break;
            }
            /* the records end cleanly, but the source was cut short */
            r->ed = r->src_trunc;
            rc = r->ed.code;
        }
        /* A fault: packets already in this batch go out first. */
        r->err = rc;
        if (n > 0)
            break;
        *d = r->ed;
        return rc;
    }
    r->batched = n > 0;
    return (ssize_t)n;
}

static bool cap_gzip_magic(const uint8_t *p, size_t n)
{
    return n >= 2 && p[0] == 0x1f && p[1] == 0x8b;
}

/* A zstd frame, or a skippable frame (pzstd starts its output with one). */
static bool cap_zstd_magic(const uint8_t *p, size_t n)
{
    return n >= 4 && (ld_le32(p) == 0xfd2fb528u || (ld_le32(p) & 0xfffffff0u) == 0x184d2a50u);
}

/* Sniffs the capture format of the (decompressed) bytes and parses the file header. */
static int cap_sniff_format(struct cap_reader *r)
{
    const uint8_t *p;
    size_t n;
    int rc;

    rc = cap_fill(r, 4);
    if (rc < 0)
        return rc;
    p = r->buf + r->beg;
    n = r->end - r->beg;
    if (n == 0 && r->src_trunc.code != 0) {
        r->ed = r->src_trunc;           /* not empty: cut short before any output */
        return r->ed.code;
    }
    if (n == 0)
        return cap_fail(r, SV_ENOTCAP, 0, "empty file, not a capture");
    if (n < 4)
        return cap_fail(r, SV_ENOTCAP, 0, "file too short to be a capture (%zu bytes)", n);
    if (cap_pcap_magic(p)) {
        r->fmt = CAP_FMT_PCAP;
        return cap_pcap_open(r);
    }
    if (cap_pcapng_magic(p)) {
        r->fmt = CAP_FMT_PCAPNG;
        return cap_pcapng_open(r);
    }
    return cap_fail(r, SV_ENOTCAP, 0, "not a pcap or pcapng file (magic 0x%02x%02x%02x%02x)", p[0],
                    p[1], p[2], p[3]);
}

/* Takes ownership of src (closed on failure too). */
static int cap_open_src(struct cap_reader **out, struct bytesrc *src, const char *name,
                        struct diag *d)
{
    struct cap_reader *r;
    struct bytesrc *dec;
    int rc;

    *out = NULL;
    r = xcalloc(1, sizeof *r);
    r->src = src;
    r->name = xstrdup(name);
    src->name = r->name;        /* the source's messages name the input as the reader's do */
    r->buf = malloc(CAP_BUF_INIT);
    if (!r->buf) {
        rc = diag_set(&r->ed, SV_ENOMEM, "%s: out of memory for the read buffer", name);
        goto out_close;
    }
    r->cap = CAP_BUF_INIT;

    rc = cap_fill(r, 4);
    if (rc < 0)
        goto out_close;
    if (cap_gzip_magic(r->buf, r->end) || cap_zstd_magic(r->buf, r->end)) {
        bool gz = cap_gzip_magic(r->buf, r->end);

        r->comp = gz ? CAP_COMP_GZIP : CAP_COMP_ZSTD;
        rc = comp_open(&dec, gz ? COMP_GZIP : COMP_ZSTD, r->src, r->buf, r->end, &r->ed);
        r->src = dec;               /* the old source now belongs to dec (or is closed) */
        if (rc < 0)
            goto out_close;
        r->beg = 0;
        r->end = 0;
        r->eof = false;
    }
    rc = cap_sniff_format(r);
    if (rc < 0)
        goto out_close;
    *out = r;
    return 0;

out_close:
    *d = r->ed;
    cap_close(r);
    return rc;
}

int cap_open(struct cap_reader **out, const char *path, struct diag *d)
{
    struct bytesrc *src;
    int rc;

    *out = NULL;
    rc = bytesrc_open_file(&src, path, NULL, d);
    if (rc < 0)
        return rc;
    return cap_open_src(out, src, src->name, d);
}

int cap_open_as(struct cap_reader **out, const char *path, const char *name,
                const volatile sig_atomic_t *cancel, struct diag *d)
{
    struct bytesrc *src;
    int rc;

    *out = NULL;
    rc = bytesrc_open_file(&src, path, cancel, d);
    if (rc < 0)
        return rc;
    return cap_open_src(out, src, name, d);
}

/* ---------------------------------------------------------------- memory source */

struct mem_src {
    struct bytesrc base;        /* first: the bytesrc pointer is the struct pointer */
    const uint8_t *p;           /* borrowed */
    size_t n, pos;
    char *name;                 /* owned */
};

static ssize_t mem_read(struct bytesrc *s, void *buf, size_t n, struct diag *d)
{
    struct mem_src *m = (struct mem_src *)s;
    size_t left = m->n - m->pos;

    (void)d;
    if (n > left)
        n = left;
    if (n > SSIZE_MAX)
        n = SSIZE_MAX;
    if (n)
        memcpy(buf, m->p + m->pos, n);
    m->pos += n;
    return (ssize_t)n;
}

static void mem_close(struct bytesrc *s)
{
    struct mem_src *m = (struct mem_src *)s;

    free(m->name);
    free(m);
}

int cap_open_mem(struct cap_reader **out, const void *p, size_t n, const char *name,
                 struct diag *d)
{
    struct mem_src *m = xcalloc(1, sizeof *m);

    m->p = p;
    m->n = n;
    m->name = xstrdup(name);
    m->base.read = mem_read;
    m->base.close = mem_close;
    m->base.name = m->name;
    return cap_open_src(out, &m->base, name, d);
}

/* ---------------------------------------------------------------- accessors */

size_t cap_niface(const struct cap_reader *r)
{
    return r->niface;
}

const struct cap_iface *cap_iface(const struct cap_reader *r, uint32_t idx)
{
    return idx < r->niface ? &r->ifaces[idx] : NULL;
}

enum cap_format cap_format(const struct cap_reader *r)
{
    return r->fmt;
}

enum cap_compression cap_compression(const struct cap_reader *r)
{
    return r->comp;
}

uint64_t cap_offset(const struct cap_reader *r)
{
    return r->consumed;
}

void cap_close(struct cap_reader *r)
{
    if (!r)
        return;
    bytesrc_close(r->src);
    free(r->buf);
    free(r->other);
    free(r->ifaces);
    free(r->ng_ifaces);
    free(r->name);
    free(r);
}
