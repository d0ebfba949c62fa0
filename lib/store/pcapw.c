/* SPDX-License-Identifier: BSD-2-Clause */
/* summary: PCAP and pcapng serialisation (little-endian, as written by the store) */
#include "config.h"

#include "pcapw.h"

#include <string.h>

#include "base/buf.h"
#include "base/cur.h"
#include "streamvault.h"

void pcapw_file_header(uint8_t out[PCAPW_HDR_LEN], uint32_t linktype, uint32_t snaplen, int prec)
{
    st_le32(out, prec == 9 ? PCAPW_MAGIC_NS : PCAPW_MAGIC_US);
    st_le16(out + 4, 2);
    st_le16(out + 6, 4);
    st_le32(out + 8, 0);        /* thiszone */
    st_le32(out + 12, 0);       /* sigfigs */
    st_le32(out + 16, snaplen);
    st_le32(out + 20, linktype);
}

void pcapw_record_put(uint8_t *p, uint64_t ts_ns, uint32_t caplen, uint32_t origlen,
                      const uint8_t *data, int prec)
{
    uint32_t frac = (uint32_t)(ts_ns % 1000000000u);

    st_le32(p, (uint32_t)(ts_ns / 1000000000u));
    st_le32(p + 4, prec == 9 ? frac : frac / 1000u);
    st_le32(p + 8, caplen);
    st_le32(p + 12, origlen);
    memcpy(p + PCAPW_REC_HDR_LEN, data, caplen);
}

int pcapw_record(struct buf *b, uint64_t ts_ns, uint32_t caplen, uint32_t origlen,
                 const uint8_t *data, int prec)
{
    uint8_t *p = buf_reserve(b, PCAPW_REC_HDR_LEN + (size_t)caplen);

    if (!p)
        return b->len + PCAPW_REC_HDR_LEN + caplen > b->limit ? SV_ELIMIT : SV_ENOMEM;
    pcapw_record_put(p, ts_ns, caplen, origlen, data, prec);
    b->len += PCAPW_REC_HDR_LEN + (size_t)caplen;
    return 0;
}

size_t pcapw_record_len(const uint8_t *p)
{
    return PCAPW_REC_HDR_LEN + (size_t)ld_le32(p + 8);
}

void pcapw_records_us_to_ns(uint8_t *p, size_t n)
{
    size_t off = 0;

    while (off + PCAPW_REC_HDR_LEN <= n) {
        st_le32(p + off + 4, ld_le32(p + off + 4) * 1000u);
        off += pcapw_record_len(p + off);
    }
}

void pcapw_ng_shb(uint8_t out[PCAPW_SHB_LEN])
{
    st_le32(out, 0x0a0d0d0au);
    st_le32(out + 4, PCAPW_SHB_LEN);
    st_le32(out + 8, 0x1a2b3c4du);
    st_le16(out + 12, 1);
    st_le16(out + 14, 0);
    st_le64(out + 16, UINT64_MAX);      /* section length not specified */
    st_le32(out + 24, PCAPW_SHB_LEN);
}

void pcapw_ng_idb_put(uint8_t *p, uint32_t linktype, uint32_t snaplen, int prec)
{
    uint32_t len = pcapw_ng_idb_len(prec);

    st_le32(p, 1);
    st_le32(p + 4, len);
    st_le16(p + 8, (uint16_t)linktype);
    st_le16(p + 10, 0);
    st_le32(p + 12, snaplen);
    if (prec == 9) {
        st_le16(p + 16, 9);             /* if_tsresol */
        st_le16(p + 18, 1);
        p[20] = 9;
        p[21] = p[22] = p[23] = 0;
        st_le32(p + 24, 0);             /* opt_endofopt */
        st_le32(p + 28, len);
    } else {
        st_le32(p + 16, len);
    }
}

int pcapw_ng_idb(struct buf *b, uint32_t linktype, uint32_t snaplen, int prec)
{
    uint32_t len = pcapw_ng_idb_len(prec);
    uint8_t *p = buf_reserve(b, len);

    if (!p)
        return SV_ELIMIT;
    pcapw_ng_idb_put(p, linktype, snaplen, prec);
    b->len += len;
    return 0;
}

void pcapw_ng_epb_put(uint8_t *p, uint32_t ifid, uint64_t ts_ns, int prec, uint32_t caplen,
                      uint32_t origlen, const uint8_t *data)
{
    uint32_t len = pcapw_ng_epb_len(caplen), padded = len - 32u;
    uint64_t units = prec == 9 ? ts_ns : ts_ns / 1000u;

    st_le32(p, 6);
    st_le32(p + 4, len);
    st_le32(p + 8, ifid);
    st_le32(p + 12, (uint32_t)(units >> 32));
    st_le32(p + 16, (uint32_t)units);
    st_le32(p + 20, caplen);
    st_le32(p + 24, origlen);
    memcpy(p + 28, data, caplen);
    memset(p + 28 + caplen, 0, padded - caplen);
    st_le32(p + 28 + padded, len);
}

int pcapw_ng_epb(struct buf *b, uint32_t ifid, uint64_t ts_ns, int prec, uint32_t caplen,
                 uint32_t origlen, const uint8_t *data)
{
    uint32_t len = pcapw_ng_epb_len(caplen);
    uint8_t *p = buf_reserve(b, len);

    if (!p)
        return SV_ELIMIT;
    pcapw_ng_epb_put(p, ifid, ts_ns, prec, caplen, origlen, data);
    b->len += len;
    return 0;
}

int pcapw_records_to_ng(const uint8_t *p, size_t n, int prec, uint32_t ifid, struct buf *out)
{
    size_t off = 0;

    while (off + PCAPW_REC_HDR_LEN <= n) {
        const uint8_t *r = p + off;
        uint64_t sec = ld_le32(r), frac = ld_le32(r + 4);
        uint64_t ts = sec * 1000000000u + (prec == 9 ? frac : frac * 1000u);
        int rc = pcapw_ng_epb(out, ifid, ts, prec, ld_le32(r + 8), ld_le32(r + 12),
                              r + PCAPW_REC_HDR_LEN);

        if (rc < 0)
            return rc;
        off += pcapw_record_len(r);
    }
    return 0;
}

uint64_t pcapw_walk(const uint8_t *p, size_t n, size_t *end)
{
    uint64_t packets = 0;
    size_t at = 0;

    if (n >= PCAPW_HDR_LEN && (ld_le32(p) == PCAPW_MAGIC_US || ld_le32(p) == PCAPW_MAGIC_NS)) {
        for (at = PCAPW_HDR_LEN; n - at >= PCAPW_REC_HDR_LEN; packets++) {
            uint32_t caplen = ld_le32(p + at + 8);

            if (caplen > n - at - PCAPW_REC_HDR_LEN)
                break;
            at += PCAPW_REC_HDR_LEN + caplen;
        }
    } else if (n >= PCAPW_SHB_LEN && ld_le32(p) == 0x0a0d0d0au) {
        while (n - at >= 12) {
            uint32_t type = ld_le32(p + at), len = ld_le32(p + at + 4);

            if (len < 12 || len % 4 != 0 || len > n - at || ld_le32(p + at + len - 4) != len)
                break;
            packets += type == 6;       /* Enhanced Packet Blocks */
            at += len;
        }
    }
    *end = at;
    return packets;
}
