/* SPDX-License-Identifier: BSD-2-Clause */
/* summary: unit tests of lib/base: cursor, buffer caps, time formats, diag */
#include "config.h"

#include "t.h"

#include "base/addr.h"
#include "base/buf.h"
#include "base/crc32c.h"
#include "base/cur.h"
#include "base/diag.h"
#include "base/numfmt.h"
#include "base/sha256.h"
#include "base/slab.h"
#include "base/timefmt.h"
#include "streamvault.h"

TEST(cur_reads_and_sticky_error)
{
    static const uint8_t b[] = { 0x12, 0x34, 0x56, 0x78, 0x9a };
    struct cur c;

    cur_init(&c, b, sizeof b);
    T_EQ(cur_be16(&c), 0x1234);
    T_EQ(cur_le16(&c), 0x7856);
    T_EQ(cur_left(&c), 1);
    T_EQ(cur_be32(&c), 0);          /* short: fails, sticky */
    T_TRUE(c.bad);
    T_EQ(cur_left(&c), 0);
    T_EQ(cur_u8(&c), 0);
    T_TRUE(c.bad);
}

TEST(cur_skip_past_end)
{
    static const uint8_t b[] = { 1, 2, 3 };
    struct cur c;

    cur_init(&c, b, sizeof b);
    cur_skip(&c, 4);
    T_TRUE(c.bad);
    T_EQ(cur_u8(&c), 0);
}

TEST(buf_cap_is_hard)
{
    struct buf b;

    buf_init(&b, 8);
    T_EQ(buf_append(&b, "12345", 5), 0);
    T_EQ(buf_append(&b, "1234", 4), SV_ELIMIT);
    T_EQ(b.len, 5);
    T_EQ(buf_append(&b, "123", 3), 0);
    T_EQ(b.len, 8);
    T_MEMEQ(b.data, "12345123", 8);
    T_TRUE(buf_reserve(&b, 1) == NULL);
    buf_release(&b);
}

TEST(buf_grown_cap_is_what_growing_takes)
{
    struct buf b;

    buf_init(&b, 3000);
    T_EQ(buf_grown_cap(&b, 10), 256);
    T_EQ(buf_append(&b, "x", 1), 0);
    T_EQ(buf_grown_cap(&b, 256), 256);                  /* held already */
    T_EQ(buf_grown_cap(&b, 257), 512);
    T_EQ(buf_grown_cap(&b, 2000), 2048);
    T_EQ(buf_grown_cap(&b, 2049), 3000);                /* doubling stops at the limit */
    T_EQ(buf_grown_cap(&b, 5000), 5000);                /* past it: no endless doubling */
    T_TRUE(buf_reserve(&b, 1999) != NULL);
    T_EQ(b.cap, 2048);
    buf_release(&b);
}

TEST(addr_text_formats)
{
    char t[ADDR_TEXT_LEN];
    uint8_t a[16] = { 0, 9, 10, 99 };
    uint8_t b[16] = { 100, 109, 200, 255 };
    uint8_t c[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };

    addr_text(t, 4, a);
    T_STREQ(t, "0.9.10.99");
    addr_text(t, 4, b);
    T_STREQ(t, "100.109.200.255");
    addr_text(t, 6, c);
    T_STREQ(t, "2001:db8::1");
    for (unsigned v = 0; v < 256; v++) {
        char want[ADDR_TEXT_LEN];
        uint8_t d[16] = { (uint8_t)v, (uint8_t)(255 - v), (uint8_t)(v / 3), 7 };

        inet_ntop(AF_INET, d, want, sizeof want);
        addr_text(t, 4, d);
        T_STREQ(t, want);
    }
}

TEST(rfc3339_format)
{
    char t[TIMEFMT_LEN];

    timefmt_rfc3339(t, 0);
    T_STREQ(t, "1970-01-01T00:00:00.000000000Z");
    timefmt_rfc3339(t, 1678818739123456789ull);
    T_STREQ(t, "2023-03-14T18:32:19.123456789Z");
    timefmt_rfc3339(t, 951782400000000000ull);      /* leap day 2000 */
    T_STREQ(t, "2000-02-29T00:00:00.000000000Z");
}

