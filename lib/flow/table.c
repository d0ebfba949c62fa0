/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: flow keys, the stream life-cycle rules and the flow hash table.
 *
 * The table is open addressing with linear probing and backward-shift
 * deletion, keyed with a per-table random seed (crafted traffic cannot pile
 * its flows into one probe run); slots keep the hash beside the pointer so
 * a probe rarely touches a flow that does not match. Flows sit in one of
 * two lists by timeout class: "short" (UDP, and TCP after RST/FIN both ways)
 * and "long" (open TCP), in the order they were queued. Activity does not
 * move a flow (that would touch its neighbours on every packet); a head
 * that was active since it was queued is requeued when eviction looks at
 * it, so eviction still finds the least recently active flow of each list.
 * Each clock (capture interface) has its own two lists, and a packet
 * evicts only flows of its own clock (flow.h).
 */
#include "config.h"

#include "flow.h"

#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "base/hash.h"
#include "base/slab.h"
#include "base/xalloc.h"
#include "decode/decode.h"

enum { LRU_SHORT = 0, LRU_LONG = 1, LRU_N = 2 };

struct lru {
    struct flow *head, *tail;   /* head = least recently active */
};

struct slot {
    uint64_t hash;              /* the flow's hash_fixed, to skip others without a miss */
    struct flow *f;
};

struct flow_table {
    struct flow_opts o;
    struct slot *slot;
    size_t mask;                /* slots - 1 (power of two) */
    size_t count;
    uint64_t seed;
    struct lru *lru;            /* LRU_N lists per clock: [clock * LRU_N + list] */
    size_t nclock;              /* clocks the lists are allocated for */
    struct slab flows;
};

int flow_key_make(uint8_t ipver, uint8_t proto, const uint8_t a[16], uint16_t pa,
                  const uint8_t b[16], uint16_t pb, struct flow_key *key)
{
    int cmp = memcmp(a, b, 16), side;

    if (cmp == 0)
        cmp = (pa > pb) - (pa < pb);
    side = cmp > 0;
    memset(key, 0, sizeof *key);
    key->ipver = ipver;
    key->proto = proto;
    memcpy(key->addr[side], a, 16);
    memcpy(key->addr[1 - side], b, 16);
    key->port[side] = pa;
    key->port[1 - side] = pb;
    return side;
}

int flow_key_from(const struct dec_pkt *p, struct flow_key *key)
{
    return flow_key_make(p->ipver, p->proto, p->src, p->sport, p->dst, p->dport, key);
}

static bool flow_closed(const struct flow *f)
{
    return (f->flags & FLOW_F_RST) || (f->flags & (FLOW_F_FIN0 | FLOW_F_FIN1)) ==
                                          (FLOW_F_FIN0 | FLOW_F_FIN1);
}

static uint64_t flow_timeout(const struct flow_opts *o, const struct flow *f)
{
    if (f->key.proto != 6)
        return o->udp_idle_ns;
    return flow_closed(f) ? o->tcp_closed_ns : o->tcp_idle_ns;
}

enum flow_verdict flow_classify(const struct flow *f, const struct flow_opts *o,
                                const struct dec_pkt *p, int side, uint64_t ts_ns)
{
    if (ts_ns > f->last_ns && ts_ns - f->last_ns > flow_timeout(o, f))
        return FLOW_NEW;
    if (f->key.proto == 6 && p->has_flags &&
        (p->tcp_flags & (DEC_TCP_SYN | DEC_TCP_ACK)) == DEC_TCP_SYN) {
        if (f->flags & (FLOW_F_RST | FLOW_F_FIN0 | FLOW_F_FIN1))
            return FLOW_NEW;
        if ((f->flags & (side == 0 ? FLOW_F_BASE0 : FLOW_F_BASE1)) && p->seq != f->base_seq[side])
            return FLOW_NEW;
    }
    return FLOW_SAME;
}

void flow_update(struct flow *f, const struct dec_pkt *p, int side, uint64_t ts_ns)
{
    if (ts_ns > f->last_ns)
        f->last_ns = ts_ns;
    if (f->key.proto != 6 || !p->has_flags)
        return;
    if (!(f->flags & (side == 0 ? FLOW_F_BASE0 : FLOW_F_BASE1))) {
        f->flags |= side == 0 ? FLOW_F_BASE0 : FLOW_F_BASE1;
        f->base_seq[side] = (p->tcp_flags & DEC_TCP_SYN) ? p->seq : p->seq - 1;
    }
    if ((p->tcp_flags & (DEC_TCP_SYN | DEC_TCP_ACK)) == DEC_TCP_SYN)
        f->flags |= FLOW_F_SYN;
    if (p->tcp_flags & DEC_TCP_FIN)
        f->flags |= side == 0 ? FLOW_F_FIN0 : FLOW_F_FIN1;
    if (p->tcp_flags & DEC_TCP_RST)
        f->flags |= FLOW_F_RST;
}

