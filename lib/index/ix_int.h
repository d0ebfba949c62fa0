/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: the index segment format, shared by the writer and the reader
 * (docs/FORMAT.md "index/<segment>/entries.svx" is the prose version).
 *
 *   header (64 bytes) | block 0 | block 1 | ... | footer
 *
 * Header: magic "SVIDX\0\0\1", u32 version, u32 flags, u64 rows, u64
 * first_ns, u64 last_ns, u64 footer offset, u32 footer length, u32 blocks,
 * u32 zero, u32 CRC-32C of the 60 bytes before it. Blocks tile the bytes
 * from 64 to the footer; the footer ends the file and its last 4 bytes are
 * the CRC-32C of the rest of it; each column chunk's CRC is in the footer's
 * block directory. So every byte of a segment is under a checksum, and a
 * reader reads and checks only the chunks of the columns it needs.
 *
 * A block is a run of chunks, one per column present in it; a chunk is a
 * "dictionary" part (possibly empty) and a "data" part, each stored zstd
 * compressed or as they are (chunk flags). Which values the parts hold
 * depends on the column's kind (IXK_*). Integers inside parts are LEB128
 * varints ("v") or packed arrays ("U": u8 width in bits 0..64, v base,
 * then count numbers of width bits, packed little-endian (value i in bits
 * i*width .. i*width + width - 1 of the bytes), in ceil(count*width/8)
 * bytes; each value is base + its number, so width 0 means all are base).
 * Strings are v length + bytes.
 */
#ifndef SV_INDEX_INT_H
#define SV_INDEX_INT_H

#include <stdint.h>

#define IX_MAGIC "SVIDX\0\0\1"
#define IX_MAGIC_LEN 8u
#define IX_VERSION 5u
/* The oldest format this build reads: 4 only allows a data part of several zstd frames. */
#define IX_VERSION_MIN 3u
#define IX_HDR_LEN 64u

/* Column kinds. */
enum ix_kind {
    IXK_U = 1,      /* a number per row. data: U (count = rows) */
    IXK_TIME = 2,   /* a time per row, 0 = none. data: v base, v unit (format 5), U of the
                     * times coded against the rows' request times (ix_time_encode, ixvec.h) */
    IXK_DICT = 3,   /* a string per row (IPs, shapes). dict: v n, n strings; data: U codes */
    IXK_LEAF = 4,   /* a section's values at one path: dict: v n, n strings;
                     * data: v nstr, U codes (nstr), v nnum, U numbers (nnum) */
    IXK_MAP = 5,    /* a header-like map: dict: v n, n value strings; data: v nmaps,
                     * U pair counts (nmaps), v npairs, U name codes (segment names),
                     * U value codes (npairs) */
    IXK_RAW = 6,    /* sections kept whole: data: v n, U lengths (n), the bytes */
    IXK_BLOB = 7,   /* bytes per row (bodies): data: v n (= rows), U lengths (n), the bytes
                     * (format 4: compressed in several frames when framed, FORMAT.md) */
};

/* Chunk flags. */
enum { IXC_DICT_ZSTD = 1, IXC_DATA_ZSTD = 2 };

/*
 * The columns every segment has, in this order, with these names; the
 * section columns (leaves and maps, found while writing) follow them.
 */
enum ix_fixed_col {
    IXC_STREAM, IXC_INDEX, IXC_PROTO, IXC_L4, IXC_IPVER, IXC_FLAGS, IXC_ANOMALIES,
    IXC_SRC_PORT, IXC_DST_PORT,
    IXC_REQ_NS, IXC_REQ_END_NS, IXC_RESP_NS, IXC_RESP_END_NS,
    IXC_REQ_SIZE, IXC_RESP_SIZE, IXC_REQ_PKT, IXC_RESP_PKT, IXC_LAST_PKT,
    IXC_SRC_IP, IXC_DST_IP,
    IXC_REQ_SHAPE, IXC_RESP_SHAPE, IXC_REQ_RAW, IXC_RESP_RAW,
    IXC_REQ_BODY, IXC_RESP_BODY,
    /* the endpoints' names (entry.h's ENT_NAMES, in its order): strings per row */
    IXC_SRC_NAME, IXC_SRC_NS, IXC_SRC_POD, IXC_SRC_SVC, IXC_SRC_DNS,
    IXC_DST_NAME, IXC_DST_NS, IXC_DST_POD, IXC_DST_SVC, IXC_DST_DNS,
    IXC_FIXED_COUNT
};

