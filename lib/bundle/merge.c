/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: the time-ordered merge of one node's stream PCAPs into one capture.
 *
 * A k-way merge over a heap of stream cursors, keyed (time, stream id,
 * packet number), like mergecap's but deterministic on ties. Streams are
 * opened lazily in the order of their first packet (a stream is opened
 * when the merge reaches its first packet's time) and closed at their
 * last packet, so what is held is one read buffer (LIM_BUNDLE_READ, more
 * only for a larger record) per stream open at the same instant, and the
 * store's reader keeps a bounded number of files open.
 *
 * Stream files are our own output (lib/store/pcapw.h), but they are bytes
 * on disk: every length is checked before use, and a fault is an error
 * naming the node, stream and offset.
 */
#include "config.h"

#include "bundle_int.h"

#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/cur.h"
#include "base/diag.h"
#include "base/limits.h"
#include "base/xalloc.h"
#include "store/pcapw.h"
#include "store/store.h"

#define BM_FLUSH (256u * 1024)          /* output bytes gathered before each sink write */
#define BM_NG_MAGIC 0x0a0d0d0au
#define BM_NG_BOM 0x1a2b3c4du
#define BM_NG_IDB 1u
#define BM_NG_EPB 6u

/* An interface: of a pcapng stream (out: its output IDB + 1, 0 until known), or of the output. */
struct bif {
    uint32_t linktype, snaplen;
    int prec;
    uint32_t out;
};

struct mcur {
    const struct store_stream *st;
    uint64_t off;               /* stream bytes read into buf so far */
    uint8_t *buf;
    size_t cap, len, pos;       /* buf[pos, len) not yet consumed */
    bool ng;
    struct bif cl;              /* classic PCAP: its one interface */
    struct bif *ifs;            /* pcapng: the IDBs of the current section */
    size_t nifs;
    /* the head record */
    uint64_t ts, seq;
    const uint8_t *data;
    uint32_t caplen, origlen;
    struct bif *iface;
};

struct bm {
    struct store_reader *rd;
    const char *store;          /* its directory, for errors: stores may share a node's name */
    const char *node;
    const struct bmerge_opts *o;
    const struct bmerge_sink *sink;
    struct bmerge_stats *st;
    struct diag *d;
    bool ng;
    struct bif cl;              /* classic output: link type, largest snaplen, precision */
    struct bif *oifs;           /* pcapng output: IDBs in order of first use */
    size_t noifs;
    struct buf out;
    struct mcur **heap;
    size_t nheap;
};

static uint64_t cur_at(const struct mcur *c)
{
    return c->off - (c->len - c->pos);
}

static int bad(struct bm *m, const struct mcur *c, const char *what)
{
    char name[32];

    store_stream_name(c->st, name);
    return diag_set(m->d, SV_EFORMAT, "%s: node %s: stream %s: offset %llu: %s", m->store,
                    m->node, name, (unsigned long long)cur_at(c), what);
}

/* Makes need bytes available at buf + pos. */
static int fill(struct bm *m, struct mcur *c, size_t need)
{
    size_t avail = c->len - c->pos, want;
    uint64_t left = c->st->length - c->off;
    int rc;

    if (avail >= need)
        return 0;
    if (need - avail > left)
        return bad(m, c, "record truncated");
    if (avail)
        memmove(c->buf, c->buf + c->pos, avail);   /* c->buf is NULL before the first fill */
    c->len = avail;
    c->pos = 0;
    want = need - avail;
    if (want < LIM_BUNDLE_READ)
        want = left < LIM_BUNDLE_READ ? (size_t)left : LIM_BUNDLE_READ;
    if (avail + want > c->cap) {
        c->cap = avail + want;
        c->buf = xrealloc(c->buf, c->cap);
    }
    rc = store_reader_pread(m->rd, c->st, c->off, c->buf + avail, want, m->d);
    if (rc < 0)
        return rc;
    c->off += want;
    c->len += want;
    return 0;
}

static bool in_window(const struct bm *m, uint64_t ts)
{
    return !m->o->cut || (ts >= m->o->from_ns && ts <= m->o->to_ns);
}

/* The next classic record at or after pos: 1, or 0 at the end of the stream. */
static int next_classic(struct bm *m, struct mcur *c)
{
    for (;;) {
        const uint8_t *r;
        uint32_t caplen;
        uint64_t frac;
        int rc;

        if (cur_at(c) == c->st->length)
            return 0;
        rc = fill(m, c, PCAPW_REC_HDR_LEN);
        if (rc < 0)
            return rc;
        caplen = ld_le32(c->buf + c->pos + 8);
        if (caplen > LIM_PACKET_MAX)
            return bad(m, c, "record longer than the largest packet");
        rc = fill(m, c, PCAPW_REC_HDR_LEN + caplen);
        if (rc < 0)
            return rc;
        r = c->buf + c->pos;
        frac = ld_le32(r + 4);
        c->ts = ld_le32(r) * 1000000000ull + (c->cl.prec == 9 ? frac : frac * 1000u);
        c->caplen = caplen;
        c->origlen = ld_le32(r + 12);
        c->data = r + PCAPW_REC_HDR_LEN;
        c->iface = &c->cl;
        c->pos += PCAPW_REC_HDR_LEN + caplen;
        c->seq++;
        if (in_window(m, c->ts))
            return 1;
    }
}

/* An IDB's interface: link type, snaplen and if_tsresol (6 or 9). */
static int read_idb(struct bm *m, struct mcur *c, const uint8_t *b, uint32_t len)
{
    struct bif f = { ld_le16(b + 8), ld_le32(b + 12), 6, 0 };
    uint32_t at = 16;

    if (len < 20)
        return bad(m, c, "interface description block too short");
    while (at + 4 <= len - 4) {
        uint16_t code = ld_le16(b + at), olen = ld_le16(b + at + 2);

        if (code == 0)
            break;
        if (olen > len - 4 - at - 4)
            return bad(m, c, "interface option runs past its block");
        if (code == 9 && olen >= 1) {
            if (b[at + 4] != 6 && b[at + 4] != 9)
                return bad(m, c, "if_tsresol other than microseconds or nanoseconds");
            f.prec = b[at + 4];
        }
        at += 4 + ((olen + 3u) & ~3u);
    }
    if (c->nifs >= LIM_PCAPNG_IFACES)
        return bad(m, c, "too many interfaces");
    c->ifs = xrealloc(c->ifs, (c->nifs + 1) * sizeof *c->ifs);
    c->ifs[c->nifs++] = f;
    return 0;
}

/* The next pcapng packet (EPB) at or after pos: 1, or 0 at the end of the stream. */
static int next_ng(struct bm *m, struct mcur *c)
{
    for (;;) {
        const uint8_t *b;
        uint32_t type, len, ifid;
        int rc;

        if (cur_at(c) == c->st->length)
            return 0;
        rc = fill(m, c, 8);
        if (rc < 0)
            return rc;
        type = ld_le32(c->buf + c->pos);
        len = ld_le32(c->buf + c->pos + 4);
        if (len < 12 || len % 4 != 0 || len > LIM_PCAPNG_BLOCK_MAX)
            return bad(m, c, "bad pcapng block length");
        rc = fill(m, c, len);
        if (rc < 0)
            return rc;
        b = c->buf + c->pos;
        if (ld_le32(b + len - 4) != len)
            return bad(m, c, "pcapng block lengths disagree");
        if (type == BM_NG_MAGIC) {
            if (len < PCAPW_SHB_LEN || ld_le32(b + 8) != BM_NG_BOM)
                return bad(m, c, "not a little-endian pcapng section");
            c->nifs = 0;
        } else if (type == BM_NG_IDB) {
            rc = read_idb(m, c, b, len);
            if (rc < 0)
                return rc;
        } else if (type == BM_NG_EPB) {
            uint64_t units;

            if (len < 32)
                return bad(m, c, "enhanced packet block too short");
            ifid = ld_le32(b + 8);
            c->caplen = ld_le32(b + 20);
            if (ifid >= c->nifs)
                return bad(m, c, "packet on an undescribed interface");
            if (c->caplen > len - 32 || c->caplen > LIM_PACKET_MAX)
                return bad(m, c, "packet longer than its block");
            units = (uint64_t)ld_le32(b + 12) << 32 | ld_le32(b + 16);
            c->iface = &c->ifs[ifid];
            c->ts = c->iface->prec == 9 ? units : units * 1000u;
            c->origlen = ld_le32(b + 24);
            c->data = b + 28;
            c->pos += len;
            c->seq++;
            if (in_window(m, c->ts))
                return 1;
            continue;
        }
        c->pos += len;
    }
}

static int cur_next(struct bm *m, struct mcur *c)
{
    return c->ng ? next_ng(m, c) : next_classic(m, c);
}

static void cur_free(struct mcur *c)
{
    if (!c)
        return;
    free(c->buf);
    free(c->ifs);
    free(c);
}

/* Opens a stream: its file header, then its first packet (*out NULL when it has none). */
static int cur_open(struct bm *m, const struct store_stream *st, struct mcur **out)
{
    struct mcur *c = xcalloc(1, sizeof *c);
    uint32_t magic;
    int rc;

    *out = NULL;
    c->st = st;
    rc = fill(m, c, 4);
    if (rc < 0)
        goto fail;
    magic = ld_le32(c->buf);
    if (magic == PCAPW_MAGIC_US || magic == PCAPW_MAGIC_NS) {
        rc = fill(m, c, PCAPW_HDR_LEN);
        if (rc < 0)
            goto fail;
        c->cl.prec = magic == PCAPW_MAGIC_NS ? 9 : 6;
        c->cl.snaplen = ld_le32(c->buf + 16);
        c->cl.linktype = ld_le32(c->buf + 20);
        c->pos = PCAPW_HDR_LEN;
    } else if (magic == BM_NG_MAGIC) {
        c->ng = true;
    } else {
        rc = bad(m, c, "not a little-endian PCAP or pcapng file");
        goto fail;
    }
    rc = cur_next(m, c);
    if (rc <= 0)
        goto fail;
    *out = c;
    return 0;
fail:
    cur_free(c);
    return rc;
}

/* ------------------------------------------------------------------ heap */

static bool before(const struct mcur *a, const struct mcur *b)
{
    if (a->ts != b->ts)
        return a->ts < b->ts;
    if (a->st->id != b->st->id)
        return a->st->id < b->st->id;
    return a->seq < b->seq;
}

static void sift_down(struct bm *m, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, best = i;
        struct mcur *t;

        if (l < m->nheap && before(m->heap[l], m->heap[best]))
            best = l;
        if (r < m->nheap && before(m->heap[r], m->heap[best]))
            best = r;
        if (best == i)
            return;
        t = m->heap[i];
        m->heap[i] = m->heap[best];
        m->heap[best] = t;
        i = best;
    }
}

