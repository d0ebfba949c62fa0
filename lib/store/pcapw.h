/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: serialisation of PCAP and pcapng files (what the store writes).
 *
 * Stream files are classic little-endian PCAP (microsecond magic a1b2c3d4 or
 * nanosecond a1b23c4d) while all their packets share one link type, and
 * pcapng (one IDB per link type) when they do not.
 */
#ifndef SV_STORE_PCAPW_H
#define SV_STORE_PCAPW_H

#include <stddef.h>
#include <stdint.h>

struct buf;

#define PCAPW_HDR_LEN 24u
#define PCAPW_REC_HDR_LEN 16u
#define PCAPW_SHB_LEN 28u
#define PCAPW_MAGIC_US 0xa1b2c3d4u
#define PCAPW_MAGIC_NS 0xa1b23c4du

/* The 24-byte PCAP file header; prec is 6 (µs) or 9 (ns). */
void pcapw_file_header(uint8_t out[PCAPW_HDR_LEN], uint32_t linktype, uint32_t snaplen, int prec);

/* Writes one PCAP record (PCAPW_REC_HDR_LEN + caplen bytes) at p. */
void pcapw_record_put(uint8_t *p, uint64_t ts_ns, uint32_t caplen, uint32_t origlen,
                      const uint8_t *data, int prec);
/* Bytes of an IDB / EPB as pcapw_ng_idb_put / pcapw_ng_epb_put write them. */
static inline uint32_t pcapw_ng_idb_len(int prec)
{
    return prec == 9 ? 32u : 20u;
}
static inline uint32_t pcapw_ng_epb_len(uint32_t caplen)
{
    return 32u + ((caplen + 3u) & ~3u);
}
void pcapw_ng_idb_put(uint8_t *p, uint32_t linktype, uint32_t snaplen, int prec);
void pcapw_ng_epb_put(uint8_t *p, uint32_t ifid, uint64_t ts_ns, int prec, uint32_t caplen,
                      uint32_t origlen, const uint8_t *data);

/* Appends one PCAP record. SV_ELIMIT/SV_ENOMEM from the buffer. */
int pcapw_record(struct buf *b, uint64_t ts_ns, uint32_t caplen, uint32_t origlen,
                 const uint8_t *data, int prec) __attribute__((warn_unused_result));

/* Rewrites the timestamps of µs PCAP records [p, p+n) as ns, in place. */
void pcapw_records_us_to_ns(uint8_t *p, size_t n);

/*
 * Walks a stream file as this module writes it (a PCAP header and records,
 * or pcapng blocks): the number of packets, and in *end the offset where
 * the walk stopped: n when every record (block) is whole and the last one
 * ends the bytes. Reads no packet data.
 */
uint64_t pcapw_walk(const uint8_t *p, size_t n, size_t *end);

/* The pcapng Section Header Block (little-endian, unknown section length). */
void pcapw_ng_shb(uint8_t out[PCAPW_SHB_LEN]);
/* Appends an Interface Description Block (if_tsresol=9 when prec is 9). */
int pcapw_ng_idb(struct buf *b, uint32_t linktype, uint32_t snaplen, int prec)
    __attribute__((warn_unused_result));
/* Appends an Enhanced Packet Block on interface ifid (timestamp units of that IDB). */
int pcapw_ng_epb(struct buf *b, uint32_t ifid, uint64_t ts_ns, int prec, uint32_t caplen,
                 uint32_t origlen, const uint8_t *data) __attribute__((warn_unused_result));
/*
 * Appends, as EPBs on interface ifid, the PCAP records [p, p+n) whose
 * timestamps have precision prec. The records must be well formed (they
 * are our own output).
 */
int pcapw_records_to_ng(const uint8_t *p, size_t n, int prec, uint32_t ifid, struct buf *out)
    __attribute__((warn_unused_result));
/* Bytes of a complete record at p (header + data), given at least 16 bytes. */
size_t pcapw_record_len(const uint8_t *p);

#endif
