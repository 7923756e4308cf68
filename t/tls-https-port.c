/*
 * tls-https-port.c -- clients speaking TLS to the proxy (https_port):
 * Basic proxy authentication over TLS (curl --proxy https://...
 * --proxy-cacert --proxy-user), keep-alive, a CONNECT tunnel inside the
 * TLS connection (the origin's certificate end to end), large bodies both
 * ways and cache hits through the TLS layer (sendfile's copy path), two
 * requests in one TLS record (bytes OpenSSL holds are served without a
 * new epoll event), a long tunnel inside TLS to a client with a small
 * receive buffer while the client asks for key updates (TLS 1.3
 * KeyUpdate; writes that wait, then go on), close_notify after a body
 * that ends at the close and
 * none after a body cut short (the client can tell), and hostile
 * handshakes: garbage, a truncated
 * ClientHello, a TLS 1.0 client and a silent one are each closed with one
 * cache.log line, and the worker goes on.
 *
 * Integration test: a real sluice, the test PKI, the scripted origins
 * (plain and TLS), libcurl and a raw TLS client.
 */
#include <sys/socket.h>

#include <crypt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "client.h"
#include "echo.h"
#include "harness.h"
#include "origin.h"
#include "raw.h"
#include "tap.h"
#include "tlspki.h"

#define BIG	(4 << 20)
#define UP	(1 << 20)
#define HIT	(1 << 20)

static const struct origin_step steps[] = {
	{ .expect = "GET /a", .status = 200, .body = "over https_port" },
	{ .expect = "GET /b", .status = 200, .body = "again" },
	{ .expect = "POST /up", .status = 200, .flags = ORIGIN_ECHO },
	{ .expect = "GET /big", .status = 200, .body_len = BIG,
	    .flags = ORIGIN_CHUNKED },
	{ .expect = "GET /hit", .status = 200, .body_len = HIT,
	    .headers = "Cache-Control: max-age=3600\r\n" },
	{ .expect = "GET /small", .status = 200, .body = "small and cached",
	    .headers = "Cache-Control: max-age=3600\r\n" },
	{ .expect = "GET /p1", .status = 200, .body = "first" },
	{ .expect = "GET /p2", .status = 200, .body = "second" },
	{ .expect = "GET /eof", .status = 200, .body = "until the close",
	    .flags = ORIGIN_NO_LENGTH },
	{ .expect = "GET /cut", .flags = ORIGIN_RAW,
	    .body = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort" },
	{ .expect = "GET /after", .status = 200, .body = "still serving" },
};

static const struct origin_step tsteps[] = {
	{ .expect = "GET /t", .status = 200, .body = "through the tunnel" },
};

static const char auth[] = "Proxy-Authorization: Basic YWxpY2U6c2VjcmV0\r\n";

/* A real ClientHello's first bytes, from a memory BIO. */
static size_t
client_hello(unsigned char *buf, size_t size)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	BIO *rb = BIO_new(BIO_s_mem()), *wb = BIO_new(BIO_s_mem());
	SSL *ssl = SSL_new(ctx);
	int n;

	SSL_set_bio(ssl, rb, wb);
	(void)SSL_connect(ssl);
	n = BIO_read(wb, buf, (int)size);
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	ERR_clear_error();
	return n > 0 ? (size_t)n : 0;
}

/*
 * Send @p n pattern bytes through the tunnel in @p c and read them back,
 * reading between the chunks (bounded waits only).
 * @return 0 all came back, -1 not.
 */
static int
echo_round(struct raw *c, size_t n, size_t *got, uint64_t *hash)
{
	char out[4096], in[16384];
	size_t sent = 0, k;
	ssize_t r;

	*got = 0;
	*hash = 0;
	while (*got < n) {
		if (sent < n) {
			k = n - sent < sizeof(out) ? n - sent : sizeof(out);
			harness_pattern(out, sent, k);
			if (raw_send(c, out, k) == -1)
				return -1;
			sent += k;
		}
		r = raw_read(c, in, sizeof(in), sent < n ? 0 : 5000);
		if (r > 0) {
			*hash = harness_hash(*hash, in, (size_t)r);
			*got += (size_t)r;
		} else if (r == 0 || sent == n)
			return -1;	/* EOF, or nothing more within 5 s */
	}
	return 0;
}

/* Lines of cache.log about failed https_port handshakes. */
static int
failures(struct harness *h, int want)
{
	return harness_file_wait_count(h->cache_log, "TLS handshake failed",
	    want, 5000);
}

