/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: unit tests of entries (builder, record format, JSON form) and of
 * the dissection driver (carry-over, dsx_need, byte times, gaps, switch,
 * L4 summary entries), the latter through a toy line protocol.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode/decode.h"
#include "reasm/reasm.h"
#include "dsxh.h"
#include "entry/entry.h"
#include "json/json.h"
#include "t.h"

/* Serialises e, parses it back and returns its JSON text (malloc'd). */
static char *roundtrip(struct ent *e)
{
    struct buf b;
    struct ent_view v;
    char *j;

    buf_init(&b, SIZE_MAX);
    if (ent_serialize(e, &b) < 0)
        return NULL;
    if (ent_parse(b.data, b.len, &v) != (long)b.len) {
        buf_release(&b);
        return NULL;
    }
    j = jv_entry_text(&v, "n1", "192.0.2.1");
    buf_release(&b);
    return j;
}

TEST(entry_json_exact)
{
    struct ent *e = ent_new();
    char *j;

    e->f.stream_id = 42;
    e->f.index = 3;
    e->f.proto = ENT_HTTP1;
    e->f.l4 = 6;
    e->f.ipver = 4;
    e->f.src_ip[0] = 10, e->f.src_ip[3] = 7;
    e->f.dst_ip[0] = 10, e->f.dst_ip[3] = 9;
    e->f.src_port = 43512;
    e->f.dst_port = 80;
    e->f.flags = ENT_F_REQ | ENT_F_RESP;
    e->f.req_ns = 1678818739123456789ull;
    e->f.req_end_ns = 1678818739123456789ull;
    e->f.resp_ns = 1678818739126456789ull;
    e->f.resp_end_ns = 1678818739127000000ull;
    e->f.req_size = 111;
    e->f.resp_size = 164;
    e->f.req_pkt = 3;
    e->f.resp_pkt = 5;
    e->f.last_pkt = 6;
    e->f.anomalies = ENT_A_GAP | ENT_A_NO_REQUEST;
    ent_section(e, ENT_REQ);
    ent_cstr(e, "method", "GET");
    ent_obj_begin(e, "headers");
    ent_cstr(e, "Accept", "a");
    ent_cstr(e, "Accept", "b");
    ent_cstr(e, "accept", "c");     /* a header name has no case: the first spelling stays */
    ent_obj_end(e);
    ent_obj_begin(e, "queryString");
    ent_cstr(e, "A", "1");          /* a parameter's has */
    ent_cstr(e, "a", "2");
    ent_obj_end(e);
    ent_section(e, ENT_RESP);
    ent_u64(e, "status", 200);
    ent_i64(e, "neg", -5);
    ent_arr_begin(e, "list");
    ent_cstr(e, "ignored-key", "x");
    ent_bool(e, NULL, true);
    ent_null(e, NULL);
    ent_arr_end(e);
    ent_section(e, ENT_REQ);
    ent_u64(e, "bodySize", 0);
    j = roundtrip(e);
    T_STREQ(j, "{\"id\":\"n1/42-3\",\"index\":3,\"stream\":\"000000000042.pcap\","
               "\"node\":{\"name\":\"n1\",\"ip\":\"192.0.2.1\"},"
               "\"protocol\":{\"name\":\"http\",\"version\":\"1.1\",\"abbr\":\"HTTP\","
               "\"longName\":\"Hypertext Transfer Protocol -- HTTP/1.1\",\"layer4\":\"tcp\"},"
               "\"src\":{\"ip\":\"10.0.0.7\",\"port\":43512,\"name\":\"\",\"namespace\":\"\"},"
               "\"dst\":{\"ip\":\"10.0.0.9\",\"port\":80,\"name\":\"\",\"namespace\":\"\"},"
               "\"namespace\":\"\","
               "\"timestamp\":1678818739123,\"startTime\":\"2023-03-14T18:32:19.123456789Z\","
               "\"elapsedTime\":3,"
               "\"request\":{\"method\":\"GET\",\"headers\":{\"Accept\":\"a, b, c\"},"
               "\"queryString\":{\"A\":\"1\",\"a\":\"2\"},\"bodySize\":0},"
               "\"response\":{\"status\":200,\"neg\":-5,\"list\":[\"x\",true,null]},"
               "\"requestSize\":111,\"responseSize\":164,\"anomalies\":[\"gap\",\"no_request\"],"
               "\"times\":{\"request\":1678818739123456789,\"requestEnd\":1678818739123456789,"
               "\"response\":1678818739126456789,\"responseEnd\":1678818739127000000},"
               "\"packets\":{\"request\":3,\"response\":5,\"last\":6}}");
    free(j);
    ent_free(e);
}

/*
 * Many header names, each sent again in lower case: one member each under
 * its first spelling, values joined (found through the map's lower-cased
 * names, not by comparing with every member).
 */
