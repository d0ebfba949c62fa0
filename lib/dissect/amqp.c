/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: AMQP 0-9-1 dissector: frames, method names and the common
 * arguments, synchronous methods paired with their -ok, content counted.
 *
 * Spec: AMQP 0-9-1 specification (amqp0-9-1.pdf §2.3.5, §4.2) and its XML
 * method definitions. A connection begins with the client's protocol header
 * "AMQP\0\0\x09\x01"; then frames: type (1 method, 2 content header,
 * 3 body, 8 heartbeat), channel (16 bits), size (32 bits), payload, 0xCE.
 *
 * Entries: one per method frame, except a -ok, which completes the entry of
 * its synchronous method (same channel, other direction, oldest first). A
 * channel.close (connection.close) ends, with no_response, the synchronous
 * methods the other side still waits for on that channel (on all). A
 * synchronous method sent with no-wait, and every asynchronous one (publish,
 * deliver, ack, nack, reject, return, ...), is an entry with a request only.
 * An entry's client is the sender of its method: for basic.deliver (and
 * connection.start, ...) that is the server. Content (header + body frames
 * after publish, deliver, return and get-ok) belongs to the method's entry;
 * its body bytes are counted into bodySize and the entry completes with it.
 *     request:  {"method", "channel", "exchange", "queue", "routingKey" (those the method
 *                has; exchange.bind/unbind: "source" too), "replyCode", "replyText" (close,
 *                return), "bodySize" (content)}
 *     response: {"method", "queue", "messageCount", "consumerCount" (those the method has),
 *                "bodySize" (basic.get-ok)}
 * Sizes are whole frames (header, payload, end octet).
 *
 * Per direction:
 *     HDR --7 bytes + the head of the payload--> PAYLOAD (rest, consumed as it
 *     comes) --> END (0xCE: else malformed and the stream is abandoned) --> HDR
 *     a gap outside a payload --> RESYNC: a method frame of a known method, or
 *     a heartbeat, whose end octet is right; give up after AMQP_RESYNC_MAX.
 * The head is the whole payload of a method frame (at most AMQP_HEAD_MAX), the
 * first 12 bytes of a content header, nothing of a body.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cur.h"
#include "dissect/dissect.h"

#define AMQP_HEAD_MAX       (128u * 1024)   /* method frame payload read at once */
#define AMQP_SIZE_MAX       (64u << 20)     /* declared frame size */
#define AMQP_PEND_MAX       1024u           /* synchronous methods waiting for their -ok */
#define AMQP_CONTENT_MAX    16u             /* messages with content in progress */
#define AMQP_RESYNC_MAX     (4u << 20)      /* bytes searched for a frame after a gap */
#define AMQP_RESYNC_FRAME   (16u * 1024)    /* largest method frame looked for then */
#define AMQP_FRAME_END      0xCE

enum amqp_mode { AM_HDR = 0, AM_PAYLOAD, AM_END, AM_RESYNC };
enum amqp_ftype { AF_METHOD = 1, AF_HEADER = 2, AF_BODY = 3, AF_HEARTBEAT = 8 };
/* What to do with the frame's entry after its end octet. */
enum amqp_after { AA_NONE = 0, AA_EMIT, AA_PEND };
/* Method kinds. */
enum amqp_kind { AK_ASYNC = 0, AK_SYNC, AK_RESP, AK_CONTENT };

struct amqp_method {
    uint16_t cls, mid;
    uint8_t kind;               /* AK_* */
    uint16_t ok, ok2;           /* AK_SYNC: the response methods */
    const char *name;
};

