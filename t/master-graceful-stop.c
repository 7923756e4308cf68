/*
 * master-graceful-stop.c -- SIGTERM stops sluice gracefully: a response in
 * flight is completed byte-exact, idle keep-alive connections are closed,
 * the master exits 0 and the port is closed afterwards.
 *
 * Integration test: a real sluice, the scripted origin (one response
 * stalls in the middle of its body), raw clients.  The SIGTERM is sent
 * once the slow response's head has arrived, so the request is in flight
 * by construction, not by timing.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "origin.h"
#include "raw.h"
#include "tap.h"

#define SLOW_LEN	400000

static const struct origin_step steps[] = {
	{ .expect = "GET /idle", .status = 200, .body = "idle" },
	/* Head and half the body, 1.5 s of silence, then the rest. */
	{ .expect = "GET /slow", .status = 200, .body_len = SLOW_LEN,
	    .flags = ORIGIN_STALL, .stall_ms = 1500 },
};

int
main(void)
{
	struct harness h;
	struct origin *o;
	struct raw idle, slow, c;
	struct raw_resp r;
	char req[512], u[256], *line;
	int oport, refused;

	plan(8 + ORIGIN_FINISH_TESTS + HARNESS_STOP_TESTS +
	    HARNESS_END_TESTS);

	o = origin_start(steps, 2);
	oport = origin_port(o);
	harness_init(&h, 1);
	harness_conf(&h, "http_access allow localhost\nhttp_access deny all\n");
	if (harness_start(&h) == -1)
		bail_out("sluice did not start");

	/* A kept-alive connection, idle at the time of the stop. */
	if (raw_open(&idle, h.port[0]) == -1)
		bail_out("cannot connect to sluice");
	snprintf(req, sizeof(req), "GET http://127.0.0.1:%d/idle HTTP/1.1\r\n"
	    "Host: 127.0.0.1:%d\r\n\r\n", oport, oport);
	raw_sends(&idle, req);
	is_int(raw_read_resp(&idle, &r, 0, 10000), 200,
	    "a keep-alive request before the stop: 200");
	raw_resp_free(&r);

	/* The slow response: wait for its head, then stop sluice. */
	if (raw_open(&slow, h.port[0]) == -1)
		bail_out("cannot connect to sluice");
	snprintf(u, sizeof(u), "http://127.0.0.1:%d/slow", oport);
	snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
	    "\r\n", u, oport);
	raw_sends(&slow, req);
	is_int(raw_read_head(&slow, &r, 10000), 200,
	    "the slow response's head arrives");
	harness_signal(&h, SIGTERM);

	is_int(raw_read_body(&slow, &r, 0, 20000), 200,
	    "after SIGTERM, the response in flight is completed");
	ok(r.body_len == SLOW_LEN && r.body_hash ==
	    harness_pattern_hash(SLOW_LEN), "and its body is byte-exact "
	    "(%zu of %d bytes)", r.body_len, SLOW_LEN);
	raw_resp_free(&r);
	ok(raw_wait_eof(&slow, 15000), "the stopping worker closes the "
	    "connection after that response");
	raw_close(&slow);
	ok(raw_wait_eof(&idle, 15000), "the idle keep-alive connection is "
	    "closed by the stop");
	raw_close(&idle);

	harness_wait_exit(&h);

	refused = raw_open(&c, h.port[0]) == -1 && errno == ECONNREFUSED;
	if (!refused)
		raw_close(&c);
	ok(refused, "after the stop, connecting to the port is refused");
	line = harness_log_wait(&h, "TCP_MISS/200", " GET ", u, NULL);
	ok(line != NULL, "the completed slow request is in the access log");
	free(line);

	origin_finish(o);
	harness_end(&h);
	origin_free(o);
	return exit_status();
}
