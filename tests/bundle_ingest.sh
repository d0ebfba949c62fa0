#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# ingest BUNDLE.tar.gz (docs/BUNDLES.md, "Reading a bundle"): hostile bundles (paths
# with '..', absolute paths, links, devices, fifos, a member whose header claims 10 GB,
# caps, duplicates, content.json that disagrees) are refused with their exact error,
# exit 3, and leave no store, no temporary directory and any previous store as it was;
# a good bundle restores each node with its captures (byte for byte the store a direct
# ingest of the same capture with the same --node and --names gives, per-stream copies
# not counted twice) and its history; a Kubeshark export without content.json is read
# with a warning; export -> ingest -> export gives the same streams, packets and bytes.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

GENCAP="$top_builddir/tests/tools/gencap"
MK="$top_srcdir/tests/tools/mkbundle.py"
P="$TD/ws_dns.cap"
N1=n1_10.0.0.1

if ! t_have python3; then
    t_skip "python3 is not installed"
    t_done
    exit 0
fi
cd "$TMP" || exit 1

mkdir cases
# left_over: what an ingest left in $TMP besides the bundles, the cases, gencap's files, the
# old store
left_over() { ls -A "$TMP" | grep -v -e '\.tar\.gz$' -e '\.tar$' -e '^old$' -e '^old\.copy$' \
    -e '^\.out$' -e '^err$' -e '^cases$' -e '^specs$' -e '^g\.' | tr '\n' ' '; }

