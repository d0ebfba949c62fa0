/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: KFL's lexer: query text to tokens with byte positions
 * (docs/KFL.md, "Grammar").
 *
 * Tokens, read on demand one ahead of the parser:
 *
 *   words     [A-Za-z_$][A-Za-z0-9_$]*: and or not in true false nil null are
 *             keywords, r followed by a quote starts a regex, others are names
 *   numbers   123, 0x1F, 1.5, .5, 1e3, 1.5e-3 (a sign is the parser's unary -);
 *             letters right after a number make it a bad number (5xyz)
 *   strings   "..." or '...' with \" \' \\ \/ \n \r \t \0 \xHH \uHHHH (UTF-8,
 *             surrogate pairs joined); one line (a raw newline ends nothing)
 *   regexes   r"..." or r'...': the pattern as written; a backslash keeps the
 *             byte after it (so \" does not end it) and both stay; no control
 *             bytes but tab (PCRE2 has escapes for them)
 *   operators ! - == != < <= > >= && || ( ) [ ] , .
 *
 * '.' followed by a digit is a number (.5) unless the last token ended an
 * operand: then it is member access, and "a.5" is an error in the parser.
 * Strings, regexes and names are copied (decoded) into the parse's arena.
 */
#include "config.h"

#include "query_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "streamvault.h"

/* Character classes of ASCII, independent of the locale. */
static bool ch_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static bool ch_hex(unsigned char c)
{
    return ch_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static unsigned hex_val(unsigned char c)
{
    if (ch_digit(c))
        return (unsigned)(c - '0');
    if (c >= 'a' && c <= 'f')
        return (unsigned)(c - 'a' + 10);
    return (unsigned)(c - 'A' + 10);
}

static bool ch_word_start(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '$';
}

static bool ch_word(unsigned char c)
{
    return ch_word_start(c) || ch_digit(c);
}

static bool ch_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* Bytes of the UTF-8 character starting at s[0] (1 for anything malformed), within n. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    size_t want = s[0] >= 0xf0 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc0 ? 2 : 1;

    if (want > n || s[0] > 0xf4)
        return 1;
    for (size_t k = 1; k < want; k++)
        if ((s[k] & 0xc0) != 0x80)
            return 1;
    return want;
}

int q_err_set(struct q_error *err, int code, size_t pos, size_t end, const char *fmt, ...)
{
    va_list ap;

    if (end < pos)
        end = pos;
    err->code = code;
    err->pos = pos > UINT32_MAX ? UINT32_MAX : (uint32_t)pos;
    err->end = end > UINT32_MAX ? UINT32_MAX : (uint32_t)end;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    return code;
}

void q_quote(char *out, size_t outsz, const char *s, size_t n)
{
    size_t cut = n, o = 0;

    if (n > Q_QUOTE_MAX) {
        cut = Q_QUOTE_MAX;
        while (cut > 0 && ((unsigned char)s[cut] & 0xc0) == 0x80)
            cut--;                      /* do not split a character */
    }
    if (outsz < 2 + 4 * Q_QUOTE_MAX + 3 + 1) {
        if (outsz)
            out[0] = '\0';
        return;
    }
    out[o++] = '\'';
    for (size_t k = 0; k < cut; k++) {
        unsigned char c = (unsigned char)s[k];

        if (c < 0x20 || c == 0x7f)
            o += (size_t)snprintf(out + o, outsz - o, "\\x%02x", c);
        else
            out[o++] = (char)c;
    }
    if (cut < n) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o++] = '\'';
    out[o] = '\0';
}

void q_lex_init(struct q_lex *lx, const char *text, size_t n, struct q_arena *arena,
                struct q_error *err)
{
    lx->text = text;
    lx->n = n;
    lx->at = 0;
    lx->last_end = 0;
    lx->after_operand = false;
    lx->arena = arena;
    lx->err = err;
}

bool q_tok_is_word(const struct q_tok *t)
{
    switch ((enum q_tok_kind)t->kind) {
    case QT_IDENT:
    case QT_AND:
    case QT_OR:
    case QT_NOT:
    case QT_IN:
    case QT_TRUE:
    case QT_FALSE:
    case QT_NULL:
        return true;
    case QT_EOF:
    case QT_NUM:
    case QT_STR:
    case QT_REGEX:
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
    case QT_LPAREN:
    case QT_RPAREN:
    case QT_LBRACKET:
    case QT_RBRACKET:
    case QT_COMMA:
    case QT_DOT:
    case QT_STAR:
        break;
    }
    return false;
}

