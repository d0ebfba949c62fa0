/* SPDX-License-Identifier: BSD-2-Clause */
/* summary: redis dissector (being written). */
#include "config.h"

#include "dissect/dissect.h"

static enum dsx_bid redis_bid(const uint8_t *p, size_t n, int dir, bool dgram)
{
    (void)p;
    (void)n;
    (void)dir;
    (void)dgram;
    return DSX_NO;
}

static size_t redis_parse(void *st, struct dsx *x, int dir, const uint8_t *p, size_t n)
{
    (void)st;
    (void)x;
    (void)dir;
    (void)p;
    return n;
}

const struct dsx_ops dsx_redis = {
    .name = "redis",
    .l4 = DSX_TCP,
    .bid = redis_bid,
    .parse = redis_parse,
};
