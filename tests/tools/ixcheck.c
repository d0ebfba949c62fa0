/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: index checks for the tests.
 *
 *   ixcheck roundtrip STORE
 *       STORE was ingested with --keep-entries. Every record of the raw
 *       entries files must come back from the index segments byte for byte
 *       (so also as JSON), none missing, none extra, but for the names
 *       part: the raw records are written before names are resolved.
 *       Prints "roundtrip: N entries, M segments, B blocks, identical".
 *   ixcheck flip SEGMENT [STEP]
 *       For every STEP-th byte of the segment file (default every byte), and
 *       for two changes of it (xor 0x01 and xor 0xff), opening the changed
 *       copy and rebuilding every block must fail with an error that names
 *       the segment. Prints "flip: N changes, all rejected".
 *
 *   ixcheck columns SEGMENT...
 *       Bytes per column over the segments, stored and raw, largest first.
 *
 * Exit status 0 when the check holds, 1 when it does not (with the first
 * difference on stderr), 2 on usage errors.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/diag.h"
#include "base/fsutil.h"
#include "entry/entry.h"
#include "index/index.h"
#include "store/store.h"

struct rec {
    size_t node;
    uint64_t stream;
    uint32_t index;
    const uint8_t *p;
    size_t n;
    size_t names;               /* where its names part starts */
};

static int cmp_rec(const void *a, const void *b)
{
    const struct rec *x = a, *y = b;

    if (x->node != y->node)
        return x->node < y->node ? -1 : 1;
    if (x->stream != y->stream)
        return x->stream < y->stream ? -1 : 1;
    return (x->index > y->index) - (x->index < y->index);
}

/* Lists the records of buf (node) into v; false on a bad record. */
static bool list(const struct buf *b, size_t node, struct rec **v, size_t *n, size_t *cap)
{
    for (size_t off = 0; off < b->len;) {
        struct ent_view e;
        long len = ent_parse(b->data + off, b->len - off, &e);

        if (len <= 0)
            return false;
        if (*n == *cap) {
            *cap = *cap ? 2 * *cap : 1024;
            *v = realloc(*v, *cap * sizeof **v);
            if (!*v)
                abort();
        }
        (*v)[(*n)++] = (struct rec){ node, e.f.stream_id, e.f.index, b->data + off, (size_t)len,
                                     (size_t)(e.body[1] + e.bodylen[1] - (b->data + off)) };
        off += (size_t)len;
    }
    return true;
}

static int roundtrip(const char *dir)
{
    struct store *st;
    struct diag d;
    struct buf *raw, *ix;
    struct rec *a = NULL, *b = NULL;
    size_t na = 0, nb = 0, ca = 0, cb = 0, nn, blocks = 0;
    int rc = 1;

    diag_clear(&d);
    if (store_open(&st, dir, &d) < 0) {
        fprintf(stderr, "ixcheck: %s\n", d.msg);
        return 1;
    }
    nn = store_nnodes(st);
    raw = calloc(nn, sizeof *raw);
    ix = calloc(nn, sizeof *ix);
    for (size_t i = 0; i < nn; i++) {
        buf_init(&raw[i], SIZE_MAX);
        buf_init(&ix[i], SIZE_MAX);
        if (store_entries_read(st, i, &raw[i], &d) < 0) {
            fprintf(stderr, "ixcheck: %s\n", d.msg);
            goto out;
        }
    }
    for (size_t k = 0; k < store_nsegments(st); k++) {
        const struct store_segment *sg = store_segment(st, k);
        char *path = store_segment_path(st, k);
        struct ix_seg *seg;
        int r = ix_open(&seg, path, &d);

        free(path);
        for (uint32_t bl = 0; r == 0 && bl < ix_info(seg)->blocks; bl++, blocks++)
            r = ix_block_records(seg, bl, &ix[sg->node], &d);
        if (r == 0 && ix_info(seg)->rows != sg->rows) {
            fprintf(stderr, "ixcheck: segment %s: %llu rows, store.json says %llu\n", sg->name,
                    (unsigned long long)ix_info(seg)->rows, (unsigned long long)sg->rows);
            r = -1;
        }
        ix_close(seg);
        if (r < 0) {
            fprintf(stderr, "ixcheck: %s\n", d.msg);
            goto out;
        }
    }
    for (size_t i = 0; i < nn; i++) {
        if (!list(&raw[i], i, &a, &na, &ca) || !list(&ix[i], i, &b, &nb, &cb)) {
            fprintf(stderr, "ixcheck: a corrupt record\n");
            goto out;
        }
    }
    if (na != nb) {
        fprintf(stderr, "ixcheck: %zu raw entries, %zu from the index\n", na, nb);
        goto out;
    }
    if (na > 1) {
        qsort(a, na, sizeof *a, cmp_rec);
        qsort(b, nb, sizeof *b, cmp_rec);
    }
    for (size_t i = 0; i < na; i++) {
        /* the length before them aside, all but the names */
        if (a[i].names != b[i].names || memcmp(a[i].p + 4, b[i].p + 4, a[i].names - 4) != 0) {
            fprintf(stderr, "ixcheck: stream %llu entry %u differs (%zu vs %zu bytes)\n",
                    (unsigned long long)a[i].stream, a[i].index, a[i].n, b[i].n);
            goto out;
        }
    }
    printf("roundtrip: %zu entries, %zu segments, %zu blocks, identical\n", na,
           store_nsegments(st), blocks);
    rc = 0;
out:
    for (size_t i = 0; i < nn; i++) {
        buf_release(&raw[i]);
        buf_release(&ix[i]);
    }
    free(raw);
    free(ix);
    free(a);
    free(b);
    store_close(st);
    return rc;
}

