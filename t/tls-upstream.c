/*
 * tls-upstream.c -- sluice speaking TLS to origins, for absolute-form
 * https:// requests on an http_port: verified against the trust store
 * (tls_outgoing_options cafile=), SNI for names and none for IP literals
 * (checked against IP SANs), the URL and the cache key keep the scheme
 * (a second request is a hit), TLS connections are pooled apart from
 * plain ones and reused, a reused one that turns out dead is retried
 * like a plain one; expired, wrong-name, self-signed and untrusted-CA
 * certificates and a TLS 1.0 origin get 503 ERR_SECURE_CONNECT_FAIL with
 * the reason in cache.log, never the origin's bytes, never stored.
 *
 * Integration test: a real sluice, the test PKI, TLS origins, the fake
 * DNS, raw clients (curl would tunnel https:// with CONNECT).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/ssl.h>

#include "fakedns.h"
#include "harness.h"
#include "origin.h"
#include "raw.h"
#include "tap.h"
#include "tlspki.h"

static const struct origin_step steps[] = {
	{ .expect = "GET /v", .status = 200, .body = "verified",
	    .headers = "Cache-Control: max-age=3600\r\n" },
	{ .expect = "GET /k1", .status = 200, .body = "k1" },
	{ .expect = "GET /k2", .status = 200, .body = "k2" },
	/* A pooled connection dies under a GET: sent again, once. */
	{ .expect = "GET /r", .flags = ORIGIN_NO_RESPONSE },
	{ .expect = "GET /r", .status = 200, .body = "retried" },
	{ .expect = "GET /ip", .status = 200, .body = "by address" },
	/* RFC 9111 §4.4 for https:// URLs: a Location invalidates */
	{ .expect = "POST /up", .status = 201, .body = "created",
	    .headers = "Location: /v\r\n" },
	{ .expect = "GET /v", .status = 200, .body = "verified again",
	    .headers = "Cache-Control: max-age=3600\r\n" },
};

static const struct origin_step bad_steps[] = {
	{ .expect = "GET /never", .status = 200, .body = "must not be seen" },
};

static const int bad_leaf[] = { TLSPKI_EXPIRED, TLSPKI_WRONG_NAME,
    TLSPKI_SELF_SIGNED, TLSPKI_UNTRUSTED };
static const char *const bad_why[] = { "certificate has expired",
    "hostname mismatch", "self-signed certificate",
    "unable to get local issuer certificate" };

/* One request on a new client connection. @return the status. */
static int
get(struct harness *h, const char *target, const char *host,
    const char *extra, struct raw_resp *r)
{
	struct raw c;
	char req[1024];
	int st;

	if (raw_open(&c, h->port[0]) == -1)
		bail_out("cannot connect to sluice");
	snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: %s\r\n%s\r\n",
	    target, host, extra != NULL ? extra : "");
	raw_sends(&c, req);
	st = raw_read_resp(&c, r, 0, 10000);
	raw_close(&c);
	return st;
}

