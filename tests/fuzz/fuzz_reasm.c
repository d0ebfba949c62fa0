/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: fuzz target for TCP reassembly (reasm_segment, reasm_ack, reasm_flush).
 *
 * Input: one configuration byte (bits 0-1 the per-direction cap, 2-3 the
 * history size, 4-5 the shared budget), then direction-tagged segments:
 *   1 byte   bit 0 direction, bit 1 FIN, bit 2 SYN, bit 3 RST, bit 4 flush before it,
 *            bit 5 an acknowledgment number (reasm_ack) before it, bit 6 PSH
 *   4 bytes  sequence number, big-endian (and, bit 5, the acknowledgment number)
 *   2 bytes  payload length, big-endian (cut to what is left of the input)
 *   payload
 * and a final reasm_flush. Besides the sanitizers, it checks the invariants:
 * delivered and gap counters match the deliveries, one GAP flag per counted gap,
 * FIN/RST are single empty events after which nothing is delivered, the budget
 * is never exceeded and is all returned, nothing stays buffered after a flush,
 * and every delivered byte is the first copy seen of its sequence number (a
 * model keyed by direction and sequence number, off once data was dropped as
 * out of window or a direction advanced 2^31 bytes).
 */
#include "config.h"

#include "reasm/reasm.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "decode/decode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* First copy of each (direction, sequence number): open addressing, key + 1 (0 = free). */
struct model {
    uint64_t *key;
    uint8_t *val;
    size_t mask;
    bool open[2], dead[2], syn_only[2];
    uint32_t start[2];
};

static bool model_get(const struct model *m, uint64_t k, uint8_t *v)
{
    for (size_t i = (size_t)(k * 0x9E3779B97F4A7C15ull >> 20) & m->mask;; i = (i + 1) & m->mask) {
        if (m->key[i] == 0)
            return false;
        if (m->key[i] == k + 1) {
            *v = m->val[i];
            return true;
        }
    }
}

static void model_put_first(struct model *m, uint64_t k, uint8_t v)
{
    for (size_t i = (size_t)(k * 0x9E3779B97F4A7C15ull >> 20) & m->mask;; i = (i + 1) & m->mask) {
        if (m->key[i] == k + 1)
            return;
        if (m->key[i] == 0) {
            m->key[i] = k + 1;
            m->val[i] = v;
            return;
        }
    }
}

/* Mirrors how reasm opens a direction and where segment data starts. */
static void model_segment(struct model *m, int dir, uint32_t seq, uint8_t flags,
                          const uint8_t *p, size_t n)
{
    bool bare_syn = (flags & DEC_TCP_SYN) && n == 0 && !(flags & DEC_TCP_FIN);

    if (flags & DEC_TCP_RST) {
        if (!m->open[dir])
            m->dead[dir] = true;
        m->syn_only[dir] = false;
        return;
    }
    if (flags & DEC_TCP_SYN)
        seq++;
    if (m->syn_only[dir] && bare_syn)
        m->start[dir] = seq;                /* a SYN again with another ISN: it starts there */
    if (n || (flags & DEC_TCP_FIN))
        m->syn_only[dir] = false;
    if (!m->open[dir]) {
        if (m->dead[dir] || (n == 0 && !(flags & (DEC_TCP_SYN | DEC_TCP_FIN))))
            return;
        if (n == 1 && !(flags & (DEC_TCP_SYN | DEC_TCP_FIN | DEC_TCP_PSH)))
            return;                         /* a keep-alive probe */
        m->open[dir] = true;
        m->start[dir] = seq;
        m->syn_only[dir] = bare_syn;
    }
    for (size_t i = 0; i < n; i++)
        model_put_first(m, (uint64_t)dir << 32 | (uint32_t)(seq + (uint32_t)i), p[i]);
}

struct fz {
    struct reasm *r;
    struct model m;
    uint64_t now;               /* index of the segment being fed */
    uint64_t n[2];              /* bytes delivered */
    uint64_t gap_flags;
    bool ended[2], fin[2], rst[2];
};

