/*
 * req_tls.c -- TLS in a request's life: the steps that wait for a
 * handshake, and the ssl-bump decisions around them.
 * Runs in the workers.
 *
 *	TLS_ACCEPT	an https_port connection's handshake (before the first
 *			RECV_HEAD); request_timeout.  A failure closes the
 *			connection with one cache.log line.
 *	BUMP		a CONNECT the ssl_bump rules bump: "200 Connection
 *			established", then the handshake with the client on
 *			a certificate minted for its SNI (else the CONNECT
 *			host) and signed by the port's CA; request_timeout.
 *			The CONNECT is logged (NONE_NONE/200, as Squid logs a
 *			bumped CONNECT), then the requests inside come
 *			through RECV_HEAD like any other, as https:// URLs of
 *			the CONNECT host.
 *	TLS_CONNECT	the handshake with an origin for an https:// request
 *			on a new connection (SNI and verification for the
 *			host, tls.h); connect_timeout.  A failed verification
 *			is 503 ERR_SECURE_CONNECT_FAIL, never relayed, never
 *			stored, never answered from a stale entry.
 *
 * The decision helpers: req_tls_bump_wanted() (CONNECT_UP asks it for a
 * CONNECT on an ssl-bump port) and req_tls_bumped_target() (PARSE asks it
 * for a request inside a bumped connection).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/socket.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "acl.h"
#include "conf.h"
#include "conn.h"
#include "host.h"
#include "http_hdr.h"
#include "io.h"
#include "log.h"
#include "sl.h"
#include "str.h"
#include "tls.h"
#include "worker.h"

static const char req_tls_established[] =
    "HTTP/1.1 200 Connection established\r\n\r\n";

/* At most this much is read and dropped before closing after a failed
   handshake, so that the close is a FIN rather than a reset. */
#define REQ_TLS_DRAIN	(64 * 1024)

/*
 * A handshake failed: what the peer sent and we did not read is dropped
 * first (a close with unread input is a TCP reset, which may destroy the
 * alert OpenSSL sent), then the connection ends.
 */
static int
req_tls_close(struct conn *c)
{
	char tmp[4096];
	size_t total = 0;
	ssize_t n;

	while (total < REQ_TLS_DRAIN && (n = recv(c->c_io.fd, tmp,
	    sizeof(tmp), MSG_DONTWAIT)) > 0)
		total += (size_t)n;
	(void)shutdown(c->c_io.fd, SHUT_WR);
	return conn_close(c);
}

/* ---------------------------------------------------------- https_port */

int
req_step_tls_accept(struct conn *c)
{
	struct req *r = &c->r;
	int rc;

	if (r->r_timed_out) {
		log_info("conn %u client %s: %s: no TLS handshake within "
		    "request_timeout", c->id, c->c_peer_text,
		    c->c_listen != NULL ? c->c_listen->text : "https_port");
		return conn_close(c);
	}
	rc = tls_handshake(c->c_tls);
	if (rc == SL_AGAIN)
		return SL_AGAIN;
	if (rc == SL_ERROR) {
		log_info("conn %u client %s: https_port %s: TLS handshake "
		    "failed: %s", c->id, c->c_peer_text, c->c_listen != NULL ?
		    c->c_listen->text : "?", tls_reason(c->c_tls));
		return req_tls_close(c);
	}
	log_debug("conn %u client %s: https_port %s: %s %s%s", c->id,
	    c->c_peer_text, c->c_listen->text, tls_version(c->c_tls),
	    tls_cipher(c->c_tls), tls_resumed(c->c_tls) ? ", resumed" : "");
	/* The request_timeout of the accept goes on for the first request. */
	return REQ_NEXT(c, RECV_HEAD);
}

/* ------------------------------------------------------------ ssl-bump */

