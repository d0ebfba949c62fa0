/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: Redis dissector: RESP2 and RESP3 commands and replies, with
 * pipelining and pub/sub pushes.
 *
 * Spec: https://redis.io/docs/latest/develop/reference/protocol-spec/ (RESP2
 * and RESP3); inline commands as the server reads them (processInlineBuffer,
 * sdssplitargs: quotes and escapes; unbalanced quotes are malformed).
 *
 * One entry per command, paired with its reply in order (pipelining: a queue
 * of at most RESP_PEND_MAX commands). A command past the queue is emitted at
 * once (no_response + cap) and counted: the replies come in order, so as
 * many replies after the queue's are those commands', each a response-only
 * entry marked cap, and until they have come every new command goes the same
 * way; no reply is ever paired with another command. A command the server
 * does not answer (CLIENT REPLY OFF and SKIP, every command while replies are
 * off, the one after SKIP) is emitted at once with no response and no
 * anomaly. Entries:
 *     request:  {"command": upper-case name, "key": 2nd element or "", "args": element count}
 *     response: {"type": simple|error|integer|bulk|nil|array|map|set|push|double|boolean|
 *                bignum|verbatim, "value": text of simple/error/integer (256 bytes at most),
 *                "elements": count of array/map (pairs)/set/push}
 * The command name and the key are kept up to 256 bytes. A reply's type is
 * that of the value after any RESP3 attribute; RESP2 nils ($-1, *-1) and
 * RESP3 null are "nil".
 *
 * Pub/sub: a push (a RESP3 '>' value, or in RESP2 an array whose first
 * element is "message", "pmessage" or "smessage" while the connection is
 * subscribed) is an entry of its own with only a response. A (P|S)SUBSCRIBE
 * or (P|S)UNSUBSCRIBE command owns one confirmation per channel named (for
 * UNSUBSCRIBE without channels: up to the one saying 0 are left, or up to a
 * confirmation of another command, as patterns keep the count up); the entry's
 * response is the first one, its size all of them. Other confirmations are
 * response-only entries too. Replies with no command waiting (the capture
 * began mid-stream, MONITOR output) are response-only entries marked
 * no_request; pushes are not marked.
 *
 * Roles: the client is the side whose first bytes are a command (a reply
 * type byte, or an array from port 6379, says server).
 *
 * The value reader (struct rr, per direction) is in resp.c.
 *
 * Lines (headers, simple strings, inline commands) are read whole, up to
 * RESP_LINE_MAX. After RESP_BAD_MAX malformed messages the stream is abandoned.
 * A gap inside a bulk payload keeps the reader in step (the entry is marked
 * gap); elsewhere the message in progress ends, every waiting command is
 * marked gap (replies may have been lost: the pairing is no longer sure) and
 * the reader resynchronises on the next line that can begin a message.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "dissect/dissect.h"
#include "dissect/resp.h"

#define RESP_LINE_MAX   (64u * 1024)            /* a line: header, simple string, inline command */
#define RESP_PEND_MAX   1024u                   /* commands waiting for their reply */
#define RESP_BAD_MAX    16u                     /* malformed messages before giving up */

/* A command waiting for its reply. */
struct rpend {
    struct ent *e;                  /* may be NULL (out of memory) */
    uint32_t want;                  /* sub commands: confirmations expected (0: until count 0) */
    uint32_t got;
    bool sub;                       /* a (P|S)(UN)SUBSCRIBE command */
    uint8_t subcmd;                 /* which: resp_sub_cmd of its name */
    bool reset;                     /* RESET: leaves subscribed mode */
};

struct redis {
    struct rr rd[2];
    int client;                     /* direction of the client, -1 until known */
    bool subscribed;                /* RESP2 subscribed mode (pushes are arrays) */
    bool dead;
    uint32_t bad;                   /* malformed messages */
    struct rpend *q;                /* ring of pending commands */
    uint32_t qcap, qhead, qlen;
    uint32_t over;                  /* commands emitted past the queue, replies to come */
    bool reply_off;                 /* CLIENT REPLY OFF is in force */
    bool skip_next;                 /* CLIENT REPLY SKIP: the next command gets no reply */
    struct rpend active;            /* sub command collecting confirmations (active.e or .sub) */
    bool has_active;
    struct rpend cur;               /* server: the command whose reply is being read */
    bool has_cur;
};

