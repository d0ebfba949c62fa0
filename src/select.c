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
#include "query/plan.h"
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

/* A row a segment scan keeps: its sort keys, its verdict, where its record is. */
struct seg_row {
    uint64_t t, stream;
    uint32_t index;
    uint8_t verdict;            /* enum q_row: Q_ROW_YES or Q_ROW_MAYBE */
    uint32_t blk, row;          /* where it is in the segment */
    size_t rec;                 /* offset of its record in the segment's buffer, SIZE_MAX none */
};

/* One index segment to scan, and what the scan keeps of it. */
struct seg_job {
    struct store *st;
    size_t k;                   /* the segment's number in st */
    uint32_t src;               /* its node, as an index into sel.srcs */
    struct buf recs;            /* the records of the rows that need one */
    struct seg_row *rows;
    size_t nrows, caprows;
    size_t json_hits;           /* rows the columns left undecided that matched on their JSON */
    struct diag d;
    int rc;
};

/* What a segment scan matches the rows the columns leave undecided with. */
struct seg_match {
    const struct q_query *q;
    struct q_ctx *ctx;          /* the thread's */
    const struct sel_src *src;  /* the segment's node */
    bool bodies;                /* the records carry bodies (the query reads them) */
    bool records;               /* the kept rows keep their records (to print them) */
};

/*
 * Matches row x, which the columns left undecided, on the JSON of its record
 * v as soon as its block is rebuilt: false when it does not match, and the
 * scan drops it with its record, so that what a scan holds is what it
 * selects, not every entry the columns could not decide (all of a store's
 * records, bodies included, for a query on bodies). A match is decided; a
 * row whose match fails stays undecided: match_rows matches it again and
 * reports the failure in row order.
 */
static bool match_row(struct seg_job *job, const struct seg_match *mt, struct seg_row *x,
                      const struct ent_view *v)
{
    struct jv *j;
    struct q_error e;
    int m = -1;

    if (x->verdict != Q_ROW_MAYBE || !mt->q || !q_has_filter(mt->q))
        return true;
    j = jv_entry(v, mt->src->name, mt->src->ip);
    if (j && mt->bodies)
        jv_entry_add_bodies(j, v);
    if (j)
        m = q_match(mt->q, mt->ctx, j, &e);
    jv_free(j);
    if (m > 0) {
        x->verdict = Q_ROW_YES;
        job->json_hits++;
    }
    return m != 0;
}

/*
 * Scans segment job->k: blocks outside [lo, hi] or ruled out by the plan's
 * zone maps are skipped; in the others the plan gives each row a verdict
 * from the columns; the rows it cannot decide, and all kept rows when
 * records are wanted, get their records rebuilt. On an error, no rows.
 */
