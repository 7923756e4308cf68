/*
 * policy.h -- RFC 9111 decisions of a shared cache, as pure functions.
 *
 * No I/O, no allocation, no clock: the caller gives parsed heads
 * (worker/http_parse.h) and times in seconds since the epoch.  The
 * request path (still to come: see docs/architecture.md) asks:
 *   - may this response be stored?          policy_storable()   §3
 *   - for how long is it fresh?             policy_lifetime()   §4.2.1-2
 *   - how old is it now?                    policy_age()        §4.2.3
 *   - may it answer this request?           policy_use()        §4.2, §5.2
 *
 * Caveats:
 *  - Cache-Control directive names compare case-insensitively; unknown
 *    directives are ignored (§5.2.3).  A freshness directive whose value
 *    is invalid, or that appears twice, makes the response stale (§4.2.1,
 *    §1.2.2 allows the first or stale: stale is the safe reading).  So
 *    does an Age whose first member is not delta-seconds (§5.1).
 *  - delta-seconds over 2^31 are taken as 2^31 (§1.2.2).
 *  - Heuristic freshness follows squid's refresh_pattern MIN PERCENT MAX
 *    (the caller picks the line: cache/refresh.h): PERCENT of Date -
 *    Last-Modified when Last-Modified is before Date, else MIN; never
 *    above MAX.  As in squid, MIN does not raise the LM-factor lifetime
 *    (override-lastmod does).
 *  - The line's options that go beyond RFC 9111 (REFRESH_OVERRIDE_*,
 *    REFRESH_IMMUTABLE) change the lifetime here; those that change how
 *    a request is answered are refresh_use()'s (cache/refresh.h).  None
 *    of them outranks an origin that asks for revalidation (no-cache,
 *    must-revalidate, proxy-revalidate, s-maxage: policy_demands()):
 *    that is how an origin protects access-controlled responses (§3.5).
 */
#ifndef SLUICE_POLICY_H
#define SLUICE_POLICY_H

#include <stddef.h>
#include <stdint.h>

struct http_head;

#define CC_NO_STORE		0x0001
#define CC_NO_CACHE		0x0002	/* unqualified no-cache */
#define CC_PRIVATE		0x0004	/* unqualified private */
#define CC_PUBLIC		0x0008
#define CC_MUST_REVALIDATE	0x0010
#define CC_PROXY_REVALIDATE	0x0020
#define CC_ONLY_IF_CACHED	0x0040
#define CC_MAX_STALE_ANY	0x0080	/* max-stale without a value */
#define CC_INVALID		0x0100	/* a freshness directive was bad or repeated */
#define CC_NO_CACHE_FIELDS	0x0200	/* no-cache="field": field not stored */
#define CC_PRIVATE_FIELDS	0x0400	/* private="field": field not stored */
#define CC_MUST_UNDERSTAND	0x0800	/* §5.2.2.3 */
#define CC_IMMUTABLE		0x1000	/* RFC 8246 */

#define CC_DELTA_MAX		2147483648LL	/* 2^31, RFC 9111 §1.2.2 */

/** Cache-Control of one message; -1 for an absent value. */
struct cc {
	unsigned	flags;
	int64_t		max_age;
	int64_t		s_maxage;
	int64_t		max_stale;
	int64_t		min_fresh;
	int64_t		stale_if_error;	/* RFC 5861 §4 */
	int64_t		swr;		/* stale-while-revalidate (RFC 5861 §3) */
};

/*
 * refresh_pattern options (squid's names; struct refresh.flags).  Each
 * goes beyond RFC 9111 in one named way, for the URLs of its line only.
 */
#define REFRESH_OVERRIDE_EXPIRE	0x0001	/* explicit expiry raised to MIN */
#define REFRESH_OVERRIDE_LASTMOD 0x0002	/* LM-factor lifetime raised to MIN */
#define REFRESH_IGNORE_RELOAD	0x0004	/* client no-cache, max-age=0 ignored */
#define REFRESH_RELOAD_INTO_IMS	0x0008	/* accepted: sluice's default */
#define REFRESH_STORE_STALE	0x0010	/* accepted: sluice's default */
#define REFRESH_IMS		0x0020	/* refresh-ims: IMS goes on */
#define REFRESH_IMMUTABLE	0x0040	/* sluice: a 200 never changes */

/** One refresh_pattern line (squid): MIN PERCENT MAX and its options. */
struct refresh {
	int64_t		min;		/* seconds */
	int		percent;	/* of Date - Last-Modified */
	int64_t		max;		/* seconds */
	unsigned	flags;		/* REFRESH_* */
	int64_t		max_stale;	/* seconds; -1: max_stale's */
};

/** May the response be used, and how (RFC 9111 §4). */
enum policy_use {
	USE_FRESH = 1,		/* serve it */
	USE_STALE_OK,		/* stale, but the client's max-stale allows it */
	USE_REVALIDATE,		/* ask the origin (conditional request) */
};

