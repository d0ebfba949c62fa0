#!/usr/bin/env python3
# svfmt.py: an independent reader of a streamvault store, written from
# docs/FORMAT.md alone, to check that the document is complete. Usage:
#   svfmt.py cat STORE          check every nodes/*/streams.cat (header,
#                               checksum, records) and every stream file it
#                               locates in packs/ or streams/ (a valid PCAP or
#                               pcapng whose packets/bytes match); prints one
#                               JSON object per stream
#   svfmt.py seg SEGMENT.svx    check a segment's header, footer, chunk CRCs
#                               and zone maps, decode the fixed and name
#                               columns and $shape; prints one JSON row per line
#   svfmt.py compare STORE      both, compared with `streamvault streams --json`
#                               and `streamvault query STORE '' --format ndjson`
#                               (set SV to the binary; default build/streamvault)
# Standard library only; zstd frames are decompressed with the zstd command.
# Not run by `make check`.
import json, os, struct, subprocess, sys

M64 = (1 << 64) - 1
STATS = dict(packs=0, dict_z=0, data_z=0, body_frames=0, raw_shapes=0, empty_shapes=0)


def fail(path, off, msg):
    raise SystemExit("%s: offset %d: %s" % (path, off, msg))


# ---- hashes ---------------------------------------------------------------
def hash_mix(h):
    h ^= h >> 33
    h = (h * 0xff51afd7ed558ccd) & M64
    h ^= h >> 33
    h = (h * 0xc4ceb9fe1a85ec53) & M64
    h ^= h >> 33
    return h


def hash_words(b, seed):
    h = seed ^ ((len(b) * 0x9e3779b97f4a7c15) & M64)
    for i in range(0, len(b) - 7, 8):
        w = struct.unpack_from("<Q", b, i)[0]
        h = ((h ^ hash_mix((w + 0x9e3779b97f4a7c15) & M64)) * 0x100000001b3) & M64
        h = ((h << 27) | (h >> 37)) & M64
    return hash_mix(h)


SEED = 0x5354524d5641554c
_T = []
for n in range(256):
    c = n
    for _ in range(8):
        c = (c >> 1) ^ (0x82f63b78 if c & 1 else 0)
    _T.append(c)


def crc32c(b):
    c = 0xffffffff
    for x in b:
        c = _T[(c ^ x) & 0xff] ^ (c >> 8)
    return c ^ 0xffffffff


# ---- PCAP -----------------------------------------------------------------
def pcap_count(b, where):
    if len(b) < 24:
        fail(where, 0, "short pcap")
    magic = struct.unpack_from("<I", b)[0]
    if magic == 0x0A0D0D0A:
        return pcapng_count(b, where)
    if magic not in (0xa1b2c3d4, 0xa1b23c4d):
        fail(where, 0, "bad pcap magic %08x" % magic)
    vmaj, vmin = struct.unpack_from("<HH", b, 4)
    if (vmaj, vmin) != (2, 4):
        fail(where, 4, "version %d.%d" % (vmaj, vmin))
    off, n, cap = 24, 0, 0
    while off < len(b):
        if off + 16 > len(b):
            fail(where, off, "truncated record header")
        _, _, il, ol = struct.unpack_from("<IIII", b, off)
        off += 16 + il
        if off > len(b):
            fail(where, off, "truncated packet")
        n += 1
        cap += il
    return n, cap, "pcap"


def pcapng_count(b, where):
    off, n, cap = 0, 0, 0
    while off < len(b):
        t, ln = struct.unpack_from("<II", b, off)
        if ln < 12 or off + ln > len(b) or struct.unpack_from("<I", b, off + ln - 4)[0] != ln:
            fail(where, off, "bad pcapng block")
        if t == 6:
            il = struct.unpack_from("<I", b, off + 20)[0]
            n += 1
            cap += il
        off += ln
    return n, cap, "pcapng"


