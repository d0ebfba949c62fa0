#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# streamvault graph: every edge's requests, errors, bytes and latency p50/p99 equal what
# an independent reading of gencap's truth gives (tests/tools/graphcheck.py), for all six
# groupings; the DOT renders with dot; hostile names (quotes, backslashes, newlines,
# braces, control bytes, entities, bidi overrides, '/') come out escaped, and the DOT
# still parses and draws them as their printable text; the same bytes from stores
# ingested at -j 1 and -j 2 and at any thread count; --diff marks the edges only in one
# store and exits 1; a corrupt segment is reported and the rest drawn; rendering
# without dot and usage errors give exact texts.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

GENCAP="$top_builddir/tests/tools/gencap"
CHECK="$top_srcdir/tests/tools/graphcheck.py"

"$GENCAP" --out "$TMP/g" --streams 300 --duration 60 --seed 3 --quiet
"$SV" ingest -q -j 1 -o "$TMP/s1" --names "$TMP/g.names.json" "$TMP/g.pcap"
"$SV" ingest -q -j 2 -o "$TMP/s2" --names "$TMP/g.names.json" "$TMP/g.pcap"

# ------------------------------------------------------------ the truth's numbers
for by in name service pod namespace ip node; do
    "$SV" graph "$TMP/s1" --group-by $by --format json >"$TMP/$by.json"
done
if t_have python3; then
    t_run "all six groupings: every edge's numbers equal the truth's" \
        python3 "$CHECK" "$TMP/g.truth.json" name="$TMP/name.json" service="$TMP/service.json" \
        pod="$TMP/pod.json" namespace="$TMP/namespace.json" ip="$TMP/ip.json" \
        node:local="$TMP/node.json"
else
    t_skip "python3 is not installed"
fi
t_is "the capture has errors of every kind the graph counts (5xx, grpc-status, rcode, redis)" \
    "$(jq -c '[.edges[] | select(.errors > 0) | .protocol] | unique' "$TMP/name.json")" \
    '["dns","grpc","http","http2","redis"]'
"$SV" graph "$TMP/s1" "$TMP/s2" --format json >"$TMP/twice.json"
t_is "two stores make one graph: the same capture twice doubles every number but latency" \
    "$(jq -c '[.edges[] | [.from, .to, .protocol, .requests * 2, .errors * 2, .bytes * 2,
                           .responses * 2, .p50_ms, .p99_ms]]' "$TMP/name.json")" \
    "$(jq -c '[.edges[] | [.from, .to, .protocol, .requests, .errors, .bytes,
                           .responses, .p50_ms, .p99_ms]]' "$TMP/twice.json")"
# edges of the same two ends in the order of their protocol's key (grpc before http)
"$SV" graph "$TMP/s1" -f json >"$TMP/order.json"
t_is "edges sorted by (client id, server id, protocol key), some ends with two protocols" \
    "$(jq -c '[.edges[] | [.from, .to, .protocol]] | [. == sort, ([.[] | .[0:2]] | group_by(.) | map(select(length > 1)) | length > 0)]' "$TMP/order.json")" \
    "[true,true]"
t_is "limit(n) in the query: the graph of the first n entries" \
    "$("$SV" graph "$TMP/s1" 'dns and limit(7)' -f json | jq '[.edges[].requests] | add')" 7
"$SV" graph "$TMP/s1" 'grpc' --format json >"$TMP/grpc.json"
t_is "a KFL query selects the entries: 'grpc' keeps exactly the gRPC edges" \
    "$(jq -c '[.edges[] | select(.protocol == "grpc")]' "$TMP/name.json")" \
    "$(jq -c '.edges | select(length > 0)' "$TMP/grpc.json")"

# ------------------------------------------------------------ -q and --now
t_is "-q QUERY is the query as the last argument" \
    "$("$SV" graph "$TMP/s1" -q 'http or dns' --format json | md5sum)" \
    "$("$SV" graph "$TMP/s1" 'http or dns' --format json | md5sum)"
