#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# The command line's surface: --help, --version, exit statuses and exact error texts.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

t_is "--version" "$("$SV" --version)" "streamvault $(sed -n 's/^AC_INIT(\[streamvault\], \[\([^]]*\)\].*/\1/p' "$top_srcdir/configure.ac")"
for cmd in ingest query streams export snapshot graph names info; do
    "$SV" $cmd --help >"$TMP/h" 2>&1
    t_is "$cmd --help exits 0" "$?" 0
    t_is "$cmd --help starts with its usage" "$(head -n 1 "$TMP/h" | cut -d' ' -f1-3)" "Usage: streamvault $cmd"
done
"$SV" --help >"$TMP/h"
t_is "--help lists the commands" "$(grep -c '^  [a-z]' "$TMP/h")" 8
expect "no command" 2 "$(printf 'Usage: streamvault COMMAND [OPTIONS] ...\n\nAn offline forensic batch processor for packet captures.\n\nCommands:\n  ingest     split captures into a store of per-stream PCAPs\n  query      print a store'"'"'s entries (request/response pairs)\n  streams    list a store'"'"'s L4 streams, or write them out as files\n  export     write the streams a query matches as a tar.gz bundle\n  snapshot   write the streams active in a time window as a tar.gz bundle\n  graph      write a store'"'"'s service dependency graph (DOT, JSON, SVG, PNG, PDF)\n  names      import, show and resolve the name resolution history\n  info       show a store'"'"'s manifest: inputs, nodes, packet accounting\n\nRun '"'"'streamvault COMMAND --help'"'"' for a command'"'"'s options.\nOptions: --help, --version.')" "$SV"
expect "names without a subcommand" 2 "streamvault: names: expected import, show or resolve
Try 'streamvault names --help' for more information." "$SV" names
expect "names import without files" 2 "streamvault: names: import: expected STORE FILE...
Try 'streamvault names --help' for more information." "$SV" names import "$TMP/s"
# options getopt turns down: one line in our own words, then the hint
expect "an unknown long option" 2 "streamvault: export: unknown option '--bogus'
Try 'streamvault export --help' for more information." "$SV" export "$TMP" --bogus ''
expect "an unknown short option" 2 "streamvault: query: unknown option '-Z'
Try 'streamvault query --help' for more information." "$SV" query -Z "$TMP" ''
expect "a short option without its value" 2 "streamvault: query: option '-F' needs a value
Try 'streamvault query --help' for more information." "$SV" query -F
expect "a value given to a long option that takes none" 2 "streamvault: info: option '--json' takes no value
Try 'streamvault info --help' for more information." "$SV" info --json=yes "$TMP"
expect "a bad short option in a cluster after a --long=value" 2 "streamvault: query: unknown option '-Z'
Try 'streamvault query --help' for more information." "$SV" query --format=json -Zc "$TMP" ''
expect "a bad short option whose letter a long option before it uses" 2 "streamvault: query: unknown option '-E'
Try 'streamvault query --help' for more information." "$SV" query --explain -Ec "$TMP" ''
expect "an ambiguous abbreviation" 2 "streamvault: ingest: option '--tcp' is ambiguous (--tcp-timeout, --tcp-closed-timeout)
Try 'streamvault ingest --help' for more information." "$SV" ingest --tcp 1s "$TMP/x.pcap"
expect "a long option without its value" 2 "streamvault: ingest: option '--threads' needs a value
Try 'streamvault ingest --help' for more information." "$SV" ingest --threads
expect "unknown command" 2 "streamvault: unknown command 'frobnicate'
Try 'streamvault --help' for more information." "$SV" frobnicate
expect "ingest without input" 2 "streamvault: ingest: no input (give capture files, directories, or -)
Try 'streamvault ingest --help' for more information." "$SV" ingest -o "$TMP/s"
expect "bad -j" 2 "streamvault: ingest: -j: expected a thread count 1..1024, got 'x'
Try 'streamvault ingest --help' for more information." "$SV" ingest -j x "$TD/zeek_icmp_5-pings.pcap"
expect "bad layout" 2 "streamvault: ingest: --layout: expected packed or files, got 'tree'
Try 'streamvault ingest --help' for more information." "$SV" ingest --layout tree "$TD/zeek_icmp_5-pings.pcap"
expect "a node IP that is no address" 2 "streamvault: node 'w1': IP '10.0.0.5=3' is not an IPv4 or IPv6 address" \
    "$SV" ingest -q -o "$TMP/nodeip" --node w1=10.0.0.5=3 "$TD/zeek_icmp_5-pings.pcap"
