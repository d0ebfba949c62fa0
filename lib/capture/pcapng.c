/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: pcapng file format reader (sections, interfaces, packet blocks).
 *
 * Reference: draft-ietf-opsawg-pcapng (the pcapng specification), with
 * wiretap's pcapng.c as the behaviour to match.
 *
 *   block       type | total length | body | total length   (lengths: >= 12,
 *               multiple of 4, <= LIM_PCAPNG_BLOCK_MAX, both copies equal)
 *   SHB  0x0a0d0d0a  byte-order magic 1a2b3c4d | major 1 | minor | section length | options
 *   IDB  1           linktype u16 | reserved | snaplen | options (if_tsresol 9, if_tsoffset 14)
 *   EPB  6           iface | ts high | ts low | caplen | origlen | data (pad 4) | options
 *   SPB  3           origlen | data  (interface 0 of the section, no timestamp; the data is
 *                    origlen bytes cut to the snaplen, and must fit the block)
 *   PB   2           iface u16 | drops u16 | ts high | ts low | caplen | origlen | data (obsolete)
 *   NRB  4           records (type u16 | length u16 | value, padded) up to an end record
 *                    (or the block's end, as wiretap reads it) | options
 *   ISB  5           iface | ts high | ts low | options
 *   DSB  10          secrets type | secrets length | secrets (padded) | options
 *   others (custom, unknown) are skipped whole; NRB, ISB and DSB are checked
 *   and skipped. A block other than SHB, IDB and the packet blocks may be
 *   longer than LIM_PCAPNG_BLOCK_MAX (a DSB holding a large TLS key log):
 *   it is skipped as its bytes come, unchecked but for its trailing length,
 *   never buffered whole.
 *
 * Every options list (code u16 | length u16 | value, padded to 4; code 0
 * ends it) must fit its block, and so must NRB records and DSB secrets: as
 * wiretap does, a block that breaks this is a fault at its offset, even
 * where its packet would still be readable (the file is damaged there).
 *
 * States:  START --SHB--> SECTION --IDB--> (interface added, global index
 * = sect_base + local id) ; SECTION --SHB--> SECTION (new byte order, local
 * ids restart at 0, global indexes keep growing) ; packet blocks yield
 * packets ; clean end only at a block boundary.
 */
#include "config.h"

#include "capture.h"

#include "base/cur.h"
#include "base/limits.h"
#include "base/timefmt.h"
#include "capture_int.h"

/* Bytes read at a time while a long block is skipped. */
#define NG_SKIP_CHUNK (64u * 1024)

#define NG_SHB 0x0a0d0d0au
#define NG_IDB 0x00000001u
#define NG_PB 0x00000002u
#define NG_SPB 0x00000003u
#define NG_NRB 0x00000004u
#define NG_ISB 0x00000005u
#define NG_EPB 0x00000006u
#define NG_DSB 0x0000000au
#define NG_BOM 0x1a2b3c4du

#define NG_BLOCK_MIN 12u
#define NG_OPT_ENDOFOPT 0
#define NG_OPT_IF_TSRESOL 9
#define NG_OPT_IF_TSOFFSET 14

#define NG_NS_PER_S 1000000000ull

static inline uint32_t ng_u32(bool be, const uint8_t *p)
{
    return be ? ld_be32(p) : ld_le32(p);
}

static inline uint16_t ng_u16(bool be, const uint8_t *p)
{
    return be ? ld_be16(p) : ld_le16(p);
}

bool cap_pcapng_magic(const uint8_t *p)
{
    return ld_le32(p) == NG_SHB;
}

static bool ng_is_packet_block(uint32_t type)
{
    return type == NG_EPB || type == NG_SPB || type == NG_PB;
}

/* floor(u * 10^9 / 2^n), n < 64, without a 128-bit type; UINT64_MAX when it overflows. */
static uint64_t ng_mul_shift(uint64_t u, unsigned n)
{
    uint64_t phi = (u >> 32) * NG_NS_PER_S;        /* < 2^62 */
    uint64_t plo = (u & 0xffffffffu) * NG_NS_PER_S; /* < 2^62 */
    uint64_t hi = phi >> 32;
    uint64_t lo = phi << 32;

    lo += plo;
    if (lo < plo)
        hi++;
    if (n == 0)
        return hi ? UINT64_MAX : lo;
    if (hi >> n)
        return UINT64_MAX;
    return hi << (64 - n) | lo >> n;
}

/*
 * Nanoseconds since the epoch. Timestamps beyond 2262 saturate to
 * TIMEFMT_NS_MAX, ones before 1970 (a negative if_tsoffset) to 0: both only
 * occur in broken or hostile files.
 */
static uint64_t ng_ts_ns(const struct cap_ng_iface *ni, uint32_t ts_hi, uint32_t ts_lo)
{
    uint64_t u = (uint64_t)ts_hi << 32 | ts_lo;
    uint64_t ns, off;

    switch ((enum cap_ts_kind)ni->ts_kind) {
    case CAP_TS_MUL:
        ns = u > UINT64_MAX / ni->ts_arg ? UINT64_MAX : u * ni->ts_arg;
        break;
    case CAP_TS_DIV:
        ns = u / ni->ts_arg;
        break;
    case CAP_TS_SHIFT:
        /* floor(floor(x / 2^63) / 2^k) is floor(x / 2^(63 + k)) */
        ns = ni->ts_arg < 64 ? ng_mul_shift(u, (unsigned)ni->ts_arg)
                             : ng_mul_shift(u, 63) >> (ni->ts_arg - 63);
        break;
    case CAP_TS_FINER:
        ns = 0;
        break;
    default:
        ns = 0;
        break;
    }
    if (ni->ts_offset_s >= 0) {
        off = (uint64_t)ni->ts_offset_s;
        off = off > UINT64_MAX / NG_NS_PER_S ? UINT64_MAX : off * NG_NS_PER_S;
        ns = ns > UINT64_MAX - off ? UINT64_MAX : ns + off;
    } else {
        off = -(uint64_t)ni->ts_offset_s;   /* magnitude, also for INT64_MIN */
        off = off > UINT64_MAX / NG_NS_PER_S ? UINT64_MAX : off * NG_NS_PER_S;
        ns = ns < off ? 0 : ns - off;
    }
    return ns > TIMEFMT_NS_MAX ? TIMEFMT_NS_MAX : ns;
}

/* Bytes of a value of n bytes padded to 4 (n < 2^32: no overflow in size_t). */
static size_t ng_pad4(size_t n)
{
    return (n + 3) & ~(size_t)3;
}

/*
 * Checks that the options list [p, p + n) of a block fits it: each option's
 * header and padded value inside, up to opt_endofopt or the end.
 */
static int ng_options(struct cap_reader *r, bool be, const uint8_t *p, size_t n, uint64_t off,
                      const char *what)
{
    while (n >= 4) {
        uint16_t code = ng_u16(be, p), len = ng_u16(be, p + 2);

        if (code == NG_OPT_ENDOFOPT)
            return 0;
        if (ng_pad4(len) > n - 4)
            return cap_fail(r, SV_EFORMAT, off, "%s: option %u of %u bytes runs past the end of "
                            "the block", what, code, len);
        p += 4 + ng_pad4(len);
        n -= 4 + ng_pad4(len);
    }
    return 0;
}

/* Name resolution, interface statistics and decryption secrets blocks: checked, skipped. */
static int ng_other(struct cap_reader *r, uint32_t type, const uint8_t *p, uint32_t blen,
                    uint64_t off)
{
    bool be = r->ng.be;
    size_t at = 0;

    if (type == NG_NRB) {
        for (;;) {
            uint16_t rtype, rlen;

            if (blen == at)
                return 0;       /* records to the block's end, without an end record (wiretap) */
            if (blen - at < 4)
                return cap_fail(r, SV_EFORMAT, off, "name resolution block: records run past "
                                "the end of the block");
            rtype = ng_u16(be, p + at);
            rlen = ng_u16(be, p + at + 2);
            at += 4;
            if (rtype == 0)
                break;
            if (ng_pad4(rlen) > blen - at)
                return cap_fail(r, SV_EFORMAT, off, "name resolution block: a record of %u "
                                "bytes runs past the end of the block", rlen);
            at += ng_pad4(rlen);
        }
        return ng_options(r, be, p + at, blen - at, off, "name resolution block");
    }
    if (type == NG_ISB) {
        if (blen < 12)
            return cap_fail(r, SV_EFORMAT, off, "interface statistics block too short (%u "
                            "bytes)", blen + NG_BLOCK_MIN);
        return ng_options(r, be, p + 12, blen - 12, off, "interface statistics block");
    }
    if (type == NG_DSB) {
        uint32_t slen;

        if (blen < 8)
            return cap_fail(r, SV_EFORMAT, off, "decryption secrets block too short (%u bytes)",
                            blen + NG_BLOCK_MIN);
        slen = ng_u32(be, p + 4);
        if (ng_pad4(slen) > blen - 8)
            return cap_fail(r, SV_EFORMAT, off, "decryption secrets block: %u bytes of secrets "
                            "run past the end of the block", slen);
        return ng_options(r, be, p + 8 + ng_pad4(slen), blen - 8 - ng_pad4(slen), off,
                          "decryption secrets block");
    }
    return 0;     /* custom, unknown: not ours to judge */
}

/* Section header block: body at p, blen bytes, byte order be already checked. */
static int ng_shb(struct cap_reader *r, bool be, const uint8_t *p, uint32_t blen, uint64_t off)
{
    unsigned major, minor;
    int rc;

    if (blen < 16)
        return cap_fail(r, SV_EFORMAT, off, "section header block too short (%u bytes)",
                        blen + NG_BLOCK_MIN);
    major = ng_u16(be, p + 4);
    minor = ng_u16(be, p + 6);
    if (major != 1)
        return cap_fail(r, SV_EFORMAT, off, "unsupported pcapng version %u.%u", major, minor);
    rc = ng_options(r, be, p + 16, blen - 16, off, "section header block");
    if (rc < 0)
        return rc;
    r->ng.be = be;
    r->ng.in_section = true;
    r->ng.sect_base = (uint32_t)r->niface;
    return CAP_STEP_SKIP;
}

/* if_tsresol: bit 7 clear = 10^-n seconds, set = 2^-n seconds. */
static void ng_tsresol(uint8_t v, struct cap_iface *ifc, struct cap_ng_iface *ni)
{
    unsigned n = v & 0x7fu;
    uint64_t pow = 1;

    /*
     * Resolutions so fine that no 64-bit count of them reaches a nanosecond
     * (2^-94, 10^-29 and finer) give time 0, as wiretap's arithmetic does;
     * counts of 2^-64 to 2^-93 and of 10^-20 to 10^-28 reach seconds at most.
     */
    if (v & 0x80u) {
        ni->ts_kind = n >= 94 ? CAP_TS_FINER : CAP_TS_SHIFT;
        ni->ts_arg = n;
        ifc->tsprec = 9;
        return;
    }
    if (n >= 29) {
        ni->ts_kind = CAP_TS_FINER;
        ifc->tsprec = 9;
        return;
    }
    if (n <= 9) {
        for (unsigned i = n; i < 9; i++)
            pow *= 10;
        ni->ts_kind = CAP_TS_MUL;
    } else {
        for (unsigned i = 9; i < n; i++)
            pow *= 10;
        ni->ts_kind = CAP_TS_DIV;
    }
    ni->ts_arg = pow;
    ifc->tsprec = n <= 6 ? 6 : 9;
}

/* Interface description block (its options checked by ng_options first). */
static int ng_idb(struct cap_reader *r, const uint8_t *p, uint32_t blen, uint64_t off)
{
    struct cap_iface ifc = { 0 };
    struct cap_ng_iface ni = { 0 };
    bool be = r->ng.be;
    struct cur c;
    int rc;

    if (blen < 8)
        return cap_fail(r, SV_EFORMAT, off, "interface description block too short (%u bytes)",
                        blen + NG_BLOCK_MIN);
    rc = ng_options(r, be, p + 8, blen - 8, off, "interface description block");
    if (rc < 0)
        return rc;
    ifc.linktype = ng_u16(be, p);
    ifc.snaplen = ng_u32(be, p + 4);
    ifc.tsprec = 6;
    ni.ts_kind = CAP_TS_MUL;
    ni.ts_arg = 1000;           /* default resolution: microseconds */

    cur_init(&c, p + 8, blen - 8);
    while (cur_left(&c) >= 4) {
        uint16_t code = be ? cur_be16(&c) : cur_le16(&c);
        uint16_t olen = be ? cur_be16(&c) : cur_le16(&c);
        size_t padded = ((size_t)olen + 3) & ~(size_t)3;

        if (code == NG_OPT_ENDOFOPT || olen > cur_left(&c))
            break;
        if (code == NG_OPT_IF_TSRESOL && olen == 1) {
            ng_tsresol(c.p[0], &ifc, &ni);
        } else if (code == NG_OPT_IF_TSOFFSET && olen == 8) {
            uint64_t secs = be ? (uint64_t)ld_be32(c.p) << 32 | ld_be32(c.p + 4)
                               : (uint64_t)ld_le32(c.p + 4) << 32 | ld_le32(c.p);

            ni.ts_offset_s = secs <= INT64_MAX ? (int64_t)secs : -(int64_t)(~secs) - 1;
        }
        cur_skip(&c, padded <= cur_left(&c) ? padded : cur_left(&c));
    }
    rc = cap_add_iface(r, off, &ifc, &ni);
    return rc < 0 ? rc : CAP_STEP_SKIP;
}

/* Maps a section-local interface id to the global index, or fails. */
static int ng_iface(struct cap_reader *r, uint32_t id, uint64_t off, const char *what)
{
    uint32_t nsect = (uint32_t)r->niface - r->ng.sect_base;

    if (id >= nsect)
        return cap_fail(r, SV_EFORMAT, off,
                        "%s refers to interface %u, but the section defines %u interface%s", what,
                        id, nsect, nsect == 1 ? "" : "s");
    return (int)(r->ng.sect_base + id);
}

/* EPB (epb true) or obsolete PB: same layout after the interface id field. */
static int ng_pkt(struct cap_reader *r, const uint8_t *p, uint32_t blen, uint64_t off, bool epb,
                  struct cap_pkt *pkt)
{
    const char *what = epb ? "enhanced packet block" : "packet block";
    bool be = r->ng.be;
    uint32_t id, caplen;
    int gi;

    if (blen < 20)
        return cap_fail(r, SV_EFORMAT, off, "%s too short (%u bytes)", what,
                        blen + NG_BLOCK_MIN);
    id = epb ? ng_u32(be, p) : ng_u16(be, p);
    gi = ng_iface(r, id, off, what);
    if (gi < 0)
        return gi;
    caplen = ng_u32(be, p + 12);
    if (caplen > LIM_PACKET_MAX)
        return cap_fail(r, SV_EFORMAT, off, "packet of %u bytes, bigger than the maximum of %u",
                        caplen, LIM_PACKET_MAX);
    if (caplen > blen - 20)
        return cap_fail(r, SV_EFORMAT, off, "%s: caplen %u is more than its %u data bytes", what,
                        caplen, blen - 20);
    /* options after the padded data: most blocks have none, and pay one comparison */
    if (ng_pad4(caplen) < blen - 20) {
        int rc = ng_options(r, be, p + 20 + ng_pad4(caplen), blen - 20 - ng_pad4(caplen), off,
                            what);

        if (rc < 0)
            return rc;
    }
    pkt->data = p + 20;
    pkt->ts_ns = ng_ts_ns(&r->ng_ifaces[gi], ng_u32(be, p + 4), ng_u32(be, p + 8));
    pkt->offset = off;
    pkt->caplen = caplen;
    pkt->origlen = ng_u32(be, p + 16);
    pkt->iface = (uint32_t)gi;
    return CAP_STEP_PKT;
}

/* Simple packet block: interface 0 of the section, data cut to its snaplen, no timestamp. */
static int ng_spb(struct cap_reader *r, const uint8_t *p, uint32_t blen, uint64_t off,
                  struct cap_pkt *pkt)
{
    uint32_t origlen, caplen, snap;
    int gi;

    if (blen < 4)
        return cap_fail(r, SV_EFORMAT, off, "simple packet block too short (%u bytes)",
                        blen + NG_BLOCK_MIN);
    gi = ng_iface(r, 0, off, "simple packet block");
    if (gi < 0)
        return gi;
    /* the packet's bytes are its original length cut to the snaplen, and must be there */
    origlen = ng_u32(r->ng.be, p);
    caplen = origlen;
    snap = r->ifaces[gi].snaplen;
    if (snap != 0 && caplen > snap)
        caplen = snap;
    if (caplen > blen - 4)
        return cap_fail(r, SV_EFORMAT, off, "simple packet block of %u bytes too short for "
                        "its %u bytes of packet", blen + NG_BLOCK_MIN, caplen);
    if (caplen > LIM_PACKET_MAX)
        return cap_fail(r, SV_EFORMAT, off, "packet of %u bytes, bigger than the maximum of %u",
                        caplen, LIM_PACKET_MAX);
    pkt->data = p + 4;
    pkt->ts_ns = 0;
    pkt->offset = off;
    pkt->caplen = caplen;
    pkt->origlen = origlen;
    pkt->iface = (uint32_t)gi;
    return CAP_STEP_PKT;
}

/* Goes on with a long block skipped as it is read (see the top), then checks its trailer. */
static int ng_skip(struct cap_reader *r)
{
    size_t avail = r->end - r->beg;
    size_t take = avail < r->ng.skip_left ? avail : (size_t)r->ng.skip_left;
    uint32_t len = r->ng.skip_len;

    r->beg += take;
    avail -= take;
    r->ng.skip_left -= take;
    if (r->ng.skip_left > 0 || avail < 4) {
        uint64_t left = r->ng.skip_left + 4;

        if (r->eof)
            return cap_fail(r, SV_ETRUNC, r->ng.skip_off,
                            "block truncated (type 0x%08x, length %u, only %llu bytes left)",
                            r->ng.skip_type, len,
                            (unsigned long long)(len - left + avail));
        r->need = left < NG_SKIP_CHUNK ? (size_t)left : NG_SKIP_CHUNK;
        return CAP_STEP_MORE;
    }
    if (ng_u32(r->ng.be, r->buf + r->beg) != len)
        return cap_fail(r, SV_EFORMAT, r->ng.skip_off,
                        "block trailing length %u does not match its leading length %u (type "
                        "0x%08x)",
                        ng_u32(r->ng.be, r->buf + r->beg), len, r->ng.skip_type);
    r->beg += 4;
    r->ng.skip_len = 0;
    return CAP_STEP_SKIP;
}

static int ng_step(struct cap_reader *r, struct cap_pkt *pkt)
{
    const uint8_t *p = r->buf + r->beg;
    size_t avail = r->end - r->beg;
    uint64_t off = cap_off(r);
    bool be = r->ng.be;
    uint32_t type, len, blen;
    int rc;

    if (r->ng.skip_len)
        return ng_skip(r);

    if (avail < NG_BLOCK_MIN) {
        if (!r->eof) {
            r->need = NG_BLOCK_MIN;
            return CAP_STEP_MORE;
        }
        if (avail == 0)
            return CAP_STEP_END;
        return cap_fail(r, SV_ETRUNC, off, "block header truncated (%zu of %u bytes)", avail,
                        NG_BLOCK_MIN);
    }
    /* The SHB type reads the same in both orders; its byte-order magic sets the order. */
    if (ld_le32(p) == NG_SHB) {
        if (ld_le32(p + 8) == NG_BOM)
            be = false;
        else if (ld_be32(p + 8) == NG_BOM)
            be = true;
        else
            return cap_fail(r, SV_EFORMAT, off,
                            "section header block: bad byte-order magic 0x%02x%02x%02x%02x", p[8],
                            p[9], p[10], p[11]);
    }
    type = ng_u32(be, p);
    len = ng_u32(be, p + 4);
    if (!r->ng.in_section && type != NG_SHB)
        return cap_fail(r, SV_EFORMAT, off,
                        "first block is not a section header block (type 0x%08x)", type);
    if (len > LIM_PCAPNG_BLOCK_MAX && len % 4 == 0 && type != NG_SHB && type != NG_IDB &&
        !ng_is_packet_block(type)) {
        r->ng.skip_len = len;
        r->ng.skip_type = type;
        r->ng.skip_left = len - 4;
        r->ng.skip_off = off;
        return ng_skip(r);
    }
    if (len < NG_BLOCK_MIN || len % 4 != 0 || len > LIM_PCAPNG_BLOCK_MAX)
        return cap_fail(r, SV_EFORMAT, off, "bad block length %u (block type 0x%08x)", len, type);
    if (avail < len) {
        if (!r->eof) {
            r->need = len;
            return CAP_STEP_MORE;
        }
        return cap_fail(r, SV_ETRUNC, off,
                        "block truncated (type 0x%08x, length %u, only %zu bytes left)", type, len,
                        avail);
    }
    if (ng_u32(be, p + len - 4) != len)
        return cap_fail(r, SV_EFORMAT, off,
                        "block trailing length %u does not match its leading length %u (type "
                        "0x%08x)",
                        ng_u32(be, p + len - 4), len, type);
    blen = len - NG_BLOCK_MIN;
    switch (type) {
    case NG_SHB:
        rc = ng_shb(r, be, p + 8, blen, off);
        break;
    case NG_IDB:
        rc = ng_idb(r, p + 8, blen, off);
        break;
    case NG_EPB:
        rc = ng_pkt(r, p + 8, blen, off, true, pkt);
        break;
    case NG_PB:
        rc = ng_pkt(r, p + 8, blen, off, false, pkt);
        break;
    case NG_SPB:
        rc = ng_spb(r, p + 8, blen, off, pkt);
        break;
    default:
        rc = ng_other(r, type, p + 8, blen, off);
        if (rc == 0)
            rc = CAP_STEP_SKIP;
        break;
    }
    if (rc >= 0)
        r->beg += len;
    return rc;
}

/*
 * Reads the first section header and every block before the first packet,
 * so that the interfaces are known once the file is open.
 */
int cap_pcapng_open(struct cap_reader *r)
{
    int rc;

    r->step = ng_step;
    for (;;) {
        rc = cap_fill(r, NG_BLOCK_MIN);
        if (rc < 0)
            return rc;
        if (r->ng.in_section && r->end - r->beg >= NG_BLOCK_MIN &&
            ng_is_packet_block(ng_u32(r->ng.be, r->buf + r->beg)))
            return 0;
        rc = ng_step(r, NULL);
        if (rc == CAP_STEP_MORE) {
            rc = cap_fill(r, r->need);
            if (rc < 0)
                return rc;
            continue;
        }
        if (rc < 0 || rc == CAP_STEP_END)
            return rc < 0 ? rc : 0;
    }
}
