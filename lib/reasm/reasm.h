/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: TCP stream reassembly: per-direction in-order byte delivery with
 * out-of-order buffering, retransmission/overlap handling, gaps and caps.
 *
 * Reference: RFC 9293 (TCP, obsoletes RFC 793) §3.4 (sequence numbers,
 * SYN and FIN occupy one each, comparisons modulo 2^32; RFC 1982 serial
 * arithmetic) and §3.10.7.4 (segment text beyond the expected sequence is
 * held until the hole is filled).
 *
 * One struct reasm per TCP connection, two directions: 0 = client->server,
 * 1 = server->client. Segments are fed in capture order; bytes come out per
 * direction, in sequence order, through the caller's deliver callback.
 * Capture bytes are hostile: nothing here fails, odd traffic is counted as
 * an anomaly (REASM_A_*) and reassembly goes on.
 *
 *   - The first sequence number of a direction is its SYN's ISN + 1 (of its
 *     last SYN while no data, FIN or RST came: a SYN-ACK may be sent anew with
 *     another ISN), or, for a stream open before the capture started, the
 *     first segment seen that carries data or a FIN (a pure ACK does not start
 *     a direction, nor a keep-alive probe: one byte without PSH, RFC 9293 §3.8.4).
 *   - Data at the expected sequence is delivered straight from the caller's
 *     payload (no copy, no allocation). Data ahead of it is copied into a
 *     list of disjoint ranges until the hole is filled.
 *   - Bytes seen before are dropped: the first copy wins. A later copy
 *     whose bytes differ from the buffered copy, or from the last delivered
 *     bytes still in the history window, counts REASM_A_CONFLICT.
 *   - A hole is skipped (REASM_F_GAP on the next delivery, REASM_A_GAP with
 *     the missing bytes) when buffering would pass the direction's cap or the
 *     shared budget (also REASM_A_CAP), on RST, and in reasm_flush.
 *   - A FIN is an in-sequence event: delivered when the bytes before it are.
 *     A retransmission of a lost segment usually follows the FIN in capture
 *     order, so a FIN does not skip holes; reasm_flush does.
 *
 * State per direction:
 *
 *      delivered        next           buffered out-of-order ranges    end (FIN)
 *   ...........|----hole----[####]--[######]----[##]--------------|
 *              ^ history: the last `history` delivered bytes, to check copies
 *
 *   NEW --(SYN, data or FIN)--> OPEN --(next reaches FIN)--> FIN delivered
 *                                 \--(RST: skip holes)------> RST delivered
 *
 * Thread safety: a struct reasm and its budget are used by one thread.
 */
#ifndef SV_REASM_H
#define SV_REASM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/limits.h"

/* Each buffered range costs this much on top of its bytes (bounds the node count). */
#define REASM_SEG_OVERHEAD      64u

/* Flags of a delivery. */
enum reasm_flags {
    REASM_F_GAP = 1 << 0,       /* bytes are missing right before this delivery: resynchronise */
    REASM_F_FIN = 1 << 1,       /* event (n == 0): the direction ended with a FIN */
    REASM_F_RST = 1 << 2,       /* event (n == 0): a RST was sent in this direction */
};

/* Anomalies (counted per reassembler). */
enum reasm_anomaly {
    REASM_A_GAP = 0,            /* a hole was skipped; gap_bytes has the missing bytes */
    REASM_A_CAP,                /* the direction's cap or the shared budget was hit */
    REASM_A_CONFLICT,           /* a copy of seen bytes differs, or FIN/RST disagree on the end */
    REASM_A_AFTER_END,          /* data at or past the FIN, or after a RST: dropped */
    REASM_A_WINDOW,             /* a segment starting REASM_WINDOW or more ahead, a RST as
                                 * far either way: dropped */
    REASM_A_COUNT
};

/* Data more than this far ahead of the next expected byte is not believed. */
#define REASM_WINDOW            (1u << 30)

/*
 * Receives in-order bytes of direction dir (0 or 1). p/n are valid only during
 * the call (n == 0 and p == NULL for a FIN/RST event). ts_ns and pkt_index are
 * those of the segment that carried the first byte (or the FIN/RST). The callback
 * must not call back into the same struct reasm.
 */
typedef void (*reasm_deliver_fn)(void *arg, int dir, const uint8_t *p, size_t n, uint64_t ts_ns,
                                 uint64_t pkt_index, uint32_t flags);

/* Memory budget shared by the reassemblers of one thread. */
struct reasm_budget {
    size_t limit;               /* LIM_REASM_TOTAL */
    size_t used;                /* bytes charged now */
    uint64_t refused;           /* charges refused (each forced a gap somewhere) */
};

void reasm_budget_init(struct reasm_budget *b, size_t limit);

/*
 * Whether n more bytes fit b (NULL: no budget, they do). used may pass the
 * limit (a carry-over's growth is charged as it happens): then nothing fits.
 */
static inline bool reasm_budget_fits(const struct reasm_budget *b, size_t n)
{
    return !b || (b->used <= b->limit && n <= b->limit - b->used);
}

struct reasm_opts {
    size_t flow_cap;            /* buffered bytes per direction, REASM_SEG_OVERHEAD each range */
    size_t history;             /* delivered bytes kept per direction for conflict checks (0: off);
                                   charged to the budget while it is under half full, released at
                                   the direction's FIN/RST and by reasm_flush */
};

/* Fills o with LIM_REASM_FLOW and LIM_REASM_HISTORY. */
void reasm_opts_default(struct reasm_opts *o);

struct reasm_stats {
    uint64_t anomalies[REASM_A_COUNT];  /* events per REASM_A_* */
    uint64_t delivered[2];              /* bytes delivered per direction */
    uint64_t gap_bytes[2];              /* bytes skipped by gaps */
    uint64_t dup_bytes[2];              /* bytes dropped as already seen (retransmissions) */
    uint64_t dropped_bytes[2];          /* bytes dropped after the end or out of window */
};

struct reasm;

/*
 * Returns a new reassembler, owned (free with reasm_free), or NULL when out of
 * memory (SV_ENOMEM to the caller; plain calloc keeps this module free of link
 * dependencies). o may be NULL for the defaults and is copied. budget (may be
 * NULL: no shared cap) is borrowed and must outlive the reassembler. deliver is
 * called with arg.
 */
struct reasm *reasm_new(const struct reasm_opts *o, struct reasm_budget *budget,
                        reasm_deliver_fn deliver, void *arg) __attribute__((warn_unused_result));
/* Frees r and returns its memory to the budget without delivering; NULL is a no-op. */
void reasm_free(struct reasm *r);

/*
 * Feeds one TCP segment of direction dir, in capture order: seq and tcp_flags
 * (DEC_TCP_* bits, lib/decode/decode.h) from its header, payload/len its data
 * (borrowed for the call). Zero-length segments are fine. Deliveries caused by
 * this segment happen before it returns.
 */
void reasm_segment(struct reasm *r, int dir, uint32_t seq, uint8_t tcp_flags,
                   const uint8_t *payload, size_t len, uint64_t ts_ns, uint64_t pkt_index);

/*
 * The acknowledgment number of a segment of direction dir (its ACK flag
 * set), before the segment itself: the other direction's bytes up to ack
 * were received. When a hole there is wholly acknowledged, its bytes were
 * lost by the capture, not by the peer: it is skipped at once (REASM_F_GAP)
 * and what was buffered after it is delivered, rather than at the end of
 * the stream, long after the replies that follow it. (The caller decides
 * which ACKs to believe: dsx_ack gives those of segments that carry data.)
 */
void reasm_ack(struct reasm *r, int dir, uint32_t ack);

/*
 * The stream ended: delivers all buffered data of both directions, skipping
 * holes (REASM_F_GAP), then a pending FIN, and releases the buffers. Segments
 * fed afterwards are still handled.
 */
void reasm_flush(struct reasm *r);

/* Counters since reasm_new. */
const struct reasm_stats *reasm_stats(const struct reasm *r);
/* Bytes charged for buffered ranges of direction dir (REASM_SEG_OVERHEAD included). */
size_t reasm_buffered(const struct reasm *r, int dir);
/*
 * The work of placing dir's out-of-order ranges so far: steps down their splay tree
 * (amortized O(log n) per range; tests hold it to that whatever the segments' order).
 */
uint64_t reasm_steps(const struct reasm *r, int dir);
/* Short name of an anomaly ("gap", "cap", ...), for the anomaly table of entries. */
const char *reasm_anomaly_name(enum reasm_anomaly a);

#endif
