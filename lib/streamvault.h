/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: the public API of libstreamvault (error codes, version).
 *
 * lib/ never prints and never exits: every fallible call returns 0 (or a
 * count) on success and a negative SV_E* on failure, with the detail in a
 * caller-owned struct diag (lib/base/diag.h).
 */
#ifndef STREAMVAULT_H
#define STREAMVAULT_H

enum sv_err {
    SV_OK = 0,
    SV_ENOMEM = -1,     /* allocation failed */
    SV_EIO = -2,        /* a system call failed (errno in diag) */
    SV_EFORMAT = -3,    /* input is not in the expected format, or is corrupt */
    SV_ETRUNC = -4,     /* input ends in the middle of a structure */
    SV_ELIMIT = -5,     /* a named cap (LIM_*) was hit */
    SV_EQUERY = -6,     /* the query does not compile */
    SV_EDEP = -7,       /* a dependency library failed */
    SV_EINVAL = -8,     /* bad argument or option */
    SV_EEXIST = -9,     /* the target exists and may not be replaced */
    SV_EINTR = -10,     /* stopped by a signal (the caller's cancel flag) */
    SV_ENOTCAP = -11,   /* not a capture at all: empty, or no pcap/pcapng magic */
};

/* Short name of an SV_E* code ("format", "io", ...). */
const char *sv_strerror(int code);

/* Package version string. */
const char *sv_version(void);

#endif
