/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: ingest: split captures into one PCAP per L4 stream, in parallel.
 *
 * Each batch of packets read from an input goes through three phases:
 *
 *   A  decode (parallel over packets): link/IP/L4 headers, flow key, hash.
 *   B  assign (serial, in input order): flow table lookup; the rules of
 *      flow_classify() end streams and start new ones; stream ids count
 *      from 1 in the order of each stream's first packet; idle flows are
 *      evicted. The outcome is, per pack bucket, an ordered list of events
 *      "append packet i to stream s" and "stream s has ended".
 *   C  write (parallel over buckets): each bucket appends packets to its
 *      streams' buffers and, when a stream ends, writes its whole PCAP into
 *      the bucket's pack (or, past the size threshold, its own file).
 *
 * Phase B alone decides ids, stream boundaries and the order of events;
 * phase C only executes them, each bucket on one thread at a time. So the
 * store is byte-identical at any thread count. Buckets are fixed by the
 * flow hash (hash_fixed), never by thread.
 *
 * Memory is bounded by the live streams' buffers: a stream whose PCAP
 * passes the threshold is spilled to its own file and flushed in pieces,
 * and when all buffers together pass the memcap the largest buffered
 * stream is spilled (or flushed) too. Phase B makes these decisions from
 * the packets alone (assign_buffers), so they are deterministic as well.
 * Files are opened only while written (packs stay open: one per bucket),
 * so open descriptors are bounded by the bucket count, not by the number
 * of streams.
 */
#include "config.h"

#include "store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/cur.h"
#include "base/diag.h"
#include "base/fsutil.h"
#include "base/hash.h"
#include "base/limits.h"
#include "base/xalloc.h"
#include "capture/capture.h"
#include "decode/decode.h"
#include "pcapw.h"
#include "names/names.h"
#include "split_int.h"
#include "compress/compress.h"
#include "index/index.h"
#include "store_int.h"

/* ---------------------------------------------------------------- assignment (phase B) */

static void ev_push(struct split *sp, int k, uint32_t idx, struct sstream *s)
{
    struct evq *q = &sp->b[s->bucket].q[k];

    if (q->n == q->cap)
        xgrow((void **)&q->v, &q->cap, q->n + 1, sizeof *q->v);
    q->v[q->n++] = (struct ev){ idx, sp->ev_seq++, s };
}

/*
 * Phase B keeps the account of what phase C will have buffered, per stream
 * (pend) and in total, and decides when a stream gets its own file and
 * when a spilled stream's buffer is written out. These decisions depend
 * only on the packets, so they are the same at any thread count; and the
 * memory cap is one cap over all streams. Streams sit in lists by
 * floor(log2(pend)), so the largest buffered stream (within a factor of
 * two) is found in constant time.
 */
static int pend_class(uint64_t v)
{
    int c = v ? 63 - __builtin_clzll(v) : 0;

    return c < PEND_CLASSES ? c : PEND_CLASSES - 1;
}

static void pend_unlink(struct split *sp, struct sstream *s)
{
    if (s->pcls < 0)
        return;
    if (s->pprev)
        s->pprev->pnext = s->pnext;
    else
        sp->pend_list[s->pcls] = s->pnext;
    if (s->pnext)
        s->pnext->pprev = s->pprev;
    s->pprev = s->pnext = NULL;
    s->pcls = -1;
}

static void pend_add(struct split *sp, struct sstream *s, uint64_t n)
{
    int c;

    s->pend += n;
    sp->pend_total += n;
    c = pend_class(s->pend);
    if (c == s->pcls)
        return;
    pend_unlink(sp, s);
    s->pcls = (int8_t)c;
    s->pprev = NULL;
    s->pnext = sp->pend_list[c];
    if (s->pnext)
        s->pnext->pprev = s;
    sp->pend_list[c] = s;
}

/* Queues an END/SPILL/FLUSH for s; after it, phase C holds nothing of s in memory. */
static void order(struct split *sp, int k, struct sstream *s, uint32_t what)
{
    ev_push(sp, k, what, s);
    sp->pend_total -= s->pend;
    s->pend = 0;
    pend_unlink(sp, s);
    if (what == EV_SPILL)
        s->own_file = true;
}

/* Accounts packet i of s (queued just before) and orders spills and flushes. */
static void assign_buffers(struct split *sp, int k, struct sstream *s, uint32_t caplen)
{
    uint64_t rec = PCAPW_REC_HDR_LEN + (uint64_t)caplen;

    s->size += rec;
    pend_add(sp, s, rec);
    if (!s->own_file && (s->size > sp->o->pack_threshold || s == sp->other))
        order(sp, k, s, EV_SPILL);
    else if (s->own_file && s->pend >= SPILL_FLUSH)
        order(sp, k, s, EV_FLUSH);
    while (sp->pend_total > sp->memcap) {
        struct sstream *big = NULL;

        for (int c = PEND_CLASSES - 1; c >= 0 && !big; c--)
            big = sp->pend_list[c];
        if (!big)
            break;
        order(sp, k, big, big->own_file ? EV_FLUSH : EV_SPILL);
    }
}

static void end_push(struct split *sp, uint32_t pos, struct sstream *s)
{
    if (sp->nends == sp->endcap)
        xgrow((void **)&sp->ends, &sp->endcap, sp->nends + 1, sizeof *sp->ends);
    sp->ends[sp->nends++] = (struct ends){ pos, s };
}

/*
 * Which side of a new stream is the client: the sender of a SYN, the
 * receiver of a SYN+ACK; otherwise (a stream already open when the capture
 * started, UDP) the side with the lower port is taken as the server, and
 * on a tie the first sender is the client.
 */
static bool sender_is_server(const struct dec_pkt *dp)
{
    if (dp->has_flags && (dp->tcp_flags & DEC_TCP_SYN))
        return (dp->tcp_flags & DEC_TCP_ACK) != 0;
    return dp->sport < dp->dport;
}

static struct sstream *stream_new(struct split *sp, struct flow *f, const struct pinfo *p)
{
    struct sstream *s = slab_alloc(&sp->streams);
    const struct dec_pkt *dp = &p->dec;
    bool reverse = sender_is_server(dp);

    s->rec.id = ++sp->next_id;
    s->rec.proto = dp->proto;
    s->rec.ipver = dp->ipver;
    memcpy(s->rec.cli, reverse ? dp->dst : dp->src, 16);
    memcpy(s->rec.srv, reverse ? dp->src : dp->dst, 16);
    s->rec.cli_port = reverse ? dp->dport : dp->sport;
    s->rec.srv_port = reverse ? dp->sport : dp->dport;
    s->bucket = (uint32_t)(f->hash % STORE_BUCKETS);
    s->size = PCAPW_HDR_LEN;
    s->pcls = -1;
    cbuf_init(&s->data);
    if (sp->ncat % STORE_CAT_BLOCK == 0) {
        if (sp->nblocks == STORE_CAT_BLOCKS)
            xmalloc(SIZE_MAX);          /* 2^32 streams in one node: give up like on OOM */
        sp->cat[sp->nblocks] = region_map(STORE_CAT_BLOCK * sizeof **sp->cat);
        if (!sp->cat[sp->nblocks])
            xmalloc(SIZE_MAX);          /* out of memory: abort as xmalloc does */
        sp->nblocks++;
    }
    sp->ncat++;
    f->stream = s;
    if (s->rec.proto == 6)
        sp->res->tcp_streams++;
    else
        sp->res->udp_streams++;
    sp->res->nstreams++;
    return s;
}

