/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: capture reader tests: real captures against tshark/libpcap, crafted
 * pcap/pcapng features and faults, compressed and piped input, big batches.
 *
 * Expected packet counts are tshark's (testdata/real.tsv); the byte totals
 * and FNV-1a hashes of all packet bytes were computed with libpcap
 * (pcap_next_ex), and for ppp_many_interfaces-1.pcapng (which libpcap
 * refuses: mixed link types) from tshark -T json -x. Timestamps are
 * tshark's frame.time_epoch.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/diag.h"
#include "base/limits.h"
#include "base/timefmt.h"
#include "capture/capture.h"
#include "compress/compress.h"
#include "t.h"

/* ---------------------------------------------------------------- helpers */

#define FNV_INIT 1469598103934665603ull
#define FNV_PRIME 1099511628211ull

/* One packet as seen by a test (the data are hashed, not kept). */
struct tpkt {
    uint64_t ts_ns, offset, hash;
    uint32_t caplen, origlen, iface;
    uint8_t first;
};

struct tread {
    struct tpkt *v;
    size_t n, cap;
    uint64_t bytes, hash;       /* over all packets, as /tmp's libpcap cross-check */
    int err;                    /* 0, or the error that ended the read */
    char msg[512];
    size_t n_before_err;        /* packets returned before the error */
    uint64_t off_end;           /* cap_offset() at the end */
    size_t batches;
};

static void tread_free(struct tread *t)
{
    free(t->v);
    memset(t, 0, sizeof *t);
}

/* Reads r to its end in batches of max; checks the sticky-error contract on the way. */
static void read_all(struct cap_reader *r, size_t max, struct tread *t)
{
    struct cap_pkt *pk = calloc(max, sizeof *pk);
    struct diag d;
    ssize_t got;

    memset(t, 0, sizeof *t);
    t->hash = FNV_INIT;
    diag_clear(&d);
    for (;;) {
        got = cap_next_batch(r, pk, max, &d);
        if (got <= 0)
            break;
        t->batches++;
        T_TRUE((size_t)got <= max);
        /* every packet of the batch is still intact when the batch is done */
        for (ssize_t i = 0; i < got; i++) {
            struct tpkt *p;
            uint64_t h = FNV_INIT;

            if (t->n == t->cap) {
                t->cap = t->cap ? t->cap * 2 : 256;
                t->v = realloc(t->v, t->cap * sizeof *t->v);
                if (!t->v)
                    abort();
            }
            p = &t->v[t->n++];
            for (uint32_t j = 0; j < pk[i].caplen; j++) {
                t->hash = (t->hash ^ pk[i].data[j]) * FNV_PRIME;
                h = (h ^ pk[i].data[j]) * FNV_PRIME;
            }
            t->hash = (t->hash ^ pk[i].caplen) * FNV_PRIME;
            t->bytes += pk[i].caplen;
            p->ts_ns = pk[i].ts_ns;
            p->offset = pk[i].offset;
            p->hash = h;
            p->caplen = pk[i].caplen;
            p->origlen = pk[i].origlen;
            p->iface = pk[i].iface;
            p->first = pk[i].caplen ? pk[i].data[0] : 0;
            T_TRUE(cap_iface(r, pk[i].iface) != NULL);
        }
    }
    t->off_end = cap_offset(r);
    t->n_before_err = t->n;
    if (got < 0) {
        struct diag d2;

        t->err = (int)got;
        snprintf(t->msg, sizeof t->msg, "%s", d.msg);
        T_EQ(d.code, got);
        /* sticky: the same error again */
        diag_clear(&d2);
        T_EQ(cap_next_batch(r, pk, max, &d2), got);
        T_STREQ(d2.msg, d.msg);
    } else {
        T_EQ(cap_next_batch(r, pk, max, &d), 0);    /* clean end stays clean */
    }
    free(pk);
}

static char *tpath(const char *name)
{
    static char buf[4096];

    snprintf(buf, sizeof buf, "%s/testdata/%s", t_srcdir(), name);
    return buf;
}

static uint8_t *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    uint8_t *p = NULL;
    size_t cap = 0;

    *n = 0;
    if (!f)
        return NULL;
    for (;;) {
        size_t got;

        if (*n == cap) {
            cap = cap ? cap * 2 : 65536;
            p = realloc(p, cap);
            if (!p)
                abort();
        }
        got = fread(p + *n, 1, cap - *n, f);
        if (got == 0)
            break;
        *n += got;
    }
    fclose(f);
    return p;
}

static uint64_t file_size(const char *path)
{
    struct stat st;

    return stat(path, &st) == 0 ? (uint64_t)st.st_size : 0;
}

/* Opens path and reads it whole; returns the open result. */
static int read_path(const char *path, size_t max, struct tread *t, struct diag *d)
{
    struct cap_reader *r;
    int rc;

    memset(t, 0, sizeof *t);
    diag_clear(d);
    rc = cap_open(&r, path, d);
    if (rc < 0)
        return rc;
    read_all(r, max, t);
    cap_close(r);
    return 0;
}

static int read_mem(const void *p, size_t n, size_t max, struct tread *t, struct diag *d)
{
    struct cap_reader *r;
    int rc;

    memset(t, 0, sizeof *t);
    diag_clear(d);
    rc = cap_open_mem(&r, p, n, "mem", d);
    if (rc < 0)
        return rc;
    read_all(r, max, t);
    cap_close(r);
    return 0;
}

/* A growable byte string for crafting captures. */
struct bld {
    uint8_t *p;
    size_t n, cap;
    bool be;
};

static void b_put(struct bld *b, const void *p, size_t n)
{
    if (b->n + n > b->cap) {
        while (b->n + n > b->cap)
            b->cap = b->cap ? b->cap * 2 : 1024;
        b->p = realloc(b->p, b->cap);
        if (!b->p)
            abort();
    }
    if (n)
        memcpy(b->p + b->n, p, n);
    b->n += n;
}

static void b_u8(struct bld *b, uint8_t v)
{
    b_put(b, &v, 1);
}

static void b_u16(struct bld *b, uint16_t v)
{
    uint8_t x[2];

    x[b->be ? 1 : 0] = (uint8_t)v;
    x[b->be ? 0 : 1] = (uint8_t)(v >> 8);
    b_put(b, x, 2);
}

static void b_u32(struct bld *b, uint32_t v)
{
    b_u16(b, (uint16_t)(b->be ? v >> 16 : v));
    b_u16(b, (uint16_t)(b->be ? v : v >> 16));
}

static void b_u64(struct bld *b, uint64_t v)
{
    b_u32(b, (uint32_t)(b->be ? v >> 32 : v));
    b_u32(b, (uint32_t)(b->be ? v : v >> 32));
}

static void b_pad4(struct bld *b)
{
    while (b->n % 4)
        b_u8(b, 0);
}

/* Packet i's bytes: (i * 7 + j) & 0xff. */
static void b_data(struct bld *b, uint32_t i, uint32_t n)
{
    for (uint32_t j = 0; j < n; j++)
        b_u8(b, (uint8_t)(i * 7 + j));
}

static bool data_ok(const uint8_t *p, uint32_t i, uint32_t n)
{
    for (uint32_t j = 0; j < n; j++)
        if (p[j] != (uint8_t)(i * 7 + j))
            return false;
    return true;
}

static void pcap_hdr(struct bld *b, uint32_t magic, uint16_t minor, uint32_t snap, uint32_t lt)
{
    b_u32(b, magic);
    b_u16(b, 2);
    b_u16(b, minor);
    b_u32(b, 0);
    b_u32(b, 0);
    b_u32(b, snap);
    b_u32(b, lt);
}

static void pcap_rec(struct bld *b, uint32_t sec, uint32_t frac, uint32_t i, uint32_t caplen,
                     uint32_t origlen)
{
    b_u32(b, sec);
    b_u32(b, frac);
    b_u32(b, caplen);
    b_u32(b, origlen);
    b_data(b, i, caplen);
}

static size_t ng_begin(struct bld *b, uint32_t type)
{
    size_t at = b->n;

    b_u32(b, type);
    b_u32(b, 0);
    return at;
}

static void ng_end(struct bld *b, size_t at)
{
    uint32_t len;
    struct bld patch = { 0 };

    b_pad4(b);
    len = (uint32_t)(b->n - at + 4);
    b_u32(b, len);
    patch.be = b->be;
    b_u32(&patch, len);
    memcpy(b->p + at + 4, patch.p, 4);
    free(patch.p);
}

static void ng_shb(struct bld *b, bool be)
{
    size_t at;

    b->be = be;
    at = ng_begin(b, 0x0a0d0d0a);
    b_u32(b, 0x1a2b3c4d);
    b_u16(b, 1);
    b_u16(b, 0);
    b_u64(b, UINT64_MAX);
    ng_end(b, at);
}

static void ng_opt(struct bld *b, uint16_t code, const void *v, uint16_t n)
{
    b_u16(b, code);
    b_u16(b, n);
    b_put(b, v, n);
    b_pad4(b);
}

/* IDB; tsresol < 0: none; tsoffset written when has_off. */
static void ng_idb(struct bld *b, uint16_t lt, uint32_t snap, int tsresol, bool has_off,
                   int64_t tsoff)
{
    size_t at = ng_begin(b, 1);

    b_u16(b, lt);
    b_u16(b, 0);
    b_u32(b, snap);
    ng_opt(b, 2, "eth0", 4);
    if (tsresol >= 0) {
        uint8_t v = (uint8_t)tsresol;

        ng_opt(b, 9, &v, 1);
    }
    if (has_off) {
        b_u16(b, 14);
        b_u16(b, 8);
        b_u64(b, (uint64_t)tsoff);
    }
    b_u32(b, 0);    /* opt_endofopt */
    ng_end(b, at);
}

static void ng_epb(struct bld *b, uint32_t ifc, uint64_t ts, uint32_t i, uint32_t caplen,
                   uint32_t origlen)
{
    size_t at = ng_begin(b, 6);

    b_u32(b, ifc);
    b_u32(b, (uint32_t)(ts >> 32));
    b_u32(b, (uint32_t)ts);
    b_u32(b, caplen);
    b_u32(b, origlen);
    b_data(b, i, caplen);
    ng_end(b, at);
}

static void ng_raw_block(struct bld *b, uint32_t type, uint32_t body_len)
{
    size_t at = ng_begin(b, type);

    for (uint32_t j = 0; j < body_len; j++)
        b_u8(b, (uint8_t)j);
    ng_end(b, at);
}

/* A name resolution block: one IPv4 record ("x"), the end record. */
static void ng_nrb(struct bld *b)
{
    size_t at = ng_begin(b, 4);

    b_u16(b, 1);
    b_u16(b, 6);
    b_data(b, 9, 4);
    b_u8(b, 'x');
    b_u8(b, 0);
    b_u16(b, 0);        /* padding */
    b_u16(b, 0);
    b_u16(b, 0);
    ng_end(b, at);
}

/* A decryption secrets block with n bytes of secrets (padded). */
static void ng_dsb(struct bld *b, uint32_t n)
{
    size_t at = ng_begin(b, 10);

    b_u32(b, 0x544c534bu);
    b_u32(b, n);
    b_data(b, 5, (n + 3) & ~3u);
    ng_end(b, at);
}

/* ---------------------------------------------------------------- real captures */

struct real {
    const char *name;
    size_t packets;             /* tshark */
    uint64_t bytes, hash;       /* libpcap */
    int err;                    /* read error after the packets (tshark_read_error) */
};

