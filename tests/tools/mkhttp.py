#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Writes a classic PCAP of HTTP/1.1 exchanges whose requests a test chooses.

    mkhttp.py OUT.pcap REQUEST...

Each REQUEST is a Python bytes literal's body (escapes allowed: 'GET / HTTP/1.1\\r\\n...')
and becomes one TCP connection from 10.0.0.(2+i):(40000+i) to 10.0.1.1:80: handshake,
the request, "HTTP/1.1 200 OK" with a 2-byte body, FIN both ways; one packet a
millisecond from 2024-06-01T10:00:00Z. For bytes no real client sends (NUL, escape
sequences, "NaN" numbers) that the query's output and comparisons must survive.
"""
import ast
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pcapw import tcp_frame, write_pcap  # noqa: E402


def main():
    if len(sys.argv) < 3 or sys.argv[1].startswith("-"):
        sys.stderr.write(__doc__)
        return 2
    out, reqs = sys.argv[1], sys.argv[2:]
    packets = []
    t = [1717236000000000]     # microseconds

    def seg(src, dst, sport, dport, seq, ack, flags, data=b""):
        t[0] += 1000
        packets.append((t[0], tcp_frame(src, dst, sport, dport, seq, ack, flags, data)))

    resp = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
    for i, text in enumerate(reqs):
        req = ast.literal_eval("b'" + text.replace("'", "\\'") + "'")
        c, s, cp = "10.0.0.%d" % (i + 2), "10.0.1.1", 40000 + i
        seg(c, s, cp, 80, 1000, 0, 0x02)
        seg(s, c, 80, cp, 5000, 1001, 0x12)
        seg(c, s, cp, 80, 1001, 5001, 0x10)
        seg(c, s, cp, 80, 1001, 5001, 0x18, req)
        seg(s, c, 80, cp, 5001, 1001 + len(req), 0x18, resp)
        seg(c, s, cp, 80, 1001 + len(req), 5001 + len(resp), 0x11)
        seg(s, c, 80, cp, 5001 + len(resp), 1002 + len(req), 0x11)
        seg(c, s, cp, 80, 1002 + len(req), 5002 + len(resp), 0x10)
    write_pcap(out, packets)
    return 0


sys.exit(main())
