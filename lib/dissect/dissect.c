/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: the per-stream dissection driver: reassembly, detection,
 * carry-over buffers and byte times (see dissect.h; entries: emit.c).
 *
 * Life of a stream:
 *
 *   UNDECIDED --(a bid wins)--> ACTIVE --(dsx_abandon)--> ABANDONED
 *       |                          ^  \--(dsx_switch: h2c)--/
 *       \--(every bid NO, or DSX_BID_MAX bytes undecided)--> UNDISSECTED
 *
 * While undecided, delivered bytes are kept per direction (at most
 * DSX_BID_MAX each) together with the order in which they came; when a
 * dissector wins, that history is replayed to it as if live. ABANDONED and
 * UNDISSECTED streams stop reassembling (their bytes are no longer wanted);
 * an UNDISSECTED stream, or one abandoned before any entry, gets the L4
 * summary entry at its end.
 *
 * Byte times: every delivery of a direction appends a mark (absolute
 * offset in the direction's byte stream, time, packet number); dsx_ts and
 * dsx_pkt find the mark covering a byte by binary search. Marks before the
 * carry-over's first byte are pruned.
 *
 * Memory: the carry-over's allocation is charged to the bucket's budget
 * (the one reassembly draws on), so many streams that each keep a partial
 * message cannot add up past it: past the budget, or DSX_CARRY_MAX for one
 * direction, the kept bytes are dropped as a gap (ENT_A_CAP). An emptied
 * carry-over larger than CARRY_KEEP is freed. The marks of kept bytes are
 * charged too (one per delivery: tiny segments cost more in marks than in
 * bytes); past the budget the last mark takes new bytes (coarser times).
 */
#include "config.h"

#include "dissect/dissect_int.h"

#include <stdlib.h>
#include <string.h>

#include "decode/decode.h"
#include "reasm/reasm.h"

/* ------------------------------------------------------------ marks */

/* Marks a direction has without a charge to the budget (its first allocation). */
#define MARKS_FREE 8u
/* An allocation of more marks than this is given back when they are down to MARKS_FREE. */
#define MARKS_KEEP 64u

/* What an allocation of cap marks is charged to the bucket's budget. */
static size_t marks_cost(size_t cap)
{
    return cap > MARKS_FREE ? (cap - MARKS_FREE) * sizeof(struct mark) : 0;
}

/*
 * Marks the bytes from absolute offset off as brought by packet pkt at ts (stream: TCP).
 * One per delivery: many tiny segments kept in the carry-over take far more memory in marks
 * than in bytes, so marks are charged to the budget with the carry-over, and past it the
 * last mark takes the new bytes.
 */
static void add_mark(struct dsx *x, struct dirst *d, uint64_t off, uint64_t ts, uint32_t pkt,
                     bool stream)
{
    const struct mark *last = d->nmarks ? &d->marks[d->nmarks - 1] : NULL;
    uint64_t read_ts = ts;
    uint32_t read_pkt = pkt;
    struct mark *m;

    /* read: the latest in capture order, not by time (timestamps may go backwards) */
    if (stream && last && last->read_pkt > pkt) {
        read_ts = last->read_ts;
        read_pkt = last->read_pkt;
    }
    if (last && last->ts == ts && last->pkt == pkt)
        return;
    if (d->nmarks && d->marks[d->nmarks - 1].off == off) {
        m = &d->marks[d->nmarks - 1];
    } else {
        if (d->nmarks == d->capmarks) {
            size_t nc = d->capmarks ? d->capmarks * 2 : MARKS_FREE;
            size_t more = marks_cost(nc) - marks_cost(d->capmarks);
            struct reasm_budget *b = x->budget;
            struct mark *v = NULL;

            if (!more || reasm_budget_fits(b, more))
                v = realloc(d->marks, nc * sizeof *v);
            if (v) {
                d->marks = v;
                d->capmarks = nc;
                d->charged += more;
                if (b)
                    b->used += more;
            }
        }
        if (d->nmarks == d->capmarks && d->nmarks == 0)
            return;
        /* without room, the last mark takes these bytes: times get coarser, never wrong in
         * order */
        m = d->nmarks < d->capmarks ? &d->marks[d->nmarks++] : &d->marks[d->nmarks - 1];
    }
    m->off = off;
    m->ts = ts;
    m->pkt = pkt;
    m->read_ts = read_ts;
    m->read_pkt = read_pkt;
}

/* The mark covering absolute offset off (the last one at or before it). */
const struct mark *dsx_search_mark(const struct dirst *d, uint64_t off)
{
    size_t lo = 0, hi = d->nmarks;

    if (d->nmarks == 0)
        return NULL;
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;

        if (d->marks[mid].off <= off)
            lo = mid;
        else
            hi = mid;
    }
    return &d->marks[lo];
}

