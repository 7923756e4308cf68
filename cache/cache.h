/*
 * cache.h -- the HTTP cache, as the worker sees it: the ONE header of
 * cache/ that worker/ includes (t/layering checks it).
 *
 * Runs in the workers.  One cache per worker process, opened after the
 * privilege drop (cache_open()); every call below is made from the
 * worker's event loop and never waits: reads of the store are inline
 * (LMDB read transactions, microseconds), every write (body files, LMDB
 * commits, deletions, header updates, access times) goes to this
 * worker's writer thread through a bounded queue, and completions come
 * back on the loop.
 *
 * A request meets the cache through a struct cache_req, made in the
 * request's arena by cache_req_new() and ended by cache_req_end():
 *
 *	LOOKUP	cache_req_new() -> kind; then for CACHE_K_GET
 *		cache_lookup(): FRESH (serve cache_hit), STALE (ask the
 *		origin with cache_cond_fields()), MISS (maybe join a fetch
 *		under way: cache_cf_join()), ONLY_IF_CACHED (504).
 *		CACHE_K_PURGE: cache_purge().
 *	ORIGIN	cache_response() on the final response head: invalidation,
 *		HEAD freshening, whether to store; a 304 to our condition:
 *		cache_revalidated() instead.
 *	BODY	cache_body() on every body byte received (the tee), then
 *		cache_body_end(): the commit, completed on the loop.
 *	ERROR	cache_stale() when the origin cannot be reached and
 *		cache_stale_allowed(), or answered an error and
 *		cache_stale_status().
 *
 * Answers from the store (hits, revalidated, stale, collapsed) come as a
 * const struct cache_hit: the status and log code to use, the head to
 * write (cache_hit_head()), and the body slice (inline bytes or a file
 * descriptor at an offset).  There is one hit at a time per worker:
 * write its head and take its fd (cache_hit_take_fd()) in the same step,
 * then cache_hit_release().
 *
 * Results: functions return 0 / CACHE_OK or an outcome below (>= 0), or
 * a negative CACHE_E* code (cache_strerror()); none of them logs a
 * per-request error: the calling step does, once.
 *
 * Caveats:
 *  - Pointers into a struct cache_req (and the request head passed to
 *    cache_req_new()) must stay valid until cache_req_end(): they live
 *    in the request's arena.
 *  - Collapsed forwarding wakes followers through the callback given to
 *    cache_cf_join(), from a zero-delay timer (never from inside the
 *    leader's call), so the callback may run the follower's steps.
 *  - Never keep a struct cache_hit across an event-loop wait.
 */
#ifndef SLUICE_CACHE_H
#define SLUICE_CACHE_H

#include <stddef.h>
#include <stdint.h>

#define CACHE_KEY_LEN		32

struct buf;
struct conf;
struct http_head;
struct cache_req;

/* Outcomes (>= 0). */
#define CACHE_OK		0
#define CACHE_FRESH		1	/* a stored answer: see the cache_hit */
#define CACHE_STALE		2	/* stored, needs the origin's word first */
#define CACHE_MISS		3	/* nothing usable: ask the origin */
#define CACHE_ONLY_IF_CACHED	4	/* a miss the client will not forward */
#define CACHE_AGAIN		5	/* wait: the callback given runs later */
#define CACHE_STORING		6	/* the response is being stored */
#define CACHE_CF_LEADER		7	/* lead the fetch: others may follow */
#define CACHE_CF_FOLLOWER	8	/* wait for another request's fetch */
#define CACHE_EOF		9	/* a followed body is whole */

/* Errors (< 0): none of them stops proxying; the request bypasses the cache. */
#define CACHE_ENOMEM		(-100)	/* the arena or memory is full */
#define CACHE_EIO		(-101)	/* the store failed (logged once there) */
#define CACHE_EBROKEN		(-102)	/* a followed fetch broke off */
#define CACHE_EOFF		(-103)	/* no cache in this process */

/** What cache_req_new() found the request to be (RFC 9111 §4, §4.4). */
enum cache_kind {
	CACHE_K_GET,		/* GET or HEAD without a body: look it up */
	CACHE_K_PURGE,		/* squid's PURGE: remove every variant */
	CACHE_K_UNSAFE,		/* invalidates the URL if it succeeds */
	CACHE_K_OTHER,		/* neither served from nor stored */
};

