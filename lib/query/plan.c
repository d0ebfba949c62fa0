/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: a query's plan over the index columns (plan.h): the checked tree's
 * and/or/not structure kept, every other condition that reads one field the
 * columns hold exactly made a column test, the rest left to the JSON.
 *
 * A column test is the condition's own subtree, evaluated by eval.c with
 * the field's value substituted (q_eval_subst), so it means exactly what
 * q_match would compute: once per distinct value of a dictionary column
 * (a regex over paths runs once per distinct path of the block), once per
 * row for numbers (or straight as a comparison when the condition is a
 * field against a number). What a field reads:
 *
 *   protocol names                 proto                  (zone map)
 *   timestamp, elapsedTime,        req_ns, resp_ns        (timestamp: the blocks' time zone)
 *   elapsed_time                   + flags
 *   index, requestSize, responseSize,
 *   src.port, dst.port             the number columns     (zone maps)
 *   src.name, src.namespace        the name columns       ("" when unknown)
 *   src.dns, src.pod.name, src.service.name               (missing when unknown)
 *   request.K1.K2..., response...  the sections' shapes, then the leaf column of the
 *                                  path, or a header map and a name in it
 *
 * Verdicts are three-valued per row (no, yes, maybe) plus "error" (a
 * regex gave up on a value): maybe and error rows go to q_match on their
 * JSON, which decides them and reports the error as before.
 */
#include "config.h"

#include "query/plan.h"

#include <inttypes.h>
#include <stdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/buf.h"
#include "base/diag.h"
#include "base/xalloc.h"
#include "entry/entry.h"
#include "index/index.h"
#include "query_eval.h"
#include "streamvault.h"

/* Three-valued verdicts (and an error, which only the JSON path may report). */
enum { V_NO = 0, V_YES = 1, V_MAYBE = 2, V_ERR = 3, V_UNSET = 0xff };

/* Past this many nodes a plan decides nothing (its scratch is per node and row). */
#define QP_MAX_NODES 256u
/* Keys of a section path the plan follows. */
#define QP_MAX_KEYS 8u

enum qp_src {
    QPS_PROTO,          /* a protocol name: the proto column */
    QPS_U,              /* a number column as it is (col) */
    QPS_TIMESTAMP,      /* request time (response's without one) in ms */
    QPS_ELAPSED_MS,     /* elapsedTime */
    QPS_ELAPSED_US,     /* elapsed_time */
    QPS_NAME,           /* a name column, "" when unknown */
    QPS_NAME_OPT,       /* a name column, missing when unknown */
    QPS_SEC,            /* a section's path: shapes, then a leaf or header-map column */
};

struct qp_leaf {
    const struct qe *pred;      /* the condition */
    const struct qe *ref;       /* the field it reads (its value is substituted) */
    uint8_t src;
    const char *fixed;          /* QPS_U, QPS_NAME*: the column's name (ix_col_find) */
    uint64_t width;             /* QPS_U: the record's field keeps these bits of the column */
    uint8_t sec;                /* QPS_SEC: enum ix_sec */
    const char *keys[QP_MAX_KEYS];
    size_t klen[QP_MAX_KEYS], nkeys;
    char path[256];             /* QPS_SEC: the leaf column's path; map: the map's */
    bool cmp;                   /* pred is ref OP number: compared straight, zone maps apply */
    uint8_t op;                 /* QE_EQ .. QE_GE, with ref on the left */
    struct qv k;                /* the number (QV_NUM, not NaN) */
};

enum qp_kind { QPN_AND, QPN_OR, QPN_NOT, QPN_LEAF, QPN_CONST, QPN_JSON };

struct qp_node {
    uint8_t kind;
    uint8_t value;              /* QPN_CONST: V_NO or V_YES */
    size_t a, b;                /* kids (node numbers) */
    size_t leaf;                /* QPN_LEAF */
    const struct qe *e;         /* the tree's node, for --explain */
};

struct q_plan {
    const struct q_query *q;
    struct qp_node *node;
    size_t nnode;
    size_t root;
    struct qp_leaf *leaf;
    size_t nleaf;
    bool columns;               /* some condition runs on the columns */
};

/* ---------------------------------------------------------------- building */

static size_t add_node(struct q_plan *p, struct qp_node n)
{
    p->node = xrealloc(p->node, (p->nnode + 1) * sizeof *p->node);
    p->node[p->nnode] = n;
    return p->nnode++;
}

/*
 * The fields e reads: every QE_PATH, QE_PROTO and QE_ELAPSED_US under it (at
 * most two are kept in ref[]); false when it reads the entry otherwise (json(),
 * a path after a call) or holds a node this planner does not know.
 */
static bool fields_of(const struct qe *e, const struct qe **ref, size_t *n)
{
    switch (e->kind) {
    case QE_PATH:
    case QE_PROTO:
    case QE_ELAPSED_US:
        if (*n < 2)
            ref[*n] = e;
        (*n)++;
        return true;
    case QE_CALL:
        /* json() reads what no column holds; map_get() a member of a map */
        if (e->fn == QF_JSON || e->fn == QF_MAP_GET)
            return false;
        break;
    case QE_CONST:
    case QE_NOT:
    case QE_NEG:
    case QE_AND:
    case QE_OR:
    case QE_EQ:
    case QE_NE:
    case QE_LT:
    case QE_LE:
    case QE_GT:
    case QE_GE:
    case QE_IN:
    case QE_LIST:
        break;
    default:
        return false;
    }
    for (size_t i = 0; i < e->nkid; i++) {
        if (!fields_of(e->kid[i], ref, n))
            return false;
    }
    return true;
}

static bool key_is(const struct q_step *st, const char *k)
{
    return st->kind == QS_KEY && strcmp(st->key, k) == 0;
}

/* Where field ref's value comes from; false when the columns do not hold it exactly. */
static bool resolve(const struct qe *ref, struct qp_leaf *l)
{
    static const struct {
        const char *a, *b, *c;
        uint8_t src;
        const char *col;
        uint64_t width;
    } fixed[] = {
        { "index", NULL, NULL, QPS_U, "index", UINT32_MAX },
        { "requestSize", NULL, NULL, QPS_U, "req_size", UINT64_MAX },
        { "responseSize", NULL, NULL, QPS_U, "resp_size", UINT64_MAX },
        { "timestamp", NULL, NULL, QPS_TIMESTAMP, NULL, 0 },
        { "elapsedTime", NULL, NULL, QPS_ELAPSED_MS, NULL, 0 },
        { "src", "port", NULL, QPS_U, "src_port", UINT16_MAX },
        { "dst", "port", NULL, QPS_U, "dst_port", UINT16_MAX },
        { "src", "name", NULL, QPS_NAME, "src.name", 0 },
        { "dst", "name", NULL, QPS_NAME, "dst.name", 0 },
        { "src", "namespace", NULL, QPS_NAME, "src.namespace", 0 },
        { "dst", "namespace", NULL, QPS_NAME, "dst.namespace", 0 },
        { "src", "dns", NULL, QPS_NAME_OPT, "src.dns", 0 },
        { "dst", "dns", NULL, QPS_NAME_OPT, "dst.dns", 0 },
        { "src", "pod", "name", QPS_NAME_OPT, "src.pod", 0 },
        { "dst", "pod", "name", QPS_NAME_OPT, "dst.pod", 0 },
        { "src", "service", "name", QPS_NAME_OPT, "src.service", 0 },
        { "dst", "service", "name", QPS_NAME_OPT, "dst.service", 0 },
    };
    const struct q_step *st = ref->steps;
    size_t n = ref->nsteps, at = 0;

    if (ref->kind == QE_PROTO) {
        l->src = QPS_PROTO;
        return true;
    }
    if (ref->kind == QE_ELAPSED_US) {
        l->src = QPS_ELAPSED_US;
        return true;
    }
    if (ref->kind != QE_PATH || n == 0)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (st[i].kind != QS_KEY)
            return false;
    }
    for (size_t i = 0; i < sizeof fixed / sizeof *fixed; i++) {
        size_t want = fixed[i].c ? 3 : fixed[i].b ? 2 : 1;

        if (n == want && key_is(&st[0], fixed[i].a) &&
            (!fixed[i].b || key_is(&st[1], fixed[i].b)) &&
            (!fixed[i].c || key_is(&st[2], fixed[i].c))) {
            l->src = fixed[i].src;
            l->fixed = fixed[i].col;
            l->width = fixed[i].width;
            return true;
        }
    }
    if (n < 2 || n - 1 > QP_MAX_KEYS || (!key_is(&st[0], "request") && !key_is(&st[0], "response")))
        return false;
    l->src = QPS_SEC;
    l->sec = key_is(&st[0], "request") ? IX_SEC_REQ : IX_SEC_RESP;
    /* the kept bodies are added to the JSON beside the sections (found in any case) */
    if (st[1].kind == QS_KEY &&
        strcasecmp(st[1].key, l->sec == IX_SEC_REQ ? "postData" : "content") == 0)
        return false;
    for (size_t i = 1; i < n; i++) {
        const char *k = st[i].key;
        size_t kl = strlen(k);

        /* keys that ix_col_find's path syntax cannot spell, or that name fixed columns */
        if (kl == 0 || kl >= 100 || k[0] == '$' || strpbrk(k, ".[]"))
            return false;
        l->keys[l->nkeys] = k;
        l->klen[l->nkeys++] = kl;
    }
    /* the leaf column's path (a map's is one key shorter: the last is a header name) */
    for (size_t i = 0; i < l->nkeys; i++) {
        at += (size_t)snprintf(l->path + at, sizeof l->path - at, "%s%s", i ? "." : "",
                               l->keys[i]);
        if (at >= sizeof l->path)
            return false;
    }
    return true;
}

