/*
 * proxy-pool.c -- the upstream connection pool: origin connections are
 * kept and reused across client connections (RFC 9112 §9.3), not when the
 * origin says `Connection: close`, not after server_idle_pconn_timeout,
 * at most server_idle_pconn_max_per_origin per origin; a request that
 * fails on a reused connection before any response byte is sent again
 * once on a fresh connection only when it is idempotent and has no body
 * (RFC 9110 §9.2.2, RFC 9112 §9.3.1); reuse is in the debug log.
 *
 * Integration test: a real sluice, the scripted origin, raw clients (one
 * new client connection per request, so any reuse is the pool's).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "origin.h"
#include "raw.h"
#include "tap.h"

static const struct origin_step steps[] = {
	/* 0-2: three client connections, one origin connection. */
	{ .expect = "GET /a1", .status = 200, .body = "a1" },
	{ .expect = "GET /a2", .status = 200, .body = "a2",
	    .flags = ORIGIN_CHUNKED },
	{ .expect = "HEAD /a3", .status = 200,
	    .headers = "Content-Length: 999\r\n" },
	/* 3-4: the origin says close: the next request opens a new one. */
	{ .expect = "GET /c1", .status = 200, .body = "c1",
	    .flags = ORIGIN_CLOSE },
	{ .expect = "GET /c2", .status = 200, .body = "c2" },
	/* 5-6: a pooled connection dies under a GET: sent again, once. */
	{ .expect = "GET /r1", .flags = ORIGIN_NO_RESPONSE },
	{ .expect = "GET /r1", .status = 200, .body = "retried" },
	/* 7: ... but never a POST: 502, and the origin saw it once. */
	{ .expect = "POST /p1", .flags = ORIGIN_NO_RESPONSE },
	/* 8-9: a fresh connection that dies is not retried. */
	{ .expect = "GET /f0", .status = 200, .body = "f0",
	    .flags = ORIGIN_CLOSE },
	{ .expect = "GET /f1", .flags = ORIGIN_NO_RESPONSE },
	/* 10-11: a body that ends at close leaves nothing to reuse. */
	{ .expect = "GET /e1", .status = 200, .body = "eof body",
	    .flags = ORIGIN_NO_LENGTH },
	{ .expect = "GET /e2", .status = 200, .body = "e2" },
};
#define NSTEPS	((int)(sizeof(steps) / sizeof(steps[0])))

static const struct origin_step steps2[] = {
	{ .expect = "GET /t1", .status = 200, .body = "t1" },
	{ .expect = "GET /t2", .status = 200, .body = "t2" },
	{ .expect = "GET /k1", .status = 200, .body = "k1", .delay_ms = 300 },
	{ .expect = "GET /k2", .status = 200, .body = "k2" },
	{ .expect = "GET /k3", .status = 200, .body = "k3", .delay_ms = 300 },
	{ .expect = "GET /k4", .status = 200, .body = "k4" },
};
#define NSTEPS2	((int)(sizeof(steps2) / sizeof(steps2[0])))

static const struct origin_step steps3[] = {
	{ .expect = "GET /o1", .status = 200, .body = "o1" },
	{ .expect = "GET /o2", .status = 200, .body = "o2" },
};
#define NSTEPS3	((int)(sizeof(steps3) / sizeof(steps3[0])))

/* One request on a new client connection; returns the status. */
static int
one(int port, int oport, const char *method, const char *path,
    const char *extra, struct raw_resp *r)
{
	struct raw c;
	char req[1024];
	int st;

	if (raw_open(&c, port) == -1)
		return -1;
	snprintf(req, sizeof(req), "%s http://127.0.0.1:%d%s HTTP/1.1\r\n"
	    "Host: 127.0.0.1:%d\r\n%sConnection: close\r\n\r\n", method, oport,
	    path, oport, extra ? extra : "");
	raw_sends(&c, req);
	st = raw_read_resp(&c, r, strcmp(method, "HEAD") == 0, 10000);
	raw_close(&c);
	return st;
}

