/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: streamvault graph: the service dependency graph of one or more stores.
 *
 * The entries a KFL query selects (select.c) become a graph (graph.c): a
 * node per identity, an edge per (client, server, protocol) with requests,
 * errors, latency p50/p99 and bytes, written as DOT (default) or JSON, or
 * rendered by Graphviz's dot into SVG, PNG or PDF. --diff compares two
 * stores' graphs and exits 1 when an edge appeared or vanished, so a CI job
 * can fail on a new dependency. docs/GRAPH.md describes the output.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/diag.h"
#include "base/fsutil.h"
#include "base/timefmt.h"
#include "base/xalloc.h"
#include "cli.h"
#include "graph.h"
#include "query/query.h"
#include "select.h"
#include "store/store.h"
#include "streamvault.h"

static const char usage_text[] =
    "Usage: streamvault graph [OPTIONS] STORE... [QUERY]\n"
    "       streamvault graph --diff [OPTIONS] OLD NEW [QUERY]\n"
    "\n"
    "Write the service dependency graph of the entries of one or more stores that\n"
    "match QUERY (a KFL filter, docs/KFL.md; default: every entry): a node per\n"
    "identity, an edge per (client, server, protocol) labelled with requests,\n"
    "errors, latency p50/p99 and bytes (docs/GRAPH.md). The last argument is the\n"
    "query unless it names an existing file or directory.\n"
    "\n"
    "Options:\n"
    "  -o, --output FILE     write to FILE instead of standard output ('-'); FILE.svg,\n"
    "                        .png and .pdf are rendered with Graphviz's dot, FILE.json\n"
    "                        is JSON, anything else DOT\n"
    "  -f, --format FMT      dot (default) or json\n"
    "  -g, --group-by WHAT   name (default), pod, service, namespace, node (the capture\n"
    "                        node, then the name) or ip; an endpoint without a name of\n"
    "                        that kind stands for its IP\n"
    "  -q, --query QUERY     the KFL filter (instead of the last argument)\n"
    "      --diff            compare two stores: edges only in NEW are added (green,\n"
    "                        '+'), edges only in OLD removed (red, dashed, '-'), the\n"
    "                        others grey\n"
    "      --now TIME        what now() is (RFC 3339 or Unix seconds; default: the clock)\n"
    "  -h, --help            this help\n"
    "\n"
    "Exit status: 0 success (with --diff: the same edges); 1 with --diff: an edge was\n"
    "added or removed; 2 usage error or a query that does not compile; 3 a store\n"
    "could not be read, rendering failed, or the output did not all reach standard\n"
    "output.\n";

enum { OPT_DIFF = 256, OPT_NOW };

static const char short_opts[] = "o:f:g:q:h";

static const struct option long_opts[] = {
    { "output", required_argument, NULL, 'o' },
    { "format", required_argument, NULL, 'f' },
    { "group-by", required_argument, NULL, 'g' },
    { "query", required_argument, NULL, 'q' },
    { "diff", no_argument, NULL, OPT_DIFF },
    { "now", required_argument, NULL, OPT_NOW },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
};

enum out_fmt { OUT_DOT, OUT_JSON, OUT_SVG, OUT_PNG, OUT_PDF };

static const char *const render_types[] = { [OUT_SVG] = "svg", [OUT_PNG] = "png",
                                            [OUT_PDF] = "pdf" };

/* Whether s ends with suffix, in any case (deps.SVG is an SVG too). */
static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);

    return n >= k && strcasecmp(s + n - k, suffix) == 0;
}

static bool path_exists(const char *p)
{
    struct stat st;

    return stat(p, &st) == 0;
}

/* The path of an executable name in $PATH (malloc'd), or NULL. */
static char *find_in_path(const char *name)
{
    const char *path = getenv("PATH");

    while (path && *path) {
        const char *colon = strchr(path, ':');
        size_t n = colon ? (size_t)(colon - path) : strlen(path);
        char *dir = fs_printf("%.*s", (int)n, path);
        char *full = fs_join(n ? dir : ".", name);
        struct stat st;

        free(dir);
        if (stat(full, &st) == 0 && S_ISREG(st.st_mode) && access(full, X_OK) == 0)
            return full;
        free(full);
        path = colon ? colon + 1 : NULL;
    }
    return NULL;
}

