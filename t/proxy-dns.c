/*
 * proxy-dns.c -- the worker's DNS cache: a name's addresses are reused
 * within their TTL (capped by positive_dns_ttl), a name that does not
 * exist is remembered for negative_dns_ttl (RFC 2308), and
 * positive_dns_ttl 0 turns caching of answers off.
 *
 * Integration test: a real sluice, the fake DNS server (TTL 60), the
 * scripted origin.  No assertion depends on durations: each case runs
 * well inside the TTLs it relies on, or with caching off.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fakedns.h"
#include "harness.h"
#include "origin.h"
#include "raw.h"
#include "tap.h"

static const struct origin_step any[] = {
	{ .expect = "GET /", .status = 200, .body = "ok",
	    .flags = ORIGIN_REPEAT },
};

static int
get(int port, const char *host, int oport, const char *path)
{
	struct raw c;
	struct raw_resp r;
	char req[512];
	int st;

	if (raw_open(&c, port) == -1)
		return -1;
	snprintf(req, sizeof(req), "GET http://%s:%d%s HTTP/1.1\r\n"
	    "Host: %s:%d\r\nConnection: close\r\n\r\n", host, oport, path,
	    host, oport);
	raw_sends(&c, req);
	st = raw_read_resp(&c, &r, 0, 10000);
	raw_resp_free(&r);
	raw_close(&c);
	return st;
}

static void
run(const char *extra, int cached)
{
	struct harness h;
	struct origin *o;
	struct fakedns *d;
	char snip[512];
	int q0, q1, oport;

	o = origin_start(any, 1);
	oport = origin_port(o);
	d = fakedns_start();
	fakedns_add(d, "origin.test");
	harness_init(&h, 1);
	harness_set(&h, "DNS", "%d", fakedns_port(d));
	snprintf(snip, sizeof(snip), "http_access allow localhost\n"
	    "http_access deny all\ndns_nameservers 127.0.0.1:%%DNS%%\n%s",
	    extra);
	harness_conf(&h, snip);
	if (harness_start(&h) == -1)
		bail_out("sluice did not start");

	is_int(get(h.port[0], "origin.test", oport, "/d1"), 200,
	    "%s: GET through a name: 200", extra);
	q0 = fakedns_queries(d);
	ok(q0 > 0, "%s: the name server was asked", extra);
	is_int(get(h.port[0], "origin.test", oport, "/d2"), 200,
	    "%s: second GET: 200", extra);
	if (cached)
		is_int(fakedns_queries(d), q0, "%s: the second request used "
		    "the cached answer (TTL 60 s)", extra);
	else
		ok(fakedns_queries(d) > q0, "%s: with positive_dns_ttl 0 the "
		    "name is asked again", extra);

	is_int(get(h.port[0], "nope.test", oport, "/n1"), 504,
	    "%s: a name that does not exist: 504", extra);
	q1 = fakedns_queries(d);
	is_int(get(h.port[0], "nope.test", oport, "/n2"), 504,
	    "%s: again: 504", extra);
	is_int(fakedns_queries(d), q1, "%s: NXDOMAIN was remembered "
	    "(negative_dns_ttl, RFC 2308)", extra);

	origin_finish(o);
	harness_stop(&h);
	harness_end(&h);
	origin_free(o);
	fakedns_stop(d);
}

int
main(void)
{
	plan(2 * (7 + ORIGIN_FINISH_TESTS + HARNESS_STOP_TESTS +
	    HARNESS_END_TESTS));
	run("positive_dns_ttl 6 hours\n", 1);
	run("positive_dns_ttl 0\n", 0);
	return exit_status();
}
