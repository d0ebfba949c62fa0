/* SPDX-License-Identifier: BSD-2-Clause */
/* summary: internals of lib/bundle: the time-ordered merge of one node's stream PCAPs */
#ifndef SV_BUNDLE_INT_H
#define SV_BUNDLE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct diag;
struct store;
struct store_stream;

/* Where merged bytes go; write returns 0 or a negative SV_E* (with d set). */
struct bmerge_sink {
    int (*write)(void *arg, const void *p, size_t n, struct diag *d);
    void *arg;
};

struct bmerge_opts {
    bool cut;                   /* keep only packets with from_ns <= ts <= to_ns */
    uint64_t from_ns, to_ns;
};

struct bmerge_stats {
    uint64_t packets, bytes;    /* packets written and their captured bytes */
    uint64_t out_bytes;         /* bytes of the capture file */
    uint64_t first_ns, last_ns; /* times of the first and last packet written (0 when none) */
    uint64_t peak_open;         /* most streams open at once */
};

/*
 * Merges the packets of streams v[0..n) of one node (in id order) into one
 * capture, in time order; equal times go by stream id, then by the order
 * within the stream. The capture is classic PCAP when every stream is
 * classic PCAP of one link type (nanosecond when any stream is, snaplen
 * the largest), otherwise pcapng with one IDB per (link type, snaplen,
 * resolution), each written before its first packet. With sink NULL,
 * nothing is written and st says what would be: the file size, packets and
 * bytes (without reading the packets when that is known from the
 * catalogue: classic PCAP and no cut).
 */
int bmerge_run(struct store *s, size_t node, const struct store_stream *const *v, size_t n,
               const struct bmerge_opts *o, const struct bmerge_sink *sink,
               struct bmerge_stats *st, struct diag *d) __attribute__((warn_unused_result));

#endif