/*
 * Feeds in[0..n) to the pipe wfd while reading the pipe rfd into out, until
 * rfd ends (both nonblocking; neither side waits on the other's pipe being
 * drained). Closes both. 0, or -1 with errno set.
 */
static int pump(int wfd, const uint8_t *in, size_t n, int rfd, struct buf *out)
{
    size_t done = 0;
    int rc = 0;

    fcntl(wfd, F_SETFL, fcntl(wfd, F_GETFL) | O_NONBLOCK);
    fcntl(rfd, F_SETFL, fcntl(rfd, F_GETFL) | O_NONBLOCK);
    if (n == 0) {
        close(wfd);
        wfd = -1;
    }
    while (rc == 0) {
        struct pollfd pf[2] = { { rfd, POLLIN, 0 }, { wfd, POLLOUT, 0 } };

        if (poll(pf, wfd >= 0 ? 2 : 1, -1) < 0) {
            if (errno != EINTR)
                rc = -1;
            continue;
        }
        if (wfd >= 0 && (pf[1].revents & (POLLOUT | POLLERR | POLLHUP))) {
            ssize_t w = write(wfd, in + done, n - done);

            if (w > 0)
                done += (size_t)w;
            if ((w < 0 && errno != EAGAIN && errno != EINTR) || done == n) {
                close(wfd);     /* all of it, or dot stopped reading: it says why */
                wfd = -1;
            }
        }
        if (pf[0].revents & (POLLIN | POLLERR | POLLHUP)) {
            uint8_t chunk[65536];
            ssize_t r = read(rfd, chunk, sizeof chunk);

            if (r == 0)
                break;
            if (r > 0 && buf_append(out, chunk, (size_t)r) < 0) {
                errno = ENOMEM;
                rc = -1;
            } else if (r < 0 && errno != EAGAIN && errno != EINTR) {
                rc = -1;
            }
        }
    }
    if (wfd >= 0)
        close(wfd);
    close(rfd);
    return rc;
}

/*
 * Renders DOT text through `dot -T<type>`, reading what dot writes on its
 * standard output, and writes that to out as any output file is (beside it,
 * then renamed into place): a file whose write fails (a full disk) is an
 * error and leaves nothing, whatever dot's exit status says about its own
 * writes. Returns EXIT_OK or EXIT_ERROR after having said why.
 */
static int render(const struct buf *dot_text, const char *type, const char *out)
{
    char *dot = find_in_path("dot");
    struct sigaction ign = { .sa_handler = SIG_IGN }, old;
    struct buf img;
    struct diag d;
    int in[2], res[2], status = 0, rc = EXIT_ERROR, prc;
    pid_t pid;

    diag_clear(&d);
    buf_init(&img, SIZE_MAX);
    if (!dot) {
        cli_error("%s: rendering %s needs Graphviz's dot, which is not in PATH (install "
                  "graphviz, or write DOT with -o FILE.dot)", out, type);
        return EXIT_ERROR;
    }
    if (pipe(in) < 0) {
        cli_error("%s: pipe: %s", out, strerror(errno));
        goto out_free;
    }
    if (pipe(res) < 0) {
        cli_error("%s: pipe: %s", out, strerror(errno));
        close(in[0]);
        close(in[1]);
        goto out_free;
    }
    pid = fork();
    if (pid < 0) {
        cli_error("%s: fork: %s", out, strerror(errno));
        close(in[0]);
        close(in[1]);
        close(res[0]);
        close(res[1]);
        goto out_free;
    }
    if (pid == 0) {
        char targ[16];

        snprintf(targ, sizeof targ, "-T%s", type);
        if (dup2(in[0], STDIN_FILENO) < 0 || dup2(res[1], STDOUT_FILENO) < 0)
            _exit(127);
        close(in[0]);
        close(in[1]);
        close(res[0]);
        close(res[1]);
        execl(dot, "dot", targ, (char *)NULL);
        _exit(127);
    }
    close(in[0]);
    close(res[1]);
    /* dot may exit early: a write to its pipe must fail with EPIPE, not kill us */
    sigaction(SIGPIPE, &ign, &old);
    prc = pump(in[1], (const uint8_t *)dot_text->data, dot_text->len, res[0], &img);
    sigaction(SIGPIPE, &old, NULL);
    if (prc < 0)
        cli_error("%s: reading %s -T%s: %s", out, dot, type, strerror(errno));
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            cli_error("%s: waitpid: %s", out, strerror(errno));
            goto out_free;
        }
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
            cli_error("%s: could not run %s", out, dot);
        else if (WIFEXITED(status))
            cli_error("%s: %s -T%s failed (exit %d)", out, dot, type, WEXITSTATUS(status));
        else
            cli_error("%s: %s -T%s was killed by signal %d", out, dot, type,
                      WIFSIGNALED(status) ? WTERMSIG(status) : 0);
        goto out_free;
    }
    if (prc < 0)
        goto out_free;
    if (img.len == 0) {
        cli_error("%s: %s -T%s wrote nothing", out, dot, type);
        goto out_free;
    }
    fs_remove_stale_beside(out);
    if (fs_write_file_atomic(out, img.data, img.len, &d) < 0) {
        cli_diag(&d);
        goto out_free;
    }
    rc = EXIT_OK;
