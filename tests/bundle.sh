#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Bundles (export, snapshot) against gencap's truth: a window's snapshot holds exactly the
# packets of the streams active in it, merged in time order (tests/tools/bundlecheck.py
# parses the captures itself), tshark reads it without a word, content.json's counts and
# sha256s are right; the seed query's export holds exactly its streams, and --per-stream
# files are `streams --extract`'s bytes; --cut; mixed link types give pcapng holding the
# same packets; streams stored as pcapng merge as mergecap merges them; the same input
# gives the same bytes (twice, -j 1 and -j 2); usage errors, an unwritable output and a
# damaged store: exact errors, nothing left behind.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

GENCAP="$top_builddir/tests/tools/gencap"
CHECK="$top_srcdir/tests/tools/bundlecheck.py"
SEED='grpc and request.headers["Authorization"] == r"Token.*" and
src.name == "front-end.sock-shop" and dst.name == "catalogue.sock-shop"'
NOW=2024-06-02T00:00:00Z
FROM=1717236020000000000 # 10:00:20Z
TO=1717236030000000000   # 10:00:30Z

if ! t_have python3 || ! t_have jq || ! t_have tshark; then
    t_skip "python3, jq and tshark are needed"
    t_done
    exit $?
fi

"$GENCAP" --out "$TMP/g" --streams 300 --duration 60 --seed 5 --quiet
"$SV" ingest -q -f -j 1 -o "$TMP/s1" --names "$TMP/g.names.json" "$TMP/g.pcap"
"$SV" ingest -q -f -j 2 -o "$TMP/s2" --names "$TMP/g.names.json" "$TMP/g.pcap"

# x NAME: extracts $TMP/NAME.tar.gz into $TMP/NAME.d
x() {
    rm -rf "$TMP/$1.d"
    mkdir "$TMP/$1.d"
    tar xzf "$TMP/$1.tar.gz" -C "$TMP/$1.d"
}
# tshark_quiet FILE: what tshark says on stderr reading FILE, and its exit status
tshark_quiet() {
    tshark -r "$1" >/dev/null 2>"$TMP/tshark.err"
    echo "$? $(grep -v 'Running as user' "$TMP/tshark.err")"
}
# tpk FILE OUT: tshark's view of every packet (lib.sh's tshark_packets) into OUT, and in
# OUT.said its exit status and what it said on stderr (one tshark run for both)
tpk() {
    tshark -o frame.generate_md5_hash:TRUE -r "$1" -T fields -e frame.md5_hash \
        -e frame.time_epoch -e frame.cap_len -e frame.len -e frame.encap_type \
        >"$2" 2>"$TMP/tshark.err"
    echo "$? $(grep -v 'Running as user' "$TMP/tshark.err")" >"$2.said"
}
# in_window FILE: packets of a tpk file with times in [10:00:20, 10:00:30]
in_window() { awk '$2 >= 1717236020 && $2 <= 1717236030' "$1" | wc -l; }
capture() { jq -r '.nodes[0].capture' "$TMP/$1.d/content.json"; }

# ---------------------------------------------------------------- a window
"$SV" snapshot "$TMP/s1" --from 2024-06-01T10:00:20Z --to 1717236030 --per-stream --now "$NOW" \
    -o "$TMP/w.tar.gz" --json >"$TMP/w.json" 2>"$TMP/w.err"
t_is "snapshot: exit 0, one line on stderr" "$? $(wc -l <"$TMP/w.err")" "0 1"
x w
t_run "snapshot: exactly the truth's streams active in the window, counts, sha256s" \
    python3 "$CHECK" "$TMP/g.truth.json" "$TMP/w.d" window $FROM $TO
tpk "$TMP/w.d/$(capture w)" "$TMP/w.pk"
t_is "snapshot: tshark reads the merged capture without a word" "$(cat "$TMP/w.pk.said")" "0 "
t_is "snapshot: the merged capture is named after its first packet's second" "$(capture w)" \
    "local/$(jq '[.streams[] | select(.first_ns <= '$TO' and .last_ns >= '$FROM') | .first_ns]
        | min / 1e9 | floor' "$TMP/g.truth.json").pcap"
t_run "snapshot: sha256sum agrees with content.json" sh -c "cd '$TMP/w.d' &&
    jq -r '.files | to_entries[] | \"\(.value.sha256)  \(.key)\"' content.json | sha256sum -c --quiet"
