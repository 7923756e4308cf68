/*
 * pac-serve.c -- /proxy.pac, /wpad.dat and /no_proxy as HTTP resources:
 * origin-form GET on any http_port (the PAC file names the port it was
 * fetched on), Content-Type application/x-ns-proxy-autoconfig, a strong
 * ETag, Last-Modified (the configuration's load time) and 304 to
 * If-None-Match (weak comparison, lists, "*") and If-Modified-Since (the
 * three HTTP-date forms; If-None-Match decides when both are there; RFC
 * 9110 §13.1.1-§13.1.3, §13.2.2); HEAD; 405 for other methods; other
 * origin-form targets stay 400.  http_access decides as for anything
 * else: the `pac` acl lets the whole LAN fetch the file while proxying
 * and the `manager` pages stay with the admin host.  The no_proxy value
 * (/no_proxy and `sluice -n`) is the same list, and libcurl given it as
 * CURLOPT_NOPROXY goes direct exactly where the PAC file says DIRECT.
 * A reload changes the file, its ETag and its Last-Modified.  Bad pac_*
 * lines and proxy_endpoint values are file:line errors for `sluice -t`.
 *
 * Integration test: real sluice runs, the scripted origin, the fake DNS
 * server, libcurl (from 127.0.0.1 and from 127.0.0.2, the "LAN").
 */
#define _GNU_SOURCE	/* strcasestr */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "fakedns.h"
#include "harness.h"
#include "origin.h"
#include "tap.h"

struct resp {
	long		 status;
	char		 head[8192];
	size_t		 headlen;
	char		*body;
	size_t		 len;
	char		 val[512];
};

struct req {
	const char	*method;	/* NULL: GET */
	const char	*url;
	int		 proxy;		/* through sluice on this port, or 0 */
	const char	*src;		/* source address, or NULL */
	const char	*h1, *h2;	/* extra header lines, or NULL */
	const char	*noproxy;	/* CURLOPT_NOPROXY, or NULL */
	const char	*resolve;	/* one CURLOPT_RESOLVE entry, or NULL */
};

static size_t
on_body(char *p, size_t sz, size_t n, void *arg)
{
	struct resp *r = arg;
	char *nb;

	if ((nb = realloc(r->body, r->len + sz * n + 1)) == NULL)
		return 0;
	r->body = nb;
	memcpy(r->body + r->len, p, sz * n);
	r->len += sz * n;
	r->body[r->len] = '\0';
	return sz * n;
}

static size_t
on_head(char *p, size_t sz, size_t n, void *arg)
{
	struct resp *r = arg;

	/* Keep only the last header block. */
	if (strncmp(p, "HTTP/", 5) == 0)
		r->headlen = 0;
	if (r->headlen + sz * n < sizeof(r->head)) {
		memcpy(r->head + r->headlen, p, sz * n);
		r->headlen += sz * n;
		r->head[r->headlen] = '\0';
	}
	return sz * n;
}

/* One request; @return the status, 0 when none came. */
static long
do_req(const struct req *q, struct resp *r)
{
	struct curl_slist *hl = NULL, *rl = NULL;
	char proxy[64], iface[64];
	CURL *c;

	memset(r, 0, sizeof(*r));
	if ((c = curl_easy_init()) == NULL)
		return 0;
	curl_easy_setopt(c, CURLOPT_URL, q->url);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_head);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
	if (q->method != NULL && strcmp(q->method, "HEAD") == 0)
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	else if (q->method != NULL)
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, q->method);
	if (q->proxy) {
		snprintf(proxy, sizeof(proxy), "http://127.0.0.1:%d", q->proxy);
		curl_easy_setopt(c, CURLOPT_PROXY, proxy);
	} else
		curl_easy_setopt(c, CURLOPT_PROXY, "");
	/* "" disables the environment's no_proxy, like the proxy above. */
	curl_easy_setopt(c, CURLOPT_NOPROXY, q->noproxy ? q->noproxy : "");
	if (q->src != NULL) {
		snprintf(iface, sizeof(iface), "host!%s", q->src);
		curl_easy_setopt(c, CURLOPT_INTERFACE, iface);
	}
	if (q->h1 != NULL)
		hl = curl_slist_append(hl, q->h1);
	if (q->h2 != NULL)
		hl = curl_slist_append(hl, q->h2);
	if (hl != NULL)
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
	if (q->resolve != NULL) {
		rl = curl_slist_append(rl, q->resolve);
		curl_easy_setopt(c, CURLOPT_RESOLVE, rl);
	}
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	curl_slist_free_all(hl);
	curl_slist_free_all(rl);
	curl_easy_cleanup(c);
	return r->status;
}

