/*
 * proxy-limits.c -- every limit and timeout is a directive and holds:
 * request_line_max_size (414), request_header_max_fields (431),
 * request_body_max_size (413, declared and chunked), request_timeout for a
 * client that trickles its head one byte at a time (408, while other
 * clients are served), client_idle_pconn_timeout, read_timeout on a
 * stalled response body, tunnel_idle_timeout on a silent CONNECT tunnel.
 *
 * Integration test: a real sluice, the scripted origin, an echo server,
 * raw clients.  Waits are bounded; no assertion is about durations.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "echo.h"
#include "harness.h"
#include "origin.h"
#include "raw.h"
#include "tap.h"

static const struct origin_step steps[] = {
	{ .expect = "GET /aaaa", .status = 200, .body = "long" },
	{ .expect = "GET /fine", .status = 200, .body = "fine" },
	{ .expect = "POST /small", .status = 200, .flags = ORIGIN_ECHO },
	{ .expect = "POST /chunky", .flags = ORIGIN_NO_RESPONSE },
	{ .expect = "GET /ok", .status = 200, .body = "ok",
	    .flags = ORIGIN_REPEAT },
	{ .expect = "GET /stall", .status = 200, .body_len = 100000,
	    .flags = ORIGIN_STALL, .stall_ms = 4000 },
	{ .expect = "GET /short", .flags = ORIGIN_RAW, .body = "HTTP/1.1 200 OK"
	    "\r\nContent-Length: 100\r\n\r\nonly this" },
	{ .expect = "GET /after", .status = 200, .body = "after" },
};
#define NSTEPS	((int)(sizeof(steps) / sizeof(steps[0])))

static int	oport;

static int
req(struct raw *c, const char *fmt, const char *path, const char *extra)
{
	char buf[8192];

	snprintf(buf, sizeof(buf), fmt, oport, path, oport, extra);
	return raw_sends(c, buf);
}

#define GET	"GET http://127.0.0.1:%d%s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n%s\r\n"
#define POST	"POST http://127.0.0.1:%d%s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n%s"

int
main(void)
{
	struct harness h;
	struct origin *o;
	struct echo *e;
	struct raw c, t;
	struct raw_resp r;
	char big[4096], hdrs[4096], creq[256], *line;
	size_t i;
	int n0, got;

	plan(26 + ORIGIN_FINISH_TESTS + HARNESS_STOP_TESTS +
	    HARNESS_END_TESTS);
	o = origin_start(steps, NSTEPS);
	oport = origin_port(o);
	e = echo_start();
	harness_init(&h, 1);
	harness_set(&h, "ECHO", "%d", echo_port(e));
	harness_conf(&h, "acl SSL_ports port %ECHO%\n"
	    "http_access deny CONNECT !SSL_ports\n"
	    "http_access allow localhost\nhttp_access deny all\n"
	    "request_line_max_size 2 KB\n"
	    "request_header_max_fields 20\n"
	    "request_body_max_size 1 KB\n"
	    "request_timeout 2 seconds\n"
	    "client_idle_pconn_timeout 1 second\n"
	    "read_timeout 1 second\n"
	    "tunnel_idle_timeout 1 second\n");
	if (harness_start(&h) == -1)
		bail_out("sluice did not start");

	/* request_line_max_size: a 3000-byte path in a 64 KB head limit. */
	memset(big, 'a', 3000);
	big[0] = '/';
	big[3000] = '\0';
	raw_open(&c, h.port[0]);
	req(&c, GET, big, "");
	is_int(raw_read_resp(&c, &r, 0, 5000), 414, "request line over "
	    "request_line_max_size: 414 (RFC 9112 §3)");
	raw_resp_free(&r);
	ok(raw_wait_eof(&c, 5000), "and the connection is closed");
	raw_close(&c);
	big[2000 - 60] = '\0';	/* just under the limit */
	raw_open(&c, h.port[0]);
	req(&c, GET, big, "");
	got = raw_read_resp(&c, &r, 0, 5000);
	is_int(got, 200, "a request line under the limit is forwarded");
	raw_resp_free(&r);
	raw_close(&c);

	/* request_header_max_fields. */
	hdrs[0] = '\0';
	for (i = 0; i < 25; i++)
		snprintf(hdrs + strlen(hdrs), sizeof(hdrs) - strlen(hdrs),
		    "X-F%zu: v\r\n", i);
	raw_open(&c, h.port[0]);
	req(&c, GET, "/fine", hdrs);
	is_int(raw_read_resp(&c, &r, 0, 5000), 431, "26 fields with "
	    "request_header_max_fields 20: 431 (RFC 6585 §5)");
	raw_resp_free(&r);
	raw_close(&c);
	hdrs[0] = '\0';
	for (i = 0; i < 15; i++)
		snprintf(hdrs + strlen(hdrs), sizeof(hdrs) - strlen(hdrs),
		    "X-F%zu: v\r\n", i);
	raw_open(&c, h.port[0]);
	req(&c, GET, "/fine", hdrs);
	is_int(raw_read_resp(&c, &r, 0, 5000), 200, "16 fields: 200");
	raw_resp_free(&r);
	raw_close(&c);

	/* request_body_max_size, declared. */
	n0 = origin_nreq(o);
	raw_open(&c, h.port[0]);
	req(&c, POST, "/big", "Content-Length: 5000\r\n\r\n");
	is_int(raw_read_resp(&c, &r, 0, 5000), 413, "Content-Length over "
	    "request_body_max_size: 413 before the body (RFC 9110 §15.5.14)");
	ok(raw_resp_header(&r, "Connection") != NULL &&
	    strstr(raw_resp_header(&r, "Connection"), "close") != NULL,
	    "413 says Connection: close (the body is unread)");
	raw_resp_free(&r);
	raw_close(&c);
	is_int(origin_nreq(o), n0, "the origin never saw the oversized POST");

	/* ... under the limit it goes through. */
	raw_open(&c, h.port[0]);
	req(&c, POST, "/small", "Content-Length: 5\r\n\r\nhello");
	is_int(raw_read_resp(&c, &r, 0, 5000), 200, "a 5-byte body: 200");
	is_str(r.body, "hello", "and the origin got it");
	raw_resp_free(&r);
	raw_close(&c);

	/* ... chunked, no declared length: cut at the limit. */
	raw_open(&c, h.port[0]);
	req(&c, POST, "/chunky", "Transfer-Encoding: chunked\r\n\r\n");
	memset(big, 'b', 1000);
	snprintf(creq, sizeof(creq), "3e8\r\n");
	for (i = 0; i < 3; i++) {
		raw_sends(&c, creq);
		raw_send(&c, big, 1000);
		raw_sends(&c, "\r\n");
	}
	is_int(raw_read_resp(&c, &r, 0, 5000), 413, "chunked body over "
	    "request_body_max_size: 413");
	raw_resp_free(&r);
	raw_close(&c);

	/* request_timeout: a head trickled a byte at a time. */
	raw_open(&t, h.port[0]);
	raw_sends(&t, "G");
	raw_sends(&t, "E");
	raw_open(&c, h.port[0]);
	req(&c, GET, "/ok", "");
	is_int(raw_read_resp(&c, &r, 0, 5000), 200, "another client is "
	    "served while one trickles its head");
	raw_resp_free(&r);
	raw_close(&c);
	for (i = 0; i < 40; i++) {	/* 4 s of trickle at most */
		if (raw_sends(&t, "T") == -1)
			break;
		harness_msleep(100);
	}
	is_int(raw_read_resp(&t, &r, 0, 5000), 408, "the trickling client "
	    "gets 408 after request_timeout, however it keeps sending");
	raw_resp_free(&r);
	ok(raw_wait_eof(&t, 5000), "and its connection is closed");
	raw_close(&t);

	/* client_idle_pconn_timeout. */
	raw_open(&c, h.port[0]);
	req(&c, GET, "/ok", "");
	is_int(raw_read_resp(&c, &r, 0, 5000), 200, "keep-alive request: 200");
	raw_resp_free(&r);
	ok(raw_wait_eof(&c, 5000), "an idle kept-alive client connection is "
	    "closed after client_idle_pconn_timeout");
	raw_close(&c);

	/* read_timeout on a body that stalls. */
	raw_open(&c, h.port[0]);
	req(&c, GET, "/stall", "");
	got = raw_read_resp(&c, &r, 0, 8000);
	ok(got == -1 || !r.complete, "a response body stalled past "
	    "read_timeout reaches the client truncated, not complete");
	raw_resp_free(&r);
	ok(raw_wait_eof(&c, 5000), "and the client connection is closed");
	raw_close(&c);
	line = harness_file_wait(h.cache_log, 3000, "/stall", NULL);
	ok(line != NULL, "the truncation is in cache_log");
	free(line);
	line = harness_log_wait(&h, "TCP_MISS_TIMEDOUT/200", "/stall", NULL);
	ok(line != NULL, "and the access log marks it TCP_MISS_TIMEDOUT/200 "
	    "(squid's code for a timed-out transaction)");
	free(line);

	/* A body shorter than its Content-Length (RFC 9112 §8). */
	raw_open(&c, h.port[0]);
	req(&c, GET, "/short", "");
	got = raw_read_resp(&c, &r, 0, 5000);
	ok(got == -1 || !r.complete, "a response body cut short by the origin "
	    "reaches the client incomplete, never as a whole message");
	raw_resp_free(&r);
	ok(raw_wait_eof(&c, 5000), "and the client connection is closed");
	raw_close(&c);
	line = harness_log_wait(&h, "TCP_MISS_ABORTED/200", "/short", NULL);
	ok(line != NULL, "the access log marks it TCP_MISS_ABORTED/200");
	free(line);

	/* tunnel_idle_timeout. */
	raw_open(&c, h.port[0]);
	snprintf(creq, sizeof(creq), "CONNECT 127.0.0.1:%d HTTP/1.1\r\n"
	    "Host: 127.0.0.1:%d\r\n\r\n", echo_port(e), echo_port(e));
	raw_sends(&c, creq);
	is_int(raw_read_head(&c, &r, 5000), 200, "CONNECT: 200");
	raw_resp_free(&r);
	ok(raw_wait_eof(&c, 5000), "a silent tunnel is closed after "
	    "tunnel_idle_timeout");
	raw_close(&c);

	raw_open(&c, h.port[0]);
	req(&c, GET, "/after", "Connection: close\r\n");
	is_int(raw_read_resp(&c, &r, 0, 5000), 200, "sluice still serves");
	raw_resp_free(&r);
	raw_close(&c);

	origin_finish(o);
	harness_stop(&h);
	harness_end(&h);
	origin_free(o);
	echo_stop(e);
	return exit_status();
}
