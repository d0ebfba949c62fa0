/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: what the HTTP/2 dissector's two files share (http2.c: frames,
 * header sequences, streams and their pairing, the ops; grpc.c: decoded header
 * fields, the entry keys written from them, gRPC). Private to lib/dissect.
 */
#ifndef SV_DISSECT_HTTP2_INT_H
#define SV_DISSECT_HTTP2_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "dissect/dissect.h"
#include "dissect/hpack.h"

enum { SIDE_REQ = 0, SIDE_RESP = 1 };

/* One side (request or response) of a stream. */
/*
 * Bytes of a gRPC-Web trailers frame kept to read its grpc-status from
 * ("grpc-status:0\r\ngrpc-message:...": it comes first in practice).
 */
#define H2_WEB_TRAILERS_KEPT 64u

struct h2_side {
    uint64_t body;              /* DATA payload bytes */
    uint64_t msgs, msg_bytes;   /* gRPC length-prefixed messages */
    uint32_t msg_left;          /* bytes of the current message still to come */
    uint8_t pre[5];             /* message prefix being read */
    uint8_t pre_len;
    bool msg_lost;              /* a gap broke the message framing: counting stopped */
    bool web_text;              /* gRPC-Web text: base64 bodies, messages not counted */
    bool web_tr;                /* the current message is gRPC-Web's trailers frame (0x80) */
    bool web_cut;               /* it is longer than what web[] keeps */
    uint8_t web_len;            /* bytes of it kept in web[] */
    int16_t web_status;         /* the grpc-status it gave; -1: none */
    uint8_t web[H2_WEB_TRAILERS_KEPT];  /* its first bytes, where grpc-status is looked for */
    bool headers;               /* its (final) header block was seen */
    bool ended;                 /* END_STREAM seen */
};

struct h2_stream {
    uint32_t sid;
    struct ent *e;
    struct h2_side side[2];
    bool grpc;
    bool trailers;              /* the response's trailers were written */
    bool trailers_only;         /* the response's only header block ended the stream */
    bool resp_body_written;     /* "bodySize" of the response written (before trailers) */
    bool reset;
    uint32_t rst_code;
    int64_t grpc_status;        /* -1: none */
    uint64_t pushes;
    char *path, *ctype, *gmsg;  /* kept copies (H2_KEEP_MAX), may be NULL */
    size_t path_len, ctype_len, gmsg_len;
};

struct h2_dir {
    struct hpack hp;
    uint8_t ps;                 /* enum h2_ps */
    uint8_t fflags;             /* DATA/SKIP: the frame's flags */
    uint32_t fsid;              /* DATA/SKIP: the frame's stream */
    uint32_t data_left, pad_left, skip_left;
    size_t seq_scan;            /* header sequence: next frame header to check (0: none yet) */
    size_t seq_total;           /* header sequence: its length once END_HEADERS was found */
    uint64_t resync_bytes;
    uint32_t max_frame;         /* largest frame this direction may send */
    bool start_unsure;          /* began with SETTINGS before any preface: see h2_parse */
};

/* Fields http2.c and grpc.c look up in a block: the first of each of these names. */
enum h2_known {
    H2_F_METHOD = 0,            /* :method */
    H2_F_PATH,                  /* :path */
    H2_F_STATUS,                /* :status */
    H2_F_CTYPE,                 /* content-type */
    H2_F_GRPC_STATUS,           /* grpc-status */
    H2_F_GRPC_MESSAGE,          /* grpc-message */
    H2_F_COUNT
};

/* The pseudo-header fields of a block (RFC 9113 §8.3), as h2_field_cb sees them. */
enum h2_pseudo {
    H2_PH_METHOD = 1 << 0,
    H2_PH_SCHEME = 1 << 1,
    H2_PH_AUTHORITY = 1 << 2,
    H2_PH_PATH = 1 << 3,
    H2_PH_PROTOCOL = 1 << 4,    /* extended CONNECT (RFC 8441) */
    H2_PH_STATUS = 1 << 5,
    H2_PH_CONNECT = 1 << 6,     /* :method is CONNECT */
};

/* What a header block is to its stream: which pseudo-header fields it needs (§8.3). */
enum h2_block { H2_B_REQUEST, H2_B_RESPONSE, H2_B_TRAILERS };

