/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: what the dissection driver's two files share (dissect.c: input,
 * reassembly, detection, carry-over; emit.c: entries). Private to lib/dissect.
 */
#ifndef SV_DISSECT_INT_H
#define SV_DISSECT_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "dissect/dissect.h"

#define HOLD_MAX 64u
/* Indexes reserved for entries still open when the hold passed HOLD_MAX (more: none). */
#define RESV_MAX 4096u

enum dsx_state { ST_UNDECIDED = 0, ST_ACTIVE, ST_ABANDONED, ST_UNDISSECTED };

struct mark {
    uint64_t off;               /* absolute offset of the first byte it covers */
    uint64_t ts;                /* the packet that brought them */
    uint32_t pkt;
    /*
     * When they could be read in order (TCP): the latest in capture order of
     * the packets that brought every byte up to them, and its time. Segments
     * out of order arrive before the ones they wait for: a message's end is
     * when its last byte was there in order, never before its start.
     */
    uint64_t read_ts;
    uint32_t read_pkt;
};

struct dirst {
    struct buf carry;           /* unconsumed bytes (ACTIVE) */
    uint64_t carry_off;         /* absolute offset of carry[0] (= bytes consumed so far) */
    uint64_t next_off;          /* absolute offset of the next delivered byte */
    size_t need;                /* do not parse until this many bytes are available */
    size_t charged;             /* bytes of carry's and marks' allocations charged to the
                                   bucket budget */
    struct mark *marks;
    size_t nmarks, capmarks;
    /* the parse call in progress */
    uint64_t cur_base;          /* absolute offset of the p[0] handed to parse */
    size_t cur_n;
    uint64_t seen_gap;          /* reasm gap bytes already reported */
    /* UNDECIDED: the bytes so far, for bids and the replay */
    struct buf bid;
    uint64_t pkts, bytes;       /* L4 counters: packets and payload bytes */
    uint64_t first_ns, last_ns;
    uint32_t first_pkt, last_pkt;
    bool fin;
    bool at_end;                /* the parse_rest call was made (see dsx_ops) */
};

/* One delivery while undecided, replayed in order once a dissector wins. */
struct hist {
    uint8_t dir;
    uint8_t kind;               /* H_DATA, H_GAP, H_FIN */
    uint32_t pkt;
    uint64_t off;               /* H_DATA: offset in bid buffer; H_GAP: bytes lost */
    uint32_t len;
    uint64_t ts;
};
enum { H_DATA, H_GAP, H_FIN };

struct dsx {
    struct dsx_stream_info si;
    struct dsx_opts o;
    struct dsx_sink *sink;
    struct reasm_budget *budget;
    struct reasm *ra;
    int client_side;            /* flow side of dir 0, -1 until the first packet */
    enum dsx_state state;
    const struct dsx_ops *ops;
    void *st;
    struct dirst d[2];
    struct hist *hist;
    size_t nhist, caphist;
    uint32_t next_index;
    uint64_t next_seq;          /* creation number of the next entry */
    uint64_t out_seq;           /* the oldest entry not yet written (or dropped) */
    bool handed;                /* dsx_hand_over: the next entry made takes handed_seq */
    uint64_t handed_seq;
    struct buf hold;            /* serialised entries waiting for older ones */
    struct held {
        uint64_t seq;
        size_t off, len;
    } *held;
    size_t nheld, capheld;
    struct resv {               /* the index an open entry gets when it is emitted */
        uint64_t seq;
        uint32_t index;
    } *resv;
    size_t nresv, capresv;
    uint32_t pending_anoms;     /* stream events (conflict, cap) for the next entry */
    uint32_t last_pkt;
    uint64_t reasm_conflicts, reasm_caps;
    const struct dsx_ops *switch_to;
    uint8_t *hint;
    size_t hint_len;
    size_t dgram_len, dgram_lost;   /* the datagram being delivered: its bytes, and the wire
                                       bytes the capture lacks (dsx_datagram) */
    bool in_reasm;              /* inside a reasm call: it may not be freed now */
    bool ra_unwanted;           /* free the reassembler when its call returns */
    bool finished;
    bool undissected;           /* set by dsx_finish: no entry came from a dissector */
};

/* The mark covering absolute offset off, found by binary search (dsx_find_mark's slow path). */
const struct mark *dsx_search_mark(const struct dirst *d, uint64_t off);

/* The mark covering absolute offset off of a direction (NULL when none). */
static inline const struct mark *dsx_find_mark(const struct dirst *d, uint64_t off)
{
    if (d->nmarks && d->marks[d->nmarks - 1].off <= off)
        return &d->marks[d->nmarks - 1];        /* the usual case: a byte of the newest delivery */
    return dsx_search_mark(d, off);
}

/* The absolute offset of byte off of the data being parsed in dir. */
static inline uint64_t dsx_abs_off(const struct dsx *x, int dir, size_t off)
{
    const struct dirst *d = &x->d[dir & 1];

    if (off >= d->cur_n && d->cur_n > 0)
        off = d->cur_n - 1;
    return d->cur_base + off;
}
/* Drops the place dsx_hand_over kept when no entry took it. */
void dsx_settle_hand_over(struct dsx *x);
/* Writes the held entries that are next in creation order (all of them when all). */
void dsx_drain_held(struct dsx *x, bool all);
/* The L4 summary entry of an undissected stream. */
void dsx_l4_entry(struct dsx *x);

#endif
