/*
 * metrics-serve.c -- /metrics and /status after known traffic, with two
 * workers: every number that the traffic fixes is checked exactly
 * against the access log and the clients (requests by method and squid
 * code, status classes, the duration histogram's count, bytes sent to
 * clients = the access log's byte fields, bytes from clients = what
 * libcurl says it sent, bytes to the origin = what the origin received,
 * cache hits, misses and hit bytes, per domain, DNS lookups and
 * failures, auth helper results), the gauges while a tunnel and its
 * connection are open and after, the store's objects and size (published
 * by the cache manager), the text is valid for `promtool check metrics`
 * (Prometheus 0.0.4) and /status is JSON (node) with the same numbers.
 * A worker killed with SIGKILL is restarted, counted, and nothing it had
 * counted is lost or counted twice; the new worker counts on.
 *
 * Integration test: a real sluice (workers 2, cache_dir, the test auth
 * helper), the scripted origin, the fake DNS server, the echo server,
 * libcurl and a raw client.  promtool (t/prometheus/, from Debian's
 * prometheus package by setup.sh) and node are used when present; the
 * checks that need them skip and say why.
 */
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "echo.h"
#include "fakedns.h"
#include "harness.h"
#include "origin.h"
#include "raw.h"
#include "run.h"
#include "tap.h"

#define NTESTS	63

static const struct origin_step steps[] = {
	{ .expect = "GET /a", .status = 200,
	    .headers = "Cache-Control: max-age=600\r\n",
	    .body = "hello world" },
	{ .expect = "GET /nocache", .status = 200,
	    .headers = "Cache-Control: no-store\r\n", .body = "nope" },
	{ .expect = "GET /auth", .status = 200, .body = "authed" },
};

struct resp {
	long		 status;
	char		*body;
	size_t		 len;
	long		 sent;		/* CURLINFO_REQUEST_SIZE */
};

static long	client_sent;	/* request bytes every client sent */
static int	conns;		/* connections the clients opened */

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

/* One request on a new connection, through sluice when @p proxy. */
static long
req(const char *url, int proxy, const char *userpwd, struct resp *r)
{
	char px[64];
	CURL *c;

	memset(r, 0, sizeof(*r));
	if ((c = curl_easy_init()) == NULL)
		return 0;
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(c, CURLOPT_NOPROXY, "");
	if (proxy) {
		snprintf(px, sizeof(px), "http://127.0.0.1:%d", proxy);
		curl_easy_setopt(c, CURLOPT_PROXY, px);
	} else
		curl_easy_setopt(c, CURLOPT_PROXY, "");
	if (userpwd != NULL) {
		curl_easy_setopt(c, CURLOPT_PROXYUSERPWD, userpwd);
		curl_easy_setopt(c, CURLOPT_PROXYAUTH, (long)CURLAUTH_BASIC);
	}
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	curl_easy_getinfo(c, CURLINFO_REQUEST_SIZE, &r->sent);
	client_sent += r->sent;
	conns++;
	curl_easy_cleanup(c);
	return r->status;
}

/* GET /metrics (or @p page) from sluice; the body, malloc'd. */
static char *
scrape(struct harness *h, const char *page)
{
	struct resp r;
	char url[100];

	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", h->port[0], page);
	if (req(url, 0, NULL, &r) != 200) {
		free(r.body);
		return NULL;
	}
	return r.body;
}

/* The value of series @p s in @p text, or -1 when it is not there. */
static long long
val(const char *text, const char *s)
{
	const char *p = text;
	size_t n = strlen(s);

	while (p != NULL && *p != '\0') {
		if (strncmp(p, s, n) == 0 && p[n] == ' ')
			return atoll(p + n + 1);
		p = strchr(p, '\n');
		if (p != NULL)
			p++;
	}
	return -1;
}

/* Scrape until gauge @p s is @p want (bounded); @return the last text. */
static char *
scrape_until(struct harness *h, const char *s, long long want)
{
	char *t = NULL;
	int i;

	for (i = 0; i < 100; i++) {
		free(t);
		t = scrape(h, "/metrics");
		if (t != NULL && val(t, s) == want)
			break;
		harness_msleep(50);
	}
	return t;
}

/* What the access log says, summed. */
struct logsum {
	int		 lines;
	long long	 bytes;		/* field 4 */
	int		 untimed;	/* TCP_TUNNEL/200 lines: tunnels */
	long long	 hit_bytes;
	int		 cls[6];	/* by status class, 0: none */
	int		 get_hit, get_miss, get_none, get_denied;
	int		 connect_tunnel;
};

