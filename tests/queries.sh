#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# The documented example queries (queries/*.kfl): each counts what its "# expect: N" line
# says on gencap's capture for seed 17 (queries/README.md tells where N comes from).
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

"$top_builddir/tests/tools/gencap" --out "$TMP/g" --streams 2000 --duration 120 --seed 17 --quiet
"$SV" ingest -q -o "$TMP/s" --names "$TMP/g.names.json" "$TMP/g.pcap"
for f in "$top_srcdir"/queries/*.kfl; do
    want=$(sed -n 's/^# expect: //p' "$f")
    t_is "$(basename "$f"): $want entries" "$("$SV" query "$TMP/s" "$(grep -v '^#' "$f")" --count)" \
        "$want"
done
t_done
