/* SPDX-License-Identifier: BSD-2-Clause */
/* summary: version and error-code names */
#include "config.h"

#include "streamvault.h"

const char *sv_version(void)
{
    return PACKAGE_VERSION;
}

const char *sv_strerror(int code)
{
    switch (code) {
    case SV_OK:
        return "ok";
    case SV_ENOMEM:
        return "out of memory";
    case SV_EIO:
        return "i/o error";
    case SV_EFORMAT:
        return "bad format";
    case SV_ETRUNC:
        return "truncated";
    case SV_ELIMIT:
        return "limit reached";
    case SV_EQUERY:
        return "bad query";
    case SV_EDEP:
        return "dependency failed";
    case SV_EINVAL:
        return "invalid argument";
    case SV_EEXIST:
        return "exists";
    case SV_EINTR:
        return "interrupted";
    case SV_ENOTCAP:
        return "not a capture";
    default:
        return "unknown error";
    }
}