static const struct amqp_method amqp_methods[] = {
    { 10, 10, AK_SYNC, 11, 0, "connection.start" },
    { 10, 11, AK_RESP, 0, 0, "connection.start-ok" },
    { 10, 20, AK_SYNC, 21, 0, "connection.secure" },
    { 10, 21, AK_RESP, 0, 0, "connection.secure-ok" },
    { 10, 30, AK_SYNC, 31, 0, "connection.tune" },
    { 10, 31, AK_RESP, 0, 0, "connection.tune-ok" },
    { 10, 40, AK_SYNC, 41, 0, "connection.open" },
    { 10, 41, AK_RESP, 0, 0, "connection.open-ok" },
    { 10, 50, AK_SYNC, 51, 0, "connection.close" },
    { 10, 51, AK_RESP, 0, 0, "connection.close-ok" },
    { 10, 60, AK_ASYNC, 0, 0, "connection.blocked" },
    { 10, 61, AK_ASYNC, 0, 0, "connection.unblocked" },
    { 10, 70, AK_SYNC, 71, 0, "connection.update-secret" },
    { 10, 71, AK_RESP, 0, 0, "connection.update-secret-ok" },
    { 20, 10, AK_SYNC, 11, 0, "channel.open" },
    { 20, 11, AK_RESP, 0, 0, "channel.open-ok" },
    { 20, 20, AK_SYNC, 21, 0, "channel.flow" },
    { 20, 21, AK_RESP, 0, 0, "channel.flow-ok" },
    { 20, 40, AK_SYNC, 41, 0, "channel.close" },
    { 20, 41, AK_RESP, 0, 0, "channel.close-ok" },
    { 40, 10, AK_SYNC, 11, 0, "exchange.declare" },
    { 40, 11, AK_RESP, 0, 0, "exchange.declare-ok" },
    { 40, 20, AK_SYNC, 21, 0, "exchange.delete" },
    { 40, 21, AK_RESP, 0, 0, "exchange.delete-ok" },
    { 40, 30, AK_SYNC, 31, 0, "exchange.bind" },
    { 40, 31, AK_RESP, 0, 0, "exchange.bind-ok" },
    { 40, 40, AK_SYNC, 51, 0, "exchange.unbind" },
    { 40, 51, AK_RESP, 0, 0, "exchange.unbind-ok" },
    { 50, 10, AK_SYNC, 11, 0, "queue.declare" },
    { 50, 11, AK_RESP, 0, 0, "queue.declare-ok" },
    { 50, 20, AK_SYNC, 21, 0, "queue.bind" },
    { 50, 21, AK_RESP, 0, 0, "queue.bind-ok" },
    { 50, 30, AK_SYNC, 31, 0, "queue.purge" },
    { 50, 31, AK_RESP, 0, 0, "queue.purge-ok" },
    { 50, 40, AK_SYNC, 41, 0, "queue.delete" },
    { 50, 41, AK_RESP, 0, 0, "queue.delete-ok" },
    { 50, 50, AK_SYNC, 51, 0, "queue.unbind" },
    { 50, 51, AK_RESP, 0, 0, "queue.unbind-ok" },
    { 60, 10, AK_SYNC, 11, 0, "basic.qos" },
    { 60, 11, AK_RESP, 0, 0, "basic.qos-ok" },
    { 60, 20, AK_SYNC, 21, 0, "basic.consume" },
    { 60, 21, AK_RESP, 0, 0, "basic.consume-ok" },
    { 60, 30, AK_SYNC, 31, 0, "basic.cancel" },
    { 60, 31, AK_RESP, 0, 0, "basic.cancel-ok" },
    { 60, 40, AK_CONTENT, 0, 0, "basic.publish" },
    { 60, 50, AK_CONTENT, 0, 0, "basic.return" },
    { 60, 60, AK_CONTENT, 0, 0, "basic.deliver" },
    { 60, 70, AK_SYNC, 71, 72, "basic.get" },
    { 60, 71, AK_RESP, 0, 0, "basic.get-ok" },
    { 60, 72, AK_RESP, 0, 0, "basic.get-empty" },
    { 60, 80, AK_ASYNC, 0, 0, "basic.ack" },
    { 60, 90, AK_ASYNC, 0, 0, "basic.reject" },
    { 60, 100, AK_ASYNC, 0, 0, "basic.recover-async" },
    { 60, 110, AK_SYNC, 111, 0, "basic.recover" },
    { 60, 111, AK_RESP, 0, 0, "basic.recover-ok" },
    { 60, 120, AK_ASYNC, 0, 0, "basic.nack" },
    { 85, 10, AK_SYNC, 11, 0, "confirm.select" },
    { 85, 11, AK_RESP, 0, 0, "confirm.select-ok" },
    { 90, 10, AK_SYNC, 11, 0, "tx.select" },
    { 90, 11, AK_RESP, 0, 0, "tx.select-ok" },
    { 90, 20, AK_SYNC, 21, 0, "tx.commit" },
    { 90, 21, AK_RESP, 0, 0, "tx.commit-ok" },
    { 90, 30, AK_SYNC, 31, 0, "tx.rollback" },
    { 90, 31, AK_RESP, 0, 0, "tx.rollback-ok" },
};
#define AMQP_NMETHODS (sizeof amqp_methods / sizeof amqp_methods[0])

struct amqp_pend {
    struct ent *e;
    uint16_t chan, cls, ok, ok2;
    uint8_t dir;                /* the sender of the method */
};

/* A message whose content (header, body frames) is being read. */
struct amqp_content {
    struct ent *e;
    uint64_t body_size, body_got;
    uint64_t age;               /* for evicting the oldest */
    uint16_t chan;
    uint8_t dir;
    bool used, resp, have_header;
};

