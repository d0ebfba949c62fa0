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

/* The document as two dumps, ten minutes apart (unless it has its own takenAt). */
static int read_twice(struct names *h, const struct jv *root, struct diag *d)
{
    struct names_read_opts o = { .taken_ns = 1717236000000000000ull };

    if (names_read_kubectl(h, "fuzz", root, &o, d) < 0)
        return -1;
    o.taken_ns += 600000000000ull;
    if (names_read_kubectl(h, "fuzz", root, &o, d) < 0)
        abort();    /* the same document cannot fail the second time */
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_names_run(data, size, read_twice);
}
