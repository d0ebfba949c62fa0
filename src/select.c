/* SPDX-License-Identifier: BSD-2-Clause */
/* summary: the entries of one or more stores that a KFL query selects */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/diag.h"
#include "base/xalloc.h"
#include "cli.h"
#include "entry/entry.h"
#include "index/index.h"
#include "json/json.h"
#include "query/query.h"
#include "select.h"
#include "store/store.h"
#include "streamvault.h"

static int cmp_row(const void *a, const void *b)
{
    const struct sel_row *x = a, *y = b;

    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    if (x->src != y->src)
        return x->src < y->src ? -1 : 1;
    if (x->stream != y->stream)
        return x->stream < y->stream ? -1 : 1;
    return (x->index > y->index) - (x->index < y->index);
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
static int match_rows(const struct q_query *q, const struct sel_src *srcs,
                      const struct sel_row *rows, size_t nrows, uint8_t *hit, bool bodies,
                      size_t *bad, struct q_error *err)
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
            const struct sel_src *s = &srcs[rows[i].src];
            struct ent_view v;
            struct jv *j;
            int m;

            (void)ent_parse(rows[i].rec, SIZE_MAX, &v);
            j = jv_entry(&v, s->name, s->ip);
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
#pragma omp critical(select_error)
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

/* Reports why row r could not be matched. */
static void report(const struct sel *s, const struct sel_row *r, const char *query_text,
                   struct q_error *qe)
{
    const char *node = s->srcs[r->src].name;
    char what[sizeof qe->msg], *t;
    int k;

    if (qe->code == SV_EFORMAT) {
        cli_error("%s: entries: stream %llu entry %u: corrupt entry record", node,
                  (unsigned long long)r->stream, r->index);
        return;
    }
    memcpy(what, qe->msg, sizeof what);
    k = snprintf(qe->msg, sizeof qe->msg, "entry %s/%llu-%u: ", node,
                 (unsigned long long)r->stream, r->index);
    if (k > 0 && (size_t)k < sizeof qe->msg)
        memcpy(qe->msg + k, what, strnlen(what, sizeof qe->msg - (size_t)k - 1) + 1);
    qe->msg[sizeof qe->msg - 1] = 0;
    t = q_error_text(query_text, strlen(query_text), qe);
    cli_error("%s", t);
    free(t);
}

int sel_run(struct sel *s, struct store *const *stores, size_t nstores, const struct q_query *q,
            const char *query_text, unsigned flags)
{
    bool bodies = (flags & SEL_BODIES) || q_needs_bodies(q);
    size_t caprows = 0, nrows = 0, bad = 0, kept = 0;
    struct sel_row *rows = NULL;
    struct q_error qe;
    uint64_t lo, hi;
    uint8_t *hit;

    memset(s, 0, sizeof *s);
    q_time_bounds(q, &lo, &hi);
    for (size_t si = 0; si < nstores; si++) {
        size_t first = s->nsrcs;

        for (size_t ni = 0; ni < store_nnodes(stores[si]); ni++) {
            const struct store_node_info *node = store_node(stores[si], ni);
            struct sel_src *src;

            s->srcs = xrealloc(s->srcs, (s->nsrcs + 1) * sizeof *s->srcs);
            src = &s->srcs[s->nsrcs++];
            src->store = stores[si];
            src->node = ni;
            src->name = node->name;
            src->ip = node->ip;
            buf_init(&src->recs, SIZE_MAX);
        }
        for (size_t k = 0; k < store_nsegments(stores[si]); k++) {
            const struct store_segment *seg = store_segment(stores[si], k);

            /* a corrupt segment is reported and skipped; the others are still read */
            if (read_segment(stores[si], k, &s->srcs[first + seg->node].recs, lo, hi, bodies) < 0)
                s->partial = true;
        }
    }
    for (size_t i = 0; i < s->nsrcs; i++) {
        const uint8_t *p = s->srcs[i].recs.data, *end = p + s->srcs[i].recs.len;

        while (p < end) {
            struct ent_view v;
            long len = ent_parse(p, (size_t)(end - p), &v);

            if (len <= 0) {
                cli_error("%s: entries: offset %zu: corrupt entry record", s->srcs[i].name,
                          (size_t)(p - s->srcs[i].recs.data));
                free(rows);
                return EXIT_ERROR;
            }
            xgrow((void **)&rows, &caprows, nrows + 1, sizeof *rows);
            rows[nrows++] = (struct sel_row){ v.f.req_ns ? v.f.req_ns : v.f.resp_ns, (uint32_t)i,
                                              v.f.index, v.f.stream_id, p };
            p += len;
        }
    }
    if (nrows > 1)
        qsort(rows, nrows, sizeof *rows, cmp_row);
    hit = xcalloc(nrows ? nrows : 1, 1);
    if (match_rows(q, s->srcs, rows, nrows, hit, bodies, &bad, &qe) < 0) {
        report(s, &rows[bad], query_text, &qe);
        free(hit);
        free(rows);
        return EXIT_ERROR;
    }
    for (size_t i = 0; i < nrows; i++)
        if (hit[i])
            rows[kept++] = rows[i];
    free(hit);
    s->rows = rows;
    s->nrows = kept;
    return EXIT_OK;
}

void sel_release(struct sel *s)
{
    for (size_t i = 0; i < s->nsrcs; i++)
        buf_release(&s->srcs[i].recs);
    free(s->srcs);
    free(s->rows);
    memset(s, 0, sizeof *s);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return (x > y) - (x < y);
}

/* The streams of the first min(limit, s->nrows) rows, per node. */
void sel_streams_build(struct sel_streams *m, const struct sel *s, uint64_t limit)
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
        struct sel_snode *x = &m->v[s->rows[i].src];

        x->ids[x->n++] = s->rows[i].stream;
    }
    for (size_t i = 0; i < m->n; i++) {
        struct sel_snode *x = &m->v[i];
        size_t k = 0;

        qsort(x->ids, x->n, sizeof *x->ids, cmp_u64);
        for (size_t j = 0; j < x->n; j++)
            if (k == 0 || x->ids[j] != x->ids[k - 1])
                x->ids[k++] = x->ids[j];
        x->n = k;
    }
    free(count);
}

bool sel_streams_has(const struct sel_streams *m, const struct store *store, size_t node,
                  uint64_t id)
{
    for (size_t i = 0; i < m->n; i++) {
        const struct sel_snode *x = &m->v[i];

        if (x->store == store && x->node == node)
            return bsearch(&id, x->ids, x->n, sizeof id, cmp_u64) != NULL;
    }
    return false;
}

void sel_streams_release(struct sel_streams *m)
{
    for (size_t i = 0; i < m->n; i++)
        free(m->v[i].ids);
    free(m->v);
    m->v = NULL;
    m->n = 0;
}
