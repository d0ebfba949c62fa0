/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: a double as the fewest decimal digits that read back as the same
 * double, and as three digits in units of 1000 for people
 */
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

/*
 * Writes n >= 0 into out in units of 1000 (unit[0], ... unit[nunit - 1]:
 * below 1000 printed whole), with three significant digits past unit[0],
 * in the unit where the value as printed stays below 1000: 999,999 bytes
 * are "1.00 MB", never "1000 kB"; 9,996 are "10.0 kB".
 */
static inline void numfmt_human(char out[32], double n, const char *const *unit, size_t nunit)
{
    size_t u = 0;
    int prec;

    while (n >= 999.5 && u + 1 < nunit) {
        n /= 1000;
        u++;
    }
    prec = u == 0 || n >= 99.95 ? 0 : n >= 9.995 ? 1 : 2;
    snprintf(out, 32, "%.*f%s", prec, n, unit[u]);
}

#endif