static const uint16_t redis_ports[] = { 6379, 0 };

/* ---------------------------------------------------------------- entries and the queue */

static void redis_mark(struct dsx *x, struct redis *r, int dir, struct ent *e, size_t off,
                       size_t len)
{
    if (!e || len == 0)
        return;
    if (dir == r->client)
        dsx_mark_req(x, e, dir, off, len);
    else
        dsx_mark_resp(x, e, dir, off, len);
}

static void redis_emit(struct dsx *x, struct ent *e, uint32_t anomalies)
{
    if (!e)
        return;
    ent_anomaly(e, anomalies);
    dsx_emit(x, e);
}

static struct rpend *rq_at(struct redis *r, uint32_t i)
{
    return &r->q[(r->qhead + i) % r->qcap];
}

static void rq_pop(struct redis *r, struct rpend *out)
{
    *out = *rq_at(r, 0);
    r->qhead = (r->qhead + 1) % r->qcap;
    r->qlen--;
}

/*
 * Queues a complete command; past the queue (full, or commands past it still
 * unanswered) it is emitted at once, no_response + cap (see the top).
 */
static void rq_push(struct dsx *x, struct redis *r, const struct rpend *p)
{
    if (r->over == 0 && r->qlen == r->qcap && r->qcap < RESP_PEND_MAX) {
        uint32_t ncap = r->qcap ? r->qcap * 2 : 16;
        struct rpend *nq = malloc(ncap * sizeof *nq);

        if (nq) {
            for (uint32_t i = 0; i < r->qlen; i++)
                nq[i] = *rq_at(r, i);
            free(r->q);
            r->q = nq;
            r->qcap = ncap;
            r->qhead = 0;
        }
    }
    if (r->over > 0 || r->qlen == r->qcap) {
        redis_emit(x, p->e, ENT_A_NO_RESPONSE | ENT_A_CAP);
        /* a (un)subscribe's confirmations are told apart from replies: not counted */
        if (!p->sub)
            r->over++;
        return;
    }
    *rq_at(r, r->qlen) = *p;
    r->qlen++;
}

/* Writes the request section of a command read by rd. */
static void redis_req_section(struct rr *rd, uint64_t args)
{
    char name[RESP_KEEP];
    struct ent *e = rd->e;

    if (!e)
        return;
    for (size_t i = 0; i < rd->t[0].n; i++)
        name[i] = (char)resp_upper((uint8_t)rd->t[0].s[i]);
    ent_section(e, ENT_REQ);
    ent_str(e, "command", name, rd->t[0].n);
    ent_str(e, "key", rd->t[1].s, args >= 2 ? rd->t[1].n : 0);
    ent_u64(e, "args", args);
}

/* Writes the response section of the reply read by rd (top == 0: a nil or unknown value). */
static void redis_resp_section(struct rr *rd)
{
    struct ent *e = rd->e;
    uint8_t t = rd->top;

    if (!e)
        return;
    ent_section(e, ENT_RESP);
    if (rd->nil)
        t = '_';                            /* RESP2 nil bulk or array */
    ent_cstr(e, "type", resp_type_name(t));
    if (t == '+' || t == '-' || t == '!' || t == ':')
        ent_str(e, "value", rd->t[0].s, rd->t[0].n);
    if (t == '*' || t == '%' || t == '~' || t == '>') {
        /* as declared (a reply may be cut short); streamed ones: as counted */
        uint64_t n = rd->top_n >= 0 ? (uint64_t)rd->top_n : t == '%' ? rd->nelem / 2 : rd->nelem;

        ent_u64(e, "elements", n);
    }
}

/*
 * Whether the server sends no reply to the command rd read, by CLIENT REPLY
 * (as Redis' clientCommand and resetClient do): OFF and SKIP get none, nor
 * does any command while replies are off, nor the one after SKIP; ON turns
 * them on and gets its OK even then.
 */
