/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: Kafka dissector: request headers (v0-v2), topics of Produce,
 * Fetch and Metadata requests, responses matched by correlation id.
 *
 * Spec: https://kafka.apache.org/protocol (the protocol guide) and the
 * message definitions (clients/src/main/resources/common/message/ in Apache Kafka):
 * every message is a big-endian int32 size and that many bytes. A request
 * header is api key (int16), api version (int16), correlation id (int32),
 * client id (nullable int16 string; absent in header v0, used only by
 * ControlledShutdown v0), then in header v2 (the api's "flexible" versions)
 * tagged fields. A response header is the correlation id (+ tagged fields).
 *
 * Per direction:
 *     HDR --size+header (the first KAFKA_PREFIX bytes)--> BODY --size bytes--> HDR
 *     gap outside a body, bad size --> RESYNC: look for a plausible header
 *     (a request with the client id seen before; a response whose
 *     correlation id is pending), or give up after KAFKA_RESYNC_MAX bytes.
 *     A lost response framing marks the requests waiting (gap, malformed);
 *     a request's bad size is an entry of its own, malformed.
 *
 * The body past the prefix is consumed as it comes, never buffered. Topics
 * are read from the prefix only (Produce v0-v12, Fetch v0-v12, Metadata
 * v0-v13, at most KAFKA_TOPICS_MAX; more, or a list that runs past the
 * prefix, as a Produce's record sets may, sets truncated); other versions
 * have no "topics" key. Requests wait for their response in a table of at most
 * KAFKA_PEND_MAX (beyond, the oldest is emitted with no_response + cap);
 * Produce with acks 0 has no response and is emitted at once. A response
 * whose request is unknown is an entry with only a response (no_request).
 *     request:  {"apiKey", "apiKeyName", "apiVersion", "correlationId", "clientId", "topics"}
 *     response: {"correlationId", "size": the size field (bytes after it)}
 * Sizes include the 4-byte size field. Roles: port 9092 names the server,
 * else the side whose first message reads as a request header is the client.
 * Not handled: a request cut by the capture before its first KAFKA_PREFIX
 * bytes (or its end) came gives no entry; SASL v0 tokens sent raw after
 * SaslHandshake v0 read as bogus requests.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "base/cur.h"
#include "base/hash.h"
#include "dissect/dissect.h"

#define KAFKA_MSG_MAX       (64u << 20)     /* declared size of a message */
#define KAFKA_PREFIX        (64u * 1024)    /* bytes of a request read at once (header, topics) */
#define KAFKA_PEND_MAX      1024u           /* requests waiting for a response */
#define KAFKA_TOPICS_MAX    64u             /* topic names listed per request */
#define KAFKA_RESYNC_MAX    (4u << 20)      /* bytes searched for a header after a gap */
#define KAFKA_CLIENT_ID_MAX 255u            /* client id kept for resynchronisation */
#define KAFKA_REQ_MIN       8u              /* api key, version, correlation id */

enum kafka_mode { KM_HDR = 0, KM_BODY, KM_RESYNC };

struct kafka_dir {
    uint8_t mode;                   /* KM_* */
    bool standalone;                /* response: e is a response-only entry */
    bool has_resp;                  /* request: a response will come */
    int32_t corr;                   /* request: its correlation id */
    uint32_t body_left;             /* KM_BODY: bytes left of the message */
    uint64_t skipped;               /* KM_RESYNC: bytes skipped */
    struct ent *e;                  /* KM_BODY: the entry the bytes belong to (may be NULL) */
};

struct kafka_pend {
    struct ent *e;
    int32_t corr;
};

/* How many pending requests have correlation id corr (n 0: a free slot). */
struct kafka_ids {
    int32_t corr;
    uint32_t n;
};

struct kafka {
    struct kafka_dir d[2];
    int client;                     /* -1 until known */
    bool dead;
    struct kafka_pend *pend;        /* oldest first */
    uint32_t pcap, plen;
    struct kafka_ids *ids;          /* the pending correlation ids: 2 * pcap slots */
    uint16_t cid_len;
    bool has_cid;
    char cid[KAFKA_CLIENT_ID_MAX];  /* the first client id seen (resynchronisation) */
};

static const uint16_t kafka_ports[] = { 9092, 0 };

/* API names by key (https://kafka.apache.org/protocol#protocol_api_keys). */
static const char *const kafka_api_names[] = {
    "Produce", "Fetch", "ListOffsets", "Metadata", "LeaderAndIsr", "StopReplica",
    "UpdateMetadata", "ControlledShutdown", "OffsetCommit", "OffsetFetch", "FindCoordinator",
    "JoinGroup", "Heartbeat", "LeaveGroup", "SyncGroup", "DescribeGroups", "ListGroups",
    "SaslHandshake", "ApiVersions", "CreateTopics", "DeleteTopics", "DeleteRecords",
    "InitProducerId", "OffsetForLeaderEpoch", "AddPartitionsToTxn", "AddOffsetsToTxn",
    "EndTxn", "WriteTxnMarkers", "TxnOffsetCommit", "DescribeAcls", "CreateAcls",
    "DeleteAcls", "DescribeConfigs", "AlterConfigs", "AlterReplicaLogDirs",
    "DescribeLogDirs", "SaslAuthenticate", "CreatePartitions", "CreateDelegationToken",
    "RenewDelegationToken", "ExpireDelegationToken", "DescribeDelegationToken",
    "DeleteGroups", "ElectLeaders", "IncrementalAlterConfigs",
    "AlterPartitionReassignments", "ListPartitionReassignments", "OffsetDelete",
    "DescribeClientQuotas", "AlterClientQuotas", "DescribeUserScramCredentials",
    "AlterUserScramCredentials", "Vote", "BeginQuorumEpoch", "EndQuorumEpoch",
    "DescribeQuorum", "AlterPartition", "UpdateFeatures", "Envelope", "FetchSnapshot",
    "DescribeCluster", "DescribeProducers", "BrokerRegistration", "BrokerHeartbeat",
    "UnregisterBroker", "DescribeTransactions", "ListTransactions", "AllocateProducerIds",
    "ConsumerGroupHeartbeat", "ConsumerGroupDescribe", "ControllerRegistration",
    "GetTelemetrySubscriptions", "PushTelemetry", "AssignReplicasToDirs",
    "ListClientMetricsResources", "DescribeTopicPartitions", "ShareGroupHeartbeat",
    "ShareGroupDescribe", "ShareFetch", "ShareAcknowledge", "AddRaftVoter",
    "RemoveRaftVoter", "UpdateRaftVoter", "InitializeShareGroupState",
    "ReadShareGroupState", "WriteShareGroupState", "DeleteShareGroupState",
    "ReadShareGroupStateSummary",
};
#define KAFKA_API_COUNT (sizeof kafka_api_names / sizeof kafka_api_names[0])

/*
 * First flexible version (request header v2) per api key, from the
 * "flexibleVersions" of each request definition; -1: none. Keys past the
 * table were all flexible from version 0.
 */
static const int8_t kafka_flex[] = {
    9, 12, 6, 9, 4, 2, 6, 3, 8, 6,             /* 0-9 */
    3, 6, 4, 4, 4, 5, 3, -1, 3, 5,             /* 10-19 */
    4, 2, 2, 4, 3, 3, 3, 1, 3, 2,              /* 20-29 */
    2, 2, 4, 2, 2, 2, 2, 2, 2, 2,              /* 30-39 */
    2, 2, 2, 2, 1, 0, 0, -1, 1, 1,             /* 40-49 */
    0, 0, 0, 1, 1, 0, 0, 0, 0, 0,              /* 50-59 */
};

static bool kafka_flexible(int16_t key, int16_t ver)
{
    if (key < 0)
        return false;
    if ((size_t)key >= sizeof kafka_flex)
        return true;
    return kafka_flex[key] >= 0 && ver >= kafka_flex[key];
}

/* ---------------------------------------------------------------- primitive readers */

static uint32_t k_uvarint(struct cur *c)
{
    uint32_t v = 0;

    for (unsigned i = 0; i < 5; i++) {
        uint8_t b = cur_u8(c);

        v |= (uint32_t)(b & 0x7f) << (7 * i);
        if (!(b & 0x80))
            return v;
    }
    c->bad = true;
    c->p = c->end;
    return 0;
}

/*
 * A nullable length or count: compact (flex: an unsigned varint, less one)
 * or a signed INT32 (wide) or INT16. -1 for null, and on a fault (c->bad).
 */
static long k_len(struct cur *c, bool flex, bool wide)
{
    long len;

    if (flex)
        len = (long)k_uvarint(c) - 1;
    else if (wide)
        len = (int32_t)cur_be32(c);
    else
        len = (int16_t)cur_be16(c);
    if (len < -1) {
        c->bad = true;
        c->p = c->end;
    }
    return c->bad ? -1 : len;
}

/* A (nullable) string; *s is NULL for null. */
static void k_str(struct cur *c, bool flex, const uint8_t **s, size_t *n)
{
    long len = k_len(c, flex, false);

    *s = NULL;
    *n = 0;
    if (len == -1)
        return;
    if (!cur_need(c, (size_t)len)) {
        c->bad = true;
        c->p = c->end;
        return;
    }
    *s = c->p;
    *n = (size_t)len;
    c->p += len;
}

/* An array's element count; -1 for null. */
static long k_count(struct cur *c, bool flex)
{
    return k_len(c, flex, true);
}

/* Skips a (nullable) bytes field. */
static void k_skip_bytes(struct cur *c, bool flex)
{
    long len = k_len(c, flex, true);

    if (len > 0)
        cur_skip(c, (size_t)len);
}

static void k_skip_tags(struct cur *c)
{
    uint32_t n = k_uvarint(c);

    for (uint32_t i = 0; i < n && !c->bad; i++) {
        (void)k_uvarint(c);
        cur_skip(c, k_uvarint(c));
    }
}

/* ---------------------------------------------------------------- topics */

struct ktopics {
    size_t n;
    long want, seen;                /* topics the request declares, and read (nameless too) */
    bool cut;                       /* more than KAFKA_TOPICS_MAX, or past the prefix */
    bool null;                      /* Metadata: null array (all topics) */
    const uint8_t *s[KAFKA_TOPICS_MAX];
    size_t len[KAFKA_TOPICS_MAX];
};

static void kt_add(struct ktopics *t, const uint8_t *s, size_t n)
{
    t->seen++;
    if (!s)
        return;
    if (t->n == KAFKA_TOPICS_MAX) {
        t->cut = true;
        return;
    }
    t->s[t->n] = s;
    t->len[t->n] = n;
    t->n++;
}

static void kafka_produce(struct cur *c, int16_t ver, bool flex, struct ktopics *t, int16_t *acks)
{
    const uint8_t *s;
    size_t n;
    long nt;
    int16_t ack;

    if (ver >= 3)
        k_str(c, flex, &s, &n);             /* transactional id */
    ack = (int16_t)cur_be16(c);
    if (!c->bad)
        *acks = ack;
    cur_skip(c, 4);                         /* timeout */
    nt = t->want = k_count(c, flex);
    for (long i = 0; i < nt && !c->bad; i++) {
        long np;

        k_str(c, flex, &s, &n);
        if (c->bad)
            break;
        kt_add(t, s, n);
        np = k_count(c, flex);
        for (long j = 0; j < np && !c->bad; j++) {
            cur_skip(c, 4);                 /* partition index */
            k_skip_bytes(c, flex);          /* records */
            if (flex)
                k_skip_tags(c);
        }
        if (flex)
            k_skip_tags(c);
    }
}

static void kafka_fetch(struct cur *c, int16_t ver, bool flex, struct ktopics *t)
{
    size_t part = ver >= 12 ? 32 : ver >= 9 ? 28 : ver >= 5 ? 24 : 16;
    const uint8_t *s;
    size_t n;
    long nt;

    cur_skip(c, 12);                        /* replica id, max wait, min bytes */
    if (ver >= 3)
        cur_skip(c, 4);                     /* max bytes */
    if (ver >= 4)
        cur_skip(c, 1);                     /* isolation level */
    if (ver >= 7)
        cur_skip(c, 8);                     /* session id, epoch */
    nt = t->want = k_count(c, flex);
    for (long i = 0; i < nt && !c->bad; i++) {
        long np;

        k_str(c, flex, &s, &n);
        if (c->bad)
            break;
        kt_add(t, s, n);
        np = k_count(c, flex);
        for (long j = 0; j < np && !c->bad; j++) {
            cur_skip(c, part);
            if (flex)
                k_skip_tags(c);
        }
        if (flex)
            k_skip_tags(c);
    }
}

static void kafka_metadata(struct cur *c, int16_t ver, bool flex, struct ktopics *t)
{
    const uint8_t *s;
    size_t n;
    long nt = t->want = k_count(c, flex);

    if (nt < 0 && !c->bad)
        t->null = true;
    for (long i = 0; i < nt && !c->bad; i++) {
        if (ver >= 10)
            cur_skip(c, 16);                /* topic id */
        k_str(c, flex, &s, &n);
        if (c->bad)
            break;
        kt_add(t, s, n);
        if (flex)
            k_skip_tags(c);
    }
}

/* ---------------------------------------------------------------- entries and the table */

static void kafka_emit(struct dsx *x, struct ent *e, uint32_t anomalies)
{
    if (!e)
        return;
    ent_anomaly(e, anomalies);
    dsx_emit(x, e);
}

/*
 * The set of pending correlation ids (a count per id, open addressing with
 * linear probing, twice as many slots as pending requests can be): the
 * resynchronisation asks it at every byte it skips, so a hostile stream with
 * a full table costs a hash per byte, not a scan of 1,024 requests. The
 * hash is keyed by the state's address: traffic cannot aim its ids at one
 * probe run, and nothing written depends on it.
 */
static uint32_t kafka_ids_home(const struct kafka *k, int32_t corr)
{
    uint64_t h = hash_mix((uint64_t)(uint32_t)corr ^ (uint64_t)(uintptr_t)k);

    return (uint32_t)h & (2 * k->pcap - 1);
}

static uint32_t kafka_ids_slot(const struct kafka *k, int32_t corr)
{
    uint32_t i = kafka_ids_home(k, corr);

    while (k->ids[i].n > 0 && k->ids[i].corr != corr)
        i = (i + 1) & (2 * k->pcap - 1);
    return i;
}

static bool kafka_ids_has(const struct kafka *k, int32_t corr)
{
    return k->plen > 0 && k->ids[kafka_ids_slot(k, corr)].n > 0;
}

static void kafka_ids_add(struct kafka *k, int32_t corr)
{
    uint32_t i = kafka_ids_slot(k, corr);

    k->ids[i].corr = corr;
    k->ids[i].n++;
}

static void kafka_ids_del(struct kafka *k, int32_t corr)
{
    uint32_t mask = 2 * k->pcap - 1, i = kafka_ids_slot(k, corr), j = i;

    if (--k->ids[i].n > 0)
        return;
    /* backward-shift deletion keeps every probe run unbroken */
    for (;;) {
        uint32_t h;

        j = (j + 1) & mask;
        if (k->ids[j].n == 0)
            break;
        h = kafka_ids_home(k, k->ids[j].corr);
        if (hash_shift_moves(h, i, j)) {
            k->ids[i] = k->ids[j];
            k->ids[j].n = 0;
            i = j;
        }
    }
}

/* Grows the table of pending requests (and their id set) to ncap; false if out of memory. */
static bool kafka_pend_grow(struct kafka *k, uint32_t ncap)
{
    struct kafka_pend *np = realloc(k->pend, ncap * sizeof *np);
    struct kafka_ids *ids;

    if (!np)
        return false;
    k->pend = np;
    ids = calloc(2 * (size_t)ncap, sizeof *ids);
    if (!ids)
        return false;
    free(k->ids);
    k->ids = ids;
    k->pcap = ncap;
    for (uint32_t i = 0; i < k->plen; i++)
        kafka_ids_add(k, k->pend[i].corr);
    return true;
}

static struct ent *kafka_pend_take(struct kafka *k, uint32_t i)
{
    struct ent *e = k->pend[i].e;

    kafka_ids_del(k, k->pend[i].corr);
    memmove(k->pend + i, k->pend + i + 1, (k->plen - i - 1) * sizeof *k->pend);
    k->plen--;
    return e;
}

static void kafka_pend_add(struct dsx *x, struct kafka *k, struct ent *e, int32_t corr)
{
    if (k->plen == k->pcap && k->pcap < KAFKA_PEND_MAX)
        (void)kafka_pend_grow(k, k->pcap ? k->pcap * 2 : 16);
    if (k->pcap == 0) {
        kafka_emit(x, e, ENT_A_NO_RESPONSE | ENT_A_CAP);
        return;
    }
    if (k->plen == k->pcap)
        kafka_emit(x, kafka_pend_take(k, 0), ENT_A_NO_RESPONSE | ENT_A_CAP);
    k->pend[k->plen].e = e;
    k->pend[k->plen].corr = corr;
    k->plen++;
    kafka_ids_add(k, corr);
}

/* The index of the oldest request with correlation id corr, or -1. */
static long kafka_pend_find(const struct kafka *k, int32_t corr)
{
    if (!kafka_ids_has(k, corr))
        return -1;
    for (uint32_t i = 0; i < k->plen; i++)
        if (k->pend[i].corr == corr)
            return (long)i;
    return -1;
}

static void kafka_mark(struct dsx *x, struct kafka *k, int dir, struct ent *e, size_t off,
                       size_t len)
{
    if (!e || len == 0)
        return;
    if (dir == k->client)
        dsx_mark_req(x, e, dir, off, len);
    else
        dsx_mark_resp(x, e, dir, off, len);
}

/* The message being read in dir is complete (anomalies: it was cut). */
static void kafka_msg_done(struct dsx *x, struct kafka *k, int dir, uint32_t anomalies)
{
    struct kafka_dir *kd = &k->d[dir];
    struct ent *e = kd->e;

    kd->e = NULL;
    kd->mode = KM_HDR;
    if (dir != k->client || !kd->has_resp) {
        kafka_emit(x, e, anomalies);
        return;
    }
    if (e)
        ent_anomaly(e, anomalies);
    kafka_pend_add(x, k, e, kd->corr);
}

/* ---------------------------------------------------------------- requests */

/* Whether h (n bytes of a request after the size field) is a plausible header. */
static bool kafka_req_plausible(const uint8_t *h, size_t n, uint32_t size)
{
    int16_t key, ver, cl;

    if (n < 4)
        return true;
    key = (int16_t)ld_be16(h);
    ver = (int16_t)ld_be16(h + 2);
    if (key < 0 || (size_t)key >= KAFKA_API_COUNT || ver < 0 || ver > 30)
        return false;
    if (n < 10 || size < 10 || (key == 7 && ver == 0))
        return true;
    cl = (int16_t)ld_be16(h + 8);
    return cl >= -1 && (cl < 0 || (uint32_t)cl <= size - 10);
}

/*
 * Reads a request whose first `have` bytes (size field included; all of it,
 * or KAFKA_PREFIX) are at p, and starts its entry.
 */
static void kafka_request(struct dsx *x, struct kafka *k, int dir, const uint8_t *p, size_t have,
                          uint32_t size)
{
    struct kafka_dir *kd = &k->d[dir];
    struct ktopics t;
    struct ent *e;
    struct cur c;
    int16_t key, ver, acks = -1;
    int32_t corr;
    const uint8_t *cid = NULL;
    size_t cidn = 0;
    bool flex, whole = have == (size_t)size + 4, topics = false;

    cur_init(&c, p + 4, have - 4);
    key = (int16_t)cur_be16(&c);
    ver = (int16_t)cur_be16(&c);
    corr = (int32_t)cur_be32(&c);
    flex = kafka_flexible(key, ver);
    if (!(key == 7 && ver == 0))
        k_str(&c, false, &cid, &cidn);      /* the client id is never compact */
    if (flex)
        k_skip_tags(&c);
    e = dsx_entry(x, ENT_KAFKA, k->client);
    kd->e = e;
    kd->corr = corr;
    kd->has_resp = true;
    if (!e)
        return;
    if (c.bad || key < 0 || ver < 0)
        ent_anomaly(e, ENT_A_MALFORMED);
    if (cid && !k->has_cid && cidn <= KAFKA_CLIENT_ID_MAX) {
        memcpy(k->cid, cid, cidn);
        k->cid_len = (uint16_t)cidn;
        k->has_cid = true;
    }
    memset(&t, 0, sizeof t);
    if (!c.bad) {
        if (key == 0 && ver <= 12) {
            kafka_produce(&c, ver, flex, &t, &acks);
            topics = true;
            if (acks == 0)
                kd->has_resp = false;
        } else if (key == 1 && ver <= 12) {
            kafka_fetch(&c, ver, flex, &t);
            topics = true;
        } else if (key == 3 && ver <= 13) {
            kafka_metadata(&c, ver, flex, &t);
            topics = true;
        }
        if (topics && c.bad && whole)
            ent_anomaly(e, ENT_A_MALFORMED);
        /* a list that runs past the prefix read is cut, not wrong */
        if (topics && c.bad && !whole && t.seen < t.want)
            t.cut = true;
    }
    ent_section(e, ENT_REQ);
    ent_i64(e, "apiKey", key);
    ent_cstr(e, "apiKeyName",
             key >= 0 && (size_t)key < KAFKA_API_COUNT ? kafka_api_names[key] : "Unknown");
    ent_i64(e, "apiVersion", ver);
    ent_i64(e, "correlationId", corr);
    ent_str(e, "clientId", cid ? (const char *)cid : "", cidn);
    if (topics && !t.null) {
        ent_arr_begin(e, "topics");
        for (size_t i = 0; i < t.n; i++)
            ent_str(e, NULL, t.s[i], t.len[i]);
        ent_arr_end(e);
        if (t.cut)
            ent_anomaly(e, ENT_A_TRUNCATED);
    }
}

/* Starts the response whose header (size field, correlation id) is at p. */
static void kafka_response(struct dsx *x, struct kafka *k, int dir, const uint8_t *p,
                           uint32_t size)
{
    struct kafka_dir *kd = &k->d[dir];
    int32_t corr = (int32_t)ld_be32(p + 4);
    long i = kafka_pend_find(k, corr);
    struct ent *e;

    if (i >= 0) {
        e = kafka_pend_take(k, (uint32_t)i);
        kd->standalone = false;
    } else {
        e = dsx_entry(x, ENT_KAFKA, k->client);
        kd->standalone = true;
        if (e)
            ent_anomaly(e, ENT_A_NO_REQUEST);
    }
    kd->e = e;
    kd->has_resp = false;
    if (!e)
        return;
    ent_section(e, ENT_RESP);
    ent_i64(e, "correlationId", corr);
    ent_u64(e, "size", size);
}

/* ---------------------------------------------------------------- parsing */

/* Emits everything pending (stream end, abandon). */
static void kafka_flush(struct dsx *x, struct kafka *k, uint32_t cut)
{
    for (int d = 0; d < 2; d++)
        if (d != k->client && k->d[d].mode == KM_BODY)
            kafka_msg_done(x, k, d, cut);
    while (k->plen > 0)
        kafka_emit(x, kafka_pend_take(k, 0), ENT_A_NO_RESPONSE);
    for (int d = 0; d < 2; d++)
        if (d == k->client && k->d[d].mode == KM_BODY) {
            k->d[d].has_resp = false;
            kafka_msg_done(x, k, d, cut | ENT_A_NO_RESPONSE);
        }
}

static void kafka_give_up(struct dsx *x, struct kafka *k)
{
    kafka_flush(x, k, ENT_A_MALFORMED);
    k->dead = true;
    dsx_abandon(x);
}

/*
 * KM_RESYNC: whether a message of dir can start at p (n bytes). *need is
 * set when more bytes are needed to tell.
 */
static bool kafka_resync_at(const struct kafka *k, int dir, const uint8_t *p, size_t n,
                            size_t *need)
{
    uint32_t size;
    int16_t key, ver, cl;

    *need = 0;
    if (n < 8) {
        *need = 8;
        return false;
    }
    size = ld_be32(p);
    if (size > KAFKA_MSG_MAX)
        return false;
    if (dir != k->client)
        return size >= 4 && kafka_pend_find(k, (int32_t)ld_be32(p + 4)) >= 0;
    if (size < 10)
        return false;
    if (n < 14) {
        *need = 14;
        return false;
    }
    key = (int16_t)ld_be16(p + 4);
    ver = (int16_t)ld_be16(p + 6);
    cl = (int16_t)ld_be16(p + 12);
    if (key < 0 || (size_t)key >= KAFKA_API_COUNT || ver < 0 || ver > 30 || cl < -1 ||
        (cl >= 0 && (uint32_t)cl > size - 10))
        return false;
    if (!k->has_cid)
        return cl <= (int16_t)KAFKA_CLIENT_ID_MAX;
    if (cl != (int16_t)k->cid_len)
        return false;
    if (n < 14 + (size_t)cl) {
        *need = 14 + (size_t)cl;
        return false;
    }
    return memcmp(p + 14, k->cid, k->cid_len) == 0;
}

static void kafka_roles(struct kafka *k, struct dsx *x, int dir, const uint8_t *p, size_t n)
{
    bool server;

    if (dsx_port(x, dir) == 9092 && dsx_port(x, !dir) != 9092)
        server = true;
    else if (dsx_port(x, !dir) == 9092 && dsx_port(x, dir) != 9092)
        server = false;
    else
        server = !kafka_req_plausible(p + 4, n - 4, ld_be32(p));
    k->client = server ? !dir : dir;
}

/*
 * The framing of dir is lost (anomaly: how): the requests waiting may have
 * lost their responses in it; a plausible header is looked for.
 */
static void kafka_lost(struct kafka *k, int dir, uint32_t anomaly)
{
    if (dir != k->client)
        for (uint32_t i = 0; i < k->plen; i++)
            if (k->pend[i].e)
                ent_anomaly(k->pend[i].e, anomaly);
    k->d[dir].mode = KM_RESYNC;
    k->d[dir].skipped = 0;
}

/*
 * A size field at off that no message can have. A response's marks the
 * requests waiting; a request's is an entry of its own (its header cannot
 * be trusted, so the request section stays empty), both malformed.
 */
static void kafka_bad_size(struct dsx *x, struct kafka *k, int dir, size_t off)
{
    if (dir == k->client) {
        struct ent *e = dsx_entry(x, ENT_KAFKA, k->client);

        if (e) {
            ent_section(e, ENT_REQ);
            kafka_mark(x, k, dir, e, off, 4);
            kafka_emit(x, e, ENT_A_MALFORMED | ENT_A_NO_RESPONSE);
        }
    }
    kafka_lost(k, dir, ENT_A_MALFORMED);
}

static size_t kafka_parse(void *st, struct dsx *x, int dir, const uint8_t *p, size_t n)
{
    struct kafka *k = st;
    struct kafka_dir *kd = &k->d[dir];
    size_t pos = 0;

    if (k->dead)
        return n;
    while (pos < n) {
        size_t avail = n - pos, want, need;
        uint32_t size;

        switch (kd->mode) {
        case KM_BODY:
            want = kd->body_left < avail ? kd->body_left : avail;
            kafka_mark(x, k, dir, kd->e, pos, want);
            pos += want;
            kd->body_left -= (uint32_t)want;
            if (kd->body_left == 0)
                kafka_msg_done(x, k, dir, 0);
            continue;
        case KM_RESYNC:
            if (kafka_resync_at(k, dir, p + pos, avail, &need)) {
                kd->mode = KM_HDR;
                continue;
            }
            if (need) {
                dsx_need(x, dir, need);
                goto out;
            }
            pos++;
            if (++kd->skipped > KAFKA_RESYNC_MAX) {
                kafka_give_up(x, k);
                return n;
            }
            continue;
        case KM_HDR:
        default:
            break;
        }
        if (avail < 8) {
            dsx_need(x, dir, 8);
            goto out;
        }
        size = ld_be32(p + pos);
        if (k->client < 0) {
            if (avail < 14 && avail < (size_t)size + 4) {
                dsx_need(x, dir, (size_t)size + 4 < 14 ? (size_t)size + 4 : 14);
                goto out;
            }
            kafka_roles(k, x, dir, p + pos, avail);
        }
        if (size > KAFKA_MSG_MAX || size < (dir == k->client ? KAFKA_REQ_MIN : 4u)) {
            kafka_bad_size(x, k, dir, pos);
            continue;
        }
        if (dir == k->client) {
            want = (size_t)size + 4 < KAFKA_PREFIX ? (size_t)size + 4 : KAFKA_PREFIX;
            if (avail < want) {
                dsx_need(x, dir, want);
                goto out;
            }
            kafka_request(x, k, dir, p + pos, want, size);
        } else {
            want = 8;
            kafka_response(x, k, dir, p + pos, size);
        }
        kafka_mark(x, k, dir, kd->e, pos, want);
        pos += want;
        kd->body_left = size + 4 - (uint32_t)want;
        kd->mode = KM_BODY;
        if (kd->body_left == 0)
            kafka_msg_done(x, k, dir, 0);
    }
out:
    return pos;
}

static void kafka_gap(void *st, struct dsx *x, int dir, uint64_t n)
{
    struct kafka *k = st;
    struct kafka_dir *kd = &k->d[dir];

    (void)x;
    if (k->dead)
        return;
    if (k->client < 0)
        k->client = 0;
    if (kd->mode == KM_BODY && n <= kd->body_left) {
        kd->body_left -= (uint32_t)n;
        if (kd->e)
            ent_anomaly(kd->e, ENT_A_GAP);
        if (kd->body_left == 0)
            kafka_msg_done(x, k, dir, 0);
        return;
    }
    if (kd->mode == KM_BODY)
        kafka_msg_done(x, k, dir, ENT_A_GAP);
    kafka_lost(k, dir, ENT_A_GAP);
}

static void kafka_end(void *st, struct dsx *x, int dir)
{
    struct kafka *k = st;

    if (dir >= 0 || k->dead)
        return;
    kafka_flush(x, k, ENT_A_TRUNCATED);
}

static void kafka_init(void *st, struct dsx *x, const void *hint)
{
    struct kafka *k = st;

    (void)x;
    (void)hint;
    k->client = -1;
}

static void kafka_fini(void *st)
{
    struct kafka *k = st;

    for (int d = 0; d < 2; d++)
        if (k->d[d].mode == KM_BODY)
            ent_free(k->d[d].e);
    for (uint32_t i = 0; i < k->plen; i++)
        ent_free(k->pend[i].e);
    free(k->pend);
    free(k->ids);
    k->pend = NULL;
    k->ids = NULL;
    k->plen = k->pcap = 0;
}

/* ---------------------------------------------------------------- detection */

static enum dsx_bid kafka_bid(const uint8_t *p, size_t n, int dir, bool dgram)
{
    uint32_t size;
    int16_t key, ver, cl;

    (void)dir;
    if (dgram)
        return DSX_NO;
    if (n < 14)
        return DSX_MORE;
    size = ld_be32(p);
    key = (int16_t)ld_be16(p + 4);
    ver = (int16_t)ld_be16(p + 6);
    cl = (int16_t)ld_be16(p + 12);
    if (size < 10 || size > KAFKA_MSG_MAX || key < 0 || key > 74 || ver < 0 || ver > 20)
        return DSX_NO;
    if (cl < -1 || (cl >= 0 && (uint32_t)cl > size - 10) || cl > 1024)
        return DSX_NO;
    for (size_t i = 0; cl > 0 && i < (size_t)cl && 14 + i < n; i++)
        if (p[14 + i] < 0x20 || p[14 + i] >= 0x7f)
            return DSX_NO;
    return DSX_WEAK;
}

const struct dsx_ops dsx_kafka = {
    .name = "kafka",
    .l4 = DSX_TCP,
    .ports = kafka_ports,
    .state_size = sizeof(struct kafka),
    .bid = kafka_bid,
    .init = kafka_init,
    .parse = kafka_parse,
    .gap = kafka_gap,
    .end = kafka_end,
    .fini = kafka_fini,
};
