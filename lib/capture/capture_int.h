/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: capture reader internals shared by reader.c, pcap.c and pcapng.c.
 *
 * The reader owns one byte buffer. buf[beg, end) holds input not yet parsed;
 * buf[0] is input offset buf_off. A format's step function parses one
 * record (block) at buf + beg:
 *
 *   CAP_STEP_PKT   a packet was filled in; beg moved past its record
 *   CAP_STEP_SKIP  a non-packet record was consumed (pcapng IDB, NRB, ...)
 *   CAP_STEP_MORE  fewer than r->need bytes at beg; the reader reads more
 *                  (a step never returns MORE once r->eof is set: it reports
 *                  the truncation itself, or CAP_STEP_END at a clean end)
 *   CAP_STEP_END   clean end of input
 *   < 0            SV_E*, message in r->ed (set with cap_fail)
 *
 * Steps only look at buffered bytes; reader.c does all input and buffering.
 */
#ifndef SV_CAPTURE_INT_H
#define SV_CAPTURE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/cur.h"
#include "base/diag.h"
#include "base/limits.h"
#include "capture.h"

enum cap_step {
    CAP_STEP_END = 0,
    CAP_STEP_PKT = 1,
    CAP_STEP_SKIP = 2,
    CAP_STEP_MORE = 3,
};

typedef int (*cap_step_fn)(struct cap_reader *r, struct cap_pkt *pkt);

/* pcapng per-interface timestamp conversion (kept beside r->ifaces, same index). */
enum cap_ts_kind {
    CAP_TS_MUL = 0,         /* ns = units * ts_arg        (10^-n, n <= 9) */
    CAP_TS_DIV = 1,         /* ns = units / ts_arg        (10^-n, n > 9) */
    CAP_TS_SHIFT = 2,       /* ns = units * 10^9 >> ts_arg (2^-n, n < 94) */
    CAP_TS_FINER = 3,       /* ns = 0: units so fine that 2^64 of them are under 1 ns */
};

struct cap_ng_iface {
    uint8_t ts_kind;        /* enum cap_ts_kind */
    uint64_t ts_arg;
    int64_t ts_offset_s;    /* if_tsoffset: seconds added to every timestamp */
};

struct cap_reader {
    struct bytesrc *src;
    char *name;                 /* owned; the input in messages */
    enum cap_format fmt;
    enum cap_compression comp;

    uint8_t *buf;               /* the buffer in use: other[] holds the previous batch's */
    size_t cap;                 /* allocated bytes */
    uint8_t *other;             /* the other buffer (double buffering) */
    size_t other_cap;
    bool batched;               /* a batch was returned: switch buffers at the next one */
    size_t beg, end;            /* unparsed bytes */
    uint64_t buf_off;           /* input offset of buf[0] */
    size_t need;                /* with CAP_STEP_MORE: bytes wanted at beg */
    bool eof;                   /* the source returned 0 */
    bool done;                  /* clean end reported */
    bool was_full;              /* last batch stopped for want of buffer space */
    cap_step_fn step;

    int err;                    /* sticky error, 0 when none */
    struct diag ed;             /* detail of err (or of the error being built) */
    struct diag src_trunc;      /* the source's SV_ETRUNC, read as the end of input; code 0: none */
    uint64_t consumed;          /* cap_offset() */

    struct cap_iface *ifaces;
    struct cap_ng_iface *ng_ifaces;
    size_t niface, iface_cap;

    struct {
        bool be;                /* big-endian file */
        bool nsec;              /* nanosecond timestamps */
        size_t rechdr;          /* record header bytes: 16, or 24 for the "modified" format */
        uint8_t lenswap;        /* pcap.c's enum pcap_lenswap (versions before 2.4) */
    } pcap;
    struct {
        bool be;                /* byte order of the current section */
        bool in_section;        /* an SHB has been read */
        uint32_t sect_base;     /* global index of the section's first interface */
        /* a non-packet block over LIM_PCAPNG_BLOCK_MAX, skipped as it is read (pcapng.c) */
        uint32_t skip_len;      /* its length, 0 when none is being skipped */
        uint32_t skip_type;
        uint64_t skip_left;     /* its bytes still to skip before the trailing length */
        uint64_t skip_off;      /* its offset */
    } ng;
};

/*
 * Sets r->ed to "<name>: offset <off>[ (decompressed)]: <message>" and
 * returns code.
 */
int cap_fail(struct cap_reader *r, int code, uint64_t off, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Appends an interface (both arrays); returns its index or SV_ELIMIT past LIM_PCAPNG_IFACES. */
int cap_add_iface(struct cap_reader *r, uint64_t off, const struct cap_iface *ifc,
                  const struct cap_ng_iface *ng) __attribute__((warn_unused_result));

/*
 * Makes at least need bytes available at buf + beg, compacting and growing
 * the buffer as needed (need is at most CAP_RECORD_MAX). Returns 0 with the
 * bytes there, or 0 with r->eof set and fewer bytes, or a negative SV_E*
 * from the source (message in r->ed). Only for use when no packet handed
 * out points into the buffer.
 */
int cap_fill(struct cap_reader *r, size_t need) __attribute__((warn_unused_result));

/* Largest single record a step may ask for (a pcapng block; pcap is smaller). */
#define CAP_RECORD_MAX ((size_t)LIM_PCAPNG_BLOCK_MAX)

static inline uint64_t cap_off(const struct cap_reader *r)
{
    return r->buf_off + r->beg;
}

/* Format modules: parse the file header at offset 0 (the first 4 bytes are buffered). */
int cap_pcap_open(struct cap_reader *r) __attribute__((warn_unused_result));
int cap_pcapng_open(struct cap_reader *r) __attribute__((warn_unused_result));

/* True when the 4 bytes at p start a classic pcap file (any supported magic). */
bool cap_pcap_magic(const uint8_t *p);
/* True when the 4 bytes at p start a pcapng file (SHB block type). */
bool cap_pcapng_magic(const uint8_t *p);

#endif