/* Drops marks wholly before absolute offset off. */
static void prune_marks(struct dirst *d, uint64_t off)
{
    size_t k = 0;

    while (k + 1 < d->nmarks && d->marks[k + 1].off <= off)
        k++;
    if (k == 0)
        return;
    memmove(d->marks, d->marks + k, (d->nmarks - k) * sizeof *d->marks);
    d->nmarks -= k;
}

uint64_t dsx_ts(const struct dsx *x, int dir, size_t off)
{
    const struct mark *m = dsx_find_mark(&x->d[dir & 1], dsx_abs_off(x, dir, off));

    return m ? m->ts : 0;
}

uint32_t dsx_pkt(const struct dsx *x, int dir, size_t off)
{
    const struct mark *m = dsx_find_mark(&x->d[dir & 1], dsx_abs_off(x, dir, off));

    return m ? m->pkt : 0;
}

void dsx_need(struct dsx *x, int dir, size_t total)
{
    x->d[dir & 1].need = total;
}

bool dsx_at_end(const struct dsx *x, int dir)
{
    return x->d[dir & 1].at_end;
}

bool dsx_dgram(const struct dsx *x)
{
    return x->si.l4 == 17;
}

size_t dsx_dgram_lost(const struct dsx *x)
{
    return x->dgram_lost;
}

uint16_t dsx_port(const struct dsx *x, int dir)
{
    int side = x->client_side < 0 ? dir : (dir == 0 ? x->client_side : 1 - x->client_side);

    return x->si.port[side & 1];
}

const char *dsx_protocol(const struct dsx *x)
{
    if (x->ops && x->state != ST_UNDISSECTED)
        return x->ops->name;
    if (x->state == ST_UNDISSECTED)
        return x->si.l4 == 17 ? "udp" : "tcp";
    return "";
}

/* ------------------------------------------------------------ driving */

static void stop_reasm(struct dsx *x)
{
    if (x->in_reasm) {
        x->ra_unwanted = true;
        return;
    }
    if (x->ra) {
        reasm_free(x->ra);
        x->ra = NULL;
    }
}

#define CARRY_KEEP (16u * 1024)

/* Brings the budget's charge for d's carry-over and marks in line with their allocations. */
static void carry_charge(struct dsx *x, struct dirst *d)
{
    size_t now;

    if (d->carry.len == 0 && d->carry.cap > CARRY_KEEP)
        buf_release(&d->carry);
    if (d->nmarks <= MARKS_FREE && d->capmarks > MARKS_KEEP) {
        struct mark *v = realloc(d->marks, MARKS_FREE * sizeof *v);

        if (v) {
            d->marks = v;
            d->capmarks = MARKS_FREE;
        }
    }
    now = d->carry.cap + marks_cost(d->capmarks);
    if (x->budget)
        x->budget->used = x->budget->used - d->charged + now;
    d->charged = now;
}