static void heap_push(struct bm *m, struct mcur *c)
{
    size_t i = m->nheap++;

    m->heap[i] = c;
    while (i > 0 && before(m->heap[i], m->heap[(i - 1) / 2])) {
        struct mcur *t = m->heap[i];

        m->heap[i] = m->heap[(i - 1) / 2];
        m->heap[(i - 1) / 2] = t;
        i = (i - 1) / 2;
    }
}

/* ---------------------------------------------------------------- output */

static int flush(struct bm *m)
{
    int rc = 0;

    if (m->sink && m->out.len > 0)
        rc = m->sink->write(m->sink->arg, m->out.data, m->out.len, m->d);
    buf_reset(&m->out);
    return rc;
}

static uint8_t *out_reserve(struct bm *m, size_t n)
{
    uint8_t *p;

    m->st->out_bytes += n;
    if (!m->sink)
        return NULL;
    p = buf_reserve(&m->out, n);
    if (p)
        m->out.len += n;
    return p;
}

static int put_header(struct bm *m)
{
    uint8_t *p;

    if (m->ng) {
        p = out_reserve(m, PCAPW_SHB_LEN);
        if (p)
            pcapw_ng_shb(p);
    } else {
        p = out_reserve(m, PCAPW_HDR_LEN);
        if (p)
            pcapw_file_header(p, m->cl.linktype, m->cl.snaplen, m->cl.prec);
    }
    if (m->sink && !p)
        return diag_set(m->d, SV_ENOMEM, "node %s: out of memory merging", m->node);
    return 0;
}

