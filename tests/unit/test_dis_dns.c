/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: unit tests of the dns dissector: pairing over UDP and TCP, record
 * types, compression bounds, TCP framing splits and gaps, caps, bids.
 */
#include "config.h"

#include "dissect/dissect.h"

#include <stdio.h>

#include "dsxh.h"
#include "t.h"

/* id 0x1234, RD, one question: example.com A IN (29 bytes). */
#define Q1 "\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00" \
           "\x07" "example" "\x03" "com" "\x00" "\x00\x01\x00\x01"
/* Its answer: CNAME www.example.com (compressed), then www.example.com A 93.184.216.34
 * (63 bytes). */
#define R1 "\x12\x34\x81\x80\x00\x01\x00\x02\x00\x00\x00\x00" \
           "\x07" "example" "\x03" "com" "\x00" "\x00\x01\x00\x01" \
           "\xc0\x0c\x00\x05\x00\x01\x00\x00\x01\x2c\x00\x06\x03" "www" "\xc0\x0c" \
           "\xc0\x29\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04\x5d\xb8\xd8\x22"
#define Q1_TCP "\x00\x1d" Q1
#define R1_TCP "\x00\x3f" R1
/* id 0x5678 NXDOMAIN for nope.test AAAA, with the query's question (27 bytes). */
#define R2 "\x56\x78\x81\x83\x00\x01\x00\x00\x00\x00\x00\x00" \
           "\x04" "nope" "\x04" "test" "\x00" "\x00\x1c\x00\x01"
#define R2_TCP "\x00\x1b" R2

/* The fixed start of every line (entry index i, UDP or TCP). */
#define HEAD(i, l4, file)                                                                  \
    "{\"id\":\"test/1-" #i "\",\"index\":" #i ",\"stream\":\"000000000001" file "\","     \
    "\"node\":{\"name\":\"test\",\"ip\":\"\"},\"protocol\":{\"name\":\"dns\",\"version\":\"\"," \
    "\"abbr\":\"DNS\",\"longName\":\"Domain Name System\",\"layer4\":\"" l4 "\"},"
#define HEAD_UDP(i) HEAD(i, "udp", "_udp.pcap")
#define HEAD_TCP(i) HEAD(i, "tcp", ".pcap")
#define FWD "\"src\":{\"ip\":\"10.0.0.1\",\"port\":40000,\"name\":\"\",\"namespace\":\"\"}," \
            "\"dst\":{\"ip\":\"10.0.0.2\",\"port\":53,\"name\":\"\",\"namespace\":\"\"},"
#define REV "\"src\":{\"ip\":\"10.0.0.2\",\"port\":53,\"name\":\"\",\"namespace\":\"\"}," \
            "\"dst\":{\"ip\":\"10.0.0.1\",\"port\":40000,\"name\":\"\",\"namespace\":\"\"},"

#define REQ1 "\"request\":{\"id\":4660,\"opcode\":\"QUERY\",\"flags\":{\"rd\":true,\"tc\":false," \
             "\"ad\":false,\"cd\":false},\"questions\":[{\"name\":\"example.com\",\"type\":\"A\"," \
             "\"class\":\"IN\"}]},"
#define RESP1 "\"response\":{\"id\":4660,\"rcode\":\"NOERROR\","                            \
              "\"flags\":{\"aa\":false,\"tc\":false,\"rd\":true,\"ra\":true},"              \
              "\"questions\":[{\"name\":\"example.com\",\"type\":\"A\",\"class\":\"IN\"}]," \
              "\"answers\":[{\"name\":\"example.com\",\"type\":\"CNAME\",\"class\":\"IN\"," \
              "\"ttl\":300,\"data\":\"www.example.com\"},"                                  \
              "{\"name\":\"www.example.com\",\"type\":\"A\",\"class\":\"IN\",\"ttl\":60,"   \
              "\"data\":\"93.184.216.34\"}],\"authorities\":[],\"additionals\":0},"
#define RESP2 "\"response\":{\"id\":22136,\"rcode\":\"NXDOMAIN\",\"flags\":{\"aa\":false,"    \
              "\"tc\":false,\"rd\":true,\"ra\":true},\"questions\":[{\"name\":\"nope.test\"," \
              "\"type\":\"AAAA\",\"class\":\"IN\"}],\"answers\":[],\"authorities\":[],"      \
              "\"additionals\":0},"

#define T0 1700000000000000000ull
#define MS 1000000ull

static char *run(bool udp, const struct dsxh_seg *s, size_t n)
{
    return dsxh_run(&dsx_dns, udp, 53, s, n);
}

/* Shared by the dissector tests (dsxh.h). */
#define count_lines(o) dsxh_count_lines(o)
#define line(o, i) dsxh_line(o, i)
#define no_packets(o) dsxh_no_packets(o)

TEST(registered)
{
    T_TRUE(dsx_find("dns") == &dsx_dns);
    T_EQ(dsx_dns.l4, DSX_TCP | DSX_UDP);
}

