/*
 * cache-offline.c -- stale content that helps, and the refresh_pattern
 * options that change what a request gets:
 *  - stale-if-error (RFC 5861 §4): the response's directive lets the
 *    stored response replace the origin's 503 within its lifetime, not
 *    past it; the request's directive does the same for its request; an
 *    origin's 5xx is relayed without either;
 *  - max_stale (squid) bounds the stale response served when the origin
 *    cannot be reached; refresh_pattern max-stale=N overrides it;
 *  - refresh-ims sends a client's If-Modified-Since to the origin, where
 *    a fresh response would otherwise answer 304 itself;
 *  - ignore-reload serves a fresh response to no-cache and max-age=0;
 *  - override-expire makes max-age=0 count as MIN;
 *  - offline_mode on: when the origin cannot be reached or answers 503, a
 *    stored response is served however stale and whatever the client
 *    asked (apt's max-age=0), marked Cache-Status fwd=stale with the
 *    reason, never one under must-revalidate.
 *
 * Integration test: two sluice configurations, each with a scripted
 * origin without validators that answers, then goes away; raw clients.
 * Staleness is made by construction (max-age=0, Age), never by waiting.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "origin.h"
#include "raw.h"
#include "tap.h"

#define LM	"Last-Modified: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
#define IMS	"If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n"

static const struct origin_step steps1[] = {
	{ .expect = "GET /sie", .status = 200, .body = "sie body",
	    .headers = "Cache-Control: max-age=0, stale-if-error=3600\r\n" },
	{ .expect = "GET /sie", .status = 503, .body = "origin 503" },
	{ .expect = "GET /sold", .status = 200, .body = "sold body",
	    .headers = "Cache-Control: max-age=0, stale-if-error=10\r\n"
	    "Age: 100\r\n" },
	{ .expect = "GET /sold", .status = 503, .body = "origin 503" },
	{ .expect = "GET /plain", .status = 200, .body = "plain body",
	    .headers = "Cache-Control: max-age=0\r\n" },
	{ .expect = "GET /plain", .status = 502, .body = "origin 502" },
	{ .expect = "GET /plain", .expect_hdr = "stale-if-error=3600",
	    .status = 500, .body = "origin 500" },
	{ .expect = "GET /ims/a", .status = 200, .body = "ims body",
	    .headers = "Cache-Control: max-age=3600\r\n" LM },
	{ .expect = "GET /ims/a", .expect_hdr = "If-Modified-Since",
	    .status = 304, .headers = "Cache-Control: max-age=3600\r\n" },
	{ .expect = "GET /fresh", .status = 200, .body = "fresh body",
	    .headers = "Cache-Control: max-age=3600\r\n" LM },
	{ .expect = "GET /ir/a", .status = 200, .body = "ir body",
	    .headers = "Age: 5\r\n" },
	{ .expect = "GET /ctl/a", .status = 200, .body = "ctl a 1",
	    .headers = "Age: 5\r\n" },
	{ .expect = "GET /ctl/a", .status = 200, .body = "ctl a 2",
	    .headers = "Age: 5\r\n" },
	{ .expect = "GET /oe/a", .status = 200, .body = "oe body",
	    .headers = "Cache-Control: max-age=0\r\n" },
	{ .expect = "GET /ctl/b", .status = 200, .body = "ctl b 1",
	    .headers = "Cache-Control: max-age=0\r\n" },
	{ .expect = "GET /ctl/b", .status = 200, .body = "ctl b 2",
	    .headers = "Cache-Control: max-age=0\r\n" },
	{ .expect = "GET /old", .status = 200, .body = "old body",
	    .headers = "Cache-Control: max-age=0\r\nAge: 600\r\n" },
	{ .expect = "GET /young", .status = 200, .body = "young body",
	    .headers = "Cache-Control: max-age=0\r\n" },
	{ .expect = "GET /ms/old", .status = 200, .body = "ms body",
	    .headers = "Cache-Control: max-age=0\r\nAge: 600\r\n" },
};

static const struct origin_step steps2[] = {
	{ .expect = "GET /off/a", .status = 200, .body = "offline a",
	    .headers = "Cache-Control: max-age=0\r\nAge: 9999999\r\n" },
	{ .expect = "GET /off/mr", .status = 200, .body = "offline mr",
	    .headers = "Cache-Control: max-age=0, must-revalidate\r\n" },
	{ .expect = "GET /off/e", .status = 200, .body = "offline e",
	    .headers = "Cache-Control: max-age=0\r\n" },
	{ .expect = "GET /off/e", .status = 503, .body = "origin 503" },
	{ .expect = "GET /off/f", .status = 200, .body = "offline f",
	    .headers = "Cache-Control: max-age=3600\r\n" },
};

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

/* Store a response: the first GET of @p path. */
static void
store(struct harness *h, const char *path)
{
	struct raw_resp r;

	ok(ask(h, path, NULL, &r) == 200 && raw_has(&r, "Cache-Status",
	    "stored"),
	    "%s is stored", path);
	raw_resp_free(&r);
}