static void scan_segment(struct seg_job *job, struct q_plan_scan *sc, struct ix_filebuf *fb,
                         uint64_t lo, uint64_t hi, const struct seg_match *mt)
{
    bool bodies = mt->bodies, records = mt->records;
    uint8_t verdict[IX_BLOCK_ROWS], want[IX_BLOCK_ROWS];
    struct ix_seg *seg;
    int rc, c_stream, c_index, c_req, c_resp;

    diag_clear(&job->d);
    rc = store_segment_open(job->st, job->k, fb, &seg, &job->d);
    if (rc < 0)
        goto out;
    q_plan_scan_segment(sc, seg);
    c_stream = ix_col_find(seg, IX_SEC_NONE, "stream");
    c_index = ix_col_find(seg, IX_SEC_NONE, "index");
    c_req = ix_col_find(seg, IX_SEC_NONE, "req_ns");
    c_resp = ix_col_find(seg, IX_SEC_NONE, "resp_ns");
    for (uint32_t b = 0; rc == 0 && b < ix_info(seg)->blocks; b++) {
        uint64_t first, last;
        const uint64_t *stream, *index, *req, *resp;
        uint32_t rows = ix_block_rows(seg, b);
        size_t base = job->nrows, nwant = 0, at, kept;
        bool skipped;

        ix_block_time(seg, b, &first, &last);
        if ((lo > 0 || hi < UINT64_MAX) && (last < lo || first > hi))
            continue;
        rc = q_plan_scan_block(sc, b, verdict, &skipped, &job->d);
        if (rc < 0 || skipped)
            continue;
        stream = ix_col_u64(seg, c_stream);
        index = ix_col_u64(seg, c_index);
        req = ix_col_u64(seg, c_req);
        resp = ix_col_u64(seg, c_resp);
        for (uint32_t i = 0; i < rows; i++) {
            want[i] = verdict[i] == Q_ROW_MAYBE || (records && verdict[i] == Q_ROW_YES);
            nwant += want[i];
            if (verdict[i] == Q_ROW_NO)
                continue;
            xgrow((void **)&job->rows, &job->caprows, job->nrows + 1, sizeof *job->rows);
            job->rows[job->nrows++] = (struct seg_row){ req[i] ? req[i] : resp[i], stream[i],
                                                        (uint32_t)index[i], verdict[i], b, i,
                                                        SIZE_MAX };
        }
        if (nwant == 0)
            continue;
        at = kept = job->recs.len;
        rc = ix_block_records_sel(seg, b, want, bodies, &job->recs, &job->d);
        /*
         * The records came in row order: give them to their rows, match the
         * undecided ones, and move down the records that stay (a kept record
         * never lies past the one being read).
         */
        for (uint32_t i = 0, r = (uint32_t)base; rc == 0 && i < rows; i++) {
            struct seg_row x;
            struct ent_view v;
            long len;

            if (verdict[i] == Q_ROW_NO)
                continue;
            x = job->rows[r++];
            if (want[i]) {
                len = ent_parse(job->recs.data + at, job->recs.len - at, &v);
                if (len <= 0 || v.f.stream_id != x.stream || v.f.index != x.index) {
                    rc = diag_set(&job->d, SV_EFORMAT, "%s: entries: offset %zu: corrupt entry "
                                  "record", ix_node(seg), at);
                    break;
                }
                if (!match_row(job, mt, &x, &v)) {
                    at += (size_t)len;
                    continue;
                }
                if (x.verdict == Q_ROW_MAYBE || records) {
                    memmove(job->recs.data + kept, job->recs.data + at, (size_t)len);
                    x.rec = kept;
                    kept += (size_t)len;
                }
                at += (size_t)len;
            }
            job->rows[base++] = x;
        }
        job->nrows = base;
        job->recs.len = kept;
    }
    ix_close(seg);
out:
    job->rc = rc;
    if (rc < 0) {
        job->nrows = 0;
        job->recs.len = 0;
    }
    /* a block's worth of records passed through; what stays is what was selected */
    if (job->recs.len == 0) {
        buf_release(&job->recs);
    } else if (job->recs.cap > 2 * job->recs.len) {
        uint8_t *p = realloc(job->recs.data, job->recs.len);

        if (p) {
            job->recs.data = p;
            job->recs.cap = job->recs.len;
        }
    }
}

/*
 * Matches every row against q, in parallel (each thread its own context;
 * the entries' JSON is built for the query and dropped), into hit[]. On an
 * error (a corrupt record: SV_EFORMAT; a regex past its limits) returns it
 * for the first row, in row order, that had one: *bad and *err; unless the
 * query's limit(n) was reached before that row.
 */
