/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: KFL's evaluator: a checked query (compile.c) against one entry.
 *
 * Values are borrowed from the entry's JSON or the query; numbers shown as
 * text go to a small ring in the context, lists (an alias over an array,
 * such as dns_questions) to the context's list scratch: matching an entry
 * allocates nothing but what json() parses. Semantics (docs/KFL.md):
 *   - a missing field is null: == is false (but null == null), != is true,
 *     ordering is false;
 *   - == between a number and a numeric string compares numbers; strings
 *     compare byte for byte; a regex is an unanchored search of the text;
 *   - a list compares element by element: true when one element does;
 *   - as a condition, a value is true unless it is false or null.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/diag.h"
#include "base/limits.h"
#include "base/numfmt.h"
#include "base/xalloc.h"
#include "compress/compress.h"
#include "entry/entry.h"
#include "json/json.h"
#include "query_eval.h"
#include "streamvault.h"

struct q_ctx *q_ctx_new(void)
{
    struct q_ctx *c = xcalloc(1, sizeof *c);

    c->md = q_match_data_new();
    return c;
}

/* n bytes of text that stay put until the next entry; NULL past Q_SCRATCH. */
static char *scratch(struct q_ctx *c, size_t n)
{
    if (n > Q_SCRATCH)
        return NULL;
    if (c->nchunk == 0 || c->used + n > Q_SCRATCH) {
        if (c->nchunk > 0)
            c->curchunk++;
        if (c->curchunk == c->nchunk) {
            c->chunk = xrealloc(c->chunk, (c->nchunk + 1) * sizeof *c->chunk);
            c->chunk[c->nchunk++] = xmalloc(Q_SCRATCH);
        }
        c->used = 0;
    }
    c->used += n;
    return c->chunk[c->curchunk] + c->used - n;
}

static void release_owned(struct q_ctx *c)
{
    for (size_t i = 0; i < c->nowned; i++)
        jv_free(c->owned[i]);
    c->nowned = 0;
    for (size_t i = 0; i < c->nbodies; i++)
        free(c->bodies[i]);
    c->nbodies = 0;
    c->body_of[0] = c->body_of[1] = NULL;
}

void q_ctx_free(struct q_ctx *c)
{
    if (!c)
        return;
    release_owned(c);
    for (size_t i = 0; i < c->nchunk; i++)
        free(c->chunk[i]);
    free(c->chunk);
    free(c->owned);
    free(c->bodies);
    free(c->list);
    q_match_data_free(c->md);
    free(c);
}

static struct qv from_json(const struct jv *j)
{
    struct qv v = { 0 };
    const char *s;
    double d;
    bool b;

    if (!j || jv_is_null(j))
        return v;
    if ((s = jv_as_strn(j, &v.len))) {
        v.t = QV_STR;
        v.s = s;
    } else if (jv_as_bool(j, &b)) {
        v.t = QV_BOOL;
        v.b = b;
    } else if (jv_as_num(j, &d)) {
        v.t = QV_NUM;
        v.n = d;
        v.j = j;    /* the number as the entry has it: nanosecond times need all 64 bits */
        v.isint = jv_as_i64(j, &v.i);
    } else {
        v.t = QV_JSON;
        v.j = j;
    }
    return v;
}

/* An object's member: exactly, else without regard to case (HTTP header names). */
static const struct jv *member(const struct jv *o, const char *key)
{
    const struct jv *v = jv_get(o, key);
    void *it = NULL;
    const char *k;
    struct jv *x;

    if (v || !jv_is_obj(o))
        return v;
    while (jv_obj_next(o, &it, &k, &x)) {
        if (strcasecmp(k, key) == 0)
            return x;
    }
    return NULL;
}

/*
 * member() of a key of n bytes, which need not end in a NUL (lower() and
 * upper() write into scratch): none when it holds a NUL byte, which no
 * JSON key of an entry does.
 */
