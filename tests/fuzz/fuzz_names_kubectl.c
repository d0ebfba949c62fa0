/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: fuzz target for the kubectl dump reader (lib/names/kubectl.c)
 * and the merge of dumps at seal.
 *
 * Input: JSON text. It is read twice, as a dump taken at 2024-06-01T10:00Z
 * (unless it has its own "takenAt") and as one taken ten minutes later, so
 * that the merge runs over two dumps. When the reader accepts it, the
 * history is sealed, looked up and written in both formats, and the output
 * read back (fuzz_names.h lists the invariants).
 */
#include "config.h"

#include "fuzz_names.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct names_read_opts o = { .taken_ns = 1717236000000000000ull };
    struct names *h;
    struct jv *root;
    struct diag d;

    diag_clear(&d);
    if (jv_parse((const char *)data, size, "fuzz", &root, &d) < 0)
        return 0;
    h = names_new();
    if (names_read_kubectl(h, "fuzz", root, &o, &d) == 0) {
        o.taken_ns += 600000000000ull;
        if (names_read_kubectl(h, "fuzz", root, &o, &d) < 0)
            abort();    /* the same document cannot fail the second time */
        fuzz_names_exercise(h);
    } else {
        names_free(h);
    }
    jv_free(root);
    return 0;
}
