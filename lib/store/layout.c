/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: where things are in a store, and the read API over it.
 *
 *   STORE/store.json
 *   STORE/nodes/<node>/streams.cat              stream catalogue
 *   STORE/nodes/<node>/packs/<bb>-<ssss>.pack   small streams, concatenated PCAP files
 *   STORE/nodes/<node>/streams/<xx>/<id>.pcap   large streams (all streams with --layout files)
 *   STORE/nodes/<node>/other.pcap               packets of no TCP/UDP stream
 *   STORE/nodes/<node>/entries/<bb>.ent         entry records of the streams of bucket bb
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/diag.h"
#include "base/fsutil.h"
#include "base/xalloc.h"
#include "index/index.h"
#include "json/json.h"
#include "pcapw.h"
#include "store_int.h"

char *store_node_dir(const char *root, const char *node)
{
    return fs_printf("%s/nodes/%s", root, node);
}

char *store_pack_path(const char *node_dir, uint32_t pack)
{
    return fs_printf("%s/packs/%02x-%04u.pack", node_dir, pack >> 16, pack & 0xffffu);
}

char *store_entries_path(const char *node_dir, uint32_t bucket)
{
    return fs_printf("%s/entries/%02x.ent", node_dir, bucket);
}

char *store_stream_dir(const char *node_dir, uint64_t id)
{
    return fs_printf("%s/streams/%02x", node_dir, (unsigned)(id % STORE_FILE_DIRS));
}

void store_stream_name(const struct store_stream *st, char out[32])
{
    snprintf(out, 32, "%012llu%s.pcap", (unsigned long long)st->id, st->proto == 17 ? "_udp" : "");
}

char *store_stream_path(const char *node_dir, const struct store_stream *st)
{
    char name[32];

    store_stream_name(st, name);
    return fs_printf("%s/streams/%02x/%s", node_dir, (unsigned)(st->id % STORE_FILE_DIRS), name);
}

int store_valid_node_ip(const char *ip)
{
    uint8_t a[16];

    return !ip || !*ip || inet_pton(AF_INET, ip, a) == 1 || inet_pton(AF_INET6, ip, a) == 1;
}

