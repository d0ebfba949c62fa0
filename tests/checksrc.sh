#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# The source rules of ci/checksrc.sh hold for the whole tree.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
t_run "ci/checksrc.sh finds nothing" sh "$top_srcdir/ci/checksrc.sh"
t_done
