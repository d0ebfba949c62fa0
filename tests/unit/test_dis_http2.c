/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: unit tests of HPACK (RFC 7541 Appendix C examples byte for byte,
 * every Huffman code, table eviction and bounds) and of the http2 dissector
 * (exchanges, gRPC, CONTINUATION, multiplexing, splits, gaps, caps, h2c).
 */
#include "config.h"

#include "dissect/dissect.h"
#include "dissect/hpack.h"

#include <stdio.h>

#include "dsxh.h"
#include "t.h"

#define T0 1700000000000000000ull
#define MS 1000000ull

/* ---- byte building -------------------------------------------------------------------- */

struct bb {
    uint8_t d[1u << 19];
    size_t n;
};

static void put(struct bb *b, const void *p, size_t n)
{
    if (b->n + n > sizeof b->d)
        abort();
    if (n)
        memcpy(b->d + b->n, p, n);
    b->n += n;
}

static void put8(struct bb *b, unsigned v)
{
    uint8_t c = (uint8_t)v;

    put(b, &c, 1);
}

static void frame_hdr(struct bb *b, uint32_t len, unsigned type, unsigned flags, uint32_t sid)
{
    put8(b, len >> 16);
    put8(b, len >> 8);
    put8(b, len);
    put8(b, type);
    put8(b, flags);
    put8(b, sid >> 24);
    put8(b, sid >> 16);
    put8(b, sid >> 8);
    put8(b, sid);
}

static void frame(struct bb *b, unsigned type, unsigned flags, uint32_t sid, const void *pl,
                  size_t n)
{
    frame_hdr(b, (uint32_t)n, type, flags, sid);
    put(b, pl, n);
}

/* Hex digits (spaces and newlines ignored) into out; returns the byte count. */
static size_t hex(const char *s, uint8_t *out)
{
    size_t n = 0;
    int hi = -1;

    for (; *s; s++) {
        int v;

        if (*s >= '0' && *s <= '9')
            v = *s - '0';
        else if (*s >= 'a' && *s <= 'f')
            v = *s - 'a' + 10;
        else
            continue;
        if (hi < 0) {
            hi = v;
        } else {
            out[n++] = (uint8_t)(hi << 4 | v);
            hi = -1;
        }
    }
    return n;
}

/* HPACK integer with an N-bit prefix (first: the representation's pattern bits). */
static void hp_int(struct bb *b, unsigned first, unsigned nbits, uint32_t v)
{
    uint32_t max = (1u << nbits) - 1;

    if (v < max) {
        put8(b, first | v);
        return;
    }
    put8(b, first | max);
    v -= max;
    while (v >= 128) {
        put8(b, (v & 127) | 128);
        v >>= 7;
    }
    put8(b, v);
}

static void hp_str(struct bb *b, const char *s)
{
    hp_int(b, 0, 7, (uint32_t)strlen(s));
    put(b, s, strlen(s));
}

/* Literal without indexing, literal name. */
static void hp_lit(struct bb *b, const char *name, const char *value)
{
    put8(b, 0);
    hp_str(b, name);
    hp_str(b, value);
}

/* Literal with incremental indexing, literal name. */
static void hp_inc(struct bb *b, const char *name, const char *value)
{
    put8(b, 0x40);
    hp_str(b, name);
    hp_str(b, value);
}

/* Literal without indexing, indexed name. */
static void hp_litn(struct bb *b, unsigned idx, const char *value)
{
    hp_int(b, 0, 4, idx);
    hp_str(b, value);
}

static void hp_idx(struct bb *b, unsigned idx)
{
    hp_int(b, 0x80, 7, idx);
}

enum { DATA = 0, HEADERS = 1, PRIORITY = 2, RST = 3, SETTINGS = 4, PUSH = 5, PING = 6,
       GOAWAY = 7, WINUPD = 8, CONT = 9 };
enum { ES = 1, EH = 4, PAD = 8, PRIO = 0x20 };

#define PREFACE "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

/* The client's start: preface, SETTINGS (ENABLE_PUSH 0), WINDOW_UPDATE on 0. */
static void client_start(struct bb *b)
{
    static const uint8_t st[] = { 0, 2, 0, 0, 0, 0 };
    static const uint8_t wu[] = { 0, 0, 0xff, 0 };

    put(b, PREFACE, 24);
    frame(b, SETTINGS, 0, 0, st, sizeof st);
    frame(b, WINUPD, 0, 0, wu, sizeof wu);
}

/* The server's start: SETTINGS (MAX_CONCURRENT_STREAMS 100), SETTINGS ACK. */
static void server_start(struct bb *b)
{
    static const uint8_t st[] = { 0, 3, 0, 0, 0, 100 };

    frame(b, SETTINGS, 0, 0, st, sizeof st);
    frame(b, SETTINGS, 1, 0, NULL, 0);
}

/* hb becomes the start of a GET of path's block (static table only; :scheme http). */
static void get_block(struct bb *hb, const char *path)
{
    hb->n = 0;
    hp_idx(hb, 2);
    hp_idx(hb, 6);
    hp_litn(hb, 4, path);
}

/* A GET of path on stream sid, ending the stream, in one HEADERS frame (static table only). */
static void get_on(struct bb *b, uint32_t sid, const char *path)
{
    struct bb hb;

    get_block(&hb, path);
    frame(b, HEADERS, EH | ES, sid, hb.d, hb.n);
}

/* ---- running the dissector ------------------------------------------------------------- */

static char *run(const struct dsxh_seg *s, size_t n)
{
    char *o = dsxh_run(&dsx_http2, false, 8080, s, n);

    if (getenv("H2DUMP"))
        fprintf(stderr, "%s", o);
    return o;
}

/* Client bytes c, then server bytes s, one segment each (times T0+1ms, T0+2ms). */
static char *run2(const struct bb *c, const struct bb *s)
{
    struct dsxh_seg g[] = { { 0, c->d, c->n, T0 + MS, 0 }, { 1, s->d, s->n, T0 + 2 * MS, 0 } };

    return run(g, s->n ? 2 : 1);
}

/* Shared by the dissector tests (dsxh.h). */
#define count_lines(o) dsxh_count_lines(o)
#define line(o, i) dsxh_line(o, i)
#define no_packets(o) dsxh_no_packets(o)

/* Does s start with prefix? */
static bool starts(const char *s, const char *prefix)
{
    return strstr(s, prefix) == s;
}

/* Does line i of o hold s? */
static bool has(const char *o, size_t i, const char *s)
{
    return strstr(line(o, i), s) != NULL;
}

/* The value of key in line l as written ("-" when absent); one of 8 static buffers. */
static const char *jval(const char *l, const char *key)
{
    static char b[8][256];
    static int k;
    char *r = b[k++ & 7];
    const char *v = strstr(l, key), *e;

    if (!v)
        return "-";
    v += strlen(key);
    if (*v == '[')
        e = strchr(v, ']') + 1;
    else if (*v == '"')
        e = strchr(v + 1, '"') + 1;
    else
        e = v + strcspn(v, ",}");
    snprintf(r, sizeof b[0], "%.*s", (int)(e - v), v);
    return r;
}

/* Entry i of o in brief: "index url streamId status anomalies" ("-" for what it lacks). */
static const char *brief(const char *o, size_t i)
{
    static char b[4][1024];
    static int k;
    char *r = b[k++ & 3];
    const char *l = line(o, i);

    snprintf(r, sizeof b[0], "%s %s %s %s %s", jval(l, "\"index\":"), jval(l, "\"url\":"),
             jval(l, "\"streamId\":"), jval(l, "\"status\":"), jval(l, "\"anomalies\":"));
    return r;
}

/* brief() of every entry of o, one a line (static). */
static const char *briefs(const char *o)
{
    static char b[8192];
    size_t n = 0;

    b[0] = 0;
    for (size_t i = 0; i < count_lines(o) && n < sizeof b; i++)
        n += (size_t)snprintf(b + n, sizeof b - n, "%s\n", brief(o, i));
    return b;
}

/* The dissector over c and s fed one byte per segment, at the same times as run2. */
static char *run_bytes(const struct bb *c, const struct bb *s)
{
    size_t n = c->n + s->n, k = 0;
    struct dsxh_seg *g = calloc(n ? n : 1, sizeof *g);
    char *o;

    for (size_t i = 0; i < c->n; i++)
        g[k++] = (struct dsxh_seg){ 0, c->d + i, 1, T0 + MS, 0 };
    for (size_t i = 0; i < s->n; i++)
        g[k++] = (struct dsxh_seg){ 1, s->d + i, 1, T0 + 2 * MS, 0 };
    o = run(g, k);
    free(g);
    return o;
}

/* Checks that feeding byte by byte gives what feeding whole segments gives. */
static void same_split(const struct bb *c, const struct bb *s)
{
    char *ref = run2(c, s), *alt = run_bytes(c, s);
    char *a = no_packets(ref), *b = no_packets(alt);

    T_TRUE(count_lines(ref) > 0);
    T_STREQ(a, b);
    free(a);
    free(b);
    free(ref);
    free(alt);
}

static struct bb cb, sb;        /* client and server bytes of the test being run */

static void reset(void)
{
    cb.n = sb.n = 0;
}

TEST(registered)
{
    T_TRUE(dsx_find("http2") == &dsx_http2);
    T_EQ(dsx_http2.l4, DSX_TCP);
}

/* ---- HPACK ----------------------------------------------------------------------------- */

/* Decoded fields as "name: value\n" lines. */
struct fields {
    char s[8192];
    size_t n;
};

static void fields_cb(void *arg, const uint8_t *name, size_t nlen, const uint8_t *value,
                      size_t vlen)
{
    struct fields *f = arg;

    if (f->n + nlen + vlen + 3 >= sizeof f->s)
        return;
    memcpy(f->s + f->n, name, nlen);
    f->n += nlen;
    memcpy(f->s + f->n, ": ", 2);
    f->n += 2;
    memcpy(f->s + f->n, value, vlen);
    f->n += vlen;
    f->s[f->n++] = '\n';
    f->s[f->n] = '\0';
}

/* The dynamic table, newest first, as "name: value\n" lines. */
static const char *table(const struct hpack *h)
{
    static struct fields t;
    const uint8_t *n, *v;
    size_t nl, vl;

    t.n = 0;
    t.s[0] = '\0';
    for (size_t i = 1; hpack_entry(h, i, &n, &nl, &v, &vl); i++)
        fields_cb(&t, n, nl, v, vl);
    return t.s;
}

/*
 * Decodes the hex block; returns the fields ("" and *rc < 0 on error). *rc is
 * 100 for fields skipped (lenient), 101 for a size update after a field.
 */
static const char *decode(struct hpack *h, const char *hx, int *rc)
{
    static struct fields f;
    static uint8_t blk[4096];
    size_t n = hex(hx, blk);
    struct hpack_notes nt = { 99, true };

    f.n = 0;
    f.s[0] = '\0';
    *rc = hpack_decode(h, blk, n, fields_cb, &f, &nt);
    if (*rc == 0 && nt.unknown != 0)
        *rc = 100;
    else if (*rc == 0 && nt.late_update)
        *rc = 101;
    return f.s;
}

TEST(hpack_c1_integers)
{
    static const uint8_t c11[] = { 0x0a }, c12[] = { 0x1f, 0x9a, 0x0a }, c13[] = { 0x2a };
    static const uint8_t over[] = { 0x1f, 0xff, 0xff, 0xff, 0xff, 0x0f };
    static const uint8_t longer[] = { 0x1f, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01 };
    static const uint8_t max[] = { 0x1f, 0xe0, 0xff, 0xff, 0xff, 0x0f };
    const uint8_t *p;
    uint32_t v;

    p = c11;
    T_EQ(hpack_int(&p, c11 + 1, 5, &v), HPACK_OK);
    T_EQ(v, 10);
    T_TRUE(p == c11 + 1);
    p = c12;
    T_EQ(hpack_int(&p, c12 + 3, 5, &v), HPACK_OK);
    T_EQ(v, 1337);
    T_TRUE(p == c12 + 3);
    p = c13;
    T_EQ(hpack_int(&p, c13 + 1, 8, &v), HPACK_OK);
    T_EQ(v, 42);
    p = c12;
    T_EQ(hpack_int(&p, c12 + 2, 5, &v), HPACK_E_TRUNC);
    T_TRUE(p == c12);
    p = over;
    T_EQ(hpack_int(&p, over + sizeof over, 5, &v), HPACK_E_INT);
    p = longer;
    T_EQ(hpack_int(&p, longer + sizeof longer, 5, &v), HPACK_E_INT);
    p = max;            /* 31 + 0xffffffe0 = 2^32 - 1 */
    T_EQ(hpack_int(&p, max + sizeof max, 5, &v), HPACK_OK);
    T_EQ(v, 0xffffffffu);
}

TEST(hpack_c2_single_fields)
{
    struct hpack h;
    int rc;

    hpack_init(&h);
    /* C.2.1 literal with indexing */
    T_STREQ(decode(&h, "400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572", &rc),
            "custom-key: custom-header\n");
    T_EQ(rc, 0);
    T_STREQ(table(&h), "custom-key: custom-header\n");
    T_EQ(h.size, 55);
    hpack_release(&h);

    hpack_init(&h);
    /* C.2.2 literal without indexing */
    T_STREQ(decode(&h, "040c 2f73 616d 706c 652f 7061 7468", &rc), ":path: /sample/path\n");
    T_EQ(rc, 0);
    T_STREQ(table(&h), "");
    T_EQ(h.size, 0);
    /* C.2.3 literal never indexed */
    T_STREQ(decode(&h, "1008 7061 7373 776f 7264 0673 6563 7265 74", &rc), "password: secret\n");
    T_EQ(rc, 0);
    T_STREQ(table(&h), "");
    /* C.2.4 indexed */
    T_STREQ(decode(&h, "82", &rc), ":method: GET\n");
    T_EQ(rc, 0);
    T_STREQ(table(&h), "");
    T_EQ(h.size, 0);
    hpack_release(&h);
}

#define REQ1 ":method: GET\n:scheme: http\n:path: /\n:authority: www.example.com\n"
#define REQ2 REQ1 "cache-control: no-cache\n"
#define REQ3 ":method: GET\n:scheme: https\n:path: /index.html\n:authority: www.example.com\n" \
             "custom-key: custom-value\n"

static void request_sequence(const char *b1, const char *b2, const char *b3)
{
    struct hpack h;
    int rc;

    hpack_init(&h);
    T_STREQ(decode(&h, b1, &rc), REQ1);
    T_EQ(rc, 0);
    T_STREQ(table(&h), ":authority: www.example.com\n");
    T_EQ(h.size, 57);
    T_STREQ(decode(&h, b2, &rc), REQ2);
    T_EQ(rc, 0);
    T_STREQ(table(&h), "cache-control: no-cache\n:authority: www.example.com\n");
    T_EQ(h.size, 110);
    T_STREQ(decode(&h, b3, &rc), REQ3);
    T_EQ(rc, 0);
    T_STREQ(table(&h),
            "custom-key: custom-value\ncache-control: no-cache\n:authority: www.example.com\n");
    T_EQ(h.size, 164);
    hpack_release(&h);
}

TEST(hpack_c3_requests)
{
    request_sequence("8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d",
                     "8286 84be 5808 6e6f 2d63 6163 6865",
                     "8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65");
}

