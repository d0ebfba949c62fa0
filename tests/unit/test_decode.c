/* SPDX-License-Identifier: BSD-2-Clause */
/* summary: unit tests for lib/decode: hand-built frames of every link type, exact results. */
#include "config.h"

#include "decode/decode.h"

#include "t.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "decode/defrag.h"

/* ---- a tiny frame builder ------------------------------------------------------------ */

struct fb {
    uint8_t b[2048];
    size_t n;
};

static void fb_u8(struct fb *f, unsigned v)
{
    if (f->n < sizeof f->b)
        f->b[f->n++] = (uint8_t)v;
}

static void fb_be16(struct fb *f, unsigned v)
{
    fb_u8(f, v >> 8 & 0xFF);
    fb_u8(f, v & 0xFF);
}

static void fb_be32(struct fb *f, uint32_t v)
{
    fb_be16(f, v >> 16);
    fb_be16(f, v & 0xFFFF);
}

static void fb_le32(struct fb *f, uint32_t v)
{
    fb_u8(f, v & 0xFF);
    fb_u8(f, v >> 8 & 0xFF);
    fb_u8(f, v >> 16 & 0xFF);
    fb_u8(f, v >> 24);
}

static void fb_fill(struct fb *f, size_t n, unsigned v)
{
    for (size_t i = 0; i < n; i++)
        fb_u8(f, v);
}

static void fb_eth(struct fb *f, unsigned type)
{
    static const uint8_t macs[12] = { 0, 1, 2, 3, 4, 5, 0, 6, 7, 8, 9, 10 };

    for (size_t i = 0; i < sizeof macs; i++)
        fb_u8(f, macs[i]);
    fb_be16(f, type);
}

static void fb_vlan(struct fb *f, unsigned tci, unsigned type)
{
    fb_be16(f, tci);
    fb_be16(f, type);
}

