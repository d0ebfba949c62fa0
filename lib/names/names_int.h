/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: the name history's private structures and helpers, shared by
 * names.c (store, format detection, seal, lookup), passive.c (passive DNS)
 * and the format modules native.c, kubeshark.c and kubectl.c. Only
 * lib/names/ (and its tests and fuzz targets) include it.
 *
 * Life of a history:
 *
 *   building: items[] (names_add and the history readers), dumps[] (one per
 *             kubectl dump, merged at seal), dns[] (passive DNS runs)
 *   names_seal: dumps and dns become items; every item gets its resolved
 *             name; items are sorted by (ipver, ip, port, from, source, seq);
 *             addrs[] (one per address, port-0 entry for every IP) and a hash
 *             table over it are built
 *   sealed:   read-only; names_resolve hashes the address and scans its
 *             (usually 1-3) items
 */
#ifndef SV_NAMES_INT_H
#define SV_NAMES_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "base/timefmt.h"
#include "names.h"

struct buf;
struct diag;
struct jv;

/*
 * Times are capped at 2262-04-11T23:47:16Z, the last whole second of the
 * times streamvault holds (TIMEFMT_NS_MAX): every reader refuses a later
 * one, the DNS answers of a capture timed later (saturated) are taken as
 * of it, so that what each writer writes reads back (the Kubeshark format
 * keys whole seconds).
 */
#define NAMES_NS_PER_S 1000000000ull
#define NAMES_SEC_MAX (TIMEFMT_NS_MAX / NAMES_NS_PER_S)
#define NAMES_NS_MAX (NAMES_SEC_MAX * NAMES_NS_PER_S)

/* A record plus what lookups need precomputed. */
struct names_item {
    struct names_rec r;
    const char *full;       /* names_who.name for this record ("" for NAMES_K_DNS) */
    /* full, r.name, r.ns, r.svc as names_resolve gives them (entry_form: long ones shortened) */
    const char *efull, *ename, *ens, *esvc;
    uint64_t seq;           /* order of addition (ties among equal from and source) */
};

struct names_vec {
    struct names_item *v;
    size_t n, cap;
};

/* One kubectl dump, kept apart until names_seal merges the dumps in time order. */
/* A pod that an Endpoints or EndpointSlice object puts behind a service (interned). */
struct names_member {
    const char *ns, *pod, *svc;
};

struct names_dump {
    uint64_t taken;         /* ns */
    uint64_t seq;           /* reading order, for dumps taken at the same time */
    struct names_vec recs;  /* to = NAMES_OPEN each */
    struct names_member *m; /* its endpoints' pods: services go to the moment's pods */
    size_t nm;
};

/* Passive DNS: consecutive sightings of one (IP, name), first and last time. */
struct names_run {
    uint8_t ipver;
    uint8_t ip[16];
    const char *name;       /* interned, lower case */
    uint64_t t0, t1;
};

/* A sealed address: its records, and for port 0 the IP's DNS records. */
struct names_addr {
    uint8_t ipver;
    uint8_t ip[16];
    uint16_t port;
    size_t first, n;        /* items[first .. first+n), all kinds */
    size_t dfirst, dn;      /* port 0: dns_idx[dfirst .. dfirst+dn), K_DNS items of any port */
    bool has_ports;         /* port 0: the IP also has IP:port addresses */
};

/* A hash slot: most misses end on the tag without touching addrs[]. */
struct names_slot {
    uint32_t tag;           /* high bits of the key's hash */
    uint32_t idx;           /* addrs index + 1; 0: empty */
};

struct names_chunk;

struct names {
    struct names_vec items;
    uint64_t next_seq;
    bool sealed;

    /* interned strings: chunks own the bytes, the table finds them */
    struct names_chunk *chunks;
    const char **strs;
    size_t nstrs, strs_mask;

    /* building only */
    struct names_dump *dumps;
    size_t ndumps, capdumps;
    struct names_run *runs;
    size_t nruns, capruns;
    uint32_t *run_slot;     /* IP -> its last run (index + 1), open addressing */
    size_t run_mask;
    size_t dns_dropped;
    size_t file_records;    /* records read from files, against LIM_NAMES_RECORDS */

    /* capture_start / capture_end of native files (written back when known) */
    bool have_start, have_end;
    uint64_t span_start, span_end;