static const struct jv *member_n(struct q_ctx *c, const struct jv *o, const char *key, size_t n)
{
    const struct jv *v;
    char *z, *own = NULL;

    if (memchr(key, 0, n))
        return NULL;
    z = n < Q_SCRATCH ? scratch(c, n + 1) : NULL;
    if (!z)
        z = own = xmalloc(n + 1);   /* a long key of a json() body */
    memcpy(z, key, n);
    z[n] = 0;
    v = member(o, z);
    free(own);
    return v;
}

static void list_push(struct q_ctx *c, struct qv v)
{
    xgrow((void **)&c->list, &c->caplist, c->nlist + 1, sizeof *c->list);
    c->list[c->nlist++] = v;
}

/* Follows steps[i..] from j; every value reached goes to the list (when each) or *out. */
static void walk(struct q_ctx *c, const struct jv *j, const struct q_step *st, size_t n,
                 bool *each, struct qv *out)
{
    for (; n > 0 && j; st++, n--) {
        if (st->kind == QS_KEY) {
            j = jv_is_obj(j) ? member(j, st->key) : NULL;
        } else if (st->kind == QS_NONE) {
            j = NULL;
        } else if (st->kind == QS_INDEX) {
            int64_t len = (int64_t)jv_len(j), k = st->index < 0 ? len + st->index : st->index;

            j = jv_is_arr(j) && k >= 0 && k < len ? jv_at(j, (size_t)k) : NULL;
        } else {
            void *it = NULL;
            const char *key;
            struct jv *x;

            *each = true;
            for (size_t k = 0; jv_is_arr(j) && k < jv_len(j); k++) {
                struct qv v = { 0 };

                walk(c, jv_at(j, k), st + 1, n - 1, each, &v);
                if (v.t != QV_NULL && v.t != QV_LIST)
                    list_push(c, v);
            }
            while (jv_obj_next(j, &it, &key, &x)) {
                struct qv v = { 0 };

                walk(c, x, st + 1, n - 1, each, &v);
                if (v.t != QV_NULL && v.t != QV_LIST)
                    list_push(c, v);
            }
            return;
        }
    }
    *out = from_json(j);
}

/* The value steps reach from j (a list when they hold "[]"). */
static struct qv walk_value(struct q_ctx *c, const struct jv *j, const struct q_step *st,
                            size_t n)
{
    struct qv v = { 0 };
    bool each = false;
    size_t first = c->nlist;

    walk(c, j, st, n, &each, &v);
    if (each) {
        v.t = QV_LIST;
        v.first = (uint32_t)first;
        v.count = (uint32_t)(c->nlist - first);
    }
    return v;
}

/*
 * Steps from a value rather than from JSON: an index picks an element of
 * a list (from its end when negative); a JSON value is walked; anything
 * else reached by a step is null.
 */
static struct qv step_value(struct q_ctx *c, struct qv v, const struct q_step *st, size_t n)
{
    for (; n > 0; st++, n--) {
        if (v.t == QV_JSON)
            return walk_value(c, v.j, st, n);
        if (v.t == QV_LIST && st->kind == QS_INDEX) {
            int64_t k = st->index < 0 ? (int64_t)v.count + st->index : st->index;
            struct qv none = { 0 };

            v = k >= 0 && k < (int64_t)v.count ? c->list[v.first + (size_t)k] : none;
        } else {
            return (struct qv){ 0 };
        }
    }
    return v;
}

static struct qv path_value(struct q_ctx *c, const struct jv *root, const struct qe *e)
{
    struct qv v = walk_value(c, root, e->steps, e->nsteps - e->npost);

    return e->npost ? step_value(c, v, e->steps + e->nsteps - e->npost, e->npost) : v;
}

