/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: unit tests of the index segments (lib/index): records written
 * and rebuilt byte for byte over several blocks, header maps, arrays,
 * sections kept raw, the caps that end blocks early, bodies compressed in
 * frames, zone maps, scans, corrupt segments rejected, and the formats
 * read.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

#include "base/buf.h"
#include "base/crc32c.h"
#include "base/cur.h"
#include "base/diag.h"
#include "base/fsutil.h"
#include "base/sha256.h"
#include "compress/compress.h"
#include "entry/entry.h"
#include "index/index.h"
#include "index/ix_int.h"
#include "index/ixread_int.h"
#include "index/ixvec.h"
#include "t.h"

static const char *self;      /* this program, for scalar_code */
static char tmpdir[] = "/tmp/sv-test-index-XXXXXX";

/* Record i of a varied set: HTTP-like, DNS-like, Redis-like, empty. */
static void make_entry(struct ent *e, unsigned i)
{
    char s[64];

    ent_reset(e);
    e->f.stream_id = 1 + i / 3;
    e->f.index = i % 3;
    e->f.proto = (uint8_t)(i % 4 == 0   ? ENT_HTTP1
                           : i % 4 == 1 ? ENT_DNS
                           : i % 4 == 2 ? ENT_REDIS
                                        : ENT_TCP);
    e->f.l4 = i % 4 == 1 ? 17 : 6;
    e->f.ipver = 4;
    e->f.flags = ENT_F_REQ | (i % 7 ? ENT_F_RESP : 0);
    e->f.src_ip[0] = 10;
    e->f.src_ip[3] = (uint8_t)(i % 13);
    e->f.dst_ip[0] = 10;
    e->f.dst_ip[3] = (uint8_t)(100 + i % 5);
    e->f.src_port = (uint16_t)(40000 + i % 1000);
    e->f.dst_port = i % 4 == 1 ? 53 : 80;
    e->f.anomalies = i % 11 == 0 ? ENT_A_GAP : 0;
    /* times deliberately out of order: the writer sorts */
    e->f.req_ns = 1700000000000000000ull + (uint64_t)((i * 7919u) % 50000u) * 1000000u;
    e->f.req_end_ns = e->f.req_ns + 5;
    e->f.resp_ns = i % 7 ? e->f.req_ns + 1000 + i : 0;
    e->f.resp_end_ns = e->f.resp_ns;
    e->f.req_size = 100 + i;
    e->f.resp_size = i % 7 ? 200 + i : 0;
    e->f.req_pkt = i % 3;
    e->f.resp_pkt = i % 3 + 1;
    e->f.last_pkt = i % 3 + 2;
    ent_section(e, ENT_REQ);
    switch (i % 4) {
    case 0:
        ent_cstr(e, "method", i % 8 ? "GET" : "POST");
        snprintf(s, sizeof s, "/api/items/%u", i % 97);
        ent_cstr(e, "path", s);
        ent_obj_begin(e, "headers");
        ent_cstr(e, "Host", "catalogue");
        snprintf(s, sizeof s, "req-%u", i);
        ent_cstr(e, "X-Request-Id", s);
        if (i % 3 == 0)
            ent_cstr(e, "authorization", "Token abc");
        ent_obj_end(e);
        ent_obj_begin(e, "queryString");
        ent_obj_end(e);
        ent_u64(e, "bodySize", i);
        ent_bool(e, "chunked", i % 2);
        ent_section(e, ENT_RESP);
        ent_u64(e, "status", i % 9 ? 200 : 503);
        ent_obj_begin(e, "headers");
        ent_cstr(e, "Content-Type", "application/json");
        ent_obj_end(e);
        ent_obj_begin(e, "content");
        ent_cstr(e, "mimeType", "application/json");
        ent_i64(e, "size", -(int64_t)i);
        ent_obj_end(e);
        /* bodies: some repeated, some unique, some binary, some cut */
        snprintf(s, sizeof s, "{\"item\":%u}", i % 50);
        ent_body(e, ENT_RESP, s, strlen(s));
        if (i % 8 == 0) {
            uint8_t bin[300];

            for (unsigned k = 0; k < sizeof bin; k++)
                bin[k] = (uint8_t)(k * i);
            ent_body(e, ENT_REQ, bin, sizeof bin);
            e->f.flags |= ENT_F_REQ_BODY_CUT;
        }
        break;
    case 1:
        ent_arr_begin(e, "questions");
        ent_obj_begin(e, NULL);
        snprintf(s, sizeof s, "svc%u.ns.svc.cluster.local", i % 17);
        ent_cstr(e, "name", s);
        ent_cstr(e, "type", "A");
        ent_obj_end(e);
        ent_arr_end(e);
        ent_section(e, ENT_RESP);
        ent_cstr(e, "rcode", "NOERROR");
        ent_arr_begin(e, "answers");
        for (unsigned k = 0; k < i % 4; k++) {
            ent_obj_begin(e, NULL);
            ent_cstr(e, "data", "10.0.0.1");
            ent_u64(e, "ttl", 30 + k);
            ent_null(e, "extra");
            ent_obj_end(e);
        }
        ent_arr_end(e);
        ent_arr_begin(e, "nested");
        ent_arr_begin(e, NULL);
        ent_u64(e, NULL, i);
        ent_cstr(e, NULL, "x");
        ent_arr_end(e);
        ent_arr_end(e);
        break;
    case 2:
        ent_cstr(e, "command", "GET");
        ent_cstr(e, "key", "");
        /* a "headers" object that is no map (a number in it): shredded as values */
        ent_obj_begin(e, "headers");
        ent_u64(e, "n", i);
        ent_obj_end(e);
        break;
    default:
        break;
    }
}

/* n records made by make (record i of arg), serialized one after the other; *ptrs: each's start. */
static struct buf records_of(unsigned n, void (*make)(struct ent *, unsigned, void *), void *arg,
                             const uint8_t ***ptrs)
{
    struct ent *e = ent_new();
    struct buf b;
    size_t *off = calloc(n, sizeof *off);

    buf_init(&b, SIZE_MAX);
    for (unsigned i = 0; i < n; i++) {
        make(e, i, arg);
        off[i] = b.len;
        if (ent_serialize(e, &b) < 0)
            abort();
    }
    *ptrs = calloc(n, sizeof **ptrs);
    for (unsigned i = 0; i < n; i++)
        (*ptrs)[i] = b.data + off[i];
    free(off);
    ent_free(e);
    return b;
}

