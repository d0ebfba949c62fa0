/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: KFL's parser: tokens (lex.c) to the syntax tree (ast.h), built in
 * the parse's arena; and that arena.
 *
 * Recursive descent, one function per precedence level, lowest first
 * (docs/KFL.md has the grammar in EBNF):
 *
 *   expr    := and { ("or" | "||") and }           left-associative
 *   and     := cmp { ("and" | "&&") cmp }          left-associative
 *   cmp     := sum [ cmpop sum ]                   does not chain: a == b == c is an error
 *   cmpop   := "==" | "!=" | "<" | "<=" | ">" | ">=" | "in"
 *   sum     := unary { ("+" | "-") unary }         left-associative
 *   unary   := ("!" | "not" | "-") unary | postfix
 *   postfix := primary { "." WORD [ "(" [ args ] ")" ] | "[" expr "]" }
 *   primary := NUMBER | STRING | REGEX | "true" | "false" | "nil" | "null"
 *            | IDENT [ "(" [ args ] ")" ] | "(" expr ")" | "[" [ args ] "]"
 *   args    := expr { "," expr }
 *
 * So unary operators bind tighter than comparisons: !x == 1 is (!x) == 1.
 * "-" before a number is folded into it (the node starts at the '-'). A
 * parenthesised expression's node spans its parentheses. Children of calls
 * and lists are gathered on one growing stack, then copied to the arena.
 * Caps (query.h): Q_MAX_TEXT bytes, Q_MAX_DEPTH levels of parentheses,
 * calls, indexes, lists and unary operators, Q_MAX_NODES nodes.
 */
#include "config.h"

#include "query_int.h"

#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"
#include "streamvault.h"

/* ---------------------------------------------------------------- arena */

struct q_arena_chunk {
    struct q_arena_chunk *next;
    max_align_t data[];
};

#define Q_CHUNK_MIN 4096u
#define Q_CHUNK_MAX (256u * 1024)

void q_arena_init(struct q_arena *a)
{
    a->head = NULL;
    a->used = 0;
    a->size = 0;
}

void q_arena_release(struct q_arena *a)
{
    while (a->head) {
        struct q_arena_chunk *next = a->head->next;

        free(a->head);
        a->head = next;
    }
    q_arena_init(a);
}

void *q_arena_alloc(struct q_arena *a, size_t n)
{
    size_t al = alignof(max_align_t), need;
    char *p;

    if (n > SIZE_MAX / 2)
        return NULL;
    need = (n + al - 1) & ~(al - 1);
    if (need == 0)
        need = al;
    if (!a->head || need > a->size - a->used) {
        size_t size = a->size ? a->size * 2 : Q_CHUNK_MIN;
        struct q_arena_chunk *c;

        if (size > Q_CHUNK_MAX)
            size = Q_CHUNK_MAX;
        if (size < need)
            size = need;
        c = malloc(sizeof *c + size);
        if (!c)
            return NULL;
        c->next = a->head;
        a->head = c;
        a->size = size;
        a->used = 0;
    }
    p = (char *)a->head->data + a->used;
    a->used += need;
    memset(p, 0, n);
    return p;
}

