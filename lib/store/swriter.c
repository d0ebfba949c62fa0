/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: ingest phase C: each bucket turns its events into stream files.
 *
 * A stream's packets are buffered as PCAP records (or, once its packets
 * mix link types, pcapng blocks) in chunked buffers. When the stream ends,
 * its whole file is written with one writev into the bucket's pack, or into
 * a file of its own with --layout files. A stream that grows past the pack
 * threshold, or the largest one when the bucket passes its memcap share,
 * is spilled: its file is created and later packets are appended in pieces.
 * Files other than packs are open only while being written, so descriptors
 * are bounded by the bucket count.
 *
 * Format changes of a stream (µs -> ns timestamps when a nanosecond packet
 * joins, PCAP -> pcapng when another link type joins) convert what is
 * buffered, or rewrite what is already on disk.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "base/cur.h"
#include "base/fsutil.h"
#include "base/limits.h"
#include "base/xalloc.h"
#include "pcapw.h"
#include "split_int.h"
#include "store_int.h"

#define IOV_BATCH 256

static uint32_t out_snaplen(uint32_t snaplen)
{
    return snaplen == 0 ? LIM_PACKET_MAX : snaplen;
}

static void live_link(struct bucket *b, struct sstream *s)
{
    s->aprev = NULL;
    s->anext = b->live;
    if (b->live)
        b->live->aprev = s;
    b->live = s;
}

static void live_unlink(struct bucket *b, struct sstream *s)
{
    if (s->aprev)
        s->aprev->anext = s->anext;
    else if (b->live == s)
        b->live = s->anext;
    if (s->anext)
        s->anext->aprev = s->aprev;
    s->aprev = s->anext = NULL;
}

/* The file header of the stream as it stands (PCAP header or pcapng SHB). */
static size_t stream_header(const struct sstream *s, uint8_t hdr[32])
{
    if (s->fmt == SF_PCAPNG) {
        pcapw_ng_shb(hdr);
        return PCAPW_SHB_LEN;
    }
    pcapw_file_header(hdr, s->linktype, out_snaplen(s->snaplen), s->prec);
    return PCAPW_HDR_LEN;
}

int swr_open_out(const char *path, bool create, struct diag *d)
{
    int flags = O_WRONLY | O_CLOEXEC | (create ? O_CREAT | O_EXCL : O_APPEND);
    int fd = open(path, flags, 0644);

    if (fd < 0 && create && errno == ENOENT) {
        /* streams/xx/ directories are made on first use */
        char *dir = xstrdup(path), *slash = strrchr(dir, '/');

        if (slash) {
            *slash = '\0';
            if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
                int e = errno;

                free(dir);
                return diag_errno(d, SV_EIO, e, "%s: mkdir", path);
            }
        }
        free(dir);
        fd = open(path, flags, 0644);
    }
    if (fd < 0)
        return diag_errno(d, SV_EIO, errno, "%s: %s", path, create ? "create" : "open");
    return fd;
}

/* Writes an optional header and the buffer's chunks to fd. */
static int write_cbuf(int fd, const void *hdr, size_t hl, const struct cbuf *data,
                      const char *name, struct diag *d)
{
    struct iovec iov[IOV_BATCH];
    const struct chunk *k = data->head;
    int n = 0, rc;

    if (hl > 0)
        iov[n++] = (struct iovec){ (void *)(uintptr_t)hdr, hl };
    for (;;) {
        while (k && n < IOV_BATCH) {
            if (k->len > 0)
                iov[n++] = (struct iovec){ (void *)(uintptr_t)k->data, k->len };
            k = k->next;
        }
        if (n == 0)
            return 0;
        rc = fs_writev_all(fd, iov, n, name, d);
        if (rc < 0 || !k)
            return rc;
        n = 0;
    }
}