int
req_tls_bump_wanted(struct conn *c)
{
	struct req *r = &c->r;
	struct acl_req ar;
	const struct sockaddr *dst = NULL;
	size_t rule = 0;
	int rc;

	r->r_bump_checked = 1;
	/* ACCESS_DST kept only the allowed addresses: the first is it. */
	if (r->r_naddrs > 0)
		dst = (const struct sockaddr *)&r->r_addrs[0];
	else if (r->r_dst != NULL)
		dst = (const struct sockaddr *)r->r_dst;
	req_acl_fill(c, &ar, dst);
	ar.dst_failed = r->r_dns_failed;
	rc = tls_bump_check(worker_conf, &ar, &rule);
	switch (rc) {
	case TLS_BUMP:
		log_debug("conn %u client %s: CONNECT %s bumped by %s", c->id,
		    c->c_peer_text, r->r_url,
		    acl_rule_where(worker_conf->ssl_bump_acl, rule));
		return 1;
	case TLS_BUMP_NEED_AUTH:
		/*
		 * http_access let the CONNECT through without asking for a
		 * user: nothing to match proxy_auth against.  A tunnel is
		 * what the client asked for; bumping is the operator's
		 * choice, made here only when it can be made.
		 */
		log_info("conn %u client %s: CONNECT %s: ssl_bump rule %s "
		    "needs a proxy user and none was asked for: spliced",
		    c->id, c->c_peer_text, r->r_url,
		    acl_rule_where(worker_conf->ssl_bump_acl, rule));
		return 0;
	default:
		log_debug("conn %u client %s: CONNECT %s spliced (%s)", c->id,
		    c->c_peer_text, r->r_url, rule ? acl_rule_where(
		    worker_conf->ssl_bump_acl, rule) : "no ssl_bump rule "
		    "matched");
		return 0;
	}
}

/* The bump worked: remember its origin and user for the requests inside. */
static int
req_tls_bumped(struct conn *c)
{
	struct req *r = &c->r;
	struct conn_bump *b;

	if ((b = calloc(1, sizeof(*b))) == NULL)
		return -1;
	snprintf(b->host, sizeof(b->host), "%s", r->r_host);
	b->port = r->r_port;
	if (r->r_user != NULL && (b->user = strdup(r->r_user)) == NULL) {
		free(b);
		return -1;
	}
	c->c_bump = b;
	return 0;
}

int
req_step_bump(struct conn *c)
{
	struct req *r = &c->r;
	int rc;

	if (r->r_timed_out) {
		r->r_timed_out = 0;
		log_info("conn %u client %s: bumped CONNECT %s: no TLS "
		    "handshake within request_timeout", c->id, c->c_peer_text,
		    r->r_url);
		r->r_code_sfx = "_TIMEDOUT";
		r->r_keepalive = 0;
		return REQ_NEXT(c, LOG);
	}
	if (c->c_tls == NULL && c->obuf == NULL) {
		/*
		 * The client's TLS comes after our 200 (RFC 9110 §9.3.6);
		 * bytes it sent before would be lost to the handshake.
		 */
		req_consume_head(c);
		if (c->cbuf != NULL && buf_len(c->cbuf) > 0) {
			log_info("conn %u client %s: bumped CONNECT %s: %zu "
			    "bytes sent before the 200", c->id,
			    c->c_peer_text, r->r_url, buf_len(c->cbuf));
			r->r_keepalive = 0;
			return REQ_FAIL(c, ERR_INVALID_REQ);
		}
		if ((c->obuf = buf_get(BUF_SMALL)) == NULL)
			return REQ_FAIL(c, ERR_NO_RESOURCES);
		buf_append(c->obuf, req_tls_established,
		    STR_LIT_LEN(req_tls_established));
		r->r_status = 200;
		r->r_code = "NONE_NONE";	/* Squid's, for a bump */
		req_timer(c, worker_conf->request_timeout);
	}
	if (c->c_tls == NULL) {
		rc = req_flush_obuf(c);
		if (rc == SL_AGAIN)
			return SL_AGAIN;
		if (rc == SL_ERROR) {
			r->r_code_sfx = "_ABORTED";
			r->r_keepalive = 0;
			return REQ_NEXT(c, LOG);
		}
		if (tls_bump_accept(c->c_listen->tls_mint, c->c_io.fd,
		    r->r_host, &c->c_tls) != SL_OK) {
			log_warnx("conn %u client %s: bumped CONNECT %s: "
			    "out of memory", c->id, c->c_peer_text, r->r_url);
			r->r_code_sfx = "_ABORTED";
			r->r_keepalive = 0;
			return REQ_NEXT(c, LOG);
		}
	}
	rc = tls_handshake(c->c_tls);
	if (rc == SL_AGAIN)
		return SL_AGAIN;
	if (rc == SL_ERROR) {
		/* An SNI for another name is refused with an alert (tls.h). */
		log_info("conn %u client %s: bumped CONNECT %s: TLS handshake "
		    "failed: %s", c->id, c->c_peer_text, r->r_url,
		    tls_reason(c->c_tls));
		r->r_code_sfx = "_ABORTED";
		r->r_keepalive = 0;
		return REQ_NEXT(c, LOG);
	}
	if (req_tls_bumped(c) == -1) {
		log_warnx("conn %u client %s: bumped CONNECT %s: out of memory",
		    c->id, c->c_peer_text, r->r_url);
		r->r_keepalive = 0;
		return REQ_NEXT(c, LOG);
	}
	log_debug("conn %u client %s: bumped CONNECT %s: %s %s, SNI %s",
	    c->id, c->c_peer_text, r->r_url, tls_version(c->c_tls),
	    tls_cipher(c->c_tls), tls_sni(c->c_tls) != NULL ?
	    tls_sni(c->c_tls) : "(none)");
	/* FINISH keeps the connection: its requests come next. */
	r->r_keepalive = 1;
	return REQ_NEXT(c, LOG);
}

