/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: protocol dissection of one L4 stream: the dissector interface,
 * the registry, and the per-stream driver that feeds dissectors in-order
 * bytes and collects their entries.
 *
 * A dissector is a struct dsx_ops (one per protocol, listed in registry.c).
 * The driver (dissect.c) owns, per stream:
 *   - TCP reassembly (lib/reasm): dissectors only see in-order bytes per
 *     direction, with gaps reported, never raw segments;
 *   - detection: the first bytes of each direction are offered to every
 *     dissector's bid(); the best bid wins, a dissector's usual ports break
 *     ties, and a stream no dissector claims gets one L4 summary entry;
 *   - a per-direction carry-over buffer, so a parser consumes only whole
 *     units and returns how many bytes it used (the rest is presented again,
 *     prefixed to the next data), as Suricata's app-layer parsers do;
 *   - the time and packet number of every byte, for entry times;
 *   - entry numbering and output.
 *
 * Directions: dir 0 is the side that opened the stream (sent the SYN, or
 * the first packet when no handshake was captured); dir 1 the other side.
 * A dissector that finds the roles reversed (the capture started with a
 * response) names the client side when it creates an entry.
 *
 * Dissectors never allocate per byte, never trust a length from the wire
 * beyond what they bound themselves, and never fail: malformed input marks
 * the entry (ENT_A_MALFORMED) and the dissector resynchronises or gives up
 * on the stream (dsx_abandon).
 */
#ifndef SV_DISSECT_H
#define SV_DISSECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "entry/entry.h"

struct dsx;

/* Bids: how sure a dissector is that the first bytes are its protocol. */
enum dsx_bid {
    DSX_NO = 0,         /* certainly not */
    DSX_MORE = 1,       /* cannot tell yet: offer more bytes (up to DSX_BID_MAX) */
    DSX_WEAK = 2,       /* plausible (e.g. a binary header whose fields are in range) */
    DSX_STRONG = 3,     /* unmistakable (a magic, a request line, a preface) */
};

/* Bytes offered to bid() at most; a stream still undecided then is undissected. */
#define DSX_BID_MAX     4096u
/* Carry-over bytes kept per direction; more is a cap hit (ENT_A_CAP) and a gap. */
#define DSX_CARRY_MAX   (256u * 1024)

enum dsx_l4 { DSX_TCP = 1 << 0, DSX_UDP = 1 << 1 };

struct dsx_ops {
    const char *name;           /* "http", "http2", "dns", ... (matches --dissectors later) */
    uint32_t l4;                /* DSX_TCP | DSX_UDP */
    const uint16_t *ports;      /* usual server ports, 0-terminated (ties only), may be NULL */
    size_t state_size;          /* bytes of per-stream state, zeroed before init */
    /*
     * Looks at the first n (>= 1) bytes of direction dir (for UDP: the first
     * datagram) and bids. Must be cheap and must not keep p.
     */
    enum dsx_bid (*bid)(const uint8_t *p, size_t n, int dir, bool dgram);
    /* Prepares st; hint is NULL, or what dsx_switch passed (e.g. an HTTP/1 upgrade). */
    void (*init)(void *st, struct dsx *x, const void *hint);
    /*
     * In-order bytes of dir: returns how many it consumed (<= n). Unconsumed
     * bytes are presented again with the next data of dir (TCP). For UDP,
     * p/n is one datagram and the return value is ignored. p is valid for
     * the call only.
     */
    size_t (*parse)(void *st, struct dsx *x, int dir, const uint8_t *p, size_t n);
    /*
     * n bytes of dir are lost before the next data (a capture hole, or the
     * carry-over cap). Carry-over bytes were dropped. Resynchronise, or
     * dsx_abandon(). May be NULL: the driver then abandons the stream.
     */
    void (*gap)(void *st, struct dsx *x, int dir, uint64_t n);
    /*
     * dir ended (FIN or RST seen and delivered): a response "ended by
     * close" completes here. dir == -1: the stream is over (also at capture
     * end): emit or drop everything pending. Called once with -1, last.
     */
    void (*end)(void *st, struct dsx *x, int dir);
    /* Frees what st holds (not st). May be NULL. */
    void (*fini)(void *st);
    /*
     * TCP: when a direction ends (its FIN, or the stream's end), parse is
     * called once more with the bytes it left unconsumed, even when they are
     * fewer than dsx_need asked for (dsx_at_end is then true): a message
     * that was waiting for bytes after it (a resynchronisation candidate)
     * can be taken as it is. False: those bytes are dropped.
     */
    bool parse_rest;
};

/* The registry: every dissector, in bid order (registry.c). */
extern const struct dsx_ops *const dsx_registry[];
extern const size_t dsx_registry_len;
/* The dissector called name, or NULL. */
const struct dsx_ops *dsx_find(const char *name);

/* The dissectors (each in its own file). */
extern const struct dsx_ops dsx_http1, dsx_http2, dsx_dns, dsx_tls, dsx_redis, dsx_kafka,
    dsx_amqp;

