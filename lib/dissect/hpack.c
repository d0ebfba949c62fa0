/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: HPACK decoder (RFC 7541): representations, integers, strings,
 * Huffman, static and dynamic tables.
 *
 * Block grammar (§6), by the first byte of each representation:
 *   1xxxxxxx  indexed field                 index (7-bit prefix), 0 is an error
 *   01xxxxxx  literal, incremental indexing name index (6-bit, 0: literal name), value
 *   001xxxxx  dynamic table size update     new maximum (5-bit prefix); only before
 *                                           the block's first field (§4.2)
 *   0001xxxx  literal, never indexed        name index (4-bit), value
 *   0000xxxx  literal, without indexing     name index (4-bit), value
 * A string is H (1 bit: Huffman) + length (7-bit prefix) + bytes.
 *
 * The dynamic table (§4): a FIFO of entries, index 62 the newest; its size is
 * the sum of name + value + 32 over entries, kept <= max_size by evicting the
 * oldest before an insertion. Storage: the entries' bytes are appended to a
 * buffer of twice max_size and compacted when its end is reached (each byte
 * moves at most once per max_size bytes inserted); descriptors are a ring.
 * Invariant (see hpack.h, lenient mode): the table always holds the newest k
 * entries the encoder inserted, for some k, so a known index is always right.
 *
 * Huffman (Appendix B): the code is canonical (codes of one length are
 * consecutive, in symbol order), so decoding needs only the number of codes
 * of each length and the symbols sorted by (length, symbol): the canonical
 * walk of zlib's puff.c, one bit at a time. tests/unit/test_dis_http2.c checks
 * the two tables against every code of the RFC's table.
 */
#include "config.h"

#include "hpack.h"

#include <stdlib.h>
#include <string.h>

/* ---- static table (Appendix A) -------------------------------------------------------- */

struct hpack_static {
    const char *name;
    uint8_t nlen;
    const char *value;
    uint8_t vlen;
};

/* An entry with the lengths of its two literals. */
#define HP_S(name, value) { name, sizeof name - 1, value, sizeof value - 1 }

static const struct hpack_static hp_static[HPACK_STATIC_LEN] = {
    HP_S(":authority", ""),
    HP_S(":method", "GET"),
    HP_S(":method", "POST"),
    HP_S(":path", "/"),
    HP_S(":path", "/index.html"),
    HP_S(":scheme", "http"),
    HP_S(":scheme", "https"),
    HP_S(":status", "200"),
    HP_S(":status", "204"),
    HP_S(":status", "206"),
    HP_S(":status", "304"),
    HP_S(":status", "400"),
    HP_S(":status", "404"),
    HP_S(":status", "500"),
    HP_S("accept-charset", ""),
    HP_S("accept-encoding", "gzip, deflate"),
    HP_S("accept-language", ""),
    HP_S("accept-ranges", ""),
    HP_S("accept", ""),
    HP_S("access-control-allow-origin", ""),
    HP_S("age", ""),
    HP_S("allow", ""),
    HP_S("authorization", ""),
    HP_S("cache-control", ""),
    HP_S("content-disposition", ""),
    HP_S("content-encoding", ""),
    HP_S("content-language", ""),
    HP_S("content-length", ""),
    HP_S("content-location", ""),
    HP_S("content-range", ""),
    HP_S("content-type", ""),
    HP_S("cookie", ""),
    HP_S("date", ""),
    HP_S("etag", ""),
    HP_S("expect", ""),
    HP_S("expires", ""),
    HP_S("from", ""),
    HP_S("host", ""),
    HP_S("if-match", ""),
    HP_S("if-modified-since", ""),
    HP_S("if-none-match", ""),
    HP_S("if-range", ""),
    HP_S("if-unmodified-since", ""),
    HP_S("last-modified", ""),
    HP_S("link", ""),
    HP_S("location", ""),
    HP_S("max-forwards", ""),
    HP_S("proxy-authenticate", ""),
    HP_S("proxy-authorization", ""),
    HP_S("range", ""),
    HP_S("referer", ""),
    HP_S("refresh", ""),
    HP_S("retry-after", ""),
    HP_S("server", ""),
    HP_S("set-cookie", ""),
    HP_S("strict-transport-security", ""),
    HP_S("transfer-encoding", ""),
    HP_S("user-agent", ""),
    HP_S("vary", ""),
    HP_S("via", ""),
    HP_S("www-authenticate", ""),
};

/* ---- Huffman (Appendix B) --------------------------------------------------------------- */

#define HUFF_MAXBITS 30u
#define HUFF_EOS     256u