static const struct real reals[] = {
    { "cs_ipv6_fragments.pcapng", 22, 16484, 0x84a255bf265b1826ull, 0 },
    { "cs_tcp_retransmissions.pcapng", 6, 4236, 0xee3c158c3a2eaa19ull, 0 },
    { "ndpi_443-curl.pcap", 109, 73982, 0xe4e1af12441b0d54ull, 0 },
    { "ndpi_amqp.pcap", 160, 23514, 0x9be5863d0d82df78ull, 0 },
    { "ndpi_android.pcap", 500, 133530, 0x00e332095026aff4ull, 0 },
    { "ndpi_badpackets.pcap", 93, 49460, 0xb088df2c6818210dull, 0 },
    { "ndpi_http_auth.pcap", 33, 20574, 0x5e31afea5c9e93efull, 0 },
    { "ndpi_kafka.pcapng", 41, 7067, 0x6027bb58729af701ull, 0 },
    { "ndpi_mysql.pcapng", 41, 7009, 0xc11e2f03d9977b7cull, 0 },
    { "ndpi_pgsql.pcap", 88, 8913, 0x01380aa177080c8eull, 0 },
    { "ndpi_sites.pcapng", 699, 374435, 0x45f989c1d13a9745ull, 0 },
    { "packt_grpc_bidi_streaming.pcapng", 56, 4962, 0x1400d712d1641d26ull, 0 },
    { "packt_grpc_unary_auth.pcapng", 4318, 298909, 0x98c1f74d5a1f24eaull, 0 },
    { "ppp_four_ipv6_http_streams_rawip.pcap", 81, 40670, 0xf29b6a6ba7edc9f7ull, 0 },
    { "ppp_frag_http_req.pcap", 11, 1854, 0xfe5eb583adbdf58eull, 0 },
    { "ppp_http-packets2.pcap", 222, 79505, 0xabc4270c331473f4ull, 0 },
    { "ppp_linktype_ipv4.pcap", 2, 210, 0x633f10a506f4d127ull, 0 },
    { "ppp_linktype_ipv6.pcap", 1, 80, 0x4978ecb06ec61eb3ull, 0 },
    { "ppp_many_interfaces-1.pcapng", 64, 15954, 0x85dc47916a07194cull, 0 },
    { "ppp_raw_ip.pcap", 100, 31018, 0x78b55796701ded64ull, 0 },
    { "ppp_sll.pcap", 518, 451558, 0x7d74fa237ad79196ull, 0 },
    { "ppp_sll2.pcap", 3, 211, 0xc8b9bbac14d7a05dull, 0 },
    { "ppp_tls.pcap", 44, 12207, 0x1c87aa23d1bd6f3cull, 0 },
    { "sv_dns-tcp-multirequest-buffer.pcap", 48, 5484, 0xaf0ecf2ae61afc8cull, 0 },
    { "sv_http2-continuation.pcap", 30, 2084, 0xb887ce9730ffd008ull, 0 },
    { "sv_http2-range.pcap", 116, 8895, 0xd8aaa4b44956fb7full, 0 },
    { "sv_tls_DER-incomplete-header.pcap", 6, 4915, 0xfc08b679a6a386fbull, SV_EFORMAT },
    { "tcpdump_dns_tcp.pcap", 11, 922, 0xf01dca858532df8dull, 0 },
    { "tcpdump_empty.pcapng", 0, 0, 0x14650fb0739d0383ull, 0 },
    { "tcpdump_pptp_bigendian.pcap", 23, 2072, 0x51fa1ec042714638ull, 0 },
    { "tcpdump_resp_1_benchmark.pcap", 150, 24434, 0x772e5b4c305c2e11ull, 0 },
    { "tcpdump_tcp-handshake-nano.pcap", 3, 220, 0x49b5444c5e4a4d63ull, 0 },
    { "tcpflow_bug2.pcap", 53, 73134, 0xf5063b9431378bcbull, 0 },
    { "tcpflow_test5-lines-randomized.pcapng", 11, 2646, 0x97e4904f88aaca80ull, 0 },
    { "ws_dhcp_big_endian.pcapng", 4, 1312, 0x97b6a87971052cfcull, 0 },
    { "ws_dns.cap", 38, 3706, 0x35f8e0b20be43b15ull, 0 },
    { "ws_grpc_person_search.pcapng", 21, 1476, 0x68aa17a35bb6c272ull, 0 },
    { "ws_http-chunked-gzip.pcap", 28, 29045, 0x375bbc078a9df802ull, 0 },
    { "ws_http2-h2c-upgrade.pcap", 10, 1433, 0xa4b26f5b35f77fdcull, 0 },
    { "ws_ipv4frags.pcap", 3, 2918, 0x8815b242f11ed2eaull, 0 },
    { "ws_mongodb.pcap", 1906, 290011, 0xd6baaf724f42604bull, 0 },
    { "ws_ssl.dump.pcap", 14, 2549, 0x5f6a92e59f1e27c7ull, SV_ETRUNC },
    { "ws_v6-http.cap", 55, 8255, 0xd36bdc0ddc05484cull, 0 },
    { "zeek_http-qinq-0.pcap", 14, 6199, 0x4e516d434c7504ccull, 0 },
    { "zeek_http-vlan-0.pcap", 14, 6143, 0xa6105b3bba7a7ac4ull, 0 },
    { "zeek_http_100-continue.pcap", 66, 66942, 0x0f3583cc2bcef0fcull, 0 },
    { "zeek_http_docker-http-upgrade.pcap", 200, 17997, 0x626593514b6ab0f0ull, 0 },
    { "zeek_http_get-to-ssh-server_nsec.pcap", 9, 1230, 0x9d1bfe5812466e4bull, 0 },
    { "zeek_http_methods.pcap", 655, 228325, 0xf4a3b18a29ef6479ull, 0 },
    { "zeek_http_pipelined-requests.pcap", 49, 45144, 0xf9f24c565a14aff4ull, 0 },
    { "zeek_icmp6-ping.pcap", 8, 752, 0x85ed779363018283ull, 0 },
    { "zeek_icmp_5-pings.pcap", 10, 980, 0xed50a77ab20fa7a0ull, 0 },
    { "zeek_icmp_dot1q.pcap", 15, 1446, 0xd9bb8149d7a3ae44ull, 0 },
    { "zeek_ipv6-fragmented-dns.pcap", 8, 4620, 0xae9cc8dba5968d09ull, 0 },
    { "zeek_linux_dlt_sll2.pcap", 6, 552, 0x100578898fc8292bull, 0 },
    { "zeek_mysql.pcap", 57, 5631, 0x8e3d98fef701e080ull, 0 },
    { "zeek_pcapng-multi-interface.pcapng", 6, 798, 0x9a15395026f324f7ull, 0 },
    { "zeek_psql-create-insert-select-delete-drop.pcap", 29, 3471, 0x8a51580e5025146bull, 0 },
    { "zeek_redis_pipelining-example.pcap", 12, 975, 0xfef38393b102df8aull, 0 },
    { "zeek_redis_pubsub.pcap", 60, 3866, 0xa263939d2087c835ull, 0 },
    { "zeek_tcp_truncated-header.pcap", 24, 1314, 0xe56c60517b3fb676ull, 0 },
    { "zeek_tls13-ech.pcap", 69, 15318, 0x68e516486a1878b1ull, 0 },
};

TEST(real_captures_match_tshark_and_libpcap)
{
    static const size_t maxes[] = { 1, 7, 4096 };

    for (size_t i = 0; i < sizeof reals / sizeof reals[0]; i++) {
        const struct real *x = &reals[i];

        for (size_t m = 0; m < sizeof maxes / sizeof maxes[0]; m++) {
            int before = t_failed_checks;
            struct tread t;
            struct diag d;

            T_EQ(read_path(tpath(x->name), maxes[m], &t, &d), 0);
            T_EQ(t.n, x->packets);
            T_EQ(t.bytes, x->bytes);
            T_EQ(t.hash, x->hash);
            T_EQ(t.err, x->err);
            if (!x->err)
                T_EQ(t.off_end, file_size(tpath(x->name)));
            if (t_failed_checks != before)
                printf("# ... in %s (batches of %zu): %s\n", x->name, maxes[m], t.msg);
            tread_free(&t);
        }
    }
}

TEST(damaged_truncated_mid_packet)
{
    const char *path = tpath("ws_ssl.dump.pcap");
    char want[4200];
    struct cap_reader *r;
    struct cap_pkt pk[100];
    struct diag d;

    diag_clear(&d);
    T_EQ(cap_open(&r, path, &d), 0);
    T_EQ(cap_next_batch(r, pk, 100, &d), 14);          /* the good packets first */
    T_EQ(pk[13].offset + 16 + pk[13].caplen, 2797);    /* ... and they stay valid */
    T_EQ(cap_offset(r), 2797);
    T_EQ(cap_next_batch(r, pk, 100, &d), SV_ETRUNC);  /* the fault on the next call */
    snprintf(want, sizeof want,
             "%s: offset 2797: packet record truncated (caplen 668, only 67 bytes left)", path);
    T_STREQ(d.msg, want);
    T_EQ(cap_next_batch(r, pk, 100, &d), SV_ETRUNC);
    T_EQ(cap_offset(r), 2797);
    cap_close(r);
}

TEST(damaged_oversized_packet)
{
    const char *path = tpath("sv_tls_DER-incomplete-header.pcap");
    char want[4200];
    struct tread t;
    struct diag d;

    T_EQ(read_path(path, 4, &t, &d), 0);
    T_EQ(t.n, 6);
    T_EQ(t.err, SV_EFORMAT);
    snprintf(want, sizeof want,
             "%s: offset 5035: packet of 4325376 bytes, bigger than the maximum of 262144", path);
    T_STREQ(t.msg, want);
    T_EQ(t.off_end, 5035);
    tread_free(&t);
}

struct ts_case {
    const char *name;
    size_t idx;
    uint64_t ts_ns;             /* tshark frame.time_epoch */
    uint32_t iface;
};

TEST(timestamps_equal_tshark)
{
    static const struct ts_case cases[] = {
        { "tcpdump_tcp-handshake-nano.pcap", 0, 1418145369924505488ull, 0 },
        { "tcpdump_tcp-handshake-nano.pcap", 1, 1418145370052027262ull, 0 },
        { "tcpdump_tcp-handshake-nano.pcap", 2, 1418145370052115157ull, 0 },
        { "tcpdump_pptp_bigendian.pcap", 0, 954147395148077000ull, 0 },
        { "tcpdump_pptp_bigendian.pcap", 1, 954147395148207000ull, 0 },
        { "tcpdump_pptp_bigendian.pcap", 22, 954147396347775000ull, 0 },
        { "zeek_pcapng-multi-interface.pcapng", 0, 1767663089500330493ull, 0 },
        { "zeek_pcapng-multi-interface.pcapng", 1, 1767663089514291940ull, 0 },
        { "zeek_pcapng-multi-interface.pcapng", 2, 1767663437111897000ull, 1 },
        { "zeek_pcapng-multi-interface.pcapng", 3, 1767663437126460000ull, 1 },
        { "zeek_pcapng-multi-interface.pcapng", 4, 1767663437128303000ull, 1 },
        { "zeek_pcapng-multi-interface.pcapng", 5, 1767663437140942000ull, 1 },
        { "ndpi_kafka.pcapng", 0, 1681844706292198000ull, 0 },
        { "ndpi_kafka.pcapng", 1, 1681844706319485000ull, 0 },
        { "ndpi_kafka.pcapng", 21, 1681883408373461000ull, 0 },
        { "ndpi_kafka.pcapng", 22, 1703132756328165530ull, 1 },
        { "ndpi_kafka.pcapng", 40, 1703132769960435569ull, 1 },
        { "ndpi_mysql.pcapng", 0, 1705960164821097620ull, 0 },
        { "ndpi_mysql.pcapng", 40, 1705961447627544665ull, 0 },
        { "ppp_many_interfaces-1.pcapng", 2, 1439753725701568000ull, 10 },
        { "ndpi_sites.pcapng", 0, 1595957694169758000ull, 8 },
        { "ndpi_sites.pcapng", 698, 1722540110397706326ull, 21 },
    };

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct ts_case *c = &cases[i];
        struct tread t;
        struct diag d;

        T_EQ(read_path(tpath(c->name), 64, &t, &d), 0);
        T_TRUE(c->idx < t.n);
        if (c->idx < t.n) {
            T_EQ(t.v[c->idx].ts_ns, c->ts_ns);
            T_EQ(t.v[c->idx].iface, c->iface);
        }
        tread_free(&t);
    }
}

