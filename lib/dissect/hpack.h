/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: HPACK header decompression for HTTP/2 (RFC 7541): static table,
 * dynamic table with size updates and eviction, Huffman-coded strings,
 * integer and string literals. One decoder per direction of a connection.
 *
 * A header block (the concatenated fragments of HEADERS/PUSH_PROMISE and
 * their CONTINUATION frames) is decoded in one call; every field is handed
 * to a callback. Decoding errors leave the dynamic table in an unknown state:
 * the caller gives up on the direction (the RFC's COMPRESSION_ERROR).
 *
 * Bounds: the dynamic table keeps at most HPACK_TABLE_CAP bytes (RFC size:
 * name + value + 32 per entry) whatever SETTINGS_HEADER_TABLE_SIZE allows; an
 * encoder that uses more loses its oldest entries here early, and a later
 * reference to one of them is an HPACK_E_INDEX error (never a wrong field).
 * Storage grows with the entries actually inserted.
 *
 * Lenient mode (hpack_lose_state): after bytes of the direction were lost,
 * or when the capture started inside a connection, the table's older
 * entries are unknown. The table is emptied; references beyond what is known
 * are then skipped and counted (hpack_notes.unknown) instead of failing,
 * and entries inserted with an unknown name are kept as placeholders so that
 * later indices stay right. The decoder never evicts an entry that the
 * encoder still has, so known entries stay correct.
 */
#ifndef SV_DISSECT_HPACK_H
#define SV_DISSECT_HPACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"

/* Dynamic table bytes (RFC size) kept per decoder at most. */
#define HPACK_TABLE_CAP         (64u * 1024)
/* SETTINGS_HEADER_TABLE_SIZE's initial value (RFC 9113 §6.5.2). */
#define HPACK_DEFAULT_TABLE     4096u
/* Bytes of one decoded string at most (name or value). */
#define HPACK_STR_MAX           (512u * 1024)
/*
 * Decoded header list size (name + value + 32 per field) of one block at
 * most: bounds the work a small block can cause by naming big table entries.
 */
#define HPACK_LIST_MAX          (16u * 1024 * 1024)
/* Entries of the static table (RFC 7541 Appendix A). */
#define HPACK_STATIC_LEN        61u
/* What the RFC adds to name + value for an entry's size. */
#define HPACK_ENTRY_OVERHEAD    32u

enum hpack_err {
    HPACK_OK = 0,
    HPACK_E_TRUNC = -1,         /* the block ends inside a representation */
    HPACK_E_INT = -2,           /* an integer over 2^32 - 1 */
    HPACK_E_INDEX = -3,         /* index 0, or beyond the static and dynamic tables */
    HPACK_E_HUFF = -4,          /* bad Huffman code: EOS, padding over 7 bits or not all ones */
    HPACK_E_SIZE = -5,          /* a table size update over the allowed maximum */
    HPACK_E_STR = -6,           /* a string longer than HPACK_STR_MAX once decoded */
    HPACK_E_NOMEM = -7,
    HPACK_E_LIMIT = -8,         /* the block's header list is over HPACK_LIST_MAX */
};

/* One dynamic table entry: where its name and value lie in the storage. */
struct hpack_ent {
    uint32_t off;               /* of the name in data; the value follows it */
    uint32_t nlen, vlen;
    bool unknown_name;          /* lenient mode: inserted with an unknown name */
};

struct hpack {
    uint8_t *data;              /* entry bytes, appended at data_end, compacted when full */
    size_t data_cap, data_end;
    struct hpack_ent *ents;     /* ring: ents[head] is the oldest */
    size_t ents_cap, head, count;
    size_t size;                /* RFC size of the entries */
    size_t max_size;            /* the encoder's current maximum (size updates) */
    size_t limit;               /* largest maximum the peer's SETTINGS allowed */
    bool lenient;               /* older entries are unknown (see above) */
    struct buf scratch;         /* Huffman-decoded strings, copied name of the field decoded */
};

/*
 * Called for each decoded field, in block order. name/value are valid for the
 * call only. Fields whose name is unknown (lenient mode) are not reported.
 */
typedef void (*hpack_field_fn)(void *arg, const uint8_t *name, size_t nlen,
                               const uint8_t *value, size_t vlen);

void hpack_init(struct hpack *h);
void hpack_release(struct hpack *h);
/* The peer announced SETTINGS_HEADER_TABLE_SIZE = v: size updates up to v become legal. */
void hpack_set_limit(struct hpack *h, uint32_t v);
/*
 * Sets the table's current maximum as a size update would (evicting); over
 * HPACK_TABLE_CAP the table keeps HPACK_TABLE_CAP and turns lenient. For
 * decoders whose encoder starts with another size than 4096 (tests).
 */
void hpack_set_max(struct hpack *h, uint32_t v);
/* Bytes were lost: empties the table and switches to lenient mode for good. */
void hpack_lose_state(struct hpack *h);

/* What hpack_decode found in a block besides its fields. */
struct hpack_notes {
    size_t unknown;             /* fields skipped in lenient mode */
    /*
     * A dynamic table size update came after a field representation (RFC
     * 7541 §4.2: only at the start of a block); it was applied all the same,
     * so the table stays in step with the encoder's.
     */
    bool late_update;
};

/*
 * Decodes the header block p/n, calling fn for each field. *notes (may be
 * NULL) is filled in. Returns HPACK_OK or an HPACK_E_* (fields before the
 * error were reported; the table is then unreliable).
 */
int hpack_decode(struct hpack *h, const uint8_t *p, size_t n, hpack_field_fn fn, void *arg,
                 struct hpack_notes *notes) __attribute__((warn_unused_result));

/*
 * Reads an integer with an N-bit prefix (RFC 7541 §5.1) at *p (< end),
 * advancing *p. Returns HPACK_OK, HPACK_E_TRUNC or HPACK_E_INT.
 */
int hpack_int(const uint8_t **p, const uint8_t *end, unsigned prefix_bits, uint32_t *v);

/*
 * Decodes the Huffman string p/n (RFC 7541 §5.2, Appendix B) into out
 * (room for outcap bytes; n * 8 / 5 always suffices). Returns HPACK_OK,
 * HPACK_E_HUFF or HPACK_E_STR (out too small); *outlen gets the length.
 */
int hpack_huffman(const uint8_t *p, size_t n, uint8_t *out, size_t outcap, size_t *outlen);

/*
 * Entry i (1 = newest) of the dynamic table, for tests and diagnostics.
 * False when i is out of range.
 */
bool hpack_entry(const struct hpack *h, size_t i, const uint8_t **name, size_t *nlen,
                 const uint8_t **value, size_t *vlen);

#endif
