/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: HTTP/1 message heads: recognising a start line (method tables,
 * strict and lenient matches), parsing request and status lines and header
 * fields (Content-Length, Transfer-Encoding, Upgrade, obs-fold; RFC 9112 §3,
 * §4, §5, RFC 9110 §8.6), and writing an entry's request and response
 * sections: their start from the header block, their end (body size,
 * content) once the message is over. The state machine, framing and pairing
 * are in http1.c.
 */
#include "config.h"

#include "dissect/http1_int.h"

#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ byte classes */

struct h1_method {
    const char *name;
    size_t len;
};

#define H1_M(s) { s, sizeof s - 1 }

static const struct h1_method h1_methods[] = {
    H1_M("GET"), H1_M("POST"), H1_M("PUT"), H1_M("DELETE"), H1_M("HEAD"), H1_M("OPTIONS"),
    H1_M("PATCH"), H1_M("CONNECT"), H1_M("TRACE"),
    /* WebDAV, DeltaV, CalDAV, bindings, redirect refs (RFC 4918, 3253, 3648, 3744, 4437,
       4791, 5323, 5842) */
    H1_M("PROPFIND"), H1_M("PROPPATCH"), H1_M("MKCOL"), H1_M("COPY"), H1_M("MOVE"),
    H1_M("LOCK"), H1_M("UNLOCK"), H1_M("SEARCH"), H1_M("REPORT"), H1_M("ACL"), H1_M("BIND"),
    H1_M("UNBIND"), H1_M("REBIND"), H1_M("LINK"), H1_M("UNLINK"), H1_M("MKCALENDAR"),
    H1_M("MKACTIVITY"), H1_M("MKWORKSPACE"), H1_M("CHECKIN"), H1_M("CHECKOUT"),
    H1_M("UNCHECKOUT"), H1_M("MERGE"), H1_M("LABEL"), H1_M("UPDATE"), H1_M("VERSION-CONTROL"),
    H1_M("BASELINE-CONTROL"), H1_M("ORDERPATCH"), H1_M("MKREDIRECTREF"),
    H1_M("UPDATEREDIRECTREF"), H1_M("PURGE"),
    /* Cisco CallManager, MS RPC over HTTP (Wireshark knows them too) */
    H1_M("CCM_POST"), H1_M("RPC_IN_DATA"), H1_M("RPC_OUT_DATA"),
};

static const char *const h1_versions[] = { "HTTP/1.0 ", "HTTP/1.1 " };

/* tchar (RFC 9110 §5.6.2): DIGIT, ALPHA and !#$%&'*+-.^_`|~, by byte value. */
static const uint8_t h1_tchars[256] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,  /* 0x00 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,  /* 0x10 */
    0, 1, 0, 1, 1, 1, 1, 1, 0, 0, 1, 1, 0, 1, 1, 0,  /* 0x20 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0,  /* 0x30 */
    0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,  /* 0x40 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 1, 1,  /* 0x50 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,  /* 0x60 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 0, 1, 0,  /* 0x70 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,  /* 0x80 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,  /* 0x90 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,  /* 0xa0 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,  /* 0xb0 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,  /* 0xc0 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,  /* 0xd0 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,  /* 0xe0 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,  /* 0xf0 */
};

static bool h1_tchar(uint8_t c)
{
    return h1_tchars[c] != 0;
}

uint8_t h1_lower(uint8_t c)
{
    return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c;
}

/* Case-insensitive: are the n bytes at p the string s? */
static bool h1_ieq(const uint8_t *p, size_t n, const char *s)
{
    size_t sn = strlen(s);

    if (n != sn)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (h1_lower(p[i]) != (uint8_t)s[i])
            return false;
    }
    return true;
}

bool h1_ows(uint8_t c)
{
    return c == ' ' || c == '\t';
}

/* Trims optional whitespace (and CR/LF of folds) at both ends of [*p, *p + *n). */
static void h1_trim(const uint8_t **p, size_t *n)
{
    while (*n && (h1_ows((*p)[0]) || (*p)[0] == '\r' || (*p)[0] == '\n')) {
        (*p)++;
        (*n)--;
    }
    while (*n && (h1_ows((*p)[*n - 1]) || (*p)[*n - 1] == '\r' || (*p)[*n - 1] == '\n'))
        (*n)--;
}

