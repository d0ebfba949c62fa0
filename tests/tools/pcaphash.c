/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: test tool: read capture files with libpcap and print one line
 * per packet ("<fnv64 of data> <ts_ns> <caplen> <origlen> <linktype>"), or
 * with -c only "<file> <packets>". Exit 1 if any file fails to open or read
 * (libpcap's own message on stderr). The tests use it to show that every
 * stream file opens in libpcap and to compare packets as multisets.
 */
#include "config.h"

#include <inttypes.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <string.h>

static uint64_t fnv64(const uint8_t *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;

    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

int main(int argc, char **argv)
{
    char err[PCAP_ERRBUF_SIZE];
    int bad = 0, counts = 0, first = 1;

    if (argc > 1 && strcmp(argv[1], "-c") == 0) {
        counts = 1;
        first = 2;
    }
    for (int i = first; i < argc; i++) {
        pcap_t *p = pcap_open_offline_with_tstamp_precision(argv[i], PCAP_TSTAMP_PRECISION_NANO,
                                                            err);
        struct pcap_pkthdr *h;
        const u_char *data;
        uint64_t n = 0;
        int rc;

        if (!p) {
            fprintf(stderr, "pcaphash: %s: %s\n", argv[i], err);
            bad = 1;
            continue;
        }
        while ((rc = pcap_next_ex(p, &h, &data)) == 1) {
            n++;
            if (!counts)
                printf("%016" PRIx64 " %lld%09ld %u %u %d\n", fnv64(data, h->caplen),
                       (long long)h->ts.tv_sec, (long)h->ts.tv_usec, h->caplen, h->len,
                       pcap_datalink(p));
        }
        if (rc == PCAP_ERROR) {
            fprintf(stderr, "pcaphash: %s: %s\n", argv[i], pcap_geterr(p));
            bad = 1;
        }
        if (counts)
            printf("%s %" PRIu64 "\n", argv[i], n);
        pcap_close(p);
    }
    return bad;
}
