/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: the name resolution history: the record store, format detection,
 * sealing, and the lookup at an entry's own time
 * (docs/NAMES.md, "Lookup").
 *
 * names_resolve is called for every entry, from several threads, on a
 * sealed history: it hashes (ipver, ip, port) into addrs[] and scans that
 * address's records (usually 1-3) linearly. It takes no lock and writes
 * nothing but *out. Every string it returns was interned while building.
 */
#include "config.h"

#include "names.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/addr.h"
#include "base/buf.h"
#include "base/bytesrc.h"
#include "base/diag.h"
#include "base/hash.h"
#include "base/limits.h"
#include "base/timefmt.h"
#include "base/xalloc.h"
#include "json/json.h"
#include "names_int.h"
#include "streamvault.h"

/* ------------------------------------------------------------ strings */

#define NAMES_CHUNK_SIZE (64u * 1024)

struct names_chunk {
    struct names_chunk *next;
    size_t used, cap;
    char data[];
};

static void strs_grow(struct names *h)
{
    size_t nslots = h->strs ? (h->strs_mask + 1) * 2 : 1024;
    const char **slots = xcalloc(nslots, sizeof *slots);

    for (size_t i = 0; h->strs && i <= h->strs_mask; i++) {
        const char *s = h->strs[i];
        size_t j;

        if (!s)
            continue;
        j = hash_bytes(s, strlen(s), 0) & (nslots - 1);
        while (slots[j])
            j = (j + 1) & (nslots - 1);
        slots[j] = s;
    }
    free(h->strs);
    h->strs = slots;
    h->strs_mask = nslots - 1;
}

const char *names_intern(struct names *h, const char *s, size_t n)
{
    struct names_chunk *c = h->chunks;
    size_t i;
    char *p;

    if (n == 0)
        return "";
    if (!h->strs || (h->nstrs + 1) * 2 > h->strs_mask + 1)
        strs_grow(h);
    i = hash_bytes(s, n, 0) & h->strs_mask;
    while (h->strs[i]) {
        if (memcmp(h->strs[i], s, n) == 0 && h->strs[i][n] == '\0')
            return h->strs[i];
        i = (i + 1) & h->strs_mask;
    }
    if (!c || c->cap - c->used < n + 1) {
        size_t cap = n + 1 > NAMES_CHUNK_SIZE ? n + 1 : NAMES_CHUNK_SIZE;

        c = xmalloc(sizeof *c + cap);
        c->next = h->chunks;
        c->used = 0;
        c->cap = cap;
        h->chunks = c;
    }
    p = c->data + c->used;
    memcpy(p, s, n);
    p[n] = '\0';
    c->used += n + 1;
    h->strs[i] = p;
    h->nstrs++;
    return p;
}

/* ------------------------------------------------------------ records */

void names_vec_push(struct names_vec *v, const struct names_item *it)
{
    if (v->n == v->cap)
        xgrow((void **)&v->v, &v->cap, v->n + 1, sizeof *v->v);
    v->v[v->n++] = *it;
}

void names_vec_release(struct names_vec *v)
{
    free(v->v);
    v->v = NULL;
    v->n = 0;
    v->cap = 0;
}

struct names *names_new(void)
{
    struct names *h = xcalloc(1, sizeof *h);

    /* per-history seed: the table layout never matters, only lookup speed */
    h->seed = hash_mix((uint64_t)(uintptr_t)h ^ HASH_FIXED_SEED);
    return h;
}

void names_free(struct names *h)
{
    if (!h)
        return;
    names_vec_release(&h->items);
    for (size_t i = 0; i < h->ndumps; i++) {
        names_vec_release(&h->dumps[i].recs);
        free(h->dumps[i].m);
    }
    free(h->dumps);
    free(h->runs);
    free(h->run_slot);
    free(h->addrs);
    free(h->addr_slot);
    free(h->dns_idx);
    free(h->strs);
    while (h->chunks) {
        struct names_chunk *next = h->chunks->next;

        free(h->chunks);
        h->chunks = next;
    }
    free(h);
}

void names_commit(struct names *h, struct names_vec *v)
{
    for (size_t i = 0; i < v->n; i++) {
        v->v[i].seq = h->next_seq++;
        names_vec_push(&h->items, &v->v[i]);
    }
    h->file_records += v->n;
    names_vec_release(v);
}

