/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: bidirectional 5-tuple flows, their TCP/UDP life cycle and the
 * flow table with idle eviction.
 *
 * A flow is the table entry of one 5-tuple; it carries at most one live
 * stream at a time (an opaque pointer owned by the caller). The rules that
 * end a stream and start a new one on the same 5-tuple live here, in
 * flow_classify(), and depend on the packets alone (their order and
 * timestamps), never on threads or batch sizes:
 *   - TCP: a SYN (without ACK) whose sequence number differs from the base
 *     sequence of its direction (the SYN's, or one less than the first
 *     segment's, as tshark keeps it), or any SYN after the stream saw FIN or
 *     RST, starts a new stream; so does any packet after the stream was idle
 *     longer than tcp_idle_ns (open) or tcp_closed_ns (after RST or FIN in
 *     both ways).
 *   - UDP: a packet after more than udp_idle_ns of silence starts a new stream.
 * Eviction (flow_expired) applies the same timeouts to free table entries,
 * at the time of the packet being assigned, against the flow's newest
 * packet of its clock: a flow newer than that (time stepped back) is not
 * idle. Only the flows whose last packet came with the same clock (the
 * capture interface: a pcapng's interfaces may keep different times; when
 * time steps back at a later input, split.c sets the clock back) are
 * measured against that time, so that packets stamped hours ahead on one
 * interface do not end the streams of another whose packets keep coming.
 */
#ifndef SV_FLOW_H
#define SV_FLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct dec_pkt;

/* Canonical bidirectional key: side 0 is the lower (address, port). 40 bytes, no padding. */
struct flow_key {
    uint8_t addr[2][16];
    uint16_t port[2];
    uint8_t ipver;
    uint8_t proto;
    uint8_t pad[2];
};

enum flow_state_flags {
    FLOW_F_SYN = 1 << 0,        /* a SYN without ACK was seen */
    FLOW_F_FIN0 = 1 << 1,       /* FIN from side 0 */
    FLOW_F_FIN1 = 1 << 2,       /* FIN from side 1 */
    FLOW_F_RST = 1 << 3,
    FLOW_F_BASE0 = 1 << 4,      /* base_seq[0] is set */
    FLOW_F_BASE1 = 1 << 5,
};

struct flow {
    struct flow_key key;
    uint64_t hash;              /* hash_fixed(key): picks the pack bucket */
    uint64_t last_ns;           /* time of the newest packet */
    void *stream;               /* the live stream, owned by the caller */
    uint32_t flags;             /* FLOW_F_* of the live stream */
    uint32_t base_seq[2];       /* per side: ISN of its SYN, or first seq - 1 */
    /* table internals */
    uint64_t clock_ns;          /* time of the newest packet of its clock: what eviction measures */
    uint64_t queued_ns;         /* clock_ns when it was queued in its list */
    struct flow *lru_prev, *lru_next;
    uint32_t clock;             /* the clock (interface) of its last packet: its lists */
    uint8_t lru;                /* which list of its clock */
};

struct flow_opts {
    uint64_t udp_idle_ns;
    uint64_t tcp_idle_ns;
    uint64_t tcp_closed_ns;
};

/*
 * Fills key for endpoints a:pa and b:pb (side 0 is the lower address, then
 * port); returns the side of a.
 */
int flow_key_make(uint8_t ipver, uint8_t proto, const uint8_t a[16], uint16_t pa,
                  const uint8_t b[16], uint16_t pb, struct flow_key *key);
/* Fills key from a decoded packet with ports; returns the side (0/1) of the sender. */
int flow_key_from(const struct dec_pkt *p, struct flow_key *key);

enum flow_verdict {
    FLOW_SAME = 0,              /* the packet belongs to the live stream */
    FLOW_NEW = 1,               /* end the live stream; the packet starts a new one */
};

/* Decides whether the packet (sent by side) continues the flow's stream. */
enum flow_verdict flow_classify(const struct flow *f, const struct flow_opts *o,
                                const struct dec_pkt *p, int side, uint64_t ts_ns);

/* Updates the flow's state after the packet was accounted to its stream. */
void flow_update(struct flow *f, const struct dec_pkt *p, int side, uint64_t ts_ns);
/* Resets the per-stream state when a new stream starts on the flow. */
void flow_restart(struct flow *f);

struct flow_table;

struct region;
/* r (may be NULL) supplies the memory of the flows. */
struct flow_table *flow_table_new(const struct flow_opts *o, struct region *r);
void flow_table_free(struct flow_table *t);
size_t flow_table_count(const struct flow_table *t);

/* Hints the cache about a lookup of hash that will come soon. */
void flow_prefetch(const struct flow_table *t, uint64_t hash);
/* Finds the flow of key (hash = hash_fixed(key)), or NULL. */
struct flow *flow_find(struct flow_table *t, const struct flow_key *key, uint64_t hash);
/*
 * Inserts a new flow for key (must not exist) with the given time, taken
 * with the given clock (a small number: the capture interface).
 */
struct flow *flow_insert(struct flow_table *t, const struct flow_key *key, uint64_t hash,
                         uint64_t ts_ns, uint32_t clock);
/*
 * Records activity (after flow_update) with the clock of the packet, and
 * re-files the flow when its timeout class or its clock changed.
 */
void flow_touch(struct flow_table *t, struct flow *f, uint64_t ts_ns, uint32_t clock);
/*
 * Returns a flow of clock whose idle time at now_ns (a time of that clock)
 * passed its timeout, oldest first in each list, or NULL when none. The
 * caller ends its stream and calls flow_remove().
 */
struct flow *flow_expired(struct flow_table *t, uint64_t now_ns, uint32_t clock);
/* Removes and frees f. */
void flow_remove(struct flow_table *t, struct flow *f);
/*
 * Time of clock steps back by back ns (a later input of the same span): its
 * flows are made as idle, measured by the new times, as they were by the
 * old ones at the step (at most their idle time, they are as old as that).
 */
void flow_clock_back(struct flow_table *t, uint32_t clock, uint64_t back);
/* Calls fn on every flow, in a deterministic order (by clock, list, queue order). */
void flow_each(struct flow_table *t, void (*fn)(struct flow *f, void *arg), void *arg);

#endif