static void
run1(void)
{
	struct harness h;
	struct origin *o;
	struct raw_resp r;
	char *line;
	int before;

	o = origin_start(steps1, (int)(sizeof(steps1) / sizeof(steps1[0])));
	oport = origin_port(o);
	harness_init(&h, 1);
	harness_conf(&h, "http_access allow localhost\nhttp_access deny all\n"
	    "cache_dir lmdb %DIR%/cache 10\nmax_stale 1 minute\n"
	    "refresh_pattern /ms/ 0 20% 4320 max-stale=3600\n"
	    "refresh_pattern /ims/ 0 20% 4320 refresh-ims\n"
	    "refresh_pattern /ir/ 60 20% 60 ignore-reload\n"
	    "refresh_pattern /ctl/ 60 20% 60\n"
	    "refresh_pattern /oe/ 60 20% 60 override-expire\n");
	if (harness_start(&h) == -1)
		bail_out("sluice did not start");

	/* stale-if-error in the response (RFC 5861 §4). */
	store(&h, "/sie");
	is_int(ask(&h, "/sie", NULL, &r), 200, "stale-if-error=3600: the "
	    "origin's 503 is replaced by the stored response");
	ok(raw_body_is(&r, "sie body") && raw_has(&r, "Cache-Status",
	    "fwd=stale") &&
	    raw_has(&r, "Cache-Status", "detail=origin-503") &&
	    raw_resp_header(&r, "Warning") == NULL, "its body, Cache-Status "
	    "fwd=stale; detail=origin-503, no Warning (RFC 9111 dropped it)");
	raw_resp_free(&r);
	line = harness_log_wait(&h, "TCP_REFRESH_FAIL_OLD/200", "/sie", NULL);
	ok(line != NULL, "access log: TCP_REFRESH_FAIL_OLD/200");
	free(line);
	store(&h, "/sold");
	is_int(ask(&h, "/sold", NULL, &r), 503, "stale-if-error=10 on a "
	    "response 100 s stale: the origin's 503 goes through (its upper "
	    "limit)");
	ok(raw_body_is(&r, "origin 503"), "with the origin's body");
	raw_resp_free(&r);
	store(&h, "/plain");
	is_int(ask(&h, "/plain", NULL, &r), 502, "without stale-if-error an "
	    "origin's 502 is the client's answer");
	raw_resp_free(&r);
	is_int(ask(&h, "/plain", "Cache-Control: stale-if-error=3600\r\n",
	    &r), 200, "a request's stale-if-error=3600: the stored response "
	    "instead of the origin's 500");
	ok(raw_body_is(&r, "plain body") && raw_has(&r, "Cache-Status",
	    "detail=origin-500"), "the stored body, detail=origin-500");
	raw_resp_free(&r);

	/* refresh-ims, against a fresh response without it. */
	store(&h, "/ims/a");
	before = origin_nreq(o);
	is_int(ask(&h, "/ims/a", IMS, &r), 304, "refresh-ims: a client's "
	    "If-Modified-Since is answered 304");
	ok(origin_nreq(o) == before + 1, "by the origin, though the stored "
	    "response is fresh");
	raw_resp_free(&r);
	store(&h, "/fresh");
	before = origin_nreq(o);
	is_int(ask(&h, "/fresh", IMS, &r), 304, "without refresh-ims the "
	    "same condition is answered 304");
	ok(origin_nreq(o) == before, "by the cache (RFC 9111 §4.3.2)");
	raw_resp_free(&r);

	/* ignore-reload, against the same line without it. */
	store(&h, "/ir/a");
	before = origin_nreq(o);
	is_int(ask(&h, "/ir/a", "Cache-Control: no-cache\r\n", &r), 200,
	    "ignore-reload: GET with no-cache");
	ok(raw_has(&r, "Cache-Status", "hit") && origin_nreq(o) == before,
	    "ignore-reload: no-cache served from the cache");
	raw_resp_free(&r);
	is_int(ask(&h, "/ir/a", "Cache-Control: max-age=0\r\n", &r), 200,
	    "ignore-reload: GET with max-age=0 (the response is 5 s old)");
	ok(raw_has(&r, "Cache-Status", "hit") && origin_nreq(o) == before,
	    "ignore-reload: max-age=0 served from the cache");
	raw_resp_free(&r);
	store(&h, "/ctl/a");
	is_int(ask(&h, "/ctl/a", "Cache-Control: no-cache\r\n", &r), 200,
	    "the same line without ignore-reload: GET with no-cache");
	ok(raw_body_is(&r, "ctl a 2"), "goes to the origin (§5.2.1.4)");
	raw_resp_free(&r);

	/* override-expire, against the same line without it. */
	store(&h, "/oe/a");
	before = origin_nreq(o);
	is_int(ask(&h, "/oe/a", NULL, &r), 200, "override-expire: GET of a "
	    "max-age=0 response");
	ok(raw_has(&r, "Cache-Status", "hit") && origin_nreq(o) == before,
	    "override-expire: fresh for MIN, a hit");
	raw_resp_free(&r);
	store(&h, "/ctl/b");
	is_int(ask(&h, "/ctl/b", NULL, &r), 200, "the same without "
	    "override-expire");
	ok(raw_body_is(&r, "ctl b 2"), "goes to the origin (max-age=0 stands)");
	raw_resp_free(&r);

	/* max_stale and max-stale=N, with the origin gone. */
	store(&h, "/old");
	store(&h, "/young");
	store(&h, "/ms/old");
	origin_finish(o);
	origin_free(o);
	is_int(ask(&h, "/young", NULL, &r), 200, "origin down: a response "
	    "seconds stale is served (RFC 9111 §4.2.4)");
	ok(raw_body_is(&r, "young body") && raw_has(&r, "Cache-Status",
	    "detail=ERR_CONNECT_FAIL"), "its body, Cache-Status "
	    "detail=ERR_CONNECT_FAIL");
	raw_resp_free(&r);
	is_int(ask(&h, "/young", "Cache-Control: max-age=0\r\n", &r), 502,
	    "without offline_mode a client's max-age=0 gets the error");
	raw_resp_free(&r);
	is_int(ask(&h, "/old", NULL, &r), 502, "a response 600 s stale, past "
	    "max_stale 1 minute: the error");
	raw_resp_free(&r);
	is_int(ask(&h, "/ms/old", NULL, &r), 200, "the same under "
	    "refresh_pattern max-stale=3600: served");
	ok(raw_body_is(&r, "ms body"), "its body");
	raw_resp_free(&r);

	harness_stop(&h);
	harness_end(&h);
}