TEST(udp_query_and_answer_exact)
{
    struct dsxh_seg s[] = { DSXH_S(0, Q1, 0), DSXH_S(1, R1, T0 + 3 * MS) };
    char *o = run(true, s, 2);

    T_EQ(count_lines(o), 1);
    T_STREQ(line(o, 0),
            HEAD_UDP(0) FWD
            "\"namespace\":\"\","
            "\"timestamp\":1700000000001,\"startTime\":\"2023-11-14T22:13:20.001000000Z\","
            "\"elapsedTime\":2," REQ1 RESP1
            "\"requestSize\":29,\"responseSize\":63,\"anomalies\":[],"
            "\"times\":{\"request\":1700000000001000000,\"requestEnd\":1700000000001000000,"
            "\"response\":1700000000003000000,\"responseEnd\":1700000000003000000},"
            "\"packets\":{\"request\":0,\"response\":1,\"last\":1}}");
    free(o);
}

TEST(udp_answer_cut_by_the_capture_is_truncated)
{
    /* R1 captured up to its first answer (47 of 63 bytes: the snaplen) */
    struct dsxh_seg cut[] = { DSXH_S(0, Q1, 0), { 1, R1, 47, T0 + 3 * MS, DSXH_WIRE(63) } };
    /* the same bytes as a whole datagram: its counts promise what it lacks */
    struct dsxh_seg whole[] = { DSXH_S(0, Q1, 0), { 1, R1, 47, T0 + 3 * MS, 0 } };
    const char *answers = "\"answers\":[{\"name\":\"example.com\",\"type\":\"CNAME\","
                          "\"class\":\"IN\",\"ttl\":300,\"data\":\"www.example.com\"}],";
    char *o = run(true, cut, 2);

    T_EQ(count_lines(o), 1);
    T_TRUE(strstr(line(o, 0), answers) != NULL);
    /* the size is the datagram's on the wire */
    T_TRUE(strstr(line(o, 0), "\"requestSize\":29,\"responseSize\":63,"
                              "\"anomalies\":[\"truncated\"]") != NULL);
    free(o);
    o = run(true, whole, 2);
    T_TRUE(strstr(line(o, 0), answers) != NULL);
    T_TRUE(strstr(line(o, 0), "\"requestSize\":29,\"responseSize\":47,"
                              "\"anomalies\":[\"malformed\"]") != NULL);
    free(o);
}

TEST(tcp_query_and_answer_exact_with_prefix_in_sizes)
{
    struct dsxh_seg s[] = { DSXH_S(0, Q1_TCP, 0), DSXH_S(1, R1_TCP, 0), DSXH_FINSEG(0),
                            DSXH_FINSEG(1) };
    char *o = run(false, s, 4);

    T_EQ(count_lines(o), 1);
    T_STREQ(line(o, 0),
            HEAD_TCP(0) FWD
            "\"namespace\":\"\","
            "\"timestamp\":1700000000001,\"startTime\":\"2023-11-14T22:13:20.001000000Z\","
            "\"elapsedTime\":1," REQ1 RESP1
            "\"requestSize\":31,\"responseSize\":65,\"anomalies\":[],"
            "\"times\":{\"request\":1700000000001000000,\"requestEnd\":1700000000001000000,"
            "\"response\":1700000000002000000,\"responseEnd\":1700000000002000000},"
            "\"packets\":{\"request\":0,\"response\":1,\"last\":1}}");
    free(o);
}

TEST(tcp_byte_by_byte_equals_one_piece)
{
    static const char q[] = Q1_TCP R2_TCP;     /* a query, then an unsolicited response */
    static const char r[] = R1_TCP;
    struct dsxh_seg whole[] = { { 0, q, sizeof q - 1, T0 + MS, 0 },
                                { 1, r, sizeof r - 1, T0 + 2 * MS, 0 } };
    struct dsxh_seg bytes[sizeof q - 1 + sizeof r - 1];
    char *ref = run(false, whole, 2), *alt, *a, *b;
    size_t k = 0;

    for (size_t i = 0; i < sizeof q - 1; i++)
        bytes[k++] = (struct dsxh_seg){ 0, q + i, 1, T0 + MS, 0 };
    for (size_t i = 0; i < sizeof r - 1; i++)
        bytes[k++] = (struct dsxh_seg){ 1, r + i, 1, T0 + 2 * MS, 0 };
    alt = run(false, bytes, k);
    T_EQ(count_lines(ref), 2);
    a = no_packets(ref);
    b = no_packets(alt);
    T_STREQ(a, b);
    /* entries come in creation order; the unsolicited one is the query side's bytes 31..59 */
    T_TRUE(strstr(line(alt, 0), "\"packets\":{\"request\":0,\"response\":60,"
                                "\"last\":124}") != NULL);
    T_TRUE(strstr(line(alt, 1), "\"packets\":{\"request\":null,\"response\":31,"
                                "\"last\":59}") != NULL);
    T_TRUE(strstr(line(alt, 1), REV) != NULL);     /* sent by side 0: its client is side 1 */
    free(a);
    free(b);
    free(ref);
    free(alt);
}

