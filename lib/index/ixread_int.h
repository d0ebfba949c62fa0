/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: the reader's state, shared by ixread.c (opening, validation,
 * block loading, shapes), ixrows.c (rebuilding records, scans) and ixscan.c
 * (what query plans read).
 */
#ifndef SV_INDEX_IXREAD_INT_H
#define SV_INDEX_IXREAD_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "index.h"
#include "ixvec.h"

struct diag;

/* A part's decompressed size is capped (a block holds at most IX_BLOCK_ROWS entries). */
#define IX_PART_MAX (1024u * 1024 * 1024)
/* Segment files read whole are capped. */
#define IX_FILE_MAX (16ull * 1024 * 1024 * 1024)

struct rchunk {
    uint32_t col;
    uint8_t flags;
    size_t dict_off, dict_len, dict_raw, data_off, data_len, data_raw;
    uint64_t lo, hi;
    uint32_t crc;               /* of the chunk's bytes, dict_off .. data_off + data_len */
    bool crc_ok;                /* the bytes are in s->file (read, when lazy) and checked */
};

struct rblock {
    uint32_t rows;
    uint64_t t0, t1;
    size_t off, len;
    struct rchunk *ch;
    size_t nch;
};

/*
 * A shape compiled into ops. The literal bytes of the shape before a value
 * (its tag and key) are that value's op's prefix, so a row's value is put
 * in one step; only literals no value follows (ends of containers) are
 * ops of their own.
 */
enum { OP_LIT, OP_STR, OP_NUM, OP_MAP, OP_RAW };
struct op {
    uint8_t type;
    uint32_t col;
    const uint8_t *p;           /* OP_LIT: bytes; OP_MAP: the key (length byte, bytes) */
    size_t n;
    const uint8_t *lit;         /* OP_STR, OP_NUM, OP_MAP: the literal bytes before it */
    size_t nlit;
};

/*
 * A dictionary string: its bytes and, just before them in the dictionary,
 * its length as a varint of hdr bytes, the way a record holds a string (so
 * a record's string is copied as hdr + n bytes from p - hdr).
 */
struct dstr {
    const uint8_t *p;
    uint32_t n, hdr;
};

/* What a column holds for the loaded block. */
struct lcol {
    bool loaded;
    uint64_t *u;                /* U/TIME: one per row; DICT: codes; LEAF: string codes;
                                 * MAP: pair counts; RAW: lengths */
    size_t nu;
    uint64_t *v;                /* LEAF: numbers; MAP: name codes */
    size_t nv;
    uint64_t *w;                /* MAP: value codes */
    size_t nw;
    struct dstr *ds;            /* the dictionary's strings */
    size_t nd;
    const uint8_t *blob;        /* RAW: the bytes */
    size_t nblob;
    int32_t *first_s, *first_n; /* LEAF, scans: per row, its first string's code and the
                                 * index of its first number in v, or -1 */
    bool first_ok;              /* first_s and first_n (MAP: first_s and mfirst) are computed
                                 * for this block */
    uint64_t *mfirst;           /* MAP, scans: per map, its first pair (ixscan.c) */
    size_t cap_u, cap_v, cap_w, cap_d, cap_f, cap_mf;
    struct ixv dict, data;      /* decompressed parts */
};

/* A section's shapes, compiled. */
struct shapes {
    struct op *ops;
    size_t nops, capops;
    size_t first;               /* while compiling: the shape's first op */
    size_t *start;              /* shape s: ops[start[s] .. start[s + 1]) */
    size_t capstart;
};

/*
 * What a closed segment leaves in its ix_filebuf for the next one: the
 * buffers that decoding a block fills (see ix_filebuf in index.h).
 */
struct ix_spare {
    struct lcol *lc;
    uint64_t *key;              /* per slot, the column it held (col_key in ixread.c) */
    size_t nlc;
    struct shapes sh[2];
    struct comp_block *z;
    uint64_t *tally;
    size_t captally;
};

struct ix_seg {
    char *name;
    uint8_t *file;
    size_t size;
    bool mapped;                /* file is mmap'd (ix_open), else malloc'd */
    bool borrowed;              /* file is the caller's buffer (ix_open_buf) */
    bool lazy;                  /* (ix_open_buf) only the header and footer are in file;
                                 * a chunk's bytes are read from fd when first needed */
    int fd;                     /* with lazy: the open segment file */
    uint32_t version;           /* the format (IX_VERSION_MIN to IX_VERSION) */
    struct ix_seg_info info;
    char *node;
    size_t ncols;
    uint8_t *kind, *sec;
    const uint8_t **cname;
    size_t *cnamelen;
    const uint8_t **names;      /* header names */
    size_t *namelen, nnames;
    struct rblock *blk;
    uint32_t nblk;
    int32_t cur;                /* block loaded, -1 none */
    struct lcol *lc;            /* ncols in use, caplc allocated */
    uint64_t *lckey;            /* per slot of lc, the column it holds or last held */
    size_t caplc;
    struct ix_filebuf *fb;      /* (ix_open_buf) where the decoding state goes at close */
    struct shapes sh[2];
    struct comp_block *z;
    uint64_t *tally;            /* per column: values the rows take (see tally()) */
    size_t captally;
    uint64_t tally_total;
    size_t foot_off, dir_off;   /* where the footer and its block directory start */
};

/* An error naming the segment and the offset; returns SV_EFORMAT. */
int ix_corrupt(struct diag *d, const struct ix_seg *s, size_t off, const char *what);

#endif
