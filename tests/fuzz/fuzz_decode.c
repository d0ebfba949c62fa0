/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: fuzz target for dec_packet.
 *
 * Input: a 2-byte big-endian selector, taken modulo the number of supported link
 * types, picks the LINKTYPE; the rest is the frame. Besides the sanitizers, the
 * target checks that every offset dec_packet reports stays inside the frame.
 */
#include "config.h"

#include "decode/decode.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint32_t fuzz_linktypes[] = { 1, 113, 276, 101, 12, 14, 228, 229, 0, 108 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const size_t nlt = sizeof fuzz_linktypes / sizeof fuzz_linktypes[0];
    struct dec_pkt d;
    uint32_t lt;
    size_t n;

    if (size < 2)
        return 0;
    lt = fuzz_linktypes[(size_t)(data[0] << 8 | data[1]) % nlt];
    n = size - 2;
    dec_packet(lt, data + 2, n, &d);

    if (d.l3_off > n || d.l4_off > n || d.payload_off > n ||
        (size_t)d.payload_off + d.payload_len > n)
        abort();
    if (d.has_ports && (d.ipver == 0 || d.l4_off == 0 || (d.frag && !d.frag_first)))
        abort();
    if (d.has_flags && !d.has_ports)
        abort();
    if (d.payload_len && d.payload_off < d.l4_off)
        abort();
    if (d.ipver != 0 && d.ipver != 4 && d.ipver != 6)
        abort();
    if (d.ipver == 4) {
        for (int i = 4; i < 16; i++)
            if (d.src[i] || d.dst[i])
                abort();
    }
    return 0;
}