static long
get(const char *url, const char *src, const char *h1, const char *h2,
    struct resp *r)
{
	struct req q = { .url = url, .src = src, .h1 = h1, .h2 = h2 };

	return do_req(&q, r);
}

/* The value of field @p name in @p r's head ("" when absent). */
static const char *
field(struct resp *r, const char *name)
{
	char pat[100];
	const char *p, *e;

	snprintf(pat, sizeof(pat), "\n%s:", name);
	r->val[0] = '\0';
	if ((p = strcasestr(r->head, pat)) == NULL)
		return r->val;
	p += strlen(pat);
	while (*p == ' ')
		p++;
	e = strpbrk(p, "\r\n");
	snprintf(r->val, sizeof(r->val), "%.*s", (int)(e ? e - p : 0), p);
	return r->val;
}

static void
resp_free(struct resp *r)
{
	free(r->body);
	r->body = NULL;
}

static const char pac_conf[] =
	"http_port 127.0.0.1:%PORT%\n"
	"http_port 127.0.0.1:%PORT1%\n"
	"dns_nameservers 127.0.0.1:%DNS%\n"
	"acl corp dstdomain .corp.example\n"
	"acl nets dst 10.0.0.0/8\n"
	"pac_direct corp nets\n"
	"%EXTRA%"
	"acl lan src 127.0.0.0/8\n"
	"acl admin src 127.0.0.1\n"
	"acl open_dom dstdomain open.example\n"
	"http_access allow open_dom\n"
	"http_access allow pac lan\n"
	"http_access allow manager admin\n"
	"http_access deny manager\n"
	"http_access allow admin\n"
	"http_access deny all\n";

static const struct origin_step steps[] = {
	{ .expect = "GET /direct", .status = 200, .body = "direct" },
	{ .expect = "GET /proxied", .status = 200, .body = "proxied" },
};

/* `sluice -t` on @p conf: exit 1 and each of @p want... in its output. */
static void
check_errors(struct harness *h, const char *conf, const char *what,
    const char *const *want)
{
	const char *args[] = { "-t", "-f", NULL, NULL };
	char path[300], *out = NULL;
	int rc;

	if (harness_write(h, "bad.conf", conf, path) == -1)
		bail_out("cannot write bad.conf");
	args[2] = path;
	rc = harness_exec(h, args, &out);
	is_int(rc, 1, "sluice -t refuses %s", what);
	for (; *want != NULL; want++) {
		char line[400];

		snprintf(line, sizeof(line), "%s:%s", path, *want);
		like(out, line, "... with %s", line);
	}
	free(out);
}

