/*
 * log-formats.c -- several access logs at once, each with its format and
 * its acls: squid's native ten fields (a cache hit logs its content type
 * too), combined, json (every line one valid JSON object), a logformat
 * of header codes (request fields captured at parse time, reply fields
 * from the origin's head or from the stored head of a hit, the origin's
 * status of a revalidation), a log filtered by an acl, `access_log none`
 * ending the list for what it matches, and a negated acl.
 *
 * Integration test: a real sluice with cache_dir, the scripted origin,
 * raw clients.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "json.h"
#include "origin.h"
#include "raw.h"
#include "tap.h"

static const struct origin_step steps[] = {
	{ .expect = "GET /a", .status = 200, .body = "aaa",
	    .headers = "Cache-Control: max-age=600\r\n"
	    "Content-Type: text/plain\r\nX-Rep: r1\r\n" },
	{ .expect = "GET /secret", .status = 200, .body = "s",
	    .headers = "Content-Type: text/plain\r\n" },
	{ .expect = "GET /rv", .status = 200, .body = "rv1",
	    .headers = "Cache-Control: max-age=0\r\nETag: \"r1\"\r\n"
	    "Content-Type: text/x-old\r\nX-Rep: old\r\n" },
	{ .expect = "GET /rv", .expect_hdr = "If-None-Match: \"r1\"",
	    .status = 304, .body = "",
	    .headers = "Cache-Control: max-age=600\r\nETag: \"r1\"\r\n"
	    "X-Rep: new\r\n" },
};
#define NSTEPS	((int)(sizeof(steps) / sizeof(steps[0])))
#define NREQ	6

static int oport;

static int
ask(struct harness *h, const char *path, const char *extra)
{
	struct raw c;
	struct raw_resp r;
	char req[1024];
	int st;

	if (raw_open(&c, h->port[0]) == -1)
		return -1;
	snprintf(req, sizeof(req), "GET http://127.0.0.1:%d%s HTTP/1.1\r\n"
	    "Host: x\r\n%sConnection: close\r\n\r\n", oport, path,
	    extra != NULL ? extra : "");
	raw_sends(&c, req);
	st = raw_read_resp(&c, &r, 0, 10000);
	raw_resp_free(&r);
	raw_close(&c);
	return st;
}

/* Line @n (from 0) of @path, without its newline, into @buf. */
static char *
nth_line(const char *path, int n, char *buf, size_t size)
{
	char *text, *p, *nl;
	size_t len;

	if ((text = harness_file_read(path, NULL)) == NULL)
		return NULL;
	for (p = text; n > 0 && (p = strchr(p, '\n')) != NULL; n--)
		p++;
	if (p == NULL || *p == '\0') {
		free(text);
		return NULL;
	}
	nl = strchr(p, '\n');
	len = nl != NULL ? (size_t)(nl - p) : strlen(p);
	if (len >= size)
		len = size - 1;
	memcpy(buf, p, len);
	buf[len] = '\0';
	free(text);
	return buf;
}

static void
logpath(struct harness *h, const char *name, char *out)
{
	snprintf(out, 320, "%s/%s", h->dir, name);
}