/* ------------------------------------------------- calls for dissectors */

/*
 * Time (ns) and packet number (0-based, in the stream's PCAP) of byte off
 * of the data being parsed in direction dir (off < n of the current parse
 * call; off == n gives the last byte's).
 */
uint64_t dsx_ts(const struct dsx *x, int dir, size_t off);
uint32_t dsx_pkt(const struct dsx *x, int dir, size_t off);
/* Do not call parse for dir again until at least `total` bytes are available. */
void dsx_need(struct dsx *x, int dir, size_t total);
/* True for UDP streams. */
bool dsx_dgram(const struct dsx *x);
/* No more bytes will come in dir: the parse call is the one of dsx_ops.parse_rest. */
bool dsx_at_end(const struct dsx *x, int dir);
/*
 * UDP: bytes of the datagram being parsed that the capture lacks (it was
 * cut by the snaplen, or is the first fragment of one never reassembled);
 * 0 for a whole one. A message that breaks off there is truncated, not
 * malformed.
 */
size_t dsx_dgram_lost(const struct dsx *x);
/* Port of the sender of dir. */
uint16_t dsx_port(const struct dsx *x, int dir);

/*
 * A new entry of proto whose client (request sender) is client_dir; the
 * fixed part gets stream, protocol and endpoints. NULL when out of memory
 * (the driver counts it; the dissector just skips the entry).
 */
struct ent *dsx_entry(struct dsx *x, enum ent_proto proto, int client_dir);
/*
 * Request/response positions in one call: the bytes [off, off+len) of the
 * data being parsed in dir. The first call for a side sets its first
 * time/packet; every call moves its end and the entry's last packet and adds
 * len to the side's size.
 */
void dsx_mark_req(struct dsx *x, struct ent *e, int dir, size_t off, size_t len);
/*
 * Body bytes of e's request (resp false) or response, decoded (without
 * chunk or frame framing), in order. The first dsx_opts.body_max bytes are
 * kept in the entry; past them ENT_F_*_BODY_CUT is set (body_max 0: none
 * kept, nothing flagged).
 */
void dsx_body(struct dsx *x, struct ent *e, bool resp, const uint8_t *p, size_t n);
void dsx_mark_resp(struct dsx *x, struct ent *e, int dir, size_t off, size_t len);
/*
 * Bytes of a message held for later: where they were (first and last
 * byte's time and packet) and how many. dsx_span_of takes them from the data
 * being parsed, as dsx_mark_* would; dsx_mark_span gives them to e's request
 * or response afterwards (a message the capture cut, seen in part).
 */
struct dsx_span {
    uint64_t t0, t1;
    uint32_t p0, p1;
    size_t len;
};
void dsx_span_of(const struct dsx *x, int dir, size_t off, size_t len, struct dsx_span *sp);
void dsx_mark_span(struct ent *e, const struct dsx_span *sp, bool resp);
/* Numbers e (next index of the stream), writes it out and frees it. */
void dsx_emit(struct dsx *x, struct ent *e);
/*
 * Frees e without writing it. Use this, not ent_free, for an entry that
 * will never be emitted while the stream goes on: later entries would wait
 * for it (entries come out in creation order). ent_free is fine in fini.
 */
void dsx_drop(struct dsx *x, struct ent *e);
/*
 * Frees e without writing it, its place in creation order (and so its
 * index) going to the next entry made: the same message, reported by the
 * dissector dsx_switch starts (an h2c upgrade request, HTTP/2's stream 1).
 * A place no entry takes is dropped when the switch is done.
 */
void dsx_hand_over(struct dsx *x, struct ent *e);
/* The dissector gives up: the rest of the stream is skipped (entries already emitted stay). */
void dsx_abandon(struct dsx *x);
/*
 * Hands the stream to another dissector after this parse call returns (h2c
 * upgrade): the current one's end(-1)/fini run, `to` is initialised with
 * hint (copied: hint_len bytes), and the unconsumed bytes of both
 * directions are presented to it.
 */
void dsx_switch(struct dsx *x, const struct dsx_ops *to, const void *hint, size_t hint_len);

/*
 * What HTTP/1 hands to HTTP/2 with dsx_switch after an h2c upgrade (RFC 7540
 * §3.2: the upgrade request becomes stream 1; its response comes as HTTP/2).
 * method and host are NUL-terminated and cut to fit; the target, the field
 * lines and the request body's kept bytes follow the struct (hint_len: the
 * struct and the three).
 */
struct dsx_h2c_hint {
    int client_dir;             /* the direction that sent the upgrade request */
    char method[32];
    char host[256];             /* Host header ("" when none) */
    uint64_t req_ns, req_end_ns;
    uint32_t req_pkt;
    uint64_t req_size;
    uint32_t anom;              /* the request's anomalies so far (a header block cut...) */
    uint32_t url_len;           /* data[0, url_len): the request target as sent */
    uint32_t fields_len;        /* then the request's header field lines, as sent */
    uint32_t body_len;          /* then the first bytes of its body (dsx_opts.body_max) */
    uint64_t body_size;         /* its body's decoded size (all of it sent before the 101) */
    bool body_cut;              /* body_len bytes were kept of more (ENT_F_REQ_BODY_CUT) */
    uint8_t data[];             /* (one block with the struct: dsx_switch copies it whole) */
};

