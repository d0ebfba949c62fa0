/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: fuzz target for the capture reader (pcap, pcapng, gzip/zstd-wrapped).
 *
 * Input: a whole capture file, read from memory with cap_open_mem(). The
 * batch size comes from the input length, so batches of 1..16 packets are
 * all exercised. Every byte of every packet is read (ASan sees any view that
 * points outside the buffer), and the reader's contracts are checked:
 * packet and interface bounds, sticky errors, a non-decreasing cap_offset(),
 * and every error message naming the input. Compressed inputs (the corpus
 * has gzip members, zstd frames and skippable frames, cut and corrupt ones)
 * go through lib/compress/ the same way, on the decompressed bytes.
 */
#include "config.h"

#include "capture/capture.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/diag.h"
#include "base/limits.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct cap_pkt pkts[16];
    size_t max = 1 + size % 16;
    struct cap_reader *r;
    struct diag d, d2;
    uint64_t last_off = 0;
    volatile uint8_t sink = 0;
    ssize_t got;

    diag_clear(&d);
    if (cap_open_mem(&r, data, size, "fuzz", &d) < 0) {
        if (d.code >= 0 || strncmp(d.msg, "fuzz: ", 6) != 0)
            abort();
        return 0;
    }
    for (uint32_t i = 0; i < cap_niface(r); i++)
        sink ^= (uint8_t)cap_iface(r, i)->linktype;
    while ((got = cap_next_batch(r, pkts, max, &d)) > 0) {
        if ((size_t)got > max)
            abort();
        for (ssize_t i = 0; i < got; i++) {
            const struct cap_pkt *p = &pkts[i];

            if (p->caplen > LIM_PACKET_MAX || p->iface >= cap_niface(r) ||
                !cap_iface(r, p->iface) ||
                (cap_compression(r) == CAP_COMP_NONE && p->offset >= size))
                abort();
            for (uint32_t j = 0; j < p->caplen; j++)
                sink ^= p->data[j];
        }
        if (cap_offset(r) < last_off)
            abort();
        last_off = cap_offset(r);
    }
    if (got < 0) {
        /* sticky: the same error, the same message */
        diag_clear(&d2);
        if (d.code != got || cap_next_batch(r, pkts, max, &d2) != got || d2.code != got ||
            strncmp(d.msg, "fuzz: ", 6) != 0)
            abort();
    } else if (cap_next_batch(r, pkts, max, &d2) != 0) {
        abort();
    }
    (void)sink;
    cap_close(r);
    return 0;
}
