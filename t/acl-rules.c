/*
 * acl-rules.c -- http_access wired through the request: rules before and
 * after DNS, first match wins, the default deny, CONNECT outside
 * SSL_ports, and the host spellings that must not slip past a `dst`
 * rule (RFC 3986 §3.2.2 host forms; inet_aton's numeric spellings;
 * IPv4-mapped IPv6; case; a trailing dot); userinfo, percent-encoded
 * hosts and bad CONNECT authorities are 400 (RFC 9110 §4.2.4, §9.3.6).
 * A name whose address is denied is refused before any connection; a
 * name with one denied and one allowed address reaches only the allowed
 * one.  The shipped etc/sluice.conf refuses requests to localhost.
 *
 * Integration test: real sluice runs, two scripted origins (B must never
 * be reached), the fake DNS server, a plain listener on 127.0.0.2 that
 * must never see a connection, libcurl and a raw client.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "fakedns.h"
#include "harness.h"
#include "origin.h"
#include "raw.h"
#include "tap.h"

static const struct origin_step steps_a[] = {
	{ .expect = "GET /a", .status = 200, .body = "origin a",
	    .flags = ORIGIN_REPEAT },
};

static long
get(struct harness *h, const char *url, struct client_resp *r)
{
	return client_get(h->port[0], url, r);
}

/* A raw request line; @return the status of the answer. */
static int
raw_status(struct harness *h, const char *reqline)
{
	struct raw c;
	struct raw_resp rr;
	char req[600];
	int st;

	if (raw_open(&c, h->port[0]) == -1)
		return -1;
	snprintf(req, sizeof(req), "%s\r\nHost: x\r\n\r\n", reqline);
	raw_sends(&c, req);
	st = raw_read_resp(&c, &rr, 0, 5000);
	raw_resp_free(&rr);
	raw_close(&c);
	return st;
}

