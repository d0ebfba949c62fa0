/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: unit tests of KFL's lexer, parser and printers (lib/query/lex.c,
 * parse.c, print.c): one test per grammar production, precedence and
 * associativity, node positions, the seed and Kubeshark example queries,
 * every error message with its range, the caret drawing, the caps, and the
 * canonical KFL printing that parses back to the same tree.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "query/query.h"
#include "query/query_int.h"
#include "streamvault.h"
#include "t.h"

/* The S-expression of q, or "error <code> <pos>-<end>: <msg>" (malloc'd). */
static char *sx(const char *q, size_t n)
{
    struct q_parse *p;
    struct q_error e;
    char *s;

    if (q_parse(q, n, &p, &e) < 0) {
        char buf[400];

        snprintf(buf, sizeof buf, "error %d %u-%u: %s", e.code, e.pos, e.end, e.msg);
        return strdup(buf);
    }
    s = q_ast_text(q_parse_root(p));
    q_parse_free(p);
    return s;
}

/* q parses and prints as want (S-expression). */
#define T_SX(q, want)                                                                     \
    do {                                                                                  \
        char *t_s_ = sx((q), strlen(q));                                                  \
        T_STREQ(t_s_, (want));                                                            \
        free(t_s_);                                                                       \
    } while (0)

/* q fails with code, range [pos, end) and message msg. */
#define T_ERR(q, code, pos, end, msg)                                                     \
    do {                                                                                  \
        char t_w_[400];                                                                   \
        char *t_s_ = sx((q), strlen(q));                                                  \
        snprintf(t_w_, sizeof t_w_, "error %d %u-%u: %s", (code), (unsigned)(pos),        \
                 (unsigned)(end), (msg));                                                 \
        T_STREQ(t_s_, t_w_);                                                              \
        free(t_s_);                                                                       \
    } while (0)

/* The error text (with carets) of q, which must fail. */
static char *err_text(const char *q)
{
    struct q_parse *p;
    struct q_error e;

    if (q_parse(q, strlen(q), &p, &e) == 0) {
        q_parse_free(p);
        return strdup("(parsed)");
    }
    return q_error_text(q, strlen(q), &e);
}

#define T_ERRTEXT(q, want)                                                                \
    do {                                                                                  \
        char *t_s_ = err_text(q);                                                         \
        T_STREQ(t_s_, (want));                                                            \
        free(t_s_);                                                                       \
    } while (0)

/* Parses q, which must succeed; *p to free. */
static const struct q_node *root_of(const char *q, struct q_parse **p)
{
    struct q_error e;

    if (q_parse(q, strlen(q), p, &e) < 0) {
        printf("# %s: %s\n", q, e.msg);
        *p = NULL;
        return NULL;
    }
    return q_parse_root(*p);
}

/* ---------------------------------------------------------------- literals */

TEST(number_literals)
{
    struct q_parse *p;
    const struct q_node *n;

    n = root_of("42", &p);
    T_TRUE(n && n->kind == Q_NUM && n->is_int && n->i == 42 && n->num == 42.0);
    T_TRUE(n && n->pos == 0 && n->end == 2);
    q_parse_free(p);
    n = root_of("1.5", &p);
    T_TRUE(n && n->kind == Q_NUM && !n->is_int && n->num == 1.5);
    q_parse_free(p);
    n = root_of("0x1F", &p);
    T_TRUE(n && n->kind == Q_NUM && n->is_int && n->i == 31);
    q_parse_free(p);
    n = root_of("9223372036854775807", &p);
    T_TRUE(n && n->is_int && n->i == INT64_MAX);
    q_parse_free(p);
    n = root_of("99999999999999999999", &p);
    T_TRUE(n && n->kind == Q_NUM && !n->is_int && n->num == 1e20);
    q_parse_free(p);
    n = root_of("-9223372036854775808", &p);
    T_TRUE(n && n->kind == Q_NUM && n->is_int && n->i == INT64_MIN);
    q_parse_free(p);
    n = root_of("0xFFFFFFFFFFFFFFFFF", &p);
    T_TRUE(n && n->kind == Q_NUM && !n->is_int && n->num == 295147905179352825855.0);
    q_parse_free(p);

    T_SX("42", "42");
    T_SX("1.5", "1.5");
    T_SX(".5", "0.5");
    T_SX("1e3", "1000.0");
    T_SX("1.5e-3", "0.0015");
    T_SX("1E+2", "100.0");
    T_SX("0x1F", "31");
    T_SX("0X1f", "31");
    T_SX("99999999999999999999", "1e+20");
    T_SX("1e-7", "1e-07");
    T_SX("0.1", "0.1");
    T_SX("3.141592653589793", "3.141592653589793");
    T_SX("1e999", "1e999");
    T_SX("-9223372036854775808", "-9223372036854775808");
    T_SX("- -9223372036854775808", "9.223372036854776e+18");
}

