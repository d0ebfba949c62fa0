/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: IPv4 (options, fragments) and IPv6 (extension headers, fragment header).
 *
 * References: RFC 791 (IPv4), RFC 8200 (IPv6, extension headers, fragment header),
 * RFC 4302 (AH length in 4-byte units), RFC 6275 (mobility), RFC 7401 (HIP, 139),
 * RFC 5533 (shim6, 140), RFC 2675 (jumbograms), RFC 6946 (atomic fragments).
 *
 *   IPv4: [20-byte header][options: IHL*4 - 20] (AH)* payload up to total length
 *         total length 0 = TSO/LRO capture: the payload runs to the captured end
 *         AH (RFC 4302 §3.1: transport mode in IPv4 too) is stepped over as in IPv6
 *   IPv6: [40-byte header] (ext header)* payload; payload length 0 = jumbo/BIG TCP:
 *         the payload runs to the captured end
 *     ext walk:  0 43 60 135 139 140  len = (hdr[1] + 1) * 8
 *                51 (AH)              len = (hdr[1] + 2) * 4
 *                44 (fragment)        len = 8; a non-first fragment ends the walk
 *                59 and anything else ends the walk and is the protocol
 *
 * A fragment is a packet with MF set or a non-zero offset; an atomic fragment (IPv6
 * fragment header with offset 0 and M clear) is a whole packet and only gets frag_id.
 * Tunnels (IP-in-IP, GRE, ...) are not followed: proto is the tunnel's number.
 */
#include "config.h"

#include "decode_int.h"

#include "base/cur.h"

#include <string.h>

#define IPV4_HLEN       20u
#define IPV6_HLEN       40u
#define IPV4_MF         0x2000u
#define IPV4_OFFMASK    0x1FFFu
#define IPV6_FRAG_M     0x0001u
#define IPV6_FRAG_OFF   0xFFF8u
#define IPV6_FRAG_LEN   8u
#define IPV6_NONXT      59u
#define IP_PROTO_AH     51u

bool dec_ipv6_ext(uint8_t nh)
{
    switch (nh) {
    case 0:     /* hop-by-hop options */
    case 43:    /* routing */
    case 44:    /* fragment */
    case 51:    /* AH */
    case 60:    /* destination options */
    case 135:   /* mobility */
    case 139:   /* HIP */
    case 140:   /* shim6 */
        return true;
    default:
        return false;
    }
}

/* The length of extension header nh at h (its first 2 bytes are there). */
static size_t ext_len(unsigned nh, const uint8_t *h)
{
    if (nh == 44)
        return IPV6_FRAG_LEN;
    if (nh == IP_PROTO_AH)
        return ((size_t)h[1] + 2) * 4;
    return ((size_t)h[1] + 1) * 8;
}

size_t dec_skip_ext(uint8_t nh, const uint8_t *p, size_t n, uint8_t *proto)
{
    size_t pos = 0;

    for (unsigned k = 0; dec_ipv6_ext(nh); k++) {
        size_t hl;

        if (k == DEC_EXTHDR_MAX || n - pos < 2 || (hl = ext_len(nh, p + pos)) > n - pos)
            return n;
        nh = p[pos];
        pos += hl;
    }
    *proto = nh;
    return pos;
}

/*
 * An extension header (IPv4: AH) of len bytes at pos does not fit in the frame:
 * malformed or merely cut?
 */
static void ext_cut(size_t pos, size_t len, size_t decl_end, struct dec_pkt *out)
{
    if (len > decl_end - pos)
        out->anomalies |= DEC_A_EXTHDR;     /* beyond the declared payload */
    else
        out->anomalies |= DEC_A_IP_TRUNC;   /* beyond the captured bytes */
}

bool dec_ipv4(const uint8_t *p, size_t caplen, size_t off, struct dec_pkt *out,
              struct dec_l3 *l3)
{
    const uint8_t *h;
    size_t left = caplen - off;
    size_t hlen, tot, end, pos, hl;
    uint16_t ff;

    out->l3_off = (uint32_t)off;
    if (left < IPV4_HLEN) {
        out->anomalies |= DEC_A_IP_TRUNC;
        return false;
    }
    h = p + off;
    hlen = (size_t)(h[0] & 0x0Fu) * 4;
    if ((h[0] >> 4) != 4 || hlen < IPV4_HLEN) {
        out->anomalies |= DEC_A_IP_BAD;
        return false;
    }
    tot = ld_be16(h + 2);
    if (tot == 0) {
        tot = left;     /* TSO: the NIC fills it in later (Wireshark's default too) */
    } else if (tot < hlen) {
        out->anomalies |= DEC_A_IP_BAD;
        return false;
    }