TEST(hpack_c4_requests_huffman)
{
    request_sequence("8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff",
                     "8286 84be 5886 a8eb 1064 9cbf",
                     "8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf");
}

#define DATE1 "date: Mon, 21 Oct 2013 20:13:21 GMT\n"
#define LOC "location: https://www.example.com\n"
#define COOKIE "set-cookie: foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1\n"

static void response_sequence(const char *b1, const char *b2, const char *b3)
{
    struct hpack h;
    int rc;

    hpack_init(&h);
    hpack_set_max(&h, 256);     /* SETTINGS_HEADER_TABLE_SIZE 256 in the examples */
    T_STREQ(decode(&h, b1, &rc), ":status: 302\ncache-control: private\n" DATE1 LOC);
    T_EQ(rc, 0);
    T_STREQ(table(&h), LOC DATE1 "cache-control: private\n:status: 302\n");
    T_EQ(h.size, 222);
    T_STREQ(decode(&h, b2, &rc), ":status: 307\ncache-control: private\n" DATE1 LOC);
    T_EQ(rc, 0);
    T_STREQ(table(&h), ":status: 307\n" LOC DATE1 "cache-control: private\n");
    T_EQ(h.size, 222);
    T_STREQ(decode(&h, b3, &rc),
            ":status: 200\ncache-control: private\ndate: Mon, 21 Oct 2013 20:13:22 GMT\n" LOC
            "content-encoding: gzip\n" COOKIE);
    T_EQ(rc, 0);
    T_STREQ(table(&h), COOKIE "content-encoding: gzip\ndate: Mon, 21 Oct 2013 20:13:22 GMT\n");
    T_EQ(h.size, 215);
    hpack_release(&h);
}

TEST(hpack_c5_responses_with_eviction)
{
    response_sequence("4803 3330 3258 0770 7269 7661 7465 611d"
                      "4d6f 6e2c 2032 3120 4f63 7420 3230 3133"
                      "2032 303a 3133 3a32 3120 474d 546e 1768"
                      "7474 7073 3a2f 2f77 7777 2e65 7861 6d70"
                      "6c65 2e63 6f6d",
                      "4803 3330 37c1 c0bf",
                      "88c1 611d 4d6f 6e2c 2032 3120 4f63 7420"
                      "3230 3133 2032 303a 3133 3a32 3220 474d"
                      "54c0 5a04 677a 6970 7738 666f 6f3d 4153"
                      "444a 4b48 514b 425a 584f 5157 454f 5049"
                      "5541 5851 5745 4f49 553b 206d 6178 2d61"
                      "6765 3d33 3630 303b 2076 6572 7369 6f6e"
                      "3d31");
}

TEST(hpack_c6_responses_huffman)
{
    response_sequence("4882 6402 5885 aec3 771a 4b61 96d0 7abe"
                      "9410 54d4 44a8 2005 9504 0b81 66e0 82a6"
                      "2d1b ff6e 919d 29ad 1718 63c7 8f0b 97c8"
                      "e9ae 82ae 43d3",
                      "4883 640e ffc1 c0bf",
                      "88c1 6196 d07a be94 1054 d444 a820 0595"
                      "040b 8166 e084 a62d 1bff c05a 839b d9ab"
                      "77ad 94e7 821d d7f2 e6c7 b335 dfdf cd5b"
                      "3960 d5af 2708 7f36 72c1 ab27 0fb5 291f"
                      "9587 3160 65c0 03ed 4ee5 b106 3d50 07");
}

/* RFC 7541 Appendix B: code (right-aligned) and length of symbols 0..256. */
static const struct {
    uint32_t code;
    uint8_t len;
} rfc_huff[257] = {
    {0x1ff8, 13}, {0x7fffd8, 23}, {0xfffffe2, 28}, {0xfffffe3, 28}, {0xfffffe4, 28},
    {0xfffffe5, 28}, {0xfffffe6, 28}, {0xfffffe7, 28}, {0xfffffe8, 28}, {0xffffea, 24},
    {0x3ffffffc, 30}, {0xfffffe9, 28}, {0xfffffea, 28}, {0x3ffffffd, 30}, {0xfffffeb, 28},
    {0xfffffec, 28}, {0xfffffed, 28}, {0xfffffee, 28}, {0xfffffef, 28}, {0xffffff0, 28},
    {0xffffff1, 28}, {0xffffff2, 28}, {0x3ffffffe, 30}, {0xffffff3, 28}, {0xffffff4, 28},
    {0xffffff5, 28}, {0xffffff6, 28}, {0xffffff7, 28}, {0xffffff8, 28}, {0xffffff9, 28},
    {0xffffffa, 28}, {0xffffffb, 28}, {0x14, 6}, {0x3f8, 10}, {0x3f9, 10}, {0xffa, 12},
    {0x1ff9, 13}, {0x15, 6}, {0xf8, 8}, {0x7fa, 11}, {0x3fa, 10}, {0x3fb, 10}, {0xf9, 8},
    {0x7fb, 11}, {0xfa, 8}, {0x16, 6}, {0x17, 6}, {0x18, 6}, {0x0, 5}, {0x1, 5}, {0x2, 5},
    {0x19, 6}, {0x1a, 6}, {0x1b, 6}, {0x1c, 6}, {0x1d, 6}, {0x1e, 6}, {0x1f, 6}, {0x5c, 7},
    {0xfb, 8}, {0x7ffc, 15}, {0x20, 6}, {0xffb, 12}, {0x3fc, 10}, {0x1ffa, 13}, {0x21, 6},
    {0x5d, 7}, {0x5e, 7}, {0x5f, 7}, {0x60, 7}, {0x61, 7}, {0x62, 7}, {0x63, 7}, {0x64, 7},
    {0x65, 7}, {0x66, 7}, {0x67, 7}, {0x68, 7}, {0x69, 7}, {0x6a, 7}, {0x6b, 7}, {0x6c, 7},
    {0x6d, 7}, {0x6e, 7}, {0x6f, 7}, {0x70, 7}, {0x71, 7}, {0x72, 7}, {0xfc, 8}, {0x73, 7},
    {0xfd, 8}, {0x1ffb, 13}, {0x7fff0, 19}, {0x1ffc, 13}, {0x3ffc, 14}, {0x22, 6},
    {0x7ffd, 15}, {0x3, 5}, {0x23, 6}, {0x4, 5}, {0x24, 6}, {0x5, 5}, {0x25, 6}, {0x26, 6},
    {0x27, 6}, {0x6, 5}, {0x74, 7}, {0x75, 7}, {0x28, 6}, {0x29, 6}, {0x2a, 6}, {0x7, 5},
    {0x2b, 6}, {0x76, 7}, {0x2c, 6}, {0x8, 5}, {0x9, 5}, {0x2d, 6}, {0x77, 7}, {0x78, 7},
    {0x79, 7}, {0x7a, 7}, {0x7b, 7}, {0x7ffe, 15}, {0x7fc, 11}, {0x3ffd, 14}, {0x1ffd, 13},
    {0xffffffc, 28}, {0xfffe6, 20}, {0x3fffd2, 22}, {0xfffe7, 20}, {0xfffe8, 20},
    {0x3fffd3, 22}, {0x3fffd4, 22}, {0x3fffd5, 22}, {0x7fffd9, 23}, {0x3fffd6, 22},
    {0x7fffda, 23}, {0x7fffdb, 23}, {0x7fffdc, 23}, {0x7fffdd, 23}, {0x7fffde, 23},
    {0xffffeb, 24}, {0x7fffdf, 23}, {0xffffec, 24}, {0xffffed, 24}, {0x3fffd7, 22},
    {0x7fffe0, 23}, {0xffffee, 24}, {0x7fffe1, 23}, {0x7fffe2, 23}, {0x7fffe3, 23},
    {0x7fffe4, 23}, {0x1fffdc, 21}, {0x3fffd8, 22}, {0x7fffe5, 23}, {0x3fffd9, 22},
    {0x7fffe6, 23}, {0x7fffe7, 23}, {0xffffef, 24}, {0x3fffda, 22}, {0x1fffdd, 21},
    {0xfffe9, 20}, {0x3fffdb, 22}, {0x3fffdc, 22}, {0x7fffe8, 23}, {0x7fffe9, 23},
    {0x1fffde, 21}, {0x7fffea, 23}, {0x3fffdd, 22}, {0x3fffde, 22}, {0xfffff0, 24},
    {0x1fffdf, 21}, {0x3fffdf, 22}, {0x7fffeb, 23}, {0x7fffec, 23}, {0x1fffe0, 21},
    {0x1fffe1, 21}, {0x3fffe0, 22}, {0x1fffe2, 21}, {0x7fffed, 23}, {0x3fffe1, 22},
    {0x7fffee, 23}, {0x7fffef, 23}, {0xfffea, 20}, {0x3fffe2, 22}, {0x3fffe3, 22},
    {0x3fffe4, 22}, {0x7ffff0, 23}, {0x3fffe5, 22}, {0x3fffe6, 22}, {0x7ffff1, 23},
    {0x3ffffe0, 26}, {0x3ffffe1, 26}, {0xfffeb, 20}, {0x7fff1, 19}, {0x3fffe7, 22},
    {0x7ffff2, 23}, {0x3fffe8, 22}, {0x1ffffec, 25}, {0x3ffffe2, 26}, {0x3ffffe3, 26},
    {0x3ffffe4, 26}, {0x7ffffde, 27}, {0x7ffffdf, 27}, {0x3ffffe5, 26}, {0xfffff1, 24},
    {0x1ffffed, 25}, {0x7fff2, 19}, {0x1fffe3, 21}, {0x3ffffe6, 26}, {0x7ffffe0, 27},
    {0x7ffffe1, 27}, {0x3ffffe7, 26}, {0x7ffffe2, 27}, {0xfffff2, 24}, {0x1fffe4, 21},
    {0x1fffe5, 21}, {0x3ffffe8, 26}, {0x3ffffe9, 26}, {0xffffffd, 28}, {0x7ffffe3, 27},
    {0x7ffffe4, 27}, {0x7ffffe5, 27}, {0xfffec, 20}, {0xfffff3, 24}, {0xfffed, 20},
    {0x1fffe6, 21}, {0x3fffe9, 22}, {0x1fffe7, 21}, {0x1fffe8, 21}, {0x7ffff3, 23},
    {0x3fffea, 22}, {0x3fffeb, 22}, {0x1ffffee, 25}, {0x1ffffef, 25}, {0xfffff4, 24},
    {0xfffff5, 24}, {0x3ffffea, 26}, {0x7ffff4, 23}, {0x3ffffeb, 26}, {0x7ffffe6, 27},
    {0x3ffffec, 26}, {0x3ffffed, 26}, {0x7ffffe7, 27}, {0x7ffffe8, 27}, {0x7ffffe9, 27},
    {0x7ffffea, 27}, {0x7ffffeb, 27}, {0xffffffe, 28}, {0x7ffffec, 27}, {0x7ffffed, 27},
    {0x7ffffee, 27}, {0x7ffffef, 27}, {0x7fffff0, 27}, {0x3ffffee, 26}, {0x3fffffff, 30},
};

/* Huffman-encodes syms (values 0..256) with the RFC's table, padding with ones. */
static size_t huff_encode(const unsigned *syms, size_t n, uint8_t *out)
{
    uint64_t acc = 0;
    unsigned bits = 0;
    size_t o = 0;

    for (size_t i = 0; i < n; i++) {
        acc = acc << rfc_huff[syms[i]].len | rfc_huff[syms[i]].code;
        bits += rfc_huff[syms[i]].len;
        while (bits >= 8) {
            out[o++] = (uint8_t)(acc >> (bits - 8));
            bits -= 8;
        }
    }
    if (bits)
        out[o++] = (uint8_t)(acc << (8 - bits) | ((1u << (8 - bits)) - 1));
    return o;
}

TEST(hpack_huffman_every_code_of_the_rfc)
{
    unsigned all[256], one;
    uint8_t enc[1024], dec[1024];
    size_t n, got;

    /* each symbol alone, then all 256 in one string (codes crossing byte boundaries) */
    for (one = 0; one < 256; one++) {
        n = huff_encode(&one, 1, enc);
        if (hpack_huffman(enc, n, dec, sizeof dec, &got) != HPACK_OK || got != 1 ||
            dec[0] != one) {
            T_FAIL_("symbol %u does not decode", one);
            break;
        }
    }
    for (unsigned i = 0; i < 256; i++)
        all[i] = 255 - i;
    n = huff_encode(all, 256, enc);
    T_EQ(hpack_huffman(enc, n, dec, sizeof dec, &got), HPACK_OK);
    T_EQ(got, 256);
    for (unsigned i = 0; i < 256 && got == 256; i++)
        T_EQ(dec[i], 255 - i);
    /* EOS inside a string */
    one = 256;
    n = huff_encode(&one, 1, enc);
    T_EQ(hpack_huffman(enc, n, dec, sizeof dec, &got), HPACK_E_HUFF);
    /* 'a' (00011) padded with zeros instead of ones */
    enc[0] = 0x18;
    T_EQ(hpack_huffman(enc, 1, dec, sizeof dec, &got), HPACK_E_HUFF);
    /* 'a' then a whole byte of ones: padding longer than 7 bits */
    enc[0] = 0x1f;
    enc[1] = 0xff;
    T_EQ(hpack_huffman(enc, 2, dec, sizeof dec, &got), HPACK_E_HUFF);
    /* out of room */
    n = huff_encode(all, 10, enc);
    T_EQ(hpack_huffman(enc, n, dec, 9, &got), HPACK_E_STR);
    /* empty */
    T_EQ(hpack_huffman(enc, 0, dec, sizeof dec, &got), HPACK_OK);
    T_EQ(got, 0);
}

TEST(hpack_table_size_updates_limits_and_errors)
{
    struct hpack h;
    int rc;

    hpack_init(&h);
    /* two entries, then a size update to 60 keeps only the newest (57 bytes) */
    decode(&h, "4003 6162 6303 7879 7a 4003 6465 6603 7576 77", &rc);
    T_EQ(rc, 0);
    T_STREQ(table(&h), "def: uvw\nabc: xyz\n");
    T_EQ(h.size, 76);
    T_STREQ(decode(&h, "3f1d be", &rc), "def: uvw\n");     /* update to 60, then index 62 */
    T_EQ(rc, 0);
    T_EQ(h.size, 38);
    T_EQ(h.max_size, 60);
    /* index 63 no longer exists */
    decode(&h, "bf", &rc);
    T_EQ(rc, HPACK_E_INDEX);
    hpack_release(&h);

    hpack_init(&h);
    /* over SETTINGS_HEADER_TABLE_SIZE (4096): an error ... */
    decode(&h, "3fe1 3f", &rc);                 /* 31 + 0x1fe1 = 8192 */
    T_EQ(rc, HPACK_E_SIZE);
    /* ... until the peer's SETTINGS allow it */
    hpack_set_limit(&h, 8192);
    decode(&h, "3fe1 3f", &rc);
    T_EQ(rc, 0);
    T_EQ(h.max_size, 8192);
    /* index 0, a truncated string, an entry bigger than the table empties it */
    decode(&h, "80", &rc);
    T_EQ(rc, HPACK_E_INDEX);
    decode(&h, "4005 6162", &rc);
    T_EQ(rc, HPACK_E_TRUNC);
    hpack_release(&h);

    hpack_init(&h);
    hpack_set_max(&h, 40);
    decode(&h, "4001 6101 62", &rc);           /* a: b, 34 bytes */
    T_STREQ(table(&h), "a: b\n");
    decode(&h, "4002 6161 0862 6262 6262 6262 62", &rc);   /* 32 + 2 + 8 = 42 > 40 */
    T_EQ(rc, 0);
    T_STREQ(table(&h), "");
    T_EQ(h.size, 0);
    hpack_release(&h);
}

