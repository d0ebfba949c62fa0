/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: `kubectl get pods,services,endpoints -A -o json` dumps
 * (docs/NAMES.md, "kubectl dumps"), and their merge in time order.
 *
 *   {"apiVersion": "v1", "kind": "List", "takenAt": T,
 *    "items": [{"kind": "Pod", "metadata": {..}, "spec": {..}, "status": {..}},
 *              {"kind": "Service", ..}, {"kind": "Endpoints", ..}]}
 *
 * A dump is one moment: every address it shows gets a NAMES_SRC_KUBECTL
 * record from the object's start and still open. The dumps are kept apart
 * until names_seal, which orders them by the time they were taken and
 * closes each record when a later dump shows its address held by someone
 * else, or not at all:
 *
 *   dump 1 (T1): 10.1.1.3 carts-x      dump 2 (T2): 10.1.1.3 catalogue-y (from F)
 *   ->  carts-x [start, F) if start < F <= T2, else [start, T2);  catalogue-y [F, open)
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "base/diag.h"
#include "base/limits.h"
#include "base/xalloc.h"
#include "json/json.h"
#include "names.h"
#include "names_int.h"
#include "streamvault.h"

struct kc_ctx {
    struct names *h;
    const char *file;
    struct names_path p;
    struct names_vec v;         /* pods get their service once every item is read */
    struct names_member *m;
    size_t nm, capm;
    struct diag *d;
};

/* ------------------------------------------------------------ typed access */

/* "<file>: <path>[.key]: <what>" */
static int kc_err(struct kc_ctx *c, const char *key, const char *what)
{
    size_t mark = names_path_mark(&c->p);
    int rc;

    if (key)
        names_path_key(&c->p, key);
    rc = diag_set(c->d, SV_EFORMAT, "%s: %s: %s", c->file, c->p.s, what);
    names_path_back(&c->p, mark);
    return rc;
}

/* obj.key as a string; absent or null gives NULL. */
static int kc_str(struct kc_ctx *c, const struct jv *obj, const char *key, const char **out)
{
    const struct jv *v = jv_get(obj, key);

    *out = NULL;
    if (!v || jv_is_null(v))
        return 0;
    *out = jv_as_str(v);
    return *out ? 0 : kc_err(c, key, "expected a string");
}

static int kc_name(struct kc_ctx *c, const struct jv *obj, const char *key, const char **out)
{
    int rc = kc_str(c, obj, key, out);

    if (rc == 0 && (!*out || !**out))
        rc = kc_err(c, key, "expected a non-empty string");
    return rc;
}

static int kc_obj(struct kc_ctx *c, const struct jv *obj, const char *key, const struct jv **out)
{
    const struct jv *v = jv_get(obj, key);

    *out = NULL;
    if (!v || jv_is_null(v))
        return 0;
    *out = v;
    return jv_is_obj(v) ? 0 : kc_err(c, key, "expected an object");
}

static int kc_arr(struct kc_ctx *c, const struct jv *obj, const char *key, const struct jv **out)
{
    const struct jv *v = jv_get(obj, key);

    *out = NULL;
    if (!v || jv_is_null(v))
        return 0;
    *out = v;
    return jv_is_arr(v) ? 0 : kc_err(c, key, "expected an array");
}

/* obj.key as an RFC 3339 time; absent or null leaves *ns alone and *have false. */
static int kc_time(struct kc_ctx *c, const struct jv *obj, const char *key, uint64_t *ns,
                   bool *have)
{
    const char *s;
    int rc = kc_str(c, obj, key, &s);

    *have = false;
    if (rc < 0 || !s)
        return rc;
    if (!names_parse_time(s, ns))
        return kc_err(c, key, "expected an RFC 3339 time");
    *have = true;
    return 0;
}

/* obj.key as an IP address (a string). */
static int kc_ip(struct kc_ctx *c, const char *key, const char *s, uint8_t *ipver,
                 uint8_t ip[16])
{
    uint16_t port;

    if (names_parse_addr(s, ipver, ip, &port) && port == 0)
        return 0;
    return kc_err(c, key, "expected an IP address");
}

