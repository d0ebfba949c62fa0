#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# The index plan (lib/query/plan.c) selects exactly what matching every entry's JSON
# selects: every queries/*.kfl and every line of tests/plan/queries.txt, on gencap's
# capture (with names) and on the real captures of testdata/, with the plan and with
# SV_QUERY_PLAN=0 (the same entries, in the same order, printed the same); and it does
# its work on the columns: the seed query rebuilds no entry, a regex over a dictionary
# column runs once per distinct value of a block (SV_QUERY_STATS' counter), zone maps
# skip blocks.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

# the sanitizer build runs every query on a smaller capture: the same code paths, and
# each query there costs several times what it costs in the plain build
streams=800
[ "${sv_sanitized:-no}" = yes ] && streams=300
"$top_builddir/tests/tools/gencap" --out "$TMP/g" --streams $streams --duration 60 --seed 17 --quiet
"$SV" ingest -q -o "$TMP/s" --names "$TMP/g.names.json" "$TMP/g.pcap"
"$SV" ingest -q -o "$TMP/r" "$TD" 2>/dev/null

# same STORE QUERY: the count (--count reads no entry the columns decide) and, on the
# smaller store, the entries' ids in order, with and without the plan
same() {
    a=$("$SV" query "$1" "$2" --count 2>&1)
    b=$(SV_QUERY_PLAN=0 "$SV" query "$1" "$2" --count 2>&1)
    if [ "$1" = "$TMP/r" ]; then
        a="$a $("$SV" query "$1" "$2" --format ndjson 2>&1 | jq -r .id 2>&1 | md5sum)"
        b="$b $(SV_QUERY_PLAN=0 "$SV" query "$1" "$2" --format ndjson 2>&1 | jq -r .id 2>&1 | md5sum)"
    fi
    [ "$a" = "$b" ] && return 0
    echo "# $2: with the plan $a, JSON only $b" >&2
    return 1
}

for store in s r; do
    bad=0 n=0
    for f in "$top_srcdir"/queries/*.kfl; do
        n=$((n + 1))
        same "$TMP/$store" "$(grep -v '^#' "$f")" || bad=$((bad + 1))
    done
    while IFS= read -r q; do
        case $q in '#'* | '') continue ;; esac
        n=$((n + 1))
        same "$TMP/$store" "$q" || bad=$((bad + 1))
    done <"$top_srcdir/tests/plan/queries.txt"
    t_is "store $store: $n queries select the same entries with the plan and on JSON alone" \
        "$bad" 0
done

stats() { SV_QUERY_STATS=1 "$SV" query "$TMP/s" "$1" --count 2>&1 >/dev/null; }
field() { sed -n "s/.*$1 \([0-9]*\).*/\1/p"; }
rows_all=$("$SV" query "$TMP/s" '' --count)

SEED='grpc and request.headers["Authorization"] == r"Token.*" and
src.name == "front-end.sock-shop" and dst.name == "catalogue.sock-shop"'
t_is "the seed query is decided on the columns: no entry is rebuilt" \
    "$(stats "$SEED" | field json)" 0
t_is "... and the plan says so" \
    "$("$SV" query "$TMP/s" --explain "$SEED" | grep -c '^columns: ')/$("$SV" query "$TMP/s" --explain "$SEED" | grep '^json:')" \
    "4/json:    nothing: the columns decide every entry"

# the entries the columns leave undecided (a query on bodies) are matched as each block is
# read: the selection holds only the records of what it selects (it held every one of
# them, bodies included, until the whole store was scanned)
NONE='response.content.text.contains("no such text anywhere")'
t_is "a query on bodies decided on JSON: every entry, none matches" \
    "$(stats "$NONE" | field json)/$(stats "$NONE" | field matched)" "$rows_all/0"
t_is "... and no record is held, with --count or printing" \
    "$(stats "$NONE" | field 'records held')/$(SV_QUERY_STATS=1 "$SV" query "$TMP/s" "$NONE" \
        --format ndjson 2>&1 >/dev/null | field 'records held')" "0/0"
SOME='response.content.text.contains("a")'
t_is "... one that matches some: with --count no record held either" \
    "$(stats "$SOME" | field 'records held')" 0

# a regex over src.namespace: once per distinct value and block, not once per row
blocks=$(stats '' | field blocks)
ns=$("$SV" query "$TMP/s" '' --format ndjson | jq -r .src.namespace | sort -u | wc -l)
rows=$("$SV" query "$TMP/s" '' --count)
evals=$(stats 'src.namespace == r"^sock"' | field 'distinct values')
t_run "a regex on a name column runs at most once per distinct value and block ($evals <= $blocks x $ns, $rows rows)" \
    test "$evals" -ge 1 -a "$evals" -le $((blocks * ns)) -a "$evals" -lt "$rows"
evals=$(stats 'request.path == r"^/catalogue"' | field 'distinct values')
t_run "a regex on request.path runs once per distinct path of a block ($evals evaluations)" \
    test "$evals" -ge 1 -a "$evals" -lt "$("$SV" query "$TMP/s" 'request.path != null' --count)"
t_is "SV_QUERY_PLAN=0 decides nothing on the columns" \
    "$(SV_QUERY_PLAN=0 SV_QUERY_STATS=1 "$SV" query "$TMP/s" 'http' --count 2>&1 >/dev/null | field 'yes')" 0

# zone maps: a time window before the capture skips every block, one inside it some
t_is "a window before the capture: every block skipped by zone maps" \
    "$(stats 'timestamp < 1000 or dst.port > 70000' | field 'zone maps')" "$blocks"
t_is "... and nothing matches" "$("$SV" query "$TMP/s" 'timestamp < 1000 or dst.port > 70000' --count)" 0

# a map member whose name is not UTF-8 is left out of the entry's JSON: the plan must not
# find it by its bytes (the rows go to the JSON), in queryString as in headers
both() { echo "$("$SV" query "$1" "$2" --count)/$(SV_QUERY_PLAN=0 "$SV" query "$1" "$2" --count)"; }
if t_have python3; then
    python3 "$top_srcdir/tests/tools/mkhttp.py" "$TMP/u.pcap" \
        'GET /a?caf\xe9=1&ok=2 HTTP/1.1\r\nHost: a\r\n\r\n'
    "$SV" ingest -q -o "$TMP/u" "$TMP/u.pcap"
    t_is "a queryString name not in UTF-8: missing with the plan as on JSON" \
        "$(both "$TMP/u" 'request.queryString["caf\xe9"] == "1"') $(both "$TMP/u" \
            'request.queryString["CAF\xe9"] == null') $(both "$TMP/u" 'request.queryString.ok')" \
        "0/0 1/1 1/1"
else
    t_skip "python3 is not installed"
fi
t_done
