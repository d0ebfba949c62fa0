/* SPDX-License-Identifier: BSD-2-Clause */
/* summary: UTC time formatting (RFC 3339 with nanoseconds) and parsing */
#ifndef SV_BASE_TIMEFMT_H
#define SV_BASE_TIMEFMT_H

#include <stddef.h>
#include <stdint.h>

#define TIMEFMT_LEN 64   /* "2023-03-14T18:32:19.123456789Z" + NUL fits, with room */

/*
 * The latest time streamvault holds, 2262-04-11T23:47:16.854775807Z: the
 * reach of a signed 64-bit count of nanoseconds, which every JSON output
 * writes exactly. A capture's later times saturate to it; a later time
 * given on the command line is refused.
 */
#define TIMEFMT_NS_MAX ((uint64_t)INT64_MAX)

/* Formats ns since the epoch as RFC 3339 UTC with 9 fractional digits. */
void timefmt_rfc3339(char out[TIMEFMT_LEN], uint64_t ns);

/*
 * Parses "SECONDS[.frac]" (Unix) or RFC 3339 ("2023-03-14T18:32:19.5Z",
 * "+01:00" offsets); SV_EINVAL for anything else or before 1970, SV_ELIMIT
 * past TIMEFMT_NS_MAX.
 */
int timefmt_parse(const char *s, uint64_t *ns);

/*
 * Parses a duration "90s", "15m", "72h", "7d", "250ms" or plain seconds into ns:
 * decimal digits with an optional fraction ("1.5h", "2.01s"), exact to the
 * nanosecond (truncated below it). SV_EINVAL for anything else or past 2^64 - 1 ns.
 */
int timefmt_parse_duration(const char *s, uint64_t *ns);

#endif