static void account(struct split *sp, struct sstream *s, const struct cap_pkt *pk,
                    const struct dec_pkt *dp)
{
    struct store_stream *r = &s->rec;

    if (r->packets == 0 || pk->ts_ns < r->first_ns)
        r->first_ns = pk->ts_ns;
    if (pk->ts_ns > r->last_ns)
        r->last_ns = pk->ts_ns;
    r->packets++;
    r->bytes += pk->caplen;
    r->anomalies |= dp->anomalies;
    if (dp->frag)
        r->flags |= STORE_S_FRAG;
    if (dp->has_flags) {
        if (dp->tcp_flags & DEC_TCP_SYN)
            r->flags |= STORE_S_SYN;
        if (dp->tcp_flags & DEC_TCP_FIN)
            r->flags |= STORE_S_FIN;
        if (dp->tcp_flags & DEC_TCP_RST)
            r->flags |= STORE_S_RST;
    }
    if (s == sp->other) {
        sp->in->other.packets++;
        sp->in->other.bytes += pk->caplen;
    } else {
        sp->in->streams.packets++;
        sp->in->streams.bytes += pk->caplen;
    }
}

static void frag_key_of(const struct dec_pkt *dp, struct frag_key *k)
{
    memset(k, 0, sizeof *k);
    memcpy(k->src, dp->src, 16);
    memcpy(k->dst, dp->dst, 16);
    k->id = dp->frag_id;
    k->ipver = dp->ipver;
    k->proto = dp->frag_proto;
}

static size_t frag_slot(const struct dec_pkt *dp)
{
    struct frag_key k;

    frag_key_of(dp, &k);
    return (size_t)(hash_fixed(&k, sizeof k) % LIM_FRAG_KEYS);
}

/*
 * The table is FRAG_WAYS-way set associative: a datagram's key may sit in
 * any of the FRAG_WAYS entries of its set, so that first fragments of other
 * datagrams that hash alike do not push it out before its later fragments
 * come; a full set gives up its least recently remembered entry.
 */
#define FRAG_WAYS 4u

static struct frag_ent *frag_match(struct split *sp, const struct dec_pkt *dp)
{
    struct frag_ent *set = &sp->frag[frag_slot(dp) & ~(size_t)(FRAG_WAYS - 1)];
    struct frag_key k;

    frag_key_of(dp, &k);
    for (unsigned w = 0; w < FRAG_WAYS; w++) {
        if (set[w].used && memcmp(&set[w].dg, &k, sizeof k) == 0)
            return &set[w];
    }
    return NULL;
}

static void frag_remember(struct split *sp, const struct dec_pkt *dp, const struct flow_key *key,
                          uint64_t id, uint64_t ts_ns)
{
    struct frag_ent *set = &sp->frag[frag_slot(dp) & ~(size_t)(FRAG_WAYS - 1)];
    struct frag_ent *e = frag_match(sp, dp);

    for (unsigned w = 0; !e && w < FRAG_WAYS; w++) {
        if (!set[w].used)
            e = &set[w];
    }
    if (!e) {
        e = &set[0];
        for (unsigned w = 1; w < FRAG_WAYS; w++)
            if (set[w].seq < e->seq)
                e = &set[w];
    }
    e->seq = ++sp->frag_seq;
    e->ts_ns = ts_ns;
    e->used = true;
    frag_key_of(dp, &e->dg);
    e->key = *key;
    e->stream_id = id;
}

#define NO_PKT UINT32_MAX
/* How long a later fragment waits for its first one, and a first one counts (capture time). */
#define FRAG_HOLD_NS ((uint64_t)LIM_FRAG_HOLD_S * 1000000000ull)

/*
 * The live stream that a later fragment (at ts_ns) belongs to, or NULL. A
 * first fragment of its key more than LIM_FRAG_HOLD_S earlier is of an older
 * datagram that had the same IP ID, even while that one's stream is still open.
 */
static struct sstream *frag_stream(struct split *sp, const struct dec_pkt *dp, uint64_t ts_ns)
{
    struct frag_ent *e = frag_match(sp, dp);
    struct flow *f;

    if (!e || ts_ns > e->ts_ns + FRAG_HOLD_NS)
        return NULL;
    f = flow_find(sp->ft, &e->key, hash_fixed(&e->key, sizeof e->key));
    if (!f || !f->stream || ((struct sstream *)f->stream)->rec.id != e->stream_id)
        return NULL;
    return f->stream;
}

/* Whether two fragments are of one datagram. */
static bool same_datagram(const struct dec_pkt *a, const struct dec_pkt *b)
{
    struct frag_key ka, kb;

    frag_key_of(a, &ka);
    frag_key_of(b, &kb);
    return memcmp(&ka, &kb, sizeof ka) == 0;
}

/*
 * Whether later fragment dp (at ts_ns) with no stream may still find one:
 * its first fragment has not come (one of its key that came within
 * LIM_FRAG_HOLD_S is its own, whose stream has ended; an older one is of an
 * earlier datagram that had the same IP ID), and its datagram may be TCP or
 * UDP (IPv6: an extension header may come first; IPv4: AH). Others go to
 * other.pcap at once, in their place.
 */
static bool frag_may_wait(struct split *sp, const struct dec_pkt *dp, uint64_t ts_ns)
{
    const struct frag_ent *e = frag_match(sp, dp);

    if (e && ts_ns <= e->ts_ns + FRAG_HOLD_NS)
        return false;
    return dp->frag_proto == 6 || dp->frag_proto == 17 || dp->frag_proto == 51 ||
           (dp->ipver == 6 && dec_ipv6_ext(dp->frag_proto));
}

/* Later fragment i of the batch waits for its first fragment. */
static void frag_wait(struct split *sp, uint32_t i)
{
    size_t slot = frag_slot(&sp->pi[sp->k][i].dec);

    if (sp->npending == sp->pendcap)
        xgrow((void **)&sp->pending, &sp->pendcap, sp->npending + 1, sizeof *sp->pending);
    sp->pending[sp->npending++] = i;
    sp->carry.next[i] = sp->carry.head[slot];
    sp->carry.head[slot] = i;
}

/*
 * First fragment i of the batch came: the later fragments of its datagram
 * that wait (captured before it, at most LIM_FRAG_HOLD_S earlier) go to its
 * stream, in their places (writing keeps the batch's order).
 */
static void frag_resolve(struct split *sp, uint32_t i)
{
    const struct cap_pkt *pkts = sp->pkts[sp->k];
    struct pinfo *pi = sp->pi[sp->k];
    uint32_t *link = &sp->carry.head[frag_slot(&pi[i].dec)];

    while (*link != NO_PKT) {
        uint32_t j = *link;

        if (same_datagram(&pi[j].dec, &pi[i].dec) &&
            pkts[i].ts_ns <= pkts[j].ts_ns + FRAG_HOLD_NS) {
            *link = sp->carry.next[j];
            pi[j].s = pi[i].s;
            account(sp, pi[j].s, &pkts[j], &pi[j].dec);
        } else {
            link = &sp->carry.next[j];
        }
    }
}

/*
 * At the end of a batch (its last packet's time now): the later fragments
 * still waiting are carried to the next batch while they may wait longer and
 * the carry has room, unless the input ends (final); the others go to
 * other.pcap. Empties the chains.
 */
