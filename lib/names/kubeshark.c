/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: Kubeshark's name_resolution_history.json (docs/NAMES.md,
 * "Kubeshark's history").
 *
 *   {"<unix seconds>": {"<ip>" | "<ip>:<port>" | "<svc>.<ns>":
 *                       {"FullAddress": "catalogue.sock-shop", "Namespace": "sock-shop"}}}
 *
 * Each outer value is a full snapshot of the resolver at that second.
 * Reading sorts the snapshots by time (Kubeshark ranged over a Go map, in
 * random order) and turns every run of consecutive snapshots in which an
 * address keeps the same (FullAddress, Namespace) into one NAMES_K_ADDRESS
 * record, in nanoseconds (Kubeshark compared an entry's milliseconds with
 * the snapshot's seconds). Writing takes one snapshot per second at which
 * some resolution changes.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/diag.h"
#include "base/xalloc.h"
#include "json/json.h"
#include "names.h"
#include "names_int.h"
#include "streamvault.h"

/* ------------------------------------------------------------ reading */

struct ks_snap {
    uint64_t sec;
    const char *key;
    const struct jv *val;
    size_t order;           /* position in the file */
};

/* One address in one snapshot. */
struct ks_ent {
    uint8_t ipver;
    uint8_t ip[16];
    uint16_t port;
    size_t snap;            /* index in time order */
    size_t order;           /* position in its snapshot */
    const char *fa, *ns;    /* interned */
};

static bool parse_secs(const char *s, uint64_t *sec)
{
    uint64_t v = 0;

    if (!*s)
        return false;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return false;
        v = v * 10 + (uint64_t)(*s - '0');
        if (v > NAMES_SEC_MAX)
            return false;
    }
    *sec = v;
    return true;
}

static int snap_cmp(const void *a, const void *b)
{
    const struct ks_snap *x = a, *y = b;

    if (x->sec != y->sec)
        return x->sec < y->sec ? -1 : 1;
    return x->order < y->order ? -1 : x->order > y->order;
}

static int ent_cmp(const void *a, const void *b)
{
    const struct ks_ent *x = a, *y = b;
    int c;

    if (x->ipver != y->ipver)
        return x->ipver < y->ipver ? -1 : 1;
    c = memcmp(x->ip, y->ip, 16);
    if (c)
        return c;
    if (x->port != y->port)
        return x->port < y->port ? -1 : 1;
    if (x->snap != y->snap)
        return x->snap < y->snap ? -1 : 1;
    return x->order < y->order ? -1 : x->order > y->order;
}

static bool same_addr(const struct ks_ent *x, const struct ks_ent *y)
{
    return x->ipver == y->ipver && x->port == y->port && memcmp(x->ip, y->ip, 16) == 0;
}

/* The addresses of snapshot si; keys that are not an IP or IP:port are skipped. */
static int read_snapshot(struct names *h, const char *file, const struct ks_snap *sn, size_t si,
                         struct ks_ent **ents, size_t *n, size_t *cap, struct diag *d)
{
    struct names_path p = { .n = 0 };
    const char *key, *fa, *ns;
    struct jv *val, *nsv;
    void *iter = NULL;
    size_t order = 0;

    p.s[0] = '\0';
    names_path_qkey(&p, sn->key);
    while (jv_obj_next(sn->val, &iter, &key, &val)) {
        struct ks_ent e;
        size_t mark = names_path_mark(&p);

        memset(&e, 0, sizeof e);
        if (!names_parse_addr(key, &e.ipver, e.ip, &e.port))
            continue;   /* "catalogue.sock-shop": a name, not an address */
        names_path_qkey(&p, key);
        if (!jv_is_obj(val))
            return diag_set(d, SV_EFORMAT, "%s: %s: expected an object", file, p.s);
        fa = jv_get_str(val, "FullAddress");
        if (!fa) {
            names_path_key(&p, "FullAddress");
            return diag_set(d, SV_EFORMAT, "%s: %s: expected a string", file, p.s);
        }
        nsv = jv_get(val, "Namespace");
        ns = jv_as_str(nsv);
        if (nsv && !ns && !jv_is_null(nsv)) {
            names_path_key(&p, "Namespace");
            return diag_set(d, SV_EFORMAT, "%s: %s: expected a string or null", file, p.s);
        }
        names_path_back(&p, mark);
        if (!*fa)
            continue;   /* resolved to nothing */
        e.snap = si;
        e.order = order++;
        e.fa = names_str(h, fa);
        e.ns = names_str(h, ns ? ns : "");
        if (*n == *cap)
            xgrow((void **)ents, cap, *n + 1, sizeof **ents);
        (*ents)[(*n)++] = e;
    }
    return 0;
}

