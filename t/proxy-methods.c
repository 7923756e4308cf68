/*
 * proxy-methods.c -- every method is forwarded with its body, byte-exact,
 * in origin form, with hop-by-hop headers removed and Via added.
 *
 * Integration test: a real sluice, the scripted origin, libcurl.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "harness.h"
#include "origin.h"
#include "tap.h"

#define BIG	(20u << 20)		/* 20 MB each way */
#define PUT_LEN	100000

static const struct origin_step steps[] = {
	{ .expect = "GET /get", .status = 200,
	    .headers = "Content-Type: text/plain\r\n", .body = "get body" },
	{ .expect = "HEAD /head", .status = 200,
	    .headers = "Content-Type: text/plain\r\n", .body_len = 1234 },
	{ .expect = "POST /post", .status = 200, .flags = ORIGIN_ECHO },
	{ .expect = "PUT /put", .status = 201, .flags = ORIGIN_ECHO },
	{ .expect = "DELETE /del", .status = 204 },
	{ .expect = "OPTIONS /opt", .status = 200,
	    .headers = "Allow: GET, HEAD, OPTIONS\r\n", .body = "" },
	{ .expect = "PATCH /patch", .status = 200, .flags = ORIGIN_ECHO },
	{ .expect = "GET /big", .status = 200, .body_len = BIG },
	{ .expect = "POST /upload", .status = 200, .body = "stored" },
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

int
main(void)
{
	static const char post_body[] = "name=value&x=1&bytes=\x01\x02\xff";
	struct harness h;
	struct origin *o;
	struct client *cl;
	struct client_req q;
	struct client_resp r;
	const struct origin_req *or;
	char buf[512], want[128], *line;

	plan(45 + ORIGIN_FINISH_TESTS + HARNESS_STOP_TESTS +
	    HARNESS_END_TESTS);

	o = origin_start(steps, NSTEPS);
	oport = origin_port(o);
	harness_init(&h, 1);
	harness_conf(&h, "http_access allow localhost\nhttp_access deny all\n");
	if (harness_start(&h) == -1)
		bail_out("sluice did not start");
	cl = client_new(h.port[0]);

	/* GET, with a Proxy-Connection header that must not go upstream. */
	memset(&q, 0, sizeof(q));
	q.url = u("/get");
	q.headers = "Proxy-Connection: keep-alive\nX-Test: kept";
	is_int(client_do(cl, &q, &r), 200, "GET is relayed: 200");
	is_str(r.body, "get body", "GET response body is relayed");
	like(client_resp_header(&r, "Via"), "1.1 sluice-test (sluice/",
	    "response carries Via: 1.1 <visible_hostname> (sluice/...)");
	client_resp_free(&r);
	or = origin_req(o, 0);
	ok(or != NULL && strcmp(or->line, "GET /get HTTP/1.1") == 0,
	    "origin got the origin-form target \"GET /get HTTP/1.1\" (%s)",
	    or != NULL ? or->line : "none");
	snprintf(want, sizeof(want), "127.0.0.1:%d", oport);
	is_str(or != NULL ? origin_req_header(or, "Host", buf, sizeof(buf)) :
	    NULL, want, "origin got Host matching the absolute URI");
	like(or != NULL ? origin_req_header(or, "Via", buf, sizeof(buf)) :
	    NULL, "1.1 sluice-test", "origin got a Via header naming sluice");
	ok(or != NULL && origin_req_header(or, "Proxy-Connection", buf,
	    sizeof(buf)) == NULL, "Proxy-Connection is not forwarded");
	is_str(or != NULL ? origin_req_header(or, "X-Test", buf, sizeof(buf)) :
	    NULL, "kept", "end-to-end request headers are forwarded");

	/* HEAD: Content-Length from the origin, but no body. */
	memset(&q, 0, sizeof(q));
	q.method = "HEAD";
	q.url = u("/head");
	is_int(client_do(cl, &q, &r), 200, "HEAD is relayed: 200");
	is_int((long long)r.body_len, 0, "HEAD response has no body");
	is_str(client_resp_header(&r, "Content-Length"), "1234",
	    "HEAD response keeps the origin's Content-Length");
	client_resp_free(&r);
	or = origin_req(o, 1);
	ok(or != NULL && strncmp(or->line, "HEAD /head ", 11) == 0,
	    "origin got HEAD");

	/* POST with a small binary body, echoed back. */
	memset(&q, 0, sizeof(q));
	q.method = "POST";
	q.url = u("/post");
	q.body = post_body;
	q.body_len = sizeof(post_body) - 1;
	is_int(client_do(cl, &q, &r), 200, "POST is relayed: 200");
	ok(r.body_len == sizeof(post_body) - 1 &&
	    memcmp(r.body, post_body, r.body_len) == 0,
	    "POST body comes back byte-exact through the proxy");
	client_resp_free(&r);
	or = origin_req(o, 2);
	ok(or != NULL && strncmp(or->line, "POST /post ", 11) == 0,
	    "origin got POST");
	ok(or != NULL && or->body_len == sizeof(post_body) - 1 &&
	    memcmp(or->body, post_body, or->body_len) == 0,
	    "origin got the POST body byte-exact");

	/* PUT with a 100 KB pattern body. */
	memset(&q, 0, sizeof(q));
	q.method = "PUT";
	q.url = u("/put");
	q.body_len = PUT_LEN;
	is_int(client_do(cl, &q, &r), 201, "PUT is relayed: 201");
	ok(r.body_len == PUT_LEN && r.body_hash ==
	    harness_pattern_hash(PUT_LEN), "PUT body echoed byte-exact");
	client_resp_free(&r);
	or = origin_req(o, 3);
	ok(or != NULL && strncmp(or->line, "PUT /put ", 9) == 0 &&
	    or->body_len == PUT_LEN &&
	    or->body_hash == harness_pattern_hash(PUT_LEN),
	    "origin got PUT with its 100 KB body byte-exact");

	/* DELETE, answered 204. */
	memset(&q, 0, sizeof(q));
	q.method = "DELETE";
	q.url = u("/del");
	is_int(client_do(cl, &q, &r), 204, "DELETE is relayed: 204");
	is_int((long long)r.body_len, 0, "204 has no body");
	client_resp_free(&r);
	or = origin_req(o, 4);
	ok(or != NULL && strncmp(or->line, "DELETE /del ", 12) == 0,
	    "origin got DELETE");

	/* OPTIONS. */
	memset(&q, 0, sizeof(q));
	q.method = "OPTIONS";
	q.url = u("/opt");
	is_int(client_do(cl, &q, &r), 200, "OPTIONS is relayed: 200");
	is_str(client_resp_header(&r, "Allow"), "GET, HEAD, OPTIONS",
	    "OPTIONS response headers are relayed");
	client_resp_free(&r);
	or = origin_req(o, 5);
	ok(or != NULL && strncmp(or->line, "OPTIONS /opt ", 13) == 0,
	    "origin got OPTIONS");

	/* PATCH. */
	memset(&q, 0, sizeof(q));
	q.method = "PATCH";
	q.url = u("/patch");
	q.body = "{\"op\":\"replace\"}";
	is_int(client_do(cl, &q, &r), 200, "PATCH is relayed: 200");
	is_str(r.body, "{\"op\":\"replace\"}", "PATCH body echoed");
	client_resp_free(&r);
	or = origin_req(o, 6);
	ok(or != NULL && strncmp(or->line, "PATCH /patch ", 13) == 0 &&
	    or->body_len == 16, "origin got PATCH with its body");

	/* 20 MB response. */
	memset(&q, 0, sizeof(q));
	q.url = u("/big");
	is_int(client_do(cl, &q, &r), 200, "GET of a 20 MB body: 200");
	is_int((long long)r.body_len, BIG, "20 MB response body is complete");
	ok(r.body_hash == harness_pattern_hash(BIG),
	    "20 MB response body is byte-exact");
	client_resp_free(&r);

	/* 20 MB request body. */
	memset(&q, 0, sizeof(q));
	q.method = "POST";
	q.url = u("/upload");
	q.body_len = BIG;
	is_int(client_do(cl, &q, &r), 200, "POST of a 20 MB body: 200");
	is_str(r.body, "stored", "and its response body is relayed");
	client_resp_free(&r);
	or = origin_req(o, 8);
	ok(or != NULL && or->body_len == BIG,
	    "origin got all 20 MB of the request body (%zu)",
	    or != NULL ? or->body_len : 0);
	ok(or != NULL && or->body_hash == harness_pattern_hash(BIG),
	    "origin got the 20 MB request body byte-exact");

	client_free(cl);

	/* The access log: one TCP_MISS line per request. */
	line = harness_log_wait(&h, "TCP_MISS/200", " GET ", u("/get"), NULL);
	ok(line != NULL, "access log: TCP_MISS/200 GET %s", url);
	like(line, "HIER_DIRECT/127.0.0.1", "access log: GET went direct "
	    "to 127.0.0.1");
	like(line, "text/plain", "access log: content type is logged");
	like(line, " 127.0.0.1 ", "access log: client address is logged");
	free(line);
	line = harness_log_wait(&h, "TCP_MISS/200", " HEAD ", u("/head"),
	    NULL);
	ok(line != NULL, "access log: TCP_MISS/200 HEAD %s", url);
	free(line);
	line = harness_log_wait(&h, "TCP_MISS/200", " POST ", u("/post"),
	    NULL);
	ok(line != NULL, "access log: TCP_MISS/200 POST %s", url);
	free(line);
	line = harness_log_wait(&h, "TCP_MISS/201", " PUT ", u("/put"), NULL);
	ok(line != NULL, "access log: TCP_MISS/201 PUT %s", url);
	free(line);
	line = harness_log_wait(&h, "TCP_MISS/204", " DELETE ", u("/del"),
	    NULL);
	ok(line != NULL, "access log: TCP_MISS/204 DELETE %s", url);
	free(line);
	line = harness_log_wait(&h, "TCP_MISS/200", " GET ", u("/big"), NULL);
	ok(line != NULL && harness_field(line, 4, buf, sizeof(buf)) != NULL &&
	    strtoull(buf, NULL, 10) >= BIG,
	    "access log: GET /big logs at least 20 MB sent (%s)",
	    line != NULL ? buf : "no line");
	free(line);
	is_int(harness_file_wait_count(h.access_log, NULL, NSTEPS, 2000),
	    NSTEPS,
	    "access log has one line per request");

	origin_finish(o);
	harness_stop(&h);
	harness_end(&h);
	origin_free(o);
	return exit_status();
}
