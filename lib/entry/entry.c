/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: the entry builder and the binary entry record (see entry.h).
 */
#include "config.h"

#include "entry/entry.h"

#include <stdlib.h>
#include <string.h>

#include "streamvault.h"

static const struct ent_proto_info protos[ENT_PROTO_COUNT] = {
    [ENT_TCP] = { "tcp", "tcp", "", "TCP", "Transmission Control Protocol" },
    [ENT_UDP] = { "udp", "udp", "", "UDP", "User Datagram Protocol" },
    [ENT_HTTP1] = { "http", "http", "1.1", "HTTP", "Hypertext Transfer Protocol -- HTTP/1.1" },
    [ENT_HTTP2] = { "http2", "http", "2.0", "HTTP/2",
                    "Hypertext Transfer Protocol Version 2 (HTTP/2)" },
    [ENT_GRPC] = { "grpc", "http", "2.0", "gRPC",
                   "Hypertext Transfer Protocol Version 2 (HTTP/2) [ gRPC over HTTP/2 ]" },
    [ENT_DNS] = { "dns", "dns", "", "DNS", "Domain Name System" },
    [ENT_TLS] = { "tls", "tls", "", "TLS", "Transport Layer Security" },
    [ENT_REDIS] = { "redis", "redis", "3.x", "REDIS", "Redis Serialization Protocol" },
    [ENT_KAFKA] = { "kafka", "kafka", "", "KAFKA", "Apache Kafka Protocol" },
    [ENT_AMQP] = { "amqp", "amqp", "0-9-1", "AMQP", "Advanced Message Queuing Protocol 0-9-1" },
};

const struct ent_proto_info *ent_proto_info(enum ent_proto p)
{
    return (unsigned)p < ENT_PROTO_COUNT ? &protos[p] : &protos[ENT_TCP];
}

const char *ent_anomaly_name(uint32_t bit)
{
    switch (bit) {
    case ENT_A_MALFORMED: return "malformed";
    case ENT_A_TRUNCATED: return "truncated";
    case ENT_A_GAP: return "gap";
    case ENT_A_CAP: return "cap";
    case ENT_A_NO_RESPONSE: return "no_response";
    case ENT_A_NO_REQUEST: return "no_request";
    case ENT_A_CONFLICT: return "conflict";
    default: return NULL;
    }
}

struct ent *ent_new(void)
{
    struct ent *e = calloc(1, sizeof *e);

    if (!e)
        return NULL;
    buf_init(&e->sec[0], ENT_SECTION_MAX);
    buf_init(&e->sec[1], ENT_SECTION_MAX);
    buf_init(&e->body[0], SIZE_MAX);
    buf_init(&e->body[1], SIZE_MAX);
    return e;
}

void ent_free(struct ent *e)
{
    if (!e)
        return;
    buf_release(&e->sec[0]);
    buf_release(&e->sec[1]);
    buf_release(&e->body[0]);
    buf_release(&e->body[1]);
    free(e);
}

void ent_reset(struct ent *e)
{
    struct buf s0 = e->sec[0], s1 = e->sec[1], b0 = e->body[0], b1 = e->body[1];

    memset(e, 0, sizeof *e);
    e->sec[0] = s0;
    e->sec[1] = s1;
    e->body[0] = b0;
    e->body[1] = b1;
    buf_reset(&e->sec[0]);
    buf_reset(&e->sec[1]);
    buf_reset(&e->body[0]);
    buf_reset(&e->body[1]);
}

void ent_body(struct ent *e, enum ent_section_id s, const void *p, size_t n)
{
    if (n && buf_append(&e->body[s], p, n) < 0)
        e->oom = true;
}

void ent_section(struct ent *e, enum ent_section_id s)
{
    e->cur = s == ENT_RESP ? 1 : 0;
}

/*
 * Starts a value of tag t with its key (kl bytes; ignored inside arrays);
 * reserves `extra` payload bytes. Returns where the payload goes, or NULL
 * when the value is dropped.
 */