static void make_varied(struct ent *e, unsigned i, void *arg)
{
    (void)arg;
    make_entry(e, i);
}

static struct buf records(unsigned n, const uint8_t ***ptrs)
{
    return records_of(n, make_varied, NULL, ptrs);
}

static int cmp_rec(const void *a, const void *b)
{
    const uint8_t *const *x = a, *const *y = b;
    struct ent_view u, v;

    (void)ent_parse(*x, SIZE_MAX, &u);
    (void)ent_parse(*y, SIZE_MAX, &v);
    if (u.f.stream_id != v.f.stream_id)
        return u.f.stream_id < v.f.stream_id ? -1 : 1;
    return (u.f.index > v.f.index) - (u.f.index < v.f.index);
}

static uint32_t rec_len(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Writes recs as a segment, reads it back and checks every record byte for byte. */
static struct ix_seg *write_read(const uint8_t **recs, size_t n, const char *name)
{
    struct comp_block *z = comp_block_new(3);
    char *path = fs_printf("%s/%s", tmpdir, name);
    struct ix_seg_info info;
    struct ix_seg *seg = NULL;
    struct diag d;
    struct buf out;
    const uint8_t **back = calloc(n ? n : 1, sizeof *back), **want;
    size_t nb = 0;
    uint64_t prev = 0;

    diag_clear(&d);
    T_EQ(ix_write_segment(path, "node-a", recs, n, z, &info, &d), 0);
    T_EQ(info.rows, n);
    T_EQ(ix_open(&seg, path, &d), 0);
    if (!seg) {
        fprintf(stderr, "# %s\n", d.msg);
        goto out;
    }
    T_STREQ(ix_node(seg), "node-a");
    T_EQ(ix_info(seg)->blocks, info.blocks);
    buf_init(&out, SIZE_MAX);
    for (uint32_t b = 0; b < info.blocks; b++) {
        uint64_t t0, t1;

        T_EQ(ix_block_records(seg, b, &out, &d), 0);
        ix_block_time(seg, b, &t0, &t1);
        T_TRUE(t0 <= t1 && t0 >= prev);
        prev = t1;
    }
    for (size_t off = 0; off < out.len && nb < n; off += rec_len(out.data + off))
        back[nb++] = out.data + off;
    T_EQ(nb, n);
    want = calloc(n ? n : 1, sizeof *want);
    memcpy(want, recs, n * sizeof *recs);
    qsort(want, n, sizeof *want, cmp_rec);
    qsort(back, nb, sizeof *back, cmp_rec);
    for (size_t i = 0; i < n && i < nb; i++) {
        T_EQ(rec_len(back[i]), rec_len(want[i]));
        if (rec_len(back[i]) == rec_len(want[i]))
            T_MEMEQ(back[i], want[i], rec_len(want[i]));
    }
    free(want);
    buf_release(&out);
out:
    free(back);
    free(path);
    comp_block_free(z);
    return seg;
}

TEST(roundtrip_many_blocks)
{
    const uint8_t **recs;
    struct buf b = records(20000, &recs);
    struct ix_seg *seg = write_read(recs, 20000, "many.svx");

    T_TRUE(seg && ix_info(seg)->blocks == 3);
    T_EQ(ix_block_rows(seg, 0), IX_BLOCK_ROWS);
    ix_close(seg);
    free(recs);
    buf_release(&b);
}

TEST(roundtrip_empty_and_one)
{
    const uint8_t **recs;
    struct buf b = records(1, &recs);
    struct ix_seg *seg = write_read(recs, 1, "one.svx");

    T_TRUE(seg && ix_info(seg)->blocks == 1);
    ix_close(seg);
    seg = write_read(recs, 0, "none.svx");
    T_TRUE(seg && ix_info(seg)->blocks == 0 && ix_info(seg)->rows == 0);
    ix_close(seg);
    free(recs);
    buf_release(&b);
}

TEST(scan_columns)
{
    const uint8_t **recs;
    struct buf b = records(9000, &recs);
    struct ix_seg *seg = write_read(recs, 9000, "scan.svx");
    unsigned get = 0, post = 0, s503 = 0, dns = 0;
    struct diag d;

    diag_clear(&d);
    T_TRUE(seg != NULL);
    if (!seg)
        return;
    T_EQ(ix_col_find(seg, IX_SEC_NONE, "nope"), -1);
    T_EQ(ix_col_find(seg, IX_SEC_REQ, "nope.x"), -1);
    T_TRUE(ix_col_find(seg, IX_SEC_REQ, "questions[].name") >= 0);
    for (uint32_t bl = 0; bl < ix_info(seg)->blocks; bl++) {
        int cols[] = { ix_col_find(seg, IX_SEC_NONE, "proto"),
                       ix_col_find(seg, IX_SEC_REQ, "method"),
                       ix_col_find(seg, IX_SEC_RESP, "status"),
                       ix_col_find(seg, IX_SEC_REQ, "questions[].name") };
        const uint64_t *proto;

        T_EQ(ix_block_load(seg, bl, cols, 4, &d), 0);
        proto = ix_col_u64(seg, cols[0]);
        T_TRUE(proto != NULL);
        for (uint32_t r = 0; proto && r < ix_block_rows(seg, bl); r++) {
            const uint8_t *p;
            size_t n;
            uint64_t num;

            if (ix_leaf_first(seg, cols[1], r, &p, &n, &num) && p) {
                T_EQ(proto[r], ENT_HTTP1);
                get += n == 3 && memcmp(p, "GET", 3) == 0;
                post += n == 4 && memcmp(p, "POST", 4) == 0;
            }
            if (ix_leaf_first(seg, cols[2], r, &p, &n, &num) && !p)
                s503 += num == 503;
            if (ix_leaf_first(seg, cols[3], r, &p, &n, &num)) {
                T_EQ(proto[r], ENT_DNS);
                dns++;
            }
        }
    }
    /* i % 4 == 0: HTTP; of those i % 8 == 0 POST; status 503 when i % 9 == 0 too */
    T_EQ(get + post, 2250);
    T_EQ(post, 1125);
    T_EQ(s503, 250);
    T_EQ(dns, 2250);
    ix_close(seg);
    free(recs);
    buf_release(&b);
}

/*
 * What a query plan reads: what the shapes hold at a path (a leaf, a header map,
 * nothing, something else), the rows' header maps, zone maps, and the records of
 * chosen rows only, equal to those of the whole block.
 */
TEST(plan_reads)
{
    const uint8_t **recs;
    struct buf b = records(9000, &recs), all, some;
    struct ix_seg *seg = write_read(recs, 9000, "plan.svx");
    unsigned token = 0, at[IX_AT_OTHER + 1] = { 0 }, chosen = 0, same = 0, zones = 0;
    struct diag d;

    diag_clear(&d);
    buf_init(&all, SIZE_MAX);
    buf_init(&some, SIZE_MAX);
    T_TRUE(seg != NULL);
    if (!seg)
        return;
    for (uint32_t bl = 0; bl < ix_info(seg)->blocks; bl++) {
        int shape = ix_col_find(seg, IX_SEC_REQ, "$shape"), method = ix_col_find(seg, IX_SEC_REQ,
                                                                                   "method");
        int hdr = ix_col_find(seg, IX_SEC_REQ, "headers"), n = ix_col_find(seg, IX_SEC_REQ,
                                                                          "headers.n");
        int port = ix_col_find(seg, IX_SEC_NONE, "dst_port");
        int cols[] = { shape, method, hdr, n, port };
        const char *k_method[] = { "method" }, *k_Method[] = { "Method" },
                   *k_auth[] = { "headers", "Authorization" }, *k_n[] = { "headers", "n" },
                   *k_chunked[] = { "chunked" };
        const size_t l_method[] = { 6 }, l_auth[] = { 7, 13 }, l_n[] = { 7, 1 },
                     l_chunked[] = { 7 };
        const uint64_t *codes;
        struct ix_map_rows mr;
        uint8_t sel[IX_BLOCK_ROWS];
        uint64_t lo, hi;
        uint32_t rows = ix_block_rows(seg, bl);
        size_t off;

        T_TRUE(ix_block_zone(seg, bl, port, &lo, &hi));
        zones += lo == 53 && hi == 80;
        T_EQ(ix_block_load(seg, bl, cols, 5, &d), 0);
        codes = ix_col_codes(seg, shape);
        T_TRUE(codes != NULL && ix_map_rows(seg, hdr, &mr));
        for (uint32_t r = 0; codes && r < rows; r++) {
            int c, c2;
            enum ix_at a = ix_shape_at(seg, IX_SEC_REQ, codes[r], k_method, l_method, 1, &c);

            at[a]++;
            if (a == IX_AT_STR)
                T_EQ(c, method);
            T_EQ(ix_shape_at(seg, IX_SEC_REQ, codes[r], k_Method, l_method, 1, &c2),
                 a == IX_AT_STR ? IX_AT_OTHER : a);
            if (ix_shape_at(seg, IX_SEC_REQ, codes[r], k_auth, l_auth, 2, &c2) == IX_AT_MAP) {
                const uint8_t *p;
                size_t pn;

                T_EQ(c2, hdr);
                T_TRUE(mr.map[r] >= 0);
                for (uint64_t k = 0; mr.map[r] >= 0 && k < mr.pairs[mr.map[r]]; k++) {
                    uint64_t pair = mr.first[mr.map[r]] + k;

                    ix_header_name(seg, mr.name[pair], &p, &pn);
                    if (pn == 13 && memcmp(p, "authorization", 13) == 0) {
                        ix_dict_str(seg, hdr, mr.value[pair], &p, &pn);
                        token += pn == 9 && memcmp(p, "Token abc", 9) == 0;
                    }
                }
            }
            if (ix_shape_at(seg, IX_SEC_REQ, codes[r], k_n, l_n, 2, &c2) == IX_AT_U64)
                T_EQ(c2, n);
            if (a == IX_AT_STR)
                T_EQ(ix_shape_at(seg, IX_SEC_REQ, codes[r], k_chunked, l_chunked, 1, &c2),
                     IX_AT_OTHER);
            sel[r] = r % 3 == 1;
        }
        /* the chosen rows' records are the whole block's, byte for byte */
        all.len = some.len = 0;
        T_EQ(ix_block_records_nobody(seg, bl, &all, &d), 0);
        T_EQ(ix_block_records_sel(seg, bl, sel, false, &some, &d), 0);
        off = 0;
        for (uint32_t r = 0, o = 0; r < rows && off <= all.len; r++) {
            uint32_t len = rec_len(all.data + off);

            if (sel[r]) {
                chosen++;
                same += o + len <= some.len && memcmp(all.data + off, some.data + o, len) == 0;
                o += len;
            }
            off += len;
        }
    }
    /* i % 4 == 0: HTTP (method); authorization when i % 3 == 0 too */
    T_EQ(at[IX_AT_STR], 2250);
    T_EQ(at[IX_AT_NONE], 6750);
    T_EQ(token, 750);
    T_EQ(same, chosen);
    T_TRUE(chosen > 2900);
    T_EQ(zones, ix_info(seg)->blocks);
    ix_close(seg);
    buf_release(&all);
    buf_release(&some);
    free(recs);
    buf_release(&b);
}

/* Sections with more paths than a segment holds columns stay raw and still round-trip. */
TEST(column_cap_keeps_sections_raw)
{
    enum { N = 600 };
    struct ent *e = ent_new();
    struct buf b;
    const uint8_t *recs[N];
    size_t off[N];

    buf_init(&b, SIZE_MAX);
    for (unsigned i = 0; i < N; i++) {
        char key[32];

        ent_reset(e);
        e->f.stream_id = i + 1;
        e->f.req_ns = 1000 + i;
        ent_section(e, ENT_REQ);
        for (unsigned k = 0; k < 10; k++) {
            snprintf(key, sizeof key, "k%u", i * 10 + k);
            ent_u64(e, key, k);
        }
        off[i] = b.len;
        if (ent_serialize(e, &b) < 0)
            abort();
    }
    for (unsigned i = 0; i < N; i++)
        recs[i] = b.data + off[i];
    ix_close(write_read(recs, N, "cap.svx"));
    ent_free(e);
    buf_release(&b);
}

/* Rows with many values end blocks before IX_BLOCK_ROWS. */
TEST(value_cap_ends_blocks)
{
    enum { N = 300 };
    struct ent *e = ent_new();
    struct buf b;
    const uint8_t *recs[N];
    size_t off[N];
    struct ix_seg *seg;

    buf_init(&b, SIZE_MAX);
    for (unsigned i = 0; i < N; i++) {
        ent_reset(e);
        e->f.stream_id = i + 1;
        e->f.req_ns = 1000 + i;
        ent_section(e, ENT_REQ);
        ent_arr_begin(e, "v");
        for (unsigned k = 0; k < 30000; k++)
            ent_u64(e, NULL, k & 1);
        ent_arr_end(e);
        off[i] = b.len;
        if (ent_serialize(e, &b) < 0)
            abort();
    }
    for (unsigned i = 0; i < N; i++)
        recs[i] = b.data + off[i];
    seg = write_read(recs, N, "values.svx");
    T_TRUE(seg && ix_info(seg)->blocks >= 3);
    ix_close(seg);
    ent_free(e);
    buf_release(&b);
}

/* The bytes (*n of them) of a segment of records(rows) written as tmpdir/name. */
static uint8_t *segment_file(unsigned rows, const char *name, size_t *n)
{
    const uint8_t **recs;
    struct buf b = records(rows, &recs);
    char *path = fs_printf("%s/%s", tmpdir, name);
    struct comp_block *z = comp_block_new(3);
    struct ix_seg_info info;
    struct diag d;
    uint8_t *file = NULL;

    diag_clear(&d);
    T_EQ(ix_write_segment(path, "n", recs, rows, z, &info, &d), 0);
    T_EQ(fs_read_file(path, 1 << 24, &file, n, &d), 0);
    free(path);
    comp_block_free(z);
    free(recs);
    buf_release(&b);
    return file;
}

TEST(corrupt_segments_rejected)
{
    struct buf out;
    struct ix_seg *seg;
    struct diag d;
    size_t n, missed = 0;
    uint8_t *file = segment_file(50, "small.svx", &n);

    buf_init(&out, SIZE_MAX);
    /* every byte, each changed two ways; also every cut */
    for (size_t i = 0; i < n; i++) {
        for (int m = 0; m < 2; m++) {
            int rc;

            file[i] ^= m ? 0xff : 0x01;
            rc = ix_open_mem(&seg, "small.svx", file, n, &d);
            for (uint32_t bl = 0; rc == 0 && bl < ix_info(seg)->blocks; bl++)
                rc = ix_block_records(seg, bl, &out, &d);
            if (rc == 0)
                missed++;
            else if (!strstr(d.msg, "small.svx: offset "))
                T_FAIL_("error does not name segment and offset: %s", d.msg);
            ix_close(seg);
            file[i] ^= m ? 0xff : 0x01;
        }
        T_TRUE(ix_open_mem(&seg, "small.svx", file, i, &d) < 0);
    }
    T_EQ(missed, 0);
    T_EQ(ix_open_mem(&seg, "small.svx", "SVIDX\0\0\2", 8, &d), SV_EFORMAT);
    T_STREQ(d.msg, "small.svx: offset 0: corrupt index segment: not an index segment (bad magic)");
    free(file);
    buf_release(&out);
}

/* Changes byte at of the file at path (read into *file, n bytes) and writes it back. */
static void flip_on_disk(const char *path, uint8_t *file, size_t n, size_t at)
{
    struct diag d;

    file[at] ^= 0x01;
    T_EQ(fs_write_file_atomic(path, file, n, &d), 0);
    file[at] ^= 0x01;
}

/* Reads block 0 of path with ix_open_buf, without and with the bodies: 0 or the error. */
static int read_block0(const char *path, struct ix_filebuf *fb, bool bodies, struct diag *d)
{
    struct ix_seg *seg;
    struct buf out;
    int rc;

    buf_init(&out, SIZE_MAX);
    rc = ix_open_buf(&seg, path, fb, d);
    if (rc == 0)
        rc = ix_block_records_nobody(seg, 0, &out, d);
    if (rc == 0 && bodies)
        rc = ix_block_records(seg, 0, &out, d);
    ix_close(seg);
    buf_release(&out);
    return rc;
}

TEST(chunks_checked_when_read)
{
    const uint8_t **recs;
    struct buf b = records(50, &recs);
    char *path = fs_printf("%s/chunks.svx", tmpdir);
    struct comp_block *z = comp_block_new(3);
    struct ix_filebuf fb = { 0 };
    struct ix_seg_info info;
    struct ix_seg *seg;
    struct diag d;
    uint8_t *file;
    size_t n, body = 0, stream = 0;
    char want[64];

    diag_clear(&d);
    T_EQ(ix_write_segment(path, "n", recs, 50, z, &info, &d), 0);
    T_EQ(fs_read_file(path, 1 << 24, &file, &n, &d), 0);
    T_EQ(ix_open_mem(&seg, path, file, n, &d), 0);
    for (size_t c = 0; c < seg->blk[0].nch; c++) {
        if (seg->blk[0].ch[c].col == IXC_RESP_BODY)
            body = seg->blk[0].ch[c].dict_off;
        if (seg->blk[0].ch[c].col == IXC_STREAM)
            stream = seg->blk[0].ch[c].dict_off;
    }
    ix_close(seg);
    T_TRUE(body > 0 && stream > 0);
    T_EQ(read_block0(path, &fb, true, &d), 0);
    /* a changed body: a query without bodies never reads it, one with them fails */
    flip_on_disk(path, file, n, body);
    T_EQ(read_block0(path, &fb, false, &d), 0);
    T_EQ(read_block0(path, &fb, true, &d), SV_EFORMAT);
    snprintf(want, sizeof want, "chunks.svx: offset %zu: ", body);
    T_TRUE(strstr(d.msg, want) != NULL);
    T_TRUE(strstr(d.msg, "column chunk checksum mismatch") != NULL);
    /* a changed column every read needs */
    flip_on_disk(path, file, n, stream);
    T_EQ(read_block0(path, &fb, false, &d), SV_EFORMAT);
    snprintf(want, sizeof want, "chunks.svx: offset %zu: ", stream);
    T_TRUE(strstr(d.msg, want) != NULL);
    /* the footer is read at open */
    flip_on_disk(path, file, n, n - 5);
    T_EQ(read_block0(path, &fb, false, &d), SV_EFORMAT);
    T_TRUE(strstr(d.msg, "footer checksum mismatch") != NULL);
    ix_filebuf_release(&fb);
    free(file);
    free(path);
    comp_block_free(z);
    free(recs);
    buf_release(&b);
}

/* Bodies for make_bodied: len bytes each, text that compresses or random bytes. */
struct bodies {
    size_t len;
    bool random;
    uint8_t *body;
    uint64_t x;
};

static void make_bodied(struct ent *e, unsigned i, void *arg)
{
    struct bodies *bs = arg;

    for (size_t k = 0; k < bs->len; k++) {
        bs->x ^= bs->x << 13;
        bs->x ^= bs->x >> 7;
        bs->x ^= bs->x << 17;
        bs->body[k] = bs->random ? (uint8_t)bs->x
                                 : (uint8_t)"{\"item\": 0123456789}\n"[(k + i) % 21];
    }
    ent_reset(e);
    e->f.stream_id = i + 1;
    e->f.proto = ENT_HTTP1;
    e->f.flags = ENT_F_REQ | ENT_F_RESP;
    e->f.req_ns = 1000000 + i;
    e->f.resp_ns = 2000000 + i;
    ent_section(e, ENT_REQ);
    ent_cstr(e, "method", "GET");
    ent_section(e, ENT_RESP);
    ent_u64(e, "status", 200);
    ent_body(e, ENT_RESP, bs->body, bs->len);
}

/* n records, each with a response body of len bytes: text that compresses, or random bytes. */
static struct buf body_records(unsigned n, size_t len, bool random, const uint8_t ***ptrs)
{
    struct bodies bs = { len, random, malloc(len), 0x9e3779b97f4a7c15ull };
    struct buf b = records_of(n, make_bodied, &bs, ptrs);

    free(bs.body);
    return b;
}

/* The raw length of the response body chunk of block bl. */
static size_t body_chunk_raw(const struct ix_seg *seg, uint32_t bl)
{
    const struct rblock *k = &seg->blk[bl];

    for (size_t c = 0; c < k->nch; c++) {
        if (k->ch[c].col == IXC_RESP_BODY)
            return k->ch[c].data_raw;
    }
    return 0;
}

/*
 * Bodies are compressed as they come, in frames of IX_BODY_FRAME bytes:
 * they end a block at IX_BLOCK_BODY_RAW bytes, or at IX_BLOCK_BYTES as the
 * writer holds them (compressed), and read back byte for byte.
 */
/* n records with 100,000-byte bodies, written and read back (write_read). */
static struct ix_seg *framed_seg(unsigned n, bool random, const char *name)
{
    const uint8_t **recs;
    struct buf b = body_records(n, 100000, random, &recs);
    struct ix_seg *seg = write_read(recs, n, name);

    free(recs);
    buf_release(&b);
    return seg;
}

TEST(bodies_framed)
{
    /* 6 MB of text: one block (not cut at 4 MB before compression), its bodies framed */
    struct ix_seg *seg = framed_seg(60, false, "framed.svx");

    T_TRUE(seg && ix_info(seg)->blocks == 1);
    if (seg)
        T_TRUE(body_chunk_raw(seg, 0) > 5 * IX_BODY_FRAME);
    ix_close(seg);
    /* 20 MB of text: cut at IX_BLOCK_BODY_RAW */
    seg = framed_seg(200, false, "framed-raw.svx");
    T_TRUE(seg && ix_info(seg)->blocks == 2);
    if (seg) {
        T_EQ(ix_block_rows(seg, 0), IX_BLOCK_BODY_RAW / 100000);
        T_TRUE(body_chunk_raw(seg, 0) <= IX_BLOCK_BODY_RAW + 1024);
    }
    ix_close(seg);
    /* 6 MB of random bytes: cut at IX_BLOCK_BYTES held */
    seg = framed_seg(60, true, "framed-random.svx");
    T_TRUE(seg && ix_info(seg)->blocks == 2);
    if (seg)
        T_TRUE(ix_block_rows(seg, 0) <= IX_BLOCK_BYTES / 100000);
    ix_close(seg);
}

/* A part of several frames reads back only when each says its size and they add up. */
TEST(unpack_frames)
{
    static const char text[] = "one frame, then another frame, then another one";
    struct comp_block *z = comp_block_new(1);
    ZSTD_CCtx *cc = ZSTD_createCCtx();
    uint8_t packed[512], out[64];
    size_t n1, n2, n3;

    n1 = comp_block_pack(z, packed, sizeof packed, text, 10);
    n2 = comp_block_pack(z, packed + n1, sizeof packed - n1, text + 10, sizeof text - 10);
    T_TRUE(n1 > 0 && n2 > 0);
    T_EQ(comp_block_unpack(z, out, sizeof text, packed, n1 + n2), 0);
    T_MEMEQ(out, text, sizeof text);
    T_EQ(comp_block_unpack(z, out, sizeof text - 1, packed, n1 + n2), SV_EFORMAT);
    T_EQ(comp_block_unpack(z, out, sizeof text + 1, packed, n1 + n2), SV_EFORMAT);
    T_EQ(comp_block_unpack(z, out, sizeof text, packed, n1 + n2 - 1), SV_EFORMAT);
    T_EQ(comp_block_unpack(z, out, 0, packed, 0), SV_EFORMAT);
    /* a frame that does not say its size */
    (void)ZSTD_CCtx_setParameter(cc, ZSTD_c_contentSizeFlag, 0);
    n3 = ZSTD_compress2(cc, packed + n1, sizeof packed - n1, text + 10, sizeof text - 10);
    T_TRUE(!ZSTD_isError(n3));
    T_EQ(comp_block_unpack(z, out, sizeof text, packed, n1 + n3), SV_EFORMAT);
    ZSTD_freeCCtx(cc);
    comp_block_free(z);
}

/*
 * Formats IX_VERSION_MIN to IX_VERSION are read; others are refused, naming
 * the format. (A format-4 segment called format 3 has packet numbers coded
 * as times, which format 3 did not: its catalogue is refused.)
 */
TEST(format_versions)
{
    struct ix_seg *seg;
    struct diag d;
    size_t n;
    uint8_t *file = segment_file(20, "version.svx", &n);

    T_EQ(ld_le32(file + 8), IX_VERSION);
    for (uint32_t v = 1; v <= IX_VERSION + 1; v++) {
        int rc;

        st_le32(file + 8, v);
        st_le32(file + 60, crc32c(0, file, 60));
        rc = ix_open_mem(&seg, "version.svx", file, n, &d);
        if (v == IX_VERSION || v == 4) {
            /* format 4 has format 5's catalogue: only its time columns are read otherwise */
            T_EQ(rc, 0);
        } else if (v == 3) {
            T_EQ(rc, SV_EFORMAT);
            if (!strstr(d.msg, "the fixed columns are not the expected ones"))
                T_FAIL_("format 3: %s", d.msg);
        } else {
            char want[128];

            snprintf(want, sizeof want,
                     "version.svx: offset 8: index format %u, this build reads 3 to 5: re-ingest",
                     v);
            T_EQ(rc, SV_EFORMAT);
            T_STREQ(d.msg, want);
        }
        ix_close(seg);
    }
    free(file);
}

/*
 * Names for ix_writer_name and ix_rename, after the ports: the client is
 * called after its (1,000 different) ports, the server after its own, and
 * every client's namespace is "clients".
 */
static void name_by_port(void *arg, const struct ix_ends *e, const char **nm, uint8_t *nl)
{
    static char buf[65536][8];

    (void)arg;
    for (int k = 0; k < ENT_NAMES; k++) {
        nm[k] = "";
        nl[k] = 0;
    }
    snprintf(buf[e->dst_port], sizeof buf[e->dst_port], "p%u", e->dst_port);
    snprintf(buf[e->src_port], sizeof buf[e->src_port], "p%u", e->src_port);
    nm[ENT_NM_DST + ENT_NM_NAME] = buf[e->dst_port];
    nl[ENT_NM_DST + ENT_NM_NAME] = (uint8_t)strlen(buf[e->dst_port]);
    nm[ENT_NM_SRC + ENT_NM_NAME] = buf[e->src_port];
    nl[ENT_NM_SRC + ENT_NM_NAME] = (uint8_t)strlen(buf[e->src_port]);
    nm[ENT_NM_SRC + ENT_NM_NS] = "clients";
    nl[ENT_NM_SRC + ENT_NM_NS] = 7;
}

/* The row's names are name_by_port's for its own ports. */
static bool named_by_port(const struct ent_view *v)
{
    char want[2][8];

    snprintf(want[0], sizeof want[0], "p%u", v->f.src_port);
    snprintf(want[1], sizeof want[1], "p%u", v->f.dst_port);
    return v->nmlen[ENT_NM_SRC + ENT_NM_NAME] == strlen(want[0]) &&
           memcmp(v->nm[ENT_NM_SRC + ENT_NM_NAME], want[0], strlen(want[0])) == 0 &&
           v->nmlen[ENT_NM_DST + ENT_NM_NAME] == strlen(want[1]) &&
           memcmp(v->nm[ENT_NM_DST + ENT_NM_NAME], want[1], strlen(want[1])) == 0 &&
           v->nmlen[ENT_NM_SRC + ENT_NM_NS] == 7 &&
           memcmp(v->nm[ENT_NM_SRC + ENT_NM_NS], "clients", 7) == 0;
}

/* Every record of segment path, rebuilt, one after the other. */
static struct buf segment_records(const char *path)
{
    struct ix_seg *seg = NULL;
    struct diag d;
    struct buf out;

    buf_init(&out, SIZE_MAX);
    T_EQ(ix_open(&seg, path, &d), 0);
    for (uint32_t b = 0; seg && b < ix_info(seg)->blocks; b++)
        T_EQ(ix_block_records(seg, b, &out, &d), 0);
    ix_close(seg);
    return out;
}

/*
 * Rows named by ix_writer_name before their block is written read back as
 * ix_rename would have named them; it says whether it named every row of
 * the segment (no block written before).
 */
TEST(writer_names_open_block)
{
    for (unsigned n = 100; n <= IX_BLOCK_ROWS + 100; n += IX_BLOCK_ROWS) {
        const uint8_t **recs;
        struct buf b = records(n, &recs), early, late;
        char *a = fs_printf("%s/named-%u.svx", tmpdir, n);
        char *r = fs_printf("%s/renamed-%u.svx", tmpdir, n);
        struct comp_block *z = comp_block_new(1);
        struct ix_seg_info info;
        struct ix_writer *x;
        struct diag d;
        bool changed;
        size_t named = 0;

        diag_clear(&d);
        /* the records of one writer in the order given, named when closed */
        x = ix_writer_new(a, "n", z, &d);
        for (unsigned i = 0; x && i < n; i++) {
            struct ent_view v;

            T_TRUE(ent_parse(recs[i], SIZE_MAX, &v) > 0);
            T_EQ(ix_writer_add(x, &v, &d), 0);
        }
        T_EQ(ix_writer_name(x, name_by_port, NULL), n <= IX_BLOCK_ROWS);
        T_EQ(ix_writer_close(x, &info, &d), 0);
        /* the same records unnamed, then renamed */
        x = ix_writer_new(r, "n", z, &d);
        for (unsigned i = 0; x && i < n; i++) {
            struct ent_view v;

            (void)ent_parse(recs[i], SIZE_MAX, &v);
            T_EQ(ix_writer_add(x, &v, &d), 0);
        }
        T_EQ(ix_writer_close(x, &info, &d), 0);
        T_EQ(ix_rename(r, NULL, name_by_port, NULL, z, &changed, &info, &d), 0);
        T_TRUE(changed);
        early = segment_records(a);
        late = segment_records(r);
        /* one block: named as ix_rename names it; more: the last block's rows only */
        if (n <= IX_BLOCK_ROWS) {
            T_TRUE(early.len > 0 && early.len == late.len);
            if (early.len == late.len)
                T_MEMEQ(early.data, late.data, early.len);
        }
        for (size_t off = 0; off < early.len; off += rec_len(early.data + off)) {
            struct ent_view v;

            /* every named row has its own names (more kinds than the reader's cache holds) */
            if (ent_parse(early.data + off, early.len - off, &v) > 0 && named_by_port(&v))
                named++;
        }
        T_EQ(named, n <= IX_BLOCK_ROWS ? n : n - IX_BLOCK_ROWS);
        buf_release(&early);
        buf_release(&late);
        comp_block_free(z);
        free(a);
        free(r);
        free(recs);
        buf_release(&b);
    }
}

/* A format-3 segment (a fuzz seed, written by an earlier build) reads: every record whole. */
TEST(reads_format_3)
{
    const char *top = getenv("top_srcdir");
    char *path = fs_printf("%s/testdata/fuzz/index/gencap_named.svx", top ? top : "..");
    struct ix_seg *seg = NULL;
    struct diag d;
    struct buf out;
    size_t nrec = 0;

    buf_init(&out, SIZE_MAX);
    T_EQ(ix_open(&seg, path, &d), 0);
    if (seg) {
        T_EQ(seg->version, 3);
        for (uint32_t b = 0; b < ix_info(seg)->blocks; b++)
            T_EQ(ix_block_records(seg, b, &out, &d), 0);
        for (size_t off = 0; off < out.len; off += rec_len(out.data + off)) {
            struct ent_view v;

            T_TRUE(ent_parse(out.data + off, out.len - off, &v) > 0);
            T_TRUE(v.f.resp_pkt == 0 || v.f.resp_pkt >= v.f.req_pkt);
            nrec++;
        }
        T_EQ(nrec, ix_info(seg)->rows);
        T_TRUE(nrec > 0);
    }
    ix_close(seg);
    buf_release(&out);
    free(path);
}

/*
 * A format-4 segment (its time columns coded without a unit) rebuilds the
 * very records it did when format 4 was current: the SHA-256 of all its
 * records, measured with that build (c184337).
 */
static void check_records_digest(const char *file, const char *want)
{
    const char *top = getenv("top_srcdir");
    char *path = fs_printf("%s/testdata/fuzz/index/%s", top ? top : "..", file);
    struct ix_seg *seg = NULL;
    struct diag d;
    struct buf out;
    char hex[SHA256_HEX];

    buf_init(&out, SIZE_MAX);
    T_EQ(ix_open(&seg, path, &d), 0);
    if (seg) {
        T_EQ(seg->version, 4);
        for (uint32_t b = 0; b < ix_info(seg)->blocks; b++)
            T_EQ(ix_block_records(seg, b, &out, &d), 0);
        sha256_text(out.data, out.len, hex);
        if (strcmp(hex, want) != 0)
            T_FAIL_("%s: records %zu bytes, sha256 %s", file, out.len, hex);
    }
    ix_close(seg);
    buf_release(&out);
    free(path);
}

TEST(reads_format_4)
{
    check_records_digest("v4_ws_grpc_person_search.svx",
                         "0b20653253762a826a6f62241656e425eefe7be7cdf6c83a68d76393cb31ce32");
    check_records_digest("v4_zeek_http_pipelined-requests.svx",
                         "e09aaf6e26a1a369e17a8f22912a1dfad3fe2aa8f5d38aabb058025ef400d8cc");
    check_records_digest("v4_tcpdump_dns_tcp.svx",
                         "e99511006f1a56289977a35194e84c95552d0468313e3f374f4aaa70af6c6e12");
}

/*
 * Segments read one after the other on one ix_filebuf (as a query's thread
 * reads them) take over the closed one's decoding state: each still reads
 * back exactly as when opened alone, whatever columns, blocks or format the
 * one before had, and a corrupt segment in between changes nothing.
 */
TEST(filebuf_reuses_state)
{
    const uint8_t **r1, **r2;
    struct buf b1 = records(20000, &r1), b2 = body_records(300, 5000, false, &r2);
    struct comp_block *z = comp_block_new(3);
    const char *top = getenv("top_srcdir");
    char *path[4] = { fs_printf("%s/reuse_many.svx", tmpdir),
                      fs_printf("%s/reuse_body.svx", tmpdir),
                      fs_printf("%s/testdata/fuzz/index/gencap_named.svx", top ? top : ".."),
                      fs_printf("%s/reuse_bad.svx", tmpdir) };
    static const int order[] = { 0, 1, 3, 2, 0, 2, 1, 1 };
    struct ix_filebuf fb = { NULL, 0, NULL };
    struct ix_seg_info info;
    struct buf want[3];
    uint8_t *file;
    size_t n;
    struct diag d;

    diag_clear(&d);
    T_EQ(ix_write_segment(path[0], "n", r1, 20000, z, &info, &d), 0);
    T_EQ(info.blocks, 3);
    T_EQ(ix_write_segment(path[1], "n", r2, 300, z, &info, &d), 0);
    /* the third: a checksum fault in its first chunk, found at the first block load */
    T_EQ(fs_read_file(path[0], 1 << 26, &file, &n, &d), 0);
    flip_on_disk(path[3], file, n, IX_HDR_LEN + 1);
    free(file);
    for (int i = 0; i < 3; i++)
        want[i] = segment_records(path[i]);
    for (size_t k = 0; k < sizeof order / sizeof *order; k++) {
        struct ix_spare *spare = fb.spare;
        struct ix_seg *seg = NULL;
        struct buf out;
        int rc, i = order[k];

        buf_init(&out, SIZE_MAX);
        rc = ix_open_buf(&seg, path[i], &fb, &d);
        T_EQ(rc, 0);
        /* the state of the segment closed before is this one's now */
        T_TRUE(k == 0 || (spare && seg && fb.spare == NULL && seg->lc != NULL));
        for (uint32_t b = 0; seg && b < ix_info(seg)->blocks && rc == 0; b++)
            rc = ix_block_records(seg, b, &out, &d);
        if (i == 3) {
            T_EQ(rc, SV_EFORMAT);
            T_TRUE(strstr(d.msg, "column chunk checksum mismatch") != NULL);
        } else {
            T_EQ(rc, 0);
            T_EQ(out.len, want[i].len);
            if (out.len == want[i].len)
                T_MEMEQ(out.data, want[i].data, out.len);
        }
        ix_close(seg);
        T_TRUE(fb.spare != NULL);
        buf_release(&out);
    }
    ix_filebuf_release(&fb);
    T_TRUE(fb.spare == NULL && fb.p == NULL);
    for (int i = 0; i < 4; i++) {
        if (i < 3)
            buf_release(&want[i]);
        free(path[i]);
    }
    comp_block_free(z);
    free(r1);
    free(r2);
    buf_release(&b1);
    buf_release(&b2);
}

/*
 * Packed arrays of every width read back exactly, with their largest value
 * (which the reader checks codes by), at lengths around the 8-byte loads.
 */
TEST(packed_widths)
{
    static const size_t lens[] = { 0, 1, 7, 8, 9, 63, 64, 65, 1000 };
    uint64_t v[1000], back[1000], x = 0x9e3779b97f4a7c15ull;
    unsigned bad = 0;

    for (unsigned w = 0; w <= 64; w++) {
        for (size_t li = 0; li < sizeof lens / sizeof *lens; li++) {
            size_t n = lens[li];
            uint64_t base = w < 64 ? 1000 : 0, mask = w == 64 ? UINT64_MAX : (1ull << w) - 1;
            uint64_t top = 0;
            struct ixv b = { 0 };
            struct ixr r;

            for (size_t i = 0; i < n; i++) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                /* the first value the widest, so that the array takes exactly w bits */
                v[i] = base + (i == 0 ? mask : x & mask);
                top = v[i] > top ? v[i] : top;
            }
            ixv_packed(&b, v, n);
            ixr_init(&r, b.p, b.n);
            if (!ixr_packed(&r, back, n) || r.p != r.end || memcmp(v, back, n * sizeof *v) != 0 ||
                (n > 0 && r.hi != top))
                bad++;
            /* one byte short: refused, never read past */
            if (n > 0 && w > 0) {
                ixr_init(&r, b.p, b.n - 1);
                bad += ixr_packed(&r, back, n);
            }
            ixv_free(&b);
        }
    }
    T_EQ(bad, 0);
}

