/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: unit tests of the redis dissector: commands (RESP and inline),
 * every reply type, pipelining, pub/sub pushes, splits, gaps, malformed
 * input, caps and bids.
 */
#include "config.h"

#include "dissect/dissect.h"
#include "dissect/resp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"
#include "dsxh.h"
#include "t.h"

#define T0 1700000000000000000ull
#define MS 1000000ull
#define PORT 6379

static char *run(const struct dsxh_seg *s, size_t n)
{
    return dsxh_run(&dsx_redis, false, PORT, s, n);
}

#define PROTO \
    "{\"name\":\"redis\",\"version\":\"3.x\",\"abbr\":\"REDIS\",\"longName\":\"Redis " \
    "Serialization Protocol\",\"layer4\":\"tcp\"}"

/* Shared by the dissector tests (dsxh.h). */
#define count_lines(o) dsxh_count_lines(o)
#define line(o, i) dsxh_line(o, i)
#define body(l) dsxh_body(l)
/* The expected line of an entry (dsxh_expect: idx, fwd, rq, rqe, rs, rse, req, resp, ...). */
#define X(...) dsxh_expect(PROTO, PORT, __VA_ARGS__)

/* Checks that every split of segs gives the entries of the whole run. */
static void check_splits(const struct dsxh_seg *segs, size_t n)
{
    T_EQ(dsxh_split_mismatches(&dsx_redis, false, PORT, segs, n), 0);
}

/* ------------------------------------------------------------------ tests */

TEST(registered_and_bids)
{
    T_TRUE(dsx_find("redis") == &dsx_redis);
#define BID(s) dsx_redis.bid((const uint8_t *)(s), sizeof(s) - 1, 0, false)
    T_EQ(BID("*1\r\n$4\r\nPING\r\n"), DSX_STRONG);
    T_EQ(BID("*3\r\n$3\r\nSET\r\n"), DSX_STRONG);
    T_EQ(BID("*2\r\n:1\r\n:2\r\n"), DSX_WEAK);     /* a reply array */
    T_EQ(BID("*12"), DSX_MORE);
    T_EQ(BID("*2\r\n"), DSX_MORE);
    T_EQ(BID("+OK\r\n"), DSX_WEAK);
    T_EQ(BID("+PONG\r\n"), DSX_WEAK);
    T_EQ(BID("-ERR unknown command\r\n"), DSX_WEAK);
    T_EQ(BID(":42\r\n"), DSX_WEAK);
    T_EQ(BID("$-1\r\n"), DSX_WEAK);
    T_EQ(BID("PING\r\n"), DSX_WEAK);
    T_EQ(BID("ping\n"), DSX_WEAK);
    T_EQ(BID("GET foo\r\n"), DSX_WEAK);
    T_EQ(BID("GET / HTTP/1.1\r\n"), DSX_NO);
    T_EQ(BID("HELLOWORLD\r\n"), DSX_NO);
    T_EQ(BID("+OK POP3 server ready\r\n"), DSX_NO);
    T_EQ(BID("*x\r\n"), DSX_NO);
    T_EQ(BID("\x16\x03\x01\x02\x00"), DSX_NO);
    T_EQ(BID("+OK\n"), DSX_NO);
    T_EQ(dsx_redis.bid((const uint8_t *)"*1\r\n$4\r\nPING\r\n", 14, 0, true), DSX_NO);
#undef BID
}

TEST(get_bulk)
{
    struct dsxh_seg s[] = {
        DSXH_S(0, "*2\r\n$3\r\nGET\r\n$3\r\nfoo\r\n", 0),
        DSXH_S(1, "$3\r\nbar\r\n", 0),
    };
    char *o = run(s, 2);

    T_EQ(count_lines(o), 1);
    T_STREQ(line(o, 0), X(0, true, 0, 0, 1, 1, "{\"command\":\"GET\",\"key\":\"foo\",\"args\":2}",
                          "{\"type\":\"bulk\"}", 22, 9, ""));
    free(o);
}

TEST(inline_commands)
{
    struct dsxh_seg s[] = {
        DSXH_S(0, "ping\r\n", 0),
        DSXH_S(1, "+PONG\r\n", 0),
        DSXH_S(0, "\r\nset  k   v\n", 0),       /* a blank line is ignored; bare \n ends a line */
        DSXH_S(1, "+OK\r\n", 0),
    };
    char *o = run(s, 4);

    T_EQ(count_lines(o), 2);
    T_STREQ(line(o, 0), X(0, true, 0, 0, 1, 1, "{\"command\":\"PING\",\"key\":\"\",\"args\":1}",
                          "{\"type\":\"simple\",\"value\":\"PONG\"}", 6, 7, ""));
    T_STREQ(line(o, 1), X(1, true, 2, 2, 3, 3, "{\"command\":\"SET\",\"key\":\"k\",\"args\":3}",
                          "{\"type\":\"simple\",\"value\":\"OK\"}", 11, 5, ""));
    free(o);
}

