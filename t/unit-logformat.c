/*
 * unit-logformat.c -- the logformat language (worker/accesslog_fmt.c) and
 * the access_log / logformat lines (worker/accesslog.c, through the
 * master's config_load()): the built-in formats byte for byte (squid's
 * native ten fields as Squid writes them), every code, every encoding on
 * hostile bytes, widths, cuts that keep a line's shape, and every
 * configuration error at its file:line.
 *
 * Unit test: entries built by hand, no sockets; configs in a mkdtemp()
 * directory, cache_log read back from a file there.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "accesslog.h"
#include "accesslog_fmt.h"
#include "conf.h"
#include "log.h"
#include "master.h"
#include "tap.h"

#define HOSTILE	"a b\"c\\d\r\n\t\x01\x7f\xff%\xc3\xa9"

static char			 line[LOGFMT_LINE_MAX + 1];
static struct logfmt_caps	 caps;
static struct logfmt_str	 reqv[8], repv[8];
static struct logfmt_capture	 cap;

/* A TCP_MISS of http://h/a, 25/Nov/2025:00:40:34 UTC. */
static void
entry_init(struct logfmt_entry *e)
{
	memset(e, 0, sizeof(*e));
	e->now_sec = 1764031234;
	e->now_usec = 567890;
	e->start_sec = 1764031234;
	e->start_usec = 555000;
	e->elapsed_ms = 12;
	e->client = "127.0.0.1";
	e->client_port = 40000;
	e->code = "TCP_MISS";
	e->hier = "HIER_DIRECT";
	e->peer = "10.0.0.9";
	e->server = "h";
	e->server_port = 80;
	e->status = 200;
	e->bytes_out = 5123;
	e->bytes_in = 300;
	e->head_in = 250;
	e->method = "GET";
	e->url = "http://h/a";
	e->path = "/a";
	e->scheme = "http";
	e->host = "h";
	e->port = 80;
	e->version = 11;
	e->type = "text/plain";
	e->seq = 7;
	e->cap = &cap;
}

/* Set header @name of the capture (request or reply) after a compile. */
static void
cap_set(int req, const char *name, const char *value)
{
	char **names = req ? caps.req : caps.rep;
	size_t i, n = req ? caps.nreq : caps.nrep;

	for (i = 0; i < n; i++)
		if (strcasecmp(names[i], name) == 0) {
			(req ? reqv : repv)[i].p = value;
			(req ? reqv : repv)[i].n = strlen(value);
			return;
		}
}

static void
cap_reset(void)
{
	logfmt_caps_free(&caps);
	memset(reqv, 0, sizeof(reqv));
	memset(repv, 0, sizeof(repv));
	memset(&cap, 0, sizeof(cap));
	cap.req = reqv;
	cap.rep = repv;
	cap.status_in = 200;
}

/* Compile @spec and render @e; the line (newline included) or NULL. */
static const char *
render(const char *spec, const struct logfmt_entry *e)
{
	struct logfmt *f;
	char err[256];
	size_t n;

	if (logfmt_compile("t", spec, &caps, &f, err, sizeof(err)) == -1) {
		diag("compile '%s': %s", spec, err);
		return NULL;
	}
	n = logfmt_render(f, e, line, sizeof(line) - 1);
	line[n] = '\0';
	logfmt_free(f);
	return line;
}

/* render() with the header values set first (they need the slots). */
static const char *
render_hdr(const char *spec, struct logfmt_entry *e, const char *name,
    const char *value)
{
	struct logfmt *f;
	char err[256];
	size_t n;

	cap_reset();
	if (logfmt_compile("t", spec, &caps, &f, err, sizeof(err)) == -1) {
		diag("compile '%s': %s", spec, err);
		return NULL;
	}
	cap_set(1, name, value);
	n = logfmt_render(f, e, line, sizeof(line) - 1);
	line[n] = '\0';
	logfmt_free(f);
	return line;
}

