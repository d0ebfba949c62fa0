/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: the store's names: passive DNS gathered at ingest, each node's
 * history (nodes/<node>/names.json) and the names of its index rows.
 *
 * Names are resolved once the whole history is known, never while the
 * buckets run: a DNS answer seen by one bucket names the addresses of
 * entries in all of them, and the buckets run in any order. So ingest
 * gathers each bucket's DNS answers (swr_names_batch), and at the end
 * (swr_names_finish) merges them, in time order, into the history the
 * user gave, seals it, and gives every segment's rows their names with
 * ix_rename (which copies everything else of a segment as it is). `names
 * import` does the same to an existing store (store_names_import).
 */
#include "config.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "base/addr.h"
#include "base/buf.h"
#include "base/diag.h"
#include "base/fsutil.h"
#include "base/hash.h"
#include "base/limits.h"
#include "base/xalloc.h"
#include "compress/compress.h"
#include "entry/entry.h"
#include "index/index.h"
#include "json/json.h"
#include "names/names.h"
#include "split_int.h"
#include "store_int.h"

/* Same level as ixbuild.c's: the name chunks are packed as the rest of the segment. */
#define NAMES_ZSTD_LEVEL 1

/* ------------------------------------------------------------ passive DNS */

/* One member of an object: its tag, key and payload (*p moves past it). */
struct member {
    uint8_t tag;
    const uint8_t *key, *val;   /* val: the payload */
    size_t kl;
};

static bool next_member(const uint8_t **p, const uint8_t *end, struct member *m, int depth)
{
    if (*p >= end || **p == ENT_T_END)
        return false;
    m->tag = *(*p)++;
    if (*p >= end || (size_t)(end - *p) < 1u + **p)
        return false;
    m->kl = **p;
    m->key = *p + 1;
    *p += 1 + m->kl;
    m->val = *p;
    return ent_skip_value(p, end, m->tag, depth);
}

static bool key_is(const struct member *m, const char *k)
{
    return m->kl == strlen(k) && memcmp(m->key, k, m->kl) == 0;
}

/* The string payload at p: its bytes and length. */
static const uint8_t *str_payload(const uint8_t *p, const uint8_t *end, size_t *n)
{
    uint64_t l;

    if (!ent_varint(&p, end, &l) || l > (uint64_t)(end - p))
        return NULL;
    *n = (size_t)l;
    return p;
}

/* Slots of a bucket's IP -> last sighting table: twice the sightings it may hold. */
#define SEEN_SLOTS (2u * LIM_NAMES_DNS_SEEN)

/*
 * Adds a sighting of name for ip at t to bucket b. A repeat of the name the
 * bucket last saw for ip only widens that sighting (a busy service is
 * answered for over and over): what a bucket keeps grows with the distinct
 * answers, up to LIM_NAMES_DNS_SEEN of them; later new ones are dropped and
 * counted.
 */
static void seen_add(struct bucket *b, uint64_t t, uint8_t ipver, const uint8_t ip[16],
                     const uint8_t *name, size_t nl)
{
    size_t j;
    struct dns_seen *x;

    if (!b->seen_slot)
        b->seen_slot = xcalloc(SEEN_SLOTS, sizeof *b->seen_slot);
    j = (size_t)hash_bytes(ip, 16, ipver) & (SEEN_SLOTS - 1);
    while (b->seen_slot[j]) {
        x = &b->seen[b->seen_slot[j] - 1];
        if (x->ipver == ipver && memcmp(x->ip, ip, 16) == 0)
            break;
        j = (j + 1) & (SEEN_SLOTS - 1);
    }
    if (b->seen_slot[j]) {
        x = &b->seen[b->seen_slot[j] - 1];
        if (x->namelen == nl && memcmp(b->seen_names.data + x->name, name, nl) == 0) {
            if (t < x->t0)
                x->t0 = t;
            if (t > x->t1)
                x->t1 = t;
            return;
        }
    }
    if (b->nseen >= LIM_NAMES_DNS_SEEN) {
        b->seen_dropped++;
        return;
    }
    xgrow((void **)&b->seen, &b->capseen, b->nseen + 1, sizeof *b->seen);
    x = &b->seen[b->nseen];
    *x = (struct dns_seen){ t, t, ipver, { 0 }, b->seen_names.len, nl };
    memcpy(x->ip, ip, 16);
    if (buf_append(&b->seen_names, name, nl) < 0)
        return;
    b->seen_slot[j] = (uint32_t)++b->nseen;
}