/** A stored answer to send (read-only for the caller). */
struct cache_hit {
	int		 status;	/* the client's status: 200, 304, 206... */
	const char	*code;		/* squid's log code: TCP_HIT... */
	int		 head_only;	/* no body goes out (HEAD, 304, 416) */
	const uint8_t	*body;		/* inline body (the slice), or NULL */
	uint64_t	 off;		/* file body: the slice's offset */
	uint64_t	 len;		/* bytes of body to send */
	int		 follow;	/* a collapsed fetch: cache_cf_body() */
	/*
	 * The stored body is the gzip variant of a client that does not
	 * take gzip: inflate it on the way (gunzip.h), its length unknown
	 * (chunked, or to the close); @c len is the stored, gzip, length.
	 */
	int		 gunzip;
	/*
	 * Served stale under stale-while-revalidate (RFC 5861 §3) and this
	 * request holds the URL's revalidation: start it in the background
	 * and hand the claim over (cache_swr_handoff()).
	 */
	int		 revalidate;
};

/** A slice of a followed body (collapsed forwarding). */
struct cache_slice {
	const uint8_t	*p;		/* bytes in memory, or NULL: ... */
	int		 fd;		/* ... in this file at the offset asked */
	uint64_t	 n;		/* available now */
};

/** Called on the loop when a wait (CACHE_AGAIN) is over. */
typedef void cache_wake_f(void *arg);

/**
 * @brief Open cache_dir for this worker (after the privilege drop): the
 *	store, its writer thread and the loop hooks.
 * @return 0 (also without cache_dir: caching is then off), or a CACHE_E*
 *	code with @p err saying why (the worker proxies without caching).
 * @note Partner: cache_close().
 */
int	cache_open(const struct conf *c, char *err, size_t errlen);
/** @brief Drain the writer, flush access times, close.  Worker exit. */
void	cache_close(void);
/** @brief 1 when this worker has a cache. */
int	cache_on(void);
/**
 * @brief The primary key of @p url (RFC 9111 §2): SHA-256 of the method
 *	class ("GET ": HEAD is answered from GET) and the normalised
 *	absolute URL, CACHE_KEY_LEN bytes.
 * @return 0, or -1 (the digest failed).
 */
int	cache_key(const char *url, uint8_t key[CACHE_KEY_LEN]);
/** @brief A message for a CACHE_E* code. */
const char *cache_strerror(int rc);

/**
 * @brief Meet request @p rq (method, normalised absolute URL) in the
 *	arena @p arena: the key, its Cache-Control, Authorization (§3.5),
 *	the copy of its fields that Vary may need.  A request with a body
 *	(@p has_body) is never looked up.  @p request_time: when it came
 *	(RFC 9111 §4.2.3's request_time of what it stores).
 * @param[out] kind  what the request is to the cache.
 * @return the request's cache state, or NULL (arena full: bypass).
 * @note Partner: cache_req_end(), before the arena is reset.
 */
struct cache_req *cache_req_new(struct buf *arena, const char *method,
	    const char *url, const struct http_head *rq, int is_head,
	    int has_body, int64_t request_time, enum cache_kind *kind);
/** @brief Leave the cache out both ways (squid's `cache deny`): bypass. */
void	cache_req_bypass(struct cache_req *q);
/**
 * @brief This request is the background revalidation of a response
 *	served stale (stale-while-revalidate): never served stale itself.
 *	Before cache_lookup().
 */
void	cache_req_background(struct cache_req *q);
/**
 * @brief The URL's revalidation that @p q's hit claimed goes to the
 *	background request: its key into @p key, which that request gives
 *	back with cache_swr_release() when it ends, however it ends (a
 *	claim not handed off is given back by cache_req_end()).
 * @return 0, or -1 when @p q holds no claim.
 */
int	cache_swr_handoff(struct cache_req *q, uint8_t key[CACHE_KEY_LEN]);
/** @brief Give back the revalidation claim of @p key (this process's). */
void	cache_swr_release(const uint8_t key[CACHE_KEY_LEN]);
/**
 * @brief The Accept-Encoding to ask the origin with: "gzip" when the
 *	client takes gzip, else "identity", for a request whose response
 *	may be stored (the Vary key's value, vary.h: one stored copy for
 *	every gzip client, and never another coding under its key); NULL:
 *	forward the client's as it is.
 */
const char *cache_accept_encoding(const struct cache_req *q);
/**
 * @brief The request is over: a store not committed is dropped, a
 *	collapsed fetch is left (settled for its followers if it led it).
 */
void	cache_req_end(struct cache_req *q);

/**
 * @brief Look the request up (RFC 9111 §4: Vary, freshness, the client's
 *	directives; then its own conditions and Range against a usable
 *	response, RFC 9110 §13.2.2).  @p rq is the request head given to
 *	cache_req_new(), still valid.
 * @param[out] hit  on CACHE_FRESH.
 * @return CACHE_FRESH, CACHE_STALE (validators kept for
 *	cache_cond_fields()), CACHE_MISS, CACHE_ONLY_IF_CACHED (§5.2.1.7),
 *	or CACHE_E* (treat as a miss that is not stored).
 */
