/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: RESP2/RESP3 value reader for the Redis dissector (redis.c):
 * values read line by line as they come, nesting of aggregates, bulk strings
 * counted as they pass, inline commands, and a peek at a reply's first
 * element (pub/sub).
 *
 * Spec: https://redis.io/docs/latest/develop/reference/protocol-spec/ (RESP2
 * and RESP3); inline commands as the server reads them (processInlineBuffer,
 * sdssplitargs: quotes and escapes; unbalanced quotes are malformed).
 *
 * Reading, per direction (struct rr): a value starts with a type byte and a
 * line; aggregates push a level (depth <= RESP_DEPTH, -1 = streamed, ended by
 * '.'), bulk payloads are skipped as they come (only RESP_KEEP bytes kept).
 *
 *     IDLE --line--> (scalar: done) | ELEM (inside aggregates) | BULK -> BULK_END
 *     ELEM --...--> back to IDLE when the top-level value completes
 *     any --malformed/gap--> RESYNC: skip to a line that can start a message
 */
#include "config.h"

#include "dissect/resp.h"

#include <string.h>

#define RESP_COUNT_MAX  ((int64_t)1 << 32)      /* elements of an aggregate */
#define RESP_BULK_MAX   ((int64_t)1 << 32)      /* bytes of a bulk string */
#define RESP_PEEK_MAX   64u                     /* bytes looked at to tell a push */

/* ---------------------------------------------------------------- small helpers */

bool resp_digit(uint8_t c)
{
    return c >= '0' && c <= '9';
}

uint8_t resp_upper(uint8_t c)
{
    return c >= 'a' && c <= 'z' ? (uint8_t)(c - 'a' + 'A') : c;
}

/* A signed decimal of at most 19 digits that fits int64. */
bool resp_int(const uint8_t *s, size_t n, int64_t *v)
{
    bool neg = false;
    size_t i = 0;
    uint64_t acc = 0;

    if (n > 0 && (s[0] == '-' || s[0] == '+')) {
        neg = s[0] == '-';
        i = 1;
    }
    if (i == n || n - i > 19)
        return false;
    for (; i < n; i++) {
        if (!resp_digit(s[i]))
            return false;
        acc = acc * 10 + (uint64_t)(s[i] - '0');
    }
    if (acc > (uint64_t)INT64_MAX + neg)
        return false;
    *v = neg ? (int64_t)(0 - acc) : (int64_t)acc;
    return true;
}

static bool resp_bignum(const uint8_t *s, size_t n)
{
    size_t i = 0;

    if (n > 0 && (s[0] == '-' || s[0] == '+'))
        i = 1;
    if (i == n)
        return false;
    for (; i < n; i++)
        if (!resp_digit(s[i]))
            return false;
    return true;
}

static void rt_set(struct rr_text *t, const uint8_t *s, size_t n)
{
    t->n = (uint16_t)(n < RESP_KEEP ? n : RESP_KEEP);
    memcpy(t->s, s, t->n);
}

static void rt_add(struct rr_text *t, const uint8_t *s, size_t n)
{
    size_t room = RESP_KEEP - t->n;

    if (n > room)
        n = room;
    memcpy(t->s + t->n, s, n);
    t->n = (uint16_t)(t->n + n);
}

const char *resp_type_name(uint8_t t)
{
    switch (t) {
    case '+':
        return "simple";
    case '-':
    case '!':
        return "error";
    case ':':
        return "integer";
    case '$':
        return "bulk";
    case '*':
        return "array";
    case '%':
        return "map";
    case '~':
        return "set";
    case '>':
        return "push";
    case ',':
        return "double";
    case '#':
        return "boolean";
    case '(':
        return "bignum";
    case '=':
        return "verbatim";
    default:
        return "nil";
    }
}

/* ---------------------------------------------------------------- the reader */

void rr_reset(struct rr *rd)
{
    rd->depth = 0;
    rd->top = 0;
    rd->kind = RK_REGULAR;
    rd->top_n = -1;
    rd->nelem = 0;
    rd->e2_set = false;
    rd->nil = false;
    rd->capi = -1;
    rd->chunk = false;
    rd->t[0].n = rd->t[1].n = rd->t[2].n = 0;
}

/*
 * A value completed at the current depth. Returns true when the top-level
 * value (the message) is complete.
 */
bool rr_value_done(struct rr *rd)
{
    for (;;) {
        int d;

        if (rd->depth == 0)
            return rd->top != 0;
        d = rd->depth - 1;
        if (rd->depth == 1 && rd->ctype[0] != '|')
            rd->nelem++;
        if (rd->left[d] > 0)
            rd->left[d]--;
        if (rd->left[d] != 0)
            return false;
        rd->depth--;
        if (rd->ctype[d] == '|')
            return false;                   /* an attribute is not a value */
    }
}

/* Where a top-level element's text is kept: t[0], t[1], t[2] or nowhere. */
static int rr_capture_slot(const struct rr *rd)
{
    if (rd->depth == 0)
        return 0;
    if (rd->depth == 1 && rd->ctype[0] != '|' && rd->nelem < 3)
        return (int)rd->nelem;
    return -1;
}