TEST(entry_json_many_header_names)
{
    struct ent *e = ent_new();
    char name[32], value[32], *j, *at;
    size_t members = 0;

    e->f.proto = ENT_HTTP2;
    e->f.flags = ENT_F_REQ;
    ent_section(e, ENT_REQ);
    ent_obj_begin(e, "headers");
    for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i < 1500; i++) {
            snprintf(name, sizeof name, pass ? "x-name-%d" : "X-Name-%d", i);
            snprintf(value, sizeof value, "%c%d", pass ? 'w' : 'v', i);
            ent_cstr(e, name, value);
        }
    }
    ent_obj_end(e);
    j = roundtrip(e);
    T_TRUE(strstr(j, "\"headers\":{\"X-Name-0\":\"v0, w0\",\"X-Name-1\":\"v1, w1\",") != NULL);
    T_TRUE(strstr(j, "\"X-Name-1499\":\"v1499, w1499\"}") != NULL);
    T_TRUE(strstr(j, "x-name") == NULL);
    for (at = strstr(j, "\"headers\":{"); at && (at = strstr(at, "\"X-Name-")); at++)
        members++;
    T_EQ(members, 1500);
    free(j);
    ent_free(e);
}

/* A record's names part: written by ent_names_put, read back by ent_parse, shown in JSON. */
TEST(entry_names_roundtrip)
{
    static const char *const nm[ENT_NAMES] = {
        "front-end.sock-shop", "sock-shop", "front-end-7d9f-xk2p", "front-end", "",
        "", "", "", "", "api.stripe.com",
    };
    uint8_t nl[ENT_NAMES];
    struct ent *e = ent_new();
    struct ent_view v;
    struct buf b;
    char *j;

    for (int i = 0; i < ENT_NAMES; i++)
        nl[i] = (uint8_t)strlen(nm[i]);
    e->f.ipver = 4;
    e->f.l4 = 6;
    buf_init(&b, SIZE_MAX);
    T_EQ(ent_serialize(e, &b), 0);
    /* the dissector's record has an empty names part: swap in a full one */
    b.len -= 4;
    T_EQ(ent_names_put(&b, nm, nl), 0);
    b.data[0] = (uint8_t)b.len;
    T_EQ(ent_parse(b.data, b.len, &v), (long)b.len);
    for (int i = 0; i < ENT_NAMES; i++)
        T_TRUE(v.nmlen[i] == nl[i] && memcmp(v.nm[i], nm[i], nl[i]) == 0);
    j = jv_entry_text(&v, "n1", NULL);
    T_TRUE(j && strstr(j, "\"src\":{\"ip\":\"0.0.0.0\",\"port\":0,"
                          "\"name\":\"front-end.sock-shop\",\"namespace\":\"sock-shop\","
                          "\"pod\":{\"name\":\"front-end-7d9f-xk2p\",\"namespace\":\"sock-shop\"},"
                          "\"service\":{\"name\":\"front-end\",\"namespace\":\"sock-shop\"}},"
                          "\"dst\":{\"ip\":\"0.0.0.0\",\"port\":0,\"name\":\"\",\"namespace\":\"\","
                          "\"dns\":\"api.stripe.com\"},\"namespace\":\"sock-shop\","));
    free(j);
    /* a name longer than ENT_NAME_MAX, or past the part's end, is a malformed record */
    b.data[b.len - 1 - (size_t)nl[ENT_NAMES - 1]] = 0xff;
    T_EQ(ent_parse(b.data, b.len, &v), -1);
    buf_release(&b);
    ent_free(e);
}

TEST(entry_caps_keep_balance)
{
    struct ent *e = ent_new();
    static char big[ENT_STR_MAX + 100];
    char *j;

    memset(big, 'a', sizeof big);
    e->f.l4 = 17;
    e->f.ipver = 6;
    ent_section(e, ENT_REQ);
    ent_str(e, "s", big, sizeof big);           /* cut to ENT_STR_MAX */
    T_TRUE(e->f.anomalies & ENT_A_TRUNCATED);
    e->f.anomalies = 0;
    /* nest past the depth cap, then fill past the section cap */
    for (int i = 0; i < ENT_DEPTH_MAX + 4; i++)
        ent_obj_begin(e, "o");
    for (int i = 0; i < 8; i++)
        ent_str(e, "x", big, ENT_STR_MAX);
    T_TRUE(e->f.anomalies & ENT_A_TRUNCATED);
    for (int i = 0; i < ENT_DEPTH_MAX + 4; i++)
        ent_obj_end(e);
    ent_arr_begin(e, "unclosed");               /* closed by ent_serialize */
    j = roundtrip(e);
    T_TRUE(j != NULL);
    T_TRUE(j && strstr(j, "\"anomalies\":[\"truncated\"]") != NULL);
    T_TRUE(j && strstr(j, "\"stream\":\"000000000000_udp.pcap\"") != NULL);
    T_TRUE(e->sec[0].len <= ENT_SECTION_MAX);
    free(j);
    ent_free(e);
}

TEST(entry_parse_rejects_bad_lengths)
{
    struct ent *e = ent_new();
    struct buf b;
    struct ent_view v;

    buf_init(&b, SIZE_MAX);
    ent_section(e, ENT_RESP);
    ent_cstr(e, "k", "v");
    T_EQ(ent_serialize(e, &b), 0);
    T_EQ(ent_parse(b.data, b.len - 1, &v), 0);          /* incomplete */
    b.data[4 + ENT_FIXED_LEN] = 0xff;                   /* request section longer than the record */
    T_EQ(ent_parse(b.data, b.len, &v), -1);
    b.data[0] = 3;                                      /* total below the fixed part */
    T_EQ(ent_parse(b.data, b.len, &v), -1);
    buf_release(&b);
    ent_free(e);
}

