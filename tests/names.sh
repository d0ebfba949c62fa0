#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Names: every entry's src.name and dst.name (and namespace, pod, service) equal
# gencap's truth, on captures with pod restarts that hand a dead pod's IP to a pod of
# another service, IPv4 and IPv6, several seeds (tests/tools/namecheck.py); the same
# after `names import` into a store ingested without names; the same store bytes at
# -j 1 and -j 2; names show and names resolve print exact answers; passive DNS names
# ClusterIPs and external hosts; bad histories are errors naming the file.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

GENCAP="$top_builddir/tests/tools/gencap"
CHECK="$top_srcdir/tests/tools/namecheck.py"
ND="$TD/names"

if t_have python3; then
    for variant in "restarts-7:--seed 7 --restarts 6 --ipv6 0.3" \
        "restarts-12:--seed 12 --restarts 10 --pods 30 --ipv6 0" \
        "v6-19:--seed 19 --restarts 6 --ipv6 0.6 --linktype sll2 --nanosecond"; do
        name=${variant%%:*}
        args=${variant#*:}
        # shellcheck disable=SC2086
        if ! "$GENCAP" --out "$TMP/g" --streams 1500 --duration 300 --quiet $args; then
            t_not_ok "$name: gencap ran"
            continue
        fi
        "$SV" ingest -q -f -o "$TMP/s" --names "$TMP/g.names.json" "$TMP/g.pcap"
        "$SV" query "$TMP/s" '' --format ndjson >"$TMP/e.ndjson"
        t_run "$name: ingest --names: every entry's names equal the truth" \
            python3 "$CHECK" "$TMP/g.truth.json" "$TMP/e.ndjson"
        # the same names when the history comes after ingest
        "$SV" ingest -q -f -o "$TMP/late" "$TMP/g.pcap"
        "$SV" names import -q "$TMP/late" "$TMP/g.names.json"
        "$SV" query "$TMP/late" '' --format ndjson >"$TMP/late.ndjson"
        t_run "$name: names import: every entry's names equal the truth" \
            python3 "$CHECK" "$TMP/g.truth.json" "$TMP/late.ndjson"
        # the same file again changes no name: no segment is rewritten, and it says so
        t_is "$name: names import again: no segment named anew" \
            "$("$SV" names import "$TMP/late" "$TMP/g.names.json" | sed 's/.*; //')" \
            "0 index segments named anew"
        t_run "$name: ingest --names and names import give the same entries" \
            cmp "$TMP/e.ndjson" "$TMP/late.ndjson"
        rm -rf "$TMP/s" "$TMP/late" "$TMP"/*.ndjson
    done
else
    t_skip "python3 is not installed"
fi

# the same store at any thread count, names included
"$GENCAP" --out "$TMP/g" --streams 1500 --duration 120 --restarts 4 --seed 4 --quiet
"$SV" ingest -q -j 1 -o "$TMP/j1" --names "$TMP/g.names.json" "$TMP/g.pcap"
"$SV" ingest -q -j 2 -o "$TMP/j2" --names "$TMP/g.names.json" "$TMP/g.pcap"
t_run "-j 1 and -j 2 give the same store, names.json and segments included" \
    diff -r "$TMP/j1" "$TMP/j2"
t_run "the node's history is kept" test -s "$TMP/j1/nodes/local/names.json"

# names resolve: an IP that a restarted pod's replacement of another service took over
# (gencap --seed 4: find one in the history and resolve it on both sides of the handover)
if t_have python3; then
    python3 - "$TMP/g.names.json" >"$TMP/reuse" <<'EOF'
import json, sys
h = json.load(open(sys.argv[1]))
for ip, recs in h["ips"].items():
    for a, b in zip(recs, recs[1:]):
        if a["kind"] == "pod" and b["kind"] == "pod" and a["service"] != b["service"]:
            print(ip, a["to"], b["from"], "%s.%s" % (a["service"], a["namespace"]),
                  "%s.%s" % (b["service"], b["namespace"]), a["name"], b["name"])
            sys.exit(0)
EOF
    if read -r ip died born old new oldpod newpod <"$TMP/reuse"; then
        t_is "names resolve: the dead pod's IP before it died" \
            "$("$SV" names resolve "$TMP/j1" "$ip" --at 1717236000 | python3 -c \
               'import json,sys; print(json.load(sys.stdin)["name"])')" "$old"
        t_is "names resolve: the IP after the replacement of another service took it" \
            "$("$SV" names resolve "$TMP/j1" "$ip" --at "$born" | python3 -c \
               'import json,sys; o=json.load(sys.stdin); print(o["name"], o["pod"])')" \
            "$new $newpod"
        t_is "names resolve: nobody in the gap between them" \
            "$("$SV" names resolve "$TMP/j1" "$ip" --at "$died" | python3 -c \
               'import json,sys; o=json.load(sys.stdin); print(repr(o["name"]))')" "''"
        t_run "names show IP: both owners" sh -c \
            "\"$SV\" names show \"$TMP/j1\" $ip | grep -q $oldpod && \
             \"$SV\" names show \"$TMP/j1\" $ip | grep -q $newpod"
    else
        t_not_ok "gencap --seed 4 reuses an IP across services"
    fi
fi

# passive DNS alone: ClusterIPs resolve from the capture's own answers; the kube-dns
# service answers at 10.96.0.10
"$SV" ingest -q -o "$TMP/p" "$TMP/g.pcap"
t_is "passive DNS: kube-dns's ClusterIP resolves from the capture's answers" \
    "$("$SV" names resolve "$TMP/p" 10.96.0.10:53 --at 1717236060 | sed 's/"at":"[^"]*",//')" \
    '{"node":"local","ip":"10.96.0.10","port":53,"name":"kube-dns.kube-system","namespace":"kube-system","pod":"","service":"kube-dns","dns":""}'
t_is "passive DNS: the catalogue service's ClusterIP is named by its DNS answer" \
    "$("$SV" names show "$TMP/p" | awk '$6 == "service" && $7 == "catalogue" {print $5, $8; exit}')" \
    "dns sock-shop"
t_is "passive DNS: an external host gets a DNS name only" \
    "$("$SV" names resolve "$TMP/p" 52.85.151.27 --at 1717236060 | sed 's/"at":"[^"]*",//')" \
    '{"node":"local","ip":"52.85.151.27","port":0,"name":"","namespace":"","pod":"","service":"","dns":"api.stripe.com"}'

# kubectl dumps through the command line: two dumps ten minutes apart, in which the carts
# pod's IP 10.1.1.3 went to a catalogue pod at 10:05:36; node-exporter runs on the host
# network, so only 192.168.49.2:9100 is it (behind the headless service node-exporter)
"$SV" ingest -q -o "$TMP/k" "$TD/zeek_icmp_5-pings.pcap"
"$SV" names import -q "$TMP/k" "$ND/kubectl-sock-shop-later.json" "$ND/kubectl-sock-shop.json"
resolve() { "$SV" names resolve "$@" | sed 's/"node":"local",//; s/"at":"[^"]*",//'; }
t_is "kubectl: a pod, named after its service, before its IP was reused" \
     "$(resolve "$TMP/k" 10.1.1.3:8080 --at 2024-06-01T10:05:00Z)" \
     '{"ip":"10.1.1.3","port":8080,"name":"carts.sock-shop","namespace":"sock-shop","pod":"carts-7f9c8d6b5-ffzt2","service":"carts","dns":""}'
t_is "kubectl: the pod of another deployment that took the IP over" \
     "$(resolve "$TMP/k" 10.1.1.3 --at 2024-06-01T10:05:36Z)" \
     '{"ip":"10.1.1.3","port":0,"name":"catalogue.sock-shop","namespace":"sock-shop","pod":"catalogue-5d8c4b6d9f-m4n7z","service":"catalogue","dns":""}'
t_is "kubectl: a ClusterIP" \
     "$(resolve "$TMP/k" 10.96.45.6:80 --at 2024-06-01T10:01:00Z)" \
     '{"ip":"10.96.45.6","port":80,"name":"catalogue.sock-shop","namespace":"sock-shop","pod":"","service":"catalogue","dns":""}'
t_is "kubectl: a hostNetwork pod by IP:port" \
     "$(resolve "$TMP/k" 192.168.49.2:9100 --at 2024-06-01T10:01:00Z)" \
     '{"ip":"192.168.49.2","port":9100,"name":"node-exporter.monitoring","namespace":"monitoring","pod":"node-exporter-9xk2m","service":"node-exporter","dns":""}'
t_is "kubectl: the node's other ports are nobody" \
     "$(resolve "$TMP/k" 192.168.49.2:22 --at 2024-06-01T10:01:00Z)" \
     '{"ip":"192.168.49.2","port":22,"name":"","namespace":"","pod":"","service":"","dns":""}'
t_is "kubectl: a dump without its time is an error naming it" \
     "$("$SV" names import "$TMP/k" "$TD/fuzz/names_kubectl/podlist_no_taken.json" 2>&1 >/dev/null)" \
     "streamvault: $TD/fuzz/names_kubectl/podlist_no_taken.json: a kubectl dump needs the time it was taken: add a top-level \"takenAt\" or pass --taken"
t_run "kubectl: --taken gives it one" "$SV" names import -q --taken 2024-06-01T10:00:00Z "$TMP/k" \
    "$TD/fuzz/names_kubectl/podlist_no_taken.json"

# Kubeshark's history: written out and read back, it resolves as the store does (to
# the second); a Kubeshark file read in resolves with its snapshots in time order
"$SV" names show --format kubeshark "$TMP/j1" >"$TMP/ks.json"
"$SV" ingest -q -o "$TMP/ks" --names "$TMP/ks.json" "$TMP/g.pcap"
"$SV" query "$TMP/j1" '' --format ndjson | sed 's/"dns":"[^"]*"//g; s/"pod":{[^}]*}//g; s/"service":{[^}]*}//g' \
    | sed 's/,,*/,/g; s/,}/}/g' >"$TMP/a.ndjson"
