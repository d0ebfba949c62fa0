/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: KFL's semantic pass: the syntax tree checked against the entry
 * fields and turned into an evaluable tree (query_eval.h).
 *
 * Fields are paths into the entry's JSON (docs/ENTRIES.md): the first key
 * must be an entry field, a KFL2 flat name (an alias for a path) or a
 * protocol name; an unknown one is an error that suggests the nearest
 * known name. Functions are checked for their arguments; constant ones
 * (datetime, timestamp, now, seconds ... years) are folded to numbers; regex
 * literals are compiled here, once. limit(n) is taken from the top level.
 * Kubeshark's helpers that have no counterpart here (rlimit, leftOff,
 * redact, xml) are errors that say what to write instead.
 */
#include "config.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "base/timefmt.h"
#include "base/xalloc.h"
#include "entry/entry.h"
#include "query/plan.h"
#include "query_eval.h"
#include "streamvault.h"

#define MS_NS 1000000ull
/* Levels of and/or one query may chain (each costs the evaluator a stack frame). */
#define Q_MAX_CHAIN 1024u

/* ------------------------------------------------------------ the catalogue */

/* The entry's top-level fields (docs/ENTRIES.md). */
static const char *const top_fields[] = {
    "id", "index", "stream", "node", "protocol", "src", "dst", "namespace", "timestamp",
    "startTime", "elapsedTime", "request", "response", "requestSize", "responseSize",
    "anomalies", "times", "packets",
};

/* Their members, where the entry fixes them (request and response are the dissectors'). */
static const struct {
    const char *field;
    const char *const *keys;
} sub_fields[] = {
    { "node", (const char *const[]){ "name", "ip", NULL } },
    { "protocol", (const char *const[]){ "name", "version", "abbr", "longName", "layer4", NULL } },
    { "src", (const char *const[]){ "ip", "port", "name", "namespace", "pod", "service", "dns",
                                     NULL } },
    { "dst", (const char *const[]){ "ip", "port", "name", "namespace", "pod", "service", "dns",
                                     NULL } },
    { "times", (const char *const[]){ "request", "requestEnd", "response", "responseEnd", NULL } },
    { "packets", (const char *const[]){ "request", "response", "last", NULL } },
};

/* KFL2's flat names: each an alias for a path ("[]": every element of an array). */
static const struct {
    const char *name;
    const char *path;
} aliases[] = {
    { "status_code", "response.status" },
    { "method", "request.method" },
    { "path", "request.path" },
    { "url", "request.url" },
    { "grpc_method", "request.grpc.method" },
    { "grpc_service", "request.grpc.service" },
    { "grpc_status", "response.grpc.status" },
    { "dns_questions", "request.questions[].name" },
    { "dns_answers", "response.answers[].data" },
    { "dns_rcode", "response.rcode" },
    { "redis_command", "request.command" },
    { "redis_key", "request.key" },
    { "kafka_api_key_name", "request.apiKeyName" },
    { "kafka_client_id", "request.clientId" },
    { "tls_sni", "request.sni" },
    { "node_name", "node.name" },
    { "src_ip", "src.ip" },
    { "dst_ip", "dst.ip" },
    { "src_port", "src.port" },
    { "dst_port", "dst.port" },
    { "src_name", "src.name" },
    { "dst_name", "dst.name" },
    { "src_namespace", "src.namespace" },
    { "dst_namespace", "dst.namespace" },
    { "src_pod", "src.pod.name" },
    { "dst_pod", "dst.pod.name" },
    { "src_service", "src.service.name" },
    { "dst_service", "dst.service.name" },
    { "request_size", "requestSize" },
    { "response_size", "responseSize" },
    { "request_body_size", "request.bodySize" },
    { "response_body_size", "response.bodySize" },
};

/* Protocol names as conditions: the protocols each matches. */
static const struct {
    const char *name;
    uint32_t mask;
} protos[] = {
    { "http", 1u << ENT_HTTP1 | 1u << ENT_HTTP2 | 1u << ENT_GRPC },
    { "http1", 1u << ENT_HTTP1 },
    { "http2", 1u << ENT_HTTP2 | 1u << ENT_GRPC },
    { "grpc", 1u << ENT_GRPC },
    { "dns", 1u << ENT_DNS },
    { "tls", 1u << ENT_TLS },
    { "redis", 1u << ENT_REDIS },
    { "kafka", 1u << ENT_KAFKA },
    { "amqp", 1u << ENT_AMQP },
    { "tcp", 1u << ENT_TCP },
    { "udp", 1u << ENT_UDP },
    { "icmp", 0 },
};