/* 1 to max bytes of [A-Za-z0-9._-], not "." or "..": safe as one path component. */
static int valid_component(const char *name, size_t max)
{
    if (!name || !*name || strcmp(name, ".") == 0 || strcmp(name, "..") == 0 ||
        strlen(name) > max)
        return 0;
    for (const char *p = name; *p; p++) {
        char c = *p;

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

int store_valid_node_name(const char *name)
{
    return valid_component(name, STORE_NODE_NAME_MAX);
}

int store_valid_segment_name(const char *name)
{
    return valid_component(name, STORE_SEGMENT_NAME_MAX);
}

/* ---------------------------------------------------------------- reading */

struct snode {
    struct store_node_info info;
    char *dir;
    struct store_stream *streams;
    size_t nstreams;
    bool loaded;
};

struct store {
    char *root;
    struct stat json_st;        /* its store.json when it was opened (store_replaced) */
    char *json_text;
    struct jv *meta;
    struct snode *nodes;
    size_t nnodes;
    struct store_segment *segs;
    size_t nsegs;
};

/* The "segments" list of store.json: names safe as a path component, nodes that exist. */
static int read_segments(struct store *s, const char *path, struct diag *d)
{
    struct jv *segs = jv_get(s->meta, "segments");

    s->nsegs = jv_len(segs);
    s->segs = xcalloc(s->nsegs ? s->nsegs : 1, sizeof *s->segs);
    for (size_t i = 0; i < s->nsegs; i++) {
        struct jv *j = jv_at(segs, i);
        const char *name = jv_get_str(j, "name"), *node = jv_get_str(j, "node");
        size_t k;

        if (!store_valid_segment_name(name) || !node)
            return diag_set(d, SV_EFORMAT, "%s: segment %zu has a bad name", path, i);
        for (k = 0; k < s->nnodes && strcmp(s->nodes[k].info.name, node) != 0; k++)
            ;
        if (k == s->nnodes)
            return diag_set(d, SV_EFORMAT, "%s: segment %s names an unknown node", path, name);
        s->segs[i].name = name;
        s->segs[i].node = k;
        if (!jv_get_u64(j, "rows", &s->segs[i].rows) ||
            !jv_get_u64(j, "bytes", &s->segs[i].bytes) ||
            !jv_get_u64(j, "blocks", &s->segs[i].blocks) ||
            !jv_get_u64(j, "first_ns", &s->segs[i].first_ns) ||
            !jv_get_u64(j, "last_ns", &s->segs[i].last_ns))
            return diag_set(d, SV_EFORMAT, "%s: segment %s lacks its rows, blocks, bytes or "
                            "times", path, name);
    }
    return 0;
}

int store_open(struct store **out, const char *dir, struct diag *d)
{
    struct store *s;
    char *path;
    uint8_t *text;
    size_t len;
    struct jv *nodes;
    uint64_t version;
    struct stat jst;
    int rc;

    *out = NULL;
    path = fs_join(dir, STORE_JSON);
    /* first: a store swapped in, or a store.json renamed in, after it is a replacement */
    if (stat(path, &jst) < 0)
        memset(&jst, 0, sizeof jst);
    rc = fs_read_file(path, 64u << 20, &text, &len, d);
    if (rc < 0) {
        if (d->sys_errno == ENOENT)
            rc = diag_set(d, SV_EFORMAT, "%s: not a streamvault store (no %s)", dir, STORE_JSON);
        free(path);
        return rc;
    }
    s = xcalloc(1, sizeof *s);
    s->root = xstrdup(dir);
    s->json_st = jst;
    s->json_text = (char *)text;
    rc = jv_parse(s->json_text, len, path, &s->meta, d);
    if (rc < 0)
        goto fail;
    if (!jv_get_u64(s->meta, "format_version", &version) || version != STORE_FORMAT_VERSION) {
        rc = diag_set(d, SV_EFORMAT, "%s: unsupported store format (format_version)", path);
        goto fail;
    }
    nodes = jv_get(s->meta, "nodes");
    s->nnodes = jv_len(nodes);
    s->nodes = xcalloc(s->nnodes ? s->nnodes : 1, sizeof *s->nodes);
    for (size_t i = 0; i < s->nnodes; i++) {
        struct jv *n = jv_at(nodes, i);
        const char *name = jv_get_str(n, "name");
        const char *ip = jv_get_str(n, "ip");

        if (!store_valid_node_name(name)) {
            rc = diag_set(d, SV_EFORMAT, "%s: node %zu has a bad name", path, i);
            goto fail;
        }
        s->nodes[i].info.name = name;
        s->nodes[i].info.ip = ip ? ip : "";
        jv_get_u64(n, "streams", &s->nodes[i].info.nstreams);
        jv_get_u64(n, "names", &s->nodes[i].info.names);
        s->nodes[i].info.names_file = jv_get_str(n, "names_file");
        if (!s->nodes[i].info.names_file)
            s->nodes[i].info.names_file = STORE_NAMES;
        else if (!store_history_file_name(s->nodes[i].info.names_file)) {
            rc = diag_set(d, SV_EFORMAT, "%s: node %s has a bad names_file", path, name);
            goto fail;
        }
        s->nodes[i].dir = store_node_dir(dir, name);
    }
    rc = read_segments(s, path, d);
    if (rc < 0)
        goto fail;
    free(path);
    *out = s;
    return 0;
fail:
    free(path);
    store_close(s);
    return rc;
}

bool store_replaced(const struct store *s)
{
    const struct stat *was = &s->json_st;
    struct stat now;
    char *path = fs_join(s->root, STORE_JSON);
    bool gone = stat(path, &now) < 0;

    free(path);
    /* a store swapped in has a store.json of its own; an import renames a new one in */
    return gone || now.st_dev != was->st_dev || now.st_ino != was->st_ino ||
           now.st_mtim.tv_sec != was->st_mtim.tv_sec ||
           now.st_mtim.tv_nsec != was->st_mtim.tv_nsec;
}

void store_close(struct store *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->nnodes; i++) {
        free(s->nodes[i].dir);
        free(s->nodes[i].streams);
    }
    free(s->nodes);
    free(s->segs);
    jv_free(s->meta);
    free(s->json_text);
    free(s->root);
    free(s);
}

size_t store_nnodes(const struct store *s)
{
    return s->nnodes;
}

const struct store_node_info *store_node(const struct store *s, size_t i)
{
    return i < s->nnodes ? &s->nodes[i].info : NULL;
}

size_t store_nsegments(const struct store *s)
{
    return s->nsegs;
}

const struct store_segment *store_segment(const struct store *s, size_t i)
{
    return i < s->nsegs ? &s->segs[i] : NULL;
}

char *store_segment_path(const struct store *s, size_t i)
{
    return fs_printf("%s/%s/%s/%s", s->root, STORE_INDEX_DIR, s->segs[i].name, IX_SEGMENT_FILE);
}

/* Whether store.json lists time t: jv_u64 writes times past INT64_MAX (2262) as INT64_MAX. */
static bool same_time(uint64_t listed, uint64_t t)
{
    return listed == (t > INT64_MAX ? (uint64_t)INT64_MAX : t);
}

int store_segment_open(const struct store *s, size_t i, struct ix_filebuf *fb,
                       struct ix_seg **out, struct diag *d)
{
    const struct store_segment *g = &s->segs[i];
    const struct ix_seg_info *info;
    char *path = store_segment_path(s, i);
    int rc = fb ? ix_open_buf(out, path, fb, d) : ix_open(out, path, d);

    if (rc == 0) {
        info = ix_info(*out);
        if (info->rows != g->rows || info->blocks != g->blocks || info->bytes != g->bytes ||
            !same_time(g->first_ns, info->first_ns) || !same_time(g->last_ns, info->last_ns) ||
            strcmp(ix_node(*out), s->nodes[g->node].info.name) != 0) {
            rc = diag_set(d, SV_EFORMAT, "%s: not the segment store.json lists as %s (its "
                          "rows, size, times or node differ)", path, g->name);
            ix_close(*out);
            *out = NULL;
        }
    }
    free(path);
    return rc;
}

const char *store_dir(const struct store *s)
{
    return s->root;
}

const char *store_json_text(const struct store *s)
{
    return s->json_text;
}

int store_streams(struct store *s, size_t node, const struct store_stream **v, size_t *n,
                  struct diag *d)
{
    struct snode *sn = &s->nodes[node];

    if (!sn->loaded) {
        char *path = fs_join(sn->dir, STORE_CATALOG);
        int rc = store_catalog_read(path, &sn->streams, &sn->nstreams, d);

        free(path);
        if (rc < 0)
            return rc;
        sn->loaded = true;
    }
    *v = sn->streams;
    *n = sn->nstreams;
    return 0;
}

static int read_range(const char *path, uint64_t off, uint64_t len, bool whole, struct buf *out,
                      struct diag *d)
{
    struct stat st;
    uint8_t *dst;
    int fd, rc;

    fd = fs_open_read(path, &st, d);
    if (fd < 0)
        return fd;
    if (whole)
        len = (uint64_t)st.st_size;
    if (off > (uint64_t)st.st_size || len > (uint64_t)st.st_size - off) {
        rc = diag_set(d, SV_EFORMAT, "%s: offset %llu: stream of %llu bytes extends past the end",
                      path, (unsigned long long)off, (unsigned long long)len);
        goto out;
    }
    dst = buf_reserve(out, (size_t)len);
    if (!dst) {
        rc = diag_set(d, SV_ENOMEM, "%s: out of memory reading %llu bytes", path,
                      (unsigned long long)len);
        goto out;
    }
    rc = fs_pread_all(fd, dst, (size_t)len, (off_t)off, path, d);
    if (rc == 0)
        out->len += (size_t)len;
out:
    close(fd);
    return rc;
}

/*
 * A stream's bytes as read must be the file ingest wrote: whole records, the
 * last one ending them, as many packets as the catalogue says. A pack or
 * stream file changed since (a flipped bit, a cut or foreign write) is an
 * error naming where, never a damaged file handed on.
 */
static int check_stream(const char *path, const struct store_stream *st, const uint8_t *p,
                        size_t n, struct diag *d)
{
    uint64_t base = st->flags & STORE_S_FILE ? 0 : st->offset, packets;
    size_t end;

    packets = pcapw_walk(p, n, &end);
    if (end == 0)
        return diag_set(d, SV_EFORMAT, "%s: offset %llu: stream %llu is damaged: no PCAP or "
                        "pcapng header", path, (unsigned long long)base,
                        (unsigned long long)st->id);
    if (end != n)
        return diag_set(d, SV_EFORMAT, "%s: offset %llu: stream %llu is damaged: a record "
                        "runs past its end", path, (unsigned long long)(base + end),
                        (unsigned long long)st->id);
    if (packets != st->packets)
        return diag_set(d, SV_EFORMAT, "%s: offset %llu: stream %llu is damaged: %llu packet "
                        "records, the catalogue says %llu", path, (unsigned long long)base,
                        (unsigned long long)st->id, (unsigned long long)packets,
                        (unsigned long long)st->packets);
    return 0;
}

int store_stream_read(struct store *s, size_t node, const struct store_stream *st,
                      struct buf *out, struct diag *d)
{
    struct snode *sn = &s->nodes[node];
    char *path;
    int rc;

    if (st->flags & STORE_S_DISCARDED)
        return diag_set(d, SV_EINVAL, "stream %llu was discarded at ingest (--discard-undissected)",
                        (unsigned long long)st->id);
    if (st->flags & STORE_S_FILE) {
        path = store_stream_path(sn->dir, st);
        rc = read_range(path, 0, st->length, false, out, d);
    } else {
        path = store_pack_path(sn->dir, st->pack);
        rc = read_range(path, st->offset, st->length, false, out, d);
    }
    if (rc == 0)
        rc = check_stream(path, st, out->data + out->len - st->length, (size_t)st->length, d);
    free(path);
    return rc;
}

int store_other_read(struct store *s, size_t node, struct buf *out, struct diag *d)
{
    char *path = fs_join(s->nodes[node].dir, STORE_OTHER);
    int rc = read_range(path, 0, 0, true, out, d);

    free(path);
    return rc;
}

int store_entries_read(struct store *s, size_t node, struct buf *out, struct diag *d)
{
    for (uint32_t b = 0; b < STORE_BUCKETS; b++) {
        char *path = store_entries_path(s->nodes[node].dir, b);
        size_t start = out->len;
        struct stat st;
        int rc;

        if (stat(path, &st) < 0) {
            rc = errno == ENOENT ? 0 : diag_errno(d, SV_EIO, errno, "%s", path);
            free(path);
            if (rc < 0)
                return rc;
            continue;
        }
        rc = read_range(path, 0, 0, true, out, d);
        if (rc == 0 && (out->len - start < STORE_ENT_MAGIC_LEN ||
                        memcmp(out->data + start, STORE_ENT_MAGIC, STORE_ENT_MAGIC_LEN) != 0))
            rc = diag_set(d, SV_EFORMAT, "%s: offset 0: not an entries file", path);
        free(path);
        if (rc < 0)
            return rc;
        memmove(out->data + start, out->data + start + STORE_ENT_MAGIC_LEN,
                out->len - start - STORE_ENT_MAGIC_LEN);
        out->len -= STORE_ENT_MAGIC_LEN;
    }
    return 0;
}

/* ----------------------------------------------------------- piecewise */

struct rfile {
    uint64_t key;               /* pack number, or the stream id | 1 << 63 for a file */
    int fd;
    uint64_t size;
    uint64_t used;              /* tick of the last use */
};

struct store_reader {
    struct store *s;
    size_t node;
    struct rfile f[STORE_READER_FILES];
    size_t nf;
    uint64_t tick;
};

struct store_reader *store_reader_new(struct store *s, size_t node)
{
    struct store_reader *r = xcalloc(1, sizeof *r);

    r->s = s;
    r->node = node;
    return r;
}

void store_reader_free(struct store_reader *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->nf; i++)
        close(r->f[i].fd);
    free(r);
}

