/* SPDX-License-Identifier: BSD-2-Clause */
/* summary: the index's packed integer arrays and bounded part reader (ixvec.h) */
#include "config.h"

#include <stdlib.h>

#include "base/cur.h"
#include "ixvec.h"

/* Bits needed for numbers up to range. */
static unsigned bits_of(uint64_t range)
{
    return range ? 64u - (unsigned)__builtin_clzll(range) : 0;
}

void ixv_packed(struct ixv *b, const uint64_t *v, size_t n)
{
    uint64_t lo = UINT64_MAX, hi = 0, acc = 0;
    unsigned w, fill = 0;
    size_t nbytes;
    uint8_t *p;

    for (size_t i = 0; i < n; i++) {
        if (v[i] < lo)
            lo = v[i];
        if (v[i] > hi)
            hi = v[i];
    }
    if (n == 0)
        lo = hi = 0;
    w = bits_of(hi - lo);
    ixv_u8(b, (uint8_t)w);
    ixv_varint(b, lo);
    nbytes = (n * w + 7) / 8;
    p = ixv_room(b, nbytes);
    /* little-endian bit order: value i at bits [i*w, i*w + w) */
    for (size_t i = 0; i < n && w; i++) {
        uint64_t x = v[i] - lo;

        acc |= x << fill;
        if (fill + w >= 64) {
            for (int k = 0; k < 8; k++)
                *p++ = (uint8_t)(acc >> (8 * k));
            acc = fill ? x >> (64 - fill) : 0;
            fill = fill + w - 64;
        } else {
            fill += w;
        }
    }
    while (fill > 0) {
        *p++ = (uint8_t)acc;
        acc >>= 8;
        fill = fill > 8 ? fill - 8 : 0;
    }
    b->n += nbytes;
}

uint64_t ixr_varint(struct ixr *r)
{
    uint64_t v = 0;

    for (unsigned i = 0; i < 10; i++) {
        if (r->p >= r->end)
            break;
        v |= (uint64_t)(*r->p & 0x7f) << (7 * i);
        if (!(*r->p++ & 0x80))
            return v;
    }
    r->bad = true;
    r->p = r->end;
    return 0;
}

/*
 * Values of width w, eight at a time: eight take w bytes, so each group
 * starts on a byte, and with w a constant every shift and offset below is
 * one too. Each load reads 8 bytes from a value's first byte: the caller
 * passes only groups that have them. Returns the largest value less base.
 */
static inline __attribute__((always_inline)) uint64_t unpack_groups(const uint8_t *p,
                                                                   uint64_t *out, size_t groups,
                                                                   uint64_t base, unsigned w)
{
    const uint64_t mask = ((uint64_t)1 << w) - 1;
    uint64_t top = 0;

    for (size_t g = 0; g < groups; g++, p += w, out += 8) {
#pragma GCC unroll 8
        for (unsigned j = 0; j < 8; j++) {
            uint64_t x = (ld_le64(p + j * w / 8) >> (j * w % 8)) & mask;

            top = x > top ? x : top;
            out[j] = base + x;
        }
    }
    return top;
}

/* unpack_groups() with w from 1 to 56 made a constant (a wider value may not fit a load). */
static uint64_t unpack_fixed(const uint8_t *p, uint64_t *out, size_t groups, uint64_t base,
                             unsigned w)
{
    switch (w) {
#define W(k) case k: return unpack_groups(p, out, groups, base, k);
    W(1) W(2) W(3) W(4) W(5) W(6) W(7) W(8) W(9) W(10) W(11) W(12) W(13) W(14)
    W(15) W(16) W(17) W(18) W(19) W(20) W(21) W(22) W(23) W(24) W(25) W(26) W(27) W(28)
    W(29) W(30) W(31) W(32) W(33) W(34) W(35) W(36) W(37) W(38) W(39) W(40) W(41) W(42)
    W(43) W(44) W(45) W(46) W(47) W(48) W(49) W(50) W(51) W(52) W(53) W(54) W(55) W(56)
#undef W
    default: return 0;
    }
}

/*
 * AVX-512: where the CPU has it (checked once at run time), eight values an
 * instruction instead of one; the unpacking needs VBMI's byte permutation
 * too. The scalar code stays what every other CPU runs and what the tests
 * compare with. The index's one-core scan (tests/tools/ixbench, 1 GiB gencap
 * capture, AMD EPYC with AVX-512): 40.6 M rows/s scalar, 46.5 M with the
 * leaf firsts and the time decoding below, 58.7 M with the unpacking too.
 */
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