/* Helpers: x.f(args); those without arguments also as f(x). */
static const struct {
    const char *name;
    uint8_t fn;
    uint8_t args;               /* arguments besides the value they are called on */
} funcs[] = {
    { "startsWith", QF_STARTS, 1 },
    { "endsWith", QF_ENDS, 1 },
    { "contains", QF_CONTAINS, 1 },
    { "matches", QF_MATCHES, 1 },
    { "size", QF_SIZE, 0 },
    { "len", QF_SIZE, 0 },
    { "json", QF_JSON, 0 },
    { "lower", QF_LOWER, 0 },
    { "upper", QF_UPPER, 0 },
};

/*
 * Constant functions, folded: the unit of each in ms. As in Kubeshark, f(n)
 * is the time n units from now (timestamp > minutes(-5): the last five
 * minutes); an operand of + or - is a duration of n units (now() - minutes(5)).
 */
static const struct {
    const char *name;
    double ms;
} durations[] = {
    { "seconds", 1e3 }, { "minutes", 60e3 }, { "hours", 3600e3 }, { "days", 86400e3 },
    { "weeks", 7 * 86400e3 }, { "months", 30 * 86400e3 }, { "years", 365 * 86400e3 },
};

/* ------------------------------------------------------------ compiling */

struct comp {
    struct q_query *q;
    struct q_error *err;
    const char *text;
    const struct q_node *operand;   /* the operand of + or - being compiled */
};

/* Kubeshark's helpers that have no counterpart here, and what to write instead. */
static const struct {
    const char *name;
    const char *why;
} unsupported[] = {
    { "rlimit", "rlimit() is not supported: for the last N matches use --sort timestamp --desc "
                "--limit N" },
    { "leftOff", "leftOff() is not supported (a position in Kubeshark's stream): bound the "
                 "time with timestamp >= ..." },
    { "redact", "redact() is not supported: query never alters entries; choose what to print "
                "with --fields" },
    { "xml", "xml() is not supported: only json() decodes a body; match the text with "
             "contains() or a regex" },
};

static int fail(struct comp *c, const struct q_node *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(struct comp *c, const struct q_node *n, const char *fmt, ...)
{
    va_list ap;

    c->err->code = SV_EQUERY;
    c->err->pos = n ? n->pos : 0;
    c->err->end = n ? n->end : 0;
    va_start(ap, fmt);
    vsnprintf(c->err->msg, sizeof c->err->msg, fmt, ap);
    va_end(ap);
    return SV_EQUERY;
}

static struct qe *mk(struct comp *c, uint8_t kind, const struct q_node *n)
{
    struct q_query *q = c->q;
    struct qe *e = xcalloc(1, sizeof *e);

    e->kind = kind;
    if (n) {
        e->pos = n->pos;
        e->end = n->end;
    }
    xgrow((void **)&q->all, &q->capall, q->nall + 1, sizeof *q->all);
    q->all[q->nall++] = e;
    return e;
}

static void add_kid(struct qe *e, struct qe *k)
{
    e->kid = xrealloc(e->kid, (e->nkid + 1) * sizeof *e->kid);
    e->kid[e->nkid++] = k;
}

static const char *keep(struct comp *c, const char *s, size_t n)
{
    struct q_query *q = c->q;
    char *d = xmalloc(n + 1);

    memcpy(d, s, n);
    d[n] = 0;
    xgrow((void **)&q->strs, &q->capstrs, q->nstrs + 1, sizeof *q->strs);
    q->strs[q->nstrs++] = d;
    return d;
}

/* Edit distance, for "did you mean" (short names only). */
static size_t distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b), row[64], prev, cur;

    if (la >= 63 || lb >= 63)
        return 99;
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        prev = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t sub = prev + (a[i - 1] != b[j - 1]);

            cur = row[j] + 1 < row[j - 1] + 1 ? row[j] + 1 : row[j - 1] + 1;
            cur = cur < sub ? cur : sub;
            prev = row[j];
            row[j] = cur;
        }
    }
    return row[lb];
}

/* The nearest of names[] to s, if near enough to be a likely typo; NULL otherwise. */
static const char *nearest(const char *s, const char *const *names, size_t n, const char *best,
                           size_t *bestd)
{
    for (size_t i = 0; i < n; i++) {
        size_t d = distance(s, names[i]);

        if (d < *bestd) {
            *bestd = d;
            best = names[i];
        }
    }
    return best;
}

