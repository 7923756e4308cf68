/*
 * unit-cache-vary.c -- secondary keys from Vary (cache/vary.c), one row
 * per rule with its section: the spec of a response (RFC 9111 §4.1), the
 * normalised values of a request, Accept-Encoding as a set.
 *
 * Unit test: heads parsed by worker/http_parse.c from literal text, then
 * the pure functions.  No sockets.
 */
#include <stdio.h>
#include <string.h>

#include "http_parse.h"
#include "store.h"
#include "tap.h"
#include "vary.h"

static const struct {
	const char	*resp;		/* response fields */
	int		 rc;
	const char	*spec;
	const char	*desc;
} specs[] = {
	{ "", VARY_OK, "", "no Vary: empty spec" },
	{ "Vary: Accept-Encoding\r\n", VARY_OK, "accept-encoding",
	    "one name, lower case (field names are case-insensitive, "
	    "RFC 9110 §5.1)" },
	{ "Vary: b, A,  c \r\n", VARY_OK, "a,b,c", "names sorted, OWS dropped" },
	{ "Vary: a\r\nVary: B, a\r\n", VARY_OK, "a,b",
	    "several lines are one list, duplicates once (RFC 9110 §5.3)" },
	{ "Vary: a, , b,\r\n", VARY_OK, "a,b",
	    "empty list elements ignored (RFC 9110 §5.6.1)" },
	{ "Vary: a, *\r\n", VARY_STAR, "", "* anywhere: never matches "
	    "(RFC 9111 §4.1)" },
	{ "Vary: *\r\n", VARY_STAR, "", "Vary: * alone" },
	{ "Vary:\r\n", VARY_OK, "", "an empty Vary varies on nothing" },
};

static const struct {
	const char	*spec;
	const char	*req;		/* request fields */
	const char	*key;
	const char	*desc;
} keys[] = {
	{ "accept-encoding", "Accept-Encoding: gzip, deflate\r\n",
	    "accept-encoding=gzip\n", "Accept-Encoding: gzip or identity "
	    "(one stored copy for every gzip client)" },
	{ "accept-encoding", "Accept-Encoding: deflate;q=0.5,GZIP;q=1\r\n",
	    "accept-encoding=gzip\n",
	    "q other than 0 and case do not matter (RFC 9110 §12.4.2)" },
	{ "accept-encoding", "Accept-Encoding: gzip, deflate, br, zstd\r\n",
	    "accept-encoding=gzip\n", "a browser's list: gzip" },
	{ "accept-encoding", "Accept-Encoding: br, deflate\r\n",
	    "accept-encoding=identity\n", "no gzip among them: identity" },
	{ "accept-encoding", "Accept-Encoding: gzip;q=0.0\r\n",
	    "accept-encoding=identity\n", "q=0.0 is q=0: refused" },
	{ "accept-encoding", "Accept-Encoding: gzip;q=0.01\r\n",
	    "accept-encoding=gzip\n", "q=0.01 accepts" },
	{ "accept-encoding", "Accept-Encoding: x-gzip\r\n",
	    "accept-encoding=gzip\n", "x-gzip is gzip (RFC 9110 §8.4.1.3)" },
	{ "accept-encoding", "Accept-Encoding: *\r\n",
	    "accept-encoding=gzip\n", "\"*\" takes gzip (§12.5.3)" },
	{ "accept-encoding", "Accept-Encoding: *, gzip;q=0\r\n",
	    "accept-encoding=identity\n", "... unless gzip is refused" },
	{ "accept-encoding", "Accept-Encoding: gzip, identity;q=0\r\n",
	    "accept-encoding=gzip\n", "refused identity does not matter" },
	{ "accept-encoding", "Accept-Encoding: \r\n",
	    "accept-encoding=identity\n", "empty: identity" },
	{ "accept-encoding", "", "accept-encoding=identity\n",
	    "absent: identity (what the cache asks the origin for)" },
	{ "accept-encoding", "Accept-Encoding: br\r\nAccept-Encoding: gzip\r\n",
	    "accept-encoding=gzip\n", "two lines are one list" },
	{ "accept-encoding,x-a", "Accept-Encoding: gzip\r\nX-A: 1\r\n",
	    "accept-encoding=gzip\nx-a=1\n", "with other fields" },
	{ "accept-language", "Accept-Language:  en-GB ,  fr; q=0.5 \r\n",
	    "accept-language=en-gb,fr;q=0.5\n",
	    "Accept-Language: whitespace dropped, tags in lower case "
	    "(RFC 9110 §12.5.4)" },
	{ "accept-language", "Accept-Language: en\r\nAccept-Language: de\r\n",
	    "accept-language=de,en\n", "Accept-Language: a sorted set" },
	{ "x-list", "X-List:  b ,  a;q=0.5 \r\n", "x-list=b,a;q=0.5\n",
	    "other fields: OWS around commas and ends dropped, order and "
	    "case kept" },
	{ "x-list", "X-List: 1\r\nX-List: 2\r\n", "x-list=1,2\n",
	    "other fields: lines joined in order (RFC 9110 §5.3)" },
	{ "x-a", "X-A: one   two\r\n", "x-a=one two\n",
	    "runs of whitespace become one space" },
	{ "a,b", "B: 2\r\nA: 1\r\n", "a=1\nb=2\n",
	    "several names in spec order" },
	{ "a,b", "A: 1\r\n", "a=1\nb!\n", "a missing field is marked" },
	{ "cookie", "Cookie: a=1\r\n", "cookie=a=1\n", "values are opaque" },
};

