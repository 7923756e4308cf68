/*
 * proxy-hostile-response.c -- hostile origin responses: malformed status
 * lines and fields, framing conflicts, endless 1xx, oversized heads,
 * broken or short bodies, bodies where none may be (HEAD, 204, 304)
 * (RFC 9110, RFC 9112).
 *
 * Integration test: a real sluice, the scripted origin sending raw bytes
 * (ORIGIN_RAW) and a raw client.  A response refused before its head went
 * out is a 502 with X-Sluice-Error: ERR_INVALID_RESP, and nothing of it
 * reaches the client; one that breaks after its head went out ends in a
 * close, never in a complete-looking message.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "origin.h"
#include "raw.h"
#include "tap.h"

#define R(p, b)		{ .expect = "GET " p, .status = 200, .body = (b), \
			    .body_len = sizeof(b) - 1, .flags = ORIGIN_RAW }

struct rcase {
	const char	*path;
	const char	*what;
};

/* Refused before the head goes out: 502. */
static const struct rcase bad[] = {
	{ "/s1", "status line without SP before the code: 502 (RFC 9112 §4)" },
	{ "/s2", "status 099: 502 (RFC 9110 §15)" },
	{ "/s3", "four-digit status 1000: 502 (RFC 9112 §4)" },
	{ "/s4", "status \"2OO\" (letters): 502 (RFC 9112 §4)" },
	{ "/s5", "status 600: 502 (RFC 9110 §15)" },
	{ "/s6", "HTTP/2.0 status line: 502 (RFC 9112 §2.3)" },
	{ "/s7", "lower-case http/1.1 status line: 502 (RFC 9112 §2.3)" },
	{ "/s8", "bare CR in the reason (header injection): 502 "
	    "(RFC 9112 §4)" },
	{ "/f1", "Transfer-Encoding with Content-Length: 502 "
	    "(RFC 9112 §6.3 item 3)" },
	{ "/f2", "two differing Content-Length fields: 502 "
	    "(RFC 9112 §6.3 item 5)" },
	{ "/f3", "Content-Length list \"5, 5\": 502 (RFC 9110 §8.6)" },
	{ "/f4", "Content-Length with a sign: 502 (RFC 9110 §8.6)" },
	{ "/f5", "chunked applied twice: 502 (RFC 9112 §6.1)" },
	{ "/f6", "Transfer-Encoding in an HTTP/1.0 response: 502 "
	    "(RFC 9112 §6.1)" },
	{ "/f7", "invalid chunk-size right after the head: 502 "
	    "(RFC 9112 §7.1)" },
	{ "/h1", "NUL in a field value: 502 (RFC 9110 §5.5)" },
	{ "/h2", "obs-fold: 502 (RFC 9112 §5.2)" },
	{ "/h3", "bare CR in a field value: 502 (RFC 9112 §2.2)" },
	{ "/h4", "whitespace before the colon: 502 (RFC 9112 §5.1)" },
	{ "/h5", "bare LF line endings: 502 (RFC 9112 §2.2)" },
	{ "/h6", "field line without a colon: 502 (RFC 9112 §5)" },
	{ "/h7", "header section over 64 KB: 502 (RFC 9110 §5.4)" },
	{ "/i1", "nine 1xx responses (over the cap of 8): 502 "
	    "(RFC 9110 §15.2)" },
	{ "/i2", "a 1xx then an invalid response: 502 (RFC 9110 §15.2)" },
	{ "/i3", "an unrequested 101: 502 (RFC 9110 §15.2.2)" },
};
#define NBAD	((int)(sizeof(bad) / sizeof(bad[0])))

#define I102	"HTTP/1.1 102 Processing\r\n\r\n"
#define INJ	"\r\nX-Injected: 1\r\n\r\n"

