/*
 * proxy-keepalive.c -- a client connection carries several requests:
 * sequential ones, pipelined ones answered in order, and it closes when
 * the client asks (HTTP/1.0, Connection: close).
 *
 * Integration test: a real sluice, the scripted origin, libcurl and a raw
 * client.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "harness.h"
#include "origin.h"
#include "raw.h"
#include "tap.h"

static const struct origin_step steps[] = {
	{ .expect = "GET /k1", .status = 200, .body = "first" },
	{ .expect = "GET /k2", .status = 200, .body_len = 100000 },
	{ .expect = "POST /k3", .status = 200, .flags = ORIGIN_ECHO },
	{ .expect = "GET /k4", .status = 200, .body = "closing origin",
	    .flags = ORIGIN_CLOSE },
	{ .expect = "GET /k5", .status = 200, .body = "after close" },
	{ .expect = "GET /p1", .status = 200, .body = "pipelined one" },
	{ .expect = "GET /p2", .status = 200, .body_len = 30000 },
	{ .expect = "GET /p3", .status = 200, .body = "pipelined three",
	    .flags = ORIGIN_CHUNKED },
	{ .expect = "GET /h10", .status = 200, .body = "one-oh" },
	{ .expect = "GET /cc", .status = 200, .body = "close please" },
};
#define NSTEPS	((int)(sizeof(steps) / sizeof(steps[0])))

static char	url[256];
static int	oport;

static const char *
u(const char *path)
{
	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", oport, path);
	return url;
}

int
main(void)
{
	struct harness h;
	struct origin *o;
	struct client *cl;
	struct client_req q;
	struct client_resp r;
	struct raw c;
	struct raw_resp rr;
	char req[2048], *line;
	int n;

	plan(24 + ORIGIN_FINISH_TESTS + HARNESS_STOP_TESTS +
	    HARNESS_END_TESTS);

	o = origin_start(steps, NSTEPS);
	oport = origin_port(o);
	harness_init(&h, 1);
	harness_conf(&h, "http_access allow localhost\nhttp_access deny all\n"
	    "debug_options ALL,2\n");
	if (harness_start(&h) == -1)
		bail_out("sluice did not start");

	/* Sequential requests on one libcurl handle. */
	cl = client_new(h.port[0]);
	memset(&q, 0, sizeof(q));
	q.url = u("/k1");
	is_int(client_do(cl, &q, &r), 200, "1st request: 200");
	is_str(r.body, "first", "1st request: body");
	is_int(r.num_connects, 1, "1st request opened a connection");
	client_resp_free(&r);

	q.url = u("/k2");
	is_int(client_do(cl, &q, &r), 200, "2nd request: 200");
	ok(r.body_len == 100000 && r.body_hash ==
	    harness_pattern_hash(100000), "2nd request: 100 KB body intact");
	line = harness_file_wait(h.cache_log, 2000, "splicing a body of known",
	    NULL);
	ok(line != NULL, "the 100 KB body went through splice(2)");
	free(line);
	is_int(r.num_connects, 0, "2nd request reused the connection");
	client_resp_free(&r);

	q.method = "POST";
	q.url = u("/k3");
	q.body = "third, with a body";
	is_int(client_do(cl, &q, &r), 200, "3rd request (POST): 200");
	is_str(r.body, "third, with a body", "3rd request: body echoed");
	is_int(r.num_connects, 0, "3rd request reused the connection");
	client_resp_free(&r);

	/* The origin closes after its answer; the client connection stays. */
	memset(&q, 0, sizeof(q));
	q.url = u("/k4");
	is_int(client_do(cl, &q, &r), 200,
	    "request whose origin closes after answering: 200");
	client_resp_free(&r);
	q.url = u("/k5");
	is_int(client_do(cl, &q, &r), 200, "next request: 200");
	is_str(r.body, "after close", "next request: body");
	is_int(r.num_connects, 0, "an origin closing does not close the "
	    "client connection");
	client_resp_free(&r);
	client_free(cl);

	/* Three pipelined requests in one write, answered in order. */
	if (raw_open(&c, h.port[0]) == -1)
		bail_out("cannot connect to sluice");
	n = snprintf(req, sizeof(req),
	    "GET http://127.0.0.1:%d/p1 HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n"
	    "GET http://127.0.0.1:%d/p2 HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n"
	    "GET http://127.0.0.1:%d/p3 HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n",
	    oport, oport, oport, oport, oport, oport);
	raw_send(&c, req, (size_t)n);
	memset(&rr, 0, sizeof(rr));
	is_int(raw_read_resp(&c, &rr, 0, 10000), 200, "pipelined 1: 200");
	is_str(rr.body, "pipelined one", "pipelined 1 is answered first");
	raw_resp_free(&rr);
	is_int(raw_read_resp(&c, &rr, 0, 10000), 200, "pipelined 2: 200");
	ok(rr.body_len == 30000 && rr.body_hash == harness_pattern_hash(30000),
	    "pipelined 2 is answered second, body intact");
	raw_resp_free(&rr);
	is_int(raw_read_resp(&c, &rr, 0, 10000), 200, "pipelined 3: 200");
	is_str(rr.body, "pipelined three", "pipelined 3 is answered third");
	raw_resp_free(&rr);
	raw_close(&c);

	/* HTTP/1.0 without keep-alive: one response, then close. */
	if (raw_open(&c, h.port[0]) == -1)
		bail_out("cannot connect to sluice");
	snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\n\r\n", u("/h10"));
	raw_sends(&c, req);
	is_int(raw_read_resp(&c, &rr, 0, 10000), 200, "HTTP/1.0 request: 200");
	raw_resp_free(&rr);
	ok(raw_wait_eof(&c, 10000), "HTTP/1.0 connection is closed after "
	    "the response");
	raw_close(&c);

	/* HTTP/1.1 with Connection: close. */
	if (raw_open(&c, h.port[0]) == -1)
		bail_out("cannot connect to sluice");
	snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
	    "Connection: close\r\n\r\n", u("/cc"), oport);
	raw_sends(&c, req);
	is_int(raw_read_resp(&c, &rr, 0, 10000), 200,
	    "Connection: close request: 200");
	raw_resp_free(&rr);
	ok(raw_wait_eof(&c, 10000), "Connection: close is honoured after "
	    "the response");
	raw_close(&c);

	diag("origin connections used for %d requests: %d",
	    origin_nreq(o), origin_nconn(o));
	origin_finish(o);
	harness_stop(&h);
	harness_end(&h);
	origin_free(o);
	return exit_status();
}
