#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Compares the entries of a store (`streamvault query STORE '' --format ndjson`)
with the ground truth of gencap (PREFIX.truth.json).

Usage: entrycheck.py TRUTH.json ENTRIES.ndjson

Checks, per stream (gencap's id + 1 is the store's stream id):
  - the number of entries and, per entry in order, its protocol;
  - HTTP/1, HTTP/2, gRPC: method, path, status; gRPC: service, method, status;
  - DNS: id, query name and type, rcode, answers;
  - Redis: command, key, argument count, reply type;
  - TLS: SNI, ALPN, version, cipher suite;
  - request and response times (first packet, and last: never before the first, whatever
    order the segments came in) and sizes on the wire;
  - an unknown-protocol stream has exactly one tcp summary entry.
Prints per-protocol counts and the first mismatches; exits 1 on any mismatch.
"""
import collections
import json
import sys

# gencap protocol -> (protocol.abbr of our entries)
ABBR = {"http": "HTTP", "http2": "HTTP/2", "grpc": "gRPC", "dns": "DNS", "redis": "REDIS",
        "tls": "TLS", "unknown": "TCP"}


def load_truth(path):
    with open(path, encoding="utf-8") as f:
        t = json.load(f)
    if t.get("format") != "gencap-truth/1":
        sys.exit("%s: not a gencap truth file" % path)
    return {s["id"]: s for s in t["streams"]}


def load_entries(path):
    per = collections.defaultdict(list)
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            e = json.loads(line)
            sid = int(e["stream"].split(".")[0].split("_")[0])
            per[sid].append(e)
    for v in per.values():
        v.sort(key=lambda e: e["index"])
    return per


def expect_fields(t, e):
    """(name, expected, got) for the protocol fields of truth entry t and our entry e."""
    q, r = e.get("request", {}), e.get("response", {})
    p = t["protocol"]
    out = []
    if p in ("http", "http2", "grpc"):
        out += [("method", t["method"], q.get("method")), ("path", t["path"], q.get("url")),
                ("status", t["status"], r.get("status"))]
    if p == "grpc":
        g, gr = q.get("grpc", {}), r.get("grpc", {})
        out += [("grpc service", t["grpc_service"], g.get("service")),
                ("grpc method", t["grpc_method"], g.get("method")),
                ("grpc status", t["grpc_status"], gr.get("status"))]
    if p == "dns":
        qs = q.get("questions") or [{}]
        ans = [a.get("data") for a in r.get("answers", []) if a.get("type") in ("A", "AAAA")]
        out += [("dns id", t["dns_id"], q.get("id")), ("qname", t["qname"], qs[0].get("name")),
                ("qtype", t["qtype"], qs[0].get("type")), ("rcode", t["rcode"], r.get("rcode")),
                ("answers", t["answers"], ans)]
    if p == "redis":
        out += [("command", t["command"], q.get("command")), ("key", t["key"], q.get("key")),
                ("args", t["args"], q.get("args")), ("reply", t["reply_type"], r.get("type"))]
    if p == "tls":
        out += [("sni", t["sni"], q.get("sni")), ("alpn", t["alpn"], q.get("alpn")),
                ("version", t["version"], r.get("version")),
                ("cipher", t["cipher_suite"], r.get("cipherSuite"))]
    out += [("request time", t["request_ns"], e["times"]["request"]),
            ("response time", t["response_ns"], e["times"]["response"]),
            ("request end", t["request_end_ns"], e["times"].get("requestEnd")),
            ("response end", t["response_end_ns"], e["times"].get("responseEnd")),
            ("request bytes", t["request_bytes"], e["requestSize"]),
            ("response bytes", t["response_bytes"], e["responseSize"])]
    return out


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    truth = load_truth(sys.argv[1])
    ours = load_entries(sys.argv[2])
    bad = []
    want = collections.Counter()
    got = collections.Counter()
    for sid, s in sorted(truth.items()):
        mine = ours.pop(sid + 1, [])  # gencap counts streams from 0, stores from 1
        for e in mine:
            got[e["protocol"]["abbr"]] += 1
        if s["protocol"] == "unknown":
            want["TCP"] += 1
            if len(mine) != 1 or mine[0]["protocol"]["abbr"] != "TCP":
                bad.append("stream %d (unknown): %d entries %s, want one TCP entry"
                           % (sid, len(mine), [e["protocol"]["abbr"] for e in mine]))
            continue
        te = s["entries"]
        for t in te:
            want[ABBR[t["protocol"]]] += 1
        if len(te) != len(mine):
            bad.append("stream %d (%s): %d entries, want %d"
                       % (sid, s["protocol"], len(mine), len(te)))
            continue
        for t, e in zip(te, mine):
            if ABBR[t["protocol"]] != e["protocol"]["abbr"]:
                bad.append("stream %d entry %d: protocol %s, want %s"
                           % (sid, t["index"], e["protocol"]["abbr"], ABBR[t["protocol"]]))
                continue
            for name, w, g in expect_fields(t, e):
                if w != g:
                    bad.append("stream %d entry %d (%s): %s %r, want %r"
                               % (sid, t["index"], t["protocol"], name, g, w))
    for sid, mine in ours.items():
        for e in mine:
            got[e["protocol"]["abbr"]] += 1
        bad.append("stream %d: %d entries, but no such stream in the truth" % (sid, len(mine)))
    for k in sorted(set(want) | set(got)):
        print("# %-7s truth %7d  store %7d%s" % (k, want[k], got[k], "" if want[k] == got[k] else "  <-- differs"))
    for b in bad[:40]:
        print("# " + b)
    if len(bad) > 40:
        print("# ... %d more" % (len(bad) - 40))
    print("# %d mismatches" % len(bad))
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
