/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: unit tests of the kafka dissector: request headers v1/v2, topics
 * of Produce/Fetch/Metadata (classic and flexible versions), correlation,
 * acks 0, splits, big bodies, gaps and resynchronisation, caps, bids.
 */
#include "config.h"

#include "dissect/dissect.h"

#include <stdio.h>

#include "dsxh.h"
#include "t.h"

/*
 * Messages (built with the protocol guide's layouts; the size field first).
 * APIV: ApiVersions v0 corr 1 client "cli"; MD2: Metadata v2 corr 2 topics
 * t1, topic2; MD1_NULL: Metadata v1 corr 3, null topics (all); MD12:
 * Metadata v12 (flexible) corr 4, topics "orders" and one by id only; P3:
 * Produce v3 corr 5 acks 1 topic "events"; P9: Produce v9 (flexible) corr 6
 * acks -1 topics a, bb; P2_ACKS0: Produce v2 corr 7 acks 0 topic "fire";
 * F4: Fetch v4 corr 8 client "consumer-1" topics x, y; F12: Fetch v12
 * (flexible) corr 9 topic "logs"; BAD_CID: ApiVersions v0 corr 10 whose
 * client id claims 50 bytes of 2. Responses: the correlation id and zeros.
 */
/* 17 bytes */
#define APIV_REQ "\x00\x00\x00\x0d\x00\x12\x00\x00\x00\x00\x00\x01\x00\x03\x63li"
/* 14 bytes */
#define APIV_RESP "\x00\x00\x00\x0a\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00"
/* 33 bytes */
#define MD2_REQ "\x00\x00\x00\x1d\x00\x03\x00\x02\x00\x00\x00\x02\x00" \
                "\x03\x63li\x00\x00\x00\x02\x00\x02t1\x00\x06topic2"
/* 16 bytes */
#define MD2_RESP "\x00\x00\x00\x0c\x00\x00\x00\x02\x00\x00\x00\x00\x00\x00\x00\x00"
/* 21 bytes */
#define MD1_NULL "\x00\x00\x00\x11\x00\x03\x00\x01\x00\x00\x00\x03\x00\x03\x63li\xff\xff\xff\xff"
/* 64 bytes */
#define MD12_REQ "\x00\x00\x00<\x00\x03\x00\x0c\x00\x00\x00\x04\x00\x03\x63li\x00\x03\x00\x00" \
                 "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x07orders\x00\x11\x11" \
                 "\x11\x11\x11\x11\x11\x11\x11\x11\x11\x11\x11\x11\x11\x11\x00\x00\x01\x00\x00"
/* 14 bytes */
#define MD12_RESP "\x00\x00\x00\x0a\x00\x00\x00\x04\x00\x00\x00\x00\x00\x00"
/* 59 bytes */
#define P3_REQ "\x00\x00\x00\x37\x00\x00\x00\x03\x00\x00\x00\x05\x00\x03\x63li" \
               "\xff\xff\x00\x01\x00\x00u0\x00\x00\x00\x01\x00\x06\x65vents" \
               "\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x0aRRRRRRRRRR"
/* 20 bytes */
#define P3_RESP "\x00\x00\x00\x10\x00\x00\x00\x05\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
/* 69 bytes */
#define P9_REQ "\x00\x00\x00\x41\x00\x00\x00\x09\x00\x00\x00\x06\x00\x03\x63li\x00\x00\xff" \
               "\xff\x00\x00u0\x03\x02\x61\x02\x00\x00\x00\x00\x06QQQQQ\x00\x00\x03\x62" \
               "\x62\x03\x00\x00\x00\x00\x06QQQQQ\x00\x00\x00\x00\x00\x06QQQQQ\x00\x00\x00"
/* 12 bytes */
#define P9_RESP "\x00\x00\x00\x08\x00\x00\x00\x06\x00\x00\x00\x00"
/* 55 bytes */
#define P2_ACKS0 "\x00\x00\x00\x33\x00\x00\x00\x02\x00\x00\x00\x07\x00\x03" \
                 "\x63li\x00\x00\x00\x00\x03\xe8\x00\x00\x00\x01\x00\x04\x66ire" \
                 "\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x0aRRRRRRRRRR"