/* The output IDB of the head's interface, writing it before its first packet. */
static int out_iface(struct bm *m, struct bif *f, uint32_t *ifid)
{
    size_t i;
    uint8_t *p;

    if (f->out) {
        *ifid = f->out - 1;
        return 0;
    }
    for (i = 0; i < m->noifs; i++)
        if (m->oifs[i].linktype == f->linktype && m->oifs[i].snaplen == f->snaplen &&
            m->oifs[i].prec == f->prec)
            break;
    if (i == m->noifs) {
        if (m->noifs >= LIM_PCAPNG_IFACES)
            return diag_set(m->d, SV_ELIMIT, "node %s: more than %u interfaces to merge",
                            m->node, LIM_PCAPNG_IFACES);
        m->oifs = xrealloc(m->oifs, (m->noifs + 1) * sizeof *m->oifs);
        m->oifs[m->noifs++] = *f;
        p = out_reserve(m, pcapw_ng_idb_len(f->prec));
        if (p)
            pcapw_ng_idb_put(p, f->linktype, f->snaplen, f->prec);
        else if (m->sink)
            return diag_set(m->d, SV_ENOMEM, "node %s: out of memory merging", m->node);
    }
    f->out = (uint32_t)i + 1;
    *ifid = (uint32_t)i;
    return 0;
}

