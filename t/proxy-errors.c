/*
 * proxy-errors.c -- failures become the right error answer: 502 when the
 * origin refuses or breaks the protocol, 504 on DNS failure or upstream
 * timeout, 400 on a malformed request; each with an HTML page, an
 * X-Sluice-Error header and an access-log line.
 *
 * Integration test: a real sluice, the scripted origin, the fake DNS
 * server, libcurl and a raw client.  Only statuses are asserted, never how
 * long a timeout took.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "fakedns.h"
#include "harness.h"
#include "origin.h"
#include "raw.h"
#include "tap.h"

static const struct origin_step steps[] = {
	/* Accepts, reads the request, closes without a byte. */
	{ .expect = "GET /silent", .status = 200,
	    .flags = ORIGIN_NO_RESPONSE },
	/* Never answers within server_first_byte_timeout (2 s); gives up when sluice
	 * closes. */
	{ .expect = "GET /slow", .status = 200, .body = "too late",
	    .delay_ms = 9000 },
	/* Answers with something that is not HTTP. */
	{ .expect = "GET /garbage", .status = 200,
	    .body = "this is not an HTTP response\r\n\r\n",
	    .flags = ORIGIN_RAW },
	/* Still reachable after all that. */
	{ .expect = "GET /fine", .status = 200, .body = "fine" },
};
#define NSTEPS	((int)(sizeof(steps) / sizeof(steps[0])))

/* GET @p u through sluice; check status, error name, HTML page. */
static void
check_error(struct harness *h, const char *u, long status, const char *err,
    const char *what)
{
	struct client_resp r;
	const char *v;

	is_int(client_get(h->port[0], u, &r), status, "%s: %ld", what,
	    status);
	v = client_resp_header(&r, "X-Sluice-Error");
	if (err != NULL)
		is_str(v, err, "%s: X-Sluice-Error: %s", what, err);
	else
		like(v, "ERR_", "%s: X-Sluice-Error names the error (%s)",
		    what, v != NULL ? v : "none");
	ok(r.body_len > 0 && strstr(r.body, "<html") != NULL &&
	    (v = client_resp_header(&r, "Content-Type")) != NULL &&
	    strstr(v, "text/html") != NULL,
	    "%s: a small HTML error page comes with it", what);
	client_resp_free(&r);
}

