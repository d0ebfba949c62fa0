#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# KFL through `streamvault query`: the seed query of DESIGN.md §6 returns exactly gencap's
# truth (tests/tools/kflcheck.py) on two seeds; 37 queries count what an independent
# Python reading of the same entries counts (tests/tools/kfldiff.py); limit(), --now,
# --explain; errors point at the fault with a caret and exit 2; a catastrophic regex
# ends in bounded time with an error naming it.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

GENCAP="$top_builddir/tests/tools/gencap"
SEED='grpc and request.headers["Authorization"] == r"Token.*" and
src.name == "front-end.sock-shop" and dst.name == "catalogue.sock-shop"'

if t_have python3; then
    for seed in 5 17; do
        "$GENCAP" --out "$TMP/g" --streams 2000 --duration 120 --seed $seed --quiet
        "$SV" ingest -q -f -o "$TMP/s" --names "$TMP/g.names.json" "$TMP/g.pcap"
        "$SV" query "$TMP/s" "$SEED" --format ndjson >"$TMP/seed.ndjson"
        t_run "seed $seed: the seed query returns exactly the truth's entries" \
            python3 "$top_srcdir/tests/tools/kflcheck.py" "$TMP/g.truth.json" "$TMP/seed.ndjson"
    done
    "$SV" query "$TMP/s" '' --format ndjson --bodies >"$TMP/all.ndjson"
    t_run "51 queries count what an independent reading of the entries counts" \
        python3 "$top_srcdir/tests/tools/kfldiff.py" "$SV" "$TMP/s" "$TMP/all.ndjson"
else
    t_skip "python3 is not installed"
    "$GENCAP" --out "$TMP/g" --streams 3000 --duration 120 --seed 17 --quiet
    "$SV" ingest -q -f -o "$TMP/s" --names "$TMP/g.names.json" "$TMP/g.pcap"
fi

t_is "streams STORE KFL: the streams of the matching entries" \
    "$("$SV" streams --json "$TMP/s" "$SEED" | jq -r '.[].file' | md5sum)" \
    "$("$SV" query "$TMP/s" "$SEED" -F stream -f csv | sed 1d | tr -d '\r' | sort -u | md5sum)"
t_is "streams -q KFL --extract: only those streams' files" \
    "$("$SV" streams -q "$SEED" --extract "$TMP/x" "$TMP/s" && ls "$TMP/x" | md5sum)" \
    "$("$SV" streams --json "$TMP/s" "$SEED" | jq -r '.[].file' | sort | md5sum)"
t_is "limit(n) stops after n matches" "$("$SV" query "$TMP/s" 'http and limit(4)' --format ndjson | wc -l)" 4
t_is "limit(n) and --limit: the smaller" "$("$SV" query "$TMP/s" 'limit(9)' --limit 2 --count)" 2
# limit(n) selects the first n matches, as graph and export take them; --sort orders them
ids() { "$SV" query "$TMP/s" "$@" -F id -f csv | sed 1d | tr -d '\r' | tr '\n' ' '; }
t_is "limit(n) with --sort: the first n matches, sorted" \
    "$(ids 'http and limit(4)' -s timestamp -r | tr ' ' '\n' | sort | tr '\n' ' ')" \
    "$(ids 'http and limit(4)' | tr ' ' '\n' | sort | tr '\n' ' ')"
t_is "... and --limit cuts the sorted list" "$(ids 'http and limit(4)' -s timestamp -r -n 2)" \
    "$(ids 'http and limit(4)' -s timestamp -r | cut -d' ' -f1-2) "
t_is "now() is --now" \
    "$("$SV" query "$TMP/s" 'timestamp < now()' --now 2024-06-01T10:01:00Z --count)" \
    "$("$SV" query "$TMP/s" 'timestamp < 1717236060000' --count)"
t_is "minutes(n) in + or - is n minutes in ms" \
    "$("$SV" query "$TMP/s" 'minutes(2) + 0 == 120000 and 0 - minutes(2) == -120000' --count)" \
    "$("$SV" query "$TMP/s" '' --count)"
