/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: DNS over UDP and TCP: queries and responses paired by id into
 * one entry each.
 *
 * References: RFC 1035 (header, names, compression, RR formats; §4.2.2 the
 * TCP length prefix), RFC 3596 (AAAA), RFC 2782 (SRV), RFC 3597 (unknown
 * types), RFC 7766 (several messages per TCP connection, pipelined, answered
 * in any order), RFC 6762 §10.2 (mDNS: top bit of the class).
 *
 *   UDP: each datagram is one message (datagrams shorter than a header are ignored)
 *   TCP: ([len:2][message:len])*; a message is parsed once whole (dsx_need,
 *        at most 2 + 65535 bytes); len < 12 cannot be DNS: framing is lost, the
 *        pending queries get ENT_A_MALFORMED and the next message is searched
 *   message: header(12) question* answer* authority* additional*
 *
 *   query (QR=0)    -> new entry, request section written, appended to the
 *                      FIFO of pending queries (at most DNS_PENDING_MAX: past
 *                      that the oldest is emitted with no_response)
 *   response (QR=1) -> the oldest pending query with the same id sent by the
 *                      other side gets the response section and is emitted;
 *                      with none, an entry of its own with no_request
 *   end(-1)         -> pending queries emitted with no_response (truncated
 *                      when their response was cut by the capture end)
 *
 * Names: labels joined with '.', no trailing dot, the root is "". Compression
 * pointers must point before the start of the labels being read (so every
 * jump goes strictly backwards and loops are impossible), at most
 * DNS_HOPS_MAX jumps, 255 bytes and 128 labels per name (RFC 1035 §3.1).
 *
 * Record data as text: A dotted quad, AAAA RFC 5952, NS/CNAME/PTR a name,
 * MX "pref exchange", SRV "prio weight port target", TXT the strings
 * concatenated (cut at ENT_STR_MAX: truncated), SOA "mname rname serial
 * refresh retry expire minimum"; other types "\# <rdlength>" (RFC 3597's
 * form without the hex). Additional records are only counted. Rdata that
 * does not fit its type gives data "" and ENT_A_MALFORMED.
 *
 * TCP gaps: the pending queries get ENT_A_GAP. When the lost bytes end
 * inside the message being waited for (its length is known), parsing goes on
 * in step after the rest of that message; otherwise the next plausible
 * message (length prefix, sane header, first question complete) is searched.
 *
 * Entry sizes: the message bytes; over TCP with the 2-byte prefix.
 */
#include "config.h"

#include "dissect/dissect.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/addr.h"
#include "base/cur.h"
#include "base/dec.h"

#define DNS_HLEN            12u
#define DNS_PENDING_MAX     1024u       /* pending queries per stream */
#define DNS_NAME_WIRE_MAX   255u        /* RFC 1035 §3.1 */
#define DNS_LABELS_MAX      128u
#define DNS_HOPS_MAX        128u        /* compression jumps per name */
#define DNS_NAME_TEXT       256u        /* text of a name: at most 253 bytes + NUL */
#define DNS_QD_BID_MAX      16u
#define DNS_RESYNC_SPAN     600u        /* bytes a resync candidate may need to be judged */

#define DNS_F_QR    0x8000u
#define DNS_F_AA    0x0400u
#define DNS_F_TC    0x0200u
#define DNS_F_RD    0x0100u
#define DNS_F_RA    0x0080u
#define DNS_F_Z     0x0040u
#define DNS_F_AD    0x0020u
#define DNS_F_CD    0x0010u

struct dns_pend {
    struct ent *e;
    uint16_t id;
    uint8_t dir;                /* the side that sent the query */
};

/* A TCP message seen only in part (its header at least): for end(-1). */
struct dns_part {
    bool valid;
    bool qr;
    uint16_t id;
    struct dsx_span span;       /* its bytes so far (a response's: if the capture ends) */
};

struct dns_st {
    struct dns_pend *pend;      /* FIFO, oldest first */
    size_t npend, cappend;
    bool mdns;                  /* port 5353: the top bit of a class is a flag */
    bool resync[2];             /* TCP: looking for the next message */
    size_t expect[2];           /* TCP: bytes of the message being waited for (0: none) */
    size_t skip[2];             /* TCP: bytes still to drop after a gap inside a message */
    struct dns_part part[2];
};