/* 107 bytes */
#define F4_REQ "\x00\x00\x00g\x00\x01\x00\x04\x00\x00\x00\x08\x00\x0a\x63onsumer-1\xff\xff\xff" \
               "\xff\x00\x00\x01\xf4\x00\x00\x00\x01\x03 \x00\x00\x00\x00\x00\x00\x02\x00\x01x" \
               "\x00\x00\x00\x02\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x64\x00\x10\x00" \
               "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x64\x00\x10\x00\x00\x00\x01y" \
               "\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x64\x00\x10\x00\x00"
/* 94 bytes */
#define F12_REQ "\x00\x00\x00Z\x00\x01\x00\x0c\x00\x00\x00\x09\x00\x0a\x63onsumer-1" \
                "\x00\xff\xff\xff\xff\x00\x00\x01\xf4\x00\x00\x00\x01\x03 \x00\x00" \
                "\x00\x00\x00\x00\x00\xff\xff\xff\xff\x02\x05logs\x02\x00\x00\x00\x00" \
                "\xff\xff\xff\xff\x00\x00\x00\x00\x00\x00\x00\x05\xff\xff\xff\xff\xff" \
                "\xff\xff\xff\xff\xff\xff\xff\x00\x10\x00\x00\x00\x00\x01\x01\x00"
/* 16 bytes */
#define BAD_CID "\x00\x00\x00\x0c\x00\x12\x00\x00\x00\x00\x00\x0a\x00\x32\x61\x62"

#define T0 1700000000000000000ull
#define MS 1000000ull
#define PORT 9092

static char *run(const struct dsxh_seg *s, size_t n)
{
    return dsxh_run(&dsx_kafka, false, PORT, s, n);
}

#define PROTO \
    "{\"name\":\"kafka\",\"version\":\"\",\"abbr\":\"KAFKA\",\"longName\":\"Apache Ka" \
    "fka Protocol\",\"layer4\":\"tcp\"}"

/* Shared by the dissector tests (dsxh.h). */
#define count_lines(o) dsxh_count_lines(o)
#define line(o, i) dsxh_line(o, i)
#define body(l) dsxh_body(l)
/* The expected line of an entry (dsxh_expect: idx, fwd, rq, rqe, rs, rse, req, resp, ...). */
#define X(...) dsxh_expect(PROTO, PORT, __VA_ARGS__)

/* Checks that every split of segs gives the entries of the whole run. */
static void check_splits(const struct dsxh_seg *segs, size_t n)
{
    T_EQ(dsxh_split_mismatches(&dsx_kafka, false, PORT, segs, n), 0);
}

/* ------------------------------------------------------------------ tests */

#define REQ(key, name, ver, corr, cid, rest)                                                  \
    "{\"apiKey\":" #key ",\"apiKeyName\":\"" name "\",\"apiVersion\":" #ver                  \
    ",\"correlationId\":" #corr ",\"clientId\":\"" cid "\"" rest "}"
#define RESP(corr, size) "{\"correlationId\":" #corr ",\"size\":" #size "}"

