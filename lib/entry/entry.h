/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: entries: the request/response records dissectors produce, their
 * builder and their binary record format.
 *
 * An entry is one request/response pair (or one message, or one L4 summary).
 * It has a fixed part (stream, index, protocol, endpoints, times, sizes,
 * anomalies, packet positions) and two free-form sections, "request" and
 * "response", each a JSON-like object written by the dissector through the
 * ent_* calls below. The sections are kept in a compact binary form (a
 * "binary JSON": tagged values with keys), so that ingest never formats text;
 * lib/json turns a record into Kubeshark's JSON shape (DESIGN.md §5) and the
 * index (later) reads columns from it.
 *
 * Building:
 *
 *     struct ent *e = dsx_entry(x, ENT_HTTP1, client_dir);
 *     ent_section(e, ENT_REQ);
 *     ent_cstr(e, "method", "GET");
 *     ent_obj_begin(e, "headers");
 *     ent_str(e, "Host", v, vn);     (repeated names are joined with ", " in JSON)
 *     ent_obj_end(e);
 *     ...later...
 *     ent_section(e, ENT_RESP);
 *     ent_u64(e, "status", 200);
 *     dsx_emit(x, e);                (or ent_free(e) to drop it)
 *
 * Either section may be written at any time, in any order of calls; within
 * a section, keys come out in the order written. A section is capped at
 * ENT_SECTION_MAX bytes and a string at ENT_STR_MAX: what does not fit is
 * dropped (strings are cut), containers stay balanced, and the entry gets
 * ENT_A_TRUNCATED. Keys longer than 255 bytes are cut.
 *
 * Record format (little-endian, see docs/FORMAT.md "Entries"):
 *     u32 total length (this field included) | struct ent_fixed (packed
 *     fields, ENT_FIXED_LEN bytes) | u32 request section length | request
 *     section | u32 response section length | response section | u32
 *     request body length | request body | u32 response body length |
 *     response body | u32 names length | names
 * The names part is empty (length 0) when no endpoint has a name, else the
 * ENT_NAMES strings of enum ent_name_field, each a varint length + bytes:
 * the client's, then the server's (lib/names resolves them at ingest).
 * A section is a sequence of values, each: u8 tag (ENT_T_*), then for
 * values inside an object a key (u8 length + bytes), then the payload:
 * STR varint length + bytes; U64 varint; I64 zigzag varint; BOOL/NULL
 * nothing; OBJ/ARR the nested values up to an END tag.
 */
#ifndef SV_ENTRY_H
#define SV_ENTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "base/buf.h"

/* What an entry's protocol is. Names and JSON "protocol" objects: ent_proto_info(). */
enum ent_proto {
    ENT_TCP = 0,        /* L4 summary of an undissected TCP stream */
    ENT_UDP,            /* L4 summary of an undissected UDP stream */
    ENT_HTTP1,          /* HTTP/1.0 and 1.1 */
    ENT_HTTP2,          /* HTTP/2 (not gRPC) */
    ENT_GRPC,           /* gRPC over HTTP/2 */
    ENT_DNS,
    ENT_TLS,
    ENT_REDIS,
    ENT_KAFKA,
    ENT_AMQP,
    ENT_PROTO_COUNT
};

struct ent_proto_info {
    const char *key;        /* short unique name: "tcp" "udp" "http" "http2" "grpc" "dns" ... */
    const char *name;       /* Kubeshark's protocol.name: "http" for HTTP/1, HTTP/2 and gRPC */
    const char *version;    /* protocol.version ("1.1", "2.0", ...; "" when none) */
    const char *abbr;       /* protocol.abbr ("HTTP", "HTTP/2", "gRPC", "DNS", ...) */
    const char *long_name;  /* protocol.longName */
};
const struct ent_proto_info *ent_proto_info(enum ent_proto p);

