#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""KFL against an independent reading of the same entries.

Usage: kfldiff.py STREAMVAULT STORE ENTRIES.ndjson

ENTRIES.ndjson is every entry of STORE with its kept bodies (`query STORE ''
--format ndjson --bodies`). For each
query below, `streamvault query STORE QUERY --count` must print the number of entries
that the Python predicate next to it accepts; the predicates are written from
docs/KFL.md's rules (a missing field is null: == false, != true; regexes search;
header names without regard to case), not from the C code. Prints one line per query;
exits 1 on any difference.
"""
import base64
import json
import re
import subprocess
import sys


def get(e, *path):
    for k in path:
        if isinstance(e, dict):
            if k in e:
                e = e[k]
            else:
                low = {x.lower(): x for x in e}
                if isinstance(k, str) and k.lower() in low:
                    e = e[low[k.lower()]]
                else:
                    return None
        elif isinstance(e, list) and isinstance(k, int):
            e = e[k] if -len(e) <= k < len(e) else None
        else:
            return None
    return e


def abbr(e):
    return e["protocol"]["abbr"]


def body(e, sec, part):
    """The bytes of a kept body (--bodies writes them base64), or None."""
    t = get(e, sec, part, "text")
    return None if t is None else base64.b64decode(t)


def body_json(e, sec, part):
    b = body(e, sec, part)
    try:
        return None if b is None else json.loads(b)
    except ValueError:
        return None


def search(pat, v):
    if v is None or isinstance(v, (dict, list)):
        return False
    if isinstance(v, bool):
        v = "true" if v else "false"
    return re.search(pat, str(v)) is not None


QUERIES = [
    ("http", lambda e: abbr(e) in ("HTTP", "HTTP/2", "gRPC")),
    ("http1", lambda e: abbr(e) == "HTTP"),
    ("http2", lambda e: abbr(e) in ("HTTP/2", "gRPC")),
    ("grpc", lambda e: abbr(e) == "gRPC"),
    ("dns or redis", lambda e: abbr(e) in ("DNS", "REDIS")),
    ("!dns", lambda e: abbr(e) != "DNS"),
    ("not tls and not http", lambda e: abbr(e) not in ("TLS", "HTTP", "HTTP/2", "gRPC")),
    ('http and request.method == "GET"', lambda e: abbr(e) in ("HTTP", "HTTP/2", "gRPC")
     and get(e, "request", "method") == "GET"),
    ("response.status >= 500", lambda e: isinstance(get(e, "response", "status"), int)
     and get(e, "response", "status") >= 500),
    ('response.status == "404"', lambda e: get(e, "response", "status") == 404),
    ("status_code != 200", lambda e: get(e, "response", "status") != 200),
    ('request.path == r"^/catalogue"', lambda e: search("^/catalogue", get(e, "request", "path"))),
    ('request.path != r"^/catalogue"', lambda e: not search("^/catalogue", get(e, "request", "path"))),
    ('request.headers["user-agent"].contains("python")',
     lambda e: "python" in (get(e, "request", "headers", "user-agent") or "")),
    ('request.headers["Authorization"] == r"^Bearer "',
     lambda e: search("^Bearer ", get(e, "request", "headers", "authorization"))),
    ('dns and request.questions[0].name.endsWith(".svc.cluster.local")',
     lambda e: abbr(e) == "DNS" and (get(e, "request", "questions", 0, "name") or "")
     .endswith(".svc.cluster.local")),
    ('"kube-dns.kube-system.svc.cluster.local" in dns_questions',
     lambda e: "kube-dns.kube-system.svc.cluster.local"
     in [q.get("name") for q in (get(e, "request", "questions") or [])]),
    ('response.rcode == "NXDOMAIN" or response.rcode == "SERVFAIL"',
     lambda e: get(e, "response", "rcode") in ("NXDOMAIN", "SERVFAIL")),
    ('redis_command in ["GET", "SET"]', lambda e: get(e, "request", "command") in ("GET", "SET")),
    ("src.port < 1024 || dst.port == 6379", lambda e: e["src"]["port"] < 1024
     or e["dst"]["port"] == 6379),
    ('dst.name == "catalogue.sock-shop" and src.namespace == "sock-shop"',
     lambda e: e["dst"]["name"] == "catalogue.sock-shop" and e["src"]["namespace"] == "sock-shop"),
    ('src.name == ""', lambda e: e["src"]["name"] == ""),
    ("dst.pod.name != null", lambda e: get(e, "dst", "pod", "name") is not None),
    ('dst.dns.startsWith("api.")', lambda e: (get(e, "dst", "dns") or "").startswith("api.")),
    ("elapsedTime > 5", lambda e: e["elapsedTime"] > 5),
    ("elapsed_time >= 2000", lambda e: e["times"]["response"] is not None
     and e["times"]["request"] is not None
     and (e["times"]["response"] - e["times"]["request"]) // 1000 >= 2000),
    ("requestSize > 1000 and responseSize < 100", lambda e: e["requestSize"] > 1000
     and e["responseSize"] < 100),
    ('tls and request.sni.matches("googleapis|stripe")',
     lambda e: abbr(e) == "TLS" and search("googleapis|stripe", get(e, "request", "sni"))),
    ("size(request.headers) > 8", lambda e: isinstance(get(e, "request", "headers"), dict)
     and len(get(e, "request", "headers")) > 8),
    ('"traceparent" in request.headers', lambda e: isinstance(get(e, "request", "headers"), dict)
     and "traceparent" in {k.lower() for k in get(e, "request", "headers")}),
    ("anomalies.size() > 0", lambda e: len(e["anomalies"]) > 0),
    ("response.grpc.status != 0 and grpc", lambda e: abbr(e) == "gRPC"
     and get(e, "response", "grpc", "status") != 0),
    ('grpc_method == "ListItems" || grpc_service.endsWith("UserService")',
     lambda e: get(e, "request", "grpc", "method") == "ListItems"
     or (get(e, "request", "grpc", "service") or "").endswith("UserService")),
    ("index == 0 and (http or dns)", lambda e: e["index"] == 0 and abbr(e) in
     ("HTTP", "HTTP/2", "gRPC", "DNS")),
    ('request.url.lower().contains("catalogue")',
     lambda e: "catalogue" in (get(e, "request", "url") or "").lower()),
    ("timestamp >= 1717236030000 and timestamp < 1717236060000",
     lambda e: 1717236030000 <= e["timestamp"] < 1717236060000),
    ("(-response.status) < -400", lambda e: isinstance(get(e, "response", "status"), int)
     and get(e, "response", "status") > 400),
    ('map_get(request.headers, "X-Missing", "none") == "none"',
     lambda e: get(e, "request", "headers", "x-missing") is None),
    ('http and map_get(request.headers, "Host", "") != ""',
     lambda e: abbr(e) in ("HTTP", "HTTP/2", "gRPC")
     and (get(e, "request", "headers", "host") if isinstance(get(e, "request", "headers"), dict)
          else "") not in ("", None)),
    ('map_get(response, "status", 0) >= 500', lambda e: isinstance(get(e, "response", "status"), int)
     and get(e, "response", "status") >= 500),
    ("http && response_body_size > 10000", lambda e: abbr(e) in ("HTTP", "HTTP/2", "gRPC")
     and isinstance(get(e, "response", "bodySize"), int) and get(e, "response", "bodySize") > 10000),
    ("request_body_size > 0 and grpc", lambda e: abbr(e) == "gRPC"
     and isinstance(get(e, "request", "bodySize"), int) and get(e, "request", "bodySize") > 0),
    # kept bodies: their text is matched as the body's bytes
    ('response.content.text.contains("socks")', lambda e: b"socks" in (body(e, "response", "content") or b"")),
    ('request.postData.text.contains("black")', lambda e: b"black" in (body(e, "request", "postData") or b"")),
    # a body read twice in one condition, and both bodies of one entry
    ('response.content.text.contains("socks") or response.content.text.contains("price")',
     lambda e: any(w in (body(e, "response", "content") or b"") for w in (b"socks", b"price"))),
    ('request.postData.text.contains("black") and size(response.content.text) < size(request.postData.text)',
     lambda e: b"black" in (body(e, "request", "postData") or b"")
     and body(e, "response", "content") is not None
     and len(body(e, "response", "content")) < len(body(e, "request", "postData"))),
    ("size(response.content.text) > 1000", lambda e: len(body(e, "response", "content") or b"") > 1000),
    (r'response.content.text == r"\"price\":4[0-9]\."',
     lambda e: re.search(rb'"price":4[0-9]\.', body(e, "response", "content") or b"") is not None),
    ('http and response.status >= 500 and response.content.text.contains("upstream connect error")',
     lambda e: abbr(e) in ("HTTP", "HTTP/2", "gRPC")
     and isinstance(get(e, "response", "status"), int) and get(e, "response", "status") >= 500
     and b"upstream connect error" in (body(e, "response", "content") or b"")),
    ("http and response.status == 500 and json(response.content.text).status_code == 404",
     lambda e: abbr(e) in ("HTTP", "HTTP/2", "gRPC") and get(e, "response", "status") == 500
     and isinstance(body_json(e, "response", "content"), dict)
     and body_json(e, "response", "content").get("status_code") == 404
     and not isinstance(body_json(e, "response", "content").get("status_code"), bool)),
    ("json(response.content.text)[0].price > 40",
     lambda e: isinstance(body_json(e, "response", "content"), list)
     and len(body_json(e, "response", "content")) > 0
     and isinstance(body_json(e, "response", "content")[0], dict)
     and isinstance(body_json(e, "response", "content")[0].get("price"), (int, float))
     and not isinstance(body_json(e, "response", "content")[0].get("price"), bool)
     and body_json(e, "response", "content")[0]["price"] > 40),
]


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    sv, store = sys.argv[1], sys.argv[2]
    entries = [json.loads(line) for line in open(sys.argv[3], encoding="utf-8")]
    bad = 0
    for q, pred in QUERIES:
        want = sum(1 for e in entries if pred(e))
        r = subprocess.run([sv, "query", store, q, "--count"], capture_output=True, text=True)
        got = r.stdout.strip()
        ok = r.returncode == 0 and got == str(want)
        bad += not ok
        print("%-4s %6s %6s  %s%s" % ("ok" if ok else "FAIL", want, got, q,
                                      "" if r.returncode == 0 else "  (" + r.stderr.strip() + ")"))
    print("%d queries, %d differ" % (len(QUERIES), bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