static int match_rows(const struct q_query *q, const struct sel_src *srcs,
                      const struct sel_row *rows, size_t nrows, uint8_t *hit, bool bodies,
                      size_t *bad, struct q_error *err)
{
    size_t first = SIZE_MAX;
    uint64_t hits = 0;

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

            if (!rows[i].undecided) {
                hit[i] = 1;     /* the plan's columns decided it */
                continue;
            }
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
    /* limit(n): a query that stops after n matches never reaches a failing row past them */
    for (size_t i = 0; i < first && hits < q_limit(q); i++)
        hits += hit[i];
    if (hits >= q_limit(q))
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
        const struct sel_seg *g = &s->segs[r->seg];
        char *path = store_segment_path(g->store, g->k);

        cli_error("%s: block %u row %u (entry %s/%llu-%u): corrupt entry record", path, r->blk,
                  r->row, node, (unsigned long long)r->stream, r->index);
        free(path);
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

/* SV_QUERY_PLAN=0 leaves every entry to its JSON (the tests compare both paths). */
static bool plan_on(void)
{
    const char *e = getenv("SV_QUERY_PLAN");

    return !e || strcmp(e, "0") != 0;
}

/* SV_QUERY_STATS=1: what the scan did, on stderr. */
static void print_stats(const struct q_plan_stats *st, size_t matched_json, size_t held)
{
    const char *e = getenv("SV_QUERY_STATS");

    if (!e || strcmp(e, "1") != 0)
        return;
    fprintf(stderr,
            "query stats: blocks %llu, skipped by zone maps %llu; rows %llu: no %llu, yes %llu, "
            "json %llu (matched %zu); conditions on distinct values %llu, on row numbers %llu; "
            "records held %zu bytes\n",
            (unsigned long long)st->blocks, (unsigned long long)st->blocks_skipped,
            (unsigned long long)st->rows, (unsigned long long)st->rows_no,
            (unsigned long long)st->rows_yes, (unsigned long long)st->rows_maybe, matched_json,
            (unsigned long long)st->distinct_evals, (unsigned long long)st->row_evals, held);
}

int sel_compile(const char *text, const struct q_opts *o, struct q_query **q)
{
    struct q_error qe;
    char *t;

    if (q_compile(text, strlen(text), o, q, &qe) == 0)
        return EXIT_OK;
    t = q_error_text(text, strlen(text), &qe);
    cli_error("%s", t);
    free(t);
    return EXIT_USAGE;
}

int sel_open_stores(char *const *paths, size_t n, struct store ***stores, size_t *nstores)
{
    struct diag d;

    diag_clear(&d);
    *stores = xcalloc(n ? n : 1, sizeof **stores);
    for (*nstores = 0; *nstores < n; (*nstores)++) {
        size_t i = *nstores;

        /* a store given twice would count its entries and packets twice */
        for (size_t j = 0; j < i; j++) {
            if (cli_same_file(paths[j], paths[i])) {
                cli_error("%s and %s are the same store: give it once", paths[j], paths[i]);
                return EXIT_USAGE;
            }
        }
        if (store_open(&(*stores)[i], paths[i], &d) < 0)
            return cli_diag(&d);
    }
    return EXIT_OK;
}

const struct store *sel_replaced(struct store *const *stores, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (store_replaced(stores[i]))
            return stores[i];
    }
    return NULL;
}

int sel_close_stores(struct store **stores, size_t n, int rc)
{
    for (size_t i = 0; i < n; i++) {
        if (store_replaced(stores[i])) {
            cli_error("%s: replaced while it was read (by an ingest --force or a names "
                      "import): what this printed or wrote may mix the old store and the "
                      "new; run it again", store_dir(stores[i]));
            rc = EXIT_ERROR;
        }
        store_close(stores[i]);
    }
    free(stores);
    return rc;
}

int sel_run(struct sel *s, struct store *const *stores, size_t nstores, const struct q_query *q,
            const char *query_text, unsigned flags)
{
    bool bodies = (flags & SEL_BODIES) || q_needs_bodies(q);
    bool records = !(flags & (SEL_COUNT | SEL_NO_RECORDS)), undecided = false;
    size_t nrows = 0, bad = 0, kept = 0, njobs = 0, json_hits = 0, held = 0;
    struct sel_row *rows = NULL;
    struct seg_job *jobs = NULL;
    struct q_plan *plan;
    struct q_plan_stats st;
    struct q_error qe;
    uint64_t lo, hi;
    uint8_t *hit;

    memset(s, 0, sizeof *s);
    memset(&st, 0, sizeof st);
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
        }
        jobs = xrealloc(jobs, (njobs + store_nsegments(stores[si]) + 1) * sizeof *jobs);
        for (size_t k = 0; k < store_nsegments(stores[si]); k++) {
            struct seg_job *j = &jobs[njobs++];

            memset(j, 0, sizeof *j);
            j->st = stores[si];
            j->k = k;
            j->src = (uint32_t)(first + store_segment(stores[si], k)->node);
            buf_init(&j->recs, SIZE_MAX);
        }
    }
    plan = q_plan_new(q, plan_on());