/* Number of codes of each bit length (0..30). */
static const uint8_t huff_count[HUFF_MAXBITS + 1] = {
    0, 0, 0, 0, 0, 10, 26, 32, 6, 0, 5, 3, 2, 6, 2, 3,
    0, 0, 0, 3, 8, 13, 26, 29, 12, 4, 15, 19, 29, 0, 4,
};

/* The 257 symbols sorted by (code length, symbol). */
static const uint16_t huff_sym[257] = {
    48, 49, 50, 97, 99, 101, 105, 111, 115, 116, 32, 37,
    45, 46, 47, 51, 52, 53, 54, 55, 56, 57, 61, 65,
    95, 98, 100, 102, 103, 104, 108, 109, 110, 112, 114, 117,
    58, 66, 67, 68, 69, 70, 71, 72, 73, 74, 75, 76,
    77, 78, 79, 80, 81, 82, 83, 84, 85, 86, 87, 89,
    106, 107, 113, 118, 119, 120, 121, 122, 38, 42, 44, 59,
    88, 90, 33, 34, 40, 41, 63, 39, 43, 124, 35, 62,
    0, 36, 64, 91, 93, 126, 94, 125, 60, 96, 123, 92,
    195, 208, 128, 130, 131, 162, 184, 194, 224, 226, 153, 161,
    167, 172, 176, 177, 179, 209, 216, 217, 227, 229, 230, 129,
    132, 133, 134, 136, 146, 154, 156, 160, 163, 164, 169, 170,
    173, 178, 181, 185, 186, 187, 189, 190, 196, 198, 228, 232,
    233, 1, 135, 137, 138, 139, 140, 141, 143, 147, 149, 150,
    151, 152, 155, 157, 158, 165, 166, 168, 174, 175, 180, 182,
    183, 188, 191, 197, 231, 239, 9, 142, 144, 145, 148, 159,
    171, 206, 215, 225, 236, 237, 199, 207, 234, 235, 192, 193,
    200, 201, 202, 205, 210, 213, 218, 219, 238, 240, 242, 243,
    255, 203, 204, 211, 212, 214, 221, 222, 223, 241, 244, 245,
    246, 247, 248, 250, 251, 252, 253, 254, 2, 3, 4, 5,
    6, 7, 8, 11, 12, 14, 15, 16, 17, 18, 19, 20,
    21, 23, 24, 25, 26, 27, 28, 29, 30, 31, 127, 220,
    249, 10, 13, 22, 256,
};

int hpack_huffman(const uint8_t *p, size_t n, uint8_t *out, size_t outcap, size_t *outlen)
{
    uint32_t code = 0, first = 0;
    unsigned len = 0, index = 0;
    size_t o = 0;

    *outlen = 0;
    for (size_t i = 0; i < n; i++) {
        for (unsigned b = 8; b-- > 0;) {
            uint32_t cnt;

            code |= (uint32_t)(p[i] >> b) & 1u;
            len++;
            cnt = huff_count[len];
            if (code - first < cnt) {
                unsigned sym = huff_sym[index + (code - first)];

                if (sym == HUFF_EOS)
                    return HPACK_E_HUFF;        /* §5.2: EOS in a string is an error */
                if (o == outcap)
                    return HPACK_E_STR;
                out[o++] = (uint8_t)sym;
                code = first = 0;
                len = index = 0;
                continue;
            }
            if (len == HUFF_MAXBITS)
                return HPACK_E_HUFF;            /* unreachable: the code is complete */
            index += cnt;
            first = (first + cnt) << 1;
            code <<= 1;
        }
    }
    /* Padding: fewer than 8 bits, the most significant bits of EOS (all ones). */
    if (len > 7 || (code >> 1) != (1u << len) - 1u)
        return HPACK_E_HUFF;
    *outlen = o;
    return HPACK_OK;
}

/* ---- integers and strings --------------------------------------------------------------- */

int hpack_int(const uint8_t **pp, const uint8_t *end, unsigned prefix_bits, uint32_t *v)
{
    const uint8_t *p = *pp;
    uint32_t max = (1u << prefix_bits) - 1u;
    uint64_t val;
    unsigned shift = 0;

    *v = 0;
    if (p >= end)
        return HPACK_E_TRUNC;
    val = *p++ & max;
    if (val == max) {
        for (;;) {
            uint8_t b;

            if (p >= end)
                return HPACK_E_TRUNC;
            b = *p++;
            if (shift > 28)
                return HPACK_E_INT;
            val += (uint64_t)(b & 0x7Fu) << shift;
            if (val > UINT32_MAX)
                return HPACK_E_INT;
            shift += 7;
            if (!(b & 0x80u))
                break;
        }
    }
    *pp = p;
    *v = (uint32_t)val;
    return HPACK_OK;
}

