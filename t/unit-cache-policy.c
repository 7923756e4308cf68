/*
 * unit-cache-policy.c -- RFC 9111 as a shared cache reads it: each row
 * is one rule with its section number (cache/policy.c).
 *
 * Unit test: heads parsed by worker/http_parse.c from literal text, then
 * the pure policy functions.  No sockets, no clock.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "http_parse.h"
#include "policy.h"
#include "tap.h"

#define T0	((int64_t)784111777)	/* Sun, 06 Nov 1994 08:49:37 GMT */

static const struct refresh defrp = { 0, 10, 3 * 86400, 0, -1 };

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

/* policy_date */
static const struct {
	const char	*in;
	int64_t		 out;
	const char	*desc;
} dates[] = {
	{ "Sun, 06 Nov 1994 08:49:37 GMT", T0, "IMF-fixdate (RFC 9110 §5.6.7)" },
	{ "Sunday, 06-Nov-94 08:49:37 GMT", T0, "rfc850-date (§5.6.7)" },
	{ "Sun Nov  6 08:49:37 1994", T0, "asctime-date (§5.6.7)" },
	{ "Sun, 06 Nov 1994 08:49:37 UTC", -1, "not GMT: invalid" },
	{ "Sun, 31 Feb 1994 08:49:37 GMT", -1, "31 February: invalid" },
	{ "0", -1, "Expires: 0 is not a date (§5.3: already expired)" },
	{ "Sun, 06 Nov 1994 08:49:37 GMT junk", -1, "trailing junk: invalid" },
	{ "Sun, 06 Foo 1994 08:49:37 GMT", -1, "unknown month: invalid" },
	{ "Sun, 06 Nov 1994 08:49:3x GMT", -1, "a letter for a digit: invalid" },
	{ "Sun, 06 Nov 1994 24:49:37 GMT", -1, "hour 24: invalid" },
	{ "Sun, 06 Nov 1994 08:49:37 gmt", -1, "gmt in lower case: invalid "
	  "(§5.6.7: case-sensitive)" },
	{ "Sun,  6 Nov 1994 08:49:37 GMT", T0, "a space for the leading zero "
	  "(lenient, as most caches are)" },
	{ "Wed, 25 Nov 2026 07:00:00 GMT", 1795590000, "a date of today's "
	  "century (fixed offsets)" },
};