int names_read_kubeshark(struct names *h, const char *name, const struct jv *root,
                         struct diag *d)
{
    struct names_vec v = { 0 };
    struct ks_snap *snaps;
    struct ks_ent *ents = NULL;
    size_t nsnap = 0, nents = 0, capents = 0;
    char q[NAMES_QUOTE_LEN];
    const char *key;
    struct jv *val;
    void *iter = NULL;
    int rc = 0;

    if (!jv_is_obj(root))
        return diag_set(d, SV_EFORMAT, "%s: expected an object of snapshots", name);
    snaps = xcalloc(jv_obj_len(root) + 1, sizeof *snaps);
    while (jv_obj_next(root, &iter, &key, &val)) {
        struct ks_snap *s = &snaps[nsnap];

        if (!parse_secs(key, &s->sec)) {
            names_quote(q, key);
            rc = diag_set(d, SV_EFORMAT,
                          "%s: key %s: expected a snapshot time in decimal Unix seconds", name, q);
            goto out_free;
        }
        if (!jv_is_obj(val)) {
            names_quote(q, key);
            rc = diag_set(d, SV_EFORMAT, "%s: [%s]: expected an object", name, q);
            goto out_free;
        }
        s->key = key;
        s->val = val;
        s->order = nsnap++;
    }
    if (nsnap > 1)
        qsort(snaps, nsnap, sizeof *snaps, snap_cmp);
    for (size_t i = 1; i < nsnap; i++) {
        if (snaps[i].sec == snaps[i - 1].sec) {
            names_quote(q, snaps[i].key);
            rc = diag_set(d, SV_EFORMAT, "%s: key %s: a second snapshot at second %llu", name, q,
                          (unsigned long long)snaps[i].sec);
            goto out_free;
        }
    }
    for (size_t si = 0; si < nsnap; si++) {
        rc = read_snapshot(h, name, &snaps[si], si, &ents, &nents, &capents, d);
        if (rc < 0)
            goto out_free;
    }
    if (nents > 1)
        qsort(ents, nents, sizeof *ents, ent_cmp);
    /* each run of consecutive snapshots with the same (FullAddress, Namespace): one record */
    for (size_t k = 0; k < nents;) {
        struct names_item it;
        size_t last = ents[k].snap, k2 = k + 1;

        while (k2 < nents && same_addr(&ents[k2], &ents[k])) {
            if (ents[k2].snap == last) {
                k2++;       /* the address twice in one snapshot: the first key wins */
                continue;
            }
            if (ents[k2].snap != last + 1 || ents[k2].fa != ents[k].fa ||
                ents[k2].ns != ents[k].ns)
                break;
            last++;
            k2++;
        }
        memset(&it, 0, sizeof it);
        it.r.ipver = ents[k].ipver;
        memcpy(it.r.ip, ents[k].ip, 16);
        it.r.port = ents[k].port;
        it.r.source = NAMES_SRC_HISTORY;
        it.r.kind = NAMES_K_ADDRESS;
        /* the first snapshot also covers the time before it */
        it.r.from = ents[k].snap == 0 ? 0 : snaps[ents[k].snap].sec * NAMES_NS_PER_S;
        it.r.to = last + 1 < nsnap ? snaps[last + 1].sec * NAMES_NS_PER_S : NAMES_OPEN;
        it.r.name = ents[k].fa;
        it.r.ns = ents[k].ns;
        it.r.svc = "";
        names_vec_push(&v, &it);
        k = k2;
    }
    rc = names_check_count(h, name, v.n, d);
    if (rc < 0)
        goto out_free;
    names_commit(h, &v);
out_free:
    names_vec_release(&v);
    free(ents);
    free(snaps);
    return rc;
}

/* ------------------------------------------------------------ writing */

struct ks_val {
    size_t addr;
    const char *name, *ns;
};

struct ks_state {
    struct ks_val *v;
    size_t n, cap;
};

static int u64_cmp(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return x < y ? -1 : x > y;
}

/* Whether a has a record that can give a name (not only DNS names). */
static bool has_identity(const struct names *h, const struct names_addr *a)
{
    for (size_t i = a->first; i < a->first + a->n; i++)
        if (h->items.v[i].r.kind != NAMES_K_DNS)
            return true;
    return false;
}