"$SV" query "$TMP/ks" '' --format ndjson | sed 's/"dns":"[^"]*"//g; s/"pod":{[^}]*}//g; s/"service":{[^}]*}//g' \
    | sed 's/,,*/,/g; s/,}/}/g' >"$TMP/b.ndjson"
t_run "names show --format kubeshark, read back: every entry's name and namespace the same" \
    cmp "$TMP/a.ndjson" "$TMP/b.ndjson"
"$SV" ingest -q -o "$TMP/ks2" --names "$ND/kubeshark-history.json" "$TD/zeek_icmp_5-pings.pcap"
# 10.1.1.3 is carts in the snapshot of 1717236000, nobody in that of 1717236170 and catalogue
# in that of 1717236336 (the file lists them out of time order)
t_is "a Kubeshark file: each snapshot holds until the next, in time order" \
    "$(for at in 1717235000 1717236169.999 1717236170 1717236336.5; do
        "$SV" names resolve "$TMP/ks2" 10.1.1.3 --at $at | sed 's/.*"name":"\([^"]*\)".*/\1/'
       done | tr '\n' ' ')" "carts.sock-shop carts.sock-shop  catalogue.sock-shop "

# bad histories: a clear error naming the file, exit 3, and no store
printf '{"format": "gencap-names/1", "ips": {"10.0.0.1": [{"name": 5}]}}' >"$TMP/bad.json"
"$SV" ingest -q -o "$TMP/bad" --names "$TMP/bad.json" "$TMP/g.pcap" 2>"$TMP/err"
t_is "ingest --names with a bad history: exit 3" "$?" 3
t_run "ingest --names with a bad history: the error names the file" grep -q "bad.json" "$TMP/err"
t_run "ingest --names with a bad history: no store" test ! -e "$TMP/bad"
printf '{"10.0.0.1": ' >"$TMP/cut.json"
"$SV" names import "$TMP/j1" "$TMP/cut.json" 2>"$TMP/err"
t_is "names import of a cut file: exit 3" "$?" 3
t_run "names import of a cut file: the store is as it was" diff -r "$TMP/j1" "$TMP/j2"
t_is "names resolve: a bad address is a usage error" \
    "$("$SV" names resolve "$TMP/j1" 10.0.0.300 2>/dev/null; echo $?)" 2