TEST(tcp_every_two_way_split_equals_one_piece)
{
    static const char q[] = Q1_TCP Q1_TCP;
    static const char r[] = R1_TCP R1_TCP;
    struct dsxh_seg whole[] = { { 0, q, sizeof q - 1, T0 + MS, 0 },
                                { 1, r, sizeof r - 1, T0 + 2 * MS, 0 } };
    char *ref = run(false, whole, 2), *a = no_packets(ref);

    T_EQ(count_lines(ref), 2);
    for (size_t cut = 1; cut < sizeof r - 1; cut++) {
        struct dsxh_seg s[] = { { 0, q, sizeof q - 1, T0 + MS, 0 },
                                { 1, r, cut, T0 + 2 * MS, 0 },
                                { 1, r + cut, sizeof r - 1 - cut, T0 + 2 * MS, 0 } };
        char *alt = run(false, s, 3), *b = no_packets(alt);

        if (strcmp(a, b) != 0) {
            T_STREQ(a, b);
            free(alt);
            free(b);
            break;
        }
        free(alt);
        free(b);
    }
    free(a);
    free(ref);
}

TEST(tcp_pipelined_answers_out_of_order_pair_by_id)
{
    /* queries 1, 2, 3 in one segment; answers 3, 1, 2 in one segment */
#define QN(c) "\x00\x1b" "\x00" c "\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00" \
              "\x04" "host\x04" "test\x00\x00\x01\x00\x01"
#define RN(c) "\x00\x1b" "\x00" c "\x81\x80\x00\x01\x00\x00\x00\x00\x00\x00" \
              "\x04" "host\x04" "test\x00\x00\x01\x00\x01"
    struct dsxh_seg s[] = { DSXH_S(0, QN("\x01") QN("\x02") QN("\x03"), 0),
                            DSXH_S(1, RN("\x03") RN("\x01") RN("\x02"), 0) };
    char *o = run(false, s, 2);

    T_EQ(count_lines(o), 3);
    for (size_t i = 0; i < 3; i++) {
        static const char *const want[] = { "1", "2", "3" };    /* creation order */
        char rq[64], rs[64];

        snprintf(rq, sizeof rq, "\"request\":{\"id\":%s,", want[i]);
        snprintf(rs, sizeof rs, "\"response\":{\"id\":%s,", want[i]);
        T_TRUE(strstr(line(o, i), rq) != NULL);
        T_TRUE(strstr(line(o, i), rs) != NULL);
        T_TRUE(strstr(line(o, i), "\"requestSize\":29,\"responseSize\":29,"
                                  "\"anomalies\":[]") != NULL);
    }
    free(o);
#undef QN
#undef RN
}

TEST(response_without_query_and_query_without_response)
{
    struct dsxh_seg s[] = { DSXH_S(0, Q1, 0), DSXH_S(1, R2, 0) };
    char *o = run(true, s, 2);

    T_EQ(count_lines(o), 2);
    /* creation order: the query first; the answer's client is the side it was sent to */
    T_STREQ(line(o, 0),
            HEAD_UDP(0) FWD
            "\"namespace\":\"\","
            "\"timestamp\":1700000000001,\"startTime\":\"2023-11-14T22:13:20.001000000Z\","
            "\"elapsedTime\":0," REQ1 "\"response\":{},\"requestSize\":29,\"responseSize\":0,"
            "\"anomalies\":[\"no_response\"],\"times\":{\"request\":1700000000001000000,"
            "\"requestEnd\":1700000000001000000,\"response\":null,\"responseEnd\":null},"
            "\"packets\":{\"request\":0,\"response\":null,\"last\":0}}");
    T_STREQ(line(o, 1),
            HEAD_UDP(1) FWD
            "\"namespace\":\"\","
            "\"timestamp\":1700000000002,\"startTime\":\"2023-11-14T22:13:20.002000000Z\","
            "\"elapsedTime\":0,\"request\":{}," RESP2 "\"requestSize\":0,\"responseSize\":27,"
            "\"anomalies\":[\"no_request\"],\"times\":{\"request\":null,\"requestEnd\":null,"
            "\"response\":1700000000002000000,\"responseEnd\":1700000000002000000},"
            "\"packets\":{\"request\":null,\"response\":1,\"last\":1}}");
    free(o);
}

TEST(same_id_twice_pairs_oldest_first)
{
    struct dsxh_seg s[] = { DSXH_S(0, Q1, 0), DSXH_S(0, Q1, 0), DSXH_S(1, R1, 0) };
    char *o = run(true, s, 3);

    T_EQ(count_lines(o), 2);
    T_TRUE(strstr(line(o, 0), "\"packets\":{\"request\":0,\"response\":2,\"last\":2}") != NULL);
    T_TRUE(strstr(line(o, 0), "\"anomalies\":[]") != NULL);
    T_TRUE(strstr(line(o, 1), "\"anomalies\":[\"no_response\"]") != NULL);
    T_TRUE(strstr(line(o, 1), "\"packets\":{\"request\":1,\"response\":null,\"last\":1}") != NULL);
    free(o);
}