/* The resolution of every address at second s, as Kubeshark would show it. */
static void state_at(const struct names *h, uint64_t s, struct ks_state *st)
{
    uint64_t t = s > UINT64_MAX / NAMES_NS_PER_S ? UINT64_MAX - 1 : s * NAMES_NS_PER_S;

    st->n = 0;
    for (size_t i = 0; i < h->naddrs; i++) {
        const struct names_addr *a = &h->addrs[i];
        const struct names_item *best;

        if (!has_identity(h, a))
            continue;
        best = names_best(h, a, t);
        if (!best && a->port) {
            /* names_resolve's fallback: an IP:port key shows what its IP resolves to */
            const struct names_addr *a0 = names_find(h, a->ipver, a->ip, 0);

            best = a0 ? names_best(h, a0, t) : NULL;
        }
        if (!best || !*best->full)
            continue;
        if (st->n == st->cap)
            xgrow((void **)&st->v, &st->cap, st->n + 1, sizeof *st->v);
        st->v[st->n].addr = i;
        st->v[st->n].name = best->full;
        st->v[st->n].ns = best->r.ns;
        st->n++;
    }
}

static bool state_eq(const struct ks_state *a, const struct ks_state *b)
{
    if (a->n != b->n)
        return false;
    for (size_t i = 0; i < a->n; i++)
        if (a->v[i].addr != b->v[i].addr || a->v[i].name != b->v[i].name ||
            a->v[i].ns != b->v[i].ns)
            return false;
    return true;
}

static void write_state(struct names_out *o, const struct names *h, uint64_t s,
                        const struct ks_state *st, bool first)
{
    struct jv *snap = jv_obj();
    char key[NAMES_ADDR_TEXT_LEN], sec[32];

    for (size_t i = 0; i < st->n; i++) {
        const struct names_addr *a = &h->addrs[st->v[i].addr];
        struct jv *r = jv_obj();

        names_addr_text(key, a->ipver, a->ip, a->port);
        jv_set(r, "FullAddress", jv_str(st->v[i].name));
        jv_set(r, "Namespace", jv_str(st->v[i].ns));
        jv_set(snap, key, r);
    }
    snprintf(sec, sizeof sec, "%s\"%llu\": ", first ? "\n" : ",\n", (unsigned long long)s);
    names_out_str(o, sec);
    names_out_json(o, snap);
}

int names_write_kubeshark(const struct names *h, struct buf *out)
{
    struct names_out o = { out, 0 };
    struct ks_state prev = { 0 }, cur = { 0 }, tmp;
    uint64_t *secs = NULL;
    size_t nsecs = 0, capsecs = 0, nrec = 0, u = 0;
    bool first = true;

    if (!h->sealed)
        return SV_EINVAL;
    /* the seconds at which some resolution changes: ceil of every boundary */
    for (size_t i = 0; i < h->items.n; i++) {
        const struct names_rec *r = &h->items.v[i].r;
        uint64_t b[2] = { r->from, r->to };

        if (r->kind == NAMES_K_DNS)
            continue;
        nrec++;
        for (int k = 0; k < 2; k++) {
            if (b[k] == 0 || b[k] == NAMES_OPEN)
                continue;
            if (nsecs + 1 >= capsecs)
                xgrow((void **)&secs, &capsecs, nsecs + 2, sizeof *secs);
            secs[nsecs++] = b[k] / NAMES_NS_PER_S + (b[k] % NAMES_NS_PER_S != 0);
        }
    }
    if (nsecs) {
        qsort(secs, nsecs, sizeof *secs, u64_cmp);
        for (size_t i = 0; i < nsecs; i++)
            if (u == 0 || secs[i] != secs[u - 1])
                secs[u++] = secs[i];
        /* first, the state before any change, one second before the first (>= 1) */
        memmove(secs + 1, secs, u * sizeof *secs);
        secs[0] = secs[1] - 1;
        u++;
    } else if (nrec) {
        /* nothing ever changes: one snapshot */
        xgrow((void **)&secs, &capsecs, 1, sizeof *secs);
        secs[0] = 0;
        u = 1;
    }
    names_out_str(&o, "{");
    for (size_t i = 0; i < u; i++) {
        state_at(h, secs[i], &cur);
        if (!first && state_eq(&cur, &prev))
            continue;
        write_state(&o, h, secs[i], &cur, first);
        first = false;
        tmp = prev;
        prev = cur;
        cur = tmp;
    }
    /* an empty history is {} (NAMES.md) */
    names_out_str(&o, first ? "}\n" : "\n}\n");
    free(prev.v);
    free(cur.v);
    free(secs);
    return o.rc;
}