/* The pub/sub commands, whose replies are confirmations named as they are (in lower case). */
static const char *const resp_subs[] = {
    "SUBSCRIBE", "PSUBSCRIBE", "SSUBSCRIBE", "UNSUBSCRIBE", "PUNSUBSCRIBE", "SUNSUBSCRIBE",
};

uint8_t resp_sub_cmd(const uint8_t *s, size_t n)
{
    for (size_t i = 0; i < sizeof resp_subs / sizeof resp_subs[0]; i++) {
        size_t k = strlen(resp_subs[i]), j = 0;

        while (j < n && j < k && (s[j] & ~0x20u) == (uint8_t)resp_subs[i][j])
            j++;
        if (j == n && j == k)
            return (uint8_t)(i + 1);
    }
    return 0;
}

/*
 * Server: what the reply whose header line is [p, p+hl) is, by its first
 * element (*sub: resp_sub_cmd of a confirmation's). Returns -1 when more
 * bytes are needed (n < RESP_PEEK_MAX).
 */
int resp_peek_kind(const uint8_t *p, size_t n, size_t hl, uint8_t *sub)
{
    const uint8_t *q = p + hl, *end = p + n, *nl;
    const uint8_t *name = NULL;
    size_t namelen = 0;
    size_t cl = hl >= 2 ? hl - 2 : 0;      /* the count: the line less its type and '\n' */
    int64_t len;

    if (cl > 0 && p[hl - 2] == '\r')
        cl--;
    /* an empty or nil aggregate has no first element to wait for */
    if (resp_int(p + 1, cl, &len) && len <= 0)
        return *p == '>' ? RK_PUSH : RK_REGULAR;
    if (q >= end)
        return n < RESP_PEEK_MAX ? -1 : RK_REGULAR;
    nl = memchr(q, '\n', (size_t)(end - q));
    if (!nl)
        return n < RESP_PEEK_MAX ? -1 : RK_REGULAR;
    if (*q == '$' || *q == '+') {
        size_t ll = (size_t)(nl - q);

        if (ll > 0 && q[ll - 1] == '\r')
            ll--;
        if (*q == '+') {
            name = q + 1;
            namelen = ll - 1;
        } else if (resp_int(q + 1, ll - 1, &len) && len >= 0 && len <= 32) {
            if ((size_t)(end - (nl + 1)) < (size_t)len)
                return n < RESP_PEEK_MAX ? -1 : RK_REGULAR;
            name = nl + 1;
            namelen = (size_t)len;
        }
    }
    if (!name)
        return *p == '>' ? RK_PUSH : RK_REGULAR;
#define RESP_IS(s) (namelen == sizeof(s) - 1 && memcmp(name, s, namelen) == 0)
    if (RESP_IS("message") || RESP_IS("pmessage") || RESP_IS("smessage"))
        return RK_PUSH;
#undef RESP_IS
    *sub = resp_sub_cmd(name, namelen);
    if (*sub)
        return RK_CONFIRM;
    return *p == '>' ? RK_PUSH : RK_REGULAR;
}

static bool resp_blank(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f' || c == 0;
}