/* The open file holding st, opening it (and closing the least recently used) as needed. */
static int reader_file(struct store_reader *r, const struct store_stream *st, const char *path,
                       struct rfile **out, struct diag *d)
{
    uint64_t key = st->flags & STORE_S_FILE ? st->id | 1ull << 63 : st->pack;
    struct stat sb;
    size_t i, lru = 0;
    int fd;

    for (i = 0; i < r->nf; i++) {
        if (r->f[i].key == key) {
            r->f[i].used = ++r->tick;
            *out = &r->f[i];
            return 0;
        }
        if (r->f[i].used < r->f[lru].used)
            lru = i;
    }
    fd = fs_open_read(path, &sb, d);
    if (fd < 0)
        return fd;
    if (r->nf < STORE_READER_FILES) {
        i = r->nf++;
    } else {
        i = lru;
        close(r->f[i].fd);
    }
    r->f[i] = (struct rfile){ key, fd, (uint64_t)sb.st_size, ++r->tick };
    *out = &r->f[i];
    return 0;
}

int store_reader_pread(struct store_reader *r, const struct store_stream *st, uint64_t off,
                       void *p, size_t n, struct diag *d)
{
    struct snode *sn = &r->s->nodes[r->node];
    uint64_t base = st->flags & STORE_S_FILE ? 0 : st->offset;
    struct rfile *f;
    char *path;
    int rc;

    if (st->flags & STORE_S_DISCARDED)
        return diag_set(d, SV_EINVAL, "stream %llu was discarded at ingest (--discard-undissected)",
                        (unsigned long long)st->id);
    path = st->flags & STORE_S_FILE ? store_stream_path(sn->dir, st)
                                    : store_pack_path(sn->dir, st->pack);
    rc = reader_file(r, st, path, &f, d);
    if (rc < 0)
        goto out;
    if (off > st->length || n > st->length - off) {
        rc = diag_set(d, SV_EFORMAT, "%s: stream %llu: read of %zu bytes at %llu past its end",
                      path, (unsigned long long)st->id, n, (unsigned long long)off);
        goto out;
    }
    if (base > f->size || st->length > f->size - base) {
        rc = diag_set(d, SV_EFORMAT, "%s: offset %llu: stream of %llu bytes extends past the end",
                      path, (unsigned long long)base, (unsigned long long)st->length);
        goto out;
    }
    rc = fs_pread_all(f->fd, p, n, (off_t)(base + off), path, d);
out:
    free(path);
    return rc;
}
