/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: KFL's syntax tree as text (S-expressions for --explain and the
 * tests; canonical KFL for the round-trip fuzz check) and query errors with
 * a caret under the fault.
 *
 * S-expressions (q_ast_text), one line:
 *   literals   31  -2  1.5  1e+20  1e999  "a\"b\u0000"  r"Token.*"  true false null
 *   paths      grpc  request.headers["Authorization"]  a[0]  (any receiver: X.key, X[i])
 *   calls      (call startsWith request.path "/api")  (call now _)
 *   lists      [1 2 "a"]
 *   operators  (! a) (- a) (and a b) (or a b) (== a b) (!= a b) (< a b) (<= a b)
 *              (> a b) (>= a b) (in a b)
 * Integers print with %lld; floats with the fewest digits that read back to
 * the same double, always with a '.' or an exponent: as %f from 1e-4 to
 * 1e16 (1000.0, 0.0015), else as %g (1e+20, 1e-05); infinity as 1e999.
 * Strings are JSON strings: " and \ escaped, control bytes as \u00XX,
 * other bytes as they are.
 *
 * Canonical KFL (q_ast_kfl): the same literals, a.b, a[i], f(x, y),
 * x.m(y), [x, y], !x, -x, "a and b", "a == b" with the parentheses the
 * precedence needs and no others.
 */
#include "config.h"

#include "query_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "streamvault.h"

/* Text being built; any failure makes the result NULL. */
struct pr {
    struct buf b;
    bool bad;
};

static void put(struct pr *p, const void *s, size_t n)
{
    if (!p->bad && buf_append(&p->b, s, n) < 0)
        p->bad = true;
}

static void put_str(struct pr *p, const char *s)
{
    put(p, s, strlen(s));
}

/* The text, NUL-terminated and owned by the caller; NULL if anything failed. */
static char *pr_finish(struct pr *p)
{
    char *s;

    put(p, "", 1);
    if (p->bad) {
        buf_release(&p->b);
        return NULL;
    }
    s = (char *)p->b.data;
    p->b.data = NULL;
    return s;
}

static void put_num(struct pr *p, const struct q_node *n)
{
    char s[48];

    if (n->is_int) {
        snprintf(s, sizeof s, "%lld", (long long)n->i);
    } else if (isinf(n->num)) {
        snprintf(s, sizeof s, "%s", n->num > 0 ? "1e999" : "-1e999");
    } else {
        double a = fabs(n->num);
        bool fixed = a == 0 || (a >= 1e-4 && a < 1e16);

        /* the fewest digits that read back the same: 1000.0 and 0.1, or 1e+20 */
        for (int prec = fixed ? 0 : 1; prec <= (fixed ? 21 : 17); prec++) {
            snprintf(s, sizeof s, fixed ? "%.*f" : "%.*g", prec, n->num);
            if (strtod(s, NULL) == n->num)
                break;
        }
        if (!strpbrk(s, ".e"))
            memcpy(s + strlen(s), ".0", 3);      /* 1.0, not the integer 1 */
    }
    put_str(p, s);
}

static void put_json_str(struct pr *p, const char *s, size_t n)
{
    put(p, "\"", 1);
    for (size_t k = 0; k < n; k++) {
        unsigned char c = (unsigned char)s[k];
        char e[8];

        if (c == '"' || c == '\\') {
            e[0] = '\\';
            e[1] = (char)c;
            put(p, e, 2);
        } else if (c < 0x20 || c == 0x7f) {
            snprintf(e, sizeof e, "\\u%04x", c);
            put(p, e, 6);
        } else {
            put(p, s + k, 1);
        }
    }
    put(p, "\"", 1);
}

/*
 * r"pattern", or r'pattern' when the pattern holds a bare " (one read from
 * r'...'). A backslash keeps the byte after it, as the lexer reads it.
 */
static void put_regex(struct pr *p, const char *s, size_t n)
{
    const char *q = "\"";

    for (size_t k = 0; k < n; k++) {
        if (s[k] == '\\')
            k++;
        else if (s[k] == '"')
            q = "'";
    }
    put(p, "r", 1);
    put(p, q, 1);
    put(p, s, n);
    put(p, q, 1);
}

/* Literals and names, printed alike in both forms; false for other nodes. */
static bool put_leaf(struct pr *p, const struct q_node *n)
{
    switch ((enum q_node_kind)n->kind) {
    case Q_NUM:
        put_num(p, n);
        return true;
    case Q_STR:
        put_json_str(p, n->str, n->len);
        return true;
    case Q_REGEX:
        put_regex(p, n->str, n->len);
        return true;
    case Q_BOOL:
        put_str(p, n->b ? "true" : "false");
        return true;
    case Q_NULL:
        put_str(p, "null");
        return true;
    case Q_IDENT:
        put_str(p, n->str);
        return true;
    case Q_MEMBER:
    case Q_INDEX:
    case Q_CALL:
    case Q_LIST:
    case Q_NOT:
    case Q_NEG:
    case Q_AND:
    case Q_OR:
    case Q_EQ:
    case Q_NE:
    case Q_LT:
    case Q_LE:
    case Q_GT:
    case Q_GE:
    case Q_IN:
    case Q_ADD:
    case Q_SUB:
        break;
    }
    return false;
}

