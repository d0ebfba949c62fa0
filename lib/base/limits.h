/* SPDX-License-Identifier: BSD-2-Clause */
/* summary: every named cap, with its default (each has a CLI override where noted) */
#ifndef SV_BASE_LIMITS_H
#define SV_BASE_LIMITS_H

/* Largest captured length accepted for one packet (libpcap's and wiretap's maximum). */
#define LIM_PACKET_MAX          262144u
/* Largest pcapng block read whole (a packet plus generous options); a longer block that
   holds no packet or interface (a DSB of a big key log) is skipped as it is read. */
#define LIM_PCAPNG_BLOCK_MAX    (16u * 1024 * 1024)
/* Interfaces per pcapng file, over all sections. */
#define LIM_PCAPNG_IFACES       65536u
/* Bytes of one input read and decoded per batch (bounds the reader's buffer). */
#define LIM_BATCH_BYTES         (16u * 1024 * 1024)
/* Packets per batch. */
#define LIM_BATCH_PACKETS       32768u
/* Streams up to this many PCAP bytes are packed; larger ones get a file (--pack-threshold). */
#define LIM_PACK_THRESHOLD      (1024u * 1024)
/* Bytes of stream PCAP data buffered in memory over all streams (--memcap). */
#define LIM_BUFFER_TOTAL        (192ull * 1024 * 1024)
/*
 * The same with --layout files, where a stream spilled to its file early is
 * the same file: on the 1 GiB gencap capture, peak RSS 465 -> 222 MB and
 * 1.93-2.02 -> 1.59-2.16 s on a fresh ext4 (-j 2), for 25 % more opens.
 */
#define LIM_BUFFER_FILES        (64ull * 1024 * 1024)
/* A pack file is closed and a new one started past this size. */
#define LIM_PACK_FILE_MAX       (1024ull * 1024 * 1024)
/* Outstanding IP fragment keys remembered per node. */
#define LIM_FRAG_KEYS           65536u
/* A later IP fragment waits this long (capture time) for its datagram's first fragment,
   as Linux's ipfrag_time: past it, it goes to other.pcap. */
#define LIM_FRAG_HOLD_S         30u
/* Later fragments carried over from one batch to the next while they wait, and their bytes
   (past either, the newer go to other.pcap). */
#define LIM_FRAG_CARRY          4096u
#define LIM_FRAG_CARRY_BYTES    (16u * 1024 * 1024)
/* Default UDP idle timeout that starts a new stream (--udp-timeout), in seconds. */
#define LIM_UDP_TIMEOUT_S       60u
/* A closed TCP stream (RST, or FIN both ways) is finished after this idle time, in seconds. */
#define LIM_TCP_CLOSED_S        60u
/* An open TCP stream idle this long is finished; a later packet starts anew (--tcp-timeout). */
#define LIM_TCP_IDLE_S          3600u
/* Largest zstd window accepted in compressed captures, log2 (27: 128 MiB, as zstd --long). */
#define LIM_ZSTD_WINDOW_LOG     27u

/* Out-of-order bytes buffered per TCP stream direction (each buffered range also costs 64). */
#define LIM_REASM_FLOW          (1024u * 1024)
/* Reassembly bytes buffered over all streams sharing one budget (memcap). */
#define LIM_REASM_TOTAL         (256u * 1024 * 1024)
/* Body bytes kept per request and per response in entries and the index (--body-max). */
#define LIM_BODY_MAX            (64u * 1024)
/* Bytes a query decodes of one kept body's content coding (gzip, deflate): a bomb stops there. */
#define LIM_BODY_DECODED        (16u * 1024 * 1024)
/* Delivered bytes kept per direction to check retransmitted copies for conflicts. */
#define LIM_REASM_HISTORY       4096u

/* Bytes a bundle's merge reads from one stream at a time (its buffer per open stream). */
#define LIM_BUNDLE_READ         (32u * 1024)

/* Largest name resolution history file read (names_read_file), in bytes. */
#define LIM_NAMES_FILE          (1024ull * 1024 * 1024)
/* Name records read from files into one history, over all files. */
#define LIM_NAMES_RECORDS       (16u * 1024 * 1024)
/* Passive DNS: runs of (IP, name) sightings kept; later new runs are dropped and counted. */
#define LIM_NAMES_DNS_RUNS      (4u * 1024 * 1024)
/* Passive DNS: (IP, name) sightings one bucket gathers during ingest (an IP's repeated
   name only widens its sighting); later new ones are dropped and counted. */
#define LIM_NAMES_DNS_SEEN      16384u

/* Bundles read by ingest (lib/bundle/reader.c): bytes one member may declare or hold
 * (--bundle-member-max). A node's merged capture is one member. */
#define LIM_BUNDLE_MEMBER       (8ull * 1024 * 1024 * 1024)
/* Bytes all members of a bundle may declare or hold together (--bundle-total-max). */
#define LIM_BUNDLE_TOTAL        (64ull * 1024 * 1024 * 1024)
/* Members (files and directories) of one bundle (--bundle-members-max). */
#define LIM_BUNDLE_MEMBERS      (1024u * 1024)
/* Largest content.json read, in bytes (it is parsed in memory). */
#define LIM_BUNDLE_MANIFEST     (256u * 1024 * 1024)
/* Longest member path accepted, in bytes. */
#define LIM_BUNDLE_PATH         4096u

#endif
