/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: the store: ingest (split captures into per-stream PCAPs) and the
 * read API through which everything else reaches a stream's packets.
 *
 * The on-disk layout (packs, large-stream files, the stream catalogue,
 * store.json) is this module's business alone; see docs/FORMAT.md. Callers
 * name streams by (node, stream id) and get whole PCAP files' bytes.
 */
#ifndef SV_STORE_H
#define SV_STORE_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flow/flow.h"

struct diag;
struct buf;

#define STORE_FORMAT_VERSION 1
#define STORE_BUCKETS 64u

enum store_layout {
    STORE_LAYOUT_PACKED = 0,    /* small streams in packs, large ones in their own file */
    STORE_LAYOUT_FILES = 1,     /* every stream in its own file (Kubeshark's layout) */
};

struct store_progress {
    uint64_t bytes_done;        /* input bytes consumed, over all inputs */
    uint64_t bytes_total;       /* sum of the inputs' sizes (0 when unknown, e.g. stdin) */
    uint64_t packets;
    uint64_t streams;
    size_t input;               /* index of the input being read */
};

struct store_ingest_opts {
    const char *store_dir;
    const char *node_name;      /* default "local" */
    const char *node_ip;        /* may be NULL */
    int threads;                /* <= 0: all cores */
    enum store_layout layout;
    bool replace;               /* replace an existing store (atomically) */
    uint64_t pack_threshold;    /* streams above this many PCAP bytes get their own file */
    uint64_t memcap;            /* bytes buffered over all streams; 0: the layout's
                                 * (LIM_BUFFER_TOTAL, LIM_BUFFER_FILES) */
    struct flow_opts flow;
    bool dissect;               /* dissect streams into entries (default true) */
    bool l4_entries;            /* a tcp/udp entry for streams no dissector claims (default true) */
    bool discard_undissected;   /* drop streams no dissector claims, as Kubeshark does */
    bool keep_entries;          /* keep the raw entry records beside the index (debugging) */
    uint64_t body_max;          /* body bytes kept per request and response (0: none) */
    /*
     * The name resolution history the user gave (lib/names, not sealed), or
     * NULL. Ingest adds the DNS answers it sees, seals it, names every entry
     * after it and keeps it as nodes/<node>/names.json.
     */
    struct names *names;
    /* Called between batches, from the calling thread. */
    void (*progress)(void *arg, const struct store_progress *p);
    void *progress_arg;
    /*
     * When not NULL and nonzero (a signal handler sets it), ingest stops
     * between batches and before the store is installed: SV_EINTR, the
     * temporary tree removed, an existing store left as it was.
     */
    const volatile sig_atomic_t *cancel;
    /*
     * Told the path of each temporary tree that an ingest into the same
     * store left when it was killed, which this one removed before it began.
     */
    void (*stale)(void *arg, const char *path);
    void *stale_arg;
};

/* Fills o with the defaults of lib/base/limits.h. */
void store_ingest_opts_init(struct store_ingest_opts *o);

enum store_input_status {
    STORE_IN_OK = 0,
    STORE_IN_ERROR = 1,         /* read up to a fault; what came before is kept */
    STORE_IN_SKIPPED = 2,       /* a file in a directory input that is not a capture */
};

struct store_count {
    uint64_t packets;
    uint64_t bytes;             /* captured bytes of the packets (pcap caplen) */
};

struct store_input {
    char *path;                 /* as given (directory inputs expanded to their files), or
                                   the label of a labelled input */
    char *file;                 /* what a labelled input reads (NULL: path) */
    const char *format;         /* "pcap", "pcapng" or NULL */
    const char *compression;    /* "none", "gzip", "zstd" */
    uint64_t size;              /* bytes of (decompressed) input consumed */
    struct store_count read, streams, other;
    uint64_t late_times;        /* packets timed past 2106-02-07T06:28:15Z, which classic
                                   PCAP stream files cannot hold (their times there wrap) */
    uint64_t odd_links;         /* packets of a link type not decoded (in other.pcap) */
    uint32_t odd_link;          /* the first such link type */
    bool odd_links_mixed;       /* and others besides it */
    enum store_input_status status;
    char *error;                /* the fault, naming file and offset (status != OK) */
};

