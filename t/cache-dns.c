/*
 * cache-dns.c -- the cache keeps working when DNS does not.
 *
 * With the resolver gone: a fresh stored response is served (a hit needs
 * no address when http_access is decided without one, and when a dst
 * acl cannot get an address it does not match, as in squid); a stale one
 * is served as the origin cannot be reached (RFC 9111 §4.2.4,
 * TCP_REFRESH_FAIL_OLD, detail=ERR_DNS_FAIL); nothing stored is a 504.
 * And a dst acl whose lookup fails does not stop the rules after it: a
 * dstdomain blocklist below it still answers 403 (issue 11.6).
 *
 * Integration test: a scripted origin on 127.0.0.1 named origin.test by
 * a fake DNS server that is stopped half-way; two sluice configurations
 * (rules decided before DNS, and a dst rule first).
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
	{ .expect = "GET /fresh", .status = 200, .body = "fresh body",
	    .headers = "Cache-Control: max-age=600\r\n" },
	{ .expect = "GET /stale", .status = 200, .body = "stale body",
	    .headers = "Cache-Control: max-age=0\r\nETag: \"s1\"\r\n" },
	{ .expect = "GET /fresh", .status = 200, .body = "fresh body",
	    .headers = "Cache-Control: max-age=600\r\n" },
	{ .expect = "GET /stale", .status = 200, .body = "stale body",
	    .headers = "Cache-Control: max-age=0\r\nETag: \"s1\"\r\n" },
};
#define NSTEPS	((int)(sizeof(steps) / sizeof(steps[0])))

static int oport;

static int
ask(struct harness *h, const char *host, const char *path,
    struct raw_resp *r)
{
	struct raw c;
	char req[512];
	int st;

	if (raw_open(&c, h->port[0]) == -1)
		return -1;
	snprintf(req, sizeof(req), "GET http://%s:%d%s HTTP/1.1\r\n"
	    "Host: x\r\nConnection: close\r\n\r\n", host, oport, path);
	raw_sends(&c, req);
	st = raw_read_resp(&c, r, 0, 10000);
	raw_close(&c);
	return st;
}

/* One sluice with @p rules: store, stop DNS, ask again. */
static void
run(const char *what, const char *rules, struct fakedns **dp)
{
	struct harness h;
	struct raw_resp r;
	char conf[2048], *line;

	harness_init(&h, 1);
	harness_set(&h, "DNS", "%d", fakedns_port(*dp));
	snprintf(conf, sizeof(conf), "dns_nameservers 127.0.0.1:%%DNS%%\n"
	    "positive_dns_ttl 0\nnegative_dns_ttl 0\ndns_timeout 2 seconds\n"
	    "%scache_dir lmdb %%DIR%%/cache 10\n"
	    "server_persistent_connections off\n", rules);
	harness_conf(&h, conf);
	if (harness_start(&h) == -1)
		bail_out("sluice did not start");

	is_int(ask(&h, "origin.test", "/fresh", &r), 200, "%s: /fresh stored",
	    what);
	raw_resp_free(&r);
	is_int(ask(&h, "origin.test", "/stale", &r), 200, "%s: /stale stored",
	    what);
	raw_resp_free(&r);

	/* The resolver goes away: its port answers nothing any more. */
	fakedns_stop(*dp);
	*dp = NULL;

	is_int(ask(&h, "origin.test", "/fresh", &r), 200, "%s, DNS down: the "
	    "fresh /fresh is served", what);
	ok(r.body != NULL && strcmp(r.body, "fresh body") == 0 &&
	    raw_has(&r, "Cache-Status", "hit"), "%s: from the cache "
	    "(Cache-Status hit)", what);
	raw_resp_free(&r);
	line = harness_log_wait(&h, "TCP_HIT/200", "/fresh", NULL);
	ok(line != NULL, "%s: access log TCP_HIT/200", what);
	free(line);

	is_int(ask(&h, "origin.test", "/stale", &r), 200, "%s, DNS down: the "
	    "stale /stale is served (RFC 9111 §4.2.4)", what);
	ok(r.body != NULL && strcmp(r.body, "stale body") == 0 &&
	    raw_has(&r, "Cache-Status", "fwd=stale") &&
	    raw_has(&r, "Cache-Status", "detail=ERR_DNS_FAIL"),
	    "%s: Cache-Status "
	    "fwd=stale; detail=ERR_DNS_FAIL", what);
	raw_resp_free(&r);
	line = harness_log_wait(&h, "TCP_REFRESH_FAIL_OLD/200", "/stale",
	    NULL);
	ok(line != NULL, "%s: access log TCP_REFRESH_FAIL_OLD/200", what);
	free(line);

	is_int(ask(&h, "origin.test", "/never", &r), 504, "%s, DNS down: "
	    "nothing stored is a 504", what);
	ok(raw_has(&r, "X-Sluice-Error", "ERR_DNS_FAIL"), "%s: ERR_DNS_FAIL",
	    what);
	raw_resp_free(&r);

	harness_stop(&h);
	harness_end(&h);
}

int
main(void)
{
	struct harness h;
	struct fakedns *d;
	struct origin *o;
	struct raw_resp r;
	char *line;

	plan(2 * (10 + HARNESS_STOP_TESTS + HARNESS_END_TESTS) + 4 +
	    HARNESS_STOP_TESTS + HARNESS_END_TESTS + ORIGIN_FINISH_TESTS);
	o = origin_start(steps, NSTEPS);
	oport = origin_port(o);

	/* Rules decided without an address: the cache answers before DNS. */
	d = fakedns_start();
	fakedns_add(d, "origin.test");
	run("no dst rule", "http_access allow localhost\n"
	    "http_access deny all\n", &d);

	/* A dst rule first: it needs the address, which cannot be had. */
	d = fakedns_start();
	fakedns_add(d, "origin.test");
	run("dst rule first", "acl meta dst 169.254.169.254/32\n"
	    "http_access deny meta\nhttp_access allow localhost\n"
	    "http_access deny all\n", &d);
	origin_finish(o);
	origin_free(o);

	/*
	 * Issue 11.6: a dst acl whose lookup failed does not match, and the
	 * dstdomain blocklist after it decides (squid): 403, not 504.
	 */
	d = fakedns_start();
	harness_init(&h, 1);
	harness_set(&h, "DNS", "%d", fakedns_port(d));
	harness_conf(&h, "dns_nameservers 127.0.0.1:%DNS%\n"
	    "acl lo dst 127.0.0.0/8\nacl blocked dstdomain .blocked.test\n"
	    "http_access deny lo\nhttp_access deny blocked\n"
	    "http_access allow localhost\nhttp_access deny all\n");
	if (harness_start(&h) == -1)
		bail_out("sluice did not start");
	is_int(ask(&h, "www.blocked.test", "/", &r), 403, "a blocked name that "
	    "does not resolve: 403 from the blocklist, not 504");
	raw_resp_free(&r);
	line = harness_log_wait(&h, "TCP_DENIED/403", "blocked.test", NULL);
	ok(line != NULL, "access log: TCP_DENIED/403 for it");
	free(line);
	line = harness_file_wait(h.cache_log, 2000, "did not resolve",
	    "blocked.test", NULL);
	ok(line != NULL, "cache_log says the name did not resolve");
	free(line);
	is_int(ask(&h, "free.test", "/", &r), 504, "an allowed name that does "
	    "not resolve: 504");
	raw_resp_free(&r);
	harness_stop(&h);
	harness_end(&h);
	fakedns_stop(d);
	return exit_status();
}
