/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: HTTP/1.0 and HTTP/1.1 dissector: request/response pairing with
 * keep-alive and pipelining, Content-Length, chunked bodies, bodies ended by
 * close, interim 1xx, h2c upgrade to HTTP/2, resynchronisation after gaps.
 *
 * References: RFC 9110 (semantics), RFC 9112 (HTTP/1.1 message syntax and
 * framing: §2.2 message parsing, §3 request line, §4 status line, §5 fields
 * and obs-fold, §6.3 message body length, §7.1 chunked coding), RFC 7540
 * §3.2 (h2c upgrade), RFC 4918 and friends (WebDAV methods).
 *
 * Each direction runs this machine over its in-order bytes:
 *
 *   START --header block complete--> BODY_LEN | BODY_CLOSE | CHUNK_SIZE | (done)
 *   CHUNK_SIZE -> CHUNK_DATA -> CHUNK_CRLF -> CHUNK_SIZE ... -> (size 0) TRAILER -> (done)
 *   BODY_LEN --Content-Length bytes--> (done)      BODY_CLOSE --end(dir)--> (done)
 *   (done) -> START;   junk, gaps, caps -> RESYNC --a plausible start line--> START
 *
 * The header block (start line, fields, empty line) is only parsed whole: the
 * parser consumes nothing until it has arrived (at most H1_HDR_MAX bytes).
 * Bodies are counted as they come, never kept.
 *
 * Roles: the direction whose first message is a request is the client; if a
 * response comes first (capture started mid-stream), the other one is. Until
 * the roles are known a request must start with a known method (followed by
 * SP, CR or LF) or be a whole "token SP target SP HTTP/x.y" line, so that a
 * capture starting inside a body does not make up requests; once they are
 * known any token is a method (tshark shows "CCM_POST", "FOO" alike).
 * Pairing: requests are queued in order (an entry each, created at the
 * request line); responses attach to the oldest request without one. An
 * entry is emitted once its request and its final response are complete,
 * in request order. The queue holds at most H1_PENDING_MAX requests and
 * H1_PENDING_BYTES of entry data: beyond that the oldest is emitted with
 * ENT_A_NO_RESPONSE | ENT_A_CAP, and the response that later comes for it
 * becomes a response-only entry (ENT_A_NO_REQUEST | ENT_A_CAP), so that
 * the pairing of the later requests stays right. A response with no
 * request to pair with is a response-only entry with ENT_A_NO_REQUEST (plus
 * what the client sent instead of a request: ENT_A_MALFORMED for junk).
 *
 * Interim 1xx responses (100 Continue, 103, ...) count in the response's
 * size and times; the final response is the one written. 101 to an
 * "Upgrade: h2c" request hands the stream to HTTP/2 (the upgrade request
 * goes with the hint and is not emitted here); any other 101, and a 2xx to
 * CONNECT, ends HTTP/1: the entry is emitted and the stream abandoned.
 *
 * Gaps: inside a body (or chunk) of known length the lost bytes count as
 * body (in bodySize; the wire sizes only count bytes seen); elsewhere the
 * message in progress is ended with ENT_A_GAP and the direction
 * resynchronises at the next line starting with a known method and a space
 * (client) or "HTTP/1.0 " / "HTTP/1.1 " (server). Bytes skipped while
 * resynchronising belong to no entry. A header block longer than
 * H1_HDR_MAX is parsed as far as its complete lines go (ENT_A_CAP |
 * ENT_A_TRUNCATED, no body) and the direction resynchronises. Trailer
 * fields are counted in the size but not written (the headers are closed).
 *
 * Lenient where RFC 9112 lets a recipient be: bare LF line ends, empty lines
 * before a message, obs-fold (joined with a space), a request line without a
 * version (ENT_A_MALFORMED, still an entry). Malformed framing (a bad chunk
 * size, an invalid or conflicting Content-Length, a request coding other
 * than chunked) ends the message with ENT_A_MALFORMED and resynchronises.
 */
#include "config.h"

#include "dissect/dissect.h"

#include <stdlib.h>
#include <string.h>

/* Bytes of a header block (start line to empty line), and of a trailer section. */
#define H1_HDR_MAX          (64u * 1024)
/* Header fields written per message (all are still interpreted). */
#define H1_HEADERS_MAX      256u
/* Bytes of a chunk-size line, extensions included. */
#define H1_CHUNK_LINE_MAX   4096u
/* Requests waiting for a response, and the entry bytes they may hold. */
#define H1_PENDING_MAX      1024u
#define H1_PENDING_BYTES    (4u * 1024 * 1024)
/* Longest method token accepted at a message start. */
#define H1_METHOD_MAX       32u
/* A first line longer than this cannot start a stream whose roles are unknown. */
#define H1_FIRST_LINE_MAX   8192u
/* Content-Type kept for "content.mimeType". */
#define H1_MIME_MAX         256u
/* A folded (obs-fold) field value is joined into this many bytes at most. */
#define H1_FOLD_MAX         4096u

enum h1_state {
    H1_START = 0,       /* before a message: waiting for its whole header block */
    H1_BODY_LEN,        /* d->left body bytes to come */
    H1_BODY_CLOSE,      /* the body runs to the end of the direction */
    H1_CHUNK_SIZE,      /* a chunk-size line */
    H1_CHUNK_DATA,      /* d->left chunk bytes to come */
    H1_CHUNK_CRLF,      /* the CRLF after a chunk's data */
    H1_TRAILER,         /* trailer lines up to an empty one */
    H1_RESYNC,          /* scanning for a plausible start line */
};

/* Where the message in progress of a direction has its entry. */
enum h1_where {
    W_NONE = 0,         /* no message in progress */
    W_TAIL,             /* a request: the queue's last transaction */
    W_RESPQ,            /* a response: the queue's transaction at index nresp */
    W_ORPHAN,           /* a response: st->orphan */
    W_NULL,             /* no entry (out of memory): parse, write nothing */
};

enum h1_tx_flags {
    TX_REQ_DONE = 1 << 0,   /* the request is complete (or will get no more bytes) */
    TX_RESP_START = 1 << 1, /* a response (maybe interim) started */
    TX_RESP_HDR = 1 << 2,   /* the final response's header was written */
    TX_RESP_DONE = 1 << 3,  /* the final response is complete */
    TX_HEAD = 1 << 4,       /* HEAD: the response has no body */
    TX_CONNECT = 1 << 5,    /* CONNECT: a 2xx response starts a tunnel */
    TX_H2C = 1 << 6,        /* "Upgrade: h2c": a 101 switches to HTTP/2 */
};