t_is "datetime() reads Kubeshark's format" \
    "$("$SV" query "$TMP/s" 'timestamp >= datetime("06/01/2024, 10:01:00.000")' --count)" \
    "$("$SV" query "$TMP/s" 'timestamp >= 1717236060000' --count)"
t_is "timestamp(\"RFC 3339\") (KFL2's name) is Unix ms too, a bound of the time window" \
    "$("$SV" query "$TMP/s" 'timestamp >= timestamp("2024-06-01T10:01:00Z")' --count) $("$SV" query "$TMP/s" --explain 'timestamp >= timestamp("2024-06-01T10:01:00Z")' | sed -n 2p | grep -o 'request times [^]]*]')" \
    "$("$SV" query "$TMP/s" 'timestamp >= 1717236060000' --count) request times [1717236060000000000, 18446744073709551615]"
"$SV" query "$TMP/s" 'map_get(request.headers, "Host") == "x"' --count 2>"$TMP/err"
t_is "map_get() without its default: exit 2, says what it takes" "$? $(head -n 1 "$TMP/err")" \
    "2 streamvault: query: map_get() takes a map, a key and a default: map_get(request.headers, \"X-Id\", \"\")"
"$SV" query "$TMP/s" 'timestamp > timestamp(5)' --count 2>"$TMP/err"
t_is "timestamp() of no string: exit 2, says what it takes" "$? $(head -n 1 "$TMP/err")" \
    "2 streamvault: query: timestamp() takes one string: \"10/19/2021, 6:29:02.000 PM\", \"10/19/2021, 18:29:02\" or RFC 3339"
t_is "now() - minutes(1): arithmetic on constants folds into the time window" \
    "$("$SV" query "$TMP/s" --explain 'timestamp >= now() - minutes(1)' --now 1717236090 |
        sed -n 2p)" \
    "plan:   read the segments; skip blocks outside request times [1717236030000000000, 18446744073709551615] ns or ruled out by zone maps; decide entries on the index columns, match the rest on their JSON"
t_is "+ and - on fields: status - 400 >= 100 is status >= 500" \
    "$("$SV" query "$TMP/s" 'response.status - 400 >= 100' --count)" \
    "$("$SV" query "$TMP/s" 'response.status >= 500' --count)"
t_is "+ on a missing field is null: no order holds (DNS has no status)" \
    "$("$SV" query "$TMP/s" 'dns and (response.status + 1 > 0 or response.status - 1 <= 0)' --count) $("$SV" query "$TMP/s" 'dns' --count | sed 's/^0$/none/')" \
    "0 $("$SV" query "$TMP/s" 'dns' --count)"
t_is "--explain: the tree, the time window, the plan and the limit" \
    "$("$SV" query "$TMP/s" --explain 'dns and timestamp >= 1717236030000 and limit(5)')" \
    "tree:   (and (and dns (>= timestamp 1717236030000)) (call limit _ 5))
plan:   read the segments; skip blocks outside request times [1717236030000000000, 18446744073709551615] ns or ruled out by zone maps; decide entries on the index columns, match the rest on their JSON
columns: dns   [column proto, zone maps]
columns: (>= timestamp 1717236030000)   [column req_ns, zone maps]
json:    nothing: the columns decide every entry
limit:  5"

t_is "NaN bounds no time window (converting it to an integer is undefined)" \
    "$("$SV" query "$TMP/s" --explain 'timestamp <= 1e999 - 1e999' | sed -n 2p)" \
    "plan:   read the segments; skip blocks outside request times [0, 18446744073709551615] ns or ruled out by zone maps; decide entries on the index columns, match the rest on their JSON"

# the kept bodies are in request.postData and response.content, whatever the spelling of
# the path: a["key"] is a.key, and members are found without regard to case
nreq=$("$SV" query "$TMP/s" 'request.postData.text != null' --count)
nresp=$("$SV" query "$TMP/s" 'response.content.text != null' --count)
for plan in 1 0; do
    c() { SV_QUERY_PLAN=$plan "$SV" query "$TMP/s" "$1" --count; }
    t_is "a path into the kept bodies, in any spelling, reads them (SV_QUERY_PLAN=$plan)" \
        "$(c 'request["postData"]["text"] != null') $(c 'request.POSTDATA.text != null') $(c 'response.Content["text"] != null') $(c 'request.postdata.encoding == "base64"')" \
        "$nreq $nreq $nresp $nreq"
