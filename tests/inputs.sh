#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Several inputs are one packet sequence, read in the order given, and time may step back
# from one to the next (captures of other days, other nodes' clocks): each capture's
# streams must come out as they do when it is ingested alone. Stream idleness is measured
# at each packet's own time, so the flows of the newer packets are not idle and the older
# packets' flows do not look idle for hours. The interfaces of one capture may keep different
# clocks: a packet's time measures the idleness of the flows of its own interface only.
# A stream over inputs of different snaplens says the largest; a datagram cut by the
# snaplen is dissected as far as it goes.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

# newest first: Redis (2019), HTTP/2 after an h2c upgrade (2015), DNS (2004)
set -- zeek_redis_pipelining-example.pcap ws_http2-h2c-upgrade.pcap ws_dns.cap
sum=0
for f in "$@"; do
    "$SV" ingest -q -o "$TMP/one" "$TD/$f"
    sum=$((sum + $(jget "$TMP/one/store.json" .nodes[0].streams)))
    "$SV" streams --extract "$TMP/x.$f" "$TMP/one" >/dev/null
    rm -rf "$TMP/one"
done
(cd "$TD" && "$SV" ingest -q -o "$TMP/all" "$@")
t_is "newest first: as many streams as the captures alone" \
    "$(jget "$TMP/all/store.json" .nodes[0].streams)" "$sum"
"$SV" streams --extract "$TMP/x.all" "$TMP/all" >/dev/null
# the same stream files, whatever their ids
for f in "$@"; do
    (cd "$TMP/x.$f" && sha256sum 0*.pcap | cut -d' ' -f1)
done | sort >"$TMP/alone"
(cd "$TMP/x.all" && sha256sum 0*.pcap | cut -d' ' -f1) | sort >"$TMP/together"
t_is "newest first: one stream file each" "$(wc -l <"$TMP/together")" "$sum"
t_run "newest first: the same stream files as the captures alone" cmp "$TMP/alone" "$TMP/together"
t_is "newest first: the h2c upgrade still gives its two paired entries" \
    "$("$SV" query "$TMP/all" 'http' -f csv -F request.path,response.status)" \
    "$(printf 'request.path,response.status\r\n/robots.txt,200\r\n/humans.txt,404\r')"

# two captures of the same ten minutes, one after the other (two interfaces' files of one
# host, say): time steps back at the second. The flows of the first still open at its end
# led the idle lists, never idle at the second's times, so none of the second's flows
# behind them was ever ended: 20,000 DNS exchanges each, with 1 MiB to buffer streams,
# spilled 18,484 streams to files of their own (and a 1 GiB capture twice took 3.5 GB).
GENCAP="$top_builddir/tests/tools/gencap"
"$GENCAP" --out "$TMP/ov1" --streams 20000 --mix dns=100 --seed 1 --no-truth --quiet
"$GENCAP" --out "$TMP/ov2" --streams 20000 --mix dns=100 --seed 2 --no-truth --quiet
"$SV" ingest -q --no-dissect --memcap 1M -o "$TMP/ov" "$TMP/ov1.pcap" "$TMP/ov2.pcap"
t_is "two captures of the same span: their streams, none spilled to a file of its own" \
    "$(jget "$TMP/ov/store.json" .nodes[0].streams) $(find "$TMP/ov/nodes/local" -path '*/streams/*' -type f | wc -l)" \
    "40000 0"
rm -rf "$TMP/ov"

# oldest first gives the same streams (ids in another order)
(cd "$TD" && "$SV" ingest -q -o "$TMP/rev" ws_dns.cap ws_http2-h2c-upgrade.pcap \
    zeek_redis_pipelining-example.pcap)
"$SV" streams --extract "$TMP/x.rev" "$TMP/rev" >/dev/null
(cd "$TMP/x.rev" && sha256sum 0*.pcap | cut -d' ' -f1) | sort >"$TMP/rev.sums"
t_run "oldest first: the same stream files" cmp "$TMP/alone" "$TMP/rev.sums"