/* AAAA, MX, SRV, TXT (2 strings), PTR, TYPE99 answers and a SOA authority, all compressed. */
static const uint8_t rr_types[] = {
    0x00, 0x07, 0x85, 0x80, 0x00, 0x01, 0x00, 0x06, 0x00, 0x01, 0x00, 0x00, 0x03, 0x73, 0x76, 0x63,
    0x04, 0x74, 0x65, 0x73, 0x74, 0x00, 0x00, 0x21, 0x00, 0x01, 0xc0, 0x0c, 0x00, 0x1c, 0x00, 0x01,
    0x00, 0x00, 0x0e, 0x10, 0x00, 0x10, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0xc0, 0x0c, 0x00, 0x0f, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x07, 0x00, 0x0a, 0x02, 0x6d, 0x78, 0xc0, 0x10, 0xc0, 0x0c, 0x00, 0x21, 0x00, 0x01, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x0c, 0x00, 0x01, 0x00, 0x02, 0x13, 0xc4, 0x03, 0x73, 0x72, 0x76, 0xc0,
    0x10, 0xc0, 0x0c, 0x00, 0x10, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x07, 0x03, 0x61, 0x62,
    0x63, 0x02, 0x64, 0x65, 0xc0, 0x0c, 0x00, 0x0c, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02,
    0xc0, 0x0c, 0xc0, 0x0c, 0x00, 0x63, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0x01, 0x02,
    0x03, 0xc0, 0x10, 0x00, 0x06, 0x00, 0x01, 0x00, 0x00, 0x01, 0x2c, 0x00, 0x20, 0x02, 0x6e, 0x73,
    0xc0, 0x10, 0x04, 0x68, 0x6f, 0x73, 0x74, 0xc0, 0x10, 0x78, 0xa3, 0xf1, 0x75, 0x00, 0x00, 0x1c,
    0x20, 0x00, 0x00, 0x0e, 0x10, 0x00, 0x12, 0x75, 0x00, 0x00, 0x00, 0x01, 0x2c,
};

/*
 * An OPT record's extended RCODE bits (RFC 6891 §6.1.3) are the top 8 of the 12; rcodes
 * past REFUSED and the SVCB/HTTPS types (RFC 9460) have their names.
 */
TEST(extended_rcode_and_https)
{
    static const struct {
        uint8_t low, ext, ar;
        const char *rcode;
    } v[] = { { 0, 1, 1, "BADVERS" }, { 7, 1, 1, "BADCOOKIE" }, { 6, 0, 0, "YXDOMAIN" },
              { 3, 0, 1, "NXDOMAIN" }, { 0, 2, 1, "RCODE32" } };

    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        uint8_t m[] = { 0x12, 0x34, 0x81, (uint8_t)(0x80 | v[i].low), 0, 1, 0, 0, 0, 0, 0,
                        v[i].ar, 1, 'a', 4, 't', 'e', 's', 't', 0, 0, 65, 0, 1,
                        /* OPT: root name, type 41, class 4096, ext rcode, version, flags */
                        0, 0, 41, 0x10, 0, v[i].ext, 0, 0, 0, 0, 0 };
        struct dsxh_seg sg[] = { { 1, m, v[i].ar ? sizeof m : sizeof m - 11, 0, 0 } };
        char want[256], *o = run(true, sg, 1);

        snprintf(want, sizeof want,
                 "\"response\":{\"id\":4660,\"rcode\":\"%s\",\"flags\":{\"aa\":false,"
                 "\"tc\":false,\"rd\":true,\"ra\":true},\"questions\":[{\"name\":\"a.test\","
                 "\"type\":\"HTTPS\",\"class\":\"IN\"}],\"answers\":[],\"authorities\":[],"
                 "\"additionals\":%u}",
                 v[i].rcode, (unsigned)v[i].ar);
        T_EQ(count_lines(o), 1);
        T_TRUE(strstr(line(o, 0), want) != NULL);
        if (!strstr(line(o, 0), want))
            printf("# %s\n", line(o, 0));
        free(o);
    }
}

