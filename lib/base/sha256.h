/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: SHA-256 (FIPS 180-4), the digest content.json gives every file of
 * a bundle, so that `sha256sum -c` and our own ingest can verify them.
 */
#ifndef SV_BASE_SHA256_H
#define SV_BASE_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_LEN 32
#define SHA256_HEX (2 * SHA256_LEN + 1)

struct sha256 {
    uint32_t h[8];
    uint64_t len;               /* bytes hashed so far */
    uint8_t blk[64];
    size_t n;                   /* bytes waiting in blk */
};

void sha256_init(struct sha256 *c);
void sha256_update(struct sha256 *c, const void *p, size_t n);
void sha256_final(struct sha256 *c, uint8_t out[SHA256_LEN]);
/* The digest as 64 lower-case hex digits and a NUL. */
void sha256_hex(const uint8_t md[SHA256_LEN], char out[SHA256_HEX]);
/* Digest of one buffer, as hex. */
void sha256_text(const void *p, size_t n, char out[SHA256_HEX]);

#endif