/* The text of a scalar (numbers formatted into the context's ring); false for others. */
static bool text_of(struct q_ctx *c, const struct qv *v, const char **s, size_t *n)
{
    char *b;

    switch (v->t) {
    case QV_STR:
        *s = v->s;
        *n = v->len;
        return true;
    case QV_NUM:
        b = scratch(c, 32);
        if (v->isint)
            snprintf(b, 32, "%lld", (long long)v->i);
        else
            q_num_text(b, 32, v->n);
        *s = b;
        *n = strlen(b);
        return true;
    case QV_BOOL:
        *s = v->b ? "true" : "false";
        *n = strlen(*s);
        return true;
    default:
        return false;
    }
}

/*
 * A string that is a whole decimal number: [-+]digits[.digits][e[-+]digits]
 * and nothing else, as a number (*out; exact when it is an integer that
 * int64 holds). strtod alone would also take "nan", "inf", "0x1p3" and
 * leading blanks, and a captured "NaN" would then equal every number.
 */
static bool str_num(const struct qv *v, struct qv *out)
{
    char buf[64], *end;
    size_t i = 0, digits = 0;
    const char *p = v->s;
    bool integer;

    if (v->t != QV_STR || v->len == 0 || v->len >= sizeof buf)
        return false;
    if (p[i] == '-' || p[i] == '+')
        i++;
    for (; i < v->len && p[i] >= '0' && p[i] <= '9'; i++)
        digits++;
    integer = i == v->len && digits > 0;
    if (digits == 0)
        return false;       /* ".5" is no number (KFL.md: digits [. digits]) */
    if (i < v->len && p[i] == '.') {
        size_t f0 = ++i;

        for (; i < v->len && p[i] >= '0' && p[i] <= '9'; i++)
            ;
        if (i == f0)
            return false;   /* nor is "5." */
    }
    if (i < v->len && (p[i] == 'e' || p[i] == 'E')) {
        size_t e0;

        i++;
        if (i < v->len && (p[i] == '-' || p[i] == '+'))
            i++;
        for (e0 = i; i < v->len && p[i] >= '0' && p[i] <= '9'; i++)
            ;
        if (i == e0)
            return false;
    }
    if (i != v->len)
        return false;
    memcpy(buf, v->s, v->len);
    buf[v->len] = 0;
    memset(out, 0, sizeof *out);
    out->t = QV_NUM;
    if (integer) {
        long long ll;

        errno = 0;
        ll = strtoll(buf, &end, 10);
        if (errno == 0 && *end == 0) {
            *out = q_int((int64_t)ll);
            return true;
        }
    }
    out->n = strtod(buf, &end);
    return *end == 0;
}

int q_num_cmp(bool ai, int64_t a, double ad, bool bi, int64_t b, double bd)
{
    long double x, y;

    if (ai && bi)
        return (a > b) - (a < b);
    if ((!ai && isnan(ad)) || (!bi && isnan(bd)))
        return 2;
    /* a long double holds every int64 and every double: the order is exact */
    x = ai ? (long double)a : (long double)ad;
    y = bi ? (long double)b : (long double)bd;
    return (x > y) - (x < y);
}

void q_num_text(char *b, size_t n, double d)
{
    if (isnan(d)) {
        snprintf(b, n, "NaN");
    } else if (isinf(d)) {
        snprintf(b, n, "%s", d > 0 ? "Infinity" : "-Infinity");
    } else if (d > -9007199254740992.0 && d < 9007199254740992.0 && d == trunc(d)) {
        snprintf(b, n, "%.0f", d);
    } else {
        numfmt_shortest(b, n, d);
    }
}

int q_num_order(const struct qv *a, const struct qv *b)
{
    return q_num_cmp(a->isint, a->i, a->n, b->isint, b->i, b->n);
}

struct qv q_num_arith(bool add, const struct qv *a, const struct qv *b)
{
    struct qv v = { .t = QV_NUM };
    int64_t r;

    if (a->isint && b->isint &&
        !(add ? __builtin_add_overflow(a->i, b->i, &r) : __builtin_sub_overflow(a->i, b->i, &r)))
        return q_int(r);
    v.n = add ? a->n + b->n : a->n - b->n;
    return v;
}

