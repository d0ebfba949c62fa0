/* SPDX-License-Identifier: BSD-2-Clause */
/* summary: the streamvault command: dispatch to one cmd_<command>.c per command */
#include "config.h"

#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "streamvault.h"

static const struct command {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
} commands[] = {
    { "ingest", cmd_ingest, "split captures into a store of per-stream PCAPs" },
    { "query", cmd_query, "print a store's entries (request/response pairs)" },
    { "streams", cmd_streams, "list a store's L4 streams, or write them out as files" },
    { "export", cmd_export, "write the streams a query matches as a tar.gz bundle" },
    { "snapshot", cmd_snapshot, "write the streams active in a time window as a tar.gz bundle" },
    { "graph", cmd_graph, "write a store's service dependency graph (DOT, JSON, SVG, PNG, PDF)" },
    { "names", cmd_names, "import, show and resolve the name resolution history" },
    { "info", cmd_info, "show a store's manifest: inputs, nodes, packet accounting" },
};

static void usage(FILE *f)
{
    fprintf(f, "Usage: streamvault COMMAND [OPTIONS] ...\n\n"
               "An offline forensic batch processor for packet captures.\n\n"
               "Commands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\nRun 'streamvault COMMAND --help' for a command's options.\n"
               "Options: --help, --version.\n");
}

/*
 * Transparent huge pages for malloc's memory (glibc 2.35's tunable
 * glibc.malloc.hugetlb=1). Ingest touches about a gigabyte of heap per
 * gigabyte of capture, most of it in the threads' arenas, and with 4 KiB
 * pages the faults and TLB misses were a quarter of its time (1 GiB gencap
 * capture, -j 2: 6.9 s -> 4.9 s, --no-dissect 1.5 s -> 1.1 s; peak RSS
 * +15 % with dissection, the same without). glibc reads its tunables only
 * as a process starts, so where the kernel gives huge pages to memory that
 * asks for them ("[madvise]" in /sys/kernel/mm/transparent_hugepage/enabled;
 * "always" needs nothing, "never" allows nothing) ingest starts itself once
 * more with the tunable added. SV_THP=0, a GLIBC_TUNABLES that sets it
 * already, or valgrind leave the process as it is; so does a failed exec.
 */
static void malloc_huge_pages(char **argv)
{
#if defined(__linux__) && defined(__GLIBC_PREREQ)
#if __GLIBC_PREREQ(2, 35)
    const char *off = getenv("SV_THP"), *t = getenv("GLIBC_TUNABLES");
    const char *pre = getenv("LD_PRELOAD");
    char mode[128] = "", *v;
    size_t n;
    FILE *f;

    if ((off && strcmp(off, "0") == 0) || (t && strstr(t, "glibc.malloc.hugetlb")) ||
        (pre && strstr(pre, "vgpreload")))
        return;
    f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
    if (!f)
        return;
    if (!fgets(mode, sizeof mode, f))
        mode[0] = 0;
    fclose(f);
    if (!strstr(mode, "[madvise]"))
        return;
    n = (t ? strlen(t) : 0) + sizeof ":glibc.malloc.hugetlb=1";
    v = malloc(n);
    if (!v)
        return;
    snprintf(v, n, "%s%sglibc.malloc.hugetlb=1", t ? t : "", t && *t ? ":" : "");
    /* v begins with the tunables as they were: t itself may go with setenv */
    if (setenv("GLIBC_TUNABLES", v, 1) == 0)
        execv("/proc/self/exe", argv);
    /* still here: go on with 4 KiB pages, the environment as it was */
    if (t) {
        v[n - sizeof ":glibc.malloc.hugetlb=1"] = 0;
        setenv("GLIBC_TUNABLES", v, 1);
    } else {
        unsetenv("GLIBC_TUNABLES");
    }
    free(v);
#endif
#endif
    (void)argv;
}

/*
 * A command's exit status, made an error when what it printed did not all get
 * out (also after a match failure: graph --diff's 1 must not stand for output
 * that was lost).
 */
static int finish(const char *cmd, int rc)
{
    if ((rc == EXIT_OK || rc == EXIT_ASSERT) && !cli_stdout_ok(cmd))
        return EXIT_ERROR;
    return rc;
}

int main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "ingest") == 0)
        malloc_huge_pages(argv);
    /*
     * Packets too large for a pooled buffer chunk (up to 256 KiB each) are
     * malloc'd and freed at a high rate on some captures (TSO/GRO loopback
     * traffic): keep them in the heap instead of fresh mmaps, and do not
     * hand freed heap back to the kernel, so ingest does not fault in and
     * zero the same memory over and over.
     */
    mallopt(M_MMAP_THRESHOLD, 4 << 20);
    mallopt(M_TRIM_THRESHOLD, 256 << 20);
    /*
     * A write past the file size limit (ulimit -f) fails with EFBIG and is
     * reported as a full disk is, with the file named and temporary files
     * removed, instead of SIGXFSZ ending the process without a word.
     */
    signal(SIGXFSZ, SIG_IGN);
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return finish("help", EXIT_OK);
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
        printf("streamvault %s\n", sv_version());
        return finish("version", EXIT_OK);
    }
    opterr = 0;     /* the commands report a bad option themselves (cli_bad_option) */
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return finish(commands[i].name, commands[i].fn(argc - 1, argv + 1));
    return cli_usage(NULL, "unknown command '%s'", argv[1]);
}
