/*
 * proxy-expect.c -- Expect: 100-continue (RFC 9110 §10.1.1).  A client
 * that waits for "100 Continue" before sending its body gets it from
 * sluice once the request is on its way upstream, then the final
 * response; the origin gets the body and no Expect it would answer a
 * second time.  An expectation other than 100-continue gets 417 and the
 * origin sees nothing.
 *
 * Integration test: a real sluice, the scripted origin, a raw client
 * (libcurl's own Expect handling would hide what is on the wire).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "origin.h"
#include "raw.h"
#include "tap.h"

static const struct origin_step steps[] = {
	{ .expect = "PUT /up", .status = 201, .flags = ORIGIN_ECHO },
};

int
main(void)
{
	struct harness h;
	struct origin *o;
	const struct origin_req *oq;
	struct raw c;
	struct raw_resp r;
	char req[512], hv[256], *v;
	int oport, n;

	plan(11 + ORIGIN_FINISH_TESTS + HARNESS_STOP_TESTS + HARNESS_END_TESTS);
	o = origin_start(steps, 1);
	oport = origin_port(o);
	harness_init(&h, 1);
	harness_conf(&h, "http_access allow localhost\nhttp_access deny all\n");
	if (harness_start(&h) == -1)
		bail_out("sluice did not start");

	/* Head only; the body waits for 100 Continue. */
	if (raw_open(&c, h.port[0]) == -1)
		bail_out("cannot connect to sluice");
	n = snprintf(req, sizeof(req), "PUT http://127.0.0.1:%d/up HTTP/1.1\r\n"
	    "Host: 127.0.0.1:%d\r\nContent-Length: 11\r\n"
	    "Expect: 100-continue\r\n\r\n", oport, oport);
	raw_send(&c, req, (size_t)n);
	memset(&r, 0, sizeof(r));
	is_int(raw_read_head(&c, &r, 5000), 100,
	    "a client waiting on Expect: 100-continue gets 100 Continue");
	raw_resp_free(&r);
	raw_sends(&c, "hello world");
	is_int(raw_read_resp(&c, &r, 0, 5000), 201,
	    "after the body, the final response arrives");
	is_str(r.body, "hello world", "the body went through intact");
	raw_resp_free(&r);
	raw_close(&c);
	oq = origin_req(o, 0);
	ok(oq != NULL && oq->body_len == 11, "the origin got the 11-byte body");
	ok(oq != NULL && origin_req_header(oq, "Expect", hv, sizeof(hv)) ==
	    NULL, "the origin got no Expect to answer a second time");

	/* An unknown expectation. */
	if (raw_open(&c, h.port[0]) == -1)
		bail_out("cannot connect to sluice");
	n = snprintf(req, sizeof(req), "PUT http://127.0.0.1:%d/other HTTP/1.1\r\n"
	    "Host: 127.0.0.1:%d\r\nContent-Length: 3\r\n"
	    "Expect: something-else\r\n\r\nabc", oport, oport);
	raw_send(&c, req, (size_t)n);
	is_int(raw_read_resp(&c, &r, 0, 5000), 417,
	    "an expectation other than 100-continue gets 417");
	like(raw_resp_header(&r, "X-Sluice-Error"), "ERR_EXPECTATION_FAILED",
	    "named ERR_EXPECTATION_FAILED");
	raw_resp_free(&r);
	ok(raw_wait_eof(&c, 5000), "and the connection is closed (the body "
	    "was not read)");
	raw_close(&c);
	is_int(origin_nreq(o), 1, "the origin never saw the 417 request");
	v = harness_log_wait(&h, "TCP_MISS/201", "PUT", (char *)NULL);
	ok(v != NULL, "access log: TCP_MISS/201 PUT");
	free(v);
	v = harness_log_wait(&h, "/417", "PUT", "/other", (char *)NULL);
	ok(v != NULL, "access log: the refused request is logged with 417");
	free(v);

	origin_finish(o);
	harness_stop(&h);
	harness_end(&h);
	origin_free(o);
	return exit_status();
}