struct amqp_dir {
    uint8_t mode;               /* AM_* */
    uint8_t ftype;              /* the frame being read */
    uint8_t after;              /* AA_* */
    bool resp;                  /* e is marked as a response */
    bool owns;                  /* e is this direction's to emit (AA_EMIT, AA_PEND) */
    uint16_t chan;
    uint32_t left;              /* AM_PAYLOAD: bytes left */
    int slot;                   /* content frame: its slot, or -1 */
    struct amqp_pend pend;      /* AA_PEND: what to wait for */
    struct ent *e;              /* the frame's entry (may be NULL) */
    uint64_t skipped;           /* AM_RESYNC */
};

struct amqp {
    struct amqp_dir d[2];
    struct amqp_content content[AMQP_CONTENT_MAX];
    struct amqp_pend *pend;     /* oldest first */
    uint32_t pcap, plen;
    uint64_t age;
    bool dead;
};

static const uint16_t amqp_ports[] = { 5672, 0 };

static const struct amqp_method *amqp_find(uint16_t cls, uint16_t mid)
{
    for (size_t i = 0; i < AMQP_NMETHODS; i++)
        if (amqp_methods[i].cls == cls && amqp_methods[i].mid == mid)
            return &amqp_methods[i];
    return NULL;
}

static bool amqp_known_class(uint16_t cls)
{
    return cls == 10 || cls == 20 || cls == 40 || cls == 50 || cls == 60 || cls == 85 ||
           cls == 90;
}

/* ---------------------------------------------------------------- arguments */

struct amqp_str {
    const uint8_t *p;           /* NULL: absent */
    size_t n;
};

struct amqp_args {
    struct amqp_str exchange, queue, rkey, source, reply_text;
    int32_t reply_code;         /* -1: absent */
    int64_t msg_count, cons_count;  /* -1: absent */
    bool nowait;
};

static void a_short(struct cur *c, struct amqp_str *s)
{
    size_t n = cur_u8(c);

    if (c->bad || !cur_need(c, n))
        return;
    s->p = c->p;
    s->n = n;
    c->p += n;
}

static void a_skip_short(struct cur *c)
{
    cur_skip(c, cur_u8(c));
}

static void a_bits(struct cur *c, struct amqp_args *a, int nowait_bit)
{
    uint8_t b = cur_u8(c);

    if (!c->bad)
        a->nowait = (b >> nowait_bit) & 1;
}

/* Reads what the method's arguments hold of interest; false when they are cut. */
static bool amqp_args(uint16_t cls, uint16_t mid, struct cur *c, struct amqp_args *a)
{
    memset(a, 0, sizeof *a);
    a->reply_code = -1;
    a->msg_count = a->cons_count = -1;
    switch ((uint32_t)cls << 16 | mid) {
    case 10u << 16 | 50:                    /* connection.close */
    case 20u << 16 | 40:                    /* channel.close */
        a->reply_code = cur_be16(c);
        a_short(c, &a->reply_text);
        cur_skip(c, 4);
        break;
    case 40u << 16 | 10:                    /* exchange.declare */
        cur_skip(c, 2);
        a_short(c, &a->exchange);
        a_skip_short(c);                    /* type */
        a_bits(c, a, 4);
        break;
    case 40u << 16 | 20:                    /* exchange.delete */
        cur_skip(c, 2);
        a_short(c, &a->exchange);
        a_bits(c, a, 1);
        break;
    case 40u << 16 | 30:                    /* exchange.bind */
    case 40u << 16 | 40:                    /* exchange.unbind */
        cur_skip(c, 2);
        a_short(c, &a->exchange);           /* destination */
        a_short(c, &a->source);
        a_short(c, &a->rkey);
        a_bits(c, a, 0);
        break;
    case 50u << 16 | 10:                    /* queue.declare */
        cur_skip(c, 2);
        a_short(c, &a->queue);
        a_bits(c, a, 4);
        break;
    case 50u << 16 | 11:                    /* queue.declare-ok */
        a_short(c, &a->queue);
        a->msg_count = cur_be32(c);
        a->cons_count = cur_be32(c);
        break;
    case 50u << 16 | 20:                    /* queue.bind */
    case 50u << 16 | 50:                    /* queue.unbind */
        cur_skip(c, 2);
        a_short(c, &a->queue);
        a_short(c, &a->exchange);
        a_short(c, &a->rkey);
        if (mid == 20)
            a_bits(c, a, 0);
        break;
    case 50u << 16 | 30:                    /* queue.purge */
        cur_skip(c, 2);
        a_short(c, &a->queue);
        a_bits(c, a, 0);
        break;
    case 50u << 16 | 40:                    /* queue.delete */
        cur_skip(c, 2);
        a_short(c, &a->queue);
        a_bits(c, a, 2);
        break;
    case 50u << 16 | 31:                    /* queue.purge-ok */
    case 50u << 16 | 41:                    /* queue.delete-ok */
        a->msg_count = cur_be32(c);
        break;
    case 60u << 16 | 20:                    /* basic.consume */
        cur_skip(c, 2);
        a_short(c, &a->queue);
        a_skip_short(c);                    /* consumer tag */
        a_bits(c, a, 3);
        break;
    case 60u << 16 | 30:                    /* basic.cancel */
        a_skip_short(c);
        a_bits(c, a, 0);
        break;
    case 60u << 16 | 40:                    /* basic.publish */
        cur_skip(c, 2);
        a_short(c, &a->exchange);
        a_short(c, &a->rkey);
        cur_skip(c, 1);
        break;
    case 60u << 16 | 50:                    /* basic.return */
        a->reply_code = cur_be16(c);
        a_short(c, &a->reply_text);
        a_short(c, &a->exchange);
        a_short(c, &a->rkey);
        break;
    case 60u << 16 | 60:                    /* basic.deliver */
        a_skip_short(c);                    /* consumer tag */
        cur_skip(c, 9);                     /* delivery tag, redelivered */
        a_short(c, &a->exchange);
        a_short(c, &a->rkey);
        break;
    case 60u << 16 | 70:                    /* basic.get */
        cur_skip(c, 2);
        a_short(c, &a->queue);
        cur_skip(c, 1);
        break;
    case 60u << 16 | 71:                    /* basic.get-ok */
        cur_skip(c, 9);
        a_skip_short(c);                    /* exchange */
        a_skip_short(c);                    /* routing key */
        a->msg_count = cur_be32(c);
        break;
    case 85u << 16 | 10:                    /* confirm.select */
        a_bits(c, a, 0);
        break;
    default:
        break;
    }
    if (c->bad) {
        a->msg_count = a->cons_count = -1;
        a->reply_code = -1;
        a->nowait = false;
    }
    return !c->bad;
}

