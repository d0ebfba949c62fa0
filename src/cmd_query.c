/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: streamvault query: print the entries of one or more stores.
 *
 * Entries come from the stores' index segments (lib/index) and are printed
 * in request time order (ties: store, node, stream id, index), so the
 * output does not depend on how the stores were ingested. A corrupt segment
 * is reported and skipped; the exit status then says so. The filter is a
 * KFL query (lib/query, docs/KFL.md): blocks whose request times lie
 * outside the query's time window are not read, and each remaining entry
 * is matched on its JSON.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/addr.h"
#include "base/buf.h"
#include "base/diag.h"
#include "base/timefmt.h"
#include "base/xalloc.h"
#include "cli.h"
#include "entry/entry.h"
#include "index/index.h"
#include "json/json.h"
#include "query/query.h"
#include "store/store.h"
#include "streamvault.h"

static const char usage_text[] =
    "Usage: streamvault query [OPTIONS] STORE... QUERY\n"
    "\n"
    "Print the entries (request/response pairs) of one or more stores that match\n"
    "QUERY, a KFL filter (docs/KFL.md; '' matches every entry), in request time\n"
    "order. Example: 'grpc and request.headers[\"Authorization\"] == r\"Token.*\"'\n"
    "\n"
    "Options:\n"
    "  -f, --format FMT      table (default), json (one array), ndjson (one object a line)\n"
    "  -n, --limit N         print at most N entries\n"
    "  -c, --count           print only the number of matching entries\n"
    "  -b, --bodies          with json/ndjson: the kept body bytes too (HAR's postData and\n"
    "                        content: base64 \"text\", \"truncated\" when cut)\n"
    "      --now TIME        what now() is (RFC 3339 or Unix seconds; default: the clock)\n"
    "      --explain         print the query's tree and plan, and nothing else\n"
    "  -h, --help            this help\n"
    "\n"
    "Exit status: 0 success; 2 usage error or a query that does not compile (the\n"
    "message points at the fault); 3 a store or segment could not be read.\n";