TEST(time_parse)
{
    uint64_t ns = 0;

    T_EQ(timefmt_parse("2023-03-14T18:32:19.123456789Z", &ns), 0);
    T_EQ(ns, 1678818739123456789ull);
    T_EQ(timefmt_parse("2023-03-14T19:32:19.5+01:00", &ns), 0);
    T_EQ(ns, 1678818739500000000ull);
    T_EQ(timefmt_parse("1678818739", &ns), 0);
    T_EQ(ns, 1678818739000000000ull);
    T_EQ(timefmt_parse("1678818739.25", &ns), 0);
    T_EQ(ns, 1678818739250000000ull);
    T_EQ(timefmt_parse("2023-13-14T18:32:19Z", &ns), SV_EINVAL);
    T_EQ(timefmt_parse("2023-03-14T18:32:19", &ns), SV_EINVAL);
    T_EQ(timefmt_parse("", &ns), SV_EINVAL);
    T_EQ(timefmt_parse("12x", &ns), SV_EINVAL);
    /* days past the month's end are no dates (not the next month's), leap years kept */
    T_EQ(timefmt_parse("2024-06-31T10:00:05Z", &ns), SV_EINVAL);
    T_EQ(timefmt_parse("2023-02-29T00:00:00Z", &ns), SV_EINVAL);
    T_EQ(timefmt_parse("2100-02-29T00:00:00Z", &ns), SV_EINVAL);
    T_EQ(timefmt_parse("2024-02-30T00:00:00Z", &ns), SV_EINVAL);
    T_EQ(timefmt_parse("2024-02-29T00:00:00Z", &ns), 0);
    T_EQ(ns, 1709164800000000000ull);
    T_EQ(timefmt_parse("2000-02-29T00:00:00Z", &ns), 0);
    T_EQ(ns, 951782400000000000ull);
    T_EQ(timefmt_parse("2024-12-31T23:59:59Z", &ns), 0);
    T_EQ(ns, 1735689599000000000ull);
    /* offsets within a day */
    T_EQ(timefmt_parse("2024-06-01T10:00:00+24:00", &ns), SV_EINVAL);
    T_EQ(timefmt_parse("2024-06-01T10:00:00+01:60", &ns), SV_EINVAL);
    /* up to TIMEFMT_NS_MAX (2262-04-11T23:47:16.854775807Z), not past it, nor wrapped */
    T_EQ(timefmt_parse("9223372036.854775807", &ns), 0);
    T_EQ(ns, TIMEFMT_NS_MAX);
    T_EQ(timefmt_parse("2262-04-11T23:47:16.854775807Z", &ns), 0);
    T_EQ(ns, TIMEFMT_NS_MAX);
    T_EQ(timefmt_parse("9223372036.854775808", &ns), SV_ELIMIT);
    T_EQ(timefmt_parse("2262-04-11T23:47:16.854775808Z", &ns), SV_ELIMIT);
    T_EQ(timefmt_parse("18446744074", &ns), SV_ELIMIT);
    T_EQ(timefmt_parse("99999999999999999999999", &ns), SV_ELIMIT);
    T_EQ(timefmt_parse("9999-12-31T23:59:59Z", &ns), SV_ELIMIT);
    T_EQ(timefmt_parse("99999999999999999999999x", &ns), SV_EINVAL);
}

