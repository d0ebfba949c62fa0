/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: the bundle reader: one pass over a tar(.gz) through libarchive,
 * each member checked before a byte of it is read, hashed as it streams,
 * the nodes' captures and histories written to m<n> files, and the whole
 * checked against content.json at the end (content.json is the writer's
 * last member, so nothing can be verified before the archive ends).
 *
 *   header ──> path rules, type, declared size, counts ──> refuse
 *      │
 *      └──> data, in BUF_LEN pieces ──> sha256, byte caps ──> m<n> file
 *                                                          (or discarded)
 *   end ──> duplicates ──> content.json: format, files{path: sha256, bytes}
 *       ──> directories to nodes (content.json's nodes[], else the name split
 *           at its last '_'; shards of one node merged) ──> what ingest restores
 */
#include "config.h"

#include "reader.h"

#include <archive.h>
#include <archive_entry.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/bytesrc.h"
#include "base/cur.h"
#include "base/diag.h"
#include "base/fsutil.h"
#include "base/limits.h"
#include "base/sha256.h"
#include "base/xalloc.h"
#include "compress/compress.h"
#include "json/json.h"
#include "store/store.h"

#define BUF_LEN (256u * 1024)
#define BLOCK_LEN 65536
/* LIM_BUNDLE_MANIFEST, 256 MiB, as a number */
#define MANIFEST_TOO_BIG "content.json over 268435456 bytes refused"
_Static_assert(LIM_BUNDLE_MANIFEST == 268435456u, "MANIFEST_TOO_BIG says LIM_BUNDLE_MANIFEST");
/* A member path in messages: escaped, then cut to this many bytes. */
#define SHOW_LEN 160

enum mkind {
    MK_DIR = 0,
    MK_MANIFEST,
    MK_CAPTURE,
    MK_NAMES,       /* names.json */
    MK_KSNAMES,     /* name_resolution_history.json */
    MK_STREAM,
    MK_OTHER,
};

struct member {
    char *path;                 /* normalised: no "." or empty components, no trailing '/' */
    uint64_t offset;            /* of its header, in the decompressed stream */
    uint64_t size;
    uint8_t sha[SHA256_LEN];
    uint8_t kind;               /* enum mkind */
    char *file;                 /* extracted copy, or NULL */
};

struct reader {
    struct archive *a;
    const char *name;           /* the bundle, in messages */
    const char *dir;
    const struct bundle_limits *lim;
    struct member *m;
    size_t n, cap;
    uint64_t total;
    uint8_t *buf;
    struct buf manifest;
    bool have_manifest;
    struct diag *d;
};

void bundle_limits_init(struct bundle_limits *l)
{
    l->member_max = LIM_BUNDLE_MEMBER;
    l->total_max = LIM_BUNDLE_TOTAL;
    l->members_max = LIM_BUNDLE_MEMBERS;
    l->cancel = NULL;
}

/* s as printable ASCII (others as \xNN), cut at SHOW_LEN bytes with "...". */
static void show(const char *s, char out[SHOW_LEN + 8])
{
    size_t o = 0;

    for (; *s && o < SHOW_LEN; s++) {
        unsigned char c = (unsigned char)*s;

        if (c >= 0x20 && c < 0x7f && c != '\\' && c != '\'') {
            out[o++] = (char)c;
        } else {
            snprintf(out + o, 5, "\\x%02x", c);
            o += 4;
        }
    }
    if (*s) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o] = 0;
}

/* A refusal about member path (raw, as in the archive) whose header is at off. */
static int refuse(struct reader *r, int code, uint64_t off, const char *path, const char *why)
{
    char p[SHOW_LEN + 8];

    show(path, p);
    return diag_set(r->d, code, "%s: offset %llu (decompressed): member '%s': %s", r->name,
                    (unsigned long long)off, p, why);
}

/*
 * Writing the copy of the member at path failed (r->d says how, naming the
 * copy, a file of the extraction directory): says so of the bundle and the
 * member.
 */
static int extract_failed(struct reader *r, const char *path, int code)
{
    char p[SHOW_LEN + 8], why[512];

    show(path, p);
    snprintf(why, sizeof why, "%s", r->d->msg);
    return diag_set(r->d, code, "%s: member '%s': extracting it failed: %s", r->name, p, why);
}

