/* SPDX-License-Identifier: BSD-2-Clause */
/* summary: file-system helpers */
#include "config.h"

#include "fsutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "diag.h"
#include "xalloc.h"

int fs_write_all(int fd, const void *p, size_t n, const char *name, struct diag *d)
{
    const uint8_t *b = p;

    while (n > 0) {
        ssize_t w = write(fd, b, n);

        if (w < 0) {
            if (errno == EINTR)
                continue;
            return diag_errno(d, SV_EIO, errno, "%s: write", name);
        }
        b += w;
        n -= (size_t)w;
    }
    return 0;
}

int fs_writev_all(int fd, struct iovec *iov, int n, const char *name, struct diag *d)
{
    while (n > 0) {
        ssize_t w = writev(fd, iov, n > 1024 ? 1024 : n);

        if (w < 0) {
            if (errno == EINTR)
                continue;
            return diag_errno(d, SV_EIO, errno, "%s: write", name);
        }
        while (n > 0 && (size_t)w >= iov->iov_len) {
            w -= (ssize_t)iov->iov_len;
            iov++;
            n--;
        }
        if (n > 0) {
            iov->iov_base = (uint8_t *)iov->iov_base + w;
            iov->iov_len -= (size_t)w;
        }
    }
    return 0;
}

int fs_pwrite_all(int fd, const void *p, size_t n, off_t off, const char *name, struct diag *d)
{
    const uint8_t *b = p;

    while (n > 0) {
        ssize_t w = pwrite(fd, b, n, off);

        if (w < 0) {
            if (errno == EINTR)
                continue;
            return diag_errno(d, SV_EIO, errno, "%s: write", name);
        }
        b += w;
        n -= (size_t)w;
        off += w;
    }
    return 0;
}

int fs_pread_all(int fd, void *p, size_t n, off_t off, const char *name, struct diag *d)
{
    uint8_t *b = p;

    while (n > 0) {
        ssize_t r = pread(fd, b, n, off);

        if (r < 0) {
            if (errno == EINTR)
                continue;
            return diag_errno(d, SV_EIO, errno, "%s: read", name);
        }
        if (r == 0)
            return diag_set(d, SV_ETRUNC, "%s: offset %lld: unexpected end of file", name,
                            (long long)off);
        b += r;
        n -= (size_t)r;
        off += r;
    }
    return 0;
}

int fs_mkdirs(const char *dir, struct diag *d)
{
    char *p = xstrdup(dir);
    int rc = 0;

    for (char *s = p + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = '\0';
        if (mkdir(p, 0755) < 0 && errno != EEXIST) {
            rc = diag_errno(d, SV_EIO, errno, "%s: mkdir", p);
            goto out;
        }
        *s = '/';
    }
    if (mkdir(p, 0755) < 0 && errno != EEXIST)
        rc = diag_errno(d, SV_EIO, errno, "%s: mkdir", p);
out:
    free(p);
    return rc;
}

int fs_rmtree(const char *path, struct diag *d)
{
    struct stat st;
    DIR *dir;
    struct dirent *e;
    int rc = 0;

    if (lstat(path, &st) < 0)
        return errno == ENOENT ? 0 : diag_errno(d, SV_EIO, errno, "%s", path);
    if (!S_ISDIR(st.st_mode)) {
        if (unlink(path) < 0)
            return diag_errno(d, SV_EIO, errno, "%s: unlink", path);
        return 0;
    }
    dir = opendir(path);
    if (!dir)
        return diag_errno(d, SV_EIO, errno, "%s: opendir", path);
    while ((e = readdir(dir)) != NULL) {
        char *sub;
        int r;

        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        sub = fs_join(path, e->d_name);
        r = fs_rmtree(sub, d);
        if (r < 0 && rc == 0)
            rc = r;
        free(sub);
    }
    closedir(dir);
    if (rmdir(path) < 0 && rc == 0)
        rc = diag_errno(d, SV_EIO, errno, "%s: rmdir", path);
    return rc;
}

