#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Resources are bounded by threads and buckets, not by streams: 20,000 streams split under
# `ulimit -n 100` in either layout, and a memory cap of 1 MiB forces buffered streams out
# to files of their own without changing a single stream file.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

GENCAP="$top_builddir/tests/tools/gencap"
"$GENCAP" --out "$TMP/g" --streams 20000 --duration 60 --mix dns=80,http=20 --no-truth --quiet
for layout in packed files; do
    (ulimit -n 100 && exec "$SV" ingest -q -j 2 --layout $layout -o "$TMP/$layout" "$TMP/g.pcap") \
        2>"$TMP/err"
    t_is "--layout $layout under ulimit -n 100: exit status" "$?" 0
    t_is "--layout $layout under ulimit -n 100: all streams" \
        "$(jget "$TMP/$layout/store.json" '"\(.nodes[0].streams) \(.totals.unaccounted.packets)"')" "20000 0"
done
t_is "--layout files: one file per stream" "$(find "$TMP/files/nodes/local/streams" -type f | wc -l)" 20000

"$SV" ingest -q -j 2 --memcap 1M -o "$TMP/capped" "$TMP/g.pcap"
t_is "memcap 1M: streams were written out early" \
    "$(jget "$TMP/capped/store.json" '.nodes[0].large_streams > 0')" true
"$SV" streams --extract "$TMP/x1" "$TMP/packed" >/dev/null
"$SV" streams --extract "$TMP/x2" "$TMP/capped" >/dev/null
t_run "memcap 1M: the same stream files as without a cap" diff -r "$TMP/x1" "$TMP/x2"

# --layout files: a stream written out early is the same file, so its default cap is lower
# (64M) and the store does not depend on it at all
"$SV" ingest -q -j 2 --layout files --memcap 1M -o "$TMP/files1m" "$TMP/g.pcap"
"$SV" ingest -q -j 2 --layout files --memcap 192M -o "$TMP/files192m" "$TMP/g.pcap"
t_run "--layout files under --memcap 1M: the store of the default cap, byte for byte" \
    diff -r "$TMP/files" "$TMP/files1m"
t_run "--layout files under --memcap 192M: the same" diff -r "$TMP/files" "$TMP/files192m"
t_done
