/* SPDX-License-Identifier: BSD-2-Clause */
/* summary: unit tests of lib/flow: keys, stream life-cycle rules, the table, eviction */
#include "config.h"

#include "t.h"

#include "base/hash.h"
#include "decode/decode.h"
#include "flow/flow.h"

#define S 1000000000ull

static const struct flow_opts opts = { 60 * S, 3600 * S, 60 * S };

static struct dec_pkt pkt(uint8_t proto, uint32_t src, uint16_t sport, uint32_t dst,
                          uint16_t dport, uint8_t flags, uint32_t seq)
{
    struct dec_pkt p;

    memset(&p, 0, sizeof p);
    p.ipver = 4;
    p.proto = proto;
    p.has_ports = true;
    p.has_flags = proto == 6;
    memcpy(p.src, &src, 4);
    memcpy(p.dst, &dst, 4);
    p.sport = sport;
    p.dport = dport;
    p.tcp_flags = flags;
    p.seq = seq;
    return p;
}

TEST(key_is_bidirectional)
{
    struct dec_pkt a = pkt(6, 0x0100000a, 40000, 0x0200000a, 80, DEC_TCP_SYN, 1);
    struct dec_pkt b = pkt(6, 0x0200000a, 80, 0x0100000a, 40000, DEC_TCP_SYN | DEC_TCP_ACK, 9);
    struct flow_key ka, kb;
    int sa = flow_key_from(&a, &ka), sb = flow_key_from(&b, &kb);

    T_MEMEQ(&ka, &kb, sizeof ka);
    T_TRUE(sa != sb);
    T_EQ(hash_fixed(&ka, sizeof ka), hash_fixed(&kb, sizeof kb));
}

TEST(same_address_orders_by_port)
{
    struct dec_pkt a = pkt(17, 0x0100007f, 5000, 0x0100007f, 53, 0, 0);
    struct dec_pkt b = pkt(17, 0x0100007f, 53, 0x0100007f, 5000, 0, 0);
    struct flow_key ka, kb;

    flow_key_from(&a, &ka);
    flow_key_from(&b, &kb);
    T_MEMEQ(&ka, &kb, sizeof ka);
    T_EQ(ka.port[0], 53);
}

static struct flow *start(struct flow_table *t, struct dec_pkt *p, uint64_t ts, int *side)
{
    struct flow_key k;
    struct flow *f;

    *side = flow_key_from(p, &k);
    f = flow_insert(t, &k, hash_fixed(&k, sizeof k), ts, 0);
    flow_update(f, p, *side, ts);
    return f;
}

TEST(tcp_reuse_rules)
{
    struct flow_table *t = flow_table_new(&opts, NULL);
    struct dec_pkt syn = pkt(6, 0x0100000a, 40000, 0x0200000a, 80, DEC_TCP_SYN, 1000);
    struct dec_pkt fin = pkt(6, 0x0100000a, 40000, 0x0200000a, 80, DEC_TCP_FIN | DEC_TCP_ACK, 1500);
    struct dec_pkt syn2 = pkt(6, 0x0100000a, 40000, 0x0200000a, 80, DEC_TCP_SYN, 777);
    int side;
    struct flow *f = start(t, &syn, 1 * S, &side);

    /* a retransmitted SYN (same ISN) stays; a SYN with another ISN starts anew */
    T_EQ(flow_classify(f, &opts, &syn, side, 2 * S), FLOW_SAME);
    T_EQ(flow_classify(f, &opts, &syn2, side, 2 * S), FLOW_NEW);
    /* after a FIN, any SYN starts a new stream; other packets stay */
    flow_update(f, &fin, side, 3 * S);
    T_EQ(flow_classify(f, &opts, &fin, side, 4 * S), FLOW_SAME);
    T_EQ(flow_classify(f, &opts, &syn, side, 4 * S), FLOW_NEW);
    flow_restart(f);
    flow_update(f, &syn, side, 5 * S);
    T_EQ(flow_classify(f, &opts, &syn, side, 6 * S), FLOW_SAME);
    /* an hour and a second of silence */
    T_EQ(flow_classify(f, &opts, &fin, side, 5 * S + 3601 * S), FLOW_NEW);
    flow_table_free(t);
}

TEST(tcp_midstream_syn)
{
    struct flow_table *t = flow_table_new(&opts, NULL);
    struct dec_pkt data = pkt(6, 0x0100000a, 40000, 0x0200000a, 80, DEC_TCP_ACK, 5001);
    struct dec_pkt syn_same = pkt(6, 0x0100000a, 40000, 0x0200000a, 80, DEC_TCP_SYN, 5000);
    struct dec_pkt syn_other = pkt(6, 0x0100000a, 40000, 0x0200000a, 80, DEC_TCP_SYN, 1);
    int side;
    struct flow *f = start(t, &data, 1 * S, &side);

    /* the first segment sets the base to seq - 1, as tshark does */
    T_EQ(flow_classify(f, &opts, &syn_same, side, 2 * S), FLOW_SAME);
    T_EQ(flow_classify(f, &opts, &syn_other, side, 2 * S), FLOW_NEW);
    flow_table_free(t);
}

