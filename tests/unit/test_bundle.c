/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: unit tests of lib/bundle: node directory names, and the merge of
 * a node's streams (time order, ties by stream id, --cut, the measuring
 * pass agreeing with the written bytes, pcapng for mixed link types) over a
 * store ingested from captures written here.
 */
#include "config.h"

#include "t.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/cur.h"
#include "base/diag.h"
#include "base/fsutil.h"
#include "bundle/bundle.h"
#include "bundle/bundle_int.h"
#include "store/pcapw.h"
#include "store/store.h"

#define SEC 1000000000ull

TEST(node_dir_names)
{
    static const struct {
        const char *name, *ip, *dir;
    } t[] = {
        { "worker-3", "10.0.4.12", "worker-3_10.0.4.12" },
        { "local", "", "local" },
        { "n1", "fd00::2", "n1_fd00::2" },
        { "a", "../x y", "a_.._x_y" },
        { "..", NULL, "_" },
        /* not the manifest's name */
        { "content.json", "", "content.json_" },
        { "content.json", "10.0.0.1", "content.json_10.0.0.1" },
    };

    for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
        char *s = bundle_node_dir(t[i].name, t[i].ip);

        T_STREQ(s, t[i].dir);
        free(s);
    }
}

/* One UDP packet 10.0.0.<cli>:<cport> -> 10.0.0.2:53 with plen payload bytes; ip only (raw). */
static size_t udp_frame(uint8_t *f, bool ether, uint8_t cli, uint16_t cport, size_t plen)
{
    uint8_t *ip = ether ? f + 14 : f;
    size_t iplen = 20 + 8 + plen;

    if (ether) {
        memset(f, 0, 12);
        f[0] = 2;
        f[6] = 4;
        f[12] = 0x08;
        f[13] = 0x00;
    }
    memset(ip, 0, iplen);
    ip[0] = 0x45;
    ip[2] = (uint8_t)(iplen >> 8);
    ip[3] = (uint8_t)iplen;
    ip[8] = 64;
    ip[9] = 17;
    ip[12] = 10;
    ip[15] = cli;
    ip[16] = 10;
    ip[19] = 2;
    ip[20] = (uint8_t)(cport >> 8);
    ip[21] = (uint8_t)cport;
    ip[23] = 53;
    ip[24] = (uint8_t)((8 + plen) >> 8);
    ip[25] = (uint8_t)(8 + plen);
    return (ether ? 14 : 0) + iplen;
}

struct pk {
    uint64_t ts;
    uint8_t cli;
    uint16_t cport;
    size_t plen;                /* tells the packets apart */
};

static void write_capture(const char *path, uint32_t linktype, const struct pk *v, size_t n)
{
    struct buf b;
    static uint8_t f[14 + 28 + 65000];
    uint8_t h[PCAPW_HDR_LEN];
    struct diag d;

    buf_init(&b, 1 << 20);
    pcapw_file_header(h, linktype, 65535, 6);
    T_EQ(buf_append(&b, h, sizeof h), 0);
    for (size_t i = 0; i < n; i++) {
        size_t len = udp_frame(f, linktype == 1, v[i].cli, v[i].cport, v[i].plen);

        T_EQ(pcapw_record(&b, v[i].ts, (uint32_t)len, (uint32_t)len, f, 6), 0);
    }
    T_EQ(fs_write_file_atomic(path, b.data, b.len, &d), 0);
    buf_release(&b);
}

static struct store *ingest(const char *dir, char *const *inputs, size_t n)
{
    struct store_ingest_opts o;
    struct store_ingest_result r;
    struct store *s = NULL;
    struct diag d;

    diag_clear(&d);
    store_ingest_opts_init(&o);
    o.store_dir = dir;
    o.threads = 1;
    o.replace = true;
    memset(&r, 0, sizeof r);
    T_EQ(store_ingest(&o, inputs, n, &r, &d), 0);
    store_ingest_result_release(&r);
    T_EQ(store_open(&s, dir, &d), 0);
    return s;
}

static int mem_write(void *arg, const void *p, size_t n, struct diag *d)
{
    (void)d;
    return buf_append(arg, p, n);
}

/* The payload lengths of the packets of a classic PCAP file, in order. */
static size_t plens(const struct buf *b, size_t *out, size_t max)
{
    size_t n = 0;

    for (size_t off = PCAPW_HDR_LEN; off + PCAPW_REC_HDR_LEN <= b->len && n < max;
         off += pcapw_record_len(b->data + off))
        out[n++] = ld_le32(b->data + off + 8) - 14 - 28;
    return n;
}

/* A store of two UDP streams whose packets tie in time, written out of order. */
static const struct pk ties[] = {
    { 1 * SEC, 3, 2000, 1 },    /* stream 1 (first packet) */
    { 1 * SEC, 1, 1000, 2 },    /* stream 2, same time as stream 1's first */
    { 3 * SEC, 1, 1000, 60000 },    /* larger than one read of the merge (LIM_BUNDLE_READ) */
    { 2 * SEC, 3, 2000, 4 },    /* earlier than the packet before it in the file */
    { 3 * SEC, 3, 2000, 5 },    /* ties with stream 2's second */
};

