/* SPDX-License-Identifier: BSD-2-Clause */
/* summary: streamvault streams: list a store's L4 streams, or write them out as files */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>
#include <sys/stat.h>

#include "base/addr.h"
#include "base/buf.h"
#include "base/diag.h"
#include "base/fsutil.h"
#include "base/timefmt.h"
#include "base/xalloc.h"
#include "cli.h"
#include "json/json.h"
#include "query/query.h"
#include "select.h"
#include "store/store.h"

static const char usage_text[] =
    "Usage: streamvault streams [OPTIONS] STORE... [QUERY]\n"
    "\n"
    "List the TCP/UDP streams of one or more stores (one line each: node, id, file,\n"
    "transport, client, server, first and last packet time, packets, bytes), or\n"
    "write them out as standalone PCAP files. With a KFL QUERY (docs/KFL.md), only\n"
    "the streams that hold at least one matching entry. The last argument is taken\n"
    "as the query when it is not a store (a directory with a store.json).\n"
    "\n"
    "Options:\n"
    "  -q, --query KFL       the query, given explicitly\n"
    "      --now TIME        what now() is in the query (RFC 3339 or Unix seconds)\n"
    "      --id LIST         only these stream ids: 7,9,20-30\n"
    "      --node NAME       only this node's streams\n"
    "      --json            JSON array of stream objects instead of the table\n"
    "  -x, --extract DIR     write each selected stream to DIR/<file> (DIR/<node>/<file>\n"
    "                        when the stores hold several nodes)\n"
    "      --with-other      with --extract: also write each node's other.pcap\n"
    "  -h, --help            this help\n";

enum { OPT_ID = 256, OPT_NODE, OPT_JSON, OPT_WITH_OTHER, OPT_NOW };

static const char short_opts[] = "x:q:h";

static const struct option long_opts[] = {
    { "id", required_argument, NULL, OPT_ID },
    { "node", required_argument, NULL, OPT_NODE },
    { "json", no_argument, NULL, OPT_JSON },
    { "extract", required_argument, NULL, 'x' },
    { "with-other", no_argument, NULL, OPT_WITH_OTHER },
    { "query", required_argument, NULL, 'q' },
    { "now", required_argument, NULL, OPT_NOW },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
};

struct idrange {
    uint64_t lo, hi;
};

struct idsel {
    struct idrange *r;
    size_t n, cap;
    const char *node;
};

static bool parse_ids(struct idsel *s, const char *arg)
{
    const char *p = arg;

    while (*p) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        char tok[64], *dash;
        uint64_t lo, hi;

        if (len == 0 || len >= sizeof tok)
            return false;
        memcpy(tok, p, len);
        tok[len] = '\0';
        dash = strchr(tok, '-');
        if (dash) {
            *dash = '\0';
            if (!cli_parse_uint(tok, UINT64_MAX, &lo) ||
                !cli_parse_uint(dash + 1, UINT64_MAX, &hi) || lo > hi)
                return false;
        } else {
            if (!cli_parse_uint(tok, UINT64_MAX, &lo))
                return false;
            hi = lo;
        }
        xgrow((void **)&s->r, &s->cap, s->n + 1, sizeof *s->r);
        s->r[s->n++] = (struct idrange){ lo, hi };
        p += len;
        if (*p == ',' && *++p == '\0')
            return false;
    }
    return s->n > 0;
}

static bool selected(const struct idsel *s, uint64_t id)
{
    if (s->n == 0)
        return true;
    for (size_t i = 0; i < s->n; i++)
        if (id >= s->r[i].lo && id <= s->r[i].hi)
            return true;
    return false;
}

/* A store is a directory holding a store.json. */
static bool is_store(const char *dir)
{
    char *p = fs_join(dir, "store.json");
    bool yes = access(p, F_OK) == 0;

    free(p);
    return yes;
}

static const char *transport(const struct store_stream *st)
{
    return st->proto == 6 ? "tcp" : "udp";
}

static void endpoint(char out[80], uint8_t ipver, const uint8_t *a, uint16_t port)
{
    char t[ADDR_TEXT_LEN];

    addr_text(t, ipver, a);
    if (ipver == 6)
        snprintf(out, 80, "[%s]:%u", t, port);
    else
        snprintf(out, 80, "%s:%u", t, port);
}

