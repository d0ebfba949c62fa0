/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: writing a bundle: tar.gz through libarchive, deterministic and
 * atomic, with content.json (sha256 of every file) as its last member.
 *
 * Determinism (STYLE C9): members in byte order of their paths (content.json
 * last), modes 0644/0755, uid/gid 0 and no user or group names, mtimes from
 * the data (a node's last packet; content.json: the creation time), the
 * pax_restricted tar format (plain ustar headers unless a path or size
 * needs more) and a gzip header without time or name. A tar header needs
 * its file's size: a merged capture's size is known from the catalogue
 * (classic PCAP, whole streams) or from a first merge pass that writes
 * nothing; the second pass streams the packets through gzip.
 */
#include "config.h"

#include "bundle.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/diag.h"
#include "base/fsutil.h"
#include "base/limits.h"
#include "base/sha256.h"
#include "base/timefmt.h"
#include "base/xalloc.h"
#include "bundle_int.h"
#include "json/json.h"
#include "names/names.h"
#include "store/store.h"
#include "streamvault.h"

#define BW_COPY (1024u * 1024)          /* bytes per read when copying a stream whole */
#define BW_CONTENT "content.json"
#define BW_GZIP_LEVEL "6"

struct bw_file {
    char *path;
    char hex[SHA256_HEX];
    uint64_t bytes;
};

struct bw {
    struct archive *a;
    const char *out;            /* the bundle's path, for messages */
    const volatile sig_atomic_t *cancel;
    struct diag *d;
    struct bw_file *files;      /* every file written, in order */
    size_t nfiles, capfiles;
    /* the file being written */
    struct sha256 h;
    const char *path;
    uint64_t want, done;
};

/* What is known of a node before its files are written. */
struct bw_node {
    const struct bundle_node *in;
    struct bundle_node cut;     /* with --cut: the streams with a packet in the window */
    const struct store_node_info *info;
    char *dir;
    char *key;                  /* dir + "/": the order of the members */
    size_t ord;                 /* its place in the caller's list */
    struct bmerge_stats ms;
};

char *bundle_node_dir(const char *name, const char *ip)
{
    char *s = ip && *ip ? fs_printf("%s_%s", name, ip) : xstrdup(name);

    for (char *p = s; *p; p++) {
        char c = *p;

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == ':' || c == '-'))
            *p = '_';
    }
    if (strcmp(s, ".") == 0 || strcmp(s, "..") == 0 || !*s) {
        free(s);
        s = xstrdup("_");
    } else if (strcmp(s, BW_CONTENT) == 0) {
        /* the manifest's name: "node_" reads back as the node, with no IP */
        free(s);
        s = xstrdup(BW_CONTENT "_");
    }
    return s;
}

/* libarchive's error, as ours. */
static int arch_err(struct bw *w, const char *what)
{
    int e = archive_errno(w->a);
    const char *msg = archive_error_string(w->a);

    if (e > 0)
        return diag_errno(w->d, SV_EIO, e, "%s: %s: %s", w->out, what, msg ? msg : "write");
    return diag_set(w->d, SV_EIO, "%s: %s: %s", w->out, what, msg ? msg : "archive error");
}

static int put_header(struct bw *w, const char *path, bool dir, uint64_t size, uint64_t mtime_ns)
{
    struct archive_entry *e = archive_entry_new();
    int rc = 0;

    if (!e)
        return diag_set(w->d, SV_ENOMEM, "%s: out of memory", w->out);
    archive_entry_set_pathname(e, path);
    archive_entry_set_filetype(e, dir ? AE_IFDIR : AE_IFREG);
    archive_entry_set_perm(e, dir ? 0755 : 0644);
    archive_entry_set_size(e, (la_int64_t)size);
    archive_entry_set_mtime(e, (time_t)(mtime_ns / 1000000000u), 0);
    archive_entry_set_uid(e, 0);
    archive_entry_set_gid(e, 0);
    if (archive_write_header(w->a, e) != ARCHIVE_OK)
        rc = arch_err(w, path);
    archive_entry_free(e);
    return rc;
}

static int file_begin(struct bw *w, const char *path, uint64_t size, uint64_t mtime_ns)
{
    sha256_init(&w->h);
    w->path = path;
    w->want = size;
    w->done = 0;
    return put_header(w, path, false, size, mtime_ns);
}