#define AVX512 __attribute__((target("avx512f,avx512bw,avx512dq")))
#define AVX512VBMI __attribute__((target("avx512f,avx512bw,avx512dq,avx512vbmi")))

/*
 * 0: the scalar code; 1: AVX-512 (F, BW, DQ); 2: with VBMI. SV_SIMD=0 or 1 in
 * the environment takes at most that (the tests compare them).
 */
static int simd_level(void)
{
    static int level = -1;      /* threads that find it unset all set the same */
    int l = __atomic_load_n(&level, __ATOMIC_RELAXED);

    if (l < 0) {
        const char *e = getenv("SV_SIMD");

        __builtin_cpu_init();
        l = 0;
        if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
            __builtin_cpu_supports("avx512dq"))
            l = __builtin_cpu_supports("avx512vbmi") ? 2 : 1;
        if (e && (e[0] == '0' || e[0] == '1') && e[1] == 0 && e[0] - '0' < l)
            l = e[0] - '0';
        __atomic_store_n(&level, l, __ATOMIC_RELAXED);
    }
    return l;
}

/*
 * unpack_groups() with a group's eight values at once: its w bytes loaded
 * together, each value's eight bytes picked into its lane by one byte
 * permutation, shifted by the value's bit offset and masked. Each group
 * reads 64 bytes from its first: the caller passes only groups that have
 * them.
 */
AVX512VBMI static uint64_t unpack_avx512(const uint8_t *p, uint64_t *out, size_t groups,
                                         uint64_t base, unsigned w)
{
    uint8_t idx[64];
    uint64_t sh[8], tops[8], top = 0;
    __m512i vidx, vsh, vmask, vbase, vtop = _mm512_setzero_si512();

    for (unsigned j = 0; j < 8; j++) {
        for (unsigned k = 0; k < 8; k++)
            idx[8 * j + k] = (uint8_t)(j * w / 8 + k);
        sh[j] = j * w % 8;
    }
    vidx = _mm512_loadu_si512(idx);
    vsh = _mm512_loadu_si512(sh);
    vmask = _mm512_set1_epi64((long long)(((uint64_t)1 << w) - 1));
    vbase = _mm512_set1_epi64((long long)base);
    for (size_t g = 0; g < groups; g++, p += w, out += 8) {
        __m512i v = _mm512_permutexvar_epi8(vidx, _mm512_loadu_si512(p));

        v = _mm512_and_si512(_mm512_srlv_epi64(v, vsh), vmask);
        vtop = _mm512_max_epu64(vtop, v);
        _mm512_storeu_si512(out, _mm512_add_epi64(v, vbase));
    }
    _mm512_storeu_si512(tops, vtop);
    for (unsigned j = 0; j < 8; j++)
        top = tops[j] > top ? tops[j] : top;
    return top;
}

/*
 * ix_firsts_simd() eight rows at a time: each row's shape bit tested in has_s
 * and has_n, the next codes (number indexes) spread into the lanes of the
 * rows that take one, -1 in the others.
 */
AVX512 static size_t firsts_avx512(const uint64_t *shape, size_t rows, uint64_t has_s,
                                   uint64_t has_n, const uint64_t *code, size_t *ks,
                                   size_t *kn, int32_t *fs, int32_t *fn)
{
    const __m512i one = _mm512_set1_epi64(1), none = _mm512_set1_epi64(-1);
    const __m512i vs = _mm512_set1_epi64((long long)has_s);
    const __m512i vn = _mm512_set1_epi64((long long)has_n);
    const __m512i iota = _mm512_set_epi64(7, 6, 5, 4, 3, 2, 1, 0);
    size_t i = 0, s = *ks, n = *kn;

    for (; i + 8 <= rows; i += 8) {
        __m512i sh = _mm512_loadu_si512(shape + i);
        __mmask8 ms = _mm512_test_epi64_mask(_mm512_srlv_epi64(vs, sh), one);
        __mmask8 mn = _mm512_test_epi64_mask(_mm512_srlv_epi64(vn, sh), one);
        __m512i c = _mm512_mask_expand_epi64(none, ms, _mm512_loadu_si512(code + s));
        __m512i at = _mm512_add_epi64(iota, _mm512_set1_epi64((long long)n));
        __m512i k = _mm512_mask_expand_epi64(none, mn, at);

        _mm256_storeu_si256((__m256i *)(void *)(fs + i), _mm512_cvtepi64_epi32(c));
        _mm256_storeu_si256((__m256i *)(void *)(fn + i), _mm512_cvtepi64_epi32(k));
        s += (size_t)__builtin_popcount(ms);
        n += (size_t)__builtin_popcount(mn);
    }
    *ks = s;
    *kn = n;
    return i;
}

