/*
 * cache-quickabort.c -- finish what was started: a download whose client
 * leaves goes on to the end for the cache when it is worth it (squid's
 * quick_abort_min / quick_abort_max / quick_abort_pct), so the next
 * request is a hit instead of a second download; with quick_abort set
 * to give up, the fetch stops with its client.
 *
 * Integration test: a real sluice with a cache_dir, a scripted origin
 * that stalls half-way through a 2 MB body, a raw client that reads a
 * little and closes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "origin.h"
#include "raw.h"
#include "tap.h"

#define BODY	(2 << 20)

static const struct origin_step steps[] = {
	{ .expect = "GET /qa ", .status = 200, .body_len = BODY,
	    .headers = "Cache-Control: max-age=600\r\n",
	    .flags = ORIGIN_STALL, .stall_ms = 500 },
	{ .expect = "GET /qb ", .status = 200, .body_len = BODY,
	    .headers = "Cache-Control: max-age=600\r\n",
	    .flags = ORIGIN_STALL, .stall_ms = 500 },
	{ .expect = "GET /qb ", .status = 200, .body_len = BODY,
	    .headers = "Cache-Control: max-age=600\r\n" },
};
#define NSTEPS	((int)(sizeof(steps) / sizeof(steps[0])))

static struct origin *o;

/* Ask for @p path, read about 100 KB of the answer, hang up. */
static void
leave_early(struct harness *h, const char *path)
{
	struct raw c;
	char req[256], buf[16384];
	size_t got = 0;
	ssize_t n;

	if (raw_open(&c, h->port[0]) == -1)
		bail_out("connect");
	snprintf(req, sizeof(req), "GET http://127.0.0.1:%d%s HTTP/1.1\r\n"
	    "Host: x\r\n\r\n", origin_port(o), path);
	raw_sends(&c, req);
	while (got < 100000 && (n = raw_read(&c, buf, sizeof(buf), 5000)) > 0)
		got += (size_t)n;
	raw_close(&c);
}

static int
get(struct harness *h, const char *path, struct raw_resp *r)
{
	struct raw c;
	char req[256];
	int st;

	if (raw_open(&c, h->port[0]) == -1)
		return -1;
	snprintf(req, sizeof(req), "GET http://127.0.0.1:%d%s HTTP/1.1\r\n"
	    "Host: x\r\nConnection: close\r\n\r\n", origin_port(o), path);
	raw_sends(&c, req);
	memset(r, 0, sizeof(*r));
	st = raw_read_resp(&c, r, 0, 10000);
	raw_close(&c);
	return st;
}

int
main(void)
{
	struct harness h1, h2;
	struct raw_resp r;
	char *line;
	const char *cs;
	int n;

	plan(9 + ORIGIN_FINISH_TESTS + 2 * (HARNESS_STOP_TESTS +
	    HARNESS_END_TESTS));
	o = origin_start(steps, NSTEPS);

	/* The shipped defaults: 2 MB is worth finishing. */
	harness_init(&h1, 1);
	harness_conf(&h1, "http_access allow localhost\nhttp_access deny all\n"
	    "cache_dir lmdb %DIR%/cache 64\n");
	if (harness_start(&h1) == -1)
		bail_out("sluice did not start");
	leave_early(&h1, "/qa");
	line = harness_file_wait(h1.access_log, 10000, "TCP_MISS_ABORTED/200",
	    "/qa", NULL);
	ok(line != NULL, "the client left: access log TCP_MISS_ABORTED/200");
	free(line);
	line = harness_file_wait(h1.cache_log, 2000, "goes on for the cache",
	    "/qa", NULL);
	ok(line != NULL, "cache_log: the fetch goes on for the cache "
	    "(quick_abort)");
	free(line);
	n = origin_nreq(o);
	is_int(get(&h1, "/qa", &r), 200, "/qa asked again: 200");
	cs = raw_resp_header(&r, "Cache-Status");
	ok(r.complete && r.body_len == BODY &&
	    r.body_hash == harness_pattern_hash(BODY) && cs != NULL &&
	    strstr(cs, "hit") != NULL, "a hit, whole and byte-exact: the "
	    "download went on to the end after its client left");
	raw_resp_free(&r);
	is_int(origin_nreq(o), n, "without asking the origin again");
	harness_stop(&h1);
	harness_end(&h1);

	/* quick_abort set to give up: the fetch ends with its client. */
	harness_init(&h2, 1);
	harness_conf(&h2, "http_access allow localhost\nhttp_access deny all\n"
	    "cache_dir lmdb %DIR%/cache 64\nquick_abort_min 0 KB\n"
	    "quick_abort_max 0 KB\nquick_abort_pct 100\n");
	if (harness_start(&h2) == -1)
		bail_out("sluice did not start");
	leave_early(&h2, "/qb");
	line = harness_file_wait(h2.access_log, 10000, "TCP_MISS_ABORTED/200",
	    "/qb", NULL);
	ok(line != NULL, "quick_abort off: the client left, TCP_MISS_ABORTED");
	free(line);
	ok(harness_file_count(h2.cache_log, "goes on for the cache") == 0,
	    "and the fetch did not go on");
	n = origin_nreq(o);
	is_int(get(&h2, "/qb", &r), 200, "/qb asked again: 200");
	ok(r.complete && r.body_len == BODY && origin_nreq(o) == n + 1,
	    "from the origin again (nothing was stored)");
	raw_resp_free(&r);
	harness_stop(&h2);
	harness_end(&h2);

	origin_finish(o);
	origin_free(o);
	return exit_status();
}
