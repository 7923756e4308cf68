/*
 * cache-swr.c -- stale-while-revalidate (RFC 5861 §3): a stored response
 * stale within its window is answered at once from the cache
 * (Cache-Status detail=stale-while-revalidate) while one revalidation per
 * URL runs in the background, across workers; the next request gets what
 * it brought (a 200 stored, or a 304 that freshened the entry).  Outside
 * the window, under must-revalidate, or when the client asks for
 * freshness (max-age=0, as apt does), the revalidation comes first.
 *
 * Integration test: a real sluice (2 workers) with cache_dir, the
 * scripted origin answering the background revalidations slowly, raw
 * clients.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "origin.h"
#include "raw.h"
#include "tap.h"

#define SLOW	2000		/* ms the origin takes to revalidate */
#define HERD	6

/* Stale by 9 s at once (Age 10, max-age 1), within a 60 s window. */
#define SWR	"Cache-Control: max-age=1, stale-while-revalidate=60\r\n" \
		"Age: 10\r\n"

static const struct origin_step steps[] = {
	/* 0-1: a 200 replaces it */
	{ .expect = "GET /a", .status = 200, .body = "a1",
	    .headers = SWR "ETag: \"a1\"\r\n" },
	{ .expect = "GET /a", .expect_hdr = "If-None-Match: \"a1\"",
	    .status = 200, .body = "a2", .delay_ms = SLOW,
	    .headers = "Cache-Control: max-age=600\r\nETag: \"a2\"\r\n" },
	/* 2-3: a 304 freshens it */
	{ .expect = "GET /b", .status = 200, .body = "b1",
	    .headers = SWR "ETag: \"b1\"\r\n" },
	{ .expect = "GET /b", .expect_hdr = "If-None-Match: \"b1\"",
	    .status = 304, .body = "", .delay_ms = SLOW,
	    .headers = "Cache-Control: max-age=600\r\nETag: \"b1\"\r\n" },
	/* 4-5: the client asks max-age=0: revalidated first */
	{ .expect = "GET /c", .status = 200, .body = "c1",
	    .headers = SWR "ETag: \"c1\"\r\n" },
	{ .expect = "GET /c", .expect_hdr = "If-None-Match: \"c1\"",
	    .status = 200, .body = "c2",
	    .headers = "Cache-Control: max-age=600\r\n" },
	/* 6-7: past the window (Age 100, window 10): revalidated first */
	{ .expect = "GET /d", .status = 200, .body = "d1",
	    .headers = "Cache-Control: max-age=1, stale-while-revalidate=10\r\n"
	    "Age: 100\r\nETag: \"d1\"\r\n" },
	{ .expect = "GET /d", .status = 200, .body = "d2",
	    .headers = "Cache-Control: max-age=600\r\n" },
	/* 8-9: must-revalidate wins */
	{ .expect = "GET /e", .status = 200, .body = "e1",
	    .headers = "Cache-Control: max-age=1, stale-while-revalidate=60, "
	    "must-revalidate\r\nAge: 10\r\n" },
	{ .expect = "GET /e", .status = 200, .body = "e2",
	    .headers = "Cache-Control: max-age=600\r\n" },
	/* 10-11: the background revalidation fails: stale stays */
	{ .expect = "GET /f", .status = 200, .body = "f1",
	    .headers = SWR },
	{ .expect = "GET /f", .status = 200,
	    .flags = ORIGIN_NO_RESPONSE | ORIGIN_REPEAT },
};
#define NSTEPS	((int)(sizeof(steps) / sizeof(steps[0])))

static int oport;

static void
send_get(struct harness *h, struct raw *c, const char *path,
    const char *extra)
{
	char req[512];

	if (raw_open(c, h->port[0]) == -1)
		bail_out("cannot connect to sluice");
	snprintf(req, sizeof(req), "GET http://127.0.0.1:%d%s HTTP/1.1\r\n"
	    "Host: x\r\n%sConnection: close\r\n\r\n", oport, path,
	    extra ? extra : "");
	raw_sends(c, req);
}

static int
get(struct harness *h, const char *path, const char *extra,
    struct raw_resp *r)
{
	struct raw c;
	int st;

	send_get(h, &c, path, extra);
	st = raw_read_resp(&c, r, 0, 15000);
	raw_close(&c);
	return st;
}

/* Wait (bounded) until the origin has seen @p n requests. */
static int
wait_nreq(struct origin *o, int n)
{
	int i;

	for (i = 0; i < 500 && origin_nreq(o) < n; i++)
		harness_msleep(10);
	return origin_nreq(o);
}

