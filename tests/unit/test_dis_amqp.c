/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: unit tests of the amqp dissector: the connection handshake,
 * synchronous methods and their -ok, publish/deliver/get with content,
 * the arguments of every method read, no-wait, unknown methods, splits, big
 * bodies, gaps, the end octet, caps, bids.
 */
#include "config.h"

#include "dissect/dissect.h"

#include <stdio.h>

#include "dsxh.h"
#include "t.h"

/*
 * Frames (AMQP 0-9-1 §4.2.3: type, channel, size, payload, 0xCE). PH: the
 * protocol header. START..OPEN_OK: the connection handshake on channel 0;
 * CH_*: channel 1 open/close (close: 200 "bye"); QDECL: queue.declare
 * "tasks" (durable); QDECL_OK: "tasks", 3 messages, 1 consumer;
 * QDECL_NOWAIT: queue.declare "q2" with no-wait; PUBLISH: to exchange "",
 * routing key "tasks"; HDR11/BODY11: a content header for 11 bytes and its
 * body "hello world"; DELIVER: consumer "ctag", tag 1, "" / "tasks"; GET,
 * GET_OK (exchange "ex", routing key "rk", 7 messages), GET_EMPTY; HDR0: a
 * content header for 0 bytes; XBIND: exchange.bind dst <- src "rk" on
 * channel 2; UNKNOWN: class 70 method 10 on channel 3; ACK_BADEND: an ack
 * whose end octet is 0x00.
 */
/* 8 bytes */
#define PH "AMQP\x00\x00\x09\x01"
/* 36 bytes */
#define START "\x01\x00\x00\x00\x00\x00\x1c\x00\x0a\x00\x0a\x00\x09\x00" \
              "\x00\x00\x00\x00\x00\x00\x05PLAIN\x00\x00\x00\x05\x65n_US\xce"
/* 44 bytes */
#define START_OK "\x01\x00\x00\x00\x00\x00$\x00\x0a\x00\x0b\x00\x00\x00\x00" \
                 "\x05PLAIN\x00\x00\x00\x0c\x00guest\x00guest\x05\x65n_US\xce"
/* 20 bytes */
#define TUNE "\x01\x00\x00\x00\x00\x00\x0c\x00\x0a\x00\x1e\x07\xff\x00\x02\x00\x00\x00<\xce"
/* 20 bytes */
#define TUNE_OK "\x01\x00\x00\x00\x00\x00\x0c\x00\x0a\x00\x1f\x07\xff\x00\x02\x00\x00\x00<\xce"
/* 16 bytes */
#define OPEN "\x01\x00\x00\x00\x00\x00\x08\x00\x0a\x00(\x01/\x00\x00\xce"
/* 13 bytes */
#define OPEN_OK "\x01\x00\x00\x00\x00\x00\x05\x00\x0a\x00)\x00\xce"
/* 13 bytes */
#define CH_OPEN "\x01\x00\x01\x00\x00\x00\x05\x00\x14\x00\x0a\x00\xce"
/* 16 bytes */
#define CH_OPEN_OK "\x01\x00\x01\x00\x00\x00\x08\x00\x14\x00\x0b\x00\x00\x00\x00\xce"
/* 25 bytes */
#define QDECL "\x01\x00\x01\x00\x00\x00\x11\x00\x32\x00" \
              "\x0a\x00\x00\x05tasks\x02\x00\x00\x00\x00\xce"
/* 26 bytes */
#define QDECL_OK "\x01\x00\x01\x00\x00\x00\x12\x00\x32\x00\x0b" \
                 "\x05tasks\x00\x00\x00\x03\x00\x00\x00\x01\xce"
/* 22 bytes */
#define QDECL_NOWAIT "\x01\x00\x01\x00\x00\x00\x0e\x00\x32\x00" \
                     "\x0a\x00\x00\x02q2\x10\x00\x00\x00\x00\xce"
/* 22 bytes */
#define PUBLISH "\x01\x00\x01\x00\x00\x00\x0e\x00<\x00(\x00\x00\x00\x05tasks\x00\xce"
/* 22 bytes */
#define HDR11 "\x02\x00\x01\x00\x00\x00\x0e\x00<\x00\x00" \
              "\x00\x00\x00\x00\x00\x00\x00\x0b\x00\x00\xce"
/* 19 bytes */
#define BODY11 "\x03\x00\x01\x00\x00\x00\x0bhello world\xce"
/* 33 bytes */
#define DELIVER "\x01\x00\x01\x00\x00\x00\x19\x00<\x00<\x04\x63tag" \
                "\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x05tasks\xce"