/* A bmerge_sink: the bytes of the file being written. */
static int file_data(void *arg, const void *p, size_t n, struct diag *d)
{
    struct bw *w = arg;
    const char *q = p;

    (void)d;
    if (w->cancel && *w->cancel)
        return diag_set(w->d, SV_EINVAL, "%s: interrupted; nothing written", w->out);
    if (n > w->want - w->done)
        return diag_set(w->d, SV_EFORMAT, "%s: %s: more than the %llu bytes measured (store "
                        "changed while reading?)", w->out, w->path,
                        (unsigned long long)w->want);
    sha256_update(&w->h, p, n);
    w->done += n;
    while (n > 0) {
        la_ssize_t k = archive_write_data(w->a, q, n);

        if (k <= 0)
            return arch_err(w, w->path);
        q += k;
        n -= (size_t)k;
    }
    return 0;
}

static int file_end(struct bw *w)
{
    uint8_t md[SHA256_LEN];
    struct bw_file *f;

    if (w->done != w->want)
        return diag_set(w->d, SV_EFORMAT, "%s: %s: %llu bytes instead of the %llu measured "
                        "(store changed while reading?)", w->out, w->path,
                        (unsigned long long)w->done, (unsigned long long)w->want);
    if (archive_write_finish_entry(w->a) != ARCHIVE_OK)
        return arch_err(w, w->path);
    sha256_final(&w->h, md);
    xgrow((void **)&w->files, &w->capfiles, w->nfiles + 1, sizeof *w->files);
    f = &w->files[w->nfiles++];
    f->path = xstrdup(w->path);
    sha256_hex(md, f->hex);
    f->bytes = w->done;
    return 0;
}

static int file_mem(struct bw *w, const char *path, const void *p, size_t n, uint64_t mtime_ns)
{
    int rc = file_begin(w, path, n, mtime_ns);

    if (rc == 0)
        rc = file_data(w, p, n, w->d);
    if (rc == 0)
        rc = file_end(w);
    return rc;
}

/* ------------------------------------------------------------- members */

/* The node's history as Kubeshark's file and ours, when it has one. */
static int put_names(struct bw *w, const struct bw_node *n, uint64_t mtime_ns)
{
    struct names *h = names_new();
    struct buf b;
    char *path = NULL;
    int rc;

    buf_init(&b, LIM_NAMES_FILE);
    rc = store_names_load(n->in->store, n->in->node, h, w->d);
    if (rc < 0)
        goto out;
    names_seal(h);
    if (names_count(h) == 0)
        goto out;
    rc = names_write_kubeshark(h, &b);
    if (rc < 0)
        goto out_nomem;
    path = fs_printf("%s/name_resolution_history.json", n->dir);
    rc = file_mem(w, path, b.data, b.len, mtime_ns);
    if (rc < 0)
        goto out;
    free(path);
    buf_reset(&b);
    rc = names_write_native(h, &b);
    if (rc < 0)
        goto out_nomem;
    path = fs_printf("%s/names.json", n->dir);
    rc = file_mem(w, path, b.data, b.len, mtime_ns);
    goto out;
out_nomem:
    rc = diag_set(w->d, rc, "node %s: name resolution history: %s", n->info->name,
                  sv_strerror(rc));
out:
    free(path);
    buf_release(&b);
    names_free(h);
    return rc;
}

/* One stream as its own file: its bytes as stored, or (cut) its packets in the window. */
static int put_stream(struct bw *w, const struct bw_node *n, const struct store_stream *st,
                      const struct bmerge_opts *mo, struct store_reader *rd, uint8_t *chunk)
{
    struct bmerge_sink sink = { file_data, w };
    struct bmerge_stats ms;
    char name[32], *path;
    int rc;

    store_stream_name(st, name);
    path = fs_printf("%s/streams/%s", n->dir, name);
    if (mo->cut) {
        /* its mtime is its last packet in the window */
        rc = bmerge_run(n->in->store, n->in->node, &st, 1, mo, NULL, &ms, w->d);
        if (rc == 0)
            rc = file_begin(w, path, ms.out_bytes, ms.last_ns);
        if (rc == 0)
            rc = bmerge_run(n->in->store, n->in->node, &st, 1, mo, &sink, &ms, w->d);
    } else {
        rc = file_begin(w, path, st->length, st->last_ns);
        for (uint64_t off = 0; rc == 0 && off < st->length; off += BW_COPY) {
            size_t k = st->length - off < BW_COPY ? (size_t)(st->length - off) : BW_COPY;

            rc = store_reader_pread(rd, st, off, chunk, k, w->d);
            if (rc == 0)
                rc = file_data(w, chunk, k, w->d);
        }
    }
    if (rc == 0)
        rc = file_end(w);
    free(path);
    return rc;
}