static void frag_finish(struct split *sp, uint64_t now, bool final)
{
    const struct cap_pkt *pkts = sp->pkts[sp->k];
    struct pinfo *pi = sp->pi[sp->k];
    struct frag_carry *c = &sp->carry;
    int next = (int)((sp->batch_no + 1) % 3);

    for (size_t k = 0; k < c->slot[next].n; k++)
        free(c->slot[next].own[k]);
    c->slot[next].n = 0;
    c->npk = 0;
    c->bytes = 0;
    for (size_t q = 0; q < sp->npending; q++) {
        uint32_t i = sp->pending[q];
        const struct cap_pkt *pk = &pkts[i];
        uint8_t *copy;

        c->head[frag_slot(&pi[i].dec)] = NO_PKT;
        if (pi[i].s || final || c->npk == LIM_FRAG_CARRY ||
            c->bytes + pk->caplen > LIM_FRAG_CARRY_BYTES ||
            pk->ts_ns + FRAG_HOLD_NS < now)
            continue;
        copy = xmalloc(pk->caplen ? pk->caplen : 1);
        memcpy(copy, pk->data, pk->caplen);
        if (c->slot[next].n == c->slot[next].cap)
            xgrow((void **)&c->slot[next].own, &c->slot[next].cap, c->slot[next].n + 1,
                  sizeof *c->slot[next].own);
        c->slot[next].own[c->slot[next].n++] = copy;
        c->pk[c->npk] = *pk;
        c->pk[c->npk++].data = copy;
        c->bytes += pk->caplen;
        pi[i].carried = true;
    }
}

/*
 * Keeps the eviction clock (flow.h) of interface iface, whose packet at
 * ts_ns is being assigned. When the first packet of the interface in a
 * later input is behind its latest time by more than the shortest timeout
 * (two captures of the same span, one after the other), the clock is set
 * back: otherwise the flows of the newer packets would lead its idle lists,
 * never idle at the older times, and no flow queued behind them would ever
 * be found idle (two 1 GiB captures of the same ten minutes took 3.5 GB,
 * their DNS streams spilled to 145,790 files). Inside an input, time that
 * steps back is a clock's glitch (a packet stamped 20 years early), which
 * must not age every other flow: nothing changes. A step back by less than
 * the timeout delays eviction by at most that much.
 */
static void clock_step(struct split *sp, uint32_t iface, uint64_t ts_ns)
{
    const struct flow_opts *fo = &sp->o->flow;
    uint64_t step = fo->udp_idle_ns;

    step = fo->tcp_closed_ns < step ? fo->tcp_closed_ns : step;
    step = fo->tcp_idle_ns < step ? fo->tcp_idle_ns : step;
    if (iface >= sp->clk_cap) {
        size_t old = sp->clk_cap;

        xgrow((void **)&sp->clk_latest, &sp->clk_cap, (size_t)iface + 1, sizeof *sp->clk_latest);
        memset(sp->clk_latest + old, 0, (sp->clk_cap - old) * sizeof *sp->clk_latest);
        old = sp->clk_input_cap;
        xgrow((void **)&sp->clk_input, &sp->clk_input_cap, sp->clk_cap, sizeof *sp->clk_input);
        memset(sp->clk_input + old, 0, (sp->clk_input_cap - old) * sizeof *sp->clk_input);
    }
    if (sp->clk_input[iface] != sp->inputs && ts_ns + step < sp->clk_latest[iface]) {
        flow_clock_back(sp->ft, iface, sp->clk_latest[iface] - ts_ns);
        sp->clk_latest[iface] = ts_ns;
    }
    sp->clk_input[iface] = sp->inputs;
    if (ts_ns > sp->clk_latest[iface])
        sp->clk_latest[iface] = ts_ns;
}

/* Ends the streams of the flows of clock that are idle at now_ns (a time of that clock). */
static void evict(struct split *sp, uint32_t pos, uint32_t clock, uint64_t now_ns)
{
    struct flow *f;

    while ((f = flow_expired(sp->ft, now_ns, clock)) != NULL) {
        end_push(sp, pos, f->stream);
        flow_remove(sp->ft, f);
    }
}

/*
 * Phase B for the batch's n packets (those carried from the batch before
 * first); final: the input ends here, nothing is carried on.
 */
static void assign(struct split *sp, size_t n, bool final)
{
    const int k = sp->k;
    const struct cap_pkt *pkts = sp->pkts[k];
    struct pinfo *pi = sp->pi[k];
    size_t e = 0;

    sp->nends = 0;
    sp->npending = 0;
    for (size_t i = 0; i < n; i++) {
        const struct cap_pkt *pk = &pkts[i];
        struct pinfo *p = &pi[i];
        const struct dec_pkt *dp = &p->dec;
        bool l4 = dp->proto == 6 || dp->proto == 17;

        if (i + 4 < n && pi[i + 4].dec.has_ports)
            flow_prefetch(sp->ft, pi[i + 4].hash);

        /*
         * Idle at this packet's time, not at the newest time seen: after a
         * step back in time (a later input with older packets, interfaces
         * whose clocks disagree) the flows of the newer packets are not idle,
         * and the older packets' own flows must not look idle for hours.
         * Only flows last seen on this packet's interface are measured by its
         * time: interfaces may keep different clocks.
         */
        sp->now_ns = pk->ts_ns;
        clock_step(sp, pk->iface, pk->ts_ns);
        evict(sp, (uint32_t)i, pk->iface, pk->ts_ns);
        p->s = NULL;
        p->carried = false;
        if (l4 && dp->has_ports) {
            struct flow *f = flow_find(sp->ft, &p->key, p->hash);

            if (!f) {
                f = flow_insert(sp->ft, &p->key, p->hash, pk->ts_ns, pk->iface);
                stream_new(sp, f, p);
            } else if (flow_classify(f, &sp->o->flow, dp, p->side, pk->ts_ns) == FLOW_NEW) {
                end_push(sp, (uint32_t)i, f->stream);
                flow_restart(f);
                stream_new(sp, f, p);
            }
            p->s = f->stream;
            account(sp, p->s, pk, dp);
            flow_update(f, dp, p->side, pk->ts_ns);
            flow_touch(sp->ft, f, pk->ts_ns, pk->iface);
            if (dp->frag) {
                frag_remember(sp, dp, &p->key, p->s->rec.id, pk->ts_ns);
                if (dp->frag_first && sp->npending)
                    frag_resolve(sp, (uint32_t)i);
            }
        } else if (dp->frag && !dp->frag_first) {
            /* (an IPv6 one names the header after its fragment header, maybe no transport) */
            p->s = frag_stream(sp, dp, pk->ts_ns);
            if (p->s)
                account(sp, p->s, pk, dp);
            else if (frag_may_wait(sp, dp, pk->ts_ns))
                frag_wait(sp, (uint32_t)i);
        }
        if (flow_table_count(sp->ft) > sp->res->peak_flows)
            sp->res->peak_flows = flow_table_count(sp->ft);
    }
    frag_finish(sp, sp->now_ns, final);
    for (size_t i = 0; i < n; i++) {
        struct pinfo *p = &pi[i];

        if (!p->s && !p->carried) {
            p->s = sp->other;
            account(sp, sp->other, &pkts[i], &p->dec);
        }
    }
    /* distribute, in input order, ends before the packet at their position */
    for (size_t i = 0; i < n; i++) {
        while (e < sp->nends && sp->ends[e].pos == i) {
            order(sp, k, sp->ends[e].s, EV_END);
            e++;
        }
        if (pi[i].carried)
            continue;           /* written in a later batch */
        ev_push(sp, k, (uint32_t)i, pi[i].s);
        assign_buffers(sp, k, pi[i].s, pkts[i].caplen);
    }
    for (; e < sp->nends; e++)
        order(sp, k, sp->ends[e].s, EV_END);
    sp->batch_no++;
}