/* 21 bytes */
#define ACK "\x01\x00\x01\x00\x00\x00\x0d\x00<\x00P\x00\x00\x00\x00\x00\x00\x00\x01\x00\xce"
/* 22 bytes */
#define CH_CLOSE "\x01\x00\x01\x00\x00\x00\x0e\x00\x14\x00(\x00\xc8\x03\x62ye\x00\x00\x00\x00\xce"
/* 12 bytes */
#define CH_CLOSE_OK "\x01\x00\x01\x00\x00\x00\x04\x00\x14\x00)\xce"
/* 21 bytes */
#define GET "\x01\x00\x01\x00\x00\x00\x0d\x00<\x00\x46\x00\x00\x05tasks\x00\xce"
/* 31 bytes */
#define GET_OK "\x01\x00\x01\x00\x00\x00\x17\x00<\x00G\x00\x00\x00\x00" \
               "\x00\x00\x00\x02\x00\x02\x65x\x02rk\x00\x00\x00\x07\xce"
/* 13 bytes */
#define GET_EMPTY "\x01\x00\x01\x00\x00\x00\x05\x00<\x00H\x00\xce"
/* 22 bytes */
#define HDR0 "\x02\x00\x01\x00\x00\x00\x0e\x00<\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\xce"
/* 30 bytes */
#define XBIND "\x01\x00\x02\x00\x00\x00\x16\x00(\x00\x1e\x00\x00" \
              "\x03\x64st\x03src\x02rk\x00\x00\x00\x00\x00\xce"
/* 12 bytes */
#define XBIND_OK "\x01\x00\x02\x00\x00\x00\x04\x00(\x00\x1f\xce"
/* 14 bytes */
#define UNKNOWN "\x01\x00\x03\x00\x00\x00\x06\x00\x46\x00\x0a\x01\x02\xce"
/* 21 bytes */
#define ACK_BADEND "\x01\x00\x01\x00\x00\x00\x0d\x00<\x00P\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00"
/* 8 bytes */
#define HEARTBEAT "\x08\x00\x00\x00\x00\x00\x00\xce"

#define T0 1700000000000000000ull
#define MS 1000000ull
#define PORT 5672

static char *run(const struct dsxh_seg *s, size_t n)
{
    return dsxh_run(&dsx_amqp, false, PORT, s, n);
}

#define PROTO \
    "{\"name\":\"amqp\",\"version\":\"0-9-1\",\"abbr\":\"AMQP\",\"longName\":\"Advanc" \
    "ed Message Queuing Protocol 0-9-1\",\"layer4\":\"tcp\"}"

/* Shared by the dissector tests (dsxh.h). */
#define count_lines(o) dsxh_count_lines(o)
#define line(o, i) dsxh_line(o, i)
#define body(l) dsxh_body(l)
/* The expected line of an entry (dsxh_expect: idx, fwd, rq, rqe, rs, rse, req, resp, ...). */
#define X(...) dsxh_expect(PROTO, PORT, __VA_ARGS__)

/* Checks that every split of segs gives the entries of the whole run. */
static void check_splits(const struct dsxh_seg *segs, size_t n)
{
    T_EQ(dsxh_split_mismatches(&dsx_amqp, false, PORT, segs, n), 0);
}

/* ------------------------------------------------------------------ tests */

#define SEG(side, m) { (side), (m), sizeof(m) - 1, 0, 0 }

TEST(registered_and_bids)
{
    T_TRUE(dsx_find("amqp") == &dsx_amqp);
#define BID(s) dsx_amqp.bid((const uint8_t *)(s), sizeof(s) - 1, 0, false)
    T_EQ(BID(PH), DSX_STRONG);
    T_EQ(BID(PH START_OK), DSX_STRONG);
    T_EQ(BID("AMQ"), DSX_MORE);
    T_EQ(BID("AMQP\x01\x01\x00\x0a"), DSX_NO);      /* 0-10 frames differently */
    T_EQ(BID(START), DSX_WEAK);                      /* mid-stream: a right frame */
    T_EQ(BID(HEARTBEAT), DSX_WEAK);
    T_EQ(BID(ACK_BADEND), DSX_NO);
    T_EQ(BID(UNKNOWN), DSX_NO);                      /* not a known class */
    T_EQ(BID("\x01\x00\x00\x00\x00\x00\x1c\x00\x0a"), DSX_MORE);
    T_EQ(BID("GET / HTTP/1.1\r\n"), DSX_NO);
    T_EQ(dsx_amqp.bid((const uint8_t *)PH, 8, 0, true), DSX_NO);
#undef BID
}

static const struct dsxh_seg conversation[] = {
    SEG(0, PH),                                 /* 0 */
    SEG(1, START),                              /* 1 */
    SEG(0, START_OK),                           /* 2 */
    SEG(1, TUNE),                               /* 3 */
    SEG(0, TUNE_OK OPEN),                       /* 4 */
    SEG(1, OPEN_OK),                            /* 5 */
    SEG(0, CH_OPEN),                            /* 6 */
    SEG(1, CH_OPEN_OK),                         /* 7 */
    SEG(0, QDECL),                              /* 8 */
    SEG(1, QDECL_OK),                           /* 9 */
    SEG(0, PUBLISH HDR11 BODY11),               /* 10 */
    SEG(1, DELIVER HDR11 BODY11),               /* 11 */
    SEG(0, ACK CH_CLOSE),                       /* 12 */
    SEG(1, CH_CLOSE_OK),                        /* 13 */
};

