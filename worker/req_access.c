/*
 * req_access.c -- who may do what: http_access before DNS (ACCESS_PRE),
 * proxy authentication (AUTH), the destination's addresses (RESOLVE) and
 * http_access for each of them (ACCESS_DST).
 * Runs in the workers.
 *
 * The order that lets the cache answer without DNS: when the rules are
 * decided without a destination address (ACCESS_PRE allows), the request
 * goes to the cache first and resolves only on a miss; when a dst acl is
 * reached first, the name is resolved, and a lookup that fails leaves the
 * dst acls unmatched (squid's semantics) so that the other rules decide:
 * a blocklist still answers 403, and an allowed request may still be a
 * cache hit, or a stale answer (RFC 9111 §4.2.4), with the DNS down.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/socket.h>

#include <string.h>
#include <time.h>

#include "acl.h"
#include "auth.h"
#include "clientdb.h"
#include "conf.h"
#include "conn.h"
#include "dns.h"
#include "log.h"
#include "sl.h"
#include "worker.h"

/* What the ACLs see of the request; @p dst is NULL before DNS. */
void
req_acl_fill(struct conn *c, struct acl_req *ar, const struct sockaddr *dst)
{
	struct req *r = &c->r;

	memset(ar, 0, sizeof(*ar));
	ar->src = (const struct sockaddr *)&c->c_peer;
	ar->dst = dst;
	ar->method = r->r_method;
	/* squid's names; HTTPS for https:// (absolute, or bumped). */
	ar->proto = r->r_connect ? "NONE" : r->r_https ? "HTTPS" : "HTTP";
	ar->port = r->r_port;
	ar->host = r->r_host;
	ar->url = r->r_url;
	ar->path = r->r_connect || r->r_path == NULL ? "" : r->r_path;
	ar->user = r->r_user;
	ar->endpoint = r->r_endpoint;	/* proxy_endpoint acls */
	ar->now = (time_t)r->r_start_sec;
	/*
	 * Now, not at accept: others may have come or gone since.  Only when
	 * a maxconn acl exists (every set holds every acl line): the count
	 * reads shared counters of every worker.
	 */
	if (acl_set_has_maxconn(worker_conf->acl))
		ar->nconn = clientdb_count((const struct sockaddr *)&c->c_peer);
}

/*
 * Deny: 403 naming only the reason class; the rule that decided goes to
 * cache_log and to the access log (%sluice::rule), never to the client.
 * @return the error page for REQ_FAIL().
 */
static enum errpage_id
req_deny(struct conn *c, size_t rule, const char *what)
{
	struct req *r = &c->r;

	r->r_rule = rule ? acl_rule_where(worker_conf->acl, rule) :
	    "default-deny";
	log_info("conn %u client %s%s%s: %s %s%s denied by %s", c->id,
	    c->c_peer_text, r->r_user ? " user " : "", r->r_user ? r->r_user :
	    "", r->r_method, r->r_url, what, r->r_rule);
	r->r_code = "TCP_DENIED";
	return ERR_ACCESS_DENIED;
}

static void
req_auth_done(void *arg, enum auth_result res)
{
	struct conn *c = arg;

	CHECK_MAGIC(c, CONN_MAGIC);
	c->r.r_authq = NULL;
	c->r.r_auth_done = 1;
	c->r.r_auth_rc = (int)res;
	req_run(c);
}

/*
 * Proxy authentication (RFC 9110 §11.7.1, RFC 7617): Basic credentials
 * from Proxy-Authorization, checked by the cache or a helper; none or
 * wrong ones get 407 with the challenge, no answer gets 503.
 */
