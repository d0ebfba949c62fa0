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

t_is "a KFL filter: http = the HTTP entries" "$("$SV" query "$TMP/s" 'http' --count)" \
    "$("$SV" query "$TMP/s" '' --format ndjson | jq -r 'select(.protocol.abbr == "HTTP")' | jq -s length)"
"$SV" query "$TMP/s" 'htp and dns' >"$TMP/out" 2>"$TMP/err"
t_is "a query that does not compile: exit 2, the fault under a caret" "$? $(cat "$TMP/err")" \
    "2 streamvault: query: unknown field 'htp': did you mean 'http'?
  htp and dns
  ^^^"
"$SV" query "$TMP/s" >/dev/null 2>"$TMP/err"
t_is "query without QUERY is a usage error" "$?" 2
"$SV" query "$TMP/nope" '' >/dev/null 2>"$TMP/err"
t_is "query on a missing store fails (exit 3)" "$?" 3
"$SV" query "$TMP/s" '' --format xml >/dev/null 2>"$TMP/err"
t_is "--format xml is a usage error" "$? $(head -n 1 "$TMP/err")" \
    "2 streamvault: query: --format: expected table, json, ndjson or csv, not 'xml'"

# csv, --fields, --sort: checked against jq's reading of the ndjson
"$SV" query "$TMP/s" '' --format ndjson >"$TMP/all.ndjson"
t_is "csv: a header and one CRLF line per entry" \
    "$("$SV" query "$TMP/s" '' --format csv | head -n 1) $("$SV" query "$TMP/s" '' -f csv | grep -c "$(printf '\r')$")" \
    "$(printf 'time,protocol,src,dst,request,response,elapsed_ms\r') $((n + 1))"
F='id,request.headers["User-Agent"],response.status,dst.port + 0'
t_is "csv with --fields: RFC 4180 (python's csv reads back exactly jq's values)" \
    "$("$SV" query "$TMP/s" 'http' -f csv -F "$F" | python3 -c 'import csv,sys,json
for r in csv.reader(sys.stdin): print(json.dumps(r))' | md5sum)" \
    "$( (printf '%s\n' '["id", "request.headers[\"User-Agent\"]", "response.status", "dst.port + 0"]'
        jq -c 'select(.protocol.abbr == "HTTP") | [.id, (.request.headers["User-Agent"] // ""), (.response.status // "" | tostring), (.dst.port | tostring)]' "$TMP/all.ndjson" |
        sed 's/","/", "/g') | md5sum)"
t_is "ndjson with --fields: exact objects" \
    "$("$SV" query "$TMP/s" 'dns' -f ndjson -F 'id,src.port,protocol.abbr' | md5sum)" \
    "$(jq -c 'select(.protocol.abbr == "DNS") | {id, "src.port": .src.port, "protocol.abbr": .protocol.abbr}' "$TMP/all.ndjson" | md5sum)"
# sorted_ids ARGS...: the ids query prints sorted by ARGS; jq_ids EXPR: the ids of the
# entries (to_entries, .key their time order) in the order jq's EXPR gives
sorted_ids() { "$SV" query "$TMP/s" '' -f ndjson -F id "$@" | jq -r .id | md5sum; }
jq_ids() { jq -s -r "to_entries | $1 | .[].value.id" "$TMP/all.ndjson" | md5sum; }
t_is "--sort elapsedTime --desc: largest first, ties in time order" \
    "$(sorted_ids -s elapsedTime --desc)" "$(jq_ids 'sort_by(-(.value.elapsedTime), .key)')"
t_is "--sort response.status: numbers ascending, entries without a status last" \
    "$(sorted_ids -s response.status)" \
    "$(jq_ids 'sort_by((.value.response.status == null), .value.response.status, .key)')"
t_is "--sort request.path: strings in byte order, entries without a path last" \
    "$(sorted_ids -s request.path)" \
    "$(jq_ids 'sort_by((.value.request.path == null), .value.request.path, .key)')"
t_is "--sort request.path --desc: strings reversed, ties and entries without a path in time order" \
    "$(sorted_ids -s request.path --desc)" \
    "$(jq_ids '(map(select(.value.request.path != null)) | sort_by(.value.request.path, -.key) | reverse) + map(select(.value.request.path == null))')"