done
t_run "... on some entries ($nreq requests, $nresp responses)" test "$nreq" -gt 0 -a "$nresp" -gt 0

# KFL.md: x.matches(re) is an unanchored search, as x == r"re"; the pattern as r"..." or "..."
RE='^/cat.*[0-9]'
n_eq=$("$SV" query "$TMP/s" "request.path == r\"$RE\"" --count)
t_is "x.matches(r\"re\") counts as x == r\"re\"" \
    "$("$SV" query "$TMP/s" "request.path.matches(r\"$RE\")" --count)" "$n_eq"
t_is "x.matches(\"re\") counts as x == r\"re\"" \
    "$("$SV" query "$TMP/s" "request.path.matches(\"$RE\")" --count)" "$n_eq"
t_is "x.matches(...): some entries match, not all" \
    "$([ "$n_eq" -gt 0 ] && [ "$n_eq" -lt "$("$SV" query "$TMP/s" http --count)" ] && echo yes)" yes

expect_err() {
    desc=$1 query=$2 want=$3
    "$SV" query "$TMP/s" "$query" >/dev/null 2>"$TMP/err"
    t_is "$desc" "$? $(cat "$TMP/err")" "$want"
}
expect_err "an unknown field: did you mean" 'src.nmae == "x"' "2 streamvault: query: unknown field 'src.nmae': did you mean 'src.name'?
  src.nmae == \"x\"
  ^^^^^^^^"
