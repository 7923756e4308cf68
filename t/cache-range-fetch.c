/*
 * cache-range-fetch.c -- Range requests that miss, or meet a fetch
 * under way, are answered without a second download (issue 12: resumes
 * of apt, pip and docker; RFC 9110 §14):
 *  - a Range miss whose start is below range_offset_limit fetches the
 *    whole object for the cache (no Range upstream) while the client gets
 *    its 206 cut from it; the next requests, ranged or not, are hits;
 *  - If-Range that does not match the response: the whole 200
 *    (§13.1.5); a range beyond the end: 416, the object still stored;
 *  - a range starting past range_offset_limit is forwarded as it is;
 *  - a Range request that arrives while another client's fetch of the
 *    object is under way follows it: a 206 of the arriving body.
 *
 * Integration test: a real sluice with a cache_dir, a scripted origin,
 * raw clients.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "origin.h"
#include "raw.h"
#include "tap.h"

#define SZ	(1 << 20)

static const struct origin_step steps[] = {
	{ .expect = "GET /rw ", .status = 200, .body_len = SZ,
	    .headers = "Cache-Control: max-age=600\r\nETag: \"rw\"\r\n" },
	{ .expect = "GET /ri ", .status = 200, .body_len = SZ,
	    .headers = "Cache-Control: max-age=600\r\nETag: \"ri\"\r\n" },
	{ .expect = "GET /rb ", .status = 200, .body_len = SZ,
	    .headers = "Cache-Control: max-age=600\r\n" },
	{ .expect = "GET /rl ", .expect_hdr = "Range: bytes=900000-",
	    .status = 206, .flags = ORIGIN_RAW,
	    .body = "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes "
	    "900000-900003/1048576\r\nContent-Length: 4\r\n\r\nabcd" },
	{ .expect = "GET /rf ", .status = 200, .body_len = SZ,
	    .headers = "Cache-Control: max-age=600\r\n", .delay_ms = 1000 },
};
#define NSTEPS	((int)(sizeof(steps) / sizeof(steps[0])))

static struct origin *o;
static struct harness h;

static void
send_req(struct raw *c, const char *path, const char *extra)
{
	char req[512];

	if (raw_open(c, h.port[0]) == -1)
		bail_out("connect");
	snprintf(req, sizeof(req), "GET http://127.0.0.1:%d%s HTTP/1.1\r\n"
	    "Host: x\r\n%sConnection: close\r\n\r\n", origin_port(o), path,
	    extra ? extra : "");
	raw_sends(c, req);
}

static int
ask(const char *path, const char *extra, struct raw_resp *r)
{
	struct raw c;
	int st;

	send_req(&c, path, extra);
	memset(r, 0, sizeof(*r));
	st = raw_read_resp(&c, r, 0, 10000);
	raw_close(&c);
	return st;
}

/* Is the body of @p r the pattern's bytes [first, first + n)? */
static int
slice_ok(const struct raw_resp *r, uint64_t first, size_t n)
{
	static char want[SZ];

	if (r->body_len != n || n > sizeof(want))
		return 0;
	harness_pattern(want, first, n);
	return memcmp(r->body, want, n) == 0;
}

int
main(void)
{
	struct raw_resp r;
	struct raw a, b;
	const struct origin_req *q;
	int n, i;

	plan(18 + ORIGIN_FINISH_TESTS + HARNESS_STOP_TESTS +
	    HARNESS_END_TESTS);
	o = origin_start(steps, NSTEPS);
	harness_init(&h, 1);
	harness_conf(&h, "http_access allow localhost\nhttp_access deny all\n"
	    "cache_dir lmdb %DIR%/cache 64\nrange_offset_limit 800 KB\n");
	if (harness_start(&h) == -1)
		bail_out("sluice did not start");

	/* A Range miss: the whole object comes, the client gets its slice. */
	is_int(ask("/rw", "Range: bytes=1000-1999\r\n", &r), 206,
	    "a Range miss: 206");
	ok(raw_has(&r, "Content-Range", "bytes 1000-1999/1048576") &&
	    slice_ok(&r, 1000, 1000), "with Content-Range 1000-1999/1048576 "
	    "and exactly those bytes");
	raw_resp_free(&r);
	q = origin_nreq(o) >= 1 ? origin_req(o, 0) : NULL;
	ok(q != NULL && strstr(q->head, "Range") == NULL, "the origin was "
	    "asked for the whole object (no Range)");
	harness_msleep(200);
	is_int(ask("/rw", NULL, &r), 200, "/rw without a Range: 200");
	ok(raw_has(&r, "Cache-Status", "hit") && r.body_len == SZ &&
	    r.body_hash == harness_pattern_hash(SZ), "a hit, the whole "
	    "object: it was stored while the range was answered");
	raw_resp_free(&r);
	is_int(ask("/rw", "Range: bytes=5000-5099\r\n", &r), 206,
	    "another range of it: 206");
	ok(raw_has(&r, "Cache-Status", "hit") && slice_ok(&r, 5000, 100),
	    "from the cache");
	raw_resp_free(&r);

	/* If-Range that does not match: the whole 200 (RFC 9110 §13.1.5). */
	is_int(ask("/ri", "Range: bytes=0-9\r\nIf-Range: \"other\"\r\n", &r),
	    200, "If-Range not matching the response: the whole 200");
	ok(r.body_len == SZ, "all of it");
	raw_resp_free(&r);

	/* Beyond the end: 416, and the object is stored anyway. */
	is_int(ask("/rb", "Range: bytes=500000-1000000000\r\n", &r), 206,
	    "a range running past the end: 206 to the end (§14.1.1)");
	ok(slice_ok(&r, 500000, SZ - 500000), "the bytes from 500000 to the "
	    "end");
	raw_resp_free(&r);
	harness_msleep(200);
	is_int(ask("/rb", "Range: bytes=2000000-\r\n", &r), 416,
	    "a range starting past the end: 416, from the stored object");
	ok(raw_has(&r, "Content-Range", "*/1048576"),
	    "with Content-Range */1048576");
	raw_resp_free(&r);

	/* Past range_offset_limit: the Range goes to the origin as it is. */
	is_int(ask("/rl", "Range: bytes=900000-\r\n", &r), 206,
	    "a range past range_offset_limit is forwarded: the origin's 206");
	ok(r.body_len == 4 && memcmp(r.body, "abcd", 4) == 0,
	    "its body as the origin sent it");
	raw_resp_free(&r);

	/* A Range while another client's fetch is under way: it follows. */
	n = origin_nreq(o);
	send_req(&a, "/rf", NULL);
	for (i = 0; i < 250 && origin_nreq(o) == n; i++)
		harness_msleep(20);
	send_req(&b, "/rf", "Range: bytes=300000-300999\r\n");
	memset(&r, 0, sizeof(r));
	is_int(raw_read_resp(&b, &r, 0, 10000), 206, "a Range request during "
	    "another client's fetch: 206");
	ok(slice_ok(&r, 300000, 1000) && raw_has(&r, "Cache-Status",
	    "collapsed"),
	    "its slice of the arriving body, collapsed onto that fetch");
	raw_resp_free(&r);
	memset(&r, 0, sizeof(r));
	(void)raw_read_resp(&a, &r, 0, 10000);
	raw_resp_free(&r);
	raw_close(&a);
	raw_close(&b);
	is_int(origin_nreq(o), n + 1, "one origin fetch for both");

	origin_finish(o);
	origin_free(o);
	harness_stop(&h);
	harness_end(&h);
	return exit_status();
}
