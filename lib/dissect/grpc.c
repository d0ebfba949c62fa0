/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: what an HTTP/2 stream's header blocks and DATA say, for http2.c:
 * the decoded header fields, the entry keys written from them (request,
 * response, trailers, an h2c upgrade's request, the closing keys), and gRPC on
 * top: gRPC streams recognised by content-type or grpc-status, service and
 * method from :path, grpc-status and grpc-message, and the Length-Prefixed-
 * Messages counted across DATA frames.
 *
 * References: gRPC over HTTP/2 (PROTOCOL-HTTP2.md: Length-Prefixed-Message =
 * 1-byte compressed flag, 4-byte length, message).
 */
#include "config.h"

#include "dissect/http2_int.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/cur.h"

/* Bytes kept per stream of :path, the response content-type and grpc-message. */
#define H2_KEEP_MAX             1024u

/* ---- small helpers ------------------------------------------------------------------- */

static bool bytes_prefix(const uint8_t *p, size_t n, const char *s)
{
    size_t k = strlen(s);

    return n >= k && memcmp(p, s, k) == 0;
}

/* Parses a decimal number of 1..9 digits; false otherwise. */
bool h2_parse_dec(const uint8_t *p, size_t n, uint32_t *v)
{
    uint32_t r = 0;

    if (n == 0 || n > 9)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return false;
        r = r * 10 + (uint32_t)(p[i] - '0');
    }
    *v = r;
    return true;
}

/* Go's http.StatusText, as Kubeshark writes it ("" for an unknown code). */
static const char *status_text(uint32_t code)
{
    switch (code) {
    case 100: return "Continue";
    case 101: return "Switching Protocols";
    case 102: return "Processing";
    case 103: return "Early Hints";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 203: return "Non-Authoritative Information";
    case 204: return "No Content";
    case 205: return "Reset Content";
    case 206: return "Partial Content";
    case 207: return "Multi-Status";
    case 208: return "Already Reported";
    case 226: return "IM Used";
    case 300: return "Multiple Choices";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 305: return "Use Proxy";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 402: return "Payment Required";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 407: return "Proxy Authentication Required";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 411: return "Length Required";
    case 412: return "Precondition Failed";
    case 413: return "Request Entity Too Large";
    case 414: return "Request URI Too Long";
    case 415: return "Unsupported Media Type";
    case 416: return "Requested Range Not Satisfiable";
    case 417: return "Expectation Failed";
    case 418: return "I'm a teapot";
    case 421: return "Misdirected Request";
    case 422: return "Unprocessable Entity";
    case 423: return "Locked";
    case 424: return "Failed Dependency";
    case 425: return "Too Early";
    case 426: return "Upgrade Required";
    case 428: return "Precondition Required";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 451: return "Unavailable For Legal Reasons";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    case 506: return "Variant Also Negotiates";
    case 507: return "Insufficient Storage";
    case 508: return "Loop Detected";
    case 510: return "Not Extended";
    case 511: return "Network Authentication Required";
    default: return "";
    }
}

/* Keeps a copy of p/n (cut to H2_KEEP_MAX: the entry is then TRUNCATED). */
static void keep_str(struct h2_stream *s, char **dst, size_t *dlen, const uint8_t *p, size_t n)
{
    char *c;

    if (*dst)
        return;                 /* the first value counts */
    if (n > H2_KEEP_MAX) {
        n = H2_KEEP_MAX;
        if (s->e)
            ent_anomaly(s->e, ENT_A_TRUNCATED);
    }
    c = malloc(n ? n : 1);
    if (!c)
        return;
    if (n)
        memcpy(c, p, n);
    *dst = c;
    *dlen = n;
}

/* ---- decoded header fields ------------------------------------------------------------ */

void h2_fields_reset(struct h2 *h)
{
    buf_reset(&h->fields);
    h->fields_cut = false;
    h->fields_bad = false;
    h->regular = false;
    h->pseudo = 0;
    h->hsize = 0;
    memset(h->known, 0, sizeof h->known);
}