static const uint8_t v4_src[4] = { 10, 0, 0, 1 };
static const uint8_t v4_dst[4] = { 192, 168, 1, 2 };
static const uint8_t v6_src[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
static const uint8_t v6_dst[16] = { 0x20, 0x01, 0x0d, 0xb8, [14] = 0xab, [15] = 2 };

/* IPv4 header with optlen bytes of NOP options; total length covers l4len more bytes. */
static void fb_ipv4(struct fb *f, unsigned proto, size_t optlen, size_t l4len, unsigned id,
                    unsigned ff)
{
    fb_u8(f, 0x40 | (unsigned)((20 + optlen) / 4));
    fb_u8(f, 0);
    fb_be16(f, (unsigned)(20 + optlen + l4len));
    fb_be16(f, id);
    fb_be16(f, ff);
    fb_u8(f, 64);
    fb_u8(f, proto);
    fb_be16(f, 0);
    for (size_t i = 0; i < 4; i++)
        fb_u8(f, v4_src[i]);
    for (size_t i = 0; i < 4; i++)
        fb_u8(f, v4_dst[i]);
    fb_fill(f, optlen, 1);
}

static void fb_ipv6(struct fb *f, unsigned nxt, size_t plen)
{
    fb_be32(f, 0x60000000u);
    fb_be16(f, (unsigned)plen);
    fb_u8(f, nxt);
    fb_u8(f, 64);
    for (size_t i = 0; i < 16; i++)
        fb_u8(f, v6_src[i]);
    for (size_t i = 0; i < 16; i++)
        fb_u8(f, v6_dst[i]);
}

/* Generic extension header of (len8 + 1) * 8 bytes. */
static void fb_ext(struct fb *f, unsigned nxt, unsigned len8)
{
    fb_u8(f, nxt);
    fb_u8(f, len8);
    fb_fill(f, (size_t)(len8 + 1) * 8 - 2, 0);
}

static void fb_frag6(struct fb *f, unsigned nxt, unsigned off8, bool more, uint32_t id)
{
    fb_u8(f, nxt);
    fb_u8(f, 0);
    fb_be16(f, off8 << 3 | (more ? 1u : 0u));
    fb_be32(f, id);
}

static void fb_tcp(struct fb *f, unsigned sport, unsigned dport, uint32_t seq, uint32_t ack,
                   unsigned flags, size_t optlen)
{
    fb_be16(f, sport);
    fb_be16(f, dport);
    fb_be32(f, seq);
    fb_be32(f, ack);
    fb_u8(f, (unsigned)((20 + optlen) / 4) << 4);
    fb_u8(f, flags);
    fb_be16(f, 65535);
    fb_be16(f, 0);
    fb_be16(f, 0);
    fb_fill(f, optlen, 1);
}

static void fb_udp(struct fb *f, unsigned sport, unsigned dport, size_t ulen)
{
    fb_be16(f, sport);
    fb_be16(f, dport);
    fb_be16(f, (unsigned)ulen);
    fb_be16(f, 0);
}

static struct dec_pkt dec(uint32_t linktype, const struct fb *f)
{
    struct dec_pkt d;

    dec_packet(linktype, f->b, f->n, &d);
    return d;
}

/* Offsets always stay inside the frame. */
static bool dec_sane(const struct dec_pkt *d, size_t len)
{
    if (d->l3_off > len || d->l4_off > len || d->payload_off > len)
        return false;
    if ((size_t)d->payload_off + d->payload_len > len)
        return false;
    if (d->payload_len && !d->payload_off)
        return false;
    if (d->has_ports && (!d->ipver || !d->l4_off))
        return false;
    return true;
}

static void check_v4_addrs(const struct dec_pkt *d)
{
    static const uint8_t zero[12];

    T_MEMEQ(d->src, v4_src, 4);
    T_MEMEQ(d->dst, v4_dst, 4);
    T_MEMEQ(d->src + 4, zero, 12);
    T_MEMEQ(d->dst + 4, zero, 12);
}

/* Ethernet + IPv4 + TCP with 10 payload bytes: 64 bytes. */
static void build_eth_v4_tcp(struct fb *f)
{
    f->n = 0;
    fb_eth(f, 0x0800);
    fb_ipv4(f, 6, 0, 30, 0x1234, 0x4000);
    fb_tcp(f, 40000, 80, 0x01020304u, 0xA0B0C0D0u, 0x18, 0);
    fb_fill(f, 10, 'x');
}

/* ---- link layers --------------------------------------------------------------------- */

TEST(eth_ipv4_tcp)
{
    struct fb f = { .n = 0 };
    struct dec_pkt d;

    build_eth_v4_tcp(&f);
    d = dec(1, &f);
    T_EQ(d.anomalies, 0);
    T_EQ(d.ipver, 4);
    T_EQ(d.proto, 6);
    T_TRUE(d.has_ports);
    T_TRUE(d.has_flags);
    T_TRUE(!d.frag);
    T_TRUE(!d.frag_first);
    T_EQ(d.sport, 40000);
    T_EQ(d.dport, 80);
    T_EQ(d.seq, 0x01020304u);
    T_EQ(d.ack, 0xA0B0C0D0u);
    T_EQ(d.tcp_flags, DEC_TCP_PSH | DEC_TCP_ACK);
    T_EQ(d.frag_id, 0x1234);
    check_v4_addrs(&d);
    T_EQ(d.l3_off, 14);
    T_EQ(d.l4_off, 34);
    T_EQ(d.payload_off, 54);
    T_EQ(d.payload_len, 10);
    T_TRUE(dec_sane(&d, f.n));
}

TEST(eth_padding_ignored)
{
    struct fb f = { .n = 0 };
    struct dec_pkt d;

    fb_eth(&f, 0x0800);
    fb_ipv4(&f, 6, 0, 20, 1, 0);
    fb_tcp(&f, 1, 2, 3, 4, DEC_TCP_ACK, 0);
    fb_fill(&f, 6, 0);          /* 60-byte minimum frame */
    fb_fill(&f, 4, 0xEE);       /* and an FCS */
    d = dec(1, &f);
    T_EQ(d.anomalies, 0);
    T_EQ(d.payload_off, 54);
    T_EQ(d.payload_len, 0);
    T_EQ(d.tcp_flags, DEC_TCP_ACK);
}

TEST(vlan_and_qinq)
{
    static const unsigned outer[] = { 0x8100, 0x88A8, 0x9100 };
    struct fb f = { .n = 0 };
    struct dec_pkt d;

    fb_eth(&f, 0x8100);
    fb_vlan(&f, 100, 0x0800);
    fb_ipv4(&f, 17, 0, 8 + 3, 7, 0);
    fb_udp(&f, 53, 5353, 11);
    fb_fill(&f, 3, 'q');
    d = dec(1, &f);
    T_EQ(d.anomalies, 0);
    T_EQ(d.l3_off, 18);
    T_EQ(d.l4_off, 38);
    T_EQ(d.payload_off, 46);
    T_EQ(d.payload_len, 3);
    T_EQ(d.sport, 53);
    T_EQ(d.dport, 5353);

    for (size_t i = 0; i < sizeof outer / sizeof outer[0]; i++) {
        f.n = 0;
        fb_eth(&f, outer[i]);
        fb_vlan(&f, 10, 0x8100);
        fb_vlan(&f, 20, 0x86DD);
        fb_ipv6(&f, 6, 20);
        fb_tcp(&f, 443, 50000, 1, 2, DEC_TCP_SYN, 0);
        d = dec(1, &f);
        T_EQ(d.anomalies, 0);
        T_EQ(d.ipver, 6);
        T_EQ(d.l3_off, 22);
        T_EQ(d.l4_off, 62);
        T_EQ(d.sport, 443);
        T_EQ(d.payload_len, 0);
        T_EQ(d.payload_off, 82);
        T_MEMEQ(d.src, v6_src, 16);
        T_MEMEQ(d.dst, v6_dst, 16);
    }

    /* 8 tags are followed, a 9th is too deep */
    f.n = 0;
    fb_eth(&f, 0x8100);
    for (int i = 0; i < 7; i++)
        fb_vlan(&f, 1, 0x8100);
    fb_vlan(&f, 1, 0x0800);
    fb_ipv4(&f, 6, 0, 20, 1, 0);
    fb_tcp(&f, 1, 2, 0, 0, 0, 0);
    d = dec(1, &f);
    T_EQ(d.anomalies, 0);
    T_EQ(d.l3_off, 14 + 8 * 4);
    f.n = 0;
    fb_eth(&f, 0x8100);
    for (int i = 0; i < 8; i++)
        fb_vlan(&f, 1, 0x8100);
    fb_vlan(&f, 1, 0x0800);
    fb_ipv4(&f, 6, 0, 20, 1, 0);
    fb_tcp(&f, 1, 2, 0, 0, 0, 0);
    d = dec(1, &f);
    T_EQ(d.anomalies, DEC_A_LINK_UNKNOWN);
    T_EQ(d.ipver, 0);

    /* a tag cut by the capture */
    f.n = 0;
    fb_eth(&f, 0x88A8);
    fb_be16(&f, 5);
    d = dec(1, &f);
    T_EQ(d.anomalies, DEC_A_LINK_TRUNC);
}

TEST(eth_not_ip)
{
    struct fb f = { .n = 0 };
    struct dec_pkt d;

    fb_eth(&f, 0x0806);         /* ARP */
    fb_fill(&f, 28, 0);
    d = dec(1, &f);
    T_EQ(d.anomalies, DEC_A_LINK_UNKNOWN);
    T_EQ(d.ipver, 0);
    T_EQ(d.l3_off, 0);

    f.n = 0;
    fb_eth(&f, 46);             /* 802.3 length field, LLC follows */
    fb_be16(&f, 0xAAAA);
    fb_u8(&f, 3);
    fb_fill(&f, 3, 0);
    fb_be16(&f, 0x0800);        /* even SNAP-encapsulated IP is not followed */
    fb_ipv4(&f, 6, 0, 20, 1, 0);
    fb_tcp(&f, 1, 2, 0, 0, 0, 0);
    d = dec(1, &f);
    T_EQ(d.anomalies, DEC_A_LINK_UNKNOWN);
    T_EQ(d.ipver, 0);
    T_TRUE(!d.has_ports);

    f.n = 0;
    fb_eth(&f, 0x8100);
    fb_vlan(&f, 3, 1500);       /* tagged 802.3 */
    fb_fill(&f, 40, 0);
    d = dec(1, &f);
    T_EQ(d.anomalies, DEC_A_LINK_UNKNOWN);
}

TEST(linux_sll)
{
    struct fb f = { .n = 0 };
    struct dec_pkt d;

    fb_be16(&f, 0);             /* packet type: to us */
    fb_be16(&f, 1);             /* ARPHRD_ETHER */
    fb_be16(&f, 6);
    fb_fill(&f, 8, 0x11);
    fb_be16(&f, 0x0800);
    fb_ipv4(&f, 17, 0, 12, 9, 0);
    fb_udp(&f, 1000, 2000, 12);
    fb_be32(&f, 0xDEADBEEF);
    d = dec(113, &f);
    T_EQ(d.anomalies, 0);
    T_EQ(d.ipver, 4);
    T_EQ(d.l3_off, 16);
    T_EQ(d.l4_off, 36);
    T_EQ(d.payload_off, 44);
    T_EQ(d.payload_len, 4);
    T_EQ(d.sport, 1000);
    T_EQ(d.dport, 2000);
    check_v4_addrs(&d);

    /* VLAN inside SLL (ethertype 0x8100 in the protocol field) */
    f.n = 14;
    fb_be16(&f, 0x8100);
    fb_vlan(&f, 7, 0x86DD);
    fb_ipv6(&f, 17, 8);
    fb_udp(&f, 7, 8, 8);
    d = dec(113, &f);
    T_EQ(d.anomalies, 0);
    T_EQ(d.l3_off, 20);
    T_EQ(d.sport, 7);

    f.n = 15;
    d = dec(113, &f);
    T_EQ(d.anomalies, DEC_A_LINK_TRUNC);

    f.n = 14;
    fb_be16(&f, 0x0003);        /* ETH_P_ALL-style non-ethertype */
    d = dec(113, &f);
    T_EQ(d.anomalies, DEC_A_LINK_UNKNOWN);
}

TEST(linux_sll2)
{
    struct fb f = { .n = 0 };
    struct dec_pkt d;

    fb_be16(&f, 0x86DD);
    fb_be16(&f, 0);
    fb_be32(&f, 3);             /* ifindex */
    fb_be16(&f, 1);             /* ARPHRD_ETHER */
    fb_u8(&f, 4);               /* outgoing */
    fb_u8(&f, 6);
    fb_fill(&f, 8, 0x22);
    fb_ipv6(&f, 6, 24);
    fb_tcp(&f, 5000, 22, 9, 10, DEC_TCP_FIN | DEC_TCP_ACK, 0);
    fb_fill(&f, 4, 'z');
    d = dec(276, &f);
    T_EQ(d.anomalies, 0);
    T_EQ(d.ipver, 6);
    T_EQ(d.l3_off, 20);
    T_EQ(d.l4_off, 60);
    T_EQ(d.payload_off, 80);
    T_EQ(d.payload_len, 4);
    T_EQ(d.tcp_flags, DEC_TCP_FIN | DEC_TCP_ACK);

    f.n = 19;
    d = dec(276, &f);
    T_EQ(d.anomalies, DEC_A_LINK_TRUNC);
    f.n = 20;
    d = dec(276, &f);
    T_EQ(d.anomalies, DEC_A_IP_TRUNC);
    T_EQ(d.ipver, 0);
    T_EQ(d.l3_off, 20);
}

TEST(raw_ip)
{
    static const uint32_t raw[] = { 12, 14, 101 };
    struct fb v4 = { .n = 0 }, v6 = { .n = 0 };
    struct dec_pkt d;

    fb_ipv4(&v4, 6, 0, 20, 1, 0);
    fb_tcp(&v4, 1, 2, 3, 4, DEC_TCP_RST, 0);
    fb_ipv6(&v6, 17, 9);
    fb_udp(&v6, 3, 4, 9);
    fb_u8(&v6, 0);
    for (size_t i = 0; i < sizeof raw / sizeof raw[0]; i++) {
        d = dec(raw[i], &v4);
        T_EQ(d.anomalies, 0);
        T_EQ(d.ipver, 4);
        T_EQ(d.l3_off, 0);
        T_EQ(d.l4_off, 20);
        T_EQ(d.tcp_flags, DEC_TCP_RST);
        d = dec(raw[i], &v6);
        T_EQ(d.anomalies, 0);
        T_EQ(d.ipver, 6);
        T_EQ(d.l4_off, 40);
        T_EQ(d.payload_off, 48);
        T_EQ(d.payload_len, 1);
    }
    d = dec(228, &v4);
    T_EQ(d.anomalies, 0);
    T_EQ(d.ipver, 4);
    d = dec(229, &v6);
    T_EQ(d.anomalies, 0);
    T_EQ(d.ipver, 6);
    /* the link type fixes the version: a mismatch is a bad header */
    d = dec(228, &v6);
    T_EQ(d.anomalies, DEC_A_IP_BAD);
    T_EQ(d.ipver, 0);
    d = dec(229, &v4);
    T_EQ(d.anomalies, DEC_A_IP_BAD);
    v4.b[0] = 0x55;
    d = dec(101, &v4);
    T_EQ(d.anomalies, DEC_A_IP_BAD);
    T_EQ(d.ipver, 0);
    v4.n = 0;
    d = dec(101, &v4);
    T_EQ(d.anomalies, DEC_A_IP_TRUNC);
}

TEST(null_and_loop)
{
    static const uint32_t v6_afs[] = { 10, 24, 28, 30 };
    struct fb f = { .n = 0 };
    struct dec_pkt d;

    fb_le32(&f, 2);
    fb_ipv4(&f, 6, 0, 20, 1, 0);
    fb_tcp(&f, 8080, 1234, 0, 0, DEC_TCP_SYN, 0);
    d = dec(0, &f);
    T_EQ(d.anomalies, 0);
    T_EQ(d.ipver, 4);
    T_EQ(d.l3_off, 4);
    T_EQ(d.sport, 8080);

    f.n = 0;
    fb_be32(&f, 2);             /* captured on a big-endian host */
    fb_ipv4(&f, 6, 0, 20, 1, 0);
    fb_tcp(&f, 8080, 1234, 0, 0, DEC_TCP_SYN, 0);
    d = dec(0, &f);
    T_EQ(d.anomalies, 0);
    T_EQ(d.ipver, 4);
    d = dec(108, &f);           /* LOOP is always big-endian */
    T_EQ(d.anomalies, 0);
    T_EQ(d.ipver, 4);
    T_EQ(d.dport, 1234);

    for (size_t i = 0; i < sizeof v6_afs / sizeof v6_afs[0]; i++) {
        for (int be = 0; be < 2; be++) {
            f.n = 0;
            if (be)
                fb_be32(&f, v6_afs[i]);
            else
                fb_le32(&f, v6_afs[i]);
            fb_ipv6(&f, 6, 20);
            fb_tcp(&f, 1, 2, 0, 0, 0, 0);
            d = dec(0, &f);
            T_EQ(d.anomalies, 0);
            T_EQ(d.ipver, 6);
            T_EQ(d.l4_off, 44);
            d = dec(108, &f);
            T_EQ(d.anomalies, be ? 0 : DEC_A_LINK_UNKNOWN);
        }
    }

    f.n = 0;
    fb_le32(&f, 7);             /* AF_NS or so */
    fb_fill(&f, 40, 0);
    d = dec(0, &f);
    T_EQ(d.anomalies, DEC_A_LINK_UNKNOWN);
    T_EQ(d.ipver, 0);
    f.n = 3;
    d = dec(0, &f);
    T_EQ(d.anomalies, DEC_A_LINK_TRUNC);
    d = dec(108, &f);
    T_EQ(d.anomalies, DEC_A_LINK_TRUNC);
}

TEST(unknown_linktype)
{
    static const uint32_t yes[] = { 0, 1, 12, 14, 101, 108, 113, 228, 229, 276 };
    static const uint32_t no[] = { 2, 9, 105, 127, 147, 192, 220, 0xFFFFFFFFu };
    struct fb f = { .n = 0 };
    struct dec_pkt d;

    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
        T_TRUE(dec_linktype_supported(yes[i]));
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
        T_TRUE(!dec_linktype_supported(no[i]));

    build_eth_v4_tcp(&f);
    d = dec(105, &f);
    T_EQ(d.anomalies, DEC_A_LINK_UNKNOWN);
    T_EQ(d.ipver, 0);
    T_TRUE(!d.has_ports);
    T_EQ(d.l3_off, 0);
}

TEST(struct_cleared_each_call)
{
    struct fb f = { .n = 0 };
    struct dec_pkt d;
    static const struct dec_pkt zero;

    build_eth_v4_tcp(&f);
    dec_packet(1, f.b, f.n, &d);
    T_EQ(d.ipver, 4);
    dec_packet(1, f.b, 10, &d);
    T_EQ(d.anomalies, DEC_A_LINK_TRUNC);
    d.anomalies = 0;
    T_MEMEQ(&d, &zero, sizeof d);
    dec_packet(1, NULL, 0, &d);
    T_EQ(d.anomalies, DEC_A_LINK_TRUNC);
    dec_packet(101, NULL, 0, &d);
    T_EQ(d.anomalies, DEC_A_IP_TRUNC);
}

/* ---- IPv4 ---------------------------------------------------------------------------- */

TEST(ipv4_options)
{
    struct fb f = { .n = 0 };
    struct dec_pkt d;

    for (size_t opt = 4; opt <= 40; opt += 4) {
        f.n = 0;
        fb_eth(&f, 0x0800);
        fb_ipv4(&f, 17, opt, 10, 2, 0);
        fb_udp(&f, 67, 68, 10);
        fb_be16(&f, 0xABCD);
        d = dec(1, &f);
        T_EQ(d.anomalies, 0);
        T_EQ(d.l4_off, 34 + opt);
        T_EQ(d.payload_off, 42 + opt);
        T_EQ(d.payload_len, 2);
        T_EQ(d.sport, 67);
    }
    /* options cut by the capture: addresses known, nothing past them */
    f.n = 0;
    fb_eth(&f, 0x0800);
    fb_ipv4(&f, 17, 40, 10, 2, 0);
    f.n = 14 + 30;
    d = dec(1, &f);
    T_EQ(d.anomalies, DEC_A_IP_TRUNC | DEC_A_IP_LEN);
    T_EQ(d.ipver, 4);
    T_EQ(d.proto, 17);
    T_EQ(d.l4_off, 0);
    check_v4_addrs(&d);
}

TEST(ipv4_bad_headers)
{
    struct fb f = { .n = 0 };
    struct dec_pkt d;

    build_eth_v4_tcp(&f);
    f.b[14] = 0x44;             /* IHL 4 */
    d = dec(1, &f);
    T_EQ(d.anomalies, DEC_A_IP_BAD);
    T_EQ(d.ipver, 0);
    T_EQ(d.l3_off, 14);
    T_TRUE(!d.has_ports);

    build_eth_v4_tcp(&f);
    f.b[14] = 0x65;             /* version 6 behind ethertype IPv4 */
    d = dec(1, &f);
    T_EQ(d.anomalies, DEC_A_IP_BAD);
    T_EQ(d.ipver, 0);

    build_eth_v4_tcp(&f);
    f.b[16] = 0;                /* total length 19 < header */
    f.b[17] = 19;
    d = dec(1, &f);
    T_EQ(d.anomalies, DEC_A_IP_BAD);
    T_EQ(d.ipver, 0);

    build_eth_v4_tcp(&f);
    f.b[14] = 0x46;             /* IHL 6, total length 50 covers it: TCP shifted */
    d = dec(1, &f);
    T_EQ(d.l4_off, 38);

    /* total length 0: TSO capture, the payload runs to the captured end */
    build_eth_v4_tcp(&f);
    f.b[16] = 0;
    f.b[17] = 0;
    d = dec(1, &f);
    T_EQ(d.anomalies, 0);
    T_EQ(d.ipver, 4);
    T_EQ(d.payload_len, 10);
}

TEST(ipv4_length_beyond_capture)
{
    struct fb f = { .n = 0 };
    struct dec_pkt d;

    fb_eth(&f, 0x0800);
    fb_ipv4(&f, 6, 0, 1480, 5, 0x4000);
    fb_tcp(&f, 80, 40000, 7, 8, DEC_TCP_ACK, 12);
    fb_fill(&f, 30, 'd');       /* snaplen 96 */
    d = dec(1, &f);
    T_EQ(d.anomalies, DEC_A_IP_LEN);
    T_EQ(d.payload_off, 66);
    T_EQ(d.payload_len, 30);
    T_TRUE(d.has_flags);
}

TEST(ipv4_fragments)
{
    struct fb f = { .n = 0 };
    struct dec_pkt d;

    /* first fragment: MF, offset 0 */
    fb_eth(&f, 0x0800);
    fb_ipv4(&f, 17, 0, 1480, 0xBEEF, 0x2000);
    fb_udp(&f, 5000, 53, 3000);         /* the whole datagram's length */
    fb_fill(&f, 1472, 0);
    d = dec(1, &f);
    T_EQ(d.anomalies, 0);
    T_TRUE(d.frag);
    T_TRUE(d.frag_first);
    T_EQ(d.frag_id, 0xBEEF);
    T_TRUE(d.has_ports);
    T_EQ(d.sport, 5000);
    T_EQ(d.dport, 53);
    T_EQ(d.payload_off, 42);
    T_EQ(d.payload_len, 1472);

    /* middle fragment: MF, offset 185 * 8 */
    f.n = 0;
    fb_eth(&f, 0x0800);
    fb_ipv4(&f, 17, 0, 16, 0xBEEF, 0x2000 | 185);
    fb_udp(&f, 1111, 2222, 16);         /* looks like ports, is data */
    fb_fill(&f, 8, 0);
    d = dec(1, &f);
    T_EQ(d.anomalies, 0);
    T_TRUE(d.frag);
    T_TRUE(!d.frag_first);
    T_EQ(d.frag_id, 0xBEEF);
    T_EQ(d.ipver, 4);
    T_EQ(d.proto, 17);
    T_TRUE(!d.has_ports);
    T_EQ(d.sport, 0);
    T_EQ(d.l4_off, 0);
    T_EQ(d.payload_off, 0);
    T_EQ(d.payload_len, 0);
    check_v4_addrs(&d);

    /* last fragment: no MF, offset > 0 */
    f.b[14 + 6] = 0x00;
    f.b[14 + 7] = 0xB9;
    d = dec(1, &f);
    T_TRUE(d.frag);
    T_TRUE(!d.frag_first);
    T_TRUE(!d.has_ports);

    /* DF alone is not a fragment */
    f.b[14 + 6] = 0x40;
    f.b[14 + 7] = 0x00;
    d = dec(1, &f);
    T_TRUE(!d.frag);
    T_TRUE(!d.frag_first);
    T_TRUE(d.has_ports);
    T_EQ(d.sport, 1111);

    /* a tiny first fragment that cuts the TCP header after the ports */
    f.n = 0;
    fb_eth(&f, 0x0800);
    fb_ipv4(&f, 6, 0, 8, 3, 0x2000);
    fb_tcp(&f, 22, 2222, 0, 0, 0, 0);
    d = dec(1, &f);
    T_TRUE(d.frag_first);
    T_TRUE(d.has_ports);
    T_TRUE(!d.has_flags);
    T_EQ(d.anomalies, DEC_A_L4_TRUNC);
}

TEST(ip_tunnels_not_followed)
{
    static const unsigned protos[] = { 4, 41, 47, 50 };
    struct fb f = { .n = 0 };
    struct dec_pkt d;

    for (size_t i = 0; i < sizeof protos / sizeof protos[0]; i++) {
        f.n = 0;
        fb_eth(&f, 0x0800);
        fb_ipv4(&f, protos[i], 0, 40, 1, 0);
        fb_ipv4(&f, 6, 0, 20, 2, 0);
        fb_tcp(&f, 1, 2, 0, 0, 0, 0);
        d = dec(1, &f);
        T_EQ(d.anomalies, 0);
        T_EQ(d.proto, protos[i]);
        T_TRUE(!d.has_ports);
        T_EQ(d.l4_off, 34);
        T_EQ(d.payload_off, 0);

        f.n = 0;
        fb_ipv6(&f, protos[i], 40);
        fb_ipv4(&f, 6, 0, 20, 2, 0);
        d = dec(101, &f);       /* only the first 20 bytes of the 40 are there */
        T_EQ(d.anomalies, DEC_A_IP_LEN);
        T_EQ(d.proto, protos[i]);
        T_TRUE(!d.has_ports);
    }
}

/* AH of len4 (its length in 4-byte units, minus 2) with next header nxt. */
static void fb_ah(struct fb *f, unsigned nxt, unsigned len4)
{
    fb_u8(f, nxt);
    fb_u8(f, len4);
    fb_fill(f, (size_t)(len4 + 2) * 4 - 2, 0);
}

/* RFC 4302: AH protects IPv4 as it does IPv6; the transport header follows it. */
TEST(ipv4_ah)
{
    struct fb f = { .n = 0 };
    struct dec_pkt d;

    /* IPv4 + AH (24 bytes) + TCP + 5 bytes */
    fb_eth(&f, 0x0800);
    fb_ipv4(&f, 51, 0, 24 + 20 + 5, 1, 0x4000);
    fb_ah(&f, 6, 4);
    fb_tcp(&f, 40000, 80, 7, 0, DEC_TCP_SYN, 0);
    fb_fill(&f, 5, 'x');
    fb_fill(&f, 6, 0);          /* Ethernet padding */
    d = dec(1, &f);
    T_EQ(d.anomalies, 0);
    T_EQ(d.ipver, 4);
    T_EQ(d.proto, 6);
    T_TRUE(d.has_ports);
    T_TRUE(d.has_flags);
    T_EQ(d.sport, 40000);
    T_EQ(d.tcp_flags, DEC_TCP_SYN);
    T_EQ(d.l4_off, 14 + 20 + 24);
    T_EQ(d.payload_off, 14 + 20 + 24 + 20);
    T_EQ(d.payload_len, 5);

    /* AH + AH + UDP, with IPv4 options */
    f.n = 0;
    fb_ipv4(&f, 51, 8, 16 + 12 + 8 + 3, 1, 0);
    fb_ah(&f, 51, 2);
    fb_ah(&f, 17, 1);
    fb_udp(&f, 53, 1053, 8 + 3);
    fb_fill(&f, 3, 'y');
    d = dec(228, &f);
    T_EQ(d.anomalies, 0);
    T_EQ(d.proto, 17);
    T_TRUE(d.has_ports);
    T_EQ(d.dport, 1053);
    T_EQ(d.l4_off, 28 + 28);
    T_EQ(d.payload_len, 3);

    /* AH + ESP: nothing more to read */
    f.n = 0;
    fb_ipv4(&f, 51, 0, 16 + 16, 1, 0);
    fb_ah(&f, 50, 2);
    fb_fill(&f, 16, 0);
    d = dec(228, &f);
    T_EQ(d.anomalies, 0);
    T_EQ(d.proto, 50);
    T_TRUE(!d.has_ports);
    T_EQ(d.l4_off, 36);

    /* an AH longer than the total length: malformed */
    f.n = 0;
    fb_ipv4(&f, 51, 0, 12, 1, 0);
    fb_ah(&f, 6, 4);
    fb_tcp(&f, 1, 2, 0, 0, 0, 0);
    d = dec(228, &f);
    T_EQ(d.anomalies, DEC_A_EXTHDR);
    T_EQ(d.ipver, 4);
    T_EQ(d.proto, 51);
    T_TRUE(!d.has_ports);
    T_EQ(d.l4_off, 0);

    /* the same, cut by the capture instead */
    f.n = 0;
    fb_ipv4(&f, 51, 0, 24 + 20, 1, 0);
    fb_ah(&f, 6, 4);
    f.n -= 10;
    d = dec(228, &f);
    T_EQ(d.anomalies, DEC_A_IP_TRUNC | DEC_A_IP_LEN);
    T_EQ(d.proto, 51);
    T_TRUE(!d.has_ports);

    /* first fragment: ports after the AH; the datagram is keyed by AH */
    f.n = 0;
    fb_ipv4(&f, 51, 0, 24 + 8, 9, 0x2000);
    fb_ah(&f, 17, 4);
    fb_udp(&f, 1, 2, 400);
    d = dec(228, &f);
    T_EQ(d.anomalies, 0);
    T_TRUE(d.frag);
    T_TRUE(d.frag_first);
    T_EQ(d.frag_proto, 51);
    T_EQ(d.proto, 17);
    T_TRUE(d.has_ports);
    T_EQ(d.frag_data_off, 20);
    T_EQ(d.frag_data_len, 32);

    /* a later fragment: AH is its protocol, no transport header */
    f.n = 0;
    fb_ipv4(&f, 51, 0, 16, 9, 4);
    fb_fill(&f, 16, 0);
    d = dec(228, &f);
    T_EQ(d.anomalies, 0);
    T_EQ(d.proto, 51);
    T_EQ(d.frag_proto, 51);
    T_TRUE(!d.frag_first);
    T_TRUE(!d.has_ports);
}

TEST(other_protocols_have_no_ports)
{
    struct fb f = { .n = 0 };
    struct dec_pkt d;

    fb_ipv4(&f, 1, 0, 8, 1, 0);   /* ICMP echo */
    fb_be32(&f, 0x08000000u);
    fb_be32(&f, 0x00010001u);
    d = dec(228, &f);
    T_EQ(d.anomalies, 0);
    T_EQ(d.proto, 1);
    T_TRUE(!d.has_ports);
    T_EQ(d.l4_off, 20);
    T_EQ(d.payload_off, 0);

    f.n = 0;
    fb_ipv6(&f, 132, 12);       /* SCTP */
    fb_be16(&f, 1);
    fb_be16(&f, 2);
    fb_fill(&f, 8, 0);
    d = dec(229, &f);
    T_EQ(d.anomalies, 0);
    T_EQ(d.proto, 132);
    T_TRUE(!d.has_ports);
    T_EQ(d.sport, 0);

    f.n = 0;
    fb_ipv4(&f, 136, 0, 8, 1, 0);   /* UDP-Lite */
    fb_udp(&f, 1, 2, 0);
    d = dec(228, &f);
    T_EQ(d.proto, 136);
    T_TRUE(!d.has_ports);
}

/* ---- IPv6 ---------------------------------------------------------------------------- */

TEST(ipv6_hbh_and_fragments)
{
    struct fb f = { .n = 0 };
    struct dec_pkt d;

    /* hop-by-hop + fragment (first) + UDP */
    fb_eth(&f, 0x86DD);
    fb_ipv6(&f, 0, 8 + 8 + 8 + 4);
    fb_ext(&f, 44, 0);
    fb_frag6(&f, 17, 0, true, 0xCAFEBABEu);
    fb_udp(&f, 546, 547, 2000);
    fb_be32(&f, 0);
    d = dec(1, &f);
    T_EQ(d.anomalies, 0);
    T_EQ(d.ipver, 6);
    T_EQ(d.proto, 17);
    T_TRUE(d.frag);
    T_TRUE(d.frag_first);
    T_EQ(d.frag_id, 0xCAFEBABEu);
    T_TRUE(d.has_ports);
    T_EQ(d.sport, 546);
    T_EQ(d.l4_off, 14 + 40 + 16);
    T_EQ(d.payload_off, 14 + 40 + 24);
    T_EQ(d.payload_len, 4);

    /* non-first fragment: the walk stops, proto from the fragment header */
    f.n = 0;
    fb_eth(&f, 0x86DD);
    fb_ipv6(&f, 0, 8 + 8 + 16);
    fb_ext(&f, 44, 0);
    fb_frag6(&f, 6, 181, false, 7);
    fb_tcp(&f, 1, 2, 0, 0, 0, 0);       /* just data */
    f.n -= 4;
    d = dec(1, &f);
    T_EQ(d.anomalies, 0);
    T_EQ(d.proto, 6);
    T_TRUE(d.frag);
    T_TRUE(!d.frag_first);
    T_EQ(d.frag_id, 7);
    T_TRUE(!d.has_ports);
    T_EQ(d.l4_off, 0);
    T_MEMEQ(d.src, v6_src, 16);

    /* atomic fragment (offset 0, M clear): a whole packet */
    f.n = 0;
    fb_ipv6(&f, 44, 8 + 20);
    fb_frag6(&f, 6, 0, false, 99);
    fb_tcp(&f, 10, 20, 0, 0, DEC_TCP_SYN, 0);
    d = dec(229, &f);
    T_EQ(d.anomalies, 0);
    T_TRUE(!d.frag);
    T_TRUE(!d.frag_first);
    T_EQ(d.frag_id, 99);
    T_TRUE(d.has_ports);
    T_EQ(d.l4_off, 48);
}

TEST(ipv6_ext_chain)
{
    struct fb f = { .n = 0 };
    struct dec_pkt d;

    /* dest opts (16) + routing (24) + AH (len 4 -> 24 bytes) + mobility (8) + TCP */
    fb_ipv6(&f, 60, 16 + 24 + 24 + 8 + 20);
    fb_ext(&f, 43, 1);
    fb_ext(&f, 51, 2);
    fb_u8(&f, 135);             /* AH: next, len in 4-byte units + 2 */
    fb_u8(&f, 4);
    fb_fill(&f, 22, 0);
    fb_ext(&f, 6, 0);
    fb_tcp(&f, 7, 8, 0, 0, 0, 0);
    d = dec(229, &f);
    T_EQ(d.anomalies, 0);
    T_EQ(d.proto, 6);
    T_EQ(d.l4_off, 40 + 72);
    T_EQ(d.sport, 7);
    T_EQ(d.payload_off, 40 + 72 + 20);

    /* HIP and shim6 are walked too */
    f.n = 0;
    fb_ipv6(&f, 139, 16 + 8);
    fb_ext(&f, 140, 0);
    fb_ext(&f, 17, 0);
    fb_udp(&f, 1, 2, 8);
    d = dec(229, &f);
    T_EQ(d.anomalies, 0);
    T_EQ(d.l4_off, 56);
    T_TRUE(d.has_ports);

    /* no next header */
    f.n = 0;
    fb_ipv6(&f, 60, 8);
    fb_ext(&f, 59, 0);
    d = dec(229, &f);
    T_EQ(d.anomalies, 0);
    T_EQ(d.proto, 59);
    T_EQ(d.l4_off, 0);

    /* 16 headers are fine, 17 are too many */
    f.n = 0;
    fb_ipv6(&f, 60, 16 * 8 + 8);
    for (int i = 0; i < 15; i++)
        fb_ext(&f, 60, 0);
    fb_ext(&f, 17, 0);
    fb_udp(&f, 1, 2, 8);
    d = dec(229, &f);
    T_EQ(d.anomalies, 0);
    T_TRUE(d.has_ports);
    f.n = 0;
    fb_ipv6(&f, 60, 17 * 8 + 8);
    for (int i = 0; i < 16; i++)
        fb_ext(&f, 60, 0);
    fb_ext(&f, 17, 0);
    fb_udp(&f, 1, 2, 8);
    d = dec(229, &f);
    T_EQ(d.anomalies, DEC_A_EXTHDR);
    T_EQ(d.ipver, 6);
    T_TRUE(!d.has_ports);
    T_EQ(d.l4_off, 0);

    /* an extension header longer than the payload length: malformed */
    f.n = 0;
    fb_ipv6(&f, 0, 8);
    fb_ext(&f, 17, 1);          /* 16 bytes */
    fb_fill(&f, 16, 0);
    d = dec(229, &f);
    T_EQ(d.anomalies, DEC_A_EXTHDR);
    T_EQ(d.proto, 0);
    T_TRUE(!d.has_ports);

    /* the same, cut by the capture instead */
    f.n = 0;
    fb_ipv6(&f, 0, 64);
    fb_ext(&f, 17, 1);
    f.n -= 4;
    d = dec(229, &f);
    T_EQ(d.anomalies, DEC_A_IP_TRUNC | DEC_A_IP_LEN);
    T_EQ(d.ipver, 6);
}

TEST(ipv6_lengths)
{
    struct fb f = { .n = 0 };
    struct dec_pkt d;

    /* payload length 0 with a jumbo hop-by-hop option: the capture decides */
    fb_ipv6(&f, 0, 0);
    fb_u8(&f, 6);
    fb_u8(&f, 0);
    fb_u8(&f, 0xC2);
    fb_u8(&f, 4);
    fb_be32(&f, 70000);
    fb_tcp(&f, 1, 2, 0, 0, DEC_TCP_ACK, 0);
    fb_fill(&f, 100, 'j');
    d = dec(229, &f);
    T_EQ(d.anomalies, 0);
    T_EQ(d.payload_off, 68);
    T_EQ(d.payload_len, 100);

    /* payload length beyond the capture */
    f.n = 0;
    fb_eth(&f, 0x86DD);
    fb_ipv6(&f, 6, 1000);
    fb_tcp(&f, 1, 2, 0, 0, DEC_TCP_ACK, 0);
    fb_fill(&f, 10, 0);
    d = dec(1, &f);
    T_EQ(d.anomalies, DEC_A_IP_LEN);
    T_EQ(d.payload_len, 10);

    /* Ethernet padding after a short IPv6 packet */
    f.n = 0;
    fb_eth(&f, 0x86DD);
    fb_ipv6(&f, 17, 9);
    fb_udp(&f, 1, 2, 9);
    fb_u8(&f, 'a');
    fb_fill(&f, 20, 0);
    d = dec(1, &f);
    T_EQ(d.anomalies, 0);
    T_EQ(d.payload_len, 1);

    /* bad version behind ethertype IPv6 */
    f.b[14] = 0x45;
    d = dec(1, &f);
    T_EQ(d.anomalies, DEC_A_IP_BAD);
    T_EQ(d.ipver, 0);
}

/* ---- TCP and UDP --------------------------------------------------------------------- */

TEST(tcp_flags)
{
    static const unsigned flags[] = { DEC_TCP_FIN, DEC_TCP_SYN, DEC_TCP_RST, DEC_TCP_PSH,
                                      DEC_TCP_ACK, DEC_TCP_URG, DEC_TCP_ECE, DEC_TCP_CWR,
                                      DEC_TCP_SYN | DEC_TCP_ACK, 0xFF, 0 };
    struct fb f = { .n = 0 };
    struct dec_pkt d;

    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++) {
        f.n = 0;
        fb_ipv4(&f, 6, 0, 20, 1, 0);
        fb_tcp(&f, 1, 2, 0xFFFFFFFFu, 0x80000000u, flags[i], 0);
        d = dec(228, &f);
        T_EQ(d.anomalies, 0);
        T_TRUE(d.has_flags);
        T_EQ(d.tcp_flags, flags[i]);
        T_EQ(d.seq, 0xFFFFFFFFu);
        T_EQ(d.ack, 0x80000000u);
    }
}

