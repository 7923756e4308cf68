/*
 * acl-deny.c -- http_access rules: a deny answers 403 without touching the
 * origin and is logged TCP_DENIED/403; port and method ACLs select what
 * they name; the first matching rule wins; nothing matched means deny.
 *
 * Integration test: four short runs of a real sluice, each with its own
 * configuration, against two scripted origins (one must never be
 * reached); libcurl as the client.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "harness.h"
#include "origin.h"
#include "tap.h"

/* The origin that some rules allow. */
static const struct origin_step steps_a[] = {
	{ .expect = "GET /port-allowed", .status = 200, .body = "port ok" },
	{ .expect = "GET /order", .status = 200, .body = "allowed first" },
};

static void
start(struct harness *h, int ports_a, int port_b, const char *snippet)
{
	harness_init(h, 1);
	harness_set(h, "ORIGIN_A", "%d", ports_a);
	harness_set(h, "ORIGIN_B", "%d", port_b);
	harness_conf(h, snippet);
	if (harness_start(h) == -1)
		bail_out("sluice did not start");
}

/* GET or POST @p path on @p port through @p h; @return the status. */
static long
req(struct harness *h, const char *method, int port, const char *path,
    struct client_resp *r)
{
	struct client *cl;
	struct client_req q;
	char u[256];
	long st;

	snprintf(u, sizeof(u), "http://127.0.0.1:%d%s", port, path);
	memset(&q, 0, sizeof(q));
	q.method = method;
	q.url = u;
	if (method != NULL && strcmp(method, "POST") == 0)
		q.body = "a=b";
	cl = client_new(h->port[0]);
	st = client_do(cl, &q, r);
	client_free(cl);
	return st;
}

int
main(void)
{
	struct harness h;
	struct origin *a, *b;
	struct client_resp r;
	char u[256], *line;
	int pa, pb;

	plan(18 + ORIGIN_FINISH_TESTS * 2 +
	    4 * (HARNESS_STOP_TESTS + HARNESS_END_TESTS));

	a = origin_start(steps_a, 2);
	b = origin_start(NULL, 0);	/* must never be reached */
	pa = origin_port(a);
	pb = origin_port(b);

	/* 1. deny all. */
	start(&h, pa, pb, "http_access deny all\n");
	is_int(req(&h, NULL, pb, "/never", &r), 403,
	    "deny all: GET is answered 403");
	is_str(client_resp_header(&r, "X-Sluice-Error"), "ERR_ACCESS_DENIED",
	    "deny all: X-Sluice-Error: ERR_ACCESS_DENIED");
	ok(strstr(r.body, "<html") != NULL, "deny all: with an HTML page");
	client_resp_free(&r);
	snprintf(u, sizeof(u), "http://127.0.0.1:%d/never", pb);
	line = harness_log_wait(&h, "TCP_DENIED/403", " GET ", u, NULL);
	ok(line != NULL, "deny all: access log has TCP_DENIED/403 GET %s", u);
	like(line, "HIER_NONE/-", "deny all: access log shows no peer");
	free(line);
	is_int(origin_nreq(b), 0, "deny all: the origin saw no request");
	harness_stop(&h);
	harness_end(&h);

	/* 2. A port ACL denies one origin and not the other. */
	start(&h, pa, pb,
	    "acl blocked port %ORIGIN_B%\n"
	    "http_access deny blocked\n"
	    "http_access allow localhost\n"
	    "http_access deny all\n");
	is_int(req(&h, NULL, pb, "/never", &r), 403,
	    "port ACL: the blocked port is answered 403");
	client_resp_free(&r);
	is_int(req(&h, NULL, pa, "/port-allowed", &r), 200,
	    "port ACL: another port is allowed: 200");
	is_str(r.body, "port ok", "port ACL: the allowed request reaches "
	    "the origin");
	client_resp_free(&r);
	is_int(origin_nreq(b), 0, "port ACL: the blocked origin saw no "
	    "request");
	line = harness_log_wait(&h, "TCP_DENIED/403", u, NULL);
	ok(line != NULL, "port ACL: the denial is logged");
	free(line);
	harness_stop(&h);
	harness_end(&h);

	/* 3. Order: the first matching rule wins. */
	start(&h, pa, pb,
	    "acl nopost method POST\n"
	    "http_access deny nopost\n"
	    "http_access allow localhost\n"
	    "http_access deny all\n");
	is_int(req(&h, NULL, pa, "/order", &r), 200,
	    "order: allow localhost before deny all wins: 200");
	is_str(r.body, "allowed first", "order: the request reached the "
	    "origin");
	client_resp_free(&r);
	is_int(req(&h, "POST", pb, "/never", &r), 403,
	    "order: deny of a method ACL before allow localhost wins: 403");
	client_resp_free(&r);
	is_int(origin_nreq(b), 0, "order: the denied POST never reached the "
	    "origin");
	line = harness_log_wait(&h, "TCP_DENIED/403", " POST ", NULL);
	ok(line != NULL, "order: access log has TCP_DENIED/403 POST");
	free(line);
	harness_stop(&h);
	harness_end(&h);

	/* 4. No rule matches: deny. */
	start(&h, pa, pb,
	    "acl elsewhere src 10.0.0.0/8\n"
	    "http_access allow elsewhere\n");
	is_int(req(&h, NULL, pb, "/never", &r), 403,
	    "no rule matches the client: 403 (implicit deny)");
	client_resp_free(&r);
	is_int(origin_nreq(b), 0, "implicit deny: the origin saw no request");
	harness_stop(&h);
	harness_end(&h);

	origin_finish(a);
	origin_finish(b);
	origin_free(a);
	origin_free(b);
	return exit_status();
}