TEST(registered_and_bids)
{
    static const uint8_t k75[] = "\x00\x00\x00\x0d\x00\x4b\x00\x00\x00\x00\x00\x01\x00\x03" "cli";
    static const uint8_t v21[] = "\x00\x00\x00\x0d\x00\x12\x00\x15\x00\x00\x00\x01\x00\x03" "cli";
    static const uint8_t bin[] = "\x00\x00\x00\x0d\x00\x12\x00\x00\x00\x00\x00\x01\x00\x03"
                                 "c\x01i";

    T_TRUE(dsx_find("kafka") == &dsx_kafka);
#define BID(s, n) dsx_kafka.bid((const uint8_t *)(s), (n), 0, false)
    T_EQ(BID(APIV_REQ, 17), DSX_WEAK);
    T_EQ(BID(MD12_REQ, 64), DSX_WEAK);
    T_EQ(BID(APIV_REQ, 13), DSX_MORE);
    T_EQ(BID(k75, 17), DSX_NO);
    T_EQ(BID(v21, 17), DSX_NO);
    T_EQ(BID(bin, 17), DSX_NO);
    T_EQ(BID(BAD_CID, 16), DSX_NO);
    T_EQ(BID("GET / HTTP/1.1\r\n", 16), DSX_NO);
    T_EQ(BID("\x00\x00\x00\x05\x00\x12\x00\x00\x00\x00\x00\x01\x00\x00", 14), DSX_NO);
    T_EQ(dsx_kafka.bid((const uint8_t *)APIV_REQ, 17, 0, true), DSX_NO);
#undef BID
}

TEST(api_versions)
{
    struct dsxh_seg s[] = { { 0, APIV_REQ, 17, 0, 0 }, { 1, APIV_RESP, 14, 0, 0 } };
    char *o = run(s, 2);

    T_EQ(count_lines(o), 1);
    T_STREQ(line(o, 0), X(0, true, 0, 0, 1, 1, REQ(18, "ApiVersions", 0, 1, "cli", ""),
                          RESP(1, 10), 17, 14, ""));
    free(o);
}

TEST(topics_and_correlation)
{
    struct dsxh_seg s[] = {
        { 0, MD2_REQ MD12_REQ P3_REQ P9_REQ F4_REQ F12_REQ, 33 + 64 + 59 + 69 + 107 + 94, 0, 0 },
        { 1, P9_RESP P3_RESP MD12_RESP MD2_RESP, 12 + 20 + 14 + 16, 0, 0 },
    };
    char *o = run(s, 2);

    T_EQ(count_lines(o), 6);
    T_STREQ(line(o, 0), X(0, true, 0, 0, 1, 1,
                          REQ(3, "Metadata", 2, 2, "cli", ",\"topics\":[\"t1\",\"topic2\"]"),
                          RESP(2, 12), 33, 16, ""));
    T_STREQ(line(o, 1), X(1, true, 0, 0, 1, 1,
                          REQ(3, "Metadata", 12, 4, "cli", ",\"topics\":[\"orders\"]"),
                          RESP(4, 10), 64, 14, ""));
    T_STREQ(line(o, 2), X(2, true, 0, 0, 1, 1,
                          REQ(0, "Produce", 3, 5, "cli", ",\"topics\":[\"events\"]"),
                          RESP(5, 16), 59, 20, ""));
    T_STREQ(line(o, 3), X(3, true, 0, 0, 1, 1,
                          REQ(0, "Produce", 9, 6, "cli", ",\"topics\":[\"a\",\"bb\"]"), RESP(6, 8),
                          69, 12, ""));
    T_STREQ(line(o, 4), X(4, true, 0, 0, -1, -1,
                          REQ(1, "Fetch", 4, 8, "consumer-1", ",\"topics\":[\"x\",\"y\"]"), "{}",
                          107, 0, "\"no_response\""));
    T_STREQ(line(o, 5), X(5, true, 0, 0, -1, -1,
                          REQ(1, "Fetch", 12, 9, "consumer-1", ",\"topics\":[\"logs\"]"), "{}", 94,
                          0, "\"no_response\""));
    free(o);
}

TEST(acks0_and_null_topics)
{
    struct dsxh_seg s[] = { { 0, P2_ACKS0 MD1_NULL, 55 + 21, 0, 0 } };
    char *o = run(s, 1);

    T_EQ(count_lines(o), 2);
    /* acks 0: no response will come, and none is missing */
    T_STREQ(line(o, 0), X(0, true, 0, 0, -1, -1,
                          REQ(0, "Produce", 2, 7, "cli", ",\"topics\":[\"fire\"]"), "{}", 55, 0,
                          ""));
    /* a null array asks for every topic: no list */
    T_STREQ(line(o, 1), X(1, true, 0, 0, -1, -1, REQ(3, "Metadata", 1, 3, "cli", ""), "{}", 21, 0,
                          "\"no_response\""));
    free(o);
}

