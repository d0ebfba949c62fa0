/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: a query's plan over the index columns (plan.c): which conditions
 * the columns decide, block skipping by zone maps, and per row a verdict
 * (no, yes, or "match its JSON"), so that most entries are never rebuilt.
 *
 * The plan is conservative: a row it calls no or yes is one q_match would
 * call the same; every row it cannot tell (a value the columns do not
 * hold exactly, a regex that gave up) is left to q_match on the entry's
 * JSON. Conditions combine in three-valued logic (no and x = no, yes or x =
 * yes). A condition on a dictionary column (names, section strings, header
 * values) is evaluated once per distinct value of the block's dictionary,
 * then rows are matched by code; numbers are compared per row and against
 * the blocks' zone maps. Nothing is allocated per row.
 */
#ifndef SV_QUERY_PLAN_H
#define SV_QUERY_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct q_query;
struct ix_seg;
struct diag;

/* Verdicts per row. */
enum q_row { Q_ROW_NO = 0, Q_ROW_YES = 1, Q_ROW_MAYBE = 2 };

/*
 * The plan of q (owned; free with q_plan_free). Never fails: a query that
 * no column decides gets a plan that leaves every row to its JSON (as does
 * columns == false, which the tests use to compare both paths).
 */
struct q_plan *q_plan_new(const struct q_query *q, bool columns);
void q_plan_free(struct q_plan *p);
/* Some condition runs on the columns. */
bool q_plan_uses_columns(const struct q_plan *p);
/* The plan as text for --explain: lines "columns: ..." and "json: ..." (malloc'd). */
char *q_plan_text(const struct q_plan *p);

/* What scans did (summed over threads). */
struct q_plan_stats {
    uint64_t blocks, blocks_skipped;        /* blocks considered; ruled out by zone maps */
    uint64_t rows, rows_no, rows_yes, rows_maybe;
    uint64_t distinct_evals;                /* conditions evaluated on a distinct value */
    uint64_t row_evals;                     /* conditions evaluated on a row's number */
};

/* One thread's scanning state (a q_ctx, scratch of IX_BLOCK_ROWS per condition). */
struct q_plan_scan;
struct q_plan_scan *q_plan_scan_new(const struct q_plan *p);
void q_plan_scan_free(struct q_plan_scan *sc);
/* Scans of seg follow (its columns are looked up once). */
void q_plan_scan_segment(struct q_plan_scan *sc, struct ix_seg *seg);
/*
 * Block b of the segment: *skipped when its zone maps rule it out (nothing is
 * read); otherwise loads what the plan reads plus the columns stream, index,
 * req_ns and resp_ns (ix_col_u64 reads them after), and fills verdict[i]
 * (enum q_row) for each row. 0 or a negative SV_E* with d set (corrupt index).
 */
int q_plan_scan_block(struct q_plan_scan *sc, uint32_t b, uint8_t *verdict, bool *skipped,
                      struct diag *d) __attribute__((warn_unused_result));
void q_plan_stats_add(const struct q_plan_scan *sc, struct q_plan_stats *sum);

#endif
