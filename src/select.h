/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: the entries of one or more stores that a KFL query selects.
 *
 * What query, streams, export, snapshot and graph share: the stores' index
 * segments are scanned in parallel with the query's plan (lib/query/plan.h:
 * blocks outside the time bounds or ruled out by zone maps are skipped, the
 * conditions on index columns decide most entries from the columns alone),
 * the entries the columns leave undecided are matched on their JSON, and
 * the matching ones come back in request time order (ties: store, node,
 * stream id, index), so nothing depends on how the stores were ingested.
 */
#ifndef SV_SELECT_H
#define SV_SELECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"

struct store;
struct q_query;
struct q_opts;
struct sel_stream;

/* A node of one of the stores: where its entries' records are. */
struct sel_src {
    struct store *store;
    size_t node;                /* the node's number in its store */
    const char *name, *ip;      /* borrowed from the store */
};

/* One selected entry. */
struct sel_row {
    uint64_t t;                 /* request time (the response's when there is none) */
    uint32_t src;               /* index into sel.srcs */
    uint32_t index;             /* the entry's number within its stream */
    uint64_t stream;            /* stream id within the node */
    const uint8_t *rec;         /* its entry record (in sel.bufs); NULL with SEL_COUNT or
                                 * SEL_NO_RECORDS when the index's columns decided the entry,
                                 * until sel_window */
    bool undecided;             /* the columns could not decide it: matched on its JSON */
    bool streamed;              /* rec is in a block's records (sel_window), until
                                 * sel_stream_end */
    uint32_t seg, blk, row;     /* where it is: sel.segs[seg], block, row within the block */
};

/* An index segment the selection read. */
struct sel_seg {
    struct store *store;
    size_t k;                   /* the segment's number in its store */
};

struct sel {
    struct sel_src *srcs;
    size_t nsrcs;
    struct sel_row *rows;       /* the matching entries, in order */
    size_t nrows;
    bool partial;               /* a corrupt segment was reported and skipped */
    struct buf *bufs;           /* the rows' records, a buffer per index segment */
    size_t nbufs;
    struct sel_seg *segs;
    size_t nsegs;
    bool bodies;                /* records carry the kept body bytes */
    struct sel_stream *st;      /* sel_stream_begin's state */
};

enum sel_flags {
    SEL_BODIES = 1 << 0,        /* keep body bytes in the records (to print them) */
    SEL_COUNT = 1 << 1,         /* only how many rows, not their records (entries the index's
                                 * columns decide are never rebuilt) nor their order */
    SEL_NO_RECORDS = 1 << 2,    /* the rows in order, with records only where matching needed
                                 * them: for callers that want stream ids, or that visit
                                 * the rows in order (sel_stream_begin) */
};

/*
 * Compiles a command's query; when it does not compile, prints it with a
 * caret under the fault and returns EXIT_USAGE (else EXIT_OK).
 */
int sel_compile(const char *text, const struct q_opts *o, struct q_query **q);
/*
 * Opens the stores at paths[0..n) into *stores (allocated; *nstores counts
 * those open, for the caller to close and free even after an error).
 * Returns EXIT_OK, or an exit status after having reported the error.
 */
int sel_open_stores(char *const *paths, size_t n, struct store ***stores, size_t *nstores);
/*
 * Closes the stores and frees the array; returns rc, or EXIT_ERROR after
 * saying so when a store was replaced while it was read (store_replaced:
 * what the command printed or wrote may mix the old store and the new).
 */
int sel_close_stores(struct store **stores, size_t n, int rc);
/* The first of stores[0..n) replaced since it was opened (store_replaced), or NULL. */
const struct store *sel_replaced(struct store *const *stores, size_t n);

/*
 * Selects the entries of stores[] that q matches (every entry when q has
 * no filter). A corrupt segment is reported on stderr and skipped (partial
 * is set); a corrupt record or a regex past its limits is reported with
 * the query text and ends the selection. Returns 0, or EXIT_ERROR after
 * having reported why. s is to be released with sel_release either way.
 */
int sel_run(struct sel *s, struct store *const *stores, size_t nstores, const struct q_query *q,
            const char *query_text, unsigned flags);
/*
 * The records of the selected rows, for a caller that visits rows [0, n)
 * in order, n = min(limit, nrows), after SEL_NO_RECORDS. sel_window gives
 * rows [from, to) their records (rec): each index block's rows to visit
 * are rebuilt together, once, when the first of them is near; sel_visited
 * says rows [from, to) are done with, and a block's records go once all
 * its rows are. So what is held at once is the blocks whose rows
 * interleave with the rows being visited (in time order: about one block
 * per segment of a large store), not every record selected. A segment
 * whose records cannot be read now (a damaged chunk the scan did not
 * need) is reported and skipped (partial): its rows from `from` on go and
 * the rows after them move up. sel_window returns the end of the rows
 * that have their records, to or fewer.
 */
void sel_stream_begin(struct sel *s, uint64_t limit);
size_t sel_window(struct sel *s, size_t from, size_t to);
void sel_visited(struct sel *s, size_t from, size_t to);
/* Ends streaming (sel_release does too); SV_QUERY_STATS=1 prints what it held at most. */
void sel_stream_end(struct sel *s);
/*
 * Visits every row with its record: fn gets rows [from, to) a round of at
 * most `round` at a time, streamed as above; returns fn's first non-zero
 * return (and stops there), else 0.
 */
int sel_each(struct sel *s, size_t round,
             int (*fn)(const struct sel *s, size_t from, size_t to, void *arg), void *arg);
void sel_release(struct sel *s);

/* The ids of the streams holding selected entries, per (store, node). */
struct sel_streams {
    struct sel_snode {
        const struct store *store;
        size_t node;
        uint64_t *ids;          /* sorted, unique */
        size_t n;
    } *v;
    size_t n;
};

/* From the first min(limit, s->nrows) selected entries (a query's limit(n)). */
void sel_streams_build(struct sel_streams *m, const struct sel *s, uint64_t limit);
bool sel_streams_has(const struct sel_streams *m, const struct store *store, size_t node,
                  uint64_t id);
void sel_streams_release(struct sel_streams *m);

#endif
