/*
 * proxy-headers.c -- request fields a proxy rewrites: X-Forwarded-For
 * under each forwarded_for mode (squid's semantics), Max-Forwards on
 * OPTIONS and TRACE (RFC 9110 §7.6.2: decremented, or answered by the
 * proxy at 0), and Host replaced by the target URI's (RFC 9112 §3.2.2).
 *
 * Integration test: a real sluice per mode, the scripted origin, raw
 * clients.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "origin.h"
#include "raw.h"
#include "tap.h"

static const struct origin_step any[] = {
	{ .expect = "", .status = 200, .body = "ok", .flags = ORIGIN_REPEAT },
};

static const struct origin_step cl[] = {
	{ .expect = "GET /rcl", .flags = ORIGIN_RAW,
	    .body = "HTTP/1.1 200 OK\r\nContent-Length: 3, 3\r\n\r\nabc" },
	{ .expect = "GET /gz", .flags = ORIGIN_RAW,
	    .body = "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nabc" },
	{ .expect = "GET /1xx", .flags = ORIGIN_RAW,
	    .body = "HTTP/1.1 102 A\r\n\r\nHTTP/1.1 102 B\r\n\r\n"
	    "HTTP/1.1 102 C\r\n\r\nHTTP/1.1 102 D\r\n\r\n"
	    "HTTP/1.1 102 E\r\n\r\nHTTP/1.1 102 F\r\n\r\n"
	    "HTTP/1.1 102 G\r\n\r\nHTTP/1.1 102 H\r\n\r\n"
	    "HTTP/1.1 102 I\r\n\r\nHTTP/1.1 200 OK\r\n"
	    "Content-Length: 2\r\n\r\nok" },
};

/* One request with @p extra header lines; the status. */
static int
one(int port, int oport, const char *method, const char *extra,
    struct raw_resp *r)
{
	struct raw c;
	char req[2048];
	int st;

	if (raw_open(&c, port) == -1)
		return -1;
	snprintf(req, sizeof(req), "%s http://127.0.0.1:%d/x HTTP/1.1\r\n"
	    "Host: 127.0.0.1:%d\r\n%s\r\n", method, oport, oport, extra);
	raw_sends(&c, req);
	st = raw_read_resp(&c, r, 0, 5000);
	raw_close(&c);
	return st;
}

/* Start sluice with forwarded_for @p mode; send one request with two XFF
 * fields; return what the origin got in @p v ("" for none). */
static void
xff(const char *mode, char *v, size_t vsz)
{
	struct harness h;
	struct origin *o;
	struct raw_resp r;
	const struct origin_req *q;
	char snip[256];

	o = origin_start(any, 1);
	harness_init(&h, 1);
	snprintf(snip, sizeof(snip), "http_access allow localhost\n"
	    "http_access deny all\nforwarded_for %s\n", mode);
	harness_conf(&h, snip);
	if (harness_start(&h) == -1)
		bail_out("sluice did not start");
	v[0] = '\0';
	if (one(h.port[0], origin_port(o), "GET", "X-Forwarded-For: 10.1.1.1"
	    "\r\nX-Forwarded-For: 10.2.2.2\r\n", &r) == 200 &&
	    (q = origin_req(o, 0)) != NULL &&
	    origin_req_header(q, "X-Forwarded-For", v, vsz) == NULL)
		v[0] = '\0';
	raw_resp_free(&r);
	origin_finish(o);
	harness_stop(&h);
	harness_end(&h);
	origin_free(o);
}

