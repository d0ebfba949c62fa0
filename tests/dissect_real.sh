#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Entries of the real captures against tshark's dissection of the same files
# (testdata/groundtruth/<file>.<kind>.tsv, made with the commands in GROUNDTRUTH.md):
# HTTP/1 requests (method, host, uri, status), HTTP/2 and gRPC streams (method, path,
# status, grpc-status), DNS messages (id, name, type, rcode, answers) and TLS
# ClientHellos (SNI), compared as multisets by tests/tools/tsharkcheck.py. Where we
# differ from tshark on purpose, testdata/groundtruth/<file>.<kind>.diff holds the
# exact difference and the reason; the test then asserts that difference, no more, no
# less. Then golden files (testdata/golden/<file>.ndjson, read line by line) pin the
# whole JSON of every entry of a few captures, and the entries are the same at -j 1
# and -j 2 for every capture.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

CHECK="$top_srcdir/tests/tools/tsharkcheck.py"
GT="$TD/groundtruth"
if ! t_have python3; then
    t_skip "python3 is not installed"
    t_done
    exit
fi
for tsv in "$GT"/*.tsv; do
    base=$(basename "$tsv" .tsv)
    kind=${base##*.}
    file=${base%.*}
    s="$TMP/s-$file"
    if [ ! -d "$s" ]; then
        "$SV" ingest -q -o "$s" "$TD/$file" >/dev/null 2>&1
        "$SV" query "$s" '' --format ndjson >"$s.ndjson"
    fi
    python3 "$CHECK" "$kind" "$tsv" "$s.ndjson" >"$TMP/cmp" 2>&1
    rc=$?
    if [ -f "$GT/$base.diff" ]; then
        grep -v '^#' "$GT/$base.diff" | grep -v '^$' >"$TMP/want"
        grep '^# only' "$TMP/cmp" | sed 's/^# //' >"$TMP/got"
        t_run "$file: $kind as tshark except the documented difference" diff "$TMP/want" "$TMP/got"
    else
        if [ $rc -eq 0 ]; then
            t_ok "$file: $kind as tshark ($(head -n 1 "$TMP/cmp" | sed 's/^# //'))"
        else
            t_not_ok "$file: $kind as tshark"
            head -n 20 "$TMP/cmp"
        fi
    fi
done

for golden in "$TD"/golden/*.ndjson; do
    [ -e "$golden" ] || continue
    file=$(basename "$golden" .ndjson)
    "$SV" ingest -q -o "$TMP/g" "$TD/$file" >/dev/null 2>&1
    "$SV" query "$TMP/g" '' --format ndjson >"$TMP/g.ndjson"
    t_run "$file: every entry equals the golden JSON" diff "$golden" "$TMP/g.ndjson"
    rm -rf "$TMP/g"
done

# entries do not depend on the thread count (the index segments are byte-identical, so
# every entry reads back the same), and every record reads back
n=0
for f in "$TD"/*.pcap "$TD"/*.pcapng "$TD"/*.cap; do
    [ -e "$f" ] || continue
    file=$(basename "$f")
    n=$((n + 1))
    "$SV" ingest -q -j 1 -o "$TMP/j1" "$f" >/dev/null 2>&1
    "$SV" ingest -q -j 2 -o "$TMP/j2" "$f" >/dev/null 2>&1
    # a capture without entries has no index at either thread count
    if { [ ! -e "$TMP/j1/index" ] && [ ! -e "$TMP/j2/index" ] ||
        diff -r "$TMP/j1/index" "$TMP/j2/index" >/dev/null 2>&1; } &&
        "$SV" query "$TMP/j1" '' --format ndjson >"$TMP/j1.ndjson"; then
        echo "$file $(wc -l <"$TMP/j1.ndjson")" >>"$TMP/same"
    else
        t_not_ok "$file: the index at -j 1 and -j 2 is byte-identical and reads back"
    fi
    rm -rf "$TMP/j1" "$TMP/j2"
done
touch "$TMP/same"
t_is "captures whose index is byte-identical at -j 1 and -j 2 and reads back" \
    "$(wc -l <"$TMP/same")" "$n"
total=$(awk '{ s += $2 } END { print s + 0 }' "$TMP/same")
t_run "entries read back: $total, not none" test "$total" -gt 0
t_done
