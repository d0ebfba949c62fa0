/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: streamvault export: every stream holding an entry a KFL query
 * matches, whole, as a tar.gz bundle (lib/bundle, docs/BUNDLES.md).
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/diag.h"
#include "base/xalloc.h"
#include "bundle/bundle.h"
#include "bundlecli.h"
#include "cli.h"
#include "query/query.h"
#include "select.h"
#include "store/store.h"

static const char usage_text[] =
    "Usage: streamvault export [OPTIONS] STORE... QUERY\n"
    "\n"
    "Write every stream holding an entry that QUERY (KFL, docs/KFL.md) matches,\n"
    "whole, into a tar.gz bundle laid out as Kubeshark's export (docs/BUNDLES.md):\n"
    "per node, the streams merged in time order into <node>_<ip>/<unix>.pcap, the\n"
    "node's name resolution history, and content.json with counts and sha256s.\n"
    "\n"
    "Options:\n"
    "  -o, --output FILE     the bundle (default streamvault_<unix>.tar.gz, <unix> the\n"
    "                        creation time); written atomically\n"
    "      --per-stream      also <node>_<ip>/streams/<id>.pcap for each stream\n"
    "                        (<id>_udp.pcap for UDP)\n"
    "      --now TIME        the creation time and what now() is (RFC 3339 or Unix\n"
    "                        seconds; default: the clock); same TIME, same bytes\n"
    "      --json            print a JSON summary on standard output\n"
    "  -h, --help            this help\n"
    "\n"
    "Exit status: 0 success; 2 usage error or a query that does not compile;\n"
    "3 a store could not be read or the bundle not written (nothing is left), or\n"
    "what was printed did not all reach standard output.\n";

static const char short_opts[] = "o:h";

static const struct option long_opts[] = {
    BCLI_LONG_OPTIONS,
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
};

static bool keep_matched(void *arg, const struct store *store, size_t node,
                         const struct store_stream *st)
{
    return sel_streams_has(arg, store, node, st->id);
}

int cmd_export(int argc, char **argv)
{
    struct bundle_opts bo = { .command = "export" };
    struct bcli_args ba = { .bo = &bo };
    struct sel_streams m = { 0 };
    struct bundle_node *nodes = NULL;
    struct store **stores = NULL;
    struct q_opts qo = { 0 };
    struct q_query *q = NULL;
    struct sel sel = { 0 };
    size_t nstores = 0, nnodes = 0;
    const char *query;
    int c, rc = EXIT_OK;

    optind = 1;
    while ((c = getopt_long(argc, argv, short_opts, long_opts, NULL)) != -1) {
        int shared = bcli_option("export", c, optarg, &ba);

        if (shared != -1) {
            if (shared != EXIT_OK)
                return shared;
            continue;
        }
        switch (c) {
        case 'h':
            fputs(usage_text, stdout);
            return EXIT_OK;
        default:
            return cli_bad_option("export", short_opts, long_opts, argv);
        }
    }
    if (argc - optind < 2)
        return cli_usage("export", "expected STORE... QUERY");
    bcli_clock(&ba, &qo);
    query = argv[argc - 1];
    bo.query = query;
    rc = bcli_check_output("export", &ba, argv + optind, (size_t)(argc - optind - 1));
    if (rc != EXIT_OK)
        return rc;
    if (sel_compile(query, &qo, &q) != EXIT_OK)
        return EXIT_USAGE;
    rc = sel_open_stores(argv + optind, (size_t)(argc - optind - 1), &stores, &nstores);
    if (rc != EXIT_OK)
        goto out;
    rc = sel_run(&sel, stores, nstores, q, query, SEL_NO_RECORDS);
    if (rc != EXIT_OK)
        goto out;
    if (sel.partial) {
        cli_error("export: a corrupt index segment was skipped: the bundle would miss its "
                  "streams; nothing written");
        rc = EXIT_ERROR;
        goto out;
    }
    sel_streams_build(&m, &sel, q_limit(q));
    rc = bcli_collect(stores, nstores, keep_matched, &m, &nodes, &nnodes);
    if (rc == EXIT_OK)
        rc = bcli_write("export", &bo, nodes, nnodes, ba.json);
out:
    bcli_nodes_free(nodes, nnodes);
    sel_streams_release(&m);
    sel_release(&sel);
    rc = sel_close_stores(stores, nstores, rc);
    q_free(q);
    return rc;
}