static int write_file(const char *path, bool create, const void *hdr, size_t hl,
                      const struct cbuf *data, struct diag *d)
{
    int fd = swr_open_out(path, create, d), rc;

    if (fd < 0)
        return fd;
    rc = write_cbuf(fd, hdr, hl, data, path, d);
    if (close(fd) < 0 && rc == 0)
        rc = diag_errno(d, SV_EIO, errno, "%s: close", path);
    return rc;
}

static char *stream_file_path(struct split *sp, const struct sstream *s)
{
    if (s == sp->other)
        return fs_join(sp->node_dir, STORE_OTHER);
    return store_stream_path(sp->node_dir, &s->rec);
}

static void drop_data(struct bucket *b, struct sstream *s)
{
    cbuf_clear(&s->data, b->pool);
}

/* Creates the stream's own file with the header and what is buffered. */
static int spill(struct split *sp, struct bucket *b, struct sstream *s)
{
    uint8_t hdr[32];
    size_t hl = stream_header(s, hdr);
    int rc;

    s->path = stream_file_path(sp, s);
    rc = write_file(s->path, true, hdr, hl, &s->data, &b->d);
    if (rc < 0)
        return rc;
    s->spilled = true;
    s->wflags |= STORE_S_FILE;
    s->hdr_snaplen = s->snaplen;
    s->file_len = hl + s->data.len;
    drop_data(b, s);
    return 0;
}

static int flush(struct bucket *b, struct sstream *s)
{
    int rc;

    if (s->data.len == 0)
        return 0;
    rc = write_file(s->path, false, NULL, 0, &s->data, &b->d);
    if (rc < 0)
        return rc;
    s->file_len += s->data.len;
    drop_data(b, s);
    return 0;
}

static int nomem(struct bucket *b, const struct sstream *s)
{
    return diag_set(&b->d, SV_ENOMEM, "out of memory buffering stream %llu",
                    (unsigned long long)s->rec.id);
}

/*
 * Rewrites a spilled stream's file as PCAP with nanosecond timestamps
 * (to_ng false) or as pcapng, streaming through it in pieces.
 */
static int rewrite_file(struct bucket *b, struct sstream *s, bool to_ng)
{
    char *tmp = fs_printf("%s.conv", s->path);
    struct buf in, out;
    int ifd = -1, ofd = -1, rc;
    uint64_t off = PCAPW_HDR_LEN, total;
    uint8_t hdr[32];

    buf_init(&in, SIZE_MAX);
    buf_init(&out, SIZE_MAX);
    rc = flush(b, s);
    if (rc < 0)
        goto out;
    total = s->file_len;
    ifd = open(s->path, O_RDONLY | O_CLOEXEC);
    if (ifd < 0) {
        rc = diag_errno(&b->d, SV_EIO, errno, "%s: open", s->path);
        goto out;
    }
    ofd = swr_open_out(tmp, true, &b->d);
    if (ofd < 0) {
        rc = ofd;
        goto out;
    }
    if (to_ng) {
        pcapw_ng_shb(hdr);
        rc = buf_append(&out, hdr, PCAPW_SHB_LEN);
        if (rc == 0)
            rc = pcapw_ng_idb(&out, s->linktype, out_snaplen(s->snaplen), s->prec);
    } else {
        pcapw_file_header(hdr, s->linktype, out_snaplen(s->snaplen), 9);
        rc = buf_append(&out, hdr, PCAPW_HDR_LEN);
    }
    if (rc < 0)
        goto out_nomem;
    while (off < total) {
        size_t want = (size_t)(total - off < (1u << 20) ? total - off : (1u << 20));
        size_t used = 0;
        uint8_t *dst = buf_reserve(&in, want);

        if (!dst)
            goto out_nomem;
        rc = fs_pread_all(ifd, dst, want, (off_t)off, s->path, &b->d);
        if (rc < 0)
            goto out;
        in.len += want;
        off += want;
        /* whole records only; a partial one waits for the next piece */
        while (in.len - used >= PCAPW_REC_HDR_LEN &&
               in.len - used >= pcapw_record_len(in.data + used))
            used += pcapw_record_len(in.data + used);
        if (to_ng) {
            rc = pcapw_records_to_ng(in.data, used, s->prec, 0, &out);
            if (rc < 0)
                goto out_nomem;
        } else {
            size_t at = out.len;

            rc = buf_append(&out, in.data, used);
            if (rc < 0)
                goto out_nomem;
            pcapw_records_us_to_ns(out.data + at, used);
        }
        memmove(in.data, in.data + used, in.len - used);
        in.len -= used;
        rc = fs_write_all(ofd, out.data, out.len, tmp, &b->d);
        if (rc < 0)
            goto out;
        buf_reset(&out);
    }
    if (in.len != 0) {
        rc = diag_set(&b->d, SV_EFORMAT, "%s: offset %llu: partial record in our own file",
                      s->path, (unsigned long long)(total - in.len));
        goto out;
    }
    rc = close(ofd);
    ofd = -1;
    if (rc < 0) {
        rc = diag_errno(&b->d, SV_EIO, errno, "%s: close", tmp);
        goto out;
    }
    if (rename(tmp, s->path) < 0) {
        rc = diag_errno(&b->d, SV_EIO, errno, "%s: rename", s->path);
        goto out;
    }
    {
        struct stat st;

        if (stat(s->path, &st) < 0) {
            rc = diag_errno(&b->d, SV_EIO, errno, "%s: stat", s->path);
            goto out;
        }
        s->file_len = (uint64_t)st.st_size;
    }
    rc = 0;
    goto out;
out_nomem:
    rc = diag_set(&b->d, SV_ENOMEM, "%s: out of memory converting the stream file", s->path);
out:
    if (ofd >= 0) {
        close(ofd);
        unlink(tmp);
    }
    if (ifd >= 0)
        close(ifd);
    buf_release(&in);
    buf_release(&out);
    free(tmp);
    return rc;
}

