/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: the stream catalogue file (streams.cat) of a node.
 *
 * Fixed-size little-endian records in stream id order after a 64-byte
 * header with a checksum over the records (docs/FORMAT.md). The reader
 * validates the header, the checksum and each record before use.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/cur.h"
#include "base/diag.h"
#include "base/fsutil.h"
#include "base/hash.h"
#include "base/xalloc.h"
#include "store_int.h"

static void rec_put(uint8_t *p, const struct store_stream *s)
{
    memset(p, 0, STORE_CAT_REC_LEN);
    st_le64(p + 0, s->id);
    st_le64(p + 8, s->first_ns);
    st_le64(p + 16, s->last_ns);
    st_le64(p + 24, s->packets);
    st_le64(p + 32, s->bytes);
    st_le64(p + 40, s->offset);
    st_le64(p + 48, s->length);
    st_le32(p + 56, s->flags);
    st_le32(p + 60, s->anomalies);
    st_le32(p + 64, s->pack);
    st_le16(p + 68, s->cli_port);
    st_le16(p + 70, s->srv_port);
    p[72] = s->proto;
    p[73] = s->ipver;
    memcpy(p + 80, s->cli, 16);
    memcpy(p + 96, s->srv, 16);
}

static void rec_get(const uint8_t *p, struct store_stream *s)
{
    s->id = ld_le64(p + 0);
    s->first_ns = ld_le64(p + 8);
    s->last_ns = ld_le64(p + 16);
    s->packets = ld_le64(p + 24);
    s->bytes = ld_le64(p + 32);
    s->offset = ld_le64(p + 40);
    s->length = ld_le64(p + 48);
    s->flags = ld_le32(p + 56);
    s->anomalies = ld_le32(p + 60);
    s->pack = ld_le32(p + 64);
    s->cli_port = ld_le16(p + 68);
    s->srv_port = ld_le16(p + 70);
    s->proto = p[72];
    s->ipver = p[73];
    memcpy(s->cli, p + 80, 16);
    memcpy(s->srv, p + 96, 16);
}

int store_catalog_write(const char *path, struct store_stream *const *blocks, size_t n,
                        struct diag *d)
{
    enum { BATCH = 8192 };
    uint8_t hdr[STORE_CAT_HDR_LEN];
    uint8_t *p = xmalloc((size_t)BATCH * STORE_CAT_REC_LEN);
    char *tmp = fs_printf("%s.tmp", path);
    uint64_t h = 0;
    int fd, rc = 0;

    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        rc = diag_errno(d, SV_EIO, errno, "%s: create", tmp);
        goto out;
    }
    memset(hdr, 0, sizeof hdr);
    rc = fs_write_all(fd, hdr, sizeof hdr, tmp, d);     /* the real header comes last */
    for (size_t i = 0; rc == 0 && i < n; i += BATCH) {
        size_t m = n - i < BATCH ? n - i : BATCH;

        for (size_t k = 0; k < m; k++)
            rec_put(p + k * STORE_CAT_REC_LEN,
                    &blocks[(i + k) / STORE_CAT_BLOCK][(i + k) % STORE_CAT_BLOCK]);
        h = hash_words(p, m * STORE_CAT_REC_LEN, h ^ HASH_FIXED_SEED);
        rc = fs_write_all(fd, p, m * STORE_CAT_REC_LEN, tmp, d);
    }
    if (rc == 0) {
        memcpy(hdr, STORE_CAT_MAGIC, 8);
        st_le32(hdr + 8, STORE_CAT_VERSION);
        st_le32(hdr + 12, STORE_CAT_REC_LEN);
        st_le64(hdr + 16, n);
        st_le64(hdr + 24, h);
        rc = fs_pwrite_all(fd, hdr, sizeof hdr, 0, tmp, d);
    }
    if (close(fd) < 0 && rc == 0)
        rc = diag_errno(d, SV_EIO, errno, "%s: close", tmp);
    if (rc == 0 && rename(tmp, path) < 0)
        rc = diag_errno(d, SV_EIO, errno, "%s: rename", path);
    if (rc < 0)
        unlink(tmp);
out:
    free(tmp);
    free(p);
    return rc;
}

/* The checksum of the records, computed in the writer's batches. */
static uint64_t records_hash(const uint8_t *p, size_t n)
{
    enum { BATCH = 8192 };
    uint64_t h = 0;

    for (size_t i = 0; i < n; i += BATCH) {
        size_t m = n - i < BATCH ? n - i : BATCH;

        h = hash_words(p + i * STORE_CAT_REC_LEN, m * STORE_CAT_REC_LEN, h ^ HASH_FIXED_SEED);
    }
    return h;
}

int store_catalog_read(const char *path, struct store_stream **v, size_t *n, struct diag *d)
{
    uint8_t *p;
    size_t len;
    uint64_t count;
    struct store_stream *out;
    int rc;

    *v = NULL;
    *n = 0;
    rc = fs_read_file(path, (size_t)1 << 40, &p, &len, d);
    if (rc < 0)
        return rc;
    if (len < STORE_CAT_HDR_LEN || memcmp(p, STORE_CAT_MAGIC, 8) != 0) {
        rc = diag_set(d, SV_EFORMAT, "%s: offset 0: not a stream catalogue", path);
        goto out;
    }
    if (ld_le32(p + 8) != STORE_CAT_VERSION || ld_le32(p + 12) != STORE_CAT_REC_LEN) {
        rc = diag_set(d, SV_EFORMAT, "%s: offset 8: unsupported catalogue version %u", path,
                      ld_le32(p + 8));
        goto out;
    }
    count = ld_le64(p + 16);
    if (count != (len - STORE_CAT_HDR_LEN) / STORE_CAT_REC_LEN ||
        (len - STORE_CAT_HDR_LEN) % STORE_CAT_REC_LEN != 0) {
        rc = diag_set(d, SV_EFORMAT, "%s: offset 16: %llu records declared, file holds %zu bytes",
                      path, (unsigned long long)count, len);
        goto out;
    }
    if (ld_le64(p + 24) != records_hash(p + STORE_CAT_HDR_LEN, (size_t)count)) {
        rc = diag_set(d, SV_EFORMAT, "%s: offset 24: checksum mismatch, catalogue corrupt", path);
        goto out;
    }
    out = xcalloc((size_t)count ? (size_t)count : 1, sizeof *out);
    for (size_t i = 0; i < count; i++) {
        rec_get(p + STORE_CAT_HDR_LEN + i * STORE_CAT_REC_LEN, &out[i]);
        if (out[i].id != i + 1 || (out[i].proto != 6 && out[i].proto != 17)) {
            rc = diag_set(d, SV_EFORMAT, "%s: offset %zu: bad stream record", path,
                          STORE_CAT_HDR_LEN + i * STORE_CAT_REC_LEN);
            free(out);
            goto out;
        }
    }
    *v = out;
    *n = (size_t)count;
out:
    free(p);
    return rc;
}
