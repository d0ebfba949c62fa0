/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: TCP stream reassembly (RFC 9293 §3.4, §3.10.7.4): in-order
 * delivery, a sorted list of out-of-order ranges (indexed by a splay tree), gaps,
 * caps and FIN/RST.
 *
 * Invariants per direction, between calls (offsets are modulo 2^32 from next):
 *   - the ranges of the list are sorted, disjoint, start at offset >= 1 (a
 *     range at offset 0 is delivered at once) and end before offset 2^31;
 *   - the same ranges form a splay tree keyed by their start (Sleator and
 *     Tarjan, top-down), so that finding where a segment goes costs O(log n)
 *     amortised, not a walk of the list: a hostile order of many small
 *     segments would otherwise cost O(n^2) within the cap;
 *   - with D_END, every range ends at or before end, and end is at or after
 *     next;
 *   - buffered is the sum of REASM_SEG_OVERHEAD + len over the list, and is
 *     charged to the budget together with the history ring.
 * Everything is relative to next, so sequence numbers may wrap freely.
 */
#include "config.h"

#include "reasm.h"

#include <assert.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "decode/decode.h"

/* An out-of-order range, copied from its segment. */
struct rseg {
    struct rseg *prev, *next;   /* the list, in sequence order */
    struct rseg *left, *right;  /* the splay tree over the same ranges */
    uint64_t ts_ns;
    uint64_t pkt_index;
    uint32_t seq;
    uint32_t len;
    uint8_t data[];
};

_Static_assert(sizeof(struct rseg) <= REASM_SEG_OVERHEAD, "REASM_SEG_OVERHEAD too small");

enum rdir_state {
    D_OPEN = 1 << 0,            /* next is set */
    D_END = 1 << 1,             /* end is set: no data at or after it is accepted */
    D_FIN = 1 << 2,             /* end is a FIN not delivered yet */
    D_FIN_SENT = 1 << 3,
    D_RST_SENT = 1 << 4,
    D_SYN_ONLY = 1 << 5,        /* opened by a SYN, no data, FIN or RST since */
};

struct rdir {
    struct rseg *head, *tail;
    struct rseg *root;          /* of the splay tree */
    size_t buffered;            /* cost of the list */
    uint8_t *hist;              /* ring of o.history bytes, allocated at the first delivery */
    size_t hist_len;            /* valid bytes: the sequence numbers next - hist_len .. next - 1 */
    size_t hist_pos;            /* ring index of the byte at next */
    uint64_t end_ts, end_pkt;   /* of the FIN */
    uint32_t next;              /* sequence number of the next byte to deliver */
    uint32_t end;               /* with D_END */
    uint32_t state;             /* D_* */
    uint32_t pend;              /* flags for the next delivery (REASM_F_GAP) */
    uint64_t steps;             /* splay steps taken: the work of placing ranges */
};

struct reasm {
    struct rdir d[2];
    struct reasm_opts o;
    struct reasm_budget *budget;
    reasm_deliver_fn deliver;
    void *arg;
    struct reasm_stats st;
};

static const char *const reasm_anomaly_names[REASM_A_COUNT] = {
    [REASM_A_GAP] = "gap",
    [REASM_A_CAP] = "cap",
    [REASM_A_CONFLICT] = "conflict",
    [REASM_A_AFTER_END] = "after_end",
    [REASM_A_WINDOW] = "window",
};

/* ---- sequence numbers and memory ------------------------------------------------------- */

/* How far a is after b, modulo 2^32. */
static inline uint32_t seq_off(uint32_t a, uint32_t b)
{
    return a - b;
}

/* a is before b (RFC 1982 serial number comparison). */
static inline bool seq_lt(uint32_t a, uint32_t b)
{
    return (uint32_t)(a - b) >= 0x80000000u;
}

static bool budget_charge(struct reasm *r, size_t n)
{
    struct reasm_budget *b = r->budget;

    if (!b)
        return true;
    if (!reasm_budget_fits(b, n)) {
        b->refused++;
        return false;
    }
    b->used += n;
    return true;
}

static void budget_uncharge(struct reasm *r, size_t n)
{
    if (!r->budget)
        return;
    assert(n <= r->budget->used);
    r->budget->used -= n;
}

static size_t seg_cost(uint32_t len)
{
    return (size_t)REASM_SEG_OVERHEAD + len;
}

/* ---- the splay tree of ranges -------------------------------------------------------- */