    /* sealed only */
    struct names_addr *addrs;
    size_t naddrs;
    struct names_slot *addr_slot;   /* open addressing over (ipver, ip, port) */
    size_t addr_mask;
    uint64_t seed;
    size_t *dns_idx;
    size_t ndns_idx;
};

/* Interns n bytes (no NUL among them); the result lives as long as h. "" is one constant. */
const char *names_intern(struct names *h, const char *s, size_t n);
static inline const char *names_str(struct names *h, const char *s)
{
    return names_intern(h, s, strlen(s));
}

void names_vec_push(struct names_vec *v, const struct names_item *it);
void names_vec_release(struct names_vec *v);
/* Adds the records of one successful read to h (seq assigned in order); empties v. */
void names_commit(struct names *h, struct names_vec *v);
/* SV_ELIMIT (naming the file) if adding n more file records passes LIM_NAMES_RECORDS. */
int names_check_count(struct names *h, const char *file, size_t n, struct diag *d)
    __attribute__((warn_unused_result));
/* Adds one kubectl dump taken at taken ns (takes v's records). */
/* Adds a dump (taking v's records and the n members m, malloc'd). */
void names_add_dump(struct names *h, uint64_t taken, struct names_vec *v, struct names_member *m,
                    size_t n);

/* An RFC 3339 time up to NAMES_SEC_MAX; false otherwise. */
bool names_parse_time(const char *s, uint64_t *ns);
/* Unix seconds as a JSON number (integer or fraction) up to NAMES_SEC_MAX; false otherwise. */
bool names_jv_secs(const struct jv *v, uint64_t *ns);

/* s as "s" for a message: at most 60 bytes of it, printable ASCII ('?' for others). */
#define NAMES_QUOTE_LEN 136
void names_quote(char out[NAMES_QUOTE_LEN], const char *s);

/* A JSON path for error messages: items[3].status.podIP. */
struct names_path {
    char s[192];
    size_t n;
};
void names_path_key(struct names_path *p, const char *key);     /* .key, or key at the start */
void names_path_qkey(struct names_path *p, const char *key);    /* ["key"] */
void names_path_idx(struct names_path *p, size_t i);            /* [i] */
static inline size_t names_path_mark(const struct names_path *p)
{
    return p->n;
}
static inline void names_path_back(struct names_path *p, size_t mark)
{
    p->n = mark;
    p->s[mark] = '\0';
}

/* Output with a sticky error (cf. struct cur): after a failure, calls do nothing. */
struct names_out {
    struct buf *b;
    int rc;                 /* 0, or the first buf_append error */
};
void names_out_str(struct names_out *o, const char *s);
/* Appends v as JSON with ", " and ": " separators, then frees v. */
void names_out_json(struct names_out *o, struct jv *v);

/* Sealed lookups. */
const struct names_addr *names_find(const struct names *h, uint8_t ipver, const uint8_t ip[16],
                                    uint16_t port);
/* The best identity record (not NAMES_K_DNS) of a valid at t, or NULL. */
const struct names_item *names_best(const struct names *h, const struct names_addr *a, uint64_t t);

/*
 * Per-format readers over a parsed document (root borrowed). name is used in
 * errors. Nothing is added to h on error. The fuzz targets call them directly.
 */
int names_read_native(struct names *h, const char *name, const struct jv *root, struct diag *d)
    __attribute__((warn_unused_result));
int names_read_kubeshark(struct names *h, const char *name, const struct jv *root,
                         struct diag *d) __attribute__((warn_unused_result));
int names_read_kubectl(struct names *h, const char *name, const struct jv *root,
                       const struct names_read_opts *o, struct diag *d)
    __attribute__((warn_unused_result));

/* Hashes an address key for the tables of h. */
uint64_t names_ip_hash(const struct names *h, uint8_t ipver, const uint8_t ip[16], uint16_t port);
/* Copies r into it with its strings interned (svc only for pods); seq is left 0. */
void names_fill_item(struct names *h, struct names_item *it, const struct names_rec *r);

/* names_seal calls these first: kubectl dumps (kubectl.c), then passive DNS (passive.c). */
void names_merge_dumps(struct names *h);
void names_dns_records(struct names *h);

#endif
