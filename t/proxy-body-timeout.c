/*
 * proxy-body-timeout.c -- a client that is slow with its request body
 * gets 408 (RFC 9110 §15.5.9), logged TCP_MISS/408 with the reason in
 * cache_log, at request_body_timeout when the body stalls and at
 * request_body_min_rate when it trickles, long before client_lifetime,
 * and never the 504 of an origin that timed out.  The origin, which got
 * the head and part of the body, has its connection closed.
 *
 * Integration test: a real sluice with short body limits and long
 * read_timeout and client_lifetime (so that only the new limits can end
 * the requests within the test's bounds), the scripted origin and a raw
 * client that paces its bytes (pacing only: nothing asserts on time).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "origin.h"
#include "raw.h"
#include "tap.h"

static const struct origin_step steps[] = {
	{ .expect = "POST /stalled", .status = 200, .body = "never" },
	{ .expect = "POST /trickled", .status = 200, .body = "never" },
	{ .expect = "POST /chunked-stalled", .status = 200, .body = "never" },
	{ .expect = "POST /ok", .status = 200, .body = "got it" },
};
#define NSTEPS	((int)(sizeof(steps) / sizeof(steps[0])))

/*
 * Send a POST head for @p path (@p framing: a Content-Length or
 * Transfer-Encoding line) and @p first body bytes, then one more byte
 * every @p every_ms (0: none) until a response comes (bounded: 20 s).
 * @return the status, or -1.
 */
static int
slow_post(struct harness *h, int oport, const char *path,
    const char *framing, const char *first, int every_ms, int *eof)
{
	struct raw c;
	struct raw_resp rr;
	char req[512];
	int st = -1, i;

	if (raw_open(&c, h->port[0]) == -1)
		bail_out("cannot connect to sluice");
	snprintf(req, sizeof(req), "POST http://127.0.0.1:%d%s HTTP/1.1\r\n"
	    "Host: 127.0.0.1:%d\r\n%s\r\n%s", oport, path, oport, framing,
	    first);
	raw_sends(&c, req);
	for (i = 0; i < 200; i++) {
		memset(&rr, 0, sizeof(rr));
		if (raw_read_head(&c, &rr, every_ms > 0 ? every_ms : 100) > 0) {
			st = rr.status;
			raw_resp_free(&rr);
			break;
		}
		raw_resp_free(&rr);
		if (c.eof)
			break;
		if (every_ms > 0 && raw_sends(&c, "x") == -1)
			break;
	}
	*eof = raw_wait_eof(&c, 10000);
	raw_close(&c);
	return st;
}

int
main(void)
{
	struct harness h;
	struct origin *o;
	struct raw c;
	struct raw_resp rr;
	char u[256], req[512], *line;
	int oport, eof, n;

	plan(11 + ORIGIN_FINISH_TESTS + HARNESS_STOP_TESTS +
	    HARNESS_END_TESTS);

	o = origin_start(steps, NSTEPS);
	oport = origin_port(o);
	harness_init(&h, 1);
	harness_conf(&h,
	    "read_timeout 1 hour\n"
	    "client_lifetime 1 hour\n"
	    "request_body_timeout 1 second\n"
	    "request_body_min_rate 100 bytes\n"
	    "http_access allow localhost\n"
	    "http_access deny all\n");
	if (harness_start(&h) == -1)
		bail_out("sluice did not start");

	/* A body that stops: no byte within request_body_timeout. */
	is_int(slow_post(&h, oport, "/stalled", "Content-Length: 100\r\n",
	    "0123456789", 0, &eof), 408, "a request body that stalls gets "
	    "408 at request_body_timeout, not a 504 at read_timeout "
	    "(RFC 9110 §15.5.9)");
	ok(eof, "... and the connection is closed");
	snprintf(u, sizeof(u), "http://127.0.0.1:%d/stalled", oport);
	line = harness_log_wait(&h, "TCP_MISS/408", "POST", u, NULL);
	ok(line != NULL, "access log: TCP_MISS/408 for the stalled body");
	free(line);
	ok(harness_file_count(h.cache_log, "no byte within "
	    "request_body_timeout") == 1,
	    "cache_log: the reason (no byte within request_body_timeout)");

	/*
	 * A body that trickles, a byte every 200 ms (5 bytes/s): each byte
	 * comes well within the idle limit, but the rate is far below 100
	 * bytes/s.
	 */
	is_int(slow_post(&h, oport, "/trickled", "Content-Length: 100000\r\n",
	    "", 200, &eof), 408, "a request body that trickles gets 408 at "
	    "request_body_min_rate, not a 504 at client_lifetime");
	ok(eof, "... and the connection is closed");
	snprintf(u, sizeof(u), "http://127.0.0.1:%d/trickled", oport);
	line = harness_log_wait(&h, "TCP_MISS/408", "POST", u, NULL);
	ok(line != NULL, "access log: TCP_MISS/408 for the trickled body");
	free(line);
	ok(harness_file_count(h.cache_log, "slower than "
	    "request_body_min_rate") == 1,
	    "cache_log: the reason (slower than request_body_min_rate)");

	/* Chunked, stalled inside a chunk. */
	is_int(slow_post(&h, oport, "/chunked-stalled",
	    "Transfer-Encoding: chunked\r\n", "a\r\n01234", 0, &eof), 408,
	    "a chunked request body that stalls mid-chunk: 408");

	/* A whole body on time is not affected. */
	if (raw_open(&c, h.port[0]) == -1)
		bail_out("cannot connect to sluice");
	snprintf(req, sizeof(req), "POST http://127.0.0.1:%d/ok HTTP/1.1\r\n"
	    "Host: 127.0.0.1:%d\r\nContent-Length: 5\r\n\r\nhello", oport,
	    oport);
	raw_sends(&c, req);
	is_int(raw_read_resp(&c, &rr, 0, 10000), 200,
	    "a request body sent at once: 200");
	raw_resp_free(&rr);
	raw_close(&c);

	origin_finish(o);
	/* The origin got the partial requests; their connections closed. */
	for (n = 0; n < 3 && origin_req(o, n) != NULL &&
	    origin_req(o, n)->body_len < 100; n++)
		;
	is_int(n, 3, "the origin got each slow request's head and part of "
	    "its body, never a whole one");
	harness_stop(&h);
	harness_end(&h);
	origin_free(o);
	return exit_status();
}