static struct origin_step steps[] = {
	R("/s1", "HTTP/1.1 200OK\r\nX-Injected: 1\r\n\r\n"),
	R("/s2", "HTTP/1.1 099 Low\r\nX-Injected: 1\r\n\r\n"),
	R("/s3", "HTTP/1.1 1000 X\r\nX-Injected: 1\r\n\r\n"),
	R("/s4", "HTTP/1.1 2OO OK\r\nX-Injected: 1\r\n\r\n"),
	R("/s5", "HTTP/1.1 600 X\r\nX-Injected: 1\r\n\r\n"),
	R("/s6", "HTTP/2.0 200 OK\r\nX-Injected: 1\r\n\r\n"),
	R("/s7", "http/1.1 200 OK\r\nX-Injected: 1\r\n\r\n"),
	R("/s8", "HTTP/1.1 200 OK\rX-Injected: 1\r\nContent-Length: 0\r\n\r\n"),
	R("/f1", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
	    "Content-Length: 5\r\nX-Injected: 1\r\n\r\n0\r\n\r\n"),
	R("/f2", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n"
	    "X-Injected: 1\r\n\r\nhello!"),
	R("/f3", "HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\n"
	    "X-Injected: 1\r\n\r\nhello"),
	R("/f4", "HTTP/1.1 200 OK\r\nContent-Length: +5\r\n"
	    "X-Injected: 1\r\n\r\nhello"),
	R("/f5", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n"
	    "X-Injected: 1\r\n\r\n0\r\n\r\n"),
	R("/f6", "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n"
	    "X-Injected: 1\r\n\r\n0\r\n\r\n"),
	R("/f7", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
	    "X-Injected: 1\r\n\r\nzz\r\nhello\r\n0\r\n\r\n"),
	R("/h1", "HTTP/1.1 200 OK\r\nX-A: b\0c\r\nX-Injected: 1\r\n"
	    "Content-Length: 0\r\n\r\n"),
	R("/h2", "HTTP/1.1 200 OK\r\nX-A: b\r\n c\r\nX-Injected: 1\r\n"
	    "Content-Length: 0\r\n\r\n"),
	R("/h3", "HTTP/1.1 200 OK\r\nX-A: b\rX-Injected: 1\r\n"
	    "Content-Length: 0\r\n\r\n"),
	R("/h4", "HTTP/1.1 200 OK\r\nX-Injected : 1\r\n"
	    "Content-Length: 0\r\n\r\n"),
	R("/h5", "HTTP/1.1 200 OK\nX-Injected: 1\nContent-Length: 0\n\n"),
	R("/h6", "HTTP/1.1 200 OK\r\nX-Injected\r\nContent-Length: 0\r\n\r\n"),
	{ .expect = "GET /h7", .status = 200, .body = NULL, .body_len = 0,
	    .flags = ORIGIN_RAW },	/* body set in main() */
	R("/i1", I102 I102 I102 I102 I102 I102 I102 I102 I102
	    "HTTP/1.1 200 OK\r\nX-Injected: 1\r\nContent-Length: 0\r\n\r\n"),
	R("/i2", I102 "HTTP/1.1 2OO OK\r\nX-Injected: 1\r\n\r\n"),
	R("/i3", "HTTP/1.1 101 Switching Protocols\r\nUpgrade: evil\r\n"
	    "X-Injected: 1\r\n\r\n"),
	/* Accepted ones, in the order main() asks for them. */
	R("/ok1", "HTTP/1.2 200 OK\r\nContent-Length: 5\r\n\r\nhello"),
	R("/ok2", "HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\n\r\n"
	    "5\r\nhello\r\n0\r\nContent-Length: 999\r\n"
	    "Transfer-Encoding: gzip\r\n\r\n"),
	R("/ok3", "HTTP/1.1 200 OK\r\nSet-Cookie: a=1; Path=/\r\n"
	    "Set-Cookie: b=2; HttpOnly\r\nContent-Length: 2\r\n\r\nok"),
	R("/ok4", I102 I102 "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"),
	/* HEAD with a body, then a pipelined GET. */
	{ .expect = "HEAD /hd", .status = 200, .body =
	    "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
	    .flags = ORIGIN_RAW },
	{ .expect = "GET /after-head", .status = 200, .body = "second" },
	/* 204 and 304 with a body, then a request on the same connection. */
	R("/nb1", "HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\nhello"),
	{ .expect = "GET /after-204", .status = 200, .body = "third" },
	R("/nb2", "HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\n"
	    "hello"),
	{ .expect = "GET /after-304", .status = 200, .body = "fourth" },
	/* Broken after the head went out. */
	R("/tr1", "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten.."),
	{ .expect = "GET /tr2", .status = 200, .body = NULL, .body_len = 0,
	    .flags = ORIGIN_RAW },	/* body set in main() */
};
#define NSTEPS	((int)(sizeof(steps) / sizeof(steps[0])))

static int
get(struct raw *c, int oport, const char *method, const char *path)
{
	char req[512];

	snprintf(req, sizeof(req), "%s http://127.0.0.1:%d%s HTTP/1.1\r\n"
	    "Host: 127.0.0.1:%d\r\n\r\n", method, oport, path, oport);
	return raw_sends(c, req);
}