/* pred is "ref OP number" (either way round): compared straight, and zone maps apply. */
static void straight(struct qp_leaf *l)
{
    static const uint8_t flip[] = { [QE_EQ] = QE_EQ, [QE_LT] = QE_GT, [QE_LE] = QE_GE,
                                    [QE_GT] = QE_LT, [QE_GE] = QE_LE };
    const struct qe *e = l->pred, *f, *k;

    if (e->kind < QE_EQ || e->kind > QE_GE || e->kind == QE_NE || e->re || e->nkid != 2 ||
        l->src == QPS_PROTO || l->src == QPS_NAME || l->src == QPS_NAME_OPT)
        return;
    f = e->kid[0];
    k = e->kid[1];
    l->op = e->kind;
    if (f != l->ref) {
        const struct qe *t = f;

        f = k;
        k = t;
        l->op = flip[e->kind];
    }
    /* NaN (1e999 - 1e999) is ordered against nothing: the row's value decides (eval) */
    if (f != l->ref || k->kind != QE_CONST || k->v.t != QV_NUM || isnan(k->v.n))
        return;
    l->k = k->v;
    l->cmp = true;
}

static size_t plan_node(struct q_plan *p, const struct qe *e, size_t *budget);

static size_t plan_leaf(struct q_plan *p, const struct qe *e)
{
    const struct qe *ref[2] = { NULL, NULL };
    size_t nref = 0;
    struct qp_leaf l;

    memset(&l, 0, sizeof l);
    if (!fields_of(e, ref, &nref) || nref > 1)
        return add_node(p, (struct qp_node){ .kind = QPN_JSON, .e = e });
    if (nref == 0) {
        /* a constant condition: decided once */
        struct q_ctx *c = q_ctx_new();
        struct q_error err;
        struct qv none = { 0 };
        int rc = q_eval_subst(p->q, c, e, NULL, &none, &err);

        q_ctx_free(c);
        if (rc < 0)
            return add_node(p, (struct qp_node){ .kind = QPN_JSON, .e = e });
        return add_node(p, (struct qp_node){ .kind = QPN_CONST, .value = rc ? V_YES : V_NO,
                                             .e = e });
    }
    l.pred = e;
    l.ref = ref[0];
    if (!resolve(ref[0], &l))
        return add_node(p, (struct qp_node){ .kind = QPN_JSON, .e = e });
    straight(&l);
    p->leaf = xrealloc(p->leaf, (p->nleaf + 1) * sizeof *p->leaf);
    p->leaf[p->nleaf] = l;
    p->columns = true;
    return add_node(p, (struct qp_node){ .kind = QPN_LEAF, .leaf = p->nleaf++, .e = e });
}

