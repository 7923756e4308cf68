/*
 * req.c -- the request step engine and the client-side steps.
 * Runs in the workers.
 *
 * req_run() calls the current step until one returns SL_AGAIN (an event
 * or the conn timer will call req_run() again) or SL_DONE (the conn is
 * closed).  A step returns SL_OK after setting r_step to the next step.
 * Upstream steps are in upstream.c, the tunnel in tunnel.c.
 *
 * Request target rules (RFC 9112 §3.2): absolute-form for proxied
 * requests, authority-form only with CONNECT; origin-form is for the
 * proxy's own endpoints, of which there are none yet, so it gets 400.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/socket.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "accesslog.h"
#include "acl.h"
#include "auth.h"
#include "host.h"
#include "clientdb.h"
#include "conf.h"
#include "cache_req.h"
#include "conn.h"
#include "http_hdr.h"
#include "log.h"
#include "sl.h"
#include "store.h"
#include "str.h"
#include "upgrade.h"
#include "worker.h"

/* Lingering close: at most this long, and this many discarded bytes. */
#define REQ_LINGER_MS	2000
#define REQ_LINGER_MAX	(1024 * 1024)

static int (*const req_step_fn[REQ_NSTEPS])(struct conn *) = {
#define REQ_STEP_FN(name, fn)	fn,
	REQ_STEPS(REQ_STEP_FN)
#undef REQ_STEP_FN
};

static const char *const req_step_name[REQ_NSTEPS] = {
#define REQ_STEP_NAME(name, fn)	#name,
	REQ_STEPS(REQ_STEP_NAME)
#undef REQ_STEP_NAME
};

void
req_run(struct conn *c)
{
	int rc;

	CHECK_MAGIC(c, CONN_MAGIC);
	for (;;) {
		rc = req_step_fn[c->r.r_step](c);
		if (rc == SL_OK)
			continue;
		if (rc == SL_AGAIN || rc == SL_DONE)
			return;
		/* A step that fails on its own closes the connection. */
		log_alert("conn %u: step %s returned %d", c->id,
		    req_step_name[c->r.r_step], rc);
		conn_close(c);
		return;
	}
}

void
req_reset(struct conn *c)
{
	memset(&c->r, 0, sizeof(c->r));
	c->r.r_step = REQ_RECV_HEAD;
	c->r.r_code = "TCP_MISS";
	c->r.r_hier = "HIER_NONE";
	c->r.r_err = ERRPAGE_COUNT;
	c->r.r_maxfwd = -1;
	c->r.r_hit_fd = -1;
}

static void
req_timer_cb(struct ev_timer *t)
{
	struct conn *c = t->data;

	CHECK_MAGIC(c, CONN_MAGIC);
	c->r.r_timed_out = 1;
	req_run(c);
}

void
req_timer(struct conn *c, int64_t ms)
{
	int64_t when, limit;

	when = ev_now() + ms;
	limit = c->c_accepted_ms + worker_conf->client_lifetime;
	if (when > limit)
		when = limit;
	ev_timer_arm_at(&c->c_timer, when, req_timer_cb, c);
}

void *
req_alloc(struct conn *c, size_t n)
{
	struct buf *a = c->arena;
	void *p;

	n = (n + 7) & ~(size_t)7;
	if (a == NULL || buf_room(a) < n)
		return NULL;
	p = a->last;
	a->last += n;
	return p;
}