int
req_step_auth(struct conn *c)
{
	struct req *r = &c->r;
	struct http_field *f;
	char user[256], pass[256];
	enum auth_result rc;
	size_t i;

	if (r->r_timed_out) {
		r->r_timed_out = 0;
		auth_cancel(r->r_authq);
		r->r_authq = NULL;
		log_info("conn %u client %s: no answer from the auth helpers "
		    "in time for %s", c->id, c->c_peer_text, r->r_url);
		return REQ_FAIL(c, ERR_AUTH_UNAVAILABLE);
	}
	if (r->r_authq != NULL)
		return SL_AGAIN;	/* woken by other I/O */
	if (r->r_auth_done) {
		r->r_auth_done = 0;
		switch (r->r_auth_rc) {
		case AUTH_OK:
			r->r_user = r->r_auth_user;
			if (r->r_auth_ret == REQ_ACCESS_DST)
				return REQ_NEXT(c, ACCESS_DST);
			return REQ_NEXT(c, ACCESS_PRE);
		case AUTH_FAIL:
			log_info("conn %u client %s: wrong credentials for "
			    "user %s", c->id, c->c_peer_text, r->r_auth_user);
			r->r_code = "TCP_DENIED";
			return REQ_FAIL(c, ERR_CACHE_ACCESS_DENIED);
		default:
			log_info("conn %u client %s: credentials of user %s "
			    "could not be checked", c->id, c->c_peer_text,
			    r->r_auth_user);
			return REQ_FAIL(c, ERR_AUTH_UNAVAILABLE);
		}
	}
	if (r->r_user != NULL) {
		/* The acl module asked again with a user: a bug there. */
		log_warnx("conn %u: proxy_auth asked twice", c->id);
		return REQ_FAIL(c, req_deny(c, 0, ""));
	}
	if (!auth_enabled()) {
		log_warnx("conn %u client %s: a proxy_auth acl needs "
		    "auth_param basic program; denying %s", c->id,
		    c->c_peer_text, r->r_url);
		r->r_rule = "no-auth_param";
		r->r_code = "TCP_DENIED";
		return REQ_FAIL(c, ERR_ACCESS_DENIED);
	}
	f = NULL;
	for (i = 0; r->r_head != NULL && i < r->r_head->nfields; i++) {
		if (http_field_is(&r->r_head->fields[i], "Proxy-Authorization")) {
			f = &r->r_head->fields[i];
			break;
		}
	}
	if (f == NULL || auth_basic_decode(f->value, f->value_len, user,
	    sizeof(user), pass, sizeof(pass)) == -1) {
		if (f != NULL)
			log_info("conn %u client %s: unusable "
			    "Proxy-Authorization", c->id, c->c_peer_text);
		r->r_code = "TCP_DENIED";
		return REQ_FAIL(c, ERR_CACHE_ACCESS_DENIED);
	}
	rc = auth_check(user, pass, req_auth_done, c, &r->r_authq);
	explicit_bzero(pass, sizeof(pass));
	if ((r->r_auth_user = req_strdup(c, user, strlen(user))) == NULL) {
		auth_cancel(r->r_authq);
		r->r_authq = NULL;
		return REQ_FAIL(c, ERR_TOO_BIG);
	}
	if (rc == AUTH_PENDING) {
		/* auth.c bounds each wait; this is the outer bound. */
		req_timer(c, 3 * worker_conf->auth_timeout + 2000);
		return SL_AGAIN;
	}
	r->r_auth_done = 1;
	r->r_auth_rc = (int)rc;
	return SL_OK;
}


static void
req_dns_done(void *arg, int rc, const struct sockaddr_storage *addrs,
    size_t naddrs)
{
	struct conn *c = arg;
	struct req *r = &c->r;
	size_t i;

	CHECK_MAGIC(c, CONN_MAGIC);
	r->r_dnsq = NULL;
	r->r_dns_done = 1;
	r->r_dns_rc = rc;
	if (rc == 0) {
		r->r_addrs = req_alloc(c, naddrs * sizeof(*addrs));
		if (r->r_addrs == NULL)
			r->r_dns_rc = -1;
		else {
			for (i = 0; i < naddrs; i++) {
				r->r_addrs[i] = addrs[i];
				sockaddr_set_port((struct sockaddr *)&r->r_addrs[i],
				    r->r_port);
			}
			r->r_naddrs = naddrs;
		}
	}
	if (!r->r_dns_sync)
		req_run(c);
}

int
req_step_access_pre(struct conn *c)
{
	struct req *r = &c->r;
	struct acl_req ar;
	size_t rule = 0;

	/*
	 * PURGE empties the cache for everyone: as in squid it is refused
	 * unless the config names it in an acl of type method, so that only
	 * the rules written for it can let it through.
	 */
	if (strcmp(r->r_method, "PURGE") == 0 &&
	    !acl_set_has_method(worker_conf->acl, "PURGE")) {
		r->r_rule = "no-purge-acl";
		log_info("conn %u client %s: PURGE %s refused: no 'acl NAME "
		    "method PURGE' in the config", c->id, c->c_peer_text,
		    r->r_url);
		r->r_code = "TCP_DENIED";
		return REQ_FAIL(c, ERR_ACCESS_DENIED);
	}
	/* An IP-literal host is its own destination: checked at once. */
	req_acl_fill(c, &ar, (const struct sockaddr *)r->r_dst);
	switch (acl_check(worker_conf->acl, &ar, &rule)) {
	case ACL_ALLOW:
		/* Decided for any address: the cache may answer before DNS. */
		r->r_acl_final = 1;
		return REQ_NEXT(c, LOCAL);
	case ACL_NEED_DST:
		/* ACCESS_DST checks every resolved address. */
		return REQ_NEXT(c, RESOLVE);
	case ACL_NEED_AUTH:
		r->r_auth_ret = REQ_ACCESS_PRE;
		return REQ_NEXT(c, AUTH);
	case ACL_DENY:
	default:
		return REQ_FAIL(c, req_deny(c, rule, ""));
	}
}