/* ent_get: values by path without JSON; absent keys, wrong steps and cut bytes are "not found". */
/* The compact dump (what `query` prints) is byte for byte jansson's compact text. */
TEST(json_compact_text_exact)
{
    char ctl[32];
    struct jv *o = jv_obj(), *a = jv_arr(), *in = jv_obj();
    char *t;

    for (int i = 0; i < 32; i++)
        ctl[i] = (char)i;
    jv_set(o, "controls", jv_strn(ctl, sizeof ctl));
    jv_set(o, "quote\"back\\slash/", jv_str("\"\\/\x7f"));
    jv_set(o, "utf8", jv_str("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"));
    jv_set(o, "empty", jv_str(""));
    jv_push(a, jv_i64(INT64_MIN));
    jv_push(a, jv_i64(-1));
    jv_push(a, jv_u64(0));
    jv_push(a, jv_u64(UINT64_MAX));
    jv_push(a, jv_real(0.5));
    jv_push(a, jv_real(2.0));
    jv_push(a, jv_bool(true));
    jv_push(a, jv_bool(false));
    jv_push(a, jv_null());
    jv_push(a, jv_arr());
    jv_push(a, jv_obj());
    jv_set(o, "values", a);
    jv_set(in, "k", jv_str("v"));
    jv_set(o, "nested", in);
    t = jv_dump(o, JV_COMPACT);
    T_STREQ(t, "{\"controls\":\"\\u0000\\u0001\\u0002\\u0003\\u0004\\u0005\\u0006\\u0007\\b\\t\\n"
               "\\u000B\\f\\r\\u000E\\u000F\\u0010\\u0011\\u0012\\u0013\\u0014\\u0015\\u0016"
               "\\u0017\\u0018\\u0019\\u001A\\u001B\\u001C\\u001D\\u001E\\u001F\","
               "\"quote\\\"back\\\\slash/\":\"\\\"\\\\/\x7f\","
               "\"utf8\":\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\",\"empty\":\"\","
               "\"values\":[-9223372036854775808,-1,0,9223372036854775807,0.5,2.0,true,false,"
               "null,[],{}],\"nested\":{\"k\":\"v\"}}");
    free(t);
    /* the spaced form is still jansson's own */
    t = jv_dump(in, 0);
    T_STREQ(t, "{\"k\": \"v\"}");
    free(t);
    jv_free(o);
    /* bytes that are not UTF-8: each becomes U+FFFD, the characters around them stay
     * (a cut sequence, a lone continuation byte, an overlong form, a surrogate) */
    o = jv_strn("/caf\xc3\xa9/\xff\xc3/\x80\xc0\xaf\xed\xa0\x80\xe2\x82\xac", 19);
    t = jv_dump(o, JV_COMPACT);
    T_STREQ(t, "\"/caf\xc3\xa9/\xef\xbf\xbd\xef\xbf\xbd/\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
               "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xe2\x82\xac\"");
    free(t);
    jv_free(o);
}

TEST(entry_get_by_path)
{
    struct ent *e = ent_new();
    struct ent_value x;
    struct ent_view v;
    struct buf b;

    buf_init(&b, SIZE_MAX);
    ent_section(e, ENT_RESP);
    ent_arr_begin(e, "answers");
    ent_cstr(e, NULL, "status");                /* a value inside an array has no key */
    ent_arr_end(e);
    ent_obj_begin(e, "headers");
    ent_u64(e, "status", 7);                    /* not the top-level status */
    ent_obj_end(e);
    ent_u64(e, "status", 503);
    ent_u64(e, "status", 200);                  /* a repeated key: the first counts */
    ent_obj_begin(e, "grpc");
    ent_cstr(e, "message", "deadline");
    ent_i64(e, "delta", -5);
    ent_u64(e, "status", 4);
    ent_obj_end(e);
    ent_cstr(e, "rcode", "NXDOMAIN");
    T_EQ(ent_serialize(e, &b), 0);
    T_EQ(ent_parse(b.data, b.len, &v), (long)b.len);
    T_TRUE(ent_get(&v, ENT_RESP, "status", &x));
    T_EQ(x.tag, ENT_T_U64);
    T_EQ(x.u, 503);
    T_TRUE(ent_get(&v, ENT_RESP, "grpc.status", &x));
    T_EQ(x.u, 4);
    T_TRUE(ent_get(&v, ENT_RESP, "grpc.delta", &x));
    T_EQ(x.tag, ENT_T_I64);
    T_EQ(x.i, -5);
    T_TRUE(ent_get(&v, ENT_RESP, "rcode", &x));
    T_EQ(x.tag, ENT_T_STR);
    T_MEMEQ(x.str, "NXDOMAIN", 8);
    T_EQ(x.len, 8);
    T_TRUE(ent_get(&v, ENT_RESP, "grpc", &x));
    T_EQ(x.tag, ENT_T_OBJ);
    T_TRUE(!ent_get(&v, ENT_RESP, "grpc.code", &x));        /* absent */
    T_TRUE(!ent_get(&v, ENT_RESP, "rcode.x", &x));          /* a step that is no object */
    T_TRUE(!ent_get(&v, ENT_RESP, "stat", &x));             /* keys match whole */
    T_TRUE(!ent_get(&v, ENT_REQ, "status", &x));            /* the other section */
    v.seclen[ENT_RESP] -= 3;                                /* cut inside the last value */
    T_TRUE(!ent_get(&v, ENT_RESP, "rcode", &x));
    T_TRUE(ent_get(&v, ENT_RESP, "status", &x));            /* what comes before still reads */
    buf_release(&b);
    ent_free(e);
}

