/*
 * proxy-chunked.c -- bodies framed by chunked coding or by close are
 * relayed whole and byte-exact, both ways.
 *
 * Integration test: a real sluice, the scripted origin, libcurl, and a raw
 * client to check the framing the proxy puts on the wire.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "harness.h"
#include "origin.h"
#include "raw.h"
#include "tap.h"

#define BIG		(3u << 20)	/* 3 MB in chunks of varied sizes */
#define UPLOAD		(1u << 20)
#define CLOSED		500000

static const struct origin_step steps[] = {
	{ .expect = "GET /chunked", .status = 200, .body_len = BIG,
	    .flags = ORIGIN_CHUNKED },
	{ .expect = "GET /small", .status = 200,
	    .body = "hello, chunked world", .flags = ORIGIN_CHUNKED },
	{ .expect = "POST /upload", .status = 200, .body = "got it" },
	{ .expect = "GET /closed", .status = 200, .body_len = CLOSED,
	    .flags = ORIGIN_NO_LENGTH },
	{ .expect = "GET /raw-chunked", .status = 200, .body_len = 100000,
	    .flags = ORIGIN_CHUNKED },
	{ .expect = "GET /raw-closed", .status = 200, .body_len = 70000,
	    .flags = ORIGIN_NO_LENGTH },
};
#define NSTEPS	((int)(sizeof(steps) / sizeof(steps[0])))

static char	url[256];
static int	oport;

static const char *
u(const char *path)
{
	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", oport, path);
	return url;
}

/* GET @p path over a raw connection; checks the body and the framing. */
static void
raw_get(struct harness *h, const char *path, size_t len, const char *what)
{
	struct raw c;
	struct raw_resp r;
	char req[512];
	int st;

	if (raw_open(&c, h->port[0]) == -1) {
		ok(0, "%s: connect to sluice", what);
		ok(0, "%s: body", what);
		return;
	}
	snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
	    "\r\n", u(path), oport);
	raw_sends(&c, req);
	memset(&r, 0, sizeof(r));
	st = raw_read_resp(&c, &r, 0, 10000);
	is_int(st, 200, "%s: 200 with valid framing for an HTTP/1.1 client",
	    what);
	ok(r.complete && r.body_len == len &&
	    r.body_hash == harness_pattern_hash(len),
	    "%s: body complete and byte-exact (%zu bytes)", what, r.body_len);
	raw_resp_free(&r);
	raw_close(&c);
}

int
main(void)
{
	struct harness h;
	struct origin *o;
	struct client *cl;
	struct client_req q;
	struct client_resp r;
	const struct origin_req *or;
	char buf[256], *line;

	plan(15 + ORIGIN_FINISH_TESTS + HARNESS_STOP_TESTS +
	    HARNESS_END_TESTS);

	o = origin_start(steps, NSTEPS);
	oport = origin_port(o);
	harness_init(&h, 1);
	harness_conf(&h, "http_access allow localhost\nhttp_access deny all\n");
	if (harness_start(&h) == -1)
		bail_out("sluice did not start");
	cl = client_new(h.port[0]);

	/* A 3 MB chunked response. */
	memset(&q, 0, sizeof(q));
	q.url = u("/chunked");
	is_int(client_do(cl, &q, &r), 200, "chunked response: 200");
	ok(r.body_len == BIG && r.body_hash == harness_pattern_hash(BIG),
	    "3 MB chunked response arrives complete and byte-exact (%zu)",
	    r.body_len);
	client_resp_free(&r);

	/* A short one: the body must not carry chunk framing. */
	q.url = u("/small");
	is_int(client_do(cl, &q, &r), 200, "short chunked response: 200");
	is_str(r.body, "hello, chunked world",
	    "short chunked response body is decoded exactly once");
	client_resp_free(&r);

	/* A chunked upload. */
	memset(&q, 0, sizeof(q));
	q.method = "POST";
	q.url = u("/upload");
	q.body_len = UPLOAD;
	q.chunked = 1;
	is_int(client_do(cl, &q, &r), 200, "chunked upload: 200");
	is_str(r.body, "got it", "chunked upload: response body relayed");
	client_resp_free(&r);
	or = origin_req(o, 2);
	ok(or != NULL && or->body_len == UPLOAD &&
	    or->body_hash == harness_pattern_hash(UPLOAD),
	    "chunked upload arrives complete and byte-exact at the origin "
	    "(%zu)", or != NULL ? or->body_len : 0);
	ok(or != NULL && !(origin_req_header(or, "Content-Length", buf,
	    sizeof(buf)) != NULL && origin_req_header(or,
	    "Transfer-Encoding", buf, sizeof(buf)) != NULL),
	    "origin never gets both Content-Length and Transfer-Encoding");

	/* A response delimited by close. */
	memset(&q, 0, sizeof(q));
	q.url = u("/closed");
	is_int(client_do(cl, &q, &r), 200, "close-delimited response: 200");
	ok(r.body_len == CLOSED && r.body_hash == harness_pattern_hash(CLOSED),
	    "close-delimited response arrives complete and byte-exact (%zu)",
	    r.body_len);
	client_resp_free(&r);
	client_free(cl);

	/* The same two framings, read by a strict raw client. */
	raw_get(&h, "/raw-chunked", 100000, "chunked origin, raw client");
	raw_get(&h, "/raw-closed", 70000, "close-delimited origin, raw client");

	line = harness_log_wait(&h, "TCP_MISS/200", " GET ", u("/chunked"),
	    NULL);
	ok(line != NULL && harness_field(line, 4, buf, sizeof(buf)) != NULL &&
	    strtoull(buf, NULL, 10) >= BIG,
	    "access log: chunked GET logged with at least 3 MB sent (%s)",
	    line != NULL ? buf : "no line");
	free(line);

	origin_finish(o);
	harness_stop(&h);
	harness_end(&h);
	origin_free(o);
	return exit_status();
}
