/* SPDX-License-Identifier: BSD-2-Clause */
/* summary: a one-line progress bar on stderr (only when it is a terminal, or asked for) */
#ifndef SV_PROGRESS_H
#define SV_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>

#include "cli.h"

struct progress {
    bool on;
    double t0, last;
    bool drawn;
};

void progress_init(struct progress *p, enum cli_progress mode);
/* Draws at most ten times a second. */
void progress_update(struct progress *p, uint64_t done, uint64_t total, uint64_t packets,
                     uint64_t streams);
/* Clears the line. */
void progress_end(struct progress *p);
/* Seconds since an arbitrary point (monotonic). */
double progress_now(void);

#endif