/* needle (m bytes) occurs in hay (n bytes); the empty needle everywhere. */
static bool has_sub(const char *hay, size_t n, const char *needle, size_t m)
{
    if (m == 0)
        return true;
    for (size_t i = 0; i + m <= n; i++) {
        if (hay[i] == needle[0] && memcmp(hay + i, needle, m) == 0)
            return true;
    }
    return false;
}

static bool truthy(const struct qv *v)
{
    return !(v->t == QV_NULL || (v->t == QV_BOOL && !v->b));
}

static int eval(const struct q_query *q, struct q_ctx *c, const struct jv *root,
                const struct qe *e, struct qv *out, struct q_error *err);

/* The elements of a list or of an entry's array (anomalies, request.alpn); 0 for others. */
static size_t elements(const struct qv *l)
{
    return l->t == QV_LIST ? l->count : l->t == QV_JSON ? jv_len(l->j) : 0;
}

static struct qv element(const struct q_ctx *c, const struct qv *l, size_t i)
{
    return l->t == QV_LIST ? c->list[l->first + i] : from_json(jv_at(l->j, i));
}

static bool is_listy(const struct qv *v)
{
    return v->t == QV_LIST || (v->t == QV_JSON && jv_is_arr(v->j));
}

/*
 * a op b for two values (op one of QE_EQ .. QE_GE). A list, or an entry's
 * array against a value that is not JSON: true when it holds for an element
 * (!=: for none).
 */
static bool compare(struct q_ctx *c, uint8_t op, const struct qv *a, const struct qv *b)
{
    struct qv x, y;
    int r;

    if (a->t == QV_LIST || b->t == QV_LIST ||
        ((a->t == QV_JSON) != (b->t == QV_JSON) && (is_listy(a) || is_listy(b)))) {
        bool left = a->t == QV_LIST || (a->t == QV_JSON && b->t != QV_LIST);
        const struct qv *l = left ? a : b, *o = left ? b : a;
        uint8_t eop = op == QE_NE ? QE_EQ : op;
        bool any = false;

        for (size_t i = 0; i < elements(l) && !any; i++) {
            struct qv el = element(c, l, i);

            any = left ? compare(c, eop, &el, o) : compare(c, eop, o, &el);
        }
        return op == QE_NE ? !any : any;
    }
    if (a->t == QV_NULL || b->t == QV_NULL) {
        bool both = a->t == b->t;

        return op == QE_EQ ? both : op == QE_NE ? !both : false;
    }
    if ((a->t == QV_NUM || str_num(a, &x)) && (b->t == QV_NUM || str_num(b, &y)) &&
        (a->t == QV_NUM || b->t == QV_NUM)) {
        r = q_num_order(a->t == QV_NUM ? a : &x, b->t == QV_NUM ? b : &y);
        if (r == 2)
            return op == QE_NE;     /* NaN (1e999 - 1e999): equal to nothing, never ordered */
    } else if (a->t == QV_STR && b->t == QV_STR) {
        size_t m = a->len < b->len ? a->len : b->len;

        r = memcmp(a->s, b->s, m);
        r = r ? (r > 0) - (r < 0) : (a->len > b->len) - (a->len < b->len);
    } else if (a->t == QV_BOOL && b->t == QV_BOOL) {
        if (op != QE_EQ && op != QE_NE)
            return false;
        r = a->b != b->b;
    } else if (a->t == QV_JSON && b->t == QV_JSON) {
        if (op != QE_EQ && op != QE_NE)
            return false;
        r = !jv_equal(a->j, b->j);      /* by value, as two strings are */
    } else {
        return op == QE_NE;     /* different kinds: never equal, never ordered */
    }
    switch (op) {
    case QE_EQ: return r == 0;
    case QE_NE: return r != 0;
    case QE_LT: return r < 0;
    case QE_LE: return r <= 0;
    case QE_GT: return r > 0;
    default: return r >= 0;
    }
}

static int regex_on(const struct qe *e, struct q_ctx *c, const struct qv *v, bool *hit,
                    struct q_error *err)
{
    const char *s;
    size_t n;
    int rc;

