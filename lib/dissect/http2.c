/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: HTTP/2 dissector (RFC 9113) with HPACK (hpack.c): frames, header
 * sequences, one entry per stream, request paired with response by stream id.
 * What the header blocks and DATA say (the entry keys, gRPC on top) is grpc.c's.
 *
 * References: RFC 9113 (frames §4-6, streams §5, header blocks §4.3, h2c
 * §3.2 of RFC 7540), RFC 7541 (HPACK), gRPC over HTTP/2 (PROTOCOL-HTTP2.md:
 * Length-Prefixed-Message = 1-byte compressed flag, 4-byte length, message).
 *
 * Per direction:
 *
 *   START --preface (client)--> FRAME <--------------------------------+
 *     \--no preface: first frame plausible? else RESYNC                  |
 *   FRAME: 9-byte header, then by type:                                  |
 *     DATA        [pad length] -> DATA (payload consumed as it comes,    |
 *                 counted, fed to the gRPC prefix parser) -> padding ----+
 *     HEADERS / PUSH_PROMISE  the whole sequence up to END_HEADERS (its  |
 *                 CONTINUATIONs) is waited for with dsx_need, the block  |
 *                 decoded with the direction's HPACK decoder ------------+
 *     SETTINGS, RST_STREAM    whole frame (dsx_need), acted upon --------+
 *     other       SKIP (consumed as it comes) ---------------------------+
 *   RESYNC (after a gap, a capture that starts mid-frame, or a frame header
 *     no peer may send: ENT_A_MALFORMED on what is pending): scan for a
 *     plausible frame header followed by another one, or by the end of the
 *     direction (its last frame: dsx_ops.parse_rest); HPACK goes lenient
 *     (hpack.h: fields naming lost table entries are skipped, ENT_A_GAP).
 *
 * Streams: created by the first header block of a stream id (a response's
 * when the request was not captured: ENT_A_NO_REQUEST, unless the capture saw
 * the stream opened and closed: stream_closed); the entry is
 * emitted when both sides sent END_STREAM, at RST_STREAM, or at the end.
 * At most H2_STREAMS_MAX are open per connection, holding at most
 * H2_PENDING_MAX bytes of entries (HPACK makes big header sets cheap to
 * send): past either, the oldest is emitted as it is, with ENT_A_CAP (and
 * NO_RESPONSE/TRUNCATED as at the end).
 * Pushed streams (even ids) get no entries; PUSH_PROMISE frames are counted
 * on their associated stream ("pushPromises" in its response). After an h2c
 * upgrade, init's hint is stream 1's request (httpVersion "HTTP/1.1", as sent;
 * its times and size are the HTTP/1 request's).
 *
 * Sizes: requestSize/responseSize are all frames of the stream in that
 * direction, 9-byte headers included, up to its END_STREAM. Header block
 * sequences are limited by the driver's carry-over (DSX_CARRY_MAX): a longer
 * one is ENT_A_CAP and the connection is abandoned (the HPACK state is lost
 * with it), as is a block that fails to decode (ENT_A_MALFORMED).
 */
#include "config.h"

#include "dissect/http2_int.h"

#include <stdlib.h>
#include <string.h>

#include "base/cur.h"
#include "dissect/hpack.h"

#define H2_PREFACE              "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
#define H2_PREFACE_LEN          24u
#define H2_HDR                  9u
#define H2_DEFAULT_FRAME        16384u          /* SETTINGS_MAX_FRAME_SIZE's initial value */
#define H2_MAX_FRAME            16777215u       /* its largest legal value */
/* Open streams per connection. */
#define H2_STREAMS_MAX          1024u
/* Bytes of entries the open streams of a connection hold (HPACK makes them cheap to send). */
#define H2_PENDING_MAX          (8u * 1024 * 1024)
/* Decoded fields of one header block kept to write the entry (more: TRUNCATED). */
#define H2_FIELDS_MAX           (128u * 1024)
/* Bytes scanned for a frame boundary after a gap before giving up. */
#define H2_RESYNC_MAX           (1024u * 1024)
/* A resync candidate is confirmed by the next frame header within this many bytes. */
#define H2_RESYNC_LOOK          (H2_DEFAULT_FRAME + 2 * H2_HDR)

enum h2_type {
    T_DATA = 0, T_HEADERS = 1, T_PRIORITY = 2, T_RST_STREAM = 3, T_SETTINGS = 4,
    T_PUSH_PROMISE = 5, T_PING = 6, T_GOAWAY = 7, T_WINDOW_UPDATE = 8, T_CONTINUATION = 9,
};

enum h2_frame_flags {
    FL_END_STREAM = 0x01, FL_ACK = 0x01, FL_END_HEADERS = 0x04, FL_PADDED = 0x08,
    FL_PRIORITY = 0x20,
};

enum h2_settings_id { S_HEADER_TABLE_SIZE = 1, S_MAX_FRAME_SIZE = 5 };

enum h2_ps { PS_START = 0, PS_FRAME, PS_DATA, PS_SKIP, PS_RESYNC };

/* ---- small helpers ------------------------------------------------------------------- */

static uint32_t be24(const uint8_t *p)
{
    return (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | (uint32_t)p[2];
}

/* ---- streams -------------------------------------------------------------------------- */

static struct h2_stream *stream_find(const struct h2 *h, uint32_t sid)
{
    for (size_t i = h->ns; i-- > 0;) {
        if (h->s[i]->sid == sid)
            return h->s[i];
    }
    return NULL;
}

static void stream_free(struct h2_stream *s)
{
    ent_free(s->e);
    free(s->path);
    free(s->ctype);
    free(s->gmsg);
    free(s);
}

/* Frees s, or keeps it (emptied of its entry and strings) for the next stream_new. */
static void stream_recycle(struct h2 *h, struct h2_stream *s)
{
    if (h->nspare == H2_SPARE || s->e) {
        stream_free(s);
        return;
    }
    free(s->path);
    free(s->ctype);
    free(s->gmsg);
    h->spare[h->nspare++] = s;
}

static void stream_remove(struct h2 *h, struct h2_stream *s)
{
    for (size_t i = 0; i < h->ns; i++) {
        if (h->s[i] == s) {
            memmove(&h->s[i], &h->s[i + 1], (h->ns - i - 1) * sizeof h->s[0]);
            h->ns--;
            break;
        }
    }
    stream_recycle(h, s);
}

static int side_of(const struct h2 *h, int dir)
{
    return dir == (h->client_dir < 0 ? 0 : h->client_dir) ? SIDE_REQ : SIDE_RESP;
}

/* Marks bytes [off, off+len) of the current data as the stream's, on side `side`. */
static void stream_mark(struct dsx *x, struct h2_stream *s, int side, int dir, size_t off,
                        size_t len)
{
    if (!s || !s->e || s->side[side].ended || len == 0)
        return;
    if (side == SIDE_REQ)
        dsx_mark_req(x, s->e, dir, off, len);
    else
        dsx_mark_resp(x, s->e, dir, off, len);
}

/* Anomalies of a stream emitted before it completed. */
static uint32_t pending_anomalies(const struct h2_stream *s)
{
    uint32_t a = 0;

    if (s->side[SIDE_REQ].headers && !s->side[SIDE_RESP].headers)
        a |= ENT_A_NO_RESPONSE;
    if (s->side[SIDE_RESP].headers && !s->side[SIDE_RESP].ended)
        a |= ENT_A_TRUNCATED;
    if (s->side[SIDE_REQ].headers && !s->side[SIDE_REQ].ended && s->side[SIDE_RESP].headers)
        a |= ENT_A_TRUNCATED;
    return a;
}

/* Writes the closing keys, emits the entry and forgets the stream. */
static void stream_emit(struct h2 *h, struct dsx *x, struct h2_stream *s, uint32_t anomalies)
{
    if (s->e) {
        h2_write_closing(s, anomalies);
        dsx_emit(x, s->e);
        s->e = NULL;
    }
    stream_remove(h, s);
}

/* Emits every pending stream, oldest first (h->s is in creation order), as incomplete. */
static void flush_all(struct h2 *h, struct dsx *x, uint32_t extra)
{
    while (h->ns > 0)
        stream_emit(h, x, h->s[0], pending_anomalies(h->s[0]) | extra);
}

static struct h2_stream *stream_new(struct h2 *h, struct dsx *x, uint32_t sid)
{
    struct h2_stream *s;

    if (h->ns == H2_STREAMS_MAX) {
        struct h2_stream *old = h->s[0];   /* kept in creation order */

        stream_emit(h, x, old, pending_anomalies(old) | ENT_A_CAP);
    }
    if (h->ns == h->scap) {
        size_t nc = h->scap ? h->scap * 2 : 8;
        struct h2_stream **v = realloc(h->s, nc * sizeof *v);

        if (!v)
            return NULL;
        h->s = v;
        h->scap = nc;
    }
    if (h->nspare) {
        s = h->spare[--h->nspare];
        memset(s, 0, sizeof *s);
    } else {
        s = calloc(1, sizeof *s);
        if (!s)
            return NULL;
    }
    s->sid = sid;
    s->grpc_status = -1;
    s->side[0].web_status = s->side[1].web_status = -1;
    s->e = dsx_entry(x, ENT_HTTP2, h->client_dir < 0 ? 0 : h->client_dir);
    h->s[h->ns++] = s;
    return s;
}

/*
 * Bounds what open streams hold: while their entries exceed H2_PENDING_MAX
 * bytes, the oldest goes out as it is (ENT_A_CAP).
 */
static void h2_pending_cap(struct h2 *h, struct dsx *x)
{
    for (;;) {
        size_t total = 0;

        for (size_t i = 0; i < h->ns; i++) {
            const struct ent *e = h->s[i]->e;

            if (e)
                total += e->sec[0].len + e->sec[1].len;
        }
        if (total <= H2_PENDING_MAX || h->ns == 0)
            return;
        stream_emit(h, x, h->s[0], pending_anomalies(h->s[0]) | ENT_A_CAP);
    }
}

/*
 * The side ended (END_STREAM); the entry goes out once both did (a response
 * that ended without its header block, DATA only, is no response).
 */
static void side_end(struct h2 *h, struct dsx *x, struct h2_stream *s, int side)
{
    s->side[side].ended = true;
    if (s->side[SIDE_REQ].ended && s->side[SIDE_RESP].ended)
        stream_emit(h, x, s, pending_anomalies(s));
}

/*
 * Whether a frame of side on s breaks the stream's order (RFC 9113 §5.1, §8.1):
 * after END_STREAM of that side (header block: was_ended, the state before
 * it), or a response's DATA before its header block, when the stream was
 * opened in the capture and no gap may have taken that block.
 */
static bool frame_out_of_order(const struct h2_stream *s, int side, bool data)
{
    const struct h2_side *sd = &s->side[side];

    if (sd->ended)
        return true;
    return data && side == SIDE_RESP && !sd->headers && s->side[SIDE_REQ].headers && s->e &&
           !(s->e->f.anomalies & ENT_A_GAP);
}

/*
 * The frame boundary of dir was lost (a gap, or broken framing): DATA of any
 * side that dir was sending may be among the lost bytes, so the gRPC message
 * framing of each is no longer known and counting stops there. A side whose
 * header block has not come yet sent no DATA before it.
 */
static void lose_messages(struct h2 *h, int dir)
{
    int side = side_of(h, dir);

    for (size_t i = 0; i < h->ns; i++) {
        struct h2_side *sd = &h->s[i]->side[side];

        if (sd->headers && !sd->ended)
            sd->msg_lost = true;
    }
}

/* Gives up on the connection: pending entries go out, the rest of the bytes are skipped. */
static void h2_abandon(struct h2 *h, struct dsx *x)
{
    flush_all(h, x, 0);
    h->dead = true;
    dsx_abandon(x);
}

/* ---- header blocks ---------------------------------------------------------------------- */

/*
 * Stream sid (not open now) was opened and closed in the capture: clients
 * open streams in increasing order, so every id up to the highest request's
 * was, from the first (with the preface) or from the lowest request's seen
 * (a connection captured after its start; a lower one may have been opened
 * before the capture). After bytes of the client were lost, only from the
 * lowest request's seen since (the loss may have held requests).
 */
static bool stream_closed(const struct h2 *h, uint32_t sid)
{
    return sid <= h->max_sid &&
           ((h->preface && !h->ids_lost) || (h->min_sid && sid >= h->min_sid));
}

/*
 * A decoded HEADERS block of stream sid from dir (its frames are the `len`
 * bytes at off of the current data); anom: what its decoding found wrong
 * (ENT_A_*; ENT_A_GAP: fields were left out), for the stream's entry, with
 * what the block breaks of RFC 9113 §8.1-8.3 (ENT_A_MALFORMED).
 */
static void on_headers(struct h2 *h, struct dsx *x, int dir, uint32_t sid, uint8_t flags,
                       size_t off, size_t len, uint32_t anom)
{
    struct h2_field f;
    struct h2_stream *s;
    bool has_method = h2_field_find(h, H2_F_METHOD, &f);
    bool has_status = h2_field_find(h, H2_F_STATUS, &f);
    bool end_stream = (flags & FL_END_STREAM) != 0;
    enum h2_block kind;
    int side;

    if (sid == 0)
        return;                 /* a connection error: nothing to attach it to */
    if (h->client_dir < 0) {
        if (has_method)
            h->client_dir = dir;
        else if (has_status)
            h->client_dir = 1 - dir;
    }
    side = side_of(h, dir);
    s = stream_find(h, sid);
    if (!s) {
        if (side == SIDE_REQ) {
            if (!has_method && sid <= h->max_sid)
                return;         /* trailers of a stream already gone */
        } else if ((sid & 1u) == 0 || stream_closed(h, sid)) {
            return;             /* a pushed stream's, or a closed stream's */
        }
        /* §5.1.1: a client opens odd ids, each above all it opened before */
        if (side == SIDE_REQ && ((sid & 1u) == 0 || sid <= h->max_sid))
            anom |= ENT_A_MALFORMED;
        s = stream_new(h, x, sid);
        if (!s)
            return;
        if (side == SIDE_REQ && sid > h->max_sid)
            h->max_sid = sid;
        if (side == SIDE_REQ && (h->min_sid == 0 || sid < h->min_sid))
            h->min_sid = sid;
        if (side == SIDE_RESP && s->e)
            ent_anomaly(s->e, ENT_A_NO_REQUEST);
    }
    if (frame_out_of_order(s, side, false))
        anom |= ENT_A_MALFORMED;        /* §5.1: the side was half-closed */
    if (side == SIDE_REQ) {
        kind = s->side[SIDE_REQ].headers ? H2_B_TRAILERS : H2_B_REQUEST;
        if (kind == H2_B_REQUEST) {
            s->side[SIDE_REQ].headers = true;
            if (s->e)
                s->e->f.anomalies &= ~(uint32_t)ENT_A_NO_REQUEST;  /* it came after all */
            h2_write_request(h, s);
        }
        /* a later block is the request's trailers: counted in its size only */
    } else if (!s->side[SIDE_RESP].headers) {
        uint32_t code;
        bool info = h2_status(h, &code) && code >= 100 && code < 200;

        kind = H2_B_RESPONSE;
        if (info && !end_stream) {
            /* interim (1xx): its frames count, the final response follows */
        } else {
            s->side[SIDE_RESP].headers = true;
            h2_write_response(h, s, end_stream);
            if (info)
                anom |= ENT_A_MALFORMED;        /* §8.1: a 1xx does not end the stream */
        }
    } else {
        kind = H2_B_TRAILERS;
        h2_write_trailers(h, s);
    }
    /* §8.1: trailers end the stream; §8.2, §8.3: the fields and pseudo-header fields */
    if ((kind == H2_B_TRAILERS && !end_stream) || !h2_block_ok(h, kind, !(anom & ENT_A_GAP)))
        anom |= ENT_A_MALFORMED;
    if (s->e)
        ent_anomaly(s->e, anom);        /* before the block may end the stream */
    stream_mark(x, s, side, dir, off, len);
    if (end_stream)
        side_end(h, x, s, side);
}

/*
 * A decoded PUSH_PROMISE block on stream sid: counted there, no entry of its
 * own; anom (ENT_A_*): what its decoding found wrong, for sid's entry. One
 * from the client is malformed, not counted (RFC 9113 §8.4: a client cannot push).
 */
static void on_push(struct h2 *h, struct dsx *x, int dir, uint32_t sid, size_t off, size_t len,
                    uint32_t anom)
{
    struct h2_stream *s = stream_find(h, sid);

    if (!s)
        return;
    if (h->client_dir == dir)
        anom |= ENT_A_MALFORMED;
    else
        s->pushes++;
    if (s->e)
        ent_anomaly(s->e, anom);
    stream_mark(x, s, side_of(h, dir), dir, off, len);
}

enum seq_res { SEQ_DONE, SEQ_NEED, SEQ_BAD, SEQ_CAP };

/*
 * Finds the end of the header sequence starting at q (a HEADERS or
 * PUSH_PROMISE frame header, avail bytes available). SEQ_DONE with *total,
 * SEQ_NEED after dsx_need, SEQ_BAD when another frame interrupts it, SEQ_CAP
 * when it would not fit the carry-over (*total: the bytes known to be its).
 */
static enum seq_res seq_scan(struct h2_dir *d, struct dsx *x, int dir, const uint8_t *q,
                             size_t avail, size_t *total)
{
    uint32_t sid = ld_be32(q + 5) & 0x7FFFFFFFu;
    size_t pos = d->seq_scan;

    if (d->seq_total == 0) {
        if (pos == 0) {
            pos = H2_HDR + be24(q);
            if (q[4] & FL_END_HEADERS)
                d->seq_total = pos;
        }
        while (d->seq_total == 0) {
            if (pos + H2_HDR > DSX_CARRY_MAX) {
                *total = pos;
                return SEQ_CAP;
            }
            if (avail < pos + H2_HDR) {
                d->seq_scan = pos;
                dsx_need(x, dir, pos + H2_HDR);
                return SEQ_NEED;
            }
            if (q[pos + 3] != T_CONTINUATION || (ld_be32(q + pos + 5) & 0x7FFFFFFFu) != sid)
                return SEQ_BAD;
            if (q[pos + 4] & FL_END_HEADERS)
                d->seq_total = pos + H2_HDR + be24(q + pos);
            pos += H2_HDR + be24(q + pos);
        }
        d->seq_scan = pos;
    }
    *total = d->seq_total;
    if (d->seq_total > DSX_CARRY_MAX)
        return SEQ_CAP;
    if (avail < d->seq_total) {
        dsx_need(x, dir, d->seq_total);
        return SEQ_NEED;
    }
    *total = d->seq_total;
    return SEQ_DONE;
}

/* Marks stream sid (found or created) with anomaly a; its frames are the len bytes at off. */
static void stream_fault(struct h2 *h, struct dsx *x, int dir, uint32_t sid, uint32_t a,
                         size_t off, size_t len)
{
    struct h2_stream *s = sid ? stream_find(h, sid) : NULL;

    if (!s && sid)
        s = stream_new(h, x, sid);
    if (!s || !s->e)
        return;
    ent_anomaly(s->e, a);
    stream_mark(x, s, side_of(h, dir), dir, off, len);
}

/*
 * The HEADERS or PUSH_PROMISE frame header at p[off] (avail bytes). Returns
 * the bytes consumed (0: wait, after dsx_need, or the connection was given up).
 */
static size_t on_header_seq(struct h2 *h, struct dsx *x, int dir, const uint8_t *p, size_t off,
                            size_t avail)
{
    struct h2_dir *d = &h->d[dir];
    const uint8_t *q = p + off;
    uint8_t type = q[3], flags = q[4];
    uint32_t sid = ld_be32(q + 5) & 0x7FFFFFFFu;
    uint32_t flen = be24(q);
    size_t total = 0, skip = 0, pad = 0;
    struct hpack_notes notes;
    uint32_t anom;
    const uint8_t *frag;
    size_t fraglen;
    int rc;

    switch (seq_scan(d, x, dir, q, avail, &total)) {
    case SEQ_NEED:
        return 0;
    case SEQ_CAP:
        /* its frames so far are the stream's (its time and packets) */
        stream_fault(h, x, dir, sid, ENT_A_CAP, off, total < avail ? total : avail);
        h2_abandon(h, x);
        return 0;
    case SEQ_BAD:
        /* interrupted: the block cannot be decoded, the table is now unknown */
        d->seq_scan = d->seq_total = 0;
        stream_fault(h, x, dir, sid, ENT_A_MALFORMED, off, H2_HDR + flen);
        hpack_lose_state(&d->hp);
        return H2_HDR + flen;
    case SEQ_DONE:
        break;
    }
    d->seq_scan = d->seq_total = 0;
    if (H2_HDR + (size_t)flen > total)
        goto malformed;         /* cannot be: seq_scan measured these frames */

    /* the first frame's fragment: [pad length] [priority | promised id] fragment [padding] */
    if (flags & FL_PADDED) {
        if (flen < 1)
            goto malformed;
        pad = q[H2_HDR];
        skip = 1;
    }
    if (type == T_HEADERS && (flags & FL_PRIORITY))
        skip += 5;
    if (type == T_PUSH_PROMISE)
        skip += 4;              /* the promised stream id: no entry for it */
    if ((size_t)skip + pad > flen)
        goto malformed;
    frag = q + H2_HDR + skip;
    fraglen = flen - skip - pad;
    if (total > H2_HDR + (size_t)flen) {
        /* CONTINUATIONs: concatenate the fragments */
        size_t pos = H2_HDR + flen;

        buf_reset(&h->block);
        if (buf_append(&h->block, frag, fraglen) < 0)
            goto cap;
        while (pos + H2_HDR <= total) {
            uint32_t clen = be24(q + pos);

            if (pos + H2_HDR + clen > total)
                goto malformed;
            if (buf_append(&h->block, q + pos + H2_HDR, clen) < 0)
                goto cap;
            pos += H2_HDR + clen;
        }
        frag = h->block.data;
        fraglen = h->block.len;
    }
    if (d->start_unsure) {
        d->start_unsure = false;
        if (!h->preface)
            hpack_lose_state(&d->hp);  /* a connection captured after its start */
    }
    h2_fields_reset(h);
    rc = hpack_decode(&d->hp, frag, fraglen, h2_field_cb, h, &notes);
    if (h->block.cap > 64u * 1024)
        buf_release(&h->block);
    if (rc == HPACK_E_LIMIT)
        goto cap;
    if (rc < 0)
        goto malformed;
    /* a size update after a field (RFC 7541 §4.2), applied: the table stays known */
    anom = notes.late_update ? ENT_A_MALFORMED : 0;
    if (type == T_HEADERS) {
        /* gap: fields referring to lost table entries were left out */
        on_headers(h, x, dir, sid, flags, off, total, anom | (notes.unknown ? ENT_A_GAP : 0));
    } else {
        on_push(h, x, dir, sid, off, total, anom);
    }
    if (h->fields.cap > 64u * 1024)
        buf_release(&h->fields);
    h2_pending_cap(h, x);
    return total;

malformed:
    stream_fault(h, x, dir, sid, ENT_A_MALFORMED, off, total);
    h2_abandon(h, x);
    return 0;
cap:
    stream_fault(h, x, dir, sid, ENT_A_CAP, off, total);
    h2_abandon(h, x);
    return 0;
}

/* ---- frames ------------------------------------------------------------------------------ */

/*
 * A frame header that a sender could have written: known type, defined flags
 * only, stream id and length rules of its type, length <= max_frame.
 * known_data: DATA only on a stream we know (resynchronisation).
 */
static bool frame_plausible(const struct h2 *h, const uint8_t *q, uint32_t max_frame,
                            bool known_data)
{
    uint32_t len = be24(q), sidw = ld_be32(q + 5), sid = sidw & 0x7FFFFFFFu;
    uint8_t type = q[3], fl = q[4];

    if ((sidw & 0x80000000u) || len > max_frame)
        return false;
    switch (type) {
    case T_DATA:
        return !(fl & ~(FL_END_STREAM | FL_PADDED)) && sid != 0 &&
               (!known_data || stream_find(h, sid));
    case T_HEADERS:
        return !(fl & ~(FL_END_STREAM | FL_END_HEADERS | FL_PADDED | FL_PRIORITY)) && sid != 0;
    case T_PRIORITY:
        return fl == 0 && sid != 0 && len == 5;
    case T_RST_STREAM:
        return fl == 0 && sid != 0 && len == 4;
    case T_SETTINGS:
        return !(fl & ~FL_ACK) && sid == 0 && len % 6 == 0 && !((fl & FL_ACK) && len);
    case T_PUSH_PROMISE:
        return !(fl & ~(FL_END_HEADERS | FL_PADDED)) && sid != 0 && len >= 4;
    case T_PING:
        return !(fl & ~FL_ACK) && sid == 0 && len == 8;
    case T_GOAWAY:
        return fl == 0 && sid == 0 && len >= 8;
    case T_WINDOW_UPDATE:
        return fl == 0 && len == 4;
    case T_CONTINUATION:
        return !known_data && !(fl & ~FL_END_HEADERS) && sid != 0;
    default:
        return false;
    }
}

/*
 * The largest frame dir may send: what its peer announced (SETTINGS_MAX_FRAME_SIZE,
 * 16384 until it says more) when the connection was captured from its start;
 * else any length, as the peer may have announced up to 2^24 - 1 before the
 * capture started (Go's server announces 1 MiB).
 */
static uint32_t max_frame_of(const struct h2 *h, int dir)
{
    return h->preface ? h->d[dir].max_frame : H2_MAX_FRAME;
}

/*
 * A frame header a peer may send in an open connection (undefined flags and
 * the stream id's reserved bit are ignored, RFC 9113 §4.1; unknown types
 * skipped): no longer than the receiver accepts (max_frame_of), stream rules
 * of its type. Not one: the framing is lost (bytes missing, or not HTTP/2 at
 * all). frame_plausible, which guesses where frames start, is stricter.
 */
static bool frame_sane(const struct h2 *h, int dir, const uint8_t *q)
{
    uint32_t len = be24(q), sid = ld_be32(q + 5) & 0x7FFFFFFFu;

    if (len > max_frame_of(h, dir))
        return false;
    switch (q[3]) {
    case T_DATA:
    case T_HEADERS:
    case T_PUSH_PROMISE:
    case T_CONTINUATION:
        return sid != 0;
    case T_PRIORITY:
        return sid != 0;        /* another length than 5: a stream error (on_frame) */
    case T_RST_STREAM:
        return sid != 0 && len == 4;
    case T_SETTINGS:
        return sid == 0 && len % 6 == 0;
    case T_PING:
        return sid == 0 && len == 8;
    case T_GOAWAY:
        return sid == 0 && len >= 8;
    case T_WINDOW_UPDATE:
        return len == 4;
    default:
        return true;
    }
}

static void on_settings(struct h2 *h, int dir, const uint8_t *q, uint32_t len)
{
    struct h2_dir *peer = &h->d[1 - dir];

    for (uint32_t i = 0; i + 6 <= len; i += 6) {
        uint16_t id = ld_be16(q + i);
        uint32_t v = ld_be32(q + i + 2);

        if (id == S_HEADER_TABLE_SIZE)
            hpack_set_limit(&peer->hp, v);   /* what the peer's encoder may use */
        else if (id == S_MAX_FRAME_SIZE && v <= H2_MAX_FRAME && v > peer->max_frame)
            peer->max_frame = v;
    }
}

/* The frame header at p[off] (avail >= 9). Returns bytes consumed; 0: wait or dead. */
static size_t on_frame(struct h2 *h, struct dsx *x, int dir, const uint8_t *p, size_t off,
                       size_t avail)
{
    struct h2_dir *d = &h->d[dir];
    const uint8_t *q = p + off;
    uint32_t len = be24(q), sid = ld_be32(q + 5) & 0x7FFFFFFFu;
    uint8_t type = q[3], flags = q[4];
    struct h2_stream *s = sid ? stream_find(h, sid) : NULL;
    int side = side_of(h, dir);

    switch (type) {
    case T_DATA: {
        size_t hdr = H2_HDR;
        uint32_t pad = 0;

        if (s && s->e && frame_out_of_order(s, side, true))
            ent_anomaly(s->e, ENT_A_MALFORMED);
        if (flags & FL_PADDED) {
            if (len == 0) {
                if (s && s->e)
                    ent_anomaly(s->e, ENT_A_MALFORMED);
                break;          /* skipped below */
            }
            if (avail < H2_HDR + 1) {
                dsx_need(x, dir, H2_HDR + 1);
                return 0;
            }
            pad = q[H2_HDR];
            hdr++;
            if (pad > len - 1) {
                if (s && s->e)
                    ent_anomaly(s->e, ENT_A_MALFORMED);
                pad = len - 1;
            }
        }
        stream_mark(x, s, side, dir, off, hdr);
        d->ps = PS_DATA;
        d->fsid = sid;
        d->fflags = flags;
        d->data_left = len - (uint32_t)(hdr - H2_HDR) - pad;
        d->pad_left = pad;
        return hdr;
    }
    case T_HEADERS:
    case T_PUSH_PROMISE:
        return on_header_seq(h, x, dir, p, off, avail);
    case T_SETTINGS:
        if (H2_HDR + (size_t)len > DSX_CARRY_MAX)
            break;              /* more settings than anyone sends: skipped */
        if (avail < H2_HDR + (size_t)len) {
            dsx_need(x, dir, H2_HDR + len);
            return 0;
        }
        if (!(flags & FL_ACK))
            on_settings(h, dir, q + H2_HDR, len);
        return H2_HDR + len;
    case T_RST_STREAM:
        if (avail < H2_HDR + 4) {
            dsx_need(x, dir, H2_HDR + 4);
            return 0;
        }
        if (s) {
            stream_mark(x, s, side, dir, off, H2_HDR + 4);
            s->reset = true;
            s->rst_code = ld_be32(q + H2_HDR);
            stream_emit(h, x, s, s->side[SIDE_RESP].headers ? 0 : ENT_A_NO_RESPONSE);
        }
        return H2_HDR + 4;
    case T_CONTINUATION:
        /* without its HEADERS (lost, or before the capture): the table is unknown now */
        hpack_lose_state(&d->hp);
        break;
    case T_PRIORITY:
        /* RFC 9113 §6.3: another length than 5 is a stream error; the frame is skipped */
        if (len != 5 && s && s->e)
            ent_anomaly(s->e, ENT_A_MALFORMED);
        break;
    default:
        break;
    }
    /* skipped frames: PRIORITY, PING, GOAWAY, WINDOW_UPDATE, unknown types, bad ones */
    stream_mark(x, s, side, dir, off, H2_HDR);
    d->ps = PS_SKIP;
    d->fsid = sid;
    d->fflags = 0;
    d->skip_left = len;
    return H2_HDR;
}

/*
 * Looks for a frame boundary in p[off..n): a plausible header confirmed by
 * the next one, or, once the direction has ended (dsx_at_end), by the end of
 * its bytes (its last frame has no next one). Returns the new offset; *found
 * when parsing can go on there.
 */
static size_t resync(struct h2 *h, struct dsx *x, int dir, const uint8_t *p, size_t off,
                     size_t n, bool *found)
{
    struct h2_dir *d = &h->d[dir];
    size_t i;

    *found = false;
    for (i = off; i + H2_HDR <= n; i++) {
        size_t next;

        if (!frame_plausible(h, p + i, max_frame_of(h, dir), true))
            continue;
        next = i + H2_HDR + be24(p + i);
        if (next + H2_HDR <= n) {
            if (!frame_plausible(h, p + next, max_frame_of(h, dir), false))
                continue;
            *found = true;
            break;
        }
        if (dsx_at_end(x, dir)) {
            if (next > n)
                continue;       /* cut by the end: not taken for a frame */
            *found = true;
            break;
        }
        if (next + H2_HDR - i <= H2_RESYNC_LOOK) {
            /* wait for the next header to confirm this one */
            d->resync_bytes += i - off;
            dsx_need(x, dir, next + H2_HDR - i);
            return i;
        }
    }
    if (!*found) {
        size_t keep = n - off < H2_HDR - 1 ? n - off : H2_HDR - 1;

        i = n - keep;
    }
    d->resync_bytes += i - off;
    if (!*found && d->resync_bytes > H2_RESYNC_MAX)
        h2_abandon(h, x);
    return i;
}

static size_t h2_parse(void *st, struct dsx *x, int dir, const uint8_t *p, size_t n)
{
    struct h2 *h = st;
    struct h2_dir *d = &h->d[dir];
    size_t off = 0;

    if (dsx_dgram(x))
        return n;               /* HTTP/2 is TCP only (the ops say so; forced use aside) */
    for (;;) {
        size_t avail = n - off, k;
        struct h2_stream *s;

        if (h->dead)
            return n;
        switch (d->ps) {
        case PS_START:
            k = avail < H2_PREFACE_LEN ? avail : H2_PREFACE_LEN;
            if (k && memcmp(p + off, H2_PREFACE, k) == 0) {
                if (k < H2_PREFACE_LEN) {
                    dsx_need(x, dir, H2_PREFACE_LEN);
                    return off;
                }
                off += H2_PREFACE_LEN;
                if (h->client_dir < 0)
                    h->client_dir = dir;
                h->preface = true;
                d->ps = PS_FRAME;
                continue;
            }
            if (avail < H2_HDR) {
                dsx_need(x, dir, H2_HDR);
                return off;
            }
            /*
             * No preface: a direction that starts with SETTINGS may start at
             * its beginning (a server's first frame, which may come before the
             * client's preface) or not (SETTINGS may be sent at any time): its
             * first header block decides, by whether the preface was seen.
             */
            if (p[off + 3] == T_SETTINGS && !(p[off + 4] & FL_ACK))
                d->start_unsure = !h->preface;
            else
                hpack_lose_state(&d->hp);
            d->ps = frame_plausible(h, p + off, H2_MAX_FRAME, false) ? PS_FRAME : PS_RESYNC;
            continue;
        case PS_FRAME:
            if (avail < H2_HDR) {
                if (avail)
                    dsx_need(x, dir, H2_HDR);
                return off;
            }
            if (!frame_sane(h, dir, p + off)) {
                /* lost framing: what is pending is suspect, the table unknown */
                for (size_t i = 0; i < h->ns; i++) {
                    if (h->s[i]->e)
                        ent_anomaly(h->s[i]->e, ENT_A_MALFORMED);
                }
                hpack_lose_state(&d->hp);
                lose_messages(h, dir);
                d->ps = PS_RESYNC;
                d->resync_bytes = 0;
                d->seq_scan = d->seq_total = 0;
                continue;
            }
            k = on_frame(h, x, dir, p, off, avail);
            if (k == 0)
                return h->dead ? n : off;
            off += k;
            continue;
        case PS_DATA:
            s = stream_find(h, d->fsid);
            if (d->data_left) {
                if (!avail)
                    return off;
                k = avail < d->data_left ? avail : d->data_left;
                if (s) {
                    struct h2_side *sd = &s->side[side_of(h, dir)];

                    if (!sd->ended) {
                        sd->body += k;
                        h2_grpc_feed(sd, p + off, k);
                        if (s->e)
                            dsx_body(x, s->e, side_of(h, dir) == SIDE_RESP, p + off, k);
                    }
                    stream_mark(x, s, side_of(h, dir), dir, off, k);
                }
                d->data_left -= (uint32_t)k;
                off += k;
                continue;
            }
            if (d->pad_left) {
                if (!avail)
                    return off;
                k = avail < d->pad_left ? avail : d->pad_left;
                stream_mark(x, s, side_of(h, dir), dir, off, k);
                d->pad_left -= (uint32_t)k;
                off += k;
                continue;
            }
            d->ps = PS_FRAME;
            if (s && (d->fflags & FL_END_STREAM))
                side_end(h, x, s, side_of(h, dir));
            continue;
        case PS_SKIP:
            if (d->skip_left) {
                if (!avail)
                    return off;
                k = avail < d->skip_left ? avail : d->skip_left;
                s = d->fsid ? stream_find(h, d->fsid) : NULL;
                stream_mark(x, s, side_of(h, dir), dir, off, k);
                d->skip_left -= (uint32_t)k;
                off += k;
                continue;
            }
            d->ps = PS_FRAME;
            continue;
        case PS_RESYNC: {
            bool found;

            if (avail < H2_HDR)
                return off;
            off = resync(h, x, dir, p, off, n, &found);
            if (!found)
                return h->dead ? n : off;
            d->ps = PS_FRAME;
            d->resync_bytes = 0;
            continue;
        }
        default:
            return n;
        }
    }
}

/* ---- the other ops ----------------------------------------------------------------------- */

static enum dsx_bid h2_bid(const uint8_t *p, size_t n, int dir, bool dgram)
{
    size_t k = n < H2_PREFACE_LEN ? n : H2_PREFACE_LEN;
    uint32_t len;

    (void)dir;
    if (dgram || n == 0)
        return DSX_NO;
    if (memcmp(p, H2_PREFACE, k) == 0)
        return k < H2_PREFACE_LEN ? DSX_MORE : DSX_STRONG;
    /*
     * A connection already open when the capture started: a plausible frame
     * header, and the next one when it is there. The first frame is held to
     * the default size: the bytes of many a binary protocol (PostgreSQL,
     * LDAP's BER) read as some frame header of a larger length, whose next
     * header would lie past what a bid sees. The one after it may be of any
     * length (SETTINGS_MAX_FRAME_SIZE may have been raised before the
     * capture), as may every frame the parser reads once HTTP/2 was chosen.
     */
    if (n < H2_HDR) {
        /* what is there of a frame header must fit one */
        if (p[0] != 0 || (n >= 3 && be24(p) > H2_DEFAULT_FRAME) ||
            (n >= 4 && p[3] >= T_CONTINUATION))
            return DSX_NO;
        return DSX_MORE;
    }
    if (!frame_plausible(NULL, p, H2_DEFAULT_FRAME, false) || p[3] == T_CONTINUATION)
        return DSX_NO;
    len = be24(p);
    if (H2_HDR + (size_t)len + H2_HDR <= n &&
        !frame_plausible(NULL, p + H2_HDR + len, H2_MAX_FRAME, false))
        return DSX_NO;
    return DSX_WEAK;
}

/* The value of a base64url digit (RFC 4648 §5), or -1. */
static int b64url(uint8_t c)
{
    static const char digits[64] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const char *d = memchr(digits, c, sizeof digits);

    return d ? (int)(d - digits) : -1;
}

/*
 * The upgrade request's HTTP2-Settings (RFC 7540 §3.2.1: a SETTINGS payload
 * in base64url) are the client's first settings: the server applies them to
 * its answer on stream 1 at once. Up to H2C_SETTINGS_MAX settings are read.
 */
#define H2C_SETTINGS_MAX 32u
static void h2c_settings(struct h2 *h, const uint8_t *p, size_t n)
{
    static const char name[] = "http2-settings";
    const uint8_t *end = p + n;

    while (p < end) {
        const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
        const uint8_t *le = nl ? nl : end;
        size_t k = sizeof name - 1;

        if ((size_t)(le - p) > k && p[k] == ':') {
            size_t i;

            for (i = 0; i < k && (p[i] | 0x20) == name[i]; i++)
                ;
            if (i == k) {
                uint8_t set[6 * H2C_SETTINGS_MAX];
                size_t len = 0;
                uint32_t acc = 0;
                unsigned bits = 0;

                for (const uint8_t *v = p + k + 1; v < le && len < sizeof set; v++) {
                    int d = b64url(*v);

                    if (d < 0)
                        continue;       /* whitespace, CR, padding */
                    acc = acc << 6 | (uint32_t)d;
                    bits += 6;
                    if (bits >= 8) {
                        bits -= 8;
                        set[len++] = (uint8_t)(acc >> bits);
                    }
                }
                on_settings(h, h->client_dir, set, (uint32_t)(len - len % 6));
                return;
            }
        }
        p = nl ? nl + 1 : end;
    }
}

/* h2c (RFC 7540 §3.2): stream 1 is the HTTP/1.1 upgrade request; its response comes as HTTP/2. */
static void h2c_start(struct h2 *h, struct dsx *x, const struct dsx_h2c_hint *hint)
{
    struct h2_stream *s;

    h->client_dir = hint->client_dir == 1 ? 1 : 0;
    h->max_sid = 1;
    h->preface = true;
    h2c_settings(h, hint->data + hint->url_len, hint->fields_len);
    s = stream_new(h, x, 1);
    if (!s)
        return;
    s->side[SIDE_REQ].headers = true;
    s->side[SIDE_REQ].ended = true;
    s->side[SIDE_REQ].body = hint->body_size;  /* sent before the 101, as HTTP/1.1 */
    h2_write_h2c_request(s, hint);
    if (s->e) {
        dsx_body(x, s->e, false, hint->data + hint->url_len + hint->fields_len, hint->body_len);
        if (hint->body_cut)
            s->e->f.flags |= ENT_F_REQ_BODY_CUT;
    }
}

static void h2_init(void *st, struct dsx *x, const void *hint)
{
    struct h2 *h = st;

    for (int i = 0; i < 2; i++) {
        hpack_init(&h->d[i].hp);
        h->d[i].ps = PS_START;
        h->d[i].max_frame = H2_DEFAULT_FRAME;
    }
    h->client_dir = -1;
    buf_init(&h->fields, H2_FIELDS_MAX);
    buf_init(&h->block, DSX_CARRY_MAX);
    buf_init(&h->join, H2_FIELDS_MAX);
    if (hint)
        h2c_start(h, x, hint);
}

static void h2_gap(void *st, struct dsx *x, int dir, uint64_t n)
{
    struct h2 *h = st;
    struct h2_dir *d = &h->d[dir];
    struct h2_stream *s;

    (void)x;
    if (h->dead)
        return;
    if (d->ps == PS_DATA && n <= (uint64_t)d->data_left + d->pad_left) {
        /* inside a DATA payload: the frame goes on */
        uint32_t k = n < d->data_left ? (uint32_t)n : d->data_left;

        s = stream_find(h, d->fsid);
        if (s) {
            struct h2_side *sd = &s->side[side_of(h, dir)];

            if (k) {
                sd->body += k;
                sd->msg_lost = true;
            }
            if (s->e)
                ent_anomaly(s->e, ENT_A_GAP);
        }
        d->data_left -= k;
        d->pad_left -= (uint32_t)(n - k);
        return;
    }
    if (d->ps == PS_SKIP && n <= d->skip_left) {
        s = d->fsid ? stream_find(h, d->fsid) : NULL;
        if (s && s->e)
            ent_anomaly(s->e, ENT_A_GAP);
        d->skip_left -= (uint32_t)n;
        return;
    }
    /* the frame boundary is lost, and with it the header blocks in between */
    for (size_t i = 0; i < h->ns; i++) {
        if (h->s[i]->e)
            ent_anomaly(h->s[i]->e, ENT_A_GAP);
    }
    /* requests may have been lost: ids up to here no longer count as seen (stream_closed) */
    if (dir == h->client_dir || h->client_dir < 0) {
        h->ids_lost = true;
        h->min_sid = 0;
    }
    hpack_lose_state(&d->hp);
    lose_messages(h, dir);
    d->ps = PS_RESYNC;
    d->seq_scan = d->seq_total = 0;
    d->data_left = d->pad_left = d->skip_left = 0;
    d->resync_bytes = 0;
}

static void h2_end(void *st, struct dsx *x, int dir)
{
    struct h2 *h = st;

    if (dir >= 0)
        return;                 /* streams end by END_STREAM, RST_STREAM or the end */
    flush_all(h, x, 0);
}

static void h2_fini(void *st)
{
    struct h2 *h = st;

    for (size_t i = 0; i < h->ns; i++)
        stream_free(h->s[i]);
    while (h->nspare)
        free(h->spare[--h->nspare]);
    free(h->s);
    h->s = NULL;
    h->ns = h->scap = 0;
    for (int i = 0; i < 2; i++)
        hpack_release(&h->d[i].hp);
    buf_release(&h->fields);
    buf_release(&h->block);
    buf_release(&h->join);
}

static const uint16_t h2_ports[] = { 50051, 9090, 8081, 0 };

const struct dsx_ops dsx_http2 = {
    .name = "http2",
    .l4 = DSX_TCP,
    .ports = h2_ports,
    .state_size = sizeof(struct h2),
    .bid = h2_bid,
    .init = h2_init,
    .parse = h2_parse,
    .gap = h2_gap,
    .end = h2_end,
    .fini = h2_fini,
    .parse_rest = true,         /* the last frame after a gap (resync) */
};
