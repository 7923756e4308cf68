/*
 * tls-bump.c -- ssl-bump of chosen CONNECTs: a CONNECT the ssl_bump rules
 * do not bump is spliced (the client sees the origin's own certificate);
 * a bumped one gets a certificate minted for its name, chaining to the
 * port's CA, and its requests go through the request path as https://
 * URLs: the access log shows them, the ACLs see proto HTTPS, the cache
 * stores them (a second client's request is a hit, 1 KiB and 1 MiB),
 * keep-alive works inside; an SNI other than the CONNECT host is
 * refused, no SNI gets the CONNECT host; an origin whose certificate does
 * not verify gets the client a 503 over the minted certificate, nothing
 * stored; and the handshake grader: everything the bumped side accepts
 * is something the origin side offers, nothing weak ("never weaker than
 * the direct connection").
 *
 * Integration test: a real sluice, the test PKI and a bump CA, TLS
 * origins, the fake DNS, libcurl, raw TLS clients, the TLS grader.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "client.h"
#include "fakedns.h"
#include "harness.h"
#include "origin.h"
#include "raw.h"
#include "tap.h"
#include "tlsgrade.h"
#include "tlspki.h"

#define BIG	(1 << 20)
#define UP	(256 << 10)

static const struct origin_step steps[] = {
	{ .expect = "GET /s", .status = 200, .body = "spliced" },
	{ .expect = "GET /c", .status = 200, .body = "cached over bump",
	    .headers = "Cache-Control: max-age=3600\r\n" },
	{ .expect = "GET /c2", .status = 200, .body = "second inside" },
	{ .expect = "POST /echo", .status = 200, .flags = ORIGIN_ECHO },
	{ .expect = "GET /big", .status = 200, .body_len = BIG,
	    .headers = "Cache-Control: max-age=3600\r\n" },
	{ .expect = "GET /nosni", .status = 200, .body = "no sni" },
	/* stale-while-revalidate inside a bumped connection */
	{ .expect = "GET /swr", .status = 200, .body = "swr1",
	    .headers = "Cache-Control: max-age=1, stale-while-revalidate=60"
	    "\r\nAge: 10\r\n" },
	{ .expect = "GET /swr", .status = 200, .body = "swr2",
	    .headers = "Cache-Control: max-age=600\r\n" },
};

static const struct origin_step bad_steps[] = {
	{ .expect = "GET /never", .status = 200, .body = "must not be seen" },
};

/* CONNECT @p target on a new connection to sluice; 200 expected. */
static int
tunnel(struct harness *h, struct raw *c, const char *target)
{
	struct raw_resp r;
	char req[300];
	int st;

	if (raw_open(c, h->port[0]) == -1)
		bail_out("cannot connect to sluice");
	snprintf(req, sizeof(req), "CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n",
	    target, target);
	raw_sends(c, req);
	st = raw_read_head(c, &r, 5000);
	raw_resp_free(&r);
	return st;
}

/* GET @p path inside the (TLS) connection @p c. */
static int
get(struct raw *c, const char *path, const char *host, const char *extra,
    struct raw_resp *r)
{
	char req[600];

	snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: %s\r\n%s\r\n",
	    path, host, extra != NULL ? extra : "");
	raw_sends(c, req);
	return raw_read_resp(c, r, 0, 10000);
}

/* The issuer's CN of @p x. */
static const char *
issuer_cn(void *x, char *buf, size_t size)
{
	buf[0] = '\0';
	if (x == NULL || X509_NAME_get_text_by_NID(X509_get_issuer_name(x),
	    NID_commonName, buf, (int)size) < 0)
		return "(none)";
	return buf;
}

