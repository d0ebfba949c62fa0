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
 * it may refuse the query, with an error inside the text, never crash. A
 * query that compiles is matched against two entries (HTTP with headers,
 * a body, arrays and nanosecond times; DNS): a verdict or an error that
 * names a cap (a regex giving up), nothing else.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "base/diag.h"
#include "json/json.h"
#include "query/query.h"
#include "query/query_int.h"
#include "streamvault.h"

static const char *const entries[] = {
    "{\"id\":\"local/7-0\",\"protocol\":{\"name\":\"http\"},\"timestamp\":1717236000123,"
    "\"elapsedTime\":12,\"src\":{\"ip\":\"10.1.1.2\",\"port\":51234,\"name\":"
    "\"front-end.sock-shop\"},\"dst\":{\"ip\":\"10.1.1.3\",\"port\":80,\"name\":\"\"},"
    "\"request\":{\"method\":\"GET\",\"path\":\"/a?b=1\",\"headers\":{\"Host\":\"x\","
    "\"X-Num\":\"1e3\"},\"queryString\":{\"b\":\"1\"},"
    "\"postData\":{\"text\":\"eyJhIjpbMSwyXX0=\"}},\"response\":{\"status\":503,"
    "\"content\":{\"text\":\"{\\\"items\\\":[{\\\"p\\\":1.5}]}\"}},"
    "\"anomalies\":[\"no_response\",\"gap\"],\"times\":{\"request\":1717236000123456789,"
    "\"response\":1717236000135456789},\"packets\":{\"request\":3,\"last\":9}}",
    "{\"id\":\"local/9-2\",\"protocol\":{\"name\":\"dns\"},\"timestamp\":1717236001000,"
    "\"request\":{\"questions\":[{\"name\":\"catalogue.sock-shop.svc\",\"type\":\"A\"}]},"
    "\"response\":{\"rcode\":\"NOERROR\",\"answers\":[]},\"anomalies\":[]}",
};

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

        if (q_compile(text, size, &o, &q, &err) < 0) {
            check_error(text, size, &err);
        } else {
            struct q_ctx *c = q_ctx_new();

            for (size_t i = 0; i < sizeof entries / sizeof *entries; i++) {
                struct jv *e;
                struct diag d;
                int rc;

                if (jv_parse(entries[i], strlen(entries[i]), "entry", &e, &d) < 0)
                    abort();
                rc = q_match(q, c, e, &err);
                if (rc < 0 && (err.code != SV_ELIMIT || !err.msg[0]))
                    abort();
                jv_free(e);
            }
            q_ctx_free(c);
            q_free(q);
        }
    }
    return 0;
}
