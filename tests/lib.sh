# SPDX-License-Identifier: BSD-2-Clause
# Shared helpers for the shell tests: TAP output, paths, a scratch directory.
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
SV="$top_builddir/streamvault"
PCAPHASH="$top_builddir/tests/tools/pcaphash"
TD="$top_srcdir/testdata"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/svtest.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
export TZ=UTC LC_ALL=C
t_n=0
t_fail=0

t_ok() { t_n=$((t_n + 1)); echo "ok $t_n - $*"; }
t_not_ok() { t_n=$((t_n + 1)); t_fail=$((t_fail + 1)); echo "not ok $t_n - $*"; }
t_skip() { t_n=$((t_n + 1)); echo "ok $t_n # SKIP $*"; }
# t_is DESC GOT WANT
t_is() {
    if [ "$2" = "$3" ]; then
        t_ok "$1"
    else
        t_not_ok "$1"
        printf '# got:  %s\n# want: %s\n' "$2" "$3"
    fi
}
# t_run DESC CMD...: passes when CMD exits 0; shows its output otherwise
t_run() {
    local desc=$1
    shift
    if "$@" >"$TMP/.out" 2>&1; then
        t_ok "$desc"
    else
        t_not_ok "$desc (exit $?)"
        head -n 30 "$TMP/.out" | sed 's/^/# /'
    fi
}
t_done() { echo "1..$t_n"; [ "$t_fail" -eq 0 ]; }
t_have() { command -v "$1" >/dev/null 2>&1; }
# expect DESC WANT_STATUS WANT_STDERR CMD...: exact exit status and exact stderr
expect() {
    desc=$1 want_rc=$2 want_err=$3
    shift 3
    "$@" >"$TMP/out" 2>"$TMP/err"
    rc=$?
    t_is "$desc: exit status" "$rc" "$want_rc"
    t_is "$desc: message" "$(cat "$TMP/err")" "$want_err"
}
# peer_rechecks: true unless this is the sanitizer build (configure --enable-sanitizers).
# There the checks that run a peer tool (tshark, capinfos, mergecap) over output that the
# plain build already showed them are left out: the output is the same bytes, and the
# sanitizer build is there for what our own code does. SV_PEER_RECHECKS=1 keeps them.
peer_rechecks() { [ "${sv_sanitized:-no}" != yes ] || [ "${SV_PEER_RECHECKS:-0}" = 1 ]; }
# jget FILE FILTER: one value from a JSON file
jget() { jq -r "$2" "$1"; }
# tshark's view of every packet: md5 of the bytes, time, lengths, link encapsulation
tshark_packets() {
    tshark -o frame.generate_md5_hash:TRUE -r "$1" -T fields -e frame.md5_hash \
        -e frame.time_epoch -e frame.cap_len -e frame.len -e frame.encap_type 2>/dev/null
}
