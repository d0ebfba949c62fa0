/* SPDX-License-Identifier: BSD-2-Clause */
/* summary: streamvault info: a store's manifest in words (or as JSON) */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/diag.h"
#include "cli.h"
#include "json/json.h"
#include "store/store.h"

static const char usage_text[] =
    "Usage: streamvault info [--json] STORE\n"
    "\n"
    "Show a store's manifest: format, nodes, time range, inputs and the packet\n"
    "accounting (packets read = packets in streams + packets in other.pcap).\n"
    "\n"
    "Options:\n"
    "      --json      print store.json as it is\n"
    "  -h, --help      this help\n";

static const char short_opts[] = "h";

static const struct option long_opts[] = {
    { "json", no_argument, NULL, 'J' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
};

static uint64_t u(const struct jv *o, const char *a, const char *b)
{
    uint64_t v = 0;

    jv_get_u64(b ? jv_get(o, a) : o, b ? b : a, &v);
    return v;
}

static void count_line(const char *what, const struct jv *t, const char *k)
{
    int64_t diff = 0;

    jv_get_i64(jv_get(t, "unaccounted"), k, &diff);

    printf("%-10s read %llu = streams %llu + other %llu (unaccounted %lld)", what,
           (unsigned long long)u(t, "read", k), (unsigned long long)u(t, "streams", k),
           (unsigned long long)u(t, "other", k), (long long)diff);
    /* --discard-undissected: part of the streams' count, but not in the store */
    if (u(t, "discarded", k))
        printf("; %llu of the streams' discarded", (unsigned long long)u(t, "discarded", k));
    putchar('\n');
}

/* s as a terminal may show it (cli_table_safe; "" for NULL), to free. */
static char *safe(const char *s)
{
    return cli_table_safe(s ? s : "", s ? strlen(s) : 0);
}

/* Whether the totals t of key (packets, bytes) add up: read = streams + other + unaccounted. */
static bool adds_up(const struct jv *t, const char *key)
{
    int64_t diff = 0;

    jv_get_i64(jv_get(t, "unaccounted"), key, &diff);
    return (int64_t)(u(t, "read", key) - u(t, "streams", key) - u(t, "other", key)) == diff;
}

/*
 * The manifest against the nodes' catalogues (which info reads for nothing
 * else: stream counts by transport and by place, the streams' packets and
 * bytes) and against itself (each input's counts and the totals add up, the
 * inputs' make the totals, a node's entries are its segments' rows): a
 * damaged store.json must not print a false account with exit 0. Returns 0,
 * or < 0 with d set.
 */
static int check_manifest(struct store *s, const struct jv *meta, const char *dir,
                          struct diag *d)
{
    static const char *const sums[] = { "read", "streams", "other", "unaccounted" };
    const struct jv *nodes = jv_get(meta, "nodes"), *totals = jv_get(meta, "totals");
    const struct jv *inputs = jv_get(meta, "inputs");
    uint64_t packets = 0, bytes = 0;

    for (size_t i = 0; i < store_nnodes(s); i++) {
        const struct jv *nj = jv_at(nodes, i);
        const struct store_stream *v;
        uint64_t tcp = 0, udp = 0, own = 0, rows = 0;
        size_t n;

        if (store_streams(s, i, &v, &n, d) < 0)
            return -1;
        /* the node's entries are its segments' rows (a segment lost from the list, a count) */
        for (size_t k = 0; k < store_nsegments(s); k++)
            rows += store_segment(s, k)->node == i ? store_segment(s, k)->rows : 0;
        if (u(nj, "entries", NULL) != rows)
            return diag_set(d, SV_EFORMAT, "%s/store.json: node %s: %llu entries, but its index "
                            "segments hold %llu rows", dir, store_node(s, i)->name,
                            (unsigned long long)u(nj, "entries", NULL),
                            (unsigned long long)rows);
        for (size_t k = 0; k < n; k++) {
            packets += v[k].packets;
            bytes += v[k].bytes;
            tcp += v[k].proto == 6;
            udp += v[k].proto == 17;
            own += (v[k].flags & STORE_S_FILE) != 0;
        }
        if (u(nj, "streams", NULL) != n || u(nj, "tcp_streams", NULL) != tcp ||
            u(nj, "udp_streams", NULL) != udp || u(nj, "large_streams", NULL) != own)
            return diag_set(d, SV_EFORMAT, "%s/store.json: node %s: %llu streams (%llu tcp, "
                            "%llu udp, %llu in own files), but its catalogue holds %zu (%llu, "
                            "%llu, %llu)", dir, store_node(s, i)->name,
                            (unsigned long long)u(nj, "streams", NULL),
                            (unsigned long long)u(nj, "tcp_streams", NULL),
                            (unsigned long long)u(nj, "udp_streams", NULL),
                            (unsigned long long)u(nj, "large_streams", NULL), n,
                            (unsigned long long)tcp, (unsigned long long)udp,
                            (unsigned long long)own);
    }
    if (u(totals, "streams", "packets") != packets || u(totals, "streams", "bytes") != bytes)
        return diag_set(d, SV_EFORMAT, "%s/store.json: totals.streams says %llu packets, %llu "
                        "bytes; the catalogues hold %llu, %llu", dir,
                        (unsigned long long)u(totals, "streams", "packets"),
                        (unsigned long long)u(totals, "streams", "bytes"),
                        (unsigned long long)packets, (unsigned long long)bytes);
    for (int k = 0; k < 2; k++) {
        const char *key = k ? "bytes" : "packets";

        if (!adds_up(totals, key))
            return diag_set(d, SV_EFORMAT, "%s/store.json: totals: %s read, in streams, in "
                            "other.pcap and unaccounted do not add up", dir, key);
        for (size_t i = 0; i < jv_len(inputs); i++) {
            if (!adds_up(jv_at(inputs, i), key))
                return diag_set(d, SV_EFORMAT, "%s/store.json: input %zu: %s read, in streams, "
                                "in other.pcap and unaccounted do not add up", dir, i + 1, key);
        }
        /* the inputs' counts make the totals (a merged input's counts are its own) */
        for (size_t j = 0; j < sizeof sums / sizeof *sums; j++) {
            int64_t want = 0, sum = 0, x;

            jv_get_i64(jv_get(totals, sums[j]), key, &want);
            for (size_t i = 0; i < jv_len(inputs); i++) {
                x = 0;
                jv_get_i64(jv_get(jv_at(inputs, i), sums[j]), key, &x);
                sum += x;
            }
            if (sum != want)
                return diag_set(d, SV_EFORMAT, "%s/store.json: totals.%s.%s is %lld; its "
                                "inputs' add up to %lld", dir, sums[j], key, (long long)want,
                                (long long)sum);
        }
    }
    return 0;
}

int cmd_info(int argc, char **argv)
{
    struct store *s;
    struct diag d;
    struct jv *meta;
    const char *text;
    bool json = false;
    int c, rc;

    diag_clear(&d);
    optind = 1;
    while ((c = getopt_long(argc, argv, short_opts, long_opts, NULL)) != -1) {
        switch (c) {
        case 'J':
            json = true;
            break;
        case 'h':
            fputs(usage_text, stdout);
            return EXIT_OK;
        default:
            return cli_bad_option("info", short_opts, long_opts, argv);
        }
    }
    if (optind != argc - 1)
        return cli_usage("info", "give exactly one store");
    if (store_open(&s, argv[optind], &d) < 0)
        return cli_diag(&d);
    text = store_json_text(s);
    if (json) {
        /* said here, with the reason: a failed write this large leaves nothing to flush */
        int e = fputs(text, stdout) == EOF || fflush(stdout) == EOF ? errno : 0;

        store_close(s);
        if (e)
            cli_error("info: write error on standard output: %s", strerror(e));
        return e ? EXIT_ERROR : EXIT_OK;
    }
    rc = jv_parse(text, strlen(text), "store.json", &meta, &d);
    if (rc < 0) {
        store_close(s);
        return cli_diag(&d);
    }
    if (check_manifest(s, meta, argv[optind], &d) < 0) {
        /* an ingest --force that swapped a new store in meanwhile is no damage */
        if (store_replaced(s))
            cli_error("%s: replaced while it was read (by an ingest --force or a names "
                      "import); run it again", argv[optind]);
        else
            cli_diag(&d);
        jv_free(meta);
        store_close(s);
        return EXIT_ERROR;
    }
    {
        const struct jv *opts = jv_get(meta, "options"), *nodes = jv_get(meta, "nodes");
        const struct jv *inputs = jv_get(meta, "inputs"), *totals = jv_get(meta, "totals");

        printf("%-10s %s\n", "store", argv[optind]);
        printf("%-10s %s v%llu, written by %s, layout %s\n", "format",
               jv_get_str(meta, "format"), (unsigned long long)u(meta, "format_version", NULL),
               jv_get_str(meta, "tool"), jv_get_str(opts, "layout"));
        for (size_t i = 0; i < jv_len(nodes); i++) {
            const struct jv *n = jv_at(nodes, i), *t = jv_get(n, "time");
            const char *ip = jv_get_str(n, "ip");
            char disc[48] = "";

            if (u(n, "discarded_streams", NULL))
                snprintf(disc, sizeof disc, ", %llu discarded",
                         (unsigned long long)u(n, "discarded_streams", NULL));

            printf("%-10s %s%s%s: %llu streams (%llu tcp, %llu udp, %llu in own files%s), "
                   "%s%s%s; %llu name records\n",
                   "node", jv_get_str(n, "name"), ip && *ip ? " " : "", ip ? ip : "",
                   (unsigned long long)u(n, "streams", NULL),
                   (unsigned long long)u(n, "tcp_streams", NULL),
                   (unsigned long long)u(n, "udp_streams", NULL),
                   (unsigned long long)u(n, "large_streams", NULL), disc,
                   jv_get_str(t, "first") ? jv_get_str(t, "first") : "no packets",
                   jv_get_str(t, "first") ? " .. " : "",
                   jv_get_str(t, "last") ? jv_get_str(t, "last") : "",
                   (unsigned long long)u(n, "names", NULL));
        }
        for (size_t i = 0; i < jv_len(inputs); i++) {
            const struct jv *in = jv_at(inputs, i);
            const char *err = jv_get_str(in, "error");
            /* a file's name (and an error that quotes it) may hold any byte but '/' and NUL */
            char *path = safe(jv_get_str(in, "path")), *why = safe(err);

            printf("%-10s %s [%s, %s] %llu packets, %llu bytes: %s%s%s\n", "input", path,
                   jv_get_str(in, "format") ? jv_get_str(in, "format") : "-",
                   jv_get_str(in, "compression") ? jv_get_str(in, "compression") : "-",
                   (unsigned long long)u(in, "read", "packets"),
                   (unsigned long long)u(in, "read", "bytes"), jv_get_str(in, "status"),
                   err ? ": " : "", err ? why : "");
            free(path);
            free(why);
        }
        count_line("packets", totals, "packets");
        count_line("bytes", totals, "bytes");
        {
            const struct jv *segs = jv_get(meta, "segments");
            unsigned long long rows = 0, bytes = 0;

            for (size_t i = 0; i < jv_len(segs); i++) {
                rows += u(jv_at(segs, i), "rows", NULL);
                bytes += u(jv_at(segs, i), "bytes", NULL);
            }
            printf("%-10s %llu entries in %zu segments, %llu bytes (bodies: first %llu bytes)\n",
                   "index", rows, jv_len(segs), bytes,
                   (unsigned long long)u(jv_get(meta, "options"), "body_max", NULL));
        }
    }
    jv_free(meta);
    store_close(s);
    return EXIT_OK;
}