expect_err "an unknown function" 'request.path.startWith("/")' "2 streamvault: query: unknown function 'startWith': did you mean 'startsWith'?
  request.path.startWith(\"/\")
  ^^^^^^^^^^^^^^^^^^^^^^^^^^^"
expect_err "a bad regex: PCRE2's reason and where" 'request.path == r"(["' "2 streamvault: query: bad regex at offset 2: missing terminating ] for character class
  request.path == r\"([\"
                  ^^^^^"
expect_err "limit() inside an or" 'http or limit(3)' "2 streamvault: query: limit() belongs at the top level, joined with 'and'
  http or limit(3)
          ^^^^^^^^"
expect_err "+ takes numbers" 'src.port + "1" == 2' "2 streamvault: query: '+' takes numbers
  src.port + \"1\" == 2
             ^^^"
# Kubeshark's helpers that streamvault has not: what to write instead
expect_err "rlimit(): what to write instead" 'http and rlimit(10)' "2 streamvault: query: rlimit() is not supported: for the last N matches use --sort timestamp --desc --limit N
  http and rlimit(10)
           ^^^^^^^^^^"
expect_err "leftOff(): what to write instead" 'leftOff(5) and dns' "2 streamvault: query: leftOff() is not supported (a position in Kubeshark's stream): bound the time with timestamp >= ...
  leftOff(5) and dns
  ^^^^^^^^^^"
expect_err "redact(): what to write instead" 'redact("request.headers.Authorization")' "2 streamvault: query: redact() is not supported: query never alters entries; choose what to print with --fields
  redact(\"request.headers.Authorization\")
  ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^"
expect_err "xml(): what to write instead" 'response.content.text.xml().a == 1' "2 streamvault: query: xml() is not supported: only json() decodes a body; match the text with contains() or a regex
  response.content.text.xml().a == 1
  ^^^^^^^^^^^^^^^^^^^^^^^^^^^"
expect_err "a regex with < is an error" 'request.path < r"a"' "2 streamvault: query: a regex compares with == or != only
  request.path < r\"a\"
                 ^^^^"

# a catastrophic regex: bounded by PCRE2's match limit (not by a clock), an error naming
# it, exit 3
"$SV" query "$TMP/s" 'request.url == r"(.*.*)*x$"' --count >/dev/null 2>"$TMP/err"
rc=$?
t_is "a catastrophic regex: exit 3" "$rc" 3
t_run "a catastrophic regex: the error names it" grep -q 'regex r"(.\*.\*)\*x\$" gave up' "$TMP/err"

# ... and a side that decides alone decides, whichever gave up: the same both ways
for plan in 1 0; do
    SV_QUERY_PLAN=$plan "$SV" query "$TMP/s" 'request.url == r"(.*.*)*x$" and dst.port == 1' \
        --count >"$TMP/out" 2>"$TMP/err"
    t_is "a catastrophic regex and a false side (SV_QUERY_PLAN=$plan): false, exit 0" \
        "$? $(cat "$TMP/out" "$TMP/err")" "0 0"
    SV_QUERY_PLAN=$plan "$SV" query "$TMP/s" 'dst.port > 0 or request.url == r"(.*.*)*x$"' \
        --count >"$TMP/out" 2>"$TMP/err"
    t_is "a catastrophic regex and a true side (SV_QUERY_PLAN=$plan): true, exit 0" \
        "$? $(cat "$TMP/out" "$TMP/err")" "0 $("$SV" query "$TMP/s" '' --count)"
done

# ... and limit(n) stops the query after n matches, before any failing entry past them
first=$("$SV" query "$TMP/s" '' -n 1 -F id -f csv | sed 1d | tr -d '\r')
for plan in 1 0; do
    SV_QUERY_PLAN=$plan "$SV" query "$TMP/s" -F id -f csv \
        "(id == \"$first\" or request.url == r\"(.*.*)*x\$\") and limit(1)" >"$TMP/out" 2>"$TMP/err"
    t_is "a catastrophic regex past limit(n)'s matches (SV_QUERY_PLAN=$plan): no error" \
        "$? $(sed 1d "$TMP/out" | tr -d '\r') $(cat "$TMP/err")" "0 $first "
done

# numbers: integers compare exactly (nanosecond times), both ways
"$SV" query "$TMP/s" '' --format ndjson >"$TMP/all.ndjson"
id=$("$SV" query "$TMP/s" http -n 1 -F id -f csv | sed 1d | tr -d '\r')
t=$("$SV" query "$TMP/s" "id == \"$id\"" -F times.request -f csv | sed 1d | tr -d '\r')
for plan in 1 0; do
    got=
    for q in "== $((t + 1))" "!= $((t + 1))" "< $((t + 1))" "> $((t - 1))" "== \"$t\"" \
        "== \"$((t + 1))\""; do
        got="$got $(SV_QUERY_PLAN=$plan "$SV" query "$TMP/s" "id == \"$id\" and times.request $q" --count)"
    done
    t_is "times.request against T+1, T-1 and as strings (SV_QUERY_PLAN=$plan): exact" "$got" \
        " 0 1 1 1 1 0"
done
t_is "--sort orders integers exactly (2^53 + index, descending)" \
    "$("$SV" query "$TMP/s" 'http and limit(300)' -s 'index + 9007199254740992' -r -F index -f csv |
        sed 1d | tr -d '\r' | sort -c -r -n && echo sorted)" sorted
t_is "integer arithmetic is exact: T + 1 - 1 == T" \
    "$("$SV" query "$TMP/s" "id == \"$id\" and times.request + 1 - 1 == $t and times.request + 1 != $t" --count)" 1

# a key made by lower()/upper() (not NUL-terminated in scratch) and a key with a NUL byte
for plan in 1 0; do
    t_is "\"HOST\".lower() in request.headers is \"host\" in request.headers (SV_QUERY_PLAN=$plan)" \
        "$(SV_QUERY_PLAN=$plan "$SV" query "$TMP/s" '"HOST".lower() in request.headers' --count) $(SV_QUERY_PLAN=$plan "$SV" query "$TMP/s" '"host".upper() in request.headers' --count)" \
        "$(jq -s '[.[] | select(.request.headers | objects | keys | map(ascii_downcase) | index("host"))] | length' "$TMP/all.ndjson") $(jq -s '[.[] | select(.request.headers | objects | keys | map(ascii_downcase) | index("host"))] | length' "$TMP/all.ndjson")"
    t_is "a key with a NUL byte names nothing (SV_QUERY_PLAN=$plan)" \
        "$(SV_QUERY_PLAN=$plan "$SV" query "$TMP/s" 'request.headers["Host\0junk"]' --count) $(SV_QUERY_PLAN=$plan "$SV" query "$TMP/s" '"Host\0junk" in request.headers' --count)" \
        "0 0"