static const char *suggest_field(const char *s)
{
    const char *alias[sizeof aliases / sizeof *aliases], *pr[sizeof protos / sizeof *protos];
    const char *best = NULL;
    size_t d = strlen(s) <= 4 ? 2 : 3;

    for (size_t i = 0; i < sizeof aliases / sizeof *aliases; i++)
        alias[i] = aliases[i].name;
    for (size_t i = 0; i < sizeof protos / sizeof *protos; i++)
        pr[i] = protos[i].name;
    best = nearest(s, top_fields, sizeof top_fields / sizeof *top_fields, best, &d);
    best = nearest(s, alias, sizeof alias / sizeof *alias, best, &d);
    return nearest(s, pr, sizeof pr / sizeof *pr, best, &d);
}

/* Appends the steps of a dotted path ("request.questions[].name") to e. */
static void path_steps(struct comp *c, struct qe *e, const char *path)
{
    const char *p = path;

    while (*p) {
        size_t n = strcspn(p, ".[");
        struct q_step st = { QS_KEY, NULL, 0 };

        if (n) {
            st.key = keep(c, p, n);
            e->steps = xrealloc(e->steps, (e->nsteps + 1) * sizeof *e->steps);
            e->steps[e->nsteps++] = st;
        }
        p += n;
        if (strncmp(p, "[]", 2) == 0) {
            st.kind = QS_EACH;
            st.key = NULL;
            e->steps = xrealloc(e->steps, (e->nsteps + 1) * sizeof *e->steps);
            e->steps[e->nsteps++] = st;
            p += 2;
        }
        if (*p == '.')
            p++;
    }
}

static void add_step(struct qe *e, struct q_step st)
{
    e->steps = xrealloc(e->steps, (e->nsteps + 1) * sizeof *e->steps);
    e->steps[e->nsteps++] = st;
}

static int compile(struct comp *c, const struct q_node *n, struct qe **out, int depth);

/* Checks a member of a fixed entry field (src.nmae is an error). */
static int check_member(struct comp *c, const struct q_node *n, const char *field, const char *key,
                        const char **canon)
{
    *canon = key;
    for (size_t i = 0; i < sizeof sub_fields / sizeof *sub_fields; i++) {
        const char *const *k = sub_fields[i].keys;
        const char *best = NULL;
        size_t d = 3, cnt = 0;

        if (strcmp(sub_fields[i].field, field) != 0)
            continue;
        /* without regard to case, as members are looked up: the entry's spelling kept */
        for (; k[cnt]; cnt++) {
            if (strcasecmp(k[cnt], key) == 0) {
                *canon = k[cnt];
                return 0;
            }
        }
        best = nearest(key, k, cnt, NULL, &d);
        if (best)
            return fail(c, n, "unknown field '%s.%s': did you mean '%s.%s'?", field, key, field,
                        best);
        return fail(c, n, "unknown field '%s.%s'", field, key);
    }
    return 0;
}

/*
 * A chain of members and indexes down to an identifier (a field) or to
 * another expression (a call's result): its steps, into *out.
 */
