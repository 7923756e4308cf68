/*
 * unit-cache-range.c -- byte Range requests against a complete stored
 * body (cache/range.c): each row is one rule with its RFC 9110 section.
 *
 * Unit test: field values from literal text, heads parsed by
 * worker/http_parse.c; no sockets, no clock.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "http_parse.h"
#include "policy.h"
#include "range.h"
#include "tap.h"

#define N	RANGE_NONE
#define OK	RANGE_OK
#define U	RANGE_UNSATISFIABLE

/* range_parse: value, complete length, result, first, last. */
static const struct {
	const char	*in;
	uint64_t	 len;
	enum range_rc	 rc;
	uint64_t	 first, last;
	const char	*desc;
} parses[] = {
	{ "bytes=0-0", 10, OK, 0, 0, "bytes=0-0 is the first byte (§14.1.2)" },
	{ "bytes=0-4", 10, OK, 0, 4, "first-last, inclusive (§14.1.2)" },
	{ "bytes=3-7", 10, OK, 3, 7, "a middle slice (§14.1.2)" },
	{ "bytes=9-9", 10, OK, 9, 9, "the last byte by position (§14.1.2)" },
	{ "bytes=4-", 10, OK, 4, 9, "first- is to the end (§14.1.2)" },
	{ "bytes=0-", 10, OK, 0, 9, "0- is the whole body as a 206 "
	  "(§14.1.2)" },
	{ "bytes=-1", 10, OK, 9, 9, "-1 is the last byte (§14.1.2 suffix)" },
	{ "bytes=-3", 10, OK, 7, 9, "-3 is the last three bytes (§14.1.2)" },
	{ "bytes=-10", 10, OK, 0, 9, "a suffix of exactly the length is all "
	  "of it (§14.1.2)" },
	{ "bytes=-500", 10, OK, 0, 9, "a suffix longer than the body is all "
	  "of it (§14.1.2)" },
	{ "bytes=5-500", 10, OK, 5, 9, "last-pos beyond the end is clamped "
	  "to length-1 (§14.1.2)" },
	{ "bytes=0-99999999999999999999999", 10, OK, 0, 9, "an overflowing "
	  "last-pos is beyond any end: clamped (§14.1.2)" },
	{ "bytes=-99999999999999999999999", 10, OK, 0, 9, "an overflowing "
	  "suffix is the whole body (§14.1.2)" },
	{ "bytes=18446744073709551615-", 10, U, 0, 0, "2^64-1 as first-pos: "
	  "unsatisfiable (§14.1.1)" },
	{ "bytes=99999999999999999999999-", 10, U, 0, 0, "an overflowing "
	  "first-pos: unsatisfiable, not wrapped (§14.1.1)" },
	{ "bytes=10-", 10, U, 0, 0, "first-pos == length: unsatisfiable "
	  "(§14.1.1, §15.5.17)" },
	{ "bytes=10-20", 10, U, 0, 0, "first-pos beyond the end: "
	  "unsatisfiable (§14.1.1)" },
	{ "bytes=-0", 10, U, 0, 0, "suffix-length 0: unsatisfiable "
	  "(§14.1.1)" },
	{ "bytes=5-3", 10, N, 0, 0, "last-pos < first-pos is invalid: "
	  "ignored (§14.1.1)" },
	{ "bytes=", 10, N, 0, 0, "an empty range-set is invalid (§14.1.1 "
	  "1#range-spec)" },
	{ "bytes=,", 10, N, 0, 0, "only empty list elements: no range-spec "
	  "(§5.6.1.2)" },
	{ "bytes=-", 10, N, 0, 0, "\"-\" alone is no range-spec (§14.1.1)" },
	{ "bytes=a-b", 10, N, 0, 0, "other-range in bytes: ignored "
	  "(§14.1.1)" },
	{ "bytes=1-2x", 10, N, 0, 0, "junk after last-pos: ignored "
	  "(§14.1.1)" },
	{ "bytes=+1-2", 10, N, 0, 0, "a sign is not a DIGIT (§14.1.1)" },
	{ "bytes=0-1,3-4", 10, N, 0, 0, "two ranges: the whole 200, no "
	  "multipart (§14.2 MAY ignore)" },
	{ "bytes=0-1, 0-1", 10, N, 0, 0, "the same range twice is still "
	  "several (§14.2)" },
	{ "bytes=-1,0-0", 10, N, 0, 0, "suffix and int-range together: "
	  "several (§14.2)" },
	{ "bytes=0-1,", 10, OK, 0, 1, "a trailing empty list element is "
	  "skipped (§5.6.1.2)" },
	{ "bytes=, 2-3", 10, OK, 2, 3, "a leading empty element, then OWS "
	  "(§5.6.1.2)" },
	{ "bytes=2-3 ,", 10, OK, 2, 3, "OWS before a comma (§5.6.1.2)" },
	{ "BYTES=0-1", 10, OK, 0, 1, "the unit is case-insensitive (§14.1)" },
	{ "Bytes=-2", 10, OK, 8, 9, "mixed-case unit (§14.1)" },
	{ "  bytes=1-1  ", 10, OK, 1, 1, "OWS around the field value "
	  "(§5.5)" },
	{ "bytes = 0-1", 10, N, 0, 0, "no whitespace around \"=\" "
	  "(§14.1.1 grammar)" },
	{ "bytes= 0-1", 10, N, 0, 0, "no whitespace before the first "
	  "range-spec (§5.6.1.2)" },
	{ "bytes=0 - 1", 10, N, 0, 0, "no whitespace inside a range-spec "
	  "(§14.1.1)" },
	{ "bytes=0-1 2-3", 10, N, 0, 0, "two specs without a comma: invalid "
	  "(§5.6.1.2)" },
	{ "items=0-1", 10, N, 0, 0, "an unknown range unit: ignored (§14.1, "
	  "§14.2)" },
	{ "bytesx=0-1", 10, N, 0, 0, "a unit that only starts with bytes "
	  "(§14.1)" },
	{ "bytes 0-1", 10, N, 0, 0, "no \"=\": invalid (§14.1.1)" },
	{ "", 10, N, 0, 0, "an empty value: ignored (§14.1.1)" },
	{ "bytes=0-0", 0, U, 0, 0, "length 0: every int-range is "
	  "unsatisfiable (§14.1.1)" },
	{ "bytes=0-", 0, U, 0, 0, "length 0: 0- is unsatisfiable "
	  "(§14.1.1)" },
	{ "bytes=-5", 0, N, 0, 0, "length 0: a suffix is satisfiable but "
	  "empty; the 200 is served (§14.1.1)" },
	{ "bytes=0-0", 1, OK, 0, 0, "length 1: 0-0 is the body (§14.1.2)" },
	{ "bytes=99999-", 100000, OK, 99999, 99999, "the last byte of a "
	  "100000-byte body (§14.1.2)" },
};