/* Number of bytes of a "\r\n" / "\n" line end at p (0 if none). */
size_t h1_eol_len(const uint8_t *p, size_t n)
{
    if (n >= 1 && p[0] == '\n')
        return 1;
    if (n >= 2 && p[0] == '\r' && p[1] == '\n')
        return 2;
    return 0;
}

/* Is lit at p (M_YES), could it be with more bytes (M_MORE), or not (M_NO)? */
static enum h1_match h1_prefix(const char *lit, const uint8_t *p, size_t n)
{
    size_t ln = strlen(lit);

    if (n >= ln)
        return memcmp(p, lit, ln) == 0 ? M_YES : M_NO;
    return memcmp(p, lit, n) == 0 ? M_MORE : M_NO;
}

/* A known method and a space (req), or "HTTP/1.x " (resp), at p. */
enum h1_match h1_strict_start(const uint8_t *p, size_t n, bool req, bool resp)
{
    enum h1_match best = M_NO;

    if (req) {
        for (size_t i = 0; i < sizeof h1_methods / sizeof h1_methods[0]; i++) {
            const struct h1_method *hm = &h1_methods[i];

            /* the method and a space: "GET " */
            if (n > hm->len) {
                if (p[0] == hm->name[0] && memcmp(p, hm->name, hm->len) == 0 &&
                    p[hm->len] == ' ')
                    return M_YES;
            } else if (n == 0 || (p[0] == hm->name[0] && memcmp(p, hm->name, n) == 0)) {
                best = M_MORE;
            }
        }
    }
    if (resp) {
        for (size_t i = 0; i < sizeof h1_versions / sizeof h1_versions[0]; i++) {
            enum h1_match m = h1_prefix(h1_versions[i], p, n);

            if (m == M_YES)
                return M_YES;
            if (m == M_MORE)
                best = M_MORE;
        }
    }
    return best;
}

/* What a message start looks like (lenient: any token method). */
enum h1_kind h1_start_kind(const uint8_t *p, size_t n)
{
    static const char pri[] = "PRI * HTTP/2.0\r\n";
    enum h1_match m = h1_prefix("HTTP/", p, n);
    size_t i = 0;

    if (m == M_YES)
        return K_RESP;
    if (m == M_MORE)
        return K_MORE;
    m = h1_prefix(pri, p, n);
    if (m == M_YES)
        return K_PRI;
    if (m == M_MORE)
        return K_MORE;
    while (i < n && i < H1_METHOD_MAX && h1_tchar(p[i]))
        i++;
    if (i == 0 || i == H1_METHOD_MAX)
        return K_JUNK;
    if (i == n)
        return K_MORE;
    return p[i] == ' ' || p[i] == '\r' || p[i] == '\n' ? K_REQ : K_JUNK;
}

/* "HTTP/" DIGIT "." DIGIT */
static bool h1_version_ok(const uint8_t *p, size_t n)
{
    return n == 8 && memcmp(p, "HTTP/", 5) == 0 && p[5] >= '0' && p[5] <= '9' && p[6] == '.' &&
           p[7] >= '0' && p[7] <= '9';
}

/*
 * A request where the roles are not known yet: a known method followed by
 * SP, CR or LF, or a whole first line "token SP target SP HTTP/x.y".
 */
enum h1_match h1_first_request(const uint8_t *p, size_t n)
{
    enum h1_match best = M_NO;
    const uint8_t *nl;
    size_t l;

    for (size_t i = 0; i < sizeof h1_methods / sizeof h1_methods[0]; i++) {
        size_t ln = h1_methods[i].len;
        enum h1_match m = h1_prefix(h1_methods[i].name, p, n);

        if (m == M_YES && n == ln)
            m = M_MORE;
        if (m == M_YES && (p[ln] == ' ' || p[ln] == '\r' || p[ln] == '\n'))
            return M_YES;
        if (m == M_MORE)
            best = M_MORE;
    }
    nl = memchr(p, '\n', n < H1_FIRST_LINE_MAX ? n : H1_FIRST_LINE_MAX);
    if (!nl)
        return n < H1_FIRST_LINE_MAX ? M_MORE : best;
    l = (size_t)(nl - p);
    if (l && p[l - 1] == '\r')
        l--;
    if (l > 10 && h1_version_ok(p + l - 8, 8) && p[l - 9] == ' ' && memchr(p, ' ', l - 9))
        return M_YES;
    return best;
}