int
main(void)
{
	/* The start of a TLS ClientHello, as a client that forgot the
	 * proxy is plain HTTP would send; ends in CRLFCRLF so that a head
	 * parser has a complete "head" to reject. */
	static const char tls_hello[] = "\x16\x03\x01\x02\x00\x01\x00"
	    "\x01\xfc\x03\x03 hello\r\n\r\n";
	struct harness h;
	struct origin *o;
	struct fakedns *d;
	struct client_resp r;
	struct raw c;
	struct raw_resp rr;
	char u[256], req[512], *line;
	int dead, oport;

	plan(32 + ORIGIN_FINISH_TESTS + HARNESS_STOP_TESTS +
	    HARNESS_END_TESTS);

	o = origin_start(steps, NSTEPS);
	oport = origin_port(o);
	d = fakedns_start();
	dead = harness_free_port();
	harness_init(&h, 1);
	harness_set(&h, "DNS", "%d", fakedns_port(d));
	harness_conf(&h,
	    "dns_nameservers 127.0.0.1:%DNS%\n"
	    "server_first_byte_timeout 2 seconds\n"
	    "http_access allow localhost\n"
	    "http_access deny all\n");
	if (harness_start(&h) == -1)
		bail_out("sluice did not start");

	/* Connection refused. */
	snprintf(u, sizeof(u), "http://127.0.0.1:%d/refused", dead);
	check_error(&h, u, 502, "ERR_CONNECT_FAIL", "origin port closed");
	line = harness_log_wait(&h, "TCP_MISS/502", u, NULL);
	ok(line != NULL, "access log: TCP_MISS/502 GET %s", u);
	free(line);

	/* Name that does not resolve. */
	check_error(&h, "http://no-such-host.invalid/x", 504, "ERR_DNS_FAIL",
	    "unresolvable name");
	ok(fakedns_queries(d) > 0, "sluice asked the configured name server "
	    "(%d queries)", fakedns_queries(d));
	line = harness_log_wait(&h, "TCP_MISS/504",
	    "http://no-such-host.invalid/x", NULL);
	ok(line != NULL, "access log: TCP_MISS/504 for the unresolvable name");
	like(line, "HIER_NONE/-", "access log: no peer was contacted");
	free(line);

	/* Origin accepts, then closes without a response. */
	snprintf(u, sizeof(u), "http://127.0.0.1:%d/silent", oport);
	check_error(&h, u, 502, NULL, "origin closes without answering");
	line = harness_log_wait(&h, "TCP_MISS/502", u, NULL);
	ok(line != NULL, "access log: TCP_MISS/502 for the silent origin");
	free(line);

	/* Origin never answers: server_first_byte_timeout 2 seconds. */
	snprintf(u, sizeof(u), "http://127.0.0.1:%d/slow", oport);
	check_error(&h, u, 504, "ERR_READ_TIMEOUT",
	    "origin never answers (server_first_byte_timeout)");
	line = harness_log_wait(&h, "TCP_MISS/504", u, NULL);
	ok(line != NULL, "access log: TCP_MISS/504 for the timed-out origin");
	free(line);

	/* Origin answers garbage. */
	snprintf(u, sizeof(u), "http://127.0.0.1:%d/garbage", oport);
	check_error(&h, u, 502, "ERR_INVALID_RESP",
	    "origin answers something that is not HTTP");
	line = harness_log_wait(&h, "TCP_MISS/502", u, NULL);
	ok(line != NULL, "access log: TCP_MISS/502 for the invalid response");
	free(line);

	/* Malformed request: whitespace before the colon (RFC 9112 §5.1). */
	if (raw_open(&c, h.port[0]) == -1)
		bail_out("cannot connect to sluice");
	snprintf(req, sizeof(req), "GET http://127.0.0.1:%d/fine HTTP/1.1\r\n"
	    "Host: 127.0.0.1:%d\r\nBad Header : x\r\n\r\n", oport, oport);
	raw_sends(&c, req);
	is_int(raw_read_resp(&c, &rr, 0, 10000), 400,
	    "whitespace before a header colon: 400");
	is_str(raw_resp_header(&rr, "X-Sluice-Error"), "ERR_INVALID_REQ",
	    "whitespace before a header colon: X-Sluice-Error: "
	    "ERR_INVALID_REQ");
	raw_resp_free(&rr);
	ok(raw_wait_eof(&c, 10000), "the connection is closed after the 400");
	raw_close(&c);
	line = harness_log_wait(&h, "NONE_NONE/400", "error:invalid-request",
	    NULL);
	ok(line != NULL, "access log: NONE_NONE/400 error:invalid-request");
	free(line);

	/* Origin-form target to a proxy: not for us (DESIGN §3). */
	if (raw_open(&c, h.port[0]) == -1)
		bail_out("cannot connect to sluice");
	raw_sends(&c, "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
	is_int(raw_read_resp(&c, &rr, 0, 10000), 400,
	    "origin-form request to the proxy: 400");
	raw_resp_free(&rr);
	raw_close(&c);

	/* Framing conflict: Content-Length with Transfer-Encoding. */
	if (raw_open(&c, h.port[0]) == -1)
		bail_out("cannot connect to sluice");
	snprintf(req, sizeof(req), "POST http://127.0.0.1:%d/fine HTTP/1.1\r\n"
	    "Host: 127.0.0.1:%d\r\nContent-Length: 5\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
	    oport, oport);
	raw_sends(&c, req);
	is_int(raw_read_resp(&c, &rr, 0, 10000), 400,
	    "Content-Length with Transfer-Encoding: 400");
	raw_resp_free(&rr);
	ok(raw_wait_eof(&c, 10000), "the connection is closed after that 400");
	raw_close(&c);

	/* Not HTTP at all. */
	if (raw_open(&c, h.port[0]) == -1)
		bail_out("cannot connect to sluice");
	raw_send(&c, tls_hello, sizeof(tls_hello) - 1);
	is_int(raw_read_resp(&c, &rr, 0, 10000), 400,
	    "binary garbage instead of a request line: 400");
	raw_resp_free(&rr);
	raw_close(&c);

	/* After every failure above, the proxy still works. */
	snprintf(u, sizeof(u), "http://127.0.0.1:%d/fine", oport);
	is_int(client_get(h.port[0], u, &r), 200,
	    "a good request after all the failures: 200");
	is_str(r.body, "fine", "and its body is relayed");
	client_resp_free(&r);

	origin_finish(o);
	harness_stop(&h);
	harness_end(&h);
	fakedns_stop(d);
	origin_free(o);
	return exit_status();
}
