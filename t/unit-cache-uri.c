/*
 * unit-cache-uri.c -- Location / Content-Location resolved against the
 * request URL as the cache keys it (cache/uri.c), for RFC 9111 §4.4:
 * only a same-origin URL is invalidated.  One row per rule, with its
 * RFC 3986 section.
 *
 * Unit test: the pure function only.
 */
#include <stdio.h>
#include <string.h>

#include "tap.h"
#include "uri.h"

static const struct {
	const char	*host;
	unsigned	 port;
	const char	*path;
	const char	*ref;
	int		 rc;
	const char	*out;
	const char	*desc;
} rows[] = {
	{ "a.example", 80, "/x/y?q", "http://a.example/z", 1,
	    "http://a.example/z", "absolute URI, same origin (§4.3)" },
	{ "a.example", 80, "/x", "HTTP://A.Example:80/z", 1,
	    "http://a.example/z", "scheme and host case, default port "
	    "elided as in the request URL (§6.2.2.1, §6.2.3)" },
	{ "a.example", 8080, "/x", "http://a.example:8080/z", 1,
	    "http://a.example:8080/z", "explicit port kept" },
	{ "a.example", 80, "/x", "http://a.example:8080/z", 0,
	    "", "another port: another origin (RFC 9111 §4.4)" },
	{ "a.example", 80, "/x", "http://b.example/z", 0,
	    "", "another host: another origin" },
	{ "a.example", 80, "/x", "https://a.example/z", 0,
	    "", "another scheme: another origin (RFC 6454)" },
	{ "a.example", 80, "/x", "mailto:x@a.example", -1,
	    "", "not a URL of this cache" },
	{ "a.example", 80, "/x", "http://u@a.example/z", -1,
	    "", "userinfo refused" },
	{ "a.example", 80, "/x", "//a.example/z?k=1", 1,
	    "http://a.example/z?k=1", "network-path reference (§4.2)" },
	{ "a.example", 80, "/x/y", "/z", 1, "http://a.example/z",
	    "absolute path (§4.2)" },
	{ "a.example", 80, "/x/y?q=1", "z", 1, "http://a.example/x/z",
	    "relative path merged with the base directory (§5.2.3)" },
	{ "a.example", 80, "/x/y", "../z", 1, "http://a.example/z",
	    "dot segments removed (§5.2.4)" },
	{ "a.example", 80, "/x/y/w", "./z/../v", 1, "http://a.example/x/y/v",
	    "./ and .. within the reference (§5.2.4)" },
	{ "a.example", 80, "/x", "../../../z", 1, "http://a.example/z",
	    "too many ..: stop at the root (§5.2.4)" },
	{ "a.example", 80, "/x/y?old", "?new", 1, "http://a.example/x/y?new",
	    "query only: the base path (§5.2.2)" },
	{ "a.example", 80, "/x", "/z#frag", 1, "http://a.example/z",
	    "fragment dropped" },
	{ "a.example", 80, "/x", "http://a.example", 1, "http://a.example/",
	    "empty path is / (RFC 9110 §4.2.3)" },
	{ "a.example", 80, "/x", "http://A.EXAMPLE./z", 1, "http://a.example/z",
	    "host normalised like the request's (trailing dot)" },
	{ "127.0.0.1", 8080, "/x", "http://2130706433:8080/z", 1,
	    "http://127.0.0.1:8080/z", "one spelling per address" },
	{ "::1", 80, "/x", "http://[::1]/z", 1, "http://[::1]/z",
	    "IPv6 literal in brackets" },
	{ "a.example", 80, "/x", "http://a.example:99999/z", -1, "",
	    "a bad port" },
	{ "a.example", 80, "/x", "", -1, "", "empty" },
	{ "a.example", 80, "/x", "/a/b?x=../y", 1, "http://a.example/a/b?x=../y",
	    "dots in the query are left alone" },
};

/* An https:// request (its default port 443; http:// another origin). */
static const struct {
	const char	*host;
	unsigned	 port;
	const char	*path, *ref;
	int		 rc;
	const char	*out, *desc;
} srows[] = {
	{ "a.example", 443, "/x/y", "https://a.example/z", 1,
	    "https://a.example/z", "https: same origin, absolute" },
	{ "a.example", 443, "/x/y", "https://a.example:443/z", 1,
	    "https://a.example/z", "https: the default port written out" },
	{ "a.example", 443, "/x/y", "/z?q", 1, "https://a.example/z?q",
	    "https: an absolute path keeps the scheme" },
	{ "a.example", 443, "/x/y", "w", 1, "https://a.example/x/w",
	    "https: a relative reference" },
	{ "a.example", 443, "/x/y", "http://a.example/z", 0, "",
	    "https: http:// is another origin" },
	{ "a.example", 80, "/x/y", "https://a.example/z", 0, "",
	    "http: https:// is another origin" },
	{ "a.example", 8443, "/x", "https://a.example:8443/z", 1,
	    "https://a.example:8443/z", "https: another port, the same" },
	{ "a.example", 443, "/x", "https://b.example/z", 0, "",
	    "https: another host" },
};

int
main(void)
{
	char out[1024];
	size_t i;
	int rc;

	plan((int)(sizeof(rows) / sizeof(rows[0]) +
	    sizeof(srows) / sizeof(srows[0])));
	for (i = 0; i < sizeof(srows) / sizeof(srows[0]); i++) {
		out[0] = '\0';
		rc = uri_same_origin_scheme(srows[i].port != 80,
		    srows[i].host, srows[i].port, srows[i].path, srows[i].ref,
		    strlen(srows[i].ref), out, sizeof(out));
		ok(rc == srows[i].rc && (rc != 1 || strcmp(out, srows[i].out)
		    == 0), "%s: %s", srows[i].ref, srows[i].desc);
		if (rc != srows[i].rc || (rc == 1 && strcmp(out, srows[i].out)))
			diag("got %d \"%s\"", rc, out);
	}
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		out[0] = '\0';
		rc = uri_same_origin(rows[i].host, rows[i].port, rows[i].path,
		    rows[i].ref, strlen(rows[i].ref), out, sizeof(out));
		ok(rc == rows[i].rc && (rc != 1 || strcmp(out, rows[i].out) ==
		    0), "%s: %s", rows[i].ref, rows[i].desc);
		if (rc != rows[i].rc || (rc == 1 && strcmp(out, rows[i].out)))
			diag("got %d \"%s\"", rc, out);
	}
	return exit_status();
}
