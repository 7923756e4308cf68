/*
 * req_client.c -- the client's side of a request: reading and parsing the
 * head (RECV_HEAD, PARSE) and the proxy's own answers (LOCAL).
 * Runs in the workers.
 *
 * Request target rules (RFC 9112 §3.2): absolute-form for proxied
 * requests, authority-form only with CONNECT; origin-form only for the
 * proxy's own pages (endpoint.h: /proxy.pac, /metrics...), else 400.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/socket.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "accesslog.h"
#include "acl.h"
#include "conf.h"
#include "conn.h"
#include "endpoint.h"
#include "host.h"
#include "http_hdr.h"
#include "io.h"
#include "log.h"
#include "sl.h"
#include "str.h"
#include "upgrade.h"
#include "worker.h"

static void
req_started(struct conn *c)
{
	struct req *r = &c->r;

	r->r_start_ms = ev_now();
	ev_wallclock(&r->r_start_sec, &r->r_start_usec);
	req_timer(c, worker_conf->request_timeout);
}

int
req_step_recv_head(struct conn *c)
{
	struct req *r = &c->r;
	struct buf *nb;
	size_t n, max;
	ssize_t rd;

	if (r->r_timed_out) {
		r->r_timed_out = 0;
		if (r->r_start_ms != 0 && c->cbuf != NULL && buf_len(c->cbuf) > 0) {
			log_info("conn %u client %s: request head not received "
			    "in time", c->id, c->c_peer_text);
			r->r_keepalive = 0;
			r->r_code = "NONE_NONE";
			return REQ_FAIL(c, ERR_REQUEST_TIMEOUT);
		}
		return conn_close(c);	/* idle keep-alive or silent client */
	}
	if (c->cbuf == NULL) {
		/*
		 * An idle connection holds no buffer: read into the stack
		 * and take one from the freelist only once bytes arrive.
		 */
		char first[2048];

		/*
		 * The last read found the socket drained: edge-triggered
		 * epoll tells when more comes (conn_io_cb clears the mark),
		 * so no read just to learn EAGAIN (one syscall per request
		 * on keep-alive connections).
		 */
		if (c->c_drained)
			return SL_AGAIN;
		rd = io_read(c, c->c_io.fd, first, sizeof(first));
		c->c_drained = rd > 0 && (size_t)rd < sizeof(first) &&
		    c->c_tls == NULL;
		if (rd == -1 && (errno == EAGAIN || errno == EINTR))
			return SL_AGAIN;
		if (rd <= 0) {
			if (rd == -1)
				log_info("conn %u client %s: read: %s", c->id,
				    c->c_peer_text, strerror(errno));
			return conn_close(c);
		}
		c->cbuf = buf_get(BUF_SMALL);
		if (c->cbuf == NULL) {
			log_warnx("conn %u: out of memory for a buffer", c->id);
			return conn_close(c);
		}
		buf_append(c->cbuf, first, (size_t)rd);
	}
	max = worker_conf->request_header_max_size;
	for (;;) {
		if (buf_len(c->cbuf) > 0) {
			if (r->r_start_ms == 0)
				req_started(c);
			n = http_head_end(c->cbuf->pos, buf_len(c->cbuf),
			    &r->r_scan);
			if (n > 0) {
				r->r_head_len = n;
				return REQ_NEXT(c, PARSE);
			}
			if (!r->r_scan.first_line_done && buf_len(c->cbuf) >
			    worker_conf->request_line_max_size) {
				log_info("conn %u client %s: request line over "
				    "%zu bytes", c->id, c->c_peer_text,
				    worker_conf->request_line_max_size);
				r->r_code = "NONE_NONE";
				return REQ_FAIL(c, ERR_URI_TOO_LONG);
			}
			if (buf_len(c->cbuf) >= max) {
				/* RFC 9112 §3: 414 for a long line, else 431. */
				log_info("conn %u client %s: request head over %zu "
				    "bytes", c->id, c->c_peer_text, max);
				r->r_code = "NONE_NONE";
				return REQ_FAIL(c, r->r_scan.first_line_done ?
				    ERR_TOO_BIG : ERR_URI_TOO_LONG);
			}
		}
		if (buf_room(c->cbuf) == 0) {
			buf_compact(c->cbuf);
			if (buf_room(c->cbuf) == 0) {
				/* A large head: move to a buffer of the limit. */
				nb = buf_get(max);
				if (nb == NULL)
					return conn_close(c);
				buf_append(nb, c->cbuf->pos, buf_len(c->cbuf));
				buf_put(c->cbuf);
				c->cbuf = nb;
			}
		}
		if (c->c_drained)
			return SL_AGAIN;	/* as above */
		n = buf_room(c->cbuf);
		rd = io_read(c, c->c_io.fd, c->cbuf->last, n);
		c->c_drained = rd > 0 && (size_t)rd < n && c->c_tls == NULL;
		if (rd > 0) {
			c->cbuf->last += rd;
			continue;
		}
		if (rd == 0) {
			if (buf_len(c->cbuf) > 0)
				log_info("conn %u client %s: closed in the middle "
				    "of a request head", c->id, c->c_peer_text);
			return conn_close(c);
		}
		if (errno == EAGAIN || errno == EINTR)
			return SL_AGAIN;
		log_info("conn %u client %s: read: %s", c->id, c->c_peer_text,
		    strerror(errno));
		return conn_close(c);
	}
}