int
main(void)
{
	struct harness h;
	struct origin *o;
	struct raw c[HERD];
	struct raw_resp r;
	char *line;
	int i, st, good, n;

	plan(20 + ORIGIN_FINISH_TESTS + HARNESS_STOP_TESTS +
	    HARNESS_END_TESTS);
	o = origin_start(steps, NSTEPS);
	oport = origin_port(o);
	harness_init(&h, 1);
	harness_conf(&h, "workers 2\nhttp_access allow localhost\n"
	    "http_access deny all\ncache_dir lmdb %DIR%/cache 20\n");
	if (harness_start(&h) == -1)
		bail_out("sluice did not start");

	/* Stored stale: answered at once, a 200 fetched behind it. */
	st = get(&h, "/a", NULL, &r);
	ok(st == 200 && raw_body_is(&r, "a1"), "/a stored (stale on arrival, "
	    "within its stale-while-revalidate window)");
	raw_resp_free(&r);
	st = get(&h, "/a", NULL, &r);
	ok(st == 200 && raw_body_is(&r, "a1") && raw_has(&r, "Cache-Status",
	    "detail=stale-while-revalidate") && raw_has(&r, "Cache-Status",
	    "hit; ttl=-"), "stale /a answered from the cache: Cache-Status "
	    "hit, a negative ttl, detail=stale-while-revalidate");
	raw_resp_free(&r);
	is_int(wait_nreq(o, 2), 2, "the revalidation reached the origin, "
	    "with the stored validator (If-None-Match)");

	/* While it runs: everyone gets the stale one, nobody asks again. */
	for (i = 0; i < HERD; i++)
		send_get(&h, &c[i], "/a", NULL);
	for (i = 0, good = 0; i < HERD; i++) {
		st = raw_read_resp(&c[i], &r, 0, 15000);
		if (st == 200 && (raw_body_is(&r, "a1") || raw_body_is(&r,
		    "a2")))
			good++;
		raw_resp_free(&r);
		raw_close(&c[i]);
	}
	is_int(good, HERD, "%d more clients during the revalidation: each "
	    "answered", HERD);
	line = harness_file_wait(h.access_log, 10000,
	    "TCP_REFRESH_MODIFIED/200", "/a ", NULL);
	ok(line != NULL, "access log: the background revalidation, "
	    "TCP_REFRESH_MODIFIED: %s", line ? line : "(none)");
	free(line);
	is_int(origin_nreq(o), 2, "one revalidation for all of them, both "
	    "workers");
	st = get(&h, "/a", NULL, &r);
	ok(st == 200 && raw_body_is(&r, "a2") && raw_has(&r, "Cache-Status",
	    "hit") &&
	    !raw_has(&r, "Cache-Status", "stale"), "then the new response is "
	    "served, fresh");
	raw_resp_free(&r);

	/* A 304 freshens the stored one. */
	st = get(&h, "/b", NULL, &r);
	raw_resp_free(&r);
	st = get(&h, "/b", NULL, &r);
	ok(st == 200 && raw_body_is(&r, "b1") && raw_has(&r, "Cache-Status",
	    "stale-while-revalidate"), "/b: stale, answered at once");
	raw_resp_free(&r);
	line = harness_file_wait(h.access_log, 10000,
	    "TCP_REFRESH_UNMODIFIED", "/b ", NULL);
	ok(line != NULL, "the background revalidation got a 304 "
	    "(TCP_REFRESH_UNMODIFIED)");
	free(line);
	st = get(&h, "/b", NULL, &r);
	ok(st == 200 && raw_body_is(&r, "b1") && raw_has(&r, "Cache-Status",
	    "hit; ttl=") && !raw_has(&r, "Cache-Status", "ttl=-"),
	    "the 304 freshened it: a fresh hit");
	raw_resp_free(&r);
	is_int(origin_nreq(o), 4, "/b: two origin requests");

	/* The client asks for freshness: no stale answer. */
	st = get(&h, "/c", NULL, &r);
	raw_resp_free(&r);
	st = get(&h, "/c", "Cache-Control: max-age=0\r\n", &r);
	ok(st == 200 && raw_body_is(&r, "c2") && !raw_has(&r, "Cache-Status",
	    "stale-while-revalidate"), "max-age=0 from the client (apt): "
	    "revalidated first, the new body");
	raw_resp_free(&r);

	/* Past the window. */
	st = get(&h, "/d", NULL, &r);
	raw_resp_free(&r);
	st = get(&h, "/d", NULL, &r);
	ok(st == 200 && raw_body_is(&r, "d2"), "past the window: revalidated "
	    "first");
	raw_resp_free(&r);

	/* must-revalidate. */
	st = get(&h, "/e", NULL, &r);
	raw_resp_free(&r);
	st = get(&h, "/e", NULL, &r);
	ok(st == 200 && raw_body_is(&r, "e2"), "must-revalidate: revalidated "
	    "first");
	raw_resp_free(&r);
	is_int(origin_nreq(o), 10, "/c, /d, /e: each asked twice");

	/* The revalidation fails: the next client still gets an answer. */
	st = get(&h, "/f", NULL, &r);
	raw_resp_free(&r);
	n = origin_nreq(o);
	st = get(&h, "/f", NULL, &r);
	ok(st == 200 && raw_body_is(&r, "f1"), "/f: stale, answered at once");
	raw_resp_free(&r);
	ok(wait_nreq(o, n + 1) >= n + 1, "its revalidation reached the "
	    "origin, which closed without an answer");
	is_int(harness_file_wait_count(h.access_log, "/f ", 3, 5000), 3,
	    "access log: the background request is logged too");
	st = get(&h, "/f", NULL, &r);
	ok(st == 200 && raw_body_is(&r, "f1"), "the stored one stays; the next "
	    "client is answered from it");
	raw_resp_free(&r);

	ok(harness_file_wait_count(h.cache_log, "cannot start its "
	    "revalidation", 0, 100) == 0, "every background revalidation "
	    "started");

	harness_stop(&h);
	origin_finish(o);
	origin_free(o);
	harness_end(&h);
	return exit_status();
}
