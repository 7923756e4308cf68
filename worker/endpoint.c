/*
 * endpoint.c -- the proxy's own pages: PAC and WPAD, no_proxy, metrics
 * and status (see endpoint.h).
 * Runs in the workers.
 *
 * Conditional requests (RFC 9110 §13) for the PAC file and no_proxy:
 * If-None-Match first (§13.2.2: when present, If-Modified-Since is not
 * evaluated), weak comparison (§13.1.2, §8.8.3.2), "*" matches; else
 * If-Modified-Since (§13.1.3) against Last-Modified, the load time of
 * the configuration.  Either answers 304 with the validators and
 * Cache-Control the 200 would carry (§15.4.5).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/socket.h>

#include <netinet/in.h>

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "acl.h"
#include "conf.h"
#include "conn.h"
#include "endpoint.h"
#include "host.h"
#include "http_hdr.h"
#include "log.h"
#include "metrics.h"
#include "pac.h"
#include "sl.h"
#include "worker.h"

/* Head room of an answer: status line and fields. */
#define ENDPOINT_HEAD_MAX	1024
/* The metrics and status answers: bounded by their tables. */
#define ENDPOINT_METRICS_MAX	(256 * 1024)
/* Children listed by /status. */
#define ENDPOINT_CHILDREN	256

int
endpoint_parse(struct conn *c)
{
	struct req *r = &c->r;
	const struct http_head *h = r->r_head;
	struct sockaddr_storage local;
	socklen_t len = sizeof(local);
	const char *t = h->target, *q;
	char host[256], text[SOCKADDR_STRLEN];
	size_t n = h->target_len, pl, i;

	q = memchr(t, '?', n);
	pl = q != NULL ? (size_t)(q - t) : n;
	/* Paths are case-sensitive (RFC 3986 §6.2.2.1). */
	for (i = 0; acl_endpoint(i) != NULL; i++)
		if (strlen(acl_endpoint(i)) == pl &&
		    memcmp(t, acl_endpoint(i), pl) == 0)
			break;
	if (acl_endpoint(i) == NULL)
		return -1;
	memset(&local, 0, sizeof(local));
	if (getsockname(c->c_io.fd, (struct sockaddr *)&local, &len) == -1)
		return -1;
	r->r_endpoint = acl_endpoint(i);
	if ((r->r_path = req_strdup(c, t, n)) == NULL)
		return -1;
	/*
	 * The host is the address the client reached, not its Host field:
	 * what dstdomain acls and the log see of a request for the proxy's
	 * own pages is not the client's to choose (a forged Host must not
	 * pass a rule written for a destination).
	 */
	sockaddr_ntop((struct sockaddr *)&local, text, sizeof(text));
	if (acl_host_normalise(text, strlen(text), host, sizeof(host), NULL,
	    NULL) == -1)
		snprintf(host, sizeof(host), "%s", text);
	if ((r->r_host = req_strdup(c, host, strlen(host))) == NULL)
		return -1;
	r->r_port = sockaddr_port((struct sockaddr *)&local);
	/* The destination is the proxy: dst and to_self acls see it. */
	return req_set_dst(c, &local);
}