/*
 * Split an authority "host[:port]" or "[v6]:port" (RFC 3986 §3.2) and
 * normalise the host with acl_host_normalise(): what DNS, the ACLs, the
 * Host header and the logs see is that one spelling (2130706433, 0x7f.1,
 * [::ffff:127.0.0.1] all become 127.0.0.1).  Userinfo is refused (RFC
 * 9110 §4.2.4: a sender must not generate it in an http URI; a proxy that
 * accepts it invites phishing and ACL evasion), and so are
 * percent-encoded hosts and zone ids.  Each refusal is logged here.
 */
static int
req_parse_authority(struct conn *c, const char *p, size_t n, unsigned defport,
    int need_port)
{
	struct req *r = &c->r;
	const char *colon = NULL, *h, *why = NULL;
	struct sockaddr_storage ss;
	size_t hl;
	unsigned long port = 0;
	char host[256];
	int kind, bracket = n > 0 && p[0] == '[';

	if (memchr(p, '@', n) != NULL) {
		log_info("conn %u client %s: userinfo in the request target "
		    "refused", c->id, c->c_peer_text);
		return -1;
	}
	if (bracket) {
		const char *close = memchr(p, ']', n);

		if (close == NULL)
			return -1;
		h = p + 1;
		hl = (size_t)(close - h);
		if (close + 1 < p + n) {
			if (close[1] != ':')
				return -1;
			colon = close + 1;
		}
	} else {
		colon = memchr(p, ':', n);
		h = p;
		hl = colon ? (size_t)(colon - p) : n;
	}
	if (colon != NULL) {
		const char *ps = colon + 1, *pe = p + n;

		if (ps == pe) {
			if (need_port)
				return -1;
			port = defport;	/* "host:" means the default port */
		}
		for (; ps < pe; ps++) {
			if (*ps < '0' || *ps > '9' || port > 65535)
				return -1;
			port = port * 10 + (unsigned long)(*ps - '0');
		}
		if (port == 0 || port > 65535)
			return -1;
	} else {
		if (need_port)
			return -1;
		port = defport;
	}
	memset(&ss, 0, sizeof(ss));
	kind = hl == 0 ? -1 : acl_host_normalise(h, hl, host, sizeof(host),
	    &ss, &why);
	/* Brackets hold IPv6 only (RFC 3986 §3.2.2), mapped IPv4 included. */
	if (kind == -1 || (bracket && (kind == HOST_NAME ||
	    memchr(h, ':', hl) == NULL))) {
		log_info("conn %u client %s: bad host '%.*s': %s", c->id,
		    c->c_peer_text, (int)(hl > 100 ? 100 : hl), h,
		    hl == 0 ? "empty" : kind == -1 && why != NULL ? why :
		    "an IPv6 address is expected in brackets");
		return -1;
	}
	if ((r->r_host = req_strdup(c, host, strlen(host))) == NULL)
		return -1;
	r->r_port = (unsigned)port;
	if (kind != HOST_NAME) {
		/* The destination is known now: ACCESS_PRE checks it. */
		sockaddr_set_port((struct sockaddr *)&ss, r->r_port);
		if (req_set_dst(c, &ss) == -1)
			return -1;
	}
	return 0;
}