int	cache_lookup(struct cache_req *q, const struct http_head *rq,
	    int64_t now, const struct cache_hit **hit);
/**
 * @brief The fields to add to the request sent upstream: If-None-Match /
 *	If-Modified-Since of a stale entry (RFC 9111 §4.3.1), into @p o.
 * @return 0, or -1 when @p o is too small.
 */
int	cache_cond_fields(const struct cache_req *q, struct buf *o);
/**
 * @brief The head of @p hit for the client, into @p b: the status line,
 *	the stored fields (without Age and framing), Content-Length or
 *	Content-Range, Age and Cache-Status (RFC 9211).  The caller adds
 *	Via, its connection fields and the empty line.
 * @return 0, or -1 when @p b is too small.
 */
int	cache_hit_head(const struct cache_hit *hit, struct buf *b);
/** @brief The stored head of @p hit, parsed (valid until cache_hit_release()). */
const struct http_head *cache_hit_fields(const struct cache_hit *hit);
/** @brief Take the body file of the current hit (the caller closes it), or -1. */
int	cache_hit_take_fd(const struct cache_hit *hit);
/** @brief Done with the current hit. */
void	cache_hit_release(void);

/**
 * @brief PURGE: remove every variant of the URL.  The answer waits for
 *	the delete, so that the next request cannot find what was purged.
 * @return CACHE_AGAIN (call again after @p done(@p arg)), then the number
 *	of entries that were stored (0: none); or CACHE_E*.
 */
int	cache_purge(struct cache_req *q, cache_wake_f *done, void *arg);

/**
 * @brief A final response head @p h arrived from the origin for @p q
 *	(not a 304 to our own condition: cache_revalidated()).  A non-error
 *	answer to an unsafe method invalidates the URL and the same-origin
 *	Location and Content-Location (§4.4); a 200 to HEAD freshens or
 *	drops the stored GET (§4.3.5); a storable GET response (§3) within
 *	maximum_object_size starts being stored.
 * @param[in] chunked  the body bytes given to cache_body() carry chunked
 *	framing (the cache keeps the data only).
 * @param[in] length  the declared length, or UINT64_MAX.
 * @return CACHE_STORING or CACHE_OK (not stored).
 */
int	cache_response(struct cache_req *q, const struct http_head *h,
	    int chunked, uint64_t length, int64_t now);
/**
 * @brief The Cache-Status field (RFC 9211) of a response forwarded from
 *	the origin, with its CRLF, into @p out (empty: nothing to say).
 */
void	cache_status_line(const struct cache_req *q, char *out, size_t n);
/**
 * @brief Should the last bytes of the response wait for cache_body_end()?
 *	Yes while it is being stored, or when deletions or updates were
 *	queued for it (invalidation, HEAD): the next request must see them.
 */
int	cache_hold(const struct cache_req *q);
/** @brief squid's log code when the cache changes it (TCP_REFRESH_MODIFIED), or NULL. */
const char *cache_req_code(const struct cache_req *q);

/**
 * @brief The tee: @p n body bytes as received from the origin.
 * @return CACHE_OK (taken, or nothing to store), CACHE_AGAIN (the writer
 *	is behind: nothing was taken; call again after @p wake(@p arg)).
 */
int	cache_body(struct cache_req *q, const char *p, size_t n,
	    cache_wake_f *wake, void *arg);
/**
 * @brief The body ended: @p complete 1 commit, 0 drop.
 * @return CACHE_AGAIN (the commit is queued: @p done(@p arg) runs on the
 *	loop once it is durable in the index, success or not), or CACHE_OK
 *	(nothing to wait for).
 */
int	cache_body_end(struct cache_req *q, int complete, cache_wake_f *done,
	    void *arg);
/** @brief 1 while the response of @p q is being stored. */
int	cache_storing(const struct cache_req *q);
/**
 * @brief The client of a response being stored went away after @p got
 *	of @p total body bytes (UINT64_MAX: unknown): go on for the cache?
 *	Yes when other requests follow the fetch, or when squid's
 *	quick_abort_min / max / pct say it is worth it.
 */
int	cache_keep_fetching(const struct cache_req *q, uint64_t got,
	    uint64_t total);