/* ------------------------------------------------------------ names and text */

static const char *dns_type_name(uint16_t t)
{
    switch (t) {
    case 1: return "A";
    case 2: return "NS";
    case 5: return "CNAME";
    case 6: return "SOA";
    case 12: return "PTR";
    case 13: return "HINFO";
    case 15: return "MX";
    case 16: return "TXT";
    case 28: return "AAAA";
    case 33: return "SRV";
    case 35: return "NAPTR";
    case 41: return "OPT";
    case 43: return "DS";
    case 46: return "RRSIG";
    case 47: return "NSEC";
    case 48: return "DNSKEY";
    case 50: return "NSEC3";
    case 64: return "SVCB";
    case 65: return "HTTPS";
    case 251: return "IXFR";
    case 252: return "AXFR";
    case 255: return "ANY";
    case 257: return "CAA";
    default: return NULL;
    }
}

static void dns_put_type(struct ent *e, uint16_t t)
{
    const char *s = dns_type_name(t);
    char b[16];

    if (!s) {
        snprintf(b, sizeof b, "TYPE%u", (unsigned)t);
        s = b;
    }
    ent_cstr(e, "type", s);
}

static void dns_put_class(struct dns_st *s, struct ent *e, uint16_t c)
{
    char b[16];
    const char *n = NULL;

    if (s->mdns)
        c &= 0x7FFF;
    switch (c) {
    case 1: n = "IN"; break;
    case 3: n = "CH"; break;
    case 4: n = "HS"; break;
    case 254: n = "NONE"; break;
    case 255: n = "ANY"; break;
    default:
        snprintf(b, sizeof b, "CLASS%u", (unsigned)c);
        n = b;
        break;
    }
    ent_cstr(e, "class", n);
}

static const char *dns_opcode_name(unsigned op, char b[16])
{
    static const char *const names[] = { "QUERY", "IQUERY", "STATUS", NULL, "NOTIFY", "UPDATE" };

    if (op < sizeof names / sizeof names[0] && names[op])
        return names[op];
    snprintf(b, 16, "OPCODE%u", op);
    return b;
}

/* rc: the header's 4 bits, with an OPT record's 8 extended bits above them (RFC 6891). */
static const char *dns_rcode_name(unsigned rc, char b[16])
{
    static const char *const names[] = {
        "NOERROR", "FORMERR",  "SERVFAIL", "NXDOMAIN", "NOTIMP",  "REFUSED", "YXDOMAIN",
        "YXRRSET", "NXRRSET",  "NOTAUTH",  "NOTZONE",  "DSOTYPENI", NULL,    NULL,
        NULL,      NULL,       "BADVERS",  "BADKEY",   "BADTIME", "BADMODE", "BADNAME",
        "BADALG",  "BADTRUNC", "BADCOOKIE",
    };

    if (rc < sizeof names / sizeof names[0] && names[rc])
        return names[rc];
    snprintf(b, 16, "RCODE%u", rc);
    return b;
}

/* What dns_name found. */
enum dns_nm { NM_BAD = 0, NM_OK = 1, NM_CUT = 2 };

/*
 * Reads the name at *off of the message m (n bytes) into out as text (see
 * the file comment). *off moves past the name as it lies in place (a
 * pointer counts 2 bytes). NM_CUT when it runs past n, NM_BAD when it is
 * malformed (loop, forward pointer, too long, reserved label type).
 */
static enum dns_nm dns_name(const uint8_t *m, size_t n, size_t *off, char out[DNS_NAME_TEXT],
                            size_t *olen)
{
    size_t pos = *off, lim = *off, after = 0, wire = 0, o = 0;
    unsigned labels = 0, hops = 0;
    bool jumped = false;

    for (;;) {
        uint8_t l;

        if (pos >= n)
            return NM_CUT;
        l = m[pos];
        if ((l & 0xC0u) == 0xC0u) {
            size_t t;

            if (pos + 1 >= n)
                return NM_CUT;
            t = (size_t)(l & 0x3Fu) << 8 | m[pos + 1];
            if (!jumped) {
                after = pos + 2;
                jumped = true;
            }
            if (t >= lim || ++hops > DNS_HOPS_MAX)
                return NM_BAD;
            lim = t;
            pos = t;
            continue;
        }
        if (l & 0xC0u)
            return NM_BAD;      /* 0x40/0x80: extended label types, not in use */
        if (l == 0) {
            pos++;
            break;
        }
        if (++labels > DNS_LABELS_MAX)
            return NM_BAD;
        wire += 1u + l;
        if (wire + 1 > DNS_NAME_WIRE_MAX)
            return NM_BAD;
        if (l > n - pos - 1)
            return NM_CUT;
        if (o)
            out[o++] = '.';
        memcpy(out + o, m + pos + 1, l);
        o += l;
        pos += 1u + l;
    }
    out[o] = '\0';
    *off = jumped ? after : pos;
    *olen = o;
    return NM_OK;
}

