/*
 * storeid.c -- store_id_rewrite: a URL's store ID (see storeid.h).
 * Runs in the workers.  Pure but for regexec(3): no I/O, no allocation
 * of its own.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <regex.h>
#include <string.h>

#include "conf.h"
#include "storeid.h"

/* REPLACEMENT with the groups of @p m (of @p url) expanded into @p out. */
static int
storeid_expand(const char *repl, const char *url, const regmatch_t *m,
    char *out, size_t outsz)
{
	size_t n = 0, k;
	const char *s;
	int g;

	for (s = repl; *s != '\0'; s++) {
		if (*s == '\\' && s[1] >= '0' && s[1] <= '9') {
			g = *++s - '0';
			/* Unmatched (or absent) groups are empty. */
			if (m[g].rm_so < 0 || m[g].rm_eo < m[g].rm_so)
				continue;
			k = (size_t)(m[g].rm_eo - m[g].rm_so);
			if (n + k >= outsz)
				return -1;
			memcpy(out + n, url + m[g].rm_so, k);
			n += k;
			continue;
		}
		if (*s == '\\' && s[1] == '\\')
			s++;
		if (n + 1 >= outsz)
			return -1;
		out[n++] = *s;
	}
	out[n] = '\0';
	return 0;
}

int
storeid_rewrite(const struct conf *c, const char *url, char *out,
    size_t outsz, int *line)
{
	const struct conf_storeid *e;
	regmatch_t m[10];
	size_t i;

	if (line != NULL)
		*line = -1;
	for (i = 0; c != NULL && i < c->nstore_id; i++) {
		e = c->store_id[i];
		/* A literal the regex needs, first (conf_regex_hint()). */
		if (e->hint[0] != '\0' && (e->icase ? strcasestr(url,
		    e->hint) : strstr(url, e->hint)) == NULL)
			continue;
		memset(m, 0xff, sizeof(m));	/* rm_so = -1: no such group */
		if (regexec(&e->re, url, 10, m, 0) != 0)
			continue;
		if (line != NULL)
			*line = (int)i;
		/* The first match decides, even when it does not fit. */
		return storeid_expand(e->repl, url, m, out, outsz) == 0 ? 1 :
		    -1;
	}
	return 0;
}