TEST(udp_idle_timeout)
{
    struct flow_table *t = flow_table_new(&opts, NULL);
    struct dec_pkt q = pkt(17, 0x0100000a, 5353, 0x0200000a, 53, 0, 0);
    int side;
    struct flow *f = start(t, &q, 10 * S, &side);

    T_EQ(flow_classify(f, &opts, &q, side, 70 * S), FLOW_SAME);      /* exactly 60 s */
    T_EQ(flow_classify(f, &opts, &q, side, 70 * S + 1), FLOW_NEW);
    T_EQ(flow_classify(f, &opts, &q, side, 5 * S), FLOW_SAME);       /* time going back */
    flow_table_free(t);
}

TEST(table_many_insert_find_remove)
{
    struct flow_table *t = flow_table_new(&opts, NULL);
    enum { N = 20000 };
    int side;

    for (uint32_t i = 0; i < N; i++) {
        struct dec_pkt p = pkt(17, 0x0100000a + i, (uint16_t)(1024 + i % 5000), 0x0200000a, 53,
                              0, 0);

        start(t, &p, 1 * S, &side);
    }
    T_EQ(flow_table_count(t), N);
    /* remove every third, then all others must still be found */
    for (uint32_t i = 0; i < N; i += 3) {
        struct dec_pkt p = pkt(17, 0x0100000a + i, (uint16_t)(1024 + i % 5000), 0x0200000a, 53,
                              0, 0);
        struct flow_key k;
        struct flow *f;

        flow_key_from(&p, &k);
        f = flow_find(t, &k, hash_fixed(&k, sizeof k));
        T_TRUE(f != NULL);
        if (f)
            flow_remove(t, f);
    }
    for (uint32_t i = 0; i < N; i++) {
        struct dec_pkt p = pkt(17, 0x0100000a + i, (uint16_t)(1024 + i % 5000), 0x0200000a, 53,
                              0, 0);
        struct flow_key k;
        struct flow *f;

        flow_key_from(&p, &k);
        f = flow_find(t, &k, hash_fixed(&k, sizeof k));
        T_EQ(f != NULL, i % 3 != 0);
    }
    T_EQ(flow_table_count(t), N - (N + 2) / 3);
    flow_table_free(t);
}

TEST(expiry_oldest_first)
{
    struct flow_table *t = flow_table_new(&opts, NULL);
    struct dec_pkt a = pkt(17, 0x0100000a, 1111, 0x0200000a, 53, 0, 0);
    struct dec_pkt b = pkt(17, 0x0300000a, 2222, 0x0200000a, 53, 0, 0);
    struct dec_pkt c = pkt(6, 0x0400000a, 3333, 0x0200000a, 80, DEC_TCP_SYN, 1);
    int side;
    struct flow *fa = start(t, &a, 1 * S, &side);
    struct flow *fb = start(t, &b, 2 * S, &side);
    struct flow *fc = start(t, &c, 1 * S, &side);

    flow_touch(t, fa, 1 * S, 0);
    flow_touch(t, fb, 2 * S, 0);
    flow_touch(t, fc, 1 * S, 0);
    T_TRUE(flow_expired(t, 61 * S, 0) == NULL);
    T_TRUE(flow_expired(t, 61 * S + 1, 0) == fa);
    flow_remove(t, fa);
    T_TRUE(flow_expired(t, 62 * S + 1, 0) == fb);
    flow_remove(t, fb);
    /* the open TCP flow waits for its hour */
    T_TRUE(flow_expired(t, 100 * S, 0) == NULL);
    T_TRUE(flow_expired(t, 3602 * S, 0) == fc);
    flow_table_free(t);
}

