/* SPDX-License-Identifier: BSD-2-Clause */
/* summary: streamvault ingest: split captures into a store */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/diag.h"
#include "base/fsutil.h"
#include "base/limits.h"
#include "base/timefmt.h"
#include "base/xalloc.h"
#include "bundle/reader.h"
#include "cli.h"
#include "names/names.h"
#include "progress.h"
#include "store/store.h"

static const char usage_text[] =
    "Usage: streamvault ingest [OPTIONS] INPUT...\n"
    "\n"
    "Split captures into a store holding one PCAP per TCP/UDP stream, plus\n"
    "other.pcap for every packet of no stream. INPUT is a capture file (pcap or\n"
    "pcapng, optionally gzip- or zstd-compressed), a directory of captures (its\n"
    "files in name order), or - for standard input. A bundle (a tar.gz written by\n"
    "export/snapshot, or a Kubeshark export) is restored: each NODE_IP/ directory\n"
    "becomes a node with its captures and its name history; it must be the only\n"
    "INPUT, and its members are checked (content.json's sha256 of every file).\n"
    "\n"
    "Options:\n"
    "  -o, --output STORE        store directory (default: streamvault-store)\n"
    "  -j, --threads N           worker threads (default: all cores)\n"
    "      --node NAME[=IP]      node the capture was taken on (default: local)\n"
    "      --layout packed|files packed: small streams in pack files (default);\n"
    "                            files: every stream in its own file\n"
    "      --pack-threshold SIZE streams larger than this get their own file (default 1M)\n"
    "      --memcap SIZE         stream bytes buffered in memory (default 192M; 64M\n"
    "                            with --layout files)\n"
    "      --udp-timeout DUR     UDP silence that starts a new stream (default 60s)\n"
    "      --tcp-timeout DUR     TCP silence that starts a new stream (default 1h)\n"
    "      --tcp-closed-timeout DUR\n"
    "                            the same after FIN both ways or RST (default 60s)\n"
    "      --no-dissect          split only: no protocol dissection, no entries\n"
    "      --no-l4-entries       no tcp/udp entry for streams no dissector recognises\n"
    "      --discard-undissected drop streams no dissector recognises (Kubeshark's\n"
    "                            behaviour): store.json counts them as discarded\n"
    "      --body-max SIZE       body bytes kept per request and response in the index\n"
    "                            (default 64K; 0: none)\n"
    "      --names FILE          a name resolution history (repeatable): the native\n"
    "                            format, Kubeshark's name_resolution_history.json or a\n"
    "                            kubectl get pods,services,endpoints -A -o json dump\n"
    "      --taken TIME          when kubectl dumps without a \"takenAt\" were taken\n"
    "      --bundle-member-max SIZE\n"
    "                            refuse a bundle holding a member over SIZE (default 8G)\n"
    "      --bundle-total-max SIZE\n"
    "                            refuse a bundle whose members hold more than SIZE\n"
    "                            together (default 64G)\n"
    "      --bundle-members-max N\n"
    "                            refuse a bundle of more than N members (default 1048576)\n"
    "      --keep-entries        keep the raw entry records (nodes/NODE/entries/)\n"
    "                            beside the index they were built into\n"
    "  -f, --force               replace an existing store\n"
    "      --json                print the store's manifest (store.json) on stdout\n"
    "      --progress=WHEN       auto (default: when stderr is a terminal), always, never\n"
    "  -q, --quiet               no summary line\n"
    "  -h, --help                this help\n"
    "\n"
    "Exit status: 0 success; 2 usage error; 3 an input could not be read whole\n"
    "(the store holds what was read before the fault), a bundle was refused (no\n"
    "store is written), or the store could not be written.\n";