static int put_node(struct bw *w, const struct bundle_opts *o, struct bw_node *n)
{
    struct bmerge_opts mo = { o->cut, o->from_ns, o->to_ns };
    struct bmerge_sink sink = { file_data, w };
    struct bmerge_stats ms;
    uint64_t mtime = n->ms.last_ns, first = n->ms.packets ? n->ms.first_ns : o->from_ns;
    char *path = fs_printf("%s/", n->dir);
    int rc;

    rc = put_header(w, path, true, 0, mtime);
    if (rc < 0)
        goto out;
    free(path);
    path = fs_printf("%s/%llu.pcap", n->dir, (unsigned long long)(first / 1000000000u));
    rc = file_begin(w, path, n->ms.out_bytes, mtime);
    if (rc == 0)
        rc = bmerge_run(n->in->store, n->in->node, n->in->streams, n->in->nstreams, &mo, &sink,
                        &ms, w->d);
    if (rc == 0)
        rc = file_end(w);
    if (rc < 0)
        goto out;
    n->ms.peak_open = ms.peak_open;
    rc = put_names(w, n, mtime);
    if (rc < 0 || !o->per_stream)
        goto out;
    free(path);
    path = fs_printf("%s/streams/", n->dir);
    rc = put_header(w, path, true, 0, mtime);
    if (rc == 0) {
        struct store_reader *rd = store_reader_new(n->in->store, n->in->node);
        uint8_t *chunk = xmalloc(BW_COPY);

        for (size_t i = 0; rc == 0 && i < n->in->nstreams; i++)
            rc = put_stream(w, n, n->in->streams[i], &mo, rd, chunk);
        free(chunk);
        store_reader_free(rd);
    }
out:
    free(path);
    return rc;
}

static struct jv *time_json(uint64_t ns)
{
    char t[TIMEFMT_LEN];

    timefmt_rfc3339(t, ns);
    return jv_str(t);
}

static char *content_json(const struct bw *w, const struct bundle_opts *o,
                          const struct bw_node *nodes, size_t nn, const struct bundle_result *r)
{
    struct jv *c = jv_obj(), *arr = jv_arr(), *files = jv_obj(), *win;
    char *text;

    jv_set(c, "format", jv_str(BUNDLE_FORMAT));
    jv_set(c, "tool", jv_str("streamvault"));
    jv_set(c, "version", jv_str(sv_version()));
    jv_set(c, "command", jv_str(o->command));
    jv_set(c, "created", time_json(o->created_ns));
    jv_set(c, "query", o->query ? jv_str(o->query) : jv_null());
    if (o->window) {
        win = jv_obj();
        jv_set(win, "from", time_json(o->from_ns));
        jv_set(win, "to", time_json(o->to_ns));
    } else {
        win = jv_null();
    }
    jv_set(c, "window", win);
    jv_set(c, "cut", jv_bool(o->cut));
    for (size_t i = 0; i < nn; i++) {
        const struct bw_node *n = &nodes[i];
        struct jv *j = jv_obj();
        char *file = fs_printf("%s/%llu.pcap", n->dir,
                               (unsigned long long)((n->ms.packets ? n->ms.first_ns
                                                                   : o->from_ns) / 1000000000u));

        jv_set(j, "name", jv_str(n->info->name));
        jv_set(j, "ip", jv_str(n->info->ip ? n->info->ip : ""));
        jv_set(j, "dir", jv_str(n->dir));
        jv_set(j, "capture", jv_str(file));
        jv_set(j, "streams", jv_u64(n->in->nstreams));
        jv_set(j, "packets", jv_u64(n->ms.packets));
        jv_set(j, "bytes", jv_u64(n->ms.bytes));
        jv_set(j, "first", n->ms.packets ? time_json(n->ms.first_ns) : jv_null());
        jv_set(j, "last", n->ms.packets ? time_json(n->ms.last_ns) : jv_null());
        jv_push(arr, j);
        free(file);
    }
    jv_set(c, "nodes", arr);
    jv_set(c, "streams", jv_u64(r->streams));
    jv_set(c, "packets", jv_u64(r->packets));
    jv_set(c, "bytes", jv_u64(r->bytes));
    for (size_t i = 0; i < w->nfiles; i++) {
        struct jv *f = jv_obj();

        jv_set(f, "sha256", jv_str(w->files[i].hex));
        jv_set(f, "bytes", jv_u64(w->files[i].bytes));
        jv_set(files, w->files[i].path, f);
    }
    jv_set(c, "files", files);
    text = jv_dump(c, JV_PRETTY);
    jv_free(c);
    return text;
}

