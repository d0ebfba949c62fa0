/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: the service dependency graph of selected entries, as DOT and JSON.
 *
 * One serial pass over the selection's rows: each entry's client and server
 * become identities (ids interned in a hash table), the (client, server,
 * protocol) triple an edge that sums requests, errors and bytes and keeps
 * the latency samples. Then nodes are sorted by id, edges by their nodes'
 * ranks and protocol, and each edge's samples give its nearest-rank p50 and
 * p99. The hash tables' seed only places keys; the output never depends on
 * it (nor on the order of the rows, which select.c fixes anyway).
 */
#include "config.h"

#include "graph.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/addr.h"
#include "base/hash.h"
#include "base/utf8.h"
#include "base/xalloc.h"
#include "cli.h"
#include "entry/entry.h"
#include "json/json.h"
#include "select.h"
#include "streamvault.h"

static const char *const group_names[] = {
    [GRAPH_BY_NAME] = "name",           [GRAPH_BY_POD] = "pod",   [GRAPH_BY_SERVICE] = "service",
    [GRAPH_BY_NAMESPACE] = "namespace", [GRAPH_BY_NODE] = "node", [GRAPH_BY_IP] = "ip",
};

static const char *const kind_names[] = {
    [GRAPH_K_NAME] = "name",           [GRAPH_K_POD] = "pod", [GRAPH_K_SERVICE] = "service",
    [GRAPH_K_NAMESPACE] = "namespace", [GRAPH_K_IP] = "ip",
};

/* Edge colours by protocol (enum ent_proto), and the diff's. */
static const char *const proto_colors[ENT_PROTO_COUNT] = {
    [ENT_TCP] = "#7f7f7f",   [ENT_UDP] = "#bcbd22",   [ENT_HTTP1] = "#1f77b4",
    [ENT_HTTP2] = "#17becf", [ENT_GRPC] = "#9467bd",  [ENT_DNS] = "#2ca02c",
    [ENT_TLS] = "#8c564b",   [ENT_REDIS] = "#d62728", [ENT_KAFKA] = "#ff7f0e",
    [ENT_AMQP] = "#e377c2",
};
#define COLOR_ADDED   "#2ca02c"
#define COLOR_REMOVED "#d62728"
#define COLOR_SAME    "#a0a0a0"

/* The widest edge: penwidth = min(PEN_MAX, 1 + floor(log2(requests)) / 2). */
#define PEN_MAX_HALVES 16

bool graph_group_parse(const char *s, enum graph_group *out)
{
    for (size_t i = 0; i < sizeof group_names / sizeof group_names[0]; i++) {
        if (strcmp(s, group_names[i]) == 0) {
            *out = (enum graph_group)i;
            return true;
        }
    }
    return false;
}

const char *graph_group_name(enum graph_group g)
{
    return group_names[g];
}

const char *graph_kind_name(enum graph_kind k)
{
    return kind_names[k];
}

/* ------------------------------------------------------------------ text */

/*
 * Length of the character at p (n bytes left) that may be kept as it is, or
 * 0: ASCII controls, what is not well-formed UTF-8, and what draws nothing
 * or reorders the label around it (utf8_invisible).
 */
static size_t utf8_keep(const uint8_t *p, size_t n)
{
    uint32_t c;
    size_t len;

    if (p[0] < 0x80)
        return p[0] >= 0x20 && p[0] != 0x7f ? 1 : 0;
    len = utf8_seq(p, n, &c);
    return len > 0 && !utf8_invisible(c) ? len : 0;
}

/* graph_text, with '/' also written as "\x2f" when slash (the separator of composite ids). */
static int text_part(struct buf *out, const void *data, size_t n, bool slash)
{
    const uint8_t *p = data;
    size_t i = 0;
    int rc = 0;

    while (i < n && rc == 0) {
        size_t k = utf8_keep(p + i, n - i);
        char hex[5];

        if (k > 0 && p[i] == '\\') {
            rc = buf_append(out, "\\\\", 2);
        } else if (k > 0 && !(slash && p[i] == '/')) {
            rc = buf_append(out, p + i, k);
        } else {
            snprintf(hex, sizeof hex, "\\x%02x", p[i]);
            rc = buf_append(out, hex, 4);
            k = 1;
        }
        i += k;
    }
    return rc;
}

int graph_text(struct buf *out, const void *p, size_t n)
{
    return text_part(out, p, n, false);
}

static int bputs(struct buf *b, const char *s)
{
    return buf_append(b, s, strlen(s));
}

