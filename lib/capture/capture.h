/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: capture file readers (pcap, pcapng; plain, gzip, zstd; files and stdin).
 *
 * The reader pulls batches of packets. Packet data are borrowed views into
 * the reader's buffers, valid until the call after the next cap_next_batch()
 * (two batches are alive at once: one being written out while the next is
 * read), or until cap_close().
 * Every length read from the file is checked against the bytes present and
 * against LIM_* caps before it is used.
 *
 * Error messages name the input and the byte offset of the fault, e.g.
 *   "x.pcap: offset 1048: packet record truncated (caplen 1514, only 300 bytes left)"
 * For compressed inputs the offset is into the decompressed bytes and the
 * message says so ("offset 1048 (decompressed)").
 */
#ifndef SV_CAPTURE_H
#define SV_CAPTURE_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct diag;
struct cap_reader;

enum cap_format {
    CAP_FMT_PCAP = 1,
    CAP_FMT_PCAPNG = 2,
};

enum cap_compression {
    CAP_COMP_NONE = 0,
    CAP_COMP_GZIP = 1,
    CAP_COMP_ZSTD = 2,
};

/* One capture interface: a pcap file has one, a pcapng file one per IDB over all sections. */
struct cap_iface {
    uint32_t linktype;      /* LINKTYPE_* (pcap: low 16 bits of the header field) */
    uint32_t snaplen;       /* as declared (0 in pcapng = unlimited) */
    uint8_t tsprec;         /* 6 = microsecond source, 9 = finer (written as nanoseconds) */
    uint8_t fcs_len;        /* FCS bytes ending each frame (pcap link-type field); 0: none */
};

struct cap_pkt {
    const uint8_t *data;    /* borrowed: caplen bytes */
    uint64_t ts_ns;         /* nanoseconds since the Unix epoch */
    uint64_t offset;        /* byte offset of the packet's record (block) in the input */
    uint32_t caplen;
    uint32_t origlen;
    uint32_t iface;         /* index for cap_iface() */
};

/*
 * Opens path ("-" = standard input), sniffs gzip/zstd compression and the
 * capture format from the magic bytes. Returns 0 or SV_EIO/SV_EFORMAT/SV_ETRUNC,
 * or SV_ENOTCAP when the bytes, decompressed where they are compressed, are no
 * capture at all (empty: "x.pcap: offset 0: empty file, not a capture", fewer
 * than the 4 bytes of a magic, or no pcap/pcapng magic); a compressed file
 * that does not decompress is SV_EFORMAT or SV_ETRUNC, as a capture whose
 * header is damaged.
 */
int cap_open(struct cap_reader **out, const char *path, struct diag *d)
    __attribute__((warn_unused_result));
/*
 * As cap_open, with name (copied) standing for the input in messages instead
 * of path (a capture extracted from a bundle is named as its member), and
 * with a stop flag (may be NULL): once it is set, an open or read that a
 * signal interrupts fails with SV_EINTR instead of waiting on (bytesrc.h).
 */
int cap_open_as(struct cap_reader **out, const char *path, const char *name,
                const volatile sig_atomic_t *cancel, struct diag *d)
    __attribute__((warn_unused_result));

/*
 * As cap_open, over the n bytes at p (borrowed: they must outlive the reader),
 * plain or gzip/zstd-compressed; name (copied) stands for the input in
 * messages. For fuzzers, tests, and captures already in memory.
 */
int cap_open_mem(struct cap_reader **out, const void *p, size_t n, const char *name,
                 struct diag *d) __attribute__((warn_unused_result));

/*
 * Reads up to max packets. Returns the number read (> 0), 0 at a clean end
 * of input, or a negative SV_E* with d set. When a fault follows some good
 * packets, those packets are returned first and the fault on the next call.
 * After an error, further calls return the same error.
 */
ssize_t cap_next_batch(struct cap_reader *r, struct cap_pkt *pkts, size_t max, struct diag *d)
    __attribute__((warn_unused_result));

/* Interfaces seen so far (a pcapng IDB may appear mid-file; indexes never change). */
size_t cap_niface(const struct cap_reader *r);
const struct cap_iface *cap_iface(const struct cap_reader *r, uint32_t idx);

enum cap_format cap_format(const struct cap_reader *r);
enum cap_compression cap_compression(const struct cap_reader *r);
/*
 * Bytes of (decompressed) input consumed by the packets returned so far: the
 * end of the last packet's record; after the clean end (0 returned), the
 * whole input, trailing non-packet blocks included.
 */
uint64_t cap_offset(const struct cap_reader *r);
void cap_close(struct cap_reader *r);

/* Name of a LINKTYPE_* value ("EN10MB", "LINUX_SLL2", ...) or NULL if unknown. */
const char *cap_linktype_name(uint32_t linktype);

#endif