static size_t plan_node(struct q_plan *p, const struct qe *e, size_t *budget)
{
    size_t a, b;

    if (*budget == 0)
        return add_node(p, (struct qp_node){ .kind = QPN_JSON, .e = e });
    (*budget)--;
    switch (e->kind) {
    case QE_AND:
    case QE_OR:
        a = plan_node(p, e->kid[0], budget);
        b = plan_node(p, e->kid[1], budget);
        return add_node(p, (struct qp_node){ .kind = e->kind == QE_AND ? QPN_AND : QPN_OR,
                                             .a = a, .b = b, .e = e });
    case QE_NOT:
        a = plan_node(p, e->kid[0], budget);
        return add_node(p, (struct qp_node){ .kind = QPN_NOT, .a = a, .e = e });
    default:
        return plan_leaf(p, e);
    }
}

struct q_plan *q_plan_new(const struct q_query *q, bool columns)
{
    struct q_plan *p = xcalloc(1, sizeof *p);
    size_t budget = QP_MAX_NODES;

    p->q = q;
    if (!q->root) {
        p->root = add_node(p, (struct qp_node){ .kind = QPN_CONST, .value = V_YES });
        return p;
    }
    if (!columns) {
        p->root = add_node(p, (struct qp_node){ .kind = QPN_JSON, .e = q->root });
        return p;
    }
    p->root = plan_node(p, q->root, &budget);
    return p;
}

void q_plan_free(struct q_plan *p)
{
    if (!p)
        return;
    free(p->node);
    free(p->leaf);
    free(p);
}

bool q_plan_uses_columns(const struct q_plan *p)
{
    return p->columns;
}

/* ----------------------------------------------------------------- explain */

/* Appends to explain text (a failure, out of memory past a cap, only cuts the text). */
static void put(struct buf *b, const char *p, size_t n)
{
    if (buf_append(b, p, n) < 0)
        return;
}

/* The syntax tree's node at [pos, end), outermost first. */
static const struct q_node *ast_at(const struct q_node *n, uint32_t pos, uint32_t end)
{
    if (!n)
        return NULL;
    if (n->pos == pos && n->end == end)
        return n;
    for (uint32_t i = 0; i < n->nkid; i++) {
        const struct q_node *f = ast_at(n->kid[i], pos, end);

        if (f)
            return f;
    }
    return NULL;
}

static void text_of_node(const struct q_plan *p, const struct qe *e, struct buf *b)
{
    const struct q_node *n = e ? ast_at(q_parse_root(p->q->parse), e->pos, e->end) : NULL;
    char *t = n ? q_ast_text(n) : NULL;

    if (t) {
        put(b, t, strlen(t));
        free(t);
    } else {
        put(b, "?", 1);
    }
}

static const char *leaf_how(const struct qp_leaf *l, char *out, size_t n)
{
    switch (l->src) {
    case QPS_PROTO:
        return "column proto, zone maps";
    case QPS_U:
        snprintf(out, n, "column %s%s", l->fixed, l->cmp ? ", zone maps" : ", per row");
        return out;
    case QPS_TIMESTAMP:
        return l->cmp ? "column req_ns, zone maps" : "column req_ns, per row";
    case QPS_ELAPSED_MS:
    case QPS_ELAPSED_US:
        return "columns req_ns resp_ns, per row";
    case QPS_NAME:
    case QPS_NAME_OPT:
        snprintf(out, n, "column %s, once per distinct value", l->fixed);
        return out;
    default:
        snprintf(out, n, "%s.%s: shapes, then a leaf or header-map column, once per distinct "
                         "value", l->sec == IX_SEC_REQ ? "request" : "response", l->path);
        return out;
    }
}

