/*
 * http_hdr.h -- what a proxy does to header fields on the way through
 * (RFC 9110 §7.6): hop-by-hop removal and Via.
 *
 * Runs in the workers.  Pure functions over a parsed head.
 */
#ifndef SLUICE_HTTP_HDR_H
#define SLUICE_HTTP_HDR_H

#include <time.h>

#include <stddef.h>

#include "buf.h"
#include "http_parse.h"

/**
 * @brief Is field @p i of @p h hop-by-hop: Connection, Keep-Alive,
 *	Proxy-Connection, Proxy-Authenticate, Proxy-Authorization, TE,
 *	Trailer, Transfer-Encoding, Upgrade, or a name listed in a
 *	Connection field (RFC 9110 §7.6.1)?
 */
int	http_hdr_is_hop(const struct http_head *h, size_t i);
/** @brief Append field @p i as "name: value\r\n". @return 0 or -1 (no room). */
int	http_hdr_copy(struct buf *b, const struct http_field *f);
/**
 * @brief Append our Via entry (RFC 9110 §7.6.3): "Via: 1.1 host (sluice/V)".
 * @param[in] version  the version of the message we received (10, 11).
 * @return 0 or -1 (no room).
 */
int	http_hdr_via(struct buf *b, int version, const char *host);
/**
 * @brief Append "Date: IMF-fixdate\r\n" for @p t (RFC 9110 §5.6.7, §6.6.1:
 *	a recipient with a clock adds Date to a message that lacks one).
 * @return 0 or -1 (no room).
 */
int	http_hdr_date(struct buf *b, time_t t);
/** @brief The first field named @p name in @p h, or NULL. */
const struct http_field *http_hdr_find(const struct http_head *h,
	    const char *name);
/** @brief Does @p h carry a field named @p name? */
#define http_hdr_has(h, name)	(http_hdr_find((h), (name)) != NULL)

#endif