/*
 * Top-down splay of d's tree (or subtree) t for offset off (from d->next): the range
 * starting at off, or else the one starting last before it or first after it, becomes
 * the root.
 */
static struct rseg *splay(struct rdir *d, struct rseg *t, uint32_t off)
{
    struct rseg *lroot = NULL, *rroot = NULL;   /* ranges before off, and after it */
    struct rseg **lhook = &lroot, **rhook = &rroot;
    const uint32_t next = d->next;

    if (!t)
        return NULL;
    for (;;) {
        uint32_t k = seq_off(t->seq, next);

        d->steps++;
        if (off < k) {
            if (t->left && off < seq_off(t->left->seq, next)) {
                struct rseg *y = t->left;       /* rotate right */

                t->left = y->right;
                y->right = t;
                t = y;
            }
            if (!t->left)
                break;
            *rhook = t;                         /* link right */
            rhook = &t->left;
            t = t->left;
        } else if (off > k) {
            if (t->right && off > seq_off(t->right->seq, next)) {
                struct rseg *y = t->right;      /* rotate left */

                t->right = y->left;
                y->left = t;
                t = y;
            }
            if (!t->right)
                break;
            *lhook = t;                         /* link left */
            lhook = &t->right;
            t = t->right;
        } else {
            break;
        }
    }
    *lhook = t->left;
    *rhook = t->right;
    t->left = lroot;
    t->right = rroot;
    return t;
}

/* Adds g (not in the tree, its start not one of the tree's) at the root. */
static void tree_insert(struct rdir *d, struct rseg *g)
{
    uint32_t k = seq_off(g->seq, d->next);
    struct rseg *t = splay(d, d->root, k);

    g->left = g->right = NULL;
    if (t && k < seq_off(t->seq, d->next)) {
        g->left = t->left;
        g->right = t;
        t->left = NULL;
    } else if (t) {
        g->right = t->right;
        g->left = t;
        t->right = NULL;
    }
    d->root = g;
}

static void tree_remove(struct rdir *d, struct rseg *g)
{
    uint32_t k = seq_off(g->seq, d->next);
    struct rseg *t = splay(d, d->root, k);

    assert(t == g);
    if (!t->left) {
        d->root = t->right;
        return;
    }
    d->root = splay(d, t->left, k);   /* the last range before g: no right child */
    d->root->right = t->right;
}

/* ---- the list ------------------------------------------------------------------------ */

static void seg_unlink(struct rdir *d, struct rseg *g)
{
    tree_remove(d, g);
    if (g->prev)
        g->prev->next = g->next;
    else
        d->head = g->next;
    if (g->next)
        g->next->prev = g->prev;
    else
        d->tail = g->prev;
}

static void seg_free(struct reasm *r, struct rdir *d, struct rseg *g)
{
    size_t cost = seg_cost(g->len);

    assert(cost <= d->buffered);
    d->buffered -= cost;
    budget_uncharge(r, cost);
    free(g);
}

static void hist_release(struct reasm *r, struct rdir *d)
{
    if (!d->hist)
        return;
    free(d->hist);
    d->hist = NULL;
    d->hist_len = 0;
    d->hist_pos = 0;
    budget_uncharge(r, r->o.history);
}

static void dir_release(struct reasm *r, struct rdir *d)
{
    d->root = NULL;                         /* every range goes: the list is enough */
    while (d->head) {
        struct rseg *g = d->head;

        d->head = g->next;
        seg_free(r, d, g);
    }
    d->tail = NULL;
    hist_release(r, d);
}

/* ---- history of delivered bytes ------------------------------------------------------- */

static void hist_push(struct reasm *r, struct rdir *d, const uint8_t *p, uint32_t n)
{
    size_t cap = r->o.history;
    size_t first;

    if (!cap || !n)
        return;
    if (!d->hist) {
        /*
         * Lazily, and silently without: history only adds conflict checks, so it
         * never takes more than half the budget (the rest stays for out-of-order data).
         */
        if (r->budget && (r->budget->used > r->budget->limit / 2 ||
                          cap > r->budget->limit / 2 - r->budget->used))
            return;
        d->hist = malloc(cap);
        if (!d->hist)
            return;
        if (r->budget)
            r->budget->used += cap;
        d->hist_len = 0;
        d->hist_pos = 0;
    }
    if (n >= cap) {
        memcpy(d->hist, p + (n - cap), cap);
        d->hist_pos = 0;
        d->hist_len = cap;
        return;
    }
    first = cap - d->hist_pos < n ? cap - d->hist_pos : n;
    memcpy(d->hist + d->hist_pos, p, first);
    memcpy(d->hist, p + first, n - first);
    d->hist_pos = (d->hist_pos + n) % cap;
    d->hist_len = d->hist_len + n < cap ? d->hist_len + n : cap;
}