t_is "snapshot: content.json is the last member" "$(tar tzf "$TMP/w.tar.gz" | tail -n 1)" \
    content.json
tar tzf "$TMP/w.tar.gz" | sed '$d' >"$TMP/members"
t_is "snapshot: members in byte order" "$(LC_ALL=C sort "$TMP/members" | cmp - "$TMP/members")" ""
t_is "snapshot: modes 0644/0755, owner 0/0" \
    "$(tar tvzf "$TMP/w.tar.gz" --numeric-owner | awk '{print $1, $2}' | sort -u | tr '\n' ' ')" \
    "-rw-r--r-- 0/0 drwxr-xr-x 0/0 "
t_is "snapshot: no time in the gzip header" "$(od -A n -t x1 -j 4 -N 4 "$TMP/w.tar.gz")" \
    " 00 00 00 00"
t_is "snapshot: both name histories of the node" \
    "$(grep -c 'local/name_resolution_history.json\|local/names.json' "$TMP/members")" 2
t_is "snapshot: the window and the query in content.json" \
    "$(jq -c '[.command, .window.from, .window.to, .query, .cut, .created]' "$TMP/w.d/content.json")" \
    '["snapshot","2024-06-01T10:00:20.000000000Z","2024-06-01T10:00:30.000000000Z",null,false,"2024-06-02T00:00:00.000000000Z"]'
t_is "snapshot: --json says what content.json says" \
    "$(jq -c '[.streams, .packets, .bytes, .nodes]' "$TMP/w.json")" \
    "$(jq -c '[.streams, .packets, .bytes, (.nodes | length)]' "$TMP/w.d/content.json")"
t_is "snapshot: the summary line" "$(cat "$TMP/w.err")" \
    "streamvault: snapshot: wrote $TMP/w.tar.gz: $(jq -r '"\(.streams) streams, \(.packets) packets, \(.bytes) bytes"' "$TMP/w.d/content.json") from 1 node"

# --cut: only the window's packets, as many as the whole streams have in it
"$SV" snapshot "$TMP/s1" --from 1717236020 --to 1717236030 --cut --per-stream --now "$NOW" \
    -o "$TMP/c.tar.gz" 2>/dev/null
x c
t_run "snapshot --cut: the window's streams, every packet inside it" \
    python3 "$CHECK" "$TMP/g.truth.json" "$TMP/c.d" window $FROM $TO cut
t_is "snapshot --cut: as many packets as the whole streams have in the window" \
    "$(jq .packets "$TMP/c.d/content.json")" \
    "$(in_window "$TMP/w.pk")"
t_is "snapshot --cut: tshark reads it without a word" "$(tshark_quiet "$TMP/c.d/$(capture c)")" "0 "
# a stream that spans the window with no packet inside it (a quiet gap) is not in a --cut
# bundle: no empty per-stream file, not counted
t_is "snapshot --cut: every per-stream file holds a packet, and content.json counts them" \
    "$(find "$TMP/c.d" -path '*/streams/*.pcap' -size -25c | wc -l) $(find "$TMP/c.d" -path '*/streams/*.pcap' | wc -l)" \
    "0 $(jq '[.nodes[].streams] | add' "$TMP/c.d/content.json")"
"$SV" ingest -q -o "$TMP/cr" "$TMP/c.tar.gz" 2>/dev/null
t_is "snapshot --cut: restored, the same number of streams" \
    "$(jq '.nodes[0].streams' "$TMP/cr/store.json")" "$(jq '.nodes[0].streams' "$TMP/c.d/content.json")"

# --last counts back from --now, or with --from-end from the newest packet
"$SV" snapshot "$TMP/s1" --last 15s --now 2024-06-01T10:00:45Z -o "$TMP/l.tar.gz" 2>/dev/null
x l
t_is "snapshot --last: the window ends at --now" "$(jq -c '[.window.from, .window.to]' "$TMP/l.d/content.json")" \
    '["2024-06-01T10:00:30.000000000Z","2024-06-01T10:00:45.000000000Z"]'
t_run "snapshot --last: the truth's streams of that window" \
    python3 "$CHECK" "$TMP/g.truth.json" "$TMP/l.d" window 1717236030000000000 1717236045000000000
