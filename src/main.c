/* SPDX-License-Identifier: BSD-2-Clause */
/* summary: the streamvault command: dispatch to one cmd_<command>.c per command */
#include "config.h"

#include <malloc.h>
#include <stdio.h>
#include <string.h>

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

int main(int argc, char **argv)
{
    /*
     * Packets too large for a pooled buffer chunk (up to 256 KiB each) are
     * malloc'd and freed at a high rate on some captures (TSO/GRO loopback
     * traffic): keep them in the heap instead of fresh mmaps, and do not
     * hand freed heap back to the kernel, so ingest does not fault in and
     * zero the same memory over and over.
     */
    mallopt(M_MMAP_THRESHOLD, 4 << 20);
    mallopt(M_TRIM_THRESHOLD, 256 << 20);
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
        printf("streamvault %s\n", sv_version());
        return EXIT_OK;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].fn(argc - 1, argv + 1);
    return cli_usage(NULL, "unknown command '%s'", argv[1]);
}
