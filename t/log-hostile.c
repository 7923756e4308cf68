/*
 * log-hostile.c -- a request cannot forge an access-log line: hostile
 * URLs (quotes, backslashes, braces, %0d%0a as text), header values with
 * quotes, tabs, bytes that are not UTF-8 and a whole fake log line,
 * proxy users with blanks, quotes, backslashes and 8-bit bytes, and
 * requests refused for a CR, a NUL or a bare LF in a field.  Each log
 * (squid, common, combined, json, and a format of raw values) must hold
 * exactly one line per request, and every line exactly its format's
 * fields: ten for squid, Apache's tokens for common and combined, one
 * valid JSON object for json.
 *
 * Integration test: a real sluice, the scripted origin, the test auth
 * helper, raw clients.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "json.h"
#include "origin.h"
#include "raw.h"
#include "tap.h"

static const struct origin_step steps[] = {
	{ .expect = "GET /", .status = 200, .body = "ok",
	    .flags = ORIGIN_REPEAT },
};

#define USER_BLANK	"sp ace [x]"
#define USER_QUOTE	"q\"u\\o'te\xff\xc3"

/* Send @n bytes as one request, read the status; -1: none. */
static int
send_raw(struct harness *h, const char *req, size_t n)
{
	struct raw c;
	struct raw_resp r;
	int st;

	if (raw_open(&c, h->port[0]) == -1)
		return -1;
	raw_send(&c, req, n);
	st = raw_read_resp(&c, &r, 0, 10000);
	raw_resp_free(&r);
	raw_close(&c);
	return st;
}

/* A GET of @path with @extra fields and the credentials of @user. */
static int
get(struct harness *h, int oport, const char *path, const char *extra,
    const char *user)
{
	char req[4096], cred[256], enc[400];

	snprintf(cred, sizeof(cred), "%s:pw", user);
	raw_b64(cred, enc);
	snprintf(req, sizeof(req), "GET http://127.0.0.1:%d%s HTTP/1.1\r\n"
	    "Host: x\r\n%sProxy-Authorization: Basic %s\r\n"
	    "Connection: close\r\n\r\n", oport, path, extra, enc);
	return send_raw(h, req, strlen(req));
}

/*
 * Apache-style tokens of a line: "..." (with \ escapes), [...] or a bare
 * word, separated by one blank.  -1 when the line does not split so.
 */
static int
apache_fields(const char *l)
{
	int n = 0;

	while (*l != '\0') {
		if (*l == '"') {
			for (l++; *l != '\0' && *l != '"'; l++)
				if (*l == '\\' && l[1] != '\0')
					l++;
			if (*l++ != '"')
				return -1;
		} else if (*l == '[') {
			if ((l = strchr(l, ']')) == NULL)
				return -1;
			l++;
		} else {
			while (*l != '\0' && *l != ' ' && *l != '"')
				l++;
		}
		n++;
		if (*l == ' ')
			l++;
		else if (*l != '\0')
			return -1;
	}
	return n;
}

/* Lines of @path with exactly @want fields (@kind: 's'quid, 'a'pache). */
static int
count_shaped(const char *path, int kind, int want, int *lines)
{
	char *text, *p, *nl, f[8];
	int good = 0;

	*lines = 0;
	if ((text = harness_file_read(path, NULL)) == NULL)
		return 0;
	for (p = text; *p != '\0'; p = nl + 1) {
		if ((nl = strchr(p, '\n')) == NULL)
			break;		/* a line without its end */
		*nl = '\0';
		(*lines)++;
		if (kind == 's')
			good += harness_field(p, want - 1, f, sizeof(f))
			    != NULL &&
			    harness_field(p, want, f, sizeof(f)) == NULL;
		else if (kind == 'a')
			good += apache_fields(p) == want;
		else {
			int m;

			good += json_valid(p, strlen(p), &m) && m == want;
		}
	}
	free(text);
	return good;
}