static int kc_push(struct kc_ctx *c, const struct names_item *it)
{
    if (c->v.n >= LIM_NAMES_RECORDS - c->h->file_records)
        return diag_set(c->d, SV_ELIMIT, "%s: more than %u name records in all (LIM_NAMES_RECORDS)",
                        c->file, LIM_NAMES_RECORDS);
    names_vec_push(&c->v, it);
    return 0;
}

/* ------------------------------------------------------------ objects */

struct kc_meta {
    const char *name, *ns;
    uint64_t created;
    bool have_created;
};

static int kc_metadata(struct kc_ctx *c, const struct jv *item, struct kc_meta *m)
{
    const struct jv *meta;
    size_t mark = names_path_mark(&c->p);
    int rc;

    rc = kc_obj(c, item, "metadata", &meta);
    if (rc < 0)
        return rc;
    if (!meta)
        return kc_err(c, "metadata", "expected an object");
    names_path_key(&c->p, "metadata");
    rc = kc_name(c, meta, "name", &m->name);
    if (rc == 0)
        rc = kc_str(c, meta, "namespace", &m->ns);
    if (rc == 0)
        rc = kc_time(c, meta, "creationTimestamp", &m->created, &m->have_created);
    names_path_back(&c->p, mark);
    if (rc == 0) {
        m->name = names_str(c->h, m->name);
        m->ns = names_str(c->h, m->ns ? m->ns : "");
    }
    return rc;
}

static void kc_item(struct names_item *it, uint8_t kind, const struct kc_meta *m, uint64_t from)
{
    memset(it, 0, sizeof *it);
    it->r.source = NAMES_SRC_KUBECTL;
    it->r.kind = kind;
    it->r.name = m->name;
    it->r.ns = m->ns;
    it->r.svc = "";
    it->r.from = from;
    it->r.to = NAMES_OPEN;
}

/* containerPort of every spec.containers[].ports[] (hostNetwork pods). */
static int kc_host_ports(struct kc_ctx *c, const struct jv *spec, struct names_item *it,
                         const uint8_t ips[][16], const uint8_t *vers, size_t nips)
{
    const struct jv *ctrs, *ports;
    size_t mark = names_path_mark(&c->p);
    int rc;

    rc = kc_arr(c, spec, "containers", &ctrs);
    if (rc < 0 || !ctrs)
        return rc;
    names_path_key(&c->p, "containers");
    for (size_t i = 0; i < jv_len(ctrs) && rc == 0; i++) {
        const struct jv *ctr = jv_at(ctrs, i);
        size_t m2 = names_path_mark(&c->p);

        names_path_idx(&c->p, i);
        if (!jv_is_obj(ctr)) {
            rc = kc_err(c, NULL, "expected an object");
            break;
        }
        rc = kc_arr(c, ctr, "ports", &ports);
        names_path_key(&c->p, "ports");
        for (size_t k = 0; rc == 0 && ports && k < jv_len(ports); k++) {
            const struct jv *pt = jv_at(ports, k);
            uint64_t port;
            size_t m3 = names_path_mark(&c->p);

            names_path_idx(&c->p, k);
            if (!jv_is_obj(pt)) {
                rc = kc_err(c, NULL, "expected an object");
                break;
            }
            if (!jv_get_u64(pt, "containerPort", &port) || port == 0 || port > 65535) {
                rc = kc_err(c, "containerPort", "expected a port number (1-65535)");
                break;
            }
            it->r.port = (uint16_t)port;
            for (size_t j = 0; j < nips && rc == 0; j++) {
                it->r.ipver = vers[j];
                memcpy(it->r.ip, ips[j], 16);
                rc = kc_push(c, it);
            }
            names_path_back(&c->p, m3);
        }
        names_path_back(&c->p, m2);
    }
    names_path_back(&c->p, mark);
    return rc;
}

#define KC_MAX_POD_IPS 16       /* Kubernetes gives at most one per family */

