#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# The same input gives byte-identical stores at any thread count, in either layout and under
# the memory cap, and the stream count and packet accounting equal the generator's ground
# truth.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

GENCAP="$top_builddir/tests/tools/gencap"
for variant in "default:--seed 3" "sll2:--seed 5 --linktype sll2 --nanosecond --ipv6 0.5 --retrans 0.005 --ooo 0.005"; do
    name=${variant%%:*}
    args=${variant#*:}
    # shellcheck disable=SC2086
    if ! "$GENCAP" --out "$TMP/g-$name" --streams 3000 --duration 120 --quiet $args; then
        t_not_ok "$name: gencap ran"
        continue
    fi
    cap="$TMP/g-$name.pcap"
    truth="$TMP/g-$name.truth.json"
    for j in 1 2 4; do
        "$SV" ingest -q -j $j -o "$TMP/s$j" "$cap"
    done
    t_run "$name: -j 1 and -j 2 stores are byte-identical" diff -r "$TMP/s1" "$TMP/s2"
    t_run "$name: -j 1 and -j 4 stores are byte-identical" diff -r "$TMP/s1" "$TMP/s4"
    t_is "$name: streams = truth (tcp udp total)" \
        "$(jget "$TMP/s1/store.json" '"\(.nodes[0].tcp_streams) \(.nodes[0].udp_streams) \(.nodes[0].streams)"')" \
        "$(jq -r '.summary | "\(.tcp_streams) \(.udp_streams) \(.streams)"' "$truth")"
    t_is "$name: packets read = truth, all in streams" \
        "$(jget "$TMP/s1/store.json" '"\(.totals.read.packets) \(.totals.streams.packets) \(.totals.unaccounted.packets)"')" \
        "$(jq -r '.summary | "\(.packets) \(.packets) 0"' "$truth")"
    # per-stream packets and first/last time, in id order, against the truth's streams
    # per stream, in id order (truth ids count from 0, ours from 1): transport, endpoints,
    # packets, bytes, first and last packet time
    "$SV" streams --json "$TMP/s1" | jq -r '.[] |
        "\(.id) \(.transport) \(.client.ip) \(.client.port) \(.server.ip) \(.server.port) \(.packets) \(.bytes) \(.first_ns) \(.last_ns)"' >"$TMP/ours"
    jq -r '.streams | sort_by(.id) | .[] |
        "\(.id + 1) \(.transport) \(.client.ip) \(.client.port) \(.server.ip) \(.server.port) \(.packets) \(.bytes) \(.first_ns) \(.last_ns)"' "$truth" >"$TMP/theirs"
    t_is "$name: streams listed" "$(wc -l <"$TMP/ours")" 3000
    t_run "$name: every stream's id, endpoints, packets, bytes and times = truth" diff "$TMP/theirs" "$TMP/ours"
    "$SV" ingest -q -j 1 --layout files -o "$TMP/f1" "$cap"
    "$SV" ingest -q -j 2 --layout files -o "$TMP/f2" "$cap"
    t_run "$name: --layout files is byte-identical at -j 1 and -j 2" diff -r "$TMP/f1" "$TMP/f2"
    # a pipe: reads of any size, the same store (but the input's name in store.json)
    python3 -c 'import random, sys
random.seed(7)
f = open(sys.argv[1], "rb")
while True:
    b = f.read(random.randint(1, 200000))
    if not b:
        break
    sys.stdout.buffer.write(b)
    sys.stdout.buffer.flush()' "$cap" | "$SV" ingest -q -j 2 -o "$TMP/sp" -
    t_run "$name: piped in writes of random sizes: nodes/ and index/ byte-identical" \
        sh -c "diff -r '$TMP/s1/nodes' '$TMP/sp/nodes' && diff -r '$TMP/s1/index' '$TMP/sp/index'"
    # batches of 5,003 packets instead of 32,768: the index groups merge their buckets'
    # entries by the events that emitted them, not batch by batch
    SV_BATCH_PACKETS=5003 "$SV" ingest -q -j 2 -o "$TMP/sb" "$cap"
    t_run "$name: batches of another size: byte-identical stores" diff -r "$TMP/s1" "$TMP/sb"
    "$SV" streams --extract "$TMP/xp" "$TMP/s1" >/dev/null
    "$SV" streams --extract "$TMP/xf" "$TMP/f1" >/dev/null
    t_run "$name: packed and files layouts hold the same stream files" diff -r "$TMP/xp" "$TMP/xf"
    # packs that take no more streams past 64 KiB instead of 1 GiB (SV_PACK_BYTES, a knob
    # for tests): each bucket goes on in further packs, and nothing else changes
    SV_PACK_BYTES=65536 "$SV" ingest -q -j 2 -o "$TMP/sk" "$cap"
    t_is "$name: small packs: buckets go on in further packs" \
        "$(ls "$TMP/sk/nodes/local/packs" | grep -c -- '-0001\.pack$' | awk '{print ($1 > 0)}')" 1
    "$SV" streams --extract "$TMP/xk" "$TMP/sk" >/dev/null
    t_run "$name: small packs: the same stream files, the same index" \
        sh -c "diff -r '$TMP/xp' '$TMP/xk' && diff -r '$TMP/s1/index' '$TMP/sk/index'"
    rm -rf "$TMP"/s? "$TMP"/f? "$TMP"/x? "$TMP/sp" "$TMP/sb"
done

# Two captures of the same traffic, Ethernet in microseconds and Linux cooked v2 in
# nanoseconds, read together under the smallest memory cap: streams change format as they
# go (PCAP -> pcapng), some after the cap has written them to files of their own (which
# are then rewritten), and the spill decisions interleave with the writers.
"$GENCAP" --out "$TMP/mix-en" --seed 9 --streams 600 --duration 30 --quiet --no-truth
"$GENCAP" --out "$TMP/mix-sll" --seed 9 --streams 600 --duration 30 --linktype sll2 \
    --nanosecond --quiet --no-truth
for j in 1 3; do
    "$SV" ingest -q -j $j --memcap 1M -o "$TMP/m$j" "$TMP/mix-en.pcap" "$TMP/mix-sll.pcap"
done
t_is "mixed link types under --memcap 1M: pcapng streams written early exist" \
    "$("$SV" streams --json "$TMP/m1" |
        jq '[.[] | select(.format == "pcapng" and .stored == "file")] | length > 0')" true