t_is "--sort request.flags: objects by their compact JSON (two kinds here), entries without last" \
    "$(sorted_ids -s request.flags)" \
    "$(jq_ids 'sort_by((.value.request.flags == null), (.value.request.flags | tojson), .key)')"
t_is "--sort request.flags.rd --desc: true before false, null last" \
    "$(sorted_ids -s request.flags.rd --desc)" \
    "$(jq_ids 'sort_by((.value.request.flags.rd | if . == true then 0 elif . == false then 1 else 2 end), .key)')"
t_is "--sort then --limit: the top entries" \
    "$("$SV" query "$TMP/s" '' -F elapsedTime -s elapsedTime -r -n 2 -f csv | tr -d '\r' | tr '\n' ' ')" \
    "elapsedTime $(jq -r .elapsedTime "$TMP/all.ndjson" | sort -rn | head -n 2 | tr '\n' ' ')"
t_is "--fields: blanks around an expression are not part of it" \
    "$("$SV" query "$TMP/s" 'http' -f ndjson -F ' id , dst.port ' | md5sum)" \
    "$("$SV" query "$TMP/s" 'http' -f ndjson -F 'id,dst.port' | md5sum)"
t_is "--fields: commas in quotes (escaped quotes too) and in parentheses split nothing" \
    "$("$SV" query "$TMP/s" 'http' -f ndjson -n 1 -F 'request.headers["A, \"b\""],request.path.startsWith("/a,b")' | jq -c 'keys')" \
    '["request.headers[\"A, \\\"b\\\"\"]","request.path.startsWith(\"/a,b\")"]'
"$SV" query "$TMP/s" '' -F 'src.nmae' >/dev/null 2>"$TMP/err"
t_is "--fields: an expression that does not compile points at the fault" "$? $(cat "$TMP/err")" \
    "2 streamvault: query: --fields: unknown field 'src.nmae': did you mean 'src.name'?
  src.nmae
  ^^^^^^^^"
"$SV" query "$TMP/s" '' -F 'id,,src.ip' >/dev/null 2>"$TMP/err"
t_is "--fields: an empty expression is a usage error" "$? $(head -n 1 "$TMP/err")" \
    "2 streamvault: query: --fields: expected KFL expressions separated by commas, not 'id,,src.ip'"
"$SV" query "$TMP/s" '' --desc >/dev/null 2>"$TMP/err"
t_is "--desc without --sort is a usage error" "$? $(head -n 1 "$TMP/err")" \
    "2 streamvault: query: --desc needs --sort"

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
# bodies: kept whole up to --body-max (decoded from chunks), cut past it and flagged
"$SV" ingest -q -o "$TMP/b" "$TD/zeek_http_pipelined-requests.pcap"
"$SV" query "$TMP/b" '' --format ndjson --bodies >"$TMP/b.ndjson"
ok=0
n=0
while IFS= read -r l; do
    n=$((n + 1))
    want=$(printf '%s' "$l" | jq -r .response.bodySize)
    got=$(printf '%s' "$l" | jq -r '.response.content.text // ""' | base64 -d | wc -c)
    [ "$want" = "$got" ] && ok=$((ok + 1))
done <"$TMP/b.ndjson"
t_is "--bodies: every response body kept whole (bodySize bytes decoded)" "$ok of $n" "5 of 5"
t_is "without --bodies the JSON has no body text" \
    "$("$SV" query "$TMP/b" '' --format ndjson | grep -c '"text"')" 0
"$SV" ingest -q -o "$TMP/g" "$TD/ws_grpc_person_search.pcapng"
t_is "--bodies, gRPC: the DATA payloads, messages with their 5-byte prefixes (tshark: 18 and 135 bytes)" \
    "$("$SV" query "$TMP/g" '' --format ndjson --bodies | jq -r .request.postData.text | base64 -d | od -An -tx1 -N5 | tr -d ' ') $("$SV" query "$TMP/g" '' --format ndjson --bodies | jq -r .request.postData.text | base64 -d | wc -c) $("$SV" query "$TMP/g" '' --format ndjson --bodies | jq -r .response.content.text | base64 -d | wc -c)" \
    "000000000d 18 135"
