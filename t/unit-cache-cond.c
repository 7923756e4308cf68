/*
 * unit-cache-cond.c -- RFC 9111 decisions about one stored response
 * (cache/cond.c): each row is one rule with its section number.
 *
 * Unit test: heads parsed by core/http_parse.c from literal text, then
 * the pure functions of cond.h.  No sockets, no clock, no store.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "cache.h"
#include "cond.h"
#include "http_parse.h"
#include "policy.h"
#include "tap.h"

static struct http_head rqh, sth, nwh;
static char rqbuf[4096], stbuf[4096], nwbuf[4096];

static void
parse_req(const char *fields)
{
	const char *why = NULL;

	snprintf(rqbuf, sizeof(rqbuf), "GET http://h/ HTTP/1.1\r\nHost: h\r\n"
	    "%s\r\n", fields);
	if (http_request_parse(rqbuf, strlen(rqbuf), &rqh, &why) != 0)
		bail_out("test request does not parse: %s", why);
}

static void
parse_resp(struct http_head *h, char *buf, size_t sz, const char *text)
{
	const char *why = NULL;

	snprintf(buf, sz, "%s\r\n", text);
	if (http_response_parse(buf, strlen(buf), h, &why) != 0)
		bail_out("test response does not parse: %s", why);
}

/* cond_etag_in: If-None-Match list, stored tag, match? */
static const struct {
	const char	*list;
	const char	*tag;
	int		 match;
	const char	*desc;
} etags[] = {
	{ "\"a\"", "\"a\"", 1, "the same tag matches (RFC 9110 §13.1.2)" },
	{ "\"a\"", "W/\"a\"", 1, "weak comparison: a weak stored tag "
	  "matches (§8.8.3.2)" },
	{ "W/\"a\"", "\"a\"", 1, "weak comparison: a weak listed tag "
	  "matches (§8.8.3.2)" },
	{ "\"b\", \"a\"", "\"a\"", 1, "a later member of the list (§13.1.2)" },
	{ "\"b\" ,\"c\"", "\"a\"", 0, "no member matches" },
	{ "\"a", "\"a\"", 0, "an unterminated tag is not a list" },
	{ "a", "\"a\"", 0, "an unquoted token is not an entity-tag (§8.8.3)" },
	{ "\"A\"", "\"a\"", 0, "entity-tags are case-sensitive (§8.8.3)" },
	{ "", "\"a\"", 0, "an empty list matches nothing" },
};

/* cond_not_modified: request fields, stored response, 304? */
static const struct {
	const char	*rq;
	const char	*st;
	int		 nm;
	const char	*desc;
} nms[] = {
	{ "If-None-Match: \"x\"\r\n", "HTTP/1.1 200 OK\r\nETag: \"x\"\r\n",
	  1, "If-None-Match matching the ETag: 304 (RFC 9110 §13.1.2)" },
	{ "If-None-Match: \"y\"\r\n", "HTTP/1.1 200 OK\r\nETag: \"x\"\r\n",
	  0, "If-None-Match not matching: the 200" },
	{ "If-None-Match: *\r\n", "HTTP/1.1 200 OK\r\n", 1,
	  "If-None-Match: * matches any current representation (§13.1.2)" },
	{ "If-None-Match: \"y\"\r\nIf-Modified-Since: Sun, 06 Nov 1994 "
	  "08:49:37 GMT\r\n", "HTTP/1.1 200 OK\r\nETag: \"x\"\r\n"
	  "Last-Modified: Sun, 06 Nov 1994 08:49:37 GMT\r\n", 0,
	  "If-None-Match decides; If-Modified-Since is ignored (§13.2.2)" },
	{ "If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n",
	  "HTTP/1.1 200 OK\r\nLast-Modified: Sun, 06 Nov 1994 08:49:37 "
	  "GMT\r\n", 1, "not modified since: 304 (§13.1.3)" },
	{ "If-Modified-Since: Sun, 06 Nov 1994 08:49:36 GMT\r\n",
	  "HTTP/1.1 200 OK\r\nLast-Modified: Sun, 06 Nov 1994 08:49:37 "
	  "GMT\r\n", 0, "modified a second later: the 200 (§13.1.3)" },
	{ "If-Modified-Since: yesterday\r\n", "HTTP/1.1 200 OK\r\n"
	  "Last-Modified: Sun, 06 Nov 1994 08:49:37 GMT\r\n", 0,
	  "an invalid date is ignored (§13.1.3)" },
	{ "If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n",
	  "HTTP/1.1 200 OK\r\n", 0, "no Last-Modified: the 200" },
	{ "If-None-Match: \"x\"\r\n", "HTTP/1.1 404 Not Found\r\n"
	  "ETag: \"x\"\r\n", 0, "only a 200 is answered 304 (§13.2.1)" },
};