/* range_if_range: If-Range value, stored ETag, stored Last-Modified. */
#define LM	"Sun, 06 Nov 1994 08:49:37 GMT"
static const struct {
	const char	*in;
	const char	*etag;
	const char	*lm;
	int		 ok;
	const char	*desc;
} ifranges[] = {
	{ "\"v1\"", "\"v1\"", NULL, 1, "strong ETag equal: true (§13.1.5, "
	  "§8.8.3.2)" },
	{ "\"v2\"", "\"v1\"", NULL, 0, "another ETag: false (§13.1.5)" },
	{ "W/\"v1\"", "\"v1\"", NULL, 0, "a weak If-Range never matches "
	  "(§13.1.5 strong comparison)" },
	{ "\"v1\"", "W/\"v1\"", NULL, 0, "a weak stored ETag never matches "
	  "(§8.8.3.2)" },
	{ "W/\"v1\"", "W/\"v1\"", NULL, 0, "weak on both sides: false "
	  "(§8.8.3.2)" },
	{ "\"v1\"", NULL, LM, 0, "an ETag with none stored: false "
	  "(§13.1.5)" },
	{ "\"V1\"", "\"v1\"", NULL, 0, "entity-tags compare octet by octet "
	  "(§8.8.3.2)" },
	{ "\"v1", "\"v1\"", NULL, 0, "an unterminated entity-tag: false "
	  "(§8.8.3)" },
	{ LM, "\"v1\"", LM, 1, "a date equal to Last-Modified: true "
	  "(§13.1.5)" },
	{ "Sunday, 06-Nov-94 08:49:37 GMT", NULL, LM, 1, "the same instant "
	  "in rfc850 form: true (§5.6.7, §13.1.5)" },
	{ "Sun, 06 Nov 1994 08:49:38 GMT", NULL, LM, 0, "a date one second "
	  "later: false (§13.1.5 exact match)" },
	{ "Sun, 06 Nov 1994 08:49:36 GMT", NULL, LM, 0, "a date one second "
	  "earlier: false (§13.1.5)" },
	{ "Wed, 09 Nov 1994 08:49:37 GMT", NULL, "Wed, 09 Nov 1994 08:49:37 "
	  "GMT", 1, "a Wednesday date is a date, not a W/ tag (§13.1.5)" },
	{ LM, NULL, NULL, 0, "a date without a stored Last-Modified: false "
	  "(§13.1.5)" },
	{ "yesterday", "\"v1\"", LM, 0, "neither entity-tag nor date: false "
	  "(§13.1.5)" },
};