/* Encodes v (against req, base) and decodes it back: the unit, or 0 when it did not round trip. */
static uint64_t time_roundtrip(const uint64_t *v, const uint64_t *req, size_t n, uint64_t base,
                               uint64_t *coded)
{
    uint64_t back[16], unit;

    memcpy(back, v, n * sizeof *v);
    unit = ix_time_encode(back, req, n, base);
    memcpy(coded, back, n * sizeof *v);
    ix_time_decode(back, req, n, base, unit);
    return memcmp(back, v, n * sizeof *v) == 0 ? unit : 0;
}

TEST(time_units)
{
    /* microsecond times, out of order: coded in microseconds */
    static const uint64_t us[] = { 1700000000000000000ull, 0, 1700000000000001000ull,
                                   1699999999999000000ull, 1700000000000001000ull };
    /* differences of 1,000 and 1,001 ns: unit 1 */
    static const uint64_t ns[] = { 1700000000000000000ull, 1700000000000001000ull,
                                   1700000000000002001ull };
    /* against references, around the wrap of 64 bits (any values round trip) */
    static const uint64_t req[] = { 6, 0, UINT64_MAX - 9, 40 };
    static const uint64_t far[] = { UINT64_MAX - 3, 8, 4, 10 };
    static const uint64_t same[] = { 42, 42, 0, 42 };
    uint64_t coded[16];

    T_EQ(time_roundtrip(us, NULL, 5, us[0], coded), 1000);
    /* zigzag(0) + 1, none, zigzag(1) + 1, zigzag(-1,001) + 1, zigzag(1,001) + 1 */
    T_EQ(coded[0], 1);
    T_EQ(coded[1], 0);
    T_EQ(coded[2], 3);
    T_EQ(coded[3], 2002);
    T_EQ(coded[4], 2003);
    T_EQ(time_roundtrip(ns, NULL, 3, ns[0], coded), 1);
    T_EQ(coded[2], 2002 + 1);
    T_EQ(time_roundtrip(far, req, 4, 6, coded), 2);
    /* -5, +1, +7, -15 units of 2 */
    T_EQ(coded[0], 10);
    T_EQ(coded[1], 3);
    T_EQ(coded[2], 15);
    T_EQ(coded[3], 30);
    T_EQ(time_roundtrip(same, NULL, 4, 42, coded), 1);
    T_EQ(coded[3], 1);
}