static int compile_path(struct comp *c, const struct q_node *n, struct qe **out, int depth)
{
    const struct q_node *chain[Q_MAX_DEPTH + 1], *base = n;
    size_t nchain = 0, base_steps;
    bool listy = false;
    struct qe *e;
    int rc;

    while ((base->kind == Q_MEMBER || base->kind == Q_INDEX) && nchain < Q_MAX_DEPTH) {
        chain[nchain++] = base;
        base = base->kid[0];
    }
    if (base->kind == Q_IDENT) {
        const char *name = base->str;
        bool known = false;

        e = mk(c, QE_PATH, n);
        for (size_t i = 0; i < sizeof aliases / sizeof *aliases && !known; i++) {
            if (strcmp(name, aliases[i].name) == 0) {
                path_steps(c, e, aliases[i].path);
                /* an alias of every element ("[]") is a list: indexes after it pick from
                 * the list (dns_questions[0]), not from each element */
                listy = strstr(aliases[i].path, "[]") != NULL;
                known = true;
            }
        }
        for (size_t i = 0; i < sizeof top_fields / sizeof *top_fields && !known; i++) {
            if (strcasecmp(name, top_fields[i]) == 0) {
                name = top_fields[i];   /* a field in another case is that field */
                add_step(e, (struct q_step){ QS_KEY, keep(c, name, strlen(name)), 0 });
                known = true;
            }
        }
        if (!known) {
            const char *s = suggest_field(name);

            return s ? fail(c, base, "unknown field '%s': did you mean '%s'?", name, s)
                     : fail(c, base, "unknown field '%s'", name);
        }
    } else {
        struct qe *b;

        rc = compile(c, base, &b, depth + 1);
        if (rc < 0)
            return rc;
        e = mk(c, QE_SUBPATH, n);
        add_kid(e, b);
    }
    base_steps = e->nsteps;
    for (size_t k = nchain; k-- > 0;) {
        const struct q_node *m = chain[k];

        if (m->kind == Q_MEMBER && strcmp(m->str, "*") == 0) {
            /* Kubeshark's wildcard a.*: every element or member value, a list */
            add_step(e, (struct q_step){ QS_EACH, NULL, 0 });
        } else if (m->kind == Q_MEMBER) {
            const char *key = m->str;

            if (k == nchain - 1 && base->kind == Q_IDENT && e->nsteps == 1) {
                rc = check_member(c, m, e->steps[0].key, m->str, &key);
                if (rc < 0)
                    return rc;
            }
            add_step(e, (struct q_step){ QS_KEY, key, 0 });
        } else if (m->kid[1]->kind == Q_STR && memchr(m->kid[1]->str, 0, m->kid[1]->len)) {
            add_step(e, (struct q_step){ QS_NONE, NULL, 0 });
        } else if (m->kid[1]->kind == Q_STR) {
            add_step(e, (struct q_step){ QS_KEY, keep(c, m->kid[1]->str, m->kid[1]->len), 0 });
        } else if (m->kid[1]->kind == Q_NUM && m->kid[1]->is_int) {
            add_step(e, (struct q_step){ QS_INDEX, NULL, m->kid[1]->i });
        } else {
            return fail(c, m->kid[1], "an index must be a string or an integer constant");
        }
    }
    /* request.postData and response.content get the kept bodies: a path into them, in any
     * spelling (["postData"], .POSTDATA: members are found without regard to case) */
    if (base->kind == Q_IDENT && e->nsteps >= 2 && e->steps[0].kind == QS_KEY &&
        e->steps[1].kind == QS_KEY &&
        (strcmp(e->steps[0].key, "request") == 0 || strcmp(e->steps[0].key, "response") == 0) &&
        (strcasecmp(e->steps[1].key, "postData") == 0 ||
         strcasecmp(e->steps[1].key, "content") == 0)) {
        c->q->bodies = true;
        /* the text itself: matched as the body's bytes, not as the JSON's base64 */
        e->body = !listy && e->nsteps == 3 && e->steps[2].kind == QS_KEY &&
                  strcasecmp(e->steps[2].key, "text") == 0 &&
                  strcasecmp(e->steps[1].key, strcmp(e->steps[0].key, "request") == 0
                                                  ? "postData" : "content") == 0;
    }
    if (listy)
        e->npost = e->nsteps - base_steps;
    *out = e;
    return 0;
}

static struct qe *num_const(struct comp *c, const struct q_node *n, double v)
{
    struct qe *e = mk(c, QE_CONST, n);

    e->v.t = QV_NUM;
    e->v.n = v;
    return e;
}

/* An integer constant, exact (nanosecond times need all 64 bits). */
static struct qe *int_const(struct comp *c, const struct q_node *n, int64_t v)
{
    struct qe *e = mk(c, QE_CONST, n);

    e->v = q_int(v);
    return e;
}

/* The text of n (a string, or a regex literal where a pattern is due) as a constant. */
static struct qe *str_const(struct comp *c, const struct q_node *n)
{
    struct qe *e = mk(c, QE_CONST, n);

    e->v.t = QV_STR;
    e->v.s = n->str;
    e->v.len = n->len;
    return e;
}

/*
 * "1/2/2006, 3:04:05.000 PM" (Kubeshark's, en-US, UTC; the fraction optional),
 * the same on a 24-hour clock without AM/PM, or what timefmt_parse takes; ns.
 */