/* libarchive's error, translated (the one place its errors become ours). */
static int arch_error(struct reader *r, const char *what)
{
    const char *e = archive_error_string(r->a);
    int en = archive_errno(r->a);
    la_int64_t at = archive_filter_bytes(r->a, 0);
    uint64_t off = at > 0 ? (uint64_t)at : 0;

    switch (en) {
    case ENOMEM:
        return diag_set(r->d, SV_ENOMEM, "%s: out of memory reading the bundle", r->name);
    case ENOENT:
    case EACCES:
    case EPERM:
    case EIO:
    case EISDIR:
    case ENOTDIR:
        return diag_errno(r->d, SV_EIO, en, "%s", r->name);
    default:
        return diag_set(r->d, SV_EFORMAT, "%s: offset %llu (decompressed): %s: %s", r->name,
                        (unsigned long long)off, what, e ? e : "unknown libarchive error");
    }
}

/*
 * Normalises raw into out (malloc'd): drops "." and empty components and a
 * trailing '/'. Refuses absolute paths and ".." components.
 */
static int normalise(struct reader *r, uint64_t off, const char *raw, char **out)
{
    size_t n = strlen(raw), o = 0;
    char *p;

    *out = NULL;
    if (n == 0)
        return refuse(r, SV_EFORMAT, off, raw, "empty path refused");
    if (n > LIM_BUNDLE_PATH)
        return refuse(r, SV_ELIMIT, off, raw, "path longer than 4096 bytes refused");
    if (raw[0] == '/')
        return refuse(r, SV_EFORMAT, off, raw, "absolute path refused");
    p = xmalloc(n + 1);
    for (size_t i = 0; i < n;) {
        size_t j = i;

        while (j < n && raw[j] != '/')
            j++;
        if (j - i == 2 && raw[i] == '.' && raw[i + 1] == '.') {
            free(p);
            return refuse(r, SV_EFORMAT, off, raw, "'..' component refused");
        }
        if (!(j == i || (j - i == 1 && raw[i] == '.'))) {
            if (o)
                p[o++] = '/';
            memcpy(p + o, raw + i, j - i);
            o += j - i;
        }
        i = j + 1;
    }
    p[o] = 0;
    if (o == 0) {
        free(p);
        return refuse(r, SV_EFORMAT, off, raw, "empty path refused");
    }
    *out = p;
    return 0;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);

    return n >= k && memcmp(s + n - k, suffix, k) == 0;
}

/* A capture's file name: letters, digits, '.', '_' and '-' only. */
static bool plain_name(const char *s)
{
    for (; *s; s++) {
        char c = *s;

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return false;
    }
    return true;
}

/* What a regular file at normalised path p is. */
static int classify(const char *p)
{
    const char *s1 = strchr(p, '/'), *s2;

    if (!s1)
        return strcmp(p, BUNDLE_MANIFEST) == 0 ? MK_MANIFEST : MK_OTHER;
    s2 = strchr(s1 + 1, '/');
    if (!s2) {
        if (strcmp(s1 + 1, "names.json") == 0)
            return MK_NAMES;
        if (strcmp(s1 + 1, "name_resolution_history.json") == 0)
            return MK_KSNAMES;
        if (ends_with(s1 + 1, ".pcap") || ends_with(s1 + 1, ".pcapng"))
            return MK_CAPTURE;
        return MK_OTHER;
    }
    if (s2 - s1 - 1 == 7 && memcmp(s1 + 1, "streams", 7) == 0)
        return MK_STREAM;
    return MK_OTHER;
}

/* Checks the header of a regular file against the caps before its data is read. */
static int check_size(struct reader *r, struct archive_entry *e, uint64_t off, const char *raw)
{
    char why[160];
    uint64_t size;

    if (!archive_entry_size_is_set(e) || archive_entry_size(e) < 0)
        return 0;   /* checked as the bytes come */
    size = (uint64_t)archive_entry_size(e);
    if (size > r->lim->member_max) {
        snprintf(why, sizeof why, "declares %llu bytes, over the limit of %llu for one member "
                 "(--bundle-member-max)", (unsigned long long)size,
                 (unsigned long long)r->lim->member_max);
        return refuse(r, SV_ELIMIT, off, raw, why);
    }
    if (size > r->lim->total_max - r->total) {
        snprintf(why, sizeof why, "brings the bundle past its limit of %llu bytes "
                 "(--bundle-total-max)", (unsigned long long)r->lim->total_max);
        return refuse(r, SV_ELIMIT, off, raw, why);
    }
    return 0;
}

