/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: the native interval format, "gencap-names/1" (docs/NAMES.md,
 * "The native format"; shared/bench/README.md for what gencap writes).
 *
 *   {"format": "gencap-names/1", "capture_start": T, "capture_end": T,
 *    "ips": {"<ip>" | "<ip>:<port>" | "[<ip6>]:<port>":
 *            [{"name", "namespace", "kind", "service", "from", "to", "source"}]}}
 *
 * The reader takes exactly what gencap writes plus our version-1
 * extensions (IP:port keys, "source", kinds "address" and "dns", optional
 * capture_start/capture_end) and ignores unknown keys. The writer lays the
 * file out as gencap does, one record per line, so that the same history
 * gives the same bytes.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/diag.h"
#include "base/timefmt.h"
#include "json/json.h"
#include "names.h"
#include "names_int.h"
#include "streamvault.h"

#define NATIVE_FORMAT "gencap-names/1"

static const char *const kind_names[] = {
    [NAMES_K_POD] = "pod",
    [NAMES_K_SERVICE] = "service",
    [NAMES_K_ADDRESS] = "address",
    [NAMES_K_DNS] = "dns",
};

static const char *const source_names[] = {
    [NAMES_SRC_HISTORY] = "history",
    [NAMES_SRC_KUBECTL] = "kubectl",
    [NAMES_SRC_DNS] = "dns",
};

const char *names_source_name(uint8_t source)
{
    return source < sizeof source_names / sizeof *source_names ? source_names[source] : "?";
}

const char *names_kind_name(uint8_t kind)
{
    return kind < sizeof kind_names / sizeof *kind_names ? kind_names[kind] : "?";
}

static int lookup(const char *const *names, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(names[i], s) == 0)
            return (int)i;
    return -1;
}

/* ------------------------------------------------------------ reading */

/* A string that may be absent or null ("" then). */
static int opt_str(const char *file, struct names_path *p, const struct jv *obj, const char *key,
                   const char **out, struct diag *d)
{
    const struct jv *v = jv_get(obj, key);
    size_t mark = names_path_mark(p);
    int rc;

    *out = "";
    if (!v || jv_is_null(v))
        return 0;
    *out = jv_as_str(v);
    if (*out)
        return 0;
    names_path_key(p, key);
    rc = diag_set(d, SV_EFORMAT, "%s: %s: expected a string or null", file, p->s);
    names_path_back(p, mark);
    return rc;
}

/* An RFC 3339 time or null (null: *is_null). Absent is an error unless absent_ok. */
static int time_or_null(const char *file, struct names_path *p, const struct jv *obj,
                        const char *key, bool absent_ok, uint64_t *ns, bool *is_null,
                        struct diag *d)
{
    const struct jv *v = jv_get(obj, key);
    const char *s = jv_as_str(v);
    size_t mark = names_path_mark(p);
    int rc;

    *is_null = false;
    if ((!v && absent_ok) || jv_is_null(v)) {
        *is_null = true;
        return 0;
    }
    if (s && names_parse_time(s, ns))
        return 0;
    names_path_key(p, key);
    rc = diag_set(d, SV_EFORMAT, "%s: %s: expected an RFC 3339 time or null", file, p->s);
    names_path_back(p, mark);
    return rc;
}

