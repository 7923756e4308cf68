/*
 * cache-purge.c -- PURGE empties the cache for everyone, so (as in squid)
 * it is refused with 403 unless the config names it in an acl of type
 * method; then http_access decides as for any method.  A refused PURGE
 * leaves the stored object alone.  (The allowed PURGE, every variant
 * removed, is in t/cache-basic and t/cache-vary.)
 *
 * Integration test: a real sluice with cache_dir, the scripted origin,
 * raw clients; two configurations.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "origin.h"
#include "raw.h"
#include "tap.h"

static const struct origin_step steps[] = {
	{ .expect = "GET /a", .status = 200, .body = "stored",
	    .headers = "Cache-Control: max-age=600\r\n" },
	{ .expect = "GET /b", .status = 200, .body = "stored-b",
	    .headers = "Cache-Control: max-age=600\r\n" },
};
#define NSTEPS	((int)(sizeof(steps) / sizeof(steps[0])))

static int oport;

static int
ask(struct harness *h, const char *method, const char *path,
    struct raw_resp *r)
{
	struct raw c;
	char req[512];
	int st;

	if (raw_open(&c, h->port[0]) == -1)
		return -1;
	snprintf(req, sizeof(req), "%s http://127.0.0.1:%d%s HTTP/1.1\r\n"
	    "Host: x\r\nConnection: close\r\n\r\n", method, oport, path);
	raw_sends(&c, req);
	st = raw_read_resp(&c, r, 0, 10000);
	raw_close(&c);
	return st;
}

static int
hit(struct harness *h, const char *path, const char *body)
{
	struct raw_resp r;
	const char *cs;
	int good;

	good = ask(h, "GET", path, &r) == 200 && r.body != NULL &&
	    strcmp(r.body, body) == 0 &&
	    (cs = raw_resp_header(&r, "Cache-Status")) != NULL &&
	    strstr(cs, "hit") != NULL;
	raw_resp_free(&r);
	return good;
}

int
main(void)
{
	struct harness h1, h2;
	struct origin *o;
	struct raw_resp r;
	char *line, rule_log[320], f[64];

	plan(10 + ORIGIN_FINISH_TESTS + 2 * HARNESS_STOP_TESTS +
	    2 * HARNESS_END_TESTS);
	o = origin_start(steps, NSTEPS);
	oport = origin_port(o);

	/* No acl names PURGE: refused, whatever http_access says. */
	harness_init(&h1, 1);
	/* The squid log, and one that names the denying rule. */
	harness_conf(&h1, "http_access allow localhost\nhttp_access deny all\n"
	    "cache_dir lmdb %DIR%/cache 10\n"
	    "logformat rule %Ss/%>Hs %rm %ru %sluice::rule\n"
	    "access_log %DIR%/access.log squid\n"
	    "access_log %DIR%/rule.log rule\n");
	snprintf(rule_log, sizeof(rule_log), "%s/rule.log", h1.dir);
	if (harness_start(&h1) == -1)
		bail_out("sluice did not start");
	ok(ask(&h1, "GET", "/a", &r) == 200, "GET /a: stored");
	raw_resp_free(&r);
	is_int(ask(&h1, "PURGE", "/a", &r), 403, "PURGE without an acl "
	    "naming it: 403, although http_access allows localhost");
	raw_resp_free(&r);
	line = harness_log_wait(&h1, "TCP_DENIED/403", "PURGE", NULL);
	ok(line != NULL && harness_field(line, 9, f, sizeof(f)) != NULL &&
	    harness_field(line, 10, f, sizeof(f)) == NULL,
	    "access log: TCP_DENIED/403 in Squid's ten fields");
	free(line);
	line = harness_file_wait(rule_log, 2000, "TCP_DENIED/403 PURGE",
	    (char *)NULL);
	ok(line != NULL && strstr(line, " no-purge-acl") != NULL,
	    "%%sluice::rule gives the reason: no-purge-acl");
	if (line != NULL)
		diag("%s", line);
	free(line);
	ok(hit(&h1, "/a", "stored"), "the object is still served from the "
	    "cache");
	harness_stop(&h1);
	harness_end(&h1);

	/* Named by an acl: http_access decides (here: deny). */
	harness_init(&h2, 1);
	harness_conf(&h2, "acl purge method PURGE\nhttp_access deny purge\n"
	    "http_access allow localhost\nhttp_access deny all\n"
	    "cache_dir lmdb %DIR%/cache 10\n"
	    "logformat rule %Ss/%>Hs %rm %ru %sluice::rule\n"
	    "access_log %DIR%/access.log\n"
	    "access_log %DIR%/rule.log rule\n");
	snprintf(rule_log, sizeof(rule_log), "%s/rule.log", h2.dir);
	if (harness_start(&h2) == -1)
		bail_out("sluice did not start");
	ok(ask(&h2, "GET", "/b", &r) == 200, "GET /b: stored");
	raw_resp_free(&r);
	is_int(ask(&h2, "PURGE", "/b", &r), 403, "PURGE denied by an "
	    "http_access rule: 403");
	raw_resp_free(&r);
	line = harness_log_wait(&h2, "TCP_DENIED/403", "PURGE", NULL);
	ok(line != NULL && harness_field(line, 10, f, sizeof(f)) == NULL,
	    "the squid line has no eleventh field");
	free(line);
	line = harness_file_wait(rule_log, 2000, "TCP_DENIED/403 PURGE",
	    (char *)NULL);
	ok(line != NULL && strstr(line, "sluice.conf:") != NULL,
	    "%%sluice::rule names the rule (FILE:LINE)");
	if (line != NULL)
		diag("%s", line);
	free(line);
	ok(hit(&h2, "/b", "stored-b"), "the object is still served");
	harness_stop(&h2);
	origin_finish(o);
	origin_free(o);
	harness_end(&h2);
	return exit_status();
}