/* Emitted streams kept for reuse per connection. */
#define H2_SPARE 8u

struct h2 {
    struct h2_dir d[2];
    int client_dir;             /* -1 until known */
    struct h2_stream **s;
    size_t ns, scap;
    struct h2_stream *spare[H2_SPARE];  /* spent streams (their kept strings freed) */
    size_t nspare;
    uint32_t max_sid;           /* highest stream id opened by a request */
    uint32_t min_sid;           /* lowest stream id opened by a request (0: none yet; since
                                   the last loss of the client's bytes when ids_lost) */
    bool ids_lost;              /* bytes of the client were lost: requests may be missing */
    struct buf fields;          /* decoded fields of the block being handled */
    struct buf block;           /* fragments of a HEADERS + CONTINUATION sequence */
    struct buf join;            /* a block's cookie crumbs joined (grpc.c write_fields) */
    bool fields_cut;
    bool fields_bad;            /* a field broke RFC 9113 §8.2 or §8.3 (h2_field_cb) */
    bool regular;               /* a regular (not pseudo-header) field was seen */
    uint8_t pseudo;             /* enum h2_pseudo: the pseudo-header fields seen */
    size_t known[H2_F_COUNT];   /* offset + 1 in fields of the record of each, 0: none */
    uint64_t hsize;             /* RFC size of the block's fields */
    bool preface;               /* the connection was captured from its start */
    bool dead;
};

/* Records in h->fields: u32 name length, u32 value length, name, value. */
struct h2_field {
    const uint8_t *name, *value;
    size_t nlen, vlen;
};

/* Empties h->fields (and h->known, the field checks) for the next block. */
void h2_fields_reset(struct h2 *h);

/*
 * HPACK's field callback (arg: the struct h2): appends the field to h->fields
 * and notes it in h->known when it is the first of its name there. Checks it
 * as it comes (RFC 9113 §8.2.1, §8.2.2, §8.3): a name with upper case or
 * another byte no name may hold, a value with NUL, CR or LF or with
 * whitespace at an end, a connection-specific field, an unknown, repeated or
 * late (after a regular field) pseudo-header, an empty :method or :path set
 * h->fields_bad; the pseudo-header fields go to h->pseudo.
 */
void h2_field_cb(void *arg, const uint8_t *name, size_t nlen, const uint8_t *value, size_t vlen);

/*
 * Whether the block in h->fields is a well-formed one of kind k (RFC 9113
 * §8.2, §8.3): no bad field, the pseudo-header fields that k allows (a
 * response's :status of three digits), and, when complete (no field was
 * left out, see hpack_notes.unknown), all those it needs.
 */
bool h2_block_ok(const struct h2 *h, enum h2_block k, bool complete);

/* The block's :status when it is three digits (RFC 9110 §15); false otherwise. */
bool h2_status(const struct h2 *h, uint32_t *code);

/* The first field of the block with the name of k, or false. */
bool h2_field_find(const struct h2 *h, enum h2_known k, struct h2_field *out);

/* Parses a decimal number of 1..9 digits; false otherwise. */
bool h2_parse_dec(const uint8_t *p, size_t n, uint32_t *v);

/* Counts the gRPC Length-Prefixed-Messages in n more DATA payload bytes of a side. */
void h2_grpc_feed(struct h2_side *sd, const uint8_t *p, size_t n);

/* The request's keys from the block in h->fields (notes :path and gRPC). */
void h2_write_request(struct h2 *h, struct h2_stream *s);

/* The final response's keys from the block in h->fields (end_stream: it ends the stream). */
void h2_write_response(struct h2 *h, struct h2_stream *s, bool end_stream);

/* The response's trailers from the block in h->fields (grpc-status, grpc-message). */
void h2_write_trailers(struct h2 *h, struct h2_stream *s);

/* After an h2c upgrade: stream s's request keys from the HTTP/1.1 request of the hint. */
void h2_write_h2c_request(struct h2_stream *s, const struct dsx_h2c_hint *hint);

/* The closing keys of s's entry (s->e not NULL): sizes, gRPC, reset, pushes, anomalies. */
void h2_write_closing(struct h2_stream *s, uint32_t anomalies);

#endif