/* ---------------------------------------------------------------- whole */

static int cmp_node(const void *a, const void *b)
{
    const struct bw_node *x = a, *y = b;
    int c = strcmp(x->key, y->key);

    return c ? c : (x->ord > y->ord) - (x->ord < y->ord);
}

static bool dir_taken(const struct bw_node *v, size_t n, const char *dir)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(v[i].dir, dir) == 0)
            return true;
    return false;
}

/* Names and orders the node directories; a name given twice gets "_2", "_3"... */
static void name_nodes(struct bw_node *v, size_t n)
{
    qsort(v, n, sizeof *v, cmp_node);
    for (size_t i = 1; i < n; i++) {
        if (strcmp(v[i].dir, v[i - 1].dir) != 0 && !dir_taken(v, i, v[i].dir))
            continue;
        for (unsigned k = 2;; k++) {
            char *dir = fs_printf("%s_%u", v[i].dir, k);

            if (!dir_taken(v, n, dir)) {
                free(v[i].dir);
                v[i].dir = dir;
                break;
            }
            free(dir);
        }
    }
    for (size_t i = 0; i < n; i++) {
        free(v[i].key);
        v[i].key = fs_printf("%s/", v[i].dir);
    }
    qsort(v, n, sizeof *v, cmp_node);
}

static int open_archive(struct bw *w, int fd)
{
    w->a = archive_write_new();
    if (!w->a)
        return diag_set(w->d, SV_ENOMEM, "%s: out of memory", w->out);
    if (archive_write_set_format_pax_restricted(w->a) != ARCHIVE_OK ||
        archive_write_add_filter_gzip(w->a) != ARCHIVE_OK ||
        archive_write_set_filter_option(w->a, "gzip", "timestamp", NULL) != ARCHIVE_OK ||
        archive_write_set_filter_option(w->a, "gzip", "compression-level", BW_GZIP_LEVEL) !=
            ARCHIVE_OK ||
        /* the gzip stream ends where it ends, to a file or a pipe alike (libarchive pads
         * the last block of what is not a regular file) */
        archive_write_set_bytes_in_last_block(w->a, 1) != ARCHIVE_OK ||
        archive_write_open_fd(w->a, fd) != ARCHIVE_OK)
        return arch_err(w, "cannot start the archive");
    return 0;
}

/*
 * With --cut, the node's streams that keep a packet: a stream whose first or
 * last packet is in the window does; one that spans the whole window may
 * have none in it (a quiet gap), which only reading it tells.
 */
static int cut_streams(const struct bundle_node *in, const struct bmerge_opts *mo,
                       struct bundle_node *out, struct diag *d)
{
    *out = *in;
    out->streams = xcalloc(in->nstreams ? in->nstreams : 1, sizeof *out->streams);
    out->nstreams = 0;
    for (size_t i = 0; i < in->nstreams; i++) {
        const struct store_stream *st = in->streams[i];
        bool kept = (st->first_ns >= mo->from_ns && st->first_ns <= mo->to_ns) ||
                    (st->last_ns >= mo->from_ns && st->last_ns <= mo->to_ns);

        if (!kept && st->first_ns < mo->from_ns && st->last_ns > mo->to_ns) {
            struct bmerge_stats ms;
            int rc = bmerge_run(in->store, in->node, &st, 1, mo, NULL, &ms, d);

            if (rc < 0) {
                free(out->streams);
                out->streams = NULL;
                return rc;
            }
            kept = ms.packets > 0;
        }
        if (kept)
            out->streams[out->nstreams++] = st;
    }
    return 0;
}

