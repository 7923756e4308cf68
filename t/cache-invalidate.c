/*
 * cache-invalidate.c -- RFC 9111 §4.4 and §4.3.5 through a real sluice:
 * a non-error answer to an unsafe method invalidates the target URI and
 * the same-origin URIs in its Location and Content-Location (relative
 * ones resolved against the target), never another origin's, and an
 * error answer invalidates nothing; a 200 to a forwarded HEAD freshens
 * the stored GET response when the validators match and removes it when
 * they differ; a response with Set-Cookie is stored without it.
 *
 * Integration test: a real sluice with cache_dir, two scripted origins,
 * raw clients.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "origin.h"
#include "raw.h"
#include "tap.h"

#define MA	"Cache-Control: max-age=600\r\n"

static char hdr_form[256], hdr_form2[256];

static struct origin_step steps[] = {
	/* 0-4: stored first */
	{ .expect = "GET /a", .status = 200, .body = "a1", .headers = MA },
	{ .expect = "GET /b", .status = 200, .body = "b1", .headers = MA },
	{ .expect = "GET /c", .status = 200, .body = "c1", .headers = MA },
	{ .expect = "GET /d", .status = 200, .body = "d1", .headers = MA },
	{ .expect = "GET /dir/e", .status = 200, .body = "e1", .headers = MA },
	/* 5: POST -> 303, Location /a, Content-Location absolute /b */
	{ .expect = "POST /form", .status = 303, .body = "" },
	/* 6-7: refetched after the invalidation */
	{ .expect = "GET /a", .status = 200, .body = "a2", .headers = MA },
	{ .expect = "GET /b", .status = 200, .body = "b2", .headers = MA },
	/* 8: PUT -> 500 with Location /c: nothing invalidated */
	{ .expect = "PUT /c", .status = 500, .body = "",
	    .headers = "Location: /c\r\n" },
	/* 9: DELETE -> 200, Location to the other origin */
	{ .expect = "DELETE /x", .status = 200, .body = "" },
	/* 10: POST /dir/f -> 201, Location: e (relative) and ../d */
	{ .expect = "POST /dir/f", .status = 201, .body = "",
	    .headers = "Location: e\r\nContent-Location: ../d\r\n" },
	{ .expect = "GET /dir/e", .status = 200, .body = "e2", .headers = MA },
	{ .expect = "GET /d", .status = 200, .body = "d2", .headers = MA },
	/* 13-15: HEAD freshens a stale GET (same ETag) */
	{ .expect = "GET /h", .status = 200, .body = "hbody",
	    .headers = "Cache-Control: max-age=0\r\nETag: \"h1\"\r\n" },
	{ .expect = "HEAD /h", .status = 200, .body_len = 5,
	    .headers = "Cache-Control: max-age=600\r\nETag: \"h1\"\r\n"
	    "X-Fresh: yes\r\n" },
	/* 15-17: HEAD with another ETag: the stored GET goes */
	{ .expect = "GET /g", .status = 200, .body = "gold",
	    .headers = "Cache-Control: max-age=0\r\nETag: \"g1\"\r\n" },
	{ .expect = "HEAD /g", .status = 200, .body_len = 4,
	    .headers = "Cache-Control: max-age=600\r\nETag: \"g2\"\r\n" },
	{ .expect = "GET /g", .status = 200, .body = "gnew",
	    .headers = "Cache-Control: max-age=600\r\nETag: \"g2\"\r\n" },
	/* 18: Set-Cookie: stored without it */
	{ .expect = "GET /sc", .status = 200, .body = "cookie1",
	    .headers = "Cache-Control: max-age=600\r\nSet-Cookie: s=1\r\n"
	    "X-Kept: yes\r\n" },
	/* 20-21: fields named by no-cache="..." / private="..." not stored */
	{ .expect = "GET /nc", .status = 200, .body = "nc",
	    .headers = "Cache-Control: max-age=600, no-cache=\"A, b\"\r\n"
	    "a: 1\r\nB: 2\r\nC: 3\r\n" },
	{ .expect = "GET /pv", .status = 200, .body = "pv",
	    .headers = "Cache-Control: private=\"X-User\", max-age=600\r\n"
	    "X-User: alice\r\nX-Other: kept\r\n" },
	/* 22: Connection-listed fields are not stored either */
	{ .expect = "GET /cn", .status = 200, .body = "cn",
	    .headers = "Cache-Control: max-age=600\r\nConnection: a, b\r\n"
	    "a: 1\r\nb: 2\r\nc: 3\r\n" },
};
#define NSTEPS	((int)(sizeof(steps) / sizeof(steps[0])))

