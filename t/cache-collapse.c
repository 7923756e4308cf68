/*
 * cache-collapse.c -- collapsed forwarding: clients that miss the same
 * URL in one worker while a fetch of it is under way cause no second
 * origin fetch; they wait for the first response's head, then follow its
 * body as it is stored (Content-Length), or get it once whole (chunked).
 * Cache-Status says "collapsed" (RFC 9211 §2.2), the access log
 * TCP_CF_HIT.  When the first response is not stored, or is another Vary
 * variant, the others ask the origin themselves; when the first fetch
 * breaks off, no follower is given a complete-looking body.
 *
 * Integration test: a real sluice (one worker) with cache_dir, the
 * scripted origin delaying its answers, raw clients in parallel.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "origin.h"
#include "raw.h"
#include "tap.h"

#define NF	4		/* followers */
#define BIG	300000
#define DELAY	1500
#define LEFT	(4 << 20)
#define SLOW	(24 << 20)

static const struct origin_step steps[] = {
	{ .expect = "GET /big", .status = 200, .body_len = BIG,
	    .headers = "Cache-Control: max-age=600\r\n", .delay_ms = DELAY },
	{ .expect = "GET /chunked", .status = 200, .body_len = 70000,
	    .headers = "Cache-Control: max-age=600\r\n", .delay_ms = DELAY,
	    .flags = ORIGIN_CHUNKED },
	{ .expect = "GET /small", .status = 200, .body = "tiny",
	    .headers = "Cache-Control: max-age=600\r\n", .delay_ms = DELAY },
	/* not stored: every client gets its own fetch */
	{ .expect = "GET /ns", .status = 200, .body = "private",
	    .headers = "Cache-Control: no-store\r\n", .delay_ms = DELAY,
	    .flags = ORIGIN_REPEAT },
	/* another variant: the follower asks for its own */
	{ .expect = "GET /v", .expect_hdr = "Accept-Encoding: gzip",
	    .status = 200, .body = "gzip-variant", .delay_ms = DELAY,
	    .headers = "Cache-Control: max-age=600\r\nVary: Accept-Encoding\r\n" },
	{ .expect = "GET /v", .expect_hdr = "Accept-Encoding: identity",
	    .status = 200, .body = "br-variant",
	    .headers = "Cache-Control: max-age=600\r\nVary: Accept-Encoding\r\n" },
	/* the first fetch breaks off mid-body */
	{ .expect = "GET /broken", .status = 200, .flags = ORIGIN_RAW,
	    .delay_ms = DELAY,
	    .body = "HTTP/1.1 200 OK\r\nCache-Control: max-age=600\r\n"
	    "Content-Length: 100000\r\n\r\nonly a few bytes" },
	{ .expect = "GET /broken", .status = 200, .body = "whole",
	    .headers = "Cache-Control: no-store\r\n", .flags = ORIGIN_REPEAT },
	/* the leader's client goes away during the stall */
	{ .expect = "GET /left", .status = 200, .body_len = LEFT,
	    .headers = "Cache-Control: max-age=600\r\n", .delay_ms = DELAY,
	    .flags = ORIGIN_STALL, .stall_ms = 1000 },
	/* the leader's client does not read for a while */
	{ .expect = "GET /slow", .status = 200, .body_len = SLOW,
	    .headers = "Cache-Control: max-age=600\r\n", .delay_ms = DELAY },
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

/* Wait (bounded) until the origin has seen @p n requests. */
static void
wait_nreq(struct origin *o, int n)
{
	int i;

	for (i = 0; i < 500 && origin_nreq(o) < n; i++)
		harness_msleep(10);
}

/*
 * One leader and NF followers of @p path; @return how many followers got
 * a complete body of @p len bytes (pattern when @p body is NULL) marked
 * collapsed.
 */
static int
herd(struct harness *h, struct origin *o, const char *path, size_t len,
    const char *body, int *leader_ok)
{
	struct raw c[NF + 1];
	struct raw_resp r;
	int i, good = 0, n = origin_nreq(o);

	send_get(h, &c[0], path, NULL);
	wait_nreq(o, n + 1);
	for (i = 1; i <= NF; i++)
		send_get(h, &c[i], path, NULL);
	for (i = 0; i <= NF; i++) {
		int st = raw_read_resp(&c[i], &r, 0, 15000);
		int whole = st == 200 && r.complete && r.body_len == len &&
		    (body != NULL ? strcmp(r.body, body) == 0 :
		    r.body_hash == harness_pattern_hash(len));

		if (i == 0)
			*leader_ok = whole && raw_has(&r, "Cache-Status",
			    "stored");
		else if (whole && raw_has(&r, "Cache-Status", "collapsed"))
			good++;
		else
			diag("%s follower %d: status %d, %zu bytes, "
			    "Cache-Status: %s", path, i, st, r.body_len,
			    raw_resp_header(&r, "Cache-Status") ?
			    raw_resp_header(&r, "Cache-Status") : "(none)");
		raw_resp_free(&r);
		raw_close(&c[i]);
	}
	return good;
}

int
main(void)
{
	struct harness h;
	struct origin *o;
	struct raw c[3];
	struct raw_resp r;
	int i, n, lok, st, good;

	plan(25 + ORIGIN_FINISH_TESTS + HARNESS_STOP_TESTS +
	    HARNESS_END_TESTS);
	o = origin_start(steps, NSTEPS);
	oport = origin_port(o);
	harness_init(&h, 1);
	harness_conf(&h, "http_access allow localhost\nhttp_access deny all\n"
	    "cache_dir lmdb %DIR%/cache 100\n");
	if (harness_start(&h) == -1)
		bail_out("sluice did not start");

	/* Content-Length: the followers follow the body as it is stored. */
	is_int(herd(&h, o, "/big", BIG, NULL, &lok), NF, "300 KB: %d "
	    "followers got the whole body, marked collapsed", NF);
	ok(lok, "the leader got it whole and stored it");
	is_int(origin_nreq(o), 1, "one origin fetch for %d clients", NF + 1);
	is_int(harness_file_wait_count(h.access_log, "TCP_CF_HIT/200", NF,
	    2000), NF, "access log: %d TCP_CF_HIT/200", NF);

	/* Chunked (unknown length): served once whole. */
	is_int(herd(&h, o, "/chunked", 70000, NULL, &lok), NF, "chunked "
	    "70 KB: the followers got the whole body once it was stored");
	ok(lok, "the leader got it whole");
	is_int(origin_nreq(o), 2, "one origin fetch for it");

	/* Inline-sized. */
	is_int(herd(&h, o, "/small", 4, "tiny", &lok), NF, "a small body: "
	    "the followers got it");
	is_int(origin_nreq(o), 3, "one origin fetch for it");

	/* Not stored: the followers fetch for themselves. */
	n = origin_nreq(o);
	send_get(&h, &c[0], "/ns", NULL);
	wait_nreq(o, n + 1);
	send_get(&h, &c[1], "/ns", NULL);
	for (i = 0, good = 0; i < 2; i++) {
		st = raw_read_resp(&c[i], &r, 0, 15000);
		if (st == 200 && r.body != NULL &&
		    strcmp(r.body, "private") == 0 &&
		    !raw_has(&r, "Cache-Status", "collapsed"))
			good++;
		raw_resp_free(&r);
		raw_close(&c[i]);
	}
	is_int(good, 2, "no-store: both clients answered, neither collapsed");
	is_int(origin_nreq(o), n + 2, "each had its own origin fetch");

	/* Another variant (RFC 9111 §4.1): its own fetch. */
	n = origin_nreq(o);
	send_get(&h, &c[0], "/v", "Accept-Encoding: gzip\r\n");
	wait_nreq(o, n + 1);
	send_get(&h, &c[1], "/v", "Accept-Encoding: br\r\n");
	st = raw_read_resp(&c[0], &r, 0, 15000);
	ok(st == 200 && r.body && strcmp(r.body, "gzip-variant") == 0,
	    "Vary: the first client got the gzip variant");
	raw_resp_free(&r);
	st = raw_read_resp(&c[1], &r, 0, 15000);
	ok(st == 200 && r.body && strcmp(r.body, "br-variant") == 0,
	    "the br client waited, then fetched its own variant");
	raw_resp_free(&r);
	raw_close(&c[0]);
	raw_close(&c[1]);
	is_int(origin_nreq(o), n + 2, "two origin fetches");
	send_get(&h, &c[0], "/v", "Accept-Encoding: gzip\r\n");
	st = raw_read_resp(&c[0], &r, 0, 15000);
	ok(st == 200 && r.body && strcmp(r.body, "gzip-variant") == 0 &&
	    raw_has(&r, "Cache-Status", "hit"), "both variants are stored: the "
	    "second did not push out the first");
	raw_resp_free(&r);
	raw_close(&c[0]);

	/* The first fetch breaks off: nobody gets a complete-looking body. */
	n = origin_nreq(o);
	send_get(&h, &c[0], "/broken", NULL);
	wait_nreq(o, n + 1);
	send_get(&h, &c[1], "/broken", NULL);
	send_get(&h, &c[2], "/broken", NULL);
	for (i = 0, good = 0; i < 3; i++) {
		st = raw_read_resp(&c[i], &r, 0, 15000);
		/* Incomplete, or a whole answer of its own from the origin. */
		if (st == 0 || st == 502 || ((st == 200 || st == -1) && !r.complete) ||
		    (st == 200 && r.body != NULL &&
		    strcmp(r.body, "whole") == 0))
			good++;
		else
			diag("/broken client %d: %d, %zu bytes, complete %d",
			    i, st, r.body_len, r.complete);
		raw_resp_free(&r);
		raw_close(&c[i]);
	}
	is_int(good, 3, "a broken first fetch: every client got an "
	    "incomplete body or its own whole answer, never a wrong one");
	st = -1;
	send_get(&h, &c[0], "/broken", NULL);
	st = raw_read_resp(&c[0], &r, 0, 15000);
	ok(st == 200 && r.body != NULL && strcmp(r.body, "whole") == 0,
	    "the broken body was not stored");
	raw_resp_free(&r);
	raw_close(&c[0]);

	/*
	 * The leader's client goes away mid-body: the fetch goes on for the
	 * follower (and the store), as squid's quick_abort would.
	 */
	n = origin_nreq(o);
	send_get(&h, &c[0], "/left", NULL);
	wait_nreq(o, n + 1);
	send_get(&h, &c[1], "/left", NULL);
	st = raw_read_head(&c[0], &r, 15000);
	raw_resp_free(&r);
	raw_close(&c[0]);	/* unread bytes: a reset */
	is_int(st, 200, "the leader's client read the head, then left");
	st = raw_read_resp(&c[1], &r, 0, 20000);
	ok(st == 200 && r.complete && r.body_len == LEFT &&
	    r.body_hash == harness_pattern_hash(LEFT) &&
	    raw_has(&r, "Cache-Status", "collapsed"), "the follower got the "
	    "whole 4 MB body all the same");
	raw_resp_free(&r);
	raw_close(&c[1]);
	send_get(&h, &c[0], "/left", NULL);
	st = raw_read_resp(&c[0], &r, 0, 20000);
	ok(st == 200 && r.complete && r.body_len == LEFT &&
	    raw_has(&r, "Cache-Status", "hit"), "and it was stored whole");
	raw_resp_free(&r);
	raw_close(&c[0]);
	is_int(origin_nreq(o), n + 1, "one origin fetch");
	ok(harness_file_wait_count(h.cache_log, "the fetch goes on for 1 "
	    "waiting", 1, 2000) == 1, "cache.log says why the fetch went on");

	/*
	 * The leader's client stops reading: the follower is not held to
	 * its pace; the slow client reads the rest back from the store.
	 */
	n = origin_nreq(o);
	send_get(&h, &c[0], "/slow", NULL);
	wait_nreq(o, n + 1);
	send_get(&h, &c[1], "/slow", NULL);
	st = raw_read_resp(&c[1], &r, 0, 20000);
	ok(st == 200 && r.complete && r.body_len == SLOW &&
	    r.body_hash == harness_pattern_hash(SLOW) &&
	    raw_has(&r, "Cache-Status", "collapsed"), "a client that does not "
	    "read does not hold back the follower: 24 MB whole");
	raw_resp_free(&r);
	raw_close(&c[1]);
	st = raw_read_resp(&c[0], &r, 0, 20000);
	ok(st == 200 && r.complete && r.body_len == SLOW &&
	    r.body_hash == harness_pattern_hash(SLOW) &&
	    raw_has(&r, "Cache-Status", "stored"),
	    "the slow leader's client got "
	    "its 24 MB whole, byte-exact, when it read");
	raw_resp_free(&r);
	raw_close(&c[0]);
	is_int(origin_nreq(o), n + 1, "one origin fetch for both");

	harness_stop(&h);
	origin_finish(o);
	origin_free(o);
	harness_end(&h);
	return exit_status();
}
