/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary: unit tests of the name resolution history (lib/names): the
 * native format (gencap's sample, round trips, errors), Kubeshark's history
 * (unordered snapshots, sub-second lookups, skipped keys, the writer's
 * exact output), kubectl dumps (the sock-shop fixtures, hostNetwork pods,
 * an IP reused between dumps), passive DNS, precedence, and lookup rules
 * (IP:port before IP, the IP fallback, overlaps, half-open intervals).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/diag.h"
#include "base/timefmt.h"
#include "names/names.h"
#include "names/names_int.h"
#include "streamvault.h"
#include "t.h"

#define SEC 1000000000ull
#define MS 1000000ull

static uint64_t T(const char *s)
{
    uint64_t ns = 0;

    if (timefmt_parse(s, &ns) < 0) {
        printf("# bad time in test: %s\n", s);
        abort();
    }
    return ns;
}

/* Resolves "ip" or "ip:port" text at t. */
static struct names_who who(const struct names *h, const char *addr, uint64_t t)
{
    struct names_who w;
    uint8_t ipver, ip[16];
    uint16_t port;

    if (!names_parse_addr(addr, &ipver, ip, &port)) {
        printf("# bad address in test: %s\n", addr);
        abort();
    }
    names_resolve(h, ipver, ip, port, t, &w);
    return w;
}

static const char *name_at(const struct names *h, const char *addr, uint64_t t)
{
    return who(h, addr, t).name;
}

static int read_text(struct names *h, const char *text, struct diag *d)
{
    diag_clear(d);
    return names_read_mem(h, "h.json", text, strlen(text), NULL, d);
}

/* The error text of reading text into a fresh history; SV_OK gives "". */
static const char *err_of(const char *text, int want_rc)
{
    static struct diag d;
    struct names *h = names_new();
    int rc = read_text(h, text, &d);

    if (rc != want_rc)
        printf("# rc %d, expected %d (%s)\n", rc, want_rc, d.msg);
    if (rc == 0)
        d.msg[0] = '\0';
    else
        T_EQ(names_count(h), 0);       /* nothing added on error */
    names_free(h);
    return d.msg;
}

static char *testdata(const char *name)
{
    static char path[4096];

    snprintf(path, sizeof path, "%s/testdata/names/%s", t_srcdir(), name);
    return path;
}

static char *write_native(const struct names *h)
{
    struct buf b;
    char *s;

    buf_init(&b, SIZE_MAX);
    T_EQ(names_write_native(h, &b), 0);
    s = calloc(1, b.len + 1);
    memcpy(s, b.data, b.len);
    buf_release(&b);
    return s;
}

static char *write_kubeshark(const struct names *h)
{
    struct buf b;
    char *s;

    buf_init(&b, SIZE_MAX);
    T_EQ(names_write_kubeshark(h, &b), 0);
    s = calloc(1, b.len + 1);
    memcpy(s, b.data, b.len);
    buf_release(&b);
    return s;
}

/* gencap's PREFIX.names.json (shared/bench/README.md), with an IPv6 pod and a pod without a
 * service added */
static const char gencap_sample[] =
    "{\n\"format\": \"gencap-names/1\",\n"
    "\"capture_start\": \"2024-06-01T10:00:00.000000000Z\",\n"
    "\"capture_end\": \"2024-06-01T10:10:00.000000000Z\",\n"
    "\"ips\": {\n"
    "\"10.1.1.3\": [{\"name\": \"carts-640d-ffzt\", \"namespace\": \"sock-shop\", "
    "\"kind\": \"pod\", "
    "\"service\": \"carts\", \"from\": \"2024-05-25T06:41:54.628030437Z\", "
    "\"to\": \"2024-06-01T10:02:45.633749000Z\"},\n"
    "    {\"name\": \"catalogue-29a5-4f48\", \"namespace\": \"sock-shop\", \"kind\": \"pod\", "
    "\"service\": \"catalogue\", \"from\": \"2024-06-01T10:05:36.707404000Z\", \"to\": null}],\n"
    "\"10.1.1.9\": [{\"name\": \"load-test-7c9d-p4m2\", \"namespace\": \"sock-shop\", \"kind\": "
    "\"pod\", \"service\": null, \"from\": \"2024-05-30T12:00:00.000000000Z\", \"to\": null}],\n"
    "\"10.96.0.10\": [{\"name\": \"kube-dns\", \"namespace\": \"kube-system\", \"kind\": "
    "\"service\", \"service\": null, \"from\": \"2024-05-02T10:00:00.000000000Z\", "
    "\"to\": null}],\n"
    "\"fd00:10:1:1::3\": [{\"name\": \"carts-640d-ffzt\", \"namespace\": \"sock-shop\", \"kind\": "
    "\"pod\", \"service\": \"carts\", \"from\": \"2024-05-25T06:41:54.628030437Z\", "
    "\"to\": \"2024-06-01T10:02:45.633749000Z\"}]\n"
    "}\n}\n";

TEST(gencap_sample_resolves)
{
    struct names *h = names_new();
    struct names_who w;
    struct diag d;
    uint64_t end = T("2024-06-01T10:02:45.633749Z"), start = T("2024-06-01T10:05:36.707404Z");

    T_EQ(read_text(h, gencap_sample, &d), 0);
    names_seal(h);
    T_EQ(names_count(h), 5);
    /* [from, to): the old owner up to the last ns before to, nobody in the gap */
    w = who(h, "10.1.1.3", end - 1);
    T_STREQ(w.name, "carts.sock-shop");
    T_STREQ(w.ns, "sock-shop");
    T_STREQ(w.pod, "carts-640d-ffzt");
    T_STREQ(w.svc, "carts");
    T_STREQ(w.dns, "");
    T_STREQ(name_at(h, "10.1.1.3", end), "");
    T_STREQ(name_at(h, "10.1.1.3", start - 1), "");
    /* the IP reused by another service after the restart */
    w = who(h, "10.1.1.3", start);
    T_STREQ(w.name, "catalogue.sock-shop");
    T_STREQ(w.pod, "catalogue-29a5-4f48");
    T_STREQ(w.svc, "catalogue");
    T_STREQ(name_at(h, "10.1.1.3", start + 1), "catalogue.sock-shop");
    T_STREQ(name_at(h, "10.1.1.3", T("2030-01-01T00:00:00Z")), "catalogue.sock-shop");
    T_STREQ(name_at(h, "10.1.1.3", T("2024-05-25T06:41:54.628030437Z")), "carts.sock-shop");
    T_STREQ(name_at(h, "10.1.1.3", T("2024-05-25T06:41:54.628030436Z")), "");
    /* a pod without a service: <pod>.<ns> */
    w = who(h, "10.1.1.9", start);
    T_STREQ(w.name, "load-test-7c9d-p4m2.sock-shop");
    T_STREQ(w.pod, "load-test-7c9d-p4m2");
    T_STREQ(w.svc, "");
    /* a service: <svc>.<ns>; a destination IP:port falls back to the IP */
    w = who(h, "10.96.0.10:53", start);
    T_STREQ(w.name, "kube-dns.kube-system");
    T_STREQ(w.ns, "kube-system");
    T_STREQ(w.pod, "");
    T_STREQ(w.svc, "kube-dns");
    T_STREQ(name_at(h, "fd00:10:1:1::3", end - 1), "carts.sock-shop");
    T_STREQ(name_at(h, "[fd00:10:1:1::3]:80", end - 1), "carts.sock-shop");
    T_STREQ(name_at(h, "fd00:10:1:1::3", end), "");
    /* unknown addresses: every field "" */
    w = who(h, "10.1.1.4", start);
    T_STREQ(w.name, "");
    T_STREQ(w.ns, "");
    T_STREQ(w.pod, "");
    T_STREQ(w.svc, "");
    T_STREQ(w.dns, "");
    names_free(h);
}

/* What names_write_native gives for gencap_sample: gencap's layout, plus "source". */
static const char gencap_written[] =
    "{\n\"format\": \"gencap-names/1\",\n"
    "\"capture_start\": \"2024-06-01T10:00:00.000000000Z\",\n"
    "\"capture_end\": \"2024-06-01T10:10:00.000000000Z\",\n"
    "\"ips\": {\n"
    "\"10.1.1.3\": [{\"name\": \"carts-640d-ffzt\", \"namespace\": \"sock-shop\", "
    "\"kind\": \"pod\", "
    "\"service\": \"carts\", \"from\": \"2024-05-25T06:41:54.628030437Z\", "
    "\"to\": \"2024-06-01T10:02:45.633749000Z\", \"source\": \"history\"},\n"
    "    {\"name\": \"catalogue-29a5-4f48\", \"namespace\": \"sock-shop\", \"kind\": \"pod\", "
    "\"service\": \"catalogue\", \"from\": \"2024-06-01T10:05:36.707404000Z\", \"to\": null, "
    "\"source\": \"history\"}],\n"
    "\"10.1.1.9\": [{\"name\": \"load-test-7c9d-p4m2\", \"namespace\": \"sock-shop\", \"kind\": "
    "\"pod\", \"service\": null, \"from\": \"2024-05-30T12:00:00.000000000Z\", \"to\": null, "
    "\"source\": \"history\"}],\n"
    "\"10.96.0.10\": [{\"name\": \"kube-dns\", \"namespace\": \"kube-system\", \"kind\": "
    "\"service\", \"service\": null, \"from\": \"2024-05-02T10:00:00.000000000Z\", \"to\": null, "
    "\"source\": \"history\"}],\n"
    "\"fd00:10:1:1::3\": [{\"name\": \"carts-640d-ffzt\", \"namespace\": \"sock-shop\", \"kind\": "
    "\"pod\", \"service\": \"carts\", \"from\": \"2024-05-25T06:41:54.628030437Z\", "
    "\"to\": \"2024-06-01T10:02:45.633749000Z\", \"source\": \"history\"}]\n"
    "}\n}\n";

static void same_records(const struct names *a, const struct names *b)
{
    T_EQ(names_count(a), names_count(b));
    for (size_t i = 0; i < names_count(a) && i < names_count(b); i++) {
        const struct names_rec *x = names_at(a, i), *y = names_at(b, i);

        T_EQ(x->ipver, y->ipver);
        T_MEMEQ(x->ip, y->ip, 16);
        T_EQ(x->port, y->port);
        T_EQ(x->source, y->source);
        T_EQ(x->kind, y->kind);
        T_EQ(x->from, y->from);
        T_EQ(x->to, y->to);
        T_STREQ(x->name, y->name);
        T_STREQ(x->ns, y->ns);
        T_STREQ(x->svc, y->svc);
    }
}

TEST(native_round_trip)
{
    struct names *h = names_new(), *h2 = names_new();
    struct names_rec r = { 0 };
    struct diag d;
    char *a, *b;

    T_EQ(read_text(h, gencap_sample, &d), 0);
    /* every kind, source and key form of the extensions */
    r.ipver = 4;
    memcpy(r.ip, "\xc0\xa8\x31\x02", 4);
    r.port = 9100;
    r.source = NAMES_SRC_KUBECTL;
    r.kind = NAMES_K_POD;
    r.from = 5 * SEC;
    r.to = NAMES_OPEN;
    r.name = "node-exporter-9xk2m";
    r.ns = "monitoring";
    r.svc = "node-exporter";
    names_add(h, &r);
    r.ipver = 6;
    memset(r.ip, 0, 16);
    r.ip[0] = 0xfd;
    r.ip[15] = 1;
    r.port = 443;
    r.source = NAMES_SRC_HISTORY;
    r.kind = NAMES_K_ADDRESS;
    r.from = 0;
    r.to = 7 * SEC + 1;
    r.name = "api.sock-shop";
    r.ns = "sock-shop";
    r.svc = "ignored";
    names_add(h, &r);
    r.port = 0;
    r.source = NAMES_SRC_DNS;
    r.kind = NAMES_K_DNS;
    r.name = "api.stripe.com";
    r.ns = "";
    names_add(h, &r);
    names_seal(h);
    a = write_native(h);
    T_EQ(read_text(h2, a, &d), 0);
    names_seal(h2);
    same_records(h, h2);
    b = write_native(h2);
    T_STREQ(b, a);
    /* the extensions as written */
    T_TRUE(strstr(a, "\n\"192.168.49.2:9100\": [{\"name\": \"node-exporter-9xk2m\", \"namespace\": "
                     "\"monitoring\", \"kind\": \"pod\", \"service\": \"node-exporter\", "
                     "\"from\": \"1970-01-01T00:00:05.000000000Z\", \"to\": null, "
                     "\"source\": \"kubectl\"}]") != NULL);
    T_TRUE(strstr(a, "\n\"fd00::1\": [{\"name\": \"api.stripe.com\", \"namespace\": \"\", "
                     "\"kind\": \"dns\", \"service\": null, "
                     "\"from\": \"1970-01-01T00:00:00.000000000Z\", "
                     "\"to\": \"1970-01-01T00:00:07.000000001Z\", \"source\": \"dns\"}],\n"
                     "\"[fd00::1]:443\": [{\"name\": \"api.sock-shop\", \"namespace\": "
                     "\"sock-shop\", \"kind\": \"address\", \"service\": null") != NULL);
    free(a);
    free(b);
    names_free(h2);
    names_free(h);

    /* gencap's own file: the same bytes plus the "source" of every record */
    h = names_new();
    T_EQ(read_text(h, gencap_sample, &d), 0);
    names_seal(h);
    a = write_native(h);
    T_STREQ(a, gencap_written);
    free(a);
    names_free(h);

    /* an empty history */
    h = names_new();
    names_seal(h);
    a = write_native(h);
    T_STREQ(a, "{\n\"format\": \"gencap-names/1\",\n\"ips\": {\n}\n}\n");
    free(a);
    names_free(h);
}

TEST(native_errors)
{
    T_STREQ(err_of("{\"format\": \"gencap-names/2\", \"ips\": {}}", SV_EFORMAT),
            "h.json: unknown format \"gencap-names/2\" (expected \"gencap-names/1\")");
    T_STREQ(err_of("{\"format\": 1, \"ips\": {}}", SV_EFORMAT),
            "h.json: format: expected a string");
    T_STREQ(err_of("{\"format\": \"gencap-names/1\"}", SV_EFORMAT),
            "h.json: ips: expected an object");
    T_STREQ(err_of("{\"format\": \"gencap-names/1\", \"ips\": {\"10.1.1.x\": []}}", SV_EFORMAT),
            "h.json: ips[\"10.1.1.x\"]: not an IP address or IP:port");
    T_STREQ(err_of("{\"format\": \"gencap-names/1\", \"ips\": {\"10.1.1.3:0\": []}}", SV_EFORMAT),
            "h.json: ips[\"10.1.1.3:0\"]: not an IP address or IP:port");
    T_STREQ(err_of("{\"format\": \"gencap-names/1\", \"ips\": {\"10.1.1.3\": {}}}", SV_EFORMAT),
            "h.json: ips[\"10.1.1.3\"]: expected an array");
    T_STREQ(err_of("{\"format\": \"gencap-names/1\", \"ips\": {\"10.1.1.3\": [7]}}", SV_EFORMAT),
            "h.json: ips[\"10.1.1.3\"][0]: expected an object");
    T_STREQ(err_of("{\"format\": \"gencap-names/1\", \"ips\": {\"10.1.1.3\": [{\"name\": \"a\", "
                   "\"kind\": \"pod\", \"from\": null}, {\"name\": \"b\", \"kind\": \"pod\", "
                   "\"from\": \"yesterday\"}]}}",
                   SV_EFORMAT),
            "h.json: ips[\"10.1.1.3\"][1].from: expected an RFC 3339 time or null");
    T_STREQ(err_of("{\"format\": \"gencap-names/1\", \"ips\": {\"10.1.1.3\": [{\"name\": \"a\", "
                   "\"kind\": \"pod\", \"from\": \"2024-06-01T10:00:00Z\", \"to\": 5}]}}",
                   SV_EFORMAT),
            "h.json: ips[\"10.1.1.3\"][0].to: expected an RFC 3339 time or null");
    T_STREQ(err_of("{\"format\": \"gencap-names/1\", \"ips\": {\"10.1.1.3\": [{\"name\": \"a\", "
                   "\"kind\": \"pod\"}]}}",
                   SV_EFORMAT),
            "h.json: ips[\"10.1.1.3\"][0].from: expected an RFC 3339 time or null");
    T_STREQ(err_of("{\"format\": \"gencap-names/1\", \"ips\": {\"10.1.1.3\": [{\"name\": \"a\", "
                   "\"kind\": \"pod\", \"from\": \"2024-06-01T10:00:00Z\", "
                   "\"to\": \"2024-06-01T10:00:00Z\"}]}}",
                   SV_EFORMAT),
            "h.json: ips[\"10.1.1.3\"][0]: from 2024-06-01T10:00:00.000000000Z is not before to "
            "2024-06-01T10:00:00.000000000Z");
    T_STREQ(err_of("{\"format\": \"gencap-names/1\", \"ips\": {\"10.1.1.3\": [{\"name\": \"a\", "
                   "\"kind\": \"deployment\", \"from\": null}]}}",
                   SV_EFORMAT),
            "h.json: ips[\"10.1.1.3\"][0].kind: unknown kind \"deployment\" (expected pod, "
            "service, address or dns)");
    T_STREQ(err_of("{\"format\": \"gencap-names/1\", \"ips\": {\"10.1.1.3\": [{\"name\": \"a\", "
                   "\"from\": null}]}}",
                   SV_EFORMAT),
            "h.json: ips[\"10.1.1.3\"][0].kind: expected a string");
    T_STREQ(err_of("{\"format\": \"gencap-names/1\", \"ips\": {\"10.1.1.3\": [{\"name\": \"\", "
                   "\"kind\": \"pod\", \"from\": null}]}}",
                   SV_EFORMAT),
            "h.json: ips[\"10.1.1.3\"][0].name: expected a non-empty string");
    T_STREQ(err_of("{\"format\": \"gencap-names/1\", \"ips\": {\"10.1.1.3\": [{\"name\": \"a\", "
                   "\"kind\": \"pod\", \"namespace\": [], \"from\": null}]}}",
                   SV_EFORMAT),
            "h.json: ips[\"10.1.1.3\"][0].namespace: expected a string or null");
    T_STREQ(err_of("{\"format\": \"gencap-names/1\", \"ips\": {\"10.1.1.3\": [{\"name\": \"a\", "
                   "\"kind\": \"pod\", \"service\": 3, \"from\": null}]}}",
                   SV_EFORMAT),
            "h.json: ips[\"10.1.1.3\"][0].service: expected a string or null");
    T_STREQ(err_of("{\"format\": \"gencap-names/1\", \"ips\": {\"10.1.1.3\": [{\"name\": \"a\", "
                   "\"kind\": \"pod\", \"source\": \"guess\", \"from\": null}]}}",
                   SV_EFORMAT),
            "h.json: ips[\"10.1.1.3\"][0].source: unknown source \"guess\" (expected history, "
            "kubectl or dns)");
    T_STREQ(err_of("{\"format\": \"gencap-names/1\", \"capture_start\": 5, \"ips\": {}}",
                   SV_EFORMAT),
            "h.json: capture_start: expected an RFC 3339 time or null");
    /* past 2262-04-11T23:47:16Z: refused rather than wrapped, in every format */
    T_STREQ(err_of("{\"format\": \"gencap-names/1\", \"ips\": {\"10.1.1.3\": [{\"name\": \"a\", "
                   "\"kind\": \"pod\", \"from\": \"2262-04-11T23:47:16.5Z\"}]}}",
                   SV_EFORMAT),
            "h.json: ips[\"10.1.1.3\"][0].from: expected an RFC 3339 time or null");
    T_STREQ(err_of("{\"9223372037\": {\"10.1.1.2\": {\"FullAddress\": \"a\"}}}", SV_EFORMAT),
            "h.json: key \"9223372037\": expected a snapshot time in decimal Unix seconds");
    T_STREQ(err_of("{\"format\": \"gencap-names/1\", \"ips\": {\"10.1.1.3\": [{\"name\": \"a\", "
                   "\"kind\": \"pod\", \"from\": \"9999-01-01T00:00:00Z\"}]}}",
                   SV_EFORMAT),
            "h.json: ips[\"10.1.1.3\"][0].from: expected an RFC 3339 time or null");
    /* unknown keys are ignored; a record read before an error is not kept */
    T_STREQ(err_of("{\"format\": \"gencap-names/1\", \"comment\": \"x\", \"ips\": {\"10.1.1.3\": "
                   "[{\"name\": \"a\", \"kind\": \"pod\", \"from\": null, \"extra\": 1}]}}",
                   0),
            "");
}

TEST(malformed_json_and_detection)
{
    struct names *h = names_new();
    struct diag d;

    T_STREQ(err_of("{\"format\": \"gencap-names/1\",\n \"ips\": {\"10.1.1.3\": [}}", SV_EFORMAT),
            "h.json: line 2 column 23: unexpected token near '}'");
    T_STREQ(err_of("", SV_EFORMAT),
            "h.json: line 1 column 0: '[' or '{' expected near end of file");
    T_STREQ(err_of("{\"a\": 1, \"a\": 2}", SV_EFORMAT),
            "h.json: line 1 column 12: duplicate object key near '\"a\"'");
    T_STREQ(err_of("[]", SV_EFORMAT),
            "h.json: not a name resolution history (expected gencap-names/1, Kubeshark's "
            "name_resolution_history.json or a kubectl dump)");
    T_STREQ(err_of("{\"hello\": {}}", SV_EFORMAT),
            "h.json: not a name resolution history (expected gencap-names/1, Kubeshark's "
            "name_resolution_history.json or a kubectl dump)");
    T_STREQ(err_of("{\"kind\": \"ConfigMap\"}", SV_EFORMAT),
            "h.json: not a name resolution history (expected gencap-names/1, Kubeshark's "
            "name_resolution_history.json or a kubectl dump)");
    /* an empty Kubeshark history is valid */
    T_STREQ(err_of("{}", 0), "");
    /* a UTF-8 byte order mark is skipped (line and column count after it); UTF-16 is named */
    T_STREQ(err_of("\xef\xbb\xbf{}", 0), "");
    T_STREQ(err_of("\xef\xbb\xbf{\"kind\": \"List\", \"takenAt\": 1, \"items\": [3]}", SV_EFORMAT),
            "h.json: items[0]: expected an object");
    T_STREQ(err_of("\xef\xbb\xbf{\n]", SV_EFORMAT),
            "h.json: line 2 column 1: string or '}' expected near ']'");
    T_STREQ(err_of("\xff\xfe{\0}\0", SV_EFORMAT),
            "h.json: UTF-16 text (as Windows PowerShell's > writes): convert it to UTF-8");
    T_STREQ(err_of("\xfe\xff\0{\0}", SV_EFORMAT),
            "h.json: UTF-16 text (as Windows PowerShell's > writes): convert it to UTF-8");
    /* a NUL in a string, without the parser's flag name */
    T_STREQ(err_of("{\"a\": \"x\\u0000\"}", SV_EFORMAT),
            "h.json: line 1 column 15: \\u0000 (NUL) in a string");
    /* files */
    diag_clear(&d);
    T_EQ(names_read_file(h, "/nonexistent/h.json", NULL, &d), SV_EIO);
    T_TRUE(strstr(d.msg, "/nonexistent/h.json") != NULL);
    T_EQ(d.sys_errno, ENOENT);
    T_EQ(names_read_file(h, testdata("kubeshark-history.json"), NULL, &d), 0);
    T_EQ(names_read_file(h, testdata("kubectl-sock-shop.json"), NULL, &d), 0);
    names_seal(h);
    T_EQ(read_text(h, "{}", &d), SV_EINVAL);
    T_STREQ(d.msg, "h.json: the name history is already sealed");
    names_free(h);
}

TEST(ip_port_before_ip)
{
    static const char text[] =
        "{\"format\": \"gencap-names/1\", \"ips\": {"
        "\"10.0.0.1\": [{\"name\": \"web-1\", \"namespace\": \"a\", \"kind\": \"pod\", "
        "\"service\": \"web\", \"from\": null, \"to\": null}],"
        "\"10.0.0.1:9100\": [{\"name\": \"exporter\", \"namespace\": \"mon\", \"kind\": \"pod\", "
        "\"from\": \"1970-01-01T00:00:10Z\", \"to\": \"1970-01-01T00:00:20Z\"}],"
        "\"10.0.0.2:8080\": [{\"name\": \"side\", \"namespace\": \"b\", \"kind\": \"service\", "
        "\"from\": null}],"
        "\"[fd00::9]:53\": [{\"name\": \"dns6\", \"namespace\": \"k\", \"kind\": \"service\", "
        "\"from\": null}]}}";
    struct names *h = names_new();
    struct diag d;

    T_EQ(read_text(h, text, &d), 0);
    names_seal(h);
    T_STREQ(name_at(h, "10.0.0.1:9100", 10 * SEC), "exporter.mon");
    T_STREQ(name_at(h, "10.0.0.1:9100", 20 * SEC - 1), "exporter.mon");
    /* the port record is not valid: the IP's */
    T_STREQ(name_at(h, "10.0.0.1:9100", 20 * SEC), "web.a");
    T_STREQ(name_at(h, "10.0.0.1:9100", 10 * SEC - 1), "web.a");
    T_STREQ(name_at(h, "10.0.0.1:80", 15 * SEC), "web.a");
    /* a port-0 lookup sees only the IP's own records */
    T_STREQ(name_at(h, "10.0.0.1", 15 * SEC), "web.a");
    T_STREQ(name_at(h, "10.0.0.2", 15 * SEC), "");
    T_STREQ(name_at(h, "10.0.0.2:8080", 15 * SEC), "side.b");
    T_STREQ(name_at(h, "10.0.0.2:8081", 15 * SEC), "");
    T_STREQ(name_at(h, "[fd00::9]:53", 15 * SEC), "dns6.k");
    T_STREQ(name_at(h, "fd00::9", 15 * SEC), "");
    /* the IPv4 bytes past the first 4 are not part of the key */
    {
        uint8_t ip[16] = { 10, 0, 0, 1, 0xff, 0xff };
        struct names_who w;

        names_resolve(h, 4, ip, 0, 0, &w);
        T_STREQ(w.name, "web.a");
    }
    names_free(h);
}

/* Kubeshark's resolver had no IP fallback for destinations: an IP:port destination with only an
 * IP record resolved to nothing there. */
TEST(ip_fallback_for_destinations)
{
    static const char text[] =
        "{\"1717236000\": {\"10.96.0.10\": {\"FullAddress\": \"kube-dns.kube-system\", "
        "\"Namespace\": \"kube-system\"}}}";
    struct names *h = names_new();
    struct names_who w;
    struct diag d;

    T_EQ(read_text(h, text, &d), 0);
    names_seal(h);
    w = who(h, "10.96.0.10:53", 1717236000 * SEC + 250 * MS);
    T_STREQ(w.name, "kube-dns.kube-system");
    T_STREQ(w.ns, "kube-system");
    T_STREQ(w.pod, "");
    T_STREQ(w.svc, "");
    names_free(h);
}

TEST(kubeshark_history)
{
    const uint64_t s1 = 1717236000, s2 = 1717236170, s3 = 1717236336;
    struct names *h = names_new();
    struct names_who w;
    struct diag d;

    diag_clear(&d);
    T_EQ(names_read_file(h, testdata("kubeshark-history.json"), NULL, &d), 0);
    T_STREQ(d.msg, "");
    names_seal(h);
    /* 10.1.1.2, 10.1.1.3 (twice), 10.1.1.5, 10.1.1.5:80, 10.1.1.7, 10.96.0.10, fd00:10:1:1::2;
     * the keys "carts.sock-shop" and "catalogue.sock-shop" are skipped */
    T_EQ(names_count(h), 8);
    /* the snapshots were out of order in the file; half a second into S1 is S1's snapshot */
    w = who(h, "10.1.1.3", s1 * SEC + 500 * MS);
    T_STREQ(w.name, "carts.sock-shop");
    T_STREQ(w.ns, "sock-shop");
    T_STREQ(w.pod, "");
    T_STREQ(w.svc, "");
    T_STREQ(name_at(h, "10.1.1.3", s2 * SEC - 1 * MS), "carts.sock-shop");
    /* at S2 exactly (an entry at S2*1000 ms): S2's snapshot, where 10.1.1.3 is gone */
    T_STREQ(name_at(h, "10.1.1.3", s2 * SEC), "");
    T_STREQ(name_at(h, "10.1.1.3", s2 * SEC + 500 * MS), "");
    T_STREQ(name_at(h, "10.1.1.3", s3 * SEC - 1), "");
    T_STREQ(name_at(h, "10.1.1.3", s3 * SEC), "catalogue.sock-shop");
    /* before the first snapshot: the first snapshot covers earlier times */
    T_STREQ(name_at(h, "10.1.1.3", (s1 - 3600) * SEC), "carts.sock-shop");
    T_STREQ(name_at(h, "10.1.1.3", 0), "carts.sock-shop");
    /* a newcomer of a later snapshot starts there */
    T_STREQ(name_at(h, "10.1.1.7", s2 * SEC - 1), "");
    T_STREQ(name_at(h, "10.1.1.7", s2 * SEC), "carts.sock-shop");
    T_STREQ(name_at(h, "10.1.1.7", s3 * SEC + 10 * SEC), "carts.sock-shop");
    /* IP:port keys, the IP fallback, IPv6 */
    T_STREQ(name_at(h, "10.1.1.5:80", s1 * SEC), "catalogue.sock-shop");
    T_STREQ(name_at(h, "10.96.0.10:53", s3 * SEC), "kube-dns.kube-system");
    T_STREQ(who(h, "10.96.0.10:53", s3 * SEC).ns, "kube-system");
    T_STREQ(name_at(h, "fd00:10:1:1::2", s2 * SEC), "front-end.sock-shop");
    /* records: unchanged runs are one record */
    if (names_count(h) == 8) {
        const struct names_rec *r = names_at(h, 0);

        T_STREQ(r->name, "front-end.sock-shop");
        T_EQ(r->kind, NAMES_K_ADDRESS);
        T_EQ(r->source, NAMES_SRC_HISTORY);
        T_EQ(r->from, 0);
        T_TRUE(r->to == NAMES_OPEN);
        r = names_at(h, 1);
        T_STREQ(r->name, "carts.sock-shop");
        T_EQ(r->from, 0);
        T_EQ(r->to, s2 * SEC);
        r = names_at(h, 2);
        T_STREQ(r->name, "catalogue.sock-shop");
        T_EQ(r->from, s3 * SEC);
        T_TRUE(r->to == NAMES_OPEN);
    }
    names_free(h);
}

TEST(kubeshark_errors)
{
    T_STREQ(err_of("{\"1717236000\": {}, \"yesterday\": {}}", SV_EFORMAT),
            "h.json: key \"yesterday\": expected a snapshot time in decimal Unix seconds");
    T_STREQ(err_of("{\"1717236000\": {}, \"99999999999999999999\": {}}", SV_EFORMAT),
            "h.json: key \"99999999999999999999\": expected a snapshot time in decimal Unix "
            "seconds");
    T_STREQ(err_of("{\"1717236000\": []}", SV_EFORMAT),
            "h.json: [\"1717236000\"]: expected an object");
    T_STREQ(err_of("{\"100\": {}, \"0100\": {}}", SV_EFORMAT),
            "h.json: key \"0100\": a second snapshot at second 100");
    T_STREQ(err_of("{\"1717236000\": {\"10.1.1.3\": \"carts\"}}", SV_EFORMAT),
            "h.json: [\"1717236000\"][\"10.1.1.3\"]: expected an object");
    T_STREQ(err_of("{\"1717236000\": {\"10.1.1.3\": {\"FullAddress\": 3}}}", SV_EFORMAT),
            "h.json: [\"1717236000\"][\"10.1.1.3\"].FullAddress: expected a string");
    T_STREQ(err_of("{\"1717236000\": {\"10.1.1.3\": {\"FullAddress\": \"a\", \"Namespace\": 3}}}",
                   SV_EFORMAT),
            "h.json: [\"1717236000\"][\"10.1.1.3\"].Namespace: expected a string or null");
    /* non-address keys are skipped whatever their value; empty FullAddress is "unresolved" */
    T_STREQ(err_of("{\"1717236000\": {\"carts.sock-shop\": 5, \"10.1.1.3\": {\"FullAddress\": "
                   "\"\"}}}",
                   0),
            "");
}

/* A small history and the exact file names_write_kubeshark makes of it. */
TEST(kubeshark_writer)
{
    struct names *h = names_new(), *h2;
    struct names_rec r = { 0 };
    struct diag d;
    char *s, *s2;
    static const char want[] =
        "{\n"
        "\"1717235999\": {\"10.1.1.3\": {\"FullAddress\": \"carts.sock-shop\", \"Namespace\": "
        "\"sock-shop\"}, \"10.96.0.10\": {\"FullAddress\": \"kube-dns.kube-system\", "
        "\"Namespace\": \"kube-system\"}, \"10.96.0.10:53\": {\"FullAddress\": "
        "\"kube-dns.kube-system\", \"Namespace\": \"kube-system\"}},\n"
        "\"1717236000\": {\"10.1.1.3\": {\"FullAddress\": \"carts.sock-shop\", \"Namespace\": "
        "\"sock-shop\"}, \"10.96.0.10\": {\"FullAddress\": \"kube-dns.kube-system\", "
        "\"Namespace\": \"kube-system\"}, \"10.96.0.10:53\": {\"FullAddress\": "
        "\"coredns-1.kube-system\", \"Namespace\": \"kube-system\"}},\n"
        "\"1717236166\": {\"10.96.0.10\": {\"FullAddress\": \"kube-dns.kube-system\", "
        "\"Namespace\": \"kube-system\"}, \"10.96.0.10:53\": {\"FullAddress\": "
        "\"coredns-1.kube-system\", \"Namespace\": \"kube-system\"}},\n"
        "\"1717236337\": {\"10.1.1.3\": {\"FullAddress\": \"catalogue.sock-shop\", "
        "\"Namespace\": \"sock-shop\"}, \"10.96.0.10\": {\"FullAddress\": "
        "\"kube-dns.kube-system\", \"Namespace\": \"kube-system\"}, \"10.96.0.10:53\": "
        "{\"FullAddress\": \"coredns-1.kube-system\", \"Namespace\": \"kube-system\"}}\n"
        "}\n";

    r.ipver = 4;
    r.source = NAMES_SRC_HISTORY;
    memcpy(r.ip, "\x0a\x01\x01\x03", 4);
    r.kind = NAMES_K_POD;
    r.name = "carts-640d-ffzt";
    r.ns = "sock-shop";
    r.svc = "carts";
    r.from = 0;
    r.to = 1717236165 * SEC + 633 * MS;     /* a change within second 1717236166 */
    names_add(h, &r);
    r.name = "catalogue-29a5-4f48";
    r.svc = "catalogue";
    r.from = 1717236336 * SEC + 707 * MS;
    r.to = NAMES_OPEN;
    names_add(h, &r);
    memcpy(r.ip, "\x0a\x60\x00\x0a", 4);
    r.kind = NAMES_K_SERVICE;
    r.name = "kube-dns";
    r.ns = "kube-system";
    r.svc = "";
    r.from = 0;
    names_add(h, &r);
    r.port = 53;
    r.kind = NAMES_K_POD;
    r.name = "coredns-1";
    r.from = 1717236000 * SEC;              /* on a second: that second */
    names_add(h, &r);
    /* DNS names are not Kubeshark addresses */
    r.port = 0;
    r.kind = NAMES_K_DNS;
    r.source = NAMES_SRC_DNS;
    r.name = "dns.google";
    r.from = 1717236200 * SEC;
    memcpy(r.ip, "\x08\x08\x08\x08", 4);
    names_add(h, &r);
    names_seal(h);
    s = write_kubeshark(h);
    T_STREQ(s, want);
    /* read back, it resolves as the original did, to the second */
    h2 = names_new();
    T_EQ(read_text(h2, s, &d), 0);
    names_seal(h2);
    for (uint64_t t = 1717235990; t < 1717236400; t++) {
        static const char *const addrs[] = { "10.1.1.3", "10.96.0.10", "10.96.0.10:53",
                                             "10.96.0.10:80", "10.1.1.3:80" };

        for (size_t i = 0; i < sizeof addrs / sizeof addrs[0]; i++)
            T_STREQ(name_at(h2, addrs[i], t * SEC), name_at(h, addrs[i], t * SEC));
    }
    s2 = write_kubeshark(h2);
    T_STREQ(s2, s);
    free(s2);
    free(s);
    names_free(h2);
    names_free(h);

    /* nothing ever changes: one snapshot at 0; no records: no snapshot */
    h = names_new();
    r.ipver = 4;
    r.port = 0;
    r.source = NAMES_SRC_KUBECTL;
    r.kind = NAMES_K_SERVICE;
    r.name = "kube-dns";
    r.from = 0;
    r.to = NAMES_OPEN;
    names_add(h, &r);
    names_seal(h);
    s = write_kubeshark(h);
    T_STREQ(s, "{\n\"0\": {\"8.8.8.8\": {\"FullAddress\": \"kube-dns.kube-system\", \"Namespace\": "
               "\"kube-system\"}}\n}\n");
    free(s);
    names_free(h);
    h = names_new();
    names_seal(h);
    s = write_kubeshark(h);
    T_STREQ(s, "{}\n");
    free(s);
    names_free(h);
}

static void kubectl_first_dump_checks(const struct names *h)
{
    uint64_t t = T("2024-06-01T10:01:00Z");
    struct names_who w;

    w = who(h, "10.1.1.2", t);
    T_STREQ(w.name, "front-end.sock-shop");
    T_STREQ(w.pod, "front-end-6649d5b6f8-x7k2p");
    T_STREQ(w.svc, "front-end");
    T_STREQ(w.ns, "sock-shop");
    T_STREQ(name_at(h, "fd00:10:1:1::2", t), "front-end.sock-shop");
    /* two services select carts: the alphabetically first, "carts" before "carts-admin" */
    w = who(h, "10.1.1.3", t);
    T_STREQ(w.name, "carts.sock-shop");
    T_STREQ(w.pod, "carts-7f9c8d6b5-ffzt2");
    T_STREQ(w.svc, "carts");
    /* a pod record starts at the pod's startTime */
    T_STREQ(name_at(h, "10.1.1.3", T("2024-05-25T06:41:54Z")), "carts.sock-shop");
    T_STREQ(name_at(h, "10.1.1.3", T("2024-05-25T06:41:54Z") - 1), "");
    /* no service: <pod>.<ns> */
    T_STREQ(name_at(h, "10.1.1.8", t), "load-test-7c9d8b5f6-p4m2n.sock-shop");
    /* a Succeeded job pod holds no IP */
    T_STREQ(name_at(h, "10.1.1.9", t), "");
    /* services, single and dual stack; "None" skipped */
    w = who(h, "10.96.0.10:53", t);
    T_STREQ(w.name, "kube-dns.kube-system");
    T_STREQ(w.svc, "kube-dns");
    T_STREQ(w.pod, "");
    T_STREQ(name_at(h, "10.1.0.4", t), "kube-dns.kube-system");
    T_STREQ(who(h, "10.1.0.4", t).pod, "coredns-5dd5756b68-7xkqz");
    T_STREQ(name_at(h, "fd00:10:96::1234", t), "front-end.sock-shop");
    T_STREQ(name_at(h, "10.96.78.10", t), "carts-admin.sock-shop");
    T_STREQ(name_at(h, "10.96.0.1:443", t), "kubernetes.default");
    T_STREQ(name_at(h, "10.96.0.1", T("2024-05-02T09:59:50Z") - 1), "");
    /* the hostNetwork pod owns its port on the node's IP, not the IP */
    w = who(h, "192.168.49.2:9100", t);
    T_STREQ(w.name, "node-exporter.monitoring");
    T_STREQ(w.pod, "node-exporter-9xk2m");
    T_STREQ(w.svc, "node-exporter");
    T_STREQ(name_at(h, "192.168.49.2", t), "");
    T_STREQ(name_at(h, "192.168.49.2:22", t), "");
}

TEST(kubectl_dumps)
{
    struct names *h = names_new();
    struct names_read_opts o = { 0 };
    struct diag d;
    uint64_t reuse = T("2024-06-01T10:05:36Z");
    size_t n_frontend = 0;

    diag_clear(&d);
    T_EQ(names_read_file(h, testdata("kubectl-sock-shop.json"), &o, &d), 0);
    names_seal(h);
    kubectl_first_dump_checks(h);
    /* one dump: still open after it was taken */
    T_STREQ(name_at(h, "10.1.1.3", reuse + 3600 * SEC), "carts.sock-shop");
    names_free(h);

    /* both dumps, the later read first */
    h = names_new();
    T_EQ(names_read_file(h, testdata("kubectl-sock-shop-later.json"), &o, &d), 0);
    T_EQ(names_read_file(h, testdata("kubectl-sock-shop.json"), &o, &d), 0);
    names_seal(h);
    kubectl_first_dump_checks(h);
    /* 10.1.1.3: carts until the catalogue pod that took it over started */
    T_STREQ(name_at(h, "10.1.1.3", reuse - 1), "carts.sock-shop");
    T_STREQ(who(h, "10.1.1.3", reuse - 1).pod, "carts-7f9c8d6b5-ffzt2");
    T_STREQ(name_at(h, "10.1.1.3", reuse), "catalogue.sock-shop");
    T_STREQ(who(h, "10.1.1.3", reuse).pod, "catalogue-5d8c4b6d9f-m4n7z");
    T_STREQ(name_at(h, "10.1.1.3", reuse + 3600 * SEC), "catalogue.sock-shop");
    /* the new carts pod on a new IP, from its start */
    T_STREQ(name_at(h, "10.1.1.7", T("2024-06-01T10:02:50Z") - 1), "");
    T_STREQ(who(h, "10.1.1.7", T("2024-06-01T10:02:50Z")).pod, "carts-7f9c8d6b5-h8j3k");
    T_STREQ(who(h, "10.1.1.7", T("2024-06-01T10:02:50Z")).svc, "carts");
    /* the same holder in both dumps: one record */
    for (size_t i = 0; i < names_count(h); i++) {
        const struct names_rec *r = names_at(h, i);

        if (strcmp(r->name, "front-end-6649d5b6f8-x7k2p") == 0 && r->ipver == 4) {
            n_frontend++;
            T_EQ(r->from, T("2024-05-25T06:40:12Z"));
            T_TRUE(r->to == NAMES_OPEN);
            T_EQ(r->source, NAMES_SRC_KUBECTL);
        }
    }
    T_EQ(n_frontend, 1);
    names_free(h);
}

TEST(kubectl_merge_rules)
{
    /* a later dump that does not show the address ends its record at that dump's time */
    static const char d1[] =
        "{\"kind\": \"List\", \"takenAt\": 1000, \"items\": [{\"kind\": \"Pod\", \"metadata\": "
        "{\"name\": \"a\", \"namespace\": \"n\"}, \"status\": {\"podIP\": \"10.0.0.1\", "
        "\"startTime\": \"1970-01-01T00:01:40Z\"}}]}";
    /* taken at the same time as d1: the same moment, so it does not end a's record */
    static const char d2[] =
        "{\"kind\": \"List\", \"takenAt\": 1000, \"items\": [{\"kind\": \"Pod\", \"metadata\": "
        "{\"name\": \"c\", \"namespace\": \"n\"}, \"status\": {\"podIP\": \"10.0.0.2\", "
        "\"startTime\": \"1970-01-01T00:00:10Z\"}}]}";
    /* a new holder whose start is not after the old one's: the old ends at the dump's time */
    static const char d3[] =
        "{\"kind\": \"PodList\", \"takenAt\": \"1970-01-01T00:25:00Z\", \"items\": "
        "[{\"metadata\": {\"name\": \"b\", \"namespace\": \"n\"}, \"status\": {\"podIP\": "
        "\"10.0.0.2\"}}]}";
    static const char d4[] = "{\"kind\": \"List\", \"takenAt\": 2000, \"items\": []}";
    static const char d5[] =
        "{\"kind\": \"PodList\", \"items\": [{\"metadata\": {\"name\": \"e\", \"namespace\": "
        "\"n\"}, \"status\": {\"podIP\": \"10.0.0.5\"}}]}";
    struct names *h = names_new();
    struct names_read_opts o = { 0 };
    struct diag d;

    diag_clear(&d);
    T_EQ(names_read_mem(h, "d4", d4, strlen(d4), &o, &d), 0);
    T_EQ(names_read_mem(h, "d1", d1, strlen(d1), &o, &d), 0);
    T_EQ(names_read_mem(h, "d3", d3, strlen(d3), &o, &d), 0);
    T_EQ(names_read_mem(h, "d2", d2, strlen(d2), &o, &d), 0);
    names_seal(h);
    T_STREQ(name_at(h, "10.0.0.1", 100 * SEC - 1), "");
    T_STREQ(name_at(h, "10.0.0.1", 100 * SEC), "a.n");
    T_STREQ(name_at(h, "10.0.0.1", 1500 * SEC - 1), "a.n");
    T_STREQ(name_at(h, "10.0.0.1", 1500 * SEC), "");
    /* c from 10 s; b (no start time: from 0) takes over at d3's time, 1500 s, until d4 */
    T_STREQ(name_at(h, "10.0.0.2", 10 * SEC), "c.n");
    T_STREQ(name_at(h, "10.0.0.2", 1500 * SEC - 1), "c.n");
    T_STREQ(name_at(h, "10.0.0.2", 1500 * SEC), "b.n");
    T_STREQ(name_at(h, "10.0.0.2", 2000 * SEC - 1), "b.n");
    T_STREQ(name_at(h, "10.0.0.2", 2000 * SEC), "");
    T_EQ(names_count(h), 3);
    names_free(h);

    /* opts->taken_ns stands in for a missing "takenAt" */
    h = names_new();
    o.taken_ns = 5000 * SEC;
    T_EQ(names_read_mem(h, "d5", d5, strlen(d5), &o, &d), 0);
    names_seal(h);
    T_STREQ(name_at(h, "10.0.0.5", 0), "e.n");
    names_free(h);
}

TEST(kubectl_moments)
{
    /* pods and endpoints dumped apart at one time: one moment, the pod gets its service */
    static const char pods[] =
        "{\"kind\": \"PodList\", \"takenAt\": 1000, \"items\": [{\"metadata\": {\"name\": "
        "\"web-1\", \"namespace\": \"w\"}, \"status\": {\"podIP\": \"10.8.0.1\"}}]}";
    static const char eps[] =
        "{\"kind\": \"EndpointsList\", \"takenAt\": 1000, \"items\": [{\"metadata\": "
        "{\"name\": \"web\", \"namespace\": \"w\"}, \"subsets\": [{\"addresses\": [{\"ip\": "
        "\"10.8.0.1\", \"targetRef\": {\"kind\": \"Pod\", \"name\": \"web-1\"}}]}]}]}";
    /* endpoints of another moment name nobody's service at this one */
    static const char eps_later[] =
        "{\"kind\": \"EndpointsList\", \"takenAt\": 1001, \"items\": [{\"metadata\": "
        "{\"name\": \"api\", \"namespace\": \"w\"}, \"subsets\": [{\"addresses\": [{\"ip\": "
        "\"10.8.0.2\", \"targetRef\": {\"kind\": \"Pod\", \"name\": \"api-1\"}}]}]}]}";
    static const char pods_earlier[] =
        "{\"kind\": \"PodList\", \"takenAt\": 1000, \"items\": [{\"metadata\": {\"name\": "
        "\"api-1\", \"namespace\": \"w\"}, \"status\": {\"podIP\": \"10.8.0.2\"}}]}";
    /* a start after the dump's own time (clocks apart): the record covers the dump's time */
    static const char a[] =
        "{\"kind\": \"PodList\", \"takenAt\": 3000, \"items\": [{\"metadata\": {\"name\": "
        "\"a\", \"namespace\": \"n\"}, \"status\": {\"podIP\": \"10.5.0.1\", \"startTime\": "
        "\"1970-01-01T00:40:00Z\"}}]}";
    static const char b[] =
        "{\"kind\": \"PodList\", \"takenAt\": 3600, \"items\": [{\"metadata\": {\"name\": "
        "\"b\", \"namespace\": \"n\"}, \"status\": {\"podIP\": \"10.5.0.1\", \"startTime\": "
        "\"1970-01-01T01:20:00Z\"}}]}";
    struct names_read_opts o = { 0 };
    struct diag d;

    for (int order = 0; order < 2; order++) {
        struct names *h = names_new();

        diag_clear(&d);
        T_EQ(names_read_mem(h, "1", order ? eps : pods, strlen(order ? eps : pods), &o, &d), 0);
        T_EQ(names_read_mem(h, "2", order ? pods : eps, strlen(order ? pods : eps), &o, &d), 0);
        T_EQ(names_read_mem(h, "3", eps_later, strlen(eps_later), &o, &d), 0);
        T_EQ(names_read_mem(h, "4", pods_earlier, strlen(pods_earlier), &o, &d), 0);
        names_seal(h);
        T_STREQ(name_at(h, "10.8.0.1", 1000 * SEC), "web.w");
        T_STREQ(name_at(h, "10.8.0.2", 1000 * SEC), "api-1.w");
        names_free(h);
    }
    {
        struct names *h = names_new();

        T_EQ(names_read_mem(h, "b", b, strlen(b), &o, &d), 0);
        T_EQ(names_read_mem(h, "a", a, strlen(a), &o, &d), 0);
        names_seal(h);
        T_STREQ(name_at(h, "10.5.0.1", 3000 * SEC), "a.n");
        T_STREQ(name_at(h, "10.5.0.1", 3600 * SEC - 1), "a.n");
        T_STREQ(name_at(h, "10.5.0.1", 3600 * SEC), "b.n");
        T_STREQ(name_at(h, "10.5.0.1", 4900 * SEC), "b.n");
        names_free(h);
    }
}

TEST(kubectl_errors)
{
    static const char pre[] = "{\"kind\": \"List\", \"takenAt\": \"2024-06-01T10:00:00Z\", ";
    char text[1024];

#define K(body) (snprintf(text, sizeof text, "%s%s}", pre, body), text)
    T_STREQ(err_of(K("\"items\": 5"), SV_EFORMAT), "h.json: items: expected an array");
    T_STREQ(err_of(K("\"items\": [{\"kind\": \"ConfigMap\"}, {\"kind\": \"Service\", "
                     "\"metadata\": {\"name\": \"s\"}, \"spec\": {}}, 7]"),
                   SV_EFORMAT),
            "h.json: items[2]: expected an object");
    T_STREQ(err_of(K("\"items\": [{\"kind\": \"Pod\", \"metadata\": {\"name\": \"p\"}, "
                     "\"status\": {}}, {}, {}, {\"kind\": \"Pod\", \"metadata\": {\"name\": "
                     "\"p\"}, \"status\": {\"podIP\": 7}}]"),
                   SV_EFORMAT),
            "h.json: items[3].status.podIP: expected a string");
    T_STREQ(err_of(K("\"items\": [{\"kind\": \"Pod\", \"metadata\": {\"name\": \"p\"}, "
                     "\"status\": {\"podIP\": \"10.0.0.300\"}}]"),
                   SV_EFORMAT),
            "h.json: items[0].status.podIP: expected an IP address");
    T_STREQ(err_of(K("\"items\": [{\"kind\": \"Pod\", \"metadata\": {\"name\": \"p\"}, "
                     "\"status\": {\"podIPs\": [{\"ip\": \"10.0.0.3\"}, {\"ip\": false}]}}]"),
                   SV_EFORMAT),
            "h.json: items[0].status.podIPs[1].ip: expected a string");
    T_STREQ(err_of(K("\"items\": [{\"kind\": \"Pod\", \"metadata\": {\"namespace\": \"n\"}, "
                     "\"status\": {}}]"),
                   SV_EFORMAT),
            "h.json: items[0].metadata.name: expected a non-empty string");
    T_STREQ(err_of(K("\"items\": [{\"kind\": \"Pod\", \"metadata\": 3}]"), SV_EFORMAT),
            "h.json: items[0].metadata: expected an object");
    T_STREQ(err_of(K("\"items\": [{\"kind\": \"Pod\", \"metadata\": {\"name\": \"p\", "
                     "\"creationTimestamp\": \"May\"}}]"),
                   SV_EFORMAT),
            "h.json: items[0].metadata.creationTimestamp: expected an RFC 3339 time");
    T_STREQ(err_of(K("\"items\": [{\"kind\": \"Pod\", \"metadata\": {\"name\": \"p\"}, "
                     "\"spec\": {\"hostNetwork\": \"yes\"}, \"status\": {}}]"),
                   SV_EFORMAT),
            "h.json: items[0].spec.hostNetwork: expected true or false");
    T_STREQ(err_of(K("\"items\": [{\"kind\": \"Pod\", \"metadata\": {\"name\": \"p\"}, "
                     "\"spec\": {\"hostNetwork\": true, \"containers\": [{\"ports\": "
                     "[{\"containerPort\": 70000}]}]}, \"status\": {\"podIP\": \"10.0.0.1\"}}]"),
                   SV_EFORMAT),
            "h.json: items[0].spec.containers[0].ports[0].containerPort: expected a port number "
            "(1-65535)");
    T_STREQ(err_of(K("\"items\": [{\"kind\": \"Service\", \"metadata\": {\"name\": \"s\"}, "
                     "\"spec\": {\"clusterIPs\": [\"10.96.0.1\", 5]}}]"),
                   SV_EFORMAT),
            "h.json: items[0].spec.clusterIPs[1]: expected a string");
    T_STREQ(err_of(K("\"items\": [{\"kind\": \"Service\", \"metadata\": {\"name\": \"s\"}, "
                     "\"spec\": {\"clusterIP\": \"10.96.0\"}}]"),
                   SV_EFORMAT),
            "h.json: items[0].spec.clusterIP: expected an IP address");
    T_STREQ(err_of(K("\"items\": [{\"kind\": \"Endpoints\", \"metadata\": {\"name\": \"s\"}, "
                     "\"subsets\": [{\"addresses\": [{\"ip\": \"10.0.0.1\", \"targetRef\": "
                     "{\"kind\": \"Pod\"}}]}]}]"),
                   SV_EFORMAT),
            "h.json: items[0].subsets[0].addresses[0].targetRef.name: expected a non-empty "
            "string");
    T_STREQ(err_of(K("\"items\": [{\"kind\": \"Endpoints\", \"metadata\": {\"name\": \"s\"}, "
                     "\"subsets\": [{\"notReadyAddresses\": {}}]}]"),
                   SV_EFORMAT),
            "h.json: items[0].subsets[0].notReadyAddresses: expected an array");
#undef K
    T_STREQ(err_of("{\"kind\": \"List\", \"items\": []}", SV_EINVAL),
            "h.json: a kubectl dump needs the time it was taken: add a top-level \"takenAt\" or "
            "pass --taken");
    T_STREQ(err_of("{\"kind\": \"List\", \"takenAt\": true, \"items\": []}", SV_EFORMAT),
            "h.json: takenAt: expected an RFC 3339 time or a number of Unix seconds");
    T_STREQ(err_of("{\"kind\": \"List\", \"takenAt\": -5, \"items\": []}", SV_EFORMAT),
            "h.json: takenAt: expected an RFC 3339 time or a number of Unix seconds");
    /* single objects, EndpointSlices, fractional takenAt */
    T_STREQ(err_of("{\"kind\": \"Pod\", \"takenAt\": 1717236000.5, \"metadata\": {\"name\": "
                   "\"p\"}, \"status\": {\"podIP\": \"10.0.0.1\"}}",
                   0),
            "");
}

TEST(kubectl_single_objects_and_slices)
{
    static const char text[] =
        "{\"apiVersion\": \"v1\", \"kind\": \"List\", \"takenAt\": 1717236000, \"items\": ["
        "{\"apiVersion\": \"discovery.k8s.io/v1\", \"kind\": \"EndpointSlice\", \"metadata\": "
        "{\"name\": \"web-x2k\", \"namespace\": \"shop\", \"labels\": "
        "{\"kubernetes.io/service-name\": \"web\"}}, \"addressType\": \"IPv4\", \"endpoints\": "
        "[{\"addresses\": [\"10.0.0.5\"], \"targetRef\": {\"kind\": \"Pod\", \"name\": "
        "\"web-1\", \"namespace\": \"shop\"}}]},"
        "{\"apiVersion\": \"v1\", \"kind\": \"Pod\", \"metadata\": {\"name\": \"web-1\", "
        "\"namespace\": \"shop\", \"creationTimestamp\": \"2024-06-01T09:00:00Z\"}, "
        "\"status\": {\"phase\": \"Running\", \"podIPs\": [{\"ip\": \"10.0.0.5\"}, {\"ip\": "
        "\"fd00::5\"}]}},"
        "{\"apiVersion\": \"v1\", \"kind\": \"Pod\", \"metadata\": {\"name\": \"gone\", "
        "\"namespace\": \"shop\"}, \"status\": {\"phase\": \"Failed\", \"podIP\": "
        "\"10.0.0.6\"}}]}";
    static const char single[] =
        "{\"apiVersion\": \"v1\", \"kind\": \"Service\", \"takenAt\": 1717236000, \"metadata\": "
        "{\"name\": \"db\", \"namespace\": \"shop\"}, \"spec\": {\"clusterIP\": \"10.96.1.1\"}}";
    struct names *h = names_new();
    struct names_who w;
    struct diag d;

    T_EQ(read_text(h, text, &d), 0);
    T_EQ(read_text(h, single, &d), 0);
    names_seal(h);
    /* from metadata.creationTimestamp when there is no startTime */
    T_STREQ(name_at(h, "10.0.0.5", T("2024-06-01T09:00:00Z") - 1), "");
    w = who(h, "10.0.0.5", T("2024-06-01T09:00:00Z"));
    T_STREQ(w.name, "web.shop");
    T_STREQ(w.pod, "web-1");
    T_STREQ(name_at(h, "fd00::5", T("2024-06-01T09:00:00Z")), "web.shop");
    T_STREQ(name_at(h, "10.0.0.6", T("2024-06-01T09:00:00Z")), "");
    /* a service without creationTimestamp covers all time */
    T_STREQ(name_at(h, "10.96.1.1", 0), "db.shop");
    names_free(h);
}

TEST(precedence)
{
    struct names *h = names_new();
    struct names_rec r = { 0 };
    const uint8_t ip[16] = { 10, 0, 0, 1 };
    struct names_who w;

    r.ipver = 4;
    memcpy(r.ip, ip, 16);
    r.kind = NAMES_K_SERVICE;
    r.ns = "n";
    /* DNS everywhere, kubectl in [10, 30), history in [20, 25) */
    r.source = NAMES_SRC_DNS;
    r.name = "from-dns";
    r.from = 0;
    r.to = NAMES_OPEN;
    names_add(h, &r);
    r.source = NAMES_SRC_KUBECTL;
    r.name = "from-kubectl";
    r.from = 10;
    r.to = 30;
    names_add(h, &r);
    r.source = NAMES_SRC_HISTORY;
    r.name = "from-history";
    r.from = 20;
    r.to = 25;
    names_add(h, &r);
    /* newer from wins within a source, whatever the order of addition */
    r.source = NAMES_SRC_KUBECTL;
    r.name = "newer-kubectl";
    r.from = 27;
    r.to = 40;
    names_add(h, &r);
    /* equal from and source: the one added last */
    r.name = "first";
    r.from = 50;
    r.to = 60;
    names_add(h, &r);
    r.name = "second";
    names_add(h, &r);
    /* a DNS name of the IP at another port still gives the IP's dns field */
    r.port = 443;
    r.kind = NAMES_K_DNS;
    r.source = NAMES_SRC_HISTORY;
    r.name = "api.example.com";
    r.from = 0;
    r.to = NAMES_OPEN;
    names_add(h, &r);
    names_seal(h);
    T_STREQ(who(h, "10.0.0.1", 5).dns, "api.example.com");
    T_STREQ(who(h, "10.0.0.1:443", 5).name, "from-dns.n");
    T_STREQ(name_at(h, "10.0.0.1", 5), "from-dns.n");
    T_STREQ(name_at(h, "10.0.0.1", 10), "from-kubectl.n");
    T_STREQ(name_at(h, "10.0.0.1", 20), "from-history.n");
    T_STREQ(name_at(h, "10.0.0.1", 24), "from-history.n");
    T_STREQ(name_at(h, "10.0.0.1", 25), "from-kubectl.n");
    T_STREQ(name_at(h, "10.0.0.1", 27), "newer-kubectl.n");
    T_STREQ(name_at(h, "10.0.0.1", 40), "from-dns.n");
    T_STREQ(name_at(h, "10.0.0.1", 55), "second.n");
    /* an IP:port record of a lower source still comes before the IP's */
    w = who(h, "10.0.0.1:53", 20);
    T_STREQ(w.name, "from-history.n");
    names_free(h);
}

TEST(overlapping_intervals)
{
    /* one address, two history records overlapping in [20 s, 30 s): the newest from wins */
    static const char text[] =
        "{\"format\": \"gencap-names/1\", \"ips\": {\"10.0.0.1\": ["
        "{\"name\": \"old\", \"namespace\": \"n\", \"kind\": \"pod\", "
        "\"from\": \"1970-01-01T00:00:10Z\", \"to\": \"1970-01-01T00:00:30Z\"},"
        "{\"name\": \"new\", \"namespace\": \"n\", \"kind\": \"pod\", "
        "\"from\": \"1970-01-01T00:00:20Z\", \"to\": null}]}}";
    struct names *h = names_new();
    struct diag d;

    T_EQ(read_text(h, text, &d), 0);
    names_seal(h);
    T_STREQ(name_at(h, "10.0.0.1", 15 * SEC), "old.n");
    T_STREQ(name_at(h, "10.0.0.1", 20 * SEC), "new.n");
    T_STREQ(name_at(h, "10.0.0.1", 29 * SEC), "new.n");
    T_STREQ(name_at(h, "10.0.0.1", 31 * SEC), "new.n");
    names_free(h);
}

static void dns(struct names *h, const char *ip, const char *name, uint64_t t)
{
    uint8_t ipver, a[16];
    uint16_t port;

    if (!names_parse_addr(ip, &ipver, a, &port))
        abort();
    names_dns_seen(h, ipver, a, name, strlen(name), t);
}

TEST(passive_dns)
{
    struct names *h = names_new();
    struct names_rec r = { 0 };
    struct names_who w;

    /* cluster names: a service, a headless service's pod */
    dns(h, "10.96.45.6", "catalogue.sock-shop.svc.cluster.local", 100 * SEC);
    dns(h, "10.1.1.5", "10-1-1-5.Catalogue.sock-shop.svc.cluster.local.", 100 * SEC);
    /* external names: only the dns field */
    dns(h, "93.184.216.34", "example.com", 100 * SEC);
    dns(h, "93.184.216.34", "example.com", 150 * SEC);
    dns(h, "93.184.216.34", "www.example.org", 200 * SEC);
    dns(h, "93.184.216.34", "example.com", 300 * SEC);
    dns(h, "93.184.216.34", "example.com", 310 * SEC);
    /* too few labels to be a cluster name */
    dns(h, "10.96.0.99", "a.svc.cluster", 100 * SEC);
    /* not names: ignored */
    dns(h, "10.96.0.98", "bad name", 100 * SEC);
    dns(h, "10.96.0.98", "", 100 * SEC);
    /* a DNS identity loses to a kubectl record of the same IP */
    dns(h, "10.1.1.2", "front-end.sock-shop.svc.cluster.local", 100 * SEC);
    r.ipver = 4;
    memcpy(r.ip, "\x0a\x01\x01\x02", 4);
    r.source = NAMES_SRC_KUBECTL;
    r.kind = NAMES_K_POD;
    r.name = "front-end-1";
    r.ns = "sock-shop";
    r.svc = "";
    r.from = 50 * SEC;
    r.to = NAMES_OPEN;
    names_add(h, &r);
    /* an external name for an IP that also has an identity */
    dns(h, "10.1.1.2", "shop.example.com", 120 * SEC);
    T_EQ(names_dns_dropped(h), 0);
    names_seal(h);

    w = who(h, "10.96.45.6:80", 0);   /* the first sighting covers earlier times */
    T_STREQ(w.name, "catalogue.sock-shop");
    T_STREQ(w.svc, "catalogue");
    T_STREQ(w.pod, "");
    T_STREQ(w.ns, "sock-shop");
    T_STREQ(w.dns, "");
    w = who(h, "10.1.1.5", 100 * SEC);
    T_STREQ(w.name, "catalogue.sock-shop");
    T_STREQ(w.pod, "10-1-1-5");
    T_STREQ(w.svc, "catalogue");
    w = who(h, "93.184.216.34:443", 120 * SEC);
    T_STREQ(w.name, "");
    T_STREQ(w.ns, "");
    T_STREQ(w.dns, "example.com");
    T_STREQ(who(h, "93.184.216.34", 10 * SEC).dns, "example.com");
    T_STREQ(who(h, "93.184.216.34", 200 * SEC - 1).dns, "example.com");
    T_STREQ(who(h, "93.184.216.34", 200 * SEC).dns, "www.example.org");
    T_STREQ(who(h, "93.184.216.34", 300 * SEC).dns, "example.com");
    T_STREQ(who(h, "93.184.216.34", 9999 * SEC).dns, "example.com");
    T_STREQ(who(h, "10.96.0.99", 100 * SEC).dns, "a.svc.cluster");
    T_STREQ(who(h, "10.96.0.99", 100 * SEC).name, "");
    T_STREQ(who(h, "10.96.0.98", 100 * SEC).dns, "");
    /* kubectl beats the DNS identity; the external name is still there */
    w = who(h, "10.1.1.2", 130 * SEC);
    T_STREQ(w.name, "front-end-1.sock-shop");
    T_STREQ(w.pod, "front-end-1");
    T_STREQ(w.dns, "shop.example.com");
    w = who(h, "10.1.1.2", 10 * SEC);
    T_STREQ(w.name, "front-end.sock-shop");
    T_STREQ(w.dns, "");
    /* records: example.com [0, 200), www.example.org [200, 300), example.com [300, open) */
    {
        size_t n = 0;

        for (size_t i = 0; i < names_count(h); i++) {
            const struct names_rec *x = names_at(h, i);

            if (x->ip[0] != 93)
                continue;
            T_EQ(x->source, NAMES_SRC_DNS);
            T_EQ(x->kind, NAMES_K_DNS);
            T_EQ(x->from, n == 0 ? 0 : n == 1 ? 200 * SEC : 300 * SEC);
            T_TRUE(x->to == (n == 0 ? 200 * SEC : n == 1 ? 300 * SEC : NAMES_OPEN));
            n++;
        }
        T_EQ(n, 3);
    }
    names_free(h);
}

/*
 * A history read back with the passive DNS of the same capture seen again
 * (ingest of a bundle's names.json) has each record once, and a record
 * repeated by names_add counts once; lookups are as they were.
 */
TEST(repeats_dropped_at_seal)
{
    struct names *a = names_new(), *b = names_new();
    struct names_rec r = { 0 };
    struct buf wa, wb;
    struct diag d;

    diag_clear(&d);
    dns(a, "10.96.45.6", "catalogue.sock-shop.svc.cluster.local", 100 * SEC);
    dns(a, "93.184.216.34", "example.com", 100 * SEC);
    dns(a, "93.184.216.34", "www.example.org", 200 * SEC);
    names_seal(a);
    buf_init(&wa, SIZE_MAX);
    buf_init(&wb, SIZE_MAX);
    T_EQ(names_write_native(a, &wa), 0);
    T_EQ(names_read_mem(b, "a.json", (const char *)wa.data, wa.len, NULL, &d), 0);
    dns(b, "10.96.45.6", "catalogue.sock-shop.svc.cluster.local", 100 * SEC);
    dns(b, "93.184.216.34", "example.com", 100 * SEC);
    dns(b, "93.184.216.34", "www.example.org", 200 * SEC);
    /* the same record twice, and one that differs only in its namespace */
    r.ipver = 4;
    memcpy(r.ip, "\x0a\x01\x01\x02", 4);
    r.source = NAMES_SRC_HISTORY;
    r.kind = NAMES_K_POD;
    r.name = "front-end-1";
    r.ns = "sock-shop";
    r.svc = "";
    r.from = 50 * SEC;
    r.to = NAMES_OPEN;
    names_add(b, &r);
    names_add(b, &r);
    r.ns = "other";
    names_add(b, &r);
    names_seal(b);
    T_EQ(names_count(b), names_count(a) + 2);
    T_STREQ(who(b, "10.1.1.2", 60 * SEC).ns, "other");     /* added last, as before */
    T_STREQ(who(b, "93.184.216.34", 250 * SEC).dns, "www.example.org");
    T_EQ(names_write_native(b, &wb), 0);
    T_TRUE(wb.len > wa.len);
    buf_release(&wa);
    buf_release(&wb);
    names_free(a);
    names_free(b);
}

TEST(add_and_seal_rules)
{
    struct names *h = names_new();
    struct names_rec r = { 0 };
    struct names_who w;
    const uint8_t ip[16] = { 10, 0, 0, 1 };

    r.ipver = 4;
    memcpy(r.ip, ip, 16);
    r.kind = NAMES_K_SERVICE;
    r.name = "a";
    r.ns = "";
    r.from = 5;
    r.to = 5;           /* empty: ignored */
    names_add(h, &r);
    r.to = 6;
    r.ipver = 5;        /* no such family: ignored */
    names_add(h, &r);
    r.ipver = 4;
    r.name = "";        /* no name: ignored */
    names_add(h, &r);
    r.name = "a";
    names_add(h, &r);
    T_EQ(names_count(h), 1);
    T_TRUE(names_at(h, 1) == NULL);
    /* not sealed yet: nothing resolves */
    names_resolve(h, 4, ip, 0, 5, &w);
    T_STREQ(w.name, "");
    names_seal(h);
    names_seal(h);
    /* an empty namespace: no dot suffix */
    names_resolve(h, 4, ip, 0, 5, &w);
    T_STREQ(w.name, "a");
    T_STREQ(w.svc, "a");
    names_add(h, &r);   /* sealed: ignored */
    T_EQ(names_count(h), 1);
    names_free(h);
    names_free(NULL);
}

T_MAIN(T_CASE(gencap_sample_resolves), T_CASE(native_round_trip), T_CASE(native_errors),
       T_CASE(malformed_json_and_detection), T_CASE(ip_port_before_ip),
       T_CASE(ip_fallback_for_destinations), T_CASE(kubeshark_history), T_CASE(kubeshark_errors),
       T_CASE(kubeshark_writer), T_CASE(kubectl_dumps), T_CASE(kubectl_merge_rules),
       T_CASE(kubectl_moments),
       T_CASE(kubectl_errors), T_CASE(kubectl_single_objects_and_slices), T_CASE(precedence),
       T_CASE(overlapping_intervals), T_CASE(passive_dns), T_CASE(repeats_dropped_at_seal),
       T_CASE(add_and_seal_rules))
