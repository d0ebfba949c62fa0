/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: streamvault snapshot: every stream active in a time window
 * (optionally only those holding an entry a KFL query matches) as a
 * tar.gz bundle (lib/bundle, docs/BUNDLES.md).
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/diag.h"
#include "base/fsutil.h"
#include "base/timefmt.h"
#include "base/xalloc.h"
#include "bundle/bundle.h"
#include "bundlecli.h"
#include "cli.h"
#include "graph.h"
#include "query/query.h"
#include "select.h"
#include "store/store.h"

static const char usage_text[] =
    "Usage: streamvault snapshot [OPTIONS] STORE... (--last D | --from T --to T)\n"
    "\n"
    "Write every stream active in a time window (one packet or more in it, or\n"
    "spanning it) into a tar.gz bundle laid out as Kubeshark's export\n"
    "(docs/BUNDLES.md). Streams are included whole unless --cut is given.\n"
    "\n"
    "Options:\n"
    "      --last D          the window is the last D (90s 15m 72h 7d) before now\n"
    "      --from T          the window's start (RFC 3339 or Unix seconds), with --to\n"
    "      --to T            the window's end; both ends are included\n"
    "      --from-end        with --last: count back from the newest packet in the\n"
    "                        stores instead of from now\n"
    "  -q, --query KFL       only streams holding an entry KFL matches (docs/KFL.md)\n"
    "      --cut             keep only the packets inside the window\n"
    "  -o, --output FILE     the bundle (default streamvault_<unix>.tar.gz, <unix> the\n"
    "                        creation time); written atomically\n"
    "      --per-stream      also <node>_<ip>/streams/<id>.pcap for each stream\n"
    "                        (<id>_udp.pcap for UDP)\n"
    "      --now TIME        the creation time, the end of --last and what now() is\n"
    "                        (default: the clock); same TIME, same bytes\n"
    "      --graph FILE      also write the window's dependency graph (its entries,\n"
    "                        narrowed by -q) as DOT to FILE (docs/GRAPH.md)\n"
    "      --group-by G      the graph's identities: name (default), pod, service,\n"
    "                        namespace, node or ip\n"
    "      --json            print a JSON summary on standard output\n"
    "  -h, --help            this help\n"
    "\n"
    "Exit status: 0 success; 2 usage error or a query that does not compile;\n"
    "3 a store could not be read or the bundle not written (nothing is left), or\n"
    "what was printed did not all reach standard output.\n";

enum { OPT_LAST = BCLI_OPT_NEXT, OPT_FROM, OPT_TO, OPT_FROM_END, OPT_CUT, OPT_GRAPH,
       OPT_GROUP_BY };

static const char short_opts[] = "q:o:h";

static const struct option long_opts[] = {
    { "last", required_argument, NULL, OPT_LAST },
    { "from", required_argument, NULL, OPT_FROM },
    { "to", required_argument, NULL, OPT_TO },
    { "from-end", no_argument, NULL, OPT_FROM_END },
    { "query", required_argument, NULL, 'q' },
    { "cut", no_argument, NULL, OPT_CUT },
    BCLI_LONG_OPTIONS,
    { "graph", required_argument, NULL, OPT_GRAPH },
    { "group-by", required_argument, NULL, OPT_GROUP_BY },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
};

struct snap {
    uint64_t from, to;
    const struct sel_streams *m;   /* NULL: no query */
};

static bool keep_active(void *arg, const struct store *store, size_t node,
                        const struct store_stream *st)
{
    const struct snap *s = arg;

    if (st->first_ns > s->to || st->last_ns < s->from)
        return false;
    return !s->m || sel_streams_has(s->m, store, node, st->id);
}

/*
 * The newest packet time of any stream of the stores (0 when they hold none);
 * a stream discarded at ingest holds no packet and never enters a bundle.
 */
static int newest(struct store *const *stores, size_t n, uint64_t *out)
{
    struct diag d;

    diag_clear(&d);
    *out = 0;
    for (size_t si = 0; si < n; si++) {
        for (size_t ni = 0; ni < store_nnodes(stores[si]); ni++) {
            const struct store_stream *v;
            size_t k;

            if (store_streams(stores[si], ni, &v, &k, &d) < 0)
                return cli_diag(&d);
            for (size_t i = 0; i < k; i++)
                if (!(v[i].flags & STORE_S_DISCARDED) && v[i].last_ns > *out)
                    *out = v[i].last_ns;
        }
    }
    return EXIT_OK;
}