static void
test_builtins(void)
{
	struct logfmt_entry e;

	cap_reset();
	entry_init(&e);
	is_str(render(logfmt_builtin("squid"), &e),
	    "1764031234.567     12 127.0.0.1 TCP_MISS/200 5123 GET http://h/a "
	    "- HIER_DIRECT/10.0.0.9 text/plain\n",
	    "squid: Squid's native line, byte for byte");
	entry_init(&e);
	e.code = "TCP_DENIED";
	e.status = 403;
	e.bytes_out = 3800;
	e.url = "http://blocked.test/";
	e.hier = "HIER_NONE";
	e.peer = NULL;
	e.type = "text/html";
	e.rule = "/etc/sluice/sluice.conf:12";
	e.err = "ERR_ACCESS_DENIED";
	is_str(render(logfmt_builtin("squid"), &e),
	    "1764031234.567     12 127.0.0.1 TCP_DENIED/403 3800 GET "
	    "http://blocked.test/ - HIER_NONE/- text/html\n",
	    "squid: a denial is ten fields, no rule= (issue 11 item 8)");
	entry_init(&e);
	e.code_sfx = "_ABORTED";
	e.status = 0;
	e.elapsed_ms = 1234567;
	e.user = "alice";
	e.type = NULL;
	is_str(render(logfmt_builtin("squid"), &e),
	    "1764031234.567 1234567 127.0.0.1 TCP_MISS_ABORTED/000 5123 GET "
	    "http://h/a alice HIER_DIRECT/10.0.0.9 -\n",
	    "squid: suffix, status 000, wide elapsed, user, no type");

	entry_init(&e);
	cap_reset();
	is_str(render(logfmt_builtin("common"), &e),
	    "127.0.0.1 - - [25/Nov/2025:00:40:34 +0000] \"GET http://h/a "
	    "HTTP/1.1\" 200 5123 TCP_MISS:HIER_DIRECT\n",
	    "common: Squid's definition");
	cap_reset();
	(void)render(logfmt_builtin("combined"), &e);	/* slots */
	cap_set(1, "Referer", "http://r/");
	cap_set(1, "User-Agent", "Mozilla/5.0 (X11; Linux)");
	is_str(render(logfmt_builtin("combined"), &e),
	    "127.0.0.1 - - [25/Nov/2025:00:40:34 +0000] \"GET http://h/a "
	    "HTTP/1.1\" 200 5123 \"http://r/\" \"Mozilla/5.0 (X11; Linux)\" "
	    "TCP_MISS:HIER_DIRECT\n",
	    "combined: Apache's fields, headers quoted as they came");
	is_str(render(logfmt_builtin("referrer"), &e),
	    "1764031234.567 127.0.0.1 http://r/ http://h/a\n",
	    "referrer: Squid's definition");
	is_str(render(logfmt_builtin("useragent"), &e),
	    "127.0.0.1 [25/Nov/2025:00:40:34 +0000] "
	    "\"Mozilla/5.0%20(X11;%20Linux)\"\n",
	    "useragent: Squid's definition (URL-encoded header)");
	is_str(render(logfmt_builtin("json"), &e),
	    "{\"time\":1764031234.567,\"elapsed_ms\":12,\"client\":"
	    "\"127.0.0.1\",\"client_port\":40000,\"result\":\"TCP_MISS\","
	    "\"status\":200,\"bytes\":5123,\"bytes_in\":300,\"method\":\"GET\","
	    "\"url\":\"http://h/a\",\"version\":\"1.1\",\"user\":null,"
	    "\"hierarchy\":\"HIER_DIRECT\",\"server\":\"10.0.0.9\","
	    "\"type\":\"text/plain\",\"referer\":\"http://r/\","
	    "\"user_agent\":\"Mozilla/5.0 (X11; Linux)\",\"error\":null,"
	    "\"denied_by\":null}\n",
	    "json: one object, numbers as numbers, null when absent");
	e.rule = "default-deny";
	e.err = "ERR_ACCESS_DENIED";
	like(render(logfmt_builtin("json"), &e),
	    "\"error\":\"ERR_ACCESS_DENIED\",\"denied_by\":\"default-deny\"}",
	    "json: the error and the denying rule");
	ok(logfmt_builtin("nope") == NULL, "an unknown name is not built in");
}

