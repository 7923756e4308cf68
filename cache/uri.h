/*
 * uri.h -- the URLs a response names (Location, Content-Location),
 * resolved against the request's URL as the cache keys them.  Pure: no
 * I/O, no allocation.  Runs in the workers (cache_req.c, RFC 9111 §4.4
 * invalidation).
 *
 * The result has the form of a request's r_url (worker/req.c):
 * "http://" host [":" port, unless 80] path, the host normalised as
 * acl_host_normalise() does (lower case, one spelling per address,
 * IPv6 in brackets), the path as written, without a fragment.
 *
 * References understood (RFC 3986 §4.2, §5.2): an absolute http URI, a
 * network-path reference ("//host/p"), an absolute path ("/p"), a query
 * ("?q") and a relative path merged with the base path's directory and
 * cleared of "." and ".." segments (§5.2.4).  Anything else (another
 * scheme, userinfo, a bad host or port) is refused.
 */
#ifndef SLUICE_URI_H
#define SLUICE_URI_H

#include <stddef.h>

/**
 * @brief Resolve @p ref[0..reflen) against http(s)://@p host[:@p port]@p path
 *	(@p https: the request's scheme; the other scheme is another origin).
 * @param[in] host  the request's host as in r_host (normalised, no
 *	brackets).
 * @param[in] path  the request's path and query (origin-form).
 * @param[out] out  the URL, NUL-terminated.
 * @return 1 when it resolves to the same origin (scheme, host, port),
 *	0 another origin, -1 not understood or too long.
 */
int	uri_same_origin_scheme(int https, const char *host, unsigned port,
	    const char *path, const char *ref, size_t reflen, char *out,
	    size_t outsz);
/** @brief uri_same_origin_scheme() of an http:// request. */
int	uri_same_origin(const char *host, unsigned port, const char *path,
	    const char *ref, size_t reflen, char *out, size_t outsz);

#endif