static void
run2(void)
{
	struct harness h;
	struct origin *o;
	struct raw_resp r;
	char *line;

	o = origin_start(steps2, (int)(sizeof(steps2) / sizeof(steps2[0])));
	oport = origin_port(o);
	harness_init(&h, 1);
	harness_conf(&h, "http_access allow localhost\nhttp_access deny all\n"
	    "cache_dir lmdb %DIR%/cache 10\noffline_mode on\n");
	if (harness_start(&h) == -1)
		bail_out("sluice did not start");
	store(&h, "/off/a");
	store(&h, "/off/mr");
	store(&h, "/off/e");
	is_int(ask(&h, "/off/e", NULL, &r), 200, "offline_mode: the origin's "
	    "503 is replaced by the stored response");
	ok(raw_body_is(&r, "offline e") && raw_has(&r, "Cache-Status",
	    "detail=origin-503"), "its body, detail=origin-503");
	raw_resp_free(&r);
	store(&h, "/off/f");
	origin_finish(o);
	origin_free(o);

	is_int(ask(&h, "/off/a", "Cache-Control: max-age=0\r\n", &r), 200,
	    "offline_mode, origin down: apt's max-age=0 gets the stored "
	    "response, 115 days stale, past max_stale");
	ok(raw_body_is(&r, "offline a") && raw_has(&r, "Cache-Status",
	    "fwd=stale") &&
	    raw_has(&r, "Cache-Status", "detail=ERR_CONNECT_FAIL") &&
	    raw_resp_header(&r, "Warning") == NULL, "its body, Cache-Status "
	    "fwd=stale; detail=ERR_CONNECT_FAIL, no Warning");
	raw_resp_free(&r);
	line = harness_log_wait(&h, "TCP_REFRESH_FAIL_OLD/200", "/off/a", NULL);
	ok(line != NULL, "access log: TCP_REFRESH_FAIL_OLD/200");
	free(line);
	is_int(ask(&h, "/off/f", "Cache-Control: no-cache\r\n", &r), 200,
	    "offline_mode: a client's reload of a fresh response, origin "
	    "down: the stored response");
	raw_resp_free(&r);
	is_int(ask(&h, "/off/mr", NULL, &r), 502, "offline_mode never serves "
	    "a must-revalidate response unchecked (RFC 9111 §5.2.2.2)");
	raw_resp_free(&r);
	is_int(ask(&h, "/never", NULL, &r), 502, "nothing stored: the error");
	raw_resp_free(&r);
	harness_stop(&h);
	harness_end(&h);
}

int
main(void)
{
	plan(52 + 2 * (ORIGIN_FINISH_TESTS + HARNESS_STOP_TESTS +
	    HARNESS_END_TESTS));
	run1();
	run2();
	return exit_status();
}