static bool redis_unanswered(struct redis *r, const struct rr *rd, uint64_t args)
{
    bool skip = r->skip_next;

    r->skip_next = false;
    if (args == 3 && rt_is_upper(&rd->t[0], "CLIENT") && rt_is_upper(&rd->t[1], "REPLY")) {
        if (rt_is_upper(&rd->t[2], "ON")) {
            r->reply_off = false;
            return false;
        }
        if (rt_is_upper(&rd->t[2], "OFF")) {
            r->reply_off = true;
            return true;
        }
        if (rt_is_upper(&rd->t[2], "SKIP")) {
            r->skip_next = !r->reply_off;
            return true;
        }
    }
    return skip || r->reply_off;
}

/* The client finished a command (complete, or cut by a gap/malformation). */
static void redis_cmd_done(struct dsx *x, struct redis *r, struct rr *rd, uint64_t args)
{
    struct rpend p;

    memset(&p, 0, sizeof p);
    redis_req_section(rd, args);
    p.e = rd->e;
    p.subcmd = resp_sub_cmd((const uint8_t *)rd->t[0].s, rd->t[0].n);
    if (p.subcmd && args >= 1) {
        p.sub = true;
        p.want = (uint32_t)(args - 1 < UINT32_MAX ? args - 1 : UINT32_MAX);
    }
    p.reset = rt_is_upper(&rd->t[0], "RESET");
    rd->e = NULL;
    rd->in_msg = false;
    if (redis_unanswered(r, rd, args))
        redis_emit(x, p.e, 0);
    else
        rq_push(x, r, &p);
}

/* Emits the sub command collecting confirmations, if any. */
static void redis_active_done(struct dsx *x, struct redis *r)
{
    if (!r->has_active)
        return;
    redis_emit(x, r->active.e, 0);
    r->has_active = false;
}

/* The server finished a reply (complete, or cut). */
static void redis_reply_done(struct dsx *x, struct redis *r, struct rr *rd, uint32_t anomalies)
{
    struct ent *e = rd->e;

    rd->e = NULL;
    rd->in_msg = false;
    if (rd->kind == RK_CONFIRM && rd->e2_set)
        r->subscribed = rd->e2 > 0;
    if (rd->standalone) {
        rd->e = e;
        redis_resp_section(rd);
        rd->e = NULL;
        redis_emit(x, e, anomalies);
        return;
    }
    if (rd->kind == RK_CONFIRM && r->has_active) {
        struct rpend *a = &r->active;

        if (e)
            ent_anomaly(e, anomalies);
        a->got++;
        if (a->got == 1) {
            rd->e = e;
            redis_resp_section(rd);
            rd->e = NULL;
        }
        if ((a->want > 0 && a->got >= a->want) || (a->want == 0 && rd->e2_set && rd->e2 == 0) ||
            anomalies)
            redis_active_done(x, r);
        return;
    }
    if (r->has_cur) {
        if (r->cur.reset)
            r->subscribed = false;
        r->has_cur = false;
    }
    rd->e = e;
    redis_resp_section(rd);
    rd->e = NULL;
    redis_emit(x, e, anomalies);
}

/*
 * Chooses the entry a reply starting now belongs to. kind comes from the
 * peek. Regular replies take the oldest pending command.
 */
static void redis_reply_target(struct dsx *x, struct redis *r, struct rr *rd)
{
    rd->standalone = false;
    rd->e = NULL;
    if (rd->kind == RK_CONFIRM) {
        if (!r->has_active && r->qlen > 0 && rq_at(r, 0)->sub) {
            rq_pop(r, &r->active);
            r->active.got = 0;
            r->has_active = true;
        }
        if (r->has_active) {
            rd->e = r->active.e;
            return;
        }
    }
    if (rd->kind == RK_REGULAR) {
        redis_active_done(x, r);
        if (r->qlen > 0) {
            rq_pop(r, &r->cur);
            r->has_cur = true;
            rd->e = r->cur.e;
            return;
        }
    }
    rd->standalone = true;
    rd->e = dsx_entry(x, ENT_REDIS, r->client);
    if (rd->kind != RK_REGULAR)
        return;
    if (r->over > 0) {
        r->over--;                          /* the reply of a command emitted past the queue */
        if (rd->e)
            ent_anomaly(rd->e, ENT_A_CAP);
    } else if (rd->e) {
        ent_anomaly(rd->e, ENT_A_NO_REQUEST);
    }
}

