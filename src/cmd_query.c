/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: streamvault query: print the entries of one or more stores.
 *
 * Entries come from the stores' index segments (lib/index) and are printed
 * in request time order (ties: store, node, stream id, index), so the
 * output does not depend on how the stores were ingested. A corrupt segment
 * is reported and skipped; the exit status then says so. Until KFL lands
 * (issue 6) the only filter accepted is the empty query, which matches
 * every entry.
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
#include "store/store.h"

static const char usage_text[] =
    "Usage: streamvault query [OPTIONS] STORE... QUERY\n"
    "\n"
    "Print the entries (request/response pairs) of one or more stores that match\n"
    "QUERY, in request time order. This version accepts only the empty query ''\n"
    "(every entry); KFL filters come later.\n"
    "\n"
    "Options:\n"
    "  -f, --format FMT      table (default), json (one array), ndjson (one object a line)\n"
    "  -n, --limit N         print at most N entries\n"
    "  -c, --count           print only the number of matching entries\n"
    "  -b, --bodies          with json/ndjson: the kept body bytes too (HAR's postData and\n"
    "                        content: base64 \"text\", \"truncated\" when cut)\n"
    "  -h, --help            this help\n";

static const struct option long_opts[] = {
    { "format", required_argument, NULL, 'f' },
    { "limit", required_argument, NULL, 'n' },
    { "count", no_argument, NULL, 'c' },
    { "bodies", no_argument, NULL, 'b' },
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

static bool empty_query(const char *q)
{
    for (; *q; q++) {
        if (*q != ' ' && *q != '\t' && *q != '\n' && *q != '\r')
            return false;
    }
    return true;
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

/* Appends the records of segment k of st to recs; on an error, none of them. */
static int read_segment(struct store *st, size_t k, struct buf *recs)
{
    char *path = store_segment_path(st, k);
    size_t keep = recs->len;
    struct ix_seg *seg;
    struct diag d;
    int rc;

    diag_clear(&d);
    rc = ix_open(&seg, path, &d);
    for (uint32_t b = 0; rc == 0 && b < ix_info(seg)->blocks; b++)
        rc = ix_block_records(seg, b, recs, &d);
    if (rc < 0) {
        recs->len = keep;
        cli_diag(&d);
    }
    ix_close(seg);
    free(path);
    return rc;
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
    if (!empty_query(query)) {
        cli_error("query: KFL filters are not implemented yet; use '' for every entry");
        return EXIT_USAGE;
    }
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
            if (read_segment(stores[si], k, &srcs[first + seg->node].recs) < 0)
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
    if (count) {
        printf("%llu\n", (unsigned long long)(nrows < limit ? nrows : limit));
        goto out;
    }
    if (fmt == FMT_JSON)
        fputs("[", stdout);
    else if (fmt == FMT_TABLE)
        printf("%-30s %-6s %-41s %-41s %-60s %-10s %6s\n", "TIME", "PROTO", "SRC", "DST",
               "REQUEST", "RESPONSE", "MS");
    for (size_t i = 0; i < nrows && printed < limit; i++) {
        const struct src *s = &srcs[rows[i].src];
        struct ent_view v;
        struct jv *e;

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
    if (fmt == FMT_JSON)
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
    return rc;
}