void
endpoint_absolute(struct conn *c)
{
	struct req *r = &c->r;
	struct sockaddr_storage local, mapped;
	struct sockaddr_in *sin;
	struct sockaddr_in6 *sin6;
	socklen_t len = sizeof(local);
	const char *q;
	size_t pl, i;

	if (r->r_connect || r->r_path == NULL || r->r_host == NULL)
		return;
	q = strchr(r->r_path, '?');
	pl = q != NULL ? (size_t)(q - r->r_path) : strlen(r->r_path);
	for (i = 0; acl_endpoint(i) != NULL; i++)
		if (strlen(acl_endpoint(i)) == pl &&
		    memcmp(r->r_path, acl_endpoint(i), pl) == 0)
			break;
	if (acl_endpoint(i) == NULL)
		return;
	memset(&local, 0, sizeof(local));
	if (getsockname(c->c_io.fd, (struct sockaddr *)&local, &len) == -1 ||
	    r->r_port != sockaddr_port((struct sockaddr *)&local))
		return;
	/* The host: visible_hostname, or the very address reached. */
	if (strcasecmp(r->r_host, worker_conf->visible_hostname) != 0) {
		if (r->r_dst == NULL)
			return;
		mapped = local;
		/* A dual-stack socket: ::ffff:a.b.c.d is a.b.c.d. */
		sin6 = (struct sockaddr_in6 *)&local;
		if (local.ss_family == AF_INET6 &&
		    IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
			memset(&mapped, 0, sizeof(mapped));
			sin = (struct sockaddr_in *)&mapped;
			sin->sin_family = AF_INET;
			sin->sin_port = sin6->sin6_port;
			memcpy(&sin->sin_addr, &sin6->sin6_addr.s6_addr[12], 4);
		}
		if (!sockaddr_equal((struct sockaddr *)r->r_dst,
		    (struct sockaddr *)&mapped))
			return;
	}
	if (r->r_dst != NULL)
		*r->r_dst = local;
	else if (req_set_dst(c, &local) == -1)
		return;		/* the arena is full: not the proxy's page */
	r->r_endpoint = acl_endpoint(i);
}

/* ------------------------------------------------------------ validators */

/* An HTTP-date in any of RFC 9110 §5.6.7's three forms. @return 0 or -1. */
static int
endpoint_date(const char *v, size_t n, time_t *out)
{
	static const char *const forms[] = {
		"%a, %d %b %Y %H:%M:%S GMT",	/* IMF-fixdate */
		"%A, %d-%b-%y %H:%M:%S GMT",	/* obsolete RFC 850 */
		"%a %b %e %H:%M:%S %Y",		/* obsolete asctime */
	};
	char s[64];
	struct tm tm;
	const char *end;
	size_t i;

	if (n == 0 || n >= sizeof(s))
		return -1;
	memcpy(s, v, n);
	s[n] = '\0';
	for (i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		memset(&tm, 0, sizeof(tm));
		end = strptime(s, forms[i], &tm);
		if (end != NULL && *end == '\0') {
			*out = timegm(&tm);
			return *out == (time_t)-1 ? -1 : 0;
		}
	}
	return -1;
}

/*
 * Does If-None-Match value @p v list @p etag ("*", or a member equal
 * under the weak comparison: W/ ignored on both)?
 */
static int
endpoint_inm_match(const char *v, size_t n, const char *etag)
{
	const char *p = v, *e = v + n, *q, *t;
	size_t tl;

	t = strncmp(etag, "W/", 2) == 0 ? etag + 2 : etag;
	tl = strlen(t);
	while (p < e) {
		while (p < e && (*p == ' ' || *p == '\t' || *p == ','))
			p++;
		if (p == e)
			break;
		if (*p == '*')
			return 1;
		if (e - p >= 2 && p[0] == 'W' && p[1] == '/')
			p += 2;
		if (p == e || *p != '"')
			return 0;	/* not an entity-tag list: no match */
		q = memchr(p + 1, '"', (size_t)(e - p - 1));
		if (q == NULL)
			return 0;
		if ((size_t)(q + 1 - p) == tl && memcmp(p, t, tl) == 0)
			return 1;
		p = q + 1;
	}
	return 0;
}

/* 304 for @p c's conditions (RFC 9110 §13.2.2, steps 3 and 4)? */
static int
endpoint_not_modified(struct conn *c, const char *etag, time_t lm)
{
	const struct http_head *h = c->r.r_head;
	const struct http_field *f;
	time_t ims;

	if ((f = http_hdr_find(h, "If-None-Match")) != NULL)
		return endpoint_inm_match(f->value, f->value_len, etag);
	if ((f = http_hdr_find(h, "If-Modified-Since")) != NULL &&
	    endpoint_date(f->value, f->value_len, &ims) == 0)
		return lm <= ims;
	return 0;
}

