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
#include "select.h"
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
    uint64_t limit = UINT64_MAX, printed = 0, matched = 0;
    bool count = false, bodies = false, explain = false;
    struct store **stores = NULL;
    size_t nstores = 0;
    const char *query;
    struct q_opts qo = { 0 };
    struct q_query *q = NULL;
    struct q_error qe;
    struct sel sel = { 0 };
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
    stores = xcalloc((size_t)(argc - optind - 1), sizeof *stores);
    for (int i = optind; i < argc - 1; i++) {
        if (store_open(&stores[nstores], argv[i], &d) < 0) {
            rc = cli_diag(&d);
            goto out;
        }
        nstores++;
    }
    rc = sel_run(&sel, stores, nstores, q, query,
                 (bodies ? SEL_BODIES : 0) | (count ? SEL_COUNT : 0));
    if (rc != EXIT_OK)
        goto out;
    if (sel.partial)
        rc = EXIT_ERROR;
    if (fmt == FMT_JSON && !count)
        fputs("[", stdout);
    else if (fmt == FMT_TABLE && !count)
        printf("%-30s %-6s %-41s %-41s %-60s %-10s %6s\n", "TIME", "PROTO", "SRC", "DST",
               "REQUEST", "RESPONSE", "MS");
    for (size_t i = 0; i < sel.nrows && matched < limit; i++) {
        const struct sel_row *r = &sel.rows[i];
        const struct sel_src *s = &sel.srcs[r->src];
        struct ent_view v;
        struct jv *e;

        matched++;
        if (count)
            continue;
        (void)ent_parse(r->rec, SIZE_MAX, &v);
        e = jv_entry(&v, s->name, s->ip);
        if (e && bodies)
            jv_entry_add_bodies(e, &v);
        if (!e) {
            cli_error("%s: entries: stream %llu entry %u: corrupt entry record", s->name,
                      (unsigned long long)r->stream, r->index);
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
    sel_release(&sel);
    for (size_t i = 0; i < nstores; i++)
        store_close(stores[i]);
    free(stores);
    q_free(q);
    return rc;
}
