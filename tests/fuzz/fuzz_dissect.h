/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: the fuzz harness shared by the dissector targets (fuzz_dis_*.c).
 *
 * Input: one configuration byte (bit 0: UDP datagrams instead of TCP bytes),
 * then direction-tagged segments, each:
 *   1 byte   bit 0 side (0 opened the stream), bit 1 FIN of that side,
 *            bit 2 gap (bytes of that side lost; no payload follows),
 *            bit 3 (UDP) a datagram the capture cut: its wire length is
 *            longer than its payload by 1 + the top 4 bits (dsx_datagram)
 *   2 bytes  length, big-endian (payload bytes, cut to what is left of the
 *            input; for a gap, the bytes lost)
 *   payload
 * Segments are 1 ms apart. The dissector is forced (no detection), so every
 * input reaches its parser; with ops NULL, detection picks one
 * (fuzz_dis_detect). Besides the sanitizers, the harness checks that
 * every record written parses back and converts to JSON, that the entries'
 * indexes are 0, 1, 2, ... each once (an entry kept open while 64 later ones
 * were written keeps its index and comes after them) and that request times
 * do not precede the stream.
 */
#ifndef SV_TESTS_FUZZ_DISSECT_H
#define SV_TESTS_FUZZ_DISSECT_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "dissect/dissect.h"
#include "entry/entry.h"
#include "json/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static inline int fuzz_dissect(const struct dsx_ops *ops, const uint8_t *data, size_t size)
{
    const uint64_t t0 = 1700000000000000000ull;
    struct dsx_stream_info si;
    struct dsx_opts o;
    struct dsx_sink sink;
    struct buf out;
    struct dsx *x;
    const uint8_t *p = data, *end = data + size, *q;
    uint64_t ts = t0;
    uint32_t pkt = 0, index = 0;
    uint8_t *seen;

    if (size < 1)
        return 0;
    memset(&si, 0, sizeof si);
    si.stream_id = 7;
    si.l4 = (*p++ & 1) ? 17 : 6;
    si.ipver = 4;
    si.addr[0][0] = 10, si.addr[0][3] = 1;
    si.addr[1][0] = 10, si.addr[1][3] = 2;
    si.port[0] = 40000;
    si.port[1] = 80;
    si.client_side = 0;
    memset(&o, 0, sizeof o);
    o.l4_entries = true;
    o.force = ops;
    buf_init(&out, (size_t)1 << 30);
    dsx_sink_init(&sink, &out);
    x = dsx_new(&si, &o, NULL, &sink);
    if (!x)
        return 0;
    while (end - p >= 3) {
        uint8_t h = p[0];
        size_t n = (size_t)p[1] << 8 | p[2];

        p += 3;
        ts += 1000000;
        if (h & 4) {
            dsx_feed_gap(x, h & 1, n);
            continue;
        }
        if (n > (size_t)(end - p))
            n = (size_t)(end - p);
        /* a copy, so that reading past the segment is caught by ASan */
        {
            uint8_t *c = malloc(n ? n : 1);

            if (!c)
                break;
            memcpy(c, p, n);
            if (si.l4 == 17 && (h & 8))
                dsx_datagram(x, h & 1, c, n, n + 1 + (h >> 4), ts, pkt++);
            else
                dsx_feed(x, h & 1, c, n, ts, pkt++);
            free(c);
        }
        p += n;
        if (h & 2)
            dsx_feed_fin(x, h & 1);
    }
    dsx_finish(x);
    dsx_free(x);
    dsx_sink_release(&sink);
    seen = calloc(sink.entries ? sink.entries : 1, 1);
    if (!seen)
        abort();
    for (q = out.data; out.len && q < out.data + out.len;) {
        struct ent_view v;
        long len = ent_parse(q, (size_t)(out.data + out.len - q), &v);
        char *j;

        if (len <= 0)
            abort();
        if (v.f.index >= sink.entries || seen[v.f.index]++ || v.f.stream_id != 7)
            abort();
        index++;
        if ((v.f.flags & ENT_F_REQ) && v.f.req_ns && v.f.req_ns < t0)
            abort();
        j = jv_entry_text(&v, "fuzz", NULL);
        if (!j)
            abort();
        free(j);
        q += len;
    }
    if (index != sink.entries)
        abort();
    free(seen);
    buf_release(&out);
    return 0;
}

#endif