TEST(response_without_request)
{
    struct dsxh_seg s[] = {
        { 0, APIV_REQ, 17, 0, 0 },
        { 1, "\x00\x00\x00\x06\x00\x00\x00\x63\x00\x00", 10, 0, 0 },   /* corr 99 */
    };
    char *o = run(s, 2);

    T_EQ(count_lines(o), 2);
    T_STREQ(line(o, 0), X(0, true, 0, 0, -1, -1, REQ(18, "ApiVersions", 0, 1, "cli", ""), "{}",
                          17, 0, "\"no_response\""));
    T_STREQ(line(o, 1), X(1, true, -1, -1, 1, 1, "{}", RESP(99, 6), 0, 10, "\"no_request\""));
    free(o);
}

TEST(server_speaks_first)
{
    /* side 1 (port 9092) sends first: it is dir 0, yet the server */
    struct dsxh_seg s[] = {
        { 1, APIV_RESP, 14, 0, 0 },
        { 0, MD2_REQ, 33, 0, 0 },
        { 1, MD2_RESP, 16, 0, 0 },
    };
    char *o = run(s, 3);

    T_EQ(count_lines(o), 2);
    T_STREQ(line(o, 0), X(0, true, -1, -1, 0, 0, "{}", RESP(1, 10), 0, 14, "\"no_request\""));
    T_STREQ(line(o, 1), X(1, true, 1, 1, 2, 2,
                          REQ(3, "Metadata", 2, 2, "cli", ",\"topics\":[\"t1\",\"topic2\"]"),
                          RESP(2, 12), 33, 16, ""));
    free(o);
}

TEST(splits_give_the_same_entries)
{
    struct dsxh_seg s[] = {
        { 0, APIV_REQ, 17, 0, 0 },
        { 1, APIV_RESP, 14, 0, 0 },
        { 0, P9_REQ F12_REQ, 69 + 94, 0, 0 },
        { 1, P9_RESP, 12, 0, 0 },
        { 0, MD12_REQ, 64, 0, 0 },
        { 1, MD12_RESP, 14, 0, 0 },
    };

    check_splits(s, 6);
}

/*
 * Produce v3, topic "big" with 300 KiB of records (then, with two topics,
 * "small" with no partitions), in 1000-byte segments, and its response;
 * the entry's line, or NULL.
 */
static char *big_produce(int topics, size_t *size, int *nseg)
{
    size_t rn = 300 * 1024, hn = 0, n;
    uint8_t *m = malloc(rn + 64);
    struct dsxh_seg *s = calloc(400, sizeof *s);
    size_t ns = 0;
    char *o;
    static const uint8_t head[] = "\x00\x00\x00\x00\x00\x00\x00\x03\x00\x00\x00\x2a\x00\x03" "cli"
                                  "\xff\xff\x00\x01\x00\x00\x75\x30\x00\x00\x00\x01\x00\x03" "big"
                                  "\x00\x00\x00\x01\x00\x00\x00\x00";

    memcpy(m, head, sizeof head - 1);
    m[28] = (uint8_t)topics;              /* the topic count's last byte */
    hn = sizeof head - 1;
    m[hn++] = (uint8_t)(rn >> 24), m[hn++] = (uint8_t)(rn >> 16), m[hn++] = (uint8_t)(rn >> 8);
    m[hn++] = (uint8_t)rn;
    memset(m + hn, 'r', rn);
    n = hn + rn;
    if (topics == 2) {
        memcpy(m + n, "\x00\x05small\x00\x00\x00\x00", 11);
        n += 11;
    }
    m[0] = (uint8_t)((n - 4) >> 24), m[1] = (uint8_t)((n - 4) >> 16);
    m[2] = (uint8_t)((n - 4) >> 8), m[3] = (uint8_t)(n - 4);
    for (size_t off = 0; off < n; off += 1000) {
        s[ns].side = 0;
        s[ns].p = m + off;
        s[ns].n = n - off < 1000 ? n - off : 1000;
        ns++;
    }
    s[ns].side = 1;
    s[ns].p = "\x00\x00\x00\x04\x00\x00\x00\x2a";
    s[ns].n = 8;
    ns++;
    o = run(s, ns);
    *size = n;
    *nseg = (int)ns;
    free(s);
    free(m);
    return o;
}