/*
 * The A and AAAA answers of a DNS response section. Each names its owner,
 * or the question's name when the answer came through a CNAME chain (the
 * name the client asked for is the one it knows the server by).
 */
static void dns_answers(struct bucket *b, const struct ent_view *v)
{
    const uint8_t *p = v->sec[ENT_RESP], *end = p + v->seclen[ENT_RESP], *q;
    const uint8_t *qname = NULL, *ans = NULL;
    size_t qnl = 0;
    bool cname = false;
    struct member m, f;

    while (next_member(&p, end, &m, 0)) {
        if (m.tag == ENT_T_ARR && key_is(&m, "answers"))
            ans = m.val;
        if (m.tag == ENT_T_ARR && key_is(&m, "questions") && m.val < end && *m.val == ENT_T_OBJ) {
            q = m.val + 1;
            while (next_member(&q, end, &f, 2)) {
                if (f.tag == ENT_T_STR && key_is(&f, "name"))
                    qname = str_payload(f.val, end, &qnl);
            }
        }
    }
    for (int pass = 0; ans && pass < 2; pass++) {
        /* pass 0 looks for a CNAME, pass 1 takes the addresses */
        p = ans;
        while (p < end && *p == ENT_T_OBJ) {
            const uint8_t *name = NULL, *type = NULL, *data = NULL;
            size_t nl = 0, tl = 0, dl = 0;
            char text[ADDR_TEXT_LEN];
            uint8_t ip[16];
            int fam;

            q = ++p;
            while (next_member(&q, end, &f, 2)) {
                if (f.tag != ENT_T_STR)
                    continue;
                if (key_is(&f, "name"))
                    name = str_payload(f.val, end, &nl);
                else if (key_is(&f, "type"))
                    type = str_payload(f.val, end, &tl);
                else if (key_is(&f, "data"))
                    data = str_payload(f.val, end, &dl);
            }
            if (!ent_skip_value(&p, end, ENT_T_OBJ, 1))
                return;
            if (!type)
                continue;
            if (pass == 0) {
                cname = cname || (tl == 5 && memcmp(type, "CNAME", 5) == 0);
                continue;
            }
            fam = tl == 1 && *type == 'A' ? AF_INET
                  : tl == 4 && memcmp(type, "AAAA", 4) == 0 ? AF_INET6 : 0;
            if (!fam || !data || !name || dl >= sizeof text)
                continue;
            memcpy(text, data, dl);
            text[dl] = 0;
            memset(ip, 0, sizeof ip);
            if (inet_pton(fam, text, ip) != 1)
                continue;
            if (cname && qname) {
                name = qname;
                nl = qnl;
            }
            seen_add(b, v->f.resp_ns, fam == AF_INET6 ? 6 : 4, ip, name, nl);
        }
    }
}

void swr_names_batch(struct bucket *b, const struct ent_view *v)
{
    if (v->f.proto == ENT_DNS && (v->f.flags & ENT_F_RESP))
        dns_answers(b, v);
}

/* ------------------------------------------------------------- resolving */

_Static_assert(NAMES_WHO_MAX == ENT_NAME_MAX, "a resolved name fits an entry's");

/* names_resolve gives names that fit (NAMES_WHO_MAX: a long one is shortened, not cut). */
static void who_names(const struct names_who *w, const char **nm, uint8_t *nl)
{
    const char *s[ENT_NM_FIELDS] = { w->name, w->ns, w->pod, w->svc, w->dns };

    for (int i = 0; i < ENT_NM_FIELDS; i++) {
        nm[i] = s[i];
        nl[i] = (uint8_t)strlen(s[i]);
    }
}

