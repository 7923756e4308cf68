/*
 * proxy-trailers.c -- the trailer section of a chunked body is passed on
 * without the fields RFC 9110 §6.5.1 does not allow there (framing,
 * routing, authentication, request modifiers, Content-Encoding, -Type
 * and -Range, Trailer itself, hop-by-hop fields), in both directions:
 * a request's trailers on their way to the origin, a response's on their
 * way to the client.  Allowed trailer fields and the body pass unchanged;
 * a trailer section over 16 KB is refused.
 *
 * Integration test: a real sluice, the scripted origin (which records
 * the trailer fields it receives; ORIGIN_RAW for the responses) and a
 * raw client that reads the response as it is on the wire.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "origin.h"
#include "raw.h"
#include "tap.h"

/* Every denied kind once, two allowed fields around them. */
#define TRAILERS \
	"X-Checksum: sha-256=abc\r\n" \
	"Content-Length: 999\r\n" \
	"Transfer-Encoding: gzip\r\n" \
	"Host: evil.invalid\r\n" \
	"Authorization: Basic eDp5\r\n" \
	"Proxy-Authorization: Basic eDp5\r\n" \
	"Set-Cookie: a=b\r\n" \
	"Cache-Control: no-store\r\n" \
	"Content-Type: text/evil\r\n" \
	"Content-Encoding: gzip\r\n" \
	"Content-Range: bytes 0-1/2\r\n" \
	"Trailer: X-Checksum\r\n" \
	"Connection: close\r\n" \
	"Keep-Alive: timeout=1\r\n" \
	"TE: trailers\r\n" \
	"Upgrade: h2c\r\n" \
	"Expect: 100-continue\r\n" \
	"If-None-Match: \"x\"\r\n" \
	"Range: bytes=0-\r\n" \
	"Max-Forwards: 0\r\n" \
	"Location: http://evil.invalid/\r\n" \
	"X-Other: 1\r\n"
#define KEPT	"X-Checksum: sha-256=abc\r\nX-Other: 1\r\n"

static char resp_raw[8192];

static struct origin_step steps[] = {
	{ .expect = "POST /up", .status = 200, .body = "got it" },
	{ .expect = "GET /down", .status = 200, .flags = ORIGIN_RAW },
};

/*
 * The oversized one has its own origin, not asserted: its head may have
 * gone out before the trailer section grew too big (it waits for the
 * body, which never ends, so it never answers).
 */
static const struct origin_step big_steps[] = {
	{ .expect = "POST /big", .status = 200, .body = "never" },
};

int
main(void)
{
	struct harness h;
	struct origin *o, *o2;
	struct raw c;
	struct raw_resp rr;
	const struct origin_req *q;
	char req[4096], *all, *big, *p;
	size_t len, n;
	int oport, oport2;

	plan(9 + ORIGIN_FINISH_TESTS + HARNESS_STOP_TESTS +
	    HARNESS_END_TESTS);

	len = (size_t)snprintf(resp_raw, sizeof(resp_raw),
	    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
	    "Trailer: X-Checksum\r\n\r\n"
	    "6\r\nhello \r\n5\r\nworld\r\n0\r\n" TRAILERS "\r\n");
	steps[1].body = resp_raw;
	steps[1].body_len = len;
	o = origin_start(steps, 2);
	oport = origin_port(o);
	o2 = origin_start(big_steps, 1);
	oport2 = origin_port(o2);
	harness_init(&h, 1);
	harness_conf(&h,
	    "http_access allow localhost\n"
	    "http_access deny all\n");
	if (harness_start(&h) == -1)
		bail_out("sluice did not start");

	/* A request's trailers, client -> origin. */
	if (raw_open(&c, h.port[0]) == -1)
		bail_out("cannot connect to sluice");
	snprintf(req, sizeof(req), "POST http://127.0.0.1:%d/up HTTP/1.1\r\n"
	    "Host: 127.0.0.1:%d\r\nTransfer-Encoding: chunked\r\n"
	    "Trailer: X-Checksum\r\n\r\n"
	    "5\r\nhello\r\n0\r\n" TRAILERS "\r\n", oport, oport);
	raw_sends(&c, req);
	is_int(raw_read_resp(&c, &rr, 0, 10000), 200,
	    "chunked request with trailers: 200");
	raw_resp_free(&rr);
	raw_close(&c);
	q = origin_req(o, 0);
	ok(q != NULL && q->chunked && q->body_len == 5 &&
	    q->body != NULL && strcmp(q->body, "hello") == 0,
	    "request: the body reaches the origin unchanged");
	is_str(q != NULL ? q->trailers : NULL, KEPT,
	    "request: the origin gets the allowed trailer fields only, in "
	    "order (RFC 9110 §6.5.1)");

	/* A response's trailers, origin -> client, as on the wire. */
	if (raw_open(&c, h.port[0]) == -1)
		bail_out("cannot connect to sluice");
	snprintf(req, sizeof(req), "GET http://127.0.0.1:%d/down HTTP/1.1\r\n"
	    "Host: 127.0.0.1:%d\r\nConnection: close\r\n\r\n", oport, oport);
	raw_sends(&c, req);
	all = NULL;
	is_int(raw_read_all(&c, &all, &n, 10000), 0,
	    "chunked response with trailers: read to the close");
	p = all != NULL ? strstr(all, "\r\n\r\n") : NULL;
	ok(p != NULL && strncmp(all, "HTTP/1.1 200", 12) == 0 &&
	    strstr(all, "Transfer-Encoding: chunked\r\n") != NULL,
	    "response: 200, still chunked");
	is_str(p != NULL ? p + 4 : NULL,
	    "6\r\nhello \r\n5\r\nworld\r\n0\r\n" KEPT "\r\n",
	    "response: chunks unchanged, the trailer section holds the "
	    "allowed fields only (RFC 9110 §6.5.1)");
	free(all);
	raw_close(&c);

	/* A trailer section over the 16 KB bound: refused. */
	big = malloc(20 * 1024);
	if (big == NULL)
		bail_out("out of memory");
	n = (size_t)snprintf(big, 512, "POST http://127.0.0.1:%d/big "
	    "HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nTransfer-Encoding: chunked"
	    "\r\n\r\n5\r\nhello\r\n0\r\nX-Big: ", oport2, oport2);
	memset(big + n, 'a', 17 * 1024);
	n += 17 * 1024;
	memcpy(big + n, "\r\n\r\n", 4);
	n += 4;
	if (raw_open(&c, h.port[0]) == -1)
		bail_out("cannot connect to sluice");
	raw_send(&c, big, n);
	is_int(raw_read_resp(&c, &rr, 0, 10000), 400,
	    "request trailer section over 16 KB: 400 (RFC 9112 §7.1.2 bound)");
	raw_resp_free(&rr);
	ok(raw_wait_eof(&c, 10000), "and the connection is closed");
	raw_close(&c);
	free(big);
	ok(harness_file_count(h.cache_log, "bad chunked request body") == 1,
	    "cache_log: the oversized trailer section is logged");

	origin_finish(o);
	harness_stop(&h);
	harness_end(&h);
	origin_free(o);
	origin_free(o2);
	return exit_status();
}