static int kc_pod(struct kc_ctx *c, const struct jv *item)
{
    const struct jv *spec, *status, *podips;
    const char *phase, *ip = NULL;
    struct kc_meta m = { 0 };
    struct names_item it;
    uint8_t ips[KC_MAX_POD_IPS][16], vers[KC_MAX_POD_IPS];
    size_t nips = 0, mark = names_path_mark(&c->p);
    uint64_t from = 0;
    bool have_start, host = false;
    int rc;

    rc = kc_metadata(c, item, &m);
    if (rc == 0)
        rc = kc_obj(c, item, "spec", &spec);
    if (rc == 0)
        rc = kc_obj(c, item, "status", &status);
    if (rc < 0 || !status)
        return rc;
    if (spec && jv_get(spec, "hostNetwork") && !jv_is_null(jv_get(spec, "hostNetwork"))) {
        if (!jv_as_bool(jv_get(spec, "hostNetwork"), &host)) {
            names_path_key(&c->p, "spec");
            rc = kc_err(c, "hostNetwork", "expected true or false");
            goto out;
        }
    }
    names_path_key(&c->p, "status");
    rc = kc_str(c, status, "phase", &phase);
    if (rc < 0)
        goto out;
    if (phase && (strcmp(phase, "Succeeded") == 0 || strcmp(phase, "Failed") == 0))
        goto out;       /* finished: its IP is free */
    rc = kc_time(c, status, "startTime", &from, &have_start);
    if (rc < 0)
        goto out;
    if (!have_start)
        from = m.have_created ? m.created : 0;
    rc = kc_arr(c, status, "podIPs", &podips);
    if (rc < 0)
        goto out;
    for (size_t i = 0; podips && i < jv_len(podips) && nips < KC_MAX_POD_IPS; i++) {
        const struct jv *o = jv_at(podips, i);
        size_t m2 = names_path_mark(&c->p);

        names_path_key(&c->p, "podIPs");
        names_path_idx(&c->p, i);
        if (!jv_is_obj(o))
            rc = kc_err(c, NULL, "expected an object");
        else
            rc = kc_str(c, o, "ip", &ip);
        if (rc == 0 && ip)
            rc = kc_ip(c, "ip", ip, &vers[nips], ips[nips]);
        names_path_back(&c->p, m2);
        if (rc < 0)
            goto out;
        if (ip)
            nips++;
    }
    rc = kc_str(c, status, "podIP", &ip);
    if (rc == 0 && ip && nips < KC_MAX_POD_IPS)
        rc = kc_ip(c, "podIP", ip, &vers[nips], ips[nips]);
    if (rc < 0)
        goto out;
    if (ip && nips < KC_MAX_POD_IPS)
        nips++;         /* a duplicate of podIPs[0] is folded at merge */
    names_path_back(&c->p, mark);
    kc_item(&it, NAMES_K_POD, &m, from);
    if (host) {
        /* the node's own IP: only the pod's ports are its own */
        names_path_key(&c->p, "spec");
        rc = kc_host_ports(c, spec, &it, (const uint8_t(*)[16])ips, vers, nips);
        goto out;
    }
    for (size_t j = 0; j < nips && rc == 0; j++) {
        it.r.ipver = vers[j];
        memcpy(it.r.ip, ips[j], 16);
        rc = kc_push(c, &it);
    }
out:
    names_path_back(&c->p, mark);
    return rc;
}

/* A service's cluster IP ("None" and "" mean it has none). */
static int kc_service_ip(struct kc_ctx *c, const char *key, const char *ip,
                         struct names_item *it)
{
    int rc;

    if (!*ip || strcmp(ip, "None") == 0)
        return 0;
    rc = kc_ip(c, key, ip, &it->r.ipver, it->r.ip);
    return rc < 0 ? rc : kc_push(c, it);
}

