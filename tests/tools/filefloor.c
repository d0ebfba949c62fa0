/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: benchmark tool: the file-creation floor of a one-file-per-stream split.
 *
 * Usage: filefloor DIR THREADS <SIZES
 * Reads one file size per line and writes that many files of those sizes
 * under DIR/<xx>/ (256 directories, as --layout files does), from THREADS
 * threads in a tight loop: create, write, close. It does nothing else, so
 * its time is what the kernel needs to make the files of a split.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    static unsigned char data[1 << 20];
    size_t n = 0, cap = 1 << 16;
    unsigned long long *sizes;
    unsigned long long v;
    long i;
    int bad = 0;

    if (argc != 3) {
        fprintf(stderr, "usage: filefloor DIR THREADS <SIZES\n");
        return 2;
    }
    sizes = malloc(cap * sizeof *sizes);
    while (sizes && scanf("%llu", &v) == 1) {
        if (n == cap)
            sizes = realloc(sizes, (cap *= 2) * sizeof *sizes);
        if (sizes)
            sizes[n++] = v;
    }
    if (!sizes)
        return 2;
    memset(data, 0xa5, sizeof data);
    if (mkdir(argv[1], 0755) < 0 && errno != EEXIST) {
        perror(argv[1]);
        return 1;
    }
    for (int d = 0; d < 256; d++) {
        char p[4096];

        snprintf(p, sizeof p, "%s/%02x", argv[1], d);
        if (mkdir(p, 0755) < 0 && errno != EEXIST) {
            perror(p);
            return 1;
        }
    }
    omp_set_num_threads(strtol(argv[2], NULL, 10) > 0 ? (int)strtol(argv[2], NULL, 10) : 1);
#pragma omp parallel for schedule(dynamic, 256) reduction(| : bad)
    for (i = 0; i < (long)n; i++) {
        char p[4096];
        unsigned long long left = sizes[i];
        int fd;

        snprintf(p, sizeof p, "%s/%02lx/%012ld.pcap", argv[1], (unsigned long)((i + 1) % 256),
                 i + 1);
        fd = open(p, O_WRONLY | O_CREAT | O_EXCL, 0644);
        if (fd < 0) {
            bad = 1;
            continue;
        }
        while (left > 0) {
            size_t k = left > sizeof data ? sizeof data : (size_t)left;
            ssize_t w = write(fd, data, k);

            if (w <= 0) {
                bad = 1;
                break;
            }
            left -= (unsigned long long)w;
        }
        close(fd);
    }
    if (bad)
        fprintf(stderr, "filefloor: some files could not be written\n");
    return bad;
}
