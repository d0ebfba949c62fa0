/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: unit tests of the tls dissector: hellos of TLS 1.2 and 1.3,
 * HelloRetryRequest, messages over several records, splits, gaps, caps,
 * malformed records and bids.
 */
#include "config.h"

#include "dissect/dissect.h"

#include <stdio.h>

#include "dsxh.h"
#include "t.h"

#define T0 1700000000000000000ull
#define MS 1000000ull

/* ------------------------------------------------------------ builders */

struct bb {
    uint8_t d[160 * 1024];
    size_t n;
};

static void b8(struct bb *b, unsigned v)
{
    b->d[b->n++] = (uint8_t)v;
}

static void b16(struct bb *b, unsigned v)
{
    b8(b, v >> 8);
    b8(b, v);
}

static void b24(struct bb *b, size_t v)
{
    b8(b, (unsigned)(v >> 16));
    b16(b, (unsigned)v & 0xFFFFu);
}

static void bmem(struct bb *b, const void *p, size_t n)
{
    memcpy(b->d + b->n, p, n);
    b->n += n;
}

static void bfill(struct bb *b, unsigned v, size_t n)
{
    memset(b->d + b->n, (int)v, n);
    b->n += n;
}

/* Writes the length of what follows position at (a 2-byte field there). */
static void blen16(struct bb *b, size_t at)
{
    size_t n = b->n - at - 2;

    b->d[at] = (uint8_t)(n >> 8);
    b->d[at + 1] = (uint8_t)n;
}

/* ALPN extension data: comma-separated protocols (or just the first when one). */
static void alpn_ext(struct bb *m, const char *list)
{
    size_t ext = m->n, lst;

    b16(m, 16);
    b16(m, 0);
    lst = m->n;
    b16(m, 0);
    while (*list) {
        size_t k = strcspn(list, ",");

        b8(m, (unsigned)k);
        bmem(m, list, k);
        list += k + (list[k] == ',');
    }
    blen16(m, lst);
    blen16(m, ext + 2);
}

/* A ClientHello handshake message; pad > 0 adds a padding extension of that size. */
static void client_hello(struct bb *m, unsigned legacy, const char *sni, const char *alpn,
                         const unsigned *sv, size_t nsv, size_t nsuites, size_t pad)
{
    size_t len, exts;

    b8(m, 1);
    len = m->n;
    b24(m, 0);
    b16(m, legacy);
    bfill(m, 0x11, 32);                 /* random */
    b8(m, 32);
    bfill(m, 0x22, 32);                 /* session id */
    b16(m, (unsigned)(2 * nsuites));
    for (size_t i = 0; i < nsuites; i++)
        b16(m, 0x1301 + (unsigned)i);
    b8(m, 1);
    b8(m, 0);                           /* compression: null */
    exts = m->n;
    b16(m, 0);
    if (sni) {
        size_t e = m->n;

        b16(m, 0);
        b16(m, 0);
        b16(m, (unsigned)strlen(sni) + 3);
        b8(m, 0);
        b16(m, (unsigned)strlen(sni));
        bmem(m, sni, strlen(sni));
        blen16(m, e + 2);
    }
    if (alpn)
        alpn_ext(m, alpn);
    if (nsv) {
        b16(m, 43);
        b16(m, (unsigned)(1 + 2 * nsv));
        b8(m, (unsigned)(2 * nsv));
        for (size_t i = 0; i < nsv; i++)
            b16(m, sv[i]);
    }
    if (pad) {
        b16(m, 21);
        b16(m, (unsigned)pad);
        bfill(m, 0, pad);
    }
    blen16(m, exts);
    m->d[len] = (uint8_t)((m->n - len - 3) >> 16);
    m->d[len + 1] = (uint8_t)((m->n - len - 3) >> 8);
    m->d[len + 2] = (uint8_t)(m->n - len - 3);
}

static const uint8_t hrr_random[32] = {
    0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
    0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C,
};

