/*
 * cache-vary.c -- Vary (RFC 9111 §4.1) through a real sluice: several
 * variants per URL, each found by the request's values of the fields the
 * response varies on; Accept-Encoding keyed as gzip or identity (vary.h)
 * and asked of the origin that way, so that every list that takes gzip
 * shares one variant and every other list the identity one (t/cache-gzip
 * has the inflating of the gzip one); Vary: * is never served from the
 * cache; a change of Vary drops the old variants; PURGE removes every
 * variant; a stale variant is revalidated as itself.  Cache-Status says
 * fwd=vary-miss when the URL is stored but not this variant (RFC 9211).
 *
 * Integration test: a real sluice with cache_dir, the scripted origin,
 * raw clients.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "origin.h"
#include "raw.h"
#include "tap.h"

#define AE	"Cache-Control: max-age=600\r\nVary: Accept-Encoding\r\n"

static const struct origin_step steps[] = {
	/* 0-1: two variants of /v, asked as gzip and as identity */
	{ .expect = "GET /v", .expect_hdr = "\r\nAccept-Encoding: gzip\r\n",
	    .status = 200, .body = "gzip-variant", .headers = AE },
	{ .expect = "GET /v", .expect_hdr = "\r\nAccept-Encoding: identity\r\n",
	    .status = 200, .body = "identity-variant", .headers = AE },
	/* 4-5: Vary: * is never served from the cache */
	{ .expect = "GET /star", .status = 200, .body = "star1",
	    .headers = "Cache-Control: max-age=600\r\nVary: *\r\n" },
	{ .expect = "GET /star", .status = 200, .body = "star2",
	    .headers = "Cache-Control: max-age=600\r\nVary: *\r\n" },
	/* 6-8: two fields, several lines, case of names */
	{ .expect = "GET /two", .status = 200, .body = "en-a",
	    .headers = "Cache-Control: max-age=600\r\nVary: accept-language\r\n"
	    "VARY: X-Flavour\r\n" },
	{ .expect = "GET /two", .status = 200, .body = "en-b",
	    .headers = "Cache-Control: max-age=600\r\n"
	    "Vary: X-Flavour, Accept-Language\r\n" },
	{ .expect = "GET /two", .status = 200, .body = "fr-a",
	    .headers = "Cache-Control: max-age=600\r\n"
	    "Vary: X-Flavour, Accept-Language\r\n" },
	/* 9-10: the Vary of /chg changes: the old variant goes */
	{ .expect = "GET /chg", .status = 200, .body = "by-lang",
	    .headers = "Cache-Control: max-age=600\r\nVary: Accept-Language\r\n" },
	{ .expect = "GET /chg", .status = 200, .body = "by-flavour",
	    .headers = "Cache-Control: max-age=600\r\nVary: X-Flavour\r\n" },
	{ .expect = "GET /chg", .status = 200, .body = "by-lang-2",
	    .headers = "Cache-Control: max-age=600\r\n" },
	/* 12-13: PURGE removes every variant of /v; then refetched */
	{ .expect = "GET /v", .status = 200, .body = "after-purge-gzip",
	    .headers = AE },
	{ .expect = "GET /v", .status = 200, .body = "after-purge-identity",
	    .headers = AE },
	/* 14-16: a stale variant is revalidated with its own validator */
	{ .expect = "GET /rv", .expect_hdr = "Accept-Encoding: gzip",
	    .status = 200, .body = "rv-gzip",
	    .headers = "Cache-Control: max-age=0\r\nVary: Accept-Encoding\r\n"
	    "ETag: \"g\"\r\n" },
	{ .expect = "GET /rv", .expect_hdr = "Accept-Encoding: identity",
	    .status = 200, .body = "rv-br",
	    .headers = "Cache-Control: max-age=0\r\nVary: Accept-Encoding\r\n"
	    "ETag: \"b\"\r\n" },
	{ .expect = "GET /rv", .expect_hdr = "If-None-Match: \"b\"",
	    .status = 304, .body = "",
	    .headers = "Cache-Control: max-age=600\r\nETag: \"b\"\r\n" },
	/* 17: a request with large headers is cached like any other */
	{ .expect = "GET /bh", .status = 200, .body = "bh",
	    .headers = "Cache-Control: max-age=600\r\nVary: Accept-Encoding\r\n",
	    .flags = ORIGIN_REPEAT },
};
#define NSTEPS	((int)(sizeof(steps) / sizeof(steps[0])))

static int oport;

