#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Entries against gencap's exact ground truth: per stream, every entry's protocol, its
# protocol fields (HTTP method/path/status, gRPC method/status, DNS name/type/rcode/
# answers, Redis command/key/reply, TLS SNI/ALPN/version/cipher), times and sizes
# (tests/tools/entrycheck.py). Several seeds; the default mix, and 5x its retransmission
# and reordering rates on SLL2 with nanosecond times and half the streams on IPv6.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

GENCAP="$top_builddir/tests/tools/gencap"
CHECK="$top_srcdir/tests/tools/entrycheck.py"
if ! t_have python3; then
    t_skip "python3 is not installed"
    t_done
    exit
fi
for variant in "default-3:--seed 3" "default-11:--seed 11" \
    "stress-5:--seed 5 --retrans 0.005 --ooo 0.005 --linktype sll2 --nanosecond --ipv6 0.5" \
    "stress-23:--seed 23 --retrans 0.005 --ooo 0.005 --linktype sll2 --nanosecond --ipv6 0.5"; do
    name=${variant%%:*}
    args=${variant#*:}
    # shellcheck disable=SC2086
    if ! "$GENCAP" --out "$TMP/g" --streams 2000 --duration 120 --quiet $args; then
        t_not_ok "$name: gencap ran"
        continue
    fi
    if ! "$SV" ingest -q -o "$TMP/s" "$TMP/g.pcap"; then
        t_not_ok "$name: ingest"
        continue
    fi
    "$SV" query "$TMP/s" '' --format ndjson >"$TMP/e.ndjson"
    t_run "$name: every entry equals the truth" python3 "$CHECK" "$TMP/g.truth.json" "$TMP/e.ndjson"
    rm -rf "$TMP/s" "$TMP"/g.*
done
t_done