static int emit(struct bm *m, const struct mcur *c)
{
    uint8_t *p;

    if (m->st->packets == 0 || c->ts < m->st->first_ns)
        m->st->first_ns = c->ts;
    if (c->ts > m->st->last_ns)
        m->st->last_ns = c->ts;
    m->st->packets++;
    m->st->bytes += c->caplen;
    if (m->ng) {
        uint32_t ifid = 0;
        int rc = out_iface(m, c->iface, &ifid);

        if (rc < 0)
            return rc;
        p = out_reserve(m, pcapw_ng_epb_len(c->caplen));
        if (p)
            pcapw_ng_epb_put(p, ifid, c->ts, c->iface->prec, c->caplen, c->origlen, c->data);
    } else {
        uint64_t ns = c->ts % 1000000000u;

        p = out_reserve(m, PCAPW_REC_HDR_LEN + (size_t)c->caplen);
        if (p) {
            st_le32(p, (uint32_t)(c->ts / 1000000000u));
            st_le32(p + 4, (uint32_t)(m->cl.prec == 9 ? ns : ns / 1000u));
            st_le32(p + 8, c->caplen);
            st_le32(p + 12, c->origlen);
            memcpy(p + PCAPW_REC_HDR_LEN, c->data, c->caplen);
        }
    }
    if (m->sink && !p)
        return diag_set(m->d, SV_ENOMEM, "node %s: out of memory merging", m->node);
    return m->out.len >= BM_FLUSH ? flush(m) : 0;
}

/* ------------------------------------------------------------------ plan */

/* Classic PCAP of one link type throughout (cl filled), or pcapng (m->ng). */
static int plan(struct bm *m, const struct store_stream *const *v, size_t n)
{
    m->cl = (struct bif){ 1, 0, 6, 0 };     /* Ethernet, for a capture of no stream */
    for (size_t i = 0; i < n; i++) {
        if (v[i]->flags & STORE_S_PCAPNG) {
            m->ng = true;
            return 0;
        }
    }
    for (size_t i = 0; i < n; i++) {
        struct mcur c = { .st = v[i] };
        uint8_t h[PCAPW_HDR_LEN];
        uint32_t magic;
        int rc;

        if (v[i]->length < PCAPW_HDR_LEN)
            return bad(m, &c, "shorter than a PCAP file header");
        rc = store_reader_pread(m->rd, v[i], 0, h, sizeof h, m->d);
        if (rc < 0)
            return rc;
        magic = ld_le32(h);
        if (magic != PCAPW_MAGIC_US && magic != PCAPW_MAGIC_NS)
            return bad(m, &c, "not a little-endian PCAP file");
        if (i > 0 && ld_le32(h + 20) != m->cl.linktype) {
            m->ng = true;
            return 0;
        }
        m->cl.linktype = ld_le32(h + 20);
        if (ld_le32(h + 16) > m->cl.snaplen)
            m->cl.snaplen = ld_le32(h + 16);
        if (magic == PCAPW_MAGIC_NS)
            m->cl.prec = 9;
    }
    return 0;
}