out_free:
    buf_release(&img);
    free(dot);
    return rc;
}

/*
 * Opens the stores paths[0..n), runs the selection and builds its graph;
 * *out stays NULL when a store was replaced while it was read (the graph
 * would mix the old store and the new).
 */
static int graph_of(char *const *paths, size_t n, const struct q_query *q, const char *query,
                    enum graph_group by, struct graph **out)
{
    struct store **stores = NULL;
    struct sel sel = { 0 };
    size_t nstores = 0, bad = 0;
    int rc;

    *out = NULL;
    rc = sel_open_stores(paths, n, &stores, &nstores);
    if (rc != EXIT_OK)
        goto out;
    rc = sel_run(&sel, stores, nstores, q, query, SEL_NO_RECORDS);
    if (rc != EXIT_OK)
        goto out;
    if (q_limit(q) < sel.nrows)
        sel.nrows = (size_t)q_limit(q);     /* limit(n): the first n entries, as query does */
    if (graph_build(&sel, by, out, &bad) < 0) {
        const struct sel_row *r = &sel.rows[bad];

        cli_error("%s: entries: stream %llu entry %u: corrupt entry record",
                  sel.srcs[r->src].name, (unsigned long long)r->stream, r->index);
        rc = EXIT_ERROR;
        goto out;
    }
    if (sel.partial)
        rc = EXIT_ERROR;        /* a corrupt segment was reported; the graph lacks it */
out:
    sel_release(&sel);
    if (*out && sel_replaced(stores, nstores)) {
        graph_free(*out);
        *out = NULL;
    }
    rc = sel_close_stores(stores, nstores, rc);
    return rc;
}

/* Writes the text to out (atomically) or to standard output. */
static int write_text(const struct buf *b, const char *out)
{
    struct diag d;

    diag_clear(&d);
    if (out) {
        fs_remove_stale_beside(out);
        if (fs_write_file_atomic(out, b->data, b->len, &d) < 0)
            return cli_diag(&d);
        return EXIT_OK;
    }
    /* a short write leaves stdout's error set: main's cli_stdout_ok() reports it */
    if (b->len)
        fwrite(b->data, 1, b->len, stdout);
    return EXIT_OK;
}