static void explain_node(const struct q_plan *p, size_t i, struct buf *cols, struct buf *json)
{
    const struct qp_node *n = &p->node[i];
    const char *t;
    char how[400];

    switch (n->kind) {
    case QPN_AND:
    case QPN_OR:
        explain_node(p, n->a, cols, json);
        explain_node(p, n->b, cols, json);
        return;
    case QPN_NOT:
        explain_node(p, n->a, cols, json);
        return;
    case QPN_LEAF:
        put(cols, "\ncolumns: ", 10);
        text_of_node(p, n->e, cols);
        put(cols, "   [", 4);
        t = leaf_how(&p->leaf[n->leaf], how, sizeof how);
        put(cols, t, strlen(t));
        put(cols, "]", 1);
        return;
    case QPN_CONST:
        if (!n->e)
            return;
        put(cols, "\ncolumns: ", 10);
        text_of_node(p, n->e, cols);
        put(cols, n->value == V_YES ? "   [constant: true]" : "   [constant: false]",
                         n->value == V_YES ? 19 : 20);
        return;
    default:
        put(json, "\njson:    ", 10);
        text_of_node(p, n->e, json);
        return;
    }
}

char *q_plan_text(const struct q_plan *p)
{
    struct buf cols, json;
    char *out;

    buf_init(&cols, SIZE_MAX);
    buf_init(&json, SIZE_MAX);
    if (p->q->root)
        explain_node(p, p->root, &cols, &json);
    if (json.len == 0) {
        const char *t = p->q->root ? "\njson:    nothing: the columns decide every entry"
                                   : "\njson:    nothing: every entry matches";

        put(&json, t, strlen(t));
    } else if (cols.len) {
        const char *t = "\n         (only for the entries the columns leave undecided)";

        put(&json, t, strlen(t));
    }
    out = xmalloc(cols.len + json.len + 1);
    memcpy(out, cols.data ? (const char *)cols.data : "", cols.len);
    memcpy(out + cols.len, json.data ? (const char *)json.data : "", json.len);
    out[cols.len + json.len] = 0;
    /* without the leading newline */
    memmove(out, out + 1, cols.len + json.len);
    buf_release(&cols);
    buf_release(&json);
    return out;
}

/* ----------------------------------------------------------------- scans */

/* Per leaf, what a segment and a block give it. */
struct leaf_state {
    int col;                    /* the column read (fixed, leaf or map), -1 none */
    int mapcol;                 /* QPS_SEC: the header map's column, -1 none */
    uint8_t *code;              /* verdict per dictionary code (V_UNSET: not yet) */
    size_t capcode;
    uint8_t *name;              /* QPS_SEC maps: per header name, 1 exact, 2 other case,
                                 * 3 not plain (a NUL would cut the JSON's key, a name
                                 * not in UTF-8 is left out of it), 0 none */
    size_t capname;
    int8_t *at;                 /* QPS_SEC: per shape, enum ix_at (-1: not yet) */
    int *atcol;
    size_t capat;
    uint8_t on_null;            /* the verdict when the field is missing */
    uint8_t proto[ENT_PROTO_COUNT];
};

struct q_plan_scan {
    const struct q_plan *p;
    struct q_ctx *ctx;
    struct ix_seg *seg;
    struct leaf_state *ls;
    uint8_t *res;               /* per node, IX_BLOCK_ROWS verdicts */
    uint8_t *mask;              /* per node, rows still to decide */
    int cols[64];
    size_t ncols;
    int c_stream, c_index, c_req, c_resp, c_flags, c_proto, c_shape[2];
    struct q_plan_stats st;
};

static uint8_t eval_value(struct q_plan_scan *sc, const struct qp_leaf *l, const struct qv *v)
{
    struct q_error err;
    int rc = q_eval_subst(sc->p->q, sc->ctx, l->pred, l->ref, v, &err);

    return rc < 0 ? V_ERR : rc ? V_YES : V_NO;
}

struct q_plan_scan *q_plan_scan_new(const struct q_plan *p)
{
    struct q_plan_scan *sc = xcalloc(1, sizeof *sc);
    struct qv none = { 0 };

    sc->p = p;
    sc->ctx = q_ctx_new();
    sc->ls = xcalloc(p->nleaf ? p->nleaf : 1, sizeof *sc->ls);
    sc->res = xmalloc(p->nnode * (size_t)IX_BLOCK_ROWS);
    sc->mask = xmalloc((p->nnode + 1) * (size_t)IX_BLOCK_ROWS);  /* + the root's */
    for (size_t i = 0; i < p->nleaf; i++) {
        const struct qp_leaf *l = &p->leaf[i];
        struct leaf_state *s = &sc->ls[i];

        s->on_null = eval_value(sc, l, &none);
        if (l->src == QPS_PROTO) {
            for (int k = 0; k < ENT_PROTO_COUNT; k++) {
                struct qv b = { 0 };

                b.t = QV_BOOL;
                b.b = l->ref->mask >> k & 1;
                s->proto[k] = eval_value(sc, l, &b);
            }
        }
    }
    return sc;
}