/*
 * RFC 7541 §4.2: size updates come at the start of a block. One after a field
 * is noted (101 here) and applied, so the table stays the encoder's.
 */
TEST(hpack_size_update_after_a_field)
{
    struct hpack h;
    int rc;

    hpack_init(&h);
    /* at the start, even two (0, then 4096): fine */
    T_STREQ(decode(&h, "20 3fe1 1f 82", &rc), ":method: GET\n");
    T_EQ(rc, 0);
    /* a: b inserted, then an update to 0 after it: noted, and the table emptied */
    T_STREQ(decode(&h, "4001 6101 62 20", &rc), "a: b\n");
    T_EQ(rc, 101);
    T_EQ(h.max_size, 0);
    T_STREQ(table(&h), "");
    /* the next block starts afresh; 4096 again, at its start */
    T_STREQ(decode(&h, "3fe1 1f 4001 6101 63", &rc), "a: c\n");
    T_EQ(rc, 0);
    T_EQ(h.max_size, 4096);
    T_STREQ(table(&h), "a: c\n");
    /* after an indexed field too, and with an update of the same size */
    T_STREQ(decode(&h, "be 3fe1 1f", &rc), "a: c\n");
    T_EQ(rc, 101);
    hpack_release(&h);
}

TEST(hpack_lenient_after_lost_state)
{
    struct hpack h;
    struct fields f = { .n = 0 };
    uint8_t blk[64];
    struct hpack_notes nt;
    size_t n;
    int rc;

    hpack_init(&h);
    decode(&h, "4003 6162 6303 7879 7a", &rc);  /* abc: xyz at 62 */
    T_EQ(rc, 0);
    hpack_lose_state(&h);
    T_STREQ(table(&h), "");
    /* 62 is unknown now; literal with unknown name 63 indexed; 82 known; new literal */
    n = hex("be 7f00 0378 7878 82 4001 6101 62 bf be", blk);
    T_EQ(hpack_decode(&h, blk, n, fields_cb, &f, &nt), HPACK_OK);
    /* be: unknown; 7f00..: name index 63 unknown (value xxx) -> placeholder inserted;
     * 82: :method GET; 4001..: a: b inserted; bf (63) = the placeholder: unknown name;
     * be (62) = a: b */
    T_STREQ(f.s, ":method: GET\na: b\na: b\n");
    T_EQ(nt.unknown, 3);
    T_EQ(h.count, 2);
    hpack_release(&h);
}

/* ---- the dissector ---------------------------------------------------------------------- */

#define HEAD(i, abbr, longname)                                                             \
    "{\"id\":\"test/1-" #i "\",\"index\":" #i ",\"stream\":\"000000000001.pcap\","            \
    "\"node\":{\"name\":\"test\",\"ip\":\"\"},"                                          \
    "\"protocol\":{\"name\":\"http\",\"version\":\"2.0\","                                 \
    "\"abbr\":\"" abbr "\",\"longName\":\"" longname "\",\"layer4\":\"tcp\"},"                \
    "\"src\":{\"ip\":\"10.0.0.1\",\"port\":40000,\"name\":\"\",\"namespace\":\"\"},"         \
    "\"dst\":{\"ip\":\"10.0.0.2\",\"port\":8080,\"name\":\"\",\"namespace\":\"\"},"
#define HEAD_H2(i) HEAD(i, "HTTP/2", "Hypertext Transfer Protocol Version 2 (HTTP/2)")
#define HEAD_GRPC(i) \
    HEAD(i, "gRPC", "Hypertext Transfer Protocol Version 2 (HTTP/2) [ gRPC over HTTP/2 ]")
#define TIMES_1_2                                                                           \
    "\"namespace\":\"\","                                                                      \
    "\"timestamp\":1700000000001,\"startTime\":\"2023-11-14T22:13:20.001000000Z\","         \
    "\"elapsedTime\":1,"
#define TAIL_1_2                                                                            \
    "\"times\":{\"request\":1700000000001000000,\"requestEnd\":1700000000001000000,"        \
    "\"response\":1700000000002000000,\"responseEnd\":1700000000002000000},"                \
    "\"packets\":{\"request\":0,\"response\":1,\"last\":1}}"

/* GET /items?id=7&x on stream 1, answered 200 text/plain "hello". */
static void get_exchange(void)
{
    struct bb hb = { .n = 0 };

    reset();
    client_start(&cb);
    hp_idx(&hb, 2);                             /* :method GET */
    hp_idx(&hb, 6);                             /* :scheme http */
    hp_litn(&hb, 4, "/items?id=7&x");           /* :path */
    hp_litn(&hb, 1, "example.com");             /* :authority */
    hp_lit(&hb, "user-agent", "t/1");
    frame(&cb, HEADERS, ES | EH, 1, hb.d, hb.n);
    server_start(&sb);
    hb.n = 0;
    hp_idx(&hb, 8);                             /* :status 200 */
    hp_litn(&hb, 31, "text/plain");             /* content-type */
    frame(&sb, HEADERS, EH, 1, hb.d, hb.n);
    frame(&sb, DATA, ES, 1, "hello", 5);
}

TEST(get_exchange_exact)
{
    char *o;

    get_exchange();
    o = run2(&cb, &sb);
    T_EQ(count_lines(o), 1);
    /* headersSize: 42 + 43 + (5+13+32) + (10+11+32) + (10+3+32) = 233 and 42 + 54;
     * requestSize: 9 + 46 (block); responseSize: 9 + 14 + 9 + 5 */
    T_STREQ(line(o, 0),
            HEAD_H2(0) TIMES_1_2
            "\"request\":{\"method\":\"GET\",\"url\":\"/items?id=7&x\",\"path\":\"/items\","
            "\"httpVersion\":\"HTTP/2.0\",\"headers\":{\":method\":\"GET\",\":scheme\":\"http\","
            "\":path\":\"/items?id=7&x\",\":authority\":\"example.com\",\"user-agent\":\"t/1\"},"
            "\"queryString\":{\"id\":\"7\",\"x\":\"\"},\"headersSize\":233,\"bodySize\":0,"
            "\"streamId\":1},"
            "\"response\":{\"status\":200,\"statusText\":\"OK\",\"httpVersion\":\"HTTP/2.0\","
            "\"headers\":{\":status\":\"200\",\"content-type\":\"text/plain\"},\"headersSize\":96,"
            "\"bodySize\":5,\"content\":{\"mimeType\":\"text/plain\",\"size\":5}},"
            "\"requestSize\":55,\"responseSize\":37,\"anomalies\":[]," TAIL_1_2);
    free(o);
    same_split(&cb, &sb);
}

/* A unary gRPC call: the request message split over two DATA frames, two response messages. */
static void grpc_unary(void)
{
    static const uint8_t msg[] = { 0, 0, 0, 0, 7, 'a', 'b', 'c', 'd', 'e', 'f', 'g' };
    static const uint8_t rmsg[] = { 0, 0, 0, 0, 3, 'x', 'y', 'z', 1, 0, 0, 0, 0 };
    struct bb hb = { .n = 0 };

    reset();
    client_start(&cb);
    hp_idx(&hb, 3);                             /* :method POST */
    hp_idx(&hb, 6);
    hp_litn(&hb, 4, "/pkg.Greeter/SayHello");
    hp_litn(&hb, 1, "localhost:50051");
    hp_litn(&hb, 31, "application/grpc");
    hp_lit(&hb, "te", "trailers");
    frame(&cb, HEADERS, EH, 1, hb.d, hb.n);
    frame(&cb, DATA, 0, 1, msg, 8);
    frame(&cb, DATA, ES, 1, msg + 8, 4);
    server_start(&sb);
    hb.n = 0;
    hp_idx(&hb, 8);
    hp_litn(&hb, 31, "application/grpc");
    frame(&sb, HEADERS, EH, 1, hb.d, hb.n);
    frame(&sb, DATA, 0, 1, rmsg, sizeof rmsg);
    hb.n = 0;
    hp_lit(&hb, "grpc-status", "0");
    hp_lit(&hb, "grpc-message", "ok");
    frame(&sb, HEADERS, EH | ES, 1, hb.d, hb.n);
}

TEST(grpc_unary_exact)
{
    char *o;

    grpc_unary();
    o = run2(&cb, &sb);
    T_EQ(count_lines(o), 1);
    /* headersSize: 43 + 43 + 58 + 57 + 60 + 42 = 303 and 42 + 60; requestSize: 9 + 74 + 17
     * + 13; responseSize: 9 + 20 + 9 + 13 + 9 + 32 */
    T_STREQ(line(o, 0),
            HEAD_GRPC(0) TIMES_1_2
            "\"request\":{\"method\":\"POST\",\"url\":\"/pkg.Greeter/SayHello\","
            "\"path\":\"/pkg.Greeter/SayHello\",\"httpVersion\":\"HTTP/2.0\",\"headers\":{"
            "\":method\":\"POST\",\":scheme\":\"http\",\":path\":\"/pkg.Greeter/SayHello\","
            "\":authority\":\"localhost:50051\",\"content-type\":\"application/grpc\","
            "\"te\":\"trailers\"},\"queryString\":{},\"headersSize\":303,\"bodySize\":12,"
            "\"streamId\":1,\"grpc\":{\"service\":\"pkg.Greeter\",\"method\":\"SayHello\","
            "\"messages\":1,\"messageBytes\":7}},"
            "\"response\":{\"status\":200,\"statusText\":\"OK\",\"httpVersion\":\"HTTP/2.0\","
            "\"headers\":{\":status\":\"200\",\"content-type\":\"application/grpc\"},"
            "\"headersSize\":102,\"bodySize\":13,\"trailers\":{\"grpc-status\":\"0\","
            "\"grpc-message\":\"ok\"},\"content\":{\"mimeType\":\"application/grpc\",\"size\":13},"
            "\"grpc\":{\"status\":0,\"message\":\"ok\",\"messages\":2,\"messageBytes\":3,"
            "\"trailersOnly\":false}},"
            "\"requestSize\":113,\"responseSize\":92,\"anomalies\":[]," TAIL_1_2);
    free(o);
    same_split(&cb, &sb);
}

/*
 * The client's side of a gRPC call to /svc.A/B (content-type ct): HEADERS,
 * then req as one DATA frame ending the stream; then the server's preface.
 */
static void grpc_call(const char *ct, const void *req, size_t reqn)
{
    struct bb hb = { .n = 0 };

    reset();
    client_start(&cb);
    hp_idx(&hb, 3);
    hp_idx(&hb, 6);
    hp_litn(&hb, 4, "/svc.A/B");
    hp_litn(&hb, 31, ct);
    frame(&cb, HEADERS, EH, 1, hb.d, hb.n);
    frame(&cb, DATA, ES, 1, req, reqn);
    server_start(&sb);
}

/*
 * gRPC-Web over HTTP/2: its trailers come as one more length-prefixed frame
 * (flag 0x80), which is no message but gives the grpc-status; its text form
 * is base64 and not read.
 */
TEST(grpc_web_trailer_frame_and_text)
{
    static const uint8_t req[] = { 0, 0, 0, 0, 2, 'h', 'i' };
    static const uint8_t resp[] = { 0,   0,   0,    0,    3,   'a', 'b', 'c', 0x80, 0,   0,
                                    0,   15,  'g',  'r',  'p', 'c', '-', 's', 't',  'a', 't',
                                    'u', 's', ':',  '0',  '\r', '\n' };
    struct bb hb = { .n = 0 };
    char *o;

    for (int text = 0; text < 2; text++) {
        const char *ct = text ? "application/grpc-web-text" : "application/grpc-web+proto";

        /* the text form: the same bytes as base64 */
        if (text)
            grpc_call(ct, "AAAAAAJoaQ==", 12);
        else
            grpc_call(ct, req, sizeof req);
        hb.n = 0;
        hp_idx(&hb, 8);
        hp_litn(&hb, 31, ct);
        frame(&sb, HEADERS, EH, 1, hb.d, hb.n);
        if (text)
            frame(&sb, DATA, ES, 1, "AAAAAANhYmOAAAAAD2dycGMtc3RhdHVzOjANCg==", 40);
        else
            frame(&sb, DATA, ES, 1, resp, sizeof resp);
        o = run2(&cb, &sb);
        T_EQ(count_lines(o), 1);
        T_TRUE(strstr(line(o, 0), text ? "\"grpc\":{\"service\":\"svc.A\",\"method\":\"B\","
                                         "\"messages\":0,\"messageBytes\":0}"
                                       : "\"grpc\":{\"service\":\"svc.A\",\"method\":\"B\","
                                         "\"messages\":1,\"messageBytes\":2}") != NULL);
        T_TRUE(strstr(line(o, 0),
                      text ? "\"grpc\":{\"status\":null,\"message\":\"\",\"messages\":0,"
                             "\"messageBytes\":0,\"trailersOnly\""
                           : "\"grpc\":{\"status\":0,\"message\":\"\",\"messages\":1,"
                             "\"messageBytes\":3,\"trailersOnly\"") != NULL);
        T_TRUE(strstr(line(o, 0), "\"anomalies\":[]") != NULL);
        free(o);
    }
}

/*
 * gRPC-Web's grpc-status: a header line of its trailers frame in any case,
 * after other lines, without a CRLF at the frame's end, across DATA frames;
 * none past the bytes kept (H2_WEB_TRAILERS_KEPT) or not a number.
 */
TEST(grpc_web_trailer_status)
{
    static const struct {
        const char *lines;
        size_t split;           /* where a second DATA frame starts, 0: none */
        const char *want;
    } cases[] = {
        { "grpc-message:nope\r\nGrpc-Status: 14\r\n", 0, "\"status\":14," },
        { "grpc-status:7", 0, "\"status\":7," },
        { "grpc-status:5\r\n", 8, "\"status\":5," },
        { "grpc-status:abc\r\n", 0, "\"status\":null," },
        { "grpc-message:0123456789012345678901234567890123456789012345678901\r\n"
          "grpc-status:3\r\n", 0, "\"status\":null," },
        { "x-grpc-status:3\r\n", 0, "\"status\":null," },
    };
    struct bb hb = { .n = 0 };

    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        static const uint8_t req[] = { 0, 0, 0, 0, 0 };
        size_t n = strlen(cases[i].lines), sp = cases[i].split ? 5 + cases[i].split : 5 + n;
        uint8_t resp[128] = { 0x80, 0, 0, 0, (uint8_t)n };
        char *o;

        memcpy(resp + 5, cases[i].lines, n);
        grpc_call("application/grpc-web+proto", req, sizeof req);
        hb.n = 0;
        hp_idx(&hb, 8);
        hp_litn(&hb, 31, "application/grpc-web+proto");
        frame(&sb, HEADERS, EH, 1, hb.d, hb.n);
        if (sp < 5 + n) {
            frame(&sb, DATA, 0, 1, resp, sp);
            frame(&sb, DATA, ES, 1, resp + sp, 5 + n - sp);
        } else {
            frame(&sb, DATA, ES, 1, resp, 5 + n);
        }
        o = run2(&cb, &sb);
        T_EQ(count_lines(o), 1);
        if (!strstr(line(o, 0), cases[i].want))
            T_FAIL_("case %zu: no %s in %s", i, cases[i].want, line(o, 0));
        free(o);
    }
}