/* The operator of a binary node ("and", "==", ...); NULL for other nodes. */
static const char *binary_op(uint8_t kind)
{
    static const char *const ops[] = {
        [Q_AND] = "and", [Q_OR] = "or", [Q_EQ] = "==", [Q_NE] = "!=", [Q_LT] = "<",
        [Q_LE] = "<=",   [Q_GT] = ">",  [Q_GE] = ">=", [Q_IN] = "in", [Q_ADD] = "+",
        [Q_SUB] = "-",
    };

    return kind < sizeof ops / sizeof *ops ? ops[kind] : NULL;
}

/* ---------------------------------------------------------------- S-expressions */

static void sexp(struct pr *p, const struct q_node *n)
{
    const char *op = binary_op(n->kind);

    if (put_leaf(p, n))
        return;
    if (op) {
        put(p, "(", 1);
        put_str(p, op);
        put(p, " ", 1);
        sexp(p, n->kid[0]);
        put(p, " ", 1);
        sexp(p, n->kid[1]);
        put(p, ")", 1);
    } else if (n->kind == Q_MEMBER) {
        sexp(p, n->kid[0]);
        put(p, ".", 1);
        put_str(p, n->str);
    } else if (n->kind == Q_INDEX) {
        sexp(p, n->kid[0]);
        put(p, "[", 1);
        sexp(p, n->kid[1]);
        put(p, "]", 1);
    } else if (n->kind == Q_CALL) {
        put(p, "(call ", 6);
        put_str(p, n->str);
        put(p, " ", 1);
        if (n->kid[0])
            sexp(p, n->kid[0]);
        else
            put(p, "_", 1);
        for (uint32_t k = 1; k < n->nkid; k++) {
            put(p, " ", 1);
            sexp(p, n->kid[k]);
        }
        put(p, ")", 1);
    } else if (n->kind == Q_LIST) {
        put(p, "[", 1);
        for (uint32_t k = 0; k < n->nkid; k++) {
            if (k)
                put(p, " ", 1);
            sexp(p, n->kid[k]);
        }
        put(p, "]", 1);
    } else {
        put_str(p, n->kind == Q_NOT ? "(! " : "(- ");
        sexp(p, n->kid[0]);
        put(p, ")", 1);
    }
}

char *q_ast_text(const struct q_node *n)
{
    struct pr p = { .bad = false };

    buf_init(&p.b, SIZE_MAX);
    if (n)
        sexp(&p, n);
    return pr_finish(&p);
}

/* ---------------------------------------------------------------- canonical KFL */

/* Binding strength, as the parser reads it: higher binds tighter. */
enum { P_OR = 1, P_AND, P_CMP, P_SUM, P_UNARY, P_POSTFIX };

static int prec(const struct q_node *n)
{
    switch ((enum q_node_kind)n->kind) {
    case Q_OR:
        return P_OR;
    case Q_AND:
        return P_AND;
    case Q_EQ:
    case Q_NE:
    case Q_LT:
    case Q_LE:
    case Q_GT:
    case Q_GE:
    case Q_IN:
        return P_CMP;
    case Q_ADD:
    case Q_SUB:
        return P_SUM;
    case Q_NOT:
    case Q_NEG:
        return P_UNARY;
    case Q_NUM:
        /* a negative number prints with its '-': as a receiver, (-5).x */
        return (n->is_int ? n->i < 0 : signbit(n->num)) ? P_UNARY : P_POSTFIX;
    case Q_STR:
    case Q_REGEX:
    case Q_BOOL:
    case Q_NULL:
    case Q_IDENT:
    case Q_MEMBER:
    case Q_INDEX:
    case Q_CALL:
    case Q_LIST:
        break;
    }
    return P_POSTFIX;
}

static void kfl(struct pr *p, const struct q_node *n, int min);

static void kfl_list(struct pr *p, const struct q_node *n, uint32_t from)
{
    for (uint32_t k = from; k < n->nkid; k++) {
        if (k > from)
            put(p, ", ", 2);
        kfl(p, n->kid[k], P_OR);
    }
}