/* ix_rename's and ix_writer_name's callback: both endpoints at the row's time. */
void swr_name_row(void *names, const struct ix_ends *e, const char **nm, uint8_t *nl)
{
    const struct names *h = names;
    struct names_who w;

    names_resolve(h, e->ipver, e->src_ip, e->src_port, e->t, &w);
    who_names(&w, nm + ENT_NM_SRC, nl + ENT_NM_SRC);
    names_resolve(h, e->ipver, e->dst_ip, e->dst_port, e->t, &w);
    who_names(&w, nm + ENT_NM_DST, nl + ENT_NM_DST);
}

/*
 * Names the rows of the n segments at paths[] after the sealed history h,
 * in parallel, each written to dsts[i] when its names change (over itself
 * with dsts NULL); bytes[i] gets each one's size, chg[i] (if chg) whether it
 * changed. Once cancel (may be NULL) is set, the segments not yet begun are
 * left (SV_EINTR). Returns the first error in segment order.
 */
static int rename_segments(struct names *h, char *const *paths, char *const *dsts,
                           uint64_t *bytes, bool *chg, size_t n,
                           const volatile sig_atomic_t *cancel, struct diag *d)
{
    int *rcs = xcalloc(n ? n : 1, sizeof *rcs);
    struct diag *ds = xcalloc(n ? n : 1, sizeof *ds);
    int rc = 0;

#pragma omp parallel
    {
        struct comp_block *z = comp_block_new(NAMES_ZSTD_LEVEL);

#pragma omp for schedule(dynamic, 1)
        for (size_t i = 0; i < n; i++) {
            struct ix_seg_info info;
            bool changed;

            diag_clear(&ds[i]);
            if (cancel && *cancel) {
                rcs[i] = diag_set(&ds[i], SV_EINTR, "%s: interrupted", paths[i]);
                continue;
            }
            if (!z) {
                rcs[i] = diag_set(&ds[i], SV_ENOMEM, "%s: out of memory", paths[i]);
                continue;
            }
            rcs[i] = ix_rename(paths[i], dsts ? dsts[i] : NULL, swr_name_row, h, z, &changed,
                               &info, &ds[i]);
            if (rcs[i] == 0) {
                bytes[i] = info.bytes;
                if (chg)
                    chg[i] = changed;
            }
        }
        comp_block_free(z);
    }
    for (size_t i = 0; i < n; i++) {
        if (rcs[i] < 0) {
            *d = ds[i];
            rc = rcs[i];
            break;
        }
    }
    free(rcs);
    free(ds);
    return rc;
}

/* Writes h in the native format to path (atomically). */
static int write_history_to(const struct names *h, const char *path, struct diag *d)
{
    struct buf out;
    int rc;

    buf_init(&out, SIZE_MAX);
    rc = names_write_native(h, &out);
    if (rc < 0)
        rc = diag_set(d, rc, "%s: out of memory", path);
    else
        rc = fs_write_file_atomic(path, out.data, out.len, d);
    buf_release(&out);
    return rc;
}

/* Writes h in the native format to the node directory's names.json (atomically). */
static int write_history(const struct names *h, const char *node_dir, struct diag *d)
{
    char *path = fs_join(node_dir, STORE_NAMES);
    int rc = write_history_to(h, path, d);

    free(path);
    return rc;
}

/* A bucket's sighting (the first or the last of a widened one), for sorting them by time. */
struct sighting {
    const struct dns_seen *s;
    const uint8_t *name;
    uint64_t t;
};

static int cmp_sighting(const void *a, const void *b)
{
    const struct dns_seen *x = ((const struct sighting *)a)->s;
    const struct dns_seen *y = ((const struct sighting *)b)->s;
    uint64_t tx = ((const struct sighting *)a)->t, ty = ((const struct sighting *)b)->t;
    int c;

    if (tx != ty)
        return tx < ty ? -1 : 1;
    if (x->ipver != y->ipver)
        return x->ipver < y->ipver ? -1 : 1;
    c = memcmp(x->ip, y->ip, 16);
    if (c)
        return c;
    c = memcmp(((const struct sighting *)a)->name, ((const struct sighting *)b)->name,
               x->namelen < y->namelen ? x->namelen : y->namelen);
    return c ? c : (x->namelen > y->namelen) - (x->namelen < y->namelen);
}