/* Do the n bytes at seq (all before next) differ from delivered bytes still in the history? */
static bool hist_differs(const struct reasm *r, const struct rdir *d, uint32_t seq,
                         const uint8_t *p, uint32_t n)
{
    size_t cap = r->o.history;
    uint32_t back = seq_off(d->next, seq);  /* distance of p[0] from next, > 0 */
    uint32_t i = 0;

    if (!d->hist || !d->hist_len)
        return false;
    if (back > d->hist_len)
        i = back - (uint32_t)d->hist_len;   /* older bytes are gone */
    for (; i < n; i++) {
        size_t k = back - i;                /* 1 ..hist_len */
        size_t at = (d->hist_pos + cap - k) % cap;

        if (d->hist[at] != p[i])
            return true;
    }
    return false;
}

/* ---- delivery ------------------------------------------------------------------------ */

static void deliver_event(struct reasm *r, int dir, uint32_t flag, uint64_t ts, uint64_t pkt)
{
    struct rdir *d = &r->d[dir];
    uint32_t fl = d->pend | flag;

    d->pend = 0;
    r->deliver(r->arg, dir, NULL, 0, ts, pkt, fl);
}

/* Delivers the FIN once next reached it. */
static void check_fin(struct reasm *r, int dir)
{
    struct rdir *d = &r->d[dir];

    if (!(d->state & D_FIN) || d->next != d->end)
        return;
    d->state &= ~(uint32_t)D_FIN;
    d->state |= D_FIN_SENT;
    hist_release(r, d);                     /* nothing is delivered after the end */
    deliver_event(r, dir, REASM_F_FIN, d->end_ts, d->end_pkt);
}

/* Delivers n bytes at next. */
static void emit(struct reasm *r, int dir, const uint8_t *p, uint32_t n, uint64_t ts, uint64_t pkt)
{
    struct rdir *d = &r->d[dir];
    uint32_t fl = d->pend;

    assert(n > 0);
    d->pend = 0;
    r->deliver(r->arg, dir, p, n, ts, pkt, fl);
    hist_push(r, d, p, n);
    d->next += n;
    r->st.delivered[dir] += n;
    check_fin(r, dir);
}

/* Delivers the ranges that start at next. */
static void drain(struct reasm *r, int dir)
{
    struct rdir *d = &r->d[dir];

    while (d->head && d->head->seq == d->next) {
        struct rseg *g = d->head;

        seg_unlink(d, g);
        emit(r, dir, g->data, g->len, g->ts_ns, g->pkt_index);
        seg_free(r, d, g);
    }
}

/* Gives up the bytes from next to seq (after next): the next delivery has REASM_F_GAP. */
static void skip_to(struct reasm *r, int dir, uint32_t seq)
{
    struct rdir *d = &r->d[dir];
    uint32_t gap = seq_off(seq, d->next);

    assert(gap > 0 && gap < 0x80000000u);
    r->st.anomalies[REASM_A_GAP]++;
    r->st.gap_bytes[dir] += gap;
    d->pend |= REASM_F_GAP;
    d->next = seq;
    d->hist_len = 0;                        /* the history must stay contiguous */
}

/* Delivers everything buffered, skipping holes, then a FIN beyond a hole. */
static void finish_dir(struct reasm *r, int dir)
{
    struct rdir *d = &r->d[dir];

    while (d->head) {
        if (d->head->seq != d->next)
            skip_to(r, dir, d->head->seq);
        drain(r, dir);
    }
    if ((d->state & D_FIN) && d->next != d->end) {
        skip_to(r, dir, d->end);
        check_fin(r, dir);
    }
}

/* ---- buffering ----------------------------------------------------------------------- */

/* The first range that ends after offset off (from next), or NULL. */
static struct rseg *first_ending_after(struct rdir *d, uint32_t off)
{
    struct rseg *g;

    if (!d->tail || seq_off(d->tail->seq, d->next) + d->tail->len <= off)
        return NULL;                        /* the common case: past the last range */
    d->root = g = splay(d, d->root, off);
    if (seq_off(g->seq, d->next) <= off)    /* the last range starting at or before off */
        return seq_off(g->seq, d->next) + g->len > off ? g : g->next;
    /* the first range starting after off; the one before it may still reach past off */
    return g->prev && seq_off(g->prev->seq, d->next) + g->prev->len > off ? g->prev : g;
}

