/* SPDX-License-Identifier: BSD-2-Clause */
/* summary: IP address text (dotted quad, RFC 5952 IPv6) */
#ifndef SV_BASE_ADDR_H
#define SV_BASE_ADDR_H

#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>

#define ADDR_TEXT_LEN 48

/* Formats a 4- or 16-byte address stored in a 16-byte array. */
static inline void addr_text(char out[ADDR_TEXT_LEN], uint8_t ipver, const uint8_t a[16])
{
    if (ipver != 6) {
        /* the dotted quad inet_ntop writes, without the sprintf it takes for it */
        char *p = out;

        for (int i = 0; i < 4; i++) {
            unsigned v = a[i];

            if (i)
                *p++ = '.';
            if (v >= 100)
                *p++ = (char)('0' + v / 100);
            if (v >= 10)
                *p++ = (char)('0' + v / 10 % 10);
            *p++ = (char)('0' + v % 10);
        }
        *p = '\0';
        return;
    }
    if (!inet_ntop(AF_INET6, a, out, ADDR_TEXT_LEN))
        snprintf(out, ADDR_TEXT_LEN, "?");
}

#endif
