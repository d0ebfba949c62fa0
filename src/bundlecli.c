/* SPDX-License-Identifier: BSD-2-Clause */
/* summary: what export and snapshot share: the streams of each node, writing, summary */
#include "config.h"

#include "bundlecli.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/diag.h"
#include "base/fsutil.h"
#include "base/timefmt.h"
#include "base/xalloc.h"
#include "bundle/bundle.h"
#include "cli.h"
#include "json/json.h"
#include "query/query.h"
#include "select.h"
#include "store/store.h"

int bcli_collect(struct store *const *stores, size_t nstores, bcli_keep_fn keep, void *arg,
                 struct bundle_node **out, size_t *n)
{
    struct bundle_node *v = NULL;
    size_t nv = 0, cap = 0;
    struct diag d;

    diag_clear(&d);
    for (size_t si = 0; si < nstores; si++) {
        for (size_t ni = 0; ni < store_nnodes(stores[si]); ni++) {
            const struct store_stream *st;
            struct bundle_node *b;
            size_t ns;

            if (store_streams(stores[si], ni, &st, &ns, &d) < 0) {
                *out = v;
                *n = nv;
                return cli_diag(&d);
            }
            xgrow((void **)&v, &cap, nv + 1, sizeof *v);
            b = &v[nv++];
            b->store = stores[si];
            b->node = ni;
            b->nstreams = 0;
            b->streams = xmalloc((ns ? ns : 1) * sizeof *b->streams);
            for (size_t k = 0; k < ns; k++)
                if (!(st[k].flags & STORE_S_DISCARDED) && keep(arg, stores[si], ni, &st[k]))
                    b->streams[b->nstreams++] = &st[k];
        }
    }
    *out = v;
    *n = nv;
    return EXIT_OK;
}

void bcli_nodes_free(struct bundle_node *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i].streams);
    free(v);
}

uint64_t bcli_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

char *bcli_default_path(uint64_t created_ns)
{
    return fs_printf("streamvault_%llu.tar.gz", (unsigned long long)(created_ns / 1000000000u));
}

int bcli_option(const char *cmd, int c, const char *arg, struct bcli_args *a)
{
    switch (c) {
    case 'o':
        a->bo->path = arg;
        return EXIT_OK;
    case BCLI_OPT_PER_STREAM:
        a->bo->per_stream = true;
        return EXIT_OK;
    case BCLI_OPT_NOW:
        a->have_now = true;
        return cli_time(cmd, "--now", arg, &a->bo->created_ns);
    case BCLI_OPT_JSON:
        a->json = true;
        return EXIT_OK;
    default:
        return -1;
    }
}

void bcli_clock(struct bcli_args *a, struct q_opts *qo)
{
    if (!a->have_now)
        a->bo->created_ns = bcli_now();
    qo->now_ns = a->bo->created_ns;
    qo->now_set = true;
}

int bcli_check_output(const char *cmd, const struct bcli_args *a, char *const *stores,
                      size_t nstores)
{
    const char *path = a->bo->path;
    char *def;
    int rc;

    if (path && strcmp(path, "-") == 0) {
        if (a->json)
            return cli_usage(cmd, "-o - and --json both write to standard output");
        if (isatty(STDOUT_FILENO))
            return cli_usage(cmd, "-o -: standard output is a terminal; redirect it, or name "
                             "a file");
    }
    def = path ? NULL : bcli_default_path(a->bo->created_ns);
    rc = cli_check_out(cmd, "-o", path ? path : def, stores, nstores);
    free(def);
    return rc;
}

static const char *plural(uint64_t n)
{
    return n == 1 ? "" : "s";
}

/* The bundle's nodes (what bundle_opts.check gets). */
struct bcli_nodes {
    const struct bundle_node *v;
    size_t n;
};

/* bundle_opts.check: a bundle read from a store that was replaced meanwhile is not kept. */
static int stores_unchanged(const void *arg, struct diag *d)
{
    const struct bcli_nodes *nodes = arg;

    for (size_t i = 0; i < nodes->n; i++) {
        if (store_replaced(nodes->v[i].store))
            return diag_set(d, SV_EIO, "%s: replaced while it was read: the bundle would mix "
                            "the old store and the new; nothing written",
                            store_dir(nodes->v[i].store));
    }
    return 0;
}

int bcli_write(const char *cmd, struct bundle_opts *o, const struct bundle_node *nodes, size_t n,
               bool json)
{
    const struct bcli_nodes all = { nodes, n };
    struct bundle_result r;
    char *def = NULL;
    struct diag d;
    int rc = EXIT_OK, wrc;

    diag_clear(&d);
    /* a signal while the bundle is written stops it and removes its file */
    cli_catch_signals();
    o->cancel = &cli_interrupted;
    o->check = stores_unchanged;
    o->check_arg = &all;
    if (!o->path) {
        def = bcli_default_path(o->created_ns);
        o->path = def;
    }
    /* a reader of -o - that goes away is an error of ours to report (exit 3), not a kill */
    if (strcmp(o->path, "-") == 0)
        signal(SIGPIPE, SIG_IGN);
    wrc = bundle_write(o, nodes, n, &r, &d);
    o->check = NULL;
    if (wrc < 0) {
        /* a store replaced meanwhile explains whatever fault the read met */
        (void)stores_unchanged(&all, &d);
        rc = cli_diag(&d);
        if (cli_interrupted)
            rc = 128 + cli_interrupted;
        else if (rc == EXIT_USAGE)
            rc = EXIT_ERROR;
        goto out;
    }
    fprintf(stderr, "streamvault: %s: wrote %s: %llu stream%s, %llu packet%s, %llu byte%s from "
            "%zu node%s\n", cmd, strcmp(o->path, "-") == 0 ? "standard output" : o->path,
            (unsigned long long)r.streams, plural(r.streams), (unsigned long long)r.packets,
            plural(r.packets), (unsigned long long)r.bytes, plural(r.bytes), r.nodes,
            plural(r.nodes));
    if (json) {
        struct jv *j = jv_obj();
        char *text;

        jv_set(j, "path", jv_str(o->path));
        jv_set(j, "nodes", jv_u64(r.nodes));
        jv_set(j, "streams", jv_u64(r.streams));
        jv_set(j, "packets", jv_u64(r.packets));
        jv_set(j, "bytes", jv_u64(r.bytes));
        jv_set(j, "file_bytes", jv_u64(r.file_bytes));
        jv_set(j, "peak_open_streams", jv_u64(r.peak_open));
        text = jv_dump(j, JV_COMPACT);
        printf("%s\n", text);
        free(text);
        jv_free(j);
    }
out:
    free(def);
    return rc;
}