/** @brief Parse every Cache-Control field of @p h (and Pragma: no-cache
 *	for a request without Cache-Control, §5.4) into @p cc. */
void	policy_cc(const struct http_head *h, int is_request, struct cc *cc);

/**
 * @brief Is the field @p name[0..len) named by a qualified no-cache="..."
 *	or private="..." in @p h?  A shared cache stores the response without
 *	it (§5.2.2.4, §5.2.2.7).
 */
int	policy_cc_omits(const struct http_head *h, const char *name,
	    size_t len);

/**
 * @brief An HTTP-date (RFC 9110 §5.6.7: IMF-fixdate, rfc850, asctime).
 * @return seconds since the epoch, or -1 when invalid.
 */
int64_t	policy_date(const char *s, size_t n);

/**
 * @brief May a shared cache store this response to this request (§3)?
 * @param[in] method  the request method.
 * @param[in] authorization  the request carried Authorization (§3.5).
 * @param[out] why  a short reason when not.
 * @return 1 or 0.
 */
int	policy_storable(const char *method, int authorization,
	    const struct cc *rq, const struct http_head *resp,
	    const struct cc *rs, const char **why);

/**
 * @brief Does the response ask every cache to check with the origin
 *	before serving it stale, or at all: no-cache (§5.2.2.4),
 *	must-revalidate (§5.2.2.2), proxy-revalidate (§5.2.2.8), s-maxage
 *	(§5.2.2.10)?  No refresh_pattern option and no offline_mode
 *	outranks these.
 */
int	policy_demands(const struct cc *rs);

/**
 * @brief Freshness lifetime in seconds (§4.2.1): s-maxage, max-age,
 *	Expires - Date, or heuristic (§4.2.2) when allowed; 0 when none,
 *	and 0 (stale) when a freshness directive or the Age field is
 *	invalid.  Then the options of @p rp, unless policy_demands():
 *	REFRESH_IMMUTABLE makes a 200 fresh for at least MAX (whatever its
 *	fields say, invalid ones included); REFRESH_OVERRIDE_EXPIRE raises
 *	an explicit lifetime to MIN (squid: override-expire enforces MIN);
 *	REFRESH_OVERRIDE_LASTMOD raises the LM-factor lifetime to MIN,
 *	never above MAX.
 * @param[in] response_time  when the response arrived (for a missing Date).
 * @param[in] rp  the heuristic's refresh_pattern; NULL: return 0 with
 *	@p *heuristic 1 when a heuristic applies (look rp up and call again).
 * @param[out] heuristic  set to 1 when the lifetime is a heuristic one.
 */
int64_t	policy_lifetime(const struct http_head *resp, const struct cc *rs,
	    int64_t response_time, const struct refresh *rp, int *heuristic);

/** policy_age_field(): an Age whose first member is not delta-seconds. */
#define POLICY_AGE_INVALID	(-2)

/**
 * @brief The Age field of @p h (RFC 9111 §5.1): the first member of the
 *	first line, 1*DIGIT, capped at 2^31.
 * @return seconds; -1 when there is no Age; POLICY_AGE_INVALID when its
 *	first member is not delta-seconds (negative, a fraction, letters,
 *	parameters, empty).  policy_age() counts both negatives as no Age;
 *	policy_lifetime() makes a response with an invalid Age stale.
 */
int64_t	policy_age_field(const struct http_head *h);

/**
 * @brief current_age (§4.2.3).
 * @param[in] date  the response's Date (-1: none, response_time is used).
 * @param[in] age_value  its Age field (-1: none).
 */
int64_t	policy_age(int64_t date, int64_t age_value, int64_t request_time,
	    int64_t response_time, int64_t now);

/**
 * @brief May a stored response of @p lifetime and @p age answer a request
 *	with directives @p rq (§4.2, §4.2.4, §5.2.1, §5.2.2)?
 */
enum policy_use policy_use(const struct cc *rq, const struct cc *rs,
	    int64_t lifetime, int64_t age);

/**
 * @brief stale-while-revalidate (RFC 5861 §3): may a response, stale by
 *	@p age - @p lifetime seconds, be served at once while it is
 *	revalidated in the background?  Within its window, and not under
 *	must-revalidate, proxy-revalidate, no-cache or s-maxage, nor to a
 *	client asking for freshness (no-cache, max-age, min-fresh).
 * @return 1 serve it stale and revalidate, 0 revalidate first.
 */
int	policy_swr(const struct cc *rq, const struct cc *rs, int64_t lifetime,
	    int64_t age);

/**
 * @brief squid's quick_abort: the client of a response being stored went
 *	away after @p got of @p total body bytes (UINT64_MAX: unknown):
 *	finish the fetch for the cache?  @p min < 0: always; at most @p min
 *	left: yes; more than @p max left (@p max < 0: no limit): no; in
 *	between: yes once @p pct percent arrived.  An unknown length: no.
 * @return 1 finish, 0 let it go.
 */
int	policy_quick_abort(int64_t min, int64_t max, int pct, uint64_t got,
	    uint64_t total);

#endif