# a fractional duration is exact: 2.01 s before --now, not a nanosecond less
"$SV" snapshot "$TMP/s1" --last 2.01s --now 2024-06-01T10:00:45Z -o "$TMP/lf.tar.gz" 2>/dev/null
t_is "snapshot --last 2.01s: the window starts 2.01 s before --now" \
    "$(tar xzOf "$TMP/lf.tar.gz" content.json | jq -r .window.from)" \
    2024-06-01T10:00:42.990000000Z
"$SV" snapshot "$TMP/s1" --last 10s --from-end --now "$NOW" -o "$TMP/e.tar.gz" 2>/dev/null
x e
newest=$(jq '[.streams[].last_ns] | max' "$TMP/g.truth.json")
t_run "snapshot --last --from-end: the truth's streams of the last 10 s of traffic" \
    python3 "$CHECK" "$TMP/g.truth.json" "$TMP/e.d" window $((newest - 10000000000)) $newest
# a stream discarded at ingest (--discard-undissected) holds no packet: its last packet,
# 100 s after the HTTP exchange, is not where --from-end counts back from
python3 "$top_srcdir/tests/tools/mkhttp.py" "$TMP/dh.pcap" 'GET / HTTP/1.1\r\nHost: a\r\n\r\n'
python3 -c '
import sys
sys.path.insert(0, sys.argv[1])
from pcapw import write_pcap
udp = bytes.fromhex("450000260000400040110000") + bytes([10, 0, 0, 9, 10, 0, 0, 8]) + \
    bytes.fromhex("13881e6100120000") + b"zzzzzzzzzz"
write_pcap(sys.argv[2], [(1717236100000000, b"\x02" * 6 + b"\x04" * 6 + b"\x08\x00" + udp)])' \
    "$top_srcdir/tests/tools" "$TMP/du.pcap"
"$SV" ingest -q -o "$TMP/disc" --discard-undissected "$TMP/dh.pcap" "$TMP/du.pcap"
"$SV" snapshot "$TMP/disc" --last 10s --from-end --now "$NOW" -o "$TMP/disc.tar.gz" 2>/dev/null
x disc
t_is "snapshot --last --from-end: a discarded stream's packets do not end the window" \
    "$(jq -c '[.window.to, .streams, .packets]' "$TMP/disc.d/content.json")" \
    '["2024-06-01T10:00:00.008000000Z",1,8]'
mkdir "$TMP/cwd"
(cd "$TMP/cwd" && "$SV" snapshot ../s1 --last 1h --now 1717236060 2>/dev/null)
t_is "snapshot: the default name is streamvault_<now>.tar.gz" "$(ls "$TMP/cwd")" \
    streamvault_1717236060.tar.gz

# ---------------------------------------------------------------- the seed query
"$SV" export "$TMP/s1" "$SEED" --per-stream --now "$NOW" -o "$TMP/q.tar.gz" 2>/dev/null
t_is "export: exit 0" "$?" 0
x q
t_run "export: exactly the streams of the seed query's entries (truth), counts, sha256s" \
    python3 "$CHECK" "$TMP/g.truth.json" "$TMP/q.d" seed
t_is "export: tshark reads the merged capture without a word" \
    "$(tshark_quiet "$TMP/q.d/$(capture q)")" "0 "
ids=$(ls "$TMP/q.d/local/streams" | sed 's/^0*//; s/[._].*//' | paste -sd, -)
"$SV" streams "$TMP/s1" --id "$ids" --extract "$TMP/qx"
t_run "export --per-stream: the files of streams --extract, byte for byte" \
    diff -r "$TMP/q.d/local/streams" "$TMP/qx"
t_is "export: the query in content.json" "$(jq -r .query "$TMP/q.d/content.json")" "$SEED"
"$SV" export "$TMP/s1" 'http and src.name == "nobody.nowhere"' --now "$NOW" -o "$TMP/n.tar.gz" \
    2>/dev/null
t_is "export matching nothing: a bundle of content.json alone" \
    "$(tar tzf "$TMP/n.tar.gz") $(tar xzOf "$TMP/n.tar.gz" content.json | jq -c '[.streams, .files]')" \
    'content.json [0,{}]'

