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
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "diag.h"
#include "xalloc.h"

struct bytesrc_file {
    struct bytesrc base;    /* first: the bytesrc pointer is the struct pointer */
    int fd;
    bool owns_fd;           /* false for stdin, which is not ours to close */
    char *path;             /* owned copy; base.name points here */
    const volatile sig_atomic_t *cancel;
    bool may_wait;          /* a pipe, FIFO, socket or terminal: a read may block */
};

static int stopped(struct diag *d, const char *path)
{
    return diag_set(d, SV_EINTR, "%s: interrupted", path);
}

/* Whether a call that failed with errno e is to be made again: EINTR, unless asked to stop. */
static bool again(int e, const volatile sig_atomic_t *cancel)
{
    return e == EINTR && !(cancel && *cancel);
}

/*
 * Where a read may wait for a writer (a pipe, a FIFO, a terminal), waits in
 * poll() and looks at the stop flag four times a second: the signal may
 * have gone to another thread, and then no read() or open() here returns
 * EINTR. True once fd is readable, at its end, or in error (what read()
 * will tell); false when asked to stop.
 */
static bool wait_readable(int fd, const volatile sig_atomic_t *cancel)
{
    for (;;) {
        struct pollfd p = { fd, POLLIN, 0 };
        int r = poll(&p, 1, 250);

        if (cancel && *cancel)
            return false;
        if (r > 0 || (r < 0 && errno != EINTR))
            return true;
    }
}

static ssize_t file_read(struct bytesrc *s, void *buf, size_t n, struct diag *d)
{
    struct bytesrc_file *f = (struct bytesrc_file *)s;
    ssize_t got;

    if (n > SSIZE_MAX)
        n = SSIZE_MAX;
    if (f->cancel && f->may_wait && !wait_readable(f->fd, f->cancel))
        return stopped(d, f->path);
    do
        got = read(f->fd, buf, n);
    while (got < 0 && again(errno, f->cancel));
    if (got < 0 && errno == EINTR)
        return stopped(d, f->path);
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

int bytesrc_open_file(struct bytesrc **out, const char *path,
                      const volatile sig_atomic_t *cancel, struct diag *d)
{
    struct bytesrc_file *f;
    bool is_stdin = strcmp(path, "-") == 0;
    struct stat pst;
    int fd;

    *out = NULL;
    if (is_stdin) {
        fd = STDIN_FILENO;
    } else if (stat(path, &pst) == 0 && S_ISFIFO(pst.st_mode)) {
        /*
         * A FIFO's open waits for a writer, deaf to a signal that another thread
         * took: it is opened without waiting, then waited on as reads are until
         * a writer has written or come and gone.
         */
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
        if (fd < 0)
            return diag_errno(d, SV_EIO, errno, "%s", path);
        if (!wait_readable(fd, cancel)) {
            close(fd);
            return stopped(d, path);
        }
        if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) < 0) {
            int e = errno;

            close(fd);
            return diag_errno(d, SV_EIO, e, "%s", path);
        }
    } else {
        do
            fd = open(path, O_RDONLY | O_CLOEXEC);
        while (fd < 0 && again(errno, cancel));
        if (fd < 0 && errno == EINTR)
            return stopped(d, path);
        if (fd < 0)
            return diag_errno(d, SV_EIO, errno, "%s", path);
        /* A hint only: the reader streams the file front to back. */
        (void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    }
    f = xcalloc(1, sizeof *f);
    f->fd = fd;
    f->owns_fd = !is_stdin;
    f->path = xstrdup(is_stdin ? "<stdin>" : path);
    f->cancel = cancel;
    {
        struct stat st;

        f->may_wait = fstat(fd, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode);
    }
    f->base.read = file_read;
    f->base.close = file_close;
    f->base.name = f->path;
    *out = &f->base;
    return 0;
}
