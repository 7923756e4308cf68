/*
 * cache_req.h -- the cache in the request path (worker side).
 *
 * Runs in the workers, between ACCESS_POST and CONNECT_UP (LOOKUP), in
 * the response head (decide and start storing) and while the body is
 * relayed (each byte the client gets is also appended to the store
 * writer).  What it does now:
 *   - GET and HEAD look up the URL (a SHA-256 of "GET " and the URL); a
 *     fresh stored response, or a stale one the client's max-stale
 *     allows (cache/policy.c), is served with Age and Cache-Status
 *     (RFC 9211); its body comes from the record (small) or the body
 *     file by sendfile(2) (HIT_SEND).  HEAD is served from a stored GET.
 *   - Vary (cache/vary.h): the URL's stored Vary spec selects the
 *     variant by the request's normalised field values (secondary key);
 *     a URL stored without this variant is fwd=vary-miss; Vary: * is
 *     never stored.
 *   - A miss (or a stale entry) is forwarded; a storable response
 *     (cache/policy.c) within maximum_object_size and
 *     minimum_object_size, whatever its framing (chunked is stored
 *     de-chunked), is stored while it is streamed to the client, and
 *     committed only when complete.  Hits carry the stored length.
 *   - Collapsed forwarding: a plain GET missing a URL whose fetch is
 *     under way in this worker waits for that fetch (CF_WAIT) and is
 *     served from what it stores (TCP_CF_HIT), following the body as it
 *     grows; see "collapsed forwarding" in cache_req.c.
 *   - only-if-cached with nothing servable is a 504 (RFC 9111 §5.2.1.7).
 *   - A non-error answer to an unsafe method removes the stored URL
 *     (RFC 9111 §4.4); PURGE (enabled by an acl of type method naming
 *     it, then let through by http_access) removes every variant and
 *     answers 200, or 404 when nothing was stored.
 *   - A stale entry with validators is asked for conditionally (unless the
 *     client sent conditions of its own); a 304 is merged into the stored
 *     head (RFC 9111 §4.3.4, framing fields kept) and the entry served
 *     (TCP_REFRESH_UNMODIFIED); a 200 replaces it (TCP_REFRESH_MODIFIED).
 *   - A fresh entry answers the client's If-None-Match (weak comparison)
 *     or If-Modified-Since with a 304 (TCP_INM_HIT).
 *   - Then a GET with one byte Range (and a true or absent If-Range) on a
 *     stored 200 is a 206 with Content-Range, its slice from the record
 *     or the body file at an offset; one that does not overlap is a 416
 *     (cache/range.h; TCP_HIT/206, TCP_HIT/416).  Several ranges: 200.
 *     A miss forwards the Range as it is; a 206 is never stored.
 *   - Heuristic lifetimes come from refresh_pattern (cache/refresh.h);
 *     a request `cache deny` matches bypasses the cache (cache_access.h).
 * Not yet: multipart/byteranges; collapsing across workers.
 *
 * Caveats:
 *  - The store is opened in each worker after the privilege drop
 *    (cache_worker_init()); when it cannot be opened the worker proxies
 *    without caching.
 */
#ifndef SLUICE_CACHE_REQ_H
#define SLUICE_CACHE_REQ_H

#include <stddef.h>

struct conn;
struct http_head;
struct buf;

/** @brief Open the store (cache_dir) in this worker; no cache_dir: nothing. */
void	cache_worker_init(void);
/** @brief Flush and close the store (worker exit). */
void	cache_worker_end(void);

/**
 * @brief A final response head arrived: decide whether to store it, and
 *	start the writer.  Called by upstream.c before the client's head is
 *	built.
 */
void	cache_response(struct conn *c, const struct http_head *h);
/** @brief The Cache-Status (and Age) lines for the client's head, into @p o. */
int	cache_status_fields(struct conn *c, struct buf *o);
/** @brief If-None-Match / If-Modified-Since for revalidating a stored entry. */
int	cache_conditional_fields(struct conn *c, struct buf *o);
/**
 * @brief A 304 answered our revalidation (head of @p n bytes in ubuf):
 *	merge it into the stored entry and serve that (RFC 9111 §4.3.4).
 * @return a step result (SL_OK).
 */
int	cache_revalidated(struct conn *c, const struct http_head *h, size_t n);
/**
 * @brief @p n body bytes went to the client: the store gets them too
 *	(de-chunked when the client gets chunked framing); storing stops
 *	past maximum_object_size.
 */
void	cache_body_append(struct conn *c, const char *p, size_t n);
/**
 * @brief The request ends (logged, or its connection closes): a fetch it
 *	led is settled for its followers, or it stops following one.
 */
void	cache_cf_leave(struct conn *c);
/**
 * @brief The client of a response being stored went away: should the
 *	fetch go on for the store?  Yes when other clients follow it
 *	(collapsed forwarding); then the body goes on to the store only.
 */
int	cache_finish_fetch(struct conn *c);
/**
 * @brief The origin could not be reached (r_err) for a request whose
 *	stored response is stale but may still be served (RFC 9111 §4.2.4):
 *	serve it (TCP_REFRESH_FAIL_OLD, Cache-Status fwd=stale; detail=ERR).
 * @return 1 served (r_step set), 0 go on with the error page.
 */
int	cache_stale_on_error(struct conn *c);
/** @brief The response body ended (@p ok 1) or broke (0): commit or drop. */
void	cache_body_end(struct conn *c, int ok);

#endif