bool fs_dir_every(const char *dir, bool (*ok)(const char *dir, const char *name, void *arg),
                  void *arg)
{
    DIR *dp = opendir(dir);
    struct dirent *e;
    bool all = dp != NULL;

    while (all && (e = readdir(dp)) != NULL) {
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            all = ok(dir, e->d_name, arg);
    }
    if (dp)
        closedir(dp);
    return all;
}

int fs_lock_path(const char *path, struct diag *d)
{
    for (;;) {
        int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        struct stat a, b;

        if (fd < 0)
            return diag_errno(d, SV_EIO, errno, "%s", path);
        if (flock(fd, LOCK_EX) < 0) {
            int e = errno;

            close(fd);
            return diag_errno(d, SV_EIO, e, "%s: flock", path);
        }
        /* still the directory at path, not one swapped out while this waited */
        if (fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_dev == b.st_dev &&
            a.st_ino == b.st_ino)
            return fd;
        close(fd);
    }
}

int fs_dir_trylock(const char *path)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

    if (fd < 0)
        return -1;
    if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
        int e = errno;

        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

int fs_mkdir_locked(const char *path, struct diag *d)
{
    /* a name that a search for path's own kind of name does not match while unlocked */
    char *fresh = fs_printf("%s.new", path);
    int fd = -1, rc = 0;

    if (mkdir(fresh, 0755) < 0) {
        rc = diag_errno(d, SV_EIO, errno, "%s: mkdir", fresh);
        goto out;
    }
    fd = fs_dir_trylock(fresh);
    if (fd < 0) {
        rc = diag_errno(d, SV_EIO, errno, "%s: flock", fresh);
        rmdir(fresh);
        goto out;
    }
    if (rename(fresh, path) < 0) {
        rc = diag_errno(d, SV_EIO, errno, "%s: rename", path);
        close(fd);
        fd = -1;
        rmdir(fresh);
    }
out:
    free(fresh);
    return fd >= 0 ? fd : rc;
}

int fs_exchange(const char *a, const char *b)
{
#if defined(__linux__) && defined(SYS_renameat2)
    /* glibc names renameat2() only for _GNU_SOURCE; the flag is the kernel's */
    return (int)syscall(SYS_renameat2, AT_FDCWD, a, AT_FDCWD, b, 1u << 1 /* RENAME_EXCHANGE */);
#else
    (void)a;
    (void)b;
    errno = ENOSYS;
    return -1;
#endif
}

int fs_sync_fs(const char *path, struct diag *d)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC), rc = 0;

    if (fd < 0)
        return diag_errno(d, SV_EIO, errno, "%s", path);
#if defined(__linux__) && defined(SYS_syncfs)
    /* glibc names syncfs() only for _GNU_SOURCE */
    if (syscall(SYS_syncfs, fd) < 0)
        rc = diag_errno(d, SV_EIO, errno, "%s: syncfs", path);
#else
    sync();
#endif
    close(fd);
    return rc;
}

int fs_open_tmp_beside(const char *path, char **tmp, struct diag *d)
{
    const char *slash = strrchr(path, '/');
    int dlen = slash ? (int)(slash - path + 1) : 0;

    for (unsigned k = 0; k < 100; k++) {
        int fd;

        *tmp = k ? fs_printf("%.*s.%s.%ld.%u.tmp", dlen, path, path + dlen, (long)getpid(), k)
                 : fs_printf("%.*s.%s.%ld.tmp", dlen, path, path + dlen, (long)getpid());
        fd = open(*tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd >= 0) {
            /* held while it is written: fs_remove_stale_beside leaves it alone */
            (void)flock(fd, LOCK_EX | LOCK_NB);
            return fd;
        }
        if (errno != EEXIST) {
            int e = errno;

            free(*tmp);
            *tmp = NULL;
            return diag_errno(d, SV_EIO, e, "%s: cannot create", path);
        }
        free(*tmp);
    }
    *tmp = NULL;
    return diag_set(d, SV_EIO, "%s: cannot create a temporary file beside it", path);
}