TEST(precision_and_byte_order)
{
    struct cap_reader *r;
    struct diag d;
    struct tread t;

    diag_clear(&d);
    T_EQ(cap_open(&r, tpath("tcpdump_tcp-handshake-nano.pcap"), &d), 0);
    T_EQ(cap_format(r), CAP_FMT_PCAP);
    T_EQ(cap_compression(r), CAP_COMP_NONE);
    T_EQ(cap_niface(r), 1);
    T_EQ(cap_iface(r, 0)->tsprec, 9);
    T_TRUE(cap_iface(r, 1) == NULL);
    cap_close(r);

    T_EQ(cap_open(&r, tpath("tcpdump_pptp_bigendian.pcap"), &d), 0);
    T_EQ(cap_iface(r, 0)->tsprec, 6);
    T_EQ(cap_iface(r, 0)->linktype, 1);
    read_all(r, 5, &t);
    T_EQ(t.n, 23);
    T_EQ(t.v[0].offset, 24);
    T_EQ(t.v[0].caplen, 62);
    cap_close(r);
    tread_free(&t);

    /* Big-endian pcapng. Its timestamps (year 151991) do not fit 64-bit ns: saturated. */
    T_EQ(cap_open(&r, tpath("ws_dhcp_big_endian.pcapng"), &d), 0);
    T_EQ(cap_format(r), CAP_FMT_PCAPNG);
    T_EQ(cap_niface(r), 1);     /* known at open: the IDB precedes the first packet */
    T_EQ(cap_iface(r, 0)->linktype, 1);
    T_EQ(cap_iface(r, 0)->snaplen, 262144);
    read_all(r, 64, &t);
    T_EQ(t.n, 4);
    T_EQ(t.v[0].caplen, 314);
    T_EQ(t.v[0].offset, 0x54);
    T_TRUE(t.v[0].ts_ns == TIMEFMT_NS_MAX);     /* the year 151,990: saturated at 2262 */
    cap_close(r);
    tread_free(&t);
}

TEST(pcapng_many_interfaces)
{
    static const uint32_t lts[11] = { 1, 1, 1, 1, 0, 1, 1, 1, 12, 1, 0 };
    static const uint32_t sites_counts[22] = { 30, 1,  29, 226, 118, 25, 55, 8, 4,  16, 50,
                                               22, 20, 6,  6,   7,   6,  1,  6, 20, 22, 21 };
    static const uint8_t sites_res9[22] = { 1, 0, 1, 0, 1, 1, 1, 0, 0, 1, 0,
                                            0, 1, 0, 0, 0, 0, 1, 1, 1, 0, 1 };
    uint32_t counts[22] = { 0 };
    struct cap_reader *r;
    struct diag d;
    struct tread t;

    diag_clear(&d);
    T_EQ(cap_open(&r, tpath("ppp_many_interfaces-1.pcapng"), &d), 0);
    read_all(r, 10, &t);
    T_EQ(cap_niface(r), 11);
    for (uint32_t i = 0; i < 11; i++) {
        T_EQ(cap_iface(r, i)->linktype, lts[i]);
        T_EQ(cap_iface(r, i)->snaplen, 262144);
    }
    T_EQ(t.n, 64);
    for (size_t i = 0; i < t.n; i++)    /* tshark: 0,0,10,10, then 0 */
        T_EQ(t.v[i].iface, i == 2 || i == 3 ? 10 : 0);
    cap_close(r);
    tread_free(&t);

    T_EQ(cap_open(&r, tpath("ndpi_sites.pcapng"), &d), 0);
    read_all(r, 100, &t);
    T_EQ(cap_niface(r), 22);
    T_EQ(t.n, 699);
    for (size_t i = 0; i < t.n; i++)
        if (t.v[i].iface < 22)
            counts[t.v[i].iface]++;
    for (uint32_t i = 0; i < 22; i++) {
        T_EQ(counts[i], sites_counts[i]);
        T_EQ(cap_iface(r, i)->tsprec, sites_res9[i] ? 9 : 6);
    }
    cap_close(r);
    tread_free(&t);
}

/* Three files back to back: three sections (LE, BE, LE); interface indexes keep growing. */
TEST(pcapng_multi_section)
{
    static const char *const parts[3] = { "zeek_pcapng-multi-interface.pcapng",
                                          "ws_dhcp_big_endian.pcapng", "ndpi_kafka.pcapng" };
    struct tread one[3], all;
    struct bld b = { 0 };
    struct cap_reader *r;
    struct diag d;
    size_t k = 0;

    for (int i = 0; i < 3; i++) {
        size_t n;
        uint8_t *p = slurp(tpath(parts[i]), &n);

        T_TRUE(p != NULL);
        b_put(&b, p, n);
        free(p);
        T_EQ(read_path(tpath(parts[i]), 64, &one[i], &d), 0);
    }
    diag_clear(&d);
    T_EQ(cap_open_mem(&r, b.p, b.n, "multi", &d), 0);
    read_all(r, 9, &all);
    T_EQ(all.err, 0);
    T_EQ(cap_niface(r), 5);
    T_EQ(all.n, 6 + 4 + 41);
    T_EQ(all.off_end, b.n);
    for (int i = 0; i < 3; i++) {
        static const uint32_t base[3] = { 0, 2, 3 };

        for (size_t j = 0; j < one[i].n && k < all.n; j++, k++) {
            T_EQ(all.v[k].iface, base[i] + one[i].v[j].iface);
            T_EQ(all.v[k].ts_ns, one[i].v[j].ts_ns);
            T_EQ(all.v[k].hash, one[i].v[j].hash);
        }
        tread_free(&one[i]);
    }
    T_EQ(cap_iface(r, 4)->tsprec, 9);   /* kafka's second interface: if_tsresol 9 */
    T_EQ(cap_iface(r, 2)->tsprec, 6);
    cap_close(r);
    tread_free(&all);
    free(b.p);
}

/* ---------------------------------------------------------------- compressed and piped */

static bool have_tool(const char *tool)
{
    char cmd[256];

    snprintf(cmd, sizeof cmd, "command -v %s >/dev/null 2>&1", tool);
    return system(cmd) == 0;
}

/* Runs "<compressor> -c 'src' > 'dst'". */
static int compress_file(const char *compressor, const char *src, const char *dst)
{
    char cmd[9000];

    snprintf(cmd, sizeof cmd, "%s -c '%s' > '%s'", compressor, src, dst);
    return system(cmd);
}

/* Feeds p[0..n) through a pipe on fd 0 (written in small pieces by a child) and reads "-". */
static int read_stdin_pipe(const uint8_t *p, size_t n, size_t max, struct tread *t,
                           struct diag *d)
{
    int fds[2], saved, rc, status;
    pid_t pid;

    if (pipe(fds) < 0)
        return -1;
    pid = fork();
    if (pid == 0) {
        close(fds[0]);
        for (size_t off = 0; off < n;) {
            size_t chunk = n - off < 1000 ? n - off : 1000;
            ssize_t w = write(fds[1], p + off, chunk);

            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0)
                _exit(1);
            off += (size_t)w;
        }
        _exit(0);
    }
    close(fds[1]);
    saved = dup(STDIN_FILENO);
    dup2(fds[0], STDIN_FILENO);
    close(fds[0]);
    rc = read_path("-", max, t, d);
    dup2(saved, STDIN_FILENO);
    close(saved);
    waitpid(pid, &status, 0);
    return rc;
}

TEST(compressed_and_stdin)
{
    static const char *const names[] = { "ndpi_sites.pcapng", "ws_ssl.dump.pcap",
                                         "tcpdump_pptp_bigendian.pcap", "tcpdump_empty.pcapng" };
    static const struct {
        const char *tool, *cmd, *ext;
        enum cap_compression comp;
    } comps[] = {
        { "gzip", "gzip", "gz", CAP_COMP_GZIP },
        { "zstd", "zstd -q", "zst", CAP_COMP_ZSTD },
    };
    char dir[] = "/tmp/sv_test_capture_XXXXXX";

    T_TRUE(mkdtemp(dir) != NULL);
    for (size_t c = 0; c < sizeof comps / sizeof comps[0]; c++) {
        if (!have_tool(comps[c].tool)) {
            printf("# skipped: no %s command\n", comps[c].tool);
            continue;
        }
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
            char src[4200], dst[4200], want[4400];
            struct tread plain, z, piped;
            struct cap_reader *r;
            struct diag d;
            uint8_t *zbytes;
            size_t zn;
            int before = t_failed_checks;

            snprintf(src, sizeof src, "%s", tpath(names[i]));
            snprintf(dst, sizeof dst, "%s/%s.%s", dir, names[i], comps[c].ext);
            T_EQ(compress_file(comps[c].cmd, src, dst), 0);
            T_EQ(read_path(src, 64, &plain, &d), 0);
            diag_clear(&d);
            T_EQ(cap_open(&r, dst, &d), 0);
            T_EQ(cap_compression(r), comps[c].comp);
            read_all(r, 64, &z);
            cap_close(r);
            T_EQ(z.n, plain.n);
            T_EQ(z.hash, plain.hash);
            T_EQ(z.err, plain.err);
            T_EQ(z.off_end, plain.off_end);
            if (plain.err) {
                snprintf(want, sizeof want,
                         "%s: offset 2797 (decompressed): packet record truncated (caplen 668, "
                         "only 67 bytes left)",
                         dst);
                T_STREQ(z.msg, want);
            }
            /* the same bytes through a pipe on stdin: the sniffed prefix is not lost */
            zbytes = slurp(dst, &zn);
            T_EQ(read_stdin_pipe(zbytes, zn, 5, &piped, &d), 0);
            T_EQ(piped.n, plain.n);
            T_EQ(piped.hash, plain.hash);
            if (plain.err) {
                snprintf(want, sizeof want,
                         "<stdin>: offset 2797 (decompressed): packet record truncated (caplen "
                         "668, only 67 bytes left)");
                T_STREQ(piped.msg, want);
            }
            free(zbytes);
            /* uncompressed through the pipe as well */
            zbytes = slurp(src, &zn);
            tread_free(&piped);
            T_EQ(read_stdin_pipe(zbytes, zn, 3, &piped, &d), 0);
            T_EQ(piped.n, plain.n);
            T_EQ(piped.hash, plain.hash);
            free(zbytes);
            if (t_failed_checks != before)
                printf("# ... in %s (%s): %s\n", names[i], comps[c].tool, z.msg);
            tread_free(&plain);
            tread_free(&z);
            tread_free(&piped);
            unlink(dst);
        }
    }
    rmdir(dir);
}

/* ---------------------------------------------------------------- compressed: cuts, faults */

/*
 * testdata/compressed/ holds gzip and zstd copies of ppp_http-packets2.pcap
 * (222 packets, 83081 bytes; SOURCES.md has the commands), so that cut
 * points and offsets are exact whatever gzip or zstd is installed.
 */
#define Z_PLAIN "ppp_http-packets2.pcap"
#define Z_GZ "compressed/ppp_http-packets2.pcap.gz"
#define Z_ZST "compressed/ppp_http-packets2.pcap.zst"

/* CRC-32 as gzip computes it, bit by bit: the tests craft their own members. */
static uint32_t crc32_gzip(const uint8_t *p, size_t n)
{
    uint32_t c = 0xffffffffu;

    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = c & 1 ? (c >> 1) ^ 0xedb88320u : c >> 1;
    }
    return ~c;
}