/* A ServerHello handshake message (sv 0: no supported_versions; alpn NULL: none). */
static void server_hello(struct bb *m, unsigned legacy, bool hrr, unsigned suite, unsigned sv,
                         const char *alpn)
{
    size_t len, exts;

    b8(m, 2);
    len = m->n;
    b24(m, 0);
    b16(m, legacy);
    if (hrr)
        bmem(m, hrr_random, 32);
    else
        bfill(m, 0x33, 32);
    b8(m, 0);                           /* empty session id */
    b16(m, suite);
    b8(m, 0);
    if (sv || alpn) {
        exts = m->n;
        b16(m, 0);
        if (sv) {
            b16(m, 43);
            b16(m, 2);
            b16(m, sv);
        }
        if (alpn)
            alpn_ext(m, alpn);
        blen16(m, exts);
    }
    m->d[len] = (uint8_t)((m->n - len - 3) >> 16);
    m->d[len + 1] = (uint8_t)((m->n - len - 3) >> 8);
    m->d[len + 2] = (uint8_t)(m->n - len - 3);
}

/* Wraps p/n into records of type (at most frag bytes each). */
static void records(struct bb *out, unsigned type, unsigned ver, const uint8_t *p, size_t n,
                    size_t frag)
{
    do {
        size_t k = n < frag ? n : frag;

        b8(out, type);
        b16(out, ver);
        b16(out, (unsigned)k);
        bmem(out, p, k);
        p += k;
        n -= k;
    } while (n);
}

/* ------------------------------------------------------------ helpers */

static char *run(const struct dsxh_seg *s, size_t n)
{
    return dsxh_run(&dsx_tls, false, 443, s, n);
}

#define count_lines(o) dsxh_count_lines(o)
#define line(o, i) dsxh_line(o, i)
#define no_packets(o) dsxh_no_packets(o)

static const unsigned sv13[] = { 0x0a0a, 0x0304, 0x0303 };

/* Client flight: CH in one record; server flight: SH, CCS, 100 bytes of application data. */
static void tls13_flights(struct bb *c, struct bb *s)
{
    static struct bb m;

    m.n = 0;
    client_hello(&m, 0x0303, "example.com", "h2,http/1.1", sv13, 3, 3, 0);
    records(c, 22, 0x0301, m.d, m.n, 16384);
    m.n = 0;
    server_hello(&m, 0x0303, false, 0x1301, 0x0304, "h2");
    records(s, 22, 0x0303, m.d, m.n, 16384);
    records(s, 20, 0x0303, (const uint8_t *)"\x01", 1, 16384);
    m.n = 0;
    bfill(&m, 0xAA, 100);
    records(s, 23, 0x0303, m.d, m.n, 16384);
}

#define HEAD0                                                                                   \
    "{\"id\":\"test/1-0\",\"index\":0,\"stream\":\"000000000001.pcap\","                        \
    "\"node\":{\"name\":\"test\",\"ip\":\"\"},\"protocol\":{\"name\":\"tls\",\"version\":\"\"," \
    "\"abbr\":\"TLS\",\"longName\":\"Transport Layer Security\",\"layer4\":\"tcp\"},"           \
    "\"src\":{\"ip\":\"10.0.0.1\",\"port\":40000,\"name\":\"\",\"namespace\":\"\"},"             \
    "\"dst\":{\"ip\":\"10.0.0.2\",\"port\":443,\"name\":\"\",\"namespace\":\"\"},"
#define REQ13 "\"request\":{\"version\":\"TLS 1.2\",\"sni\":\"example.com\"," \
              "\"alpn\":[\"h2\",\"http/1.1\"]," \
              "\"supportedVersions\":[\"0x0a0a\",\"TLS 1.3\",\"TLS 1.2\"],\"cipherSuites\":3},"
#define RESP13 "\"response\":{\"version\":\"TLS 1.3\"," \
               "\"cipherSuite\":\"TLS_AES_128_GCM_SHA256\",\"alpn\":\"h2\"},"

/* ------------------------------------------------------------ tests */

TEST(registered)
{
    T_TRUE(dsx_find("tls") == &dsx_tls);
}

