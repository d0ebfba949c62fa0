/* SPDX-License-Identifier: BSD-2-Clause */
/* summary: file-system helpers: full writes, directories, atomic replacement */
#ifndef SV_BASE_FSUTIL_H
#define SV_BASE_FSUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

struct diag;

/* Writes all n bytes (retrying short writes and EINTR); SV_EIO with name on failure. */
int fs_write_all(int fd, const void *p, size_t n, const char *name, struct diag *d)
    __attribute__((warn_unused_result));
/* writev of all iovecs, retrying partial writes. iov is modified. */
int fs_writev_all(int fd, struct iovec *iov, int n, const char *name, struct diag *d)
    __attribute__((warn_unused_result));
int fs_pwrite_all(int fd, const void *p, size_t n, off_t off, const char *name, struct diag *d)
    __attribute__((warn_unused_result));
int fs_pread_all(int fd, void *p, size_t n, off_t off, const char *name, struct diag *d)
    __attribute__((warn_unused_result));
/* Creates dir and its missing parents (mode 0755). */
int fs_mkdirs(const char *dir, struct diag *d) __attribute__((warn_unused_result));
/* Removes a tree (no symlink following). Best effort; returns the first error. */
int fs_rmtree(const char *path, struct diag *d);
/*
 * Creates directory path (mode 0755, its parent must exist) and takes an
 * exclusive flock() on it, which lasts while the returned descriptor is
 * open; the directory appears under path only once locked (it is made
 * under a name of its own, then renamed). SV_EIO on failure.
 */
int fs_mkdir_locked(const char *path, struct diag *d) __attribute__((warn_unused_result));
/*
 * Takes the lock fs_mkdir_locked() takes, without waiting: the descriptor
 * (close it to let go), or -1 with errno EWOULDBLOCK when a live process
 * holds it (or another errno when it cannot be told).
 */
int fs_dir_trylock(const char *path);
/*
 * Whether ok(dir, name, arg) holds for every entry of directory dir but "."
 * and ".." (false when dir cannot be read).
 */
bool fs_dir_every(const char *dir, bool (*ok)(const char *dir, const char *name, void *arg),
                  void *arg);
/*
 * Takes an exclusive flock() on the directory at path, waiting for it, and
 * makes sure path still names the directory locked (a writer may have
 * swapped another in meanwhile: then it locks that one). The descriptor
 * (close it to let go), or SV_EIO.
 */
int fs_lock_path(const char *path, struct diag *d) __attribute__((warn_unused_result));
/*
 * Swaps two existing paths in one step (Linux's renameat2 RENAME_EXCHANGE):
 * 0, or -1 with errno set (EINVAL, EOPNOTSUPP or ENOSYS where the file
 * system or the kernel cannot; then the caller renames in two steps).
 */
int fs_exchange(const char *a, const char *b);
/*
 * Creates a new temporary file beside path, ".<name>.<pid>[.<k>].tmp", for
 * a rename into place once it is whole; returns its descriptor (*tmp its
 * name, to free) or SV_EIO (*tmp NULL).
 */
int fs_open_tmp_beside(const char *path, char **tmp, struct diag *d);
/*
 * Removes the temporary files fs_open_tmp_beside made beside path for
 * processes that are gone (killed before they could: SIGKILL, the OOM
 * killer); those of a live process, of one that cannot be told, or that a
 * process holds open (fs_open_tmp_beside locks its file while it is written:
 * a writer in another PID namespace) stay.
 */
void fs_remove_stale_beside(const char *path);
/*
 * Writes a whole file in two steps, so that it can go into place together
 * with something else: fs_stage_file writes it beside path (*tmp gets the
 * temporary name; on error nothing is left); then fs_commit_staged renames
 * it into place, or fs_abort_staged removes it. Both free tmp.
 */
int fs_stage_file(const char *path, const void *p, size_t n, char **tmp, struct diag *d)
    __attribute__((warn_unused_result));
int fs_commit_staged(char *tmp, const char *path, struct diag *d)
    __attribute__((warn_unused_result));
void fs_abort_staged(char *tmp);
/*
 * Makes what was written on path's file system durable (Linux: syncfs, one
 * call for every file and rename; elsewhere sync). SV_EIO when it fails.
 */
int fs_sync_fs(const char *path, struct diag *d) __attribute__((warn_unused_result));
/* Writes a whole file: fs_stage_file, then fs_commit_staged (fsync-less). */
int fs_write_file_atomic(const char *path, const void *p, size_t n, struct diag *d)
    __attribute__((warn_unused_result));
struct stat;
/* Opens path for reading and fstat()s it; returns the descriptor or SV_EIO. */
int fs_open_read(const char *path, struct stat *st, struct diag *d)
    __attribute__((warn_unused_result));
/* Reads a whole regular file of at most max bytes; *out is malloc'd (NUL-terminated). */
int fs_read_file(const char *path, size_t max, uint8_t **out, size_t *n, struct diag *d)
    __attribute__((warn_unused_result));
/* Joins a and b with one '/'; returns malloc'd. */
char *fs_join(const char *a, const char *b);
/* asprintf that aborts on OOM. */
char *fs_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
