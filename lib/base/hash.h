/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: 64-bit hashing of short keys.
 *
 * hash_fixed() has a fixed seed: it places streams in pack buckets, so the
 * store layout depends only on the traffic. hash_keyed() mixes in a
 * per-table random seed so that crafted traffic cannot aim its flows at one
 * hash-table slot (the layout never depends on it).
 */
#ifndef SV_BASE_HASH_H
#define SV_BASE_HASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline uint64_t hash_mix(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 33;
    return h;
}

/* Hashes n bytes (n a multiple of 8) with seed. */
static inline uint64_t hash_words(const void *p, size_t n, uint64_t seed)
{
    const uint8_t *b = (const uint8_t *)p;
    uint64_t h = seed ^ (n * 0x9e3779b97f4a7c15ull);

    for (size_t i = 0; i + 8 <= n; i += 8) {
        uint64_t w;

        memcpy(&w, b + i, 8);
        h = (h ^ hash_mix(w + 0x9e3779b97f4a7c15ull)) * 0x100000001b3ull;
        h = (h << 27 | h >> 37);
    }
    return hash_mix(h);
}

/* Hashes any n bytes (FNV-1a from seed, then mixed): for short strings. */
static inline uint64_t hash_bytes(const void *p, size_t n, uint64_t seed)
{
    const uint8_t *b = (const uint8_t *)p;
    uint64_t h = 0xcbf29ce484222325ull ^ seed;

    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 0x100000001b3ull;
    return hash_mix(h);
}

/*
 * Open addressing with linear probing, backward-shift deletion: whether the
 * entry in slot j, whose home slot is home, moves into the hole at slot i
 * (the slots before it, cyclically): yes unless home lies in (i, j].
 */
static inline bool hash_shift_moves(size_t home, size_t i, size_t j)
{
    return i <= j ? home <= i || home > j : home <= i && home > j;
}

#define HASH_FIXED_SEED 0x5354524d5641554cull /* "STRMVAUL" */

static inline uint64_t hash_fixed(const void *p, size_t n)
{
    return hash_words(p, n, HASH_FIXED_SEED);
}

#endif
