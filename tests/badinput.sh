#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Damaged and hostile inputs: one clear line naming the file and the byte offset, exit
# status 3, and a consistent store that keeps (and accounts) what was read before the
# fault. The packets kept equal what tshark reads from the same damaged file.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

cd "$TMP" || exit 1
ok="$TD/zeek_http_pipelined-requests.pcap"
: >empty.pcap
echo "hello, this is not a capture" >text.pcap
head -c 10000 "$ok" >trunc.pcap
head -c 10 "$ok" >trunchdr.pcap
# the fourth block of a pcapng (an EPB at offset 236) claims a length of 13
{ head -c 240 "$TD/ndpi_kafka.pcapng"; printf '\015\000\000\000'; tail -c +245 "$TD/ndpi_kafka.pcapng"; } >badblock.pcapng
gzip -c "$ok" | head -c 20000 >trunc.pcap.gz
# the whole capture fits one zstd block: cut, nothing can be decoded
zstd -q -c "$ok" | head -c 20000 >trunc.pcap.zst
# cut inside the gzip trailer: every record is whole, the CRC cannot be checked
gzip -c "$ok" >trailer.pcap.gz.full
trailer_n=$(($(wc -c <trailer.pcap.gz.full) - 4))
head -c "$trailer_n" trailer.pcap.gz.full >trailer.pcap.gz
cp "$TD/sv_tls_DER-incomplete-header.pcap" huge.pcap

# bad NAME WANT_PACKETS WANT_MESSAGE
bad() {
    rm -rf st
    "$SV" ingest -q -o st "$1" >out 2>err
    rc=$?
    t_is "$1: exit status 3" "$rc" 3
    t_is "$1: message" "$(head -n 1 err)" "streamvault: $3"
    t_is "$1: the store keeps the $2 packets read before the fault" \
        "$(jget st/store.json '"\(.totals.read.packets) \(.totals.unaccounted.packets) \(.inputs[0].status)"')" "$2 0 error"
    t_is "$1: store.json records the fault" "$(jget st/store.json '.inputs[0].error')" "$3"
    t_is "$1: tshark reads the same packets" "$(tshark -r "$1" 2>/dev/null | wc -l)" "$2"
}
bad empty.pcap 0 "empty.pcap: offset 0: empty file, not a capture"
bad text.pcap 0 "text.pcap: offset 0: not a pcap or pcapng file (magic 0x68656c6c)"
bad trunc.pcap 11 "trunc.pcap: offset 9861: packet record truncated (caplen 304, only 123 bytes left)"
bad trunchdr.pcap 0 "trunchdr.pcap: offset 0: pcap file header truncated (10 of 24 bytes)"
bad badblock.pcapng 0 "badblock.pcapng: offset 236: bad block length 13 (block type 0x00000006)"
bad huge.pcap 6 "huge.pcap: offset 5035: packet of 4325376 bytes, bigger than the maximum of 262144"
bad trunc.pcap.gz 27 "trunc.pcap.gz: offset 23300 (decompressed): packet record truncated (caplen 1434, only 1332 bytes left)"
bad trunc.pcap.zst 0 "trunc.pcap.zst: offset 0 (decompressed): compressed data truncated (zstd input ends after 20000 bytes)"
bad trailer.pcap.gz 49 "trailer.pcap.gz: offset 45952 (decompressed): compressed data truncated (gzip input ends after $trailer_n bytes)"

# a path that names nothing, among good ones: refused before anything is read or written
# (with --force, a typo would otherwise replace a store with one that lacks its data)
rm -rf st
"$SV" ingest -q -o st "$ok" nope.pcap "$TD/zeek_icmp_5-pings.pcap" >out 2>err
t_is "missing input: exit status 3" "$?" 3
t_is "missing input: message" "$(cat err)" "streamvault: nope.pcap: No such file or directory"
t_is "missing input: no store, no temporary tree" "$(ls -d st st.* 2>/dev/null | wc -l)" 0
"$SV" ingest -q -o st "$ok"
"$SV" ingest -q -f -o st nope.pcap 2>err
t_is "missing input with --force: exit 3, the store kept as it was" \
    "$? $(jget st/store.json '.totals.read.packets')" "3 49"

# a directory: its captures in name order, a file that is no capture is skipped with a warning
mkdir ring && cp "$TD/zeek_icmp_5-pings.pcap" ring/b.pcap && cp "$ok" ring/a.pcap && echo notes >ring/README
rm -rf st
"$SV" ingest -q -o st ring >out 2>err
t_is "directory: exit status 0" "$?" 0
t_is "directory: warning" "$(cat err)" "streamvault: warning: skipped ring/README: offset 0: not a pcap or pcapng file (magic 0x6e6f7465)"
t_is "directory: files in name order" "$(jget st/store.json '[.inputs[] | "\(.path):\(.status)"] | join(" ")')" \
    "ring/README:skipped ring/a.pcap:ok ring/b.pcap:ok"

