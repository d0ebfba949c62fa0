/* SPDX-License-Identifier: BSD-2-Clause */
/* summary: jansson wrapper; the only file that includes <jansson.h> */
#include "config.h"

#include "json.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/dec.h"
#include "base/diag.h"
#include "base/numfmt.h"
#include "base/utf8.h"
#include "base/xalloc.h"

/* struct jv is never defined: a struct jv * is a json_t * in disguise. */
static json_t *J(const struct jv *v)
{
    return (json_t *)(uintptr_t)v;
}

static struct jv *V(json_t *j)
{
    if (!j)
        xmalloc(SIZE_MAX);      /* jansson only fails on OOM here: abort like xmalloc */
    return (struct jv *)j;
}

struct jv *jv_obj(void)
{
    return V(json_object());
}

struct jv *jv_arr(void)
{
    return V(json_array());
}

struct jv *jv_str(const char *s)
{
    if (!s)
        return V(json_null());
    return jv_strn(s, strlen(s));
}

/*
 * s (n bytes) made UTF-8: ASCII and every well-formed character kept, each byte of
 * the rest U+FFFD (so one bad byte does not hide the text around it). Malloc'd and
 * NUL-terminated, its length in *len; NULL when s is well-formed already.
 */
static char *utf8_fixed(const char *s, size_t n, size_t *len)
{
    char *clean;
    size_t i = 0, o = 0;
    uint32_t cp;

    while (i < n) {
        const uint8_t *p = (const uint8_t *)s + i;
        size_t k = *p < 0x80 ? 1 : utf8_seq(p, n - i, &cp);

        if (k == 0)
            break;
        i += k;
    }
    if (i == n)
        return NULL;
    clean = xmalloc(n * 3 + 1);
    memcpy(clean, s, i);
    o = i;
    while (i < n) {
        const uint8_t *p = (const uint8_t *)s + i;
        size_t k = *p < 0x80 ? 1 : utf8_seq(p, n - i, &cp);

        if (k > 0) {
            memcpy(clean + o, p, k);
            o += k;
            i += k;
        } else {
            memcpy(clean + o, "\xef\xbf\xbd", 3);
            o += 3;
            i++;
        }
    }
    clean[o] = 0;
    *len = o;
    return clean;
}

struct jv *jv_strn(const char *s, size_t n)
{
    json_t *j = json_stringn(s, n);
    char *clean;
    size_t o = 0;

    if (j)
        return V(j);
    clean = utf8_fixed(s, n, &o);
    j = json_stringn(clean ? clean : s, clean ? o : n);
    free(clean);
    return V(j);
}

char *jv_key(const char *k)
{
    size_t n;

    return utf8_fixed(k, strlen(k), &n);
}

struct jv *jv_u64(uint64_t v)
{
    return V(json_integer(v > INT64_MAX ? INT64_MAX : (json_int_t)v));
}

struct jv *jv_i64(int64_t v)
{
    return V(json_integer((json_int_t)v));
}

struct jv *jv_real(double v)
{
    /* JSON has no NaN or infinity (jansson refuses them): they are null */
    return isfinite(v) ? V(json_real(v)) : V(json_null());
}

struct jv *jv_bool(bool v)
{
    return V(json_boolean(v));
}

struct jv *jv_null(void)
{
    return V(json_null());
}

void jv_set(struct jv *obj, const char *k, struct jv *v)
{
    /* a name not in UTF-8 is kept as a string would be: jansson refuses it (and drops v);
     * checked here, it need not check it again */
    char *fixed = jv_key(k);

    json_object_set_new_nocheck(J(obj), fixed ? fixed : k, J(v));
    free(fixed);
}

void jv_push(struct jv *arr, struct jv *v)
{
    json_array_append_new(J(arr), J(v));
}

struct jv *jv_copy(const struct jv *v)
{
    return V(v ? json_deep_copy(J(v)) : json_null());
}

void jv_free(struct jv *v)
{
    if (v)
        json_decref(J(v));
}

/*
 * Compact text (JV_COMPACT), written here rather than by json_dumps: this is
 * what `query` prints per entry, and jansson's dumper spends most of its
 * time guarding against cycles (a formatted pointer in a hash table per
 * object and array), which a tree cannot have. The text is byte for byte
 * jansson's: members in insertion order, no spaces, strings escaped as
 * jansson escapes them (\\ \" \b \f \n \r \t, other controls as \\u00XX
 * in upper case, nothing else: every jansson string is valid UTF-8),
 * integers in decimal; reals with the fewest digits that read back the
 * same double (where jansson writes 17: 0.1, not 0.10000000000000001).
 */
struct jtext {
    char *p;
    size_t n, cap;
};

