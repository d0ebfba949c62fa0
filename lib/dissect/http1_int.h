/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: what the HTTP/1 dissector's two files share (http1.c: the state
 * machine, framing, pairing queue and gaps; http1_msg.c: start lines, header
 * fields and the entries' request/response sections). Private to lib/dissect.
 */
#ifndef SV_DISSECT_HTTP1_INT_H
#define SV_DISSECT_HTTP1_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dissect/dissect.h"

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
/* Host kept for the h2c hint (struct dsx_h2c_hint's host). */
#define H1_HOST_MAX         256u

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
    bool lost_start;        /* RESYNC: a gap took the start of the next response */
    bool lost_rest;         /* ... and bytes of its rest have been skipped since */
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

/*
 * What a header block says about framing and the few fields used here. host
 * and ctype point into the header block, or, for a folded value (joined),
 * into host_fold/ctype_fold, which hold its first H1_HOST_MAX/H1_MIME_MAX
 * bytes; hostn and ctypen are the whole values' lengths.
 */
struct h1_hdrs {
    bool chunked, te_other, cl_set, cl_bad, upgrade, h2c;
    uint64_t cl;
    const uint8_t *host, *ctype;
    size_t hostn, ctypen;
    uint8_t host_fold[H1_HOST_MAX], ctype_fold[H1_MIME_MAX];
    uint32_t anom;
    uint32_t count;
    uint64_t hpack;         /* of the fields written: name + value + 32 each (HPACK's size) */
};

/* Does a message start match: no, maybe with more bytes, yes. */
enum h1_match { M_NO, M_MORE, M_YES };

/* What a message start looks like (lenient: any token method). */
enum h1_kind { K_MORE, K_JUNK, K_REQ, K_RESP, K_PRI };

/* Lower-case of an ASCII letter; other bytes as they are. */
uint8_t h1_lower(uint8_t c);
/* Optional whitespace: SP or HTAB. */
bool h1_ows(uint8_t c);
/* Number of bytes of a "\r\n" / "\n" line end at p (0 if none). */
size_t h1_eol_len(const uint8_t *p, size_t n);
/* A known method and a space (req), or "HTTP/1.x " (resp), at p. */
enum h1_match h1_strict_start(const uint8_t *p, size_t n, bool req, bool resp);
/* What the message start at p looks like (lenient: any token method). */
enum h1_kind h1_start_kind(const uint8_t *p, size_t n);
/* A request where the roles are not known yet (see http1_msg.c). */
enum h1_match h1_first_request(const uint8_t *p, size_t n);
/*
 * The request line [p, p+n) and field lines [fields, fields+fn) of a request
 * header block of hsize bytes: writes the request's start to tx's entry, sets
 * tx's HEAD/CONNECT/h2c flags (and st's h2c hint), and returns the fields in hp.
 */
void h1_req_line(struct h1 *st, struct h1_tx *tx, const uint8_t *p, size_t n,
                 const uint8_t *fields, size_t fn, size_t hsize, struct h1_hdrs *hp);
/*
 * The status line [p, p+n) and field lines [fields, fields+fn) of a response
 * header block of hsize bytes (cut: over H1_HDR_MAX). Returns false for an
 * interim response (1xx but 101, not cut): only its anomalies are noted.
 * Otherwise writes the response's start to tx's entry and marks tx
 * TX_RESP_HDR. Sets *statusp (0 when malformed, or sent as 000) and the
 * fields in hp.
 */
bool h1_resp_line(struct h1_tx *tx, const uint8_t *p, size_t n, const uint8_t *fields,
                  size_t fn, size_t hsize, bool cut, unsigned *statusp, struct h1_hdrs *hp);
/* Writes the end of dir d's request to e: bodySize, chunked. */
void h1_req_end(struct ent *e, const struct h1_dir *d);
/* Writes the end of dir d's final response to e: bodySize, chunked, content (mimeType, size). */
void h1_resp_end(struct ent *e, const struct h1_dir *d);

#endif
