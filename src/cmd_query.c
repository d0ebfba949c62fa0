/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: streamvault query: print the entries of one or more stores.
 *
 * Entries come from the stores' index segments (lib/index) and are printed
 * in request time order (ties: store, node, stream id, index), so the
 * output does not depend on how the stores were ingested. A corrupt segment
 * is reported and skipped; the exit status then says so. The filter is a
 * KFL query (lib/query, docs/KFL.md); src/select.c does the selecting.
 * --fields and --sort are KFL expressions too, evaluated on each printed
 * entry's JSON (q_value).
 */
#include "config.h"

#include <getopt.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/addr.h"
#include "base/buf.h"
#include "base/diag.h"
#include "base/timefmt.h"
#include "base/xalloc.h"
#include "cli.h"
#include "entry/entry.h"
#include "index/index.h"
#include "json/json.h"
#include "query/query.h"
#include "select.h"
#include "store/store.h"
#include "streamvault.h"

static const char usage_text[] =
    "Usage: streamvault query [OPTIONS] STORE... QUERY\n"
    "\n"
    "Print the entries (request/response pairs) of one or more stores that match\n"
    "QUERY, a KFL filter (docs/KFL.md; '' matches every entry), in request time\n"
    "order. Example: 'grpc and request.headers[\"Authorization\"] == r\"Token.*\"'\n"
    "\n"
    "Options:\n"
    "  -f, --format FMT      table (default), json (one array), ndjson (one object a\n"
    "                        line), csv (RFC 4180, a header line first)\n"
    "  -F, --fields LIST     print these KFL expressions instead of the whole entry, e.g.\n"
    "                        'src.name,dst.name,request.path,response.status'\n"
    "  -s, --sort EXPR       order by a KFL expression (numbers, then strings, then\n"
    "                        booleans, then objects; null last; ties: request time)\n"
    "  -r, --desc            with --sort: largest first (null still last)\n"
    "  -n, --limit N         print at most N entries (after sorting)\n"
    "  -c, --count           print only the number of matching entries\n"
    "  -b, --bodies          with json/ndjson: the kept body bytes too (HAR's postData and\n"
    "                        content: base64 \"text\", \"truncated\" when cut)\n"
    "      --now TIME        what now() is (RFC 3339 or Unix seconds; default: the clock)\n"
    "      --explain         print the query's tree and plan, and nothing else\n"
    "  -h, --help            this help\n"
    "\n"
    "Exit status: 0 success; 2 usage error or a query that does not compile (the\n"
    "message points at the fault); 3 a store or segment could not be read, or the\n"
    "output did not all reach standard output.\n";

static const char short_opts[] = "f:F:s:rn:cbh";