/* policy_storable: request fields, response, expected, why */
static const struct {
	const char	*req;
	const char	*resp;
	int		 ok;
	const char	*desc;
} storable[] = {
	{ "", "HTTP/1.1 200 OK\r\nCache-Control: max-age=60\r\n", 1,
	  "200 with max-age is storable (§3)" },
	{ "", "HTTP/1.1 200 OK\r\n", 1,
	  "200 without freshness is heuristically storable (§4.2.2)" },
	{ "", "HTTP/1.1 302 Found\r\n", 0,
	  "302 without explicit freshness is not (§4.2.2 list)" },
	{ "", "HTTP/1.1 302 Found\r\nCache-Control: max-age=60\r\n", 1,
	  "302 with max-age is (§3)" },
	{ "", "HTTP/1.1 200 OK\r\nCache-Control: no-store\r\n", 0,
	  "response no-store (§5.2.2.5)" },
	{ "", "HTTP/1.1 500 Oops\r\nCache-Control: max-age=60\r\n", 1,
	  "any final status with explicit freshness is storable (§3)" },
	{ "", "HTTP/1.1 299 Whatever\r\nCache-Control: max-age=60\r\n", 1,
	  "even one not understood, without must-understand (§3)" },
	{ "", "HTTP/1.1 500 Oops\r\n", 0,
	  "500 without freshness: not heuristically cacheable (§4.2.2)" },
	{ "", "HTTP/1.1 200 OK\r\nCache-Control: must-understand, no-store, "
	  "max-age=60\r\n", 1,
	  "must-understand on an understood status outranks no-store "
	  "(§5.2.2.3)" },
	{ "", "HTTP/1.1 299 Whatever\r\nCache-Control: must-understand, "
	  "no-store, max-age=60\r\n", 0,
	  "must-understand on a status not understood: not stored (§5.2.2.3)" },
	{ "", "HTTP/1.1 299 Whatever\r\nCache-Control: must-understand, "
	  "max-age=60\r\n", 0,
	  "must-understand alone on a status not understood (§5.2.2.3)" },
	{ "Cache-Control: no-store\r\n", "HTTP/1.1 200 OK\r\nCache-Control: "
	  "must-understand, no-store, max-age=60\r\n", 0,
	  "request no-store still wins (§5.2.1.5)" },
	{ "", "HTTP/1.1 206 Partial Content\r\nCache-Control: max-age=60\r\n"
	  "Content-Range: bytes 0-1/10\r\n", 0,
	  "206: partial content is not stored (§3.3 not implemented)" },
	{ "Cache-Control: no-store\r\n", "HTTP/1.1 200 OK\r\n", 0,
	  "request no-store (§5.2.1.5)" },
	{ "", "HTTP/1.1 200 OK\r\nCache-Control: private, max-age=60\r\n", 0,
	  "private: a shared cache must not store (§5.2.2.7)" },
	{ "", "HTTP/1.1 200 OK\r\nCache-Control: private=\"Set-Cookie\"\r\n",
	  1, "private=field: stored without the field (§5.2.2.7)" },
	{ "Authorization: Basic eDp5\r\n", "HTTP/1.1 200 OK\r\n"
	  "Cache-Control: max-age=60\r\n", 0,
	  "Authorization without public/s-maxage/must-revalidate (§3.5)" },
	{ "Authorization: Basic eDp5\r\n", "HTTP/1.1 200 OK\r\n"
	  "Cache-Control: public, max-age=60\r\n", 1,
	  "Authorization with public (§3.5)" },
	{ "Authorization: Basic eDp5\r\n", "HTTP/1.1 200 OK\r\n"
	  "Cache-Control: s-maxage=60\r\n", 1,
	  "Authorization with s-maxage (§3.5)" },
	{ "", "HTTP/1.1 200 OK\r\nVary: *\r\nCache-Control: max-age=60\r\n",
	  0, "Vary: * is never served, so not stored (§4.1)" },
	{ "", "HTTP/1.1 206 Partial Content\r\nCache-Control: max-age=60\r\n",
	  0, "206 is not stored by this cache (§3.3 not implemented)" },
	{ "", "HTTP/1.1 200 OK\r\nCACHE-CONTROL: NO-STORE\r\n", 0,
	  "directive and field names ignore case (§5.2)" },
};