TEST(string_literals)
{
    struct q_parse *p;
    const struct q_node *n;

    n = root_of("\"abc\"", &p);
    T_TRUE(n && n->kind == Q_STR && n->len == 3 && strcmp(n->str, "abc") == 0);
    T_TRUE(n && n->pos == 0 && n->end == 5);
    q_parse_free(p);
    T_ERR("'it''s'", SV_EQUERY, 4, 7, "expected an operator or end of query but found ''s''");
    n = root_of("'say \"hi\"'", &p);
    T_TRUE(n && n->kind == Q_STR && strcmp(n->str, "say \"hi\"") == 0);
    q_parse_free(p);
    n = root_of("\"\\\" \\' \\\\ \\/ \\n \\r \\t \\0 \\x41\\xff \\u00e9 \\ud83d\\ude00\"", &p);
    T_TRUE(n && n->kind == Q_STR);
    if (n) {
        static const char want[] = "\" ' \\ / \n \r \t \0 A\xff \xc3\xa9 \xf0\x9f\x98\x80";

        T_EQ(n->len, sizeof want - 1);
        T_MEMEQ(n->str, want, sizeof want);         /* with the NUL at the end */
    }
    q_parse_free(p);
    n = root_of("\"\\u20ac\"", &p);
    T_TRUE(n && n->len == 3 && memcmp(n->str, "\xe2\x82\xac", 3) == 0);
    q_parse_free(p);

    T_SX("\"abc\"", "\"abc\"");
    T_SX("'abc'", "\"abc\"");
    T_SX("\"a\\\"b\\\\c\"", "\"a\\\"b\\\\c\"");
    T_SX("\"\\n\\t\\0\\x7f\"", "\"\\u000a\\u0009\\u0000\\u007f\"");
    T_SX("\"caf\\u00e9 \xe2\x82\xac\"", "\"caf\xc3\xa9 \xe2\x82\xac\"");
    T_SX("\"\"", "\"\"");
}

TEST(regex_literals)
{
    struct q_parse *p;
    const struct q_node *n;

    n = root_of("r\"Token.*\"", &p);
    T_TRUE(n && n->kind == Q_REGEX && n->len == 7 && strcmp(n->str, "Token.*") == 0);
    T_TRUE(n && n->pos == 0 && n->end == 10);
    q_parse_free(p);
    /* no escapes processed: \" does not end it and keeps its backslash */
    n = root_of("r\"a\\\"b\\d\"", &p);
    T_TRUE(n && n->kind == Q_REGEX && strcmp(n->str, "a\\\"b\\d") == 0);
    q_parse_free(p);
    n = root_of("r'x\"y'", &p);
    T_TRUE(n && n->kind == Q_REGEX && strcmp(n->str, "x\"y") == 0);
    q_parse_free(p);
    n = root_of("r\"a\\\\\"", &p);
    T_TRUE(n && n->kind == Q_REGEX && strcmp(n->str, "a\\\\") == 0);
    q_parse_free(p);

    T_SX("r\"/catalogue.*\"", "r\"/catalogue.*\"");
    T_SX("r'^GET$'", "r\"^GET$\"");
    T_SX("r'x\"y'", "r'x\"y'");
    T_SX("r", "r");                         /* a name */
    T_SX("r == \"x\"", "(== r \"x\")");
}

TEST(word_literals)
{
    struct q_parse *p;
    const struct q_node *n;

    n = root_of("true", &p);
    T_TRUE(n && n->kind == Q_BOOL && n->b);
    q_parse_free(p);
    n = root_of("false", &p);
    T_TRUE(n && n->kind == Q_BOOL && !n->b);
    q_parse_free(p);
    n = root_of("nil", &p);
    T_TRUE(n && n->kind == Q_NULL);
    q_parse_free(p);
    n = root_of("null", &p);
    T_TRUE(n && n->kind == Q_NULL);
    q_parse_free(p);
    T_SX("true", "true");
    T_SX("false", "false");
    T_SX("nil", "null");
    T_SX("null", "null");
    T_SX("True", "True");                   /* keywords are lower case */
}

/* ---------------------------------------------------------------- names and postfix */

TEST(identifiers)
{
    struct q_parse *p;
    const struct q_node *n;

    n = root_of("http", &p);
    T_TRUE(n && n->kind == Q_IDENT && n->len == 4 && strcmp(n->str, "http") == 0);
    q_parse_free(p);
    T_SX("_a1", "_a1");
    T_SX("$x", "$x");
    T_SX("AND", "AND");
    T_SX("status_code", "status_code");
    /* '-' is never part of a name (header names go in brackets): a-b is a minus b */
    T_SX("a-b", "(- a b)");
}

TEST(member)
{
    struct q_parse *p;
    const struct q_node *n;

    n = root_of("request.method", &p);
    T_TRUE(n && n->kind == Q_MEMBER && n->nkid == 1 && strcmp(n->str, "method") == 0);
    T_TRUE(n && n->len == 6 && n->kid[0]->kind == Q_IDENT);
    T_TRUE(n && strcmp(n->kid[0]->str, "request") == 0);
    T_TRUE(n && n->pos == 0 && n->end == 14);
    q_parse_free(p);
    T_SX("a.b.c", "a.b.c");
    T_SX("a . b", "a.b");
    /* after '.', every word is a name, keywords included */
    T_SX("a.in.not.and.null.nil", "a.in.not.and.null.nil");
    T_SX("a.true == 1", "(== a.true 1)");
    T_SX("\"s\".x", "\"s\".x");
    /* Kubeshark's wildcard: every element or value */
    T_SX("request.path.* == \"v1\"", "(== request.path.* \"v1\")");
    T_SX("a.*.x.*", "a.*.x.*");
    T_SX("a . *", "a.*");
    T_ERR("a.*(1)", SV_EQUERY, 3, 4, "expected an operator or end of query but found '('");
    T_ERR("a * b", SV_EQUERY, 2, 3, "expected an operator or end of query but found '*'");
    T_ERR("*", SV_EQUERY, 0, 1, "expected an operand but found '*'");
}