/* Copies n bytes at seq into a new range before `before` (NULL: at the tail); false at a cap. */
static bool buffer_range(struct reasm *r, int dir, struct rseg *before, uint32_t seq,
                         const uint8_t *p, uint32_t n, uint64_t ts, uint64_t pkt)
{
    struct rdir *d = &r->d[dir];
    size_t cost = seg_cost(n);
    struct rseg *g;

    if (cost > r->o.flow_cap || d->buffered > r->o.flow_cap - cost)
        return false;
    if (!budget_charge(r, cost))
        return false;
    g = malloc(sizeof *g + n);
    if (!g) {
        budget_uncharge(r, cost);
        return false;
    }
    g->seq = seq;
    g->len = n;
    g->ts_ns = ts;
    g->pkt_index = pkt;
    memcpy(g->data, p, n);
    g->next = before;
    g->prev = before ? before->prev : d->tail;
    if (g->prev)
        g->prev->next = g;
    else
        d->head = g;
    if (before)
        before->prev = g;
    else
        d->tail = g;
    tree_insert(d, g);
    d->buffered += cost;
    return true;
}

/* Do the n bytes at seq (at or after next) differ from buffered copies? Counts them as dups. */
static bool buffered_differs(struct reasm *r, int dir, uint32_t seq, const uint8_t *p, uint32_t n)
{
    struct rdir *d = &r->d[dir];
    uint32_t off = seq_off(seq, d->next);
    uint32_t end = off + n;
    bool differs = false;
    struct rseg *g;

    for (g = first_ending_after(d, off); g; g = g->next) {
        uint32_t go = seq_off(g->seq, d->next);
        uint32_t ge = go + g->len;
        uint32_t lo, hi;

        if (go >= end)
            break;
        lo = go > off ? go : off;
        hi = ge < end ? ge : end;
        if (memcmp(p + (lo - off), g->data + (lo - go), hi - lo) != 0)
            differs = true;
        r->st.dup_bytes[dir] += hi - lo;
    }
    return differs;
}

/*
 * Places n new bytes at seq (at or after next, before the end): the pieces not
 * covered by buffered ranges are delivered at once when at next (straight from p)
 * or buffered; a piece that cannot be buffered skips the first hole and is retried.
 */
static void place(struct reasm *r, int dir, uint32_t seq, const uint8_t *p, uint32_t n,
                  uint64_t ts, uint64_t pkt)
{
    struct rdir *d = &r->d[dir];
    uint32_t cur = seq;
    uint32_t stop = seq + n;

    while (cur != stop) {
        uint32_t off, stop_off, piece_off, pn;
        struct rseg *g;

        if (seq_lt(cur, d->next)) {         /* delivered meanwhile (and compared before) */
            if (!seq_lt(d->next, stop))
                break;
            cur = d->next;
        }
        off = seq_off(cur, d->next);
        stop_off = seq_off(stop, d->next);
        g = first_ending_after(d, off);
        if (g && seq_off(g->seq, d->next) <= off) {     /* a copy is buffered: it wins */
            uint32_t ge = seq_off(g->seq, d->next) + g->len;

            cur = ge < stop_off ? g->seq + g->len : stop;
            continue;
        }
        piece_off = g && seq_off(g->seq, d->next) < stop_off ? seq_off(g->seq, d->next) : stop_off;
        pn = piece_off - off;
        if (off == 0) {
            emit(r, dir, p + seq_off(cur, seq), pn, ts, pkt);
            drain(r, dir);
            cur += pn;
            continue;
        }
        if (buffer_range(r, dir, g, cur, p + seq_off(cur, seq), pn, ts, pkt)) {
            cur += pn;
            continue;
        }
        /* Over a cap: give up the first hole (never grow past the cap), then retry. */
        r->st.anomalies[REASM_A_CAP]++;
        if (d->head && seq_off(d->head->seq, d->next) < off) {
            skip_to(r, dir, d->head->seq);
            drain(r, dir);
        } else {
            skip_to(r, dir, cur);           /* the piece itself is delivered next */
        }
    }
}

/* ---- segments ------------------------------------------------------------------------ */

