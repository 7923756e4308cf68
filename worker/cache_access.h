/*
 * cache_access.h -- squid's `cache allow|deny [!]acl...`: which requests
 * may use the cache at all.
 *
 * A request the rules deny is neither answered from the cache nor is
 * its response stored: it goes to the origin as a miss (Cache-Status
 * fwd=bypass, TCP_MISS), and only-if-cached gets its 504 (RFC 9111
 * §5.2.1.7).  Unsafe methods still invalidate (RFC 9111 §4.4): that
 * path does not ask these rules.  With no `cache` line every request
 * may use the cache.
 *
 * Compiled in the master (cache_access_compile() after acl_set_compile())
 * into conf->cache_acl, an acl set of its own built by acl_set_compile()
 * from the same acl lines, so the rules speak the http_access language.
 * Read-only in the workers, which ask in the CACHE_LOOKUP step: after
 * DNS, ACCESS_POST and authentication, so dst and proxy_auth acls have
 * what they need.
 *
 * Caveats:
 *  - As in squid, when no line matches the answer is the opposite of the
 *    last line: `cache deny X` alone lets everything else be cached.
 *  - The check never waits.  A proxy_auth acl reached for a request that
 *    was not authenticated (http_access did not ask for it) cannot be
 *    decided: the request then does not use the cache (the safe side).
 */
#ifndef SLUICE_CACHE_ACCESS_H
#define SLUICE_CACHE_ACCESS_H

struct conf;
struct conn;

/**
 * @brief Compile the `cache` lines of @p c into c->cache_acl (left NULL
 *	when there are none).
 * @return 0, or -1 after every error was logged as "file:line: message".
 * @note Partner: cache_access_free().
 */
int	cache_access_compile(struct conf *c);
/** @brief Free c->cache_acl and set it to NULL. */
void	cache_access_free(struct conf *c);
/**
 * @brief May the request of @p c be answered from, and stored in, the
 *	cache?  Runs in CACHE_LOOKUP; logs the deciding rule at debug level.
 * @return 1 yes, 0 no (the request bypasses the cache).
 */
int	cache_access_allowed(struct conn *c);

#endif