TEST(inline_quotes)
{
    struct dsxh_seg s[] = {
        DSXH_S(0, "PUBLISH Foo \"Hi there :)\"\r\n", 0),   /* 27 */
        DSXH_S(1, ":2\r\n", 0),
        DSXH_S(0, "set \"k\\x41\\\"\" 'v\\'x'\r\n", 0),   /* 22: key k A " */
        DSXH_S(1, "+OK\r\n", 0),
        DSXH_S(0, "GET \"foo\r\n", 0),                    /* 10 */
        DSXH_S(1, "-ERR Protocol error: unbalanced quotes in request\r\n", 0),
    };
    char *o = run(s, 6);

    T_EQ(count_lines(o), 3);
    T_STREQ(body(line(o, 0)), "\"request\":{\"command\":\"PUBLISH\",\"key\":\"Foo\",\"args\":3},"
                              "\"response\":{\"type\":\"integer\",\"value\":\"2\"},"
                              "\"requestSize\":27,\"responseSize\":4,\"anomalies\":[]");
    T_STREQ(body(line(o, 1)), "\"request\":{\"command\":\"SET\",\"key\":\"kA\\\"\",\"args\":3},"
                              "\"response\":{\"type\":\"simple\",\"value\":\"OK\"},"
                              "\"requestSize\":22,\"responseSize\":5,\"anomalies\":[]");
    T_STREQ(body(line(o, 2)), "\"request\":{\"command\":\"GET\",\"key\":\"\",\"args\":1},"
                              "\"response\":{\"type\":\"error\",\"value\":\"ERR Protocol error: "
                              "unbalanced quotes in request\"},\"requestSize\":10,"
                              "\"responseSize\":51,\"anomalies\":[\"malformed\"]");
    free(o);
}

TEST(pipelining_pairs_in_order)
{
    struct dsxh_seg s[] = {
        DSXH_S(0, "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n"
                  "*2\r\n$3\r\nget\r\n$1\r\nx\r\n"
                  "*2\r\n$4\r\nINCR\r\n$1\r\nn\r\n", 0),
        DSXH_S(1, "+OK\r\n$-1\r\n", 0),
        DSXH_S(1, ":5\r\n", 0),
    };
    char *o = run(s, 3);

    T_EQ(count_lines(o), 3);
    T_STREQ(line(o, 0), X(0, true, 0, 0, 1, 1, "{\"command\":\"SET\",\"key\":\"k\",\"args\":3}",
                          "{\"type\":\"simple\",\"value\":\"OK\"}", 27, 5, ""));
    T_STREQ(line(o, 1), X(1, true, 0, 0, 1, 1, "{\"command\":\"GET\",\"key\":\"x\",\"args\":2}",
                          "{\"type\":\"nil\"}", 20, 5, ""));
    T_STREQ(line(o, 2), X(2, true, 0, 0, 2, 2, "{\"command\":\"INCR\",\"key\":\"n\",\"args\":2}",
                          "{\"type\":\"integer\",\"value\":\"5\"}", 21, 4, ""));
    free(o);
}

/* One command per reply type; the replies of RESP2 and RESP3. */
static const char *const reply_cases[][2] = {
    { "-ERR unknown command 'FOO'\r\n",
      "{\"type\":\"error\",\"value\":\"ERR unknown command 'FOO'\"}" },
    { "*3\r\n:1\r\n*2\r\n+a\r\n$1\r\nb\r\n$-1\r\n", "{\"type\":\"array\",\"elements\":3}" },
    { "*0\r\n", "{\"type\":\"array\",\"elements\":0}" },
    { "*-1\r\n", "{\"type\":\"nil\"}" },
    { "%2\r\n+a\r\n:1\r\n$1\r\nb\r\n*1\r\n:2\r\n", "{\"type\":\"map\",\"elements\":2}" },
    { "~2\r\n+a\r\n+b\r\n", "{\"type\":\"set\",\"elements\":2}" },
    { ",3.14\r\n", "{\"type\":\"double\"}" },
    { "#t\r\n", "{\"type\":\"boolean\"}" },
    { "(3492890328409238509324850943850943825024385\r\n", "{\"type\":\"bignum\"}" },
    { "=15\r\ntxt:Some string\r\n", "{\"type\":\"verbatim\"}" },
    { "_\r\n", "{\"type\":\"nil\"}" },
    { "!21\r\nSYNTAX invalid syntax\r\n",
      "{\"type\":\"error\",\"value\":\"SYNTAX invalid syntax\"}" },
    /* an attribute before the reply is not the reply */
    { "|1\r\n+key-popularity\r\n%1\r\n$1\r\na\r\n,0.19\r\n*2\r\n:2\r\n:9\r\n",
      "{\"type\":\"array\",\"elements\":2}" },
    /* streamed aggregate and string */
    { "*?\r\n:1\r\n:2\r\n:3\r\n.\r\n", "{\"type\":\"array\",\"elements\":3}" },
    { "$?\r\n;4\r\nHell\r\n;1\r\no\r\n;0\r\n", "{\"type\":\"bulk\"}" },
    { ":-9223372036854775808\r\n", "{\"type\":\"integer\",\"value\":\"-9223372036854775808\"}" },
};

