#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Readers of a store that an `ingest --force` replaces while they read it: a reader is
# held still at a chosen file (tests/tools/openpause.c, an LD_PRELOAD shim), the store is
# replaced, the reader goes on. What it wrote would mix the old store and the new: export,
# snapshot and graph -o leave nothing (a file already at the output stays as it was), info
# says the store was replaced rather than damaged; each exits 3.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

# the shim cannot come before the sanitizer runtime in a sanitized binary
if [ "${sv_sanitized:-no}" = yes ] || ! t_have cc; then
    t_skip "no C compiler, or a sanitizer build (LD_PRELOAD shim)"
    t_done
    exit 0
fi
cc -shared -fPIC -o "$TMP/openpause.so" "$top_srcdir/tests/tools/openpause.c" -ldl || exit 1
OLD="$TD/ndpi_android.pcap"
NEW="$TD/ndpi_badpackets.pcap"

# held PID: waits (at most 30 s) until process PID, run under the shim, is held
held() {
    i=0
    while [ ! -e "$TMP/flag" ] && [ $i -lt 3000 ] && kill -0 "$1" 2>/dev/null; do
        sleep 0.01
        i=$((i + 1))
    done
    [ -e "$TMP/flag" ] || echo "# process $1 was never held"
}

# race AT CMD...: CMD (a reader of $TMP/s, which holds OLD) is held at its first open of a path
# holding AT while $TMP/s is replaced by a store of NEW; CMD's stderr in $TMP/err, status in rc
race() {
    at=$1
    shift
    rm -rf "$TMP/s" "$TMP/flag" "$TMP/go"
    "$SV" ingest -q -o "$TMP/s" "$OLD" || return 1
    PAUSE_AT=$at PAUSE_FLAG="$TMP/flag" PAUSE_GO="$TMP/go" LD_PRELOAD="$TMP/openpause.so" \
        "$@" >"$TMP/out" 2>"$TMP/err" &
    pid=$!
    held "$pid"
    "$SV" ingest -q -f -o "$TMP/s" "$NEW"
    touch "$TMP/go"
    wait "$pid"
    rc=$?
}

REPLACED="streamvault: $TMP/s: replaced while it was read (by an ingest --force or a names import): what this printed or wrote may mix the old store and the new; run it again"

echo "an older bundle" >"$TMP/out.tgz"
race streams.cat "$SV" export "$TMP/s" dns -o "$TMP/out.tgz" --now 0
t_is "export: exit 3, the bundle not written, the file at -o as it was" \
    "$rc $(cat "$TMP/out.tgz") $(ls -a "$TMP" | grep -c '^\.out\.tgz')" "3 an older bundle 0"
t_is "export: why" "$(cat "$TMP/err")" \
    "streamvault: $TMP/s: replaced while it was read: the bundle would mix the old store and the new; nothing written
$REPLACED"

echo "an older bundle" >"$TMP/out.tgz"
echo "an older graph" >"$TMP/g.json"
race streams.cat "$SV" snapshot "$TMP/s" --from 0 --to 4102444800 -q dns --now 0 -o "$TMP/out.tgz" \
    --graph "$TMP/g.json"
t_is "snapshot: exit 3, neither the bundle nor its graph written" \
    "$rc $(cat "$TMP/out.tgz") $(cat "$TMP/g.json")" "3 an older bundle an older graph"

race entries.svx "$SV" graph "$TMP/s" -o "$TMP/g.json"
t_is "graph -o: exit 3, the file at -o as it was" "$rc $(cat "$TMP/g.json")" "3 an older graph"
race entries.svx "$SV" graph "$TMP/s"
t_is "graph to standard output: exit 3, nothing printed" "$rc $(wc -c <"$TMP/out")" "3 0"

race streams.cat "$SV" info "$TMP/s"
t_is "info: exit 3, replaced, not damaged" "$rc $(cat "$TMP/err")" \
    "3 streamvault: $TMP/s: replaced while it was read (by an ingest --force or a names import); run it again"

race /packs/ "$SV" streams "$TMP/s" -x "$TMP/x"
t_is "streams --extract: exit 3, replaced said once, no stream called damaged" \
    "$rc $(cat "$TMP/err")" "3 $REPLACED"

# an ingest --force killed right after it swapped its store in, while it removes the old
# one (held at its first open of that tree): the next ingest removes what is left, saying so
rm -rf "$TMP/s" "$TMP/flag" && "$SV" ingest -q -o "$TMP/s" "$OLD"
PAUSE_FLAG="$TMP/flag" PAUSE_GO="$TMP/never" LD_PRELOAD="$TMP/openpause.so" \
    sh -c 'PAUSE_EXACT="$1.tmp-$$" exec "$0" ingest -q -f -o "$1" "$2"' "$SV" "$TMP/s" "$NEW" &
pid=$!
held "$pid"
kill -KILL "$pid"
wait "$pid" 2>/dev/null
left=$(cd "$TMP" && ls -d s.tmp-* 2>/dev/null)
t_is "... killed after the swap: the store is the new one, whole" \
    "$(jq -r '.inputs[0].path' "$TMP/s/store.json") $("$SV" info "$TMP/s" >/dev/null && echo ok)" \
    "$NEW ok"
"$SV" ingest -q -f -o "$TMP/s" "$NEW" 2>"$TMP/err"
t_is "ingest --force killed while removing the old store: the next one removes the rest" \
    "$(echo "$left" | wc -w) $(cd "$TMP" && ls -d s.tmp-* 2>/dev/null | wc -l) $(cat "$TMP/err")" \
    "1 0 streamvault: warning: removed $TMP/$left, left by an ingest that was killed before it finished"

# the same readers, nothing replaced: the shim alone changes nothing
rm -rf "$TMP/s" && "$SV" ingest -q -o "$TMP/s" "$OLD"
PAUSE_AT=streams.cat PAUSE_FLAG="$TMP/flag2" PAUSE_GO="$TMP/flag2" \
    LD_PRELOAD="$TMP/openpause.so" "$SV" export "$TMP/s" dns -o "$TMP/out.tgz" --now 0 2>/dev/null
t_is "export under the shim, nothing replaced: written" "$? $(tar tzf "$TMP/out.tgz" | grep -c pcap)" \
    "0 1"
t_done