/* ------------------------------------------------------------ sections */

/* Writes one question object; false (nothing written) when it is malformed or cut. */
static bool dns_question(struct dns_st *s, struct ent *e, const uint8_t *m, size_t n, size_t *off)
{
    char name[DNS_NAME_TEXT];
    size_t nl, o = *off;
    uint16_t type, cls;

    if (dns_name(m, n, &o, name, &nl) != NM_OK || n - o < 4)
        return false;
    type = ld_be16(m + o);
    cls = ld_be16(m + o + 2);
    *off = o + 4;
    ent_obj_begin(e, NULL);
    ent_str(e, "name", name, nl);
    dns_put_type(e, type);
    dns_put_class(s, e, cls);
    ent_obj_end(e);
    return true;
}

/* Appends n bytes of s to b (cap bytes, NUL-terminated), cutting what does not fit. */
static void dns_cat(char *b, size_t cap, size_t *at, const char *s, size_t n)
{
    if (n > cap - 1 - *at)
        n = cap - 1 - *at;
    memcpy(b + *at, s, n);
    *at += n;
    b[*at] = '\0';
}

/* Appends the decimal v, preceded by sep when sep is not NUL. */
static void dns_num(char *b, size_t cap, size_t *at, char sep, unsigned long v)
{
    char t[DEC_U64_LEN], *d = dec_u64(t + sizeof t, v);

    if (sep)
        dns_cat(b, cap, at, &sep, 1);
    dns_cat(b, cap, at, d, (size_t)(t + sizeof t - d));
}

/* Appends the name at *off (bounded by end) to b; false when malformed. */
static bool dns_name_into(const uint8_t *m, size_t end, size_t *off, char *b, size_t cap,
                          size_t *at)
{
    char name[DNS_NAME_TEXT];
    size_t nl;

    if (dns_name(m, end, off, name, &nl) != NM_OK)
        return false;
    dns_cat(b, cap, at, name, nl);
    return true;
}

/*
 * The text of rdata [o, o + rdlen) of type t. Names in rdata may point
 * anywhere before them in the message, but must not run past the rdata.
 * False when the rdata does not match its type (the caller writes "").
 */
static bool dns_rdata_text(const uint8_t *m, size_t o, size_t rdlen, uint16_t t, char *b,
                           size_t cap, size_t *blen, bool *cut)
{
    size_t end = o + rdlen, at = 0;
    uint8_t a[16];

    b[0] = '\0';
    switch (t) {
    case 1:                                     /* A */
    case 28:                                    /* AAAA */
        if (rdlen != (t == 1 ? 4u : 16u))
            return false;
        memset(a, 0, sizeof a);
        memcpy(a, m + o, rdlen);
        addr_text(b, t == 1 ? 4 : 6, a);
        at = strlen(b);
        break;
    case 2:                                     /* NS */
    case 5:                                     /* CNAME */
    case 12:                                    /* PTR */
        if (!dns_name_into(m, end, &o, b, cap, &at) || o != end)
            return false;
        break;
    case 15:                                    /* MX: pref exchange */
        if (rdlen < 3)
            return false;
        dns_num(b, cap, &at, 0, ld_be16(m + o));
        dns_cat(b, cap, &at, " ", 1);
        o += 2;
        if (!dns_name_into(m, end, &o, b, cap, &at) || o != end)
            return false;
        break;
    case 33:                                    /* SRV: prio weight port target */
        if (rdlen < 7)
            return false;
        dns_num(b, cap, &at, 0, ld_be16(m + o));
        dns_num(b, cap, &at, ' ', ld_be16(m + o + 2));
        dns_num(b, cap, &at, ' ', ld_be16(m + o + 4));
        dns_cat(b, cap, &at, " ", 1);
        o += 6;
        if (!dns_name_into(m, end, &o, b, cap, &at) || o != end)
            return false;
        break;
    case 6:     /* SOA: mname rname serial refresh retry expire minimum */
        if (!dns_name_into(m, end, &o, b, cap, &at))
            return false;
        dns_cat(b, cap, &at, " ", 1);
        if (!dns_name_into(m, end, &o, b, cap, &at) || end - o != 20)
            return false;
        for (size_t i = 0; i < 5; i++)
            dns_num(b, cap, &at, ' ', ld_be32(m + o + 4 * i));
        break;
    case 16:                                    /* TXT: the strings, concatenated */
        while (o < end) {
            size_t l = m[o++];

            if (l > end - o)
                return false;
            if (l > cap - 1 - at)
                *cut = true;
            dns_cat(b, cap, &at, (const char *)(m + o), l);
            o += l;
        }
        break;
    default:                                    /* RFC 3597 style: the length only */
        dns_cat(b, cap, &at, "\\#", 2);
        dns_num(b, cap, &at, ' ', rdlen);
        break;
    }
    *blen = at;
    return true;
}