# ---- streams.cat ----------------------------------------------------------
def read_cat(store):
    out = []
    for node in sorted(os.listdir(os.path.join(store, "nodes"))):
        nd = os.path.join(store, "nodes", node)
        path = os.path.join(nd, "streams.cat")
        b = open(path, "rb").read()
        if b[:8] != b"SVCAT\0\0\1":
            fail(path, 0, "magic")
        ver, rs, cnt, ck = struct.unpack_from("<IIQQ", b, 8)
        if ver != 1 or rs != 128:
            fail(path, 8, "version/size")
        if any(b[32:64]):
            fail(path, 32, "header padding not zero")
        if len(b) != 64 + 128 * cnt:
            fail(path, 16, "count %d vs size %d" % (cnt, len(b)))
        h = 0
        for i in range(0, cnt, 8192):
            m = min(8192, cnt - i)
            h = hash_words(b[64 + 128 * i: 64 + 128 * (i + m)], h ^ SEED)
        if h != ck:
            fail(path, 24, "checksum %016x, computed %016x" % (ck, h))
        packs = {}
        for i in range(cnt):
            o = 64 + 128 * i
            (sid, t0, t1, pk, by, poff, plen, fl, an, pack, cp, sp, proto, ipv) = \
                struct.unpack_from("<QQQQQQQIIIHHBB", b, o)
            if sid != i + 1:
                fail(path, o, "id %d at record %d" % (sid, i))
            if any(b[o + 74:o + 80]) or any(b[o + 112:o + 128]):
                fail(path, o, "nonzero padding")
            if proto not in (6, 17) or ipv not in (4, 6):
                fail(path, o + 72, "proto/ipver")
            al = 4 if ipv == 4 else 16
            if any(b[o + 80 + al:o + 96]) or any(b[o + 96 + al:o + 112]):
                fail(path, o + 80, "address padding")
            name = "%012d%s.pcap" % (sid, "_udp" if proto == 17 else "")
            if fl & 16:
                if poff != 0:
                    fail(path, o + 40, "own file with offset")
                fp = os.path.join(nd, "streams", "%02x" % (sid % 256), name)
                data = open(fp, "rb").read()
                if len(data) != plen:
                    fail(fp, 0, "length %d, catalogue %d" % (len(data), plen))
                stored = "file"
            else:
                fp = os.path.join(nd, "packs", "%02x-%04d.pack" % (pack >> 16, pack & 0xffff))
                if fp not in packs:
                    packs[fp] = open(fp, "rb").read()
                data = packs[fp][poff:poff + plen]
                if len(data) != plen:
                    fail(fp, poff, "stream %d past the end" % sid)
                stored = "pack"
            n, cap, fmt = pcap_count(data, "%s@%d" % (fp, poff))
            if n != pk or cap != by:
                fail(fp, poff, "stream %d: %d pkts/%d bytes, catalogue %d/%d" % (sid, n, cap, pk, by))
            if (fmt == "pcapng") != bool(fl & 8):
                fail(fp, poff, "stream %d format %s vs flag" % (sid, fmt))
            out.append(dict(node=node, id=sid, first_ns=t0, last_ns=t1, packets=pk, bytes=by,
                            file_bytes=plen, format=fmt, stored=stored, client_port=cp,
                            server_port=sp, proto=proto, ipver=ipv, flags=fl, anomalies=an))
        # a pack is its streams' files back to back, nothing else
        spans = {}
        for i in range(cnt):
            o = 64 + 128 * i
            fl, pack = struct.unpack_from("<I", b, o + 56)[0], struct.unpack_from("<I", b, o + 64)[0]
            if not fl & 16:
                spans.setdefault(pack, []).append(struct.unpack_from("<QQ", b, o + 40))
        for pack, sp in spans.items():
            fp = os.path.join(nd, "packs", "%02x-%04d.pack" % (pack >> 16, pack & 0xffff))
            end = 0
            for off, ln in sorted(sp):
                if off != end:
                    fail(fp, end, "gap or overlap before a stream at %d" % off)
                end = off + ln
            if end != len(packs[fp]):
                fail(fp, end, "bytes after the last stream")
        STATS["packs"] += len(spans)
    return out


# ---- segments -------------------------------------------------------------
class Cur:
    def __init__(self, b, off=0, path="?"):
        self.b, self.o, self.path = b, off, path

    def v(self):
        r, s = 0, 0
        while True:
            x = self.b[self.o]
            self.o += 1
            r |= (x & 0x7f) << s
            s += 7
            if not x & 0x80:
                return r

    def byte(self):
        self.o += 1
        return self.b[self.o - 1]

    def take(self, n):
        if self.o + n > len(self.b):
            fail(self.path, self.o, "short read of %d" % n)
        self.o += n
        return self.b[self.o - n:self.o]

    def s(self):
        return self.take(self.v())

    def U(self, n):
        w = self.byte()
        base = self.v()
        if w > 64:
            fail(self.path, self.o, "width %d" % w)
        nb = (n * w + 7) // 8
        raw = int.from_bytes(self.take(nb), "little")
        mask = (1 << w) - 1
        return [base + ((raw >> (i * w)) & mask) for i in range(n)]