/*
 * ix_time_decode() eight rows at a time, from row 0 with *prev as the last
 * reference; returns the rows done, and leaves *prev for the next. Against
 * req: a group whose references are all set (most) is b = r, else it stops
 * there. Without: the differences' prefix sum over the lanes (three shifts),
 * unless a row of the group decodes to 0 (which would not become the next
 * reference): it stops there too.
 */
AVX512 static size_t time_avx512(uint64_t *v, const uint64_t *req, size_t n, uint64_t *prev,
                                 uint64_t unit)
{
    const __m512i one = _mm512_set1_epi64(1), zero = _mm512_setzero_si512();
    const __m512i vunit = _mm512_set1_epi64((long long)unit);
    const __m512i last = _mm512_set1_epi64(7);
    __m512i vprev = _mm512_set1_epi64((long long)*prev);
    size_t i = 0;

    for (; i + 8 <= n; i += 8) {
        __m512i x = _mm512_loadu_si512(v + i), z = _mm512_sub_epi64(x, one);
        __mmask8 set = _mm512_test_epi64_mask(x, x);
        /* the signed difference in units: zigzag back, times the unit */
        __m512i d = _mm512_xor_si512(_mm512_srli_epi64(z, 1),
                                     _mm512_sub_epi64(zero, _mm512_and_si512(z, one)));

        d = _mm512_mullo_epi64(d, vunit);
        if (req) {
            __m512i r = _mm512_loadu_si512(req + i);

            if (_mm512_test_epi64_mask(r, r) != 0xff)
                break;
            _mm512_storeu_si512(v + i, _mm512_maskz_add_epi64(set, r, d));
            vprev = _mm512_permutexvar_epi64(last, r);
        } else {
            __m512i t;

            d = _mm512_maskz_mov_epi64(set, d);
            d = _mm512_add_epi64(d, _mm512_alignr_epi64(d, zero, 7));
            d = _mm512_add_epi64(d, _mm512_alignr_epi64(d, zero, 6));
            d = _mm512_add_epi64(d, _mm512_alignr_epi64(d, zero, 4));
            t = _mm512_add_epi64(vprev, d);
            if (_mm512_mask_cmpeq_epi64_mask(set, t, zero) != 0)
                break;
            _mm512_storeu_si512(v + i, _mm512_maskz_mov_epi64(set, t));
            vprev = _mm512_permutexvar_epi64(last, t);
        }
    }
    *prev = (uint64_t)_mm_cvtsi128_si64(_mm512_castsi512_si128(vprev));
    return i;
}
#else
static int simd_level(void)
{
    return 0;
}

static size_t time_avx512(uint64_t *v, const uint64_t *req, size_t n, uint64_t *prev,
                          uint64_t unit)
{
    (void)v, (void)req, (void)n, (void)prev, (void)unit;
    return 0;
}

static uint64_t unpack_avx512(const uint8_t *p, uint64_t *out, size_t groups, uint64_t base,
                              unsigned w)
{
    (void)p, (void)out, (void)groups, (void)base, (void)w;
    return 0;
}

static size_t firsts_avx512(const uint64_t *shape, size_t rows, uint64_t has_s,
                            uint64_t has_n, const uint64_t *code, size_t *ks, size_t *kn,
                            int32_t *fs, int32_t *fn)
{
    (void)shape, (void)rows, (void)has_s, (void)has_n, (void)code, (void)ks, (void)kn;
    (void)fs, (void)fn;
    return 0;
}
#endif

size_t ix_firsts_simd(const uint64_t *shape, size_t rows, uint64_t has_s, uint64_t has_n,
                      const uint64_t *code, size_t *ks, size_t *kn, int32_t *fs, int32_t *fn)
{
    if (simd_level() < 1)
        return 0;
    return firsts_avx512(shape, rows, has_s, has_n, code, ks, kn, fs, fn);
}

