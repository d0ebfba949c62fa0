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
 * x86-64 has CRC-32C as an instruction (SSE 4.2): 8 bytes per instruction,
 * several GB/s where the tables give about one. Used when the CPU has it.
 */
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
__attribute__((target("sse4.2"))) static uint32_t crc32c_hw(uint32_t crc, const uint8_t *b,
                                                            size_t n)
{
    uint64_t c = ~crc;
    uint64_t w;

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