static struct jv *stream_json(const char *node, const struct store_stream *st)
{
    struct jv *o = jv_obj(), *cli = jv_obj(), *srv = jv_obj(), *flags = jv_arr();
    char t[TIMEFMT_LEN], a[ADDR_TEXT_LEN], name[32];

    store_stream_name(st, name);
    jv_set(o, "node", jv_str(node));
    jv_set(o, "id", jv_u64(st->id));
    jv_set(o, "file", jv_str(name));
    jv_set(o, "transport", jv_str(transport(st)));
    jv_set(o, "ip_version", jv_u64(st->ipver));
    addr_text(a, st->ipver, st->cli);
    jv_set(cli, "ip", jv_str(a));
    jv_set(cli, "port", jv_u64(st->cli_port));
    jv_set(o, "client", cli);
    addr_text(a, st->ipver, st->srv);
    jv_set(srv, "ip", jv_str(a));
    jv_set(srv, "port", jv_u64(st->srv_port));
    jv_set(o, "server", srv);
    timefmt_rfc3339(t, st->first_ns);
    jv_set(o, "first", jv_str(t));
    timefmt_rfc3339(t, st->last_ns);
    jv_set(o, "last", jv_str(t));
    jv_set(o, "first_ns", jv_u64(st->first_ns));
    jv_set(o, "last_ns", jv_u64(st->last_ns));
    jv_set(o, "packets", jv_u64(st->packets));
    jv_set(o, "bytes", jv_u64(st->bytes));
    jv_set(o, "file_bytes", jv_u64(st->length));
    jv_set(o, "format", jv_str(st->flags & STORE_S_PCAPNG ? "pcapng" : "pcap"));
    jv_set(o, "stored", jv_str(st->flags & STORE_S_FILE ? "file" : "pack"));
    if (st->flags & STORE_S_SYN)
        jv_push(flags, jv_str("syn"));
    if (st->flags & STORE_S_FIN)
        jv_push(flags, jv_str("fin"));
    if (st->flags & STORE_S_RST)
        jv_push(flags, jv_str("rst"));
    if (st->flags & STORE_S_FRAG)
        jv_push(flags, jv_str("fragments"));
    jv_set(o, "flags", flags);
    jv_set(o, "anomalies", jv_u64(st->anomalies));
    return o;
}

/* Whether one of the stores has a node of this name. */
static bool has_node(struct store *const *stores, size_t nstores, const char *name)
{
    for (size_t si = 0; si < nstores; si++) {
        for (size_t ni = 0; ni < store_nnodes(stores[si]); ni++) {
            if (strcmp(store_node(stores[si], ni)->name, name) == 0)
                return true;
        }
    }
    return false;
}

/* The store before node ni of store si that holds a node of its name; SIZE_MAX if none. */
static size_t earlier_node(struct store *const *stores, size_t si, size_t ni)
{
    const char *name = store_node(stores[si], ni)->name;

    for (size_t sj = 0; sj <= si; sj++) {
        for (size_t nj = 0; nj < (sj == si ? ni : store_nnodes(stores[sj])); nj++) {
            if (strcmp(store_node(stores[sj], nj)->name, name) == 0)
                return sj;
        }
    }
    return SIZE_MAX;
}

/*
 * Writes one stream's file whole, or not at all: beside its name first, and
 * renamed into place unless a signal came meanwhile.
 */
static int write_one(const char *dir, const char *name, const struct buf *b, struct diag *d)
{
    char *path = fs_join(dir, name), *tmp = NULL;
    int rc = fs_stage_file(path, b->data, b->len, &tmp, d);

    if (rc == 0 && cli_interrupted)
        fs_abort_staged(tmp);
    else if (rc == 0)
        rc = fs_commit_staged(tmp, path, d);
    free(path);
    return rc;
}