/**
 * @brief A 304 @p h answered the condition of a stale entry: merge it into
 *	the stored response (§4.3.4) and serve that.  The stored response
 *	must be the one the 304 is about (validators: RFC 9111 §4.3.4).
 *	The answer waits until the store has the update, so that the next
 *	request finds the entry fresh.
 * @return CACHE_AGAIN (call again, with @p h NULL, after
 *	@p wake(@p arg)), CACHE_FRESH (@p hit: TCP_REFRESH_UNMODIFIED), or
 *	CACHE_MISS: the entry is gone or changed; ask again without
 *	conditions (the validators are forgotten).
 */
int	cache_revalidated(struct cache_req *q, const struct http_head *h,
	    int64_t now, const struct cache_hit **hit, cache_wake_f *wake,
	    void *arg);
/**
 * @brief May the stored response be served if the origin cannot be
 *	reached (RFC 9111 §4.2.4, RFC 5861 §4, offline_mode: cond.h's
 *	cond_stale_if_error())?
 */
int	cache_stale_allowed(const struct cache_req *q);
/**
 * @brief May the stored response stand in for the origin's own answer
 *	of @p status (500, 502, 503, 504: RFC 5861 §4), because it or the
 *	request carries stale-if-error, or offline_mode is on?  Then the
 *	caller drops that answer and calls cache_stale().
 */
int	cache_stale_status(const struct cache_req *q, int status);
/**
 * @brief The origin could not be reached (@p why: the error's name): the
 *	stale stored response, if it is still there and allowed.
 * @return CACHE_FRESH (@p hit: TCP_REFRESH_FAIL_OLD) or CACHE_MISS.
 */
int	cache_stale(struct cache_req *q, const char *why, int64_t now,
	    const struct cache_hit **hit);

/**
 * @brief A miss with a Range: fetch the whole object for the cache while
 *	answering the range (squid's range_offset_limit: a range starting
 *	below it; -1 any)?  The Range and If-Range are remembered; the
 *	caller sends the request without them.
 * @return 1 fetch it whole, 0 forward the Range as it is.
 */
int	cache_range_whole(struct cache_req *q, const struct http_head *rq);
/**
 * @brief The origin answered a whole-object fetch (@p h, @p total body
 *	bytes, UINT64_MAX unknown): which slice does the client get?
 * @return 1 a 206 of [@p first, @p last], 2 a 416, 0 the whole 200 (a
 *	Range that cannot be cut, a false If-Range, not a 200).
 */
int	cache_range_answer(const struct cache_req *q, const struct http_head *h,
	    uint64_t total, uint64_t *first, uint64_t *last);

/**
 * @brief Collapsed forwarding: after a miss of a GET without validator
 *	conditions (a Range is fine), follow a fetch of the same URL under
 *	way in this or another worker, or lead one.
 * @param[in] wake  called (with @p arg) from the loop when a follower
 *	has something new: run cache_cf_poll() / cache_cf_body() again.
 * @return CACHE_CF_FOLLOWER, CACHE_CF_LEADER, or CACHE_OK (neither).
 */
int	cache_cf_join(struct cache_req *q, const struct http_head *rq,
	    cache_wake_f *wake, void *arg);
/**
 * @brief A follower: has the leader's response arrived?  A Range in
 *	@p rq (the request, still parsed) is answered from it: a 206 whose
 *	slice is sent as its bytes arrive, or a 416.
 * @return CACHE_AGAIN (wait for the callback), CACHE_FRESH (@p hit, with
 *	hit->follow set: its body grows, read it with cache_cf_body()), or
 *	CACHE_MISS (nothing to follow: ask the origin yourself).
 */
int	cache_cf_poll(struct cache_req *q, const struct http_head *rq,
	    int64_t now, const struct cache_hit **hit);
/**
 * @brief A follower: what of the body is there at offset @p off.
 * @return CACHE_OK (@p s filled, s->n > 0), CACHE_AGAIN (nothing new
 *	yet), CACHE_EOF (nothing more will come: @p off is the end), or
 *	CACHE_EBROKEN (the fetch broke off: never complete the response).
 */
int	cache_cf_body(struct cache_req *q, uint64_t off, struct cache_slice *s);
/**
 * @brief A leader others follow whose own client is slower than the
 *	origin: may the fetch go on into the store without waiting for that
 *	client, which then reads it back with cache_cf_body() like a
 *	follower (woken by @p wake(@p arg))?
 * @return 1 yes (being stored and followed), 0 no.
 */
int	cache_cf_lead_lag(struct cache_req *q, cache_wake_f *wake, void *arg);
/** @brief A leader: how many requests follow its fetch. */
unsigned cache_cf_followers(const struct cache_req *q);
/** @brief Stop following (then ask the origin: fwd=miss) or leading; cache_req_end() does it too. */
void	cache_cf_leave(struct cache_req *q);

#endif
