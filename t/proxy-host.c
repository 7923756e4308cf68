/*
 * proxy-host.c -- the Host field of a proxied request (RFC 9112 §3.2,
 * RFC 9110 §7.2): a value that is not uri-host [":" port] is a 400, in
 * absolute form and authority form too, and so is an empty Host when the
 * target has an authority; such a request never reaches the origin and
 * the connection is closed after the 400.  A valid Host that differs
 * from the target is replaced by the target's authority (RFC 9112
 * §3.2.2: the URI wins for routing).
 *
 * Integration test: a real sluice, the scripted origin and a raw client.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "origin.h"
#include "raw.h"
#include "tap.h"

static const struct origin_step steps[] = {
	{ .expect = "GET /ok", .status = 200, .body = "ok",
	    .flags = ORIGIN_REPEAT },
};

struct hcase {
	const char	*method;	/* GET (absolute form) or CONNECT */
	const char	*host;		/* the Host line's value */
	const char	*what;
};

/* Refused with 400. */
static const struct hcase bad[] = {
	{ "GET", "a b", "a space inside the host" },
	{ "GET", "", "an empty Host with an absolute-form target" },
	{ "CONNECT", "", "an empty Host with an authority-form target" },
	{ "CONNECT", "a b:443", "a space inside the host, with CONNECT" },
	{ "GET", "example.com:abc", "a port that is not digits" },
	{ "GET", "example.com:99999", "port 99999" },
	{ "GET", "example.com:0", "port 0" },
	{ "GET", "example.com:0000080", "a port of 7 digits" },
	{ "GET", ":80", "an empty host with a port (RFC 9110 §4.2.1)" },
	{ "GET", "user@example.com", "userinfo in Host (RFC 9110 §4.2.4)" },
	{ "GET", "a,b", "a list of two hosts" },
	{ "GET", "a, b", "a list of two hosts, with a space" },
	{ "GET", "[::1", "an IPv6 literal without its closing bracket" },
	{ "GET", "[::1]x", "bytes after an IPv6 literal" },
	{ "GET", "[not-v6]", "brackets around a name" },
	{ "GET", "[fe80::1%25eth0]", "a zone id in an IPv6 literal" },
	{ "GET", "a%zzb", "a bad percent-encoding" },
	{ "GET", "a\"b", "a double quote in the host" },
	{ "GET", "exa\x7fmple.com", "a DEL byte in the host" },
	{ "GET", "example.com/x", "a path in Host" },
};
#define NBAD	((int)(sizeof(bad) / sizeof(bad[0])))

/* Accepted: the request reaches the origin with the target's Host. */
static const struct hcase good[] = {
	{ "GET", "example.com", "a valid Host that differs from the target" },
	{ "GET", "Example.COM.:8080", "a name with a port" },
	{ "GET", "127.0.0.1:", "an empty port (RFC 3986 §3.2.3)" },
	{ "GET", "[::1]:80", "an IPv6 literal with a port" },
	{ "GET", "[v1.fe]", "an IPvFuture literal (RFC 3986 §3.2.2)" },
	{ "GET", "ex%41mple_~.com", "percent-encoding, '_' and '~' in a "
	    "reg-name" },
};
#define NGOOD	((int)(sizeof(good) / sizeof(good[0])))

/* Send @p c's request; @return the status (the response is read whole). */
static int
send_case(struct raw *c, const struct hcase *hc, int oport, int version,
    struct raw_resp *rr)
{
	char req[512];

	if (strcmp(hc->method, "CONNECT") == 0)
		snprintf(req, sizeof(req), "CONNECT 127.0.0.1:%d HTTP/1.%d\r\n"
		    "Host: %s\r\n\r\n", oport, version, hc->host);
	else
		snprintf(req, sizeof(req), "GET http://127.0.0.1:%d/ok "
		    "HTTP/1.%d\r\nHost: %s\r\n\r\n", oport, version, hc->host);
	raw_sends(c, req);
	memset(rr, 0, sizeof(*rr));
	return raw_read_resp(c, rr, 0, 10000);
}

int
main(void)
{
	struct harness h;
	struct origin *o;
	struct raw c;
	struct raw_resp rr;
	const struct origin_req *q;
	char hv[256], want[64];
	int oport, i, n, v;

	plan(3 * NBAD + 2 + 3 * NGOOD + 1 + ORIGIN_FINISH_TESTS +
	    HARNESS_STOP_TESTS + HARNESS_END_TESTS);

	o = origin_start(steps, 1);
	oport = origin_port(o);
	harness_init(&h, 1);
	harness_conf(&h,
	    "acl SSL_ports port %PORT%\n"
	    "http_access allow localhost\n"
	    "http_access deny all\n");
	if (harness_start(&h) == -1)
		bail_out("sluice did not start");

	for (i = 0; i < NBAD; i++) {
		if (raw_open(&c, h.port[0]) == -1)
			bail_out("cannot connect to sluice");
		n = origin_nreq(o);
		is_int(send_case(&c, &bad[i], oport, 1, &rr), 400,
		    "Host: \"%s\" (%s) with %s: 400 (RFC 9112 §3.2)",
		    bad[i].host, bad[i].what, bad[i].method);
		raw_resp_free(&rr);
		ok(raw_wait_eof(&c, 10000), "%s: the connection is closed "
		    "after the 400", bad[i].what);
		raw_close(&c);
		is_int(origin_nreq(o), n, "%s: nothing reached the origin",
		    bad[i].what);
	}
	/* HTTP/1.0 needs no Host, but one it sends must be valid. */
	if (raw_open(&c, h.port[0]) == -1)
		bail_out("cannot connect to sluice");
	is_int(send_case(&c, &bad[0], oport, 0, &rr), 400,
	    "HTTP/1.0 with Host: \"a b\": 400 (RFC 9112 §3.2)");
	raw_resp_free(&rr);
	raw_close(&c);
	if (raw_open(&c, h.port[0]) == -1)
		bail_out("cannot connect to sluice");
	raw_sends(&c, "GET http://127.0.0.1:1/ok HTTP/1.1\r\n"
	    "Host: a\r\nHost: b\r\n\r\n");
	is_int(raw_read_resp(&c, &rr, 0, 10000), 400,
	    "two valid Host fields: 400 (RFC 9112 §3.2)");
	raw_resp_free(&rr);
	raw_close(&c);

	snprintf(want, sizeof(want), "127.0.0.1:%d", oport);
	for (i = 0; i < NGOOD; i++) {
		if (raw_open(&c, h.port[0]) == -1)
			bail_out("cannot connect to sluice");
		n = origin_nreq(o);
		v = send_case(&c, &good[i], oport, 1, &rr);
		is_int(v, 200, "Host: \"%s\" (%s): accepted", good[i].host,
		    good[i].what);
		is_str(rr.body, "ok", "%s: the origin's answer is relayed",
		    good[i].what);
		raw_resp_free(&rr);
		raw_close(&c);
		q = origin_req(o, n);
		is_str(q != NULL ? origin_req_header(q, "Host", hv,
		    sizeof(hv)) : NULL, want, "%s: the origin gets the "
		    "target's authority as Host (RFC 9112 §3.2.2)",
		    good[i].what);
	}
	ok(harness_file_count(h.cache_log, "invalid Host value") >= NBAD - 3,
	    "cache_log: each refusal says \"invalid Host value\"");

	origin_finish(o);
	harness_stop(&h);
	harness_end(&h);
	origin_free(o);
	return exit_status();
}