static const struct origin_step steps2[] = {
	{ .expect = "GET /o", .status = 200, .body = "other", .headers = MA },
};

static int oport, oport2;

static int
ask(struct harness *h, const char *method, int port, const char *path,
    const char *extra, struct raw_resp *r)
{
	struct raw c;
	char req[1024];
	int st;

	if (raw_open(&c, h->port[0]) == -1)
		return -1;
	snprintf(req, sizeof(req), "%s http://127.0.0.1:%d%s HTTP/1.1\r\n"
	    "Host: x\r\n%sConnection: close\r\n\r\n", method, port, path,
	    extra ? extra : "");
	raw_sends(&c, req);
	st = raw_read_resp(&c, r, strcmp(method, "HEAD") == 0, 10000);
	raw_close(&c);
	return st;
}

/* GET: the body, and whether Cache-Status holds @p cs. */
static int
get(struct harness *h, int port, const char *path, const char *body,
    const char *cs)
{
	struct raw_resp r;
	int good;

	good = ask(h, "GET", port, path, NULL, &r) == 200 && r.body != NULL &&
	    strcmp(r.body, body) == 0 && raw_has(&r, "Cache-Status", cs);
	if (!good)
		diag("GET %s: \"%s\", Cache-Status: %s", path,
		    r.body ? r.body : "", raw_resp_header(&r, "Cache-Status") ?
		    raw_resp_header(&r, "Cache-Status") : "(none)");
	raw_resp_free(&r);
	return good;
}