static inline uint8_t *put_head(struct ent *e, uint8_t t, const char *key, size_t kl,
                                size_t extra)
{
    uint8_t s = e->cur, d = e->depth[s];
    struct buf *b = &e->sec[s];
    bool in_arr = e->in_arr[s][d];
    size_t need;
    uint8_t *p;

    if (e->stopped[s])
        return NULL;
    if (in_arr)
        kl = 0;
    else if (kl > 255)
        kl = 255;
    need = 1 + (in_arr ? 0 : 1 + kl) + extra;
    if (b->len + need + ENT_CLOSE_RESERVE > ENT_SECTION_MAX ||
        ((t == ENT_T_OBJ || t == ENT_T_ARR) && d >= ENT_DEPTH_MAX)) {
        e->stopped[s] = true;
        e->f.anomalies |= ENT_A_TRUNCATED;
        return NULL;
    }
    p = b->len + need <= b->cap ? b->data + b->len : buf_reserve(b, need);
    if (!p) {
        e->oom = true;
        e->stopped[s] = true;
        return NULL;
    }
    *p++ = t;
    if (!in_arr) {
        *p++ = (uint8_t)kl;
        memcpy(p, key, kl);
        p += kl;
    }
    b->len += need - extra;
    return p;
}

static void put_varint_value(struct ent *e, uint8_t t, const char *key, size_t kl, uint64_t v)
{
    uint8_t *p = put_head(e, t, key, kl, 10);

    if (p)
        e->sec[e->cur].len += ent_varint_put_(p, v);
}

void ent_str_k(struct ent *e, const char *key, size_t kl, const void *s, size_t n)
{
    uint8_t *p;

    if (n > ENT_STR_MAX) {
        n = ENT_STR_MAX;
        e->f.anomalies |= ENT_A_TRUNCATED;
    }
    p = put_head(e, ENT_T_STR, key, kl, 10 + n);
    if (!p)
        return;
    p += ent_varint_put_(p, n);
    if (n)
        memcpy(p, s, n);
    p += n;
    e->sec[e->cur].len = (size_t)(p - e->sec[e->cur].data);
}

void ent_u64_k(struct ent *e, const char *key, size_t kl, uint64_t v)
{
    put_varint_value(e, ENT_T_U64, key, kl, v);
}

void ent_i64_k(struct ent *e, const char *key, size_t kl, int64_t v)
{
    uint64_t z = v < 0 ? ~((uint64_t)v << 1) : (uint64_t)v << 1;

    put_varint_value(e, ENT_T_I64, key, kl, z);
}

void ent_tag_k(struct ent *e, const char *key, size_t kl, uint8_t tag)
{
    (void)put_head(e, tag, key, kl, 0);
}

void ent_open_k(struct ent *e, const char *key, size_t kl, uint8_t tag)
{
    uint8_t s = e->cur;

    if (!put_head(e, tag, key, kl, 0)) {
        /* count it, so that its end is not taken for a written container's */
        if (e->ghost[s] < 255)
            e->ghost[s]++;
        return;
    }
    e->depth[s]++;
    e->in_arr[s][e->depth[s]] = tag == ENT_T_ARR;
}

static void close_container(struct ent *e)
{
    /* ent_end_fast_ in entry.h does the same when there is room */
    uint8_t s = e->cur;

    if (e->ghost[s]) {
        e->ghost[s]--;
        return;
    }
    if (e->depth[s] == 0)
        return;
    e->depth[s]--;
    /* ENT_CLOSE_RESERVE guarantees room below the section cap */
    if (buf_append(&e->sec[s], "\0", 1) < 0)
        e->oom = true;
}

void ent_end_k(struct ent *e)
{
    close_container(e);
}

/* Little-endian stores of 2, 4 and 8 bytes; return the byte after. */
static uint8_t *le16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    return p + 2;
}

static uint8_t *le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
    return p + 4;
}

static uint8_t *le64(uint8_t *p, uint64_t v)
{
    return le32(le32(p, (uint32_t)v), (uint32_t)(v >> 32));
}

static uint64_t rd(const uint8_t **p, int n)
{
    uint64_t v = 0;

    for (int i = 0; i < n; i++)
        v |= (uint64_t)(*p)[i] << (8 * i);
    *p += n;
    return v;
}

void ent_fixed_put(uint8_t *p, const struct ent_fixed *f)
{
    p = le64(p, f->stream_id);
    p = le32(p, f->index);
    *p++ = f->proto;
    *p++ = f->l4;
    *p++ = f->ipver;
    *p++ = f->flags;
    memcpy(p, f->src_ip, 16);
    p += 16;
    memcpy(p, f->dst_ip, 16);
    p += 16;
    p = le16(p, f->src_port);
    p = le16(p, f->dst_port);
    p = le32(p, f->anomalies);
    p = le64(p, f->req_ns);
    p = le64(p, f->req_end_ns);
    p = le64(p, f->resp_ns);
    p = le64(p, f->resp_end_ns);
    p = le64(p, f->req_size);
    p = le64(p, f->resp_size);
    p = le32(p, f->req_pkt);
    p = le32(p, f->resp_pkt);
    (void)le32(p, f->last_pkt);
}

