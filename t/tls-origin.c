/*
 * tls-origin.c -- the test harness's TLS origin (origin_start_tls() with
 * the test PKI) works as the follow-up's tests need it: curl reaches it
 * by name and verifies it against the test CA, it records each request's
 * SNI, a bad certificate fails the handshake (counted, never served), a
 * step can end without close_notify; and through sluice a CONNECT to it
 * is spliced: the client sees the origin's own certificate end to end.
 *
 * Integration test: the test PKI, the TLS origin, libcurl, the fake DNS,
 * a real sluice for the CONNECT.
 */
#include <sys/socket.h>
#include <sys/time.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "client.h"
#include "fakedns.h"
#include "harness.h"
#include "origin.h"
#include "tap.h"
#include "tlspki.h"

static const struct origin_step steps[] = {
	{ .expect = "GET /a", .status = 200, .body = "over tls" },
	{ .expect = "GET /clean", .status = 200, .body = "close_notify",
	    .flags = ORIGIN_NO_LENGTH },
	{ .expect = "GET /cut", .status = 200, .body = "no close_notify",
	    .flags = ORIGIN_NO_LENGTH | ORIGIN_NO_CLOSE_NOTIFY },
	{ .expect = "GET /tunnel", .status = 200, .body = "spliced",
	    .headers = "Cache-Control: max-age=60\r\n" },
};

/*
 * GET @p path from the TLS origin with plain OpenSSL (curl ignores a
 * missing close_notify), reading to the end.
 * @return 1 the body ended with close_notify, 0 with a bare TCP EOF,
 *	-1 something else.
 */
static int
ssl_get(const struct tlspki *pki, int port, const char *path)
{
	struct sockaddr_in sin;
	SSL_CTX *ctx = tlspki_client_ctx(pki);
	SSL *ssl = NULL;
	char req[256], buf[4096];
	struct timeval tv = { 5, 0 };
	int fd, rc = -1, n, e;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1)
		goto out;
	ssl = SSL_new(ctx);
	SSL_set_fd(ssl, fd);
	SSL_set_tlsext_host_name(ssl, "origin.test");
	SSL_set1_host(ssl, "origin.test");
	if (SSL_connect(ssl) != 1)
		goto out;
	snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: origin.test\r\n"
	    "\r\n", path);
	if (SSL_write(ssl, req, (int)strlen(req)) <= 0)
		goto out;
	while ((n = SSL_read(ssl, buf, sizeof(buf))) > 0)
		continue;
	e = SSL_get_error(ssl, n);
	if (e == SSL_ERROR_ZERO_RETURN)
		rc = 1;
	else if (e == SSL_ERROR_SSL && ERR_GET_REASON(ERR_peek_error()) ==
	    SSL_R_UNEXPECTED_EOF_WHILE_READING)
		rc = 0;
out:
	ERR_clear_error();
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	close(fd);
	return rc;
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
	struct client_resp r;
	const struct origin_req *rq;
	char url[256], *line;
	long st;

	plan(14 + 2 * ORIGIN_FINISH_TESTS + HARNESS_STOP_TESTS +
	    HARNESS_END_TESTS);
	harness_init(&h, 1);
	if (tlspki_make(&pki, h.dir) == -1)
		bail_out("cannot make the test PKI");
	memset(&t, 0, sizeof(t));
	t.cert = pki.pem[TLSPKI_GOOD];
	t.key = pki.key[TLSPKI_GOOD];
	o = origin_start_tls(steps, 4, &t);
	memset(&q, 0, sizeof(q));

	/* Straight to the origin, by name, verified. */
	cl = client_new(0);
	client_tls(cl, pki.ca_pem, "origin.test", origin_port(o), 0);
	snprintf(url, sizeof(url), "https://origin.test:%d/a", origin_port(o));
	q.url = url;
	st = client_do(cl, &q, &r);
	is_int(st, 200, "curl gets https://origin.test/a from the TLS origin, "
	    "verified against the test CA");
	is_str(r.body, "over tls", "... with its body");
	client_resp_free(&r);
	rq = origin_req(o, 0);
	ok(rq != NULL && rq->tls, "the origin recorded the request as TLS");
	is_str(rq != NULL ? rq->sni : NULL, "origin.test", "... with the SNI "
	    "curl sent");

	client_free(cl);
	/* Bodies that end at the close: with close_notify, and without. */
	is_int(ssl_get(&pki, origin_port(o), "/clean"), 1, "a close-delimited "
	    "body ends with close_notify");
	is_int(ssl_get(&pki, origin_port(o), "/cut"), 0,
	    "ORIGIN_NO_CLOSE_NOTIFY: it ends with a bare TCP EOF (a "
	    "truncation)");

	/* An expired certificate: the handshake fails, nothing is served. */
	t.cert = pki.pem[TLSPKI_EXPIRED];
	t.key = pki.key[TLSPKI_EXPIRED];
	bad = origin_start_tls(NULL, 0, &t);
	cl = client_new(0);
	client_tls(cl, pki.ca_pem, "origin.test", origin_port(bad), 0);
	snprintf(url, sizeof(url), "https://origin.test:%d/x",
	    origin_port(bad));
	st = client_do(cl, &q, &r);
	ok(st == 0 && strstr(r.error, "expired") != NULL, "curl refuses the "
	    "origin with the expired certificate (%s)", r.error);
	client_resp_free(&r);
	client_free(cl);
	/* The origin's thread sees the refusal after curl returned. */
	for (st = 0; st < 250 && origin_tls_failed(bad) < 1; st++)
		harness_msleep(20);
	is_int(origin_tls_failed(bad), 1, "the origin counted one failed "
	    "handshake");
	is_int(origin_nreq(bad), 0, "and served nothing");
	origin_finish(bad);
	origin_free(bad);

	/* Through sluice: CONNECT, spliced, the origin's certificate. */
	d = fakedns_start();
	fakedns_add(d, "origin.test");
	harness_set(&h, "DNS", "%d", fakedns_port(d));
	harness_conf(&h, "dns_nameservers 127.0.0.1:%DNS%\n"
	    "http_access allow localhost\nhttp_access deny all\n");
	if (harness_start(&h) == -1)
		bail_out("sluice did not start");
	cl = client_new(h.port[0]);
	client_tls(cl, pki.ca_pem, NULL, 0, 0);
	snprintf(url, sizeof(url), "https://origin.test:%d/tunnel",
	    origin_port(o));
	st = client_do(cl, &q, &r);
	is_int(st, 200, "curl through sluice to https://origin.test: 200");
	is_str(r.body, "spliced", "... the body came through the tunnel");
	ok(client_resp_header(&r, "Via") == NULL, "... untouched: no Via, "
	    "sluice never saw the request (a tunnel)");
	client_resp_free(&r);
	client_free(cl);
	rq = origin_req(o, 3);
	is_str(rq != NULL ? rq->sni : NULL, "origin.test", "the origin saw "
	    "the client's SNI: the TLS session is the client's own");
	line = harness_log_wait(&h, "TCP_TUNNEL/200", NULL);
	ok(line != NULL, "access log: one TCP_TUNNEL/200 line");
	free(line);

	harness_stop(&h);
	origin_finish(o);
	origin_free(o);
	fakedns_stop(d);
	tlspki_free(&pki);
	harness_end(&h);
	return exit_status();
}