/* The standard name of the suite OpenSSL calls @p name. */
static const char *
std_name(const char *name)
{
	static char out[128];
	SSL_CTX *x = SSL_CTX_new(TLS_method());
	SSL *s = SSL_new(x);
	STACK_OF(SSL_CIPHER) *sk;
	int j;

	snprintf(out, sizeof(out), "%s", name);	/* 1.3: the same name */
	SSL_set_cipher_list(s, "ALL:COMPLEMENTOFALL:@SECLEVEL=0");
	sk = SSL_get_ciphers(s);
	for (j = 0; j < sk_SSL_CIPHER_num(sk); j++)
		if (strcmp(SSL_CIPHER_get_name(sk_SSL_CIPHER_value(sk, j)),
		    name) == 0)
			snprintf(out, sizeof(out), "%s",
			    SSL_CIPHER_standard_name(sk_SSL_CIPHER_value(sk,
			    j)));
	SSL_free(s);
	SSL_CTX_free(x);
	return out;
}

int
main(void)
{
	struct harness h;
	struct tlspki pki;
	struct origin *o, *bad;
	struct origin_tls t;
	struct fakedns *d;
	struct client *cl;
	struct client_req q;
	struct client_resp cr;
	struct raw c;
	struct raw_resp r;
	struct raw_tls_opts opts;
	struct tlsgrade_capture *cap;
	struct tlsgrade_hello hello;
	struct tlsgrade_report rb;
	X509 *bca;
	EVP_PKEY *bkey;
	char bump_pem[300], bump_key[300], target[128], url[256], cn[256];
	char *line, weak[1024], body[UP];
	int i, j, found, missing, badv;

	plan(55 + 2 * ORIGIN_FINISH_TESTS + HARNESS_STOP_TESTS +
	    HARNESS_END_TESTS);
	harness_init(&h, 1);
	if (tlspki_make(&pki, h.dir) == -1)
		bail_out("cannot make the test PKI");
	snprintf(bump_pem, sizeof(bump_pem), "%s/bump-ca.pem", h.dir);
	snprintf(bump_key, sizeof(bump_key), "%s/bump-ca.key", h.dir);
	if (tlspki_make_ca("sluice test bump CA", bump_pem, bump_key, &bca,
	    &bkey) == -1)
		bail_out("cannot make the bump CA");
	memset(&t, 0, sizeof(t));
	t.cert = pki.pem[TLSPKI_GOOD];
	t.key = pki.key[TLSPKI_GOOD];
	o = origin_start_tls(steps, sizeof(steps) / sizeof(steps[0]), &t);
	t.cert = pki.pem[TLSPKI_EXPIRED];
	t.key = pki.key[TLSPKI_EXPIRED];
	bad = origin_start_tls(bad_steps, 0, &t);
	d = fakedns_start();
	fakedns_add(d, "origin.test");
	fakedns_add(d, "a.wild.test");
	fakedns_add(d, "capture.test");
	harness_set(&h, "DNS", "%d", fakedns_port(d));
	harness_conf(&h,
	    "http_port 127.0.0.1:%PORT% ssl-bump "
	    "tls-cert=%DIR%/bump-ca.pem tls-key=%DIR%/bump-ca.key "
	    "generate-host-certificates=on\n"
	    "dns_nameservers 127.0.0.1:%DNS%\n"
	    "tls_outgoing_options cafile=%DIR%/ca.pem\n"
	    "cache_dir lmdb %DIR%/cache 64\n"
	    "acl bumped dstdomain origin.test capture.test\n"
	    "acl https proto HTTPS\n"
	    "acl blocked url_regex ^https://origin\\.test:[0-9]+/blocked$\n"
	    "ssl_bump bump bumped\n"
	    "ssl_bump splice all\n"
	    "http_access deny https blocked\n"
	    "http_access allow localhost\n"
	    "http_access deny all\n");
	if (harness_start(&h) == -1)
		bail_out("sluice did not start");

	/* Not bumped: a tunnel, the origin's own certificate. */
	snprintf(target, sizeof(target), "a.wild.test:%d", origin_port(o));
	is_int(tunnel(&h, &c, target), 200, "CONNECT a.wild.test (not "
	    "bumped): 200");
	memset(&opts, 0, sizeof(opts));
	opts.sni = "a.wild.test";
	opts.cafile = pki.ca_pem;
	opts.verify_host = "a.wild.test";
	ok(raw_tls(&c, &opts, 5000) == 0, "... TLS verified against the "
	    "origin's CA (%s)", c.tls_error);
	is_str(issuer_cn(raw_tls_peer(&c), cn, sizeof(cn)), "sluice test CA",
	    "... the origin's certificate, end to end");
	is_int(get(&c, "/s", target, NULL, &r), 200, "... GET /s: 200");
	ok(raw_resp_header(&r, "Via") == NULL, "... from the origin itself "
	    "(no Via): spliced");
	raw_resp_free(&r);
	raw_close(&c);

	/* Bumped: a minted certificate; requests through the proxy. */
	snprintf(target, sizeof(target), "origin.test:%d", origin_port(o));
	is_int(tunnel(&h, &c, target), 200, "CONNECT origin.test (bumped): "
	    "200");
	memset(&opts, 0, sizeof(opts));
	opts.sni = "origin.test";
	opts.cafile = bump_pem;
	opts.verify_host = "origin.test";
	ok(raw_tls(&c, &opts, 5000) == 0, "... TLS verified against the bump "
	    "CA, for origin.test (%s)", c.tls_error);
	is_str(issuer_cn(raw_tls_peer(&c), cn, sizeof(cn)),
	    "sluice test bump CA", "... a certificate the bump CA signed");
	ok(raw_tls_peer(&c) != NULL && X509_check_host(raw_tls_peer(&c),
	    "origin.test", 0, 0, NULL) == 1, "... for origin.test");
	is_int(get(&c, "/c", target, NULL, &r), 200, "GET /c inside: 200");
	is_str(r.body, "cached over bump", "... the origin's body");
	like(raw_resp_header(&r, "Via"), "sluice-test", "... through the "
	    "proxy (Via)");
	raw_resp_free(&r);
	is_int(get(&c, "/c2", target, NULL, &r), 200, "a second request on "
	    "the bumped connection: 200 (keep-alive)");
	is_str(r.body, "second inside", "... its body");
	raw_resp_free(&r);
	is_int(get(&c, "/blocked", target, NULL, &r), 403, "an acl on proto "
	    "HTTPS and the https:// URL denies /blocked: 403");
	raw_resp_free(&r);
	memset(body, 'b', sizeof(body));
	{
		char req[256];

		snprintf(req, sizeof(req), "POST /echo HTTP/1.1\r\nHost: %s\r\n"
		    "Content-Length: %d\r\n\r\n", target, UP);
		raw_sends(&c, req);
		raw_send(&c, body, sizeof(body));
		is_int(raw_read_resp(&c, &r, 0, 10000), 200, "a POST of 256 "
		    "KiB inside: 200");
		ok(r.body_len == UP && memcmp(r.body, body, UP) == 0,
		    "... echoed whole (%zu bytes)", r.body_len);
		raw_resp_free(&r);
	}
	raw_close(&c);
	snprintf(url, sizeof(url), "GET https://origin.test:%d/c ",
	    origin_port(o));
	line = harness_log_wait(&h, "TCP_MISS/200", url, NULL);
	ok(line != NULL, "access log: TCP_MISS/200 %s", url);
	free(line);
	line = harness_log_wait(&h, "NONE_NONE/200", "CONNECT origin.test",
	    NULL);
	ok(line != NULL, "access log: the bumped CONNECT (NONE_NONE/200)");
	free(line);
	is_int(harness_file_count(h.access_log, "TCP_TUNNEL/200"), 1,
	    "access log: one tunnel (the spliced CONNECT)");

	/* A second client (curl, trusting the bump CA): hits. */
	cl = client_new(h.port[0]);
	client_tls(cl, bump_pem, NULL, 0, 0);
	memset(&q, 0, sizeof(q));
	snprintf(url, sizeof(url), "https://origin.test:%d/c",
	    origin_port(o));
	q.url = url;
	is_int(client_do(cl, &q, &cr), 200, "curl through the bump: 200");
	like(client_resp_header(&cr, "Cache-Status"), "hit", "... a hit "
	    "stored by the first client");
	client_resp_free(&cr);
	snprintf(url, sizeof(url), "https://origin.test:%d/big",
	    origin_port(o));
	is_int(client_do(cl, &q, &cr), 200, "curl GET /big (1 MiB): 200");
	ok(cr.body_len == BIG && cr.body_hash == harness_pattern_hash(BIG),
	    "... whole");
	is_int(cr.num_connects, 0, "... on the same bumped connection");
	client_resp_free(&cr);
	client_free(cl);
	cl = client_new(h.port[0]);
	client_tls(cl, bump_pem, NULL, 0, 0);
	is_int(client_do(cl, &q, &cr), 200, "another client, /big: 200");
	ok(cr.body_len == BIG && cr.body_hash == harness_pattern_hash(BIG),
	    "... whole, from the cache");
	like(client_resp_header(&cr, "Cache-Status"), "hit", "... a hit");
	client_resp_free(&cr);
	client_free(cl);
	snprintf(url, sizeof(url), "https://origin.test:%d/big",
	    origin_port(o));
	line = harness_log_wait(&h, "TCP_HIT/200", url, NULL);
	ok(line != NULL, "access log: TCP_HIT/200 GET %s", url);
	free(line);

	/* Without SNI: the CONNECT host's name. */
	snprintf(target, sizeof(target), "origin.test:%d", origin_port(o));
	is_int(tunnel(&h, &c, target), 200, "CONNECT origin.test again");
	memset(&opts, 0, sizeof(opts));
	opts.cafile = bump_pem;
	opts.verify_host = "origin.test";
	ok(raw_tls(&c, &opts, 5000) == 0, "... a client without SNI gets a "
	    "certificate for the CONNECT host (%s)", c.tls_error);
	is_int(get(&c, "/nosni", target, NULL, &r), 200, "... and is served");
	raw_resp_free(&r);

	/* A stale hit inside: revalidated behind, by the same origin. */
	is_int(get(&c, "/swr", target, NULL, &r), 200, "/swr stored (stale "
	    "within its stale-while-revalidate window)");
	raw_resp_free(&r);
	get(&c, "/swr", target, NULL, &r);
	ok(r.body != NULL && strcmp(r.body, "swr1") == 0 &&
	    raw_resp_header(&r, "Cache-Status") != NULL &&
	    strstr(raw_resp_header(&r, "Cache-Status"),
	    "stale-while-revalidate") != NULL, "... answered stale at once");
	raw_resp_free(&r);
	snprintf(url, sizeof(url), "https://origin.test:%d/swr",
	    origin_port(o));
	/* No validators stored: fetched again, whole (TCP_MISS). */
	ok(harness_file_wait_count(h.access_log, url, 3, 10000) == 3,
	    "... and fetched again in the background over TLS, as the bumped "
	    "connection's request (a third line for it)");
	get(&c, "/swr", target, NULL, &r);
	ok(r.body != NULL && strcmp(r.body, "swr2") == 0, "then the new one "
	    "(%s)", r.body ? r.body : "(none)");
	raw_resp_free(&r);
	raw_close(&c);

	/* An SNI for another name: refused. */
	is_int(tunnel(&h, &c, target), 200, "CONNECT origin.test, then ...");
	memset(&opts, 0, sizeof(opts));
	opts.sni = "other.test";
	ok(raw_tls(&c, &opts, 5000) == -1, "... SNI other.test: the "
	    "handshake is refused (%s)", c.tls_error);
	raw_close(&c);
	line = harness_file_wait(h.cache_log, 2000, "bumped CONNECT",
	    "SNI other.test is not the CONNECT host", NULL);
	ok(line != NULL, "cache.log: %s", line != NULL ?
	    strstr(line, "bumped") : "(none)");
	free(line);

	/* The origin's certificate (origin.test) expired: 503, over ours. */
	snprintf(target, sizeof(target), "origin.test:%d", origin_port(bad));
	is_int(tunnel(&h, &c, target), 200, "CONNECT to the origin with the "
	    "expired certificate (bumped): 200");
	memset(&opts, 0, sizeof(opts));
	opts.sni = "origin.test";
	opts.cafile = bump_pem;
	opts.verify_host = "origin.test";
	ok(raw_tls(&c, &opts, 5000) == 0, "... the client's TLS is with the "
	    "proxy, on a minted certificate (%s)", c.tls_error);
	is_int(get(&c, "/never", target, NULL, &r), 503, "... GET /never: "
	    "503, the origin's certificate expired");
	is_str(raw_resp_header(&r, "X-Sluice-Error"), "ERR_SECURE_CONNECT_FAIL",
	    "... ERR_SECURE_CONNECT_FAIL");
	unlike(r.body, "must not be seen", "... never the origin's bytes");
	raw_resp_free(&r);
	is_int(get(&c, "/never", target, "Cache-Control: only-if-cached\r\n",
	    &r), 504, "... nothing stored (only-if-cached: 504)");
	raw_resp_free(&r);
	raw_close(&c);
	line = harness_file_wait(h.cache_log, 2000, "TLS to", target,
	    "certificate has expired", NULL);
	ok(line != NULL, "cache.log has the reason");
	free(line);

	/* The grader: what sluice offers origins... */
	if ((cap = tlsgrade_capture_start()) == NULL)
		bail_out("capture server");
	snprintf(target, sizeof(target), "capture.test:%d",
	    tlsgrade_capture_port(cap));
	is_int(tunnel(&h, &c, target), 200, "CONNECT capture.test (bumped)");
	memset(&opts, 0, sizeof(opts));
	opts.sni = "capture.test";
	opts.cafile = bump_pem;
	ok(raw_tls(&c, &opts, 5000) == 0, "... TLS with the proxy");
	is_int(get(&c, "/", target, NULL, &r), 503, "... GET /: 503 (the "
	    "capture server refuses after the ClientHello)");
	raw_resp_free(&r);
	raw_close(&c);
	is_int(tlsgrade_capture_finish(cap, &hello), 0, "the origin side's "
	    "ClientHello was captured");
	for (i = badv = 0; i < hello.nversions; i++)
		if (hello.versions[i] != TLS1_2_VERSION &&
		    hello.versions[i] != TLS1_3_VERSION)
			badv++;
	ok(hello.nversions == 2 && badv == 0, "... it offers TLS 1.3 and 1.2 "
	    "only");
	is_str(hello.sni, "capture.test", "... with SNI capture.test");

	/* ... and what its bumped side accepts, through CONNECT. */
	snprintf(target, sizeof(target), "origin.test:%d", origin_port(o));
	tlsgrade_via_connect(target);
	i = tlsgrade_server(h.port[0], "origin.test", &rb);
	is_int(i, 0, "grader: every (version, suite) offered to the bumped "
	    "side, %d probes", rb.probes);
	tlsgrade_via_connect(NULL);
	is_int(tlsgrade_weak(&rb, weak, sizeof(weak)), 0, "the bumped side "
	    "accepts nothing weak %s", weak);
	for (i = missing = badv = 0; i < rb.n; i++) {
		const char *std = std_name(rb.acc[i].cipher);

		for (j = found = 0; j < hello.nciphers; j++)
			if (strcmp(hello.cipher_names[j], std) == 0)
				found = 1;
		for (j = 0; j < hello.nversions; j++)
			if (hello.versions[j] == rb.acc[i].version)
				found |= 2;
		if (found != 3) {
			diag("accepted by the bumped side, not offered to "
			    "origins: 0x%04x %s", rb.acc[i].version, std);
			missing++;
		}
	}
	ok(rb.n > 0 && missing == 0, "every (version, suite) the bumped side "
	    "accepts (%d) is one the origin side offers: never weaker than "
	    "direct", rb.n);

	harness_stop(&h);
	origin_finish(o);
	origin_finish(bad);
	origin_free(o);
	origin_free(bad);
	fakedns_stop(d);
	X509_free(bca);
	EVP_PKEY_free(bkey);
	tlspki_free(&pki);
	harness_end(&h);
	return exit_status();
}