static int kc_service(struct kc_ctx *c, const struct jv *item)
{
    const struct jv *spec, *cips;
    struct kc_meta m = { 0 };
    struct names_item it;
    const char *ip;
    size_t mark = names_path_mark(&c->p);
    int rc;

    rc = kc_metadata(c, item, &m);
    if (rc == 0)
        rc = kc_obj(c, item, "spec", &spec);
    if (rc < 0 || !spec)
        return rc;
    kc_item(&it, NAMES_K_SERVICE, &m, m.have_created ? m.created : 0);
    names_path_key(&c->p, "spec");
    /* clusterIPs[], then clusterIP (its duplicate is folded at merge) */
    rc = kc_arr(c, spec, "clusterIPs", &cips);
    for (size_t i = 0; rc == 0 && cips && i < jv_len(cips); i++) {
        size_t m2 = names_path_mark(&c->p);

        names_path_key(&c->p, "clusterIPs");
        names_path_idx(&c->p, i);
        ip = jv_as_str(jv_at(cips, i));
        if (!ip)
            rc = kc_err(c, NULL, "expected a string");
        else
            rc = kc_service_ip(c, NULL, ip, &it);
        names_path_back(&c->p, m2);
    }
    if (rc == 0)
        rc = kc_str(c, spec, "clusterIP", &ip);
    if (rc == 0 && ip)
        rc = kc_service_ip(c, "clusterIP", ip, &it);
    names_path_back(&c->p, mark);
    return rc;
}

static void kc_member_add(struct kc_ctx *c, const char *ns, const char *pod, const char *svc)
{
    if (c->nm == c->capm)
        xgrow((void **)&c->m, &c->capm, c->nm + 1, sizeof *c->m);
    c->m[c->nm].ns = names_str(c->h, ns);
    c->m[c->nm].pod = names_str(c->h, pod);
    c->m[c->nm].svc = svc;
    c->nm++;
}

/* A targetRef {kind: Pod, name, namespace}: that pod is behind svc. */
static int kc_target(struct kc_ctx *c, const struct jv *addr, const char *ns, const char *svc)
{
    const struct jv *ref;
    const char *kind, *name, *rns = NULL;
    size_t mark = names_path_mark(&c->p);
    int rc;

    if (!jv_is_obj(addr))
        return kc_err(c, NULL, "expected an object");
    rc = kc_obj(c, addr, "targetRef", &ref);
    if (rc < 0 || !ref)
        return rc;
    names_path_key(&c->p, "targetRef");
    rc = kc_str(c, ref, "kind", &kind);
    if (rc == 0 && kind && strcmp(kind, "Pod") == 0) {
        rc = kc_name(c, ref, "name", &name);
        if (rc == 0)
            rc = kc_str(c, ref, "namespace", &rns);
        if (rc == 0)
            kc_member_add(c, rns ? rns : ns, name, svc);
    }
    names_path_back(&c->p, mark);
    return rc;
}

static int kc_endpoints(struct kc_ctx *c, const struct jv *item)
{
    static const char *const lists[] = { "addresses", "notReadyAddresses" };
    const struct jv *subsets, *addrs;
    struct kc_meta m = { 0 };
    size_t mark = names_path_mark(&c->p);
    int rc;

    rc = kc_metadata(c, item, &m);
    if (rc == 0)
        rc = kc_arr(c, item, "subsets", &subsets);
    if (rc < 0 || !subsets)
        return rc;
    names_path_key(&c->p, "subsets");
    for (size_t i = 0; rc == 0 && i < jv_len(subsets); i++) {
        const struct jv *sub = jv_at(subsets, i);
        size_t m2 = names_path_mark(&c->p);

        names_path_idx(&c->p, i);
        if (!jv_is_obj(sub))
            rc = kc_err(c, NULL, "expected an object");
        for (size_t l = 0; rc == 0 && l < 2; l++) {
            rc = kc_arr(c, sub, lists[l], &addrs);
            for (size_t k = 0; rc == 0 && addrs && k < jv_len(addrs); k++) {
                size_t m3 = names_path_mark(&c->p);

                names_path_key(&c->p, lists[l]);
                names_path_idx(&c->p, k);
                rc = kc_target(c, jv_at(addrs, k), m.ns, m.name);
                names_path_back(&c->p, m3);
            }
        }
        names_path_back(&c->p, m2);
    }
    names_path_back(&c->p, mark);
    return rc;
}

