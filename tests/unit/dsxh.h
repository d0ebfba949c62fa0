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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "dissect/dissect.h"
#include "entry/entry.h"
#include "json/json.h"

enum dsxh_flags {
    DSXH_GAP = 1 << 0,          /* n bytes of side are lost here (p unused) */
    DSXH_FIN = 1 << 1,          /* side ended (p, n unused) */
    DSXH_CUT = 1 << 2,          /* UDP: a datagram of DSXH_WIRE bytes cut to n (dsx_datagram) */
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
/* The flags of a datagram whose wire bytes were w (at most 2^23) but the capture holds n. */
#define DSXH_WIRE(w) (DSXH_CUT | (unsigned)(w) << 8)

/* Body bytes kept per message by dsxh_run (0: none); with bodies, the JSON has them too. */
static size_t dsxh_body_max;

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
    o.body_max = dsxh_body_max;
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
        else if (s->flags & DSXH_CUT)
            dsx_datagram(x, s->side, (const uint8_t *)s->p, n, s->flags >> 8, ts, (uint32_t)i);
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
        if (dsxh_body_max) {
            struct jv *e = jv_entry(&v, "test", NULL);

            if (e)
                jv_entry_add_bodies(e, &v);
            j = e ? jv_dump(e, JV_COMPACT) : NULL;
            jv_free(e);
        } else {
            j = jv_entry_text(&v, "test", NULL);
        }
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

/* Lines in o. */
static inline size_t dsxh_count_lines(const char *o)
{
    size_t n = 0;

    for (; o && *o; o++)
        n += *o == '\n';
    return n;
}

/* Line i of o without its newline (one of 4 static buffers, "" past the end). */
static inline const char *dsxh_line(const char *o, size_t i)
{
    static char b[4][65536];
    static int k;
    char *r = b[k++ & 3];
    const char *e;

    while (o && *o && i--) {
        o = strchr(o, '\n');
        o = o ? o + 1 : NULL;
    }
    r[0] = 0;
    if (!o || !*o)
        return r;
    e = strchr(o, '\n');
    if (!e || (size_t)(e - o) >= sizeof b[0])
        return r;
    memcpy(r, o, (size_t)(e - o));
    r[e - o] = 0;
    return r;
}

/* o with every ,"packets":{...} object cut (packet numbers differ between splits); malloc'd. */
static inline char *dsxh_no_packets(const char *o)
{
    char *r = strdup(o ? o : ""), *p;

    while (r && (p = strstr(r, ",\"packets\":{")) != NULL) {
        char *e = strchr(p, '}');

        memmove(p, e + 1, strlen(e + 1) + 1);
    }
    return r;
}

/* The part of an entry line that does not depend on packet times: request .. anomalies. */
static inline const char *dsxh_body(const char *l)
{
    static char b[4][65536];
    static int k;
    char *r = b[k++ & 3];
    const char *s = strstr(l, "\"request\":"), *e = strstr(l, ",\"times\":");

    r[0] = 0;
    if (s && e && e > s && (size_t)(e - s) < sizeof b[0]) {
        memcpy(r, s, (size_t)(e - s));
        r[e - s] = 0;
    }
    return r;
}

/*
 * The first and last packet times and the first packet number of a side seen in
 * segments first..last (null when first < 0), as dsxh_run times them.
 */
static inline void dsxh_side_(int first, int last, char t[64], char te[64], char pk[16])
{
    const unsigned long long t0 = 1700000000000000000ull, ms = 1000000ull;

    if (first < 0) {
        snprintf(t, 64, "null");
        snprintf(te, 64, "null");
        snprintf(pk, 16, "null");
        return;
    }
    snprintf(t, 64, "%llu", t0 + (unsigned long long)(first + 1) * ms);
    snprintf(te, 64, "%llu", t0 + (unsigned long long)(last + 1) * ms);
    snprintf(pk, 16, "%d", first);
}

/*
 * The expected line of entry idx of stream 1 of node "test", whose
 * protocol object is proto and server port port. fwd: the client is side 0.
 * rq/rqe: the request's first and last packet (-1: none), rs/rse: the
 * response's (segment k is packet k at 1700000000 s + (k+1) ms, as
 * dsxh_run times them). rqn/rsn: the sizes; an: the anomaly list's body.
 */
static inline const char *dsxh_expect(const char *proto, unsigned port, int idx, bool fwd,
                                      int rq, int rqe, int rs, int rse, const char *req,
                                      const char *resp, unsigned rqn, unsigned rsn,
                                      const char *an)
{
    const unsigned long long t0 = 1700000000000000000ull, ms = 1000000ull;
    static char b[4][8192];
    static int k;
    char *r = b[k++ & 3];
    char tr[64], tre[64], ts[64], tse[64], pr[16], ps[16], c[96], s[96];
    int first = rq >= 0 ? rq : rs, last = rqe > rse ? rqe : rse;

    snprintf(c, sizeof c, "{\"ip\":\"10.0.0.1\",\"port\":40000,\"name\":\"\",\"namespace\":\"\"}");
    snprintf(s, sizeof s, "{\"ip\":\"10.0.0.2\",\"port\":%u,\"name\":\"\",\"namespace\":\"\"}",
             port);
    dsxh_side_(rq, rqe, tr, tre, pr);
    dsxh_side_(rs, rse, ts, tse, ps);
    snprintf(r, sizeof b[0],
             "{\"id\":\"test/1-%d\",\"index\":%d,\"stream\":\"000000000001.pcap\","
             "\"node\":{\"name\":\"test\",\"ip\":\"\"},\"protocol\":%s,\"src\":%s,\"dst\":%s,"
             "\"namespace\":\"\",\"timestamp\":%llu,"
             "\"startTime\":\"2023-11-14T22:13:20.%03d000000Z\",\"elapsedTime\":%d,"
             "\"request\":%s,\"response\":%s,\"requestSize\":%u,\"responseSize\":%u,"
             "\"anomalies\":[%s],\"times\":{\"request\":%s,\"requestEnd\":%s,\"response\":%s,"
             "\"responseEnd\":%s},\"packets\":{\"request\":%s,\"response\":%s,\"last\":%d}}",
             idx, idx, proto, fwd ? c : s, fwd ? s : c,
             (t0 + (unsigned long long)(first + 1) * ms) / ms, first + 1,
             rq >= 0 && rs > rq ? rs - rq : 0, req, resp, rqn, rsn, an, tr, tre, ts, tse, pr, ps,
             last < 0 ? 0 : last);
    return r;
}

/* Runs ops over segs cut into pieces of at most `piece` bytes (flagged segments whole). */
static inline char *dsxh_run_split(const struct dsx_ops *ops, bool udp, uint16_t port,
                                   const struct dsxh_seg *segs, size_t n, size_t piece)
{
    struct dsxh_seg *v;
    size_t nv = 0, cap = 0;
    char *o;

    for (size_t i = 0; i < n; i++) {
        size_t len = segs[i].n ? segs[i].n : strlen((const char *)segs[i].p);

        cap += segs[i].flags ? 1 : (len + piece - 1) / piece;
    }
    v = (struct dsxh_seg *)calloc(cap ? cap : 1, sizeof *v);
    if (!v)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        size_t len = segs[i].n ? segs[i].n : strlen((const char *)segs[i].p);

        if (segs[i].flags) {
            v[nv++] = segs[i];
            continue;
        }
        for (size_t off = 0; off < len; off += piece) {
            v[nv].side = segs[i].side;
            v[nv].p = (const char *)segs[i].p + off;
            v[nv].n = len - off < piece ? len - off : piece;
            nv++;
        }
    }
    o = dsxh_run(ops, udp, port, v, nv);
    free(v);
    return o;
}

/*
 * Runs segs whole and cut into pieces of 1, 2, 3 and 7 bytes; returns how
 * many entry lines (their times aside) differ from the whole run's, or -1
 * when the whole run gave no entry.
 */
static inline int dsxh_split_mismatches(const struct dsx_ops *ops, bool udp, uint16_t port,
                                        const struct dsxh_seg *segs, size_t n)
{
    static const size_t pieces[] = { 1, 2, 3, 7 };
    char *whole = dsxh_run(ops, udp, port, segs, n);
    int bad = 0;

    if (!whole || dsxh_count_lines(whole) == 0) {
        free(whole);
        return -1;
    }
    for (size_t k = 0; k < sizeof pieces / sizeof pieces[0]; k++) {
        char *o = dsxh_run_split(ops, udp, port, segs, n, pieces[k]);

        if (dsxh_count_lines(o) != dsxh_count_lines(whole))
            bad++;
        for (size_t i = 0; i < dsxh_count_lines(whole); i++) {
            if (strcmp(dsxh_body(dsxh_line(o, i)), dsxh_body(dsxh_line(whole, i))) != 0)
                bad++;
        }
        free(o);
    }
    free(whole);
    return bad;
}

#endif
