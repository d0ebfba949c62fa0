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
import struct
import sys


def checksum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return ~s & 0xFFFF


def main():
    out, reqs = sys.argv[1], sys.argv[2:]
    packets = []
    t = [1717236000000000]     # microseconds

    def seg(src, dst, sport, dport, seq, ack, flags, data=b""):
        addr = bytes(map(int, src.split("."))), bytes(map(int, dst.split(".")))
        tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 65535, 0, 0) + data
        pseudo = addr[0] + addr[1] + struct.pack("!BBH", 0, 6, len(tcp))
        tcp = tcp[:16] + struct.pack("!H", checksum(pseudo + tcp)) + tcp[18:]
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0, 0x4000, 64, 6, 0, *addr)
        ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
        t[0] += 1000
        packets.append((t[0], b"\x02" * 6 + b"\x04" * 6 + b"\x08\x00" + ip + tcp))

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
    with open(out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for us, d in packets:
            f.write(struct.pack("<IIII", us // 1000000, us % 1000000, len(d), len(d)) + d)


main()