/* hpack_int, with the one-byte case (the usual one) inline. */
static inline int hp_int(const uint8_t **pp, const uint8_t *end, unsigned prefix_bits,
                         uint32_t *v)
{
    uint32_t max = (1u << prefix_bits) - 1u;

    if (*pp < end && (**pp & max) != max) {
        *v = **pp & max;
        ++*pp;
        return HPACK_OK;
    }
    return hpack_int(pp, end, prefix_bits, v);
}

/*
 * A decoded string: in the block itself (a raw literal, or a name from the
 * static table), or at off in h->scratch, which may move until the field is
 * complete.
 */
struct hp_str {
    const uint8_t *p;           /* NULL: in h->scratch at off */
    size_t off, n;
};

static const uint8_t *hp_str_at(const struct hpack *h, const struct hp_str *s)
{
    if (s->p)
        return s->p;
    return h->scratch.data ? h->scratch.data + s->off : (const uint8_t *)"";
}

/*
 * Reads a string literal at *pp. A raw one stays where it is in the block; a
 * Huffman-coded one is appended, decoded, to h->scratch.
 */
static int hp_string(struct hpack *h, const uint8_t **pp, const uint8_t *end, struct hp_str *out)
{
    const uint8_t *p = *pp;
    bool huff;
    uint32_t n;
    int rc;

    if (p >= end)
        return HPACK_E_TRUNC;
    huff = (*p & 0x80u) != 0;
    rc = hp_int(&p, end, 7, &n);
    if (rc < 0)
        return rc;
    if (n > (size_t)(end - p))
        return HPACK_E_TRUNC;
    if (huff) {
        size_t room = (size_t)n * 8 / 5 + 1, got;
        uint8_t *dst;

        if (room > HPACK_STR_MAX)
            room = HPACK_STR_MAX;
        dst = buf_reserve(&h->scratch, room);
        if (!dst)
            return HPACK_E_NOMEM;
        rc = hpack_huffman(p, n, dst, room, &got);
        if (rc < 0)
            return rc;
        out->p = NULL;
        out->off = h->scratch.len;
        out->n = got;
        h->scratch.len += got;
    } else {
        if (n > HPACK_STR_MAX)
            return HPACK_E_STR;
        out->p = p;
        out->off = 0;
        out->n = n;
    }
    *pp = p + n;
    return HPACK_OK;
}

/* ---- the dynamic table ------------------------------------------------------------------ */

void hpack_init(struct hpack *h)
{
    memset(h, 0, sizeof *h);
    h->max_size = HPACK_DEFAULT_TABLE;
    h->limit = HPACK_DEFAULT_TABLE;
    /* Two strings of HPACK_STR_MAX (name and value) and some slack. */
    buf_init(&h->scratch, 2 * (size_t)HPACK_STR_MAX + 16);
}

void hpack_release(struct hpack *h)
{
    free(h->data);
    free(h->ents);
    buf_release(&h->scratch);
    h->data = NULL;
    h->ents = NULL;
    h->data_cap = h->data_end = 0;
    h->ents_cap = h->head = h->count = 0;
    h->size = 0;
}

void hpack_set_limit(struct hpack *h, uint32_t v)
{
    /* The largest ever announced: SETTINGS and header blocks of the two directions are
     * parsed independently, so a smaller value may not be in force yet. */
    if (v > h->limit)
        h->limit = v;
}

static struct hpack_ent *hp_ent(const struct hpack *h, size_t i)
{
    return &h->ents[(h->head + h->count - i) % h->ents_cap];
}

static void hp_evict_one(struct hpack *h)
{
    struct hpack_ent *e = &h->ents[h->head];

    h->size -= (size_t)e->nlen + e->vlen + HPACK_ENTRY_OVERHEAD;
    h->head = (h->head + 1) % h->ents_cap;
    h->count--;
    if (h->count == 0) {
        h->head = 0;
        h->data_end = 0;
    }
}

/* Evicts the oldest entries until size + need <= max_size. */
static void hp_evict(struct hpack *h, size_t need)
{
    while (h->count > 0 && h->size + need > h->max_size)
        hp_evict_one(h);
}

void hpack_lose_state(struct hpack *h)
{
    hp_evict(h, h->max_size + 1);
    h->lenient = true;
}

void hpack_set_max(struct hpack *h, uint32_t v)
{
    if (v > HPACK_TABLE_CAP) {
        /* We keep less than the encoder: older entries become unknown (see hpack.h). */
        v = HPACK_TABLE_CAP;
        h->lenient = true;
    }
    h->max_size = v;
    hp_evict(h, 0);
}