/*
 * Longer blocks of times, which the AVX-512 code decodes eight rows at a
 * time: rows without a time and without a reference in some groups, all set
 * in others, round trip; and a time that decodes to 0 is not the next
 * reference (hand-made codes: that needs a difference back to 0).
 */
TEST(time_lanes)
{
    uint64_t v[100], req[100], back[100], x = 0x2545f4914f6cdd1dull, unit;
    uint64_t zero[16], want[16];
    unsigned bad = 0;

    for (int pass = 0; pass < 4; pass++) {
        for (size_t i = 0; i < 100; i++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            req[i] = 1700000000000000000ull + i * 1000000 + (x % 5000) * 1000;
            v[i] = req[i] + (x >> 20) % 90000 * 1000;
            /* rows 0-7 and 16-23 all set; elsewhere some without a time or a reference */
            if (((i >= 8 && i < 16) || i >= 24) && x % 7 == 0)
                v[i] = 0;
            if (((i >= 8 && i < 16) || i >= 24) && x % 11 == 0)
                req[i] = 0;
        }
        memcpy(back, v, sizeof v);
        unit = ix_time_encode(back, pass & 1 ? req : NULL, 100, 1700000000000000000ull);
        ix_time_decode(back, pass & 1 ? req : NULL, 100, 1700000000000000000ull, unit);
        bad += memcmp(back, v, sizeof v) != 0;
    }
    T_EQ(bad, 0);
    for (size_t i = 0; i < 16; i++) {
        zero[i] = 3;            /* zigzag(+1) + 1 */
        want[i] = i < 10 ? 101 + i : i == 10 ? 0 : 100 + i;
    }
    zero[10] = 2 * 110 - 1 + 1; /* zigzag(-110) + 1: 110 - 110 */
    ix_time_decode(zero, NULL, 16, 100, 1);
    T_EQ(memcmp(zero, want, sizeof want), 0);
}

