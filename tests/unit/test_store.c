/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: unit tests of lib/store: PCAP/pcapng serialisation, the catalogue,
 * names, ingest of several nodes
 */
#include "config.h"

#include "t.h"

#include <unistd.h>

#include "base/buf.h"
#include "base/cur.h"
#include "base/diag.h"
#include "base/fsutil.h"
#include "base/region.h"
#include "base/xalloc.h"
#include "store/cbuf.h"
#include "store/pcapw.h"
#include "store/store_int.h"

TEST(pcap_header_bytes)
{
    static const uint8_t want_us[24] = { 0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0,
                                         0,    0,    0,    0,    0xff, 0xff, 0, 0, 1, 0, 0, 0 };
    uint8_t h[24];

    pcapw_file_header(h, 1, 65535, 6);
    T_MEMEQ(h, want_us, 24);
    pcapw_file_header(h, 276, 262144, 9);
    T_EQ(ld_le32(h), 0xa1b23c4d);
    T_EQ(ld_le32(h + 20), 276);
}

TEST(record_precision_and_conversion)
{
    struct buf b;
    static const uint8_t data[5] = { 1, 2, 3, 4, 5 };

    buf_init(&b, 1 << 20);
    T_EQ(pcapw_record(&b, 1678818739123456000ull, 5, 60, data, 6), 0);
    T_EQ(b.len, 21);
    T_EQ(ld_le32(b.data), 1678818739u);
    T_EQ(ld_le32(b.data + 4), 123456u);
    T_EQ(ld_le32(b.data + 8), 5);
    T_EQ(ld_le32(b.data + 12), 60);
    T_MEMEQ(b.data + 16, data, 5);
    pcapw_records_us_to_ns(b.data, b.len);
    T_EQ(ld_le32(b.data + 4), 123456000u);
    buf_release(&b);
}

TEST(records_to_pcapng)
{
    struct buf b, ng;
    static const uint8_t data[6] = { 9, 8, 7, 6, 5, 4 };

    buf_init(&b, 1 << 20);
    buf_init(&ng, 1 << 20);
    T_EQ(pcapw_record(&b, 1000000123000ull, 6, 6, data, 6), 0);
    T_EQ(pcapw_record(&b, 2000000000000ull, 3, 6, data, 6), 0);
    T_EQ(pcapw_records_to_ng(b.data, b.len, 6, 0, &ng), 0);
    /* two EPBs: 32 + 8 (6 bytes padded) and 32 + 4 */
    T_EQ(ng.len, 40 + 36);
    T_EQ(ld_le32(ng.data), 6);
    T_EQ(ld_le32(ng.data + 4), 40);
    T_EQ(ld_le32(ng.data + 36), 40);
    /* µs units: 1000000123 µs */
    T_EQ(((uint64_t)ld_le32(ng.data + 12) << 32) | ld_le32(ng.data + 16), 1000000123ull);
    T_EQ(ld_le32(ng.data + 20), 6);
    T_MEMEQ(ng.data + 28, data, 6);
    T_EQ(ld_le32(ng.data + 40 + 20), 3);
    buf_release(&b);
    buf_release(&ng);
}

TEST(idb_resolution_option)
{
    struct buf b;

    buf_init(&b, 1 << 20);
    T_EQ(pcapw_ng_idb(&b, 113, 0, 9), 0);
    T_EQ(b.len, 32);
    T_EQ(ld_le16(b.data + 16), 9);     /* if_tsresol */
    T_EQ(b.data[20], 9);
    T_EQ(ld_le32(b.data + 28), 32);
    buf_reset(&b);
    T_EQ(pcapw_ng_idb(&b, 1, 65535, 6), 0);
    T_EQ(b.len, 20);
    buf_release(&b);
}