/* Build the URL shown in logs: normalised scheme, host and port. */
static int
req_make_url(struct conn *c)
{
	struct req *r = &c->r;
	size_t n;
	int v6 = strchr(r->r_host, ':') != NULL;

	n = strlen(r->r_host) + (r->r_path ? strlen(r->r_path) : 0) + 32;
	r->r_url = req_alloc(c, n);
	if (r->r_url == NULL)
		return -1;
	if (r->r_connect) {
		snprintf(r->r_url, n, "%s%s%s:%u", v6 ? "[" : "", r->r_host,
		    v6 ? "]" : "", r->r_port);
		return 0;
	}
	return host_url_scheme(r->r_url, n, r->r_https, r->r_host, r->r_port,
	    r->r_path);
}

/* The target (RFC 9112 §3.2). @return ERRPAGE_COUNT, or the error page. */
static enum errpage_id
req_parse_target(struct conn *c)
{
	struct req *r = &c->r;
	struct http_head *h = r->r_head;
	const char *t = h->target, *a, *e;
	size_t n = h->target_len;
	unsigned defport = 80;

	if (c->c_bump != NULL)
		return req_tls_bumped_target(c);	/* req_tls.c */
	if (r->r_connect) {
		/* RFC 9110 §9.3.6: authority-form, host and port required. */
		if (req_parse_authority(c, t, n, 0, 1) == -1)
			return ERR_INVALID_URL;
		return ERRPAGE_COUNT;
	}
	if (n > 0 && t[0] == '/' && endpoint_parse(c) == 0)
		return ERRPAGE_COUNT;	/* one of the proxy's own pages */
	if (n > 0 && (t[0] == '/' || t[0] == '*'))
		return ERR_INVALID_URL;
	if (str_iprefix(t, n, "https://")) {
		/* Sent by some clients: the origin over verified TLS. */
		r->r_https = 1;
		defport = 443;
		a = t + STR_LIT_LEN("https://");
	} else if (str_iprefix(t, n, "http://"))
		a = t + STR_LIT_LEN("http://");
	else
		return memchr(t, ':', n) ? ERR_UNSUP_REQ :
		    ERR_INVALID_URL;
	for (e = a; e < t + n && *e != '/' && *e != '?'; e++)
		if (*e == '#')
			return ERR_INVALID_URL;
	if (memchr(a, '#', (size_t)(t + n - a)) != NULL)
		return ERR_INVALID_URL;	/* no fragment on the wire */
	if (req_parse_authority(c, a, (size_t)(e - a), defport, 0) == -1)
		return ERR_INVALID_URL;
	if ((r->r_path = req_path_dup(c, e, (size_t)(t + n - e))) == NULL)
		return ERR_TOO_BIG;
	return ERRPAGE_COUNT;
}

/*
 * RFC 9110 §7.8: an Upgrade offer (with "upgrade" in Connection) on a
 * GET goes on only for the protocols http_upgrade_request_protocols
 * allows; otherwise it is dropped like any hop-by-hop field.
 */