    *hit = false;
    if (is_listy(v)) {
        for (size_t i = 0; i < elements(v) && !*hit; i++) {
            struct qv el = element(c, v, i);

            rc = regex_on(e, c, &el, hit, err);
            if (rc < 0)
                return rc;
        }
        return 0;
    }
    if (!text_of(c, v, &s, &n))
        return 0;
    rc = q_regex_search(e->re, c->md, s, n);
    if (rc < 0) {
        err->code = SV_ELIMIT;
        err->pos = e->pos;
        err->end = e->end;
        snprintf(err->msg, sizeof err->msg,
                 "regex r\"%.64s\" gave up on a value: too much backtracking (match limit)",
                 e->re_text);
        return rc;
    }
    *hit = rc == 1;
    return 0;
}

/* RFC 4648 base64 text to bytes (malloc'd, NUL after them); NULL when it is not base64. */
static char *unbase64(const char *s, size_t n, size_t *outn)
{
    char *out = xmalloc(n / 4 * 3 + 4);
    uint32_t acc = 0;
    size_t k = 0, bits = 0;

    for (size_t i = 0; i < n; i++) {
        int v;
        char ch = s[i];

        if (ch == '=')
            break;
        v = ch >= 'A' && ch <= 'Z' ? ch - 'A' : ch >= 'a' && ch <= 'z' ? ch - 'a' + 26
          : ch >= '0' && ch <= '9' ? ch - '0' + 52 : ch == '+' ? 62 : ch == '/' ? 63 : -1;
        if (v < 0) {
            free(out);
            return NULL;
        }
        acc = acc << 6 | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[k++] = (char)(acc >> bits);
        }
    }
    out[k] = '\0';
    *outn = k;
    return out;
}

static void hold_body(struct q_ctx *c, char *p)
{
    xgrow((void **)&c->bodies, &c->capbodies, c->nbodies + 1, sizeof *c->bodies);
    c->bodies[c->nbodies++] = p;
}

/*
 * A kept body's text (base64 in the entry's JSON, e its path) as the body's
 * content: its bytes, with the gzip or deflate content coding its section's
 * Content-Encoding names undone (at most LIM_BODY_DECODED bytes; a body kept
 * in part decodes in part), held till the next entry.
 */
static void body_value(struct q_ctx *c, const struct jv *root, const struct qe *e, struct qv *v)
{
    int sec = strcmp(e->steps[0].key, "request") != 0;
    const struct jv *ce;
    const char *coding, *b64 = v->s;
    size_t n, cn, dn;
    char *raw, *dec;

    if (v->t != QV_STR)
        return;
    if (c->body_of[sec] == b64) {
        *v = c->body_as[sec];
        return;
    }
    raw = unbase64(v->s, v->len, &n);
    if (!raw)
        return;
    hold_body(c, raw);
    v->s = raw;
    v->len = n;
    ce = member(member(member(root, e->steps[0].key), "headers"), "Content-Encoding");
    coding = ce ? jv_as_strn(ce, &cn) : NULL;
    if (coding && (dec = comp_content_decode(coding, cn, raw, n, LIM_BODY_DECODED, &dn))) {
        hold_body(c, dec);
        v->s = dec;
        v->len = dn;
    }
    c->body_of[sec] = b64;
    c->body_as[sec] = *v;
}

/*
 * json(x): x parsed as JSON (a kept body's text is already its bytes:
 * body_value); a string that is not JSON but base64 of it is decoded first.
 */
static struct qv json_of(struct q_ctx *c, const struct qv *x)
{
    struct qv v = { 0 };
    struct jv *j = NULL;
    struct diag d;
    char *raw;
    size_t rn;