/* Interfaces may keep different clocks: a packet evicts only the flows of its own. */
TEST(expiry_per_clock)
{
    struct flow_table *t = flow_table_new(&opts, NULL);
    struct dec_pkt a = pkt(17, 0x0100000a, 1111, 0x0200000a, 53, 0, 0);
    struct dec_pkt b = pkt(17, 0x0300000a, 2222, 0x0200000a, 53, 0, 0);
    struct flow_key kb;
    int side;
    struct flow *fa = start(t, &a, 1 * S, &side);
    struct flow *fb;

    /* fb's packets come on interface 3, whose clock is two hours ahead of fa's (0) */
    flow_key_from(&b, &kb);
    fb = flow_insert(t, &kb, hash_fixed(&kb, sizeof kb), 7201 * S, 3);
    T_TRUE(flow_expired(t, 7250 * S, 3) == NULL);
    T_TRUE(flow_expired(t, 7300 * S, 5) == NULL);
    T_TRUE(flow_expired(t, 30 * S, 0) == NULL);
    T_TRUE(flow_expired(t, 7300 * S, 0) == fa);
    /* a flow whose packets move to another interface goes with them */
    flow_update(fa, &a, side, 7299 * S);
    flow_touch(t, fa, 7299 * S, 3);
    T_TRUE(flow_expired(t, 7300 * S, 0) == NULL);
    T_TRUE(flow_expired(t, 7260 * S, 3) == NULL);
    T_TRUE(flow_expired(t, 7262 * S, 3) == fb);
    flow_remove(t, fb);
    T_TRUE(flow_expired(t, 7360 * S, 3) == fa);
    flow_table_free(t);
}

/*
 * A flow that moves to a clock behind its own (another interface's) is
 * measured by that clock from then on: it does not hold the flows queued
 * behind it there, and its stream is still one (last_ns stays the newest
 * time, for flow_classify).
 */
TEST(expiry_on_a_clock_behind)
{
    struct flow_table *t = flow_table_new(&opts, NULL);
    struct dec_pkt a = pkt(17, 0x0100000a, 1111, 0x0200000a, 53, 0, 0);
    struct dec_pkt b = pkt(17, 0x0300000a, 2222, 0x0200000a, 53, 0, 0);
    struct flow_key kb;
    int side;
    struct flow *fa = start(t, &a, 600 * S, &side);
    struct flow *fb;

    /* clock 1 starts ten minutes earlier: fa's next packet comes on it, then fb's first */
    T_EQ(flow_classify(fa, &opts, &a, side, 5 * S), FLOW_SAME);
    flow_update(fa, &a, side, 5 * S);
    flow_touch(t, fa, 5 * S, 1);
    T_EQ(fa->last_ns, 600 * S);
    flow_key_from(&b, &kb);
    fb = flow_insert(t, &kb, hash_fixed(&kb, sizeof kb), 10 * S, 1);
    T_TRUE(flow_expired(t, 65 * S, 1) == NULL);
    T_TRUE(flow_expired(t, 65 * S + 1, 1) == fa);
    flow_remove(t, fa);
    T_TRUE(flow_expired(t, 70 * S + 1, 1) == fb);
    flow_table_free(t);
}

/*
 * A clock set back (a later input of the same span): its flows are as idle
 * by the new times as they were by the old ones at the step, and in order.
 */
TEST(expiry_after_clock_back)
{
    const uint64_t t0 = 1700000000 * S;
    struct flow_table *t = flow_table_new(&opts, NULL);
    struct dec_pkt a = pkt(17, 0x0100000a, 1111, 0x0200000a, 53, 0, 0);
    struct dec_pkt b = pkt(17, 0x0300000a, 2222, 0x0200000a, 53, 0, 0);
    struct dec_pkt c = pkt(17, 0x0500000a, 3333, 0x0200000a, 53, 0, 0);
    struct flow_key kc;
    int side;
    struct flow *fa = start(t, &a, t0 + 590 * S, &side);
    struct flow *fb = start(t, &b, t0 + 600 * S, &side);
    struct flow *fc;

    /* the next input starts at t0 + 5 s: 595 s back; fa was 10 s idle then, fb not */
    flow_clock_back(t, 0, 595 * S);
    flow_key_from(&c, &kc);
    fc = flow_insert(t, &kc, hash_fixed(&kc, sizeof kc), t0 + 6 * S, 0);
    T_TRUE(flow_expired(t, t0 + 55 * S, 0) == NULL);
    T_TRUE(flow_expired(t, t0 + 55 * S + 1, 0) == fa);
    flow_remove(t, fa);
    T_TRUE(flow_expired(t, t0 + 65 * S, 0) == NULL);
    T_TRUE(flow_expired(t, t0 + 65 * S + 1, 0) == fb);
    flow_remove(t, fb);
    T_TRUE(flow_expired(t, t0 + 66 * S + 1, 0) == fc);
    /* a step back past a flow's time leaves it as old as can be */
    flow_clock_back(t, 0, t0 + 1000 * S);
    T_TRUE(flow_expired(t, 60 * S + 1, 0) == fc);
    flow_table_free(t);
}

T_MAIN(T_CASE(key_is_bidirectional), T_CASE(same_address_orders_by_port), T_CASE(tcp_reuse_rules),
       T_CASE(tcp_midstream_syn), T_CASE(udp_idle_timeout), T_CASE(table_many_insert_find_remove),
       T_CASE(expiry_oldest_first),
       T_CASE(expiry_per_clock), T_CASE(expiry_on_a_clock_behind),
       T_CASE(expiry_after_clock_back))