TEST(tcp_header_lengths)
{
    struct fb f = { .n = 0 };
    struct dec_pkt d;

    /* options: data offset 15 */
    fb_ipv4(&f, 6, 0, 60 + 3, 1, 0);
    fb_tcp(&f, 1, 2, 0, 0, DEC_TCP_SYN, 40);
    fb_fill(&f, 3, 'p');
    d = dec(228, &f);
    T_EQ(d.anomalies, 0);
    T_EQ(d.payload_off, 80);
    T_EQ(d.payload_len, 3);

    /* options cut by the IP length */
    f.b[2] = 0;
    f.b[3] = 20 + 30;
    d = dec(228, &f);
    T_EQ(d.anomalies, DEC_A_L4_TRUNC);
    T_TRUE(d.has_ports);
    T_TRUE(d.has_flags);
    T_EQ(d.payload_off, 0);
    T_EQ(d.payload_len, 0);

    /* data offset < 5 */
    for (unsigned doff = 0; doff < 5; doff++) {
        f.n = 0;
        fb_ipv4(&f, 6, 0, 20 + 4, 1, 0);
        fb_tcp(&f, 1, 2, 0, 0, DEC_TCP_ACK, 0);
        fb_fill(&f, 4, 0);
        f.b[20 + 12] = (uint8_t)(doff << 4);
        d = dec(228, &f);
        T_EQ(d.anomalies, DEC_A_L4_BAD);
        T_TRUE(d.has_ports);
        T_TRUE(d.has_flags);
        T_EQ(d.tcp_flags, DEC_TCP_ACK);
        T_EQ(d.payload_off, 0);
        T_EQ(d.payload_len, 0);
    }
}