static int read_record(struct names *h, const char *file, struct names_path *p,
                       const struct jv *o, struct names_item *it, struct diag *d)
{
    const char *name, *ns, *kind, *svc, *src;
    char q[NAMES_QUOTE_LEN], tf[TIMEFMT_LEN], tt[TIMEFMT_LEN];
    size_t mark = names_path_mark(p);
    bool null_from, null_to;
    int k, s = NAMES_SRC_HISTORY, rc;

    if (!jv_is_obj(o))
        return diag_set(d, SV_EFORMAT, "%s: %s: expected an object", file, p->s);
    name = jv_get_str(o, "name");
    if (!name || !*name) {
        names_path_key(p, "name");
        rc = diag_set(d, SV_EFORMAT, "%s: %s: expected a non-empty string", file, p->s);
        goto out;
    }
    kind = jv_get_str(o, "kind");
    if (!kind) {
        names_path_key(p, "kind");
        rc = diag_set(d, SV_EFORMAT, "%s: %s: expected a string", file, p->s);
        goto out;
    }
    k = lookup(kind_names, sizeof kind_names / sizeof kind_names[0], kind);
    if (k < 0) {
        names_path_key(p, "kind");
        names_quote(q, kind);
        rc = diag_set(d, SV_EFORMAT,
                      "%s: %s: unknown kind %s (expected pod, service, address or dns)", file,
                      p->s, q);
        goto out;
    }
    if (jv_get(o, "source")) {
        src = jv_get_str(o, "source");
        names_path_key(p, "source");
        if (!src) {
            rc = diag_set(d, SV_EFORMAT, "%s: %s: expected a string", file, p->s);
            goto out;
        }
        s = lookup(source_names, sizeof source_names / sizeof source_names[0], src);
        if (s < 0) {
            names_quote(q, src);
            rc = diag_set(d, SV_EFORMAT,
                          "%s: %s: unknown source %s (expected history, kubectl or dns)", file,
                          p->s, q);
            goto out;
        }
        names_path_back(p, mark);
    }
    rc = opt_str(file, p, o, "namespace", &ns, d);
    if (rc < 0)
        goto out;
    rc = opt_str(file, p, o, "service", &svc, d);
    if (rc < 0)
        goto out;
    rc = time_or_null(file, p, o, "from", false, &it->r.from, &null_from, d);
    if (rc < 0)
        goto out;
    rc = time_or_null(file, p, o, "to", true, &it->r.to, &null_to, d);
    if (rc < 0)
        goto out;
    if (null_from)
        it->r.from = 0;
    if (null_to)
        it->r.to = NAMES_OPEN;
    if (it->r.from >= it->r.to) {
        timefmt_rfc3339(tf, it->r.from);
        timefmt_rfc3339(tt, it->r.to);
        rc = diag_set(d, SV_EFORMAT, "%s: %s: from %s is not before to %s", file, p->s, tf, tt);
        goto out;
    }
    it->r.kind = (uint8_t)k;
    it->r.source = (uint8_t)s;
    it->r.name = names_str(h, name);
    it->r.ns = names_str(h, ns);
    it->r.svc = k == NAMES_K_POD ? names_str(h, svc) : "";
out:
    names_path_back(p, mark);
    return rc;
}

static int read_span(const char *file, const struct jv *root, const char *key, bool *have,
                     uint64_t *ns, struct diag *d)
{
    const struct jv *v = jv_get(root, key);
    const char *s = jv_as_str(v);

    *have = false;
    if (!v || jv_is_null(v))
        return 0;
    if (!s || !names_parse_time(s, ns))
        return diag_set(d, SV_EFORMAT, "%s: %s: expected an RFC 3339 time or null", file, key);
    *have = true;
    return 0;
}