struct store_segment_info {
    char *name;                 /* index/<name>/ */
    uint64_t rows, bytes;
    uint64_t first_ns, last_ns;
    uint32_t blocks;
    bool named;                 /* ingest named its rows before writing them (ix_writer_name) */
};

struct store_ingest_result {
    char *node_name;            /* the node this result is of */
    char *node_ip;              /* NULL when unknown */
    struct store_input *inputs;
    size_t ninputs;
    struct store_count read, streams, other;
    uint64_t nstreams, tcp_streams, udp_streams, large_streams;
    uint64_t first_ns, last_ns;
    size_t input_errors;
    uint64_t peak_flows;
    struct store_count discarded;   /* the part of `streams` dropped by discard_undissected */
    uint64_t discarded_streams;
    uint64_t entries;           /* entries written */
    uint64_t entries_dropped;   /* entries lost to memory exhaustion */
    uint64_t names;             /* records of the node's name resolution history */
    struct store_segment_info *segments;    /* the index segments written */
    size_t nsegments, capsegments;
};

/*
 * Splits the inputs (capture files, directories of captures, "-") into the
 * store. The store is built beside store_dir under a temporary name and
 * renamed into place when complete: a crash or fatal error leaves any
 * previous store untouched. Returns 0 when the store was written (inputs
 * with faults are listed in res with status STORE_IN_ERROR; what was read
 * before a fault is kept), or a negative SV_E* when nothing was written.
 */
int store_ingest(const struct store_ingest_opts *o, char *const *inputs, size_t ninputs,
                 struct store_ingest_result *res, struct diag *d)
    __attribute__((warn_unused_result));

/*
 * True when name can name a node: safe as one path component, 1-128 of
 * [A-Za-z0-9._-], not "." or "..".
 */
#define STORE_NODE_NAME_MAX 128
int store_valid_node_name(const char *name);
/*
 * True when name can name an index segment: as a node's name, up to 200
 * bytes, for the node's name and what follows it ("-<bucket>-<n>", and
 * ".n<g>" once names import rewrote it), still under NAME_MAX.
 */
#define STORE_SEGMENT_NAME_MAX 200
int store_valid_segment_name(const char *name);
/* True when ip is a node's IP: none ("" or NULL), or an IPv4 or IPv6 address. */
int store_valid_node_ip(const char *ip);

/* One node of a store_ingest_nodes call. Everything is borrowed. */
struct store_node_input {
    const char *name;           /* the node's name: letters, digits, '.', '_', '-' */
    const char *ip;             /* its IP, or NULL */
    char *const *inputs;        /* as store_ingest's */
    size_t ninputs;
    /*
     * NULL, or one name per input that store.json and error messages give
     * it instead of its path (a capture extracted from a bundle is named
     * "BUNDLE:MEMBER"). Labelled inputs are files, never directories.
     */
    char *const *labels;
    struct names *names;        /* the node's history, as store_ingest_opts.names, or NULL */
};

/*
 * Whether an ingest may write its store at o->store_dir: nothing there, an
 * empty directory, or a store with o->replace. SV_EEXIST with the reason
 * otherwise; nothing is changed. store_ingest_nodes checks it too (and
 * removes an empty directory there); a caller with costly work before it (a
 * bundle to extract) asks first.
 */
int store_check_target(const struct store_ingest_opts *o, struct diag *d)
    __attribute__((warn_unused_result));