/* Makes the storage fit max_size; relays the entries out from offset 0. */
static int hp_storage(struct hpack *h)
{
    size_t dcap = 2 * h->max_size, ecap = h->max_size / HPACK_ENTRY_OVERHEAD + 1;
    uint8_t *data;
    struct hpack_ent *ents;
    size_t off = 0;

    if (h->data && h->data_cap >= dcap && h->ents_cap >= ecap)
        return HPACK_OK;
    if (h->data_cap > dcap)
        dcap = h->data_cap;
    if (h->ents_cap > ecap)
        ecap = h->ents_cap;
    data = malloc(dcap ? dcap : 1);
    ents = malloc(ecap * sizeof *ents);
    if (!data || !ents) {
        free(data);
        free(ents);
        return HPACK_E_NOMEM;
    }
    for (size_t i = 0; i < h->count; i++) {
        const struct hpack_ent *e = &h->ents[(h->head + i) % h->ents_cap];
        size_t len = (size_t)e->nlen + e->vlen;

        memcpy(data + off, h->data + e->off, len);
        ents[i] = *e;
        ents[i].off = (uint32_t)off;
        off += len;
    }
    free(h->data);
    free(h->ents);
    h->data = data;
    h->ents = ents;
    h->data_cap = dcap;
    h->ents_cap = ecap;
    h->data_end = off;
    h->head = 0;
    return HPACK_OK;
}

/* Moves the entries' bytes to the start of the storage, oldest first. */
static void hp_compact(struct hpack *h)
{
    size_t off = 0;

    for (size_t i = 0; i < h->count; i++) {
        struct hpack_ent *e = &h->ents[(h->head + i) % h->ents_cap];
        size_t len = (size_t)e->nlen + e->vlen;

        if (e->off != off)
            memmove(h->data + off, h->data + e->off, len);
        e->off = (uint32_t)off;
        off += len;
    }
    h->data_end = off;
}

/* Inserts name/value (not pointing into the table) as the newest entry (§4.4). */
static int hp_insert(struct hpack *h, const uint8_t *name, size_t nlen, const uint8_t *value,
                     size_t vlen, bool unknown_name)
{
    size_t esize = nlen + vlen + HPACK_ENTRY_OVERHEAD;
    struct hpack_ent *e;
    int rc;

    if (esize > h->max_size) {
        hp_evict(h, h->max_size + 1);   /* empties the table; the entry is not added */
        return HPACK_OK;
    }
    hp_evict(h, esize);
    rc = hp_storage(h);
    if (rc < 0)
        return rc;
    if (h->data_end + nlen + vlen > h->data_cap)
        hp_compact(h);
    e = &h->ents[(h->head + h->count) % h->ents_cap];
    e->off = (uint32_t)h->data_end;
    e->nlen = (uint32_t)nlen;
    e->vlen = (uint32_t)vlen;
    e->unknown_name = unknown_name;
    if (nlen)
        memcpy(h->data + h->data_end, name, nlen);
    if (vlen)
        memcpy(h->data + h->data_end + nlen, value, vlen);
    h->data_end += nlen + vlen;
    h->count++;
    h->size += esize;
    return HPACK_OK;
}

bool hpack_entry(const struct hpack *h, size_t i, const uint8_t **name, size_t *nlen,
                 const uint8_t **value, size_t *vlen)
{
    const struct hpack_ent *e;

    if (i < 1 || i > h->count)
        return false;
    e = hp_ent(h, i);
    *name = h->data + e->off;
    *nlen = e->nlen;
    *value = h->data + e->off + e->nlen;
    *vlen = e->vlen;
    return true;
}

/* ---- decoding ----------------------------------------------------------------------------- */

/* A field looked up by index: pointers into the static table or the storage. */
struct hp_ref {
    const uint8_t *name, *value;
    size_t nlen, vlen;
    bool unknown;               /* lenient mode: not in the table, or a placeholder's name */
};

static int hp_lookup(const struct hpack *h, uint32_t idx, struct hp_ref *r)
{
    memset(r, 0, sizeof *r);
    if (idx == 0)
        return HPACK_E_INDEX;
    if (idx <= HPACK_STATIC_LEN) {
        const struct hpack_static *s = &hp_static[idx - 1];

        r->name = (const uint8_t *)s->name;
        r->nlen = s->nlen;
        r->value = (const uint8_t *)s->value;
        r->vlen = s->vlen;
        return HPACK_OK;
    }
    if ((size_t)idx - HPACK_STATIC_LEN > h->count) {
        if (!h->lenient)
            return HPACK_E_INDEX;
        r->unknown = true;
        return HPACK_OK;
    }
    {
        const struct hpack_ent *e = hp_ent(h, (size_t)idx - HPACK_STATIC_LEN);

        r->name = h->data + e->off;
        r->nlen = e->nlen;
        r->value = h->data + e->off + e->nlen;
        r->vlen = e->vlen;
        r->unknown = e->unknown_name;
    }
    return HPACK_OK;
}

