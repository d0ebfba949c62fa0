#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Writes a classic PCAP of one HTTP/1.1 keep-alive connection of N exchanges.

    mkkeepalive.py OUT.pcap N

10.0.0.2:40000 to 10.0.1.1:80: the handshake, then N times "GET /item/<i>" and
"HTTP/1.1 200 OK" with a 2-byte body, one packet a millisecond from
2024-06-01T10:00:00Z, then FIN both ways. One stream of N entries: one bucket's
index segment of several blocks (a block holds at most 8192 rows).
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pcapw import tcp_frame, write_pcap  # noqa: E402


def main():
    if len(sys.argv) != 3 or not sys.argv[2].isdigit():
        sys.stderr.write(__doc__)
        return 2
    out, n = sys.argv[1], int(sys.argv[2])
    c, s = ("10.0.0.2", 40000), ("10.0.1.1", 80)
    packets = []
    t = [1717236000000000]      # microseconds
    seq = {c: 999, s: 4999}     # the initial sequence numbers

    def seg(a, b, flags, data=b""):
        t[0] += 1000
        ack = 0 if flags == 0x02 else seq[b]
        packets.append((t[0], tcp_frame(a[0], b[0], a[1], b[1], seq[a], ack, flags, data)))
        seq[a] += len(data) + (1 if flags & 0x03 else 0)   # SYN and FIN take one

    seg(c, s, 0x02)
    seg(s, c, 0x12)
    seg(c, s, 0x10)
    for i in range(n):
        seg(c, s, 0x18, b"GET /item/%d HTTP/1.1\r\nHost: a\r\n\r\n" % i)
        seg(s, c, 0x18, b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
    seg(c, s, 0x11)
    seg(s, c, 0x11)
    seg(c, s, 0x10)
    write_pcap(out, packets)
    return 0


if __name__ == "__main__":
    sys.exit(main())