done

# datetime(): a fraction as written, nothing after it
t_is "datetime(): .5 is 500 ms, .05 is 50 ms, .123456 is 123 ms" \
    "$("$SV" query "$TMP/s" 'datetime("06/01/2024, 10:05:00.5") == 1717236300500 and datetime("06/01/2024, 10:05:00.05") == 1717236300050 and datetime("06/01/2024, 10:05:00.123456") == 1717236300123 and datetime("06/01/2024, 10:05:00") == 1717236300000' --count)" \
    "$("$SV" query "$TMP/s" '' --count)"
"$SV" query "$TMP/s" 'timestamp > datetime("06/01/2024, 10:05:00 garbage")' --count 2>"$TMP/err"
t_is "datetime(): what follows the time is an error" "$? $(head -n 1 "$TMP/err")" \
    "2 streamvault: query: datetime(): cannot read '06/01/2024, 10:05:00 garbage' as a time: write \"10/19/2021, 6:29:02.000 PM\", \"10/19/2021, 18:29:02\" or RFC 3339"

# --now 0 is the epoch, not the clock
t_is "--now 0: now() is 0" "$("$SV" query "$TMP/s" 'now() == 0' --now 0 --count)" \
    "$("$SV" query "$TMP/s" '' --count)"

# Kubeshark's time helpers: seconds(n) ... years(n) alone are the time n units from now
# (timestamp > minutes(-1) is the last minute); an operand of + or - is a duration
t_is "minutes(-1) is a minute before now(), as in Kubeshark" \
    "$("$SV" query "$TMP/s" 'timestamp >= minutes(-1)' --now 1717236090 --count)" \
    "$("$SV" query "$TMP/s" 'timestamp >= 1717236030000' --count)"
t_is "... and bounds the time window" \
    "$("$SV" query "$TMP/s" --explain 'timestamp >= minutes(-1)' --now 1717236090 | sed -n 2p)" \
    "plan:   read the segments; skip blocks outside request times [1717236030000000000, 18446744073709551615] ns or ruled out by zone maps; decide entries on the index columns, match the rest on their JSON"
t_is "seconds(30), hours(-1.5), days(1) from now; in + and -, durations" \
    "$("$SV" query "$TMP/s" 'seconds(30) == 1717236120000 and hours(-1.5) == 1717230690000 and days(1) == now() + 86400000 and now() - days(1) == 1717149690000 and days(1) + 0 == 86400000' --now 1717236090 --count)" \
    "$("$SV" query "$TMP/s" '' --count)"

# datetime(): Kubeshark's en-US format, 12-hour with AM/PM ("1/2/2006, 3:04:05.000 PM")
t_is "datetime(): M/D/YYYY, h:mm:ss[.fff] AM|PM" \
    "$("$SV" query "$TMP/s" 'datetime("6/1/2024, 10:01:00.000 AM") == 1717236060000 and datetime("6/1/2024, 10:01:00 PM") == 1717279260000 and datetime("06/01/2024, 12:00:00 AM") == 1717200000000 and datetime("6/1/2024, 12:30:00.5 PM") == 1717245000500' --count)" \
    "$("$SV" query "$TMP/s" '' --count)"
"$SV" query "$TMP/s" 'timestamp > datetime("6/1/2024, 13:01:00 PM")' --count 2>"$TMP/err"
t_is "datetime(): hour 13 with PM is an error naming the formats" "$? $(head -n 1 "$TMP/err")" \
    "2 streamvault: query: datetime(): cannot read '6/1/2024, 13:01:00 PM' as a time: write \"10/19/2021, 6:29:02.000 PM\", \"10/19/2021, 18:29:02\" or RFC 3339"

