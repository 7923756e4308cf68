/*
 * storeid.h -- content-addressed cache keys: squid's store_id idea as
 * regex rewrites (store_id_rewrite), without a helper process.
 *
 * Runs in the workers: cache.c calls storeid_rewrite() when it keys a
 * request (cache_req_new()) and when it invalidates a Location or
 * Content-Location.  The lines are parsed and compiled by the master
 * (conf.c, struct conf_storeid); this module only reads them.
 *
 * The store ID replaces the URL in the cache key only: the request
 * still goes to the URL as asked, the logs show that URL, refresh_pattern
 * matches it, and Vary, PURGE and invalidation work on the stored key
 * (two URLs with one store ID are one stored object, with its variants).
 * The lines are tried in file order against the whole URL; the first
 * whose regex matches gives REPLACEMENT with \0 (the whole match),
 * \1..\9 (its groups; an unmatched group is empty) and \\ (a backslash)
 * expanded.
 *
 * Caveats:
 *  - A rule says "these URLs are the same object".  Writing one for
 *    hosts that are not one publisher's mirrors lets any of them fill
 *    the cache for all: the shipped rules name the hosts (sluice.conf).
 *  - regexec(3) may allocate inside the C library (as refresh.h).
 */
#ifndef SLUICE_STOREID_H
#define SLUICE_STOREID_H

#include <stddef.h>

struct conf;

/** The longest store ID (the NUL excluded); a longer one is not used. */
#define STOREID_MAX	8191

/**
 * @brief The store ID of @p url under the store_id_rewrite lines of @p c.
 * @param[out] out  the store ID, NUL-terminated, when 1 is returned.
 * @param[in] outsz  the room in @p out (STOREID_MAX + 1 is enough).
 * @param[out] line  when not NULL, the index (from 0) of the line that
 *	matched, or -1.
 * @return 1 rewritten, 0 no line matches (key by @p url), -1 the store ID
 *	does not fit (key by @p url: the rule is not applied).
 */
int	storeid_rewrite(const struct conf *c, const char *url, char *out,
	    size_t outsz, int *line);

#endif
