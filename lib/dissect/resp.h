/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: the RESP2/RESP3 value reader shared by resp.c (which reads values)
 * and redis.c (the Redis dissector that drives it): the per-direction reader
 * state and its functions. Private to lib/dissect.
 */
#ifndef SV_DISSECT_RESP_H
#define SV_DISSECT_RESP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct ent;

#define RESP_DEPTH      128                     /* nesting of aggregates */
#define RESP_KEEP       256u                    /* bytes kept of a value, a name, a key */

enum rr_mode { RR_IDLE = 0, RR_ELEM, RR_BULK, RR_BULK_END, RR_RESYNC };

/* What a reply is, by its first element (pub/sub). */
enum rr_kind { RK_REGULAR = 0, RK_PUSH, RK_CONFIRM };

struct rr_text {
    uint16_t n;
    char s[RESP_KEEP];
};

/* The reader of one direction. */
struct rr {
    uint8_t mode;                   /* RR_* */
    uint8_t depth;                  /* open aggregates */
    uint8_t top;                    /* type byte of the top-level value (0: not yet) */
    uint8_t kind;                   /* server: RK_* of the reply being read */
    bool bol;                       /* RR_RESYNC: at the beginning of a line */
    bool chunk;                     /* RR_BULK: a streamed-string chunk, not a value */
    int8_t capi;                    /* RR_BULK: t[] index the payload is kept in, or -1 */
    bool e2_set;                    /* e2 holds the 3rd top-level element (an integer) */
    bool nil;                       /* the top-level value is a RESP2 nil ($-1, *-1) */
    uint32_t scanned;               /* bytes from pos known to hold no '\n' */
    int64_t left[RESP_DEPTH];       /* per open aggregate: elements left (-1: streamed) */
    uint8_t ctype[RESP_DEPTH];      /* its type byte ('|': attribute) */
    int64_t bulk_left;              /* RR_BULK: payload bytes left */
    int64_t top_n;                  /* declared elements of the top-level aggregate (-1: none
                                       or streamed; maps: pairs) */
    uint64_t nelem;                 /* top-level elements completed */
    int64_t e2;
    struct rr_text t[3];            /* top-level elements 0 to 2, or a scalar's text in t[0] */
    struct ent *e;                  /* the entry the message belongs to (may be NULL) */
    bool in_msg;                    /* a message has started */
    bool standalone;                /* server: e is a response-only entry */
};

/* Whether c is a decimal digit. */
bool resp_digit(uint8_t c);

/* c in upper case (ASCII letters only). */
uint8_t resp_upper(uint8_t c);

/* A signed decimal of at most 19 digits that fits int64. */
bool resp_int(const uint8_t *s, size_t n, int64_t *v);

/*
 * Case-insensitive comparison with an upper-case word (inline, so that the
 * length of a literal word is known at compile time).
 */
static inline bool rt_is_upper(const struct rr_text *t, const char *s)
{
    size_t n = strlen(s);

    if (t->n != n)
        return false;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = (uint8_t)t->s[i];

        if (c >= 'a' && c <= 'z')
            c = (uint8_t)(c - 'a' + 'A');
        if (c != (uint8_t)s[i])
            return false;
    }
    return true;
}

/* The entry "type" of a reply whose type byte is t (anything unknown: "nil"). */
const char *resp_type_name(uint8_t t);

/* Forgets the value in progress (the mode and the message's entry are left alone). */
void rr_reset(struct rr *rd);

/*
 * A value completed at the current depth. Returns true when the top-level
 * value (the message) is complete.
 */
bool rr_value_done(struct rr *rd);

/*
 * 1 + which of SUBSCRIBE, PSUBSCRIBE, SSUBSCRIBE, UNSUBSCRIBE, PUNSUBSCRIBE,
 * SUNSUBSCRIBE the n bytes at s name (in any case), else 0: a pub/sub command,
 * or the confirmation of one.
 */
uint8_t resp_sub_cmd(const uint8_t *s, size_t n);

/*
 * Server: what the reply whose header line is [p, p+hl) is, by its first
 * element (an RK_*; for RK_CONFIRM, *sub is resp_sub_cmd of that element:
 * which command it confirms). Returns -1 when more bytes are needed.
 */
int resp_peek_kind(const uint8_t *p, size_t n, size_t hl, uint8_t *sub);

/*
 * Inline command: the words of the line [s, s+n), split as the server does;
 * the first two are kept in t[0] and t[1], *args counts them. Returns false
 * on unbalanced quotes.
 */
bool rr_inline(struct rr *rd, const uint8_t *s, size_t n, uint64_t *args);

/*
 * Reads the value whose line is [pos, pos+ll) (without its line end).
 * Returns false when the bytes are malformed; *msg_done when the top-level
 * value is complete.
 */
bool rr_line(struct rr *rd, const uint8_t *p, size_t pos, size_t ll, bool *msg_done);

/* RR_BULK: takes bulk payload bytes from p[0..n); returns how many. */
size_t rr_bulk(struct rr *rd, const uint8_t *p, size_t n);

/*
 * n bytes were lost: when they all lie inside the bulk payload being read,
 * skips them (the kept text is cut) and returns true; false otherwise.
 */
bool rr_bulk_gap(struct rr *rd, uint64_t n);

#endif