static bool parse_datetime(const char *s, uint64_t *ns)
{
    int mo, d, y, h, mi, sec, used = 0;

    if (sscanf(s, "%2d/%2d/%4d, %2d:%2d:%2d%n", &mo, &d, &y, &h, &mi, &sec, &used) == 6 &&
        used > 0) {
        const char *f = s + used;
        size_t nf = 0;
        char iso[64];

        /* a fraction of a second as written (".5" is half of one; past ns, digits are
           dropped as RFC 3339's are), then AM or PM (hours 1 to 12), or nothing */
        if (*f == '.') {
            nf = 1 + strspn(f + 1, "0123456789");
            if (nf == 1)
                return false;
        }
        if (f[nf] == ' ' && (strcasecmp(f + nf + 1, "AM") == 0 ||
                             strcasecmp(f + nf + 1, "PM") == 0)) {
            if (h < 1 || h > 12)
                return false;
            h = h % 12 + (f[nf + 1] == 'P' || f[nf + 1] == 'p' ? 12 : 0);
        } else if (f[nf] != 0) {
            return false;
        }
        snprintf(iso, sizeof iso, "%04d-%02d-%02dT%02d:%02d:%02d%.*sZ", y, mo, d, h, mi, sec,
                 (int)(nf > 10 ? 10 : nf), f);
        return timefmt_parse(iso, ns) == 0;
    }
    return timefmt_parse(s, ns) == 0;
}

static int compile_call(struct comp *c, const struct q_node *n, struct qe **out, int depth)
{
    const char *name = n->str;
    const struct q_node *recv = n->kid[0];
    size_t nargs = n->nkid - 1;
    struct qe *e, *k;
    int rc;

    /* constant functions: folded */
    if (!recv && strcmp(name, "now") == 0) {
        if (nargs)
            return fail(c, n, "now() takes no arguments");
        *out = int_const(c, n, (int64_t)(c->q->now_ns / MS_NS));
        return 0;
    }
    /* timestamp("...") is KFL2's (CEL's) name: Unix ms too, as the timestamp field is here */
    if (!recv && (strcmp(name, "datetime") == 0 || strcmp(name, "timestamp") == 0)) {
        uint64_t ns;

        if (nargs != 1 || n->kid[1]->kind != Q_STR)
            return fail(c, n, "%s() takes one string: \"10/19/2021, 6:29:02.000 PM\", "
                              "\"10/19/2021, 18:29:02\" or RFC 3339", name);
        if (!parse_datetime(n->kid[1]->str, &ns))
            return fail(c, n->kid[1], "%s(): cannot read '%s' as a time: write "
                                      "\"10/19/2021, 6:29:02.000 PM\", \"10/19/2021, 18:29:02\" "
                                      "or RFC 3339", name, n->kid[1]->str);
        *out = int_const(c, n, (int64_t)(ns / MS_NS));
        return 0;
    }
    for (size_t i = 0; i < sizeof durations / sizeof *durations; i++) {
        if (recv || strcmp(name, durations[i].name) != 0)
            continue;
        if (nargs != 1 || n->kid[1]->kind != Q_NUM)
            return fail(c, n, "%s() takes one number", name);
        {
            /* a duration in + or -, else the time that far from now */
            int64_t ms, now = c->operand == n ? 0 : (int64_t)(c->q->now_ns / MS_NS);

            if (n->kid[1]->is_int &&
                !__builtin_mul_overflow(n->kid[1]->i, (int64_t)durations[i].ms, &ms) &&
                !__builtin_add_overflow(ms, now, &ms))
                *out = int_const(c, n, ms);
            else
                *out = num_const(c, n, (double)now + n->kid[1]->num * durations[i].ms);
        }
        return 0;
    }
    if (!recv && strcmp(name, "limit") == 0)
        return fail(c, n, "limit() belongs at the top level, joined with 'and'");
    /* KFL2's (CEL's) map_get(map, key, default): the member, found as any member is */
    if (!recv && strcmp(name, "map_get") == 0) {
        if (nargs != 3)
            return fail(c, n, "map_get() takes a map, a key and a default: "
                              "map_get(request.headers, \"X-Id\", \"\")");
        e = mk(c, QE_CALL, n);
        e->fn = QF_MAP_GET;
        for (size_t a = 1; a <= 3; a++) {
            rc = compile(c, n->kid[a], &k, depth + 1);
            if (rc < 0)
                return rc;
            add_kid(e, k);
        }
        *out = e;
        return 0;
    }
    for (size_t i = 0; i < sizeof funcs / sizeof *funcs; i++) {
        if (strcmp(name, funcs[i].name) != 0)
            continue;
        if (!recv && funcs[i].args > 0)
            return fail(c, n, "%s() is called on a value: x.%s(...)", name, name);
        if (!recv && nargs != 1)
            return fail(c, n, "%s() takes one operand: %s(x) or x.%s()", name, name, name);
        if (recv && nargs != funcs[i].args)
            return fail(c, n, "%s() takes %u argument%s", name, funcs[i].args,
                        funcs[i].args == 1 ? "" : "s");
        e = mk(c, QE_CALL, n);
        e->fn = funcs[i].fn;
        if (e->fn == QF_JSON)
            c->q->bodies = true;
        rc = compile(c, recv ? recv : n->kid[1], &k, depth + 1);
        if (rc < 0)
            return rc;
        add_kid(e, k);
        for (size_t a = 1; recv && a <= nargs; a++) {
            /* matches()'s pattern may be written r"..." too: it is compiled below */
            if (e->fn == QF_MATCHES && n->kid[a]->kind == Q_REGEX) {
                add_kid(e, str_const(c, n->kid[a]));
                continue;
            }
            rc = compile(c, n->kid[a], &k, depth + 1);
            if (rc < 0)
                return rc;
            add_kid(e, k);
        }
        if (e->fn == QF_MATCHES) {
            const struct q_node *p = n->kid[1];
            char msg[200];
            size_t off;

            if (p->kind != Q_STR && p->kind != Q_REGEX)
                return fail(c, p, "matches() takes a constant pattern");
            e->re = q_regex_compile(p->str, p->len, msg, sizeof msg, &off);
            if (!e->re)
                return fail(c, p, "bad regex at offset %zu: %s", off, msg);
            e->re_text = p->str;
        }
        *out = e;
        return 0;
    }
    for (size_t i = 0; i < sizeof unsupported / sizeof *unsupported; i++) {
        if (strcmp(name, unsupported[i].name) == 0)
            return fail(c, n, "%s", unsupported[i].why);
    }
    {
        const char *names[sizeof funcs / sizeof *funcs + 13], *best = NULL;
        size_t nn = 0, d = strlen(name) <= 4 ? 2 : 3;

        for (size_t i = 0; i < sizeof funcs / sizeof *funcs; i++)
            names[nn++] = funcs[i].name;
        for (size_t i = 0; i < sizeof durations / sizeof *durations; i++)
            names[nn++] = durations[i].name;
        names[nn++] = "now";
        names[nn++] = "datetime";
        names[nn++] = "timestamp";
        names[nn++] = "map_get";
        names[nn++] = "limit";
        best = nearest(name, names, nn, NULL, &d);
        return best ? fail(c, n, "unknown function '%s': did you mean '%s'?", name, best)
                    : fail(c, n, "unknown function '%s'", name);
    }
}