# in a directory, only what is no capture is skipped: a damaged (compressed) capture is an
# error, and a gzipped text file is skipped like a plain one
mkdir ring2 && gzip -c "$ok" >ring2/a.pcap.gz && dd if=/dev/zero of=ring2/a.pcap.gz bs=1 seek=40 \
    count=16 conv=notrunc 2>/dev/null && cp "$TD/zeek_icmp_5-pings.pcap" ring2/b.pcap && echo notes | gzip >ring2/c.gz
rm -rf st
"$SV" ingest -q -o st ring2 >out 2>err
t_is "directory, damaged gzip: exit status 3" "$?" 3
t_is "directory, damaged gzip: an error, not skipped" \
    "$(jget st/store.json '[.inputs[] | "\(.path):\(.status)"] | join(" ")')" \
    "ring2/a.pcap.gz:error ring2/b.pcap:ok ring2/c.gz:skipped"
t_is "directory, damaged gzip: the error names the file" \
    "$(grep -c '^streamvault: ring2/a.pcap.gz: offset 0 (decompressed): corrupt gzip data' err)" 1
# a directory with no file to read is refused, not an empty store
mkdir -p empty/sub && cp "$ok" empty/sub/ && cp "$ok" empty/.hidden.pcap
rm -rf st
"$SV" ingest -q -o st empty >out 2>err
t_is "directory with no file: exit status 3" "$?" 3
t_is "directory with no file: message" "$(cat err)" \
    "streamvault: empty: a directory with no file in it (subdirectories and hidden files are not read)"
t_is "directory with no file: no store" "$(ls -d st 2>/dev/null | wc -l)" 0

# a damaged pack: streams --extract says which stream and where, writes the others, exits 3
rm -rf dmg xd && "$SV" ingest -q -o dmg "$TD/ws_dns.cap"
pack=$(ls dmg/nodes/local/packs/*.pack | head -n 1)
printf '\377' | dd of="$pack" bs=1 count=1 conv=notrunc 2>/dev/null
"$SV" streams --extract xd dmg >out 2>err
t_is "damaged pack: exit status 3" "$?" 3
t_is "damaged pack: the stream named, where" \
    "$(head -n 1 err | sed 's/stream [0-9]* is/stream N is/')" \
    "streamvault: $pack: offset 0: stream N is damaged: no PCAP or pcapng header"
t_is "damaged pack: a summary" "$(tail -n 1 err)" \
    "streamvault: streams: 1 stream could not be read; the others were written"
t_is "damaged pack: the other streams written" "$(ls xd | wc -l)" \
    $(($(jget dmg/store.json .nodes[0].streams) - 1))

# compressed inputs read like plain ones
gzip -c "$ok" >ok.pcap.gz
zstd -q -c "$ok" >ok.pcap.zst
for f in ok.pcap.gz ok.pcap.zst; do
    rm -rf st
    "$SV" ingest -q -o st "$f"
    t_is "$f: read whole" "$(jget st/store.json '"\(.inputs[0].compression) \(.totals.read.packets) \(.nodes[0].tcp_streams)"')" \
        "$(case $f in *gz) echo gzip ;; *) echo zstd ;; esac) 49 1"
done

# a failed write (here: files may not pass 5 kB) leaves no half-written store behind,
# and the previous store intact
rm -rf st && "$SV" ingest -q -o st "$ok"
(trap '' XFSZ; ulimit -f 10; exec "$SV" ingest -q -f -o st "$TD/ppp_http-packets2.pcap") >out 2>err
t_is "write failure: exit status 3" "$?" 3
# the first file to pass the limit is a pack or a bucket's entries file
t_is "write failure: message" \
    "$(sed 's/tmp-[0-9]*/tmp-PID/; s|packs/[0-9a-f]*-[0-9]*[.]pack|FILE|; s|entries/[0-9a-f]*[.]ent|FILE|' err)" \
    "streamvault: st.tmp-PID/nodes/local/FILE: write: File too large"
t_is "write failure: nothing left beside the store" "$(ls | grep -c '^st\.')" 0
t_is "write failure: the previous store is intact" \
    "$(jget st/store.json '"\(.inputs[0].path) \(.totals.read.packets)"')" "$ok 49"
t_done