TEST(reply_types)
{
    size_t nc = sizeof reply_cases / sizeof reply_cases[0];

    for (size_t i = 0; i < nc; i++) {
        struct dsxh_seg s[3] = {
            DSXH_S(0, "*1\r\n$4\r\nPING\r\n", 0),
            { 1, reply_cases[i][0], 0, 0, 0 },
            DSXH_S(0, "*1\r\n$4\r\nPING\r\n", 0),
        };
        char *o = run(s, 3);

        /* the second PING proves the reply was read to its end, and no further */
        T_EQ(count_lines(o), 2);
        T_STREQ(line(o, 0), X(0, true, 0, 0, 1, 1,
                              "{\"command\":\"PING\",\"key\":\"\",\"args\":1}", reply_cases[i][1],
                              14, (unsigned)strlen(reply_cases[i][0]), ""));
        T_STREQ(body(line(o, 1)), "\"request\":{\"command\":\"PING\",\"key\":\"\",\"args\":1},"
                                  "\"response\":{},\"requestSize\":14,\"responseSize\":0,"
                                  "\"anomalies\":[\"no_response\"]");
        free(o);
        /* and any split of it too */
        check_splits(s, 3);
    }
}

TEST(splits_give_the_same_entries)
{
    struct dsxh_seg s[] = {
        DSXH_S(0, "*3\r\n$3\r\nSET\r\n$5\r\nmykey\r\n$10\r\n0123456789\r\n"
                  "PING\r\n*2\r\n$7\r\nHGETALL\r\n$1\r\nh\r\n", 0),
        DSXH_S(1, "+OK\r\n+PONG\r\n%2\r\n$1\r\na\r\n*2\r\n:1\r\n:2\r\n$1\r\nb\r\n_\r\n", 0),
    };
    char *o = run(s, 2);

    T_EQ(count_lines(o), 3);
    T_STREQ(body(line(o, 2)), "\"request\":{\"command\":\"HGETALL\",\"key\":\"h\",\"args\":2},"
                              "\"response\":{\"type\":\"map\",\"elements\":2},\"requestSize\":24,"
                              "\"responseSize\":33,\"anomalies\":[]");
    free(o);
    check_splits(s, 2);
}

TEST(big_bulk_is_not_buffered)
{
    /* a 300 KiB value (more than the driver's carry-over) in 1000-byte segments */
    size_t vn = 300 * 1024, hn, n;
    char *msg = malloc(vn + 64), *o;
    struct dsxh_seg *s = calloc(400, sizeof *s);
    size_t ns = 0;

    hn = (size_t)snprintf(msg, 64, "*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$%zu\r\n", vn);
    memset(msg + hn, 'v', vn);
    memcpy(msg + hn + vn, "\r\n", 2);
    n = hn + vn + 2;
    for (size_t off = 0; off < n; off += 1000) {
        s[ns].side = 0;
        s[ns].p = msg + off;
        s[ns].n = n - off < 1000 ? n - off : 1000;
        ns++;
    }
    s[ns].side = 1;
    s[ns].p = "+OK\r\n";
    ns++;
    o = run(s, ns);
    T_EQ(count_lines(o), 1);
    T_STREQ(line(o, 0), X(0, true, 0, (int)ns - 2, (int)ns - 1, (int)ns - 1,
                          "{\"command\":\"SET\",\"key\":\"big\",\"args\":3}",
                          "{\"type\":\"simple\",\"value\":\"OK\"}", (unsigned)n, 5, ""));
    free(o);
    free(s);
    free(msg);
}

TEST(value_cut_to_256_bytes)
{
    char rep[400], want[400];
    struct dsxh_seg s[2] = { DSXH_S(0, "*1\r\n$4\r\nINFO\r\n", 0), { 1, rep, 0, 0, 0 } };
    char *o;

    rep[0] = '+';
    memset(rep + 1, 'x', 300);
    memcpy(rep + 301, "\r\n", 3);
    snprintf(want, sizeof want, "{\"type\":\"simple\",\"value\":\"%.*s\"}", 256, rep + 1);
    o = run(s, 2);
    T_STREQ(line(o, 0), X(0, true, 0, 0, 1, 1, "{\"command\":\"INFO\",\"key\":\"\",\"args\":1}",
                          want, 14, 303, ""));
    free(o);
}

