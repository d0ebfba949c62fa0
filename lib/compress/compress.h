/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: decompressing byte sources (gzip via zlib, zstd via libzstd's streaming API)
 * and one-shot zstd blocks (the index's columns).
 *
 * lib/compress/ is the only user of zlib and libzstd; no zlib or zstd type
 * appears here.
 */
#ifndef SV_COMPRESS_H
#define SV_COMPRESS_H

#include <stddef.h>

struct bytesrc;
struct diag;

enum comp_kind {
    COMP_GZIP = 1,      /* RFC 1952; concatenated members are read one after another */
    COMP_ZSTD = 2,      /* RFC 8878; several frames, skippable frames skipped */
};

/*
 * Wraps inner in a byte source that decompresses kind. The first nprefix
 * bytes of the compressed stream were already read from inner by the caller
 * (to sniff the magic): they are copied and decoded before inner is read
 * again, so a pipe loses nothing. Nothing is decoded before the first read.
 *
 * Takes ownership of inner, also on failure (it is then closed). On success
 * *out (free with bytesrc_close) reads decompressed bytes; its name is
 * inner's name. Every byte decoded before a fault is delivered before the
 * fault is returned, and the fault is sticky. Read errors say
 * "<name>: offset N (decompressed): <why>", N being the decompressed bytes
 * delivered before the fault:
 *   SV_ETRUNC   the compressed stream ends inside a gzip member or a zstd
 *               frame: "compressed data truncated (gzip input ends after M
 *               bytes)". Everything that can be decoded from the bytes that
 *               are there has been delivered; a caller may treat it as the
 *               end of its data and report its own, more precise, truncation.
 *   SV_EFORMAT  corrupt data (bad deflate data, CRC-32 or length mismatch,
 *               bad zstd block or checksum) or bytes after the last member
 *               or frame that are not another one: "corrupt gzip data at
 *               compressed offset M: ...", "trailing garbage after the zstd
 *               data at compressed offset M". Zero bytes after a gzip member
 *               are padding and ignored (as gzip -d does).
 *   SV_ELIMIT   a zstd frame needs a window over 2^LIM_ZSTD_WINDOW_LOG (128 MiB):
 *               refused rather than allocating what a hostile header claims.
 *   SV_ENOMEM   the decoder could not allocate its state.
 *   inner's own code and message when inner fails.
 * Returns 0, or SV_ENOMEM/SV_EDEP when the decoder cannot be set up
 * (SV_EINVAL for an unknown kind).
 */
int comp_open(struct bytesrc **out, enum comp_kind kind, struct bytesrc *inner,
              const void *prefix, size_t nprefix, struct diag *d)
    __attribute__((warn_unused_result));

/*
 * Undoes an HTTP content coding (RFC 9110 §8.4.1) of src[0..n): coding
 * (clen bytes) is the Content-Encoding field's value, "gzip" (or "x-gzip")
 * or "deflate" (RFC 1950's zlib format when the body starts with its
 * header, else the raw deflate that some servers send), in any case, blanks
 * around it ignored; other codings (br, compress, several of them) are not
 * decoded. At most max bytes come out; what decodes before the data ends or
 * turns bad is kept, so a body kept in part decodes in part. Returns the
 * bytes (malloc'd, a NUL after them, *outn of them), or NULL when the coding
 * is not one of these or nothing decodes.
 */
char *comp_content_decode(const char *coding, size_t clen, const void *src, size_t n,
                          size_t max, size_t *outn);

/*
 * One-shot zstd for small blocks (index column chunks), with a context that
 * is reused from call to call; a context serves one thread at a time.
 */
struct comp_block;
struct comp_block *comp_block_new(int level);
void comp_block_free(struct comp_block *z);
/* Bytes dst must hold to compress n bytes whatever they are. */
size_t comp_block_bound(size_t n);
/*
 * Compresses src[0..n) into dst (room for cap bytes); returns the
 * compressed length, or 0 when it does not fit (the caller stores the bytes
 * as they are).
 */
size_t comp_block_pack(struct comp_block *z, void *dst, size_t cap, const void *src, size_t n);
/*
 * Decompresses n bytes of frames (one, or several written one after the
 * other, each saying its size) into dst, which must come out exactly raw
 * bytes long. Returns 0, or SV_EFORMAT (corrupt, a frame without its size,
 * or another length).
 */
int comp_block_unpack(struct comp_block *z, void *dst, size_t raw, const void *src, size_t n)
    __attribute__((warn_unused_result));

#endif