static void
logsum(struct harness *h, struct logsum *s)
{
	char *text = harness_file_read(h->access_log, NULL), *line, *save;
	char f[64], code[64];
	int st;

	memset(s, 0, sizeof(*s));
	for (line = text ? strtok_r(text, "\n", &save) : NULL; line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		s->lines++;
		if (harness_field(line, 4, f, sizeof(f)))
			s->bytes += atoll(f);
		if (harness_field(line, 3, code, sizeof(code)) == NULL)
			continue;
		st = atoi(strchr(code, '/') ? strchr(code, '/') + 1 : "0");
		s->cls[st / 100 <= 5 ? st / 100 : 0]++;
		*strchr(code, '/') = '\0';
		harness_field(line, 5, f, sizeof(f));
		if (strcmp(code, "TCP_TUNNEL") == 0 && st == 200) {
			s->untimed++;
			s->connect_tunnel += strcmp(f, "CONNECT") == 0;
		}
		if (strcmp(f, "GET") != 0)
			continue;
		if (strcmp(code, "TCP_HIT") == 0) {
			s->get_hit++;
			harness_field(line, 4, f, sizeof(f));
			s->hit_bytes += atoll(f);
		} else if (strcmp(code, "TCP_MISS") == 0)
			s->get_miss++;
		else if (strcmp(code, "NONE_NONE") == 0)
			s->get_none++;
		else if (strcmp(code, "TCP_DENIED") == 0)
			s->get_denied++;
	}
	free(text);
}