/* ---------------------------------------------------------------- bodies */

/* A size class for a buffer of at least @p n bytes (powers of two). */
static size_t
endpoint_bufsize(size_t n)
{
	size_t s = BUF_SMALL;

	while (s < n)
		s *= 2;
	return s;
}

/* FNV-1a 64 of @p n bytes, as a quoted entity-tag. */
static void
endpoint_etag(const char *p, size_t n, char *out, size_t outsz)
{
	uint64_t h = 14695981039346656037ULL;

	while (n-- > 0)
		h = (h ^ (unsigned char)*p++) * 1099511628211ULL;
	snprintf(out, outsz, "\"%016llx\"", (unsigned long long)h);
}

static int
endpoint_metrics(struct buf *b, int json)
{
	static struct metrics_child_row child[ENDPOINT_CHILDREN];
	struct metrics_snap s;
	struct metrics_info info;

	memset(&s, 0, sizeof(s));
	s.child = json ? child : NULL;
	s.child_max = json ? ENDPOINT_CHILDREN : 0;
	(void)metrics_snapshot(&s);
	memset(&info, 0, sizeof(info));
	info.version = PACKAGE_VERSION;
	info.config_loaded = (int64_t)pac_loaded(worker_conf->pac);
	info.cache_on = worker_conf->cache_dir != NULL;
	info.now = (int64_t)time(NULL);
	return json ? metrics_render_json(b, &s, &info) :
	    metrics_render_prometheus(b, &s, &info);
}

/* 405 (RFC 9110 §15.5.6) with the methods the pages take. */
static enum errpage_id
endpoint_405(struct conn *c)
{
	struct req *r = &c->r;
	static const char body[] = "Only GET and HEAD are allowed here.\n";

	if ((c->obuf = buf_get(BUF_SMALL)) == NULL)
		return ERR_NO_RESOURCES;
	if (buf_printf(c->obuf, "HTTP/1.1 405 Method Not Allowed\r\n"
	    "Server: sluice/" PACKAGE_VERSION "\r\nAllow: GET, HEAD\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n"
	    "Content-Length: %zu\r\n", sizeof(body) - 1) == -1 ||
	    http_hdr_date(c->obuf, time(NULL)) == -1 ||
	    req_head_end(c, c->obuf) == -1 ||
	    buf_append(c->obuf, body, sizeof(body) - 1) == -1) {
		buf_reset(c->obuf);	/* SYNTH writes its page in it */
		return ERR_TOO_BIG;
	}
	r->r_status = 405;
	r->r_ctype = "text/plain";
	return ERRPAGE_COUNT;
}