static void
test_codes(void)
{
	struct logfmt_entry e;

	entry_init(&e);
	e.local = "127.0.0.2";
	e.local_port = 3128;
	e.user = "bob";
	e.rule = "/etc/x.conf:3";
	e.err = "ERR_READ_TIMEOUT";
	cap_reset();
	(void)render("%{Referer}>h %{X-R}<h %>h %<h", &e);
	cap_set(1, "Referer", "http://r/");
	cap_set(0, "X-R", "rv");
	cap.req_all.p = "A: 1\r\n";
	cap.req_all.n = 6;
	cap.rep_all.p = "B: 2\r\n";
	cap.rep_all.n = 6;
	cap.status_in = 304;
	is_str(render("%>a %>A %>p %>la %>lp %la %lp %<a %<A %<p", &e),
	    "127.0.0.1 127.0.0.1 40000 127.0.0.2 3128 127.0.0.2 3128 "
	    "10.0.0.9 h 80\n", "connection codes");
	is_str(render("%ts %tu %03tu %tS %tr %{%H:%M}tl %tg %{%Y}tg", &e),
	    "1764031234 567 567 1764031234.555 12 00:40 "
	    "25/Nov/2025:00:40:34 2025\n", "time codes");
	is_str(render("%un %ul %ue", &e), "bob bob -\n", "user codes");
	is_str(render("%rm %>rm %<rm %ru %>ru %<ru %rp %>rp %<rp %rv %>rv "
	    "%>rs %>rd %>rP %http::rm", &e),
	    "GET GET GET http://h/a http://h/a http://h/a /a /a /a 1.1 1.1 "
	    "http h 80 GET\n", "request codes, http:: prefix");
	is_str(render("%{Referer}>h %>h{Referer} %{X-R}<h %>h %<h", &e),
	    "http://r/ http://r/ rv A:%201%0D%0A B:%202%0D%0A\n",
	    "header codes, named (arg before or after) and whole heads");
	is_str(render("%>Hs %Hs %<Hs %mt %st %>st %<st %>sh", &e),
	    "200 200 304 text/plain 5423 300 5123 250\n",
	    "status, type and size codes");
	is_str(render("%Ss %Sh %sn %err_code %sluice::rule 100%%", &e),
	    "TCP_MISS HIER_DIRECT 7 ERR_READ_TIMEOUT /etc/x.conf:3 100%\n",
	    "squid codes, sluice::rule, a literal %%");
	e.peer = NULL;
	e.local = NULL;
	e.local_port = 0;
	e.user = NULL;
	e.cap = NULL;
	e.version = 0;
	e.port = 0;
	is_str(render("%<a %<A %<p %>la %>lp %un %{Referer}>h %<Hs %rv %>rP",
	    &e), "- - - - - - - - - -\n", "absent values are '-'");
	is_str(render("%=<a %=<p %=un %=<Hs %=rv", &e),
	    "null null null null null\n", "... and null with =");
}

