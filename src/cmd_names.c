/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: streamvault names: import a history into a store (naming its
 * entries anew), show a node's history, resolve one address at one time.
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
#include "cli.h"
#include "json/json.h"
#include "names/names.h"
#include "store/store.h"

static const char usage_text[] =
    "Usage: streamvault names import [--taken TIME] STORE FILE...\n"
    "       streamvault names show [--format table|native|kubeshark] [--node NAME] STORE [IP]\n"
    "       streamvault names resolve [--at TIME] [--node NAME] STORE IP[:PORT]\n"
    "\n"
    "Name resolution history: who was behind each IP (and IP:port) over time.\n"
    "\n"
    "  import   add FILEs (the native format, Kubeshark's name_resolution_history.json\n"
    "           or kubectl get pods,services,endpoints -A -o json dumps) to the history\n"
    "           of every node of STORE and name every entry anew after it\n"
    "  show     print a node's history: a table of its records (default; only IP's\n"
    "           with IP), the native format, or Kubeshark's snapshots\n"
    "  resolve  what IP[:PORT] resolved to at TIME (default: the node's last packet),\n"
    "           one JSON line per node\n"
    "\n"
    "Options:\n"
    "      --taken TIME     import: when kubectl dumps without a \"takenAt\" were taken\n"
    "      --format FMT     show: table, native or kubeshark\n"
    "      --node NAME      show, resolve: this node only\n"
    "      --at TIME        resolve: the time (RFC 3339 or Unix seconds)\n"
    "  -q, --quiet          import: no summary line\n"
    "  -h, --help           this help\n"
    "\n"
    "Exit status: 0 success; 2 usage error; 3 a file or the store could not be read\n"
    "or written, or the output did not all reach standard output; 128 + N when\n"
    "import was stopped by signal N (the store is as it was).\n";

enum { OPT_TAKEN = 256, OPT_FORMAT, OPT_NODE, OPT_AT };

static const char short_opts[] = "qh";

