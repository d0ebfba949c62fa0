/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: CRC-32C: the SSE 4.2 instruction where the CPU has it, else slicing by
 * eight (see crc32c.h).
 *
 * Reflected polynomial 0x82f63b78. The tables are built once, on first use,
 * from the polynomial: table[0] is the classic byte table, table[k][b] the
 * CRC of byte b followed by k zero bytes.
 */
#include "config.h"

#include <pthread.h>
#include <string.h>

#include "crc32c.h"

static uint32_t table[8][256];
static pthread_once_t table_once = PTHREAD_ONCE_INIT;

static void table_init(void)
{
    for (uint32_t b = 0; b < 256; b++) {
        uint32_t c = b;

        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0x82f63b78u & (0u - (c & 1)));
        table[0][b] = c;
    }
    for (uint32_t b = 0; b < 256; b++) {
        for (int k = 1; k < 8; k++)
            table[k][b] = (table[k - 1][b] >> 8) ^ table[0][table[k - 1][b] & 0xff];
    }
}

/*
 * Appending n zero bytes to a message is linear on its CRC: an operator over
 * GF(2), applied through four byte tables (Mark Adler's crc32c.c). The hardware
 * path runs three lanes at once and joins them with it.
 */
#define HW_LONG 8192u
#define HW_SHORT 256u

static uint32_t zeros_long[4][256], zeros_short[4][256];

static uint32_t gf2_times(const uint32_t *mat, uint32_t vec)
{
    uint32_t sum = 0;

    for (; vec; vec >>= 1, mat++) {
        if (vec & 1)
            sum ^= *mat;
    }
    return sum;
}

static void gf2_square(uint32_t *square, const uint32_t *mat)
{
    for (int n = 0; n < 32; n++)
        square[n] = gf2_times(mat, mat[n]);
}

/* The tables that append len zero bytes (len a power of two) to a CRC. */
static void zeros_init(uint32_t zeros[4][256], size_t len)
{
    uint32_t even[32], odd[32], row = 1;

    odd[0] = 0x82f63b78u;       /* one zero bit */
    for (int n = 1; n < 32; n++) {
        odd[n] = row;
        row <<= 1;
    }
    gf2_square(even, odd);      /* two zero bits */
    gf2_square(odd, even);      /* four */
    for (;;) {
        gf2_square(even, odd);  /* one zero byte, then 4, 16 ... */
        len >>= 1;
        if (len == 0) {
            memcpy(odd, even, sizeof odd);
            break;
        }
        gf2_square(odd, even);
        len >>= 1;
        if (len == 0)
            break;
    }
    for (uint32_t n = 0; n < 256; n++) {
        zeros[0][n] = gf2_times(odd, n);
        zeros[1][n] = gf2_times(odd, n << 8);
        zeros[2][n] = gf2_times(odd, n << 16);
        zeros[3][n] = gf2_times(odd, n << 24);
    }
}

static uint32_t zeros_apply(const uint32_t zeros[4][256], uint32_t crc)
{
    return zeros[0][crc & 0xff] ^ zeros[1][(crc >> 8) & 0xff] ^ zeros[2][(crc >> 16) & 0xff] ^
           zeros[3][crc >> 24];
}

/*
 * x86-64 has CRC-32C as an instruction (SSE 4.2): 8 bytes per instruction, three
 * lanes in flight, several GB/s where the tables give about one. Used when the
 * CPU has it.
 */
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
__attribute__((target("sse4.2"))) static uint64_t lanes(uint64_t c0, const uint8_t **pb,
                                                        size_t *pn, size_t lane,
                                                        const uint32_t zeros[4][256])
{
    const uint8_t *b = *pb;
    size_t n = *pn;

    while (n >= 3 * lane) {
        uint64_t c1 = 0, c2 = 0, w0, w1, w2;

        for (const uint8_t *end = b + lane; b < end; b += 8) {
            memcpy(&w0, b, 8);
            memcpy(&w1, b + lane, 8);
            memcpy(&w2, b + 2 * lane, 8);
            c0 = __builtin_ia32_crc32di(c0, w0);
            c1 = __builtin_ia32_crc32di(c1, w1);
            c2 = __builtin_ia32_crc32di(c2, w2);
        }
        c0 = zeros_apply(zeros, (uint32_t)c0) ^ (uint32_t)c1;
        c0 = zeros_apply(zeros, (uint32_t)c0) ^ (uint32_t)c2;
        b += 2 * lane;
        n -= 3 * lane;
    }
    *pb = b;
    *pn = n;
    return c0;
}

__attribute__((target("sse4.2"))) static uint32_t crc32c_hw(uint32_t crc, const uint8_t *b,
                                                            size_t n)
{
    uint64_t c = ~crc;
    uint64_t w;

    c = lanes(c, &b, &n, HW_LONG, zeros_long);
    c = lanes(c, &b, &n, HW_SHORT, zeros_short);
    for (; n >= 8; n -= 8, b += 8) {
        memcpy(&w, b, 8);
        c = __builtin_ia32_crc32di(c, w);
    }
    for (; n; n--)
        c = __builtin_ia32_crc32qi((uint32_t)c, *b++);
    return ~(uint32_t)c;
}

static int hw_have(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("sse4.2");
}
#else
static uint32_t crc32c_hw(uint32_t crc, const uint8_t *b, size_t n)
{
    (void)b;
    (void)n;
    return crc;
}

static int hw_have(void)
{
    return 0;
}
#endif

static int hw;

static void hw_init(void)
{
    hw = hw_have();
    if (hw) {
        zeros_init(zeros_long, HW_LONG);
        zeros_init(zeros_short, HW_SHORT);
    }
}

static pthread_once_t hw_once = PTHREAD_ONCE_INIT;

uint32_t crc32c(uint32_t crc, const void *p, size_t n)
{
    const uint8_t *b = p;

    pthread_once(&hw_once, hw_init);
    if (hw)
        return crc32c_hw(crc, b, n);
    pthread_once(&table_once, table_init);
    crc = ~crc;
    while (n >= 8) {
        uint32_t lo = crc ^ ((uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
                             (uint32_t)b[3] << 24);

        crc = table[7][lo & 0xff] ^ table[6][(lo >> 8) & 0xff] ^ table[5][(lo >> 16) & 0xff] ^
              table[4][lo >> 24] ^ table[3][b[4]] ^ table[2][b[5]] ^ table[1][b[6]] ^
              table[0][b[7]];
        b += 8;
        n -= 8;
    }
    while (n--)
        crc = (crc >> 8) ^ table[0][(crc ^ *b++) & 0xff];
    return ~crc;
}