static const struct option long_opts[] = {
    { "format", required_argument, NULL, 'f' },
    { "limit", required_argument, NULL, 'n' },
    { "count", no_argument, NULL, 'c' },
    { "bodies", no_argument, NULL, 'b' },
    { "now", required_argument, NULL, 'N' },
    { "explain", no_argument, NULL, 'E' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
};

enum fmt { FMT_TABLE, FMT_JSON, FMT_NDJSON };

/* One entry to print: where its record is and what it sorts by. */
struct row {
    uint64_t t;
    uint32_t src;               /* index into srcs (store and node) */
    uint64_t stream;
    uint32_t index;
    const uint8_t *rec;
};

struct src {
    const char *node, *ip;
    struct buf recs;
};

static int cmp_row(const void *a, const void *b)
{
    const struct row *x = a, *y = b;

    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    if (x->src != y->src)
        return x->src < y->src ? -1 : 1;
    if (x->stream != y->stream)
        return x->stream < y->stream ? -1 : 1;
    return (x->index > y->index) - (x->index < y->index);
}

static const char *nz(const char *s)
{
    return s ? s : "";
}

/* "GET /path" / "A example.com" / ...: the request and response in a few words. */
static void summary(const struct jv *e, char *req, size_t rn, char *resp, size_t sn)
{
    const struct jv *q = jv_get(e, "request"), *r = jv_get(e, "response");
    const char *a, *b;
    uint64_t u;

    req[0] = resp[0] = 0;
    if ((a = jv_get_str(q, "method")) && (b = jv_get_str(q, "url")))
        snprintf(req, rn, "%s %s", a, b);
    else if ((a = jv_get_str(q, "method")))
        snprintf(req, rn, "%s", a);
    else if ((a = jv_get_str(q, "command")))
        snprintf(req, rn, "%s %s", a, nz(jv_get_str(q, "key")));
    else if ((a = jv_get_str(q, "apiKeyName")))
        snprintf(req, rn, "%s", a);
    else if ((a = jv_get_str(q, "sni")))
        snprintf(req, rn, "ClientHello %s", a);
    else if (jv_len(jv_get(q, "questions")) > 0)
        snprintf(req, rn, "%s %s", nz(jv_get_str(jv_at(jv_get(q, "questions"), 0), "type")),
                 nz(jv_get_str(jv_at(jv_get(q, "questions"), 0), "name")));
    else if (jv_get_u64(q, "packets", &u))
        snprintf(req, rn, "%llu packets", (unsigned long long)u);
    if (jv_get_u64(r, "status", &u))
        snprintf(resp, sn, "%llu", (unsigned long long)u);
    else if ((a = jv_get_str(r, "rcode")) || (a = jv_get_str(r, "type")) ||
             (a = jv_get_str(r, "method")) || (a = jv_get_str(r, "cipherSuite")))
        snprintf(resp, sn, "%s", a);
    else if (jv_get_u64(r, "packets", &u))
        snprintf(resp, sn, "%llu packets", (unsigned long long)u);
}

/*
 * Appends the records of segment k of st to recs, but for blocks whose
 * request times lie outside [lo, hi]; on an error, none of them.
 */
static int read_segment(struct store *st, size_t k, struct buf *recs, uint64_t lo, uint64_t hi,
                        bool bodies)
{
    char *path = store_segment_path(st, k);
    size_t keep = recs->len;
    struct ix_seg *seg;
    struct diag d;
    int rc;

    diag_clear(&d);
    rc = ix_open(&seg, path, &d);
    for (uint32_t b = 0; rc == 0 && b < ix_info(seg)->blocks; b++) {
        uint64_t first, last;

        ix_block_time(seg, b, &first, &last);
        if ((lo > 0 || hi < UINT64_MAX) && (last < lo || first > hi))
            continue;
        rc = bodies ? ix_block_records(seg, b, recs, &d)
                    : ix_block_records_nobody(seg, b, recs, &d);
    }
    if (rc < 0) {
        recs->len = keep;
        cli_diag(&d);
    }
    ix_close(seg);
    free(path);
    return rc;
}

/*
 * Matches every row against q, in parallel (each thread its own context;
 * the entries' JSON is built for the query and dropped), into hit[]. On an
 * error (a corrupt record: SV_EFORMAT; a regex past its limits) returns it
 * for the first row, in row order, that had one: *bad and *err.
 */
static int match_rows(const struct q_query *q, const struct src *srcs, const struct row *rows,
                      size_t nrows, uint8_t *hit, bool bodies, size_t *bad, struct q_error *err)
{
    size_t first = SIZE_MAX;

    if (!q_has_filter(q)) {
        memset(hit, 1, nrows);
        return 0;
    }
#pragma omp parallel
    {
        struct q_ctx *c = q_ctx_new();
        struct q_error e;

#pragma omp for schedule(dynamic, 256)
        for (size_t i = 0; i < nrows; i++) {
            const struct src *s = &srcs[rows[i].src];
            struct ent_view v;
            struct jv *j;
            int m;

            (void)ent_parse(rows[i].rec, SIZE_MAX, &v);
            j = jv_entry(&v, s->node, s->ip);
            if (j && bodies)
                jv_entry_add_bodies(j, &v);
            if (!j) {
                memset(&e, 0, sizeof e);
                e.code = SV_EFORMAT;
                m = SV_EFORMAT;
            } else {
                m = q_match(q, c, j, &e);
                jv_free(j);
            }
            hit[i] = m > 0;
            if (m < 0) {
#pragma omp critical(query_error)
                if (i < first) {
                    first = i;
                    *err = e;
                }
            }
        }
        q_ctx_free(c);
    }
    if (first == SIZE_MAX)
        return 0;
    *bad = first;
    return err->code ? err->code : SV_EQUERY;
}

static void print_table_row(const struct jv *e)
{
    const struct jv *pr = jv_get(e, "protocol"), *s = jv_get(e, "src"), *d = jv_get(e, "dst");
    char req[96], resp[48], src[64], dst[64];
    uint64_t sp = 0, dp = 0, el = 0;

    summary(e, req, sizeof req, resp, sizeof resp);
    jv_get_u64(s, "port", &sp);
    jv_get_u64(d, "port", &dp);
    jv_get_u64(e, "elapsedTime", &el);
    snprintf(src, sizeof src, "%s:%llu", nz(jv_get_str(s, "ip")), (unsigned long long)sp);
    snprintf(dst, sizeof dst, "%s:%llu", nz(jv_get_str(d, "ip")), (unsigned long long)dp);
    printf("%-30s %-6s %-41s %-41s %-60s %-10s %6llu\n", nz(jv_get_str(e, "startTime")),
           nz(jv_get_str(pr, "abbr")), src, dst, req, resp, (unsigned long long)el);
}

int cmd_query(int argc, char **argv)
{
    struct diag d;
    enum fmt fmt = FMT_TABLE;
    uint64_t limit = UINT64_MAX, printed = 0;
    bool count = false, bodies = false;
    struct store **stores = NULL;
    struct src *srcs = NULL;
    size_t nstores = 0, nsrcs = 0, nrows = 0, caprows = 0;
    struct row *rows = NULL;
    const char *query;
    struct q_opts qo = { 0 };
    struct q_query *q = NULL;
    uint8_t *hit = NULL;
    size_t bad = 0;
    struct q_error qe;
    bool explain = false;
    uint64_t lo, hi, matched = 0;
    int c, rc = EXIT_OK;

    diag_clear(&d);
    optind = 1;
    while ((c = getopt_long(argc, argv, "f:n:cbh", long_opts, NULL)) != -1) {
        switch (c) {
        case 'f':
            if (strcmp(optarg, "table") == 0)
                fmt = FMT_TABLE;
            else if (strcmp(optarg, "json") == 0)
                fmt = FMT_JSON;
            else if (strcmp(optarg, "ndjson") == 0)
                fmt = FMT_NDJSON;
            else
                return cli_usage("query", "--format: expected table, json or ndjson, not '%s'",
                                 optarg);
            break;
        case 'n':
            if (!cli_parse_uint(optarg, UINT64_MAX, &limit))
                return cli_usage("query", "--limit: expected a number, not '%s'", optarg);
            break;
        case 'c':
            count = true;
            break;
        case 'b':
            bodies = true;
            break;
        case 'N':
            if (timefmt_parse(optarg, &qo.now_ns) < 0)
                return cli_usage("query", "--now: expected RFC 3339 or Unix seconds, not '%s'",
                                 optarg);
            break;
        case 'E':
            explain = true;
            break;
        case 'h':
            fputs(usage_text, stdout);
            return EXIT_OK;
        default:
            return cli_usage("query", "bad option");
        }
    }
    if (argc - optind < 2)
        return cli_usage("query", "expected STORE... QUERY");
    query = argv[argc - 1];
    if (q_compile(query, strlen(query), &qo, &q, &qe) < 0) {
        char *t = q_error_text(query, strlen(query), &qe);

        cli_error("%s", t);
        free(t);
        return EXIT_USAGE;
    }
    if (explain) {
        char *t = q_explain(q);

        printf("%s\n", t);
        free(t);
        q_free(q);
        return EXIT_OK;
    }
    if (q_limit(q) < limit)
        limit = q_limit(q);
    q_time_bounds(q, &lo, &hi);
    stores = xcalloc((size_t)(argc - optind - 1), sizeof *stores);
    for (int i = optind; i < argc - 1; i++) {
        if (store_open(&stores[nstores], argv[i], &d) < 0) {
            rc = cli_diag(&d);
            goto out;
        }
        nstores++;
    }
    for (size_t si = 0; si < nstores; si++) {
        size_t first = nsrcs;

        for (size_t ni = 0; ni < store_nnodes(stores[si]); ni++) {
            const struct store_node_info *node = store_node(stores[si], ni);
            struct src *s;

            srcs = xrealloc(srcs, (nsrcs + 1) * sizeof *srcs);
            s = &srcs[nsrcs++];
            s->node = node->name;
            s->ip = node->ip;
            buf_init(&s->recs, SIZE_MAX);
        }
        for (size_t k = 0; k < store_nsegments(stores[si]); k++) {
            const struct store_segment *seg = store_segment(stores[si], k);

            /* a corrupt segment is reported and skipped; the others are still read */
            if (read_segment(stores[si], k, &srcs[first + seg->node].recs, lo, hi,
                             bodies || q_needs_bodies(q)) < 0)
                rc = EXIT_ERROR;
        }
    }
    for (size_t i = 0; i < nsrcs; i++) {
        const uint8_t *p = srcs[i].recs.data, *end = p + srcs[i].recs.len;

        while (p < end) {
            struct ent_view v;
            long len = ent_parse(p, (size_t)(end - p), &v);

            if (len <= 0) {
                cli_error("%s: entries: offset %zu: corrupt entry record", srcs[i].node,
                          (size_t)(p - srcs[i].recs.data));
                rc = EXIT_ERROR;
                goto out;
            }
            xgrow((void **)&rows, &caprows, nrows + 1, sizeof *rows);
            rows[nrows++] = (struct row){ v.f.req_ns ? v.f.req_ns : v.f.resp_ns, (uint32_t)i,
                                          v.f.stream_id, v.f.index, p };
            p += len;
        }
    }
    if (nrows > 1)
        qsort(rows, nrows, sizeof *rows, cmp_row);
    if (fmt == FMT_JSON && !count)
        fputs("[", stdout);
    else if (fmt == FMT_TABLE && !count)
        printf("%-30s %-6s %-41s %-41s %-60s %-10s %6s\n", "TIME", "PROTO", "SRC", "DST",
               "REQUEST", "RESPONSE", "MS");
    hit = xcalloc(nrows ? nrows : 1, 1);
    if (match_rows(q, srcs, rows, nrows, hit, bodies || q_needs_bodies(q), &bad, &qe) < 0) {
        const struct row *r = &rows[bad];
        char what[sizeof qe.msg], *t;
        int k;

        if (qe.code == SV_EFORMAT) {
            cli_error("%s: entries: stream %llu entry %u: corrupt entry record",
                      srcs[r->src].node, (unsigned long long)r->stream, r->index);
        } else {
            memcpy(what, qe.msg, sizeof what);
            k = snprintf(qe.msg, sizeof qe.msg, "entry %s/%llu-%u: ", srcs[r->src].node,
                         (unsigned long long)r->stream, r->index);
            if (k > 0 && (size_t)k < sizeof qe.msg)
                memcpy(qe.msg + k, what, strnlen(what, sizeof qe.msg - (size_t)k - 1) + 1);
            qe.msg[sizeof qe.msg - 1] = 0;
            t = q_error_text(query, strlen(query), &qe);
            cli_error("%s", t);
            free(t);
        }
        rc = EXIT_ERROR;
        goto out;
    }
    for (size_t i = 0; i < nrows && matched < limit; i++) {
        const struct src *s = &srcs[rows[i].src];
        struct ent_view v;
        struct jv *e;

        if (!hit[i])
            continue;
        matched++;
        if (count)
            continue;
        (void)ent_parse(rows[i].rec, SIZE_MAX, &v);
        e = jv_entry(&v, s->node, s->ip);
        if (e && bodies)
            jv_entry_add_bodies(e, &v);
        if (!e) {
            cli_error("%s: entries: stream %llu entry %u: corrupt entry record", s->node,
                      (unsigned long long)rows[i].stream, rows[i].index);
            rc = EXIT_ERROR;
            goto out;
        }
        if (fmt == FMT_TABLE) {
            print_table_row(e);
        } else {
            char *text = jv_dump(e, JV_COMPACT);

            if (fmt == FMT_JSON)
                printf("%s\n%s", printed ? "," : "", text);
            else
                printf("%s\n", text);
            free(text);
        }
        jv_free(e);
        printed++;
    }
    if (count)
        printf("%llu\n", (unsigned long long)matched);
    else if (fmt == FMT_JSON)
        fputs(printed ? "\n]\n" : "]\n", stdout);
out:
    if (fflush(stdout) != 0 && rc == EXIT_OK) {
        cli_error("query: write error on standard output");
        rc = EXIT_ERROR;
    }
    for (size_t i = 0; i < nsrcs; i++)
        buf_release(&srcs[i].recs);
    free(srcs);
    free(rows);
    for (size_t i = 0; i < nstores; i++)
        store_close(stores[i]);
    free(stores);
    free(hit);
    q_free(q);
    return rc;
}