/*
 * @p a[0..n) (a host and an optional port, as in a URI's authority or
 * Host) names the bumped origin?  The default port of https is 443.
 */
static int
req_tls_same_origin(const struct conn_bump *b, const char *a, size_t n)
{
	const char *h = a, *colon = NULL, *e = a + n, *d;
	char host[256];
	unsigned long port = 443;
	size_t hl;

	if (n > 0 && a[0] == '[') {
		const char *close = memchr(a, ']', n);

		if (close == NULL)
			return 0;
		h = a + 1;
		hl = (size_t)(close - h);
		if (close + 1 < e) {
			if (close[1] != ':')
				return 0;
			colon = close + 1;
		}
	} else {
		colon = memchr(a, ':', n);
		hl = (size_t)((colon != NULL ? colon : e) - a);
	}
	if (colon != NULL && colon + 1 < e) {
		port = 0;
		for (d = colon + 1; d < e; d++) {
			if (*d < '0' || *d > '9' || port > 65535)
				return 0;
			port = port * 10 + (unsigned long)(*d - '0');
		}
	}
	if (hl == 0 || memchr(h, '@', hl) != NULL ||
	    acl_host_normalise(h, hl, host, sizeof(host), NULL, NULL) < 0)
		return 0;
	return port == b->port && strcmp(host, b->host) == 0;
}