TEST(grpc_trailers_only_and_status_from_headers)
{
    static const uint8_t empty[] = { 0, 0, 0, 0, 0 };
    struct bb hb = { .n = 0 };
    char *o;

    grpc_call("application/grpc+proto", empty, sizeof empty);
    hp_idx(&hb, 8);
    hp_litn(&hb, 31, "application/grpc");
    hp_lit(&hb, "grpc-status", "12");
    hp_lit(&hb, "grpc-message", "unknown method B");
    frame(&sb, HEADERS, EH | ES, 1, hb.d, hb.n);
    o = run2(&cb, &sb);
    T_EQ(count_lines(o), 1);
    T_TRUE(starts(line(o, 0), HEAD_GRPC(0)));
    T_TRUE(strstr(line(o, 0), "\"bodySize\":5,\"streamId\":1,\"grpc\":{\"service\":\"svc.A\","
                              "\"method\":\"B\",\"messages\":1,\"messageBytes\":0}}") != NULL);
    T_TRUE(strstr(line(o, 0), "\"bodySize\":0,\"content\":{\"mimeType\":\"application/grpc\","
                              "\"size\":0},\"grpc\":{\"status\":12,"
                              "\"message\":\"unknown method B\","
                              "\"messages\":0,\"messageBytes\":0,\"trailersOnly\":true}}") != NULL);
    T_TRUE(strstr(line(o, 0), "\"trailers\"") == NULL);
    T_TRUE(strstr(line(o, 0), "\"anomalies\":[]") != NULL);
    free(o);

    /* a response with grpc-status makes a plain-looking stream gRPC */
    reset();
    client_start(&cb);
    hb.n = 0;
    hp_idx(&hb, 3);
    hp_idx(&hb, 6);
    hp_litn(&hb, 4, "/x.Y/Z");
    frame(&cb, HEADERS, EH | ES, 1, hb.d, hb.n);
    hb.n = 0;
    hp_idx(&hb, 8);
    hp_lit(&hb, "grpc-status", "5");
    frame(&sb, HEADERS, EH | ES, 1, hb.d, hb.n);
    o = run2(&cb, &sb);
    T_TRUE(starts(line(o, 0), HEAD_GRPC(0)));
    T_TRUE(strstr(line(o, 0), "\"grpc\":{\"service\":\"x.Y\",\"method\":\"Z\"") != NULL);
    T_TRUE(strstr(line(o, 0), "\"grpc\":{\"status\":5,\"message\":\"\"") != NULL);
    free(o);
}

TEST(headers_with_padding_priority_and_continuations)
{
    struct bb hb = { .n = 0 }, f = { .n = 0 };
    char *o;

    reset();
    client_start(&cb);
    hp_idx(&hb, 2);
    hp_idx(&hb, 7);
    hp_litn(&hb, 4, "/tata");
    hp_litn(&hb, 1, "127.0.0.1:8080");
    hp_lit(&hb, "x-long", "0123456789abcdef");
    /* HEADERS: pad length 3, priority (5 bytes), the first 6 block bytes, 3 padding bytes */
    put8(&f, 3);
    put(&f, "\x80\x00\x00\x00\x0f", 5);
    put(&f, hb.d, 6);
    put(&f, "\0\0\0", 3);
    frame(&cb, HEADERS, ES | PAD | PRIO, 1, f.d, f.n);
    frame(&cb, CONT, 0, 1, hb.d + 6, 10);
    frame(&cb, CONT, EH, 1, hb.d + 16, hb.n - 16);
    server_start(&sb);
    f.n = 0;
    hp_idx(&f, 8);
    frame(&sb, HEADERS, EH | ES, 1, f.d, f.n);
    o = run2(&cb, &sb);
    T_EQ(count_lines(o), 1);
    T_TRUE(strstr(line(o, 0), "\"headers\":{\":method\":\"GET\",\":scheme\":\"https\","
                              "\":path\":\"/tata\",\":authority\":\"127.0.0.1:8080\","
                              "\"x-long\":\"0123456789abcdef\"}") != NULL);
    /* three frames: 9 + 15 + 9 + 10 + 9 + (block - 16) */
    {
        char want[64];

        snprintf(want, sizeof want, "\"requestSize\":%zu,", 27 + 15 + 10 + hb.n - 16);
        T_TRUE(strstr(line(o, 0), want) != NULL);
    }
    T_TRUE(strstr(line(o, 0), "\"anomalies\":[]") != NULL);
    free(o);
    same_split(&cb, &sb);
}

TEST(multiplexed_streams_pair_by_id_out_in_request_order)
{
    struct bb hb = { .n = 0 };
    char *o;

    reset();
    client_start(&cb);
    hp_idx(&hb, 2);
    hp_idx(&hb, 6);
    hp_litn(&hb, 4, "/one");
    frame(&cb, HEADERS, EH | ES, 1, hb.d, hb.n);
    hb.n = 0;
    hp_idx(&hb, 2);
    hp_idx(&hb, 6);
    hp_litn(&hb, 4, "/three");
    frame(&cb, HEADERS, EH | ES, 3, hb.d, hb.n);
    server_start(&sb);
    hb.n = 0;
    hp_idx(&hb, 13);                            /* 404 */
    frame(&sb, HEADERS, EH, 3, hb.d, hb.n);
    hb.n = 0;
    hp_idx(&hb, 8);
    frame(&sb, HEADERS, EH, 1, hb.d, hb.n);
    frame(&sb, DATA, 0, 1, "11", 2);
    frame(&sb, DATA, ES, 3, "333", 3);
    frame(&sb, DATA, ES, 1, "1111", 4);
    o = run2(&cb, &sb);
    T_EQ(count_lines(o), 2);
    /* stream 3 completes first; the driver writes entries in request order */
    T_TRUE(strstr(line(o, 1), "\"url\":\"/three\"") != NULL);
    T_TRUE(strstr(line(o, 1), "\"streamId\":3}") != NULL);
    T_TRUE(strstr(line(o, 1), "\"status\":404,\"statusText\":\"Not Found\"") != NULL);
    T_TRUE(strstr(line(o, 1), "\"bodySize\":3,") != NULL);
    T_TRUE(strstr(line(o, 1), "\"responseSize\":22,") != NULL);   /* 9+1 + 9+3 */
    T_TRUE(strstr(line(o, 1), "\"id\":\"test/1-1\"") != NULL);
    T_TRUE(strstr(line(o, 0), "\"url\":\"/one\"") != NULL);
    T_TRUE(strstr(line(o, 0), "\"streamId\":1}") != NULL);
    T_TRUE(strstr(line(o, 0), "\"status\":200") != NULL);
    T_TRUE(strstr(line(o, 0), "\"bodySize\":6,") != NULL);
    T_TRUE(strstr(line(o, 0), "\"responseSize\":34,") != NULL);   /* 10 + 11 + 13 */
    free(o);
    same_split(&cb, &sb);
}

TEST(rst_stream_emits_what_it_has)
{
    struct bb hb = { .n = 0 };
    char *o;

    reset();
    client_start(&cb);
    hp_idx(&hb, 2);
    hp_idx(&hb, 6);
    hp_litn(&hb, 4, "/slow");
    frame(&cb, HEADERS, EH | ES, 1, hb.d, hb.n);
    server_start(&sb);
    frame(&sb, RST, 0, 1, "\0\0\0\x07", 4);    /* REFUSED_STREAM */
    frame(&sb, HEADERS, EH, 1, "\x88", 1);      /* after the reset: ignored */
    o = run2(&cb, &sb);
    T_EQ(count_lines(o), 1);
    T_TRUE(strstr(line(o, 0), "\"response\":{\"resetCode\":7}") != NULL);
    T_TRUE(strstr(line(o, 0), "\"responseSize\":13,\"anomalies\":[\"no_response\"]") != NULL);
    free(o);
}

TEST(end_of_capture_no_response_and_truncated)
{
    struct bb hb = { .n = 0 };
    char *o;

    reset();
    client_start(&cb);
    hp_idx(&hb, 2);
    hp_idx(&hb, 6);
    hp_litn(&hb, 4, "/a");
    frame(&cb, HEADERS, EH | ES, 1, hb.d, hb.n);
    hb.n = 0;
    hp_idx(&hb, 2);
    hp_idx(&hb, 6);
    hp_litn(&hb, 4, "/b");
    frame(&cb, HEADERS, EH | ES, 3, hb.d, hb.n);
    server_start(&sb);
    frame(&sb, HEADERS, EH, 3, "\x88", 1);
    frame(&sb, DATA, 0, 3, "part", 4);
    o = run2(&cb, &sb);
    T_EQ(count_lines(o), 2);
    T_TRUE(strstr(line(o, 0), "\"url\":\"/a\"") != NULL);
    T_TRUE(strstr(line(o, 0), "\"response\":{}") != NULL);
    T_TRUE(strstr(line(o, 0), "\"anomalies\":[\"no_response\"]") != NULL);
    T_TRUE(strstr(line(o, 1), "\"url\":\"/b\"") != NULL);
    T_TRUE(strstr(line(o, 1), "\"bodySize\":4,") != NULL);
    T_TRUE(strstr(line(o, 1), "\"anomalies\":[\"truncated\"]") != NULL);
    free(o);
}

TEST(gap_inside_data_keeps_framing)
{
    static uint8_t body[100];
    struct bb hb = { .n = 0 };
    struct dsxh_seg g[6];
    char *o;

    reset();
    client_start(&cb);
    hp_idx(&hb, 2);
    hp_idx(&hb, 6);
    hp_litn(&hb, 4, "/big");
    frame(&cb, HEADERS, EH | ES, 1, hb.d, hb.n);
    hb.n = 0;
    hp_idx(&hb, 2);
    hp_idx(&hb, 6);
    hp_litn(&hb, 4, "/next");
    frame(&cb, HEADERS, EH | ES, 3, hb.d, hb.n);
    server_start(&sb);
    frame(&sb, HEADERS, EH, 1, "\x88", 1);
    memset(body, 'b', sizeof body);
    frame(&sb, DATA, ES, 1, body, sizeof body);
    frame(&sb, HEADERS, EH | ES, 3, "\x88", 1);
    /* server: everything up to 10 payload bytes, 50 lost, the rest */
    {
        size_t cut = sb.n - 10 - (100 - 10);

        g[0] = (struct dsxh_seg){ 0, cb.d, cb.n, T0 + MS, 0 };
        g[1] = (struct dsxh_seg){ 1, sb.d, cut, T0 + 2 * MS, 0 };
        g[2] = (struct dsxh_seg){ 1, NULL, 50, 0, DSXH_GAP };
        g[3] = (struct dsxh_seg){ 1, sb.d + cut + 50, sb.n - cut - 50, T0 + 3 * MS, 0 };
    }
    o = run(g, 4);
    T_EQ(count_lines(o), 2);
    T_TRUE(strstr(line(o, 0), "\"url\":\"/big\"") != NULL);
    T_TRUE(strstr(line(o, 0), "\"bodySize\":100,") != NULL);
    /* 10 (HEADERS) + 9 + 50 bytes seen of the DATA frame */
    T_TRUE(strstr(line(o, 0), "\"responseSize\":69,\"anomalies\":[\"gap\"]") != NULL);
    T_TRUE(strstr(line(o, 1), "\"url\":\"/next\"") != NULL);
    T_TRUE(strstr(line(o, 1), "\"anomalies\":[]") != NULL);
    free(o);
}

TEST(gap_across_frames_resynchronises)
{
    struct bb hb = { .n = 0 };
    struct dsxh_seg g[5];
    size_t lost_at, lost;
    char *o;

    reset();
    client_start(&cb);
    hp_idx(&hb, 2);
    hp_idx(&hb, 6);
    hp_litn(&hb, 4, "/first");
    frame(&cb, HEADERS, EH | ES, 1, hb.d, hb.n);
    lost_at = cb.n;
    hb.n = 0;
    hp_idx(&hb, 2);
    hp_inc(&hb, "x-lost", "abcdefghijklmnop");  /* would have been index 62 */
    frame(&cb, HEADERS, EH | ES, 3, hb.d, hb.n);
    lost = cb.n - lost_at - 12;                 /* the last 12 bytes arrive: garbage */
    hb.n = 0;
    hp_idx(&hb, 2);
    hp_idx(&hb, 6);
    hp_litn(&hb, 4, "/after");
    hp_idx(&hb, 62);                            /* refers to the lost entry: skipped */
    frame(&cb, HEADERS, EH | ES, 5, hb.d, hb.n);
    frame(&cb, WINUPD, 0, 0, "\0\0\x10\0", 4);
    server_start(&sb);
    frame(&sb, HEADERS, EH | ES, 1, "\x88", 1);
    frame(&sb, HEADERS, EH | ES, 3, "\x88", 1);
    frame(&sb, HEADERS, EH | ES, 5, "\x88", 1);
    g[0] = (struct dsxh_seg){ 0, cb.d, lost_at, T0 + MS, 0 };
    g[1] = (struct dsxh_seg){ 0, NULL, lost, 0, DSXH_GAP };
    g[2] = (struct dsxh_seg){ 0, cb.d + lost_at + lost, cb.n - lost_at - lost, T0 + 2 * MS, 0 };
    g[3] = (struct dsxh_seg){ 1, sb.d, sb.n, T0 + 3 * MS, 0 };
    o = run(g, 4);
    /* stream 3's answer: its request was lost in the gap, so it is an entry of its own */
    T_EQ(count_lines(o), 3);
    T_STREQ(brief(o, 2), "2 - - 200 [\"no_request\"]");
    T_TRUE(strstr(line(o, 0), "\"url\":\"/first\"") != NULL);
    T_TRUE(strstr(line(o, 0), "\"anomalies\":[\"gap\"]") != NULL);
    T_TRUE(strstr(line(o, 1), "\"url\":\"/after\"") != NULL);
    T_TRUE(strstr(line(o, 1), "\"headers\":{\":method\":\"GET\",\":scheme\":\"http\","
                              "\":path\":\"/after\"}") != NULL);
    T_TRUE(strstr(line(o, 1), "\"anomalies\":[\"gap\"]") != NULL);
    free(o);
}

