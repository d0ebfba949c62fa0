/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: aborting allocators for structure-sized allocations.
 *
 * They print one line and end the process on OOM (exit status 3, as git and
 * redis end it). Growth driven by input goes through capped, fallible APIs
 * instead (buf_append).
 */
#ifndef SV_BASE_XALLOC_H
#define SV_BASE_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t n) __attribute__((malloc, returns_nonnull));
void *xcalloc(size_t n, size_t size) __attribute__((malloc, returns_nonnull));
void *xrealloc(void *p, size_t n) __attribute__((returns_nonnull));
char *xstrdup(const char *s) __attribute__((malloc, returns_nonnull));
/* Grows *v (of *cap elements of size sz) to hold at least need elements. */
void xgrow(void **v, size_t *cap, size_t need, size_t sz);
/* Says that n bytes could not be had and aborts: for a library that allocates for itself. */
void xdie(size_t n) __attribute__((noreturn));

#endif