char *
req_strdup(struct conn *c, const char *p, size_t n)
{
	char *s;

	s = req_alloc(c, n + 1);
	if (s == NULL)
		return NULL;
	memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

void
req_consume_head(struct conn *c)
{
	struct req *r = &c->r;

	if (r->r_head_consumed || r->r_head_len == 0)
		return;
	c->cbuf->pos += r->r_head_len;
	r->r_head_consumed = 1;
	r->r_head = NULL;
}

int
req_fail(struct conn *c, enum errpage_id err)
{
	c->r.r_err = err;
	c->r.r_step = REQ_SYNTH;
	return SL_OK;
}

/* ------------------------------------------------------------- bodies */

void
req_body_init(struct body *bd, enum http_body_mode mode, uint64_t len, int decode)
{
	struct spipe sp = bd->sp;	/* an open pipe stays with the body */

	memset(bd, 0, sizeof(*bd));
	bd->sp = sp;
	bd->sp.len = 0;
	bd->mode = mode;
	bd->left = bd->length = len;
	bd->decode = decode;
	bd->done = mode == HTTP_BODY_NONE ||
	    (mode == HTTP_BODY_LENGTH && len == 0);
}

int
req_body_scan(struct body *bd, struct buf *b)
{
	char *p;
	size_t n, out, k;
	ssize_t rc;
	int done;

	if (bd->done)
		return 0;
	p = b->pos + bd->ready;
	n = (size_t)(b->last - p);
	if (n == 0)
		return 0;
	switch (bd->mode) {
	case HTTP_BODY_NONE:
		bd->done = 1;
		break;
	case HTTP_BODY_LENGTH:
		k = n < bd->left ? n : (size_t)bd->left;
		bd->left -= k;
		bd->ready += k;
		if (bd->left == 0)
			bd->done = 1;
		break;
	case HTTP_BODY_EOF:
		bd->ready += n;
		break;
	case HTTP_BODY_CHUNKED:
		done = 0;
		rc = http_chunked_scan(&bd->chunk, p, n, bd->decode, &out, &done);
		if (rc < 0)
			return -1;
		if (bd->decode && out < (size_t)rc) {
			/* Drop the framing bytes the decoder left behind. */
			memmove(p + out, p + rc, n - (size_t)rc);
			b->last -= (size_t)rc - out;
		}
		bd->ready += out;
		if (done)
			bd->done = 1;
		break;
	}
	return 0;
}

/* Bodies at least this long go through splice(2) once the buffer is empty. */
#define REQ_SPLICE_MIN	65536

/*
 * The zero-copy leg of req_relay_body(): the buffer is empty and the
 * rest of the body needs no inspection (its length is known or it ends
 * at close, nothing to de-chunk).  Reads stop at the body's end, so
 * whatever follows it stays in the socket.
 */
static int
req_relay_splice(struct conn *c, struct body *bd, int sfd, int dfd,
    uint64_t *counter, int *side)
{
	uint64_t in, out;
	int eof = 0;

	if (spipe_pump(&bd->sp, sfd, dfd, bd->mode == HTTP_BODY_LENGTH ?
	    bd->left : UINT64_MAX, &in, &out, &eof, side) == -1)
		return SL_ERROR;
	*counter += out;
	if (bd->mode == HTTP_BODY_LENGTH) {
		bd->left -= in;
		if (bd->left == 0)
			bd->done = 1;
	}
	if (eof) {
		if (bd->mode != HTTP_BODY_EOF) {
			*side = 's';
			return SL_ERROR;
		}
		bd->done = 1;
	}
	if (in > 0 || out > 0)
		req_timer(c, worker_conf->read_timeout);
	if (bd->done && bd->sp.len == 0)
		return SL_OK;
	return SL_AGAIN;
}

/* Is the rest of @p bd for splice(2), and is its pipe open? */
static int
req_splice_start(struct conn *c, struct body *bd, const struct buf *b)
{
	if (bd->sp.open)
		return 1;
	if (bd->copy || bd->decode || bd->done || bd->ready > 0 ||
	    buf_len(b) > 0 || !(bd->mode == HTTP_BODY_EOF ||
	    (bd->mode == HTTP_BODY_LENGTH && bd->left >= REQ_SPLICE_MIN)))
		return 0;
	if (spipe_open(&bd->sp) == -1)
		return 0;	/* EMFILE and the like: copy instead */
	log_debug("conn %u: splicing a body of %s bytes", c->id,
	    bd->mode == HTTP_BODY_EOF ? "unknown" : "known");
	return 1;
}

int
req_relay_body(struct conn *c, struct body *bd, struct buf *b, int sfd,
    int dfd, uint64_t *counter, int *side)
{
	ssize_t n;
	int progress;

	for (;;) {
		if (req_splice_start(c, bd, b))
			return req_relay_splice(c, bd, sfd, dfd, counter, side);
		progress = 0;
		if (bd->ready > 0) {
			n = bd->sink ? (ssize_t)bd->ready :
			    send(dfd, b->pos, bd->ready, MSG_NOSIGNAL);
			/* What the client got, the cache keeps (cache_req.c). */
			if (n > 0 && bd->w != NULL)
				cache_body_append(c, b->pos, (size_t)n);
			if (n > 0) {
				b->pos += n;
				bd->ready -= (size_t)n;
				if (!bd->sink)
					*counter += (uint64_t)n;
				progress = 1;
			} else if (n == -1 && errno != EAGAIN && errno != EINTR) {
				/* Others may be waiting for this body. */
				if (bd->w != NULL && cache_finish_fetch(c)) {
					bd->sink = 1;
					continue;
				}
				*side = 'd';
				return SL_ERROR;
			}
		}
		if (bd->done && bd->ready == 0)
			return SL_OK;
		if (req_splice_start(c, bd, b))
			return req_relay_splice(c, bd, sfd, dfd, counter, side);
		if (!bd->done) {
			if (buf_room(b) == 0)
				buf_compact(b);
			if (buf_room(b) > 0) {
				n = read(sfd, b->last, buf_room(b));
				if (n > 0) {
					b->last += n;
					if (req_body_scan(bd, b) == -1) {
						*side = 'f';
						return SL_ERROR;
					}
					progress = 1;
				} else if (n == 0) {
					if (bd->mode != HTTP_BODY_EOF) {
						*side = 's';
						return SL_ERROR;
					}
					bd->done = 1;
					progress = 1;
				} else if (errno != EAGAIN && errno != EINTR) {
					*side = 's';
					return SL_ERROR;
				}
			}
		}
		if (!progress)
			return SL_AGAIN;
		req_timer(c, worker_conf->read_timeout);
	}
}

int
req_flush_obuf(struct conn *c)
{
	ssize_t n;

	while (buf_len(c->obuf) > 0) {
		n = send(c->c_io.fd, c->obuf->pos, buf_len(c->obuf), MSG_NOSIGNAL);
		if (n > 0) {
			c->obuf->pos += n;
			c->r.r_bytes_out += (uint64_t)n;
			c->r.r_head_sent = 1;
			continue;
		}
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			return SL_AGAIN;
		return SL_ERROR;
	}
	return SL_OK;
}

/* -------------------------------------------------------------- steps */

/* The request started: stamp it and switch to the header timeout. */
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
			return req_fail(c, ERR_REQUEST_TIMEOUT);
		}
		return conn_close(c);	/* idle keep-alive or silent client */
	}
	if (c->cbuf == NULL) {
		/*
		 * An idle connection holds no buffer: read into the stack
		 * and take one from the freelist only once bytes arrive.
		 */
		char first[2048];

		rd = read(c->c_io.fd, first, sizeof(first));
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
				r->r_step = REQ_PARSE;
				return SL_OK;
			}
			if (!r->r_scan.first_line_done && buf_len(c->cbuf) >
			    worker_conf->request_line_max_size) {
				log_info("conn %u client %s: request line over "
				    "%zu bytes", c->id, c->c_peer_text,
				    worker_conf->request_line_max_size);
				r->r_code = "NONE_NONE";
				return req_fail(c, ERR_URI_TOO_LONG);
			}
			if (buf_len(c->cbuf) >= max) {
				/* RFC 9112 §3: 414 for a long line, else 431. */
				log_info("conn %u client %s: request head over %zu "
				    "bytes", c->id, c->c_peer_text, max);
				r->r_code = "NONE_NONE";
				return req_fail(c, r->r_scan.first_line_done ?
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
		rd = read(c->c_io.fd, c->cbuf->last, buf_room(c->cbuf));
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
		r->r_dst = ss;
		sockaddr_set_port((struct sockaddr *)&r->r_dst, r->r_port);
		r->r_dst_lit = 1;
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
	return host_url(r->r_url, n, r->r_host, r->r_port, r->r_path);
}

static int
req_parse_target(struct conn *c)
{
	struct req *r = &c->r;
	struct http_head *h = r->r_head;
	const char *t = h->target, *a, *e;
	size_t n = h->target_len;

	if (r->r_connect) {
		/* RFC 9110 §9.3.6: authority-form, host and port required. */
		if (req_parse_authority(c, t, n, 0, 1) == -1)
			return req_fail(c, ERR_INVALID_URL);
		return SL_OK;
	}
	if (n > 0 && (t[0] == '/' || t[0] == '*'))
		return req_fail(c, ERR_INVALID_URL);	/* no own endpoints yet */
	if (!str_iprefix(t, n, "http://")) {
		if (memchr(t, ':', n) != NULL && str_iprefix(t, n, "https://"))
			return req_fail(c, ERR_UNSUP_REQ);
		return req_fail(c, memchr(t, ':', n) ? ERR_UNSUP_REQ :
		    ERR_INVALID_URL);
	}
	a = t + STR_LIT_LEN("http://");
	for (e = a; e < t + n && *e != '/' && *e != '?'; e++)
		if (*e == '#')
			return req_fail(c, ERR_INVALID_URL);
	if (memchr(a, '#', (size_t)(t + n - a)) != NULL)
		return req_fail(c, ERR_INVALID_URL);	/* no fragment on the wire */
	if (req_parse_authority(c, a, (size_t)(e - a), 80, 0) == -1)
		return req_fail(c, ERR_INVALID_URL);
	if (e == t + n)
		r->r_path = req_strdup(c, "/", 1);
	else if (*e == '?') {
		/* "http://h?q" is "http://h/?q" (RFC 3986 §6.2.3). */
		r->r_path = req_alloc(c, (size_t)(t + n - e) + 2);
		if (r->r_path != NULL) {
			r->r_path[0] = '/';
			memcpy(r->r_path + 1, e, (size_t)(t + n - e));
			r->r_path[t + n - e + 1] = '\0';
		}
	} else
		r->r_path = req_strdup(c, e, (size_t)(t + n - e));
	if (r->r_path == NULL)
		return req_fail(c, ERR_TOO_BIG);
	return SL_OK;
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
	int rc, conn_close_tok = 0, conn_keepalive_tok = 0, conn_upgrade_tok = 0;

	/*
	 * Everything request-scoped fits in three times the head: the
	 * parsed copies (target, host, URL) and the cache's copy of the
	 * fields for Vary (cache_req.c).
	 */
	asize = r->r_head_len * 3 + sizeof(struct http_head) + 1024;
	c->arena = buf_get(asize <= BUF_SMALL ? BUF_SMALL :
	    worker_conf->request_header_max_size * 3 +
	    sizeof(struct http_head) + 1024);
	if (c->arena == NULL)
		return conn_close(c);
	h = r->r_head = r->r_hstore = req_alloc(c, sizeof(*h));
	AN(h);
	rc = http_request_parse(c->cbuf->pos, r->r_head_len, h, &why);
	r->r_code = "NONE_NONE";
	if (rc != 0) {
		log_info("conn %u client %s: bad request: %s", c->id,
		    c->c_peer_text, why ? why : "?");
		return req_fail(c, rc == 431 ? ERR_TOO_BIG :
		    rc == 505 ? ERR_UNSUP_HTTPVERSION : ERR_INVALID_REQ);
	}
	/* RFC 9112 §3: a request line over the limit gets 414. */
	if ((size_t)(h->target - h->method) + h->target_len + 9 >
	    worker_conf->request_line_max_size) {
		log_info("conn %u client %s: request line over %zu bytes",
		    c->id, c->c_peer_text, worker_conf->request_line_max_size);
		return req_fail(c, ERR_URI_TOO_LONG);
	}
	/* RFC 6585 §5: too many fields is 431 as well. */
	if (h->nfields > (size_t)worker_conf->request_header_max_fields) {
		log_info("conn %u client %s: %zu header fields, over "
		    "request_header_max_fields", c->id, c->c_peer_text,
		    h->nfields);
		return req_fail(c, ERR_TOO_BIG);
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
		return req_fail(c, rc == 501 ? ERR_UNSUP_REQ : ERR_INVALID_REQ);
	}
	if (r->r_connect && mode != HTTP_BODY_NONE) {
		log_info("conn %u client %s: CONNECT with a body", c->id,
		    c->c_peer_text);
		return req_fail(c, ERR_INVALID_REQ);
	}
	req_body_init(&r->r_body, mode, len, 0);

	rc = req_parse_target(c);
	if (r->r_step == REQ_SYNTH) {
		log_info("conn %u client %s: bad request target '%.*s'", c->id,
		    c->c_peer_text, (int)(h->target_len > 200 ? 200 :
		    h->target_len), h->target);
		return rc;
	}
	if (req_make_url(c) == -1)
		return req_fail(c, ERR_TOO_BIG);
	/* RFC 9110 §15.5.14: a declared length over the limit: 413 at once. */
	if (worker_conf->request_body_max_size > 0 &&
	    mode == HTTP_BODY_LENGTH && len > worker_conf->request_body_max_size) {
		log_info("conn %u client %s: request body of %llu bytes for %s "
		    "over request_body_max_size", c->id, c->c_peer_text,
		    (unsigned long long)len, r->r_url);
		return req_fail(c, ERR_BODY_TOO_BIG);
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
				return req_fail(c, ERR_EXPECTATION_FAILED);
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
				return req_fail(c, ERR_LOOP_DETECTED);
			}
		}
	}
	/* RFC 9112 §9.3: persistence defaults by version. */
	r->r_keepalive = r->r_version == 11 ? !conn_close_tok :
	    conn_keepalive_tok && !conn_close_tok;
	if (conn_upgrade_tok && req_upgrade_offer(c) == -1)
		return req_fail(c, ERR_TOO_BIG);
	r->r_code = r->r_connect ? "TCP_TUNNEL" : "TCP_MISS";
	r->r_step = REQ_ACCESS_PRE;
	return SL_OK;
}

