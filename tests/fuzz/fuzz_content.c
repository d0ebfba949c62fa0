/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: fuzz target for HTTP content decoding (comp_content_decode,
 * lib/compress/gzip.c), which a query runs on every kept body whose
 * Content-Encoding says gzip or deflate.
 *
 * Input: the first byte picks the coding (gzip, x-gzip, deflate, or one not
 * decoded), the rest is the body. What comes out must fit the cap, end in a
 * NUL, and be the start of what a larger cap gives; a smaller body (the
 * input cut short) must decode to a start of the same bytes or to nothing.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "compress/compress.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const codings[] = { "gzip", " X-GZIP ", "deflate", "br" };
    const char *coding;
    size_t n, m, k;
    char *all, *capped, *cut;

    if (size < 1)
        return 0;
    coding = codings[data[0] % 4];
    data++;
    size--;
    all = comp_content_decode(coding, strlen(coding), data, size, 1u << 20, &n);
    if (data[-1] % 4 == 3 && all)
        abort();                /* br is not decoded */
    if (all && (n > 1u << 20 || all[n] != 0))
        abort();
    capped = comp_content_decode(coding, strlen(coding), data, size, 100, &m);
    if ((all == NULL) != (capped == NULL))
        abort();
    if (capped && (m > 100 || (all && (m > n || memcmp(capped, all, m) != 0))))
        abort();
    cut = comp_content_decode(coding, strlen(coding), data, size / 2, 1u << 20, &k);
    if (cut && all && (k > n || memcmp(cut, all, k) != 0))
        abort();
    free(all);
    free(capped);
    free(cut);
    return 0;
}