TEST(pubsub)
{
    struct dsxh_seg s[] = {
        DSXH_S(0, "*3\r\n$9\r\nSUBSCRIBE\r\n$1\r\na\r\n$1\r\nb\r\n", 0),            /* 0: 33 */
        DSXH_S(1, "*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n", 0),               /* 1: 30 */
        DSXH_S(1, "*3\r\n$9\r\nsubscribe\r\n$1\r\nb\r\n:2\r\n", 0),               /* 2: 30 */
        DSXH_S(1, "*3\r\n$7\r\nmessage\r\n$1\r\na\r\n$5\r\nhello\r\n", 0),        /* 3: 35 */
        DSXH_S(0, "*1\r\n$4\r\nPING\r\n", 0),                                     /* 4: 14 */
        DSXH_S(1, "*2\r\n$4\r\npong\r\n$0\r\n\r\n", 0),                           /* 5: 20 */
        DSXH_S(1, "*4\r\n$8\r\npmessage\r\n$2\r\nb*\r\n$1\r\nb\r\n$1\r\nx\r\n", 0), /* 6: 40 */
        DSXH_S(0, "*1\r\n$11\r\nUNSUBSCRIBE\r\n", 0),                             /* 7: 22 */
        DSXH_S(1, "*3\r\n$11\r\nunsubscribe\r\n$1\r\na\r\n:1\r\n"
                  "*3\r\n$11\r\nunsubscribe\r\n$1\r\nb\r\n:0\r\n", 0),             /* 8: 66 */
        DSXH_S(0, "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n", 0),                           /* 9: 20 */
        DSXH_S(1, "*3\r\n$7\r\nmessage\r\n$1\r\nk\r\n$1\r\nv\r\n", 0),            /* 10: 31 */
    };
    char *o = run(s, 11);

    T_EQ(count_lines(o), 6);
    T_STREQ(line(o, 0), X(0, true, 0, 0, 1, 2,
                          "{\"command\":\"SUBSCRIBE\",\"key\":\"a\",\"args\":3}",
                          "{\"type\":\"array\",\"elements\":3}", 33, 60, ""));
    T_STREQ(line(o, 1), X(1, true, -1, -1, 3, 3, "{}", "{\"type\":\"array\",\"elements\":3}", 0,
                          35, ""));
    T_STREQ(line(o, 2), X(2, true, 4, 4, 5, 5, "{\"command\":\"PING\",\"key\":\"\",\"args\":1}",
                          "{\"type\":\"array\",\"elements\":2}", 14, 20, ""));
    T_STREQ(line(o, 3), X(3, true, -1, -1, 6, 6, "{}", "{\"type\":\"array\",\"elements\":4}", 0,
                          40, ""));
    T_STREQ(line(o, 4), X(4, true, 7, 7, 8, 8,
                          "{\"command\":\"UNSUBSCRIBE\",\"key\":\"\",\"args\":1}",
                          "{\"type\":\"array\",\"elements\":3}", 22, 66, ""));
    /* no longer subscribed: an array starting with "message" is GET's reply */
    T_STREQ(line(o, 5), X(5, true, 9, 9, 10, 10, "{\"command\":\"GET\",\"key\":\"k\",\"args\":2}",
                          "{\"type\":\"array\",\"elements\":3}", 20, 31, ""));
    free(o);
}

/* UNSUBSCRIBE without channels ends at PUNSUBSCRIBE's confirmation: a pattern kept its count
 * above 0, and PING's reply is still PING's. */
TEST(pubsub_unsubscribe_all_with_patterns)
{
    struct dsxh_seg s[] = {
        DSXH_S(0, "*2\r\n$9\r\nSUBSCRIBE\r\n$1\r\na\r\n", 0),                  /* 0: 26 */
        DSXH_S(0, "*2\r\n$10\r\nPSUBSCRIBE\r\n$2\r\np*\r\n", 0),               /* 1: 29 */
        DSXH_S(1, "*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n", 0),           /* 2: 30 */
        DSXH_S(1, "*3\r\n$10\r\npsubscribe\r\n$2\r\np*\r\n:2\r\n", 0),        /* 3: 33 */
        DSXH_S(0, "*1\r\n$11\r\nUNSUBSCRIBE\r\n", 0),                         /* 4: 22 */
        DSXH_S(0, "*1\r\n$12\r\nPUNSUBSCRIBE\r\n", 0),                        /* 5: 23 */
        DSXH_S(0, "*1\r\n$4\r\nPING\r\n", 0),                                 /* 6: 14 */
        DSXH_S(1, "*3\r\n$11\r\nunsubscribe\r\n$1\r\na\r\n:1\r\n", 0),        /* 7: 33 */
        DSXH_S(1, "*3\r\n$12\r\npunsubscribe\r\n$2\r\np*\r\n:0\r\n", 0),      /* 8: 35 */
        DSXH_S(1, "+PONG\r\n", 0),                                          /* 9: 7 */
    };
    char *o = run(s, 10);
    const char *conf = "{\"type\":\"array\",\"elements\":3}";

    T_EQ(count_lines(o), 5);
    T_STREQ(line(o, 0), X(0, true, 0, 0, 2, 2, "{\"command\":\"SUBSCRIBE\",\"key\":\"a\","
                          "\"args\":2}", conf, 26, 30, ""));
    T_STREQ(line(o, 1), X(1, true, 1, 1, 3, 3, "{\"command\":\"PSUBSCRIBE\",\"key\":\"p*\","
                          "\"args\":2}", conf, 29, 33, ""));
    T_STREQ(line(o, 2), X(2, true, 4, 4, 7, 7, "{\"command\":\"UNSUBSCRIBE\",\"key\":\"\","
                          "\"args\":1}", conf, 22, 33, ""));
    T_STREQ(line(o, 3), X(3, true, 5, 5, 8, 8, "{\"command\":\"PUNSUBSCRIBE\",\"key\":\"\","
                          "\"args\":1}", conf, 23, 35, ""));
    T_STREQ(line(o, 4), X(4, true, 6, 6, 9, 9, "{\"command\":\"PING\",\"key\":\"\",\"args\":1}",
                          "{\"type\":\"simple\",\"value\":\"PONG\"}", 14, 7, ""));
    free(o);
    check_splits(s, 10);
}