int
main(void)
{
	struct harness h;
	struct fakedns *dns;
	struct origin *o;
	struct echo *e;
	struct raw rc;
	struct raw_resp rr;
	struct resp r;
	struct logsum ls;
	char url[200], conf_helper[300], helper[PATH_MAX], path[300], *s, *t, *line;
	char promtool[512], node[256], buf[1024], *bin, *sl;
	long long origin_sent = 0, v;
	long sent_before;
	int conns_before;
	pid_t w[8], killed;
	int i, n;
	const char *connect_req;

	plan(NTESTS + HARNESS_STOP_TESTS + HARNESS_END_TESTS +
	    ORIGIN_FINISH_TESTS);
	curl_global_init(CURL_GLOBAL_ALL);
	bin = getenv("SLUICE_BINARY");
	if (bin == NULL || bin[0] != '/' || (sl = strrchr(bin, '/')) == NULL)
		bail_out("SLUICE_BINARY must be an absolute path");
	snprintf(helper, sizeof(helper), "%.*s/t/helpers/auth-test-helper",
	    (int)(sl - bin), bin);

	dns = fakedns_start();
	fakedns_add(dns, "origin.test");
	o = origin_start(steps, 3);
	e = echo_start();
	harness_init(&h, 1);
	if (harness_copy_program(&h, helper, conf_helper) == -1)
		bail_out("cannot copy the auth helper");
	harness_set(&h, "HELPER", "%s", conf_helper);
	harness_set(&h, "DNS", "%d", fakedns_port(dns));
	harness_conf(&h,
	    "workers 2\n"
	    "dns_nameservers 127.0.0.1:%DNS%\n"
	    "cache_dir lmdb %DIR%/cache 64\n"
	    "cache_summary_period 1 second\n"
	    "auth_param basic program %HELPER% good:pw\n"
	    "acl authpath urlpath_regex ^/auth\n"
	    "acl authed proxy_auth REQUIRED\n"
	    "acl blocked port 1\n"
	    "http_access allow manager localhost\n"
	    "http_access deny manager\n"
	    "http_access deny blocked\n"
	    "http_access allow authpath authed\n"
	    "http_access deny authpath\n"
	    "http_access allow localhost\n"
	    "http_access deny all\n");
	if (harness_start(&h) == -1)
		bail_out("sluice did not start");

	/* Known traffic. */
	snprintf(url, sizeof(url), "http://origin.test:%d/a", origin_port(o));
	is_int(req(url, h.port[0], NULL, &r), 200, "GET /a: a miss");
	free(r.body);
	is_int(req(url, h.port[0], NULL, &r), 200, "GET /a again: a hit");
	free(r.body);
	is_int(req(url, h.port[0], NULL, &r), 200, "and again: a hit");
	free(r.body);
	snprintf(url, sizeof(url), "http://origin.test:%d/nocache",
	    origin_port(o));
	is_int(req(url, h.port[0], NULL, &r), 200, "GET /nocache: a miss");
	free(r.body);
	is_int(req("http://nosuch.test/", h.port[0], NULL, &r), 504,
	    "a name that does not resolve: 504");
	free(r.body);
	is_int(req("http://127.0.0.1:1/", h.port[0], NULL, &r), 403,
	    "port 1: denied");
	free(r.body);
	snprintf(url, sizeof(url), "http://origin.test:%d/auth",
	    origin_port(o));
	is_int(req(url, h.port[0], "good:wrong", &r), 407,
	    "wrong credentials: 407 (the helper said ERR)");
	free(r.body);
	is_int(req(url, h.port[0], "good:pw", &r), 200,
	    "good credentials: 200 (the helper said OK)");
	free(r.body);

	/* A tunnel: the gauges while it is open. */
	if (raw_open(&rc, h.port[0]) == -1)
		bail_out("cannot connect to sluice");
	conns++;
	snprintf(buf, sizeof(buf), "CONNECT 127.0.0.1:%d HTTP/1.1\r\n"
	    "Host: 127.0.0.1:%d\r\n\r\n", echo_port(e), echo_port(e));
	connect_req = buf;
	client_sent += (long)strlen(connect_req);
	raw_sends(&rc, connect_req);
	memset(&rr, 0, sizeof(rr));
	is_int(raw_read_head(&rc, &rr, 5000), 200, "CONNECT to the echo "
	    "server: 200");
	raw_resp_free(&rr);
	memset(buf, 'x', 1000);
	raw_send(&rc, buf, 1000);
	client_sent += 1000;
	/* Closed connections leave when sluice reads their EOF: wait. */
	t = scrape_until(&h, "sluice_client_connections", 2);
	is_int(val(t, "sluice_client_connections"), 2,
	    "while it is open: client connections 2 (the tunnel and this "
	    "scrape)");
	is_int(val(t, "sluice_tunnels"), 1, "... and tunnels 1");
	free(t);
	raw_shutdown(&rc);
	{
		char *all = NULL;
		size_t alen = 0;

		raw_read_all(&rc, &all, &alen, 5000);
		is_int((long long)alen, 1000, "the tunnel echoed 1000 bytes");
		free(all);
	}
	raw_close(&rc);
	t = scrape_until(&h, "sluice_tunnels", 0);
	is_int(val(t, "sluice_tunnels"), 0, "closed: tunnels 0");
	free(t);
	t = scrape_until(&h, "sluice_client_connections", 1);
	is_int(val(t, "sluice_client_connections"), 1,
	    "client connections: only this scrape");
	free(t);
	t = scrape_until(&h, "sluice_cache_objects", 2);
	is_int(val(t, "sluice_cache_objects"), 2, "the store holds two "
	    "objects, /a and /auth (published by the cache manager)");
	ok(val(t, "sluice_cache_bytes") > 11 + 6, "... of %lld bytes",
	    val(t, "sluice_cache_bytes"));
	is_int(val(t, "sluice_cache_max_bytes"), 64 << 20,
	    "the cache_dir size: 64 MB");
	free(t);

	/* Every line logged, then one scrape to compare with them. */
	n = harness_file_wait_count(h.access_log, " ", conns, 5000);
	is_int(n, conns, "the access log has a line for each of the %d "
	    "requests", conns);
	logsum(&h, &ls);
	sent_before = client_sent;
	conns_before = conns;
	t = scrape(&h, "/metrics");
	ok(t != NULL, "GET /metrics: 200");
	if (t == NULL)
		bail_out("no metrics");
	is_int(val(t, "sluice_requests_total{method=\"GET\",code=\"TCP_HIT\"}"),
	    ls.get_hit, "GET TCP_HIT: %d, as in the access log", ls.get_hit);
	is_int(val(t, "sluice_requests_total{method=\"GET\","
	    "code=\"TCP_MISS\"}"), ls.get_miss, "GET TCP_MISS: %d",
	    ls.get_miss);
	is_int(val(t, "sluice_requests_total{method=\"GET\","
	    "code=\"TCP_DENIED\"}"), ls.get_denied, "GET TCP_DENIED: %d",
	    ls.get_denied);
	is_int(val(t, "sluice_requests_total{method=\"GET\","
	    "code=\"NONE_NONE\"}"), ls.get_none, "GET NONE_NONE (the "
	    "scrapes): %d", ls.get_none);
	is_int(val(t, "sluice_requests_total{method=\"CONNECT\","
	    "code=\"TCP_TUNNEL\"}"), 1, "CONNECT TCP_TUNNEL: 1");
	is_int(val(t, "sluice_responses_total{class=\"2xx\"}"), ls.cls[2],
	    "2xx: %d", ls.cls[2]);
	is_int(val(t, "sluice_responses_total{class=\"4xx\"}"), ls.cls[4],
	    "4xx: %d", ls.cls[4]);
	is_int(val(t, "sluice_responses_total{class=\"5xx\"}"), ls.cls[5],
	    "5xx: %d", ls.cls[5]);
	is_int(val(t, "sluice_request_duration_seconds_count"),
	    ls.lines - ls.untimed, "the duration histogram counts every "
	    "request but the tunnel: %d", ls.lines - ls.untimed);
	is_int(val(t, "sluice_request_duration_seconds_bucket{le=\"+Inf\"}"),
	    ls.lines - ls.untimed, "... and so does its +Inf bucket");
	is_int(val(t, "sluice_client_bytes_total{direction=\"sent\"}"),
	    ls.bytes, "bytes sent to clients: %lld, the access log's sum",
	    ls.bytes);
	is_int(val(t, "sluice_client_bytes_total{direction=\"received\"}"),
	    sent_before, "bytes from clients: %ld, what they sent (heads and "
	    "the tunnel's 1000)", sent_before);
	for (i = 0; i < origin_nreq(o); i++)
		origin_sent += (long long)strlen(origin_req(o, i)->head);
	is_int(val(t, "sluice_origin_bytes_total{direction=\"sent\"}"),
	    origin_sent + 1000, "bytes to origins: %lld, the heads the origin "
	    "received and the tunnel's 1000", origin_sent + 1000);
	v = val(t, "sluice_origin_bytes_total{direction=\"received\"}");
	ok(v >= 11 + 4 + 6 + 1000 && v < 11 + 4 + 6 + 1000 + 3 * 512,
	    "bytes from origins: %lld, the three bodies, three heads and the "
	    "tunnel's 1000", v);
	is_int(val(t, "sluice_cache_hits_total"), 2, "cache hits: 2");
	is_int(val(t, "sluice_cache_misses_total"), 4,
	    "cache misses: 4 (/a, /nocache, nosuch.test, /auth)");
	is_int(val(t, "sluice_cache_hit_bytes_total"), ls.hit_bytes,
	    "bytes served from the cache: %lld", ls.hit_bytes);
	is_int(val(t, "sluice_domain_cache_hits_total{domain=\"origin.test\"}"),
	    2, "origin.test: 2 hits");
	is_int(val(t, "sluice_domain_cache_misses_total{domain="
	    "\"origin.test\"}"), 3, "origin.test: 3 misses");
	is_int(val(t, "sluice_domain_cache_hit_bytes_total{domain="
	    "\"origin.test\"}"), ls.hit_bytes, "origin.test: its hit bytes");
	is_int(val(t, "sluice_domain_cache_misses_total{domain="
	    "\"nosuch.test\"}"), 1, "nosuch.test: 1 miss");
	line = harness_file_wait(h.cache_log, 4000, "cache summary: ",
	    " since the start 2 hits (", "), 4 misses, 33% hits; by host: "
	    "origin.test 2 hits (", NULL);
	ok(line != NULL, "cache_log: the cache manager's summary with the "
	    "same numbers (cache_summary_period): %s", line ? line : "none");
	free(line);
	is_int(val(t, "sluice_dns_lookups_total") +
	    val(t, "sluice_dns_cache_answers_total"), 4, "DNS: 4 names "
	    "needed, by the resolver or the workers' caches");
	is_int(val(t, "sluice_dns_failures_total"), 1, "DNS failures: 1");
	is_int(val(t, "sluice_auth_checks_total{result=\"ok\"}"), 1,
	    "auth checks ok: 1");
	is_int(val(t, "sluice_auth_checks_total{result=\"rejected\"}"), 1,
	    "auth checks rejected: 1");
	is_int(val(t, "sluice_auth_pending"), 0, "auth queue: empty");
	is_int(val(t, "sluice_client_connections_total"), conns_before + 1,
	    "client connections accepted: %d and this one", conns_before);
	is_int(val(t, "sluice_workers"), 2, "workers: 2");
	is_int(val(t, "sluice_worker_restarts_total"), 0, "restarts: 0");

	/* promtool, as Prometheus reads it. */
	snprintf(promtool, sizeof(promtool), "%s/t/prometheus/promtool",
	    getenv("SLUICE_SRCDIR") ? getenv("SLUICE_SRCDIR") : ".");
	if (access(promtool, X_OK) != 0 &&
	    run_find("promtool", promtool, sizeof(promtool)) == -1) {
		skip(1, "promtool is not installed (./setup.sh takes it out "
		    "of Debian's prometheus package into t/prometheus/)");
	} else {
		char in[300], outp[300], cmd[1200], *out;
		const char *sh[] = { "/bin/sh", "-c", cmd, NULL };
		FILE *fp;
		int st = -1;

		/* promtool reads the exposition on its standard input. */
		snprintf(in, sizeof(in), "%s/metrics.txt", h.dir);
		snprintf(outp, sizeof(outp), "%s/promtool.out", h.dir);
		snprintf(cmd, sizeof(cmd), "exec '%s' check metrics < '%s'",
		    promtool, in);
		if ((fp = fopen(in, "w")) != NULL) {
			fputs(t, fp);
			fclose(fp);
			st = run_program(sh, outp, NULL, 30000);
		}
		out = harness_file_read(outp, NULL);
		if (!is_int(st, 0, "promtool check metrics: no problem"))
			diag("%s", out ? out : "");
		free(out);
	}

	/* /status: JSON with the same numbers. */
	free(t);
	n = harness_file_wait_count(h.access_log, " ", conns, 5000);
	logsum(&h, &ls);
	s = scrape(&h, "/status");
	ok(s != NULL, "GET /status: 200");
	if (run_find("node", node, sizeof(node)) == -1) {
		skip(4, "node is not installed: the JSON is not parsed");
	} else {
		char in[300], outp[300], *out;
		const char *argv[] = { node, "-e",
		    "const j = JSON.parse(require('fs').readFileSync("
		    "process.argv[1], 'utf8'));"
		    "console.log([j.requests.total, j.cache.hits, "
		    "j.cache.misses, j.auth.checks.rejected, j.workers, "
		    "j.children.filter(c => c.kind == 'worker').length]"
		    ".join(' '))", in, NULL };
		FILE *fp;

		snprintf(in, sizeof(in), "%s/status.json", h.dir);
		snprintf(outp, sizeof(outp), "%s/node.out", h.dir);
		if ((fp = fopen(in, "w")) != NULL) {
			fputs(s ? s : "", fp);
			fclose(fp);
		}
		is_int(run_program(argv, outp, NULL, 30000), 0,
		    "/status parses as JSON (node)");
		out = harness_file_read(outp, NULL);
		snprintf(path, sizeof(path), "%d 2 4 1 2 2\n", ls.lines);
		is_str(out, path, "requests %d (the access log's lines), hits "
		    "2, misses 4, auth rejected 1, workers 2 and their rows",
		    ls.lines);
		free(out);
		ok(s && strstr(s, "\"domain\": \"origin.test\", \"hits\": 2") !=
		    NULL, "the domains are in it");
		ok(s && strstr(s, "\"kind\": \"cache_manager\"") != NULL,
		    "so is the cache manager");
	}
	free(s);

	/*
	 * A worker dies: restarted, counted, nothing lost or doubled.  Every
	 * request is logged (so counted) before the kill.
	 */
	t = scrape(&h, "/metrics");
	(void)harness_file_wait_count(h.access_log, " ", conns, 5000);
	n = harness_workers(&h, w, 8);
	killed = w[0];
	ok(n == 2 && kill(killed, SIGKILL) == 0, "SIGKILL worker %ld",
	    (long)killed);
	ok(harness_wait_workers(&h, 2, &killed, 1, 10000),
	    "the master restarts it");
	s = scrape_until(&h, "sluice_worker_restarts_total", 1);
	is_int(val(s, "sluice_worker_restarts_total"), 1, "restarts: 1");
	is_int(val(s, "sluice_cache_hits_total"), 2,
	    "cache hits still 2: the dead worker's counts stay");
	ok(val(s, "sluice_client_bytes_total{direction=\"sent\"}") >
	    val(t, "sluice_client_bytes_total{direction=\"sent\"}"),
	    "bytes sent to clients only grow");
	free(s);
	snprintf(url, sizeof(url), "http://origin.test:%d/a", origin_port(o));
	is_int(req(url, h.port[0], NULL, &r), 200, "GET /a: a hit");
	free(r.body);
	n = harness_file_wait_count(h.access_log, "TCP_HIT/", 3, 5000);
	s = scrape(&h, "/metrics");
	is_int(val(s, "sluice_cache_hits_total"), 3, "cache hits: 3");
	free(s);
	/* The new worker is in its slot once it ran: wait for it. */
	s = scrape_until(&h, "sluice_workers", 2);
	is_int(val(s, "sluice_workers"), 2, "workers: 2");
	free(s);
	free(t);

	harness_stop(&h);
	origin_finish(o);
	harness_end(&h);
	origin_free(o);
	echo_stop(e);
	fakedns_stop(dns);
	curl_global_cleanup();
	return exit_status();
}