static void release_dirs(struct dsx *x)
{
    for (int i = 0; i < 2; i++) {
        buf_release(&x->d[i].carry);
        free(x->d[i].marks);
        x->d[i].marks = NULL;
        x->d[i].nmarks = x->d[i].capmarks = 0;
        carry_charge(x, &x->d[i]);
        buf_release(&x->d[i].bid);
    }
    free(x->hist);
    x->hist = NULL;
    x->nhist = x->caphist = 0;
}

static void close_dissector(struct dsx *x)
{
    if (!x->ops || !x->st)
        return;
    if (x->ops->end)
        x->ops->end(x->st, x, -1);
    if (x->ops->fini)
        x->ops->fini(x->st);
    free(x->st);
    x->st = NULL;
}

void dsx_abandon(struct dsx *x)
{
    if (x->state == ST_ACTIVE)
        x->state = ST_ABANDONED;
}

void dsx_switch(struct dsx *x, const struct dsx_ops *to, const void *hint, size_t hint_len)
{
    free(x->hint);
    x->hint = NULL;
    x->hint_len = 0;
    if (hint && hint_len) {
        x->hint = malloc(hint_len);
        if (!x->hint) {
            dsx_abandon(x);
            return;
        }
        memcpy(x->hint, hint, hint_len);
        x->hint_len = hint_len;
    }
    x->switch_to = to;
}

static bool start_dissector(struct dsx *x, const struct dsx_ops *ops, const void *hint)
{
    x->ops = ops;
    x->st = calloc(1, ops->state_size ? ops->state_size : 1);
    if (!x->st) {
        x->state = ST_ABANDONED;
        return false;
    }
    x->state = ST_ACTIVE;
    if (ops->init)
        ops->init(x->st, x, hint);
    return true;
}

/* After the dissector gave up: nothing more to parse. */
static void wind_down(struct dsx *x)
{
    stop_reasm(x);
    for (int i = 0; i < 2; i++) {
        buf_release(&x->d[i].carry);
        x->d[i].nmarks = 0;
        carry_charge(x, &x->d[i]);
    }
}

static void parse_dir(struct dsx *x, int dir);

static void do_switch(struct dsx *x)
{
    const struct dsx_ops *to = x->switch_to;

    x->switch_to = NULL;
    close_dissector(x);
    if (!start_dissector(x, to, x->hint)) {
        dsx_settle_hand_over(x);
        wind_down(x);
        return;
    }
    dsx_settle_hand_over(x);    /* a place the new dissector's first entry did not take */
    free(x->hint);
    x->hint = NULL;
    for (int i = 0; i < 2; i++) {
        x->d[i].need = 0;
        parse_dir(x, i);
    }
}

/* Calls parse over carry[dir] while it makes progress. */
static void parse_dir(struct dsx *x, int dir)
{
    struct dirst *d = &x->d[dir];

    while (x->state == ST_ACTIVE && d->carry.len > 0 && d->carry.len >= d->need) {
        size_t used;

        d->need = 0;
        d->cur_base = d->carry_off;
        d->cur_n = d->carry.len;
        used = x->ops->parse(x->st, x, dir, d->carry.data, d->carry.len);
        if (used > d->carry.len)
            used = d->carry.len;
        if (used) {
            memmove(d->carry.data, d->carry.data + used, d->carry.len - used);
            d->carry.len -= used;
            d->carry_off += used;
            prune_marks(d, d->carry_off);
            carry_charge(x, d);
        }
        if (x->switch_to) {
            do_switch(x);
            return;
        }
        if (used == 0)
            break;
    }
    if (x->state != ST_ACTIVE)
        wind_down(x);
}

static void on_gap(struct dsx *x, int dir, uint64_t n)
{
    struct dirst *d = &x->d[dir];
    uint64_t lost = n + d->carry.len;

    d->carry_off += lost;
    d->next_off += n;
    buf_reset(&d->carry);
    carry_charge(x, d);
    d->need = 0;
    if (!x->ops->gap) {
        dsx_abandon(x);
        wind_down(x);
        return;
    }
    x->ops->gap(x->st, x, dir, lost);
    if (x->switch_to)
        do_switch(x);
    else if (x->state != ST_ACTIVE)
        wind_down(x);
}

