/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: index scan and decode rates on one core, for ci/bench index.
 *
 *   ixbench STORE [RUNS [scan|decode]]
 *
 * scan: loads, block by block, the fixed and dictionary columns a typical
 * query reads (request and response time, stream, protocol, source and
 * destination IP, request method and path, response status) and visits
 * every row's values (counting GET requests answered with 5xx, so that
 * nothing is optimised away).
 * decode: rebuilds every entry record from every column, header maps
 * included.
 * Each is run RUNS times (default 3) over all segments, files already
 * read; the best run counts, in CPU seconds of the one thread (so the rates
 * are per core, and other load on the machine barely moves them). Prints
 * one JSON object.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/buf.h"
#include "base/diag.h"
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
        ix_col_find(seg, IX_SEC_REQ, "method"),    ix_col_find(seg, IX_SEC_REQ, "path"),
        ix_col_find(seg, IX_SEC_RESP, "status"),
    };
    size_t ncols = 0;
    int use[9];

    for (size_t i = 0; i < 9; i++) {
        if (cols[i] >= 0)
            use[ncols++] = cols[i];
    }
    for (uint32_t b = 0; b < ix_info(seg)->blocks; b++) {
        const uint64_t *t, *rt, *st, *pr, *sip, *dip;
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
        if (cols[6] < 0 || cols[7] < 0 || cols[8] < 0 || !ix_leaf_rows(seg, cols[6], &m) ||
            !ix_leaf_rows(seg, cols[7], &path) || !ix_leaf_rows(seg, cols[8], &status))
            continue;
        for (uint32_t r = 0; r < rows; r++) {
            uint64_t num = status.num[r] >= 0 ? status.nums[status.num[r]] : 0;

            if (m.code[r] >= 0 && num >= 500 && t[r] <= rt[r] + 1 && st[r] && pr[r] < 16 &&
                path.code[r] >= 0 && sip[r] != dip[r])
                (*hits)++;
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct store *st;
    struct diag d;
    struct ix_seg **segs;
    size_t nseg;
    int runs = argc > 2 ? (int)strtol(argv[2], NULL, 10) : 3;
    const char *only = argc > 3 ? argv[3] : "";
    double best_scan = 1e30, best_decode = 1e30;
    uint64_t rows = 0, hits = 0, bytes = 0, recbytes = 0;
    struct buf out;

    if (argc < 2) {
        fprintf(stderr, "usage: ixbench STORE [RUNS]\n");
        return 2;
    }
    diag_clear(&d);
    if (store_open(&st, argv[1], &d) < 0) {
        fprintf(stderr, "ixbench: %s\n", d.msg);
        return 1;
    }
    nseg = store_nsegments(st);
    segs = calloc(nseg ? nseg : 1, sizeof *segs);
    for (size_t i = 0; i < nseg; i++) {
        char *path = store_segment_path(st, i);

        if (ix_open(&segs[i], path, &d) < 0) {
            fprintf(stderr, "ixbench: %s\n", d.msg);
            return 1;
        }
        free(path);
        rows += ix_info(segs[i])->rows;
        bytes += ix_info(segs[i])->bytes;
    }
    buf_init(&out, SIZE_MAX);
    for (int k = 0; k < runs; k++) {
        double t0 = now();

        hits = 0;
        for (size_t i = 0; i < nseg && strcmp(only, "decode") != 0; i++) {
            if (scan(segs[i], &hits, &d) < 0) {
                fprintf(stderr, "ixbench: %s\n", d.msg);
                return 1;
            }
        }
        if (now() - t0 < best_scan)
            best_scan = now() - t0;
        t0 = now();
        recbytes = 0;
        for (size_t i = 0; i < nseg && strcmp(only, "scan") != 0; i++) {
            for (uint32_t b = 0; b < ix_info(segs[i])->blocks; b++) {
                out.len = 0;
                if (ix_block_records(segs[i], b, &out, &d) < 0) {
                    fprintf(stderr, "ixbench: %s\n", d.msg);
                    return 1;
                }
                recbytes += out.len;
            }
        }
        if (now() - t0 < best_decode)
            best_decode = now() - t0;
    }
    printf("{\"rows\":%llu,\"segments\":%zu,\"index_bytes\":%llu,\"record_bytes\":%llu,"
           "\"scan_s\":%.4f,\"scan_rows_per_s\":%.0f,\"decode_s\":%.4f,"
           "\"decode_rows_per_s\":%.0f,\"hits\":%llu}\n",
           (unsigned long long)rows, nseg, (unsigned long long)bytes,
           (unsigned long long)recbytes, best_scan, (double)rows / best_scan, best_decode,
           (double)rows / best_decode, (unsigned long long)hits);
    for (size_t i = 0; i < nseg; i++)
        ix_close(segs[i]);
    free(segs);
    buf_release(&out);
    store_close(st);
    return 0;
}