#pragma omp parallel
    {
        struct q_plan_scan *sc = q_plan_scan_new(plan);
        struct ix_filebuf fb = { NULL, 0, NULL };
        struct seg_match mt = { q, q_ctx_new(), NULL, bodies, records };

#pragma omp for schedule(dynamic, 1)
        for (size_t i = 0; i < njobs; i++) {
            mt.src = &s->srcs[jobs[i].src];
            scan_segment(&jobs[i], sc, &fb, lo, hi, &mt);
        }
        q_ctx_free(mt.ctx);
        ix_filebuf_release(&fb);
#pragma omp critical(select_stats)
        q_plan_stats_add(sc, &st);
        q_plan_scan_free(sc);
    }
    q_plan_free(plan);
    /* serially, in segment order: a corrupt segment is reported and skipped */
    for (size_t i = 0; i < njobs; i++) {
        if (jobs[i].rc < 0) {
            cli_diag(&jobs[i].d);
            s->partial = true;
        }
        nrows += jobs[i].nrows;
        json_hits += jobs[i].json_hits;
        held += jobs[i].recs.len;
    }
    rows = xcalloc(nrows ? nrows : 1, sizeof *rows);
    nrows = 0;
    for (size_t i = 0; i < njobs; i++) {
        const struct seg_job *j = &jobs[i];

        for (size_t r = 0; r < j->nrows; r++) {
            const struct seg_row *x = &j->rows[r];

            rows[nrows++] = (struct sel_row){
                .t = x->t, .src = j->src, .index = x->index, .stream = x->stream,
                .rec = x->rec == SIZE_MAX ? NULL : j->recs.data + x->rec,
                .undecided = x->verdict == Q_ROW_MAYBE, .seg = (uint32_t)i, .blk = x->blk,
                .row = x->row };
        }
        free(jobs[i].rows);
    }
    s->bufs = xcalloc(njobs ? njobs : 1, sizeof *s->bufs);
    s->segs = xcalloc(njobs ? njobs : 1, sizeof *s->segs);
    for (size_t i = 0; i < njobs; i++) {
        s->bufs[s->nbufs++] = jobs[i].recs;
        s->segs[s->nsegs++] = (struct sel_seg){ jobs[i].st, jobs[i].k };
    }
    s->bodies = bodies;
    free(jobs);
    /* order matters to printing and to which failing entry is reported first */
    for (size_t i = 0; i < nrows && !undecided; i++)
        undecided = rows[i].undecided;
    if (nrows > 1 && (!(flags & SEL_COUNT) || undecided))
        qsort(rows, nrows, sizeof *rows, cmp_row);
    hit = xcalloc(nrows ? nrows : 1, 1);
    if (match_rows(q, s->srcs, rows, nrows, hit, bodies, &bad, &qe) < 0) {
        report(s, &rows[bad], query_text, &qe);
        free(hit);
        free(rows);
        return EXIT_ERROR;
    }
    for (size_t i = 0; i < nrows; i++) {
        json_hits += hit[i] && rows[i].undecided;
        if (hit[i])
            rows[kept++] = rows[i];
    }
    free(hit);
    print_stats(&st, json_hits, held);
    s->rows = rows;
    s->nrows = kept;
    return EXIT_OK;
}

/* ------------------------------------------------------------- streaming */

/*
 * Rows visited this many positions ahead have the blocks they need rebuilt
 * with the window's (in parallel): a window of printed rows is small, and
 * one block's rebuild at a time would leave the other threads waiting.
 */
#define SEL_LOOKAHEAD 4096u

/* An index block that holds rows to visit, and their records once rebuilt. */
struct sel_blk {
    uint64_t *want;             /* bitmap of its rows to visit (IX_BLOCK_ROWS bits) */
    uint32_t left;              /* of them, not visited yet */
    bool loaded;                /* rebuilt (or being rebuilt) */
    uint32_t *off;              /* a wanted row's record: its offset in recs */
    struct buf recs;
};

struct sel_stream {
    uint64_t limit;             /* rows [0, min(limit, nrows)) are visited */
    size_t *base;               /* per segment: the number in blk of its block 0 */
    struct sel_blk *blk;
    size_t nblk;
    size_t held, peak;          /* bytes of records held: now, at most */
    uint64_t rebuilt;           /* blocks rebuilt */
    size_t seen;                /* rows before it have had their blocks asked for */
    size_t *cut;                /* per segment: sel_window's, SIZE_MAX between calls */
};

/*
 * A row's record comes from its block, unless the scan kept it (that of an
 * undecided row, or every row's when the selection kept records).
 */
static bool from_block(const struct sel_row *r)
{
    return (!r->rec || r->streamed) && r->row < IX_BLOCK_ROWS;
}

static size_t stream_end(const struct sel *s)
{
    return s->st->limit < s->nrows ? (size_t)s->st->limit : s->nrows;
}