/* Appends a gzip member holding p[0..n) in stored (uncompressed) deflate blocks. */
static void gz_stored_member(struct bld *b, const uint8_t *p, size_t n)
{
    static const uint8_t hdr[10] = { 0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff };
    size_t off = 0;

    b->be = false;
    b_put(b, hdr, sizeof hdr);
    do {
        size_t k = n - off < 65535 ? n - off : 65535;

        b_u8(b, off + k == n ? 1 : 0);      /* BFINAL, BTYPE 00: stored */
        b_u16(b, (uint16_t)k);
        b_u16(b, (uint16_t)~k);
        b_put(b, p + off, k);
        off += k;
    } while (off < n);
    b_u32(b, crc32_gzip(p, n));
    b_u32(b, (uint32_t)n);
}

/* Appends a zstd frame holding p[0..n) in raw blocks: window 2^wlog (>= 17), no checksum. */
static void zst_raw_frame(struct bld *b, const uint8_t *p, size_t n, unsigned wlog)
{
    size_t off = 0;

    b->be = false;
    b_u32(b, 0xfd2fb528u);
    b_u8(b, 0);                                 /* no content size, no checksum */
    b_u8(b, (uint8_t)((wlog - 10) << 3));       /* window descriptor */
    do {
        size_t k = n - off < 65536 ? n - off : 65536;
        uint32_t bh = (uint32_t)k << 3 | (off + k == n ? 1u : 0u);    /* raw block */

        b_u8(b, (uint8_t)bh);
        b_u8(b, (uint8_t)(bh >> 8));
        b_u8(b, (uint8_t)(bh >> 16));
        b_put(b, p + off, k);
        off += k;
    } while (off < n);
}

/* Appends a skippable frame (magic 0x184d2a5<nibble>) of n bytes. */
static void zst_skippable(struct bld *b, unsigned nibble, uint32_t n)
{
    b->be = false;
    b_u32(b, 0x184d2a50u | nibble);
    b_u32(b, n);
    for (uint32_t i = 0; i < n; i++)
        b_u8(b, 0xa5);
}

/* The plain capture: its bytes, and how the reader sees it. */
static uint8_t *z_plain(size_t *n, struct tread *t)
{
    struct diag d;
    uint8_t *p = slurp(tpath(Z_PLAIN), n);

    T_TRUE(p != NULL && *n == 83081);
    T_EQ(read_path(tpath(Z_PLAIN), 64, t, &d), 0);
    T_EQ(t->n, 222);
    T_EQ(t->err, 0);
    return p;
}

/* The first n packets of t are those of want. */
static bool z_same_prefix(const struct tread *t, const struct tread *want, size_t n)
{
    if (t->n < n || want->n < n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (t->v[i].hash != want->v[i].hash || t->v[i].ts_ns != want->v[i].ts_ns)
            return false;
    return true;
}

/*
 * A cut-short gzip/zstd capture yields exactly the packets whose records are
 * whole in what zlib/libzstd can decode from the bytes that are there: as
 * many as tshark reads from the same cut file (`head -c CUT F | tshark -r -`,
 * counted with TShark 4.0.17 when this test was written). Then the most
 * precise message: the cut record's own, or the decompressor's when the data
 * end between records (or inside the gzip trailer / zstd checksum, after all
 * the data).
 */
TEST(compressed_truncated)
{
    static const struct {
        const char *file;
        size_t cut, packets;
        const char *msg;    /* after "<name>: offset " */
    } cases[] = {
        { Z_GZ, 20, 0, "0 (decompressed): compressed data truncated (gzip input ends after 20 "
                       "bytes)" },
        { Z_GZ, 1000, 5, "1044 (decompressed): packet record truncated (caplen 450, only 163 "
                         "bytes left)" },
        { Z_GZ, 2000, 14, "3140 (decompressed): packet record truncated (caplen 1514, only 758 "
                          "bytes left)" },
        { Z_GZ, 6000, 57, "17988 (decompressed): packet record header truncated (6 of 16 "
                          "bytes)" },
        { Z_GZ, 9000, 172, "65226 (decompressed): packet record truncated (caplen 777, only 568 "
                           "bytes left)" },
        { Z_GZ, 10240, 222, "83081 (decompressed): compressed data truncated (gzip input ends "
                            "after 10240 bytes)" },
        { Z_ZST, 1000, 0, "0 (decompressed): compressed data truncated (zstd input ends after "
                          "1000 bytes)" },
        { Z_ZST, 2000, 5, "1044 (decompressed): packet record truncated (caplen 450, only 209 "
                          "bytes left)" },
        { Z_ZST, 7000, 61, "18700 (decompressed): packet record truncated (caplen 630, only 19 "
                           "bytes left)" },
        { Z_ZST, 9000, 157, "59004 (decompressed): packet record truncated (caplen 630, only 137 "
                            "bytes left)" },
        { Z_ZST, 10050, 204, "78690 (decompressed): packet record truncated (caplen 450, only 60 "
                             "bytes left)" },
        { Z_ZST, 10055, 222, "83081 (decompressed): compressed data truncated (zstd input ends "
                             "after 10055 bytes)" },
    };
    struct tread want, t;
    struct diag d;
    size_t pn;
    uint8_t *plain = z_plain(&pn, &want);

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char msg[600];
        size_t n;
        uint8_t *p = slurp(tpath(cases[i].file), &n);
        int before = t_failed_checks, rc;

        T_TRUE(p != NULL && n > cases[i].cut);
        if (!p)
            continue;
        /* in memory, in batches of 7 */
        rc = read_mem(p, cases[i].cut, 7, &t, &d);
        snprintf(msg, sizeof msg, "mem: offset %s", cases[i].msg);
        if (cases[i].packets == 0) {
            T_EQ(rc, SV_ETRUNC);            /* nothing decoded: the open fails */
            T_STREQ(d.msg, msg);
        } else {
            T_EQ(rc, 0);
            T_EQ(t.n, cases[i].packets);
            T_TRUE(z_same_prefix(&t, &want, t.n));
            T_EQ(t.err, SV_ETRUNC);
            T_STREQ(t.msg, msg);
        }
        tread_free(&t);
        /* through a pipe on stdin, written 1000 bytes at a time */
        rc = read_stdin_pipe(p, cases[i].cut, 5, &t, &d);
        snprintf(msg, sizeof msg, "<stdin>: offset %s", cases[i].msg);
        if (cases[i].packets == 0) {
            T_EQ(rc, SV_ETRUNC);
            T_STREQ(d.msg, msg);
        } else {
            T_EQ(rc, 0);
            T_EQ(t.n, cases[i].packets);
            T_TRUE(z_same_prefix(&t, &want, t.n));
            T_STREQ(t.msg, msg);
        }
        tread_free(&t);
        /* whole, it reads as the plain file */
        T_EQ(read_mem(p, n, 64, &t, &d), 0);
        T_EQ(t.n, want.n);
        T_EQ(t.hash, want.hash);
        T_EQ(t.err, 0);
        tread_free(&t);
        if (t_failed_checks != before)
            printf("# ... in %s cut at %zu\n", cases[i].file, cases[i].cut);
        free(p);
    }
    tread_free(&want);
    free(plain);
}

/*
 * Concatenated gzip members (gzip -d reads them all, as does tshark) and
 * zstd frames, cut anywhere (inside the file header, inside records), with
 * zero padding after gzip and skippable frames before, between and after
 * zstd frames. Bytes after the last member or frame that are not another
 * one are an error, after all the data.
 */
TEST(compressed_members_and_frames)
{
    struct tread want, t;
    struct bld b = { 0 };
    struct diag d;
    size_t pn, gzn, zsn, reclen;
    uint8_t *plain = z_plain(&pn, &want);
    uint8_t *gz = slurp(tpath(Z_GZ), &gzn);
    uint8_t *zs = slurp(tpath(Z_ZST), &zsn);
    const uint8_t *rec = plain + 24;    /* the first record, appended as a 223rd packet */
    char msg[600];

    T_TRUE(gz != NULL && zs != NULL);
    if (!gz || !zs)
        goto out;
    reclen = 16 + ((size_t)rec[8] | (size_t)rec[9] << 8 | (size_t)rec[10] << 16 |
                   (size_t)rec[11] << 24);

    /* gzip: three stored members, then zero padding */
    gz_stored_member(&b, plain, 10);
    gz_stored_member(&b, plain + 10, 40000 - 10);
    gz_stored_member(&b, plain + 40000, pn - 40000);
    for (int i = 0; i < 100; i++)
        b_u8(&b, 0);
    T_EQ(read_mem(b.p, b.n, 64, &t, &d), 0);
    T_EQ(t.n, want.n);
    T_EQ(t.hash, want.hash);
    T_EQ(t.err, 0);
    tread_free(&t);
    /* a deflate member, then a stored one with one more record */
    b.n = 0;
    b_put(&b, gz, gzn);
    gz_stored_member(&b, rec, reclen);
    T_EQ(read_mem(b.p, b.n, 64, &t, &d), 0);
    T_EQ(t.n, 223);
    T_TRUE(z_same_prefix(&t, &want, 222));
    T_EQ(t.n == 223 ? t.v[222].hash : 0, want.v[0].hash);
    T_EQ(t.err, 0);
    tread_free(&t);
    /* ... then garbage: every packet first, then the error */
    b_put(&b, "junk", 4);
    T_EQ(read_mem(b.p, b.n, 64, &t, &d), 0);
    T_EQ(t.n, 223);
    T_EQ(t.err, SV_EFORMAT);
    snprintf(msg, sizeof msg,
             "mem: offset %zu (decompressed): trailing garbage after the gzip data at compressed "
             "offset %zu (incorrect header check)",
             pn + reclen, b.n - 4);
    T_STREQ(t.msg, msg);
    tread_free(&t);
    /* ... or zero padding, then garbage */
    b.n -= 4;
    b_put(&b, "\0\0\0\0\0x", 6);
    T_EQ(read_mem(b.p, b.n, 64, &t, &d), 0);
    T_EQ(t.n, 223);
    snprintf(msg, sizeof msg,
             "mem: offset %zu (decompressed): trailing garbage after the gzip data at compressed "
             "offset %zu",
             pn + reclen, b.n - 1);
    T_STREQ(t.msg, msg);
    tread_free(&t);

    /* zstd: a skippable frame first (as pzstd writes), raw frames cut anywhere, more skippable */
    b.n = 0;
    zst_skippable(&b, 0, 8);
    zst_raw_frame(&b, plain, 10, 17);
    zst_skippable(&b, 0xf, 0);
    zst_raw_frame(&b, plain + 10, 40000 - 10, 17);
    zst_raw_frame(&b, plain + 40000, pn - 40000, 20);
    zst_skippable(&b, 3, 5);
    T_EQ(read_mem(b.p, b.n, 64, &t, &d), 0);
    T_EQ(t.n, want.n);
    T_EQ(t.hash, want.hash);
    T_EQ(t.err, 0);
    tread_free(&t);
    /* a compressed frame, then a raw one with one more record */
    b.n = 0;
    b_put(&b, zs, zsn);
    zst_raw_frame(&b, rec, reclen, 17);
    T_EQ(read_mem(b.p, b.n, 64, &t, &d), 0);
    T_EQ(t.n, 223);
    T_TRUE(z_same_prefix(&t, &want, 222));
    T_EQ(t.n == 223 ? t.v[222].hash : 0, want.v[0].hash);
    T_EQ(t.err, 0);
    tread_free(&t);
    /* ... then garbage */
    b_put(&b, "junk", 4);
    T_EQ(read_mem(b.p, b.n, 64, &t, &d), 0);
    T_EQ(t.n, 223);
    T_EQ(t.err, SV_EFORMAT);
    snprintf(msg, sizeof msg,
             "mem: offset %zu (decompressed): trailing garbage after the zstd data at compressed "
             "offset %zu",
             pn + reclen, b.n - 4);
    T_STREQ(t.msg, msg);
    tread_free(&t);
out:
    free(b.p);
    free(gz);
    free(zs);
    free(plain);
    tread_free(&want);
}