TEST(big_produce_is_not_buffered)
{
    size_t n;
    int ns;
    char *o = big_produce(1, &n, &ns);

    T_EQ(count_lines(o), 1);
    /* the header and topics are read once 64 KiB came; the times are still the first byte's */
    T_STREQ(line(o, 0), X(0, true, 0, ns - 2, ns - 1, ns - 1,
                          REQ(0, "Produce", 3, 42, "cli", ",\"topics\":[\"big\"]"), RESP(42, 4),
                          (unsigned)n, 8, ""));
    free(o);
    /* a second topic after the records, past those 64 KiB: the list is cut, and says so */
    o = big_produce(2, &n, &ns);
    T_EQ(count_lines(o), 1);
    T_STREQ(line(o, 0), X(0, true, 0, ns - 2, ns - 1, ns - 1,
                          REQ(0, "Produce", 3, 42, "cli", ",\"topics\":[\"big\"]"), RESP(42, 4),
                          (unsigned)n, 8, "\"truncated\""));
    free(o);
}

TEST(gap_inside_body_keeps_step)
{
    struct dsxh_seg s[] = {
        { 0, P3_REQ, 59, 0, 0 },
        { 1, P3_RESP, 10, 0, 0 },           /* the header and 2 bytes of the body */
        DSXH_GAPSEG(1, 6),
        { 1, P3_RESP + 16, 4, 0, 0 },
        { 0, APIV_REQ, 17, 0, 0 },
        { 1, APIV_RESP, 14, 0, 0 },
    };
    char *o = run(s, 6);

    T_EQ(count_lines(o), 2);
    T_STREQ(line(o, 0), X(0, true, 0, 0, 1, 3,
                          REQ(0, "Produce", 3, 5, "cli", ",\"topics\":[\"events\"]"),
                          RESP(5, 16), 59, 14, "\"gap\""));
    T_STREQ(line(o, 1), X(1, true, 4, 4, 5, 5, REQ(18, "ApiVersions", 0, 1, "cli", ""),
                          RESP(1, 10), 17, 14, ""));
    free(o);
}

TEST(gap_in_requests_resynchronises)
{
    struct dsxh_seg s[] = {
        { 0, APIV_REQ, 17, 0, 0 },
        { 0, P3_REQ, 3, 0, 0 },
        DSXH_GAPSEG(0, 10),
        { 0, P3_REQ + 13, 46, 0, 0 },       /* the rest of P3: no header to be found in it */
        { 0, MD2_REQ, 33, 0, 0 },           /* found again: plausible, and the same client id */
        { 1, APIV_RESP MD2_RESP, 14 + 16, 0, 0 },
    };
    char *o = run(s, 6);

    T_EQ(count_lines(o), 2);
    T_STREQ(line(o, 0), X(0, true, 0, 0, 5, 5, REQ(18, "ApiVersions", 0, 1, "cli", ""),
                          RESP(1, 10), 17, 14, ""));
    T_STREQ(line(o, 1), X(1, true, 4, 4, 5, 5,
                          REQ(3, "Metadata", 2, 2, "cli", ",\"topics\":[\"t1\",\"topic2\"]"),
                          RESP(2, 12), 33, 16, ""));
    free(o);
}