/* ------------------------------------------------------------ header fields */

/*
 * The next element of the comma-separated list [p, p+n) from *i on, trimmed,
 * into (e, en); *i moves past its comma. Empty elements are skipped (RFC 9110
 * §5.6.1: a recipient ignores them). False when no element is left.
 */
static bool h1_list_next(const uint8_t *p, size_t n, size_t *i, const uint8_t **e, size_t *en)
{
    while (*i <= n) {
        size_t j = *i;

        while (j < n && p[j] != ',')
            j++;
        *e = p + *i;
        *en = j - *i;
        h1_trim(e, en);
        *i = j + 1;
        if (*en)
            return true;
    }
    return false;
}

/*
 * Content-Length: 1*DIGIT, or a list of equal ones (RFC 9110 §8.6). Leading
 * zeros are not significant; more than 18 significant digits are refused.
 */
static bool h1_parse_cl(const uint8_t *p, size_t n, uint64_t *out)
{
    bool any = false;
    uint64_t first = 0;
    const uint8_t *e;
    size_t i = 0, en;

    while (h1_list_next(p, n, &i, &e, &en)) {
        uint64_t v = 0;
        size_t z = 0;

        while (z < en && e[z] == '0')
            z++;
        if (en - z > 18)
            return false;
        for (size_t k = 0; k < en; k++) {
            if (e[k] < '0' || e[k] > '9')
                return false;
            v = v * 10 + (uint64_t)(e[k] - '0');
        }
        if (any && v != first)
            return false;
        first = v;
        any = true;
    }
    *out = first;
    return any;
}

/* Does the comma-separated list [p, p+n) hold token tok (case-insensitive, before any '/')? */
static bool h1_list_has(const uint8_t *p, size_t n, const char *tok)
{
    const uint8_t *e;
    size_t i = 0, en, k;

    while (h1_list_next(p, n, &i, &e, &en)) {
        for (k = 0; k < en && e[k] != '/' && e[k] != ';'; k++)
            ;
        en = k;
        h1_trim(&e, &en);
        if (h1_ieq(e, en, tok))
            return true;
    }
    return false;
}

/* Transfer-Encoding: is the last coding of this field "chunked"? */
static void h1_te(struct h1_hdrs *h, const uint8_t *p, size_t n)
{
    const uint8_t *e, *last = NULL;
    size_t i = 0, en, lastn = 0;

    while (h1_list_next(p, n, &i, &e, &en)) {
        last = e;
        lastn = en;
    }
    if (!last)
        return;         /* no coding in this field */
    h->chunked = h1_ieq(last, lastn, "chunked");
    h->te_other = !h->chunked;
}

/*
 * A value to keep past h1_field: v itself, or, when v is a joined fold (on
 * h1_field's stack), its first cap bytes copied into buf.
 */
static const uint8_t *h1_keep(const uint8_t *v, size_t vn, bool folded, uint8_t *buf,
                              size_t cap)
{
    if (!folded)
        return v;
    memcpy(buf, v, vn < cap ? vn : cap);
    return buf;
}

/*
 * One complete field: interprets it and writes it (if e). A value with folds
 * (obs-fold, RFC 9112 §5.2) is joined with single spaces.
 */