TEST(conversation)
{
    char *o = run(conversation, sizeof conversation / sizeof conversation[0]);

    T_EQ(count_lines(o), 9);
    /* the server asks, the client answers: the server is this entry's client */
    T_STREQ(line(o, 0), X(0, false, 1, 1, 2, 2, "{\"method\":\"connection.start\",\"channel\":0}",
                          "{\"method\":\"connection.start-ok\"}", 36, 44, ""));
    T_STREQ(line(o, 1), X(1, false, 3, 3, 4, 4, "{\"method\":\"connection.tune\",\"channel\":0}",
                          "{\"method\":\"connection.tune-ok\"}", 20, 20, ""));
    T_STREQ(line(o, 2), X(2, true, 4, 4, 5, 5, "{\"method\":\"connection.open\",\"channel\":0}",
                          "{\"method\":\"connection.open-ok\"}", 16, 13, ""));
    T_STREQ(line(o, 3), X(3, true, 6, 6, 7, 7, "{\"method\":\"channel.open\",\"channel\":1}",
                          "{\"method\":\"channel.open-ok\"}", 13, 16, ""));
    T_STREQ(line(o, 4), X(4, true, 8, 8, 9, 9,
                          "{\"method\":\"queue.declare\",\"channel\":1,\"queue\":\"tasks\"}",
                          "{\"method\":\"queue.declare-ok\",\"queue\":\"tasks\",\"messageCount\":3,"
                          "\"consumerCount\":1}", 25, 26, ""));
    T_STREQ(line(o, 5), X(5, true, 10, 10, -1, -1,
                          "{\"method\":\"basic.publish\",\"channel\":1,\"exchange\":\"\","
                          "\"routingKey\":\"tasks\",\"bodySize\":11}", "{}", 63, 0, ""));
    T_STREQ(line(o, 6), X(6, false, 11, 11, -1, -1,
                          "{\"method\":\"basic.deliver\",\"channel\":1,\"exchange\":\"\","
                          "\"routingKey\":\"tasks\",\"bodySize\":11}", "{}", 74, 0, ""));
    T_STREQ(line(o, 7), X(7, true, 12, 12, -1, -1, "{\"method\":\"basic.ack\",\"channel\":1}", "{}",
                          21, 0, ""));
    T_STREQ(line(o, 8), X(8, true, 12, 12, 13, 13,
                          "{\"method\":\"channel.close\",\"channel\":1,\"replyCode\":200,"
                          "\"replyText\":\"bye\"}", "{\"method\":\"channel.close-ok\"}", 22, 12,
                          ""));
    free(o);
}

TEST(splits_give_the_same_entries)
{
    check_splits(conversation, sizeof conversation / sizeof conversation[0]);
}

TEST(get_with_content_and_empty)
{
    struct dsxh_seg s[] = {
        SEG(0, GET),
        SEG(1, GET_OK HDR11 BODY11),
        SEG(0, GET),
        SEG(1, GET_EMPTY),
    };
    char *o = run(s, 4);

    T_EQ(count_lines(o), 2);
    T_STREQ(line(o, 0), X(0, true, 0, 0, 1, 1,
                          "{\"method\":\"basic.get\",\"channel\":1,\"queue\":\"tasks\"}",
                          "{\"method\":\"basic.get-ok\",\"messageCount\":7,\"bodySize\":11}",
                          21, 72, ""));
    T_STREQ(line(o, 1), X(1, true, 2, 2, 3, 3,
                          "{\"method\":\"basic.get\",\"channel\":1,\"queue\":\"tasks\"}",
                          "{\"method\":\"basic.get-empty\"}", 21, 13, ""));
    free(o);
}

TEST(nowait_bind_unknown_heartbeat)
{
    struct dsxh_seg s[] = {
        SEG(0, QDECL_NOWAIT HEARTBEAT XBIND UNKNOWN),
        SEG(1, HEARTBEAT XBIND_OK),
    };
    char *o = run(s, 2);

    T_EQ(count_lines(o), 3);
    /* no-wait: no -ok will come, and none is missing */
    T_STREQ(line(o, 0), X(0, true, 0, 0, -1, -1,
                          "{\"method\":\"queue.declare\",\"channel\":1,\"queue\":\"q2\"}", "{}", 22,
                          0, ""));
    T_STREQ(line(o, 1), X(1, true, 0, 0, 1, 1,
                          "{\"method\":\"exchange.bind\",\"channel\":2,\"exchange\":\"dst\","
                          "\"source\":\"src\",\"routingKey\":\"rk\"}",
                          "{\"method\":\"exchange.bind-ok\"}", 30, 12, ""));
    T_STREQ(line(o, 2), X(2, true, 0, 0, -1, -1, "{\"method\":\"70.10\",\"channel\":3}", "{}", 14,
                          0, ""));
    free(o);
}