TEST(gap_in_responses_resynchronises)
{
    struct dsxh_seg s[] = {
        { 0, APIV_REQ MD2_REQ, 17 + 33, 0, 0 },
        { 1, APIV_RESP, 5, 0, 0 },
        DSXH_GAPSEG(1, 9),
        { 1, MD2_RESP, 16, 0, 0 },          /* found again: its correlation id is pending */
    };
    char *o = run(s, 4);

    T_EQ(count_lines(o), 2);
    T_STREQ(line(o, 0), X(0, true, 0, 0, -1, -1, REQ(18, "ApiVersions", 0, 1, "cli", ""), "{}",
                          17, 0, "\"gap\",\"no_response\""));
    T_STREQ(line(o, 1), X(1, true, 0, 0, 3, 3,
                          REQ(3, "Metadata", 2, 2, "cli", ",\"topics\":[\"t1\",\"topic2\"]"),
                          RESP(2, 12), 33, 16, "\"gap\""));
    free(o);
}

TEST(bad_size_resynchronises)
{
    struct dsxh_seg s[] = {
        { 0, APIV_REQ, 17, 0, 0 },
        { 0, "\xff\xff\xff\xff\x00\x00\x00\x00" MD2_REQ, 8 + 33, 0, 0 },
    };
    char *o = run(s, 2);

    /* the bad size leaves an entry of its own, malformed, where it was */
    T_EQ(count_lines(o), 3);
    T_STREQ(body(line(o, 1)), "\"request\":{},\"response\":{},\"requestSize\":4,"
                              "\"responseSize\":0,\"anomalies\":[\"malformed\",\"no_response\"]");
    T_STREQ(body(line(o, 2)), "\"request\":" REQ(3, "Metadata", 2, 2, "cli",
                                                 ",\"topics\":[\"t1\",\"topic2\"]")
                              ",\"response\":{},\"requestSize\":33,\"responseSize\":0,"
                              "\"anomalies\":[\"no_response\"]");
    free(o);
}

TEST(bad_response_size_marks_the_waiting)
{
    struct dsxh_seg s[] = {
        { 0, APIV_REQ MD2_REQ, 17 + 33, 0, 0 },
        { 1, "\xff\xff\xff\xff" MD2_RESP, 4 + 16, 0, 0 },
    };
    char *o = run(s, 2);

    /* the answer to ApiVersions may be what broke: it says so; Metadata's is found again */
    T_EQ(count_lines(o), 2);
    T_STREQ(line(o, 0), X(0, true, 0, 0, -1, -1, REQ(18, "ApiVersions", 0, 1, "cli", ""), "{}",
                          17, 0, "\"malformed\",\"no_response\""));
    T_STREQ(line(o, 1), X(1, true, 0, 0, 1, 1,
                          REQ(3, "Metadata", 2, 2, "cli", ",\"topics\":[\"t1\",\"topic2\"]"),
                          RESP(2, 12), 33, 16, "\"malformed\""));
    free(o);
}

TEST(malformed_header)
{
    struct dsxh_seg s[] = { { 0, BAD_CID APIV_REQ, 16 + 17, 0, 0 } };
    char *o = run(s, 1);

    /* the size still frames it: the next request is read */
    T_EQ(count_lines(o), 2);
    T_STREQ(line(o, 0), X(0, true, 0, 0, -1, -1, REQ(18, "ApiVersions", 0, 10, "", ""), "{}", 16,
                          0, "\"malformed\",\"no_response\""));
    T_STREQ(body(line(o, 1)), "\"request\":" REQ(18, "ApiVersions", 0, 1, "cli", "")
                              ",\"response\":{},\"requestSize\":17,\"responseSize\":0,"
                              "\"anomalies\":[\"no_response\"]");
    free(o);
}

TEST(end_of_capture)
{
    struct dsxh_seg s[] = {
        { 0, APIV_REQ MD2_REQ, 17 + 33, 0, 0 },
        { 1, APIV_RESP, 10, 0, 0 },
    };
    char *o = run(s, 2);

    T_EQ(count_lines(o), 2);
    T_STREQ(line(o, 0), X(0, true, 0, 0, 1, 1, REQ(18, "ApiVersions", 0, 1, "cli", ""),
                          RESP(1, 10), 17, 10, "\"truncated\""));
    T_STREQ(line(o, 1), X(1, true, 0, 0, -1, -1,
                          REQ(3, "Metadata", 2, 2, "cli", ",\"topics\":[\"t1\",\"topic2\"]"), "{}",
                          33, 0, "\"no_response\""));
    free(o);
}