TEST(index)
{
    struct q_parse *p;
    const struct q_node *n;

    n = root_of("request.headers[\"X-Request-Id\"]", &p);
    T_TRUE(n && n->kind == Q_INDEX && n->nkid == 2 && n->kid[0]->kind == Q_MEMBER);
    T_TRUE(n && n->kid[1]->kind == Q_STR && strcmp(n->kid[1]->str, "X-Request-Id") == 0);
    T_TRUE(n && n->pos == 0 && n->end == 31);
    q_parse_free(p);
    n = root_of("a[-1]", &p);
    T_TRUE(n && n->kind == Q_INDEX && n->kid[1]->kind == Q_NUM && n->kid[1]->i == -1);
    T_TRUE(n && n->kid[1]->pos == 2 && n->kid[1]->end == 4);
    q_parse_free(p);
    T_SX("a[0]", "a[0]");
    T_SX("a[\"key\"]", "a[\"key\"]");
    T_SX("a[0][1].b", "a[0][1].b");
    T_SX("a[b == 1]", "a[(== b 1)]");
}

TEST(method_call)
{
    struct q_parse *p;
    const struct q_node *n;

    n = root_of("x.startsWith(\"a\")", &p);
    T_TRUE(n && n->kind == Q_CALL && n->nkid == 2 && strcmp(n->str, "startsWith") == 0);
    T_TRUE(n && n->len == 10 && n->kid[0]->kind == Q_IDENT && n->kid[1]->kind == Q_STR);
    T_TRUE(n && n->pos == 0 && n->end == 17);
    q_parse_free(p);
    T_SX("x.startsWith(\"a\")", "(call startsWith x \"a\")");
    T_SX("a.b.f()", "(call f a.b)");
    T_SX("a.f(1, 2).g", "(call f a 1 2).g");
    T_SX("x.in(1)", "(call in x 1)");
}

TEST(function_call)
{
    struct q_parse *p;
    const struct q_node *n;

    n = root_of("now()", &p);
    T_TRUE(n && n->kind == Q_CALL && n->nkid == 1 && n->kid[0] == NULL);
    T_TRUE(n && strcmp(n->str, "now") == 0 && n->pos == 0 && n->end == 5);
    q_parse_free(p);
    n = root_of("limit(10)", &p);
    T_TRUE(n && n->kind == Q_CALL && n->nkid == 2 && !n->kid[0] && n->kid[1]->i == 10);
    q_parse_free(p);
    n = root_of("f(1, \"a\")", &p);
    T_TRUE(n && n->kind == Q_CALL && n->nkid == 3 && !n->kid[0] && n->kid[2]->kind == Q_STR);
    q_parse_free(p);
    T_SX("now()", "(call now _)");
    T_SX("limit(10)", "(call limit _ 10)");
    T_SX("f(1, \"a\")", "(call f _ 1 \"a\")");
    T_SX("f ( a or b , [1] )", "(call f _ (or a b) [1])");
    T_SX("json(x).items[0]", "(call json _ x).items[0]");
}

TEST(list)
{
    struct q_parse *p;
    const struct q_node *n;

    n = root_of("[1, 2, \"a\"]", &p);
    T_TRUE(n && n->kind == Q_LIST && n->nkid == 3 && n->kid[2]->kind == Q_STR);
    T_TRUE(n && n->pos == 0 && n->end == 11);
    q_parse_free(p);
    n = root_of("[]", &p);
    T_TRUE(n && n->kind == Q_LIST && n->nkid == 0);
    q_parse_free(p);
    T_SX("[1, 2, \"a\"]", "[1 2 \"a\"]");
    T_SX("[[1], [], -2]", "[[1] [] -2]");
    T_SX("[1][0]", "[1][0]");
}

TEST(unary)
{
    struct q_parse *p;
    const struct q_node *n;

    n = root_of("not a", &p);
    T_TRUE(n && n->kind == Q_NOT && n->nkid == 1 && n->pos == 0 && n->end == 5);
    q_parse_free(p);
    n = root_of("-x", &p);
    T_TRUE(n && n->kind == Q_NEG && n->nkid == 1 && n->kid[0]->kind == Q_IDENT);
    q_parse_free(p);
    /* - before a number folds into it, starting at the '-' */
    n = root_of("- 1", &p);
    T_TRUE(n && n->kind == Q_NUM && n->is_int && n->i == -1 && n->num == -1.0);
    T_TRUE(n && n->pos == 0 && n->end == 3);
    q_parse_free(p);
    n = root_of("-2.5", &p);
    T_TRUE(n && n->kind == Q_NUM && !n->is_int && n->num == -2.5);
    q_parse_free(p);
    T_SX("not a", "(! a)");
    T_SX("!a", "(! a)");
    T_SX("!!a", "(! (! a))");
    T_SX("-x", "(- x)");
    T_SX("- - x", "(- (- x))");
    T_SX("- 1", "-1");
    T_SX("- -1", "1");
    T_SX("-(1)", "-1");
    T_SX("-0", "0");
    T_SX("-0.0", "-0.0");
    T_SX("!-5", "(! -5)");
    T_SX("-x.y", "(- x.y)");
    T_SX("(-5).x", "-5.x");
    T_SX("not(a)", "(! a)");
}