/*
 * A toy line protocol for the driver: the client sends "Q <n> <word>\n"
 * and the server answers "A <word>\n"; "L <n>\n" announces n more bytes
 * that must arrive whole (dsx_need); "SWITCH\n" hands over to toy2.
 */
struct toy {
    struct ent *pending[4];     /* FIFO of requests waiting for their answer */
    int n;
};

static size_t toy_line(const uint8_t *p, size_t n)
{
    const uint8_t *nl = memchr(p, '\n', n);

    return nl ? (size_t)(nl - p) + 1 : 0;
}

extern const struct dsx_ops toy2;

static size_t toy_parse(void *st, struct dsx *x, int dir, const uint8_t *p, size_t n)
{
    struct toy *t = st;
    size_t used = 0, l;

    while ((l = toy_line(p + used, n - used)) > 0) {
        const uint8_t *s = p + used;

        if (dir == 0 && s[0] == 'L') {
            size_t want = (size_t)strtoul((const char *)s + 2, NULL, 10);

            if (n - used < l + want) {
                dsx_need(x, dir, l + want);
                return used;
            }
            l += want;
        } else if (dir == 0 && l == 7 && memcmp(s, "SWITCH\n", 7) == 0) {
            dsx_switch(x, &toy2, "hi", 3);
            return used + l;
        } else if (dir == 0 && t->n < 4) {
            struct ent *e = dsx_entry(x, ENT_REDIS, 0);

            ent_section(e, ENT_REQ);
            ent_str(e, "line", s, l - 1);
            dsx_mark_req(x, e, dir, used, l);
            t->pending[t->n++] = e;
        } else if (dir == 1 && t->n > 0) {
            struct ent *e = t->pending[0];

            memmove(t->pending, t->pending + 1, (size_t)--t->n * sizeof *t->pending);
            ent_section(e, ENT_RESP);
            ent_str(e, "line", s, l - 1);
            dsx_mark_resp(x, e, dir, used, l);
            dsx_emit(x, e);
        }
        used += l;
    }
    return used;
}

static void toy_gap(void *st, struct dsx *x, int dir, uint64_t n)
{
    struct toy *t = st;

    (void)x;
    (void)dir;
    (void)n;
    for (int i = 0; i < t->n; i++)
        ent_anomaly(t->pending[i], ENT_A_GAP);
}

static void toy_end(void *st, struct dsx *x, int dir)
{
    struct toy *t = st;

    for (int i = 0; dir < 0 && i < t->n; i++) {
        ent_anomaly(t->pending[i], ENT_A_NO_RESPONSE);
        dsx_emit(x, t->pending[i]);
    }
    if (dir < 0)
        t->n = 0;
}

static void toy_fini(void *st)
{
    struct toy *t = st;

    for (int i = 0; i < t->n; i++)
        ent_free(t->pending[i]);
}

static const struct dsx_ops toy = {
    .name = "toy", .l4 = DSX_TCP, .state_size = sizeof(struct toy),
    .parse = toy_parse, .gap = toy_gap, .end = toy_end, .fini = toy_fini,
};

/* toy2: every chunk of bytes is one entry holding the hint and the bytes. */
static void toy2_init(void *st, struct dsx *x, const void *hint)
{
    (void)x;
    memcpy(st, hint ? hint : "--", 3);
}

static size_t toy2_parse(void *st, struct dsx *x, int dir, const uint8_t *p, size_t n)
{
    struct ent *e = dsx_entry(x, ENT_AMQP, 0);

    ent_section(e, ENT_REQ);
    ent_cstr(e, "hint", st);
    ent_str(e, "bytes", p, n);
    ent_u64(e, "dir", (uint64_t)dir);
    dsx_mark_req(x, e, dir, 0, n);
    dsx_emit(x, e);
    return n;
}

const struct dsx_ops toy2 = {
    .name = "toy2", .l4 = DSX_TCP, .state_size = 4, .init = toy2_init, .parse = toy2_parse,
};

/* The value of "key": in line (a number), or -1. */
static long long num_after(const char *line, const char *key)
{
    const char *p = line ? strstr(line, key) : NULL;

    return p ? strtoll(p + strlen(key), NULL, 10) : -1;
}