static struct sel_blk *blk_of(const struct sel *s, const struct sel_row *r)
{
    return &s->st->blk[s->st->base[r->seg] + r->blk];
}

static void blk_drop(struct sel_stream *st, struct sel_blk *b)
{
    st->held -= b->recs.cap;
    buf_release(&b->recs);
    free(b->off);
    b->off = NULL;
}

static void stream_free_blocks(struct sel_stream *st)
{
    for (size_t i = 0; i < st->nblk; i++) {
        blk_drop(st, &st->blk[i]);
        free(st->blk[i].want);
    }
    free(st->blk);
    st->blk = NULL;
    st->nblk = 0;
}

/* The blocks of the rows from `from` on, and which of their rows are to be visited. */
static void stream_build(struct sel *s, size_t from)
{
    struct sel_stream *st = s->st;
    size_t n = stream_end(s);
    uint32_t *top = xcalloc(s->nsegs ? s->nsegs : 1, sizeof *top);

    stream_free_blocks(st);
    st->seen = from;
    for (size_t i = from; i < n; i++) {
        const struct sel_row *r = &s->rows[i];

        if (from_block(r) && r->blk >= top[r->seg])
            top[r->seg] = r->blk + 1;
    }
    for (size_t k = 0; k < s->nsegs; k++) {
        st->base[k] = st->nblk;
        st->nblk += top[k];
    }
    st->blk = xcalloc(st->nblk ? st->nblk : 1, sizeof *st->blk);
    for (size_t i = from; i < n; i++) {
        const struct sel_row *r = &s->rows[i];
        struct sel_blk *b;

        if (!from_block(r))
            continue;
        b = blk_of(s, r);
        if (!b->want)
            b->want = xcalloc(IX_BLOCK_ROWS / 64, sizeof *b->want);
        b->want[r->row / 64] |= (uint64_t)1 << (r->row % 64);
        b->left++;
    }
    free(top);
}

void sel_stream_begin(struct sel *s, uint64_t limit)
{
    s->st = xcalloc(1, sizeof *s->st);
    s->st->limit = limit;
    s->st->base = xcalloc(s->nsegs ? s->nsegs : 1, sizeof *s->st->base);
    s->st->cut = xmalloc((s->nsegs ? s->nsegs : 1) * sizeof *s->st->cut);
    for (size_t k = 0; k < s->nsegs; k++)
        s->st->cut[k] = SIZE_MAX;
    stream_build(s, 0);
}

/*
 * Rebuilds the wanted rows of blocks bi[0..n) (segment seg's, in order). On
 * an error, *bad is the block that failed (every one when the segment does
 * not open).
 */
static int stream_load(const struct sel *s, uint32_t seg, const size_t *bi, size_t n,
                       struct ix_filebuf *fb, size_t *bad, struct diag *d)
{
    const struct sel_seg *g = &s->segs[seg];
    uint8_t want[IX_BLOCK_ROWS];
    struct ix_seg *x = NULL;
    int rc = store_segment_open(g->store, g->k, fb, &x, d);
    bool opened = rc == 0;

    *bad = bi[0];
    for (size_t j = 0; rc == 0 && j < n; j++) {
        struct sel_blk *b = &s->st->blk[bi[j]];
        uint32_t blk = (uint32_t)(bi[j] - s->st->base[seg]);
        size_t pos = 0;

        *bad = bi[j];
        for (uint32_t r = 0; r < IX_BLOCK_ROWS; r++)
            want[r] = (uint8_t)(b->want[r / 64] >> (r % 64) & 1);
        buf_init(&b->recs, SIZE_MAX);
        b->off = xmalloc(IX_BLOCK_ROWS * sizeof *b->off);
        rc = ix_block_records_sel(x, blk, want, s->bodies, &b->recs, d);
        /* the records came in row order, one per wanted row */
        for (uint32_t r = 0; rc == 0 && r < IX_BLOCK_ROWS; r++) {
            struct ent_view v;
            long len;

            if (!want[r])
                continue;
            len = ent_parse(b->recs.data + pos, b->recs.len - pos, &v);
            if (len <= 0 || pos > UINT32_MAX) {
                char *path = store_segment_path(g->store, g->k);

                rc = diag_set(d, SV_EFORMAT, "%s: block %u row %u: corrupt entry record", path,
                              blk, r);
                free(path);
                break;
            }
            b->off[r] = (uint32_t)pos;
            pos += (size_t)len;
        }
        /* held until the block's last row is visited: no room to spare */
        if (rc == 0 && b->recs.len > 0 && b->recs.cap > b->recs.len) {
            uint8_t *p = realloc(b->recs.data, b->recs.len);

            if (p) {
                b->recs.data = p;
                b->recs.cap = b->recs.len;
            }
        }
    }
    if (opened)
        ix_close(x);
    return rc;
}