/*
 * Corrupt compressed data: SV_EFORMAT naming the file, the decompressed
 * offset and the compressed one, after every packet decoded before the
 * fault. A zstd frame that wants a window over 128 MiB is refused.
 */
TEST(compressed_corrupt)
{
    static const uint8_t gz_empty[] = { 0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                                        0x03, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                                        0x00, 0x00 };
    static const uint8_t gz_junk[] = { 0x1f, 0x8b, 'j', 'u', 'n', 'k' };
    /* a frame header with its reserved bit set */
    static const uint8_t zst_bad[] = { 0x28, 0xb5, 0x2f, 0xfd, 0x08, 0x38, 0, 0, 0, 0 };
    struct tread want, t;
    struct bld b = { 0 };
    struct diag d;
    size_t pn, gzn, zsn;
    uint8_t *plain = z_plain(&pn, &want);
    uint8_t *gz = slurp(tpath(Z_GZ), &gzn);
    uint8_t *zs = slurp(tpath(Z_ZST), &zsn);

    T_TRUE(gz != NULL && zs != NULL);
    if (!gz || !zs)
        goto out;

    /* gzip trailer: CRC-32, then ISIZE */
    gz[gzn - 8] ^= 1;
    T_EQ(read_mem(gz, gzn, 64, &t, &d), 0);
    T_EQ(t.n, 222);
    T_EQ(t.hash, want.hash);
    T_EQ(t.err, SV_EFORMAT);
    T_STREQ(t.msg, "mem: offset 83081 (decompressed): corrupt gzip data at compressed offset "
                   "10242: CRC-32 mismatch (incorrect data check)");
    tread_free(&t);
    gz[gzn - 8] ^= 1;
    gz[gzn - 1] ^= 1;
    T_EQ(read_mem(gz, gzn, 64, &t, &d), 0);
    T_EQ(t.n, 222);
    T_STREQ(t.msg, "mem: offset 83081 (decompressed): corrupt gzip data at compressed offset "
                   "10246: length mismatch (incorrect length check)");
    tread_free(&t);
    gz[gzn - 1] ^= 1;
    /* deflate data that zlib refuses: a stored block whose length check fails */
    gz_stored_member(&b, plain, pn);            /* blocks of 65535 bytes */
    b.p[10 + 5 + 65535 + 3] ^= 0xff;            /* the second block's NLEN */
    T_EQ(read_mem(b.p, b.n, 64, &t, &d), 0);
    T_EQ(t.n, 172);                              /* the records whole in the first block */
    T_TRUE(z_same_prefix(&t, &want, t.n));
    T_EQ(t.err, SV_EFORMAT);
    T_STREQ(t.msg, "mem: offset 65535 (decompressed): corrupt gzip data at compressed offset "
                   "65555: invalid stored block lengths");
    tread_free(&t);
    b.n = 0;
    /*
     * Damage inside a Huffman-coded block decodes to wrong bytes until zlib
     * notices (at the latest at the CRC): here the pcap reader notices first.
     */
    gz[5000] ^= 0xff;
    T_EQ(read_mem(gz, gzn, 64, &t, &d), 0);
    T_EQ(t.n, 35);
    T_TRUE(z_same_prefix(&t, &want, 34));
    T_EQ(t.err, SV_EFORMAT);
    T_STREQ(t.msg, "mem: offset 14369 (decompressed): packet of 142557852 bytes, bigger than "
                   "the maximum of 262144");
    tread_free(&t);
    gz[5000] ^= 0xff;
    /* bad or empty gzip data at the start: the open fails */
    T_EQ(read_mem(gz_junk, sizeof gz_junk, 8, &t, &d), SV_EFORMAT);
    T_STREQ(d.msg, "mem: offset 0 (decompressed): bad gzip header at compressed offset 0: "
                   "unknown compression method");
    T_EQ(read_mem(gz_empty, sizeof gz_empty, 8, &t, &d), SV_ENOTCAP);
    T_STREQ(d.msg, "mem: offset 0 (decompressed): empty file, not a capture");

    /* zstd content checksum (the frame's last 4 bytes) */
    zs[zsn - 1] ^= 1;
    T_EQ(read_mem(zs, zsn, 64, &t, &d), 0);
    T_EQ(t.n, 222);
    T_EQ(t.hash, want.hash);
    T_EQ(t.err, SV_EFORMAT);
    T_STREQ(t.msg, "mem: offset 83081 (decompressed): corrupt zstd data at compressed offset "
                   "10052: Restored data doesn't match checksum");
    tread_free(&t);
    zs[zsn - 1] ^= 1;
    /* a damaged block in the middle */
    zs[5000] ^= 0xff;
    T_EQ(read_mem(zs, zsn, 64, &t, &d), 0);
    T_EQ(t.n, 24);
    T_TRUE(z_same_prefix(&t, &want, t.n));
    T_EQ(t.err, SV_EFORMAT);
    T_STREQ(t.msg, "mem: offset 11211 (decompressed): corrupt zstd data at compressed offset "
                   "4248: Data corruption detected");
    tread_free(&t);
    zs[5000] ^= 0xff;
    T_EQ(read_mem(zst_bad, sizeof zst_bad, 8, &t, &d), SV_EFORMAT);
    T_STREQ(d.msg, "mem: offset 0 (decompressed): corrupt zstd data at compressed offset 0: "
                   "Unsupported frame parameter");

    /* the zstd window: 2^27 is accepted, 2^28 refused (also after a good frame) */
    zst_raw_frame(&b, plain, pn, 27);
    T_EQ(read_mem(b.p, b.n, 64, &t, &d), 0);
    T_EQ(t.n, 222);
    T_EQ(t.hash, want.hash);
    T_EQ(t.err, 0);
    tread_free(&t);
    b.n = 0;
    zst_raw_frame(&b, plain, pn, 28);
    T_EQ(read_mem(b.p, b.n, 64, &t, &d), SV_ELIMIT);
    T_STREQ(d.msg, "mem: offset 0 (decompressed): zstd frame at compressed offset 0 needs a "
                   "window larger than the limit of 128 MiB");
    b.n = 0;
    b_put(&b, zs, zsn);
    zst_raw_frame(&b, plain, 100, 28);
    T_EQ(read_mem(b.p, b.n, 64, &t, &d), 0);
    T_EQ(t.n, 222);
    T_EQ(t.err, SV_ELIMIT);
    T_STREQ(t.msg, "mem: offset 83081 (decompressed): zstd frame at compressed offset 10056 "
                   "needs a window larger than the limit of 128 MiB");
    tread_free(&t);
out:
    free(b.p);
    free(gz);
    free(zs);
    free(plain);
    tread_free(&want);
}

/* ---------------------------------------------------------------- crafted pcap */

TEST(pcap_variants)
{
    struct bld b = { 0 };
    struct cap_reader *r;
    struct diag d;
    struct tread t;

    /* little-endian µs; caplen > snaplen, caplen > origlen and caplen 0 are accepted */
    pcap_hdr(&b, 0xa1b2c3d4, 4, 64, 1);
    pcap_rec(&b, 1700000000, 999999, 0, 100, 1514);
    pcap_rec(&b, 1700000001, 5, 1, 42, 20);
    pcap_rec(&b, 1700000002, 0, 2, 0, 0);
    diag_clear(&d);
    T_EQ(cap_open_mem(&r, b.p, b.n, "mem", &d), 0);
    T_EQ(cap_iface(r, 0)->snaplen, 64);
    T_EQ(cap_iface(r, 0)->tsprec, 6);
    T_EQ(cap_iface(r, 0)->fcs_len, 0);
    read_all(r, 2, &t);
    T_EQ(t.n, 3);
    T_EQ(t.err, 0);
    T_EQ(t.v[0].ts_ns, 1700000000999999000ull);
    T_EQ(t.v[0].caplen, 100);
    T_EQ(t.v[0].origlen, 1514);
    T_EQ(t.v[1].caplen, 42);
    T_EQ(t.v[1].origlen, 20);
    T_EQ(t.v[1].offset, 24 + 16 + 100);
    T_EQ(t.v[1].first, 7);
    T_EQ(t.v[2].caplen, 0);
    T_EQ(t.off_end, b.n);
    cap_close(r);
    tread_free(&t);
    free(b.p);

    /* big-endian ns, FCS bits in the link-type field (2 words = 4 bytes) */
    memset(&b, 0, sizeof b);
    b.be = true;
    pcap_hdr(&b, 0xa1b23c4d, 4, 0, 0x24000001u);
    pcap_rec(&b, 1700000000, 999999999, 3, 54, 54);
    T_EQ(cap_open_mem(&r, b.p, b.n, "mem", &d), 0);
    T_EQ(cap_iface(r, 0)->linktype, 1);
    T_EQ(cap_iface(r, 0)->fcs_len, 4);
    T_EQ(cap_iface(r, 0)->tsprec, 9);
    read_all(r, 2, &t);
    T_EQ(t.n, 1);
    T_EQ(t.v[0].ts_ns, 1700000000999999999ull);
    T_EQ(t.v[0].first, 21);
    cap_close(r);
    tread_free(&t);
    free(b.p);

    /* Kuznetzov's "modified" pcap: 24-byte record headers */
    memset(&b, 0, sizeof b);
    pcap_hdr(&b, 0xa1b2cd34, 4, 65535, 1);
    b_u32(&b, 1700000000);
    b_u32(&b, 5);
    b_u32(&b, 40);
    b_u32(&b, 40);
    b_u32(&b, 3);
    b_u16(&b, 0x800);
    b_u16(&b, 0);
    b_data(&b, 4, 40);
    T_EQ(read_mem(b.p, b.n, 8, &t, &d), 0);
    T_EQ(t.n, 1);
    T_EQ(t.v[0].caplen, 40);
    T_EQ(t.v[0].first, 28);
    T_EQ(t.v[0].ts_ns, 1700000000000005000ull);
    tread_free(&t);
    free(b.p);

    /* version 2.2: caplen and origlen are swapped on disk (libpcap's rule) */
    memset(&b, 0, sizeof b);
    pcap_hdr(&b, 0xa1b2c3d4, 2, 65535, 1);
    b_u32(&b, 1);
    b_u32(&b, 0);
    b_u32(&b, 1514);    /* origlen */
    b_u32(&b, 40);      /* caplen */
    b_data(&b, 0, 40);
    T_EQ(read_mem(b.p, b.n, 8, &t, &d), 0);
    T_EQ(t.n, 1);
    T_EQ(t.v[0].caplen, 40);
    T_EQ(t.v[0].origlen, 1514);
    tread_free(&t);
    free(b.p);
}

/* ---------------------------------------------------------------- crafted pcapng */