static void decode_batch(struct split *sp, struct cap_reader *r, size_t n)
{
    const struct cap_pkt *pkts = sp->pkts[sp->k];
    struct pinfo *pi = sp->pi[sp->k];

    /* decode runs as tasks, so threads that finished writing the previous batch help */
#pragma omp taskloop grainsize(4096) shared(pkts, pi, r)
    for (size_t i = 0; i < n; i++) {
        const struct cap_pkt *pk = &pkts[i];
        struct pinfo *p = &pi[i];

        p->ifc = *cap_iface(r, pk->iface);
        dec_packet(p->ifc.linktype, pk->data, pk->caplen, &p->dec);
        if (p->dec.has_ports) {
            p->side = flow_key_from(&p->dec, &p->key);
            p->hash = hash_fixed(&p->key, sizeof p->key);
        }
    }
}

/* ---------------------------------------------------------------- inputs */

static const char *fmt_name(enum cap_format f)
{
    switch (f) {
    case CAP_FMT_PCAP:
        return "pcap";
    case CAP_FMT_PCAPNG:
        return "pcapng";
    }
    return "unknown";
}

static const char *comp_name(enum cap_compression c)
{
    switch (c) {
    case CAP_COMP_NONE:
        return "none";
    case CAP_COMP_GZIP:
        return "gzip";
    case CAP_COMP_ZSTD:
        return "zstd";
    }
    return "unknown";
}

static void add_count(struct store_count *to, const struct store_count *c)
{
    to->packets += c->packets;
    to->bytes += c->bytes;
}

/* The first time classic PCAP's unsigned 32-bit seconds cannot hold: 2106-02-07T06:28:16Z. */
#define PCAP_LAST_NS ((uint64_t)UINT32_MAX * 1000000000u + 1000000000u)

/* Whether the caller asked ingest to stop (a signal, store_ingest_opts.cancel). */
static bool cancelled(const struct store_ingest_opts *o)
{
    return o->cancel && *o->cancel;
}

static int interrupted(const struct store_ingest_opts *o, struct diag *d)
{
    return diag_set(d, SV_EINTR, "%s: interrupted; nothing written", o->store_dir);
}

/*
 * The batch loop, run by one thread of a parallel region: while the other
 * threads write batch k out (phase C tasks), this one reads, decodes and
 * assigns batch k + 1. Packets of both batches stay valid (the reader
 * double-buffers), and phase B never touches what phase C owns (see
 * split_int.h).
 */
static int read_batches(struct split *sp, struct cap_reader *r, struct store_input *in,
                        struct store_progress *prog, struct diag *rd, struct diag *d)
{
    int rc = 0;

    for (bool ended = false; !ended;) {
        /* the later fragments carried from the batch before go first (frag_finish) */
        size_t nc = sp->carry.npk;
        ssize_t n;

        if (cancelled(sp->o))
            break;
        memcpy(sp->pkts[sp->k], sp->carry.pk, nc * sizeof *sp->carry.pk);
        sp->carry.npk = 0;
        n = cap_next_batch(r, sp->pkts[sp->k] + nc, sp->batch_max - nc, rd);
        if (n <= 0) {
            if (n < 0) {
                in->status = STORE_IN_ERROR;
                in->error = xstrdup(rd->msg);
                sp->res->input_errors++;
            }
            /* the input ends: what was carried is written out, where it belongs */
            ended = true;
            n = 0;
            if (nc == 0)
                break;
        }
        for (size_t i = nc; i < nc + (size_t)n; i++) {
            const struct cap_pkt *pk = &sp->pkts[sp->k][i];
            uint32_t lt = cap_iface(r, pk->iface)->linktype;

            in->read.packets++;
            in->read.bytes += pk->caplen;
            in->late_times += pk->ts_ns >= PCAP_LAST_NS;
            if (!dec_linktype_supported(lt)) {
                if (in->odd_links++ == 0)
                    in->odd_link = lt;
                else if (lt != in->odd_link)
                    in->odd_links_mixed = true;
            }
        }
        decode_batch(sp, r, nc + (size_t)n);
        assign(sp, nc + (size_t)n, ended);
        if (sp->writing) {
            rc = swr_wait(sp, d);
            if (rc < 0)
                return rc;
        }
        swr_spawn(sp, sp->k);
        sp->k ^= 1;
        in->size = cap_offset(r);
        prog->packets += (uint64_t)n;
        if (sp->o->progress) {
            struct store_progress now = *prog;

            now.streams = sp->res->nstreams;
            now.bytes_done += in->size;     /* prog holds the inputs before this one */
            sp->o->progress(sp->o->progress_arg, &now);
        }
    }
    if (sp->writing)
        rc = swr_wait(sp, d);
    if (rc == 0 && cancelled(sp->o))
        rc = interrupted(sp->o, d);
    return rc;
}

static int read_input(struct split *sp, struct store_input *in, bool from_dir,
                      struct store_progress *prog, struct diag *d)
{
    struct cap_reader *r = NULL;
    struct diag rd;
    int rc;

