/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: tar.gz bundles (export, snapshot): the nodes' selected streams
 * merged in time order, their name histories, optional per-stream files
 * and content.json, written deterministically and atomically.
 *
 * The layout and content.json's schema are docs/BUNDLES.md. This module is
 * the only user of libarchive's writer. Memory does not grow with the
 * bundle: captures are merged and compressed as they are read, and what a
 * merge holds is one read buffer per stream open at the same instant.
 */
#ifndef SV_BUNDLE_H
#define SV_BUNDLE_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct diag;
struct store;
struct store_stream;

#define BUNDLE_FORMAT "streamvault-bundle/1"

/* One node of one store and the streams of it the bundle holds. */
struct bundle_node {
    struct store *store;
    size_t node;                            /* the node's number in its store */
    const struct store_stream **streams;    /* borrowed; in id order, none discarded */
    size_t nstreams;
};

/* A file added at the top level as is (e.g. a dependency graph). Borrowed. */
struct bundle_extra {
    const char *name;                       /* one path component, not "content.json" */
    const void *data;
    size_t len;
};

struct bundle_opts {
    const char *path;           /* the .tar.gz to write (replaced atomically), "-": stdout */
    const char *command;        /* "export", "snapshot": recorded in content.json */
    const char *query;          /* the KFL text, or NULL */
    bool window;                /* a time window applies (snapshot) */
    uint64_t from_ns, to_ns;    /* the window, both ends included */
    bool cut;                   /* keep only the window's packets (needs window) */
    bool per_stream;            /* also <dir>/streams/<file> for every stream */
    uint64_t created_ns;        /* content.json "created" and its mtime */
    const struct bundle_extra *extras;
    size_t nextras;
    /*
     * When not NULL and set non-zero (e.g. by a SIGINT handler), the write
     * stops at the next piece of data with SV_EINVAL ("interrupted") and
     * removes its temporary file.
     */
    const volatile sig_atomic_t *cancel;
    /*
     * When not NULL: called once the bundle is whole, before it goes into
     * place; a return < 0 (d set) gives it up as any error does (standard
     * output has had its bytes by then).
     */
    int (*check)(const void *arg, struct diag *d);
    const void *check_arg;
};

struct bundle_result {
    size_t nodes;               /* node directories written */
    uint64_t streams, packets, bytes;   /* bytes: captured bytes of the packets */
    uint64_t file_bytes;        /* size of the .tar.gz */
    uint64_t peak_open;         /* most streams a merge had open at once */
};

/*
 * Writes the bundle: under a temporary name in the output's directory,
 * renamed to o->path once complete; on any error the temporary file is
 * removed and nothing is left at o->path (a file already there is kept).
 * o->path "-" is standard output, written as the bundle is made (an error
 * leaves what was written before it).
 * Nodes without streams are left out. Errors name the file (a store file,
 * or the output). Returns 0 or a negative SV_E*.
 */
int bundle_write(const struct bundle_opts *o, const struct bundle_node *nodes, size_t n,
                 struct bundle_result *res, struct diag *d) __attribute__((warn_unused_result));

/*
 * The directory a node's files go to: "<node>_<ip>", or "<node>" when the
 * ip is unknown (""); bytes outside [A-Za-z0-9._:-] become '_'. Returns
 * malloc'd.
 */
char *bundle_node_dir(const char *name, const char *ip);

#endif
