#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""The seed query of DESIGN.md §6 against gencap's truth.

Usage: kflcheck.py TRUTH.json ENTRIES.ndjson

ENTRIES.ndjson is what `streamvault query STORE SEED --format ndjson` printed for

    grpc and request.headers["Authorization"] == r"Token.*" and
    src.name == "front-end.sock-shop" and dst.name == "catalogue.sock-shop"

on a store ingested with gencap's names file. The truth's answer: its gRPC entries whose
client and server resolve to front-end.sock-shop and catalogue.sock-shop and whose
authorization header (HTTP/2 names are lower case) contains "Token". The two sets of
(stream, index) must be equal and not empty. Prints the count; exits 1 otherwise.
"""
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from entrycheck import load_entries, load_truth  # noqa: E402


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    truth = load_truth(sys.argv[1])
    want = set()
    for sid, s in truth.items():
        for t in s["entries"]:
            auth = t.get("request_headers", {}).get("authorization", "")
            if (t["protocol"] == "grpc" and t["src"] == "front-end.sock-shop"
                    and t["dst"] == "catalogue.sock-shop" and re.search("Token.*", auth)):
                want.add((sid + 1, t["index"]))
    got = set()
    for sid, es in load_entries(sys.argv[2]).items():
        for e in es:
            got.add((sid, e["index"]))
    print("truth %d entries, query %d, missing %d, extra %d"
          % (len(want), len(got), len(want - got), len(got - want)))
    for x in sorted(want - got)[:10]:
        print("  missing stream %d entry %d" % x)
    for x in sorted(got - want)[:10]:
        print("  extra stream %d entry %d" % x)
    return 0 if want == got and want else 1


if __name__ == "__main__":
    sys.exit(main())