void flow_restart(struct flow *f)
{
    f->flags = 0;
    f->base_seq[0] = f->base_seq[1] = 0;
}

/* ---------------------------------------------------------------- table */

struct flow_table *flow_table_new(const struct flow_opts *o, struct region *r)
{
    struct flow_table *t = xcalloc(1, sizeof *t);

    t->o = *o;
    t->mask = 1024 - 1;
    t->slot = xcalloc(t->mask + 1, sizeof *t->slot);
    slab_init(&t->flows, sizeof(struct flow), 4096, r);
    if (getrandom(&t->seed, sizeof t->seed, 0) != (ssize_t)sizeof t->seed)
        t->seed = (uint64_t)(uintptr_t)t ^ 0x9e3779b97f4a7c15ull;
    return t;
}

void flow_table_free(struct flow_table *t)
{
    if (!t)
        return;
    slab_release(&t->flows);
    free(t->slot);
    free(t->lru);
    free(t);
}

size_t flow_table_count(const struct flow_table *t)
{
    return t->count;
}

static size_t home_slot(const struct flow_table *t, uint64_t hash)
{
    return (size_t)(hash_mix(hash ^ t->seed) & t->mask);
}

static void grow(struct flow_table *t)
{
    struct slot *old = t->slot;
    size_t oldn = t->mask + 1;

    t->mask = oldn * 2 - 1;
    t->slot = xcalloc(t->mask + 1, sizeof *t->slot);
    for (size_t i = 0; i < oldn; i++) {
        size_t j;

        if (!old[i].f)
            continue;
        j = home_slot(t, old[i].hash);
        while (t->slot[j].f)
            j = (j + 1) & t->mask;
        t->slot[j] = old[i];
    }
    free(old);
}

void flow_prefetch(const struct flow_table *t, uint64_t hash)
{
    __builtin_prefetch(&t->slot[home_slot(t, hash)]);
}

struct flow *flow_find(struct flow_table *t, const struct flow_key *key, uint64_t hash)
{
    size_t i = home_slot(t, hash);

    for (;;) {
        struct slot *sl = &t->slot[i];

        if (!sl->f)
            return NULL;
        if (sl->hash == hash && memcmp(&sl->f->key, key, sizeof *key) == 0)
            return sl->f;
        i = (i + 1) & t->mask;
    }
}

/* The lists of clock, allocated (empty) when it is the first flow of that clock. */
static struct lru *lru_lists(struct flow_table *t, uint32_t clock)
{
    if (clock >= t->nclock) {
        size_t n = t->nclock ? t->nclock : 4;

        while (n <= clock)
            n *= 2;
        t->lru = xrealloc(t->lru, n * LRU_N * sizeof *t->lru);
        memset(t->lru + t->nclock * LRU_N, 0, (n - t->nclock) * LRU_N * sizeof *t->lru);
        t->nclock = n;
    }
    return &t->lru[(size_t)clock * LRU_N];
}

static void lru_unlink(struct flow_table *t, struct flow *f)
{
    struct lru *l = &t->lru[(size_t)f->clock * LRU_N + f->lru];

    if (f->lru_prev)
        f->lru_prev->lru_next = f->lru_next;
    else
        l->head = f->lru_next;
    if (f->lru_next)
        f->lru_next->lru_prev = f->lru_prev;
    else
        l->tail = f->lru_prev;
    f->lru_prev = f->lru_next = NULL;
}

/* Queues f at the tail of list which of its clock (f->clock). */
static void lru_push(struct flow_table *t, struct flow *f, uint8_t which)
{
    struct lru *l = &lru_lists(t, f->clock)[which];

    f->lru = which;
    f->lru_next = NULL;
    f->lru_prev = l->tail;
    if (l->tail)
        l->tail->lru_next = f;
    else
        l->head = f;
    l->tail = f;
}

static uint8_t lru_of(const struct flow *f)
{
    return (f->key.proto != 6 || flow_closed(f)) ? LRU_SHORT : LRU_LONG;
}

