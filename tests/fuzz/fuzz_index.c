/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: fuzz target for the index segment reader (lib/index/ixread.c).
 *
 * Input: a segment file. It is opened, every block is rebuilt into entry
 * records, and each record is parsed and turned into JSON, as a query
 * does, and its values read by path as graphs read them (ent_get); every
 * column is also loaded for a scan. Besides the sanitizers, it checks that
 * every record rebuilt parses whole and that found strings lie in their section.
 */
#include "config.h"

#include <stdlib.h>

#include "base/buf.h"
#include "base/diag.h"
#include "entry/entry.h"
#include "index/index.h"
#include "json/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ent_get on the paths graph.c reads (and a few that miss): found strings lie in the section. */
static void fuzz_get(const struct ent_view *v)
{
    static const char *const paths[] = { "status", "grpc.status", "rcode", "type",
                                         "questions", "headers.host", "a.b.c.d", "" };
    struct ent_value x;

    for (int s = 0; s < 2; s++) {
        for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
            if (ent_get(v, (enum ent_section_id)s, paths[i], &x) && x.tag == ENT_T_STR &&
                (x.str < v->sec[s] || x.len > v->seclen[s] ||
                 (size_t)(x.str - v->sec[s]) > v->seclen[s] - x.len))
                abort();
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ix_seg *seg;
    struct diag d;
    struct buf out;

    diag_clear(&d);
    if (ix_open_mem(&seg, "fuzz", data, size, &d) < 0)
        return 0;
    buf_init(&out, SIZE_MAX);
    for (uint32_t b = 0; b < ix_info(seg)->blocks; b++) {
        int cols[3];

        out.len = 0;
        if (ix_block_records(seg, b, &out, &d) < 0)
            continue;
        for (size_t off = 0; off < out.len;) {
            struct ent_view v;
            long n = ent_parse(out.data + off, out.len - off, &v);
            struct jv *j;

            if (n <= 0)
                abort();
            j = jv_entry(&v, "n", "");
            jv_free(j);
            fuzz_get(&v);
            off += (size_t)n;
        }
        cols[0] = ix_col_find(seg, IX_SEC_NONE, "req_ns");
        cols[1] = ix_col_find(seg, IX_SEC_REQ, "method");
        cols[2] = ix_col_find(seg, IX_SEC_RESP, "status");
        if (cols[1] >= 0 && cols[2] >= 0 && ix_block_load(seg, b, cols, 3, &d) == 0) {
            struct ix_leaf_rows st;

            for (uint32_t r = 0; r < ix_block_rows(seg, b); r++) {
                const uint8_t *p;
                size_t n;
                uint64_t num;

                (void)ix_leaf_first(seg, cols[1], r, &p, &n, &num);
            }
            /* every row's code is in the block's dictionary, every number index in nums */
            if (ix_leaf_rows(seg, cols[2], &st)) {
                for (uint32_t r = 0; r < ix_block_rows(seg, b); r++) {
                    const uint8_t *p;
                    size_t n;

                    if (st.code[r] >= 0) {
                        ix_dict_str(seg, cols[2], (uint64_t)st.code[r], &p, &n);
                        if (!p)
                            abort();
                    }
                    if (st.num[r] >= 0)
                        (void)st.nums[st.num[r]];
                }
            }
        }
    }
    buf_release(&out);
    ix_close(seg);
    return 0;
}