int bundle_write(const struct bundle_opts *o, const struct bundle_node *nodes, size_t n,
                 struct bundle_result *res, struct diag *d)
{
    bool to_stdout = strcmp(o->path, "-") == 0;
    struct bw w = { .out = to_stdout ? "standard output" : o->path, .cancel = o->cancel, .d = d };
    struct bw_node *v = xcalloc(n ? n : 1, sizeof *v);
    size_t nn = 0;
    char *tmp = NULL, *text = NULL;
    int fd = -1, rc = 0;

    memset(res, 0, sizeof *res);
    for (size_t i = 0; i < n; i++) {
        struct bmerge_opts mo = { o->cut, o->from_ns, o->to_ns };
        struct bw_node *b = &v[nn];

        if (nodes[i].nstreams == 0)
            continue;
        b->in = &nodes[i];
        if (o->cut) {
            rc = cut_streams(&nodes[i], &mo, &b->cut, d);
            if (rc < 0)
                goto out;
            if (b->cut.nstreams == 0) {
                free(b->cut.streams);
                b->cut.streams = NULL;
                continue;
            }
            b->in = &b->cut;
        }
        b->info = store_node(nodes[i].store, nodes[i].node);
        b->dir = bundle_node_dir(b->info->name, b->info->ip);
        b->key = fs_printf("%s/", b->dir);
        b->ord = i;
        nn++;
        rc = bmerge_run(b->in->store, b->in->node, b->in->streams, b->in->nstreams, &mo, NULL,
                        &b->ms, d);
        if (rc < 0)
            goto out;
        res->streams += b->in->nstreams;
        res->packets += b->ms.packets;
        res->bytes += b->ms.bytes;
    }
    name_nodes(v, nn);
    /* sorting moved each node's cut list with it: in points to its own again */
    for (size_t i = 0; o->cut && i < nn; i++)
        v[i].in = &v[i].cut;
    res->nodes = nn;
    /* "-": standard output, as it is written (no temporary file to rename) */
    if (!to_stdout)
        fs_remove_stale_beside(o->path);
    fd = to_stdout ? dup(STDOUT_FILENO) : fs_open_tmp_beside(o->path, &tmp, d);
    if (fd < 0 && to_stdout)
        fd = diag_errno(d, SV_EIO, errno, "standard output");
    if (fd < 0) {
        rc = fd;
        goto out;
    }
    rc = open_archive(&w, fd);
    for (size_t i = 0, x = 0; rc == 0 && (i < nn || x < o->nextras);) {
        /* node directories and extras, by path */
        if (x < o->nextras && (i == nn || strcmp(o->extras[x].name, v[i].key) < 0)) {
            rc = file_mem(&w, o->extras[x].name, o->extras[x].data, o->extras[x].len,
                          o->created_ns);
            x++;
        } else {
            rc = put_node(&w, o, &v[i]);
            if (v[i].ms.peak_open > res->peak_open)
                res->peak_open = v[i].ms.peak_open;
            i++;
        }
    }
    if (rc < 0)
        goto out;
    text = content_json(&w, o, v, nn, res);
    rc = put_header(&w, BW_CONTENT, false, strlen(text), o->created_ns);
    if (rc == 0 && archive_write_data(w.a, text, strlen(text)) != (la_ssize_t)strlen(text))
        rc = arch_err(&w, BW_CONTENT);
    if (rc == 0 && archive_write_close(w.a) != ARCHIVE_OK)
        rc = arch_err(&w, "cannot finish the archive");
    if (rc < 0)
        goto out;
    res->file_bytes = (uint64_t)archive_filter_bytes(w.a, -1);
    if (o->check && (rc = o->check(o->check_arg, d)) < 0)
        goto out;
    if (close(fd) < 0) {
        fd = -1;
        rc = diag_errno(d, SV_EIO, errno, "%s: close", o->path);
        goto out;
    }
    fd = -1;
    if (tmp && rename(tmp, o->path) < 0)
        rc = diag_errno(d, SV_EIO, errno, "%s: cannot rename %s into place", o->path, tmp);
out:
    if (w.a)
        archive_write_free(w.a);
    if (fd >= 0)
        close(fd);
    if (rc < 0 && tmp)
        unlink(tmp);
    free(tmp);
    free(text);
    for (size_t i = 0; i < w.nfiles; i++)
        free(w.files[i].path);
    free(w.files);
    for (size_t i = 0; i < nn; i++) {
        free(v[i].dir);
        free(v[i].key);
        free(v[i].cut.streams);
    }
    free(v);
    return rc;
}