TEST(driver_split_anywhere_same_entries)
{
    static const char req[] = "Q 1 alpha\nQ 2 beta\n", resp[] = "A alpha\nA beta\n";
    const struct dsxh_seg whole[] = {
        { 0, req, sizeof req - 1, 1000000000, 0 },
        { 1, resp, sizeof resp - 1, 2000000000, 0 },
    };
    char *ref = dsxh_run(&toy, false, 7000, whole, 2), *alt;

    T_TRUE(ref && strstr(ref, "\"request\":{\"line\":\"Q 1 alpha\"},"
                              "\"response\":{\"line\":\"A alpha\"}"));
    T_TRUE(ref && strstr(ref, "\"request\":{\"line\":\"Q 2 beta\"},"
                              "\"response\":{\"line\":\"A beta\"}"));
    /* every byte its own segment (times differ, so compare the sections and sizes only) */
    {
        struct dsxh_seg segs[64];
        size_t n = 0;

        for (size_t i = 0; i < sizeof req - 1; i++)
            segs[n++] = (struct dsxh_seg){ 0, req + i, 1, 0, 0 };
        for (size_t i = 0; i < sizeof resp - 1; i++)
            segs[n++] = (struct dsxh_seg){ 1, resp + i, 1, 0, 0 };
        alt = dsxh_run(&toy, false, 7000, segs, n);
    }
    T_TRUE(alt && strstr(alt, "\"request\":{\"line\":\"Q 2 beta\"},"
                              "\"response\":{\"line\":\"A beta\"},"
                             "\"requestSize\":9,\"responseSize\":7"));
    /* the second request starts at byte 10, i.e. packet 10; its response at packet 19 + 8 */
    T_TRUE(alt && strstr(alt, "\"packets\":{\"request\":10,\"response\":27,\"last\":33}"));
    free(ref);
    free(alt);
}

TEST(driver_times_come_from_the_carrying_packet)
{
    const struct dsxh_seg segs[] = {
        { 0, "Q 1 sp", 6, 1000000000, 0 },
        { 0, "lit\n", 4, 1500000000, 0 },
        { 1, "A s", 3, 3000000000, 0 },
        { 1, "plit\n", 5, 3250000000, 0 },
    };
    char *j = dsxh_run(&toy, false, 7000, segs, 4);

    T_TRUE(j && strstr(j, "\"times\":{\"request\":1000000000,\"requestEnd\":1500000000,"
                          "\"response\":3000000000,\"responseEnd\":3250000000}"));
    T_EQ(num_after(j, "\"elapsedTime\":"), 2000);
    T_TRUE(j && strstr(j, "\"packets\":{\"request\":0,\"response\":2,\"last\":3}"));
    free(j);
}

TEST(driver_need_waits_for_whole_units)
{
    struct dsxh_seg segs[] = {
        { 0, "L 5\nab", 6, 0, 0 },
        { 0, "c", 1, 0, 0 },
        { 0, "de", 2, 0, 0 },                   /* now L's 5 bytes are there */
        { 0, "Q 1 after\n", 10, 0, 0 },
        { 1, "A after\n", 8, 0, 0 },
    };
    char *j = dsxh_run(&toy, false, 7000, segs, 5);

    T_TRUE(j && strstr(j, "\"request\":{\"line\":\"Q 1 after\"},"
                          "\"response\":{\"line\":\"A after\"}"));
    T_TRUE(j && strstr(j, "\"packets\":{\"request\":3,\"response\":4,\"last\":4}"));
    free(j);
}

TEST(driver_gap_reaches_the_dissector)
{
    struct dsxh_seg segs[] = {
        { 0, "Q 1 one\nQ 2 tw", 15, 0, 0 },
        { 0, NULL, 100, 0, DSXH_GAP },
        { 0, "Q 3 three\n", 10, 0, 0 },
        { 1, "A one\n", 6, 0, 0 },
    };
    char *j = dsxh_run(&toy, false, 7000, segs, 4);

    /* "Q 2 tw" was carried over and lost with the gap; Q 1 was pending then */
    T_TRUE(j && strstr(j, "\"request\":{\"line\":\"Q 1 one\"},\"response\":{\"line\":\"A one\"},"
                          "\"requestSize\":8,\"responseSize\":6,\"anomalies\":[\"gap\"]"));
    T_TRUE(j && strstr(j, "\"request\":{\"line\":\"Q 3 three\"},\"response\":{},"
                          "\"requestSize\":10,\"responseSize\":0,\"anomalies\":[\"no_response\"]"));
    free(j);
}

TEST(driver_switch_hands_over_the_rest)
{
    struct dsxh_seg segs[] = {
        { 0, "Q 1 x\nSWITCH\nrest", 17, 0, 0 },
        { 1, "srv", 3, 0, 0 },
    };
    char *j = dsxh_run(&toy, false, 7000, segs, 2);

    /* toy's pending entry is emitted by its end(-1) on the switch */
    T_TRUE(j && strstr(j, "\"index\":0,") && strstr(j, "\"line\":\"Q 1 x\"") &&
           strstr(j, "no_response"));
    T_TRUE(j && strstr(j, "\"index\":1,") &&
           strstr(j, "\"request\":{\"hint\":\"hi\",\"bytes\":\"rest\",\"dir\":0}"));
    T_TRUE(j && strstr(j, "\"index\":2,") &&
           strstr(j, "\"request\":{\"hint\":\"hi\",\"bytes\":\"srv\",\"dir\":1}"));
    free(j);
}