/* policy_lifetime: response, expected lifetime, heuristic */
static const struct {
	const char	*resp;
	int64_t		 life;
	int		 heur;
	const char	*desc;
} lifetimes[] = {
	{ "HTTP/1.1 200 OK\r\nCache-Control: max-age=60, s-maxage=300\r\n",
	  300, 0, "s-maxage before max-age in a shared cache (§4.2.1)" },
	{ "HTTP/1.1 200 OK\r\nCache-Control: max-age=60 , public\r\n",
	  60, 0, "OWS around a list comma is not part of the value "
	  "(RFC 9110 §5.6.1)" },
	{ "HTTP/1.1 200 OK\r\nCache-Control: max-age=003600\r\n",
	  3600, 0, "leading zeros are digits (§1.2.2)" },
	{ "HTTP/1.1 200 OK\r\nCache-Control: max-age=\"3600\"\r\n",
	  3600, 0, "quoted form accepted (§5.2)" },
	{ "HTTP/1.1 200 OK\r\nCache-Control: ext=\"max-age=3600\", "
	  "max-age=1\r\n", 1, 0, "max-age inside a quoted string is not one "
	  "(§5.2)" },
	{ "HTTP/1.1 200 OK\r\nCache-Control: max-age=1, ext=\"max-age=3600\""
	  "\r\n", 1, 0, "nor after the real one (§5.2)" },
	{ "HTTP/1.1 200 OK\r\nCache-Control: max-age= 3600\r\n",
	  0, 0, "space after '=': an invalid value, stale (§5.2, §4.2.1)" },
	{ "HTTP/1.1 200 OK\r\nCache-Control: max-age='3600'\r\n",
	  0, 0, "single quotes: invalid, stale" },
	{ "HTTP/1.1 200 OK\r\nCache-Control: max-age=60\r\n"
	  "Expires: Sun, 06 Nov 1994 09:49:37 GMT\r\n"
	  "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n",
	  60, 0, "max-age before Expires (§4.2.1)" },
	{ "HTTP/1.1 200 OK\r\nExpires: Sun, 06 Nov 1994 09:49:37 GMT\r\n"
	  "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n",
	  3600, 0, "Expires - Date (§4.2.1)" },
	{ "HTTP/1.1 200 OK\r\nExpires: 0\r\n"
	  "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n",
	  0, 0, "an invalid Expires means already expired (§5.3)" },
	{ "HTTP/1.1 200 OK\r\nCache-Control: max-age=abc\r\n",
	  0, 0, "an invalid max-age makes the response stale (§4.2.1)" },
	{ "HTTP/1.1 200 OK\r\nCache-Control: max-age=60\r\n"
	  "Cache-Control: max-age=3600\r\n",
	  0, 0, "a repeated max-age makes it stale (§4.2.1)" },
	{ "HTTP/1.1 200 OK\r\nCache-Control: max-age=99999999999\r\n",
	  CC_DELTA_MAX, 0, "delta-seconds past 2^31 are 2^31 (§1.2.2)" },
	{ "HTTP/1.1 200 OK\r\nCache-Control: max-age=\"120\"\r\n",
	  120, 0, "a quoted max-age is read (§5.2)" },
	{ "HTTP/1.1 200 OK\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
	  "Last-Modified: Sun, 06 Nov 1994 06:49:37 GMT\r\n",
	  720, 1, "heuristic: 10% of Date - Last-Modified (§4.2.2)" },
	{ "HTTP/1.1 200 OK\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
	  "Last-Modified: Sun, 06 Nov 1984 08:49:37 GMT\r\n",
	  3 * 86400, 1, "heuristic capped at refresh_pattern MAX (3 days)" },
	{ "HTTP/1.1 302 Found\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
	  "Last-Modified: Sun, 06 Nov 1994 06:49:37 GMT\r\n",
	  0, 0, "no heuristic for 302 (§4.2.2)" },
	{ "HTTP/1.1 302 Found\r\nCache-Control: public\r\n"
	  "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
	  "Last-Modified: Sun, 06 Nov 1994 06:49:37 GMT\r\n",
	  720, 1, "public allows a heuristic for any status (§4.2.2)" },
};

/*
 * policy_lifetime with a refresh_pattern line: squid's refreshStaleness()
 * for a response without explicit expiry (RFC 9111 §4.2.2).
 * Date is T0; "LM -2h" is two hours before it.
 */
#define D0	"Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
static const struct {
	const char	*resp;
	struct refresh	 rp;
	int64_t		 life;
	const char	*desc;
} heuristics[] = {
	{ "HTTP/1.1 200 OK\r\n" D0
	  "Last-Modified: Sun, 06 Nov 1994 06:49:37 GMT\r\n",
	  { 3600, 10, 86400, 0, -1 }, 720, "LM-factor below MIN stays (squid: "
	  "MIN "
	  "applies only without Last-Modified; §4.2.2)" },
	{ "HTTP/1.1 200 OK\r\n" D0, { 3600, 20, 86400, 0, -1 }, 3600,
	  "no Last-Modified: MIN (§4.2.2)" },
	{ "HTTP/1.1 200 OK\r\n" D0, { 7200, 20, 3600, 0, -1 }, 3600,
	  "no Last-Modified, MIN above MAX: MAX" },
	{ "HTTP/1.1 200 OK\r\n" D0
	  "Last-Modified: Sun, 06 Nov 1994 08:49:37 GMT\r\n",
	  { 600, 20, 86400, 0, -1 }, 600, "Last-Modified equal to Date: MIN "
	  "(squid's lastmod_delta > 0 only)" },
	{ "HTTP/1.1 200 OK\r\n" D0
	  "Last-Modified: Mon, 07 Nov 1994 08:49:37 GMT\r\n",
	  { 600, 20, 86400, 0, -1 }, 600, "Last-Modified after Date: MIN" },
	{ "HTTP/1.1 200 OK\r\n" D0
	  "Last-Modified: Thu, 27 Oct 1994 08:49:37 GMT\r\n",
	  { 3600, 50, 1440 * 60, 0, -1 }, 86400, "50% of 10 days capped at MAX "
	  "1440 minutes" },
	{ "HTTP/1.1 200 OK\r\n" D0
	  "Last-Modified: Thu, 27 Oct 1994 08:49:37 GMT\r\n",
	  { 0, 50, 0, 0, -1 }, 0, "MAX 0: stale at once" },
	{ "HTTP/1.1 200 OK\r\n" D0
	  "Last-Modified: Sun, 06 Nov 1994 06:49:37 GMT\r\n",
	  { 0, 0, 0, 0, -1 }, 0, "0 0% 0 (squid's cgi-bin line): no heuristic "
	  "freshness" },
	{ "HTTP/1.1 200 OK\r\n" D0
	  "Expires: Sun, 06 Nov 1994 08:50:37 GMT\r\n"
	  "Last-Modified: Thu, 27 Oct 1994 08:49:37 GMT\r\n",
	  { 86400, 100, 86400, 0, -1 }, 60, "Expires wins over the pattern "
	  "(§4.2.1: explicit first)" },
	{ "HTTP/1.1 200 OK\r\nDate: Fri, 31 Dec 9999 23:59:59 GMT\r\n"
	  "Last-Modified: Fri, 02 Jan 1970 00:00:00 GMT\r\n",
	  { 0, 2147483647, 86400, 0, -1 }, 86400, "a huge PERCENT does not "
	  "overflow: MAX" },
};

