/*
 * cache-crash.c -- workers SIGKILLed while they store many objects never
 * make sluice serve a wrong or truncated body later (issue 4 §6): after
 * rounds of concurrent misses with a worker killed in the middle of each,
 * every object is asked for with only-if-cached, and whatever the cache
 * answers must be whole and byte for byte what the origin sent; what it
 * does not have is a 504, never a short 200.
 *
 * Integration test: a real sluice with two workers and cache_dir, the
 * scripted origin (bodies of 150,000 pattern bytes that stall half way,
 * so kills land while bodies are being written), raw clients.  Bounded:
 * ROUNDS rounds of NCONN requests.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "origin.h"
#include "raw.h"
#include "tap.h"

#define ROUNDS	6
#define NCONN	6
#define LEN	150000

static const struct origin_step steps[] = {
	{ .expect = "GET /o/", .status = 200, .body_len = LEN,
	    .headers = "Cache-Control: max-age=3600\r\n",
	    .flags = ORIGIN_STALL | ORIGIN_REPEAT, .stall_ms = 30 },
};

int
main(void)
{
	struct harness h;
	struct origin *o;
	struct raw c[NCONN];
	struct raw_resp r;
	pid_t w[8];
	char req[256];
	int round, i, n, st, hits = 0, misses = 0, bad = 0, oport;

	plan(3 + ORIGIN_FINISH_TESTS + HARNESS_STOP_TESTS + HARNESS_END_TESTS);
	o = origin_start(steps, 1);
	oport = origin_port(o);
	harness_init(&h, 1);
	harness_conf(&h, "http_access allow localhost\nhttp_access deny all\n"
	    "workers 2\ncache_dir lmdb %DIR%/cache 50\n");
	if (harness_start(&h) == -1)
		bail_out("sluice did not start");

	for (round = 0; round < ROUNDS; round++) {
		for (i = 0; i < NCONN; i++) {
			if (raw_open(&c[i], h.port[0]) == -1)
				bail_out("cannot connect");
			snprintf(req, sizeof(req), "GET http://127.0.0.1:%d/o/%d "
			    "HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
			    oport, round * NCONN + i);
			raw_sends(&c[i], req);
		}
		/* Kill a worker while bodies are on their way to the store. */
		harness_msleep(40 + 25 * round);
		n = harness_workers(&h, w, 8);
		if (n > 0)
			kill(w[round % n], SIGKILL);
		for (i = 0; i < NCONN; i++) {
			(void)raw_read_resp(&c[i], &r, 0, 10000);
			raw_resp_free(&r);
			raw_close(&c[i]);
		}
		if (!harness_wait_workers(&h, 2, n > 0 ? &w[round % n] : NULL,
		    n > 0, 10000))
			diag("round %d: the killed worker was not replaced", round);
	}

	/* Every object: whole and exact, or not there at all. */
	for (i = 0; i < ROUNDS * NCONN; i++) {
		struct raw x;

		if (raw_open(&x, h.port[0]) == -1)
			bail_out("cannot connect");
		snprintf(req, sizeof(req), "GET http://127.0.0.1:%d/o/%d "
		    "HTTP/1.1\r\nHost: x\r\nCache-Control: only-if-cached\r\n"
		    "Connection: close\r\n\r\n", oport, i);
		raw_sends(&x, req);
		st = raw_read_resp(&x, &r, 0, 10000);
		if (st == 200 && r.complete && r.body_len == LEN &&
		    r.body_hash == harness_pattern_hash(LEN))
			hits++;
		else if (st == 504)
			misses++;
		else {
			bad++;
			diag("object %d: status %d, %zu bytes, complete %d", i,
			    st, r.body_len, r.complete);
		}
		raw_resp_free(&r);
		raw_close(&x);
	}
	diag("%d objects stored whole, %d not stored, %d wrong", hits, misses,
	    bad);
	is_int(bad, 0, "after %d worker kills mid-store, no object is served "
	    "truncated or wrong", ROUNDS);
	ok(hits > 0, "objects whose store completed are served (%d)", hits);
	ok(hits + misses == ROUNDS * NCONN, "every object is a whole hit or a "
	    "504 for only-if-cached");
	origin_finish(o);
	harness_stop(&h);
	harness_end(&h);
	origin_free(o);
	return exit_status();
}