TEST(driver_carry_cap_is_a_gap)
{
    static uint8_t junk[DSX_CARRY_MAX];
    struct dsxh_seg segs[] = {
        { 0, "Q 1 a\n", 6, 0, 0 },
        { 0, junk, sizeof junk, 0, 0 },         /* no newline: the line never ends */
        { 0, "zzz", 3, 0, 0 },                  /* one byte too many: all of it is dropped */
        { 0, "Q 2 b\n", 6, 0, 0 },
        { 1, "A a\nA b\n", 8, 0, 0 },
    };
    char *j;

    memset(junk, 'z', sizeof junk);
    segs[1].n = sizeof junk - 2;
    j = dsxh_run(&toy, false, 7000, segs, 5);
    /* Q 1 was pending at the gap; the cap is a stream event on the next entry emitted */
    T_TRUE(j && strstr(j, "\"request\":{\"line\":\"Q 1 a\"},\"response\":{\"line\":\"A a\"}"));
    T_TRUE(j && strstr(j, "\"anomalies\":[\"gap\",\"cap\"]"));
    T_TRUE(j && strstr(j, "\"request\":{\"line\":\"Q 2 b\"},\"response\":{\"line\":\"A b\"}"));
    free(j);
}

/*
 * toy3: the client line "N<k>" creates k entries numbered from 0; the server
 * line "D<i>" completes entry i, "X<i>" drops it. Entries must come out in
 * creation order.
 */
struct toy3 {
    struct ent *e[100];
    int n;
};

static size_t toy3_parse(void *st, struct dsx *x, int dir, const uint8_t *p, size_t n)
{
    struct toy3 *t = st;
    size_t used = 0, l;

    while ((l = toy_line(p + used, n - used)) > 0) {
        int v = (int)strtol((const char *)p + used + 1, NULL, 10);

        if (dir == 0) {
            for (int i = 0; i < v && t->n < 100; i++) {
                char name[16];

                t->e[t->n] = dsx_entry(x, ENT_DNS, 0);
                snprintf(name, sizeof name, "e%d", t->n);
                ent_section(t->e[t->n], ENT_REQ);
                ent_cstr(t->e[t->n], "name", name);
                t->n++;
            }
        } else if (v >= 0 && v < t->n && t->e[v]) {
            if (p[used] == 'X')
                dsx_drop(x, t->e[v]);
            else
                dsx_emit(x, t->e[v]);
            t->e[v] = NULL;
        }
        used += l;
    }
    return used;
}

static void toy3_fini(void *st)
{
    struct toy3 *t = st;

    for (int i = 0; i < t->n; i++)
        ent_free(t->e[i]);      /* never emitted: dropped */
}

static const struct dsx_ops toy3 = {
    .name = "toy3", .l4 = DSX_TCP, .state_size = sizeof(struct toy3), .parse = toy3_parse,
    .fini = toy3_fini,
};

/* The "name" values of the entries in output order, joined with spaces. */
static void names_in_order(const char *j, char *out, size_t cap)
{
    const char *p = j;

    out[0] = 0;
    while (p && (p = strstr(p, "\"name\":\"e")) != NULL) {
        size_t l = strlen(out);

        p += 8;
        snprintf(out + l, cap - l, "%s%.*s", l ? " " : "", (int)strcspn(p, "\""), p);
    }
}

TEST(driver_entries_in_creation_order)
{
    char names[1024];
    struct dsxh_seg a[] = {
        { 0, "N3\n", 3, 0, 0 },
        { 1, "D2\nD1\n", 6, 0, 0 },           /* held: 0 is outstanding */
        { 0, "N2\n", 3, 0, 0 },
        { 1, "D4\nD0\nD3\n", 9, 0, 0 },
    };
    char *j = dsxh_run(&toy3, false, 9000, a, 4);

    names_in_order(j, names, sizeof names);
    T_STREQ(names, "e0 e1 e2 e3 e4");
    T_TRUE(j && strstr(j, "\"index\":4,") && !strstr(j, "\"index\":5,"));
    free(j);
}

TEST(driver_drop_releases_the_entries_behind)
{
    char names[1024];
    struct dsxh_seg a[] = {
        { 0, "N4\n", 3, 0, 0 },
        { 1, "D3\nD1\nD2\n", 9, 0, 0 },     /* held behind 0 */
        { 1, "X0\n", 3, 0, 0 },                /* dropped: 1, 2, 3 go out now */
        { 0, "N1\n", 3, 0, 0 },
        { 1, "X4\n", 3, 0, 0 },
    };
    char *j = dsxh_run(&toy3, false, 9000, a, 5);

    names_in_order(j, names, sizeof names);
    T_STREQ(names, "e1 e2 e3");
    T_TRUE(j && strstr(j, "\"index\":2,") && !strstr(j, "\"index\":3,"));
    free(j);
}

