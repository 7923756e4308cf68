/*
 * cache-range.c -- Range requests answered from the cache: a single byte
 * range of a stored 200 is a 206 with Content-Range (RFC 9110 §14.1.2,
 * §14.4, §15.3.7), cut from the record (small bodies) or sent from the
 * body file at an offset (large ones); a range that does not overlap is a
 * 416 whose Content-Range gives only the length (§15.5.17); If-Range
 * needs a strong ETag match or the exact Last-Modified (§13.1.5); several
 * ranges, HEAD and a false If-Range get the whole 200; a 304 condition
 * wins over Range (§13.2.2).  A miss forwards the Range untouched and a
 * 206 from the origin is not stored (RFC 9111 §3.3).  The connection
 * stays usable after a 206 and a 416.  The access log says TCP_HIT/206
 * and TCP_HIT/416.
 *
 * Integration test: a real sluice with cache_dir, the scripted origin,
 * raw clients.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "harness.h"
#include "origin.h"
#include "raw.h"
#include "tap.h"

#define BIG	100000
#define SMALL	"abcdefghijklmnopqrstuvwxyz"
#define LM	"Sun, 06 Nov 1994 08:49:37 GMT"

static const struct origin_step steps[] = {
	{ .expect = "GET /s", .status = 200, .body = SMALL,
	    .headers = "Cache-Control: max-age=600\r\nETag: \"s1\"\r\n"
	    "Last-Modified: " LM "\r\n" },
	{ .expect = "GET /w", .status = 200, .body = "weakbody",
	    .headers = "Cache-Control: max-age=600\r\nETag: W/\"w1\"\r\n" },
	{ .expect = "GET /big", .status = 200, .body_len = BIG,
	    .headers = "Cache-Control: max-age=600\r\nETag: \"b1\"\r\n" },
	/* A miss: the client's Range reaches the origin as it is. */
	{ .expect = "GET /m", .expect_hdr = "Range: bytes=0-1",
	    .status = 206, .body = "ab",
	    .headers = "Cache-Control: max-age=600\r\n"
	    "Content-Range: bytes 0-1/10\r\n" },
	{ .expect = "GET /m", .status = 200, .body = "abcdefghij",
	    .headers = "Cache-Control: max-age=600\r\n" },
};
#define NSTEPS	((int)(sizeof(steps) / sizeof(steps[0])))

static int oport;

/* One request on @p c; keep-alive unless @p close. */
static int
ask_on(struct raw *c, const char *method, const char *path,
    const char *extra, int close, struct raw_resp *r)
{
	char req[1024];

	snprintf(req, sizeof(req), "%s http://127.0.0.1:%d%s HTTP/1.1\r\n"
	    "Host: x\r\n%s%s\r\n", method, oport, path, extra ? extra : "",
	    close ? "Connection: close\r\n" : "");
	if (raw_sends(c, req) == -1)
		return -1;
	return raw_read_resp(c, r, strcmp(method, "HEAD") == 0, 10000);
}

static int
ask(struct harness *h, const char *method, const char *path,
    const char *extra, struct raw_resp *r)
{
	struct raw c;
	int st;

	if (raw_open(&c, h->port[0]) == -1)
		return -1;
	st = ask_on(&c, method, path, extra, 1, r);
	raw_close(&c);
	return st;
}

static int
hdr_is(struct raw_resp *r, const char *name, const char *want)
{
	const char *v = raw_resp_header(r, name);

	return v != NULL && strcmp(v, want) == 0;
}

/* How many header lines named @p name the head holds. */
static int
nhdr(struct raw_resp *r, const char *name)
{
	const char *p;
	size_t l = strlen(name);
	int n = 0;

	for (p = r->head; p != NULL && (p = strchr(p, '\n')) != NULL; p++)
		if (strncasecmp(p + 1, name, l) == 0 && p[1 + l] == ':')
			n++;
	return n;
}

/* Is the body of @p r pattern bytes first..last? */
static int
slice_is(struct raw_resp *r, uint64_t first, uint64_t last)
{
	static unsigned char buf[BIG];
	size_t n = (size_t)(last - first + 1);

	harness_pattern(buf, first, n);
	return r->complete && r->body_len == n &&
	    r->body_hash == harness_hash(0, buf, n);
}