/* The message in progress in dir ends early (gap, malformation, stream end). */
static void redis_cut(struct dsx *x, struct redis *r, int dir, uint32_t anomalies)
{
    struct rr *rd = &r->rd[dir];

    if (!rd->in_msg)
        return;
    if (dir == r->client) {
        if (rd->e)
            ent_anomaly(rd->e, anomalies);
        redis_cmd_done(x, r, rd, rd->top_n > 0 ? (uint64_t)rd->top_n : 0);
    } else {
        redis_reply_done(x, r, rd, anomalies);
    }
}

/* Marks every entry waiting for a reply. */
static void redis_mark_pending(struct redis *r, uint32_t anomalies)
{
    for (uint32_t i = 0; i < r->qlen; i++)
        if (rq_at(r, i)->e)
            ent_anomaly(rq_at(r, i)->e, anomalies);
    if (r->has_active && r->active.e)
        ent_anomaly(r->active.e, anomalies);
}

/* Emits everything pending (stream end, abandon). */
static void redis_flush(struct dsx *x, struct redis *r, uint32_t cut_anomalies)
{
    struct rpend p;

    for (int d = 0; d < 2; d++)
        if (d != r->client)
            redis_cut(x, r, d, cut_anomalies);
    redis_active_done(x, r);
    for (int d = 0; d < 2; d++)
        if (d == r->client)
            redis_cut(x, r, d, cut_anomalies | ENT_A_NO_RESPONSE);
    while (r->qlen > 0) {
        rq_pop(r, &p);
        redis_emit(x, p.e, ENT_A_NO_RESPONSE);
    }
    r->over = 0;
}

/* ---------------------------------------------------------------- reading messages */

/*
 * A malformed message in dir: finish it and resynchronise (at_bol: the next
 * byte begins a line); false when the stream was abandoned.
 */
static bool redis_bad(struct dsx *x, struct redis *r, int dir, bool at_bol)
{
    struct rr *rd = &r->rd[dir];

    if (rd->in_msg)
        redis_cut(x, r, dir, ENT_A_MALFORMED);
    rr_reset(rd);
    rd->mode = RR_RESYNC;
    rd->bol = at_bol;
    rd->scanned = 0;
    if (++r->bad > RESP_BAD_MAX) {
        redis_flush(x, r, ENT_A_MALFORMED);
        r->dead = true;
        dsx_abandon(x);
        return false;
    }
    return true;
}

/* Starts an entry for bytes that cannot begin a message (they will be marked malformed). */
static void redis_begin_bad(struct dsx *x, struct redis *r, int dir)
{
    struct rr *rd = &r->rd[dir];

    rr_reset(rd);
    if (dir == r->client)
        rd->e = dsx_entry(x, ENT_REDIS, r->client);
    else
        redis_reply_target(x, r, rd);
    rd->in_msg = true;
}

/*
 * Begins a message in dir whose first line is [pos, nl]. Returns 1 when it
 * was begun, 0 when the bytes must wait (peek), -1 when the message was
 * handled entirely (inline command, empty line, skipped).
 */