TEST(driver_dropped_entry_holds_others_until_cap)
{
    static char srv[1024];
    char names[2048], want[2048];
    struct dsxh_seg a[] = {
        { 0, "N80\n", 4, 0, 0 },
        { 1, srv, 0, 0, 0 },
    };
    char *j;
    size_t l = 0;

    /* entry 0 is never completed; 1..39 complete in reverse order: held, then in order */
    for (int i = 39; i >= 1; i--)
        l += (size_t)snprintf(srv + l, sizeof srv - l, "D%d\n", i);
    j = dsxh_run(&toy3, false, 9000, a, 2);
    names_in_order(j, names, sizeof names);
    l = 0;
    for (int i = 1; i <= 39; i++)
        l += (size_t)snprintf(want + l, sizeof want - l, "%se%d", i > 1 ? " " : "", i);
    T_STREQ(names, want);
    free(j);
    /* 79..1 in reverse: past 64 held the hole at 0 is given up on, e15..e79 go out in
       order, and the ones completed later follow as they come */
    l = 0;
    for (int i = 79; i >= 1; i--)
        l += (size_t)snprintf(srv + l, sizeof srv - l, "D%d\n", i);
    j = dsxh_run(&toy3, false, 9000, a, 2);
    names_in_order(j, names, sizeof names);
    l = 0;
    for (int i = 15; i <= 79; i++)
        l += (size_t)snprintf(want + l, sizeof want - l, "%se%d", i > 15 ? " " : "", i);
    for (int i = 14; i >= 1; i--)
        l += (size_t)snprintf(want + l, sizeof want - l, " e%d", i);
    T_STREQ(names, want);
    free(j);
}

/*
 * A toy-dissector TCP stream of the tests below (its id sid), writing to sink, charged
 * to budget.
 */
static struct dsx *toy_stream(uint64_t sid, struct reasm_budget *budget, struct dsx_sink *sink)
{
    struct dsx_stream_info si;
    struct dsx_opts o;

    memset(&si, 0, sizeof si);
    si.stream_id = sid;
    si.l4 = 6;
    si.ipver = 4;
    si.client_side = 0;
    memset(&o, 0, sizeof o);
    o.force = &toy;
    return dsx_new(&si, &o, budget, sink);
}

/* Carry-over memory of all streams of a bucket is bounded by the bucket's budget. */
TEST(driver_carry_charged_to_the_budget)
{
    static uint8_t body[40000];
    struct reasm_budget budget;
    struct dsx_sink sink;
    struct buf out;
    struct dsx *a, *b;

    memset(body, 'z', sizeof body);
    reasm_budget_init(&budget, 100000);
    buf_init(&out, SIZE_MAX);
    dsx_sink_init(&sink, &out);
    a = toy_stream(1, &budget, &sink);
    b = toy_stream(2, &budget, &sink);
    /* a waits for 70,000 bytes: they are kept, and charged */
    dsx_feed(a, 0, (const uint8_t *)"L 70000\n", 8, 1, 0);
    dsx_feed(a, 0, body, sizeof body, 2, 1);
    T_TRUE(budget.used >= 40000 && budget.used <= 100000);
    /* b waits too, but the budget has no room for all of it: a cap, not more memory */
    dsx_feed(b, 0, (const uint8_t *)"L 70000\n", 8, 3, 0);
    dsx_feed(b, 0, body, sizeof body, 4, 1);
    dsx_feed(b, 0, body, sizeof body, 5, 2);
    T_TRUE(budget.used <= 100000);
    T_EQ(budget.refused, 2);                    /* each of b's two pieces */
    /* a completes: its carry-over is consumed, then freed and uncharged */
    dsx_feed(a, 0, body, 30008, 6, 2);
    dsx_feed(a, 0, (const uint8_t *)"Q 1 x\n", 6, 7, 3);
    dsx_finish(a);
    dsx_finish(b);
    dsx_free(a);
    dsx_free(b);
    T_EQ(budget.used, 0);
    dsx_sink_release(&sink);
    buf_release(&out);
}

/*
 * A carry-over growing by doubling may not take the budget past its limit, and a budget
 * at or past it refuses reassembly too (its room is none, not a wrapped-around size).
 */
TEST(driver_budget_holds_with_carry_growth)
{
    static uint8_t body[40000];
    struct reasm_budget budget;
    struct dsx_sink sink;
    struct buf out;
    struct dsx *a, *b;

    memset(body, 'z', sizeof body);
    reasm_budget_init(&budget, 100000);
    buf_init(&out, SIZE_MAX);
    dsx_sink_init(&sink, &out);
    a = toy_stream(1, &budget, &sink);
    b = toy_stream(2, &budget, &sink);
    /* a waits for 70,000 bytes: 70,007 would fit, but not their doubled allocation */
    dsx_feed(a, 0, (const uint8_t *)"L 70000\n", 8, 1, 0);
    dsx_feed(a, 0, body, sizeof body, 2, 1);
    T_EQ(budget.refused, 0);
    dsx_feed(a, 0, body, 29999, 3, 2);
    T_TRUE(budget.used <= budget.limit);
    T_EQ(budget.refused, 1);
    /* b's bytes out of order are charged within the limit too */
    dsx_packet(b, 0, 1000, DEC_TCP_SYN, NULL, 0, 4, 0);
    dsx_packet(b, 0, 1101, DEC_TCP_ACK, body, 1000, 5, 1);
    T_TRUE(budget.used <= budget.limit);
    dsx_finish(a);
    dsx_finish(b);
    dsx_free(a);
    dsx_free(b);
    T_EQ(budget.used, 0);
    dsx_sink_release(&sink);
    buf_release(&out);
}

/*
 * The byte marks of kept bytes are charged too: one per delivery, 40 bytes each, so that
 * tiny segments held in a carry-over cost far more in marks than in bytes.
 */