/* Opens p as a segment and rebuilds every block: 0 when all of it reads. */
static int read_all(const char *name, const uint8_t *p, size_t n, struct buf *out, struct diag *d)
{
    struct ix_seg *seg;
    int rc = ix_open_mem(&seg, name, p, n, d);

    for (uint32_t b = 0; rc == 0 && b < ix_info(seg)->blocks; b++)
        rc = ix_block_records(seg, b, out, d);
    ix_close(seg);
    return rc;
}

static int flip(const char *path, size_t step)
{
    uint8_t *file, *copy;
    size_t n, changes = 0;
    struct diag d;
    struct buf out;
    int rc = 0;

    diag_clear(&d);
    if (fs_read_file(path, (size_t)1 << 30, &file, &n, &d) < 0) {
        fprintf(stderr, "ixcheck: %s\n", d.msg);
        return 1;
    }
    buf_init(&out, SIZE_MAX);
    if (read_all(path, file, n, &out, &d) < 0) {
        fprintf(stderr, "ixcheck: the unchanged segment does not read: %s\n", d.msg);
        free(file);
        return 1;
    }
    copy = malloc(n);
    for (size_t i = 0; i < n && rc == 0; i += step) {
        static const uint8_t masks[] = { 0x01, 0xff };

        for (size_t m = 0; m < sizeof masks && rc == 0; m++) {
            memcpy(copy, file, n);
            copy[i] ^= masks[m];
            out.len = 0;
            diag_clear(&d);
            changes++;
            if (read_all(path, copy, n, &out, &d) == 0) {
                fprintf(stderr, "ixcheck: byte %zu xor 0x%02x was not noticed\n", i, masks[m]);
                rc = 1;
            } else if (!strstr(d.msg, path)) {
                fprintf(stderr, "ixcheck: byte %zu: the error does not name the segment: %s\n",
                        i, d.msg);
                rc = 1;
            }
        }
    }
    if (rc == 0)
        printf("flip: %zu changes, all rejected\n", changes);
    buf_release(&out);
    free(copy);
    free(file);
    return rc;
}

struct colsum {
    char name[160];
    uint64_t stored, raw;
};

static int cmp_colsum(const void *a, const void *b)
{
    const struct colsum *x = a, *y = b;

    return (x->stored < y->stored) - (x->stored > y->stored);
}

static int columns(int n, char **paths)
{
    struct colsum *v = NULL;
    size_t nv = 0;
    struct diag d;

    diag_clear(&d);
    for (int i = 0; i < n; i++) {
        struct ix_seg *seg;

        if (ix_open(&seg, paths[i], &d) < 0) {
            fprintf(stderr, "ixcheck: %s\n", d.msg);
            return 1;
        }
        for (size_t c = 0; c < ix_ncols(seg); c++) {
            struct colsum cs;
            size_t k;

            ix_col_describe(seg, (int)c, cs.name, sizeof cs.name, &cs.stored, &cs.raw);
            for (k = 0; k < nv && strcmp(v[k].name, cs.name) != 0; k++)
                ;
            if (k == nv) {
                v = realloc(v, ++nv * sizeof *v);
                if (!v)
                    abort();
                v[k] = cs;
                v[k].stored = v[k].raw = 0;
            }
            v[k].stored += cs.stored;
            v[k].raw += cs.raw;
        }
        ix_close(seg);
    }
    qsort(v, nv, sizeof *v, cmp_colsum);
    for (size_t k = 0; k < nv; k++)
        printf("%12llu %12llu  %s\n", (unsigned long long)v[k].stored,
               (unsigned long long)v[k].raw, v[k].name);
    free(v);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 3 && strcmp(argv[1], "columns") == 0)
        return columns(argc - 2, argv + 2);
    if (argc == 3 && strcmp(argv[1], "roundtrip") == 0)
        return roundtrip(argv[2]);
    if ((argc == 3 || argc == 4) && strcmp(argv[1], "flip") == 0)
        return flip(argv[2], argc == 4 ? (size_t)strtoul(argv[3], NULL, 10) : 1);
    fprintf(stderr, "usage: ixcheck roundtrip STORE | flip SEGMENT [STEP] | columns SEGMENT...\n");
    return 2;
}