/*
 * store_ingest for several nodes at once: each node's inputs are split into
 * nodes/<name>/ in the order given, and one store.json lists them all. The
 * options' node_name, node_ip and names are not used (nodes[] gives them).
 * res is an array of nnodes results, one per node (release each). All or
 * nothing: on failure no store is written and any previous one is left as
 * it was. SV_EINVAL for a bad or repeated node name. No node at all gives an
 * empty store (a bundle of a quiet window).
 */
int store_ingest_nodes(const struct store_ingest_opts *o, const struct store_node_input *nodes,
                       size_t nnodes, struct store_ingest_result *res, struct diag *d)
    __attribute__((warn_unused_result));
void store_ingest_result_release(struct store_ingest_result *res);
/*
 * The files a directory input gives, as ingest reads them: its regular files,
 * hidden ones left out, sorted by name (*paths malloc'd, each path too; *n 0
 * when there are none). < 0 with d set when dir cannot be listed.
 */
int store_dir_inputs(const char *dir, char ***paths, size_t *n, struct diag *d)
    __attribute__((warn_unused_result));
/* The store.json text of an ingest of nnodes nodes (r: their results). Returns malloc'd text. */
char *store_manifest_json(const struct store_ingest_opts *o, const struct store_ingest_result *r,
                          size_t nnodes);

/* ---------------------------------------------------------------- reading */

enum store_stream_flags {
    STORE_S_SYN = 1 << 0,       /* a SYN was captured */
    STORE_S_FIN = 1 << 1,
    STORE_S_RST = 1 << 2,
    STORE_S_PCAPNG = 1 << 3,    /* written as pcapng (mixed link types) */
    STORE_S_FILE = 1 << 4,      /* in its own file rather than a pack */
    STORE_S_FRAG = 1 << 5,      /* holds IP fragments */
    STORE_S_DISCARDED = 1 << 6, /* dropped by --discard-undissected: no packets stored */
};

struct store_stream {
    uint64_t id;
    uint64_t first_ns, last_ns;
    uint64_t packets, bytes;    /* captured packets and their bytes */
    uint64_t offset, length;    /* where the PCAP bytes are (pack) / file length */
    uint32_t flags;             /* STORE_S_* */
    uint32_t anomalies;         /* DEC_A_* seen on its packets */
    uint32_t pack;              /* pack number (bucket << 16 | sequence) */
    uint16_t cli_port, srv_port;
    uint8_t proto;              /* 6 TCP, 17 UDP */
    uint8_t ipver;
    uint8_t cli[16], srv[16];   /* client: SYN sender, else the side with the higher port */
};

struct store;

struct store_node_info {
    const char *name;
    const char *ip;             /* "" when unknown */
    uint64_t nstreams;
    uint64_t names;             /* records of its history (store.json), 0 when none */
    const char *names_file;     /* its history's file in the node's directory: store.json's
                                   "names_file" (names import writes one anew), else
                                   names.json */
};

int store_open(struct store **out, const char *dir, struct diag *d)
    __attribute__((warn_unused_result));
void store_close(struct store *s);
/*
 * Whether the store is no longer the one store_open found: its directory or
 * its store.json is another (an ingest --force swapped a store in, a names
 * import wrote a new store.json) or gone. What was read of it afterwards may
 * come from either.
 */
bool store_replaced(const struct store *s);
size_t store_nnodes(const struct store *s);
const struct store_node_info *store_node(const struct store *s, size_t i);
/* The entry index segments (store.json "segments"), in order. */
struct store_segment {
    const char *name;
    size_t node;                /* index of its node */
    uint64_t rows;
    uint64_t bytes, blocks, first_ns, last_ns;  /* as store.json lists them */
};
size_t store_nsegments(const struct store *s);
const struct store_segment *store_segment(const struct store *s, size_t i);
/* The file of segment i (malloc'd); lib/index reads it. */
char *store_segment_path(const struct store *s, size_t i);
struct ix_seg;
struct ix_filebuf;
/*
 * Opens segment i with ix_open_buf() (fb may be NULL: ix_open()) and checks
 * that it is the segment store.json lists under that name: its node, rows,
 * blocks, bytes and time range. A valid segment file in another's place
 * (copied or restored wrongly) would give wrong rows; it is SV_EFORMAT,
 * naming the file.
 */