int ent_serialize(struct ent *e, struct buf *out)
{
    const struct ent_fixed *f = &e->f;
    size_t total;
    uint8_t *p, *start;

    for (int s = 0; s < 2; s++) {
        uint8_t keep = e->cur;

        e->cur = (uint8_t)s;
        /* close everything still open */
        e->ghost[s] = 0;
        while (e->depth[s] > 0)
            close_container(e);
        e->cur = keep;
    }
    if (e->oom)
        return SV_ENOMEM;
    total = 4 + ENT_FIXED_LEN + 4 + e->sec[0].len + 4 + e->sec[1].len + 4 + e->body[0].len + 4 +
            e->body[1].len + 4;
    start = p = buf_reserve(out, total);
    if (!p)
        return SV_ENOMEM;
    p = le32(p, (uint32_t)total);
    ent_fixed_put(p, f);
    p += ENT_FIXED_LEN;
    /* the sections, then the bodies: each its length and its bytes */
    for (int k = 0; k < 4; k++) {
        const struct buf *b = k < 2 ? &e->sec[k] : &e->body[k - 2];

        p = le32(p, (uint32_t)b->len);
        if (b->len)
            memcpy(p, b->data, b->len);
        p += b->len;
    }
    p = le32(p, 0);     /* no names: lib/names resolves them later */
    out->len += (size_t)(p - start);
    return 0;
}

int ent_names_put(struct buf *out, const char *const *nm, const uint8_t *nmlen)
{
    size_t n = 0;
    uint8_t *p, *start;

    for (int i = 0; i < ENT_NAMES; i++)
        n += nmlen[i];
    if (n == 0) {
        p = buf_reserve(out, 4);
        if (!p)
            return SV_ENOMEM;
        (void)le32(p, 0);
        out->len += 4;
        return 0;
    }
    n += 4 + 2 * ENT_NAMES;     /* lengths up to 255: two varint bytes at most */
    start = p = buf_reserve(out, n);
    if (!p)
        return SV_ENOMEM;
    p += 4;
    for (int i = 0; i < ENT_NAMES; i++) {
        p += ent_varint_put_(p, nmlen[i]);
        if (nmlen[i])
            memcpy(p, nm[i], nmlen[i]);
        p += nmlen[i];
    }
    (void)le32(start, (uint32_t)(p - start - 4));
    out->len += (size_t)(p - start);
    return 0;
}

long ent_record_len(const uint8_t *p, size_t n)
{
    const uint8_t *q = p;
    uint64_t total;

    if (n < 4)
        return 0;
    total = rd(&q, 4);
    if (total < 4 + ENT_FIXED_LEN + 20 || total > (uint64_t)1 << 30)
        return -1;
    return n < total ? 0 : (long)total;
}

/* The names part at q (its length first), which must end the record at end. */
static bool parse_names(const uint8_t *q, const uint8_t *end, struct ent_view *v)
{
    uint64_t l;

    if ((size_t)(end - q) < 4)
        return false;
    l = rd(&q, 4);
    if (l != (uint64_t)(end - q))
        return false;
    for (int i = 0; i < ENT_NAMES; i++) {
        uint64_t n = 0;

        if (l && (!ent_varint(&q, end, &n) || n > ENT_NAME_MAX || n > (uint64_t)(end - q)))
            return false;
        v->nm[i] = n ? (const char *)q : "";
        v->nmlen[i] = (uint8_t)n;
        q += n;
    }
    return q == end;
}