static int
req_upgrade_offer(struct conn *c)
{
	struct req *r = &c->r;
	struct http_head *h = r->r_head;
	struct acl_req ar;
	char out[512];
	size_t i;

	if (r->r_connect || strcmp(r->r_method, "GET") != 0 ||
	    r->r_version != 11 || worker_conf->upgrade == NULL)
		return 0;
	memset(&ar, 0, sizeof(ar));
	ar.src = (const struct sockaddr *)&c->c_peer;
	ar.method = r->r_method;
	ar.port = r->r_port;
	ar.host = r->r_host;
	for (i = 0; i < h->nfields; i++) {
		if (!http_field_is(&h->fields[i], "Upgrade"))
			continue;
		if (upgrade_filter(worker_conf, &ar, h->fields[i].value,
		    h->fields[i].value_len, out, sizeof(out)) == 0)
			continue;
		r->r_upgrade = req_strdup(c, out, strlen(out));
		if (r->r_upgrade == NULL)
			return -1;
		log_debug("conn %u client %s: forwarding the Upgrade offer "
		    "'%s' for %s", c->id, c->c_peer_text, out, r->r_url);
		break;
	}
	return 0;
}

int
req_step_parse(struct conn *c)
{
	struct req *r = &c->r;
	struct http_head *h;
	const char *why = NULL;
	enum http_body_mode mode;
	uint64_t len;
	size_t i, asize;
	enum errpage_id err;
	int rc, conn_close_tok = 0, conn_keepalive_tok = 0, conn_upgrade_tok = 0;

	/*
	 * Everything request-scoped fits in three times the head: the
	 * parsed copies (target, host, URL) and the cache's copy of the
	 * fields for Vary (cache_req.c).
	 */
	asize = r->r_head_len * 3 + sizeof(struct http_head) + 1024;
	c->arena = buf_get(asize);
	if (c->arena == NULL)
		return conn_close(c);
	h = r->r_head = r->r_hstore = req_alloc(c, sizeof(*h));
	AN(h);
	rc = http_request_parse(c->cbuf->pos, r->r_head_len, h, &why);
	r->r_code = "NONE_NONE";
	if (rc != 0) {
		log_info("conn %u client %s: bad request: %s", c->id,
		    c->c_peer_text, why ? why : "?");
		return REQ_FAIL(c, rc == 431 ? ERR_TOO_BIG :
		    rc == 505 ? ERR_UNSUP_HTTPVERSION : ERR_INVALID_REQ);
	}
	/* RFC 9112 §3: a request line over the limit gets 414. */
	if ((size_t)(h->target - h->method) + h->target_len + 9 >
	    worker_conf->request_line_max_size) {
		log_info("conn %u client %s: request line over %zu bytes",
		    c->id, c->c_peer_text, worker_conf->request_line_max_size);
		return REQ_FAIL(c, ERR_URI_TOO_LONG);
	}
	/* RFC 6585 §5: too many fields is 431 as well. */
	if (h->nfields > (size_t)worker_conf->request_header_max_fields) {
		log_info("conn %u client %s: %zu header fields, over "
		    "request_header_max_fields", c->id, c->c_peer_text,
		    h->nfields);
		return REQ_FAIL(c, ERR_TOO_BIG);
	}
	r->r_version = h->version;
	r->r_method = req_strdup(c, h->method, h->method_len);
	r->r_connect = strcmp(r->r_method, "CONNECT") == 0;
	r->r_is_head = strcmp(r->r_method, "HEAD") == 0;
	accesslog_capture_request(c, h);

	rc = http_request_framing(h, &mode, &len, &why);
	if (rc != 0) {
		log_info("conn %u client %s: bad request framing: %s", c->id,
		    c->c_peer_text, why ? why : "?");
		return REQ_FAIL(c, rc == 501 ? ERR_UNSUP_REQ : ERR_INVALID_REQ);
	}
	if (r->r_connect && mode != HTTP_BODY_NONE) {
		log_info("conn %u client %s: CONNECT with a body", c->id,
		    c->c_peer_text);
		return REQ_FAIL(c, ERR_INVALID_REQ);
	}
	body_init(&r->r_body, mode, len, 0);

	if ((err = req_parse_target(c)) != ERRPAGE_COUNT) {
		log_info("conn %u client %s: bad request target '%.*s'", c->id,
		    c->c_peer_text, (int)(h->target_len > 200 ? 200 :
		    h->target_len), h->target);
		return REQ_FAIL(c, err);
	}
	/*
	 * RFC 9112 §3.2: a target with an authority (absolute-form,
	 * authority-form) asks for that authority as Host; an empty Host
	 * is for targets without one, so here it is invalid: 400.  A valid
	 * Host that differs from the target is replaced by it (§3.2.2).
	 */
	for (i = 0; i < h->nfields; i++)
		if (http_field_is(&h->fields[i], "Host") &&
		    h->fields[i].value_len == 0) {
			log_info("conn %u client %s: empty Host with an "
			    "authority in the target", c->id, c->c_peer_text);
			return REQ_FAIL(c, ERR_INVALID_REQ);
		}
	if (req_make_url(c) == -1)
		return REQ_FAIL(c, ERR_TOO_BIG);
	endpoint_absolute(c);	/* http://this-proxy:port/metrics */
	/* RFC 9110 §15.5.14: a declared length over the limit: 413 at once. */
	if (worker_conf->request_body_max_size > 0 &&
	    mode == HTTP_BODY_LENGTH && len > worker_conf->request_body_max_size) {
		log_info("conn %u client %s: request body of %llu bytes for %s "
		    "over request_body_max_size", c->id, c->c_peer_text,
		    (unsigned long long)len, r->r_url);
		return REQ_FAIL(c, ERR_BODY_TOO_BIG);
	}

	for (i = 0; i < h->nfields; i++) {
		struct http_field *f = &h->fields[i];

		if (http_field_is(f, "Connection")) {
			conn_close_tok |= http_list_has(f->value, f->value_len,
			    "close");
			conn_keepalive_tok |= http_list_has(f->value,
			    f->value_len, "keep-alive");
			conn_upgrade_tok |= http_list_has(f->value,
			    f->value_len, "upgrade");
		} else if (http_field_is(f, "Expect")) {
			/* RFC 9110 §10.1.1: only 100-continue is defined. */
			if (!str_ieq(f->value, f->value_len, "100-continue")) {
				log_info("conn %u client %s: unsupported "
				    "expectation", c->id, c->c_peer_text);
				return REQ_FAIL(c, ERR_EXPECTATION_FAILED);
			}
			if (r->r_version == 11 && !r->r_body.done)
				r->r_expect_continue = 1;
		} else if (http_field_is(f, "Max-Forwards") &&
		    (strcmp(r->r_method, "OPTIONS") == 0 ||
		    strcmp(r->r_method, "TRACE") == 0)) {
			/* RFC 9110 §7.6.2: 1*DIGIT; anything else is ignored. */
			size_t k;
			long v = 0;

			for (k = 0; k < f->value_len && k < 9; k++) {
				if (f->value[k] < '0' || f->value[k] > '9')
					break;
				v = v * 10 + (f->value[k] - '0');
			}
			if (k == f->value_len && k > 0 && r->r_maxfwd == -1)
				r->r_maxfwd = (int)v;
		} else if (http_field_is(f, "Via")) {
			/* RFC 9110 §7.6.3: our own pseudonym means a loop. */
			char mark[300];
			size_t ml;

			ml = (size_t)snprintf(mark, sizeof(mark), " %s (sluice",
			    worker_conf->visible_hostname);
			if (ml < sizeof(mark) && f->value_len >= ml - 1 &&
			    memmem(f->value - 1, f->value_len + 1, mark, ml) != NULL) {
				log_warnx("conn %u client %s: forwarding loop "
				    "for %s", c->id, c->c_peer_text, r->r_url);
				return REQ_FAIL(c, ERR_LOOP_DETECTED);
			}
		}
	}
	/* RFC 9112 §9.3: persistence defaults by version. */
	r->r_keepalive = r->r_version == 11 ? !conn_close_tok :
	    conn_keepalive_tok && !conn_close_tok;
	if (conn_upgrade_tok && req_upgrade_offer(c) == -1)
		return REQ_FAIL(c, ERR_TOO_BIG);
	r->r_code = r->r_connect ? "TCP_TUNNEL" : "TCP_MISS";
	return REQ_NEXT(c, ACCESS_PRE);
}