/* Records where the direction ends (a FIN at end); the first end wins. */
static void set_fin(struct reasm *r, int dir, uint32_t end, uint64_t ts, uint64_t pkt)
{
    struct rdir *d = &r->d[dir];
    bool cut = false;

    if (d->state & D_END) {
        if (end != d->end)
            r->st.anomalies[REASM_A_CONFLICT]++;
        return;
    }
    if (seq_lt(end, d->next)) {             /* bytes past this FIN were delivered already */
        r->st.anomalies[REASM_A_CONFLICT]++;
        end = d->next;
    }
    d->end = end;
    d->end_ts = ts;
    d->end_pkt = pkt;
    d->state |= D_END | D_FIN;
    /* Buffered bytes at or past the FIN are dropped. */
    while (d->tail && seq_off(d->tail->seq, d->next) + d->tail->len > seq_off(end, d->next)) {
        struct rseg *g = d->tail;
        uint32_t keep = seq_off(end, d->next) > seq_off(g->seq, d->next) ?
                            seq_off(end, g->seq) : 0;

        cut = true;
        r->st.dropped_bytes[dir] += g->len - keep;
        if (keep == 0) {
            seg_unlink(d, g);
            seg_free(r, d, g);
            continue;
        }
        d->buffered -= g->len - keep;       /* the allocation stays; its cost shrinks */
        budget_uncharge(r, g->len - keep);
        g->len = keep;
        break;
    }
    if (cut)
        r->st.anomalies[REASM_A_AFTER_END]++;
    check_fin(r, dir);
}

static void on_rst(struct reasm *r, int dir, uint64_t ts, uint64_t pkt)
{
    struct rdir *d = &r->d[dir];

    if (d->state & D_RST_SENT)
        return;
    if (d->state & D_OPEN) {
        finish_dir(r, dir);
        d->state &= ~(uint32_t)D_FIN;
        d->end = d->next;
        d->state |= D_END;
    }
    d->state |= D_RST_SENT;
    hist_release(r, d);
    deliver_event(r, dir, REASM_F_RST, ts, pkt);
}

static void on_data(struct reasm *r, int dir, uint32_t seq, const uint8_t *p, uint32_t n,
                    uint64_t ts, uint64_t pkt)
{
    struct rdir *d = &r->d[dir];
    bool conflict = false;

    if (seq_lt(seq, d->next)) {             /* starts in delivered bytes: a retransmission */
        uint32_t back = seq_off(d->next, seq);
        uint32_t old = back < n ? back : n;

        /* a keep-alive probe: one byte at next - 1, whatever it holds (RFC 9293 3.8.4) */
        if (n == 1 && back == 1) {
            r->st.dup_bytes[dir]++;
            return;
        }
        conflict = hist_differs(r, d, seq, p, old);
        r->st.dup_bytes[dir] += old;
        if (old == n)
            goto out_conflict;
        seq += old;
        p += old;
        n -= old;
    }
    if (d->state & D_END) {
        uint32_t lim = seq_off(d->end, d->next);
        uint32_t off = seq_off(seq, d->next);
        uint32_t past = off >= lim ? n : (n > lim - off ? n - (lim - off) : 0);

        if (past) {
            r->st.anomalies[REASM_A_AFTER_END]++;
            r->st.dropped_bytes[dir] += past;
            n -= past;
        }
        if (n == 0)
            goto out_conflict;
    }
    if (buffered_differs(r, dir, seq, p, n))
        conflict = true;
    place(r, dir, seq, p, n, ts, pkt);
out_conflict:
    if (conflict)
        r->st.anomalies[REASM_A_CONFLICT]++;
}