TEST(comparisons)
{
    T_SX("a == 1", "(== a 1)");
    T_SX("a != 1", "(!= a 1)");
    T_SX("a < 1", "(< a 1)");
    T_SX("a <= 1", "(<= a 1)");
    T_SX("a > 1", "(> a 1)");
    T_SX("a >= 1", "(>= a 1)");
    T_SX("a in [1, 2]", "(in a [1 2])");
    T_SX("a in b", "(in a b)");
    T_SX("a==1", "(== a 1)");
    T_SX("a<-1", "(< a -1)");
    T_SX("x.y == -z", "(== x.y (- z))");
    T_SX("(a == b) == c", "(== (== a b) c)");
}

TEST(and_or)
{
    T_SX("a and b", "(and a b)");
    T_SX("a && b", "(and a b)");
    T_SX("a or b", "(or a b)");
    T_SX("a || b", "(or a b)");
    T_SX("a and b and c", "(and (and a b) c)");
    T_SX("a or b || c", "(or (or a b) c)");
    T_SX("a&&b||c", "(or (and a b) c)");
}

TEST(parentheses)
{
    struct q_parse *p;
    const struct q_node *n;

    T_SX("(a)", "a");
    T_SX("((a))", "a");
    T_SX("(a or b) and c", "(and (or a b) c)");
    T_SX("a and (b or c)", "(and a (or b c))");
    T_SX("a and (b and c)", "(and a (and b c))");
    T_SX("!(a == b)", "(! (== a b))");
    /* a parenthesised expression's node spans its parentheses */
    n = root_of("(a or b) and c", &p);
    T_TRUE(n && n->pos == 0 && n->end == 14 && n->kid[0]->pos == 0 && n->kid[0]->end == 8);
    q_parse_free(p);
}

TEST(precedence)
{
    T_SX("a or b and c", "(or a (and b c))");
    T_SX("a and b or c", "(or (and a b) c)");
    T_SX("!a and b", "(and (! a) b)");
    T_SX("a and b or c and d", "(or (and a b) (and c d))");
    T_SX("- 1", "-1");
    /* unary binds tighter than comparisons */
    T_SX("not a == b", "(== (! a) b)");
    T_SX("!x == 1", "(== (! x) 1)");
    T_SX("-x < 1", "(< (- x) 1)");
    T_SX("a == 1 and b != 2 or c", "(or (and (== a 1) (!= b 2)) c)");
    T_SX("a or b == c and d", "(or a (and (== b c) d))");
    T_SX("!a.b[0].c(1)", "(! (call c a.b[0] 1))");
}

TEST(positions)
{
    struct q_parse *p;
    const struct q_node *n;

    /* a binary node spans its operands; a call runs from its receiver to ')' */
    n = root_of("  abc == x.f(1, 2)  ", &p);
    T_TRUE(n && n->kind == Q_EQ && n->pos == 2 && n->end == 18);
    T_TRUE(n && n->kid[0]->pos == 2 && n->kid[0]->end == 5);
    T_TRUE(n && n->kid[1]->kind == Q_CALL && n->kid[1]->pos == 9 && n->kid[1]->end == 18);
    T_TRUE(n && n->kid[1]->kid[2]->pos == 16 && n->kid[1]->kid[2]->end == 17);
    q_parse_free(p);
    n = root_of("a and not b", &p);
    T_TRUE(n && n->kid[1]->kind == Q_NOT && n->kid[1]->pos == 6 && n->kid[1]->end == 11);
    q_parse_free(p);
    n = root_of("x in [1, -2]", &p);
    T_TRUE(n && n->kid[1]->pos == 5 && n->kid[1]->end == 12);
    T_TRUE(n && n->kid[1]->kid[1]->pos == 9 && n->kid[1]->kid[1]->end == 11);
    q_parse_free(p);
}

/* ---------------------------------------------------------------- whole queries */

TEST(seed_query)
{
    static const char q[] =
        "grpc and request.headers[\"Authorization\"] == r\"Token.*\" and\n"
        "src.name == \"front-end.sock-shop\" and dst.name == \"catalogue.sock-shop\"";
    struct q_parse *p;
    const struct q_node *n;

    T_SX(q, "(and (and (and grpc (== request.headers[\"Authorization\"] r\"Token.*\")) "
            "(== src.name \"front-end.sock-shop\")) (== dst.name \"catalogue.sock-shop\"))");
    n = root_of(q, &p);
    T_TRUE(n && n->pos == 0 && n->end == sizeof q - 1);
    q_parse_free(p);
}