int
main(void)
{
	struct harness h;
	struct tlspki pki;
	struct origin *o, *to;
	struct echo *e;
	struct origin_tls t;
	struct client *cl;
	struct client_req q;
	struct client_resp r;
	struct raw c;
	struct raw_resp rr;
	struct raw_tls_opts opts;
	const struct origin_req *rq;
	unsigned char hello[2048];
	char url[256], text[8192], pad[6001], *line, salt[64];
	const char *hash;
	size_t n;
	int small = 4096;
	long st;

	plan(47 + 2 * ORIGIN_FINISH_TESTS + HARNESS_STOP_TESTS +
	    HARNESS_END_TESTS);
	harness_init(&h, 2);
	if (tlspki_make(&pki, h.dir) == -1)
		bail_out("cannot make the test PKI");
	o = origin_start(steps, sizeof(steps) / sizeof(steps[0]));
	memset(&t, 0, sizeof(t));
	t.cert = pki.pem[TLSPKI_GOOD];
	t.key = pki.key[TLSPKI_GOOD];
	to = origin_start_tls(tsteps, 1, &t);
	e = echo_start();

	if (crypt_gensalt_rn("$6$", 0, NULL, 0, salt, sizeof(salt)) == NULL ||
	    (hash = crypt("secret", salt)) == NULL)
		bail_out("crypt failed");
	snprintf(text, sizeof(text), "alice:%s\n", hash);
	harness_write(&h, "htpasswd", text, NULL);
	harness_set(&h, "OPORT", "%d", origin_port(o));
	harness_conf(&h,
	    "http_port 127.0.0.1:%PORT%\n"
	    "https_port 127.0.0.1:%PORT1% tls-cert=%DIR%/good.pem "
	    "tls-key=%DIR%/good.key\n"
	    "request_timeout 2 seconds\n"
	    "cache_dir lmdb %DIR%/cache 64\n"
	    "auth_param basic program basic_file %DIR%/htpasswd\n"
	    "acl users proxy_auth REQUIRED\n"
	    "http_access allow localhost users\n"
	    "http_access deny all\n");
	if (harness_start(&h) == -1)
		bail_out("sluice did not start");

	/* curl --proxy https://127.0.0.1:PORT1 --proxy-cacert CA. */
	cl = client_new(h.port[1]);
	client_tls(cl, pki.ca_pem, NULL, 0, 1);
	memset(&q, 0, sizeof(q));
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/a", origin_port(o));
	q.url = url;
	st = client_do(cl, &q, &r);
	is_int(st, 407, "https_port without credentials: 407, over TLS");
	like(client_resp_header(&r, "Proxy-Authenticate"), "Basic realm=",
	    "... with the Basic challenge");
	client_resp_free(&r);
	client_proxy_user(cl, "alice:secret");
	st = client_do(cl, &q, &r);
	is_int(st, 200, "--proxy-user alice:secret over TLS: 200");
	is_str(r.body, "over https_port", "... with the origin's body");
	client_resp_free(&r);
	line = harness_log_wait(&h, "/a", "alice", NULL);
	ok(line != NULL && strstr(line, "TCP_MISS/200") != NULL,
	    "access log: the request with its user: %s", line);
	free(line);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/b", origin_port(o));
	st = client_do(cl, &q, &r);
	is_int(st, 200, "a second request: 200");
	is_int(r.num_connects, 0, "... on the same TLS connection "
	    "(keep-alive)");
	client_resp_free(&r);

	/* A CONNECT inside the TLS connection: a tunnel, copied. */
	snprintf(url, sizeof(url), "https://127.0.0.1:%d/t", origin_port(to));
	st = client_do(cl, &q, &r);
	is_int(st, 200, "CONNECT inside https_port to a TLS origin: 200");
	is_str(r.body, "through the tunnel", "... curl verified the origin "
	    "(test CA, IP SAN) through the tunnel");
	ok(client_resp_header(&r, "Via") == NULL, "... untouched: a tunnel");
	client_resp_free(&r);

	/* Bodies both ways through TLS on the client side. */
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/up", origin_port(o));
	q.method = "POST";
	q.body_len = UP;
	st = client_do(cl, &q, &r);
	is_int(st, 200, "POST of 1 MiB over https_port: 200");
	is_int(r.body_len, UP, "... the echo has its length");
	ok(r.body_hash == harness_pattern_hash(UP), "... and its bytes");
	client_resp_free(&r);
	q.method = NULL;
	q.body_len = 0;
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/big", origin_port(o));
	st = client_do(cl, &q, &r);
	is_int(st, 200, "GET of 4 MiB (chunked) over https_port: 200");
	ok(r.body_len == BIG && r.body_hash == harness_pattern_hash(BIG),
	    "... every byte, in order (%zu)", r.body_len);
	client_resp_free(&r);

	/* Hits: a body file through tls_sendfile(), an inline body. */
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/hit", origin_port(o));
	st = client_do(cl, &q, &r);
	is_int(st, 200, "a 1 MiB cacheable response: 200");
	client_resp_free(&r);
	st = client_do(cl, &q, &r);
	ok(st == 200 && r.body_len == HIT && r.body_hash ==
	    harness_pattern_hash(HIT), "its hit over TLS: every byte");
	like(client_resp_header(&r, "Cache-Status"), "hit",
	    "... from the cache");
	client_resp_free(&r);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/small",
	    origin_port(o));
	st = client_do(cl, &q, &r);
	client_resp_free(&r);
	st = client_do(cl, &q, &r);
	ok(st == 200 && strcmp(r.body, "small and cached") == 0,
	    "a small hit over TLS");
	client_resp_free(&r);
	client_free(cl);
	ok(harness_file_wait_count(h.access_log, "TCP_HIT/200", 2, 2000) == 2,
	    "access log: two TCP_HIT lines");
	/* The tunnel is logged at its end: curl kept it until now. */
	line = harness_log_wait(&h, "TCP_TUNNEL/200", "alice", NULL);
	ok(line != NULL, "access log: TCP_TUNNEL/200 for alice");
	free(line);

	/*
	 * Two requests in one TLS record, the second with a large header:
	 * the worker's first read takes 2 KiB, OpenSSL keeps the rest of
	 * the record, and no epoll event will ever say so.
	 */
	if (raw_open(&c, h.port[1]) == -1)
		bail_out("cannot connect to the https_port");
	memset(&opts, 0, sizeof(opts));
	opts.cafile = pki.ca_pem;
	opts.verify_host = "127.0.0.1";
	ok(raw_tls(&c, &opts, 5000) == 0, "raw TLS client: handshake with "
	    "the https_port, verified (%s)", c.tls_error);
	memset(pad, 'x', sizeof(pad) - 1);
	pad[sizeof(pad) - 1] = '\0';
	n = (size_t)snprintf(text, sizeof(text),
	    "GET http://127.0.0.1:%d/p1 HTTP/1.1\r\nHost: 127.0.0.1\r\n%s\r\n"
	    "GET http://127.0.0.1:%d/p2 HTTP/1.1\r\nHost: 127.0.0.1\r\n%s"
	    "X-Pad: %s\r\n\r\n", origin_port(o), auth, origin_port(o), auth,
	    pad);
	ok(n < sizeof(text) && n < 16384 && raw_send(&c, text, n) == 0,
	    "two requests sent in one TLS record (%zu bytes)", n);
	is_int(raw_read_resp(&c, &rr, 0, 5000), 200, "the first is answered");
	is_str(rr.body, "first", "... with its body");
	raw_resp_free(&rr);
	is_int(raw_read_resp(&c, &rr, 0, 5000), 200, "the second too: the "
	    "bytes OpenSSL held were read without a new event");
	is_str(rr.body, "second", "... with its body");
	raw_resp_free(&rr);
	raw_close(&c);

	/* A body that ends at the close is whole only with close_notify. */
	if (raw_open(&c, h.port[1]) == -1 || raw_tls(&c, &opts, 5000) == -1)
		bail_out("cannot connect to the https_port");
	snprintf(text, sizeof(text), "GET http://127.0.0.1:%d/eof HTTP/1.1\r\n"
	    "Host: 127.0.0.1\r\n%s\r\n", origin_port(o), auth);
	raw_sends(&c, text);
	is_int(raw_read_resp(&c, &rr, 0, 5000), 200, "a body that ends at the "
	    "close: 200");
	ok(rr.complete && strcmp(rr.body, "until the close") == 0 &&
	    !c.tls_truncated, "... whole, and the proxy's close_notify says "
	    "so");
	raw_resp_free(&rr);
	raw_close(&c);
	if (raw_open(&c, h.port[1]) == -1 || raw_tls(&c, &opts, 5000) == -1)
		bail_out("cannot connect to the https_port");
	snprintf(text, sizeof(text), "GET http://127.0.0.1:%d/cut HTTP/1.1\r\n"
	    "Host: 127.0.0.1\r\n%s\r\n", origin_port(o), auth);
	raw_sends(&c, text);
	(void)raw_read_resp(&c, &rr, 0, 5000);
	ok(!rr.complete && c.eof && c.tls_truncated, "a body the origin cut "
	    "short: the connection ends without close_notify (a truncation "
	    "the client sees)");
	raw_resp_free(&rr);
	raw_close(&c);

	/* Hostile handshakes: each closed, one line each. */
	if (raw_open(&c, h.port[1]) == -1)
		bail_out("cannot connect");
	raw_sends(&c, "\x80\x01\x02\x03 garbage garbage garbage garbage\r\n"
	    "\r\n");
	ok(raw_wait_eof(&c, 5000), "garbage: the connection is closed");
	raw_close(&c);
	is_int(failures(&h, 1), 1, "... with one cache.log line");
	line = harness_file_wait(h.cache_log, 2000, "TLS handshake failed",
	    NULL);
	like(line, "client 127.0.0.1", "... naming the client: %s",
	    line != NULL ? strstr(line, "conn ") : "(none)");
	free(line);

	n = client_hello(hello, sizeof(hello));
	if (raw_open(&c, h.port[1]) == -1)
		bail_out("cannot connect");
	raw_send(&c, hello, n / 2);
	raw_shutdown(&c);
	ok(n > 100 && raw_wait_eof(&c, 5000), "half a ClientHello, then "
	    "EOF: closed");
	raw_close(&c);
	is_int(failures(&h, 2), 2, "... one more line");
	line = harness_file_wait(h.cache_log, 2000, "TLS handshake failed",
	    "truncated", NULL);
	ok(line != NULL, "... saying it was truncated");
	free(line);

	if (raw_open(&c, h.port[1]) == -1)
		bail_out("cannot connect");
	memset(&opts, 0, sizeof(opts));
	opts.max_version = TLS1_VERSION;
	opts.seclevel0 = 1;
	opts.ciphers = "ALL:@SECLEVEL=0";
	ok(raw_tls(&c, &opts, 5000) == -1, "a TLS 1.0 ClientHello is refused "
	    "(%s)", c.tls_error);
	like(c.tls_error, "version", "... with a protocol_version alert");
	raw_close(&c);
	is_int(failures(&h, 3), 3, "... one more line");
	line = harness_file_wait(h.cache_log, 2000, "TLS handshake failed",
	    "no TLS version in common", NULL);
	ok(line != NULL, "... saying no version is shared");
	free(line);

	if (raw_open(&c, h.port[1]) == -1)
		bail_out("cannot connect");
	ok(raw_wait_eof(&c, 6000), "a client that sends nothing is closed "
	    "(request_timeout 2 s)");
	raw_close(&c);
	line = harness_file_wait(h.cache_log, 2000, "no TLS handshake within "
	    "request_timeout", NULL);
	ok(line != NULL, "... with one line");
	free(line);

	/*
	 * A tunnel inside TLS, through a client that reads slowly (a 4 KiB
	 * receive buffer: the proxy's TLS writes wait for room) and asks
	 * for a key update between chunks (RFC 8446 §4.6.3: the proxy
	 * changes its read key, and its write key before its next record).
	 */
	if (raw_open(&c, h.port[1]) == -1)
		bail_out("cannot connect to the https_port");
	(void)setsockopt(c.fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	memset(&opts, 0, sizeof(opts));
	opts.cafile = pki.ca_pem;
	opts.verify_host = "127.0.0.1";
	if (raw_tls(&c, &opts, 5000) == -1)
		bail_out("TLS: %s", c.tls_error);
	snprintf(text, sizeof(text), "CONNECT 127.0.0.1:%d HTTP/1.1\r\nHost: "
	    "127.0.0.1:%d\r\n%s\r\n", echo_port(e), echo_port(e), auth);
	raw_sends(&c, text);
	is_int(raw_read_head(&c, &rr, 5000), 200, "CONNECT to the echo server "
	    "inside TLS: 200");
	raw_resp_free(&rr);
	is_str(raw_tls_version(&c), "TLSv1.3", "... over TLS 1.3");
	{
		uint64_t sum;
		size_t got;
		int round, good = 0;

		for (round = 0; round < 3; round++) {
			if (SSL_key_update(c.ssl, SSL_KEY_UPDATE_REQUESTED) != 1)
				break;
			if (echo_round(&c, 256 << 10, &got, &sum) == 0 &&
			    sum == harness_pattern_hash(256 << 10))
				good++;
			else
				diag("round %d: %zu bytes back", round, got);
		}
		is_int(good, 3, "three rounds of 256 KiB, each after a key "
		    "update request, echoed whole through the slow client");
	}
	raw_close(&c);

	/* The worker went on. */
	cl = client_new(h.port[1]);
	client_tls(cl, pki.ca_pem, NULL, 0, 1);
	client_proxy_user(cl, "alice:secret");
	memset(&q, 0, sizeof(q));
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/after",
	    origin_port(o));
	q.url = url;
	st = client_do(cl, &q, &r);
	is_int(st, 200, "after all that, https_port serves: 200");
	client_resp_free(&r);
	client_free(cl);
	rq = origin_req(o, 0);
	ok(rq != NULL && !rq->tls, "the plain origin got plain requests");

	harness_stop(&h);
	origin_finish(o);
	origin_finish(to);
	origin_free(o);
	origin_free(to);
	echo_stop(e);
	tlspki_free(&pki);
	harness_end(&h);
	return exit_status();
}
