/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: index scan and decode rates on one core, for ci/bench index.
 *
 *   ixbench STORE [RUNS [scan|decode|write]]
 *
 * scan: loads, block by block, the fixed and dictionary columns a typical
 * query reads (request and response time, stream, protocol, source and
 * destination IP and name, request method and path, response status) and visits
 * every row's values (counting GET requests answered with 5xx, so that
 * nothing is optimised away).
 * decode: rebuilds every entry record from every column, header maps
 * included.
 * write: rebuilds every record first (not timed), then writes them into new
 * segments, one per segment of the store, in a temporary directory beside
 * it, with the writer ingest uses (level 1, the store's body bytes): the
 * index writer's own rate, which ingest's shares with the dissectors.
 * Each reads the segments as a query does (src/select.c): one after the
 * other, each opened with ix_open_buf() on one reused ix_filebuf, loaded
 * block by block, closed. Each is run RUNS times (default 3), the file
 * pages already in the page cache; the best run counts, in CPU seconds of
 * the one thread (so the rates are per core, and other load on the machine
 * barely moves them), and the first run is reported too: it is what a
 * single query process pays, page faults for its buffers included. Prints
 * one JSON object.
 */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/buf.h"
#include "base/diag.h"
#include "base/fsutil.h"
#include "compress/compress.h"
#include "entry/entry.h"
#include "index/index.h"
#include "store/store.h"

static double now(void)
{
    struct timespec ts;

    /* CPU time of this (single-threaded) process: a rate per core, whatever else runs */
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int scan(struct ix_seg *seg, uint64_t *hits, struct diag *d)
{
    int cols[] = {
        ix_col_find(seg, IX_SEC_NONE, "req_ns"),   ix_col_find(seg, IX_SEC_NONE, "resp_ns"),
        ix_col_find(seg, IX_SEC_NONE, "stream"),   ix_col_find(seg, IX_SEC_NONE, "proto"),
        ix_col_find(seg, IX_SEC_NONE, "src_ip"),   ix_col_find(seg, IX_SEC_NONE, "dst_ip"),
        ix_col_find(seg, IX_SEC_NONE, "src.name"), ix_col_find(seg, IX_SEC_NONE, "dst.name"),
        ix_col_find(seg, IX_SEC_REQ, "method"),    ix_col_find(seg, IX_SEC_REQ, "path"),
        ix_col_find(seg, IX_SEC_RESP, "status"),
    };
    enum { NCOLS = sizeof cols / sizeof *cols };
    size_t ncols = 0;
    int use[NCOLS];

    for (size_t i = 0; i < NCOLS; i++) {
        if (cols[i] >= 0)
            use[ncols++] = cols[i];
    }
    for (uint32_t b = 0; b < ix_info(seg)->blocks; b++) {
        const uint64_t *t, *rt, *st, *pr, *sip, *dip, *sn, *dn;
        struct ix_leaf_rows m, path, status;
        uint32_t rows = ix_block_rows(seg, b);

        if (ix_block_load(seg, b, use, ncols, d) < 0)
            return -1;
        t = ix_col_u64(seg, cols[0]);
        rt = ix_col_u64(seg, cols[1]);
        st = ix_col_u64(seg, cols[2]);
        pr = ix_col_u64(seg, cols[3]);
        sip = ix_col_codes(seg, cols[4]);
        dip = ix_col_codes(seg, cols[5]);
        sn = ix_col_codes(seg, cols[6]);
        dn = ix_col_codes(seg, cols[7]);
        if (cols[8] < 0 || cols[9] < 0 || cols[10] < 0 || !sn || !dn ||
            !ix_leaf_rows(seg, cols[8], &m) || !ix_leaf_rows(seg, cols[9], &path) ||
            !ix_leaf_rows(seg, cols[10], &status))
            continue;
        for (uint32_t r = 0; r < rows; r++) {
            uint64_t num = status.num[r] >= 0 ? status.nums[status.num[r]] : 0;

            if (m.code[r] >= 0 && num >= 500 && t[r] <= rt[r] + 1 && st[r] && pr[r] < 16 &&
                path.code[r] >= 0 && sip[r] != dip[r] && sn[r] != dn[r] + 1)
                (*hits)++;
        }
    }
    return 0;
}

/*
 * One pass over every segment; returns the rows' record bytes (decode), or
 * -1. *bytes gets the segments' sizes.
 */
static long long pass(struct store *st, bool decode, struct ix_filebuf *fb, struct buf *out,
                      uint64_t *hits, uint64_t *bytes, struct diag *d)
{
    long long recbytes = 0;

    *bytes = 0;

    for (size_t i = 0; i < store_nsegments(st); i++) {
        char *path = store_segment_path(st, i);
        struct ix_seg *seg;
        int rc = ix_open_buf(&seg, path, fb, d);

        free(path);
        if (rc == 0)
            *bytes += ix_info(seg)->bytes;
        if (rc == 0 && !decode)
            rc = scan(seg, hits, d);
        for (uint32_t b = 0; rc == 0 && decode && b < ix_info(seg)->blocks; b++) {
            out->len = 0;
            rc = ix_block_records(seg, b, out, d);
            recbytes += (long long)out->len;
        }
        if (seg)
            ix_close(seg);
        if (rc < 0)
            return -1;
    }
    return recbytes;
}

/* Every segment's records, for the write pass (recs[i] holds segment i's). */
static int load_records(struct store *st, struct buf *recs, struct diag *d)
{
    struct ix_filebuf fb = { NULL, 0, NULL };
    int rc = 0;

    for (size_t i = 0; rc == 0 && i < store_nsegments(st); i++) {
        char *path = store_segment_path(st, i);
        struct ix_seg *seg;

        buf_init(&recs[i], SIZE_MAX);
        rc = ix_open_buf(&seg, path, &fb, d);
        free(path);
        for (uint32_t b = 0; rc == 0 && b < ix_info(seg)->blocks; b++)
            rc = ix_block_records(seg, b, &recs[i], d);
        if (seg)
            ix_close(seg);
    }
    ix_filebuf_release(&fb);
    return rc;
}

/* Writes the records of each recs[i] as segment DIR/i; returns the bytes written, or -1. */
static long long write_pass(const char *dir, const struct buf *recs, size_t nseg,
                            struct comp_block *z, struct diag *d)
{
    long long bytes = 0;

    for (size_t i = 0; i < nseg; i++) {
        char *path = fs_printf("%s/%zu", dir, i);
        struct ix_writer *x = ix_writer_new(path, "bench", z, d);
        struct ix_seg_info info;
        int rc = x ? 0 : -1;

        free(path);
        for (size_t pos = 0; rc == 0 && pos < recs[i].len;) {
            struct ent_view v;
            long n = ent_parse(recs[i].data + pos, recs[i].len - pos, &v);

            if (n <= 0) {
                ix_writer_abort(x);
                return diag_set(d, SV_EFORMAT, "segment %zu: a record does not parse", i);
            }
            rc = ix_writer_add(x, &v, d);
            pos += (size_t)n;
        }
        if (rc < 0) {
            ix_writer_abort(x);
            return -1;
        }
        if (x && ix_writer_close(x, &info, d) < 0)
            return -1;
        bytes += (long long)info.bytes;
    }
    return bytes;
}

static int bench_write(struct store *st, const char *store_dir, int runs, uint64_t rows)
{
    size_t nseg = store_nsegments(st);
    struct buf *recs = calloc(nseg ? nseg : 1, sizeof *recs);
    char *dir = fs_printf("%s.ixbench-write", store_dir);
    struct comp_block *z = comp_block_new(1);
    double best = 1e30, first = 0;
    long long bytes = 0, recbytes = 0;
    struct diag d, dd;
    int rc;

    diag_clear(&d);
    rc = load_records(st, recs, &d);
    if (rc == 0)
        rc = fs_mkdirs(dir, &d);
    for (int k = 0; rc == 0 && k < runs; k++) {
        double t0 = now(), t;

        bytes = write_pass(dir, recs, nseg, z, &d);
        t = now() - t0;
        if (bytes < 0)
            rc = -1;
        if (k == 0)
            first = t;
        if (t < best)
            best = t;
    }
    for (size_t i = 0; i < nseg; i++) {
        recbytes += (long long)recs[i].len;
        buf_release(&recs[i]);
    }
    (void)fs_rmtree(dir, &dd);
    if (rc < 0)
        fprintf(stderr, "ixbench: %s\n", d.msg);
    else
        printf("{\"rows\":%llu,\"segments\":%zu,\"record_bytes\":%lld,\"index_bytes\":%lld,"
               "\"write_s\":%.4f,\"write_rows_per_s\":%.0f,\"write_first_s\":%.4f}\n",
               (unsigned long long)rows, nseg, recbytes, bytes, best,
               best > 0 ? (double)rows / best : 0, first);
    comp_block_free(z);
    free(dir);
    free(recs);
    return rc < 0 ? 1 : 0;
}

int main(int argc, char **argv)
{
    struct store *st;
    struct diag d;
    struct ix_filebuf fb = { NULL, 0, NULL };
    int runs = argc > 2 ? (int)strtol(argv[2], NULL, 10) : 3;
    const char *only = argc > 3 ? argv[3] : "";
    double best[2] = { 1e30, 1e30 }, first[2] = { 0, 0 };
    uint64_t rows = 0, hits = 0, bytes = 0;
    long long recbytes = 0;
    size_t nseg;
    struct buf out;

    if (argc < 2) {
        fprintf(stderr, "usage: ixbench STORE [RUNS [scan|decode|write]]\n");
        return 2;
    }
    diag_clear(&d);
    if (store_open(&st, argv[1], &d) < 0) {
        fprintf(stderr, "ixbench: %s\n", d.msg);
        return 1;
    }
    nseg = store_nsegments(st);
    for (size_t i = 0; i < nseg; i++)
        rows += store_segment(st, i)->rows;
    if (strcmp(only, "write") == 0) {
        int rc = bench_write(st, argv[1], runs, rows);

        store_close(st);
        return rc;
    }
    buf_init(&out, SIZE_MAX);
    for (int what = 0; what < 2; what++) {
        if (strcmp(only, what ? "scan" : "decode") == 0)
            continue;
        for (int k = 0; k < runs; k++) {
            double t0 = now(), t;
            long long n;

            if (what == 0)
                hits = 0;
            n = pass(st, what == 1, &fb, &out, &hits, &bytes, &d);
            t = now() - t0;
            if (n < 0) {
                fprintf(stderr, "ixbench: %s\n", d.msg);
                return 1;
            }
            if (what == 1)
                recbytes = n;
            if (k == 0)
                first[what] = t;
            if (t < best[what])
                best[what] = t;
        }
    }
    for (int what = 0; what < 2; what++) {
        if (best[what] > 1e29)
            best[what] = 0;     /* not run: rate 0 */
    }
    printf("{\"rows\":%llu,\"segments\":%zu,\"index_bytes\":%llu,\"record_bytes\":%lld,"
           "\"scan_s\":%.4f,\"scan_rows_per_s\":%.0f,\"scan_first_s\":%.4f,"
           "\"decode_s\":%.4f,\"decode_rows_per_s\":%.0f,\"decode_first_s\":%.4f,"
           "\"hits\":%llu}\n",
           (unsigned long long)rows, nseg, (unsigned long long)bytes, recbytes, best[0],
           best[0] > 0 ? (double)rows / best[0] : 0, first[0], best[1],
           best[1] > 0 ? (double)rows / best[1] : 0, first[1],
           (unsigned long long)hits);
    ix_filebuf_release(&fb);
    buf_release(&out);
    store_close(st);
    return 0;
}