struct h1_tx {
    struct ent *e;          /* NULL when out of memory */
    uint32_t fl;            /* TX_* */
    size_t bytes;           /* entry bytes charged to the queue */
};

struct h1_dir {
    uint8_t state;          /* enum h1_state */
    uint8_t where;          /* enum h1_where */
    bool line_start;        /* RESYNC: the next byte starts a line */
    bool chunked;           /* the message in progress is chunked */
    bool ended;             /* end(dir) was called */
    uint32_t pend_anom;     /* anomalies for the next message's entry (junk, gaps before it) */
    size_t hline, hscan;    /* START/line states: start of the current line, bytes scanned */
    size_t hpend;           /* START: bytes of an incomplete header block left unconsumed */
    uint64_t left;          /* BODY_LEN/CHUNK_DATA: bytes still to come */
    uint64_t body;          /* decoded body bytes of the message so far */
    uint64_t tsize;         /* trailer bytes so far */
    size_t mimen;
    char mime[H1_MIME_MAX]; /* the response's Content-Type */
};

struct h1 {
    struct h1_dir d[2];
    int client;             /* client direction, -1 until known */
    bool dead;              /* switched or abandoned: nothing more to parse */
    struct h1_tx *q;        /* ring of pending requests, in request order */
    uint32_t qcap, qhead, qlen;
    uint32_t nresp;         /* queued transactions at the front whose response is done */
    uint32_t skip;          /* responses still to come for evicted requests */
    size_t qbytes;
    struct h1_tx orphan;    /* a response without (or evicted from) the queue */
    struct h1_tx nulltx;    /* stands for a message without an entry */
    struct dsx_h2c_hint *hint;  /* of the last "Upgrade: h2c" request */
};

/* What a header block says about framing and the few fields used here. */
struct h1_hdrs {
    bool chunked, te_other, cl_set, cl_bad, upgrade, h2c;
    uint64_t cl;
    const uint8_t *host, *ctype;
    size_t hostn, ctypen;
    uint32_t anom;
    uint32_t count;
};

/* ------------------------------------------------------------ byte classes */

static const char *const h1_methods[] = {
    "GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH", "CONNECT", "TRACE",
    /* WebDAV, DeltaV, CalDAV, bindings, redirect refs (RFC 4918, 3253, 3648, 3744, 4437,
       4791, 5323, 5842) */
    "PROPFIND", "PROPPATCH", "MKCOL", "COPY", "MOVE", "LOCK", "UNLOCK", "SEARCH", "REPORT",
    "ACL", "BIND", "UNBIND", "REBIND", "LINK", "UNLINK", "MKCALENDAR", "MKACTIVITY",
    "MKWORKSPACE", "CHECKIN", "CHECKOUT", "UNCHECKOUT", "MERGE", "LABEL", "UPDATE",
    "VERSION-CONTROL", "BASELINE-CONTROL", "ORDERPATCH", "MKREDIRECTREF",
    "UPDATEREDIRECTREF", "PURGE",
    /* Cisco CallManager, MS RPC over HTTP (Wireshark knows them too) */
    "CCM_POST", "RPC_IN_DATA", "RPC_OUT_DATA",
};

static const char *const h1_versions[] = { "HTTP/1.0 ", "HTTP/1.1 " };

