/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: link, network and transport header decoding of one frame.
 *
 * Link types: Ethernet (LINKTYPE 1) with 802.1Q/802.1ad/QinQ tags, Linux
 * cooked SLL (113) and SLL2 (276), raw IP (12, 14, 101), IPv4 (228), IPv6
 * (229), BSD null/loopback (0, 108). Network: IPv4 (options, fragments),
 * IPv6 (extension headers, fragment header), AH in either. Transport: TCP, UDP ports and
 * TCP flags/sequence numbers.
 *
 * dec_packet never fails: frames are hostile bytes, and what cannot be read
 * is reported as DEC_A_* anomaly bits with as much as was decoded.
 */
#ifndef SV_DECODE_H
#define SV_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum dec_anomaly {
    DEC_A_LINK_TRUNC = 1 << 0,      /* frame shorter than its link header */
    DEC_A_LINK_UNKNOWN = 1 << 1,    /* link type or ethertype/AF not decoded */
    DEC_A_IP_TRUNC = 1 << 2,        /* IP header cut by the capture length */
    DEC_A_IP_BAD = 1 << 3,          /* bad version, IHL < 5, total length < header */
    DEC_A_IP_LEN = 1 << 4,          /* IP total/payload length beyond the captured bytes */
    DEC_A_L4_TRUNC = 1 << 5,        /* transport header cut (ports may still be known) */
    DEC_A_L4_BAD = 1 << 6,          /* TCP data offset < 5, UDP length < 8 */
    DEC_A_EXTHDR = 1 << 7,          /* IPv6 extension header chain or IPv4 AH malformed/too long */
};

enum dec_tcp_flags {
    DEC_TCP_FIN = 0x01,
    DEC_TCP_SYN = 0x02,
    DEC_TCP_RST = 0x04,
    DEC_TCP_PSH = 0x08,
    DEC_TCP_ACK = 0x10,
    DEC_TCP_URG = 0x20,
    DEC_TCP_ECE = 0x40,
    DEC_TCP_CWR = 0x80,
};

struct dec_pkt {
    uint8_t ipver;          /* 0 (not IP, IP header cut or bad), or 4/6: src, dst, proto valid */
    uint8_t proto;          /* IP protocol of the payload (after IPv6 extension headers, AH) */
    bool has_ports;         /* TCP/UDP with the ports read (unfragmented or first fragment) */
    bool has_flags;         /* TCP flags, seq and ack were read */
    bool frag;              /* the packet is an IP fragment (first or later) */
    bool frag_first;        /* fragment offset 0 */
    uint8_t tcp_flags;      /* DEC_TCP_*: the whole TCP flags byte (offset 13) */
    uint16_t sport, dport;
    uint32_t frag_id;       /* IPv4 identification (always) or IPv6 fragment id (fragment header) */
    uint32_t seq, ack;      /* TCP */
    uint8_t src[16], dst[16];   /* IPv4 in the first 4 bytes, the rest zero */
    uint32_t l3_off;        /* offset of the IP header in the frame */
    uint32_t l4_off;        /* offset of the transport header (0 if none) */
    uint32_t payload_off;   /* offset of the L4 payload (0 if the TCP/UDP header is incomplete) */
    uint32_t payload_len;   /* L4 payload bytes present in the frame (IP length honoured) */
    /* fragments (frag set): where this fragment's data sits in the datagram and the frame */
    uint32_t frag_off;      /* byte offset of the data in the reassembled IP payload */
    uint8_t frag_proto;     /* what keys the fragment's datagram, the same in each of its
                               fragments: IPv4's protocol; IPv6's fragment header's next
                               header (the first header of the reassembled payload) */
    bool frag_more;         /* more fragments follow (MF / M) */
    uint32_t frag_data_off; /* offset of the fragment's data in the frame */
    uint32_t frag_data_len; /* its bytes present in the frame (IP length honoured) */
    uint32_t anomalies;     /* DEC_A_* */
};

/* Decodes one frame of the given LINKTYPE. Borrows p for the call only. */
void dec_packet(uint32_t linktype, const uint8_t *p, size_t caplen, struct dec_pkt *out);

/*
 * The transport header of a reassembled IPv6 fragmentable part p[0..n) whose
 * first header is nh (dec_pkt.frag_proto): extension headers (destination
 * options, routing, AH, ...) are skipped. Returns its offset and sets *proto,
 * or returns n when the headers run past the bytes. For IPv4, nh is the
 * protocol and the offset 0, except after AH (51), which is skipped as well.
 */
size_t dec_skip_ext(uint8_t nh, const uint8_t *p, size_t n, uint8_t *proto);
/* Whether nh is an IPv6 extension header (one dec_skip_ext steps over). */
bool dec_ipv6_ext(uint8_t nh);

/* True for link types dec_packet understands. */
bool dec_linktype_supported(uint32_t linktype);

#endif