TEST(kubeshark_examples)
{
    T_SX("http and request.method == \"GET\" and response.status == 200",
         "(and (and http (== request.method \"GET\")) (== response.status 200))");
    T_SX("dns and request.questions[0].name.startsWith(\"catalogue\")",
         "(and dns (call startsWith request.questions[0].name \"catalogue\"))");
    T_SX("timestamp >= datetime(\"03/14/2023, 18:00:00.000\")",
         "(>= timestamp (call datetime _ \"03/14/2023, 18:00:00.000\"))");
    T_SX("request.path == r\"/catalogue.*\"", "(== request.path r\"/catalogue.*\")");
    T_SX("limit(100)", "(call limit _ 100)");
    T_SX("!http", "(! http)");
    T_SX("response.status >= 500 and elapsedTime > 200",
         "(and (>= response.status 500) (> elapsedTime 200))");
    T_SX("request.headers[\"User-Agent\"].contains(\"curl\")",
         "(call contains request.headers[\"User-Agent\"] \"curl\")");
    T_SX("redis and request.command in [\"GET\", \"SET\"]",
         "(and redis (in request.command [\"GET\" \"SET\"]))");
    T_SX("src.name == \"front-end.sock-shop\" && dst.port != 80 || tls",
         "(or (and (== src.name \"front-end.sock-shop\") (!= dst.port 80)) tls)");
    T_SX("size(request.headers) > 10", "(> (call size _ request.headers) 10)");
    T_SX("json(response.content.text).items[0].price < 10.5",
         "(< (call json _ response.content.text).items[0].price 10.5)");
}

TEST(empty_query)
{
    struct q_parse *p;
    struct q_error e;
    char *s;

    T_EQ(q_parse("", 0, &p, &e), 0);
    T_TRUE(p && q_parse_root(p) == NULL);
    q_parse_free(p);
    T_EQ(q_parse(NULL, 0, &p, &e), 0);
    T_TRUE(p && q_parse_root(p) == NULL);
    q_parse_free(p);
    T_EQ(q_parse(" \t\r\n ", 5, &p, &e), 0);
    T_TRUE(p && q_parse_root(p) == NULL);
    q_parse_free(p);
    s = q_ast_text(NULL);
    T_STREQ(s, "");
    free(s);
    s = q_ast_kfl(NULL);
    T_STREQ(s, "");
    free(s);
    q_parse_free(NULL);
    T_TRUE(q_parse_root(NULL) == NULL);
}

/* ---------------------------------------------------------------- errors */

TEST(error_messages)
{
    static const char long_tok[] = "a b012345678901234567890123456789012345";

    T_ERR("a and and", SV_EQUERY, 6, 9, "expected an operand but found 'and'");
    T_ERR("== 5", SV_EQUERY, 0, 2, "expected an operand but found '=='");
    T_ERR("(grpc and x", SV_EQUERY, 11, 11, "expected ')' but found end of query");
    T_ERR("(grpc and x   ", SV_EQUERY, 11, 11, "expected ')' but found end of query");
    T_ERR("(a b)", SV_EQUERY, 3, 4, "expected ')' but found 'b'");
    T_ERR("a)", SV_EQUERY, 1, 2, "unexpected ')'");
    T_ERR("a ]", SV_EQUERY, 2, 3, "unexpected ']'");
    T_ERR("a, b", SV_EQUERY, 1, 2, "unexpected ','");
    T_ERR("x == \"abc", SV_EQUERY, 5, 6, "unterminated string");
    T_ERR("x == 'abc\\'", SV_EQUERY, 5, 6, "unterminated string");
    T_ERR("x == \"ab\ncd\"", SV_EQUERY, 5, 6, "unterminated string");
    T_ERR("x == r\"abc", SV_EQUERY, 5, 7, "unterminated regex");
    T_ERR("r\"a\x05" "b\"", SV_EQUERY, 3, 4,
          "control character '\\x05' in a regex: write an escape");
    T_SX("r\"a\tb\"", "r\"a\tb\"");
    T_ERR("x == \"a\\qb\"", SV_EQUERY, 7, 9, "unknown escape '\\q'");
    T_ERR("x == \"\\\xc3\xa9\"", SV_EQUERY, 6, 9, "unknown escape '\\\xc3\xa9'");
    T_ERR("\"\\x4\"", SV_EQUERY, 1, 4, "bad escape '\\x4': \\x takes two hex digits");
    T_ERR("\"\\u12g4\"", SV_EQUERY, 1, 7, "bad escape '\\u12g4': \\u takes four hex digits");
    T_ERR("\"\\ud800\"", SV_EQUERY, 1, 7, "unpaired surrogate '\\ud800'");
    T_ERR("\"\\udc00\\ud800\"", SV_EQUERY, 1, 7, "unpaired surrogate '\\udc00'");
    T_ERR("a == b == c", SV_EQUERY, 7, 9, "comparisons do not chain: use and");
    T_ERR("a < b in c", SV_EQUERY, 6, 8, "comparisons do not chain: use and");
    T_ERR("a.", SV_EQUERY, 2, 2, "expected a field name after '.'");
    T_ERR("a.5", SV_EQUERY, 2, 3, "expected a field name after '.'");
    T_ERR("a.\"b\"", SV_EQUERY, 2, 5, "expected a field name after '.'");
    T_ERR("x == 5xyz", SV_EQUERY, 5, 9, "bad number '5xyz'");
    T_ERR("0x", SV_EQUERY, 0, 2, "bad number '0x'");
    T_ERR("1.5e+x", SV_EQUERY, 0, 4, "bad number '1.5e'");
    T_ERR("0x1G", SV_EQUERY, 0, 4, "bad number '0x1G'");
    T_ERR("a # b", SV_EQUERY, 2, 3, "unexpected character '#'");
    T_ERR("a = b", SV_EQUERY, 2, 3, "unexpected character '=' (write == to compare)");
    T_ERR("a & b", SV_EQUERY, 2, 3, "unexpected character '&' (write && or and)");
    T_ERR("a | b", SV_EQUERY, 2, 3, "unexpected character '|' (write || or or)");
    T_ERR("x == \xe2\x80\x9cy\xe2\x80\x9d", SV_EQUERY, 5, 8,
          "unexpected character '\xe2\x80\x9c'");
    T_ERR("a\x01", SV_EQUERY, 1, 2, "unexpected character '\\x01'");
    T_ERR("f(a b)", SV_EQUERY, 4, 5, "expected ',' or ')' but found 'b'");
    T_ERR("f(a,)", SV_EQUERY, 4, 5, "expected an operand but found ')'");
    T_ERR("[1 2]", SV_EQUERY, 3, 4, "expected ',' or ']' but found '2'");
    T_ERR("a[0 1]", SV_EQUERY, 4, 5, "expected ']' but found '1'");
    T_ERR("()", SV_EQUERY, 1, 2, "expected an operand but found ')'");
    T_ERR("not", SV_EQUERY, 3, 3, "expected an operand but found end of query");
    T_ERR("a b", SV_EQUERY, 2, 3, "expected an operator or end of query but found 'b'");
    T_ERR("true(1)", SV_EQUERY, 4, 5, "expected an operator or end of query but found '('");
    /* the found token is cut to 32 bytes */
    T_ERR(long_tok, SV_EQUERY, 2, 39,
          "expected an operator or end of query but found 'b0123456789012345678901234567890...'");
    T_ERR("a \"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
          "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\"", SV_EQUERY, 2, 36,
          "expected an operator or end of query but found '\"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
          "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
          "\xc3\xa9...'");
}

