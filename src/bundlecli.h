/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: what export and snapshot share: the streams a query's entries
 * fall in, the streams of each node going into a bundle, writing it and
 * printing its summary.
 */
#ifndef SV_BUNDLECLI_H
#define SV_BUNDLECLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bundle_node;
struct bundle_opts;
struct sel;
struct store;
struct store_stream;

/* The ids of the streams holding selected entries, per (store, node). */
struct bcli_matches {
    struct bcli_mnode {
        const struct store *store;
        size_t node;
        uint64_t *ids;          /* sorted, unique */
        size_t n;
    } *v;
    size_t n;
};

/* From the first min(limit, s->nrows) selected entries (a query's limit(n)). */
void bcli_matches_build(struct bcli_matches *m, const struct sel *s, uint64_t limit);
bool bcli_matched(const struct bcli_matches *m, const struct store *store, size_t node,
                  uint64_t id);
void bcli_matches_release(struct bcli_matches *m);

/* Decides whether a stream goes into the bundle. */
typedef bool (*bcli_keep_fn)(void *arg, const struct store *store, size_t node,
                             const struct store_stream *st);

/*
 * One bundle_node for every node of every store, holding the streams keep
 * accepts (discarded streams never). Returns EXIT_OK, or an exit status
 * after having reported the error. Free with bcli_nodes_free.
 */
int bcli_collect(struct store *const *stores, size_t nstores, bcli_keep_fn keep, void *arg,
                 struct bundle_node **out, size_t *n);
void bcli_nodes_free(struct bundle_node *v, size_t n);

/* The wall clock, in ns since the epoch. */
uint64_t bcli_now(void);

/*
 * Writes the bundle (o->path NULL: streamvault_<created seconds>.tar.gz),
 * then prints "<cmd>: wrote PATH: N streams, P packets, B bytes from K
 * nodes" on stderr and, with json, the same as one JSON object on stdout.
 * Returns the exit status.
 */
int bcli_write(const char *cmd, struct bundle_opts *o, const struct bundle_node *nodes, size_t n,
               bool json);

#endif
