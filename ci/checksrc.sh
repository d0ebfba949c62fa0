#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Source rules that a compiler does not check (curl's checksrc, in small):
#  - banned functions: gets strcpy strcat sprintf vsprintf strtok atoi atol, and %s in scanf
#  - lib/ never prints to stdout nor exits (only xalloc.c may write its one OOM line)
#  - every C file starts with the SPDX line and has a summary comment
#  - no tabs, no trailing spaces, lines of at most 100 columns
# Prints each violation as FILE:LINE: what; exits 1 if there is any.
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
bad=0
files=$(find lib src tests/unit tests/fuzz tests/tools -name '*.[ch]' ! -name gencap.c | sort)
report() { echo "$1"; bad=1; }

for f in $files; do
    grep -nE '\b(gets|strcpy|strcat|sprintf|vsprintf|strtok|atoi|atol)[[:space:]]*\(' "$f" |
        grep -v '^[0-9]*:[[:space:]]*\*' | while IFS= read -r l; do echo "$f:${l%%:*}: banned function"; done
    grep -nE 'scanf[[:space:]]*\(.*%s' "$f" | while IFS= read -r l; do echo "$f:${l%%:*}: %s in scanf"; done
    head -n 1 "$f" | grep -q 'SPDX-License-Identifier: BSD-2-Clause' || echo "$f:1: no SPDX line"
    grep -q 'summary:' "$f" || echo "$f:1: no summary comment"
    grep -n "$(printf '\t')" "$f" | while IFS= read -r l; do echo "$f:${l%%:*}: tab"; done
    grep -nE ' +$' "$f" | while IFS= read -r l; do echo "$f:${l%%:*}: trailing space"; done
    awk -v f="$f" 'length($0) > 100 { print f ":" NR ": longer than 100 columns" }' "$f"
done >"${TMPDIR:-/tmp}/checksrc.$$"
for f in $(find lib -name '*.c' | sort); do
    case $f in lib/base/xalloc.c) continue ;; esac
    grep -nE '\b(printf|puts|putchar|exit|abort)[[:space:]]*\(|fprintf[[:space:]]*\([[:space:]]*std(out|err)' "$f" |
        grep -v '^[0-9]*:[[:space:]]*/\?\*' | while IFS= read -r l; do echo "$f:${l%%:*}: lib/ must not print or exit"; done
done >>"${TMPDIR:-/tmp}/checksrc.$$"
if [ -s "${TMPDIR:-/tmp}/checksrc.$$" ]; then
    cat "${TMPDIR:-/tmp}/checksrc.$$"
    bad=1
fi
rm -f "${TMPDIR:-/tmp}/checksrc.$$"
exit $bad