/* A 206 of the big body: status, Content-Range, Content-Length, bytes. */
static void
big_slice(struct harness *h, const char *range, uint64_t first,
    uint64_t last, const char *desc)
{
	struct raw_resp r;
	char cr[128], cl[32], extra[128];

	snprintf(extra, sizeof(extra), "Range: %s\r\n", range);
	snprintf(cr, sizeof(cr), "bytes %llu-%llu/%d",
	    (unsigned long long)first, (unsigned long long)last, BIG);
	snprintf(cl, sizeof(cl), "%llu",
	    (unsigned long long)(last - first + 1));
	is_int(ask(h, "GET", "/big", extra, &r), 206, "%s: 206", desc);
	ok(hdr_is(&r, "Content-Range", cr) && hdr_is(&r, "Content-Length",
	    cl) && nhdr(&r, "Content-Length") == 1, "%s: Content-Range %s, "
	    "one Content-Length %s (RFC 9110 §14.4)", desc, cr, cl);
	ok(slice_is(&r, first, last), "%s: the bytes are exact (sendfile "
	    "from offset %llu)", desc, (unsigned long long)first);
	raw_resp_free(&r);
}

int
main(void)
{
	struct harness h;
	struct origin *o;
	struct raw_resp r;
	struct raw c;
	char *line;
	int n;

	plan(80 + ORIGIN_FINISH_TESTS + HARNESS_STOP_TESTS +
	    HARNESS_END_TESTS);
	o = origin_start(steps, NSTEPS);
	oport = origin_port(o);
	harness_init(&h, 1);
	harness_conf(&h, "http_access allow localhost\nhttp_access deny all\n"
	    "range_offset_limit 0\n"
	    "cache_dir lmdb %DIR%/cache 10\n");
	if (harness_start(&h) == -1)
		bail_out("sluice did not start");

	/* ---- a small body, stored inline in the record ---- */
	is_int(ask(&h, "GET", "/s", NULL, &r), 200, "GET /s: 200, stored");
	raw_resp_free(&r);

	is_int(ask(&h, "GET", "/s", "Range: bytes=0-4\r\n", &r), 206,
	    "bytes=0-4 on a stored 200: 206 (RFC 9110 §15.3.7)");
	is_str(r.body, "abcde", "the first five bytes");
	ok(hdr_is(&r, "Content-Range", "bytes 0-4/26"), "Content-Range: "
	    "bytes 0-4/26 (RFC 9110 §14.4)");
	ok(hdr_is(&r, "Content-Length", "5") && nhdr(&r, "Content-Length")
	    == 1, "one Content-Length: 5, the stored one replaced");
	ok(raw_has(&r, "Cache-Status", "hit") && raw_resp_header(&r, "Age") !=
	    NULL, "the 206 keeps Cache-Status hit and Age");
	ok(hdr_is(&r, "ETag", "\"s1\""), "and the stored ETag "
	    "(RFC 9110 §15.3.7)");
	raw_resp_free(&r);

	is_int(ask(&h, "GET", "/s", "Range: bytes=10-12\r\n", &r), 206,
	    "bytes=10-12: 206");
	ok(strcmp(r.body, "klm") == 0 && hdr_is(&r, "Content-Range",
	    "bytes 10-12/26"), "a middle slice: klm, bytes 10-12/26");
	raw_resp_free(&r);

	is_int(ask(&h, "GET", "/s", "Range: bytes=-3\r\n", &r), 206,
	    "bytes=-3: 206");
	ok(strcmp(r.body, "xyz") == 0 && hdr_is(&r, "Content-Range",
	    "bytes 23-25/26"), "a suffix: the last three bytes "
	    "(RFC 9110 §14.1.2)");
	raw_resp_free(&r);

	is_int(ask(&h, "GET", "/s", "Range: bytes=20-\r\n", &r), 206,
	    "bytes=20-: 206");
	ok(strcmp(r.body, "uvwxyz") == 0 && hdr_is(&r, "Content-Range",
	    "bytes 20-25/26"), "open-ended: to the end (RFC 9110 §14.1.2)");
	raw_resp_free(&r);

	is_int(ask(&h, "GET", "/s", "Range: bytes=24-1000\r\n", &r), 206,
	    "bytes=24-1000: 206");
	ok(strcmp(r.body, "yz") == 0 && hdr_is(&r, "Content-Range",
	    "bytes 24-25/26"), "last-pos beyond the end is clamped to the "
	    "last byte (RFC 9110 §14.1.2)");
	raw_resp_free(&r);

	is_int(ask(&h, "GET", "/s", "Range: BYTES=0-1\r\n", &r), 206,
	    "BYTES=0-1: the unit is case-insensitive (RFC 9110 §14.1)");
	is_str(r.body, "ab", "its two bytes");
	raw_resp_free(&r);

	is_int(ask(&h, "GET", "/s", "Range: bytes=26-\r\n", &r), 416,
	    "bytes=26- on 26 bytes: 416 (RFC 9110 §15.5.17)");
	ok(hdr_is(&r, "Content-Range", "bytes */26"), "Content-Range: "
	    "bytes */26 (RFC 9110 §14.4)");
	ok(hdr_is(&r, "Content-Length", "0") && nhdr(&r, "Content-Length") ==
	    1 && r.complete && r.body_len == 0, "Content-Length: 0 and no "
	    "body");
	raw_resp_free(&r);

	is_int(ask(&h, "GET", "/s", "Range: bytes=0-1,3-4\r\n", &r), 200,
	    "two ranges: the whole 200, no multipart (RFC 9110 §14.2)");
	ok(strcmp(r.body, SMALL) == 0 && raw_resp_header(&r,
	    "Content-Range") == NULL, "the whole body, no Content-Range");
	raw_resp_free(&r);

	is_int(ask(&h, "GET", "/s", "Range: bytes=5-3\r\n", &r), 200,
	    "an invalid range (5-3) is ignored: 200 (RFC 9110 §14.1.1)");
	raw_resp_free(&r);

	/* If-Range (RFC 9110 §13.1.5). */
	is_int(ask(&h, "GET", "/s", "Range: bytes=1-2\r\nIf-Range: \"s1\"\r\n",
	    &r), 206, "If-Range with the stored strong ETag: 206 "
	    "(RFC 9110 §13.1.5)");
	is_str(r.body, "bc", "with the range");
	raw_resp_free(&r);
	is_int(ask(&h, "GET", "/s", "Range: bytes=1-2\r\nIf-Range: \"s0\"\r\n",
	    &r), 200, "If-Range with another ETag: 200 (RFC 9110 §13.1.5)");
	is_str(r.body, SMALL, "the whole body");
	raw_resp_free(&r);
	is_int(ask(&h, "GET", "/s", "Range: bytes=30-\r\n"
	    "If-Range: \"s0\"\r\n", &r), 200, "a false If-Range with an "
	    "unsatisfiable Range: 200, not 416 (RFC 9110 §13.1.5)");
	raw_resp_free(&r);
	is_int(ask(&h, "GET", "/s", "Range: bytes=1-2\r\nIf-Range: " LM "\r\n",
	    &r), 206, "If-Range date equal to Last-Modified: 206 "
	    "(RFC 9110 §13.1.5)");
	is_str(r.body, "bc", "with the range");
	raw_resp_free(&r);
	is_int(ask(&h, "GET", "/s", "Range: bytes=1-2\r\nIf-Range: Sun, 06 "
	    "Nov 1994 08:49:38 GMT\r\n", &r), 200, "If-Range date one second "
	    "off: 200 (RFC 9110 §13.1.5 exact match)");
	raw_resp_free(&r);

	/* §13.2.2: If-None-Match before Range; HEAD: the 200 head. */
	is_int(ask(&h, "GET", "/s", "Range: bytes=0-1\r\n"
	    "If-None-Match: \"s1\"\r\n", &r), 304, "If-None-Match matching "
	    "with a Range: 304 first (RFC 9110 §13.2.2)");
	raw_resp_free(&r);
	is_int(ask(&h, "HEAD", "/s", "Range: bytes=0-1\r\n", &r), 200,
	    "HEAD with a Range: 200 (RFC 9110 §14.2, GET only)");
	ok(hdr_is(&r, "Content-Length", "26") && raw_resp_header(&r,
	    "Content-Range") == NULL, "the stored head: Content-Length 26, "
	    "no Content-Range");
	raw_resp_free(&r);

	/* A weak ETag never satisfies If-Range (RFC 9110 §8.8.3.2). */
	is_int(ask(&h, "GET", "/w", NULL, &r), 200, "GET /w (weak ETag): 200");
	raw_resp_free(&r);
	is_int(ask(&h, "GET", "/w", "Range: bytes=0-3\r\n", &r), 206,
	    "a plain Range on it: 206");
	is_str(r.body, "weak", "its first four bytes");
	raw_resp_free(&r);
	is_int(ask(&h, "GET", "/w", "Range: bytes=0-3\r\n"
	    "If-Range: W/\"w1\"\r\n", &r), 200, "If-Range with the weak "
	    "ETag: 200 (RFC 9110 §13.1.5 strong comparison)");
	is_str(r.body, "weakbody", "the whole body");
	raw_resp_free(&r);
	is_int(ask(&h, "GET", "/w", "Range: bytes=0-3\r\nIf-Range: \"w1\"\r\n",
	    &r), 200, "a strong If-Range against the weak stored ETag: 200 "
	    "(RFC 9110 §8.8.3.2)");
	raw_resp_free(&r);

	/* ---- a large body, in its own file: sendfile at an offset ---- */
	is_int(ask(&h, "GET", "/big", NULL, &r), 200, "GET /big: 200, stored");
	raw_resp_free(&r);
	big_slice(&h, "bytes=0-99", 0, 99, "bytes=0-99 of /big");
	big_slice(&h, "bytes=50000-50999", 50000, 50999, "a middle slice of "
	    "/big");
	big_slice(&h, "bytes=-1000", BIG - 1000, BIG - 1, "the last 1000 "
	    "bytes of /big");
	big_slice(&h, "bytes=99000-", 99000, BIG - 1, "open-ended from 99000");
	big_slice(&h, "bytes=99990-200000", 99990, BIG - 1, "last-pos "
	    "clamped to 99999");
	big_slice(&h, "bytes=99999-99999", BIG - 1, BIG - 1, "the last byte");
	is_int(ask(&h, "GET", "/big", "Range: bytes=100000-\r\n", &r), 416,
	    "bytes=100000- on 100000 bytes: 416 (RFC 9110 §15.5.17)");
	ok(hdr_is(&r, "Content-Range", "bytes */100000") && r.body_len == 0,
	    "Content-Range: bytes */100000, no body");
	raw_resp_free(&r);
	is_int(ask(&h, "GET", "/big", "Range: bytes=1000-1999\r\n"
	    "If-Range: \"b1\"\r\n", &r), 206, "If-Range matching on /big: 206");
	ok(slice_is(&r, 1000, 1999), "bytes 1000-1999, exact");
	raw_resp_free(&r);

	/* Keep-alive after a 206 and a 416: the framing is right. */
	if (raw_open(&c, h.port[0]) == -1)
		bail_out("cannot connect");
	is_int(ask_on(&c, "GET", "/big", "Range: bytes=10-19\r\n", 0, &r), 206,
	    "keep-alive: a 206 from the body file");
	ok(slice_is(&r, 10, 19), "its ten bytes");
	raw_resp_free(&r);
	is_int(ask_on(&c, "GET", "/s", "Range: bytes=2-3\r\n", 0, &r), 206,
	    "the same connection: an inline 206 next");
	is_str(r.body, "cd", "its two bytes");
	raw_resp_free(&r);
	is_int(ask_on(&c, "GET", "/s", "Range: bytes=99-\r\n", 0, &r), 416,
	    "the same connection: a 416 next");
	raw_resp_free(&r);
	is_int(ask_on(&c, "GET", "/s", NULL, 1, &r), 200,
	    "the same connection after the 416: a 200");
	is_str(r.body, SMALL, "with the whole body");
	raw_resp_free(&r);
	raw_close(&c);

	/* A miss forwards the Range; the origin's 206 is not stored. */
	is_int(ask(&h, "GET", "/m", "Range: bytes=0-1\r\n", &r), 206,
	    "a miss with a Range: the origin's 206 is passed on");
	ok(strcmp(r.body, "ab") == 0 && hdr_is(&r, "Content-Range",
	    "bytes 0-1/10"), "with its body and Content-Range");
	raw_resp_free(&r);
	is_int(ask(&h, "GET", "/m", NULL, &r), 200, "GET /m without Range: "
	    "200");
	ok(strcmp(r.body, "abcdefghij") == 0 && raw_has(&r, "Cache-Status",
	    "fwd=uri-miss"), "from the origin: the 206 was not stored "
	    "(RFC 9111 §3.3)");
	raw_resp_free(&r);
	n = origin_nreq(o);
	is_int(ask(&h, "GET", "/m", "Range: bytes=8-\r\n", &r), 206,
	    "now stored whole, a Range on /m is a hit: 206");
	ok(strcmp(r.body, "ij") == 0 && raw_has(&r, "Cache-Status", "hit"),
	    "bytes 8-9 from the cache");
	raw_resp_free(&r);
	is_int(origin_nreq(o), n, "without asking the origin");

	is_int(origin_nreq(o), NSTEPS, "the origin saw one fetch of /s, /big "
	    "and /w, and two of /m");

	/* Squid logs TCP_HIT for a range served from the cache. */
	line = harness_log_wait(&h, "TCP_HIT/206", "/s", NULL);
	ok(line != NULL, "access log: TCP_HIT/206");
	free(line);
	line = harness_log_wait(&h, "TCP_HIT/416", "/big", NULL);
	ok(line != NULL, "access log: TCP_HIT/416");
	free(line);

	origin_finish(o);
	harness_stop(&h);
	harness_end(&h);
	origin_free(o);
	return exit_status();
}
