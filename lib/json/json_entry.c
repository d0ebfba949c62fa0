/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: an entry record as Kubeshark-shaped JSON (DESIGN.md §5).
 *
 * The fixed part becomes id, index, stream, node, protocol, src, dst
 * (with the names lib/names resolved), namespace, timestamp, startTime,
 * elapsedTime, requestSize, responseSize; the two binary sections become
 * "request" and "response" as written by the dissector. Additions of ours
 * come after Kubeshark's keys: "anomalies" (names), "times" (ns of the
 * request's and response's first and last packets) and "packets" (packet
 * numbers in the stream's PCAP).
 *
 * A key repeated in one object (an HTTP header sent twice) is merged: string
 * values are joined with ", " (RFC 9110 §5.3); for other values the first
 * wins. In a header map ("headers", "trailers") names differ only in case
 * are one name (RFC 9110 §5.1): the first spelling stays.
 */
#include "config.h"

#include "json/json.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/addr.h"
#include "base/timefmt.h"
#include "base/xalloc.h"
#include "entry/entry.h"

/* Whether the object at key k is a header map, whose names have no case. */
static bool header_map(const char *k)
{
    return strcmp(k, "headers") == 0 || strcmp(k, "trailers") == 0;
}

/*
 * A header map being read: a name of another case than one already there is
 * found by a walk while the map is small, and past HMAP_WALK names through
 * an index of the names lower-cased (ASCII, as strcasecmp) to their first
 * spelling, built then: a walk per name made a block of n names cost n^2
 * comparisons (16,000 names: 0.3 s for one entry).
 */
#define HMAP_WALK 16u

struct hmap {
    struct jv *lower;           /* NULL until the map has HMAP_WALK names */
    size_t n;                   /* names in the map */
};

/* k lower-cased (ASCII, as strcasecmp) into lk; false when it does not fit. */
static bool lower_key(const char *k, char lk[256])
{
    size_t n = strlen(k);

    if (n >= 256)
        return false;
    for (size_t i = 0; i <= n; i++)
        lk[i] = k[i] >= 'A' && k[i] <= 'Z' ? (char)(k[i] - 'A' + 'a') : k[i];
    return true;
}

static void hmap_add(struct hmap *hm, const char *k)
{
    char lk[256];

    if (lower_key(k, lk) && !jv_get(hm->lower, lk))
        jv_set(hm->lower, lk, jv_str(k));
}

/* The member of obj whose name is k in another case (its name in *k), or NULL. */
static struct jv *hmap_find(struct hmap *hm, const struct jv *obj, const char **k)
{
    char lk[256];
    const char *name;
    struct jv *x, *first;
    void *it = NULL;

    if (!hm->lower && hm->n >= HMAP_WALK) {
        hm->lower = jv_obj();
        while (jv_obj_next(obj, &it, &name, &x))
            hmap_add(hm, name);
    }
    if (!hm->lower) {
        while (jv_obj_next(obj, &it, &name, &x)) {
            if (strcasecmp(name, *k) == 0) {
                *k = name;
                return x;
            }
        }
        return NULL;
    }
    if (!lower_key(*k, lk))
        return NULL;
    first = jv_get(hm->lower, lk);
    if (!first)
        return NULL;
    *k = jv_as_str(first);
    return jv_get(obj, *k);
}

/* obj[k] = v, or v joined to the string already there; hm: obj is a header map. */
static void set_merge(struct jv *obj, const char *k, struct jv *v, struct hmap *hm)
{
    struct jv *old = jv_get(obj, k);
    const char *a, *b;
    char *j, first[256];
    size_t al, bl;

    if (!old && hm) {
        old = hmap_find(hm, obj, &k);
        if (old && strlen(k) < sizeof first) {
            memcpy(first, k, strlen(k) + 1);    /* the first spelling (jv_set may free k) */
            k = first;
        }
    }
    if (!old) {
        jv_set(obj, k, v);
        if (hm && ++hm->n > HMAP_WALK)
            hmap_add(hm, k);
        return;
    }
    a = jv_as_str(old);
    b = jv_as_str(v);
    if (!a || !b) {
        jv_free(v);
        return;
    }
    al = strlen(a);
    bl = strlen(b);
    j = malloc(al + 2 + bl + 1);
    if (!j) {
        jv_free(v);
        return;
    }
    memcpy(j, a, al);
    memcpy(j + al, ", ", 2);
    memcpy(j + al + 2, b, bl + 1);
    jv_free(v);
    jv_set(obj, k, jv_strn(j, al + 2 + bl));
    free(j);
}

/*
 * Reads values up to an END tag (or the section's end at depth 0) into
 * parent (an object when !arr, else an array). Returns false on bad bytes.
 */
static bool read_members(const uint8_t **p, const uint8_t *end, struct jv *parent, bool arr,
                         struct hmap *hm, int depth);

static bool read_values(const uint8_t **p, const uint8_t *end, struct jv *parent, bool arr,
                        bool nocase, int depth)
{
    struct hmap hm = { NULL, 0 };
    bool ok = read_members(p, end, parent, arr, nocase && !arr ? &hm : NULL, depth);

    jv_free(hm.lower);
    return ok;
}

/* read_values, with hm the header map being read (set_merge) or NULL. */
static bool read_members(const uint8_t **p, const uint8_t *end, struct jv *parent, bool arr,
                         struct hmap *hm, int depth)
{
    while (*p < end) {
        uint8_t tag = *(*p)++;
        char key[256];
        struct jv *v;
        uint64_t u;

        if (tag == ENT_T_END)
            return depth > 0;
        key[0] = 0;
        if (!arr) {
            size_t kl;

            if (*p >= end)
                return false;
            kl = *(*p)++;
            if ((size_t)(end - *p) < kl)
                return false;
            memcpy(key, *p, kl);
            key[kl] = 0;
            *p += kl;
        }
        switch (tag) {
        case ENT_T_OBJ:
        case ENT_T_ARR:
            if (depth >= ENT_DEPTH_MAX)
                return false;
            v = tag == ENT_T_OBJ ? jv_obj() : jv_arr();
            if (!read_values(p, end, v, tag == ENT_T_ARR, !arr && header_map(key),
                             depth + 1)) {
                jv_free(v);
                return false;
            }
            break;
        case ENT_T_STR:
            if (!ent_varint(p, end, &u) || u > (uint64_t)(end - *p))
                return false;
            v = jv_strn((const char *)*p, (size_t)u);
            *p += u;
            break;
        case ENT_T_U64:
            if (!ent_varint(p, end, &u))
                return false;
            v = jv_u64(u);
            break;
        case ENT_T_I64:
            if (!ent_varint(p, end, &u))
                return false;
            v = jv_i64((u & 1) ? (int64_t)~(u >> 1) : (int64_t)(u >> 1));
            break;
        case ENT_T_BOOL_F:
        case ENT_T_BOOL_T:
            v = jv_bool(tag == ENT_T_BOOL_T);
            break;
        case ENT_T_NULL:
            v = jv_null();
            break;
        default:
            return false;
        }
        if (arr) {
            jv_push(parent, v);
        } else {
            /* a name not in UTF-8 as jv_set names it, so that a second one joins it */
            char *fixed = jv_key(key);

            set_merge(parent, fixed ? fixed : key, v, hm);
            free(fixed);
        }
    }
    return depth == 0;
}

static struct jv *name_obj(const char *name, size_t n, const char *ns, size_t nn)
{
    struct jv *o = jv_obj();

    jv_set(o, "name", jv_strn(name, n));
    jv_set(o, "namespace", jv_strn(ns, nn));
    return o;
}

/*
 * An endpoint: ip and port, then what lib/names knew of it at the entry's
 * time: name and namespace always ("" when unknown), pod and service
 * objects and the DNS name only when known.
 */
static struct jv *endpoint(const struct ent_view *v, int side)
{
    const struct ent_fixed *f = &v->f;
    const char *const *nm = v->nm + side;
    const uint8_t *nl = v->nmlen + side;
    struct jv *o = jv_obj();
    char a[ADDR_TEXT_LEN];

    addr_text(a, f->ipver, side == ENT_NM_SRC ? f->src_ip : f->dst_ip);
    jv_set(o, "ip", jv_str(a));
    jv_set(o, "port", jv_u64(side == ENT_NM_SRC ? f->src_port : f->dst_port));
    jv_set(o, "name", jv_strn(nm[ENT_NM_NAME], nl[ENT_NM_NAME]));
    jv_set(o, "namespace", jv_strn(nm[ENT_NM_NS], nl[ENT_NM_NS]));
    if (nl[ENT_NM_POD])
        jv_set(o, "pod", name_obj(nm[ENT_NM_POD], nl[ENT_NM_POD], nm[ENT_NM_NS], nl[ENT_NM_NS]));
    if (nl[ENT_NM_SVC])
        jv_set(o, "service",
               name_obj(nm[ENT_NM_SVC], nl[ENT_NM_SVC], nm[ENT_NM_NS], nl[ENT_NM_NS]));
    if (nl[ENT_NM_DNS])
        jv_set(o, "dns", jv_strn(nm[ENT_NM_DNS], nl[ENT_NM_DNS]));
    return o;
}

static struct jv *opt_ns(uint64_t ns)
{
    return ns ? jv_u64(ns) : jv_null();
}

struct jv *jv_entry(const struct ent_view *v, const char *node_name, const char *node_ip)
{
    const struct ent_fixed *f = &v->f;
    const struct ent_proto_info *pi = ent_proto_info((enum ent_proto)f->proto);
    struct jv *o = jv_obj(), *x;
    char buf[512], ts[TIMEFMT_LEN];
    uint64_t t0 = f->req_ns ? f->req_ns : f->resp_ns;

    snprintf(buf, sizeof buf, "%s/%" PRIu64 "-%" PRIu32, node_name, f->stream_id, f->index);
    jv_set(o, "id", jv_str(buf));
    jv_set(o, "index", jv_u64(f->index));
    snprintf(buf, sizeof buf, "%012" PRIu64 "%s", f->stream_id,
             f->l4 == 17 ? "_udp.pcap" : ".pcap");
    jv_set(o, "stream", jv_str(buf));
    x = jv_obj();
    jv_set(x, "name", jv_str(node_name));
    jv_set(x, "ip", jv_str(node_ip ? node_ip : ""));
    jv_set(o, "node", x);
    x = jv_obj();
    jv_set(x, "name", jv_str(pi->name));
    jv_set(x, "version", jv_str(pi->version));
    jv_set(x, "abbr", jv_str(pi->abbr));
    jv_set(x, "longName", jv_str(pi->long_name));
    jv_set(x, "layer4", jv_str(f->l4 == 17 ? "udp" : "tcp"));
    jv_set(o, "protocol", x);
    jv_set(o, "src", endpoint(v, ENT_NM_SRC));
    jv_set(o, "dst", endpoint(v, ENT_NM_DST));
    /* the entry's namespace: the server's, else the client's */
    x = v->nmlen[ENT_NM_DST + ENT_NM_NS] ? jv_strn(v->nm[ENT_NM_DST + ENT_NM_NS],
                                                  v->nmlen[ENT_NM_DST + ENT_NM_NS])
                                         : jv_strn(v->nm[ENT_NM_SRC + ENT_NM_NS],
                                                  v->nmlen[ENT_NM_SRC + ENT_NM_NS]);
    jv_set(o, "namespace", x);
    jv_set(o, "timestamp", jv_u64(t0 / 1000000));
    timefmt_rfc3339(ts, t0);
    jv_set(o, "startTime", jv_str(ts));
    jv_set(o, "elapsedTime",
           jv_u64(f->req_ns && f->resp_ns > f->req_ns ? (f->resp_ns - f->req_ns) / 1000000 : 0));
    for (int s = 0; s < 2; s++) {
        const uint8_t *p = v->sec[s];

        x = jv_obj();
        if (!read_values(&p, v->sec[s] + v->seclen[s], x, false, false, 0)) {
            jv_free(x);
            jv_free(o);
            return NULL;
        }
        jv_set(o, s ? "response" : "request", x);
    }
    jv_set(o, "requestSize", jv_u64(f->req_size));
    jv_set(o, "responseSize", jv_u64(f->resp_size));
    x = jv_arr();
    for (uint32_t bit = 1; bit; bit <<= 1) {
        const char *n = (f->anomalies & bit) ? ent_anomaly_name(bit) : NULL;

        if (n)
            jv_push(x, jv_str(n));
    }
    jv_set(o, "anomalies", x);
    x = jv_obj();
    jv_set(x, "request", opt_ns(f->flags & ENT_F_REQ ? f->req_ns : 0));
    jv_set(x, "requestEnd", opt_ns(f->flags & ENT_F_REQ ? f->req_end_ns : 0));
    jv_set(x, "response", opt_ns(f->flags & ENT_F_RESP ? f->resp_ns : 0));
    jv_set(x, "responseEnd", opt_ns(f->flags & ENT_F_RESP ? f->resp_end_ns : 0));
    jv_set(o, "times", x);
    x = jv_obj();
    jv_set(x, "request", f->flags & ENT_F_REQ ? jv_u64(f->req_pkt) : jv_null());
    jv_set(x, "response", f->flags & ENT_F_RESP ? jv_u64(f->resp_pkt) : jv_null());
    jv_set(x, "last", jv_u64(f->last_pkt));
    jv_set(o, "packets", x);
    return o;
}

char *jv_entry_text(const struct ent_view *v, const char *node_name, const char *node_ip)
{
    struct jv *o = jv_entry(v, node_name, node_ip);
    char *s;

    if (!o)
        return NULL;
    s = jv_dump(o, JV_COMPACT);
    jv_free(o);
    return s;
}

/* RFC 4648 base64 of n bytes (malloc'd, NUL-terminated). */
static char *base64(const uint8_t *p, size_t n)
{
    static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char *out = xmalloc((n + 2) / 3 * 4 + 1), *q = out;
    size_t i = 0;

    for (; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];

        *q++ = a[v >> 18];
        *q++ = a[(v >> 12) & 63];
        *q++ = a[(v >> 6) & 63];
        *q++ = a[v & 63];
    }
    if (i < n) {
        uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0);

        *q++ = a[v >> 18];
        *q++ = a[(v >> 12) & 63];
        *q++ = i + 1 < n ? a[(v >> 6) & 63] : '=';
        *q++ = '=';
    }
    *q = 0;
    return out;
}

void jv_entry_add_bodies(struct jv *e, const struct ent_view *v)
{
    static const char *const sec[2] = { "request", "response" };
    static const char *const holder[2] = { "postData", "content" };
    static const uint8_t cut[2] = { ENT_F_REQ_BODY_CUT, ENT_F_RESP_BODY_CUT };

    for (int s = 0; s < 2; s++) {
        struct jv *m = jv_get(e, sec[s]), *h;
        char *text;

        if (!m || (v->bodylen[s] == 0 && !(v->f.flags & cut[s])))
            continue;
        h = jv_get(m, holder[s]);
        if (!h) {
            h = jv_obj();
            jv_set(m, holder[s], h);
        }
        text = base64(v->body[s], v->bodylen[s]);
        jv_set(h, "text", jv_str(text));
        jv_set(h, "encoding", jv_str("base64"));
        if (v->f.flags & cut[s])
            jv_set(h, "truncated", jv_bool(true));
        free(text);
    }
}