/*
 * RFC 9110 §7.6.2: an OPTIONS or TRACE with Max-Forwards: 0 is ours to
 * answer.  TRACE reflects the request head as message/http (§9.3.8),
 * without the credentials fields; OPTIONS says what we forward.
 */
static enum errpage_id
req_answer_self(struct conn *c)
{
	struct req *r = &c->r;
	struct http_head *h = r->r_head;
	struct buf *o, *body;
	size_t i;
	int trace = strcmp(r->r_method, "TRACE") == 0;

	if (trace && r->r_body.mode != HTTP_BODY_NONE) {
		log_info("conn %u client %s: TRACE with a body", c->id,
		    c->c_peer_text);
		return ERR_INVALID_REQ;
	}
	/* An unread body must not be taken for the next request. */
	if (!r->r_body.done || worker_draining())
		r->r_keepalive = 0;
	body = buf_get(BUF_SMALL);
	if (body == NULL)
		return ERR_NO_RESOURCES;
	if (trace) {
		if (buf_printf(body, "%s %.*s HTTP/1.%d\r\n", r->r_method,
		    (int)h->target_len, h->target, r->r_version % 10) == -1)
			goto toobig;
		for (i = 0; i < h->nfields; i++) {
			if (http_field_is(&h->fields[i], "Proxy-Authorization") ||
			    http_field_is(&h->fields[i], "Authorization") ||
			    http_field_is(&h->fields[i], "Cookie"))
				continue;
			if (http_hdr_copy(body, &h->fields[i]) == -1)
				goto toobig;
		}
		if (buf_append(body, "\r\n", 2) == -1)
			goto toobig;
	}
	o = c->obuf = buf_get(BUF_SMALL + 512);
	if (o == NULL) {
		buf_put(body);
		return ERR_NO_RESOURCES;
	}
	if (buf_printf(o, "HTTP/1.1 200 OK\r\nServer: sluice/" PACKAGE_VERSION
	    "\r\n%sContent-Length: %zu\r\n%s%s\r\n", trace ?
	    "Content-Type: message/http\r\n" : "Allow: GET, HEAD, POST, PUT, "
	    "DELETE, OPTIONS, TRACE, PATCH, CONNECT\r\n", buf_len(body),
	    r->r_keepalive ? "" : "Connection: close\r\n",
	    r->r_version == 10 && r->r_keepalive ?
	    "Connection: keep-alive\r\n" : "") == -1 ||
	    buf_append(o, body->pos, buf_len(body)) == -1)
		goto toobig;
	buf_put(body);
	log_info("conn %u client %s: %s %s with Max-Forwards: 0 answered by "
	    "the proxy", c->id, c->c_peer_text, r->r_method, r->r_url);
	req_consume_head(c);
	r->r_status = 200;
	r->r_ctype = trace ? "message/http" : NULL;
	r->r_synth = 1;
	return ERRPAGE_COUNT;
toobig:
	buf_put(body);
	return ERR_TOO_BIG;
}

/*
 * LOCAL: what the proxy answers itself instead of forwarding: its own
 * pages (endpoint.h), and an OPTIONS or TRACE whose Max-Forwards
 * reached 0.
 */
int
req_step_local(struct conn *c)
{
	struct req *r = &c->r;
	enum errpage_id err;

	if (r->r_endpoint != NULL) {
		if ((err = endpoint_answer(c)) != ERRPAGE_COUNT)
			return REQ_FAIL(c, err);
		return REQ_NEXT(c, DELIVER);
	}
	if (r->r_maxfwd == 0) {
		if ((err = req_answer_self(c)) != ERRPAGE_COUNT)
			return REQ_FAIL(c, err);
		return REQ_NEXT(c, DELIVER);
	}
	if (!r->r_connect)
		return REQ_NEXT(c, CACHE_LOOKUP);
	/* A tunnel: the address is known once access was decided on it. */
	if (r->r_naddrs > 0)
		return REQ_NEXT(c, CONNECT_UP);
	return REQ_NEXT(c, RESOLVE);
}