TEST(merge_time_order_ties_by_stream_id)
{
    char dir[] = "/tmp/svbundleXXXXXX", *cap, *sdir;
    const struct store_stream *v, *sel[2];
    struct bmerge_opts mo = { false, 0, 0 };
    struct bmerge_stats ms, mw;
    struct bmerge_sink sink;
    struct store *s;
    size_t n, got[8], k;
    struct diag d;
    struct buf b;

    T_TRUE(mkdtemp(dir) != NULL);
    cap = fs_join(dir, "a.pcap");
    sdir = fs_join(dir, "store");
    write_capture(cap, 1, ties, sizeof ties / sizeof ties[0]);
    s = ingest(sdir, &cap, 1);
    T_EQ(store_streams(s, 0, &v, &n, &d), 0);
    T_EQ(n, 2);
    sel[0] = &v[0];
    sel[1] = &v[1];
    buf_init(&b, 1 << 20);
    sink = (struct bmerge_sink){ mem_write, &b };
    T_EQ(bmerge_run(s, 0, sel, 2, &mo, NULL, &ms, &d), 0);
    T_EQ(bmerge_run(s, 0, sel, 2, &mo, &sink, &mw, &d), 0);
    T_EQ(ms.out_bytes, b.len);
    T_EQ(mw.out_bytes, b.len);
    T_EQ(ms.packets, 5);
    T_EQ(mw.packets, 5);
    T_EQ(mw.bytes, ms.bytes);
    /* 1 s: stream 1 then 2; 2 s; 3 s: stream 1's (5) before stream 2's (60000) */
    k = plens(&b, got, 8);
    T_EQ(k, 5);
    T_EQ(got[0], 1);
    T_EQ(got[1], 2);
    T_EQ(got[2], 4);
    T_EQ(got[3], 5);
    T_EQ(got[4], 60000);
    T_EQ(mw.first_ns, 1 * SEC);
    T_EQ(mw.last_ns, 3 * SEC);
    T_EQ(ld_le32(b.data), PCAPW_MAGIC_US);

    /* --cut to [2 s, 2.5 s]: the one packet inside, measured as written */
    mo = (struct bmerge_opts){ true, 2 * SEC, 2 * SEC + SEC / 2 };
    buf_reset(&b);
    T_EQ(bmerge_run(s, 0, sel, 2, &mo, NULL, &ms, &d), 0);
    T_EQ(bmerge_run(s, 0, sel, 2, &mo, &sink, &mw, &d), 0);
    T_EQ(ms.out_bytes, b.len);
    T_EQ(mw.packets, 1);
    T_EQ(plens(&b, got, 8), 1);
    T_EQ(got[0], 4);

    buf_release(&b);
    store_close(s);
    fs_rmtree(dir, &d);
    free(cap);
    free(sdir);
}

TEST(merge_mixed_link_types_gives_pcapng)
{
    static const struct pk raw[] = { { 2 * SEC, 7, 7000, 9 } };
    static const struct pk eth[] = { { 1 * SEC, 1, 1000, 1 }, { 3 * SEC, 1, 1000, 2 } };
    char dir[] = "/tmp/svbundleXXXXXX", *caps[2], *sdir;
    const struct store_stream *v, *sel[2];
    struct bmerge_opts mo = { false, 0, 0 };
    struct bmerge_stats ms, mw;
    struct bmerge_sink sink;
    uint32_t types[8], ntypes = 0;
    struct store *s;
    struct diag d;
    struct buf b;
    size_t n, off, epbs = 0;

    T_TRUE(mkdtemp(dir) != NULL);
    caps[0] = fs_join(dir, "eth.pcap");
    caps[1] = fs_join(dir, "raw.pcap");
    sdir = fs_join(dir, "store");
    write_capture(caps[0], 1, eth, 2);
    write_capture(caps[1], 101, raw, 1);
    s = ingest(sdir, caps, 2);
    T_EQ(store_streams(s, 0, &v, &n, &d), 0);
    T_EQ(n, 2);
    sel[0] = &v[0];
    sel[1] = &v[1];
    buf_init(&b, 1 << 20);
    sink = (struct bmerge_sink){ mem_write, &b };
    T_EQ(bmerge_run(s, 0, sel, 2, &mo, NULL, &ms, &d), 0);
    T_EQ(bmerge_run(s, 0, sel, 2, &mo, &sink, &mw, &d), 0);
    T_EQ(ms.out_bytes, b.len);
    T_EQ(mw.packets, 3);
    /* SHB, IDB(Ethernet), EPB, IDB(raw), EPB, EPB: each IDB before its first packet */
    T_EQ(ld_le32(b.data), 0x0a0d0d0au);
    for (off = PCAPW_SHB_LEN; off + 8 <= b.len; off += ld_le32(b.data + off + 4)) {
        uint32_t type = ld_le32(b.data + off);

        if (type == 1 && ntypes < 8)
            types[ntypes++] = ld_le16(b.data + off + 8);
        if (type == 6) {
            T_TRUE(ld_le32(b.data + off + 8) < ntypes);
            epbs++;
        }
    }
    T_EQ(off, b.len);
    T_EQ(epbs, 3);
    T_EQ(ntypes, 2);
    T_EQ(types[0], 1);
    T_EQ(types[1], 101);
    buf_release(&b);
    store_close(s);
    fs_rmtree(dir, &d);
    free(caps[0]);
    free(caps[1]);
    free(sdir);
}

T_MAIN(T_CASE(node_dir_names), T_CASE(merge_time_order_ties_by_stream_id),
       T_CASE(merge_mixed_link_types_gives_pcapng))