static int
ask(struct harness *h, const char *method, const char *path,
    const char *extra, struct raw_resp *r)
{
	struct raw c;
	static char req[32768];
	int st;

	if (raw_open(&c, h->port[0]) == -1)
		return -1;
	snprintf(req, sizeof(req), "%s http://127.0.0.1:%d%s HTTP/1.1\r\n"
	    "Host: x\r\n%sConnection: close\r\n\r\n", method, oport, path,
	    extra ? extra : "");
	raw_sends(&c, req);
	st = raw_read_resp(&c, r, strcmp(method, "HEAD") == 0, 10000);
	raw_close(&c);
	return st;
}

/* GET @p path with @p extra; check the body and whether it was a hit. */
static void
get(struct harness *h, const char *path, const char *extra,
    const char *body, const char *status, const char *what)
{
	struct raw_resp r;
	int st;

	st = ask(h, "GET", path, extra, &r);
	ok(st == 200 && r.body != NULL && strcmp(r.body, body) == 0 &&
	    raw_has(&r, "Cache-Status", status), "%s: 200 \"%s\", Cache-Status "
	    "%s", what, body, status);
	if (st != 200 || r.body == NULL || strcmp(r.body, body) != 0 ||
	    !raw_has(&r, "Cache-Status", status))
		diag("got %d \"%s\", Cache-Status: %s", st,
		    r.body ? r.body : "(null)",
		    raw_resp_header(&r, "Cache-Status") ?
		    raw_resp_header(&r, "Cache-Status") : "(none)");
	raw_resp_free(&r);
}