# now() pinned 45 s into the capture: the last 15 s are from 10:00:30 on
"$SV" graph "$TMP/s1" --now 2024-06-01T10:00:45Z 'timestamp >= now() - seconds(15)' \
    --format json >"$TMP/now.json"
t_is "--now pins now(): the same graph as the window written out, fewer entries than all" \
    "$(md5sum <"$TMP/now.json") $(jq '.entries > 0 and .entries < '"$(jq .entries "$TMP/name.json")" "$TMP/now.json")" \
    "$("$SV" graph "$TMP/s1" 'timestamp >= 1717236030000' --format json | md5sum) true"
t_is "streams --now pins now() too: the streams of the window written out" \
    "$("$SV" streams "$TMP/s1" --now 1717236045 'timestamp >= now() - seconds(15)' --json | md5sum)" \
    "$("$SV" streams "$TMP/s1" 'timestamp >= 1717236030000' --json | md5sum)"

# ------------------------------------------------------------ DOT and rendering
"$SV" graph "$TMP/s1" >"$TMP/g.dot"
t_is "DOT is the default, on standard output" "$(head -n 2 "$TMP/g.dot" | tail -n 1)" \
    "digraph streamvault {"
t_is "-o - is standard output" "$("$SV" graph "$TMP/s1" -o - | cmp - "$TMP/g.dot" && echo same)" \
    same
t_is "-o FILE.json writes JSON" "$("$SV" graph "$TMP/s1" -o "$TMP/o.json" && cmp "$TMP/o.json" \
    "$TMP/name.json" && echo same)" same
if t_have dot; then
    t_run "dot -Tsvg renders the DOT" dot -Tsvg -o "$TMP/g.svg" "$TMP/g.dot"
    "$SV" graph "$TMP/s1" -o "$TMP/r.svg"
    t_is "-o FILE.svg renders through dot" "$(dot -Tsvg "$TMP/g.dot" | cmp - "$TMP/r.svg" &&
        echo same)" same
    "$SV" graph "$TMP/s1" -g service -o "$TMP/r.png"
    t_is "-o FILE.png renders a PNG" "$(head -c 4 "$TMP/r.png" | od -An -c | tr -d ' ')" \
        '211PNG'
    # a rendering that cannot be written whole (here a file size limit; a full disk the
    # same) is an error and leaves no file, whatever dot says; a file at OUT.tmp is not ours
    echo mine >"$TMP/w.png.tmp"
    (
        ulimit -f $(($(wc -c <"$TMP/r.png") / 2048))
        "$SV" graph "$TMP/s1" -g service -o "$TMP/w.png" 2>"$TMP/err"
        echo $? >"$TMP/rc"
    )
    t_is "-o FILE.png that cannot be written whole: exit 3, the message, no file" \
        "$(cat "$TMP/rc") $(grep -c 'w.png.*File too large' "$TMP/err") $(ls "$TMP" | grep -c '^w\.png$')" \
        "3 1 0"
    t_is "... nothing left beside it, and the file at w.png.tmp is as it was" \
        "$(ls -a "$TMP" | grep -c 'w\.png\..*tmp') $(cat "$TMP/w.png.tmp")" "1 mine"
    rm -f "$TMP/w.png.tmp"
    # dot itself failing (here: its plugins not found, so no format is known) is an
    # error naming dot and its exit status, and leaves no file
    mkdir "$TMP/noplugins"
    GVBINDIR="$TMP/noplugins" "$SV" graph "$TMP/s1" -o "$TMP/f.svg" 2>"$TMP/err"
    t_is "dot failing: exit 3" "$?" 3
    t_is "dot failing: the message names dot and its exit status" \
        "$(grep '^streamvault:' "$TMP/err")" \
        "streamvault: $TMP/f.svg: $(command -v dot) -Tsvg failed (exit 1)"
    t_is "dot failing: no file, nothing left beside it" "$(ls -a "$TMP" | grep -c '^f\.svg')" 0
