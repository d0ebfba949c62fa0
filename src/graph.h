/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: the service dependency graph of selected entries, as DOT and JSON.
 *
 * graph_build turns the rows of a selection (select.h) into a node per
 * identity (--group-by) and an edge per (client identity, server identity,
 * protocol) carrying the number of entries, errors, latency p50/p99 and
 * bytes; graph_diff compares two graphs edge by edge. graph_dot and
 * graph_json write them; docs/GRAPH.md is the reference for the formats.
 *
 * Everything is sorted (nodes by id, bytewise; edges by from, to, protocol),
 * and nothing of the run (time, addresses, thread count) goes into the
 * output, so the same entries always give the same bytes. Names come from
 * captures and histories, i.e. from attackers: ids and labels are made of
 * printable UTF-8 (graph_text), and the writers escape what DOT and JSON
 * give a meaning to.
 */
#ifndef SV_GRAPH_H
#define SV_GRAPH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"

struct ent_view;
struct sel;

/* What makes an identity: --group-by. */
enum graph_group {
    GRAPH_BY_NAME = 0,          /* Kubeshark's resolved name ("catalogue.sock-shop") */
    GRAPH_BY_POD,               /* namespace/pod */
    GRAPH_BY_SERVICE,           /* namespace/service */
    GRAPH_BY_NAMESPACE,
    GRAPH_BY_NODE,              /* the capture node, then the name inside it */
    GRAPH_BY_IP,
};

/* "name", "pod", ... <-> enum graph_group. */
bool graph_group_parse(const char *s, enum graph_group *out);
const char *graph_group_name(enum graph_group g);

/* What a node is: the identity the grouping asked for, or the IP it fell back to. */
enum graph_kind {
    GRAPH_K_NAME = 0,
    GRAPH_K_POD,
    GRAPH_K_SERVICE,
    GRAPH_K_NAMESPACE,
    GRAPH_K_IP,
};
const char *graph_kind_name(enum graph_kind k);

/* In a diff: what became of a node or an edge. */
enum graph_change {
    GRAPH_SAME = 0,             /* in both graphs (and always, outside a diff) */
    GRAPH_ADDED,                /* only in the new graph */
    GRAPH_REMOVED,              /* only in the old graph */
};

struct graph_node {
    char *id;                   /* unique: "<kind>:<identity>" ("<node>/<kind>:..." by node) */
    char *label;                /* what is drawn: the identity as printable text */
    char *cnode;                /* by node: the capture node's name (printable), else NULL */
    enum graph_kind kind;
    enum graph_change change;
};

struct graph_edge {
    size_t from, to;            /* indexes into nodes[] */
    uint8_t proto;              /* enum ent_proto */
    enum graph_change change;
    uint64_t requests;          /* entries */
    uint64_t errors;            /* see graph_entry_is_error */
    uint64_t bytes;             /* requestSize + responseSize, summed */
    uint64_t responses;         /* latency samples: entries with a request and a response */
    uint64_t p50_ns, p99_ns;    /* nearest-rank percentiles of the samples (0 without any) */
};

struct graph {
    enum graph_group by;
    bool diff;                  /* made by graph_diff: changes are marked */
    uint64_t entries;           /* entries that went into it (both graphs' in a diff) */
    struct graph_node *nodes;   /* sorted by id (bytewise) */
    size_t nnodes;
    struct graph_edge *edges;   /* sorted by (nodes[from].id, nodes[to].id, protocol key) */
    size_t nedges;
};

/*
 * The graph of the selected entries of s (selected with SEL_NO_RECORDS:
 * their records are streamed, a block at a time, sel_window). Returns 0 and
 * an owned graph in *out (free with graph_free), or SV_EFORMAT when an
 * entry record does not parse (*bad then says which row). A segment whose
 * records cannot be read is reported and left out (s->partial).
 */
int graph_build(struct sel *s, enum graph_group by, struct graph **out, size_t *bad)
    __attribute__((warn_unused_result));

/*
 * The union of old and new (both built with the same grouping), each node
 * and edge marked GRAPH_SAME, GRAPH_ADDED or GRAPH_REMOVED by whether its
 * id (for an edge: from, to, protocol) is in both graphs, only the new or
 * only the old; a kept or added edge carries the new graph's numbers, a
 * removed one the old's. Returns an owned graph (free with graph_free).
 */
struct graph *graph_diff(const struct graph *old, const struct graph *new);

/*
 * Whether an entry counts as an error on its edge: HTTP/1.x and HTTP/2
 * with a response status >= 500; gRPC with a grpc-status other than 0 (or
 * an HTTP status >= 500); DNS with an rcode other than NOERROR; Redis with
 * an error reply (RESP "-" or RESP3 "!"). Entries without a response, and
 * other protocols, are not errors.
 */
bool graph_entry_is_error(const struct ent_view *v);

/* Whether the graph (a diff) has an added or removed edge. */
bool graph_changed(const struct graph *g);

void graph_free(struct graph *g);

/* Appends the graph as a DOT digraph / as JSON (docs/GRAPH.md). 0 or buf's SV_E*. */
int graph_dot(const struct graph *g, struct buf *out) __attribute__((warn_unused_result));
int graph_json(const struct graph *g, struct buf *out) __attribute__((warn_unused_result));

/*
 * Appends the printable form of n bytes of a name to out: valid UTF-8 other
 * than control characters is kept, '\' becomes "\\", and every other byte
 * (C0 controls, DEL, C1 controls, bytes of invalid UTF-8) "\xNN". Different
 * names never give the same text. 0 or buf's SV_E*.
 */
int graph_text(struct buf *out, const void *p, size_t n) __attribute__((warn_unused_result));

#endif