int names_check_count(struct names *h, const char *file, size_t n, struct diag *d)
{
    if (n > LIM_NAMES_RECORDS || h->file_records > LIM_NAMES_RECORDS - n)
        return diag_set(d, SV_ELIMIT, "%s: more than %u name records in all (LIM_NAMES_RECORDS)",
                        file, LIM_NAMES_RECORDS);
    return 0;
}

void names_add_dump(struct names *h, uint64_t taken, struct names_vec *v, struct names_member *m,
                    size_t n)
{
    struct names_dump *dp;

    if (h->ndumps == h->capdumps)
        xgrow((void **)&h->dumps, &h->capdumps, h->ndumps + 1, sizeof *h->dumps);
    dp = &h->dumps[h->ndumps++];
    dp->taken = taken;
    dp->seq = h->next_seq++;
    dp->recs = *v;
    dp->m = m;
    dp->nm = n;
    h->file_records += v->n;
    v->v = NULL;
    v->n = 0;
    v->cap = 0;
}

void names_fill_item(struct names *h, struct names_item *it, const struct names_rec *r)
{
    memset(it, 0, sizeof *it);
    it->r.ipver = r->ipver;
    if (r->ipver == 4)
        memcpy(it->r.ip, r->ip, 4);
    else
        memcpy(it->r.ip, r->ip, 16);
    it->r.port = r->port;
    it->r.source = r->source;
    it->r.kind = r->kind;
    it->r.from = r->from;
    it->r.to = r->to;
    it->r.name = names_str(h, r->name ? r->name : "");
    it->r.ns = names_str(h, r->ns ? r->ns : "");
    it->r.svc = r->kind == NAMES_K_POD ? names_str(h, r->svc ? r->svc : "") : "";
}

void names_add(struct names *h, const struct names_rec *r)
{
    struct names_item it;

    if (h->sealed || (r->ipver != 4 && r->ipver != 6) || r->kind > NAMES_K_DNS ||
        r->source > NAMES_SRC_DNS || r->from >= r->to || !r->name || !*r->name)
        return;     /* nothing valid to add */
    names_fill_item(h, &it, r);
    it.seq = h->next_seq++;
    names_vec_push(&h->items, &it);
}

size_t names_count(const struct names *h)
{
    return h->items.n;
}

const struct names_rec *names_at(const struct names *h, size_t i)
{
    return i < h->items.n ? &h->items.v[i].r : NULL;
}

size_t names_dns_dropped(const struct names *h)
{
    return h->dns_dropped;
}

void names_dns_dropped_add(struct names *h, size_t n)
{
    h->dns_dropped += n;
}

/* ------------------------------------------------------------ parsing helpers */