"$SV" ingest -q --body-max 100 -o "$TMP/b100" "$TD/zeek_http_pipelined-requests.pcap"
t_is "--body-max 100: bodies past 100 bytes cut to 100 and flagged truncated (sizes 946 6716 94 2349 27579)" \
    "$("$SV" query "$TMP/b100" '' --format ndjson --bodies | while IFS= read -r l; do
        printf '%s %s %s\n' "$(printf '%s' "$l" | jq -r .response.bodySize)" \
            "$(printf '%s' "$l" | jq -r .response.content.text | base64 -d | wc -c)" \
            "$(printf '%s' "$l" | jq -r .response.content.truncated)"; done | tr '\n' ' ')" \
    "946 100 true 6716 100 true 94 94 null 2349 100 true 27579 100 true "
t_is "to KFL a kept body's text is its content, not base64: size() counts it (the first 100 gzip bytes decode to 72 and 15), startsWith() reads it" \
    "$("$SV" query "$TMP/b100" '' -F 'size(response.content.text),response.content.text.startsWith("GIF89a")' -f csv | tail -n +2 | tr -d '\r' | tr '\n' ' ')" \
    "72,false 15,false 94,true 100,false 100,false "
# a body's content coding (gzip here, in one capture chunked too) is undone for KFL: the
# text is what tshark's --export-objects writes; a body kept in part decodes in part
if t_have tshark; then
    mkdir "$TMP/eo" "$TMP/eo2"
    tshark -r "$TD/zeek_http_pipelined-requests.pcap" --export-objects "http,$TMP/eo" -q >/dev/null 2>&1
    tshark -r "$TD/ws_http-chunked-gzip.pcap" --export-objects "http,$TMP/eo2" -q >/dev/null 2>&1
    "$SV" ingest -q -o "$TMP/cg" "$TD/ws_http-chunked-gzip.pcap"
    body_text() { "$SV" query "$1" "$2" -F response.content.text -f ndjson | jq -j '.["response.content.text"]'; }
    t_is "gzip bodies to KFL: the bytes tshark exports (enhanced.css, urchin.js, a chunked page)" \
        "$(body_text "$TMP/b" 'request.path.endsWith("enhanced.css")' | md5sum) $(body_text "$TMP/b" 'request.path.endsWith("urchin.js")' | md5sum) $(body_text "$TMP/cg" http | md5sum)" \
        "$(md5sum <"$TMP/eo/enhanced.css") $(md5sum <"$TMP/eo/urchin.js") $(cat "$TMP"/eo2/* | md5sum)"
    body_text "$TMP/b100" 'request.path.endsWith("urchin.js")' >"$TMP/part.js"
    t_is "... under --body-max 100: the first bytes of it" \
        "$(head -c "$(wc -c <"$TMP/part.js")" "$TMP/eo/urchin.js" | cmp - "$TMP/part.js" && [ -s "$TMP/part.js" ] && echo prefix)" prefix
else
    t_skip "tshark is not installed"
    t_skip "tshark is not installed"
fi
"$SV" ingest -q --body-max 0 -o "$TMP/b0" "$TD/zeek_http_pipelined-requests.pcap"
t_is "--body-max 0: no body kept, store.json says so" \
    "$("$SV" query "$TMP/b0" '' --format ndjson --bodies | grep -c '"text"') $(jget "$TMP/b0/store.json" .options.body_max)" "0 0"
"$SV" ingest -q --body-max 1G -o "$TMP/bx" "$TD/zeek_http_pipelined-requests.pcap" 2>"$TMP/err"
t_is "--body-max over 256M is a usage error" "$? $(head -n 1 "$TMP/err")" \
    "2 streamvault: ingest: --body-max: bad size '1G' (at most 256M)"