    diag_clear(&rd);
    sp->in = in;
    sp->inputs++;
    rc = cap_open_as(&r, in->file ? in->file : in->path, in->path, sp->o->cancel, &rd);
    if (rc < 0) {
        /* in a directory, skip what is no capture; a damaged capture is an error */
        if (from_dir && rc == SV_ENOTCAP) {
            in->status = STORE_IN_SKIPPED;
            in->error = xstrdup(rd.msg);
            return 0;
        }
        in->status = STORE_IN_ERROR;
        in->error = xstrdup(rd.msg);
        sp->res->input_errors++;
        return 0;
    }
    in->format = fmt_name(cap_format(r));
    in->compression = comp_name(cap_compression(r));
    rc = 0;
#pragma omp parallel
#pragma omp single
    rc = read_batches(sp, r, in, prog, &rd, d);
    in->size = cap_offset(r);
    cap_close(r);
    return rc;
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Expands the node's inputs: a directory gives its regular files, sorted by
 * name. A labelled input is a file, named by its label.
 */
int store_dir_inputs(const char *dir, char ***paths, size_t *n, struct diag *d)
{
    size_t cap = 0;
    DIR *dh = opendir(dir);
    struct dirent *e;

    *paths = NULL;
    *n = 0;
    if (!dh)
        return diag_errno(d, SV_EIO, errno, "%s: opendir", dir);
    while ((e = readdir(dh)) != NULL) {
        char *p;
        struct stat st;

        /* hidden files (".DS_Store", an editor's, our own temporaries) are no input */
        if (e->d_name[0] == '.')
            continue;
        p = fs_join(dir, e->d_name);
        if (stat(p, &st) < 0 || !S_ISREG(st.st_mode)) {
            free(p);
            continue;
        }
        xgrow((void **)paths, &cap, *n + 1, sizeof **paths);
        (*paths)[(*n)++] = p;
    }
    closedir(dh);
    if (*n > 1)
        qsort(*paths, *n, sizeof **paths, cmp_name);
    return 0;
}

static int expand_inputs(const struct store_node_input *node, struct store_ingest_result *res,
                         bool **from_dir, struct diag *d)
{
    char *const *inputs = node->inputs;
    size_t cap = 0;

    *from_dir = NULL;
    for (size_t i = 0; i < node->ninputs; i++) {
        struct stat st;
        char **names;
        size_t nn;

        if (node->labels || strcmp(inputs[i], "-") == 0 || stat(inputs[i], &st) < 0 ||
            !S_ISDIR(st.st_mode)) {
            xgrow((void **)&res->inputs, &cap, res->ninputs + 1, sizeof *res->inputs);
            *from_dir = xrealloc(*from_dir, res->ninputs + 1);
            (*from_dir)[res->ninputs] = false;
            memset(&res->inputs[res->ninputs], 0, sizeof *res->inputs);
            res->inputs[res->ninputs].path = xstrdup(node->labels ? node->labels[i] : inputs[i]);
            if (node->labels)
                res->inputs[res->ninputs].file = xstrdup(inputs[i]);
            res->ninputs++;
            continue;
        }
        if (store_dir_inputs(inputs[i], &names, &nn, d) < 0)
            return SV_EIO;
        if (nn == 0) {
            /* a directory that gives nothing to read is a fault, not an empty store */
            struct store_input *in;

            xgrow((void **)&res->inputs, &cap, res->ninputs + 1, sizeof *res->inputs);
            *from_dir = xrealloc(*from_dir, res->ninputs + 1);
            (*from_dir)[res->ninputs] = false;
            in = &res->inputs[res->ninputs++];
            memset(in, 0, sizeof *in);
            in->path = xstrdup(inputs[i]);
            in->status = STORE_IN_ERROR;
            in->error = fs_printf("%s: a directory with no file in it (subdirectories and "
                                  "hidden files are not read)", inputs[i]);
            res->input_errors++;
            continue;
        }
        for (size_t k = 0; k < nn; k++) {
            xgrow((void **)&res->inputs, &cap, res->ninputs + 1, sizeof *res->inputs);
            *from_dir = xrealloc(*from_dir, res->ninputs + 1);
            (*from_dir)[res->ninputs] = true;
            memset(&res->inputs[res->ninputs], 0, sizeof *res->inputs);
            res->inputs[res->ninputs++].path = names[k];
        }
        free(names);
    }
    return 0;
}

/* ---------------------------------------------------------------- the whole ingest */

void store_ingest_opts_init(struct store_ingest_opts *o)
{
    memset(o, 0, sizeof *o);
    o->store_dir = "streamvault-store";
    o->node_name = "local";
    o->threads = 0;
    o->layout = STORE_LAYOUT_PACKED;
    o->pack_threshold = LIM_PACK_THRESHOLD;
    o->body_max = LIM_BODY_MAX;
    o->memcap = 0;
    o->flow.udp_idle_ns = LIM_UDP_TIMEOUT_S * 1000000000ull;
    o->flow.tcp_idle_ns = LIM_TCP_IDLE_S * 1000000000ull;
    o->flow.tcp_closed_ns = LIM_TCP_CLOSED_S * 1000000000ull;
    o->dissect = true;
    o->l4_entries = true;
}

void store_ingest_result_release(struct store_ingest_result *res)
{
    for (size_t i = 0; i < res->ninputs; i++) {
        free(res->inputs[i].path);
        free(res->inputs[i].file);
        free(res->inputs[i].error);
    }
    free(res->node_name);
    free(res->node_ip);
    free(res->inputs);
    for (size_t i = 0; i < res->nsegments; i++)
        free(res->segments[i].name);
    free(res->segments);
    memset(res, 0, sizeof *res);
}

struct endall {
    struct sstream **v;
    size_t n, cap;
};

static void collect_live(struct flow *f, void *arg)
{
    struct endall *a = arg;

    xgrow((void **)&a->v, &a->cap, a->n + 1, sizeof *a->v);
    a->v[a->n++] = f->stream;
}

static int cmp_stream_id(const void *a, const void *b)
{
    uint64_t x = (*(struct sstream *const *)a)->rec.id, y = (*(struct sstream *const *)b)->rec.id;

    return (x > y) - (x < y);
}

/* Ends every live stream (in id order) and the node's other.pcap. */
static int finish_all(struct split *sp, struct diag *d)
{
    struct endall a = { NULL, 0, 0 };
    int rc;

    flow_each(sp->ft, collect_live, &a);
    if (a.n > 1)
        qsort(a.v, a.n, sizeof *a.v, cmp_stream_id);
    for (size_t i = 0; i < a.n; i++)
        order(sp, sp->k, a.v[i], EV_END);
    order(sp, sp->k, sp->other, EV_END);
    free(a.v);
    rc = swr_run_buckets(sp, sp->k, d);
    flow_table_free(sp->ft);
    sp->ft = NULL;
    if (rc == 0)
        rc = swr_close_packs(sp, d);
    return rc;
}

/*
 * Packets a batch holds at most: LIM_BATCH_PACKETS, or fewer for the tests
 * (SV_BATCH_PACKETS: a store must not depend on where batches end).
 */
static size_t batch_max(void)
{
    const char *e = getenv("SV_BATCH_PACKETS");
    unsigned long v = e ? strtoul(e, NULL, 10) : 0;

    return v > LIM_FRAG_CARRY && v < LIM_BATCH_PACKETS ? (size_t)v : LIM_BATCH_PACKETS;
}

/*
 * Bytes after which a bucket's pack takes no more streams and the next
 * pack is opened: LIM_PACK_FILE_MAX, or less for the tests (SV_PACK_BYTES,
 * so that a small capture fills several packs per bucket).
 */
static uint64_t pack_max(void)
{
    const char *e = getenv("SV_PACK_BYTES");
    unsigned long long v = e ? strtoull(e, NULL, 10) : 0;

    return v >= 4096 && v < LIM_PACK_FILE_MAX ? (uint64_t)v : LIM_PACK_FILE_MAX;
}

static int make_dirs(struct split *sp, struct diag *d)
{
    char *sub = fs_join(sp->node_dir, "packs");
    int rc = fs_mkdirs(sub, d);

    free(sub);
    if (rc == 0) {
        sub = fs_join(sp->node_dir, "streams");
        rc = fs_mkdirs(sub, d);
        free(sub);
    }
    if (rc == 0 && sp->o->dissect && sp->o->keep_entries) {
        sub = fs_join(sp->node_dir, "entries");
        rc = fs_mkdirs(sub, d);
        free(sub);
    }
    return rc;
}

/* Removes a replaced store's tree at path, its manifest first (see store_swap_in). */
static void retire(const char *path)
{
    char *meta = fs_join(path, STORE_JSON);
    struct diag ignore;

    (void)unlink(meta);
    free(meta);
    (void)fs_rmtree(path, &ignore);
}

/* Moves the finished tree into place, replacing an old store atomically enough. */
int store_swap_in(const char *tmp, const char *dir, struct diag *d)
{
    struct stat st;
    char *old;
    int rc = 0;

    /*
     * The new store on disk before it takes the old one's place, and the
     * swap on disk before the old one goes: a crash of the machine (not only
     * of this process) leaves one whole store at dir.
     */
    rc = fs_sync_fs(dir, d);        /* (any path of the file system: the old store's) */
    if (rc < 0)
        return rc;
    /* in one step where the file system can: there is always a store at dir */
    if (fs_exchange(tmp, dir) == 0) {
        if ((rc = fs_sync_fs(dir, d)) < 0)
            return rc;
        /*
         * tmp holds the old store now. Its manifest goes first: a kill while the
         * rest goes leaves a tree that store_remove_stale knows for an ingest's
         * (one with a store.json could be a whole store someone named so).
         */
        retire(tmp);
        diag_clear(d);
        return 0;
    }
    /* (overlayfs says EXDEV for a directory of a lower layer) */
    if (errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP && errno != EXDEV)
        return diag_errno(d, SV_EIO, errno, "%s: rename", dir);
    old = fs_printf("%s.old-%ld", dir, (long)getpid());
    if (stat(dir, &st) == 0 && rename(dir, old) < 0) {
        rc = diag_errno(d, SV_EIO, errno, "%s: rename", dir);
        goto out;
    }
    if (rename(tmp, dir) < 0) {
        rc = diag_errno(d, SV_EIO, errno, "%s: rename", dir);
        rename(old, dir);
        goto out;
    }
    if ((rc = fs_sync_fs(dir, d)) < 0)
        goto out;
    retire(old);
    diag_clear(d);
out:
    free(old);
    return rc;
}

static int install(const struct store_ingest_opts *o, const char *tmp, struct diag *d)
{
    int lock, rc;

    if (rename(tmp, o->store_dir) == 0)
        return 0;
    if (errno != EEXIST && errno != ENOTEMPTY)
        return diag_errno(d, SV_EIO, errno, "%s: rename", o->store_dir);
    if (!o->replace)
        return diag_set(d, SV_EEXIST, "%s: exists (use --force to replace it)", o->store_dir);
    /* one writer swaps at a time: a names import may be rewriting the store */
    lock = fs_lock_path(o->store_dir, d);
    if (lock < 0 && cancelled(o))
        return interrupted(o, d);       /* (the wait for the lock, cut short by the signal) */
    if (lock < 0)
        return lock;
    rc = store_swap_in(tmp, o->store_dir, d);
    close(lock);
    return rc;
}

/* The directory path is in (malloc'd): "." for a bare name. */
static char *parent_of(const char *path)
{
    const char *slash = strrchr(path, '/');

    if (!slash)
        return xstrdup(".");
    if (slash == path)
        return xstrdup("/");
    return fs_printf("%.*s", (int)(slash - path), path);
}

/*
 * Ingest builds a store in STORE.tmp-PID (and extracts a bundle to
 * STORE.bundle-PID), holding a lock on the directory (fs_mkdir_locked) until
 * it is installed or removed; the store it replaces is removed from
 * STORE.tmp-PID (or STORE.old-PID), its store.json first. A tree of such a
 * name that no process holds was left by an ingest that was killed
 * (SIGKILL, the OOM killer, a reboot), and is removed here before a new one
 * starts; one whose lock cannot be told (a file system without flock)
 * stays, and so do a STORE.tmp-PID or STORE.old-PID that holds a store.json
 * and a STORE.bundle-PID that holds anything but extracted files m<n>
 * (someone's own directory named so).
 */
/* Whether name is one a bundle extraction writes: m<digits> (fs_dir_every). */
static bool extracted_name(const char *dir, const char *name, void *arg)
{
    (void)dir;
    (void)arg;
    return name[0] == 'm' && name[1] && strspn(name + 1, "0123456789") == strlen(name + 1);
}

void store_remove_stale(const char *store_dir, void (*told)(void *arg, const char *path),
                        void *arg)
{
    static const char *const kinds[] = { ".tmp-", ".old-", ".bundle-" };
    const char *slash = strrchr(store_dir, '/');
    const char *base = slash ? slash + 1 : store_dir;
    char *dir = parent_of(store_dir);
    DIR *dp = opendir(dir);
    struct dirent *e;

    while (dp && (e = readdir(dp)) != NULL) {
        size_t blen = strlen(base), k;
        const char *pid;
        char *path, *meta;
        int fd;

        if (strncmp(e->d_name, base, blen) != 0)
            continue;
        for (k = 0; k < sizeof kinds / sizeof *kinds; k++) {
            if (strncmp(e->d_name + blen, kinds[k], strlen(kinds[k])) == 0)
                break;
        }
        if (k == sizeof kinds / sizeof *kinds)
            continue;
        pid = e->d_name + blen + strlen(kinds[k]);
        if (*pid == 0 || strspn(pid, "0123456789") != strlen(pid))
            continue;
        path = slash ? fs_join(dir, e->d_name) : xstrdup(e->d_name);
        /* only what is surely ours: an ingest's tree without a store.json (with one, it may
           be a whole store that someone named so), an extraction with only its m<n> files */
        meta = fs_join(path, STORE_JSON);
        fd = (k < 2 ? access(meta, F_OK) == 0 : !fs_dir_every(path, extracted_name, NULL))
                 ? -1
                 : fs_dir_trylock(path);
        free(meta);
        if (fd >= 0) {
            struct diag ignore;

            if (fs_rmtree(path, &ignore) == 0 && told)
                told(arg, path);
            close(fd);
        }
        free(path);
    }
    if (dp)
        closedir(dp);
    free(dir);
}

/* Creates tmp_root (and the store's parent), locked: the lock's descriptor, or an error. */
static int make_tmp_root(const struct store_ingest_opts *o, const char *tmp_root,
                         struct diag *d)
{
    char *parent = parent_of(o->store_dir);
    int rc = fs_mkdirs(parent, d);