TEST(pending_cap)
{
    size_t n = 1025;
    uint8_t *buf = malloc(n * 17);
    struct dsxh_seg s[2] = { { 0, buf, n * 17, 0, 0 }, { 1, APIV_RESP, 14, 0, 0 } };
    char *o;

    for (size_t i = 0; i < n; i++) {
        memcpy(buf + 17 * i, APIV_REQ, 17);
        buf[17 * i + 10] = (uint8_t)(i >> 8);
        buf[17 * i + 11] = (uint8_t)i;
    }
    o = run(s, 2);
    T_EQ(count_lines(o), 1025);
    /* the oldest (corr 0) gives way; corr 1 still gets its response */
    T_STREQ(body(line(o, 0)), "\"request\":" REQ(18, "ApiVersions", 0, 0, "cli", "")
                              ",\"response\":{},\"requestSize\":17,\"responseSize\":0,"
                              "\"anomalies\":[\"cap\",\"no_response\"]");
    T_STREQ(body(line(o, 1)), "\"request\":" REQ(18, "ApiVersions", 0, 1, "cli", "")
                              ",\"response\":" RESP(1, 10) ",\"requestSize\":17,"
                              "\"responseSize\":14,\"anomalies\":[]");
    free(o);
    free(buf);
}

/*
 * Responses in another order than their requests, ids repeated and spread
 * over the whole int32 range: each pairs with the oldest request of its id
 * (the pending ids are a hash set that grows and deletes as they come).
 */
TEST(responses_pair_by_id_in_any_order)
{
    enum { N = 1024, IDS = 1000 };
    uint8_t *rq = malloc(N * 17), *rs = malloc(N * 14);
    struct dsxh_seg s[2] = { { 0, rq, N * 17, 0, 0 }, { 1, rs, N * 14, 0, 0 } };
    size_t paired = 0;
    char *o;

    for (uint32_t i = 0; i < N; i++) {
        /* as many requests as wait at most, 24 ids twice; the responses shuffled */
        uint32_t a = (i % IDS) * 0x9e3779b1u, b = (i * 389 % N % IDS) * 0x9e3779b1u;

        memcpy(rq + 17 * i, APIV_REQ, 17);
        memcpy(rs + 14 * i, APIV_RESP, 14);
        for (int k = 0; k < 4; k++) {
            rq[17 * i + 8 + k] = (uint8_t)(a >> (24 - 8 * k));
            rs[14 * i + 4 + k] = (uint8_t)(b >> (24 - 8 * k));
        }
    }
    o = run(s, 2);
    T_EQ(count_lines(o), N);
    for (size_t i = 0; i < N; i++) {
        const char *l = line(o, i), *q = strstr(l, "\"correlationId\":");
        const char *r = q ? strstr(q + 1, "\"correlationId\":") : NULL;

        paired += q && r && strtol(q + 16, NULL, 10) == strtol(r + 16, NULL, 10) &&
                  strstr(l, "\"anomalies\":[]") != NULL;
    }
    T_EQ(paired, N);
    free(o);
    free(rq);
    free(rs);
}

T_MAIN(T_CASE(registered_and_bids), T_CASE(api_versions), T_CASE(topics_and_correlation),
       T_CASE(acks0_and_null_topics), T_CASE(response_without_request),
       T_CASE(server_speaks_first), T_CASE(splits_give_the_same_entries),
       T_CASE(big_produce_is_not_buffered), T_CASE(gap_inside_body_keeps_step),
       T_CASE(gap_in_requests_resynchronises), T_CASE(gap_in_responses_resynchronises),
       T_CASE(bad_size_resynchronises), T_CASE(bad_response_size_marks_the_waiting),
       T_CASE(malformed_header), T_CASE(end_of_capture), T_CASE(pending_cap),
       T_CASE(responses_pair_by_id_in_any_order))