void reasm_segment(struct reasm *r, int dir, uint32_t seq, uint8_t tcp_flags,
                   const uint8_t *payload, size_t len, uint64_t ts_ns, uint64_t pkt_index)
{
    struct rdir *d;
    uint32_t n;
    bool bare_syn;              /* a SYN without data or FIN */

    assert(dir == 0 || dir == 1);
    dir &= 1;
    d = &r->d[dir];
    /* No packet comes near this; it keeps every offset below 2^31. */
    n = len > REASM_WINDOW ? REASM_WINDOW : (uint32_t)len;
    if (!payload)
        n = 0;
    bare_syn = (tcp_flags & DEC_TCP_SYN) && n == 0 && !(tcp_flags & DEC_TCP_FIN);
    if (tcp_flags & DEC_TCP_RST) {          /* its payload is diagnostic text, not stream data */
        d->state &= ~(uint32_t)D_SYN_ONLY;
        /* one REASM_WINDOW or more from next, either way, is not believed (RFC 5961 3.2) */
        if ((d->state & D_OPEN) &&
            (seq_lt(seq, d->next) ? seq_off(d->next, seq) : seq_off(seq, d->next)) >=
                REASM_WINDOW) {
            r->st.anomalies[REASM_A_WINDOW]++;
            return;
        }
        on_rst(r, dir, ts_ns, pkt_index);
        return;
    }
    if (tcp_flags & DEC_TCP_SYN) {
        seq++;                              /* the SYN occupies the ISN */
        /*
         * Sent again with another ISN before anything else (a SYN-ACK answering a
         * retransmitted SYN anew): the peer acknowledges the last one, so it starts there.
         */
        if ((d->state & D_SYN_ONLY) && bare_syn)
            d->next = seq;
    }
    if (n || (tcp_flags & DEC_TCP_FIN))
        d->state &= ~(uint32_t)D_SYN_ONLY;
    if (!(d->state & D_OPEN)) {
        if (d->state & D_RST_SENT) {
            if (n) {
                r->st.anomalies[REASM_A_AFTER_END]++;
                r->st.dropped_bytes[dir] += n;
            }
            return;
        }
        if (n == 0 && !(tcp_flags & (DEC_TCP_SYN | DEC_TCP_FIN)))
            return;                         /* a pure ACK does not start a direction */
        if (n == 1 && !(tcp_flags & (DEC_TCP_SYN | DEC_TCP_FIN | DEC_TCP_PSH))) {
            /* nor a keep-alive probe (one old byte, no PSH): the next byte is after it */
            r->st.dup_bytes[dir]++;
            return;
        }
        d->next = seq;
        d->state |= D_OPEN;
        if (bare_syn)
            d->state |= D_SYN_ONLY;
    }
    if (!seq_lt(seq, d->next) && seq_off(seq, d->next) >= REASM_WINDOW) {
        r->st.anomalies[REASM_A_WINDOW]++;  /* not believed: neither its data nor its FIN */
        r->st.dropped_bytes[dir] += n;
        return;
    }
    if (tcp_flags & DEC_TCP_FIN)
        set_fin(r, dir, seq + n, ts_ns, pkt_index);
    if (n)
        on_data(r, dir, seq, payload, n, ts_ns, pkt_index);
}

void reasm_ack(struct reasm *r, int dir, uint32_t ack)
{
    int other = (dir ^ 1) & 1;
    struct rdir *d = &r->d[other];

    /* an ACK REASM_WINDOW or more past next says nothing we can believe */
    while ((d->state & D_OPEN) && d->head && d->head->seq != d->next &&
           !seq_lt(ack, d->head->seq) && seq_off(ack, d->next) < REASM_WINDOW) {
        skip_to(r, other, d->head->seq);
        drain(r, other);
    }
}

/* ---- life cycle ---------------------------------------------------------------------- */

void reasm_budget_init(struct reasm_budget *b, size_t limit)
{
    b->limit = limit;
    b->used = 0;
    b->refused = 0;
}

void reasm_opts_default(struct reasm_opts *o)
{
    o->flow_cap = LIM_REASM_FLOW;
    o->history = LIM_REASM_HISTORY;
}

struct reasm *reasm_new(const struct reasm_opts *o, struct reasm_budget *budget,
                        reasm_deliver_fn deliver, void *arg)
{
    struct reasm *r = calloc(1, sizeof *r);

    assert(deliver);
    if (!r)
        return NULL;
    if (o)
        r->o = *o;
    else
        reasm_opts_default(&r->o);
    r->budget = budget;
    r->deliver = deliver;
    r->arg = arg;
    return r;
}

void reasm_free(struct reasm *r)
{
    if (!r)
        return;
    dir_release(r, &r->d[0]);
    dir_release(r, &r->d[1]);
    free(r);
}

void reasm_flush(struct reasm *r)
{
    for (int dir = 0; dir < 2; dir++) {
        finish_dir(r, dir);
        hist_release(r, &r->d[dir]);
    }
}

const struct reasm_stats *reasm_stats(const struct reasm *r)
{
    return &r->st;
}

uint64_t reasm_steps(const struct reasm *r, int dir)
{
    return r->d[dir].steps;
}

size_t reasm_buffered(const struct reasm *r, int dir)
{
    return r->d[dir & 1].buffered;
}

const char *reasm_anomaly_name(enum reasm_anomaly a)
{
    if ((unsigned)a >= REASM_A_COUNT)
        return "unknown";
    return reasm_anomaly_names[a];
}