int
req_step_resolve(struct conn *c)
{
	struct req *r = &c->r;
	struct sockaddr_storage ss;

	if (r->r_timed_out) {
		r->r_timed_out = 0;
		dns_cancel(r->r_dnsq);
		r->r_dnsq = NULL;
		log_info("conn %u client %s: DNS lookup of %s timed out", c->id,
		    c->c_peer_text, r->r_host);
		r->r_dns_done = 1;
		r->r_dns_rc = -2;
		goto failed;
	}
	if (r->r_dnsq != NULL)
		return SL_AGAIN;	/* woken by other I/O */
	if (!r->r_dns_done) {
		if (sockaddr_from_literal(r->r_host, r->r_port, &ss) == 0) {
			r->r_addrs = req_alloc(c, sizeof(ss));
			if (r->r_addrs == NULL)
				return REQ_FAIL(c, ERR_NO_RESOURCES);
			r->r_addrs[0] = ss;
			r->r_naddrs = 1;
			return REQ_NEXT(c, ACCESS_DST);
		}
		req_timer(c, worker_conf->dns_timeout);
		r->r_dns_sync = 1;
		if (dns_resolve(r->r_host, req_dns_done, c, &r->r_dnsq) == -1) {
			r->r_dns_sync = 0;
			return REQ_FAIL(c, ERR_NO_RESOURCES);
		}
		r->r_dns_sync = 0;
		if (!r->r_dns_done)
			return SL_AGAIN;
	}
	if (r->r_dns_rc == 0)
		return REQ_NEXT(c, ACCESS_DST);
	log_info("conn %u client %s: DNS lookup of %s failed: %s", c->id,
	    c->c_peer_text, r->r_host, r->r_dns_rc > 0 ?
	    dns_strerror(r->r_dns_rc) : "out of memory");
failed:
	r->r_dns_failed = 1;
	r->r_naddrs = 0;
	/* Undecided rules are decided without the address (ACCESS_DST). */
	if (!r->r_acl_final)
		return REQ_NEXT(c, ACCESS_DST);
	return REQ_FAIL(c, ERR_DNS_FAIL);
}

/* Where a request goes once http_access is decided for it. */
static enum req_step
req_access_next(struct conn *c)
{
	struct req *r = &c->r;

	r->r_acl_final = 1;
	/* The cache first (it may answer without the origin). */
	if (!r->r_connect && !r->r_cache.looked_up)
		return REQ_LOCAL;
	if (r->r_naddrs == 0) {
		r->r_err = ERR_DNS_FAIL;
		return REQ_SYNTH;
	}
	return REQ_CONNECT_UP;
}

/*
 * http_access once per resolved address: only the allowed ones are kept
 * (in place, in order) for CONNECT_UP, so a name that resolves to a
 * forbidden address never reaches it; none allowed is a 403.  Without an
 * address (the lookup failed), the rules are decided with dst acls not
 * matching, as in squid.
 */
int
req_step_access_dst(struct conn *c)
{
	struct req *r = &c->r;
	struct acl_req ar;
	enum acl_verdict v;
	size_t i, kept = 0, rule = 0, deny_rule = 0;
	int ndenied = 0;

	if (r->r_acl_final)
		return REQ_MOVE(c, req_access_next(c));
	if (r->r_dns_failed) {
		req_acl_fill(c, &ar, NULL);
		ar.dst_failed = 1;
		switch (acl_check(worker_conf->acl, &ar, &rule)) {
		case ACL_ALLOW:
			log_info("conn %u client %s: %s did not resolve; "
			    "allowed by %s without its address", c->id,
			    c->c_peer_text, r->r_host,
			    acl_rule_where(worker_conf->acl, rule));
			return REQ_MOVE(c, req_access_next(c));
		case ACL_NEED_AUTH:
			r->r_auth_ret = REQ_ACCESS_DST;
			return REQ_NEXT(c, AUTH);
		default:
			return REQ_FAIL(c, req_deny(c, rule,
			    " (its name did not resolve)"));
		}
	}
	/* A first pass without changes: NEED_AUTH sends us to AUTH and back. */
	for (i = 0; i < r->r_naddrs; i++) {
		req_acl_fill(c, &ar, (const struct sockaddr *)&r->r_addrs[i]);
		if (acl_check(worker_conf->acl, &ar, &rule) == ACL_NEED_AUTH) {
			r->r_auth_ret = REQ_ACCESS_DST;
			return REQ_NEXT(c, AUTH);
		}
	}
	for (i = 0; i < r->r_naddrs; i++) {
		req_acl_fill(c, &ar, (const struct sockaddr *)&r->r_addrs[i]);
		v = acl_check(worker_conf->acl, &ar, &rule);
		if (v == ACL_ALLOW) {
			r->r_addrs[kept++] = r->r_addrs[i];
			continue;
		}
		/* DENY (NEED_DST cannot happen with dst set: deny it too). */
		if (ndenied++ == 0)
			deny_rule = v == ACL_DENY ? rule : 0;
		if (kept > 0 || i + 1 < r->r_naddrs) {
			char a[SOCKADDR_STRLEN];

			sockaddr_ntop((const struct sockaddr *)&r->r_addrs[i],
			    a, sizeof(a));
			log_info("conn %u client %s: address %s of %s denied "
			    "by %s", c->id, c->c_peer_text, a, r->r_host,
			    rule && v == ACL_DENY ?
			    acl_rule_where(worker_conf->acl, rule) :
			    "default-deny");
		}
	}
	if (kept == 0)
		return REQ_FAIL(c, req_deny(c, deny_rule, r->r_naddrs > 1 ?
		    " (every address)" : ""));
	r->r_naddrs = kept;
	r->r_addr_i = 0;
	return REQ_MOVE(c, req_access_next(c));
}