/* range_select: request fields, stored response, length. */
static const struct {
	const char	*req;
	const char	*resp;
	uint64_t	 len;
	enum range_rc	 rc;
	uint64_t	 first, last;
	const char	*desc;
} selects[] = {
	{ "Range: bytes=1-2\r\n", "HTTP/1.1 200 OK\r\n", 10, OK, 1, 2,
	  "a Range on a stored 200 (§14.2)" },
	{ "", "HTTP/1.1 200 OK\r\n", 10, N, 0, 0, "no Range: the 200 "
	  "(§14.2)" },
	{ "Range: bytes=1-2\r\n", "HTTP/1.1 404 Not Found\r\n", 10, N, 0, 0,
	  "a stored 404 is not ranged (§14.2)" },
	{ "Range: bytes=1-2\r\nRange: bytes=3-4\r\n", "HTTP/1.1 200 OK\r\n",
	  10, N, 0, 0, "two Range fields: ignored (§14.2)" },
	{ "If-Range: \"a\"\r\n", "HTTP/1.1 200 OK\r\nETag: \"a\"\r\n", 10,
	  N, 0, 0, "If-Range without Range is ignored (§13.1.5)" },
	{ "Range: bytes=1-2\r\nIf-Range: \"a\"\r\n", "HTTP/1.1 200 OK\r\n"
	  "ETag: \"a\"\r\n", 10, OK, 1, 2, "If-Range matching: the range "
	  "(§13.1.5)" },
	{ "Range: bytes=1-2\r\nIf-Range: \"b\"\r\n", "HTTP/1.1 200 OK\r\n"
	  "ETag: \"a\"\r\n", 10, N, 0, 0, "If-Range not matching: the 200 "
	  "(§13.1.5)" },
	{ "Range: bytes=50-\r\nIf-Range: \"b\"\r\n", "HTTP/1.1 200 OK\r\n"
	  "ETag: \"a\"\r\n", 10, N, 0, 0, "a false If-Range wins over an "
	  "unsatisfiable Range: 200, not 416 (§13.1.5)" },
	{ "Range: bytes=50-\r\n", "HTTP/1.1 200 OK\r\n", 10, U, 0, 0,
	  "unsatisfiable without If-Range: 416 (§15.5.17)" },
	{ "Range: bytes=1-2\r\nIf-Range: \"a\"\r\nIf-Range: \"a\"\r\n",
	  "HTTP/1.1 200 OK\r\nETag: \"a\"\r\n", 10, N, 0, 0, "two If-Range "
	  "fields: false (§13.1.5)" },
	{ "Range: bytes=1-2\r\nIf-Range: \"a\"\r\n", "HTTP/1.1 200 OK\r\n"
	  "ETag: \"a\"\r\nETag: \"a\"\r\n", 10, N, 0, 0, "two stored ETags: "
	  "no validator, false (§8.8.3)" },
	{ "Range: bytes=1-2\r\nIf-Range: " LM "\r\n", "HTTP/1.1 200 OK\r\n"
	  "Last-Modified: " LM "\r\n", 10, OK, 1, 2, "If-Range date equal to "
	  "Last-Modified: the range (§13.1.5)" },
};