TEST(resp3_push_between_replies)
{
    struct dsxh_seg s[] = {
        DSXH_S(0, "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n", 0),
        DSXH_S(1, ">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nk\r\n$1\r\nv\r\n", 0),
    };
    char *o = run(s, 2);

    T_EQ(count_lines(o), 2);
    T_STREQ(line(o, 0), X(0, true, 0, 0, 1, 1, "{\"command\":\"GET\",\"key\":\"k\",\"args\":2}",
                          "{\"type\":\"bulk\"}", 20, 7, ""));
    T_STREQ(line(o, 1), X(1, true, -1, -1, 1, 1, "{}", "{\"type\":\"push\",\"elements\":2}", 0, 32,
                          ""));
    free(o);
    check_splits(s, 2);
}

TEST(gap_inside_bulk_keeps_step)
{
    struct dsxh_seg s[] = {
        DSXH_S(0, "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$10\r\n0123", 0),
        DSXH_GAPSEG(0, 3),
        DSXH_S(0, "789\r\n*1\r\n$4\r\nPING\r\n", 0),
        DSXH_S(1, "+OK\r\n+PONG\r\n", 0),
    };
    char *o = run(s, 4);

    T_EQ(count_lines(o), 2);
    /* the 3 lost bytes are not counted: 34 of the 37 */
    T_STREQ(line(o, 0), X(0, true, 0, 2, 3, 3, "{\"command\":\"SET\",\"key\":\"k\",\"args\":3}",
                          "{\"type\":\"simple\",\"value\":\"OK\"}", 34, 5, "\"gap\""));
    T_STREQ(line(o, 1), X(1, true, 2, 2, 3, 3, "{\"command\":\"PING\",\"key\":\"\",\"args\":1}",
                          "{\"type\":\"simple\",\"value\":\"PONG\"}", 14, 7, ""));
    free(o);
}

TEST(gap_resynchronises)
{
    struct dsxh_seg s[] = {
        DSXH_S(0, "*2\r\n$3\r\nGET\r\n$1\r\na\r\n*2\r\n$3\r\nGET\r\n$1\r\nb\r\n", 0),
        DSXH_S(1, "$2\r\nA", 0),
        DSXH_GAPSEG(1, 4),                  /* the rest of A's reply and B's first bytes */
        DSXH_S(1, "\r\n", 0),
        DSXH_S(0, "*1\r\n$4\r\nPING\r\n", 0),
        DSXH_S(1, "+PONG\r\n", 0),
    };
    char *o = run(s, 6);

    T_EQ(count_lines(o), 3);
    /* a's reply was cut by the gap; b waits with the mark, then takes PONG: the gap's doing */
    T_STREQ(line(o, 0), X(0, true, 0, 0, 1, 1, "{\"command\":\"GET\",\"key\":\"a\",\"args\":2}",
                          "{\"type\":\"bulk\"}", 20, 5, "\"gap\""));
    T_STREQ(line(o, 1), X(1, true, 0, 0, 5, 5, "{\"command\":\"GET\",\"key\":\"b\",\"args\":2}",
                          "{\"type\":\"simple\",\"value\":\"PONG\"}", 20, 7, "\"gap\""));
    T_STREQ(line(o, 2), X(2, true, 4, 4, -1, -1, "{\"command\":\"PING\",\"key\":\"\",\"args\":1}",
                          "{}", 14, 0, "\"no_response\""));
    free(o);
}

TEST(malformed_client_resynchronises)
{
    struct dsxh_seg s[] = {
        DSXH_S(0, "*2\r\n$3\r\nGET\r\n$x\r\nfoo\r\n*1\r\n$4\r\nPING\r\n", 0),
        DSXH_S(1, "-ERR Protocol error\r\n+PONG\r\n", 0),
    };
    char *o = run(s, 2);

    T_EQ(count_lines(o), 2);
    T_STREQ(line(o, 0), X(0, true, 0, 0, 1, 1, "{\"command\":\"GET\",\"key\":\"\",\"args\":2}",
                          "{\"type\":\"error\",\"value\":\"ERR Protocol error\"}", 17, 21,
                          "\"malformed\""));
    T_STREQ(line(o, 1), X(1, true, 0, 0, 1, 1, "{\"command\":\"PING\",\"key\":\"\",\"args\":1}",
                          "{\"type\":\"simple\",\"value\":\"PONG\"}", 14, 7, ""));
    free(o);
}