def zstd_d(data):
    return subprocess.run(["zstd", "-dc"], input=data, stdout=subprocess.PIPE, check=True).stdout


def unzig(z):
    return (z >> 1) ^ -(z & 1)


FIXED = ("stream index proto l4 ipver flags anomalies src_port dst_port req_ns req_end_ns "
         "resp_ns resp_end_ns req_size resp_size req_pkt resp_pkt last_pkt src_ip dst_ip").split()


def read_seg(path, full=True):
    b = open(path, "rb").read()
    if b[:8] != b"SVIDX\0\0\1":
        fail(path, 0, "magic")
    ver, flags, rows, t0, t1, foff, flen, nblk, z, crc = struct.unpack_from("<IIQQQQIIII", b, 8)
    if crc32c(b[:60]) != crc:
        fail(path, 60, "header crc")
    if ver not in (3, 4, 5) or flags or z:
        fail(path, 8, "version %d flags %d" % (ver, flags))
    if foff + flen != len(b):
        fail(path, 40, "footer does not end the file")
    fb = b[foff:foff + flen]
    if crc32c(fb[:-4]) != struct.unpack_from("<I", fb, flen - 4)[0]:
        fail(path, foff + flen - 4, "footer crc")
    c = Cur(fb, 0, path)
    node = c.s().decode()
    cols = []
    for _ in range(c.v()):
        kind = c.byte()
        sec = c.byte()
        cols.append((kind, sec, bytes(c.s())))
    names = [bytes(c.s()) for _ in range(c.v())]
    blocks = []
    pos = 64
    for bi in range(nblk):
        br = c.v()
        zmin, zmax = c.v(), c.v()
        blen = c.v()
        chunks = []
        cpos = pos
        for _ in range(c.v()):
            col = c.v()
            fl = c.byte()
            ds, dr, xs, xr = c.v(), c.v(), c.v(), c.v()
            mn, mx = c.v(), c.v()
            ccrc = struct.unpack_from("<I", c.take(4))[0]
            chunks.append(dict(col=col, fl=fl, ds=ds, dr=dr, xs=xs, xr=xr, mn=mn, mx=mx,
                               crc=ccrc, off=cpos))
            cpos += ds + xs
        if cpos != pos + blen:
            fail(path, pos, "block %d: chunks %d bytes, block %d" % (bi, cpos - pos, blen))
        blocks.append(dict(rows=br, zmin=zmin, zmax=zmax, off=pos, len=blen, chunks=chunks))
        pos += blen
    if c.o != flen - 4:
        fail(path, foff + c.o, "footer has %d bytes left" % (flen - 4 - c.o))
    if pos != foff:
        fail(path, pos, "blocks end at %d, footer at %d" % (pos, foff))
    if sum(bl["rows"] for bl in blocks) != rows:
        fail(path, 16, "rows")
    STATS["v%d" % ver] = STATS.get("v%d" % ver, 0) + 1
    seg = dict(node=node, ver=ver, rows=rows, t0=t0, t1=t1, cols=cols, names=names, blocks=blocks)
    if not full:
        return seg
    out = []
    for bl in blocks:
        out.extend(decode_block(path, b, seg, bl))
    if out:
        rt = [r["req_ns"] or r["resp_ns"] for r in out]
        if min(rt) != t0 or max(rt) != t1:
            fail(path, 24, "header times %d..%d, rows %d..%d" % (t0, t1, min(rt), max(rt)))
    return seg, out


def part(path, b, off, stored, raw, compressed):
    d = b[off:off + stored]
    if compressed:
        d = zstd_d(d)
    if len(d) != raw:
        fail(path, off, "part raw %d, got %d" % (raw, len(d)))
    return d