# hostile header values: "NaN" is no number, a NUL byte stays in the string, control
# bytes are escaped in a table (never written to the terminal as they came)
if t_have python3; then
    python3 "$top_srcdir/tests/tools/mkhttp.py" "$TMP/h.pcap" \
        'GET /nan HTTP/1.1\r\nHost: x\r\nX-Num: NaN\r\n\r\n' \
        'GET /nul HTTP/1.1\r\nHost: x\r\nX-Nul: a\x00b\r\n\r\n' \
        'GET /esc HTTP/1.1\r\nHost: x\r\nX-Esc: \x1b[2J\x1b[31mPWNED\r\nX-Num: 1e3\r\nX-C1: a\xc2\x9bb\r\nX-Txt: caf\xc3\xa9\r\nX-Bidi: a\xe2\x80\xaeb\r\nX-Hide: a\xc2\xadb\xd8\x9cc\xf3\xa0\x80\xa0d\r\nX-Lit: a\\u200bb\r\n\r\n'
    "$SV" ingest -q -o "$TMP/h" "$TMP/h.pcap"
    for plan in 1 0; do
        c() { SV_QUERY_PLAN=$plan "$SV" query "$TMP/h" "$1" --count; }
        t_is "a captured 'NaN' equals no number and is ordered against none (plan $plan)" \
            "$(c 'request.headers["X-Num"] == 42') $(c 'path == "/nan" and request.headers["X-Num"] >= 0') $(c 'request.headers["X-Num"] != 42')" \
            "0 0 3"
        t_is "a captured '1e3' is the number 1000 (plan $plan)" \
            "$(c 'request.headers["X-Num"] == 1000') $(c 'request.headers["X-Num"] > 999.5')" "1 1"
        t_is "NaN from arithmetic: == and ordering false, != true (plan $plan)" \
            "$(c 'response.status == 1e999 - 1e999') $(c 'timestamp >= 1e999 - 1e999') $(c 'response.status != 1e999 - 1e999')" \
            "0 0 3"
        t_is "a NUL byte is part of the string (plan $plan)" \
            "$(c 'request.headers["X-Nul"] == "a"') $(c 'request.headers["X-Nul"] == "a\0b"') $(c 'request.headers["X-Nul"].endsWith("b")')" \
            "0 1 1"
    done
    # a header name in two cases is one header (its values joined, the first spelling
    # kept); a value with a byte that is not UTF-8 keeps its other characters
    python3 "$top_srcdir/tests/tools/mkhttp.py" "$TMP/hc.pcap" \
        'GET /case HTTP/1.1\r\nHost: x\r\nAccept: a\r\naccept: b\r\nX-Bad: caf\xc3\xa9 \xff\r\n\r\n'
    "$SV" ingest -q -o "$TMP/hc" "$TMP/hc.pcap"
    for plan in 1 0; do
        c() { SV_QUERY_PLAN=$plan "$SV" query "$TMP/hc" "$1" --count; }
        t_is "a header name in two cases is one header, its values joined (plan $plan)" \
            "$(c 'request.headers["Accept"] == "a, b"') $(c 'request.headers["accept"] == "a, b"') $(c 'request.headers["ACCEPT"] == "b"')" \
            "1 1 0"
        t_is "a byte that is not UTF-8 hides no character around it (plan $plan)" \
            "$(c 'request.headers["X-Bad"].startsWith("café ")')" 1
        t_is "a number's text has the fewest digits that read back the same (plan $plan)" \
            "$(c '0.1 == r"^0\.1$"') $(c '"0.1".contains(0.1)') $(c 'json("0.1").endsWith("0.1")') $(c '(1e308).startsWith("1e")') $(c '(1e999 - 1e999) == r"^NaN$"')" \
            "1 1 1 1 1"
        t_is "'5.' and '.5' are no numbers (plan $plan)" \
            "$(c '"5." == 5') $(c '".5" == 0.5') $(c '"5.0" == 5')" "0 0 1"
        t_is "objects and arrays compare by value (plan $plan)" \
            "$(c 'json("{\"a\":[1,2]}") == json("{\"a\":[1,2]}")') $(c 'json("{}") != json("{}")') $(c 'json("[1]") == json("[2]")')" \
            "1 0 0"
        t_is "field names in another case are those fields (plan $plan)" \
            "$(c 'REQUEST.Path == "/case"') $(c 'Dst.PORT == 80') $(c 'SRC.ip == "10.0.0.2"')" \
            "1 1 1"
        t_is "json() takes a string holding \\u0000 (plan $plan)" \
            "$(c 'json("\"a\\u0000b\"") == "a\0b"')" 1
    done
    t_is "-F prints numbers with the fewest digits that read back the same" \
        "$("$SV" query "$TMP/hc" '' -F '0.1,1e308,2.5,1e999 - 1e999' -f ndjson)" \
        '{"0.1":0.1,"1e308":1e+308,"2.5":2.5,"1e999 - 1e999":null}'
    t_is "... and in CSV" "$("$SV" query "$TMP/hc" '' -F '0.1,1e308' -f csv | tail -n 1 | tr -d '\r')" \
        '0.1,1e+308' 
    t_is "... in the JSON too: one key, the first spelling; U+FFFD for the bad byte only" \
        "$("$SV" query "$TMP/hc" '' -F 'request.headers' -f ndjson)" \
        '{"request.headers":{"Host":"x","Accept":"a, b","X-Bad":"café �"}}'
    # a name that is not UTF-8 is kept as a string is (its bad bytes U+FFFD), not left out;
    # two that read the same then are one member, their values joined
    python3 "$top_srcdir/tests/tools/mkhttp.py" "$TMP/hq.pcap" \
        'GET /q?caf\xe9=1&ok=2&caf\xe8=3 HTTP/1.1\r\nHost: x\r\n\r\n'
    "$SV" ingest -q -o "$TMP/hq" "$TMP/hq.pcap"
    t_is "a name not in UTF-8 stays in the JSON, its bad byte U+FFFD" \
        "$("$SV" query "$TMP/hq" '' -F 'request.queryString' -f ndjson)" \
        '{"request.queryString":{"caf�":"1, 3","ok":"2"}}'
    Q='request.queryString["caf\ufffd"] == "1, 3"'
    t_is "... and a query finds it so, with the plan and on JSON alone" \
        "$("$SV" query "$TMP/hq" "$Q" -c) $(SV_QUERY_PLAN=0 "$SV" query "$TMP/hq" "$Q" -c)" \
        "1 1"
    t_is "-F ndjson keeps the NUL" \
        "$("$SV" query "$TMP/h" 'request.path == "/nul"' -F 'request.headers["X-Nul"]' -f ndjson)" \
        '{"request.headers[\"X-Nul\"]":"a\u0000b"}'
    t_is "-F csv writes the NUL as captured, quoted" \
        "$("$SV" query "$TMP/h" 'request.path == "/nul"' -F 'request.headers["X-Nul"]' -f csv | tail -n 1 | od -An -c | tr -s ' ')" \
        ' " a \0 b " \r \n'
    # esc FIELDS: the /esc request's row of a table of FIELDS, blanks squeezed
    esc() { "$SV" query "$TMP/h" 'request.path == "/esc"' -F "$1" | tail -n 1 | tr -s ' '; }
    t_is "-F table: C1 controls and bidi overrides escaped, other UTF-8 text as it is" \
        "$(esc 'request.headers["X-C1"],request.headers["X-Bidi"],request.headers["X-Txt"]')" \
        'a\u009bb a\u202eb café'
    t_is "-F table: soft hyphens, the Arabic letter mark and tags escaped too (\\U past U+FFFF)" \
        "$(esc 'request.headers["X-Hide"]')" 'a\u00adb\u061cc\U000e0020d'
    t_is "-F table: a backslash as \\\\, so text never looks like an escape" \
        "$(esc 'request.headers["X-Lit"]')" 'a\\u200bb'
    t_is "-F table: columns aligned by what the terminal shows (é is one column)" \
        "$("$SV" query "$TMP/h" '' -F 'request.headers["X-Txt"],request.path' |
            python3 -c 'import sys; print(len({l.index("/") for l in sys.stdin.buffer.read().decode().splitlines()[1:]}))')" 1
    t_is "-F table: control bytes escaped" \
        "$("$SV" query "$TMP/h" 'request.path == "/esc"' -F 'request.headers["X-Esc"]' | tail -n 1)" \
        '\x1b[2J\x1b[31mPWNED'