static int bprintf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int bprintf(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    char small[256];
    int n;

    va_start(ap, fmt);
    n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0)
        return SV_EINVAL;
    if ((size_t)n < sizeof small)
        return buf_append(b, small, (size_t)n);
    {
        uint8_t *p = buf_reserve(b, (size_t)n + 1);

        if (!p)
            return SV_ENOMEM;
        va_start(ap, fmt);
        vsnprintf((char *)p, (size_t)n + 1, fmt, ap);
        va_end(ap);
        b->len += (size_t)n;
    }
    return 0;
}

/* A NUL-terminated copy of b's bytes. */
static char *buf_strdup(const struct buf *b)
{
    char *s = xmalloc(b->len + 1);

    if (b->len)
        memcpy(s, b->data, b->len);
    s[b->len] = 0;
    return s;
}

/* -------------------------------------------------------------- entries */

static bool str_is(const struct ent_value *x, const char *s)
{
    return x->tag == ENT_T_STR && x->len == strlen(s) && memcmp(x->str, s, x->len) == 0;
}

static bool status_5xx(const struct ent_view *v)
{
    struct ent_value x;

    return ent_get(v, ENT_RESP, "status", &x) && x.tag == ENT_T_U64 && x.u >= 500;
}

bool graph_entry_is_error(const struct ent_view *v)
{
    struct ent_value x;

    if (!(v->f.flags & ENT_F_RESP))
        return false;
    switch ((enum ent_proto)v->f.proto) {
    case ENT_HTTP1:
    case ENT_HTTP2:
        return status_5xx(v);
    case ENT_GRPC:
        if (ent_get(v, ENT_RESP, "grpc.status", &x) && x.tag == ENT_T_U64 && x.u != 0)
            return true;
        return status_5xx(v);
    case ENT_DNS:
        return ent_get(v, ENT_RESP, "rcode", &x) && x.tag == ENT_T_STR && !str_is(&x, "NOERROR");
    case ENT_REDIS:
        return ent_get(v, ENT_RESP, "type", &x) && str_is(&x, "error");
    case ENT_TCP:
    case ENT_UDP:
    case ENT_TLS:
    case ENT_KAFKA:
    case ENT_AMQP:
    case ENT_PROTO_COUNT:
        break;
    }
    return false;
}

/* -------------------------------------------------------------- building */

/* An open-addressing table of indexes; the caller compares keys. */
struct itab {
    size_t *slot;               /* index + 1; 0 = empty */
    size_t mask, used;
};

static void itab_init(struct itab *t)
{
    t->mask = 255;
    t->used = 0;
    t->slot = xcalloc(t->mask + 1, sizeof *t->slot);
}

static void itab_release(struct itab *t)
{
    free(t->slot);
}

struct edge_acc {
    size_t from, to;
    uint8_t proto;
    uint64_t requests, errors, bytes;
    uint64_t *lat;              /* latency samples, ns */
    size_t nlat, caplat;
};

struct builder {
    enum graph_group by;
    uint64_t seed;
    struct graph_node *nodes;
    size_t nnodes, capnodes;
    size_t *idlen;              /* nodes[i].id's length */
    struct itab nt;
    struct edge_acc *edges;
    size_t nedges, capedges;
    struct itab et;
    struct buf id, label, cnode;
};

static uint64_t edge_hash(size_t from, size_t to, uint8_t proto, uint64_t seed)
{
    return hash_mix(hash_mix((uint64_t)from ^ seed) ^ ((uint64_t)to << 8 | proto));
}

/* Doubles a table, placing every index again with hash(i). */
static void itab_grow(struct itab *t, const struct builder *b, bool edges)
{
    size_t cap = (t->mask + 1) * 2;
    size_t *slot = xcalloc(cap, sizeof *slot);

    for (size_t i = 0; i <= t->mask; i++) {
        size_t k = t->slot[i], h;

        if (!k)
            continue;
        if (edges) {
            const struct edge_acc *e = &b->edges[k - 1];

            h = (size_t)edge_hash(e->from, e->to, e->proto, b->seed);
        } else {
            h = (size_t)hash_bytes(b->nodes[k - 1].id, b->idlen[k - 1], b->seed);
        }
        while (slot[h & (cap - 1)])
            h++;
        slot[h & (cap - 1)] = k;
    }
    free(t->slot);
    t->slot = slot;
    t->mask = cap - 1;
}

