#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Thread scaling of `streamvault ingest`, against tcpdump on the same captures.

usage: ci/bench-scaling.py [--work DIR] [--threads 1,2,4,8,16] [--quick] [--dissect]
  env: SV, GENCAP, FILEFLOOR, TCPDUMP, IXBENCH: the binaries (default: build/ and PATH)

Generates the benchmark captures with gencap (1 GiB default mix, 400 MiB of mostly
DNS), reads each once (page cache warm), then times, best of two runs, each run into a
fresh directory (nothing is deleted until the end: ext4 creates files slowly right
after a big delete):
  - tcpdump -r X -w /dev/null on 2 CPUs (taskset) and on all
  - the split, streamvault ingest --no-dissect -j N, for each N (for N = 2 on 2 CPUs, as
    the targets are set)
  - --layout files -j 2 on 2 CPUs against the file-creation floor on 2 CPUs
  - that -j 1 and -j max give byte-identical stores (with dissection and the index)
  - a 1,000,000-stream capture split under `ulimit -n 256` in both layouts
With --dissect, only the 1 GiB capture: the entry index's size and one core's scan and
decode rates (tests/tools/ixbench), then ingest -j N with and without dissection
(--no-dissect; with it, ingest also builds the index) for each N, and the cost as a ratio.
Prints one line per run: seconds, MB/s, packets/s, streams/s, peak RSS, ratios.
"""
import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)


def binpath(env, default):
    return os.environ.get(env) or default


SV = binpath("SV", os.path.join(TOP, "build", "streamvault"))
GENCAP = binpath("GENCAP", os.path.join(TOP, "build", "tests", "tools", "gencap"))
FLOOR = binpath("FILEFLOOR", os.path.join(TOP, "build", "tests", "tools", "filefloor"))
IXBENCH = binpath("IXBENCH", os.path.join(TOP, "build", "tests", "tools", "ixbench"))
TCPDUMP = binpath("TCPDUMP", shutil.which("tcpdump") or "tcpdump")
NCPU = os.cpu_count() or 1


def run(argv, cpus=None, stdin=None, nofile=None):
    """Runs argv (stdin: a path); returns (wall seconds, peak RSS in MiB). Raises on failure."""
    def pre():
        if cpus is not None:
            os.sched_setaffinity(0, cpus)
        if nofile is not None:
            resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))
    fin = open(stdin, "rb") if stdin else subprocess.DEVNULL
    t0 = time.monotonic()
    p = subprocess.Popen(argv, stdin=fin, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, preexec_fn=pre)
    err = p.stderr.read()
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.monotonic() - t0
    if stdin:
        fin.close()
    if status != 0:
        raise RuntimeError("%s failed (%d): %s" % (argv[0], status, err.decode()[-300:]))
    return wall, ru.ru_maxrss / 1024.0


class Bench:
    def __init__(self, work):
        self.work = work
        self.n = 0

    def fresh(self):
        self.n += 1
        return os.path.join(self.work, "out.%d.%d" % (os.getpid(), self.n))

    def best(self, make_argv, runs=2, **kw):
        best = None
        for _ in range(runs):
            out = self.fresh()
            w, rss = run(make_argv(out), **kw)
            if best is None or w < best[0]:
                best = (w, rss)
        return best


def line(name, secs, rss, size, packets, streams, note=""):
    print("%-44s %7.3f s %7.0f MB/s %9.0f pkt/s %8.0f str/s %6.0f MiB  %s" % (
        name, secs, size / 1e6 / secs, packets / secs, streams / secs, rss, note), flush=True)


def prepare(a, b, name, args):
    """Generates capture name (once), reads it into the page cache and ingests it once:
    (path, size, store, store.json)."""
    cap = os.path.join(a.work, name + ".pcap")
    if not os.path.exists(cap):
        t0 = time.monotonic()
        run([GENCAP, "--out", os.path.join(a.work, name), "--no-truth", "--quiet"] + args)
        print("generated %s in %.1f s" % (cap, time.monotonic() - t0), flush=True)
    with open(cap, "rb") as f:
        while f.read(1 << 24):
            pass
    ref = b.fresh()
    run([SV, "ingest", "-q", "-o", ref, cap])
    return cap, os.path.getsize(cap), ref, json.load(open(os.path.join(ref, "store.json")))


def dissect_scaling(a, b, cap_spec, threads, two):
    """ingest -j N with and without dissection on one capture."""
    name, args = cap_spec
    cap, size, ref, meta = prepare(a, b, name, args)
    packets = meta["totals"]["read"]["packets"]
    streams = meta["nodes"][0]["streams"]
    print("== %s: %d bytes, %d packets, %d streams, %d entries" % (
        name, size, packets, streams, meta["nodes"][0]["entries"]), flush=True)
    ix = sum(s["bytes"] for s in meta["segments"])
    print("index: %d bytes in %d segments, %.2f%% of the capture" % (
        ix, len(meta["segments"]), 100.0 * ix / size), flush=True)
    if os.path.exists(IXBENCH):
        out = subprocess.run([IXBENCH, ref, "5"], capture_output=True, text=True).stdout
        print("index scan and decode, one core: " + out.strip(), flush=True)
    for j in threads:
        cpus = two if j == 2 else None
        tag = " (2 cpus)" if j == 2 else ""
        sp = b.best(lambda o: [SV, "ingest", "-q", "-j", str(j), "--no-dissect", "-o", o, cap],
                    cpus=cpus)
        line("ingest -j %d --no-dissect%s" % (j, tag), sp[0], sp[1], size, packets, streams)
        ds = b.best(lambda o: [SV, "ingest", "-q", "-j", str(j), "-o", o, cap], cpus=cpus)
        line("ingest -j %d%s" % (j, tag), ds[0], ds[1], size, packets, streams,
             "%.2fx split only" % (ds[0] / sp[0]))
    return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", default=os.path.join(TOP, "bench-out"))
    ap.add_argument("--threads", default="1,2,4,8,16")
    ap.add_argument("--quick", action="store_true", help="small captures (a smoke test)")
    ap.add_argument("--dissect", action="store_true",
                    help="ingest with and without dissection on the 1 GiB capture only")
    a = ap.parse_args()
    threads = [int(t) for t in a.threads.split(",") if int(t) <= max(NCPU, 2)]
    os.makedirs(a.work, exist_ok=True)
    b = Bench(a.work)
    two = {0, 1} if NCPU >= 2 else None
    caps = [("big", ["--bytes", "64M" if a.quick else "1G", "--seed", "1"]),
            ("many", ["--mix", "dns=95,redis=5", "--bytes", "32M" if a.quick else "400M",
                      "--seed", "1"])]
    print("cpus: %d; streamvault: %s" % (NCPU, SV), flush=True)
    if a.dissect:
        return dissect_scaling(a, b, caps[0], threads, two)
    for name, args in caps:
        cap, size, ref, meta = prepare(a, b, name, args)
        packets = meta["totals"]["read"]["packets"]
        streams = meta["nodes"][0]["streams"]
        print("== %s: %d bytes, %d packets, %d streams" % (name, size, packets, streams),
              flush=True)
        td2 = b.best(lambda o: [TCPDUMP, "-Z", "root", "-r", cap, "-w", "/dev/null"], cpus=two)
        line("tcpdump -r X -w /dev/null (2 cpus)", td2[0], td2[1], size, packets, streams)
        tdn = b.best(lambda o: [TCPDUMP, "-Z", "root", "-r", cap, "-w", "/dev/null"])
        line("tcpdump -r X -w /dev/null", tdn[0], tdn[1], size, packets, streams)
        base = None
        for j in threads:
            cpus = two if j == 2 else None
            r = b.best(lambda o: [SV, "ingest", "-q", "-j", str(j), "--no-dissect", "-o", o,
                                  cap], cpus=cpus)
            base = base or r[0]
            note = "%.2fx tcpdump%s, speed-up %.2f" % (
                r[0] / (td2[0] if j == 2 else tdn[0]), " (2 cpus)" if j == 2 else "",
                base / r[0])
            line("ingest --no-dissect -j %d%s" % (j, " (2 cpus)" if j == 2 else ""),
                 r[0], r[1], size, packets, streams, note)
        # determinism at the extremes
        o1, on = b.fresh(), b.fresh()
        run([SV, "ingest", "-q", "-j", "1", "-o", o1, cap])
        run([SV, "ingest", "-q", "-j", str(max(threads)), "-o", on, cap])
        # (with dissection and the index, which --dissect times)
        same = subprocess.run(["diff", "-rq", o1, on], stdout=subprocess.DEVNULL).returncode == 0
        print("-j 1 and -j %d stores byte-identical: %s" % (max(threads), same), flush=True)
        # layout files vs the file-creation floor, both on 2 cpus
        sizes = subprocess.run([SV, "streams", "--json", ref], check=True,
                               stdout=subprocess.PIPE).stdout
        sizes_file = os.path.join(a.work, name + ".sizes")
        with open(sizes_file, "w") as f:
            for s in json.loads(sizes):
                f.write("%d\n" % s["file_bytes"])
        fl = b.best(lambda o: [FLOOR, o, "2"], cpus=two, stdin=sizes_file)
        line("file-per-stream floor (2 threads, 2 cpus)", fl[0], fl[1], size, packets, streams)
        lf = b.best(lambda o: [SV, "ingest", "-q", "-j", "2", "--no-dissect", "--layout", "files",
                               "-o", o, cap], cpus=two)
        line("ingest --no-dissect -j 2 --layout files", lf[0], lf[1], size, packets, streams,
             "%.2fx floor" % (lf[0] / fl[0]))
    # a million streams, open files bounded
    mcap = os.path.join(a.work, "million.pcap")
    if not os.path.exists(mcap):
        run([GENCAP, "--out", os.path.join(a.work, "million"), "--mix", "dns=100",
             "--streams", "100000" if a.quick else "1000000", "--seed", "2", "--no-truth",
             "--quiet"])
    for layout in ("packed", "files"):
        o = b.fresh()
        try:
            w, rss = run([SV, "ingest", "-q", "-j", str(max(threads)), "--no-dissect",
                          "--layout", layout, "-o", o, mcap], nofile=256)
            meta = json.load(open(os.path.join(o, "store.json")))
            print("million-stream capture, ulimit -n 256, --layout %s: ok, %d streams, "
                  "%.2f s, %.0f MiB" % (layout, meta["nodes"][0]["streams"], w, rss), flush=True)
        except RuntimeError as e:
            print("million-stream capture, ulimit -n 256, --layout %s: FAILED %s" % (layout, e))
    return 0


if __name__ == "__main__":
    sys.exit(main())
