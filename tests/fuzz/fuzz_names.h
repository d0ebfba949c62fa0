/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: what the name history fuzz targets share: after one reader
 * accepted the input, seal the history, resolve every record's address
 * around its boundaries, run both writers, and read their output back.
 *
 * Invariants checked (abort on failure): lookups never give NULL; the
 * native output reads back, and writing that gives the same bytes; the
 * Kubeshark output reads back.
 */
#ifndef SV_FUZZ_NAMES_H
#define SV_FUZZ_NAMES_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/diag.h"
#include "json/json.h"
#include "names/names.h"
#include "names/names_int.h"

static void fuzz_names_check(const struct names_who *w)
{
    if (!w->name || !w->ns || !w->pod || !w->svc || !w->dns)
        abort();
}

static void fuzz_names_resolve(const struct names *h)
{
    size_t n = names_count(h);

    for (size_t i = 0; i < n && i < 256; i++) {
        const struct names_rec *r = names_at(h, i);
        uint64_t ts[4] = { r->from, r->from ? r->from - 1 : 0, r->to, r->to - 1 };
        struct names_who w;

        for (int k = 0; k < 4; k++) {
            names_resolve(h, r->ipver, r->ip, r->port, ts[k], &w);
            fuzz_names_check(&w);
            names_resolve(h, r->ipver, r->ip, 0, ts[k], &w);
            fuzz_names_check(&w);
            names_resolve(h, r->ipver, r->ip, 80, ts[k], &w);
            fuzz_names_check(&w);
        }
    }
}

/* Seals h (filled by a reader) and checks both writers; frees h. */
static void fuzz_names_exercise(struct names *h)
{
    struct buf a, b, k;
    struct names *h2, *h3;
    struct diag d;

    names_seal(h);
    fuzz_names_resolve(h);
    buf_init(&a, SIZE_MAX);
    buf_init(&b, SIZE_MAX);
    buf_init(&k, SIZE_MAX);
    if (names_write_native(h, &a) < 0 || names_write_kubeshark(h, &k) < 0)
        abort();
    diag_clear(&d);
    h2 = names_new();
    if (names_read_mem(h2, "native", (const char *)a.data, a.len, NULL, &d) < 0)
        abort();
    names_seal(h2);
    if (names_count(h2) != names_count(h) || names_write_native(h2, &b) < 0 || b.len != a.len ||
        memcmp(a.data, b.data, a.len) != 0)
        abort();
    h3 = names_new();
    if (names_read_mem(h3, "kubeshark", (const char *)k.data, k.len, NULL, &d) < 0)
        abort();
    names_seal(h3);
    fuzz_names_resolve(h3);
    names_free(h3);
    names_free(h2);
    buf_release(&k);
    buf_release(&b);
    buf_release(&a);
    names_free(h);
}

/* A format's reader, as the targets call it: 0 when it took the document. */
typedef int (*fuzz_names_reader)(struct names *h, const struct jv *root, struct diag *d);

/* The bytes as JSON, through rd; what it takes is exercised (and freed). */
static int fuzz_names_run(const uint8_t *data, size_t size, fuzz_names_reader rd)
{
    struct names *h;
    struct jv *root;
    struct diag d;

    diag_clear(&d);
    if (jv_parse((const char *)data, size, "fuzz", &root, &d) < 0)
        return 0;
    h = names_new();
    if (rd(h, root, &d) == 0)
        fuzz_names_exercise(h);
    else
        names_free(h);
    jv_free(root);
    return 0;
}

#endif