enum {
    OPT_NODE = 256,
    OPT_LAYOUT,
    OPT_PACK_THRESHOLD,
    OPT_MEMCAP,
    OPT_UDP_TIMEOUT,
    OPT_TCP_TIMEOUT,
    OPT_TCP_CLOSED_TIMEOUT,
    OPT_JSON,
    OPT_PROGRESS,
    OPT_NO_DISSECT,
    OPT_NO_L4_ENTRIES,
    OPT_DISCARD_UNDISSECTED,
    OPT_KEEP_ENTRIES,
    OPT_BODY_MAX,
    OPT_NAMES,
    OPT_TAKEN,
    OPT_BUNDLE_MEMBER_MAX,
    OPT_BUNDLE_TOTAL_MAX,
    OPT_BUNDLE_MEMBERS_MAX,
};

static const char short_opts[] = "o:j:fqh";

static const struct option long_opts[] = {
    { "output", required_argument, NULL, 'o' },
    { "threads", required_argument, NULL, 'j' },
    { "node", required_argument, NULL, OPT_NODE },
    { "layout", required_argument, NULL, OPT_LAYOUT },
    { "pack-threshold", required_argument, NULL, OPT_PACK_THRESHOLD },
    { "memcap", required_argument, NULL, OPT_MEMCAP },
    { "udp-timeout", required_argument, NULL, OPT_UDP_TIMEOUT },
    { "tcp-timeout", required_argument, NULL, OPT_TCP_TIMEOUT },
    { "tcp-closed-timeout", required_argument, NULL, OPT_TCP_CLOSED_TIMEOUT },
    { "force", no_argument, NULL, 'f' },
    { "json", no_argument, NULL, OPT_JSON },
    { "progress", required_argument, NULL, OPT_PROGRESS },
    { "no-dissect", no_argument, NULL, OPT_NO_DISSECT },
    { "no-l4-entries", no_argument, NULL, OPT_NO_L4_ENTRIES },
    { "discard-undissected", no_argument, NULL, OPT_DISCARD_UNDISSECTED },
    { "keep-entries", no_argument, NULL, OPT_KEEP_ENTRIES },
    { "body-max", required_argument, NULL, OPT_BODY_MAX },
    { "names", required_argument, NULL, OPT_NAMES },
    { "taken", required_argument, NULL, OPT_TAKEN },
    { "bundle-member-max", required_argument, NULL, OPT_BUNDLE_MEMBER_MAX },
    { "bundle-total-max", required_argument, NULL, OPT_BUNDLE_TOTAL_MAX },
    { "bundle-members-max", required_argument, NULL, OPT_BUNDLE_MEMBERS_MAX },
    { "quiet", no_argument, NULL, 'q' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
};

static void on_stale(void *arg, const char *path)
{
    (void)arg;
    cli_warn("removed %s, left by an ingest that was killed before it finished", path);
}

static void on_progress(void *arg, const struct store_progress *p)
{
    progress_update(arg, p->bytes_done, p->bytes_total, p->packets, p->streams);
}

static void summary(const struct store_ingest_opts *o, const struct store_ingest_result *r,
                    bool per_node, double secs)
{
    char b[32], rate[32], pk[32], st[32], sk[32] = "";
    struct rusage ru;
    uint64_t in_bytes = 0;
    size_t skipped = 0;

    for (size_t i = 0; i < r->ninputs; i++) {
        in_bytes += r->inputs[i].size;
        skipped += r->inputs[i].status == STORE_IN_SKIPPED;
    }
    if (skipped)
        snprintf(sk, sizeof sk, " (%zu skipped)", skipped);
    getrusage(RUSAGE_SELF, &ru);
    cli_human_bytes(b, (double)in_bytes);
    cli_human_bytes(rate, (double)in_bytes / (secs > 0 ? secs : 1e-9));
    cli_human_count(pk, (double)r->read.packets / (secs > 0 ? secs : 1e-9));
    cli_human_count(st, (double)r->nstreams / (secs > 0 ? secs : 1e-9));
    printf("%s%s%s: %llu packet%s (%s) from %zu input%s%s -> %llu stream%s (%llu tcp, %llu udp, "
           "%llu in own files), %llu packet%s in other.pcap, %llu entr%s; %.2f s, %s/s, "
           "%s packets/s, %s streams/s, peak RSS %ld MiB\n",
           o->store_dir, per_node ? " node " : "", per_node ? r->node_name : "",
           (unsigned long long)r->read.packets, r->read.packets == 1 ? "" : "s", b,
           r->ninputs, r->ninputs == 1 ? "" : "s", sk, (unsigned long long)r->nstreams,
           r->nstreams == 1 ? "" : "s", (unsigned long long)r->tcp_streams,
           (unsigned long long)r->udp_streams, (unsigned long long)r->large_streams,
           (unsigned long long)r->other.packets, r->other.packets == 1 ? "" : "s",
           (unsigned long long)r->entries, r->entries == 1 ? "y" : "ies", secs,
           rate, pk, st, ru.ru_maxrss / 1024);
}

/* A bundle by its name (then any failure is the bundle's) or by its bytes. */
static bool is_bundle(const char *path)
{
    size_t n = strlen(path);

    if ((n > 7 && strcmp(path + n - 7, ".tar.gz") == 0) ||
        (n > 4 && strcmp(path + n - 4, ".tgz") == 0))
        return true;
    return bundle_probe(path);
}

/*
 * The first (by name) of the files directory path gives ingest that is a
 * bundle (malloc'd), else NULL (also when path is no directory).
 */
static char *bundle_in_dir(const char *path)
{
    char **files, *first = NULL;
    size_t n = 0;
    struct stat st;
    struct diag d;

    if (strcmp(path, "-") == 0 || stat(path, &st) < 0 || !S_ISDIR(st.st_mode) ||
        store_dir_inputs(path, &files, &n, &d) < 0)
        return NULL;            /* (one that cannot be listed is said by the ingest) */
    for (size_t i = 0; i < n; i++) {
        if (!first && bundle_probe(files[i]))
            first = files[i];
        else
            free(files[i]);
    }
    free(files);
    return first;
}

/* What a bundle ingest holds until the store is written. */
struct restore {
    struct bundle_contents bc;
    struct store_node_input *nodes;
    size_t nnodes;
};

static void restore_release(struct restore *rs)
{
    for (size_t i = 0; i < rs->nnodes; i++)
        names_free(rs->nodes[i].names);
    free(rs->nodes);
    bundle_contents_release(&rs->bc);
    memset(rs, 0, sizeof *rs);
}

/*
 * A --names file that could not be read: why, or, when a signal stopped the
 * read (a FIFO waiting for its writer), that ingest stopped. Returns the exit status.
 */
static int names_failed(const struct store_ingest_opts *o, const struct diag *d)
{
    if (!cli_interrupted)
        return cli_diag(d);
    cli_error("%s: interrupted; nothing written", o->store_dir);
    return 128 + cli_interrupted;
}

/* The node's history: its directories' (names.json, else Kubeshark's), then --names files. */
static int node_names(const struct bundle_node *bn, const char **files, size_t nfiles,
                      const struct names_read_opts *ro, struct names **out, struct diag *d)
{
    struct names *h = names_new();
    int rc = 0;

    for (size_t i = 0; rc == 0 && i < bn->nhistories; i++) {
        uint8_t *text = NULL;
        size_t len = 0;

        rc = fs_read_file(bn->histories[i], LIM_NAMES_FILE, &text, &len, d);
        if (rc == 0)
            rc = names_read_mem(h, bn->history_labels[i], (const char *)text, len, ro, d);
        free(text);
    }
    for (size_t i = 0; rc == 0 && i < nfiles; i++)
        rc = names_read_file(h, files[i], ro, d);
    if (rc < 0) {
        names_free(h);
        return rc;
    }
    *out = h;
    return 0;
}

/*
 * Extracts and checks the bundle beside the store (STORE.bundle-<pid>) and
 * makes one node of each of its node directories. Prints the errors.
 */
static int restore_prepare(struct restore *rs, const struct store_ingest_opts *o,
                           const char *bundle, const struct bundle_limits *bl,
                           const char **files, size_t nfiles, const struct names_read_opts *ro)
{
    char *dir = fs_printf("%s.bundle-%ld", o->store_dir, (long)getpid());
    struct diag d;
    int rc;

    memset(rs, 0, sizeof *rs);
    diag_clear(&d);
    fs_rmtree(dir, &d);
    diag_clear(&d);
    rc = bundle_extract(bundle, dir, bl, &rs->bc, &d);
    free(dir);
    if (rc < 0)
        return cli_diag(&d);
    if (!rs->bc.verified)
        cli_warn("%s: no content.json (a Kubeshark export?): its members are not verified",
                 bundle);
    for (size_t i = 0; i < rs->bc.nignored; i++)
        cli_warn("%s: member '%s' ignored: not a capture, history or per-stream file of a node",
                 bundle, rs->bc.ignored[i]);
    if (rs->bc.nnodes == 0 && rs->bc.verified) {
        /* what snapshot writes for a quiet window: restored as the empty store it is */
        cli_warn("%s: the bundle holds no node: the store is empty", bundle);
        rs->nodes = xcalloc(1, sizeof *rs->nodes);
        return EXIT_OK;
    }
    if (rs->bc.nnodes == 0) {
        cli_error("%s: no node directory with a capture or a name history", bundle);
        restore_release(rs);
        return EXIT_ERROR;
    }
    rs->nodes = xcalloc(rs->bc.nnodes, sizeof *rs->nodes);
    for (size_t i = 0; i < rs->bc.nnodes; i++) {
        const struct bundle_node *bn = &rs->bc.nodes[i];
        struct store_node_input *n = &rs->nodes[rs->nnodes];

        n->name = bn->name;
        n->ip = bn->ip[0] ? bn->ip : NULL;
        n->inputs = bn->captures;
        n->labels = bn->labels;
        n->ninputs = bn->ncaptures;
        rc = node_names(bn, files, nfiles, ro, &n->names, &d);
        if (rc < 0) {
            restore_release(rs);
            return names_failed(o, &d);
        }
        rs->nnodes++;
    }
    return EXIT_OK;
}

static int parse_node(struct store_ingest_opts *o, char *arg)
{
    char *eq = strchr(arg, '=');

    if (eq) {
        *eq = '\0';
        o->node_ip = eq + 1;
    }
    o->node_name = arg;
    return 0;
}

int cmd_ingest(int argc, char **argv)
{
    struct store_ingest_opts o;
    struct store_ingest_result *res;
    struct store_node_input one = { 0 }, *nodes;
    struct restore rs = { 0 };
    struct bundle_limits bl;
    const char *bundle = NULL;
    bool node_given = false;
    size_t nnodes, input_errors = 0;
    enum cli_progress pmode = CLI_PROGRESS_AUTO;
    struct progress prog;
    struct diag d;
    bool json = false, quiet = false;
    const char **names_files = NULL;
    size_t nnames = 0;
    struct names_read_opts ro = { 0 };
    uint64_t v;
    int c, rc;
    double t0;

    store_ingest_opts_init(&o);
    bundle_limits_init(&bl);
    diag_clear(&d);
    optind = 1;
    while ((c = getopt_long(argc, argv, short_opts, long_opts, NULL)) != -1) {
        switch (c) {
        case 'o':
            /* "out/": the store is "out" (its temporary trees are "out.tmp-PID", beside it) */
            for (size_t n = strlen(optarg); n > 1 && optarg[n - 1] == '/'; n--)
                optarg[n - 1] = '\0';
            o.store_dir = optarg;
            break;
        case 'j':
            if (!cli_parse_uint(optarg, 1024, &v) || v == 0)
                return cli_usage("ingest", "-j: expected a thread count 1..1024, got '%s'",
                                 optarg);
            o.threads = (int)v;
            break;
        case OPT_NODE:
            parse_node(&o, optarg);
            node_given = true;
            break;
        case OPT_BUNDLE_MEMBER_MAX:
            if (!cli_parse_size(optarg, &bl.member_max) || bl.member_max == 0)
                return cli_usage("ingest", "--bundle-member-max: bad size '%s'", optarg);
            break;
        case OPT_BUNDLE_TOTAL_MAX:
            if (!cli_parse_size(optarg, &bl.total_max) || bl.total_max == 0)
                return cli_usage("ingest", "--bundle-total-max: bad size '%s'", optarg);
            break;
        case OPT_BUNDLE_MEMBERS_MAX:
            if (!cli_parse_uint(optarg, UINT32_MAX, &bl.members_max) || bl.members_max == 0)
                return cli_usage("ingest", "--bundle-members-max: expected a count, got '%s'",
                                 optarg);
            break;
        case OPT_LAYOUT:
            if (strcmp(optarg, "packed") == 0)
                o.layout = STORE_LAYOUT_PACKED;
            else if (strcmp(optarg, "files") == 0)
                o.layout = STORE_LAYOUT_FILES;
            else
                return cli_usage("ingest", "--layout: expected packed or files, got '%s'",
                                 optarg);
            break;
        case OPT_PACK_THRESHOLD:
            if (!cli_parse_size(optarg, &o.pack_threshold))
                return cli_usage("ingest", "--pack-threshold: bad size '%s'", optarg);
            break;
        case OPT_MEMCAP:
            if (!cli_parse_size(optarg, &o.memcap) || o.memcap < (1u << 20))
                return cli_usage("ingest", "--memcap: bad size '%s' (at least 1M)", optarg);
            break;
        case OPT_UDP_TIMEOUT:
            if (timefmt_parse_duration(optarg, &o.flow.udp_idle_ns) < 0)
                return cli_usage("ingest", "--udp-timeout: bad duration '%s'", optarg);
            break;
        case OPT_TCP_TIMEOUT:
            if (timefmt_parse_duration(optarg, &o.flow.tcp_idle_ns) < 0)
                return cli_usage("ingest", "--tcp-timeout: bad duration '%s'", optarg);
            break;
        case OPT_TCP_CLOSED_TIMEOUT:
            if (timefmt_parse_duration(optarg, &o.flow.tcp_closed_ns) < 0)
                return cli_usage("ingest", "--tcp-closed-timeout: bad duration '%s'", optarg);
            break;
        case 'f':
            o.replace = true;
            break;
        case OPT_NO_DISSECT:
            o.dissect = false;
            break;
        case OPT_NO_L4_ENTRIES:
            o.l4_entries = false;
            break;
        case OPT_DISCARD_UNDISSECTED:
            o.discard_undissected = true;
            break;
        case OPT_KEEP_ENTRIES:
            o.keep_entries = true;
            break;
        case OPT_BODY_MAX:
            /* a body is kept in one record, whose sections and bodies stay under 1 GiB */
            if (!cli_parse_size(optarg, &o.body_max) || o.body_max > (256u << 20))
                return cli_usage("ingest", "--body-max: bad size '%s' (at most 256M)", optarg);
            break;
        case OPT_NAMES:
            names_files = xrealloc(names_files, (nnames + 1) * sizeof *names_files);
            names_files[nnames++] = optarg;
            break;
        case OPT_TAKEN:
            if (cli_time("ingest", "--taken", optarg, &ro.taken_ns) != EXIT_OK)
                return EXIT_USAGE;
            break;
        case OPT_JSON:
            json = true;
            break;
        case OPT_PROGRESS:
            if (!cli_parse_progress(optarg, &pmode))
                return cli_usage("ingest", "--progress: expected auto, always or never");
            break;
        case 'q':
            quiet = true;
            break;
        case 'h':
            fputs(usage_text, stdout);
            return EXIT_OK;
        default:
            return cli_bad_option("ingest", short_opts, long_opts, argv);
        }
    }
    if (optind >= argc)
        return cli_usage("ingest", "no input (give capture files, directories, or -)");
    if (o.discard_undissected && !o.dissect)
        return cli_usage("ingest", "--discard-undissected needs dissection (drop --no-dissect)");
    for (int i = optind; i < argc; i++) {
        char *inner = bundle_in_dir(argv[i]);

        /* read as a directory's file, a bundle would be skipped as no capture: refused */
        if (inner) {
            rc = cli_usage("ingest", "a bundle (%s) must be the only input, not a file of a "
                           "directory", inner);
            free(inner);
            return rc;
        }
        if (!is_bundle(argv[i]))
            continue;
        if (argc - optind > 1)
            return cli_usage("ingest", "a bundle (%s) must be the only input", argv[i]);
        if (node_given)
            return cli_usage("ingest", "--node: a bundle's nodes are named by its directories");
        bundle = argv[i];
    }
    /* a signal stops ingest: its temporary trees go, an existing store stays as it was */
    cli_catch_signals();
    o.stale = on_stale;
    o.cancel = &cli_interrupted;
    bl.cancel = &cli_interrupted;
    ro.cancel = &cli_interrupted;
    if (bundle) {
        /* before the bundle is read: a store in the way is said first */
        if (store_check_target(&o, &d) < 0) {
            free(names_files);
            return cli_diag(&d);
        }
        rc = restore_prepare(&rs, &o, bundle, &bl, names_files, nnames, &ro);
        free(names_files);
        if (rc != EXIT_OK)
            return cli_interrupted ? 128 + cli_interrupted : rc;
        nodes = rs.nodes;
        nnodes = rs.nnodes;
    } else {
        /* the histories are read before the captures: a bad one stops ingest before it starts */
        if (nnames > 0) {
            one.names = names_new();
            for (size_t i = 0; i < nnames; i++) {
                if (names_read_file(one.names, names_files[i], &ro, &d) < 0) {
                    names_free(one.names);
                    free(names_files);
                    return names_failed(&o, &d);
                }
            }
        }
        free(names_files);
        one.name = o.node_name;
        one.ip = o.node_ip;
        one.inputs = argv + optind;
        one.ninputs = (size_t)(argc - optind);
        nodes = &one;
        nnodes = 1;
    }

    res = xcalloc(nnodes, sizeof *res);
    progress_init(&prog, pmode);
    o.progress = on_progress;
    o.progress_arg = &prog;
    t0 = progress_now();
    rc = store_ingest_nodes(&o, nodes, nnodes, res, &d);
    progress_end(&prog);
    if (bundle)
        restore_release(&rs);
    else
        names_free(one.names);
    if (rc < 0) {
        free(res);
        rc = cli_diag(&d);
        return cli_interrupted ? 128 + cli_interrupted : rc;
    }
    for (size_t k = 0; k < nnodes; k++) {
        for (size_t i = 0; i < res[k].ninputs; i++) {
            if (res[k].inputs[i].status == STORE_IN_ERROR)
                cli_error("%s", res[k].inputs[i].error);
            else if (res[k].inputs[i].status == STORE_IN_SKIPPED)
                cli_warn("skipped %s", res[k].inputs[i].error);
            if (res[k].inputs[i].late_times)
                cli_warn("%s: %llu packet%s timed after 2106-02-07T06:28:15Z, which a classic "
                         "PCAP stream file cannot hold: their times there are wrong",
                         res[k].inputs[i].path, (unsigned long long)res[k].inputs[i].late_times,
                         res[k].inputs[i].late_times == 1 ? "" : "s");
            if (res[k].inputs[i].odd_links)
                cli_warn("%s: %llu packet%s of link type %u%s, which streamvault does not "
                         "decode: they are in other.pcap", res[k].inputs[i].path,
                         (unsigned long long)res[k].inputs[i].odd_links,
                         res[k].inputs[i].odd_links == 1 ? "" : "s", res[k].inputs[i].odd_link,
                         res[k].inputs[i].odd_links_mixed ? " and others" : "");
        }
        input_errors += res[k].input_errors;
    }
    if (json) {
        char *text = store_manifest_json(&o, res, nnodes);

        fputs(text, stdout);
        free(text);
    } else if (!quiet) {
        for (size_t k = 0; k < nnodes; k++)
            summary(&o, &res[k], bundle != NULL, progress_now() - t0);
    }
    if (input_errors > 0)
        cli_error("%zu input%s could not be read whole; the store holds what was read before "
                  "each fault",
                  input_errors, input_errors == 1 ? "" : "s");
    rc = input_errors > 0 ? EXIT_ERROR : EXIT_OK;
    for (size_t k = 0; k < nnodes; k++)
        store_ingest_result_release(&res[k]);
    free(res);
    return rc;
}