static int kc_slice(struct kc_ctx *c, const struct jv *item)
{
    const struct jv *eps, *labels;
    const char *svc;
    struct kc_meta m = { 0 };
    size_t mark = names_path_mark(&c->p);
    int rc;

    rc = kc_metadata(c, item, &m);
    if (rc < 0)
        return rc;
    names_path_key(&c->p, "metadata");
    rc = kc_obj(c, jv_get(item, "metadata"), "labels", &labels);
    if (rc == 0 && labels) {
        names_path_key(&c->p, "labels");
        rc = kc_str(c, labels, "kubernetes.io/service-name", &svc);
    } else {
        svc = NULL;
    }
    names_path_back(&c->p, mark);
    if (rc == 0)
        rc = kc_arr(c, item, "endpoints", &eps);
    if (rc < 0 || !svc || !*svc || !eps)
        return rc;
    svc = names_str(c->h, svc);
    for (size_t i = 0; rc == 0 && i < jv_len(eps); i++) {
        names_path_key(&c->p, "endpoints");
        names_path_idx(&c->p, i);
        rc = kc_target(c, jv_at(eps, i), m.ns, svc);
        names_path_back(&c->p, mark);
    }
    return rc;
}

static int kc_object(struct kc_ctx *c, const struct jv *item, const char *kind)
{
    if (strcmp(kind, "Pod") == 0)
        return kc_pod(c, item);
    if (strcmp(kind, "Service") == 0)
        return kc_service(c, item);
    if (strcmp(kind, "Endpoints") == 0)
        return kc_endpoints(c, item);
    if (strcmp(kind, "EndpointSlice") == 0)
        return kc_slice(c, item);
    return 0;   /* ConfigMaps, Nodes...: no addresses of interest */
}

static int kc_taken(struct kc_ctx *c, const struct jv *root, const struct names_read_opts *o,
                    uint64_t *taken)
{
    const struct jv *v = jv_get(root, "takenAt");
    const char *s = jv_as_str(v);

    if (v && !jv_is_null(v)) {
        if ((s && names_parse_time(s, taken)) || (!s && names_jv_secs(v, taken)))
            return 0;
        return diag_set(c->d, SV_EFORMAT,
                        "%s: takenAt: expected an RFC 3339 time or a number of Unix seconds",
                        c->file);
    }
    if (o->taken_ns) {
        *taken = o->taken_ns;
        return 0;
    }
    return diag_set(c->d, SV_EINVAL,
                    "%s: a kubectl dump needs the time it was taken: add a top-level \"takenAt\" "
                    "or pass --taken",
                    c->file);
}

int names_read_kubectl(struct names *h, const char *name, const struct jv *root,
                       const struct names_read_opts *o, struct diag *d)
{
    struct kc_ctx c = { .h = h, .file = name, .d = d };
    const struct jv *items;
    const char *kind, *dflt = NULL;
    char list_kind[64];
    uint64_t taken;
    int rc;

    c.p.s[0] = '\0';
    if (!jv_is_obj(root))
        return diag_set(d, SV_EFORMAT, "%s: expected an object", name);
    rc = kc_taken(&c, root, o, &taken);
    if (rc < 0)
        return rc;
    rc = kc_str(&c, root, "kind", &kind);
    if (rc == 0)
        rc = kc_arr(&c, root, "items", &items);
    if (rc < 0)
        return rc;
    if (kind && strlen(kind) > 4 && strlen(kind) < sizeof list_kind &&
        strcmp(kind + strlen(kind) - 4, "List") == 0) {
        /* PodList items carry no kind of their own */
        memcpy(list_kind, kind, strlen(kind) - 4);
        list_kind[strlen(kind) - 4] = '\0';
        dflt = list_kind;
    }
    if (!items) {
        rc = kind ? kc_object(&c, root, kind) : 0;     /* one object: `kubectl get pod x -o json` */
    } else {
        names_path_key(&c.p, "items");
        for (size_t i = 0, mark = names_path_mark(&c.p); rc == 0 && i < jv_len(items); i++) {
            const struct jv *item = jv_at(items, i);
            const char *ik = NULL;

            names_path_idx(&c.p, i);
            if (!jv_is_obj(item))
                rc = kc_err(&c, NULL, "expected an object");
            else
                rc = kc_str(&c, item, "kind", &ik);
            if (rc == 0 && (ik || dflt))
                rc = kc_object(&c, item, ik ? ik : dflt);
            names_path_back(&c.p, mark);
        }
    }
    if (rc < 0)
        goto out_release;
    rc = names_check_count(h, name, c.v.n, d);
    if (rc < 0)
        goto out_release;
    /* services are given at seal, over every dump of the same moment */
    names_add_dump(h, taken, &c.v, c.m, c.nm);
    return 0;
out_release:
    names_vec_release(&c.v);
    free(c.m);
    return rc;
}

