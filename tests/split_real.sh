#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Split every real capture in testdata/ and check, against TShark's view of the same
# file: TCP and UDP stream counts (tcp.stream / udp.stream), packets read, and that the
# streams plus other.pcap hold exactly the input's packets (md5 of each packet's bytes,
# its time and lengths, compared as multisets). Every extracted stream must open in
# libpcap and in wiretap (capinfos) without an error. The sanitizer build runs our own
# checks only (tests/lib.sh, peer_rechecks): the plain build runs tshark over the same bytes.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

EXC="$TD/stream-count-exceptions.tsv"

tail -n +2 "$TD/real.tsv" | while IFS='	' read -r file packets tcp udp readerr; do
    f="$TD/$file"
    s="$TMP/store-$file"
    x="$TMP/x-$file"
    want_rc=0
    [ -n "$readerr" ] && want_rc=3
    "$SV" ingest -q -j 2 -o "$s" "$f" >"$TMP/ingest.out" 2>&1
    rc=$?
    t_is "$file: ingest exit status" "$rc" "$want_rc"
    # times past classic PCAP's 32-bit seconds are said, for the one file that has them
    if [ "$file" = ws_dhcp_big_endian.pcapng ]; then
        t_is "$file: a warning says its times are past what PCAP holds" "$(cat "$TMP/ingest.out")" \
            "streamvault: warning: $f: 4 packets timed after 2106-02-07T06:28:15Z, which a classic PCAP stream file cannot hold: their times there are wrong"
    else
        t_is "$file: no warning about times" "$(grep -c 'timed after 2106' "$TMP/ingest.out")" 0
    fi
    if [ ! -f "$s/store.json" ]; then
        t_not_ok "$file: store written"
        continue
    fi
    exc=$(awk -F'\t' -v f="$file" '$1 == f { print $2 " " $3 }' "$EXC")
    if [ -n "$exc" ]; then
        # the difference is the UDP timeout alone: without it, tshark's counts hold
        "$SV" ingest -q -j 2 --udp-timeout 100000d -o "$s-notimeout" "$f" >/dev/null 2>&1
        t_is "$file: tcp/udp streams as tshark without the UDP timeout" \
            "$(jget "$s-notimeout/store.json" '"\(.nodes[0].tcp_streams) \(.nodes[0].udp_streams)"')" "$tcp $udp"
        rm -rf "$s-notimeout"
        tcp=${exc% *}
        udp=${exc#* }
    fi
    t_is "$file: tcp/udp streams as tshark${exc:+ (with the documented UDP-timeout split)}" \
        "$(jget "$s/store.json" '"\(.nodes[0].tcp_streams) \(.nodes[0].udp_streams)"')" "$tcp $udp"
    t_is "$file: packets read = tshark's, none unaccounted" \
        "$(jget "$s/store.json" '"\(.totals.read.packets) \(.totals.unaccounted.packets) \(.totals.unaccounted.bytes)"')" \
        "$packets 0 0"
    "$SV" streams --extract "$x" --with-other "$s" >/dev/null 2>&1
    nfiles=$(find "$x" -type f | wc -l)
    t_is "$file: one file per stream plus other.pcap" "$nfiles" \
        "$(($(jget "$s/store.json" '.nodes[0].streams') + 1))"
    # libpcap reads pcapng only when all its interfaces share one link type: streams whose
    # packets came on interfaces of different link types (pcapng) are checked in wiretap
    "$SV" streams --json "$s" | jq -r '.[] | select(.format == "pcap") | .file' >"$TMP/pcapfiles"
    npcapng=$("$SV" streams --json "$s" | jq '[.[] | select(.format == "pcapng")] | length')
    (cd "$x" && { echo other.pcap; cat "$TMP/pcapfiles"; } | xargs "$PCAPHASH" -c) >"$TMP/counts" 2>"$TMP/pcaperr"
    t_is "$file: every PCAP stream and other.pcap open in libpcap (${npcapng} pcapng)" \
        "$(cat "$TMP/pcaperr")$(wc -l <"$TMP/counts")" "$(($(wc -l <"$TMP/pcapfiles") + 1))"
    if ! peer_rechecks; then
        rm -rf "$s" "$x"
        continue
    fi
    t_run "$file: every stream opens in wiretap" capinfos -c "$x"/*
    mergecap -F pcapng -w "$TMP/merged.pcapng" "$x"/* 2>"$TMP/merge.err"
    t_is "$file: mergecap reads every stream without a message" "$(cat "$TMP/merge.err")" ""
    tshark -r "$TMP/merged.pcapng" -q 2>&1 >/dev/null | grep -v '^Running as user' >"$TMP/tshark.err"
    t_is "$file: tshark reads the streams without a warning" "$(cat "$TMP/tshark.err")" ""
    tshark_packets "$f" | sort >"$TMP/in.txt"
    tshark_packets "$TMP/merged.pcapng" | sort >"$TMP/out.txt"
    if [ "$file" = ws_dhcp_big_endian.pcapng ]; then
        # its packets claim to be 4.7e12 s (150,000 years) after 1970: past 2554, the
        # reach of a 64-bit nanosecond time, and past classic PCAP's 32-bit seconds.
        # Compare bytes and lengths only; docs/FORMAT.md says what such times become.
        cut -f1,3- "$TMP/in.txt" | sort >"$TMP/in2.txt" && mv "$TMP/in2.txt" "$TMP/in.txt"
        cut -f1,3- "$TMP/out.txt" | sort >"$TMP/out2.txt" && mv "$TMP/out2.txt" "$TMP/out.txt"
    fi
    if cmp -s "$TMP/in.txt" "$TMP/out.txt" && [ -s "$TMP/in.txt" -o "$packets" = 0 ]; then
        t_ok "$file: streams + other.pcap hold exactly the input's packets"
    else
        t_not_ok "$file: streams + other.pcap hold exactly the input's packets"
        diff "$TMP/in.txt" "$TMP/out.txt" | head -n 10 | sed 's/^/# /'
    fi
    rm -rf "$s" "$x"
done > "$TMP/tap"
cat "$TMP/tap"
n=$(grep -c '^\(not \)\?ok' "$TMP/tap")
echo "1..$n"
! grep -q '^not ok' "$TMP/tap"
