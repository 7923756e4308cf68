/*
 * cache-gzip.c -- one stored copy for gzip clients and the others (issue
 * 12 item 6).  A response that varies on Accept-Encoding is keyed by
 * "gzip" or "identity", and the origin is asked with exactly that value,
 * so a browser's "gzip, deflate, br" and pip's "gzip, deflate" share the
 * gzip copy and never get a coding they did not ask for.  A client that
 * does not take gzip is served from the stored gzip variant, inflated on
 * the fly (RFC 9110 §8.4: no Content-Encoding, a weak ETag, chunked to
 * HTTP/1.1 and to the close for HTTP/1.0), inline and file bodies; HEAD
 * and If-None-Match too.  A corrupt stored body never ends like a whole
 * one, a decompression bomb stops at gunzip_max_size, and a coding the
 * origin sent unasked is not stored under the key.
 *
 * Integration test: a real sluice with cache_dir, a scripted origin
 * serving gzip bodies made here with zlib, raw clients.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "harness.h"
#include "origin.h"
#include "raw.h"
#include "tap.h"

#define BIG	(3 << 20)	/* the file-stored case, uncompressed */
#define BOMB	(64 << 20)

static int oport;

static size_t
gz(const void *in, size_t n, unsigned char **out)
{
	z_stream z;
	size_t cap = n + n / 100 + 64;

	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8,
	    Z_DEFAULT_STRATEGY) != Z_OK || (*out = malloc(cap)) == NULL)
		bail_out("deflate");
	z.next_in = (unsigned char *)(uintptr_t)in;
	z.avail_in = (uInt)n;
	z.next_out = *out;
	z.avail_out = (uInt)cap;
	if (deflate(&z, Z_FINISH) != Z_STREAM_END)
		bail_out("deflate");
	deflateEnd(&z);
	return cap - z.avail_out;
}

/* GET (or HEAD) @p path with @p fields; the response into @p r. */
static int
get(struct harness *h, const char *method, const char *path,
    const char *version, const char *fields, struct raw_resp *r)
{
	struct raw c;
	char req[1024];
	int st;

	if (raw_open(&c, h->port[0]) == -1)
		bail_out("cannot connect to sluice");
	snprintf(req, sizeof(req), "%s http://127.0.0.1:%d%s HTTP/%s\r\n"
	    "Host: x\r\n%sConnection: close\r\n\r\n", method, oport, path,
	    version, fields);
	raw_sends(&c, req);
	st = raw_read_resp(&c, r, strcmp(method, "HEAD") == 0, 20000);
	raw_close(&c);
	return st;
}

