/*
 * refresh.h -- which refresh_pattern line (squid) gives the heuristic
 * freshness of a URL (RFC 9111 §4.2.2).
 *
 * Runs in the workers, on the request path, whenever the lifetime of a
 * stored response is computed (worker/cache_req.c).  The lines are
 * parsed and their regexes compiled by the master at load (conf.c,
 * struct conf_refresh); this module only reads them.
 *
 * Squid's semantics: the lines are tried in file order against the full
 * URL ("http://host:port/path?query"), the first whose regex matches
 * decides, and when none does the built-in `. 0 20% 4320` applies.  What
 * MIN, PERCENT and MAX then mean is policy_lifetime()'s business
 * (cache/policy.h): they are used only for a response without explicit
 * expiry whose status allows a heuristic, or that is `public`.
 *
 * Caveats:
 *  - regexec(3) may allocate inside the C library; there is no way
 *    around it with POSIX regexes (acl url_regex does the same).
 *  - The result is a copy: nothing points into the conf afterwards.
 */
#ifndef SLUICE_REFRESH_H
#define SLUICE_REFRESH_H

#include <stdint.h>

struct conf;
struct refresh;

/** squid's DefaultRefresh: `. 0 20% 4320` (minutes), in seconds here. */
#define REFRESH_DEFAULT_MIN	0
#define REFRESH_DEFAULT_PERCENT	20
#define REFRESH_DEFAULT_MAX	(4320 * 60)

/**
 * @brief The heuristic limits for @p url.
 * @param[in] c  the running configuration (its refresh_pattern lines).
 * @param[in] url  the full request URL, NUL-terminated.
 * @param[out] rp  MIN and MAX in seconds, PERCENT, of the first line
 *	that matches, or squid's default.
 * @return the index (from 0) of the line that matched, or -1 when none
 *	did and @p rp holds the default.
 */
int	refresh_for(const struct conf *c, const char *url, struct refresh *rp);

#endif