else
    t_skip "python3 is needed"
fi

# indexes pick from lists: a list literal's, and a KFL2 alias of every element
"$SV" ingest -q -o "$TMP/dns" "$TD/ndpi_android.pcap" 2>/dev/null
first=$("$SV" query "$TMP/dns" dns -n 1 --format ndjson | jq -r '.request.questions[0].name')
t_is "dns_questions[0] is the first question's name" \
    "$("$SV" query "$TMP/dns" "dns_questions[0] == \"$first\"" --count)" \
    "$("$SV" query "$TMP/dns" dns --format ndjson | jq -r --arg f "$first" 'select(.request.questions[0].name == $f)' | jq -s length)"
t_is "[1, 2][0], [1, 2][-1], [1, 2][2]" \
    "$("$SV" query "$TMP/dns" dns -n 1 -F '[1, 2][0],[1, 2][-1],[1, 2][2]' --format ndjson)" \
    '{"[1, 2][0]":1,"[1, 2][-1]":2,"[1, 2][2]":null}'
# a list of thousands of values (the way to filter many addresses), the same as the chain
ports=$(seq -s, 0 3000)
t_is "x in [3001 values] = the entries whose port is one of them" \
    "$("$SV" query "$TMP/s" "dst.port in [$ports]" --count) $(SV_QUERY_PLAN=0 "$SV" query "$TMP/s" "dst.port in [$ports]" --count)" \
    "$(n=$("$SV" query "$TMP/s" '' --format ndjson | jq -r 'select(.dst.port <= 3000)' | jq -s length); echo "$n $n")"