void q_plan_scan_free(struct q_plan_scan *sc)
{
    if (!sc)
        return;
    for (size_t i = 0; i < sc->p->nleaf; i++) {
        free(sc->ls[i].code);
        free(sc->ls[i].name);
        free(sc->ls[i].at);
        free(sc->ls[i].atcol);
    }
    free(sc->ls);
    free(sc->res);
    free(sc->mask);
    q_ctx_free(sc->ctx);
    free(sc);
}

/* A dictionary string as the entry's JSON holds it: ASCII without NUL, else undecided. */
static bool plain(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i] == 0 || p[i] >= 0x80)
            return false;
    }
    return true;
}

static void want_col(struct q_plan_scan *sc, int col)
{
    if (col < 0)
        return;
    for (size_t i = 0; i < sc->ncols; i++) {
        if (sc->cols[i] == col)
            return;
    }
    if (sc->ncols < sizeof sc->cols / sizeof *sc->cols)
        sc->cols[sc->ncols++] = col;
}

void q_plan_scan_segment(struct q_plan_scan *sc, struct ix_seg *seg)
{
    sc->seg = seg;
    sc->ncols = 0;
    sc->c_stream = ix_col_find(seg, IX_SEC_NONE, "stream");
    sc->c_index = ix_col_find(seg, IX_SEC_NONE, "index");
    sc->c_req = ix_col_find(seg, IX_SEC_NONE, "req_ns");
    sc->c_resp = ix_col_find(seg, IX_SEC_NONE, "resp_ns");
    sc->c_flags = ix_col_find(seg, IX_SEC_NONE, "flags");
    sc->c_proto = ix_col_find(seg, IX_SEC_NONE, "proto");
    sc->c_shape[0] = ix_col_find(seg, IX_SEC_REQ, "$shape");
    sc->c_shape[1] = ix_col_find(seg, IX_SEC_RESP, "$shape");
    want_col(sc, sc->c_stream);
    want_col(sc, sc->c_index);
    want_col(sc, sc->c_req);
    want_col(sc, sc->c_resp);
    for (size_t i = 0; i < sc->p->nleaf; i++) {
        const struct qp_leaf *l = &sc->p->leaf[i];
        struct leaf_state *s = &sc->ls[i];

        s->col = s->mapcol = -1;
        switch (l->src) {
        case QPS_PROTO:
            s->col = sc->c_proto;
            break;
        case QPS_U:
        case QPS_NAME:
        case QPS_NAME_OPT:
            s->col = ix_col_find(seg, IX_SEC_NONE, l->fixed);
            break;
        case QPS_ELAPSED_US:
            want_col(sc, sc->c_flags);
            break;
        case QPS_SEC: {
            char mp[256];
            const char *dot = strrchr(l->path, '.');

            s->col = ix_col_find(seg, (enum ix_sec)l->sec, l->path);
            want_col(sc, sc->c_shape[l->sec]);
            if (l->nkeys >= 2) {
                size_t n = (size_t)(dot - l->path);

                memcpy(mp, l->path, n);
                mp[n] = 0;
                s->mapcol = ix_col_find(seg, (enum ix_sec)l->sec, mp);
                want_col(sc, s->mapcol);
            }
            if (s->mapcol >= 0) {
                /* the segment's header names, against the key looked up in the map */
                const char *key = l->keys[l->nkeys - 1];
                size_t kl = l->klen[l->nkeys - 1], nn = ix_header_names(seg);

                if (s->capname < nn + 1) {
                    s->capname = nn + 1;
                    s->name = xrealloc(s->name, s->capname);
                }
                for (size_t k = 0; k < nn; k++) {
                    const uint8_t *np;
                    size_t nl;
                    bool fold = true;

                    ix_header_name(seg, k, &np, &nl);
                    if (!plain(np, nl)) {
                        s->name[k] = 3;
                        continue;
                    }
                    for (size_t j = 0; j < nl && j < kl && fold; j++) {
                        uint8_t a = np[j], b = (uint8_t)key[j];

                        fold = (a | (a >= 'A' && a <= 'Z' ? 0x20 : 0)) ==
                               (b | (b >= 'A' && b <= 'Z' ? 0x20 : 0));
                    }
                    s->name[k] = nl != kl || !fold ? 0 : memcmp(np, key, kl) == 0 ? 1 : 2;
                }
            }
            break;
        }
        default:
            break;
        }
        want_col(sc, s->col);
    }
}

/* The number a U column's value is in the entry's JSON (jv_u64 clamps to INT64_MAX). */
static int64_t num_u(uint64_t u)
{
    return (int64_t)(u > INT64_MAX ? (uint64_t)INT64_MAX : u);
}

/* The order of x against the leaf's number (exact: q_num_order). */
static int order_k(int64_t x, const struct qp_leaf *l)
{
    struct qv v = q_int(x);

    return q_num_order(&v, &l->k);
}

static bool cmp_num(uint8_t op, int64_t x, const struct qp_leaf *l)
{
    int r = order_k(x, l);

    switch (op) {
    case QE_EQ: return r == 0;
    case QE_LT: return r < 0;
    case QE_LE: return r <= 0;
    case QE_GT: return r > 0;
    default: return r >= 0;
    }
}

static uint8_t num_verdict(struct q_plan_scan *sc, const struct qp_leaf *l, int64_t x)
{
    struct qv v = q_int(x);

    sc->st.row_evals++;
    if (l->cmp)
        return cmp_num(l->op, x, l) ? V_YES : V_NO;
    return eval_value(sc, l, &v);
}

