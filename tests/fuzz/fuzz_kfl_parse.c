/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: fuzz target for KFL's lexer and parser (lib/query/lex.c,
 * parse.c), its printers (print.c) and its semantic pass (compile.c).
 *
 * Input: query text. When it parses, every node's range must lie inside
 * the text and inside its parent's; the tree is printed as S-expressions
 * (q_ast_text) and as canonical KFL (q_ast_kfl), and the KFL text must
 * parse again to a tree that prints the same both ways. When it does not
 * parse, the error must have a code, a message and a range inside the
 * text, and q_error_text must draw it. Every input also goes through
 * q_compile (field checks, helper checks and folding, regex compiling):
 * it may refuse the query, with an error inside the text, never crash.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "query/query.h"
#include "query/query_int.h"
#include "streamvault.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Ranges nest: pos <= end, inside [lo, hi). */
static void check_ranges(const struct q_node *n, uint32_t lo, uint32_t hi)
{
    if (n->pos > n->end || n->pos < lo || n->end > hi)
        abort();
    for (uint32_t k = 0; k < n->nkid; k++) {
        if (!n->kid[k]) {
            if (n->kind != Q_CALL || k != 0)
                abort();
            continue;
        }
        check_ranges(n->kid[k], n->pos, n->end);
    }
}

static void check_error(const char *text, size_t n, const struct q_error *err)
{
    char *t;

    if ((err->code != SV_EQUERY && err->code != SV_ELIMIT && err->code != SV_ENOMEM) ||
        !err->msg[0] || err->pos > err->end || (n <= Q_MAX_TEXT && err->end > n))
        abort();
    t = q_error_text(text, n, err);
    if (!t || strncmp(t, "query: ", 7) != 0 || !strchr(t, '^'))
        abort();
    free(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    struct q_parse *p, *p2;
    struct q_error err;
    char *sx, *kfl, *sx2, *kfl2;

    if (q_parse(text, size, &p, &err) < 0) {
        check_error(text, size, &err);
        return 0;
    }
    if (q_parse_root(p))
        check_ranges(q_parse_root(p), 0, (uint32_t)size);
    sx = q_ast_text(q_parse_root(p));
    kfl = q_ast_kfl(q_parse_root(p));
    if (!sx || !kfl || strchr(sx, '\n') || strchr(kfl, '\n'))
        abort();
    /* printing may lengthen the text past the cap (a=b gives a == b) */
    if (strlen(kfl) <= Q_MAX_TEXT) {
        if (q_parse(kfl, strlen(kfl), &p2, &err) < 0)
            abort();
        sx2 = q_ast_text(q_parse_root(p2));
        kfl2 = q_ast_kfl(q_parse_root(p2));
        if (!sx2 || !kfl2 || strcmp(sx, sx2) != 0 || strcmp(kfl, kfl2) != 0)
            abort();
        free(sx2);
        free(kfl2);
        q_parse_free(p2);
    }
    free(sx);
    free(kfl);
    q_parse_free(p);
    {
        struct q_opts o = { 1717236000000000000ull, true };
        struct q_query *q;

        if (q_compile(text, size, &o, &q, &err) < 0)
            check_error(text, size, &err);
        else
            q_free(q);
    }
    return 0;
}
