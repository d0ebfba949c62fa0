/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: what the ingest's phases share (split.c: decode and assign;
 * swriter.c: the per-bucket stream writer). See split.c for the design.
 */
#ifndef SV_STORE_SPLIT_INT_H
#define SV_STORE_SPLIT_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/diag.h"
#include "base/region.h"
#include "base/slab.h"
#include "capture/capture.h"
#include "cbuf.h"
#include "decode/decode.h"
#include "flow/flow.h"
#include "store.h"
#include "store_int.h"

#define OTHER_BUCKET STORE_BUCKETS
#define NTASKS (STORE_BUCKETS + 1)
#define SPILL_FLUSH (256u * 1024)
#define PACKBUF_SIZE (256u * 1024)
#define EV_END UINT32_MAX

enum sfmt { SF_PCAP = 0, SF_PCAPNG = 1 };

struct sif {                    /* an IDB of a pcapng stream */
    uint32_t linktype, snaplen;
    uint8_t prec;
};

/* A live stream during ingest. Phase B owns rec's counters; phase C the writer. */
struct sstream {
    struct store_stream rec;
    uint32_t bucket;
    /* writer */
    struct cbuf data;           /* records (or pcapng blocks) not yet written out */
    uint8_t fmt;                /* enum sfmt */
    uint8_t prec;               /* PCAP mode: 6 or 9 */
    uint32_t linktype, snaplen; /* PCAP mode */
    uint32_t hdr_snaplen;       /* snaplen in the header already on disk (spilled) */
    struct sif *ifs;
    uint32_t nifs;
    uint64_t npk;               /* packets handed to the writer */
    uint64_t file_len;
    char *path;                 /* own file, once spilled */
    bool spilled;
    struct sstream *aprev, *anext;  /* bucket's live list (for the memcap) */
};

struct ev {
    uint32_t idx;               /* packet index in the batch, or EV_END */
    struct sstream *s;
};

struct bucket {
    uint32_t id;
    struct ev *ev;
    size_t nev, evcap;
    int pack_fd;
    uint32_t pack_seq;
    uint64_t pack_off;
    char *pack_path;
    uint64_t buffered;
    struct sstream *live;
    struct cpool *pool;         /* the split's shared buffer pool */
    struct sstream *dead;       /* ended in phase C; back to the slab after it (linked by anext) */
    struct buf scratch, scratch2;
    struct buf packbuf;         /* small streams gathered for one write into the pack */
    int rc;
    struct diag d;
};

/* A fragment key remembered until its later fragments arrive (direct-mapped). */
struct frag_ent {
    bool used;
    uint8_t ipver, proto;
    uint32_t frag_id;
    uint8_t src[16], dst[16];
    struct flow_key key;
    uint64_t stream_id;
};

struct pinfo {                  /* per packet of a batch (phase A output) */
    struct dec_pkt dec;
    struct flow_key key;
    uint64_t hash;
    const struct cap_iface *ifc;
    int side;
    struct sstream *s;          /* phase B: its stream, NULL = not yet known */
};

struct split {
    const struct store_ingest_opts *o;
    struct store_ingest_result *res;
    char *tmp_root;
    char *node_dir;
    struct flow_table *ft;
    struct slab streams;        /* struct sstream, allocated in phase B */
    struct region region;       /* memory of flows, streams and buffer pools */
    struct cpool pool;          /* stream buffers, shared by the buckets */
    struct bucket b[NTASKS];
    struct sstream *other;
    struct store_stream **cat;  /* blocks of STORE_CAT_BLOCK records, by stream id - 1 */
    size_t ncat, nblocks;
    uint64_t next_id;
    uint64_t now_ns;
    uint64_t bucket_memcap;
    struct frag_ent *frag;
    /* batch */
    struct cap_pkt *pkts;
    struct pinfo *pi;
    struct ends {
        uint32_t pos;
        struct sstream *s;
    } *ends;
    size_t nends, endcap;
    uint32_t *pending;
    size_t npending, pendcap;
    struct store_input *in;     /* the input being read */
};


/* The catalogue slot of stream id. */
static inline struct store_stream *split_cat(struct split *sp, uint64_t id)
{
    return &sp->cat[(id - 1) / STORE_CAT_BLOCK][(id - 1) % STORE_CAT_BLOCK];
}

/* Phase C: runs every bucket's events; returns the first error in bucket order. */
int swr_run_buckets(struct split *sp, struct diag *d) __attribute__((warn_unused_result));
/* Writes out what the buckets gathered for their packs and closes them. */
int swr_close_packs(struct split *sp, struct diag *d) __attribute__((warn_unused_result));
/* Frees what a stream holds (not the stream itself, which belongs to the slab). */
void swr_stream_clear(struct sstream *s);

#endif