int
main(void)
{
	struct harness h;
	struct origin *o;
	struct raw c;
	struct raw_resp rr, r2;
	char *big, *line, u[256];
	size_t n;
	int oport, i, st;

	plan(3 * NBAD + 30 +
	    ORIGIN_FINISH_TESTS + HARNESS_STOP_TESTS + HARNESS_END_TESTS);

	/* /h7: a head of 70 KB; /tr2: a 200 KB chunk, then a broken one. */
	big = malloc(300 * 1024);
	if (big == NULL)
		bail_out("out of memory");
	n = (size_t)snprintf(big, 100, "HTTP/1.1 200 OK\r\nX-Injected: ");
	memset(big + n, 'a', 70 * 1024);
	strcpy(big + n + 70 * 1024, "\r\nContent-Length: 0\r\n\r\n");
	for (i = 0; i < NSTEPS; i++)
		if (strcmp(steps[i].expect, "GET /h7") == 0) {
			steps[i].body = big;
			steps[i].body_len = strlen(big);
		}
	{
		static char tr[210 * 1024];

		n = (size_t)snprintf(tr, 100, "HTTP/1.1 200 OK\r\n"
		    "Transfer-Encoding: chunked\r\n\r\n%x\r\n", 200 * 1024);
		memset(tr + n, 'x', 200 * 1024);
		n += 200 * 1024;
		static const char tail[] = "\r\nzz\r\nsmuggled\r\n0\r\n\r\n";

		memcpy(tr + n, tail, sizeof(tail) - 1);
		n += sizeof(tail) - 1;
		for (i = 0; i < NSTEPS; i++)
			if (strcmp(steps[i].expect, "GET /tr2") == 0) {
				steps[i].body = tr;
				steps[i].body_len = n;
			}
	}

	o = origin_start(steps, NSTEPS);
	oport = origin_port(o);
	harness_init(&h, 1);
	harness_conf(&h,
	    "read_timeout 5 seconds\n"
	    "http_access allow localhost\n"
	    "http_access deny all\n");
	if (harness_start(&h) == -1)
		bail_out("sluice did not start");

	for (i = 0; i < NBAD; i++) {
		if (raw_open(&c, h.port[0]) == -1)
			bail_out("cannot connect to sluice");
		get(&c, oport, "GET", bad[i].path);
		st = raw_read_resp(&c, &rr, 0, 10000);
		is_int(st, 502, "%s", bad[i].what);
		is_str(raw_resp_header(&rr, "X-Sluice-Error"),
		    "ERR_INVALID_RESP", "%s: X-Sluice-Error: ERR_INVALID_RESP",
		    bad[i].what);
		ok(rr.head != NULL && strstr(rr.head, "X-Injected") == NULL &&
		    (rr.body == NULL || strstr(rr.body, "X-Injected") == NULL),
		    "%s: nothing of the bad response reaches the client",
		    bad[i].what);
		raw_resp_free(&rr);
		raw_close(&c);
	}
	snprintf(u, sizeof(u), "http://127.0.0.1:%d/s1", oport);
	line = harness_log_wait(&h, "TCP_MISS/502", u, NULL);
	ok(line != NULL, "access log: TCP_MISS/502 for a bad status line");
	free(line);
	snprintf(u, sizeof(u), "http://127.0.0.1:%d/i3", oport);
	line = harness_log_wait(&h, "TCP_MISS/502", u, NULL);
	ok(line != NULL, "access log: TCP_MISS/502 for an unrequested 101");
	free(line);

	/* Accepted responses. */
	if (raw_open(&c, h.port[0]) == -1)
		bail_out("cannot connect to sluice");
	get(&c, oport, "GET", "/ok1");
	is_int(raw_read_resp(&c, &rr, 0, 10000), 200,
	    "HTTP/1.2 response is read as HTTP/1.1 (RFC 9110 §2.5)");
	is_str(rr.body, "hello", "HTTP/1.2 response: body relayed");
	like(rr.head, "HTTP/1.1 200", "HTTP/1.2 response: relayed as HTTP/1.1");
	raw_resp_free(&rr);
	get(&c, oport, "GET", "/ok2");
	is_int(raw_read_resp(&c, &rr, 0, 10000), 200,
	    "Transfer-Encoding: Chunked with framing fields in the trailer "
	    "(RFC 9112 §7.1.2)");
	is_str(rr.body, "hello", "trailer fields do not change the body "
	    "(RFC 9112 §7.1.2)");
	ok(raw_resp_header(&rr, "Content-Length") == NULL,
	    "trailer Content-Length is not merged into the head "
	    "(RFC 9110 §6.5.1)");
	raw_resp_free(&rr);
	get(&c, oport, "GET", "/ok3");
	is_int(raw_read_resp(&c, &rr, 0, 10000), 200,
	    "response with two Set-Cookie fields: 200");
	ok(rr.head != NULL && strstr(rr.head, "Set-Cookie: a=1; Path=/\r\n")
	    != NULL && strstr(rr.head, "Set-Cookie: b=2; HttpOnly\r\n") != NULL,
	    "both Set-Cookie fields pass through unchanged, unmerged "
	    "(RFC 9110 §5.3)");
	raw_resp_free(&rr);
	get(&c, oport, "GET", "/ok4");
	is_int(raw_read_resp(&c, &rr, 0, 10000), 200,
	    "two 1xx then a 200: the final response arrives (RFC 9110 §15.2)");
	is_str(rr.body, "ok", "two 1xx then a 200: body relayed");
	raw_resp_free(&rr);
	raw_close(&c);

	/* HEAD answered with a body, then a pipelined GET. */
	if (raw_open(&c, h.port[0]) == -1)
		bail_out("cannot connect to sluice");
	get(&c, oport, "HEAD", "/hd");
	get(&c, oport, "GET", "/after-head");
	is_int(raw_read_resp(&c, &rr, 1, 10000), 200,
	    "HEAD answered with a body: 200 (RFC 9110 §9.3.2)");
	is_int(raw_read_resp(&c, &r2, 0, 10000), 200,
	    "the pipelined response after the HEAD is intact: 200 "
	    "(RFC 9112 §6.3 item 1)");
	is_str(r2.body, "second", "no byte of the HEAD body reaches the "
	    "client: the next body is exact");
	raw_resp_free(&rr);
	raw_resp_free(&r2);
	raw_close(&c);

	/* 204 and 304 with a body. */
	if (raw_open(&c, h.port[0]) == -1)
		bail_out("cannot connect to sluice");
	get(&c, oport, "GET", "/nb1");
	get(&c, oport, "GET", "/after-204");
	is_int(raw_read_resp(&c, &rr, 0, 10000), 204,
	    "204 with Content-Length and a body: 204 (RFC 9110 §15.3.5)");
	raw_resp_free(&rr);
	is_int(raw_read_resp(&c, &rr, 0, 10000), 200,
	    "the response after the 204 is intact (RFC 9112 §6.3 item 1)");
	is_str(rr.body, "third", "no byte of the 204 body reaches the client");
	raw_resp_free(&rr);
	get(&c, oport, "GET", "/nb2");
	get(&c, oport, "GET", "/after-304");
	is_int(raw_read_resp(&c, &rr, 0, 10000), 304,
	    "304 with a body: 304 (RFC 9110 §15.4.5)");
	raw_resp_free(&rr);
	is_int(raw_read_resp(&c, &rr, 0, 10000), 200,
	    "the response after the 304 is intact (RFC 9112 §6.3 item 1)");
	is_str(rr.body, "fourth", "no byte of the 304 body reaches the client");
	raw_resp_free(&rr);
	raw_close(&c);

	/* Body shorter than Content-Length, then close. */
	if (raw_open(&c, h.port[0]) == -1)
		bail_out("cannot connect to sluice");
	get(&c, oport, "GET", "/tr1");
	is_int(raw_read_head(&c, &rr, 10000), 200,
	    "short body: the head went out first (200)");
	is_int(raw_read_body(&c, &rr, 0, 10000), -1,
	    "short body: the client never sees a complete message "
	    "(RFC 9112 §8)");
	ok(raw_wait_eof(&c, 10000), "short body: the connection is closed "
	    "(RFC 9112 §8)");
	raw_resp_free(&rr);
	raw_close(&c);
	snprintf(u, sizeof(u), "http://127.0.0.1:%d/tr1", oport);
	line = harness_log_wait(&h, "_ABORTED/200", u, NULL);
	ok(line != NULL, "access log: the short body is logged "
	    "TCP_MISS_ABORTED/200");
	free(line);

	/* Bad chunk after 200 KB of body: truncated, closed. */
	if (raw_open(&c, h.port[0]) == -1)
		bail_out("cannot connect to sluice");
	get(&c, oport, "GET", "/tr2");
	is_int(raw_read_head(&c, &rr, 10000), 200,
	    "bad chunk after the head went out: the head is 200");
	is_int(raw_read_body(&c, &rr, 0, 10000), -1,
	    "bad chunk: the client never sees the last chunk (RFC 9112 §7.1)");
	ok(rr.body == NULL || strstr(rr.body, "smuggled") == NULL,
	    "bad chunk: no byte after the bad chunk-size reaches the client");
	ok(raw_wait_eof(&c, 10000), "bad chunk: the connection is closed");
	raw_resp_free(&rr);
	raw_close(&c);
	snprintf(u, sizeof(u), "http://127.0.0.1:%d/tr2", oport);
	line = harness_log_wait(&h, "_ABORTED/200", u, NULL);
	ok(line != NULL, "access log: the broken chunked body is logged "
	    "TCP_MISS_ABORTED/200");
	free(line);

	origin_finish(o);
	harness_stop(&h);
	harness_end(&h);
	origin_free(o);
	free(big);
	return exit_status();
}