static bool h1_tchar(uint8_t c)
{
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
        return true;
    return c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static uint8_t h1_lower(uint8_t c)
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

static bool h1_ows(uint8_t c)
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

enum h1_match { M_NO, M_MORE, M_YES };

/* Is lit at p (M_YES), could it be with more bytes (M_MORE), or not (M_NO)? */
static enum h1_match h1_prefix(const char *lit, const uint8_t *p, size_t n)
{
    size_t ln = strlen(lit);

    if (n >= ln)
        return memcmp(p, lit, ln) == 0 ? M_YES : M_NO;
    return memcmp(p, lit, n) == 0 ? M_MORE : M_NO;
}

/* A known method and a space (req), or "HTTP/1.x " (resp), at p. */
static enum h1_match h1_strict_start(const uint8_t *p, size_t n, bool req, bool resp)
{
    enum h1_match best = M_NO;
    char lit[H1_METHOD_MAX + 2];

    if (req) {
        for (size_t i = 0; i < sizeof h1_methods / sizeof h1_methods[0]; i++) {
            size_t ln = strlen(h1_methods[i]);
            enum h1_match m;

            memcpy(lit, h1_methods[i], ln);
            lit[ln] = ' ';
            lit[ln + 1] = 0;
            m = h1_prefix(lit, p, n);
            if (m == M_YES)
                return M_YES;
            if (m == M_MORE)
                best = M_MORE;
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

static enum dsx_bid h1_bid(const uint8_t *p, size_t n, int dir, bool dgram)
{
    (void)dir;
    if (dgram || n == 0)
        return DSX_NO;
    switch (h1_strict_start(p, n, true, true)) {
    case M_YES:
        return DSX_STRONG;
    case M_MORE:
        return DSX_MORE;
    case M_NO:
        break;
    }
    return DSX_NO;
}

/* What a message start looks like (lenient: any token method). */
enum h1_kind { K_MORE, K_JUNK, K_REQ, K_RESP, K_PRI };

static enum h1_kind h1_start_kind(const uint8_t *p, size_t n)
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
static enum h1_match h1_first_request(const uint8_t *p, size_t n)
{
    enum h1_match best = M_NO;
    const uint8_t *nl;
    size_t l;

    for (size_t i = 0; i < sizeof h1_methods / sizeof h1_methods[0]; i++) {
        size_t ln = strlen(h1_methods[i]);
        enum h1_match m = h1_prefix(h1_methods[i], p, n);

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

/* A C-string key from wire bytes (cut to fit; the writer cuts at 255 anyway). */
static const char *h1_key(char *buf, size_t cap, const uint8_t *p, size_t n)
{
    if (n >= cap)
        n = cap - 1;
    memcpy(buf, p, n);
    buf[n] = 0;
    return buf;
}

/* ------------------------------------------------------------ the queue */

static struct h1_tx *q_at(struct h1 *st, uint32_t i)
{
    return &st->q[(st->qhead + i) % st->qcap];
}

/* The transaction of dir's message in progress (st->nulltx when none). */
static struct h1_tx *msg_tx(struct h1 *st, int dir)
{
    switch ((enum h1_where)st->d[dir].where) {
    case W_TAIL:
        return st->qlen ? q_at(st, st->qlen - 1) : &st->nulltx;
    case W_RESPQ:
        return st->nresp < st->qlen ? q_at(st, st->nresp) : &st->nulltx;
    case W_ORPHAN:
        return &st->orphan;
    case W_NONE:
    case W_NULL:
        break;
    }
    return &st->nulltx;
}

static void tx_anom(struct h1_tx *tx, uint32_t a)
{
    if (tx->e)
        ent_anomaly(tx->e, a);
}

static void tx_emit(struct dsx *x, struct h1_tx *tx)
{
    if (tx->e)
        dsx_emit(x, tx->e);
    tx->e = NULL;
    tx->fl = 0;
    tx->bytes = 0;
}

/* Removes the queue's head (emitting it). */
static void q_pop(struct h1 *st, struct dsx *x)
{
    struct h1_tx *h = q_at(st, 0);

    st->qbytes -= h->bytes;
    tx_emit(x, h);
    st->qhead = (st->qhead + 1) % st->qcap;
    st->qlen--;
    if (st->nresp)
        st->nresp--;
}

/* Emits the transactions at the head that are complete, in request order. */
static void q_flush_done(struct h1 *st, struct dsx *x)
{
    while (st->qlen) {
        struct h1_tx *h = q_at(st, 0);

        if ((h->fl & (TX_REQ_DONE | TX_RESP_DONE)) != (TX_REQ_DONE | TX_RESP_DONE))
            break;
        q_pop(st, x);
    }
}

/*
 * Makes room for one more request: grows the ring, or evicts the oldest
 * (see the file comment). Only called between requests, so every queued
 * request is complete and none has a complete response (it would have been
 * emitted): nresp is 0.
 */
static bool q_room(struct h1 *st, struct dsx *x)
{
    struct h1_dir *sd = st->client >= 0 ? &st->d[1 - st->client] : NULL;

    while (st->qlen && (st->qlen >= H1_PENDING_MAX || st->qbytes >= H1_PENDING_BYTES)) {
        struct h1_tx *h = q_at(st, 0);

        if (sd && sd->where == W_RESPQ && st->nresp == 0 && !st->orphan.e && !st->orphan.fl) {
            /* its response is in progress: it goes on outside the queue */
            st->orphan = *h;
            st->orphan.bytes = 0;
            tx_anom(&st->orphan, ENT_A_CAP);
            sd->where = W_ORPHAN;
            st->qbytes -= h->bytes;
            h->e = NULL;
            h->bytes = 0;
        } else {
            tx_anom(h, ENT_A_NO_RESPONSE | ENT_A_CAP);
            st->skip++;
        }
        q_pop(st, x);
    }
    if (st->qlen == st->qcap) {
        uint32_t nc = st->qcap ? st->qcap * 2 : 8;
        struct h1_tx *nq;

        if (nc > H1_PENDING_MAX)
            nc = H1_PENDING_MAX;
        if (nc <= st->qcap)
            return false;
        nq = malloc(nc * sizeof *nq);
        if (!nq)
            return false;
        for (uint32_t i = 0; i < st->qlen; i++)
            nq[i] = *q_at(st, i);
        free(st->q);
        st->q = nq;
        st->qcap = nc;
        st->qhead = 0;
    }
    return true;
}

/* ------------------------------------------------------------ header fields */

/* Content-Length: 1*DIGIT, or a list of equal ones (RFC 9110 §8.6). */
static bool h1_parse_cl(const uint8_t *p, size_t n, uint64_t *out)
{
    bool any = false;
    uint64_t first = 0;
    size_t i = 0;

    while (i <= n) {
        size_t j = i;
        uint64_t v = 0;
        const uint8_t *e;
        size_t en;

        while (j < n && p[j] != ',')
            j++;
        e = p + i;
        en = j - i;
        h1_trim(&e, &en);
        if (en == 0 || en > 18)
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
        i = j + 1;
    }
    *out = first;
    return any;
}

/* Does the comma-separated list [p, p+n) hold token tok (case-insensitive, before any '/')? */
static bool h1_list_has(const uint8_t *p, size_t n, const char *tok)
{
    size_t i = 0;

    while (i < n) {
        size_t j = i, k;
        const uint8_t *e;
        size_t en;

        while (j < n && p[j] != ',')
            j++;
        e = p + i;
        en = j - i;
        h1_trim(&e, &en);
        for (k = 0; k < en && e[k] != '/' && e[k] != ';'; k++)
            ;
        en = k;
        h1_trim(&e, &en);
        if (h1_ieq(e, en, tok))
            return true;
        i = j + 1;
    }
    return false;
}

/* Transfer-Encoding: is the last coding of this field "chunked"? */
static void h1_te(struct h1_hdrs *h, const uint8_t *p, size_t n)
{
    size_t i = n;
    const uint8_t *e;
    size_t en;

    while (i > 0 && p[i - 1] != ',')
        i--;
    e = p + i;
    en = n - i;
    h1_trim(&e, &en);
    if (en == 0 && i == 0)
        return;         /* empty field: no coding */
    h->chunked = h1_ieq(e, en, "chunked");
    h->te_other = !h->chunked;
}

/*
 * One complete field: interprets it and writes it (if e). A value with folds
 * (obs-fold, RFC 9112 §5.2) is joined with single spaces.
 */
static void h1_field(struct ent *e, struct h1_hdrs *h, const uint8_t *name, size_t nn,
                     const uint8_t *v, size_t vn)
{
    char key[256];
    uint8_t fold[H1_FOLD_MAX];

    h1_trim(&v, &vn);
    if (memchr(v, '\n', vn)) {
        size_t o = 0;

        for (size_t i = 0; i < vn && o < sizeof fold; i++) {
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
        if (o == sizeof fold)
            h->anom |= ENT_A_TRUNCATED;
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
    } else if (h1_ieq(name, nn, "content-type") && !h->ctype && v != fold) {
        /* (a folded one is not kept: fold is gone after this call) */
        h->ctype = v;
        h->ctypen = vn;
    } else if (h1_ieq(name, nn, "host") && !h->host && v != fold) {
        h->host = v;
        h->hostn = vn;
    }
    if (h->count++ >= H1_HEADERS_MAX) {
        h->anom |= ENT_A_TRUNCATED;
        return;
    }
    if (e)
        ent_str(e, h1_key(key, sizeof key, name, nn), v, vn);
}

/*
 * The field lines of a header block, [p, p+n) (after the start line, without
 * the final empty line): interprets them into h and writes the "headers"
 * object to e (may be NULL).
 */
static void h1_fields(struct ent *e, struct h1_hdrs *h, const uint8_t *p, size_t n)
{
    const uint8_t *name = NULL, *val = NULL;
    size_t nn = 0, vend = 0;
    size_t i = 0;

    if (e)
        ent_obj_begin(e, "headers");
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
    if (e)
        ent_obj_end(e);
}

/* ------------------------------------------------------------ messages */

/* Writes the end of a request (bodySize, chunked) and marks it done. */
static void req_finish(struct h1 *st, struct dsx *x, int dir, uint32_t anom)
{
    struct h1_dir *d = &st->d[dir];
    struct h1_tx *tx = msg_tx(st, dir);

    if (tx != &st->nulltx) {
        if (tx->e) {
            ent_anomaly(tx->e, anom);
            ent_section(tx->e, ENT_REQ);
            ent_u64(tx->e, "bodySize", d->body);
            ent_bool(tx->e, "chunked", d->chunked);
        }
        tx->fl |= TX_REQ_DONE;
    }
    d->where = W_NONE;
    q_flush_done(st, x);
}

/* Writes the end of the final response (bodySize, chunked, content) and marks it done. */
static void resp_finish(struct h1 *st, struct dsx *x, int dir, uint32_t anom)
{
    struct h1_dir *d = &st->d[dir];
    struct h1_tx *tx = msg_tx(st, dir);
    enum h1_where w = (enum h1_where)d->where;

    d->where = W_NONE;
    if (tx == &st->nulltx)
        return;
    if (tx->e) {
        ent_anomaly(tx->e, anom);
        if (tx->fl & TX_RESP_HDR) {
            ent_section(tx->e, ENT_RESP);
            ent_u64(tx->e, "bodySize", d->body);
            ent_bool(tx->e, "chunked", d->chunked);
            ent_obj_begin(tx->e, "content");
            ent_str(tx->e, "mimeType", d->mime, d->mimen);
            ent_u64(tx->e, "size", d->body);
            ent_obj_end(tx->e);
        }
    }
    tx->fl |= TX_RESP_DONE;
    if (w == W_ORPHAN) {
        tx_emit(x, tx);
    } else {
        st->nresp++;
        q_flush_done(st, x);
    }
}

static bool dir_is_resp(const struct h1 *st, int dir)
{
    return st->client >= 0 && dir != st->client;
}

/* Ends dir's message in progress (anomalies anom) and returns to START. */
static void msg_finish(struct h1 *st, struct dsx *x, int dir, uint32_t anom)
{
    struct h1_dir *d = &st->d[dir];

    if (d->where != W_NONE) {
        if (dir_is_resp(st, dir))
            resp_finish(st, x, dir, anom);
        else
            req_finish(st, x, dir, anom);
    }
    d->state = H1_START;
    d->where = W_NONE;
    d->hline = d->hscan = d->hpend = 0;
    d->left = d->body = d->tsize = 0;
    d->chunked = false;
    d->mimen = 0;
}

static void set_state(struct h1_dir *d, enum h1_state s)
{
    d->state = (uint8_t)s;
    d->hline = d->hscan = 0;
}

static void resync(struct h1_dir *d, bool line_start)
{
    set_state(d, H1_RESYNC);
    d->line_start = line_start;
}

/* Marks [off, off+len) of the parse call's data as bytes of dir's message. */
static void msg_mark(struct h1 *st, struct dsx *x, int dir, size_t off, size_t len)
{
    struct h1_tx *tx = msg_tx(st, dir);

    if (!tx->e || len == 0)
        return;
    if (dir_is_resp(st, dir))
        dsx_mark_resp(x, tx->e, dir, off, len);
    else
        dsx_mark_req(x, tx->e, dir, off, len);
}

/* Emits every pending transaction (stream over, or HTTP/1 over). */
static void flush_all(struct h1 *st, struct dsx *x)
{
    while (st->qlen) {
        struct h1_tx *h = q_at(st, 0);

        if (h->e) {
            if (!(h->fl & TX_RESP_HDR))
                ent_anomaly(h->e, ENT_A_NO_RESPONSE);
            else if (!(h->fl & TX_RESP_DONE))
                ent_anomaly(h->e, ENT_A_TRUNCATED);
        }
        h->fl |= TX_REQ_DONE | TX_RESP_DONE;
        q_pop(st, x);
    }
    tx_emit(x, &st->orphan);
    st->nresp = 0;
    for (int i = 0; i < 2; i++)
        st->d[i].where = W_NONE;
}

/* HTTP/1 is over on this stream (tunnel, non-h2c 101): emit everything and give up. */
static void h1_stop(struct h1 *st, struct dsx *x)
{
    flush_all(st, x);
    st->dead = true;
    dsx_abandon(x);
}

/* The request line of a header block; writes the request's start. */
static void req_line(struct h1 *st, struct h1_tx *tx, const uint8_t *p, size_t n,
                     const uint8_t *fields, size_t fn, size_t hsize, struct h1_hdrs *hp)
{
    struct ent *e = tx->e;
    struct h1_hdrs h;
    const uint8_t *sp1 = memchr(p, ' ', n), *sp2 = NULL, *tgt = p + n, *ver = p + n;
    size_t mn = sp1 ? (size_t)(sp1 - p) : n, tn = 0, vn = 0, pathn;
    uint32_t anom = 0;

    if (sp1) {
        for (const uint8_t *c = p + n; c > sp1 + 1; c--) {
            if (c[-1] == ' ') {
                sp2 = c - 1;
                break;
            }
        }
        tgt = sp1 + 1;
        if (sp2) {
            tn = (size_t)(sp2 - tgt);
            ver = sp2 + 1;
            vn = (size_t)(p + n - ver);
        } else {
            tn = (size_t)(p + n - tgt);
        }
    }
    if (tn == 0 || !h1_version_ok(ver, vn))
        anom |= ENT_A_MALFORMED;
    memset(&h, 0, sizeof h);
    if (mn == 4 && memcmp(p, "HEAD", 4) == 0)
        tx->fl |= TX_HEAD;
    if (mn == 7 && memcmp(p, "CONNECT", 7) == 0)
        tx->fl |= TX_CONNECT;
    for (pathn = 0; pathn < tn && tgt[pathn] != '?'; pathn++)
        ;
    if (e) {
        ent_section(e, ENT_REQ);
        ent_str(e, "method", p, mn);
        ent_str(e, "url", tgt, tn);
        ent_str(e, "path", tgt, pathn);
        ent_str(e, "httpVersion", ver, vn);
    }
    h1_fields(e, &h, fields, fn);
    if (e) {
        ent_obj_begin(e, "queryString");
        for (size_t i = pathn + 1; i < tn + 1 && pathn < tn;) {
            size_t j = i, eq;
            char key[256];

            while (j < tn && tgt[j] != '&')
                j++;
            for (eq = i; eq < j && tgt[eq] != '='; eq++)
                ;
            if (j > i)
                ent_str(e, h1_key(key, sizeof key, tgt + i, eq - i), tgt + (eq < j ? eq + 1 : j),
                        eq < j ? j - eq - 1 : 0);
            i = j + 1;
        }
        ent_obj_end(e);
        ent_u64(e, "headersSize", hsize);
        ent_anomaly(e, anom | h.anom);
    }
    if (h.h2c) {
        tx->fl |= TX_H2C;
        if (!st->hint)
            st->hint = calloc(1, sizeof *st->hint);
        if (st->hint) {
            struct dsx_h2c_hint *k = st->hint;

            memset(k, 0, sizeof *k);
            k->client_dir = st->client == 1 ? 1 : 0;
            memcpy(k->method, p, mn < sizeof k->method ? mn : sizeof k->method - 1);
            memcpy(k->url, tgt, tn < sizeof k->url ? tn : sizeof k->url - 1);
            if (h.host)
                memcpy(k->host, h.host, h.hostn < sizeof k->host ? h.hostn : sizeof k->host - 1);
        }
    }
    *hp = h;
}

/* Number of bytes of a "\r\n" / "\n" line end at p (0 if none). */
static size_t eol_len(const uint8_t *p, size_t n)
{
    if (n >= 1 && p[0] == '\n')
        return 1;
    if (n >= 2 && p[0] == '\r' && p[1] == '\n')
        return 2;
    return 0;
}

/*
 * A complete request header block [0, hsize) of p (cut: only its complete
 * lines, the block being over H1_HDR_MAX). Creates the transaction and sets
 * up the body. off is p's offset in the parse call.
 */
static void req_begin(struct h1 *st, struct dsx *x, int dir, const uint8_t *p, size_t hsize,
                      bool cut, size_t off)
{
    struct h1_dir *d = &st->d[dir];
    struct h1_tx *tx = &st->nulltx;
    const uint8_t *nl = memchr(p, '\n', hsize);
    size_t l0 = nl ? (size_t)(nl - p) : hsize, fstart = nl ? l0 + 1 : hsize, fend = hsize;
    struct h1_hdrs h;

    /* the final empty line is not a field */
    if (!cut) {
        fend = hsize - 1;
        if (fend > fstart && p[fend - 1] == '\r')
            fend--;
    }
    if (l0 && p[l0 - 1] == '\r')
        l0--;
    d->where = W_NULL;
    memset(&st->nulltx, 0, sizeof st->nulltx);
    if (q_room(st, x)) {
        tx = &st->q[(st->qhead + st->qlen) % st->qcap];
        memset(tx, 0, sizeof *tx);
        tx->e = dsx_entry(x, ENT_HTTP1, dir);
        st->qlen++;
        d->where = W_TAIL;
    }
    if (tx->e) {
        ent_anomaly(tx->e, d->pend_anom | (cut ? ENT_A_CAP | ENT_A_TRUNCATED : 0));
        dsx_mark_req(x, tx->e, dir, off, hsize);
    }
    d->pend_anom = 0;
    req_line(st, tx, p, l0, p + fstart, fend > fstart ? fend - fstart : 0, hsize, &h);
    if (tx->e && tx != &st->nulltx) {
        tx->bytes = tx->e->sec[ENT_REQ].len;
        st->qbytes += tx->bytes;
    }
    d->body = 0;
    d->chunked = false;
    if (cut) {
        msg_finish(st, x, dir, 0);
        resync(d, true);
    } else if (h.chunked) {
        d->chunked = true;
        set_state(d, H1_CHUNK_SIZE);
    } else if (h.te_other || h.cl_bad) {
        msg_finish(st, x, dir, ENT_A_MALFORMED);
        resync(d, true);
    } else if (h.cl_set && h.cl > 0) {
        d->left = h.cl;
        set_state(d, H1_BODY_LEN);
    } else {
        msg_finish(st, x, dir, 0);
    }
}

/* Switches to HTTP/2 after a 101 to an h2c upgrade (tx: the upgrade request). */
static void h1_to_h2(struct h1 *st, struct dsx *x, struct h1_tx *tx)
{
    struct dsx_h2c_hint *k = st->hint;

    if (k && tx && tx->e) {
        k->req_ns = tx->e->f.req_ns;
        k->req_end_ns = tx->e->f.req_end_ns;
        k->req_pkt = tx->e->f.req_pkt;
        k->req_size = tx->e->f.req_size;
    }
    if (tx) {
        /* HTTP/2 reports it as stream 1 */
        dsx_drop(x, tx->e);
        tx->e = NULL;
        tx->fl |= TX_REQ_DONE | TX_RESP_DONE;
    }
    q_flush_done(st, x);
    flush_all(st, x);
    st->dead = true;
    dsx_switch(x, &dsx_http2, k, k ? sizeof *k : 0);
}

/*
 * A complete response header block [0, hsize) of p (see req_begin). Returns
 * false when HTTP/1 ended here (switch or tunnel).
 */
static bool resp_begin(struct h1 *st, struct dsx *x, int dir, const uint8_t *p, size_t hsize,
                       bool cut, size_t off)
{
    struct h1_dir *d = &st->d[dir];
    struct h1_tx *tx;
    const uint8_t *nl = memchr(p, '\n', hsize);
    size_t l0 = nl ? (size_t)(nl - p) : hsize, fstart = nl ? l0 + 1 : hsize, fend = hsize;
    const uint8_t *sp1, *code, *reason;
    size_t vn, rn = 0;
    unsigned status = 0;
    uint32_t anom = 0;
    struct h1_hdrs h;
    struct ent *e;

    if (!cut) {
        fend = hsize - 1;
        if (fend > fstart && p[fend - 1] == '\r')
            fend--;
    }
    if (l0 && p[l0 - 1] == '\r')
        l0--;
    /* the transaction: still the same one after an interim response */
    if (d->where == W_NONE) {
        if (st->skip) {
            st->skip--;
            d->where = W_ORPHAN;
            memset(&st->orphan, 0, sizeof st->orphan);
            st->orphan.e = dsx_entry(x, ENT_HTTP1, 1 - dir);
            tx_anom(&st->orphan, ENT_A_NO_REQUEST | ENT_A_CAP);
        } else if (st->nresp < st->qlen) {
            d->where = W_RESPQ;
        } else {
            /* what the other side sent instead of a request (junk, a gap) is said here */
            d->where = W_ORPHAN;
            memset(&st->orphan, 0, sizeof st->orphan);
            st->orphan.e = dsx_entry(x, ENT_HTTP1, 1 - dir);
            tx_anom(&st->orphan, ENT_A_NO_REQUEST | st->d[1 - dir].pend_anom);
            st->d[1 - dir].pend_anom = 0;
        }
    }
    tx = msg_tx(st, dir);
    e = tx->e;
    tx->fl |= TX_RESP_START;
    tx_anom(tx, d->pend_anom | (cut ? ENT_A_CAP | ENT_A_TRUNCATED : 0));
    d->pend_anom = 0;
    if (e)
        dsx_mark_resp(x, e, dir, off, hsize);

    /* status-line = HTTP-version SP status-code SP [ reason-phrase ] */
    sp1 = memchr(p, ' ', l0);
    vn = sp1 ? (size_t)(sp1 - p) : l0;
    code = sp1 ? sp1 + 1 : p + l0;
    if (!h1_version_ok(p, vn))
        anom |= ENT_A_MALFORMED;
    if ((size_t)(p + l0 - code) >= 3 && code[0] >= '1' && code[0] <= '9' && code[1] >= '0' &&
        code[1] <= '9' && code[2] >= '0' && code[2] <= '9' &&
        ((size_t)(p + l0 - code) == 3 || code[3] == ' ')) {
        status = (unsigned)(code[0] - '0') * 100 + (unsigned)(code[1] - '0') * 10 +
                 (unsigned)(code[2] - '0');
        reason = code + 3 + ((size_t)(p + l0 - code) > 3);
        rn = (size_t)(p + l0 - reason);
    } else {
        anom |= ENT_A_MALFORMED;
        reason = p + l0;
    }
    memset(&h, 0, sizeof h);
    if (status >= 100 && status < 200 && status != 101 && !cut) {
        /* interim: its bytes count, the final response is written */
        h1_fields(NULL, &h, p + fstart, fend > fstart ? fend - fstart : 0);
        tx_anom(tx, anom | h.anom);
        set_state(d, H1_START);
        return true;
    }
    tx->fl |= TX_RESP_HDR;
    if (e) {
        ent_section(e, ENT_RESP);
        ent_u64(e, "status", status);
        ent_str(e, "statusText", reason, rn);
        ent_str(e, "httpVersion", p, vn);
    }
    h1_fields(e, &h, p + fstart, fend > fstart ? fend - fstart : 0);
    if (e) {
        ent_u64(e, "headersSize", hsize);
        ent_anomaly(e, anom | h.anom);
    }
    d->mimen = 0;
    if (h.ctype) {
        d->mimen = h.ctypen < sizeof d->mime ? h.ctypen : sizeof d->mime;
        memcpy(d->mime, h.ctype, d->mimen);
        if (d->mimen < h.ctypen)
            tx_anom(tx, ENT_A_TRUNCATED);
    }
    d->body = 0;
    d->chunked = false;
    if (status == 101 && (tx->fl & TX_H2C) && d->where == W_RESPQ) {
        h1_to_h2(st, x, tx);
        return false;
    }
    if (status == 101 || ((tx->fl & TX_CONNECT) && status >= 200 && status < 300)) {
        tx->fl |= TX_REQ_DONE;
        msg_finish(st, x, dir, 0);
        h1_stop(st, x);
        return false;
    }
    if (cut) {
        msg_finish(st, x, dir, 0);
        resync(d, true);
    } else if ((tx->fl & TX_HEAD) || status == 204 || status == 304) {
        msg_finish(st, x, dir, 0);
    } else if (h.chunked) {
        d->chunked = true;
        set_state(d, H1_CHUNK_SIZE);
    } else if (h.te_other) {
        set_state(d, H1_BODY_CLOSE);
    } else if (h.cl_bad) {
        msg_finish(st, x, dir, ENT_A_MALFORMED);
        resync(d, true);
    } else if (h.cl_set) {
        d->left = h.cl;
        if (h.cl)
            set_state(d, H1_BODY_LEN);
        else
            msg_finish(st, x, dir, 0);
    } else {
        set_state(d, H1_BODY_CLOSE);
    }
    return true;
}

/* ------------------------------------------------------------ the steps */

/* A step's result: bytes consumed, and whether to wait for more data. */
struct h1_step {
    size_t used;
    bool wait;
};

/* Finds the end of the header block at p (d->hline/hscan keep the progress). */
static bool find_block_end(struct h1_dir *d, const uint8_t *p, size_t n, size_t *end)
{
    while (d->hscan < n) {
        const uint8_t *nl = memchr(p + d->hscan, '\n', n - d->hscan);
        size_t i, ll;

        if (!nl) {
            d->hscan = n;
            return false;
        }
        i = (size_t)(nl - p);
        ll = i - d->hline;
        if (d->hline > 0 && (ll == 0 || (ll == 1 && p[d->hline] == '\r'))) {
            *end = i + 1;
            return true;
        }
        d->hline = d->hscan = i + 1;
    }
    return false;
}

static struct h1_step step_start(struct h1 *st, struct dsx *x, int dir, const uint8_t *base,
                                 size_t off, size_t n)
{
    struct h1_dir *d = &st->d[dir];
    const uint8_t *p = base + off;
    struct h1_step r = { 0, false };
    size_t e, skip = 0;
    bool cut = false;
    enum h1_kind k;

    /* empty lines before a message are ignored (RFC 9112 §2.2) */
    while (skip < n) {
        size_t eol = eol_len(p + skip, n - skip);

        if (eol == 0)
            break;
        skip += eol;
    }
    if (skip) {
        r.used = skip;
        d->hline = d->hscan = 0;
        return r;
    }
    if (p[0] == '\r' && n == 1) {
        r.wait = true;
        return r;
    }
    k = h1_start_kind(p, n);
    if (k == K_MORE) {
        d->hpend = n;
        r.wait = true;
        return r;
    }
    if (k == K_REQ && st->client < 0) {
        /* roles unknown (the capture may start inside a body): be stricter */
        switch (h1_first_request(p, n)) {
        case M_YES:
            st->client = dir;
            break;
        case M_MORE:
            k = K_MORE;
            break;
        case M_NO:
            k = K_JUNK;
            break;
        }
    }
    if (k == K_MORE) {
        d->hpend = n;
        r.wait = true;
        return r;
    }
    if (k == K_RESP && st->client < 0)
        st->client = 1 - dir;
    if (k == K_PRI && st->client < 0)
        st->client = dir;
    if (k == K_PRI && dir == st->client) {
        /* an HTTP/2 preface (prior knowledge, or the 101 was not seen) */
        struct h1_tx *up = NULL;

        for (uint32_t i = st->nresp; i < st->qlen; i++) {
            if (q_at(st, i)->fl & TX_H2C)
                up = q_at(st, i);
        }
        if (up) {
            h1_to_h2(st, x, up);
        } else {
            flush_all(st, x);
            st->dead = true;
            dsx_switch(x, &dsx_http2, NULL, 0);
        }
        r.wait = true;
        return r;
    }
    if (k == K_JUNK || (k == K_REQ && dir != st->client) || (k == K_RESP && dir == st->client) ||
        k == K_PRI) {
        d->pend_anom |= ENT_A_MALFORMED;
        if (d->where != W_NONE)     /* after an interim response */
            tx_anom(msg_tx(st, dir), ENT_A_MALFORMED);
        resync(d, p[0] == '\n');
        r.used = 1;
        return r;
    }
    if (!find_block_end(d, p, n, &e)) {
        if (d->hscan <= H1_HDR_MAX) {
            d->hpend = n;
            r.wait = true;
            return r;
        }
        /* too long: parse its complete lines (if the start line is one), skip the rest */
        if (d->hline == 0) {
            d->pend_anom |= ENT_A_CAP | ENT_A_MALFORMED;
            resync(d, false);
            r.used = n;
            return r;
        }
        e = d->hline;
        cut = true;
    }
    d->hpend = 0;
    d->hline = d->hscan = 0;
    r.used = e;
    if (k == K_REQ)
        req_begin(st, x, dir, p, e, cut, off);
    else if (!resp_begin(st, x, dir, p, e, cut, off))
        r.wait = true;
    return r;
}

static struct h1_step step_body(struct h1 *st, struct dsx *x, int dir, size_t off, size_t n)
{
    struct h1_dir *d = &st->d[dir];
    struct h1_step r = { 0, false };
    size_t k = n;

    if (d->state != H1_BODY_CLOSE && d->left < k)
        k = (size_t)d->left;
    msg_mark(st, x, dir, off, k);
    d->body += k;
    r.used = k;
    if (d->state == H1_BODY_CLOSE)
        return r;
    d->left -= k;
    if (d->left == 0) {
        if (d->state == H1_CHUNK_DATA)
            set_state(d, H1_CHUNK_CRLF);
        else
            msg_finish(st, x, dir, 0);
    }
    return r;
}

/* The message ends badly here (anom) and the direction resynchronises. */
static void msg_fail(struct h1 *st, struct dsx *x, int dir, uint32_t anom, bool line_start)
{
    msg_finish(st, x, dir, anom);
    resync(&st->d[dir], line_start);
}

/* chunk-size [ chunk-ext ] CRLF (RFC 9112 §7.1) */
static struct h1_step step_chunk_size(struct h1 *st, struct dsx *x, int dir, const uint8_t *base,
                                      size_t off, size_t n)
{
    struct h1_dir *d = &st->d[dir];
    const uint8_t *p = base + off;
    struct h1_step r = { 0, false };
    const uint8_t *nl;
    size_t len, i = 0;
    uint64_t v = 0;

    nl = d->hscan < n ? memchr(p + d->hscan, '\n', n - d->hscan) : NULL;
    if (!nl) {
        d->hscan = n;
        if (n > H1_CHUNK_LINE_MAX) {
            msg_fail(st, x, dir, ENT_A_MALFORMED, false);
            return r;
        }
        r.wait = true;
        return r;
    }
    len = (size_t)(nl - p) + 1;
    while (i < len - 1 && i < 16) {
        uint8_t c = h1_lower(p[i]);

        if (c >= '0' && c <= '9')
            v = v << 4 | (uint64_t)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v = v << 4 | (uint64_t)(c - 'a' + 10);
        else
            break;
        i++;
    }
    /* after the digits: nothing, whitespace, or extensions starting with ';' */
    {
        size_t j = i;

        while (j < len - 1 && h1_ows(p[j]))
            j++;
        if (i == 0 || (j < len - 1 && p[j] != ';' && !(p[j] == '\r' && j == len - 2))) {
            msg_fail(st, x, dir, ENT_A_MALFORMED, false);
            return r;
        }
    }
    msg_mark(st, x, dir, off, len);
    r.used = len;
    if (v == 0) {
        d->tsize = 0;
        set_state(d, H1_TRAILER);
    } else {
        d->left = v;
        set_state(d, H1_CHUNK_DATA);
    }
    return r;
}

static struct h1_step step_chunk_crlf(struct h1 *st, struct dsx *x, int dir, const uint8_t *base,
                                      size_t off, size_t n)
{
    const uint8_t *p = base + off;
    struct h1_step r = { 0, false };
    size_t k = eol_len(p, n);

    if (k) {
        msg_mark(st, x, dir, off, k);
        set_state(&st->d[dir], H1_CHUNK_SIZE);
        r.used = k;
        return r;
    }
    if (p[0] == '\r' && n == 1) {
        r.wait = true;
        return r;
    }
    msg_fail(st, x, dir, ENT_A_MALFORMED, false);
    return r;
}

/* trailer-section CRLF: lines up to an empty one (not written: the headers are closed) */
static struct h1_step step_trailer(struct h1 *st, struct dsx *x, int dir, const uint8_t *base,
                                   size_t off, size_t n)
{
    struct h1_dir *d = &st->d[dir];
    const uint8_t *p = base + off;
    struct h1_step r = { 0, false };
    const uint8_t *nl = d->hscan < n ? memchr(p + d->hscan, '\n', n - d->hscan) : NULL;
    size_t len;

    if (!nl) {
        d->hscan = n;
        if (d->tsize + n > H1_HDR_MAX) {
            msg_fail(st, x, dir, ENT_A_CAP | ENT_A_TRUNCATED, false);
            return r;
        }
        r.wait = true;
        return r;
    }
    len = (size_t)(nl - p) + 1;
    msg_mark(st, x, dir, off, len);
    d->tsize += len;
    d->hscan = 0;
    r.used = len;
    if (len == 1 || (len == 2 && p[0] == '\r'))
        msg_finish(st, x, dir, 0);
    else if (d->tsize > H1_HDR_MAX)
        msg_fail(st, x, dir, ENT_A_CAP | ENT_A_TRUNCATED, true);
    return r;
}

/* Skips to the next line that starts a message of the kind dir sends. */
static struct h1_step step_resync(struct h1 *st, int dir, const uint8_t *base, size_t off,
                                  size_t n)
{
    struct h1_dir *d = &st->d[dir];
    const uint8_t *p = base + off;
    struct h1_step r = { 0, false };
    bool req = st->client < 0 || dir == st->client;
    bool resp = st->client < 0 || dir != st->client;

    for (size_t i = 0; i < n; i++) {
        enum h1_match m;

        if (i == 0 ? !d->line_start : p[i - 1] != '\n')
            continue;
        m = h1_strict_start(p + i, n - i, req, resp);
        if (m == M_YES) {
            set_state(d, H1_START);
            r.used = i;
            return r;
        }
        if (m == M_MORE) {
            d->line_start = true;
            r.used = i;
            r.wait = true;
            return r;
        }
    }
    d->line_start = p[n - 1] == '\n';
    r.used = n;
    return r;
}

static size_t h1_parse(void *vst, struct dsx *x, int dir, const uint8_t *p, size_t n)
{
    struct h1 *st = vst;
    struct h1_dir *d = &st->d[dir & 1];
    size_t off = 0;

    dir &= 1;
    while (!st->dead && off < n) {
        struct h1_step r = { 0, true };

        switch ((enum h1_state)d->state) {
        case H1_START:
            r = step_start(st, x, dir, p, off, n - off);
            break;
        case H1_BODY_LEN:
        case H1_BODY_CLOSE:
        case H1_CHUNK_DATA:
            r = step_body(st, x, dir, off, n - off);
            break;
        case H1_CHUNK_SIZE:
            r = step_chunk_size(st, x, dir, p, off, n - off);
            break;
        case H1_CHUNK_CRLF:
            r = step_chunk_crlf(st, x, dir, p, off, n - off);
            break;
        case H1_TRAILER:
            r = step_trailer(st, x, dir, p, off, n - off);
            break;
        case H1_RESYNC:
            r = step_resync(st, dir, p, off, n - off);
            break;
        }
        off += r.used;
        if (r.wait)
            break;
    }
    return off;
}

/* ------------------------------------------------------------ gaps and ends */

static void h1_gap(void *vst, struct dsx *x, int dir, uint64_t n)
{
    struct h1 *st = vst;
    struct h1_dir *d = &st->d[dir & 1];

    dir &= 1;
    if (st->dead)
        return;
    switch ((enum h1_state)d->state) {
    case H1_BODY_LEN:
    case H1_CHUNK_DATA:
        tx_anom(msg_tx(st, dir), ENT_A_GAP);
        if (n <= d->left) {
            /* lost body bytes of known length: counted, the framing holds */
            d->left -= n;
            d->body += n;
            if (d->left == 0) {
                if (d->state == H1_CHUNK_DATA)
                    set_state(d, H1_CHUNK_CRLF);
                else
                    msg_finish(st, x, dir, 0);
            }
            return;
        }
        d->body += d->left;
        msg_fail(st, x, dir, 0, true);
        return;
    case H1_BODY_CLOSE:
        tx_anom(msg_tx(st, dir), ENT_A_GAP);
        d->body += n;
        return;
    case H1_CHUNK_SIZE:
    case H1_CHUNK_CRLF:
    case H1_TRAILER:
        msg_fail(st, x, dir, ENT_A_GAP, true);
        return;
    case H1_START:
        if (d->where != W_NONE)     /* after an interim response */
            tx_anom(msg_tx(st, dir), ENT_A_GAP);
        d->pend_anom |= ENT_A_GAP;
        d->hpend = 0;
        resync(d, true);
        return;
    case H1_RESYNC:
        d->pend_anom |= ENT_A_GAP;
        d->line_start = true;
        return;
    }
}

/* dir ended: a body ended by close completes, anything else in progress is cut. */
static void dir_end(struct h1 *st, struct dsx *x, int dir)
{
    struct h1_dir *d = &st->d[dir];

    if (d->ended)
        return;
    d->ended = true;
    switch ((enum h1_state)d->state) {
    case H1_BODY_CLOSE:
        msg_finish(st, x, dir, 0);
        break;
    case H1_BODY_LEN:
    case H1_CHUNK_SIZE:
    case H1_CHUNK_DATA:
    case H1_CHUNK_CRLF:
    case H1_TRAILER:
        msg_finish(st, x, dir, ENT_A_TRUNCATED);
        break;
    case H1_START:
        if (d->hpend && dir_is_resp(st, dir)) {
            /* a response header cut: its request gets no response, but say it was cut */
            if (d->where != W_NONE)
                tx_anom(msg_tx(st, dir), ENT_A_TRUNCATED);
            else if (st->nresp < st->qlen)
                tx_anom(q_at(st, st->nresp), ENT_A_TRUNCATED);
        }
        break;
    case H1_RESYNC:
        break;
    }
}

static void h1_end(void *vst, struct dsx *x, int dir)
{
    struct h1 *st = vst;

    if (dir >= 0) {
        if (!st->dead)
            dir_end(st, x, dir & 1);
        return;
    }
    if (!st->dead) {
        dir_end(st, x, 0);
        dir_end(st, x, 1);
    }
    flush_all(st, x);
}

static void h1_init(void *vst, struct dsx *x, const void *hint)
{
    struct h1 *st = vst;

    (void)x;
    (void)hint;
    st->client = -1;
}

static void h1_fini(void *vst)
{
    struct h1 *st = vst;

    for (uint32_t i = 0; i < st->qlen; i++)
        ent_free(q_at(st, i)->e);
    free(st->q);
    st->q = NULL;
    st->qlen = 0;
    ent_free(st->orphan.e);
    st->orphan.e = NULL;
    free(st->hint);
    st->hint = NULL;
}

static const uint16_t h1_ports[] = { 80, 8080, 8000, 8008, 8888, 3128, 0 };

const struct dsx_ops dsx_http1 = {
    .name = "http",
    .l4 = DSX_TCP,
    .ports = h1_ports,
    .state_size = sizeof(struct h1),
    .bid = h1_bid,
    .init = h1_init,
    .parse = h1_parse,
    .gap = h1_gap,
    .end = h1_end,
    .fini = h1_fini,
};
