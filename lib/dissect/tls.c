/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: TLS handshakes: one entry per ClientHello (request) and its
 * ServerHello (response); everything after is skipped by record length.
 *
 * References: RFC 8446 (TLS 1.3: §4.1.2 ClientHello, §4.1.3 ServerHello and
 * HelloRetryRequest, §4.2.1 supported_versions, §5.1 records), RFC 5246
 * (TLS 1.2: §6.2 records, §7.4 handshake), RFC 6066 §3 (server_name),
 * RFC 7301 (ALPN), RFC 8701 (GREASE values, shown as "0x1a1a").
 *
 *   record:    type(1) version(2) length(2) body     type 20..24, version 3.0..3.4,
 *                                                    length <= 2^14 + 2048
 *   handshake: msg_type(1) length(3) body           may span records; several per record
 *
 * Per direction, records are framed as they come. While a side's hello is
 * still awaited ("want"), its handshake records are parsed whole (dsx_need,
 * at most 5 + 18432 bytes) and their bytes gathered until the hello message
 * is complete (the first TLS_HS_MAX bytes kept, more is ENT_A_CAP); every
 * other record is consumed as it arrives, never buffered.
 *
 *   ClientHello -> a new entry (request); an earlier one still waiting for
 *                  its ServerHello is emitted with no_response
 *   ServerHello -> the response; the entry is emitted and the stream is done:
 *                  all later bytes are consumed unread
 *   HelloRetryRequest (a ServerHello with RFC 8446's special random) ->
 *                  completes the entry of the first ClientHello, with
 *                  "helloRetryRequest": true; the second ClientHello and
 *                  its ServerHello make a second entry
 *   a ServerHello with no ClientHello seen -> an entry with no_request
 *
 * The client is the side that sends a ClientHello (or the other side of a
 * ServerHello). A first handshake record of another type (a capture that
 * starts mid-stream) stops the hello search of that side. SSLv2-compatible
 * hellos are not recognised.
 *
 * Gaps: the entry gets ENT_A_GAP. A gap that ends inside the record being
 * skipped or awaited keeps the framing; otherwise the next handshake
 * record starting a hello is searched. A malformed record header abandons
 * the stream (the entry in progress gets ENT_A_MALFORMED).
 *
 * Entry sizes: the records that carry the hello, 5-byte headers included.
 */
#include "config.h"

#include "dissect/dissect.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/cur.h"

#define TLS_HDR             5u
#define TLS_REC_MAX         (16384u + 2048u)    /* TLSCiphertext.length, RFC 5246 §6.2.3 */
#define TLS_HS_MAX          (64u * 1024)        /* bytes of one hello message kept */
#define TLS_HS_HDR          4u

enum tls_rec {
    REC_CCS = 20, REC_ALERT = 21, REC_HANDSHAKE = 22, REC_APPDATA = 23, REC_HEARTBEAT = 24,
};

enum tls_hs { HS_CLIENT_HELLO = 1, HS_SERVER_HELLO = 2 };

enum tls_ext {
    EXT_SERVER_NAME = 0, EXT_ALPN = 16, EXT_SUPPORTED_VERSIONS = 43,
};

/* RFC 8446 §4.1.3: the random of a HelloRetryRequest, SHA-256("HelloRetryRequest"). */
static const uint8_t tls_hrr_random[32] = {
    0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
    0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C,
};

struct tls_dir {
    size_t rec_left;            /* body bytes of the record being skipped (0: a header is next) */
    size_t expect;              /* bytes of the handshake record awaited whole (0: none) */
    bool want;                  /* this side's hello is still looked for */
    bool resync;                /* framing lost: searching for a hello record */
    bool in_msg;                /* a hello message is being gathered across records */
    bool capped;                /* it is longer than TLS_HS_MAX */
    uint8_t msg_type;
    size_t msg_len;             /* its body length (valid once msg_got >= 4) */
    size_t msg_got;             /* its bytes seen so far, header included */
    struct buf hs;              /* its first TLS_HS_MAX bytes */
};

struct tls_st {
    struct tls_dir d[2];
    struct ent *e;              /* the handshake waiting for its ServerHello */
    int client;                 /* dir of the client; -1 until a hello tells */
    bool done;                  /* ServerHello seen: nothing more to read */
};

/* ------------------------------------------------------------ names */

static const char *tls_version_text(uint16_t v, char b[8])
{
    switch (v) {
    case 0x0300: return "SSL 3.0";
    case 0x0301: return "TLS 1.0";
    case 0x0302: return "TLS 1.1";
    case 0x0303: return "TLS 1.2";
    case 0x0304: return "TLS 1.3";
    default:
        snprintf(b, 8, "0x%04x", (unsigned)v);
        return b;
    }
}

struct tls_suite {
    uint16_t id;
    const char *name;
};

/* IANA TLS Cipher Suites registry: the suites seen in practice. */
static const struct tls_suite tls_suites[] = {
    { 0x0000, "TLS_NULL_WITH_NULL_NULL" },
    { 0x0001, "TLS_RSA_WITH_NULL_MD5" },
    { 0x0002, "TLS_RSA_WITH_NULL_SHA" },
    { 0x0004, "TLS_RSA_WITH_RC4_128_MD5" },
    { 0x0005, "TLS_RSA_WITH_RC4_128_SHA" },
    { 0x000A, "TLS_RSA_WITH_3DES_EDE_CBC_SHA" },
    { 0x0016, "TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA" },
    { 0x002F, "TLS_RSA_WITH_AES_128_CBC_SHA" },
    { 0x0033, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA" },
    { 0x0035, "TLS_RSA_WITH_AES_256_CBC_SHA" },
    { 0x0039, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA" },
    { 0x003B, "TLS_RSA_WITH_NULL_SHA256" },
    { 0x003C, "TLS_RSA_WITH_AES_128_CBC_SHA256" },
    { 0x003D, "TLS_RSA_WITH_AES_256_CBC_SHA256" },
    { 0x0067, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256" },
    { 0x006B, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA256" },
    { 0x009C, "TLS_RSA_WITH_AES_128_GCM_SHA256" },
    { 0x009D, "TLS_RSA_WITH_AES_256_GCM_SHA384" },
    { 0x009E, "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256" },
    { 0x009F, "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384" },
    { 0x00FF, "TLS_EMPTY_RENEGOTIATION_INFO_SCSV" },
    { 0x1301, "TLS_AES_128_GCM_SHA256" },
    { 0x1302, "TLS_AES_256_GCM_SHA384" },
    { 0x1303, "TLS_CHACHA20_POLY1305_SHA256" },
    { 0x1304, "TLS_AES_128_CCM_SHA256" },
    { 0x1305, "TLS_AES_128_CCM_8_SHA256" },
    { 0x5600, "TLS_FALLBACK_SCSV" },
    { 0xC007, "TLS_ECDHE_ECDSA_WITH_RC4_128_SHA" },
    { 0xC009, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA" },
    { 0xC00A, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA" },
    { 0xC011, "TLS_ECDHE_RSA_WITH_RC4_128_SHA" },
    { 0xC012, "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA" },
    { 0xC013, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA" },
    { 0xC014, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA" },
    { 0xC023, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256" },
    { 0xC024, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384" },
    { 0xC027, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256" },
    { 0xC028, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384" },
    { 0xC02B, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256" },
    { 0xC02C, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384" },
    { 0xC02F, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256" },
    { 0xC030, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384" },
    { 0xCCA8, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256" },
    { 0xCCA9, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256" },
    { 0xCCAA, "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256" },
};

static const char *tls_suite_text(uint16_t id, char b[8])
{
    for (size_t i = 0; i < sizeof tls_suites / sizeof tls_suites[0]; i++) {
        if (tls_suites[i].id == id)
            return tls_suites[i].name;
    }
    snprintf(b, 8, "0x%04x", (unsigned)id);
    return b;
}

/* ------------------------------------------------------------ hellos */

/* A view of an extension's data (p NULL when absent). */
struct tls_view {
    const uint8_t *p;
    size_t n;
};

struct tls_hello {
    uint16_t version;           /* legacy_version */
    bool have_version;
    bool hrr;                   /* ServerHello: the HelloRetryRequest random */
    size_t suites;              /* ClientHello: cipher suites offered */
    uint16_t suite;             /* ServerHello: the one chosen */
    bool have_suite;
    struct tls_view sni, alpn, versions;
};

/* The extensions block at c; keeps the first of each kind that matters. */
static void tls_extensions(struct cur *c, struct tls_hello *h)
{
    struct cur x;
    size_t len = cur_be16(c);

    if (c->bad)
        return;
    if (len > cur_left(c)) {
        /* cut (a capped message): read the extensions that are all there */
        len = cur_left(c);
        c->bad = true;
    }
    cur_init(&x, c->p, len);
    c->p += len;
    while (cur_left(&x) > 0) {
        uint16_t type = cur_be16(&x);
        size_t n = cur_be16(&x);
        struct tls_view v;

        if (x.bad || n > cur_left(&x)) {
            c->bad = true;
            return;
        }
        v.p = x.p;
        v.n = n;
        cur_skip(&x, n);
        if (type == EXT_SERVER_NAME && !h->sni.p)
            h->sni = v;
        else if (type == EXT_ALPN && !h->alpn.p)
            h->alpn = v;
        else if (type == EXT_SUPPORTED_VERSIONS && !h->versions.p)
            h->versions = v;
    }
}

/* ClientHello body (RFC 8446 §4.1.2); false when malformed or cut. */
static bool tls_parse_ch(const uint8_t *p, size_t n, struct tls_hello *h)
{
    struct cur c;
    size_t k;

    cur_init(&c, p, n);
    h->version = cur_be16(&c);
    h->have_version = !c.bad;
    cur_skip(&c, 32);
    k = cur_u8(&c);
    if (k > 32)
        return false;
    cur_skip(&c, k);
    k = cur_be16(&c);
    if (c.bad || (k & 1))
        return false;
    cur_skip(&c, k);
    if (!c.bad)
        h->suites = k / 2;
    k = cur_u8(&c);
    cur_skip(&c, k);
    if (!c.bad && cur_left(&c) > 0)     /* extensions are optional before TLS 1.3 */
        tls_extensions(&c, h);
    return !c.bad;
}

/* ServerHello body (RFC 8446 §4.1.3); false when malformed or cut. */
static bool tls_parse_sh(const uint8_t *p, size_t n, struct tls_hello *h)
{
    struct cur c;
    size_t k;

    cur_init(&c, p, n);
    h->version = cur_be16(&c);
    h->have_version = !c.bad;
    if (cur_left(&c) >= 32)
        h->hrr = memcmp(c.p, tls_hrr_random, 32) == 0;
    cur_skip(&c, 32);
    k = cur_u8(&c);
    if (k > 32)
        return false;
    cur_skip(&c, k);
    h->suite = cur_be16(&c);
    h->have_suite = !c.bad;
    cur_skip(&c, 1);                    /* legacy_compression_method */
    if (!c.bad && cur_left(&c) > 0)
        tls_extensions(&c, h);
    return !c.bad;
}

/* The first host_name of a server_name extension (RFC 6066 §3), or false. */
static bool tls_sni(struct tls_view v, struct tls_view *name)
{
    struct cur c, l;
    size_t n;

    cur_init(&c, v.p, v.n);
    n = cur_be16(&c);
    if (c.bad || n > cur_left(&c))
        return false;
    cur_init(&l, c.p, n);
    while (cur_left(&l) > 0) {
        uint8_t type = cur_u8(&l);
        size_t k = cur_be16(&l);

        if (l.bad || k > cur_left(&l))
            return false;
        if (type == 0) {
            name->p = l.p;
            name->n = k;
            return true;
        }
        cur_skip(&l, k);
    }
    return false;
}

/* Writes the protocols of an ALPN extension (RFC 7301 §3.1) as strings; false when malformed. */
static bool tls_alpn_list(struct ent *e, struct tls_view v, bool first_only, struct tls_view *one)
{
    struct cur c, l;
    size_t n;

    if (!v.p)
        return true;
    cur_init(&c, v.p, v.n);
    n = cur_be16(&c);
    if (c.bad || n > cur_left(&c))
        return false;
    cur_init(&l, c.p, n);
    while (cur_left(&l) > 0) {
        size_t k = cur_u8(&l);

        if (k > cur_left(&l))
            return false;
        if (first_only) {
            one->p = l.p;
            one->n = k;
            return true;
        }
        ent_str(e, NULL, l.p, k);
        cur_skip(&l, k);
    }
    return true;
}

static void tls_write_ch(struct ent *e, const struct tls_hello *h, bool ok)
{
    struct tls_view name = { NULL, 0 };
    char b[8];

    ent_section(e, ENT_REQ);
    ent_cstr(e, "version", h->have_version ? tls_version_text(h->version, b) : "");
    if (h->sni.p && !tls_sni(h->sni, &name))
        ok = false;
    ent_str(e, "sni", name.p ? name.p : (const uint8_t *)"", name.n);
    ent_arr_begin(e, "alpn");
    if (!tls_alpn_list(e, h->alpn, false, NULL))
        ok = false;
    ent_arr_end(e);
    ent_arr_begin(e, "supportedVersions");
    if (h->versions.p) {
        /* ClientHello form: a 1-byte length, then 2-byte versions */
        size_t n = h->versions.n ? h->versions.p[0] : 0;

        if (h->versions.n == 0 || n > h->versions.n - 1 || (n & 1))
            ok = false;
        else
            for (size_t i = 0; i + 1 < n; i += 2)
                ent_cstr(e, NULL, tls_version_text(ld_be16(h->versions.p + 1 + i), b));
    }
    ent_arr_end(e);
    ent_u64(e, "cipherSuites", h->suites);
    if (!ok)
        ent_anomaly(e, ENT_A_MALFORMED);
}

static void tls_write_sh(struct ent *e, const struct tls_hello *h, bool ok)
{
    struct tls_view proto = { NULL, 0 };
    uint16_t v = h->version;
    char b[8];

    ent_section(e, ENT_RESP);
    if (h->versions.p) {
        /* ServerHello form: the selected version alone */
        if (h->versions.n == 2)
            v = ld_be16(h->versions.p);
        else
            ok = false;
    }
    ent_cstr(e, "version", h->have_version ? tls_version_text(v, b) : "");
    ent_cstr(e, "cipherSuite", h->have_suite ? tls_suite_text(h->suite, b) : "");
    if (!tls_alpn_list(e, h->alpn, true, &proto))
        ok = false;
    ent_str(e, "alpn", proto.p ? proto.p : (const uint8_t *)"", proto.n);
    if (h->hrr)
        ent_bool(e, "helloRetryRequest", true);
    if (!ok)
        ent_anomaly(e, ENT_A_MALFORMED);
}

/* ------------------------------------------------------------ handshake flow */

static void tls_emit(struct tls_st *s, struct dsx *x, uint32_t a)
{
    if (!s->e)
        return;
    ent_anomaly(s->e, a);
    dsx_emit(x, s->e);
    s->e = NULL;
}

/*
 * A whole hello message (header included, n >= 4) of side dir; or, with
 * cut set (ENT_A_CAP | ENT_A_TRUNCATED past TLS_HS_MAX, ENT_A_TRUNCATED
 * when the capture ended inside it), its first n bytes.
 */
static void tls_hello(struct tls_st *s, struct dsx *x, int dir, const uint8_t *m, size_t n,
                      uint32_t cut)
{
    struct tls_hello h;
    bool ok;

    memset(&h, 0, sizeof h);
    s->d[dir].want = false;
    if (!s->e)
        return;                 /* out of memory when the entry was made */
    ent_anomaly(s->e, cut);
    if (m[0] == HS_CLIENT_HELLO) {
        ok = tls_parse_ch(m + TLS_HS_HDR, n - TLS_HS_HDR, &h);
        tls_write_ch(s->e, &h, ok || cut);
        return;
    }
    ok = tls_parse_sh(m + TLS_HS_HDR, n - TLS_HS_HDR, &h);
    tls_write_sh(s->e, &h, ok || cut);
    tls_emit(s, x, 0);
    if (h.hrr) {
        /* a second ClientHello follows, then the real ServerHello */
        s->d[1 - dir].want = true;
        s->d[dir].want = true;
        return;
    }
    s->done = true;
    buf_release(&s->d[0].hs);
    buf_release(&s->d[1].hs);
}

/* The first record of a hello: decides what it is and opens or finds the entry. */
static bool tls_hello_start(struct tls_st *s, struct dsx *x, int dir, uint8_t type)
{
    if (type == HS_CLIENT_HELLO && (s->client < 0 || s->client == dir)) {
        s->client = dir;
        tls_emit(s, x, ENT_A_NO_RESPONSE);
        s->e = dsx_entry(x, ENT_TLS, dir);
        return true;
    }
    if (type == HS_SERVER_HELLO && (s->client < 0 || s->client != dir)) {
        s->client = 1 - dir;
        if (!s->e) {
            s->e = dsx_entry(x, ENT_TLS, 1 - dir);
            if (s->e)
                ent_anomaly(s->e, ENT_A_NO_REQUEST);
        }
        return true;
    }
    return false;
}

/* A whole handshake record [off, off + 5 + len) of a side whose hello is awaited. */
static void tls_hs_record(struct tls_st *s, struct dsx *x, int dir, const uint8_t *p, size_t off,
                          size_t len)
{
    struct tls_dir *d = &s->d[dir];
    const uint8_t *b = p + off + TLS_HDR;
    size_t i = 0;

    if (!d->in_msg) {
        if (len == 0 || !tls_hello_start(s, x, dir, b[0])) {
            d->want = false;    /* mid-stream, or not a hello where one belongs */
            return;
        }
        d->in_msg = true;
        d->capped = false;
        d->msg_type = b[0];
        d->msg_got = 0;
        d->msg_len = 0;
        buf_reset(&d->hs);
    }
    if (d->msg_type == HS_CLIENT_HELLO)
        dsx_mark_req(x, s->e, dir, off, TLS_HDR + len);
    else
        dsx_mark_resp(x, s->e, dir, off, TLS_HDR + len);

    if (d->msg_got == 0 && len >= TLS_HS_HDR) {
        size_t ml = (size_t)b[1] << 16 | (size_t)b[2] << 8 | b[3];

        if (ml <= len - TLS_HS_HDR) {
            /* the usual case: the whole message in this record, read in place */
            d->in_msg = false;
            tls_hello(s, x, dir, b, TLS_HS_HDR + ml, 0);
            return;
        }
    }
    while (i < len && d->in_msg) {
        size_t want = d->msg_got < TLS_HS_HDR ? TLS_HS_HDR - d->msg_got
                                              : TLS_HS_HDR + d->msg_len - d->msg_got;
        size_t k = want < len - i ? want : len - i;
        size_t room = d->hs.limit - d->hs.len;
        size_t keep = k < room ? k : room;

        if (keep < k || (keep && buf_append(&d->hs, b + i, keep) < 0))
            d->capped = true;
        d->msg_got += k;
        i += k;
        if (d->msg_got == TLS_HS_HDR && d->hs.len >= TLS_HS_HDR)
            d->msg_len = (size_t)d->hs.data[1] << 16 | (size_t)d->hs.data[2] << 8 | d->hs.data[3];
        if (d->msg_got >= TLS_HS_HDR && d->msg_got == TLS_HS_HDR + d->msg_len) {
            d->in_msg = false;
            if (d->hs.len >= TLS_HS_HDR)
                tls_hello(s, x, dir, d->hs.data, d->hs.len,
                          d->capped ? ENT_A_CAP | ENT_A_TRUNCATED : 0);
            buf_release(&d->hs);
        }
    }
}

/*
 * The end of dir came inside a hello gathered over records (its last
 * record cut, or never come): the hello as far as its bytes go.
 */
static void tls_cut_hello(struct tls_st *s, struct dsx *x, int dir)
{
    struct tls_dir *d = &s->d[dir];

    if (s->done || !d->in_msg || d->hs.len < TLS_HS_HDR)
        return;
    d->in_msg = false;
    tls_hello(s, x, dir, d->hs.data, d->hs.len, ENT_A_TRUNCATED | (d->capped ? ENT_A_CAP : 0));
    buf_release(&d->hs);
}

/* ------------------------------------------------------------ framing */

static bool tls_header_ok(uint8_t type, uint16_t version, size_t len)
{
    return type >= REC_CCS && type <= REC_HEARTBEAT && (version >> 8) == 3 &&
           (version & 0xFFu) <= 4 && len <= TLS_REC_MAX;
}

/* A handshake record that starts a hello at p (n >= 9)? */
static bool tls_hello_record(const uint8_t *p)
{
    size_t len = ld_be16(p + 3);
    size_t ml = (size_t)p[6] << 16 | (size_t)p[7] << 8 | p[8];

    return p[0] == REC_HANDSHAKE && tls_header_ok(p[0], ld_be16(p + 1), len) &&
           len >= TLS_HS_HDR && (p[5] == HS_CLIENT_HELLO || p[5] == HS_SERVER_HELLO) &&
           ml >= 34 && ml <= TLS_HS_MAX;
}

/* Framing lost: drops bytes up to the next hello record (or all, when none is awaited). */
static size_t tls_resync(struct tls_dir *d, const uint8_t *p, size_t n)
{
    size_t off;

    if (!d->want)
        return n;
    for (off = 0; n - off >= TLS_HDR + TLS_HS_HDR; off++) {
        if (tls_hello_record(p + off)) {
            d->resync = false;
            return off;
        }
    }
    return off;
}

static size_t tls_parse(void *st, struct dsx *x, int dir, const uint8_t *p, size_t n)
{
    struct tls_st *s = st;
    struct tls_dir *d = &s->d[dir];
    size_t off = 0;

    if (s->done)
        return n;
    if (d->resync) {
        off = tls_resync(d, p, n);
        if (d->resync)
            return off;
    }
    d->expect = 0;
    while (off < n) {
        uint8_t type;
        size_t len;

        if (d->rec_left) {
            size_t k = d->rec_left < n - off ? d->rec_left : n - off;

            d->rec_left -= k;
            off += k;
            continue;
        }
        if (n - off < TLS_HDR) {
            dsx_need(x, dir, TLS_HDR);
            break;
        }
        type = p[off];
        len = ld_be16(p + off + 3);
        if (!tls_header_ok(type, ld_be16(p + off + 1), len)) {
            if (s->e)
                ent_anomaly(s->e, ENT_A_MALFORMED);
            dsx_abandon(x);
            return n;
        }
        if (type != REC_HANDSHAKE || !d->want) {
            off += TLS_HDR;
            d->rec_left = len;
            continue;
        }
        if (n - off < TLS_HDR + len) {
            if (dsx_at_end(x, dir)) {
                /* no more will come (dsx_ops.parse_rest): the record as far as it goes */
                tls_hs_record(s, x, dir, p, off, n - off - TLS_HDR);
                tls_cut_hello(s, x, dir);
                return n;
            }
            d->expect = TLS_HDR + len;
            dsx_need(x, dir, TLS_HDR + len);
            break;
        }
        tls_hs_record(s, x, dir, p, off, len);
        if (s->done)
            return n;
        off += TLS_HDR + len;
    }
    return off;
}

static void tls_gap(void *st, struct dsx *x, int dir, uint64_t n)
{
    struct tls_st *s = st;
    struct tls_dir *d = &s->d[dir];

    (void)x;
    if (s->done)
        return;
    if (s->e)
        ent_anomaly(s->e, ENT_A_GAP);
    if (d->in_msg) {
        /* the rest of the hello is lost: it cannot be read any more */
        d->in_msg = false;
        d->want = false;
        buf_release(&d->hs);
    }
    if (d->resync)
        return;
    if (d->rec_left > n) {
        d->rec_left -= (size_t)n;
        return;
    }
    if (d->rec_left == 0 && d->expect > n) {
        /* the awaited record lost its start: skip its rest */
        d->rec_left = d->expect - (size_t)n;
        d->expect = 0;
        return;
    }
    d->rec_left = 0;
    d->expect = 0;
    d->resync = true;
}

static void tls_end(void *st, struct dsx *x, int dir)
{
    struct tls_st *s = st;
    uint32_t a = ENT_A_NO_RESPONSE;

    if (dir != -1)
        return;
    /* the client's first: its entry is the one a ServerHello completes */
    tls_cut_hello(s, x, s->client == 1);
    tls_cut_hello(s, x, s->client != 1);
    if (!s->e)
        return;
    if (s->client >= 0) {
        const struct tls_dir *c = &s->d[s->client], *v = &s->d[1 - s->client];

        if (c->in_msg)
            a |= ENT_A_TRUNCATED;       /* the ClientHello itself was cut */
        else if (v->want && (v->in_msg || v->expect))
            a = ENT_A_TRUNCATED;        /* the ServerHello was cut by the end of the capture */
    }
    tls_emit(s, x, a);
}

static void tls_init(void *st, struct dsx *x, const void *hint)
{
    struct tls_st *s = st;

    (void)x;
    (void)hint;
    s->client = -1;
    for (int i = 0; i < 2; i++) {
        s->d[i].want = true;
        buf_init(&s->d[i].hs, TLS_HS_MAX);
    }
}

static void tls_fini(void *st)
{
    struct tls_st *s = st;

    ent_free(s->e);
    s->e = NULL;
    buf_release(&s->d[0].hs);
    buf_release(&s->d[1].hs);
}

static enum dsx_bid tls_bid(const uint8_t *p, size_t n, int dir, bool dgram)
{
    size_t len;

    (void)dir;
    if (dgram)
        return DSX_NO;
    if (p[0] < REC_CCS || p[0] > REC_HEARTBEAT)
        return DSX_NO;
    if (n < 3)
        return n == 2 && p[1] != 3 ? DSX_NO : DSX_MORE;
    if (p[1] != 3 || p[2] > 4)
        return DSX_NO;
    if (n < TLS_HDR)
        return DSX_MORE;
    len = ld_be16(p + 3);
    if (len > TLS_REC_MAX || (len == 0 && p[0] != REC_APPDATA))
        return DSX_NO;
    if (p[0] != REC_HANDSHAKE)
        return DSX_WEAK;
    if (n < TLS_HDR + TLS_HS_HDR)
        return DSX_MORE;
    return tls_hello_record(p) ? DSX_STRONG : DSX_WEAK;
}

static const uint16_t tls_ports[] = { 443, 465, 636, 853, 993, 995, 8443, 0 };

const struct dsx_ops dsx_tls = {
    .name = "tls",
    .l4 = DSX_TCP,
    .ports = tls_ports,
    .state_size = sizeof(struct tls_st),
    .bid = tls_bid,
    .init = tls_init,
    .parse = tls_parse,
    .gap = tls_gap,
    .end = tls_end,
    .fini = tls_fini,
    .parse_rest = true,         /* a hello the capture ends inside */
};