# bundle OUT ARG...: a bundle for tests/tools/mkbundle.py to write (all in one run: python
# starts slowly on a loaded machine)
bundle() {
    printf '%s\n' "$@" >>specs
    echo >>specs
}
# refused NAME 'ERROR' MEMBER... [-- INGEST-OPTIONS]: the bundle is to be refused with ERROR
cases=
refused() {
    name=$1
    printf '%s\n' "$2" >"cases/$name.want"
    shift 2
    : >"cases/$name.opts"
    printf '%s.tar.gz\n' "$name" >>specs
    while [ $# -gt 0 ] && [ "$1" != -- ]; do
        printf '%s\n' "$1" >>specs
        shift
    done
    echo >>specs
    if [ $# -gt 0 ]; then
        shift
        printf '%s\n' "$@" >"cases/$name.opts"
    fi
    cases="$cases $name"
}

refused dotdot "offset 0 (decompressed): member '../evil.pcap': '..' component refused" \
    "file:../evil.pcap=$P"
refused dotdot-inner \
    "offset 5120 (decompressed): member '$N1/../../evil.pcap': '..' component refused" \
    "file:$N1/a.pcap=$P" "file:$N1/../../evil.pcap=$P"
refused absolute "offset 0 (decompressed): member '/tmp/evil.pcap': absolute path refused" \
    "file:/tmp/evil.pcap=$P"
refused symlink "offset 5120 (decompressed): member '$N1/b.pcap': symbolic link refused (only regular files and directories are read)" \
    "file:$N1/a.pcap=$P" "symlink:$N1/b.pcap=/etc/passwd"
refused hardlink "offset 5120 (decompressed): member '$N1/b.pcap': hard link refused (only regular files and directories are read)" \
    "file:$N1/a.pcap=$P" "hardlink:$N1/b.pcap=$N1/a.pcap"
refused device "offset 5120 (decompressed): member '$N1/null': character device refused (only regular files and directories are read)" \
    "file:$N1/a.pcap=$P" "chr:$N1/null"
refused fifo "offset 0 (decompressed): member '$N1/f': fifo refused (only regular files and directories are read)" \
    "fifo:$N1/f"
refused huge "offset 5120 (decompressed): member '$N1/b.pcap': declares 10000000000 bytes, over the limit of 8589934592 for one member (--bundle-member-max)" \
    "file:$N1/a.pcap=$P" "huge:$N1/b.pcap=10000000000"
refused member-cap "offset 0 (decompressed): member '$N1/a.pcap': declares 4338 bytes, over the limit of 4096 for one member (--bundle-member-max)" \
    "file:$N1/a.pcap=$P" -- --bundle-member-max 4K
refused total-cap "offset 5120 (decompressed): member '$N1/b.pcap': brings the bundle past its limit of 8192 bytes (--bundle-total-max)" \
    "file:$N1/a.pcap=$P" "file:$N1/b.pcap=$P" -- --bundle-total-max 8K
refused members-cap "offset 10240 (decompressed): member '$N1/c.pcap': more than 2 members refused (--bundle-members-max)" \
    "file:$N1/a.pcap=$P" "file:$N1/b.pcap=$P" "file:$N1/c.pcap=$P" -- --bundle-members-max 2
refused duplicate "offset 5120 (decompressed): member '$N1/a.pcap': duplicate member refused" \
    "file:$N1/a.pcap=$P" "file:$N1/a.pcap=$P"
refused bad-sha "offset 0 (decompressed): member '$N1/a.pcap': sha256 $(sha256sum <"$P" | cut -c1-64) differs from content.json's $( (cat "$P"; printf x) | sha256sum | cut -c1-64)" \
    "file:$N1/a.pcap=$P" --bad-sha "$N1/a.pcap"
refused bad-size "offset 0 (decompressed): member '$N1/a.pcap': 4338 bytes, content.json says 4339" \
    "file:$N1/a.pcap=$P" --bad-size "$N1/a.pcap"
refused missing "content.json lists '$N1/b.pcap', which the bundle lacks" \
    "file:$N1/a.pcap=$P" --list "$N1/b.pcap"
refused unlisted "offset 5120 (decompressed): member '$N1/b.pcap' is not listed in content.json" \
    "file:$N1/a.pcap=$P" "file:$N1/b.pcap=$P" --unlist "$N1/b.pcap"
refused streams-only "node directory '$N1' has per-stream files but no merged capture" \
    "file:$N1/streams/000000000001.pcap=$P"
refused same-node-other-ip "node directories 'n1_10.0.0.1' and 'n1_10.0.0.2' both name node 'n1', with different IPs ('10.0.0.1', '10.0.0.2')" \
    "file:n1_10.0.0.1/a.pcap=$P" "file:n1_10.0.0.2/a.pcap=$P"
refused same-node-other-ip-after-none "node directories 'n1_10.0.0.1' and 'n1_10.0.0.2' both name node 'n1', with different IPs ('10.0.0.1', '10.0.0.2')" \
    --no-manifest "file:n1/a.pcap=$P" "file:n1_10.0.0.1/a.pcap=$P" "file:n1_10.0.0.2/a.pcap=$P"
refused same-node-other-ip-kubeshark "node directories 'n1_10.0.0.1' and 'n1_10.0.0.2' both name node 'n1', with different IPs ('10.0.0.1', '10.0.0.2')" \
    --no-manifest "file:n1_10.0.0.1/a.pcap=$P" "file:n1_10.0.0.2/a.pcap=$P"
refused bad-node-in-content-json "node directory '$N1': node name '../x' has characters other than letters, digits, '.', '_' and '-'" \
    "file:$N1/a.pcap=$P" --node "$N1=../x,10.0.0.1"
refused bad-node "node directory 'n 1_10.0.0.1': node name 'n 1' has characters other than letters, digits, '.', '_' and '-'" \
    "file:n 1_10.0.0.1/a.pcap=$P"
refused bad-ip-in-content-json "node directory '$N1': IP 'not-an-ip' is not an IPv4 or IPv6 address" \
    "file:$N1/a.pcap=$P" --node "$N1=n1,not-an-ip"
refused escape-in-content-json "node directory '$N1': node name 'n\\x1b[31m' has characters other than letters, digits, '.', '_' and '-'" \
    "file:$N1/a.pcap=$P" --node "$N1=$(printf 'n\033[31m'),10.0.0.1"
refused bad-capture-name "offset 0 (decompressed): member '$N1/a b.pcap': capture file name has characters other than letters, digits, '.', '_' and '-'" \
    "file:$N1/a b.pcap=$P"
long=$(head -c 5000 /dev/zero | tr '\0' a)
refused long-path "offset 0 (decompressed): member '$(printf '%s' "$N1/$long.pcap" | cut -c1-160)...': path longer than 4096 bytes refused" \
    "file:$N1/$long.pcap=$P"
bundle whole.tar --plain "file:$N1/a.pcap=$P"
bundle whole.tar.gz "file:$N1/a.pcap=$P"
bundle evil.tar.gz "file:$N1/a.pcap=$P" "symlink:$N1/b.pcap=/etc/passwd"
bundle one.tar.gz "file:$N1/a.pcap=$P"
bundle notcap.tar.gz "text:$N1/a.pcap=not a capture"
"$GENCAP" --out g --streams 40 --duration 20 --restarts 2 --seed 3 --quiet
N2="n2_fd00::2"
bundle good.tar.gz "dir:$N1" "file:$N1/1700000000.pcap=$P" \
    "file:$N1/name_resolution_history.json=$TD/names/kubeshark-history.json" \
    "file:$N1/streams/000000000001.pcap=$P" \
    "file:$N2/1700000000.pcap=g.pcap" "file:$N2/names.json=g.names.json" \
    "file:$N2/name_resolution_history.json=$TD/names/kubeshark-history.json"
bundle shards.tar.gz "file:$N1/1700000000.pcap=$P" "file:${N1}_2/1700000001.pcap=g.pcap" \
    "file:${N1}_2/names.json=g.names.json" --node "${N1}_2=n1,10.0.0.1"
bundle ks.tar.gz --no-manifest "file:$N1/1700000000.pcap=$P" \
    "file:$N1/name_resolution_history.json=$TD/names/kubeshark-history.json" "text:README=hi"
bundle plain.tar --plain "file:$N1/1700000000.pcap=$P"
bundle ks3.tar.gz --no-manifest "file:n3_10.0.0.3/1700000000.pcap=$P"
bundle three.tar.gz "file:n3_10.0.0.3/1700000000.pcap=$P"
t_run "tests/tools/mkbundle.py wrote the bundles" python3 "$MK" --batch specs

for name in $cases; do
    set --
    while IFS= read -r o; do
        [ -n "$o" ] && set -- "$@" "$o"
    done <"cases/$name.opts"
    "$SV" ingest -q -o "$TMP/st" "$@" "$name.tar.gz" 2>err
    t_is "$name: exit 3" "$?" 3
    t_is "$name: the error" "$(cat err)" "streamvault: $name.tar.gz: $(cat "cases/$name.want")"
    t_is "$name: no store, no temporary directory left" "$(left_over)" ""
done

# cut short: in a member's data (plain tar), in the gzip stream
head -c 3000 whole.tar >cut.tar
# the member whose data the cut falls in, and its header's offset (tar's 512-byte blocks)
cut_member() { python3 -c '
import tarfile, sys
for m in tarfile.open(sys.argv[1]).getmembers():
    if m.offset_data < 3000 <= m.offset_data + m.size: print(m.name)' whole.tar; }
cut_member_at() { python3 -c '
import tarfile, sys
for m in tarfile.open(sys.argv[1]).getmembers():
    if m.offset_data < 3000 <= m.offset_data + m.size: print(m.offset)' whole.tar; }
"$SV" ingest -q -o "$TMP/st" cut.tar 2>err
t_is "a tar cut in a member's data: exit 3 and the error, naming the member" "$?: $(cat err)" \
    "3: streamvault: cut.tar: offset $(cut_member_at) (decompressed): member '$(cut_member)': reading its data: Truncated tar archive"
head -c 1500 whole.tar.gz >cut.tar.gz
"$SV" ingest -q -o "$TMP/st" cut.tar.gz 2>err
t_is "a tar.gz cut short: exit 3 and the error" "$?: $(cat err)" \
    "3: streamvault: cut.tar.gz: offset 0 (decompressed): not a readable tar or tar.gz archive: truncated gzip input"
# the same bytes under another name: a bundle still (its first tar header is whole), not a capture
cp cut.tar.gz cut.bin
"$SV" ingest -q -o "$TMP/st" cut.bin 2>err
t_is "a tar.gz cut short, named otherwise: refused as a bundle" "$?: $(cat err)" \
    "3: streamvault: cut.bin: offset 0 (decompressed): not a readable tar or tar.gz archive: truncated gzip input"
rm cut.bin
t_is "cut bundles: no store, no temporary directory left" "$(left_over)" ""

printf 'not a tar at all' | gzip >garbage.tar.gz
"$SV" ingest -q -o "$TMP/st" garbage.tar.gz 2>err
t_is "garbage.tar.gz: exit 3" "$?" 3
t_run "garbage.tar.gz: the error names the bundle and says it is not a tar" \
    grep -q "^streamvault: garbage.tar.gz: offset 0 (decompressed): not a readable tar or tar.gz archive: " err
t_is "garbage.tar.gz: no store, no temporary directory left" "$(left_over)" ""

# a refused bundle leaves a previous store as it was, even with --force
"$SV" ingest -q -o old "$P"
cp -a old old.copy
"$SV" ingest -q -f -o old evil.tar.gz 2>err
t_is "a refused bundle over an existing store (--force): exit 3" "$?" 3
t_run "a refused bundle over an existing store (--force): the store is as it was" \
    diff -r old old.copy
t_is "a refused bundle over an existing store: nothing else left" "$(left_over)" ""
# a verified bundle whose only capture is not one: nothing read, the store is kept too
"$SV" ingest -q -f -o old notcap.tar.gz 2>err
t_is "a bundle whose capture is not one, --force: exit 3, the error" "$? $(cat err)" \
    "3 streamvault: notcap.tar.gz:$N1/a.pcap: offset 0: not a pcap or pcapng file (magic 0x6e6f7420); nothing was read, so old is left as it was"
t_run "... the store is as it was" diff -r old old.copy
# and so is a store over which a file that is not a capture is ingested
printf 'not a capture' >notcap.pcap
"$SV" ingest -q -f -o old notcap.pcap 2>err
t_is "a file that is not a capture, --force: exit 3, the error" "$? $(cat err)" \
    "3 streamvault: notcap.pcap: offset 0: not a pcap or pcapng file (magic 0x6e6f7420); nothing was read, so old is left as it was"
t_run "... the store is as it was" diff -r old old.copy
# a directory whose files are none of them captures: the same
mkdir notcaps
printf 'a' >notcaps/a.txt
printf 'b' >notcaps/b.txt
"$SV" ingest -q -f -o old notcaps 2>err
t_is "a directory of files that are not captures, --force: exit 3, the store kept" \
    "$? $(tail -n 1 err) $(diff -r old old.copy && echo same)" \
    "3 streamvault: notcaps/a.txt: offset 0: file too short to be a capture (1 bytes); nothing was read, so old is left as it was same"
rm -rf notcap.pcap notcaps
# an empty capture is a capture: it replaces the store
"$SV" ingest -q -f -o old "$TD/tcpdump_empty.pcapng"
t_is "an empty capture, --force: exit 0, an empty store" \
    "$? $(jq -c '.totals.read' old/store.json)" '0 {"packets":0,"bytes":0}'
rm -rf old old.copy

# usage: a bundle is the only input, its nodes are named by its directories
"$SV" ingest -q -o st one.tar.gz "$P" 2>err
t_is "a bundle among other inputs: exit 2" "$?" 2
t_run "a bundle among other inputs: the error" \
    grep -qx "streamvault: ingest: a bundle (one.tar.gz) must be the only input" err
"$SV" ingest -q -o st --node x one.tar.gz 2>err
t_is "--node with a bundle: exit 2" "$?" 2
# a bundle among a directory's files (read as one, it would be skipped as no capture), named
# otherwise too: refused the same way, the first by name; a hidden one is no input
mkdir indir
cp "$P" indir/a.pcap
cp one.tar.gz indir/z.tar.gz
cp whole.tar indir/m.bin
cp one.tar.gz indir/.hidden.tar.gz
"$SV" ingest -q -o st indir 2>err
t_is "a bundle in a directory of inputs: exit 2, the error, no store" \
    "$? $(head -n 1 err) $(ls -d st 2>&1 >/dev/null | wc -l)" \
    "2 streamvault: ingest: a bundle (indir/m.bin) must be the only input, not a file of a directory 1"
rm indir/m.bin indir/z.tar.gz
t_run "a directory with only a hidden bundle: ingested" "$SV" ingest -q -o st indir
rm -rf indir st
rm -rf st

# a good bundle: two nodes, a Kubeshark history for n1 (and a per-stream copy that must
# not count twice), the native history for n2 (gencap's, over its own capture)
t_run "good bundle: ingested" "$SV" ingest -q -o st good.tar.gz
t_is "good bundle: nothing left beside the store" "$(left_over)" "st "
t_is "good bundle: its nodes, with their IPs" \
    "$(jq -r '.nodes[] | "\(.name) \(.ip)"' st/store.json | tr '\n' ' ')" "n1 10.0.0.1 n2 fd00::2 "
if t_have tshark; then
    t_is "good bundle: n1's packets are its merged capture's (tshark), the per-stream copy not counted" \
        "$(jq -r '.inputs[0].read.packets' st/store.json)" "$(tshark -r "$P" 2>/dev/null | wc -l)"
    t_is "good bundle: n2's packets are its capture's (tshark)" \
        "$(jq -r '.inputs[1].read.packets' st/store.json)" "$(tshark -r g.pcap 2>/dev/null | wc -l)"
else
    t_skip "tshark is not installed"
    t_skip "tshark is not installed"
fi
t_is "good bundle: inputs named as members" "$(jq -r '.inputs[].path' st/store.json | tr '\n' ' ')" \
    "good.tar.gz:$N1/1700000000.pcap good.tar.gz:$N2/1700000000.pcap "
# the same store parts as direct ingests with the same node and history
"$SV" ingest -q -o d1 --node n1=10.0.0.1 --names "$TD/names/kubeshark-history.json" "$P"
"$SV" ingest -q -o d2 --node n2=fd00::2 --names g.names.json g.pcap
t_run "good bundle: node n1 is byte for byte a direct ingest's" diff -r st/nodes/n1 d1/nodes/n1
t_run "good bundle: node n2 (names.json preferred) is byte for byte a direct ingest's" \
    diff -r st/nodes/n2 d2/nodes/n2
t_run "good bundle: the index segments are a direct ingest's" sh -c \
    'for s in d1/index/* d2/index/*; do diff -r "$s" "st/index/${s##*/}" || exit 1; done'
t_is "good bundle: streams lists both nodes' streams" "$("$SV" streams st | sed 1d | wc -l)" \
    "$(($("$SV" streams d1 | sed 1d | wc -l) + $("$SV" streams d2 | sed 1d | wc -l)))"
t_is "good bundle: query '' gives both nodes' entries" "$("$SV" query st '' --count)" \
    "$(($("$SV" query d1 '' --count) + $("$SV" query d2 '' --count)))"
t_is "good bundle: names show n1 (Kubeshark's history)" \
    "$("$SV" names show --node n1 st 10.1.1.3 | awk 'NR > 1 { print $2, $NF == "sock-shop" ? $(NF-1) : $NF }' | tr '\n' ' ')" \
    "10.1.1.3 carts.sock-shop 10.1.1.3 catalogue.sock-shop "
# names on a store of two nodes: the table shows both, a history format needs --node,
# resolve answers per node
t_is "names show of a store of two nodes: the table holds both nodes' records" \
    "$("$SV" names show st | awk 'NR > 1 { print $1 }' | sort -u | tr '\n' ' ')" "n1 n2 "
expect "names show --format native of a store of two nodes without --node" 2 \
    "streamvault: names: the store has several nodes: choose one with --node
Try 'streamvault names --help' for more information." "$SV" names show --format native st
expect "names show --node of a node the store lacks" 2 \
    "streamvault: names: --node: the store has no node 'n3'
Try 'streamvault names --help' for more information." "$SV" names show --node n3 st
expect "names resolve of a port that is no number" 2 \
    "streamvault: names: expected IP or IP:PORT, not '10.1.1.3:http'
Try 'streamvault names --help' for more information." "$SV" names resolve st 10.1.1.3:http
t_is "names resolve on two nodes: a line per node, each its own answer" \
    "$("$SV" names resolve st 10.1.1.3 --at 2024-06-01T10:00:30Z | jq -r .node | tr '\n' ' ')" \
    "n1 n2 "
t_is "... n1's the one its own history gives" \
    "$("$SV" names resolve st 10.1.1.3 --at 2024-06-01T10:00:30Z | jq -c 'select(.node == "n1")')" \
    "$("$SV" names resolve d1 10.1.1.3 --at 2024-06-01T10:00:30Z)"
"$SV" ingest -q -j 1 -o st-j1 good.tar.gz
"$SV" ingest -q -j 2 -o st-j2 good.tar.gz
t_run "good bundle: the same store at -j 1 and -j 2" diff -r st-j1 st-j2
rm -rf st-j1 st-j2
t_is "good bundle: names show n2 is the native history's" \
    "$("$SV" names show --node n2 --format native st | md5sum)" \
    "$("$SV" names show --node n2 --format native d2 | md5sum)"

# two shards of one node (the writer's "<node>_<ip>_2", mapped by content.json): one node
t_run "shards: ingested" "$SV" ingest -q -o shards shards.tar.gz
t_is "shards: one node n1 with both directories' captures, in member order" \
    "$(jq -r '[.nodes[].name, (.inputs[] | "\(.node):\(.path)")] | join(" ")' shards/store.json)" \
    "n1 n1:shards.tar.gz:$N1/1700000000.pcap n1:shards.tar.gz:${N1}_2/1700000001.pcap"
"$SV" ingest -q -o d3 --node n1=10.0.0.1 --names g.names.json "$P" g.pcap
t_run "shards: the node is a direct ingest's of both captures with the history" \
    diff -r shards/nodes/n1 d3/nodes/n1

# a Kubeshark export: no content.json; read with a warning, unlisted members ignored
"$SV" ingest -q -o ks ks.tar.gz 2>err
t_is "Kubeshark export: exit 0" "$?" 0
t_is "Kubeshark export: the warnings" "$(cat err)" \
    "streamvault: warning: ks.tar.gz: no content.json (a Kubeshark export?): its members are not verified
streamvault: warning: ks.tar.gz: member 'README' ignored: not a capture, history or per-stream file of a node"
t_run "Kubeshark export: the node is a direct ingest's" diff -r ks/nodes/n1 d1/nodes/n1
# bundles concatenated (cat a.tar.gz b.tar.gz, as gzip allows): what follows the first's
# end-of-archive is read too, never dropped unread
cat ks.tar.gz ks3.tar.gz >ks13.tar.gz
"$SV" ingest -q -o ks13 ks13.tar.gz 2>/dev/null
t_is "two Kubeshark exports concatenated: exit 0, the nodes of both" \
    "$? $(jq -r '[.nodes[].name] | join(" ")' ks13/store.json)" "0 n1 n3"
cat one.tar.gz three.tar.gz >one3.tar.gz
at=$(gzip -dc one3.tar.gz | python3 -c '
import sys, tarfile
print([m.offset for m in tarfile.open(fileobj=sys.stdin.buffer, mode="r|", ignore_zeros=True)
       if m.name == "content.json"][1])')
"$SV" ingest -q -o one3 one3.tar.gz 2>err
t_is "a bundle with another after it: exit 3, the other's content.json refused" \
    "$? $(cat err)" \
    "3 streamvault: one3.tar.gz: offset $at (decompressed): member 'content.json': duplicate member refused"
rm -rf ks13 ks13.tar.gz one3.tar.gz

# found by its bytes under any name; an uncompressed tar too
cp good.tar.gz good.bin
t_run "a bundle named .bin is found by its content" "$SV" ingest -q -o bin good.bin
t_run "... and restores the same nodes" diff -r bin/nodes st/nodes
t_run "an uncompressed tar bundle" "$SV" ingest -q -o plain plain.tar
t_is "an uncompressed tar bundle: its node" "$(jq -r '.nodes[].name' plain/store.json)" n1
# the round trip: export -> ingest -> export. Two stores, a node with an IP and a history
# and a node without either; the bundle restores the same streams (ids, endpoints, times,
# counts), the same packets (pcaphash of every stream file and of the merged captures),
# the same histories, and exports to the same bytes.
"$SV" ingest -q -o rtA --node w1=10.0.0.1 --names g.names.json g.pcap
"$SV" ingest -q -o rtB --node w2 "$TD/ws_dns.cap"
"$SV" export rtA rtB '' --per-stream --now 1717236000 -o rt1.tar.gz 2>/dev/null
t_is "round trip: the export has both nodes' directories" \
    "$(tar tzf rt1.tar.gz | grep -c -e '^w1_10\.0\.0\.1/1717236000\.pcap$' -e '^w2/[0-9]*\.pcap$')" 2
t_run "round trip: the export ingests" "$SV" ingest -q -o rtR rt1.tar.gz
t_is "round trip: the same nodes" "$(jq -r '.nodes[] | "\(.name)=\(.ip)"' rtR/store.json | tr '\n' ' ')" \
    "w1=10.0.0.1 w2= "
t_run "round trip: the same stream set (streams: ids, endpoints, times, packets, bytes)" \
    sh -c "\"$SV\" streams rtA rtB >rt-orig.txt && \"$SV\" streams rtR >rt-back.txt && \
           cmp rt-orig.txt rt-back.txt"
"$SV" streams rtA rtB -x rtxA >/dev/null
"$SV" streams rtR -x rtxR >/dev/null
(cd rtxA && find . -type f | sort | xargs "$PCAPHASH") >rt-hash-orig.txt
(cd rtxR && find . -type f | sort | xargs "$PCAPHASH") >rt-hash-back.txt
t_is "round trip: every stream's packets hash the same (pcaphash, $(wc -l <rt-hash-orig.txt) packets)" \
    "$(md5sum <rt-hash-back.txt)" "$(md5sum <rt-hash-orig.txt)"
t_is "round trip: w1's history is the original's" \
    "$("$SV" names show --node w1 --format native rtR | md5sum)" \
    "$("$SV" names show --node w1 --format native rtA | md5sum)"
"$SV" export rtR '' --per-stream --now 1717236000 -o rt2.tar.gz 2>/dev/null
mkdir rtx1 rtx2
tar xzf rt1.tar.gz -C rtx1
tar xzf rt2.tar.gz -C rtx2
t_is "round trip: the merged captures' packets hash the same" \
    "$(cd rtx2 && "$PCAPHASH" w1_10.0.0.1/*.pcap w2/*.pcap | md5sum)" \
    "$(cd rtx1 && "$PCAPHASH" w1_10.0.0.1/*.pcap w2/*.pcap | md5sum)"
t_run "round trip: export -> ingest -> export gives the same bundle, byte for byte" \
    cmp rt1.tar.gz rt2.tar.gz
rm -rf rtA rtB rtR rtxA rtxR rtx1 rtx2 rt-*.txt

# -o with a trailing '/': the store is the directory it names
t_run "a bundle into -o DIR/" "$SV" ingest -q -o slash/ good.tar.gz
t_run "... restores the same nodes" diff -r slash/nodes st/nodes
t_is "... and leaves nothing beside the store" "$(ls -d slash* | tr '\n' ' ')" "slash "

# a store in the way is said before the bundle is read (no warning about its members)
"$SV" ingest -o quiet-target "$P" 2>/dev/null
printf 'not a bundle' | gzip >junk.tar.gz
"$SV" ingest -o quiet-target junk.tar.gz 2>err
t_is "a bundle onto an existing store: that first, before reading it" "$? $(cat err)" \
    "3 streamvault: quiet-target: a store exists there (use --force to replace it)"

# a refused bundle leaves an empty directory given as the store where it was
mkdir empty-target
"$SV" ingest -q -o empty-target junk.tar.gz 2>/dev/null
t_is "a refused bundle: the empty directory at -o is still there" "$? $(ls -d empty-target)" \
    "3 empty-target"

# the bundle of a quiet window (no node) restores as an empty store
"$SV" snapshot st --from 2030-01-01T00:00:00Z --to 2030-01-02T00:00:00Z --now 1717236000 \
    -o quiet.tar.gz 2>/dev/null
"$SV" ingest -q -o quiet quiet.tar.gz 2>err
t_is "a bundle with no node: exit 0 and a warning" "$? $(cat err)" \
    "0 streamvault: warning: quiet.tar.gz: the bundle holds no node: the store is empty"
t_is "... an empty store: no node, nothing read, no entry" \
    "$(jq -c '[.nodes, .totals.read, .segments]' quiet/store.json) $("$SV" query quiet '' --count)" \
    '[[],{"packets":0,"bytes":0},[]] 0'
"$SV" snapshot quiet --from 2030-01-01T00:00:00Z --to 2030-01-02T00:00:00Z --now 1717236000 \
    -o quiet2.tar.gz 2>/dev/null
t_run "... whose snapshot is the same empty bundle" cmp quiet.tar.gz quiet2.tar.gz

# not bundles: a gzip-compressed capture, a file of zeros (an end-of-archive block alone)
gz=$(ls "$TD"/compressed/*.pcap.gz | head -n 1)
"$SV" ingest -q -o gz "$gz"
t_is "a .pcap.gz is a capture, not a bundle" "$(jq -r '.inputs[0].compression' gz/store.json)" gzip
head -c 10240 /dev/zero >zeros.pcap
"$SV" ingest -q -o zeros zeros.pcap 2>err
t_is "a file of zeros is not taken for a bundle" "$(head -n 1 err)" \
    "streamvault: zeros.pcap: offset 0: not a pcap or pcapng file (magic 0x00000000)"
t_done