def decode_block(path, b, seg, bl):
    n = bl["rows"]
    cols = seg["cols"]
    vals = {}
    for ch in bl["chunks"]:
        if crc32c(b[ch["off"]:ch["off"] + ch["ds"] + ch["xs"]]) != ch["crc"]:
            fail(path, ch["off"], "chunk crc")
        kind, sec, name = cols[ch["col"]]
        name = name.decode("latin1") if ch["col"] < 36 else name
        dic = part(path, b, ch["off"], ch["ds"], ch["dr"], ch["fl"] & 1)
        dat = b[ch["off"] + ch["ds"]:ch["off"] + ch["ds"] + ch["xs"]]
        STATS["dict_z"] += bool(ch["fl"] & 1)
        STATS["data_z"] += bool(ch["fl"] & 2)
        if ch["fl"] & 2:
            STATS["body_frames"] += kind == 7 and dat.count(b"\x28\xb5\x2f\xfd") > 1
            dat = zstd_d(dat)  # a body's may be several frames: zstd -d concatenates
        if len(dat) != ch["xr"]:
            fail(path, ch["off"], "data raw %d got %d" % (ch["xr"], len(dat)))
        dc = Cur(dat, 0, path)
        if kind == 1:
            v = dc.U(n)
        elif kind == 2:
            base = dc.v()
            unit = dc.v() if seg["ver"] >= 5 else 1
            if unit == 0:
                fail(path, ch["off"], "time unit 0")
            v = ("time", base, unit, dc.U(n))
        elif kind == 3:
            cc = Cur(dic, 0, path)
            d = [bytes(cc.s()) for _ in range(cc.v())]
            codes = dc.U(n)
            v = [d[x] for x in codes]
        elif kind == 4:
            cc = Cur(dic, 0, path)
            d = [bytes(cc.s()) for _ in range(cc.v())]
            sc = [d[x] for x in dc.U(dc.v())]
            nums = dc.U(dc.v())
            v = (sc, nums)
        elif kind == 5:
            cc = Cur(dic, 0, path)
            d = [bytes(cc.s()) for _ in range(cc.v())]
            pc = dc.U(dc.v())
            np_ = dc.v()
            nc = dc.U(np_)
            vc = dc.U(np_)
            pairs = [(seg["names"][a], d[b_]) for a, b_ in zip(nc, vc)]
            v, k = [], 0
            for c_ in pc:
                v.append(pairs[k:k + c_])
                k += c_
            if k != np_:
                fail(path, ch["off"], "map pairs")
        elif kind in (6, 7):
            cnt = dc.v()
            if kind == 7 and cnt != n:
                fail(path, ch["off"], "body count %d rows %d" % (cnt, n))
            v = []
            for ln in dc.U(cnt):
                v.append(bytes(dc.take(ln)))
        else:
            fail(path, ch["off"], "kind %d" % kind)
        if dc.o != len(dat):
            fail(path, ch["off"], "col %s: %d data bytes left" % (name, len(dat) - dc.o))
        # zone map of numbers
        if kind == 1 and v and (min(v), max(v)) != (ch["mn"], ch["mx"]):
            fail(path, ch["off"], "zone map %s: %d..%d, values %d..%d" % (name, ch["mn"], ch["mx"], min(v), max(v)))
        vals[name if ch["col"] < 36 else ch["col"]] = (kind, v, ch)
    # times
    def time_col(nm, ref):
        kind, (tag, base, unit, codes), ch = vals[nm]
        res, last = [], base
        for i in range(n):
            r = ref(i, res)
            if r:
                last = r
            else:
                r = last
            x = codes[i]
            res.append(0 if x == 0 else (r + unzig(x - 1) * unit) & M64)
        return res

    rows = [dict() for _ in range(n)]
    for nm in FIXED[:9] + ["req_size", "resp_size", "req_pkt"]:
        if nm in vals:
            for i, x in enumerate(vals[nm][1]):
                rows[i][nm] = x
    req = time_col("req_ns", lambda i, res: res[i - 1] if i else 0)
    # references of the others: row's request time; last non-zero of earlier
    for i in range(n):
        rows[i]["req_ns"] = req[i]
    resp = time_col("resp_ns", lambda i, res: req[i])
    reqe = time_col("req_end_ns", lambda i, res: req[i])
    respe = time_col("resp_end_ns", lambda i, res: resp[i])
    for i in range(n):
        rows[i]["resp_ns"], rows[i]["req_end_ns"], rows[i]["resp_end_ns"] = resp[i], reqe[i], respe[i]
    for nm in ("resp_pkt", "last_pkt"):
        if seg["ver"] >= 4:
            p = time_col(nm, lambda i, res: rows[i]["req_pkt"])
        else:
            p = vals[nm][1]
        for i in range(n):
            rows[i][nm] = p[i]
    for nm in ("req_ns", "req_end_ns", "resp_ns", "resp_end_ns", "resp_pkt", "last_pkt"):
        ch = vals[nm][2]
        nz = [r[nm] for r in rows if r[nm] or nm.endswith("pkt")]
        if nz and (min(nz), max(nz)) != (ch["mn"], ch["mx"]):
            fail(path, ch["off"], "zone map %s" % nm)
    rt = [r["req_ns"] or r["resp_ns"] for r in rows]
    if bl["zmin"] != min(rt) or bl["zmax"] != max(rt):
        fail(path, bl["off"], "block zone map %d..%d, rows %d..%d" % (bl["zmin"], bl["zmax"], min(rt), max(rt)))
    for ci, (kind, sec, nm) in enumerate(cols[:36]):
        nm = nm.decode()
        if kind == 3 and nm != "$shape":
            got = vals.get(nm)
            for i in range(n):
                rows[i][nm] = got[1][i] if got else b""
        if kind == 7:
            got = vals.get(nm)
            for i in range(n):
                rows[i][nm] = got[1][i] if got else b""
    # sections, rebuilt from the shapes
    byid = {}
    for ch in bl["chunks"]:
        kind = cols[ch["col"]][0]
        if kind == 4:
            sc, nums = vals[ch["col"]][1]
            byid[ch["col"]] = [iter(sc), iter(nums)]
        elif kind in (5, 6):
            byid[ch["col"]] = iter(vals[ch["col"] if ch["col"] >= 36 else cols[ch["col"]][2].decode()][1])
    shp = [c_ for c_ in bl["chunks"] if cols[c_["col"]][2] == b"$shape"]
    for sec_i, name in ((0, "request"), (1, "response")):
        col = [c_ for c_ in shp if cols[c_["col"]][1] == sec_i]
        rawcol = [i for i, c_ in enumerate(cols) if c_[2] == b"$raw" and c_[1] == sec_i][0]
        if not col:
            for r in rows:
                r[name] = None
            continue
        sh = decode_shapes(path, b, bl, col[0])
        for i in range(n):
            rows[i][name] = rebuild(path, sh[i], byid, rawcol)
    return rows