/* The enum h2_pseudo bit of a pseudo-header field's name, 0 for one no RFC defines. */
static unsigned pseudo_of(const uint8_t *name, size_t nlen)
{
    switch (nlen) {
    case 5:
        return memcmp(name, ":path", 5) == 0 ? H2_PH_PATH : 0;
    case 7:
        if (memcmp(name, ":method", 7) == 0)
            return H2_PH_METHOD;
        if (memcmp(name, ":scheme", 7) == 0)
            return H2_PH_SCHEME;
        return memcmp(name, ":status", 7) == 0 ? H2_PH_STATUS : 0;
    case 9:
        return memcmp(name, ":protocol", 9) == 0 ? H2_PH_PROTOCOL : 0;
    case 10:
        return memcmp(name, ":authority", 10) == 0 ? H2_PH_AUTHORITY : 0;
    default:
        return 0;
    }
}

/*
 * A name HTTP/2 allows (RFC 9113 §8.2.1): not empty (a token), nothing in
 * 0x00-0x20, 'A'-'Z' or 0x7f-0xff, a colon only first (pseudo-header fields).
 */
static bool name_ok(const uint8_t *p, size_t n)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = p[i];

        if (c <= 0x20 || c >= 0x7f || (c >= 'A' && c <= 'Z') || (c == ':' && i > 0))
            return false;
    }
    return true;
}

/* A value HTTP/2 allows (§8.2.1): no NUL, LF or CR, no SP or HTAB first or last. */
static bool value_ok(const uint8_t *p, size_t n)
{
    if (n == 0)
        return true;
    if (p[0] == ' ' || p[0] == '\t' || p[n - 1] == ' ' || p[n - 1] == '\t')
        return false;
    return !memchr(p, '\0', n) && !memchr(p, '\n', n) && !memchr(p, '\r', n);
}

/*
 * A connection-specific field (§8.2.2): Connection, Proxy-Connection,
 * Keep-Alive, Transfer-Encoding, Upgrade, and TE but as "trailers".
 */
static bool connection_specific(const uint8_t *name, size_t nlen, const uint8_t *value,
                                size_t vlen)
{
    static const char trailers[] = "trailers";

    switch (nlen) {
    case 2:
        if (memcmp(name, "te", 2) != 0)
            return false;
        if (vlen != sizeof trailers - 1)
            return true;
        for (size_t i = 0; i < vlen; i++) {
            if ((value[i] | 0x20) != trailers[i])
                return true;
        }
        return false;
    case 7:
        return memcmp(name, "upgrade", 7) == 0;
    case 10:
        return memcmp(name, "connection", 10) == 0 || memcmp(name, "keep-alive", 10) == 0;
    case 16:
        return memcmp(name, "proxy-connection", 16) == 0;
    case 17:
        return memcmp(name, "transfer-encoding", 17) == 0;
    default:
        return false;
    }
}

/* The checks of h2_field_cb (http2_int.h) on one field. */
static void field_check(struct h2 *h, const uint8_t *name, size_t nlen, const uint8_t *value,
                        size_t vlen)
{
    if (!name_ok(name, nlen) || !value_ok(value, vlen))
        h->fields_bad = true;
    if (nlen && name[0] == ':') {
        unsigned ph = pseudo_of(name, nlen);

        if (!ph || h->regular || (h->pseudo & ph))
            h->fields_bad = true;
        if ((ph == H2_PH_METHOD || ph == H2_PH_PATH) && vlen == 0)
            h->fields_bad = true;
        if (ph == H2_PH_METHOD && vlen == 7 && memcmp(value, "CONNECT", 7) == 0)
            ph |= H2_PH_CONNECT;
        h->pseudo |= (uint8_t)ph;
    } else {
        h->regular = true;
        if (connection_specific(name, nlen, value, vlen))
            h->fields_bad = true;
    }
}

