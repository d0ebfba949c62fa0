/* SPDX-License-Identifier: BSD-2-Clause */
/* summary: error codes and the caller-owned error detail (struct diag) */
#ifndef SV_BASE_DIAG_H
#define SV_BASE_DIAG_H

#include "streamvault.h"

/*
 * Every fallible function in lib/ returns 0 (or a count) on success and a
 * negative SV_E* on failure, and writes the human-readable detail into a
 * caller-owned struct diag. Messages follow "<object>: <why>" and never end
 * in a newline; src/ prefixes "streamvault: ".
 */
struct diag {
    int code;           /* last SV_E* set, 0 when clear */
    int sys_errno;      /* errno behind an SV_EIO, else 0 */
    char msg[512];
};

void diag_clear(struct diag *d);

/* Sets code and message; returns code so callers can "return diag_set(...)". */
int diag_set(struct diag *d, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* As diag_set, appending ": <strerror(err)>" and recording err. */
int diag_errno(struct diag *d, int code, int err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Prepends "<prefix>: " to the current message (adds context on the way up). */
void diag_prefix(struct diag *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