struct ix_fixed_def {
    const char *name;
    uint8_t kind;
    uint8_t section;    /* 0 request, 1 response, 2 neither */
};
extern const struct ix_fixed_def ix_fixed_cols[IXC_FIXED_COUNT];

/*
 * Shapes. A section's shape is its binary form (entry.h) with every value
 * taken out: the tags, keys, containers, booleans and nulls stay, and each
 * string or number is replaced by the varint column id where the value went
 * (tags ENT_T_STR, ENT_T_U64, ENT_T_I64 keep their meaning). A header map is
 * IX_T_MAP, its key, and the varint id of its IXK_MAP column. A section that
 * could not be shredded is the one byte IX_T_RAW: its bytes are the next
 * value of the section's raw column. An empty section has an empty shape.
 */
enum { IX_T_MAP = 0x20, IX_T_RAW = 0x21 };

/* Column ids, names and values are capped per segment (a section beyond them stays raw). */
#define IX_MAX_COLS 4096u
#define IX_MAX_NAMES 65536u
/*
 * Values (strings, numbers, map pairs, raw sections) one block holds at
 * most: a block ends early rather than pass it, so a reader's memory per
 * block is bounded whatever the rows hold.
 */
#define IX_BLOCK_VALUES (4u * 1024 * 1024)
/*
 * Section bytes one block holds at most, and body bytes as the writer holds
 * them (compressed, but for the last frame's worth): a writer's memory is
 * bounded too.
 */
#define IX_BLOCK_BYTES (4u * 1024 * 1024)
/*
 * Body bytes one block holds at most before compression (what a reader
 * that shows bodies holds per body column). Bodies are compressed as they
 * come, a frame per IX_BODY_FRAME bytes, so they need not cut blocks short:
 * measured on the 1 GiB gencap capture, blocks cut at 4 MiB of raw bodies
 * held 1,690 rows on average and their dictionaries grew the index by a
 * tenth.
 */
#define IX_BLOCK_BODY_RAW (16u * 1024 * 1024)
#define IX_BODY_FRAME (1024u * 1024)

/*
 * The column a time column (IXK_TIME) is coded against, row by row
 * (FORMAT.md): the response time for the response's end, the request's
 * packet number for the other packet numbers (format 4), the request time
 * for the rest; IXC_REQ_NS itself goes against the rows before it.
 */
static inline uint32_t ix_time_ref(uint32_t col)
{
    return col == IXC_RESP_END_NS                        ? IXC_RESP_NS
           : col == IXC_RESP_PKT || col == IXC_LAST_PKT ? IXC_REQ_PKT
                                                         : IXC_REQ_NS;
}

/* Section column names: u8 section, then the path's keys, each v (length + 1) + bytes; 0 = "[]". */

/* A chunk's entry in a block's directory (after its column id). */
struct ix_chunk_dir {
    uint8_t flags;              /* IXC_* */
    size_t dl, dr, al, ar;      /* the dictionary's and the data's stored and raw sizes */
    uint64_t lo, hi;            /* zone map */
    uint32_t crc;               /* CRC-32C of the chunk's bytes (dictionary and data parts) */
};

struct ixv;
struct comp_block;
/*
 * Appends to blk the chunk of an IXK_DICT column holding the rows strings
 * (p[i], n[i]) as the writer would (dictionary codes in order of first
 * appearance, each part compressed with z when that pays), and fills dir.
 * lib/index/ixrename.c uses it to put new names into an existing segment.
 */
void ix_put_dict_chunk(struct comp_block *z, const char *const *p, const uint8_t *n, size_t rows,
                       struct ixv *blk, struct ix_chunk_dir *dir);

#endif