/* A block to rebuild: its number in sel_stream.blk and its segment. */
struct sel_need {
    size_t bi;
    uint32_t seg;
};

static int cmp_need(const void *a, const void *b)
{
    const struct sel_need *x = a, *y = b;

    return (x->bi > y->bi) - (x->bi < y->bi);
}

/*
 * Marks block bi of segment seg damaged: the segment's rows from the
 * block's first row on are to go (cut[seg]; the first row of a block not
 * yet visited lies at `from` or after it, wherever the damage was found,
 * so what goes depends on the store alone).
 */
static void cut_at(const struct sel *s, size_t from, uint32_t seg, size_t bi, size_t *cut)
{
    for (size_t i = from; i < s->nrows && i < cut[seg]; i++) {
        const struct sel_row *r = &s->rows[i];

        if (r->seg == seg && from_block(r) && s->st->base[seg] + r->blk == bi) {
            cut[seg] = i;
            break;
        }
    }
}

/*
 * Rebuilds, segments in parallel, the blocks not yet rebuilt that rows
 * [from, ahead) need (those before st->seen asked for theirs already). A
 * block that cannot be read is reported and its segment cut (cut_at);
 * returns how many were.
 */
static size_t stream_fill(struct sel *s, size_t from, size_t ahead, size_t *cut)
{
    struct sel_stream *st = s->st;
    struct sel_need *need = NULL;
    size_t nneed = 0, capneed = 0, ngroups = 0, nfailed = 0, *group, *bad;
    struct diag *ds;

    for (size_t i = st->seen > from ? st->seen : from; i < ahead; i++) {
        const struct sel_row *r = &s->rows[i];
        struct sel_blk *b;

        if (!from_block(r) || r->rec)
            continue;
        b = blk_of(s, r);
        if (b->loaded)
            continue;
        b->loaded = true;
        xgrow((void **)&need, &capneed, nneed + 1, sizeof *need);
        need[nneed++] = (struct sel_need){ st->base[r->seg] + r->blk, r->seg };
    }
    if (ahead > st->seen)
        st->seen = ahead;
    if (nneed == 0)
        return 0;
    qsort(need, nneed, sizeof *need, cmp_need);
    group = xmalloc((nneed + 1) * sizeof *group);
    for (size_t i = 0; i < nneed; i++)
        if (i == 0 || need[i].seg != need[i - 1].seg)
            group[ngroups++] = i;
    group[ngroups] = nneed;
    ds = xcalloc(ngroups, sizeof *ds);
    bad = xcalloc(ngroups, sizeof *bad);
#pragma omp parallel
    {
        struct ix_filebuf fb = { NULL, 0, NULL };
        size_t *bi = xmalloc(nneed * sizeof *bi);

#pragma omp for schedule(dynamic, 1)
        for (size_t g = 0; g < ngroups; g++) {
            size_t k = 0;

            for (size_t i = group[g]; i < group[g + 1]; i++)
                bi[k++] = need[i].bi;
            diag_clear(&ds[g]);
            (void)stream_load(s, need[group[g]].seg, bi, k, &fb, &bad[g], &ds[g]);
        }
        free(bi);
        ix_filebuf_release(&fb);
    }
    for (size_t g = 0; g < ngroups; g++) {
        if (ds[g].code) {
            (void)cli_diag(&ds[g]);
            cut_at(s, from, need[group[g]].seg, bad[g], cut);
            nfailed++;
        }
    }
    for (size_t i = 0; i < nneed; i++) {
        st->held += st->blk[need[i].bi].recs.cap;
        st->rebuilt++;
    }
    if (st->held > st->peak)
        st->peak = st->held;
    free(bad);
    free(ds);
    free(group);
    free(need);
    return nfailed;
}