/* The verdict for code k of column col's dictionary, evaluated the first time it is asked. */
static uint8_t code_verdict(struct q_plan_scan *sc, const struct qp_leaf *l, struct leaf_state *s,
                            int col, uint64_t k, bool opt)
{
    const uint8_t *p;
    size_t n;
    struct qv v = { 0 };

    if (k >= s->capcode)
        return V_MAYBE;
    if (s->code[k] != V_UNSET)
        return s->code[k];
    ix_dict_str(sc->seg, col, k, &p, &n);
    if (!p || !plain(p, n)) {
        s->code[k] = V_MAYBE;
    } else if (opt && n == 0) {
        s->code[k] = s->on_null;
    } else {
        v.t = QV_STR;
        v.s = (const char *)p;
        v.len = n;
        sc->st.distinct_evals++;
        s->code[k] = eval_value(sc, l, &v);
    }
    return s->code[k];
}

static void codes_reset(struct leaf_state *s, size_t n)
{
    if (s->capcode < n) {
        s->capcode = n;
        s->code = xrealloc(s->code, n);
    }
    if (s->capcode)
        memset(s->code, V_UNSET, s->capcode);
}

/* Section paths: per row, through its shape. */
static void leaf_sec(struct q_plan_scan *sc, const struct qp_leaf *l, struct leaf_state *s,
                     uint32_t rows, const uint8_t *mask, uint8_t *out)
{
    const uint64_t *shape = ix_col_codes(sc->seg, sc->c_shape[l->sec]);
    size_t nshape = ix_dict_count(sc->seg, sc->c_shape[l->sec]);
    struct ix_leaf_rows lr = { 0 };
    struct ix_map_rows mr = { 0 };
    bool have_leaf = false, have_map = false;

    if (!shape) {
        memset(out, V_MAYBE, rows);
        return;
    }
    if (s->capat < nshape) {
        s->capat = nshape;
        s->at = xrealloc(s->at, nshape * sizeof *s->at);
        s->atcol = xrealloc(s->atcol, nshape * sizeof *s->atcol);
    }
    memset(s->at, -1, nshape * sizeof *s->at);
    if (s->col >= 0)
        have_leaf = ix_leaf_rows(sc->seg, s->col, &lr);
    if (s->mapcol >= 0)
        have_map = ix_map_rows(sc->seg, s->mapcol, &mr);
    codes_reset(s, have_map ? ix_dict_count(sc->seg, s->mapcol)
                            : have_leaf ? ix_dict_count(sc->seg, s->col) : 0);
    for (uint32_t i = 0; i < rows; i++) {
        uint64_t sh = shape[i];
        uint8_t v = V_MAYBE;

        if (!mask[i])
            continue;
        if (sh >= nshape) {
            out[i] = V_MAYBE;
            continue;
        }
        if (s->at[sh] < 0) {
            int c;

            s->at[sh] = (int8_t)ix_shape_at(sc->seg, (enum ix_sec)l->sec, sh, l->keys, l->klen,
                                            l->nkeys, &c);
            s->atcol[sh] = c;
        }
        switch (s->at[sh]) {
        case IX_AT_NONE:
            v = s->on_null;
            break;
        case IX_AT_STR:
            if (have_leaf && !have_map && s->atcol[sh] == s->col && lr.code[i] >= 0)
                v = code_verdict(sc, l, s, s->col, (uint64_t)lr.code[i], false);
            break;
        case IX_AT_U64:
        case IX_AT_I64:
            if (have_leaf && s->atcol[sh] == s->col && lr.num[i] >= 0) {
                uint64_t u = lr.nums[lr.num[i]];
                int64_t x = s->at[sh] == IX_AT_U64 ? num_u(u)
                            : (u & 1) ? (int64_t)~(u >> 1) : (int64_t)(u >> 1);

                v = num_verdict(sc, l, x);
            }
            break;
        case IX_AT_MAP:
            if (have_map && s->atcol[sh] == s->mapcol && mr.map[i] >= 0) {
                uint64_t m = (uint64_t)mr.map[i], first = mr.first[m], np = mr.pairs[m];
                unsigned exact = 0, folded = 0, odd = 0;
                uint64_t ve = 0, vf = 0;

                for (uint64_t k = first; k < first + np; k++) {
                    uint8_t cls = mr.name[k] < s->capname ? s->name[mr.name[k]] : 3;

                    exact += cls == 1;
                    folded += cls == 2;
                    odd += cls == 3;
                    if (cls == 1)
                        ve = mr.value[k];
                    else if (cls == 2)
                        vf = mr.value[k];
                }
                /* a name twice, in one case or in two, is one value joined in the JSON */
                if (odd == 0 && exact + folded == 1)
                    v = code_verdict(sc, l, s, s->mapcol, exact ? ve : vf, false);
                else if (odd == 0 && exact + folded == 0)
                    v = s->on_null;
            }
            break;
        default:
            break;
        }
        out[i] = v;
    }
}