void fs_remove_stale_beside(const char *path)
{
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    char *dir = !slash ? xstrdup(".") : slash == path ? xstrdup("/")
                                      : fs_printf("%.*s", (int)(slash - path), path);
    size_t blen = strlen(base);
    DIR *dp = opendir(dir);
    struct dirent *e;

    while (dp && (e = readdir(dp)) != NULL) {
        const char *q = e->d_name;
        char *end;
        long pid;

        /* .<base>.<pid>[.<k>].tmp */
        if (q[0] != '.' || strncmp(q + 1, base, blen) != 0 || q[1 + blen] != '.')
            continue;
        q += 2 + blen;
        pid = strtol(q, &end, 10);
        if (end == q || pid <= 0)
            continue;
        if (*end == '.' && end[1] >= '0' && end[1] <= '9')
            (void)strtoul(end + 1, &end, 10);
        if (strcmp(end, ".tmp") != 0 || pid == (long)getpid() ||
            kill((pid_t)pid, 0) == 0 || errno != ESRCH)
            continue;
        {
            /* and nobody writes it (a process of another PID namespace, or of another
               output whose name this one's prefixes, would hold its lock) */
            char *victim = fs_join(dir, e->d_name);
            int fd = open(victim, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

            if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0)
                unlink(victim);
            if (fd >= 0)
                close(fd);
            free(victim);
        }
    }
    if (dp)
        closedir(dp);
    free(dir);
}

int fs_stage_file(const char *path, const void *p, size_t n, char **tmp, struct diag *d)
{
    int fd = fs_open_tmp_beside(path, tmp, d), rc;

    if (fd < 0)
        return fd;
    rc = fs_write_all(fd, p, n, *tmp, d);
    if (close(fd) < 0 && rc == 0)
        rc = diag_errno(d, SV_EIO, errno, "%s: close", *tmp);
    if (rc < 0) {
        unlink(*tmp);
        free(*tmp);
        *tmp = NULL;
    }
    return rc;
}

int fs_commit_staged(char *tmp, const char *path, struct diag *d)
{
    int rc = 0;

    if (rename(tmp, path) < 0) {
        rc = diag_errno(d, SV_EIO, errno, "%s: cannot rename %s into place", path, tmp);
        unlink(tmp);
    }
    free(tmp);
    return rc;
}

void fs_abort_staged(char *tmp)
{
    if (tmp)
        unlink(tmp);
    free(tmp);
}

int fs_write_file_atomic(const char *path, const void *p, size_t n, struct diag *d)
{
    char *tmp;
    int rc = fs_stage_file(path, p, n, &tmp, d);

    return rc < 0 ? rc : fs_commit_staged(tmp, path, d);
}

int fs_open_read(const char *path, struct stat *st, struct diag *d)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0)
        return diag_errno(d, SV_EIO, errno, "%s", path);
    if (fstat(fd, st) < 0) {
        int rc = diag_errno(d, SV_EIO, errno, "%s: stat", path);

        close(fd);
        return rc;
    }
    return fd;
}

int fs_read_file(const char *path, size_t max, uint8_t **out, size_t *n, struct diag *d)
{
    struct stat st;
    uint8_t *p;
    int fd, rc;

    *out = NULL;
    *n = 0;
    fd = fs_open_read(path, &st, d);
    if (fd < 0)
        return fd;
    if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size > max) {
        rc = diag_set(d, SV_ELIMIT, "%s: not a regular file of at most %zu bytes", path, max);
        goto out_close;
    }
    p = xmalloc((size_t)st.st_size + 1);
    rc = fs_pread_all(fd, p, (size_t)st.st_size, 0, path, d);
    if (rc < 0) {
        free(p);
        goto out_close;
    }
    p[st.st_size] = '\0';
    *out = p;
    *n = (size_t)st.st_size;
out_close:
    close(fd);
    return rc;
}

char *fs_join(const char *a, const char *b)
{
    size_t la = strlen(a);

    if (la > 0 && a[la - 1] == '/')
        return fs_printf("%s%s", a, b);
    return fs_printf("%s/%s", a, b);
}

char *fs_printf(const char *fmt, ...)
{
    va_list ap;
    char *s;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    s = xmalloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}