static void
test_encodings(void)
{
	struct logfmt_entry e;

	entry_init(&e);
	is_str(render_hdr("%{X}>h|", &e, "X", HOSTILE),
	    "a%20b%22c%5Cd%0D%0A%09%01%7F%FF%%C3%A9|\n",
	    "default: pass-through URL encoding (%% kept)");
	is_str(render_hdr("%#{X}>h|", &e, "X", HOSTILE),
	    "a%20b%22c%5Cd%0D%0A%09%01%7F%FF%25%C3%A9|\n",
	    "#: URL encoding (%% too)");
	is_str(render_hdr("%\"{X}>h|", &e, "X", HOSTILE),
	    "a b\\\"c\\\\d\\r\\n\\t\\x01\\x7f\\xff%\\xc3\\xa9|\n",
	    "\": backslash escapes, \\xHH for controls and 8-bit bytes");
	is_str(render_hdr("%[{X}>h|", &e, "X", HOSTILE),
	    "a%20b%22c\\\\d\\r\\n%09%01%7F%FF%25%C3%A9|\n",
	    "[: Squid's mime blob, SP and \" encoded too");
	is_str(render_hdr("%/{X}>h|", &e, "X", HOSTILE),
	    "\"a b\\\"c\\\\d\\r\\n\\t\\x01\\x7f\xff%\xc3\xa9\"|\n",
	    "/: shell-like, quoted because of the blank");
	is_str(render_hdr("%'{X}>h|", &e, "X", HOSTILE),
	    "a b\"c\\d%0D%0A%09%01%7F\xff%\xc3\xa9|\n",
	    "': raw, but never a control byte");
	is_str(render_hdr("%={X}>h|", &e, "X", HOSTILE),
	    "\"a b\\\"c\\\\d\\r\\n\\t\\u0001\\u007f\\u00ff%\xc3\xa9\"|\n",
	    "=: JSON string; valid UTF-8 kept, a stray byte as \\u00XX");
	is_str(render_hdr("%={X}>h", &e, "X", "\xe0\x80\xaf \xed\xa0\x80 "
	    "\xf4\x90\x80\x80 \xf0\x9f\x98\x80"),
	    "\"\\u00e0\\u0080\\u00af \\u00ed\\u00a0\\u0080 "
	    "\\u00f4\\u0090\\u0080\\u0080 \xf0\x9f\x98\x80\"\n",
	    "=: overlong, surrogate and above-U+10FFFF bytes escaped, "
	    "an emoji kept");
	is_str(render_hdr("%={X}>h", &e, "X", "a\bb\fc\x1f"),
	    "\"a\\bb\\fc\\u001f\"\n",
	    "=: \\b and \\f as JSON writes them (RFC 8259 §7)");
	is_str(render_hdr("%=>p %=tr %=tS %=ts", &e, "X", ""),
	    "40000 12 1764031234.555 1764031234\n", "=: numbers bare");
	e.user = "a b\"c";
	is_str(render("%[un %un", &e), "a%20b%22c a%20b%22c\n",
	    "a user name never holds a blank or a quote");
	e.url = "http://h/\"x\\y{}|^`<>";
	is_str(render("%ru", &e), "http://h/%22x%5Cy%7B%7D%7C%5E%60%3C%3E\n",
	    "URL: the bytes RFC 3986 does not allow are encoded");
	e.url = "http://[::1]:8080/~u/a#b?q=%41&r='s'";
	is_str(render("%ru", &e), "http://[::1]:8080/~u/a#b?q=%41&r='s'\n",
	    "URL: what RFC 3986 allows is left as it is (Squid's %%ru)");
}