TEST(udp_lengths)
{
    struct fb f = { .n = 0 };
    struct dec_pkt d;

    /* UDP length shorter than the IP payload: honoured */
    fb_ipv4(&f, 17, 0, 8 + 10, 1, 0);
    fb_udp(&f, 1, 2, 8 + 4);
    fb_fill(&f, 10, 'u');
    d = dec(228, &f);
    T_EQ(d.anomalies, 0);
    T_EQ(d.payload_off, 28);
    T_EQ(d.payload_len, 4);

    /* longer than the IP payload: bad, the IP length wins */
    f.b[24] = 0;
    f.b[25] = 100;
    d = dec(228, &f);
    T_EQ(d.anomalies, DEC_A_L4_BAD);
    T_TRUE(d.has_ports);
    T_EQ(d.payload_len, 10);

    /* shorter than its own header */
    f.b[25] = 7;
    d = dec(228, &f);
    T_EQ(d.anomalies, DEC_A_L4_BAD);
    T_EQ(d.payload_len, 10);

    /* within the IP length but beyond the capture: payload is what is there */
    f.n = 0;
    fb_ipv4(&f, 17, 0, 8 + 100, 1, 0);
    fb_udp(&f, 1, 2, 8 + 100);
    fb_fill(&f, 10, 'u');
    d = dec(228, &f);
    T_EQ(d.anomalies, DEC_A_IP_LEN);
    T_EQ(d.payload_len, 10);

    /* header cut after the ports */
    f.n = 0;
    fb_ipv4(&f, 17, 0, 6, 1, 0);
    fb_udp(&f, 9, 10, 8);
    f.n -= 2;
    d = dec(228, &f);
    T_EQ(d.anomalies, DEC_A_L4_TRUNC);
    T_TRUE(d.has_ports);
    T_EQ(d.sport, 9);
    T_EQ(d.payload_off, 0);
}