/*
 * e = a + b or a - b, both compiled: numbers only. A constant operand that
 * is not a number is an error; two constants are folded, so that
 * timestamp >= now() - hours(1) bounds the time window like a constant.
 */
static int arith(struct comp *c, const struct q_node *n, struct qe *e, struct qe **out)
{
    const struct qe *a = e->kid[0], *b = e->kid[1];

    for (int i = 0; i < 2; i++) {
        const struct qe *k = e->kid[i];

        if (k->kind == QE_CONST && k->v.t != QV_NUM)
            return fail(c, n->kid[i], "'%s' takes numbers", n->kind == Q_ADD ? "+" : "-");
    }
    if (a->kind == QE_CONST && b->kind == QE_CONST) {
        *out = mk(c, QE_CONST, n);
        (*out)->v = q_num_arith(e->kind == QE_ADD, &a->v, &b->v);
        return 0;
    }
    *out = e;
    return 0;
}

static int compile(struct comp *c, const struct q_node *n, struct qe **out, int depth)
{
    static const uint8_t binop[] = {
        [Q_AND] = QE_AND, [Q_OR] = QE_OR, [Q_EQ] = QE_EQ, [Q_NE] = QE_NE, [Q_LT] = QE_LT,
        [Q_LE] = QE_LE, [Q_GT] = QE_GT, [Q_GE] = QE_GE, [Q_IN] = QE_IN,
        [Q_ADD] = QE_ADD, [Q_SUB] = QE_SUB,
    };
    struct qe *e, *k;
    int rc;

    /* the parser caps nesting at Q_MAX_DEPTH, but not chains of and/or (one level each);
       the root is level 1 */
    if (depth >= (int)Q_MAX_CHAIN)
        return fail(c, n, "query nested too deeply (more than %u levels; a chain of and/or "
                          "is one level a term: write a long one as 'x in [...]')",
                    Q_MAX_CHAIN);
    switch (n->kind) {
    case Q_NUM:
        *out = n->is_int ? int_const(c, n, n->i) : num_const(c, n, n->num);
        return 0;
    case Q_STR:
        *out = str_const(c, n);
        return 0;
    case Q_REGEX:
        return fail(c, n, "a regex belongs on one side of == or !=, or in matches()");
    case Q_BOOL:
        e = mk(c, QE_CONST, n);
        e->v.t = QV_BOOL;
        e->v.b = n->b;
        *out = e;
        return 0;
    case Q_NULL:
        *out = mk(c, QE_CONST, n);
        return 0;
    case Q_IDENT:
        for (size_t i = 0; i < sizeof protos / sizeof *protos; i++) {
            if (strcmp(n->str, protos[i].name) == 0) {
                e = mk(c, QE_PROTO, n);
                e->mask = protos[i].mask;
                *out = e;
                return 0;
            }
        }
        if (strcmp(n->str, "elapsed_time") == 0) {
            *out = mk(c, QE_ELAPSED_US, n);
            return 0;
        }
        return compile_path(c, n, out, depth);
    case Q_MEMBER:
    case Q_INDEX:
        return compile_path(c, n, out, depth);
    case Q_CALL:
        return compile_call(c, n, out, depth);
    case Q_LIST:
    case Q_NOT:
    case Q_NEG:
        e = mk(c, n->kind == Q_LIST ? QE_LIST : n->kind == Q_NOT ? QE_NOT : QE_NEG, n);
        for (uint32_t i = 0; i < n->nkid; i++) {
            rc = compile(c, n->kid[i], &k, depth + 1);
            if (rc < 0)
                return rc;
            add_kid(e, k);
        }
        *out = e;
        return 0;
    default: {
        const struct q_node *l = n->kid[0], *r = n->kid[1];
        bool re = false;

        if (n->kind >= sizeof binop || !binop[n->kind])
            return fail(c, n, "unexpected node");
        if (l->kind == Q_REGEX && r->kind != Q_REGEX) {
            const struct q_node *t = l;

            l = r;
            r = t;
        }
        if (r->kind == Q_REGEX) {
            if (n->kind != Q_EQ && n->kind != Q_NE)
                return fail(c, r, "a regex compares with == or != only");
            re = true;
        }
        e = mk(c, binop[n->kind], n);
        c->operand = n->kind == Q_ADD || n->kind == Q_SUB ? l : NULL;
        rc = compile(c, l, &k, depth + 1);
        if (rc < 0)
            return rc;
        add_kid(e, k);
        if (re) {
            char msg[200];
            size_t off;

            e->re = q_regex_compile(r->str, r->len, msg, sizeof msg, &off);
            if (!e->re)
                return fail(c, r, "bad regex at offset %zu: %s", off, msg);
            e->re_text = r->str;
        } else {
            c->operand = n->kind == Q_ADD || n->kind == Q_SUB ? r : NULL;
            rc = compile(c, r, &k, depth + 1);
            if (rc < 0)
                return rc;
            add_kid(e, k);
        }
        if (e->kind == QE_ADD || e->kind == QE_SUB)
            return arith(c, n, e, out);
        *out = e;
        return 0;
    }
    }
}

