/*
 * upgrade.c -- http_upgrade_request_protocols (see upgrade.h).
 * Compiled in the master; read in the workers.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "acl.h"
#include "conf.h"
#include "log.h"
#include "str.h"
#include "upgrade.h"

struct upgrade_proto {
	char		*name;		/* as written; "OTHER" for the rest */
	struct acl_set	*set;
};

struct upgrade_rules {
	struct upgrade_proto	*v;
	size_t			 n;
};

static int
upgrade_token(const char *s)
{
	const char *p;

	if (*s == '\0')
		return 0;
	for (p = s; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("!#$%&'*+-.^_`|~", *p)))
			return 0;
	return 1;
}

int
upgrade_compile(struct conf *c)
{
	struct upgrade_rules *u;
	struct conf_line *lines;
	size_t i, j, k;
	int bad = 0;

	c->upgrade = NULL;
	if (c->nupgrade_lines == 0)
		return 0;
	if ((u = calloc(1, sizeof(*u))) == NULL ||
	    (u->v = calloc(c->nupgrade_lines, sizeof(*u->v))) == NULL ||
	    (lines = calloc(c->nupgrade_lines, sizeof(*lines))) == NULL) {
		log_warnx("%s: out of memory", c->path);
		if (u != NULL)
			free(u->v);
		free(u);
		return -1;
	}
	c->upgrade = u;
	for (i = 0; i < c->nupgrade_lines; i++) {
		const struct conf_line *l = &c->upgrade_lines[i];

		if (!upgrade_token(l->argv[1])) {
			log_warnx("%s:%d: http_upgrade_request_protocols: '%s' "
			    "is not a protocol name", l->file, l->line,
			    l->argv[1]);
			bad = 1;
			continue;
		}
		for (j = 0; j < u->n; j++)
			if (strcasecmp(u->v[j].name, l->argv[1]) == 0)
				break;
		if (j < u->n)
			continue;	/* compiled with its first line */
		if ((u->v[u->n].name = strdup(l->argv[1])) == NULL) {
			bad = 1;
			break;
		}
		/* This protocol's lines, as http_access lines of their own. */
		for (j = i, k = 0; j < c->nupgrade_lines; j++) {
			const struct conf_line *m = &c->upgrade_lines[j];

			if (strcasecmp(m->argv[1], l->argv[1]) != 0)
				continue;
			lines[k] = *m;
			lines[k].argc = m->argc - 1;
			lines[k].argv = m->argv + 1;
			lines[k].quoted = m->quoted + 1;
			k++;
		}
		if (acl_set_compile_rules(c, lines, k, &u->v[u->n].set) == -1) {
			free(u->v[u->n].name);
			bad = 1;
			continue;
		}
		u->n++;
	}
	free(lines);
	if (bad) {
		upgrade_free(c);
		return -1;
	}
	return 0;
}

void
upgrade_free(struct conf *c)
{
	struct upgrade_rules *u = c->upgrade;
	size_t i;

	if (u == NULL)
		return;
	for (i = 0; i < u->n; i++) {
		free(u->v[i].name);
		acl_set_free(u->v[i].set);
	}
	free(u->v);
	free(u);
	c->upgrade = NULL;
}

static const struct upgrade_proto *
upgrade_find(const struct upgrade_rules *u, const char *name, size_t len)
{
	const struct upgrade_proto *other = NULL;
	size_t i;

	for (i = 0; i < u->n; i++) {
		if (strlen(u->v[i].name) == len &&
		    strncasecmp(u->v[i].name, name, len) == 0)
			return &u->v[i];
		if (strcmp(u->v[i].name, "OTHER") == 0)
			other = &u->v[i];
	}
	return other;
}

/* Walk "a, b/2 ,c": the next element, its name length (before '/'). */
static const char *
upgrade_next(const char *p, const char *e, const char **el, size_t *elen,
    size_t *nlen)
{
	const char *s, *t;

	while (p < e && (*p == ' ' || *p == '\t' || *p == ','))
		p++;
	if (p == e)
		return NULL;
	for (s = p; p < e && *p != ','; p++)
		;
	for (t = p; t > s && (t[-1] == ' ' || t[-1] == '\t'); t--)
		;
	*el = s;
	*elen = (size_t)(t - s);
	for (*nlen = 0; *nlen < *elen && s[*nlen] != '/'; (*nlen)++)
		;
	return p;
}

int
upgrade_filter(const struct conf *c, const struct acl_req *r,
    const char *value, size_t len, char *out, size_t outsz)
{
	const struct upgrade_proto *up;
	const char *p = value, *e = value + len, *el;
	size_t elen, nlen, used = 0;
	int n = 0;

	if (outsz == 0)
		return 0;
	out[0] = '\0';
	if (c->upgrade == NULL)
		return 0;
	while ((p = upgrade_next(p, e, &el, &elen, &nlen)) != NULL) {
		if (nlen == 0 || (up = upgrade_find(c->upgrade, el, nlen)) ==
		    NULL || acl_check(up->set, r, NULL) != ACL_ALLOW)
			continue;
		if (used + elen + 3 > outsz)
			break;
		if (n > 0) {
			memcpy(out + used, ", ", 2);
			used += 2;
		}
		memcpy(out + used, el, elen);
		used += elen;
		out[used] = '\0';
		n++;
	}
	return n;
}

int
upgrade_offered(const char *offered, const char *proto, size_t len)
{
	const char *p = offered, *e = offered + strlen(offered), *el, *pe;
	size_t elen, nlen, plen;

	/* The 101's first protocol is the one switched to (RFC 9110 §7.8). */
	for (pe = proto; pe < proto + len && *pe != ','; pe++)
		;
	while (pe > proto && (pe[-1] == ' ' || pe[-1] == '\t'))
		pe--;
	for (plen = 0; proto + plen < pe && proto[plen] != '/'; plen++)
		;
	if (plen == 0)
		return 0;
	while ((p = upgrade_next(p, e, &el, &elen, &nlen)) != NULL)
		if (nlen == plen && strncasecmp(el, proto, plen) == 0)
			return 1;
	return 0;
}