/* Keeps p/n after the carry-over, or reports a cap hit as a gap. */
static void keep(struct dsx *x, int dir, const uint8_t *p, size_t n)
{
    struct dirst *d = &x->d[dir];
    size_t want = d->carry.len + n;
    /* the allocation is charged: what growing (by doubling) would take, not just want */
    size_t grow = want > d->carry.cap && want <= DSX_CARRY_MAX ?
                      buf_grown_cap(&d->carry, want) - d->carry.cap : 0;
    bool over_budget = grow && !reasm_budget_fits(x->budget, grow);

    if (want > DSX_CARRY_MAX || over_budget) {
        /* more than we keep (for this stream, or in this bucket): count it, go on after a gap */
        uint64_t lost = d->carry.len + n;

        if (over_budget)
            x->budget->refused++;
        x->pending_anoms |= ENT_A_CAP;
        buf_reset(&d->carry);
        carry_charge(x, d);
        d->carry_off += lost;
        d->need = 0;
        prune_marks(d, d->carry_off);
        if (!x->ops->gap) {
            dsx_abandon(x);
        } else {
            x->ops->gap(x->st, x, dir, lost);
        }
        return;
    }
    if (buf_append(&d->carry, p, n) < 0)
        dsx_abandon(x);
    carry_charge(x, d);
}

static void on_data(struct dsx *x, int dir, const uint8_t *p, size_t n, uint64_t ts, uint32_t pkt)
{
    struct dirst *d = &x->d[dir];
    size_t used = 0;

    add_mark(x, d, d->next_off, ts, pkt, x->si.l4 == 6);
    d->next_off += n;
    if (x->si.l4 == 17) {
        /* a datagram is parsed whole, never carried over */
        d->cur_base = d->carry_off;
        d->cur_n = n;
        (void)x->ops->parse(x->st, x, dir, p, n);
        d->carry_off += n;
        prune_marks(d, d->carry_off);
        if (x->switch_to)
            do_switch(x);
        else if (x->state != ST_ACTIVE)
            wind_down(x);
        return;
    }
    if (d->carry.len == 0 && n >= d->need) {
        /* the common case: parse straight from the packet, keep only the rest */
        d->need = 0;
        d->cur_base = d->carry_off;
        d->cur_n = n;
        used = x->ops->parse(x->st, x, dir, p, n);
        if (used > n)
            used = n;
        d->carry_off += used;
        p += used;
        n -= used;
        prune_marks(d, d->carry_off);
        if (n && x->state == ST_ACTIVE)
            keep(x, dir, p, n);
        if (x->switch_to) {
            do_switch(x);
            return;
        }
        if (x->state == ST_ACTIVE && used && d->carry.len && d->carry.len >= d->need)
            parse_dir(x, dir);
        else if (x->state != ST_ACTIVE)
            wind_down(x);
        return;
    }
    keep(x, dir, p, n);
    if (x->switch_to)
        do_switch(x);
    else if (x->state == ST_ACTIVE)
        parse_dir(x, dir);
    else
        wind_down(x);
}

/* The direction ends: the bytes left unconsumed go to parse once more (dsx_ops.parse_rest). */
static void parse_rest(struct dsx *x, int dir)
{
    struct dirst *d = &x->d[dir];

    if (x->state != ST_ACTIVE || !x->ops->parse_rest || d->at_end || d->carry.len == 0)
        return;
    d->at_end = true;
    d->need = 0;
    parse_dir(x, dir);
}

static void on_fin(struct dsx *x, int dir)
{
    if (x->d[dir].fin)
        return;
    x->d[dir].fin = true;
    parse_rest(x, dir);
    if (x->state != ST_ACTIVE || !x->ops->end)
        return;
    x->ops->end(x->st, x, dir);
    if (x->switch_to)
        do_switch(x);
    else if (x->state != ST_ACTIVE)
        wind_down(x);
}

