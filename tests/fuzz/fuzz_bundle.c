/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: fuzz target for the bundle reader (lib/bundle/reader.c).
 *
 * Input: a whole bundle (tar, plain or gzip-compressed), read from memory
 * with bundle_extract_mem() into a fresh directory under a private
 * mkdtemp() directory, with small caps (1 MiB a member, 4 MiB in all, 256
 * members) so that a decompression bomb stops early. Invariants (abort on
 * failure): a refusal sets a message naming the bundle and leaves no
 * directory behind; an accepted bundle's directory holds exactly the files
 * its nodes name (each a regular file, labelled "fuzz:<member>"), every
 * node's name is a valid store node name and no two nodes share one, and
 * releasing it removes the directory.
 */
#include "config.h"

#include "bundle/reader.h"

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/diag.h"
#include "store/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool gone(const char *path)
{
    struct stat st;

    return lstat(path, &st) < 0;
}

static bool regular(const char *path)
{
    struct stat st;

    return lstat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Files in dir (none of them a directory or a link). */
static size_t count_files(const char *dir)
{
    DIR *dp = opendir(dir);
    struct dirent *e;
    size_t n = 0;

    if (!dp)
        abort();
    while ((e = readdir(dp)) != NULL) {
        char path[4096];

        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (!regular(path))
            abort();
        n++;
    }
    closedir(dp);
    return n;
}

static void check(const struct bundle_contents *c)
{
    size_t files = 0;

    for (size_t i = 0; i < c->nnodes; i++) {
        const struct bundle_node *nd = &c->nodes[i];

        if (!store_valid_node_name(nd->name) || !nd->dir[0] || !nd->ip)
            abort();
        for (size_t k = 0; k < nd->ncaptures; k++) {
            if (!regular(nd->captures[k]) || strncmp(nd->labels[k], "fuzz:", 5) != 0)
                abort();
            files++;
        }
        for (size_t k = 0; k < nd->nhistories; k++) {
            if (!regular(nd->histories[k]) || strncmp(nd->history_labels[k], "fuzz:", 5) != 0)
                abort();
            files++;
        }
        for (size_t k = 0; k < i; k++) {
            if (strcmp(c->nodes[k].name, nd->name) == 0)
                abort();        /* directories of one node are merged */
        }
    }
    if (count_files(c->dir) != files)
        abort();
}

static char base[64];

static void remove_base(void)
{
    rmdir(base);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct bundle_limits lim = { 1u << 20, 4u << 20, 256, NULL };
    struct bundle_contents c;
    struct diag d;
    char dir[128];

    if (!base[0]) {
        snprintf(base, sizeof base, "/tmp/fuzz_bundle.XXXXXX");
        if (!mkdtemp(base))
            abort();
        atexit(remove_base);
    }
    snprintf(dir, sizeof dir, "%s/x", base);
    diag_clear(&d);
    if (bundle_extract_mem(data, size, "fuzz", dir, &lim, &c, &d) < 0) {
        if (strncmp(d.msg, "fuzz", 4) != 0 || !gone(dir))
            abort();
        return 0;
    }
    check(&c);
    bundle_contents_release(&c);
    if (!gone(dir))
        abort();
    return 0;
}