TEST(ok_without_request)
{
    struct dsxh_seg s[] = { SEG(0, PH), SEG(1, QDECL_OK) };
    char *o = run(s, 2);

    T_EQ(count_lines(o), 1);
    T_STREQ(line(o, 0), X(0, true, -1, -1, 1, 1, "{}",
                          "{\"method\":\"queue.declare-ok\",\"queue\":\"tasks\",\"messageCount\":3,"
                          "\"consumerCount\":1}", 0, 26, "\"no_request\""));
    free(o);
}

TEST(bad_end_octet_abandons)
{
    struct dsxh_seg s[] = { SEG(0, ACK_BADEND ACK), SEG(1, HEARTBEAT) };
    char *o = run(s, 2);

    T_EQ(count_lines(o), 1);
    T_STREQ(line(o, 0), X(0, true, 0, 0, -1, -1, "{\"method\":\"basic.ack\",\"channel\":1}", "{}",
                          21, 0, "\"malformed\""));
    free(o);
}

TEST(gap_inside_body_keeps_step)
{
    struct dsxh_seg s[] = {
        { 0, PUBLISH HDR11 BODY11, 22 + 22 + 10, 0, 0 },   /* 3 bytes of the body */
        DSXH_GAPSEG(0, 5),
        { 0, BODY11 + 15, 4, 0, 0 },                       /* its last 3 and the end octet */
        SEG(0, ACK),
    };
    char *o = run(s, 4);

    T_EQ(count_lines(o), 2);
    T_STREQ(line(o, 0), X(0, true, 0, 2, -1, -1,
                          "{\"method\":\"basic.publish\",\"channel\":1,\"exchange\":\"\","
                          "\"routingKey\":\"tasks\",\"bodySize\":11}", "{}", 58, 0, "\"gap\""));
    T_STREQ(line(o, 1), X(1, true, 3, 3, -1, -1, "{\"method\":\"basic.ack\",\"channel\":1}", "{}",
                          21, 0, ""));
    free(o);
}

TEST(gap_resynchronises)
{
    struct dsxh_seg s[] = {
        SEG(0, QDECL),
        { 1, QDECL_OK, 5, 0, 0 },
        DSXH_GAPSEG(1, 10),
        SEG(0, CH_CLOSE),
        { 1, QDECL_OK CH_CLOSE_OK + 15, 26 - 15 + 12, 0, 0 },  /* the rest of QDECL_OK, then */
    };
    char *o = run(s, 5);

    T_EQ(count_lines(o), 2);
    T_STREQ(line(o, 0), X(0, true, 0, 0, -1, -1,
                          "{\"method\":\"queue.declare\",\"channel\":1,\"queue\":\"tasks\"}", "{}",
                          25, 0, "\"gap\",\"no_response\""));
    T_STREQ(line(o, 1), X(1, true, 3, 3, 4, 4,
                          "{\"method\":\"channel.close\",\"channel\":1,\"replyCode\":200,"
                          "\"replyText\":\"bye\"}", "{\"method\":\"channel.close-ok\"}", 22, 12,
                          ""));
    free(o);
}

TEST(method_before_content_ends)
{
    struct dsxh_seg s[] = { SEG(0, PUBLISH HDR11 ACK PUBLISH HDR0) };
    char *o = run(s, 1);

    T_EQ(count_lines(o), 3);
    T_STREQ(body(line(o, 0)), "\"request\":{\"method\":\"basic.publish\",\"channel\":1,"
                              "\"exchange\":\"\",\"routingKey\":\"tasks\",\"bodySize\":0},"
                              "\"response\":{},\"requestSize\":44,\"responseSize\":0,"
                              "\"anomalies\":[\"malformed\",\"truncated\"]");
    T_STREQ(body(line(o, 1)), "\"request\":{\"method\":\"basic.ack\",\"channel\":1},"
                              "\"response\":{},\"requestSize\":21,\"responseSize\":0,"
                              "\"anomalies\":[]");
    /* an empty body: the content header completes it */
    T_STREQ(body(line(o, 2)), "\"request\":{\"method\":\"basic.publish\",\"channel\":1,"
                              "\"exchange\":\"\",\"routingKey\":\"tasks\",\"bodySize\":0},"
                              "\"response\":{},\"requestSize\":44,\"responseSize\":0,"
                              "\"anomalies\":[]");
    free(o);
}

