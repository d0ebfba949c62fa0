/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: KFL's syntax tree, built by the parser (parse.c) in an arena and
 * read by the semantic pass and the planner.
 *
 * Grammar (docs/KFL.md has it in EBNF, with every token), lowest
 * precedence first:
 *
 *   query   := [ expr ]                           empty: every entry
 *   expr    := and { ("or" | "||") and }
 *   and     := cmp { ("and" | "&&") cmp }
 *   cmp     := sum [ cmpop sum ]                  comparisons do not chain
 *   cmpop   := "==" | "!=" | "<" | "<=" | ">" | ">=" | "in"
 *   sum     := unary { ("+" | "-") unary }        numbers: now() - hours(1)
 *   unary   := ("!" | "not" | "-") unary | postfix     (binds tighter: !x == 1 is (!x) == 1)
 *   postfix := primary { "." NAME [ "(" [ args ] ")" ] | "." "*" | "[" expr "]" }
 *   primary := NUMBER | STRING | REGEX | "true" | "false" | "nil" | "null"
 *            | IDENT [ "(" [ args ] ")" ] | "(" expr ")" | "[" [ args ] "]"
 *   args    := expr { "," expr }
 *
 * STRING is "..." or '...' with escapes; REGEX is r"..." (the pattern as
 * written); NUMBER is decimal, a float or 0x hex (a letter right after it
 * is an error); IDENT is [A-Za-z_$][A-Za-z0-9_$]* ('-' is never part of
 * one: header names go in brackets, request.headers["X-Request-Id"]); the
 * words and, or, not, in, true, false, nil, null are keywords.
 *
 * Every node has the byte offset and length of its text in the query, so
 * that any later pass can point a caret at it.
 */
#ifndef SV_QUERY_AST_H
#define SV_QUERY_AST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum q_node_kind {
    Q_NUM,          /* num (and is_int, i) */
    Q_STR,          /* str, len */
    Q_REGEX,        /* str, len: the pattern as written between r" and " */
    Q_BOOL,         /* b */
    Q_NULL,
    Q_IDENT,        /* str, len: a bare name (a field's first key, a protocol name) */
    Q_MEMBER,       /* a.kid[0] . str (the key) */
    Q_INDEX,        /* kid[0] [ kid[1] ]: a["key"], a[0] */
    Q_CALL,         /* str = the function's name; kid[0] = receiver (NULL for f(x)),
                     * kid[1..n] = the arguments */
    Q_LIST,         /* [ kid[0], kid[1], ... ] */
    Q_NOT,          /* ! kid[0] */
    Q_NEG,          /* - kid[0] */
    Q_AND,          /* kid[0] and kid[1] */
    Q_OR,
    Q_EQ, Q_NE, Q_LT, Q_LE, Q_GT, Q_GE,     /* kid[0] op kid[1] */
    Q_IN,           /* kid[0] in kid[1] */
    Q_ADD, Q_SUB,   /* kid[0] + kid[1], kid[0] - kid[1] */
};

struct q_node {
    uint8_t kind;               /* enum q_node_kind */
    bool is_int;                /* Q_NUM: the text was an integer that fits i */
    uint32_t pos, end;          /* the node's text: query[pos, end) */
    const char *str;            /* Q_STR, Q_REGEX, Q_IDENT, Q_MEMBER, Q_CALL (in the arena,
                                 * NUL-terminated; Q_STR may hold NUL bytes: use len) */
    size_t len;
    double num;
    int64_t i;
    bool b;
    struct q_node **kid;        /* children (see the kinds); kid[k] may be NULL for Q_CALL 0 */
    uint32_t nkid;
};

#endif