TEST(pcapng_features)
{
    struct bld b = { 0 };
    struct cap_reader *r;
    struct diag d;
    struct tread t;
    size_t at, off_pb, off_spb;

    ng_shb(&b, false);
    ng_idb(&b, 1, 0, 9, true, 10);                  /* ns, +10 s */
    ng_epb(&b, 0, 1700000000123456789ull, 0, 60, 60);
    ng_nrb(&b);                                     /* NRB: checked, skipped */
    ng_idb(&b, 101, 128, 3, true, -5);              /* ms, -5 s */
    off_pb = b.n;
    at = ng_begin(&b, 2);                           /* obsolete packet block */
    b_u16(&b, 1);
    b_u16(&b, 0);
    b_u32(&b, (uint32_t)(1700000000123ull >> 32));
    b_u32(&b, (uint32_t)1700000000123ull);
    b_u32(&b, 30);
    b_u32(&b, 30);
    b_data(&b, 1, 30);
    ng_end(&b, at);
    off_spb = b.n;
    at = ng_begin(&b, 3);                           /* simple packet block: interface 0 */
    b_u32(&b, 100);
    b_data(&b, 2, 100);
    ng_end(&b, at);
    ng_raw_block(&b, 5, 12);                        /* ISB */
    ng_raw_block(&b, 0x00000bad, 12);               /* custom */
    ng_raw_block(&b, 0x40000bad, 12);
    ng_dsb(&b, 7);                                  /* DSB */
    at = ng_begin(&b, 4);                           /* NRB: records to its end, no end record */
    b_u16(&b, 1);
    b_u16(&b, 6);
    b_data(&b, 9, 4);
    b_u8(&b, 'x');
    b_u8(&b, 0);
    b_u16(&b, 0);                                   /* padding */
    ng_end(&b, at);
    ng_raw_block(&b, 0x12345678, 13);               /* unknown */
    ng_epb(&b, 1, 1700000000124ull, 5, 200, 300);
    ng_shb(&b, true);                               /* big-endian section */
    ng_idb(&b, 228, 0, 0x80 | 20, false, 0);        /* 2^-20 s */
    ng_epb(&b, 0, (1700000000ull << 20) | (1u << 19), 9, 28, 28);
    at = ng_begin(&b, 3);                           /* SPB: origlen 10 < 12 data bytes */
    b_u32(&b, 10);
    b_data(&b, 4, 12);
    ng_end(&b, at);
    ng_shb(&b, false);                              /* a last section with no packets */
    ng_idb(&b, 1, 0, 0x80 | 0, false, 0);

    diag_clear(&d);
    T_EQ(cap_open_mem(&r, b.p, b.n, "mem", &d), 0);
    T_EQ(cap_niface(r), 1);                         /* the prelude: SHB and first IDB */
    read_all(r, 3, &t);
    T_EQ(t.err, 0);
    T_EQ(cap_niface(r), 4);
    T_EQ(t.n, 6);
    T_EQ(t.off_end, b.n);
    if (t.n == 6) {
        T_EQ(t.v[0].ts_ns, 1700000010123456789ull);
        T_EQ(t.v[0].iface, 0);
        T_EQ(t.v[0].caplen, 60);
        T_EQ(t.v[1].ts_ns, 1699999995123000000ull);
        T_EQ(t.v[1].iface, 1);
        T_EQ(t.v[1].offset, off_pb);
        T_EQ(t.v[1].first, 7);
        T_EQ(t.v[2].ts_ns, 0);
        T_EQ(t.v[2].iface, 0);
        T_EQ(t.v[2].caplen, 100);
        T_EQ(t.v[2].offset, off_spb);
        T_EQ(t.v[3].ts_ns, 1699999995124000000ull);
        T_EQ(t.v[3].caplen, 200);
        T_EQ(t.v[3].origlen, 300);
        T_EQ(t.v[3].first, 35);
        T_EQ(t.v[4].ts_ns, 1700000000500000000ull);
        T_EQ(t.v[4].iface, 2);
        T_EQ(t.v[4].first, 63);
        T_EQ(t.v[5].iface, 2);
        T_EQ(t.v[5].caplen, 10);
        T_EQ(t.v[5].origlen, 10);
    }
    T_EQ(cap_iface(r, 0)->tsprec, 9);
    T_EQ(cap_iface(r, 1)->tsprec, 6);
    T_EQ(cap_iface(r, 1)->linktype, 101);
    T_EQ(cap_iface(r, 1)->snaplen, 128);
    T_EQ(cap_iface(r, 2)->tsprec, 9);
    T_EQ(cap_iface(r, 2)->linktype, 228);
    cap_close(r);
    tread_free(&t);
    free(b.p);

    /* A section header alone: a clean, empty capture. */
    memset(&b, 0, sizeof b);
    ng_shb(&b, true);
    T_EQ(read_mem(b.p, b.n, 8, &t, &d), 0);
    T_EQ(t.n, 0);
    T_EQ(t.err, 0);
    T_EQ(t.off_end, 28);
    tread_free(&t);
    free(b.p);
}

TEST(pcapng_timestamp_resolutions)
{
    static const struct {
        int tsresol;
        uint64_t units, ns;
        uint8_t prec;
    } cases[] = {
        { 0, 1700000000ull, 1700000000000000000ull, 6 },
        { 6, 1700000000123456ull, 1700000000123456000ull, 6 },
        { 9, 1700000000123456789ull, 1700000000123456789ull, 9 },
        { 12, 1700000000123456789ull, 1700000000123456ull, 9 },
        { 19, 17000000001234567891ull, 1700000000ull, 9 },
        { 0x80 | 10, 1024ull * 1700000000 + 512, 1700000000500000000ull, 9 },
        { 0x80 | 63, 1ull << 62, 500000000ull, 9 },
        { 0x80 | 0, 20000000000ull, TIMEFMT_NS_MAX, 9 }, /* beyond 2262: saturated */
        { 9, 9300000000000000000ull, TIMEFMT_NS_MAX, 9 }, /* 2264: saturated too */
        /* finer than 10^-19 or 2^-63, as wiretap reads them: a count reaches seconds at most */
        { 20, 17000000001234567891ull, 170000000ull, 9 },
        { 28, 17000000001234567891ull, 1ull, 9 },
        { 29, 17000000001234567891ull, 0, 9 },
        { 127, UINT64_MAX, 0, 9 },
        { 0x80 | 64, 1ull << 63, 500000000ull, 9 },
        { 0x80 | 93, UINT64_MAX, 1ull, 9 },
        { 0x80 | 94, UINT64_MAX, 0, 9 },
        { 0x80 | 127, UINT64_MAX, 0, 9 },
    };

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct bld b = { 0 };
        struct cap_reader *r;
        struct diag d;
        struct tread t;

        ng_shb(&b, i % 2 == 1);
        ng_idb(&b, 1, 0, cases[i].tsresol, false, 0);
        ng_epb(&b, 0, cases[i].units, 0, 4, 4);
        diag_clear(&d);
        T_EQ(cap_open_mem(&r, b.p, b.n, "mem", &d), 0);
        read_all(r, 4, &t);
        T_EQ(t.n, 1);
        if (t.n == 1)
            T_EQ(t.v[0].ts_ns, cases[i].ns);
        T_EQ(cap_iface(r, 0)->tsprec, cases[i].prec);
        cap_close(r);
        tread_free(&t);
        free(b.p);
    }
}

/* ---------------------------------------------------------------- faults */

struct fault_case {
    const char *what;
    bool at_open;       /* cap_open fails (else the read does, after n_before packets) */
    size_t n_before;
    int code;
    char msg[200];
};

static void expect_fault(const struct bld *b, const struct fault_case *fc)
{
    struct tread t;
    struct diag d;
    int rc;
    int before = t_failed_checks;

    rc = read_mem(b->p, b->n, 16, &t, &d);
    if (fc->at_open) {
        T_EQ(rc, fc->code);
        T_STREQ(d.msg, fc->msg);
    } else {
        T_EQ(rc, 0);
        T_EQ(t.n_before_err, fc->n_before);
        T_EQ(t.err, fc->code);
        T_STREQ(t.msg, fc->msg);
    }
    if (t_failed_checks != before)
        printf("# ... in fault case '%s' (open: %s)\n", fc->what, d.msg);
    tread_free(&t);
}

TEST(pcap_faults)
{
    struct fault_case fc = { 0 };
    struct bld b = { 0 };

    fc = (struct fault_case){ "empty", true, 0, SV_ENOTCAP,
                              "mem: offset 0: empty file, not a capture" };
    expect_fault(&b, &fc);

    b_put(&b, "GET / HTTP/1.1\r\n", 16);
    fc = (struct fault_case){ "magic", true, 0, SV_ENOTCAP,
                              "mem: offset 0: not a pcap or pcapng file (magic 0x47455420)" };
    expect_fault(&b, &fc);

    b.n = 0;
    b_put(&b, "\xd4\xc3\xb2", 3);
    fc = (struct fault_case){ "3 bytes", true, 0, SV_ENOTCAP,
                              "mem: offset 0: file too short to be a capture (3 bytes)" };
    expect_fault(&b, &fc);

    b.n = 0;
    pcap_hdr(&b, 0xa1b2c3d4, 4, 65535, 1);
    b.n = 20;
    fc = (struct fault_case){ "file header", true, 0, SV_ETRUNC,
                              "mem: offset 0: pcap file header truncated (20 of 24 bytes)" };
    expect_fault(&b, &fc);

    b.n = 0;
    pcap_hdr(&b, 0xa1b2c3d4, 4, 65535, 1);
    b.p[4] = 3;
    fc = (struct fault_case){ "version", true, 0, SV_EFORMAT,
                              "mem: offset 0: unsupported pcap version 3.4" };
    expect_fault(&b, &fc);

    b.n = 0;
    pcap_hdr(&b, 0xa1b2c3d4, 4, 65535, 1);
    pcap_rec(&b, 1, 0, 0, 60, 60);
    pcap_rec(&b, 2, 0, 1, 61, 61);
    b_put(&b, "\1\2\3\4\5", 5);
    fc = (struct fault_case){ "record header", false, 2, SV_ETRUNC,
                              "mem: offset 177: packet record header truncated (5 of 16 bytes)" };
    expect_fault(&b, &fc);

    b.n = 0;
    pcap_hdr(&b, 0xa1b2c3d4, 4, 65535, 1);
    pcap_rec(&b, 1, 0, 0, 60, 60);
    pcap_rec(&b, 2, 0, 1, 100, 100);
    b.n -= 60;
    fc = (struct fault_case){
        "record data", false, 1, SV_ETRUNC,
        "mem: offset 100: packet record truncated (caplen 100, only 40 bytes left)"
    };
    expect_fault(&b, &fc);

    b.n = 0;
    pcap_hdr(&b, 0xa1b2c3d4, 4, 65535, 1);
    pcap_rec(&b, 1, 0, 0, 60, 60);
    b_u32(&b, 2);
    b_u32(&b, 0);
    b_u32(&b, LIM_PACKET_MAX + 1);
    b_u32(&b, LIM_PACKET_MAX + 1);
    fc = (struct fault_case){
        "oversized", false, 1, SV_EFORMAT,
        "mem: offset 100: packet of 262145 bytes, bigger than the maximum of 262144"
    };
    expect_fault(&b, &fc);
    free(b.p);
}