    out->ipver = 4;
    out->proto = h[9];
    memcpy(out->src, h + 12, 4);
    memcpy(out->dst, h + 16, 4);
    out->frag_id = ld_be16(h + 4);
    ff = ld_be16(h + 6);
    if (ff & (IPV4_MF | IPV4_OFFMASK)) {
        out->frag = true;
        out->frag_first = (ff & IPV4_OFFMASK) == 0;
        out->frag_proto = out->proto;
    }

    if (tot > left) {
        out->anomalies |= DEC_A_IP_LEN;
        end = caplen;
    } else {
        end = off + tot;
    }
    if (hlen > end - off) {         /* options cut by the capture (tot >= hlen) */
        out->anomalies |= DEC_A_IP_TRUNC;
        return false;
    }
    if (out->frag) {
        out->frag_off = (uint32_t)(ff & IPV4_OFFMASK) * 8u;
        out->frag_more = (ff & IPV4_MF) != 0;
        out->frag_data_off = (uint32_t)(off + hlen);
        out->frag_data_len = (uint32_t)(end - off - hlen);
    }
    if (out->frag && !out->frag_first)
        return false;

    pos = off + hlen;
    for (unsigned n = 0; out->proto == IP_PROTO_AH; n++) {
        if (n == DEC_EXTHDR_MAX) {
            out->anomalies |= DEC_A_EXTHDR;
            return false;
        }
        if (end - pos < 2) {
            ext_cut(pos, 2, off + tot, out);
            return false;
        }
        hl = ext_len(IP_PROTO_AH, p + pos);
        if (hl > end - pos) {
            ext_cut(pos, hl, off + tot, out);
            return false;
        }
        out->proto = p[pos];
        pos += hl;
    }
    l3->l4 = pos;
    l3->end = end;
    l3->decl_len = off + tot - pos;
    l3->whole = !out->frag;
    return true;
}

bool dec_ipv6(const uint8_t *p, size_t caplen, size_t off, struct dec_pkt *out,
              struct dec_l3 *l3)
{
    const uint8_t *h;
    size_t left = caplen - off;
    size_t plen, pos, end, decl_end, hl;
    unsigned nxt;
    unsigned n;

    out->l3_off = (uint32_t)off;
    if (left < IPV6_HLEN) {
        out->anomalies |= DEC_A_IP_TRUNC;
        return false;
    }
    h = p + off;
    if ((h[0] >> 4) != 6) {
        out->anomalies |= DEC_A_IP_BAD;
        return false;
    }
    out->ipver = 6;
    memcpy(out->src, h + 8, 16);
    memcpy(out->dst, h + 24, 16);
    nxt = h[6];
    plen = ld_be16(h + 4);
    if (plen == 0)
        plen = left - IPV6_HLEN;    /* jumbogram or BIG TCP: trust the capture */
    pos = off + IPV6_HLEN;
    decl_end = pos + plen;
    if (plen > left - IPV6_HLEN) {
        out->anomalies |= DEC_A_IP_LEN;
        end = caplen;
    } else {
        end = decl_end;
    }

    for (n = 0;; n++) {
        if (!dec_ipv6_ext((uint8_t)nxt))
            goto done;
        out->proto = (uint8_t)nxt;  /* what we are stuck at, should we stop here */
        if (n == DEC_EXTHDR_MAX) {
            out->anomalies |= DEC_A_EXTHDR;
            return false;
        }
        if (end - pos < 2) {
            ext_cut(pos, 2, decl_end, out);
            return false;
        }
        hl = ext_len(nxt, p + pos);
        if (hl > end - pos) {
            ext_cut(pos, hl, decl_end, out);
            return false;
        }
        if (nxt == 44) {
            uint16_t ff = ld_be16(p + pos + 2);

            out->frag_id = ld_be32(p + pos + 4);
            if (ff & (IPV6_FRAG_M | IPV6_FRAG_OFF)) {
                out->frag = true;
                out->frag_first = (ff >> 3) == 0;
                out->frag_off = (uint32_t)(ff & IPV6_FRAG_OFF);
                out->frag_more = (ff & IPV6_FRAG_M) != 0;
                out->frag_data_off = (uint32_t)(pos + hl);
                out->frag_data_len = (uint32_t)(end - pos - hl);
                out->frag_proto = p[pos];
            }
            if (out->frag && !out->frag_first) {
                out->proto = p[pos];
                return false;
            }
        }
        nxt = p[pos];
        pos += hl;
    }
done:
    out->proto = (uint8_t)nxt;
    if (nxt == IPV6_NONXT)
        return false;
    l3->l4 = pos;
    l3->end = end;
    l3->decl_len = decl_end - pos;
    l3->whole = !out->frag;
    return true;
}