static struct http_head h;
static char buf[4096];

static void
parse_resp(const char *fields)
{
	const char *why = NULL;

	snprintf(buf, sizeof(buf), "HTTP/1.1 200 OK\r\n%s\r\n", fields);
	if (http_response_parse(buf, strlen(buf), &h, &why) != 0)
		bail_out("test response does not parse: %s", why);
}

static void
parse_req(const char *fields)
{
	const char *why = NULL;

	snprintf(buf, sizeof(buf), "GET http://h/ HTTP/1.1\r\nHost: h\r\n"
	    "%s\r\n", fields);
	if (http_request_parse(buf, strlen(buf), &h, &why) != 0)
		bail_out("test request does not parse: %s", why);
}

int
main(void)
{
	char spec[STORE_VARY_MAX + 1], rqf[4096], key[4096], small[8];
	size_t i, n, k;
	int rc;

	plan((int)(sizeof(specs) / sizeof(specs[0]) +
	    sizeof(keys) / sizeof(keys[0])) + 7);
	for (i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		parse_resp(specs[i].resp);
		rc = vary_spec(&h, spec, sizeof(spec));
		ok(rc == specs[i].rc && (rc != VARY_OK ||
		    strcmp(spec, specs[i].spec) == 0), "spec: %s",
		    specs[i].desc);
		if (rc != specs[i].rc || (rc == VARY_OK &&
		    strcmp(spec, specs[i].spec) != 0))
			diag("got %d \"%s\"", rc, spec);
	}
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		parse_req(keys[i].req);
		n = vary_fields(&h, rqf, sizeof(rqf));
		k = n == (size_t)-1 ? n : vary_key(keys[i].spec, rqf, n, key,
		    sizeof(key));
		ok(k != (size_t)-1 && strcmp(key, keys[i].key) == 0,
		    "key: %s", keys[i].desc);
		if (k == (size_t)-1 || strcmp(key, keys[i].key) != 0)
			diag("got \"%s\"", k == (size_t)-1 ? "(error)" : key);
	}
	/* The gzip variant's key for a client that does not take gzip. */
	parse_req("Accept-Encoding: br\r\nX-A: 1\r\n");
	n = vary_fields(&h, rqf, sizeof(rqf));
	k = vary_key_ae("accept-encoding,x-a", rqf, n, "gzip", key,
	    sizeof(key));
	ok(k != (size_t)-1 && strcmp(key, "accept-encoding=gzip\nx-a=1\n") ==
	    0, "vary_key_ae: the gzip variant's key, other fields the "
	    "request's");
	ok(!vary_request_gzip(&h), "vary_request_gzip: br only: no");
	parse_req("Accept-Encoding: deflate\r\nAccept-Encoding: GZIP\r\n");
	ok(vary_request_gzip(&h), "vary_request_gzip: every line counts");
	/* Bounds: refused, never cut. */
	parse_resp("Vary: a1,a2,a3,a4,a5,a6,a7,a8,a9,a10,a11,a12,a13,a14,a15,"
	    "a16,a17,a18,a19,a20,a21,a22,a23,a24,a25,a26,a27,a28,a29,a30,a31,"
	    "a32,a33\r\n");
	is_int(vary_spec(&h, spec, sizeof(spec)), VARY_TOOBIG,
	    "more than VARY_NAMES_MAX names: too big, not stored");
	parse_resp("Vary: abc, def\r\n");
	is_int(vary_spec(&h, small, 5), VARY_TOOBIG,
	    "a spec that does not fit the buffer: too big");
	parse_req("X-Long: 0123456789\r\n");
	ok(vary_fields(&h, small, sizeof(small)) == (size_t)-1,
	    "request fields that do not fit: refused");
	n = vary_fields(&h, rqf, sizeof(rqf));
	ok(vary_key("x-long", rqf, n, small, sizeof(small)) == (size_t)-1,
	    "a key that does not fit: refused");
	return exit_status();
}