TEST(tls13_handshake_exact)
{
    static struct bb c, s;
    static struct bb c2;
    struct dsxh_seg seg[4];
    char *o;

    c.n = s.n = c2.n = 0;
    tls13_flights(&c, &s);
    records(&c2, 20, 0x0303, (const uint8_t *)"\x01", 1, 16384);
    records(&c2, 23, 0x0303, s.d, 50, 16384);
    seg[0] = (struct dsxh_seg){ 0, c.d, c.n, 0, 0 };
    seg[1] = (struct dsxh_seg){ 1, s.d, s.n, T0 + 5 * MS, 0 };
    seg[2] = (struct dsxh_seg){ 0, c2.d, c2.n, 0, 0 };
    seg[3] = (struct dsxh_seg){ 1, s.d + 10, 30, 0, 0 };     /* more server bytes, unread */
    o = run(seg, 4);
    T_EQ(count_lines(o), 1);
    /* CH: 4 + 2+32+1+32+2+6+2 + 2 + (4+16) + (4+2+12) + (4+7) = 132 bytes; SH: 59 */
    T_STREQ(line(o, 0),
            HEAD0 "\"namespace\":\"\","
                  "\"timestamp\":1700000000001,\"startTime\":\"2023-11-14T22:13:20.001000000Z\","
            "\"elapsedTime\":4," REQ13 RESP13 "\"requestSize\":137,\"responseSize\":64,"
            "\"anomalies\":[],\"times\":{\"request\":1700000000001000000,"
            "\"requestEnd\":1700000000001000000,\"response\":1700000000005000000,"
            "\"responseEnd\":1700000000005000000},"
            "\"packets\":{\"request\":0,\"response\":1,\"last\":1}}");
    free(o);
}

TEST(byte_by_byte_equals_one_piece)
{
    static struct bb c, s;
    static struct dsxh_seg seg[4096];
    struct dsxh_seg whole[2];
    char *ref, *alt, *a, *b;
    size_t k = 0;

    c.n = s.n = 0;
    tls13_flights(&c, &s);
    whole[0] = (struct dsxh_seg){ 0, c.d, c.n, T0 + MS, 0 };
    whole[1] = (struct dsxh_seg){ 1, s.d, s.n, T0 + 2 * MS, 0 };
    for (size_t i = 0; i < c.n; i++)
        seg[k++] = (struct dsxh_seg){ 0, c.d + i, 1, T0 + MS, 0 };
    for (size_t i = 0; i < s.n; i++)
        seg[k++] = (struct dsxh_seg){ 1, s.d + i, 1, T0 + 2 * MS, 0 };
    ref = run(whole, 2);
    alt = run(seg, k);
    a = no_packets(ref);
    b = no_packets(alt);
    T_EQ(count_lines(ref), 1);
    T_STREQ(a, b);
    /* the request is packets 0..136, the ServerHello record packets 137..200 */
    T_TRUE(strstr(alt, "\"packets\":{\"request\":0,\"response\":137,\"last\":200}") != NULL);
    free(a);
    free(b);
    free(ref);
    free(alt);
}

TEST(tls12_server_flight_in_one_record)
{
    static struct bb c, s, m;
    struct dsxh_seg seg[2];
    char *o;

    c.n = s.n = m.n = 0;
    client_hello(&m, 0x0303, "a.example", NULL, NULL, 0, 20, 0);
    records(&c, 22, 0x0301, m.d, m.n, 16384);
    m.n = 0;
    server_hello(&m, 0x0303, false, 0xc02f, 0, "http/1.1");
    b8(&m, 11);                         /* Certificate (empty) and ServerHelloDone */
    b24(&m, 3);
    b24(&m, 0);
    b8(&m, 14);
    b24(&m, 0);
    records(&s, 22, 0x0303, m.d, m.n, 16384);
    seg[0] = (struct dsxh_seg){ 0, c.d, c.n, 0, 0 };
    seg[1] = (struct dsxh_seg){ 1, s.d, s.n, 0, 0 };
    o = run(seg, 2);
    T_EQ(count_lines(o), 1);
    T_TRUE(strstr(line(o, 0), "\"request\":{\"version\":\"TLS 1.2\",\"sni\":\"a.example\","
                              "\"alpn\":[],\"supportedVersions\":[],\"cipherSuites\":20},"
                              "\"response\":{\"version\":\"TLS 1.2\",\"cipherSuite\":"
                              "\"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256\","
                              "\"alpn\":\"http/1.1\"},") != NULL);
    /* the whole record: 5 + SH 4+2+32+1+2+1+2+(4+2+9) + 7 + 4 */
    T_TRUE(strstr(line(o, 0), "\"responseSize\":75,\"anomalies\":[]") != NULL);
    free(o);
}

