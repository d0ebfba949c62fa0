#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Writes a classic PCAP of one keep-alive HTTP/1.1 connection under an adverse condition.

    mktcp.py OUT.pcap N CONDITION

10.0.0.1:40000 asks GET /r1 ... GET /rN of 10.0.0.2:80, each answered with status
200+i and a 2-byte body, one packet a millisecond from 1700000000 s, each segment
acknowledging what the other side sent. CONDITION is one of:

  lose-2      the segment of request 2 is not in the capture (the server got it: it
              acknowledges and answers it)
  keepalive   Windows keep-alive probes (one 0x00 byte at next - 1) between requests
  ts-back     exchange 2 is stamped 1.5 ms before exchange 1 (timestamps go backwards)
  close-nofin the responses have no length ("Connection: close": their body runs to the
              close) and the capture ends before any FIN
  ack-first   request 2 in two segments, captured second one first, then the server's
              pure ACK of both (a tap's two ports), then the first
  ts-back-in  request 2 in two segments, the second stamped 6 ms before the first
  synack-again
              the SYN is sent again and answered by a SYN-ACK with another ISN, which
              the server's segments then follow
  keepalive-first
              the capture starts with a keep-alive probe of the client (no handshake)
  conflict-end
              the last request is sent again with other bytes and the capture ends
              there (no response, no FIN)
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pcapw import tcp_frame as frame, write_pcap  # noqa: E402


def main():
    out, n, cond = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    syn, ack, psh, fin = 0x02, 0x10, 0x08, 0x01
    c, s = ["10.0.0.1", 40000, 1000], ["10.0.0.2", 80, 5000]   # address, port, next seq
    packets = []
    t = [1700000000000000]     # microseconds

    def send(a, b, flags, data=b"", keep=True, at=None):
        t[0] += 1000
        if keep:
            packets.append((at if at is not None else t[0],
                            frame(a[0], b[0], a[1], b[1], a[2], b[2], flags, data)))
        a[2] = (a[2] + len(data) + (1 if flags & (syn | fin) else 0)) & 0xFFFFFFFF

    send(c, s, syn)
    packets.append((t[0] + 500, frame(s[0], c[0], s[1], c[1], s[2], c[2], syn | ack)))
    if cond == "synack-again":
        t[0] += 1000
        packets.append((t[0], frame(c[0], s[0], c[1], s[1], c[2] - 1, 0, syn)))
        s[2] = 3000000000
        packets.append((t[0] + 500, frame(s[0], c[0], s[1], c[1], s[2], c[2], syn | ack)))
    s[2] += 1
    send(c, s, ack)
    if cond == "keepalive-first":
        packets[:] = [(t[0], frame(c[0], s[0], c[1], s[1], (c[2] - 1) & 0xFFFFFFFF, s[2],
                                   ack, b"\0"))]
    for i in range(1, n + 1):
        req = b"GET /r%d HTTP/1.1\r\nHost: x\r\n\r\n" % i
        resp = b"HTTP/1.1 %d OK\r\nContent-Length: 2\r\n\r\nok" % (200 + i)
        if cond == "close-nofin":
            resp = b"HTTP/1.1 %d OK\r\nConnection: close\r\n\r\nok" % (200 + i)
        at_req = at_resp = None
        if cond == "ts-back" and i == 2:
            at_req, at_resp = t[0] - 1500, t[0] - 1000
        if cond in ("ack-first", "ts-back-in") and i == 2:
            a, b, seq0 = req[:10], req[10:], c[2]
            pa = frame(c[0], s[0], c[1], s[1], seq0, s[2], ack | psh, a)
            pb = frame(c[0], s[0], c[1], s[1], (seq0 + 10) & 0xFFFFFFFF, s[2], ack | psh, b)
            c[2] = (seq0 + len(req)) & 0xFFFFFFFF
            pack = frame(s[0], c[0], s[1], c[1], s[2], c[2], ack)
            t[0] += 3000
            if cond == "ack-first":
                packets += [(t[0] - 2000, pb), (t[0] - 1000, pack), (t[0], pa)]
            else:
                packets += [(t[0], pa), (t[0] - 6000, pb)]
        else:
            send(c, s, ack | psh, req, keep=not (cond == "lose-2" and i == 2), at=at_req)
        if cond == "conflict-end" and i == n:
            t[0] += 1000
            packets.append((t[0], frame(c[0], s[0], c[1], s[1], (c[2] - len(req)) & 0xFFFFFFFF,
                                        s[2], ack | psh, req.replace(b"/r", b"/x"))))
            break
        send(s, c, ack | psh, resp, at=at_resp)
        if cond == "keepalive":
            t[0] += 1000
            packets.append((t[0], frame(c[0], s[0], c[1], s[1], (c[2] - 1) & 0xFFFFFFFF, s[2],
                                        ack, b"\0")))
    if cond not in ("close-nofin", "conflict-end"):
        send(c, s, fin | ack)
        send(s, c, fin | ack)
        send(c, s, ack)
    write_pcap(out, packets)

if __name__ == "__main__":
    main()