TEST(malformed_reply)
{
    struct dsxh_seg s[] = {
        DSXH_S(0, "*1\r\n$4\r\nPING\r\n*1\r\n$4\r\nPING\r\n*1\r\n$4\r\nPING\r\n", 0),
        DSXH_S(1, "$abc\r\n+x\r\n#maybe\r\n:1\r\n", 0),
    };
    char *o = run(s, 2);

    T_EQ(count_lines(o), 4);
    T_STREQ(body(line(o, 0)), "\"request\":{\"command\":\"PING\",\"key\":\"\",\"args\":1},"
                              "\"response\":{\"type\":\"bulk\"},\"requestSize\":14,"
                              "\"responseSize\":6,\"anomalies\":[\"malformed\"]");
    T_STREQ(body(line(o, 1)), "\"request\":{\"command\":\"PING\",\"key\":\"\",\"args\":1},"
                              "\"response\":{\"type\":\"simple\",\"value\":\"x\"},"
                              "\"requestSize\":14,\"responseSize\":4,\"anomalies\":[]");
    /* a boolean is t or f; the reader goes on at the next line, a reply of its own */
    T_STREQ(body(line(o, 2)), "\"request\":{\"command\":\"PING\",\"key\":\"\",\"args\":1},"
                              "\"response\":{\"type\":\"boolean\"},\"requestSize\":14,"
                              "\"responseSize\":8,\"anomalies\":[\"malformed\"]");
    T_STREQ(body(line(o, 3)), "\"request\":{},\"response\":{\"type\":\"integer\",\"value\":\"1\"},"
                              "\"requestSize\":0,\"responseSize\":4,"
                              "\"anomalies\":[\"no_request\"]");
    free(o);
}

/* A reply of levels nested arrays of one element around ":1", to PING. */
static char *nested_reply(int levels)
{
    char *rep = xmalloc((size_t)levels * 4 + 5);
    struct dsxh_seg s[2] = { DSXH_S(0, "*1\r\n$4\r\nPING\r\n", 0), { 1, rep, 0, 0, 0 } };
    char *o;

    for (int i = 0; i < levels; i++)
        memcpy(rep + 4 * i, "*1\r\n", 4);
    memcpy(rep + 4 * levels, ":1\r\n", 5);
    o = run(s, 2);
    free(rep);
    return o;
}

TEST(depth_is_bounded)
{
    char *o = nested_reply(RESP_DEPTH);

    /* as deep as EVAL's Lua tables go in practice: one reply */
    T_EQ(count_lines(o), 1);
    T_STREQ(body(line(o, 0)), "\"request\":{\"command\":\"PING\",\"key\":\"\",\"args\":1},"
                              "\"response\":{\"type\":\"array\",\"elements\":1},\"requestSize\":14,"
                              "\"responseSize\":516,\"anomalies\":[]");
    free(o);
    /* one level more is refused (its line counted); the reader goes on at ":1" */
    o = nested_reply(RESP_DEPTH + 1);
    T_EQ(count_lines(o), 2);
    T_STREQ(body(line(o, 0)), "\"request\":{\"command\":\"PING\",\"key\":\"\",\"args\":1},"
                              "\"response\":{\"type\":\"array\",\"elements\":1},\"requestSize\":14,"
                              "\"responseSize\":516,\"anomalies\":[\"malformed\"]");
    free(o);
}

TEST(garbage_is_abandoned)
{
    char buf[20 * 8];
    struct dsxh_seg s[1] = { { 0, buf, sizeof buf, 0, 0 } };
    char *o;

    for (int i = 0; i < 20; i++)
        memcpy(buf + 8 * i, "*1\r\n:x\r\n", 8);
    o = run(s, 1);
    /* RESP_BAD_MAX (16) malformed commands, the 17th gives up; the rest is skipped */
    T_EQ(count_lines(o), 17);
    for (size_t i = 0; i < 17; i++)
        T_STREQ(body(line(o, i)), "\"request\":{\"command\":\"\",\"key\":\"\",\"args\":1},"
                                  "\"response\":{},\"requestSize\":8,\"responseSize\":0,"
                                  "\"anomalies\":[\"malformed\",\"no_response\"]");
    free(o);
}

TEST(end_of_capture)
{
    struct dsxh_seg s[] = {
        DSXH_S(0, "*2\r\n$3\r\nGET\r\n$1\r\na\r\n*2\r\n$3\r\nGET\r\n$1\r\nb\r\n*2\r\n$3\r\nGET", 0),
        DSXH_S(1, "$5\r\nhel", 0),
    };
    char *o = run(s, 2);

    T_EQ(count_lines(o), 3);
    T_STREQ(line(o, 0), X(0, true, 0, 0, 1, 1, "{\"command\":\"GET\",\"key\":\"a\",\"args\":2}",
                          "{\"type\":\"bulk\"}", 20, 7, "\"truncated\""));
    T_STREQ(line(o, 1), X(1, true, 0, 0, -1, -1, "{\"command\":\"GET\",\"key\":\"b\",\"args\":2}",
                          "{}", 20, 0, "\"no_response\""));
    T_STREQ(line(o, 2), X(2, true, 0, 0, -1, -1, "{\"command\":\"GET\",\"key\":\"\",\"args\":2}",
                          "{}", 11, 0, "\"truncated\",\"no_response\""));
    free(o);
}