/* ------------------------------------------------------------ detection */

static bool port_match(const struct dsx_ops *ops, const struct dsx *x)
{
    if (!ops->ports)
        return false;
    for (const uint16_t *p = ops->ports; *p; p++) {
        if (*p == x->si.port[0] || *p == x->si.port[1])
            return true;
    }
    return false;
}

/*
 * Runs the bids over what each direction has; returns the winner, or NULL
 * with *wait set when some dissector wants more bytes.
 */
static const struct dsx_ops *bid_on(struct dsx *x, const uint8_t *const p[2],
                                     const size_t n[2], bool final, bool *wait)
{
    const struct dsx_ops *best = NULL;
    int best_score = DSX_NO;
    bool best_port = false;
    uint32_t l4 = x->si.l4 == 17 ? DSX_UDP : DSX_TCP;

    *wait = false;
    for (size_t i = 0; i < dsx_registry_len; i++) {
        const struct dsx_ops *ops = dsx_registry[i];
        int score = DSX_NO;

        if (!(ops->l4 & l4) || !ops->bid)
            continue;
        for (int dir = 0; dir < 2; dir++) {
            int s;

            if (n[dir] == 0)
                continue;
            s = (int)ops->bid(p[dir], n[dir] < DSX_BID_MAX ? n[dir] : DSX_BID_MAX, dir,
                              x->si.l4 == 17);
            if (s > score)
                score = s;
        }
        /* a datagram cut by the snaplen has no more to offer: what it shows is plausible */
        if (score == DSX_MORE && x->si.l4 == 17 && x->dgram_lost > 0)
            score = DSX_WEAK;
        if (score == DSX_MORE) {
            if (!final && x->si.l4 != 17)
                *wait = true;
            continue;
        }
        if (score < DSX_WEAK)
            continue;
        if (score > best_score || (score == best_score && !best_port && port_match(ops, x))) {
            best = ops;
            best_score = score;
            best_port = port_match(ops, x);
        }
    }
    if (best_score == DSX_STRONG)
        *wait = false;
    return *wait ? NULL : best;
}

/* The bids over what each direction has buffered. */
static const struct dsx_ops *run_bids(struct dsx *x, bool final, bool *wait)
{
    const uint8_t *p[2] = { x->d[0].bid.data, x->d[1].bid.data };
    size_t n[2] = { x->d[0].bid.len, x->d[1].bid.len };

    return bid_on(x, p, n, final, wait);
}

static void replay(struct dsx *x)
{
    struct hist *h = x->hist;
    size_t nh = x->nhist;
    struct buf bid[2] = { x->d[0].bid, x->d[1].bid };

    x->hist = NULL;
    x->nhist = x->caphist = 0;
    for (int i = 0; i < 2; i++) {
        buf_init(&x->d[i].bid, 0);
        x->d[i].next_off = 0;
        x->d[i].carry_off = 0;
        x->d[i].nmarks = 0;
    }
    for (size_t i = 0; i < nh && x->state == ST_ACTIVE; i++) {
        if (h[i].kind == H_DATA)
            on_data(x, h[i].dir, bid[h[i].dir].data + h[i].off, h[i].len, h[i].ts, h[i].pkt);
        else if (h[i].kind == H_GAP)
            on_gap(x, h[i].dir, h[i].off);
        else
            on_fin(x, h[i].dir);
    }
    free(h);
    buf_release(&bid[0]);
    buf_release(&bid[1]);
}

static void decide(struct dsx *x, bool final)
{
    bool wait;
    const struct dsx_ops *ops = run_bids(x, final, &wait);

    if (ops) {
        if (start_dissector(x, ops, NULL))
            replay(x);
        else
            wind_down(x);
        return;
    }
    if (wait)
        return;
    if (!final && (x->d[0].bid.len == 0 || x->d[1].bid.len == 0) &&
        x->d[0].bid.len < DSX_BID_MAX && x->d[1].bid.len < DSX_BID_MAX && x->si.l4 != 17)
        return;         /* the other direction may still tell */
    x->state = ST_UNDISSECTED;
    stop_reasm(x);
    release_dirs(x);
}