/*
 * Gives h every bucket's DNS answers in time order (then address, then
 * name): what the buckets saw, as the capture showed it, whatever bucket
 * saw it first.
 */
static void add_sightings(struct split *sp, struct names *h)
{
    struct sighting *v;
    size_t n = 0, k = 0;

    for (uint32_t t = 0; t < STORE_BUCKETS; t++) {
        for (size_t i = 0; i < sp->b[t].nseen; i++)
            n += sp->b[t].seen[i].t1 != sp->b[t].seen[i].t0 ? 2 : 1;
        names_dns_dropped_add(h, sp->b[t].seen_dropped);
    }
    v = xcalloc(n ? n : 1, sizeof *v);
    for (uint32_t t = 0; t < STORE_BUCKETS; t++) {
        const struct bucket *b = &sp->b[t];

        for (size_t i = 0; i < b->nseen; i++) {
            const struct dns_seen *s = &b->seen[i];

            v[k++] = (struct sighting){ s, b->seen_names.data + s->name, s->t0 };
            if (s->t1 != s->t0)
                v[k++] = (struct sighting){ s, b->seen_names.data + s->name, s->t1 };
        }
    }
    if (n > 1)
        qsort(v, n, sizeof *v, cmp_sighting);
    for (size_t i = 0; i < n; i++)
        names_dns_seen(h, v[i].s->ipver, v[i].s->ip, (const char *)v[i].name, v[i].s->namelen,
                       v[i].t);
    free(v);
}

void swr_names_seal(struct split *sp, struct store_ingest_result *res)
{
    struct names *h = sp->o->names;

    if (!h)
        h = sp->names_own = names_new();
    add_sightings(sp, h);
    names_seal(h);
    res->names = names_count(h);
    /* an empty history names nobody: the rows keep the names they came with */
    sp->names = res->names ? h : NULL;
}

int swr_names_finish(struct split *sp, struct store_ingest_result *res, struct diag *d)
{
    char **paths;
    uint64_t *bytes;
    size_t *which, n = 0;
    int rc;

    if (!sp->names) {
        names_free(sp->names_own);
        sp->names_own = NULL;
        return 0;
    }
    paths = xcalloc(res->nsegments ? res->nsegments : 1, sizeof *paths);
    bytes = xcalloc(res->nsegments ? res->nsegments : 1, sizeof *bytes);
    which = xcalloc(res->nsegments ? res->nsegments : 1, sizeof *which);
    /* a segment named whole before it was written (ix_writer_name) is done */
    for (size_t i = 0; i < res->nsegments; i++) {
        if (res->segments[i].named)
            continue;
        which[n] = i;
        paths[n++] = fs_printf("%s/%s/%s/%s", sp->tmp_root, STORE_INDEX_DIR,
                               res->segments[i].name, IX_SEGMENT_FILE);
    }
    rc = rename_segments(sp->names, paths, NULL, bytes, NULL, n, NULL, d);
    for (size_t i = 0; i < n; i++) {
        if (rc == 0)
            res->segments[which[i]].bytes = bytes[i];
        free(paths[i]);
    }
    free(paths);
    free(bytes);
    free(which);
    if (rc == 0)
        rc = write_history(sp->names, sp->node_dir, d);
    names_free(sp->names_own);
    sp->names_own = NULL;
    sp->names = NULL;
    return rc;
}

/* --------------------------------------------------------------- import */

/* Segment seg of store.json's text (meta) becomes name, of bytes bytes. */
static void update_meta(struct jv *meta, const char *seg, const char *name, uint64_t bytes)
{
    struct jv *segs = jv_get(meta, "segments");

    for (size_t i = 0; i < jv_len(segs); i++) {
        struct jv *j = jv_at(segs, i);
        const char *n = jv_get_str(j, "name");

        if (n && strcmp(n, seg) == 0) {
            jv_set(j, "bytes", jv_u64(bytes));
            jv_set(j, "name", jv_str(name));
            return;
        }
    }
}