static const struct option long_opts[] = {
    { "taken", required_argument, NULL, OPT_TAKEN },
    { "format", required_argument, NULL, OPT_FORMAT },
    { "node", required_argument, NULL, OPT_NODE },
    { "at", required_argument, NULL, OPT_AT },
    { "quiet", no_argument, NULL, 'q' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
};

enum show_fmt { SHOW_TABLE, SHOW_NATIVE, SHOW_KUBESHARK };

struct names_args {
    struct names_read_opts ro;
    enum show_fmt fmt;
    const char *node;
    const char *at;
    bool quiet;
};

/* The node's history, sealed; NULL (reported) on an error. */
static struct names *load(struct store *st, size_t node, struct diag *d)
{
    struct names *h = names_new();

    if (store_names_load(st, node, h, d) < 0) {
        names_free(h);
        return NULL;
    }
    names_seal(h);
    return h;
}

/* The nodes a command covers: all, or the one --node names (SIZE_MAX: no such node). */
static size_t pick_node(const struct store *st, const char *name)
{
    for (size_t i = 0; name && i < store_nnodes(st); i++) {
        if (strcmp(store_node(st, i)->name, name) == 0)
            return i;
    }
    return SIZE_MAX;
}

static void print_table(const struct names *h, const char *node, bool filter, uint8_t ipver,
                        const uint8_t ip[16], uint16_t port)
{
    for (size_t i = 0; i < names_count(h); i++) {
        const struct names_rec *r = names_at(h, i);
        char a[NAMES_ADDR_TEXT_LEN], from[TIMEFMT_LEN], to[TIMEFMT_LEN], *name, *ns, *svc;

        if (filter && (r->ipver != ipver || memcmp(r->ip, ip, 16) != 0 ||
                       (port && r->port != port)))
            continue;
        names_addr_text(a, r->ipver, r->ip, r->port);
        if (r->from)
            timefmt_rfc3339(from, r->from);
        else
            snprintf(from, sizeof from, "-");
        if (r->to != NAMES_OPEN)
            timefmt_rfc3339(to, r->to);
        else
            snprintf(to, sizeof to, "-");
        /* histories come in bundles from elsewhere: no byte of theirs drives the terminal */
        name = cli_table_safe(r->name, strlen(r->name));
        ns = cli_table_safe(r->ns, strlen(r->ns));
        svc = cli_table_safe(r->svc, strlen(r->svc));
        printf("%-12s %-41s %-30s %-30s %-8s %-8s ", node, a, from, to,
               names_source_name(r->source), names_kind_name(r->kind));
        cli_put_cell(stdout, name, 40);
        putc(' ', stdout);
        cli_put_cell(stdout, ns, 16);
        printf(" %s\n", svc);
        free(name);
        free(ns);
        free(svc);
    }
}

static int do_show(struct store *st, const struct names_args *a, const char *addr)
{
    size_t only = pick_node(st, a->node);
    uint8_t ipver = 0, ip[16];
    uint16_t port = 0;
    struct diag d;
    int rc = EXIT_OK;

    diag_clear(&d);
    if (a->node && only == SIZE_MAX)
        return cli_usage("names", "--node: the store has no node '%s'", a->node);
    if (addr && !names_parse_addr(addr, &ipver, ip, &port))
        return cli_usage("names", "expected IP or IP:PORT, not '%s'", addr);
    if (a->fmt != SHOW_TABLE && addr)
        return cli_usage("names", "show %s: only the table shows one address (--format %s "
                         "writes the whole history)", addr,
                         a->fmt == SHOW_NATIVE ? "native" : "kubeshark");
    if (a->fmt != SHOW_TABLE && only == SIZE_MAX && store_nnodes(st) > 1)
        return cli_usage("names", "the store has several nodes: choose one with --node");
    if (a->fmt == SHOW_TABLE)
        printf("%-12s %-41s %-30s %-30s %-8s %-8s %-40s %-16s %s\n", "NODE", "ADDRESS", "FROM",
               "TO", "SOURCE", "KIND", "NAME", "NAMESPACE", "SERVICE");
    for (size_t i = 0; i < store_nnodes(st); i++) {
        struct names *h;
        struct buf out;

        if (only != SIZE_MAX && i != only)
            continue;
        h = load(st, i, &d);
        if (!h)
            return cli_diag(&d);
        if (a->fmt == SHOW_TABLE) {
            print_table(h, store_node(st, i)->name, addr != NULL, ipver, ip, port);
            names_free(h);
            continue;
        }
        buf_init(&out, SIZE_MAX);
        if ((a->fmt == SHOW_NATIVE ? names_write_native(h, &out)
                                   : names_write_kubeshark(h, &out)) < 0) {
            cli_error("names: out of memory");
            rc = EXIT_ERROR;
        } else {
            fwrite(out.data, 1, out.len, stdout);
        }
        buf_release(&out);
        names_free(h);
    }
    return rc;
}

/* The node's last packet time, from store.json (0 when unknown). */
static uint64_t node_last(const struct store *st, size_t node)
{
    const char *text = store_json_text(st);
    struct jv *meta;
    struct diag d;
    uint64_t t = 0;

    if (jv_parse(text, strlen(text), "store.json", &meta, &d) < 0)
        return 0;
    jv_get_u64(jv_get(jv_at(jv_get(meta, "nodes"), node), "time"), "last_ns", &t);
    jv_free(meta);
    return t;
}

static int do_resolve(struct store *st, const struct names_args *a, const char *addr)
{
    size_t only = pick_node(st, a->node);
    uint8_t ipver, ip[16];
    uint16_t port;
    uint64_t at = 0;
    struct diag d;

    diag_clear(&d);
    if (a->node && only == SIZE_MAX)
        return cli_usage("names", "--node: the store has no node '%s'", a->node);
    if (!names_parse_addr(addr, &ipver, ip, &port))
        return cli_usage("names", "expected IP or IP:PORT, not '%s'", addr);
    if (a->at && cli_time("names", "--at", a->at, &at) != EXIT_OK)
        return EXIT_USAGE;
    for (size_t i = 0; i < store_nnodes(st); i++) {
        struct names_who w;
        struct names *h;
        struct jv *o;
        char t[TIMEFMT_LEN], text[ADDR_TEXT_LEN], *line;
        uint64_t when = a->at ? at : node_last(st, i);

        if (only != SIZE_MAX && i != only)
            continue;
        h = load(st, i, &d);
        if (!h)
            return cli_diag(&d);
        names_resolve(h, ipver, ip, port, when, &w);
        addr_text(text, ipver, ip);
        timefmt_rfc3339(t, when);
        o = jv_obj();
        jv_set(o, "node", jv_str(store_node(st, i)->name));
        jv_set(o, "ip", jv_str(text));
        jv_set(o, "port", jv_u64(port));
        jv_set(o, "at", jv_str(t));
        jv_set(o, "name", jv_str(w.name));
        jv_set(o, "namespace", jv_str(w.ns));
        jv_set(o, "pod", jv_str(w.pod));
        jv_set(o, "service", jv_str(w.svc));
        jv_set(o, "dns", jv_str(w.dns));
        line = jv_dump(o, JV_COMPACT);
        puts(line);
        free(line);
        jv_free(o);
        names_free(h);
    }
    return EXIT_OK;
}

static int do_import(const struct names_args *a, char *const *args, int n)
{
    struct names_read_opts ro = a->ro;
    struct store_names_result r;
    struct diag d;
    int rc;

    diag_clear(&d);
    if (n < 2)
        return cli_usage("names", "import: expected STORE FILE...");
    /* a signal stops the import: what it wrote goes, the store stays as it was */
    cli_catch_signals();
    ro.cancel = &cli_interrupted;
    if (store_names_import(args[0], args + 1, (size_t)n - 1, &ro, &r, &d) < 0) {
        rc = cli_diag(&d);
        return cli_interrupted ? 128 + cli_interrupted : rc;
    }
    if (!a->quiet)
        printf("%s: %llu name record%s; %llu index segment%s named anew\n", args[0],
               (unsigned long long)r.records, r.records == 1 ? "" : "s",
               (unsigned long long)r.segments, r.segments == 1 ? "" : "s");
    return EXIT_OK;
}

int cmd_names(int argc, char **argv)
{
    struct names_args a = { .fmt = SHOW_TABLE };
    const char *sub;
    struct store *st;
    struct diag d;
    int c, rc, n;

    diag_clear(&d);
    optind = 1;
    while ((c = getopt_long(argc, argv, short_opts, long_opts, NULL)) != -1) {
        switch (c) {
        case OPT_TAKEN:
            if (cli_time("names", "--taken", optarg, &a.ro.taken_ns) != EXIT_OK)
                return EXIT_USAGE;
            break;
        case OPT_FORMAT:
            if (strcmp(optarg, "table") == 0)
                a.fmt = SHOW_TABLE;
            else if (strcmp(optarg, "native") == 0)
                a.fmt = SHOW_NATIVE;
            else if (strcmp(optarg, "kubeshark") == 0)
                a.fmt = SHOW_KUBESHARK;
            else
                return cli_usage("names", "--format: expected table, native or kubeshark, not '%s'",
                                 optarg);
            break;
        case OPT_NODE:
            a.node = optarg;
            break;
        case OPT_AT:
            a.at = optarg;
            break;
        case 'q':
            a.quiet = true;
            break;
        case 'h':
            fputs(usage_text, stdout);
            return EXIT_OK;
        default:
            return cli_bad_option("names", short_opts, long_opts, argv);
        }
    }
    if (optind >= argc)
        return cli_usage("names", "expected import, show or resolve");
    sub = argv[optind++];
    n = argc - optind;
    if (strcmp(sub, "import") == 0)
        return do_import(&a, argv + optind, n);
    if (strcmp(sub, "show") != 0 && strcmp(sub, "resolve") != 0)
        return cli_usage("names", "expected import, show or resolve, not '%s'", sub);
    if (strcmp(sub, "show") == 0 ? n < 1 || n > 2 : n != 2)
        return cli_usage("names", strcmp(sub, "show") == 0 ? "show: expected STORE [IP]"
                                                           : "resolve: expected STORE IP[:PORT]");
    if (store_open(&st, argv[optind], &d) < 0)
        return cli_diag(&d);
    rc = strcmp(sub, "show") == 0 ? do_show(st, &a, n == 2 ? argv[optind + 1] : NULL)
                                  : do_resolve(st, &a, argv[optind + 1]);
    store_close(st);
    return rc;
}