/* Streams the member's data: hashes it, enforces the caps, writes it to fd (or not). */
static int read_data(struct reader *r, struct member *m, const char *raw, int fd)
{
    struct sha256 h;
    char why[160];

    sha256_init(&h);
    m->size = 0;
    for (;;) {
        la_ssize_t n = archive_read_data(r->a, r->buf, BUF_LEN);
        int rc;

        if (n == 0)
            break;
        if (n < 0) {
            const char *e = archive_error_string(r->a);

            if (archive_errno(r->a) == ENOMEM)
                return arch_error(r, "reading a member's data");
            /* a fault in a member's data is the member's: its name and header offset */
            snprintf(why, sizeof why, "reading its data: %s", e ? e : "unknown libarchive error");
            return refuse(r, SV_EFORMAT, m->offset, raw, why);
        }
        if (r->lim->cancel && *r->lim->cancel)
            return diag_set(r->d, SV_EINTR, "%s: interrupted while extracting; nothing written",
                            r->name);
        if ((uint64_t)n > r->lim->member_max - m->size) {
            snprintf(why, sizeof why, "holds more than %llu bytes, the limit for one member "
                     "(--bundle-member-max)", (unsigned long long)r->lim->member_max);
            return refuse(r, SV_ELIMIT, m->offset, raw, why);
        }
        if ((uint64_t)n > r->lim->total_max - r->total) {
            snprintf(why, sizeof why, "brings the bundle past its limit of %llu bytes "
                     "(--bundle-total-max)", (unsigned long long)r->lim->total_max);
            return refuse(r, SV_ELIMIT, m->offset, raw, why);
        }
        m->size += (uint64_t)n;
        r->total += (uint64_t)n;
        sha256_update(&h, r->buf, (size_t)n);
        if (m->kind == MK_MANIFEST) {
            if (buf_append(&r->manifest, r->buf, (size_t)n) < 0)
                return refuse(r, SV_ELIMIT, m->offset, raw, MANIFEST_TOO_BIG);
        } else if (fd >= 0) {
            rc = fs_write_all(fd, r->buf, (size_t)n, m->file, r->d);
            if (rc < 0)
                return extract_failed(r, raw, rc);
        }
    }
    sha256_final(&h, m->sha);
    return 0;
}

/* One regular file: checked, read, and (for the nodes' files) extracted. */
static int read_file(struct reader *r, struct archive_entry *e, struct member *m,
                     const char *raw)
{
    int fd = -1, rc;

    rc = check_size(r, e, m->offset, raw);
    if (rc < 0)
        return rc;
    if (m->kind == MK_CAPTURE && !plain_name(strrchr(m->path, '/') + 1))
        return refuse(r, SV_EFORMAT, m->offset, raw,
                      "capture file name has characters other than letters, digits, '.', '_' "
                      "and '-'");
    if (m->kind == MK_MANIFEST) {
        if (r->have_manifest)
            return refuse(r, SV_EFORMAT, m->offset, raw, "duplicate member refused");
        r->have_manifest = true;
        if (archive_entry_size_is_set(e) &&
            archive_entry_size(e) > (la_int64_t)LIM_BUNDLE_MANIFEST)
            return refuse(r, SV_ELIMIT, m->offset, raw, MANIFEST_TOO_BIG);
    }
    if (m->kind == MK_CAPTURE || m->kind == MK_NAMES || m->kind == MK_KSNAMES) {
        m->file = fs_printf("%s/m%zu", r->dir, r->n);
        fd = open(m->file, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0)
            return diag_errno(r->d, SV_EIO, errno, "%s", m->file);
    }
    rc = read_data(r, m, raw, fd);
    if (fd >= 0 && close(fd) < 0 && rc == 0)
        rc = diag_errno(r->d, SV_EIO, errno, "%s", m->file);
    if (rc == 0 && archive_entry_size_is_set(e) && (uint64_t)archive_entry_size(e) != m->size)
        rc = refuse(r, SV_EFORMAT, m->offset, raw, "data shorter or longer than its header says");
    return rc;
}

/* Why a member of this type is refused, or NULL when it is a file or directory. */
static const char *refused_type(struct archive_entry *e)
{
    if (archive_entry_hardlink(e))
        return "hard link refused (only regular files and directories are read)";
    switch (archive_entry_filetype(e)) {
    case AE_IFREG:
    case AE_IFDIR:
        return NULL;
    case AE_IFLNK:
        return "symbolic link refused (only regular files and directories are read)";
    case AE_IFCHR:
        return "character device refused (only regular files and directories are read)";
    case AE_IFBLK:
        return "block device refused (only regular files and directories are read)";
    case AE_IFIFO:
        return "fifo refused (only regular files and directories are read)";
    case AE_IFSOCK:
        return "socket refused (only regular files and directories are read)";
    default:
        return "member of unknown type refused (only regular files and directories are read)";
    }
}