TEST(driver_marks_charged_to_the_budget)
{
    struct reasm_budget budget;
    struct dsx_sink sink;
    struct buf out;
    struct ent_view v;
    struct dsx *a;
    uint32_t pkt = 0;

    reasm_budget_init(&budget, 200000);
    buf_init(&out, SIZE_MAX);
    dsx_sink_init(&sink, &out);
    a = toy_stream(1, &budget, &sink);
    /* 20,000 bytes awaited, one a packet: 20 KB kept, and 800 KB of marks without a charge */
    dsx_feed(a, 0, (const uint8_t *)"L 20000\n", 8, 1000, pkt++);
    for (int i = 0; i < 19999; i++, pkt++)
        dsx_feed(a, 0, (const uint8_t *)"z", 1, 1000 + pkt, pkt);
    T_TRUE(budget.used > 40000);                /* more than the carry-over's 32 KiB */
    T_TRUE(budget.used <= budget.limit);
    T_EQ(budget.refused, 0);                    /* the bytes all fit: no gap */
    dsx_feed(a, 0, (const uint8_t *)"z", 1, 1000 + pkt, pkt);
    pkt++;
    T_TRUE(budget.used < 1000);                 /* consumed: given back */
    /* the next request's times and packets are its own */
    dsx_feed(a, 0, (const uint8_t *)"Q 1 x\n", 6, 5000000, pkt++);
    dsx_feed(a, 1, (const uint8_t *)"A x\n", 4, 6000000, pkt++);
    dsx_finish(a);
    dsx_free(a);
    T_EQ(budget.used, 0);
    T_EQ(sink.entries, 1);
    T_EQ(ent_parse(out.data, out.len, &v), (long)out.len);
    T_EQ(v.f.req_pkt, 20001);
    T_EQ(v.f.req_ns, 5000000);
    T_EQ(v.f.resp_pkt, 20002);
    dsx_sink_release(&sink);
    buf_release(&out);
}

/* No dissector forced: nothing in the registry claims the bytes, so one L4 entry. */
TEST(driver_undissected_gets_l4_entry)
{
    struct dsx_stream_info si;
    struct dsx_opts o;
    struct dsx_sink sink;
    struct buf out;
    struct ent_view v;
    struct dsx *x;
    static const uint8_t bin[] = { 0xb7, 0x1e, 0x01, 0x02, 0x80, 0x00, 0x00, 0x10, 0xc0, 0, 0, 1 };

    memset(&si, 0, sizeof si);
    si.stream_id = 5;
    si.l4 = 6;
    si.ipver = 4;
    si.port[0] = 25672;
    si.port[1] = 50000;
    si.client_side = 1;                         /* side 1 opened it */
    memset(&o, 0, sizeof o);
    o.l4_entries = true;
    buf_init(&out, SIZE_MAX);
    dsx_sink_init(&sink, &out);
    x = dsx_new(&si, &o, NULL, &sink);
    dsx_packet(x, 1, 1000, DEC_TCP_SYN, NULL, 0, 10, 0);
    dsx_packet(x, 0, 5000, DEC_TCP_SYN | DEC_TCP_ACK, NULL, 0, 20, 1);
    dsx_packet(x, 1, 1001, DEC_TCP_ACK | DEC_TCP_PSH, bin, sizeof bin, 30, 2);
    dsx_packet(x, 0, 5001, DEC_TCP_ACK | DEC_TCP_PSH, bin, sizeof bin, 40, 3);
    dsx_finish(x);
    T_STREQ(dsx_protocol(x), "tcp");
    dsx_free(x);
    dsx_sink_release(&sink);
    T_EQ(sink.entries, 1);
    T_TRUE(ent_parse(out.data, out.len, &v) == (long)out.len);
    T_EQ(v.f.proto, ENT_TCP);
    T_EQ(v.f.src_port, 50000);
    T_EQ(v.f.dst_port, 25672);
    T_EQ(v.f.req_size, sizeof bin);
    T_EQ(v.f.req_ns, 10);
    T_EQ(v.f.resp_ns, 20);
    T_EQ(v.f.last_pkt, 3);
    buf_release(&out);
}

T_MAIN(T_CASE(entry_json_exact), T_CASE(entry_json_many_header_names),
       T_CASE(entry_names_roundtrip), T_CASE(entry_caps_keep_balance),
       T_CASE(entry_parse_rejects_bad_lengths), T_CASE(entry_get_by_path),
       T_CASE(json_compact_text_exact),
       T_CASE(driver_split_anywhere_same_entries),
       T_CASE(driver_times_come_from_the_carrying_packet),
       T_CASE(driver_need_waits_for_whole_units), T_CASE(driver_gap_reaches_the_dissector),
       T_CASE(driver_switch_hands_over_the_rest), T_CASE(driver_carry_cap_is_a_gap),
       T_CASE(driver_undissected_gets_l4_entry),
       T_CASE(driver_carry_charged_to_the_budget), T_CASE(driver_budget_holds_with_carry_growth),
       T_CASE(driver_marks_charged_to_the_budget),
       T_CASE(driver_entries_in_creation_order),
       T_CASE(driver_drop_releases_the_entries_behind),
       T_CASE(driver_dropped_entry_holds_others_until_cap))