/*
 * The Age field (§5.1): Age = delta-seconds (§1.2.2), 1*DIGIT.  Each row
 * is checked twice: what policy_age_field() reads, and the lifetime of
 * the response with "Cache-Control: max-age=3600" added: an Age that is
 * not delta-seconds makes it stale (0), the conservative reading of
 * §4.2.1 for invalid freshness information.
 */
static const struct {
	const char	*fields;
	int64_t		 age;
	int64_t		 life;
	const char	*desc;
} ages[] = {
	{ "Age: 30\r\n", 30, 3600, "Age: 30 is read, the response stays "
	  "fresh (§5.1)" },
	{ "Age: 30, 60\r\n", 30, 3600, "a list: the first member (§5.1)" },
	{ "Age: 30\r\nAge: 60\r\n", 30, 3600, "two lines: the first "
	  "(§5.1)" },
	{ "Age: 30, abc\r\n", 30, 3600, "a bad member after a good first "
	  "one does not matter (§5.1: the first)" },
	{ "Age: 007\r\n", 7, 3600, "leading zeros are digits (§1.2.2)" },
	{ "Age: 99999999999999999999\r\n", CC_DELTA_MAX, 3600,
	  "too large: 2^31 (§1.2.2)" },
	{ "", -1, 3600, "no Age: the lifetime stands" },
	{ "Age: abc\r\n", POLICY_AGE_INVALID, 0, "letters: not "
	  "delta-seconds, stale (§1.2.2, §4.2.1)" },
	{ "Age: -5\r\n", POLICY_AGE_INVALID, 0, "negative: not "
	  "delta-seconds, stale (§1.2.2)" },
	{ "Age: +5\r\n", POLICY_AGE_INVALID, 0, "a sign: not delta-seconds, "
	  "stale (§1.2.2)" },
	{ "Age: 1.5\r\n", POLICY_AGE_INVALID, 0, "a fraction: not "
	  "delta-seconds, stale (§1.2.2)" },
	{ "Age: 1e3\r\n", POLICY_AGE_INVALID, 0, "an exponent: not "
	  "delta-seconds, stale (§1.2.2)" },
	{ "Age: 30;q=1\r\n", POLICY_AGE_INVALID, 0, "parameters: not "
	  "delta-seconds, stale (§5.1)" },
	{ "Age: \"30\"\r\n", POLICY_AGE_INVALID, 0, "quoted: Age has no "
	  "quoted form, stale (§5.1)" },
	{ "Age: 3 0\r\n", POLICY_AGE_INVALID, 0, "a space inside: stale "
	  "(§1.2.2)" },
	{ "Age: abc, 30\r\n", POLICY_AGE_INVALID, 0, "a bad first member "
	  "spoils it even before a good one (§5.1: the first)" },
	{ "Age: abc\r\nAge: 30\r\n", POLICY_AGE_INVALID, 0, "a bad first "
	  "line spoils it even before a good one (§5.1)" },
	{ "Age: , 30\r\n", POLICY_AGE_INVALID, 0, "an empty first member: "
	  "stale (§5.1)" },
	{ "Age:\r\n", POLICY_AGE_INVALID, 0, "an empty Age: stale (§5.1)" },
};