# a history's names are shown in the table with their control bytes escaped; an address
# with a JSON format (which writes the whole history) is refused
printf '{"format":"gencap-names/1","ips":{"10.1.1.3":[{"name":"x\\u001b]0;pwned\\u0007\\u001b[2J","kind":"pod","from":null}]}}' >"$TMP/esc.json"
"$SV" ingest -q -o "$TMP/esc" --names "$TMP/esc.json" "$TD/ws_dns.cap"
t_is "names show: control bytes in a name escaped" \
    "$("$SV" names show "$TMP/esc" 10.1.1.3 | tail -n 1 | awk '{print $7}')" \
    'x\x1b]0;pwned\x07\x1b[2J'
expect "names show --format native IP" 2 \
    "streamvault: names: show 10.1.1.3: only the table shows one address (--format native writes the whole history)
Try 'streamvault names --help' for more information." \
    "$SV" names show --format native "$TMP/esc" 10.1.1.3

# a history that store.json lists but that is gone is an error, not an empty history
cp -a "$TMP/esc" "$TMP/esc2" && rm "$TMP/esc2/nodes/local/names.json"
"$SV" export "$TMP/esc2" '' -o "$TMP/esc2.tar.gz" 2>"$TMP/err"
t_is "a missing names.json: export exits 3, says why, writes nothing" \
    "$? $(cat "$TMP/err") $(ls "$TMP" | grep -c '^esc2\.tar\.gz')" \
    "3 streamvault: $TMP/esc2/nodes/local/names.json: missing, but store.json says node 'local' has $(jget "$TMP/esc2/store.json" .nodes[0].names) name records 0"