/* Which of the names h2_field_find looks up name is, or H2_F_COUNT. */
static enum h2_known known_of(const uint8_t *name, size_t nlen)
{
    switch (nlen) {
    case 5:
        return memcmp(name, ":path", 5) == 0 ? H2_F_PATH : H2_F_COUNT;
    case 7:
        if (memcmp(name, ":method", 7) == 0)
            return H2_F_METHOD;
        return memcmp(name, ":status", 7) == 0 ? H2_F_STATUS : H2_F_COUNT;
    case 11:
        return memcmp(name, "grpc-status", 11) == 0 ? H2_F_GRPC_STATUS : H2_F_COUNT;
    case 12:
        if (memcmp(name, "content-type", 12) == 0)
            return H2_F_CTYPE;
        return memcmp(name, "grpc-message", 12) == 0 ? H2_F_GRPC_MESSAGE : H2_F_COUNT;
    default:
        return H2_F_COUNT;
    }
}

void h2_field_cb(void *arg, const uint8_t *name, size_t nlen, const uint8_t *value,
                 size_t vlen)
{
    struct h2 *h = arg;
    uint32_t l[2] = { (uint32_t)nlen, (uint32_t)vlen };
    size_t at = h->fields.len;
    enum h2_known k;
    uint8_t *p;

    h->hsize += (uint64_t)nlen + vlen + HPACK_ENTRY_OVERHEAD;
    field_check(h, name, nlen, value, vlen);
    if (h->fields_cut)
        return;
    if (at + sizeof l + nlen + vlen > h->fields.limit) {
        h->fields_cut = true;
        return;
    }
    p = buf_reserve(&h->fields, sizeof l + nlen + vlen);
    if (!p) {
        h->fields_cut = true;
        return;
    }
    memcpy(p, l, sizeof l);
    if (nlen)
        memcpy(p + sizeof l, name, nlen);
    if (vlen)
        memcpy(p + sizeof l + nlen, value, vlen);
    h->fields.len += sizeof l + nlen + vlen;
    k = known_of(name, nlen);
    if (k != H2_F_COUNT && h->known[k] == 0)
        h->known[k] = at + 1;
}

/* The field whose record is at pos; *pos moves to the next record. False past the end. */
static bool field_next(const struct h2 *h, size_t *pos, struct h2_field *f)
{
    uint32_t l[2];

    if (*pos + sizeof l > h->fields.len)
        return false;
    memcpy(l, h->fields.data + *pos, sizeof l);
    f->name = h->fields.data + *pos + sizeof l;
    f->nlen = l[0];
    f->value = f->name + l[0];
    f->vlen = l[1];
    *pos += sizeof l + (size_t)l[0] + l[1];
    return true;
}

bool h2_field_find(const struct h2 *h, enum h2_known k, struct h2_field *out)
{
    size_t pos;

    if ((unsigned)k >= H2_F_COUNT || h->known[k] == 0)
        return false;
    pos = h->known[k] - 1;
    return field_next(h, &pos, out);
}

bool h2_status(const struct h2 *h, uint32_t *code)
{
    struct h2_field f;

    *code = 0;
    if (!h2_field_find(h, H2_F_STATUS, &f) || f.vlen != 3)
        return false;
    return h2_parse_dec(f.value, f.vlen, code);
}

bool h2_block_ok(const struct h2 *h, enum h2_block k, bool complete)
{
    unsigned p = h->pseudo, need = 0;
    uint32_t code;

    if (h->fields_bad)
        return false;
    switch (k) {
    case H2_B_REQUEST:
        if (p & H2_PH_STATUS)
            return false;
        if ((p & H2_PH_CONNECT) && !(p & H2_PH_PROTOCOL)) {
            /* CONNECT (§8.5): :authority, and neither :scheme nor :path */
            if (p & (H2_PH_SCHEME | H2_PH_PATH))
                return false;
            need = H2_PH_METHOD | H2_PH_AUTHORITY;
        } else {
            /* :protocol only with CONNECT (RFC 8441 §4), which then has :scheme and :path */
            if ((p & H2_PH_PROTOCOL) && !(p & H2_PH_CONNECT))
                return false;
            need = H2_PH_METHOD | H2_PH_SCHEME | H2_PH_PATH;
        }
        break;
    case H2_B_RESPONSE:
        if ((p & ~(unsigned)H2_PH_STATUS) || ((p & H2_PH_STATUS) && !h2_status(h, &code)))
            return false;
        need = H2_PH_STATUS;
        break;
    case H2_B_TRAILERS:
        return p == 0;          /* §8.1: no pseudo-header fields */
    }
    return !complete || (p & need) == need;
}