/*
 * Where this CPU runs the AVX-512 code of lib/index/ixvec.c, every case
 * passes with the scalar code too, and without VBMI's (SV_SIMD=0 and 1;
 * children, so that each starts from its environment).
 */
TEST(scalar_code)
{
    for (int level = 0; level <= 1 && self && !getenv("SV_SIMD"); level++) {
        char *cmd = fs_printf("SV_SIMD=%d '%s' >/dev/null", level, self);

        T_EQ(system(cmd), 0);
        free(cmd);
    }
}

int main(int argc, char **argv)
{
    static const struct t_case cases[] = {
        T_CASE(roundtrip_many_blocks),   T_CASE(roundtrip_empty_and_one),
        T_CASE(scan_columns),            T_CASE(plan_reads), T_CASE(column_cap_keeps_sections_raw),
        T_CASE(value_cap_ends_blocks),   T_CASE(corrupt_segments_rejected),
        T_CASE(chunks_checked_when_read), T_CASE(bodies_framed), T_CASE(unpack_frames),
        T_CASE(format_versions), T_CASE(reads_format_3), T_CASE(reads_format_4),
        T_CASE(writer_names_open_block),
        T_CASE(filebuf_reuses_state), T_CASE(packed_widths), T_CASE(time_units),
        T_CASE(time_lanes), T_CASE(scalar_code),
    };
    int rc;
    char *cmd;

    self = argc > 0 ? argv[0] : NULL;
    if (!mkdtemp(tmpdir))
        return 99;
    rc = t_run(cases, sizeof cases / sizeof *cases);
    cmd = fs_printf("rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        rc = 1;
    free(cmd);
    return rc;
}