# json() of a scalar; an entry's array compares as a list
t_is "json() of a JSON number, string, true" \
    "$("$SV" query "$TMP/s" 'json("247") == 247 and json("\"a\"") == "a" and json("true") == true and json("[1]")[0] == 1' --count)" \
    "$("$SV" query "$TMP/s" '' --count)"
h2=$(jq -s '[.[] | select(.request.alpn | arrays | index("h2"))] | length' "$TMP/all.ndjson")
for plan in 1 0; do
    t_is "an entry's array against a value: any element (request.alpn, SV_QUERY_PLAN=$plan)" \
        "$(SV_QUERY_PLAN=$plan "$SV" query "$TMP/s" 'request.alpn == "h2"' --count) $(SV_QUERY_PLAN=$plan "$SV" query "$TMP/s" 'request.alpn == r"^h2$"' --count) $(SV_QUERY_PLAN=$plan "$SV" query "$TMP/s" 'tls and request.alpn != "h2"' --count)" \
        "$h2 $h2 $(($("$SV" query "$TMP/s" tls --count) - h2))"
done
t_run "... which the capture has (the test tells)" test "$h2" -gt 0

# Kubeshark's wildcard: x.* is every element of an array or value of an object, a list
ua=$(jq -s '[.[] | select(.request.headers | objects | to_entries | map(.value) | index("axios/1.6.7"))] | length' "$TMP/all.ndjson")
ans=$("$SV" query "$TMP/s" 'response.answers[0].data != null' -n 1 -F 'response.answers[0].data' -f csv | sed 1d | tr -d '\r')
for plan in 1 0; do
    c() { SV_QUERY_PLAN=$plan "$SV" query "$TMP/s" "$1" --count; }
    t_is "x.*: an array's elements, an object's values, .*.k each one's k (SV_QUERY_PLAN=$plan)" \
        "$(c 'request.alpn.* == "h2"') $(c 'request.headers.* == "axios/1.6.7"') $(c "response.answers.*.data == \"$ans\"") $(c 'tls and request.alpn.* != "h2"')" \
        "$h2 $ua $(c "dns_answers == \"$ans\"") $(($("$SV" query "$TMP/s" tls --count) - h2))"
done
t_run "... on some entries ($ua with the header, answer $ans)" test "$ua" -gt 0 -a -n "$ans"

# a chain of calls: a level each, capped at 128
"$SV" query "$TMP/s" "request.path$(printf '.lower()%.0s' $(seq 129)) == \"x\"" --count 2>"$TMP/err"
t_is "129 chained calls: nested too deeply, exit 2" "$? $(head -n 1 "$TMP/err")" \
    "2 streamvault: query: query nested too deeply (more than 128 levels)"
t_is "128 chained calls: fine" \
    "$("$SV" query "$TMP/s" "request.path$(printf '.lower()%.0s' $(seq 128)) == \"x\"" --count)" 0

# rows are rendered a run per thread, 256 rows a thread a round, and --sort keys in
# parallel: the output is the same at 1 and 3 threads across several rounds
t_is "whole entries, --fields and --sort: the same output at 1 and 3 threads" \
    "$(OMP_NUM_THREADS=1 "$SV" query "$TMP/s" '' -f ndjson | md5sum)
$(OMP_NUM_THREADS=1 "$SV" query "$TMP/s" http -s elapsedTime -r -F 'id,elapsedTime' -f csv |
        md5sum)" \
    "$(OMP_NUM_THREADS=3 "$SV" query "$TMP/s" '' -f ndjson | md5sum)
$(OMP_NUM_THREADS=3 "$SV" query "$TMP/s" http -s elapsedTime -r -F 'id,elapsedTime' -f csv |
        md5sum)"