TEST(error_text)
{
    T_ERRTEXT("(grpc and x", "query: expected ')' but found end of query\n"
                             "  (grpc and x\n"
                             "             ^");
    T_ERRTEXT("a and and", "query: expected an operand but found 'and'\n"
                           "  a and and\n"
                           "        ^^^");
    /* tabs show as spaces; columns count characters, not bytes */
    T_ERRTEXT("\ta\t== 5xyz", "query: bad number '5xyz'\n"
                              "   a == 5xyz\n"
                              "        ^^^^");
    T_ERRTEXT("\"\xc3\xa9t\xc3\xa9\" == x y", "query: expected an operator or end of query "
                                              "but found 'y'\n"
                                              "  \"\xc3\xa9t\xc3\xa9\" == x y\n"
                                              "             ^");
    /* several lines: only the fault's, and its number */
    T_ERRTEXT("http and\nrequest.method == \"GET\" and\n  response.status == == 200\n",
              "query: line 3: expected an operand but found '=='\n"
              "    response.status == == 200\n"
              "                       ^^");
    T_ERRTEXT("a and\n", "query: expected an operand but found end of query\n"
                         "  a and\n"
                         "       ^");
    T_ERRTEXT("x == \"abc\ndef\"", "query: line 1: unterminated string\n"
                                   "  x == \"abc\n"
                                   "       ^");
    /* carets stop at the end of the line */
    T_ERRTEXT("a == 1 and (b\nor c", "query: line 2: expected ')' but found end of query\n"
                                     "  or c\n"
                                     "      ^");
}

TEST(error_text_long_line)
{
    char q[400], want[800];
    int n = 0;

    /* the fault near the start: the first 97 columns, then "..." */
    n = snprintf(q, sizeof q, "a b");
    for (int i = 0; i < 50; i++)
        n += snprintf(q + n, sizeof q - (size_t)n, " and c");
    snprintf(want, sizeof want,
             "query: expected an operator or end of query but found 'b'\n  %.97s...\n    ^", q);
    T_ERRTEXT(q, want);

    /* in the middle: 40 columns before it, "..." at both ends */
    n = 0;
    for (int i = 0; i < 20; i++)
        n += snprintf(q + n, sizeof q - (size_t)n, "c and ");
    n += snprintf(q + n, sizeof q - (size_t)n, "a b");
    for (int i = 0; i < 20; i++)
        n += snprintf(q + n, sizeof q - (size_t)n, " and c");
    snprintf(want, sizeof want,
             "query: expected an operator or end of query but found 'b'\n"
             "  ...%.94s...\n  %43s^", q + 122 - 40, "");
    T_ERRTEXT(q, want);

    /* near the end: "..." then the last 97 columns */
    n = 0;
    for (int i = 0; i < 30; i++)
        n += snprintf(q + n, sizeof q - (size_t)n, "c and ");
    n += snprintf(q + n, sizeof q - (size_t)n, "a ==");
    snprintf(want, sizeof want,
             "query: expected an operand but found end of query\n  ...%s\n  %100s^",
             q + n - 97, "");
    T_ERRTEXT(q, want);
}

TEST(error_text_any_range)
{
    struct q_error e = { .code = SV_EQUERY, .pos = 5, .end = 8 };
    char *t;

    /* errors from later passes: a range inside, past, or before the end */
    snprintf(e.msg, sizeof e.msg, "unknown field 'http.methd'");
    t = q_error_text("a == http.methd", 15, &e);
    T_STREQ(t, "query: unknown field 'http.methd'\n  a == http.methd\n       ^^^");
    free(t);
    e.pos = 3;
    e.end = 90;
    t = q_error_text("a == b", 6, &e);
    T_STREQ(t, "query: unknown field 'http.methd'\n  a == b\n     ^^^");
    free(t);
    e.pos = 50;
    e.end = 10;
    t = q_error_text("a == b", 6, &e);
    T_STREQ(t, "query: unknown field 'http.methd'\n  a == b\n        ^");
    free(t);
    e.pos = e.end = 0;
    t = q_error_text(NULL, 0, &e);
    T_STREQ(t, "query: unknown field 'http.methd'\n  \n  ^");
    free(t);
}