static void h1_field(struct ent *e, struct h1_hdrs *h, const uint8_t *name, size_t nn,
                     const uint8_t *v, size_t vn)
{
    uint8_t fold[H1_FOLD_MAX];

    h1_trim(&v, &vn);
    if (memchr(v, '\n', vn)) {
        size_t o = 0, i;

        for (i = 0; i < vn && o < sizeof fold; i++) {
            if (v[i] == '\r' || v[i] == '\n' || h1_ows(v[i])) {
                size_t j = i;

                while (j < vn && (v[j] == '\r' || v[j] == '\n' || h1_ows(v[j])))
                    j++;
                fold[o++] = ' ';
                i = j - 1;
            } else {
                fold[o++] = v[i];
            }
        }
        if (i < vn)
            h->anom |= ENT_A_TRUNCATED;     /* what did not fit is cut */
        v = fold;
        vn = o;
    }
    if (h1_ieq(name, nn, "content-length")) {
        uint64_t cl = 0;

        if (!h1_parse_cl(v, vn, &cl) || (h->cl_set && cl != h->cl))
            h->cl_bad = true;
        h->cl = cl;
        h->cl_set = true;
    } else if (h1_ieq(name, nn, "transfer-encoding")) {
        h1_te(h, v, vn);
    } else if (h1_ieq(name, nn, "upgrade")) {
        h->upgrade = true;
        if (h1_list_has(v, vn, "h2c"))
            h->h2c = true;
    } else if (h1_ieq(name, nn, "content-type") && !h->ctype) {
        h->ctype = h1_keep(v, vn, v == fold, h->ctype_fold, sizeof h->ctype_fold);
        h->ctypen = vn;
    } else if (h1_ieq(name, nn, "host") && !h->host) {
        h->host = h1_keep(v, vn, v == fold, h->host_fold, sizeof h->host_fold);
        h->hostn = vn;
    }
    if (h->count++ >= H1_HEADERS_MAX) {
        h->anom |= ENT_A_TRUNCATED;
        return;
    }
    h->hpack += nn + vn + 32;
    if (e)
        ent_str_bk(e, name, nn, v, vn);
}

/*
 * The field lines of a header block, [p, p+n) (after the start line, without
 * the final empty line): interprets them into h and writes them to e's open
 * object (e may be NULL).
 */
static void h1_field_lines(struct ent *e, struct h1_hdrs *h, const uint8_t *p, size_t n)
{
    const uint8_t *name = NULL, *val = NULL;
    size_t nn = 0, vend = 0;
    size_t i = 0;

    while (i < n) {
        const uint8_t *nl = memchr(p + i, '\n', n - i);
        size_t end = nl ? (size_t)(nl - p) : n;     /* the line is [i, end) */
        size_t le = end;
        const uint8_t *colon;

        if (le > i && p[le - 1] == '\r')
            le--;
        if (h1_ows(p[i])) {
            /* obs-fold: continues the previous field's value */
            if (name)
                vend = le;
            else
                h->anom |= ENT_A_MALFORMED;
            i = end + 1;
            continue;
        }
        if (name)
            h1_field(e, h, name, nn, val, vend - (size_t)(val - p));
        name = NULL;
        colon = memchr(p + i, ':', le - i);
        if (!colon || colon == p + i) {
            h->anom |= ENT_A_MALFORMED;
        } else {
            bool ok = true;

            for (const uint8_t *c = p + i; c < colon; c++)
                ok = ok && h1_tchar(*c);
            if (!ok) {
                h->anom |= ENT_A_MALFORMED;
            } else {
                name = p + i;
                nn = (size_t)(colon - name);
                val = colon + 1;
                vend = le;
            }
        }
        i = end + 1;
    }
    if (name)
        h1_field(e, h, name, nn, val, vend - (size_t)(val - p));
}

/* The same, written as the "headers" object. */
static void h1_fields(struct ent *e, struct h1_hdrs *h, const uint8_t *p, size_t n)
{
    if (e)
        ent_obj_begin(e, "headers");
    h1_field_lines(e, h, p, n);
    if (e)
        ent_obj_end(e);
}

uint32_t dsx_h1_field_lines(struct ent *e, const uint8_t *p, size_t n, uint64_t *hpack)
{
    struct h1_hdrs h;

    memset(&h, 0, sizeof h);
    h1_field_lines(e, &h, p, n);
    *hpack = h.hpack;
    return h.anom;
}

/* ------------------------------------------------------------ requests and responses */

_Static_assert(H1_HOST_MAX == sizeof ((struct dsx_h2c_hint *)0)->host,
               "a kept Host fills the h2c hint's");

/*
 * The path of a request-target [t, t+n) (up to its '?'), by its form (RFC
 * 9112 §3.2): origin-form and asterisk-form as sent; absolute-form (a request
 * to a proxy, "http://host/p") its path component, "/" when empty (RFC 9110
 * §4.2.3), as the origin server and HTTP/2's :path have it; authority-form
 * (CONNECT) none.
 */