/*
 * Points rows [from, to) at their records; a record that is not its row's
 * is reported and its segment cut (cut_at). Returns how many were.
 */
static size_t stream_point(struct sel *s, size_t from, size_t to, size_t *cut)
{
    size_t nfailed = 0;

    for (size_t i = from; i < to; i++) {
        struct sel_row *r = &s->rows[i];
        const struct sel_blk *b;
        struct ent_view v;

        if (!from_block(r) || r->rec || i >= cut[r->seg])
            continue;
        b = blk_of(s, r);
        if (ent_parse(b->recs.data + b->off[r->row], b->recs.len - b->off[r->row], &v) <= 0 ||
            v.f.stream_id != r->stream || v.f.index != r->index) {
            const struct sel_seg *g = &s->segs[r->seg];
            char *path = store_segment_path(g->store, g->k);

            cli_error("%s: block %u row %u: corrupt entry record", path, r->blk, r->row);
            free(path);
            cut_at(s, from, r->seg, s->st->base[r->seg] + r->blk, cut);
            nfailed++;
            continue;
        }
        r->rec = b->recs.data + b->off[r->row];
        r->streamed = true;
    }
    return nfailed;
}

size_t sel_window(struct sel *s, size_t from, size_t to)
{
    size_t *cut = s->st->cut;

    /*
     * A block whose records cannot be read now (a damaged chunk the scan
     * did not need) is reported, and its segment's rows from the block's
     * first on go, as the scan skips a segment it cannot read: the rows
     * after them move up.
     */
    for (;;) {
        size_t n = stream_end(s), ahead, k;

        if (to > n)
            to = n;
        ahead = to > from + SEL_LOOKAHEAD ? to : from + SEL_LOOKAHEAD;
        if (ahead > n)
            ahead = n;
        if (stream_fill(s, from, ahead, cut) == 0 && stream_point(s, from, to, cut) == 0)
            break;
        s->partial = true;
        k = from;
        for (size_t i = from; i < s->nrows; i++) {
            if (i >= cut[s->rows[i].seg])
                continue;
            s->rows[k] = s->rows[i];
            if (s->rows[k].streamed) {
                s->rows[k].rec = NULL;      /* its block is rebuilt anew */
                s->rows[k].streamed = false;
            }
            k++;
        }
        s->nrows = k;
        for (size_t j = 0; j < s->nsegs; j++)
            cut[j] = SIZE_MAX;      /* what is left of a segment cut comes before the cut */
        stream_build(s, from);
    }
    return to;
}

void sel_visited(struct sel *s, size_t from, size_t to)
{
    for (size_t i = from; i < to; i++) {
        const struct sel_row *r = &s->rows[i];
        struct sel_blk *b;

        if (!from_block(r))
            continue;
        b = blk_of(s, r);
        if (b->left > 0 && --b->left == 0)
            blk_drop(s->st, b);
    }
}

/* SV_QUERY_STATS=1: what streaming the records took, on stderr. */
void sel_stream_end(struct sel *s)
{
    const char *e = getenv("SV_QUERY_STATS");

    if (!s->st)
        return;
    if (e && strcmp(e, "1") == 0)
        fprintf(stderr, "query stream: blocks rebuilt %llu, records held at most %zu bytes\n",
                (unsigned long long)s->st->rebuilt, s->st->peak);
    /* the records the blocks held go with them */
    for (size_t i = 0; i < s->nrows; i++) {
        if (s->rows[i].streamed) {
            s->rows[i].rec = NULL;
            s->rows[i].streamed = false;
        }
    }
    stream_free_blocks(s->st);
    free(s->st->cut);
    free(s->st->base);
    free(s->st);
    s->st = NULL;
}

int sel_each(struct sel *s, size_t round,
             int (*fn)(const struct sel *s, size_t from, size_t to, void *arg), void *arg)
{
    int rc = 0;

    sel_stream_begin(s, UINT64_MAX);
    for (size_t at = 0, end; at < s->nrows && rc == 0; at = end) {
        end = sel_window(s, at, at + round);
        rc = fn(s, at, end, arg);
        sel_visited(s, at, end);
    }
    sel_stream_end(s);
    return rc;
}

void sel_release(struct sel *s)
{
    sel_stream_end(s);
    for (size_t i = 0; i < s->nbufs; i++)
        buf_release(&s->bufs[i]);
    free(s->bufs);
    free(s->segs);
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