int
main(void)
{
	struct harness h;
	struct origin *o, *o2;
	struct raw_resp r;

	plan(33 + 2 * ORIGIN_FINISH_TESTS + HARNESS_STOP_TESTS +
	    HARNESS_END_TESTS);
	o2 = origin_start(steps2, 1);
	oport2 = origin_port(o2);
	o = origin_start(steps, NSTEPS);
	oport = origin_port(o);
	/* Absolute URLs need the ports: set before any request is sent. */
	snprintf(hdr_form, sizeof(hdr_form), "Location: /a\r\n"
	    "Content-Location: http://127.0.0.1:%d/b\r\n", oport);
	steps[5].headers = hdr_form;
	snprintf(hdr_form2, sizeof(hdr_form2), "Location: "
	    "http://127.0.0.1:%d/o\r\nContent-Location: //127.0.0.1:%d/o\r\n",
	    oport2, oport2);
	steps[9].headers = hdr_form2;
	harness_init(&h, 1);
	harness_conf(&h, "http_access allow localhost\nhttp_access deny all\n"
	    "cache_dir lmdb %DIR%/cache 10\n");
	if (harness_start(&h) == -1)
		bail_out("sluice did not start");

	ok(get(&h, oport, "/a", "a1", "stored") &&
	    get(&h, oport, "/b", "b1", "stored") &&
	    get(&h, oport, "/c", "c1", "stored") &&
	    get(&h, oport, "/d", "d1", "stored") &&
	    get(&h, oport, "/dir/e", "e1", "stored") &&
	    get(&h, oport2, "/o", "other", "stored"), "six objects stored");
	ok(get(&h, oport, "/a", "a1", "hit") && get(&h, oport2, "/o", "other",
	    "hit"), "and served from the cache");

	/* §4.4: Location and Content-Location of the same origin. */
	is_int(ask(&h, "POST", oport, "/form", "Content-Length: 0\r\n", &r),
	    303, "POST /form: 303 with Location /a, Content-Location "
	    "http://127.0.0.1:PORT/b");
	raw_resp_free(&r);
	ok(get(&h, oport, "/a", "a2", "fwd=uri-miss"), "/a (Location, an "
	    "absolute path) was invalidated");
	ok(get(&h, oport, "/b", "b2", "fwd=uri-miss"), "/b (Content-Location, "
	    "an absolute URI) was invalidated");
	ok(get(&h, oport, "/c", "c1", "hit"), "/c, not named, is still "
	    "stored");

	/* An error answer invalidates nothing (§4.4: non-error only). */
	is_int(ask(&h, "PUT", oport, "/c", "Content-Length: 0\r\n", &r), 500,
	    "PUT /c: 500 with Location /c");
	raw_resp_free(&r);
	ok(get(&h, oport, "/c", "c1", "hit"), "/c is still stored after the "
	    "error answer");

	/* Another origin's URL is never invalidated. */
	is_int(ask(&h, "DELETE", oport, "/x", NULL, &r), 200, "DELETE /x: "
	    "200 naming the other origin's /o");
	raw_resp_free(&r);
	ok(get(&h, oport2, "/o", "other", "hit"), "the other origin's /o is "
	    "still stored (§4.4: same host only)");

	/* Relative references, resolved against the target (RFC 3986 §5). */
	is_int(ask(&h, "POST", oport, "/dir/f", "Content-Length: 0\r\n", &r),
	    201, "POST /dir/f: 201 with Location e, Content-Location ../d");
	raw_resp_free(&r);
	ok(get(&h, oport, "/dir/e", "e2", "fwd=uri-miss"), "/dir/e (relative "
	    "\"e\") was invalidated");
	ok(get(&h, oport, "/d", "d2", "fwd=uri-miss"), "/d (\"../d\") was "
	    "invalidated");

	/* §4.3.5: HEAD freshens a matching stored GET. */
	ok(get(&h, oport, "/h", "hbody", "stored"), "/h stored, stale at once");
	is_int(ask(&h, "HEAD", oport, "/h", NULL, &r), 200, "HEAD /h: 200 "
	    "from the origin, same ETag, max-age=600");
	raw_resp_free(&r);
	is_int(ask(&h, "GET", oport, "/h", NULL, &r), 200, "GET /h");
	ok(r.body != NULL && strcmp(r.body, "hbody") == 0 &&
	    raw_has(&r, "Cache-Status", "hit") && raw_has(&r, "X-Fresh", "yes"),
	    "a hit now, with the HEAD's fields, and the stored body");
	raw_resp_free(&r);

	/* §4.3.5: a HEAD with another ETag: the stored GET is outdated. */
	ok(get(&h, oport, "/g", "gold", "stored"), "/g stored, stale at once");
	is_int(ask(&h, "HEAD", oport, "/g", NULL, &r), 200, "HEAD /g: 200, "
	    "another ETag");
	raw_resp_free(&r);
	ok(get(&h, oport, "/g", "gnew", "fwd=uri-miss"), "the old /g was "
	    "removed: the next GET fetches the new one");

	/* Set-Cookie: one client's cookie is never served to another. */
	is_int(ask(&h, "GET", oport, "/sc", NULL, &r), 200, "GET /sc");
	ok(raw_has(&r, "Set-Cookie", "s=1") && raw_has(&r, "Cache-Status",
	    "stored"),
	    "the client that fetched it gets its Set-Cookie; stored");
	raw_resp_free(&r);
	is_int(ask(&h, "GET", oport, "/sc", NULL, &r), 200, "GET /sc again");
	ok(raw_has(&r, "Cache-Status", "hit") && r.body != NULL &&
	    strcmp(r.body, "cookie1") == 0 && raw_has(&r, "X-Kept", "yes") &&
	    raw_resp_header(&r, "Set-Cookie") == NULL, "a hit without the "
	    "Set-Cookie (as if no-cache=\"Set-Cookie\", RFC 9111 §5.2.2.4)");
	raw_resp_free(&r);

	/* §5.2.2.4, §5.2.2.7: the listed fields are not stored, the rest is. */
	ok(get(&h, oport, "/nc", "nc", "stored"), "no-cache=\"A, b\": stored");
	is_int(ask(&h, "GET", oport, "/nc", NULL, &r), 200, "GET /nc again");
	ok(raw_has(&r, "Cache-Status", "hit") && raw_resp_header(&r,
	    "a") == NULL &&
	    raw_resp_header(&r, "b") == NULL && raw_has(&r, "C", "3"),
	    "a hit without the fields no-cache named, with the others "
	    "(RFC 9111 §5.2.2.4)");
	raw_resp_free(&r);
	ok(get(&h, oport, "/pv", "pv", "stored"), "private=\"X-User\": stored "
	    "by a shared cache");
	is_int(ask(&h, "GET", oport, "/pv", NULL, &r), 200, "GET /pv again");
	ok(raw_has(&r, "Cache-Status", "hit") &&
	    raw_resp_header(&r, "X-User") == NULL && raw_has(&r, "X-Other",
	    "kept"),
	    "a hit without X-User (RFC 9111 §5.2.2.7)");
	raw_resp_free(&r);
	ok(get(&h, oport, "/cn", "cn", "stored"), "Connection: a, b: stored");
	is_int(ask(&h, "GET", oport, "/cn", NULL, &r), 200, "GET /cn again");
	ok(raw_has(&r, "Cache-Status", "hit") && raw_resp_header(&r,
	    "a") == NULL &&
	    raw_resp_header(&r, "b") == NULL && raw_has(&r, "c", "3"),
	    "a hit without the fields Connection listed (RFC 9110 §7.6.1)");
	raw_resp_free(&r);

	harness_stop(&h);
	origin_finish(o);
	origin_free(o);
	origin_finish(o2);
	origin_free(o2);
	harness_end(&h);
	return exit_status();
}