/*
 * HTTP/1 header field lines [p, p+n) written to e's open object as HTTP/1
 * writes a request's (http1_msg.c); returns their anomalies (ENT_A_*) and
 * their size as HPACK counts it (*hpack). For the h2c upgrade request,
 * which HTTP/2 reports.
 */
uint32_t dsx_h1_field_lines(struct ent *e, const uint8_t *p, size_t n, uint64_t *hpack);

/* ---------------------------------------------------- the driver's side */

/*
 * Where the entries of a thread's streams go: records appended to out (see
 * entry.h). It also keeps a few spent entries for reuse, so that building an
 * entry does not cost allocations. One thread at a time.
 */
#define DSX_SPARE 32

struct dsx_sink {
    struct buf *out;
    uint64_t entries;               /* entries written */
    uint64_t dropped;               /* entries lost (out of memory, record cap) */
    struct ent *spare[DSX_SPARE];
    unsigned nspare;
};

void dsx_sink_init(struct dsx_sink *s, struct buf *out);
/* Frees the spare entries (not out). */
void dsx_sink_release(struct dsx_sink *s);

struct dsx_stream_info {
    uint64_t stream_id;
    uint8_t l4;                     /* 6 or 17 */
    uint8_t ipver;
    uint8_t addr[2][16];            /* per side of the flow key */
    uint16_t port[2];
    int8_t client_side;             /* side that opened the stream (-1: the first packet says) */
};

struct dsx_opts {
    bool l4_entries;                /* emit tcp/udp entries for undissected streams */
    size_t body_max;                /* body bytes kept per request and response (0: none) */
    const struct dsx_ops *force;    /* skip detection, use this dissector (tests, fuzzing) */
};

struct reasm_budget;

/* A new per-stream driver; NULL on OOM. budget (may be NULL) caps reassembly. */
struct dsx *dsx_new(const struct dsx_stream_info *si, const struct dsx_opts *o,
                    struct reasm_budget *budget, struct dsx_sink *sink);
/*
 * The acknowledgment number of a TCP packet of flow side `side` (tcp_flags
 * its DEC_TCP_* bits, len its payload bytes), before the packet itself
 * (dsx_packet). When the packet carries data, the side is answering: a hole
 * in the other side's bytes that it acknowledges was lost by the capture,
 * and is skipped at once (reasm_ack). A pure ACK is not taken for that: a
 * tap or a SPAN port may capture it before the data it acknowledges.
 */
void dsx_ack(struct dsx *x, int side, uint8_t tcp_flags, uint32_t ack, size_t len);
/*
 * One packet of the stream, sent by flow side `side`, in capture order.
 * For TCP: seq, tcp flags (DEC_TCP_*), payload. For UDP: the datagram.
 * pkt is the packet's number in the stream's PCAP.
 */
void dsx_packet(struct dsx *x, int side, uint32_t seq, uint8_t tcp_flags, const uint8_t *payload,
                size_t len, uint64_t ts_ns, uint32_t pkt);
/*
 * dsx_packet for a UDP datagram of which the capture holds len bytes of
 * wire (its UDP length less the header): a dissector sees what is missing
 * (dsx_dgram_lost), and an entry marked up to the datagram's last byte
 * counts the missing bytes in its size, as they were on the wire.
 */
void dsx_datagram(struct dsx *x, int side, const uint8_t *payload, size_t len, size_t wire,
                  uint64_t ts_ns, uint32_t pkt);
/* The flow side whose address is src (for packets without ports: later IP fragments). */
int dsx_side_of(const struct dsx *x, const uint8_t src[16]);
/* A packet of the stream that carries nothing to dissect now (an IP fragment): counted only. */
void dsx_count(struct dsx *x, int side, size_t len, uint64_t ts_ns, uint32_t pkt);
/* The stream ended: flush reassembly, end the dissector, write the last entries. */
void dsx_finish(struct dsx *x);
void dsx_free(struct dsx *x);

/* After dsx_finish: no dissector recognised the stream (or one gave up before any entry). */
bool dsx_undissected(const struct dsx *x);
/* Name of the dissector that claimed the stream ("" when none yet, "tcp"/"udp" if none did). */
const char *dsx_protocol(const struct dsx *x);

/*
 * Test and fuzzing entry point: bytes fed straight to a dissector, as if
 * reassembled. side 0 sends first. dsx_feed_gap reports n lost bytes.
 */
void dsx_feed(struct dsx *x, int side, const uint8_t *p, size_t n, uint64_t ts_ns, uint32_t pkt);
void dsx_feed_gap(struct dsx *x, int side, uint64_t n);
void dsx_feed_fin(struct dsx *x, int side);

#endif
