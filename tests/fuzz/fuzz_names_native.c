/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: fuzz target for the native name history reader
 * (lib/names/native.c, "gencap-names/1").
 *
 * Input: JSON text. When the reader accepts it, the history is sealed,
 * looked up and written in both formats, and the output read back
 * (fuzz_names.h lists the invariants).
 */
#include "config.h"

#include "fuzz_names.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct names *h;
    struct jv *root;
    struct diag d;

    diag_clear(&d);
    if (jv_parse((const char *)data, size, "fuzz", &root, &d) < 0)
        return 0;
    h = names_new();
    if (names_read_native(h, "fuzz", root, &d) == 0)
        fuzz_names_exercise(h);
    else
        names_free(h);
    jv_free(root);
    return 0;
}
