#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""An extracted bundle (export, snapshot) against gencap's truth.

Usage: bundlecheck.py TRUTH.json DIR window FROM_NS TO_NS [cut]
       bundlecheck.py TRUTH.json DIR seed

DIR is the extracted bundle of a store ingested from gencap's capture (one node). The
truth decides which streams belong in it: those active in [FROM_NS, TO_NS] (first
packet <= TO and last packet >= FROM), or those holding an entry of the seed query of
DESIGN.md §6 (as tests/tools/kflcheck.py reads it). Checked, independently of
streamvault's code (the captures are parsed here):
  - content.json: format, the node's and total stream, packet and byte counts;
  - its "files": every file with its size and sha256, and nothing else in DIR;
  - the node's merged capture: packets in time order, and per 5-tuple exactly the
    packets and bytes of the truth's streams (with cut: only those inside the window,
    compared with the count given on the command line, see below);
  - streams/: exactly the expected streams' files, each with the truth's packets.
With "cut", per-stream counts are not compared with the truth (it has no packet times);
every packet must lie in the window instead, and the streams expected are those active
in it whose 5-tuple the merged capture holds (one that spans the window with no packet
inside it is left out). Prints a summary; exits 1 on a mismatch.
"""
import collections
import hashlib
import json
import os
import re
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from entrycheck import load_truth  # noqa: E402

ERRORS = []


def err(msg):
    ERRORS.append(msg)


def read_pcap(path):
    """Yields (ts_ns, frame bytes) of a little-endian classic PCAP file."""
    with open(path, "rb") as f:
        data = f.read()
    magic, = struct.unpack_from("<I", data, 0)
    if magic not in (0xA1B2C3D4, 0xA1B23C4D):
        raise ValueError("%s: not a little-endian PCAP file" % path)
    mult = 1 if magic == 0xA1B23C4D else 1000
    off = 24
    while off < len(data):
        sec, frac, caplen, _ = struct.unpack_from("<IIII", data, off)
        yield sec * 1000000000 + frac * mult, data[off + 16:off + 16 + caplen]
        off += 16 + caplen


def five_tuple(frame):
    """(transport, (ip, port), (ip, port)) sorted endpoints, or None."""
    et, = struct.unpack_from(">H", frame, 12)
    off = 14
    while et in (0x8100, 0x88A8):
        et, = struct.unpack_from(">H", frame, off + 2)
        off += 4
    if et == 0x0800:
        ihl = (frame[off] & 15) * 4
        proto = frame[off + 9]
        src, dst = frame[off + 12:off + 16], frame[off + 16:off + 20]
        l4 = off + ihl
    elif et == 0x86DD:
        proto = frame[off + 6]
        src, dst = frame[off + 8:off + 24], frame[off + 24:off + 40]
        l4 = off + 40
    else:
        return None
    if proto not in (6, 17):
        return None
    sp, dp = struct.unpack_from(">HH", frame, l4)
    a, b = (bytes(src), sp), (bytes(dst), dp)
    return ("tcp" if proto == 6 else "udp",) + tuple(sorted((a, b)))


def ip_bytes(text):
    import ipaddress
    return ipaddress.ip_address(text).packed


def truth_tuple(s):
    a = (ip_bytes(s["client"]["ip"]), s["client"]["port"])
    b = (ip_bytes(s["server"]["ip"]), s["server"]["port"])
    return (s["transport"],) + tuple(sorted((a, b)))


def stream_file(sid, s):
    return "%012d%s.pcap" % (sid + 1, "_udp" if s["transport"] == "udp" else "")


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    truth = load_truth(sys.argv[1])
    top, mode = sys.argv[2], sys.argv[3]
    cut = False
    if mode == "window":
        lo, hi = int(sys.argv[4]), int(sys.argv[5])
        cut = len(sys.argv) > 6 and sys.argv[6] == "cut"
        want = {i for i, s in truth.items() if s["first_ns"] <= hi and s["last_ns"] >= lo}
    elif mode == "seed":
        want = set()
        for i, s in truth.items():
            for t in s["entries"]:
                auth = t.get("request_headers", {}).get("authorization", "")
                if (t["protocol"] == "grpc" and t["src"] == "front-end.sock-shop"
                        and t["dst"] == "catalogue.sock-shop" and re.search("Token.*", auth)):
                    want.add(i)
    else:
        sys.exit(__doc__)
    if not want:
        sys.exit("the truth selects no stream: nothing to check")

    with open(os.path.join(top, "content.json"), encoding="utf-8") as f:
        content = json.load(f)
    if content.get("format") != "streamvault-bundle/1":
        err("content.json: format %r" % content.get("format"))
    nodes = content["nodes"]
    if len(nodes) != 1:
        err("content.json: %d nodes, want 1" % len(nodes))
    node = nodes[0]
    tpk = sum(truth[i]["packets"] for i in want)
    tby = sum(truth[i]["bytes"] for i in want)
    if not cut:
        for what, got, exp in (("packets", node["packets"], tpk), ("bytes", node["bytes"], tby),
                               ("total packets", content["packets"], tpk),
                               ("total bytes", content["bytes"], tby)):
            if got != exp:
                err("content.json: %s %d, truth %d" % (what, got, exp))

    # files: sizes and digests, and nothing unlisted
    listed = content["files"]
    present = set()
    for dirpath, _, names in os.walk(top):
        for n in names:
            rel = os.path.relpath(os.path.join(dirpath, n), top)
            if rel != "content.json":
                present.add(rel)
    if present != set(listed):
        err("files: %d listed, %d present, differing: %s"
            % (len(listed), len(present), sorted(present ^ set(listed))[:5]))
    for rel, meta in listed.items():
        p = os.path.join(top, rel)
        if not os.path.exists(p):
            continue
        with open(p, "rb") as f:
            data = f.read()
        if hashlib.sha256(data).hexdigest() != meta["sha256"] or len(data) != meta["bytes"]:
            err("%s: sha256 or size differs from content.json" % rel)

    # the merged capture
    per = collections.Counter()
    perb = collections.Counter()
    last = 0
    n = 0
    nbytes = 0
    for ts, frame in read_pcap(os.path.join(top, node["capture"])):
        if ts < last:
            err("%s: packet %d goes back in time" % (node["capture"], n + 1))
        last = ts
        n += 1
        nbytes += len(frame)
        if cut and not lo <= ts <= hi:
            err("%s: packet %d outside the window" % (node["capture"], n))
        k = five_tuple(frame)
        per[k] += 1
        perb[k] += len(frame)
    if n != node["packets"] or nbytes != node["bytes"]:
        err("%s: %d packets %d bytes, content.json says %d and %d"
            % (node["capture"], n, nbytes, node["packets"], node["bytes"]))
    if not cut:
        tper = collections.Counter()
        tperb = collections.Counter()
        for i in want:
            tper[truth_tuple(truth[i])] += truth[i]["packets"]
            tperb[truth_tuple(truth[i])] += truth[i]["bytes"]
        if per != tper or perb != tperb:
            diff = [k for k in set(per) | set(tper) if per[k] != tper[k] or perb[k] != tperb[k]]
            err("merged capture: %d of %d 5-tuples differ from the truth"
                % (len(diff), len(tper)))
    else:
        extra = set(per) - {truth_tuple(truth[i]) for i in want}
        if extra:
            err("merged capture: %d 5-tuples of streams not in the window" % len(extra))
        # a stream active across the window with no packet inside it has nothing to cut
        want = {i for i in want if truth_tuple(truth[i]) in per}
    for what, got, exp in (("streams", node["streams"], len(want)),
                           ("total streams", content["streams"], len(want))):
        if got != exp:
            err("content.json: %s %d, truth %d" % (what, got, exp))

    # per-stream files
    sdir = os.path.join(top, node["dir"], "streams")
    if os.path.isdir(sdir):
        names = set(os.listdir(sdir))
        exp = {stream_file(i, truth[i]): i for i in want}
        if names != set(exp):
            err("streams/: %d files, want %d" % (len(names), len(exp)))
        for name, i in exp.items():
            p = os.path.join(sdir, name)
            if not os.path.exists(p):
                continue
            pk = list(read_pcap(p))
            if not cut and (len(pk) != truth[i]["packets"]
                            or sum(len(x) for _, x in pk) != truth[i]["bytes"]):
                err("streams/%s: %d packets, truth %d" % (name, len(pk), truth[i]["packets"]))
            if cut and any(not lo <= ts <= hi for ts, _ in pk):
                err("streams/%s: a packet outside the window" % name)

    print("%d streams, %d packets in the merged capture, %d files; %d problems"
          % (len(want), n, len(listed), len(ERRORS)))
    for e in ERRORS[:20]:
        print("  " + e)
    return 1 if ERRORS else 0


if __name__ == "__main__":
    sys.exit(main())
