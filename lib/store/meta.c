/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: store.json, the store's manifest, written last.
 *
 * It holds no wall-clock time and no thread count: the same inputs and
 * options give the same bytes (docs/FORMAT.md lists every key).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "base/timefmt.h"
#include "base/xalloc.h"
#include "json/json.h"
#include "store_int.h"

static struct jv *count_json(const struct store_count *c)
{
    struct jv *o = jv_obj();

    jv_set(o, "packets", jv_u64(c->packets));
    jv_set(o, "bytes", jv_u64(c->bytes));
    return o;
}

static struct jv *diff_json(const struct store_count *in, const struct store_count *a,
                            const struct store_count *b)
{
    struct jv *o = jv_obj();

    jv_set(o, "packets", jv_i64((int64_t)(in->packets - a->packets - b->packets)));
    jv_set(o, "bytes", jv_i64((int64_t)(in->bytes - a->bytes - b->bytes)));
    return o;
}

static struct jv *time_json(uint64_t first, uint64_t last)
{
    struct jv *o = jv_obj();
    char t[TIMEFMT_LEN];

    timefmt_rfc3339(t, first);
    jv_set(o, "first", jv_str(t));
    timefmt_rfc3339(t, last);
    jv_set(o, "last", jv_str(t));
    jv_set(o, "first_ns", jv_u64(first));
    jv_set(o, "last_ns", jv_u64(last));
    return o;
}

static void add_count(struct store_count *to, const struct store_count *c)
{
    to->packets += c->packets;
    to->bytes += c->bytes;
}

static const char *status_name(enum store_input_status s)
{
    switch (s) {
    case STORE_IN_OK:
        return "ok";
    case STORE_IN_ERROR:
        return "error";
    case STORE_IN_SKIPPED:
        return "skipped";
    }
    return "unknown";
}

/* The node object of store.json. */
static struct jv *node_json(const struct store_ingest_result *r)
{
    struct jv *node = jv_obj();

    jv_set(node, "name", jv_str(r->node_name));
    jv_set(node, "ip", jv_str(r->node_ip ? r->node_ip : ""));
    jv_set(node, "streams", jv_u64(r->nstreams));
    jv_set(node, "tcp_streams", jv_u64(r->tcp_streams));
    jv_set(node, "udp_streams", jv_u64(r->udp_streams));
    jv_set(node, "large_streams", jv_u64(r->large_streams));
    jv_set(node, "peak_live_flows", jv_u64(r->peak_flows));
    jv_set(node, "discarded_streams", jv_u64(r->discarded_streams));
    jv_set(node, "entries", jv_u64(r->entries));
    jv_set(node, "entries_dropped", jv_u64(r->entries_dropped));
    jv_set(node, "names", jv_u64(r->names));
    /* a node without packets has no time (as a bundle's content.json says) */
    jv_set(node, "time", r->read.packets ? time_json(r->first_ns, r->last_ns) : jv_null());
    return node;
}

char *store_manifest_json(const struct store_ingest_opts *o, const struct store_ingest_result *r,
                          size_t nnodes)
{
    struct jv *root = jv_obj(), *nodes = jv_arr(), *inputs = jv_arr();
    struct jv *totals = jv_obj(), *opts = jv_obj(), *segs;
    struct store_count read = { 0, 0 }, streams = { 0, 0 }, other = { 0, 0 };
    struct store_count discarded = { 0, 0 };
    uint64_t input_errors = 0;
    char *text, *out;
    size_t n;

    jv_set(root, "format", jv_str("streamvault-store"));
    jv_set(root, "format_version", jv_u64(STORE_FORMAT_VERSION));
    jv_set(root, "tool", jv_str("streamvault " PACKAGE_VERSION));

    jv_set(opts, "layout", jv_str(o->layout == STORE_LAYOUT_FILES ? "files" : "packed"));
    jv_set(opts, "pack_threshold", jv_u64(o->pack_threshold));
    jv_set(opts, "buckets", jv_u64(STORE_BUCKETS));
    jv_set(opts, "udp_timeout_ns", jv_u64(o->flow.udp_idle_ns));
    jv_set(opts, "tcp_idle_timeout_ns", jv_u64(o->flow.tcp_idle_ns));
    jv_set(opts, "tcp_closed_timeout_ns", jv_u64(o->flow.tcp_closed_ns));
    jv_set(opts, "dissect", jv_bool(o->dissect));
    jv_set(opts, "l4_entries", jv_bool(o->l4_entries));
    jv_set(opts, "discard_undissected", jv_bool(o->discard_undissected));
    jv_set(opts, "body_max", jv_u64(o->dissect ? o->body_max : 0));
    jv_set(root, "options", opts);

    for (size_t k = 0; k < nnodes; k++)
        jv_push(nodes, node_json(&r[k]));
    jv_set(root, "nodes", nodes);
    segs = jv_arr();
    for (size_t k = 0; k < nnodes; k++) {
        for (size_t i = 0; i < r[k].nsegments; i++) {
            const struct store_segment_info *si = &r[k].segments[i];
            struct jv *j = jv_obj();

            jv_set(j, "name", jv_str(si->name));
            jv_set(j, "node", jv_str(r[k].node_name));
            jv_set(j, "rows", jv_u64(si->rows));
            jv_set(j, "blocks", jv_u64(si->blocks));
            jv_set(j, "bytes", jv_u64(si->bytes));
            jv_set(j, "first_ns", jv_u64(si->first_ns));
            jv_set(j, "last_ns", jv_u64(si->last_ns));
            jv_push(segs, j);
        }
    }
    jv_set(root, "segments", segs);

    for (size_t k = 0; k < nnodes; k++) {
        for (size_t i = 0; i < r[k].ninputs; i++) {
            const struct store_input *in = &r[k].inputs[i];
            struct jv *j = jv_obj();

            jv_set(j, "path", jv_str(in->path));
            jv_set(j, "node", jv_str(r[k].node_name));
            jv_set(j, "status", jv_str(status_name(in->status)));
            jv_set(j, "format", jv_str(in->format));
            jv_set(j, "compression", jv_str(in->compression));
            jv_set(j, "bytes", jv_u64(in->size));
            jv_set(j, "read", count_json(&in->read));
            jv_set(j, "streams", count_json(&in->streams));
            jv_set(j, "other", count_json(&in->other));
            jv_set(j, "unaccounted", diff_json(&in->read, &in->streams, &in->other));
            if (in->error)
                jv_set(j, "error", jv_str(in->error));
            jv_push(inputs, j);
        }
        add_count(&read, &r[k].read);
        add_count(&streams, &r[k].streams);
        add_count(&other, &r[k].other);
        add_count(&discarded, &r[k].discarded);
        input_errors += r[k].input_errors;
    }
    jv_set(root, "inputs", inputs);

    jv_set(totals, "read", count_json(&read));
    jv_set(totals, "streams", count_json(&streams));
    jv_set(totals, "other", count_json(&other));
    jv_set(totals, "discarded", count_json(&discarded));
    jv_set(totals, "unaccounted", diff_json(&read, &streams, &other));
    jv_set(totals, "input_errors", jv_u64(input_errors));
    jv_set(root, "totals", totals);

    text = jv_dump(root, JV_PRETTY);
    jv_free(root);
    /* one trailing newline, as every text file should have */
    n = strlen(text);
    out = xmalloc(n + 2);
    memcpy(out, text, n);
    out[n] = '\n';
    out[n + 1] = '\0';
    free(text);
    return out;
}
