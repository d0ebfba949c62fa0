/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: the checked form of a query (compile.c builds it, eval.c runs it)
 * and the regex wrapper (regex.c).
 */
#ifndef SV_QUERY_EVAL_H
#define SV_QUERY_EVAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "query/query.h"

struct q_regex;
struct q_match_data;
struct q_regex *q_regex_compile(const char *pat, size_t n, char *err, size_t errlen,
                                size_t *erroff);
void q_regex_free(struct q_regex *r);
struct q_match_data *q_match_data_new(void);
void q_match_data_free(struct q_match_data *m);
/* 1 found anywhere in s, 0 not, SV_ELIMIT past the match or depth limit. */
int q_regex_search(const struct q_regex *r, struct q_match_data *m, const char *s, size_t n);

/* A value while evaluating. Strings and JSON are borrowed (entry, query or scratch). */
enum qv_type { QV_NULL, QV_BOOL, QV_NUM, QV_STR, QV_JSON, QV_LIST };
struct qv {
    uint8_t t;
    bool b;
    double n;
    const char *s;
    size_t len;
    const struct jv *j;         /* QV_JSON: an object or array of the entry; QV_NUM: the
                                 * entry's number it was read from (exact), if any */
    uint32_t first, count;      /* QV_LIST: values in the context's list scratch */
    bool isint;                 /* QV_NUM: an integer that int64 holds, exactly in i (n is
                                 * its nearest double) */
    int64_t i;
};

/* The number i, exact. */
static inline struct qv q_int(int64_t i)
{
    struct qv v = { .t = QV_NUM, .n = (double)i, .isint = true, .i = i };

    return v;
}
/*
 * The order of two numbers (QV_NUM): -1, 0 or 1, exact whatever their
 * kinds (two integers compare as integers, never through doubles); 2 when
 * either is NaN (ordered against nothing).
 */
int q_num_order(const struct qv *a, const struct qv *b);
/*
 * A double as KFL text (what contains() and a regex see): a whole number
 * below 2^53 as an integer, else the fewest digits that read back the same
 * (0.1, 1e+300); NaN, Infinity and -Infinity as JavaScript writes them.
 */
void q_num_text(char *b, size_t n, double d);
/* a + b (add) or a - b: exact for integers unless int64 overflows, else in doubles. */
struct qv q_num_arith(bool add, const struct qv *a, const struct qv *b);

/* One step of a field path. */
enum qs_kind {
    QS_KEY,         /* an object's member (header maps: case-insensitive after exact) */
    QS_INDEX,       /* an array's element (negative: from the end) */
    QS_EACH,        /* every element of an array, or value of an object (makes a list) */
    QS_NONE,        /* a member no object has: a key holding a NUL byte (JSON keys never do) */
};
struct q_step {
    uint8_t kind;
    const char *key;
    int64_t index;
};

enum qe_kind {
    QE_CONST,       /* v */
    QE_PATH,        /* steps from the entry's root */
    QE_PROTO,       /* the entry's protocol is one of mask */
    QE_ELAPSED_US,  /* KFL2's elapsed_time: response - request, in µs */
    QE_SUBPATH,     /* steps applied to kid[0] (a path after a call, json(...).items) */
    QE_NOT, QE_NEG, QE_AND, QE_OR,
    QE_EQ, QE_NE, QE_LT, QE_LE, QE_GT, QE_GE,   /* kid[0] op kid[1]; re: kid[1] is a regex */
    QE_IN,
    QE_ADD, QE_SUB, /* kid[0] + kid[1], kid[0] - kid[1]: numbers, else null */
    QE_LIST,
    QE_CALL,        /* fn over kid[] (receiver first for methods) */
};

enum qf_fn {
    QF_STARTS, QF_ENDS, QF_CONTAINS, QF_MATCHES, QF_SIZE, QF_JSON, QF_LOWER, QF_UPPER,
    QF_MAP_GET,     /* map_get(map, key, default): kid[0], kid[1], kid[2] */
};

struct qe {
    uint8_t kind;
    uint8_t fn;                 /* QE_CALL */
    uint32_t mask;              /* QE_PROTO: bits of enum ent_proto */
    struct qv v;                /* QE_CONST */
    struct q_step *steps;       /* QE_PATH, QE_SUBPATH */
    size_t nsteps;
    size_t npost;               /* the last of them index the list the others reach */
    struct q_regex *re;         /* comparisons with r"...", matches(): compiled once */
    const char *re_text;        /* the pattern, for errors */
    struct qe **kid;
    size_t nkid;
    uint32_t pos, end;          /* the query text it came from */
    bool body;                  /* QE_PATH: a kept body's text (request.postData.text,
                                 * response.content.text), whose value is the body's
                                 * bytes: base64 is only how the JSON writes them */
};

struct q_query {
    struct q_parse *parse;
    struct qe *root;            /* NULL: every entry */
    uint64_t limit;
    bool bodies;
    uint64_t lo, hi;            /* q_time_bounds */
    uint64_t now_ns;
    struct qe **all;            /* every node made, to free */
    size_t nall, capall;
    char **strs;                /* strings made by compile (keys, decoded constants) */
    size_t nstrs, capstrs;
};

#define Q_SCRATCH 4096u

struct q_ctx {
    struct q_match_data *md;
    struct qv *list;            /* QV_LIST values */
    size_t nlist, caplist;
    char **chunk;               /* text made while matching an entry (numbers as text,
                                 * lower(), upper()): Q_SCRATCH-byte chunks, kept from entry
                                 * to entry, so pointers into them hold for a whole match */
    size_t nchunk, curchunk, used;
    struct jv **owned;          /* json() results of the entry being matched */
    size_t nowned, capowned;
    char **bodies;              /* kept bodies' bytes decoded for the entry being matched */
    size_t nbodies, capbodies;
    const char *body_of[2];     /* the request's and response's base64 decoded as ... */
    struct qv body_as[2];       /* ... this (a condition may read a body more than once) */
    const struct qe *subst;     /* q_eval_subst: this node's value is subst_v, not the entry's */
    struct qv subst_v;
};

/*
 * Evaluates the condition e with node ref's value taken as *v and no entry
 * (what a plan does once per distinct value of a column): 1 true, 0 false, or
 * a negative SV_E* with err filled. e must read nothing of the entry but ref.
 */
int q_eval_subst(const struct q_query *q, struct q_ctx *c, const struct qe *e,
                 const struct qe *ref, const struct qv *v, struct q_error *err)
    __attribute__((warn_unused_result));

#endif
