/* SPDX-License-Identifier: BSD-2-Clause */
/* summary: decimal text of an unsigned number, without printf (hot paths). */
#ifndef SV_BASE_DEC_H
#define SV_BASE_DEC_H

#include <stdint.h>

/* Room for the decimal text of any uint64_t (20 digits). */
#define DEC_U64_LEN 20

/*
 * Writes the decimal digits of v so that they end just before end, and
 * returns where they start (at least end - DEC_U64_LEN).
 */
static inline char *dec_u64(char *end, uint64_t v)
{
    do {
        *--end = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    return end;
}

#endif