TEST(record_types_text_forms)
{
    struct dsxh_seg s[] = { { 1, rr_types, sizeof rr_types, 0, 0 } };
    char *o = run(true, s, 1);

    T_EQ(count_lines(o), 1);
    T_TRUE(strstr(line(o, 0),
                  "\"response\":{\"id\":7,\"rcode\":\"NOERROR\","
                  "\"flags\":{\"aa\":true,\"tc\":false,\"rd\":true,\"ra\":true},"
                  "\"questions\":[{\"name\":\"svc.test\",\"type\":\"SRV\",\"class\":\"IN\"}],"
                  "\"answers\":["
                  "{\"name\":\"svc.test\",\"type\":\"AAAA\",\"class\":\"IN\",\"ttl\":3600,"
                  "\"data\":\"2001:db8::1\"},"
                  "{\"name\":\"svc.test\",\"type\":\"MX\",\"class\":\"IN\",\"ttl\":0,"
                  "\"data\":\"10 mx.test\"},"
                  "{\"name\":\"svc.test\",\"type\":\"SRV\",\"class\":\"IN\",\"ttl\":0,"
                  "\"data\":\"1 2 5060 srv.test\"},"
                  "{\"name\":\"svc.test\",\"type\":\"TXT\",\"class\":\"IN\",\"ttl\":0,"
                  "\"data\":\"abcde\"},"
                  "{\"name\":\"svc.test\",\"type\":\"PTR\",\"class\":\"IN\",\"ttl\":0,"
                  "\"data\":\"svc.test\"},"
                  "{\"name\":\"svc.test\",\"type\":\"TYPE99\",\"class\":\"IN\",\"ttl\":0,"
                  "\"data\":\"\\\\# 3\"}],"
                  "\"authorities\":[{\"name\":\"test\",\"type\":\"SOA\",\"class\":\"IN\","
                  "\"ttl\":300,\"data\":\"ns.test host.test 2024010101 7200 3600 1209600 300\"}],"
                  "\"additionals\":0},\"requestSize\":0,\"responseSize\":189,"
                  "\"anomalies\":[\"no_request\"]") != NULL);
    free(o);
}

TEST(compression_loops_and_forward_pointers_are_malformed)
{
    /* answer names: a pointer to itself (offset 29), then one pointing forward */
    static const char self[] = "\x12\x34\x81\x80\x00\x01\x00\x01\x00\x00\x00\x00"
                               "\x07" "example" "\x03" "com" "\x00" "\x00\x01\x00\x01"
                               "\xc0\x1d\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04\x01\x02\x03\x04";
    static const char fwd[] = "\x12\x34\x81\x80\x00\x01\x00\x01\x00\x00\x00\x00"
                              "\x07" "example" "\x03" "com" "\x00" "\x00\x01\x00\x01"
                              "\xc0\x2d\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04\x01\x02\x03\x04"
                              "\x01" "a" "\xc0\x1d";
    /* a question whose label points into itself: a loop */
    static const char qloop[] = "\x00\x09\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00"
                                "\x01" "a" "\xc0\x0c" "\x00\x01\x00\x01";
    struct dsxh_seg s[] = { { 0, Q1, sizeof Q1 - 1, 0, 0 }, { 1, self, sizeof self - 1, 0, 0 },
                            { 0, Q1, sizeof Q1 - 1, 0, 0 }, { 1, fwd, sizeof fwd - 1, 0, 0 },
                            { 0, qloop, sizeof qloop - 1, 0, 0 } };
    char *o = run(true, s, 5);

    T_EQ(count_lines(o), 3);
    T_TRUE(strstr(line(o, 0), "\"answers\":[],\"authorities\":[],\"additionals\":0},"
                              "\"requestSize\":29,\"responseSize\":45,"
                              "\"anomalies\":[\"malformed\"]") != NULL);
    T_TRUE(strstr(line(o, 1), "\"answers\":[],\"authorities\":[],\"additionals\":0},"
                              "\"requestSize\":29,\"responseSize\":49,"
                              "\"anomalies\":[\"malformed\"]") != NULL);
    T_TRUE(strstr(line(o, 2), "\"request\":{\"id\":9,\"opcode\":\"QUERY\",\"flags\":{\"rd\":true,"
                              "\"tc\":false,\"ad\":false,\"cd\":false},\"questions\":[]},"
                              "\"response\":{},\"requestSize\":20,\"responseSize\":0,"
                              "\"anomalies\":[\"malformed\",\"no_response\"]") != NULL);
    free(o);
}

TEST(names_over_255_bytes_are_malformed)
{
    uint8_t m[12 + 5 * 64 + 1 + 4];
    size_t k = 0;
    struct dsxh_seg s[1];
    char *o;

    memcpy(m, "\xab\xcd\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00", 12);
    k = 12;
    for (int i = 0; i < 5; i++) {       /* 5 labels of 63: 321 bytes */
        m[k++] = 63;
        memset(m + k, 'a', 63);
        k += 63;
    }
    m[k++] = 0;
    memcpy(m + k, "\x00\x01\x00\x01", 4);
    k += 4;
    s[0] = (struct dsxh_seg){ 0, m, k, 0, 0 };
    o = run(true, s, 1);
    T_EQ(count_lines(o), 1);
    T_TRUE(strstr(line(o, 0), "\"questions\":[]},\"response\":{}") != NULL);
    T_TRUE(strstr(line(o, 0), "\"anomalies\":[\"malformed\",\"no_response\"]") != NULL);
    T_EQ(dsx_dns.bid(m, k, 0, true), DSX_NO);
    free(o);
}