"$SV" names show "$TMP/esc2" >/dev/null 2>&1
t_is "a missing names.json: names show exits 3" "$?" 3

# names import changes the store as a whole or not at all: a failure part-way (here a file
# size limit that the larger segments pass) leaves it as it was, with nothing beside it
"$GENCAP" --out "$TMP/ga" --streams 3000 --duration 120 --seed 7 --quiet
"$SV" ingest -q -o "$TMP/ga.s" "$TMP/ga.pcap"
cp -a "$TMP/ga.s" "$TMP/ga.copy"
sizes=$(jq '[.segments[].bytes] | sort' "$TMP/ga.s/store.json")
limit=$(echo "$sizes" | jq '(.[length / 2 | floor] / 1024 | floor) + 1')
(
    ulimit -f "$limit"
    "$SV" names import "$TMP/ga.s" "$TMP/ga.names.json" >/dev/null 2>"$TMP/err"
    echo $? >"$TMP/rc"
)
t_is "names import that fails part-way: exit 3, a message" \
    "$(cat "$TMP/rc") $(grep -c 'File too large' "$TMP/err")" "3 1"
t_run "... the store as it was, byte for byte" diff -r "$TMP/ga.copy" "$TMP/ga.s"
t_is "... no temporary tree beside it" "$(ls -d "$TMP"/ga.s.* 2>/dev/null | wc -l)" 0
# what a killed import left in the store (a new segment not yet listed, staged files) is
# removed by the next one; the store's own files stay
seg=$(jq -r '.segments[0].name' "$TMP/ga.s/store.json")
mkdir "$TMP/ga.s/index/$seg.n7" && echo junk >"$TMP/ga.s/index/$seg.n7/entries.svx"
echo junk >"$TMP/ga.s/.store.json.999999.tmp"
next=$(jq -r '.nodes[0].names_file // "names.json"' "$TMP/ga.s/store.json" |
    awk '{ n = 0; if (match($0, /^names\.n[0-9]+\.json$/)) n = substr($0, 8) + 0; print "names.n" n + 1 ".json" }')
echo junk >"$TMP/ga.s/nodes/local/.$next.999999.tmp"
echo junk >"$TMP/ga.s/nodes/local/names.n99.json"
echo mine >"$TMP/ga.s/index/NOTES.txt"
"$SV" names import -q "$TMP/ga.s" "$TMP/ga.names.json"
t_is "a killed import's leftovers: removed by the next import, which succeeds" \
    "$? $(ls -a "$TMP/ga.s/index" | grep -c '\.n7$') $(find "$TMP/ga.s" -name '*.tmp' | wc -l) $(ls "$TMP/ga.s/index" | grep -vc NOTES) $(jq '.segments | length' "$TMP/ga.s/store.json") $(ls "$TMP/ga.s/nodes/local" | grep -c '^names\.')" \
    "0 0 0 $(jq '.segments | length' "$TMP/ga.copy/store.json") $(jq '.segments | length' "$TMP/ga.copy/store.json") 1"