/* Anomalies of an entry (bits). */
enum ent_anomaly {
    ENT_A_MALFORMED = 1 << 0,   /* bytes that break the protocol's grammar */
    ENT_A_TRUNCATED = 1 << 1,   /* a message, string or section was cut (capture end, caps) */
    ENT_A_GAP = 1 << 2,         /* bytes of the stream are missing inside the entry */
    ENT_A_CAP = 1 << 3,         /* a buffering cap was hit (reassembly or dissector) */
    ENT_A_NO_RESPONSE = 1 << 4, /* the stream ended before a response came */
    ENT_A_NO_REQUEST = 1 << 5,  /* a response whose request was not captured */
    ENT_A_CONFLICT = 1 << 6,    /* retransmitted bytes differed from the first copy */
};
/* Name of one anomaly bit ("malformed", ...), NULL for an unknown bit. */
const char *ent_anomaly_name(uint32_t bit);

enum ent_section_id { ENT_REQ = 0, ENT_RESP = 1 };

#define ENT_SECTION_MAX (64u * 1024)
#define ENT_STR_MAX     (16u * 1024)
#define ENT_DEPTH_MAX   16

/* Value tags of the binary sections. */
enum ent_tag {
    ENT_T_END = 0, ENT_T_OBJ = 1, ENT_T_ARR = 2, ENT_T_STR = 3, ENT_T_U64 = 4, ENT_T_I64 = 5,
    ENT_T_BOOL_F = 6, ENT_T_BOOL_T = 7, ENT_T_NULL = 8,
};

/*
 * What is known of an endpoint's identity (lib/names): each a string of at
 * most ENT_NAME_MAX bytes, "" when unknown. The record holds the client's
 * (ENT_NM_SRC + field) and then the server's (ENT_NM_DST + field).
 */
enum ent_name_field {
    ENT_NM_NAME = 0,    /* Kubeshark's resolved name: "catalogue.sock-shop" */
    ENT_NM_NS,          /* namespace */
    ENT_NM_POD,         /* pod name */
    ENT_NM_SVC,         /* service name */
    ENT_NM_DNS,         /* a DNS name seen answering with the IP */
    ENT_NM_FIELDS
};
enum { ENT_NM_SRC = 0, ENT_NM_DST = ENT_NM_FIELDS, ENT_NAMES = 2 * ENT_NM_FIELDS };
#define ENT_NAME_MAX 255u

/* The fixed part of an entry. Times are ns since the epoch, 0 when absent. */
struct ent_fixed {
    uint64_t stream_id;         /* store stream id (1-based, per node) */
    uint32_t index;             /* entry number within the stream, from 0 */
    uint8_t proto;              /* enum ent_proto */
    uint8_t l4;                 /* 6 TCP, 17 UDP */
    uint8_t ipver;              /* 4 or 6 */
    uint8_t flags;              /* ENT_F_* */
    uint8_t src_ip[16], dst_ip[16]; /* src = the client (sender of the request) */
    uint16_t src_port, dst_port;
    uint32_t anomalies;         /* ENT_A_* */
    uint64_t req_ns, req_end_ns;    /* first and last packet of the request */
    uint64_t resp_ns, resp_end_ns;  /* first and last packet of the response */
    uint64_t req_size, resp_size;   /* L7 bytes on the wire (see the dissector) */
    uint32_t req_pkt, resp_pkt;     /* packet numbers in the stream's PCAP (0-based) of the */
    uint32_t last_pkt;              /* request's first, the response's first, the entry's last */
};

enum ent_flags {
    ENT_F_REQ = 1 << 0,         /* the request was seen */
    ENT_F_RESP = 1 << 1,        /* the response was seen */
    ENT_F_REQ_BODY_CUT = 1 << 2,    /* the request's body was kept only in part */
    ENT_F_RESP_BODY_CUT = 1 << 3,   /* the response's body was kept only in part */
};