static void h1_target_path(const uint8_t *t, size_t n, bool connect, const uint8_t **path,
                           size_t *pathn)
{
    size_t i = 0;

    *path = t;
    *pathn = n;
    if (connect && n && t[0] != '/') {
        *pathn = 0;
        return;
    }
    /* scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) (RFC 3986 §3.1), then "://" */
    while (i < n && ((h1_lower(t[i]) >= 'a' && h1_lower(t[i]) <= 'z') ||
                     (i > 0 && ((t[i] >= '0' && t[i] <= '9') || t[i] == '+' || t[i] == '-' ||
                                t[i] == '.'))))
        i++;
    if (i == 0 || n - i < 3 || memcmp(t + i, "://", 3) != 0)
        return;
    for (i += 3; i < n && t[i] != '/' && t[i] != '#'; i++)
        ;
    if (i == n || t[i] == '#') {
        *path = (const uint8_t *)"/";
        *pathn = 1;
        return;
    }
    *path = t + i;
    *pathn = n - i;
    for (size_t k = i; k < n; k++) {
        if (t[k] == '#') {
            *pathn = k - i;
            break;
        }
    }
}

/*
 * The request line of a header block; writes the request's start.
 * request-line = method SP request-target SP HTTP-version (RFC 9112 §3): the
 * method ends at the first SP, the version starts after the last one. Other
 * whitespace around the target or at the line's end, or any inside the
 * target, is malformed (§3 says not to autocorrect such a line); the parts
 * are still shown as whitespace-delimited words give them (§3's lenient
 * reading).
 */
void h1_req_line(struct h1 *st, struct h1_tx *tx, const uint8_t *p, size_t n,
                 const uint8_t *fields, size_t fn, size_t hsize, struct h1_hdrs *hp)
{
    struct ent *e = tx->e;
    struct h1_hdrs h;
    const uint8_t *sp1, *sp2 = NULL, *tgt, *ver, *path;
    size_t mn, tn = 0, vn = 0, ln = n, qm, pathn;
    uint32_t anom = 0;

    while (ln && h1_ows(p[ln - 1]))
        ln--;
    sp1 = memchr(p, ' ', ln);
    mn = sp1 ? (size_t)(sp1 - p) : ln;
    tgt = ver = p + ln;
    if (sp1) {
        for (const uint8_t *c = p + ln; c > sp1 + 1; c--) {
            if (c[-1] == ' ') {
                sp2 = c - 1;
                break;
            }
        }
        tgt = sp1 + 1;
        if (sp2) {
            tn = (size_t)(sp2 - tgt);
            ver = sp2 + 1;
            vn = (size_t)(p + ln - ver);
        } else {
            tn = (size_t)(p + ln - tgt);
        }
    }
    while (tn && h1_ows(tgt[0])) {
        tgt++;
        tn--;
        anom |= ENT_A_MALFORMED;
    }
    while (tn && h1_ows(tgt[tn - 1])) {
        tn--;
        anom |= ENT_A_MALFORMED;
    }
    if (ln < n || tn == 0 || memchr(tgt, ' ', tn) || memchr(tgt, '\t', tn) ||
        !h1_version_ok(ver, vn))
        anom |= ENT_A_MALFORMED;
    memset(&h, 0, sizeof h);
    if (mn == 4 && memcmp(p, "HEAD", 4) == 0)
        tx->fl |= TX_HEAD;
    if (mn == 7 && memcmp(p, "CONNECT", 7) == 0)
        tx->fl |= TX_CONNECT;
    for (qm = 0; qm < tn && tgt[qm] != '?'; qm++)
        ;
    h1_target_path(tgt, qm, (tx->fl & TX_CONNECT) != 0, &path, &pathn);
    if (e) {
        ent_section(e, ENT_REQ);
        ent_str(e, "method", p, mn);
        ent_str(e, "url", tgt, tn);
        ent_str(e, "path", path, pathn);
        ent_str(e, "httpVersion", ver, vn);
    }
    h1_fields(e, &h, fields, fn);
    if (e) {
        ent_obj_begin(e, "queryString");
        for (size_t i = qm + 1; i < tn + 1 && qm < tn;) {
            size_t j = i, eq;

            while (j < tn && tgt[j] != '&')
                j++;
            for (eq = i; eq < j && tgt[eq] != '='; eq++)
                ;
            if (j > i)
                ent_str_bk(e, tgt + i, eq - i, tgt + (eq < j ? eq + 1 : j),
                           eq < j ? j - eq - 1 : 0);
            i = j + 1;
        }
        ent_obj_end(e);
        ent_u64(e, "headersSize", hsize);
        ent_anomaly(e, anom | h.anom);
    }
    if (h.h2c) {
        tx->fl |= TX_H2C;
        /* the request goes to HTTP/2 whole (target and fields: both are within the header
         * block's H1_HDR_MAX), as stream 1 */
        free(st->hint);
        st->hint = calloc(1, sizeof *st->hint + tn + fn);
        if (st->hint) {
            struct dsx_h2c_hint *k = st->hint;

            k->client_dir = st->client == 1 ? 1 : 0;
            memcpy(k->method, p, mn < sizeof k->method ? mn : sizeof k->method - 1);
            if (h.host)
                memcpy(k->host, h.host, h.hostn < sizeof k->host ? h.hostn : sizeof k->host - 1);
            k->url_len = (uint32_t)tn;
            k->fields_len = (uint32_t)fn;
            memcpy(k->data, tgt, tn);
            memcpy(k->data + tn, fields, fn);
        }
    }
    *hp = h;
}

