/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: what export and snapshot share: the streams of each node going
 * into a bundle, writing it and printing its summary (select.h gives the
 * streams a query's entries fall in).
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

/* The bundle's name when -o is not given: "streamvault_<created seconds>.tar.gz" (to free). */
char *bcli_default_path(uint64_t created_ns);

/*
 * Refuses (EXIT_USAGE, with a message) -o - where standard output cannot
 * take the bundle: with --json (which prints there too) or on a terminal.
 */
int bcli_check_stdout(const char *cmd, const char *path, bool json);

/*
 * Writes the bundle (o->path NULL: streamvault_<created seconds>.tar.gz),
 * then prints "<cmd>: wrote PATH: N streams, P packets, B bytes from K
 * nodes" on stderr and, with json, the same as one JSON object on stdout.
 * Returns the exit status.
 */
int bcli_write(const char *cmd, struct bundle_opts *o, const struct bundle_node *nodes, size_t n,
               bool json);

#endif