TEST(tcp_gap_inside_a_message_keeps_framing)
{
    static const char r[] = R1_TCP R2_TCP;
    /* 10 bytes of R1, 20 lost, the rest of R1 and a whole R2 */
    struct dsxh_seg s[] = { DSXH_S(0, Q1_TCP, 0), { 1, r, 10, 0, 0 }, DSXH_GAPSEG(1, 20),
                            { 1, r + 30, sizeof r - 1 - 30, 0, 0 } };
    char *o = run(false, s, 4);

    T_EQ(count_lines(o), 2);
    T_TRUE(strstr(line(o, 1), RESP2) != NULL);
    T_TRUE(strstr(line(o, 1), "\"requestSize\":0,\"responseSize\":29,"
                              "\"anomalies\":[\"no_request\"]") != NULL);
    T_TRUE(strstr(line(o, 0), REQ1 "\"response\":{},\"requestSize\":31,\"responseSize\":0,"
                              "\"anomalies\":[\"gap\",\"no_response\"]") != NULL);
    free(o);
}

TEST(tcp_gap_at_a_boundary_resynchronises_on_the_next_message)
{
    /* after the gap, junk bytes then a whole answer to the query */
    static const char r[] = "\xff\x00\x03zz" R1_TCP;
    struct dsxh_seg s[] = { DSXH_S(0, Q1_TCP, 0), DSXH_GAPSEG(1, 7), { 1, r, sizeof r - 1, 0, 0 } };
    char *o = run(false, s, 3);

    T_EQ(count_lines(o), 1);
    T_TRUE(strstr(line(o, 0), REQ1 RESP1 "\"requestSize\":31,\"responseSize\":65,"
                              "\"anomalies\":[\"gap\"]") != NULL);
    free(o);
}

TEST(tcp_short_length_prefix_marks_pending_and_resyncs)
{
    static const char r[] = "\x00\x05hello" R1_TCP;
    struct dsxh_seg s[] = { DSXH_S(0, Q1_TCP, 0), { 1, r, sizeof r - 1, 0, 0 } };
    char *o = run(false, s, 2);

    T_EQ(count_lines(o), 1);
    T_TRUE(strstr(line(o, 0), REQ1 RESP1 "\"requestSize\":31,\"responseSize\":65,"
                              "\"anomalies\":[\"malformed\"]") != NULL);
    free(o);
}

TEST(tcp_response_cut_by_capture_end_is_truncated)
{
    static const char r[] = R1_TCP;
    /* 20 of its 65 bytes, in two segments: its time is the first's, its size what came */
    struct dsxh_seg s[] = { DSXH_S(0, Q1_TCP, 0), { 1, r, 12, 0, 0 }, { 1, r + 12, 8, 0, 0 } };
    char *o = run(false, s, 3);

    T_EQ(count_lines(o), 1);
    T_TRUE(strstr(line(o, 0), REQ1 "\"response\":{},\"requestSize\":31,\"responseSize\":20,"
                              "\"anomalies\":[\"truncated\"],\"times\":{\"request\":"
                              "1700000000001000000,\"requestEnd\":1700000000001000000,"
                              "\"response\":1700000000002000000,\"responseEnd\":"
                              "1700000000003000000},\"packets\":{\"request\":0,\"response\":1,"
                              "\"last\":2}}") != NULL);
    free(o);
}

TEST(pending_cap_emits_the_oldest_without_response)
{
    enum { N = 1030 };
    static uint8_t q[N][29];
    static struct dsxh_seg s[N + 1];
    char *o;

    for (size_t i = 0; i < N; i++) {
        memcpy(q[i], Q1, 29);
        q[i][0] = (uint8_t)(i >> 8);
        q[i][1] = (uint8_t)i;
        s[i] = (struct dsxh_seg){ 0, q[i], 29, 0, 0 };
    }
    /* then the answer of the last query */
    {
        static uint8_t r[63];

        memcpy(r, R1, 63);
        r[0] = (uint8_t)((N - 1) >> 8);
        r[1] = (uint8_t)(N - 1);
        s[N] = (struct dsxh_seg){ 1, r, 63, 0, 0 };
    }
    o = run(true, s, N + 1);
    T_EQ(count_lines(o), N);
    /* in creation order: ids 0..5 went out without answer when the FIFO was full, ... */
    for (size_t i = 0; i < N; i++) {
        char id[64];
        const char *l = line(o, i);

        snprintf(id, sizeof id, "\"request\":{\"id\":%zu,", i);
        T_TRUE(strstr(l, id) != NULL);
        /* ... 1029 was answered, the others were still waiting at the end */
        T_TRUE(strstr(l, i == N - 1 ? "\"anomalies\":[]"
                                    : "\"anomalies\":[\"no_response\"]") != NULL);
    }
    free(o);
}