t_run "mixed link types under --memcap 1M: -j 1 and -j 3 stores are byte-identical" \
    diff -r "$TMP/m1" "$TMP/m3"

# The same traffic twice in one link type, in microseconds then in nanoseconds: the streams
# that go on in the second capture become nanosecond PCAP (their microsecond records
# converted), among them streams the cap wrote to files of their own before (rewritten)
"$GENCAP" --out "$TMP/mix-ns" --seed 9 --streams 600 --duration 30 --nanosecond --quiet \
    --no-truth
for j in 1 3; do
    "$SV" ingest -q -j $j --memcap 1M -o "$TMP/n$j" "$TMP/mix-en.pcap" "$TMP/mix-ns.pcap"
done
"$SV" streams --extract "$TMP/nx" "$TMP/n1" >/dev/null
own_ns=0
for f in $("$SV" streams --json "$TMP/n1" | jq -r '.[] | select(.stored == "file") | .file'); do
    [ "$(od -An -tx4 -N4 "$TMP/nx/$f" | tr -d ' ')" = a1b23c4d ] && own_ns=$((own_ns + 1))
done
t_is "µs then ns: nanosecond PCAP streams written early to files of their own exist" \
    "$([ "$own_ns" -gt 0 ] && echo yes)" yes
t_run "µs then ns under --memcap 1M: -j 1 and -j 3 stores are byte-identical" \
    diff -r "$TMP/n1" "$TMP/n3"
t_is "µs then ns: the streams hold both inputs' packets, times to the nanosecond (libpcap)" \
    "$("$PCAPHASH" "$TMP"/nx/* | sort | md5sum)" \
    "$("$PCAPHASH" "$TMP/mix-en.pcap" "$TMP/mix-ns.pcap" | sort | md5sum)"
t_done
