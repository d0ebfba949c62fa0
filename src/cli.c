/* SPDX-License-Identifier: BSD-2-Clause */
/* summary: error printing and option-value parsing shared by the commands */
#include "config.h"

#include "cli.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/diag.h"
#include "base/fsutil.h"
#include "base/numfmt.h"
#include "base/timefmt.h"
#include "base/utf8.h"
#include "base/xalloc.h"

void cli_error(const char *fmt, ...)
{
    va_list ap;

    fputs("streamvault: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

void cli_warn(const char *fmt, ...)
{
    va_list ap;

    fputs("streamvault: warning: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int cli_diag(const struct diag *d)
{
    cli_error("%s", d->msg[0] ? d->msg : sv_strerror(d->code));
    return d->code == SV_EINVAL ? EXIT_USAGE : EXIT_ERROR;
}

volatile sig_atomic_t cli_interrupted;

static void on_signal(int sig)
{
    if (!cli_interrupted)
        cli_interrupted = sig;
}

void cli_catch_signals(void)
{
    static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
    struct sigaction sa, old;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++) {
        if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN)
            continue;
        sigaction(sigs[i], &sa, NULL);
    }
}

bool cli_stdout_ok(const char *cmd)
{
    int e;

    errno = 0;
    if (fflush(stdout) == 0 && !ferror(stdout))
        return true;
    /* the reason is known when this flush failed; a write before may have failed alone */
    e = errno;
    if (e)
        cli_error("%s: write error on standard output: %s", cmd, strerror(e));
    else
        cli_error("%s: write error on standard output", cmd);
    return false;
}

int cli_usage(const char *cmd, const char *fmt, ...)
{
    va_list ap;

    fputs("streamvault: ", stderr);
    if (cmd)
        fprintf(stderr, "%s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry 'streamvault %s%s--help' for more information.\n", cmd ? cmd : "",
            cmd ? " " : "");
    return EXIT_USAGE;
}

int cli_time(const char *cmd, const char *opt, const char *arg, uint64_t *ns)
{
    char latest[TIMEFMT_LEN];
    int rc = timefmt_parse(arg, ns);

    if (rc == SV_ELIMIT) {
        timefmt_rfc3339(latest, TIMEFMT_NS_MAX);
        return cli_usage(cmd, "%s: '%s' is past %s, the latest time streamvault holds", opt,
                         arg, latest);
    }
    if (rc < 0)
        return cli_usage(cmd, "%s: expected RFC 3339 or Unix seconds, not '%s'", opt, arg);
    return EXIT_OK;
}

bool cli_parse_uint(const char *s, uint64_t max, uint64_t *out)
{
    char *end;
    unsigned long long v;

    if (!isdigit((unsigned char)*s))
        return false;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno != 0 || *end != '\0' || v > max)
        return false;
    *out = v;
    return true;
}

bool cli_parse_size(const char *s, uint64_t *out)
{
    char *end;
    unsigned long long v;
    unsigned shift = 0;

    if (!isdigit((unsigned char)*s))
        return false;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno != 0)
        return false;
    switch (*end) {
    case '\0':
        break;
    case 'k':
    case 'K':
        shift = 10;
        break;
    case 'm':
    case 'M':
        shift = 20;
        break;
    case 'g':
    case 'G':
        shift = 30;
        break;
    default:
        return false;
    }
    if (*end && end[1] != '\0' && !(end[1] == 'i' && end[2] == 'B' && end[3] == '\0') &&
        !(end[1] == 'B' && end[2] == '\0'))
        return false;
    if (v > (UINT64_MAX >> shift))
        return false;
    *out = (uint64_t)v << shift;
    return true;
}

/*
 * The canonical form of a path that need not exist yet: its directory
 * resolved (symbolic links, "..") and its last name; NULL where the
 * directory does not exist.
 */