static bool hist_add(struct dsx *x, int dir, int kind, uint64_t off, size_t len, uint64_t ts,
                     uint32_t pkt)
{
    if (x->nhist == x->caphist) {
        size_t nc = x->caphist ? x->caphist * 2 : 8;
        struct hist *h = realloc(x->hist, nc * sizeof *h);

        if (!h)
            return false;
        x->hist = h;
        x->caphist = nc;
    }
    x->hist[x->nhist++] = (struct hist){ (uint8_t)dir, (uint8_t)kind, pkt, off, (uint32_t)len, ts };
    return true;
}

static void undecided_data(struct dsx *x, int dir, const uint8_t *p, size_t n, uint64_t ts,
                           uint32_t pkt)
{
    struct dirst *d = &x->d[dir];
    size_t room = d->bid.len < DSX_BID_MAX ? DSX_BID_MAX - d->bid.len : 0;
    size_t take = n < room ? n : room;

    if (x->si.l4 == 17) {
        /* a datagram is whole: the first one decides, nothing to buffer or replay */
        const uint8_t *dp[2] = { NULL, NULL };
        size_t dn[2] = { 0, 0 };
        const struct dsx_ops *ops;
        bool wait;

        dp[dir] = p;
        dn[dir] = n;
        ops = n ? bid_on(x, dp, dn, true, &wait) : NULL;
        if (n == 0)
            return;             /* an empty datagram tells nothing */
        if (ops && start_dissector(x, ops, NULL)) {
            on_data(x, dir, p, n, ts, pkt);
            return;
        }
        x->state = ST_UNDISSECTED;
        release_dirs(x);
        return;
    }
    if (take && (!hist_add(x, dir, H_DATA, d->bid.len, take, ts, pkt) ||
                 buf_append(&d->bid, p, take) < 0)) {
        x->state = ST_UNDISSECTED;
        stop_reasm(x);
        release_dirs(x);
        return;
    }
    decide(x, d->bid.len >= DSX_BID_MAX);
    /* what did not fit the detection buffer goes on to the winner, if one was chosen */
    if (take < n && x->state == ST_ACTIVE)
        on_data(x, dir, p + take, n - take, ts, pkt);
}

/* ------------------------------------------------------------ input */

static void deliver(struct dsx *x, int dir, const uint8_t *p, size_t n, uint64_t ts, uint32_t pkt)
{
    if (x->state == ST_UNDECIDED)
        undecided_data(x, dir, p, n, ts, pkt);
    else if (x->state == ST_ACTIVE)
        on_data(x, dir, p, n, ts, pkt);
}

static void deliver_gap(struct dsx *x, int dir, uint64_t n)
{
    if (x->state == ST_UNDECIDED) {
        if (!hist_add(x, dir, H_GAP, n, 0, 0, 0)) {
            x->state = ST_UNDISSECTED;
            stop_reasm(x);
            release_dirs(x);
        }
    } else if (x->state == ST_ACTIVE) {
        on_gap(x, dir, n);
    }
}

static void deliver_fin(struct dsx *x, int dir)
{
    if (x->state == ST_UNDECIDED) {
        if (!hist_add(x, dir, H_FIN, 0, 0, 0, 0)) {
            x->state = ST_UNDISSECTED;
            stop_reasm(x);
            release_dirs(x);
        }
    } else if (x->state == ST_ACTIVE) {
        on_fin(x, dir);
    }
}