TEST(undecodable_block_is_malformed_and_abandons)
{
    struct bb hb = { .n = 0 };
    char *o;

    reset();
    client_start(&cb);
    hp_idx(&hb, 2);
    hp_idx(&hb, 70);                            /* the table is empty */
    frame(&cb, HEADERS, EH | ES, 1, hb.d, hb.n);
    hb.n = 0;
    hp_idx(&hb, 2);
    hp_idx(&hb, 6);
    hp_litn(&hb, 4, "/never");
    frame(&cb, HEADERS, EH | ES, 3, hb.d, hb.n);
    server_start(&sb);
    frame(&sb, HEADERS, EH | ES, 1, "\x88", 1);
    o = run2(&cb, &sb);
    T_EQ(count_lines(o), 1);
    T_TRUE(strstr(line(o, 0), "\"request\":{\"streamId\":1},\"response\":{},"
                              "\"requestSize\":11,") != NULL);
    T_TRUE(strstr(line(o, 0), "\"anomalies\":[\"malformed\"]") != NULL);
    free(o);

    /* bad padding (longer than the frame) */
    reset();
    client_start(&cb);
    frame(&cb, HEADERS, EH | ES | PAD, 1, "\x09\x82", 2);
    o = run2(&cb, &sb);
    T_EQ(count_lines(o), 1);
    T_TRUE(strstr(line(o, 0), "\"anomalies\":[\"malformed\"]") != NULL);
    free(o);

    /* a HEADERS sequence interrupted by another frame: malformed, the table turns lenient */
    reset();
    client_start(&cb);
    frame(&cb, HEADERS, ES, 1, "\x82", 1);
    frame(&cb, PING, 0, 0, "12345678", 8);
    hb.n = 0;
    hp_idx(&hb, 2);
    hp_idx(&hb, 6);
    hp_litn(&hb, 4, "/ok");
    frame(&cb, HEADERS, EH | ES, 3, hb.d, hb.n);
    o = run2(&cb, &sb);
    T_EQ(count_lines(o), 2);
    T_TRUE(strstr(line(o, 0), "\"request\":{\"streamId\":1},") != NULL);
    T_TRUE(strstr(line(o, 0), "\"anomalies\":[\"malformed\"]") != NULL);
    T_TRUE(strstr(line(o, 1), "\"url\":\"/ok\"") != NULL);
    free(o);
}

TEST(broken_framing_is_malformed_and_resynchronises)
{
    struct bb hb = { .n = 0 };
    char *o;

    reset();
    client_start(&cb);
    hp_idx(&hb, 2);
    hp_idx(&hb, 6);
    hp_litn(&hb, 4, "/one");
    frame(&cb, HEADERS, EH | ES, 1, hb.d, hb.n);
    hb.n = 0;
    hp_idx(&hb, 2);
    hp_idx(&hb, 6);
    hp_litn(&hb, 4, "/two");
    frame(&cb, HEADERS, EH | ES, 3, hb.d, hb.n);
    server_start(&sb);
    frame(&sb, HEADERS, EH, 1, "\x88", 1);
    frame(&sb, PING, 0, 1, "12345678", 8);     /* PING on a stream: not HTTP/2 framing */
    put(&sb, "garbage!", 8);
    frame(&sb, HEADERS, EH | ES, 3, "\x8d", 1);
    frame(&sb, WINUPD, 0, 0, "\0\0\x10\0", 4);
    o = run2(&cb, &sb);
    T_EQ(count_lines(o), 2);
    T_TRUE(strstr(line(o, 0), "\"url\":\"/one\"") != NULL);
    T_TRUE(strstr(line(o, 0), "\"anomalies\":[\"malformed\",\"truncated\"]") != NULL);
    T_TRUE(strstr(line(o, 1), "\"url\":\"/two\"") != NULL);
    T_TRUE(strstr(line(o, 1), "\"status\":404") != NULL);
    T_TRUE(strstr(line(o, 1), "\"anomalies\":[\"malformed\"]") != NULL);
    free(o);
}

TEST(header_sequence_over_the_cap_abandons)
{
    static uint8_t junk[16384];
    struct bb hb = { .n = 0 };
    char *o;

    reset();
    client_start(&cb);
    memset(junk, 0x82, sizeof junk);            /* :method GET, many times */
    frame(&cb, HEADERS, ES, 1, junk, sizeof junk);
    for (int i = 0; i < 17; i++)
        frame(&cb, CONT, 0, 1, junk, sizeof junk);
    frame(&cb, CONT, EH, 1, junk, 10);
    hp_idx(&hb, 2);
    hp_idx(&hb, 6);
    hp_litn(&hb, 4, "/never");
    frame(&cb, HEADERS, EH | ES, 3, hb.d, hb.n);
    o = run2(&cb, &sb);
    T_EQ(count_lines(o), 1);
    /* the entry has the sequence's time, packets and the 16 frames seen before the cap */
    T_TRUE(has(o, 0, "\"timestamp\":1700000000001,"
                     "\"startTime\":\"2023-11-14T22:13:20.001000000Z\",\"elapsedTime\":0,"
                     "\"request\":{\"streamId\":1},\"response\":{},"
                     "\"requestSize\":262288,\"responseSize\":0,\"anomalies\":[\"cap\"],"
                     "\"times\":{\"request\":1700000000001000000,"
                     "\"requestEnd\":1700000000001000000,\"response\":null,"
                     "\"responseEnd\":null},\"packets\":{\"request\":0,"));
    T_TRUE(strstr(line(o, 0), "/never") == NULL);
    free(o);
}

TEST(open_streams_cap_emits_the_oldest)
{
    struct bb hb = { .n = 0 };
    char *o;

    reset();
    client_start(&cb);
    hp_idx(&hb, 2);
    hp_idx(&hb, 6);
    hp_idx(&hb, 4);
    for (uint32_t i = 0; i < 1025; i++)
        frame(&cb, HEADERS, EH | ES, 2 * i + 1, hb.d, hb.n);
    o = run2(&cb, &sb);
    T_EQ(count_lines(o), 1025);
    T_TRUE(strstr(line(o, 0), "\"streamId\":1}") != NULL);
    T_TRUE(strstr(line(o, 0), "\"anomalies\":[\"cap\",\"no_response\"]") != NULL);
    T_TRUE(strstr(line(o, 1), "\"streamId\":3}") != NULL);
    T_TRUE(strstr(line(o, 1), "\"anomalies\":[\"no_response\"]") != NULL);
    T_TRUE(strstr(line(o, 1024), "\"streamId\":2049}") != NULL);
    free(o);
}

TEST(capture_started_mid_connection)
{
    struct bb hb = { .n = 0 };
    char *o;

    reset();
    /* no preface, no SETTINGS: the tables are unknown (62 is skipped) */
    hp_idx(&hb, 3);
    hp_idx(&hb, 6);
    hp_litn(&hb, 4, "/late");
    hp_idx(&hb, 62);
    frame(&cb, HEADERS, EH, 5, hb.d, hb.n);
    frame(&cb, DATA, ES, 5, "q", 1);
    frame(&sb, HEADERS, EH | ES, 3, "\x88", 1); /* a stream opened before the capture */
    frame(&sb, HEADERS, EH | ES, 5, "\x8d", 1);
    T_EQ(dsx_http2.bid(cb.d, cb.n, 0, false), DSX_WEAK);
    o = run2(&cb, &sb);
    T_EQ(count_lines(o), 2);
    T_TRUE(strstr(line(o, 1), "\"request\":{},\"response\":{\"status\":200,") != NULL);
    T_TRUE(strstr(line(o, 1), "\"src\":{\"ip\":\"10.0.0.1\",\"port\":40000,"
                              "\"name\":\"\",\"namespace\":\"\"}") != NULL);
    T_TRUE(strstr(line(o, 1), "\"anomalies\":[\"no_request\"]") != NULL);
    T_TRUE(strstr(line(o, 0), "\"method\":\"POST\",\"url\":\"/late\"") != NULL);
    T_TRUE(strstr(line(o, 0), "\"status\":404") != NULL);
    T_TRUE(strstr(line(o, 0), "\"bodySize\":1,\"streamId\":5") != NULL);
    T_TRUE(strstr(line(o, 0), "\"anomalies\":[\"gap\"]") != NULL);
    free(o);
    same_split(&cb, &sb);
}

/* The upgrade request's field lines that the shim hands over. */
static const char *shim_fields = "Host: nghttp2.org\r\nAccept: */*\r\n";

/* A dissector that hands over to http2 at once, as HTTP/1 does after "101 Switching Protocols". */
static size_t shim_parse(void *st, struct dsx *x, int dir, const uint8_t *p, size_t n)
{
    static const char url[] = "/robots.txt?a=1";
    const char *fields = shim_fields;
    struct dsx_h2c_hint *hint = calloc(1, sizeof *hint + strlen(url) + strlen(fields));

    (void)st;
    (void)dir;
    (void)p;
    (void)n;
    if (!hint)
        return 0;
    memcpy(hint->method, "GET", 4);
    memcpy(hint->host, "nghttp2.org", 12);
    hint->req_ns = T0 + MS / 2;
    hint->req_end_ns = T0 + MS / 2;
    hint->req_pkt = 0;
    hint->req_size = 120;
    hint->url_len = (uint32_t)strlen(url);
    hint->fields_len = (uint32_t)strlen(fields);
    memcpy(hint->data, url, strlen(url));
    memcpy(hint->data + strlen(url), fields, strlen(fields));
    dsx_switch(x, &dsx_http2, hint, sizeof *hint + strlen(url) + strlen(fields));
    free(hint);
    return 0;
}

static const struct dsx_ops shim = {
    .name = "shim", .l4 = DSX_TCP, .state_size = 1, .parse = shim_parse,
};

TEST(h2c_upgrade_stream_1_from_the_hint)
{
    struct bb hb = { .n = 0 };
    struct dsxh_seg g[2];
    char *o;

    reset();
    client_start(&cb);
    server_start(&sb);
    hp_idx(&hb, 8);
    hp_litn(&hb, 31, "text/plain");
    frame(&sb, HEADERS, EH, 1, hb.d, hb.n);
    frame(&sb, DATA, ES, 1, "User-agent: *\n", 14);
    g[0] = (struct dsxh_seg){ 0, cb.d, cb.n, T0 + MS, 0 };
    g[1] = (struct dsxh_seg){ 1, sb.d, sb.n, T0 + 2 * MS, 0 };
    o = dsxh_run(&shim, false, 8080, g, 2);
    T_EQ(count_lines(o), 1);
    /* headersSize: (7+3+32) + (5+15+32) + (10+11+32) */
    T_STREQ(line(o, 0),
            HEAD_H2(0) "\"namespace\":\"\",\"timestamp\":1700000000000,"
            "\"startTime\":\"2023-11-14T22:13:20.000500000Z\","
            "\"elapsedTime\":1,"
            "\"request\":{\"method\":\"GET\",\"url\":\"/robots.txt?a=1\",\"path\":\"/robots.txt\","
            "\"httpVersion\":\"HTTP/1.1\",\"headers\":{\":method\":\"GET\","
            "\":path\":\"/robots.txt?a=1\","
            "\":authority\":\"nghttp2.org\",\"Host\":\"nghttp2.org\",\"Accept\":\"*/*\"},"
            "\"queryString\":{\"a\":\"1\"},\"headersSize\":235,"
            "\"bodySize\":0,\"streamId\":1},"
            "\"response\":{\"status\":200,\"statusText\":\"OK\",\"httpVersion\":\"HTTP/2.0\","
            "\"headers\":{\":status\":\"200\",\"content-type\":\"text/plain\"},\"headersSize\":96,"
            "\"bodySize\":14,\"content\":{\"mimeType\":\"text/plain\",\"size\":14}},"
            "\"requestSize\":120,\"responseSize\":46,\"anomalies\":[],"
            "\"times\":{\"request\":1700000000000500000,\"requestEnd\":1700000000000500000,"
            "\"response\":1700000000002000000,\"responseEnd\":1700000000002000000},"
            "\"packets\":{\"request\":0,\"response\":1,\"last\":1}}");
    free(o);
}

TEST(push_promise_counted_and_keeps_hpack_in_step)
{
    struct bb hb = { .n = 0 }, f = { .n = 0 };
    char *o;

    reset();
    client_start(&cb);
    hp_idx(&hb, 2);
    hp_idx(&hb, 6);
    hp_litn(&hb, 4, "/page");
    frame(&cb, HEADERS, EH | ES, 1, hb.d, hb.n);
    server_start(&sb);
    put(&f, "\0\0\0\x02", 4);                   /* promised stream 2 */
    hp_idx(&f, 2);
    hp_inc(&f, ":path", "/style.css");
    hp_inc(&f, "x-css", "1");                   /* dynamic index 62 of the server's table */
    frame(&sb, PUSH, EH, 1, f.d, f.n);
    hb.n = 0;
    hp_idx(&hb, 8);
    hp_lit(&hb, "x-pushed", "yes");
    frame(&sb, HEADERS, EH, 2, hb.d, hb.n);
    frame(&sb, DATA, ES, 2, "css", 3);
    hb.n = 0;
    hp_idx(&hb, 8);
    hp_idx(&hb, 62);                            /* only right if the promise was decoded */
    frame(&sb, HEADERS, EH | ES, 1, hb.d, hb.n);
    o = run2(&cb, &sb);
    T_EQ(count_lines(o), 1);
    T_TRUE(strstr(line(o, 0), "\"headers\":{\":status\":\"200\",\"x-css\":\"1\"}") != NULL);
    T_TRUE(strstr(line(o, 0), "\"pushPromises\":1}") != NULL);
    T_TRUE(strstr(line(o, 0), "\"anomalies\":[]") != NULL);
    free(o);
}

TEST(settings_header_table_size_is_honoured)
{
    static const uint8_t big[] = { 0, 1, 0, 0, 0x20, 0 };  /* HEADER_TABLE_SIZE 8192 */
    struct bb hb = { .n = 0 };
    char *o;

    for (int with = 0; with < 2; with++) {
        reset();
        client_start(&cb);
        hb.n = 0;
        hp_int(&hb, 0x20, 5, 8192);             /* size update */
        hp_idx(&hb, 2);
        hp_idx(&hb, 6);
        hp_litn(&hb, 4, "/t");
        frame(&cb, HEADERS, EH | ES, 1, hb.d, hb.n);
        if (with)
            frame(&sb, SETTINGS, 0, 0, big, sizeof big);
        frame(&sb, HEADERS, EH | ES, 1, "\x88", 1);
        /* the server's SETTINGS come first on the wire */
        {
            size_t k = with ? 15 : 0;
            struct dsxh_seg g[] = { { 1, sb.d, k, T0, 0 },
                                    { 0, cb.d, cb.n, T0 + MS, 0 },
                                    { 1, sb.d + k, sb.n - k, T0 + 2 * MS, 0 } };

            o = with ? run(g, 3) : run(g + 1, 2);
        }
        T_EQ(count_lines(o), 1);
        if (with) {
            T_TRUE(strstr(line(o, 0), "\"url\":\"/t\"") != NULL);
            T_TRUE(strstr(line(o, 0), "\"anomalies\":[]") != NULL);
        } else {
            T_TRUE(strstr(line(o, 0), "\"anomalies\":[\"malformed\"]") != NULL);
        }
        free(o);
    }
}