static int redis_begin(struct dsx *x, struct redis *r, int dir, const uint8_t *p, size_t n,
                       size_t pos, size_t ll, size_t nl)
{
    struct rr *rd = &r->rd[dir];
    uint8_t c = p[pos];

    rr_reset(rd);
    if (dir == r->client) {
        int64_t cnt;
        uint64_t args;

        if (c != '*') {
            bool ok = rr_inline(rd, p + pos, ll, &args);

            if (ok && args == 0)
                return -1;                  /* blank line: the server ignores it */
            rd->e = dsx_entry(x, ENT_REDIS, r->client);
            rd->in_msg = true;
            rd->top = 'i';
            redis_mark(x, r, dir, rd->e, pos, nl + 1 - pos);
            if (!ok && rd->e)
                ent_anomaly(rd->e, ENT_A_MALFORMED);
            redis_cmd_done(x, r, rd, args);
            return -1;
        }
        if (resp_int(p + pos + 1, ll - 1, &cnt) && cnt <= 0)
            return -1;                      /* empty or nil array: ignored by the server */
        rd->e = dsx_entry(x, ENT_REDIS, r->client);
        rd->in_msg = true;
        return 1;
    }
    if (c == '*' || c == '>') {
        bool ask = c == '>' || r->subscribed || r->has_active || r->qlen == 0 ||
                   rq_at(r, 0)->sub;
        uint8_t sub = 0;
        int k = ask ? resp_peek_kind(p + pos, n - pos, nl + 1 - pos, &sub) : RK_REGULAR;

        if (k < 0 && dsx_at_end(x, dir))
            k = c == '>' ? RK_PUSH : RK_REGULAR;    /* no more will come: a reply cut short */
        if (k < 0)
            return 0;
        rd->kind = (uint8_t)k;
        /* another command's confirmation: the active one's are over (an UNSUBSCRIBE without
           channels when some are patterns never says 0, a PUNSUBSCRIBE's count keeps channels) */
        if (k == RK_CONFIRM && r->has_active && sub != r->active.subcmd)
            redis_active_done(x, r);
    }
    redis_reply_target(x, r, rd);
    rd->in_msg = true;
    return 1;
}

/* Whether the line at p can begin a message of dir (*wait: need a second byte). */
static bool redis_can_start(const struct redis *r, int dir, const uint8_t *p, size_t n,
                            bool *wait)
{
    *wait = false;
    if (dir == r->client) {
        if (p[0] != '*')
            return false;
        if (n < 2) {
            *wait = true;
            return false;
        }
        return resp_digit(p[1]);
    }
    return strchr("+-:$*_,#!=(%~>|", p[0]) != NULL && p[0] != '\0';
}

/* Which direction is the client, from the first bytes seen (dir sent them). */
static void redis_roles(struct redis *r, struct dsx *x, int dir, const uint8_t *p)
{
    bool server;

    if (strchr("+-:$,#_(!=%~>|", p[0]) && p[0] != '\0')
        server = true;
    else if (p[0] == '*')
        server = dsx_port(x, dir) == 6379 && dsx_port(x, !dir) != 6379;
    else
        server = false;
    r->client = server ? !dir : dir;
}