static void
test_widths(void)
{
	struct logfmt_entry e;
	const char *l;
	char *big;
	size_t n;

	entry_init(&e);
	e.status = 0;
	is_str(render("%5tr|%-5tr|%05tr|%03>Hs|%-6rm|%6rm|%-03tr|", &e),
	    "   12|12   |00012|000|GET   |   GET|12 |\n",
	    "min width: right, left, zero-padded");
	is_str(render("%.3ru|%10.3ru|%.0ru|", &e), "htt|       htt||\n",
	    "max width cuts strings");
	is_str(render("%.2tr|%=.2ru", &e), "12|\"http://h/a\"\n",
	    "max width is not for numbers nor JSON");
	is_str(render_hdr("%\".4{X}>h|%\".5{X}>h|", &e, "X", "abc\"d"),
	    "abc|abc\\\"|\n", "a cut never splits an escape");
	is_str(render_hdr("%.4{X}>h|%.5{X}>h|", &e, "X", "ab cd"),
	    "ab|ab%20|\n", "... nor a %%XX");

	/* A value is cut at LOGFMT_VALUE_MAX, the literal after it stays. */
	if ((big = malloc(40000)) == NULL)
		bail_out("out of memory");
	memset(big, 'a', 39999);
	big[39999] = '\0';
	e.url = big;
	l = render("[%ru]", &e);
	n = l != NULL ? strlen(l) : 0;
	ok(n == LOGFMT_VALUE_MAX + 3 && l[0] == '[' && l[n - 2] == ']' &&
	    l[n - 1] == '\n', "a value is cut at %d bytes, the line keeps "
	    "its closing literal", LOGFMT_VALUE_MAX);
	/* Five long values: the line is cut, every literal still there. */
	cap_reset();
	(void)render("%{A}>h\"%{B}>h\"%{C}>h\"%{D}>h\"%{E}>h\"END", &e);
	cap_set(1, "A", big);
	cap_set(1, "B", big);
	cap_set(1, "C", big);
	cap_set(1, "D", big);
	cap_set(1, "E", big);
	l = render("%{A}>h\"%{B}>h\"%{C}>h\"%{D}>h\"%{E}>h\"END", &e);
	n = l != NULL ? strlen(l) : 0;
	ok(n <= LOGFMT_LINE_MAX && n > LOGFMT_LINE_MAX - 8 &&
	    strcmp(l + n - 5, "\"END\n") == 0,
	    "a line is cut at %d bytes and keeps its shape (%zu bytes)",
	    LOGFMT_LINE_MAX, n);
	ok(l != NULL && strchr(l, '"') != NULL &&
	    strchr(strchr(strchr(strchr(strchr(l, '"') + 1, '"') + 1, '"') +
	    1, '"') + 1, '"') != NULL, "... with its five separators");
	/*
	 * A JSON value cut at the limit: never inside a UTF-8 sequence, and
	 * never past it (three ASCII bytes first, so that the room left at
	 * the end is one byte short of a sequence).
	 */
	memcpy(big, "aaa", 3);
	for (n = 3; n + 4 < 39999; n += 4)
		memcpy(big + n, "\xf0\x9f\x98\x80", 4);	/* U+1F600 */
	big[n] = '\0';
	cap_reset();
	(void)render("%={E}>h", &e);
	cap_set(1, "E", big);
	l = render("%={E}>h", &e);
	n = l != NULL ? strlen(l) : 0;
	ok(n > 6 && n - 1 <= LOGFMT_VALUE_MAX && l[0] == '"' &&
	    memcmp(l + 1, "aaa", 3) == 0 && l[n - 2] == '"' &&
	    l[n - 1] == '\n' && (n - 6) % 4 == 0 &&
	    memcmp(l + n - 6, "\xf0\x9f\x98\x80", 4) == 0,
	    "a JSON value is cut between UTF-8 sequences, within %d bytes "
	    "with its quotes (%zu)", LOGFMT_VALUE_MAX, n - 1);
	free(big);
	e.url = "http://h/a";
	{
		struct logfmt *f;
		char err[64], small[8];

		cap_reset();
		ok(logfmt_compile("t", "%ts %tr", &caps, &f, err,
		    sizeof(err)) == 0 && logfmt_render(f, &e, small,
		    sizeof(small)) == 0, "too little room: nothing rendered");
		logfmt_free(f);
	}
}

static const struct {
	const char	*spec;
	const char	*err;
	const char	*desc;
} bad[] = {
	{ "%zz", "unknown code at '%zz'", "an unknown code" },
	{ "%>x", "unknown code at '%>x'", "an unknown code after >" },
	{ "%dt", "code not supported by sluice: '%dt'",
	    "a Squid code sluice does not measure" },
	{ "%ssl::>sni", "code not supported by sluice", "a TLS code" },
	{ "%{Referer>h", "'{' without '}'", "an open {" },
	{ "%>h{Referer", "'{' without '}'", "an open { after the code" },
	{ "%{A:b}>h", "element selection (Name:element) is not supported",
	    "list-element selection" },
	{ "%{}>h", "empty header name", "an empty header name" },
	{ "%{a b}>h", "bad header name", "a header name with a blank" },
	{ "%2000tr", "width above 1024", "a huge width" },
	{ "%.9999ru", "width above 1024", "a huge max width" },
	{ "%.x", "digits expected after '.'", "a '.' without digits" },
	{ "abc%", "a format cannot end with '%'", "a trailing %" },
	{ "", "empty format", "an empty format" },
	{ "%{x}ts", "this code takes no {argument}", "an argument where "
	    "none is taken" },
	{ "%http::Ss", "unknown code", "http:: on a code that is not HTTP" },
	{ "%{}tl", "time format must be 1..100 bytes", "an empty strftime "
	    "format" },
};