/* What the ACLs see of the request; @p dst is NULL before DNS. */
void
req_acl_fill(struct conn *c, struct acl_req *ar, const struct sockaddr *dst)
{
	struct req *r = &c->r;

	memset(ar, 0, sizeof(*ar));
	ar->src = (const struct sockaddr *)&c->c_peer;
	ar->dst = dst;
	ar->method = r->r_method;
	ar->proto = r->r_connect ? "NONE" : "HTTP";	/* squid's names */
	ar->port = r->r_port;
	ar->host = r->r_host;
	ar->url = r->r_url;
	ar->path = r->r_connect || r->r_path == NULL ? "" : r->r_path;
	ar->user = r->r_user;
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
 * cache_log (once, info) and to the access log's %sluice::rule code,
 * never to the client.
 */
static int
req_deny(struct conn *c, size_t rule, const char *what)
{
	struct req *r = &c->r;

	r->r_rule = rule ? acl_rule_where(worker_conf->acl, rule) :
	    "default-deny";
	log_info("conn %u client %s%s%s: %s %s%s denied by %s", c->id,
	    c->c_peer_text, r->r_user ? " user " : "", r->r_user ? r->r_user :
	    "", r->r_method, r->r_url, what, r->r_rule);
	r->r_code = "TCP_DENIED";
	return req_fail(c, ERR_ACCESS_DENIED);
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
		return req_fail(c, ERR_ACCESS_DENIED);
	}
	/* An IP-literal host is its own destination: checked at once. */
	req_acl_fill(c, &ar, r->r_dst_lit ?
	    (const struct sockaddr *)&r->r_dst : NULL);
	switch (acl_check(worker_conf->acl, &ar, &rule)) {
	case ACL_ALLOW:
	case ACL_NEED_DST:
		/* ACCESS_POST checks every resolved address. */
		r->r_step = REQ_RESOLVE;
		return SL_OK;
	case ACL_NEED_AUTH:
		r->r_auth_ret = REQ_ACCESS_PRE;
		r->r_step = REQ_AUTH;
		return SL_OK;
	case ACL_DENY:
	default:
		return req_deny(c, rule, "");
	}
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
		return req_fail(c, ERR_AUTH_UNAVAILABLE);
	}
	if (r->r_authq != NULL)
		return SL_AGAIN;	/* woken by other I/O */
	if (r->r_auth_done) {
		r->r_auth_done = 0;
		switch (r->r_auth_rc) {
		case AUTH_OK:
			r->r_user = r->r_auth_user;
			r->r_step = r->r_auth_ret;
			return SL_OK;
		case AUTH_FAIL:
			log_info("conn %u client %s: wrong credentials for "
			    "user %s", c->id, c->c_peer_text, r->r_auth_user);
			r->r_code = "TCP_DENIED";
			return req_fail(c, ERR_CACHE_ACCESS_DENIED);
		default:
			log_info("conn %u client %s: credentials of user %s "
			    "could not be checked", c->id, c->c_peer_text,
			    r->r_auth_user);
			return req_fail(c, ERR_AUTH_UNAVAILABLE);
		}
	}
	if (r->r_user != NULL) {
		/* The acl module asked again with a user: a bug there. */
		log_warnx("conn %u: proxy_auth asked twice", c->id);
		return req_deny(c, 0, "");
	}
	if (!auth_enabled()) {
		log_warnx("conn %u client %s: a proxy_auth acl needs "
		    "auth_param basic program; denying %s", c->id,
		    c->c_peer_text, r->r_url);
		r->r_rule = "no-auth_param";
		r->r_code = "TCP_DENIED";
		return req_fail(c, ERR_ACCESS_DENIED);
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
		return req_fail(c, ERR_CACHE_ACCESS_DENIED);
	}
	rc = auth_check(user, pass, req_auth_done, c, &r->r_authq);
	explicit_bzero(pass, sizeof(pass));
	if ((r->r_auth_user = req_strdup(c, user, strlen(user))) == NULL) {
		auth_cancel(r->r_authq);
		r->r_authq = NULL;
		return req_fail(c, ERR_TOO_BIG);
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

/*
 * RFC 9110 §7.6.2: an OPTIONS or TRACE with Max-Forwards: 0 is ours to
 * answer.  TRACE reflects the request head as message/http (§9.3.8),
 * without the credentials fields; OPTIONS says what we forward.
 */
static int
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
		return req_fail(c, ERR_INVALID_REQ);
	}
	/* An unread body must not be taken for the next request. */
	if (!r->r_body.done || worker_draining())
		r->r_keepalive = 0;
	body = buf_get(BUF_SMALL);
	if (body == NULL)
		return req_fail(c, ERR_NO_RESOURCES);
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
		return req_fail(c, ERR_NO_RESOURCES);
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
	r->r_step = REQ_DELIVER;
	return SL_OK;
