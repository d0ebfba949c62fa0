/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: libarchive-backed inputs: gzip/zstd decompression of a byte source.
 *
 * lib/bundle/ is the only user of libarchive; no libarchive type appears here.
 */
#ifndef SV_BUNDLE_H
#define SV_BUNDLE_H

#include <stddef.h>

struct bytesrc;
struct diag;

/*
 * Wraps inner in a decompressing byte source (gzip or zstd, chosen by
 * libarchive from the stream's own header). The first nprefix bytes of the
 * compressed stream were already read from inner by the caller (to sniff the
 * magic): they are copied and replayed before inner is read again, so a pipe
 * loses nothing.
 *
 * Takes ownership of inner, also on failure (it is then closed). On success
 * *out reads decompressed bytes; its name is inner's name, and its read
 * errors say "<name>: offset N (decompressed): ..." (SV_EFORMAT for corrupt
 * data, SV_ETRUNC for a cut-short stream, inner's own error when inner
 * fails). Bytes decoded before a fault are delivered before the fault is
 * returned, except that libarchive drops its partly filled output block
 * (up to 64 KiB for gzip, about 128 KiB for zstd): N is where delivery
 * stopped. The same faults can be returned here when they occur in the
 * first block, which libarchive decodes while opening.
 * Returns 0, SV_EFORMAT when the data is neither gzip nor zstd, or SV_EDEP.
 */
int bundle_open_decompress(struct bytesrc **out, struct bytesrc *inner, const void *prefix,
                           size_t nprefix, struct diag *d) __attribute__((warn_unused_result));

#endif