TEST(duration_parse)
{
    uint64_t ns = 0;

    T_EQ(timefmt_parse_duration("90s", &ns), 0);
    T_EQ(ns, 90000000000ull);
    T_EQ(timefmt_parse_duration("15m", &ns), 0);
    T_EQ(ns, 900000000000ull);
    T_EQ(timefmt_parse_duration("72h", &ns), 0);
    T_EQ(ns, 259200000000000ull);
    T_EQ(timefmt_parse_duration("7d", &ns), 0);
    T_EQ(ns, 604800000000000ull);
    T_EQ(timefmt_parse_duration("250ms", &ns), 0);
    T_EQ(ns, 250000000ull);
    T_EQ(timefmt_parse_duration("60", &ns), 0);
    T_EQ(ns, 60000000000ull);
    T_EQ(timefmt_parse_duration("5y", &ns), SV_EINVAL);
    T_EQ(timefmt_parse_duration("-5s", &ns), SV_EINVAL);
    /* fractions are exact decimal: no binary floating point off by a nanosecond */
    T_EQ(timefmt_parse_duration("2.01s", &ns), 0);
    T_EQ(ns, 2010000000ull);
    T_EQ(timefmt_parse_duration("4.35s", &ns), 0);
    T_EQ(ns, 4350000000ull);
    T_EQ(timefmt_parse_duration("8.28m", &ns), 0);
    T_EQ(ns, 496800000000ull);
    T_EQ(timefmt_parse_duration("1.5h", &ns), 0);
    T_EQ(ns, 5400000000000ull);
    T_EQ(timefmt_parse_duration("0.000000001s", &ns), 0);
    T_EQ(ns, 1ull);
    T_EQ(timefmt_parse_duration("0.0000000019s", &ns), 0);
    T_EQ(ns, 1ull);
    T_EQ(timefmt_parse_duration("0.1234567891234w", &ns), 0);
    T_EQ(ns, 74666666061832ull);
    T_EQ(timefmt_parse_duration("18446744073709551615ns", &ns), 0);
    T_EQ(ns, 18446744073709551615ull);
    T_EQ(timefmt_parse_duration("18446744073709551616ns", &ns), SV_EINVAL);
    T_EQ(timefmt_parse_duration("213504d", &ns), SV_EINVAL);
    T_EQ(timefmt_parse_duration("1e3s", &ns), SV_EINVAL);
    T_EQ(timefmt_parse_duration("0x10s", &ns), SV_EINVAL);
    T_EQ(timefmt_parse_duration(".5s", &ns), SV_EINVAL);
}

TEST(diag_messages)
{
    struct diag d;

    diag_clear(&d);
    T_EQ(diag_set(&d, SV_EFORMAT, "x.pcap: offset %d: bad", 24), SV_EFORMAT);
    T_STREQ(d.msg, "x.pcap: offset 24: bad");
    diag_prefix(&d, "ingest");
    T_STREQ(d.msg, "ingest: x.pcap: offset 24: bad");
    T_EQ(diag_errno(&d, SV_EIO, 2, "%s", "f"), SV_EIO);
    T_STREQ(d.msg, "f: No such file or directory");
    T_EQ(d.sys_errno, 2);
}