static bool is_cookie(const struct h2_field *f)
{
    return f->nlen == 6 && memcmp(f->name, "cookie", 6) == 0;
}

/*
 * The block's cookie crumbs, the first being c and pos the record after it,
 * as one value joined with "; " (RFC 9113 §8.2.3), not with the ", " that
 * joins other repeated fields.
 */
static void write_cookie(struct h2 *h, struct ent *e, size_t pos, const struct h2_field *c)
{
    struct h2_field f;
    bool more = false;
    int rc;

    buf_reset(&h->join);
    rc = buf_append(&h->join, c->value, c->vlen);
    while (field_next(h, &pos, &f)) {
        if (!is_cookie(&f))
            continue;
        more = true;
        if (rc == 0)
            rc = buf_append(&h->join, "; ", 2);
        if (rc == 0)
            rc = buf_append(&h->join, f.value, f.vlen);
    }
    if (!more)
        ent_str_bk(e, c->name, c->nlen, c->value, c->vlen);
    else
        ent_str_bk(e, c->name, c->nlen, h->join.data, h->join.len);
    if (rc < 0)
        ent_anomaly(e, ENT_A_TRUNCATED);
    if (h->join.cap > 64u * 1024)
        buf_release(&h->join);
}

static void write_fields(struct h2 *h, struct ent *e, const char *key)
{
    struct h2_field f;
    size_t pos = 0;
    bool cookie = false;

    ent_obj_begin(e, key);
    while (field_next(h, &pos, &f)) {
        if (!is_cookie(&f)) {
            ent_str_bk(e, f.name, f.nlen, f.value, f.vlen);
        } else if (!cookie) {
            cookie = true;
            write_cookie(h, e, pos, &f);
        }
    }
    ent_obj_end(e);
}

/* "queryString": the target's query split at '&', each name=value as it is. */
static void write_query(struct ent *e, const uint8_t *url, size_t n)
{
    const uint8_t *q = memchr(url, '?', n);
    const uint8_t *end = url + n;

    ent_obj_begin(e, "queryString");
    if (q) {
        q++;
        while (q < end) {
            const uint8_t *amp = memchr(q, '&', (size_t)(end - q));
            const uint8_t *pe = amp ? amp : end;
            const uint8_t *eq = memchr(q, '=', (size_t)(pe - q));

            if (pe > q) {
                if (eq)
                    ent_str_bk(e, q, (size_t)(eq - q), eq + 1, (size_t)(pe - eq - 1));
                else
                    ent_str_bk(e, q, (size_t)(pe - q), q, 0);
            }
            q = amp ? amp + 1 : end;
        }
    }
    ent_obj_end(e);
}

/* ---- gRPC ------------------------------------------------------------------------------- */

/* gRPC service and method from a kept :path "/pkg.Service/Method". */
static void grpc_names(const struct h2_stream *s, const char **svc, size_t *svc_len,
                       const char **meth, size_t *meth_len)
{
    const char *p = s->path, *slash;
    size_t n = s->path_len;

    *svc = *meth = "";
    *svc_len = *meth_len = 0;
    if (!p || n < 2 || p[0] != '/')
        return;
    slash = memchr(p + 1, '/', n - 1);
    if (!slash)
        return;
    *svc = p + 1;
    *svc_len = (size_t)(slash - p - 1);
    *meth = slash + 1;
    *meth_len = n - (size_t)(slash - p) - 1;
}