/* While subscribed, a reply is peeked at for "message": one without a first element, or
 * cut before it by the end of the capture, is still the reply. */
TEST(reply_without_a_first_element_to_peek_at)
{
    struct dsxh_seg s[] = {
        DSXH_S(0, "*2\r\n$9\r\nSUBSCRIBE\r\n$1\r\na\r\n", 0),             /* 0: 26 */
        DSXH_S(1, ">3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n", 0),     /* 1: 30 */
        DSXH_S(0, "*2\r\n$4\r\nKEYS\r\n$1\r\nx\r\n", 0),                  /* 2: 21 */
        DSXH_S(1, "*0\r\n", 0),                                          /* 3: 4 */
        DSXH_S(0, "*2\r\n$4\r\nKEYS\r\n$1\r\ny\r\n", 0),                  /* 4: 21 */
        DSXH_S(1, "*3\r\n$7\r\nmes", 0),                                 /* 5: 11 */
    };
    char *o = run(s, 6);

    T_EQ(count_lines(o), 3);
    T_STREQ(line(o, 0), X(0, true, 0, 0, 1, 1, "{\"command\":\"SUBSCRIBE\",\"key\":\"a\","
                          "\"args\":2}", "{\"type\":\"push\",\"elements\":3}", 26, 30, ""));
    T_STREQ(line(o, 1), X(1, true, 2, 2, 3, 3, "{\"command\":\"KEYS\",\"key\":\"x\",\"args\":2}",
                          "{\"type\":\"array\",\"elements\":0}", 21, 4, ""));
    T_STREQ(line(o, 2), X(2, true, 4, 4, 5, 5, "{\"command\":\"KEYS\",\"key\":\"y\",\"args\":2}",
                          "{\"type\":\"array\",\"elements\":3}", 21, 11, "\"truncated\""));
    free(o);
    check_splits(s, 6);
}

TEST(pending_cap)
{
    /* 1026 GETs sent before any reply: two more than the queue holds */
    size_t n = 1026, k = 0, r = 0;
    char *req = malloc(n * 32), *rep = malloc(n * 8), *o;
    struct dsxh_seg s[4] = { { 0, req, 0, 0, 0 }, { 1, rep, 0, 0, 0 },
                             DSXH_S(0, "*1\r\n$4\r\nPING\r\n", 0), DSXH_S(1, "+PONG\r\n", 0) };
    char want[160];

    for (size_t i = 0; i < n; i++) {
        char key[8];
        int kl = snprintf(key, sizeof key, "k%zu", i);

        k += (size_t)snprintf(req + k, 32, "*2\r\n$3\r\nGET\r\n$%d\r\n%s\r\n", kl, key);
        r += (size_t)snprintf(rep + r, 8, ":%zu\r\n", i);
    }
    s[0].n = k;
    s[1].n = r;
    o = run(s, 4);
    T_EQ(count_lines(o), 1029);
    /* (in index order) every queued command gets its own reply */
    for (size_t i = 0; i < 1024; i++) {
        snprintf(want, sizeof want, "\"key\":\"k%zu\",\"args\":2},\"response\":{\"type\":"
                 "\"integer\",\"value\":\"%zu\"}", i, i);
        T_TRUE(strstr(line(o, i), want) != NULL);
        T_TRUE(strstr(line(o, i), "\"anomalies\":[]") != NULL);
    }
    /* the two past the queue are emitted unanswered */
    T_STREQ(body(line(o, 1024)), "\"request\":{\"command\":\"GET\",\"key\":\"k1024\","
                                 "\"args\":2},\"response\":{},\"requestSize\":24,"
                                 "\"responseSize\":0,\"anomalies\":[\"cap\",\"no_response\"]");
    T_TRUE(strstr(line(o, 1025), "\"key\":\"k1025\",\"args\":2},\"response\":{}") != NULL);
    /* their replies come after: response-only, marked cap (not no_request) */
    T_STREQ(body(line(o, 1026)), "\"request\":{},\"response\":{\"type\":\"integer\","
                                 "\"value\":\"1024\"},\"requestSize\":0,\"responseSize\":7,"
                                 "\"anomalies\":[\"cap\"]");
    T_TRUE(strstr(line(o, 1027), "\"value\":\"1025\"},\"requestSize\":0") != NULL);
    /* and then pairing goes on */
    T_STREQ(body(line(o, 1028)), "\"request\":{\"command\":\"PING\",\"key\":\"\",\"args\":1},"
                                 "\"response\":{\"type\":\"simple\",\"value\":\"PONG\"},"
                                 "\"requestSize\":14,\"responseSize\":7,\"anomalies\":[]");
    free(o);
    free(req);
    free(rep);
}