TEST(client_hello_over_several_records)
{
    static struct bb c, s, m;
    struct dsxh_seg seg[2];
    char *o;

    c.n = s.n = m.n = 0;
    client_hello(&m, 0x0303, "frag.example", "h2", sv13 + 1, 1, 2, 1000);
    records(&c, 22, 0x0301, m.d, m.n, 300);   /* 4 records */
    m.n = 0;
    server_hello(&m, 0x0303, false, 0x1302, 0x0304, NULL);
    records(&s, 22, 0x0303, m.d, m.n, 16384);
    seg[0] = (struct dsxh_seg){ 0, c.d, c.n, 0, 0 };
    seg[1] = (struct dsxh_seg){ 1, s.d, s.n, 0, 0 };
    o = run(seg, 2);
    T_EQ(count_lines(o), 1);
    T_TRUE(strstr(line(o, 0), "\"request\":{\"version\":\"TLS 1.2\",\"sni\":\"frag.example\","
                              "\"alpn\":[\"h2\"],\"supportedVersions\":[\"TLS 1.3\"],"
                              "\"cipherSuites\":2},\"response\":{\"version\":\"TLS 1.3\","
                              "\"cipherSuite\":\"TLS_AES_256_GCM_SHA384\","
                              "\"alpn\":\"\"},") != NULL);
    {
        char want[96];

        snprintf(want, sizeof want, "\"requestSize\":%zu,\"responseSize\":%zu,\"anomalies\":[]",
                 c.n, s.n);
        T_TRUE(strstr(line(o, 0), want) != NULL);
    }
    free(o);
}

TEST(hello_retry_request_makes_two_entries)
{
    static struct bb c1, c2, s1, s2, m;
    struct dsxh_seg seg[4];
    char *o;

    c1.n = c2.n = s1.n = s2.n = m.n = 0;
    client_hello(&m, 0x0303, "hrr.example", NULL, sv13 + 1, 1, 1, 0);
    records(&c1, 22, 0x0301, m.d, m.n, 16384);
    m.n = 0;
    server_hello(&m, 0x0303, true, 0x1301, 0x0304, NULL);
    records(&s1, 22, 0x0303, m.d, m.n, 16384);
    records(&c2, 20, 0x0303, (const uint8_t *)"\x01", 1, 16384);    /* middlebox CCS */
    m.n = 0;
    client_hello(&m, 0x0303, "hrr.example", NULL, sv13 + 1, 1, 1, 0);
    records(&c2, 22, 0x0303, m.d, m.n, 16384);
    m.n = 0;
    server_hello(&m, 0x0303, false, 0x1301, 0x0304, NULL);
    records(&s2, 22, 0x0303, m.d, m.n, 16384);
    seg[0] = (struct dsxh_seg){ 0, c1.d, c1.n, 0, 0 };
    seg[1] = (struct dsxh_seg){ 1, s1.d, s1.n, 0, 0 };
    seg[2] = (struct dsxh_seg){ 0, c2.d, c2.n, 0, 0 };
    seg[3] = (struct dsxh_seg){ 1, s2.d, s2.n, 0, 0 };
    o = run(seg, 4);
    T_EQ(count_lines(o), 2);
    T_TRUE(strstr(line(o, 0), "\"response\":{\"version\":\"TLS 1.3\",\"cipherSuite\":"
                              "\"TLS_AES_128_GCM_SHA256\",\"alpn\":\"\","
                              "\"helloRetryRequest\":true},") != NULL);
    T_TRUE(strstr(line(o, 0), "\"packets\":{\"request\":0,\"response\":1,\"last\":1}") != NULL);
    T_TRUE(strstr(line(o, 1), "\"response\":{\"version\":\"TLS 1.3\",\"cipherSuite\":"
                              "\"TLS_AES_128_GCM_SHA256\",\"alpn\":\"\"},") != NULL);
    /* the second ClientHello's record only (not the CCS before it) */
    T_TRUE(strstr(line(o, 1), "\"packets\":{\"request\":2,\"response\":3,\"last\":3}") != NULL);
    {
        char want[96];

        snprintf(want, sizeof want, "\"requestSize\":%zu,\"responseSize\":%zu,\"anomalies\":[]",
                 c2.n - 6, s2.n);
        T_TRUE(strstr(line(o, 1), want) != NULL);
    }
    free(o);
}