char *q_arena_strndup(struct q_arena *a, const char *s, size_t n)
{
    char *p = q_arena_alloc(a, n + 1);

    if (!p)
        return NULL;
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

/* ---------------------------------------------------------------- parser */

struct parser {
    struct q_lex lx;
    struct q_tok tok;               /* the next token, not yet taken */
    const char *text;
    struct q_arena *arena;
    struct q_error *err;
    uint32_t depth;                 /* levels open (Q_MAX_DEPTH) */
    uint32_t nodes;                 /* nodes made (Q_MAX_NODES) */
    struct q_node **stk;            /* children of open calls and lists */
    size_t nstk, capstk;
};

static int parse_expr(struct parser *ps, struct q_node **out);

static int advance(struct parser *ps)
{
    return q_lex_next(&ps->lx, &ps->tok);
}

static int oom(struct parser *ps)
{
    return q_err_set(ps->err, SV_ENOMEM, ps->tok.pos, ps->tok.pos, "out of memory");
}

/* "expected <what> but found <the next token>" */
static int expected(struct parser *ps, const char *what)
{
    char q[160];

    if (ps->tok.kind == QT_EOF)
        return q_err_set(ps->err, SV_EQUERY, ps->tok.pos, ps->tok.end,
                         "expected %s but found end of query", what);
    q_quote(q, sizeof q, ps->text + ps->tok.pos, ps->tok.end - ps->tok.pos);
    return q_err_set(ps->err, SV_EQUERY, ps->tok.pos, ps->tok.end, "expected %s but found %s",
                     what, q);
}

/* Opens one level of nesting at the token t. */
static int enter(struct parser *ps, const struct q_tok *t)
{
    if (ps->depth >= Q_MAX_DEPTH)
        return q_err_set(ps->err, SV_ELIMIT, t->pos, t->end,
                         "query nested too deeply (more than %u levels)", Q_MAX_DEPTH);
    ps->depth++;
    return 0;
}

/* A node of kind with room for nkid children, spanning text[pos, end). */
static int new_node(struct parser *ps, uint8_t kind, uint32_t pos, uint32_t end, uint32_t nkid,
                    struct q_node **out)
{
    struct q_node *nd;

    if (ps->nodes >= Q_MAX_NODES)
        return q_err_set(ps->err, SV_ELIMIT, pos, end, "query too large (more than %u nodes)",
                         Q_MAX_NODES);
    nd = q_arena_alloc(ps->arena, sizeof *nd + nkid * sizeof *nd->kid);
    if (!nd)
        return oom(ps);
    ps->nodes++;
    nd->kind = kind;
    nd->pos = pos;
    nd->end = end;
    if (nkid) {
        nd->kid = (struct q_node **)(void *)(nd + 1);
        nd->nkid = nkid;
    }
    *out = nd;
    return 0;
}

static int push(struct parser *ps, struct q_node *n)
{
    if (ps->nstk == ps->capstk) {
        size_t cap = ps->capstk ? ps->capstk * 2 : 64;
        struct q_node **v = realloc(ps->stk, cap * sizeof *v);

        if (!v)
            return oom(ps);
        ps->stk = v;
        ps->capstk = cap;
    }
    ps->stk[ps->nstk++] = n;
    return 0;
}

/* A node of kind whose children are the stack from base (popped). */
static int node_from_stack(struct parser *ps, uint8_t kind, size_t base, uint32_t pos,
                           uint32_t end, struct q_node **out)
{
    uint32_t nkid = (uint32_t)(ps->nstk - base);
    int rc = new_node(ps, kind, pos, end, nkid, out);

    if (rc < 0)
        return rc;
    if (nkid)
        memcpy((*out)->kid, ps->stk + base, nkid * sizeof *ps->stk);
    ps->nstk = base;
    return 0;
}

/*
 * The arguments of a call or the elements of a list, after the opening
 * token open (taken): onto the stack until the closing token; *end is
 * where it ends. The closing token is taken too.
 */
static int parse_args(struct parser *ps, const struct q_tok *open, uint8_t close,
                      const char *want, uint32_t *end)
{
    struct q_node *a;
    int rc;

    rc = enter(ps, open);
    if (rc < 0)
        return rc;
    while (ps->tok.kind != close) {
        rc = parse_expr(ps, &a);
        if (rc < 0)
            return rc;
        rc = push(ps, a);
        if (rc < 0)
            return rc;
        if (ps->tok.kind == QT_COMMA) {
            rc = advance(ps);
            if (rc < 0)
                return rc;
            if (ps->tok.kind == close)
                return expected(ps, "an operand");
        } else if (ps->tok.kind != close) {
            return expected(ps, want);
        }
    }
    *end = ps->tok.end;
    ps->depth--;
    return advance(ps);
}

/* name(args) or recv.name(args), at the '(' (not taken yet). */
static int parse_call(struct parser *ps, struct q_node *recv, const char *name, uint32_t pos,
                      struct q_node **out)
{
    struct q_tok open = ps->tok;
    size_t base = ps->nstk;
    uint32_t end;
    int rc;

    rc = push(ps, recv);
    if (rc < 0)
        return rc;
    rc = advance(ps);
    if (rc < 0)
        return rc;
    rc = parse_args(ps, &open, QT_RPAREN, "',' or ')'", &end);
    if (rc < 0)
        return rc;
    rc = node_from_stack(ps, Q_CALL, base, pos, end, out);
    if (rc < 0)
        return rc;
    (*out)->str = name;
    (*out)->len = strlen(name);
    return 0;
}

/* A literal from the current token. */
static int parse_literal(struct parser *ps, uint8_t kind, struct q_node **out)
{
    const struct q_tok *t = &ps->tok;
    int rc = new_node(ps, kind, t->pos, t->end, 0, out);

    if (rc < 0)
        return rc;
    (*out)->num = t->num;
    (*out)->is_int = t->is_int;
    (*out)->i = t->i;
    (*out)->str = t->str;
    (*out)->len = t->len;
    (*out)->b = t->kind == QT_TRUE;
    return advance(ps);
}

static int parse_primary(struct parser *ps, struct q_node **out)
{
    struct q_tok open = ps->tok;
    uint32_t end;
    size_t base;
    int rc;

    switch ((enum q_tok_kind)ps->tok.kind) {
    case QT_NUM:
        return parse_literal(ps, Q_NUM, out);
    case QT_STR:
        return parse_literal(ps, Q_STR, out);
    case QT_REGEX:
        return parse_literal(ps, Q_REGEX, out);
    case QT_TRUE:
    case QT_FALSE:
        return parse_literal(ps, Q_BOOL, out);
    case QT_NULL:
        return parse_literal(ps, Q_NULL, out);
    case QT_IDENT:
        rc = advance(ps);
        if (rc < 0)
            return rc;
        if (ps->tok.kind == QT_LPAREN)
            return parse_call(ps, NULL, open.str, open.pos, out);
        rc = new_node(ps, Q_IDENT, open.pos, open.end, 0, out);
        if (rc < 0)
            return rc;
        (*out)->str = open.str;
        (*out)->len = open.len;
        return 0;
    case QT_LPAREN:
        rc = enter(ps, &open);
        if (rc < 0)
            return rc;
        rc = advance(ps);
        if (rc < 0)
            return rc;
        rc = parse_expr(ps, out);
        if (rc < 0)
            return rc;
        if (ps->tok.kind != QT_RPAREN)
            return expected(ps, "')'");
        (*out)->pos = open.pos;
        (*out)->end = ps->tok.end;
        ps->depth--;
        return advance(ps);
    case QT_LBRACKET:
        base = ps->nstk;
        rc = advance(ps);
        if (rc < 0)
            return rc;
        rc = parse_args(ps, &open, QT_RBRACKET, "',' or ']'", &end);
        if (rc < 0)
            return rc;
        return node_from_stack(ps, Q_LIST, base, open.pos, end, out);
    case QT_EOF:
    case QT_AND:
    case QT_OR:
    case QT_NOT:
    case QT_IN:
    case QT_ANDAND:
    case QT_OROR:
    case QT_BANG:
    case QT_MINUS:
    case QT_PLUS:
    case QT_EQ:
    case QT_NE:
    case QT_LT:
    case QT_LE:
    case QT_GT:
    case QT_GE:
    case QT_RPAREN:
    case QT_RBRACKET:
    case QT_COMMA:
    case QT_DOT:
    case QT_STAR:
        break;
    }
    return expected(ps, "an operand");
}

/*
 * After a '.', the member's name (a word, keywords included), a method call,
 * or '*' (Kubeshark's wildcard: a member named "*", which no word can be).
 */
static int parse_member(struct parser *ps, struct q_node *recv, struct q_node **out)
{
    const struct q_tok key = ps->tok;
    const char *name;
    int rc;

    if (key.kind == QT_STAR) {
        ps->lx.after_operand = true;
        rc = advance(ps);
        if (rc == 0)
            rc = new_node(ps, Q_MEMBER, recv->pos, key.end, 1, out);
        if (rc < 0)
            return rc;
        (*out)->kid[0] = recv;
        (*out)->str = "*";
        (*out)->len = 1;
        return 0;
    }
    if (!q_tok_is_word(&key))
        return q_err_set(ps->err, SV_EQUERY, key.pos, key.end, "expected a field name after '.'");
    name = key.kind == QT_IDENT ? key.str
                                : q_arena_strndup(ps->arena, ps->text + key.pos, key.end - key.pos);
    if (!name)
        return oom(ps);
    ps->lx.after_operand = true;    /* a keyword as a name ends an operand too */
    rc = advance(ps);
    if (rc < 0)
        return rc;
    if (ps->tok.kind == QT_LPAREN)
        return parse_call(ps, recv, name, recv->pos, out);
    rc = new_node(ps, Q_MEMBER, recv->pos, key.end, 1, out);
    if (rc < 0)
        return rc;
    (*out)->kid[0] = recv;
    (*out)->str = name;
    (*out)->len = key.end - key.pos;
    return 0;
}

/* recv[expr], at the '[' (not taken yet). */
static int parse_index(struct parser *ps, struct q_node *recv, struct q_node **out)
{
    struct q_tok open = ps->tok;
    struct q_node *ix;
    int rc;

    rc = enter(ps, &open);
    if (rc < 0)
        return rc;
    rc = advance(ps);
    if (rc < 0)
        return rc;
    rc = parse_expr(ps, &ix);
    if (rc < 0)
        return rc;
    if (ps->tok.kind != QT_RBRACKET)
        return expected(ps, "']'");
    ps->depth--;
    rc = new_node(ps, Q_INDEX, recv->pos, ps->tok.end, 2, out);
    if (rc < 0)
        return rc;
    (*out)->kid[0] = recv;
    (*out)->kid[1] = ix;
    return advance(ps);
}

static int parse_postfix(struct parser *ps, struct q_node **out)
{
    uint32_t levels = 0;    /* calls and indexes of the chain: each holds the one before */
    int rc;

    rc = parse_primary(ps, out);
    while (rc == 0) {
        const struct q_tok at = ps->tok;

        if (ps->tok.kind == QT_DOT) {
            rc = advance(ps);
            if (rc == 0)
                rc = parse_member(ps, *out, out);
            if (rc < 0 || (*out)->kind != Q_CALL)
                continue;
        } else if (ps->tok.kind == QT_LBRACKET) {
            rc = parse_index(ps, *out, out);
        } else {
            break;
        }
        if (rc == 0 && ps->depth + ++levels > Q_MAX_DEPTH)
            rc = q_err_set(ps->err, SV_ELIMIT, at.pos, at.end,
                           "query nested too deeply (more than %u levels)", Q_MAX_DEPTH);
    }
    return rc;
}

/* s[0, n) is an integer literal: decimal digits, or 0x and hex digits. */
static bool int_text(const char *s, size_t n)
{
    size_t k = 0;
    bool hex = n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X');

    for (k = hex ? 2 : 0; k < n; k++) {
        char c = s[k];

        if (!(c >= '0' && c <= '9') && !(hex && ((c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))))
            return false;
    }
    return n > 0;
}

/* -n of a number, folded into it. */
static void negate(const char *text, struct q_node *k)
{
    static const double two63 = 9223372036854775808.0;

    if (k->is_int && k->i == INT64_MIN) {
        k->is_int = false;
        k->i = 0;
        k->num = two63;
    } else if (k->is_int) {
        k->i = -k->i;
        k->num = (double)k->i;
    } else if (k->num == two63 && int_text(text + k->pos, k->end - k->pos)) {
        /* -9223372036854775808 is an integer, though its digits alone are not */
        k->is_int = true;
        k->i = INT64_MIN;
        k->num = -two63;
    } else {
        k->num = -k->num;
    }
}

static int parse_unary(struct parser *ps, struct q_node **out)
{
    struct q_tok op = ps->tok;
    struct q_node *k;
    int rc;

    if (op.kind != QT_BANG && op.kind != QT_NOT && op.kind != QT_MINUS)
        return parse_postfix(ps, out);
    rc = enter(ps, &op);
    if (rc < 0)
        return rc;
    rc = advance(ps);
    if (rc < 0)
        return rc;
    rc = parse_unary(ps, &k);
    if (rc < 0)
        return rc;
    ps->depth--;
    if (op.kind == QT_MINUS && k->kind == Q_NUM) {
        negate(ps->text, k);
        k->pos = op.pos;
        *out = k;
        return 0;
    }
    rc = new_node(ps, op.kind == QT_MINUS ? Q_NEG : Q_NOT, op.pos, k->end, 1, out);
    if (rc < 0)
        return rc;
    (*out)->kid[0] = k;
    return 0;
}

/* The node kind of a comparison token, or -1. */
static int cmp_kind(uint8_t tok)
{
    switch ((enum q_tok_kind)tok) {
    case QT_EQ:
        return Q_EQ;
    case QT_NE:
        return Q_NE;
    case QT_LT:
        return Q_LT;
    case QT_LE:
        return Q_LE;
    case QT_GT:
        return Q_GT;
    case QT_GE:
        return Q_GE;
    case QT_IN:
        return Q_IN;
    case QT_EOF:
    case QT_NUM:
    case QT_STR:
    case QT_REGEX:
    case QT_IDENT:
    case QT_AND:
    case QT_OR:
    case QT_NOT:
    case QT_TRUE:
    case QT_FALSE:
    case QT_NULL:
    case QT_ANDAND:
    case QT_OROR:
    case QT_BANG:
    case QT_MINUS:
    case QT_PLUS:
    case QT_LPAREN:
    case QT_RPAREN:
    case QT_LBRACKET:
    case QT_RBRACKET:
    case QT_COMMA:
    case QT_DOT:
    case QT_STAR:
        break;
    }
    return -1;
}

/* l op r, spanning both. */
static int binary(struct parser *ps, int kind, const struct q_tok *op, struct q_node *l,
                  struct q_node *r, struct q_node **out)
{
    int rc = new_node(ps, (uint8_t)kind, op->pos, op->end, 2, out);

    if (rc < 0)
        return rc;
    (*out)->kid[0] = l;
    (*out)->kid[1] = r;
    (*out)->pos = l->pos;
    (*out)->end = r->end;
    return 0;
}

/*
 * One left-associative level: sub { op sub }, op being token t1 (node kind
 * k1) or t2 (k2).
 */
static int parse_chain(struct parser *ps, uint8_t t1, int k1, uint8_t t2, int k2,
                       int (*sub)(struct parser *, struct q_node **), struct q_node **out)
{
    struct q_node *r;
    int rc;

    rc = sub(ps, out);
    while (rc == 0 && (ps->tok.kind == t1 || ps->tok.kind == t2)) {
        struct q_tok op = ps->tok;

        rc = advance(ps);
        if (rc == 0)
            rc = sub(ps, &r);
        if (rc == 0)
            rc = binary(ps, op.kind == t1 ? k1 : k2, &op, *out, r, out);
    }
    return rc;
}

/* sum := unary { ("+" | "-") unary } */
static int parse_sum(struct parser *ps, struct q_node **out)
{
    return parse_chain(ps, QT_PLUS, Q_ADD, QT_MINUS, Q_SUB, parse_unary, out);
}

static int parse_cmp(struct parser *ps, struct q_node **out)
{
    struct q_node *r;
    struct q_tok op;
    int kind, rc;

    rc = parse_sum(ps, out);
    if (rc < 0)
        return rc;
    kind = cmp_kind(ps->tok.kind);
    if (kind < 0)
        return 0;
    op = ps->tok;
    rc = advance(ps);
    if (rc < 0)
        return rc;
    rc = parse_sum(ps, &r);
    if (rc < 0)
        return rc;
    rc = binary(ps, kind, &op, *out, r, out);
    if (rc < 0)
        return rc;
    if (cmp_kind(ps->tok.kind) >= 0)
        return q_err_set(ps->err, SV_EQUERY, ps->tok.pos, ps->tok.end,
                         "comparisons do not chain: use and");
    return 0;
}

static int parse_and(struct parser *ps, struct q_node **out)
{
    return parse_chain(ps, QT_AND, Q_AND, QT_ANDAND, Q_AND, parse_cmp, out);
}

static int parse_expr(struct parser *ps, struct q_node **out)
{
    return parse_chain(ps, QT_OR, Q_OR, QT_OROR, Q_OR, parse_and, out);
}

/* What follows a whole query that should not. */
static int trailing(struct parser *ps)
{
    static const char *const closers[] = {
        [QT_RPAREN] = "unexpected ')'",
        [QT_RBRACKET] = "unexpected ']'",
        [QT_COMMA] = "unexpected ','",
    };
    uint8_t k = ps->tok.kind;

    if (k < sizeof closers / sizeof *closers && closers[k])
        return q_err_set(ps->err, SV_EQUERY, ps->tok.pos, ps->tok.end, "%s", closers[k]);
    return expected(ps, "an operator or end of query");
}

int q_parse(const char *text, size_t n, struct q_parse **out, struct q_error *err)
{
    struct parser ps;
    struct q_parse *qp;
    struct q_node *root = NULL;
    int rc;

    *out = NULL;
    err->code = 0;
    err->pos = err->end = 0;
    err->msg[0] = '\0';
    if (n > Q_MAX_TEXT)
        return q_err_set(err, SV_ELIMIT, Q_MAX_TEXT, n, "query too long (more than %u bytes)",
                         Q_MAX_TEXT);
    qp = xcalloc(1, sizeof *qp);
    q_arena_init(&qp->arena);
    memset(&ps, 0, sizeof ps);
    ps.text = text;
    ps.arena = &qp->arena;
    ps.err = err;
    q_lex_init(&ps.lx, text, n, &qp->arena, err);
    rc = advance(&ps);
    if (rc == 0 && ps.tok.kind != QT_EOF) {
        rc = parse_expr(&ps, &root);
        if (rc == 0 && ps.tok.kind != QT_EOF)
            rc = trailing(&ps);
    }
    free(ps.stk);
    if (rc < 0) {
        q_parse_free(qp);
        return rc;
    }
    qp->root = root;
    *out = qp;
    return 0;
}

const struct q_node *q_parse_root(const struct q_parse *p)
{
    return p ? p->root : NULL;
}

void q_parse_free(struct q_parse *p)
{
    if (!p)
        return;
    q_arena_release(&p->arena);
    free(p);
}