/* ---- truncation at every length ------------------------------------------------------ */

TEST(truncate_eth_ipv4_tcp_everywhere)
{
    struct fb f = { .n = 0 };
    struct dec_pkt d;

    build_eth_v4_tcp(&f);
    T_EQ(f.n, 64);
    for (size_t len = 0; len <= f.n; len++) {
        uint32_t want;

        dec_packet(1, f.b, len, &d);
        T_TRUE(dec_sane(&d, len));
        if (len < 14) {
            T_EQ(d.anomalies, DEC_A_LINK_TRUNC);
            T_EQ(d.ipver, 0);
            continue;
        }
        if (len < 34) {
            T_EQ(d.anomalies, DEC_A_IP_TRUNC);
            T_EQ(d.ipver, 0);
            T_EQ(d.l3_off, 14);
            continue;
        }
        T_EQ(d.ipver, 4);
        T_EQ(d.proto, 6);
        check_v4_addrs(&d);
        want = len < 64 ? DEC_A_IP_LEN : 0;
        if (len - 34 < 20)
            want |= DEC_A_L4_TRUNC;
        T_EQ(d.anomalies, want);
        T_EQ(d.has_ports, len - 34 >= 4);
        T_EQ(d.has_flags, len - 34 >= 14);
        T_EQ(d.l4_off, len > 34 ? 34 : 0);
        if (len >= 54) {
            T_EQ(d.payload_off, 54);
            T_EQ(d.payload_len, len - 54);
        } else {
            T_EQ(d.payload_off, 0);
            T_EQ(d.payload_len, 0);
        }
        if (d.has_ports) {
            T_EQ(d.sport, 40000);
            T_EQ(d.dport, 80);
        }
    }
}