/* Send on two client connections at once, then read both. */
static void
two(int port, int oport, const char *p1, const char *p2, int *s1, int *s2)
{
	struct raw a, b;
	struct raw_resp r;
	char req[1024];

	*s1 = *s2 = -1;
	if (raw_open(&a, port) == -1 || raw_open(&b, port) == -1)
		return;
	snprintf(req, sizeof(req), "GET http://127.0.0.1:%d%s HTTP/1.1\r\n"
	    "Host: x\r\nConnection: close\r\n\r\n", oport, p1);
	raw_sends(&a, req);
	harness_msleep(50);	/* p1 reaches the origin first */
	snprintf(req, sizeof(req), "GET http://127.0.0.1:%d%s HTTP/1.1\r\n"
	    "Host: x\r\nConnection: close\r\n\r\n", oport, p2);
	raw_sends(&b, req);
	*s1 = raw_read_resp(&a, &r, 0, 10000);
	raw_resp_free(&r);
	*s2 = raw_read_resp(&b, &r, 0, 10000);
	raw_resp_free(&r);
	raw_close(&a);
	raw_close(&b);
}

int
main(void)
{
	struct harness h;
	struct origin *o;
	const struct origin_req *q;
	struct raw_resp r;
	char v[256], *line;
	int oport, s1, s2, n0;

	plan(30 + 3 * ORIGIN_FINISH_TESTS + 3 * (HARNESS_STOP_TESTS +
	    HARNESS_END_TESTS));

	/* ---- reuse, Connection: close, retry rules ---- */
	o = origin_start(steps, NSTEPS);
	oport = origin_port(o);
	harness_init(&h, 1);
	harness_conf(&h, "http_access allow localhost\nhttp_access deny all\n"
	    "debug_options ALL,2\n");
	if (harness_start(&h) == -1)
		bail_out("sluice did not start");

	is_int(one(h.port[0], oport, "GET", "/a1", NULL, &r), 200, "GET /a1");
	raw_resp_free(&r);
	is_int(one(h.port[0], oport, "GET", "/a2", NULL, &r), 200,
	    "GET /a2 (chunked)");
	raw_resp_free(&r);
	is_int(one(h.port[0], oport, "HEAD", "/a3", NULL, &r), 200, "HEAD /a3");
	raw_resp_free(&r);
	is_int(origin_nconn(o), 1, "three requests from three client "
	    "connections used one origin connection (RFC 9112 §9.3)");
	q = origin_req(o, 0);
	ok(q != NULL && origin_req_header(q, "Connection", v, sizeof(v)) ==
	    NULL, "the request upstream does not ask the origin to close");
	line = harness_file_wait(h.cache_log, 2000, "reusing the connection to",
	    "(request 3 on it)", NULL);
	ok(line != NULL, "reuse and the request count are in the debug log");
	free(line);

	is_int(one(h.port[0], oport, "GET", "/c1", NULL, &r), 200,
	    "GET /c1: the origin answers with Connection: close");
	raw_resp_free(&r);
	n0 = origin_nconn(o);
	is_int(one(h.port[0], oport, "GET", "/c2", NULL, &r), 200, "GET /c2");
	raw_resp_free(&r);
	is_int(origin_nconn(o), n0 + 1, "after Connection: close the next "
	    "request opened a new origin connection");

	/* /c2's connection is pooled; the origin drops /r1 silently. */
	is_int(one(h.port[0], oport, "GET", "/r1", NULL, &r), 200,
	    "GET on a pooled connection that dies before answering: 200 "
	    "after one retry (RFC 9112 §9.3.1)");
	is_str(r.body, "retried", "the retry's body reached the client");
	raw_resp_free(&r);
	q = origin_req(o, 6);
	ok(q != NULL && origin_req(o, 5) != NULL &&
	    q->conn != origin_req(o, 5)->conn,
	    "the retry went on a new origin connection");

	is_int(one(h.port[0], oport, "POST", "/p1",
	    "Content-Length: 0\r\n", &r), 502,
	    "POST on a pooled connection that dies: 502, not sent again "
	    "(RFC 9110 §9.2.2)");
	raw_resp_free(&r);
	is_int(origin_nreq(o), 8, "the origin saw the POST exactly once");

	is_int(one(h.port[0], oport, "GET", "/f0", NULL, &r), 200,
	    "GET /f0 (origin closes after it)");
	raw_resp_free(&r);
	is_int(one(h.port[0], oport, "GET", "/f1", NULL, &r), 502,
	    "GET on a fresh connection that dies: 502, no retry");
	raw_resp_free(&r);
	is_int(origin_nreq(o), 10, "the origin saw /f1 exactly once");

	is_int(one(h.port[0], oport, "GET", "/e1", NULL, &r), 200,
	    "GET /e1: body delimited by close");
	raw_resp_free(&r);
	n0 = origin_nconn(o);
	is_int(one(h.port[0], oport, "GET", "/e2", NULL, &r), 200, "GET /e2");
	raw_resp_free(&r);
	is_int(origin_nconn(o), n0 + 1, "a close-delimited response's "
	    "connection is not reused");

	origin_finish(o);
	harness_stop(&h);
	harness_end(&h);
	origin_free(o);

	/* ---- idle timeout and the per-origin cap ---- */
	o = origin_start(steps2, NSTEPS2);
	oport = origin_port(o);
	harness_init(&h, 1);
	harness_conf(&h, "http_access allow localhost\nhttp_access deny all\n"
	    "server_idle_pconn_timeout 1 second\n"
	    "server_idle_pconn_max_per_origin 1\n");
	if (harness_start(&h) == -1)
		bail_out("sluice did not start");
	is_int(one(h.port[0], oport, "GET", "/t1", NULL, &r), 200, "GET /t1");
	raw_resp_free(&r);
	/* Wait well past the timeout; sluice must have closed it. */
	harness_msleep(2500);
	is_int(one(h.port[0], oport, "GET", "/t2", NULL, &r), 200, "GET /t2");
	raw_resp_free(&r);
	is_int(origin_nconn(o), 2, "an idle pooled connection is closed after "
	    "server_idle_pconn_timeout");

	/* Two at once need two connections; the cap keeps one idle. */
	two(h.port[0], oport, "/k1", "/k2", &s1, &s2);
	ok(s1 == 200 && s2 == 200, "two concurrent requests: 200, 200");
	n0 = origin_nconn(o);
	two(h.port[0], oport, "/k3", "/k4", &s1, &s2);
	ok(s1 == 200 && s2 == 200, "two more concurrent requests: 200, 200");
	is_int(origin_nconn(o), n0 + 1, "server_idle_pconn_max_per_origin 1 "
	    "kept one of the two connections, so one new one was needed");
	origin_finish(o);
	harness_stop(&h);
	harness_end(&h);
	origin_free(o);

	/* ---- server_persistent_connections off ---- */
	o = origin_start(steps3, NSTEPS3);
	oport = origin_port(o);
	harness_init(&h, 1);
	harness_conf(&h, "http_access allow localhost\nhttp_access deny all\n"
	    "server_persistent_connections off\n");
	if (harness_start(&h) == -1)
		bail_out("sluice did not start");
	is_int(one(h.port[0], oport, "GET", "/o1", NULL, &r), 200, "GET /o1");
	raw_resp_free(&r);
	is_int(one(h.port[0], oport, "GET", "/o2", NULL, &r), 200, "GET /o2");
	raw_resp_free(&r);
	is_int(origin_nconn(o), 2, "server_persistent_connections off: a new "
	    "origin connection per request");
	q = origin_req(o, 0);
	ok(q != NULL && origin_req_header(q, "Connection", v, sizeof(v)) !=
	    NULL && strcmp(v, "close") == 0,
	    "server_persistent_connections off: Connection: close upstream");
	origin_finish(o);
	harness_stop(&h);
	harness_end(&h);
	origin_free(o);
	return exit_status();
}