/* FIPS 180-2 appendix B's vectors, the empty string, and a million 'a's fed unevenly. */
TEST(sha256_vectors)
{
    static char mil[1000];
    struct sha256 c;
    uint8_t md[SHA256_LEN];
    char hex[SHA256_HEX];

    sha256_text("", 0, hex);
    T_STREQ(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    sha256_text("abc", 3, hex);
    T_STREQ(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    sha256_text("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, hex);
    T_STREQ(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    memset(mil, 'a', sizeof mil);
    sha256_init(&c);
    for (size_t k = 0, step = 1; k < 1000000; k += step, step = step % 997 + 1)
        sha256_update(&c, mil, k + step > 1000000 ? 1000000 - k : step);
    sha256_final(&c, md);
    sha256_hex(md, hex);
    T_STREQ(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

/* RFC 3720 B.4's vectors, "123456789", and a CRC taken in two parts at every split. */
TEST(crc32c_vectors)
{
    uint8_t b[64];
    uint32_t whole;

    memset(b, 0, 32);
    T_EQ(crc32c(0, b, 32), 0x8a9136aau);
    memset(b, 0xff, 32);
    T_EQ(crc32c(0, b, 32), 0x62a8ab43u);
    for (int i = 0; i < 32; i++)
        b[i] = (uint8_t)i;
    T_EQ(crc32c(0, b, 32), 0x46dd794eu);
    T_EQ(crc32c(0, "123456789", 9), 0xe3069283u);
    for (int i = 0; i < 64; i++)
        b[i] = (uint8_t)(i * 37 + 11);
    whole = crc32c(0, b, 64);
    for (size_t k = 0; k <= 64; k++)
        T_EQ(crc32c(crc32c(0, b, k), b + k, 64 - k), whole);
}

/* Bit by bit, as the definition says. */
static uint32_t crc32c_bits(const uint8_t *p, size_t n)
{
    uint32_t c = 0xffffffffu;

    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0x82f63b78u & (0u - (c & 1)));
    }
    return ~c;
}

/* Long inputs (the lanes of the hardware path), at odd offsets and lengths. */
TEST(crc32c_long)
{
    static uint8_t b[100000];
    static const size_t len[] = { 0, 7, 255, 768, 769, 24575, 24576, 24577, 50000, 99990 };
    uint32_t x = 12345;

    for (size_t i = 0; i < sizeof b; i++) {
        x = x * 1103515245u + 12345u;
        b[i] = (uint8_t)(x >> 16);
    }
    for (size_t i = 0; i < sizeof len / sizeof *len; i++) {
        for (size_t off = 0; off < 10; off += 3)
            T_EQ(crc32c(0, b + off, len[i]), crc32c_bits(b + off, len[i]));
    }
}

/* Objects freed through a chain come back from the slab, zeroed, and are counted. */
TEST(slab_chain_returns_objects)
{
    struct slab s;
    struct slab_chain c = { NULL, NULL, 0 };
    unsigned char *p[5], *q;
    int found = 0;

    slab_init(&s, 40, 4, NULL);
    for (int i = 0; i < 5; i++) {
        p[i] = slab_alloc(&s);
        memset(p[i], 0xab, 40);
    }
    T_EQ(s.live, 5);
    slab_free_chain(&s, &c);            /* an empty chain: nothing changes */
    T_EQ(s.live, 5);
    slab_chain_push(&c, p[1]);
    slab_chain_push(&c, p[3]);
    slab_chain_push(&c, p[4]);
    T_EQ(c.n, 3);
    slab_free_chain(&s, &c);
    T_EQ(s.live, 2);
    T_TRUE(c.head == NULL && c.tail == NULL && c.n == 0);
    for (int i = 0; i < 3; i++) {
        q = slab_alloc(&s);
        found += q == p[1] || q == p[3] || q == p[4];
        for (int k = 0; k < 40; k++)
            T_EQ(q[k], 0);
    }
    T_EQ(found, 3);
    T_EQ(s.live, 5);
    slab_release(&s);
}

/* Three digits in units of 1000, in the unit where the printed value stays below 1000. */
TEST(numfmt_human_units)
{
    static const char *const unit[] = { " B", " kB", " MB" };
    static const struct {
        double n;
        const char *s;
    } v[] = { { 0, "0 B" },           { 999, "999 B" },         { 1000, "1.00 kB" },
              { 9994, "9.99 kB" },    { 9996, "10.0 kB" },      { 99949, "99.9 kB" },
              { 99951, "100 kB" },    { 999499, "999 kB" },     { 999500, "1.00 MB" },
              { 999999, "1.00 MB" },  { 1234567, "1.23 MB" },   { 2e12, "2000000 MB" } };
    char out[32];

    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        numfmt_human(out, v[i].n, unit, 3);
        T_STREQ(out, v[i].s);
    }
}

T_MAIN(T_CASE(sha256_vectors), T_CASE(numfmt_human_units), T_CASE(crc32c_vectors),
       T_CASE(crc32c_long),
       T_CASE(cur_reads_and_sticky_error), T_CASE(cur_skip_past_end), T_CASE(buf_cap_is_hard),
       T_CASE(buf_grown_cap_is_what_growing_takes),
       T_CASE(addr_text_formats), T_CASE(rfc3339_format), T_CASE(time_parse),
       T_CASE(duration_parse), T_CASE(diag_messages), T_CASE(slab_chain_returns_objects))