def decode_shapes(path, b, bl, ch):
    dic = part(path, b, ch["off"], ch["ds"], ch["dr"], ch["fl"] & 1)
    dat = part(path, b, ch["off"] + ch["ds"], ch["xs"], ch["xr"], ch["fl"] & 2)
    cc = Cur(dic, 0, path)
    d = [bytes(cc.s()) for _ in range(cc.v())]
    return [d[x] for x in Cur(dat, 0, path).U(bl["rows"])]


def rebuild(path, shape, byid, rawcol):
    """A section's members (a dict) from its shape and the columns' values."""
    if shape == b"":
        STATS["empty_shapes"] += 1
        return None
    if shape == b"\x21":
        STATS["raw_shapes"] += 1
        return {"$raw": next(byid[rawcol]).hex()}
    c = Cur(shape, 0, path)

    def value(tag):
        if tag == 1 or tag == 2:
            out = {} if tag == 1 else []
            while True:
                t = c.byte()
                if t == 0:
                    return out
                if tag == 1:
                    k = bytes(c.take(c.byte())).decode("utf-8", "replace")
                    out[k] = value(t) if t != 0x20 else mapval()
                else:
                    out.append(value(t))
        if tag == 3:
            return next(byid[c.v()][0]).decode("utf-8", "replace")
        if tag == 4:
            return next(byid[c.v()][1])
        if tag == 5:
            return unzig(next(byid[c.v()][1]))
        return {6: False, 7: True, 8: None}[tag]

    def mapval():
        # a map's pairs may repeat a name: joined with ", " as query's JSON does
        out = {}
        for k, v in next(byid[c.v()]):
            k, v = k.decode("latin1"), v.decode("utf-8", "replace")
            out[k] = out[k] + ", " + v if k in out else v
        return out

    out = {}
    while c.o < len(shape):
        t = c.byte()
        if t == 0:
            break
        k = bytes(c.take(c.byte())).decode("utf-8", "replace")
        out[k] = mapval() if t == 0x20 else value(t)
    if c.o != len(shape):
        fail(path, 0, "shape has %d bytes left" % (len(shape) - c.o))
    return out


def main():
    cmd, arg = sys.argv[1], sys.argv[2]
    if cmd == "cat":
        for r in read_cat(arg):
            print(json.dumps(r))
    elif cmd == "seg":
        seg, rows = read_seg(arg)
        for r in rows:
            print(json.dumps({k: (v.hex() if isinstance(v, bytes) else v) for k, v in r.items()}))
    elif cmd == "compare":
        compare(arg)