/* Reassembly's new conflicts and cap hits become stream events for the next entry emitted. */
static void take_reasm_anoms(struct dsx *x)
{
    const struct reasm_stats *rs = reasm_stats(x->ra);

    if (rs->anomalies[REASM_A_CONFLICT] != x->reasm_conflicts) {
        x->reasm_conflicts = rs->anomalies[REASM_A_CONFLICT];
        x->pending_anoms |= ENT_A_CONFLICT;
    }
    if (rs->anomalies[REASM_A_CAP] != x->reasm_caps) {
        x->reasm_caps = rs->anomalies[REASM_A_CAP];
        x->pending_anoms |= ENT_A_CAP;
    }
}

static void reasm_cb(void *arg, int dir, const uint8_t *p, size_t n, uint64_t ts_ns,
                     uint64_t pkt_index, uint32_t flags)
{
    struct dsx *x = arg;
    const struct reasm_stats *rs = reasm_stats(x->ra);

    take_reasm_anoms(x);
    if (flags & REASM_F_GAP) {
        uint64_t g = rs->gap_bytes[dir] - x->d[dir].seen_gap;

        x->d[dir].seen_gap = rs->gap_bytes[dir];
        deliver_gap(x, dir, g);
    }
    if (n)
        deliver(x, dir, p, n, ts_ns, (uint32_t)pkt_index);
    if (flags & (REASM_F_FIN | REASM_F_RST))
        deliver_fin(x, dir);
}

struct dsx *dsx_new(const struct dsx_stream_info *si, const struct dsx_opts *o,
                    struct reasm_budget *budget, struct dsx_sink *sink)
{
    struct dsx *x = calloc(1, sizeof *x);

    if (!x)
        return NULL;
    x->si = *si;
    x->o = *o;
    x->sink = sink;
    x->budget = budget;
    x->client_side = si->client_side == 0 || si->client_side == 1 ? si->client_side : -1;
    buf_init(&x->hold, SIZE_MAX);
    for (int i = 0; i < 2; i++) {
        buf_init(&x->d[i].carry, DSX_CARRY_MAX);
        buf_init(&x->d[i].bid, DSX_BID_MAX);
    }
    if (o->force)
        (void)start_dissector(x, o->force, NULL);
    return x;
}

static int dir_of(struct dsx *x, int side, uint8_t tcp_flags)
{
    if (x->client_side < 0) {
        const uint8_t synack = DEC_TCP_SYN | DEC_TCP_ACK;

        if (x->si.l4 == 6 && (tcp_flags & synack) == synack)
            x->client_side = 1 - side;
        else
            x->client_side = side;
    }
    return side == x->client_side ? 0 : 1;
}

/*
 * Counts a packet of dir and its bytes. A packet counts once: one that
 * comes again (the first fragment of a datagram never reassembled, whose
 * bytes are dissected at the stream's end) adds its bytes only. Packets
 * come in capture order, so "again" is "not after the last one".
 */
static void count_packet(struct dsx *x, int dir, size_t len, uint64_t ts, uint32_t pkt)
{
    struct dirst *d = &x->d[dir];

    d->bytes += len;
    if (d->pkts > 0 && pkt <= d->last_pkt)
        return;
    if (d->pkts++ == 0) {
        d->first_ns = ts;
        d->first_pkt = pkt;
    }
    d->last_ns = ts;
    d->last_pkt = pkt;
    if (pkt > x->last_pkt)
        x->last_pkt = pkt;
}

void dsx_packet(struct dsx *x, int side, uint32_t seq, uint8_t tcp_flags, const uint8_t *payload,
                size_t len, uint64_t ts_ns, uint32_t pkt)
{
    int dir = dir_of(x, side, tcp_flags);

    count_packet(x, dir, len, ts_ns, pkt);
    if (x->state != ST_UNDECIDED && x->state != ST_ACTIVE)
        return;
    if (x->si.l4 == 17) {
        deliver(x, dir, payload, len, ts_ns, pkt);
        return;
    }
    if ((len == 0 || !payload) && !(tcp_flags & (DEC_TCP_SYN | DEC_TCP_FIN | DEC_TCP_RST)))
        return;                 /* a pure ACK: nothing for reassembly */
    if (!x->ra) {
        x->ra = reasm_new(NULL, x->budget, reasm_cb, x);
        if (!x->ra) {
            dsx_abandon(x);
            if (x->state == ST_UNDECIDED)
                x->state = ST_UNDISSECTED;
            return;
        }
    }
    x->in_reasm = true;
    reasm_segment(x->ra, dir, seq, tcp_flags, payload, len, ts_ns, pkt);
    x->in_reasm = false;
    if (x->ra_unwanted)
        stop_reasm(x);
}

