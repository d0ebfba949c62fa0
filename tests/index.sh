#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# The entry index: every entry rebuilt from the segments equals the raw record ingest
# produced, byte for byte (tests/tools/ixcheck), on every test capture and on gencap
# captures; store.json lists the segments; a changed byte of a segment is an error that
# names it, and query still prints the other segments' entries (exit 3).
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

IXCHECK="$top_builddir/tests/tools/ixcheck"
GENCAP="$top_builddir/tests/tools/gencap"

for cap in $(find "$TD" -maxdepth 1 -type f \( -name '*.pcap' -o -name '*.pcapng' \) | sort); do
    name=$(basename "$cap")
    "$SV" ingest -q -f --keep-entries -o "$TMP/r" "$cap" 2>/dev/null
    t_run "$name: every entry rebuilt from the index is identical" "$IXCHECK" roundtrip "$TMP/r"
done

for variant in "default-3:--seed 3" "default-8:--seed 8 --streams 6000" \
    "stress-5:--seed 5 --retrans 0.005 --ooo 0.005 --linktype sll2 --nanosecond --ipv6 0.5"; do
    name=${variant%%:*}
    args=${variant#*:}
    # shellcheck disable=SC2086
    "$GENCAP" --out "$TMP/g" --streams 2000 --duration 120 --quiet $args
    "$SV" ingest -q -f --keep-entries -o "$TMP/r" "$TMP/g.pcap"
    t_run "gencap $name: every entry rebuilt from the index is identical" "$IXCHECK" roundtrip "$TMP/r"
    # the index's AVX-512 code (lib/index/ixvec.c, where the CPU has it), without VBMI's
    # and the scalar code
    for level in 0 1; do
        t_run "gencap $name: ... with SV_SIMD=$level too" \
            env SV_SIMD=$level "$IXCHECK" roundtrip "$TMP/r"
        for kfl in 'http and response.status >= 400' 'request.method == "GET" or dns' \
            'response.grpc.status != 0 or request.path startsWith "/api"'; do
            t_is "gencap $name: query '$kfl' the same with SV_SIMD=$level" \
                "$("$SV" query "$TMP/r" "$kfl" --format ndjson | md5sum)" \
                "$(SV_SIMD=$level "$SV" query "$TMP/r" "$kfl" --format ndjson | md5sum)"
        done
    done
done

# ixcheck columns (what ci/bench index counts the body columns' share with): per segment of
# the last gencap store, the columns' stored bytes add up to the segment less its catalogue
# and block headers (under a tenth of it), none raw smaller than stored, the body columns
# and the query's fields among them
n=0
good=0
for seg in "$TMP"/r/index/*/entries.svx; do
    n=$((n + 1))
    "$IXCHECK" columns "$seg" >"$TMP/cols"
    size=$(wc -c <"$seg")
    stored=$(awk '{ s += $1 } END { print s + 0 }' "$TMP/cols")
    if [ "$stored" -lt "$size" ] && [ $((size - stored)) -lt $((size / 10)) ] &&
        awk '$2 < $1 { bad = 1 } END { exit bad }' "$TMP/cols" &&
        [ "$(awk '$3 ~ /^(req_body|resp_body|request\.method|response\.status)$/' "$TMP/cols" |
            wc -l)" = 4 ]; then
        good=$((good + 1))
    else
        echo "# $seg: $size bytes, columns $stored"
    fi
done
t_is "ixcheck columns: every segment's columns, their bytes, the body columns named" \
    "$good of $n" "$n of $n"

# store.json lists the segments; their rows add up to the entries; raw records are gone
cap="$TD/ndpi_android.pcap"
"$SV" ingest -q -o "$TMP/s" "$cap"
t_is "segments' rows add up to the node's entries" \
    "$(jq '[.segments[].rows] | add' "$TMP/s/store.json")" "$(jget "$TMP/s/store.json" .nodes[0].entries)"
t_is "every segment listed is there, and nothing else" \
    "$(jq -r '.segments[].name' "$TMP/s/store.json" | sort | tr '\n' ' ')" \
    "$(ls "$TMP/s/index" | sort | tr '\n' ' ')"
t_is "segments are named node-group-number and hold entries.svx" \
    "$(jq -r '.segments[] | select((.name | test("^local-[0-9a-f]{2}-[0-9]{4}$") | not) or .node != "local") | .name' "$TMP/s/store.json")" ""
t_is "segment bytes in store.json are the files' sizes" \
    "$(jq -r '.segments[] | "\(.name) \(.bytes)"' "$TMP/s/store.json")" \
    "$(for s in $(jq -r '.segments[].name' "$TMP/s/store.json"); do echo "$s $(wc -c <"$TMP/s/index/$s/entries.svx")"; done)"
t_is "info: the index line" "$("$SV" info "$TMP/s" | grep '^index')" \
    "index      $(jget "$TMP/s/store.json" .nodes[0].entries) entries in $(jq '.segments | length' "$TMP/s/store.json") segments, $(jq '[.segments[].bytes] | add' "$TMP/s/store.json") bytes (bodies: first 65536 bytes)"
t_is "without --keep-entries the raw entry records are removed" \
    "$([ -e "$TMP/s/nodes/local/entries" ] && echo there)" ""
"$SV" ingest -q --no-dissect -o "$TMP/nd" "$cap"
t_is "--no-dissect: no segments" "$(jq '.segments | length' "$TMP/nd/store.json") $([ -e "$TMP/nd/index" ] && echo dir)" "0 "
# ci/bench's index writer pass (ixbench write) rewrites every row and removes what it wrote
out=$("$top_builddir/tests/tools/ixbench" "$TMP/s" 1 write)
t_is "ixbench write: every row of every segment rewritten, its scratch directory gone" \
    "$(echo "$out" | jq -c '[.rows, .segments, .index_bytes > 0]') $([ -e "$TMP/s.ixbench-write" ] && echo left)" \
    "[$(jget "$TMP/s/store.json" .nodes[0].entries),$(jq '.segments | length' "$TMP/s/store.json"),true] "

# flipping bytes of segments
small=$(ls -S "$TMP"/s/index/*/entries.svx | tail -n 1)
big=$(ls -S "$TMP"/s/index/*/entries.svx | head -n 1)
t_run "every byte of a small segment, changed, is an error naming it" "$IXCHECK" flip "$small"
t_run "every 5th byte of the largest segment, changed, is an error naming it" "$IXCHECK" flip "$big" 5

# query over a corrupt segment: reports it, prints the other segments' entries, exits 3
total=$(jget "$TMP/s/store.json" .nodes[0].entries)
seg=$(jq -r '.segments[0].name' "$TMP/s/store.json")
rows=$(jq -r '.segments[0].rows' "$TMP/s/store.json")
size=$(wc -c <"$TMP/s/index/$seg/entries.svx")
# a byte of the footer (every read checks it; a chunk no read needs would go unread)
printf '\377' | dd of="$TMP/s/index/$seg/entries.svx" bs=1 seek=$((size - 8)) conv=notrunc 2>/dev/null
"$SV" query "$TMP/s" '' --format ndjson >"$TMP/out" 2>"$TMP/err"
t_is "query with a corrupt segment exits 3 (an input error)" "$?" 3
t_is "and names the segment" \
    "$(sed -e "s|$TMP/s/||" -e 's/offset [0-9]*/offset N/' "$TMP/err" | cut -d: -f1-3)" \
    "streamvault: index/$seg/entries.svx: offset N"
t_is "and prints every entry of the other segments" "$(wc -l <"$TMP/out")" "$((total - rows))"
# snapshot: with -q its bundle would miss streams, with --graph alone its graph entries
"$SV" snapshot "$TMP/s" --from 0 --to 4102444800 --graph "$TMP/g.dot" -o "$TMP/b.tgz" \
    --now 0 2>"$TMP/err"
t_is "snapshot --graph over a corrupt segment: exit 3, says what would be missing" \
    "$? $(tail -n 1 "$TMP/err")" \
    "3 streamvault: snapshot: a corrupt index segment was skipped: the graph would miss its entries; nothing written"
"$SV" snapshot "$TMP/s" --from 0 --to 4102444800 -q 'http or dns' -o "$TMP/b.tgz" --now 0 \
    2>"$TMP/err"
t_is "snapshot -q over a corrupt segment: exit 3, says what would be missing" \
    "$? $(tail -n 1 "$TMP/err")" \
    "3 streamvault: snapshot: a corrupt index segment was skipped: the bundle would miss its streams; nothing written"
t_is "... and writes neither" "$(ls "$TMP/b.tgz" "$TMP/g.dot" 2>/dev/null | wc -l)" 0
"$SV" export "$TMP/s" 'http or dns' -o "$TMP/e.tgz" --now 0 2>"$TMP/err"
t_is "export over a corrupt segment: exit 3, says what would be missing, writes nothing" \
    "$? $(tail -n 1 "$TMP/err") $(ls "$TMP/e.tgz" 2>/dev/null | wc -l)" \
    "3 streamvault: export: a corrupt index segment was skipped: the bundle would miss its streams; nothing written 0"
# a whole, valid segment in another's place: not read as that one's rows
seg2=$(jq -r '.segments[1].name' "$TMP/s/store.json")
seg3=$(jq -r '.segments[2].name' "$TMP/s/store.json")
rows3=$(jq -r '.segments[2].rows' "$TMP/s/store.json")
cp "$TMP/s/index/$seg2/entries.svx" "$TMP/s/index/$seg3/entries.svx"
"$SV" query "$TMP/s" '' --format ndjson >"$TMP/out" 2>"$TMP/err"
t_is "a segment in another's place: exit 3" "$?" 3
t_is "a segment in another's place: named" "$(grep -c "^streamvault: $TMP/s/index/$seg3/entries.svx: not the segment store.json lists as $seg3" "$TMP/err")" 1
t_is "a segment in another's place: no row twice, its rows left out" \
    "$(sort "$TMP/out" | uniq -d | wc -l) $(wc -l <"$TMP/out")" "0 $((total - rows - rows3))"
# with -n, the records of the rows to print are rebuilt after the scan: a chunk only
# that rebuild reads, damaged, drops its segment's rows and later rows take their place
"$SV" ingest -q -f -o "$TMP/f" "$cap"
# the segment of the earliest entry: -n reads it whatever the others hold
fseg=$(jq -r '.segments | min_by(.first_ns) | .name' "$TMP/f/store.json")
fsvx="$TMP/f/index/$fseg/entries.svx"
cp "$fsvx" "$TMP/f.svx"
found=
fsize=$(wc -c <"$fsvx")
off=64
while [ "$off" -lt "$fsize" ] && [ -z "$found" ]; do
    cp "$TMP/f.svx" "$fsvx"
    printf '\377' | dd of="$fsvx" bs=1 seek="$off" conv=notrunc 2>/dev/null
    if "$SV" query "$TMP/f" '' --count >/dev/null 2>&1; then
        "$SV" query "$TMP/f" '' --format ndjson >/dev/null 2>&1 || found=$off
    fi
    off=$((off + 37))
done
t_run "... a byte that only rebuilding records reads (found at offset ${found:-none})" \
    test -n "$found"
"$SV" query "$TMP/f" '' --format ndjson -n 5 >"$TMP/out" 2>"$TMP/err"
t_is "-n 5 over it: exit 3, the segment named, 5 entries of the others" \
    "$? $(grep -c "^streamvault: $fsvx: " "$TMP/err") $(wc -l <"$TMP/out")" "3 1 5"
t_is "... the first 5 of the entries the other segments give" "$(cat "$TMP/out")" \
    "$("$SV" query "$TMP/f" '' --format ndjson 2>/dev/null | head -n 5)"
t_done