TEST(interim_response_and_padded_data)
{
    struct bb hb = { .n = 0 }, f = { .n = 0 };
    char *o;

    reset();
    client_start(&cb);
    hp_idx(&hb, 3);
    hp_idx(&hb, 6);
    hp_litn(&hb, 4, "/upload");
    hp_lit(&hb, "expect", "100-continue");
    frame(&cb, HEADERS, EH, 1, hb.d, hb.n);
    put8(&f, 2);
    put(&f, "abc\0\0", 5);
    frame(&cb, DATA, ES | PAD, 1, f.d, f.n);
    server_start(&sb);
    hb.n = 0;
    hp_litn(&hb, 8, "100");
    frame(&sb, HEADERS, EH, 1, hb.d, hb.n);
    frame(&sb, HEADERS, EH | ES, 1, "\x89", 1); /* 204 */
    o = run2(&cb, &sb);
    T_EQ(count_lines(o), 1);
    T_TRUE(strstr(line(o, 0), "\"bodySize\":3,\"streamId\":1}") != NULL);
    T_TRUE(strstr(line(o, 0), "\"status\":204,\"statusText\":\"No Content\"") != NULL);
    T_TRUE(strstr(line(o, 0), "\"headers\":{\":status\":\"204\"},\"headersSize\":42,") != NULL);
    /* 9+5 (interim) + 9+1 */
    T_TRUE(strstr(line(o, 0), "\"responseSize\":24,") != NULL);
    free(o);
    same_split(&cb, &sb);
}

TEST(bids)
{
    static const uint8_t settings[] = { 0, 0, 6, 4, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 100 };
    static const uint8_t bad_type[] = { 0, 0, 6, 0x0c, 0, 0, 0, 0, 0 };
    static const uint8_t bad_sid[] = { 0, 0, 6, 4, 0, 0, 0, 0, 1 };

    T_EQ(dsx_http2.bid((const uint8_t *)PREFACE, 24, 0, false), DSX_STRONG);
    T_EQ(dsx_http2.bid((const uint8_t *)PREFACE, 10, 0, false), DSX_MORE);
    T_EQ(dsx_http2.bid((const uint8_t *)PREFACE, 24, 0, true), DSX_NO);
    T_EQ(dsx_http2.bid(settings, sizeof settings, 1, false), DSX_WEAK);
    T_EQ(dsx_http2.bid(settings, 5, 1, false), DSX_MORE);
    T_EQ(dsx_http2.bid(bad_type, sizeof bad_type, 1, false), DSX_NO);
    T_EQ(dsx_http2.bid(bad_sid, sizeof bad_sid, 1, false), DSX_NO);
    T_EQ(dsx_http2.bid((const uint8_t *)"GET / HTTP/1.1\r\n", 16, 0, false), DSX_NO);
    T_EQ(dsx_http2.bid((const uint8_t *)"\x16\x03\x01\x02\x00\x01\x00\x01\xfc", 9, 0, false),
         DSX_NO);
    T_EQ(dsx_http2.bid((const uint8_t *)"*1\r\n$4\r\nPING\r\n", 14, 0, false), DSX_NO);
    /* a first frame over the default size is not believed without the preface: LDAP's
     * BER (SEQUENCE with a 4-byte length) reads as a 3 MB frame of type 0 */
    T_EQ(dsx_http2.bid((const uint8_t *)"\x30\x84\x00\x00\x00\x24\x02\x01\x01", 9, 0, false),
         DSX_NO);
    T_EQ(dsx_http2.bid((const uint8_t *)"\x30\x84\x00", 3, 0, false), DSX_NO);
    T_EQ(dsx_http2.bid((const uint8_t *)"\x00\x50\x00\x00\x00\x00\x00\x00\x01", 9, 0, false),
         DSX_NO);
}

TEST(hpack_header_list_limit)
{
    static uint8_t blk[4096];
    struct bb b = { .n = 0 };
    struct fields f = { .n = 0 };
    static char big[60000];
    struct hpack_notes nt;
    struct hpack h;

    hpack_init(&h);
    hpack_set_limit(&h, 65536);
    hpack_set_max(&h, 65536);
    memset(big, 'v', sizeof big - 1);
    hp_inc(&b, "x-big", big);                  /* one 60 KB entry, index 62 */
    T_EQ(hpack_decode(&h, b.d, b.n, fields_cb, &f, &nt), HPACK_OK);
    /* 300 two-byte references would decode to 18 MB: refused past 16 MB */
    memset(blk, 0xbe, 300);
    T_EQ(hpack_decode(&h, blk, 300, fields_cb, &f, &nt), HPACK_E_LIMIT);
    hpack_release(&h);
}

TEST(open_streams_bytes_cap_emits_the_oldest)
{
    static char big[4000];
    struct bb hb = { .n = 0 };
    char *o;

    reset();
    client_start(&cb);
    memset(big, 'h', sizeof big - 1);
    hp_inc(&hb, "x-h", big);                    /* index 62 of the client's table */
    frame(&cb, HEADERS, EH, 1, hb.d, hb.n);
    hb.n = 0;
    hp_idx(&hb, 2);
    for (int i = 0; i < 16; i++)
        hp_idx(&hb, 62);                        /* a 64 KB "headers" object from 18 bytes */
    for (uint32_t i = 1; i <= 140; i++)
        frame(&cb, HEADERS, EH | ES, 2 * i + 1, hb.d, hb.n);
    o = run2(&cb, &sb);
    T_EQ(count_lines(o), 141);
    T_TRUE(strstr(line(o, 0), "\"streamId\":1}") != NULL);
    T_TRUE(strstr(line(o, 0), "\"cap\"") != NULL);
    T_TRUE(strstr(line(o, 1), "\"streamId\":3}") != NULL);
    T_TRUE(strstr(line(o, 1), "\"cap\"") != NULL);
    T_TRUE(strstr(line(o, 140), "\"cap\"") == NULL);
    free(o);
}

/*
 * Mid-connection (no preface, no SETTINGS): the client's peer may have raised
 * SETTINGS_MAX_FRAME_SIZE before the capture, so a 20000-byte DATA frame is
 * framing, whether it is the first frames' (the bid) or a later one's.
 */
static void mid_bigframe(bool first)
{
    static uint8_t big[20000];
    struct bb hb = { .n = 0 };

    reset();
    memset(big, 'u', sizeof big);
    if (!first) {
        hp_idx(&hb, 2);
        hp_idx(&hb, 6);
        hp_litn(&hb, 4, "/before");
        frame(&cb, HEADERS, EH | ES, 99, hb.d, hb.n);
        frame(&sb, HEADERS, EH | ES, 99, "\x88", 1);
    }
    hb.n = 0;
    hp_idx(&hb, 3);                             /* :method POST */
    hp_idx(&hb, 6);
    hp_litn(&hb, 4, "/upload");
    frame(&cb, HEADERS, EH, 101, hb.d, hb.n);
    frame(&cb, DATA, ES, 101, big, sizeof big);
    hb.n = 0;
    hp_idx(&hb, 2);
    hp_idx(&hb, 6);
    hp_litn(&hb, 4, "/after");
    frame(&cb, HEADERS, EH | ES, 103, hb.d, hb.n);
    frame(&sb, HEADERS, EH | ES, 101, "\x88", 1);
    frame(&sb, HEADERS, EH | ES, 103, "\x89", 1); /* 204 */
}

TEST(mid_connection_frames_over_16384)
{
    char *o;

    for (int first = 1; first >= 0; first--) {
        size_t k = first ? 0 : 1;

        mid_bigframe(first);
        T_EQ(dsx_http2.bid(cb.d, cb.n < DSX_BID_MAX ? cb.n : DSX_BID_MAX, 0, false), DSX_WEAK);
        o = run2(&cb, &sb);
        T_EQ(count_lines(o), 2 + k);
        T_TRUE(has(o, k, "\"method\":\"POST\",\"url\":\"/upload\""));
        T_TRUE(has(o, k, "\"bodySize\":20000,\"streamId\":101}"));
        T_TRUE(has(o, k, "\"requestSize\":20029,"));  /* 9+11 + 9+20000 */
        T_STREQ(brief(o, k), first ? "0 \"/upload\" 101 200 []" : "1 \"/upload\" 101 200 []");
        T_STREQ(brief(o, k + 1), first ? "1 \"/after\" 103 204 []" : "2 \"/after\" 103 204 []");
        free(o);
        same_split(&cb, &sb);
    }
}

/*
 * After a gap the client's last frame (stream 5's HEADERS) has no frame after
 * it to confirm the resynchronisation: the end of the direction does (its
 * FIN, or the end of the capture).
 */
TEST(resync_takes_the_last_frame_at_the_end)
{
    size_t lost_at, lost;
    char *o;

    reset();
    client_start(&cb);
    get_on(&cb, 1, "/one");
    lost_at = cb.n;
    get_on(&cb, 3, "/lost");
    lost = cb.n - lost_at;
    get_on(&cb, 5, "/last");
    server_start(&sb);
    frame(&sb, HEADERS, EH | ES, 1, "\x88", 1);
    frame(&sb, HEADERS, EH | ES, 3, "\x8d", 1);
    frame(&sb, HEADERS, EH | ES, 5, "\x88", 1);
    for (int fin = 0; fin < 2; fin++) {
        struct dsxh_seg g[] = {
            { 0, cb.d, lost_at, T0 + MS, 0 },
            { 0, NULL, lost, 0, DSXH_GAP },
            { 1, sb.d, sb.n - 10, T0 + 2 * MS, 0 },     /* up to stream 5's answer */
            { 0, cb.d + lost_at + lost, cb.n - lost_at - lost, T0 + 3 * MS, 0 },
            { 1, sb.d + sb.n - 10, 10, T0 + 4 * MS, 0 },
            { 0, NULL, 0, 0, DSXH_FIN },
        };

        o = run(g, fin ? 6 : 5);
        T_EQ(count_lines(o), 3);
        T_STREQ(brief(o, 0), "0 \"/one\" 1 200 [\"gap\"]");
        T_STREQ(brief(o, 1), "1 - - 404 [\"no_request\"]");
        T_STREQ(brief(o, 2), "2 \"/last\" 5 200 []");
        T_TRUE(has(o, 2, "\"requestSize\":18,\"responseSize\":10,"));
        free(o);
    }
}

/*
 * A request lost in a gap of the client's bytes, its answer after a later
 * request: the answer is an entry of its own (no_request), not taken for a
 * late answer to a stream seen closed, with the preface and without it.
 */
TEST(answer_to_a_request_lost_in_a_gap)
{
    for (int pre = 1; pre >= 0; pre--) {
        size_t lost_at, lost;
        char *o;

        reset();
        if (pre)
            client_start(&cb);
        get_on(&cb, 101, "/one");
        lost_at = cb.n;
        get_on(&cb, 103, "/lost");
        lost = cb.n - lost_at;
        get_on(&cb, 105, "/three");
        frame(&cb, WINUPD, 0, 0, "\0\0\x10\0", 4);   /* confirms the resynchronisation */
        if (pre)
            server_start(&sb);
        frame(&sb, HEADERS, EH | ES, 101, "\x88", 1);
        frame(&sb, HEADERS, EH | ES, 103, "\x8d", 1);
        frame(&sb, HEADERS, EH | ES, 105, "\x88", 1);
        {
            struct dsxh_seg g[] = {
                { 0, cb.d, lost_at, T0 + MS, 0 },
                { 0, NULL, lost, 0, DSXH_GAP },
                { 0, cb.d + lost_at + lost, cb.n - lost_at - lost, T0 + 2 * MS, 0 },
                { 1, sb.d, sb.n, T0 + 3 * MS, 0 },
            };

            o = run(g, 4);
        }
        T_EQ(count_lines(o), 3);
        T_STREQ(brief(o, 0), "0 \"/one\" 101 200 [\"gap\"]");
        T_STREQ(brief(o, 1), "1 \"/three\" 105 200 []");
        T_STREQ(brief(o, 2), "2 - - 404 [\"no_request\"]");
        free(o);
    }
}

/*
 * Mid-connection: a response to a stream whose request this capture saw, and
 * which the client reset, is dropped (as with a preface); one to a stream
 * opened before the capture is still a no_request entry.
 */
TEST(mid_connection_late_response_to_a_reset_stream)
{
    char *o;

    reset();
    get_on(&cb, 101, "/slow");
    frame(&cb, RST, 0, 101, "\0\0\0\x08", 4);   /* CANCEL */
    frame(&sb, HEADERS, EH | ES, 99, "\x8d", 1);
    frame(&sb, HEADERS, EH | ES, 101, "\x88", 1);
    frame(&sb, DATA, ES, 101, "late", 4);
    o = run2(&cb, &sb);
    T_EQ(count_lines(o), 2);
    T_STREQ(brief(o, 0), "0 \"/slow\" 101 - [\"no_response\"]");
    T_TRUE(has(o, 0, "\"response\":{\"resetCode\":8},\"requestSize\":18,\"responseSize\":0,"));
    T_STREQ(brief(o, 1), "1 - - 404 [\"no_request\"]");
    free(o);
}

/*
 * Mid-connection, the client's first frame is a SETTINGS (sent at any time):
 * its HPACK table is still unknown (62 is skipped, gap), not a decoding error.
 * A server whose SETTINGS come before the client's preface did start there:
 * an index beyond its table is malformed.
 */
TEST(mid_connection_settings_first_is_not_the_start)
{
    static const uint8_t st[] = { 0, 4, 0, 1, 0, 0 };  /* INITIAL_WINDOW_SIZE */
    struct bb hb = { .n = 0 };
    char *o;

    reset();
    frame(&cb, SETTINGS, 0, 0, st, sizeof st);
    hp_idx(&hb, 2);
    hp_idx(&hb, 6);
    hp_idx(&hb, 4);
    hp_litn(&hb, 1, "a.example");
    hp_idx(&hb, 62);
    frame(&cb, HEADERS, EH | ES, 101, hb.d, hb.n);
    get_on(&cb, 103, "/second");
    frame(&sb, HEADERS, EH | ES, 101, "\x88", 1);
    frame(&sb, HEADERS, EH | ES, 103, "\x88", 1);
    o = run2(&cb, &sb);
    T_EQ(count_lines(o), 2);
    T_TRUE(has(o, 0, "\"headers\":{\":method\":\"GET\",\":scheme\":\"http\",\":path\":\"/\","
                     "\":authority\":\"a.example\"}"));
    T_STREQ(brief(o, 0), "0 \"/\" 101 200 [\"gap\"]");
    T_STREQ(brief(o, 1), "1 \"/second\" 103 200 []");
    free(o);

    reset();
    client_start(&cb);
    get_on(&cb, 1, "/x");
    server_start(&sb);
    hb.n = 0;
    hp_idx(&hb, 8);
    hp_idx(&hb, 62);                            /* the server's table is empty */
    frame(&sb, HEADERS, EH | ES, 1, hb.d, hb.n);
    {
        struct dsxh_seg g[] = { { 1, sb.d, 15, T0, 0 },
                                { 0, cb.d, cb.n, T0 + MS, 0 },
                                { 1, sb.d + 15, sb.n - 15, T0 + 2 * MS, 0 } };

        o = run(g, 3);
    }
    T_EQ(count_lines(o), 1);
    T_STREQ(brief(o, 0), "0 \"/x\" 1 - [\"malformed\",\"no_response\"]");
    free(o);
}

/*
 * h2c: the upgrade's HTTP2-Settings are the client's settings, which the
 * server applies to its answer on stream 1 before the client's preface:
 * MAX_FRAME_SIZE 65536 (a 20000-byte DATA frame) and HEADER_TABLE_SIZE 16384
 * (a size update to it).
 */