TEST(truncate_other_frames_everywhere)
{
    struct fb frames[4];
    static const uint32_t lt[4] = { 1, 276, 0, 113 };
    struct dec_pkt d;

    memset(frames, 0, sizeof frames);
    /* QinQ + IPv6 + HBH + fragment (first) + UDP */
    fb_eth(&frames[0], 0x88A8);
    fb_vlan(&frames[0], 1, 0x8100);
    fb_vlan(&frames[0], 2, 0x86DD);
    fb_ipv6(&frames[0], 0, 8 + 8 + 8 + 5);
    fb_ext(&frames[0], 44, 0);
    fb_frag6(&frames[0], 17, 0, true, 1);
    fb_udp(&frames[0], 1, 2, 13);
    fb_fill(&frames[0], 5, 'a');
    /* SLL2 + IPv6 + routing + TCP with options */
    fb_be16(&frames[1], 0x86DD);
    fb_fill(&frames[1], 18, 0);
    fb_ipv6(&frames[1], 43, 16 + 32 + 2);
    fb_ext(&frames[1], 6, 1);
    fb_tcp(&frames[1], 1, 2, 3, 4, DEC_TCP_SYN, 12);
    fb_fill(&frames[1], 2, 'b');
    /* NULL + IPv4 with options + UDP */
    fb_le32(&frames[2], 2);
    fb_ipv4(&frames[2], 17, 8, 8 + 3, 1, 0);
    fb_udp(&frames[2], 1, 2, 11);
    fb_fill(&frames[2], 3, 'c');
    /* SLL + VLAN + IPv4 + TCP */
    fb_fill(&frames[3], 14, 0);
    fb_be16(&frames[3], 0x8100);
    fb_vlan(&frames[3], 3, 0x0800);
    fb_ipv4(&frames[3], 6, 0, 20 + 1, 1, 0);
    fb_tcp(&frames[3], 1, 2, 3, 4, DEC_TCP_FIN, 0);
    fb_u8(&frames[3], 'd');

    for (size_t i = 0; i < 4; i++) {
        const struct fb *f = &frames[i];

        for (size_t len = 0; len <= f->n; len++) {
            dec_packet(lt[i], f->b, len, &d);
            T_TRUE(dec_sane(&d, len));
            if (len < f->n) {
                T_TRUE(d.anomalies != 0);
                T_TRUE(d.payload_len < f->n - (size_t)d.payload_off || !d.payload_off);
            } else {
                T_EQ(d.anomalies, 0);
                T_TRUE(d.has_ports);
                T_EQ(d.sport, 1);
                T_EQ(d.dport, 2);
                T_TRUE(d.payload_len > 0);
                T_EQ((size_t)d.payload_off + d.payload_len, f->n);
            }
        }
    }
}