TEST(pcapng_faults)
{
    struct fault_case fc = { 0 };
    struct bld b = { 0 };
    size_t at, good;

    ng_shb(&b, false);
    b.n = 20;
    fc = (struct fault_case){
        "SHB truncated", true, 0, SV_ETRUNC,
        "mem: offset 0: block truncated (type 0x0a0d0d0a, length 28, only 20 bytes left)"
    };
    expect_fault(&b, &fc);

    b.n = 0;
    ng_shb(&b, false);
    memcpy(b.p + 8, "\x11\x22\x33\x44", 4);
    fc = (struct fault_case){ "BOM", true, 0, SV_EFORMAT,
                              "mem: offset 0: section header block: bad byte-order magic "
                              "0x11223344" };
    expect_fault(&b, &fc);

    b.n = 0;
    ng_shb(&b, true);
    b.p[13] = 2;
    fc = (struct fault_case){ "version", true, 0, SV_EFORMAT,
                              "mem: offset 0: unsupported pcapng version 2.0" };
    expect_fault(&b, &fc);

    b.n = 0;
    ng_shb(&b, false);
    at = ng_begin(&b, 1);
    b_u32(&b, 1);
    ng_end(&b, at);
    fc = (struct fault_case){
        "IDB short", true, 0, SV_EFORMAT,
        "mem: offset 28: interface description block too short (16 bytes)"
    };
    expect_fault(&b, &fc);

    /* After one good packet: */
    b.n = 0;
    ng_shb(&b, false);
    ng_idb(&b, 1, 0, -1, false, 0);
    ng_epb(&b, 0, 1, 0, 10, 10);
    good = b.n;

    b_u32(&b, 6);
    b_u32(&b, 30);
    b_data(&b, 0, 26);
    snprintf(fc.msg, sizeof fc.msg, "mem: offset %zu: bad block length 30 (block type 0x00000006)",
             good);
    fc.what = "length % 4";
    fc.at_open = false;
    fc.n_before = 1;
    fc.code = SV_EFORMAT;
    expect_fault(&b, &fc);

    b.n = good;
    b_u32(&b, 6);
    b_u32(&b, 8);
    b_u32(&b, 8);
    snprintf(fc.msg, sizeof fc.msg, "mem: offset %zu: bad block length 8 (block type 0x00000006)",
             good);
    fc.what = "length < 12";
    expect_fault(&b, &fc);

    b.n = good;
    b_u32(&b, 6);
    b_u32(&b, LIM_PCAPNG_BLOCK_MAX + 4);
    b_u32(&b, 0);
    snprintf(fc.msg, sizeof fc.msg,
             "mem: offset %zu: bad block length 16777220 (block type 0x00000006)", good);
    fc.what = "length > max";
    expect_fault(&b, &fc);

    b.n = good;
    ng_epb(&b, 0, 1, 0, 10, 10);
    b.p[b.n - 4] = 0xe7;
    b.p[b.n - 3] = 0x03;
    snprintf(fc.msg, sizeof fc.msg,
             "mem: offset %zu: block trailing length 999 does not match its leading length 44 "
             "(type 0x00000006)",
             good);
    fc.what = "trailing length";
    expect_fault(&b, &fc);

    b.n = good;
    ng_epb(&b, 1, 1, 0, 10, 10);
    snprintf(fc.msg, sizeof fc.msg,
             "mem: offset %zu: enhanced packet block refers to interface 1, but the section "
             "defines 1 interface",
             good);
    fc.what = "EPB interface";
    expect_fault(&b, &fc);

    b.n = good;
    ng_shb(&b, false);          /* a new section forgets the interfaces */
    at = b.n;
    ng_epb(&b, 0, 1, 0, 10, 10);
    snprintf(fc.msg, sizeof fc.msg,
             "mem: offset %zu: enhanced packet block refers to interface 0, but the section "
             "defines 0 interfaces",
             at);
    fc.what = "interfaces per section";
    expect_fault(&b, &fc);

    b.n = good;
    at = ng_begin(&b, 3);
    b_u32(&b, 10);
    b_data(&b, 0, 10);
    ng_end(&b, at);
    ng_shb(&b, true);
    at = b.n;
    b.be = true;
    {
        size_t spb = ng_begin(&b, 3);

        b_u32(&b, 10);
        b_data(&b, 0, 10);
        ng_end(&b, spb);
    }
    snprintf(fc.msg, sizeof fc.msg,
             "mem: offset %zu: simple packet block refers to interface 0, but the section "
             "defines 0 interfaces",
             at);
    fc.what = "SPB without IDB";
    fc.n_before = 2;
    expect_fault(&b, &fc);
    fc.n_before = 1;
    b.be = false;

    b.n = good;
    at = ng_begin(&b, 6);
    b_u32(&b, 0);
    b_u32(&b, 0);
    b_u32(&b, 0);
    b_u32(&b, 100);
    b_u32(&b, 100);
    b_data(&b, 0, 40);
    ng_end(&b, at);
    snprintf(fc.msg, sizeof fc.msg,
             "mem: offset %zu: enhanced packet block: caplen 100 is more than its 40 data bytes",
             good);
    fc.what = "EPB caplen";
    expect_fault(&b, &fc);

    /* an SPB's data is its original length (cut to the snaplen): 200 do not fit 64 */
    b.n = good;
    at = ng_begin(&b, 3);
    b_u32(&b, 200);
    b_data(&b, 0, 64);
    ng_end(&b, at);
    snprintf(fc.msg, sizeof fc.msg,
             "mem: offset %zu: simple packet block of 80 bytes too short for its 200 bytes of "
             "packet",
             good);
    fc.what = "SPB origlen";
    expect_fault(&b, &fc);

    b.n = good;
    at = ng_begin(&b, 6);
    b_u32(&b, 0);
    b_u32(&b, 0);
    b_u32(&b, 0);
    b_u32(&b, 300000);
    b_u32(&b, 300000);
    b_data(&b, 0, 40);
    ng_end(&b, at);
    snprintf(fc.msg, sizeof fc.msg,
             "mem: offset %zu: packet of 300000 bytes, bigger than the maximum of 262144", good);
    fc.what = "EPB oversized";
    expect_fault(&b, &fc);

    b.n = good;
    ng_epb(&b, 0, 1, 0, 100, 100);
    b.n -= 10;
    snprintf(fc.msg, sizeof fc.msg,
             "mem: offset %zu: block truncated (type 0x00000006, length 132, only 122 bytes left)",
             good);
    fc.what = "block truncated";
    fc.code = SV_ETRUNC;
    expect_fault(&b, &fc);

    b.n = good;
    b_put(&b, "\6\0\0\0\100", 5);
    snprintf(fc.msg, sizeof fc.msg, "mem: offset %zu: block header truncated (5 of 12 bytes)",
             good);
    fc.what = "block header truncated";
    expect_fault(&b, &fc);

    /* options, records and secrets that run past their block: faults, as in wiretap */
    b.n = 0;
    ng_shb(&b, false);
    at = ng_begin(&b, 1);
    b_u16(&b, 1);
    b_u16(&b, 0);
    b_u32(&b, 0);
    b_u16(&b, 2);       /* if_name, claiming 64 bytes */
    b_u16(&b, 64);
    b_put(&b, "eth0", 4);
    ng_end(&b, at);
    fc = (struct fault_case){ "IDB option", true, 0, SV_EFORMAT,
                              "mem: offset 28: interface description block: option 2 of 64 "
                              "bytes runs past the end of the block" };
    expect_fault(&b, &fc);
    {
        static const char *const what[] = { "EPB option", "ISB", "DSB", "NRB" };
        static const char *const why[] = {
            "enhanced packet block: option 1 of 200 bytes runs past the end of the block",
            "interface statistics block too short (16 bytes)",
            "decryption secrets block: 1000 bytes of secrets run past the end of the block",
            "name resolution block: a record of 100 bytes runs past the end of the block",
        };

        for (int k = 0; k < 4; k++) {
            b.n = 0;
            ng_shb(&b, false);
            ng_idb(&b, 1, 0, 6, false, 0);
            ng_epb(&b, 0, 1700000000000000ull, 0, 8, 8);
            good = b.n;
            at = ng_begin(&b, k == 0 ? 6 : k == 1 ? 5 : k == 2 ? 10 : 4);
            if (k == 0) {
                b_u32(&b, 0);
                b_u32(&b, 0);
                b_u32(&b, 0);
                b_u32(&b, 4);
                b_u32(&b, 4);
                b_data(&b, 1, 4);
                b_u16(&b, 1);
                b_u16(&b, 200);
                b_put(&b, "hi\0\0", 4);
            } else if (k == 1) {
                b_u32(&b, 0);
            } else if (k == 2) {
                b_u32(&b, 0x544c534bu);
                b_u32(&b, 1000);
                b_data(&b, 2, 4);
            } else {
                b_u16(&b, 1);
                b_u16(&b, 100);
                b_data(&b, 3, 4);
            }
            ng_end(&b, at);
            memset(&fc, 0, sizeof fc);
            fc.what = what[k];
            fc.n_before = 1;
            fc.code = SV_EFORMAT;
            snprintf(fc.msg, sizeof fc.msg, "mem: offset %zu: %s", good, why[k]);
            expect_fault(&b, &fc);
        }
    }
    free(b.p);
}

TEST(pcapng_interface_limit)
{
    struct fault_case fc = { 0 };
    struct bld b = { 0 };
    size_t at = 0;

    ng_shb(&b, false);
    for (uint32_t i = 0; i <= LIM_PCAPNG_IFACES; i++) {
        at = b.n;
        ng_idb(&b, 1, 0, -1, false, 0);
    }
    fc.what = "interfaces";
    fc.at_open = true;
    fc.code = SV_ELIMIT;
    snprintf(fc.msg, sizeof fc.msg, "mem: offset %zu: more than 65536 interfaces", at);
    expect_fault(&b, &fc);
    free(b.p);
}

TEST(open_and_argument_errors)
{
    struct cap_reader *r = (struct cap_reader *)&r;
    struct cap_pkt pk[1];
    struct diag d;

    diag_clear(&d);
    T_EQ(cap_open(&r, "/nonexistent/x.pcap", &d), SV_EIO);
    T_TRUE(r == NULL);
    T_STREQ(d.msg, "/nonexistent/x.pcap: No such file or directory");
    T_EQ(d.sys_errno, ENOENT);
    T_EQ(cap_open(&r, "/", &d), SV_EIO);
    T_STREQ(d.msg, "/: Is a directory");

    T_EQ(cap_open(&r, tpath("tcpdump_empty.pcapng"), &d), 0);
    T_EQ(cap_next_batch(r, pk, 0, &d), SV_EINVAL);
    T_EQ(cap_next_batch(r, pk, 1, &d), 0);
    T_EQ(cap_offset(r), 48);
    cap_close(r);
    cap_close(NULL);
}

/* ---------------------------------------------------------------- big inputs */

static uint32_t big_len(uint32_t i)
{
    if (i % 97 == 0)
        return LIM_PACKET_MAX;      /* the largest legal packet */
    return (i * 37u) % 1600u;
}

/* ~70 MB of pcap: several full 32 MiB batches, records straddling every refill. */
TEST(big_pcap_batches)
{
    static const size_t maxes[] = { LIM_BATCH_PACKETS, 1000 };
    const uint32_t npk = 20000;
    struct bld b = { 0 };

    pcap_hdr(&b, 0xa1b2c3d4, 4, 0, 1);
    for (uint32_t i = 0; i < npk; i++)
        pcap_rec(&b, i, 0, i, big_len(i), big_len(i) + 1);
    for (size_t m = 0; m < sizeof maxes / sizeof maxes[0]; m++) {
        struct cap_pkt *pk = calloc(maxes[m], sizeof *pk);
        struct cap_reader *r;
        struct diag d;
        uint32_t seen = 0, bad = 0;
        size_t batches = 0;
        ssize_t got;

        diag_clear(&d);
        T_EQ(cap_open_mem(&r, b.p, b.n, "big", &d), 0);
        while ((got = cap_next_batch(r, pk, maxes[m], &d)) > 0) {
            batches++;
            for (ssize_t k = 0; k < got; k++, seen++) {
                if (pk[k].caplen != big_len(seen) || pk[k].origlen != big_len(seen) + 1 ||
                    pk[k].ts_ns != (uint64_t)seen * 1000000000u ||
                    !data_ok(pk[k].data, seen, pk[k].caplen))
                    bad++;
            }
        }
        T_EQ(got, 0);
        T_EQ(seen, npk);
        T_EQ(bad, 0);
        T_TRUE(batches >= 3);
        T_EQ(cap_offset(r), b.n);
        cap_close(r);
        free(pk);
    }
    free(b.p);
}