/* cond_304_matches: stored, 304, validators sent, update it? */
static const struct {
	const char	*st;
	const char	*nw;
	const char	*etag;
	const char	*lm;
	int		 match;
	const char	*desc;
} m304[] = {
	{ "HTTP/1.1 200 OK\r\nETag: \"v1\"\r\n",
	  "HTTP/1.1 304 Not Modified\r\nETag: \"v1\"\r\n", "\"v1\"", NULL, 1,
	  "the 304's ETag is the stored one: update (RFC 9111 §4.3.4)" },
	{ "HTTP/1.1 200 OK\r\nETag: \"v1\"\r\n",
	  "HTTP/1.1 304 Not Modified\r\nETag: \"v2\"\r\n", "\"v1\"", NULL, 0,
	  "the 304 names another ETag: nothing stored matches (§4.3.4)" },
	{ "HTTP/1.1 200 OK\r\nETag: W/\"v1\"\r\n",
	  "HTTP/1.1 304 Not Modified\r\nETag: W/\"v1\"\r\n", "W/\"v1\"", NULL,
	  1, "a weak ETag selects by the weak comparison (§4.3.4)" },
	{ "HTTP/1.1 200 OK\r\n",
	  "HTTP/1.1 304 Not Modified\r\nETag: \"v1\"\r\n", NULL,
	  "Sun, 06 Nov 1994 08:49:37 GMT", 0,
	  "a 304 with an ETag does not match a response without one" },
	{ "HTTP/1.1 200 OK\r\nLast-Modified: Sun, 06 Nov 1994 08:49:37 GMT\r\n",
	  "HTTP/1.1 304 Not Modified\r\nLast-Modified: Sun, 06 Nov 1994 "
	  "08:49:37 GMT\r\n", NULL, "Sun, 06 Nov 1994 08:49:37 GMT", 1,
	  "the same Last-Modified: update (§4.3.4)" },
	{ "HTTP/1.1 200 OK\r\nLast-Modified: Sun, 06 Nov 1994 08:49:37 GMT\r\n",
	  "HTTP/1.1 304 Not Modified\r\nLast-Modified: Mon, 07 Nov 1994 "
	  "08:49:37 GMT\r\n", NULL, "Sun, 06 Nov 1994 08:49:37 GMT", 0,
	  "another Last-Modified: no update" },
	{ "HTTP/1.1 200 OK\r\nETag: \"v1\"\r\n",
	  "HTTP/1.1 304 Not Modified\r\nDate: Sun, 06 Nov 1994 08:49:37 "
	  "GMT\r\n", "\"v1\"", NULL, 1, "no validator in the 304, and the "
	  "stored response still has the one we sent: update" },
	{ "HTTP/1.1 200 OK\r\nETag: \"v2\"\r\n",
	  "HTTP/1.1 304 Not Modified\r\n", "\"v1\"", NULL, 0,
	  "no validator in the 304, and the stored response changed since "
	  "the condition was sent: no update" },
	{ "HTTP/1.1 200 OK\r\nETag: \"v1\"\r\n",
	  "HTTP/1.1 304 Not Modified\r\n", NULL, NULL, 0,
	  "no validator anywhere: a 304 we did not ask for updates nothing" },
};

/* What a merge keeps (RFC 9111 §3.2, §4.3.4). */
static const char merge_stored[] =
    "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Encoding: gzip\r\n"
    "ETag: \"v1\"\r\nCache-Control: max-age=0\r\nX-Old: kept\r\n"
    "Via: 1.1 other\r\n";
static const char merge_304[] =
    "HTTP/1.1 304 Not Modified\r\nETag: \"v1\"\r\n"
    "Cache-Control: max-age=600\r\nContent-Length: 99\r\n"
    "Content-Encoding: br\r\nConnection: close, X-Hop\r\nX-Hop: 1\r\n"
    "Set-Cookie: s=1\r\nX-New: yes\r\n";

static int
contains(const struct buf *b, const char *s)
{
	return memmem(b->pos, buf_len(b), s, strlen(s)) != NULL;
}

/*
 * cond_stale_if_error(): request fields, response fields, lifetime, age,
 * the configured limit (max_stale or max-stale=N), offline_mode, verdict.
 */
