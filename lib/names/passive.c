/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: passive DNS: names the capture's DNS answers gave to addresses
 * (docs/NAMES.md, "Passive DNS").
 *
 * names_dns_seen keeps, per IP, runs of consecutive sightings of one name
 * (first and last time): a hash table points at each IP's latest run, and a
 * sighting of that run's name only widens it. At seal, every run gives its
 * first and last sighting; each IP's sightings, sorted by time, become one
 * record per run of one name:
 *
 *   100 a, 150 a, 200 b, 300 a  ->  a [0, 200), b [200, 300), a [300, open)
 *
 * Cluster names (<svc>.<ns>.svc.<zone>, <host>.<svc>.<ns>.svc.<zone>) give
 * service and pod records; any other name a NAMES_K_DNS record.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "base/limits.h"
#include "base/xalloc.h"
#include "names.h"
#include "names_int.h"

static void run_slots_grow(struct names *h)
{
    size_t nslots = h->run_slot ? (h->run_mask + 1) * 2 : 1024;
    uint32_t *slots = xcalloc(nslots, sizeof *slots);

    /* rebuilt from the runs: the last run of each IP wins its slot */
    for (size_t r = 0; r < h->nruns; r++) {
        const struct names_run *x = &h->runs[r];
        size_t j = names_ip_hash(h, x->ipver, x->ip, 0) & (nslots - 1);

        while (slots[j]) {
            const struct names_run *y = &h->runs[slots[j] - 1];

            if (y->ipver == x->ipver && memcmp(y->ip, x->ip, 16) == 0)
                break;
            j = (j + 1) & (nslots - 1);
        }
        slots[j] = (uint32_t)(r + 1);
    }
    free(h->run_slot);
    h->run_slot = slots;
    h->run_mask = nslots - 1;
}

void names_dns_seen(struct names *h, uint8_t ipver, const uint8_t ip[16], const char *qname,
                    size_t n, uint64_t t)
{
    char name[256];
    uint8_t key[16] = { 0 };
    struct names_run *run;
    size_t j;

    if (h->sealed || (ipver != 4 && ipver != 6))
        return;
    if (n && qname[n - 1] == '.')
        n--;
    if (n == 0 || n >= sizeof name)
        return;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)qname[i];

        if (c <= 0x20 || c >= 0x7f)
            return;     /* not a host name (IDNs travel as punycode) */
        name[i] = (char)(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
    }
    name[n] = '\0';
    memcpy(key, ip, ipver == 4 ? 4 : 16);
    if (!h->run_slot || (h->nruns + 1) * 2 > h->run_mask + 1)
        run_slots_grow(h);
    j = names_ip_hash(h, ipver, key, 0) & h->run_mask;
    while (h->run_slot[j]) {
        run = &h->runs[h->run_slot[j] - 1];
        if (run->ipver == ipver && memcmp(run->ip, key, 16) == 0)
            break;
        j = (j + 1) & h->run_mask;
    }
    if (h->run_slot[j]) {
        run = &h->runs[h->run_slot[j] - 1];
        if (strcmp(run->name, name) == 0) {
            /* the same answer again: widen the run instead of keeping a sighting */
            if (t < run->t0)
                run->t0 = t;
            if (t > run->t1)
                run->t1 = t;
            return;
        }
    }
    if (h->nruns >= LIM_NAMES_DNS_RUNS) {
        h->dns_dropped++;
        return;
    }
    if (h->nruns == h->capruns)
        xgrow((void **)&h->runs, &h->capruns, h->nruns + 1, sizeof *h->runs);
    run = &h->runs[h->nruns++];
    run->ipver = ipver;
    memcpy(run->ip, key, 16);
    run->name = names_intern(h, name, n);
    run->t0 = t;
    run->t1 = t;
    h->run_slot[j] = (uint32_t)h->nruns;
}

/* One sighting at seal time: a run contributes its first and its last. */
struct names_sight {
    const struct names_run *run;
    uint64_t t;
};

/* A sighting's time as a record's bound: the last one a history holds (NAMES_NS_MAX) at most. */
static uint64_t capped(uint64_t t)
{
    return t < NAMES_NS_MAX ? t : NAMES_NS_MAX;
}

