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
#include "decode/defrag.h"
#include "dissect/dissect.h"
#include "index/index.h"
#include "reasm/reasm.h"

#define OTHER_BUCKET STORE_BUCKETS
#define NTASKS (STORE_BUCKETS + 1)
#define SPILL_FLUSH (256u * 1024)
#define PACKBUF_SIZE (256u * 1024)
#define PACK_GATHER_IOV 1024u      /* iovecs of one gathered writev into a pack (IOV_MAX) */
#define ENTBUF_FIRST (512u * 1024) /* allocated at once for the entries of a batch */
/*
 * Index segments are written per group of IX_GROUP_BUCKETS buckets, not per
 * bucket (ixbuild.c): an eighth of the writers' memory, blocks that fill,
 * and a few segments for a query to open instead of 64.
 */
#define IX_GROUPS 8u
#define IX_GROUP_BUCKETS (STORE_BUCKETS / IX_GROUPS)
#define EV_END UINT32_MAX          /* the stream has ended: write it out */
#define EV_SPILL (UINT32_MAX - 1)  /* create the stream's own file now */
#define EV_FLUSH (UINT32_MAX - 2)  /* append what is buffered to the stream's own file */
#define PEND_CLASSES 48            /* size classes of buffered bytes: floor(log2) */
#define STORE_CAT_BLOCKS 65536u   /* x 65536 records: 2^32 streams per node */

enum sfmt { SF_PCAP = 0, SF_PCAPNG = 1 };

struct sif {                    /* an IDB of a pcapng stream */
    uint32_t linktype, snaplen;
    uint8_t prec;
};

/* A live stream during ingest. Phase B owns rec's counters; phase C the writer. */
struct sstream {
    struct store_stream rec;
    uint32_t bucket;
    uint32_t wflags;            /* STORE_S_* the writer sets (rec belongs to phase B) */
    /* phase B's account of the buffer (decides spills and flushes, see assign_buffers) */
    uint64_t pend;              /* PCAP bytes buffered in phase C's view, once executed */
    uint64_t size;              /* PCAP bytes of the whole stream so far */
    bool own_file;              /* a spill was ordered */
    int8_t pcls;                /* size class list it is on, -1 when none */
    struct sstream *pprev, *pnext;
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
    struct dsx *dsx;            /* its dissection (phase C), NULL until its first packet */
    struct defrag *defrag;      /* its IP fragments being reassembled for dissection */
};

struct ev {
    uint32_t idx;               /* packet index in the batch, or EV_END/EV_SPILL/EV_FLUSH */
    uint32_t seq;               /* the event's number among all buckets' (split.ev_seq), mod
                                 * 2^32: a batch's events (a packet's, a live flow's end) are
                                 * far fewer than 2^31, so seq_before() orders them */
    struct sstream *s;
};

/* Whether event number a (ev.seq) came before b, both of one batch. */
static inline bool seq_before(uint32_t a, uint32_t b)
{
    return (int32_t)(a - b) < 0;
}

/* Entry records a bucket's event emitted: those up to ents[k] offset end. */
struct erun {
    uint32_t seq;               /* the event's (ev.seq) */
    size_t end;
};

struct evq {
    struct ev *v;
    size_t n, cap;
};

/*
 * A DNS answer a bucket saw: name (in its seen_names) has address ip, first
 * at t0 and last at t1 (the bucket's later answers of the same name for ip
 * only widen it).
 */
struct dns_seen {
    uint64_t t0, t1;
    uint8_t ipver;
    uint8_t ip[16];
    size_t name, namelen;
};

/*
 * Small ended streams, gathered for one writev into the pack: their file
 * headers and their buffers' chunks, which go back to the pool only once
 * written (no copy into a staging buffer).
 */
struct pack_gather {
    struct iovec iov[PACK_GATHER_IOV];
    uint8_t hdr[PACK_GATHER_IOV][32];   /* a file header per gathered stream */
    uint32_t niov, nhdr;
    size_t len;                         /* bytes gathered */
    struct cbuf held;                   /* the gathered streams' chunks */
};