struct flow *flow_insert(struct flow_table *t, const struct flow_key *key, uint64_t hash,
                         uint64_t ts_ns, uint32_t clock)
{
    struct flow *f;
    size_t i;

    if ((t->count + 1) * 4 > (t->mask + 1) * 3)
        grow(t);
    f = slab_alloc(&t->flows);
    f->key = *key;
    f->hash = hash;
    f->last_ns = ts_ns;
    i = home_slot(t, hash);
    while (t->slot[i].f)
        i = (i + 1) & t->mask;
    t->slot[i].hash = hash;
    t->slot[i].f = f;
    t->count++;
    f->clock_ns = f->queued_ns = ts_ns;
    f->clock = clock;
    lru_push(t, f, lru_of(f));
    return f;
}

void flow_touch(struct flow_table *t, struct flow *f, uint64_t ts_ns, uint32_t clock)
{
    uint8_t which = lru_of(f);

    /*
     * Lazy LRU: activity only updates clock_ns; the flow is moved to the
     * tail when it reaches the head (flow_expired). Only a change of
     * timeout class (open TCP -> closed) or of clock moves it now. On
     * another clock the flow is as recent as this packet: its newest time
     * may be another clock's (hours ahead, or before a step back), which
     * would hold it at the head of this clock's lists, never idle by this
     * clock's times, and every flow queued behind it with it.
     */
    if (clock != f->clock)
        f->clock_ns = ts_ns;
    else if (ts_ns > f->clock_ns)
        f->clock_ns = ts_ns;
    if (which != f->lru || clock != f->clock) {
        lru_unlink(t, f);
        f->queued_ns = f->clock_ns;
        f->clock = clock;
        lru_push(t, f, which);
    }
}

struct flow *flow_expired(struct flow_table *t, uint64_t now_ns, uint32_t clock)
{
    struct flow *best = NULL;
    struct lru *lists;

    if (clock >= t->nclock)
        return NULL;            /* no flow has had a packet of this clock */
    lists = &t->lru[(size_t)clock * LRU_N];
    for (int l = 0; l < LRU_N; l++) {
        struct flow *f;

        /* requeue heads that saw activity since they were queued */
        while ((f = lists[l].head) != NULL && f->clock_ns > f->queued_ns &&
               !(now_ns > f->clock_ns && now_ns - f->clock_ns > flow_timeout(&t->o, f))) {
            lru_unlink(t, f);
            f->queued_ns = f->clock_ns;
            lru_push(t, f, (uint8_t)l);
        }
        if (!f || now_ns <= f->clock_ns || now_ns - f->clock_ns <= flow_timeout(&t->o, f))
            continue;
        if (!best || f->clock_ns < best->clock_ns)
            best = f;
    }
    return best;
}

void flow_clock_back(struct flow_table *t, uint32_t clock, uint64_t back)
{
    if (clock >= t->nclock)
        return;
    /* the same for every flow of the clock: its lists stay in order */
    for (int l = 0; l < LRU_N; l++) {
        for (struct flow *f = t->lru[(size_t)clock * LRU_N + l].head; f; f = f->lru_next) {
            f->clock_ns = f->clock_ns > back ? f->clock_ns - back : 0;
            f->queued_ns = f->queued_ns > back ? f->queued_ns - back : 0;
        }
    }
}

void flow_remove(struct flow_table *t, struct flow *f)
{
    size_t i = home_slot(t, f->hash), j;

    while (t->slot[i].f != f)
        i = (i + 1) & t->mask;
    /* backward-shift deletion keeps every probe run unbroken */
    j = i;
    for (;;) {
        size_t k;

        j = (j + 1) & t->mask;
        if (!t->slot[j].f)
            break;
        k = home_slot(t, t->slot[j].hash);
        if (hash_shift_moves(k, i, j)) {
            t->slot[i] = t->slot[j];
            i = j;
        }
    }
    t->slot[i].f = NULL;
    t->slot[i].hash = 0;
    t->count--;
    lru_unlink(t, f);
    slab_free(&t->flows, f);
}

void flow_each(struct flow_table *t, void (*fn)(struct flow *f, void *arg), void *arg)
{
    for (size_t l = 0; l < t->nclock * LRU_N; l++) {
        struct flow *f = t->lru[l].head;

        while (f) {
            struct flow *next = f->lru_next;

            fn(f, arg);
            f = next;
        }
    }
}