int names_read_native(struct names *h, const char *name, const struct jv *root, struct diag *d)
{
    struct names_vec v = { 0 };
    struct names_path p = { .n = 0 };
    const struct jv *ips, *recs;
    const char *fmt, *key;
    struct jv *val;
    void *iter = NULL;
    char q[NAMES_QUOTE_LEN];
    bool have_start, have_end;
    uint64_t start = 0, end = 0;
    int rc;

    p.s[0] = '\0';
    fmt = jv_get_str(root, "format");
    if (!fmt)
        return diag_set(d, SV_EFORMAT, "%s: format: expected a string", name);
    if (strcmp(fmt, NATIVE_FORMAT) != 0) {
        names_quote(q, fmt);
        return diag_set(d, SV_EFORMAT, "%s: unknown format %s (expected \"%s\")", name, q,
                        NATIVE_FORMAT);
    }
    rc = read_span(name, root, "capture_start", &have_start, &start, d);
    if (rc < 0)
        return rc;
    rc = read_span(name, root, "capture_end", &have_end, &end, d);
    if (rc < 0)
        return rc;
    ips = jv_get(root, "ips");
    if (!jv_is_obj(ips))
        return diag_set(d, SV_EFORMAT, "%s: ips: expected an object", name);
    names_path_key(&p, "ips");
    while (jv_obj_next(ips, &iter, &key, &val)) {
        struct names_item it;
        size_t mark = names_path_mark(&p), n;

        memset(&it, 0, sizeof it);
        names_path_qkey(&p, key);
        if (!names_parse_addr(key, &it.r.ipver, it.r.ip, &it.r.port)) {
            rc = diag_set(d, SV_EFORMAT, "%s: %s: not an IP address or IP:port", name, p.s);
            goto out_release;
        }
        recs = val;
        if (!jv_is_arr(recs)) {
            rc = diag_set(d, SV_EFORMAT, "%s: %s: expected an array", name, p.s);
            goto out_release;
        }
        n = jv_len(recs);
        rc = names_check_count(h, name, v.n + n, d);
        if (rc < 0)
            goto out_release;
        for (size_t i = 0; i < n; i++) {
            size_t m2 = names_path_mark(&p);

            names_path_idx(&p, i);
            rc = read_record(h, name, &p, jv_at(recs, i), &it, d);
            if (rc < 0)
                goto out_release;
            names_vec_push(&v, &it);
            names_path_back(&p, m2);
        }
        names_path_back(&p, mark);
    }
    if (have_start && (!h->have_start || start < h->span_start))
        h->span_start = start;
    if (have_end && (!h->have_end || end > h->span_end))
        h->span_end = end;
    h->have_start |= have_start;
    h->have_end |= have_end;
    names_commit(h, &v);
    return 0;
out_release:
    names_vec_release(&v);
    return rc;
}

/* ------------------------------------------------------------ writing */

static struct jv *time_json(uint64_t ns)
{
    char t[TIMEFMT_LEN];

    if (ns == NAMES_OPEN)
        return jv_null();
    timefmt_rfc3339(t, ns);
    return jv_str(t);
}

static struct jv *record_json(const struct names_rec *r)
{
    struct jv *o = jv_obj();

    jv_set(o, "name", jv_str(r->name));
    jv_set(o, "namespace", jv_str(r->ns));
    jv_set(o, "kind", jv_str(kind_names[r->kind]));
    jv_set(o, "service", r->kind == NAMES_K_POD && *r->svc ? jv_str(r->svc) : jv_null());
    jv_set(o, "from", time_json(r->from));
    jv_set(o, "to", time_json(r->to));
    jv_set(o, "source", jv_str(source_names[r->source]));
    return o;
}

int names_write_native(const struct names *h, struct buf *out)
{
    struct names_out o = { out, 0 };
    char t[TIMEFMT_LEN];
    bool first = true;

    if (!h->sealed)
        return SV_EINVAL;
    names_out_str(&o, "{\n\"format\": \"" NATIVE_FORMAT "\",\n");
    if (h->have_start) {
        timefmt_rfc3339(t, h->span_start);
        names_out_str(&o, "\"capture_start\": \"");
        names_out_str(&o, t);
        names_out_str(&o, "\",\n");
    }
    if (h->have_end) {
        timefmt_rfc3339(t, h->span_end);
        names_out_str(&o, "\"capture_end\": \"");
        names_out_str(&o, t);
        names_out_str(&o, "\",\n");
    }
    names_out_str(&o, "\"ips\": {");
    for (size_t i = 0; i < h->naddrs; i++) {
        const struct names_addr *a = &h->addrs[i];
        char key[NAMES_ADDR_TEXT_LEN];

        if (a->n == 0)
            continue;
        names_addr_text(key, a->ipver, a->ip, a->port);
        names_out_str(&o, first ? "\n" : ",\n");
        first = false;
        names_out_json(&o, jv_str(key));
        names_out_str(&o, ": [");
        for (size_t k = a->first; k < a->first + a->n; k++) {
            if (k > a->first)
                names_out_str(&o, ",\n    ");
            names_out_json(&o, record_json(&h->items.v[k].r));
        }
        names_out_str(&o, "]");
    }
    names_out_str(&o, "\n}\n}\n");
    return o.rc;
}