/* The node whose id is b->id (its label b->label), added when new. */
static size_t intern_node(struct builder *b, enum graph_kind kind)
{
    size_t h = (size_t)hash_bytes(b->id.data, b->id.len, b->seed);
    struct graph_node *n;

    for (;; h++) {
        size_t k = b->nt.slot[h & b->nt.mask];

        if (!k)
            break;
        if (b->idlen[k - 1] == b->id.len && memcmp(b->nodes[k - 1].id, b->id.data, b->id.len) == 0)
            return k - 1;
    }
    xgrow((void **)&b->nodes, &b->capnodes, b->nnodes + 1, sizeof *b->nodes);
    b->idlen = xrealloc(b->idlen, b->capnodes * sizeof *b->idlen);
    n = &b->nodes[b->nnodes];
    n->id = buf_strdup(&b->id);
    n->label = buf_strdup(&b->label);
    n->cnode = b->by == GRAPH_BY_NODE ? buf_strdup(&b->cnode) : NULL;
    n->kind = kind;
    n->change = GRAPH_SAME;
    b->idlen[b->nnodes] = b->id.len;
    b->nt.slot[h & b->nt.mask] = ++b->nnodes;
    if (++b->nt.used * 2 > b->nt.mask)
        itab_grow(&b->nt, b, false);
    return b->nnodes - 1;
}

static struct edge_acc *intern_edge(struct builder *b, size_t from, size_t to, uint8_t proto)
{
    size_t h = (size_t)edge_hash(from, to, proto, b->seed);
    struct edge_acc *e;

    for (;; h++) {
        size_t k = b->et.slot[h & b->et.mask];

        if (!k)
            break;
        e = &b->edges[k - 1];
        if (e->from == from && e->to == to && e->proto == proto)
            return e;
    }
    xgrow((void **)&b->edges, &b->capedges, b->nedges + 1, sizeof *b->edges);
    e = &b->edges[b->nedges];
    memset(e, 0, sizeof *e);
    e->from = from;
    e->to = to;
    e->proto = proto;
    b->et.slot[h & b->et.mask] = ++b->nedges;
    if (++b->et.used * 2 > b->et.mask)
        itab_grow(&b->et, b, true);
    return &b->edges[b->nedges - 1];
}

/*
 * The identity of one side (ENT_NM_SRC or ENT_NM_DST) of v into b->id and
 * b->label: the grouping's, or the IP when the entry does not know it.
 * Returns its kind, or -1 when out of memory or past the buffers' caps.
 */
static int identity(struct builder *b, const struct ent_view *v, int side, const char *node)
{
    const char *const *nm = v->nm + side;
    const uint8_t *nl = v->nmlen + side;
    enum graph_kind kind = GRAPH_K_IP;
    const char *what = NULL;
    size_t lstart;
    int rc = 0;

    buf_reset(&b->id);
    buf_reset(&b->label);
    buf_reset(&b->cnode);
    switch (b->by) {
    case GRAPH_BY_NAME:
    case GRAPH_BY_NODE:
        what = nm[ENT_NM_NAME];
        kind = nl[ENT_NM_NAME] ? GRAPH_K_NAME : GRAPH_K_IP;
        break;
    case GRAPH_BY_POD:
        what = nm[ENT_NM_POD];
        kind = nl[ENT_NM_POD] ? GRAPH_K_POD : GRAPH_K_IP;
        break;
    case GRAPH_BY_SERVICE:
        what = nm[ENT_NM_SVC];
        kind = nl[ENT_NM_SVC] ? GRAPH_K_SERVICE : GRAPH_K_IP;
        break;
    case GRAPH_BY_NAMESPACE:
        what = nm[ENT_NM_NS];
        kind = nl[ENT_NM_NS] ? GRAPH_K_NAMESPACE : GRAPH_K_IP;
        break;
    case GRAPH_BY_IP:
        break;
    }
    if (b->by == GRAPH_BY_NODE) {
        rc = text_part(&b->cnode, node, strlen(node), false);
        if (rc == 0)
            rc = text_part(&b->id, node, strlen(node), true);
        if (rc == 0)
            rc = buf_append(&b->id, "/", 1);
    }
    if (rc == 0)
        rc = bputs(&b->id, kind_names[kind]);
    if (rc == 0)
        rc = buf_append(&b->id, ":", 1);
    lstart = b->id.len;
    if (rc < 0)
        return -1;
    if (kind == GRAPH_K_IP) {
        char a[ADDR_TEXT_LEN];

        addr_text(a, v->f.ipver, side == ENT_NM_SRC ? v->f.src_ip : v->f.dst_ip);
        rc = bputs(&b->id, a);
    } else if (kind == GRAPH_K_POD || kind == GRAPH_K_SERVICE) {
        /* namespace/name: neither part may hold a bare '/' */
        rc = text_part(&b->id, nm[ENT_NM_NS], nl[ENT_NM_NS], true);
        if (rc == 0)
            rc = buf_append(&b->id, "/", 1);
        if (rc == 0)
            rc = text_part(&b->id, what, nl[kind == GRAPH_K_POD ? ENT_NM_POD : ENT_NM_SVC], true);
    } else {
        rc = text_part(&b->id, what,
                       nl[kind == GRAPH_K_NAME ? ENT_NM_NAME : ENT_NM_NS], false);
    }
    if (rc == 0)
        rc = buf_append(&b->label, b->id.data + lstart, b->id.len - lstart);
    return rc < 0 ? -1 : (int)kind;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return (x > y) - (x < y);
}

