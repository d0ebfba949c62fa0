/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: classic libpcap file format reader (the record loop is the hot path).
 *
 * Reference: draft-ietf-opsawg-pcap (the tcpdump.org "PCAP Capture File
 * Format"), and libpcap's sf-pcap.c for the historical variants:
 *
 *   file header (24)  magic | major 2 | minor | thiszone | sigfigs | snaplen | linktype
 *   record (16)       ts_sec | ts_frac | caplen | origlen | caplen bytes of data
 *
 *   magic a1b2c3d4  microseconds        magic a1b23c4d  nanoseconds
 *   magic a1b2cd34  Kuznetzov "modified" pcap: 24-byte records (ifindex,
 *                   protocol, pkt_type, pad follow the 16 usual bytes)
 *   each in either byte order (the file's, not the host's).
 *
 * The linktype field carries LINKTYPE_* in its low 16 bits; bit 26 says
 * bits 28-31 hold the FCS length in 16-bit words. Versions before 2.3 have
 * caplen and origlen swapped; 2.3 files may (libpcap's rule, kept here).
 * caplen above the header's snaplen is accepted (wiretap does; libpcap cuts
 * to the snaplen), caplen above origlen too; caplen above LIM_PACKET_MAX is a
 * format error (both libpcap and wiretap refuse it).
 *
 * States: HEADER -> RECORDS -> (END | fault). A fault is sticky (reader.c).
 */
#include "config.h"

#include "capture.h"

#include "base/cur.h"
#include "base/limits.h"
#include "capture_int.h"

#define PCAP_MAGIC_US 0xa1b2c3d4u
#define PCAP_MAGIC_NS 0xa1b23c4du
#define PCAP_MAGIC_KUZ 0xa1b2cd34u

#define PCAP_FILE_HDR 24u
#define PCAP_REC_HDR 16u
#define PCAP_REC_HDR_KUZ 24u

#define PCAP_LT_FCS_PRESENT 0x04000000u

enum pcap_lenswap {
    PCAP_LEN_NORMAL = 0,
    PCAP_LEN_SWAPPED = 1,       /* before 2.3: always swapped */
    PCAP_LEN_MAYBE = 2,         /* 2.3: swapped when caplen > origlen */
};

static uint32_t pcap_swap32(uint32_t v)
{
    return (v >> 24) | ((v >> 8) & 0xff00u) | ((v << 8) & 0xff0000u) | (v << 24);
}

bool cap_pcap_magic(const uint8_t *p)
{
    uint32_t m = ld_le32(p);

    if (m != PCAP_MAGIC_US && m != PCAP_MAGIC_NS && m != PCAP_MAGIC_KUZ)
        m = pcap_swap32(m);
    return m == PCAP_MAGIC_US || m == PCAP_MAGIC_NS || m == PCAP_MAGIC_KUZ;
}

static inline uint32_t pcap_u32(const struct cap_reader *r, const uint8_t *p)
{
    return r->pcap.be ? ld_be32(p) : ld_le32(p);
}

static int pcap_step(struct cap_reader *r, struct cap_pkt *pkt)
{
    const uint8_t *p = r->buf + r->beg;
    size_t avail = r->end - r->beg;
    size_t hl = r->pcap.rechdr;
    uint32_t sec, frac, caplen, origlen;

    if (avail < hl) {
        if (!r->eof) {
            r->need = hl;
            return CAP_STEP_MORE;
        }
        if (avail == 0)
            return CAP_STEP_END;
        return cap_fail(r, SV_ETRUNC, cap_off(r),
                        "packet record header truncated (%zu of %zu bytes)", avail, hl);
    }
    sec = pcap_u32(r, p);
    frac = pcap_u32(r, p + 4);
    caplen = pcap_u32(r, p + 8);
    origlen = pcap_u32(r, p + 12);
    if (r->pcap.lenswap != PCAP_LEN_NORMAL &&
        (r->pcap.lenswap == PCAP_LEN_SWAPPED || caplen > origlen)) {
        uint32_t t = caplen;

        caplen = origlen;
        origlen = t;
    }
    if (caplen > LIM_PACKET_MAX)
        return cap_fail(r, SV_EFORMAT, cap_off(r),
                        "packet of %u bytes, bigger than the maximum of %u", caplen,
                        LIM_PACKET_MAX);
    if (avail - hl < caplen) {
        if (!r->eof) {
            r->need = hl + caplen;
            return CAP_STEP_MORE;
        }
        return cap_fail(r, SV_ETRUNC, cap_off(r),
                        "packet record truncated (caplen %u, only %zu bytes left)", caplen,
                        avail - hl);
    }
    pkt->data = p + hl;
    pkt->ts_ns = (uint64_t)sec * 1000000000u + (r->pcap.nsec ? frac : (uint64_t)frac * 1000u);
    pkt->offset = cap_off(r);
    pkt->caplen = caplen;
    pkt->origlen = origlen;
    pkt->iface = 0;
    r->beg += hl + caplen;
    return CAP_STEP_PKT;
}

int cap_pcap_open(struct cap_reader *r)
{
    struct cap_iface ifc = { 0 };
    struct cap_ng_iface ng = { 0 };
    const uint8_t *p;
    uint32_t magic, major, minor, lt;
    size_t avail;
    int rc;

    rc = cap_fill(r, PCAP_FILE_HDR);
    if (rc < 0)
        return rc;
    avail = r->end - r->beg;
    if (avail < PCAP_FILE_HDR)
        return cap_fail(r, SV_ETRUNC, 0, "pcap file header truncated (%zu of %u bytes)", avail,
                        PCAP_FILE_HDR);
    p = r->buf + r->beg;
    magic = ld_le32(p);
    r->pcap.be = false;
    if (magic != PCAP_MAGIC_US && magic != PCAP_MAGIC_NS && magic != PCAP_MAGIC_KUZ) {
        magic = pcap_swap32(magic);
        r->pcap.be = true;
    }
    r->pcap.nsec = magic == PCAP_MAGIC_NS;
    r->pcap.rechdr = magic == PCAP_MAGIC_KUZ ? PCAP_REC_HDR_KUZ : PCAP_REC_HDR;
    major = r->pcap.be ? ld_be16(p + 4) : ld_le16(p + 4);
    minor = r->pcap.be ? ld_be16(p + 6) : ld_le16(p + 6);
    if (major != 2)
        return cap_fail(r, SV_EFORMAT, 0, "unsupported pcap version %u.%u", major, minor);
    if (minor < 3)
        r->pcap.lenswap = PCAP_LEN_SWAPPED;
    else if (minor == 3)
        r->pcap.lenswap = PCAP_LEN_MAYBE;
    else
        r->pcap.lenswap = PCAP_LEN_NORMAL;
    ifc.snaplen = pcap_u32(r, p + 16);
    lt = pcap_u32(r, p + 20);
    ifc.linktype = lt & 0xffffu;
    ifc.tsprec = r->pcap.nsec ? 9 : 6;
    if (lt & PCAP_LT_FCS_PRESENT)
        ifc.fcs_len = (uint8_t)((lt >> 28) * 2);
    rc = cap_add_iface(r, 0, &ifc, &ng);
    if (rc < 0)
        return rc;
    r->beg += PCAP_FILE_HDR;
    r->step = pcap_step;
    return 0;
}
