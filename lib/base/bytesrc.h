/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: a readable byte source (plain file, stdin, or a decompressor).
 *
 * The capture readers pull bytes through this, so they do not care whether
 * the bytes come from a file or from a gzip/zstd decompressor (lib/compress/).
 * SV_ETRUNC from read means the input was cut short after everything before
 * the cut was delivered (a decompressor's partial member or frame).
 */
#ifndef SV_BASE_BYTESRC_H
#define SV_BASE_BYTESRC_H

#include <signal.h>
#include <stddef.h>
#include <sys/types.h>

struct diag;

struct bytesrc {
    /* Reads up to n bytes; returns the count, 0 at end of input, or a negative SV_E*. */
    ssize_t (*read)(struct bytesrc *s, void *buf, size_t n, struct diag *d);
    void (*close)(struct bytesrc *s);   /* frees s */
    const char *name;                   /* for messages; borrowed from the opener */
};

/*
 * Opens path ("-" = standard input) as a plain byte source. An open or a
 * read that a signal interrupts is retried, unless cancel (may be NULL) is
 * set by then: it then fails with SV_EINTR ("PATH: interrupted"), so that a
 * read blocked on an idle pipe or FIFO does not hold up a stop.
 */
int bytesrc_open_file(struct bytesrc **out, const char *path,
                      const volatile sig_atomic_t *cancel, struct diag *d)
    __attribute__((warn_unused_result));

static inline void bytesrc_close(struct bytesrc *s)
{
    if (s)
        s->close(s);
}

#endif
