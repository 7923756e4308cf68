/*
 * proxy-smuggle.c -- hostile request bytes that libcurl would never send,
 * each checked three ways: the status the client gets, whether the
 * connection is closed after it (RFC 9112 §11.2: after a framing error
 * nothing more on the connection can be trusted), and what reached the
 * origin (a smuggled second request must never arrive).
 *
 * Every case carries its RFC section.  "%P" in a request is the origin's
 * port.  Integration test: a real sluice, the scripted origin (answers
 * every request 200 and records it), raw clients.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "origin.h"
#include "raw.h"
#include "tap.h"

#define CLOSES	1	/* the connection must be closed after the answer */
#define KEEPS	0

struct hcase {
	const char	*why;		/* behaviour and RFC section */
	const char	*req;		/* bytes sent, %P = origin port */
	int		 status;	/* what the client must get */
	int		 closes;
	int		 nreq;		/* requests the origin must see */
	const char	*saw;		/* substring of what the origin saw */
};

#define ABS	"http://127.0.0.1:%P"

static const struct hcase cases[] = {
	/* Framing: RFC 9112 §6.1, §6.3 and RFC 9110 §8.6. */
	{ "TE and CL together -> 400, never forwarded (RFC 9112 §6.1)",
	  "POST " ABS "/a HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n"
	  "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\n"
	  "Host: x\r\n\r\n", 400, CLOSES, 0, NULL },
	{ "CL before TE, smuggled request after -> 400 (RFC 9112 §6.3)",
	  "POST " ABS "/a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
	  "Content-Length: 40\r\n\r\n0\r\n\r\nGET " ABS "/smuggled HTTP/1.1\r\n"
	  "Host: x\r\n\r\n", 400, CLOSES, 0, NULL },
	{ "two different Content-Length -> 400 (RFC 9110 §8.6)",
	  "POST " ABS "/a HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n"
	  "Content-Length: 2\r\n\r\nab", 400, CLOSES, 0, NULL },
	{ "Content-Length list of different values -> 400 (RFC 9110 §8.6)",
	  "POST " ABS "/a HTTP/1.1\r\nHost: x\r\nContent-Length: 2, 3\r\n\r\n"
	  "abc", 400, CLOSES, 0, NULL },
	{ "Content-Length with a sign -> 400 (RFC 9110 §8.6: 1*DIGIT)",
	  "POST " ABS "/a HTTP/1.1\r\nHost: x\r\nContent-Length: +2\r\n\r\nab",
	  400, CLOSES, 0, NULL },
	{ "Content-Length in hex -> 400 (RFC 9110 §8.6)",
	  "POST " ABS "/a HTTP/1.1\r\nHost: x\r\nContent-Length: 0x2\r\n\r\nab",
	  400, CLOSES, 0, NULL },
	{ "Content-Length with an inner space -> 400 (RFC 9110 §8.6)",
	  "POST " ABS "/a HTTP/1.1\r\nHost: x\r\nContent-Length: 1 2\r\n\r\n"
	  "abcdefghijkl", 400, CLOSES, 0, NULL },
	{ "Content-Length past 2^64 -> 400, no overflow (RFC 9110 §8.6)",
	  "POST " ABS "/a HTTP/1.1\r\nHost: x\r\n"
	  "Content-Length: 18446744073709551617\r\n\r\n", 400, CLOSES, 0,
	  NULL },
	{ "empty Content-Length -> 400 (RFC 9110 §8.6)",
	  "POST " ABS "/a HTTP/1.1\r\nHost: x\r\nContent-Length: \r\n\r\n",
	  400, CLOSES, 0, NULL },
	{ "Transfer-Encoding: xchunked -> 501 or 400, never forwarded "
	  "(RFC 9112 §6.1)",
	  "POST " ABS "/a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked"
	  "\r\n\r\n0\r\n\r\n", -501, CLOSES, 0, NULL },
	{ "chunked applied twice -> 400 (RFC 9112 §6.1)",
	  "POST " ABS "/a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, "
	  "chunked\r\n\r\n0\r\n\r\n", 400, CLOSES, 0, NULL },
	{ "chunked not last (chunked, gzip) -> 400 (RFC 9112 §6.3)",
	  "POST " ABS "/a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, "
	  "gzip\r\n\r\n0\r\n\r\n", -501, CLOSES, 0, NULL },
	{ "Transfer-Encoding in an HTTP/1.0 request is faulty framing "
	  "(RFC 9112 §6.1)",
	  "POST " ABS "/a HTTP/1.0\r\nHost: x\r\nTransfer-Encoding: chunked"
	  "\r\n\r\n0\r\n\r\n", 400, CLOSES, 0, NULL },
	{ "Transfer-Encoding: identity -> 400 or 501 (RFC 9112 §6.1)",
	  "POST " ABS "/a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: identity"
	  "\r\nContent-Length: 2\r\n\r\nab", -501, CLOSES, 0, NULL },
	{ "whitespace before the colon of Transfer-Encoding -> 400 "
	  "(RFC 9112 §5.1)",
	  "POST " ABS "/a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding : chunked"
	  "\r\n\r\n0\r\n\r\n", 400, CLOSES, 0, NULL },
	{ "chunk size with a trailing space -> 400 (RFC 9112 §7.1)",
	  "POST " ABS "/a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked"
	  "\r\n\r\n2 \r\nab\r\n0\r\n\r\n", 400, CLOSES, -1, NULL },
	{ "chunk size 0x2 -> 400 (RFC 9112 §7.1: HEXDIG only)",
	  "POST " ABS "/a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked"
	  "\r\n\r\n0x2\r\nab\r\n0\r\n\r\n", 400, CLOSES, -1, NULL },
	{ "chunk size of 17 hex digits -> 400 (RFC 9112 §7.1, bounded)",
	  "POST " ABS "/a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked"
	  "\r\n\r\n10000000000000000\r\nab\r\n0\r\n\r\n", 400, CLOSES, -1,
	  NULL },
	{ "chunk line ending in a bare LF -> 400 (RFC 9112 §7.1)",
	  "POST " ABS "/a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked"
	  "\r\n\r\n2;a=b\nab\r\n0\r\n\r\n", 400, CLOSES, -1, NULL },
	{ "chunk data not followed by CRLF -> 400 (RFC 9112 §7.1)",
	  "POST " ABS "/a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked"
	  "\r\n\r\n2\r\nabc\r\n0\r\n\r\n", 400, CLOSES, -1, NULL },
	{ "negative chunk size -> 400 (RFC 9112 §7.1)",
	  "POST " ABS "/a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked"
	  "\r\n\r\n-1\r\nab\r\n0\r\n\r\n", 400, CLOSES, -1, NULL },
	{ "a trailer Content-Length does not frame anything: the bytes after "
	  "the message are a new request, refused (RFC 9112 §7.1.2)",
	  "POST " ABS "/t HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked"
	  "\r\n\r\n2\r\nab\r\n0\r\nContent-Length: 50\r\n\r\n"
	  "GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n", 200, CLOSES, 1,
	  "POST /t " },
	/* Head syntax: RFC 9112 §2, §3, §5. */
	{ "obs-fold -> 400 (RFC 9112 §5.2)",
	  "GET " ABS "/a HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n",
	  400, CLOSES, 0, NULL },
	{ "bare LF line ends -> 400 (RFC 9112 §2.2)",
	  "GET " ABS "/a HTTP/1.1\nHost: x\n\n", 400, CLOSES, 0, NULL },
	{ "bare CR inside a value -> 400 (RFC 9112 §2.2)",
	  "GET " ABS "/a HTTP/1.1\r\nHost: x\r\nX-A: a\rb\r\n\r\n", 400,
	  CLOSES, 0, NULL },
	{ "NUL inside a value -> 400 (RFC 9110 §5.5)",
	  "GET " ABS "/a HTTP/1.1\r\nHost: x\r\nX-A: a\0b\r\n\r\n", 400,
	  CLOSES, 0, NULL },
	{ "a control character in a field name -> 400 (RFC 9110 §5.1)",
	  "GET " ABS "/a HTTP/1.1\r\nHost: x\r\nX\x01A: a\r\n\r\n", 400,
	  CLOSES, 0, NULL },
	{ "a header line without a colon -> 400 (RFC 9112 §5)",
	  "GET " ABS "/a HTTP/1.1\r\nHost: x\r\nNoColonHere\r\n\r\n", 400,
	  CLOSES, 0, NULL },
	{ "whitespace before the first header line -> 400 (RFC 9112 §2.2)",
	  "GET " ABS "/a HTTP/1.1\r\n Host: x\r\n\r\n", 400, CLOSES, 0,
	  NULL },
	{ "a bad request followed by a pipelined good one: only the 400, "
	  "the second is never parsed (RFC 9112 §11.2)",
	  "GET " ABS "/a HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n"
	  "GET " ABS "/second HTTP/1.1\r\nHost: x\r\n\r\n", 400, CLOSES, 0,
	  NULL },
	{ "two spaces in the request line -> 400 (RFC 9112 §3)",
	  "GET  " ABS "/a HTTP/1.1\r\nHost: x\r\n\r\n", 400, CLOSES, 0, NULL },
	{ "lower-case protocol name http/1.1 -> 400 (RFC 9112 §2.3)",
	  "GET " ABS "/a http/1.1\r\nHost: x\r\n\r\n", 400, CLOSES, 0, NULL },
	{ "missing HTTP version -> 400 (RFC 9112 §3)",
	  "GET " ABS "/a\r\nHost: x\r\n\r\n", -505, CLOSES, 0, NULL },
	{ "HTTP/2.0 in an HTTP/1 request line -> 505 (RFC 9110 §15.6.6)",
	  "GET " ABS "/a HTTP/2.0\r\nHost: x\r\n\r\n", 505, CLOSES, 0, NULL },
	{ "a space inside the target -> 400 (RFC 9112 §3.2)",
	  "GET " ABS "/a b HTTP/1.1\r\nHost: x\r\n\r\n", 400, CLOSES, 0, NULL },
	{ "a method that is not a token -> 400 (RFC 9110 §9.1)",
	  "G{T " ABS "/a HTTP/1.1\r\nHost: x\r\n\r\n", 400, CLOSES, 0, NULL },
	{ "HTTP/1.1 without Host -> 400 (RFC 9112 §3.2)",
	  "GET " ABS "/a HTTP/1.1\r\nX: y\r\n\r\n", 400, CLOSES, 0, NULL },
	{ "two Host fields -> 400 (RFC 9112 §3.2)",
	  "GET " ABS "/a HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n", 400,
	  CLOSES, 0, NULL },
	/* The target: RFC 9110 §4, RFC 3986. */
	{ "userinfo in the target -> 400 (RFC 9110 §4.2.4)",
	  "GET http://user:pw@127.0.0.1:%P/a HTTP/1.1\r\nHost: x\r\n\r\n",
	  400, CLOSES, 0, NULL },
	{ "'@' hiding the real host -> 400 (RFC 9110 §4.2.4)",
	  "GET http://127.0.0.1:%P@evil.invalid/a HTTP/1.1\r\nHost: x\r\n\r\n",
	  400, CLOSES, 0, NULL },
	{ "percent-encoded host -> 400 (RFC 3986 §3.2.2)",
	  "GET http://127.0.0.%31:%P/a HTTP/1.1\r\nHost: x\r\n\r\n", 400,
	  CLOSES, 0, NULL },
	{ "backslash in the authority -> 400 (RFC 3986 §3.2)",
	  "GET http://127.0.0.1:%P\\@evil.invalid/a HTTP/1.1\r\nHost: x\r\n"
	  "\r\n", 400, CLOSES, 0, NULL },
	{ "IPv6 zone id -> 400 (RFC 9110 §4.2.1)",
	  "GET http://[fe80::1%25eth0]:%P/a HTTP/1.1\r\nHost: x\r\n\r\n", 400,
	  CLOSES, 0, NULL },
	{ "empty host -> 400 (RFC 9110 §4.2.1)",
	  "GET http://:%P/a HTTP/1.1\r\nHost: x\r\n\r\n", 400, CLOSES, 0,
	  NULL },
	{ "a fragment in the target -> 400 (RFC 9110 §4.2.5)",
	  "GET " ABS "/a#frag HTTP/1.1\r\nHost: x\r\n\r\n", 400, CLOSES, 0,
	  NULL },
	{ "origin-form to the proxy -> 400 (RFC 9112 §3.2.2)",
	  "GET /a HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 400, CLOSES, 0, NULL },
	{ "CONNECT without a port -> 400 (RFC 9110 §9.3.6)",
	  "CONNECT 127.0.0.1 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 400, CLOSES,
	  0, NULL },
	{ "CONNECT to port 0 -> 400 (RFC 9110 §9.3.6)",
	  "CONNECT 127.0.0.1:0 HTTP/1.1\r\nHost: 127.0.0.1:0\r\n\r\n", 400,
	  CLOSES, 0, NULL },
	{ "CONNECT to port 65536 -> 400 (RFC 9110 §9.3.6)",
	  "CONNECT 127.0.0.1:65536 HTTP/1.1\r\nHost: x\r\n\r\n", 400, CLOSES,
	  0, NULL },
	{ "CONNECT with a body -> 400 (RFC 9110 §9.3.6)",
	  "CONNECT 127.0.0.1:443 HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
	  "\r\nhello", 400, CLOSES, 0, NULL },
	/* What the origin sees. */
	{ "Host is replaced by the target's authority (RFC 9112 §3.2.2)",
	  "GET " ABS "/h HTTP/1.1\r\nHost: evil.invalid\r\nConnection: close"
	  "\r\n\r\n", 200, CLOSES, 1, "Host: 127.0.0.1:" },
	{ "fields named in Connection are removed (RFC 9110 §7.6.1)",
	  "GET " ABS "/c HTTP/1.1\r\nHost: x\r\nConnection: X-Secret, close\r\n"
	  "X-Secret: 1\r\n\r\n", 200, CLOSES, 1, "GET /c " },
	{ "a repeated Content-Length, even identical (2, 2), is refused "
	  "(RFC 9110 §8.6 allows it; nothing ambiguous is forwarded)",
	  "POST " ABS "/l HTTP/1.1\r\nHost: x\r\nContent-Length: 2, 2\r\n"
	  "\r\nab", 400, CLOSES, 0, NULL },
	{ "pipelined requests are each forwarded once, in order "
	  "(RFC 9112 §9.3.2)",
	  "GET " ABS "/p1 HTTP/1.1\r\nHost: x\r\n\r\nGET " ABS "/p2 HTTP/1.1\r\n"
	  "Host: x\r\nConnection: close\r\n\r\n", 200, CLOSES, 2, "GET /p2 " },
};
#define NCASES	(sizeof(cases) / sizeof(cases[0]))

static const struct origin_step any[] = {
	{ .expect = "", .status = 200, .body = "ok", .flags = ORIGIN_REPEAT },
};

/*
 * The origin's request count once it holds still (bounded): a request a
 * case let through is recorded when its body ends or its connection
 * closes, which may be a moment after the client got its answer.
 */
static int
settled(struct origin *o)
{
	int n = origin_nreq(o), i, m;

	for (i = 0; i < 40; i++) {
		harness_msleep(25);
		if ((m = origin_nreq(o)) == n)
			break;
		n = m;
	}
	return n;
}

/* The case's request with %P replaced. */
static size_t
expand(const char *in, size_t inlen, int port, char *out, size_t outsz)
{
	size_t i, o = 0;
	int n;

	for (i = 0; i < inlen && o + 8 < outsz; i++) {
		if (in[i] == '%' && i + 1 < inlen && in[i + 1] == 'P') {
			n = snprintf(out + o, outsz - o, "%d", port);
			o += (size_t)n;
			i++;
			continue;
		}
		out[o++] = in[i];
	}
	return o;
}

/* The length of a case's bytes: NUL is part of one of them. */
static size_t
case_len(const struct hcase *hc)
{
	const char *p = hc->req;

	if (strstr(hc->why, "NUL inside a value") != NULL)
		return strlen(p) + 1 + strlen(p + strlen(p) + 1);
	return strlen(p);
}

int
main(void)
{
	struct harness h;
	struct origin *o;
	struct raw c;
	struct raw_resp r;
	char buf[4096];
	size_t i, n;
	int oport, st, before, seen, j, found;

	plan((int)NCASES * 3 + ORIGIN_FINISH_TESTS + HARNESS_STOP_TESTS +
	    HARNESS_END_TESTS);
	o = origin_start(any, 1);
	oport = origin_port(o);
	harness_init(&h, 1);
	harness_conf(&h, "acl SSL_ports port 443\n"
	    "http_access deny CONNECT !SSL_ports\n"
	    "http_access allow localhost\nhttp_access deny all\n");
	if (harness_start(&h) == -1)
		bail_out("sluice did not start");

	for (i = 0; i < NCASES; i++) {
		const struct hcase *hc = &cases[i];

		n = expand(hc->req, case_len(hc), oport, buf, sizeof(buf));
		before = settled(o);
		if (raw_open(&c, h.port[0]) == -1)
			bail_out("cannot connect to sluice");
		raw_send(&c, buf, n);
		st = raw_read_resp(&c, &r, 0, 5000);
		/* Pipelined: the last answer is the one that closes. */
		while (hc->nreq > 1 && st == 200 && r.complete &&
		    origin_nreq(o) - before < hc->nreq) {
			raw_resp_free(&r);
			st = raw_read_resp(&c, &r, 0, 5000);
		}
		if (hc->status < 0)
			ok(st == -hc->status || st == 400, "%s: got %d", hc->why,
			    st);
		else
			is_int(st, hc->status, "%s", hc->why);
		raw_resp_free(&r);
		if (hc->closes)
			ok(raw_wait_eof(&c, 5000), "%s: connection closed",
			    hc->why);
		else
			ok(!raw_wait_eof(&c, 300), "%s: connection kept",
			    hc->why);
		raw_close(&c);
		/* What reached the origin (a refused request: nothing). */
		seen = settled(o) - before;
		if (hc->nreq < 0) {
			/* Chunk errors: the head may have gone up already. */
			ok(seen <= 1 && (seen == 0 || origin_req(o,
			    before)->body_len < 3), "%s: the origin got no "
			    "complete body (%d requests)", hc->why, seen);
			continue;
		}
		found = hc->saw == NULL;
		for (j = 0; j < seen && !found; j++)
			found = strstr(origin_req(o, before + j)->head,
			    hc->saw) != NULL;
		ok(seen == hc->nreq && found, "%s: the origin saw exactly %d "
		    "request(s)%s%s (saw %d)", hc->why, hc->nreq,
		    hc->saw ? " holding " : "", hc->saw ? hc->saw : "", seen);
	}
	/* Connection-listed field really gone. */
	origin_finish(o);
	harness_stop(&h);
	harness_end(&h);
	origin_free(o);
	return exit_status();
}
