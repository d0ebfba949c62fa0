/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: internal interfaces between the decode layers (link.c, ip.c, decode.c).
 *
 * Data flow for one frame:
 *
 *   dec_packet --> dec_link --(what, l3 offset)--> dec_ipv4 / dec_ipv6
 *              --(struct dec_l3: transport offset, IP end)--> dec_tcp / dec_udp
 *
 * Every offset is a size_t into the frame, with the invariant off <= end <= caplen,
 * and caplen <= UINT32_MAX (dec_packet clamps it), so stores into the uint32_t fields
 * of struct dec_pkt never truncate.
 */
#ifndef SV_DECODE_INT_H
#define SV_DECODE_INT_H

#include "decode.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Ethertypes and IP protocol numbers used by more than one file. */
#define DEC_ETH_IPV4    0x0800u
#define DEC_ETH_IPV6    0x86DDu
#define DEC_PROTO_TCP   6u
#define DEC_PROTO_UDP   17u

/* VLAN tags (802.1Q, 802.1ad, old QinQ) followed before giving up as LINK_UNKNOWN. */
#define DEC_VLAN_MAX    8u
/* IPv6 extension headers walked before giving up as DEC_A_EXTHDR. */
#define DEC_EXTHDR_MAX  16u

/* What the link layer carries. */
enum dec_net {
    DEC_NET_NONE,   /* not IP, or the link header is cut: anomaly bits say which */
    DEC_NET_IP,     /* raw IP: the version nibble decides */
    DEC_NET_IPV4,
    DEC_NET_IPV6,
};

/* Where the IP layer left the transport header. */
struct dec_l3 {
    size_t l4;          /* offset of the transport header */
    size_t end;         /* end of the IP payload in the frame: min(declared end, caplen) */
    size_t decl_len;    /* IP payload bytes from l4 as the IP header declares them */
    bool whole;         /* not a fragment: UDP length can be checked against decl_len */
};

/*
 * Decodes the link header of a frame of LINKTYPE linktype. Sets *l3_off to the
 * offset of the network header when the result is not DEC_NET_NONE; sets
 * DEC_A_LINK_* in out->anomalies.
 */
enum dec_net dec_link(uint32_t linktype, const uint8_t *p, size_t caplen, size_t *l3_off,
                      struct dec_pkt *out);

/*
 * Decodes the IPv4/IPv6 header at off (off <= caplen). Fills ipver, proto, src, dst,
 * frag*, l3_off and anomaly bits. Returns true when a transport header follows
 * (not a non-first fragment, no "no next header") and fills *l3 then.
 */
bool dec_ipv4(const uint8_t *p, size_t caplen, size_t off, struct dec_pkt *out,
              struct dec_l3 *l3);
bool dec_ipv6(const uint8_t *p, size_t caplen, size_t off, struct dec_pkt *out,
              struct dec_l3 *l3);

#endif