static int cmp_first(const void *a, const void *b)
{
    const struct store_stream *x = *(const struct store_stream *const *)a;
    const struct store_stream *y = *(const struct store_stream *const *)b;

    if (x->first_ns != y->first_ns)
        return x->first_ns < y->first_ns ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

static int merge(struct bm *m, const struct store_stream *const *v, size_t n)
{
    const struct store_stream **order = xmalloc((n ? n : 1) * sizeof *order);
    size_t next = 0;
    int rc;

    memcpy(order, v, n * sizeof *order);
    qsort(order, n, sizeof *order, cmp_first);
    m->heap = xmalloc((n ? n : 1) * sizeof *m->heap);
    rc = put_header(m);
    while (rc == 0) {
        struct mcur *c;

        while (next < n && (m->nheap == 0 || order[next]->first_ns <= m->heap[0]->ts)) {
            const struct store_stream *st = order[next++];

            if (m->o->cut && (st->last_ns < m->o->from_ns || st->first_ns > m->o->to_ns))
                continue;
            rc = cur_open(m, st, &c);
            if (rc < 0)
                goto out;
            if (c)
                heap_push(m, c);
            if (m->nheap > m->st->peak_open)
                m->st->peak_open = m->nheap;
        }
        if (m->nheap == 0)
            break;
        c = m->heap[0];
        rc = emit(m, c);
        if (rc < 0)
            break;
        rc = cur_next(m, c);
        if (rc < 0)
            break;
        if (rc == 0) {
            cur_free(c);
            m->heap[0] = m->heap[--m->nheap];
        }
        rc = 0;
        sift_down(m, 0);
    }
    if (rc == 0)
        rc = flush(m);
out:
    while (m->nheap > 0)
        cur_free(m->heap[--m->nheap]);
    free(m->heap);
    m->heap = NULL;
    free(order);
    return rc;
}

int bmerge_run(struct store *s, size_t node, const struct store_stream *const *v, size_t n,
               const struct bmerge_opts *o, const struct bmerge_sink *sink,
               struct bmerge_stats *st, struct diag *d)
{
    struct bm m = { 0 };
    int rc;

    memset(st, 0, sizeof *st);
    m.rd = store_reader_new(s, node);
    m.store = store_dir(s);
    m.node = store_node(s, node)->name;
    m.o = o;
    m.sink = sink;
    m.st = st;
    m.d = d;
    buf_init(&m.out, SIZE_MAX);
    rc = plan(&m, v, n);
    if (rc < 0)
        goto out;
    if (!sink && !m.ng && !o->cut) {
        /* the catalogue says it all: records are copied with their sizes */
        st->out_bytes = PCAPW_HDR_LEN;
        for (size_t i = 0; i < n; i++) {
            /* a first packet at 0 (the epoch) is a time, not "none yet" */
            if (v[i]->packets && (st->packets == 0 || v[i]->first_ns < st->first_ns))
                st->first_ns = v[i]->first_ns;
            if (v[i]->last_ns > st->last_ns)
                st->last_ns = v[i]->last_ns;
            st->out_bytes += v[i]->length - PCAPW_HDR_LEN;
            st->packets += v[i]->packets;
            st->bytes += v[i]->bytes;
        }
        goto out;
    }
    rc = merge(&m, v, n);
out:
    buf_release(&m.out);
    free(m.oifs);
    store_reader_free(m.rd);
    return rc;
}