static int resp_hex(uint8_t c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/*
 * Inline command: the words of the line [s, s+n), split as the server does
 * (sdssplitargs: "double quotes" with \ escapes and \xHH, 'single quotes').
 * The first three are kept in t[0] to t[2]. Returns false on unbalanced
 * quotes (the server answers a protocol error).
 */
bool rr_inline(struct rr *rd, const uint8_t *s, size_t n, uint64_t *args)
{
    size_t i = 0;

    *args = 0;
    for (;;) {
        struct rr_text *t = *args < 3 ? &rd->t[*args] : NULL;
        uint8_t q = 0, c;

        while (i < n && resp_blank(s[i]))
            i++;
        if (i == n)
            return true;
        if (t)
            t->n = 0;
        if (s[i] == '"' || s[i] == '\'')
            q = s[i++];
        for (;;) {
            if (i == n) {
                if (q)
                    return false;           /* unbalanced quotes */
                break;
            }
            c = s[i];
            if (!q && resp_blank(c))
                break;
            if (q && c == q) {
                i++;
                if (i < n && !resp_blank(s[i]))
                    return false;           /* a closing quote must end the word */
                break;
            }
            if (q == '"' && c == '\\' && i + 3 < n && s[i + 1] == 'x' && resp_hex(s[i + 2]) >= 0 &&
                resp_hex(s[i + 3]) >= 0) {
                c = (uint8_t)(resp_hex(s[i + 2]) * 16 + resp_hex(s[i + 3]));
                i += 4;
            } else if (q && c == '\\' && i + 1 < n && (q == '"' || s[i + 1] == '\'')) {
                c = s[i + 1];
                if (q == '"')
                    c = c == 'n' ? '\n' : c == 'r' ? '\r' : c == 't' ? '\t' : c == 'b' ? '\b'
                      : c == 'a' ? '\a' : c;
                i += 2;
            } else {
                i++;
            }
            if (t)
                rt_add(t, &c, 1);
        }
        (*args)++;
    }
}

/*
 * Reads the value whose line is [pos, pos+ll) (nl: the '\n'). Returns false
 * when the bytes are malformed.
 */
bool rr_line(struct rr *rd, const uint8_t *p, size_t pos, size_t ll, bool *msg_done)
{
    uint8_t c = p[pos];
    const uint8_t *s = p + pos + 1;
    size_t sn = ll - 1;
    int64_t v = 0;
    int slot;

    *msg_done = false;
    if (c != '|' && c != ';' && c != '.' && rd->depth == 0 && rd->top == 0)
        rd->top = c;
    slot = rr_capture_slot(rd);
    switch (c) {
    case '+':
    case '-':
    case ',':
    case ':':
    case '#':
    case '(':
    case '_':
        if (c == ':' && !resp_int(s, sn, &v))
            return false;
        if (c == '#' && !(sn == 1 && (s[0] == 't' || s[0] == 'f')))
            return false;
        if (c == '_' && sn != 0)
            return false;
        if (c == '(' && !resp_bignum(s, sn))
            return false;
        if (c == ',' && sn == 0)
            return false;
        if (slot >= 0)
            rt_set(&rd->t[slot], s, sn);
        if (c == ':' && rd->depth == 1 && rd->nelem == 2 && rd->ctype[0] != '|') {
            rd->e2 = v;
            rd->e2_set = true;
        }
        *msg_done = rr_value_done(rd);
        return true;
    case '$':
    case '!':
    case '=':
        if (c == '$' && sn == 1 && s[0] == '?') {
            if (rd->depth >= RESP_DEPTH)
                return false;
            rd->left[rd->depth] = -1;
            rd->ctype[rd->depth] = '$';
            rd->depth++;
            if (slot >= 0)
                rd->t[slot].n = 0;
            rd->capi = (int8_t)slot;
            return true;
        }
        if (!resp_int(s, sn, &v) || v < -1 || v > RESP_BULK_MAX || (v == -1 && c != '$'))
            return false;
        if (v == -1) {
            if (rd->depth == 0)
                rd->nil = true;
            *msg_done = rr_value_done(rd);
            return true;
        }
        if (rd->depth == 0)
            rd->top_n = 0;                  /* not nil */
        rd->bulk_left = v;
        rd->capi = (int8_t)slot;
        rd->chunk = false;
        if (slot >= 0)
            rd->t[slot].n = 0;
        rd->mode = RR_BULK;
        return true;
    case ';':
        if (rd->depth == 0 || rd->ctype[rd->depth - 1] != '$' || !resp_int(s, sn, &v) || v < 0 ||
            v > RESP_BULK_MAX)
            return false;
        if (v == 0) {
            rd->depth--;
            *msg_done = rr_value_done(rd);
            return true;
        }
        rd->bulk_left = v;
        rd->chunk = true;
        rd->mode = RR_BULK;
        return true;
    case '*':
    case '~':
    case '%':
    case '>':
    case '|':
        if (rd->depth >= RESP_DEPTH)
            return false;
        if (sn == 1 && s[0] == '?' && c != '|') {
            v = -1;                         /* streamed, ended by '.' */
        } else if (!resp_int(s, sn, &v) || v < -1 || v > RESP_COUNT_MAX ||
                   (v == -1 && c != '*')) {
            return false;
        } else if (v == -1) {               /* RESP2 nil array */
            if (rd->depth == 0)
                rd->nil = true;
            *msg_done = rr_value_done(rd);
            return true;
        }
        if (rd->depth == 0 && c != '|')
            rd->top_n = v;
        if (v == 0) {
            if (c == '|')
                return true;                /* empty attribute */
            *msg_done = rr_value_done(rd);
            return true;
        }
        rd->left[rd->depth] = v < 0 ? -1 : (c == '%' || c == '|') ? v * 2 : v;
        rd->ctype[rd->depth] = c;
        rd->depth++;
        return true;
    case '.':
        if (sn != 0 || rd->depth == 0 || rd->left[rd->depth - 1] != -1 ||
            rd->ctype[rd->depth - 1] == '$')
            return false;
        rd->depth--;
        *msg_done = rr_value_done(rd);
        return true;
    default:
        return false;
    }
}

/* RR_BULK: takes bulk payload bytes from p[0..n); returns how many. */
size_t rr_bulk(struct rr *rd, const uint8_t *p, size_t n)
{
    size_t take = (size_t)rd->bulk_left < n ? (size_t)rd->bulk_left : n;

    if (rd->capi >= 0)
        rt_add(&rd->t[rd->capi], p, take);
    rd->bulk_left -= (int64_t)take;
    if (rd->bulk_left == 0)
        rd->mode = RR_BULK_END;
    return take;
}

/* n bytes were lost: skips them when they all lie inside the bulk payload being read. */
bool rr_bulk_gap(struct rr *rd, uint64_t n)
{
    if (rd->mode != RR_BULK || n > (uint64_t)rd->bulk_left)
        return false;
    /* inside a bulk payload: still in step; the kept text is cut here */
    rd->bulk_left -= (int64_t)n;
    rd->capi = -1;
    if (rd->bulk_left == 0)
        rd->mode = RR_BULK_END;
    return true;
}