/* One resource record; false (nothing written) when its fixed part is malformed or cut. */
/* Moves *off past the name there as it lies in place; false when it runs past n. */
static bool dns_skip_name(const uint8_t *m, size_t n, size_t *off)
{
    size_t o = *off;

    for (;;) {
        uint8_t l;

        if (o >= n)
            return false;
        l = m[o];
        if (l == 0) {
            o++;
            break;
        }
        if ((l & 0xC0) == 0xC0) {
            if (n - o < 2)
                return false;
            o += 2;
            break;
        }
        if (l & 0xC0)
            return false;       /* a reserved label type */
        o += 1u + l;
    }
    *off = o;
    return true;
}

/*
 * The extended RCODE bits of the message's OPT record (RFC 6891 §6.1.3: the top 8 of
 * 12, in its TTL's first byte), 0 when it has none; the records before it are skipped
 * (qd questions, then rrs records, from off).
 */
static unsigned dns_ext_rcode(const uint8_t *m, size_t n, size_t off, unsigned qd, unsigned rrs)
{
    for (unsigned i = 0; i < qd; i++) {
        if (!dns_skip_name(m, n, &off) || n - off < 4)
            return 0;
        off += 4;
    }
    for (unsigned i = 0; i < rrs; i++) {
        size_t rdlen;

        if (!dns_skip_name(m, n, &off) || n - off < 10)
            return 0;
        rdlen = ld_be16(m + off + 8);
        if (ld_be16(m + off) == 41)
            return m[off + 4];
        off += 10;
        if (rdlen > n - off)
            return 0;
        off += rdlen;
    }
    return 0;
}

static bool dns_rr(struct dns_st *s, struct ent *e, const uint8_t *m, size_t n, size_t *off,
                   char *tb, size_t tcap)
{
    char name[DNS_NAME_TEXT];
    size_t nl, o = *off, rdlen, tl = 0;
    uint16_t type, cls;
    uint32_t ttl;
    bool ok, cut = false;

    if (dns_name(m, n, &o, name, &nl) != NM_OK || n - o < 10)
        return false;
    type = ld_be16(m + o);
    cls = ld_be16(m + o + 2);
    ttl = ld_be32(m + o + 4);
    rdlen = ld_be16(m + o + 8);
    o += 10;
    if (rdlen > n - o)
        return false;
    ok = dns_rdata_text(m, o, rdlen, type, tb, tcap, &tl, &cut);
    ent_obj_begin(e, NULL);
    ent_str(e, "name", name, nl);
    dns_put_type(e, type);
    dns_put_class(s, e, cls);
    ent_u64(e, "ttl", ttl);
    ent_str(e, "data", tb, ok ? tl : 0);
    ent_obj_end(e);
    if (!ok)
        ent_anomaly(e, ENT_A_MALFORMED);
    if (cut)
        ent_anomaly(e, ENT_A_TRUNCATED);
    *off = o + rdlen;
    return true;
}