TEST(h2c_upgrade_http2_settings_apply_to_stream_1)
{
    static uint8_t big[20000];
    static char x[9000];
    struct bb hb = { .n = 0 };
    struct dsxh_seg g[2];
    char *o;

    reset();
    memset(big, 'b', sizeof big);
    memset(x, 'x', sizeof x - 1);
    /* 00 05 00 01 00 00 (MAX_FRAME_SIZE 65536), 00 01 00 00 40 00 (HEADER_TABLE_SIZE 16384) */
    shim_fields = "Host: a\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
                  "HTTP2-Settings: AAUAAQAAAAEAAEAA\r\n";
    server_start(&sb);
    hp_int(&hb, 0x20, 5, 16384);
    hp_idx(&hb, 8);
    hp_inc(&hb, "x-big", x);                    /* 9037 bytes: over 4096 */
    frame(&sb, HEADERS, EH, 1, hb.d, hb.n);
    frame(&sb, DATA, ES, 1, big, sizeof big);
    hb.n = 0;
    hp_idx(&hb, 9);                             /* 204 */
    hp_int(&hb, 0, 4, 62);                      /* x-big's name from the table */
    hp_str(&hb, "again");
    client_start(&cb);
    get_on(&cb, 3, "/next");
    frame(&sb, HEADERS, EH | ES, 3, hb.d, hb.n);
    g[0] = (struct dsxh_seg){ 0, cb.d, cb.n, T0 + MS, 0 };
    g[1] = (struct dsxh_seg){ 1, sb.d, sb.n, T0 + 2 * MS, 0 };
    o = dsxh_run(&shim, false, 8080, g, 2);
    shim_fields = "Host: nghttp2.org\r\nAccept: */*\r\n";
    T_EQ(count_lines(o), 2);
    T_STREQ(brief(o, 0), "0 \"/robots.txt?a=1\" 1 200 []");
    T_TRUE(has(o, 0, "\"bodySize\":20000,"));
    T_TRUE(has(o, 0, "\"x-big\":\"xxxx"));
    T_STREQ(brief(o, 1), "1 \"/next\" 3 204 []");
    T_TRUE(has(o, 1, "\"headers\":{\":status\":\"204\",\"x-big\":\"again\"}"));
    free(o);
}

/*
 * A long stream (1) stays open while 65 short ones complete: past the hold
 * (HOLD_MAX 64) the short ones are written, and stream 1 keeps index 0 (its
 * place in request order), written last.
 */
TEST(long_stream_keeps_its_index_past_the_hold)
{
    char *o;

    reset();
    client_start(&cb);
    server_start(&sb);
    get_on(&cb, 1, "/watch");
    frame(&sb, HEADERS, EH, 1, "\x88", 1);
    for (uint32_t sid = 3; sid <= 131; sid += 2) {
        get_on(&cb, sid, "/s");
        frame(&sb, HEADERS, EH | ES, sid, "\x88", 1);
    }
    frame(&sb, DATA, ES, 1, "end", 3);
    o = run2(&cb, &sb);
    T_EQ(count_lines(o), 66);
    T_STREQ(brief(o, 0), "1 \"/s\" 3 200 []");
    T_STREQ(brief(o, 64), "65 \"/s\" 131 200 []");
    T_STREQ(brief(o, 65), "0 \"/watch\" 1 200 []");
    free(o);
}

/* Cookie crumbs (RFC 9113 §8.2.3): one "cookie" value joined with "; ", at the first's place. */
/* Stream 1 with the request block req (ending the stream) answered 200: the entries. */
static char *exchange(const struct bb *req)
{
    reset();
    client_start(&cb);
    frame(&cb, HEADERS, EH | ES, 1, req->d, req->n);
    server_start(&sb);
    frame(&sb, HEADERS, EH | ES, 1, "\x88", 1);
    return run2(&cb, &sb);
}

TEST(cookie_crumbs_joined_with_semicolons)
{
    struct bb hb = { .n = 0 };
    char *o;

    hp_idx(&hb, 2);

    hp_idx(&hb, 6);
    hp_litn(&hb, 4, "/c");
    hp_litn(&hb, 32, "a=1");                    /* cookie */
    hp_lit(&hb, "x-other", "y");
    hp_lit(&hb, "cookie", "b=2");
    hp_litn(&hb, 32, "c=3");
    o = exchange(&hb);
    T_EQ(count_lines(o), 1);
    T_TRUE(has(o, 0, "\"headers\":{\":method\":\"GET\",\":scheme\":\"http\",\":path\":\"/c\","
                     "\"cookie\":\"a=1; b=2; c=3\",\"x-other\":\"y\"}"));
    T_STREQ(brief(o, 0), "0 \"/c\" 1 200 []");
    free(o);
}

/*
 * A PRIORITY frame of another length than 5 is a stream error (RFC 9113
 * §6.3), not lost framing: it is skipped, its stream (3 here) is malformed,
 * the others and the HPACK table are untouched.
 */
TEST(priority_of_another_length_is_a_stream_error)
{
    struct bb hb = { .n = 0 };
    char *o;

    reset();
    client_start(&cb);
    get_block(&hb, "/1");
    hp_inc(&hb, "x-k", "v");                    /* index 62 */
    frame(&cb, HEADERS, EH | ES, 1, hb.d, hb.n);
    get_on(&cb, 3, "/3");
    frame(&cb, PRIORITY, 0, 7, "\0\0\0\x01\x10\x00", 6);
    frame(&cb, PRIORITY, 0, 3, "\0\0\0\x01", 4);
    get_block(&hb, "/5");
    hp_idx(&hb, 62);
    frame(&cb, HEADERS, EH | ES, 5, hb.d, hb.n);
    server_start(&sb);
    for (uint32_t sid = 1; sid <= 5; sid += 2)
        frame(&sb, HEADERS, EH | ES, sid, "\x88", 1);
    o = run2(&cb, &sb);
    T_STREQ(briefs(o), "0 \"/1\" 1 200 []\n1 \"/3\" 3 200 [\"malformed\"]\n2 \"/5\" 5 200 []\n");
    T_TRUE(has(o, 2, "\"headers\":{\":method\":\"GET\",\":scheme\":\"http\",\":path\":\"/5\","
                     "\"x-k\":\"v\"}"));
    free(o);
    same_split(&cb, &sb);
}

/*
 * Mid-connection, a response block naming a table entry from before the
 * capture (62) that ends its stream: the entry goes out with `gap` all the
 * same, as a block that leaves the stream open gets it.
 */
TEST(gap_of_a_block_that_ends_its_stream)
{
    char *o;

    reset();
    get_on(&cb, 101, "/g");
    frame(&sb, HEADERS, EH | ES, 101, "\x88\xbe", 2);
    o = run2(&cb, &sb);
    T_STREQ(briefs(o), "0 \"/g\" 101 200 [\"gap\"]\n");
    free(o);
    same_split(&cb, &sb);
}

/*
 * A dynamic table size update after a field (RFC 7541 §4.2) makes its stream
 * malformed: stream 1's request (that update evicts its x-a) and the server's
 * PUSH_PROMISE on stream 7. The update is applied and nothing is lost: the
 * fields before it are shown, and later blocks (3 inserts x-b, 5 names it) are
 * decoded against the table the encoder has.
 */
TEST(size_update_after_a_field_is_malformed)
{
    struct bb hb = { .n = 0 }, f = { .n = 0 };
    char *o;

    reset();
    client_start(&cb);
    get_block(&hb, "/1");
    hp_litn(&hb, 1, "a");                       /* :authority */
    hp_inc(&hb, "x-a", "1");
    hp_int(&hb, 0x20, 5, 0);                    /* size update to 0: evicts x-a */
    frame(&cb, HEADERS, EH | ES, 1, hb.d, hb.n);
    hb.n = 0;
    hp_int(&hb, 0x20, 5, 4096);                 /* at the start: fine */
    hp_idx(&hb, 2);
    hp_idx(&hb, 6);
    hp_litn(&hb, 4, "/3");
    hp_inc(&hb, "x-b", "2");                    /* index 62 */
    frame(&cb, HEADERS, EH | ES, 3, hb.d, hb.n);
    get_block(&hb, "/5");
    hp_idx(&hb, 62);
    frame(&cb, HEADERS, EH | ES, 5, hb.d, hb.n);
    get_on(&cb, 7, "/7");
    server_start(&sb);
    for (uint32_t sid = 1; sid <= 5; sid += 2)
        frame(&sb, HEADERS, EH | ES, sid, "\x88", 1);
    put(&f, "\0\0\0\x02", 4);                   /* promised stream 2 */
    get_block(&hb, "/p");
    put(&f, hb.d, hb.n);
    hp_int(&f, 0x20, 5, 4096);                  /* after the promise's fields */
    frame(&sb, PUSH, EH, 7, f.d, f.n);
    frame(&sb, HEADERS, EH | ES, 7, "\x88", 1);
    o = run2(&cb, &sb);
    T_STREQ(briefs(o), "0 \"/1\" 1 200 [\"malformed\"]\n1 \"/3\" 3 200 []\n"
                       "2 \"/5\" 5 200 []\n3 \"/7\" 7 200 [\"malformed\"]\n");
    T_TRUE(has(o, 0, "\"headers\":{\":method\":\"GET\",\":scheme\":\"http\",\":path\":\"/1\","
                     "\":authority\":\"a\",\"x-a\":\"1\"}"));
    T_TRUE(has(o, 2, "\"headers\":{\":method\":\"GET\",\":scheme\":\"http\",\":path\":\"/5\","
                     "\"x-b\":\"2\"}"));
    T_TRUE(has(o, 3, "\"pushPromises\":1}"));
    free(o);
    same_split(&cb, &sb);
}

/* Appends stream sid's request block hb (ending it) and a 200 answer; returns the next id. */
static uint32_t ask(uint32_t sid, const struct bb *hb)
{
    frame(&cb, HEADERS, EH | ES, sid, hb->d, hb->n);
    frame(&sb, HEADERS, EH | ES, sid, "\x88", 1);
    return sid + 2;
}

/*
 * Malformed requests (RFC 9113 §8.2.1, §8.2.2, §8.3.1, §8.5; RFC 8441 §4) are
 * flagged, their fields shown as sent; well-formed ones (CONNECT, extended
 * CONNECT, te: trailers) are not.
 */
TEST(malformed_requests_are_flagged)
{
    struct bb hb = { .n = 0 };
    uint32_t sid = 1;
    char *o;

    reset();
    client_start(&cb);
    server_start(&sb);
    hb.n = 0;
    hp_lit(&hb, "x-only", "1");                 /* 1: no pseudo-header field */
    sid = ask(sid, &hb);
    get_block(&hb, "/3");
    hp_lit(&hb, "X-Upper", "1");                /* 3: upper case */
    sid = ask(sid, &hb);
    hb.n = 0;
    hp_idx(&hb, 2);
    hp_idx(&hb, 6);
    hp_lit(&hb, "x-a", "1");
    hp_litn(&hb, 4, "/5");                      /* 5: pseudo-header after a regular field */
    sid = ask(sid, &hb);
    get_block(&hb, "/7");
    hp_litn(&hb, 4, "/7b");                     /* 7: :path twice */
    sid = ask(sid, &hb);
    get_block(&hb, "/9");
    hp_lit(&hb, ":foo", "1");                   /* 9: unknown pseudo-header */
    sid = ask(sid, &hb);
    hb.n = 0;
    hp_idx(&hb, 2);
    hp_litn(&hb, 4, "/11");                     /* 11: no :scheme */
    sid = ask(sid, &hb);
    get_block(&hb, "/13");
    hp_idx(&hb, 8);                             /* 13: :status in a request */
    sid = ask(sid, &hb);
    hb.n = 0;
    hp_litn(&hb, 2, "CONNECT");
    hp_litn(&hb, 1, "a.example:443");           /* 15: CONNECT: fine */
    sid = ask(sid, &hb);
    hp_idx(&hb, 4);                             /* 17: CONNECT with :path */
    sid = ask(sid, &hb);
    hb.n = 0;
    hp_litn(&hb, 2, "CONNECT");
    hp_lit(&hb, ":protocol", "websocket");
    hp_idx(&hb, 7);
    hp_litn(&hb, 4, "/chat");
    hp_litn(&hb, 1, "a.example");               /* 19: extended CONNECT: fine */
    sid = ask(sid, &hb);
    get_block(&hb, "/21");
    hp_lit(&hb, ":protocol", "websocket");      /* 21: :protocol without CONNECT */
    sid = ask(sid, &hb);
    get_block(&hb, "/23");
    hp_lit(&hb, "connection", "keep-alive");    /* 23: connection-specific */
    sid = ask(sid, &hb);
    get_block(&hb, "/25");
    hp_lit(&hb, "te", "Trailers");              /* 25: fine */
    sid = ask(sid, &hb);
    get_block(&hb, "/27");
    hp_lit(&hb, "te", "gzip");                  /* 27: te but "trailers" */
    sid = ask(sid, &hb);
    get_block(&hb, "/29");
    hp_lit(&hb, "x-v", "a\r\nx-injected: 1");   /* 29: CR LF in a value */
    sid = ask(sid, &hb);
    get_block(&hb, "/31");
    hp_lit(&hb, "x-v", " a");                   /* 31: whitespace first */
    sid = ask(sid, &hb);
    get_block(&hb, "");                         /* 33: empty :path */
    sid = ask(sid, &hb);
    o = run2(&cb, &sb);
    T_EQ(sid, 35);
    T_STREQ(briefs(o),
            "0 \"\" 1 200 [\"malformed\"]\n1 \"/3\" 3 200 [\"malformed\"]\n"
            "2 \"/5\" 5 200 [\"malformed\"]\n3 \"/7\" 7 200 [\"malformed\"]\n"
            "4 \"/9\" 9 200 [\"malformed\"]\n5 \"/11\" 11 200 [\"malformed\"]\n"
            "6 \"/13\" 13 200 [\"malformed\"]\n7 \"\" 15 200 []\n"
            "8 \"/\" 17 200 [\"malformed\"]\n9 \"/chat\" 19 200 []\n"
            "10 \"/21\" 21 200 [\"malformed\"]\n11 \"/23\" 23 200 [\"malformed\"]\n"
            "12 \"/25\" 25 200 []\n13 \"/27\" 27 200 [\"malformed\"]\n"
            "14 \"/29\" 29 200 [\"malformed\"]\n15 \"/31\" 31 200 [\"malformed\"]\n"
            "16 \"\" 33 200 [\"malformed\"]\n");
    T_TRUE(has(o, 0, "\"method\":\"\",\"url\":\"\",\"path\":\"\",\"httpVersion\":\"HTTP/2.0\","
                     "\"headers\":{\"x-only\":\"1\"}"));
    T_TRUE(has(o, 1, "\"X-Upper\":\"1\""));
    T_TRUE(has(o, 3, "\":path\":\"/7, /7b\""));
    T_TRUE(has(o, 14, "\"x-v\":\"a\\r\\nx-injected: 1\""));
    free(o);
    same_split(&cb, &sb);

    /* mid-connection: a pseudo-header field may be one of those left out (62): gap only */
    reset();
    hb.n = 0;
    hp_idx(&hb, 2);
    hp_idx(&hb, 62);
    hp_litn(&hb, 4, "/m");
    ask(101, &hb);
    o = run2(&cb, &sb);
    T_STREQ(briefs(o), "0 \"/m\" 101 200 [\"gap\"]\n");
    free(o);
}

