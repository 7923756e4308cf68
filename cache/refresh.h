/*
 * refresh.h -- squid's refresh_pattern: which line applies to a URL, and
 * what its options make of a request (RFC 9111 §4.2.2 heuristics, and
 * the named ways package caching goes beyond RFC 9111).
 *
 * Runs in the workers, on the request path, whenever the lifetime of a
 * stored response is computed (cache/cache.c).  The lines are parsed and
 * their regexes compiled by the master at load (conf.c, struct
 * conf_refresh); this module only reads them.
 *
 * Squid's semantics: the lines are tried in file order against the full
 * URL ("http://host:port/path?query", as requested: a store_id_rewrite
 * does not change it), the first whose regex matches decides, and when
 * none does the built-in `. 0 20% 4320` applies.  What MIN, PERCENT, MAX
 * and the lifetime options then mean is policy_lifetime()'s business
 * (cache/policy.h); what the request-side options mean is refresh_use()'s.
 *
 * The options (squid's names; REFRESH_* in policy.h), each for the URLs of
 * its line only:
 *	override-expire	 an explicit lifetime below MIN is raised to MIN
 *			 (overrides max-age, s-maxage's value and Expires,
 *			 RFC 9111 §4.2.1)
 *	override-lastmod the LM-factor lifetime below MIN is raised to MIN
 *			 (overrides the §4.2.2 heuristic)
 *	ignore-reload	 a client's no-cache, Pragma: no-cache and max-age=0
 *			 do not force a revalidation (overrides §5.2.1.4,
 *			 §5.4, §5.2.1.1)
 *	immutable	 (sluice) a 200 is fresh for MAX whatever its fields,
 *			 and no client directive asks the origin again:
 *			 no-cache, Pragma, max-age=N, min-fresh are ignored
 *			 (overrides §4.2.1, §5.2.1.1, §5.2.1.3, §5.2.1.4)
 *	refresh-ims	 a client's If-Modified-Since goes to the origin even
 *			 when the stored response is fresh (within RFC 9111)
 *	max-stale=N	 a stale response is served on an origin error only
 *			 up to N seconds stale (within RFC 9111 §4.2.4)
 *	reload-into-ims, store-stale  accepted for squid configurations:
 *			 sluice always revalidates a client's reload with the
 *			 stored validators (§5.2.1.4 allows it) and stores
 *			 responses that are stale on arrival (§3 allows it).
 * None of them outranks an origin that asks for revalidation
 * (policy_demands()): no-cache, must-revalidate, proxy-revalidate,
 * s-maxage.  ignore-no-store, ignore-private, ignore-must-revalidate,
 * ignore-no-cache and ignore-auth are refused at load.
 *
 * Caveats:
 *  - regexec(3) may allocate inside the C library; there is no way
 *    around it with POSIX regexes (acl url_regex does the same).
 *  - The result is a copy: nothing points into the conf afterwards.
 */
#ifndef SLUICE_REFRESH_H
#define SLUICE_REFRESH_H

#include <stdint.h>

#include "policy.h"

struct conf;

/** squid's DefaultRefresh: `. 0 20% 4320` (minutes), in seconds here. */
#define REFRESH_DEFAULT_MIN	0
#define REFRESH_DEFAULT_PERCENT	20
#define REFRESH_DEFAULT_MAX	(4320 * 60)

/**
 * @brief The refresh_pattern line for @p url.
 * @param[in] c  the running configuration (its refresh_pattern lines).
 * @param[in] url  the full request URL, NUL-terminated.
 * @param[out] rp  MIN and MAX in seconds, PERCENT, the options and
 *	max-stale (-1: none on the line) of the first line that matches, or
 *	squid's default without options.
 * @return the index (from 0) of the line that matched, or -1 when none
 *	did and @p rp holds the default.
 */
int	refresh_for(const struct conf *c, const char *url, struct refresh *rp);

/**
 * @brief policy_use() under the line @p rp (NULL: none): may the stored
 *	response (status @p status, directives @p rs, @p life and @p age in
 *	seconds) answer a request with directives @p rq?
 *	ignore-reload drops the client's no-cache (and Pragma) and
 *	max-age=0; immutable, for a 200, drops no-cache, max-age and
 *	min-fresh; a response that is itself `immutable` (RFC 8246 §2) and
 *	fresh is not revalidated for a client's max-age (squid does the
 *	same); refresh-ims sends a request with If-Modified-Since (@p ims)
 *	to the origin even when the response could answer it.
 * @param[out] eff  the request directives as the options leave them: the
 *	ones that decide whether a stale response may be served on error.
 * @return USE_FRESH, USE_STALE_OK or USE_REVALIDATE.
 */
enum policy_use refresh_use(const struct cc *rq, const struct cc *rs,
	    const struct refresh *rp, int status, int ims, int64_t life,
	    int64_t age, struct cc *eff);

#endif