"$SV" query "$TMP/s" "$(printf 'dns or %.0s' $(seq 1025))dns" --count 2>"$TMP/err"
t_is "a chain of 1026 terms: exit 2, the cap and the way round it" "$? $(head -n 1 "$TMP/err")" \
    "2 streamvault: query: query nested too deeply (more than 1024 levels; a chain of and/or is one level a term: write a long one as 'x in [...]')"
# the cap's edge: 1024 terms are read, 1025 are not
t_is "a chain of 1024 terms: read; of 1025: refused" \
    "$(n=$("$SV" query "$TMP/s" "$(printf 'dns or %.0s' $(seq 1023))dns" --count); echo "$n $?") $("$SV" query "$TMP/s" "$(printf 'dns and %.0s' $(seq 1024))dns" --count >/dev/null 2>&1; echo $?)" \
    "$("$SV" query "$TMP/s" dns --count) 0 2"
# -F gives a field's number as the entry has it: nanosecond times keep every digit
t_is "-F times.request: the entry's nanoseconds, exactly" \
    "$("$SV" query "$TMP/s" '' -F 'times.request' --format csv | tail -n +2 | tr -d '\r' | md5sum)" \
    "$("$SV" query "$TMP/s" '' --format ndjson | jq -r '.times.request // ""' | md5sum)"
# NaN and infinities have no JSON: -F gives null, -s sorts them as null, no abort
t_is "-F of infinities and NaN: null" \
    "$("$SV" query "$TMP/s" '' -n 1 -F '1e999,1e999 - 1e999' --format ndjson)" \
    '{"1e999":null,"1e999 - 1e999":null}'
"$SV" query "$TMP/s" '' -s '1e999 - 1e999' --format ndjson >"$TMP/nan.out"
t_is "-s NaN: every entry, exit 0" "$? $(wc -l <"$TMP/nan.out")" \
    "0 $(jget "$TMP/s/store.json" .nodes[0].entries)"
# printing streams the records: a block's are rebuilt when its first row is near and let go
# after its last; one keep-alive connection of 60,000 exchanges is a segment of 8 blocks
python3 "$top_srcdir/tests/tools/mkkeepalive.py" "$TMP/ka.pcap" 60000
"$SV" ingest -q -o "$TMP/ka" "$TMP/ka.pcap"
t_is "60,000 entries, one segment of 8 blocks" \
    "$(jq -c '[.nodes[0].entries, [.segments[].blocks]]' "$TMP/ka/store.json")" '[60000,[8]]'
SV_QUERY_STATS=1 "$SV" query "$TMP/ka" '' -F id --format ndjson >"$TMP/ka1" 2>"$TMP/ka1.err"
SV_QUERY_STATS=1 "$SV" query "$TMP/ka" '' -F id --format ndjson -s timestamp >"$TMP/ka2" \
    2>"$TMP/ka2.err"
t_is "streamed: every entry in time order" "$(jq -r .id "$TMP/ka1" | md5sum)" \
    "$(seq 0 59999 | sed 's|^|local/1-|' | md5sum)"
t_is "... the same as sorted with every record held" "$(md5sum <"$TMP/ka1")" \
    "$(md5sum <"$TMP/ka2")"
