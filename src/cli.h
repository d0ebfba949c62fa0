/* SPDX-License-Identifier: BSD-2-Clause */
/* summary: what the commands share: exit codes, error printing, option parsing */
#ifndef SV_CLI_H
#define SV_CLI_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct diag;

enum cli_exit {
    EXIT_OK = 0,
    EXIT_ASSERT = 1,    /* an assertion or match failure, where a command defines one */
    EXIT_USAGE = 2,     /* bad command line */
    EXIT_ERROR = 3,     /* an input or system error */
};

enum cli_progress {
    CLI_PROGRESS_AUTO = 0,
    CLI_PROGRESS_ALWAYS = 1,
    CLI_PROGRESS_NEVER = 2,
};

/* "streamvault: <msg>" on stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints d's message as an error; returns EXIT_ERROR (or EXIT_USAGE for SV_EINVAL). */
int cli_diag(const struct diag *d);
/*
 * Flushes standard output and tells whether everything written to it got
 * there: false, after "streamvault: CMD: write error on standard output",
 * when this flush or any write before it failed (a full disk, a file size
 * limit, a pipe closed with SIGPIPE ignored). stdio keeps the error, so one
 * check at the end covers every printf before it.
 */
bool cli_stdout_ok(const char *cmd);
/*
 * The number of the first SIGINT, SIGTERM or SIGHUP since cli_catch_signals(),
 * else 0. A command that writes something whole (a store, a bundle) passes it
 * to the library as its cancel flag: the library stops, removes what it was
 * writing and fails with SV_EINTR, and the command exits with 128 + it.
 */
extern volatile sig_atomic_t cli_interrupted;
/* Catches SIGINT, SIGTERM and SIGHUP into cli_interrupted (not those ignored already, as
 * under nohup). */
void cli_catch_signals(void);
/*
 * What getopt_long (with opterr 0, as main sets it) turned down, as a usage
 * error: "unknown option '--bogus'", "option '-F' needs a value", "option
 * '--json' takes no value", "option '--tcp' is ambiguous (...)".
 */
struct option;
int cli_bad_option(const char *cmd, const char *short_opts, const struct option *long_opts,
                   char **argv);
/* Prints the message and a hint to --help; returns EXIT_USAGE. */
int cli_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/*
 * The time arg of option opt (RFC 3339 or Unix seconds, timefmt_parse) into
 * *ns: EXIT_OK, or EXIT_USAGE after saying what is wrong with it.
 */
int cli_time(const char *cmd, const char *opt, const char *arg, uint64_t *ns);

/*
 * Whether paths a and b name the same file: the same inode where both
 * exist, else the same resolved directory and name.
 */
bool cli_same_file(const char *a, const char *b);
/* Whether path (which need not exist) lies inside directory dir, once both are resolved. */
bool cli_inside_dir(const char *path, const char *dir);
/*
 * Refuses (EXIT_USAGE, with a message) an output path that is a directory
 * or anything else but a regular file (files go into place by rename, which
 * would replace a device, FIFO or link), or that lies inside one of the n
 * stores read: writing there could replace the store's own files.
 */
int cli_check_out(const char *cmd, const char *opt, const char *path, char *const *stores,
                  size_t n);
/*
 * n bytes as a table shows them (malloc'd): control bytes, which captured
 * traffic could use to rewrite the analyst's terminal or split a row, as
 * \n, \r, \t or \xHH (tshark prints them escaped too), C1 controls and
 * invisible or reordering characters (utf8_invisible) as \uXXXX or
 * \UXXXXXXXX, bytes that are not UTF-8 as \xHH, a backslash as \\ (so an
 * escape is never text that looks like one); other UTF-8 text as it is.
 */
char *cli_table_safe(const char *s, size_t n);
/* Columns UTF-8 text (as cli_table_safe leaves it) takes on a terminal. */
size_t cli_text_width(const char *s);
/* Prints s padded with spaces to width columns (cli_text_width), for tables. */
void cli_put_cell(FILE *f, const char *s, size_t width);
/* "1048576", "512K", "64M", "1G" (binary units). */
bool cli_parse_size(const char *s, uint64_t *out);
bool cli_parse_uint(const char *s, uint64_t max, uint64_t *out);
bool cli_parse_progress(const char *s, enum cli_progress *out);

/* Formats n bytes as "1.2 GB" style (decimal units) into out. */
void cli_human_bytes(char out[32], double n);
/* Formats a count as "1.2 M", "53 k". */
void cli_human_count(char out[32], double n);

/* The commands: argc/argv start at the command name. */
int cmd_ingest(int argc, char **argv);
int cmd_streams(int argc, char **argv);
int cmd_query(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_names(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_snapshot(int argc, char **argv);
int cmd_graph(int argc, char **argv);

#endif