TEST(end_of_capture)
{
    struct dsxh_seg s[] = {
        SEG(0, QDECL),
        { 0, PUBLISH HDR11 BODY11, 22 + 22 + 12, 0, 0 },   /* 5 bytes of the body */
    };
    char *o = run(s, 2);

    T_EQ(count_lines(o), 2);
    T_STREQ(line(o, 0), X(0, true, 0, 0, -1, -1,
                          "{\"method\":\"queue.declare\",\"channel\":1,\"queue\":\"tasks\"}", "{}",
                          25, 0, "\"no_response\""));
    T_STREQ(line(o, 1), X(1, true, 1, 1, -1, -1,
                          "{\"method\":\"basic.publish\",\"channel\":1,\"exchange\":\"\","
                          "\"routingKey\":\"tasks\",\"bodySize\":5}", "{}", 56, 0,
                          "\"truncated\""));
    free(o);
}

TEST(big_body_is_not_buffered)
{
    /* 300 KiB in body frames of 128 KiB at most, sent in 1000-byte segments */
    size_t total = 300 * 1024, n = 0, ns = 0;
    uint8_t *m = malloc(total + 256);
    struct dsxh_seg *s = calloc(400, sizeof *s);
    char *o;

    memcpy(m, PUBLISH, 22);
    memcpy(m + 22, HDR11, 22);
    m[22 + 7 + 10] = (uint8_t)(total >> 8), m[22 + 7 + 11] = (uint8_t)total;
    m[22 + 7 + 9] = (uint8_t)(total >> 16);
    n = 44;
    for (size_t left = total; left > 0;) {
        size_t f = left < 131072 ? left : 131072;

        m[n] = 3, m[n + 1] = 0, m[n + 2] = 1;
        m[n + 3] = 0, m[n + 4] = (uint8_t)(f >> 16), m[n + 5] = (uint8_t)(f >> 8);
        m[n + 6] = (uint8_t)f;
        memset(m + n + 7, 'b', f);
        m[n + 7 + f] = 0xce;
        n += f + 8;
        left -= f;
    }
    for (size_t off = 0; off < n; off += 1000) {
        s[ns].side = 0;
        s[ns].p = m + off;
        s[ns].n = n - off < 1000 ? n - off : 1000;
        ns++;
    }
    o = run(s, ns);
    T_EQ(count_lines(o), 1);
    T_STREQ(line(o, 0), X(0, true, 0, (int)ns - 1, -1, -1,
                          "{\"method\":\"basic.publish\",\"channel\":1,\"exchange\":\"\","
                          "\"routingKey\":\"tasks\",\"bodySize\":307200}", "{}", (unsigned)n, 0,
                          ""));
    free(o);
    free(s);
    free(m);
}

TEST(pending_cap)
{
    size_t k = 1025;
    uint8_t *buf = malloc(k * 25);
    struct dsxh_seg s[2] = { { 0, buf, k * 25, 0, 0 }, SEG(1, QDECL_OK) };
    char *o;

    for (size_t i = 0; i < k; i++)
        memcpy(buf + 25 * i, QDECL, 25);
    o = run(s, 2);
    T_EQ(count_lines(o), 1025);
    T_STREQ(body(line(o, 0)), "\"request\":{\"method\":\"queue.declare\",\"channel\":1,"
                              "\"queue\":\"tasks\"},\"response\":{},\"requestSize\":25,"
                              "\"responseSize\":0,\"anomalies\":[\"cap\",\"no_response\"]");
    T_STREQ(body(line(o, 1)), "\"request\":{\"method\":\"queue.declare\",\"channel\":1,"
                              "\"queue\":\"tasks\"},\"response\":{\"method\":\"queue.declare-ok\","
                              "\"queue\":\"tasks\",\"messageCount\":3,\"consumerCount\":1},"
                              "\"requestSize\":25,\"responseSize\":26,\"anomalies\":[]");
    free(o);
    free(buf);
}

TEST(content_slots_cap)
{
    size_t k = 17;
    uint8_t *buf = malloc(k * 22);
    struct dsxh_seg s[1] = { { 0, buf, k * 22, 0, 0 } };
    char *o;

    /* 17 publishes on channels 1..17, none gets its content */
    for (size_t i = 0; i < k; i++) {
        memcpy(buf + 22 * i, PUBLISH, 22);
        buf[22 * i + 2] = (uint8_t)(i + 1);
    }
    o = run(s, 1);
    T_EQ(count_lines(o), 17);
    T_STREQ(body(line(o, 0)), "\"request\":{\"method\":\"basic.publish\",\"channel\":1,"
                              "\"exchange\":\"\",\"routingKey\":\"tasks\",\"bodySize\":0},"
                              "\"response\":{},\"requestSize\":22,\"responseSize\":0,"
                              "\"anomalies\":[\"truncated\",\"cap\"]");
    T_STREQ(body(line(o, 16)), "\"request\":{\"method\":\"basic.publish\",\"channel\":17,"
                               "\"exchange\":\"\",\"routingKey\":\"tasks\",\"bodySize\":0},"
                               "\"response\":{},\"requestSize\":22,\"responseSize\":0,"
                               "\"anomalies\":[\"truncated\"]");
    free(o);
    free(buf);
}

