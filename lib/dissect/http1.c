/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: HTTP/1.0 and HTTP/1.1 dissector: request/response pairing with
 * keep-alive and pipelining, Content-Length, chunked bodies, bodies ended by
 * close, interim 1xx, h2c upgrade to HTTP/2, resynchronisation after gaps.
 * Start lines, header fields and the writing of the entries' request and
 * response sections are in http1_msg.c.
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
 * goes with the hint and is not emitted here); any other 101 ends HTTP/1:
 * the entry is emitted and the stream abandoned. A 2xx to CONNECT opens a
 * tunnel: the entry is emitted and the stream goes to the TLS dissector
 * (which gives up on bytes that are not TLS), as tshark dissects it.
 *
 * Gaps: inside a body (or chunk) of known length the lost bytes count as
 * body (in bodySize; the wire sizes only count bytes seen); elsewhere (a gap
 * past a chunk's data included: the chunked body goes on after it, so what
 * follows up to a start line is still that message's) the
 * message in progress is ended with ENT_A_GAP and the direction
 * resynchronises at the next line starting with a known method and a space
 * (client) or "HTTP/1.0 " / "HTTP/1.1 " (server; a status line start, with
 * its code, is also taken inside a line, where a body of lost length runs
 * into the next response). Bytes skipped while resynchronising belong to
 * no entry, but a server's response whose header block or start a gap took
 * is ended there (ENT_A_GAP, no status) for the request it answers, so that
 * pairing stays in order; a gap that took whole responses and nothing more
 * cannot be told from one that took none. A header block longer than
 * H1_HDR_MAX is parsed as far as its lines complete within its first
 * H1_HDR_MAX bytes go (ENT_A_CAP | ENT_A_TRUNCATED, no body) and the
 * direction resynchronises; the caps on a block, a trailer section and a
 * chunk-size line are on where they end, so they hold whatever the split. Trailer
 * fields are counted in the size but not written (the headers are closed).
 *
 * Lenient where RFC 9112 lets a recipient be: bare LF line ends, empty lines
 * before a message, obs-fold (joined with a space), a request line without a
 * version (ENT_A_MALFORMED, still an entry). Malformed framing (a bad chunk
 * size, an invalid or conflicting Content-Length, a request coding other
 * than chunked) ends the message with ENT_A_MALFORMED and resynchronises.
 * A Transfer-Encoding beside a Content-Length is ENT_A_MALFORMED too (RFC
 * 9112 §6.1), and the coding frames the message.
 */
#include "config.h"

#include "dissect/http1_int.h"

#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ detection */

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

/* ------------------------------------------------------------ messages */

/*
 * Transfer-Encoding and Content-Length together: a sender MUST NOT (RFC 9112
 * §6.1), and a recipient ought to take it for an error, as it may be request
 * smuggling or response splitting (§6.3 rule 3). The coding frames the
 * message all the same; the message is malformed.
 */
static bool h1_te_and_cl(const struct h1_hdrs *h)
{
    return h->cl_set && (h->chunked || h->te_other);
}

/* Writes the end of a request (bodySize, chunked) and marks it done. */
static void req_finish(struct h1 *st, struct dsx *x, int dir, uint32_t anom)
{
    struct h1_dir *d = &st->d[dir];
    struct h1_tx *tx = msg_tx(st, dir);

    if (tx != &st->nulltx) {
        if (tx->e) {
            ent_anomaly(tx->e, anom);
            h1_req_end(tx->e, d);
        }
        if ((tx->fl & TX_H2C) && st->hint)
            st->hint->body_size = d->body;     /* for HTTP/2's stream 1 (h1_to_h2) */
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
        if (tx->fl & TX_RESP_HDR)
            h1_resp_end(tx->e, d);
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
    d->lost_start = d->lost_rest = false;
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

/*
 * A complete request header block [0, hsize) of p (cut, the anomalies of a
 * block cut short: only its complete lines, the block being over H1_HDR_MAX
 * or the direction ending inside it). Creates the transaction and sets up
 * the body. off is p's offset in the parse call.
 */
static void req_begin(struct h1 *st, struct dsx *x, int dir, const uint8_t *p, size_t hsize,
                      uint32_t cut, size_t off)
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
        ent_anomaly(tx->e, d->pend_anom | cut);
        dsx_mark_req(x, tx->e, dir, off, hsize);
    }
    d->pend_anom = 0;
    h1_req_line(st, tx, p, l0, p + fstart, fend > fstart ? fend - fstart : 0, hsize, &h);
    if (tx->e && tx != &st->nulltx) {
        tx->bytes = tx->e->sec[ENT_REQ].len;
        st->qbytes += tx->bytes;
    }
    d->body = 0;
    d->chunked = false;
    if (h1_te_and_cl(&h))
        tx_anom(tx, ENT_A_MALFORMED);
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

/*
 * The upgrade request's body goes with the hint (RFC 7540 §3.2: it is sent
 * whole before the 101): its size and the bytes its entry kept.
 */
static void h2c_hint_body(struct h1 *st, const struct h1_tx *tx)
{
    struct dsx_h2c_hint *k = st->hint;
    const struct ent *e = tx->e;
    const struct buf *b = &e->body[ENT_REQ];
    size_t at = sizeof *k + k->url_len + k->fields_len;

    if (!(tx->fl & TX_REQ_DONE))
        k->body_size = st->d[k->client_dir].body;  /* still coming: what came */
    k->body_cut = (e->f.flags & ENT_F_REQ_BODY_CUT) != 0;
    if (b->len == 0)
        return;
    k = realloc(k, at + b->len);
    if (!k) {
        st->hint->body_cut = st->hint->body_cut || st->hint->body_size > 0;
        return;
    }
    memcpy(k->data + k->url_len + k->fields_len, b->data, b->len);
    k->body_len = (uint32_t)b->len;
    st->hint = k;
}

/* Switches to HTTP/2 after a 101 to an h2c upgrade (tx: the upgrade request). */
static void h1_to_h2(struct h1 *st, struct dsx *x, struct h1_tx *tx)
{
    struct dsx_h2c_hint *k;

    if (st->hint && tx && tx->e) {
        k = st->hint;
        k->req_ns = tx->e->f.req_ns;
        k->req_end_ns = tx->e->f.req_end_ns;
        k->req_pkt = tx->e->f.req_pkt;
        k->req_size = tx->e->f.req_size;
        k->anom = tx->e->f.anomalies;
        h2c_hint_body(st, tx);
    }
    k = st->hint;
    if (tx) {
        /* HTTP/2 reports it as stream 1, in its place */
        dsx_hand_over(x, tx->e);
        tx->e = NULL;
        tx->fl |= TX_REQ_DONE | TX_RESP_DONE;
    }
    q_flush_done(st, x);
    flush_all(st, x);
    st->dead = true;
    dsx_switch(x, &dsx_http2, k, k ? sizeof *k + k->url_len + k->fields_len + k->body_len : 0);
}

/*
 * A complete response header block [0, hsize) of p (see req_begin). Returns
 * false when HTTP/1 ended here (switch or tunnel).
 */
static bool resp_begin(struct h1 *st, struct dsx *x, int dir, const uint8_t *p, size_t hsize,
                       uint32_t cut, size_t off)
{
    struct h1_dir *d = &st->d[dir];
    struct h1_tx *tx;
    const uint8_t *nl = memchr(p, '\n', hsize);
    size_t l0 = nl ? (size_t)(nl - p) : hsize, fstart = nl ? l0 + 1 : hsize, fend = hsize;
    unsigned status;
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
    tx_anom(tx, d->pend_anom | cut);
    d->pend_anom = 0;
    if (e)
        dsx_mark_resp(x, e, dir, off, hsize);

    if (!h1_resp_line(tx, p, l0, p + fstart, fend > fstart ? fend - fstart : 0, hsize, cut != 0,
                      &status, &h)) {
        /* interim: its bytes count, the final response is written */
        set_state(d, H1_START);
        return true;
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
    if (h1_te_and_cl(&h))
        tx_anom(tx, ENT_A_MALFORMED);
    if (status == 101 && (tx->fl & TX_H2C) && d->where == W_RESPQ) {
        h1_to_h2(st, x, tx);
        return false;
    }
    if (status == 101 || ((tx->fl & TX_CONNECT) && status >= 200 && status < 300)) {
        bool tunnel = status != 101;

        tx->fl |= TX_REQ_DONE;
        msg_finish(st, x, dir, 0);
        if (!tunnel) {
            h1_stop(st, x);
            return false;
        }
        /* a tunnel (RFC 9110 §9.3.6), as a rule to a TLS server: TLS gives up on other bytes */
        flush_all(st, x);
        st->dead = true;
        dsx_switch(x, &dsx_tls, NULL, 0);
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

/*
 * The next LF in [d->hscan, lim) of p's n bytes, else NULL with d->hscan at
 * the end of what was searched. lim caps where the line (or block) may end,
 * so that a cap holds the same whatever the split of the bytes: a line that
 * ends past it is too long even when it arrives whole.
 */
static const uint8_t *find_lf(struct h1_dir *d, const uint8_t *p, size_t n, size_t lim)
{
    size_t m = n < lim ? n : lim;
    const uint8_t *nl = d->hscan < m ? memchr(p + d->hscan, '\n', m - d->hscan) : NULL;

    if (!nl)
        d->hscan = m;
    return nl;
}

/*
 * Finds the end of the header block at p within its first H1_HDR_MAX bytes
 * (d->hline/hscan keep the progress; d->hline is then where the first line
 * not complete there starts).
 */
static bool find_block_end(struct h1_dir *d, const uint8_t *p, size_t n, size_t *end)
{
    for (;;) {
        const uint8_t *nl = find_lf(d, p, n, H1_HDR_MAX);
        size_t i, ll;

        if (!nl)
            return false;
        i = (size_t)(nl - p);
        ll = i - d->hline;
        if (d->hline > 0 && (ll == 0 || (ll == 1 && p[d->hline] == '\r'))) {
            *end = i + 1;
            return true;
        }
        d->hline = d->hscan = i + 1;
    }
}

static struct h1_step step_start(struct h1 *st, struct dsx *x, int dir, const uint8_t *base,
                                 size_t off, size_t n)
{
    struct h1_dir *d = &st->d[dir];
    const uint8_t *p = base + off;
    struct h1_step r = { 0, false };
    size_t e, skip = 0;
    uint32_t cut = 0;
    bool mid_line = false;
    enum h1_kind k;

    /* empty lines before a message are ignored (RFC 9112 §2.2) */
    while (skip < n) {
        size_t eol = h1_eol_len(p + skip, n - skip);

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
    if (k == K_JUNK && dir == st->client && st->qlen > st->nresp &&
        (q_at(st, st->qlen - 1)->fl & TX_CONNECT) && !dsx_at_end(x, dir)) {
        /* sent after a CONNECT without waiting for its answer: the tunnel's if it is a 2xx */
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
        bool under_cap = n < H1_HDR_MAX;

        if (under_cap && !dsx_at_end(x, dir)) {
            d->hpend = n;
            r.wait = true;
            return r;
        }
        /*
         * Too long, or the direction ends inside it (dsx_ops.parse_rest):
         * parse its complete lines, skip the rest. When not even the start
         * line ends within them, the message is still an entry (its start
         * line cut), so that the pairs after it stay in step.
         */
        e = d->hline ? d->hline : under_cap ? n : H1_HDR_MAX;
        cut = under_cap ? ENT_A_TRUNCATED : ENT_A_CAP | ENT_A_TRUNCATED;
        mid_line = d->hline == 0;
    }
    d->hpend = 0;
    d->hline = d->hscan = 0;
    r.used = e;
    if (k == K_REQ)
        req_begin(st, x, dir, p, e, cut, off);
    else if (!resp_begin(st, x, dir, p, e, cut, off))
        r.wait = true;
    if (mid_line && d->state == H1_RESYNC)
        d->line_start = false;      /* the rest of the start line is skipped as a line's */
    return r;
}

static struct h1_step step_body(struct h1 *st, struct dsx *x, int dir, const uint8_t *p,
                               size_t off, size_t n)
{
    struct h1_dir *d = &st->d[dir];
    struct h1_step r = { 0, false };
    struct h1_tx *tx = msg_tx(st, dir);
    size_t k = n;

    if (d->state != H1_BODY_CLOSE && d->left < k)
        k = (size_t)d->left;
    msg_mark(st, x, dir, off, k);
    if (tx->e)
        dsx_body(x, tx->e, dir_is_resp(st, dir), p + off, k);
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

    nl = find_lf(d, p, n, H1_CHUNK_LINE_MAX);
    if (!nl) {
        if (n >= H1_CHUNK_LINE_MAX) {
            msg_fail(st, x, dir, ENT_A_MALFORMED, false);
            return r;
        }
        r.wait = true;
        return r;
    }
    len = (size_t)(nl - p) + 1;
    /* 1*HEXDIG: leading zeros are not significant; a 17th significant digit would not fit
     * in 64 bits, and it stops the digits here, where it fails the check below */
    while (i < len - 1 && (v >> 60) == 0) {
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
    size_t k = h1_eol_len(p, n);

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
    /* the section, empty line included, is at most H1_HDR_MAX bytes: tsize stays within */
    size_t lim = H1_HDR_MAX - (size_t)d->tsize;
    const uint8_t *nl = find_lf(d, p, n, lim);
    size_t len;

    if (!nl) {
        if (n >= lim) {
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
    return r;
}

/* Skips to the next line that starts a message of the kind dir sends. */
/* "HTTP/1.0 " or "HTTP/1.1 ", three digits and a space or line end at p. */
static enum h1_match status_start(const uint8_t *p, size_t n)
{
    enum h1_match m = h1_strict_start(p, n, false, true);
    const size_t v = sizeof "HTTP/1.x " - 1;

    for (size_t i = v; m == M_YES && i < v + 4; i++) {
        if (i == n)
            return M_MORE;
        if (i < v + 3 ? p[i] < '0' || p[i] > '9' : p[i] != ' ' && p[i] != '\r' && p[i] != '\n')
            return M_NO;
    }
    return m;
}

/*
 * The response whose start a gap took: the next request's, ended with the
 * gap (its status lost), so that the response found next pairs with the
 * request after it.
 */
static void lost_response(struct h1 *st, struct dsx *x, int dir)
{
    struct h1_dir *d = &st->d[dir];

    if (!dir_is_resp(st, dir))
        return;
    if (d->where == W_NONE) {
        if (st->skip || st->nresp >= st->qlen)
            return;
        d->where = W_RESPQ;
        q_at(st, st->nresp)->fl |= TX_RESP_START;
    }
    /* (or, after an interim response, its final one: the transaction in progress) */
    tx_anom(msg_tx(st, dir), d->pend_anom | ENT_A_GAP);
    d->pend_anom = 0;
    msg_finish(st, x, dir, 0);
}

static struct h1_step step_resync(struct h1 *st, struct dsx *x, int dir, const uint8_t *base,
                                  size_t off, size_t n)
{
    struct h1_dir *d = &st->d[dir];
    const uint8_t *p = base + off;
    struct h1_step r = { 0, false };
    bool req = st->client < 0 || dir == st->client;
    bool resp = st->client < 0 || dir != st->client;

    for (size_t i = 0; i < n; i++) {
        enum h1_match m;
        bool inside = i == 0 ? !d->line_start : p[i - 1] != '\n';

        if (inside) {
            /* a response may follow the rest of a body whose length was lost (nothing
             * ends a body with a line end): a whole status line start is taken anywhere */
            if (req || p[i] != 'H')
                continue;
            m = status_start(p + i, n - i);
        } else {
            m = h1_strict_start(p + i, n - i, req, resp);
        }
        if (m == M_YES) {
            bool after_gap = d->lost_start || (d->pend_anom & ENT_A_GAP);

            /* bytes before it: the rest of a response whose start the gap took */
            if (d->lost_start && (d->lost_rest || i > 0))
                lost_response(st, x, dir);
            /* found inside a line after a gap: which request it answers is a guess */
            if (inside && after_gap)
                d->pend_anom |= ENT_A_GAP;
            d->lost_start = d->lost_rest = false;
            set_state(d, H1_START);
            r.used = i;
            return r;
        }
        if (m == M_MORE) {
            d->line_start = i == 0 ? d->line_start : p[i - 1] == '\n';
            d->lost_rest |= i > 0;
            r.used = i;
            r.wait = true;
            return r;
        }
    }
    d->line_start = p[n - 1] == '\n';
    d->lost_rest = true;
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
            r = step_body(st, x, dir, p, off, n - off);
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
            r = step_resync(st, x, dir, p, off, n - off);
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
    bool in_chunks;

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
        in_chunks = d->state == H1_CHUNK_DATA;
        msg_fail(st, x, dir, 0, true);
        /* past a Content-Length body the gap's bytes began the next message; past a chunk's
         * data the body goes on (CRLF, chunks, last-chunk, trailers), so the rest of the
         * gap and what follows it up to a start line are still this message's */
        d->lost_start = !in_chunks;
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
        if (d->hpend && d->where == W_NONE && dir_is_resp(st, dir) && !st->skip &&
            st->nresp < st->qlen) {
            /* the gap cut a response's header block: that response was the next request's,
             * lost with what it said; the next one pairs with the request after */
            lost_response(st, x, dir);
            resync(d, true);
            return;
        }
        if (d->where != W_NONE)     /* after an interim response */
            tx_anom(msg_tx(st, dir), ENT_A_GAP);
        d->pend_anom |= ENT_A_GAP;
        d->hpend = 0;
        resync(d, true);
        /* the gap began at a message boundary (or after an interim response): it took a
         * message's start; if what follows is not a start, it is that message's rest */
        d->lost_start = true;
        return;
    case H1_RESYNC:
        /* (a response whose start an earlier gap took is still lost: lost_start stays) */
        d->pend_anom |= ENT_A_GAP;
        d->line_start = true;
        return;
    }
}

/*
 * Direction dir ended: closed (a FIN or RST came), else the capture ended
 * first. A body ended by the close completes only if the close came;
 * anything else in progress is cut.
 */
static void dir_end(struct h1 *st, struct dsx *x, int dir, bool closed)
{
    struct h1_dir *d = &st->d[dir];

    if (d->ended)
        return;
    d->ended = true;
    switch ((enum h1_state)d->state) {
    case H1_BODY_CLOSE:
        /* a body that runs to the close is whole only if the close was seen */
        msg_finish(st, x, dir, closed ? 0 : ENT_A_TRUNCATED);
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
        /* the stream ended after a gap took a response's start */
        if (d->lost_start)
            lost_response(st, x, dir);
        break;
    }
}

static void h1_end(void *vst, struct dsx *x, int dir)
{
    struct h1 *st = vst;

    if (dir >= 0) {
        if (!st->dead)
            dir_end(st, x, dir & 1, true);
        return;
    }
    if (!st->dead) {
        dir_end(st, x, 0, false);
        dir_end(st, x, 1, false);
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
    .parse_rest = true,         /* a header block the capture or a FIN ends inside */
};