/* Leaf verdicts for the rows in mask (others are left as they are). */
static void leaf_rows(struct q_plan_scan *sc, size_t li, uint32_t rows, const uint8_t *mask,
                      uint8_t *out)
{
    const struct qp_leaf *l = &sc->p->leaf[li];
    struct leaf_state *s = &sc->ls[li];
    const uint64_t *u, *rq, *rs, *fl;

    switch (l->src) {
    case QPS_PROTO:
        u = ix_col_u64(sc->seg, s->col);
        for (uint32_t i = 0; i < rows; i++) {
            /* the record keeps a byte; past the known ones it reads as tcp (ent_proto_info) */
            uint8_t p = u ? (uint8_t)u[i] : 0;

            if (mask[i])
                out[i] = !u ? V_MAYBE : s->proto[p < ENT_PROTO_COUNT ? p : ENT_TCP];
        }
        return;
    case QPS_U:
        u = s->col >= 0 ? ix_col_u64(sc->seg, s->col) : NULL;
        for (uint32_t i = 0; i < rows; i++) {
            if (mask[i])
                out[i] = !u ? V_MAYBE : num_verdict(sc, l, num_u(u[i] & l->width));
        }
        return;
    case QPS_TIMESTAMP:
    case QPS_ELAPSED_MS:
    case QPS_ELAPSED_US:
        rq = ix_col_u64(sc->seg, sc->c_req);
        rs = ix_col_u64(sc->seg, sc->c_resp);
        fl = sc->c_flags >= 0 ? ix_col_u64(sc->seg, sc->c_flags) : NULL;
        for (uint32_t i = 0; i < rows; i++) {
            uint64_t a, b;

            if (!mask[i])
                continue;
            if (!rq || !rs || (l->src == QPS_ELAPSED_US && !fl)) {
                out[i] = V_MAYBE;
                continue;
            }
            a = rq[i];
            b = rs[i];
            if (l->src == QPS_TIMESTAMP) {
                out[i] = num_verdict(sc, l, num_u((a ? a : b) / 1000000));
            } else if (l->src == QPS_ELAPSED_MS) {
                out[i] = num_verdict(sc, l, num_u(a && b > a ? (b - a) / 1000000 : 0));
            } else {
                /* times.request and times.response: null unless seen (and non-zero) */
                a = fl[i] & ENT_F_REQ ? a : 0;
                b = fl[i] & ENT_F_RESP ? b : 0;
                if (a > INT64_MAX || b > INT64_MAX)
                    out[i] = V_MAYBE;   /* the JSON clamps them */
                else if (a && b && b >= a)
                    out[i] = num_verdict(sc, l, (int64_t)((b - a) / 1000));
                else
                    out[i] = s->on_null;
            }
        }
        return;
    case QPS_NAME:
    case QPS_NAME_OPT:
        u = s->col >= 0 ? ix_col_codes(sc->seg, s->col) : NULL;
        if (!u) {
            memset(out, V_MAYBE, rows);
            return;
        }
        codes_reset(s, ix_dict_count(sc->seg, s->col));
        for (uint32_t i = 0; i < rows; i++) {
            if (mask[i])
                out[i] = code_verdict(sc, l, s, s->col, u[i], l->src == QPS_NAME_OPT);
        }
        return;
    default:
        leaf_sec(sc, l, s, rows, mask, out);
        return;
    }
}

/*
 * A failed side (V_ERR: a regex that gave up) leaves the answer to the other,
 * as eval() does: false and x is false, true or x is true; a row still in
 * question goes to eval(), which decides it the same way.
 */
static uint8_t and3(uint8_t a, uint8_t b)
{
    if (a == V_NO || b == V_NO)
        return V_NO;
    if (a == V_MAYBE || b == V_MAYBE)
        return V_MAYBE;
    return a == V_YES && b == V_YES ? V_YES : V_ERR;
}

static uint8_t or3(uint8_t a, uint8_t b)
{
    if (a == V_YES || b == V_YES)
        return V_YES;
    if (a == V_MAYBE || b == V_MAYBE)
        return V_MAYBE;
    return a == V_NO && b == V_NO ? V_NO : V_ERR;
}

static uint8_t not3(uint8_t a)
{
    return a == V_YES ? V_NO : a == V_NO ? V_YES : a;
}

/*
 * Verdicts of node i for the rows in mask, into its scratch. The second operand
 * of and/or is only evaluated for the rows the first leaves open, so a regex
 * runs on the values of the rows still in question.
 */
static const uint8_t *eval_node(struct q_plan_scan *sc, size_t i, uint32_t rows,
                                const uint8_t *mask)
{
    const struct qp_node *n = &sc->p->node[i];
    uint8_t *out = sc->res + i * IX_BLOCK_ROWS, *m2 = sc->mask + i * IX_BLOCK_ROWS;
    const uint8_t *a, *b;

    switch (n->kind) {
    case QPN_AND:
    case QPN_OR:
        a = eval_node(sc, n->a, rows, mask);
        for (uint32_t r = 0; r < rows; r++)
            m2[r] = mask[r] && a[r] != (n->kind == QPN_AND ? V_NO : V_YES);
        b = eval_node(sc, n->b, rows, m2);
        for (uint32_t r = 0; r < rows; r++)
            out[r] = !m2[r] ? a[r] : n->kind == QPN_AND ? and3(a[r], b[r]) : or3(a[r], b[r]);
        return out;
    case QPN_NOT:
        a = eval_node(sc, n->a, rows, mask);
        for (uint32_t r = 0; r < rows; r++)
            out[r] = not3(a[r]);
        return out;
    case QPN_LEAF:
        leaf_rows(sc, n->leaf, rows, mask, out);
        return out;
    case QPN_CONST:
        memset(out, n->value, rows);
        return out;
    default:
        memset(out, V_MAYBE, rows);
        return out;
    }
}