TEST(content_cap_while_other_side_reads_a_body)
{
    uint8_t *buf = malloc(16 * 33);
    struct dsxh_seg s[] = {
        { 0, PUBLISH HDR11 BODY11, 22 + 22 + 10, 0, 0 },   /* 3 bytes of the body */
        { 1, buf, 16 * 33, 0, 0 },
        { 0, BODY11 + 10, 9, 0, 0 },                       /* the rest of the body frame */
        SEG(0, ACK),
    };
    char *o;

    /* 16 delivers on channels 1..16: the last takes the publish's slot */
    for (size_t i = 0; i < 16; i++) {
        memcpy(buf + 33 * i, DELIVER, 33);
        buf[33 * i + 2] = (uint8_t)(i + 1);
    }
    o = run(s, 4);
    T_EQ(count_lines(o), 18);
    T_STREQ(body(line(o, 0)), "\"request\":{\"method\":\"basic.publish\",\"channel\":1,"
                              "\"exchange\":\"\",\"routingKey\":\"tasks\",\"bodySize\":3},"
                              "\"response\":{},\"requestSize\":54,\"responseSize\":0,"
                              "\"anomalies\":[\"truncated\",\"cap\"]");
    /* the rest of the publish's body frame belongs to no entry */
    T_STREQ(body(line(o, 16)), "\"request\":{\"method\":\"basic.deliver\",\"channel\":16,"
                               "\"exchange\":\"\",\"routingKey\":\"tasks\",\"bodySize\":0},"
                               "\"response\":{},\"requestSize\":33,\"responseSize\":0,"
                               "\"anomalies\":[\"truncated\"]");
    T_STREQ(body(line(o, 17)), "\"request\":{\"method\":\"basic.ack\",\"channel\":1},"
                               "\"response\":{},\"requestSize\":21,\"responseSize\":0,"
                               "\"anomalies\":[]");
    free(o);
    free(buf);
}

TEST(channel_close_ends_the_methods_it_refused)
{
    struct dsxh_seg s[] = {
        SEG(0, QDECL),                  /* 0: refused: the server closes the channel */
        SEG(1, CH_CLOSE),               /* 1 */
        SEG(0, CH_CLOSE_OK CH_OPEN),    /* 2: the channel number is used again */
        SEG(1, CH_OPEN_OK),             /* 3 */
        SEG(0, QDECL),                  /* 4 */
        SEG(1, QDECL_OK),               /* 5 */
    };
    char *o = run(s, 6);

    T_EQ(count_lines(o), 4);
    T_STREQ(line(o, 0), X(0, true, 0, 0, -1, -1,
                          "{\"method\":\"queue.declare\",\"channel\":1,\"queue\":\"tasks\"}", "{}",
                          25, 0, "\"no_response\""));
    T_STREQ(line(o, 1), X(1, false, 1, 1, 2, 2,
                          "{\"method\":\"channel.close\",\"channel\":1,\"replyCode\":200,"
                          "\"replyText\":\"bye\"}", "{\"method\":\"channel.close-ok\"}", 22, 12,
                          ""));
    T_STREQ(line(o, 2), X(2, true, 2, 2, 3, 3, "{\"method\":\"channel.open\",\"channel\":1}",
                          "{\"method\":\"channel.open-ok\"}", 13, 16, ""));
    T_STREQ(line(o, 3), X(3, true, 4, 4, 5, 5,
                          "{\"method\":\"queue.declare\",\"channel\":1,\"queue\":\"tasks\"}",
                          "{\"method\":\"queue.declare-ok\",\"queue\":\"tasks\",\"messageCount\":3,"
                          "\"consumerCount\":1}", 25, 26, ""));
    free(o);
    check_splits(s, 6);
}

TEST(close_keeps_what_its_sender_asked)
{
    struct dsxh_seg s[] = {
        SEG(0, QDECL CH_CLOSE),         /* 0: the server answers both, in order */
        SEG(1, QDECL_OK CH_CLOSE_OK),   /* 1 */
    };
    char *o = run(s, 2);

    T_EQ(count_lines(o), 2);
    T_STREQ(line(o, 0), X(0, true, 0, 0, 1, 1,
                          "{\"method\":\"queue.declare\",\"channel\":1,\"queue\":\"tasks\"}",
                          "{\"method\":\"queue.declare-ok\",\"queue\":\"tasks\",\"messageCount\":3,"
                          "\"consumerCount\":1}", 25, 26, ""));
    T_STREQ(line(o, 1), X(1, true, 0, 0, 1, 1,
                          "{\"method\":\"channel.close\",\"channel\":1,\"replyCode\":200,"
                          "\"replyText\":\"bye\"}", "{\"method\":\"channel.close-ok\"}", 22, 12,
                          ""));
    free(o);
}

