/*
 * cache-bodies.c -- responses of every framing are stored (RFC 9112 §6.3):
 * a chunked body is stored de-chunked, whether the client got the
 * chunks (HTTP/1.1) or the decoded bytes (HTTP/1.0); a close-delimited
 * body is stored once the origin closed; a hit then carries the stored
 * length as Content-Length.  A chunked body that grows past
 * maximum_object_size, or whose framing breaks, is not stored, and the
 * client still gets what the origin sent.
 *
 * Integration test: a real sluice with cache_dir, the scripted origin,
 * raw clients.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "origin.h"
#include "raw.h"
#include "tap.h"

#define MA	"Cache-Control: max-age=600\r\n"

static const struct origin_step steps[] = {
	{ .expect = "GET /ch-small", .status = 200, .body = "hello chunks",
	    .headers = MA, .flags = ORIGIN_CHUNKED },
	{ .expect = "GET /ch-big", .status = 200, .body_len = 40000,
	    .headers = MA, .flags = ORIGIN_CHUNKED },
	{ .expect = "GET /ch-10", .status = 200, .body_len = 30000,
	    .headers = MA, .flags = ORIGIN_CHUNKED },
	{ .expect = "GET /eof", .status = 200, .body_len = 50000,
	    .headers = MA, .flags = ORIGIN_NO_LENGTH },
	{ .expect = "GET /eof-huge", .status = 200, .body_len = 100000,
	    .headers = MA, .flags = ORIGIN_NO_LENGTH | ORIGIN_REPEAT },
	{ .expect = "GET /ch-huge", .status = 200, .body_len = 80000,
	    .headers = MA, .flags = ORIGIN_CHUNKED },
	{ .expect = "GET /ch-huge", .status = 200, .body_len = 80000,
	    .headers = MA, .flags = ORIGIN_CHUNKED },
	{ .expect = "GET /ch-bad", .status = 200, .flags = ORIGIN_RAW,
	    .body = "HTTP/1.1 200 OK\r\nCache-Control: max-age=600\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nZZ\r\nxx\r\n" },
	{ .expect = "GET /ch-bad", .status = 200, .body = "good",
	    .headers = "Cache-Control: no-store\r\n" },
	{ .expect = "GET /nodate", .status = 200, .body = "undated",
	    .headers = MA },
	{ .expect = "GET /nc204", .status = 204, .body = "", .headers = MA },
	{ .expect = "GET /s500", .status = 500, .body = "oops", .headers = MA },
};
#define NSTEPS	((int)(sizeof(steps) / sizeof(steps[0])))

static int oport;

static int
ask(struct harness *h, const char *path, int v10, struct raw_resp *r)
{
	struct raw c;
	char req[1024];
	int st;

	if (raw_open(&c, h->port[0]) == -1)
		return -1;
	snprintf(req, sizeof(req), "GET http://127.0.0.1:%d%s HTTP/1.%d\r\n"
	    "Host: x\r\nConnection: close\r\n\r\n", oport, path, v10 ? 0 : 1);
	raw_sends(&c, req);
	st = raw_read_resp(&c, r, 0, 10000);
	raw_close(&c);
	return st;
}

/* A hit with the whole pattern body and its length as Content-Length. */
static void
hit(struct harness *h, const char *path, size_t len, const char *what)
{
	struct raw_resp r;
	char cl[32];

	snprintf(cl, sizeof(cl), "%zu", len);
	is_int(ask(h, path, 0, &r), 200, "%s: 200", what);
	ok(raw_has(&r, "Cache-Status", "hit") && r.complete &&
	    r.body_len == len && r.body_hash == harness_pattern_hash(len),
	    "%s: a byte-exact hit", what);
	ok(raw_has(&r, "Content-Length", cl) &&
	    raw_resp_header(&r, "Transfer-Encoding") == NULL,
	    "%s: Content-Length %zu, no Transfer-Encoding", what, len);
	raw_resp_free(&r);
}

