/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: a stream's entries: creation (endpoints from the flow), request
 * and response positions from the byte marks, creation order, output, reuse
 * of spent entries, and the L4 summary of undissected streams.
 *
 * Entry order: an entry's index is its rank in creation order (a dissector
 * creates an entry when the request starts, so this is request order), not
 * in the order entries complete: DNS answers and HTTP/2 responses come back
 * in any order. An entry completed before older ones is held (serialised)
 * until they are written. When the hold passes HOLD_MAX entries (a long
 * HTTP/2 stream open beside many short ones), the older entries still open
 * get their indexes reserved (up to RESV_MAX of them) and the held ones are
 * written; an open entry is written with its reserved index when it is
 * emitted (the store sorts entries by time, stream and index: records need
 * not come in index order). Only an entry a dissector drops after its index
 * was reserved leaves that index unused.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "dissect/dissect_int.h"

void dsx_sink_init(struct dsx_sink *s, struct buf *out)
{
    memset(s, 0, sizeof *s);
    s->out = out;
}

void dsx_sink_release(struct dsx_sink *s)
{
    while (s->nspare)
        ent_free(s->spare[--s->nspare]);
}

/* Frees e, or keeps it for the next dsx_entry (its buffers stay allocated). */
static void recycle(struct dsx *x, struct ent *e)
{
    if (x->sink->nspare < DSX_SPARE && !e->oom)
        x->sink->spare[x->sink->nspare++] = e;
    else
        ent_free(e);
}

struct ent *dsx_entry(struct dsx *x, enum ent_proto proto, int client_dir)
{
    struct ent *e = x->sink->nspare ? x->sink->spare[--x->sink->nspare] : ent_new();
    int cs = x->client_side < 0 ? 0 : x->client_side;
    int src = client_dir == 0 ? cs : 1 - cs;

    if (!e) {
        x->sink->dropped++;
        return NULL;
    }
    ent_reset(e);
    e->seq = x->handed ? x->handed_seq : x->next_seq++;
    x->handed = false;
    e->f.stream_id = x->si.stream_id;
    e->f.proto = (uint8_t)proto;
    e->f.l4 = x->si.l4;
    e->f.ipver = x->si.ipver;
    memcpy(e->f.src_ip, x->si.addr[src], 16);
    memcpy(e->f.dst_ip, x->si.addr[1 - src], 16);
    e->f.src_port = x->si.port[src];
    e->f.dst_port = x->si.port[1 - src];
    return e;
}

static void mark_side(struct dsx *x, struct ent *e, int dir, size_t off, size_t len, bool resp)
{
    struct dsx_span sp;

    dsx_span_of(x, dir, off, len, &sp);
    /* a datagram's wire bytes the capture lacks belong to whoever ends at its last byte */
    sp.len += x->dgram_lost && off + len == x->dgram_len ? x->dgram_lost : 0;
    dsx_mark_span(e, &sp, resp);
}

/*
 * A span starts with the packet that brought its first byte and ends when
 * its last byte could be read in order (struct mark: with segments out of
 * order, the packet holding the last byte may precede the first's).
 */
void dsx_span_of(const struct dsx *x, int dir, size_t off, size_t len, struct dsx_span *sp)
{
    const struct dirst *d = &x->d[dir & 1];
    const struct mark *m0 = dsx_find_mark(d, dsx_abs_off(x, dir, off));
    const struct mark *m1 = len > 1 ? dsx_find_mark(d, dsx_abs_off(x, dir, off + len - 1)) : m0;

    sp->t0 = m0 ? m0->ts : 0;
    sp->t1 = m1 ? m1->read_ts : 0;
    sp->p0 = m0 ? m0->pkt : 0;
    sp->p1 = m1 ? m1->read_pkt : 0;
    sp->len = len;
}

void dsx_mark_span(struct ent *e, const struct dsx_span *sp, bool resp)
{
    uint64_t t0 = sp->t0, t1 = sp->t1;
    uint32_t p0 = sp->p0, p1 = sp->p1;
    size_t size = sp->len;
    uint8_t flag = resp ? ENT_F_RESP : ENT_F_REQ;

    if (!e)
        return;
    if (!(e->f.flags & flag)) {
        e->f.flags |= flag;
        if (resp) {
            e->f.resp_ns = t0;
            e->f.resp_pkt = p0;
        } else {
            e->f.req_ns = t0;
            e->f.req_pkt = p0;
        }
    }
    /* timestamps that go backwards across its spans: never an end before the start */
    if (resp) {
        e->f.resp_end_ns = t1 < e->f.resp_ns ? e->f.resp_ns : t1;
        e->f.resp_size += size;
    } else {
        e->f.req_end_ns = t1 < e->f.req_ns ? e->f.req_ns : t1;
        e->f.req_size += size;
    }
    if (p1 > e->f.last_pkt)
        e->f.last_pkt = p1;
}