int
main(void)
{
	static const char *const hdrs_want[NREQ] = {
		"/a|one,%20two|one,%20two|r1|200|200|text/plain|TCP_MISS",
		"/a|-|-|r1|-|200|text/plain|TCP_HIT",
		NULL,	/* /secret: never reaches this log */
		"/denied|-|-|-|-|403|text/html|TCP_DENIED",
		"/rv|-|-|old|200|200|text/x-old|TCP_MISS",
		"/rv|-|-|new|304|200|text/x-old|TCP_REFRESH_UNMODIFIED",
	};
	static const char *const check_args[] = { "-t", "-f", NULL, NULL };
	const char *args[4];
	struct harness h;
	struct origin *o;
	char p_sq[320], p_comb[320], p_json[320], p_hdrs[320], p_secret[320];
	char p_public[320], p_nodeny[320], l[4096], f[256], v[256];
	char bad[320], *out;
	int i, k, good, members, n;

	plan(3 + 6 + 8 + 4 + 6 + 5 + ORIGIN_FINISH_TESTS +
	    HARNESS_STOP_TESTS + HARNESS_END_TESTS);
	o = origin_start(steps, NSTEPS);
	oport = origin_port(o);
	harness_init(&h, 1);
	harness_conf(&h,
	    "acl secret urlpath_regex ^/secret\n"
	    "acl denied urlpath_regex ^/denied\n"
	    "http_access deny denied\n"
	    "http_access allow localhost\n"
	    "http_access deny all\n"
	    "cache_dir lmdb %DIR%/cache 10\n"
	    "logformat hdrs %rp|%{X-Req}>h|%{x-req}>h|%{X-Rep}<h|%<Hs|%>Hs"
	    "|%mt|%Ss\n"
	    "access_log %DIR%/access.log squid\n"
	    "access_log stdio:%DIR%/combined.log combined\n"
	    "access_log %DIR%/json.log logformat=json\n"
	    "access_log %DIR%/hdrs.log hdrs !secret\n"
	    "access_log %DIR%/secret.log squid secret\n"
	    "access_log none secret\n"
	    "access_log %DIR%/public.log common\n"
	    "access_log %DIR%/nodeny.log !denied\n");
	if (harness_start(&h) == -1)
		bail_out("sluice did not start");
	logpath(&h, "access.log", p_sq);
	logpath(&h, "combined.log", p_comb);
	logpath(&h, "json.log", p_json);
	logpath(&h, "hdrs.log", p_hdrs);
	logpath(&h, "secret.log", p_secret);
	logpath(&h, "public.log", p_public);
	logpath(&h, "nodeny.log", p_nodeny);

	/* sluice -t checks the formats and logs, with file:line. */
	if (harness_write(&h, "bad.conf", "http_port 127.0.0.1:1\n"
	    "logformat good %ts %ru\n"
	    "logformat odd %ts %{Referer>h\n"
	    "access_log %DIR%/x.log logformat=nope\n", bad) == -1)
		bail_out("cannot write bad.conf");
	memcpy(args, check_args, sizeof(args));
	args[2] = bad;
	is_int(harness_exec(&h, args, &out), 1, "sluice -t refuses a bad "
	    "logformat and access_log");
	like(out, "bad.conf:3: logformat odd: '{' without '}' in "
	    "'%{Referer>h'", "... the format error at its file:line");
	like(out, "bad.conf:4: access_log: unknown logformat 'nope'",
	    "... and the unknown format at its own");
	free(out);

	is_int(ask(&h, "/a", "X-Req: one\r\nReferer: http://ref/\r\n"
	    "User-Agent: T/1 (x)\r\nX-Req: two\r\n"), 200, "GET /a: a miss");
	is_int(ask(&h, "/a", NULL), 200, "GET /a again: a hit");
	is_int(ask(&h, "/secret", NULL), 200, "GET /secret");
	is_int(ask(&h, "/denied", NULL), 403, "GET /denied: 403");
	is_int(ask(&h, "/rv", NULL), 200, "GET /rv: stored, stale at once");
	is_int(ask(&h, "/rv", NULL), 200, "GET /rv again: revalidated (304)");

	/* squid: every request, ten fields each. */
	is_int(harness_file_wait_count(p_sq, NULL, NREQ, 2000), NREQ,
	    "squid log: one line per request");
	for (i = 0, good = 0; i < NREQ; i++)
		good += nth_line(p_sq, i, l, sizeof(l)) != NULL &&
		    harness_field(l, 9, f, sizeof(f)) != NULL &&
		    harness_field(l, 10, f, sizeof(f)) == NULL;
	is_int(good, NREQ, "squid log: Squid's ten fields on every line");
	ok(nth_line(p_sq, 1, l, sizeof(l)) != NULL && strstr(l, "TCP_HIT/200")
	    != NULL && harness_field(l, 9, f, sizeof(f)) != NULL &&
	    strcmp(f, "text/plain") == 0,
	    "squid log: a hit logs the stored content type");
	ok(nth_line(p_sq, 3, l, sizeof(l)) != NULL &&
	    strstr(l, "TCP_DENIED/403") != NULL &&
	    harness_field(l, 8, f, sizeof(f)) != NULL &&
	    strcmp(f, "HIER_NONE/-") == 0, "squid log: the denial");
	is_int(harness_file_wait_count(p_comb, NULL, NREQ, 2000), NREQ,
	    "combined log: one line per request");
	like(nth_line(p_comb, 0, l, sizeof(l)), "] \"GET http://127.0.0.1:",
	    "combined: the request line in quotes");
	like(l, " HTTP/1.1\" 200 ", "combined: protocol, status");
	like(l, "\"http://ref/\" \"T/1 (x)\" TCP_MISS:HIER_DIRECT",
	    "combined: Referer and User-Agent as sent, then Squid's codes");

	/* json: one valid object per line. */
	is_int(harness_file_wait_count(p_json, NULL, NREQ, 2000), NREQ,
	    "json log: one line per request");
	for (i = 0, good = 0; i < NREQ; i++)
		good += nth_line(p_json, i, l, sizeof(l)) != NULL &&
		    json_valid(l, strlen(l), &members) && members == 19;
	is_int(good, NREQ, "json: every line is one JSON object of 19 "
	    "members");
	nth_line(p_json, 3, l, sizeof(l));
	ok(json_member(l, strlen(l), "status", v, sizeof(v)) != NULL &&
	    strcmp(v, "403") == 0 && json_member(l, strlen(l), "error", v,
	    sizeof(v)) != NULL && strcmp(v, "\"ERR_ACCESS_DENIED\"") == 0,
	    "json: the denial's status is a number, its error a string");
	ok(json_member(l, strlen(l), "denied_by", v, sizeof(v)) != NULL &&
	    strstr(v, "sluice.conf:") != NULL,
	    "json: denied_by names the rule (%s)", v);

	/* Header codes: what the client sent, what was served. */
	is_int(harness_file_wait_count(p_hdrs, NULL, NREQ - 1, 2000), NREQ - 1,
	    "hdrs log: every request but the one its acl leaves out");
	for (i = 0, k = 0; i < NREQ; i++) {
		if (hdrs_want[i] == NULL)
			continue;
		is_str(nth_line(p_hdrs, k++, l, sizeof(l)), hdrs_want[i],
		    "hdrs: %s", hdrs_want[i]);
	}

	/* Filters. */
	is_int(harness_file_count(p_secret, NULL), 1,
	    "a log with an acl takes only what it matches");
	like(nth_line(p_secret, 0, l, sizeof(l)), "/secret",
	    "... the /secret request");
	n = harness_file_wait_count(p_public, NULL, NREQ - 1, 2000);
	is_int(n, NREQ - 1, "after `access_log none secret`, a log gets the "
	    "rest");
	is_int(harness_file_count(p_public, "/secret"), 0,
	    "... and not what none matched");
	is_int(harness_file_wait_count(p_nodeny, NULL, NREQ - 2, 2000),
	    NREQ - 2, "a negated acl: neither /secret nor /denied");

	origin_finish(o);
	harness_stop(&h);
	harness_end(&h);
	origin_free(o);
	return exit_status();
}
