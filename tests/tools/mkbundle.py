#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Writes a bundle (tar.gz) member by member, hostile ones included, for tests/bundle_ingest.sh.

mkbundle.py OUT [options] MEMBER... [-- ANYTHING]   (what follows -- is not read)
mkbundle.py --batch FILE   one bundle per paragraph of FILE: OUT, then the options and
                           members, one argument per line (one start-up for many bundles)

MEMBER:
  file:NAME=SRC        a regular file with SRC's bytes
  text:NAME=TEXT       a regular file holding TEXT
  dir:NAME             a directory
  symlink:NAME=TARGET  a symbolic link
  hardlink:NAME=TARGET a hard link
  chr:NAME             a character device (1,3)
  fifo:NAME            a fifo
  huge:NAME=SIZE       a header declaring SIZE bytes (GNU base-256 size field) followed by
                       16 bytes of data: the tar claims SIZE while the file is tiny

Options:
  --no-manifest        no content.json (a Kubeshark export)
  --bad-sha NAME       content.json gives NAME a wrong sha256
  --bad-size NAME      content.json gives NAME one byte more
  --list NAME          content.json lists NAME, which the bundle does not hold
  --unlist NAME        content.json does not list NAME
  --plain              an uncompressed tar
  --node DIR=NAME,IP   content.json maps directory DIR to node NAME with IP (default: DIR
                       split at its last '_')

content.json, when written, is the last member: format streamvault-bundle/1, a node per
top-level directory (split at its last '_'), and every regular file's sha256 and size.
"""
import gzip
import hashlib
import io
import json
import sys
import tarfile


def header(ti):
    return ti.tobuf(tarfile.GNU_FORMAT, "utf-8", "surrogateescape")


def pad(data):
    return data + b"\0" * (-len(data) % 512)


def build(argv):
    out = argv[1]
    manifest = True
    bad_sha, bad_size, extra, unlist = set(), set(), [], set()
    plain = False
    nodemap = {}
    members = []
    i = 2
    while i < len(argv):
        a = argv[i]
        if a == "--":
            break
        if a == "--no-manifest":
            manifest = False
        elif a == "--plain":
            plain = True
        elif a == "--node":
            i += 1
            d, _, v = argv[i].partition("=")
            nodemap[d] = v.split(",", 1)
        elif a in ("--bad-sha", "--bad-size", "--list", "--unlist"):
            i += 1
            {"--bad-sha": bad_sha.add, "--bad-size": bad_size.add, "--list": extra.append,
             "--unlist": unlist.add}[a](argv[i])
        else:
            kind, _, rest = a.partition(":")
            name, _, val = rest.partition("=")
            members.append((kind, name, val))
        i += 1

    tar = io.BytesIO()
    files = {}
    dirs = []
    for kind, name, val in members:
        ti = tarfile.TarInfo(name)
        ti.mtime = 1700000000
        ti.mode = 0o644
        data = b""
        if kind in ("file", "text"):
            data = open(val, "rb").read() if kind == "file" else val.encode()
            ti.size = len(data)
            files[name] = data
        elif kind == "dir":
            ti.type = tarfile.DIRTYPE
            ti.mode = 0o755
        elif kind == "symlink":
            ti.type = tarfile.SYMTYPE
            ti.linkname = val
        elif kind == "hardlink":
            ti.type = tarfile.LNKTYPE
            ti.linkname = val
        elif kind == "chr":
            ti.type = tarfile.CHRTYPE
            ti.devmajor, ti.devminor = 1, 3
        elif kind == "fifo":
            ti.type = tarfile.FIFOTYPE
        elif kind == "huge":
            ti.size = int(val)
            data = b"tiny but claims more"[:16]
        else:
            sys.exit("mkbundle.py: unknown member kind %r" % kind)
        top = name.split("/")[0]
        if "/" in name and top not in dirs:
            dirs.append(top)
        tar.write(header(ti))
        tar.write(pad(data))

    if manifest:
        listed = {}
        for name, data in files.items():
            if name in unlist:
                continue
            sha = hashlib.sha256(data).hexdigest()
            if name in bad_sha:
                sha = hashlib.sha256(data + b"x").hexdigest()
            listed[name] = {"sha256": sha, "bytes": len(data) + (1 if name in bad_size else 0)}
        for name in extra:
            listed[name] = {"sha256": hashlib.sha256(b"").hexdigest(), "bytes": 0}
        nodes = []
        for d in dirs:
            nm, _, ip = d.rpartition("_")
            nm, ip = nodemap.get(d, (nm or d, ip if nm else ""))
            nodes.append({"name": nm, "ip": ip, "dir": d})
        doc = {"format": "streamvault-bundle/1", "tool": "mkbundle.py", "version": "1",
               "created": "2024-06-01T10:00:00Z", "query": "", "window": None,
               "nodes": nodes, "files": listed}
        data = (json.dumps(doc, indent=2) + "\n").encode()
        ti = tarfile.TarInfo("content.json")
        ti.mtime = 1700000000
        ti.size = len(data)
        tar.write(header(ti))
        tar.write(pad(data))
    tar.write(b"\0" * 1024)
    raw = tar.getvalue()
    with open(out, "wb") as f:
        f.write(raw if plain else gzip.compress(raw, mtime=0))


def main(argv):
    if len(argv) == 3 and argv[1] == "--batch":
        for para in open(argv[2]).read().split("\n\n"):
            args = [a for a in para.split("\n") if a != ""]
            if args:
                build(["mkbundle.py"] + args)
    else:
        build(argv)


if __name__ == "__main__":
    main(sys.argv)
