/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: KFL, the query language (DESIGN.md §6, docs/KFL.md): parse a
 * query into a syntax tree (ast.h), check it against the entry fields, and
 * evaluate it over the columnar entry index.
 *
 * Stages, as in jq and Wireshark's dfilter: lexer and parser (lex.c,
 * parse.c) -> syntax tree in an arena -> semantic pass against the field
 * catalogue -> plan over index columns -> evaluation per block. Every error
 * carries the byte range of the query it is about.
 */
#ifndef SV_QUERY_H
#define SV_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "query/ast.h"

/* An error in a query: what, and where (query[pos, end); end == pos for a point). */
struct q_error {
    int code;                   /* SV_EQUERY, SV_ENOMEM, SV_ELIMIT */
    uint32_t pos, end;
    char msg[256];
};

/* Caps on what one query may be (past them: SV_ELIMIT naming the cap). */
#define Q_MAX_TEXT (64u * 1024)     /* bytes of query text */
#define Q_MAX_DEPTH 128u            /* nesting of parentheses, calls, unary operators */
#define Q_MAX_NODES 16384u          /* nodes of the tree */

struct q_parse;

/*
 * Parses n bytes of text. An empty query (only white space) parses to a NULL
 * root. Returns 0, or a negative SV_E* with err filled (its msg names what
 * was expected and what was found, e.g. "expected ')' but found 'and'").
 */
int q_parse(const char *text, size_t n, struct q_parse **out, struct q_error *err)
    __attribute__((warn_unused_result));
const struct q_node *q_parse_root(const struct q_parse *p);
void q_parse_free(struct q_parse *p);

/*
 * The tree as one line of S-expressions, for --explain and the tests:
 * (or (and grpc (== request.headers["Authorization"] r"Token.*")) (!= x null)).
 * Fields print as written paths; strings as JSON strings; numbers as read.
 * Returns malloc'd text.
 */
char *q_ast_text(const struct q_node *n);

/*
 * err for a person: the message, then the query's line with a caret (or
 * carets over [pos, end)) under the fault:
 *     query: expected ')' but found end of query
 *       (grpc and x
 *                  ^
 * Returns malloc'd text without a trailing newline.
 */
char *q_error_text(const char *query, size_t n, const struct q_error *err);

/* ------------------------------------------------------ compile and match */

struct jv;

/*
 * The order of two numbers as KFL has them, each an integer that int64
 * holds (isint, i) or a double (d): -1, 0 or 1, exact whatever their kinds
 * (nanosecond times never compare through doubles); 2 when either is NaN.
 */
int q_num_cmp(bool ai, int64_t a, double ad, bool bi, int64_t b, double bd);

/* Options of a compiled query. */
struct q_opts {
    uint64_t now_ns;            /* what now() is (--now; 0 is the epoch) */
    bool now_set;               /* now_ns was given; else the wall clock at compile time */
};

/*
 * A query checked against the entry fields (unknown fields and functions
 * are errors with "did you mean"), its regexes compiled, ready to match.
 * Read-only once compiled: threads share it, each with a struct q_ctx.
 */
struct q_query;
int q_compile(const char *text, size_t n, const struct q_opts *o, struct q_query **out,
              struct q_error *err) __attribute__((warn_unused_result));
void q_free(struct q_query *q);
/* The query has a condition (not '' or limit() alone): entries must be matched. */
bool q_has_filter(const struct q_query *q);
/* limit(n) of the query; UINT64_MAX without one. */
uint64_t q_limit(const struct q_query *q);
/* The query reads bodies (request.postData, response.content.text, json()). */
bool q_needs_bodies(const struct q_query *q);
/*
 * The request times (ns) outside which no entry can match, from top-level
 * conditions on timestamp: a block whose zone map is outside is not read.
 */
void q_time_bounds(const struct q_query *q, uint64_t *lo, uint64_t *hi);
/* The checked tree and the plan, for --explain (malloc'd). */
char *q_explain(const struct q_query *q);

/* Per-thread matching state (regex match data, scratch). */
struct q_ctx;
struct q_ctx *q_ctx_new(void);
void q_ctx_free(struct q_ctx *c);
/*
 * Matches one entry, given as its JSON (lib/json jv_entry): 1 matches, 0
 * does not, or a negative SV_E* with err filled (a regex past its limits).
 */
int q_match(const struct q_query *q, struct q_ctx *c, const struct jv *entry, struct q_error *err)
    __attribute__((warn_unused_result));
/*
 * The value of q's expression for entry, as new JSON (query --fields and
 * --sort): null for a missing field or an empty query, a list as an array.
 * 0, or < 0 with err set (a regex past its limits).
 */
int q_value(const struct q_query *q, struct q_ctx *c, const struct jv *entry, struct jv **out,
            struct q_error *err) __attribute__((warn_unused_result));

#endif