# a link type streamvault does not decode (147, DLT_USER0): every packet in other.pcap, said
if t_have python3; then
    python3 -c '
import struct, sys
d = bytearray(open(sys.argv[1], "rb").read())
le = d[:4] == b"\xd4\xc3\xb2\xa1"
d[20:24] = struct.pack("<I" if le else ">I", 147)
open(sys.argv[2], "wb").write(d)' "$TD/ppp_linktype_ipv4.pcap" "$TMP/user0.pcap"
    "$SV" ingest -q -o "$TMP/user0" "$TMP/user0.pcap" 2>"$TMP/err"
    n=$(jq .totals.read.packets "$TMP/user0/store.json")
    t_is "an undecoded link type: every packet in other.pcap, and a warning says so" \
        "$(jq .totals.other.packets "$TMP/user0/store.json") $(cat "$TMP/err")" \
        "$n streamvault: warning: $TMP/user0.pcap: $n packets of link type 147, which streamvault does not decode: they are in other.pcap"
    # a link-type field with an FCS length (0x24000001: Ethernet, 4-byte FCS) is kept whole
    python3 -c '
import struct, sys
ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 40, 0, 0x4000, 64, 6, 0, bytes([10, 0, 0, 1]),
                 bytes([10, 0, 0, 2]))
tcp = struct.pack("!HHIIBBHHH", 1000, 80, 1, 0, 0x50, 0x02, 65535, 0, 0)
fr = b"\x02" * 6 + b"\x04" * 6 + b"\x08\x00" + ip + tcp + b"\xde\xad\xbe\xef"
open(sys.argv[1], "wb").write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 0x24000001)
                              + struct.pack("<IIII", 1700000000, 0, len(fr), len(fr)) + fr)' \
        "$TMP/fcs.pcap"
    "$SV" ingest -q -o "$TMP/fcs" "$TMP/fcs.pcap" &&
        "$SV" streams --extract "$TMP/fcs-x" "$TMP/fcs" >/dev/null
    t_is "a link-type field with an FCS length: the stream file's is the input's" \
        "$(od -An -tx1 -j 20 -N 4 "$TMP/fcs-x/000000000001.pcap" | tr -d ' ')" "01000024"
    # a pcapng whose second interface keeps a clock two hours ahead (if_tsoffset 7200), its
    # packets interleaved with the first's: a UDP stream on either, each 4 packets 1 ms apart
    python3 -c '
import struct, sys
def blk(t, body):
    body += bytes(-len(body) % 4)
    return struct.pack("<II", t, 12 + len(body)) + body + struct.pack("<I", 12 + len(body))
def udp(src, dst):
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 29, 0, 0, 64, 17, 0, bytes(src), bytes(dst))
    return b"\x02" * 6 + b"\x04" * 6 + b"\x08\x00" + ip + struct.pack("!HHHH", 5000, 53, 9, 0) + b"q"
out = blk(0x0a0d0d0a, struct.pack("<IHHq", 0x1a2b3c4d, 1, 0, -1))
out += blk(1, struct.pack("<HHI", 1, 0, 0))
out += blk(1, struct.pack("<HHI", 1, 0, 0) + struct.pack("<HHq", 14, 8, 7200) + bytes(4))
for i in range(4):
    for ifc, hosts in ((0, ([10, 0, 0, 1], [10, 0, 0, 2])), (1, ([10, 0, 0, 3], [10, 0, 0, 4]))):
        us = 1700000000000000 + i * 1000
        d = udp(*hosts)
        out += blk(6, struct.pack("<IIIII", ifc, us >> 32, us & 0xffffffff, len(d), len(d)) + d)