/* Nearest rank: the smallest sample with at least pct % of the samples at or below it. */
static uint64_t percentile(const uint64_t *sorted, size_t n, unsigned pct)
{
    size_t rank = (size_t)(((unsigned long long)n * pct + 99) / 100);

    return sorted[rank ? rank - 1 : 0];
}

static int cmp_node_ptr(const void *a, const void *b)
{
    const struct graph_node *x = *(const struct graph_node *const *)a;
    const struct graph_node *y = *(const struct graph_node *const *)b;

    return strcmp(x->id, y->id);
}

/* Protocols in the order of their keys ("amqp" < "dns" < "grpc" < "http" ...). */
static int cmp_proto(uint8_t x, uint8_t y)
{
    return x == y ? 0
                  : strcmp(ent_proto_info((enum ent_proto)x)->key,
                           ent_proto_info((enum ent_proto)y)->key);
}

static int cmp_edge(const void *a, const void *b)
{
    const struct graph_edge *x = a, *y = b;

    if (x->from != y->from)
        return x->from < y->from ? -1 : 1;
    if (x->to != y->to)
        return x->to < y->to ? -1 : 1;
    return cmp_proto(x->proto, y->proto);
}

static void builder_release(struct builder *b)
{
    for (size_t i = 0; i < b->nnodes; i++) {
        free(b->nodes[i].id);
        free(b->nodes[i].label);
        free(b->nodes[i].cnode);
    }
    free(b->nodes);
    free(b->idlen);
    for (size_t i = 0; i < b->nedges; i++)
        free(b->edges[i].lat);
    free(b->edges);
    itab_release(&b->nt);
    itab_release(&b->et);
    buf_release(&b->id);
    buf_release(&b->label);
    buf_release(&b->cnode);
}

/* Sorts the builder's nodes and edges into a new graph (the builder keeps no node). */
static struct graph *builder_finish(struct builder *b, uint64_t entries)
{
    struct graph *g = xcalloc(1, sizeof *g);
    struct graph_node **order = xcalloc(b->nnodes ? b->nnodes : 1, sizeof *order);
    size_t *rank = xcalloc(b->nnodes ? b->nnodes : 1, sizeof *rank);

    g->by = b->by;
    g->entries = entries;
    for (size_t i = 0; i < b->nnodes; i++)
        order[i] = &b->nodes[i];
    qsort(order, b->nnodes, sizeof *order, cmp_node_ptr);
    g->nodes = xcalloc(b->nnodes ? b->nnodes : 1, sizeof *g->nodes);
    for (size_t i = 0; i < b->nnodes; i++) {
        rank[order[i] - b->nodes] = i;
        g->nodes[i] = *order[i];
    }
    g->nnodes = b->nnodes;
    b->nnodes = 0;              /* the strings moved to g */
    g->edges = xcalloc(b->nedges ? b->nedges : 1, sizeof *g->edges);
    for (size_t i = 0; i < b->nedges; i++) {
        struct edge_acc *a = &b->edges[i];
        struct graph_edge *e = &g->edges[i];

        e->from = rank[a->from];
        e->to = rank[a->to];
        e->proto = a->proto;
        e->change = GRAPH_SAME;
        e->requests = a->requests;
        e->errors = a->errors;
        e->bytes = a->bytes;
        e->responses = a->nlat;
        if (a->nlat) {
            qsort(a->lat, a->nlat, sizeof *a->lat, cmp_u64);
            e->p50_ns = percentile(a->lat, a->nlat, 50);
            e->p99_ns = percentile(a->lat, a->nlat, 99);
        }
    }
    g->nedges = b->nedges;
    qsort(g->edges, g->nedges, sizeof *g->edges, cmp_edge);
    free(order);
    free(rank);
    return g;
}

struct add_arg {
    struct builder *b;
    size_t *bad;
};