held=$(sed -n 's/.*records held at most \([0-9]*\) bytes.*/\1/p' "$TMP/ka1.err")
all=$(sed -n 's/.*records held \([0-9]*\) bytes.*/\1/p' "$TMP/ka2.err")
t_run "... holding at most ${held:-?} bytes of records at once, not all ${all:-?}" \
    test -n "$held" -a -n "$all" -a "$((${held:-0} * 3))" -lt "${all:-0}"
t_is "-n 10000: the first 10,000, from the 2 blocks they are in" \
    "$(SV_QUERY_STATS=1 "$SV" query "$TMP/ka" '' -F id --format ndjson -n 10000 2>&1 \
        >"$TMP/ka3" | sed -n 's/.*blocks rebuilt \([0-9]*\).*/\1/p') $(md5sum <"$TMP/ka3")" \
    "2 $(head -n 10000 "$TMP/ka1" | md5sum)"
# sorted with a limit: the keys as the records stream by, then the printed rows' blocks
SV_QUERY_STATS=1 "$SV" query "$TMP/ka" '' -s timestamp --desc -n 3 -F id --format csv \
    >"$TMP/kas" 2>"$TMP/kas.err"
t_is "-s timestamp --desc -n 3: the last three, from the last block alone" \
    "$(tail -n +2 "$TMP/kas" | tr -d '\r' | tr '\n' ' ')$(sed -n \
        's/.*blocks rebuilt \([0-9]*\), records held at most \([0-9]*\).*/\1 \2/p' \
        "$TMP/kas.err" | awk -v all="$all" '{ print $1, ($2 * 3 < all) ? "a third at most" : $2 }' |
        tr '\n' ' ')" \
    "local/1-59999 local/1-59998 local/1-59997 8 a third at most 1 a third at most "
SV_QUERY_STATS=1 "$SV" graph "$TMP/ka" -f json >"$TMP/kag" 2>"$TMP/kag.err"
t_is "graph streams the records too: the edge of 60,000 requests from 8 blocks" \
    "$(jq -c '[.edges[] | [.requests, .protocol]]' "$TMP/kag") $(sed -n \
        's/.*blocks rebuilt \([0-9]*\), records held at most \([0-9]*\).*/\1 \2/p' \
        "$TMP/kag.err" | awk -v all="$all" '{ print $1, ($2 * 3 < all) ? "a third at most" : $2 }')" \
    '[[60000,"http"]] 8 a third at most'
# a block that only rebuilding reads, damaged mid-way: its segment's rows from the block's
# first on go, the same at any thread count (however far ahead blocks are rebuilt)
kasvx=$(ls "$TMP"/ka/index/*/entries.svx)
printf '\377' | dd of="$kasvx" bs=1 seek=$(($(wc -c <"$kasvx") * 65 / 100)) conv=notrunc \
    2>/dev/null
t_is "damaged mid-way: the scan still counts every row" "$("$SV" query "$TMP/ka" '' --count)" \
    60000
OMP_NUM_THREADS=1 "$SV" query "$TMP/ka" '' -F id --format ndjson >"$TMP/ka4" 2>"$TMP/ka4.err"
rc=$?
OMP_NUM_THREADS=3 "$SV" query "$TMP/ka" '' -F id --format ndjson >"$TMP/ka5" 2>/dev/null
kept=$(wc -l <"$TMP/ka4")
t_is "... exit 3, the segment named" \
    "$rc $(grep -c "^streamvault: $kasvx: offset [0-9]*: corrupt index segment" "$TMP/ka4.err")" \
    "3 1"
t_run "... the rows before the damaged block printed ($kept, whole blocks), the rest gone" \
    test "$kept" -gt 0 -a "$kept" -lt 60000 -a "$((kept % 8192))" = 0
"$SV" graph "$TMP/ka" -f json >"$TMP/kag" 2>"$TMP/kag.err"
t_is "graph over it: exit 3, the segment named, the edge of the rows before the block" \
    "$? $(grep -c "^streamvault: $kasvx: offset" "$TMP/kag.err") $(jq -c '[.edges[].requests]' \
        "$TMP/kag")" "3 1 [$kept]"
t_is "... the same rows at 1 and 3 threads: the first of the whole output" \
    "$(md5sum <"$TMP/ka4") $(md5sum <"$TMP/ka5")" \
    "$(head -n "$kept" "$TMP/ka1" | md5sum) $(head -n "$kept" "$TMP/ka1" | md5sum)"
t_done
