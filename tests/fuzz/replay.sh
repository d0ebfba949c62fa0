#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Replays every fuzz corpus (testdata/fuzz/<target>/) and every test capture through
# the fuzz targets built without libFuzzer (tests/fuzz/onefile.c). A crash fails.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

for target in pcap decode reasm defrag index dis_detect dis_http1 dis_http2 dis_dns dis_tls dis_redis dis_kafka dis_amqp \
    names_native names_kubeshark names_kubectl kfl_parse bundle content; do
    bin="$top_builddir/tests/fuzz/fuzz_$target"
    set -- "$TD/fuzz/$target"/*
    [ -e "$1" ] || set --
    t_run "fuzz_$target: corpus ($# inputs)" "$bin" "$@"
done
t_run "fuzz_pcap: every test capture" "$top_builddir/tests/fuzz/fuzz_pcap" \
    $(find "$TD" -maxdepth 1 -type f \( -name '*.pcap' -o -name '*.pcapng' -o -name '*.cap' \))
t_done