int
main(void)
{
	static char text[] = "<html>sluice serves one stored copy to gzip "
	    "clients and to the others, inflated on the way.</html>\n";
	struct origin_step steps[9];
	struct harness h;
	struct origin *o;
	struct raw_resp r;
	unsigned char *small_gz, *big_gz, *bomb_gz, *big, *zeros, junk[3000];
	size_t small_n, big_n, bomb_n, i;
	char *line;
	int st, n;

	plan(39 + ORIGIN_FINISH_TESTS + HARNESS_STOP_TESTS +
	    HARNESS_END_TESTS);
	small_n = gz(text, strlen(text), &small_gz);
	if ((big = malloc(BIG)) == NULL || (zeros = calloc(1, BOMB)) == NULL)
		bail_out("malloc");
	for (i = 0; i < BIG; i++)	/* compresses about 3:1 */
		big[i] = (unsigned char)("abcdefghij"[(i * 7 + i / 13) % 10] +
		    (i % 97 == 0 ? (i / 97) % 5 : 0));
	big_n = gz(big, BIG, &big_gz);
	bomb_n = gz(zeros, BOMB, &bomb_gz);
	free(zeros);
	/* Starts like gzip, then garbage: does not inflate. */
	memcpy(junk, small_gz, 10);
	for (i = 10; i < sizeof(junk); i++)
		junk[i] = (unsigned char)(i * 31 + 7);

	memset(steps, 0, sizeof(steps));
	steps[0] = (struct origin_step){ .expect = "GET /page",
	    .expect_hdr = "\r\nAccept-Encoding: gzip\r\n", .status = 200,
	    .headers = "Cache-Control: max-age=600\r\nVary: Accept-Encoding\r\n"
	    "Content-Encoding: gzip\r\nETag: \"v1\"\r\n"
	    "Accept-Ranges: bytes\r\nContent-Type: text/html\r\n",
	    .body = (const char *)small_gz, .body_len = small_n };
	steps[1] = (struct origin_step){ .expect = "GET /big",
	    .expect_hdr = "\r\nAccept-Encoding: gzip\r\n", .status = 200,
	    .headers = "Cache-Control: max-age=600\r\nVary: Accept-Encoding\r\n"
	    "Content-Encoding: gzip\r\n",
	    .body = (const char *)big_gz, .body_len = big_n };
	steps[2] = (struct origin_step){ .expect = "GET /junk",
	    .expect_hdr = "\r\nAccept-Encoding: gzip\r\n", .status = 200,
	    .headers = "Cache-Control: max-age=600\r\nVary: Accept-Encoding\r\n"
	    "Content-Encoding: gzip\r\n",
	    .body = (const char *)junk, .body_len = sizeof(junk) };
	steps[3] = (struct origin_step){ .expect = "GET /bomb",
	    .expect_hdr = "\r\nAccept-Encoding: gzip\r\n", .status = 200,
	    .headers = "Cache-Control: max-age=600\r\nVary: Accept-Encoding\r\n"
	    "Content-Encoding: gzip\r\n",
	    .body = (const char *)bomb_gz, .body_len = bomb_n };
	/* An origin that sends br to "identity": never stored. */
	steps[4] = (struct origin_step){ .expect = "GET /br",
	    .expect_hdr = "\r\nAccept-Encoding: identity\r\n", .status = 200,
	    .headers = "Cache-Control: max-age=600\r\nVary: Accept-Encoding\r\n"
	    "Content-Encoding: br\r\n", .body = "not really br",
	    .flags = ORIGIN_REPEAT };
	/* Identity asked and given: its own variant beside gzip's. */
	steps[5] = (struct origin_step){ .expect = "GET /plain",
	    .expect_hdr = "\r\nAccept-Encoding: identity\r\n", .status = 200,
	    .headers = "Cache-Control: max-age=600\r\nVary: Accept-Encoding\r\n",
	    .body = "plain variant" };
	steps[6] = (struct origin_step){ .expect = "GET /plain",
	    .expect_hdr = "\r\nAccept-Encoding: gzip\r\n", .status = 200,
	    .headers = "Cache-Control: max-age=600\r\nVary: Accept-Encoding\r\n"
	    "Content-Encoding: gzip\r\n",
	    .body = (const char *)small_gz, .body_len = small_n };
	o = origin_start(steps, 7);
	oport = origin_port(o);
	harness_init(&h, 1);
	harness_conf(&h, "http_access allow localhost\nhttp_access deny all\n"
	    "cache_dir lmdb %DIR%/cache 100\n"
	    "gunzip_max_size 8 MB\n");
	if (harness_start(&h) == -1)
		bail_out("sluice did not start");

	/* A browser's list: the origin is asked for gzip only. */
	st = get(&h, "GET", "/page", "1.1",
	    "Accept-Encoding: gzip, deflate, br, zstd\r\n", &r);
	ok(st == 200 && r.body_len == small_n &&
	    memcmp(r.body, small_gz, small_n) == 0 &&
	    raw_has(&r, "Content-Encoding", "gzip"), "a browser: the gzip "
	    "body as the origin sent it");
	raw_resp_free(&r);
	ok(origin_nreq(o) == 1 && strstr(origin_req(o, 0)->head,
	    "\r\nAccept-Encoding: gzip\r\n") != NULL && strstr(origin_req(o,
	    0)->head, "br") == NULL, "the origin was asked with "
	    "\"Accept-Encoding: gzip\" alone");
	st = get(&h, "GET", "/page", "1.1",
	    "Accept-Encoding: gzip, deflate\r\n", &r);
	ok(st == 200 && r.body_len == small_n &&
	    memcmp(r.body, small_gz, small_n) == 0 &&
	    raw_has(&r, "Cache-Status", "hit"), "pip's \"gzip, deflate\": the "
	    "same stored copy, a hit");
	raw_resp_free(&r);

	/* No Accept-Encoding: inflated from the gzip copy. */
	st = get(&h, "GET", "/page", "1.1", "", &r);
	ok(st == 200 && r.complete && r.body_len == strlen(text) &&
	    memcmp(r.body, text, r.body_len) == 0, "no Accept-Encoding: "
	    "the body inflated, whole (%zu bytes)", r.body_len);
	ok(raw_resp_header(&r, "Content-Encoding") == NULL &&
	    raw_resp_header(&r, "Content-Length") == NULL &&
	    raw_has(&r, "Transfer-Encoding", "chunked"), "... no "
	    "Content-Encoding, chunked (its length is not known ahead)");
	ok(raw_has(&r, "ETag", "W/\"v1\"") && raw_resp_header(&r,
	    "Accept-Ranges") == NULL, "... a weak ETag, no Accept-Ranges "
	    "(another representation, RFC 9110 §8.8.3)");
	ok(raw_has(&r, "Cache-Status", "hit") && raw_has(&r, "Cache-Status",
	    "detail=gunzip") && raw_has(&r, "Content-Type", "text/html"),
	    "... a hit, Cache-Status detail=gunzip, other fields kept");
	raw_resp_free(&r);
	st = get(&h, "GET", "/page", "1.1", "Accept-Encoding: br\r\n", &r);
	ok(st == 200 && r.body_len == strlen(text) &&
	    memcmp(r.body, text, r.body_len) == 0, "br only: inflated too");
	raw_resp_free(&r);
	st = get(&h, "GET", "/page", "1.1",
	    "Accept-Encoding: gzip;q=0, identity\r\n", &r);
	ok(st == 200 && r.body_len == strlen(text) &&
	    memcmp(r.body, text, r.body_len) == 0, "gzip refused (q=0): "
	    "inflated");
	raw_resp_free(&r);
	st = get(&h, "GET", "/page", "1.0", "", &r);
	ok(st == 200 && r.complete && r.body_len == strlen(text) &&
	    memcmp(r.body, text, r.body_len) == 0 &&
	    raw_resp_header(&r, "Transfer-Encoding") == NULL &&
	    raw_has(&r, "Connection", "close"), "HTTP/1.0: inflated, to the "
	    "close");
	raw_resp_free(&r);
	st = get(&h, "HEAD", "/page", "1.1", "", &r);
	ok(st == 200 && raw_resp_header(&r, "Content-Length") == NULL &&
	    raw_resp_header(&r, "Content-Encoding") == NULL, "HEAD: the "
	    "inflated representation's head");
	raw_resp_free(&r);
	st = get(&h, "GET", "/page", "1.1", "If-None-Match: W/\"v1\"\r\n",
	    &r);
	ok(st == 304 && raw_has(&r, "ETag", "W/\"v1\""), "If-None-Match with "
	    "the weak ETag: 304 with it");
	raw_resp_free(&r);
	st = get(&h, "GET", "/page", "1.1", "Range: bytes=0-9\r\n", &r);
	ok(st == 200 && r.body_len == strlen(text), "Range on the inflated "
	    "form: the whole 200 (ranges of it are not offered)");
	raw_resp_free(&r);
	is_int(origin_nreq(o), 1, "one origin fetch for all of them");
	ok(harness_file_wait_count(h.access_log, "TCP_HIT/200", 7, 2000) ==
	    7 && harness_file_wait_count(h.access_log, "TCP_INM_HIT/304", 1,
	    2000) == 1, "access log: TCP_HIT for the hits, TCP_INM_HIT for "
	    "the 304");

	/* A file body: 3 MB inflated from about 1 MB, through pread. */
	st = get(&h, "GET", "/big", "1.1", "Accept-Encoding: gzip\r\n", &r);
	ok(st == 200 && r.body_len == big_n, "/big: the gzip client got "
	    "the %zu gzip bytes", big_n);
	raw_resp_free(&r);
	st = get(&h, "GET", "/big", "1.1", "", &r);
	ok(st == 200 && r.complete && r.body_len == BIG &&
	    memcmp(r.body, big, BIG) == 0, "/big inflated for a client "
	    "without gzip: 3 MB, byte-exact");
	raw_resp_free(&r);
	st = get(&h, "GET", "/big", "1.0", "", &r);
	ok(st == 200 && r.complete && r.body_len == BIG &&
	    memcmp(r.body, big, BIG) == 0, "... and for HTTP/1.0");
	raw_resp_free(&r);
	is_int(origin_nreq(o), 2, "one origin fetch for /big");

	/* A stored body that does not inflate: never complete. */
	st = get(&h, "GET", "/junk", "1.1", "Accept-Encoding: gzip\r\n", &r);
	ok(st == 200 && r.body_len == sizeof(junk), "/junk: the gzip "
	    "client gets the bytes as stored");
	raw_resp_free(&r);
	st = get(&h, "GET", "/junk", "1.1", "", &r);
	ok(!r.complete, "inflating /junk fails: the chunked body has no "
	    "last chunk (status %d, %zu bytes)", st, r.body_len);
	raw_resp_free(&r);
	line = harness_log_wait(&h, "TCP_HIT_ABORTED/200", "/junk", NULL);
	ok(line != NULL, "access log: TCP_HIT_ABORTED");
	free(line);
	ok(harness_file_wait_count(h.cache_log, "does not inflate", 1,
	    2000) == 1, "cache.log says the stored body does not inflate");
	st = get(&h, "GET", "/junk", "1.0", "", &r);
	ok(st == -1 || !r.complete || r.body_len == 0 ||
	    raw_resp_header(&r, "Content-Length") == NULL, "HTTP/1.0: cut "
	    "with a reset, never a whole-looking body");
	raw_resp_free(&r);

	/* A bomb: 64 MB of zeros stops at gunzip_max_size (8 MB). */
	st = get(&h, "GET", "/bomb", "1.1", "Accept-Encoding: gzip\r\n", &r);
	ok(st == 200 && r.body_len == bomb_n, "/bomb: %zu gzip bytes "
	    "stored and served as they are", bomb_n);
	raw_resp_free(&r);
	st = get(&h, "GET", "/bomb", "1.1", "", &r);
	ok(!r.complete && r.body_len <= (8 << 20) + 1, "inflating it stops "
	    "at gunzip_max_size: incomplete after %zu bytes", r.body_len);
	raw_resp_free(&r);
	ok(harness_file_wait_count(h.cache_log, "inflated past the bound", 1,
	    2000) == 1, "cache.log says why");

	/* A coding the origin sent unasked: not stored under the key. */
	n = origin_nreq(o);
	st = get(&h, "GET", "/br", "1.1", "", &r);
	ok(st == 200 && raw_has(&r, "Content-Encoding", "br"), "/br: passed "
	    "to the client as the origin sent it");
	raw_resp_free(&r);
	st = get(&h, "GET", "/br", "1.1", "", &r);
	ok(st == 200 && !raw_has(&r, "Cache-Status", "hit"), "... and not "
	    "stored: asked again");
	raw_resp_free(&r);
	is_int(origin_nreq(o), n + 2, "two origin fetches for /br");

	/* Both variants stored: each client its own. */
	st = get(&h, "GET", "/plain", "1.1", "", &r);
	ok(st == 200 && r.body && strcmp(r.body, "plain variant") == 0,
	    "/plain: identity asked, identity stored");
	raw_resp_free(&r);
	st = get(&h, "GET", "/plain", "1.1", "Accept-Encoding: gzip\r\n", &r);
	ok(st == 200 && r.body_len == small_n &&
	    raw_has(&r, "Cache-Status", "fwd=vary-miss"), "a gzip client: a "
	    "variant miss, fetched with gzip");
	raw_resp_free(&r);
	st = get(&h, "GET", "/plain", "1.1", "", &r);
	ok(st == 200 && r.body && strcmp(r.body, "plain variant") == 0 &&
	    raw_has(&r, "Cache-Status", "hit") && !raw_has(&r, "Cache-Status",
	    "gunzip"), "the identity client: its own stored variant, not "
	    "the gzip one inflated");
	raw_resp_free(&r);
	st = get(&h, "GET", "/plain", "1.1", "Accept-Encoding: x-gzip\r\n",
	    &r);
	ok(st == 200 && r.body_len == small_n && raw_has(&r, "Cache-Status",
	    "hit"), "x-gzip: the gzip variant");
	raw_resp_free(&r);
	ok(strstr(origin_req(o, origin_nreq(o) - 1)->head,
	    "Accept-Encoding: gzip") != NULL, "the origin was asked for the "
	    "gzip variant with gzip");

	/* The worker is still there, and serves. */
	st = get(&h, "GET", "/page", "1.1", "Accept-Encoding: gzip\r\n", &r);
	ok(st == 200 && raw_has(&r, "Cache-Status", "hit"), "after all that, "
	    "hits as before");
	raw_resp_free(&r);
	ok(harness_file_wait_count(h.cache_log, "exited on signal", 0, 100)
	    == 0, "no worker died");
	is_int(harness_file_wait_count(h.access_log, "/page ", 10, 2000), 10,
	    "every /page request logged");
	is_int(origin_nreq(o), n + 4, "no origin fetch since the /plain "
	    "variants");

	harness_stop(&h);
	origin_finish(o);
	origin_free(o);
	harness_end(&h);
	free(small_gz);
	free(big_gz);
	free(bomb_gz);
	free(big);
	return exit_status();
}