long ent_parse(const uint8_t *p, size_t n, struct ent_view *v)
{
    const uint8_t *q = p + 4, *end;
    struct ent_fixed *f = &v->f;
    long total = ent_record_len(p, n);

    if (total <= 0)
        return total;
    end = p + total;
    f->stream_id = rd(&q, 8);
    f->index = (uint32_t)rd(&q, 4);
    f->proto = *q++;
    f->l4 = *q++;
    f->ipver = *q++;
    f->flags = *q++;
    memcpy(f->src_ip, q, 16);
    q += 16;
    memcpy(f->dst_ip, q, 16);
    q += 16;
    f->src_port = (uint16_t)rd(&q, 2);
    f->dst_port = (uint16_t)rd(&q, 2);
    f->anomalies = (uint32_t)rd(&q, 4);
    f->req_ns = rd(&q, 8);
    f->req_end_ns = rd(&q, 8);
    f->resp_ns = rd(&q, 8);
    f->resp_end_ns = rd(&q, 8);
    f->req_size = rd(&q, 8);
    f->resp_size = rd(&q, 8);
    f->req_pkt = (uint32_t)rd(&q, 4);
    f->resp_pkt = (uint32_t)rd(&q, 4);
    f->last_pkt = (uint32_t)rd(&q, 4);
    /* the sections, then the bodies */
    for (int k = 0; k < 4; k++) {
        const uint8_t **at = k < 2 ? &v->sec[k] : &v->body[k - 2];
        size_t *len = k < 2 ? &v->seclen[k] : &v->bodylen[k - 2];
        uint64_t l;

        if ((size_t)(end - q) < 4)
            return -1;
        l = rd(&q, 4);
        if (l > (uint64_t)(end - q))
            return -1;
        *at = q;
        *len = (size_t)l;
        q += l;
    }
    return parse_names(q, end, v) ? (long)total : -1;
}

bool ent_varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
    uint64_t r = 0;

    for (int i = 0; i < 10; i++) {
        if (*p >= end)
            return false;
        r |= (uint64_t)(**p & 0x7f) << (7 * i);
        if (!(*(*p)++ & 0x80)) {
            *v = r;
            return true;
        }
    }
    return false;
}

bool ent_skip_value(const uint8_t **p, const uint8_t *end, uint8_t tag, int depth)
{
    uint64_t n;

    switch (tag) {
    case ENT_T_STR:
        if (!ent_varint(p, end, &n) || n > (uint64_t)(end - *p))
            return false;
        *p += n;
        return true;
    case ENT_T_U64:
    case ENT_T_I64:
        return ent_varint(p, end, &n);
    case ENT_T_BOOL_F:
    case ENT_T_BOOL_T:
    case ENT_T_NULL:
        return true;
    case ENT_T_OBJ:
    case ENT_T_ARR:
        if (depth >= ENT_DEPTH_MAX)
            return false;
        while (*p < end) {
            uint8_t t = *(*p)++;

            if (t == ENT_T_END)
                return true;
            if (tag == ENT_T_OBJ) {
                if (*p >= end || (size_t)(end - *p) < 1u + **p)
                    return false;
                *p += 1u + **p;
            }
            if (!ent_skip_value(p, end, t, depth + 1))
                return false;
        }
        return false;
    default:
        return false;
    }
}

bool ent_get(const struct ent_view *v, enum ent_section_id s, const char *path,
             struct ent_value *out)
{
    const uint8_t *p = v->sec[s], *end = p + v->seclen[s];
    int depth = 0;

    memset(out, 0, sizeof *out);
    for (;;) {
        const char *dot = strchr(path, '.');
        size_t kl = dot ? (size_t)(dot - path) : strlen(path);
        bool found = false;

        while (p < end && *p != ENT_T_END) {
            uint8_t tag = *p++;
            size_t l;

            if (p >= end || (size_t)(end - p) < 1u + *p)
                return false;
            l = *p;
            if (l == kl && memcmp(p + 1, path, kl) == 0) {
                p += 1 + l;
                found = true;
                out->tag = tag;
                break;
            }
            p += 1 + l;
            if (!ent_skip_value(&p, end, tag, depth))
                return false;
        }
        if (!found)
            return false;
        if (!dot)
            break;
        if (out->tag != ENT_T_OBJ || depth + 1 >= ENT_DEPTH_MAX)
            return false;
        depth++;
        path = dot + 1;
    }
    switch (out->tag) {
    case ENT_T_STR: {
        uint64_t n;

        if (!ent_varint(&p, end, &n) || n > (uint64_t)(end - p))
            return false;
        out->str = p;
        out->len = (size_t)n;
        return true;
    }
    case ENT_T_U64:
        return ent_varint(&p, end, &out->u);
    case ENT_T_I64: {
        uint64_t z;

        if (!ent_varint(&p, end, &z))
            return false;
        out->i = (z & 1) ? (int64_t)~(z >> 1) : (int64_t)(z >> 1);
        return true;
    }
    case ENT_T_BOOL_F:
    case ENT_T_BOOL_T:
    case ENT_T_NULL:
    case ENT_T_OBJ:
    case ENT_T_ARR:
        return true;
    default:
        return false;
    }
}