static bool parse_port(const char *s, uint16_t *port)
{
    unsigned v = 0;

    if (*s < '1' || *s > '9')
        return false;
    for (int i = 0; s[i]; i++) {
        if (s[i] < '0' || s[i] > '9' || i >= 5)
            return false;
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    if (v > 65535)
        return false;
    *port = (uint16_t)v;
    return true;
}

bool names_parse_addr(const char *s, uint8_t *ipver, uint8_t ip[16], uint16_t *port)
{
    char tmp[64];
    size_t n = strlen(s);
    const char *colon = strchr(s, ':');

    memset(ip, 0, 16);
    *port = 0;
    if (n == 0 || n >= sizeof tmp)
        return false;
    if (s[0] == '[') {
        const char *close = strchr(s, ']');

        if (!close || close == s + 1)
            return false;
        memcpy(tmp, s + 1, (size_t)(close - s - 1));
        tmp[close - s - 1] = '\0';
        *ipver = 6;
        if (inet_pton(AF_INET6, tmp, ip) != 1)
            return false;
        if (close[1] == '\0')
            return true;
        return close[1] == ':' && parse_port(close + 2, port);
    }
    if (!colon) {
        *ipver = 4;
        return inet_pton(AF_INET, s, ip) == 1;
    }
    if (!strchr(colon + 1, ':')) {
        memcpy(tmp, s, (size_t)(colon - s));
        tmp[colon - s] = '\0';
        *ipver = 4;
        return inet_pton(AF_INET, tmp, ip) == 1 && parse_port(colon + 1, port);
    }
    *ipver = 6;
    return inet_pton(AF_INET6, s, ip) == 1;
}

void names_addr_text(char out[NAMES_ADDR_TEXT_LEN], uint8_t ipver, const uint8_t ip[16],
                     uint16_t port)
{
    char a[ADDR_TEXT_LEN];

    addr_text(a, ipver, ip);
    if (!port)
        snprintf(out, NAMES_ADDR_TEXT_LEN, "%s", a);
    else if (ipver == 6)
        snprintf(out, NAMES_ADDR_TEXT_LEN, "[%s]:%u", a, (unsigned)port);
    else
        snprintf(out, NAMES_ADDR_TEXT_LEN, "%s:%u", a, (unsigned)port);
}

bool names_parse_time(const char *s, uint64_t *ns)
{
    unsigned year = 0;

    /* RFC 3339 only (timefmt_parse also takes Unix seconds); the year is
     * checked first so that the conversion cannot overflow */
    if (strlen(s) < 20 || s[4] != '-')
        return false;
    for (int i = 0; i < 4; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        year = year * 10 + (unsigned)(s[i] - '0');
    }
    if (year > 2262 || timefmt_parse(s, ns) < 0)
        return false;
    return *ns <= NAMES_NS_MAX;
}

bool names_jv_secs(const struct jv *v, uint64_t *ns)
{
    uint64_t u;
    double x, whole;

    if (jv_as_u64(v, &u)) {
        if (u > NAMES_SEC_MAX)
            return false;
        *ns = u * NAMES_NS_PER_S;
        return true;
    }
    if (!jv_as_num(v, &x) || !(x >= 0 && x <= (double)NAMES_SEC_MAX))
        return false;
    whole = (double)(uint64_t)x;
    u = (uint64_t)((x - whole) * 1e9 + 0.5);
    *ns = (uint64_t)whole * NAMES_NS_PER_S + (u < NAMES_NS_PER_S ? u : NAMES_NS_PER_S - 1);
    return *ns <= NAMES_NS_MAX;
}

static void path_put(struct names_path *p, const char *s, size_t n)
{
    size_t room = sizeof p->s - 1 - p->n;

    if (n > room)
        n = room;
    memcpy(p->s + p->n, s, n);
    p->n += n;
    p->s[p->n] = '\0';
}

void names_path_key(struct names_path *p, const char *key)
{
    if (p->n)
        path_put(p, ".", 1);
    path_put(p, key, strlen(key));
}

void names_quote(char out[NAMES_QUOTE_LEN], const char *s)
{
    size_t o = 0;

    out[o++] = '"';
    for (size_t i = 0; s[i]; i++) {
        unsigned char c = (unsigned char)s[i];

        if (i == 60) {
            memcpy(out + o, "...", 3);
            o += 3;
            break;
        }
        if (c == '"' || c == '\\')
            out[o++] = '\\';
        out[o++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
    }
    out[o++] = '"';
    out[o] = '\0';
}

void names_path_qkey(struct names_path *p, const char *key)
{
    char q[NAMES_QUOTE_LEN];

    names_quote(q, key);
    path_put(p, "[", 1);
    path_put(p, q, strlen(q));
    path_put(p, "]", 1);
}

void names_path_idx(struct names_path *p, size_t i)
{
    char q[32];
    int n = snprintf(q, sizeof q, "[%zu]", i);

    path_put(p, q, (size_t)n);
}

void names_out_str(struct names_out *o, const char *s)
{
    if (o->rc == 0)
        o->rc = buf_append(o->b, s, strlen(s));
}

void names_out_json(struct names_out *o, struct jv *v)
{
    char *s = jv_dump(v, 0);

    names_out_str(o, s);
    free(s);
    jv_free(v);
}

/* ------------------------------------------------------------ reading */

enum names_fmt {
    NAMES_FMT_NONE,
    NAMES_FMT_NATIVE,
    NAMES_FMT_KUBESHARK,
    NAMES_FMT_KUBECTL,
};

static bool is_decimal(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return false;
    return true;
}

static bool is_kubectl_kind(const char *k)
{
    static const char *const kinds[] = { "Pod", "Service", "Endpoints", "EndpointSlice" };
    size_t n = strlen(k);

    if (n >= 4 && strcmp(k + n - 4, "List") == 0)
        return true;
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (strcmp(k, kinds[i]) == 0)
            return true;
    return false;
}

/* Tells the formats apart by content (docs/NAMES.md, "Formats"). */
static enum names_fmt detect(const struct jv *root)
{
    const char *kind = jv_get_str(root, "kind");
    const char *key;
    struct jv *val;
    void *it = NULL;

    if (!jv_is_obj(root))
        return NAMES_FMT_NONE;
    if (jv_get(root, "format"))
        return NAMES_FMT_NATIVE;
    if (jv_get(root, "items") || (kind && is_kubectl_kind(kind)))
        return NAMES_FMT_KUBECTL;
    if (jv_obj_len(root) == 0)
        return NAMES_FMT_KUBESHARK;
    if (jv_obj_next(root, &it, &key, &val) && is_decimal(key))
        return NAMES_FMT_KUBESHARK;
    return NAMES_FMT_NONE;
}

int names_read_mem(struct names *h, const char *name, const char *text, size_t n,
                   const struct names_read_opts *o, struct diag *d)
{
    static const struct names_read_opts none = { 0 };
    struct jv *root;
    int rc;

    if (h->sealed)
        return diag_set(d, SV_EINVAL, "%s: the name history is already sealed", name);
    /* RFC 8259 lets a reader ignore a UTF-8 byte order mark (PowerShell's Out-File -Encoding
     * utf8 writes one); Windows PowerShell's > writes UTF-16, which is no JSON we read */
    if (n >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0) {
        text += 3;
        n -= 3;
    } else if (n >= 2 && (memcmp(text, "\xff\xfe", 2) == 0 || memcmp(text, "\xfe\xff", 2) == 0)) {
        return diag_set(d, SV_EFORMAT,
                        "%s: UTF-16 text (as Windows PowerShell's > writes): convert it to UTF-8",
                        name);
    }
    rc = jv_parse(text, n, name, &root, d);
    if (rc < 0)
        return rc;
    switch (detect(root)) {
    case NAMES_FMT_NATIVE:
        rc = names_read_native(h, name, root, d);
        break;
    case NAMES_FMT_KUBESHARK:
        rc = names_read_kubeshark(h, name, root, d);
        break;
    case NAMES_FMT_KUBECTL:
        rc = names_read_kubectl(h, name, root, o ? o : &none, d);
        break;
    case NAMES_FMT_NONE:
        rc = diag_set(d, SV_EFORMAT,
                      "%s: not a name resolution history (expected gencap-names/1, Kubeshark's "
                      "name_resolution_history.json or a kubectl dump)",
                      name);
        break;
    }
    jv_free(root);
    return rc;
}

int names_read_file(struct names *h, const char *path, const struct names_read_opts *o,
                    struct diag *d)
{
    struct bytesrc *src;
    struct stat st;
    struct buf b;
    int rc;

    /* (a file named "-" is that file here, not standard input) */
    if (stat(path, &st) < 0)
        return diag_errno(d, SV_EIO, errno, "%s", path);
    if (S_ISREG(st.st_mode) && (uint64_t)st.st_size > LIM_NAMES_FILE)
        return diag_set(d, SV_ELIMIT,
                        "%s: %llu bytes: larger than the %llu-byte limit on a name history "
                        "file (LIM_NAMES_FILE)",
                        path, (unsigned long long)st.st_size, (unsigned long long)LIM_NAMES_FILE);
    /* a pipe or FIFO (--names <(kubectl ...)) may wait for its writer: a stop ends the wait */
    rc = bytesrc_open_file(&src, strcmp(path, "-") == 0 ? "./-" : path, o ? o->cancel : NULL,
                           d);
    if (rc < 0)
        return rc;
    buf_init(&b, LIM_NAMES_FILE);
    for (;;) {
        size_t want = b.limit - b.len < 65536 ? b.limit - b.len : 65536;
        uint8_t *p;
        ssize_t got;
        char extra;

        if (want == 0) {
            /* at the cap: one more byte means the file is too large */
            got = src->read(src, &extra, 1, d);
            if (got > 0) {
                rc = diag_set(d, SV_ELIMIT,
                              "%s: larger than the %llu-byte limit on a name history file "
                              "(LIM_NAMES_FILE)",
                              path, (unsigned long long)LIM_NAMES_FILE);
                goto out_release;
            }
        } else {
            p = buf_reserve(&b, want);
            if (!p) {
                rc = diag_set(d, SV_ENOMEM, "%s: out of memory", path);
                goto out_release;
            }
            got = src->read(src, p, want, d);
        }
        if (got < 0) {
            rc = (int)got;
            goto out_release;
        }
        if (got == 0)
            break;
        b.len += (size_t)got;
    }
    rc = names_read_mem(h, path, b.data ? (const char *)b.data : "", b.len, o, d);
out_release:
    buf_release(&b);
    bytesrc_close(src);
    return rc;
}

/* ------------------------------------------------------------ hashing */

uint64_t names_ip_hash(const struct names *h, uint8_t ipver, const uint8_t ip[16], uint16_t port)
{
    uint64_t w[3];

    memcpy(w, ip, 16);
    w[2] = (uint64_t)ipver | (uint64_t)port << 8;
    return hash_words(w, sizeof w, h->seed);
}

/* ------------------------------------------------------------ sealing */

static const char *join_dot(struct names *h, const char *a, const char *b)
{
    size_t na = strlen(a), nb = strlen(b);
    char small[256], *p = small;
    const char *r;

    if (nb == 0)
        return a;
    if (na + nb + 2 > sizeof small)
        p = xmalloc(na + nb + 2);
    memcpy(p, a, na);
    p[na] = '.';
    memcpy(p + na + 1, b, nb);
    r = names_intern(h, p, na + 1 + nb);
    if (p != small)
        free(p);
    return r;
}

/* s as names_who gives it: NAMES_WHO_MAX bytes at most (names.h). */
static const char *entry_form(struct names *h, const char *s)
{
    size_t n = strlen(s), keep = NAMES_WHO_MAX - 17;
    char buf[NAMES_WHO_MAX + 1];

    if (n <= NAMES_WHO_MAX)
        return s;
    /* not inside a UTF-8 character */
    while (keep > 0 && ((unsigned char)s[keep] & 0xc0) == 0x80)
        keep--;
    memcpy(buf, s, keep);
    snprintf(buf + keep, sizeof buf - keep, "~%016llx",
             (unsigned long long)hash_bytes(s, n, HASH_FIXED_SEED));
    return names_intern(h, buf, strlen(buf));
}

/* Kubeshark's resolved name (names_who.name) of a record. */
static const char *full_name(struct names *h, const struct names_rec *r)
{
    switch ((enum names_kind)r->kind) {
    case NAMES_K_SERVICE:
        return join_dot(h, r->name, r->ns);
    case NAMES_K_POD:
        return join_dot(h, *r->svc ? r->svc : r->name, r->ns);
    case NAMES_K_ADDRESS:
        return r->name;
    case NAMES_K_DNS:
        break;
    }
    return "";
}

static int item_cmp(const void *a, const void *b)
{
    const struct names_item *x = a, *y = b;
    int c;

    if (x->r.ipver != y->r.ipver)
        return x->r.ipver < y->r.ipver ? -1 : 1;
    c = memcmp(x->r.ip, y->r.ip, 16);
    if (c)
        return c;
    if (x->r.port != y->r.port)
        return x->r.port < y->r.port ? -1 : 1;
    if (x->r.from != y->r.from)
        return x->r.from < y->r.from ? -1 : 1;
    if (x->r.source != y->r.source)
        return x->r.source < y->r.source ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int str_cmp(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "");
}

/* Orders items by every field of their record, then by seq. */
static int item_full_cmp(const void *a, const void *b)
{
    const struct names_item *x = *(const struct names_item *const *)a;
    const struct names_item *y = *(const struct names_item *const *)b;
    int c = item_cmp(x, y);

    if (x->r.ipver != y->r.ipver || memcmp(x->r.ip, y->r.ip, 16) != 0 ||
        x->r.port != y->r.port || x->r.from != y->r.from || x->r.source != y->r.source)
        return c;
    if (x->r.to != y->r.to)
        return x->r.to < y->r.to ? -1 : 1;
    if (x->r.kind != y->r.kind)
        return x->r.kind < y->r.kind ? -1 : 1;
    c = str_cmp(x->r.name, y->r.name);
    if (c == 0)
        c = str_cmp(x->r.ns, y->r.ns);
    if (c == 0)
        c = str_cmp(x->r.svc, y->r.svc);
    if (c == 0)
        c = x->seq < y->seq ? -1 : x->seq > y->seq;
    return c;
}

static bool item_same(const struct names_item *x, const struct names_item *y)
{
    return x->r.ipver == y->r.ipver && memcmp(x->r.ip, y->r.ip, 16) == 0 &&
           x->r.port == y->r.port && x->r.from == y->r.from && x->r.to == y->r.to &&
           x->r.source == y->r.source && x->r.kind == y->r.kind &&
           str_cmp(x->r.name, y->r.name) == 0 && str_cmp(x->r.ns, y->r.ns) == 0 &&
           str_cmp(x->r.svc, y->r.svc) == 0;
}

/*
 * Drops every record that a later-added identical record repeats (a history
 * read back with the passive DNS of the same capture seen again, as ingest
 * of a bundle's names.json does). Lookups cannot tell: wherever the earlier
 * copy is a candidate the later one is too, and wins the tie. h->items is
 * sorted (item_cmp) and stays so.
 */
static void drop_repeats(struct names *h)
{
    struct names_item **p;
    size_t o = 0;

    if (h->items.n < 2)
        return;
    p = xcalloc(h->items.n, sizeof *p);
    for (size_t i = 0; i < h->items.n; i++)
        p[i] = &h->items.v[i];
    qsort(p, h->items.n, sizeof *p, item_full_cmp);
    for (size_t i = 0; i + 1 < h->items.n; i++) {
        if (item_same(p[i], p[i + 1]))
            p[i]->seq = UINT64_MAX;     /* marks it dropped: a later copy follows */
    }
    free(p);
    for (size_t i = 0; i < h->items.n; i++) {
        if (h->items.v[i].seq != UINT64_MAX)
            h->items.v[o++] = h->items.v[i];
    }
    h->items.n = o;
}

static bool same_ip(const struct names_rec *a, const struct names_rec *b)
{
    return a->ipver == b->ipver && memcmp(a->ip, b->ip, 16) == 0;
}

static struct names_addr *addr_push(struct names *h, size_t *cap, const struct names_rec *r,
                                    uint16_t port, size_t first)
{
    struct names_addr *a;

    if (h->naddrs == *cap)
        xgrow((void **)&h->addrs, cap, h->naddrs + 1, sizeof *h->addrs);
    a = &h->addrs[h->naddrs++];
    memset(a, 0, sizeof *a);
    a->ipver = r->ipver;
    memcpy(a->ip, r->ip, 16);
    a->port = port;
    a->first = first;
    return a;
}

static void build_addrs(struct names *h)
{
    const struct names_item *v = h->items.v;
    size_t n = h->items.n, cap = 0, capdns = 0, nslots = 16;

    for (size_t i = 0; i < n;) {
        size_t end = i, a0, k;

        while (end < n && same_ip(&v[end].r, &v[i].r))
            end++;
        /* every IP gets a port-0 address, holding its plain records and its DNS names */
        a0 = h->naddrs;
        addr_push(h, &cap, &v[i].r, 0, i);
        for (k = i; k < end && v[k].r.port == 0; k++)
            h->addrs[a0].n++;
        h->addrs[a0].has_ports = k < end;
        while (k < end) {
            struct names_addr *a = addr_push(h, &cap, &v[k].r, v[k].r.port, k);

            for (uint16_t port = v[k].r.port; k < end && v[k].r.port == port; k++)
                a->n++;
        }
        h->addrs[a0].dfirst = h->ndns_idx;
        for (k = i; k < end; k++) {
            if (v[k].r.kind != NAMES_K_DNS)
                continue;
            if (h->ndns_idx == capdns)
                xgrow((void **)&h->dns_idx, &capdns, h->ndns_idx + 1, sizeof *h->dns_idx);
            h->dns_idx[h->ndns_idx++] = k;
            h->addrs[a0].dn++;
        }
        i = end;
    }
    while (nslots < h->naddrs * 2)
        nslots *= 2;
    h->addr_slot = xcalloc(nslots, sizeof *h->addr_slot);
    h->addr_mask = nslots - 1;
    for (size_t i = 0; i < h->naddrs; i++) {
        const struct names_addr *a = &h->addrs[i];
        uint64_t hash = names_ip_hash(h, a->ipver, a->ip, a->port);
        size_t j = hash & h->addr_mask;

        while (h->addr_slot[j].idx)
            j = (j + 1) & h->addr_mask;
        h->addr_slot[j].tag = (uint32_t)(hash >> 32);
        h->addr_slot[j].idx = (uint32_t)(i + 1);
    }
}

void names_seal(struct names *h)
{
    if (h->sealed)
        return;
    names_merge_dumps(h);
    names_dns_records(h);
    for (size_t i = 0; i < h->items.n; i++) {
        struct names_item *x = &h->items.v[i];

        x->full = full_name(h, &x->r);
        x->efull = entry_form(h, x->full);
        x->ename = entry_form(h, x->r.name);
        x->ens = entry_form(h, x->r.ns);
        x->esvc = entry_form(h, x->r.svc);
    }
    if (h->items.n > 1)
        qsort(h->items.v, h->items.n, sizeof *h->items.v, item_cmp);
    drop_repeats(h);
    build_addrs(h);
    /* what only building needed */
    for (size_t i = 0; i < h->ndumps; i++) {
        names_vec_release(&h->dumps[i].recs);
        free(h->dumps[i].m);
    }
    free(h->dumps);
    h->dumps = NULL;
    h->ndumps = 0;
    h->capdumps = 0;
    free(h->runs);
    free(h->run_slot);
    h->runs = NULL;
    h->run_slot = NULL;
    h->nruns = 0;
    h->capruns = 0;
    h->sealed = true;
}

/* ------------------------------------------------------------ lookup */

const struct names_addr *names_find(const struct names *h, uint8_t ipver, const uint8_t ip[16],
                                    uint16_t port)
{
    uint8_t key[16] = { 0 };
    uint64_t hash;
    uint32_t tag;
    size_t j;

    if (!h->addr_slot)
        return NULL;
    memcpy(key, ip, ipver == 4 ? 4 : 16);
    hash = names_ip_hash(h, ipver, key, port);
    tag = (uint32_t)(hash >> 32);
    for (j = hash & h->addr_mask; h->addr_slot[j].idx; j = (j + 1) & h->addr_mask) {
        const struct names_addr *a;

        if (h->addr_slot[j].tag != tag)
            continue;
        a = &h->addrs[h->addr_slot[j].idx - 1];
        if (a->port == port && a->ipver == ipver && memcmp(a->ip, key, 16) == 0)
            return a;
    }
    return NULL;
}

/* Precedence among records valid at the same time: source, then from, then added last. */
static bool better(const struct names_item *x, const struct names_item *best)
{
    if (!best)
        return true;
    if (x->r.source != best->r.source)
        return x->r.source < best->r.source;
    if (x->r.from != best->r.from)
        return x->r.from > best->r.from;
    return x->seq > best->seq;
}

static bool valid_at(const struct names_item *x, uint64_t t)
{
    return x->r.from <= t && t < x->r.to;
}

const struct names_item *names_best(const struct names *h, const struct names_addr *a, uint64_t t)
{
    const struct names_item *best = NULL;

    for (size_t i = a->first; i < a->first + a->n; i++) {
        const struct names_item *x = &h->items.v[i];

        if (x->r.kind != NAMES_K_DNS && valid_at(x, t) && better(x, best))
            best = x;
    }
    return best;
}

void names_resolve(const struct names *h, uint8_t ipver, const uint8_t ip[16], uint16_t port,
                   uint64_t t, struct names_who *out)
{
    const struct names_item *best = NULL, *dns = NULL;
    const struct names_addr *a0, *a;

    out->name = "";
    out->ns = "";
    out->pod = "";
    out->svc = "";
    out->dns = "";
    if (!h->sealed)
        return;
    /* every IP with records has a port-0 address: without it, nothing is known */
    a0 = names_find(h, ipver, ip, 0);
    if (!a0)
        return;
    if (port && a0->has_ports) {
        a = names_find(h, ipver, ip, port);
        if (a)
            best = names_best(h, a, t);
    }
    if (!best)
        best = names_best(h, a0, t);
    if (best) {
        out->name = best->efull;
        out->ns = best->ens;
        switch ((enum names_kind)best->r.kind) {
        case NAMES_K_POD:
            out->pod = best->ename;
            out->svc = best->esvc;
            break;
        case NAMES_K_SERVICE:
            out->svc = best->ename;
            break;
        case NAMES_K_ADDRESS:
        case NAMES_K_DNS:
            break;
        }
    }
    for (size_t i = a0->dfirst; i < a0->dfirst + a0->dn; i++) {
        const struct names_item *x = &h->items.v[h->dns_idx[i]];

        if (valid_at(x, t) && better(x, dns))
            dns = x;
    }
    if (dns)
        out->dns = dns->ename;
}