void dsx_body(struct dsx *x, struct ent *e, bool resp, const uint8_t *p, size_t n)
{
    struct buf *b = &e->body[resp];
    size_t room = x->o.body_max > b->len ? x->o.body_max - b->len : 0;

    if (x->o.body_max == 0)
        return;     /* bodies are not kept at all: nothing is cut either */
    if (n > room) {
        n = room;
        e->f.flags |= resp ? ENT_F_RESP_BODY_CUT : ENT_F_REQ_BODY_CUT;
    }
    ent_body(e, resp ? ENT_RESP : ENT_REQ, p, n);
}

void dsx_mark_req(struct dsx *x, struct ent *e, int dir, size_t off, size_t len)
{
    if (e)
        mark_side(x, e, dir, off, len, false);
}

void dsx_mark_resp(struct dsx *x, struct ent *e, int dir, size_t off, size_t len)
{
    if (e)
        mark_side(x, e, dir, off, len, true);
}

/* Writes one serialised record, numbering it. */
static void write_record(struct dsx *x, uint8_t *rec, size_t len)
{
    uint32_t idx = x->next_index++;

    for (int i = 0; i < 4; i++)
        rec[12 + i] = (uint8_t)(idx >> (8 * i));       /* the index field (entry.h) */
    if (buf_append(x->sink->out, rec, len) < 0)
        x->sink->dropped++;
    else
        x->sink->entries++;
}

/* Reserves the next index for the open entry seq; false when RESV_MAX are reserved. */
static bool resv_add(struct dsx *x, uint64_t seq)
{
    if (x->nresv == x->capresv) {
        size_t nc = x->capresv ? x->capresv * 2 : 8;
        struct resv *r;

        if (nc > RESV_MAX)
            return false;
        r = realloc(x->resv, nc * sizeof *r);
        if (!r)
            return false;
        x->resv = r;
        x->capresv = nc;
    }
    x->resv[x->nresv++] = (struct resv){ seq, x->next_index++ };
    return true;
}

/* Takes seq's reserved index into *index; false when it has none. */
static bool resv_take(struct dsx *x, uint64_t seq, uint32_t *index)
{
    for (size_t i = 0; i < x->nresv; i++) {
        if (x->resv[i].seq == seq) {
            *index = x->resv[i].index;
            x->resv[i] = x->resv[--x->nresv];
            return true;
        }
    }
    return false;
}

/*
 * Writes the held entries that are next in creation order. Past HOLD_MAX
 * held entries (or with all, at the stream's end) the older ones not yet
 * emitted get their indexes reserved (see above; with all, or past
 * RESV_MAX, they are given up on: they get later indexes): the oldest held
 * entry becomes the next to write.
 */
void dsx_drain_held(struct dsx *x, bool all)
{
    for (;;) {
        size_t k = 0;

        while (k < x->nheld && x->held[k].seq == x->out_seq) {
            if (x->held[k].len)         /* 0: dropped (dsx_drop) */
                write_record(x, x->hold.data + x->held[k].off, x->held[k].len);
            x->out_seq = x->held[k].seq + 1;
            k++;
        }
        if (k) {
            memmove(x->held, x->held + k, (x->nheld - k) * sizeof *x->held);
            x->nheld -= k;
        }
        if (x->nheld == 0 || (!all && x->nheld <= HOLD_MAX))
            break;
        while (!all && x->out_seq < x->held[0].seq && resv_add(x, x->out_seq))
            x->out_seq++;
        x->out_seq = x->held[0].seq;
    }
    if (x->nheld == 0) {
        buf_reset(&x->hold);
    } else {
        /* held is in creation order, not in buffer order: compact from the lowest offset */
        size_t base = x->held[0].off;

        for (size_t i = 1; i < x->nheld; i++) {
            if (x->held[i].off < base)
                base = x->held[i].off;
        }
        /* nothing before the lowest (base 0: also when every held record was dropped and
         * the buffer was never written) or not yet worth a copy */
        if (base == 0 || base < x->hold.len / 2)
            return;
        memmove(x->hold.data, x->hold.data + base, x->hold.len - base);
        x->hold.len -= base;
        for (size_t i = 0; i < x->nheld; i++)
            x->held[i].off -= base;
    }
}