/* Adds rows [from, to) of s (their records there) to the graph (sel_each). */
static int add_rows(const struct sel *s, size_t from, size_t to, void *arg)
{
    struct builder *b = ((struct add_arg *)arg)->b;
    size_t *bad = ((struct add_arg *)arg)->bad;

    for (size_t i = from; i < to; i++) {
        const struct sel_row *r = &s->rows[i];
        const char *node = s->srcs[r->src].name;
        struct ent_view v;
        struct edge_acc *e;
        int kf, kt;
        size_t nf, nt;

        if (!r->rec || ent_parse(r->rec, SIZE_MAX, &v) <= 0 || v.f.proto >= ENT_PROTO_COUNT) {
            *bad = i;
            return SV_EFORMAT;
        }
        kf = identity(b, &v, ENT_NM_SRC, node);
        nf = kf < 0 ? 0 : intern_node(b, (enum graph_kind)kf);
        kt = identity(b, &v, ENT_NM_DST, node);
        nt = kt < 0 ? 0 : intern_node(b, (enum graph_kind)kt);
        if (kf < 0 || kt < 0)
            return SV_ENOMEM;
        e = intern_edge(b, nf, nt, v.f.proto);
        e->requests++;
        e->errors += graph_entry_is_error(&v);
        e->bytes += v.f.req_size + v.f.resp_size;
        /* an L4 summary pairs nothing: its sides' first packets are no latency */
        if ((v.f.flags & ENT_F_REQ) && (v.f.flags & ENT_F_RESP) && v.f.proto != ENT_TCP &&
            v.f.proto != ENT_UDP) {
            xgrow((void **)&e->lat, &e->caplat, e->nlat + 1, sizeof *e->lat);
            e->lat[e->nlat++] = v.f.resp_ns > v.f.req_ns ? v.f.resp_ns - v.f.req_ns : 0;
        }
    }
    return 0;
}

/* Entries whose records are rebuilt and read per round. */
#define GRAPH_ROUND 4096u

int graph_build(struct sel *s, enum graph_group by, struct graph **out, size_t *bad)
{
    struct builder b;
    uint64_t local = 0;
    int rc = 0;

    *out = NULL;
    memset(&b, 0, sizeof b);
    b.by = by;
    /* the seed only places keys in the tables (crafted names cannot aim at one slot) */
    b.seed = hash_mix((uint64_t)(uintptr_t)&local ^ (uint64_t)(uintptr_t)s);
    itab_init(&b.nt);
    itab_init(&b.et);
    buf_init(&b.id, 64 * 1024);
    buf_init(&b.label, 64 * 1024);
    buf_init(&b.cnode, 64 * 1024);
    {
        struct add_arg a = { &b, bad };

        rc = sel_each(s, GRAPH_ROUND, add_rows, &a);
    }
    if (rc == 0)
        *out = builder_finish(&b, s->nrows);
    builder_release(&b);
    return rc;
}

void graph_free(struct graph *g)
{
    if (!g)
        return;
    for (size_t i = 0; i < g->nnodes; i++) {
        free(g->nodes[i].id);
        free(g->nodes[i].label);
        free(g->nodes[i].cnode);
    }
    free(g->nodes);
    free(g->edges);
    free(g);
}

/* ------------------------------------------------------------------ diff */

static char *dup_or_null(const char *s)
{
    return s ? xstrdup(s) : NULL;
}

static int cmp_edge_ids(const struct graph *a, const struct graph_edge *x, const struct graph *b,
                        const struct graph_edge *y)
{
    int c = strcmp(a->nodes[x->from].id, b->nodes[y->from].id);

    if (c == 0)
        c = strcmp(a->nodes[x->to].id, b->nodes[y->to].id);
    if (c == 0)
        c = cmp_proto(x->proto, y->proto);
    return c;
}

/* The index in g of the node with id (g->nodes is sorted). */
static size_t node_index(const struct graph *g, const char *id)
{
    size_t lo = 0, hi = g->nnodes;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(g->nodes[mid].id, id);

        if (c == 0)
            return mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return SIZE_MAX;
}

struct graph *graph_diff(const struct graph *old, const struct graph *new)
{
    struct graph *g = xcalloc(1, sizeof *g);
    size_t i = 0, j = 0;

