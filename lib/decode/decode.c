/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: dec_packet, the per-frame entry point, and the TCP/UDP transport headers.
 *
 * References: RFC 9293 (TCP header, data offset), RFC 768 (UDP header, length).
 *
 *   link (link.c) --> IPv4/IPv6 (ip.c) --> TCP | UDP (here) | other: proto only
 *
 *   TCP: ports from 4 bytes; seq, ack, flags from 14; payload after data offset * 4
 *   UDP: ports from 4 bytes; payload after 8, up to the UDP length when that is sane
 *
 * Transport bytes end at the IP end (total/payload length), so Ethernet padding
 * never counts as payload. Non-first fragments have no transport header.
 */
#include "config.h"

#include "decode.h"

#include "decode_int.h"

#include "base/cur.h"

#include <string.h>

#define TCP_PORTS_LEN   4u
#define TCP_FLAGS_LEN   14u     /* ports, seq, ack, data offset, flags */
#define TCP_HLEN        20u
#define UDP_HLEN        8u

/* Reads the ports that TCP and UDP both start with; false when they are cut. */
static bool dec_ports(const uint8_t *h, size_t left, struct dec_pkt *out)
{
    if (left < TCP_PORTS_LEN) {
        out->anomalies |= DEC_A_L4_TRUNC;
        return false;
    }
    out->sport = ld_be16(h);
    out->dport = ld_be16(h + 2);
    out->has_ports = true;
    return true;
}

static void dec_tcp(const uint8_t *p, const struct dec_l3 *l3, struct dec_pkt *out)
{
    const uint8_t *h = p + l3->l4;
    size_t left = l3->end - l3->l4;
    size_t hlen;

    if (!dec_ports(h, left, out))
        return;
    if (left < TCP_FLAGS_LEN) {
        out->anomalies |= DEC_A_L4_TRUNC;
        return;
    }
    out->seq = ld_be32(h + 4);
    out->ack = ld_be32(h + 8);
    out->tcp_flags = h[13];
    out->has_flags = true;
    hlen = (size_t)(h[12] >> 4) * 4;
    if (hlen < TCP_HLEN) {
        out->anomalies |= DEC_A_L4_BAD;
        return;
    }
    if (hlen > left) {
        out->anomalies |= DEC_A_L4_TRUNC;
        return;
    }
    out->payload_off = (uint32_t)(l3->l4 + hlen);
    out->payload_len = (uint32_t)(left - hlen);
}

static void dec_udp(const uint8_t *p, const struct dec_l3 *l3, struct dec_pkt *out)
{
    const uint8_t *h = p + l3->l4;
    size_t left = l3->end - l3->l4;
    size_t ulen;

    if (!dec_ports(h, left, out))
        return;
    if (left < UDP_HLEN) {
        out->anomalies |= DEC_A_L4_TRUNC;
        return;
    }
    ulen = ld_be16(h + 4);
    /* A first fragment carries only part of the datagram that ulen covers. */
    if (ulen < UDP_HLEN || (l3->whole && ulen > l3->decl_len))
        out->anomalies |= DEC_A_L4_BAD;     /* fall back to the IP length */
    else if (ulen < left)
        left = ulen;                        /* bytes after the datagram are not ours */
    out->payload_off = (uint32_t)(l3->l4 + UDP_HLEN);
    out->payload_len = (uint32_t)(left - UDP_HLEN);
}

void dec_packet(uint32_t linktype, const uint8_t *p, size_t caplen, struct dec_pkt *out)
{
    static const uint8_t empty[1];
    struct dec_l3 l3;
    size_t l3_off;
    bool more;

    memset(out, 0, sizeof *out);
    if (!p) {
        p = empty;
        caplen = 0;
    }
    if (caplen > UINT32_MAX)
        caplen = UINT32_MAX;        /* keeps every offset storable in uint32_t */

    /* Fast path: untagged Ethernet + IPv4, the bulk of most captures. */
    if (linktype == 1 && caplen >= 14 && ld_be16(p + 12) == DEC_ETH_IPV4) {
        more = dec_ipv4(p, caplen, 14, out, &l3);
    } else {
        switch (dec_link(linktype, p, caplen, &l3_off, out)) {
        case DEC_NET_IPV4:
            more = dec_ipv4(p, caplen, l3_off, out, &l3);
            break;
        case DEC_NET_IPV6:
            more = dec_ipv6(p, caplen, l3_off, out, &l3);
            break;
        case DEC_NET_IP:
            if (l3_off >= caplen) {
                out->anomalies |= DEC_A_IP_TRUNC;
                return;
            }
            if ((p[l3_off] >> 4) == 4) {
                more = dec_ipv4(p, caplen, l3_off, out, &l3);
            } else if ((p[l3_off] >> 4) == 6) {
                more = dec_ipv6(p, caplen, l3_off, out, &l3);
            } else {
                out->l3_off = (uint32_t)l3_off;
                out->anomalies |= DEC_A_IP_BAD;
                return;
            }
            break;
        case DEC_NET_NONE:
        default:
            return;
        }
    }
    if (!more)
        return;

    if (l3.l4 < l3.end)
        out->l4_off = (uint32_t)l3.l4;
    if (out->proto == DEC_PROTO_TCP)
        dec_tcp(p, &l3, out);
    else if (out->proto == DEC_PROTO_UDP)
        dec_udp(p, &l3, out);
}