static void amqp_put_str(struct ent *e, const char *key, const struct amqp_str *s)
{
    if (s->p)
        ent_str(e, key, s->p, s->n);
}

/* ---------------------------------------------------------------- entries */

static void amqp_emit(struct dsx *x, struct ent *e, uint32_t anomalies)
{
    if (!e)
        return;
    ent_anomaly(e, anomalies);
    dsx_emit(x, e);
}

static void amqp_mark(struct dsx *x, struct amqp_dir *ad, int dir, size_t off, size_t len)
{
    if (!ad->e || len == 0)
        return;
    if (ad->resp)
        dsx_mark_resp(x, ad->e, dir, off, len);
    else
        dsx_mark_req(x, ad->e, dir, off, len);
}

static void amqp_pend_add(struct dsx *x, struct amqp *a, const struct amqp_pend *p)
{
    if (a->plen == a->pcap && a->pcap < AMQP_PEND_MAX) {
        uint32_t ncap = a->pcap ? a->pcap * 2 : 16;
        struct amqp_pend *np = realloc(a->pend, ncap * sizeof *np);

        if (np) {
            a->pend = np;
            a->pcap = ncap;
        }
    }
    if (a->pcap == 0) {
        amqp_emit(x, p->e, ENT_A_NO_RESPONSE | ENT_A_CAP);
        return;
    }
    if (a->plen == a->pcap) {
        amqp_emit(x, a->pend[0].e, ENT_A_NO_RESPONSE | ENT_A_CAP);
        memmove(a->pend, a->pend + 1, (a->plen - 1) * sizeof *a->pend);
        a->plen--;
    }
    a->pend[a->plen++] = *p;
}

/* Takes the oldest method the -ok (cls, mid) from dir on chan answers; NULL if none. */
static bool amqp_pend_take(struct amqp *a, int dir, uint16_t chan, uint16_t cls, uint16_t mid,
                           struct ent **e)
{
    for (uint32_t i = 0; i < a->plen; i++) {
        struct amqp_pend *p = &a->pend[i];

        if (p->chan == chan && p->dir != dir && p->cls == cls && (p->ok == mid || p->ok2 == mid)) {
            *e = p->e;
            memmove(a->pend + i, a->pend + i + 1, (a->plen - i - 1) * sizeof *a->pend);
            a->plen--;
            return true;
        }
    }
    return false;
}

/*
 * dir closes chan (connection.close: every channel): the synchronous methods
 * the other side sent there and that are still waiting will get no -ok (a
 * close is how a peer refuses one). Its own methods are answered before the
 * close-ok, and a close crossing this one still gets its close-ok.
 */
