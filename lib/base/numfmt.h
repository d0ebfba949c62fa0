/* SPDX-License-Identifier: BSD-2-Clause */
/* summary: a double as the fewest decimal digits that read back as the same double */
#ifndef SV_BASE_NUMFMT_H
#define SV_BASE_NUMFMT_H

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

/*
 * Writes finite d into b (n bytes, at least 32) as %g with the fewest
 * significant digits (1 to 17) that strtod reads back as d: 0.1, not
 * 0.10000000000000001; 1e+308.
 */
static inline void numfmt_shortest(char *b, size_t n, double d)
{
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(b, n, "%.*g", prec, d);
        if (strtod(b, NULL) == d)
            return;
    }
}

#endif