/* The name a segment written anew by names import takes: NAME.n<g+1> after NAME[.n<g>]. */
static char *next_segment_name(const char *name)
{
    const char *dot = strrchr(name, '.');
    size_t keep = strlen(name);
    unsigned long g = 0;

    if (dot && dot[1] == 'n' && dot[2] && strspn(dot + 2, "0123456789") == strlen(dot + 2) &&
        strlen(dot + 2) < 9) {
        g = strtoul(dot + 2, NULL, 10);
        keep = (size_t)(dot - name);
    }
    return fs_printf("%.*s.n%lu", (int)keep, name, g + 1);
}

/* The history file names import writes: names.n<g+1>.json after names[.n<g>].json. */
static char *next_history_name(const char *name)
{
    unsigned long g = 0;

    if (strncmp(name, "names.n", 7) == 0)
        g = strtoul(name + 7, NULL, 10);
    return fs_printf("names.n%lu.json", g + 1);
}

bool store_history_file_name(const char *name)
{
    size_t nd = strspn(name + 7 * (strncmp(name, "names.n", 7) == 0), "0123456789");

    return strcmp(name, STORE_NAMES) == 0 ||
           (strncmp(name, "names.n", 7) == 0 && nd > 0 && strcmp(name + 7 + nd, ".json") == 0);
}

/*
 * Removes the temporary files written beside dir/name (".<name>.*.tmp"):
 * under the store's lock, only a killed import can have left them.
 */
static void remove_own_tmp(const char *dir, const char *name)
{
    DIR *dp = opendir(dir);
    struct dirent *e;
    size_t nl = strlen(name), el;

    while (dp && (e = readdir(dp)) != NULL) {
        el = strlen(e->d_name);
        if (e->d_name[0] == '.' && strncmp(e->d_name + 1, name, nl) == 0 &&
            e->d_name[1 + nl] == '.' && el > nl + 6 && strcmp(e->d_name + el - 4, ".tmp") == 0) {
            char *p = fs_join(dir, e->d_name);

            unlink(p);
            free(p);
        }
    }
    if (dp)
        closedir(dp);
}

/* Whether name is a segment file or one of its temporaries (fs_dir_every). */
static bool segment_file(const char *dir, const char *name, void *arg)
{
    size_t len = strlen(name);

    (void)dir;
    (void)arg;
    return strcmp(name, IX_SEGMENT_FILE) == 0 ||
           (strncmp(name, "." IX_SEGMENT_FILE ".", sizeof IX_SEGMENT_FILE + 1) == 0 &&
            len > 4 && strcmp(name + len - 4, ".tmp") == 0);
}

/* Whether path is a directory (not a link) holding only a segment file and its temporaries. */
static bool segment_dir(const char *path)
{
    struct stat st;

    return lstat(path, &st) == 0 && S_ISDIR(st.st_mode) &&
           fs_dir_every(path, segment_file, NULL);
}

/*
 * Removes the segment directories of index/ that store.json does not list:
 * what an import killed before it finished left (its new segments, or the
 * old ones it had not removed yet). Anything else there is left alone.
 */
static void remove_unlisted(const char *dir, const struct store *st)
{
    char *idx = fs_join(dir, "index");
    DIR *dp = opendir(idx);
    struct dirent *e;

    while (dp && (e = readdir(dp)) != NULL) {
        bool listed = e->d_name[0] == '.';
        char *p;

        for (size_t k = 0; !listed && k < store_nsegments(st); k++)
            listed = strcmp(store_segment(st, k)->name, e->d_name) == 0;
        if (listed)
            continue;
        p = fs_join(idx, e->d_name);
        if (segment_dir(p)) {
            struct diag ignore;

            fs_rmtree(p, &ignore);
        }
        free(p);
    }
    if (dp)
        closedir(dp);
    free(idx);
}

/*
 * Removes the history files of node directory nd that its store.json does
 * not name, and their temporaries (".names*.tmp"): under the store's lock,
 * only a killed import can have left them.
 */
static void remove_unlisted_histories(const char *nd, const char *listed)
{
    DIR *dp = opendir(nd);
    struct dirent *e;

    while (dp && (e = readdir(dp)) != NULL) {
        size_t len = strlen(e->d_name);
        bool tmp = strncmp(e->d_name, ".names.", 7) == 0 && len > 11 &&
                   strcmp(e->d_name + len - 4, ".tmp") == 0;

        if (tmp || (store_history_file_name(e->d_name) && strcmp(e->d_name, listed) != 0)) {
            char *p = fs_join(nd, e->d_name);

            unlink(p);
            free(p);
        }
    }
    if (dp)
        closedir(dp);
}