expect "bad node name" 2 "streamvault: node name 'a/b': use letters, digits, '.', '_' and '-'" \
    "$SV" ingest -q -o "$TMP/s" --node a/b "$TD/zeek_icmp_5-pings.pcap"
expect "missing input file" 3 "streamvault: $TMP/nope.pcap: No such file or directory" \
    "$SV" ingest -q -o "$TMP/s" "$TMP/nope.pcap"
t_is "... no store" "$(ls -d "$TMP/s" 2>/dev/null | wc -l)" 0

# a store is never replaced without --force, and --force replaces it whole
expect "first ingest" 0 "" "$SV" ingest -q -o "$TMP/s" "$TD/zeek_icmp_5-pings.pcap"
expect "existing store" 3 "streamvault: $TMP/s: a store exists there (use --force to replace it)" \
    "$SV" ingest -q -o "$TMP/s" "$TD/zeek_http_pipelined-requests.pcap"
t_is "refused ingest left the store alone" "$(jq -r '.inputs[0].path' "$TMP/s/store.json")" "$TD/zeek_icmp_5-pings.pcap"
expect "--force" 0 "" "$SV" ingest -q -f -o "$TMP/s" "$TD/zeek_http_pipelined-requests.pcap"
t_is "--force replaced the store" "$(jq -r '.inputs[0].path + " " + (.nodes[0].tcp_streams|tostring)' "$TMP/s/store.json")" \
    "$TD/zeek_http_pipelined-requests.pcap 1"