t_is "... a file of someone's in index/ left alone" "$(cat "$TMP/ga.s/index/NOTES.txt")" mine
rm "$TMP/ga.s/index/NOTES.txt"
# the names.json an import killed before it removed it (store.json names another), and an
# older build's staged history, go too
echo junk >"$TMP/ga.s/nodes/local/names.json"
echo junk >"$TMP/ga.s/nodes/local/.names.json.999998.tmp"
"$SV" names import -q "$TMP/ga.s" "$TMP/ga.names.json"
t_is "... and so do a stale names.json and a staged one" \
    "$? $(ls -a "$TMP/ga.s/nodes/local" | grep -c 'names') $(jq -r '.nodes[0].names_file' "$TMP/ga.s/store.json" | grep -c '^names\.n[0-9]*\.json$')" \
    "0 1 1"
# two imports at once take turns: both succeed, and the store is whole
"$SV" names import "$TMP/ga.s" "$TMP/ga.names.json" >/dev/null 2>&1 &
p1=$!
"$SV" names import "$TMP/ga.s" "$TMP/ga.names.json" >/dev/null 2>&1
r2=$?
wait $p1
r1=$?
"$SV" query "$TMP/ga.s" '' --format ndjson >"$TMP/ga.ndjson" 2>&1
t_is "two names imports at once: both succeed, and every entry is read and named" \
    "$r1 $r2 $(wc -l <"$TMP/ga.ndjson") $(python3 "$CHECK" "$TMP/ga.truth.json" "$TMP/ga.ndjson" \
        >/dev/null 2>&1; echo $?)" "0 0 $("$SV" query "$TMP/ga.copy" '' --count) 0"
# names longer than an entry holds (255 bytes): two that begin alike stay two, shortened
# whole characters, "~" and a hash; the history keeps them whole
"$GENCAP" --out "$TMP/ln" --streams 60 --duration 60 --seed 5 --quiet --ipv6 0
P=$(printf 'p%.0s' $(seq 250))
U=$(printf 'ü%.0s' $(seq 150))
cat >"$TMP/ln.h.json" <<J
{"format":"gencap-names/1","ips":{
 "10.1.1.10":[{"name":"$P","namespace":"team-alpha","kind":"pod","service":null,"from":null,"to":null}],
 "10.1.1.16":[{"name":"$P","namespace":"team-bravo","kind":"pod","service":null,"from":null,"to":null}],
 "10.1.1.11":[{"name":"$U","namespace":"","kind":"address","from":null}]}}
J
"$SV" ingest -q -o "$TMP/ln.s" --names "$TMP/ln.h.json" "$TMP/ln.pcap"
short() { printf '%s' "$1" | head -c "$2"; printf '~'; }
t_is "long names: two pods of one long name in two namespaces are two graph nodes" \
    "$("$SV" graph "$TMP/ln.s" -f json | jq -r '.nodes[].id' | grep -c "^name:$(short "$P" 238)[0-9a-f]\{16\}$")" 2
t_is "... their entries' names are 255 bytes, one each" \
    "$("$SV" query "$TMP/ln.s" 'src.ip == "10.1.1.10" or src.ip == "10.1.1.16"' -F src.ip,src.name -f ndjson |
        jq -r '"\(.["src.ip"]) \(.["src.name"] | utf8bytelength)"' | sort -u | tr '\n' ' ')" \
    "10.1.1.10 255 10.1.1.16 255 "
t_is "... and names resolve gives the same names as the entries" \
    "$("$SV" names resolve "$TMP/ln.s" 10.1.1.10 | jq -r .name)" \
    "$("$SV" query "$TMP/ln.s" 'src.ip == "10.1.1.10"' -n 1 -F src.name -f ndjson | jq -r '.["src.name"]')"
