/*
 * cond.h -- RFC 9111 decisions about ONE stored response, as pure
 * functions: conditional requests evaluated against it, the head that
 * is stored, what a 304 (or a 200 to HEAD) may change in it, whether a
 * 304 is about it at all, and whether it may be served stale when the
 * origin cannot be reached or fails (RFC 9111 §4.2.4, RFC 5861 §4,
 * offline_mode).
 *
 * Internal to cache/ (cache.c calls these; the worker never does).  No
 * I/O, no clock, no allocation: heads in, verdicts or bytes out.  Each
 * rule cites its section; t/unit-cache-cond holds one table row per rule.
 *
 * Caveats:
 *  - Heads are struct http_head from core/http_parse.h; field lookups are
 *    case-insensitive, and where a field may appear once, the first
 *    occurrence is the one used.
 *  - Writers (cond_head_bytes, cond_merge) append to a struct buf and
 *    return -1, leaving partial bytes, when it is too small: the caller
 *    throws the buffer away.
 */
#ifndef SLUICE_CACHE_COND_H
#define SLUICE_CACHE_COND_H

#include <stddef.h>
#include <stdint.h>

struct buf;
struct cc;
struct http_field;
struct http_head;

/**
 * @brief Weak comparison of @p tag against an If-None-Match list
 *	(RFC 9110 §8.8.3.2, §13.1.2).
 * @return 1 when one member matches, 0 otherwise (also for a value
 *	that is not an entity-tag list).
 */
int	cond_etag_in(const char *list, size_t n, const char *tag, size_t tn);

/**
 * @brief Does request @p rq's own condition make a 304 of the stored
 *	200 @p h (RFC 9110 §13.1.2, §13.1.3; §13.2.2: If-None-Match first,
 *	If-Modified-Since only without it)?
 * @return 1 answer 304, 0 answer the stored response.
 */
int	cond_not_modified(const struct http_head *rq, const struct http_head *h);

/**
 * @brief Does a request carry conditions or a Range of its own (RFC 9111
 *	§4.3.1: then the exchange is the client's, the cache adds none)?
 */
int	cond_client_conditional(const struct http_head *rq);

/**
 * @brief Does a request carry a validator condition of its own
 *	(If-None-Match, If-Modified-Since, If-Match, If-Unmodified-Since)?
 *	A Range (and its If-Range) alone is not one: such a request can be
 *	answered from a stored or arriving response (RFC 9110 §13.2.2).
 */
int	cond_client_validating(const struct http_head *rq);

/** @brief Is @p f one of the fields a 304 carries (RFC 9110 §15.4.5)? */
int	cond_304_field(const struct http_field *f);

/**
 * @brief Is @p f (of response @p h) left out of a stored head?  Hop-by-hop
 *	fields (RFC 9110 §7.6.1), Via (ours is added per answer), Set-Cookie
 *	and Set-Cookie2 (one client's session is never another's: as if
 *	no-cache="Set-Cookie", RFC 9111 §5.2.2.4, §7.3), and the fields a
 *	qualified no-cache or private names (§5.2.2.4, §5.2.2.7).
 * @param[in] i  the index of @p f in @p h (Connection's list is per head).
 */
int	cond_unstored_field(const struct http_head *h, size_t i);

/**
 * @brief The head to store for response @p h: status line and every
 *	field cond_unstored_field() keeps, as received (Age included, for
 *	§4.2.3), without the empty line; a Date of @p received when the
 *	origin sent none (RFC 9110 §6.6.1).
 * @return 0, or -1 when @p b is too small.
 */
int	cond_head_bytes(const struct http_head *h, struct buf *b,
	    int64_t received);

/**
 * @brief Is @p f a field that an update never replaces in a stored head
 *	(RFC 9111 §3.2: the framing and coding of the stored body, and our
 *	Via)?
 */
int	cond_keep_stored(const struct http_field *f);

/**
 * @brief The stored head @p h updated by @p nh, a 304 or a 200 to HEAD
 *	(RFC 9111 §3.2, §4.3.4, §4.3.5): each field of @p nh replaces the
 *	stored fields of its name, except cond_keep_stored() ones and
 *	hop-by-hop ones; into @p b, without the empty line.
 * @param[in] to_store  1: also leave out what cond_unstored_field()
 *	leaves out (the bytes go to the store); 0: the client's copy (the
 *	client that revalidated gets its Set-Cookie).
 * @return 0, or -1 when @p b is too small.
 */
int	cond_merge(struct buf *b, const struct http_head *h,
	    const struct http_head *nh, int to_store);

/**
 * @brief Is the 304 @p nh about the stored response @p h (RFC 9111
 *	§4.3.4 selects stored responses by validator)?  When @p nh carries
 *	an ETag, @p h must carry one that matches it (weak comparison); else
 *	when it carries a Last-Modified, @p h must carry the same date;
 *	a 304 with neither is about @p h only when @p h still has the
 *	validators the conditional request sent (@p sent_etag, @p sent_lm,
 *	NULL when not sent): otherwise the stored response changed since.
 * @return 1 update @p h, 0 it matches nothing: update nothing.
 */
int	cond_304_matches(const struct http_head *h, const struct http_head *nh,
	    const char *sent_etag, const char *sent_lm);

/* cond_stale_if_error(): when a stored response may stand in for the origin. */
#define COND_STALE_NO		0
#define COND_STALE_UNREACHABLE	1	/* the origin cannot be reached */
#define COND_STALE_ERRORS	2	/* ... or answers 500, 502, 503, 504 */

/**
 * @brief May the stored response (directives @p rs, @p life and @p age in
 *	seconds) answer a request (directives @p rq, as refresh_use() left
 *	them) whose forwarding failed?  In order:
 *	 - never under no-cache, must-revalidate, proxy-revalidate or
 *	   s-maxage (RFC 9111 §4.2.4: "prohibited by an explicit in-protocol
 *	   directive", §5.2.2.2, §5.2.2.4, §5.2.2.8, §5.2.2.10), whatever
 *	   else says, offline_mode included: revalidation is how an origin
 *	   re-checks each client of an access-controlled response (§3.5);
 *	 - @p offline (offline_mode on): however stale, whatever the client
 *	   asked, on any error (COND_STALE_ERRORS);
 *	 - the request's stale-if-error=N (RFC 5861 §4, its own scope):
 *	   up to N seconds stale, on any error;
 *	 - not when the client asked for freshness: no-cache, max-age,
 *	   min-fresh (§5.2.1.1, §5.2.1.3, §5.2.1.4);
 *	 - the response's stale-if-error=N (RFC 5861 §4): up to N seconds
 *	   stale, on any error (500, 502, 503 and 504 included);
 *	 - otherwise up to @p limit seconds stale (refresh_pattern
 *	   max-stale=N, else the max_stale directive), only when the origin
 *	   cannot be reached (§4.2.4: "disconnected").
 *	Staleness is age - life, 0 for a response still fresh (one a
 *	client's refresh-ims sent to the origin).
 * @return COND_STALE_NO, COND_STALE_UNREACHABLE or COND_STALE_ERRORS.
 */
int	cond_stale_if_error(const struct cc *rq, const struct cc *rs,
	    int64_t life, int64_t age, int64_t limit, int offline);

#endif
