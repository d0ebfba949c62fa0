/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: IP fragment reassembly for the dissectors of one stream.
 *
 * The store keeps fragments as they were captured (a stream's PCAP holds
 * them all); dissection needs the datagram. One struct defrag per stream
 * collects the fragments of at most DEFRAG_SLOTS datagrams at a time, keyed
 * by (sender side, IP identification); the oldest is dropped when a new one
 * needs its slot. Reference: RFC 791 §3.2 (fragmentation), RFC 8200 §4.5;
 * overlaps keep the first copy (RFC 5722 would drop the datagram; a
 * forensic reader keeps what it can and counts it).
 */
#ifndef SV_DEFRAG_H
#define SV_DEFRAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct dec_pkt;

#define DEFRAG_SLOTS 4u
#define DEFRAG_MAX 65535u       /* bytes of a reassembled IP payload */

struct defrag_stats {
    uint64_t datagrams;         /* reassembled */
    uint64_t dropped;           /* given up (slot reused, or too big) */
    uint64_t overlaps;          /* fragments that overlapped data already held */
};

struct defrag;

/* NULL when out of memory. */
struct defrag *defrag_new(void);
void defrag_free(struct defrag *f);

/*
 * Adds fragment p (decoded into dp, dp->frag set) of the frame (caplen
 * bytes), sent by `side`. When it completes a datagram, returns true with
 * *out and *outlen the IP payload (transport header and data), valid until the
 * next call.
 */
bool defrag_add(struct defrag *f, int side, const struct dec_pkt *dp, const uint8_t *frame,
                size_t caplen, const uint8_t **out, size_t *outlen);

/*
 * Datagrams never completed (later fragments lost, or cut by the snaplen as
 * tshark shows them: "unreassembled"): calls fn for each one whose start
 * (the first fragment) is held, with its first header's number (the
 * fragments' frag_proto), the bytes held from offset 0 up to the first
 * missing block (and those of that block a fragment cut short held), and
 * the time and packet number given to its first fragment. Oldest first;
 * the slots are emptied.
 */
typedef void (*defrag_flush_fn)(void *arg, int side, uint8_t proto, const uint8_t *p, size_t n,
                                uint64_t ts, uint32_t pkt);
void defrag_flush(struct defrag *f, defrag_flush_fn fn, void *arg);

/* Sets the time and packet number recorded for the fragment defrag_add is given next. */
void defrag_stamp(struct defrag *f, uint64_t ts, uint32_t pkt);

const struct defrag_stats *defrag_stats(const struct defrag *f);

#endif
