#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Writes captures of IP fragments for tests/fragments.sh (Ethernet, classic pcap).

  mkfrag.py v6ext OUT              three IPv6 datagrams of three fragments each, in order:
                                   Fragment -> UDP (port 6000), Fragment -> Destination
                                   Options -> UDP (6001), Fragment -> AH -> TCP (6002);
                                   100 bytes of payload each
  mkfrag.py reversed N FILLER OUT  FILLER one-packet UDP flows, then N UDP datagrams (each
                                   its own flow) of two fragments, the later one first
  mkfrag.py orphan OUT             two whole UDP datagrams of one flow, then a later
                                   fragment of a third whose first fragment never comes
  mkfrag.py inorder N OUT          N UDP datagrams of two fragments: every first fragment,
                                   then every later one
  mkfrag.py dns OUT                a DNS query, and its answer in two fragments, the later
                                   one first
  mkfrag.py icmp N OUT             N ICMP echoes of two fragments, the later one first, each
                                   followed by a UDP packet of its own flow
  mkfrag.py idreuse OUT            two UDP datagrams of one IP ID 200 s apart, the second's
                                   later fragment first
  mkfrag.py idlive OUT             as idreuse, 121 s apart, the first datagram's flow kept
                                   live by a whole datagram every 40 s in between
  mkfrag.py ah4 OUT                IPv4 with AH (RFC 4302): a TCP SYN and its SYN+ACK, then a
                                   UDP datagram (port 6003, 100 bytes) in two fragments, the
                                   later one first
  mkfrag.py headless OUT           the first fragment (40 bytes of data) of a UDP datagram
                                   whose later fragment never comes, then a whole datagram
                                   of the same flow (30 bytes)
