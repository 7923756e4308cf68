/*
 * connect-refused.c -- a CONNECT that gets any answer but 2xx (403 by
 * the rules, 407 without credentials, 502 connect refused, 504 name not
 * found) ends the connection: the answer says "Connection: close", the
 * connection is closed after it, and the bytes the client sent right
 * after its CONNECT (meant for the tunnel) are never parsed as a request
 * (RFC 9110 §9.3.6).  A client that retries a 407 with credentials
 * reconnects and gets its tunnel (libcurl, as curl does it).
 *
 * Integration test: a real sluice, the scripted origin (which must never
 * see the smuggled request), the test DNS server, the auth test helper,
 * a raw client and libcurl.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "fakedns.h"
#include "harness.h"
#include "origin.h"
#include "raw.h"
#include "tap.h"

static const struct origin_step steps[] = {
	/* Reached only through the authenticated tunnel. */
	{ .expect = "GET /through-tunnel", .status = 200,
	    .body = "tunnelled" },
};

struct ccase {
	const char	*target;	/* CONNECT target, %d: a port */
	int		 port;
	int		 status;
	const char	*what;
};

/* alice:secret */
#define GOOD	"Proxy-Authorization: Basic YWxpY2U6c2VjcmV0\r\n"

/*
 * CONNECT @p target, followed in the same write by a GET for the origin
 * (with good credentials) that a proxy reading on would forward; the
 * answer must be @p status,
 * say Connection: close, and be followed by the close.
 */
static void
refused(struct harness *h, int oport, const char *target, int status,
    const char *what, const char *cred)
{
	struct raw c;
	struct raw_resp r;
	char req[1024];
	const char *v;
	int st;

	if (raw_open(&c, h->port[0]) == -1)
		bail_out("cannot connect to sluice");
	snprintf(req, sizeof(req), "CONNECT %s HTTP/1.1\r\nHost: %s\r\n%s\r\n"
	    "GET http://127.0.0.1:%d/smuggled HTTP/1.1\r\n"
	    "Host: 127.0.0.1:%d\r\n%s\r\n", target, target,
	    cred != NULL ? cred : "", oport, oport, GOOD);
	raw_sends(&c, req);
	memset(&r, 0, sizeof(r));
	st = raw_read_resp(&c, &r, 0, 10000);
	is_int(st, status, "%s: %d", what, status);
	v = raw_resp_header(&r, "Connection");
	ok(v != NULL && strcmp(v, "close") == 0,
	    "%s: the answer says Connection: close (got %s)", what,
	    v != NULL ? v : "none");
	ok(raw_wait_eof(&c, 10000), "%s: the connection is closed after the "
	    "answer; the bytes after the CONNECT are never a request", what);
	raw_resp_free(&r);
	raw_close(&c);
}

static size_t
sink_cb(char *p, size_t size, size_t nmemb, void *arg)
{
	struct raw_resp *r = arg;
	size_t n = size * nmemb;
	char *nb;

	nb = realloc(r->body, r->body_len + n + 1);
	if (nb == NULL)
		return 0;
	memcpy(nb + r->body_len, p, n);
	r->body_len += n;
	nb[r->body_len] = '\0';
	r->body = nb;
	return n;
}