/* limit(n) at the top level (alone, or joined with and): taken out of the tree. */
static int take_limit(struct comp *c, const struct q_node *n, const struct q_node **rest)
{
    *rest = n;
    if (!n)
        return 0;
    if (n->kind == Q_CALL && !n->kid[0] && strcmp(n->str, "limit") == 0) {
        if (n->nkid != 2 || n->kid[1]->kind != Q_NUM || !n->kid[1]->is_int || n->kid[1]->i < 0)
            return fail(c, n, "limit() takes one whole number");
        if ((uint64_t)n->kid[1]->i < c->q->limit)
            c->q->limit = (uint64_t)n->kid[1]->i;
        *rest = NULL;
        return 0;
    }
    if (n->kind == Q_AND) {
        const struct q_node *a, *b;
        int rc = take_limit(c, n->kid[0], &a);

        if (rc == 0)
            rc = take_limit(c, n->kid[1], &b);
        if (rc < 0)
            return rc;
        if (!a || !b) {
            *rest = a ? a : b;
            return 0;
        }
        if (a != n->kid[0] || b != n->kid[1]) {
            /* both sides stay: keep n (its limit()s were only in nested ands already gone) */
            return fail(c, n, "limit() belongs at the top level, joined with 'and'");
        }
    }
    return 0;
}

