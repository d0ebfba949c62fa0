/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: link layers: Ethernet (+802.1Q/802.1ad/QinQ), Linux SLL and SLL2, raw IP,
 * BSD null and loop.
 *
 * References: https://www.tcpdump.org/linktypes.html and its pages LINKTYPE_LINUX_SLL,
 * LINKTYPE_LINUX_SLL2, LINKTYPE_NULL, LINKTYPE_LOOP; IEEE 802.1Q (tag = TCI + ethertype).
 *
 *   Ethernet  dst(6) src(6) type(2) [tag: TCI(2) type(2)]* --type--> IPv4 | IPv6 | other
 *   SLL       pkttype(2) hatype(2) halen(2) addr(8) type(2)   (same ethertype walk)
 *   SLL2      type(2) reserved(2) ifindex(4) hatype(2) pkttype(1) halen(1) addr(8)
 *   NULL/LOOP family(4): NULL in the capturing host's byte order, LOOP big-endian
 *   raw       the IP header itself: 101, 12, 14 (version nibble), 228 (v4), 229 (v6)
 *
 * Type values <= 1500 are 802.3 lengths (LLC follows, never IP for us).
 */
#include "config.h"

#include "decode_int.h"

#include "base/cur.h"

#define LT_NULL         0u
#define LT_ETHERNET     1u
#define LT_RAW_12       12u
#define LT_RAW_14       14u
#define LT_RAW          101u
#define LT_LOOP         108u
#define LT_LINUX_SLL    113u
#define LT_IPV4         228u
#define LT_IPV6         229u
#define LT_LINUX_SLL2   276u

#define ETH_HLEN        14u
#define SLL_HLEN        16u
#define SLL2_HLEN       20u
#define NULL_HLEN       4u
#define VLAN_TAG_LEN    4u

/* BSD address families for IP in NULL/LOOP headers. */
#define AF_V4           2u
#define AF_V6_LINUX     10u
#define AF_V6_BSD       24u     /* NetBSD, OpenBSD, BSD/OS */
#define AF_V6_FREEBSD   28u
#define AF_V6_DARWIN    30u

static bool link_type_is_vlan(uint16_t type)
{
    return type == 0x8100u || type == 0x88A8u || type == 0x9100u;
}

/* Follows VLAN tags from off (the byte after the type field), then maps type. */
static enum dec_net link_ethertype(const uint8_t *p, size_t caplen, size_t off, uint16_t type,
                                   size_t *l3_off, struct dec_pkt *out)
{
    unsigned tags = 0;

    while (link_type_is_vlan(type)) {
        if (tags == DEC_VLAN_MAX) {
            out->anomalies |= DEC_A_LINK_UNKNOWN;
            return DEC_NET_NONE;
        }
        if (caplen - off < VLAN_TAG_LEN) {
            out->anomalies |= DEC_A_LINK_TRUNC;
            return DEC_NET_NONE;
        }
        type = ld_be16(p + off + 2);
        off += VLAN_TAG_LEN;
        tags++;
    }
    *l3_off = off;
    if (type == DEC_ETH_IPV4)
        return DEC_NET_IPV4;
    if (type == DEC_ETH_IPV6)
        return DEC_NET_IPV6;
    out->anomalies |= DEC_A_LINK_UNKNOWN;   /* ARP, LLDP, 802.3 length, MPLS, ... */
    return DEC_NET_NONE;
}

static enum dec_net link_family(uint32_t af, struct dec_pkt *out)
{
    switch (af) {
    case AF_V4:
        return DEC_NET_IPV4;
    case AF_V6_LINUX:
    case AF_V6_BSD:
    case AF_V6_FREEBSD:
    case AF_V6_DARWIN:
        return DEC_NET_IPV6;
    default:
        out->anomalies |= DEC_A_LINK_UNKNOWN;
        return DEC_NET_NONE;
    }
}

enum dec_net dec_link(uint32_t linktype, const uint8_t *p, size_t caplen, size_t *l3_off,
                      struct dec_pkt *out)
{
    uint32_t af;

    *l3_off = 0;
    switch (linktype) {
    case LT_ETHERNET:
        if (caplen < ETH_HLEN)
            break;
        return link_ethertype(p, caplen, ETH_HLEN, ld_be16(p + 12), l3_off, out);
    case LT_LINUX_SLL:
        if (caplen < SLL_HLEN)
            break;
        return link_ethertype(p, caplen, SLL_HLEN, ld_be16(p + 14), l3_off, out);
    case LT_LINUX_SLL2:
        if (caplen < SLL2_HLEN)
            break;
        return link_ethertype(p, caplen, SLL2_HLEN, ld_be16(p), l3_off, out);
    case LT_RAW:
    case LT_RAW_12:
    case LT_RAW_14:
        return DEC_NET_IP;
    case LT_IPV4:
        return DEC_NET_IPV4;
    case LT_IPV6:
        return DEC_NET_IPV6;
    case LT_NULL:
        if (caplen < NULL_HLEN)
            break;
        /* Host byte order of the capturing machine: the family fits in 16 bits. */
        af = ld_le32(p);
        if (af > 0xFFFFu)
            af = ld_be32(p);
        *l3_off = NULL_HLEN;
        return link_family(af, out);
    case LT_LOOP:
        if (caplen < NULL_HLEN)
            break;
        *l3_off = NULL_HLEN;
        return link_family(ld_be32(p), out);
    default:
        out->anomalies |= DEC_A_LINK_UNKNOWN;
        return DEC_NET_NONE;
    }
    out->anomalies |= DEC_A_LINK_TRUNC;
    return DEC_NET_NONE;
}

bool dec_linktype_supported(uint32_t linktype)
{
    switch (linktype) {
    case LT_NULL:
    case LT_ETHERNET:
    case LT_RAW_12:
    case LT_RAW_14:
    case LT_RAW:
    case LT_LOOP:
    case LT_LINUX_SLL:
    case LT_IPV4:
    case LT_IPV6:
    case LT_LINUX_SLL2:
        return true;
    default:
        return false;
    }
}
