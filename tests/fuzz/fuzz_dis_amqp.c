/* SPDX-License-Identifier: BSD-2-Clause */
/* summary: fuzz target for the amqp dissector (see fuzz_dissect.h for the input format). */
#include "config.h"

#include "fuzz_dissect.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_dissect(&dsx_amqp, data, size);
}
