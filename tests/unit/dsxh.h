/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: harness for dissector unit tests: feeds byte segments to one
 * dissector as if reassembled and returns its entries as JSON lines.
 *
 * Side 0 is 10.0.0.1:40000 (it opened the stream), side 1 is 10.0.0.2:port.
 * The stream is id 1 of node "test"; each line is exactly what
 * `streamvault query STORE '' --format ndjson` prints for the entry.
 */
#ifndef SV_TESTS_DSXH_H
#define SV_TESTS_DSXH_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "dissect/dissect.h"
#include "entry/entry.h"
#include "json/json.h"

enum dsxh_flags {
    DSXH_GAP = 1 << 0,          /* n bytes of side are lost here (p unused) */
    DSXH_FIN = 1 << 1,          /* side ended (p, n unused) */
};

struct dsxh_seg {
    int side;
    const void *p;              /* bytes (n == 0: strlen(p)) */
    size_t n;
    uint64_t ts_ns;             /* 0: 1 ms after the previous segment */
    unsigned flags;
};

/* Shorthands: a segment of a C string from side s, at time t ns (0: 1 ms after the last). */
#define DSXH_S(s, str, t) { (s), (str), sizeof(str) - 1, (t), 0 }
#define DSXH_FINSEG(s) { (s), NULL, 0, 0, DSXH_FIN }
#define DSXH_GAPSEG(s, n) { (s), NULL, (n), 0, DSXH_GAP }

/*
 * Runs ops (UDP datagrams when udp) over the segments and returns the
 * entries as "\n"-terminated JSON lines (malloc'd; "" when none; NULL on
 * OOM). Each segment is packet number i of the stream.
 */
static inline char *dsxh_run(const struct dsx_ops *ops, bool udp, uint16_t port,
                             const struct dsxh_seg *segs, size_t nsegs)
{
    struct dsx_stream_info si;
    struct dsx_opts o;
    struct dsx_sink sink;
    struct buf out, txt;
    struct dsx *x;
    uint64_t ts = 1700000000000000000ull;
    const uint8_t *p, *end;

    memset(&si, 0, sizeof si);
    si.stream_id = 1;
    si.l4 = udp ? 17 : 6;
    si.ipver = 4;
    si.addr[0][0] = 10, si.addr[0][3] = 1;
    si.addr[1][0] = 10, si.addr[1][3] = 2;
    si.port[0] = 40000;
    si.port[1] = port;
    si.client_side = 0;
    memset(&o, 0, sizeof o);
    o.l4_entries = true;
    o.force = ops;
    buf_init(&out, (size_t)1 << 30);
    buf_init(&txt, (size_t)1 << 30);
    dsx_sink_init(&sink, &out);
    x = dsx_new(&si, &o, NULL, &sink);
    if (!x)
        return NULL;
    for (size_t i = 0; i < nsegs; i++) {
        const struct dsxh_seg *s = &segs[i];
        size_t n = s->n;

        ts = s->ts_ns ? s->ts_ns : ts + 1000000;
        if (s->flags & DSXH_GAP)
            dsx_feed_gap(x, s->side, n);
        else if (s->flags & DSXH_FIN)
            dsx_feed_fin(x, s->side);
        else
            dsx_feed(x, s->side, (const uint8_t *)s->p, n ? n : strlen((const char *)s->p), ts,
                     (uint32_t)i);
    }
    dsx_finish(x);
    dsx_free(x);
    dsx_sink_release(&sink);
    p = out.data;
    end = out.len ? out.data + out.len : out.data;
    while (p && p < end) {
        struct ent_view v;
        long len = ent_parse(p, (size_t)(end - p), &v);
        char *j;

        if (len <= 0)
            break;
        j = jv_entry_text(&v, "test", NULL);
        if (!j || buf_append(&txt, j, strlen(j)) < 0 || buf_append(&txt, "\n", 1) < 0) {
            free(j);
            break;
        }
        free(j);
        p += len;
    }
    buf_release(&out);
    if (buf_append(&txt, "", 1) < 0) {
        buf_release(&txt);
        return NULL;
    }
    return (char *)txt.data;
}

#endif