struct bucket {
    uint32_t id;
    struct evq q[2];            /* events of the batch being written and of the next */
    int pack_fd;
    uint32_t pack_seq;
    uint64_t pack_off;
    char *pack_path;
    struct sstream *live;
    struct cpool *pool;         /* this bucket's buffer chunks (points at pool_s) */
    struct cpool pool_s;
    struct slab_chain dead;     /* ended in phase C; back to the slab after it, at once */
    struct buf scratch, scratch2;
    struct pack_gather *gather; /* small streams gathered for one write into the pack */
    struct buf ents[2];          /* entry records of batches k, not yet indexed */
    struct erun *runs[2];       /* which event emitted which of them */
    size_t nruns[2], capruns[2];
    struct dsx_sink sink;       /* where this bucket's dissectors write (ents[k]) */
    struct reasm_budget budget; /* reassembly memory of this bucket's streams */
    char *ent_path;             /* the entries file, once created */
    struct dns_seen *seen;      /* the DNS answers of its entries (names.c) */
    size_t nseen, capseen;
    struct buf seen_names;
    uint32_t *seen_slot;        /* IP -> its last sighting (index + 1), open addressing */
    size_t seen_dropped;        /* new sightings past LIM_NAMES_DNS_SEEN */
    int rc;
    struct diag d;
};

/* A fragment key remembered until its later fragments arrive (direct-mapped). */
/* What names an IP datagram that came in fragments: the same in each of them. No padding. */
struct frag_key {
    uint8_t src[16], dst[16];
    uint32_t id;
    uint8_t ipver, proto;       /* proto: dec_pkt.frag_proto */
    uint8_t pad[2];
};

struct frag_ent {
    uint64_t seq;               /* when it was remembered (the set's oldest goes first) */
    uint64_t ts_ns;             /* the first fragment's time */
    bool used;
    struct frag_key dg;
    struct flow_key key;
    uint64_t stream_id;
};

struct pinfo {                  /* per packet of a batch (phase A output) */
    struct dec_pkt dec;
    struct flow_key key;
    uint64_t hash;
    struct cap_iface ifc;       /* a copy: the reader's table may grow meanwhile */
    int side;
    struct sstream *s;          /* phase B: its stream, NULL = not yet known */
    bool carried;               /* phase B: a later fragment carried to the next batch */
};

/*
 * Later IP fragments whose first fragment has not come (assign in split.c):
 * within a batch they wait on a chain per fragment slot, and those still
 * waiting at its end are copied and put at the front of the next batch.
 * Their bytes live in the slot of that batch's number (mod 3): freed two
 * batches on, once the writers of the batch that used them are done.
 */
struct frag_carry {
    uint32_t *head;             /* per fragment slot, the newest waiting packet index */
    uint32_t *next;             /* per packet index of the batch, the next on its chain */
    struct cap_pkt *pk;         /* those carried to the next batch */
    size_t npk;
    uint64_t bytes;
    struct {
        uint8_t **own;          /* the copies of a batch's carried packets */
        size_t n, cap;
    } slot[3];
};

/* The index segments of a group of buckets (ixbuild.c). */
struct ixgroup {
    uint32_t id;
    struct ix_writer *ix;       /* the segment being written */
    uint64_t ix_bytes;          /* record bytes in it */
    struct comp_block *zc;      /* its compressor */
    struct store_segment_info *seg;     /* the segments written, in order */
    size_t nseg, capseg;
    int rc;
    struct diag d;
};