/* The questions array; false when one is malformed (the array stays balanced). */
static bool dns_questions(struct dns_st *s, struct ent *e, const uint8_t *m, size_t n,
                          size_t *off, unsigned qd)
{
    bool ok = true;

    ent_arr_begin(e, "questions");
    for (unsigned i = 0; i < qd && ok; i++)
        ok = dns_question(s, e, m, n, off);
    ent_arr_end(e);
    return ok;
}

/* An array of count records under key; once ok is false, the array is written empty. */
static bool dns_rrs(struct dns_st *s, struct ent *e, const char *key, const uint8_t *m, size_t n,
                    size_t *off, unsigned count, bool ok, char *tb, size_t tcap)
{
    ent_arr_begin(e, key);
    for (unsigned i = 0; i < count && ok; i++)
        ok = dns_rr(s, e, m, n, off, tb, tcap);
    ent_arr_end(e);
    return ok;
}

/* ------------------------------------------------------------ pairing */

static void dns_emit_pending(struct dsx *x, struct ent *e, uint32_t a)
{
    ent_anomaly(e, a);
    dsx_emit(x, e);
}

/* Appends a query to the FIFO; the oldest goes out with no_response when it is full. */
static void dns_push(struct dns_st *s, struct dsx *x, struct ent *e, uint16_t id, int dir)
{
    if (s->npend == DNS_PENDING_MAX) {
        dns_emit_pending(x, s->pend[0].e, ENT_A_NO_RESPONSE);
        memmove(s->pend, s->pend + 1, (s->npend - 1) * sizeof *s->pend);
        s->npend--;
    }
    if (s->npend == s->cappend) {
        size_t nc = s->cappend ? s->cappend * 2 : 8;
        struct dns_pend *v;

        if (nc > DNS_PENDING_MAX)
            nc = DNS_PENDING_MAX;
        v = realloc(s->pend, nc * sizeof *v);
        if (!v) {
            dns_emit_pending(x, e, ENT_A_NO_RESPONSE);
            return;
        }
        s->pend = v;
        s->cappend = nc;
    }
    s->pend[s->npend].e = e;
    s->pend[s->npend].id = id;
    s->pend[s->npend].dir = (uint8_t)dir;
    s->npend++;
}

/* Takes the oldest pending query with this id sent by the other side of dir, or NULL. */
static struct ent *dns_take(struct dns_st *s, uint16_t id, int dir)
{
    for (size_t i = 0; i < s->npend; i++) {
        struct ent *e;

        if (s->pend[i].id != id || s->pend[i].dir == dir)
            continue;
        e = s->pend[i].e;
        memmove(s->pend + i, s->pend + i + 1, (s->npend - i - 1) * sizeof *s->pend);
        s->npend--;
        return e;
    }
    return NULL;
}

/* ------------------------------------------------------------ messages */

/* What a message that does not parse is: cut, when its datagram is, else malformed. */
static uint32_t dns_broken(const struct dsx *x)
{
    return dsx_dgram_lost(x) ? ENT_A_TRUNCATED : ENT_A_MALFORMED;
}

/*
 * The message of wlen bytes at p + off (a TCP one starts with its pre = 2
 * bytes of length prefix); wlen - pre >= DNS_HLEN.
 */