toobig:
	buf_put(body);
	return req_fail(c, ERR_TOO_BIG);
}

int
req_step_resolve(struct conn *c)
{
	struct req *r = &c->r;
	struct sockaddr_storage ss;

	if (r->r_maxfwd == 0)
		return req_answer_self(c);

	if (r->r_timed_out) {
		r->r_timed_out = 0;
		dns_cancel(r->r_dnsq);
		r->r_dnsq = NULL;
		log_info("conn %u client %s: DNS lookup of %s timed out", c->id,
		    c->c_peer_text, r->r_host);
		return req_fail(c, ERR_DNS_FAIL);
	}
	if (r->r_dnsq != NULL)
		return SL_AGAIN;	/* woken by other I/O */
	if (!r->r_dns_done) {
		if (sockaddr_from_literal(r->r_host, r->r_port, &ss) == 0) {
			r->r_addrs = req_alloc(c, sizeof(ss));
			if (r->r_addrs == NULL)
				return req_fail(c, ERR_NO_RESOURCES);
			r->r_addrs[0] = ss;
			r->r_naddrs = 1;
			r->r_step = REQ_ACCESS_POST;
			return SL_OK;
		}
		req_timer(c, worker_conf->dns_timeout);
		r->r_dns_sync = 1;
		if (dns_resolve(r->r_host, req_dns_done, c, &r->r_dnsq) == -1) {
			r->r_dns_sync = 0;
			return req_fail(c, ERR_NO_RESOURCES);
		}
		r->r_dns_sync = 0;
		if (!r->r_dns_done)
			return SL_AGAIN;
	}
	if (r->r_dns_rc != 0) {
		log_info("conn %u client %s: DNS lookup of %s failed: %s", c->id,
		    c->c_peer_text, r->r_host, r->r_dns_rc > 0 ?
		    dns_strerror(r->r_dns_rc) : "out of memory");
		return req_fail(c, ERR_DNS_FAIL);
	}
	r->r_step = REQ_ACCESS_POST;
	return SL_OK;
}