/* The stream's packets so far are PCAP records; from now on it is pcapng. */
static int to_pcapng(struct bucket *b, struct sstream *s)
{
    int rc;

    if (s->spilled) {
        rc = rewrite_file(b, s, true);
        if (rc < 0)
            return rc;
    } else {
        buf_reset(&b->scratch);
        buf_reset(&b->scratch2);
        rc = cbuf_copy_out(&s->data, &b->scratch);
        if (rc == 0)
            rc = pcapw_ng_idb(&b->scratch2, s->linktype, out_snaplen(s->snaplen), s->prec);
        if (rc == 0)
            rc = pcapw_records_to_ng(b->scratch.data, b->scratch.len, s->prec, 0, &b->scratch2);
        if (rc == 0)
            rc = cbuf_assign(&s->data, b->pool, b->scratch2.data, b->scratch2.len);
        if (rc < 0)
            return nomem(b, s);
    }
    s->ifs = xcalloc(1, sizeof *s->ifs);
    s->ifs[0] = (struct sif){ s->linktype, s->snaplen, s->prec };
    s->nifs = 1;
    s->fmt = SF_PCAPNG;
    s->wflags |= STORE_S_PCAPNG;
    return 0;
}

/* Raises a PCAP stream from µs to ns timestamps (a ns packet joined it). */
static int to_ns(struct bucket *b, struct sstream *s)
{
    int rc;

    if (s->spilled) {
        rc = rewrite_file(b, s, false);
        if (rc < 0)
            return rc;
        s->hdr_snaplen = s->snaplen;
    } else {
        /* records never straddle chunks, so each chunk converts on its own */
        for (struct chunk *k = s->data.head; k; k = k->next)
            pcapw_records_us_to_ns(k->data, k->len);
    }
    s->prec = 9;
    return 0;
}

/* The stream's IDB index for this interface, adding an IDB when it is new. */
/*
 * The link-type field of a classic PCAP of ifc's packets: the link type, and
 * the FCS length its frames end with (bit 26, and 16-bit words in bits 28-31,
 * as libpcap writes it). A pcapng IDB takes its low 16 bits only.
 */