static void amqp_pend_close(struct dsx *x, struct amqp *a, int dir, bool all, uint16_t chan)
{
    uint32_t i = 0;

    while (i < a->plen) {
        struct amqp_pend *p = &a->pend[i];
        bool close = (p->cls == 10 && p->ok == 51) || (p->cls == 20 && p->ok == 41);

        if (p->dir == dir || close || (!all && p->chan != chan)) {
            i++;
            continue;
        }
        amqp_emit(x, p->e, ENT_A_NO_RESPONSE);
        memmove(a->pend + i, a->pend + i + 1, (a->plen - i - 1) * sizeof *a->pend);
        a->plen--;
    }
}

/* The content slot of (dir, chan), or -1. */
static int amqp_slot(const struct amqp *a, int dir, uint16_t chan)
{
    for (unsigned i = 0; i < AMQP_CONTENT_MAX; i++)
        if (a->content[i].used && a->content[i].dir == dir && a->content[i].chan == chan)
            return (int)i;
    return -1;
}

static void amqp_content_done(struct dsx *x, struct amqp *a, int i, uint32_t anomalies)
{
    struct amqp_content *ct = &a->content[i];

    /*
     * A frame of this content may be half read (a slot cut for the other
     * direction's content): the rest of it belongs to no entry.
     */
    for (int d = 0; d < 2; d++) {
        if (a->d[d].slot == i || (ct->e && a->d[d].e == ct->e)) {
            a->d[d].e = NULL;
            a->d[d].slot = -1;
        }
    }
    if (ct->e) {
        ent_section(ct->e, ct->resp ? ENT_RESP : ENT_REQ);
        ent_u64(ct->e, "bodySize", ct->body_got);
    }
    amqp_emit(x, ct->e, anomalies);
    memset(ct, 0, sizeof *ct);
}

/* Gives e (whose method carries content) a slot; the oldest is cut when all are taken. */
static void amqp_content_open(struct dsx *x, struct amqp *a, int dir, uint16_t chan,
                              struct ent *e, bool resp)
{
    unsigned i, old = 0;

    for (i = 0; i < AMQP_CONTENT_MAX && a->content[i].used; i++)
        if (a->content[i].age < a->content[old].age)
            old = i;
    if (i == AMQP_CONTENT_MAX) {
        amqp_content_done(x, a, (int)old, ENT_A_TRUNCATED | ENT_A_CAP);
        i = old;
    }
    a->content[i].used = true;
    a->content[i].e = e;
    a->content[i].dir = (uint8_t)dir;
    a->content[i].chan = chan;
    a->content[i].resp = resp;
    a->content[i].age = a->age++;
}

/* ---------------------------------------------------------------- frames */

/* A method frame whose whole head (payload or its first AMQP_HEAD_MAX bytes) is at p. */
static void amqp_method(struct dsx *x, struct amqp *a, int dir, const uint8_t *p, size_t n,
                        bool whole)
{
    struct amqp_dir *ad = &a->d[dir];
    const struct amqp_method *m;
    struct amqp_args args;
    struct cur c;
    uint16_t cls, mid;
    char num[16];
    const char *name;
    struct ent *e = NULL;
    bool matched = false, ok;
    int slot = amqp_slot(a, dir, ad->chan);

    if (slot >= 0)                          /* a method before the content ended */
        amqp_content_done(x, a, slot, ENT_A_TRUNCATED | ENT_A_MALFORMED);
    cur_init(&c, p, n);
    cls = cur_be16(&c);
    mid = cur_be16(&c);
    m = c.bad ? NULL : amqp_find(cls, mid);
    if (m) {
        name = m->name;
    } else {
        snprintf(num, sizeof num, "%u.%u", (unsigned)cls, (unsigned)mid);
        name = num;
    }
    ok = !c.bad && amqp_args(cls, mid, &c, &args);
    if (!ok)
        (void)amqp_args(0, 0, &c, &args);
    if (m && ((cls == 10 && mid == 50) || (cls == 20 && mid == 40)))
        amqp_pend_close(x, a, dir, cls == 10, ad->chan);
    ad->resp = m && m->kind == AK_RESP;
    if (ad->resp) {
        matched = amqp_pend_take(a, dir, ad->chan, cls, mid, &e);
        if (!matched) {
            e = dsx_entry(x, ENT_AMQP, dir ^ 1);
            if (e)
                ent_anomaly(e, ENT_A_NO_REQUEST);
        }
    } else {
        e = dsx_entry(x, ENT_AMQP, dir);
    }
    ad->e = e;
    ad->owns = true;
    ad->after = AA_EMIT;
    if (!e)
        return;
    if (c.bad || (!ok && whole))
        ent_anomaly(e, whole ? ENT_A_MALFORMED : ENT_A_TRUNCATED);
    ent_section(e, ad->resp ? ENT_RESP : ENT_REQ);
    ent_cstr(e, "method", name);
    if (ad->resp) {
        amqp_put_str(e, "queue", &args.queue);
        if (args.msg_count >= 0)
            ent_u64(e, "messageCount", (uint64_t)args.msg_count);
        if (args.cons_count >= 0)
            ent_u64(e, "consumerCount", (uint64_t)args.cons_count);
        if (cls == 60 && mid == 71) {
            amqp_content_open(x, a, dir, ad->chan, e, true);
            ad->owns = false;
            ad->after = AA_NONE;
        }
        return;
    }
    ent_u64(e, "channel", ad->chan);
    amqp_put_str(e, "exchange", &args.exchange);
    amqp_put_str(e, "source", &args.source);
    amqp_put_str(e, "queue", &args.queue);
    amqp_put_str(e, "routingKey", &args.rkey);
    if (args.reply_code >= 0) {
        ent_u64(e, "replyCode", (uint64_t)args.reply_code);
        amqp_put_str(e, "replyText", &args.reply_text);
    }
    if (m && m->kind == AK_CONTENT) {
        amqp_content_open(x, a, dir, ad->chan, e, false);
        ad->owns = false;
        ad->after = AA_NONE;
    } else if (m && m->kind == AK_SYNC && !args.nowait) {
        ad->after = AA_PEND;
        ad->pend.e = e;
        ad->pend.chan = ad->chan;
        ad->pend.cls = cls;
        ad->pend.ok = m->ok;
        ad->pend.ok2 = m->ok2;
        ad->pend.dir = (uint8_t)dir;
    }
}

