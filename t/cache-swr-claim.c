/*
 * cache-swr-claim.c -- a background revalidation (stale-while-revalidate,
 * RFC 5861 §3) that ends before it reaches the cache gives its URL's
 * revalidation back at once: the next stale answer starts another,
 * instead of none for the claim's two minutes.
 *
 * The background request goes through the client's rules again.  Here
 * the origin's name resolves, for that one lookup, to an address a dst
 * rule denies: the background request is refused (403) before its cache
 * lookup.  The next client is answered stale again and its revalidation
 * reaches the origin.
 *
 * Integration test: a real sluice (1 worker) with cache_dir and a dst
 * rule, a fake DNS server naming the scripted origin, raw clients.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fakedns.h"
#include "harness.h"
#include "origin.h"
#include "raw.h"
#include "tap.h"

static const struct origin_step steps[] = {
	/* Stale by 9 s at once, within a 60 s window. */
	{ .expect = "GET /g", .status = 200, .body = "g1",
	    .headers = "Cache-Control: max-age=1, stale-while-revalidate=60\r\n"
	    "Age: 10\r\nETag: \"g1\"\r\n" },
	{ .expect = "GET /g", .expect_hdr = "If-None-Match: \"g1\"",
	    .status = 200, .body = "g2",
	    .headers = "Cache-Control: max-age=600\r\nETag: \"g2\"\r\n" },
};
#define NSTEPS	((int)(sizeof(steps) / sizeof(steps[0])))

static int oport;

static int
get(struct harness *h, struct raw_resp *r)
{
	struct raw c;
	char req[512];
	int st;

	if (raw_open(&c, h->port[0]) == -1)
		bail_out("cannot connect to sluice");
	snprintf(req, sizeof(req), "GET http://origin.test:%d/g HTTP/1.1\r\n"
	    "Host: x\r\nConnection: close\r\n\r\n", oport);
	raw_sends(&c, req);
	st = raw_read_resp(&c, r, 0, 15000);
	raw_close(&c);
	return st;
}

int
main(void)
{
	struct harness h;
	struct fakedns *d;
	struct origin *o;
	struct raw_resp r;
	char *line;
	int st, i;

	plan(7 + ORIGIN_FINISH_TESTS + HARNESS_STOP_TESTS +
	    HARNESS_END_TESTS);
	o = origin_start(steps, NSTEPS);
	oport = origin_port(o);
	d = fakedns_start();
	fakedns_add(d, "origin.test");
	harness_init(&h, 1);
	harness_set(&h, "DNS", "%d", fakedns_port(d));
	harness_conf(&h, "dns_nameservers 127.0.0.1:%DNS%\n"
	    "positive_dns_ttl 0\nnegative_dns_ttl 0\n"
	    "acl doc dst 192.0.2.0/24\nhttp_access deny doc\n"
	    "http_access allow localhost\nhttp_access deny all\n"
	    "cache_dir lmdb %DIR%/cache 10\n");
	if (harness_start(&h) == -1)
		bail_out("sluice did not start");

	st = get(&h, &r);
	ok(st == 200 && raw_body_is(&r, "g1"), "/g stored (stale, within its "
	    "stale-while-revalidate window)");
	raw_resp_free(&r);

	/* The client's lookup is let by; the background one is denied. */
	fakedns_once_after(d, "origin.test", 1, "192.0.2.7");
	st = get(&h, &r);
	ok(st == 200 && raw_body_is(&r, "g1") && raw_has(&r, "Cache-Status",
	    "stale-while-revalidate"), "/g answered stale at once");
	raw_resp_free(&r);
	line = harness_log_wait(&h, "TCP_DENIED/403", "/g ", NULL);
	ok(line != NULL, "its background revalidation resolved to a denied "
	    "address: refused before its cache lookup (TCP_DENIED/403)");
	free(line);
	is_int(origin_nreq(o), 1, "... nothing reached the origin");

	/* The revalidation was given back: the next stale answer starts one. */
	st = get(&h, &r);
	ok(st == 200 && raw_body_is(&r, "g1") && raw_has(&r, "Cache-Status",
	    "stale-while-revalidate"), "/g answered stale again");
	raw_resp_free(&r);
	for (i = 0; i < 500 && origin_nreq(o) < 2; i++)
		harness_msleep(10);
	is_int(origin_nreq(o), 2, "... and its revalidation reached the "
	    "origin: the refused one held nothing");
	line = harness_log_wait(&h, "TCP_REFRESH_MODIFIED/200", "/g ", NULL);
	free(line);
	st = get(&h, &r);
	ok(st == 200 && raw_body_is(&r, "g2") && !raw_has(&r, "Cache-Status",
	    "stale"), "then the new response, fresh");
	raw_resp_free(&r);

	harness_stop(&h);
	origin_finish(o);
	origin_free(o);
	harness_end(&h);
	fakedns_stop(d);
	return exit_status();
}
