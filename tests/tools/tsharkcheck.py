#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Compares the entries of a store with tshark's dissection of the same capture.

Usage: tsharkcheck.py KIND TSHARK.tsv ENTRIES.ndjson
KIND is http1, http2, dns or tls; TSHARK.tsv is a table of testdata/groundtruth/ (its
header line names tshark's command in ../shared/testdata/real/GROUNDTRUTH.md):
  http1  one row per request: method, host, uri, status
  http2  one row per (TCP stream, HTTP/2 stream) with HEADERS: method, path, status,
         grpc-status
  dns    one row per DNS message: query/response, id, name, type, rcode, answer count
  tls    one row per ClientHello: SNI
The rows are compared as multisets (tshark numbers streams differently than a store
does). Prints the rows only one side has; exits 1 when the multisets differ.
"""
import collections
import json
import sys

QTYPES = {"A": 1, "NS": 2, "CNAME": 5, "SOA": 6, "PTR": 12, "HINFO": 13, "MX": 15, "TXT": 16,
          "AAAA": 28, "SRV": 33, "NAPTR": 35, "OPT": 41, "DS": 43, "RRSIG": 46, "DNSKEY": 48,
          "SVCB": 64, "HTTPS": 65, "ANY": 255}
RCODES = {"NOERROR": 0, "FORMERR": 1, "SERVFAIL": 2, "NXDOMAIN": 3, "NOTIMP": 4, "REFUSED": 5}


def qtype_num(t):
    if t in QTYPES:
        return QTYPES[t]
    if t and t.startswith("TYPE"):
        return int(t[4:])
    return t


def rcode_num(r):
    if r in RCODES:
        return RCODES[r]
    if r and r.startswith("RCODE"):
        return int(r[5:])
    return r


def header(h, name):
    """A header's value, the name matched case-insensitively."""
    for k, v in (h or {}).items():
        if k.lower() == name:
            return v
    return ""


def tshark_rows(kind, path):
    rows = []
    with open(path, encoding="utf-8") as f:
        next(f)
        for line in f:
            c = line.rstrip("\n").split("\t")
            if kind == "http1":
                st = None if c[5] == "(no response)" else int(c[5])
                rows.append((c[2], c[3], c[4], st))
            elif kind == "http2":
                rows.append((c[3], c[4], int(c[6]) if c[6] else None,
                             int(c[8]) if c[8] else None))
            elif kind == "dns":
                if c[4] == "query":
                    rows.append(("query", int(c[3], 16), c[5], int(c[6]) if c[6] else None))
                else:
                    rows.append(("response", int(c[3], 16), c[5], int(c[6]) if c[6] else None,
                                 int(c[7]) if c[7] else None, int(c[8] or 0)))
            else:
                rows.append((c[2],))
    return rows


def our_rows(kind, path):
    rows = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            e = json.loads(line)
            abbr = e["protocol"]["abbr"]
            q, r = e["request"], e["response"]
            has_req = e["times"]["request"] is not None
            has_resp = e["times"]["response"] is not None
            if kind == "http1" and abbr == "HTTP" and has_req:
                rows.append((q.get("method"), header(q.get("headers"), "host"), q.get("url"),
                             r.get("status") if has_resp else None))
            elif kind == "http2" and abbr in ("HTTP/2", "gRPC"):
                g = r.get("grpc", {})
                st = g.get("status")
                if st is None:
                    st = header(r.get("trailers"), "grpc-status") or header(r.get("headers"), "grpc-status")
                    st = int(st) if st != "" else None
                method = header(q.get("headers"), ":method")
                rows.append((method, header(q.get("headers"), ":path"), r.get("status"), st))
            elif kind == "dns" and abbr == "DNS":
                if has_req:
                    qs = q.get("questions") or [{}]
                    rows.append(("query", q.get("id"), qs[0].get("name", ""),
                                 qtype_num(qs[0].get("type"))))
                if has_resp:
                    qs = r.get("questions") or [{}]
                    rows.append(("response", r.get("id"), qs[0].get("name", ""),
                                 qtype_num(qs[0].get("type")), rcode_num(r.get("rcode")),
                                 len(r.get("answers", []))))
            elif kind == "tls" and abbr == "TLS" and has_req:
                rows.append((q.get("sni", ""),))
    return rows


def main():
    if len(sys.argv) != 4 or sys.argv[1] not in ("http1", "http2", "dns", "tls"):
        sys.exit(__doc__)
    kind = sys.argv[1]
    want = collections.Counter(tshark_rows(kind, sys.argv[2]))
    got = collections.Counter(our_rows(kind, sys.argv[3]))
    print("# %s: tshark %d rows, store %d rows" % (kind, sum(want.values()), sum(got.values())))
    bad = 0
    for row in sorted(want - got, key=repr):
        print("# only tshark: %r x%d" % (row, (want - got)[row]))
        bad += 1
    for row in sorted(got - want, key=repr):
        print("# only store:  %r x%d" % (row, (got - want)[row]))
        bad += 1
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