/*
 * http_access once per resolved address: only the allowed ones are kept
 * (in place, in order) for CONNECT_UP, so a name that resolves to a
 * forbidden address never reaches it; none allowed is a 403.
 */
int
req_step_access_post(struct conn *c)
{
	struct req *r = &c->r;
	struct acl_req ar;
	enum acl_verdict v;
	size_t i, kept = 0, rule = 0, deny_rule = 0;
	int ndenied = 0;

	/* A first pass without changes: NEED_AUTH sends us to AUTH and back. */
	for (i = 0; i < r->r_naddrs; i++) {
		req_acl_fill(c, &ar, (const struct sockaddr *)&r->r_addrs[i]);
		if (acl_check(worker_conf->acl, &ar, &rule) == ACL_NEED_AUTH) {
			r->r_auth_ret = REQ_ACCESS_POST;
			r->r_step = REQ_AUTH;
			return SL_OK;
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
		return req_deny(c, deny_rule, r->r_naddrs > 1 ?
		    " (every address)" : "");
	r->r_naddrs = kept;
	r->r_addr_i = 0;
	r->r_step = REQ_CACHE_LOOKUP;
	return SL_OK;
}

int
req_step_deliver(struct conn *c)
{
	struct req *r = &c->r;
	int rc, side = 0;

	if (r->r_timed_out) {
		r->r_timed_out = 0;
		log_info("conn %u client %s: %s timed out while sending the "
		    "response", c->id, c->c_peer_text, r->r_url);
		r->r_code_sfx = "_TIMEDOUT";
		r->r_keepalive = 0;
		r->r_step = REQ_LOG;
		return SL_OK;
	}
	rc = req_flush_obuf(c);
	if (rc == SL_AGAIN) {
		req_timer(c, worker_conf->read_timeout);
		return SL_AGAIN;
	}
	if (rc == SL_ERROR) {
		log_info("conn %u client %s: client went away: %s", c->id,
		    c->c_peer_text, strerror(errno));
		r->r_code_sfx = "_ABORTED";
		r->r_keepalive = 0;
		r->r_step = REQ_LOG;
		return SL_OK;
	}
	if (r->r_interim) {
		/*
		 * A 1xx went out whole; the final response is still to come,
		 * and an error page may still take its place.
		 */
		r->r_interim = 0;
		r->r_head_sent = 0;
		buf_reset(c->obuf);
		r->r_step = REQ_RECV_RESP_HEAD;
		return SL_OK;
	}
	if (r->r_synth) {
		r->r_step = REQ_LOG;
		return SL_OK;
	}
	rc = req_relay_body(c, &r->r_rbody, c->ubuf, c->u_io.fd, c->c_io.fd,
	    &r->r_bytes_out, &side);
	if (rc == SL_AGAIN) {
		req_timer(c, worker_conf->read_timeout);
		return SL_AGAIN;
	}
	if (rc == SL_ERROR) {
		/*
		 * RFC 9112 §8: an incomplete response must not look complete:
		 * close the client connection instead of ending the message.
		 */
		if (side == 'd')
			log_info("conn %u client %s: client went away during "
			    "%s", c->id, c->c_peer_text, r->r_url);
		else
			log_warnx("conn %u client %s: upstream %s %s the "
			    "response body of %s; closing the client "
			    "connection", c->id, c->c_peer_text, r->r_peer,
			    side == 'f' ? "broke the framing of" :
			    "closed before the end of", r->r_url);
		/* Squid's mark for a transaction that did not complete. */
		r->r_code_sfx = "_ABORTED";
		r->r_keepalive = 0;
		cache_body_end(c, 0);
	} else {
		if (r->r_rbody.sink) {
			r->r_code_sfx = "_ABORTED";	/* for its client */
			r->r_keepalive = 0;
		}
		cache_body_end(c, rc == SL_OK);
		if (r->r_up_keep && r->r_body.done && buf_len(c->ubuf) == 0)
			r->r_up_reusable = 1;	/* clean: upstream_release() */
	}
	r->r_step = REQ_LOG;
	return SL_OK;
}

int
req_step_synth(struct conn *c)
{
	struct req *r = &c->r;

	ev_timer_stop(&c->c_timer);
	r->r_up_reusable = 0;
	upstream_release(c);
	r->r_status = errpage_status(r->r_err);
	/* The next request on this connection starts after this one. */
	req_consume_head(c);
	if (r->r_head_sent) {
		/* Too late for an error page: the client sees a close. */
		r->r_keepalive = 0;
		r->r_step = REQ_LOG;
		return SL_OK;
	}
	/* The origin is unreachable: a stale stored response may do. */
	if (!r->r_body.done || worker_draining())
		r->r_keepalive = 0;
	if (cache_stale_on_error(c))
		return SL_OK;
	/*
	 * Keep the connection only when the request was read to its end:
	 * after a framing or syntax error nothing more on it can be trusted
	 * (RFC 9112 §11.2: request smuggling).
	 */
	if (r->r_status == 400 || r->r_status == 408 || r->r_status == 414 ||
	    r->r_status == 431 || r->r_status == 501 || r->r_status == 505 ||
	    !r->r_body.done || worker_draining())
		r->r_keepalive = 0;
	if (c->obuf == NULL && (c->obuf = buf_get(BUF_SMALL)) == NULL)
		return conn_close(c);
	if (r->r_err == ERR_CACHE_ACCESS_DENIED) {
		/* RFC 9110 §11.7.1: a 407 carries the challenge. */
		char hdr[600];

		snprintf(hdr, sizeof(hdr), "Proxy-Authenticate: Basic "
		    "realm=\"%s\"\r\n", auth_realm());
		if (errpage_build_hdrs(c->obuf, r->r_err, r->r_url,
		    worker_conf->visible_hostname, r->r_keepalive, hdr) == -1)
			return conn_close(c);
	} else if (errpage_build(c->obuf, r->r_err, r->r_url,
	    worker_conf->visible_hostname, r->r_keepalive) == -1)
		return conn_close(c);
	if (r->r_method == NULL || r->r_url == NULL) {
		r->r_method = "NONE";
		r->r_url = "error:invalid-request";
	}
	r->r_ctype = "text/html";
	r->r_synth = 1;
	r->r_step = REQ_DELIVER;
	return SL_OK;
}

int
req_step_log(struct conn *c)
{
	struct req *r = &c->r;

	accesslog_log(c);
	cache_cf_leave(c);
	r->r_step = REQ_FINISH;
	return SL_OK;
}

int
req_step_linger(struct conn *c)
{
	struct req *r = &c->r;
	ssize_t n;

	if (r->r_timed_out)
		return conn_close(c);
	for (;;) {
		buf_reset(c->cbuf);
		n = read(c->c_io.fd, c->cbuf->last, buf_room(c->cbuf));
		if (n > 0) {
			r->r_lingered += (uint64_t)n;
			if (r->r_lingered > REQ_LINGER_MAX)
				return conn_close(c);
			continue;
		}
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			return SL_AGAIN;
		return conn_close(c);	/* EOF or error: the client is done */
	}
}

int
req_step_finish(struct conn *c)
{
	struct req *r = &c->r;
	int keep;

	ev_timer_stop(&c->c_timer);
	cache_body_end(c, 0);
	if (r->r_hit_fd >= 0) {
		close(r->r_hit_fd);
		r->r_hit_fd = -1;
	}
	upstream_release(c);
	spipe_close(&r->r_body.sp);
	spipe_close(&r->r_rbody.sp);
	if (r->r_dnsq != NULL)
		dns_cancel(r->r_dnsq);
	auth_cancel(r->r_authq);
	r->r_authq = NULL;
	keep = r->r_keepalive && !worker_draining() &&
	    ev_now() < c->c_accepted_ms + worker_conf->client_lifetime;
	if (!keep && (r->r_synth || !r->r_body.done)) {
		/*
		 * We answered before reading the whole request (our error, or
		 * an upstream that answered early): closing now
		 * with unread input would make the kernel send a reset that
		 * can destroy our answer before the client reads it.  Send
		 * FIN and discard input for a while first (nginx's
		 * lingering close).
		 */
		(void)shutdown(c->c_io.fd, SHUT_WR);
		buf_put(c->ubuf);
		buf_put(c->obuf);
		buf_put(c->arena);
		c->ubuf = c->obuf = c->arena = NULL;
		req_timer(c, REQ_LINGER_MS);
		r->r_step = REQ_LINGER;
		return SL_OK;
	}
	if (!keep)
		return conn_close(c);
	/* Give back all but the bytes of a pipelined next request. */
	buf_put(c->ubuf);
	buf_put(c->obuf);
	buf_put(c->arena);
	c->ubuf = c->obuf = c->arena = NULL;
	if (buf_len(c->cbuf) == 0) {
		buf_put(c->cbuf);
		c->cbuf = NULL;
	} else
		buf_compact(c->cbuf);
	c->c_nreq++;
	req_reset(c);
	req_timer(c, worker_conf->client_idle_pconn_timeout);
	return SL_OK;
}
