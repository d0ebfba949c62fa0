/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: fuzz target for the Kubeshark history reader
 * (lib/names/kubeshark.c, name_resolution_history.json).
 *
 * Input: JSON text. When the reader accepts it, the history is sealed,
 * looked up and written in both formats, and the output read back
 * (fuzz_names.h lists the invariants).
 */
#include "config.h"

#include "fuzz_names.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int read_kubeshark(struct names *h, const struct jv *root, struct diag *d)
{
    return names_read_kubeshark(h, "fuzz", root, d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_names_run(data, size, read_kubeshark);
}