static char *canonical(const char *path)
{
    const char *slash = strrchr(path, '/');
    char *dir = slash ? fs_printf("%.*s", (int)(slash - path), path) : NULL;
    char *real = realpath(dir ? (*dir ? dir : "/") : ".", NULL), *out = NULL;

    if (real)
        out = fs_printf("%s/%s", strcmp(real, "/") == 0 ? "" : real, slash ? slash + 1 : path);
    free(real);
    free(dir);
    return out;
}

bool cli_same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    char *ca, *cb;
    bool same;

    if (stat(a, &sa) == 0 && stat(b, &sb) == 0)
        return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
    ca = canonical(a);
    cb = canonical(b);
    same = ca && cb ? strcmp(ca, cb) == 0 : strcmp(a, b) == 0;
    free(ca);
    free(cb);
    return same;
}

bool cli_inside_dir(const char *path, const char *dir)
{
    char *cp = canonical(path), *cd = realpath(dir, NULL);
    size_t n = cd ? strlen(cd) : 0;
    bool inside = cp && cd && strncmp(cp, cd, n) == 0 && (cp[n] == '/' || n == 1);

    free(cp);
    free(cd);
    return inside;
}

int cli_check_out(const char *cmd, const char *opt, const char *path, char *const *stores,
                   size_t n)
{
    struct stat st;

    /* a file goes into place by rename: a directory there would refuse it late, and a
     * device, FIFO or symbolic link would be replaced (as root, /dev/null itself) */
    if (lstat(path, &st) == 0 && !S_ISREG(st.st_mode))
        return cli_usage(cmd, "%s %s: %s; name a file%s", opt, path,
                         S_ISDIR(st.st_mode) ? "a directory"
                                             : "not a regular file (a device, FIFO or link)",
                         strcmp(opt, "--graph") ? ", or - for standard output" : "");
    for (size_t i = 0; i < n; i++) {
        if (cli_inside_dir(path, stores[i]))
            return cli_usage(cmd, "%s %s: inside the store %s; write it elsewhere", opt, path,
                             stores[i]);
    }
    return EXIT_OK;
}

int cli_bad_option(const char *cmd, const char *short_opts, const struct option *long_opts,
                   char **argv)
{
    const char *arg = optind > 0 ? argv[optind - 1] : "";
    size_t nlen = strncmp(arg, "--", 2) == 0 ? strcspn(arg + 2, "=") : 0, nmatch = 0;
    const struct option *lo = NULL;
    const char *in = optopt > 0 && optopt < 256 ? strchr(short_opts, optopt) : NULL;
    char shown[3] = { '-', (char)optopt, '\0' }, cands[256] = "";
    const char *cur = argv[optind];
    bool in_cluster;

    /* the long option arg names (getopt takes unambiguous prefixes) */
    for (const struct option *o = long_opts; nlen && o->name; o++) {
        if (strncmp(o->name, arg + 2, nlen) != 0)
            continue;
        if (strlen(o->name) == nlen) {
            lo = o;
            nmatch = 1;
            break;
        }
        lo = o;
        nmatch++;
        if (strlen(cands) + strlen(o->name) + 5 < sizeof cands)
            snprintf(cands + strlen(cands), sizeof cands - strlen(cands), "%s--%s",
                     nmatch > 1 ? ", " : "", o->name);
    }
    if (optopt == 0 && nmatch > 1)
        return cli_usage(cmd, "option '--%.*s' is ambiguous (%s)", (int)nlen, arg + 2, cands);
    if (optopt == 0)
        return cli_usage(cmd, "unknown option '%s'", arg);
    /* a long option's fault: the option getopt was at is that one, unless getopt is still
     * inside a cluster of short options (argv[optind], not yet passed) holding the letter */
    in_cluster = cur && cur[0] == '-' && cur[1] && cur[1] != '-' && optopt > 0 &&
                 optopt < 256 && strchr(cur + 1, optopt);
    if (lo && nmatch == 1 && lo->val == optopt && !in_cluster)
        return cli_usage(cmd, lo->has_arg == no_argument ? "option '--%s' takes no value"
                                                         : "option '--%s' needs a value",
                         lo->name);
    if (in && in[1] == ':')
        return cli_usage(cmd, "option '%s' needs a value", shown);
    return cli_usage(cmd, "unknown option '%s'", shown);
}