t_is "... a query by that name finds the pod's entries" \
    "$("$SV" query "$TMP/ln.s" "src.name == \"$("$SV" names resolve "$TMP/ln.s" 10.1.1.10 | jq -r .name)\"" --count)" \
    "$("$SV" query "$TMP/ln.s" 'src.ip == "10.1.1.10"' --count)"
t_is "a long UTF-8 name is shortened between characters (119 x ü, then ~ and the hash)" \
    "$("$SV" names resolve "$TMP/ln.s" 10.1.1.11 | jq -r '.name | [length, utf8bytelength, test("^(ü){119}~[0-9a-f]{16}$")] | join(" ")')" \
    "136 255 true"
t_is "... the history keeps the names whole" \
    "$("$SV" names show "$TMP/ln.s" --format native | jq -r '[.. | strings | select(startswith("ppp")) | length] | unique | join(" ")')" \
    250
# an empty history in Kubeshark's format is {} (NAMES.md)
"$SV" ingest -q -o "$TMP/empty.s" --no-dissect "$TMP/ln.pcap"
t_is "an empty history, --format kubeshark: {}" \
    "$("$SV" names show --format kubeshark "$TMP/empty.s" | od -An -c | tr -s ' ')" " { } \\n"
# a store of no node (a bundle of a quiet window) still refuses a bad or missing file
"$SV" snapshot "$TMP/empty.s" --from 0 --to 1 -o "$TMP/none.tar.gz" 2>/dev/null
"$SV" ingest -q -o "$TMP/none.s" "$TMP/none.tar.gz" 2>/dev/null
cp -a "$TMP/none.s" "$TMP/none.copy"
t_is "names import of a cut file into a store of no node: exit 3, the error" \
    "$("$SV" names import "$TMP/none.s" "$TMP/cut.json" 2>&1; echo $?)" \
    "streamvault: $TMP/cut.json: line 1 column 13: unexpected token near end of file
3"
t_is "names import of a missing file into a store of no node: exit 3, the error" \
    "$("$SV" names import "$TMP/none.s" "$TMP/nonesuch.json" 2>&1; echo $?)" \
    "streamvault: $TMP/nonesuch.json: No such file or directory
3"
t_run "... the store is as it was" diff -r "$TMP/none.s" "$TMP/none.copy"
# a signal stops names import: an import that has written some of its files (here the
# first node's, the second node waiting for its FIFO to be written again) removes them
# and leaves the store as it was, with a message and exit 128 + the signal; so does one
# waiting on a FIFO's writer that stays silent, and so does ingest --names
if mkfifo "$TMP/nf" 2>/dev/null; then
    "$GENCAP" --out "$TMP/tw" --streams 300 --duration 60 --seed 9 --quiet
    "$SV" ingest -q -o "$TMP/twa" --node aa=10.9.0.1 "$TMP/tw.pcap"
    "$SV" ingest -q -o "$TMP/twz" --node zz=10.9.0.2 "$TMP/tw.pcap"
    "$SV" export "$TMP/twa" "$TMP/twz" '' -o "$TMP/two.tar.gz" --now 0 2>/dev/null
    "$SV" ingest -q -o "$TMP/two.s" "$TMP/two.tar.gz"
    cp -a "$TMP/two.s" "$TMP/two.copy"
    "$SV" names import "$TMP/two.s" "$TMP/nf" >/dev/null 2>"$TMP/err" &
    pid=$!
    cat "$TMP/tw.names.json" >"$TMP/nf"
    i=0
    while [ ! -e "$TMP/two.s/nodes/aa/names.n1.json" ] && [ $i -lt 3000 ] &&
        kill -0 $pid 2>/dev/null; do
        sleep 0.01
        i=$((i + 1))
    done
    kill -TERM $pid
    # (stopped at once, or, before the fix, let go: nothing may hang here)
    i=0
    while kill -0 $pid 2>/dev/null && [ $i -lt 50 ]; do
        sleep 0.1
        i=$((i + 1))
    done
    kill -0 $pid 2>/dev/null && : >"$TMP/nf"
    wait $pid
    t_is "names import stopped by SIGTERM half-way: exit status and message" \
        "$? $(cat "$TMP/err")" \
        "143 streamvault: $TMP/two.s: interrupted; the store is as it was"
    t_run "... the store as it was, byte for byte, nothing of the import left" \
        diff -r "$TMP/two.copy" "$TMP/two.s"
    # stop_idle PID: opens the FIFO's writer, writes the start of a history and no more,
    # then SIGTERM to PID; waits up to 5 s for it to go (the writer stays open: fd 3)
    stop_idle() {
        exec 3>"$TMP/nf"
        printf '{"format"' >&3
        i=0
        while kill -0 "$1" 2>/dev/null && [ $i -lt 50 ]; do
            [ $i -eq 2 ] && kill -TERM "$1"
            sleep 0.1
            i=$((i + 1))
        done
    }
    # a FIFO whose writer stays open and silent: the import stops all the same
    "$SV" names import "$TMP/two.s" "$TMP/nf" >/dev/null 2>"$TMP/err" &
    pid=$!
    stop_idle $pid
    t_is "names import stopped while its FIFO is idle: gone before the writer closes" \
        "$(kill -0 $pid 2>/dev/null && echo waiting || echo gone)" gone
    exec 3>&-
    wait $pid
    t_is "... exit status and message" "$? $(cat "$TMP/err")" \
        "143 streamvault: $TMP/two.s: interrupted; the store is as it was"
    t_run "... the store as it was" diff -r "$TMP/two.copy" "$TMP/two.s"
    "$SV" ingest -q -o "$TMP/nfs" --names "$TMP/nf" "$TMP/tw.pcap" 2>"$TMP/err" &
    pid=$!
    stop_idle $pid
    t_is "ingest --names FIFO stopped while the FIFO is idle: gone before the writer closes" \
        "$(kill -0 $pid 2>/dev/null && echo waiting || echo gone)" gone
    exec 3>&-
    wait $pid
    t_is "... exit status, message, no store" \
        "$? $(cat "$TMP/err") $(ls -d "$TMP"/nfs* 2>/dev/null | wc -l)" \
        "143 streamvault: $TMP/nfs: interrupted; nothing written 0"