/* One IPv4 fragment (raw IP) of a datagram of 24 bytes: bytes[i] = i, 8 at offset off8 * 8. */
static struct dec_pkt frag4(struct fb *f, unsigned off8, size_t len, bool more, unsigned id)
{
    f->n = 0;
    fb_ipv4(f, 17, 0, len, id, (more ? 0x2000u : 0u) | off8);
    for (size_t i = 0; i < len; i++)
        fb_u8(f, (unsigned)(off8 * 8 + i));
    return dec(101, f);
}

TEST(defrag_reassembles_in_any_order)
{
    struct defrag *df = defrag_new();
    struct fb f[4];
    struct dec_pkt d[4];
    const uint8_t *out;
    size_t n;

    d[0] = frag4(&f[0], 2, 8, false, 7);        /* the last one first */
    d[1] = frag4(&f[1], 0, 8, true, 7);
    d[2] = frag4(&f[2], 0, 8, true, 8);         /* another datagram's */
    d[3] = frag4(&f[3], 1, 8, true, 7);
    T_EQ(d[0].frag_off, 16);
    T_TRUE(!d[0].frag_more);
    T_EQ(d[0].frag_data_off, 20);
    T_EQ(d[0].frag_data_len, 8);
    T_TRUE(!defrag_add(df, 0, &d[0], f[0].b, f[0].n, &out, &n));
    T_TRUE(!defrag_add(df, 0, &d[1], f[1].b, f[1].n, &out, &n));
    T_TRUE(!defrag_add(df, 1, &d[1], f[1].b, f[1].n, &out, &n));    /* other side: other slot */
    T_TRUE(!defrag_add(df, 0, &d[2], f[2].b, f[2].n, &out, &n));
    /* a changed copy of a block already held: the first copy wins */
    f[1].b[20] = 0xEE;
    T_TRUE(!defrag_add(df, 0, &d[1], f[1].b, f[1].n, &out, &n));
    T_EQ(defrag_stats(df)->overlaps, 1);
    T_TRUE(defrag_add(df, 0, &d[3], f[3].b, f[3].n, &out, &n));
    T_EQ(n, 24);
    for (size_t i = 0; i < 24 && n == 24; i++)
        T_EQ(out[i], i);
    T_EQ(defrag_stats(df)->datagrams, 1);
    defrag_free(df);
}