TEST(catalog_round_trip_and_corruption)
{
    struct store_stream v[3], *back = NULL, *blocks[1] = { v };
    size_t n = 0;
    struct diag d;
    char path[] = "/tmp/svcatXXXXXX";
    int fd = mkstemp(path);
    uint8_t *bytes;
    size_t len;

    close(fd);
    memset(v, 0, sizeof v);
    for (int i = 0; i < 3; i++) {
        v[i].id = (uint64_t)i + 1;
        v[i].proto = i == 1 ? 17 : 6;
        v[i].ipver = 4;
        v[i].packets = 10u * (uint64_t)i + 1;
        v[i].first_ns = 1000u + (uint64_t)i;
        v[i].pack = 0x30002;
        v[i].cli[0] = 10;
        v[i].srv_port = 443;
    }
    diag_clear(&d);
    T_EQ(store_catalog_write(path, blocks, 3, &d), 0);
    T_EQ(store_catalog_read(path, &back, &n, &d), 0);
    T_EQ(n, 3);
    if (back && n == 3)
        T_MEMEQ(back, v, sizeof v);
    free(back);
    /* flip one byte of a record: the checksum catches it */
    T_EQ(fs_read_file(path, 1 << 20, &bytes, &len, &d), 0);
    bytes[STORE_CAT_HDR_LEN + 130] ^= 1;
    T_EQ(fs_write_file_atomic(path, bytes, len, &d), 0);
    T_EQ(store_catalog_read(path, &back, &n, &d), SV_EFORMAT);
    T_TRUE(strstr(d.msg, "checksum mismatch") != NULL);
    /* cut the file: the count no longer matches */
    T_EQ(fs_write_file_atomic(path, bytes, len - 1, &d), 0);
    T_EQ(store_catalog_read(path, &back, &n, &d), SV_EFORMAT);
    T_TRUE(strstr(d.msg, "records declared") != NULL);
    free(bytes);
    unlink(path);
}

TEST(node_names)
{
    T_TRUE(store_valid_node_name("worker-1.eu_west"));
    T_TRUE(!store_valid_node_name(""));
    T_TRUE(!store_valid_node_name(".."));
    T_TRUE(!store_valid_node_name("a/b"));
    T_TRUE(!store_valid_node_name("a b"));
}

/*
 * store_ingest_nodes: two nodes in one store (labelled inputs named as
 * labelled), each the same as alone; a repeated name or no node at all is
 * refused before anything is written.
 */
TEST(ingest_nodes)
{
    const char *top = getenv("top_srcdir");
    char tmp[] = "/tmp/svnodesXXXXXX", *cap, *dir, *lab;
    struct store_ingest_opts o;
    struct store_ingest_result res[2];
    struct store_node_input nodes[2];
    struct store *st = NULL;
    struct diag d;
    char *in[1], *labels[1];

    if (!top || !mkdtemp(tmp)) {
        printf("# top_srcdir not set: skipped\n");
        return;
    }
    cap = fs_printf("%s/testdata/ws_dns.cap", top);
    dir = fs_printf("%s/s", tmp);
    lab = xstrdup("b.tar.gz:b_10.0.0.2/1.pcap");
    in[0] = cap;
    labels[0] = lab;
    store_ingest_opts_init(&o);
    o.store_dir = dir;
    o.threads = 1;
    memset(nodes, 0, sizeof nodes);
    nodes[0] = (struct store_node_input){ "a", "10.0.0.1", in, 1, NULL, NULL };
    nodes[1] = (struct store_node_input){ "b", NULL, in, 1, labels, NULL };
    diag_clear(&d);
    T_EQ(store_ingest_nodes(&o, nodes, 2, res, &d), 0);
    T_STREQ(res[0].node_name, "a");
    T_STREQ(res[0].node_ip, "10.0.0.1");
    T_TRUE(res[1].node_ip == NULL);
    T_EQ(res[0].read.packets, 38);
    T_EQ(res[1].read.packets, 38);
    T_EQ(res[0].nstreams, res[1].nstreams);
    T_STREQ(res[0].inputs[0].path, cap);
    T_STREQ(res[1].inputs[0].path, lab);
    T_STREQ(res[1].inputs[0].file, cap);
    store_ingest_result_release(&res[0]);
    store_ingest_result_release(&res[1]);
    T_EQ(store_open(&st, dir, &d), 0);
    if (st) {
        T_EQ(store_nnodes(st), 2);
        T_STREQ(store_node(st, 0)->name, "a");
        T_STREQ(store_node(st, 0)->ip, "10.0.0.1");
        T_STREQ(store_node(st, 1)->name, "b");
        T_STREQ(store_node(st, 1)->ip, "");
        T_TRUE(strstr(store_json_text(st), "\"path\": \"b.tar.gz:b_10.0.0.2/1.pcap\"") != NULL);
        store_close(st);
    }
    fs_rmtree(dir, &d);
    nodes[1].name = "a";
    T_EQ(store_ingest_nodes(&o, nodes, 2, res, &d), SV_EINVAL);
    T_STREQ(d.msg, "node name 'a': given twice");
    T_TRUE(access(dir, F_OK) != 0);
    /* no node at all: an empty store (a bundle of a quiet window) */
    T_EQ(store_ingest_nodes(&o, nodes, 0, res, &d), 0);
    T_EQ(store_open(&st, dir, &d), 0);
    if (st) {
        T_EQ(store_nnodes(st), 0);
        /* another store swapped in (ingest --force, names import) is told from this one */
        T_TRUE(!store_replaced(st));
        o.replace = true;
        T_EQ(store_ingest_nodes(&o, nodes, 0, res, &d), 0);
        T_TRUE(store_replaced(st));
        store_close(st);
    }
    fs_rmtree(dir, &d);
    fs_rmtree(tmp, &d);
    free(lab);
    free(dir);
    free(cap);
}