static int sight_cmp(const void *a, const void *b)
{
    const struct names_sight *x = a, *y = b;
    int c;

    if (x->run->ipver != y->run->ipver)
        return x->run->ipver < y->run->ipver ? -1 : 1;
    c = memcmp(x->run->ip, y->run->ip, 16);
    if (c)
        return c;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    return strcmp(x->run->name, y->run->name);
}

/* Label i (0-based) of a dotted name, or NULL; *len its length. */
static const char *label(const char *name, int i, size_t *len)
{
    const char *p = name, *dot;

    for (; i > 0; i--) {
        dot = strchr(p, '.');
        if (!dot)
            return NULL;
        p = dot + 1;
    }
    dot = strchr(p, '.');
    *len = dot ? (size_t)(dot - p) : strlen(p);
    return p;
}

static int label_count(const char *name)
{
    int n = 1;

    for (; *name; name++)
        n += *name == '.';
    return n;
}

static bool label_is(const char *name, int i, const char *want)
{
    size_t n;
    const char *l = label(name, i, &n);

    return l && n == strlen(want) && memcmp(l, want, n) == 0;
}

/*
 * A record for a DNS name: <svc>.<ns>.svc.<zone> is a service,
 * <host>.<svc>.<ns>.svc.<zone> a pod behind a headless service, anything
 * else only a DNS name.
 */
static void dns_identity(struct names *h, struct names_rec *r, const char *qname)
{
    int nl = label_count(qname);
    size_t n0 = 0, n1 = 0, n2 = 0;
    const char *l0 = label(qname, 0, &n0), *l1 = label(qname, 1, &n1), *l2 = label(qname, 2, &n2);

    r->name = qname;
    r->ns = "";
    r->svc = "";
    r->kind = NAMES_K_DNS;
    if (n0 == 0 || n1 == 0)
        return;
    if (nl >= 4 && label_is(qname, 2, "svc")) {
        r->kind = NAMES_K_SERVICE;
        r->name = names_intern(h, l0, n0);
        r->ns = names_intern(h, l1, n1);
    } else if (nl >= 5 && n2 > 0 && label_is(qname, 3, "svc")) {
        r->kind = NAMES_K_POD;
        r->name = names_intern(h, l0, n0);
        r->svc = names_intern(h, l1, n1);
        r->ns = names_intern(h, l2, n2);
    }
}

void names_dns_records(struct names *h)
{
    struct names_sight *s;
    size_t ns = 0;

    if (!h->nruns)
        return;
    s = xmalloc(2 * h->nruns * sizeof *s);
    for (size_t i = 0; i < h->nruns; i++) {
        s[ns].run = &h->runs[i];
        s[ns++].t = h->runs[i].t0;
        if (h->runs[i].t1 != h->runs[i].t0) {
            s[ns].run = &h->runs[i];
            s[ns++].t = h->runs[i].t1;
        }
    }
    qsort(s, ns, sizeof *s, sight_cmp);
    for (size_t i = 0; i < ns;) {
        size_t end = i;
        bool first = true;

        while (end < ns && s[end].run->ipver == s[i].run->ipver &&
               memcmp(s[end].run->ip, s[i].run->ip, 16) == 0)
            end++;
        /* [i, end): one IP's sightings in time order; a run of one name is one record */
        for (size_t k = i; k < end;) {
            size_t next = k + 1;
            struct names_rec r;
            struct names_item it;

            while (next < end && s[next].run->name == s[k].run->name)
                next++;
            memset(&r, 0, sizeof r);
            r.ipver = s[k].run->ipver;
            memcpy(r.ip, s[k].run->ip, 16);
            r.source = NAMES_SRC_DNS;
            r.from = first ? 0 : capped(s[k].t);
            r.to = next == end ? NAMES_OPEN : capped(s[next].t);
            dns_identity(h, &r, s[k].run->name);
            if (r.from < r.to) {
                names_fill_item(h, &it, &r);
                it.seq = h->next_seq++;
                names_vec_push(&h->items, &it);
            }
            first = false;
            k = next;
        }
        i = end;
    }
    free(s);
}