static void dns_message(struct dns_st *s, struct dsx *x, int dir, const uint8_t *p, size_t off,
                        size_t wlen, size_t pre)
{
    const uint8_t *m = p + off + pre;
    size_t n = wlen - pre, o = DNS_HLEN;
    uint16_t id = ld_be16(m), fl = ld_be16(m + 2);
    unsigned qd = ld_be16(m + 4), an = ld_be16(m + 6), ns = ld_be16(m + 8), ar = ld_be16(m + 10);
    char nb[16];
    struct ent *e;
    bool ok;

    if (!(fl & DNS_F_QR)) {
        e = dsx_entry(x, ENT_DNS, dir);
        if (!e)
            return;
        ent_section(e, ENT_REQ);
        ent_u64(e, "id", id);
        ent_cstr(e, "opcode", dns_opcode_name((unsigned)(fl >> 11) & 0xFu, nb));
        ent_obj_begin(e, "flags");
        ent_bool(e, "rd", (fl & DNS_F_RD) != 0);
        ent_bool(e, "tc", (fl & DNS_F_TC) != 0);
        ent_bool(e, "ad", (fl & DNS_F_AD) != 0);
        ent_bool(e, "cd", (fl & DNS_F_CD) != 0);
        ent_obj_end(e);
        if (!dns_questions(s, e, m, n, &o, qd))
            ent_anomaly(e, dns_broken(x));
        dsx_mark_req(x, e, dir, off, wlen);
        dns_push(s, x, e, id, dir);
        return;
    }

    e = dns_take(s, id, dir);
    if (!e) {
        e = dsx_entry(x, ENT_DNS, 1 - dir);
        if (!e)
            return;
        ent_anomaly(e, ENT_A_NO_REQUEST);
    }
    {
        char tb[ENT_STR_MAX];
        /* an OPT record (in the additional section, RFC 6891) extends the rcode */
        unsigned rcode = (ar ? dns_ext_rcode(m, n, DNS_HLEN, qd, an + ns + ar) << 4 : 0) |
                         (fl & 0xFu);

        ent_section(e, ENT_RESP);
        ent_u64(e, "id", id);
        ent_cstr(e, "rcode", dns_rcode_name(rcode, nb));
        ent_obj_begin(e, "flags");
        ent_bool(e, "aa", (fl & DNS_F_AA) != 0);
        ent_bool(e, "tc", (fl & DNS_F_TC) != 0);
        ent_bool(e, "rd", (fl & DNS_F_RD) != 0);
        ent_bool(e, "ra", (fl & DNS_F_RA) != 0);
        ent_obj_end(e);
        ok = dns_questions(s, e, m, n, &o, qd);
        ok = dns_rrs(s, e, "answers", m, n, &o, an, ok, tb, sizeof tb);
        ok = dns_rrs(s, e, "authorities", m, n, &o, ns, ok, tb, sizeof tb);
        ent_u64(e, "additionals", ar);
    }
    if (!ok)
        ent_anomaly(e, dns_broken(x));
    dsx_mark_resp(x, e, dir, off, wlen);
    dsx_emit(x, e);
}

/* ------------------------------------------------------------ plausibility */

/* How much of a message looks like DNS (for bids and TCP resynchronisation). */
enum dns_chk {
    CHK_NO,             /* not DNS */
    CHK_CUT,            /* sane header, first question runs past the bytes available */
    CHK_Q,              /* sane header and first question; the message is not all there */
    CHK_BODY,           /* all there, first question fine, later sections broken or short */
    CHK_FULL,           /* all there and the sections fill the message exactly */
};

/*
 * A NetBIOS name (RFC 1002 §4.1: one 32-byte label of 'A' to 'P', the name
 * coded in halves) of type NB or NBSTAT at o: NetBIOS Name Service, whose
 * messages have DNS's form (udp/137) but are not DNS.
 */
static bool nbns_name(const uint8_t *m, size_t n, size_t o)
{
    size_t t;

    if (n - o < 34 || m[o] != 32)
        return false;
    for (size_t i = 1; i <= 32; i++) {
        if (m[o + i] < 'A' || m[o + i] > 'P')
            return false;
    }
    /* the scope's labels, if any, then the type */
    for (t = o + 33; t < n && m[t] != 0 && m[t] < 64; t += 1u + m[t])
        ;
    if (t >= n || m[t] != 0 || n - t < 3)
        return false;
    return ld_be16(m + t + 1) == 32 || ld_be16(m + t + 1) == 33;
}

/* Steps o over nrr resource records of the whole message m; false when one is bad or cut. */
static bool dns_skip_rrs(const uint8_t *m, size_t mlen, size_t *o, size_t nrr)
{
    char name[DNS_NAME_TEXT];
    size_t nl;

    for (size_t i = 0; i < nrr; i++) {
        if (dns_name(m, mlen, o, name, &nl) != NM_OK || mlen - *o < 10 ||
            ld_be16(m + *o + 8) > mlen - *o - 10)
            return false;
        *o += 10u + ld_be16(m + *o + 8);
    }
    return true;
}

/* m: avail bytes of a message of mlen bytes (avail may exceed mlen). */
static enum dns_chk dns_check(const uint8_t *m, size_t avail, size_t mlen)
{
    char name[DNS_NAME_TEXT];
    size_t nl, o = DNS_HLEN, nrr;
    unsigned fl, op, qd, cls;
    enum dns_nm r;

