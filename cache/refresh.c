/*
 * refresh.c -- refresh_pattern lookup (see refresh.h).
 * Runs in the workers; reads the compiled lines of struct conf.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <regex.h>
#include <stddef.h>

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
		if (regexec(&e->re, url, 0, NULL, 0) != 0)
			continue;
		rp->min = e->min;
		rp->percent = e->percent;
		rp->max = e->max;
		return (int)i;
	}
	rp->min = REFRESH_DEFAULT_MIN;
	rp->percent = REFRESH_DEFAULT_PERCENT;
	rp->max = REFRESH_DEFAULT_MAX;
	return -1;
}