int cmd_streams(int argc, char **argv)
{
    struct idsel sel = { NULL, 0, 0, NULL };
    const char *extract = NULL;
    bool json = false, with_other = false, first = true;
    size_t unreadable = 0;
    struct store **stores = NULL;
    size_t nstores = 0, nnodes = 0;
    const char *query = NULL;
    struct q_opts qo = { 0 };
    struct q_query *q = NULL;
    struct sel sl = { 0 };
    struct sel_streams hits = { 0 };
    struct diag d;
    struct buf b;
    int c, nargs, rc = EXIT_OK;

    diag_clear(&d);
    buf_init(&b, SIZE_MAX);
    optind = 1;
    while ((c = getopt_long(argc, argv, short_opts, long_opts, NULL)) != -1) {
        switch (c) {
        case OPT_ID:
            if (!parse_ids(&sel, optarg)) {
                rc = cli_usage("streams", "--id: expected ids and ranges like 7,9,20-30");
                goto out;
            }
            break;
        case OPT_NODE:
            sel.node = optarg;
            break;
        case OPT_JSON:
            json = true;
            break;
        case 'x':
            extract = optarg;
            break;
        case OPT_WITH_OTHER:
            with_other = true;
            break;
        case 'q':
            query = optarg;
            break;
        case OPT_NOW:
            rc = cli_time("streams", "--now", optarg, &qo.now_ns);
            if (rc != EXIT_OK)
                goto out;
            qo.now_set = true;
            break;
        case 'h':
            fputs(usage_text, stdout);
            goto out;
        default:
            rc = cli_bad_option("streams", short_opts, long_opts, argv);
            goto out;
        }
    }
    nargs = argc - optind;
    if (!query && nargs >= 2 && !is_store(argv[argc - 1]))
        query = argv[argc - 1], nargs--;
    if (nargs < 1) {
        rc = cli_usage("streams", "no store given");
        goto out;
    }
    if (query && (rc = sel_compile(query, &qo, &q)) != EXIT_OK)
        goto out;
    if (with_other && !extract) {
        rc = cli_usage("streams", "--with-other needs --extract");
        goto out;
    }
    rc = sel_open_stores(argv + optind, (size_t)nargs, &stores, &nstores);
    if (rc != EXIT_OK)
        goto out;
    for (size_t i = 0; i < nstores; i++)
        nnodes += store_nnodes(stores[i]);
    if (sel.node && !has_node(stores, nstores, sel.node)) {
        rc = cli_usage("streams", nstores == 1 ? "--node: the store has no node '%s'"
                                               : "--node: none of the stores has a node '%s'",
                       sel.node);
        goto out;
    }
    if (q) {
        rc = sel_run(&sl, stores, nstores, q, query, SEL_NO_RECORDS);
        if (rc != EXIT_OK)
            goto out;
        sel_streams_build(&hits, &sl, q_limit(q));
    }
    /* two stores' nodes of one name would go to one directory, one file over the other */
    for (size_t si = 0; extract && si < nstores && rc == EXIT_OK; si++) {
        for (size_t ni = 0; ni < store_nnodes(stores[si]) && rc == EXIT_OK; ni++) {
            const char *name = store_node(stores[si], ni)->name;
            size_t sj = earlier_node(stores, si, ni);

            if (sj != SIZE_MAX && (!sel.node || strcmp(sel.node, name) == 0))
                rc = cli_usage("streams", "--extract: %s and %s both hold a node '%s': extract "
                               "them one at a time", argv[optind + sj], argv[optind + si], name);
        }
    }
    if (rc != EXIT_OK)
        goto out;
    /*
     * A signal stops --extract between files: those written are whole, none is
     * half. A reader of the listing that goes away (| head) does not: the files
     * are the job, and the lost listing is an error said at the end (exit 3).
     */
    if (extract) {
        cli_catch_signals();
        signal(SIGPIPE, SIG_IGN);
    }
    if (extract && fs_mkdirs(extract, &d) < 0) {
        rc = cli_diag(&d);
        goto out;
    }
    /* every catalogue is read (and checked) before a line is printed */
    for (size_t si = 0; si < nstores; si++) {
        for (size_t ni = 0; ni < store_nnodes(stores[si]); ni++) {
            const struct store_stream *v;
            size_t n;

            if (store_streams(stores[si], ni, &v, &n, &d) < 0) {
                rc = cli_diag(&d);
                goto out;
            }
        }
    }
    if (json)
        fputs("[", stdout);
    else if (!extract)
        printf("%-8s %8s  %-22s %-4s %-41s %-41s %-30s %-30s %9s %12s\n", "NODE", "ID", "FILE",
               "L4", "CLIENT", "SERVER", "FIRST", "LAST", "PACKETS", "BYTES");
    for (size_t si = 0; si < nstores; si++) {
        for (size_t ni = 0; ni < store_nnodes(stores[si]); ni++) {
            const struct store_node_info *node = store_node(stores[si], ni);
            const struct store_stream *v;
            char *outdir;
            size_t n;

            if (sel.node && strcmp(sel.node, node->name) != 0)
                continue;
            if (store_streams(stores[si], ni, &v, &n, &d) < 0) {
                rc = cli_diag(&d);
                goto out;
            }
            outdir = extract ? (nnodes > 1 ? fs_join(extract, node->name) : xstrdup(extract))
                             : NULL;
            if (outdir && fs_mkdirs(outdir, &d) < 0) {
                free(outdir);
                rc = cli_diag(&d);
                goto out;
            }
            for (size_t k = 0; k < n && !cli_interrupted; k++) {
                const struct store_stream *st = &v[k];
                char name[32];

                if (!selected(&sel, st->id) || (st->flags & STORE_S_DISCARDED) ||
                    (q && !sel_streams_has(&hits, stores[si], ni, st->id)))
                    continue;
                store_stream_name(st, name);
                if (extract) {
                    buf_reset(&b);
                    if (store_stream_read(stores[si], ni, st, &b, &d) < 0) {
                        /* a store replaced meanwhile is no damage: said once, at the end */
                        if (store_replaced(stores[si])) {
                            free(outdir);
                            rc = EXIT_ERROR;
                            goto out;
                        }
                        /* a damaged stream: said, and the others still written */
                        cli_diag(&d);
                        unreadable++;
                        continue;
                    }
                    if (write_one(outdir, name, &b, &d) < 0) {
                        free(outdir);
                        rc = cli_diag(&d);
                        goto out;
                    }
                }
                if (json) {
                    struct jv *o = stream_json(node->name, st);
                    char *text = jv_dump(o, JV_COMPACT);

                    printf("%s\n%s", first ? "" : ",", text);
                    first = false;
                    free(text);
                    jv_free(o);
                } else if (!extract) {
                    char cl[80], sv[80], t1[TIMEFMT_LEN], t2[TIMEFMT_LEN];

                    endpoint(cl, st->ipver, st->cli, st->cli_port);
                    endpoint(sv, st->ipver, st->srv, st->srv_port);
                    timefmt_rfc3339(t1, st->first_ns);
                    timefmt_rfc3339(t2, st->last_ns);
                    printf("%-8s %8llu  %-22s %-4s %-41s %-41s %-30s %-30s %9llu %12llu\n",
                           node->name, (unsigned long long)st->id, name, transport(st), cl, sv,
                           t1, t2, (unsigned long long)st->packets,
                           (unsigned long long)st->bytes);
                }
            }
            if (extract && with_other && !cli_interrupted) {
                buf_reset(&b);
                if (store_other_read(stores[si], ni, &b, &d) < 0 ||
                    write_one(outdir, "other.pcap", &b, &d) < 0) {
                    free(outdir);
                    rc = cli_diag(&d);
                    goto out;
                }
                if (json) {
                    struct jv *o = jv_obj();
                    char *text;

                    jv_set(o, "node", jv_str(node->name));
                    jv_set(o, "file", jv_str("other.pcap"));
                    jv_set(o, "file_bytes", jv_u64(b.len));
                    text = jv_dump(o, JV_COMPACT);
                    printf("%s\n%s", first ? "" : ",", text);
                    first = false;
                    free(text);
                    jv_free(o);
                }
            }
            free(outdir);
        }
    }
    if (cli_interrupted) {
        cli_error("streams: %s: interrupted; the files written before it are whole", extract);
        rc = 128 + cli_interrupted;
        goto out;
    }
    if (json)
        fputs(first ? "]\n" : "\n]\n", stdout);
    if (unreadable > 0)
        cli_error("streams: %zu stream%s could not be read; the others were written", unreadable,
                  unreadable == 1 ? "" : "s");
    if (sl.partial || unreadable > 0)
        rc = EXIT_ERROR;
out:
    sel_streams_release(&hits);
    sel_release(&sl);
    q_free(q);
    rc = sel_close_stores(stores, nstores, rc);
    free(sel.r);
    buf_release(&b);
    return rc;
}