/* policy_use: request CC, response CC, lifetime, age, expected */
static const struct {
	const char	*req;
	const char	*resp;
	int64_t		 life, age;
	enum policy_use	 use;
	const char	*desc;
} uses[] = {
	{ "", "", 60, 10, USE_FRESH, "age below lifetime: fresh (§4.2)" },
	{ "", "", 60, 60, USE_REVALIDATE, "age equal to lifetime: stale" },
	{ "Cache-Control: no-cache\r\n", "", 60, 10, USE_REVALIDATE,
	  "request no-cache: revalidate (§5.2.1.4)" },
	{ "Pragma: no-cache\r\n", "", 60, 10, USE_REVALIDATE,
	  "Pragma: no-cache without Cache-Control (§5.4)" },
	{ "Pragma: no-cache\r\nCache-Control: max-stale\r\n", "", 60, 10,
	  USE_FRESH, "Pragma is ignored when Cache-Control is there (§5.4)" },
	{ "", "Cache-Control: no-cache\r\n", 60, 10, USE_REVALIDATE,
	  "response no-cache: revalidate (§5.2.2.4)" },
	{ "Cache-Control: max-age=5\r\n", "", 60, 10, USE_REVALIDATE,
	  "request max-age below the age (§5.2.1.1)" },
	{ "Cache-Control: min-fresh=55\r\n", "", 60, 10, USE_REVALIDATE,
	  "request min-fresh beyond what is left (§5.2.1.3)" },
	{ "Cache-Control: max-stale=30\r\n", "", 60, 80, USE_STALE_OK,
	  "stale by 20 s within max-stale=30 (§5.2.1.2)" },
	{ "Cache-Control: max-stale=10\r\n", "", 60, 80, USE_REVALIDATE,
	  "stale by 20 s beyond max-stale=10 (§5.2.1.2)" },
	{ "Cache-Control: max-stale\r\n", "", 60, 9999, USE_STALE_OK,
	  "max-stale without a value: any staleness (§5.2.1.2)" },
	{ "Cache-Control: max-stale\r\n", "Cache-Control: must-revalidate\r\n",
	  60, 80, USE_REVALIDATE, "must-revalidate overrides max-stale "
	  "(§5.2.2.2)" },
	{ "Cache-Control: max-stale\r\n", "Cache-Control: proxy-revalidate\r\n",
	  60, 80, USE_REVALIDATE, "proxy-revalidate binds a shared cache "
	  "(§5.2.2.8)" },
	{ "Cache-Control: max-stale\r\n", "Cache-Control: s-maxage=60\r\n",
	  60, 80, USE_REVALIDATE, "s-maxage implies proxy-revalidate "
	  "(§5.2.2.10)" },
};

/* policy_quick_abort (squid's quick_abort_min/max/pct). */
#define KB	1024ULL
#define MB	(1024ULL * 1024)
static const struct {
	int64_t		 min, max;
	int		 pct;
	uint64_t	 got, total;
	int		 go;
	const char	*desc;
} quick[] = {
	{ -1, -1, 95, 1, 10 * MB, 1, "min -1: always finish" },
	{ 16 * KB, 16 * KB, 95, 10 * MB - 8 * KB, 10 * MB, 1,
	  "8 KB left, under min: finish" },
	{ 16 * KB, 16 * KB, 95, 1 * MB, 10 * MB, 0,
	  "9 MB left, over max: let it go" },
	{ 64 * MB, 1024 * MB, 50, 10 * MB, 200 * MB, 0,
	  "190 MB left, 5% in, under pct: let it go" },
	{ 64 * MB, 1024 * MB, 50, 120 * MB, 200 * MB, 1,
	  "80 MB left, 60% in: finish" },
	{ 64 * MB, 1024 * MB, 50, 1 * MB, 2 * MB, 1,
	  "1 MB left of 2 MB, under min: finish" },
	{ 64 * MB, 1024 * MB, 50, 1 * MB, 4096 * MB, 0,
	  "4 GB left, over max: let it go" },
	{ 64 * MB, -1, 0, 1, 4096 * MB, 1,
	  "max -1, pct 0: finish whatever is left" },
	{ 64 * MB, 1024 * MB, 50, 1 * MB, UINT64_MAX, 0,
	  "an unknown length: let it go (squid)" },
	{ 0, 0, 100, 1 * MB, 2 * MB, 0, "min 0, max 0: never" },
};

