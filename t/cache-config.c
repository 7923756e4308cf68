/*
 * cache-config.c -- the squid.conf directives that steer the cache:
 * refresh_pattern gives the heuristic freshness of a response without
 * explicit expiry (RFC 9111 §4.2.2) per URL, first match wins, squid's
 * `. 0 20% 4320` when none does; `cache deny ACL` keeps a request away
 * from the cache both ways (neither served from it nor stored); a bad
 * refresh_pattern on reload keeps the running configuration, a good one
 * applies to entries already stored.
 *
 * Integration test: a real sluice with cache_dir, the scripted origin,
 * raw clients.  Nothing sleeps: a response is made "10 days unchanged"
 * by its Last-Modified, and stale by a pattern with MAX 0.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"
#include "origin.h"
#include "raw.h"
#include "tap.h"

#define TEN_DAYS	(10 * 86400)

#define BASE \
	"http_access allow localhost\nhttp_access deny all\n" \
	"cache_dir lmdb %DIR%/cache 10\n" \
	"acl nocache url_regex /nocache/\n" \
	"cache deny nocache\n" \
	"refresh_pattern /max0/ 0 50% 0\n"
#define DEB_50	"refresh_pattern -i \\.deb$ 60 50% 1440\n"
#define DEB_0	"refresh_pattern -i \\.deb$ 0 50% 0\n"

static char	lmhdr[128];	/* Last-Modified: ten days ago */

/* Steps are filled at run time: their Last-Modified depends on now. */
static struct origin_step steps[] = {
	{ .expect = "GET /pool/x.DEB", .status = 200, .body = "deb" },
	{ .expect = "GET /pool/x.txt", .status = 200, .body = "txt" },
	{ .expect = "GET /max0/a", .status = 200, .body = "m1" },
	{ .expect = "GET /max0/a", .expect_hdr = "If-Modified-Since:",
	    .status = 200, .body = "m2" },
	{ .expect = "GET /nocache/x", .status = 200, .body = "n1",
	    .headers = "Cache-Control: max-age=600\r\n" },
	{ .expect = "GET /nocache/x", .status = 200, .body = "n2",
	    .headers = "Cache-Control: max-age=600\r\n" },
	{ .expect = "GET /c/y", .status = 200, .body = "y",
	    .headers = "Cache-Control: max-age=600\r\n" },
	{ .expect = "GET /pool/x.DEB", .expect_hdr = "If-Modified-Since:",
	    .status = 304, .body = "" },
};
#define NSTEPS	((int)(sizeof(steps) / sizeof(steps[0])))

static int oport;

static int
ask(struct harness *h, const char *path, const char *extra,
    struct raw_resp *r)
{
	struct raw c;
	char req[1024];
	int st;

	if (raw_open(&c, h->port[0]) == -1)
		return -1;
	snprintf(req, sizeof(req), "GET http://127.0.0.1:%d%s HTTP/1.1\r\n"
	    "Host: x\r\n%sConnection: close\r\n\r\n", oport, path,
	    extra ? extra : "");
	raw_sends(&c, req);
	st = raw_read_resp(&c, r, 0, 10000);
	raw_close(&c);
	return st;
}

/* The ttl= of Cache-Status (RFC 9211 §2.5), or -1. */
static long long
ttl(struct raw_resp *r)
{
	const char *v = raw_resp_header(r, "Cache-Status"), *p;

	if (v == NULL || (p = strstr(v, "ttl=")) == NULL)
		return -1;
	return strtoll(p + 4, NULL, 10);
}

/* Access log lines for @p url, and how many of them hold @p code. */
static int
log_lines(struct harness *h, const char *url, const char *code, int *n)
{
	char *text, *line, *save = NULL;
	int with = 0;

	*n = 0;
	if ((text = harness_file_read(h->access_log, NULL)) == NULL)
		return 0;
	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (strstr(line, url) == NULL)
			continue;
		(*n)++;
		if (strstr(line, code) != NULL)
			with++;
	}
	free(text);
	return with;
}