/* Bytes of struct ent_fixed in a record (fields packed in declaration order). */
#define ENT_FIXED_LEN 116u

struct ent {
    struct ent_fixed f;
    uint64_t seq;               /* creation order in its stream (set by dsx_entry) */
    struct buf sec[2];          /* request, response */
    struct buf body[2];         /* the first bytes of the request's and response's bodies */
    uint8_t cur;                /* section being written */
    uint8_t depth[2];           /* open containers written, per section */
    uint8_t ghost[2];           /* containers opened after writing stopped (not written) */
    bool stopped[2];            /* the section hit a cap: later values are dropped */
    bool in_arr[2][ENT_DEPTH_MAX + 1];  /* per depth: inside an array (values have no key) */
    bool oom;
};

/* A new, empty entry (f zeroed); NULL when out of memory. Free with ent_free. */
struct ent *ent_new(void);
void ent_free(struct ent *e);
/* Empties e for reuse (keeps its buffers). */
void ent_reset(struct ent *e);

/* Selects the section the next calls write to. */
void ent_section(struct ent *e, enum ent_section_id s);
/*
 * The writers. key is ignored (may be NULL) inside arrays. They are inline
 * so that the length of a literal key is known at compile time, and the
 * common case (room in the section, outside arrays) is written in place;
 * the _k functions take the key length explicitly and handle every case.
 */
void ent_str_k(struct ent *e, const char *key, size_t kl, const void *p, size_t n);
void ent_u64_k(struct ent *e, const char *key, size_t kl, uint64_t v);
void ent_i64_k(struct ent *e, const char *key, size_t kl, int64_t v);
void ent_tag_k(struct ent *e, const char *key, size_t kl, uint8_t tag);
void ent_open_k(struct ent *e, const char *key, size_t kl, uint8_t tag);
void ent_end_k(struct ent *e);     /* closes the innermost object or array */

static inline size_t ent_klen_(const char *key)
{
    return key ? strlen(key) : 0;
}

/* Room kept at the end of a section for the END tags that close it. */
#define ENT_CLOSE_RESERVE (ENT_DEPTH_MAX + 1u)