    g->by = new->by;
    g->diff = true;
    g->entries = old->entries + new->entries;
    g->nodes = xcalloc(old->nnodes + new->nnodes + 1, sizeof *g->nodes);
    /* nodes: a merge of two sorted lists */
    while (i < old->nnodes || j < new->nnodes) {
        const struct graph_node *n;
        enum graph_change ch;
        int c = i == old->nnodes   ? 1
                : j == new->nnodes ? -1
                                   : strcmp(old->nodes[i].id, new->nodes[j].id);

        if (c == 0) {
            n = &new->nodes[j++];
            i++;
            ch = GRAPH_SAME;
        } else if (c < 0) {
            n = &old->nodes[i++];
            ch = GRAPH_REMOVED;
        } else {
            n = &new->nodes[j++];
            ch = GRAPH_ADDED;
        }
        g->nodes[g->nnodes] = (struct graph_node){ xstrdup(n->id), xstrdup(n->label),
                                                   dup_or_null(n->cnode), n->kind, ch };
        g->nnodes++;
    }
    /* edges: both lists are sorted by (from id, to id, protocol) */
    g->edges = xcalloc(old->nedges + new->nedges + 1, sizeof *g->edges);
    i = j = 0;
    while (i < old->nedges || j < new->nedges) {
        const struct graph *src;
        const struct graph_edge *e;
        struct graph_edge *d = &g->edges[g->nedges++];
        enum graph_change ch;
        int c = i == old->nedges   ? 1
                : j == new->nedges ? -1
                                   : cmp_edge_ids(old, &old->edges[i], new, &new->edges[j]);

        if (c == 0) {
            src = new;
            e = &new->edges[j++];
            i++;
            ch = GRAPH_SAME;
        } else if (c < 0) {
            src = old;
            e = &old->edges[i++];
            ch = GRAPH_REMOVED;
        } else {
            src = new;
            e = &new->edges[j++];
            ch = GRAPH_ADDED;
        }
        *d = *e;
        d->change = ch;
        d->from = node_index(g, src->nodes[e->from].id);
        d->to = node_index(g, src->nodes[e->to].id);
    }
    return g;
}

bool graph_changed(const struct graph *g)
{
    for (size_t i = 0; i < g->nedges; i++)
        if (g->edges[i].change != GRAPH_SAME)
            return true;
    return false;
}

/* ---------------------------------------------------------------- output */

/*
 * DOT text of printable text: '"' and '\' escaped, and '&' as "&amp;":
 * Graphviz turns entities into characters, in plain labels and in the SVG
 * titles (tooltips) it makes of node ids, so "&#99;" would read "c".
 */
static int dot_label_text(struct buf *b, const char *s)
{
    int rc = 0;

    for (; *s && rc == 0; s++) {
        if (*s == '"' || *s == '\\')
            rc = buf_append(b, "\\", 1);
        if (rc == 0)
            rc = *s == '&' ? bputs(b, "&amp;") : buf_append(b, s, 1);
    }
    return rc;
}

/* A DOT quoted string (a node's id) of printable text, as dot_label_text writes it. */
static int dot_str(struct buf *b, const char *s)
{
    int rc = buf_append(b, "\"", 1);

    if (rc == 0)
        rc = dot_label_text(b, s);
    return rc ? rc : buf_append(b, "\"", 1);
}

/* Milliseconds with three decimals (µs, rounded half up) of ns. */
static void fmt_ms(char out[32], uint64_t ns)
{
    uint64_t us = ns / 1000 + (ns % 1000 >= 500);

    snprintf(out, 32, "%llu.%03llu", (unsigned long long)(us / 1000),
             (unsigned long long)(us % 1000));
}

static unsigned pen_halves(uint64_t requests)
{
    unsigned lg = 0;

    while (requests >>= 1)
        lg++;
    return 2 + lg < PEN_MAX_HALVES ? 2 + lg : PEN_MAX_HALVES;
}

static const char *change_color(enum graph_change c)
{
    return c == GRAPH_ADDED ? COLOR_ADDED : c == GRAPH_REMOVED ? COLOR_REMOVED : COLOR_SAME;
}

static int dot_node(struct buf *b, const struct graph *g, const struct graph_node *n,
                    const char *indent)
{
    int rc = bputs(b, indent);

    if (rc == 0)
        rc = dot_str(b, n->id);
    if (rc == 0)
        rc = bputs(b, " [label=\"");
    if (rc == 0)
        rc = bputs(b, g->diff && n->change == GRAPH_ADDED     ? "+ "
                      : g->diff && n->change == GRAPH_REMOVED ? "- "
                                                              : "");
    if (rc == 0)
        rc = dot_label_text(b, n->label);
    if (rc == 0)
        rc = bprintf(b, "\", kind=\"%s\"", kind_names[n->kind]);
    if (rc == 0 && n->kind == GRAPH_K_IP)
        rc = bputs(b, ", shape=ellipse");
    if (rc == 0 && g->diff && n->change != GRAPH_SAME)
        rc = bprintf(b, ", change=\"%s\", color=\"%s\", fontcolor=\"%s\"%s",
                     n->change == GRAPH_ADDED ? "added" : "removed", change_color(n->change),
                     change_color(n->change),
                     n->change == GRAPH_REMOVED ? ", style=\"rounded,dashed\"" : "");
    return rc ? rc : bputs(b, "];\n");
}

