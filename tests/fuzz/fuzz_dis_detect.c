/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: fuzz target for detection and hand-over: no dissector is forced, so every
 * input goes through the bids, the replay of what came before a decision, switches
 * (h2c) and the L4 summary of undissected streams (input format: fuzz_dissect.h).
 */
#include "config.h"

#include "fuzz_dissect.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_dissect(NULL, data, size);
}