/*
 * The grpc-status of the start of a gRPC-Web trailers frame, header lines
 * as in HTTP/1 ("grpc-status: 0\r\n", names in any case); -1 when none.
 * whole: p holds all of the frame, so its last line may lack its CRLF.
 */
static int16_t web_status(const uint8_t *p, size_t n, bool whole)
{
    static const char name[] = "grpc-status";
    size_t nl = sizeof name - 1;

    for (size_t at = 0; at < n;) {
        const uint8_t *eol = memchr(p + at, '\n', n - at);
        size_t end = eol ? (size_t)(eol - p) : n, i = at + nl, v;
        uint32_t code;

        if (end - at > nl && strncasecmp((const char *)p + at, name, nl) == 0) {
            while (i < end && (p[i] == ' ' || p[i] == '\t'))
                i++;
            if (i < end && p[i] == ':' && (eol || whole)) {
                for (i++; i < end && (p[i] == ' ' || p[i] == '\t'); i++)
                    ;
                for (v = end; v > i && (p[v - 1] == '\r' || p[v - 1] == ' ' ||
                                        p[v - 1] == '\t'); v--)
                    ;
                if (h2_parse_dec(p + i, v - i, &code) && code <= INT16_MAX)
                    return (int16_t)code;
            }
        }
        if (!eol)
            break;
        at = end + 1;
    }
    return -1;
}

/*
 * Length-Prefixed-Messages in DATA: counted as the payload comes, across
 * frames. gRPC-Web's trailers travel as one more such frame, flagged 0x80:
 * no message; its first bytes are kept for the grpc-status in it. The base64
 * text form (application/grpc-web-text) is not read at all.
 */
void h2_grpc_feed(struct h2_side *sd, const uint8_t *p, size_t n)
{
    if (sd->msg_lost || sd->web_text)
        return;
    while (n > 0) {
        if (sd->msg_left) {
            size_t k = n < sd->msg_left ? n : sd->msg_left;

            if (sd->web_tr) {
                size_t keep = sizeof sd->web - sd->web_len;

                keep = keep < k ? keep : k;
                memcpy(sd->web + sd->web_len, p, keep);
                sd->web_len = (uint8_t)(sd->web_len + keep);
                if (keep < k)
                    sd->web_cut = true;
            }
            sd->msg_left -= (uint32_t)k;
            p += k;
            n -= k;
            if (sd->web_tr && sd->msg_left == 0) {
                if (sd->web_status < 0)
                    sd->web_status = web_status(sd->web, sd->web_len, !sd->web_cut);
                sd->web_tr = false;
            }
            continue;
        }
        sd->pre[sd->pre_len++] = *p++;
        n--;
        if (sd->pre_len == sizeof sd->pre) {
            uint32_t len = ld_be32(sd->pre + 1);

            if (!(sd->pre[0] & 0x80)) {
                sd->msgs++;
                sd->msg_bytes += len;
            } else {
                sd->web_tr = len > 0;
                sd->web_len = 0;
                sd->web_cut = false;
            }
            sd->msg_left = len;
            sd->pre_len = 0;
        }
    }
}

/* grpc-status and grpc-message of a response block (headers or trailers). */
static void grpc_result(struct h2 *h, struct h2_stream *s)
{
    struct h2_field f;
    uint32_t v;

    if (h2_field_find(h, H2_F_GRPC_STATUS, &f)) {
        s->grpc = true;
        if (s->grpc_status < 0 && h2_parse_dec(f.value, f.vlen, &v))
            s->grpc_status = v;
    }
    if (h2_field_find(h, H2_F_GRPC_MESSAGE, &f))
        keep_str(s, &s->gmsg, &s->gmsg_len, f.value, f.vlen);
}

/* ---- header blocks ---------------------------------------------------------------------- */

