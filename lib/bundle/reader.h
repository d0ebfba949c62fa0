/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: reading a bundle (DESIGN.md §8, docs/BUNDLES.md "Reading a
 * bundle"): a tar.gz laid out as Kubeshark's export, streamed once through
 * libarchive, checked member by member, with what ingest needs extracted to
 * a private directory.
 *
 *   <node>_<ip>/<unix>.pcap                   merged capture(s) of the node
 *   <node>_<ip>/names.json                    native history (preferred)
 *   <node>_<ip>/name_resolution_history.json  Kubeshark's history
 *   <node>_<ip>/streams/...                   per-stream copies: hashed, not extracted
 *   content.json                              sha256 and size of every other file
 *
 * Bundles are attacker-supplied. The reader refuses, naming the bundle, the
 * member and the decompressed offset of its header: absolute paths, '..'
 * components, links, devices, fifos and sockets, a member declaring or
 * holding more than member_max bytes, members declaring or holding more
 * than total_max bytes together, more than members_max members, a path
 * longer than LIM_BUNDLE_PATH, a member twice, a directory of per-stream
 * files without a merged capture, a node name that is no store node name
 * or an IP that is no address, two directories naming one node with
 * different IPs, and, when content.json is there, any file it does not
 * list, any it lists that is missing, and any whose size or sha256 differs.
 * Memory does not grow with the bundle's bytes (one fixed buffer; a record
 * per member, bounded by members_max).
 * Extracted files are named by member number (m<n>), never by member path.
 *
 * lib/bundle/ is the only user of libarchive; no libarchive type appears here.
 */
#ifndef SV_BUNDLE_READER_H
#define SV_BUNDLE_READER_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct diag;

/* The format content.json declares. */
#define BUNDLE_FORMAT "streamvault-bundle/1"
#define BUNDLE_MANIFEST "content.json"

struct bundle_limits {
    uint64_t member_max;        /* bytes of one member (LIM_BUNDLE_MEMBER) */
    uint64_t total_max;         /* bytes of all members (LIM_BUNDLE_TOTAL) */
    uint64_t members_max;       /* members, directories included (LIM_BUNDLE_MEMBERS) */
    /* when not NULL and nonzero (a signal handler sets it), extraction stops: SV_EINTR */
    const volatile sig_atomic_t *cancel;
};

/* Fills l with the defaults of lib/base/limits.h. */
void bundle_limits_init(struct bundle_limits *l);

/*
 * A node of the bundle: the top-level directories holding a capture or a
 * history that name the same node (a second shard of a node is written as
 * "<node>_<ip>_2"). A directory's node is what content.json's "nodes" say
 * of it ("dir", "name", "ip"), else its name split at the last '_' when
 * what follows is an IP address or empty, else its whole name (IP unknown).
 */
struct bundle_node {
    char *dir;                  /* its first directory */
    char *ip_dir;               /* the directory that gave its IP, when not the first */
    char *name;                 /* the node's name (a valid store node name) */
    char *ip;                   /* its IP (an IPv4 or IPv6 address), "" when unknown */
    char **captures;            /* extracted merged captures, in member-path order */
    char **labels;              /* each one's "BUNDLE:MEMBER" */
    size_t ncaptures;
    char **histories;           /* extracted histories, one per directory that has one:
                                   names.json, else name_resolution_history.json */
    char **history_labels;      /* each one's "BUNDLE:MEMBER" */
    size_t nhistories;
    uint64_t stream_files;      /* per-stream files under streams/ (verified, not extracted) */
};

struct bundle_contents {
    char *dir;                  /* the directory the files were extracted to */
    int lock;                   /* with locked: its flock, so that a killed extraction's
                                   directory is told from a live one (store_remove_stale) */
    bool locked;
    struct bundle_node *nodes;  /* in member-path order */
    size_t nnodes;
    bool verified;              /* content.json was there and every file matched it */
    uint64_t members;           /* files and directories */
    uint64_t bytes;             /* bytes of all files */
    char **ignored;             /* files that are none of the above (escaped paths) */
    size_t nignored;
};

/*
 * True when path is a regular file whose bytes are a tar archive, plain or
 * gzip-compressed (its first header reads). Never reads standard input.
 */
bool bundle_probe(const char *path);

/*
 * Reads the bundle at path, extracting its nodes' captures and histories
 * into dir, which it creates (mode 0700; it must not exist). On success
 * *out describes them (release with bundle_contents_release, which removes
 * dir). On failure returns SV_EFORMAT (a refused or corrupt bundle),
 * SV_ELIMIT (a cap), SV_EIO or SV_ENOMEM with d set, and dir is gone.
 */
int bundle_extract(const char *path, const char *dir, const struct bundle_limits *l,
                   struct bundle_contents *out, struct diag *d)
    __attribute__((warn_unused_result));
/* The same over n bytes in memory (borrowed); name stands for the bundle in messages. */
int bundle_extract_mem(const void *p, size_t n, const char *name, const char *dir,
                       const struct bundle_limits *l, struct bundle_contents *out,
                       struct diag *d) __attribute__((warn_unused_result));
/* Removes the extracted files and frees c (a zeroed c is fine). */
void bundle_contents_release(struct bundle_contents *c);

#endif