"$SV" export "$TMP/s1" "grpc and limit(3)" --now "$NOW" -o "$TMP/lim.tar.gz" 2>/dev/null
t_is "export: limit(n) keeps the streams of the first n entries" \
    "$(tar xzOf "$TMP/lim.tar.gz" content.json | jq .streams)" \
    "$("$SV" query "$TMP/s1" 'grpc and limit(3)' --format ndjson | jq -r .stream | sort -u | wc -l)"

# a first packet at the epoch (zeroed times) is the capture's first, as in a --cut merge
python3 -c '
import sys
sys.path.insert(0, sys.argv[1])
from pcapw import write_pcap
def udp(a, b):
    ip = bytes.fromhex("450000260000400040110000") + bytes([10, 0, 0, a, 10, 0, 0, b])
    return b"\x02" * 6 + b"\x04" * 6 + b"\x08\x00" + ip + bytes.fromhex("03e807d000120000") + \
        b"z" * 10
write_pcap(sys.argv[2], [(0, udp(1, 2)), (5000000, udp(3, 4)), (6000000, udp(1, 2))])' \
    "$top_srcdir/tests/tools" "$TMP/epoch.pcap"
"$SV" ingest -q -o "$TMP/epoch" "$TMP/epoch.pcap"
"$SV" export "$TMP/epoch" true --now "$NOW" -o "$TMP/epoch.tar.gz" 2>/dev/null
x epoch
t_is "export: a first packet at time 0 names the capture and is its first" \
    "$(jq -c '.nodes[0] | [.capture, .first, .packets]' "$TMP/epoch.d/content.json") \
$(ls "$TMP/epoch.d/local")" \
    '["local/0.pcap","1970-01-01T00:00:00.000000000Z",3] 0.pcap'

# ---------------------------------------------------------------- several stores and nodes
"$SV" ingest -q -f -j 2 -o "$TMP/s3" --node w1=10.0.0.1 "$TMP/g.pcap"
"$SV" snapshot "$TMP/s1" "$TMP/s3" "$TMP/s2" --from 1717236020 --to 1717236030 --now "$NOW" \
    -o "$TMP/k.tar.gz" 2>/dev/null
x k
t_is "several stores: a directory per node, <node>_<ip>, a name given twice gets _2" \
    "$(jq -c '[.nodes[] | [.dir, .name, .ip, .streams]]' "$TMP/k.d/content.json")" \
    "[[\"local\",\"local\",\"\",63],[\"local_2\",\"local\",\"\",63],[\"w1_10.0.0.1\",\"w1\",\"10.0.0.1\",63]]"
t_is "several stores: the same packets from each" \
    "$(cd "$TMP/k.d" && jq -r '.nodes[].capture' content.json | xargs sha256sum | cut -d' ' -f1 | uniq | wc -l)" 1
t_is "several stores: the sums over the nodes" "$(jq '.packets == 3 * .nodes[0].packets' "$TMP/k.d/content.json")" true
t_is "a node ingested without --names: its history is passive DNS alone" \
    "$(jq -c '[.ips[][].source] | unique' "$TMP/k.d/w1_10.0.0.1/names.json")" '["dns"]'
t_is "a node ingested without --names: Kubeshark's file too" \
    "$(jq 'length > 0' "$TMP/k.d/w1_10.0.0.1/name_resolution_history.json")" true

# ---------------------------------------------------------------- determinism
"$SV" snapshot "$TMP/s1" --from 1717236020 --to 1717236030 --per-stream --now "$NOW" \
    -o "$TMP/w2.tar.gz" 2>/dev/null
t_run "snapshot twice: the same bytes" cmp "$TMP/w.tar.gz" "$TMP/w2.tar.gz"
"$SV" snapshot "$TMP/s2" --from 1717236020 --to 1717236030 --per-stream --now "$NOW" \
    -o "$TMP/w3.tar.gz" 2>/dev/null
t_run "snapshot: a store ingested at -j 1 and at -j 2, the same bytes" \
    cmp "$TMP/w.tar.gz" "$TMP/w3.tar.gz"
"$SV" export "$TMP/s2" "$SEED" --per-stream --now "$NOW" -o "$TMP/q2.tar.gz" 2>/dev/null
t_run "export: -j 1 and -j 2 stores, the same bytes" cmp "$TMP/q.tar.gz" "$TMP/q2.tar.gz"
"$SV" snapshot "$TMP/s1" --from 1717236020 --to 1717236030 --per-stream --now 1717300000 \
    -o "$TMP/w4.tar.gz" 2>/dev/null