TEST(client_hello_alone_has_no_response)
{
    static struct bb c, s;
    struct dsxh_seg seg[2];
    char *o;

    c.n = s.n = 0;
    tls13_flights(&c, &s);
    seg[0] = (struct dsxh_seg){ 0, c.d, c.n, 0, 0 };
    seg[1] = (struct dsxh_seg){ 1, "\x15\x03\x03\x00\x02\x02\x28", 7, 0, 0 };   /* an alert */
    o = run(seg, 2);
    T_EQ(count_lines(o), 1);
    T_TRUE(strstr(line(o, 0), REQ13 "\"response\":{},\"requestSize\":137,\"responseSize\":0,"
                              "\"anomalies\":[\"no_response\"]") != NULL);
    free(o);
}

TEST(server_hello_alone_has_no_request)
{
    static struct bb c, s;
    struct dsxh_seg seg[1];
    char *o;

    c.n = s.n = 0;
    tls13_flights(&c, &s);
    seg[0] = (struct dsxh_seg){ 0, s.d, s.n, 0, 0 };     /* the capture starts with the server */
    o = run(seg, 1);
    T_EQ(count_lines(o), 1);
    T_TRUE(strstr(line(o, 0), "\"src\":{\"ip\":\"10.0.0.2\",\"port\":443,"
                              "\"name\":\"\",\"namespace\":\"\"},"
                              "\"dst\":{\"ip\":\"10.0.0.1\",\"port\":40000,"
                              "\"name\":\"\",\"namespace\":\"\"}") != NULL);
    T_TRUE(strstr(line(o, 0), "\"request\":{}," RESP13 "\"requestSize\":0,\"responseSize\":64,"
                              "\"anomalies\":[\"no_request\"]") != NULL);
    free(o);
}

TEST(mid_stream_records_give_no_entry)
{
    static struct bb c, s;
    struct dsxh_seg seg[3];
    char *o;

    c.n = s.n = 0;
    bfill(&s, 0x5A, 200);
    records(&c, 23, 0x0303, s.d, 200, 16384);
    records(&c, 22, 0x0303, s.d, 40, 16384);    /* an encrypted handshake message */
    records(&c, 21, 0x0303, s.d, 26, 16384);
    seg[0] = (struct dsxh_seg){ 0, c.d, c.n, 0, 0 };
    seg[1] = (struct dsxh_seg){ 1, c.d, c.n, 0, 0 };
    seg[2] = (struct dsxh_seg){ 0, c.d, 100, 0, 0 };
    o = run(seg, 3);
    T_STREQ(o, "");
    free(o);
}

TEST(bad_record_header_abandons_with_malformed)
{
    static struct bb c, s;
    struct dsxh_seg seg[3];
    char *o;

    c.n = s.n = 0;
    tls13_flights(&c, &s);
    seg[0] = (struct dsxh_seg){ 0, c.d, c.n, 0, 0 };
    seg[1] = (struct dsxh_seg){ 1, "HTTP/1.1 400 Bad Request\r\n\r\n", 28, 0, 0 };
    seg[2] = (struct dsxh_seg){ 1, s.d, s.n, 0, 0 };
    o = run(seg, 3);
    T_EQ(count_lines(o), 1);
    T_TRUE(strstr(line(o, 0), REQ13 "\"response\":{},\"requestSize\":137,\"responseSize\":0,"
                              "\"anomalies\":[\"malformed\",\"no_response\"]") != NULL);
    free(o);
}

TEST(gap_inside_the_server_hello_record)
{
    static struct bb c, s;
    struct dsxh_seg seg[4];
    char *o;

    c.n = s.n = 0;
    tls13_flights(&c, &s);
    /* 20 bytes of the ServerHello record, 30 lost, the rest of the server flight */
    seg[0] = (struct dsxh_seg){ 0, c.d, c.n, 0, 0 };
    seg[1] = (struct dsxh_seg){ 1, s.d, 20, 0, 0 };
    seg[2] = (struct dsxh_seg){ 1, NULL, 30, 0, DSXH_GAP };
    seg[3] = (struct dsxh_seg){ 1, s.d + 50, s.n - 50, 0, 0 };
    o = run(seg, 4);
    T_EQ(count_lines(o), 1);
    T_TRUE(strstr(line(o, 0), REQ13 "\"response\":{},\"requestSize\":137,\"responseSize\":0,"
                              "\"anomalies\":[\"gap\",\"no_response\"]") != NULL);
    free(o);
}

