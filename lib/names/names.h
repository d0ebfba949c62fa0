/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: name resolution history: who was behind each IP (and IP:port)
 * at each moment, read from several sources and looked up at an entry's
 * own request time (DESIGN.md §7, docs/NAMES.md).
 *
 * A history is a set of records. Each record says that an address (an IP,
 * or an IP:port when port != 0) belonged to a pod, a service, a Kubeshark
 * "full address", or a DNS name over the half-open interval [from, to).
 * Records come from four sources, in this order of precedence:
 *
 *   NAMES_SRC_HISTORY   an explicit history: the native interval format
 *                       ("gencap-names/1") or Kubeshark's
 *                       name_resolution_history.json
 *   NAMES_SRC_KUBECTL   `kubectl get pods,services,endpoints -A -o json` dumps
 *   NAMES_SRC_DNS       DNS answers seen in the capture (passive DNS)
 *
 * Lookup (names_resolve): the IP:port records first, then the IP's; among
 * the records valid at t, the one of the highest-precedence source wins,
 * and within one source the newest (greatest `from`; then the one added
 * last). A DNS record never gives a cluster identity unless its name is a
 * cluster name (<svc>.<ns>.svc.<zone>, <host>.<svc>.<ns>.svc.<zone>); for
 * other names it gives only the endpoint's "dns" field.
 *
 * Building: names_new(), then any number of names_read_file /
 * names_read_mem / names_add / names_dns_seen calls, then names_seal(),
 * after which the history is read-only and may be shared by threads
 * (names_resolve is thread-safe on a sealed history). Strings returned
 * by lookups live as long as the history.
 */
#ifndef SV_NAMES_H
#define SV_NAMES_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct buf;
struct diag;

enum names_source {
    NAMES_SRC_HISTORY = 0,
    NAMES_SRC_KUBECTL = 1,
    NAMES_SRC_DNS = 2,
};

enum names_kind {
    NAMES_K_POD = 0,        /* name = pod name; svc = the service backing it, or "" */
    NAMES_K_SERVICE = 1,    /* name = service name */
    NAMES_K_ADDRESS = 2,    /* Kubeshark's FullAddress as is: name = "catalogue.sock-shop" */
    NAMES_K_DNS = 3,        /* name = a DNS name that answered with the IP (not a cluster name) */
};

/* "+inf" for a record's to. */
#define NAMES_OPEN UINT64_MAX

struct names_rec {
    uint8_t ipver;          /* 4 or 6 */
    uint8_t ip[16];         /* IPv4 in the first 4 bytes, the rest zero */
    uint16_t port;          /* 0: the whole IP */
    uint8_t source;         /* enum names_source */
    uint8_t kind;           /* enum names_kind */
    uint64_t from, to;      /* ns since the epoch, [from, to); from 0 = always, to NAMES_OPEN */
    const char *name;       /* never NULL */
    const char *ns;         /* namespace, "" when none */
    const char *svc;        /* pods: the backing service, "" when none */
};

/* What an endpoint resolves to at a time; every field is "" when unknown, never NULL. */
/*
 * The most bytes a name of names_who has (entries' ENT_NAME_MAX): a longer
 * one is its first bytes (whole UTF-8 characters), "~" and 16 hex digits
 * of a hash of the whole name, so that two long names stay two.
 */
#define NAMES_WHO_MAX 255u

struct names_who {
    const char *name;       /* Kubeshark's resolved name: "<svc>.<ns>" for a service or a pod
                             * backing one, "<pod>.<ns>" for another pod, a FullAddress as
                             * read; "" otherwise */
    const char *ns;         /* namespace */
    const char *pod;        /* pod name */
    const char *svc;        /* service name */
    const char *dns;        /* a DNS name seen answering with this IP at or before t */
};

struct names;

struct names *names_new(void);
void names_free(struct names *h);

/* Options of the readers. */
struct names_read_opts {
    uint64_t taken_ns;      /* when a kubectl dump without its own "takenAt" was taken; 0: none
                             * (such a dump is then an error) */
    /* NULL, or set (by a signal handler) to stop: a read waiting on a silent pipe or FIFO
     * then fails with SV_EINTR ("PATH: interrupted"), and so does store_names_import */
    const volatile sig_atomic_t *cancel;
};