t_is "snapshot: another --now, other bytes" "$(cmp -s "$TMP/w.tar.gz" "$TMP/w4.tar.gz"; echo $?)" 1

# ---------------------------------------------------------------- mixed link types
"$GENCAP" --out "$TMP/h" --streams 80 --duration 60 --seed 9 --linktype sll2 --nanosecond --quiet
"$SV" ingest -q -f -o "$TMP/m" "$TMP/g.pcap" "$TMP/h.pcap"
"$SV" snapshot "$TMP/m" --last 1d --now "$NOW" -o "$TMP/m.tar.gz" 2>/dev/null
x m
t_is "mixed link types: pcapng" "$(od -A n -t x1 -N 4 "$TMP/m.d/$(capture m)")" " 0a 0d 0d 0a"
tpk "$TMP/m.d/$(capture m)" "$TMP/got.pk"
t_is "mixed link types: tshark reads it without a word" "$(cat "$TMP/got.pk.said")" "0 "
tpk "$TMP/g.pcap" "$TMP/g.pk"
tpk "$TMP/h.pcap" "$TMP/h.pk"
sort "$TMP/g.pk" "$TMP/h.pk" >"$TMP/want.pk"
t_is "mixed link types: the packets of both inputs (tshark's view), no more, no less" \
    "$(sort "$TMP/got.pk" | cmp - "$TMP/want.pk" && wc -l <"$TMP/got.pk")" \
    "$(($(jq .summary.packets "$TMP/g.truth.json") + $(jq .summary.packets "$TMP/h.truth.json")))"
t_is "mixed link types: both link types" "$(cut -f 5 "$TMP/got.pk" | sort -u | tr '\n' ' ')" "1 210 "
t_is "mixed link types: in time order" "$(cut -f 2 "$TMP/got.pk" | sort -c -n && echo yes)" yes

"$SV" snapshot "$TMP/m" --from 1717236020 --to 1717236030 --cut --per-stream --now "$NOW" \
    -o "$TMP/mc.tar.gz" 2>/dev/null
x mc
tpk "$TMP/mc.d/$(capture mc)" "$TMP/mc.pk"
t_is "mixed link types --cut: the window's packets of the whole merge, tshark quiet" \
    "$(wc -l <"$TMP/mc.pk") $(cat "$TMP/mc.pk.said")" "$(in_window "$TMP/got.pk") 0 "
t_is "mixed link types --cut: the per-stream files hold the same packets" \
    "$(mergecap -w - "$TMP"/mc.d/*/streams/*.pcap | tshark_packets - | sort | md5sum)" \
    "$(sort "$TMP/mc.pk" | md5sum)"

# microsecond and nanosecond PCAP of one link type: classic nanosecond PCAP, times kept
"$GENCAP" --out "$TMP/n" --streams 40 --duration 60 --seed 11 --nanosecond --quiet
"$SV" ingest -q -f -o "$TMP/ns" "$TMP/g.pcap" "$TMP/n.pcap"
"$SV" snapshot "$TMP/ns" --last 1d --now "$NOW" -o "$TMP/ns.tar.gz" 2>/dev/null
x ns
t_is "µs and ns streams: classic PCAP with the nanosecond magic" \
    "$(od -A n -t x4 -N 4 "$TMP/ns.d/$(capture ns)")" " a1b23c4d"
tpk "$TMP/ns.d/$(capture ns)" "$TMP/ns.pk"
tpk "$TMP/n.pcap" "$TMP/n.pk"
sort "$TMP/g.pk" "$TMP/n.pk" >"$TMP/ns.want"
t_run "µs and ns streams: every packet with its time, as in the inputs" \
    sh -c "sort '$TMP/ns.pk' | cmp - '$TMP/ns.want'"

# streams that are pcapng files themselves (a 5-tuple seen on interfaces of different link
# types; this capture's interfaces are not in time order with each other): the merge reads
# their blocks and orders the packets as mergecap orders the stream files
"$SV" ingest -q -f -o "$TMP/ng" "$TD/ppp_many_interfaces-1.pcapng"
t_is "pcapng streams: the store holds some" \
    "$("$SV" streams --json "$TMP/ng" | jq '[.[] | select(.format == "pcapng")] | length > 0')" true