/* The status line of a header block; writes the response's start unless interim. */
bool h1_resp_line(struct h1_tx *tx, const uint8_t *p, size_t n, const uint8_t *fields,
                  size_t fn, size_t hsize, bool cut, unsigned *statusp, struct h1_hdrs *hp)
{
    struct ent *e = tx->e;
    const uint8_t *sp1, *code, *reason;
    size_t vn, rn = 0;
    unsigned status = 0;
    uint32_t anom = 0;
    struct h1_hdrs h;

    /* status-line = HTTP-version SP status-code SP [ reason-phrase ]; status-code = 3DIGIT:
     * codes outside RFC 9110's 100-599 (000-099, 600-999) are kept as sent, as tshark does */
    sp1 = memchr(p, ' ', n);
    vn = sp1 ? (size_t)(sp1 - p) : n;
    code = sp1 ? sp1 + 1 : p + n;
    if (!h1_version_ok(p, vn))
        anom |= ENT_A_MALFORMED;
    if ((size_t)(p + n - code) >= 3 && code[0] >= '0' && code[0] <= '9' && code[1] >= '0' &&
        code[1] <= '9' && code[2] >= '0' && code[2] <= '9' &&
        ((size_t)(p + n - code) == 3 || code[3] == ' ')) {
        status = (unsigned)(code[0] - '0') * 100 + (unsigned)(code[1] - '0') * 10 +
                 (unsigned)(code[2] - '0');
        reason = code + 3 + ((size_t)(p + n - code) > 3);
        rn = (size_t)(p + n - reason);
    } else {
        anom |= ENT_A_MALFORMED;
        reason = p + n;
    }
    memset(&h, 0, sizeof h);
    if (status >= 100 && status < 200 && status != 101 && !cut) {
        /* interim: its bytes count, the final response is written */
        h1_fields(NULL, &h, fields, fn);
        if (e)
            ent_anomaly(e, anom | h.anom);
        *statusp = status;
        *hp = h;
        return false;
    }
    tx->fl |= TX_RESP_HDR;
    if (e) {
        ent_section(e, ENT_RESP);
        ent_u64(e, "status", status);
        ent_str(e, "statusText", reason, rn);
        ent_str(e, "httpVersion", p, vn);
    }
    h1_fields(e, &h, fields, fn);
    if (e) {
        ent_u64(e, "headersSize", hsize);
        ent_anomaly(e, anom | h.anom);
    }
    *statusp = status;
    *hp = h;
    return true;
}

/* The end of a request: bodySize, chunked. */
void h1_req_end(struct ent *e, const struct h1_dir *d)
{
    ent_section(e, ENT_REQ);
    ent_u64(e, "bodySize", d->body);
    ent_bool(e, "chunked", d->chunked);
}

/* The end of a final response: bodySize, chunked, content. */
void h1_resp_end(struct ent *e, const struct h1_dir *d)
{
    ent_section(e, ENT_RESP);
    ent_u64(e, "bodySize", d->body);
    ent_bool(e, "chunked", d->chunked);
    ent_obj_begin(e, "content");
    ent_str(e, "mimeType", d->mime, d->mimen);
    ent_u64(e, "size", d->body);
    ent_obj_end(e);
}