/*
 * Stream buffers: a buffer grows by chunks of about half what it holds, its
 * bytes come back in order through cbuf_iov (which refuses an iovec array
 * too small for them, whole), and a block whose chunks are all cleared
 * goes back to the region, to be taken again before a new one is cut.
 */
TEST(cbuf_chunks_and_pool)
{
    struct region r;
    struct cpool p;
    struct cbuf a, b;
    struct iovec iov[64];
    struct buf out;
    uint8_t src[70000];
    uint64_t handed;
    int n;

    for (size_t i = 0; i < sizeof src; i++)
        src[i] = (uint8_t)(i * 7 + i / 251);
    region_init(&r);
    cpool_init(&p, &r);
    cbuf_init(&a);
    cbuf_init(&b);
    T_EQ(cbuf_iov(&a, iov, 0), 0);
    /* 100 packets of 300 bytes: the chunks grow, fewer than one per packet */
    for (size_t i = 0; i < 100; i++) {
        uint8_t *d = cbuf_reserve(&a, &p, 300);

        T_TRUE(d != NULL);
        memcpy(d, src + i * 300, 300);
        cbuf_commit(&a, 300);
    }
    T_EQ(a.len, 30000);
    T_TRUE(a.cap >= a.len);
    n = cbuf_iov(&a, iov, 64);
    T_TRUE(n > 1 && n < 20);
    T_EQ(cbuf_iov(&a, iov, n - 1), -1);
    T_EQ(cbuf_iov(&a, iov, n), n);
    buf_init(&out, 1 << 20);
    for (int i = 0; i < n; i++)
        T_EQ(buf_append(&out, iov[i].iov_base, iov[i].iov_len), 0);
    T_EQ(out.len, 30000);
    T_MEMEQ(out.data, src, 30000);
    /* a reserved chunk left empty is not an iovec */
    T_TRUE(cbuf_reserve(&a, &p, 40000) != NULL);
    T_EQ(cbuf_iov(&a, iov, n), n);
    /* splice: b's bytes after a's; copy_out sees them all */
    T_EQ(cbuf_assign(&b, &p, src + 30000, 40000), 0);
    T_EQ(b.len, 40000);
    cbuf_splice(&a, &b);
    T_TRUE(b.head == NULL && b.len == 0);
    out.len = 0;
    T_EQ(cbuf_copy_out(&a, &out), 0);
    T_EQ(out.len, 70000);
    T_MEMEQ(out.data, src, 70000);
    /* every chunk free again: every block went back to the region, whose
     * blocks the same bytes again take without cutting new ones */
    cbuf_clear(&a, &p);
    T_TRUE(a.head == NULL && a.len == 0 && a.cap == 0);
    T_EQ(p.allocated, 0);
    T_EQ(p.held, 0);
    handed = r.bytes;
    T_EQ(cbuf_assign(&a, &p, src, 70000), 0);
    T_EQ(r.bytes, handed);
    out.len = 0;
    T_EQ(cbuf_copy_out(&a, &out), 0);
    T_MEMEQ(out.data, src, 70000);
    cbuf_clear(&a, &p);
    T_EQ(p.allocated, 0);
    buf_release(&out);
    cpool_release(&p);
    region_release(&r);
}

T_MAIN(T_CASE(pcap_header_bytes), T_CASE(record_precision_and_conversion),
       T_CASE(records_to_pcapng), T_CASE(idb_resolution_option),
       T_CASE(catalog_round_trip_and_corruption), T_CASE(node_names), T_CASE(ingest_nodes),
       T_CASE(cbuf_chunks_and_pool))