/* policy_swr (RFC 5861 §3). */
static const struct {
	const char	*req, *resp;
	int64_t		 life, age;
	int		 swr;
	const char	*desc;
} swrs[] = {
	{ "", "Cache-Control: max-age=60, stale-while-revalidate=30\r\n",
	  60, 80, 1, "20 s stale, window 30: served, revalidated behind" },
	{ "", "Cache-Control: max-age=60, stale-while-revalidate=30\r\n",
	  60, 90, 1, "at the window's edge: still" },
	{ "", "Cache-Control: max-age=60, stale-while-revalidate=30\r\n",
	  60, 91, 0, "past the window: revalidate first" },
	{ "", "Cache-Control: max-age=60\r\n", 60, 61, 0,
	  "no stale-while-revalidate: revalidate first" },
	{ "", "Cache-Control: max-age=60, stale-while-revalidate=x\r\n",
	  60, 61, 0, "a value that is not delta-seconds: ignored" },
	{ "", "Cache-Control: max-age=60, stale-while-revalidate\r\n",
	  60, 61, 0, "no value: ignored" },
	{ "", "Cache-Control: max-age=60, stale-while-revalidate=30, "
	  "must-revalidate\r\n", 60, 61, 0,
	  "must-revalidate wins (RFC 9111 §5.2.2.2)" },
	{ "", "Cache-Control: max-age=60, stale-while-revalidate=30, "
	  "proxy-revalidate\r\n", 60, 61, 0, "proxy-revalidate wins" },
	{ "", "Cache-Control: s-maxage=60, stale-while-revalidate=30\r\n",
	  60, 61, 0, "s-maxage implies proxy-revalidate (§5.2.2.10)" },
	{ "Cache-Control: max-age=0\r\n",
	  "Cache-Control: max-age=60, stale-while-revalidate=30\r\n",
	  60, 61, 0, "the client asks max-age=0 (apt): revalidate first" },
	{ "Cache-Control: no-cache\r\n",
	  "Cache-Control: max-age=60, stale-while-revalidate=30\r\n",
	  60, 61, 0, "the client asks no-cache" },
	{ "Pragma: no-cache\r\n",
	  "Cache-Control: max-age=60, stale-while-revalidate=30\r\n",
	  60, 61, 0, "Pragma: no-cache too" },
	{ "Cache-Control: max-stale=5\r\n",
	  "Cache-Control: max-age=60, stale-while-revalidate=30\r\n",
	  60, 61, 1, "a client's max-stale does not stop it" },
	{ "", "Cache-Control: max-age=60, stale-while-revalidate=30\r\n",
	  60, 59, 0, "fresh: not a stale answer at all" },
};