def compare(store):
    sv = os.environ.get("SV", "build/streamvault")
    mine = read_cat(store)
    theirs = json.loads(subprocess.run([sv, "streams", store, "--json"], stdout=subprocess.PIPE,
                                       check=True).stdout)
    assert len(mine) == len(theirs), (len(mine), len(theirs))
    for a, t in zip(mine, theirs):
        for k in ("node", "id", "first_ns", "last_ns", "packets", "bytes", "file_bytes", "format", "stored"):
            if a[k] != t[k] and not (k == "stored" and t[k] in ("file", "own")):
                raise SystemExit("stream %s/%d: %s %r vs %r" % (a["node"], a["id"], k, a[k], t[k]))
        if (a["client_port"], a["server_port"]) != (t["client"]["port"], t["server"]["port"]):
            raise SystemExit("ports %d" % a["id"])
    print("catalogue: %d streams agree, %d packs tiled exactly" % (len(mine), STATS["packs"]))
    manifest = json.load(open(os.path.join(store, "store.json")))
    rows = []
    for s in manifest["segments"]:
        p = os.path.join(store, "index", s["name"], "entries.svx")
        seg, r = read_seg(p)
        if (seg["rows"], len(seg["blocks"]), os.path.getsize(p), seg["t0"], seg["t1"]) != \
                (s["rows"], s["blocks"], s["bytes"], s["first_ns"], s["last_ns"]):
            raise SystemExit("%s: does not match store.json" % p)
        for x in r:
            x["node"] = seg["node"]
        rows.extend(r)
    q = subprocess.run([sv, "query", store, "", "--format", "ndjson"], stdout=subprocess.PIPE,
                       check=True).stdout.decode().splitlines()
    q = [json.loads(l) for l in q]
    key = lambda node, st, ix: (node, st, ix)
    mine = {key(x["node"], x["stream"], x["index"]): x for x in rows}
    assert len(mine) == len(rows) == len(q), (len(mine), len(rows), len(q))
    bad = 0
    checked = [0]
    missing = set()
    for e in q:
        node, rest = e["id"].split("/")
        st, ix = map(int, rest.split("-"))
        x = mine[key(node, st, ix)]
        t = e.get("times", {})
        exp = dict(req_ns=t.get("request", 0), req_end_ns=t.get("requestEnd", 0),
                   resp_ns=t.get("response", 0), resp_end_ns=t.get("responseEnd", 0),
                   src_port=e["src"]["port"], dst_port=e["dst"]["port"])
        pk = e.get("packets", {})
        for k, kk in (("req_pkt", "request"), ("resp_pkt", "response"), ("last_pkt", "last")):
            if kk in pk:
                exp[k] = pk[kk]
        for k, v in exp.items():
            if v is None:   # absent: the message was not seen
                sideflag = 2 if k.startswith("resp") else 1
                if k != "last_pkt" and x[k] == 0 and not x["flags"] & sideflag:
                    continue
            if x[k] != v:
                bad += 1
                if bad < 10:
                    print("row %s: %s mine %r query %r" % (e["id"], k, x[k], v))
        import ipaddress
        for side, col in (("src", "src_ip"), ("dst", "dst_ip")):
            a = x[col][:4] if x["ipver"] == 4 else x[col]
            if str(ipaddress.ip_address(a)) != e[side]["ip"]:
                bad += 1
                print("row %s: %s %s vs %s" % (e["id"], col, a.hex(), e[side]["ip"]))
            nm = x[side + ".name"].decode()
            if nm != e[side].get("name", ""):
                bad += 1
                print("row %s: %s.name %r vs %r" % (e["id"], side, nm, e[side].get("name")))
        for sec in ("request", "response"):
            mine_s, q_s = x[sec], e.get(sec)
            if mine_s is None:
                continue
            for k, v in mine_s.items():
                checked[0] += 1
                if k in q_s and q_s[k] != v:
                    bad += 1
                    if bad < 20:
                        print("row %s: %s.%s mine %r query %r" % (e["id"], sec, k, v, q_s[k]))
                elif k not in q_s:
                    missing.add((sec, k))
    print("index: %d rows compared (%d section members), %d mismatches; members not in query output: %s"
          % (len(q), checked[0], bad, sorted(missing)))
    print("exercised:", STATS)
    if bad:
        sys.exit(1)


if __name__ == "__main__":
    main()
