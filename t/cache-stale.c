/*
 * cache-stale.c -- a stale stored response is served when the origin
 * cannot be reached (RFC 9111 §4.2.4: "disconnected"), as squid's
 * TCP_REFRESH_FAIL_OLD, with Cache-Status fwd=stale and the reason; never
 * when a directive forbids it (must-revalidate, s-maxage, a client's
 * no-cache or max-age), and never in place of an answer the origin gave.
 *
 * Integration test: a real sluice with cache_dir, a scripted origin that
 * is stopped half-way, raw clients.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "origin.h"
#include "raw.h"
#include "tap.h"

static const struct origin_step steps[] = {
	{ .expect = "GET /st", .status = 200, .body = "old but gold",
	    .headers = "Cache-Control: max-age=0\r\nETag: \"s\"\r\n" },
	{ .expect = "GET /mr", .status = 200, .body = "must check",
	    .headers = "Cache-Control: max-age=0, must-revalidate\r\n" },
	{ .expect = "GET /sm", .status = 200, .body = "shared max",
	    .headers = "Cache-Control: s-maxage=0\r\n" },
	{ .expect = "GET /e5", .status = 200, .body = "before 503",
	    .headers = "Cache-Control: max-age=0\r\n" },
	{ .expect = "GET /e5", .status = 503, .body = "origin says 503" },
};
#define NSTEPS	((int)(sizeof(steps) / sizeof(steps[0])))

static int oport;

static int
ask(struct harness *h, const char *path, const char *extra,
    struct raw_resp *r)
{
	struct raw c;
	char req[512];
	int st;

	if (raw_open(&c, h->port[0]) == -1)
		return -1;
	snprintf(req, sizeof(req), "GET http://127.0.0.1:%d%s HTTP/1.1\r\n"
	    "Host: x\r\n%sConnection: close\r\n\r\n", oport, path,
	    extra ? extra : "");
	raw_sends(&c, req);
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
	char *line;

	plan(13 + ORIGIN_FINISH_TESTS + HARNESS_STOP_TESTS +
	    HARNESS_END_TESTS);
	o = origin_start(steps, NSTEPS);
	oport = origin_port(o);
	harness_init(&h, 1);
	harness_conf(&h, "http_access allow localhost\nhttp_access deny all\n"
	    "cache_dir lmdb %DIR%/cache 10\nserver_persistent_connections off\n");
	if (harness_start(&h) == -1)
		bail_out("sluice did not start");

	ok(ask(&h, "/st", NULL, &r) == 200, "/st stored (stale at once)");
	raw_resp_free(&r);
	ok(ask(&h, "/mr", NULL, &r) == 200, "/mr stored (must-revalidate)");
	raw_resp_free(&r);
	ok(ask(&h, "/sm", NULL, &r) == 200, "/sm stored (s-maxage=0)");
	raw_resp_free(&r);
	ok(ask(&h, "/e5", NULL, &r) == 200, "/e5 stored");
	raw_resp_free(&r);
	/* The origin answers, with a 503: that answer is the client's. */
	is_int(ask(&h, "/e5", NULL, &r), 503, "an origin's own 503 is "
	    "relayed, not replaced by the stale response");
	raw_resp_free(&r);

	/* Now the origin is gone: connections are refused. */
	origin_finish(o);
	origin_free(o);

	is_int(ask(&h, "/st", NULL, &r), 200, "origin down: the stale /st "
	    "is served");
	ok(r.body != NULL && strcmp(r.body, "old but gold") == 0 &&
	    raw_has(&r, "Cache-Status", "fwd=stale") &&
	    raw_has(&r, "Cache-Status", "detail=ERR_CONNECT_FAIL") &&
	    raw_resp_header(&r, "Age") != NULL, "its body, Age, and "
	    "Cache-Status fwd=stale; detail=ERR_CONNECT_FAIL (RFC 9211)");
	raw_resp_free(&r);
	line = harness_log_wait(&h, "TCP_REFRESH_FAIL_OLD/200", "/st", NULL);
	ok(line != NULL, "access log: TCP_REFRESH_FAIL_OLD/200 (squid's code)");
	free(line);
	is_int(ask(&h, "/mr", NULL, &r), 502, "must-revalidate: no stale "
	    "response, the error (RFC 9111 §5.2.2.2)");
	raw_resp_free(&r);
	is_int(ask(&h, "/sm", NULL, &r), 502, "s-maxage: no stale response "
	    "either (§5.2.2.10)");
	raw_resp_free(&r);
	is_int(ask(&h, "/st", "Cache-Control: no-cache\r\n", &r), 502,
	    "a client's no-cache: the error, not the stale response");
	raw_resp_free(&r);
	is_int(ask(&h, "/st", "Cache-Control: max-age=0\r\n", &r), 502,
	    "a client's max-age=0: the error");
	raw_resp_free(&r);
	is_int(ask(&h, "/never", NULL, &r), 502, "nothing stored: the error");
	raw_resp_free(&r);

	harness_stop(&h);
	harness_end(&h);
	return exit_status();
}
