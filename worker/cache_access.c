/*
 * cache_access.c -- the `cache` rules (see cache_access.h).
 * Compiled in the master; read in the workers.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "acl.h"
#include "cache_access.h"
#include "conf.h"
#include "conn.h"
#include "log.h"
#include "worker.h"

int
cache_access_compile(struct conf *c)
{
	c->cache_acl = NULL;
	if (c->ncache_lines == 0)
		return 0;
	if (acl_set_compile_rules(c, c->cache_lines, c->ncache_lines,
	    &c->cache_acl) == -1) {
		c->cache_acl = NULL;
		return -1;
	}
	return 0;
}

void
cache_access_free(struct conf *c)
{
	acl_set_free(c->cache_acl);
	c->cache_acl = NULL;
}

int
cache_access_allowed(struct conn *c)
{
	const struct conf *cf = worker_conf;
	struct req *r = &c->r;
	struct acl_req ar;
	size_t rule = 0;
	int allow;

	if (cf->cache_acl == NULL)
		return 1;
	/* ACCESS_POST kept only allowed addresses: the first is the one. */
	req_acl_fill(c, &ar, r->r_naddrs > 0 ?
	    (const struct sockaddr *)&r->r_addrs[0] : NULL);
	switch (acl_check(cf->cache_acl, &ar, &rule)) {
	case ACL_ALLOW:
		allow = 1;
		break;
	case ACL_DENY:
		if (rule != 0) {
			allow = 0;
			break;
		}
		/* squid: no line matched, the opposite of the last one. */
		allow = strcmp(cf->cache_lines[cf->ncache_lines - 1].argv[1],
		    "deny") == 0;
		log_debug("conn %u: %s: no cache rule matched: %s", c->id,
		    r->r_url, allow ? "allowed" : "denied");
		return allow;
	case ACL_NEED_DST:
	case ACL_NEED_AUTH:
	default:
		/* Never wait here: undecided is not cached. */
		log_debug("conn %u: %s: cache rule %s cannot be decided "
		    "without %s: not cached", c->id, r->r_url,
		    acl_rule_where(cf->cache_acl, rule),
		    r->r_naddrs > 0 ? "a user" : "an address");
		return 0;
	}
	log_debug("conn %u: %s: cache %s by %s", c->id, r->r_url,
	    allow ? "allowed" : "denied", acl_rule_where(cf->cache_acl, rule));
	return allow;
}