/*
 * The dependency graph of the window's entries (request time inside it) of
 * the selection, as DOT, staged beside path (*tmp) to go into place with
 * the bundle.
 */
static int stage_graph(const struct sel *sel, uint64_t from, uint64_t to, enum graph_group by,
                       const char *path, char **tmp)
{
    struct sel w = *sel;
    struct graph *g = NULL;
    struct buf b;
    struct diag d;
    size_t bad = 0;
    int rc = EXIT_OK;

    diag_clear(&d);
    buf_init(&b, SIZE_MAX);
    w.rows = xcalloc(sel->nrows ? sel->nrows : 1, sizeof *w.rows);
    w.nrows = 0;
    for (size_t i = 0; i < sel->nrows; i++)
        if (sel->rows[i].t >= from && sel->rows[i].t <= to)
            w.rows[w.nrows++] = sel->rows[i];
    if (graph_build(&w, by, &g, &bad) < 0) {
        const struct sel_row *r = &w.rows[bad];

        cli_error("%s: entries: stream %llu entry %u: corrupt entry record",
                  w.srcs[r->src].name, (unsigned long long)r->stream, r->index);
        rc = EXIT_ERROR;
    } else if (w.partial) {
        cli_error("snapshot: a corrupt index segment was skipped: the graph would miss its "
                  "entries; nothing written");
        rc = EXIT_ERROR;
    } else if (graph_dot(g, &b) < 0) {
        cli_error("snapshot: --graph: the graph is too large to write");
        rc = EXIT_ERROR;
    } else {
        /* what a killed snapshot (SIGKILL) staged there goes, as a bundle's temporary does */
        fs_remove_stale_beside(path);
        if (fs_stage_file(path, b.data, b.len, tmp, &d) < 0)
            rc = cli_diag(&d);
    }
    graph_free(g);
    buf_release(&b);
    free(w.rows);
    return rc;
}