void h2_write_request(struct h2 *h, struct h2_stream *s)
{
    struct ent *e = s->e;
    struct h2_field m, p;
    bool has_m = h2_field_find(h, H2_F_METHOD, &m), has_p = h2_field_find(h, H2_F_PATH, &p);
    const uint8_t *url = has_p ? p.value : (const uint8_t *)"";
    size_t ulen = has_p ? p.vlen : 0;
    const uint8_t *qm = ulen ? memchr(url, '?', ulen) : NULL;
    struct h2_field ct;

    if (has_p)
        keep_str(s, &s->path, &s->path_len, p.value, p.vlen);
    if (h2_field_find(h, H2_F_CTYPE, &ct) &&
        bytes_prefix(ct.value, ct.vlen, "application/grpc")) {
        s->grpc = true;
        s->side[SIDE_REQ].web_text = bytes_prefix(ct.value, ct.vlen, "application/grpc-web-text");
    }
    if (!e)
        return;
    ent_section(e, ENT_REQ);
    ent_str(e, "method", has_m ? m.value : (const uint8_t *)"", has_m ? m.vlen : 0);
    ent_str(e, "url", url, ulen);
    ent_str(e, "path", url, qm ? (size_t)(qm - url) : ulen);
    ent_cstr(e, "httpVersion", "HTTP/2.0");
    write_fields(h, e, "headers");
    write_query(e, url, ulen);
    ent_u64(e, "headersSize", h->hsize);
    if (h->fields_cut)
        ent_anomaly(e, ENT_A_TRUNCATED);
}

void h2_write_response(struct h2 *h, struct h2_stream *s, bool end_stream)
{
    struct ent *e = s->e;
    struct h2_field ct;
    uint32_t code;

    h2_status(h, &code);        /* 0 when missing or not 3 digits: on_headers marks that */

    if (h2_field_find(h, H2_F_CTYPE, &ct)) {
        keep_str(s, &s->ctype, &s->ctype_len, ct.value, ct.vlen);
        if (bytes_prefix(ct.value, ct.vlen, "application/grpc"))
            s->grpc = true;
        s->side[SIDE_RESP].web_text = bytes_prefix(ct.value, ct.vlen,
                                                   "application/grpc-web-text");
    }
    grpc_result(h, s);
    if (end_stream && s->grpc)
        s->trailers_only = true;
    if (!e)
        return;
    ent_section(e, ENT_RESP);
    ent_u64(e, "status", code);
    ent_cstr(e, "statusText", status_text(code));
    ent_cstr(e, "httpVersion", "HTTP/2.0");
    write_fields(h, e, "headers");
    ent_u64(e, "headersSize", h->hsize);
    if (h->fields_cut)
        ent_anomaly(e, ENT_A_TRUNCATED);
}

void h2_write_trailers(struct h2 *h, struct h2_stream *s)
{
    struct ent *e = s->e;

    grpc_result(h, s);
    if (!e || s->trailers)
        return;
    s->trailers = true;
    ent_section(e, ENT_RESP);
    ent_u64(e, "bodySize", s->side[SIDE_RESP].body);
    s->resp_body_written = true;
    write_fields(h, e, "trailers");
    if (h->fields_cut)
        ent_anomaly(e, ENT_A_TRUNCATED);
}

/*
 * The h2c upgrade's request: the hint's HTTP/1.1 request, written as stream
 * s's: the pseudo-header fields HTTP/2 would have, then its own fields.
 */