int
main(void)
{
	struct harness h;
	struct origin *o;
	struct fakedns *d;
	struct raw_resp body;
	char helper[PATH_MAX], copy[300], t[128], proxy[64], url[128];
	char *bin, *s, *line;
	int oport, dead;
	long code = 0, nconn = 0;
	CURL *e;
	CURLcode rc;

	plan(3 * 5 + 5 + ORIGIN_FINISH_TESTS + HARNESS_STOP_TESTS +
	    HARNESS_END_TESTS);

	bin = getenv("SLUICE_BINARY");
	if (bin == NULL || bin[0] != '/' || (s = strrchr(bin, '/')) == NULL)
		bail_out("SLUICE_BINARY must be an absolute path");
	snprintf(helper, sizeof(helper), "%.*s/t/helpers/auth-test-helper",
	    (int)(s - bin), bin);
	if (access(helper, X_OK) == -1)
		bail_out("no %s", helper);

	o = origin_start(steps, (int)(sizeof(steps) / sizeof(steps[0])));
	oport = origin_port(o);
	dead = harness_free_port();
	d = fakedns_start();
	harness_init(&h, 1);
	if (harness_copy_program(&h, helper, copy) == -1)
		bail_out("cannot copy the auth helper");
	harness_set(&h, "HELPER", "%s", copy);
	harness_set(&h, "ORIGIN", "%d", oport);
	harness_set(&h, "DEAD", "%d", dead);
	harness_set(&h, "DNS", "%d", fakedns_port(d));
	harness_conf(&h,
	    "dns_nameservers 127.0.0.1:%DNS%\n"
	    "auth_param basic program %HELPER% alice:secret\n"
	    "auth_param basic realm Sluice Test Realm\n"
	    "acl SSL_ports port %ORIGIN% %DEAD% 443\n"
	    "acl users proxy_auth REQUIRED\n"
	    "http_access deny CONNECT !SSL_ports\n"
	    "http_access allow localhost users\n"
	    "http_access deny all\n");
	if (harness_start(&h) == -1)
		bail_out("sluice did not start");

	/* Credentials for every case but the 407 ones. */
	{
		static const char cred[] = GOOD;

		refused(&h, oport, "127.0.0.1:80", 403, "CONNECT to a port outside "
		    "SSL_ports", cred);
		snprintf(t, sizeof(t), "127.0.0.1:%d", dead);
		refused(&h, oport, t, 502, "CONNECT to a closed port", cred);
		refused(&h, oport, "no-such-name.test:443", 504,
		    "CONNECT to a name that does not resolve", cred);
		snprintf(t, sizeof(t), "127.0.0.1:%d", oport);
		refused(&h, oport, t, 407, "CONNECT without credentials",
		    NULL);
		refused(&h, oport, t, 407, "CONNECT with wrong credentials",
		    "Proxy-Authorization: Basic YWxpY2U6d3Jvbmc=\r\n");
	}
	line = harness_log_wait(&h, "TCP_DENIED/407", "CONNECT", NULL);
	ok(line != NULL, "access log: the refused CONNECT is TCP_DENIED/407");
	free(line);

	/*
	 * libcurl through a tunnel with credentials it sends only when asked
	 * (CURLAUTH_ANY): CONNECT, 407 with Connection: close, a new
	 * connection, CONNECT with credentials, 200, the GET in the tunnel.
	 */
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
		bail_out("curl_global_init failed");
	e = curl_easy_init();
	if (e == NULL)
		bail_out("curl_easy_init failed");
	memset(&body, 0, sizeof(body));
	snprintf(proxy, sizeof(proxy), "http://127.0.0.1:%d", h.port[0]);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/through-tunnel",
	    oport);
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_PROXY, proxy);
	curl_easy_setopt(e, CURLOPT_NOPROXY, "");
	curl_easy_setopt(e, CURLOPT_HTTPPROXYTUNNEL, 1L);
	curl_easy_setopt(e, CURLOPT_PROXYAUTH, (long)CURLAUTH_ANY);
	curl_easy_setopt(e, CURLOPT_PROXYUSERPWD, "alice:secret");
	curl_easy_setopt(e, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, sink_cb);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, &body);
	rc = curl_easy_perform(e);
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_getinfo(e, CURLINFO_NUM_CONNECTS, &nconn);
	is_int(rc, CURLE_OK, "libcurl, CONNECT with credentials on demand: "
	    "the transfer succeeds (%s)", curl_easy_strerror(rc));
	is_int(code, 200, "libcurl: the GET through the tunnel is 200");
	is_str(body.body, "tunnelled", "libcurl: the origin's body came "
	    "through the tunnel");
	is_int(nconn, 2, "libcurl: after the 407 it reconnected (2 "
	    "connections)");
	curl_easy_cleanup(e);
	free(body.body);
	curl_global_cleanup();

	origin_finish(o);
	harness_stop(&h);
	harness_end(&h);
	origin_free(o);
	fakedns_stop(d);
	return exit_status();
}