/* The largest legal pcapng block is skipped; the largest packet is read. */
TEST(big_pcapng_blocks)
{
    struct bld b = { 0 };
    struct cap_pkt pk[8];
    struct cap_reader *r;
    struct diag d;
    uint32_t seen = 0, bad = 0;
    ssize_t got;

    ng_shb(&b, false);
    ng_idb(&b, 1, 0, -1, false, 0);
    ng_epb(&b, 0, 1, 0, 100, 100);
    ng_dsb(&b, LIM_PCAPNG_BLOCK_MAX - 20);          /* DSB of the largest length */
    ng_epb(&b, 0, 2, 1, LIM_PACKET_MAX, LIM_PACKET_MAX);
    ng_raw_block(&b, 0x00000bad, LIM_PCAPNG_BLOCK_MAX - 12);
    ng_epb(&b, 0, 3, 2, 1, 1);
    diag_clear(&d);
    T_EQ(cap_open_mem(&r, b.p, b.n, "big", &d), 0);
    while ((got = cap_next_batch(r, pk, 8, &d)) > 0) {
        for (ssize_t k = 0; k < got; k++, seen++)
            if (pk[k].ts_ns != (seen + 1) * 1000ull || !data_ok(pk[k].data, seen, pk[k].caplen))
                bad++;
    }
    T_EQ(got, 0);
    T_EQ(seen, 3);
    T_EQ(bad, 0);
    cap_close(r);
    free(b.p);
}

/*
 * A non-packet block longer than LIM_PCAPNG_BLOCK_MAX (a DSB of a big TLS
 * key log, a custom block) is skipped as it is read: the packets after it
 * come, through a pipe too; cut short or with a wrong trailer, it is a fault
 * at its offset.
 */
TEST(pcapng_blocks_past_the_block_cap_are_skipped)
{
    struct bld b = { 0 };
    struct tread t;
    struct cap_reader *r;
    struct diag d;
    size_t dsb_at, custom_at, last_at;

    ng_shb(&b, false);
    ng_idb(&b, 1, 0, -1, false, 0);
    ng_epb(&b, 0, 1, 0, 100, 100);
    dsb_at = b.n;
    ng_dsb(&b, LIM_PCAPNG_BLOCK_MAX + 4096);
    ng_epb(&b, 0, 2, 1, 60, 60);
    custom_at = b.n;
    ng_raw_block(&b, 0x00000bad, LIM_PCAPNG_BLOCK_MAX + 1000);
    last_at = b.n;
    ng_epb(&b, 0, 3, 2, 1, 1);
    diag_clear(&d);
    T_EQ(cap_open_mem(&r, b.p, b.n, "big", &d), 0);
    read_all(r, 8, &t);
    cap_close(r);
    T_EQ(t.n, 3);
    T_EQ(t.err, 0);
    tread_free(&t);
    T_EQ(read_stdin_pipe(b.p, b.n, 8, &t, &d), 0);
    T_EQ(t.n, 3);
    T_EQ(t.err, 0);
    tread_free(&t);
    /* cut inside the custom block: the packets before it, then the fault */
    T_EQ(read_stdin_pipe(b.p, custom_at + 5000, 8, &t, &d), 0);
    T_EQ(t.n, 2);
    T_EQ(t.err, SV_ETRUNC);
    {
        char want[200];

        snprintf(want, sizeof want, "<stdin>: offset %zu: block truncated (type 0x00000bad, "
                 "length %zu, only 5000 bytes left)", custom_at, last_at - custom_at);
        T_STREQ(t.msg, want);
    }
    tread_free(&t);
    /* a trailing length that is not the leading one */
    b.p[last_at - 1] ^= 0x01;
    diag_clear(&d);
    T_EQ(cap_open_mem(&r, b.p, b.n, "big", &d), 0);
    read_all(r, 8, &t);
    cap_close(r);
    T_EQ(t.n, 2);
    T_EQ(t.err, SV_EFORMAT);
    T_TRUE(strstr(t.msg, "block trailing length") != NULL);
    tread_free(&t);
    (void)dsb_at;
    free(b.p);
}

/* ---------------------------------------------------------------- link types */

TEST(linktype_names)
{
    T_STREQ(cap_linktype_name(0), "NULL");
    T_STREQ(cap_linktype_name(1), "EN10MB");
    T_STREQ(cap_linktype_name(12), "RAW");
    T_STREQ(cap_linktype_name(14), "RAW");
    T_STREQ(cap_linktype_name(101), "RAW");
    T_STREQ(cap_linktype_name(105), "IEEE802_11");
    T_STREQ(cap_linktype_name(108), "LOOP");
    T_STREQ(cap_linktype_name(113), "LINUX_SLL");
    T_STREQ(cap_linktype_name(127), "IEEE802_11_RADIO");
    T_STREQ(cap_linktype_name(228), "IPV4");
    T_STREQ(cap_linktype_name(229), "IPV6");
    T_STREQ(cap_linktype_name(276), "LINUX_SLL2");
    T_TRUE(cap_linktype_name(11) == NULL);
    T_TRUE(cap_linktype_name(65535) == NULL);
    T_TRUE(cap_linktype_name(UINT32_MAX) == NULL);
}

/*
 * The double-buffering contract: a batch's packet bytes stay valid and
 * unchanged through the next cap_next_batch() call (ingest writes batch k
 * out on other threads while batch k + 1 is read). Small batches, a file
 * and a pipe-like source (memory), pcap and pcapng.
 */
static void check_two_batches_alive(struct cap_reader *r, size_t max)
{
    struct cap_pkt *pk[2] = { calloc(max, sizeof **pk), calloc(max, sizeof **pk) };
    uint8_t *copy[2] = { NULL, NULL };
    size_t len[2] = { 0, 0 };
    ssize_t n[2] = { 0, 0 };
    struct diag d;
    int k = 0, batches = 0;

    diag_clear(&d);
    for (;;) {
        size_t at = 0;

        n[k] = cap_next_batch(r, pk[k], max, &d);
        /* the previous batch is still intact after this call */
        for (ssize_t i = 0; i < n[k ^ 1]; i++) {
            T_MEMEQ(pk[k ^ 1][i].data, copy[k ^ 1] + at, pk[k ^ 1][i].caplen);
            at += pk[k ^ 1][i].caplen;
        }
        T_EQ(at, len[k ^ 1]);
        if (n[k] <= 0)
            break;
        free(copy[k]);
        len[k] = 0;
        for (ssize_t i = 0; i < n[k]; i++)
            len[k] += pk[k][i].caplen;
        copy[k] = malloc(len[k] ? len[k] : 1);
        at = 0;
        for (ssize_t i = 0; i < n[k]; i++) {
            memcpy(copy[k] + at, pk[k][i].data, pk[k][i].caplen);
            at += pk[k][i].caplen;
        }
        batches++;
        k ^= 1;
    }
    T_TRUE(batches > 2);
    free(copy[0]);
    free(copy[1]);
    free(pk[0]);
    free(pk[1]);
}

TEST(previous_batch_stays_valid)
{
    static const char *const files[] = { "ppp_sll.pcap", "ndpi_sites.pcapng" };

    for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
        struct cap_reader *r;
        struct diag d;
        uint8_t *bytes;
        size_t n;

        diag_clear(&d);
        T_EQ(cap_open(&r, tpath(files[f]), &d), 0);
        if (r) {
            check_two_batches_alive(r, 7);
            cap_close(r);
        }
        bytes = slurp(tpath(files[f]), &n);
        T_EQ(cap_open_mem(&r, bytes, n, files[f], &d), 0);
        if (r) {
            check_two_batches_alive(r, 13);
            cap_close(r);
        }
        free(bytes);
    }
}

/* Appends p[0..n) as stored deflate blocks (RFC 1951 §3.2.4), the last one final. */
static void deflate_stored(struct bld *b, const uint8_t *p, size_t n)
{
    size_t off = 0;

    b->be = false;
    do {
        size_t k = n - off < 65535 ? n - off : 65535;

        b_u8(b, off + k == n ? 1 : 0);
        b_u16(b, (uint16_t)k);
        b_u16(b, (uint16_t)~k);
        b_put(b, p + off, k);
        off += k;
    } while (off < n);
}

/*
 * HTTP content codings, as a query reads a kept body (comp_content_decode):
 * gzip and x-gzip (any case, blanks around), deflate in zlib's format and
 * raw; capped output; a body cut short decodes as far as it goes; other
 * codings, and bytes of none, decode to nothing.
 */
TEST(content_codings)
{
    static const uint8_t hello[] = "hello, body";
    size_t pn, gn, n;
    uint8_t *plain = slurp(tpath(Z_PLAIN), &pn), *gz = slurp(tpath(Z_GZ), &gn);
    struct bld b = { 0 };
    uint32_t s1 = 1, s2 = 0;
    char *out;

    T_TRUE(plain && gz);
    out = comp_content_decode("gzip", 4, gz, gn, SIZE_MAX / 2, &n);
    T_TRUE(out && n == pn && memcmp(out, plain, pn) == 0 && out[n] == 0);
    free(out);
    out = comp_content_decode(" X-GZip\t", 8, gz, gn, SIZE_MAX / 2, &n);
    T_TRUE(out && n == pn);
    free(out);
    /* the cap: a bomb stops there */
    out = comp_content_decode("gzip", 4, gz, gn, 1000, &n);
    T_TRUE(out && n == 1000 && memcmp(out, plain, 1000) == 0);
    free(out);
    /* the first 2,000 bytes of the member: some of the data, all of it right */
    out = comp_content_decode("gzip", 4, gz, 2000, SIZE_MAX / 2, &n);
    T_TRUE(out && n > 2000 && n < pn && memcmp(out, plain, n) == 0);
    free(out);
    /* deflate: zlib's format (RFC 1950: header, stored blocks, Adler-32) and raw */
    b_u8(&b, 0x78);
    b_u8(&b, 0x01);
    deflate_stored(&b, hello, sizeof hello - 1);
    for (size_t i = 0; i < sizeof hello - 1; i++) {
        s1 = (s1 + hello[i]) % 65521;
        s2 = (s2 + s1) % 65521;
    }
    b.be = true;
    b_u32(&b, s2 << 16 | s1);
    out = comp_content_decode("deflate", 7, b.p, b.n, 4096, &n);
    T_TRUE(out && n == sizeof hello - 1 && memcmp(out, hello, n) == 0);
    free(out);
    out = comp_content_decode("Deflate", 7, b.p + 2, b.n - 6, 4096, &n);
    T_TRUE(out && n == sizeof hello - 1 && memcmp(out, hello, n) == 0);
    free(out);
    /* no coding we decode, or bytes of none */
    T_TRUE(comp_content_decode("br", 2, gz, gn, 4096, &n) == NULL);
    T_TRUE(comp_content_decode("gzip, br", 8, gz, gn, 4096, &n) == NULL);
    T_TRUE(comp_content_decode("gzip", 4, hello, sizeof hello - 1, 4096, &n) == NULL);
    T_TRUE(comp_content_decode("deflate", 7, hello, sizeof hello - 1, 4096, &n) == NULL);
    T_TRUE(comp_content_decode("gzip", 4, gz, 0, 4096, &n) == NULL);
    free(b.p);
    free(plain);
    free(gz);
}

T_MAIN(T_CASE(previous_batch_stays_valid), T_CASE(content_codings),
       T_CASE(real_captures_match_tshark_and_libpcap), T_CASE(damaged_truncated_mid_packet),
       T_CASE(damaged_oversized_packet), T_CASE(timestamps_equal_tshark),
       T_CASE(precision_and_byte_order), T_CASE(pcapng_many_interfaces),
       T_CASE(pcapng_multi_section), T_CASE(compressed_and_stdin), T_CASE(compressed_truncated),
       T_CASE(compressed_members_and_frames), T_CASE(compressed_corrupt),
       T_CASE(pcap_variants), T_CASE(pcapng_features), T_CASE(pcapng_timestamp_resolutions),
       T_CASE(pcap_faults), T_CASE(pcapng_faults), T_CASE(pcapng_interface_limit),
       T_CASE(open_and_argument_errors), T_CASE(big_pcap_batches), T_CASE(big_pcapng_blocks),
       T_CASE(pcapng_blocks_past_the_block_cap_are_skipped), T_CASE(linktype_names))