TEST(gap_before_the_server_hello_resynchronises)
{
    static struct bb c, s;
    struct dsxh_seg seg[4];
    char *o;

    c.n = s.n = 0;
    tls13_flights(&c, &s);
    seg[0] = (struct dsxh_seg){ 0, c.d, c.n, 0, 0 };
    seg[1] = (struct dsxh_seg){ 1, "\x17\x03", 2, 0, 0 };      /* half a header, then lost bytes */
    seg[2] = (struct dsxh_seg){ 1, NULL, 500, 0, DSXH_GAP };
    {
        static struct bb j;

        j.n = 0;
        bmem(&j, "\x03\x00\x10zzzzzzz", 10);     /* the tail of something, then the flight */
        bmem(&j, s.d, s.n);
        seg[3] = (struct dsxh_seg){ 1, j.d, j.n, 0, 0 };
        o = run(seg, 4);
    }
    T_EQ(count_lines(o), 1);
    T_TRUE(strstr(line(o, 0), REQ13 RESP13 "\"requestSize\":137,\"responseSize\":64,"
                              "\"anomalies\":[\"gap\"]") != NULL);
    free(o);
}

TEST(malformed_client_hello_keeps_what_was_read)
{
    static struct bb c, m;
    struct dsxh_seg seg[1];
    char *o;

    c.n = m.n = 0;
    client_hello(&m, 0x0302, "x.example", NULL, NULL, 0, 4, 0);
    /* the extensions block claims 200 bytes more than there are */
    m.d[4 + 2 + 32 + 1 + 32 + 2 + 8 + 2] += 200 >> 8;
    m.d[4 + 2 + 32 + 1 + 32 + 2 + 8 + 2 + 1] =
        (uint8_t)(m.d[4 + 2 + 32 + 1 + 32 + 2 + 8 + 2 + 1] + 200);
    records(&c, 22, 0x0301, m.d, m.n, 16384);
    seg[0] = (struct dsxh_seg){ 0, c.d, c.n, 0, 0 };
    o = run(seg, 1);
    T_EQ(count_lines(o), 1);
    /* the extensions that are all there are still read */
    T_TRUE(strstr(line(o, 0), "\"request\":{\"version\":\"TLS 1.1\",\"sni\":\"x.example\","
                              "\"alpn\":[],\"supportedVersions\":[],\"cipherSuites\":4},"
                              "\"response\":{},") != NULL);
    T_TRUE(strstr(line(o, 0), "\"anomalies\":[\"malformed\",\"no_response\"]") != NULL);
    free(o);

    /* a server_name list longer than its extension: no SNI */
    c.n = m.n = 0;
    client_hello(&m, 0x0303, "x.example", "h2", NULL, 0, 1, 0);
    m.d[4 + 2 + 32 + 1 + 32 + 2 + 2 + 2 + 2 + 4 + 1] = 0x40;
    records(&c, 22, 0x0301, m.d, m.n, 16384);
    seg[0] = (struct dsxh_seg){ 0, c.d, c.n, 0, 0 };
    o = run(seg, 1);
    T_TRUE(strstr(line(o, 0), "\"request\":{\"version\":\"TLS 1.2\",\"sni\":\"\",\"alpn\":[\"h2\"],"
                              "\"supportedVersions\":[],\"cipherSuites\":1},"
                              "\"response\":{},") != NULL);
    T_TRUE(strstr(line(o, 0), "\"anomalies\":[\"malformed\",\"no_response\"]") != NULL);
    free(o);
}