"""
import socket
import struct
import sys

T0 = 1700000000


def udp(sport, dport, payload):
    return struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload


def tcp(sport, dport, payload):
    return struct.pack("!HHIIBBHHH", sport, dport, 1, 0, 0x50, 0x18, 65535, 0, 0) + payload


def ipv4(src, dst, proto, payload, ident=1, off8=0, more=False):
    flags = (0x2000 if more else 0) | off8
    return struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident, flags, 64, proto, 0,
                       socket.inet_aton(src), socket.inet_aton(dst)) + payload


def ipv6(src, dst, nxt, payload):
    return struct.pack("!IHBB16s16s", 0x60000000, len(payload), nxt, 64,
                       socket.inet_pton(socket.AF_INET6, src),
                       socket.inet_pton(socket.AF_INET6, dst)) + payload


def eth(payload, etype):
    return b"\x02" * 6 + b"\x04" * 6 + struct.pack("!H", etype) + payload


def write(path, frames):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i, fr in enumerate(frames):
            t = T0 * 1000000 + i * 1000
            f.write(struct.pack("<IIII", t // 1000000, t % 1000000, len(fr), len(fr)) + fr)


def v6ext(out):
    frames = []

    def frag3(first_nh, part, ident):
        for off, more, chunk in ((0, 1, part[:48]), (48, 1, part[48:96]), (96, 0, part[96:])):
            fh = struct.pack("!BBHI", first_nh, 0, off | more, ident)
            frames.append(eth(ipv6("fd00::1", "fd00::2", 44, fh + chunk), 0x86DD))

    frag3(17, udp(6000, 7000, b"R" * 100), 1)
    frag3(60, bytes([17, 0]) + b"\x01\x04\0\0\0\0" + udp(6001, 7000, b"S" * 100), 2)
    ah = bytes([6, 4, 0, 0]) + struct.pack("!II", 0x1000, 1) + b"\0" * 12
    frag3(51, ah + tcp(6002, 7000, b"T" * 100), 3)
    write(out, frames)


def reversed_pairs(n, filler, out):
    frames = []
    for i in range(filler):
        frames.append(eth(ipv4("10.9.0.1", "10.9.0.2", 17, udp(1000 + i, 9, b"f" * 20)), 0x0800))
    for i in range(n):
        src = "10.%d.%d.%d" % (1 + i // 65536, (i // 256) % 256, i % 256)
        whole = udp(20000 + i % 40000, 7000, bytes([i % 256]) * 100)
        ident = i % 65536
        frames.append(eth(ipv4(src, "10.200.0.1", 17, whole[48:], ident, 6), 0x0800))
        frames.append(eth(ipv4(src, "10.200.0.1", 17, whole[:48], ident, 0, True), 0x0800))
    write(out, frames)


def in_order(n, out):
    frames = []
    wholes = [udp(20000 + i % 40000, 7000, bytes([i % 256]) * 100) for i in range(n)]
    for i in range(n):      # every first fragment, then every later one
        src = "10.%d.%d.%d" % (1 + i // 65536, (i // 256) % 256, i % 256)
        frames.append(eth(ipv4(src, "10.200.0.1", 17, wholes[i][:48], i % 65536, 0, True), 0x0800))
    for i in range(n):
        src = "10.%d.%d.%d" % (1 + i // 65536, (i // 256) % 256, i % 256)
        frames.append(eth(ipv4(src, "10.200.0.1", 17, wholes[i][48:], i % 65536, 6), 0x0800))
    write(out, frames)


def dns_reversed(out):
    # a DNS query, then its answer in two fragments, the later one first
    q = (b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00" +
         b"\x07example\x03com\x00\x00\x01\x00\x01")
    a = (b"\x12\x34\x81\x80\x00\x01\x00\x04\x00\x00\x00\x00" +
         b"\x07example\x03com\x00\x00\x01\x00\x01" +
         b"".join(b"\xc0\x0c\x00\x01\x00\x01\x00\x00\x01\x2c\x00\x04" + bytes([93, 184, 216, k])
                  for k in range(4)))
    resp = udp(53, 30000, a)
    frames = [eth(ipv4("10.1.0.1", "10.200.0.53", 17, udp(30000, 53, q), 1), 0x0800),
              eth(ipv4("10.200.0.53", "10.1.0.1", 17, resp[48:], 2, 6), 0x0800),
              eth(ipv4("10.200.0.53", "10.1.0.1", 17, resp[:48], 2, 0, True), 0x0800)]
    write(out, frames)


def icmp_reversed(n, out):
    # ICMP echo datagrams of two fragments, the later one first, between UDP packets:
    # they can have no stream, and go to other.pcap in their place
    frames = []
    for i in range(n):
        echo = b"\x08\x00\x00\x00" + struct.pack("!HH", 1, i) + b"p" * 100
        frames.append(eth(ipv4("10.0.0.1", "10.0.0.2", 1, echo[48:], 100 + i, 6), 0x0800))
        frames.append(eth(ipv4("10.0.0.1", "10.0.0.2", 1, echo[:48], 100 + i, 0, True), 0x0800))
        frames.append(eth(ipv4("10.0.0.3", "10.0.0.4", 17, udp(4000, 5000 + i, b"u" * 20)), 0x0800))
    write(out, frames)


def id_reused(out):
    # two datagrams between the same hosts with the same IP ID, 200 s apart: the first
    # in order, the second with its later fragment first
    a = udp(40000, 7000, b"a" * 100)
    b = udp(40001, 7000, b"b" * 100)
    frames = [(0, eth(ipv4("10.0.0.53", "10.0.0.1", 17, a[:48], 7777, 0, True), 0x0800)),
              (0, eth(ipv4("10.0.0.53", "10.0.0.1", 17, a[48:], 7777, 6), 0x0800)),
              (200, eth(ipv4("10.0.0.53", "10.0.0.1", 17, b[48:], 7777, 6), 0x0800)),
              (200, eth(ipv4("10.0.0.53", "10.0.0.1", 17, b[:48], 7777, 0, True), 0x0800))]
    with open(out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i, (dt, fr) in enumerate(frames):
            f.write(struct.pack("<IIII", T0 + dt, i * 1000, len(fr), len(fr)) + fr)


def id_reused_live(out):
    # as id_reused, but the first datagram's flow (port 40000) stays live in between (a
    # whole datagram every 40 s), so its stream is still open when the second comes
    a = udp(40000, 7000, b"a" * 100)
    b = udp(40001, 7000, b"b" * 100)
    frames = [(0, eth(ipv4("10.0.0.53", "10.0.0.1", 17, a[:48], 7777, 0, True), 0x0800)),
              (0, eth(ipv4("10.0.0.53", "10.0.0.1", 17, a[48:], 7777, 6), 0x0800))]
    for k in range(1, 4):
        frames.append((40 * k, eth(ipv4("10.0.0.53", "10.0.0.1", 17, udp(40000, 7000, b"k"),
                                        k), 0x0800)))
    frames += [(121, eth(ipv4("10.0.0.53", "10.0.0.1", 17, b[48:], 7777, 6), 0x0800)),
               (121, eth(ipv4("10.0.0.53", "10.0.0.1", 17, b[:48], 7777, 0, True), 0x0800))]
    with open(out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i, (dt, fr) in enumerate(frames):
            f.write(struct.pack("<IIII", T0 + dt, i * 1000, len(fr), len(fr)) + fr)


def ah4(out):
    def ah(nxt):
        return bytes([nxt, 4, 0, 0]) + struct.pack("!II", 0x1000, 1) + b"\0" * 12

    syn = struct.pack("!HHIIBBHHH", 6002, 80, 1000, 0, 0x50, 0x02, 65535, 0, 0)
    synack = struct.pack("!HHIIBBHHH", 80, 6002, 5000, 1001, 0x50, 0x12, 65535, 0, 0)
    dg = ah(17) + udp(6003, 7000, b"U" * 100)
    frames = [eth(ipv4("10.0.0.1", "10.0.0.2", 51, ah(6) + syn, 1), 0x0800),
              eth(ipv4("10.0.0.2", "10.0.0.1", 51, ah(6) + synack, 1), 0x0800),
              eth(ipv4("10.0.0.1", "10.0.0.2", 51, dg[48:], 2, 6), 0x0800),
              eth(ipv4("10.0.0.1", "10.0.0.2", 51, dg[:48], 2, 0, True), 0x0800)]
    write(out, frames)


def orphan(out):
    frames = [eth(ipv4("10.0.0.1", "10.0.0.2", 17, udp(5000, 7000, b"a" * 30), 1), 0x0800),
              eth(ipv4("10.0.0.1", "10.0.0.2", 17, udp(5000, 7000, b"b" * 30), 2), 0x0800),
              eth(ipv4("10.0.0.1", "10.0.0.2", 17, b"c" * 40, 3, 6), 0x0800)]
    write(out, frames)


def headless(out):
    first = udp(5000, 7000, b"d" * 100)[:48]
    frames = [eth(ipv4("10.0.0.1", "10.0.0.2", 17, first, 1, 0, True), 0x0800),
              eth(ipv4("10.0.0.1", "10.0.0.2", 17, udp(5000, 7000, b"e" * 30), 2), 0x0800)]
    write(out, frames)


def main(argv):
    if len(argv) == 3 and argv[1] == "v6ext":
        v6ext(argv[2])
    elif len(argv) == 5 and argv[1] == "reversed":
        reversed_pairs(int(argv[2]), int(argv[3]), argv[4])
    elif len(argv) == 3 and argv[1] == "orphan":
        orphan(argv[2])
    elif len(argv) == 3 and argv[1] == "headless":
        headless(argv[2])
    elif len(argv) == 4 and argv[1] == "inorder":
        in_order(int(argv[2]), argv[3])
    elif len(argv) == 3 and argv[1] == "idreuse":
        id_reused(argv[2])
    elif len(argv) == 3 and argv[1] == "idlive":
        id_reused_live(argv[2])
    elif len(argv) == 3 and argv[1] == "ah4":
        ah4(argv[2])
    elif len(argv) == 3 and argv[1] == "dns":
        dns_reversed(argv[2])
    elif len(argv) == 4 and argv[1] == "icmp":
        icmp_reversed(int(argv[2]), argv[3])
    else:
        sys.stderr.write(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