/* Starts a frame whose header and head are at p; returns the head's length. */
static size_t amqp_frame(struct dsx *x, struct amqp *a, int dir, const uint8_t *p, uint32_t size,
                         size_t head)
{
    struct amqp_dir *ad = &a->d[dir];
    int slot;

    ad->e = NULL;
    ad->resp = false;
    ad->owns = false;
    ad->after = AA_NONE;
    ad->slot = -1;
    switch (ad->ftype) {
    case AF_METHOD:
        amqp_method(x, a, dir, p + 7, head, head == size);
        break;
    case AF_HEADER:
    case AF_BODY:
        slot = amqp_slot(a, dir, ad->chan);
        if (slot < 0)
            break;                          /* content of a method not seen: skipped */
        ad->slot = slot;
        ad->e = a->content[slot].e;
        ad->resp = a->content[slot].resp;
        if (ad->ftype == AF_HEADER) {
            if (a->content[slot].have_header && a->content[slot].e)
                ent_anomaly(a->content[slot].e, ENT_A_MALFORMED);   /* one per message */
            a->content[slot].have_header = true;
            if (head >= 12)
                a->content[slot].body_size = (uint64_t)ld_be32(p + 7 + 4) << 32 |
                                             ld_be32(p + 7 + 8);
            if (head < 12 && a->content[slot].e)
                ent_anomaly(a->content[slot].e, ENT_A_MALFORMED);
        } else if (!a->content[slot].have_header && a->content[slot].e)
                ent_anomaly(a->content[slot].e, ENT_A_MALFORMED);
        break;
    default:
        break;                              /* heartbeat */
    }
    return head;
}

/* Counts n body bytes of the frame being read in dir (they came, or a gap lost them). */
static void amqp_body_bytes(struct amqp *a, const struct amqp_dir *ad, size_t n)
{
    if (ad->ftype == AF_BODY && ad->slot >= 0)
        a->content[ad->slot].body_got += n;
}

/* The frame of dir ended with a right end octet. */
static void amqp_frame_done(struct dsx *x, struct amqp *a, int dir)
{
    struct amqp_dir *ad = &a->d[dir];

    if (ad->after == AA_EMIT)
        amqp_emit(x, ad->e, 0);
    else if (ad->after == AA_PEND)
        amqp_pend_add(x, a, &ad->pend);
    if (ad->slot >= 0) {
        struct amqp_content *ct = &a->content[ad->slot];

        /* the body frames add up to the body size (§4.2.6.2), else malformed */
        if (ct->used && ct->have_header && ct->body_got >= ct->body_size)
            amqp_content_done(x, a, ad->slot,
                              ct->body_got > ct->body_size ? ENT_A_MALFORMED : 0);
    }
    ad->e = NULL;
    ad->owns = false;
    ad->after = AA_NONE;
    ad->slot = -1;
    ad->mode = AM_HDR;
}