/* ---------------------------------------------------------------- caps */

/* A query of n copies of s, between head and tail (malloc'd). */
static char *repeat(const char *head, const char *s, size_t n, const char *tail)
{
    size_t hl = strlen(head), sl = strlen(s), tl = strlen(tail);
    char *q = malloc(hl + sl * n + tl + 1);

    memcpy(q, head, hl);
    for (size_t i = 0; i < n; i++)
        memcpy(q + hl + i * sl, s, sl);
    memcpy(q + hl + sl * n, tail, tl + 1);
    return q;
}

TEST(cap_text)
{
    char *q = repeat("", " ", Q_MAX_TEXT - 1, "a");
    struct q_parse *p;
    struct q_error e;

    T_EQ(q_parse(q, Q_MAX_TEXT, &p, &e), 0);
    q_parse_free(p);
    free(q);
    q = repeat("", " ", Q_MAX_TEXT, "a");
    T_EQ(q_parse(q, Q_MAX_TEXT + 1, &p, &e), SV_ELIMIT);
    T_TRUE(p == NULL);
    T_STREQ(e.msg, "query too long (more than 65536 bytes)");
    T_EQ(e.pos, Q_MAX_TEXT);
    T_EQ(e.end, Q_MAX_TEXT + 1);
    free(q);
}

TEST(cap_depth)
{
    static const struct {
        const char *open, *inner, *close;
    } nest[] = {
        { "(", "a", ")" },  { "!", "a", "" },   { "-", "a", "" },   { "not ", "a", "" },
        { "f(", "1", ")" }, { "[", "1", "]" },  { "a[", "1", "]" }, { "x.m(", "", ")" },
    };

    /* 128 levels of each kind parse; 129 do not */
    for (size_t k = 0; k < sizeof nest / sizeof *nest; k++) {
        for (unsigned levels = Q_MAX_DEPTH; levels <= Q_MAX_DEPTH + 1; levels++) {
            char *head = repeat("", nest[k].open, levels, nest[k].inner);
            char *q = repeat(head, nest[k].close, levels, "");
            char *s = sx(q, strlen(q));

            if (levels == Q_MAX_DEPTH)
                T_TRUE(strncmp(s, "error", 5) != 0);
            else
                T_TRUE(strstr(s, "query nested too deeply (more than 128 levels)") != NULL);
            free(s);
            free(q);
            free(head);
        }
    }
    /* the error is at the opening of the 129th level */
    {
        char *q = repeat("", "(", Q_MAX_DEPTH + 1, "a");

        T_ERR(q, SV_ELIMIT, 128, 129, "query nested too deeply (more than 128 levels)");
        free(q);
        q = repeat("", "!", Q_MAX_DEPTH + 1, "a");
        T_ERR(q, SV_ELIMIT, 128, 129, "query nested too deeply (more than 128 levels)");
        free(q);
        q = repeat("", "f(", Q_MAX_DEPTH + 1, "a");
        T_ERR(q, SV_ELIMIT, 257, 258, "query nested too deeply (more than 128 levels)");
        free(q);
    }
    /* and/or chains are not nesting */
    {
        char *q = repeat("a", " and a", 1000, "");
        char *s = sx(q, strlen(q));

        T_TRUE(strncmp(s, "(and (and (and ", 15) == 0);
        free(s);
        free(q);
    }
}

TEST(cap_nodes)
{
    char *q, *s;

    /* a list of 16383 names: 16384 nodes; one more name is too many */
    q = repeat("[", "a,", Q_MAX_NODES - 2, "a]");
    s = sx(q, strlen(q));
    T_TRUE(strncmp(s, "[a a a ", 7) == 0);
    free(s);
    free(q);
    q = repeat("[", "a,", Q_MAX_NODES - 1, "a]");
    T_ERR(q, SV_ELIMIT, 0, 2 * Q_MAX_NODES + 1, "query too large (more than 16384 nodes)");
    free(q);
    /* a chain of or: 8192 names and 8191 operators fit, one more name does not */
    q = repeat("a", " or a", Q_MAX_NODES / 2 - 1, "");
    s = sx(q, strlen(q));
    T_TRUE(strncmp(s, "(or (or ", 8) == 0);
    free(s);
    free(q);
    q = repeat("a", " or a", Q_MAX_NODES / 2, "");
    s = sx(q, strlen(q));
    T_TRUE(strstr(s, ": query too large (more than 16384 nodes)") != NULL);
    free(s);
    free(q);
}
/* ---------------------------------------------------------------- canonical KFL */