/* ------------------------------------------------------------ merging at seal */

struct kc_ent {
    const struct names_item *it;
    size_t dump;            /* its dump's moment: index among the distinct times */
};

static int dump_cmp(const void *a, const void *b)
{
    const struct names_dump *x = a, *y = b;

    if (x->taken != y->taken)
        return x->taken < y->taken ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int str_order(const char *a, const char *b)
{
    return a == b ? 0 : strcmp(a, b);
}

/* By address, then dump; within one dump the holder first (newest from, pod, name). */
static int kc_ent_cmp(const void *a, const void *b)
{
    const struct names_rec *x = &((const struct kc_ent *)a)->it->r;
    const struct names_rec *y = &((const struct kc_ent *)b)->it->r;
    size_t dx = ((const struct kc_ent *)a)->dump, dy = ((const struct kc_ent *)b)->dump;
    int c;

    if (x->ipver != y->ipver)
        return x->ipver < y->ipver ? -1 : 1;
    c = memcmp(x->ip, y->ip, 16);
    if (c)
        return c;
    if (x->port != y->port)
        return x->port < y->port ? -1 : 1;
    if (dx != dy)
        return dx < dy ? -1 : 1;
    if (x->from != y->from)
        return x->from > y->from ? -1 : 1;
    if (x->kind != y->kind)
        return x->kind < y->kind ? -1 : 1;
    c = str_order(x->name, y->name);
    if (c == 0)
        c = str_order(x->ns, y->ns);
    if (c == 0)
        c = str_order(x->svc, y->svc);
    return c;
}

static bool same_holder(const struct names_rec *x, const struct names_rec *y)
{
    return x->kind == y->kind && x->name == y->name && x->ns == y->ns && x->svc == y->svc;
}

static bool same_address(const struct names_rec *x, const struct names_rec *y)
{
    return x->ipver == y->ipver && x->port == y->port && memcmp(x->ip, y->ip, 16) == 0;
}

static void emit(struct names *h, const struct names_item *cur, uint64_t to)
{
    struct names_item it = *cur;

    if (it.r.from >= to)
        return;     /* contradicted by a later dump before it began */
    it.r.to = to;
    it.seq = h->next_seq++;
    names_vec_push(&h->items, &it);
}

static int member_cmp(const void *a, const void *b)
{
    const struct names_member *x = a, *y = b;
    int r = strcmp(x->ns, y->ns);

    if (r == 0)
        r = strcmp(x->pod, y->pod);
    if (r == 0)
        r = strcmp(x->svc, y->svc);
    return r;
}

/*
 * Each pod of dumps d[0..n) (one moment: pods and endpoints may have been
 * dumped apart) gets its service: the alphabetically first of those whose
 * endpoints, in any dump of the moment, list it.
 */
static void assign_services(struct names_dump *d, size_t n)
{
    struct names_member *m;
    size_t nm = 0, k = 0;

    for (size_t i = 0; i < n; i++)
        nm += d[i].nm;
    if (nm == 0)
        return;
    m = xmalloc(nm * sizeof *m);
    for (size_t i = 0; i < n; i++) {
        if (d[i].nm)
            memcpy(m + k, d[i].m, d[i].nm * sizeof *m);
        k += d[i].nm;
    }
    if (nm > 1)
        qsort(m, nm, sizeof *m, member_cmp);
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < d[i].recs.n; j++) {
            struct names_rec *r = &d[i].recs.v[j].r;
            size_t lo = 0, hi = nm;

            if (r->kind != NAMES_K_POD)
                continue;
            while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                int c = strcmp(m[mid].ns, r->ns);

                if (c == 0)
                    c = strcmp(m[mid].pod, r->name);
                if (c < 0)
                    lo = mid + 1;
                else
                    hi = mid;
            }
            if (lo < nm && m[lo].ns == r->ns && m[lo].pod == r->name)
                r->svc = m[lo].svc;
        }
    }
    free(m);
}

