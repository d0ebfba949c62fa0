#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# The query command and the ingest options around entries: formats, --count, --limit,
# the errors, --no-dissect, --no-l4-entries, --discard-undissected and its accounting.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

cap="$TD/ndpi_android.pcap"             # HTTP, DNS, TLS, and streams nobody dissects
"$SV" ingest -q -o "$TMP/s" "$cap"
n=$(jget "$TMP/s/store.json" .nodes[0].entries)
t_is "--count = store.json's entry count" "$("$SV" query "$TMP/s" '' --count)" "$n"
t_is "ndjson: one line per entry" "$("$SV" query "$TMP/s" '' --format ndjson | wc -l)" "$n"
t_is "json: one array of the same entries" \
    "$("$SV" query "$TMP/s" '' --format json | jq -c '.[]' | md5sum)" \
    "$("$SV" query "$TMP/s" '' --format ndjson | jq -c . | md5sum)"
t_is "table: a header and a line per entry" "$("$SV" query "$TMP/s" '' | wc -l)" "$((n + 1))"
t_is "--limit 3" "$("$SV" query "$TMP/s" '' --format ndjson --limit 3 | wc -l)" 3
t_is "entries in request time order" \
    "$("$SV" query "$TMP/s" '' --format ndjson | jq -r .timestamp | sort -n -c && echo sorted)" sorted
t_is "ids are node/stream-index" \
    "$("$SV" query "$TMP/s" '' --format ndjson | jq -r 'select(.id != "local/\(.stream | split(".")[0] | split("_")[0] | tonumber)-\(.index)") | .id' | wc -l)" 0
t_is "a protocol per entry" \
    "$("$SV" query "$TMP/s" '' --format ndjson | jq -r .protocol.abbr | sort -u | tr '\n' ' ')" \
    "DNS HTTP TCP TLS UDP "
udp_l4=$("$SV" query "$TMP/s" '' --format ndjson | jq -r 'select(.protocol.abbr == "UDP" or .protocol.abbr == "TCP")' | jq -s length)

"$SV" query "$TMP/s" 'http' >"$TMP/out" 2>"$TMP/err"
t_is "a KFL filter is refused (exit 2) until KFL lands" "$? $(cat "$TMP/err")" \
    "2 streamvault: query: KFL filters are not implemented yet; use '' for every entry"
"$SV" query "$TMP/s" >/dev/null 2>"$TMP/err"
t_is "query without QUERY is a usage error" "$?" 2
"$SV" query "$TMP/nope" '' >/dev/null 2>"$TMP/err"
t_is "query on a missing store fails (exit 3)" "$?" 3
"$SV" query "$TMP/s" '' --format xml >/dev/null 2>"$TMP/err"
t_is "--format xml is a usage error" "$? $(head -n 1 "$TMP/err")" \
    "2 streamvault: query: --format: expected table, json or ndjson, not 'xml'"

"$SV" ingest -q --no-dissect -o "$TMP/nd" "$cap"
t_is "--no-dissect: no entries, no entries directory" \
    "$(jget "$TMP/nd/store.json" .nodes[0].entries) $([ -d "$TMP/nd/nodes/local/entries" ] && echo dir)" "0 "
t_is "--no-dissect: the same streams" \
    "$(cmp -s "$TMP/nd/nodes/local/streams.cat" "$TMP/s/nodes/local/streams.cat" && echo same)" same

"$SV" ingest -q --no-l4-entries -o "$TMP/n4" "$cap"
t_is "--no-l4-entries: the tcp/udp summaries are gone, nothing else" \
    "$(jget "$TMP/n4/store.json" .nodes[0].entries)" "$((n - udp_l4))"

"$SV" ingest -q --discard-undissected -o "$TMP/dd" "$cap"
kept=$("$SV" streams --json "$TMP/dd" | jq length)
disc=$(jget "$TMP/dd/store.json" .nodes[0].discarded_streams)
t_is "--discard-undissected: kept + discarded = all streams, one discarded per summary" \
    "$kept $disc" "$(($(jget "$TMP/s/store.json" .nodes[0].streams) - udp_l4)) $udp_l4"
t_is "--discard-undissected: their packets are counted as discarded, none unaccounted" \
    "$(jget "$TMP/dd/store.json" '"\(.totals.discarded.packets > 0) \(.totals.unaccounted.packets)"')" "true 0"
t_is "--discard-undissected: no summary entries" \
    "$(jget "$TMP/dd/store.json" .nodes[0].entries)" "$((n - udp_l4))"
"$SV" ingest -q --discard-undissected --no-dissect -o "$TMP/bad" "$cap" 2>"$TMP/err"
t_is "--discard-undissected with --no-dissect is a usage error" "$? $(head -n 1 "$TMP/err")" \
    "2 streamvault: ingest: --discard-undissected needs dissection (drop --no-dissect)"
t_done