# a field that fails on a row far into the output (rows are rendered in parallel, a run of
# rows per thread): every row before it is printed, none after, at any thread count
t0=$("$SV" query "$TMP/s" http -F timestamp --format csv | sed -n 601p)
F="id,timestamp >= $t0 and request.url == r\"(.*.*)*x\$\""
for j in 1 2 3; do
    OMP_NUM_THREADS=$j "$SV" query "$TMP/s" http -F "$F" --format ndjson >"$TMP/f$j" 2>"$TMP/e$j"
    echo $? >>"$TMP/e$j"
done
bad=$(sed -n 's|^streamvault: entry \([^:]*\): .*gave up on a value.*|\1|p' "$TMP/e1")
t_is "a failing field: exit 3, the entry named" "$(tail -n 1 "$TMP/e1") $(test -n "$bad" && echo named)" \
    "3 named"
t_is "a failing field: the rows before it are printed, and no others" "$(wc -l <"$TMP/f1")" \
    "$("$SV" query "$TMP/s" http -F id --format csv | tr -d "\r" | tail -n +2 | grep -n -x -m 1 "$bad" |
        cut -d: -f1 | xargs -I{} expr {} - 1)"
t_run "a failing field: the same output at 1, 2 and 3 threads" \
    sh -c "cmp '$TMP/f1' '$TMP/f2' && cmp '$TMP/f1' '$TMP/f3' && cmp '$TMP/e1' '$TMP/e2' &&
        cmp '$TMP/e1' '$TMP/e3'"
# ... in CSV no part of the failing row, in JSON the rows before it as one array
"$SV" query "$TMP/s" http -F "$F" --format csv >"$TMP/fc" 2>/dev/null
"$SV" query "$TMP/s" http -F "$F" --format json >"$TMP/fj" 2>/dev/null
t_is "a failing field: CSV rows whole (a line end last), JSON an array of the rows before" \
    "$(tail -c 2 "$TMP/fc" | od -An -c | tr -d ' ') $(($(wc -l <"$TMP/fc") - 1)) $(jq length "$TMP/fj")" \
    "\r\n $(wc -l <"$TMP/f1") $(wc -l <"$TMP/f1")"
for j in 1 3; do
    OMP_NUM_THREADS=$j "$SV" query "$TMP/s" http --sort "${F#id,}" >"$TMP/s$j" 2>&1
    echo $? >>"$TMP/s$j"
done
# with a limit, only the printed entries' records are rebuilt (read again from their
# blocks after the rows are ordered): the same entries as the head of the whole output,
# whether the columns or the JSON decided them
lim_ok=0 lim_n=0
for f in 01-seed-grpc-token 05-not-dns 08-status-as-string 10-path-regex 11-header-contains \
    15-dns-failures 21-slow; do
    kfl=$(grep -v '^#' "$top_srcdir/queries/$f.kfl")
    for plan in 1 0; do
        SV_QUERY_PLAN=$plan "$SV" query "$TMP/s" "$kfl" -f ndjson >"$TMP/whole"
        for n in 1 37 1500; do
            lim_n=$((lim_n + 1))
            a=$(SV_QUERY_PLAN=$plan "$SV" query "$TMP/s" "$kfl" -n $n -f ndjson | md5sum)
            b=$(head -n $n "$TMP/whole" | md5sum)
            [ "$a" = "$b" ] && lim_ok=$((lim_ok + 1))
        done
    done
done
t_is "--limit N prints the first N entries of the whole output (7 queries, 3 limits, 2 plans)" \
    "$lim_ok" "$lim_n"
t_is "--limit with --fields and --bodies: the head of the whole output" \
    "$("$SV" query "$TMP/s" http -n 25 -b -F 'id,request.path,response.content' -f ndjson |
        md5sum)" \
    "$("$SV" query "$TMP/s" http -b -F 'id,request.path,response.content' -f ndjson |
        head -n 25 | md5sum)"
t_is "a failing --sort key: the first failing row is named, at 1 and 3 threads" \
    "$(sed -n "s|^streamvault: entry \([^:]*\): .*gave up.*|\1|p" "$TMP/s1") $(tail -n 1 "$TMP/s1")
$(cmp "$TMP/s1" "$TMP/s3" && echo same)" "$bad 3
same"
t_done