/*
 * Reads a history file in any of the supported formats (told apart by their
 * content: a "format" key, Kubeshark's numeric outer keys, kubectl's "kind":
 * "List" / items) and adds its records. Errors name the file and say where
 * (line and column for JSON syntax, the key or item for wrong content);
 * nothing is added then. Returns 0 or a negative SV_E*.
 */
int names_read_file(struct names *h, const char *path, const struct names_read_opts *o,
                    struct diag *d) __attribute__((warn_unused_result));
/* The same over n bytes of text; name is used in errors. Both: SV_EINVAL once sealed. */
int names_read_mem(struct names *h, const char *name, const char *text, size_t n,
                   const struct names_read_opts *o, struct diag *d)
    __attribute__((warn_unused_result));

/*
 * Adds one record (strings copied). Ignored on a sealed history, and for a
 * record that cannot be valid: ipver not 4 or 6, kind or source out of
 * range, from >= to, or an empty name.
 */
void names_add(struct names *h, const struct names_rec *r);

/*
 * Passive DNS: the capture showed an answer at time t saying that qname
 * (n bytes, without a trailing dot) has address ip. names_seal turns the
 * sightings of each IP into records: a sighting's record runs from its
 * time until the IP's next sighting of another name; the IP's first
 * sighting also covers the time before it.
 */
void names_dns_seen(struct names *h, uint8_t ipver, const uint8_t ip[16], const char *qname,
                    size_t n, uint64_t t);
/*
 * Sightings that started a new run of (IP, name) after LIM_NAMES_DNS_RUNS
 * runs were kept, and were dropped. (Names are lower-cased; names longer
 * than 255 bytes or with bytes outside printable ASCII are ignored, not
 * counted.)
 */
size_t names_dns_dropped(const struct names *h);
/* Counts n sightings dropped before they reached h (ingest's LIM_NAMES_DNS_SEEN). */
void names_dns_dropped_add(struct names *h, size_t n);

/* Sorts the records and builds the lookup; the history is read-only afterwards. */
void names_seal(struct names *h);

/*
 * Resolves ip:port at time t (ns) by the rules of docs/NAMES.md, "Lookup".
 * Needs a sealed history (on an unsealed one every field is ""). Takes no
 * lock and allocates nothing.
 */
void names_resolve(const struct names *h, uint8_t ipver, const uint8_t ip[16], uint16_t port,
                   uint64_t t, struct names_who *out);

/*
 * Addresses as the formats write them: "10.1.1.3", "10.1.1.3:9100",
 * "fd00::2", "[fd00::2]:9100". names_parse_addr gives port 0 for a plain
 * IP and is false for anything else (a port must be 1-65535).
 */
bool names_parse_addr(const char *s, uint8_t *ipver, uint8_t ip[16], uint16_t *port);
#define NAMES_ADDR_TEXT_LEN 56
void names_addr_text(char out[NAMES_ADDR_TEXT_LEN], uint8_t ipver, const uint8_t ip[16],
                     uint16_t port);
/* "history", "kubectl", "dns"; "pod", "service", "address", "dns" ("?" past the enums). */
const char *names_source_name(uint8_t source);
const char *names_kind_name(uint8_t kind);

/*
 * The records, sorted by (ipver, ip, port, from, source) once sealed. Before
 * names_seal: only the records of names_add and of the history formats
 * (kubectl dumps and passive DNS become records at seal). names_at gives
 * NULL past the end.
 */
size_t names_count(const struct names *h);
const struct names_rec *names_at(const struct names *h, size_t i);

/*
 * Writers. names_write_native: the native interval format (docs/NAMES.md),
 * every record with its source, deterministic for a given history.
 * names_write_kubeshark: Kubeshark's name_resolution_history.json, one full
 * snapshot at every second at which the resolution of some address changes.
 * Both need a sealed history (SV_EINVAL otherwise) and append to out; they
 * return 0, or SV_ENOMEM or SV_ELIMIT (out's limit) when out cannot grow.
 */
int names_write_native(const struct names *h, struct buf *out) __attribute__((warn_unused_result));
int names_write_kubeshark(const struct names *h, struct buf *out)
    __attribute__((warn_unused_result));

#endif
