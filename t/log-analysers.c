/*
 * log-analysers.c -- real log analysers read what sluice writes:
 * Debian's calamaris reads the native squid log, denials included, with
 * no invalid line (issue 11 item 8: an eleventh field made Calamaris drop
 * exactly the denied lines), and GoAccess (--log-format=COMBINED) reads
 * the combined log with the right request count and no failed line.
 * Each part skips, saying why, only when its tool is not installed
 * (setup.sh installs both).
 *
 * Integration test: a real sluice with cache_dir, the scripted origin,
 * raw clients, then the analysers run on the logs (bounded by timeout(1)).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "origin.h"
#include "raw.h"
#include "tap.h"

static const struct origin_step steps[] = {
	{ .expect = "GET /page", .status = 200, .body = "<html>hello</html>",
	    .headers = "Cache-Control: max-age=600\r\n"
	    "Content-Type: text/html\r\n" },
	{ .expect = "POST /form", .status = 201, .body = "made" },
	{ .expect = "GET /missing", .status = 404, .body = "no" },
	{ .expect = "HEAD /page2", .status = 200, .body = "",
	    .headers = "Content-Length: 0\r\n" },
};
#define NSTEPS	((int)(sizeof(steps) / sizeof(steps[0])))

static int oport;

static int
ask(struct harness *h, const char *req)
{
	struct raw c;
	struct raw_resp r;
	int st;

	if (raw_open(&c, h->port[0]) == -1)
		return -1;
	raw_sends(&c, req);
	st = raw_read_resp(&c, &r, strncmp(req, "HEAD", 4) == 0, 10000);
	raw_resp_free(&r);
	raw_close(&c);
	return st;
}

static int
get(struct harness *h, const char *method, const char *path,
    const char *extra, const char *body)
{
	char req[1024];

	snprintf(req, sizeof(req), "%s http://127.0.0.1:%d%s HTTP/1.1\r\n"
	    "Host: x\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64) "
	    "Firefox/115.0\r\n%sConnection: close\r\n\r\n%s", method, oport,
	    path, extra != NULL ? extra : "", body != NULL ? body : "");
	return ask(h, req);
}

/* Is @tool on the PATH?  Its full path into @out. */
static int
have_tool(const char *tool, char *out, size_t size)
{
	char *path, *p, *e;

	if ((path = getenv("PATH")) == NULL)
		path = "/usr/bin:/bin";
	for (p = path; *p != '\0'; p = *e != '\0' ? e + 1 : e) {
		e = p + strcspn(p, ":");
		snprintf(out, size, "%.*s/%s", (int)(e - p), p, tool);
		if (e > p && access(out, X_OK) == 0)
			return 1;
	}
	return 0;
}

/* The first number after @label on its line in @text, or -1. */
static long
number_after(const char *text, const char *label)
{
	const char *p, *e;

	if (text == NULL || (p = strstr(text, label)) == NULL)
		return -1;
	e = p + strcspn(p, "\n");
	for (p += strlen(label); p < e; p++)
		if (*p >= '0' && *p <= '9')
			return strtol(p, NULL, 10);
	return -1;
}

/* GoAccess's CSV: "N",,"general",,,,,,,,"VALUE","NAME". */
static long
goaccess_general(const char *csv, const char *name)
{
	char key[64];
	const char *p, *q;

	if (csv == NULL)
		return -1;
	snprintf(key, sizeof(key), "\",\"%s\"", name);
	if ((p = strstr(csv, key)) == NULL)
		return -1;
	for (q = p; q > csv && q[-1] != '"'; q--)
		continue;
	return strtol(q, NULL, 10);
}