static char *jt_room(struct jtext *t, size_t k)
{
    if (t->cap - t->n < k) {
        size_t cap = t->cap ? t->cap : 256;

        while (cap - t->n < k)
            cap *= 2;
        t->p = xrealloc(t->p, cap);
        t->cap = cap;
    }
    return t->p + t->n;
}

static void jt_put(struct jtext *t, const char *s, size_t k)
{
    memcpy(jt_room(t, k), s, k);
    t->n += k;
}

static void jt_byte(struct jtext *t, char c)
{
    *jt_room(t, 1) = c;
    t->n++;
}

static void jt_string(struct jtext *t, const char *s, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    /* room for the worst case at once (every byte a \u00XX), then a plain loop */
    char *p = jt_room(t, 6 * n + 2), *start = p;

    *p++ = '"';
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];

        if (c >= 0x20 && c != '"' && c != '\\') {
            *p++ = (char)c;
            continue;
        }
        *p++ = '\\';
        switch (c) {
        case '"': *p++ = '"'; break;
        case '\\': *p++ = '\\'; break;
        case '\b': *p++ = 'b'; break;
        case '\f': *p++ = 'f'; break;
        case '\n': *p++ = 'n'; break;
        case '\r': *p++ = 'r'; break;
        case '\t': *p++ = 't'; break;
        default:
            memcpy(p, "u00", 3);
            p[3] = hex[c >> 4];
            p[4] = hex[c & 15];
            p += 5;
        }
    }
    *p++ = '"';
    t->n += (size_t)(p - start);
}

static void jt_integer(struct jtext *t, json_int_t v)
{
    char d[DEC_U64_LEN + 1], *q;

    q = dec_u64(d + sizeof d, v < 0 ? 0 - (uint64_t)v : (uint64_t)v);
    if (v < 0)
        *--q = '-';
    jt_put(t, q, (size_t)(d + sizeof d - q));
}

static void jt_value(struct jtext *t, const json_t *j, size_t real_flags)
{
    json_t *m = (json_t *)(uintptr_t)j;     /* jansson's iterators take no const */

    switch (json_typeof(j)) {
    case JSON_OBJECT:
        jt_byte(t, '{');
        for (void *it = json_object_iter(m), *first = it; it; it = json_object_iter_next(m, it)) {
            if (it != first)
                jt_byte(t, ',');
            jt_string(t, json_object_iter_key(it), json_object_iter_key_len(it));
            jt_byte(t, ':');
            jt_value(t, json_object_iter_value(it), real_flags);
        }
        jt_byte(t, '}');
        break;
    case JSON_ARRAY:
        jt_byte(t, '[');
        for (size_t i = 0; i < json_array_size(j); i++) {
            if (i > 0)
                jt_byte(t, ',');
            jt_value(t, json_array_get(j, i), real_flags);
        }
        jt_byte(t, ']');
        break;
    case JSON_STRING:
        jt_string(t, json_string_value(j), json_string_length(j));
        break;
    case JSON_INTEGER:
        jt_integer(t, json_integer_value(j));
        break;
    case JSON_REAL: {
        char *r;

        if (!(real_flags & JSON_REAL_PRECISION(31))) {
            /* the fewest digits that read back the same double (0.1, not 0.10000000000000001),
             * with a '.' or an exponent as jansson keeps (2.0) */
            char b[40];

            numfmt_shortest(b, sizeof b, json_real_value(j));
            if (!strpbrk(b, ".e"))
                memcpy(b + strlen(b), ".0", 3);
            jt_put(t, b, strlen(b));
            break;
        }
        r = json_dumps(j, real_flags);
        if (!r)
            xmalloc(SIZE_MAX);
        jt_put(t, r, strlen(r));
        free(r);
        break;
    }
    case JSON_TRUE:
        jt_put(t, "true", 4);
        break;
    case JSON_FALSE:
        jt_put(t, "false", 5);
        break;
    case JSON_NULL:
        jt_put(t, "null", 4);
        break;
    }
}

char *jv_dump(const struct jv *v, unsigned flags)
{
    size_t jf = JSON_PRESERVE_ORDER | JSON_ENCODE_ANY;
    char *s;

    if (flags & JV_PRETTY)
        jf |= JSON_INDENT(2);
    else if (flags & JV_COMPACT)
        jf |= JSON_COMPACT;
    if (flags & JV_SHORT_REALS)
        jf |= JSON_REAL_PRECISION(15);
    if ((flags & (JV_PRETTY | JV_COMPACT)) == JV_COMPACT && v) {
        struct jtext t = { NULL, 0, 0 };

        jt_value(&t, J(v), jf);
        *jt_room(&t, 1) = 0;
        return t.p;
    }
    s = json_dumps(J(v), jf);
    if (!s)
        xmalloc(SIZE_MAX);
    return s;
}

