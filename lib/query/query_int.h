/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: lib/query's private parts: the compile arena, the lexer's tokens
 * and the parse handle. Only the files of lib/query (and the tests) include it.
 *
 * The arena owns every node and string of a parse (STYLE C6: one arena per
 * query compile); q_parse_free releases it in one call. The lexer reads the
 * query text on demand, one token ahead of the parser, and writes decoded
 * strings and names into the arena.
 */
#ifndef SV_QUERY_INT_H
#define SV_QUERY_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "query/ast.h"
#include "query/query.h"

/* ---------------------------------------------------------------- arena */

struct q_arena_chunk;

/* Bump allocation from chunks; nothing is freed before q_arena_release. */
struct q_arena {
    struct q_arena_chunk *head;     /* the chunk being cut (a list of all chunks) */
    size_t used, size;              /* bytes of head's data used, and its size */
};

void q_arena_init(struct q_arena *a);
void q_arena_release(struct q_arena *a);
/* n bytes aligned for any object, zeroed; NULL on OOM. */
void *q_arena_alloc(struct q_arena *a, size_t n);
/* A NUL-terminated copy of s[0, n) (s may hold NULs); NULL on OOM. */
char *q_arena_strndup(struct q_arena *a, const char *s, size_t n);

/* The result of q_parse. */
struct q_parse {
    struct q_arena arena;
    struct q_node *root;            /* NULL for an empty query */
};

/* ---------------------------------------------------------------- errors */

/* Fills err (message truncated to fit) and returns code. */
int q_err_set(struct q_error *err, int code, size_t pos, size_t end, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Longest part of a token quoted in a message; longer ones end in "...". */
#define Q_QUOTE_MAX 32u

/*
 * s[0, n) quoted for a message, into out: 'text' with control bytes as
 * \xHH, cut after Q_QUOTE_MAX bytes (at a UTF-8 boundary) with "...".
 */
void q_quote(char *out, size_t outsz, const char *s, size_t n);

/* ---------------------------------------------------------------- lexer */

enum q_tok_kind {
    QT_EOF,
    QT_NUM,         /* num, is_int, i */
    QT_STR,         /* str, len: decoded (in the arena) */
    QT_REGEX,       /* str, len: the pattern as written (in the arena) */
    QT_IDENT,       /* str, len: the name (in the arena) */
    QT_AND,         /* the words: and or not in true false nil null */
    QT_OR,
    QT_NOT,
    QT_IN,
    QT_TRUE,
    QT_FALSE,
    QT_NULL,        /* nil or null */
    QT_ANDAND,      /* && */
    QT_OROR,        /* || */
    QT_BANG,        /* ! */
    QT_MINUS,       /* - */
    QT_PLUS,        /* + */
    QT_EQ,          /* == */
    QT_NE,          /* != */
    QT_LT,
    QT_LE,
    QT_GT,
    QT_GE,
    QT_LPAREN,
    QT_RPAREN,
    QT_LBRACKET,
    QT_RBRACKET,
    QT_COMMA,
    QT_DOT,
    QT_STAR,        /* only after '.': Kubeshark's wildcard, a.* */
};

struct q_tok {
    uint8_t kind;               /* enum q_tok_kind */
    bool is_int;                /* QT_NUM: an integer literal that fits i */
    uint32_t pos, end;          /* text[pos, end); QT_EOF: just after the last token */
    const char *str;
    size_t len;
    double num;
    int64_t i;
};

struct q_lex {
    const char *text;
    size_t n;
    size_t at;                  /* next byte to read */
    size_t last_end;            /* end of the last token (where QT_EOF points) */
    bool after_operand;         /* the last token ended an operand: ".5" is '.' then 5 */
    struct q_arena *arena;
    struct q_error *err;
};

void q_lex_init(struct q_lex *lx, const char *text, size_t n, struct q_arena *arena,
                struct q_error *err);
/* The next token into *t: 0, or SV_EQUERY / SV_ENOMEM with lx->err filled. */
int q_lex_next(struct q_lex *lx, struct q_tok *t) __attribute__((warn_unused_result));
/* The token is a word (an identifier or a keyword spelled as a word). */
bool q_tok_is_word(const struct q_tok *t);

/* ---------------------------------------------------------------- printing */

/*
 * The tree as KFL text that parses back to the same tree (the fuzz target
 * checks it): one line, operators with single spaces, only the parentheses
 * the grammar needs, '!' for not, strings as JSON strings, floats with a '.'
 * or an exponent (1e999 for infinity). NULL gives "". Returns malloc'd text,
 * NULL on OOM.
 */
char *q_ast_kfl(const struct q_node *n);

#endif
