/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: gzip/zstd decompressing byte source over libarchive's raw format.
 *
 * libarchive pulls compressed bytes through dec_pull(): first the prefix the
 * caller already sniffed, then the inner byte source. archive_read_data()
 * then yields the decompressed bytes of the single "raw" entry.
 *
 *   open:  archive_read_open (filters bid on the prefix) -> next_header -> READY
 *   READY: dec_read -> archive_read_data -> bytes | 0 (EOF) | error (sticky)
 */
#include "config.h"

#include "bundle.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/bytesrc.h"
#include "base/diag.h"
#include "base/xalloc.h"

/* Compressed bytes pulled from the inner source per callback. */
#define DEC_CHUNK (256u * 1024)

struct decomp {
    struct bytesrc base;        /* first: the bytesrc pointer is the struct pointer */
    struct bytesrc *inner;      /* owned */
    struct archive *a;
    uint8_t *prefix;            /* owned copy of the sniffed bytes, replayed once */
    size_t nprefix;
    bool prefix_done;
    uint8_t *chunk;             /* DEC_CHUNK bytes for the inner reads */
    const uint8_t *blk;         /* rest of libarchive's current block (borrowed from it) */
    size_t blk_left;
    uint64_t produced;          /* decompressed bytes handed out so far */
    bool eof;
    int err;                    /* sticky error code, 0 when none */
    struct diag ed;             /* its detail */
    bool inner_eof;             /* the inner source has ended */
    int inner_rc;               /* an inner read error seen inside dec_pull */
    struct diag inner_diag;
};

static la_ssize_t dec_pull(struct archive *a, void *client, const void **bufp)
{
    struct decomp *z = client;
    ssize_t got;

    if (!z->prefix_done) {
        z->prefix_done = true;
        if (z->nprefix) {
            *bufp = z->prefix;
            return (la_ssize_t)z->nprefix;
        }
    }
    got = z->inner->read(z->inner, z->chunk, DEC_CHUNK, &z->inner_diag);
    if (got < 0) {
        z->inner_rc = (int)got;
        archive_set_error(a, EIO, "%s", z->inner_diag.msg);
        return ARCHIVE_FATAL;
    }
    if (got == 0)
        z->inner_eof = true;
    *bufp = z->chunk;
    return (la_ssize_t)got;
}

/* The one place libarchive errors become SV_E* codes. */
static int dec_error(struct decomp *z, struct diag *d, const char *stage)
{
    const char *why;

    if (z->inner_rc < 0) {
        *d = z->inner_diag;     /* the inner source's own message and code */
        return z->inner_rc;
    }
    why = archive_error_string(z->a);
    if (!why)
        why = "unknown error";
    if (archive_errno(z->a) == ENOMEM)
        return diag_set(d, SV_ENOMEM, "%s: %s: %s", z->base.name, stage, why);
    /*
     * libarchive wanted more input after the end: the compressed stream is cut
     * short. Its filters drop the partly filled output block (gzip 64 KiB,
     * zstd ~128 KiB), so the offset is where delivery stopped, at or before
     * the point where the data really end.
     */
    if (z->inner_eof)
        return diag_set(d, SV_ETRUNC,
                        "%s: offset %llu (decompressed): compressed data truncated (%s)",
                        z->base.name, (unsigned long long)z->produced, why);
    return diag_set(d, SV_EFORMAT, "%s: offset %llu (decompressed): %s: %s", z->base.name,
                    (unsigned long long)z->produced, stage, why);
}

/*
 * Copies from libarchive's blocks (archive_read_data_block) rather than
 * calling archive_read_data, which drops the bytes it already copied when a
 * later block fails: here the bytes before a fault are delivered first and
 * the fault comes on the next call.
 */