TEST(body_frames_past_the_body_size)
{
    struct dsxh_seg s[] = {
        /* a content header for 5 bytes, then 11 in the body frame */
        SEG(0, PUBLISH "\x02\x00\x01\x00\x00\x00\x0e\x00<\x00\x00"
                       "\x00\x00\x00\x00\x00\x00\x00\x05\x00\x00\xce" BODY11),
        SEG(0, PUBLISH HDR11 HDR11 BODY11),     /* a second content header */
    };
    char *o = run(s, 2);

    T_EQ(count_lines(o), 2);
    T_STREQ(line(o, 0), X(0, true, 0, 0, -1, -1,
                          "{\"method\":\"basic.publish\",\"channel\":1,\"exchange\":\"\","
                          "\"routingKey\":\"tasks\",\"bodySize\":11}", "{}", 63, 0,
                          "\"malformed\""));
    T_STREQ(line(o, 1), X(1, true, 1, 1, -1, -1,
                          "{\"method\":\"basic.publish\",\"channel\":1,\"exchange\":\"\","
                          "\"routingKey\":\"tasks\",\"bodySize\":11}", "{}", 85, 0,
                          "\"malformed\""));
    free(o);
    check_splits(s, 2);
}

/* Writes a method frame (channel ch, class cls, method mid, arguments a[0..n)) at o; its length. */
static size_t mframe(uint8_t *o, uint16_t ch, uint16_t cls, uint16_t mid, const char *a, size_t n)
{
    uint32_t size = (uint32_t)(4 + n);

    o[0] = 1;
    o[1] = (uint8_t)(ch >> 8);
    o[2] = (uint8_t)ch;
    o[3] = (uint8_t)(size >> 24);
    o[4] = (uint8_t)(size >> 16);
    o[5] = (uint8_t)(size >> 8);
    o[6] = (uint8_t)size;
    o[7] = (uint8_t)(cls >> 8);
    o[8] = (uint8_t)cls;
    o[9] = (uint8_t)(mid >> 8);
    o[10] = (uint8_t)mid;
    memcpy(o + 11, a, n);
    o[11 + n] = 0xce;
    return 12 + n;
}

/* a method frame from side: on channel 0 for the connection class, else on channel 1 */
#define MF(side, cls, mid, args)                                                       \
    do {                                                                               \
        size_t n_ = mframe(at, (cls) == 10 ? 0 : 1, (cls), (mid), (args), sizeof(args) - 1); \
        s[ns++] = (struct dsxh_seg){ (side), at, n_, 0, 0 };                           \
        at += n_;                                                                      \
    } while (0)

/*
 * The arguments of every method the dissector reads (AMQP 0-9-1 §1.4 and
 * RabbitMQ's exchange.bind), each in the field the spec puts it: exchange,
 * queue, routing key, counts, reply code and text; a no-wait bit where the
 * method has one; a method sent by the server (basic.return, with content)
 * and connection.close, whose -ok ends the connection's methods.
 */