int
main(void)
{
	struct harness h;
	struct origin *o;
	struct raw_resp r;
	int n;

	plan(42 + ORIGIN_FINISH_TESTS + HARNESS_STOP_TESTS +
	    HARNESS_END_TESTS);
	o = origin_start(steps, NSTEPS);
	oport = origin_port(o);
	harness_init(&h, 1);
	harness_conf(&h, "http_access allow localhost\nhttp_access deny all\n"
	    "cache_dir lmdb %DIR%/cache 10\nmaximum_object_size 64 KB\n");
	if (harness_start(&h) == -1)
		bail_out("sluice did not start");

	/* Chunked, small (inline in the record). */
	is_int(ask(&h, "/ch-small", 0, &r), 200, "chunked, small: 200");
	ok(raw_has(&r, "Cache-Status", "stored") && r.body != NULL &&
	    strcmp(r.body, "hello chunks") == 0 &&
	    raw_has(&r, "Transfer-Encoding", "chunked"),
	    "relayed chunked to an HTTP/1.1 client and stored");
	raw_resp_free(&r);
	is_int(ask(&h, "/ch-small", 0, &r), 200, "again: 200");
	ok(raw_has(&r, "Cache-Status", "hit") && r.body != NULL &&
	    strcmp(r.body, "hello chunks") == 0 &&
	    raw_has(&r, "Content-Length", "12"), "a hit with the decoded body "
	    "and Content-Length: 12");
	raw_resp_free(&r);

	/* Chunked, in its own file. */
	is_int(ask(&h, "/ch-big", 0, &r), 200, "chunked, 40 KB: 200");
	ok(r.complete && r.body_len == 40000, "relayed whole");
	raw_resp_free(&r);
	hit(&h, "/ch-big", 40000, "chunked 40 KB");

	/* Chunked to an HTTP/1.0 client (decoded on the way) is stored too. */
	is_int(ask(&h, "/ch-10", 1, &r), 200, "chunked to HTTP/1.0: 200");
	ok(r.complete && r.body_len == 30000 &&
	    raw_resp_header(&r, "Transfer-Encoding") == NULL &&
	    raw_has(&r, "Cache-Status", "stored"),
	    "decoded for the HTTP/1.0 client, and stored");
	raw_resp_free(&r);
	hit(&h, "/ch-10", 30000, "after an HTTP/1.0 miss, an HTTP/1.1 hit");

	/* Close-delimited. */
	is_int(ask(&h, "/eof", 0, &r), 200, "close-delimited, 50 KB: 200");
	ok(r.complete && r.body_len == 50000 &&
	    r.body_hash == harness_pattern_hash(50000), "relayed whole");
	raw_resp_free(&r);
	hit(&h, "/eof", 50000, "close-delimited 50 KB");
	/* 100 KB > maximum_object_size 64 KB: counted while it streams. */
	is_int(ask(&h, "/eof-huge", 0, &r), 200, "close-delimited 100 KB: 200");
	ok(r.complete && r.body_len == 100000, "relayed whole");
	raw_resp_free(&r);
	n = origin_nreq(o);
	is_int(ask(&h, "/eof-huge", 0, &r), 200, "again: 200");
	ok(r.complete && r.body_len == 100000 &&
	    r.body_hash == harness_pattern_hash(100000) &&
	    raw_has(&r, "Cache-Status", "fwd=uri-miss"), "over "
	    "maximum_object_size: not stored, relayed whole again");
	raw_resp_free(&r);
	is_int(origin_nreq(o), n + 1, "the origin was asked again");

	/* Chunked over maximum_object_size: not stored, relayed whole. */
	is_int(ask(&h, "/ch-huge", 0, &r), 200, "chunked 80 KB: 200");
	ok(r.complete && r.body_len == 80000 &&
	    r.body_hash == harness_pattern_hash(80000), "relayed whole");
	raw_resp_free(&r);
	is_int(ask(&h, "/ch-huge", 0, &r), 200, "again: 200");
	ok(raw_has(&r, "Cache-Status", "fwd=uri-miss") && r.complete &&
	    r.body_len == 80000, "a miss again: it was not stored");
	raw_resp_free(&r);
	ok(harness_file_wait_count(h.cache_log, "larger than "
	    "maximum_object_size", 4, 2000) == 4, "cache.log says why, once "
	    "per response");

	/* Broken chunked framing: not stored. */
	n = ask(&h, "/ch-bad", 0, &r);
	ok(n == 502 || (n == 200 && !r.complete), "broken chunked: a 502, "
	    "or an incomplete body, never a complete one (RFC 9112 §8)");
	raw_resp_free(&r);
	is_int(ask(&h, "/ch-bad", 0, &r), 200, "again: 200");
	ok(r.body != NULL && strcmp(r.body, "good") == 0,
	    "the broken response was not stored");
	raw_resp_free(&r);

	/* RFC 9110 §6.6.1: a response without Date gets one, kept stored. */
	{
		char d1[128] = "", d2[128] = "";
		const char *v;

		is_int(ask(&h, "/nodate", 0, &r), 200, "no Date from the "
		    "origin: 200");
		if ((v = raw_resp_header(&r, "Date")) != NULL)
			snprintf(d1, sizeof(d1), "%s", v);
		raw_resp_free(&r);
		ok(strlen(d1) == 29 && strcmp(d1 + 25, " GMT") == 0 &&
		    d1[3] == ',', "the client got a Date (IMF-fixdate): %s", d1);
		harness_msleep(1100);
		is_int(ask(&h, "/nodate", 0, &r), 200, "again: 200");
		if ((v = raw_resp_header(&r, "Date")) != NULL)
			snprintf(d2, sizeof(d2), "%s", v);
		ok(raw_has(&r, "Cache-Status", "hit") && strcmp(d1, d2) == 0,
		    "the hit carries the same Date (when it was received)");
		raw_resp_free(&r);
	}

	/* A stored 204 is served without Content-Length (RFC 9110 §8.6). */
	is_int(ask(&h, "/nc204", 0, &r), 204, "204 with max-age: 204");
	raw_resp_free(&r);
	is_int(ask(&h, "/nc204", 0, &r), 204, "again: 204");
	ok(raw_has(&r, "Cache-Status", "hit") &&
	    raw_resp_header(&r, "Content-Length") == NULL && r.body_len == 0,
	    "a hit, without Content-Length");
	raw_resp_free(&r);
	/* Any final status with explicit freshness (RFC 9111 §3). */
	is_int(ask(&h, "/s500", 0, &r), 500, "500 with max-age: 500");
	raw_resp_free(&r);
	is_int(ask(&h, "/s500", 0, &r), 500, "again: 500");
	ok(raw_has(&r, "Cache-Status", "hit") && r.body != NULL &&
	    strcmp(r.body, "oops") == 0, "served from the cache");
	raw_resp_free(&r);

	harness_stop(&h);
	origin_finish(o);
	origin_free(o);
	harness_end(&h);
	return exit_status();
}