static struct http_head reqh, resph;
static char reqbuf[2048], respbuf[2048];

static void
parse(const char *req, const char *resp)
{
	const char *why = NULL;

	snprintf(reqbuf, sizeof(reqbuf), "GET http://h/ HTTP/1.1\r\nHost: h\r\n"
	    "%s\r\n", req);
	snprintf(respbuf, sizeof(respbuf), "%s\r\n", resp);
	if (http_request_parse(reqbuf, strlen(reqbuf), &reqh, &why) != 0)
		bail_out("test request does not parse: %s", why);
	if (http_response_parse(respbuf, strlen(respbuf), &resph, &why) != 0)
		bail_out("test response does not parse: %s", why);
}

static int
same(enum range_rc rc, const struct range *rg, enum range_rc want,
    uint64_t first, uint64_t last)
{
	if (rc != want || rg->rc != want)
		return 0;
	return want != RANGE_OK || (rg->first == first && rg->last == last);
}

int
main(void)
{
	struct range rg;
	struct cc rq, rs;
	enum range_rc rc;
	const char *why = NULL;
	size_t i;
	int n = 0;

	n += (int)(sizeof(parses) / sizeof(parses[0]));
	n += (int)(sizeof(ifranges) / sizeof(ifranges[0]));
	n += (int)(sizeof(selects) / sizeof(selects[0]));
	plan(n + 1);

	for (i = 0; i < sizeof(parses) / sizeof(parses[0]); i++) {
		memset(&rg, 0xa5, sizeof(rg));
		rc = range_parse(parses[i].in, strlen(parses[i].in),
		    parses[i].len, &rg);
		if (!ok(same(rc, &rg, parses[i].rc, parses[i].first,
		    parses[i].last), "%s", parses[i].desc))
			diag("\"%s\" len %llu: got rc %d [%llu, %llu]",
			    parses[i].in, (unsigned long long)parses[i].len,
			    (int)rc, (unsigned long long)rg.first,
			    (unsigned long long)rg.last);
	}
	for (i = 0; i < sizeof(ifranges) / sizeof(ifranges[0]); i++)
		is_int(range_if_range(ifranges[i].in, strlen(ifranges[i].in),
		    ifranges[i].etag, ifranges[i].etag ?
		    strlen(ifranges[i].etag) : 0, ifranges[i].lm,
		    ifranges[i].lm ? strlen(ifranges[i].lm) : 0),
		    ifranges[i].ok, "%s", ifranges[i].desc);
	for (i = 0; i < sizeof(selects) / sizeof(selects[0]); i++) {
		parse(selects[i].req, selects[i].resp);
		memset(&rg, 0xa5, sizeof(rg));
		rc = range_select(&reqh, &resph, selects[i].len, &rg);
		if (!ok(same(rc, &rg, selects[i].rc, selects[i].first,
		    selects[i].last), "%s", selects[i].desc))
			diag("got rc %d [%llu, %llu]", (int)rc,
			    (unsigned long long)rg.first,
			    (unsigned long long)rg.last);
	}

	/* RFC 9111 §3.3: we do not combine partial content: 206 not stored. */
	parse("Range: bytes=0-1\r\n", "HTTP/1.1 206 Partial Content\r\n"
	    "Content-Range: bytes 0-1/10\r\nCache-Control: max-age=600\r\n");
	policy_cc(&reqh, 1, &rq);
	policy_cc(&resph, 0, &rs);
	is_int(policy_storable("GET", 0, &rq, &resph, &rs, &why), 0,
	    "a 206 with max-age is not stored (RFC 9111 §3.3, §3)");
	return exit_status();
}
