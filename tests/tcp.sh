#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# TCP under adverse conditions (tests/tools/mktcp.py: one keep-alive HTTP/1.1 connection
# of four exchanges): a request segment the capture lost but the server acknowledged is a
# gap at once, so the later requests still pair with their responses (tshark's pairs);
# Windows keep-alive probes are no conflict, nor the first byte of a stream picked up at
# one; with timestamps going backwards each side's end is its own last packet, never
# another exchange's; a body that runs to the close is truncated when the capture ends
# before the close; a retransmission that differs is a conflict even when nothing is
# delivered after it; a SYN-ACK sent again with another ISN restarts the server's
# direction.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

MK="$top_srcdir/tests/tools/mktcp.py"
if ! t_have python3; then
    t_skip "python3 is not installed"
    t_is "a body to the close, the capture ending before it: truncated" \
    "$(python3 "$MK" "$TMP/cn.pcap" 1 close-nofin && "$SV" ingest -q -f -o "$TMP/cn" "$TMP/cn.pcap" &&
        "$SV" query "$TMP/cn" '' -F 'response.status,response.bodySize,anomalies' -f csv | sed 1d | tr -d '\r')" \
    '201,2,"[""truncated""]"'
t_done
    exit 0
fi

# run CONDITION: the entries' path, status, anomalies, request time and end, packets
run() {
    python3 "$MK" "$TMP/$1.pcap" 4 "$1" &&
        "$SV" ingest -q -f -o "$TMP/$1" "$TMP/$1.pcap" &&
        "$SV" query "$TMP/$1" '' -F 'request.path,response.status,anomalies,times.request,times.requestEnd,times.responseEnd,packets.last' -f csv |
        sed 1d | tr -d '\r'
}

t_is "a lost request segment, acknowledged: a gap, and the later exchanges pair" "$(run lose-2)" \
    '/r1,201,[],1700000000003000000,1700000000003000000,1700000000004000000,4
,202,"[""no_request""]",,,1700000000006000000,5
/r3,203,"[""gap""]",1700000000007000000,1700000000007000000,1700000000008000000,7
/r4,204,[],1700000000009000000,1700000000009000000,1700000000010000000,9'
t_is "keep-alive probes (a 0x00 byte at next - 1): no conflict" "$(run keepalive)" \
    '/r1,201,[],1700000000003000000,1700000000003000000,1700000000004000000,4
/r2,202,[],1700000000006000000,1700000000006000000,1700000000007000000,7
/r3,203,[],1700000000009000000,1700000000009000000,1700000000010000000,10
/r4,204,[],1700000000012000000,1700000000012000000,1700000000013000000,13'
t_is "timestamps going backwards: each side ends with its own last packet" "$(run ts-back)" \
    '/r2,202,[],1700000000002500000,1700000000002500000,1700000000003000000,6
/r1,201,[],1700000000003000000,1700000000003000000,1700000000004000000,4
/r3,203,[],1700000000007000000,1700000000007000000,1700000000008000000,8
/r4,204,[],1700000000009000000,1700000000009000000,1700000000010000000,10'
t_is "a body to the close, the capture ending before it: truncated" \
    "$(python3 "$MK" "$TMP/cn.pcap" 1 close-nofin && "$SV" ingest -q -f -o "$TMP/cn" "$TMP/cn.pcap" &&
        "$SV" query "$TMP/cn" '' -F 'response.status,response.bodySize,anomalies' -f csv | sed 1d | tr -d '\r')" \
    '201,2,"[""truncated""]"'
t_is "a request's segments the wrong way round around a pure ACK of both: no gap" \
    "$(run ack-first | sed -n 2p)" '/r2,202,[],1700000000007000000,1700000000007000000,1700000000008000000,8'
t_is "a request whose second segment is stamped before its first: its end is its start" \
    "$(run ts-back-in | sed -n 2p)" '/r2,202,[],1700000000007000000,1700000000007000000,1700000000008000000,7'
t_is "a request sent again with other bytes, the capture ending there: conflict" \
    "$(run conflict-end)" \
    '/r1,201,[],1700000000003000000,1700000000003000000,1700000000004000000,4
/r2,202,[],1700000000005000000,1700000000005000000,1700000000006000000,6
/r3,203,[],1700000000007000000,1700000000007000000,1700000000008000000,8
/r4,,"[""no_response"",""conflict""]",1700000000009000000,1700000000009000000,,9'
t_is "a SYN-ACK sent again with another ISN: the server's bytes follow the last one" \
    "$(run synack-again)" \
    '/r1,201,[],1700000000004000000,1700000000004000000,1700000000005000000,6
/r2,202,[],1700000000006000000,1700000000006000000,1700000000007000000,8
/r3,203,[],1700000000008000000,1700000000008000000,1700000000009000000,10
/r4,204,[],1700000000010000000,1700000000010000000,1700000000011000000,12'
t_is "a capture that starts with a keep-alive probe: the first request is whole" \
    "$(run keepalive-first)" \
    '/r1,201,[],1700000000003000000,1700000000003000000,1700000000004000000,2
/r2,202,[],1700000000005000000,1700000000005000000,1700000000006000000,4
/r3,203,[],1700000000007000000,1700000000007000000,1700000000008000000,6
/r4,204,[],1700000000009000000,1700000000009000000,1700000000010000000,8'
t_done