TEST(client_hello_over_64k_is_capped)
{
    static struct bb c, s, m;
    struct dsxh_seg seg[2];
    char *o;

    c.n = s.n = m.n = 0;
    client_hello(&m, 0x0303, "big.example", NULL, NULL, 0, 32000, 3000);     /* 67113 bytes */
    records(&c, 22, 0x0301, m.d, m.n, 16384);
    m.n = 0;
    server_hello(&m, 0x0300, false, 0x0005, 0, NULL);
    records(&s, 22, 0x0300, m.d, m.n, 16384);
    seg[0] = (struct dsxh_seg){ 0, c.d, c.n, 0, 0 };
    seg[1] = (struct dsxh_seg){ 1, s.d, s.n, 0, 0 };
    o = run(seg, 2);
    T_EQ(count_lines(o), 1);
    /* the first 64 KiB hold everything but the end of the padding */
    T_TRUE(strstr(line(o, 0), "\"request\":{\"version\":\"TLS 1.2\",\"sni\":\"big.example\","
                              "\"alpn\":[],\"supportedVersions\":[],\"cipherSuites\":32000},"
                              "\"response\":{\"version\":\"SSL 3.0\",\"cipherSuite\":"
                              "\"TLS_RSA_WITH_RC4_128_SHA\",\"alpn\":\"\"},") != NULL);
    T_TRUE(strstr(line(o, 0), "\"anomalies\":[\"truncated\",\"cap\"]") != NULL);
    free(o);
}

TEST(unknown_suite_and_version_as_hex)
{
    static struct bb c, s, m;
    struct dsxh_seg seg[2];
    char *o;

    c.n = s.n = m.n = 0;
    client_hello(&m, 0x0303, "h.example", NULL, NULL, 0, 1, 0);
    records(&c, 22, 0x0301, m.d, m.n, 16384);
    m.n = 0;
    server_hello(&m, 0x0303, false, 0x1234, 0x7f1c, NULL);
    records(&s, 22, 0x0303, m.d, m.n, 16384);
    seg[0] = (struct dsxh_seg){ 0, c.d, c.n, 0, 0 };
    seg[1] = (struct dsxh_seg){ 1, s.d, s.n, 0, 0 };
    o = run(seg, 2);
    T_TRUE(strstr(line(o, 0), "\"response\":{\"version\":\"0x7f1c\",\"cipherSuite\":\"0x1234\","
                              "\"alpn\":\"\"},") != NULL);
    free(o);
}

TEST(server_hello_cut_by_capture_end_is_truncated)
{
    static struct bb c, s;
    struct dsxh_seg seg[2];
    char *o;

    c.n = s.n = 0;
    tls13_flights(&c, &s);
    seg[0] = (struct dsxh_seg){ 0, c.d, c.n, 0, 0 };
    seg[1] = (struct dsxh_seg){ 1, s.d, 30, 0, 0 };
    o = run(seg, 2);
    /* the response holds what its 30 bytes show (the legacy version; the suite is cut) */
    T_EQ(count_lines(o), 1);
    T_TRUE(strstr(line(o, 0), REQ13 "\"response\":{\"version\":\"TLS 1.2\",\"cipherSuite\":\"\","
                              "\"alpn\":\"\"},\"requestSize\":137,\"responseSize\":30,"
                              "\"anomalies\":[\"truncated\"]") != NULL);
    free(o);
}

TEST(client_hello_cut_by_capture_end_is_truncated)
{
    static const char cut[] = "\"request\":{\"version\":\"TLS 1.2\",\"sni\":\"\",\"alpn\":[],"
                              "\"supportedVersions\":[],\"cipherSuites\":0},\"response\":{},"
                              "\"requestSize\":60,\"responseSize\":0,"
                              "\"anomalies\":[\"truncated\",\"no_response\"]";
    static struct bb c, s, c2;
    struct dsxh_seg seg[1];
    char *o;

    /* the hello in one record, cut: what its bytes show, not nothing */
    c.n = s.n = 0;
    tls13_flights(&c, &s);
    seg[0] = (struct dsxh_seg){ 0, c.d, 60, 0, 0 };
    o = run(seg, 1);
    T_EQ(count_lines(o), 1);
    T_TRUE(strstr(line(o, 0), cut) != NULL);
    free(o);
    /* the same hello over records of 50 bytes, its second record cut: the same entry */
    c2.n = 0;
    records(&c2, 22, 0x0301, c.d + 5, c.n - 5, 50);
    seg[0] = (struct dsxh_seg){ 0, c2.d, 60, 0, 0 };
    o = run(seg, 1);
    T_EQ(count_lines(o), 1);
    T_TRUE(strstr(line(o, 0), cut) != NULL);
    free(o);
}

