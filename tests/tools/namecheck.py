#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Compares the names of a store's entries (`streamvault query STORE '' --format
ndjson`) with the ground truth of gencap (PREFIX.truth.json).

Usage: namecheck.py TRUTH.json ENTRIES.ndjson

For every entry of every stream (gencap's id + 1 is the store's stream id, entries
in index order):
  - src.name and dst.name equal the truth entry's src and dst (Kubeshark's resolved
    names at the entry's request time, "" when unresolved);
  - src/dst namespace, pod.name and service.name equal the stream's client/server
    namespace, pod and service (gencap plans streams only between endpoints whose
    owner does not change during the stream), absent where the truth has null.
Prints how many entries were checked, how many named, and the first mismatches;
exits 1 on any mismatch, or when no entry was checked at all.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from entrycheck import load_entries, load_truth  # noqa: E402  (one reader of both files)


def endpoint_fields(truth_end, ours):
    """(field, expected, got) for one endpoint's identity."""
    return [
        ("namespace", truth_end["namespace"] or "", ours.get("namespace")),
        ("pod", truth_end["pod"], (ours.get("pod") or {}).get("name")),
        ("service", truth_end["service"], (ours.get("service") or {}).get("name")),
    ]


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    truth = load_truth(sys.argv[1])
    ours = load_entries(sys.argv[2])
    checked = named = 0
    bad = []
    for sid, s in sorted(truth.items()):
        got = ours.get(sid + 1, [])
        want = s["entries"]
        if len(got) < len(want):
            bad.append("stream %d: %d entries, truth has %d" % (sid + 1, len(got), len(want)))
            continue
        for t, e in zip(want, got):
            checked += 1
            fields = [("src.name", t["src"], e["src"].get("name")),
                      ("dst.name", t["dst"], e["dst"].get("name"))]
            fields += [("src." + f, w, g) for f, w, g in endpoint_fields(s["client"], e["src"])]
            fields += [("dst." + f, w, g) for f, w, g in endpoint_fields(s["server"], e["dst"])]
            if t["src"] or t["dst"]:
                named += 1
            for f, w, g in fields:
                if w != g:
                    bad.append("stream %d entry %d (%s): %s: expected %r, got %r"
                               % (sid + 1, t["index"], t["protocol"], f, w, g))
    print("%d entries checked, %d with a name, %d mismatches" % (checked, named, len(bad)))
    for b in bad[:20]:
        print("  " + b)
    return 1 if bad or checked == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