    if (avail > mlen)
        avail = mlen;
    if (mlen < DNS_HLEN)
        return CHK_NO;
    if (avail < DNS_HLEN)
        return CHK_CUT;
    fl = ld_be16(m + 2);
    op = (fl >> 11) & 0xFu;
    qd = ld_be16(m + 4);
    nrr = (size_t)ld_be16(m + 6) + ld_be16(m + 8) + ld_be16(m + 10);
    if (op > 5 || op == 3 || (fl & DNS_F_Z) || (fl & 0xFu) > 10)
        return CHK_NO;
    if (!(fl & DNS_F_QR) && (fl & 0xFu))
        return CHK_NO;          /* a query carries no rcode */
    if (qd > DNS_QD_BID_MAX || (size_t)qd * 5 + nrr * 11 > mlen - DNS_HLEN ||
        nbns_name(m, avail, DNS_HLEN))
        return CHK_NO;
    if (qd == 0) {
        /* no question (an mDNS answer, RFC 6762 §6; a query with only a cookie, RFC 7873):
         * DNS only when records fill the whole message exactly */
        if (nrr == 0 || avail < mlen)
            return CHK_NO;
        return dns_skip_rrs(m, mlen, &o, nrr) && o == mlen ? CHK_FULL : CHK_NO;
    }
    r = dns_name(m, avail, &o, name, &nl);
    if (r == NM_BAD)
        return CHK_NO;
    if (r == NM_CUT || avail - o < 4)
        return CHK_CUT;
    cls = ld_be16(m + o + 2) & 0x7FFFu;
    if (cls != 1 && cls != 3 && cls != 4 && cls != 254 && cls != 255)
        return CHK_NO;
    o += 4;
    if (avail < mlen)
        return CHK_Q;
    for (unsigned i = 1; i < qd; i++) {
        if (dns_name(m, mlen, &o, name, &nl) != NM_OK || mlen - o < 4)
            return CHK_BODY;
        o += 4;
    }
    if (!dns_skip_rrs(m, mlen, &o, nrr))
        return CHK_BODY;
    return o == mlen ? CHK_FULL : CHK_BODY;     /* the length (prefix) must match */
}

static enum dsx_bid dns_bid(const uint8_t *p, size_t n, int dir, bool dgram)
{
    enum dns_chk c;

    (void)dir;
    if (dgram) {
        c = dns_check(p, n, n);
        /* a datagram cut by the snaplen (or an unreassembled first fragment) can be
           shorter than its counts need: plausible if its first question parses; when the
           cut is inside it, only the bytes that were lost could tell (bid_on decides) */
        if (c == CHK_NO) {
            c = dns_check(p, n, 65535);
            return c == CHK_Q ? DSX_WEAK : c == CHK_CUT && n >= DNS_HLEN ? DSX_MORE : DSX_NO;
        }
    } else {
        if (n < 2)
            return DSX_MORE;
        if (ld_be16(p) < DNS_HLEN)
            return DSX_NO;
        if (n < 2 + DNS_HLEN)
            return DSX_MORE;
        c = dns_check(p + 2, n - 2, ld_be16(p));
    }
    switch (c) {
    case CHK_Q:
    case CHK_FULL:
        return DSX_STRONG;
    case CHK_CUT:
    case CHK_BODY:
        return DSX_WEAK;
    case CHK_NO:
        break;
    }
    return DSX_NO;
}

/* ------------------------------------------------------------ the dissector */

static void dns_init(void *st, struct dsx *x, const void *hint)
{
    struct dns_st *s = st;

    (void)hint;
    s->mdns = dsx_port(x, 0) == 5353 || dsx_port(x, 1) == 5353;
}

/*
 * TCP, lost framing: drops bytes up to the next plausible message. Returns
 * the new offset; s->resync[dir] is cleared when one was found.
 */
static size_t dns_resync(struct dns_st *s, int dir, const uint8_t *p, size_t n, size_t off)
{
    for (; n - off >= 2; off++) {
        size_t len = ld_be16(p + off);
        enum dns_chk c;

        if (len < DNS_HLEN)
            continue;
        if (n - off < 2 + DNS_HLEN)
            return off;                 /* judge it with more bytes */
        c = dns_check(p + off + 2, n - off - 2, len);
        if (c == CHK_Q || c == CHK_FULL) {
            s->resync[dir] = false;
            return off;
        }
        if (c == CHK_CUT && n - off - 2 < len && n - off < DNS_RESYNC_SPAN)
            return off;
    }
    return off;
}