/*
 * Removes from the store at dir what store.json (st) does not name and a
 * names import writes: what one killed before it finished left (its new
 * segments and histories, or the old ones it had not removed yet, and their
 * temporaries), or, once an import's store.json is in place, the old ones.
 */
static void tidy(const char *dir, const struct store *st)
{
    remove_unlisted(dir, st);
    remove_own_tmp(dir, STORE_JSON);
    for (size_t ni = 0; ni < store_nnodes(st); ni++) {
        char *nd = store_node_dir(dir, store_node(st, ni)->name);

        remove_unlisted_histories(nd, store_node(st, ni)->names_file);
        free(nd);
    }
}

/*
 * Reads node's history into h (ro: how), refusing a history store.json
 * counts records in that is not there.
 */
static int load_history(const struct store *st, size_t node, struct names *h,
                        const struct names_read_opts *ro, struct diag *d)
{
    const struct store_node_info *ni = store_node(st, node);
    char *node_dir = store_node_dir(store_dir(st), ni->name);
    char *path = fs_join(node_dir, ni->names_file);
    struct stat sb;
    int rc = 0;

    if (stat(path, &sb) == 0)
        rc = names_read_file(h, path, ro, d);
    else if (errno != ENOENT)
        rc = diag_errno(d, SV_EIO, errno, "%s", path);
    else if (ni->names > 0)
        rc = diag_set(d, SV_EFORMAT, "%s: missing, but store.json says node '%s' has %llu "
                      "name records", path, ni->name, (unsigned long long)ni->names);
    free(path);
    free(node_dir);
    return rc;
}

/*
 * `names import` changes the store as a whole or not at all, in place and
 * under the store's lock (fs_lock_path; ingest --force takes it for its swap,
 * so writers take turns): every segment whose names change is written anew
 * under a new name (NAME.n<g>, next to the old one, which stays as it is),
 * so is each node's history (names.n<g>.json, which store.json's
 * "names_file" names), and store.json, renamed into place, switches to all
 * of them at once; then the old ones go. A failure or a kill before
 * store.json leaves the store as it was; what a killed import left (new
 * files store.json does not name, or old ones not yet removed) is removed by
 * the next one. A reader that was reading says so (store_replaced:
 * store.json changed).
 */
int store_names_import(const char *dir, char *const *files, size_t nfiles,
                       const struct names_read_opts *ro, struct store_names_result *out,
                       struct diag *d)
{
    const volatile sig_atomic_t *cancel = ro ? ro->cancel : NULL;
    struct store *st = NULL, *now = NULL;
    struct jv *meta = NULL;
    char *idx = fs_join(dir, "index");
    int lock, rc;