/* Emits everything pending (stream end, abandon). */
static void amqp_flush(struct dsx *x, struct amqp *a, uint32_t cut)
{
    for (int d = 0; d < 2; d++) {
        struct amqp_dir *ad = &a->d[d];

        if (ad->owns)
            amqp_emit(x, ad->e, cut | (ad->after == AA_PEND ? ENT_A_NO_RESPONSE : 0));
        ad->e = NULL;
        ad->owns = false;
        ad->after = AA_NONE;
        ad->slot = -1;
    }
    for (unsigned i = 0; i < AMQP_CONTENT_MAX; i++)
        if (a->content[i].used)
            amqp_content_done(x, a, (int)i, cut);
    for (uint32_t i = 0; i < a->plen; i++)
        amqp_emit(x, a->pend[i].e, ENT_A_NO_RESPONSE);
    a->plen = 0;
}

static void amqp_give_up(struct dsx *x, struct amqp *a, int dir)
{
    if (a->d[dir].e)
        ent_anomaly(a->d[dir].e, ENT_A_MALFORMED);
    amqp_flush(x, a, ENT_A_MALFORMED);
    a->dead = true;
    dsx_abandon(x);
}

/* Bytes of the head of a frame of type t and size size. */
static size_t amqp_head(uint8_t t, uint32_t size)
{
    if (t == AF_METHOD)
        return size < AMQP_HEAD_MAX ? size : AMQP_HEAD_MAX;
    if (t == AF_HEADER)
        return size < 12 ? size : 12;
    return 0;
}

static bool amqp_type_ok(uint8_t t)
{
    return t == AF_METHOD || t == AF_HEADER || t == AF_BODY || t == AF_HEARTBEAT;
}

/*
 * AM_RESYNC: whether a frame begins at p (n bytes): a method frame of a
 * known method, or a heartbeat, whose end octet is right (content frames
 * after a gap belong to a message already given up). *need is set when more
 * bytes are needed to tell.
 */
static bool amqp_frame_at(const uint8_t *p, size_t n, size_t *need)
{
    uint32_t size;

    *need = 0;
    if (p[0] != AF_METHOD && p[0] != AF_HEARTBEAT)
        return false;
    if (n < 7) {
        *need = 7;
        return false;
    }
    size = ld_be32(p + 3);
    if (p[0] == AF_HEARTBEAT && size != 0)
        return false;
    if (p[0] == AF_METHOD) {
        if (size < 4 || size > AMQP_RESYNC_FRAME)
            return false;
        if (n < 11) {
            *need = 11;
            return false;
        }
        if (!amqp_find(ld_be16(p + 7), ld_be16(p + 9)))
            return false;
    }
    if (n < (size_t)size + 8) {
        *need = (size_t)size + 8;
        return false;
    }
    return p[size + 7] == AMQP_FRAME_END;
}

static size_t amqp_parse(void *st, struct dsx *x, int dir, const uint8_t *p, size_t n)
{
    struct amqp *a = st;
    struct amqp_dir *ad = &a->d[dir];
    size_t pos = 0;

    if (a->dead)
        return n;
    while (pos < n) {
        size_t avail = n - pos, take, need, head;
        uint32_t size;

        switch (ad->mode) {
        case AM_PAYLOAD:
            take = ad->left < avail ? ad->left : avail;
            amqp_mark(x, ad, dir, pos, take);
            amqp_body_bytes(a, ad, take);
            pos += take;
            ad->left -= (uint32_t)take;
            if (ad->left == 0)
                ad->mode = AM_END;
            continue;
        case AM_END:
            if (p[pos] != AMQP_FRAME_END) {
                amqp_mark(x, ad, dir, pos, 1);
                amqp_give_up(x, a, dir);
                return n;
            }
            amqp_mark(x, ad, dir, pos, 1);
            pos++;
            amqp_frame_done(x, a, dir);
            continue;
        case AM_RESYNC:
            if (amqp_frame_at(p + pos, avail, &need)) {
                ad->mode = AM_HDR;
                continue;
            }
            if (need) {
                dsx_need(x, dir, need);
                goto out;
            }
            pos++;
            if (++ad->skipped > AMQP_RESYNC_MAX) {
                amqp_give_up(x, a, dir);
                return n;
            }
            continue;
        case AM_HDR:
        default:
            break;
        }
        if (p[pos] == 'A') {
            /* the protocol header (the server sends its own when it refuses the version) */
            if (avail < 8) {
                dsx_need(x, dir, 8);
                goto out;
            }
            if (memcmp(p + pos, "AMQP", 4) != 0) {
                amqp_give_up(x, a, dir);
                return n;
            }
            pos += 8;
            continue;
        }
        if (avail < 7) {
            dsx_need(x, dir, 7);
            goto out;
        }
        ad->ftype = p[pos];
        ad->chan = ld_be16(p + pos + 1);
        size = ld_be32(p + pos + 3);
        if (!amqp_type_ok(ad->ftype) || size > AMQP_SIZE_MAX) {
            amqp_give_up(x, a, dir);
            return n;
        }
        head = amqp_head(ad->ftype, size);
        if (avail < 7 + head) {
            dsx_need(x, dir, 7 + head);
            goto out;
        }
        (void)amqp_frame(x, a, dir, p + pos, size, head);
        if (a->dead)
            return n;
        amqp_mark(x, ad, dir, pos, 7 + head);
        pos += 7 + head;
        ad->left = size - (uint32_t)head;
        ad->mode = ad->left ? AM_PAYLOAD : AM_END;
    }
out:
    return pos;
}