/* Line number of the first line of @p path holding @p needle, or 0. */
static int
line_of(const char *path, const char *needle)
{
	char *text, *p;
	int n = 1;

	text = harness_file_read(path, NULL);
	if (text == NULL || (p = strstr(text, needle)) == NULL) {
		free(text);
		return 0;
	}
	*p = '\0';
	for (p = text; *p != '\0'; p++)
		if (*p == '\n')
			n++;
	free(text);
	return n;
}

int
main(void)
{
	struct harness h;
	struct origin *o;
	struct raw_resp r;
	char want[400], url[128], *line;
	time_t lm = time(NULL) - TEN_DAYS;
	pid_t w[8], old;
	long long t;
	int i, n, nlines, st;

	plan(34 + ORIGIN_FINISH_TESTS + HARNESS_STOP_TESTS +
	    HARNESS_END_TESTS);
	strftime(lmhdr, sizeof(lmhdr), "Last-Modified: %a, %d %b %Y "
	    "%H:%M:%S GMT\r\n", gmtime(&lm));
	for (i = 0; i < 4; i++)
		steps[i].headers = lmhdr;
	o = origin_start(steps, NSTEPS);
	oport = origin_port(o);
	harness_init(&h, 1);
	harness_conf(&h, BASE DEB_50);
	if (harness_start(&h) == -1)
		bail_out("sluice did not start");

	/* (a) refresh_pattern -i \.deb$ 60 50% 1440: 50% of 10 days, capped. */
	is_int(ask(&h, "/pool/x.DEB", NULL, &r), 200, "GET x.DEB: 200");
	ok(raw_has(&r, "Cache-Status", "stored"), "a response with only "
	    "Last-Modified is stored (heuristically cacheable, RFC 9111 "
	    "§4.2.2)");
	raw_resp_free(&r);
	is_int(ask(&h, "/pool/x.DEB", NULL, &r), 200, "GET x.DEB again: 200");
	ok(raw_has(&r, "Cache-Status", "hit"), "x.DEB is a hit: -i matched "
	    "\\.deb$ against .DEB");
	t = ttl(&r);
	ok(t > 86400 - 60 && t <= 86400, "its ttl %lld is MAX 1440 minutes "
	    "(50%% of 10 days is 5 days, capped), not the default 20%% "
	    "(2 days)", t);
	raw_resp_free(&r);

	/* No pattern matches: squid's default . 0 20% 4320. */
	is_int(ask(&h, "/pool/x.txt", NULL, &r), 200, "GET x.txt: 200");
	raw_resp_free(&r);
	is_int(ask(&h, "/pool/x.txt", NULL, &r), 200, "GET x.txt again: 200");
	t = ttl(&r);
	ok(raw_has(&r, "Cache-Status", "hit") && t > 172800 - 60 &&
	    t <= 172802, "x.txt matches no line: a hit with the default "
	    "20%% of 10 days, ttl %lld ~ 172800 (RFC 9111 §4.2.2)", t);
	raw_resp_free(&r);
	is_int(origin_nreq(o), 2, "the origin saw one request per URL");
	line = harness_log_wait(&h, "TCP_HIT/200", "/pool/x.DEB", NULL);
	ok(line != NULL, "access log: TCP_HIT/200 for x.DEB");
	free(line);

	/* (b) MAX 0: stale at once, so the origin is asked again. */
	is_int(ask(&h, "/max0/a", NULL, &r), 200, "GET /max0/a: 200");
	raw_resp_free(&r);
	is_int(ask(&h, "/max0/a", NULL, &r), 200, "GET /max0/a again: 200");
	is_str(r.body, "m2", "refresh_pattern MAX 0: the second GET is "
	    "answered by the origin");
	ok(raw_has(&r, "Cache-Status", "fwd=stale"), "Cache-Status says "
	    "fwd=stale (RFC 9211 §2.2)");
	raw_resp_free(&r);
	is_int(origin_nreq(o), 4, "the origin saw both /max0/a requests, the "
	    "second conditional (RFC 9111 §4.3.1)");

	/* (c) cache deny nocache: never from the cache, never stored. */
	is_int(ask(&h, "/nocache/x", NULL, &r), 200, "GET /nocache/x: 200");
	ok(raw_has(&r, "Cache-Status", "fwd=bypass") &&
	    !raw_has(&r, "Cache-Status", "stored"), "cache deny: Cache-Status "
	    "says fwd=bypass and nothing is stored");
	raw_resp_free(&r);
	is_int(ask(&h, "/nocache/x", NULL, &r), 200,
	    "GET /nocache/x again: 200");
	is_str(r.body, "n2", "cache deny: a max-age=600 response is fetched "
	    "from the origin again");
	raw_resp_free(&r);
	is_int(ask(&h, "/nocache/x", "Cache-Control: only-if-cached\r\n", &r),
	    504, "cache deny with only-if-cached: 504 (RFC 9111 §5.2.1.7)");
	raw_resp_free(&r);
	is_int(ask(&h, "/c/y", NULL, &r), 200, "GET /c/y: 200");
	raw_resp_free(&r);
	is_int(ask(&h, "/c/y", NULL, &r), 200, "GET /c/y again: 200");
	ok(raw_has(&r, "Cache-Status", "hit"),
	    "another URL is a hit: with only "
	    "`cache deny`, what no line matches is allowed (squid)");
	raw_resp_free(&r);
	is_int(origin_nreq(o), 7, "the origin saw /nocache/x twice, /c/y once");
	snprintf(url, sizeof(url), ":%d/nocache/x", oport);
	n = harness_file_wait_count(h.access_log, url, 3, 2000);
	i = log_lines(&h, url, "TCP_MISS/200", &nlines);
	is_int(i, 2, "access log: both /nocache/x GETs are TCP_MISS/200 "
	    "(%d lines, %d seen)", nlines, n);

	/* (d) A bad refresh_pattern in a reload: the old config stays. */
	n = harness_workers(&h, w, 8);
	if (n != 1)
		bail_out("expected one worker, found %d", n);
	old = w[0];
	harness_conf(&h, BASE "refresh_pattern ( 0 20% 4320\n" DEB_0);
	harness_signal(&h, SIGHUP);
	snprintf(want, sizeof(want), "%s:%d: refresh_pattern: bad regex '('",
	    h.conf, line_of(h.conf, "refresh_pattern ("));
	line = harness_file_wait(h.cache_log, 5000, want, NULL);
	ok(line != NULL, "SIGHUP with a bad regex logs %s", want);
	free(line);
	ok(harness_signal(&h, 0) == 0, "the master keeps running");
	n = harness_workers(&h, w, 8);
	ok(n == 1 && w[0] == old, "no new generation was started");
	st = ask(&h, "/pool/x.DEB", NULL, &r);
	t = ttl(&r);
	ok(st == 200 && raw_has(&r, "Cache-Status", "hit") && t > 86400 - 60 &&
	    t <= 86400, "the old refresh_pattern still applies: x.DEB is a "
	    "hit with ttl %lld", t);
	raw_resp_free(&r);

	/* A good reload: the new pattern applies to what is stored. */
	harness_conf(&h, BASE DEB_0);
	harness_signal(&h, SIGHUP);
	ok(harness_wait_workers(&h, 1, &old, 1, 10000),
	    "a good reload starts a new generation");
	is_int(ask(&h, "/pool/x.DEB", NULL, &r), 200, "GET x.DEB after it: "
	    "200");
	ok(raw_has(&r, "Cache-Status", "fwd=stale") &&
	    raw_has(&r, "Cache-Status", "fwd-status=304"),
	    "the stored x.DEB is "
	    "now stale (MAX 0) and revalidated: the origin's 304");
	is_str(r.body, "deb", "the stored body is served (RFC 9111 §4.3.4)");
	raw_resp_free(&r);
	is_int(origin_nreq(o), 8, "the origin saw the revalidation");

	origin_finish(o);
	harness_stop(&h);
	harness_end(&h);
	origin_free(o);
	return exit_status();
}