    if (x->t == QV_JSON)
        return *x;
    if (x->t != QV_STR)
        return v;
    if (jv_parse_value(x->s, x->len, "json()", &j, &d) < 0) {
        raw = unbase64(x->s, x->len, &rn);
        if (!raw || jv_parse_value(raw, rn, "json()", &j, &d) < 0)
            j = NULL;
        free(raw);
    }
    if (!j)
        return v;
    xgrow((void **)&c->owned, &c->capowned, c->nowned + 1, sizeof *c->owned);
    c->owned[c->nowned++] = j;
    return from_json(j);
}

static int call(const struct q_query *q, struct q_ctx *c, const struct jv *root,
                const struct qe *e, struct qv *out, struct q_error *err)
{
    struct qv x, y = { 0 };
    const char *s, *t;
    size_t n, m;
    int rc = eval(q, c, root, e->kid[0], &x, err);

    memset(out, 0, sizeof *out);
    if (rc == 0 && e->nkid > 1 && e->fn != QF_MATCHES)
        rc = eval(q, c, root, e->kid[1], &y, err);
    if (rc < 0)
        return rc;
    switch (e->fn) {
    case QF_MAP_GET: {
        const struct jv *v = NULL;

        if (x.t == QV_JSON && jv_is_obj(x.j) && text_of(c, &y, &t, &m))
            v = member_n(c, x.j, t, m);
        if (v) {
            *out = from_json(v);
            return 0;
        }
        return eval(q, c, root, e->kid[2], out, err);
    }
    case QF_STARTS:
    case QF_ENDS:
        out->t = QV_BOOL;
        if (text_of(c, &x, &s, &n) && text_of(c, &y, &t, &m) && m <= n)
            out->b = memcmp(e->fn == QF_STARTS ? s : s + n - m, t, m) == 0;
        return 0;
    case QF_CONTAINS:
        out->t = QV_BOOL;
        if (is_listy(&x)) {
            out->b = compare(c, QE_EQ, &x, &y);     /* an element equals y */
        } else if (text_of(c, &x, &s, &n) && text_of(c, &y, &t, &m)) {
            out->b = has_sub(s, n, t, m);
        }
        return 0;
    case QF_MATCHES:
        out->t = QV_BOOL;
        return regex_on(e, c, &x, &out->b, err);
    case QF_SIZE:
        if (x.t == QV_STR)
            *out = q_int((int64_t)x.len);
        else if (x.t == QV_LIST)
            *out = q_int(x.count);
        else if (x.t == QV_JSON)
            *out = q_int((int64_t)(jv_is_obj(x.j) ? jv_obj_len(x.j) : jv_len(x.j)));
        return 0;
    case QF_JSON:
        *out = json_of(c, &x);
        return 0;
    default: { /* QF_LOWER, QF_UPPER: up to Q_SCRATCH bytes; longer ones as they are */
        char *b = x.t == QV_STR ? scratch(c, x.len) : NULL;

        if (!b) {
            *out = x;
            return 0;
        }
        for (size_t i = 0; i < x.len; i++)
            b[i] = (char)(e->fn == QF_LOWER ? tolower((unsigned char)x.s[i])
                                            : toupper((unsigned char)x.s[i]));
        out->t = QV_STR;
        out->s = b;
        out->len = x.len;
        return 0;
    }
    }
}

/* A list literal: its elements go to the list scratch after what their own values put there. */
static int __attribute__((noinline)) list_value(const struct q_query *q, struct q_ctx *c,
                                                const struct jv *root, const struct qe *e,
                                                struct qv *out, struct q_error *err)
{
    struct qv stack[64], *tmp = stack;
    size_t n = e->nkid;
    int rc = 0;

    /* a long list (the query's node cap bounds it) is held on the heap */
    if (n > sizeof stack / sizeof *stack)
        tmp = xmalloc(n * sizeof *tmp);
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = eval(q, c, root, e->kid[i], &tmp[i], err);
    if (rc == 0) {
        out->t = QV_LIST;
        out->first = (uint32_t)c->nlist;
        for (size_t i = 0; i < n; i++)
            list_push(c, tmp[i]);
        out->count = (uint32_t)n;
    }
    if (tmp != stack)
        free(tmp);
    return rc;
}