enum errpage_id
endpoint_answer(struct conn *c)
{
	struct req *r = &c->r;
	const struct pac *pac = worker_conf->pac;
	struct sockaddr_storage local;
	socklen_t len = sizeof(local);
	struct buf *body, *o;
	const char *ctype, *cc;
	char *logtype;
	char etag[64], lmbuf[64];
	time_t lm = 0;
	struct tm tm;
	size_t bsize;
	int cond = 0, notmod = 0, rc;

	r->r_code = "NONE_NONE";
	/* An unread body must not be taken for the next request. */
	if (!r->r_body.done || worker_draining())
		r->r_keepalive = 0;
	if (strcmp(r->r_method, "GET") != 0 && !r->r_is_head) {
		rc = endpoint_405(c);
		if (rc == ERRPAGE_COUNT) {
			req_consume_head(c);
			r->r_synth = 1;
		}
		return (enum errpage_id)rc;
	}
	etag[0] = '\0';
	if (strcmp(r->r_endpoint, "/metrics") == 0 ||
	    strcmp(r->r_endpoint, "/status") == 0) {
		bsize = ENDPOINT_METRICS_MAX;
	} else if (strcmp(r->r_endpoint, "/no_proxy") == 0) {
		bsize = strlen(pac_no_proxy(pac)) + 2;
		cond = 1;
	} else {
		if (pac == NULL)
			return ERR_NO_RESOURCES;
		bsize = pac_render_size(pac);
		cond = 1;
	}
	if ((body = buf_get(endpoint_bufsize(bsize))) == NULL)
		return ERR_NO_RESOURCES;
	if (strcmp(r->r_endpoint, "/metrics") == 0) {
		rc = endpoint_metrics(body, 0);
		ctype = "text/plain; version=0.0.4; charset=utf-8";
		logtype = "text/plain";
	} else if (strcmp(r->r_endpoint, "/status") == 0) {
		rc = endpoint_metrics(body, 1);
		ctype = logtype = "application/json";
	} else if (strcmp(r->r_endpoint, "/no_proxy") == 0) {
		rc = buf_printf(body, "%s\n", pac_no_proxy(pac));
		endpoint_etag(body->pos, buf_len(body), etag, sizeof(etag));
		ctype = "text/plain; charset=utf-8";
		logtype = "text/plain";
	} else {
		memset(&local, 0, sizeof(local));
		rc = getsockname(c->c_io.fd, (struct sockaddr *)&local, &len);
		if (rc == 0)
			rc = pac_render(pac, (struct sockaddr *)&local, body,
			    etag, sizeof(etag));
		/* Netscape's type, which every browser expects. */
		ctype = logtype = "application/x-ns-proxy-autoconfig";
	}
	if (rc == -1) {
		log_warnx("conn %u client %s: %s does not fit %zu bytes", c->id,
		    c->c_peer_text, r->r_endpoint, body->size);
		buf_put(body);
		return ERR_NO_RESOURCES;
	}
	if (cond) {
		/* Browsers revalidate each time; a 304 costs a few bytes. */
		lm = pac_loaded(pac);
		cc = "no-cache";
		notmod = endpoint_not_modified(c, etag, lm);
	} else
		cc = "no-store";	/* numbers of now */
	o = c->obuf = buf_get(endpoint_bufsize(ENDPOINT_HEAD_MAX +
	    (notmod ? 0 : buf_len(body))));
	if (o == NULL) {
		buf_put(body);
		return ERR_NO_RESOURCES;
	}
	rc = buf_printf(o, "HTTP/1.1 %s\r\nServer: sluice/" PACKAGE_VERSION
	    "\r\nCache-Control: %s\r\n", notmod ? "304 Not Modified" :
	    "200 OK", cc);
	if (rc == 0 && !notmod)
		rc = buf_printf(o, "Content-Type: %s\r\n"
		    "Content-Length: %zu\r\n", ctype, buf_len(body));
	if (rc == 0 && etag[0] != '\0')
		rc = buf_printf(o, "ETag: %s\r\n", etag);
	if (rc == 0 && lm != 0 && gmtime_r(&lm, &tm) != NULL) {
		strftime(lmbuf, sizeof(lmbuf), "%a, %d %b %Y %H:%M:%S GMT",
		    &tm);
		rc = buf_printf(o, "Last-Modified: %s\r\n", lmbuf);
	}
	if (rc == 0)
		rc = http_hdr_date(o, time(NULL));
	if (rc == 0)
		rc = req_head_end(c, o);
	/* HEAD (RFC 9110 §9.3.2) and 304 carry no content. */
	if (rc == 0 && !notmod && !r->r_is_head)
		rc = buf_append(o, body->pos, buf_len(body));
	buf_put(body);
	if (rc == -1) {
		buf_reset(o);	/* SYNTH writes its page in it */
		return ERR_TOO_BIG;
	}
	req_consume_head(c);
	r->r_status = notmod ? 304 : 200;
	r->r_ctype = notmod ? NULL : logtype;	/* no blanks in the log */
	r->r_synth = 1;
	return ERRPAGE_COUNT;
}