static int lex_oom(struct q_lex *lx, size_t pos)
{
    return q_err_set(lx->err, SV_ENOMEM, pos, pos, "out of memory");
}

/* An error about text[pos, end): fmt has one %s, where the text goes quoted. */
static int lex_fail(struct q_lex *lx, size_t pos, size_t end, const char *fmt)
{
    char q[160];

    q_quote(q, sizeof q, lx->text + pos, end - pos);
    return q_err_set(lx->err, SV_EQUERY, pos, end, fmt, q);
}

/* text[pos, end) as a double (strtod wants a NUL-terminated copy). */
static int lex_strtod(struct q_lex *lx, size_t pos, size_t end, double *d)
{
    char small[64], *s = small;

    if (end - pos >= sizeof small) {
        s = q_arena_alloc(lx->arena, end - pos + 1);
        if (!s)
            return lex_oom(lx, pos);
    }
    memcpy(s, lx->text + pos, end - pos);
    s[end - pos] = '\0';
    *d = strtod(s, NULL);
    return 0;
}

/* A number from text[i]: a digit, or a '.' before a digit. */
static int lex_number(struct q_lex *lx, size_t i, struct q_tok *t)
{
    const unsigned char *s = (const unsigned char *)lx->text;
    size_t n = lx->n, st = i;
    bool frac = false;
    uint64_t u = 0;
    bool over = false;

    if (s[i] == '0' && i + 1 < n && (s[i + 1] == 'x' || s[i + 1] == 'X') && i + 2 < n &&
        ch_hex(s[i + 2])) {
        for (i += 2; i < n && ch_hex(s[i]); i++) {
            over = over || u > UINT64_MAX >> 4;
            u = u << 4 | hex_val(s[i]);
        }
    } else {
        for (; i < n && ch_digit(s[i]); i++) {
            unsigned dg = (unsigned)(s[i] - '0');

            over = over || u > (UINT64_MAX - dg) / 10;
            u = u * 10 + dg;
        }
        if (i + 1 < n && s[i] == '.' && ch_digit(s[i + 1])) {
            frac = true;
            i++;
            while (i < n && ch_digit(s[i]))
                i++;
        }
        if (i < n && (s[i] == 'e' || s[i] == 'E')) {
            size_t j = i + 1;

            if (j < n && (s[j] == '+' || s[j] == '-'))
                j++;
            if (j < n && ch_digit(s[j])) {
                frac = true;
                i = j;
                while (i < n && ch_digit(s[i]))
                    i++;
            }
        }
    }
    if (i < n && ch_word(s[i])) {
        while (i < n && ch_word(s[i]))
            i++;
        return lex_fail(lx, st, i, "bad number %s");
    }
    t->kind = QT_NUM;
    t->end = (uint32_t)i;
    if (!frac && !over && u <= INT64_MAX) {
        t->is_int = true;
        t->i = (int64_t)u;
        t->num = (double)u;
        return 0;
    }
    /* too large, or a float: strtod rounds correctly (and reads 0x... itself) */
    return lex_strtod(lx, st, i, &t->num);
}

/* Four hex digits at s[k, k + 4) before lim. */
static bool hex4(const unsigned char *s, size_t k, size_t lim, unsigned *v)
{
    *v = 0;
    if (k + 4 > lim)
        return false;
    for (size_t m = k; m < k + 4; m++) {
        if (!ch_hex(s[m]))
            return false;
        *v = *v << 4 | hex_val(s[m]);
    }
    return true;
}