static size_t redis_parse(void *st, struct dsx *x, int dir, const uint8_t *p, size_t n)
{
    struct redis *r = st;
    struct rr *rd = &r->rd[dir];
    size_t pos = 0, mstart = 0;

    if (r->dead)
        return n;
    if (n == 0)
        return 0;
    if (r->client < 0)
        redis_roles(r, x, dir, p);
    while (pos < n) {
        const uint8_t *nl;
        size_t ll, nlo;
        bool done = false, at_bol;
        int b;

        switch (rd->mode) {
        case RR_BULK:
            pos += rr_bulk(rd, p + pos, n - pos);
            continue;
        case RR_BULK_END:
            if (n - pos < 2)
                goto out;
            if (p[pos] != '\r' || p[pos + 1] != '\n') {
                at_bol = false;
                goto bad;
            }
            pos += 2;
            rd->mode = RR_ELEM;
            if (rd->chunk) {
                rd->chunk = false;
                continue;
            }
            done = rr_value_done(rd);
            break;
        case RR_RESYNC:
            if (!rd->bol) {
                nl = memchr(p + pos, '\n', n - pos);
                if (!nl) {
                    pos = n;
                    continue;
                }
                pos = (size_t)(nl - p) + 1;
                rd->bol = true;
                continue;
            }
            if (redis_can_start(r, dir, p + pos, n - pos, &done)) {
                rd->mode = RR_IDLE;
                continue;
            }
            if (done)
                goto out;                   /* wait for a second byte */
            rd->bol = false;
            continue;
        case RR_IDLE:
        case RR_ELEM:
        default:
            if (rd->scanned > n - pos)
                rd->scanned = 0;
            nl = memchr(p + pos + rd->scanned, '\n', n - pos - rd->scanned);
            if (!nl) {
                if (n - pos > RESP_LINE_MAX) {
                    if (!rd->in_msg) {
                        redis_begin_bad(x, r, dir);
                        mstart = pos;
                    }
                    pos = n;
                    at_bol = false;
                    goto bad;
                }
                rd->scanned = (uint32_t)(n - pos);
                goto out;
            }
            rd->scanned = 0;
            nlo = (size_t)(nl - p);
            ll = nlo - pos;
            if (ll > 0 && p[pos + ll - 1] == '\r')
                ll--;
            if (rd->mode == RR_IDLE) {
                if (ll == 0 && dir == r->client) {
                    pos = nlo + 1;          /* empty inline line */
                    continue;
                }
                if (ll == 0) {
                    redis_begin_bad(x, r, dir);
                    mstart = pos;
                    pos = nlo + 1;
                    at_bol = true;
                    goto bad;
                }
                b = redis_begin(x, r, dir, p, n, pos, ll, nlo);
                if (b == 0)
                    goto out;
                if (b < 0) {
                    pos = nlo + 1;
                    continue;
                }
                mstart = pos;
                rd->mode = RR_ELEM;
            }
            if (ll == 0 || !rr_line(rd, p, pos, ll, &done)) {
                pos = nlo + 1;
                at_bol = true;
                goto bad;
            }
            pos = nlo + 1;
            break;
        }
        if (done) {
            redis_mark(x, r, dir, rd->e, mstart, pos - mstart);
            if (dir == r->client)
                redis_cmd_done(x, r, rd, rd->top_n > 0 ? (uint64_t)rd->top_n : 0);
            else
                redis_reply_done(x, r, rd, 0);
            rd->mode = RR_IDLE;
            mstart = pos;
        }
        continue;
bad:
        if (rd->in_msg)
            redis_mark(x, r, dir, rd->e, mstart, pos - mstart);
        if (!redis_bad(x, r, dir, at_bol))
            return n;
        mstart = pos;
    }
out:
    if (rd->in_msg && pos > mstart)
        redis_mark(x, r, dir, rd->e, mstart, pos - mstart);
    return pos;
}

static void redis_gap(void *st, struct dsx *x, int dir, uint64_t n)
{
    struct redis *r = st;
    struct rr *rd = &r->rd[dir];

    if (r->dead)
        return;
    if (r->client < 0)
        r->client = 0;
    if (rr_bulk_gap(rd, n)) {
        if (rd->e)
            ent_anomaly(rd->e, ENT_A_GAP);
        return;
    }
    redis_cut(x, r, dir, ENT_A_GAP);
    redis_mark_pending(r, ENT_A_GAP);
    rr_reset(rd);
    rd->scanned = 0;
    rd->mode = RR_RESYNC;
    rd->bol = true;
}

static void redis_end(void *st, struct dsx *x, int dir)
{
    struct redis *r = st;

    if (dir >= 0 || r->dead)
        return;
    redis_flush(x, r, ENT_A_TRUNCATED);
}

static void redis_init(void *st, struct dsx *x, const void *hint)
{
    struct redis *r = st;

    (void)x;
    (void)hint;
    r->client = -1;
    for (int d = 0; d < 2; d++) {
        rr_reset(&r->rd[d]);
        r->rd[d].mode = RR_IDLE;
    }
}

static void redis_fini(void *st)
{
    struct redis *r = st;

    for (int d = 0; d < 2; d++) {
        struct rr *rd = &r->rd[d];

        /* a reply's target is also held by cur or active, freed below */
        if (rd->in_msg && (d == r->client || rd->standalone))
            ent_free(rd->e);
    }
    while (r->qlen > 0) {
        struct rpend p;

        rq_pop(r, &p);
        ent_free(p.e);
    }
    if (r->has_active)
        ent_free(r->active.e);
    if (r->has_cur)
        ent_free(r->cur.e);
    free(r->q);
    r->q = NULL;
}

/* ---------------------------------------------------------------- detection */