/* The entry's protocol, from protocol.abbr and protocol.layer4. */
static int entry_proto(const struct jv *root)
{
    static const struct { const char *abbr; int p; } map[] = {
        { "HTTP", ENT_HTTP1 }, { "HTTP/2", ENT_HTTP2 }, { "gRPC", ENT_GRPC }, { "DNS", ENT_DNS },
        { "TLS", ENT_TLS }, { "REDIS", ENT_REDIS }, { "KAFKA", ENT_KAFKA }, { "AMQP", ENT_AMQP },
        { "TCP", ENT_TCP }, { "UDP", ENT_UDP },
    };
    const char *a = jv_get_str(jv_get(root, "protocol"), "abbr");

    for (size_t i = 0; a && i < sizeof map / sizeof *map; i++) {
        if (strcasecmp(a, map[i].abbr) == 0)
            return map[i].p;
    }
    return -1;
}

static int eval(const struct q_query *q, struct q_ctx *c, const struct jv *root,
                const struct qe *e, struct qv *out, struct q_error *err)
{
    struct qv a, b;
    int rc;

    memset(out, 0, sizeof *out);
    if (e == c->subst) {
        *out = c->subst_v;
        return 0;
    }
    switch (e->kind) {
    case QE_CONST:
        *out = e->v;
        return 0;
    case QE_PATH:
        *out = path_value(c, root, e);
        if (e->body)
            body_value(c, root, e, out);
        return 0;
    case QE_SUBPATH:
        rc = eval(q, c, root, e->kid[0], &a, err);
        if (rc < 0)
            return rc;
        /* a JSON value is walked; a list ([1, 2][0]) is indexed */
        *out = step_value(c, a, e->steps, e->nsteps);
        return 0;
    case QE_PROTO: {
        int p = entry_proto(root);

        out->t = QV_BOOL;
        out->b = p >= 0 && (e->mask >> p & 1);
        return 0;
    }
    case QE_ELAPSED_US: {
        const struct jv *t = jv_get(root, "times");
        uint64_t rq, rs;

        if (jv_get_u64(t, "request", &rq) && jv_get_u64(t, "response", &rs) && rs >= rq)
            *out = q_int((int64_t)((rs - rq) / 1000));
        return 0;
    }
    case QE_NOT:
        rc = eval(q, c, root, e->kid[0], &a, err);
        out->t = QV_BOOL;
        out->b = !truthy(&a);
        return rc;
    case QE_NEG:
        rc = eval(q, c, root, e->kid[0], &a, err);
        if (rc == 0 && a.t == QV_NUM && a.isint && a.i != INT64_MIN) {
            *out = q_int(-a.i);
        } else if (rc == 0 && a.t == QV_NUM) {
            out->t = QV_NUM;
            out->n = -a.n;      /* (an integer's n is its nearest double) */
        }
        return rc;
    case QE_ADD:
    case QE_SUB:
        rc = eval(q, c, root, e->kid[0], &a, err);
        if (rc == 0)
            rc = eval(q, c, root, e->kid[1], &b, err);
        if (rc == 0 && a.t == QV_NUM && b.t == QV_NUM)
            *out = q_num_arith(e->kind == QE_ADD, &a, &b);
        return rc;
    case QE_AND:
    case QE_OR: {
        struct q_error right;
        int rc2;

        rc = eval(q, c, root, e->kid[0], &a, err);
        out->t = QV_BOOL;
        out->b = e->kind == QE_OR;
        if (rc == 0 && truthy(&a) == out->b)
            return 0;
        /*
         * A side that failed (a regex that gave up) leaves the answer to the
         * other: false and x is false, true or x is true, whatever x is, as
         * the plan's zone maps would have it without running x at all.
         */
        rc2 = eval(q, c, root, e->kid[1], &b, rc < 0 ? &right : err);
        if (rc2 == 0 && truthy(&b) == out->b)
            return 0;
        if (rc < 0)
            return rc;
        out->b = truthy(&b);
        return rc2;
    }
    case QE_LIST:
        return list_value(q, c, root, e, out, err);
    case QE_CALL:
        return call(q, c, root, e, out, err);
    case QE_IN:
        rc = eval(q, c, root, e->kid[0], &a, err);
        if (rc == 0)
            rc = eval(q, c, root, e->kid[1], &b, err);
        out->t = QV_BOOL;
        if (rc < 0)
            return rc;
        if (is_listy(&b)) {
            out->b = compare(c, QE_EQ, &b, &a);     /* an element equals a */
        } else if (b.t == QV_JSON && jv_is_obj(b.j) && a.t == QV_STR) {
            out->b = member_n(c, b.j, a.s, a.len) != NULL;
        } else if (b.t == QV_STR && a.t == QV_STR) {
            out->b = has_sub(b.s, b.len, a.s, a.len);
        }
        return 0;
    default: /* comparisons */
        rc = eval(q, c, root, e->kid[0], &a, err);
        if (rc < 0)
            return rc;
        out->t = QV_BOOL;
        if (e->re) {
            rc = regex_on(e, c, &a, &out->b, err);
            if (e->kind == QE_NE)
                out->b = !out->b;   /* a missing field is != anything */
            return rc;
        }
        rc = eval(q, c, root, e->kid[1], &b, err);
        if (rc == 0)
            out->b = compare(c, e->kind, &a, &b);
        return rc;
    }
}

