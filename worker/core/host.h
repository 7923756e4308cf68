/*
 * host.h -- one spelling for every host a request can name.
 *
 * Runs in the workers (request targets) and in the tests.  A host that
 * can be written several ways (upper case, a trailing dot, 2130706433,
 * 0x7f.1, 0177.0.0.1, 127.1, ::ffff:127.0.0.1) is turned into the one
 * form DNS, the ACLs, the Host header and the logs all use, so no
 * spelling dodges a rule.  Pure: no I/O, no allocation.
 *
 * Caveats:
 *  - The caller removes the brackets of an IPv6 literal and the port.
 *  - A name whose last label is numeric must be a valid IPv4 address
 *    (as browsers decide, WHATWG URL "ends in a number"): 256.1.1.1 and
 *    4294967296 are refused, never looked up as names.
 *  - Zone ids ("fe80::1%eth0", "%25eth0") and percent-encoding are
 *    refused: they have no meaning for a proxy and only serve to dodge.
 */
#ifndef SLUICE_HOST_H
#define SLUICE_HOST_H

#include <stddef.h>
#include <sys/socket.h>

enum host_kind { HOST_NAME = 1, HOST_IPV4, HOST_IPV6 };

/**
 * @brief Normalise the host @p in[0..n).
 * @param[out] out  NUL-terminated canonical text (at least 256 bytes).
 * @param[out] ss   for an address, the address (port 0); may be NULL.
 * @param[out] why  on failure, a short static reason.
 * @return a host_kind, or -1.
 */
int	acl_host_normalise(const char *in, size_t n, char *out, size_t outsz,
	    struct sockaddr_storage *ss, const char **why);

/**
 * @brief The URL form of logs, ACLs and the cache key: "http://" host
 *	[":" port, unless 80] path, an IPv6 host in brackets.
 * @param[in] host  normalised (acl_host_normalise()), no brackets.
 * @return 0, or -1 when it does not fit @p outsz.
 */
int	host_url(char *out, size_t outsz, const char *host, unsigned port,
	    const char *path);
/**
 * @brief host_url() for @p https: "https://" host [":" port, unless 443]
 *	path when set, host_url() when not.
 */
int	host_url_scheme(char *out, size_t outsz, int https, const char *host,
	    unsigned port, const char *path);

#endif