int
main(void)
{
	struct harness h;
	struct origin *o;
	char tool[512], cmd[2048], out[320], combined[320], *text;
	int nreq = 0, rc;

	plan(7 + 4 + 4 + ORIGIN_FINISH_TESTS + HARNESS_STOP_TESTS +
	    HARNESS_END_TESTS);
	o = origin_start(steps, NSTEPS);
	oport = origin_port(o);
	harness_init(&h, 1);
	harness_conf(&h,
	    "acl blocked urlpath_regex ^/blocked\n"
	    "http_access deny blocked\n"
	    "http_access allow localhost\n"
	    "http_access deny all\n"
	    "cache_dir lmdb %DIR%/cache 10\n"
	    "access_log %DIR%/access.log squid\n"
	    "access_log %DIR%/combined.log combined\n");
	if (harness_start(&h) == -1)
		bail_out("sluice did not start");
	snprintf(combined, sizeof(combined), "%s/combined.log", h.dir);

	is_int(get(&h, "GET", "/page", "Referer: http://example.org/a b\r\n",
	    NULL),
	    200, "GET /page: a miss");
	nreq++;
	is_int(get(&h, "GET", "/page", NULL, NULL), 200, "GET /page: a hit");
	nreq++;
	is_int(get(&h, "GET", "/blocked/1", NULL, NULL), 403, "denied: 403");
	nreq++;
	is_int(get(&h, "GET", "/blocked/2", NULL, NULL), 403,
	    "denied again: 403");
	nreq++;
	is_int(get(&h, "POST", "/form", "Content-Length: 3\r\n", "abc"), 201,
	    "POST /form: 201");
	nreq++;
	is_int(get(&h, "GET", "/missing", NULL, NULL), 404,
	    "GET /missing: 404");
	nreq++;
	is_int(get(&h, "HEAD", "/page2", NULL, NULL), 200, "HEAD /page2: 200");
	nreq++;
	harness_file_wait_count(h.access_log, NULL, nreq, 2000);
	harness_file_wait_count(combined, NULL, nreq, 2000);

	/* Calamaris: every line parsed, the denials counted. */
	if (!have_tool("calamaris", tool, sizeof(tool))) {
		skip(4, "calamaris is not installed (Debian package "
		    "calamaris; setup.sh installs it)");
	} else {
		snprintf(out, sizeof(out), "%s/calamaris.out", h.dir);
		snprintf(cmd, sizeof(cmd), "timeout 60 %s -a < %s > %s 2>&1",
		    tool, h.access_log, out);
		rc = system(cmd);
		text = harness_file_read(out, NULL);
		is_int(rc, 0, "calamaris ran on the squid log");
		is_int(number_after(text, "lines parsed:"), nreq,
		    "calamaris parsed every line (%d)", nreq);
		is_int(number_after(text, "invalid lines:"), 0,
		    "calamaris found no invalid line, denials included");
		is_int(number_after(text, " TCP_DENIED "), 2,
		    "calamaris counts the two TCP_DENIED requests");
		if (number_after(text, "invalid lines:") != 0 && text != NULL)
			diag("%s", text);
		free(text);
	}

	/* GoAccess: the combined log, every request valid. */
	if (!have_tool("goaccess", tool, sizeof(tool))) {
		skip(4, "goaccess is not installed (Debian package goaccess; "
		    "setup.sh installs it)");
	} else {
		snprintf(out, sizeof(out), "%s/goaccess.csv", h.dir);
		snprintf(cmd, sizeof(cmd), "timeout 60 %s --no-global-config "
		    "--log-format=COMBINED -o csv %s > %s 2>/dev/null", tool,
		    combined, out);
		rc = system(cmd);
		text = harness_file_read(out, NULL);
		is_int(rc, 0, "goaccess ran on the combined log");
		is_int(goaccess_general(text, "total_requests"), nreq,
		    "goaccess counts every request (%d)", nreq);
		is_int(goaccess_general(text, "valid_requests"), nreq,
		    "goaccess: every request valid");
		is_int(goaccess_general(text, "failed_requests"), 0,
		    "goaccess: no failed line");
		free(text);
	}

	origin_finish(o);
	harness_stop(&h);
	harness_end(&h);
	origin_free(o);
	return exit_status();
}