    free(parent);
    return rc < 0 ? rc : fs_mkdir_locked(tmp_root, d);
}

/*
 * Refuses to replace something that is not a store (or anything without
 * replace); with tidy, an empty directory at the store's path is removed.
 */
static int check_target(const struct store_ingest_opts *o, bool tidy, struct diag *d)
{
    struct stat st;
    char *meta;
    bool is_store;

    if (stat(o->store_dir, &st) < 0)
        return errno == ENOENT ? 0 : diag_errno(d, SV_EIO, errno, "%s", o->store_dir);
    if (!S_ISDIR(st.st_mode))
        return diag_set(d, SV_EEXIST, "%s: exists and is not a store", o->store_dir);
    meta = fs_join(o->store_dir, STORE_JSON);
    is_store = access(meta, F_OK) == 0;
    free(meta);
    if (is_store && !o->replace)
        return diag_set(d, SV_EEXIST, "%s: a store exists there (use --force to replace it)",
                        o->store_dir);
    if (!is_store && !tidy) {
        DIR *dir = opendir(o->store_dir);
        struct dirent *e;
        bool empty = true;

        if (!dir)
            return diag_errno(d, SV_EIO, errno, "%s", o->store_dir);
        while (empty && (e = readdir(dir)) != NULL)
            empty = strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0;
        closedir(dir);
        if (!empty)
            return diag_set(d, SV_EEXIST, "%s: exists, is not empty and is not a store",
                            o->store_dir);
        return 0;
    }
    if (!is_store && rmdir(o->store_dir) < 0) {
        if (errno == ENOTEMPTY || errno == EEXIST)
            return diag_set(d, SV_EEXIST, "%s: exists, is not empty and is not a store",
                            o->store_dir);
        return diag_errno(d, SV_EIO, errno, "%s", o->store_dir);
    }
    return 0;
}

int store_check_target(const struct store_ingest_opts *o, struct diag *d)
{
    return check_target(o, false, d);
}

/*
 * Splits one node's inputs into tmp_root/nodes/<node>/. o is the ingest's
 * options with the node's name, IP and history in place; prog holds the
 * counts of the nodes before this one. On failure the caller removes
 * tmp_root and releases res.
 */
static int ingest_node(const struct store_ingest_opts *o, const struct store_node_input *node,
                       const char *tmp_root, struct store_progress *prog,
                       struct store_ingest_result *res, struct diag *d)
{
    struct split sp;
    bool *from_dir = NULL;
    char *path;
    int rc;

