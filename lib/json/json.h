/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: the one wrapper around jansson (JSON values, parse, dump).
 *
 * Objects keep insertion order, so output is deterministic. A struct jv is
 * opaque; the jansson type never leaves json.c. Setters take ownership of
 * the value passed in; getters borrow.
 */
#ifndef SV_JSON_H
#define SV_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct diag;
struct jv;

struct jv *jv_obj(void);
struct jv *jv_arr(void);
struct jv *jv_str(const char *s);               /* s copied; NULL gives null */
struct jv *jv_strn(const char *s, size_t n);    /* any bytes; invalid UTF-8 is escaped as \ufffd */
struct jv *jv_u64(uint64_t v);                  /* values above INT64_MAX are clamped */
struct jv *jv_i64(int64_t v);
struct jv *jv_real(double v);                  /* NaN and infinities give null */
struct jv *jv_bool(bool v);
struct jv *jv_null(void);

/* obj[k] = v (takes v); a k not in UTF-8 names the member jv_key(k). */
void jv_set(struct jv *obj, const char *k, struct jv *v);
/* k with each byte that is not part of well-formed UTF-8 as U+FFFD, as jv_strn writes
 * a string (malloc'd); NULL when k is UTF-8 already. */
char *jv_key(const char *k);
/* arr.append(v) (takes v). */
void jv_push(struct jv *arr, struct jv *v);
void jv_free(struct jv *v);
/* A deep copy of v (NULL gives null). */
struct jv *jv_copy(const struct jv *v);

enum jv_dump_flags {
    JV_PRETTY = 1 << 0,         /* two-space indent, one key per line */
    JV_COMPACT = 1 << 1,        /* no spaces at all */
    JV_SHORT_REALS = 1 << 2,    /* reals to 15 significant digits: 1.234, not 1.2339999999999999 */
};
/* Serialises v; returns malloc'd NUL-terminated text ending in no newline. */
char *jv_dump(const struct jv *v, unsigned flags);

/* Parses text (name is used in the error message with line/column): an object or array. */
int jv_parse(const char *text, size_t n, const char *name, struct jv **out, struct diag *d)
    __attribute__((warn_unused_result));
/* The same for any JSON value: a number, string, true, false or null too. */
int jv_parse_value(const char *text, size_t n, const char *name, struct jv **out,
                   struct diag *d) __attribute__((warn_unused_result));

/* Whether a and b hold the same value (objects: the same members, in any order). */
bool jv_equal(const struct jv *a, const struct jv *b);
struct jv *jv_get(const struct jv *obj, const char *k);        /* NULL if absent or not an object */
const char *jv_get_str(const struct jv *obj, const char *k);   /* NULL if absent or not a string */
bool jv_get_u64(const struct jv *obj, const char *k, uint64_t *out);
bool jv_get_i64(const struct jv *obj, const char *k, int64_t *out);
size_t jv_len(const struct jv *arr);                            /* 0 if not an array */
struct jv *jv_at(const struct jv *arr, size_t i);
const char *jv_as_str(const struct jv *v);
/* A string's bytes and length, NUL bytes ("\u0000") included; NULL if v is not a string. */
const char *jv_as_strn(const struct jv *v, size_t *n);
bool jv_as_u64(const struct jv *v, uint64_t *out);
/* An integer as it is (exact: nanosecond times need all 64 bits); false if v is not one. */
bool jv_as_i64(const struct jv *v, int64_t *out);
/* Any JSON number (integer or real) as a double; false if v is NULL or not a number. */
bool jv_as_num(const struct jv *v, double *out);
/* true/false; false (and *out untouched) if v is NULL or not a boolean. */
bool jv_as_bool(const struct jv *v, bool *out);
/* Type predicates; all false for NULL. */
bool jv_is_null(const struct jv *v);
bool jv_is_obj(const struct jv *v);
bool jv_is_arr(const struct jv *v);
/* Number of keys; 0 if obj is NULL or not an object. */
size_t jv_obj_len(const struct jv *obj);
/*
 * Iterates over an object's keys in insertion order (file order for parsed
 * text). Start with *iter = NULL; each call that returns true sets *key and
 * *val (borrowed, valid while obj lives); false at the end, or when obj is
 * NULL or not an object. The object must not change during the iteration.
 */
bool jv_obj_next(const struct jv *obj, void **iter, const char **key, struct jv **val);

struct ent_view;
/*
 * An entry record as Kubeshark-shaped JSON (see json_entry.c): jv_entry the
 * value (owned), jv_entry_text compact one-line text (malloc'd). node_ip may
 * be NULL. NULL when a section is malformed.
 */
struct jv *jv_entry(const struct ent_view *v, const char *node_name, const char *node_ip);
char *jv_entry_text(const struct ent_view *v, const char *node_name, const char *node_ip);
/*
 * Adds the entry's kept body bytes to its JSON e, as HAR does: the
 * request's in request.postData, the response's in response.content, each
 * {"text": base64, "encoding": "base64"} plus "truncated": true when only
 * the first bytes were kept. Entries without kept bytes are left alone.
 */
void jv_entry_add_bodies(struct jv *e, const struct ent_view *v);

#endif