static int parse_flags(const char *text, size_t n, size_t flags, const char *name,
                       struct jv **out, struct diag *d)
{
    json_error_t err;
    json_t *j = json_loadb(text, n, JSON_REJECT_DUPLICATES | flags, &err);

    *out = NULL;
    /* jansson's own words name its flag */
    if (!j && json_error_code(&err) == json_error_null_character)
        return diag_set(d, SV_EFORMAT, "%s: line %d column %d: \\u0000 (NUL) in a string",
                        name, err.line, err.column);
    if (!j)
        return diag_set(d, SV_EFORMAT, "%s: line %d column %d: %s", name, err.line, err.column,
                        err.text);
    *out = (struct jv *)j;
    return 0;
}

int jv_parse(const char *text, size_t n, const char *name, struct jv **out, struct diag *d)
{
    return parse_flags(text, n, 0, name, out, d);
}

int jv_parse_value(const char *text, size_t n, const char *name, struct jv **out,
                   struct diag *d)
{
    /* a string may hold \u0000: entries' strings do */
    return parse_flags(text, n, JSON_DECODE_ANY | JSON_ALLOW_NUL, name, out, d);
}

bool jv_equal(const struct jv *a, const struct jv *b)
{
    return json_equal(J(a), J(b)) != 0;
}

struct jv *jv_get(const struct jv *obj, const char *k)
{
    if (!obj || !json_is_object(J(obj)))
        return NULL;
    return (struct jv *)json_object_get(J(obj), k);
}

const char *jv_as_str(const struct jv *v)
{
    return v && json_is_string(J(v)) ? json_string_value(J(v)) : NULL;
}

const char *jv_as_strn(const struct jv *v, size_t *n)
{
    if (!v || !json_is_string(J(v)))
        return NULL;
    *n = json_string_length(J(v));
    return json_string_value(J(v));
}

bool jv_as_u64(const struct jv *v, uint64_t *out)
{
    if (!v || !json_is_integer(J(v)) || json_integer_value(J(v)) < 0)
        return false;
    *out = (uint64_t)json_integer_value(J(v));
    return true;
}

bool jv_as_i64(const struct jv *v, int64_t *out)
{
    if (!v || !json_is_integer(J(v)))
        return false;
    *out = (int64_t)json_integer_value(J(v));
    return true;
}

const char *jv_get_str(const struct jv *obj, const char *k)
{
    return jv_as_str(jv_get(obj, k));
}

bool jv_get_u64(const struct jv *obj, const char *k, uint64_t *out)
{
    return jv_as_u64(jv_get(obj, k), out);
}

size_t jv_len(const struct jv *arr)
{
    return arr && json_is_array(J(arr)) ? json_array_size(J(arr)) : 0;
}

struct jv *jv_at(const struct jv *arr, size_t i)
{
    if (!arr || !json_is_array(J(arr)))
        return NULL;
    return (struct jv *)json_array_get(J(arr), i);
}

bool jv_get_i64(const struct jv *obj, const char *k, int64_t *out)
{
    const struct jv *v = jv_get(obj, k);

    if (!v || !json_is_integer(J(v)))
        return false;
    *out = (int64_t)json_integer_value(J(v));
    return true;
}

bool jv_as_num(const struct jv *v, double *out)
{
    if (!v || !json_is_number(J(v)))
        return false;
    *out = json_number_value(J(v));
    return true;
}

bool jv_as_bool(const struct jv *v, bool *out)
{
    if (!v || !json_is_boolean(J(v)))
        return false;
    *out = json_is_true(J(v));
    return true;
}

bool jv_is_null(const struct jv *v)
{
    return v && json_is_null(J(v));
}

bool jv_is_obj(const struct jv *v)
{
    return v && json_is_object(J(v));
}

bool jv_is_arr(const struct jv *v)
{
    return v && json_is_array(J(v));
}

size_t jv_obj_len(const struct jv *obj)
{
    return jv_is_obj(obj) ? json_object_size(J(obj)) : 0;
}

bool jv_obj_next(const struct jv *obj, void **iter, const char **key, struct jv **val)
{
    void *it;

    if (!jv_is_obj(obj))
        return false;
    /* jansson >= 2.8 iterates in insertion order */
    it = *iter ? json_object_iter_next(J(obj), *iter) : json_object_iter(J(obj));
    *iter = it;
    if (!it)
        return false;
    *key = json_object_iter_key(it);
    *val = (struct jv *)json_object_iter_value(it);
    return true;
}