int cmd_snapshot(int argc, char **argv)
{
    struct bundle_opts bo = { .command = "snapshot", .window = true };
    struct bcli_args ba = { .bo = &bo };
    struct sel_streams m = { 0 };
    struct bundle_node *nodes = NULL;
    struct store **stores = NULL;
    struct q_opts qo = { 0 };
    struct q_query *q = NULL;
    struct sel sel = { 0 };
    struct snap sn = { 0 };
    size_t nstores = 0, nnodes = 0;
    bool from_end = false, have_from = false, have_to = false;
    bool have_group = false;
    const char *query = NULL, *last = NULL, *graph_path = NULL;
    char *def, *graph_tmp = NULL;
    enum graph_group by = GRAPH_BY_NAME;
    uint64_t dur = 0;
    int c, rc = EXIT_OK;

    optind = 1;
    while ((c = getopt_long(argc, argv, short_opts, long_opts, NULL)) != -1) {
        int shared = bcli_option("snapshot", c, optarg, &ba);

        if (shared != -1) {
            if (shared != EXIT_OK)
                return shared;
            continue;
        }
        switch (c) {
        case OPT_LAST:
            last = optarg;
            if (timefmt_parse_duration(optarg, &dur) < 0 || dur == 0)
                return cli_usage("snapshot", "--last: expected a duration like 90s, 15m, 72h "
                                 "or 7d, not '%s'", optarg);
            break;
        case OPT_FROM:
            if (cli_time("snapshot", "--from", optarg, &bo.from_ns) != EXIT_OK)
                return EXIT_USAGE;
            have_from = true;
            break;
        case OPT_TO:
            if (cli_time("snapshot", "--to", optarg, &bo.to_ns) != EXIT_OK)
                return EXIT_USAGE;
            have_to = true;
            break;
        case OPT_FROM_END:
            from_end = true;
            break;
        case 'q':
            query = optarg;
            break;
        case OPT_CUT:
            bo.cut = true;
            break;
        case OPT_GRAPH:
            graph_path = optarg;
            break;
        case OPT_GROUP_BY:
            if (!graph_group_parse(optarg, &by))
                return cli_usage("snapshot", "--group-by: expected name, pod, service, "
                                 "namespace, node or ip, not '%s'", optarg);
            have_group = true;
            break;
        case 'h':
            fputs(usage_text, stdout);
            return EXIT_OK;
        default:
            return cli_bad_option("snapshot", short_opts, long_opts, argv);
        }
    }
    if (optind >= argc)
        return cli_usage("snapshot", "no store given");
    if (last && (have_from || have_to))
        return cli_usage("snapshot", "--last and --from/--to exclude each other");
    if (!last && !have_from && !have_to)
        return cli_usage("snapshot", "no window: give --last D, or --from T and --to T");
    if (!last && (!have_from || !have_to))
        return cli_usage("snapshot", "%s needs %s", have_from ? "--from" : "--to",
                         have_from ? "--to" : "--from");
    if (have_from && bo.from_ns > bo.to_ns)
        return cli_usage("snapshot", "--from is after --to");
    if (from_end && !last)
        return cli_usage("snapshot", "--from-end needs --last");
    if (have_group && !graph_path)
        return cli_usage("snapshot", "--group-by needs --graph");
    bcli_clock(&ba, &qo);
    if (query || graph_path) {
        bo.query = query;
        if (!query)
            query = "";     /* the graph is of every entry in the window */
        if (sel_compile(query, &qo, &q) != EXIT_OK)
            return EXIT_USAGE;
    }
    rc = bcli_check_output("snapshot", &ba, argv + optind, (size_t)(argc - optind));
    def = bo.path ? NULL : bcli_default_path(bo.created_ns);
    if (rc == EXIT_OK && graph_path)
        rc = cli_check_out("snapshot", "--graph", graph_path, argv + optind,
                           (size_t)(argc - optind));
    if (rc == EXIT_OK && graph_path && strcmp(graph_path, "-") == 0)
        rc = cli_usage("snapshot", "--graph -: name a file");
    if (rc == EXIT_OK && graph_path && cli_same_file(graph_path, bo.path ? bo.path : def))
        rc = cli_usage("snapshot", "--graph %s: the bundle's own path", graph_path);
    free(def);
    if (rc != EXIT_OK)
        goto out;
    rc = sel_open_stores(argv + optind, (size_t)(argc - optind), &stores, &nstores);
    if (rc != EXIT_OK)
        goto out;
    if (last) {
        uint64_t end = bo.created_ns;

        if (from_end) {
            rc = newest(stores, nstores, &end);
            if (rc != EXIT_OK)
                goto out;
        }
        bo.to_ns = end;
        bo.from_ns = end > dur ? end - dur : 0;
    }
    if (q) {
        rc = sel_run(&sel, stores, nstores, q, query, SEL_NO_RECORDS);
        if (rc != EXIT_OK)
            goto out;
        if (sel.partial) {
            /* without -q the entries are the graph's alone: the bundle would be whole */
            cli_error("snapshot: a corrupt index segment was skipped: the %s; nothing "
                      "written", bo.query ? "bundle would miss its streams"
                                          : "graph would miss its entries");
            rc = EXIT_ERROR;
            goto out;
        }
        if (bo.query) {
            sel_streams_build(&m, &sel, q_limit(q));
            sn.m = &m;
        }
    }
    sn.from = bo.from_ns;
    sn.to = bo.to_ns;
    rc = bcli_collect(stores, nstores, keep_active, &sn, &nodes, &nnodes);
    /* the graph is written first, beside its path, and goes into place with the bundle:
     * either both are written or neither (an existing file at either path stays) */
    if (rc == EXIT_OK && graph_path)
        rc = stage_graph(&sel, bo.from_ns, bo.to_ns, by, graph_path, &graph_tmp);
    if (rc == EXIT_OK)
        rc = bcli_write("snapshot", &bo, nodes, nnodes, ba.json);
    if (graph_tmp && rc == EXIT_OK) {
        struct diag d;

        diag_clear(&d);
        if (fs_commit_staged(graph_tmp, graph_path, &d) < 0)
            rc = cli_diag(&d);
        graph_tmp = NULL;
    }
out:
    fs_abort_staged(graph_tmp);
    bcli_nodes_free(nodes, nnodes);
    sel_streams_release(&m);
    sel_release(&sel);
    rc = sel_close_stores(stores, nstores, rc);
    q_free(q);
    return rc;
}