static void
test_compile(void)
{
	struct logfmt *f;
	char err[256];
	size_t i;
	int rc;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cap_reset();
		err[0] = '\0';
		f = NULL;
		rc = logfmt_compile("t", bad[i].spec, &caps, &f, err,
		    sizeof(err));
		ok(rc == -1 && strstr(err, bad[i].err) != NULL,
		    "refused: %s (%s)", bad[i].desc, err);
		if (rc == 0)
			logfmt_free(f);
	}
	cap_reset();
	rc = logfmt_compile("t", "%{Referer}>h %{referer}>h %>h{REFERER} "
	    "%{X}<h %<h{x} %>h", &caps, &f, err, sizeof(err));
	ok(rc == 0 && caps.nreq == 1 && caps.nrep == 1 && caps.req_all &&
	    !caps.rep_all, "header names are captured once, any case");
	ok(caps.need == (LOGFMT_NEED_REQ_HDR | LOGFMT_NEED_REP_HDR),
	    "... and the capture is needed both ways");
	if (rc == 0)
		logfmt_free(f);
	cap_reset();
	rc = logfmt_compile("t", "%>la %mt %<Hs", &caps, &f, err,
	    sizeof(err));
	ok(rc == 0 && caps.need == (LOGFMT_NEED_LOCAL | LOGFMT_NEED_TYPE |
	    LOGFMT_NEED_STATUS_IN), "%%>la, %%mt, %%<Hs say what they need");
	if (rc == 0)
		logfmt_free(f);
	cap_reset();
	rc = logfmt_compile("t", logfmt_builtin("squid"), &caps, &f, err,
	    sizeof(err));
	ok(rc == 0 && caps.need == LOGFMT_NEED_TYPE && caps.nreq == 0,
	    "the squid format captures nothing but the content type");
	if (rc == 0)
		logfmt_free(f);
}

/* ------------------------------------------------- access_log lines */

static char	tdir[64], logpath[128], logbuf[16384];

static struct conf *
load(const char *text)
{
	char path[256];
	struct conf *c;
	FILE *fp;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/t.conf", tdir);
	if ((fp = fopen(path, "w")) == NULL)
		bail_out("cannot write %s", path);
	fprintf(fp, "http_port 127.0.0.1:3128\n%s", text);
	fclose(fp);
	if (truncate(logpath, 0) == -1)
		bail_out("truncate %s", logpath);
	c = config_load(path);
	logbuf[0] = '\0';
	if ((fd = open(logpath, O_RDONLY)) != -1) {
		n = read(fd, logbuf, sizeof(logbuf) - 1);
		logbuf[n > 0 ? n : 0] = '\0';
		close(fd);
	}
	unlink(path);
	return c;
}

