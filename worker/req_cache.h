/*
 * req_cache.h -- squid's `cache allow|deny [!]acl...` rules: which
 * requests may use the cache at all (the rest of req_cache.c is the
 * cache's steps, declared in req.h).
 *
 * A request the rules deny is neither answered from the cache nor is
 * its response stored: it goes to the origin as a miss (Cache-Status
 * fwd=bypass, TCP_MISS), and only-if-cached gets its 504 (RFC 9111
 * §5.2.1.7).  Unsafe methods still invalidate (RFC 9111 §4.4): that
 * path does not ask these rules.  With no `cache` line every request
 * may use the cache.
 *
 * Compiled in the master (req_cache_rules_compile() after
 * acl_set_compile()) into conf->cache_acl, an acl set of its own built
 * by acl_set_compile_rules() from the same acl lines, so the rules speak
 * the http_access language.  Read-only in the workers, which ask in the
 * CACHE_LOOKUP step.
 *
 * Caveats:
 *  - As in squid, when no line matches the answer is the opposite of the
 *    last line: `cache deny X` alone lets everything else be cached.
 *  - The check never waits for a user: a proxy_auth acl reached for a
 *    request that was not authenticated cannot be decided, and the
 *    request does not use the cache (the safe side).  A dst acl reached
 *    before DNS sends the request to RESOLVE first.
 */
#ifndef SLUICE_REQ_CACHE_H
#define SLUICE_REQ_CACHE_H

struct conf;

/**
 * @brief Compile the `cache` lines of @p cf into cf->cache_acl (left NULL
 *	when there are none).
 * @return 0, or -1 after every error was logged as "file:line: message".
 * @note Partner: req_cache_rules_free().
 */
int	req_cache_rules_compile(struct conf *cf);
/** @brief Free cf->cache_acl and set it to NULL. */
void	req_cache_rules_free(struct conf *cf);

#endif