/* Reads every member. */
static int read_members(struct reader *r)
{
    struct archive_entry *e;
    char why[160];

    for (;;) {
        struct member *m;
        const char *raw, *bad;
        uint64_t off;
        int rc = archive_read_next_header(r->a, &e);

        if (rc == ARCHIVE_EOF)
            break;
        if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN)
            return arch_error(r, r->n == 0 ? "not a readable tar or tar.gz archive"
                                           : "reading a header");
        off = (uint64_t)archive_read_header_position(r->a);
        raw = archive_entry_pathname(e);
        if (!raw)
            raw = "";
        if (r->n >= r->lim->members_max) {
            snprintf(why, sizeof why, "more than %llu members refused (--bundle-members-max)",
                     (unsigned long long)r->lim->members_max);
            return refuse(r, SV_ELIMIT, off, raw, why);
        }
        xgrow((void **)&r->m, &r->cap, r->n + 1, sizeof *r->m);
        m = &r->m[r->n];
        memset(m, 0, sizeof *m);
        m->offset = off;
        rc = normalise(r, off, raw, &m->path);
        if (rc < 0)
            return rc;
        r->n++;         /* m is in the list (and freed with it) from here */
        bad = refused_type(e);
        if (bad)
            return refuse(r, SV_EFORMAT, off, raw, bad);
        if (archive_entry_filetype(e) == AE_IFDIR) {
            m->kind = MK_DIR;
            continue;
        }
        m->kind = (uint8_t)classify(m->path);
        rc = read_file(r, e, m, raw);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int cmp_member(const void *a, const void *b)
{
    const struct member *x = a, *y = b;
    int c = strcmp(x->path, y->path);

    if (c)
        return c;
    return (x->offset > y->offset) - (x->offset < y->offset);
}

/* Sorts the members by path and refuses a path given twice (naming the later one). */
static int check_duplicates(struct reader *r)
{
    if (r->n > 1)
        qsort(r->m, r->n, sizeof *r->m, cmp_member);
    for (size_t i = 1; i < r->n; i++) {
        if (strcmp(r->m[i - 1].path, r->m[i].path) == 0)
            return refuse(r, SV_EFORMAT, r->m[i].offset, r->m[i].path, "duplicate member refused");
    }
    return 0;
}

static struct member *find(struct reader *r, const char *path)
{
    size_t lo = 0, hi = r->n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(r->m[mid].path, path);

        if (c == 0)
            return &r->m[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

static bool hex_digest(const char *s, uint8_t out[SHA256_LEN])
{
    if (!s || strlen(s) != 2 * SHA256_LEN)
        return false;
    for (size_t i = 0; i < 2 * SHA256_LEN; i++) {
        char c = s[i];
        int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;

        if (v < 0)
            return false;
        if (i % 2 == 0)
            out[i / 2] = (uint8_t)(v << 4);
        else
            out[i / 2] |= (uint8_t)v;
    }
    return true;
}

/* The manifest's "files": every file listed, present, the same size and digest. */
static int verify_files(struct reader *r, const struct jv *files)
{
    const char *key;
    struct jv *val;
    void *it = NULL;
    char k[SHOW_LEN + 8];

    if (!jv_is_obj(files))
        return diag_set(r->d, SV_EFORMAT, "%s: content.json: \"files\" is not an object", r->name);
    while (jv_obj_next(files, &it, &key, &val)) {
        struct member *m = find(r, key);
        uint8_t want[SHA256_LEN];
        uint64_t bytes;
        char got_hex[SHA256_HEX], want_hex[SHA256_HEX];

        show(key, k);
        if (!hex_digest(jv_get_str(val, "sha256"), want) || !jv_get_u64(val, "bytes", &bytes))
            return diag_set(r->d, SV_EFORMAT,
                            "%s: content.json: files['%s']: needs \"sha256\" (64 hex digits) and "
                            "\"bytes\"", r->name, k);
        if (!m || m->kind == MK_DIR || m->kind == MK_MANIFEST)
            return diag_set(r->d, SV_EFORMAT, "%s: content.json lists '%s', which the bundle lacks",
                            r->name, k);
        if (m->size != bytes)
            return diag_set(r->d, SV_EFORMAT,
                            "%s: offset %llu (decompressed): member '%s': %llu bytes, content.json "
                            "says %llu", r->name, (unsigned long long)m->offset, k,
                            (unsigned long long)m->size, (unsigned long long)bytes);
        if (memcmp(m->sha, want, SHA256_LEN) != 0) {
            sha256_hex(m->sha, got_hex);
            sha256_hex(want, want_hex);
            return diag_set(r->d, SV_EFORMAT,
                            "%s: offset %llu (decompressed): member '%s': sha256 %s differs from "
                            "content.json's %s", r->name, (unsigned long long)m->offset, k,
                            got_hex, want_hex);
        }
    }
    for (size_t i = 0; i < r->n; i++) {
        if (r->m[i].kind == MK_DIR || r->m[i].kind == MK_MANIFEST)
            continue;
        if (!jv_get(files, r->m[i].path)) {
            show(r->m[i].path, k);
            return diag_set(r->d, SV_EFORMAT,
                            "%s: offset %llu (decompressed): member '%s' is not listed in "
                            "content.json", r->name, (unsigned long long)r->m[i].offset, k);
        }
    }
    return 0;
}

/* Splits a node directory: "<name>_<ip>" when what follows the last '_' is an IP or empty. */
static void split_dir(const char *dir, char **name, char **ip)
{
    const char *us = strrchr(dir, '_');
    uint8_t a[16];

    if (us && us != dir) {
        char *tail = xstrdup(us + 1);
        bool is_ip = *tail == 0 || inet_pton(AF_INET, tail, a) == 1 ||
                     inet_pton(AF_INET6, tail, a) == 1;

        if (is_ip) {
            *name = xmalloc((size_t)(us - dir) + 1);
            memcpy(*name, dir, (size_t)(us - dir));
            (*name)[us - dir] = 0;
            *ip = tail;
            return;
        }
        free(tail);
    }
    *name = xstrdup(dir);
    *ip = xstrdup("");
}

/* A top-level directory's files, before directories become nodes. */
struct group {
    char *dir;
    char **captures, **labels;  /* moved to the node */
    size_t ncaptures;
    char *hist, *hist_label;    /* names.json, else Kubeshark's */
    bool hist_native;
    uint64_t stream_files;
};

static char *label(const struct reader *r, const char *path)
{
    return fs_printf("%s:%s", r->name, path);
}

static struct group *group_of(struct group **g, size_t *n, size_t *cap, const char *path)
{
    size_t dl = (size_t)(strchr(path, '/') - path);
    struct group *gr;

    if (*n > 0) {
        gr = &(*g)[*n - 1];     /* members are sorted: a directory's files are adjacent */
        if (strlen(gr->dir) == dl && memcmp(gr->dir, path, dl) == 0)
            return gr;
    }
    xgrow((void **)g, cap, *n + 1, sizeof **g);
    gr = &(*g)[(*n)++];
    memset(gr, 0, sizeof *gr);
    gr->dir = xmalloc(dl + 1);
    memcpy(gr->dir, path, dl);
    gr->dir[dl] = 0;
    return gr;
}

/* Gathers the files of each top-level directory; lists the ignored ones in c. */
static struct group *gather(struct reader *r, struct bundle_contents *c, size_t *ngroups)
{
    struct group *g = NULL;
    size_t cap = 0, icap = 0;

    *ngroups = 0;
    for (size_t i = 0; i < r->n; i++) {
        struct member *m = &r->m[i];
        struct group *gr;
        char s[SHOW_LEN + 8];

        c->members++;
        if (m->kind == MK_DIR)
            continue;
        c->bytes += m->size;
        if (m->kind == MK_OTHER) {
            show(m->path, s);
            xgrow((void **)&c->ignored, &icap, c->nignored + 1, sizeof *c->ignored);
            c->ignored[c->nignored++] = xstrdup(s);
            continue;
        }
        if (m->kind == MK_MANIFEST)
            continue;
        gr = group_of(&g, ngroups, &cap, m->path);
        if (m->kind == MK_CAPTURE) {
            gr->captures = xrealloc(gr->captures, (gr->ncaptures + 1) * sizeof *gr->captures);
            gr->labels = xrealloc(gr->labels, (gr->ncaptures + 1) * sizeof *gr->labels);
            gr->captures[gr->ncaptures] = m->file;
            gr->labels[gr->ncaptures++] = label(r, m->path);
            m->file = NULL;
        } else if (m->kind == MK_NAMES || m->kind == MK_KSNAMES) {
            /* names.json wins, whichever of the two comes first */
            if (!gr->hist || (m->kind == MK_NAMES && !gr->hist_native)) {
                if (gr->hist)
                    unlink(gr->hist);   /* verified, not read: no need to keep it */
                free(gr->hist);
                free(gr->hist_label);
                gr->hist = m->file;
                gr->hist_label = label(r, m->path);
                gr->hist_native = m->kind == MK_NAMES;
                m->file = NULL;
            } else {
                unlink(m->file);
            }
        } else if (m->kind == MK_STREAM) {
            gr->stream_files++;
        }
    }
    return g;
}

/*
 * A directory's node: content.json's "nodes" entry for it when there is one
 * (the writer's word: it maps "<node>_<ip>_2" of a second shard to its
 * node), else the directory's name split at its last '_'.
 */
static void node_identity(const struct jv *nodes, const char *dir, char **name, char **ip)
{
    for (size_t i = 0; i < jv_len(nodes); i++) {
        const struct jv *j = jv_at(nodes, i);
        const char *d = jv_get_str(j, "dir"), *nm = jv_get_str(j, "name");
        const char *nip = jv_get_str(j, "ip");
        size_t dl;

        if (!d || !nm)
            continue;
        dl = strlen(d);
        while (dl > 0 && d[dl - 1] == '/')
            dl--;
        if (dl == strlen(dir) && memcmp(d, dir, dl) == 0) {
            *name = xstrdup(nm);
            *ip = xstrdup(nip ? nip : "");
            return;
        }
    }
    split_dir(dir, name, ip);
}

/*
 * A node's name must be a store's node name (one safe path component), its
 * IP empty or an address: content.json says what it likes.
 */
static int check_identity(struct reader *r, const char *dir, const char *name, const char *ip)
{
    char sd[SHOW_LEN + 8], sv[SHOW_LEN + 8];
    uint8_t a[16];

    show(dir, sd);
    if (!store_valid_node_name(name)) {
        show(name, sv);
        return diag_set(r->d, SV_EFORMAT,
                        "%s: node directory '%s': node name '%s' has characters other than "
                        "letters, digits, '.', '_' and '-'", r->name, sd, sv);
    }
    if (*ip && inet_pton(AF_INET, ip, a) != 1 && inet_pton(AF_INET6, ip, a) != 1) {
        show(ip, sv);
        return diag_set(r->d, SV_EFORMAT,
                        "%s: node directory '%s': IP '%s' is not an IPv4 or IPv6 address",
                        r->name, sd, sv);
    }
    return 0;
}

/* Moves group g into node nd (its captures after those already there). */
static void node_add(struct bundle_node *nd, struct group *g)
{
    size_t n = nd->ncaptures + g->ncaptures;

    nd->captures = xrealloc(nd->captures, (n ? n : 1) * sizeof *nd->captures);
    nd->labels = xrealloc(nd->labels, (n ? n : 1) * sizeof *nd->labels);
    for (size_t k = 0; k < g->ncaptures; k++) {
        nd->captures[nd->ncaptures] = g->captures[k];
        nd->labels[nd->ncaptures++] = g->labels[k];
    }
    g->ncaptures = 0;
    if (g->hist) {
        nd->histories = xrealloc(nd->histories, (nd->nhistories + 1) * sizeof *nd->histories);
        nd->history_labels = xrealloc(nd->history_labels,
                                      (nd->nhistories + 1) * sizeof *nd->history_labels);
        nd->histories[nd->nhistories] = g->hist;
        nd->history_labels[nd->nhistories++] = g->hist_label;
        g->hist = g->hist_label = NULL;
    }
    nd->stream_files += g->stream_files;
}

static void group_release(struct group *g)
{
    for (size_t k = 0; k < g->ncaptures; k++) {
        free(g->captures[k]);
        free(g->labels[k]);
    }
    free(g->captures);
    free(g->labels);
    free(g->hist);
    free(g->hist_label);
    free(g->dir);
}

/*
 * The nodes: every top-level directory with a capture or a history is one;
 * directories of the same node (shards) become one node, in member order.
 */
static int build_nodes(struct reader *r, struct bundle_contents *c, const struct jv *manifest)
{
    const struct jv *mnodes = jv_get(manifest, "nodes");
    char a[SHOW_LEN + 8], b[SHOW_LEN + 8];
    size_t ng, cap = 0;
    struct group *g = gather(r, c, &ng);
    int rc = 0;

    for (size_t i = 0; i < ng && rc == 0; i++) {
        struct bundle_node *nd = NULL;
        char *name, *ip;

        if (g[i].ncaptures == 0 && g[i].stream_files > 0) {
            show(g[i].dir, a);
            rc = diag_set(r->d, SV_EFORMAT,
                          "%s: node directory '%s' has per-stream files but no merged capture",
                          r->name, a);
            break;
        }
        node_identity(mnodes, g[i].dir, &name, &ip);
        rc = check_identity(r, g[i].dir, name, ip);
        if (rc < 0) {
            free(name);
            free(ip);
            break;
        }
        for (size_t k = 0; k < c->nnodes; k++) {
            if (strcmp(c->nodes[k].name, name) == 0)
                nd = &c->nodes[k];
        }
        /* a shard that knew no IP (ingest --node NAME) takes the other's */
        if (nd && !*nd->ip && *ip) {
            free(nd->ip);
            nd->ip = ip;
            ip = NULL;
            free(nd->ip_dir);
            nd->ip_dir = xstrdup(g[i].dir);
        } else if (nd && *ip && strcmp(nd->ip, ip) != 0) {
            show(nd->ip_dir ? nd->ip_dir : nd->dir, a);
            show(g[i].dir, b);
            rc = diag_set(r->d, SV_EFORMAT,
                          "%s: node directories '%s' and '%s' both name node '%s', with "
                          "different IPs ('%s', '%s')", r->name, a, b, name, nd->ip, ip);
        } else if (!nd) {
            xgrow((void **)&c->nodes, &cap, c->nnodes + 1, sizeof *c->nodes);
            nd = &c->nodes[c->nnodes++];
            memset(nd, 0, sizeof *nd);
            nd->dir = xstrdup(g[i].dir);
            nd->name = name;
            nd->ip = ip;
            name = ip = NULL;
        }
        if (rc == 0)
            node_add(nd, &g[i]);
        free(name);
        free(ip);
    }
    for (size_t i = 0; i < ng; i++)
        group_release(&g[i]);
    free(g);
    return rc;
}

/* content.json: its format, and every file listed, present and the same. */
static int read_manifest(struct reader *r, struct jv **root)
{
    const char *fmt;
    char *name = fs_printf("%s:%s", r->name, BUNDLE_MANIFEST);
    char s[SHOW_LEN + 8];
    int rc;

    rc = jv_parse((const char *)r->manifest.data, r->manifest.len, name, root, r->d);
    free(name);
    if (rc < 0)
        return rc;
    fmt = jv_get_str(*root, "format");
    if (!fmt || strcmp(fmt, BUNDLE_FORMAT) != 0) {
        show(fmt ? fmt : "(none)", s);
        return diag_set(r->d, SV_EFORMAT, "%s: content.json: format '%s' is not %s", r->name, s,
                        BUNDLE_FORMAT);
    }
    return verify_files(r, jv_get(*root, "files"));
}

static void reader_release(struct reader *r)
{
    for (size_t i = 0; i < r->n; i++) {
        free(r->m[i].path);
        free(r->m[i].file);
    }
    free(r->m);
    free(r->buf);
    buf_release(&r->manifest);
    if (r->a)
        archive_read_free(r->a);
}

static int extract(struct reader *r, struct bundle_contents *out)
{
    struct jv *manifest = NULL;
    int rc;

    memset(out, 0, sizeof *out);
    out->dir = xstrdup(r->dir);
    /* locked while it exists: the next ingest removes it if this one is killed */
    out->lock = fs_mkdir_locked(r->dir, r->d);
    if (out->lock < 0 || chmod(r->dir, 0700) < 0) {
        rc = out->lock < 0 ? out->lock : diag_errno(r->d, SV_EIO, errno, "%s", r->dir);
        if (out->lock >= 0) {
            rmdir(r->dir);
            close(out->lock);
        }
        free(out->dir);
        out->dir = NULL;
        return rc;
    }
    out->locked = true;
    rc = read_members(r);
    if (rc == 0)
        rc = check_duplicates(r);
    if (rc == 0 && r->have_manifest) {
        rc = read_manifest(r, &manifest);
        out->verified = rc == 0;
    }
    if (rc == 0)
        rc = build_nodes(r, out, manifest);
    jv_free(manifest);
    if (rc < 0)
        bundle_contents_release(out);
    return rc;
}

static struct archive *arch_new(void)
{
    struct archive *a = archive_read_new();

    if (!a)
        return NULL;
    /*
     * past an end-of-archive block, go on reading (GNU tar's -i): two
     * bundles concatenated, or anything after the end, are seen and refused
     * (or, without content.json, read), never dropped unread
     */
    if (archive_read_support_filter_gzip(a) != ARCHIVE_OK ||
        archive_read_support_format_tar(a) != ARCHIVE_OK ||
        archive_read_set_format_option(a, "tar", "read_concatenated_archives", "1") !=
            ARCHIVE_OK) {
        archive_read_free(a);
        return NULL;
    }
    return a;
}

static int reader_init(struct reader *r, const char *name, const char *dir,
                       const struct bundle_limits *l, struct diag *d)
{
    memset(r, 0, sizeof *r);
    r->name = name;
    r->dir = dir;
    r->lim = l;
    r->d = d;
    buf_init(&r->manifest, LIM_BUNDLE_MANIFEST);
    r->buf = malloc(BUF_LEN);
    r->a = arch_new();
    if (!r->buf || !r->a)
        return diag_set(d, SV_EDEP, "%s: cannot set up libarchive's tar.gz reader", name);
    return 0;
}

int bundle_extract(const char *path, const char *dir, const struct bundle_limits *l,
                   struct bundle_contents *out, struct diag *d)
{
    struct reader r;
    int rc;

    memset(out, 0, sizeof *out);
    rc = reader_init(&r, path, dir, l, d);
    if (rc == 0 && archive_read_open_filename(r.a, path, BLOCK_LEN) != ARCHIVE_OK)
        rc = arch_error(&r, "not a readable tar or tar.gz archive");
    if (rc == 0)
        rc = extract(&r, out);
    reader_release(&r);
    return rc;
}

int bundle_extract_mem(const void *p, size_t n, const char *name, const char *dir,
                       const struct bundle_limits *l, struct bundle_contents *out, struct diag *d)
{
    struct reader r;
    int rc;

    memset(out, 0, sizeof *out);
    rc = reader_init(&r, name, dir, l, d);
    if (rc == 0 && archive_read_open_memory(r.a, p, n) != ARCHIVE_OK)
        rc = arch_error(&r, "not a readable tar or tar.gz archive");
    if (rc == 0)
        rc = extract(&r, out);
    reader_release(&r);
    return rc;
}

/*
 * Whether the first 512 bytes of path, decompressed, are a ustar header (its
 * checksum right): a bundle cut short inside what libarchive reads ahead
 * (its first header then fails to read) is still a bundle, to be refused as
 * one, not read as a capture.
 */
static bool tar_header_first(const char *path)
{
    struct bytesrc *src = NULL;
    struct diag d;
    uint8_t h[512];
    size_t n = 0;
    ssize_t k;
    unsigned long sum = 0, want;
    char field[9], *end;

    if (bytesrc_open_file(&src, path, NULL, &d) < 0)
        return false;
    /* the magic decides the decoder (gzip, zstd, or none); a cut stream gives what it can */
    while (n < 4 && (k = src->read(src, h + n, 4 - n, &d)) > 0)
        n += (size_t)k;
    if (n == 4 && (h[0] == 0x1f && h[1] == 0x8b)) {
        if (comp_open(&src, COMP_GZIP, src, h, n, &d) < 0)
            return false;
        n = 0;
    } else if (n == 4 && ld_le32(h) == 0xFD2FB528u) {
        if (comp_open(&src, COMP_ZSTD, src, h, n, &d) < 0)
            return false;
        n = 0;
    }
    while (n < sizeof h && (k = src->read(src, h + n, sizeof h - n, &d)) > 0)
        n += (size_t)k;
    bytesrc_close(src);
    if (n < sizeof h || memcmp(h + 257, "ustar", 5) != 0)
        return false;
    /* the checksum (octal at 148): the header's bytes, its own 8 counted as spaces */
    memcpy(field, h + 148, 8);
    field[8] = '\0';
    want = strtoul(field, &end, 8);
    if (end == field)
        return false;
    for (size_t i = 0; i < sizeof h; i++)
        sum += i >= 148 && i < 156 ? ' ' : h[i];
    return sum == want;
}

bool bundle_probe(const char *path)
{
    struct archive *a;
    struct archive_entry *e;
    struct stat st;
    bool yes;

    if (strcmp(path, "-") == 0 || stat(path, &st) < 0 || !S_ISREG(st.st_mode))
        return false;
    a = arch_new();
    if (!a)
        return false;
    yes = false;
    if (archive_read_open_filename(a, path, BLOCK_LEN) == ARCHIVE_OK) {
        int rc = archive_read_next_header(a, &e);

        /* a first header, not only an end-of-archive block: a file of zeros is no bundle */
        yes = rc == ARCHIVE_OK || rc == ARCHIVE_WARN;
    }
    archive_read_free(a);
    return yes || tar_header_first(path);
}

void bundle_contents_release(struct bundle_contents *c)
{
    for (size_t i = 0; i < c->nnodes; i++) {
        struct bundle_node *nd = &c->nodes[i];

        for (size_t k = 0; k < nd->ncaptures; k++) {
            free(nd->captures[k]);
            free(nd->labels[k]);
        }
        free(nd->captures);
        free(nd->labels);
        for (size_t k = 0; k < nd->nhistories; k++) {
            free(nd->histories[k]);
            free(nd->history_labels[k]);
        }
        free(nd->histories);
        free(nd->history_labels);
        free(nd->dir);
        free(nd->ip_dir);
        free(nd->name);
        free(nd->ip);
    }
    free(c->nodes);
    for (size_t i = 0; i < c->nignored; i++)
        free(c->ignored[i]);
    free(c->ignored);
    if (c->dir) {
        struct diag ignore;

        fs_rmtree(c->dir, &ignore);
        free(c->dir);
    }
    if (c->locked)
        close(c->lock);
    memset(c, 0, sizeof *c);
}