else
    t_skip "no mkfifo"
fi
# passive DNS is bounded by distinct answers, not by answers: one DNS flow answers one name
# for 10.255.255.255 4,800 times (one sighting, widened), then 17,514 other addresses that
# its entries keep; a bucket keeps LIM_NAMES_DNS_SEEN (16,384) sightings, the rest dropped
if t_have python3; then
    python3 - "$TMP/dns.pcap" <<'EOF'
import struct, sys
q = b"\x01a\x07example\x03com\x00" + struct.pack("!HH", 1, 1)
def udp(src, dst, sp, dp, d):
    u = struct.pack("!HHHH", sp, dp, 8 + len(d), 0) + d
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(u), 0, 0x4000, 64, 17, 0,
                     bytes(src), bytes(dst))
    return b"\x02" * 6 + b"\x04" * 6 + b"\x08\x00" + ip + u
msgs = [[(10, 255, 255, 255)] * 1200] * 4
msgs += [[(10, 0, i >> 8 & 255, i & 255) for i in range(k, k + 1200)] for k in range(0, 20400, 1200)]
with open(sys.argv[1], "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
    for i, ips in enumerate(msgs):
        rr = b"".join(b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 60, 4) + bytes(a) for a in ips)
        for d in (udp((10, 9, 0, 1), (10, 9, 0, 2), 40000, 53,
                      struct.pack("!6H", i, 0x0100, 1, 0, 0, 0) + q),
                  udp((10, 9, 0, 2), (10, 9, 0, 1), 53, 40000,
                      struct.pack("!6H", i, 0x8180, 1, len(ips), 0, 0) + q + rr)):
            f.write(struct.pack("<IIII", 1700000000 + i, 0, len(d), len(d)) + d)
EOF
    "$SV" ingest -q -o "$TMP/dns" "$TMP/dns.pcap"
    t_is "passive DNS: a bucket keeps 16,384 sightings, a repeated answer is one of them" \
        "$(jget "$TMP/dns/nodes/local/names.json" '[.ips[] | length] | add')" 16384
    t_is "passive DNS: the repeated answer is kept" \
        "$(jget "$TMP/dns/nodes/local/names.json" '.ips["10.255.255.255"][0].name')" a.example.com
else
    t_skip "no python3"
    t_skip "no python3"
fi
t_done
