#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Checks `streamvault graph --format json` against gencap's ground truth, and
`graph --diff` against the two graphs it compares.

Usage: graphcheck.py TRUTH.json GROUP-BY=GRAPH.json...
       graphcheck.py --diff OLD.json NEW.json DIFF.json DIFF.dot

GROUP-BY is name, service, namespace, pod, ip, or node:NODE (the store's one
capture node); GRAPH.json the store's graph so grouped (the store ingested from
gencap's PREFIX.pcap with --names). From the truth alone:
  - every truth entry, and one tcp/udp summary entry per stream of an unknown
    protocol, is a request on the edge (client identity, server identity,
    protocol); an identity is the entry's src/dst name (name; node: prefixed
    with the capture node), the stream's client/server service, namespace or
    pod, and the IP when there is none;
  - errors: HTTP/1.x and HTTP/2 status >= 500, gRPC grpc-status != 0 (or
    status >= 500), DNS rcode != NOERROR, Redis error replies;
  - bytes: request_bytes + response_bytes (a summary: the stream's payload bytes);
  - latency samples: response_ns - request_ns of dissected entries with both;
    p50 and p99 by nearest rank (the ceil(p/100 * n)-th smallest), in ms rounded
    to the microsecond.
Every edge's requests, errors, bytes, responses, p50_ms and p99_ms must equal the
graph's, with no edge missing or extra, and the nodes must be sorted, unique and
exactly the edges' ends.

--diff: the edges of DIFF.json are the union of OLD's and NEW's, "same" when in
both (with NEW's numbers), "added" when only in NEW, "removed" when only in OLD
(with OLD's numbers), each kind present at least once; in DIFF.dot added edges
are green with a "+" label, removed ones red, dashed, with "-", the others grey.

Prints what it compared and the first differences; exits 1 on any difference, or
when there was nothing to compare.
"""
import collections
import ipaddress
import json
import math
import re
import sys

PROTO = {"http": "http", "http2": "http2", "grpc": "grpc", "dns": "dns", "redis": "redis",
         "tls": "tls"}
BIDI = set(range(0x200b, 0x2010)) | set(range(0x2028, 0x202f)) | set(range(0x2060, 0x2070)) \
    | {0xfeff}


def text(raw, slash=False):
    """The printable form of a name (docs/GRAPH.md): graph_text in graph.c, written anew."""
    b = raw.encode("utf-8", "surrogateescape") if isinstance(raw, str) else raw
    out = []
    i = 0
    while i < len(b):
        c = b[i]
        n = 1 if c < 0x80 else 2 if 0xc2 <= c <= 0xdf else 3 if 0xe0 <= c <= 0xef \
            else 4 if 0xf0 <= c <= 0xf4 else 0
        ch = None
        if n:
            try:
                ch = b[i:i + n].decode("utf-8")
            except UnicodeDecodeError:
                ch = None
        if ch is not None and len(ch) == 1:
            cp = ord(ch)
            if cp < 0x20 or 0x7f <= cp < 0xa0 or cp in BIDI or (slash and ch == "/"):
                ch = None
        if ch is None:
            out.append("\\x%02x" % c)
            i += 1
        else:
            out.append("\\\\" if ch == "\\" else ch)
            i += n
    return "".join(out)


def ip_text(ip):
    return str(ipaddress.ip_address(ip))


def identity(by, name, end):
    """The node id of one endpoint: end is the truth stream's client or server."""
    ns = end.get("namespace") or ""
    if by.startswith("node:"):  # the capture node, then the name
        return text(by[5:], True) + "/" + identity("name", name, end)
    if by == "name" and name:
        return "name:" + text(name)
    if by == "service" and end.get("service"):
        return "service:%s/%s" % (text(ns, True), text(end["service"], True))
    if by == "pod" and end.get("pod"):
        return "pod:%s/%s" % (text(ns, True), text(end["pod"], True))
    if by == "namespace" and ns:
        return "namespace:" + text(ns)
    return "ip:" + ip_text(end["ip"])


def is_error(t):
    p = t["protocol"]
    if t.get("response_ns") is None:
        return False
    if p in ("http", "http2"):
        return t["status"] >= 500
    if p == "grpc":
        return t["grpc_status"] != 0 or t["status"] >= 500
    if p == "dns":
        return t["rcode"] != "NOERROR"
    if p == "redis":
        return t["reply_type"] == "error"
    return False


def nearest_rank(samples, pct):
    s = sorted(samples)
    return s[max(1, math.ceil(pct * len(s) / 100)) - 1]


def ms(ns):
    us = ns // 1000 + (1 if ns % 1000 >= 500 else 0)
    return us / 1000


def expected(truth, by):
    acc = collections.defaultdict(lambda: {"requests": 0, "errors": 0, "bytes": 0, "lat": []})
    for s in truth["streams"]:
        if s["protocol"] == "unknown":
            key = (identity(by, s["client"]["name"], s["client"]),
                   identity(by, s["server"]["name"], s["server"]), s["transport"])
            acc[key]["requests"] += 1
            acc[key]["bytes"] += s["payload_bytes"]
            continue
        for t in s["entries"]:
            key = (identity(by, t["src"], s["client"]), identity(by, t["dst"], s["server"]),
                   PROTO[t["protocol"]])
            a = acc[key]
            a["requests"] += 1
            a["errors"] += is_error(t)
            a["bytes"] += t["request_bytes"] + t["response_bytes"]
            if t.get("request_ns") is not None and t.get("response_ns") is not None:
                a["lat"].append(max(0, t["response_ns"] - t["request_ns"]))
    out = {}
    for key, a in acc.items():
        lat = a["lat"]
        out[key] = {"requests": a["requests"], "errors": a["errors"], "bytes": a["bytes"],
                    "responses": len(lat),
                    "p50_ms": ms(nearest_rank(lat, 50)) if lat else None,
                    "p99_ms": ms(nearest_rank(lat, 99)) if lat else None}
    return out


def check_graph(truth, by, path):
    """The differences between the graph at path and the truth's, grouped by by."""
    with open(path, encoding="utf-8") as f:
        graph = json.load(f)
    want = expected(truth, by)
    got = {}
    for e in graph["edges"]:
        got[(e["from"], e["to"], e["protocol"])] = {k: e[k] for k in (
            "requests", "errors", "bytes", "responses", "p50_ms", "p99_ms")}
    bad = []
    if graph.get("groupBy") != by.split(":")[0]:
        bad.append("groupBy %r, want %r" % (graph.get("groupBy"), by))
    ids = [n["id"] for n in graph["nodes"]]
    if ids != sorted(ids, key=lambda s: s.encode("utf-8")) or len(set(ids)) != len(ids):
        bad.append("nodes are not sorted by id, or an id repeats")
    used = {k[0] for k in got} | {k[1] for k in got}
    if used != set(ids):
        bad.append("nodes without an edge, or edges to unknown nodes: %r"
                   % sorted(used ^ set(ids))[:5])
    for key in sorted(set(want) | set(got)):
        w, g = want.get(key), got.get(key)
        if w is None:
            bad.append("extra edge %s -> %s (%s): %r" % (key + (g,)))
        elif g is None:
            bad.append("missing edge %s -> %s (%s): %r" % (key + (w,)))
        elif w != g:
            diff = {k: (g[k], w[k]) for k in w if w[k] != g[k]}
            bad.append("edge %s -> %s (%s): (got, want) %r" % (key + (diff,)))
    print("# group-by %s: %d edges in the truth (%d requests, %d errors), %d in the graph"
          % (by, len(want), sum(e["requests"] for e in want.values()),
             sum(e["errors"] for e in want.values()), len(got)))
    if not want:
        bad.append("no edge at all")
    return bad


def check_diff(old_path, new_path, diff_path, dot_path):
    key = lambda e: (e["from"], e["to"], e["protocol"])  # noqa: E731
    old, new, d = (json.load(open(p, encoding="utf-8")) for p in (old_path, new_path, diff_path))
    o = {key(e): e for e in old["edges"]}
    n = {key(e): e for e in new["edges"]}
    want = {}
    for k in o.keys() | n.keys():
        e = dict(n[k] if k in n else o[k])
        e["change"] = "same" if k in o and k in n else "added" if k in n else "removed"
        want[k] = e
    got = {key(e): e for e in d["edges"]}
    bad = []
    if len(got) != len(d["edges"]):
        bad.append("an edge repeats")
    for k in sorted(want.keys() | got.keys()):
        if want.get(k) != got.get(k):
            bad.append("edge %s -> %s (%s): got %r, want %r" % (k + (got.get(k), want.get(k))))
    changes = collections.Counter(e["change"] for e in got.values())
    for c in ("added", "removed", "same"):
        if not changes[c]:
            bad.append("no %s edge: the test compares nothing" % c)
    style = {"added": ("#2ca02c", "+", False), "removed": ("#d62728", "-", True)}
    ndot = 0
    with open(dot_path, encoding="utf-8") as f:
        text = f.read()
    for st in re.findall(r'^  ".*?\];$', text, re.M | re.S):
        if " -> " not in st:
            continue
        ndot += 1
        ch = re.search(r'change="(\w+)"', st).group(1)
        got_style = (re.search(r' color="(#\w+)"', st).group(1),
                     re.search(r'label="(.)', st).group(1), "style=dashed" in st)
        if ch in style and got_style != style[ch]:
            bad.append("DOT: %s edge drawn %r: %s" % (ch, got_style, st.splitlines()[0]))
        if ch == "same" and (got_style[0] != "#a0a0a0" or got_style[1] in "+-" or got_style[2]):
            bad.append("DOT: kept edge drawn %r: %s" % (got_style, st.splitlines()[0]))
    if ndot != len(got):
        bad.append("DOT: %d edges, JSON %d" % (ndot, len(got)))
    print("# diff: %d added, %d removed, %d kept" % (changes["added"], changes["removed"],
                                                    changes["same"]))
    return bad


def main():
    if len(sys.argv) == 6 and sys.argv[1] == "--diff":
        bad = check_diff(*sys.argv[2:])
    elif len(sys.argv) >= 3 and all("=" in a for a in sys.argv[2:]):
        with open(sys.argv[1], encoding="utf-8") as f:
            truth = json.load(f)
        if truth.get("format") != "gencap-truth/1":
            sys.exit("%s: not a gencap truth file" % sys.argv[1])
        bad = []
        for arg in sys.argv[2:]:
            by, path = arg.split("=", 1)
            bad += ["%s: %s" % (by, b) for b in check_graph(truth, by, path)]
    else:
        sys.exit(__doc__)
    for b in bad[:30]:
        print("  " + b)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