    memset(out, 0, sizeof *out);
    rc = lock = fs_lock_path(dir, d);
    if (rc >= 0)
        rc = store_open(&st, dir, d);
    if (rc >= 0) {
        tidy(dir, st);
        rc = jv_parse(store_json_text(st), strlen(store_json_text(st)), STORE_JSON, &meta, d);
    }
    /* each node reads the files: a store of no node still refuses a bad one */
    if (rc == 0 && store_nnodes(st) == 0) {
        struct names *h = names_new();

        for (size_t f = 0; rc == 0 && f < nfiles; f++)
            rc = names_read_file(h, files[f], ro, d);
        names_free(h);
    }
    for (size_t ni = 0; rc == 0 && !(cancel && *cancel) && ni < store_nnodes(st); ni++) {
        const struct store_node_info *node = store_node(st, ni);
        size_t ns = store_nsegments(st) + 1, n = 0;
        char **paths = xcalloc(ns, sizeof *paths), **dsts = xcalloc(ns, sizeof *dsts);
        char **names = xcalloc(ns, sizeof *names);
        uint64_t *bytes = xcalloc(ns, sizeof *bytes);
        bool *chg = xcalloc(ns, sizeof *chg);
        size_t *which = xcalloc(ns, sizeof *which);
        struct names *h = names_new();

        /* what the node knew, then the new files: each node gets every file's records */
        rc = load_history(st, ni, h, ro, d);
        for (size_t f = 0; rc == 0 && f < nfiles; f++)
            rc = names_read_file(h, files[f], ro, d);
        if (rc == 0)
            names_seal(h);
        /* each segment to a new directory beside its own, made as that one is */
        for (size_t k = 0; rc == 0 && k < store_nsegments(st); k++) {
            char *od, *nd;
            struct stat ds;

            if (store_segment(st, k)->node != ni)
                continue;
            which[n] = k;
            paths[n] = store_segment_path(st, k);
            names[n] = next_segment_name(store_segment(st, k)->name);
            od = fs_join(idx, store_segment(st, k)->name);
            nd = fs_join(idx, names[n]);
            dsts[n] = fs_join(nd, IX_SEGMENT_FILE);
            n++;
            if (stat(od, &ds) < 0)
                rc = diag_errno(d, SV_EIO, errno, "%s", od);
            else if (mkdir(nd, ds.st_mode & 07777) < 0)
                rc = diag_errno(d, SV_EIO, errno, "%s: mkdir", nd);
            else if (chmod(nd, ds.st_mode & 07777) == 0 && geteuid() == 0)
                (void)chown(nd, ds.st_uid, ds.st_gid);      /* (mkdir's mode under umask) */
            free(od);
            free(nd);
        }
        /* the history to a new file too, which the new store.json names */
        if (rc == 0) {
            char *nd = store_node_dir(dir, node->name);
            char *hname = next_history_name(node->names_file), *hpath = fs_join(nd, hname);

            rc = write_history_to(h, hpath, d);
            if (rc == 0)
                jv_set(jv_at(jv_get(meta, "nodes"), ni), "names_file", jv_str(hname));
            free(hpath);
            free(hname);
            free(nd);
        }
        if (rc == 0)
            rc = rename_segments(h, paths, dsts, bytes, chg, n, cancel, d);
        for (size_t k = 0; rc == 0 && k < n; k++) {
            if (chg[k]) {
                update_meta(meta, store_segment(st, which[k])->name, names[k], bytes[k]);
                out->segments++;
            }
        }
        if (rc == 0) {
            out->records += names_count(h);
            jv_set(jv_at(jv_get(meta, "nodes"), ni), "names", jv_u64(names_count(h)));
        }
        for (size_t k = 0; k < n; k++) {
            free(paths[k]);
            free(dsts[k]);
            free(names[k]);
        }
        free(paths);
        free(dsts);
        free(names);
        free(bytes);
        free(chg);
        free(which);
        names_free(h);
    }
    /* the last chance to stop (a signal): past here the store is the new one */
    if (rc == 0 && cancel && *cancel)
        rc = SV_EINTR;
    if (rc < 0 && cancel && *cancel)
        rc = diag_set(d, SV_EINTR, "%s: interrupted; the store is as it was", dir);
    if (rc == 0) {
        char *text = jv_dump(meta, JV_PRETTY), *path = fs_join(dir, STORE_JSON);
        size_t tl = strlen(text);

        text = xrealloc(text, tl + 2);
        text[tl] = '\n';
        text[tl + 1] = 0;
        /* the new files on disk before the manifest that names them, and it before the
           old files go (tidy): a crash of the machine leaves one whole store */
        rc = fs_sync_fs(dir, d);
        if (rc == 0)
            rc = fs_write_file_atomic(path, text, tl + 1, d);
        if (rc == 0)
            rc = fs_sync_fs(dir, d);
        free(path);
        free(text);
    }
    /* the store is the new one from here, or still the old one: what it does not name goes */
    if (st) {
        struct diag ignore;

        if (store_open(&now, dir, &ignore) == 0)
            tidy(dir, now);
        store_close(now);
    }
    jv_free(meta);
    store_close(st);
    free(idx);
    if (lock >= 0)
        close(lock);
    return rc < 0 ? rc : 0;
}

int store_names_load(struct store *st, size_t node, struct names *h, struct diag *d)
{
    struct names_read_opts ro = { 0 };

    return load_history(st, node, h, &ro, d);
}
