/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: fuzz target for IP fragment reassembly (lib/decode/defrag.c).
 *
 * Input: a sequence of raw IP packets (LINKTYPE 101), each: 1 byte (bit 0
 * the sender side), 2 bytes length (big-endian, cut to what is left), the
 * packet. Every fragment goes to one struct defrag. Besides the sanitizers,
 * it checks that a datagram returned is no longer than DEFRAG_MAX and that
 * the counters never exceed the fragments fed.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "decode/decode.h"
#include "decode/defrag.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct defrag *f = defrag_new();
    const uint8_t *p = data, *end = data + size;
    uint64_t frags = 0;

    if (!f)
        return 0;
    while (end - p >= 3) {
        int side = p[0] & 1;
        size_t n = (size_t)p[1] << 8 | p[2];
        struct dec_pkt d;
        const uint8_t *out;
        size_t outlen;
        uint8_t *c;

        p += 3;
        if (n > (size_t)(end - p))
            n = (size_t)(end - p);
        c = malloc(n ? n : 1);  /* a copy of its own, so that ASan sees its end */
        if (!c)
            break;
        memcpy(c, p, n);
        dec_packet(101, c, n, &d);
        if (d.frag) {
            frags++;
            if (defrag_add(f, side, &d, c, n, &out, &outlen)) {
                if (outlen > DEFRAG_MAX)
                    abort();
                if (outlen)
                    (void)(out[0] + out[outlen - 1]);
            }
        }
        free(c);
        p += n;
    }
    if (defrag_stats(f)->datagrams > frags || defrag_stats(f)->dropped > frags)
        abort();
    defrag_free(f);
    return 0;
}
