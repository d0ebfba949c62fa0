/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: CRC-32C (Castagnoli), the checksum of index segments.
 *
 * The polynomial of iSCSI, ext4 metadata and Btrfs (RFC 3720 B.4); it detects
 * every error of up to 32 bits in a row, so any flipped byte of a checksummed
 * range is caught. Table-driven, eight bytes a step.
 */
#ifndef SV_BASE_CRC32C_H
#define SV_BASE_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* CRC-32C of n bytes, continuing from crc (start with 0). */
uint32_t crc32c(uint32_t crc, const void *p, size_t n);

#endif