void names_merge_dumps(struct names *h)
{
    struct kc_ent *e;
    uint64_t *at;               /* the time of each moment */
    size_t n = 0, total = 0, nat = 0;

    if (!h->ndumps)
        return;
    qsort(h->dumps, h->ndumps, sizeof *h->dumps, dump_cmp);
    for (size_t k = 0, j; k < h->ndumps; k = j) {
        for (j = k + 1; j < h->ndumps && h->dumps[j].taken == h->dumps[k].taken; j++)
            ;
        assign_services(h->dumps + k, j - k);
    }
    for (size_t k = 0; k < h->ndumps; k++)
        total += h->dumps[k].recs.n;
    e = xmalloc((total ? total : 1) * sizeof *e);
    at = xmalloc(h->ndumps * sizeof *at);
    for (size_t k = 0; k < h->ndumps; k++) {
        /* dumps taken at the same time are one moment (pods and services dumped apart) */
        if (nat == 0 || at[nat - 1] != h->dumps[k].taken)
            at[nat++] = h->dumps[k].taken;
        for (size_t i = 0; i < h->dumps[k].recs.n; i++) {
            e[n].it = &h->dumps[k].recs.v[i];
            e[n++].dump = nat - 1;
        }
    }
    if (n > 1)
        qsort(e, n, sizeof *e, kc_ent_cmp);
    for (size_t i = 0; i < n;) {
        struct names_item cur;
        size_t last = 0, end = i;
        bool have_cur = false, have_end = false;
        uint64_t prev_end = 0;

        while (end < n && same_address(&e[end].it->r, &e[i].it->r))
            end++;
        for (size_t k = i; k < end; k++) {
            const struct names_item *x = e[k].it;
            size_t dk = e[k].dump;
            uint64_t to;

            if (k > i && e[k - 1].dump == dk)
                continue;   /* not the holder at its moment */
            if (have_cur && last + 1 < dk) {
                /* a moment in between did not show the address */
                to = at[last + 1];
                emit(h, &cur, to);
                have_cur = false;
                have_end = true;
                prev_end = to;
            }
            if (have_cur) {
                if (same_holder(&x->r, &cur.r)) {
                    last = dk;
                    continue;
                }
                to = x->r.from > cur.r.from && x->r.from <= at[dk] ? x->r.from : at[dk];
                emit(h, &cur, to);
                have_cur = false;
                have_end = true;
                prev_end = to;
            }
            cur = *x;
            /* the dump shows it holding the address when taken, whatever its start says
             * (a node's clock ahead of the API server's) */
            if (cur.r.from > at[dk])
                cur.r.from = at[dk];
            if (have_end && cur.r.from < prev_end)
                cur.r.from = prev_end;  /* one address's kubectl records never overlap */
            last = dk;
            have_cur = true;
        }
        if (have_cur)
            emit(h, &cur, last + 1 < nat ? at[last + 1] : NAMES_OPEN);
        i = end;
    }
    free(at);
    free(e);
}
