/*
 * cache-basic.c -- the cache in the request path: a storable response is
 * stored while it streams and answered from the cache next time, with
 * Age and Cache-Status (RFC 9211); small bodies from the record, large
 * ones from their file; HEAD from a stored GET; no-store and stale
 * entries go to the origin; only-if-cached without an entry is 504
 * (RFC 9111 §5.2.1.7); a POST invalidates (§4.4); PURGE removes; an
 * Age that is not delta-seconds makes an entry stale (§5.1); the
 * cache survives a restart.  The access log says TCP_HIT / TCP_MISS.
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

#define BIG	100000

static const struct origin_step steps[] = {
	{ .expect = "GET /c1", .status = 200, .body = "one",
	    .headers = "Cache-Control: max-age=600\r\n" },
	{ .expect = "GET /big", .status = 200, .body_len = BIG,
	    .headers = "Cache-Control: max-age=600\r\n" },
	{ .expect = "GET /ns", .status = 200, .body = "ns1",
	    .headers = "Cache-Control: no-store\r\n" },
	{ .expect = "GET /ns", .status = 200, .body = "ns2",
	    .headers = "Cache-Control: no-store\r\n" },
	{ .expect = "GET /z", .status = 200, .body = "z1",
	    .headers = "Cache-Control: max-age=0\r\n" },
	{ .expect = "GET /z", .status = 200, .body = "z2",
	    .headers = "Cache-Control: max-age=0\r\n" },
	{ .expect = "POST /c1", .status = 200, .body = "posted" },
	{ .expect = "GET /c1", .status = 200, .body = "one-again",
	    .headers = "Cache-Control: max-age=600\r\n" },
	{ .expect = "GET /p", .status = 200, .body = "p1",
	    .headers = "Cache-Control: max-age=600\r\n" },
	{ .expect = "GET /p", .status = 200, .body = "p2",
	    .headers = "Cache-Control: max-age=600\r\n" },
	{ .expect = "GET /e", .status = 200, .body = "etagged",
	    .headers = "Cache-Control: max-age=600\r\nETag: \"v1\"\r\n"
	    "Last-Modified: Sun, 06 Nov 1994 08:49:37 GMT\r\n" },
	{ .expect = "GET /rv", .status = 200, .body = "rvbody",
	    .headers = "Cache-Control: max-age=0\r\nETag: \"r1\"\r\n"
	    "X-Old: kept\r\n" },
	{ .expect = "GET /rv", .expect_hdr = "If-None-Match: \"r1\"",
	    .status = 304, .body = "",
	    .headers = "Cache-Control: max-age=600\r\nETag: \"r1\"\r\n"
	    "X-New: merged\r\n" },
	{ .expect = "GET /rm", .status = 200, .body = "old",
	    .headers = "Cache-Control: max-age=0\r\nETag: \"m1\"\r\n" },
	{ .expect = "GET /rm", .expect_hdr = "If-None-Match: \"m1\"",
	    .status = 200, .body = "new",
	    .headers = "Cache-Control: max-age=600\r\nETag: \"m2\"\r\n" },
	{ .expect = "GET /ch", .status = 200, .body_len = 5000,
	    .headers = "Cache-Control: max-age=600\r\n",
	    .flags = ORIGIN_CHUNKED | ORIGIN_REPEAT },
	{ .expect = "GET /ag", .status = 200, .body = "aged",
	    .headers = "Cache-Control: max-age=86400\r\nAge: abc\r\n"
	    "ETag: \"a1\"\r\n" },
	{ .expect = "GET /ag", .expect_hdr = "If-None-Match: \"a1\"",
	    .status = 304, .body = "", .headers = "ETag: \"a1\"\r\n" },
	{ .expect = "GET /ag2", .status = 200, .body = "aged2",
	    .headers = "Cache-Control: max-age=86400\r\nAge: 5, abc\r\n" },
};
#define NSTEPS	((int)(sizeof(steps) / sizeof(steps[0])))

static int oport;

static int
ask(struct harness *h, const char *method, const char *path,
    const char *extra, struct raw_resp *r)
{
	struct raw c;
	char req[1024];
	int st;

	if (raw_open(&c, h->port[0]) == -1)
		return -1;
	snprintf(req, sizeof(req), "%s http://127.0.0.1:%d%s HTTP/1.1\r\n"
	    "Host: x\r\n%sConnection: close\r\n\r\n", method, oport, path,
	    extra ? extra : "");
	raw_sends(&c, req);
	st = raw_read_resp(&c, r, strcmp(method, "HEAD") == 0, 10000);
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
	int n;

	plan(72 + ORIGIN_FINISH_TESTS + 2 * HARNESS_STOP_TESTS +
	    HARNESS_END_TESTS);
	o = origin_start(steps, NSTEPS);
	oport = origin_port(o);
	harness_init(&h, 1);
	harness_conf(&h, "acl purge method PURGE\nhttp_access allow localhost\n"
	    "http_access deny all\n"
	    "cache_dir lmdb %DIR%/cache 10\n");
	if (harness_start(&h) == -1)
		bail_out("sluice did not start");

	/* Miss, stored; then a hit. */
	is_int(ask(&h, "GET", "/c1", NULL, &r), 200, "first GET: 200");
	ok(raw_has(&r, "Cache-Status", "fwd=uri-miss") &&
	    raw_has(&r, "Cache-Status", "stored"), "Cache-Status says "
	    "fwd=uri-miss and stored (RFC 9211 §2)");
	raw_resp_free(&r);
	is_int(ask(&h, "GET", "/c1", NULL, &r), 200, "second GET: 200");
	is_str(r.body, "one", "the body comes from the cache");
	ok(raw_has(&r, "Cache-Status", "hit"), "Cache-Status says hit");
	ok(raw_resp_header(&r, "Age") != NULL, "the hit carries Age "
	    "(RFC 9111 §5.1)");
	raw_resp_free(&r);
	is_int(origin_nreq(o), 1, "the origin saw one request for two GETs");
	line = harness_log_wait(&h, "TCP_HIT/200", "/c1", NULL);
	ok(line != NULL, "access log: TCP_HIT/200");
	free(line);
	line = harness_log_wait(&h, "TCP_MISS/200", "/c1", NULL);
	ok(line != NULL, "access log: TCP_MISS/200 for the first");
	free(line);

	/* HEAD from the stored GET (RFC 9111 §4.3.5). */
	is_int(ask(&h, "HEAD", "/c1", NULL, &r), 200, "HEAD: 200");
	ok(raw_has(&r, "Cache-Status", "hit") && r.body_len == 0,
	    "HEAD is answered from the stored GET, without a body");
	raw_resp_free(&r);

	/* A body in its own file: sent with sendfile. */
	is_int(ask(&h, "GET", "/big", NULL, &r), 200, "GET /big: 200");
	raw_resp_free(&r);
	is_int(ask(&h, "GET", "/big", NULL, &r), 200, "GET /big again: 200");
	ok(r.complete && r.body_len == BIG && r.body_hash ==
	    harness_pattern_hash(BIG), "the 100 KB hit is byte-exact");
	ok(raw_has(&r, "Cache-Status", "hit"), "and a hit");
	raw_resp_free(&r);
	is_int(origin_nreq(o), 2, "the origin saw /big once");

	/* no-store (RFC 9111 §5.2.2.5). */
	is_int(ask(&h, "GET", "/ns", NULL, &r), 200, "GET /ns: 200");
	raw_resp_free(&r);
	is_int(ask(&h, "GET", "/ns", NULL, &r), 200, "GET /ns again: 200");
	is_str(r.body, "ns2", "no-store: the second came from the origin");
	raw_resp_free(&r);

	/* Stale at once (max-age=0): fetched again (RFC 9111 §4.2). */
	is_int(ask(&h, "GET", "/z", NULL, &r), 200, "GET /z: 200");
	raw_resp_free(&r);
	is_int(ask(&h, "GET", "/z", NULL, &r), 200, "GET /z again: 200");
	is_str(r.body, "z2", "a stale entry is not served");
	ok(raw_has(&r, "Cache-Status", "fwd=stale"), "Cache-Status says "
	    "fwd=stale");
	raw_resp_free(&r);

	/* only-if-cached (RFC 9111 §5.2.1.7). */
	n = origin_nreq(o);
	is_int(ask(&h, "GET", "/never", "Cache-Control: only-if-cached\r\n",
	    &r), 504, "only-if-cached with nothing stored: 504");
	raw_resp_free(&r);
	is_int(ask(&h, "GET", "/c1", "Cache-Control: only-if-cached\r\n",
	    &r), 200, "only-if-cached with a fresh entry: 200");
	raw_resp_free(&r);
	is_int(origin_nreq(o), n, "neither reached the origin");

	/* A POST invalidates the URL (RFC 9111 §4.4). */
	is_int(ask(&h, "POST", "/c1", "Content-Length: 0\r\n", &r), 200,
	    "POST /c1: 200");
	raw_resp_free(&r);
	is_int(ask(&h, "GET", "/c1", NULL, &r), 200, "GET /c1 after it: 200");
	is_str(r.body, "one-again", "the stored /c1 was invalidated by the "
	    "POST");
	raw_resp_free(&r);

	/* PURGE. */
	is_int(ask(&h, "GET", "/p", NULL, &r), 200, "GET /p: 200");
	raw_resp_free(&r);
	is_int(ask(&h, "PURGE", "/p", NULL, &r), 200, "PURGE /p: 200");
	raw_resp_free(&r);
	is_int(ask(&h, "PURGE", "/p", NULL, &r), 404, "PURGE /p again: 404");
	raw_resp_free(&r);
	is_int(ask(&h, "GET", "/p", NULL, &r), 200, "GET /p: 200");
	is_str(r.body, "p2", "after PURGE the origin is asked again");
	raw_resp_free(&r);

	/* The client's own conditions, against a fresh entry (RFC 9110 §13). */
	is_int(ask(&h, "GET", "/e", NULL, &r), 200, "GET /e: 200");
	raw_resp_free(&r);
	n = origin_nreq(o);
	is_int(ask(&h, "GET", "/e", "If-None-Match: \"v1\"\r\n", &r), 304,
	    "If-None-Match with the stored ETag: 304 from the cache "
	    "(RFC 9110 §13.1.2)");
	ok(raw_has(&r, "ETag", "v1") && r.body_len == 0, "the 304 has the ETag "
	    "and no body (RFC 9110 §15.4.5)");
	raw_resp_free(&r);
	is_int(ask(&h, "GET", "/e", "If-None-Match: \"x\", W/\"v1\"\r\n",
	    &r), 304, "a weak match in a list: 304 (RFC 9110 §8.8.3.2)");
	raw_resp_free(&r);
	is_int(ask(&h, "GET", "/e", "If-None-Match: \"v2\"\r\n", &r), 200,
	    "another ETag: the full 200");
	is_str(r.body, "etagged", "with its body");
	raw_resp_free(&r);
	is_int(ask(&h, "GET", "/e", "If-Modified-Since: Sun, 06 Nov 1994 "
	    "09:00:00 GMT\r\n", &r), 304, "If-Modified-Since after "
	    "Last-Modified: 304 (RFC 9110 §13.1.3)");
	raw_resp_free(&r);
	is_int(ask(&h, "GET", "/e", "If-Modified-Since: Sat, 05 Nov 1994 "
	    "09:00:00 GMT\r\n", &r), 200, "If-Modified-Since before it: 200");
	raw_resp_free(&r);
	is_int(origin_nreq(o), n, "none of these reached the origin");
	line = harness_log_wait(&h, "TCP_INM_HIT/304", "/e", NULL);
	ok(line != NULL, "access log: TCP_INM_HIT/304");
	free(line);

	/* Revalidation (RFC 9111 §4.3): 304 refreshes, 200 replaces. */
	is_int(ask(&h, "GET", "/rv", NULL, &r), 200, "GET /rv: 200");
	raw_resp_free(&r);
	is_int(ask(&h, "GET", "/rv", NULL, &r), 200, "GET /rv, stale: the "
	    "origin's 304 gives the client the stored 200");
	is_str(r.body, "rvbody", "with the stored body (RFC 9111 §4.3.4)");
	ok(raw_has(&r, "X-New", "merged") && raw_has(&r, "X-Old", "kept"),
	    "the 304's fields are merged into the stored ones");
	ok(raw_has(&r, "Cache-Status", "fwd=stale") &&
	    raw_has(&r, "Cache-Status", "fwd-status=304"),
	    "Cache-Status says fwd=stale, fwd-status=304");
	raw_resp_free(&r);
	line = harness_log_wait(&h, "TCP_REFRESH_UNMODIFIED/200", "/rv", NULL);
	ok(line != NULL, "access log: TCP_REFRESH_UNMODIFIED/200");
	free(line);
	n = origin_nreq(o);
	is_int(ask(&h, "GET", "/rv", NULL, &r), 200, "GET /rv again: 200");
	ok(raw_has(&r, "Cache-Status", "hit"),
	    "the refreshed entry (max-age=600 "
	    "from the 304) is now a fresh hit");
	raw_resp_free(&r);
	is_int(origin_nreq(o), n, "without asking the origin");

	is_int(ask(&h, "GET", "/rm", NULL, &r), 200, "GET /rm: 200");
	raw_resp_free(&r);
	is_int(ask(&h, "GET", "/rm", NULL, &r), 200, "GET /rm, stale: the "
	    "origin answers 200 to the conditional request");
	is_str(r.body, "new", "the new body reaches the client");
	raw_resp_free(&r);
	line = harness_log_wait(&h, "TCP_REFRESH_MODIFIED/200", "/rm", NULL);
	ok(line != NULL, "access log: TCP_REFRESH_MODIFIED/200");
	free(line);
	is_int(ask(&h, "GET", "/rm", NULL, &r), 200, "GET /rm again: 200");
	ok(raw_has(&r, "Cache-Status", "hit") && strcmp(r.body, "new") == 0,
	    "the 200 replaced the stored entry");
	raw_resp_free(&r);

	/* A chunked response is not stored yet: it still passes intact. */
	is_int(ask(&h, "GET", "/ch", NULL, &r), 200, "GET /ch (chunked): 200");
	ok(r.complete && r.body_len == 5000, "its body is intact");
	raw_resp_free(&r);

	/*
	 * An Age that is not delta-seconds (RFC 9111 §5.1, §1.2.2) makes
	 * the stored response stale however long its max-age: it is
	 * revalidated, not served as a hit.  The first member of a list is
	 * what counts: "5, abc" is 5 s old.
	 */
	is_int(ask(&h, "GET", "/ag", NULL, &r), 200, "GET /ag (Age: abc, "
	    "max-age one day): 200");
	ok(raw_has(&r, "Cache-Status", "stored"), "it is stored");
	raw_resp_free(&r);
	n = origin_nreq(o);
	is_int(ask(&h, "GET", "/ag", NULL, &r), 200, "GET /ag again: 200");
	is_int(origin_nreq(o), n + 1, "the origin was asked: an invalid Age "
	    "is stale (RFC 9111 §4.2.1)");
	ok(raw_has(&r, "Cache-Status", "fwd=stale") && strcmp(r.body,
	    "aged") == 0,
	    "with a conditional request whose 304 serves the stored body");
	raw_resp_free(&r);
	is_int(ask(&h, "GET", "/ag2", NULL, &r), 200, "GET /ag2 (Age: 5, "
	    "abc): 200");
	raw_resp_free(&r);
	n = origin_nreq(o);
	is_int(ask(&h, "GET", "/ag2", NULL, &r), 200, "GET /ag2 again: 200");
	ok(raw_has(&r, "Cache-Status", "hit") && origin_nreq(o) == n,
	    "a hit: the first member, 5, is delta-seconds (§5.1)");
	raw_resp_free(&r);

	/* The cache survives a restart: no index rebuild, no refetch. */
	harness_stop(&h);
	n = origin_nreq(o);
	if (harness_start(&h) == -1)
		bail_out("sluice did not start again");
	is_int(ask(&h, "GET", "/big", NULL, &r), 200, "after a restart: 200");
	ok(raw_has(&r, "Cache-Status", "hit") && r.body_len == BIG &&
	    r.body_hash == harness_pattern_hash(BIG), "served from the "
	    "cache, byte-exact");
	raw_resp_free(&r);
	is_int(origin_nreq(o), n, "the origin was not asked");

	origin_finish(o);
	harness_stop(&h);
	harness_end(&h);
	origin_free(o);
	return exit_status();
}