int
main(void)
{
	struct harness h;
	struct origin *o;
	struct raw_resp r;
	int n;

	plan(35 + ORIGIN_FINISH_TESTS + HARNESS_STOP_TESTS +
	    HARNESS_END_TESTS);
	o = origin_start(steps, NSTEPS);
	oport = origin_port(o);
	harness_init(&h, 1);
	harness_conf(&h, "acl purge method PURGE\nhttp_access allow localhost\n"
	    "http_access deny all\n"
	    "cache_dir lmdb %DIR%/cache 10\n");
	if (harness_start(&h) == -1)
		bail_out("sluice did not start");

	/* Two variants of one URL, each a hit afterwards (§4.1). */
	get(&h, "/v", "Accept-Encoding: gzip, deflate\r\n", "gzip-variant",
	    "fwd=uri-miss", "first variant (gzip)");
	get(&h, "/v", "Accept-Encoding: br\r\n", "identity-variant",
	    "fwd=vary-miss", "a list without gzip: the identity variant, "
	    "fwd=vary-miss");
	get(&h, "/v", "Accept-Encoding: gzip, deflate\r\n", "gzip-variant",
	    "hit", "the first variant is still stored");
	get(&h, "/v", "Accept-Encoding: br\r\n", "identity-variant", "hit",
	    "so is the second");
	/* Every list that takes gzip is the gzip variant. */
	get(&h, "/v", "Accept-Encoding: deflate,gzip\r\n", "gzip-variant",
	    "hit", "order does not split the cache");
	get(&h, "/v", "Accept-Encoding: GZIP ;q=1.0 ,  Deflate\r\n",
	    "gzip-variant", "hit", "case, q=1 and spaces do not either");
	get(&h, "/v", "Accept-Encoding: x-gzip, deflate, identity\r\n",
	    "gzip-variant", "hit", "x-gzip is gzip (RFC 9110 §8.4.1.3)");
	get(&h, "/v", "Accept-Encoding: br\r\nAccept-Encoding: gzip\r\n",
	    "gzip-variant", "hit", "two field lines are one list "
	    "(RFC 9110 §5.3)");
	get(&h, "/v", "Accept-Encoding: gzip, deflate;q=0\r\n",
	    "gzip-variant", "hit", "a refused deflate does not matter");
	get(&h, "/v", "Accept-Encoding: *\r\n", "gzip-variant", "hit",
	    "\"*\" takes gzip (§12.5.3)");
	/* ... and every other the identity variant. */
	get(&h, "/v", "Accept-Encoding: deflate, gzip;q=0.000\r\n",
	    "identity-variant", "hit", "gzip;q=0.000 refuses gzip");
	get(&h, "/v", NULL, "identity-variant", "hit",
	    "no Accept-Encoding: identity");
	get(&h, "/v", "Accept-Encoding: identity\r\n", "identity-variant",
	    "hit", "identity");
	is_int(origin_nreq(o), 2, "two origin fetches for 13 requests");

	/* Vary: * never matches (§4.1). */
	get(&h, "/star", NULL, "star1", "fwd=uri-miss", "Vary: * first");
	get(&h, "/star", NULL, "star2", "fwd=uri-miss",
	    "Vary: * is not served from the cache");

	/* Two fields, in two Vary lines, names in any case. */
	get(&h, "/two", "Accept-Language: en\r\nX-Flavour: a\r\n", "en-a",
	    "fwd=uri-miss", "Vary on two fields: first");
	get(&h, "/two", "Accept-Language: en\r\nX-Flavour: b\r\n", "en-b",
	    "fwd=vary-miss", "a different second field: a miss");
	get(&h, "/two", "X-Flavour: a\r\nAccept-Language: fr\r\n", "fr-a",
	    "fwd=vary-miss", "a different first field: a miss");
	get(&h, "/two", "x-flavour:   a  \r\naccept-language: en\r\n", "en-a",
	    "hit", "field order, name case and spaces do not matter");
	get(&h, "/two", "Accept-Language: en\r\nX-Flavour: b\r\n", "en-b",
	    "hit", "the second variant is a hit (the Vary lines named the "
	    "same two fields)");

	/* A changed Vary drops the variants of the old one. */
	get(&h, "/chg", "Accept-Language: en\r\n", "by-lang", "fwd=uri-miss",
	    "/chg varies on Accept-Language");
	get(&h, "/chg", "Accept-Language: de\r\n", "by-flavour",
	    "fwd=vary-miss", "a new variant that varies on X-Flavour");
	get(&h, "/chg", "Accept-Language: de\r\n", "by-flavour", "hit",
	    "the new Vary is what the lookup uses");
	get(&h, "/chg", "Accept-Language: en\r\nX-Flavour: z\r\n",
	    "by-lang-2", "fwd=vary-miss", "another flavour: a miss, and this "
	    "response has no Vary");
	get(&h, "/chg", "Accept-Language: fr\r\nX-Flavour: q\r\n",
	    "by-lang-2", "hit", "without Vary, one entry serves every "
	    "request");

	/* PURGE removes every variant. */
	is_int(ask(&h, "PURGE", "/v", NULL, &r), 200, "PURGE /v: 200");
	raw_resp_free(&r);
	get(&h, "/v", "Accept-Encoding: gzip, deflate\r\n", "after-purge-gzip",
	    "fwd=uri-miss", "after PURGE the gzip variant is fetched again");
	get(&h, "/v", "Accept-Encoding: br\r\n", "after-purge-identity",
	    "fwd=vary-miss", "and the identity variant too");

	/* A stale variant is revalidated as itself (§4.3.1). */
	get(&h, "/rv", "Accept-Encoding: gzip\r\n", "rv-gzip", "fwd=uri-miss",
	    "stale-at-once variant gzip");
	get(&h, "/rv", "Accept-Encoding: br\r\n", "rv-br", "fwd=vary-miss",
	    "stale-at-once variant br");
	n = origin_nreq(o);
	get(&h, "/rv", "Accept-Encoding: br\r\n", "rv-br", "fwd=stale",
	    "the br variant, revalidated with ETag \"b\" and a 304, is "
	    "served from the cache");
	is_int(origin_nreq(o), n + 1, "one conditional request for it");

	/* Request heads of every size (browser cookies) are cached too. */
	{
		static char extra[24000];
		char path[32];
		size_t len, k;
		int sz, good = 0, nsz = 0;

		n = origin_nreq(o);
		for (sz = 1000; sz <= 18000; sz += 500, nsz++) {
			for (len = 0, k = 0; (int)len < sz - 200; k++)
				len += (size_t)snprintf(extra + len,
				    sizeof(extra) - len, "Cookie: c%zu=%0180d\r\n",
				    k, 7);
			snprintf(path, sizeof(path), "/bh%d", sz);
			if (ask(&h, "GET", path, extra, &r) == 200)
				raw_resp_free(&r);
			if (ask(&h, "GET", path, extra, &r) == 200 &&
			    raw_has(&r, "Cache-Status", "hit"))
				good++;
			else
				diag("a %d-byte request head: not a hit", sz);
			raw_resp_free(&r);
		}
		is_int(good, nsz, "request heads from 1 KB to 18 KB: each is "
		    "stored and then a hit");
		is_int(origin_nreq(o), n + nsz, "one origin fetch each");
	}

	harness_stop(&h);
	origin_finish(o);
	origin_free(o);
	harness_end(&h);
	return exit_status();
}
