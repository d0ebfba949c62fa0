/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: plain byte source over a file descriptor (a path, or "-" for stdin).
 *
 * read(2) straight into the caller's buffer: the capture reader asks for
 * large chunks, so no stdio buffering sits in between.
 */
#include "config.h"

#include "bytesrc.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diag.h"
#include "xalloc.h"

struct bytesrc_file {
    struct bytesrc base;    /* first: the bytesrc pointer is the struct pointer */
    int fd;
    bool owns_fd;           /* false for stdin, which is not ours to close */
    char *path;             /* owned copy; base.name points here */
};

static ssize_t file_read(struct bytesrc *s, void *buf, size_t n, struct diag *d)
{
    struct bytesrc_file *f = (struct bytesrc_file *)s;
    ssize_t got;

    if (n > SSIZE_MAX)
        n = SSIZE_MAX;
    do
        got = read(f->fd, buf, n);
    while (got < 0 && errno == EINTR);
    if (got < 0)
        return diag_errno(d, SV_EIO, errno, "%s", f->path);
    return got;
}

static void file_close(struct bytesrc *s)
{
    struct bytesrc_file *f = (struct bytesrc_file *)s;

    if (f->owns_fd)
        close(f->fd);
    free(f->path);
    free(f);
}

int bytesrc_open_file(struct bytesrc **out, const char *path, struct diag *d)
{
    struct bytesrc_file *f;
    bool is_stdin = strcmp(path, "-") == 0;
    int fd;

    *out = NULL;
    if (is_stdin) {
        fd = STDIN_FILENO;
    } else {
        do
            fd = open(path, O_RDONLY | O_CLOEXEC);
        while (fd < 0 && errno == EINTR);
        if (fd < 0)
            return diag_errno(d, SV_EIO, errno, "%s", path);
        /* A hint only: the reader streams the file front to back. */
        (void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    }
    f = xcalloc(1, sizeof *f);
    f->fd = fd;
    f->owns_fd = !is_stdin;
    f->path = xstrdup(is_stdin ? "<stdin>" : path);
    f->base.read = file_read;
    f->base.close = file_close;
    f->base.name = f->path;
    *out = &f->base;
    return 0;
}