TEST(mdns_class_bit_and_short_datagrams)
{
    /* mDNS answer (cache-flush bit set) on port 5353; a 5-byte datagram is ignored */
    static const char r[] = "\x00\x00\x84\x00\x00\x01\x00\x01\x00\x00\x00\x00"
                            "\x02" "pi\x05" "local\x00\x00\x01\x80\x01"
                            "\xc0\x0c\x00\x01\x80\x01\x00\x00\x00\x78\x00\x04\xc0\xa8\x00\x02";
    struct dsxh_seg s[] = { DSXH_S(0, "junk!", 0), { 1, r, sizeof r - 1, 0, 0 } };
    char *o = dsxh_run(&dsx_dns, true, 5353, s, 2);

    T_EQ(count_lines(o), 1);
    T_TRUE(strstr(line(o, 0),
                  "\"questions\":[{\"name\":\"pi.local\",\"type\":\"A\",\"class\":\"IN\"}],"
                  "\"answers\":[{\"name\":\"pi.local\",\"type\":\"A\",\"class\":\"IN\","
                  "\"ttl\":120,\"data\":\"192.168.0.2\"}]") != NULL);
    free(o);
}

TEST(rdata_not_matching_its_type)
{
    /* an A record with 3 bytes of rdata: data "", malformed, the next record still read */
    static const char r[] = "\x12\x34\x81\x80\x00\x01\x00\x02\x00\x00\x00\x00"
                            "\x07" "example" "\x03" "com" "\x00" "\x00\x01\x00\x01"
                            "\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x03\x01\x02\x03"
                            "\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04\x01\x02\x03\x04";
    struct dsxh_seg s[] = { DSXH_S(0, Q1, 0), { 1, r, sizeof r - 1, 0, 0 } };
    char *o = run(true, s, 2);

    T_TRUE(strstr(line(o, 0), "\"answers\":[{\"name\":\"example.com\",\"type\":\"A\","
                              "\"class\":\"IN\",\"ttl\":60,\"data\":\"\"},"
                              "{\"name\":\"example.com\",\"type\":\"A\",\"class\":\"IN\","
                              "\"ttl\":60,\"data\":\"1.2.3.4\"}]") != NULL);
    T_TRUE(strstr(line(o, 0), "\"anomalies\":[\"malformed\"]") != NULL);
    free(o);
}

/* host.local A 10.0.0.7, an mDNS announcement: no question (RFC 6762 §6) */
static const uint8_t mdns_answer[] = {
    0, 0, 0x84, 0, 0, 0, 0, 1, 0, 0, 0, 0,
    4, 'h', 'o', 's', 't', 5, 'l', 'o', 'c', 'a', 'l', 0,
    0, 1, 0x80, 1, 0, 0, 0, 120, 0, 4, 10, 0, 0, 7,
};
/* an answer (1 question, 4 + 4 + 13 records) cut by the snaplen in its first name */
static const uint8_t cut_answer[] = "\xed\x0c\x84\x10\x00\x01\x00\x04\x00\x04\x00\x0d"
                                    "\x0f" "avia";
/* NBNS: "WPAD" as a NetBIOS name (RFC 1002 §4.1), type NB; and an answer to it */
#define NB_WPAD "\x20" "FHFAEBEECACACACACACACACACACACAAA" "\x00" "\x00\x20\x00\x01"
static const uint8_t nbns_query[] = "\xf9\x39\x01\x10\x00\x01\x00\x00\x00\x00\x00\x00" NB_WPAD;
static const uint8_t nbns_answer[] = "\xf9\x39\x85\x00\x00\x00\x00\x01\x00\x00\x00\x00" NB_WPAD
                                     "\x00\x00\x0e\x10\x00\x06\x00\x00\x0a\x00\x00\x05";