int
main(void)
{
	struct harness h;
	struct origin *o;
	struct raw_resp r;
	const struct origin_req *q;
	char v[512];
	int oport;

	plan(22 + 7 * ORIGIN_FINISH_TESTS + 7 * (HARNESS_STOP_TESTS +
	    HARNESS_END_TESTS));

	xff("on", v, sizeof(v));
	is_str(v, "10.1.1.1, 10.2.2.2, 127.0.0.1", "forwarded_for on: the "
	    "client address appended to the received list");
	xff("off", v, sizeof(v));
	is_str(v, "10.1.1.1, 10.2.2.2, unknown", "forwarded_for off: "
	    "\"unknown\" appended");
	xff("transparent", v, sizeof(v));
	is_str(v, "10.1.1.1", "forwarded_for transparent: the fields pass "
	    "unchanged (first one shown)");
	xff("truncate", v, sizeof(v));
	is_str(v, "127.0.0.1", "forwarded_for truncate: only the client "
	    "address");
	xff("delete", v, sizeof(v));
	is_str(v, "", "forwarded_for delete: no X-Forwarded-For upstream");

	o = origin_start(any, 1);
	oport = origin_port(o);
	harness_init(&h, 1);
	harness_conf(&h, "http_access allow localhost\nhttp_access deny all\n");
	if (harness_start(&h) == -1)
		bail_out("sluice did not start");

	is_int(one(h.port[0], oport, "TRACE", "Max-Forwards: 0\r\n"
	    "Proxy-Authorization: Basic c2VjcmV0\r\nX-Mark: trace-me\r\n", &r),
	    200, "TRACE with Max-Forwards: 0 is answered by the proxy "
	    "(RFC 9110 §7.6.2)");
	like(raw_resp_header(&r, "Content-Type"), "message/http",
	    "as message/http (RFC 9110 §9.3.8)");
	like(r.body, "X-Mark: trace-me", "reflecting the request head");
	unlike(r.body, "c2VjcmV0", "without the proxy credentials");
	raw_resp_free(&r);
	is_int(one(h.port[0], oport, "OPTIONS", "Max-Forwards: 0\r\n", &r),
	    200, "OPTIONS with Max-Forwards: 0 is answered by the proxy");
	ok(raw_resp_header(&r, "Allow") != NULL, "with an Allow field");
	raw_resp_free(&r);
	is_int(origin_nreq(o), 0, "the origin saw neither");

	is_int(one(h.port[0], oport, "OPTIONS", "Max-Forwards: 5\r\n", &r),
	    200, "OPTIONS with Max-Forwards: 5 is forwarded");
	raw_resp_free(&r);
	q = origin_req(o, 0);
	ok(q != NULL && origin_req_header(q, "Max-Forwards", v, sizeof(v)) &&
	    strcmp(v, "4") == 0, "decremented to 4 (RFC 9110 §7.6.2)");
	is_int(one(h.port[0], oport, "GET", "Max-Forwards: 0\r\n", &r),
	    200, "GET ignores Max-Forwards (only OPTIONS and TRACE)");
	raw_resp_free(&r);
	q = origin_req(o, 1);
	ok(q != NULL && origin_req_header(q, "Max-Forwards", v, sizeof(v)) &&
	    strcmp(v, "0") == 0, "and passes it on unchanged");

	origin_finish(o);
	harness_stop(&h);
	harness_end(&h);
	origin_free(o);

	/* RFC 9110 §8.6: an accepted list of identical lengths goes on as one. */
	o = origin_start(cl, 3);
	oport = origin_port(o);
	harness_init(&h, 1);
	harness_conf(&h, "http_access allow localhost\nhttp_access deny all\n");
	if (harness_start(&h) == -1)
		bail_out("sluice did not start");
	{
		struct raw c;
		char req[512];

		raw_open(&c, h.port[0]);
		snprintf(req, sizeof(req), "POST http://127.0.0.1:%d/cl HTTP/1.1"
		    "\r\nHost: x\r\nContent-Length: 2, 2\r\n\r\nab", oport);
		raw_sends(&c, req);
		is_int(raw_read_resp(&c, &r, 0, 5000), 400,
		    "Content-Length: 2, 2 from a client: 400 (RFC 9110 §8.6 "
		    "lets a recipient reject it; sluice does)");
		raw_resp_free(&r);
		raw_close(&c);
		is_int(origin_nreq(o), 0, "and the origin never saw it");
		raw_open(&c, h.port[0]);
		snprintf(req, sizeof(req), "GET http://127.0.0.1:%d/rcl HTTP/1.1"
		    "\r\nHost: x\r\nConnection: close\r\n\r\n", oport);
		raw_sends(&c, req);
		is_int(raw_read_resp(&c, &r, 0, 5000), 502, "Content-Length: "
		    "3, 3 from an origin: 502");
		ok(r.body == NULL || strstr(r.body, "abc") == NULL,
		    "none of its body reaches the client");
		raw_resp_free(&r);
		raw_close(&c);
		raw_open(&c, h.port[0]);
		snprintf(req, sizeof(req), "GET http://127.0.0.1:%d/gz HTTP/1.1"
		    "\r\nHost: x\r\nConnection: close\r\n\r\n", oport);
		raw_sends(&c, req);
		is_int(raw_read_resp(&c, &r, 0, 5000), 502, "a response with "
		    "Transfer-Encoding: gzip (not chunked): 502, never relayed "
		    "as if it were identity (RFC 9112 §6.1)");
		raw_resp_free(&r);
		raw_close(&c);
		raw_open(&c, h.port[0]);
		snprintf(req, sizeof(req), "GET http://127.0.0.1:%d/1xx HTTP/1.1"
		    "\r\nHost: x\r\nConnection: close\r\n\r\n", oport);
		raw_sends(&c, req);
		is_int(raw_read_resp(&c, &r, 0, 5000), 502, "nine 1xx before the "
		    "answer: the eight relayed are followed by a 502, not a "
		    "silent close");
		raw_resp_free(&r);
		raw_close(&c);
	}
	origin_finish(o);
	harness_stop(&h);
	harness_end(&h);
	origin_free(o);
	return exit_status();
}