/* Writes v as a LEB128 varint at p; returns its length (at most 10). */
static inline size_t ent_varint_put_(uint8_t *p, uint64_t v)
{
    size_t n = 0;

    while (v >= 0x80) {
        p[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    p[n++] = (uint8_t)v;
    return n;
}

/*
 * The inline writers' fast path: where a value goes in the current section
 * when it is outside an array, writing has not stopped, and `need` bytes
 * (reckoned as the _k functions reckon them: tag, key, payload room) fit
 * both the section cap and the allocation. NULL: the _k function writes it
 * (and handles every other case); the bytes come out the same either way.
 */
static inline uint8_t *ent_fast_(struct ent *e, size_t kl, size_t need)
{
    uint8_t s = e->cur;
    const struct buf *b = &e->sec[s];

    if (kl > 255 || e->stopped[s] || e->in_arr[s][e->depth[s]] ||
        b->len + need + ENT_CLOSE_RESERVE > ENT_SECTION_MAX || b->len + need > b->cap)
        return NULL;
    return b->data + b->len;
}

/* Tag and key of a value at p (from ent_fast_); returns where its payload goes. */
static inline uint8_t *ent_fast_head_(uint8_t *p, uint8_t tag, const char *key, size_t kl)
{
    *p++ = tag;
    *p++ = (uint8_t)kl;
    if (kl)
        memcpy(p, key, kl);
    return p + kl;
}

/* ent_str_k with the fast path. */
static inline void ent_str_kf_(struct ent *e, const char *key, size_t kl, const void *p, size_t n)
{
    uint8_t *d = n <= ENT_STR_MAX ? ent_fast_(e, kl, 12 + kl + n) : NULL;
    struct buf *b = &e->sec[e->cur];

    if (!d) {
        ent_str_k(e, key, kl, p, n);
        return;
    }
    d = ent_fast_head_(d, ENT_T_STR, key, kl);
    d += ent_varint_put_(d, n);
    if (n)
        memcpy(d, p, n);
    b->len = (size_t)(d + n - b->data);
}

static inline void ent_str(struct ent *e, const char *key, const void *p, size_t n)
{
    ent_str_kf_(e, key, ent_klen_(key), p, n);
}

static inline void ent_cstr(struct ent *e, const char *key, const char *s)
{
    ent_str(e, key, s, strlen(s));
}

/*
 * ent_str with a key of kl bytes from the wire: the key written is what
 * ent_str would write for it as a C string (cut to 255 bytes, and before
 * its first NUL byte), without the copy that makes one.
 */
static inline void ent_str_bk(struct ent *e, const void *key, size_t kl, const void *p, size_t n)
{
    const void *nul;

    if (kl > 255)
        kl = 255;
    nul = memchr(key, 0, kl);
    if (nul)
        kl = (size_t)((const char *)nul - (const char *)key);
    ent_str_kf_(e, key, kl, p, n);
}

static inline void ent_u64(struct ent *e, const char *key, uint64_t v)
{
    size_t kl = ent_klen_(key);
    uint8_t *d = ent_fast_(e, kl, 12 + kl);
    struct buf *b = &e->sec[e->cur];

    if (!d) {
        ent_u64_k(e, key, kl, v);
        return;
    }
    d = ent_fast_head_(d, ENT_T_U64, key, kl);
    d += ent_varint_put_(d, v);
    b->len = (size_t)(d - b->data);
}

static inline void ent_i64(struct ent *e, const char *key, int64_t v)
{
    ent_i64_k(e, key, ent_klen_(key), v);
}

static inline void ent_bool(struct ent *e, const char *key, bool v)
{
    size_t kl = ent_klen_(key);
    uint8_t *d = ent_fast_(e, kl, 2 + kl);
    uint8_t tag = v ? ENT_T_BOOL_T : ENT_T_BOOL_F;

    if (!d) {
        ent_tag_k(e, key, kl, tag);
        return;
    }
    (void)ent_fast_head_(d, tag, key, kl);
    e->sec[e->cur].len += 2 + kl;
}

static inline void ent_null(struct ent *e, const char *key)
{
    ent_tag_k(e, key, ent_klen_(key), ENT_T_NULL);
}

/*
 * Opens an object or an array (tag): ent_open_k's common case in place,
 * inside an array too (where the key is not written).
 */
static inline void ent_open_(struct ent *e, const char *key, uint8_t tag)
{
    uint8_t s = e->cur;
    struct buf *b = &e->sec[s];
    bool in_arr = e->in_arr[s][e->depth[s]];
    size_t kl = in_arr ? 0 : ent_klen_(key);
    size_t need = in_arr ? 1 : 2 + kl;
    uint8_t *d;

    if (kl > 255 || e->stopped[s] || e->depth[s] >= ENT_DEPTH_MAX ||
        b->len + need + ENT_CLOSE_RESERVE > ENT_SECTION_MAX || b->len + need > b->cap) {
        ent_open_k(e, key, ent_klen_(key), tag);
        return;
    }
    d = b->data + b->len;
    if (in_arr)
        *d = tag;
    else
        (void)ent_fast_head_(d, tag, key, kl);
    b->len += need;
    e->depth[s]++;
    e->in_arr[s][e->depth[s]] = tag == ENT_T_ARR;
}

static inline void ent_obj_begin(struct ent *e, const char *key)
{
    ent_open_(e, key, ENT_T_OBJ);
}

static inline void ent_arr_begin(struct ent *e, const char *key)
{
    ent_open_(e, key, ENT_T_ARR);
}

/* Closes the innermost open object or array. */
static inline void ent_end_fast_(struct ent *e)
{
    uint8_t s = e->cur;
    struct buf *b = &e->sec[s];

    if (e->ghost[s] || e->depth[s] == 0 || b->len >= b->cap) {
        ent_end_k(e);
        return;
    }
    e->depth[s]--;
    b->data[b->len++] = ENT_T_END;
}

static inline void ent_obj_end(struct ent *e)
{
    ent_end_fast_(e);
}

static inline void ent_arr_end(struct ent *e)
{
    ent_end_fast_(e);
}

/*
 * Appends body bytes of section s (decoded: no chunk framing). The caller
 * (lib/dissect's dsx_body) applies the cap and sets ENT_F_*_BODY_CUT.
 */
void ent_body(struct ent *e, enum ent_section_id s, const void *p, size_t n);

/* Sets anomaly bits. */
static inline void ent_anomaly(struct ent *e, uint32_t a)
{
    e->f.anomalies |= a;
}

/*
 * Appends e as one record to out. Closes open containers first. Returns 0,
 * or SV_ENOMEM / SV_ELIMIT from the buffer.
 */
int ent_serialize(struct ent *e, struct buf *out) __attribute__((warn_unused_result));

/* Writes f packed (ENT_FIXED_LEN bytes, the record's fixed part) at p. */
void ent_fixed_put(uint8_t *p, const struct ent_fixed *f);

/* ---------------------------------------------------------------- reading */

/* A record as read back: the fixed part and views of the two sections. */
struct ent_view {
    struct ent_fixed f;
    const uint8_t *sec[2];
    size_t seclen[2];
    const uint8_t *body[2];
    size_t bodylen[2];
    const char *nm[ENT_NAMES];  /* the names (not NUL-terminated; "" when none) */
    uint8_t nmlen[ENT_NAMES];
};

/*
 * Appends the names part of a record (its u32 length included) for the
 * names nm[]/nmlen[] to out: empty when every name is. Returns 0 or the
 * buffer's SV_ENOMEM / SV_ELIMIT.
 */
int ent_names_put(struct buf *out, const char *const *nm, const uint8_t *nmlen)
    __attribute__((warn_unused_result));

/*
 * Parses the record at p (n bytes available). Returns the record's length,
 * 0 when n is too short for the whole record, or -1 when it is malformed
 * (lengths that do not add up). v's sections point into p.
 */
long ent_parse(const uint8_t *p, size_t n, struct ent_view *v);

/* The length of the record at p: 0 when n is too short for it, -1 when it is impossible. */
long ent_record_len(const uint8_t *p, size_t n);

/* A value of a section, as ent_get found it. */
struct ent_value {
    uint8_t tag;                /* enum ent_tag */
    const uint8_t *str;         /* ENT_T_STR: the bytes (in the record), not NUL-terminated */
    size_t len;                 /* ENT_T_STR: their length */
    uint64_t u;                 /* ENT_T_U64 */
    int64_t i;                  /* ENT_T_I64 */
};

/*
 * Finds the value at path in section s of v without building its JSON:
 * path is keys joined by '.' ("status", "grpc.status"), each looked up in
 * the object the previous one named; the first value with a key counts (as
 * in lib/json for everything but strings, which JSON joins). Returns true
 * and fills *out when found (for an object or array only its tag); false
 * when a key is absent, a step is not an object, or the bytes on the way
 * are malformed. Reads only inside the section.
 */
bool ent_get(const struct ent_view *v, enum ent_section_id s, const char *path,
             struct ent_value *out);

/* Reads a LEB128 varint; false past end or over 10 bytes. */
bool ent_varint(const uint8_t **p, const uint8_t *end, uint64_t *v);
/*
 * Skips the payload of a section value whose tag was read (objects and
 * arrays to their end, at most ENT_DEPTH_MAX deep); false on bad bytes.
 */
bool ent_skip_value(const uint8_t **p, const uint8_t *end, uint8_t tag, int depth);

#endif