static int dot_edge(struct buf *b, const struct graph *g, const struct graph_edge *e)
{
    const struct ent_proto_info *pi = ent_proto_info((enum ent_proto)e->proto);
    const char *color = g->diff ? change_color(e->change) : proto_colors[e->proto];
    char p50[32], p99[32], human[32];
    unsigned pen = pen_halves(e->requests);
    int rc = bputs(b, "  ");

    fmt_ms(p50, e->p50_ns);
    fmt_ms(p99, e->p99_ns);
    cli_human_bytes(human, (double)e->bytes);
    if (rc == 0)
        rc = dot_str(b, g->nodes[e->from].id);
    if (rc == 0)
        rc = bputs(b, " -> ");
    if (rc == 0)
        rc = dot_str(b, g->nodes[e->to].id);
    if (rc == 0)
        rc = bprintf(b, " [protocol=\"%s\", requests=%llu, errors=%llu, bytes=%llu", pi->key,
                     (unsigned long long)e->requests, (unsigned long long)e->errors,
                     (unsigned long long)e->bytes);
    if (rc == 0 && e->responses)
        rc = bprintf(b, ", p50_ms=\"%s\", p99_ms=\"%s\"", p50, p99);
    if (rc == 0 && g->diff)
        rc = bprintf(b, ", change=\"%s\"",
                     e->change == GRAPH_ADDED     ? "added"
                     : e->change == GRAPH_REMOVED ? "removed"
                                                  : "same");
    if (rc == 0)
        rc = bprintf(b, ",\n      label=\"%s%s\\n%llu req, %llu err",
                     !g->diff || e->change == GRAPH_SAME ? ""
                     : e->change == GRAPH_ADDED          ? "+ "
                                                         : "- ",
                     pi->abbr, (unsigned long long)e->requests, (unsigned long long)e->errors);
    if (rc == 0 && e->responses)
        rc = bprintf(b, "\\np50 %s ms, p99 %s ms", p50, p99);
    if (rc == 0)
        rc = bprintf(b, "\\n%s\", color=\"%s\", fontcolor=\"%s\", penwidth=%u.%u%s];\n", human,
                     color, color, pen / 2, pen % 2 ? 5 : 0,
                     g->diff && e->change == GRAPH_REMOVED ? ", style=dashed" : "");
    return rc;
}

/* The legend: the protocols drawn (or, in a diff, what the colours mean). */
static int dot_legend(struct buf *b, const struct graph *g)
{
    bool seen[ENT_PROTO_COUNT] = { false };
    int rc;

    rc = bputs(b, "  subgraph cluster_legend {\n"
                  "    label=\"legend\"; fontsize=10; style=\"rounded,dashed\";\n"
                  "    color=\"#c0c0c0\";\n"
                  "    node [shape=plaintext, style=\"\", fontsize=9];\n");
    if (rc == 0 && g->diff) {
        static const char *const items[][2] = {
            { "added", COLOR_ADDED }, { "removed", COLOR_REMOVED }, { "same", COLOR_SAME },
        };

        for (size_t i = 0; i < 3 && rc == 0; i++)
            rc = bprintf(b, "    \"legend:%s\" [label=\"%s%s edge\", fontcolor=\"%s\"];\n",
                         items[i][0], i == 0 ? "+ " : i == 1 ? "- " : "", items[i][0],
                         items[i][1]);
    }
    for (size_t i = 0; i < g->nedges; i++)
        seen[g->edges[i].proto] = true;
    for (size_t p = 0; p < ENT_PROTO_COUNT && rc == 0 && !g->diff; p++) {
        const struct ent_proto_info *pi = ent_proto_info((enum ent_proto)p);

        if (seen[p])
            rc = bprintf(b, "    \"legend:%s\" [label=\"%s\", fontcolor=\"%s\"];\n", pi->key,
                         pi->abbr, proto_colors[p]);
    }
    if (rc == 0)
        rc = bputs(b, "    \"legend:width\" [label=\"width: log2(requests)\\nlabel: protocol, "
                      "requests, errors,\\nlatency p50/p99, bytes\", fontcolor=\"#606060\"];\n"
                      "  }\n");
    return rc;
}