static size_t utf8_put(char *o, unsigned cp)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xc0 | cp >> 6);
        o[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xe0 | cp >> 12);
        o[1] = (char)(0x80 | (cp >> 6 & 0x3f));
        o[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    o[0] = (char)(0xf0 | cp >> 18);
    o[1] = (char)(0x80 | (cp >> 12 & 0x3f));
    o[2] = (char)(0x80 | (cp >> 6 & 0x3f));
    o[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

/*
 * The closing quote of a string or regex whose body starts at text[i]: a
 * backslash keeps the byte after it; a newline or the end leaves it open.
 * Returns its index, or n when there is none.
 */
static size_t find_close(const struct q_lex *lx, size_t i, char quote)
{
    const char *s = lx->text;

    while (i < lx->n && s[i] != quote && s[i] != '\n') {
        if (s[i] == '\\') {
            if (i + 1 >= lx->n || s[i + 1] == '\n')
                return lx->n;
            i++;
        }
        i++;
    }
    return i < lx->n && s[i] == quote ? i : lx->n;
}

/* One escape at s[k] == '\\' (k + 1 < close): its bytes into o, *k past it. */
static int lex_escape(struct q_lex *lx, size_t *k, size_t close, char *o, size_t *len)
{
    const unsigned char *s = (const unsigned char *)lx->text;
    size_t at = *k;
    unsigned cp, lo;

    switch (s[at + 1]) {
    case '"':
    case '\'':
    case '\\':
    case '/':
        o[(*len)++] = (char)s[at + 1];
        break;
    case 'n':
        o[(*len)++] = '\n';
        break;
    case 'r':
        o[(*len)++] = '\r';
        break;
    case 't':
        o[(*len)++] = '\t';
        break;
    case '0':
        o[(*len)++] = '\0';
        break;
    case 'x':
        if (at + 4 > close || !ch_hex(s[at + 2]) || !ch_hex(s[at + 3]))
            return lex_fail(lx, at, at + 4 > close ? close : at + 4,
                            "bad escape %s: \\x takes two hex digits");
        o[(*len)++] = (char)(hex_val(s[at + 2]) << 4 | hex_val(s[at + 3]));
        *k = at + 4;
        return 0;
    case 'u':
        if (!hex4(s, at + 2, close, &cp))
            return lex_fail(lx, at, at + 6 > close ? close : at + 6,
                            "bad escape %s: \\u takes four hex digits");
        *k = at + 6;
        if (cp >= 0xdc00 && cp <= 0xdfff)
            return lex_fail(lx, at, at + 6, "unpaired surrogate %s");
        if (cp >= 0xd800 && cp <= 0xdbff) {
            if (at + 7 >= close || s[at + 6] != '\\' || s[at + 7] != 'u' ||
                !hex4(s, at + 8, close, &lo) || lo < 0xdc00 || lo > 0xdfff)
                return lex_fail(lx, at, at + 6, "unpaired surrogate %s");
            cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
            *k = at + 12;
        }
        *len += utf8_put(o + *len, cp);
        return 0;
    default:
        return lex_fail(lx, at, at + 1 + utf8_len(s + at + 1, close - at - 1),
                        "unknown escape %s");
    }
    *k = at + 2;
    return 0;
}

/* A string from its opening quote at text[i]. */
static int lex_string(struct q_lex *lx, size_t i, struct q_tok *t)
{
    const char *s = lx->text;
    size_t close = find_close(lx, i + 1, s[i]), len = 0;
    char *o;
    int rc;

    if (close >= lx->n)
        return q_err_set(lx->err, SV_EQUERY, i, i + 1, "unterminated string");
    /* decoding never makes a string longer than its text */
    o = q_arena_alloc(lx->arena, close - i);
    if (!o)
        return lex_oom(lx, i);
    for (size_t k = i + 1; k < close;) {
        if (s[k] != '\\') {
            o[len++] = s[k++];
            continue;
        }
        rc = lex_escape(lx, &k, close, o, &len);
        if (rc < 0)
            return rc;
    }
    o[len] = '\0';
    t->kind = QT_STR;
    t->str = o;
    t->len = len;
    t->end = (uint32_t)(close + 1);
    return 0;
}

/* A regex from its r at text[i] (a quote follows). */
static int lex_regex(struct q_lex *lx, size_t i, struct q_tok *t)
{
    size_t close = find_close(lx, i + 2, lx->text[i + 1]);

    if (close >= lx->n)
        return q_err_set(lx->err, SV_EQUERY, i, i + 2, "unterminated regex");
    /* the pattern is printed as it is: no NUL or other control byte but tab in it */
    for (size_t k = i + 2; k < close; k++)
        if ((unsigned char)lx->text[k] < 0x20 && lx->text[k] != '\t')
            return lex_fail(lx, k, k + 1, "control character %s in a regex: write an escape");
    t->kind = QT_REGEX;
    t->len = close - (i + 2);
    t->str = q_arena_strndup(lx->arena, lx->text + i + 2, t->len);
    if (!t->str)
        return lex_oom(lx, i);
    t->end = (uint32_t)(close + 1);
    return 0;
}

static const struct {
    const char *word;
    uint8_t kind;
} keywords[] = {
    { "and", QT_AND },   { "or", QT_OR },       { "not", QT_NOT }, { "in", QT_IN },
    { "true", QT_TRUE }, { "false", QT_FALSE }, { "nil", QT_NULL }, { "null", QT_NULL },
};

static int lex_word(struct q_lex *lx, size_t i, struct q_tok *t)
{
    const char *s = lx->text;
    size_t st = i;

    if (s[i] == 'r' && i + 1 < lx->n && (s[i + 1] == '"' || s[i + 1] == '\''))
        return lex_regex(lx, i, t);
    while (i < lx->n && ch_word((unsigned char)s[i]))
        i++;
    t->end = (uint32_t)i;
    for (size_t k = 0; k < sizeof keywords / sizeof *keywords; k++) {
        if (strlen(keywords[k].word) == i - st && memcmp(keywords[k].word, s + st, i - st) == 0) {
            t->kind = keywords[k].kind;
            return 0;
        }
    }
    t->kind = QT_IDENT;
    t->len = i - st;
    t->str = q_arena_strndup(lx->arena, s + st, t->len);
    return t->str ? 0 : lex_oom(lx, st);
}

/* Operators and punctuation; 0 with t->kind set, or an error. */
static int lex_punct(struct q_lex *lx, size_t i, struct q_tok *t)
{
    static const char single[] = "()[],.-+*";
    static const uint8_t single_kind[] = {
        QT_LPAREN, QT_RPAREN, QT_LBRACKET, QT_RBRACKET, QT_COMMA, QT_DOT, QT_MINUS, QT_PLUS,
        QT_STAR,
    };
    const char *s = lx->text, *one;
    char c = s[i], next = i + 1 < lx->n ? s[i + 1] : '\0';
    size_t w = 1;

    one = memchr(single, c, sizeof single - 1);
    if (one) {
        t->kind = single_kind[one - single];
    } else if (c == '!' || c == '<' || c == '>') {
        /* each alone, or followed by '=' */
        w = next == '=' ? 2 : 1;
        if (c == '!')
            t->kind = w == 2 ? QT_NE : QT_BANG;
        else if (c == '<')
            t->kind = w == 2 ? QT_LE : QT_LT;
        else
            t->kind = w == 2 ? QT_GE : QT_GT;
    } else if (c == '=' || c == '&' || c == '|') {
        /* only doubled: a single one says what was meant */
        if (next != c)
            return lex_fail(lx, i, i + 1,
                            c == '=' ? "unexpected character %s (write == to compare)"
                            : c == '&' ? "unexpected character %s (write && or and)"
                                       : "unexpected character %s (write || or or)");
        t->kind = c == '=' ? QT_EQ : c == '&' ? QT_ANDAND : QT_OROR;
        w = 2;
    } else {
        return lex_fail(lx, i, i + utf8_len((const unsigned char *)s + i, lx->n - i),
                        "unexpected character %s");
    }
    t->end = (uint32_t)(i + w);
    return 0;
}

static bool ends_operand(uint8_t kind)
{
    return kind == QT_IDENT || kind == QT_NUM || kind == QT_STR || kind == QT_REGEX ||
           kind == QT_TRUE || kind == QT_FALSE || kind == QT_NULL || kind == QT_RPAREN ||
           kind == QT_RBRACKET;
}

int q_lex_next(struct q_lex *lx, struct q_tok *t)
{
    const unsigned char *s = (const unsigned char *)lx->text;
    size_t i = lx->at;
    int rc;

    while (i < lx->n && ch_space(s[i]))
        i++;
    memset(t, 0, sizeof *t);
    if (i >= lx->n) {
        t->kind = QT_EOF;
        t->pos = t->end = (uint32_t)lx->last_end;
        lx->at = i;
        return 0;
    }
    t->pos = (uint32_t)i;
    if (ch_digit(s[i]) || (s[i] == '.' && !lx->after_operand && i + 1 < lx->n &&
                           ch_digit(s[i + 1])))
        rc = lex_number(lx, i, t);
    else if (s[i] == '"' || s[i] == '\'')
        rc = lex_string(lx, i, t);
    else if (ch_word_start(s[i]))
        rc = lex_word(lx, i, t);
    else
        rc = lex_punct(lx, i, t);
    if (rc < 0)
        return rc;
    lx->at = t->end;
    lx->last_end = t->end;
    lx->after_operand = ends_operand(t->kind);
    return 0;
}
