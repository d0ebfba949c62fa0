# SPDX-License-Identifier: BSD-2-Clause
"""Frames and classic PCAP files for the test generators (mkhttp.py, mktcp.py)."""
import struct


def checksum(b):
    """The Internet checksum of b (RFC 1071)."""
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return ~s & 0xFFFF


def tcp_frame(src, dst, sport, dport, seq, ack, flags, data=b""):
    """An Ethernet frame of an IPv4 TCP segment, checksums right."""
    addr = bytes(map(int, src.split("."))), bytes(map(int, dst.split(".")))
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 65535, 0, 0) + data
    pseudo = addr[0] + addr[1] + struct.pack("!BBH", 0, 6, len(tcp))
    tcp = tcp[:16] + struct.pack("!H", checksum(pseudo + tcp)) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0, 0x4000, 64, 6, 0, *addr)
    ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
    return b"\x02" * 6 + b"\x04" * 6 + b"\x08\x00" + ip + tcp


def write_pcap(path, packets):
    """A microsecond PCAP of Ethernet packets, each (microseconds, frame)."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for us, d in packets:
            f.write(struct.pack("<IIII", us // 1000000, us % 1000000, len(d), len(d)) + d)