/* A listener on 127.0.0.2:@p port; -1 when 127.0.0.2 cannot be bound. */
static int
listen_on_2(int port)
{
	struct sockaddr_in sin;
	int fd, one = 1;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -1;
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((unsigned short)port);
	inet_pton(AF_INET, "127.0.0.2", &sin.sin_addr);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(fd, 16) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

int
main(void)
{
	struct harness h;
	struct origin *a, *b;
	struct fakedns *d;
	struct client_resp r;
	char u[300], *line, *bin, *s, *text, *p, *nl, f[64], rule_log[320];
	char needle[360];
	char shipped[PATH_MAX], snippet[16384];
	int pa, pb, lfd, afd, i;
	static const char *const spellings[] = {
		"2130706433", "0x7f.1", "0177.0.0.1", "127.1",
		"[::ffff:127.0.0.1]", "127.0.0.1.", "BLOCKED.TEST",
		"blocked.test.",
	};
	const int nspell = (int)(sizeof(spellings) / sizeof(spellings[0]));

	plan(30 + 2 * nspell + ORIGIN_FINISH_TESTS * 2 +
	    3 * (HARNESS_STOP_TESTS + HARNESS_END_TESTS));

	a = origin_start(steps_a, 1);
	b = origin_start(NULL, 0);	/* must never be reached */
	pa = origin_port(a);
	pb = origin_port(b);
	d = fakedns_start();
	fakedns_add(d, "blocked.test");
	fakedns_add(d, "evil.test");
	fakedns_add(d, "good.test");
	fakedns_add_addrs(d, "mixed.test", "127.0.0.2 127.0.0.1");

	/* 1. Destination rules. */
	harness_init(&h, 1);
	harness_set(&h, "A", "%d", pa);
	harness_set(&h, "B", "%d", pb);
	harness_set(&h, "DNS", "%d", fakedns_port(d));
	harness_conf(&h,
	    "dns_nameservers 127.0.0.1:%DNS%\n"
	    "acl SSL_ports port 443\n"
	    "acl to_b port %B%\n"
	    "acl lo dst 127.0.0.0/8\n"
	    "acl two dst 127.0.0.2\n"
	    "acl blocked dstdomain blocked.test\n"
	    "http_access deny CONNECT !SSL_ports\n"
	    "http_access deny blocked\n"
	    "http_access deny to_b lo\n"
	    "http_access deny two\n"
	    "http_access allow localhost\n"
	    "http_access deny all\n"
	    "logformat rule %Ss/%>Hs %ru %sluice::rule\n"
	    "access_log %DIR%/access.log squid\n"
	    "access_log %DIR%/rule.log rule\n");
	snprintf(rule_log, sizeof(rule_log), "%s/rule.log", h.dir);
	if (harness_start(&h) == -1)
		bail_out("sluice did not start");

	snprintf(u, sizeof(u), "http://127.0.0.1:%d/a", pa);
	is_int(get(&h, u, &r), 200, "an allowed origin: 200");
	client_resp_free(&r);
	snprintf(u, sizeof(u), "http://good.test:%d/a", pa);
	is_int(get(&h, u, &r), 200, "an allowed origin by name: 200");
	client_resp_free(&r);

	snprintf(u, sizeof(u), "http://127.0.0.1:%d/b", pb);
	is_int(get(&h, u, &r), 403, "a dst rule denies 127.0.0.1 on B: 403");
	like(r.body, "Access denied by policy",
	    "the 403 page gives the reason class");
	like(r.body, "sluice-test", "the 403 page names the proxy");
	unlike(r.body, "to_b", "the 403 page does not show the rule");
	client_resp_free(&r);
	line = harness_log_wait(&h, "TCP_DENIED/403", u, NULL);
	ok(line != NULL && harness_field(line, 9, f, sizeof(f)) != NULL &&
	    strcmp(f, "text/html") == 0 &&
	    harness_field(line, 10, f, sizeof(f)) == NULL,
	    "the denial is Squid's ten fields, no eleventh (issue 11.8)");
	free(line);
	line = harness_file_wait(rule_log, 2000, "TCP_DENIED/403", u, NULL);
	ok(line != NULL && strstr(line, "sluice.conf:") != NULL,
	    "%%sluice::rule in a second log names the rule (FILE:LINE)");
	free(line);
	line = harness_file_wait(h.cache_log, 2000, "denied by",
	    "sluice.conf:", NULL);
	ok(line != NULL, "cache_log names the rule too");
	like(line, "[info]", "... at level info");
	free(line);
	snprintf(needle, sizeof(needle), "%s denied by", u);
	is_int(harness_file_count(h.cache_log, needle), 1,
	    "... once for the request");

	for (i = 0; i < nspell; i++) {
		snprintf(u, sizeof(u), "http://%s:%d/b", spellings[i], pb);
		is_int(get(&h, u, &r), 403, "host spelled %s: 403",
		    spellings[i]);
		is_str(client_resp_header(&r, "X-Sluice-Error"),
		    "ERR_ACCESS_DENIED", "host spelled %s: denied by the "
		    "rules, not some other error", spellings[i]);
		client_resp_free(&r);
	}

	snprintf(u, sizeof(u), "http://evil.test:%d/b", pb);
	is_int(get(&h, u, &r), 403,
	    "a name that resolves to a denied address: 403");
	client_resp_free(&r);

	/* mixed.test: 127.0.0.2 (denied) first, then 127.0.0.1. */
	lfd = listen_on_2(pa);
	if (lfd == -1)
		skip(2, "cannot listen on 127.0.0.2: %s", strerror(errno));
	else {
		snprintf(u, sizeof(u), "http://mixed.test:%d/a", pa);
		is_int(get(&h, u, &r), 200, "a name with a denied and an "
		    "allowed address: 200 from the allowed one");
		client_resp_free(&r);
		afd = accept(lfd, NULL, NULL);
		ok(afd == -1 && (errno == EAGAIN || errno == EWOULDBLOCK),
		    "the denied address never saw a connection");
		if (afd != -1)
			close(afd);
		close(lfd);
	}

	/* CONNECT outside SSL_ports. */
	snprintf(u, sizeof(u), "CONNECT 127.0.0.1:%d HTTP/1.1", pa);
	is_int(raw_status(&h, u), 403, "CONNECT to a port not in SSL_ports: "
	    "403");

	/* Hostile authorities. */
	snprintf(u, sizeof(u), "GET http://user:pw@127.0.0.1:%d/a HTTP/1.1",
	    pa);
	is_int(raw_status(&h, u), 400,
	    "userinfo in an http URI: 400 (RFC 9110 §4.2.4)");
	snprintf(u, sizeof(u), "GET http://127.0.0.%%31:%d/a HTTP/1.1", pa);
	is_int(raw_status(&h, u), 400, "a percent-encoded host: 400");
	snprintf(u, sizeof(u), "GET http://[fe80::1%%25eth0]:%d/a HTTP/1.1",
	    pa);
	is_int(raw_status(&h, u), 400, "an IPv6 zone id: 400");
	is_int(raw_status(&h, "CONNECT 127.0.0.1 HTTP/1.1"), 400,
	    "CONNECT without a port: 400 (RFC 9110 §9.3.6)");
	is_int(raw_status(&h, "CONNECT :443 HTTP/1.1"), 400,
	    "CONNECT without a host: 400");
	is_int(raw_status(&h, "CONNECT 127.0.0.1:0 HTTP/1.1"), 400,
	    "CONNECT to port 0: 400");
	is_int(raw_status(&h, "CONNECT 127.0.0.1:65536 HTTP/1.1"), 400,
	    "CONNECT to port 65536: 400");
	line = harness_file_wait(h.cache_log, 2000, "bad host", NULL);
	ok(line != NULL, "a refused host is logged");
	free(line);
	is_int(origin_nreq(b), 0, "origin B saw no request");
	harness_stop(&h);
	harness_end(&h);

	/* 2. First match wins; nothing matched is the default deny. */
	harness_init(&h, 1);
	harness_set(&h, "A", "%d", pa);
	harness_conf(&h,
	    "acl to_a port %A%\n"
	    "acl nopost method POST\n"
	    "http_access allow to_a !nopost\n"
	    "http_access deny to_a\n"
	    "logformat rule %Ss/%>Hs %ru %sluice::rule\n"
	    "access_log %DIR%/rule.log rule\n");
	snprintf(rule_log, sizeof(rule_log), "%s/rule.log", h.dir);
	if (harness_start(&h) == -1)
		bail_out("sluice did not start");
	snprintf(u, sizeof(u), "http://127.0.0.1:%d/a", pa);
	is_int(get(&h, u, &r), 200, "allow before deny: the allow wins");
	client_resp_free(&r);
	snprintf(u, sizeof(u), "http://127.0.0.1:%d/b", pb);
	is_int(get(&h, u, &r), 403, "no rule matches: 403");
	client_resp_free(&r);
	line = harness_file_wait(rule_log, 2000, "TCP_DENIED/403", u, NULL);
	like(line, " default-deny", "the default deny is logged as "
	    "default-deny by %%sluice::rule");
	free(line);
	harness_stop(&h);
	harness_end(&h);

	/* 3. The shipped configuration refuses to_localhost. */
	bin = getenv("SLUICE_BINARY");
	if (bin == NULL || bin[0] != '/')
		bail_out("SLUICE_BINARY must be an absolute path");
	snprintf(shipped, sizeof(shipped), "%s", bin);
	s = strrchr(shipped, '/');
	snprintf(s + 1, sizeof(shipped) - (size_t)(s + 1 - shipped),
	    "etc/sluice.conf");
	text = harness_file_read(shipped, NULL);
	if (text == NULL)
		bail_out("cannot read %s", shipped);
	/* Keep its rules; the harness gives ports, files and the user. */
	snippet[0] = '\0';
	for (p = text; *p != '\0'; p = nl + 1) {
		nl = strchr(p, '\n');
		if (nl == NULL)
			nl = p + strlen(p);
		if (strncmp(p, "http_port", 9) != 0 &&
		    strncmp(p, "access_log", 10) != 0 &&
		    strncmp(p, "cache_log", 9) != 0 &&
		    strncmp(p, "pid_filename", 12) != 0 &&
		    strncmp(p, "cache_effective_user", 20) != 0 &&
		    strncmp(p, "cache_dir", 9) != 0 &&
		    strncmp(p, "workers", 7) != 0 &&
		    strlen(snippet) + (size_t)(nl - p) + 2 < sizeof(snippet)) {
			strncat(snippet, p, (size_t)(nl - p));
			strcat(snippet, "\n");
		}
		if (*nl == '\0')
			break;
	}
	free(text);
	harness_init(&h, 1);
	harness_conf(&h, snippet);
	if (harness_start(&h) == -1)
		bail_out("sluice did not start with the shipped config");
	snprintf(u, sizeof(u), "http://127.0.0.1:%d/b", pb);
	is_int(get(&h, u, &r), 403,
	    "shipped etc/sluice.conf: a request to 127.0.0.1 is denied");
	client_resp_free(&r);
	snprintf(u, sizeof(u), "http://2130706433:%d/b", pb);
	is_int(get(&h, u, &r), 403,
	    "shipped etc/sluice.conf: and to 2130706433 too");
	client_resp_free(&r);
	is_int(origin_nreq(b), 0, "origin B saw no request");
	harness_stop(&h);
	harness_end(&h);

	fakedns_stop(d);
	origin_finish(a);
	origin_finish(b);
	origin_free(a);
	origin_free(b);
	return exit_status();
}