static const struct option long_opts[] = {
    { "format", required_argument, NULL, 'f' },
    { "fields", required_argument, NULL, 'F' },
    { "sort", required_argument, NULL, 's' },
    { "desc", no_argument, NULL, 'r' },
    { "limit", required_argument, NULL, 'n' },
    { "count", no_argument, NULL, 'c' },
    { "bodies", no_argument, NULL, 'b' },
    { "now", required_argument, NULL, 'N' },
    { "explain", no_argument, NULL, 'E' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
};

enum fmt { FMT_TABLE, FMT_JSON, FMT_NDJSON, FMT_CSV };

/* A KFL expression to print (--fields) or to sort by (--sort). */
struct field {
    char *label;                /* as written, trimmed */
    struct q_query *q;
};

/* What --sort compares: a class, then the number or the text. */
enum key_class { K_NUM, K_STR, K_BOOL, K_JSON, K_NULL };
struct key {
    uint8_t cls;
    double n;
    bool isint;                 /* K_NUM: an integer, exactly in i */
    int64_t i;
    char *s;                    /* K_STR, K_JSON (compact text) */
    size_t len;
    size_t row;                 /* position in time order: the tie-break */
};

static bool desc_order;

static const char *nz(const char *s)
{
    return s ? s : "";
}

/* "GET /path" / "A example.com" / ...: the request and response in a few words. */
static void summary(const struct jv *e, char *req, size_t rn, char *resp, size_t sn)
{
    const struct jv *q = jv_get(e, "request"), *r = jv_get(e, "response");
    const char *a, *b;
    uint64_t u;

    req[0] = resp[0] = 0;
    if ((a = jv_get_str(q, "method")) && (b = jv_get_str(q, "url")))
        snprintf(req, rn, "%s %s", a, b);
    else if ((a = jv_get_str(q, "method")))
        snprintf(req, rn, "%s", a);
    else if ((a = jv_get_str(q, "command")))
        snprintf(req, rn, "%s %s", a, nz(jv_get_str(q, "key")));
    else if ((a = jv_get_str(q, "apiKeyName")))
        snprintf(req, rn, "%s", a);
    else if ((a = jv_get_str(q, "sni")))
        snprintf(req, rn, "ClientHello %s", a);
    else if (jv_len(jv_get(q, "questions")) > 0)
        snprintf(req, rn, "%s %s", nz(jv_get_str(jv_at(jv_get(q, "questions"), 0), "type")),
                 nz(jv_get_str(jv_at(jv_get(q, "questions"), 0), "name")));
    else if (jv_get_u64(q, "packets", &u))
        snprintf(req, rn, "%llu packets", (unsigned long long)u);
    if (jv_get_u64(r, "status", &u))
        snprintf(resp, sn, "%llu", (unsigned long long)u);
    else if ((a = jv_get_str(r, "rcode")) || (a = jv_get_str(r, "type")) ||
             (a = jv_get_str(r, "method")) || (a = jv_get_str(r, "cipherSuite")))
        snprintf(resp, sn, "%s", a);
    else if (jv_get_u64(r, "packets", &u))
        snprintf(resp, sn, "%llu packets", (unsigned long long)u);
}

static const char *const default_cols[] = {
    "time", "protocol", "src", "dst", "request", "response", "elapsed_ms",
};
#define NDEFAULT (sizeof default_cols / sizeof *default_cols)

/* The default columns of the table and of csv: what an analyst scans first. */
static void default_cells(const struct jv *e, char cells[NDEFAULT][128])
{
    const struct jv *pr = jv_get(e, "protocol"), *s = jv_get(e, "src"), *d = jv_get(e, "dst");
    uint64_t sp = 0, dp = 0, el = 0;

    summary(e, cells[4], sizeof cells[4], cells[5], sizeof cells[5]);
    jv_get_u64(s, "port", &sp);
    jv_get_u64(d, "port", &dp);
    jv_get_u64(e, "elapsedTime", &el);
    snprintf(cells[0], sizeof cells[0], "%s", nz(jv_get_str(e, "startTime")));
    snprintf(cells[1], sizeof cells[1], "%s", nz(jv_get_str(pr, "abbr")));
    snprintf(cells[2], sizeof cells[2], "%s:%llu", nz(jv_get_str(s, "ip")),
             (unsigned long long)sp);
    snprintf(cells[3], sizeof cells[3], "%s:%llu", nz(jv_get_str(d, "ip")),
             (unsigned long long)dp);
    snprintf(cells[6], sizeof cells[6], "%llu", (unsigned long long)el);
}

static void print_table_row(FILE *out, const struct jv *e)
{
    char c[NDEFAULT][128], *t[NDEFAULT];

    static const size_t width[NDEFAULT - 1] = { 30, 6, 41, 41, 60, 10 };

    default_cells(e, c);
    for (size_t k = 0; k < NDEFAULT; k++)
        t[k] = cli_table_safe(c[k], strlen(c[k]));
    /* padded by columns on the terminal, not bytes: names and paths may be any script */
    for (size_t k = 0; k + 1 < NDEFAULT; k++) {
        cli_put_cell(out, t[k], width[k]);
        putc(' ', out);
    }
    fprintf(out, "%6s\n", t[NDEFAULT - 1]);
    for (size_t k = 0; k < NDEFAULT; k++)
        free(t[k]);
}

/* One CSV cell (RFC 4180): quoted when it holds a comma, a quote, CR or LF. */
static void put_csv(FILE *out, const char *s, size_t n, bool last)
{
    if (strcspn(s, ",\"\r\n") < n || memchr(s, 0, n)) {
        putc('"', out);
        for (size_t i = 0; i < n; i++) {
            if (s[i] == '"')
                putc('"', out);
            putc(s[i], out);
        }
        putc('"', out);
    } else {
        fwrite(s, 1, n, out);
    }
    fputs(last ? "\r\n" : ",", out);
}

/*
 * A value as a table or CSV cell, its bytes (*n of them, NULs included)
 * malloc'd: strings bare, null empty, the rest as JSON.
 */
static char *cell_text(const struct jv *v, size_t *n)
{
    const char *s = jv_as_strn(v, n);
    char *t;

    if (s) {
        t = xmalloc(*n + 1);
        memcpy(t, s, *n);
        t[*n] = '\0';
        return t;
    }
    t = !v || jv_is_null(v) ? xstrdup("") : jv_dump(v, JV_COMPACT);
    *n = strlen(t);
    return t;
}

/* Splits LIST at the commas outside quotes, brackets and parentheses. */
static bool split_fields(const char *list, struct field **out, size_t *n)
{
    const char *p = list;

    while (*p) {
        const char *st = p, *e;
        int depth = 0;
        char quote = 0;

        for (; *p && (quote || depth || *p != ','); p++) {
            if (quote) {
                if (*p == '\\' && p[1])
                    p++;
                else if (*p == quote)
                    quote = 0;
            } else if (*p == '"' || *p == '\'') {
                quote = *p;
            } else if (*p == '(' || *p == '[') {
                depth++;
            } else if ((*p == ')' || *p == ']') && depth > 0) {
                depth--;
            }
        }
        e = p;
        while (st < e && (*st == ' ' || *st == '\t'))
            st++;
        while (e > st && (e[-1] == ' ' || e[-1] == '\t'))
            e--;
        if (e == st)
            return false;
        *out = xrealloc(*out, (*n + 1) * sizeof **out);
        (*out)[*n].label = xmalloc((size_t)(e - st) + 1);
        memcpy((*out)[*n].label, st, (size_t)(e - st));
        (*out)[*n].label[e - st] = 0;
        (*out)[*n].q = NULL;
        (*n)++;
        if (*p == ',' && !*++p)
            return false;
    }
    return *n > 0;
}

/* Compiles f as an expression; prints the fault and returns false if it does not compile. */
static bool compile_field(struct field *f, const struct q_opts *qo, const char *opt)
{
    struct q_error qe;

    if (q_compile(f->label, strlen(f->label), qo, &f->q, &qe) < 0) {
        char *t = q_error_text(f->label, strlen(f->label), &qe);
        size_t skip = strncmp(t, "query: ", 7) == 0 ? 7 : 0;

        cli_error("query: %s: %s", opt, t + skip);
        free(t);
        return false;
    }
    if (q_limit(f->q) != UINT64_MAX) {
        cli_error("query: %s: limit() belongs in the query, not in '%s'", opt, f->label);
        return false;
    }
    return true;
}

static void key_of(const struct jv *v, struct key *k)
{
    const char *s = jv_as_strn(v, &k->len);
    bool b;

    if (s) {
        k->cls = K_STR;
        k->s = xmalloc(k->len + 1);
        memcpy(k->s, s, k->len + 1);    /* NUL bytes included */
    } else if (!v || jv_is_null(v)) {
        k->cls = K_NULL;
    } else if (jv_as_bool(v, &b)) {
        k->cls = K_BOOL;
        k->n = b;
    } else if (jv_as_num(v, &k->n) && !isnan(k->n)) {
        k->cls = K_NUM;
        k->isint = jv_as_i64(v, &k->i);
    } else {
        k->cls = K_JSON;
        k->s = jv_dump(v, JV_COMPACT);
        k->len = strlen(k->s);
    }
}

static int cmp_key(const void *a, const void *b)
{
    const struct key *x = a, *y = b;
    int r = 0;

    if (x->cls != y->cls) {
        if (x->cls == K_NULL || y->cls == K_NULL)
            return x->cls == K_NULL ? 1 : -1;           /* null last, either way */
        r = x->cls < y->cls ? -1 : 1;
    } else if (x->cls == K_NUM) {
        r = q_num_cmp(x->isint, x->i, x->n, y->isint, y->i, y->n);
    } else if (x->cls == K_BOOL) {
        r = (x->n > y->n) - (x->n < y->n);
    } else if (x->cls == K_STR || x->cls == K_JSON) {
        r = memcmp(x->s, y->s, x->len < y->len ? x->len : y->len);
        if (r == 0)
            r = (x->len > y->len) - (x->len < y->len);
    }
    if (r != 0)
        return desc_order ? -r : r;
    return (x->row > y->row) - (x->row < y->row);
}

/* The JSON of a selected entry (with bodies when asked), or NULL: a corrupt record. */
static struct jv *entry_json(const struct sel *sel, size_t i, bool bodies)
{
    const struct sel_row *r = &sel->rows[i];
    const struct sel_src *s = &sel->srcs[r->src];
    struct ent_view v;
    struct jv *e;

    if (!r->rec)
        return NULL;            /* no record: reported as a corrupt one */
    (void)ent_parse(r->rec, SIZE_MAX, &v);
    e = jv_entry(&v, s->name, s->ip);
    if (e && bodies)
        jv_entry_add_bodies(e, &v);
    return e;
}

static void corrupt_error(const struct sel *sel, size_t i)
{
    const struct sel_row *r = &sel->rows[i];

    cli_error("%s: entries: stream %llu entry %u: corrupt entry record", sel->srcs[r->src].name,
              (unsigned long long)r->stream, r->index);
}

/* Reports a field's evaluation error for row i (a regex past its limits). */
static void field_error(const struct sel *sel, size_t i, const struct field *f,
                        const struct q_error *qe)
{
    const struct sel_row *r = &sel->rows[i];

    cli_error("entry %s/%llu-%u: '%s': %s", sel->srcs[r->src].name,
              (unsigned long long)r->stream, r->index, f->label, qe->msg);
}

/* Rows whose sort keys are computed per round (their records streamed, sel_each). */
#define SORT_ROUND 4096u

/* What sort_rows' rounds share. */
struct sort_job {
    const struct field *f;
    bool bodies;
    struct key *keys;
    size_t first;               /* the first row, in row order, whose key failed */
    struct q_error first_qe;
    bool first_corrupt;
};

/*
 * The keys of rows [from, to) in parallel (each thread its own context); a
 * failure is kept for the first row that had one, as a serial loop would,
 * and ends the rounds.
 */
static int sort_keys(const struct sel *sel, size_t from, size_t to, void *arg)
{
    struct sort_job *j = arg;

#pragma omp parallel
    {
        struct q_ctx *c = q_ctx_new();

#pragma omp for schedule(dynamic, 256)
        for (size_t i = from; i < to; i++) {
            struct jv *e = entry_json(sel, i, j->bodies), *v = NULL;
            struct q_error qe;
            bool corrupt = !e;

            j->keys[i].row = i;
            if (!corrupt && q_value(j->f->q, c, e, &v, &qe) >= 0) {
                key_of(v, &j->keys[i]);
            } else {
#pragma omp critical(sort_error)
                if (i < j->first) {
                    j->first = i;
                    j->first_corrupt = corrupt;
                    if (!corrupt)
                        j->first_qe = qe;
                }
            }
            jv_free(v);
            jv_free(e);
        }
        q_ctx_free(c);
    }
    return j->first != SIZE_MAX;
}

/*
 * Sorts the selection by f's value (stable: ties keep time order) and keeps
 * its first `limit` rows, so that they print as time order's do: the keys
 * are computed as the records stream by, a round of rows at a time, so that
 * only the keys are held. Rows of a segment found damaged drop out. Returns
 * EXIT_OK or EXIT_ERROR after a message.
 */
static int sort_rows(struct sel *sel, const struct field *f, bool bodies, uint64_t limit)
{
    struct sort_job j = { f, bodies, NULL, SIZE_MAX, { 0 }, false };
    size_t nkeys;
    int rc;

    j.keys = xcalloc(sel->nrows ? sel->nrows : 1, sizeof *j.keys);
    rc = sel_each(sel, SORT_ROUND, sort_keys, &j) != 0 ? EXIT_ERROR : EXIT_OK;
    nkeys = sel->nrows;         /* the rows left when damaged segments dropped theirs */
    if (rc != EXIT_OK) {
        if (j.first_corrupt)
            corrupt_error(sel, j.first);
        else
            field_error(sel, j.first, f, &j.first_qe);
    } else {
        size_t n = sel->nrows < limit ? sel->nrows : (size_t)limit;
        struct sel_row *sorted = xmalloc((n ? n : 1) * sizeof *sorted);

        qsort(j.keys, nkeys, sizeof *j.keys, cmp_key);
        for (size_t i = 0; i < n; i++)
            sorted[i] = sel->rows[j.keys[i].row];
        free(sel->rows);
        sel->rows = sorted;
        sel->nrows = n;
    }
    for (size_t i = 0; i < nkeys; i++)
        free(j.keys[i].s);
    free(j.keys);
    return rc;
}

/* A table of --fields: every cell is kept to size the columns. */
struct grid {
    char **cell;                /* row-major, nf cells a row */
    size_t nrows, nf;
};

static void grid_print(const struct grid *g, const struct field *fs)
{
    size_t *w = xcalloc(g->nf, sizeof *w);

    for (size_t k = 0; k < g->nf; k++)
        w[k] = cli_text_width(fs[k].label);
    for (size_t r = 0; r < g->nrows; r++)
        for (size_t k = 0; k < g->nf; k++) {
            size_t n = cli_text_width(g->cell[r * g->nf + k]);

            if (n > w[k])
                w[k] = n < 80 ? n : 80;
        }
    for (size_t r = 0; r <= g->nrows; r++) {
        for (size_t k = 0; k < g->nf; k++) {
            /* the header line first, then the rows; the last column is not padded */
            cli_put_cell(stdout, r == 0 ? fs[k].label : g->cell[(r - 1) * g->nf + k],
                         k + 1 < g->nf ? w[k] : 0);
            fputs(k + 1 < g->nf ? "  " : "\n", stdout);
        }
    }
    free(w);
}

/* Why a row could not be printed, reported once the rows before it are out. */
struct row_fault {
    size_t row;                 /* in sel.rows */
    const struct field *f;      /* the field that failed; NULL: a corrupt record */
    struct q_error qe;
};

/* What printing every row needs. */
struct out_job {
    struct sel *sel;            /* its records come a window at a time (sel_window) */
    enum fmt fmt;
    bool bodies;
    struct field *fs;
    size_t nf;
    struct grid *g;             /* a table of --fields: cells by position, n rows */
};

/*
 * Prints the entry at position pos of the output to out as o->fmt, whole or
 * as the fields (a table of fields: into the grid instead). False on a
 * fault, described in *f.
 */
static bool print_entry(const struct out_job *o, size_t pos, FILE *out, struct q_ctx *c,
                        struct row_fault *f)
{
    size_t nf = o->nf;
    struct jv *e = entry_json(o->sel, pos, o->bodies || nf), *obj = NULL;
    char cells[NDEFAULT][128];
    bool ok = true;

    if (!e) {
        *f = (struct row_fault){ .row = pos };
        return false;
    }
    if (nf == 0 && o->fmt == FMT_TABLE) {
        print_table_row(out, e);
    } else if (nf == 0 && o->fmt == FMT_CSV) {
        default_cells(e, cells);
        for (size_t k = 0; k < NDEFAULT; k++)
            put_csv(out, cells[k], strlen(cells[k]), k + 1 == NDEFAULT);
    } else if (nf == 0) {
        obj = e;
        e = NULL;
    } else {
        /* a CSV row's cells are written once all are there: a fault leaves no part row */
        char **csv = o->fmt == FMT_CSV ? xcalloc(nf, sizeof *csv) : NULL;
        size_t *csvn = csv ? xcalloc(nf, sizeof *csvn) : NULL;

        if (o->fmt == FMT_JSON || o->fmt == FMT_NDJSON)
            obj = jv_obj();
        for (size_t k = 0; k < nf && ok; k++) {
            struct jv *v;

            if (q_value(o->fs[k].q, c, e, &v, &f->qe) < 0) {
                f->row = pos;
                f->f = &o->fs[k];
                ok = false;
            } else if (obj) {
                jv_set(obj, o->fs[k].label, v);
            } else if (csv) {
                csv[k] = cell_text(v, &csvn[k]);
                jv_free(v);
            } else {
                size_t n;
                char *t = cell_text(v, &n);

                o->g->cell[pos * nf + k] = cli_table_safe(t, n);
                free(t);
                jv_free(v);
            }
        }
        for (size_t k = 0; csv && k < nf; k++) {
            if (ok)
                put_csv(out, csv[k], csvn[k], k + 1 == nf);
            free(csv[k]);
        }
        free(csv);
        free(csvn);
    }
    if (ok && obj) {
        char *text = jv_dump(obj, JV_COMPACT);

        fprintf(out, o->fmt == FMT_JSON ? "%s\n%s" : "%s%s\n",
                o->fmt == FMT_JSON && pos > 0 ? "," : "", text);
        free(text);
    }
    jv_free(obj);
    jv_free(e);
    return ok;
}

/* Output rows a thread renders per round: fewer when they carry bodies (up to 2 x 64 KiB). */
#define ROUND_ROWS 256
#define ROUND_ROWS_BODIES 8

/*
 * Prints positions [0, *n) of o. Rows are rendered a round at a time, each
 * thread a contiguous run of the round into a memory stream of its own,
 * then written out in order, so the output is the same at any thread count.
 * A round's records are rebuilt before it and let go after it (sel_window);
 * rows of a segment found damaged then drop out (*n: the rows printed).
 * At a fault, what came before it is written and the fault reported:
 * EXIT_ERROR. (Rendering is most of a query's time when it prints many
 * entries: JSON building and dumping.)
 */
static int print_rows(const struct out_job *o, size_t *np)
{
    struct part {
        char *text;
        size_t len;
        bool bad;
        struct row_fault f;
    } *parts;
    struct q_ctx **ctx;
    int nt = omp_get_max_threads(), rc = EXIT_OK;
    size_t per = o->bodies ? ROUND_ROWS_BODIES : ROUND_ROWS, n = *np, at;

    parts = xcalloc((size_t)nt, sizeof *parts);
    ctx = xcalloc((size_t)nt, sizeof *ctx);
    for (int t = 0; t < nt; t++)
        ctx[t] = q_ctx_new();
    for (at = 0; at < n && rc == EXIT_OK;) {
        size_t m = n - at < per * (size_t)nt ? n - at : per * (size_t)nt;
        int used = 1;

        m = sel_window(o->sel, at, at + m) - at;
        if (n > o->sel->nrows)
            n = o->sel->nrows;
        if (m == 0)
            break;

#pragma omp parallel num_threads(nt)
        {
            int t = omp_get_thread_num(), k = omp_get_num_threads();
            struct part *pt = &parts[t];
            FILE *f = open_memstream(&pt->text, &pt->len);

            if (!f)
                xdie(0);
            pt->bad = false;
            for (size_t pos = at + m * (size_t)t / (size_t)k;
                 pos < at + m * (size_t)(t + 1) / (size_t)k && !pt->bad; pos++)
                pt->bad = !print_entry(o, pos, f, ctx[t], &pt->f);
            if (fclose(f) != 0)
                xdie(pt->len);
            if (t == 0)
                used = k;
        }
        for (int t = 0; t < used; t++) {
            if (rc == EXIT_OK) {
                fwrite(parts[t].text, 1, parts[t].len, stdout);
                if (parts[t].bad && parts[t].f.f)
                    field_error(o->sel, parts[t].f.row, parts[t].f.f, &parts[t].f.qe);
                else if (parts[t].bad)
                    corrupt_error(o->sel, parts[t].f.row);
                if (parts[t].bad)
                    rc = EXIT_ERROR;
            }
            free(parts[t].text);
            parts[t].text = NULL;
        }
        sel_visited(o->sel, at, at + m);
        at += m;
    }
    *np = at < n ? at : n;
    for (int t = 0; t < nt; t++)
        q_ctx_free(ctx[t]);
    free(ctx);
    free(parts);
    return rc;
}

int cmd_query(int argc, char **argv)
{
    enum fmt fmt = FMT_TABLE;
    uint64_t limit = UINT64_MAX;
    bool count = false, bodies = false, explain = false, need_bodies;
    struct store **stores = NULL;
    size_t nstores = 0, nf = 0, n;
    const char *query, *fields_arg = NULL;
    struct field *fs = NULL, sortf = { NULL, NULL };
    struct grid g = { NULL, 0, 0 };
    struct q_opts qo = { 0 };
    struct q_query *q = NULL;
    struct sel sel = { 0 };
    int c, rc = EXIT_OK;

    desc_order = false;
    optind = 1;
    while ((c = getopt_long(argc, argv, short_opts, long_opts, NULL)) != -1) {
        switch (c) {
        case 'f':
            if (strcmp(optarg, "table") == 0)
                fmt = FMT_TABLE;
            else if (strcmp(optarg, "json") == 0)
                fmt = FMT_JSON;
            else if (strcmp(optarg, "ndjson") == 0)
                fmt = FMT_NDJSON;
            else if (strcmp(optarg, "csv") == 0)
                fmt = FMT_CSV;
            else
                return cli_usage("query",
                                 "--format: expected table, json, ndjson or csv, not '%s'",
                                 optarg);
            break;
        case 'F':
            fields_arg = optarg;
            break;
        case 's':
            free(sortf.label);
            sortf.label = xstrdup(optarg);
            break;
        case 'r':
            desc_order = true;
            break;
        case 'n':
            if (!cli_parse_uint(optarg, UINT64_MAX, &limit)) {
                rc = cli_usage("query", "--limit: expected a number, not '%s'", optarg);
                goto out;
            }
            break;
        case 'c':
            count = true;
            break;
        case 'b':
            bodies = true;
            break;
        case 'N':
            rc = cli_time("query", "--now", optarg, &qo.now_ns);
            if (rc != EXIT_OK)
                goto out;
            qo.now_set = true;
            break;
        case 'E':
            explain = true;
            break;
        case 'h':
            fputs(usage_text, stdout);
            goto out;
        default:
            rc = cli_bad_option("query", short_opts, long_opts, argv);
            goto out;
        }
    }
    if (argc - optind < 2) {
        rc = cli_usage("query", "expected STORE... QUERY");
        goto out;
    }
    if (fields_arg && !split_fields(fields_arg, &fs, &nf)) {
        rc = cli_usage("query", "--fields: expected KFL expressions separated by commas, "
                                "not '%s'", fields_arg);
        goto out;
    }
    if (desc_order && !sortf.label) {
        rc = cli_usage("query", "--desc needs --sort");
        goto out;
    }
    query = argv[argc - 1];
    rc = sel_compile(query, &qo, &q);
    if (rc != EXIT_OK)
        goto out;
    need_bodies = bodies;
    for (size_t k = 0; k < nf; k++) {
        if (!compile_field(&fs[k], &qo, "--fields")) {
            rc = EXIT_USAGE;
            goto out;
        }
        need_bodies |= q_needs_bodies(fs[k].q);
    }
    if (sortf.label) {
        if (!compile_field(&sortf, &qo, "--sort")) {
            rc = EXIT_USAGE;
            goto out;
        }
        need_bodies |= q_needs_bodies(sortf.q);
    }
    if (explain) {
        char *t = q_explain(q);

        printf("%s\n", t);
        free(t);
        goto out;
    }
    if (q_limit(q) < limit)
        limit = q_limit(q);
    rc = sel_open_stores(argv + optind, (size_t)(argc - optind - 1), &stores, &nstores);
    if (rc != EXIT_OK)
        goto out;
    /*
     * The printed rows' records are rebuilt as they are printed, a block at
     * a time (sel_window), so that a query printing a large store holds a
     * few blocks' records, not all it prints. Sorted by a field with a
     * limit, the keys are computed the same way and the rows printed are
     * rebuilt again in their sorted order (the top entries of a large store
     * cost their keys, not every record); sorted without one, every record
     * is printed in an order that visits each block all through, so they
     * are kept from the scan on and rebuilt once.
     */
    rc = sel_run(&sel, stores, nstores, q, query,
                 (need_bodies ? SEL_BODIES : 0) |
                     (count ? SEL_COUNT : sortf.q && limit == UINT64_MAX ? 0 : SEL_NO_RECORDS));
    if (rc != EXIT_OK)
        goto out;
    if (count) {
        printf("%llu\n", (unsigned long long)(sel.nrows < limit ? sel.nrows : limit));
        rc = sel.partial ? EXIT_ERROR : EXIT_OK;
        goto out;
    }
    if (sortf.q) {
        /* limit(n) selects the first n matches in time order, as graph, export and streams
         * take them; --limit then cuts the sorted list */
        if (q_limit(q) < sel.nrows)
            sel.nrows = (size_t)q_limit(q);
        rc = sort_rows(&sel, &sortf, need_bodies, limit);
        if (rc != EXIT_OK)
            goto out;
    }
    if (fmt == FMT_JSON) {
        fputs("[", stdout);
    } else if (fmt == FMT_TABLE && nf == 0) {
        printf("%-30s %-6s %-41s %-41s %-60s %-10s %6s\n", "TIME", "PROTO", "SRC", "DST",
               "REQUEST", "RESPONSE", "MS");
    } else if (fmt == FMT_CSV) {
        for (size_t k = 0; k < (nf ? nf : NDEFAULT); k++) {
            const char *l = nf ? fs[k].label : default_cols[k];

            put_csv(stdout, l, strlen(l), k + 1 == (nf ? nf : NDEFAULT));
        }
    }
    n = sel.nrows < limit ? sel.nrows : (size_t)limit;
    g.nf = nf;
    if (fmt == FMT_TABLE && nf) {
        g.cell = xcalloc(n * nf + 1, sizeof *g.cell);
        g.nrows = n;
    }
    sel_stream_begin(&sel, limit);
    {
        struct out_job o = { &sel, fmt, bodies, fs, nf, &g };

        rc = print_rows(&o, &n);
        g.nrows = g.nrows ? n : 0;
    }
    sel_stream_end(&sel);
    if (rc != EXIT_OK) {
        if (fmt == FMT_JSON)
            fputs("\n]\n", stdout);   /* what was printed stays one JSON array */
        goto out;
    }
    if (fmt == FMT_TABLE && nf)
        grid_print(&g, fs);
    else if (fmt == FMT_JSON)
        fputs(n ? "\n]\n" : "]\n", stdout);
    if (sel.partial)
        rc = EXIT_ERROR;
out:
    for (size_t i = 0; i < g.nrows * g.nf; i++)
        free(g.cell[i]);
    free(g.cell);
    sel_release(&sel);
    rc = sel_close_stores(stores, nstores, rc);
    for (size_t k = 0; k < nf; k++) {
        free(fs[k].label);
        q_free(fs[k].q);
    }
    free(fs);
    free(sortf.label);
    q_free(sortf.q);
    q_free(q);
    return rc;
}
