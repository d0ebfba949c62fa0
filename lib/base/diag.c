/* SPDX-License-Identifier: BSD-2-Clause */
/* summary: struct diag helpers */
#include "config.h"

#include "diag.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void diag_clear(struct diag *d)
{
    d->code = 0;
    d->sys_errno = 0;
    d->msg[0] = '\0';
}

int diag_set(struct diag *d, int code, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(d->msg, sizeof d->msg, fmt, ap);
    va_end(ap);
    d->code = code;
    d->sys_errno = 0;
    return code;
}

int diag_errno(struct diag *d, int code, int err, const char *fmt, ...)
{
    va_list ap;
    size_t n;

    va_start(ap, fmt);
    vsnprintf(d->msg, sizeof d->msg, fmt, ap);
    va_end(ap);
    n = strlen(d->msg);
    snprintf(d->msg + n, sizeof d->msg - n, ": %s", strerror(err));
    d->code = code;
    d->sys_errno = err;
    return code;
}

void diag_prefix(struct diag *d, const char *fmt, ...)
{
    char old[sizeof d->msg];
    size_t n;
    va_list ap;

    memcpy(old, d->msg, sizeof old);
    va_start(ap, fmt);
    vsnprintf(d->msg, sizeof d->msg, fmt, ap);
    va_end(ap);
    n = strlen(d->msg);
    if (n + 2 < sizeof d->msg) {
        memcpy(d->msg + n, ": ", 2);
        n += 2;
        /* truncation of the old message is acceptable; keep the copy bounded */
        memcpy(d->msg + n, old, strnlen(old, sizeof d->msg - n - 1));
        d->msg[n + strnlen(old, sizeof d->msg - n - 1)] = '\0';
    }
}