TEST(every_method_argument)
{
    static uint8_t mem[2048];
    struct dsxh_seg s[32];
    uint8_t *at = mem;
    size_t ns = 0;
    char *o;

    s[ns++] = (struct dsxh_seg){ 0, PH, 8, 0, 0 };
    MF(0, 40, 10, "\0\0\x04logs\x06" "fanout\x02\0\0\0\0");     /* exchange.declare, durable */
    MF(1, 40, 11, "");
    MF(0, 40, 20, "\0\0\x04logs\x01");                         /* exchange.delete, if-unused */
    MF(1, 40, 21, "");
    MF(0, 50, 20, "\0\0\x04jobs\x04logs\x02k1\0\0\0\0\0");     /* queue.bind */
    MF(1, 50, 21, "");
    MF(0, 50, 50, "\0\0\x04jobs\x04logs\x02k1\0\0\0\0");       /* queue.unbind */
    MF(1, 50, 51, "");
    MF(0, 50, 30, "\0\0\x04jobs\0");                           /* queue.purge */
    MF(1, 50, 31, "\0\0\0\x05");
    MF(0, 60, 20, "\0\0\x04jobs\x02" "c1\x02\0\0\0\0");        /* basic.consume, no-ack */
    MF(1, 60, 21, "\x02" "c1");
    MF(0, 60, 20, "\0\0\x04jobs\x02" "c2\x08\0\0\0\0");        /* basic.consume, no-wait */
    MF(0, 60, 30, "\x02" "c1\0");                              /* basic.cancel */
    MF(1, 60, 31, "\x02" "c1");
    MF(0, 85, 10, "\0");                                       /* confirm.select */
    MF(1, 85, 11, "");
    MF(0, 50, 40, "\0\0\x04jobs\x03");                         /* queue.delete */
    MF(1, 50, 41, "\0\0\0\x02");
    MF(1, 60, 50, "\x01\x38\x08NO_ROUTE\x04logs\x01x");       /* basic.return 312 */
    s[ns++] = (struct dsxh_seg){ 1, "\x02\0\x01\0\0\0\x0e\0<\0\0\0\0\0\0\0\0\0\x02\0\0\xce"
                                    "\x03\0\x01\0\0\0\x02hi\xce", 22 + 10, 0, 0 };
    MF(0, 10, 50, "\0\xc8\x03" "bye\0\0\0\0");                 /* connection.close 200 */
    MF(1, 10, 51, "");
    o = run(s, ns);
    T_EQ(count_lines(o), 12);
    T_STREQ(line(o, 0), X(0, true, 1, 1, 2, 2,
                          "{\"method\":\"exchange.declare\",\"channel\":1,\"exchange\":\"logs\"}",
                          "{\"method\":\"exchange.declare-ok\"}", 31, 12, ""));
    T_STREQ(line(o, 1), X(1, true, 3, 3, 4, 4,
                          "{\"method\":\"exchange.delete\",\"channel\":1,\"exchange\":\"logs\"}",
                          "{\"method\":\"exchange.delete-ok\"}", 20, 12, ""));
    T_STREQ(line(o, 2), X(2, true, 5, 5, 6, 6,
                          "{\"method\":\"queue.bind\",\"channel\":1,\"exchange\":\"logs\","
                          "\"queue\":\"jobs\",\"routingKey\":\"k1\"}",
                          "{\"method\":\"queue.bind-ok\"}", 32, 12, ""));
    T_STREQ(line(o, 3), X(3, true, 7, 7, 8, 8,
                          "{\"method\":\"queue.unbind\",\"channel\":1,\"exchange\":\"logs\","
                          "\"queue\":\"jobs\",\"routingKey\":\"k1\"}",
                          "{\"method\":\"queue.unbind-ok\"}", 31, 12, ""));
    T_STREQ(line(o, 4), X(4, true, 9, 9, 10, 10,
                          "{\"method\":\"queue.purge\",\"channel\":1,\"queue\":\"jobs\"}",
                          "{\"method\":\"queue.purge-ok\",\"messageCount\":5}", 20, 16, ""));
    T_STREQ(line(o, 5), X(5, true, 11, 11, 12, 12,
                          "{\"method\":\"basic.consume\",\"channel\":1,\"queue\":\"jobs\"}",
                          "{\"method\":\"basic.consume-ok\"}", 27, 15, ""));
    /* no-wait: no -ok will come, and none is missing */
    T_STREQ(line(o, 6), X(6, true, 13, 13, -1, -1,
                          "{\"method\":\"basic.consume\",\"channel\":1,\"queue\":\"jobs\"}", "{}",
                          27, 0, ""));
    T_STREQ(line(o, 7), X(7, true, 14, 14, 15, 15, "{\"method\":\"basic.cancel\",\"channel\":1}",
                          "{\"method\":\"basic.cancel-ok\"}", 16, 15, ""));
    T_STREQ(line(o, 8), X(8, true, 16, 16, 17, 17, "{\"method\":\"confirm.select\",\"channel\":1}",
                          "{\"method\":\"confirm.select-ok\"}", 13, 12, ""));
    T_STREQ(line(o, 9), X(9, true, 18, 18, 19, 19,
                          "{\"method\":\"queue.delete\",\"channel\":1,\"queue\":\"jobs\"}",
                          "{\"method\":\"queue.delete-ok\",\"messageCount\":2}", 20, 16, ""));
    /* the server's, with its content (method, header and body frames: 30 + 22 + 10 bytes) */
    T_STREQ(line(o, 10), X(10, false, 20, 21, -1, -1,
                           "{\"method\":\"basic.return\",\"channel\":1,\"exchange\":\"logs\","
                           "\"routingKey\":\"x\",\"replyCode\":312,\"replyText\":\"NO_ROUTE\","
                           "\"bodySize\":2}", "{}", 62, 0, ""));
    T_STREQ(line(o, 11), X(11, true, 22, 22, 23, 23,
                           "{\"method\":\"connection.close\",\"channel\":0,\"replyCode\":200,"
                           "\"replyText\":\"bye\"}", "{\"method\":\"connection.close-ok\"}", 22,
                           12, ""));
    free(o);
    check_splits(s, ns);
}

T_MAIN(T_CASE(registered_and_bids), T_CASE(conversation), T_CASE(splits_give_the_same_entries),
       T_CASE(get_with_content_and_empty), T_CASE(nowait_bind_unknown_heartbeat),
       T_CASE(ok_without_request), T_CASE(bad_end_octet_abandons),
       T_CASE(gap_inside_body_keeps_step), T_CASE(gap_resynchronises),
       T_CASE(method_before_content_ends), T_CASE(end_of_capture),
       T_CASE(big_body_is_not_buffered), T_CASE(pending_cap), T_CASE(content_slots_cap),
       T_CASE(content_cap_while_other_side_reads_a_body),
       T_CASE(channel_close_ends_the_methods_it_refused),
       T_CASE(close_keeps_what_its_sender_asked), T_CASE(body_frames_past_the_body_size),
       T_CASE(every_method_argument))