static void fz_deliver(void *arg, int dir, const uint8_t *p, size_t n, uint64_t ts, uint64_t pkt,
                       uint32_t flags)
{
    struct fz *f = arg;
    const struct reasm_stats *st = reasm_stats(f->r);
    uint64_t pos;

    if (dir != 0 && dir != 1)
        abort();
    if (ts != pkt || pkt > f->now)
        abort();
    if (flags & REASM_F_GAP)
        f->gap_flags++;
    if (flags & (REASM_F_FIN | REASM_F_RST)) {
        if (n != 0 || p != NULL)
            abort();
        if (((flags & REASM_F_FIN) && f->fin[dir]) || ((flags & REASM_F_RST) && f->rst[dir]))
            abort();
        if ((flags & REASM_F_FIN) && (f->ended[dir] || (flags & REASM_F_RST)))
            abort();                /* a FIN never follows the end of its direction */
        f->fin[dir] |= (flags & REASM_F_FIN) != 0;
        f->rst[dir] |= (flags & REASM_F_RST) != 0;
        f->ended[dir] = true;
        return;
    }
    if (n == 0 || p == NULL || f->ended[dir] || !f->m.open[dir])
        abort();
    pos = f->n[dir] + st->gap_bytes[dir];
    if (st->anomalies[REASM_A_WINDOW] == 0 && pos + n <= 0x80000000u) {
        for (size_t i = 0; i < n; i++) {
            uint32_t seq = f->m.start[dir] + (uint32_t)(pos + i);
            uint8_t v;

            if (!model_get(&f->m, (uint64_t)dir << 32 | seq, &v) || v != p[i])
                abort();
        }
    }
    f->n[dir] += n;
}

static void fz_check(const struct fz *f, const struct reasm_budget *b)
{
    const struct reasm_stats *st = reasm_stats(f->r);

    if (b->used > b->limit)
        abort();
    if (st->delivered[0] != f->n[0] || st->delivered[1] != f->n[1])
        abort();
    if (st->anomalies[REASM_A_GAP] != f->gap_flags)
        abort();
}

static void fz_flush(struct fz *f, const struct reasm_budget *b)
{
    reasm_flush(f->r);
    fz_check(f, b);
    if (reasm_buffered(f->r, 0) != 0 || reasm_buffered(f->r, 1) != 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const size_t caps[4] = { REASM_SEG_OVERHEAD + 16, 300, 4096, LIM_REASM_FLOW };
    static const size_t hists[4] = { 0, 8, 100, LIM_REASM_HISTORY };
    static const size_t budgets[4] = { 0, 200, 2000, LIM_REASM_TOTAL };
    struct reasm_budget budget;
    struct reasm_opts o;
    struct fz f;
    size_t slots = 64;

    if (size < 1)
        return 0;
    while (slots < 2 * size)
        slots *= 2;
    memset(&f, 0, sizeof f);
    f.m.key = calloc(slots, sizeof *f.m.key);
    f.m.val = calloc(slots, 1);
    if (!f.m.key || !f.m.val)
        abort();
    f.m.mask = slots - 1;
    o.flow_cap = caps[data[0] & 3];
    o.history = hists[data[0] >> 2 & 3];
    reasm_budget_init(&budget, budgets[data[0] >> 4 & 3]);
    f.r = reasm_new(&o, (data[0] >> 4 & 3) ? &budget : NULL, fz_deliver, &f);
    if (!f.r)
        abort();
    data++;
    size--;

    while (size >= 7) {
        uint8_t tag = data[0];
        uint32_t seq = (uint32_t)data[1] << 24 | (uint32_t)data[2] << 16 |
                       (uint32_t)data[3] << 8 | data[4];
        size_t len = (size_t)(data[5] << 8 | data[6]);
        uint8_t flags = DEC_TCP_ACK;
        int dir = tag & 1;

        data += 7;
        size -= 7;
        if (len > size)
            len = size;
        if (tag & 0x02)
            flags |= DEC_TCP_FIN;
        if (tag & 0x04)
            flags |= DEC_TCP_SYN;
        if (tag & 0x08)
            flags |= DEC_TCP_RST;
        if (tag & 0x40)
            flags |= DEC_TCP_PSH;
        if (tag & 0x10)
            fz_flush(&f, &budget);
        if (tag & 0x20) {
            reasm_ack(f.r, dir, seq);
            fz_check(&f, &budget);
        }
        f.now++;
        model_segment(&f.m, dir, seq, flags, data, len);
        reasm_segment(f.r, dir, seq, flags, len ? data : NULL, len, f.now, f.now);
        fz_check(&f, &budget);
        data += len;
        size -= len;
    }
    fz_flush(&f, &budget);
    reasm_free(f.r);
    if (budget.used != 0)
        abort();
    free(f.m.key);
    free(f.m.val);
    return 0;
}