open(sys.argv[1], "wb").write(out)' "$TMP/clocks.pcapng"
    "$SV" ingest -q -o "$TMP/clocks" "$TMP/clocks.pcapng"
    t_is "interfaces with clocks two hours apart, interleaved: one stream each, none cut" \
        "$("$SV" streams --json "$TMP/clocks" | jq -r '[.[].packets] | join(" ")')" "4 4"
    # one UDP stream over two inputs whose snaplens differ (1000, then 65535): its file
    # says the larger, whether it was written at its end (packed) or written early as a
    # file of its own (past --pack-threshold) and its header patched at its end
    python3 -c '
import struct, sys
def udp(n):
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 28 + n, 0, 0, 64, 17, 0, bytes([10, 0, 0, 1]),
                     bytes([10, 0, 0, 2]))
    return b"\x02" * 6 + b"\x04" * 6 + b"\x08\x00" + ip + struct.pack("!HHHH", 4000, 9999, 8 + n, 0) + bytes(n)
for path, snap, t0 in ((sys.argv[1], 1000, 0), (sys.argv[2], 65535, 20)):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, snap, 1))
        for i in range(20):
            d, us = udp(500), 1700000000000000 + (t0 + i) * 1000
            f.write(struct.pack("<IIII", us // 1000000, us % 1000000, len(d), len(d)) + d)' \
        "$TMP/snap1000.pcap" "$TMP/snap65535.pcap"
    "$SV" ingest -q -o "$TMP/sn-p" "$TMP/snap1000.pcap" "$TMP/snap65535.pcap"
    "$SV" ingest -q --pack-threshold 4K -o "$TMP/sn-f" "$TMP/snap1000.pcap" "$TMP/snap65535.pcap"
    "$SV" streams --extract "$TMP/sn-px" "$TMP/sn-p" >/dev/null
    "$SV" streams --extract "$TMP/sn-fx" "$TMP/sn-f" >/dev/null
    t_is "snaplens 1000 then 65535: one stream, packed / in a file of its own" \
        "$("$SV" streams --json "$TMP/sn-p" | jq -r '.[] | "\(.stored) \(.packets)"') $("$SV" streams --json "$TMP/sn-f" | jq -r '.[] | "\(.stored) \(.packets)"')" \
        "pack 40 file 40"
    t_is "... its file says snaplen 65535 either way, and is the same file" \
        "$(od -An -tu4 -j 16 -N 4 "$TMP/sn-fx/000000000001_udp.pcap" | tr -d ' ') $(cmp "$TMP/sn-px/000000000001_udp.pcap" "$TMP/sn-fx/000000000001_udp.pcap" && echo same)" \
        "65535 same"
    # a DNS query cut by the snaplen (80 of its 107 bytes): the entry keeps what the cut
    # left (the id, the flags), says truncated, and counts the 65 bytes the UDP header gives
    python3 -c '
import struct, sys
q = b"".join(bytes([len(p)]) + p.encode() for p in "a-rather-long-service-name.ns.svc.cluster.local".split("."))
dns = struct.pack("!HHHHHH", 0x1234, 0x0100, 1, 0, 0, 0) + q + b"\0" + struct.pack("!HH", 1, 1)
ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 28 + len(dns), 0, 0, 64, 17, 0, bytes([10, 0, 0, 1]), bytes([10, 0, 0, 53]))
d = b"\x02" * 6 + b"\x04" * 6 + b"\x08\x00" + ip + struct.pack("!HHHH", 5353, 53, 8 + len(dns), 0) + dns
with open(sys.argv[1], "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 80, 1))
    f.write(struct.pack("<IIII", 1700000000, 0, 80, len(d)) + d[:80])' "$TMP/cutdns.pcap"
    "$SV" ingest -q -o "$TMP/cutdns" "$TMP/cutdns.pcap"
    t_is "a DNS query cut by the snaplen: id, flags, truncated, the UDP header's size" \
        "$("$SV" query "$TMP/cutdns" '' --format ndjson | jq -c '[.protocol.name, .request.id, .request.flags.rd, .request.questions, .requestSize, .anomalies]')" \
        '["dns",4660,true,[],65,["truncated","no_response"]]'
else
    t_skip "python3 is needed"
fi
t_done