#define SNO	COND_STALE_NO
#define SUN	COND_STALE_UNREACHABLE
#define SER	COND_STALE_ERRORS
#define MR	"HTTP/1.1 200 OK\r\nCache-Control: max-age=0"
static const struct {
	const char	*rq;
	const char	*rs;
	int64_t		 life, age, limit;
	int		 offline;
	int		 want;
	const char	*desc;
} sie[] = {
	{ "", MR "\r\n", 0, 10, 604800, 0, SUN, "a stale response may be "
	  "served when the origin cannot be reached (RFC 9111 §4.2.4), not "
	  "for its 5xx" },
	{ "", MR "\r\n", 0, 10, 9, 0, SNO, "not past the configured limit "
	  "(squid's max_stale, refresh_pattern max-stale=N)" },
	{ "", MR "\r\n", 0, 10, 10, 0, SUN, "up to the limit, inclusive" },
	{ "", MR "\r\n", 60, 10, 0, 0, SUN, "a fresh one a refresh-ims "
	  "sent to the origin is 0 s stale: within any limit" },
	{ "", MR ", must-revalidate\r\n", 0, 10, 604800, 0, SNO, "not "
	  "under must-revalidate (§5.2.2.2)" },
	{ "", MR ", proxy-revalidate\r\n", 0, 10, 604800, 0, SNO, "not "
	  "under proxy-revalidate (§5.2.2.8)" },
	{ "", "HTTP/1.1 200 OK\r\nCache-Control: s-maxage=0\r\n", 0, 10,
	  604800, 0, SNO, "not under s-maxage (§5.2.2.10)" },
	{ "", MR ", no-cache\r\n", 0, 10, 604800, 0, SNO, "not under "
	  "no-cache (§5.2.2.4)" },
	{ "", MR ", no-cache=\"X-A\"\r\n", 0, 10, 604800, 0, SNO, "nor a "
	  "qualified no-cache (§5.2.2.4)" },
	{ "Cache-Control: max-age=0\r\n", MR "\r\n", 0, 10, 604800, 0, SNO,
	  "not when the client asked for max-age (§5.2.1.1)" },
	{ "Cache-Control: no-cache\r\n", MR "\r\n", 0, 10, 604800, 0, SNO,
	  "nor no-cache (§5.2.1.4)" },
	{ "Pragma: no-cache\r\n", MR "\r\n", 0, 10, 604800, 0, SNO,
	  "nor Pragma: no-cache (§5.4)" },
	{ "Cache-Control: min-fresh=1\r\n", MR "\r\n", 0, 10, 604800, 0,
	  SNO, "nor min-fresh (§5.2.1.3)" },
	{ "", MR ", stale-if-error=60\r\n", 0, 10, 0, 0, SER, "the "
	  "response's stale-if-error: within it, on any error, 5xx included, "
	  "past the configured limit (RFC 5861 §4)" },
	{ "", MR ", stale-if-error=60\r\n", 0, 61, 604800, 0, SNO, "past "
	  "its stale-if-error: not even when unreachable (RFC 5861 §4: "
	  "its upper limit)" },
	{ "", MR ", stale-if-error=60, must-revalidate\r\n", 0, 10, 604800,
	  0, SNO, "stale-if-error does not outrank must-revalidate "
	  "(RFC 9111 §4.2.4)" },
	{ "Cache-Control: max-age=0\r\n", MR ", stale-if-error=60\r\n", 0,
	  10, 604800, 0, SNO, "the response's stale-if-error does not outrank "
	  "a client's max-age (§5.2.1.1)" },
	{ "Cache-Control: max-age=0, stale-if-error=60\r\n", MR "\r\n", 0,
	  10, 0, 0, SER, "the request's stale-if-error does: its own scope "
	  "(RFC 5861 §4)" },
	{ "Cache-Control: stale-if-error=5\r\n", MR "\r\n", 0, 10,
	  604800, 0, SNO, "past the request's stale-if-error: no" },
	{ "Cache-Control: stale-if-error=5\r\n", MR ", stale-if-error=60\r\n",
	  0, 10, 604800, 0, SNO, "the request's limit is the one for its "
	  "request" },
	{ "", MR ", stale-if-error=abc\r\n", 0, 10, 604800, 0, SUN, "a bad "
	  "stale-if-error gives no permission, and takes none away" },
	{ "", MR ", stale-if-error=60, stale-if-error=90\r\n", 0, 10, 604800,
	  0, SUN, "nor does a repeated one" },
	{ "Cache-Control: max-age=0\r\n", MR "\r\n", 0, 9999999, 0, 1, SER,
	  "offline_mode: however stale, whatever the client asked, on any "
	  "error" },
	{ "Cache-Control: no-cache\r\n", MR "\r\n", 60, 10, 0, 1, SER,
	  "offline_mode: a fresh one a client's reload sent to the origin "
	  "too" },
	{ "", MR ", must-revalidate\r\n", 0, 10, 604800, 1, SNO,
	  "offline_mode never serves what must be revalidated (§5.2.2.2, "
	  "§3.5)" },
	{ "", "HTTP/1.1 200 OK\r\nCache-Control: s-maxage=60\r\n", 0, 100,
	  604800, 1, SNO, "nor what s-maxage covers (§5.2.2.10)" },
	{ "", MR ", no-cache\r\n", 0, 10, 604800, 1, SNO, "nor no-cache "
	  "(§5.2.2.4)" },
};