TEST(client_reply_off_on_skip)
{
    struct dsxh_seg s[] = {
        DSXH_S(0, "*3\r\n$6\r\nCLIENT\r\n$5\r\nREPLY\r\n$3\r\nOFF\r\n"
                  "SET a 1\r\nclient reply skip\r\nSET b 2\r\n"
                  "CLIENT REPLY ON\r\nINCR c\r\n"
                  "CLIENT REPLY SKIP\r\nGET x\r\nGET y\r\n"
                  "CLIENT REPLY SKIP\r\nCLIENT REPLY ON\r\nCLIENT REPLY\r\n", 0),
        DSXH_S(1, "+OK\r\n:41\r\n$1\r\ny\r\n+OK\r\n-ERR syntax\r\n", 0),
    };
    const char *none = "\"response\":{},\"requestSize\":";
    char *o = run(s, 2);

    T_EQ(count_lines(o), 12);
    /* OFF, what follows it (SKIP included), then SKIP and the command after it: no reply
       and no anomaly, in the order sent */
    for (size_t i = 0; i < 4; i++) {
        T_TRUE(strstr(line(o, i), none) != NULL);
        T_TRUE(strstr(line(o, i), "\"anomalies\":[]") != NULL);
    }
    T_TRUE(strstr(line(o, 1), "\"command\":\"SET\",\"key\":\"a\"") != NULL);
    T_TRUE(strstr(line(o, 3), "\"command\":\"SET\",\"key\":\"b\"") != NULL);
    T_TRUE(strstr(line(o, 4), "\"key\":\"REPLY\",\"args\":3},\"response\":{\"type\":"
                              "\"simple\",\"value\":\"OK\"}") != NULL);
    T_TRUE(strstr(line(o, 5), "\"key\":\"c\",\"args\":2},\"response\":{\"type\":"
                              "\"integer\",\"value\":\"41\"}") != NULL);
    T_TRUE(strstr(line(o, 6), none) != NULL);   /* SKIP */
    T_TRUE(strstr(line(o, 7), "\"key\":\"x\",\"args\":2},\"response\":{}") != NULL);
    T_TRUE(strstr(line(o, 8), "\"key\":\"y\",\"args\":2},\"response\":{\"type\":"
                              "\"bulk\"}") != NULL);
    T_TRUE(strstr(line(o, 9), none) != NULL);   /* SKIP, then ON is answered all the same */
    T_TRUE(strstr(line(o, 10), "\"value\":\"OK\"},\"requestSize\":17,") != NULL);
    /* two words: not CLIENT REPLY x, answered (an error) */
    T_TRUE(strstr(line(o, 11), "\"type\":\"error\",\"value\":\"ERR syntax\"") != NULL);
    check_splits(s, 2);
    free(o);
}

TEST(capture_starts_with_a_reply)
{
    /* side 0 sends replies: it is the server (no port tells here) */
    struct dsxh_seg s[] = {
        DSXH_S(0, "+OK\r\n", 0),
        DSXH_S(1, "*1\r\n$4\r\nPING\r\n", 0),
        DSXH_S(0, "+PONG\r\n", 0),
    };
    char *o = dsxh_run(&dsx_redis, false, 7000, s, 3);
    const char *srv = "\"src\":{\"ip\":\"10.0.0.2\",\"port\":7000,"
                      "\"name\":\"\",\"namespace\":\"\"},\"dst\":{\"ip\":\"10.0.0.1\","
                      "\"port\":40000,\"name\":\"\",\"namespace\":\"\"}";

    T_EQ(count_lines(o), 2);
    T_TRUE(strstr(line(o, 0), srv) != NULL);
    T_STREQ(body(line(o, 0)), "\"request\":{},\"response\":{\"type\":\"simple\",\"value\":\"OK\"},"
                              "\"requestSize\":0,\"responseSize\":5,"
                              "\"anomalies\":[\"no_request\"]");
    T_TRUE(strstr(line(o, 1), srv) != NULL);
    T_STREQ(body(line(o, 1)), "\"request\":{\"command\":\"PING\",\"key\":\"\",\"args\":1},"
                              "\"response\":{\"type\":\"simple\",\"value\":\"PONG\"},"
                              "\"requestSize\":14,\"responseSize\":7,\"anomalies\":[]");
    free(o);
}

T_MAIN(T_CASE(registered_and_bids), T_CASE(get_bulk), T_CASE(inline_commands),
       T_CASE(inline_quotes), T_CASE(pipelining_pairs_in_order), T_CASE(reply_types),
       T_CASE(splits_give_the_same_entries), T_CASE(big_bulk_is_not_buffered),
       T_CASE(value_cut_to_256_bytes), T_CASE(pubsub),
       T_CASE(pubsub_unsubscribe_all_with_patterns), T_CASE(resp3_push_between_replies),
       T_CASE(gap_inside_bulk_keeps_step), T_CASE(gap_resynchronises),
       T_CASE(malformed_client_resynchronises), T_CASE(malformed_reply), T_CASE(depth_is_bounded),
       T_CASE(garbage_is_abandoned), T_CASE(end_of_capture),
       T_CASE(reply_without_a_first_element_to_peek_at), T_CASE(pending_cap),
       T_CASE(client_reply_off_on_skip), T_CASE(capture_starts_with_a_reply))