/* q's canonical KFL text (malloc'd), checked to parse back to the same tree. */
static char *kfl_of(const char *q)
{
    struct q_parse *p, *p2;
    struct q_error e;
    char *k, *s, *s2;

    if (q_parse(q, strlen(q), &p, &e) < 0)
        return strdup(e.msg);
    k = q_ast_kfl(q_parse_root(p));
    s = q_ast_text(q_parse_root(p));
    if (q_parse(k, strlen(k), &p2, &e) < 0) {
        printf("# %s: does not parse back: %s\n", k, e.msg);
        free(k);
        k = strdup("(no round trip)");
    } else {
        s2 = q_ast_text(q_parse_root(p2));
        if (strcmp(s, s2) != 0) {
            printf("# %s: parses back as %s, not %s\n", k, s2, s);
            free(k);
            k = strdup("(no round trip)");
        }
        free(s2);
        q_parse_free(p2);
    }
    free(s);
    q_parse_free(p);
    return k;
}

#define T_KFL(q, want)                                                                    \
    do {                                                                                  \
        char *t_s_ = kfl_of(q);                                                           \
        T_STREQ(t_s_, (want));                                                            \
        free(t_s_);                                                                       \
    } while (0)

TEST(canonical_kfl)
{
    T_KFL("grpc and request.headers[\"Authorization\"] == r\"Token.*\" and\n"
          "src.name == \"front-end.sock-shop\"",
          "grpc and request.headers[\"Authorization\"] == r\"Token.*\" and "
          "src.name == \"front-end.sock-shop\"");
    T_KFL("a || b && c", "a or b and c");
    T_KFL("(a or b) and c", "(a or b) and c");
    T_KFL("a and (b and c)", "a and (b and c)");
    T_KFL("((a and b)) and c", "a and b and c");
    T_KFL("(a == b) == c", "(a == b) == c");
    T_KFL("not (a == b)", "!(a == b)");
    T_KFL("not a == b", "!a == b");
    T_KFL("(!a).b", "(!a).b");
    T_KFL("a.* == b[\"*\"]", "a.* == b[\"*\"]");
    T_KFL("(-5).x", "(-5).x");
    T_KFL("-5.x", "-5.x");
    T_KFL("- - x", "--x");
    T_KFL("-(-(5))", "5");
    T_KFL("!-5", "!-5");
    T_KFL("x in [1,2 ,'a']", "x in [1, 2, \"a\"]");
    T_KFL("f ( ) . g ( 1 , 2 )", "f().g(1, 2)");
    T_KFL("a . in", "a.in");
    T_KFL("x.nil()", "x.nil()");
    T_KFL("0x10 == .5", "16 == 0.5");
    T_KFL("1e3 != 1", "1000.0 != 1");
    T_KFL("1e400 > -1e400", "1e999 > -1e999");
    T_KFL("-0.0", "-0.0");
    T_KFL("-9223372036854775808", "-9223372036854775808");
    T_KFL("'\\'\\t\\u00e9'", "\"'\\u0009\xc3\xa9\"");
    T_KFL("r'a\"b' or r\"c'd\\\"\"", "r'a\"b' or r\"c'd\\\"\"");
    T_KFL("a[(b or c)]", "a[b or c]");
    T_KFL("(1).x", "1.x");
    T_KFL("(1.5).e3", "1.5.e3");
    T_KFL("(1).e3", "1.e3");
    T_KFL("true.x", "true.x");
    T_KFL("[1][0]", "[1][0]");
}

/* sum := unary { ("+" | "-") unary }: left-associative, between comparisons and unary */
TEST(sum)
{
    T_SX("a + b", "(+ a b)");
    T_SX("a - b - c", "(- (- a b) c)");
    T_SX("a - (b - c)", "(- a (- b c))");
    T_SX("a + -1", "(+ a -1)");
    T_SX("a - -b", "(- a (- b))");
    T_SX("a-1", "(- a 1)");
    T_SX("-a - 1", "(- (- a) 1)");
    T_SX("now() - hours(1) < timestamp", "(< (- (call now _) (call hours _ 1)) timestamp)");
    T_SX("a + b == c - d and e", "(and (== (+ a b) (- c d)) e)");
    T_SX("!a + b", "(+ (! a) b)");
    T_ERR("a + ", SV_EQUERY, 3, 3, "expected an operand but found end of query");
    T_ERR("a + + b", SV_EQUERY, 4, 5, "expected an operand but found '+'");
    T_KFL("a+b-c", "a + b - c");
    T_KFL("a - (b + c)", "a - (b + c)");
    T_KFL("(a - b) + c", "a - b + c");
    T_KFL("(a == b) + 1", "(a == b) + 1");
    T_KFL("a + (b == 1)", "a + (b == 1)");
    T_KFL("-(a + b)", "-(a + b)");
}

int main(void)
{
    static const struct t_case cases[] = {
        T_CASE(number_literals),   T_CASE(string_literals),    T_CASE(regex_literals),
        T_CASE(word_literals),     T_CASE(identifiers),        T_CASE(member),
        T_CASE(index),             T_CASE(method_call),        T_CASE(function_call),
        T_CASE(list),              T_CASE(unary),              T_CASE(comparisons),
        T_CASE(and_or),            T_CASE(parentheses),        T_CASE(precedence),
        T_CASE(positions),         T_CASE(seed_query),         T_CASE(kubeshark_examples),
        T_CASE(empty_query),       T_CASE(error_messages),     T_CASE(error_text),
        T_CASE(error_text_long_line), T_CASE(error_text_any_range), T_CASE(cap_text),
        T_CASE(cap_depth),         T_CASE(cap_nodes),          T_CASE(canonical_kfl),
        T_CASE(sum),
    };

    return t_run(cases, sizeof cases / sizeof *cases);
}
