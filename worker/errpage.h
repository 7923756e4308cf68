/*
 * errpage.h -- the answers the proxy writes itself: one X-macro table of
 * error kinds (squid's ERR_ names, the status, the reason phrase and a
 * sentence for the page).
 *
 * Runs in the workers.  The page is small HTML naming the proxy, the
 * error kind and the URL (HTML-escaped); it never shows the rule text or
 * internal detail.  The kind also goes out as `X-Sluice-Error` for
 * operators and tests.
 */
#ifndef SLUICE_ERRPAGE_H
#define SLUICE_ERRPAGE_H

#include "buf.h"

#define ERRPAGE_LIST(X)							\
	X(ERR_INVALID_REQ, 400, "Bad Request",				\
	    "The request could not be understood.")			\
	X(ERR_INVALID_URL, 400, "Bad Request",				\
	    "The requested URL could not be understood.")		\
	X(ERR_ACCESS_DENIED, 403, "Forbidden",				\
	    "Access denied by policy.")					\
	X(ERR_CACHE_ACCESS_DENIED, 407, "Proxy Authentication Required", \
	    "The proxy needs a valid user name and password.")		\
	X(ERR_REQUEST_TIMEOUT, 408, "Request Timeout",			\
	    "The request was not received in time.")			\
	X(ERR_BODY_TOO_BIG, 413, "Content Too Large",			\
	    "The request body is larger than the proxy accepts.")	\
	X(ERR_URI_TOO_LONG, 414, "URI Too Long",			\
	    "The request line is longer than the proxy accepts.")	\
	X(ERR_EXPECTATION_FAILED, 417, "Expectation Failed",		\
	    "The request carries an expectation the proxy cannot meet.") \
	X(ERR_TOO_BIG, 431, "Request Header Fields Too Large",		\
	    "The request header section is larger than the proxy accepts.") \
	X(ERR_UNSUP_REQ, 501, "Not Implemented",			\
	    "The proxy does not support this kind of request.")		\
	X(ERR_CONNECT_FAIL, 502, "Bad Gateway",				\
	    "The proxy could not connect to the server.")		\
	X(ERR_INVALID_RESP, 502, "Bad Gateway",				\
	    "The server sent a response the proxy could not understand.") \
	X(ERR_READ_ERROR, 502, "Bad Gateway",				\
	    "The connection to the server broke before a response arrived.") \
	X(ERR_SHUTTING_DOWN, 503, "Service Unavailable",		\
	    "The proxy is shutting down.")				\
	X(ERR_NO_RESOURCES, 503, "Service Unavailable",			\
	    "The proxy is out of resources.")				\
	X(ERR_AUTH_UNAVAILABLE, 503, "Service Unavailable",		\
	    "The proxy cannot check credentials right now.")		\
	X(ERR_SECURE_CONNECT_FAIL, 503, "Service Unavailable",		\
	    "The proxy could not make a secure connection to the server.") \
	X(ERR_ONLY_IF_CACHED_MISS, 504, "Gateway Timeout",		\
	    "The object is not in the cache and only-if-cached was asked.") \
	X(ERR_DNS_FAIL, 504, "Gateway Timeout",				\
	    "The proxy could not resolve the server's name.")		\
	X(ERR_CONNECT_TIMEOUT, 504, "Gateway Timeout",			\
	    "The server did not accept a connection in time.")		\
	X(ERR_READ_TIMEOUT, 504, "Gateway Timeout",			\
	    "The server did not answer in time.")			\
	X(ERR_UNSUP_HTTPVERSION, 505, "HTTP Version Not Supported",	\
	    "The proxy speaks HTTP/1.0 and HTTP/1.1.")			\
	X(ERR_LOOP_DETECTED, 508, "Loop Detected",			\
	    "The request has already passed through this proxy.")

enum errpage_id {
#define ERRPAGE_ENUM(name, status, reason, text)	name,
	ERRPAGE_LIST(ERRPAGE_ENUM)
#undef ERRPAGE_ENUM
	ERRPAGE_COUNT
};

/** @brief The status code of @p id. */
int		 errpage_status(enum errpage_id id);
/** @brief The name ("ERR_DNS_FAIL") of @p id. */
const char	*errpage_name(enum errpage_id id);
/** @brief The reason phrase for any status (a generic one when unknown). */
const char	*errpage_reason(int status);
/**
 * @brief Write the whole response (head and HTML body) into @p b.
 * @param[in] url  shown on the page, escaped; may be NULL.
 * @param[in] host  visible_hostname.
 * @param[in] keepalive  write `Connection: keep-alive` instead of `close`.
 * @return 0, or -1 when @p b is too small (nothing usable written).
 */
int		 errpage_build(struct buf *b, enum errpage_id id, const char *url,
		    const char *host, int keepalive);
/**
 * @brief errpage_build() with extra header lines.
 * @param[in] hdrs  lines each ending in CRLF (e.g. Proxy-Authenticate
 *	for a 407), or NULL.
 * @return as errpage_build().
 */
int		 errpage_build_hdrs(struct buf *b, enum errpage_id id,
		    const char *url, const char *host, int keepalive,
		    const char *hdrs);

#endif