void dsx_ack(struct dsx *x, int side, uint8_t tcp_flags, uint32_t ack, size_t len)
{
    /* without reassembly yet, no hole; the side's direction is known once there is */
    if (!x->ra || len == 0 || !(tcp_flags & DEC_TCP_ACK) || (tcp_flags & DEC_TCP_RST) ||
        (x->state != ST_UNDECIDED && x->state != ST_ACTIVE))
        return;
    x->in_reasm = true;
    reasm_ack(x->ra, dir_of(x, side, tcp_flags), ack);
    x->in_reasm = false;
    if (x->ra_unwanted)
        stop_reasm(x);
}

void dsx_datagram(struct dsx *x, int side, const uint8_t *payload, size_t len, size_t wire,
                  uint64_t ts_ns, uint32_t pkt)
{
    x->dgram_len = len;
    x->dgram_lost = wire > len ? wire - len : 0;
    dsx_packet(x, side, 0, 0, payload, len, ts_ns, pkt);
    x->dgram_len = x->dgram_lost = 0;
}

bool dsx_undissected(const struct dsx *x)
{
    return x->undissected;
}

int dsx_side_of(const struct dsx *x, const uint8_t src[16])
{
    return memcmp(src, x->si.addr[0], 16) == 0 ? 0 : 1;
}

void dsx_count(struct dsx *x, int side, size_t len, uint64_t ts_ns, uint32_t pkt)
{
    count_packet(x, dir_of(x, side, 0), len, ts_ns, pkt);
}

void dsx_feed(struct dsx *x, int side, const uint8_t *p, size_t n, uint64_t ts_ns, uint32_t pkt)
{
    int dir = dir_of(x, side, 0);

    count_packet(x, dir, n, ts_ns, pkt);
    deliver(x, dir, p, n, ts_ns, pkt);
}

void dsx_feed_gap(struct dsx *x, int side, uint64_t n)
{
    deliver_gap(x, dir_of(x, side, 0), n);
}

void dsx_feed_fin(struct dsx *x, int side)
{
    deliver_fin(x, dir_of(x, side, 0));
}

void dsx_finish(struct dsx *x)
{
    if (x->finished)
        return;
    x->finished = true;
    if (x->ra) {
        x->in_reasm = true;
        reasm_flush(x->ra);
        x->in_reasm = false;
        /* those of segments after the last delivery (a retransmission that differs) */
        take_reasm_anoms(x);
    }
    if (x->state == ST_UNDECIDED)
        decide(x, true);
    if (x->state == ST_UNDECIDED) {
        x->state = ST_UNDISSECTED;
        release_dirs(x);
    }
    for (int i = 0; i < 2; i++)
        parse_rest(x, i);
    close_dissector(x);
    stop_reasm(x);
    dsx_settle_hand_over(x);
    dsx_drain_held(x, true);
    x->undissected = x->next_index == 0 &&
                     (x->state == ST_UNDISSECTED || x->state == ST_ABANDONED);
    if (x->o.l4_entries && x->undissected)
        dsx_l4_entry(x);
}

void dsx_free(struct dsx *x)
{
    if (!x)
        return;
    if (x->st) {
        if (x->ops->fini)
            x->ops->fini(x->st);
        free(x->st);
    }
    stop_reasm(x);
    release_dirs(x);
    buf_release(&x->hold);
    free(x->held);
    free(x->resv);
    free(x->hint);
    free(x);
}