static uint32_t link_word(const struct cap_iface *ifc)
{
    return ifc->linktype |
           (ifc->fcs_len ? 0x04000000u | (uint32_t)(ifc->fcs_len / 2) << 28 : 0);
}

static int ng_iface(struct bucket *b, struct sstream *s, const struct cap_iface *ifc,
                    uint32_t *ifid)
{
    uint32_t i, len;
    uint8_t *p;

    for (i = 0; i < s->nifs; i++) {
        if (s->ifs[i].linktype == link_word(ifc) && s->ifs[i].prec == ifc->tsprec &&
            s->ifs[i].snaplen == ifc->snaplen) {
            *ifid = i;
            return 0;
        }
    }
    s->ifs = xrealloc(s->ifs, (s->nifs + 1) * sizeof *s->ifs);
    s->ifs[i] = (struct sif){ link_word(ifc), ifc->snaplen, ifc->tsprec };
    s->nifs++;
    len = pcapw_ng_idb_len(ifc->tsprec);
    p = cbuf_reserve(&s->data, b->pool, len);
    if (p) {
        pcapw_ng_idb_put(p, ifc->linktype, out_snaplen(ifc->snaplen), ifc->tsprec);
        cbuf_commit(&s->data, len);
    }
    *ifid = i;
    return p ? 0 : nomem(b, s);
}

static int append_packet(struct split *sp, struct bucket *b, struct sstream *s,
                         const struct cap_pkt *pk, const struct cap_iface *ifc)
{
    uint8_t *p;
    int rc = 0;

    if (s->npk == 0) {
        s->linktype = link_word(ifc);
        s->snaplen = ifc->snaplen;
        s->prec = ifc->tsprec;
        if (s != sp->other)
            live_link(b, s);
    } else if (s->fmt == SF_PCAP) {
        if (link_word(ifc) != s->linktype) {
            rc = to_pcapng(b, s);
        } else {
            if (ifc->tsprec > s->prec)
                rc = to_ns(b, s);
            if (out_snaplen(ifc->snaplen) > out_snaplen(s->snaplen))
                s->snaplen = ifc->snaplen;
        }
        if (rc < 0)
            return rc;
    }
    s->npk++;
    if (s->fmt == SF_PCAPNG) {
        uint32_t ifid, len = pcapw_ng_epb_len(pk->caplen);

        rc = ng_iface(b, s, ifc, &ifid);
        if (rc < 0)
            return rc;
        p = cbuf_reserve(&s->data, b->pool, len);
        if (!p)
            return nomem(b, s);
        pcapw_ng_epb_put(p, ifid, pk->ts_ns, ifc->tsprec, pk->caplen, pk->origlen, pk->data);
        cbuf_commit(&s->data, len);
    } else {
        size_t len = PCAPW_REC_HDR_LEN + (size_t)pk->caplen;

        p = cbuf_reserve(&s->data, b->pool, len);
        if (!p)
            return nomem(b, s);
        pcapw_record_put(p, pk->ts_ns, pk->caplen, pk->origlen, pk->data, s->prec);
        cbuf_commit(&s->data, len);
    }
    return 0;
}

static int pack_flush(struct bucket *b)
{
    struct pack_gather *g = b->gather;
    int rc;

    if (!g || g->niov == 0)
        return 0;
    rc = fs_writev_all(b->pack_fd, g->iov, (int)g->niov, b->pack_path, &b->d);
    cbuf_clear(&g->held, b->pool);
    g->niov = g->nhdr = 0;
    g->len = 0;
    return rc;
}

/*
 * Gathers a small stream's file (header hdr, then its buffer) for the pack's
 * next write; false if it does not fit what is gathered, or the gathering
 * as a whole. The stream's buffer is taken over (empty afterwards).
 */