int
main(void)
{
	struct harness h;
	struct tlspki pki;
	struct origin *o, *bad, *old;
	struct origin_tls t;
	struct fakedns *d;
	struct raw_resp r;
	const struct origin_req *rq;
	char url[256], host[64], *line, want[256];
	size_t i;
	int st, n;

	plan(29 + 4 * 5 + 6 * ORIGIN_FINISH_TESTS + HARNESS_STOP_TESTS +
	    HARNESS_END_TESTS);
	harness_init(&h, 1);
	if (tlspki_make(&pki, h.dir) == -1)
		bail_out("cannot make the test PKI");
	memset(&t, 0, sizeof(t));
	t.cert = pki.pem[TLSPKI_GOOD];
	t.key = pki.key[TLSPKI_GOOD];
	o = origin_start_tls(steps, sizeof(steps) / sizeof(steps[0]), &t);
	d = fakedns_start();
	fakedns_add(d, "origin.test");
	harness_set(&h, "DNS", "%d", fakedns_port(d));
	harness_conf(&h, "dns_nameservers 127.0.0.1:%DNS%\n"
	    "tls_outgoing_options cafile=%DIR%/ca.pem\n"
	    "cache_dir lmdb %DIR%/cache 64\n"
	    "debug_options ALL,2\n"
	    "http_access allow localhost\nhttp_access deny all\n");
	if (harness_start(&h) == -1)
		bail_out("sluice did not start");
	snprintf(host, sizeof(host), "origin.test:%d", origin_port(o));

	/* Verified, by name, with SNI; the URL keeps the scheme. */
	snprintf(url, sizeof(url), "https://%s/v", host);
	st = get(&h, url, host, NULL, &r);
	is_int(st, 200, "GET https://origin.test/v in absolute form: 200");
	is_str(r.body, "verified", "... the origin's body, over verified TLS");
	like(raw_resp_header(&r, "Via"), "sluice-test", "... through the "
	    "proxy (Via)");
	raw_resp_free(&r);
	rq = origin_req(o, 0);
	ok(rq != NULL && rq->tls, "the origin got it over TLS");
	is_str(rq != NULL ? rq->sni : NULL, "origin.test", "... with SNI "
	    "origin.test");
	like(rq != NULL ? rq->head : NULL, "GET /v HTTP/1.1", "... in "
	    "origin-form");
	snprintf(want, sizeof(want), "\nHost: %s\r\n", host);
	like(rq != NULL ? rq->head : NULL, want, "... Host with the port "
	    "(not https's 443)");
	line = harness_log_wait(&h, "TCP_MISS/200", url, NULL);
	ok(line != NULL, "access log: TCP_MISS/200 GET %s", url);
	free(line);
	st = get(&h, url, host, NULL, &r);
	is_int(st, 200, "the same URL again: 200");
	like(raw_resp_header(&r, "Cache-Status"), "hit", "... a hit: the "
	    "cache key is the https:// URL");
	raw_resp_free(&r);
	line = harness_log_wait(&h, "TCP_HIT/200", url, NULL);
	ok(line != NULL, "access log: TCP_HIT/200 GET %s", url);
	free(line);

	/* The pool: TLS connections are kept and reused. */
	snprintf(url, sizeof(url), "https://%s/k1", host);
	is_int(get(&h, url, host, NULL, &r), 200, "k1: 200");
	raw_resp_free(&r);
	snprintf(url, sizeof(url), "https://%s/k2", host);
	is_int(get(&h, url, host, NULL, &r), 200, "k2 from another client "
	    "connection: 200");
	raw_resp_free(&r);
	is_int(origin_nconn(o), 1, "the origin saw one TLS connection for "
	    "v, k1 and k2: pooled and reused");
	line = harness_file_wait(h.cache_log, 2000, "reusing the connection",
	    "https://", NULL);
	ok(line != NULL, "cache.log says the TLS connection was reused");
	free(line);

	/* A plain http:// request never takes the pooled TLS connection. */
	snprintf(url, sizeof(url), "http://%s/plain", host);
	st = get(&h, url, host, NULL, &r);
	is_int(st, 502, "http:// to the TLS port: 502 (a new plain "
	    "connection, not the pooled TLS one)");
	raw_resp_free(&r);
	is_int(origin_nconn(o), 2, "... the origin saw a second connection");
	for (n = 0; n < 100 && origin_tls_failed(o) < 1; n++)
		harness_msleep(20);
	is_int(origin_tls_failed(o), 1, "... whose handshake failed there");

	/* A dead pooled TLS connection: retried once on a fresh one. */
	snprintf(url, sizeof(url), "https://%s/r", host);
	st = get(&h, url, host, NULL, &r);
	is_int(st, 200, "a GET whose pooled TLS connection dies: 200");
	is_str(r.body, "retried", "... the answer of the retry");
	raw_resp_free(&r);
	is_int(origin_nconn(o), 3, "... on a fresh TLS connection");
	line = harness_file_wait(h.cache_log, 2000, "sending it again", NULL);
	ok(line != NULL, "cache.log: sent again on a new connection");
	free(line);

	/* An IP literal: no SNI, verified against the IP SAN. */
	snprintf(url, sizeof(url), "https://127.0.0.1:%d/ip", origin_port(o));
	snprintf(want, sizeof(want), "127.0.0.1:%d", origin_port(o));
	st = get(&h, url, want, NULL, &r);
	is_int(st, 200, "https://127.0.0.1/ip: 200 (IP SAN)");
	raw_resp_free(&r);
	rq = origin_req(o, origin_nreq(o) - 1);
	ok(rq != NULL && rq->tls && rq->sni == NULL, "... and no SNI "
	    "(RFC 6066 §3)");

	/* A POST's Location invalidates the https:// URL it names. */
	{
		struct raw c;
		char req[512];

		if (raw_open(&c, h.port[0]) == -1)
			bail_out("cannot connect to sluice");
		snprintf(req, sizeof(req), "POST https://%s/up HTTP/1.1\r\n"
		    "Host: %s\r\nContent-Length: 1\r\n\r\nx", host, host);
		raw_sends(&c, req);
		is_int(raw_read_resp(&c, &r, 0, 10000), 201, "POST https://"
		    "origin.test/up: 201 with Location: /v");
		raw_resp_free(&r);
		raw_close(&c);
	}
	snprintf(url, sizeof(url), "https://%s/v", host);
	st = get(&h, url, host, NULL, &r);
	ok(st == 200 && r.body != NULL && strcmp(r.body, "verified again")
	    == 0, "the stored https://origin.test/v was invalidated: fetched "
	    "again (RFC 9111 §4.4)");
	raw_resp_free(&r);

	/* Bad certificates: 503, the reason logged, nothing stored. */
	for (i = 0; i < sizeof(bad_leaf) / sizeof(bad_leaf[0]); i++) {
		t.cert = pki.pem[bad_leaf[i]];
		t.key = pki.key[bad_leaf[i]];
		bad = origin_start_tls(bad_steps, 0, &t);
		snprintf(host, sizeof(host), "origin.test:%d",
		    origin_port(bad));
		snprintf(url, sizeof(url), "https://%s/never", host);
		st = get(&h, url, host, NULL, &r);
		is_int(st, 503, "%s origin: 503", tlspki_name(bad_leaf[i]));
		is_str(raw_resp_header(&r, "X-Sluice-Error"),
		    "ERR_SECURE_CONNECT_FAIL", "... ERR_SECURE_CONNECT_FAIL");
		unlike(r.body, "must not be seen", "... none of the origin's "
		    "bytes");
		raw_resp_free(&r);
		line = harness_file_wait(h.cache_log, 2000, "TLS to",
		    host, bad_why[i], NULL);
		ok(line != NULL, "... cache.log: %s", line != NULL ?
		    strstr(line, "failed:") : bad_why[i]);
		free(line);
		st = get(&h, url, host, "Cache-Control: only-if-cached\r\n",
		    &r);
		is_int(st, 504, "... nothing was stored (only-if-cached: 504)");
		raw_resp_free(&r);
		origin_finish(bad);
		origin_free(bad);
	}

	/* An origin that speaks TLS 1.0 only. */
	t.cert = pki.pem[TLSPKI_GOOD];
	t.key = pki.key[TLSPKI_GOOD];
	t.max_version = TLS1_VERSION;
	old = origin_start_tls(bad_steps, 0, &t);
	snprintf(host, sizeof(host), "origin.test:%d", origin_port(old));
	snprintf(url, sizeof(url), "https://%s/never", host);
	st = get(&h, url, host, NULL, &r);
	is_int(st, 503, "a TLS 1.0 origin: 503 (TLS 1.2 at least)");
	raw_resp_free(&r);
	line = harness_file_wait(h.cache_log, 2000, "TLS to", host,
	    "no TLS version in common", NULL);
	ok(line != NULL, "... cache.log says no version is shared");
	free(line);
	origin_finish(old);
	origin_free(old);
	ok(harness_file_count(h.access_log, "TCP_HIT") == 1, "one hit in "
	    "all (https://origin.test/v)");

	harness_stop(&h);
	origin_finish(o);
	origin_free(o);
	fakedns_stop(d);
	tlspki_free(&pki);
	harness_end(&h);
	return exit_status();
}