"$SV" streams "$TMP/ng" --extract "$TMP/ng.x" >/dev/null
mergecap -F pcapng -w "$TMP/ng.merged" "$TMP"/ng.x/*
tpk "$TMP/ng.merged" "$TMP/ng.want"
"$SV" snapshot "$TMP/ng" --from 1970-01-01T00:00:00Z --to 2100-01-01T00:00:00Z --now "$NOW" \
    -o "$TMP/ng.tar.gz" 2>/dev/null
x ng
tpk "$TMP/ng.d/$(capture ng)" "$TMP/ng.pk"
t_is "pcapng streams: the merge is pcapng, tshark reads it without a word" \
    "$(od -A n -t x1 -N 4 "$TMP/ng.d/$(capture ng)") $(cat "$TMP/ng.pk.said")" " 0a 0d 0d 0a 0 "
t_is "pcapng streams: every stream's packets, in mergecap's order" \
    "$(cmp "$TMP/ng.pk" "$TMP/ng.want" && wc -l <"$TMP/ng.pk")" \
    "$(jq .totals.streams.packets "$TMP/ng/store.json")"

# ---------------------------------------------------------------- errors
# usage ARGS... WANT: exit 2 and the first line of stderr
usage() {
    want=$1
    shift
    "$SV" "$@" >/dev/null 2>"$TMP/err"
    t_is "usage: $want" "$? $(head -n 1 "$TMP/err")" "2 streamvault: $want"
}
usage "snapshot: no window: give --last D, or --from T and --to T" snapshot "$TMP/s1"
usage "snapshot: --last: expected a duration like 90s, 15m, 72h or 7d, not '5x'" \
    snapshot "$TMP/s1" --last 5x
usage "snapshot: --last and --from/--to exclude each other" \
    snapshot "$TMP/s1" --last 5m --from 1717236000
usage "snapshot: --from needs --to" snapshot "$TMP/s1" --from 1717236000
usage "snapshot: --from is after --to" snapshot "$TMP/s1" --from 1717236060 --to 1717236000
usage "snapshot: --from-end needs --last" snapshot "$TMP/s1" --from 1 --to 2 --from-end
usage "snapshot: --group-by needs --graph" snapshot "$TMP/s1" --last 1h --group-by pod
usage "snapshot: --group-by: expected name, pod, service, namespace, node or ip, not 'host'" \
    snapshot "$TMP/s1" --last 1h --graph "$TMP/x.dot" --group-by host
usage "snapshot: unknown option '--bogus'" snapshot "$TMP/s1" --last 1h --bogus
usage "snapshot: --to: expected RFC 3339 or Unix seconds, not 'noon'" \
    snapshot "$TMP/s1" --from 1 --to noon
usage "snapshot: no store given" snapshot --last 1h
usage "export: expected STORE... QUERY" export "$TMP/s1"
usage "query: unknown field 'src.nmae': did you mean 'src.name'?" export "$TMP/s1" 'src.nmae == "x"'
usage "export: -o $TMP/s1/store.json: inside the store $TMP/s1; write it elsewhere" \
    export "$TMP/s1" -o "$TMP/s1/store.json" dns
usage "snapshot: -o $TMP/s1/../s1/x.tar.gz: inside the store $TMP/s1; write it elsewhere" \
    snapshot "$TMP/s1" --last 1d -o "$TMP/s1/../s1/x.tar.gz"
usage "snapshot: --from: expected RFC 3339 or Unix seconds, not '2024-06-31T10:00:05Z'" \
    snapshot "$TMP/s1" --from 2024-06-31T10:00:05Z --to 2024-07-02T00:00:00Z

# -o -: standard output, the same bytes as the file
"$SV" snapshot "$TMP/s1" --last 1d --now "$NOW" -o "$TMP/day.tar.gz" 2>/dev/null
"$SV" snapshot "$TMP/s1" --last 1d --now "$NOW" -o - 2>"$TMP/err" >"$TMP/stdout.tar.gz"
t_is "-o -: the bundle on standard output, the summary says so" \
    "$? $(cut -d: -f1-3 "$TMP/err") $(cmp "$TMP/stdout.tar.gz" "$TMP/day.tar.gz" && echo same)" \
    "0 streamvault: snapshot: wrote standard output same"
"$SV" snapshot "$TMP/s1" --last 1d --now "$NOW" -o - 2>/dev/null | cat >"$TMP/pipe.tar.gz"
t_run "-o - into a pipe: the same bytes as the file" cmp "$TMP/pipe.tar.gz" "$TMP/day.tar.gz"
usage "export: -o - and --json both write to standard output" export "$TMP/s1" -o - --json dns
usage "snapshot: -o - and --json both write to standard output" \
    snapshot "$TMP/s1" --last 1d -o - --json
usage "export: --now: expected RFC 3339 or Unix seconds, not 'soon'" export "$TMP/s1" --now soon dns
usage "snapshot: --now: expected RFC 3339 or Unix seconds, not 'soon'" \
    snapshot "$TMP/s1" --last 1d --now soon
# what a killed export left beside its output (a process that is gone) is removed by the
# next one; a live process's file, and other names, stay
sleep 60 &
live=$!
true &
dead=$!
wait "$dead"
touch "$TMP/.day.tar.gz.$dead.tmp" "$TMP/.day.tar.gz.$dead.2.tmp" "$TMP/.day.tar.gz.$live.tmp" \
    "$TMP/.day.tar.gz.x.tmp"
"$SV" snapshot "$TMP/s1" --last 1d --now "$NOW" -o "$TMP/day.tar.gz" 2>/dev/null
t_is "a killed export's temporary files removed, a live one's and others left" \
    "$(cd "$TMP" && ls -a | grep '^\.day' | tr '\n' ' ')" ".day.tar.gz.$live.tmp .day.tar.gz.x.tmp "
# so is the graph a killed snapshot --graph had staged beside its path
touch "$TMP/.day.dot.$dead.tmp" "$TMP/.day.dot.$live.tmp"
"$SV" snapshot "$TMP/s1" --last 1d --now "$NOW" -o "$TMP/day.tar.gz" --graph "$TMP/day.dot" \
    2>/dev/null
t_is "a killed snapshot's staged graph removed, a live one's left" \
    "$(cd "$TMP" && ls -a | grep '^\.day\.dot' | tr '\n' ' ')" ".day.dot.$live.tmp "
kill "$live"
rm -f "$TMP"/.day.tar.gz.* "$TMP"/.day.dot.* "$TMP/day.dot"
usage "snapshot: --graph -: name a file" snapshot "$TMP/s1" --last 1d -o x.tar.gz --graph -

mkdir "$TMP/out"
"$SV" snapshot "$TMP/s1" --last 1d --now "$NOW" -o "$TMP/nodir/x.tar.gz" 2>"$TMP/err"
t_is "an output in a missing directory: exit 3 and why" "$? $(cat "$TMP/err")" \
    "3 streamvault: $TMP/nodir/x.tar.gz: cannot create: No such file or directory"
cp "$TMP/n.tar.gz" "$TMP/out/big.tar.gz"
(
    ulimit -f 64
    trap '' XFSZ
    exec "$SV" snapshot "$TMP/s1" --last 1d --per-stream --now "$NOW" -o "$TMP/out/big.tar.gz"
) 2>"$TMP/err"
t_is "a write that fails halfway (file size limit): exit 3 and why" "$? $(cat "$TMP/err")" \
    "3 streamvault: $TMP/out/big.tar.gz: local/1717236000.pcap: Write error: File too large"
t_is "a write that fails halfway: no temporary file, the old bundle untouched" \
    "$(ls -A "$TMP/out") $(cmp "$TMP/out/big.tar.gz" "$TMP/n.tar.gz" && echo same)" "big.tar.gz same"

cp -r "$TMP/s1" "$TMP/bad"
pack=$(ls -S "$TMP"/bad/nodes/local/packs/*.pack | head -n 1)
truncate -s 100 "$pack"
"$SV" snapshot "$TMP/bad" --last 1d --now "$NOW" -o "$TMP/out/bad.tar.gz" 2>"$TMP/err"
t_is "a damaged store: exit 3, the error names the pack" "$? $(grep -c "$pack" "$TMP/err")" "3 1"
t_is "a damaged store: nothing left behind" "$(ls -A "$TMP/out")" big.tar.gz
# Several stores with --cut in an order other than their directories': each node keeps its
# own cut list (the sort that names the directories once left each with another's)
"$SV" ingest -q -o "$TMP/cz" --node zz=10.0.0.9 "$TMP/g.pcap"
"$SV" ingest -q -o "$TMP/ca" --node aa=10.0.0.2 "$TMP/h.pcap"
"$SV" snapshot "$TMP/ca" "$TMP/cz" --from 1717236020 --to 1717236030 --cut --now "$NOW" \
    -o "$TMP/cut-az.tar.gz" 2>/dev/null
"$SV" snapshot "$TMP/cz" "$TMP/ca" --from 1717236020 --to 1717236030 --cut --now "$NOW" \
    -o "$TMP/cut-za.tar.gz" 2>/dev/null
t_is "--cut over two stores given out of order: exit 0, the same bundle" \
    "$? $(cmp "$TMP/cut-az.tar.gz" "$TMP/cut-za.tar.gz" && echo same)" "0 same"
for st in ca cz; do
    "$SV" snapshot "$TMP/$st" --from 1717236020 --to 1717236030 --cut --now "$NOW" \
        -o "$TMP/cut-$st.tar.gz" 2>/dev/null
    x "cut-$st"
done
x cut-za
t_is "... each node directory with the streams of its own store's --cut" \
    "$(jq -c '[.nodes[] | [.dir, .streams]]' "$TMP/cut-za.d/content.json")" \
    "$(jq -c '.nodes[] | [.dir, .streams]' "$TMP/cut-ca.d/content.json" \
        "$TMP/cut-cz.d/content.json" | jq -sc .)"

# a node named content.json: its directory is not the manifest's name
"$SV" ingest -q -o "$TMP/cj" --node content.json "$TMP/g.pcap"
"$SV" snapshot "$TMP/cj" --last 1d --now "$NOW" -o "$TMP/cj.tar.gz" 2>/dev/null
x cj
t_is "a node named content.json: its directory is content.json_, and tar extracts it" \
    "$? $(jq -r '.nodes[0] | .dir + " " + .name' "$TMP/cj.d/content.json")" \
    "0 content.json_ content.json"
"$SV" ingest -q -o "$TMP/cj-back" "$TMP/cj.tar.gz"
t_is "... and it restores as node content.json" \
    "$? $(jq -r '.nodes[0].name' "$TMP/cj-back/store.json")" "0 content.json"

# shards of one node, one with its IP and one without: the bundle restores with the IP
"$SV" ingest -q -o "$TMP/ip1" --node zz=10.0.0.9 "$TMP/g.pcap"
"$SV" ingest -q -o "$TMP/ip0" --node zz "$TMP/h.pcap"
"$SV" snapshot "$TMP/ip1" "$TMP/ip0" --last 1d --now "$NOW" -o "$TMP/ip.tar.gz" 2>/dev/null
"$SV" ingest -q -o "$TMP/ip-back" "$TMP/ip.tar.gz"
t_is "a node's shards with and without its IP: restored as one node with the IP" \
    "$? $(jq -c '[.nodes[] | [.name, .ip]]' "$TMP/ip-back/store.json")" '0 [["zz","10.0.0.9"]]'

# -o - into a reader that goes away: the error, exit 3 (not killed by SIGPIPE)
for cmd in "snapshot --last 1d" "export ''"; do
    eval "set -- $cmd"
    st=$( { "$SV" "$1" "$TMP/s1" "$2" ${3:+"$3"} --now "$NOW" -o - 2>"$TMP/err"
        echo $? >"$TMP/rc"; } | head -c 100 >/dev/null; cat "$TMP/rc")
    t_is "$1 -o - into a pipe closed early: exit 3 and the error" "$st $(cat "$TMP/err")" \
        "3 streamvault: standard output: local/1717236000.pcap: Write error: Broken pipe"
done

# a node name of 128 characters: its index segments (longer names) read back
long=$(printf 'n%.0s' $(seq 128))
"$SV" ingest -q -o "$TMP/long" --node "$long" "$TMP/g.pcap"
t_is "a node name of 128 characters: the store reads" \
    "$("$SV" query "$TMP/long" '' --count 2>&1)" "$("$SV" query "$TMP/s1" '' --count)"
t_done