else
    t_skip "graphviz's dot is not installed (ci/bootstrap installs it)"
fi
mkdir "$TMP/nobin"
PATH="$TMP/nobin" "$SV" graph "$TMP/s1" -o "$TMP/n.svg" 2>"$TMP/err"
t_is "-o FILE.svg without dot: exit 3" "$?" 3
t_is "-o FILE.svg without dot: the message" "$(cat "$TMP/err")" \
    "streamvault: $TMP/n.svg: rendering svg needs Graphviz's dot, which is not in PATH (install graphviz, or write DOT with -o FILE.dot)"
t_is "-o FILE.svg without dot: no file" "$(ls "$TMP" | grep -c '^n\.svg')" 0

# ------------------------------------------------------------ golden graphs
# testdata/golden/<capture>.graph.dot and .graph.json pin the whole output format
for golden in "$TD"/golden/*.graph.dot "$TD"/golden/*.graph.json; do
    [ -e "$golden" ] || continue
    file=$(basename "$golden"); file=${file%.graph.*}
    rm -rf "$TMP/gold"
    "$SV" ingest -q -o "$TMP/gold" "$TD/$file"
    case $golden in *.json) fmt=json ;; *) fmt=dot ;; esac
    "$SV" graph "$TMP/gold" --format $fmt >"$TMP/gold.out"
    t_run "$file: the graph equals the golden $fmt" diff "$golden" "$TMP/gold.out"
done

# ------------------------------------------------------------ determinism
t_is "stores ingested at -j 1 and -j 2 give the same DOT" \
    "$("$SV" graph "$TMP/s2" | cmp - "$TMP/g.dot" && echo same)" same
t_is "... and the same JSON, grouped by node" \
    "$("$SV" graph "$TMP/s1" -g node -f json | cmp - "$("$SV" graph "$TMP/s2" -g node -f json \
        >"$TMP/n2.json"; echo "$TMP/n2.json")" && echo same)" same
t_is "one thread and four give the same graph" \
    "$(OMP_NUM_THREADS=1 "$SV" graph "$TMP/s1" 'http or dns' | cmp - \
        "$(OMP_NUM_THREADS=4 "$SV" graph "$TMP/s2" 'http or dns' >"$TMP/t4.dot"
           echo "$TMP/t4.dot")" && echo same)" same
t_is "nothing of the run in the output: no time, no path" \
    "$(grep -c -e "$TMP" -e "$(date -u +%Y-%m-%d)" "$TMP/g.dot")" 0

# ------------------------------------------------------------ hostile names
# catalogue's pods and service get a name with everything DOT, JSON, Graphviz's labels
# and a reader's eye could trip on (quote, backslash, braces, newline, an HTML tag, an
# entity, a control byte, a bidi override) and a namespace with '/', the separator of ids
jq -c '.ips |= with_entries(.value |= map(
        if .service == "catalogue" or (.kind == "service" and .name == "catalogue") then
            .service = "ca\"t\\a}{lo\ng<u>&#99;\u0001\u00e9\u202eX\u00ad\u061c\udb40\udc20" | .namespace = "sock/shop"
            | (if .kind == "service" then .name = .service else . end)
        else . end))' "$TMP/g.names.json" >"$TMP/h.names.json"
"$SV" ingest -q -o "$TMP/h" --names "$TMP/h.names.json" "$TMP/g.pcap"
"$SV" graph "$TMP/h" >"$TMP/h.dot"
"$SV" graph "$TMP/h" -g node >"$TMP/hn.dot"
"$SV" graph "$TMP/h" -g service -f json >"$TMP/h.json"
HNAME='ca"t\\a}{lo\x0ag<u>&#99;\x01é\xe2\x80\xaeX\xc2\xad\xd8\x9c\xf3\xa0\x80\xa0'
t_is "hostile names: the name's node in the DOT, escaped ('&' as &amp; in ids too)" \
    "$(grep -c -F "\"name:$(printf '%s' "$HNAME" | sed 's/[\\"]/\\&/g; s/&#99/\&amp;#99/').sock/shop\" [label=" \
        "$TMP/h.dot")" 1
t_is "hostile names: the DOT is UTF-8 without control bytes or bidi controls" \
    "$(iconv -f UTF-8 -t UTF-8 "$TMP/h.dot" "$TMP/hn.dot" >/dev/null &&
       LC_ALL=C grep -c "$(printf '[\001-\010\013-\037\177]\\|\342\200\256')" \
           "$TMP/h.dot" "$TMP/hn.dot")" "$TMP/h.dot:0
$TMP/hn.dot:0"
t_is "hostile names: the service's id in JSON ('/' inside a part as \\x2f)" \
    "$(jq -r '.nodes[].id | select(contains("x2f"))' "$TMP/h.json")" \
    "service:sock\\x2fshop/$HNAME"
if t_have dot; then
    for f in h hn; do
        t_run "hostile names: dot parses $f.dot" dot -Tsvg -o "$TMP/$f.svg" "$TMP/$f.dot"
    done
    # Graphviz would draw "&#99;" as "c" and take "\\" as an escape: neither happens
    t_is "hostile names: drawn as their printable text" \
        "$(grep -c -F '>ca&quot;t\\a}{lo\x0ag&lt;u&gt;&amp;#99;\x01é\xe2\x80\xaeX\xc2\xad\xd8\x9c\xf3\xa0\x80\xa0.sock/shop<' \
            "$TMP/h.svg")" 1
    t_is "hostile names: the SVG's title (tooltip) of the node, its id undecoded" \
        "$(grep '<title>name:ca&quot;t[^<]*&amp;#99;[^<]*</title>' "$TMP/h.svg" |
            grep -vc '&#45;&gt;')" 1
fi

# ------------------------------------------------------------ --diff
"$GENCAP" --out "$TMP/d" --streams 300 --duration 60 --seed 8 --pods 14 --quiet
"$SV" ingest -q -o "$TMP/d" --names "$TMP/d.names.json" "$TMP/d.pcap"
"$SV" graph --diff "$TMP/s1" "$TMP/s1" >"$TMP/same.dot"
t_is "--diff of a store with itself: exit 0" "$?" 0
t_is "--diff of a store with itself: no edge added or removed" \
    "$(grep -c 'change="added"\|change="removed"' "$TMP/same.dot")" 0
"$SV" graph --diff "$TMP/s1" "$TMP/d" -f json >"$TMP/diff.json"
t_is "--diff of two different stores: exit 1" "$?" 1
if [ -w /dev/full ]; then
    "$SV" graph --diff "$TMP/s1" "$TMP/d" >/dev/full 2>"$TMP/err"
    t_is "--diff of two different stores >/dev/full: exit 3, not 1" "$?" 3
    t_is "--diff of two different stores >/dev/full: message" \
        "$(cut -d: -f1-3 "$TMP/err")" "streamvault: graph: write error on standard output"
fi
"$SV" graph --diff "$TMP/s1" "$TMP/d" >"$TMP/diff.dot"
"$SV" graph "$TMP/d" -f json >"$TMP/dnew.json"
if t_have python3; then
    t_run "--diff: added, removed and kept edges are the graphs' differences, drawn as such" \
        python3 "$CHECK" --diff "$TMP/name.json" "$TMP/dnew.json" "$TMP/diff.json" "$TMP/diff.dot"
fi
if t_have dot; then
    t_run "--diff: dot parses the DOT" dot -Tsvg -o "$TMP/diff.svg" "$TMP/diff.dot"
fi

# ------------------------------------------------------------ a damaged store
# a corrupt segment is reported and skipped: the graph of the others, exit 3
cp -r "$TMP/s1" "$TMP/c"
seg=$(jq -r '.segments[0].name' "$TMP/c/store.json")
rows=$(jq -r '.segments[0].rows' "$TMP/c/store.json")
size=$(wc -c <"$TMP/c/index/$seg/entries.svx")
# a byte of the footer (every read checks it; a chunk no read needs would go unread)
printf '\377' | dd of="$TMP/c/index/$seg/entries.svx" bs=1 seek=$((size - 8)) conv=notrunc 2>/dev/null
"$SV" graph "$TMP/c" -f json >"$TMP/c.json" 2>"$TMP/err"
t_is "a corrupt segment: exit 3" "$?" 3
t_is "a corrupt segment: named" "$(sed -e "s|$TMP/c/||" "$TMP/err" | cut -d: -f1-2)" \
    "streamvault: index/$seg/entries.svx"
t_is "a corrupt segment: the other segments' entries are drawn" \
    "$(jq '[.edges[].requests] | add' "$TMP/c.json")" \
    "$(($(jq '[.edges[].requests] | add' "$TMP/name.json") - rows))"

# ------------------------------------------------------------ usage errors
expect "no store" 2 "streamvault: graph: expected STORE... [QUERY]
Try 'streamvault graph --help' for more information." "$SV" graph
expect "bad --group-by" 2 "streamvault: graph: --group-by: expected name, pod, service, namespace, node or ip, not 'host'
Try 'streamvault graph --help' for more information." "$SV" graph -g host "$TMP/s1"
expect "bad --format" 2 "streamvault: graph: --format: expected dot or json, not 'svg'
Try 'streamvault graph --help' for more information." "$SV" graph --format svg "$TMP/s1"
expect "--diff with one store" 2 "streamvault: graph: --diff: expected two stores, OLD and NEW, not 1
Try 'streamvault graph --help' for more information." "$SV" graph --diff "$TMP/s1"
expect "--diff with a mistyped second store" 2 "streamvault: graph: --diff: expected two stores, OLD and NEW (no file or directory 'nosuch': it was read as the query)
Try 'streamvault graph --help' for more information." "$SV" graph --diff "$TMP/s1" nosuch
expect "--format with a rendered file" 2 "streamvault: graph: --format json: x.png is rendered by Graphviz (.svg, .png, .pdf); drop --format or name a .dot or .json file
Try 'streamvault graph --help' for more information." "$SV" graph -f json -o x.png "$TMP/s1"
expect "a query that does not compile" 2 "streamvault: query: expected an operand but found end of query
  http and
          ^" "$SV" graph "$TMP/s1" 'http and'
expect "a store that does not exist is read as the query, and said so" 2 "streamvault: query: unknown field 'nowhere'
  nowhere
  ^^^^^^^
streamvault: graph: (no file or directory 'nowhere': it was read as the query)" \
    "$SV" graph "$TMP/s1" nowhere
expect "not a store" 3 "streamvault: $TMP/g.pcap/store.json: Not a directory" \
    "$SV" graph "$TMP/s1" "$TMP/g.pcap"

# ------------------------------------------------------------ snapshot --graph
"$SV" snapshot "$TMP/s1" --from 1717236010 --to 1717236030 --now 1717236100 -o "$TMP/w.tar.gz" \
    --graph "$TMP/w.dot" --group-by service 2>/dev/null
t_is "snapshot --graph: the window's entries' graph, as graph draws them with the same window" \
    "$(md5sum <"$TMP/w.dot")" \
    "$("$SV" graph "$TMP/s1" --group-by service \
        'timestamp >= 1717236010000 and timestamp < 1717236030000' | md5sum)"
"$SV" snapshot "$TMP/s1" --from 1717236010 --to 1717236030 --now 1717236100 -o "$TMP/w2.tar.gz" \
    -q 'dns' --graph "$TMP/w2.dot" 2>/dev/null
t_is "snapshot -q KFL --graph: narrowed by the query too" \
    "$(md5sum <"$TMP/w2.dot")" \
    "$("$SV" graph "$TMP/s1" 'dns and timestamp >= 1717236010000 and timestamp < 1717236030000' |
        md5sum)"
cp "$TMP/s1/store.json" "$TMP/store.json.before"
# the graph and the bundle go into place together, or neither; the bundle's own path, or
# one inside the store read, is refused before anything is read
echo old >"$TMP/keep.tar.gz"
expect "snapshot --graph to an unwritable path" 3 \
    "streamvault: $TMP/nowhere/w.dot: cannot create: No such file or directory" \
    "$SV" snapshot "$TMP/s1" --from 1717236010 --to 1717236030 -o "$TMP/keep.tar.gz" \
    --graph "$TMP/nowhere/w.dot"
t_is "snapshot --graph unwritable: the file at -o is left as it was, no temporary file" \
    "$(cat "$TMP/keep.tar.gz") $(ls -a "$TMP" | grep -c '\.tmp$')" "old 0"
expect "snapshot --graph at the bundle's path" 2 \
    "streamvault: snapshot: --graph $TMP/./keep.tar.gz: the bundle's own path
Try 'streamvault snapshot --help' for more information." \
    "$SV" snapshot "$TMP/s1" --from 1717236010 --to 1717236030 -o "$TMP/keep.tar.gz" \
    --graph "$TMP/./keep.tar.gz"
expect "snapshot --graph inside the store" 2 \
    "streamvault: snapshot: --graph $TMP/s1/store.json: inside the store $TMP/s1; write it elsewhere
Try 'streamvault snapshot --help' for more information." \
    "$SV" snapshot "$TMP/s1" --from 1717236010 --to 1717236030 -o "$TMP/keep.tar.gz" \
    --graph "$TMP/s1/store.json"
mkdir "$TMP/gdir"
expect "snapshot --graph to a directory: refused before anything is written" 2 \
    "streamvault: snapshot: --graph $TMP/gdir: a directory; name a file
Try 'streamvault snapshot --help' for more information." \
    "$SV" snapshot "$TMP/s1" --from 1717236010 --to 1717236030 -o "$TMP/keep.tar.gz" \
    --graph "$TMP/gdir"
ln -s "$TMP/keep.tar.gz" "$TMP/link.tar.gz"
expect "snapshot -o a symbolic link: refused, not replaced" 2 \
    "streamvault: snapshot: -o $TMP/link.tar.gz: not a regular file (a device, FIFO or link); name a file, or - for standard output
Try 'streamvault snapshot --help' for more information." \
    "$SV" snapshot "$TMP/s1" --from 1717236010 --to 1717236030 -o "$TMP/link.tar.gz"
if mkfifo "$TMP/gfifo" 2>/dev/null; then
    expect "graph -o a FIFO: refused, not replaced" 2 \
        "streamvault: graph: -o $TMP/gfifo: not a regular file (a device, FIFO or link); name a file, or - for standard output
Try 'streamvault graph --help' for more information." \
        "$SV" graph "$TMP/s1" -o "$TMP/gfifo"
    t_is "... still a FIFO and a link" "$([ -p "$TMP/gfifo" ] && [ -L "$TMP/link.tar.gz" ] && echo yes)" yes
else
    t_skip "no mkfifo"
fi
expect "graph -o inside the store" 2 \
    "streamvault: graph: -o $TMP/s1/store.json: inside the store $TMP/s1; write it elsewhere
Try 'streamvault graph --help' for more information." \
    "$SV" graph "$TMP/s1" -o "$TMP/s1/store.json"
t_is "refused: the bundle's file and the store are as they were" \
    "$(cat "$TMP/keep.tar.gz") $(jq -r .format "$TMP/s1/store.json") $(cmp "$TMP/s1/store.json" "$TMP/store.json.before" && echo same)" \
    "old streamvault-store same"
t_done
