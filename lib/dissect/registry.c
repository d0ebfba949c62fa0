/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: the one list of dissectors. Order matters only between equal
 * bids on a stream whose ports match neither dissector: the first wins.
 */
#include "config.h"

#include <string.h>

#include "dissect/dissect.h"

const struct dsx_ops *const dsx_registry[] = {
    &dsx_http1, &dsx_http2, &dsx_tls, &dsx_dns, &dsx_redis, &dsx_kafka, &dsx_amqp,
};
const size_t dsx_registry_len = sizeof dsx_registry / sizeof dsx_registry[0];

const struct dsx_ops *dsx_find(const char *name)
{
    for (size_t i = 0; i < dsx_registry_len; i++) {
        if (strcmp(dsx_registry[i]->name, name) == 0)
            return dsx_registry[i];
    }
    return NULL;
}