/* n, in parentheses if it binds less tightly than min. */
static void kfl(struct pr *p, const struct q_node *n, int min)
{
    const char *op = binary_op(n->kind);
    int pn = prec(n);

    if (pn < min)
        put(p, "(", 1);
    if (put_leaf(p, n)) {
        /* done */
    } else if (op) {
        /* left-associative: the right operand needs parentheses at its own level */
        kfl(p, n->kid[0], pn == P_CMP ? P_SUM : pn);
        put(p, " ", 1);
        put_str(p, op);
        put(p, " ", 1);
        kfl(p, n->kid[1], pn == P_CMP ? P_SUM : pn + 1);
    } else if (n->kind == Q_MEMBER) {
        kfl(p, n->kid[0], P_POSTFIX);
        put(p, ".", 1);
        put_str(p, n->str);
    } else if (n->kind == Q_INDEX) {
        kfl(p, n->kid[0], P_POSTFIX);
        put(p, "[", 1);
        kfl(p, n->kid[1], P_OR);
        put(p, "]", 1);
    } else if (n->kind == Q_CALL) {
        if (n->kid[0]) {
            kfl(p, n->kid[0], P_POSTFIX);
            put(p, ".", 1);
        }
        put_str(p, n->str);
        put(p, "(", 1);
        kfl_list(p, n, 1);
        put(p, ")", 1);
    } else if (n->kind == Q_LIST) {
        put(p, "[", 1);
        kfl_list(p, n, 0);
        put(p, "]", 1);
    } else {
        put(p, n->kind == Q_NOT ? "!" : "-", 1);
        kfl(p, n->kid[0], P_UNARY);
    }
    if (pn < min)
        put(p, ")", 1);
}

char *q_ast_kfl(const struct q_node *n)
{
    struct pr p = { .bad = false };

    buf_init(&p.b, SIZE_MAX);
    if (n)
        kfl(&p, n, P_OR);
    return pr_finish(&p);
}

/* ---------------------------------------------------------------- errors */

/* Widest line shown, "..." marks included; the fault sits this far from the left. */
#define Q_SHOW_COLS 100u
#define Q_SHOW_LEAD 40u

static bool space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static bool continuation(unsigned char c)
{
    return (c & 0xc0) == 0x80;
}

/* Columns (characters) of s[from, to). */
static size_t cols(const char *s, size_t from, size_t to)
{
    size_t c = 0;

    for (size_t k = from; k < to; k++)
        c += !continuation((unsigned char)s[k]);
    return c;
}

static void put_spaces(struct pr *p, size_t n)
{
    while (n--)
        put(p, " ", 1);
}

char *q_error_text(const char *query, size_t n, const struct q_error *err)
{
    struct pr p = { .bad = false };
    size_t pos = err->pos < n ? err->pos : n, end = err->end < n ? err->end : n;
    size_t ls = pos, le = pos, trim = n, line = 1, ncols, pc, ec, s = 0, e, c = 0;
    bool multi, pre = false, post = false, in = false;
    char head[32] = "";

    if (end < pos)
        end = pos;
    while (trim > 0 && space(query[trim - 1]))
        trim--;
    multi = trim > 0 && memchr(query, '\n', trim) != NULL;
    while (ls > 0 && query[ls - 1] != '\n')
        ls--;
    while (le < n && query[le] != '\n')
        le++;
    for (size_t k = 0; k < ls; k++)
        line += query[k] == '\n';
    if (multi)
        snprintf(head, sizeof head, "line %zu: ", line);

    /* the window of columns [s, e) shown, with "..." where the line goes on */
    ncols = cols(query, ls, le);
    pc = cols(query, ls, pos);
    ec = cols(query, ls, end < le ? end : le);
    e = ncols;
    if (ncols > Q_SHOW_COLS) {
        s = pc > Q_SHOW_LEAD ? pc - Q_SHOW_LEAD : 0;
        pre = s > 0;
        e = s + Q_SHOW_COLS - 3 - (pre ? 3 : 0);
        post = e < ncols;
        if (!post) {
            e = ncols;
            s = ncols - (Q_SHOW_COLS - 3);
        }
    }
    if (ec > e)
        ec = e;
    if (ec <= pc)
        ec = pc + 1;                    /* at least one caret (after the line at its end) */

    buf_init(&p.b, SIZE_MAX);
    put_str(&p, "query: ");
    put_str(&p, head);
    put_str(&p, err->msg);
    put_str(&p, "\n  ");
    if (pre)
        put(&p, "...", 3);
    for (size_t k = ls; k < le; k++) {
        unsigned char b = (unsigned char)query[k];

        if (!continuation(b)) {
            in = c >= s && c < e;
            c++;
        }
        if (!in)
            continue;
        if (b < 0x20 || b == 0x7f)
            put(&p, " ", 1);                /* tabs and other controls: one column each */
        else
            put(&p, query + k, 1);
    }
    if (post)
        put(&p, "...", 3);
    put_str(&p, "\n  ");
    put_spaces(&p, (pre ? 3 : 0) + pc - s);
    for (size_t k = pc; k < ec; k++)
        put(&p, "^", 1);
    return pr_finish(&p);
}