/*
 * :status is three digits (RFC 9110 §15, RFC 9113 §8.3.2): another value is
 * status 0 and malformed, and stays in headers as sent; 099 is kept, as in
 * HTTP/1. A response with a request's pseudo-header, trailers with a
 * pseudo-header or without END_STREAM, a 1xx that ends the stream (§8.1) are
 * malformed; gRPC-style trailers are not.
 */
TEST(malformed_responses_are_flagged)
{
    struct bb hb = { .n = 0 };
    char *o;

    reset();
    client_start(&cb);
    server_start(&sb);
    for (uint32_t sid = 1; sid <= 17; sid += 2)
        get_on(&cb, sid, "/r");
    hb.n = 0;
    hp_litn(&hb, 8, "0200");
    frame(&sb, HEADERS, EH | ES, 1, hb.d, hb.n);
    hb.n = 0;
    hp_litn(&hb, 8, "2000");
    frame(&sb, HEADERS, EH | ES, 3, hb.d, hb.n);
    hb.n = 0;
    hp_litn(&hb, 8, "099");
    frame(&sb, HEADERS, EH | ES, 5, hb.d, hb.n);
    hb.n = 0;
    hp_idx(&hb, 8);
    hp_litn(&hb, 4, "/x");                      /* 7: :path in a response */
    frame(&sb, HEADERS, EH | ES, 7, hb.d, hb.n);
    frame(&sb, HEADERS, EH, 9, "\x88", 1);
    frame(&sb, HEADERS, EH | ES, 9, "\x88", 1); /* 9: trailers with :status */
    frame(&sb, HEADERS, EH, 11, "\x88", 1);
    hb.n = 0;
    hp_lit(&hb, "x-t", "1");
    frame(&sb, HEADERS, EH, 11, hb.d, hb.n);    /* 11: trailers without END_STREAM */
    frame(&sb, DATA, ES, 11, NULL, 0);
    hb.n = 0;
    hp_litn(&hb, 8, "103");
    frame(&sb, HEADERS, EH | ES, 13, hb.d, hb.n); /* 13: a 1xx that ends the stream */
    frame(&sb, HEADERS, EH, 15, "\x88", 1);
    hb.n = 0;
    hp_lit(&hb, "grpc-status", "0");
    frame(&sb, HEADERS, EH | ES, 15, hb.d, hb.n); /* 15: trailers: fine */
    hb.n = 0;
    hp_idx(&hb, 8);
    put8(&hb, 0);
    hp_str(&hb, "x-b");
    hp_int(&hb, 0, 7, 3);
    put(&hb, "b\0c", 3);                        /* 17: NUL in a value */
    frame(&sb, HEADERS, EH | ES, 17, hb.d, hb.n);
    o = run2(&cb, &sb);
    T_STREQ(briefs(o),
            "0 \"/r\" 1 0 [\"malformed\"]\n1 \"/r\" 3 0 [\"malformed\"]\n"
            "2 \"/r\" 5 99 []\n3 \"/r\" 7 200 [\"malformed\"]\n"
            "4 \"/r\" 9 200 [\"malformed\"]\n5 \"/r\" 11 200 [\"malformed\"]\n"
            "6 \"/r\" 13 103 [\"malformed\"]\n7 \"/r\" 15 200 []\n"
            "8 \"/r\" 17 200 [\"malformed\"]\n");
    T_TRUE(has(o, 0, "\"status\":0,\"statusText\":\"\",\"httpVersion\":\"HTTP/2.0\","
                     "\"headers\":{\":status\":\"0200\"}"));
    T_TRUE(has(o, 1, "\"status\":0,\"statusText\":\"\",\"httpVersion\":\"HTTP/2.0\","
                     "\"headers\":{\":status\":\"2000\"}"));
    T_TRUE(has(o, 5, "\"trailers\":{\"x-t\":\"1\"}"));
    free(o);
    same_split(&cb, &sb);
}

/*
 * A gap across frames while a gRPC message is half read: the DATA lost may
 * hold the rest of it and the next prefixes, so counting stops at the gap
 * (the DATA after it must not be read as message prefixes out of step).
 */
TEST(gap_across_frames_stops_grpc_message_counting)
{
    static const uint8_t half[] = { 0, 0, 0, 0, 20, 'x', 'x', 'x', 'x', 'x',
                                    'x', 'x', 'x', 'x', 'x' };
    static const uint8_t rest[10] = { 'y' };
    struct bb hb = { .n = 0 };
    struct dsxh_seg g[4];
    size_t cut, cut2;
    char *o;

    reset();
    client_start(&cb);
    hp_idx(&hb, 3);
    hp_idx(&hb, 6);
    hp_litn(&hb, 4, "/a.B/C");
    hp_litn(&hb, 31, "application/grpc");
    frame(&cb, HEADERS, EH | ES, 1, hb.d, hb.n);
    server_start(&sb);
    hb.n = 0;
    hp_idx(&hb, 8);
    hp_litn(&hb, 31, "application/grpc");
    frame(&sb, HEADERS, EH, 1, hb.d, hb.n);
    frame(&sb, DATA, 0, 1, half, sizeof half);  /* a 20-byte message, 10 bytes of it */
    cut = sb.n;
    frame(&sb, DATA, 0, 1, rest, sizeof rest);  /* lost: the rest of it, and a PING */
    frame(&sb, PING, 0, 0, "12345678", 8);
    cut2 = sb.n;
    frame(&sb, DATA, 0, 1, "\0\0\0\0\3abc\0\0\0\0\3def", 16);
    hb.n = 0;
    hp_lit(&hb, "grpc-status", "0");
    frame(&sb, HEADERS, EH | ES, 1, hb.d, hb.n);
    g[0] = (struct dsxh_seg){ 0, cb.d, cb.n, T0 + MS, 0 };
    g[1] = (struct dsxh_seg){ 1, sb.d, cut, T0 + 2 * MS, 0 };
    g[2] = (struct dsxh_seg){ 1, NULL, cut2 - cut, 0, DSXH_GAP };
    g[3] = (struct dsxh_seg){ 1, sb.d + cut2, sb.n - cut2, T0 + 3 * MS, 0 };
    o = run(g, 4);
    T_EQ(count_lines(o), 1);
    T_STREQ(brief(o, 0), "0 \"/a.B/C\" 1 200 [\"gap\"]");
    T_TRUE(has(o, 0, "\"bodySize\":31,\"trailers\":{\"grpc-status\":\"0\"},"
                     "\"content\":{\"mimeType\":\"application/grpc\",\"size\":31},"
                     "\"grpc\":{\"status\":0,\"message\":\"\",\"messages\":1,"
                     "\"messageBytes\":20,\"trailersOnly\":false}}"));
    free(o);
}

/*
 * RFC 9113 §5.1, §8.1: a side sends nothing after its END_STREAM, and a
 * response starts with its header block. Frames that break this are
 * malformed; a response of DATA only is no response.
 */
TEST(frames_out_of_stream_order_are_malformed)
{
    struct bb hb = { .n = 0 };
    char *o;

    reset();
    client_start(&cb);
    get_on(&cb, 1, "/data-only");
    get_on(&cb, 3, "/data-after-end");
    frame(&cb, DATA, ES, 3, "late", 4);
    get_block(&hb, "/headers-after-end");
    frame(&cb, HEADERS, EH, 5, hb.d, hb.n);    /* 5: open to the end (truncated) */
    get_on(&cb, 7, "/data-before-final");
    get_on(&cb, 9, "/fine");
    server_start(&sb);
    frame(&sb, DATA, ES, 1, "hello", 5);        /* 1: no HEADERS at all */
    frame(&sb, HEADERS, EH | ES, 3, "\x88", 1);
    frame(&sb, HEADERS, EH, 5, "\x88", 1);
    frame(&sb, DATA, ES, 5, "x", 1);
    hb.n = 0;
    hp_lit(&hb, "x-t", "1");
    frame(&sb, HEADERS, EH | ES, 5, hb.d, hb.n);  /* 5: trailers after END_STREAM */
    hb.n = 0;
    hp_litn(&hb, 8, "103");
    frame(&sb, HEADERS, EH, 7, hb.d, hb.n);
    frame(&sb, DATA, 0, 7, "early", 5);         /* 7: DATA between a 1xx and the final */
    frame(&sb, HEADERS, EH | ES, 7, "\x88", 1);
    frame(&sb, HEADERS, EH, 9, "\x88", 1);
    frame(&sb, DATA, ES, 9, "ok", 2);
    o = run2(&cb, &sb);
    T_STREQ(briefs(o), "0 \"/data-only\" 1 - [\"malformed\",\"no_response\"]\n"
                       "1 \"/data-after-end\" 3 200 [\"malformed\"]\n"
                       "2 \"/headers-after-end\" 5 200 [\"malformed\",\"truncated\"]\n"
                       "3 \"/data-before-final\" 7 200 [\"malformed\"]\n"
                       "4 \"/fine\" 9 200 []\n");
    T_TRUE(has(o, 0, "\"response\":{},\"requestSize\":23,\"responseSize\":14,"));
    free(o);
    same_split(&cb, &sb);
}

/* RFC 9113 §5.1.1: a client opens streams of odd ids, each above every id it opened before. */
TEST(request_stream_ids_out_of_order_are_malformed)
{
    char *o;

    reset();
    client_start(&cb);
    get_on(&cb, 5, "/five");
    get_on(&cb, 2, "/even");
    get_on(&cb, 3, "/three");
    get_on(&cb, 7, "/seven");
    server_start(&sb);
    frame(&sb, HEADERS, EH | ES, 5, "\x88", 1);
    frame(&sb, HEADERS, EH | ES, 2, "\x88", 1);
    frame(&sb, HEADERS, EH | ES, 3, "\x88", 1);
    frame(&sb, HEADERS, EH | ES, 7, "\x88", 1);
    o = run2(&cb, &sb);
    T_STREQ(briefs(o), "0 \"/five\" 5 200 []\n1 \"/even\" 2 200 [\"malformed\"]\n"
                       "2 \"/three\" 3 200 [\"malformed\"]\n3 \"/seven\" 7 200 []\n");
    free(o);
    same_split(&cb, &sb);
}

/* RFC 9113 §4.1: the reserved bit of a frame's stream id is ignored on receipt. */
TEST(stream_id_reserved_bit_is_ignored)
{
    struct bb hb = { .n = 0 };
    char *o;

    reset();
    client_start(&cb);
    get_on(&cb, 1, "/one");
    get_block(&hb, "/two");
    frame(&cb, HEADERS, EH | ES, 0x80000003u, hb.d, hb.n);
    server_start(&sb);
    frame(&sb, HEADERS, EH | ES, 1, "\x88", 1);
    frame(&sb, HEADERS, EH, 3, "\x88", 1);
    frame(&sb, DATA, ES, 0x80000003u, "hello", 5);
    o = run2(&cb, &sb);
    T_STREQ(briefs(o), "0 \"/one\" 1 200 []\n1 \"/two\" 3 200 []\n");
    T_TRUE(has(o, 1, "\"bodySize\":5,\"content\":{\"mimeType\":\"\",\"size\":5}},"
                     "\"requestSize\":17,\"responseSize\":24,"));
    free(o);
    same_split(&cb, &sb);
}

/* RFC 9113 §8.4: only a server pushes; a PUSH_PROMISE from the client is not one. */
TEST(push_promise_from_the_client_is_malformed)
{
    struct bb f = { .n = 0 };
    char *o;

    reset();
    client_start(&cb);
    get_on(&cb, 1, "/page");
    get_block(&f, "/pushed");
    memmove(f.d + 4, f.d, f.n);               /* promised stream 3, then the block */
    memcpy(f.d, "\0\0\0\x03", 4);
    f.n += 4;
    frame(&cb, PUSH, EH, 1, f.d, f.n);
    server_start(&sb);
    frame(&sb, HEADERS, EH | ES, 1, "\x88", 1);
    o = run2(&cb, &sb);
    T_STREQ(briefs(o), "0 \"/page\" 1 200 [\"malformed\"]\n");
    T_TRUE(!has(o, 0, "pushPromises"));
    free(o);
}

T_MAIN(T_CASE(registered), T_CASE(hpack_c1_integers), T_CASE(hpack_c2_single_fields),
       T_CASE(hpack_c3_requests), T_CASE(hpack_c4_requests_huffman),
       T_CASE(hpack_c5_responses_with_eviction), T_CASE(hpack_c6_responses_huffman),
       T_CASE(hpack_huffman_every_code_of_the_rfc),
       T_CASE(hpack_table_size_updates_limits_and_errors),
       T_CASE(hpack_size_update_after_a_field), T_CASE(hpack_lenient_after_lost_state),
       T_CASE(hpack_header_list_limit),
       T_CASE(get_exchange_exact), T_CASE(grpc_unary_exact),
       T_CASE(grpc_trailers_only_and_status_from_headers), T_CASE(grpc_web_trailer_frame_and_text),
       T_CASE(grpc_web_trailer_status),
       T_CASE(headers_with_padding_priority_and_continuations),
       T_CASE(multiplexed_streams_pair_by_id_out_in_request_order),
       T_CASE(rst_stream_emits_what_it_has), T_CASE(end_of_capture_no_response_and_truncated),
       T_CASE(gap_inside_data_keeps_framing), T_CASE(gap_across_frames_resynchronises),
       T_CASE(undecodable_block_is_malformed_and_abandons),
       T_CASE(broken_framing_is_malformed_and_resynchronises),
       T_CASE(header_sequence_over_the_cap_abandons), T_CASE(open_streams_cap_emits_the_oldest),
       T_CASE(open_streams_bytes_cap_emits_the_oldest),
       T_CASE(capture_started_mid_connection), T_CASE(h2c_upgrade_stream_1_from_the_hint),
       T_CASE(push_promise_counted_and_keeps_hpack_in_step),
       T_CASE(settings_header_table_size_is_honoured), T_CASE(interim_response_and_padded_data),
       T_CASE(bids), T_CASE(mid_connection_frames_over_16384),
       T_CASE(resync_takes_the_last_frame_at_the_end),
       T_CASE(answer_to_a_request_lost_in_a_gap),
       T_CASE(mid_connection_late_response_to_a_reset_stream),
       T_CASE(mid_connection_settings_first_is_not_the_start),
       T_CASE(h2c_upgrade_http2_settings_apply_to_stream_1),
       T_CASE(long_stream_keeps_its_index_past_the_hold),
       T_CASE(cookie_crumbs_joined_with_semicolons),
       T_CASE(priority_of_another_length_is_a_stream_error),
       T_CASE(gap_of_a_block_that_ends_its_stream),
       T_CASE(size_update_after_a_field_is_malformed),
       T_CASE(malformed_requests_are_flagged), T_CASE(malformed_responses_are_flagged),
       T_CASE(gap_across_frames_stops_grpc_message_counting),
       T_CASE(frames_out_of_stream_order_are_malformed),
       T_CASE(request_stream_ids_out_of_order_are_malformed),
       T_CASE(stream_id_reserved_bit_is_ignored),
       T_CASE(push_promise_from_the_client_is_malformed))
