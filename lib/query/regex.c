/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: KFL's regular expressions: the one PCRE2 user.
 *
 * A pattern is compiled once per query (JIT when the platform has it);
 * each evaluating thread matches with match data of its own. Matching is
 * bounded: a match limit and a depth limit stop a pathological pattern
 * (catastrophic backtracking) after a bounded amount of work, and the
 * query then fails with an error naming the pattern, never hangs.
 */
#include "config.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>

#include "base/xalloc.h"
#include "query_eval.h"
#include "streamvault.h"

/* Backtracking steps and nesting one match may take (PCRE2's defaults are 10 M and 10 M). */
#define RE_MATCH_LIMIT 1000000u
#define RE_DEPTH_LIMIT 10000u

struct q_regex {
    pcre2_code *code;
    pcre2_match_context *mctx;
};

struct q_regex *q_regex_compile(const char *pat, size_t n, char *err, size_t errlen,
                                size_t *erroff)
{
    struct q_regex *r;
    int ec;
    PCRE2_SIZE off;
    pcre2_code *code = pcre2_compile((PCRE2_SPTR)pat, n, PCRE2_UTF | PCRE2_MATCH_INVALID_UTF, &ec,
                                     &off, NULL);

    if (!code) {
        PCRE2_UCHAR msg[200];

        pcre2_get_error_message(ec, msg, sizeof msg);
        snprintf(err, errlen, "%s", (const char *)msg);
        *erroff = off;
        return NULL;
    }
    (void)pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);  /* without JIT it still matches */
    r = xcalloc(1, sizeof *r);
    r->code = code;
    r->mctx = pcre2_match_context_create(NULL);
    if (r->mctx) {
        pcre2_set_match_limit(r->mctx, RE_MATCH_LIMIT);
        pcre2_set_depth_limit(r->mctx, RE_DEPTH_LIMIT);
    }
    return r;
}

void q_regex_free(struct q_regex *r)
{
    if (!r)
        return;
    pcre2_match_context_free(r->mctx);
    pcre2_code_free(r->code);
    free(r);
}

struct q_match_data *q_match_data_new(void)
{
    /* enough for the whole match; no groups are read */
    return (struct q_match_data *)pcre2_match_data_create(1, NULL);
}

void q_match_data_free(struct q_match_data *m)
{
    pcre2_match_data_free((pcre2_match_data *)m);
}

int q_regex_search(const struct q_regex *r, struct q_match_data *m, const char *s, size_t n)
{
    int rc = pcre2_match(r->code, (PCRE2_SPTR)s, n, 0, 0, (pcre2_match_data *)m, r->mctx);

    if (rc >= 0)
        return 1;
    if (rc == PCRE2_ERROR_NOMATCH)
        return 0;
    return SV_ELIMIT;   /* match or depth limit, or another matching error */
}