int q_eval_subst(const struct q_query *q, struct q_ctx *c, const struct qe *e,
                 const struct qe *ref, const struct qv *v, struct q_error *err)
{
    struct qv r;
    int rc;

    c->nlist = 0;
    c->curchunk = 0;
    c->used = 0;
    c->subst = ref;
    c->subst_v = *v;
    rc = eval(q, c, NULL, e, &r, err);
    c->subst = NULL;
    release_owned(c);
    if (rc < 0)
        return rc;
    return truthy(&r) ? 1 : 0;
}

static struct jv *to_json(const struct q_ctx *c, const struct qv *v)
{
    struct jv *a;

    switch ((enum qv_type)v->t) {
    case QV_NULL:
        break;
    case QV_BOOL:
        return jv_bool(v->b);
    case QV_NUM:
        if (v->j)
            return jv_copy(v->j);
        if (v->isint)
            return jv_i64(v->i);
        /* (the range first: a double past int64's is no int64 to cast to) */
        if (v->n >= -9007199254740992.0 && v->n <= 9007199254740992.0 &&
            v->n == (double)(int64_t)v->n)
            return jv_i64((int64_t)v->n);
        return jv_real(v->n);
    case QV_STR:
        return jv_strn(v->s, v->len);
    case QV_JSON:
        return jv_copy(v->j);
    case QV_LIST:
        a = jv_arr();
        for (uint32_t i = 0; i < v->count; i++)
            jv_push(a, to_json(c, &c->list[v->first + i]));
        return a;
    }
    return jv_null();
}

int q_value(const struct q_query *q, struct q_ctx *c, const struct jv *entry, struct jv **out,
            struct q_error *err)
{
    struct qv v = { 0 };
    int rc = 0;

    c->nlist = 0;
    c->curchunk = 0;
    c->used = 0;
    if (q->root)
        rc = eval(q, c, entry, q->root, &v, err);
    *out = rc < 0 ? NULL : to_json(c, &v);
    release_owned(c);
    return rc;
}

int q_match(const struct q_query *q, struct q_ctx *c, const struct jv *entry, struct q_error *err)
{
    struct qv v;
    int rc;

    if (!q->root)
        return 1;
    c->nlist = 0;
    c->curchunk = 0;
    c->used = 0;
    rc = eval(q, c, entry, q->root, &v, err);
    release_owned(c);
    if (rc < 0)
        return rc;
    return truthy(&v) ? 1 : 0;
}
