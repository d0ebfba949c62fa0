#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Random KFL queries: the index plan against SV_QUERY_PLAN=0, both against a Python reading.

Usage: kflrand.py STREAMVAULT N SEED STORE...

Harvests every field path and value of the STOREs' entries (`query STORES ''
--format ndjson --bodies`) and draws N queries from them (SEED makes the same
ones): comparisons, in, contains/startsWith/endsWith, regexes, size(), lower(),
null, protocol names, KFL2 aliases, keys in other cases, edge values (block
boundaries, +-1, +-0.5, numeric strings, empty, unicode, long strings), joined
with and/or/not, sometimes with a time window or limit(n). Each runs with the
plan and with SV_QUERY_PLAN=0: the output must be the same bytes (ndjson; for
some, --count, -F csv and --sort with -n too), and where the Python reading
below knows every construct (docs/KFL.md's rules, not the C code), the same
entries. With KMODE=sel: graph, streams and export must select what query
selects, with and without the plan (one store: ids are not unique across stores).

Prints each difference as it is found and a summary line; exits 1 on any.
Not part of make check: a few hundred queries take minutes. Use OMP_NUM_THREADS=1
on a shared machine.
"""
import json
import math
import os
import random
import re
import subprocess
import sys

if len(sys.argv) < 5:
    sys.exit(__doc__)
SV = sys.argv[1]
N = int(sys.argv[2])
SEED = int(sys.argv[3])
STORES = sys.argv[4:]
rng = random.Random(SEED)


class Unknown(Exception):
    pass


def run(q, plan=True, extra=()):
    env = dict(os.environ)
    if not plan:
        env["SV_QUERY_PLAN"] = "0"
    r = subprocess.run([SV, "query", *STORES, *extra, "--", q], capture_output=True, env=env)
    return r.returncode, r.stdout, r.stderr


# ------------------------------------------------------------------ harvest
rc, out, err = run("", True, ("--format", "ndjson", "--bodies"))
assert rc == 0, err
ENTRIES = [json.loads(l) for l in out.decode().splitlines()]
PATHS = {}      # tuple(steps) -> list of values


def walk(v, path, depth):
    PATHS.setdefault(path, [])
    if isinstance(v, dict):
        PATHS[path].append("{obj}")
        if depth < 5:
            for k, x in v.items():
                walk(x, path + (k,), depth + 1)
    elif isinstance(v, list):
        PATHS[path].append("[arr]")
        if v and depth < 5:
            walk(v[0], path + (0,), depth + 1)
            walk(v[-1], path + (-1,), depth + 1)
    else:
        PATHS[path].append(v)


for e in ENTRIES:
    walk(e, (), 0)
del PATHS[()]
PATHLIST = sorted(PATHS, key=str)
LEAVES = [p for p in PATHLIST if any(not isinstance(x, str) or x not in ("{obj}", "[arr]")
                                     for x in PATHS[p])]

PROTOS = ["http", "http1", "http2", "grpc", "dns", "tls", "redis", "kafka", "amqp", "tcp",
          "udp", "icmp"]
ALIASES = {"status_code": ("response", "status"), "method": ("request", "method"),
           "path": ("request", "path"), "url": ("request", "url"),
           "grpc_method": ("request", "grpc", "method"),
           "grpc_service": ("request", "grpc", "service"),
           "grpc_status": ("response", "grpc", "status"), "dns_rcode": ("response", "rcode"),
           "redis_command": ("request", "command"), "redis_key": ("request", "key"),
           "kafka_api_key_name": ("request", "apiKeyName"),
           "kafka_client_id": ("request", "clientId"), "tls_sni": ("request", "sni"),
           "node_name": ("node", "name"), "src_ip": ("src", "ip"), "dst_ip": ("dst", "ip"),
           "src_port": ("src", "port"), "dst_port": ("dst", "port"),
           "src_name": ("src", "name"), "dst_name": ("dst", "name"),
           "src_namespace": ("src", "namespace"), "dst_namespace": ("dst", "namespace"),
           "src_pod": ("src", "pod", "name"), "dst_pod": ("dst", "pod", "name"),
           "src_service": ("src", "service", "name"), "dst_service": ("dst", "service", "name"),
           "request_size": ("requestSize",), "response_size": ("responseSize",),
           "request_body_size": ("request", "bodySize"),
           "response_body_size": ("response", "bodySize")}
ALIAS_OF = {v: k for k, v in ALIASES.items()}

WORD = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]*$")
KEYWORDS = {"and", "or", "not", "in", "true", "false", "nil", "null"}


def kfl_str(s):
    out = ['"']
    for ch in s:
        o = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif o < 0x20 or o == 0x7f:
            out.append("\\u%04x" % o)
        elif o > 0xffff:
            o -= 0x10000
            out.append("\\u%04x\\u%04x" % (0xd800 + (o >> 10), 0xdc00 + (o & 0x3ff)))
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def kfl_num(x):
    if isinstance(x, bool):
        return "true" if x else "false"
    if isinstance(x, int):
        return str(x)
    r = repr(x)
    return r


def casevar(k):
    c = rng.random()
    if c < 0.4:
        return k.upper()
    if c < 0.7:
        return k.lower()
    return "".join(ch.upper() if rng.random() < 0.5 else ch.lower() for ch in k)


def render_path(steps, vary):
    out = []
    for i, s in enumerate(steps):
        if isinstance(s, int):
            out.append("[%d]" % s)
            continue
        k = s
        if vary and rng.random() < 0.15 and (i > 0 or rng.random() < 0.3):
            k = casevar(k)
        if i == 0:
            out.append(k)
        elif WORD.match(k) and rng.random() < 0.7:
            out.append("." + k)
        else:
            out.append("[" + kfl_str(k) + "]")
    return "".join(out), steps


# ------------------------------------------------------------------ evaluator
def lookup(v, steps):
    for s in steps:
        if v is None:
            return None
        if isinstance(s, int):
            if isinstance(v, list):
                if -len(v) <= s < len(v):
                    v = v[s]
                else:
                    return None
            elif isinstance(v, dict):
                raise Unknown()
            else:
                return None
        else:
            if isinstance(v, dict):
                if s in v:
                    v = v[s]
                else:
                    m = [k for k in v if k.lower() == s.lower() and k.isascii()]
                    if len(m) > 1:
                        raise Unknown()
                    if not s.isascii():
                        raise Unknown()
                    v = v[m[0]] if m else None
            elif isinstance(v, list):
                return None
            else:
                return None
    return v


NUMSTR = re.compile(r"^[-+]?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$")


def isnum(x):
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def tonum(x):
    if isnum(x):
        return x
    if isinstance(x, str) and NUMSTR.match(x):
        f = float(x)
        if re.match(r"^[-+]?[0-9]+$", x) and abs(int(x)) < 2**63:
            return int(x)
        return f
    return None


def numeq(a, b):
    if isinstance(a, float) and math.isnan(a) or isinstance(b, float) and math.isnan(b):
        return False
    if isinstance(a, int) and isinstance(b, int):
        return a == b
    if isinstance(a, float) and isinstance(b, int) or isinstance(a, int) and isinstance(b, float):
        # exact comparison
        from fractions import Fraction
        try:
            return Fraction(a) == Fraction(b)
        except (OverflowError, ValueError):
            return a == b
    return a == b


def eq(a, b):
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, (dict, list)) or isinstance(b, (dict, list)):
        raise Unknown()
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isnum(a) and isnum(b):
        return numeq(a, b)
    if isnum(a) and isinstance(b, str):
        n = tonum(b)
        return n is not None and numeq(a, n)
    if isnum(b) and isinstance(a, str):
        n = tonum(a)
        return n is not None and numeq(b, n)
    if isinstance(a, str) and isinstance(b, str):
        return a.encode() == b.encode()
    return False


def order(a, b):
    """-1/0/1, or None when not ordered."""
    if a is None or b is None:
        return None
    if isinstance(a, bool) or isinstance(b, bool):
        return None
    if isnum(a) and isnum(b):
        if (isinstance(a, float) and math.isnan(a)) or (isinstance(b, float) and math.isnan(b)):
            return None
        from fractions import Fraction
        try:
            fa, fb = Fraction(a), Fraction(b)
        except (OverflowError, ValueError):
            fa, fb = a, b
        return (fa > fb) - (fa < fb)
    if isinstance(a, str) and isinstance(b, str):
        x, y = a.encode(), b.encode()
        return (x > y) - (x < y)
    if (isnum(a) and isinstance(b, str)) or (isnum(b) and isinstance(a, str)):
        raise Unknown()
    if isinstance(a, (dict, list)) or isinstance(b, (dict, list)):
        raise Unknown()
    return None


def text(x):
    if isinstance(x, str):
        return x
    if isinstance(x, bool):
        raise Unknown()
    if isinstance(x, int):
        return str(x)
    if isinstance(x, float):
        if x.is_integer() and abs(x) < 2**53:
            return str(int(x))
        raise Unknown()
    if x is None:
        return None
    raise Unknown()


def truth(x):
    return not (x is None or x is False)


def ev(n, e):
    k = n[0]
    if k == "path":
        return lookup(e, n[1])
    if k == "proto":
        a = e["protocol"]["abbr"]
        m = {"http": ("HTTP", "HTTP/2", "gRPC"), "http1": ("HTTP",), "http2": ("HTTP/2", "gRPC"),
             "grpc": ("gRPC",), "dns": ("DNS",), "tls": ("TLS",), "redis": ("REDIS",),
             "kafka": ("KAFKA",), "amqp": ("AMQP",), "tcp": ("TCP",), "udp": ("UDP",),
             "icmp": ()}
        return a in m[n[1]]
    if k == "const":
        return n[1]
    if k == "noeval":
        raise Unknown()
    if k == "and":
        return truth(ev(n[1], e)) and truth(ev(n[2], e))
    if k == "or":
        return truth(ev(n[1], e)) or truth(ev(n[2], e))
    if k == "not":
        return not truth(ev(n[1], e))
    if k == "cmp":
        op, a, b = n[1], n[2], n[3]
        x = ev(a, e)
        if b[0] == "re":
            t = text(x) if not isinstance(x, (dict, list)) else None
            if isinstance(x, (dict, list)):
                raise Unknown()
            hit = t is not None and re.search(b[1], t) is not None
            return hit if op == "==" else not hit
        y = ev(b, e)
        if op == "==":
            return eq(x, y)
        if op == "!=":
            return not eq(x, y)
        o = order(x, y)
        if o is None:
            return False
        return {"<": o < 0, "<=": o <= 0, ">": o > 0, ">=": o >= 0}[op]
    if k == "in":
        x = ev(n[1], e)
        return any(eq(x, ev(c, e)) for c in n[2])
    if k == "call":
        fn, recv, arg = n[1], n[2], n[3]
        x = ev(recv, e)
        if fn == "matches":
            if isinstance(x, (dict, list)):
                raise Unknown()
            t = text(x)
            return t is not None and re.search(arg, t) is not None
        if isinstance(x, (dict, list)):
            raise Unknown()
        t = text(x)
        if t is None:
            return None
        if fn == "startsWith":
            return t.encode().startswith(arg.encode())
        if fn == "endsWith":
            return t.encode().endswith(arg.encode())
        if fn == "contains":
            return arg.encode() in t.encode()
        raise Unknown()
    if k == "size":
        x = ev(n[1], e)
        if isinstance(x, str):
            return len(x.encode())
        if isinstance(x, (list, dict)):
            return len(x)
        if x is None:
            return None
        raise Unknown()
    if k == "lower":
        x = ev(n[1], e)
        if isinstance(x, str):
            if len(x.encode()) > 4096:
                return x
            return "".join(c.lower() if "A" <= c <= "Z" else c for c in x)
        if x is None:
            return None
        raise Unknown()
    raise Unknown()


# ------------------------------------------------------------------ generator
SPECIAL_STR = ["", " ", "é", "日本", "GET", "get", "Get", "a" * 300, "x" * 5000, ".*", "(",
               "\\", "\"", "'", "0", "-1", "1e3", "NaN", "null", "true", "200", "+200", "200.0",
               " 200", "0x10", "\u00e9t\u00e9", "\U0001f600", "\t", "%", "/", "a\u0000b"]
SPECIAL_NUM = [0, -1, 1, 0.5, -0.5, 2**31, 2**32, 2**53, 2**53 + 1, 2**63 - 1, -2**63,
               1e300, -1e300, 1e999, 65535, 65536, 200, 404, 500]
REGEX = ["^/", "^$", ".", "^[a-z]+$", "\\d{3}", "(?i)get", "sock", "^GET$", "shop$", "[^a-z]",
         "^.{0}$", "\\.", "a|b", "^$|x", "é", "\\w+-\\w+", "^10\\.", "^api", "Token.*",
         "^Bearer ", "[A-Z]"]


def pick_value_for(p):
    vals = [v for v in PATHS.get(p, []) if not (isinstance(v, str) and v in ("{obj}", "[arr]"))]
    c = rng.random()
    if vals and c < 0.6:
        v = rng.choice(vals)
        if isinstance(v, str) and v and rng.random() < 0.25:
            r = rng.random()
            if r < 0.3:
                v = casevar(v)
            elif r < 0.6:
                v = v[:rng.randint(0, len(v))]
            else:
                v = v[rng.randint(0, len(v)):]
        if isnum(v) and rng.random() < 0.4:
            v = v + rng.choice([-1, 1, 0.5, -0.5, 0])
        if isnum(v) and rng.random() < 0.15:
            v = str(v)      # a numeric string
        return v
    nums = [v for v in vals if isnum(v)]
    if nums and c < 0.8:
        lo, hi = min(nums), max(nums)
        return rng.choice([lo, hi, lo - 1, hi + 1, lo + 0.5, hi - 0.5, (lo + hi) // 2])
    if c < 0.9:
        return rng.choice(SPECIAL_STR)
    if c < 0.95:
        return rng.choice(SPECIAL_NUM)
    return rng.choice([None, True, False])


def const_node(v):
    if v is None:
        return ("const", None), rng.choice(["null", "nil"])
    if isinstance(v, bool):
        return ("const", v), ("true" if v else "false")
    if isinstance(v, str):
        if "\u0000" in v:
            return ("const", v), kfl_str(v).replace("\\u0000", "\\0")
        return ("const", v), kfl_str(v)
    if isinstance(v, float) and math.isinf(v):
        return ("const", v), ("1e999" if v > 0 else "-1e999")
    return ("const", v), kfl_num(v)


def gen_field():
    """A field: (node, text, harvest path)."""
    c = rng.random()
    if c < 0.08:
        a = rng.choice(sorted(ALIASES))
        return ("path", ALIASES[a]), a, ALIASES[a]
    if c < 0.1:
        return ("noeval",), "elapsed_time", None
    if c < 0.35:
        p = rng.choice([("timestamp",), ("elapsedTime",), ("index",), ("requestSize",),
                        ("responseSize",), ("src", "port"), ("dst", "port"), ("src", "name"),
                        ("dst", "name"), ("src", "namespace"), ("dst", "namespace"),
                        ("src", "dns"), ("dst", "dns"), ("src", "pod", "name"),
                        ("dst", "pod", "name"), ("src", "service", "name"),
                        ("dst", "service", "name"), ("response", "status"),
                        ("request", "method"), ("request", "path")])
        txt, steps = render_path(p, rng.random() < 0.2)
        return ("path", steps), txt, p
    p = rng.choice(LEAVES if rng.random() < 0.8 else PATHLIST)
    # prefer request/response/src/dst
    if rng.random() < 0.5:
        cand = [q for q in LEAVES if q[0] in ("request", "response")]
        if cand:
            p = rng.choice(cand)
    txt, steps = render_path(p, True)
    if rng.random() < 0.03:
        # a missing path
        steps = p + ("nosuchkey",)
        txt = txt + ".nosuchkey"
    return ("path", steps), txt, p


def gen_atom():
    c = rng.random()
    if c < 0.1:
        pr = rng.choice(PROTOS)
        return ("proto", pr), pr
    f, ft, hp = gen_field()
    c = rng.random()
    if c < 0.45:
        op = rng.choice(["==", "!=", "<", "<=", ">", ">=", "==", "!="])
        v = pick_value_for(hp)
        cn, ct = const_node(v)
        if rng.random() < 0.2:
            flip = {"<": ">", ">": "<", "<=": ">=", ">=": "<="}.get(op, op)
            return ("cmp", flip, f, cn), "%s %s %s" % (ct, op, ft)
        return ("cmp", op, f, cn), "%s %s %s" % (ft, op, ct)
    if c < 0.55:
        pat = rng.choice(REGEX) if rng.random() < 0.6 else re.escape(
            str(pick_value_for(hp)))[:40]
        if "\\\"" in pat or '"' in pat or "\x00" in pat or any(ord(ch) < 32 for ch in pat):
            pat = "x"
        op = rng.choice(["==", "!="])
        return ("cmp", op, f, ("re", pat)), '%s %s r"%s"' % (ft, op, pat)
    if c < 0.7:
        fn = rng.choice(["startsWith", "endsWith", "contains"])
        v = pick_value_for(hp)
        if not isinstance(v, str):
            v = str(v) if not isinstance(v, bool) and v is not None else ""
        if "\x00" in v:
            v = "a"
        if v and rng.random() < 0.5:
            v = v[:rng.randint(0, len(v))] if fn == "startsWith" else v[rng.randint(0, len(v)):]
        return ("call", fn, f, v), "%s.%s(%s)" % (ft, fn, kfl_str(v))
    if c < 0.75:
        pat = rng.choice(REGEX)
        return ("call", "matches", f, pat), '%s.matches(r"%s")' % (ft, pat)
    if c < 0.83:
        vs = [pick_value_for(hp) for _ in range(rng.randint(1, 4))]
        cns = [const_node(v) for v in vs]
        return ("in", f, [x[0] for x in cns]), "%s in [%s]" % (ft, ", ".join(x[1] for x in cns))
    if c < 0.88:
        op = rng.choice(["==", "<", ">=", "!="])
        k = rng.choice([0, 1, 3, 10, 20, 100])
        return ("cmp", op, ("size", f), ("const", k)), "size(%s) %s %d" % (ft, op, k)
    if c < 0.92:
        v = pick_value_for(hp)
        if not isinstance(v, str):
            v = "x"
        v = v.lower()
        return ("cmp", "==", ("lower", f), ("const", v)), "%s.lower() == %s" % (ft, kfl_str(v))
    if c < 0.95:
        return ("cmp", "==", f, ("const", None)), "%s == null" % ft
    return f, ft   # bare: true unless null or false


def gen_expr(depth):
    c = rng.random()
    if depth <= 0 or c < 0.4:
        return gen_atom()
    if c < 0.7:
        a, at = gen_expr(depth - 1)
        b, bt = gen_expr(depth - 1)
        return ("and", a, b), "(%s %s %s)" % (at, rng.choice(["and", "&&"]), bt)
    if c < 0.9:
        a, at = gen_expr(depth - 1)
        b, bt = gen_expr(depth - 1)
        return ("or", a, b), "(%s %s %s)" % (at, rng.choice(["or", "||"]), bt)
    a, at = gen_expr(depth - 1)
    return ("not", a), "%s(%s)" % (rng.choice(["!", "not "]), at)


def main():
    nbad = nrun = nev = nevbad = 0
    fails = sys.stdout
    for i in range(N):
        node, q = gen_expr(rng.randint(0, 3))
        if rng.random() < 0.2:
            ts = [e["timestamp"] for e in ENTRIES]
            a = rng.choice(ts) + rng.choice([-1, 0, 1])
            b = a + rng.choice([0, 1, 5, 1000, 30000])
            node = ("and", node, ("and", ("cmp", ">=", ("path", ("timestamp",)), ("const", a)),
                                  ("cmp", "<=", ("path", ("timestamp",)), ("const", b))))
            q = "%s and timestamp >= %d and timestamp <= %d" % (q, a, b)
        if rng.random() < 0.1:
            k = rng.randint(0, 30)
            q = "%s and limit(%d)" % (q, k)
            node = ("limit", node, k)
        extra = ["--format", "ndjson"]
        a = run(q, True, extra)
        b = run(q, False, extra)
        nrun += 1
        if a != b:
            nbad += 1
            print("PLAN-DIFF: %s\n  plan rc=%d n=%d err=%s\n  json rc=%d n=%d err=%s" % (
                q, a[0], a[1].count(b"\n"), a[2][:200], b[0], b[1].count(b"\n"), b[2][:200]),
                file=fails, flush=True)
            continue
        if a[0] != 0:
            if b"query" not in a[2]:
                nbad += 1
                print("ERR: %s: %s" % (q, a[2][:300]), file=fails, flush=True)
            continue
        try:
            lim = None
            if node[0] == "limit":
                node, lim = node[1], node[2]
            want = [e["id"] for j, e in enumerate(ENTRIES) if truth(ev(node, e))]
            if lim is not None:
                want = want[:lim]
        except Unknown:
            want = None
        if want is not None:
            nev += 1
            got = [json.loads(l)["id"] for l in a[1].decode().splitlines()]
            if got != want:
                nevbad += 1
                print("EVAL-DIFF: %s\n  sv %d python %d" % (q, len(got), len(want)),
                      file=fails, flush=True)
        # the other outputs, sometimes
        if rng.random() < 0.15:
            f, ft, hp = gen_field()
            for extra in (["--count"], ["-F", "id," + ft, "-f", "csv"],
                          ["-F", "id", "-s", ft, "-n", str(rng.randint(1, 20))],
                          ["-F", "id", "-s", ft, "--desc", "-n", str(rng.randint(1, 20))]):
                a2 = run(q, True, extra)
                b2 = run(q, False, extra)
                if a2 != b2:
                    nbad += 1
                    print("PLAN-DIFF %s: %s" % (extra, q), file=fails, flush=True)
            c = run(q, True, ["--count"])[1].strip()
            if c != str(len(a[1].splitlines())).encode():
                nbad += 1
                print("COUNT-DIFF: %s (%s vs %d)" % (q, c, len(a[1].splitlines())), file=fails,
                      flush=True)
    print("seed %d: %d queries, %d plan differences; %d evaluated in python, %d differ" % (
        SEED, nrun, nbad, nev, nevbad))
    return 1 if nbad or nevbad else 0


def run_cmd(args, plan=True):
    env = dict(os.environ)
    if not plan:
        env["SV_QUERY_PLAN"] = "0"
    r = subprocess.run([SV, *args], capture_output=True, env=env)
    return r.returncode, r.stdout, r.stderr


def sel_main():
    nbad = 0
    fails = sys.stdout
    tgz = os.path.join(os.environ.get("TMPDIR", "/tmp"), "kflrand-%d.tar.gz" % os.getpid())
    for i in range(N):
        node, q = gen_expr(rng.randint(0, 3))
        r = run(q, True, ["-F", "node.name,stream", "-f", "csv"])
        if r[0] != 0:
            continue
        rows = [tuple(l.split(",")) for l in r[1].decode().replace("\r", "").splitlines()[1:]]
        streams = sorted(set(rows))
        outs = {}
        for plan in (True, False):
            g = run_cmd(["graph", "-f", "json", *STORES, "-q", q], plan)
            st = run_cmd(["streams", "--json", *STORES, "-q", q], plan)
            ex = run_cmd(["export", "--json", "--now", "1717236000", "-o", tgz, *STORES, "--", q],
                         plan)
            outs[plan] = (g, st, ex)
        if outs[True] != outs[False]:
            nbad += 1
            print("PLAN-DIFF (graph/streams/export): %s" % q, file=fails, flush=True)
        g, st, ex = outs[True]
        ge = json.loads(g[1])["entries"] if g[0] == 0 else None
        sj = json.loads(st[1]) if st[0] == 0 else None
        ej = json.loads(ex[1]) if ex[0] == 0 and ex[1] else None
        nst = len(sj) if sj is not None else None
        nex = ej["streams"] if ej else 0
        if ge != len(rows) or nst != len(streams) or nex != len(streams):
            nbad += 1
            print("SEL-DIFF: %s: query %d entries %d streams; graph %s, streams %s, export %s"
                  % (q, len(rows), len(streams), ge, nst, nex), file=fails, flush=True)
    if os.path.exists(tgz):
        os.unlink(tgz)
    print("sel seed %d: %d queries, %d differences" % (SEED, N, nbad))
    return 1 if nbad else 0


sys.exit(sel_main() if os.environ.get("KMODE") == "sel" else main())