static bool pack_gather(struct bucket *b, const uint8_t *hdr, size_t hl, struct sstream *s)
{
    struct pack_gather *g = b->gather;
    int n;

    if (hl + s->data.len > PACKBUF_SIZE - g->len || g->niov >= PACK_GATHER_IOV)
        return false;
    /* the chunks after the header's iovec, if they fit */
    n = cbuf_iov(&s->data, g->iov + g->niov + 1, (int)(PACK_GATHER_IOV - g->niov - 1));
    if (n < 0)
        return false;
    memcpy(g->hdr[g->nhdr], hdr, hl);
    g->iov[g->niov] = (struct iovec){ g->hdr[g->nhdr++], hl };
    g->niov += 1 + (uint32_t)n;
    g->len += hl + s->data.len;
    cbuf_splice(&g->held, &s->data);
    return true;
}

static int pack_open(struct split *sp, struct bucket *b)
{
    uint32_t pack = b->id << 16 | b->pack_seq;

    free(b->pack_path);
    b->pack_path = store_pack_path(sp->node_dir, pack);
    b->pack_fd = swr_open_out(b->pack_path, true, &b->d);
    b->pack_off = 0;
    return b->pack_fd < 0 ? b->pack_fd : 0;
}

/* Patches the snaplen of a spilled PCAP file whose header was written early. */
static int patch_snaplen(struct bucket *b, struct sstream *s)
{
    uint8_t sl[4];
    int fd, rc;

    st_le32(sl, out_snaplen(s->snaplen));
    fd = open(s->path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return diag_errno(&b->d, SV_EIO, errno, "%s: open", s->path);
    rc = fs_pwrite_all(fd, sl, 4, 16, s->path, &b->d);
    if (close(fd) < 0 && rc == 0)
        rc = diag_errno(&b->d, SV_EIO, errno, "%s: close", s->path);
    return rc;
}

static int finish_stream(struct split *sp, struct bucket *b, struct sstream *s)
{
    uint8_t hdr[32];
    size_t hl;
    int rc = 0;

    if (s != sp->other)
        live_unlink(b, s);
    if (s->spilled) {
        rc = flush(b, s);
        if (rc == 0 && s->fmt == SF_PCAP && s->snaplen != s->hdr_snaplen)
            rc = patch_snaplen(b, s);
        s->rec.offset = 0;
        s->rec.length = s->file_len;
    } else if (s == sp->other || sp->o->layout == STORE_LAYOUT_FILES) {
        if (s == sp->other && s->npk == 0) {
            s->linktype = 1;    /* an empty other.pcap: Ethernet by convention */
            s->prec = 6;
        }
        hl = stream_header(s, hdr);
        s->path = stream_file_path(sp, s);
        rc = write_file(s->path, true, hdr, hl, &s->data, &b->d);
        s->wflags |= STORE_S_FILE;
        s->rec.offset = 0;
        s->rec.length = hl + s->data.len;
    } else {
        if (b->pack_fd < 0 || b->pack_off > sp->pack_max) {
            if (b->pack_fd >= 0) {
                rc = pack_flush(b);
                close(b->pack_fd);
                b->pack_fd = -1;
                if (rc < 0)
                    return rc;
                b->pack_seq++;
            }
            rc = pack_open(sp, b);
            if (rc < 0)
                return rc;
        }
        hl = stream_header(s, hdr);
        s->rec.pack = b->id << 16 | b->pack_seq;
        s->rec.offset = b->pack_off;
        s->rec.length = hl + s->data.len;
        b->pack_off += s->rec.length;
        if (!b->gather)
            b->gather = xcalloc(1, sizeof *b->gather);
        /* small streams are gathered so that the pack grows by large writes */
        if (!pack_gather(b, hdr, hl, s)) {
            rc = pack_flush(b);
            if (rc == 0 && !pack_gather(b, hdr, hl, s))
                rc = write_cbuf(b->pack_fd, hdr, hl, &s->data, b->pack_path, &b->d);
        }
    }
    drop_data(b, s);
    s->rec.flags |= s->wflags;
    if (s != sp->other)
        *split_cat(sp, s->rec.id) = s->rec;
    return rc;
}

/* --discard-undissected: the stream leaves only its catalogue record (flagged, no bytes). */
static int discard_stream(struct split *sp, struct bucket *b, struct sstream *s)
{
    int rc = 0;

    live_unlink(b, s);
    if (s->spilled && unlink(s->path) < 0)
        rc = diag_errno(&b->d, SV_EIO, errno, "%s: unlink", s->path);
    drop_data(b, s);
    s->rec.flags |= (s->wflags & ~(uint32_t)STORE_S_FILE) | STORE_S_DISCARDED;
    s->rec.pack = 0;
    s->rec.offset = 0;
    s->rec.length = 0;
    *split_cat(sp, s->rec.id) = s->rec;
    return rc;
}

void swr_stream_clear(struct sstream *s)
{
    cbuf_drop(&s->data);
    dsx_free(s->dsx);
    s->dsx = NULL;
    defrag_free(s->defrag);
    s->defrag = NULL;
    free(s->ifs);
    s->ifs = NULL;
    free(s->path);
    s->path = NULL;
}

/* An IP fragment: reassembled, the datagram's transport header and data go to dissection. */
static void dissect_fragment(struct sstream *s, const struct cap_pkt *pk, const struct pinfo *pi)
{
    const uint8_t *d;
    size_t n, hl;
    uint8_t proto;
    int side;

    if (!s->defrag && !(s->defrag = defrag_new()))
        return;
    /* a later fragment has no ports, so phase A knew no side for it */
    side = dsx_side_of(s->dsx, pi->dec.src);
    defrag_stamp(s->defrag, pk->ts_ns, (uint32_t)(s->npk - 1));
    if (!defrag_add(s->defrag, side, &pi->dec, pk->data, pk->caplen, &d, &n)) {
        /* its bytes are counted with the datagram's, once that is whole */
        dsx_count(s->dsx, side, 0, pk->ts_ns, (uint32_t)(s->npk - 1));
        return;
    }
    /* an IPv6 datagram's extension headers after its fragment header come first */
    hl = dec_skip_ext(pi->dec.frag_proto, d, n, &proto);
    if (hl == n || proto != s->rec.proto)
        return;
    d += hl;
    n -= hl;
    if (s->rec.proto == 6) {
        if (n < 20 || (hl = (size_t)(d[12] >> 4) * 4) < 20 || hl > n)
            return;
        dsx_packet(s->dsx, side, ld_be32(d + 4), d[13], d + hl, n - hl, pk->ts_ns,
                   (uint32_t)(s->npk - 1));
    } else if (n >= 8) {
        dsx_packet(s->dsx, side, 0, 0, d + 8, n - 8, pk->ts_ns, (uint32_t)(s->npk - 1));
    }
}

/* The payload bytes a UDP header (8 bytes at p) says its datagram has. */
static size_t udp_wire(const uint8_t *p)
{
    size_t len = ld_be16(p + 4);

    return len > 8 ? len - 8 : 0;
}

/*
 * The stream ends with datagrams never reassembled: their first fragment's
 * bytes are dissected as they are (UDP; tshark does the same, marking them
 * "unreassembled"), so that a DNS answer cut by the snaplen still pairs.
 */
static void flush_fragment(void *arg, int side, uint8_t first, const uint8_t *p, size_t n,
                           uint64_t ts, uint32_t pkt)
{
    struct sstream *s = arg;
    uint8_t proto;
    size_t hl = dec_skip_ext(first, p, n, &proto);

    if (s->rec.proto == 17 && hl < n && proto == 17 && n - hl >= 8)
        dsx_datagram(s->dsx, side, p + hl + 8, n - hl - 8, udp_wire(p + hl), ts, pkt);
}

/* Hands one packet of a TCP/UDP stream to its dissection (created on the first packet). */
static void dissect_packet(struct split *sp, struct bucket *b, struct sstream *s,
                           const struct cap_pkt *pk, const struct pinfo *pi)
{
    const struct dec_pkt *dp = &pi->dec;

    if (!s->dsx) {
        struct dsx_stream_info si;
        struct dsx_opts o;

        memset(&si, 0, sizeof si);
        si.stream_id = s->rec.id;
        si.l4 = s->rec.proto;
        si.ipver = s->rec.ipver;
        /*
         * The endpoints from the stream's record, not from this packet (a later
         * IP fragment, written before its first one, carries no ports), in the
         * flow key's order; the catalogue's client (SYN sender, else the higher
         * port) is dir 0.
         */
        {
            const struct store_stream *r = &s->rec;
            struct flow_key key;

            si.client_side = (int8_t)flow_key_make(r->ipver, r->proto, r->cli, r->cli_port,
                                                   r->srv, r->srv_port, &key);
            memcpy(si.addr, key.addr, sizeof si.addr);
            si.port[0] = key.port[0];
            si.port[1] = key.port[1];
        }
        memset(&o, 0, sizeof o);
        /* a stream to be discarded gets no summary entry either */
        o.l4_entries = sp->o->l4_entries && !sp->o->discard_undissected;
        o.body_max = (size_t)sp->o->body_max;
        /* the batch's buffer (the other one may be its group's to read): not grown by
         * copies; may fail */
        if (b->sink.out->cap == 0)
            (void)buf_reserve(b->sink.out, ENTBUF_FIRST);
        s->dsx = dsx_new(&si, &o, &b->budget, &b->sink);
        if (!s->dsx) {
            b->sink.dropped++;
            return;
        }
    }
    if (dp->frag) {
        dissect_fragment(s, pk, pi);
        return;
    }
    if (!dp->has_ports || (s->rec.proto == 6 && !dp->has_flags))
        return;
    if (s->rec.proto == 17 && dp->payload_off && pk->caplen < pk->origlen) {
        /* cut by the snaplen: the UDP length says how much, the frame's length at most */
        size_t wire = udp_wire(pk->data + dp->l4_off), most;

        most = dp->payload_len + (size_t)(pk->origlen - pk->caplen);
        dsx_datagram(s->dsx, pi->side, pk->data + dp->payload_off, dp->payload_len,
                     wire < most ? wire : most, pk->ts_ns, (uint32_t)(s->npk - 1));
        return;
    }
    if (s->rec.proto == 6)
        dsx_ack(s->dsx, pi->side, dp->tcp_flags, dp->ack, dp->payload_off ? dp->payload_len : 0);
    dsx_packet(s->dsx, pi->side, dp->seq, dp->tcp_flags,
               dp->payload_off ? pk->data + dp->payload_off : NULL, dp->payload_len, pk->ts_ns,
               (uint32_t)(s->npk - 1));
}

static void run_bucket(struct split *sp, struct bucket *b, int k)
{
    struct evq *q = &b->q[k];
    struct buf *ents = &b->ents[k];

    b->sink.out = ents;
    for (size_t i = 0; i < q->n && b->rc == 0; i++) {
        struct ev *e = &q->v[i];
        size_t had = ents->len;

        /*
         * A stream that ends is written from its chunks' headers, in memory
         * touched last when its packets came: the streams a few events on,
         * then their first chunks, are fetched while this event is done.
         */
        if (i + 8 < q->n)
            __builtin_prefetch(q->v[i + 8].s);
        if (i + 4 < q->n && q->v[i + 4].idx == EV_END)
            __builtin_prefetch(q->v[i + 4].s->data.head);

        if (e->idx == EV_END) {
            bool drop = false;

            if (e->s->dsx) {
                if (e->s->defrag)
                    defrag_flush(e->s->defrag, flush_fragment, e->s);
                dsx_finish(e->s->dsx);
                drop = sp->o->discard_undissected && dsx_undissected(e->s->dsx);
                dsx_free(e->s->dsx);
                e->s->dsx = NULL;
            }
            b->rc = drop ? discard_stream(sp, b, e->s) : finish_stream(sp, b, e->s);
            if (e->s != sp->other) {
                swr_stream_clear(e->s);
                /* its record is in the catalogue: the slab's link may take its first word */
                slab_chain_push(&b->dead, e->s);
            }
        } else if (e->idx == EV_SPILL || e->idx == EV_FLUSH) {
            /* phase B orders one spill, then flushes: either way the buffer goes to the file */
            b->rc = e->s->spilled ? flush(b, e->s) : spill(sp, b, e->s);
        } else {
            b->rc = append_packet(sp, b, e->s, &sp->pkts[k][e->idx], &sp->pi[k][e->idx].ifc);
            if (b->rc == 0 && sp->o->dissect && e->s != sp->other)
                dissect_packet(sp, b, e->s, &sp->pkts[k][e->idx], &sp->pi[k][e->idx]);
        }
        /* which event emitted them orders the entries of the group's buckets */
        if (ents->len > had) {
            xgrow((void **)&b->runs[k], &b->capruns[k], b->nruns[k] + 1, sizeof *b->runs[k]);
            b->runs[k][b->nruns[k]++] = (struct erun){ e->seq, ents->len };
        }
    }
    q->n = 0;
}

/* A task per index group for the entries of batch ix_pending, if one waits. */
static void spawn_groups(struct split *sp)
{
    int p = sp->ix_pending;

    if (p < 0)
        return;
    for (uint32_t i = 0; i < IX_GROUPS; i++) {
        struct ixgroup *g = &sp->g[i];

#pragma omp task firstprivate(g, p, sp)
        swr_index_group(sp, g, p);
    }
    sp->ix_pending = -1;
}

void swr_spawn(struct split *sp, int k)
{
    for (uint32_t t = 0; t < NTASKS; t++) {
        struct bucket *b = &sp->b[t];

        if (b->q[k].n == 0)
            continue;
        /* sp by value: the task may run after this function (and its sp) has returned */
#pragma omp task firstprivate(b, k, sp)
        run_bucket(sp, b, k);
    }
    /* the entries of the batch before, while the buckets write this one (other buffers) */
    spawn_groups(sp);
    sp->ix_pending = sp->o->dissect ? k : -1;
    sp->writing = true;
}

int swr_wait(struct split *sp, struct diag *d)
{
#pragma omp taskwait
    sp->writing = false;
    for (uint32_t t = 0; t < NTASKS; t++)
        slab_free_chain(&sp->streams, &sp->b[t].dead);
    for (uint32_t t = 0; t < NTASKS; t++) {
        if (sp->b[t].rc < 0) {
            *d = sp->b[t].d;
            return sp->b[t].rc;
        }
    }
    for (uint32_t i = 0; i < IX_GROUPS; i++) {
        if (sp->g[i].rc < 0) {
            *d = sp->g[i].d;
            return sp->g[i].rc;
        }
    }
    return 0;
}

int swr_run_buckets(struct split *sp, int k, struct diag *d)
{
    int rc = 0;

#pragma omp parallel
#pragma omp single
    {
        swr_spawn(sp, k);
        rc = swr_wait(sp, d);
        /* and the groups index the entries of this last batch */
        if (rc == 0 && sp->ix_pending >= 0) {
            spawn_groups(sp);
            rc = swr_wait(sp, d);
        }
        sp->ix_pending = -1;
    }
    return rc;
}

int swr_close_packs(struct split *sp, struct diag *d)
{
    int rc = 0;

    for (uint32_t t = 0; t < NTASKS; t++) {
        struct bucket *b = &sp->b[t];
        int r;

        if (b->pack_fd < 0)
            continue;
        r = pack_flush(b);
        if (r < 0 && rc == 0) {
            *d = b->d;
            rc = r;
        }
        if (close(b->pack_fd) < 0 && rc == 0)
            rc = diag_errno(d, SV_EIO, errno, "%s: close", b->pack_path);
        b->pack_fd = -1;
    }
    return rc;
}