/* ----------------------------------------------------------------- zones */

/* What a leaf's zone maps say of every row of block b: V_NO, V_YES or V_MAYBE. */
static uint8_t zone_leaf(struct q_plan_scan *sc, size_t li, uint32_t b)
{
    const struct qp_leaf *l = &sc->p->leaf[li];
    const struct leaf_state *s = &sc->ls[li];
    uint64_t lo, hi;
    int64_t x, y;
    int rx, ry;
    bool all_yes = true, any_yes = false;

    if (l->src == QPS_PROTO) {
        if (s->col < 0 || !ix_block_zone(sc->seg, b, s->col, &lo, &hi) || hi > UINT8_MAX)
            return V_MAYBE;
        /* protocol numbers past the known ones read as tcp (ent_proto_info) */
        for (uint64_t k = lo; k <= hi && k <= ENT_PROTO_COUNT; k++) {
            uint8_t v = s->proto[k < ENT_PROTO_COUNT ? k : ENT_TCP];

            any_yes |= v != V_NO;
            all_yes &= v == V_YES;
        }
        return !any_yes ? V_NO : all_yes ? V_YES : V_MAYBE;
    }
    if (!l->cmp)
        return V_MAYBE;
    if (l->src == QPS_U) {
        if (s->col < 0 || !ix_block_zone(sc->seg, b, s->col, &lo, &hi) || hi > l->width)
            return V_MAYBE;
        x = num_u(lo);
        y = num_u(hi);
    } else if (l->src == QPS_TIMESTAMP) {
        ix_block_time(sc->seg, b, &lo, &hi);
        if (lo == 0 || hi < lo)
            return V_MAYBE;
        x = num_u(lo / 1000000);
        y = num_u(hi / 1000000);
    } else {
        return V_MAYBE;
    }
    /* every value of the block lies in [x, y]; rx, ry: their order against the number */
    rx = order_k(x, l);
    ry = order_k(y, l);
    switch (l->op) {
    case QE_EQ:
        return rx > 0 || ry < 0 ? V_NO : x == y ? V_YES : V_MAYBE;
    case QE_LT:
        return rx >= 0 ? V_NO : ry < 0 ? V_YES : V_MAYBE;
    case QE_LE:
        return rx > 0 ? V_NO : ry <= 0 ? V_YES : V_MAYBE;
    case QE_GT:
        return ry <= 0 ? V_NO : rx > 0 ? V_YES : V_MAYBE;
    default:
        return ry < 0 ? V_NO : rx >= 0 ? V_YES : V_MAYBE;
    }
}

static uint8_t zone_node(struct q_plan_scan *sc, size_t i, uint32_t b)
{
    const struct qp_node *n = &sc->p->node[i];

    switch (n->kind) {
    case QPN_AND:
        return and3(zone_node(sc, n->a, b), zone_node(sc, n->b, b));
    case QPN_OR:
        return or3(zone_node(sc, n->a, b), zone_node(sc, n->b, b));
    case QPN_NOT:
        return not3(zone_node(sc, n->a, b));
    case QPN_LEAF:
        return zone_leaf(sc, n->leaf, b);
    case QPN_CONST:
        return n->value;
    default:
        return V_MAYBE;
    }
}

int q_plan_scan_block(struct q_plan_scan *sc, uint32_t b, uint8_t *verdict, bool *skipped,
                      struct diag *d)
{
    uint32_t rows = ix_block_rows(sc->seg, b);
    const uint8_t *res;
    int rc;

    *skipped = false;
    sc->st.blocks++;
    if (zone_node(sc, sc->p->root, b) == V_NO) {
        *skipped = true;
        sc->st.blocks_skipped++;
        return 0;
    }
    rc = ix_block_load(sc->seg, b, sc->cols, sc->ncols, d);
    if (rc < 0)
        return rc;
    memset(sc->mask + sc->p->nnode * IX_BLOCK_ROWS, 1, rows);
    res = eval_node(sc, sc->p->root, rows, sc->mask + sc->p->nnode * IX_BLOCK_ROWS);
    sc->st.rows += rows;
    for (uint32_t i = 0; i < rows; i++) {
        uint8_t v = res[i] == V_NO ? Q_ROW_NO : res[i] == V_YES ? Q_ROW_YES : Q_ROW_MAYBE;

        verdict[i] = v;
        sc->st.rows_no += v == Q_ROW_NO;
        sc->st.rows_yes += v == Q_ROW_YES;
        sc->st.rows_maybe += v == Q_ROW_MAYBE;
    }
    return 0;
}

void q_plan_stats_add(const struct q_plan_scan *sc, struct q_plan_stats *sum)
{
    sum->blocks += sc->st.blocks;
    sum->blocks_skipped += sc->st.blocks_skipped;
    sum->rows += sc->st.rows;
    sum->rows_no += sc->st.rows_no;
    sum->rows_yes += sc->st.rows_yes;
    sum->rows_maybe += sc->st.rows_maybe;
    sum->distinct_evals += sc->st.distinct_evals;
    sum->row_evals += sc->st.row_evals;
}