/* Files a held record (len 0: a dropped entry) in creation order. */
static bool hold_add(struct dsx *x, uint64_t seq, size_t off, size_t len)
{
    size_t pos;

    if (x->nheld == x->capheld) {
        size_t nc = x->capheld ? x->capheld * 2 : 8;
        struct held *h = realloc(x->held, nc * sizeof *h);

        if (!h)
            return false;
        x->held = h;
        x->capheld = nc;
    }
    /* usually an append */
    for (pos = x->nheld; pos > 0 && x->held[pos - 1].seq > seq; pos--)
        x->held[pos] = x->held[pos - 1];
    x->held[pos] = (struct held){ seq, off, len };
    x->nheld++;
    return true;
}

/* The entry of creation number seq will never be written. */
static void drop_seq(struct dsx *x, uint64_t seq)
{
    uint32_t unused;

    if (seq < x->out_seq)
        resv_take(x, seq, &unused);     /* its index stays unused */
    if (seq == x->out_seq && x->nheld == 0)
        x->out_seq++;
    else if (seq >= x->out_seq && hold_add(x, seq, x->hold.len, 0))
        dsx_drain_held(x, false);
}

void dsx_drop(struct dsx *x, struct ent *e)
{
    if (!e)
        return;
    drop_seq(x, e->seq);
    recycle(x, e);
}

void dsx_hand_over(struct dsx *x, struct ent *e)
{
    if (!e)
        return;
    dsx_settle_hand_over(x);
    x->handed = true;
    x->handed_seq = e->seq;
    recycle(x, e);
}

void dsx_settle_hand_over(struct dsx *x)
{
    if (x->handed) {
        x->handed = false;
        drop_seq(x, x->handed_seq);
    }
}

void dsx_emit(struct dsx *x, struct ent *e)
{
    size_t at;

    if (!e)
        return;
    e->f.anomalies |= x->pending_anoms;
    x->pending_anoms = 0;
    if ((e->seq == x->out_seq && x->nheld == 0) || e->seq < x->out_seq) {
        /* the usual case: nothing older is outstanding (or e comes after a forced drain) */
        size_t start = x->sink->out->len;

        if (e->seq >= x->out_seq || !resv_take(x, e->seq, &e->f.index))
            e->f.index = x->next_index++;
        if (e->seq >= x->out_seq)
            x->out_seq = e->seq + 1;
        if (ent_serialize(e, x->sink->out) < 0) {
            x->sink->out->len = start;
            x->sink->dropped++;
        } else {
            x->sink->entries++;
        }
        recycle(x, e);
        return;
    }
    at = x->hold.len;
    if (ent_serialize(e, &x->hold) < 0 || !hold_add(x, e->seq, at, x->hold.len - at)) {
        x->hold.len = at;
        x->sink->dropped++;
        recycle(x, e);
        return;
    }
    recycle(x, e);
    dsx_drain_held(x, false);
}

void dsx_l4_entry(struct dsx *x)
{
    struct ent *e = dsx_entry(x, x->si.l4 == 17 ? ENT_UDP : ENT_TCP, 0);

    if (!e)
        return;
    for (int dir = 0; dir < 2; dir++) {
        struct dirst *d = &x->d[dir];

        ent_section(e, dir ? ENT_RESP : ENT_REQ);
        ent_u64(e, "packets", d->pkts);
        ent_u64(e, "bytes", d->bytes);
        if (d->pkts == 0)
            continue;
        if (dir == 0) {
            e->f.flags |= ENT_F_REQ;
            e->f.req_ns = d->first_ns;
            e->f.req_end_ns = d->last_ns;
            e->f.req_size = d->bytes;
            e->f.req_pkt = d->first_pkt;
        } else {
            e->f.flags |= ENT_F_RESP;
            e->f.resp_ns = d->first_ns;
            e->f.resp_end_ns = d->last_ns;
            e->f.resp_size = d->bytes;
            e->f.resp_pkt = d->first_pkt;
        }
    }
    e->f.last_pkt = x->last_pkt;
    dsx_emit(x, e);
}