void h2_write_h2c_request(struct h2_stream *s, const struct dsx_h2c_hint *hint)
{
    const char *url = (const char *)hint->data;
    size_t un = hint->url_len, pathn;
    char method[sizeof hint->method + 1], host[sizeof hint->host + 1];
    uint64_t fsize;
    uint32_t anom;
    struct ent *e;

    /* the strings are NUL-terminated; copies guard against a hint that is not */
    memcpy(method, hint->method, sizeof hint->method);
    method[sizeof hint->method] = '\0';
    memcpy(host, hint->host, sizeof hint->host);
    host[sizeof hint->host] = '\0';
    for (pathn = 0; pathn < un && url[pathn] != '?'; pathn++)
        ;
    keep_str(s, &s->path, &s->path_len, (const uint8_t *)url, un);
    e = s->e;
    if (!e)
        return;
    ent_section(e, ENT_REQ);
    ent_cstr(e, "method", method);
    ent_str(e, "url", url, un);
    ent_str(e, "path", url, pathn);
    ent_cstr(e, "httpVersion", "HTTP/1.1");
    ent_obj_begin(e, "headers");
    ent_cstr(e, ":method", method);
    ent_str(e, ":path", url, un);
    if (host[0])
        ent_cstr(e, ":authority", host);
    anom = dsx_h1_field_lines(e, hint->data + un, hint->fields_len, &fsize);
    ent_obj_end(e);
    write_query(e, (const uint8_t *)url, un);
    ent_u64(e, "headersSize",
            strlen(":method") + strlen(method) + strlen(":path") + un +
                2 * HPACK_ENTRY_OVERHEAD +
                (host[0] ? strlen(":authority") + strlen(host) + HPACK_ENTRY_OVERHEAD : 0) +
                fsize);
    ent_anomaly(e, anom | hint->anom);
    e->f.flags |= ENT_F_REQ;
    e->f.req_ns = hint->req_ns;
    e->f.req_end_ns = hint->req_end_ns;
    e->f.req_pkt = hint->req_pkt;
    e->f.req_size = hint->req_size;
    if (hint->req_pkt > e->f.last_pkt)
        e->f.last_pkt = hint->req_pkt;
}

/* The closing keys of the entry (written just before it is emitted). */
void h2_write_closing(struct h2_stream *s, uint32_t anomalies)
{
    struct ent *e = s->e;

    ent_anomaly(e, anomalies);
    e->f.proto = (uint8_t)(s->grpc ? ENT_GRPC : ENT_HTTP2);
    if (s->side[SIDE_REQ].headers) {
        const struct h2_side *q = &s->side[SIDE_REQ];

        ent_section(e, ENT_REQ);
        ent_u64(e, "bodySize", q->body);
        ent_u64(e, "streamId", s->sid);
        if (s->grpc) {
            const char *svc, *meth;
            size_t sl, ml;

            grpc_names(s, &svc, &sl, &meth, &ml);
            ent_obj_begin(e, "grpc");
            ent_str(e, "service", svc, sl);
            ent_str(e, "method", meth, ml);
            ent_u64(e, "messages", q->msgs);
            ent_u64(e, "messageBytes", q->msg_bytes);
            ent_obj_end(e);
        }
    } else if (e->f.flags & ENT_F_REQ) {
        /* its frames were seen, its header block could not be decoded (malformed, cap) */
        ent_section(e, ENT_REQ);
        ent_u64(e, "streamId", s->sid);
    }
    ent_section(e, ENT_RESP);
    if (s->side[SIDE_RESP].headers) {
        const struct h2_side *r = &s->side[SIDE_RESP];

        if (!s->resp_body_written)
            ent_u64(e, "bodySize", r->body);
        ent_obj_begin(e, "content");
        ent_str(e, "mimeType", s->ctype ? s->ctype : "", s->ctype_len);
        ent_u64(e, "size", r->body);
        ent_obj_end(e);
        if (s->grpc) {
            ent_obj_begin(e, "grpc");
            if (s->grpc_status >= 0)
                ent_u64(e, "status", (uint64_t)s->grpc_status);
            else if (r->web_status >= 0)
                ent_u64(e, "status", (uint64_t)r->web_status);  /* gRPC-Web's trailers */
            else
                ent_null(e, "status");
            ent_str(e, "message", s->gmsg ? s->gmsg : "", s->gmsg_len);
            ent_u64(e, "messages", r->msgs);
            ent_u64(e, "messageBytes", r->msg_bytes);
            ent_bool(e, "trailersOnly", s->trailers_only);
            ent_obj_end(e);
        }
    }
    if (s->reset)
        ent_u64(e, "resetCode", s->rst_code);
    if (s->pushes)
        ent_u64(e, "pushPromises", s->pushes);
}