static ssize_t dec_read(struct bytesrc *s, void *buf, size_t n, struct diag *d)
{
    struct decomp *z = (struct decomp *)s;
    uint8_t *out = buf;
    size_t copied = 0;

    if (n > SSIZE_MAX)
        n = SSIZE_MAX;
    while (copied < n && !z->err) {
        const void *blk;
        size_t size, take;
        la_int64_t boff;
        int rc;

        if (z->blk_left) {
            take = n - copied < z->blk_left ? n - copied : z->blk_left;
            memcpy(out + copied, z->blk, take);
            z->blk += take;
            z->blk_left -= take;
            copied += take;
            continue;
        }
        if (z->eof)
            break;
        rc = archive_read_data_block(z->a, &blk, &size, &boff);
        if (rc == ARCHIVE_EOF) {
            z->eof = true;
            break;
        }
        if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) {
            z->produced += copied;
            z->err = dec_error(z, &z->ed, "decompression failed");
            z->produced -= copied;
            break;
        }
        z->blk = blk;
        z->blk_left = size;
    }
    z->produced += copied;
    if (copied == 0 && z->err) {
        *d = z->ed;
        return z->err;
    }
    return (ssize_t)copied;
}

static void dec_close(struct bytesrc *s)
{
    struct decomp *z = (struct decomp *)s;

    archive_read_free(z->a);
    bytesrc_close(z->inner);
    free(z->chunk);
    free(z->prefix);
    free(z);
}

static bool dec_filter_known(struct archive *a)
{
    int code;

    if (archive_filter_count(a) < 2)    /* only "none": no decompressor engaged */
        return false;
    code = archive_filter_code(a, 0);
    return code == ARCHIVE_FILTER_GZIP || code == ARCHIVE_FILTER_ZSTD;
}

int bundle_open_decompress(struct bytesrc **out, struct bytesrc *inner, const void *prefix,
                           size_t nprefix, struct diag *d)
{
    struct archive_entry *ent;
    struct decomp *z;
    int rc;

    *out = NULL;
    z = xcalloc(1, sizeof *z);
    z->inner = inner;
    z->base.read = dec_read;
    z->base.close = dec_close;
    z->base.name = inner->name;
    z->chunk = xmalloc(DEC_CHUNK);
    if (nprefix) {
        z->prefix = xmalloc(nprefix);
        memcpy(z->prefix, prefix, nprefix);
        z->nprefix = nprefix;
    }
    z->a = archive_read_new();
    if (!z->a) {
        rc = diag_set(d, SV_ENOMEM, "%s: cannot set up decompression", inner->name);
        goto out_free;
    }
    /* ARCHIVE_WARN means "through an external program": still usable. */
    if (archive_read_support_filter_gzip(z->a) == ARCHIVE_FATAL ||
        archive_read_support_filter_zstd(z->a) == ARCHIVE_FATAL ||
        archive_read_support_format_raw(z->a) != ARCHIVE_OK ||
        archive_read_support_format_empty(z->a) != ARCHIVE_OK) {
        rc = diag_set(d, SV_EDEP, "%s: libarchive lacks gzip/zstd support: %s", inner->name,
                      archive_error_string(z->a) ? archive_error_string(z->a) : "?");
        goto out_free;
    }
    if (archive_read_open(z->a, z, NULL, dec_pull, NULL) != ARCHIVE_OK) {
        rc = dec_error(z, d, "cannot read compressed data");
        goto out_free;
    }
    rc = archive_read_next_header(z->a, &ent);
    if (rc == ARCHIVE_EOF) {
        z->eof = true;          /* no data at all: the reader reports an empty input */
    } else if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) {
        rc = dec_error(z, d, "cannot read compressed data");
        goto out_free;
    }
    if (!dec_filter_known(z->a)) {
        rc = diag_set(d, SV_EFORMAT, "%s: offset 0: not valid gzip or zstd data", inner->name);
        goto out_free;
    }
    *out = &z->base;
    return 0;

out_free:
    dec_close(&z->base);
    return rc;
}
