/* SPDX-License-Identifier: BSD-2-Clause */
/* summary: UTC time formatting and parsing, without the C library's time zone */
#include "config.h"

#include "timefmt.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "streamvault.h"

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian; Howard Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    int64_t era;
    unsigned yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = (unsigned)(y - era * 400);
    doy = (153 * (m + (m > 2 ? -3u : 9u)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    int64_t era;
    unsigned doe, yoe, doy, mp;

    z += 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = (unsigned)(z - era * 146097);
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    *y = (int64_t)yoe + era * 400;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y += *m <= 2;
}

void timefmt_rfc3339(char out[TIMEFMT_LEN], uint64_t ns)
{
    uint64_t secs = ns / 1000000000u;
    unsigned frac = (unsigned)(ns % 1000000000u);
    int64_t days = (int64_t)(secs / 86400), y;
    unsigned sod = (unsigned)(secs % 86400), m, d;

    civil_from_days(days, &y, &m, &d);
    snprintf(out, TIMEFMT_LEN, "%04lld-%02u-%02uT%02u:%02u:%02u.%09uZ", (long long)y, m, d,
             sod / 3600, sod / 60 % 60, sod % 60, frac);
}

static int parse_frac(const char **sp, uint64_t *ns)
{
    const char *s = *sp;
    uint64_t f = 0, scale = 100000000u;

    *ns = 0;
    if (*s != '.')
        return 0;
    s++;
    if (!isdigit((unsigned char)*s))
        return SV_EINVAL;
    while (isdigit((unsigned char)*s)) {
        f += (uint64_t)(*s - '0') * scale;
        scale /= 10;
        s++;
    }
    *ns = f;
    *sp = s;
    return 0;
}

static int parse_uint(const char **sp, int ndig, unsigned *out)
{
    unsigned v = 0;

    for (int i = 0; i < ndig; i++) {
        if (!isdigit((unsigned char)(*sp)[i]))
            return SV_EINVAL;
        v = v * 10 + (unsigned)((*sp)[i] - '0');
    }
    *sp += ndig;
    *out = v;
    return 0;
}

/* Days in month m (1-12) of year y, by the proleptic Gregorian calendar. */
static unsigned month_days(unsigned y, unsigned m)
{
    static const uint8_t days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

    return days[m - 1] + (m == 2 && leap);
}

/* *ns = secs seconds and frac ns, unless that is past TIMEFMT_NS_MAX. */
static int secs_to_ns(uint64_t secs, uint64_t frac, uint64_t *ns)
{
    if (secs > TIMEFMT_NS_MAX / 1000000000u ||
        secs * 1000000000u > TIMEFMT_NS_MAX - frac)
        return SV_ELIMIT;
    *ns = secs * 1000000000u + frac;
    return 0;
}

int timefmt_parse(const char *s, uint64_t *ns)
{
    unsigned y, mo, d, h, mi, se, oh = 0, om = 0;
    uint64_t frac;
    int64_t secs;
    const char *p = s;

    if (*p == '\0')
        return SV_EINVAL;
    if (strlen(p) < 10 || p[4] != '-') {
        /* Unix seconds with an optional fraction */
        uint64_t v = 0;

        for (; isdigit((unsigned char)*p); p++) {
            /* past the limit, digits only move it further: v stays past it */
            if (v <= TIMEFMT_NS_MAX / 1000000000u)
                v = v * 10 + (uint64_t)(*p - '0');
        }
        if (p == s || parse_frac(&p, &frac) < 0 || *p != '\0')
            return SV_EINVAL;
        return secs_to_ns(v, frac, ns);
    }
    if (parse_uint(&p, 4, &y) < 0 || *p++ != '-' || parse_uint(&p, 2, &mo) < 0 || *p++ != '-' ||
        parse_uint(&p, 2, &d) < 0)
        return SV_EINVAL;
    if (*p != 'T' && *p != 't' && *p != ' ')
        return SV_EINVAL;
    p++;
    if (parse_uint(&p, 2, &h) < 0 || *p++ != ':' || parse_uint(&p, 2, &mi) < 0 || *p++ != ':' ||
        parse_uint(&p, 2, &se) < 0 || parse_frac(&p, &frac) < 0)
        return SV_EINVAL;
    /* RFC 3339 5.7: a day past its month's end (2024-06-31) is no date, not the next one */
    if (mo < 1 || mo > 12 || d < 1 || d > month_days(y, mo) || h > 23 || mi > 59 || se > 60 ||
        y < 1970)
        return SV_EINVAL;
    secs = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int sign = *p == '-' ? -1 : 1;

        p++;
        if (parse_uint(&p, 2, &oh) < 0 || *p++ != ':' || parse_uint(&p, 2, &om) < 0 ||
            oh > 23 || om > 59)
            return SV_EINVAL;
        secs -= sign * (int64_t)(oh * 3600 + om * 60);
    } else {
        return SV_EINVAL;
    }
    if (*p != '\0' || secs < 0)
        return SV_EINVAL;
    return secs_to_ns((uint64_t)secs, frac, ns);
}

int timefmt_parse_duration(const char *s, uint64_t *ns)
{
    static const struct {
        const char *unit;
        uint64_t ns;
    } units[] = {
        { "ns", 1 }, { "us", 1000 }, { "ms", 1000000 }, { "s", 1000000000ull },
        { "m", 60000000000ull }, { "h", 3600000000000ull }, { "d", 86400000000000ull },
        { "w", 604800000000000ull }, { "", 1000000000ull },
    };
    const char *p = s, *frac, *end;
    uint64_t whole = 0;

    /* decimal digits, exactly: 2.01s is 2010000000 ns (a double made it 2009999999) */
    if (!isdigit((unsigned char)*p))
        return SV_EINVAL;
    for (; isdigit((unsigned char)*p); p++) {
        uint64_t digit = (uint64_t)(*p - '0');

        if (whole > (UINT64_MAX - digit) / 10)
            return SV_EINVAL;
        whole = whole * 10 + digit;
    }
    frac = end = p;
    if (*p == '.') {
        frac = ++p;
        while (isdigit((unsigned char)*p))
            p++;
        end = p;
    }
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        uint64_t u = units[i].ns, part = 0;

        if (strcmp(p, units[i].unit) != 0)
            continue;
        if (whole > UINT64_MAX / u)
            return SV_EINVAL;
        /* floor(u * 0.d1d2...dn), from the last digit: each step stays below u */
        for (const char *q = end; q > frac; q--)
            part = ((uint64_t)(q[-1] - '0') * u + part) / 10;
        if (part > UINT64_MAX - whole * u)
            return SV_EINVAL;
        *ns = whole * u + part;
        return 0;
    }
    return SV_EINVAL;
}