    memset(&sp, 0, sizeof sp);
    sp.o = o;
    sp.res = res;
    res->node_name = xstrdup(node->name);
    res->node_ip = node->ip ? xstrdup(node->ip) : NULL;
    rc = expand_inputs(node, res, &from_dir, d);
    if (rc < 0)
        goto out_result;
    for (size_t i = 0; i < res->ninputs; i++) {
        const char *file = res->inputs[i].file ? res->inputs[i].file : res->inputs[i].path;
        struct stat st;

        if (strcmp(file, "-") != 0 && stat(file, &st) == 0)
            prog->bytes_total += (uint64_t)st.st_size;
    }
    sp.tmp_root = xstrdup(tmp_root);
    sp.node_dir = store_node_dir(sp.tmp_root, o->node_name);
    rc = make_dirs(&sp, d);
    if (rc < 0)
        goto out_tmp;
    region_init(&sp.region);
    sp.ft = flow_table_new(&o->flow, &sp.region);
    slab_init(&sp.streams, sizeof(struct sstream), 0, &sp.region);
    sp.frag = xcalloc(LIM_FRAG_KEYS, sizeof *sp.frag);
    sp.carry.head = xmalloc(LIM_FRAG_KEYS * sizeof *sp.carry.head);
    memset(sp.carry.head, 0xff, LIM_FRAG_KEYS * sizeof *sp.carry.head);    /* NO_PKT */
    sp.carry.next = xmalloc(LIM_BATCH_PACKETS * sizeof *sp.carry.next);
    sp.carry.pk = xmalloc(LIM_FRAG_CARRY * sizeof *sp.carry.pk);
    for (int k = 0; k < 2; k++) {
        sp.pkts[k] = xcalloc(LIM_BATCH_PACKETS, sizeof *sp.pkts[k]);
        sp.pi[k] = xcalloc(LIM_BATCH_PACKETS, sizeof *sp.pi[k]);
    }
    sp.cat = xcalloc(STORE_CAT_BLOCKS, sizeof *sp.cat);
    sp.ix_pending = -1;
    sp.batch_max = batch_max();
    sp.pack_max = pack_max();
    /* with every stream in a file of its own, one written out early is the same file */
    sp.memcap = o->memcap ? o->memcap
                : o->layout == STORE_LAYOUT_FILES ? LIM_BUFFER_FILES : LIM_BUFFER_TOTAL;
    for (uint32_t g = 0; g < IX_GROUPS; g++)
        sp.g[g].id = g;
    for (uint32_t t = 0; t < NTASKS; t++) {
        sp.b[t].id = t;
        sp.b[t].pack_fd = -1;
        buf_init(&sp.b[t].scratch, SIZE_MAX);
        buf_init(&sp.b[t].scratch2, SIZE_MAX);
        buf_init(&sp.b[t].ents[0], SIZE_MAX);
        buf_init(&sp.b[t].ents[1], SIZE_MAX);
        buf_init(&sp.b[t].seen_names, SIZE_MAX);
        dsx_sink_init(&sp.b[t].sink, &sp.b[t].ents[0]);
        /* a budget per bucket, not per thread: what is cut does not depend on -j */
        reasm_budget_init(&sp.b[t].budget, LIM_REASM_TOTAL / NTASKS);
        cpool_init(&sp.b[t].pool_s, &sp.region);
        sp.b[t].pool = &sp.b[t].pool_s;
    }
    sp.other = xcalloc(1, sizeof *sp.other);
    sp.other->bucket = OTHER_BUCKET;
    sp.other->size = PCAPW_HDR_LEN;
    sp.other->pcls = -1;
    cbuf_init(&sp.other->data);

    for (size_t i = 0; i < res->ninputs; i++) {
        struct store_input *in = &res->inputs[i];

        prog->input = i;
        if (in->status == STORE_IN_ERROR)
            continue;       /* found at expansion: nothing to read */
        rc = read_input(&sp, in, from_dir[i], prog, d);
        if (rc < 0)
            goto out_split;
        prog->bytes_done += in->size;
        add_count(&res->read, &in->read);
        add_count(&res->streams, &in->streams);
        add_count(&res->other, &in->other);
    }
    rc = finish_all(&sp, d);
    if (rc < 0)
        goto out_split;
    for (uint32_t t = 0; t < NTASKS; t++) {
        res->entries += sp.b[t].sink.entries;
        res->entries_dropped += sp.b[t].sink.dropped;
    }
    /* the history before the last blocks are written, so that ingest names their rows */
    swr_names_seal(&sp, res);
    if (o->dissect) {
        rc = swr_index_finish(&sp, res, d);
        if (rc < 0)
            goto out_split;
    }
    rc = swr_names_finish(&sp, res, d);
    if (rc < 0)
        goto out_split;
    for (size_t i = 0; i < sp.ncat; i++) {
        const struct store_stream *s = split_cat(&sp, i + 1);

        if (s->flags & STORE_S_FILE)
            res->large_streams++;
        if (s->flags & STORE_S_DISCARDED) {
            res->discarded_streams++;
            res->discarded.packets += s->packets;
            res->discarded.bytes += s->bytes;
        }
        if (i == 0 || s->first_ns < res->first_ns)
            res->first_ns = s->first_ns;
        if (s->last_ns > res->last_ns)
            res->last_ns = s->last_ns;
    }
    if (sp.other->rec.packets > 0) {
        if (sp.ncat == 0 || sp.other->rec.first_ns < res->first_ns)
            res->first_ns = sp.other->rec.first_ns;
        if (sp.other->rec.last_ns > res->last_ns)
            res->last_ns = sp.other->rec.last_ns;
    }
    path = fs_join(sp.node_dir, STORE_CATALOG);
    rc = store_catalog_write(path, sp.cat, sp.ncat, d);
    free(path);

out_split:
    if (sp.ft) {
        /* a fatal error mid-way: free what is still live */
        struct endall a = { NULL, 0, 0 };

        flow_each(sp.ft, collect_live, &a);
        for (size_t i = 0; i < a.n; i++)
            swr_stream_clear(a.v[i]);
        free(a.v);
        flow_table_free(sp.ft);
    }
    for (uint32_t t = 0; t < NTASKS; t++) {
        /* streams a fatal error left mid-way hold buffers (idempotent otherwise) */
        for (struct sstream *l = sp.b[t].live; l; l = l->anext)
            swr_stream_clear(l);
        if (sp.b[t].pack_fd >= 0)
            close(sp.b[t].pack_fd);
        free(sp.b[t].ent_path);
        dsx_sink_release(&sp.b[t].sink);
        for (int k = 0; k < 2; k++) {
            buf_release(&sp.b[t].ents[k]);
            free(sp.b[t].runs[k]);
        }
        buf_release(&sp.b[t].seen_names);
        free(sp.b[t].seen);
        free(sp.b[t].seen_slot);
        free(sp.b[t].q[0].v);
        free(sp.b[t].q[1].v);
        free(sp.b[t].pack_path);
        buf_release(&sp.b[t].scratch);
        buf_release(&sp.b[t].scratch2);
        if (sp.b[t].gather) {
            cbuf_drop(&sp.b[t].gather->held);
            free(sp.b[t].gather);
        }
    }
    for (uint32_t g = 0; g < IX_GROUPS; g++) {
        ix_writer_abort(sp.g[g].ix);
        comp_block_free(sp.g[g].zc);
        for (size_t k = 0; k < sp.g[g].nseg; k++)
            free(sp.g[g].seg[k].name);
        free(sp.g[g].seg);
    }
    swr_stream_clear(sp.other);
    free(sp.other);
    names_free(sp.names_own);   /* swr_names_finish did, unless a fault came first */
    slab_release(&sp.streams);
    region_release(&sp.region);
    for (size_t i = 0; i < sp.nblocks; i++)
        region_unmap(sp.cat[i], STORE_CAT_BLOCK * sizeof **sp.cat);
    free(sp.cat);
    free(sp.frag);
    free(sp.carry.head);
    free(sp.clk_latest);
    free(sp.clk_input);
    free(sp.carry.next);
    free(sp.carry.pk);
    for (int i = 0; i < 3; i++) {
        for (size_t k = 0; k < sp.carry.slot[i].n; k++)
            free(sp.carry.slot[i].own[k]);
        free(sp.carry.slot[i].own);
    }
    for (int k = 0; k < 2; k++) {
        free(sp.pkts[k]);
        free(sp.pi[k]);
    }
    free(sp.ends);
    free(sp.pending);
out_tmp:
    free(sp.node_dir);
    free(sp.tmp_root);
out_result:
    free(from_dir);
    return rc;
}

/*
 * Every named input is there to be read: a path that names nothing, or a
 * directory with no file, is refused before anything is written (with
 * --force, a typo would otherwise replace a store with an empty one).
 * Faults inside an input are found as it is read.
 */
static int check_inputs(const struct store_node_input *node, struct diag *d)
{
    for (size_t i = 0; i < node->ninputs && !node->labels; i++) {
        const char *in = node->inputs[i];
        struct stat st;

        if (strcmp(in, "-") == 0)
            continue;
        if (stat(in, &st) < 0 || (!S_ISDIR(st.st_mode) && access(in, R_OK) < 0))
            return diag_errno(d, SV_EIO, errno, "%s", in);
        /* (one that cannot be read is left to expand_inputs, which says why) */
        if (S_ISDIR(st.st_mode) && access(in, R_OK | X_OK) == 0) {
            char **files;
            size_t nf;

            if (store_dir_inputs(in, &files, &nf, d) < 0)
                return SV_EIO;
            for (size_t k = 0; k < nf; k++)
                free(files[k]);
            free(files);
            if (nf == 0)
                return diag_set(d, SV_EIO, "%s: a directory with no file in it "
                                "(subdirectories and hidden files are not read)", in);
        }
    }
    return 0;
}

/*
 * With --force, a store already there is not replaced by one that holds
 * nothing because every input failed (a file that is not a capture, a
 * directory of files that are none, a bundle whose capture is not one):
 * that is a mistake to report, not a new store. An input that is a capture
 * without packets still replaces it.
 */
static int check_something_read(const struct store_ingest_opts *o,
                                const struct store_ingest_result *res, size_t nnodes,
                                struct diag *d)
{
    const struct store_input *failed = NULL;
    struct stat st;

