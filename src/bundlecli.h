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
struct q_opts;
struct sel;
struct store;
struct store_stream;

/*
 * The options export and snapshot share: -o, --per-stream, --now, --json.
 * A command's own getopt_long values start at BCLI_OPT_NEXT.
 */
enum { BCLI_OPT_PER_STREAM = 256, BCLI_OPT_NOW, BCLI_OPT_JSON, BCLI_OPT_NEXT };

#define BCLI_LONG_OPTIONS                                          \
    { "output", required_argument, NULL, 'o' },                    \
    { "per-stream", no_argument, NULL, BCLI_OPT_PER_STREAM },      \
    { "now", required_argument, NULL, BCLI_OPT_NOW },              \
    { "json", no_argument, NULL, BCLI_OPT_JSON }

/* What the shared options set. */
struct bcli_args {
    struct bundle_opts *bo;
    bool json;
    bool have_now;
};

/*
 * Takes getopt_long's c (argument arg) when it is a shared option: returns
 * EXIT_OK, or an exit status after a usage message; -1 when c is not one.
 */
int bcli_option(const char *cmd, int c, const char *arg, struct bcli_args *a);

/*
 * After the options: the bundle's creation time (the clock unless --now),
 * which is also what now() is in qo.
 */
void bcli_clock(struct bcli_args *a, struct q_opts *qo);

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
 * Refuses (EXIT_USAGE, with a message) an output the bundle cannot go to:
 * -o - where standard output cannot take it (with --json, which prints
 * there too, or on a terminal), or a path (-o or the default name) that is
 * one of the stores.
 */
int bcli_check_output(const char *cmd, const struct bcli_args *a, char *const *stores,
                      size_t nstores);

/*
 * Writes the bundle (o->path NULL: streamvault_<created seconds>.tar.gz),
 * then prints "<cmd>: wrote PATH: N streams, P packets, B bytes from K
 * nodes" on stderr and, with json, the same as one JSON object on stdout.
 * Returns the exit status.
 */
int bcli_write(const char *cmd, struct bundle_opts *o, const struct bundle_node *nodes, size_t n,
               bool json);

#endif