/* A literal field (§6.2): name index with prefix_bits, name string if 0, value string. */
static int hp_literal(struct hpack *h, const uint8_t **pp, const uint8_t *end,
                      unsigned prefix_bits, bool index_it, hpack_field_fn fn, void *arg,
                      size_t *unknown, size_t *list)
{
    struct hp_str name = { (const uint8_t *)"", 0, 0 }, value;
    const uint8_t *np, *vp;
    uint32_t idx;
    bool unknown_name = false;
    int rc;

    h->scratch.len = 0;
    rc = hp_int(pp, end, prefix_bits, &idx);
    if (rc < 0)
        return rc;
    if (idx) {
        struct hp_ref r;

        rc = hp_lookup(h, idx, &r);
        if (rc < 0)
            return rc;
        unknown_name = r.unknown;
        if (!unknown_name && index_it && idx > HPACK_STATIC_LEN) {
            /* Copied: inserting this field may evict the entry it names (§4.4). */
            if (buf_append(&h->scratch, r.name, r.nlen) < 0)
                return HPACK_E_NOMEM;
            name.p = NULL;
            name.n = r.nlen;
        } else if (!unknown_name) {
            name.p = r.name;    /* the static table, or a table left as it is */
            name.n = r.nlen;
        }
    } else {
        rc = hp_string(h, pp, end, &name);
        if (rc < 0)
            return rc;
    }
    rc = hp_string(h, pp, end, &value);
    if (rc < 0)
        return rc;
    *list += name.n + value.n + HPACK_ENTRY_OVERHEAD;
    np = hp_str_at(h, &name);
    vp = hp_str_at(h, &value);
    if (unknown_name)
        ++*unknown;
    else
        fn(arg, np, name.n, vp, value.n);
    if (index_it)
        return hp_insert(h, np, name.n, vp, value.n, unknown_name);
    return HPACK_OK;
}

int hpack_decode(struct hpack *h, const uint8_t *p, size_t n, hpack_field_fn fn, void *arg,
                 struct hpack_notes *notes)
{
    const uint8_t *end;
    size_t unk = 0, list = 0;
    bool field = false, late = false;
    int rc = HPACK_OK;

    if (n == 0) {
        if (notes)
            *notes = (struct hpack_notes){ 0, false };
        return HPACK_OK;        /* an empty block (p may be NULL) */
    }
    end = p + n;

    while (p < end) {
        uint8_t b = *p;

        if (list > HPACK_LIST_MAX) {
            rc = HPACK_E_LIMIT;
            break;
        }
        if ((b & 0xE0u) != 0x20u)
            field = true;       /* every representation but a size update is a field */

        if (b & 0x80u) {
            uint32_t idx;
            struct hp_ref r;

            rc = hp_int(&p, end, 7, &idx);
            if (rc < 0)
                break;
            rc = hp_lookup(h, idx, &r);
            if (rc < 0)
                break;
            list += r.nlen + r.vlen + HPACK_ENTRY_OVERHEAD;
            if (r.unknown)
                unk++;
            else
                fn(arg, r.name, r.nlen, r.value, r.vlen);
        } else if ((b & 0xC0u) == 0x40u) {
            rc = hp_literal(h, &p, end, 6, true, fn, arg, &unk, &list);
            if (rc < 0)
                break;
        } else if ((b & 0xE0u) == 0x20u) {
            uint32_t v;

            rc = hpack_int(&p, end, 5, &v);
            if (rc < 0)
                break;
            if (v > h->limit && !h->lenient) {
                rc = HPACK_E_SIZE;
                break;
            }
            late |= field;      /* §4.2: noted, and applied as the encoder did */
            hpack_set_max(h, v);
        } else {
            rc = hp_literal(h, &p, end, 4, false, fn, arg, &unk, &list);
            if (rc < 0)
                break;
        }
    }
    if (notes)
        *notes = (struct hpack_notes){ unk, late };
    /* A large block's strings need not stay allocated between blocks. */
    if (h->scratch.cap > 64u * 1024)
        buf_release(&h->scratch);
    h->scratch.len = 0;
    return rc;
}