TEST(defrag_bounds)
{
    struct defrag *df = defrag_new();
    struct fb f;
    struct dec_pkt d;
    const uint8_t *out;
    size_t n;

    /* past 64 KiB: dropped, never written */
    d = frag4(&f, 8190, 16, false, 1);
    T_TRUE(!defrag_add(df, 0, &d, f.b, f.n, &out, &n));
    T_EQ(defrag_stats(df)->dropped, 1);
    /* a fragment claiming more data than the frame has is refused */
    d = frag4(&f, 0, 8, true, 2);
    d.frag_data_len = 4000;
    T_TRUE(!defrag_add(df, 0, &d, f.b, f.n, &out, &n));
    /* more datagrams than slots: the oldest is given up */
    for (unsigned id = 10; id < 10 + DEFRAG_SLOTS + 1; id++) {
        d = frag4(&f, 0, 8, true, id);
        T_TRUE(!defrag_add(df, 0, &d, f.b, f.n, &out, &n));
    }
    T_EQ(defrag_stats(df)->dropped, 1 + 1);
    d = frag4(&f, 1, 8, false, 10 + DEFRAG_SLOTS);
    T_TRUE(defrag_add(df, 0, &d, f.b, f.n, &out, &n));
    T_EQ(n, 16);
    defrag_free(df);
}

struct flushed {
    int n;
    size_t len[8];
    uint64_t ts[8];
    uint32_t pkt[8];
};

static void on_flush(void *arg, int side, uint8_t proto, const uint8_t *p, size_t n, uint64_t ts,
                     uint32_t pkt)
{
    struct flushed *f = arg;

    (void)side;
    T_EQ(proto, 17);                            /* frag4's: the first header of the payload */
    for (size_t i = 0; i < n; i++)
        T_EQ(p[i], i);
    f->len[f->n] = n;
    f->ts[f->n] = ts;
    f->pkt[f->n++] = pkt;
}

TEST(defrag_flush_gives_the_held_start)
{
    struct defrag *df = defrag_new();
    struct fb f;
    struct dec_pkt d;
    struct flushed got = { 0 };
    const uint8_t *out;
    size_t n;

    d = frag4(&f, 1, 8, true, 5);               /* datagram 5: bytes 8..15 only */
    T_TRUE(!defrag_add(df, 0, &d, f.b, f.n, &out, &n));
    defrag_stamp(df, 111, 3);
    d = frag4(&f, 0, 16, true, 6);              /* datagram 6: 0..15, then a hole */
    T_TRUE(!defrag_add(df, 0, &d, f.b, f.n, &out, &n));
    defrag_stamp(df, 222, 4);
    d = frag4(&f, 3, 8, false, 6);
    T_TRUE(!defrag_add(df, 0, &d, f.b, f.n, &out, &n));
    defrag_flush(df, on_flush, &got);
    /* 5 has no start: nothing; 6 gives its first 16 bytes with its first fragment's stamp */
    T_EQ(got.n, 1);
    T_EQ(got.len[0], 16);
    T_EQ(got.ts[0], 111);
    T_EQ(got.pkt[0], 3);
    got.n = 0;
    defrag_flush(df, on_flush, &got);           /* the slots were emptied */
    T_EQ(got.n, 0);
    /* a first fragment cut short (13 bytes: one block and 5 of the next): all 13 bytes */
    d = frag4(&f, 0, 13, true, 7);
    T_TRUE(!defrag_add(df, 0, &d, f.b, f.n, &out, &n));
    defrag_flush(df, on_flush, &got);
    T_EQ(got.n, 1);
    T_EQ(got.len[0], 13);
    /* and when the cut block's whole copy comes: the whole blocks held, the hole after */
    got.n = 0;
    d = frag4(&f, 0, 13, true, 8);
    T_TRUE(!defrag_add(df, 0, &d, f.b, f.n, &out, &n));
    d = frag4(&f, 1, 16, true, 8);
    T_TRUE(!defrag_add(df, 0, &d, f.b, f.n, &out, &n));
    defrag_flush(df, on_flush, &got);
    T_EQ(got.n, 1);
    T_EQ(got.len[0], 24);
    defrag_free(df);
}

T_MAIN(T_CASE(eth_ipv4_tcp), T_CASE(eth_padding_ignored), T_CASE(vlan_and_qinq),
       T_CASE(eth_not_ip), T_CASE(linux_sll), T_CASE(linux_sll2), T_CASE(raw_ip),
       T_CASE(null_and_loop), T_CASE(unknown_linktype), T_CASE(struct_cleared_each_call),
       T_CASE(ipv4_options), T_CASE(ipv4_bad_headers), T_CASE(ipv4_length_beyond_capture),
       T_CASE(ipv4_fragments), T_CASE(ip_tunnels_not_followed), T_CASE(ipv4_ah),
       T_CASE(other_protocols_have_no_ports), T_CASE(ipv6_hbh_and_fragments),
       T_CASE(ipv6_ext_chain), T_CASE(ipv6_lengths), T_CASE(tcp_flags),
       T_CASE(tcp_header_lengths), T_CASE(udp_lengths),
       T_CASE(truncate_eth_ipv4_tcp_everywhere), T_CASE(truncate_other_frames_everywhere),
       T_CASE(defrag_reassembles_in_any_order), T_CASE(defrag_bounds),
       T_CASE(defrag_flush_gives_the_held_start))