int store_segment_open(const struct store *s, size_t i, struct ix_filebuf *fb,
                       struct ix_seg **out, struct diag *d) __attribute__((warn_unused_result));
/* The raw store.json text (for `info`). Borrowed. */
const char *store_json_text(const struct store *s);
/* The store's directory, as opened. */
const char *store_dir(const struct store *s);

/* ------------------------------------------------------------------ names */

struct names;
struct names_read_opts;
/*
 * Adds the node's name resolution history (nodes/<node>/names.json, when
 * there is one) to h.
 */
int store_names_load(struct store *s, size_t node, struct names *h, struct diag *d)
    __attribute__((warn_unused_result));

struct store_names_result {
    uint64_t records;           /* records in the nodes' histories afterwards */
    uint64_t segments;          /* index segments named anew (whose names changed) */
};
/*
 * `names import`: adds the records of files[] (any format lib/names reads)
 * to the history of every node of the store at dir, writes each history
 * back, and names every index row anew after it (only the name columns of
 * the segments change; store.json gets their new sizes). The store changes
 * as a whole or not at all (new files beside the old, and a new store.json
 * renamed into place last), and holds its lock meanwhile (names.c). Once
 * ro->cancel is set (a signal), it stops before that rename, removes what it
 * wrote and fails with SV_EINTR ("DIR: interrupted; the store is as it was").
 */
int store_names_import(const char *dir, char *const *files, size_t nfiles,
                       const struct names_read_opts *ro, struct store_names_result *out,
                       struct diag *d) __attribute__((warn_unused_result));

/* The node's streams in id order. Borrowed; valid until store_close. */
int store_streams(struct store *s, size_t node, const struct store_stream **v, size_t *n,
                  struct diag *d) __attribute__((warn_unused_result));
/* Appends the stream's whole PCAP (or pcapng) file bytes to out (SV_EINVAL if discarded). */
int store_stream_read(struct store *s, size_t node, const struct store_stream *st,
                      struct buf *out, struct diag *d) __attribute__((warn_unused_result));
/*
 * A reader of streams' bytes in pieces, for work over many streams at once
 * (the time-ordered merge of bundles): it keeps at most STORE_READER_FILES
 * files open (least recently used closed first), so open files stay bounded
 * however many streams are read. Not thread-safe; one per thread.
 */
#define STORE_READER_FILES 32
struct store_reader;
/* Returns owned; free with store_reader_free. The store must outlive it. */
struct store_reader *store_reader_new(struct store *s, size_t node);
void store_reader_free(struct store_reader *r);
/*
 * Reads n bytes at off of the stream's PCAP file bytes into p. SV_EFORMAT
 * when [off, off+n) is not within the stream, or the stream's bytes are
 * not within its file; SV_EINVAL for a discarded stream; SV_EIO.
 */
int store_reader_pread(struct store_reader *r, const struct store_stream *st, uint64_t off,
                       void *p, size_t n, struct diag *d) __attribute__((warn_unused_result));
/* The file name the stream has in Kubeshark's naming (%012d.pcap / %012d_udp.pcap). */
void store_stream_name(const struct store_stream *st, char out[32]);
/*
 * Appends the entry records of the node (entry.h format, bucket files in
 * order) to out. A node without entries appends nothing.
 */
int store_entries_read(struct store *s, size_t node, struct buf *out, struct diag *d)
    __attribute__((warn_unused_result));
/* Appends other.pcap's bytes of the node to out. */
int store_other_read(struct store *s, size_t node, struct buf *out, struct diag *d)
    __attribute__((warn_unused_result));

#endif
