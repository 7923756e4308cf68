/*
 * refresh.c -- refresh_pattern lookup and its request-side options (see
 * refresh.h).  Runs in the workers; reads the compiled lines of struct
 * conf.  Pure but for regexec(3).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <regex.h>
#include <stddef.h>
#include <string.h>

#include "conf.h"
#include "policy.h"
#include "refresh.h"

int
refresh_for(const struct conf *c, const char *url, struct refresh *rp)
{
	const struct conf_refresh *e;
	size_t i;

	/* squid's refreshLimits(): file order, the first match wins. */
	for (i = 0; c != NULL && i < c->nrefresh; i++) {
		e = c->refresh[i];
		/* A literal the regex needs, first: most lines end here. */
		if (e->hint[0] != '\0' && (e->icase ? strcasestr(url,
		    e->hint) : strstr(url, e->hint)) == NULL)
			continue;
		if (regexec(&e->re, url, 0, NULL, 0) != 0)
			continue;
		rp->min = e->min;
		rp->percent = e->percent;
		rp->max = e->max;
		rp->flags = e->flags;
		rp->max_stale = e->max_stale;
		return (int)i;
	}
	rp->min = REFRESH_DEFAULT_MIN;
	rp->percent = REFRESH_DEFAULT_PERCENT;
	rp->max = REFRESH_DEFAULT_MAX;
	rp->flags = 0;
	rp->max_stale = -1;
	return -1;
}

enum policy_use
refresh_use(const struct cc *rq, const struct cc *rs,
    const struct refresh *rp, int status, int ims, int64_t life,
    int64_t age, struct cc *eff)
{
	enum policy_use use;
	unsigned fl = rp != NULL ? rp->flags : 0;

	*eff = *rq;
	if ((fl & REFRESH_IMMUTABLE) && status == 200) {
		/*
		 * A reload (no-cache, Pragma: §5.2.1.4, §5.4), an age limit
		 * (max-age, §5.2.1.1) or min-fresh (§5.2.1.3) all ask whether
		 * the content changed since; content named by its version or
		 * hash cannot have.  The origin's own demands still hold:
		 * policy_use() reads them from @p rs.
		 */
		eff->flags &= ~(unsigned)CC_NO_CACHE;
		eff->max_age = eff->min_fresh = -1;
	} else if (fl & REFRESH_IGNORE_RELOAD) {
		/* squid's ignore-reload: the reload, and max-age=0 only. */
		eff->flags &= ~(unsigned)CC_NO_CACHE;
		if (eff->max_age == 0)
			eff->max_age = -1;
	}
	/*
	 * RFC 8246 §2: an immutable response does not change while fresh;
	 * a client's max-age (a browser's reload) is not a reason to ask
	 * again.  A no-cache (a forced reload) still is.
	 */
	if ((rs->flags & CC_IMMUTABLE) && life > age)
		eff->max_age = -1;
	use = policy_use(eff, rs, life, age);
	/* squid's refresh-ims: the origin answers the client's IMS. */
	if ((fl & REFRESH_IMS) && ims && use != USE_REVALIDATE)
		use = USE_REVALIDATE;
	return use;
}