/* Top-level conditions on timestamp narrow the time window (in ns). */
static void time_bounds(struct q_query *q, const struct qe *e)
{
    const struct qe *f, *k;
    uint8_t op;
    double ms;

    if (!e)
        return;
    if (e->kind == QE_AND) {
        time_bounds(q, e->kid[0]);
        time_bounds(q, e->kid[1]);
        return;
    }
    if (e->kind < QE_EQ || e->kind > QE_GE || e->re || e->nkid != 2)
        return;
    f = e->kid[0];
    k = e->kid[1];
    op = e->kind;
    if (f->kind == QE_CONST) {
        const struct qe *t = f;
        static const uint8_t flip[] = { [QE_EQ] = QE_EQ, [QE_NE] = QE_NE, [QE_LT] = QE_GT,
                                        [QE_LE] = QE_GE, [QE_GT] = QE_LT, [QE_GE] = QE_LE };

        f = k;
        k = t;
        op = flip[op];
    }
    if (f->kind != QE_PATH || f->nsteps != 1 || strcmp(f->steps[0].key, "timestamp") != 0 ||
        k->kind != QE_CONST || k->v.t != QV_NUM || !(k->v.n >= 0 && k->v.n <= 1e13))
        return;     /* (NaN too: it bounds nothing, and as an integer it is undefined) */
    ms = k->v.n;
    /* timestamp is the request time in whole ms: widen to the ms's last ns */
    if ((op == QE_GE || op == QE_GT || op == QE_EQ) && (uint64_t)ms * MS_NS > q->lo)
        q->lo = (uint64_t)ms * MS_NS;
    if ((op == QE_LE || op == QE_LT || op == QE_EQ) && (uint64_t)ms * MS_NS + MS_NS - 1 < q->hi)
        q->hi = (uint64_t)ms * MS_NS + MS_NS - 1;
}

int q_compile(const char *text, size_t n, const struct q_opts *o, struct q_query **out,
              struct q_error *err)
{
    struct q_query *q = xcalloc(1, sizeof *q);
    struct comp c = { q, err, text, NULL };
    const struct q_node *root;
    int rc;

    *out = NULL;
    memset(err, 0, sizeof *err);
    q->limit = UINT64_MAX;
    q->hi = UINT64_MAX;
    if (o && o->now_set) {
        q->now_ns = o->now_ns;
    } else {
        struct timespec ts;

        clock_gettime(CLOCK_REALTIME, &ts);
        q->now_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
    }
    rc = q_parse(text, n, &q->parse, err);
    if (rc == 0)
        rc = take_limit(&c, q_parse_root(q->parse), &root);
    if (rc == 0 && root)
        rc = compile(&c, root, &q->root, 0);
    if (rc < 0) {
        q_free(q);
        return rc;
    }
    time_bounds(q, q->root);
    *out = q;
    return 0;
}

void q_free(struct q_query *q)
{
    if (!q)
        return;
    for (size_t i = 0; i < q->nall; i++) {
        q_regex_free(q->all[i]->re);
        free(q->all[i]->steps);
        free(q->all[i]->kid);
        free(q->all[i]);
    }
    for (size_t i = 0; i < q->nstrs; i++)
        free(q->strs[i]);
    free(q->all);
    free(q->strs);
    q_parse_free(q->parse);
    free(q);
}

bool q_has_filter(const struct q_query *q)
{
    return q->root != NULL;
}

uint64_t q_limit(const struct q_query *q)
{
    return q->limit;
}

bool q_needs_bodies(const struct q_query *q)
{
    return q->bodies;
}

void q_time_bounds(const struct q_query *q, uint64_t *lo, uint64_t *hi)
{
    *lo = q->lo;
    *hi = q->hi;
}

char *q_explain(const struct q_query *q)
{
    char *tree = q->root ? q_ast_text(q_parse_root(q->parse)) : xstrdup("(every entry)");
    char lim[32], *out, *steps;
    struct q_plan *plan;
    size_t n;

    if (q->limit == UINT64_MAX)
        snprintf(lim, sizeof lim, "none");
    else
        snprintf(lim, sizeof lim, "%" PRIu64, q->limit);
    plan = q_plan_new(q, true);
    steps = q_plan_text(plan);
    n = strlen(tree) + strlen(steps) + 400;
    out = xmalloc(n);
    snprintf(out, n,
             "tree:   %s\nplan:   read the segments; skip blocks outside request times "
             "[%" PRIu64 ", %" PRIu64 "] ns%s; decide entries on the index columns, match the "
             "rest on their JSON%s\n%s\nlimit:  %s",
             tree, q->lo, q->hi, q_plan_uses_columns(plan) ? " or ruled out by zone maps" : "",
             q->bodies ? " with its kept bodies" : "", steps, lim);
    free(steps);
    q_plan_free(plan);
    free(tree);
    return out;
}