static const struct {
	const char	*text;
	const char	*err;
	const char	*desc;
} conf_bad[] = {
	{ "access_log daemon:/var/log/a\n",
	    "t.conf:2: access_log: module 'daemon' is not supported",
	    "access_log daemon: is refused" },
	{ "access_log tcp://h:1\n", "t.conf:2: access_log: module 'tcp' is "
	    "not supported", "access_log tcp: is refused" },
	{ "access_log /var/log/a nosuchacl\n",
	    "t.conf:2: undefined acl 'nosuchacl'",
	    "a word that is neither a format nor an acl" },
	{ "access_log /var/log/a logformat=nope\n",
	    "t.conf:2: access_log: unknown logformat 'nope'",
	    "logformat= naming no format" },
	{ "access_log syslog:bogus.info\n",
	    "t.conf:2: access_log: unknown syslog facility",
	    "an unknown syslog facility" },
	{ "access_log syslog:local1.loud\n",
	    "t.conf:2: access_log: unknown syslog priority",
	    "an unknown syslog priority" },
	{ "access_log /var/log/a squid buffer-size=1KB\n",
	    "t.conf:2: access_log: option 'buffer-size=1KB' is not supported",
	    "an option sluice does not have" },
	{ "access_log /var/log/a squid socket=/x\n",
	    "t.conf:2: access_log: option 'socket=/x' is not supported",
	    "socket= on a file log" },
	{ "logformat squid %ts\n",
	    "t.conf:2: logformat: 'squid' is built in and cannot be redefined",
	    "a built-in format cannot be redefined" },
	{ "logformat a %ts\nlogformat a %tr\n",
	    "t.conf:3: logformat: 'a' is already defined at",
	    "a format defined twice" },
	{ "logformat unused %ts %zz\n",
	    "t.conf:2: logformat unused: unknown code at '%zz'",
	    "a bad format is reported even when no log uses it" },
	{ "logformat b@d %ts\n", "t.conf:2: logformat: bad name 'b@d'",
	    "a format name with odd bytes" },
	{ "access_log\n", "t.conf:2: 'access_log' takes 1..",
	    "access_log without arguments" },
};

static void
test_conf(void)
{
	struct conf *c;
	size_t i;

	snprintf(tdir, sizeof(tdir), "/tmp/unit-logformat.XXXXXX");
	if (mkdtemp(tdir) == NULL)
		bail_out("mkdtemp: %s", strerror(errno));
	snprintf(logpath, sizeof(logpath), "%s/cache.log", tdir);
	if (log_open(logpath, 0) == -1)
		bail_out("log_open %s", logpath);

	c = load("acl lan src 10.0.0.0/8\n"
	    "logformat mine %>a %ru \"%{User-Agent}>h\" # not a comment\n"
	    "access_log /var/log/a.log\n"
	    "access_log stdio:/var/log/b.log combined lan !localhost\n"
	    "access_log syslog:daemon.notice logformat=mine\n"
	    "access_log none lan\n"
	    "access_log /var/log/c.log logformat=json all\n");
	ok(c != NULL, "five access_log lines and a logformat load");
	if (c == NULL)
		diag("%s", logbuf);
	is_str(c ? accesslog_file(c, 0) : NULL, "/var/log/a.log",
	    "the first file log");
	is_str(c ? accesslog_file(c, 1) : NULL, "/var/log/b.log",
	    "stdio: is stripped");
	is_str(c ? accesslog_file(c, 2) : NULL, "/var/log/c.log",
	    "syslog and none are not files");
	ok(c != NULL && accesslog_file(c, 3) == NULL, "three files in all");
	config_free(c);
	c = load("http_access allow all\n");
	ok(c != NULL && c->accesslog == NULL && accesslog_file(c, 0) == NULL,
	    "no access_log line: no access log");
	config_free(c);

	for (i = 0; i < sizeof(conf_bad) / sizeof(conf_bad[0]); i++) {
		c = load(conf_bad[i].text);
		ok(c == NULL && strstr(logbuf, conf_bad[i].err) != NULL,
		    "refused at its line: %s", conf_bad[i].desc);
		if (c != NULL || strstr(logbuf, conf_bad[i].err) == NULL)
			diag("got: %s", logbuf);
		config_free(c);
	}
	log_open(NULL, 1);
	unlink(logpath);
	rmdir(tdir);
}

int
main(void)
{
	/* %tl is local time: make it UTC here. */
	setenv("TZ", "UTC", 1);
	tzset();
	plan(10 + 9 + 13 + 10 + (int)(sizeof(bad) / sizeof(bad[0])) + 4 +
	    6 + (int)(sizeof(conf_bad) / sizeof(conf_bad[0])));
	test_builtins();
	test_codes();
	test_encodings();
	test_widths();
	test_compile();
	test_conf();
	cap_reset();
	return exit_status();
}