bool ixr_packed(struct ixr *r, uint64_t *out, size_t n)
{
    unsigned w;
    uint64_t base, mask, top = 0;
    size_t nbytes, i = 0, fast;
    const uint8_t *p;

    if (r->p >= r->end) {
        r->bad = true;
        return false;
    }
    w = *r->p++;
    base = ixr_varint(r);
    if (r->bad || w > 64 || (w && n > (size_t)(r->end - r->p) * 8 / w)) {
        r->bad = true;
        r->p = r->end;
        return false;
    }
    nbytes = (n * w + 7) / 8;
    p = r->p;
    mask = w == 64 ? UINT64_MAX : ((uint64_t)1 << w) - 1;
    if (w == 0) {
        for (; i < n; i++)
            out[i] = base;
    } else if (w <= 56) {
        /* groups of eight whose last load is in the bytes; then one load a value while 8
         * bytes are there; the tail bytewise */
        size_t groups = nbytes >= 8 + 7 * w / 8 ? (nbytes - 8 - 7 * w / 8) / w + 1 : 0;

        if (groups > n / 8)
            groups = n / 8;
        if (simd_level() >= 2) {
            /* the groups whose 64 bytes are in the part, then the rest as elsewhere */
            size_t vg = nbytes >= 64 ? (nbytes - 64) / w + 1 : 0;

            vg = vg < groups ? vg : groups;
            top = unpack_avx512(p, out, vg, base, w);
            if (vg < groups) {
                uint64_t t = unpack_fixed(p + vg * w, out + vg * 8, groups - vg, base, w);

                top = t > top ? t : top;
            }
        } else {
            top = unpack_fixed(p, out, groups, base, w);
        }
        i = groups * 8;
        fast = nbytes >= 8 ? ((nbytes - 8) * 8) / w + 1 : 0;
        if (fast > n)
            fast = n;
        for (; i < fast; i++) {
            size_t bit = i * w;
            uint64_t x = (ld_le64(p + bit / 8) >> (bit % 8)) & mask;

            top = x > top ? x : top;
            out[i] = base + x;
        }
    }
    for (; i < n; i++) {
        size_t bit = i * w;
        uint64_t x = 0;

        for (unsigned k = 0; k < w; k++, bit++)
            x |= (uint64_t)((p[bit / 8] >> (bit % 8)) & 1) << k;
        top = x > top ? x : top;
        out[i] = base + x;
    }
    /* the largest value, unless base + x wrapped (then any value may be anything) */
    r->hi = base + top < base ? UINT64_MAX : base + top;
    r->p += nbytes;
    return true;
}

const uint8_t *ixr_str(struct ixr *r, size_t *n)
{
    uint64_t l = ixr_varint(r);
    const uint8_t *p = r->p;

    if (r->bad || l > (uint64_t)(r->end - r->p)) {
        r->bad = true;
        r->p = r->end;
        *n = 0;
        return NULL;
    }
    r->p += l;
    *n = (size_t)l;
    return p;
}

/* Greatest common divisor (gcd64(0, b) is b). */
static uint64_t gcd64(uint64_t a, uint64_t b)
{
    while (b) {
        uint64_t t = a % b;

        a = b;
        b = t;
    }
    return a;
}

uint64_t ix_time_encode(uint64_t *v, const uint64_t *req, size_t n, uint64_t base)
{
    uint64_t prev = base, unit = 0;

    /* the unit: what divides every difference (0 while all are 0); most rows leave it */
    for (size_t i = 0; i < n && unit != 1; i++) {
        uint64_t r = req ? req[i] : v[i], b = req && r ? r : prev, d = v[i] - b;

        if (r)
            prev = r;
        d = d >> 63 ? 0 - d : d;
        if (v[i] && d && (unit == 0 || d % unit != 0))
            unit = gcd64(d, unit);
    }
    unit = unit ? unit : 1;
    prev = base;
    for (size_t i = 0; i < n; i++) {
        uint64_t r = req ? req[i] : v[i], b = req && r ? r : prev, d = v[i] - b;

        if (r)
            prev = r;
        /* the signed difference in units, in unsigned arithmetic; then its zig-zag */
        d = d >> 63 ? 0 - (0 - d) / unit : d / unit;
        v[i] = v[i] ? ((d << 1) ^ (0 - (d >> 63))) + 1 : 0;
    }
    return unit;
}

void ix_time_decode(uint64_t *v, const uint64_t *req, size_t n, uint64_t base, uint64_t unit)
{
    uint64_t prev = base;
    bool lanes = simd_level() >= 1;

    for (size_t i = 0; i < n;) {
        size_t end;

        if (lanes)
            i += time_avx512(v + i, req ? req + i : NULL, n - i, &prev, unit);
        /* the group the lanes stopped at, or the last rows, one by one */
        for (end = n - i < 8 ? n : i + 8; i < end; i++) {
            uint64_t r = req ? req[i] : 0, b = req && r ? r : prev, z = v[i] - 1;

            if (v[i])
                v[i] = b + ((z >> 1) ^ (0 - (z & 1))) * unit;
            if (req ? r != 0 : v[i] != 0)
                prev = req ? r : v[i];
        }
    }
}
