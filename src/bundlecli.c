/* SPDX-License-Identifier: BSD-2-Clause */
/* summary: what export and snapshot share: stream selection per node, writing, summary */
#include "config.h"

#include "bundlecli.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/diag.h"
#include "base/fsutil.h"
#include "base/xalloc.h"
#include "bundle/bundle.h"
#include "cli.h"
#include "json/json.h"
#include "select.h"
#include "store/store.h"

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return (x > y) - (x < y);
}

void bcli_matches_build(struct bcli_matches *m, const struct sel *s, uint64_t limit)
{
    size_t *count = xcalloc(s->nsrcs ? s->nsrcs : 1, sizeof *count);
    size_t nrows = limit < s->nrows ? (size_t)limit : s->nrows;

    m->n = s->nsrcs;
    m->v = xcalloc(m->n ? m->n : 1, sizeof *m->v);
    for (size_t i = 0; i < nrows; i++)
        count[s->rows[i].src]++;
    for (size_t i = 0; i < m->n; i++) {
        m->v[i].store = s->srcs[i].store;
        m->v[i].node = s->srcs[i].node;
        m->v[i].ids = xmalloc((count[i] ? count[i] : 1) * sizeof *m->v[i].ids);
    }
    for (size_t i = 0; i < nrows; i++) {
        struct bcli_mnode *x = &m->v[s->rows[i].src];

        x->ids[x->n++] = s->rows[i].stream;
    }
    for (size_t i = 0; i < m->n; i++) {
        struct bcli_mnode *x = &m->v[i];
        size_t k = 0;

        qsort(x->ids, x->n, sizeof *x->ids, cmp_u64);
        for (size_t j = 0; j < x->n; j++)
            if (k == 0 || x->ids[j] != x->ids[k - 1])
                x->ids[k++] = x->ids[j];
        x->n = k;
    }
    free(count);
}

bool bcli_matched(const struct bcli_matches *m, const struct store *store, size_t node,
                  uint64_t id)
{
    for (size_t i = 0; i < m->n; i++) {
        const struct bcli_mnode *x = &m->v[i];

        if (x->store == store && x->node == node)
            return bsearch(&id, x->ids, x->n, sizeof id, cmp_u64) != NULL;
    }
    return false;
}

void bcli_matches_release(struct bcli_matches *m)
{
    for (size_t i = 0; i < m->n; i++)
        free(m->v[i].ids);
    free(m->v);
    m->v = NULL;
    m->n = 0;
}

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

/* Set by SIGINT, SIGTERM or SIGHUP while a bundle is written: it stops and removes its file. */
static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
    interrupted = sig;
}

int bcli_write(const char *cmd, struct bundle_opts *o, const struct bundle_node *nodes, size_t n,
               bool json)
{
    struct bundle_result r;
    char *def = NULL;
    struct diag d;
    int rc = EXIT_OK;
    struct sigaction sa, old[3];
    static const int sigs[3] = { SIGINT, SIGTERM, SIGHUP };

    diag_clear(&d);
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    for (int i = 0; i < 3; i++)
        sigaction(sigs[i], &sa, &old[i]);
    o->cancel = &interrupted;
    if (!o->path) {
        def = fs_printf("streamvault_%llu.tar.gz",
                        (unsigned long long)(o->created_ns / 1000000000u));
        o->path = def;
    }
    if (bundle_write(o, nodes, n, &r, &d) < 0) {
        rc = cli_diag(&d);
        if (interrupted)
            rc = 128 + interrupted;
        else if (rc == EXIT_USAGE)
            rc = EXIT_ERROR;
        goto out;
    }
    fprintf(stderr, "streamvault: %s: wrote %s: %llu streams, %llu packets, %llu bytes from %zu "
            "node%s\n", cmd, o->path, (unsigned long long)r.streams,
            (unsigned long long)r.packets, (unsigned long long)r.bytes, r.nodes,
            r.nodes == 1 ? "" : "s");
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
        if (fflush(stdout) != 0) {
            cli_error("%s: write error on standard output", cmd);
            rc = EXIT_ERROR;
        }
    }
out:
    for (int i = 0; i < 3; i++)
        sigaction(sigs[i], &old[i], NULL);
    free(def);
    return rc;
}
