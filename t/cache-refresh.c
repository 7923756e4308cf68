/*
 * cache-refresh.c -- a 304 updates only the stored response it is about
 * (RFC 9111 §4.3.4), and a 304 about nothing we have is never the
 * client's problem: the request is asked again without conditions.
 *
 *  - a 304 whose ETag is not the stored one (an origin whose servers
 *    disagree): the stored response is not touched, the client gets the
 *    origin's full answer;
 *  - a 304 for an entry that vanished while the revalidation was under
 *    way (PURGE): the client gets the full answer, not a 502;
 *  - a 304 that matches: merged, served (TCP_REFRESH_UNMODIFIED), and the
 *    next request finds the entry fresh.
 *
 * Integration test: a real sluice with cache_dir, a scripted origin, raw
 * clients (one request is sent while another waits for the origin).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "origin.h"
#include "raw.h"
#include "tap.h"

static const struct origin_step steps[] = {
	/* A 304 about another representation. */
	{ .expect = "GET /m", .status = 200, .body = "m version one",
	    .headers = "Cache-Control: max-age=0\r\nETag: \"v1\"\r\n" },
	{ .expect = "GET /m", .expect_hdr = "If-None-Match: \"v1\"",
	    .status = 304,
	    .headers = "ETag: \"v2\"\r\nCache-Control: max-age=600\r\n" },
	{ .expect = "GET /m", .status = 200, .body = "m version two",
	    .headers = "Cache-Control: max-age=600\r\nETag: \"v2\"\r\n" },
	/* The entry goes away while the 304 is on its way. */
	{ .expect = "GET /g", .status = 200, .body = "g first",
	    .headers = "Cache-Control: max-age=0\r\nETag: \"g1\"\r\n" },
	{ .expect = "GET /g", .expect_hdr = "If-None-Match: \"g1\"",
	    .status = 304, .delay_ms = 1500,
	    .headers = "ETag: \"g1\"\r\nCache-Control: max-age=600\r\n" },
	{ .expect = "GET /g", .status = 200, .body = "g again",
	    .headers = "Cache-Control: max-age=600\r\nETag: \"g1\"\r\n" },
	/* A 304 that matches. */
	{ .expect = "GET /ok", .status = 200, .body = "ok body",
	    .headers = "Cache-Control: max-age=0\r\nETag: \"k\"\r\n" },
	{ .expect = "GET /ok", .expect_hdr = "If-None-Match: \"k\"",
	    .status = 304,
	    .headers = "ETag: \"k\"\r\nCache-Control: max-age=600\r\n" },
};
#define NSTEPS	((int)(sizeof(steps) / sizeof(steps[0])))

static int oport;

static void
send_req(struct raw *c, struct harness *h, const char *method,
    const char *path)
{
	char req[512];

	if (raw_open(c, h->port[0]) == -1)
		bail_out("connect to sluice");
	snprintf(req, sizeof(req), "%s http://127.0.0.1:%d%s HTTP/1.1\r\n"
	    "Host: x\r\nConnection: close\r\n\r\n", method, oport, path);
	raw_sends(c, req);
}

static int
ask(struct harness *h, const char *method, const char *path,
    struct raw_resp *r)
{
	struct raw c;
	int st;

	send_req(&c, h, method, path);
	st = raw_read_resp(&c, r, 0, 10000);
	raw_close(&c);
	return st;
}

int
main(void)
{
	struct harness h;
	struct origin *o;
	struct raw_resp r;
	struct raw a;
	const struct origin_req *q;
	char *line;
	int i, n;

	plan(16 + ORIGIN_FINISH_TESTS + HARNESS_STOP_TESTS +
	    HARNESS_END_TESTS);
	o = origin_start(steps, NSTEPS);
	oport = origin_port(o);
	harness_init(&h, 1);
	harness_conf(&h, "acl purge method PURGE\nhttp_access allow localhost\n"
	    "http_access deny all\ncache_dir lmdb %DIR%/cache 10\n");
	if (harness_start(&h) == -1)
		bail_out("sluice did not start");

	/* 1. A 304 with another entity-tag matches nothing stored. */
	is_int(ask(&h, "GET", "/m", &r), 200, "/m stored (ETag v1, stale)");
	raw_resp_free(&r);
	is_int(ask(&h, "GET", "/m", &r), 200, "/m: the origin's 304 names "
	    "another ETag: the client still gets a 200");
	ok(r.body != NULL && strcmp(r.body, "m version two") == 0 &&
	    raw_has(&r, "ETag", "v2"), "with the origin's current body and "
	    "ETag, not the stored v1 under v2's fields (RFC 9111 §4.3.4)");
	raw_resp_free(&r);
	n = origin_nreq(o);
	q = n >= 3 ? origin_req(o, 2) : NULL;
	ok(q != NULL && strstr(q->head, "If-None-Match") == NULL,
	    "the request asked again carries no condition");

	/* 2. The entry is purged while its revalidation is under way. */
	is_int(ask(&h, "GET", "/g", &r), 200, "/g stored (stale)");
	raw_resp_free(&r);
	n = origin_nreq(o);
	send_req(&a, &h, "GET", "/g");
	/* Wait (bounded) for the conditional request to reach the origin. */
	for (i = 0; i < 250 && origin_nreq(o) == n; i++)
		harness_msleep(20);
	ok(origin_nreq(o) > n, "the revalidation of /g reached the origin");
	is_int(ask(&h, "PURGE", "/g", &r), 200, "PURGE /g while the origin "
	    "takes its time: 200");
	raw_resp_free(&r);
	is_int(raw_read_resp(&a, &r, 0, 10000), 200, "the revalidated request "
	    "gets a 200, not a 502, although its entry is gone");
	ok(r.body != NULL && strcmp(r.body, "g again") == 0,
	    "with the body the origin sent when asked again");
	raw_resp_free(&r);
	raw_close(&a);
	line = harness_file_wait(h.cache_log, 2000, "matches no stored",
	    "/g", NULL);
	ok(line != NULL, "cache_log says why it asked again");
	free(line);

	/* 3. A 304 that matches: merged and served, fresh afterwards. */
	is_int(ask(&h, "GET", "/ok", &r), 200, "/ok stored (stale)");
	raw_resp_free(&r);
	is_int(ask(&h, "GET", "/ok", &r), 200, "/ok revalidated: 200");
	ok(r.body != NULL && strcmp(r.body, "ok body") == 0 &&
	    raw_has(&r, "Cache-Status", "fwd-status=304"), "the stored body, "
	    "Cache-Status fwd=stale; fwd-status=304");
	raw_resp_free(&r);
	is_int(ask(&h, "GET", "/ok", &r), 200, "/ok again: 200");
	ok(raw_has(&r, "Cache-Status", "hit"), "a fresh hit now (the 304's "
	    "max-age was stored before the answer went out)");
	raw_resp_free(&r);
	line = harness_log_wait(&h, "TCP_REFRESH_UNMODIFIED/200", "/ok", NULL);
	ok(line != NULL, "access log: TCP_REFRESH_UNMODIFIED/200");
	free(line);

	origin_finish(o);
	origin_free(o);
	harness_stop(&h);
	harness_end(&h);
	return exit_status();
}