int
main(void)
{
	struct harness h;
	struct fakedns *dns;
	struct origin *o;
	struct resp r, r1;
	struct req q;
	struct tm tm;
	char url[200], url1[200], etag[100], etag1[100], lm[100], hdr[300];
	char want[200], np[300], resolve[100], *line, *out;
	const char *args[] = { "-n", "-f", NULL, NULL };
	size_t paclen;
	time_t lmt, lmt2;
	pid_t old[8];
	int n;

	plan(74 + HARNESS_STOP_TESTS + HARNESS_END_TESTS +
	    ORIGIN_FINISH_TESTS);
	curl_global_init(CURL_GLOBAL_ALL);
	dns = fakedns_start();
	fakedns_add(dns, "origin.test");
	o = origin_start(steps, 2);

	harness_init(&h, 2);
	harness_set(&h, "DNS", "%d", fakedns_port(dns));
	harness_set(&h, "EXTRA", "%s", "");
	harness_conf(&h, pac_conf);
	if (harness_start(&h) == -1)
		bail_out("sluice did not start");
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/proxy.pac", h.port[0]);
	snprintf(url1, sizeof(url1), "http://127.0.0.1:%d/proxy.pac",
	    h.port[1]);

	/* The file and its validators. */
	is_int(get(url, NULL, NULL, NULL, &r), 200, "GET /proxy.pac: 200");
	is_str(field(&r, "Content-Type"), "application/x-ns-proxy-autoconfig",
	    "Content-Type: application/x-ns-proxy-autoconfig");
	snprintf(etag, sizeof(etag), "%s", field(&r, "ETag"));
	ok(etag[0] == '"' && strlen(etag) > 2 && etag[strlen(etag) - 1] == '"',
	    "a strong ETag: %s", etag);
	snprintf(lm, sizeof(lm), "%s", field(&r, "Last-Modified"));
	memset(&tm, 0, sizeof(tm));
	ok(strptime(lm, "%a, %d %b %Y %H:%M:%S GMT", &tm) != NULL,
	    "Last-Modified is an IMF-fixdate: %s", lm);
	lmt = timegm(&tm);
	is_str(field(&r, "Cache-Control"), "no-cache",
	    "Cache-Control: no-cache (browsers revalidate)");
	snprintf(want, sizeof(want), "var sluice_proxy = \"PROXY "
	    "127.0.0.1:%d\";", h.port[0]);
	like(r.body, want, "the proxy is the address and port the request "
	    "came to");
	is_int(atol(field(&r, "Content-Length")), (long long)r.len,
	    "Content-Length is the body's length");
	paclen = r.len;

	is_int(get(url1, NULL, NULL, NULL, &r1), 200,
	    "GET /proxy.pac on the second http_port: 200");
	snprintf(want, sizeof(want), "var sluice_proxy = \"PROXY "
	    "127.0.0.1:%d\";", h.port[1]);
	like(r1.body, want, "... naming that port");
	snprintf(etag1, sizeof(etag1), "%s", field(&r1, "ETag"));
	ok(strcmp(etag, etag1) != 0, "... with its own ETag (%s)", etag1);
	resp_free(&r1);

	snprintf(url1, sizeof(url1), "http://127.0.0.1:%d/wpad.dat",
	    h.port[0]);
	is_int(get(url1, NULL, NULL, NULL, &r1), 200, "GET /wpad.dat: 200");
	ok(r1.len == r.len && r1.body && r.body &&
	    memcmp(r1.body, r.body, r.len) == 0, "WPAD: the same file");
	is_str(field(&r1, "ETag"), etag, "... and the same ETag");
	is_str(field(&r1, "Content-Type"), "application/x-ns-proxy-autoconfig",
	    "... and type");
	resp_free(&r1);
	resp_free(&r);

	/* If-None-Match (RFC 9110 §13.1.2). */
	snprintf(hdr, sizeof(hdr), "If-None-Match: %s", etag);
	is_int(get(url, NULL, hdr, NULL, &r), 304,
	    "If-None-Match with the ETag: 304");
	is_int((long long)r.len, 0, "... without content");
	is_str(field(&r, "ETag"), etag, "... with the ETag");
	resp_free(&r);
	snprintf(hdr, sizeof(hdr), "If-None-Match: W/%s", etag);
	is_int(get(url, NULL, hdr, NULL, &r), 304,
	    "If-None-Match W/ETag: 304 (weak comparison)");
	resp_free(&r);
	snprintf(hdr, sizeof(hdr), "If-None-Match: \"nope\", %s", etag);
	is_int(get(url, NULL, hdr, NULL, &r), 304,
	    "If-None-Match with a list holding the ETag: 304");
	resp_free(&r);
	is_int(get(url, NULL, "If-None-Match: \"nope\"", NULL, &r), 200,
	    "If-None-Match with another tag: 200");
	resp_free(&r);
	is_int(get(url, NULL, "If-None-Match: *", NULL, &r), 304,
	    "If-None-Match: *: 304");
	resp_free(&r);

	/* If-Modified-Since (RFC 9110 §13.1.3), in the three date forms. */
	snprintf(hdr, sizeof(hdr), "If-Modified-Since: %s", lm);
	is_int(get(url, NULL, hdr, NULL, &r), 304,
	    "If-Modified-Since: Last-Modified: 304");
	resp_free(&r);
	lmt2 = lmt - 1;
	gmtime_r(&lmt2, &tm);
	strftime(hdr, sizeof(hdr), "If-Modified-Since: %a, %d %b %Y "
	    "%H:%M:%S GMT", &tm);
	is_int(get(url, NULL, hdr, NULL, &r), 200,
	    "If-Modified-Since a second before: 200");
	resp_free(&r);
	gmtime_r(&lmt, &tm);
	strftime(hdr, sizeof(hdr), "If-Modified-Since: %A, %d-%b-%y "
	    "%H:%M:%S GMT", &tm);
	is_int(get(url, NULL, hdr, NULL, &r), 304,
	    "If-Modified-Since in RFC 850 form: 304");
	resp_free(&r);
	strftime(hdr, sizeof(hdr), "If-Modified-Since: %a %b %e %H:%M:%S %Y",
	    &tm);
	is_int(get(url, NULL, hdr, NULL, &r), 304,
	    "If-Modified-Since in asctime form: 304");
	resp_free(&r);
	is_int(get(url, NULL, "If-Modified-Since: yesterday", NULL, &r), 200,
	    "an invalid If-Modified-Since is ignored: 200");
	resp_free(&r);
	snprintf(hdr, sizeof(hdr), "If-Modified-Since: %s", lm);
	is_int(get(url, NULL, "If-None-Match: \"nope\"", hdr, &r), 200,
	    "If-None-Match decides over If-Modified-Since: 200");
	resp_free(&r);

	/* Methods and targets. */
	memset(&q, 0, sizeof(q));
	q.url = url;
	q.method = "HEAD";
	is_int(do_req(&q, &r), 200, "HEAD /proxy.pac: 200");
	is_int(atol(field(&r, "Content-Length")), (long long)paclen,
	    "... Content-Length of the file");
	is_int((long long)r.len, 0, "... and no content");
	resp_free(&r);
	q.method = "POST";
	is_int(do_req(&q, &r), 405, "POST /proxy.pac: 405");
	is_str(field(&r, "Allow"), "GET, HEAD", "... Allow: GET, HEAD");
	resp_free(&r);
	snprintf(url1, sizeof(url1), "http://127.0.0.1:%d/proxy.pac.bak",
	    h.port[0]);
	is_int(get(url1, NULL, NULL, NULL, &r), 400,
	    "another origin-form target is still 400");
	resp_free(&r);
	snprintf(url1, sizeof(url1), "http://127.0.0.1:%d/PROXY.PAC",
	    h.port[0]);
	is_int(get(url1, NULL, NULL, NULL, &r), 400,
	    "paths are case-sensitive: /PROXY.PAC is 400");
	resp_free(&r);
	snprintf(url1, sizeof(url1), "http://127.0.0.1:%d/proxy.pac?v=2",
	    h.port[0]);
	is_int(get(url1, NULL, NULL, NULL, &r), 200,
	    "a query does not change the page: 200");
	resp_free(&r);

	/* no_proxy: the same lists, also from `sluice -n`. */
	snprintf(url1, sizeof(url1), "http://127.0.0.1:%d/no_proxy", h.port[0]);
	is_int(get(url1, NULL, NULL, NULL, &r), 200, "GET /no_proxy: 200");
	is_str(r.body, "corp.example,10.0.0.0/8\n",
	    "the no_proxy value: the domain, the network");
	is_str(field(&r, "Content-Type"), "text/plain; charset=utf-8",
	    "... as text/plain");
	args[2] = h.conf;
	out = NULL;
	is_int(harness_exec(&h, args, &out), 0, "sluice -n exits 0");
	is_str(out, r.body, "sluice -n prints the same value");
	free(out);
	snprintf(np, sizeof(np), "%.*s", (int)(r.len ? r.len - 1 : 0),
	    r.body ? r.body : "");
	resp_free(&r);

	/* Absolute form to the proxy itself (a client with http_proxy set). */
	memset(&q, 0, sizeof(q));
	q.url = url1;
	q.proxy = h.port[0];
	is_int(do_req(&q, &r), 200, "absolute form to the proxy's own address "
	    "and port (http_proxy set): the page, 200");
	is_str(r.body, "corp.example,10.0.0.0/8\n", "... /no_proxy itself");
	resp_free(&r);
	snprintf(want, sizeof(want), "http://sluice-test:%d/no_proxy",
	    h.port[0]);
	q.url = want;
	is_int(do_req(&q, &r), 200, "absolute form to visible_hostname and "
	    "the port: the page, no DNS");
	resp_free(&r);

	/* http_access: the LAN gets the PAC file, not proxying or metrics. */
	is_int(get(url, "127.0.0.2", NULL, NULL, &r), 200,
	    "from the LAN (127.0.0.2): /proxy.pac 200 (acl pac)");
	resp_free(&r);
	is_int(get(url1, "127.0.0.2", NULL, NULL, &r), 200,
	    "from the LAN: /no_proxy 200");
	resp_free(&r);
	snprintf(url1, sizeof(url1), "http://127.0.0.1:%d/metrics", h.port[0]);
	is_int(get(url1, "127.0.0.2", NULL, NULL, &r), 403,
	    "from the LAN: /metrics 403 (acl manager, deny manager)");
	resp_free(&r);
	is_int(get(url1, "127.0.0.2", "Host: open.example", NULL, &r), 403,
	    "... also with a forged Host that a rule allows (the acls see "
	    "the proxy's address)");
	resp_free(&r);
	memset(&q, 0, sizeof(q));
	snprintf(want, sizeof(want), "http://127.0.0.1:%d/x", origin_port(o));
	q.url = want;
	q.proxy = h.port[0];
	q.src = "127.0.0.2";
	is_int(do_req(&q, &r), 403, "from the LAN: proxying 403");
	resp_free(&r);
	is_int(get(url1, NULL, NULL, NULL, &r), 200,
	    "from the admin host: /metrics 200");
	resp_free(&r);
	line = harness_log_wait(&h, "NONE_NONE/200", "/proxy.pac ",
	    "application/x-ns-proxy-autoconfig", NULL);
	ok(line != NULL, "the access log has the PAC request: %s",
	    line ? line : "(none)");
	free(line);
	line = harness_log_wait(&h, "127.0.0.2 TCP_DENIED/403", "/metrics",
	    NULL);
	free(line);
	line = harness_file_wait(h.cache_log, 2000, "client 127.0.0.2",
	    "/metrics denied by ", NULL);
	ok(line != NULL, "... and the denied /metrics, cache.log its rule");
	free(line);

	/* A real client with that no_proxy: DIRECT where the PAC says so. */
	memset(&q, 0, sizeof(q));
	snprintf(want, sizeof(want), "http://www.corp.example:%d/direct",
	    origin_port(o));
	snprintf(resolve, sizeof(resolve), "www.corp.example:%d:127.0.0.1",
	    origin_port(o));
	q.url = want;
	q.proxy = h.port[0];
	q.noproxy = np;
	q.resolve = resolve;
	is_int(do_req(&q, &r), 200, "libcurl with that no_proxy: a corp "
	    "host answers (%s)", np);
	resp_free(&r);
	snprintf(want, sizeof(want), "http://origin.test:%d/proxied",
	    origin_port(o));
	q.resolve = NULL;
	is_int(do_req(&q, &r), 200, "... and another host, through sluice");
	resp_free(&r);
	line = harness_log_wait(&h, "/proxied", NULL);
	ok(line != NULL, "the other host went through sluice (access log)");
	free(line);
	is_int(harness_file_count(h.access_log, "/direct"), 0,
	    "the corp host went direct (not in the access log)");

	/* A reload: new lists, new ETag, new Last-Modified. */
	n = harness_workers(&h, old, 8);
	harness_set(&h, "EXTRA", "%s", "acl more dstdomain .other.example\n"
	    "pac_direct more\n");
	harness_conf(&h, pac_conf);
	harness_signal(&h, SIGHUP);
	ok(harness_wait_workers(&h, 1, old, n, 10000),
	    "SIGHUP: a new generation serves");
	is_int(get(url, NULL, NULL, NULL, &r), 200, "GET /proxy.pac: 200");
	like(r.body, "\".other.example\": 2", "the file has the new domain");
	ok(strcmp(field(&r, "ETag"), etag) != 0, "a new ETag (%s)", r.val);
	memset(&tm, 0, sizeof(tm));
	ok(strptime(field(&r, "Last-Modified"), "%a, %d %b %Y %H:%M:%S GMT",
	    &tm) != NULL && timegm(&tm) >= lmt,
	    "Last-Modified is the reload's time (%s)", r.val);
	resp_free(&r);
	snprintf(hdr, sizeof(hdr), "If-None-Match: %s", etag);
	is_int(get(url, NULL, hdr, NULL, &r), 200,
	    "the old ETag no longer matches: 200");
	resp_free(&r);
	snprintf(url1, sizeof(url1), "http://127.0.0.1:%d/no_proxy", h.port[0]);
	is_int(get(url1, NULL, NULL, NULL, &r), 200, "GET /no_proxy: 200");
	is_str(r.body, "corp.example,other.example,10.0.0.0/8\n",
	    "no_proxy has the new domain too");
	resp_free(&r);

	harness_stop(&h);
	origin_finish(o);

	/* Bad lines: file:line errors. */
	{
		static const char *const want_acl[] = {
			"3: unknown proxy_endpoint '/admin'", NULL };
		static const char *const want_pac[] = {
			"4: pac_direct: acl 'lan' is of type src; only "
			    "dstdomain and dst acls",
			"5: pac_direct: undefined acl 'nosuch'",
			"6: pac_direct: '!corp': a PAC file lists what goes "
			    "DIRECT",
			"7: pac_proxy: 'proxy.example' is not HOST:PORT",
			"7: pac_proxy: 'p.example:0' is not HOST:PORT",
			"8: pac_proxy: bad host in '[p.example]:80'",
			"9: pac_fallback takes direct or none, not 'maybe'",
			"10: pac_plain_hostnames takes direct or proxy, not "
			    "'yes'",
			NULL };

		check_errors(&h, "http_port 127.0.0.1:%PORT%\n"
		    "http_access allow all\n"
		    "acl admin proxy_endpoint /metrics /admin\n",
		    "a proxy_endpoint acl with an unknown page", want_acl);
		check_errors(&h, "http_port 127.0.0.1:%PORT%\n"
		    "acl corp dstdomain .corp.example\n"
		    "acl lan src 10.0.0.0/8\n"
		    "pac_direct corp lan\n"
		    "pac_direct nosuch\n"
		    "pac_direct !corp\n"
		    "pac_proxy proxy.example p.example:0\n"
		    "pac_proxy [p.example]:80\n"
		    "pac_fallback maybe\n"
		    "pac_plain_hostnames yes\n"
		    "http_access allow all\n", "bad pac_* lines", want_pac);
	}
	harness_end(&h);
	origin_free(o);
	fakedns_stop(dns);
	curl_global_cleanup();
	return exit_status();
}