t_is "no temporary or old trees are left beside the store" "$(ls "$TMP" | grep -c '^s\.')" 0
# a crash of the machine, not only of ingest, must leave one whole store: the new store is
# on disk (syncfs) before it takes the old one's place, and that swap before the old one
# goes; names import likewise around the new store.json. order TRACE NAME: the syncfs calls
# (S), the renames onto NAME that succeeded (R) and the unlinks that did (U), in order
if command -v strace >/dev/null 2>&1; then
    order() {
        awk -v n="$2" '
            / syncfs\(/ { printf "S" }
            /rename(at2)?\(/ && / = 0$/ &&
                (index($0, "\"" n "\")") || index($0, "\"" n "\", RENAME")) { printf "R" }
            / unlink(at)?\(/ && / = 0$/ { printf "U" }' "$1" | tr -s 'SRU'
    }
    trace() { strace -f -e trace=syncfs,renameat2,rename,unlink,unlinkat -o "$TMP/trace" "$@"; }
    trace "$SV" ingest -q -f -o "$TMP/s" "$TD/zeek_http_pipelined-requests.pcap"
    t_is "--force: the new store synced, swapped in, synced, then the old one removed" \
        "$(order "$TMP/trace" "$TMP/s")" SRSU
    trace "$SV" names import "$TMP/s" "$TD/names/kubectl-sock-shop.json" >/dev/null
    t_is "names import: synced, store.json renamed in, synced (no segment named anew here)" \
        "$(order "$TMP/trace" "$TMP/s/store.json")" SRS
else
    t_skip "strace is needed"
fi
# a store given twice (by another path too) would count its entries and packets twice
expect "query: the same store twice" 2 "streamvault: $TMP/s and $TMP/s/ are the same store: give it once" \
    "$SV" query "$TMP/s" "$TMP/s/" '' --count
expect "export: the same store twice" 2 "streamvault: $TMP/s and $TMP/s are the same store: give it once" \
    "$SV" export "$TMP/s" "$TMP/s" http -o "$TMP/twice.tar.gz" --now 0
t_is "... and no bundle" "$(ls "$TMP/twice.tar.gz" 2>/dev/null | wc -l)" 0
ln -s "$TMP/s" "$TMP/s-link"
expect "graph: a store and a link to it" 2 \
    "streamvault: $TMP/s and $TMP/s-link are the same store: give it once" \
    "$SV" graph "$TMP/s" "$TMP/s-link"
expect "streams: no store" 2 "streamvault: streams: no store given
Try 'streamvault streams --help' for more information." "$SV" streams
expect "streams: --with-other without --extract" 2 \
    "streamvault: streams: --with-other needs --extract
Try 'streamvault streams --help' for more information." "$SV" streams "$TMP/s" --with-other
expect "streams: a --now that is no time" 2 \
    "streamvault: streams: --now: expected RFC 3339 or Unix seconds, not 'soon'
Try 'streamvault streams --help' for more information." "$SV" streams "$TMP/s" --now soon dns
mkdir -p "$TMP/notastore" && touch "$TMP/notastore/precious"
expect "refuses a non-store directory even with --force" 3 \
    "streamvault: $TMP/notastore: exists, is not empty and is not a store" \
    "$SV" ingest -q -f -o "$TMP/notastore" "$TD/zeek_icmp_5-pings.pcap"
t_is "the directory is untouched" "$(ls "$TMP/notastore")" precious

# --json, --progress and the option values ingest refuses
"$SV" ingest -q --json -o "$TMP/js" "$TD/zeek_icmp_5-pings.pcap" >"$TMP/js.out"
t_is "ingest --json prints store.json, byte for byte" \
    "$(cmp "$TMP/js.out" "$TMP/js/store.json" && jq -r .format "$TMP/js.out")" streamvault-store
printf '\r%79s\r' '' >"$TMP/erase"
"$SV" ingest --progress=always -o "$TMP/pa" "$TD/zeek_icmp_5-pings.pcap" >"$TMP/pa.out" \
    2>"$TMP/pa.err"
t_is "--progress=always to a file: a bar with the size on stderr, then erased" \
    "$(tr '\r' '\n' <"$TMP/pa.err" | grep -q '^\[#* *\] *[0-9]*%  .*B  .* pkt/s  .* streams  ETA [0-9]*s $' && echo bar) $(tail -c 81 "$TMP/pa.err" | cmp -s - "$TMP/erase" && echo erased)" \
    "bar erased"
t_is "... and the summary line on stdout" "$(cut -d: -f1 "$TMP/pa.out") $(wc -l <"$TMP/pa.out")" \
    "$TMP/pa 1"
"$SV" ingest --progress=always -o "$TMP/pp" - <"$TD/zeek_icmp_5-pings.pcap" >/dev/null \
    2>"$TMP/pp.err"
t_is "--progress=always from a pipe: no size to go by, bytes, packets/s and streams" \
    "$(tr '\r' '\n' <"$TMP/pp.err" | grep -q '^[0-9.]* [kMG]*B  .* pkt/s  .* streams $' && echo bar)" bar
"$SV" ingest --progress=never -o "$TMP/pn" "$TD/zeek_icmp_5-pings.pcap" >"$TMP/pn.out" \
    2>"$TMP/pn.err"
t_is "--progress=never: nothing on stderr, the summary on stdout" \
    "$(wc -c <"$TMP/pn.err") $(wc -l <"$TMP/pn.out")" "0 1"
expect "a --progress that is none of the three" 2 \
    "streamvault: ingest: --progress: expected auto, always or never
Try 'streamvault ingest --help' for more information." \
    "$SV" ingest --progress=sometimes -o "$TMP/px" "$TD/zeek_icmp_5-pings.pcap"
for bad in "--pack-threshold:12Q:bad size '12Q'" "--memcap:512K:bad size '512K' (at least 1M)" \
    "--udp-timeout:soon:bad duration 'soon'" "--tcp-timeout:-1s:bad duration '-1s'" \
    "--tcp-closed-timeout:1x:bad duration '1x'" \
    "--bundle-member-max:lots:bad size 'lots'" "--bundle-total-max:1Z:bad size '1Z'" \
    "--bundle-members-max:many:expected a count, got 'many'"; do
    opt=${bad%%:*}
    rest=${bad#*:}
    val=${rest%%:*}
    msg=${rest#*:}
    expect "ingest $opt $val" 2 "streamvault: ingest: $opt: $msg
Try 'streamvault ingest --help' for more information." \
        "$SV" ingest "$opt" "$val" -o "$TMP/px" "$TD/zeek_icmp_5-pings.pcap"
done
t_is "... and none of them made a store" "$(ls "$TMP/px" 2>/dev/null | wc -l)" 0

# stdin, node naming, info and streams output
"$SV" ingest -q -o "$TMP/stdin" --node worker-1=10.0.0.7 - <"$TD/zeek_http_pipelined-requests.pcap"
t_is "stdin input: store with the node's name and ip" \
    "$(jq -r '.nodes[0] | "\(.name) \(.ip) \(.streams)"' "$TMP/stdin/store.json")" "worker-1 10.0.0.7 1"
t_is "info: packet accounting line" "$("$SV" info "$TMP/stdin" | grep '^packets')" \
    "packets    read 49 = streams 49 + other 0 (unaccounted 0)"
# a node without packets has no time; an input's name is shown as a terminal may take it
"$SV" ingest -q -o "$TMP/empty" "$TD/tcpdump_empty.pcapng"
t_is "info: a node without packets says so; store.json has no time for it" \
    "$("$SV" info "$TMP/empty" | grep '^node') $(jq -c '.nodes[0].time' "$TMP/empty/store.json")" \
    "node       local: 0 streams (0 tcp, 0 udp, 0 in own files), no packets; 0 name records null"
mkdir "$TMP/esc"
cp "$TD/zeek_http_pipelined-requests.pcap" "$TMP/esc/a$(printf '\033')[2Jb
input x.pcap"
"$SV" ingest -q -o "$TMP/escs" "$TMP/esc"/*
t_is "info: control bytes in an input's name escaped" \
    "$("$SV" info "$TMP/escs" | grep -c '^input') $("$SV" info "$TMP/escs" | grep -o 'a\\x1b\[2Jb\\ninput x.pcap')" \
    '1 a\x1b[2Jb\ninput x.pcap'
expect "a time past what streamvault holds is refused, not wrapped" 2 \
    "streamvault: query: --now: '18446744074' is past 2262-04-11T23:47:16.854775807Z, the latest time streamvault holds
Try 'streamvault query --help' for more information." "$SV" query "$TMP/stdin" --now 18446744074 ''
t_is "a capture's times past 2262 saturate there, the same in every field" \
    "$("$SV" ingest -q -o "$TMP/far" "$TD/ws_dhcp_big_endian.pcapng" 2>/dev/null
      "$SV" streams --json --id 1 "$TMP/far" | grep -o '"first[_a-z]*":[^,]*' | tr '\n' ' ')" \
    '"first":"2262-04-11T23:47:16.854775807Z" "first_ns":9223372036854775807 '
t_is "info --json is store.json" "$("$SV" info --json "$TMP/stdin" | cmp - "$TMP/stdin/store.json" && echo same)" same
# info says what --discard-undissected dropped, and refuses a manifest its catalogue denies
"$SV" ingest -q -o "$TMP/disc" --discard-undissected "$TD/ndpi_android.pcap"
t_is "info: discarded streams and packets said" \
    "$("$SV" info "$TMP/disc" | grep -o '[0-9]* discarded)\|; [0-9]* of the streams. discarded' | tr '\n' ' ')" \
    "11 discarded) ; 32 of the streams' discarded ; 7866 of the streams' discarded "
cp -r "$TMP/disc" "$TMP/disc2"
jq '.nodes[0].streams = 5' "$TMP/disc/store.json" >"$TMP/disc2/store.json"
expect "info: a manifest whose stream count the catalogue denies" 3 \
    "streamvault: $TMP/disc2/store.json: node local: 5 streams (28 tcp, 31 udp, 0 in own files), but its catalogue holds 59 (28, 31, 0)" \
    "$SV" info "$TMP/disc2"
jq '.nodes[0].tcp_streams = 29 | .nodes[0].udp_streams = 30' "$TMP/disc/store.json" \
    >"$TMP/disc2/store.json"
expect "info: a manifest whose streams by transport the catalogue denies" 3 \
    "streamvault: $TMP/disc2/store.json: node local: 59 streams (29 tcp, 30 udp, 0 in own files), but its catalogue holds 59 (28, 31, 0)" \
    "$SV" info "$TMP/disc2"
jq '.totals.read.packets = 9999' "$TMP/disc/store.json" >"$TMP/disc2/store.json"
expect "info: totals that do not add up" 3 \
    "streamvault: $TMP/disc2/store.json: totals: packets read, in streams, in other.pcap and unaccounted do not add up" \
    "$SV" info "$TMP/disc2"
# totals that add up, but not to what the inputs say
jq '.totals.read.packets += 5 | .totals.other.packets += 5' "$TMP/disc/store.json" \
    >"$TMP/disc2/store.json"
expect "info: totals that are not the inputs'" 3 \
    "streamvault: $TMP/disc2/store.json: totals.read.packets is $(($(jq .totals.read.packets "$TMP/disc/store.json") + 5)); its inputs' add up to $(jq .totals.read.packets "$TMP/disc/store.json")" \
    "$SV" info "$TMP/disc2"
# a segment lost from the list (its entries gone from every query), a segment's rows changed
jq '.segments |= .[1:]' "$TMP/disc/store.json" >"$TMP/disc2/store.json"
expect "info: a manifest whose segments lack one" 3 \
    "streamvault: $TMP/disc2/store.json: node local: $(jq .nodes[0].entries "$TMP/disc/store.json") entries, but its index segments hold $(jq '[.segments[1:][].rows] | add' "$TMP/disc/store.json") rows" \
    "$SV" info "$TMP/disc2"
jq '.segments[0].rows += 1000' "$TMP/disc/store.json" >"$TMP/disc2/store.json"
expect "info: a manifest whose segment rows are not its entries" 3 \
    "streamvault: $TMP/disc2/store.json: node local: $(jq .nodes[0].entries "$TMP/disc/store.json") entries, but its index segments hold $(($(jq .nodes[0].entries "$TMP/disc/store.json") + 1000)) rows" \
    "$SV" info "$TMP/disc2"
jq '.inputs[0].read.bytes += 1' "$TMP/disc/store.json" >"$TMP/disc2/store.json"
expect "info: an input whose counts do not add up" 3 \
    "streamvault: $TMP/disc2/store.json: input 1: bytes read, in streams, in other.pcap and unaccounted do not add up" \
    "$SV" info "$TMP/disc2"
# a manifest tampered with: a format from elsewhere, names that would lead out of the store
# or to nothing, a segment without its counts
for bad in '.format_version = 99|unsupported store format (format_version)' \
    '.nodes[0].name = "a/b"|node 0 has a bad name' \
    '.nodes[0].names_file = "../../etc/passwd"|node local has a bad names_file' \
    '.segments[0].name = "x/../y"|segment 0 has a bad name' \
    '.segments[0].node = "nope"|segment local-00-0000 names an unknown node' \
    'del(.segments[0].rows)|segment local-00-0000 lacks its rows, blocks, bytes or times'; do
    jq "${bad%%|*}" "$TMP/disc/store.json" >"$TMP/disc2/store.json"
    expect "info: a manifest with ${bad%%|*}" 3 "streamvault: $TMP/disc2/store.json: ${bad#*|}" \
        "$SV" info "$TMP/disc2"
done
t_is "streams table" "$("$SV" streams "$TMP/stdin" | sed -n 2p | tr -s ' ')" \
    "worker-1 1 000000000001.pcap tcp 192.168.1.104:1673 63.245.209.11:80 2009-11-18T20:58:04.822720000Z 2009-11-18T20:58:32.403915000Z 49 45144"
expect "streams: bad --id" 2 "streamvault: streams: --id: expected ids and ranges like 7,9,20-30
Try 'streamvault streams --help' for more information." "$SV" streams --id 3-1 "$TMP/stdin"
expect "streams: not a store" 3 "streamvault: $TMP: not a streamvault store (no store.json)" "$SV" streams "$TMP"
# what a command prints must all get out: a full disk (or a file size limit) on standard
# output is an error, not a short listing that exits 0
if [ -w /dev/full ]; then
    for c in info streams; do
        "$SV" $c "$TMP/stdin" >/dev/full 2>"$TMP/err"
        t_is "$c >/dev/full: exit status" "$?" 3
        t_is "$c >/dev/full: message" "$(cat "$TMP/err")" \
            "streamvault: $c: write error on standard output: No space left on device"
    done
    # info --json of a store.json larger than stdio's buffer: the write fails at once
    "$SV" ingest -q -o "$TMP/bigjson" "$TD" 2>/dev/null
    "$SV" info --json "$TMP/bigjson" >/dev/full 2>"$TMP/err"
    t_is "info --json >/dev/full, a large store.json: exit status and the reason" \
        "$? $(cat "$TMP/err")" \
        "3 streamvault: info: write error on standard output: No space left on device"
    "$SV" --version >/dev/full 2>"$TMP/err"
    t_is "--version >/dev/full: exit status" "$?" 3
    # many rows: stdio meets the error in a printf, so the reason may be gone by the end
    "$SV" query "$TMP/stdin" '' --format ndjson >/dev/full 2>"$TMP/err"
    t_is "query >/dev/full: exit status" "$?" 3
    case $(cat "$TMP/err") in
    "streamvault: query: write error on standard output"*) t_ok "query >/dev/full: message" ;;
    *) t_not_ok "query >/dev/full: message"; sed 's/^/# /' "$TMP/err" ;;
    esac
else
    t_skip "no /dev/full"
fi
(
    trap '' XFSZ
    ulimit -f 4
    "$SV" query "$TMP/stdin" '' --format ndjson >"$TMP/short" 2>"$TMP/err"
    echo $? >"$TMP/rc"
)
t_is "query past ulimit -f: exit status (not a silent short output)" "$(cat "$TMP/rc")" 3
# the limit's signal left at its default (a shell's): the write still fails with a message,
# and an ingest or export leaves no temporary file behind
(
    ulimit -f 16
    "$SV" ingest -q -o "$TMP/xfsz" "$TD/zeek_http_pipelined-requests.pcap" 2>"$TMP/err.i"
    echo $? >"$TMP/rc.i"
)
t_is "ingest past ulimit -f: exit 3 and a message; no store, no temporary tree" \
    "$(cat "$TMP/rc.i") $(grep -c 'File too large' "$TMP/err.i") $(ls -d "$TMP"/xfsz* 2>/dev/null | wc -l)" \
    "3 1 0"
# a signal stops ingest: nothing written, an existing store left as it was, no temporary
# tree left beside it, exit 128 + the signal. The input is a FIFO held open, so that
# ingest is still reading when the signal comes, whatever the machine's speed.
# term_and_wait PID: SIGTERM, then up to 5 s for PID to go; $gone is "gone" or "waiting"
# (run in this shell, not in $(...): only the parent reaps its child)
term_and_wait() {
    kill -TERM "$1"
    i=0
    while kill -0 "$1" 2>/dev/null && [ $i -lt 50 ]; do
        sleep 0.1
        i=$((i + 1))
    done
    gone=$(kill -0 "$1" 2>/dev/null && echo waiting || echo gone)
}
if mkfifo "$TMP/fifo" 2>/dev/null; then
    # (not SIGINT: a shell without job control starts background commands with it ignored,
    # and ingest leaves an ignored signal ignored)
    # (nor SIGHUP when this shell has it ignored: under nohup it stays ignored too)
    hup=HUP:1
    ign=$(sed -n 's/^SigIgn:[[:space:]]*//p' /proc/$$/status 2>/dev/null)
    if [ -n "$ign" ] && [ $((0x$ign & 1)) -ne 0 ]; then
        hup=
        t_skip "ingest stopped by SIGHUP: this shell ignores SIGHUP (nohup?)"
    fi
    for sig in TERM:15 $hup; do
        num=${sig#*:} sig=${sig%:*}
        "$SV" ingest -q -f -o "$TMP/stdin" "$TMP/fifo" 2>"$TMP/err" &
        pid=$!
        exec 3>"$TMP/fifo"
        cat "$TD/zeek_http_pipelined-requests.pcap" >&3
        kill -$sig $pid
        exec 3>&-
        wait $pid
        rc=$?
        t_is "ingest stopped by SIG$sig: exit status" "$rc" $((128 + num))
        t_is "ingest stopped by SIG$sig: message" "$(cat "$TMP/err")" \
            "streamvault: $TMP/stdin: interrupted; nothing written"
        t_is "ingest stopped by SIG$sig: the store is as it was" \
            "$(jq -r '.nodes[0] | "\(.name) \(.ip) \(.streams)"' "$TMP/stdin/store.json")" \
            "worker-1 10.0.0.7 1"
        t_is "ingest stopped by SIG$sig: no temporary tree left" \
            "$(ls "$TMP" | grep -c '^stdin\.')" 0
    done
    # the writer stays open and silent: ingest, waiting in read(), still stops at once
    "$SV" ingest -q -f -o "$TMP/stdin" "$TMP/fifo" 2>"$TMP/err" &
    pid=$!
    exec 3>"$TMP/fifo"
    cat "$TD/zeek_http_pipelined-requests.pcap" >&3
    # time to read it all and wait for more (a slower machine only tests less, never fails)
    sleep 1
    term_and_wait $pid
    t_is "ingest stopped while its FIFO is idle: gone before the writer closes" "$gone" gone
    exec 3>&-
    wait $pid
    t_is "ingest stopped while its FIFO is idle: exit status" "$?" 143
    t_is "ingest stopped while its FIFO is idle: message" "$(cat "$TMP/err")" \
        "streamvault: $TMP/stdin: interrupted; nothing written"
    # no writer has opened the FIFO yet (open() would wait for one): a signal stops it too
    "$SV" ingest -q -f -o "$TMP/stdin" "$TMP/fifo" 2>"$TMP/err" &
    pid=$!
    sleep 0.5
    term_and_wait $pid
    t_is "ingest on a FIFO no writer opened: stopped by SIGTERM" "$gone" gone
    if kill -0 $pid 2>/dev/null; then
        exec 3>"$TMP/fifo"  # let it go
        exec 3>&-
    fi
    wait $pid
    t_is "ingest on a FIFO no writer opened: exit status and message" "$? $(cat "$TMP/err")" \
        "143 streamvault: $TMP/stdin: interrupted; nothing written"
    # ingest --force waiting for the store's lock (here held by a names import waiting for
    # its FIFO): a signal stops it with the same words, not flock's "Interrupted system call"
    if [ -r /proc/locks ]; then
        "$SV" names import "$TMP/stdin" "$TMP/fifo" 2>/dev/null &
        holder=$!
        i=0
        while ! grep -q "FLOCK .* $holder " /proc/locks && [ $i -lt 3000 ]; do
            sleep 0.01
            i=$((i + 1))
        done
        "$SV" ingest -q -f -o "$TMP/stdin" "$TD/ws_http-chunked-gzip.pcap" 2>"$TMP/err" &
        pid=$!
        i=0
        while ! grep -q -- "-> FLOCK .* $pid " /proc/locks && [ $i -lt 3000 ]; do
            sleep 0.01
            i=$((i + 1))
        done
        kill -TERM $pid
        wait $pid
        t_is "ingest --force waiting for the store's lock, stopped by SIGTERM: exit, message" \
            "$? $(cat "$TMP/err")" "143 streamvault: $TMP/stdin: interrupted; nothing written"
        kill -TERM $holder
        wait $holder
        t_is "... the store is as it was, no temporary tree left" \
            "$(jq -r '.nodes[0] | "\(.name) \(.streams)"' "$TMP/stdin/store.json") $(ls "$TMP" | grep -c '^stdin\.')" \
            "worker-1 1 0"
    else
        t_skip "ingest --force waiting for the store's lock: no /proc/locks"
    fi
else
    t_skip "no mkfifo"
fi
# a signal stops streams --extract between files: those written are whole (the same
# bytes as an extract left alone), no temporary file is left, exit 128 + the signal
"$top_builddir/tests/tools/gencap" --out "$TMP/ex" --bytes 20M --seed 3 --no-truth --quiet
"$SV" ingest -q -o "$TMP/exs" "$TMP/ex.pcap"
"$SV" streams "$TMP/exs" --extract "$TMP/ex-all"
"$SV" streams "$TMP/exs" --extract "$TMP/ex-cut" 2>"$TMP/err" &
pid=$!
i=0
while [ -z "$(ls "$TMP/ex-cut" 2>/dev/null)" ] && [ $i -lt 300 ]; do
    sleep 0.01
    i=$((i + 1))
done
kill -TERM $pid
wait $pid
t_is "streams --extract stopped by SIGTERM: exit status and message" "$? $(cat "$TMP/err")" \
    "143 streamvault: streams: $TMP/ex-cut: interrupted; the files written before it are whole"
t_is "... fewer files than all, each whole, no temporary file" \
    "$(n=$(ls "$TMP/ex-cut" | wc -l); [ "$n" -lt "$(ls "$TMP/ex-all" | wc -l)" ] && echo fewer) $(ls -A "$TMP/ex-cut" | grep -c tmp) $(cd "$TMP/ex-cut" && for f in *; do cmp -s "$f" "../ex-all/$f" || echo "$f"; done | wc -l)" \
    "fewer 0 0"
# a reader of the listing that goes away stops nothing: every file written, then exit 3
st=$( { "$SV" streams "$TMP/exs" --extract "$TMP/ex-pipe" --json 2>"$TMP/err"; echo $? >"$TMP/rc"; } |
    head -c 1)
t_is "streams --extract --json | head: every file written, exit 3, why" \
    "$st $(cat "$TMP/rc") $(ls "$TMP/ex-pipe" | wc -l) $(cat "$TMP/err")" \
    "[ 3 $(ls "$TMP/ex-all" | wc -l) streamvault: streams: write error on standard output: Broken pipe"
# two stores holding a node of one name: their files would land on each other
"$SV" ingest -q -o "$TMP/twoA" "$TD/zeek_http_pipelined-requests.pcap"
"$SV" ingest -q -o "$TMP/twoB" "$TD/ws_http-chunked-gzip.pcap"
expect "streams --extract of two stores with a node of one name" 2 \
    "streamvault: streams: --extract: $TMP/twoA and $TMP/twoB both hold a node 'local': extract them one at a time
Try 'streamvault streams --help' for more information." \
    "$SV" streams "$TMP/twoA" "$TMP/twoB" --extract "$TMP/two-x"
t_is "... nothing written" "$(ls -A "$TMP/two-x" 2>/dev/null | wc -l)" 0
# --json with --extract: the streams written
t_is "streams --extract --json: an object per file written" \
    "$("$SV" streams "$TMP/twoA" --extract "$TMP/two-j" --json | jq -r '.[].file') $(ls "$TMP/two-j")" \
    "000000000001.pcap 000000000001.pcap"
t_is "streams --extract --with-other --json: other.pcap listed too, with its size" \
    "$("$SV" streams "$TMP/twoA" --extract "$TMP/two-o" --with-other --json |
        jq -r '.[] | "\(.file)=\(.file_bytes)"' | tr '\n' ' ')$(ls "$TMP/two-o" | tr '\n' ' ')" \
    "000000000001.pcap=$(wc -c <"$TMP/two-o/000000000001.pcap") other.pcap=$(wc -c <"$TMP/two-o/other.pcap") 000000000001.pcap other.pcap "
# --node naming no node of the stores: a usage error, not an empty list
expect "streams --node of a node the store lacks" 2 \
    "streamvault: streams: --node: the store has no node 'nope'
Try 'streamvault streams --help' for more information." \
    "$SV" streams --node nope "$TMP/twoA"
expect "streams --node of a node no store has" 2 \
    "streamvault: streams: --node: none of the stores has a node 'nope'
Try 'streamvault streams --help' for more information." \
    "$SV" streams --node nope "$TMP/twoA" "$TMP/twoB" --extract "$TMP/two-n"
t_is "... nothing written" "$(ls -A "$TMP/two-n" 2>/dev/null | wc -l)" 0
# after FIN both ways, a packet more than --tcp-closed-timeout later starts a new stream,
# SYN or not (a reused port); within it, the same stream
if t_have python3; then
    python3 - "$TMP/fin.pcap" <<'PY'
import struct, sys
def seg(flags, src, dst, sport, dport, seq, data=b""):
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, 1, 0x50, flags, 65535, 0, 0) + data
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 1, 0, 64, 6, 0,
                     bytes(src), bytes(dst))
    return b"\2" * 6 + b"\4" * 6 + b"\x08\0" + ip + tcp
c, s, t = (10, 0, 0, 1), (10, 0, 0, 2), 1700000000
pk = [(t, seg(0x18, c, s, 40000, 80, 1, b"a")), (t, seg(0x11, c, s, 40000, 80, 2)),
      (t, seg(0x11, s, c, 80, 40000, 1)), (t + 61, seg(0x11, s, c, 80, 40000, 1))]
with open(sys.argv[1], "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
    for sec, d in pk:
        f.write(struct.pack("<IIII", sec, 0, len(d), len(d)) + d)
PY
    "$SV" ingest -q -o "$TMP/fin60" "$TMP/fin.pcap"
    "$SV" ingest -q -o "$TMP/fin2m" --tcp-closed-timeout 2m "$TMP/fin.pcap"
    t_is "--tcp-closed-timeout: 61 s after FIN both ways, a new stream (default 60s); not at 2m" \
        "$(jq -c '[.nodes[0].streams, .options.tcp_closed_timeout_ns]' "$TMP/fin60/store.json" "$TMP/fin2m/store.json" | tr '\n' ' ')" \
        "[2,60000000000] [1,120000000000] "
else
    t_skip "python3 is needed"
fi
# a temporary tree that a killed ingest left beside the store (nobody holds its lock) is
# removed by the next ingest into the store; one that a live ingest holds stays
mkdir -p "$TMP/st.tmp-999999/nodes" "$TMP/st.tmp-12x" && touch "$TMP/st.tmp-999999/nodes/x"
# (a tree with a store.json may be a store someone named so: never taken for a stale one;
# a killed bundle extraction's or names import's tree is ours, store.json or not)
mkdir "$TMP/st.tmp-999997" && echo '{}' >"$TMP/st.tmp-999997/store.json"
# (a bundle extraction's holds only its files m<n>: another directory of that name is not ours)
mkdir "$TMP/st.bundle-999996" "$TMP/st.bundle-999994" && touch "$TMP/st.bundle-999996/m0" \
    "$TMP/st.bundle-999994/notes.txt"
expect "stale temporary tree" 0 \
    "streamvault: warning: removed $TMP/st.bundle-999996, left by an ingest that was killed before it finished
streamvault: warning: removed $TMP/st.tmp-999999, left by an ingest that was killed before it finished" \
    sh -c "'$SV' ingest -q -o '$TMP/st' '$TD/zeek_http_pipelined-requests.pcap' 2>&1 >/dev/null | sort >&2"
t_is "stale temporary tree: removed, other names left" "$(cd "$TMP" && ls -d st st.*)" "st
st.bundle-999994
st.tmp-12x
st.tmp-999997"
if t_have flock; then
    mkdir "$TMP/st.tmp-999998"
    flock -o "$TMP/st.tmp-999998" sleep 30 &
    holder=$!
    i=0
    while flock -n "$TMP/st.tmp-999998" true && [ $i -lt 100 ]; do
        sleep 0.1
        i=$((i + 1))
    done
    expect "a live ingest's tree" 0 "" "$SV" ingest -q -f -o "$TMP/st" "$TD/zeek_icmp_5-pings.pcap"
    t_is "a live ingest's tree: left alone" "$(cd "$TMP" && ls -d st st.*)" "st
st.bundle-999994
st.tmp-12x
st.tmp-999997
st.tmp-999998"
    kill $holder
    wait $holder 2>/dev/null
else
    t_skip "no flock(1)"
fi
t_done