int graph_dot(const struct graph *g, struct buf *b)
{
    int rc;

    rc = bprintf(b, "// streamvault graph%s --group-by %s: %llu entries, %zu nodes, %zu edges\n"
                    "digraph streamvault {\n"
                    "  graph [rankdir=LR, fontname=\"Helvetica\", fontsize=10, nodesep=0.3];\n"
                    "  node [shape=box, style=\"rounded\", fontname=\"Helvetica\", "
                    "fontsize=10];\n"
                    "  edge [fontname=\"Helvetica\", fontsize=8, arrowsize=0.7];\n",
                 g->diff ? " --diff" : "", group_names[g->by], (unsigned long long)g->entries,
                 g->nnodes, g->nedges);
    for (size_t i = 0; i < g->nnodes && rc == 0;) {
        size_t k = i;

        if (g->by != GRAPH_BY_NODE) {
            rc = dot_node(b, g, &g->nodes[i++], "  ");
            continue;
        }
        /* by node: one cluster per capture node (its nodes' ids share a prefix: contiguous) */
        while (k < g->nnodes && strcmp(g->nodes[k].cnode, g->nodes[i].cnode) == 0)
            k++;
        rc = bprintf(b, "  subgraph \"cluster_node_%zu\" {\n    label=\"node ", i);
        if (rc == 0)
            rc = dot_label_text(b, g->nodes[i].cnode);
        if (rc == 0)
            rc = bputs(b, "\"; style=\"rounded\"; color=\"#808080\";\n");
        for (; i < k && rc == 0; i++)
            rc = dot_node(b, g, &g->nodes[i], "    ");
        if (rc == 0)
            rc = bputs(b, "  }\n");
    }
    for (size_t i = 0; i < g->nedges && rc == 0; i++)
        rc = dot_edge(b, g, &g->edges[i]);
    if (rc == 0)
        rc = dot_legend(b, g);
    return rc ? rc : bputs(b, "}\n");
}

static struct jv *ms_or_null(const struct graph_edge *e, uint64_t ns)
{
    uint64_t us = ns / 1000 + (ns % 1000 >= 500);

    return e->responses ? jv_real((double)us / 1000.0) : jv_null();
}

static const char *change_name(enum graph_change c)
{
    return c == GRAPH_ADDED ? "added" : c == GRAPH_REMOVED ? "removed" : "same";
}

int graph_json(const struct graph *g, struct buf *b)
{
    struct jv *o = jv_obj(), *nodes = jv_arr(), *edges = jv_arr();
    char *text;
    int rc;

    jv_set(o, "groupBy", jv_str(group_names[g->by]));
    jv_set(o, "entries", jv_u64(g->entries));
    for (size_t i = 0; i < g->nnodes; i++) {
        const struct graph_node *n = &g->nodes[i];
        struct jv *x = jv_obj();

        jv_set(x, "id", jv_str(n->id));
        jv_set(x, "label", jv_str(n->label));
        jv_set(x, "kind", jv_str(kind_names[n->kind]));
        if (n->cnode)
            jv_set(x, "node", jv_str(n->cnode));
        if (g->diff)
            jv_set(x, "change", jv_str(change_name(n->change)));
        jv_push(nodes, x);
    }
    for (size_t i = 0; i < g->nedges; i++) {
        const struct graph_edge *e = &g->edges[i];
        struct jv *x = jv_obj();

        jv_set(x, "from", jv_str(g->nodes[e->from].id));
        jv_set(x, "to", jv_str(g->nodes[e->to].id));
        jv_set(x, "protocol", jv_str(ent_proto_info((enum ent_proto)e->proto)->key));
        jv_set(x, "requests", jv_u64(e->requests));
        jv_set(x, "errors", jv_u64(e->errors));
        jv_set(x, "responses", jv_u64(e->responses));
        jv_set(x, "p50_ms", ms_or_null(e, e->p50_ns));
        jv_set(x, "p99_ms", ms_or_null(e, e->p99_ns));
        jv_set(x, "bytes", jv_u64(e->bytes));
        if (g->diff)
            jv_set(x, "change", jv_str(change_name(e->change)));
        jv_push(edges, x);
    }
    jv_set(o, "nodes", nodes);
    jv_set(o, "edges", edges);
    text = jv_dump(o, JV_PRETTY | JV_SHORT_REALS);
    jv_free(o);
    rc = bputs(b, text);
    if (rc == 0)
        rc = buf_append(b, "\n", 1);
    free(text);
    return rc;
}