static void amqp_gap(void *st, struct dsx *x, int dir, uint64_t n)
{
    struct amqp *a = st;
    struct amqp_dir *ad = &a->d[dir];

    if (a->dead)
        return;
    if (ad->mode == AM_PAYLOAD && n <= ad->left) {
        /* inside a payload: still in step */
        ad->left -= (uint32_t)n;
        amqp_body_bytes(a, ad, (size_t)n);
        if (ad->left == 0)
            ad->mode = AM_END;
        if (ad->e)
            ent_anomaly(ad->e, ENT_A_GAP);
        return;
    }
    if (ad->e)
        ent_anomaly(ad->e, ENT_A_GAP);
    if (ad->after == AA_PEND)
        amqp_pend_add(x, a, &ad->pend);     /* the method was read: its -ok may come */
    else if (ad->owns)
        amqp_emit(x, ad->e, 0);
    ad->e = NULL;
    ad->owns = false;
    ad->after = AA_NONE;
    ad->slot = -1;
    /* content of this direction lost its frames */
    for (unsigned i = 0; i < AMQP_CONTENT_MAX; i++)
        if (a->content[i].used && a->content[i].dir == dir)
            amqp_content_done(x, a, (int)i, ENT_A_GAP);
    for (uint32_t i = 0; i < a->plen; i++)
        if (a->pend[i].e)
            ent_anomaly(a->pend[i].e, ENT_A_GAP);
    ad->mode = AM_RESYNC;
    ad->skipped = 0;
}

static void amqp_end(void *st, struct dsx *x, int dir)
{
    struct amqp *a = st;

    if (dir >= 0 || a->dead)
        return;
    amqp_flush(x, a, ENT_A_TRUNCATED);
}

static void amqp_init(void *st, struct dsx *x, const void *hint)
{
    struct amqp *a = st;

    (void)x;
    (void)hint;
    a->d[0].slot = a->d[1].slot = -1;
}

static void amqp_fini(void *st)
{
    struct amqp *a = st;

    for (int d = 0; d < 2; d++)
        if (a->d[d].owns)
            ent_free(a->d[d].e);
    for (unsigned i = 0; i < AMQP_CONTENT_MAX; i++)
        if (a->content[i].used)
            ent_free(a->content[i].e);
    for (uint32_t i = 0; i < a->plen; i++)
        ent_free(a->pend[i].e);
    free(a->pend);
    a->pend = NULL;
    a->plen = a->pcap = 0;
}

/* ---------------------------------------------------------------- detection */

static enum dsx_bid amqp_bid(const uint8_t *p, size_t n, int dir, bool dgram)
{
    static const uint8_t magic[8] = { 'A', 'M', 'Q', 'P', 0, 0, 9, 1 };
    uint32_t size;

    (void)dir;
    if (dgram)
        return DSX_NO;
    if (p[0] == 'A') {
        if (memcmp(p, magic, n < 8 ? n : 8) != 0)
            return DSX_NO;
        return n < 8 ? DSX_MORE : DSX_STRONG;
    }
    if (!amqp_type_ok(p[0]))
        return DSX_NO;
    if (n < 7)
        return DSX_MORE;
    size = ld_be32(p + 3);
    if (size > DSX_BID_MAX - 8)
        return DSX_NO;
    if (p[0] == AF_METHOD && (size < 4 || (n >= 9 && !amqp_known_class(ld_be16(p + 7)))))
        return DSX_NO;
    if (p[0] == AF_HEARTBEAT && (size != 0 || ld_be16(p + 1) != 0))
        return DSX_NO;
    if (n < (size_t)size + 8)
        return DSX_MORE;
    return p[size + 7] == AMQP_FRAME_END ? DSX_WEAK : DSX_NO;
}

const struct dsx_ops dsx_amqp = {
    .name = "amqp",
    .l4 = DSX_TCP,
    .ports = amqp_ports,
    .state_size = sizeof(struct amqp),
    .bid = amqp_bid,
    .init = amqp_init,
    .parse = amqp_parse,
    .gap = amqp_gap,
    .end = amqp_end,
    .fini = amqp_fini,
};