/* Columns a code point takes on a terminal: 2 for the wide East Asian and emoji blocks. */
static size_t cp_width(uint32_t cp)
{
    return (cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0xA4CF && cp != 0x303F) ||
                   (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) ||
                   (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF60) ||
                   (cp >= 0xFFE0 && cp <= 0xFFE6) || (cp >= 0x1F300 && cp <= 0x1F64F) ||
                   (cp >= 0x1F900 && cp <= 0x1F9FF) || (cp >= 0x20000 && cp <= 0x3FFFD)
               ? 2
               : 1;
}

size_t cli_text_width(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s), w = 0;

    for (size_t i = 0; i < n;) {
        uint32_t cp = p[i];
        size_t k = p[i] >= 0x80 ? utf8_seq(p + i, n - i, &cp) : 1;

        w += cp_width(cp);
        i += k ? k : 1;
    }
    return w;
}

void cli_put_cell(FILE *f, const char *s, size_t width)
{
    size_t w = cli_text_width(s);

    fputs(s, f);
    for (; w < width; w++)
        putc(' ', f);
}

char *cli_table_safe(const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    char *out = xmalloc(4 * n + 1), *o = out;
    const unsigned char *p = (const unsigned char *)s;

    for (size_t i = 0; i < n;) {
        uint32_t cp = 0;
        size_t k = p[i] >= 0x80 ? utf8_seq(p + i, n - i, &cp) : 0;

        if (p[i] == '\\') {
            /* so that an escape below is never text that looks like one */
            *o++ = '\\';
            *o++ = (char)p[i++];
        } else if (p[i] >= 0x20 && p[i] < 0x7f) {
            *o++ = (char)p[i++];
        } else if (p[i] == '\n' || p[i] == '\r' || p[i] == '\t') {
            *o++ = '\\';
            *o++ = p[i] == '\n' ? 'n' : p[i] == '\r' ? 'r' : 't';
            i++;
        } else if (k > 0 && !utf8_invisible(cp)) {
            memcpy(o, p + i, k);    /* text in any script stays readable */
            o += k;
            i += k;
        } else if (k > 0) {
            /* C1 controls and invisible or reordering characters (utf8_invisible) as
             * \uXXXX, or \UXXXXXXXX past U+FFFF (no longer than their bytes times 4) */
            int digits = cp > 0xFFFF ? 8 : 4;

            *o++ = '\\';
            *o++ = digits == 8 ? 'U' : 'u';
            for (int sh = 4 * (digits - 1); sh >= 0; sh -= 4)
                *o++ = hex[(cp >> sh) & 15];
            i += k;
        } else {
            /* C0 controls, DEL, and bytes that are not UTF-8 (an 8-bit terminal reads
             * 0x9b as CSI too) as \xHH */
            *o++ = '\\';
            *o++ = 'x';
            *o++ = hex[p[i] >> 4];
            *o++ = hex[p[i] & 15];
            i++;
        }
    }
    *o = '\0';
    return out;
}

bool cli_parse_progress(const char *s, enum cli_progress *out)
{
    if (strcmp(s, "auto") == 0)
        *out = CLI_PROGRESS_AUTO;
    else if (strcmp(s, "always") == 0)
        *out = CLI_PROGRESS_ALWAYS;
    else if (strcmp(s, "never") == 0)
        *out = CLI_PROGRESS_NEVER;
    else
        return false;
    return true;
}

void cli_human_bytes(char out[32], double n)
{
    static const char *const unit[] = { " B", " kB", " MB", " GB", " TB", " PB" };

    numfmt_human(out, n, unit, sizeof unit / sizeof unit[0]);
}

void cli_human_count(char out[32], double n)
{
    static const char *const unit[] = { "", " k", " M", " G", " T" };

    numfmt_human(out, n, unit, sizeof unit / sizeof unit[0]);
}
