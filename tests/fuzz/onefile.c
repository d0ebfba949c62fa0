/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: replays fuzz inputs through a target without libFuzzer.
 *
 * Usage: fuzz_X FILE...  Each file is read whole and passed to
 * LLVMFuzzerTestOneInput once; `make check` runs every corpus this way
 * (libpcap's and Suricata's practice), so a fixed crash stays fixed.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        FILE *f = fopen(argv[i], "rb");
        uint8_t *buf = NULL;
        size_t n = 0, cap = 0;

        if (!f) {
            perror(argv[i]);
            return 2;
        }
        for (;;) {
            size_t got;

            if (n == cap) {
                cap = cap ? cap * 2 : 65536;
                buf = realloc(buf, cap);
                if (!buf)
                    return 2;
            }
            got = fread(buf + n, 1, cap - n, f);
            if (got == 0)
                break;
            n += got;
        }
        fclose(f);
        LLVMFuzzerTestOneInput(buf, n);
        free(buf);
    }
    return 0;
}