    for (size_t i = 0; i < nnodes; i++) {
        if (res[i].read.packets > 0)
            return 0;
        for (size_t k = 0; k < res[i].ninputs; k++) {
            if (res[i].inputs[k].status == STORE_IN_OK)
                return 0;
            /* a fault, or a file of a directory that is no capture */
            if (!failed)
                failed = &res[i].inputs[k];
        }
    }
    if (!failed || lstat(o->store_dir, &st) < 0)
        return 0;
    return diag_set(d, SV_EFORMAT, "%s; nothing was read, so %s is left as it was",
                    failed->error ? failed->error : failed->path, o->store_dir);
}

int store_ingest_nodes(const struct store_ingest_opts *o, const struct store_node_input *nodes,
                       size_t nnodes, struct store_ingest_result *res, struct diag *d)
{
    struct store_progress prog;
    char *tmp_root, *path, *json;
    int rc = 0, lock = -1;

    memset(res, 0, nnodes * sizeof *res);
    memset(&prog, 0, sizeof prog);
    for (size_t i = 0; i < nnodes; i++) {
        if (!store_valid_node_name(nodes[i].name))
            return diag_set(d, SV_EINVAL, "node name '%s': use letters, digits, '.', '_' and '-'",
                            nodes[i].name);
        if (!store_valid_node_ip(nodes[i].ip))
            return diag_set(d, SV_EINVAL, "node '%s': IP '%s' is not an IPv4 or IPv6 address",
                            nodes[i].name, nodes[i].ip);
        for (size_t k = 0; k < i; k++) {
            if (strcmp(nodes[k].name, nodes[i].name) == 0)
                return diag_set(d, SV_EINVAL, "node name '%s': given twice", nodes[i].name);
        }
    }
    for (size_t i = 0; i < nnodes; i++) {
        rc = check_inputs(&nodes[i], d);
        if (rc < 0)
            return rc;
    }
    rc = check_target(o, true, d);
    if (rc < 0)
        return rc;
    if (o->threads > 0)
        omp_set_num_threads(o->threads);

    tmp_root = fs_printf("%s.tmp-%ld", o->store_dir, (long)getpid());
    fs_rmtree(tmp_root, d);
    diag_clear(d);
    store_remove_stale(o->store_dir, o->stale, o->stale_arg);
    rc = make_tmp_root(o, tmp_root, d);
    if (rc < 0)
        goto out;
    lock = rc;
    rc = 0;
    for (size_t i = 0; i < nnodes && rc == 0; i++) {
        struct store_ingest_opts no = *o;

        no.node_name = nodes[i].name;
        no.node_ip = nodes[i].ip;
        no.names = nodes[i].names;
        rc = ingest_node(&no, &nodes[i], tmp_root, &prog, &res[i], d);
    }
    /* the last chance to stop: past here the store is installed */
    if (rc == 0 && cancelled(o))
        rc = interrupted(o, d);
    if (rc < 0)
        goto out;
    if (o->replace) {
        rc = check_something_read(o, res, nnodes, d);
        if (rc < 0)
            goto out;
    }
    json = store_manifest_json(o, res, nnodes);
    path = fs_join(tmp_root, STORE_JSON);
    rc = fs_write_file_atomic(path, json, strlen(json), d);
    free(path);
    free(json);
    if (rc == 0)
        rc = install(o, tmp_root, d);
out:
    if (rc < 0) {
        struct diag ignore;

        fs_rmtree(tmp_root, &ignore);
        for (size_t i = 0; i < nnodes; i++)
            store_ingest_result_release(&res[i]);
    }
    /* held until the tree is the store or gone */
    if (lock >= 0)
        close(lock);
    free(tmp_root);
    return rc;
}

int store_ingest(const struct store_ingest_opts *o, char *const *inputs, size_t ninputs,
                 struct store_ingest_result *res, struct diag *d)
{
    struct store_node_input node = {
        .name = o->node_name,
        .ip = o->node_ip,
        .inputs = inputs,
        .ninputs = ninputs,
        .labels = NULL,
        .names = o->names,
    };

    return store_ingest_nodes(o, &node, 1, res, d);
}
