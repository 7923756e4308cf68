/*
 * proxy-memory.c -- a burst of connections does not pin a worker's
 * memory: after it is over the buffers go back (worker/core/buf.h: a
 * bounded freelist per size class, freed memory trimmed when idle) and
 * the worker's resident size comes back near where it was.  The requests
 * carry 10 KB of cookies, as browsers' do: their heads need the larger
 * buffers (each from the size class that fits it).
 *
 * Integration test: one worker, a scripted origin, NCONN raw clients
 * open at once; the worker's VmRSS from /proc before and after.  The
 * bound is on memory, not time (every wait is bounded and polled).
 * Under AddressSanitizer freed memory stays in its quarantine: the size
 * check is skipped there.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "harness.h"
#include "origin.h"
#include "raw.h"
#include "tap.h"

#define NCONN		480
#define GROWTH_MAX	(8 * 1024)	/* KiB the worker may keep */

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN	1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN	1
#endif
#endif
#ifndef UNDER_ASAN
#define UNDER_ASAN	0
#endif

static long
rss_kib(pid_t pid)
{
	char path[64], *s, *p;
	long kb = -1;

	snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	if ((s = harness_file_read(path, NULL)) == NULL)
		return -1;
	if ((p = strstr(s, "VmRSS:")) != NULL)
		kb = strtol(p + 6, NULL, 10);
	free(s);
	return kb;
}

int
main(void)
{
	static struct origin_step steps[NCONN + 1];
	static struct raw c[NCONN];
	static char req[16384];
	struct harness h;
	struct origin *o;
	struct raw_resp r;
	char cookie[10001];
	pid_t w;
	long before, during = 0, after = -1;
	int i, n, good = 0;

	plan(5 + ORIGIN_FINISH_TESTS + HARNESS_STOP_TESTS +
	    HARNESS_END_TESTS);
	for (i = 0; i < NCONN + 1; i++) {
		steps[i].expect = "GET /m";
		steps[i].status = 200;
		steps[i].body = "a small uncached answer";
		steps[i].headers = "Cache-Control: no-store\r\n";
	}
	o = origin_start(steps, NCONN + 1);
	harness_init(&h, 1);
	harness_set(&h, "OPORT", "%d", origin_port(o));
	harness_conf(&h, "http_access allow localhost\nhttp_access deny all\n"
	    "workers 1\n");
	if (harness_start(&h) == -1)
		bail_out("sluice did not start");
	if (harness_workers(&h, &w, 1) != 1)
		bail_out("no worker");
	/* Heads of about 10 KB, as browsers' cookies make them. */
	memset(cookie, 'c', sizeof(cookie) - 1);
	cookie[sizeof(cookie) - 1] = '\0';
	snprintf(req, sizeof(req), "GET http://127.0.0.1:%d/m HTTP/1.1\r\n"
	    "Host: x\r\nCookie: s=%s\r\n\r\n", origin_port(o), cookie);

	/* Warm up with one request, then measure. */
	if (raw_open(&c[0], h.port[0]) == 0) {
		raw_sends(&c[0], req);
		if (raw_read_resp(&c[0], &r, 0, 10000) == 200)
			good++;
		raw_resp_free(&r);
		raw_close(&c[0]);
	}
	before = rss_kib(w);
	ok(before > 0, "the worker's size before: %ld KiB", before);

	/* NCONN clients at once, each with a request in flight. */
	for (i = 0, n = 0; i < NCONN; i++)
		if (raw_open(&c[i], h.port[0]) == 0 &&
		    raw_sends(&c[i], req) == 0)
			n++;
	for (i = 0; i < NCONN; i++) {
		if (raw_read_resp(&c[i], &r, 0, 30000) == 200)
			good++;
		raw_resp_free(&r);
		if (i == NCONN / 2)
			during = rss_kib(w);
	}
	is_int(good, NCONN + 1, "%d clients at once, every one answered",
	    NCONN);
	ok(during > 0, "the worker's size during the burst: %ld KiB", during);
	for (i = 0; i < NCONN; i++)
		raw_close(&c[i]);

	/* The burst is over: the size comes back (polled, bounded). */
	if (UNDER_ASAN) {
		skip(2, "AddressSanitizer keeps freed memory in its "
		    "quarantine");
	} else {
		for (i = 0; i < 100; i++) {
			harness_msleep(100);
			after = rss_kib(w);
			if (after - before <= GROWTH_MAX / 2)
				break;
		}
		ok(after > 0, "the worker's size after: %ld KiB", after);
		ok(after - before <= GROWTH_MAX, "it keeps at most %d KiB more "
		    "than before the burst (%ld KiB more; %ld KiB during it)",
		    GROWTH_MAX, after - before, during - before);
	}
	origin_finish(o);
	origin_free(o);
	harness_stop(&h);
	harness_end(&h);
	return exit_status();
}