struct split {
    const struct store_ingest_opts *o;
    struct store_ingest_result *res;
    char *tmp_root;
    char *node_dir;
    struct flow_table *ft;
    struct slab streams;        /* struct sstream, allocated in phase B */
    struct region region;       /* memory of flows, streams and buffer pools */
    struct bucket b[NTASKS];
    struct ixgroup g[IX_GROUPS];
    uint32_t ev_seq;            /* events queued so far, all buckets, all batches (mod 2^32) */
    int ix_pending;             /* the batch whose entries the groups are to index next, or -1 */
    struct sstream *other;
    struct store_stream **cat;  /* STORE_CAT_BLOCKS blocks of STORE_CAT_BLOCK records, by id - 1;
                                   the array never moves (writers use it while ids are added) */
    size_t ncat, nblocks;
    uint64_t next_id;
    uint64_t now_ns;            /* the time of the packet being assigned (eviction's clock) */
    uint64_t *clk_latest;       /* per interface (of any input): the latest time of its packets */
    uint64_t *clk_input;        /* per interface: the input (inputs) that last had a packet of it */
    size_t clk_cap, clk_input_cap;
    uint64_t inputs;            /* inputs opened so far */
    uint64_t pend_total;        /* sum of pend over live streams */
    struct sstream *pend_list[PEND_CLASSES];
    struct frag_ent *frag;
    uint64_t frag_seq;          /* frag_ent.seq of the newest */
    /* batch */
    struct cap_pkt *pkts[2];    /* two batches: one assigned while the other is written */
    struct pinfo *pi[2];
    int k;                      /* the batch being read and assigned */
    size_t batch_max;           /* packets a batch holds at most (LIM_BATCH_PACKETS) */
    uint64_t pack_max;          /* a pack takes no more streams past this (LIM_PACK_FILE_MAX) */
    uint64_t memcap;            /* o->memcap, or the layout's default */
    bool writing;               /* bucket tasks of batch k ^ 1 are running */
    struct ends {
        uint32_t pos;
        struct sstream *s;
    } *ends;
    size_t nends, endcap;
    uint32_t *pending;
    size_t npending, pendcap;
    struct frag_carry carry;
    uint64_t batch_no;          /* batches assigned so far */
    struct store_input *in;     /* the input being read */
    struct names *names;        /* the sealed history (swr_names_seal), NULL before or when empty */
    struct names *names_own;    /* it, when ingest made it (no --names) */
};


/* The catalogue slot of stream id. */
static inline struct store_stream *split_cat(struct split *sp, uint64_t id)
{
    return &sp->cat[(id - 1) / STORE_CAT_BLOCK][(id - 1) % STORE_CAT_BLOCK];
}

/*
 * Phase C, inside an OpenMP parallel region's single construct: swr_spawn
 * starts one task per bucket with events of batch k, and one per index
 * group for the entries of the batch before (ix_pending; they are indexed
 * while the buckets write the next batch); swr_wait waits for them,
 * recycles the streams they ended and returns the first error in bucket
 * order, then group order.
 */
void swr_spawn(struct split *sp, int k);
int swr_wait(struct split *sp, struct diag *d) __attribute__((warn_unused_result));
/* Phase C for batch k on its own, its entries indexed: in a parallel region. */
int swr_run_buckets(struct split *sp, int k, struct diag *d) __attribute__((warn_unused_result));
/* Writes out what the buckets gathered for their packs and closes them. */
int swr_close_packs(struct split *sp, struct diag *d) __attribute__((warn_unused_result));
/*
 * Opens path to write: created (O_EXCL; its directory made when missing),
 * or appended to.
 */
int swr_open_out(const char *path, bool create, struct diag *d) __attribute__((warn_unused_result));
/* Frees what a stream holds (not the stream itself, which belongs to the slab). */
void swr_stream_clear(struct sstream *s);
/*
 * The entry index (ixbuild.c): swr_index_group() adds the entries the
 * group's buckets emitted in batch k to the group's segment, in the order
 * of the events that emitted them (ev.seq: the same whatever the batches,
 * the threads), and with --keep-entries to the buckets' entries files;
 * swr_index_finish() closes every group's segment and lists them all in
 * res, naming the rows of the blocks still open after sp->names first.
 */
void swr_index_group(struct split *sp, struct ixgroup *g, int k);
int swr_index_finish(struct split *sp, struct store_ingest_result *res, struct diag *d)
    __attribute__((warn_unused_result));
/*
 * Names (names.c): swr_names_batch() keeps the DNS answers of an entry the
 * bucket indexes; swr_names_seal(), once every packet is read, merges them
 * into the user's history and seals it (sp->names, with swr_name_row() to
 * name rows after it); swr_names_finish(), once every segment is closed,
 * names the rows of the segments ingest did not name before writing them
 * and writes the node's names.json.
 */
void swr_names_batch(struct bucket *b, const struct ent_view *v);
void swr_names_seal(struct split *sp, struct store_ingest_result *res);
void swr_name_row(void *names, const struct ix_ends *e, const char **nm, uint8_t *nl);
int swr_names_finish(struct split *sp, struct store_ingest_result *res, struct diag *d)
    __attribute__((warn_unused_result));

#endif