static bool redis_known_word(const uint8_t *p, size_t n)
{
    static const char *const words[] = {
        "PING", "QUIT", "INFO", "AUTH", "SELECT", "GET", "SET", "DEL", "EXISTS", "KEYS",
        "INCR", "DECR", "HELLO", "ECHO", "MONITOR", "SUBSCRIBE", "PSUBSCRIBE", "PUBLISH",
        "FLUSHALL", "FLUSHDB", "DBSIZE", "CONFIG", "CLIENT", "COMMAND", "MGET", "MSET",
        "LPUSH", "RPUSH", "LPOP", "RPOP", "LRANGE", "SADD", "SPOP", "SMEMBERS", "HGET", "HSET",
        "HGETALL", "EXPIRE", "TTL", "TYPE", "SCAN", "SAVE", "BGSAVE", "SHUTDOWN", "SLAVEOF",
        "REPLICAOF", "SYNC", "PSYNC", "MULTI", "EXEC", "DISCARD", "WATCH", "RESET", "SLOWLOG",
    };

    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
        size_t wn = strlen(words[i]);
        size_t j;

        if (wn != n)
            continue;
        for (j = 0; j < n && resp_upper(p[j]) == (uint8_t)words[i][j]; j++)
            ;
        if (j == n)
            return true;
    }
    return false;
}

/* Whether p[0..n) contains " HTTP/" (an HTTP request line, not an inline command). */
static bool resp_has_http(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i + 6 <= n; i++)
        if (memcmp(p + i, " HTTP/", 6) == 0)
            return true;
    return false;
}

static enum dsx_bid redis_bid(const uint8_t *p, size_t n, int dir, bool dgram)
{
    const uint8_t *nl;
    size_t ll, w = 0;
    int64_t v;

    (void)dir;
    if (dgram || n == 0)
        return DSX_NO;
    if (!strchr("*+-:$", p[0]) && !((p[0] >= 'A' && p[0] <= 'Z') || (p[0] >= 'a' && p[0] <= 'z')))
        return DSX_NO;
    nl = memchr(p, '\n', n < 256 ? n : 256);
    if (!nl)
        return n < 256 ? DSX_MORE : DSX_NO;
    ll = (size_t)(nl - p);                  /* the first line, without its '\n' */
    if (ll > 0 && p[ll - 1] == '\r') {
        ll--;
    } else if (strchr("*+-:$", p[0])) {
        return DSX_NO;                      /* RESP lines end with CRLF */
    }
    switch (p[0]) {
    case '*':
        if (!resp_int(p + 1, ll - 1, &v) || v < -1)
            return DSX_NO;
        if (ll + 2 >= n)
            return v > 0 ? DSX_MORE : DSX_WEAK;
        return p[ll + 2] == '$' ? DSX_STRONG : DSX_WEAK;
    case '+':
        if (ll < 2 || ll > 64)
            return DSX_NO;
        for (size_t i = 1; i < ll; i++)
            if (p[i] <= ' ' || p[i] >= 0x7f)
                return DSX_NO;
        return DSX_WEAK;
    case '-':
        if (ll < 2)
            return DSX_NO;
        for (size_t i = 1; i < ll && p[i] != ' '; i++)
            if (p[i] < 'A' || p[i] > 'Z')
                return DSX_NO;
        return DSX_WEAK;
    case ':':
    case '$':
        if (!resp_int(p + 1, ll - 1, &v) || (p[0] == '$' && v < -1))
            return DSX_NO;
        return DSX_WEAK;
    default:
        break;
    }
    while (w < ll && p[w] != ' ')
        w++;
    if (!redis_known_word(p, w) || resp_has_http(p, ll))
        return DSX_NO;
    return DSX_WEAK;
}

const struct dsx_ops dsx_redis = {
    .name = "redis",
    .l4 = DSX_TCP,
    .ports = redis_ports,
    .state_size = sizeof(struct redis),
    .bid = redis_bid,
    .init = redis_init,
    .parse = redis_parse,
    .gap = redis_gap,
    .end = redis_end,
    .fini = redis_fini,
    .parse_rest = true,         /* a reply the peek at its first element waits for */
};