TEST(bids)
{
    static const char q[] = Q1, tq[] = Q1_TCP, http[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    static const char tls[] = "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" "0123456789";

    T_EQ(dsx_dns.bid((const uint8_t *)q, sizeof q - 1, 0, true), DSX_STRONG);
    T_EQ(dsx_dns.bid((const uint8_t *)q, 20, 0, true), DSX_WEAK);
    T_EQ(dsx_dns.bid((const uint8_t *)q, 11, 0, true), DSX_NO);
    T_EQ(dsx_dns.bid((const uint8_t *)R1, 63, 1, true), DSX_STRONG);
    T_EQ(dsx_dns.bid(rr_types, sizeof rr_types, 1, true), DSX_STRONG);
    T_EQ(dsx_dns.bid(rr_types, sizeof rr_types - 3, 1, true), DSX_WEAK);   /* SOA cut */
    T_EQ(dsx_dns.bid((const uint8_t *)http, sizeof http - 1, 0, true), DSX_NO);
    T_EQ(dsx_dns.bid((const uint8_t *)http, sizeof http - 1, 0, false), DSX_NO);
    T_EQ(dsx_dns.bid((const uint8_t *)tq, 1, 0, false), DSX_MORE);
    T_EQ(dsx_dns.bid((const uint8_t *)tq, 10, 0, false), DSX_MORE);
    T_EQ(dsx_dns.bid((const uint8_t *)tq, 20, 0, false), DSX_WEAK);
    T_EQ(dsx_dns.bid((const uint8_t *)tq, sizeof tq - 1, 0, false), DSX_STRONG);
    T_EQ(dsx_dns.bid((const uint8_t *)"\x00\x05hello", 7, 0, false), DSX_NO);
    /* the length must match the sections: one byte more is only plausible */
    T_EQ(dsx_dns.bid((const uint8_t *)Q1 "\x00", sizeof Q1, 0, true), DSX_WEAK);
    T_EQ(dsx_dns.bid((const uint8_t *)"\x00\x1e" Q1 "\x00", sizeof Q1 + 2, 0, false), DSX_WEAK);
    T_EQ(dsx_dns.bid((const uint8_t *)Q1_TCP R1_TCP, sizeof Q1_TCP + sizeof R1_TCP - 2, 0, false),
         DSX_STRONG);
    T_EQ(dsx_dns.bid((const uint8_t *)tls, sizeof tls - 1, 0, false), DSX_NO);
    /* a datagram too short for its counts, cut inside its first name or right after the
     * header: only the lost bytes could tell (bid_on); inside the header: not DNS */
    T_EQ(dsx_dns.bid(cut_answer, sizeof cut_answer - 1, 1, true), DSX_MORE);
    T_EQ(dsx_dns.bid(cut_answer, 12, 1, true), DSX_MORE);
    T_EQ(dsx_dns.bid(cut_answer, 11, 1, true), DSX_NO);
    /* no question: records that fill the message exactly (an mDNS answer), else not DNS */
    T_EQ(dsx_dns.bid(mdns_answer, sizeof mdns_answer, 1, true), DSX_STRONG);
    T_EQ(dsx_dns.bid(mdns_answer, sizeof mdns_answer - 1, 1, true), DSX_NO);
    T_EQ(dsx_dns.bid((const uint8_t *)"\x00\x00\x84\x00\x00\x00\x00\x00\x00\x00\x00\x00",
                     12, 1, true), DSX_NO);
    /* NetBIOS name service: DNS's form, a NetBIOS name; neither a query nor an answer is DNS */
    T_EQ(dsx_dns.bid(nbns_query, sizeof nbns_query - 1, 0, true), DSX_NO);
    T_EQ(dsx_dns.bid(nbns_answer, sizeof nbns_answer - 1, 1, true), DSX_NO);
    /* a query with an rcode, an opcode of 3, or the Z bit */
    T_EQ(dsx_dns.bid((const uint8_t *)"\x12\x34\x01\x03\x00\x01\x00\x00\x00\x00\x00\x00"
                                      "\x00\x00\x01\x00\x01", 17, 0, true), DSX_NO);
    T_EQ(dsx_dns.bid((const uint8_t *)"\x12\x34\x19\x00\x00\x01\x00\x00\x00\x00\x00\x00"
                                      "\x00\x00\x01\x00\x01", 17, 0, true), DSX_NO);
    T_EQ(dsx_dns.bid((const uint8_t *)"\x12\x34\x01\x40\x00\x01\x00\x00\x00\x00\x00\x00"
                                      "\x00\x00\x01\x00\x01", 17, 0, true), DSX_NO);
    T_EQ(dsx_dns.bid((const uint8_t *)"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00"
                                      "\x00\x00\x01\x00\x01", 17, 0, true), DSX_STRONG);
}

T_MAIN(T_CASE(registered), T_CASE(udp_query_and_answer_exact),
       T_CASE(udp_answer_cut_by_the_capture_is_truncated),
       T_CASE(tcp_query_and_answer_exact_with_prefix_in_sizes),
       T_CASE(tcp_byte_by_byte_equals_one_piece), T_CASE(tcp_every_two_way_split_equals_one_piece),
       T_CASE(tcp_pipelined_answers_out_of_order_pair_by_id),
       T_CASE(response_without_query_and_query_without_response),
       T_CASE(same_id_twice_pairs_oldest_first), T_CASE(record_types_text_forms),
       T_CASE(extended_rcode_and_https),
       T_CASE(compression_loops_and_forward_pointers_are_malformed),
       T_CASE(names_over_255_bytes_are_malformed), T_CASE(tcp_gap_inside_a_message_keeps_framing),
       T_CASE(tcp_gap_at_a_boundary_resynchronises_on_the_next_message),
       T_CASE(tcp_short_length_prefix_marks_pending_and_resyncs),
       T_CASE(tcp_response_cut_by_capture_end_is_truncated),
       T_CASE(pending_cap_emits_the_oldest_without_response),
       T_CASE(mdns_class_bit_and_short_datagrams), T_CASE(rdata_not_matching_its_type),
       T_CASE(bids))