static size_t dns_parse_tcp(struct dns_st *s, struct dsx *x, int dir, const uint8_t *p, size_t n)
{
    size_t off = 0;

    if (s->skip[dir]) {
        off = s->skip[dir] < n ? s->skip[dir] : n;
        s->skip[dir] -= off;
        if (s->skip[dir])
            return off;
    }
    if (s->resync[dir]) {
        off = dns_resync(s, dir, p, n, off);
        if (s->resync[dir])
            return off;
    }
    s->expect[dir] = 0;
    s->part[dir].valid = false;
    while (n - off >= 2) {
        size_t len = ld_be16(p + off);

        if (len < DNS_HLEN) {
            /* framing lost: the waiting queries may never be answered */
            for (size_t i = 0; i < s->npend; i++)
                ent_anomaly(s->pend[i].e, ENT_A_MALFORMED);
            s->resync[dir] = true;
            return dns_resync(s, dir, p, n, off + 1);
        }
        if (n - off - 2 < len) {
            s->expect[dir] = 2 + len;
            if (n - off >= 2 + 4) {
                s->part[dir].valid = true;
                s->part[dir].id = ld_be16(p + off + 2);
                s->part[dir].qr = (p[off + 4] & 0x80u) != 0;
                dsx_span_of(x, dir, off, n - off, &s->part[dir].span);
            }
            /* a response: its bytes as they come, should the capture end before the rest */
            dsx_need(x, dir, s->part[dir].valid && s->part[dir].qr ? n - off + 1 : 2 + len);
            break;
        }
        dns_message(s, x, dir, p, off, 2 + len, 2);
        off += 2 + len;
    }
    return off;
}

static size_t dns_parse(void *st, struct dsx *x, int dir, const uint8_t *p, size_t n)
{
    struct dns_st *s = st;

    if (!dsx_dgram(x))
        return dns_parse_tcp(s, x, dir, p, n);
    if (n >= DNS_HLEN)
        dns_message(s, x, dir, p, 0, n, 0);
    return n;
}

static void dns_gap(void *st, struct dsx *x, int dir, uint64_t n)
{
    struct dns_st *s = st;

    for (size_t i = 0; i < s->npend; i++)
        ent_anomaly(s->pend[i].e, ENT_A_GAP);
    if (dsx_dgram(x) || s->resync[dir])
        return;
    if (s->skip[dir]) {
        if (s->skip[dir] > n) {
            s->skip[dir] -= (size_t)n;
            return;
        }
        s->skip[dir] = 0;
    } else if (s->expect[dir] > n) {
        /* the lost bytes end inside the awaited message: its length tells where the next starts */
        s->skip[dir] = s->expect[dir] - (size_t)n;
        s->expect[dir] = 0;
        s->part[dir].valid = false;
        return;
    }
    s->expect[dir] = 0;
    s->part[dir].valid = false;
    s->resync[dir] = true;
}

static void dns_end(void *st, struct dsx *x, int dir)
{
    struct dns_st *s = st;

    if (dir != -1)
        return;
    for (size_t i = 0; i < s->npend; i++) {
        const struct dns_part *pt = &s->part[1 - s->pend[i].dir];
        uint32_t a = ENT_A_NO_RESPONSE;

        if (pt->valid && pt->qr && pt->id == s->pend[i].id) {
            a = ENT_A_TRUNCATED;        /* its response was cut by the end of the capture */
            dsx_mark_span(s->pend[i].e, &pt->span, true);
        }
        dns_emit_pending(x, s->pend[i].e, a);
    }
    s->npend = 0;
}

static void dns_fini(void *st)
{
    struct dns_st *s = st;

    for (size_t i = 0; i < s->npend; i++)
        ent_free(s->pend[i].e);
    free(s->pend);
    s->pend = NULL;
    s->npend = s->cappend = 0;
}

static const uint16_t dns_ports[] = { 53, 5353, 5355, 0 };

const struct dsx_ops dsx_dns = {
    .name = "dns",
    .l4 = DSX_TCP | DSX_UDP,
    .ports = dns_ports,
    .state_size = sizeof(struct dns_st),
    .bid = dns_bid,
    .init = dns_init,
    .parse = dns_parse,
    .gap = dns_gap,
    .end = dns_end,
    .fini = dns_fini,
};