int
main(void)
{
	struct harness h;
	struct origin *o;
	char helper[400], copy[400], *bin, *s, path[320], req[2048], *line;
	char v[256];
	int oport, nreq = 0, n, lines;
	size_t len;

	plan(9 + 9 + ORIGIN_FINISH_TESTS + HARNESS_STOP_TESTS +
	    HARNESS_END_TESTS);
	bin = getenv("SLUICE_BINARY");
	if (bin == NULL || bin[0] != '/')
		bail_out("SLUICE_BINARY must be an absolute path");
	snprintf(helper, sizeof(helper), "%s", bin);
	if ((s = strrchr(helper, '/')) == NULL)
		bail_out("bad SLUICE_BINARY");
	snprintf(s + 1, sizeof(helper) - (size_t)(s + 1 - helper),
	    "t/helpers/auth-test-helper");
	if (access(helper, X_OK) == -1)
		bail_out("no %s", helper);

	o = origin_start(steps, 1);
	oport = origin_port(o);
	harness_init(&h, 1);
	/* From the temp dir: the workers' user may not reach the build. */
	if (harness_copy_program(&h, helper, copy) == -1)
		bail_out("cannot copy the auth helper");
	harness_set(&h, "HELPER", "%s", copy);
	harness_conf(&h,
	    "auth_param basic program %HELPER% alice:pw \"" USER_BLANK ":pw\" "
	    USER_QUOTE ":pw\n"
	    "acl users proxy_auth REQUIRED\n"
	    "http_access allow localhost users\n"
	    "http_access deny all\n"
	    "logformat raw %'ru %'un %'{User-Agent}>h %'{Referer}>h\n"
	    "access_log %DIR%/access.log squid\n"
	    "access_log %DIR%/common.log common\n"
	    "access_log %DIR%/combined.log combined\n"
	    "access_log %DIR%/json.log json\n"
	    "access_log %DIR%/raw.log raw\n");
	if (harness_start(&h) == -1)
		bail_out("sluice did not start");

	is_int(get(&h, oport, "/q\"u\\o{t}e|^`x<y>?a=%0d%0a%22&b='c'", "",
	    "alice"), 200, "a URL with quotes, backslash, braces, %%0d%%0a");
	nreq++;
	is_int(get(&h, oport, "/h", "User-Agent: evil\" \"x\" 200 1 \"\t\xff"
	    "\xfe \"\r\nReferer: \\\" - [01/Jan/2000:00:00:00 +0000] \"GET / "
	    "HTTP/1.1\" 200 0 \"-\" \"-\" TCP_MISS:HIER_DIRECT\r\n", "alice"),
	    200, "headers holding quotes, a tab, 8-bit bytes, a fake line");
	nreq++;
	is_int(get(&h, oport, "/u1", "", USER_BLANK), 200,
	    "a user name with blanks and brackets");
	nreq++;
	is_int(get(&h, oport, "/u2", "", USER_QUOTE), 200,
	    "a user name with a quote, a backslash and 8-bit bytes");
	nreq++;
	len = (size_t)snprintf(req, sizeof(req), "GET http://127.0.0.1:%d/cr "
	    "HTTP/1.1\r\nX: a\rInjected: 1\r\n\r\n", oport);
	is_int(send_raw(&h, req, len), 400, "a bare CR in a field: 400");
	nreq++;
	len = (size_t)snprintf(req, sizeof(req), "GET http://127.0.0.1:%d/nul "
	    "HTTP/1.1\r\nX: a_b\r\n\r\n", oport);
	req[strstr(req, "a_b") - req + 1] = '\0';
	is_int(send_raw(&h, req, len), 400, "a NUL in a field: 400");
	nreq++;
	len = (size_t)snprintf(req, sizeof(req), "GET http://127.0.0.1:%d/lf "
	    "HTTP/1.1\r\nX: a\n127.0.0.1 - - [x] \"GET /forged HTTP/1.1\" 200 "
	    "0\r\n\r\n", oport);
	is_int(send_raw(&h, req, len), 400, "a bare LF with a forged line "
	    "after it: 400");
	nreq++;
	len = (size_t)snprintf(req, sizeof(req),
	    "CONNECT a\"b\\c:443 HTTP/1.1\r\nHost: a\r\n\r\n");
	is_int(send_raw(&h, req, len), 400, "CONNECT to a hostile authority: "
	    "400");
	nreq++;
	ok(harness_file_wait_count(h.access_log, NULL, nreq, 2000) == nreq,
	    "every request is logged (%d)", nreq);

	n = count_shaped(h.access_log, 's', 10, &lines);
	ok(lines == nreq && n == nreq, "squid: %d lines of ten fields "
	    "(%d lines, %d shaped)", nreq, lines, n);
	snprintf(path, sizeof(path), "%s/common.log", h.dir);
	harness_file_wait_count(path, NULL, nreq, 2000);
	n = count_shaped(path, 'a', 8, &lines);
	ok(lines == nreq && n == nreq, "common: %d lines of its 8 fields "
	    "(%d lines, %d shaped)", nreq, lines, n);
	snprintf(path, sizeof(path), "%s/combined.log", h.dir);
	harness_file_wait_count(path, NULL, nreq, 2000);
	n = count_shaped(path, 'a', 10, &lines);
	ok(lines == nreq && n == nreq, "combined: %d lines of its 10 fields "
	    "(%d lines, %d shaped)", nreq, lines, n);
	line = harness_file_wait(path, 2000, "/h HTTP/1.1", (char *)NULL);
	like(line, "\"evil\\\" \\\"x\\\" 200 1 \\\"\\t\\xff\\xfe \\\"\"",
	    "combined: the User-Agent with its quotes escaped");
	free(line);
	line = harness_file_wait(path, 2000, "/u2 HTTP/1.1", (char *)NULL);
	like(line, "127.0.0.1 - q%22u\\\\o'te%FF%C3 [",
	    "combined: the user in Squid's encoding, one token");
	free(line);
	snprintf(path, sizeof(path), "%s/json.log", h.dir);
	harness_file_wait_count(path, NULL, nreq, 2000);
	n = count_shaped(path, 'j', 19, &lines);
	ok(lines == nreq && n == nreq, "json: %d lines, each one valid JSON "
	    "object of 19 members (%d lines, %d valid)", nreq, lines, n);
	line = harness_file_wait(path, 2000, "/u2\"", (char *)NULL);
	is_str(line != NULL ? json_member(line, strlen(line), "user", v,
	    sizeof(v)) : NULL, "\"q\\\"u\\\\o'te\\u00ff\\u00c3\"",
	    "json: the user escaped, stray 8-bit bytes as \\u00XX");
	free(line);
	snprintf(path, sizeof(path), "%s/raw.log", h.dir);
	harness_file_wait_count(path, NULL, nreq, 2000);
	is_int(harness_file_count(path, NULL), nreq,
	    "raw values (%%'): still one line per request");
	is_int(harness_file_count(h.access_log, "forged"), 0,
	    "the forged line is nowhere in the log");

	origin_finish(o);
	harness_stop(&h);
	harness_end(&h);
	origin_free(o);
	return exit_status();
}
