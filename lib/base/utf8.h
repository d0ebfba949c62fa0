/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: decoding one UTF-8 character, and telling the characters that
 * draw nothing or reorder the text around them, for the writers of text
 * that a person reads (tables, graph labels).
 */
#ifndef SV_BASE_UTF8_H
#define SV_BASE_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Length of the well-formed UTF-8 character at p (n bytes left, n > 0),
 * its code point in *cp; 0 for an ASCII byte, a sequence cut short, an
 * overlong form, a surrogate or a code point past U+10FFFF.
 */
static inline size_t utf8_seq(const uint8_t *p, size_t n, uint32_t *cp)
{
    size_t len = p[0] >= 0xF0 ? 4 : p[0] >= 0xE0 ? 3 : p[0] >= 0xC0 ? 2 : 0;
    uint32_t c;

    if (len == 0 || len > n || p[0] > 0xF4)
        return 0;
    c = p[0] & (0x7Fu >> len);
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        c = c << 6 | (p[i] & 0x3Fu);
    }
    if ((len == 2 && c < 0x80) || (len == 3 && c < 0x800) || (len == 4 && c < 0x10000) ||
        (c >= 0xD800 && c <= 0xDFFF) || c > 0x10FFFF)
        return 0;
    *cp = c;
    return len;
}

/*
 * Code points that draw nothing or reorder the text around them, so that a
 * name holding one can read as another: Unicode's default-ignorable code
 * points (soft hyphen, the Arabic letter mark, zero widths and joiners,
 * direction marks, embeddings, overrides and isolates, variation
 * selectors, Hangul fillers, the BOM, tags), the line and paragraph
 * separators, and C1 controls (U+0080-U+009F: an 8-bit terminal reads
 * U+009B as CSI).
 */
static inline bool utf8_invisible(uint32_t c)
{
    return (c >= 0x80 && c <= 0x9F) || c == 0xAD || c == 0x34F || c == 0x61C ||
           c == 0x115F || c == 0x1160 || c == 0x17B4 || c == 0x17B5 ||
           (c >= 0x180B && c <= 0x180F) || (c >= 0x200B && c <= 0x200F) ||
           (c >= 0x2028 && c <= 0x202E) || (c >= 0x2060 && c <= 0x206F) || c == 0x3164 ||
           (c >= 0xFE00 && c <= 0xFE0F) || c == 0xFEFF || c == 0xFFA0 ||
           (c >= 0xFFF0 && c <= 0xFFF8) || (c >= 0x1BCA0 && c <= 0x1BCA3) ||
           (c >= 0x1D173 && c <= 0x1D17A) || (c >= 0xE0000 && c <= 0xE0FFF);
}

#endif