int
main(void)
{
	struct buf *b;
	struct cc rq, rs;
	uint8_t k1[32], k2[32];
	size_t i;

	plan((int)(sizeof(etags) / sizeof(etags[0]) +
	    sizeof(nms) / sizeof(nms[0]) + sizeof(m304) / sizeof(m304[0]) +
	    sizeof(sie) / sizeof(sie[0])) + 33);

	for (i = 0; i < sizeof(etags) / sizeof(etags[0]); i++)
		is_int(cond_etag_in(etags[i].list, strlen(etags[i].list),
		    etags[i].tag, strlen(etags[i].tag)), etags[i].match, "%s",
		    etags[i].desc);

	for (i = 0; i < sizeof(nms) / sizeof(nms[0]); i++) {
		parse_req(nms[i].rq);
		parse_resp(&sth, stbuf, sizeof(stbuf), nms[i].st);
		is_int(cond_not_modified(&rqh, &sth), nms[i].nm, "%s",
		    nms[i].desc);
	}

	for (i = 0; i < sizeof(m304) / sizeof(m304[0]); i++) {
		parse_resp(&sth, stbuf, sizeof(stbuf), m304[i].st);
		parse_resp(&nwh, nwbuf, sizeof(nwbuf), m304[i].nw);
		is_int(cond_304_matches(&sth, &nwh, m304[i].etag, m304[i].lm),
		    m304[i].match, "%s", m304[i].desc);
	}

	/* cond_client_conditional (RFC 9111 §4.3.1). */
	parse_req("If-None-Match: \"a\"\r\n");
	ok(cond_client_conditional(&rqh), "a client's If-None-Match: the "
	    "exchange is the client's (RFC 9111 §4.3.1)");
	parse_req("Range: bytes=0-1\r\n");
	ok(cond_client_conditional(&rqh), "a Range is the client's too");
	parse_req("If-Unmodified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n");
	ok(cond_client_conditional(&rqh), "so is If-Unmodified-Since");
	parse_req("Accept: */*\r\n");
	ok(!cond_client_conditional(&rqh), "a plain GET is not conditional");

	/* The stored head (RFC 9111 §3.1, §5.2.2.4, §5.2.2.7, §7.3). */
	parse_resp(&sth, stbuf, sizeof(stbuf), "HTTP/1.1 200 OK\r\n"
	    "Connection: X-Hop\r\nX-Hop: 1\r\nKeep-Alive: timeout=5\r\n"
	    "Set-Cookie: id=1\r\nSet-Cookie2: old=1\r\n"
	    "Cache-Control: max-age=60, no-cache=\"X-Secret\", "
	    "private=\"X-Mine\"\r\nX-Secret: s\r\nX-Mine: m\r\n"
	    "Via: 1.1 up\r\nAge: 5\r\nETag: \"e\"\r\n");
	b = buf_get(BUF_SMALL);
	is_int(cond_head_bytes(&sth, b, 784111777), 0, "the head to store "
	    "is written");
	ok(!contains(b, "X-Hop") && !contains(b, "Keep-Alive"),
	    "hop-by-hop fields are not stored (RFC 9110 §7.6.1)");
	ok(!contains(b, "Set-Cookie"), "Set-Cookie and Set-Cookie2 are not "
	    "stored: no client gets another's session (RFC 9111 §7.3)");
	ok(!contains(b, "X-Secret: s"), "a field no-cache names is not stored "
	    "(§5.2.2.4)");
	ok(!contains(b, "X-Mine: m"), "a field private names is not stored "
	    "(§5.2.2.7)");
	ok(!contains(b, "Via"), "the origin's Via is not stored (ours is added "
	    "per answer)");
	ok(contains(b, "Age: 5\r\n") && contains(b, "ETag: \"e\"\r\n"),
	    "Age and ETag are kept (§4.2.3)");
	ok(contains(b, "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n"), "a "
	    "response without Date is stored with the time it came (RFC 9110 "
	    "§6.6.1)");
	ok(!contains(b, "\r\n\r\n"), "without the empty line");
	buf_reset(b);
	parse_resp(&sth, stbuf, sizeof(stbuf), "HTTP/1.1 200 OK\r\n"
	    "Date: Mon, 07 Nov 1994 08:49:37 GMT\r\n");
	is_int(cond_head_bytes(&sth, b, 784111777), 0, "a head with a Date");
	ok(contains(b, "Mon, 07 Nov") && !contains(b, "Sun, 06 Nov"),
	    "keeps the origin's Date, adds none");

	/* The 304 merge (RFC 9111 §3.2, §4.3.4). */
	parse_resp(&sth, stbuf, sizeof(stbuf), merge_stored);
	parse_resp(&nwh, nwbuf, sizeof(nwbuf), merge_304);
	buf_reset(b);
	is_int(cond_merge(b, &sth, &nwh, 1), 0, "the merge for the store");
	ok(contains(b, "HTTP/1.1 200 OK\r\n"), "keeps the stored status");
	ok(contains(b, "max-age=600") && !contains(b, "max-age=0"),
	    "the 304's Cache-Control replaces the stored one (§4.3.4)");
	ok(contains(b, "Content-Length: 5\r\n") && !contains(b, "99"),
	    "Content-Length is never replaced (§3.2)");
	ok(contains(b, "Content-Encoding: gzip") && !contains(b, "br"),
	    "nor Content-Encoding (§3.2)");
	ok(contains(b, "X-Old: kept") && contains(b, "X-New: yes"),
	    "fields the 304 lacks stay; new ones are added");
	ok(!contains(b, "X-Hop") && !contains(b, "Connection"),
	    "the 304's hop-by-hop fields are not merged");
	ok(!contains(b, "Set-Cookie"), "nor its Set-Cookie, for the store");
	ok(contains(b, "Via: 1.1 other"), "the stored Via is kept as it was");
	buf_reset(b);
	is_int(cond_merge(b, &sth, &nwh, 0), 0, "the merge for the client");
	ok(contains(b, "Set-Cookie: s=1"), "the client that revalidated "
	    "gets the Set-Cookie sent to it");
	buf_put(b);

	/* Fields a 304 carries (RFC 9110 §15.4.5); kept fields (§3.2). */
	parse_resp(&sth, stbuf, sizeof(stbuf), "HTTP/1.1 200 OK\r\n"
	    "ETag: \"e\"\r\nVary: Accept\r\nContent-Type: text/plain\r\n"
	    "Content-Range: bytes 0-1/2\r\n");
	ok(cond_304_field(&sth.fields[0]) && cond_304_field(&sth.fields[1]),
	    "a 304 carries ETag and Vary (RFC 9110 §15.4.5)");
	ok(!cond_304_field(&sth.fields[2]), "not Content-Type");
	ok(cond_keep_stored(&sth.fields[3]) && !cond_keep_stored(
	    &sth.fields[0]), "Content-Range is kept, ETag is replaced "
	    "(RFC 9111 §3.2)");

	/* Stale on error (RFC 9111 §4.2.4, RFC 5861 §4, offline_mode). */
	for (i = 0; i < sizeof(sie) / sizeof(sie[0]); i++) {
		parse_req(sie[i].rq);
		policy_cc(&rqh, 1, &rq);
		parse_resp(&sth, stbuf, sizeof(stbuf), sie[i].rs);
		policy_cc(&sth, 0, &rs);
		is_int(cond_stale_if_error(&rq, &rs, sie[i].life, sie[i].age,
		    sie[i].limit, sie[i].offline), sie[i].want, "%s",
		    sie[i].desc);
	}

	/* The key (RFC 9111 §2): the method class and the URL. */
	is_int(cache_key("http://h/a", k1), 0, "a key");
	is_int(cache_key("http://h/a", k2), 0, "the same URL's key");
	ok(memcmp(k1, k2, 32) == 0, "is the same key");
	(void)cache_key("http://h/b", k2);
	ok(memcmp(k1, k2, 32) != 0, "another URL has another key");
	return exit_status();
}