int
main(void)
{
	struct cc rq, rs;
	size_t i;
	int ok_, heur;
	const char *why;
	int64_t v;

	plan((int)(sizeof(dates) / sizeof(dates[0]) +
	    sizeof(storable) / sizeof(storable[0]) +
	    2 * sizeof(lifetimes) / sizeof(lifetimes[0]) +
	    sizeof(heuristics) / sizeof(heuristics[0]) +
	    sizeof(uses) / sizeof(uses[0]) +
	    2 * sizeof(ages) / sizeof(ages[0]) +
	    sizeof(quick) / sizeof(quick[0]) +
	    sizeof(swrs) / sizeof(swrs[0])) + 17);

	for (i = 0; i < sizeof(dates) / sizeof(dates[0]); i++)
		is_int(policy_date(dates[i].in, strlen(dates[i].in)),
		    dates[i].out, "%s", dates[i].desc);

	for (i = 0; i < sizeof(storable) / sizeof(storable[0]); i++) {
		parse(storable[i].req, storable[i].resp);
		policy_cc(&reqh, 1, &rq);
		policy_cc(&resph, 0, &rs);
		why = NULL;
		ok_ = policy_storable("GET", strstr(storable[i].req,
		    "Authorization") != NULL, &rq, &resph, &rs, &why);
		is_int(ok_, storable[i].ok, "%s%s%s", storable[i].desc,
		    why ? ": " : "", why ? why : "");
	}

	for (i = 0; i < sizeof(lifetimes) / sizeof(lifetimes[0]); i++) {
		parse("", lifetimes[i].resp);
		policy_cc(&resph, 0, &rs);
		v = policy_lifetime(&resph, &rs, T0, &defrp, &heur);
		is_int(v, lifetimes[i].life, "%s", lifetimes[i].desc);
		is_int(heur, lifetimes[i].heur, "%s: %s", lifetimes[i].desc,
		    lifetimes[i].heur ? "heuristic" : "not heuristic");
	}

	for (i = 0; i < sizeof(heuristics) / sizeof(heuristics[0]); i++) {
		parse("", heuristics[i].resp);
		policy_cc(&resph, 0, &rs);
		v = policy_lifetime(&resph, &rs, T0, &heuristics[i].rp, &heur);
		is_int(v, heuristics[i].life, "refresh_pattern %lld %d%% %lld: "
		    "%s", (long long)heuristics[i].rp.min / 60,
		    heuristics[i].rp.percent, (long long)heuristics[i].rp.max /
		    60, heuristics[i].desc);
	}

	for (i = 0; i < sizeof(uses) / sizeof(uses[0]); i++) {
		char resp[512];

		snprintf(resp, sizeof(resp), "HTTP/1.1 200 OK\r\n%s",
		    uses[i].resp);
		parse(uses[i].req, resp);
		policy_cc(&reqh, 1, &rq);
		policy_cc(&resph, 0, &rs);
		is_int(policy_use(&rq, &rs, uses[i].life, uses[i].age),
		    uses[i].use, "%s", uses[i].desc);
	}

	for (i = 0; i < sizeof(swrs) / sizeof(swrs[0]); i++) {
		char resp[512];

		snprintf(resp, sizeof(resp), "HTTP/1.1 200 OK\r\n%s",
		    swrs[i].resp);
		parse(swrs[i].req, resp);
		policy_cc(&reqh, 1, &rq);
		policy_cc(&resph, 0, &rs);
		is_int(policy_swr(&rq, &rs, swrs[i].life, swrs[i].age),
		    swrs[i].swr, "stale-while-revalidate: %s", swrs[i].desc);
	}

	/* §4.2.3: Age computed from its parts. */
	/* policy_lifetime without a refresh_pattern: asks for one. */
	{
		heur = 0;
		parse("", "HTTP/1.1 200 OK\r\nLast-Modified: Sun, 06 Nov 1994 "
		    "08:49:37 GMT\r\nDate: Sun, 06 Nov 1994 18:49:37 GMT\r\n");
		policy_cc(&resph, 0, &rs);
		ok(policy_lifetime(&resph, &rs, T0, NULL, &heur) == 0 &&
		    heur == 1, "a heuristic case with no refresh_pattern "
		    "given: 0 and heuristic (the caller looks one up)");
		parse("", "HTTP/1.1 200 OK\r\nCache-Control: max-age=9\r\n");
		policy_cc(&resph, 0, &rs);
		heur = 1;
		ok(policy_lifetime(&resph, &rs, T0, NULL, &heur) == 9 &&
		    heur == 0, "explicit freshness needs no refresh_pattern");
	}
	/* policy_cc_omits (§5.2.2.4, §5.2.2.7) */
	parse("", "HTTP/1.1 200 OK\r\nCache-Control: no-cache=\"A, b\", "
	    "max-age=5\r\nCache-Control: private=X-User\r\n");
	ok(policy_cc_omits(&resph, "a", 1) && policy_cc_omits(&resph, "B", 1),
	    "no-cache=\"A, b\" names a and B, case-insensitively (§5.2.2.4)");
	ok(!policy_cc_omits(&resph, "c", 1), "but not c");
	ok(policy_cc_omits(&resph, "x-user", 6), "private=X-User in token "
	    "form, on another line (§5.2.2.7)");
	parse("", "HTTP/1.1 200 OK\r\nCache-Control: ext=\"no-cache=q\", "
	    "no-cache\r\n");
	ok(!policy_cc_omits(&resph, "q", 1), "inside another directive's "
	    "quoted value, and unqualified no-cache, name nothing");
	/* policy_age_field (§5.1) and its effect on the lifetime. */
	for (i = 0; i < sizeof(ages) / sizeof(ages[0]); i++) {
		char resp[256];

		snprintf(resp, sizeof(resp), "HTTP/1.1 200 OK\r\n"
		    "Cache-Control: max-age=3600\r\n%s", ages[i].fields);
		parse("", resp);
		is_int(policy_age_field(&resph), ages[i].age, "%s: the field",
		    ages[i].desc);
		policy_cc(&resph, 0, &rs);
		is_int(policy_lifetime(&resph, &rs, T0, &defrp, &heur),
		    ages[i].life, "%s: the lifetime", ages[i].desc);
	}
	/* An invalid Age outranks every kind of explicit freshness. */
	parse("", "HTTP/1.1 200 OK\r\nCache-Control: s-maxage=600\r\n"
	    "Age: x\r\n");
	policy_cc(&resph, 0, &rs);
	is_int(policy_lifetime(&resph, &rs, T0, &defrp, &heur), 0,
	    "an invalid Age makes even s-maxage stale (§4.2.1)");
	parse("", "HTTP/1.1 200 OK\r\nExpires: Sun, 06 Nov 2094 08:49:37 GMT"
	    "\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\nAge: -1\r\n");
	policy_cc(&resph, 0, &rs);
	is_int(policy_lifetime(&resph, &rs, T0, &defrp, &heur), 0,
	    "and an Expires a century ahead (§4.2.1)");
	parse("", "HTTP/1.1 200 OK\r\nLast-Modified: Sun, 06 Nov 1984 "
	    "08:49:37 GMT\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
	    "Age: 1.0\r\n");
	policy_cc(&resph, 0, &rs);
	heur = 1;
	ok(policy_lifetime(&resph, &rs, T0, NULL, &heur) == 0 && heur == 0,
	    "and a heuristic one: no refresh_pattern is asked for (§4.2.2)");
	/* Stale, not unusable: §4.2.4 and a client's max-stale apply. */
	parse("Cache-Control: max-stale\r\n", "HTTP/1.1 200 OK\r\n"
	    "Cache-Control: max-age=3600\r\nAge: abc\r\n");
	policy_cc(&reqh, 1, &rq);
	policy_cc(&resph, 0, &rs);
	v = policy_lifetime(&resph, &rs, T0, &defrp, &heur);
	is_int(policy_use(&rq, &rs, v, policy_age(T0, policy_age_field(&resph),
	    T0, T0, T0)), USE_STALE_OK, "an invalid Age: stale, so served "
	    "only to a client that accepts stale (§5.2.1.2)");
	rq.flags &= ~CC_MAX_STALE_ANY;
	is_int(policy_use(&rq, &rs, v, policy_age(T0, policy_age_field(&resph),
	    T0, T0, T0)), USE_REVALIDATE, "and revalidated for the others "
	    "(§4.2.4)");
	is_int(policy_age(T0, POLICY_AGE_INVALID, T0, T0, T0 + 5), 5,
	    "age: an invalid Age adds nothing to the current age (§4.2.3)");
	is_int(policy_age(100, -1, 100, 100, 130), 30,
	    "age: resident time alone (§4.2.3)");
	is_int(policy_age(90, -1, 100, 100, 100), 10,
	    "age: apparent age from a Date in the past (§4.2.3)");
	is_int(policy_age(100, 50, 98, 100, 100), 52,
	    "age: Age value plus the response delay (§4.2.3)");
	is_int(policy_age(200, -1, 100, 100, 100), 0,
	    "age: a Date in the future counts as 0 (§4.2.3)");
	is_int(policy_age(-1, 7, 100, 100, 110), 17,
	    "age: no Date, Age 7, 10 s resident (§4.2.3)");
	for (i = 0; i < sizeof(quick) / sizeof(quick[0]); i++)
		is_int(policy_quick_abort(quick[i].min, quick[i].max,
		    quick[i].pct, quick[i].got, quick[i].total), quick[i].go,
		    "quick_abort: %s", quick[i].desc);
	return exit_status();
}