enum errpage_id
req_tls_bumped_target(struct conn *c)
{
	struct req *r = &c->r;
	const struct conn_bump *b = c->c_bump;
	const struct http_head *h = r->r_head;
	const char *t = h->target, *a, *e;
	size_t n = h->target_len, i, nhost = 0;
	struct sockaddr_storage ss;
	const char *why = NULL;
	char norm[256];

	if (r->r_connect) {
		log_info("conn %u client %s: CONNECT inside the bumped "
		    "connection to %s:%u refused", c->id, c->c_peer_text,
		    b->host, b->port);
		return ERR_INVALID_REQ;
	}
	/* RFC 9112 §3.2.1, §3.2.2: origin-form, or the absolute URI. */
	if (n > 0 && t[0] == '/')
		a = e = t;
	else if (str_iprefix(t, n, "https://")) {
		a = t + STR_LIT_LEN("https://");
		for (e = a; e < t + n && *e != '/' && *e != '?'; e++)
			;
		if (!req_tls_same_origin(b, a, (size_t)(e - a))) {
			log_info("conn %u client %s: request for '%.*s' inside "
			    "the bumped connection to %s:%u refused", c->id,
			    c->c_peer_text, (int)(n > 200 ? 200 : n), t,
			    b->host, b->port);
			return ERR_INVALID_URL;
		}
	} else
		return ERR_INVALID_URL;
	if (memchr(t, '#', n) != NULL)
		return ERR_INVALID_URL;	/* no fragment on the wire */
	/*
	 * RFC 9112 §3.2: one Host, and here it must name the CONNECT's
	 * origin: the name that was checked, bumped and verified is the only
	 * one these requests may reach (no domain fronting).
	 */
	for (i = 0; i < h->nfields; i++) {
		if (!http_field_is(&h->fields[i], "Host"))
			continue;
		if (nhost++ > 0 || (a == t && !req_tls_same_origin(b,
		    h->fields[i].value, h->fields[i].value_len))) {
			log_info("conn %u client %s: Host '%.*s' inside the "
			    "bumped connection to %s:%u refused", c->id,
			    c->c_peer_text, (int)(h->fields[i].value_len > 200 ?
			    200 : h->fields[i].value_len), h->fields[i].value,
			    b->host, b->port);
			return ERR_INVALID_REQ;
		}
	}
	if (nhost == 0 && r->r_version == 11) {
		log_info("conn %u client %s: HTTP/1.1 request without Host "
		    "inside the bumped connection to %s:%u", c->id,
		    c->c_peer_text, b->host, b->port);
		return ERR_INVALID_REQ;
	}
	r->r_path = req_path_dup(c, e, (size_t)(t + n - e));
	r->r_host = req_strdup(c, b->host, strlen(b->host));
	if (r->r_path == NULL || r->r_host == NULL)
		return ERR_TOO_BIG;
	r->r_port = b->port;
	r->r_https = 1;
	/* The CONNECT's user (its Proxy-Authorization went before). */
	if (b->user != NULL &&
	    (r->r_user = req_strdup(c, b->user, strlen(b->user))) == NULL)
		return ERR_TOO_BIG;
	memset(&ss, 0, sizeof(ss));
	if (acl_host_normalise(b->host, strlen(b->host), norm, sizeof(norm),
	    &ss, &why) > HOST_NAME) {
		/* An address: ACCESS_PRE checks it at once, as for CONNECT. */
		sockaddr_set_port((struct sockaddr *)&ss, r->r_port);
		if (req_set_dst(c, &ss) == -1)
			return ERR_TOO_BIG;
	}
	return ERRPAGE_COUNT;
}

/* ------------------------------------------------------------- origins */

int
req_step_tls_connect(struct conn *c)
{
	struct req *r = &c->r;
	int rc;

	if (r->r_timed_out) {
		r->r_timed_out = 0;
		log_info("conn %u client %s: TLS handshake with %s for %s not "
		    "done within connect_timeout", c->id, c->c_peer_text,
		    r->r_peer, r->r_url);
		io_tls_drop(c, c->u_io.fd);
		upstream_release(c);
		return REQ_FAIL(c, ERR_CONNECT_TIMEOUT);
	}
	if (c->u_tls == NULL && tls_connect(worker_conf->tls_client,
	    c->u_io.fd, r->r_host, r->r_port, &c->u_tls) != SL_OK) {
		log_warnx("conn %u client %s: TLS to %s for %s: cannot start "
		    "(out of memory, or a host OpenSSL refuses)", c->id,
		    c->c_peer_text, r->r_peer, r->r_url);
		upstream_release(c);
		return REQ_FAIL(c, ERR_SECURE_CONNECT_FAIL);
	}
	rc = tls_handshake(c->u_tls);
	if (rc == SL_AGAIN)
		return SL_AGAIN;
	if (rc == SL_ERROR) {
		/* Never relayed, never stored: an error page says it. */
		log_warnx("conn %u client %s: TLS to %s (%s:%u) for %s "
		    "failed: %s", c->id, c->c_peer_text, r->r_peer, r->r_host,
		    r->r_port, r->r_url, tls_reason(c->u_tls));
		io_tls_drop(c, c->u_io.fd);
		upstream_release(c);
		return REQ_FAIL(c, ERR_SECURE_CONNECT_FAIL);
	}
	log_debug("conn %u: TLS to %s for %s: %s %s%s", c->id, r->r_peer,
	    r->r_url, tls_version(c->u_tls), tls_cipher(c->u_tls),
	    tls_resumed(c->u_tls) ? ", resumed" : "");
	return REQ_MOVE(c, upstream_ready(c));
}