int cmd_graph(int argc, char **argv)
{
    enum graph_group by = GRAPH_BY_NAME;
    enum out_fmt fmt = OUT_DOT;
    bool fmt_given = false, diff = false, positional = false;
    const char *out = NULL, *query = NULL;
    struct q_opts qo = { 0 };
    struct q_query *q = NULL;
    struct graph *g = NULL, *g2 = NULL, *dg = NULL;
    struct buf text;
    int c, rc = EXIT_OK, npos;

    buf_init(&text, SIZE_MAX);
    optind = 1;
    while ((c = getopt_long(argc, argv, short_opts, long_opts, NULL)) != -1) {
        switch (c) {
        case 'o':
            out = strcmp(optarg, "-") == 0 ? NULL : optarg;
            break;
        case 'f':
            if (strcmp(optarg, "dot") == 0)
                fmt = OUT_DOT;
            else if (strcmp(optarg, "json") == 0)
                fmt = OUT_JSON;
            else
                return cli_usage("graph", "--format: expected dot or json, not '%s'", optarg);
            fmt_given = true;
            break;
        case 'g':
            if (!graph_group_parse(optarg, &by))
                return cli_usage("graph",
                                 "--group-by: expected name, pod, service, namespace, node or "
                                 "ip, not '%s'",
                                 optarg);
            break;
        case 'q':
            query = optarg;
            break;
        case OPT_DIFF:
            diff = true;
            break;
        case OPT_NOW:
            if (cli_time("graph", "--now", optarg, &qo.now_ns) != EXIT_OK)
                return EXIT_USAGE;
            qo.now_set = true;
            break;
        case 'h':
            fputs(usage_text, stdout);
            return EXIT_OK;
        default:
            return cli_bad_option("graph", short_opts, long_opts, argv);
        }
    }
    npos = argc - optind;
    /* the last argument is the query unless it is a path (or -q gave one) */
    if (!query && npos >= 2 && !path_exists(argv[argc - 1])) {
        query = argv[argc - 1];
        positional = true;
        npos--;
    }
    if (npos < 1)
        return cli_usage("graph", "expected STORE... [QUERY]");
    if (diff && npos == 1 && positional)
        return cli_usage("graph", "--diff: expected two stores, OLD and NEW (no file or "
                         "directory '%s': it was read as the query)", query);
    if (diff && npos != 2)
        return cli_usage("graph", "--diff: expected two stores, OLD and NEW, not %d", npos);
    if (out && (ends_with(out, ".svg") || ends_with(out, ".png") || ends_with(out, ".pdf"))) {
        if (fmt_given)
            return cli_usage("graph", "--format %s: %s is rendered by Graphviz (.svg, .png, "
                                      ".pdf); drop --format or name a .dot or .json file",
                             fmt == OUT_JSON ? "json" : "dot", out);
        fmt = ends_with(out, ".svg") ? OUT_SVG : ends_with(out, ".png") ? OUT_PNG : OUT_PDF;
    } else if (out && !fmt_given && ends_with(out, ".json")) {
        fmt = OUT_JSON;
    }
    if (out) {
        rc = cli_check_out("graph", "-o", out, argv + optind, (size_t)npos);
        if (rc != EXIT_OK)
            return rc;
    }
    if (!query)
        query = "";
    if (sel_compile(query, &qo, &q) != EXIT_OK) {
        if (positional && !strpbrk(query, " \t\n"))      /* one word: a store's path? */
            cli_error("graph: (no file or directory '%s': it was read as the query)", query);
        return EXIT_USAGE;
    }
    rc = graph_of(argv + optind, diff ? 1 : (size_t)npos, q, query, by, &g);
    if (rc != EXIT_OK && !g)
        goto out;
    if (diff) {
        int rc2 = graph_of(argv + optind + 1, 1, q, query, by, &g2);

        if (!g2) {
            rc = rc2;
            goto out;
        }
        if (rc2 != EXIT_OK)
            rc = rc2;
        dg = graph_diff(g, g2);
    }
    if ((fmt == OUT_JSON ? graph_json(dg ? dg : g, &text) : graph_dot(dg ? dg : g, &text)) < 0) {
        cli_error("graph: out of memory");
        rc = EXIT_ERROR;
        goto out;
    }
    {
        int wrc = fmt == OUT_SVG || fmt == OUT_PNG || fmt == OUT_PDF
                      ? render(&text, render_types[fmt], out)
                      : write_text(&text, out);

        if (wrc != EXIT_OK)
            rc = wrc;
    }
    if (rc == EXIT_OK && dg && graph_changed(dg))
        rc = EXIT_ASSERT;
out:
    buf_release(&text);
    graph_free(dg);
    graph_free(g2);
    graph_free(g);
    q_free(q);
    return rc;
}
