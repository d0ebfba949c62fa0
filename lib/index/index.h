/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: the columnar entry index: immutable segments that queries read
 * instead of re-dissecting captures.
 *
 * A segment holds the entries (entry.h records) of some streams of one node,
 * in blocks of at most IX_BLOCK_ROWS rows (fewer when their bytes or values
 * pass ix_int.h's caps), plus the first bytes of their bodies. Each entry becomes
 * one row over many columns: the fixed fields each in a column of their own
 * (numbers frame-of-reference packed, times against the rows', IPs
 * dictionary-coded), and the request and response sections shredded into a
 * "shape" (their structure without the values, dictionary-coded: entries of
 * one kind share it), one column per path of values (request.method,
 * response.status, request.grpc.service, ...: strings dictionary-coded per
 * block, numbers packed) and one key/value column per header map (names in
 * a dictionary per segment, values per block). Every column chunk is
 * compressed with zstd on its own, so a query decompresses only the columns
 * it reads, and the footer keeps per block and column the min and max of
 * numbers (zone maps) so that a time window skips blocks unread.
 *
 * The reader trusts nothing: every length, offset, code and count is
 * checked before use, and every byte is under a CRC-32C, so a corrupt
 * segment is an error naming it, never a crash or a wrong row. Reading
 * back gives each record byte for byte as ingest produced it.
 */
#ifndef SV_INDEX_H
#define SV_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct buf;
struct diag;
struct comp_block;
struct ent_view;

#define IX_BLOCK_ROWS 8192u
/* The file of a segment inside its directory (index/<segment>/). */
#define IX_SEGMENT_FILE "entries.svx"

struct ix_seg_info {
    uint64_t rows;
    uint64_t bytes;             /* file size */
    uint64_t first_ns, last_ns; /* earliest and latest request time (response's without one) */
    uint32_t blocks;
};

/*
 * Writes the n records recs[] (entry.h format, each starting with its
 * length) of node as a segment file at path, written under a temporary name
 * and renamed into place. The rows are sorted here. z compresses (one per
 * thread). Fills info.
 */
int ix_write_segment(const char *path, const char *node, const uint8_t *const *recs, size_t n,
                     struct comp_block *z, struct ix_seg_info *info, struct diag *d)
    __attribute__((warn_unused_result));

/*
 * The same, streaming: rows are written in the order added (zone maps are
 * then each block's range), a block at a time, into path's temporary name;
 * close writes the footer and renames the file into place. new returns NULL
 * (with d set) when the file cannot be created; abort drops a writer and
 * its file.
 */
struct ix_writer;
struct ix_writer *ix_writer_new(const char *path, const char *node, struct comp_block *z,
                                struct diag *d);
int ix_writer_add(struct ix_writer *x, const struct ent_view *v, struct diag *d)
    __attribute__((warn_unused_result));
uint64_t ix_writer_rows(const struct ix_writer *x);
int ix_writer_close(struct ix_writer *x, struct ix_seg_info *info, struct diag *d)
    __attribute__((warn_unused_result));
void ix_writer_abort(struct ix_writer *x);

/* ------------------------------------------------------------------ names */

/* A row's endpoints and time, as ix_rename asks for their names. */
struct ix_ends {
    uint8_t ipver;
    const uint8_t *src_ip, *dst_ip;     /* 16 bytes each */
    uint16_t src_port, dst_port;
    uint64_t t;                         /* the request's time (the response's without one) */
};
/* Fills nm[]/nmlen[] (entry.h's ENT_NAMES, "" for none) with the names of e's endpoints. */
typedef void (*ix_names_fn)(void *arg, const struct ix_ends *e, const char **nm, uint8_t *nmlen);

/*
 * Gives every row of the segment at path the names fn says, leaving the
 * rest as it is (every other chunk is copied byte for byte). Only when a
 * name changes is the segment written, to dst (or over path when dst is
 * NULL), under a temporary name renamed into place; *changed says so. info
 * gets the segment's figures (its new size).
 */
int ix_rename(const char *path, const char *dst, ix_names_fn fn, void *arg,
              struct comp_block *z, bool *changed, struct ix_seg_info *info, struct diag *d)
    __attribute__((warn_unused_result));
/*
 * Gives the rows of the block x is building the names fn says, before
 * ix_writer_close writes it: what ix_rename would do to them afterwards,
 * without writing the segment twice. True when that named every row of
 * the segment (no block of it was written before).
 */
bool ix_writer_name(struct ix_writer *x, ix_names_fn fn, void *arg);

/* ---------------------------------------------------------------- reading */

struct ix_seg;

/*
 * Opens and validates a segment file (header, footer, column catalogue,
 * block directory). Errors name the file and the offset. One thread at a
 * time per segment.
 */
int ix_open(struct ix_seg **out, const char *path, struct diag *d)
    __attribute__((warn_unused_result));
/*
 * The same, reading the file into fb instead of mapping it: a buffer one thread
 * reuses from segment to segment (grown to the file's size as needed; release
 * it with ix_filebuf_release), so that scanning many segments costs no page
 * mapping. Only the header and the footer are read at open; a block load
 * reads (pread) and checks the chunks of the columns it asks for when they are
 * first needed, so a query that shows no bodies never reads theirs. The
 * segment borrows fb and keeps the file open: close it before fb is used again.
 * Closing it leaves its decoding state in fb for the next segment: the arrays
 * a block decodes into are then already in memory, not fresh pages to fault
 * in for every segment.
 */
struct ix_spare;
struct ix_filebuf {
    uint8_t *p;
    size_t cap;
    struct ix_spare *spare;     /* the last closed segment's decoding state (its column
                                 * arrays, shapes, zstd context), which the next segment
                                 * opened with this buffer takes over */
};
int ix_open_buf(struct ix_seg **out, const char *path, struct ix_filebuf *fb, struct diag *d)
    __attribute__((warn_unused_result));
void ix_filebuf_release(struct ix_filebuf *fb);
/* The same over bytes in memory (copied); name is used in errors. */
int ix_open_mem(struct ix_seg **out, const char *name, const void *p, size_t n, struct diag *d)
    __attribute__((warn_unused_result));
void ix_close(struct ix_seg *s);

const struct ix_seg_info *ix_info(const struct ix_seg *s);
const char *ix_node(const struct ix_seg *s);
uint32_t ix_block_rows(const struct ix_seg *s, uint32_t b);
/* Zone map of block b: its rows' first and last request time (0, 0 when none). */
void ix_block_time(const struct ix_seg *s, uint32_t b, uint64_t *first, uint64_t *last);

/*
 * Rebuilds every record of block b in row order, appending them to out in
 * entry.h's record format. Checks the CRC of every chunk it reads (once per
 * open segment) and every value first.
 */
int ix_block_records(struct ix_seg *s, uint32_t b, struct buf *out, struct diag *d)
    __attribute__((warn_unused_result));
/* The same without the kept bodies (their lengths are 0): what a query that shows none reads. */
int ix_block_records_nobody(struct ix_seg *s, uint32_t b, struct buf *out, struct diag *d)
    __attribute__((warn_unused_result));

/*
 * The same for the rows i of block b with sel[i] != 0 only (sel has one byte per
 * row), with the kept bodies or without: what a query plan reads when the
 * columns left some rows undecided. The other rows cost no rebuilding.
 */
int ix_block_records_sel(struct ix_seg *s, uint32_t b, const uint8_t *sel, bool bodies,
                         struct buf *out, struct diag *d) __attribute__((warn_unused_result));

/* ------------------------------------------------------------ column scans */

/* Columns by name: a fixed column ("stream", "req_ns", ...) or a section path. */
enum ix_sec { IX_SEC_REQ = 0, IX_SEC_RESP = 1, IX_SEC_NONE = 2 };
/*
 * The id of the column of section sec at path (keys separated by '.', an
 * array as "[]": "grpc.service", "questions[].name"), or of a fixed column
 * (sec IX_SEC_NONE: "proto", "src.name", ...; a section's "$shape"); -1 when
 * the segment has none.
 */
int ix_col_find(const struct ix_seg *s, enum ix_sec sec, const char *path);

/*
 * Loads columns cols[0..ncols) of block b (and what they need: section
 * columns need their section's shapes). Later calls read them.
 */
int ix_block_load(struct ix_seg *s, uint32_t b, const int *cols, size_t ncols, struct diag *d)
    __attribute__((warn_unused_result));
/* The number of columns, and column col's name ("request.method", "req_ns", ...) and bytes. */
size_t ix_ncols(const struct ix_seg *s);
void ix_col_describe(const struct ix_seg *s, int col, char *name, size_t n, uint64_t *stored,
                     uint64_t *raw);
/* A loaded number or time column of the block: one value per row. */
const uint64_t *ix_col_u64(const struct ix_seg *s, int col);
/* A loaded IP column: the row's 16 bytes. */
const uint8_t *ix_col_ip(const struct ix_seg *s, int col, uint32_t row);
/*
 * A loaded leaf column, its first value in a row: true with a string
 * (*p, *n) or a number (*p NULL, *num); false when the row has none.
 */
bool ix_leaf_first(struct ix_seg *s, int col, uint32_t row, const uint8_t **p, size_t *n,
                   uint64_t *num);
/*
 * The same for every row at once (what a scan uses): per row, the code of
 * its first string (-1: none), and the index in nums of its first number
 * (-1: none). Valid until the next load.
 */
struct ix_leaf_rows {
    const int32_t *code;
    const int32_t *num;
    const uint64_t *nums;
};
bool ix_leaf_rows(struct ix_seg *s, int col, struct ix_leaf_rows *out);
/* A loaded string-per-row column (IPs): the codes, one per row. */
const uint64_t *ix_col_codes(const struct ix_seg *s, int col);
/* String code of a loaded string or leaf column's block dictionary (NULL, 0 past its end). */
void ix_dict_str(const struct ix_seg *s, int col, uint64_t code, const uint8_t **p, size_t *n);


/* ------------------------------------------------------- for query plans */

/*
 * The zone map of column col in block b, from the directory (nothing is read):
 * the min and max of its numbers (number columns: every row's; times: the
 * non-zero ones; leaf columns: their numbers; 0, 0 when it has none). False
 * when the block has no chunk of col.
 */
bool ix_block_zone(const struct ix_seg *s, uint32_t b, int col, uint64_t *lo, uint64_t *hi);
/* The number of strings in a loaded column's block dictionary (codes are below it). */
size_t ix_dict_count(const struct ix_seg *s, int col);

/*
 * What the loaded block's shape `shape` (a code of ix_col_codes(s, IXC_*_SHAPE),
 * i.e. "$shape" of section sec) holds at the path keys[0..nkeys) (each key
 * klen[k] bytes), looked up as a reader of the entry's JSON would:
 *   IX_AT_NONE   nothing: the path is missing (null) in every row of this shape;
 *   IX_AT_STR    one string, the row's first value of leaf column *col;
 *   IX_AT_U64, IX_AT_I64  one number, the same (I64: zig-zag coded);
 *   IX_AT_MAP    keys[0..nkeys-1) is a header map, column *col (ix_map_rows), and
 *                keys[nkeys-1] is to be looked up in it;
 *   IX_AT_OTHER  anything else (a boolean, null, an object, a key twice or only in
 *                another case, a section kept raw): the columns cannot tell.
 */
enum ix_at { IX_AT_NONE, IX_AT_STR, IX_AT_U64, IX_AT_I64, IX_AT_MAP, IX_AT_OTHER };
enum ix_at ix_shape_at(const struct ix_seg *s, enum ix_sec sec, uint64_t shape,
                       const char *const *keys, const size_t *klen, size_t nkeys, int *col);

/*
 * A loaded header-map column, every row at once: map[row] is the number of the
 * row's (first) map in the block, -1 for none; map m has pairs[m] pairs from
 * first[m]; pair p is header name name[p] (ix_header_name) with value value[p]
 * (ix_dict_str of col). Valid until the next load.
 */
struct ix_map_rows {
    const int32_t *map;
    const uint64_t *first, *pairs;
    const uint64_t *name, *value;
};
bool ix_map_rows(struct ix_seg *s, int col, struct ix_map_rows *out);
/* The segment's header names: how many, and one by its code. */
size_t ix_header_names(const struct ix_seg *s);
void ix_header_name(const struct ix_seg *s, uint64_t code, const uint8_t **p, size_t *n);

#endif
