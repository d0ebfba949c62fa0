#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# IP fragments go to the stream of their datagram's first fragment, whatever their order,
# wherever the reader's batches end, and whatever headers follow an IPv6 fragment header.
# The captures are written here (tests/tools/mkfrag.py), each with the stream count and
# packets per stream that tshark's conversations give.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

if ! t_have python3; then
    t_skip "python3 is not installed"
    t_done
fi
MK="$top_srcdir/tests/tools/mkfrag.py"

# split: ingest F, then "STREAMS OTHER PACKETS-PER-STREAM..." (sorted, unique, with counts)
split() {
    rm -rf "$TMP/s"
    "$SV" ingest -q -o "$TMP/s" "$1" || echo "ingest failed: $?"
    printf '%s %s ' "$(jget "$TMP/s/store.json" .nodes[0].streams)" \
        "$(jget "$TMP/s/store.json" .totals.other.packets)"
    "$SV" streams --json "$TMP/s" | jq -r '.[].packets' | sort -n | uniq -c |
        awk '{ printf "%sx%s ", $1, $2 }'
}

# IPv6: Fragment -> UDP, Fragment -> Destination Options -> UDP, Fragment -> AH -> TCP
python3 "$MK" v6ext "$TMP/v6ext.pcap"
t_is "IPv6: every fragment with its first one, whatever header follows the fragment header" \
    "$(split "$TMP/v6ext.pcap")" "3 0 3x3 "
t_is "IPv6: each datagram's payload reaches its UDP/TCP summary once (3 packets, 100 bytes)" \
    "$("$SV" query "$TMP/s" '' -F dst.port,response.packets,response.bytes --format csv |
        tail -n +2 | tr -d '\r' | sort | tr '\n' ' ')" "6000,3,100 6001,3,100 6002,3,100 "

# IPv4 with AH (RFC 4302), as IPv6's AH above: a TCP handshake, and a UDP datagram whose
# later fragment came first (tshark: one TCP and one UDP conversation)
python3 "$MK" ah4 "$TMP/ah4.pcap"
t_is "IPv4 AH: the TCP and UDP behind it are streams, the later fragment with its first" \
    "$(split "$TMP/ah4.pcap")" "2 0 2x2 "
t_is "IPv4 AH: the streams' endpoints" \
    "$("$SV" streams --json "$TMP/s" | jq -r '.[] | "\(.id) \(.transport) \(.client.port) \(.server.port)"' |
        tr '\n' ' ')" "1 tcp 6002 80 2 udp 7000 6003 "

# 3000 datagrams of two fragments each, the later one first: one batch, many fragment keys
python3 "$MK" reversed 3000 0 "$TMP/rev.pcap"
t_is "later fragments first: every pair in its stream" "$(split "$TMP/rev.pcap")" "3000 0 3000x2 "

# the same across the reader's batch boundaries (32,768 packets): one filler packet first,
# so that pairs straddle them
python3 "$MK" reversed 20000 1 "$TMP/rev2.pcap"
t_is "later fragments first, pairs across batches: every pair in its stream" \
    "$(split "$TMP/rev2.pcap")" "20001 0 1x1 20000x2 "
t_run "... the same store at -j 1 and -j 2" sh -c "
    '$SV' ingest -q -j 1 -o '$TMP/j1' '$TMP/rev2.pcap' &&
    '$SV' ingest -q -j 2 -o '$TMP/j2' '$TMP/rev2.pcap' && diff -r '$TMP/j1' '$TMP/j2'"

# first fragments of thousands of datagrams, then their later ones: none pushed out by
# another whose key falls in the same place of the table
python3 "$MK" inorder 3000 "$TMP/inorder.pcap"
t_is "every first fragment, then every later one: every pair in its stream" \
    "$(split "$TMP/inorder.pcap")" "3000 0 3000x2 "

# a DNS answer whose later fragment came first: reassembled, paired with its query, with the
# stream's endpoints (not those of a packet without ports)
python3 "$MK" dns "$TMP/dns.pcap"
rm -rf "$TMP/s" && "$SV" ingest -q -o "$TMP/s" "$TMP/dns.pcap"
t_is "a DNS answer whose later fragment came first: one paired entry, its endpoints" \
    "$("$SV" query "$TMP/s" '' -F 'src.ip,src.port,dst.ip,dst.port,size(response.answers),anomalies' \
        --format csv | tail -n +2 | tr -d '\r')" '10.1.0.1,30000,10.200.0.53,53,4,[]'

# later fragments of what can be no TCP/UDP datagram (ICMP) go to other.pcap in their place,
# not after waiting: other.pcap keeps the capture's order
python3 "$MK" icmp 3000 "$TMP/icmp.pcap"
rm -rf "$TMP/s" "$TMP/x" && "$SV" ingest -q -o "$TMP/s" "$TMP/icmp.pcap" &&
    "$SV" streams --extract "$TMP/x" --with-other "$TMP/s" >/dev/null
t_is "ICMP fragments: other.pcap holds them all, in the capture's order" \
    "$(python3 -c '
import struct, sys
d = open(sys.argv[1], "rb").read()
o, prev, n, back = 24, 0, 0, 0
while o + 16 <= len(d):
    s, us, cl, _ = struct.unpack("<IIII", d[o:o + 16])
    t = s * 1000000 + us
    back += t < prev
    prev, n, o = t, n + 1, o + 16 + cl
print(n, back)' "$TMP/x/other.pcap")" "6000 0"

# an IP ID used again (200 s later) by another datagram between the same hosts: its later
# fragment, come first, waits for its own first fragment, not the old one's
python3 "$MK" idreuse "$TMP/idreuse.pcap"
t_is "an IP ID used again: each datagram in its stream" "$(split "$TMP/idreuse.pcap")" "2 0 2x2 "
# ... also while the old datagram's stream is still open (tshark: frames 1-5 on port 40000,
# 6-7 on 40001): the old first fragment, 121 s before, is not this later fragment's
python3 "$MK" idlive "$TMP/idlive.pcap"
t_is "an IP ID used again, its first user's stream still open: each datagram in its stream" \
    "$(split "$TMP/idlive.pcap")" "2 0 1x2 1x5 "

# a datagram whose later fragment never comes: its first fragment's bytes are dissected at
# the stream's end, and that packet counts once (was twice)
python3 "$MK" headless "$TMP/headless.pcap"
rm -rf "$TMP/s" && "$SV" ingest -q -o "$TMP/s" "$TMP/headless.pcap"
t_is "a first fragment never completed: one packet, its 40 bytes, in the UDP summary" \
    "$("$SV" query "$TMP/s" '' -F 'response.packets,response.bytes,packets.last' --format csv |
        tail -n +2 | tr -d '\r')" "2,70,1"

# a later fragment whose first one never comes goes to other.pcap
python3 "$MK" orphan "$TMP/orphan.pcap"
t_is "a later fragment without its first: other.pcap" "$(split "$TMP/orphan.pcap")" "1 1 1x2 "
t_done
