/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: IP fragment reassembly (see defrag.h).
 *
 * A slot holds one datagram: a buffer of DEFRAG_MAX bytes, allocated when
 * the slot is first used, and a bitmap of the 8-byte blocks received.
 * Fragment data lengths are multiples of 8 except in the last fragment, so
 * blocks are the unit of "received"; the datagram is complete when its
 * length is known (the fragment without MF) and every block up to it is in.
 */
#include "config.h"

#include "decode/defrag.h"

#include <stdlib.h>
#include <string.h>

#include "decode/decode.h"

#define BLOCKS ((DEFRAG_MAX + 7u) / 8u)

struct slot {
    bool used;
    uint8_t side;
    uint32_t id;
    uint64_t age;               /* when it was started (a counter) */
    uint32_t total;             /* datagram length, 0 until the last fragment came */
    uint32_t have;              /* blocks received */
    uint32_t part_end;          /* end of the bytes of a short block kept for a flush, or 0 */
    uint64_t first_ts;          /* time and packet number of the first fragment (offset 0) */
    uint32_t first_pkt;
    uint8_t proto;              /* the datagram's first header (dec_pkt.frag_proto) */
    uint8_t *data;
    uint8_t seen[BLOCKS / 8 + 1];
};

struct defrag {
    struct slot s[DEFRAG_SLOTS];
    uint64_t clock;
    uint64_t stamp_ts;          /* of the fragment being added (defrag_stamp) */
    uint32_t stamp_pkt;
    struct defrag_stats st;
};

struct defrag *defrag_new(void)
{
    return calloc(1, sizeof(struct defrag));
}

void defrag_free(struct defrag *f)
{
    if (!f)
        return;
    for (unsigned i = 0; i < DEFRAG_SLOTS; i++)
        free(f->s[i].data);
    free(f);
}

const struct defrag_stats *defrag_stats(const struct defrag *f)
{
    return &f->st;
}

static struct slot *find_slot(struct defrag *f, int side, uint32_t id)
{
    struct slot *old = &f->s[0];

    for (unsigned i = 0; i < DEFRAG_SLOTS; i++) {
        struct slot *s = &f->s[i];

        if (s->used && s->side == side && s->id == id)
            return s;
    }
    for (unsigned i = 0; i < DEFRAG_SLOTS; i++) {
        if (!f->s[i].used) {
            old = &f->s[i];
            break;
        }
        if (f->s[i].age < old->age)
            old = &f->s[i];
    }
    if (old->used)
        f->st.dropped++;
    if (!old->data) {
        old->data = malloc(DEFRAG_MAX);
        if (!old->data)
            return NULL;
    }
    old->used = true;
    old->side = (uint8_t)side;
    old->id = id;
    old->age = f->clock++;
    old->total = 0;
    old->have = 0;
    old->part_end = 0;
    memset(old->seen, 0, sizeof old->seen);
    return old;
}

bool defrag_add(struct defrag *f, int side, const struct dec_pkt *dp, const uint8_t *frame,
                size_t caplen, const uint8_t **out, size_t *outlen)
{
    struct slot *s;
    uint32_t off = dp->frag_off, len = dp->frag_data_len, end;

    if (!dp->frag || dp->frag_data_off > caplen || len > caplen - dp->frag_data_off)
        return false;
    end = off + len;
    if (end > DEFRAG_MAX) {
        f->st.dropped++;
        return false;
    }
    s = find_slot(f, side, dp->frag_id);
    if (!s)
        return false;
    if (off == 0) {
        s->first_ts = f->stamp_ts;
        s->first_pkt = f->stamp_pkt;
        s->proto = dp->frag_proto;
    }
    if (!dp->frag_more) {
        if (s->total && s->total != end)
            f->st.overlaps++;   /* two different ends: keep the first */
        else
            s->total = end;
    }
    for (uint32_t b = off / 8; b * 8 < end; b++) {
        uint32_t bs = b * 8, be = bs + 8 < end ? bs + 8 : end;

        if (s->seen[b / 8] & (1u << (b % 8))) {
            f->st.overlaps++;
            continue;
        }
        if (be - bs < 8 && dp->frag_more) {
            /* a short block inside the datagram (its fragment cut by the snaplen): wait
             * for a full copy, keeping the bytes for defrag_flush */
            if (be > s->part_end) {
                memcpy(s->data + bs, frame + dp->frag_data_off + (bs - off), be - bs);
                s->part_end = be;
            }
            continue;
        }
        memcpy(s->data + bs, frame + dp->frag_data_off + (bs - off), be - bs);
        s->seen[b / 8] = (uint8_t)(s->seen[b / 8] | (1u << (b % 8)));
        s->have++;
    }
    if (!s->total || s->have < (s->total + 7) / 8)
        return false;
    for (uint32_t b = 0; b * 8 < s->total; b++) {
        if (!(s->seen[b / 8] & (1u << (b % 8))))
            return false;
    }
    s->used = false;
    f->st.datagrams++;
    *out = s->data;
    *outlen = s->total;
    return true;
}

void defrag_stamp(struct defrag *f, uint64_t ts, uint32_t pkt)
{
    f->stamp_ts = ts;
    f->stamp_pkt = pkt;
}

void defrag_flush(struct defrag *f, defrag_flush_fn fn, void *arg)
{
    for (;;) {
        struct slot *s = NULL;
        uint32_t b = 0;
        size_t n;

        for (unsigned i = 0; i < DEFRAG_SLOTS; i++) {
            if (f->s[i].used && (!s || f->s[i].age < s->age))
                s = &f->s[i];
        }
        if (!s)
            return;
        s->used = false;
        while (b < BLOCKS && (s->seen[b / 8] & (1u << (b % 8))))
            b++;
        n = (size_t)b * 8;
        /* the bytes of a short block right after the whole ones, if one came */
        if (s->part_end > n && s->part_end < n + 8)
            n = s->part_end;
        if (s->total && n > s->total)
            n = s->total;
        if (n)
            fn(arg, s->side, s->proto, s->data, n, s->first_ts, s->first_pkt);
    }
}
