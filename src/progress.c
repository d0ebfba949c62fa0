/* SPDX-License-Identifier: BSD-2-Clause */
/* summary: progress bar: bytes, packets/s, streams, ETA */
#include "config.h"

#include "progress.h"

#include <stdio.h>
#include <time.h>
#include <unistd.h>

double progress_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void progress_init(struct progress *p, enum cli_progress mode)
{
    p->on = mode == CLI_PROGRESS_ALWAYS || (mode == CLI_PROGRESS_AUTO && isatty(2));
    p->t0 = progress_now();
    p->last = 0;
    p->drawn = false;
}

void progress_update(struct progress *p, uint64_t done, uint64_t total, uint64_t packets,
                     uint64_t streams)
{
    double now, el;
    char b[32], pk[32], st[32];
    int width = 24, fill;

    if (!p->on)
        return;
    now = progress_now();
    if (now - p->last < 0.1)
        return;
    p->last = now;
    el = now - p->t0 > 1e-6 ? now - p->t0 : 1e-6;
    cli_human_bytes(b, (double)done);
    cli_human_count(pk, (double)packets / el);
    cli_human_count(st, (double)streams);
    if (total > 0) {
        double f = (double)done / (double)total;

        if (f > 1)
            f = 1;
        fill = (int)(f * width);
        fprintf(stderr, "\r[%.*s%*s] %3.0f%%  %s  %s pkt/s  %s streams  ETA %.0fs ", fill,
                "########################", width - fill, "", f * 100, b, pk, st,
                f > 0 ? el / f - el : 0.0);
    } else {
        fprintf(stderr, "\r%s  %s pkt/s  %s streams ", b, pk, st);
    }
    p->drawn = true;
}

void progress_end(struct progress *p)
{
    if (p->on && p->drawn)
        fprintf(stderr, "\r%*s\r", 79, "");
}
