/* SPDX-License-Identifier: BSD-2-Clause */
/* summary: internals shared by the store's files (paths, catalogue, store.json) */
#ifndef SV_STORE_INT_H
#define SV_STORE_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "store.h"

struct diag;

#define STORE_JSON "store.json"
#define STORE_CATALOG "streams.cat"
#define STORE_OTHER "other.pcap"
#define STORE_CAT_MAGIC "SVCAT\0\0\1"
#define STORE_ENT_MAGIC "SVENT\0\0\3"  /* first 8 bytes of an entries file */
#define STORE_NAMES "names.json"     /* a node's name resolution history */
#define STORE_ENT_MAGIC_LEN 8u
#define STORE_CAT_HDR_LEN 64u
#define STORE_CAT_REC_LEN 128u
#define STORE_CAT_VERSION 1u
#define STORE_FILE_DIRS 256u
#define STORE_CAT_BLOCK 65536u
#define STORE_INDEX_DIR "index"
/* The most one index segment holds (entries, bytes of records). */
#define STORE_SEGMENT_ROWS 65536u
#define STORE_SEGMENT_BYTES (64u * 1024 * 1024)

/* "nodes/<node>" relative paths; all returned strings are malloc'd. */
/*
 * Puts the complete store tree tmp (beside it) in place of the store at dir,
 * whose lock (fs_lock_path) the caller holds: in one exchange where the file
 * system can, so that a reader sees the one or the other; the old tree is
 * removed.
 */
int store_swap_in(const char *tmp, const char *dir, struct diag *d)
    __attribute__((warn_unused_result));
/*
 * Removes the temporary trees that a killed ingest (STORE.tmp-PID, and
 * STORE.bundle-PID where it extracted a bundle) left beside the store at
 * store_dir (those whose lock no live process holds, and that are surely
 * ours: split.c); told(arg, path) for each.
 */
void store_remove_stale(const char *store_dir, void (*told)(void *arg, const char *path),
                        void *arg);
/* Whether name may be a node's history file: names.json or names.n<g>.json (names.c). */
bool store_history_file_name(const char *name);
char *store_node_dir(const char *root, const char *node);
char *store_pack_path(const char *node_dir, uint32_t pack);
/* nodes/<node>/entries/<bb>.ent: the entries of the streams of one bucket. */
char *store_entries_path(const char *node_dir, uint32_t bucket);
/* Directory (streams/xx) and file of a stream stored on its own. */
char *store_stream_dir(const char *node_dir, uint64_t id);
char *store_stream_path(const char *node_dir, const struct store_stream *st);

/*
 * Writes the catalogue of n streams (in id order) to path, atomically; the
 * records are in blocks of STORE_CAT_BLOCK.
 */
int store_catalog_write(const char *path, struct store_stream *const *blocks, size_t n,
                        struct diag *d) __attribute__((warn_unused_result));
/* Reads and validates a catalogue; *v is malloc'd. */
int store_catalog_read(const char *path, struct store_stream **v, size_t *n, struct diag *d)
    __attribute__((warn_unused_result));


#endif