TEST(application_data_is_skipped_in_pieces)
{
    static struct bb c, s, big;
    static struct dsxh_seg seg[1200];
    size_t k = 0;
    char *o;

    c.n = s.n = big.n = 0;
    tls13_flights(&c, &s);
    seg[k++] = (struct dsxh_seg){ 0, c.d, c.n, 0, 0 };
    seg[k++] = (struct dsxh_seg){ 1, s.d, s.n, 0, 0 };
    for (int r = 0; r < 8; r++) {
        static uint8_t junk[16384];

        memset(junk, r, sizeof junk);
        records(&big, 23, 0x0303, junk, sizeof junk, 16384);
    }
    for (size_t off = 0; off < big.n; off += 997)
        seg[k++] = (struct dsxh_seg){ 0, big.d + off, big.n - off < 997 ? big.n - off : 997, 0, 0 };
    o = run(seg, k);
    T_EQ(count_lines(o), 1);
    T_TRUE(strstr(line(o, 0), REQ13 RESP13 "\"requestSize\":137,\"responseSize\":64,"
                              "\"anomalies\":[]") != NULL);
    free(o);
}

TEST(bids)
{
    static struct bb c, s;
    static const char http[] = "GET / HTTP/1.1\r\n\r\n";

    c.n = s.n = 0;
    tls13_flights(&c, &s);
    T_EQ(dsx_tls.bid(c.d, c.n, 0, false), DSX_STRONG);
    T_EQ(dsx_tls.bid(c.d, 9, 0, false), DSX_STRONG);
    T_EQ(dsx_tls.bid(c.d, 6, 0, false), DSX_MORE);
    T_EQ(dsx_tls.bid(c.d, 1, 0, false), DSX_MORE);
    T_EQ(dsx_tls.bid(s.d, s.n, 1, false), DSX_STRONG);
    T_EQ(dsx_tls.bid(c.d, c.n, 0, true), DSX_NO);
    T_EQ(dsx_tls.bid((const uint8_t *)"\x17\x03\x03\x00\x20", 5, 0, false), DSX_WEAK);
    T_EQ(dsx_tls.bid((const uint8_t *)"\x15\x03\x03\x00\x02\x02\x28", 7, 0, false), DSX_WEAK);
    T_EQ(dsx_tls.bid((const uint8_t *)"\x17\x03\x03\x50\x00", 5, 0, false), DSX_NO);  /* too long */
    T_EQ(dsx_tls.bid((const uint8_t *)"\x17\x03\x05\x00\x20", 5, 0, false), DSX_NO);
    T_EQ(dsx_tls.bid((const uint8_t *)"\x16\x03\x01\x00\x40\x0b\x00\x00\x3c", 9, 0, false),
         DSX_WEAK);
    T_EQ(dsx_tls.bid((const uint8_t *)"\x80\x2e\x01\x00\x02", 5, 0, false), DSX_NO);  /* SSLv2 */
    T_EQ(dsx_tls.bid((const uint8_t *)http, sizeof http - 1, 0, false), DSX_NO);
}

T_MAIN(T_CASE(registered), T_CASE(tls13_handshake_exact), T_CASE(byte_by_byte_equals_one_piece),
       T_CASE(tls12_server_flight_in_one_record), T_CASE(client_hello_over_several_records),
       T_CASE(hello_retry_request_makes_two_entries), T_CASE(client_hello_alone_has_no_response),
       T_CASE(server_hello_alone_has_no_request), T_CASE(mid_stream_records_give_no_entry),
       T_CASE(bad_record_header_abandons_with_malformed),
       T_CASE(gap_inside_the_server_hello_record),
       T_CASE(gap_before_the_server_hello_resynchronises),
       T_CASE(malformed_client_hello_keeps_what_was_read), T_CASE(client_hello_over_64k_is_capped),
       T_CASE(unknown_suite_and_version_as_hex),
       T_CASE(server_hello_cut_by_capture_end_is_truncated),
       T_CASE(client_hello_cut_by_capture_end_is_truncated),
       T_CASE(application_data_is_skipped_in_pieces), T_CASE(bids))
