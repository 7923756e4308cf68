/*
 * origin.c -- the scripted origin server (see origin.h).  Runs in its own
 * thread of the test process.
 *
 * The thread polls the listening socket, its connections and a stop pipe.
 * A readable connection is served request by request while its buffer
 * holds bytes (pipelining); each read and write waits at most
 * ORIGIN_IO_MS and also wakes on the stop pipe.  Sockets are
 * non-blocking; sends use MSG_NOSIGNAL.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* accept4, pipe2, memmem, strcasestr */
#endif
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "harness.h"
#include "origin.h"
#include "tap.h"

#define ORIGIN_IO_MS		10000
#define ORIGIN_MAX_CONNS	512
#define ORIGIN_MAX_REQS		1024
#define ORIGIN_MAX_HEAD		65536
#define ORIGIN_MAX_NOTES	32
#define ORIGIN_ECHO_MAX		(64u << 20)

struct origin_conn {
	int		 fd;
	int		 id;
	char		*buf;
	size_t		 len, cap;
	SSL		*ssl;		/* TLS mode, after the handshake */
	char		 sni[256];	/* "" when none */
	int		 no_notify;	/* close without close_notify */
};

struct origin {
	const struct origin_step *steps;
	int		 nsteps;
	int		 cur;		/* next step */
	int		 cur_hits;	/* requests matched by steps[cur] */
	int		 lfd;
	int		 port;
	int		 stop[2];
	pthread_t	 thread;
	int		 running;
	SSL_CTX		*tls;		/* origin_start_tls(), or NULL */
	int		 tls_failed;	/* handshakes that failed */
	pthread_mutex_t	 mtx;
	struct origin_req *req[ORIGIN_MAX_REQS];
	int		 nreq;
	int		 nconn;
	int		 unexpected;
	char		*note[ORIGIN_MAX_NOTES];
	int		 nnote;
	struct origin_conn conn[ORIGIN_MAX_CONNS];
	/* Current request body for ORIGIN_ECHO. */
	char		*echo;
	size_t		 echo_len, echo_cap;
};

/* Body sink while reading a request. */
struct origin_sink {
	struct origin_req *r;
	struct origin	*o;
	int		 keep_all;	/* ORIGIN_ECHO */
};

static void	origin_note(struct origin *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

static void
origin_note(struct origin *o, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&o->mtx);
	if (o->nnote < ORIGIN_MAX_NOTES)
		o->note[o->nnote++] = strdup(buf);
	pthread_mutex_unlock(&o->mtx);
}

static int64_t
origin_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Wait for @p ev on @p fd, or the stop pipe.
 * @return 1 ready, 0 timeout, -1 stopped or the peer hung up (for
 * POLLRDHUP waits).
 */
static int
origin_wait(struct origin *o, int fd, short ev, int ms)
{
	struct pollfd p[2];
	int rc;

	p[0].fd = fd;
	p[0].events = ev;
	p[1].fd = o->stop[0];
	p[1].events = POLLIN;
	for (;;) {
		rc = poll(p, 2, ms);
		if (rc == -1 && errno == EINTR)
			continue;
		if (rc <= 0)
			return rc == 0 ? 0 : -1;
		if (p[1].revents != 0)
			return -1;
		if (ev == POLLRDHUP && p[0].revents != 0)
			return -1;
		return 1;
	}
}

/* Sleep @p ms unless stopped or the peer closes. @return 0, -1 cut short. */
static int
origin_pause(struct origin *o, struct origin_conn *c, int ms)
{
	int64_t until = origin_now() + ms;
	int64_t left;
	int rc;

	while ((left = until - origin_now()) > 0) {
		rc = origin_wait(o, c->fd, POLLRDHUP, (int)left);
		if (rc == -1)
			return -1;
	}
	return 0;
}

/* Read more into c->buf. @return bytes read, 0 EOF, -1 error/timeout. */
static ssize_t
origin_fill(struct origin *o, struct origin_conn *c)
{
	ssize_t n;
	char *nb;

	if (c->cap - c->len < 16384) {
		nb = realloc(c->buf, c->cap * 2);
		if (nb == NULL)
			return -1;
		c->buf = nb;
		c->cap *= 2;
	}
	for (;;) {
		if (c->ssl != NULL) {
			size_t got;
			int rc, e;

			ERR_clear_error();
			rc = SSL_read_ex(c->ssl, c->buf + c->len,
			    c->cap - c->len, &got);
			if (rc == 1) {
				c->len += got;
				return (ssize_t)got;
			}
			e = SSL_get_error(c->ssl, rc);
			ERR_clear_error();
			if (e == SSL_ERROR_ZERO_RETURN)
				return 0;
			if (e != SSL_ERROR_WANT_READ &&
			    e != SSL_ERROR_WANT_WRITE)
				return -1;
			if (origin_wait(o, c->fd, e == SSL_ERROR_WANT_READ ?
			    POLLIN : POLLOUT, ORIGIN_IO_MS) != 1)
				return -1;
			continue;
		}
		n = recv(c->fd, c->buf + c->len, c->cap - c->len, 0);
		if (n >= 0) {
			c->len += (size_t)n;
			return n;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -1;
		if (origin_wait(o, c->fd, POLLIN, ORIGIN_IO_MS) != 1)
			return -1;
	}
}

static void
origin_consume(struct origin_conn *c, size_t n)
{
	memmove(c->buf, c->buf + n, c->len - n);
	c->len -= n;
}

static int
origin_send(struct origin *o, struct origin_conn *c, const void *p, size_t n)
{
	const char *q = p;
	ssize_t w;

	while (n > 0 && c->ssl != NULL) {
		size_t done;
		int rc, e;

		ERR_clear_error();
		rc = SSL_write_ex(c->ssl, q, n, &done);
		if (rc == 1) {
			q += done;
			n -= done;
			continue;
		}
		e = SSL_get_error(c->ssl, rc);
		ERR_clear_error();
		if ((e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) ||
		    origin_wait(o, c->fd, e == SSL_ERROR_WANT_READ ? POLLIN :
		    POLLOUT, ORIGIN_IO_MS) != 1)
			return -1;
	}
	while (n > 0) {
		w = send(c->fd, q, n, MSG_NOSIGNAL);
		if (w > 0) {
			q += w;
			n -= (size_t)w;
			continue;
		}
		if (w == -1 && errno == EINTR)
			continue;
		if (w == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (origin_wait(o, c->fd, POLLOUT, ORIGIN_IO_MS) != 1)
				return -1;
			continue;
		}
		return -1;
	}
	return 0;
}

static void
origin_sink_put(struct origin_sink *s, const char *p, size_t n)
{
	struct origin_req *r = s->r;
	struct origin *o = s->o;
	size_t keep;
	char *nb;

	r->body_hash = harness_hash(r->body_hash, p, n);
	if (r->body_len < ORIGIN_BODY_KEEP) {
		keep = ORIGIN_BODY_KEEP - r->body_len;
		if (keep > n)
			keep = n;
		memcpy(r->body + r->body_len, p, keep);
		r->body[r->body_len + keep] = '\0';
	}
	r->body_len += n;
	if (s->keep_all && o->echo_len + n <= ORIGIN_ECHO_MAX) {
		if (o->echo_len + n > o->echo_cap) {
			size_t cap = o->echo_cap ? o->echo_cap : 65536;

			while (cap < o->echo_len + n)
				cap *= 2;
			nb = realloc(o->echo, cap);
			if (nb == NULL)
				return;
			o->echo = nb;
			o->echo_cap = cap;
		}
		memcpy(o->echo + o->echo_len, p, n);
		o->echo_len += n;
	}
}

/* Move @p n body bytes from the connection into the sink. */
static int
origin_take(struct origin *o, struct origin_conn *c, struct origin_sink *s,
    size_t n)
{
	size_t k;

	while (n > 0) {
		if (c->len == 0 && origin_fill(o, c) <= 0)
			return -1;
		k = c->len < n ? c->len : n;
		origin_sink_put(s, c->buf, k);
		origin_consume(c, k);
		n -= k;
	}
	return 0;
}

/* Read one CRLF-terminated line (without it) into @p line. */
static int
origin_line(struct origin *o, struct origin_conn *c, char *line, size_t size)
{
	char *nl;
	size_t n;

	while ((nl = memchr(c->buf, '\n', c->len)) == NULL) {
		if (c->len > 4096 || origin_fill(o, c) <= 0)
			return -1;
	}
	n = (size_t)(nl - c->buf);
	if (n > 0 && c->buf[n - 1] == '\r')
		n--;
	if (n >= size)
		n = size - 1;
	memcpy(line, c->buf, n);
	line[n] = '\0';
	origin_consume(c, (size_t)(nl - c->buf) + 1);
	return 0;
}

/* RFC 9112 §7.1: chunk-size [ext] CRLF data CRLF ... 0 CRLF trailers CRLF */
static int
origin_take_chunked(struct origin *o, struct origin_conn *c,
    struct origin_sink *s)
{
	char line[4096], *end, *nt;
	unsigned long long size;
	size_t n;

	for (;;) {
		if (origin_line(o, c, line, sizeof(line)) == -1)
			return -1;
		size = strtoull(line, &end, 16);
		if (end == line)
			return -1;
		if (size == 0)
			break;
		if (origin_take(o, c, s, (size_t)size) == -1 ||
		    origin_line(o, c, line, sizeof(line)) == -1 ||
		    line[0] != '\0')
			return -1;
	}
	/* Trailer section, up to the empty line, kept as received. */
	for (;;) {
		if (origin_line(o, c, line, sizeof(line)) == -1)
			return -1;
		if (line[0] == '\0')
			return 0;
		n = (s->r->trailers != NULL ? strlen(s->r->trailers) : 0);
		nt = realloc(s->r->trailers, n + strlen(line) + 3);
		if (nt == NULL)
			return -1;
		s->r->trailers = nt;
		snprintf(nt + n, strlen(line) + 3, "%s\r\n", line);
	}
}

char *
origin_req_header(const struct origin_req *r, const char *name, char *buf,
    size_t size)
{
	const char *p, *v, *e;
	size_t nlen = strlen(name), n;

	p = strchr(r->head, '\n');
	while (p != NULL && *++p != '\0') {
		if (strncasecmp(p, name, nlen) == 0 && p[nlen] == ':') {
			v = p + nlen + 1;
			while (*v == ' ' || *v == '\t')
				v++;
			e = v;
			while (*e != '\0' && *e != '\r' && *e != '\n')
				e++;
			while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
				e--;
			n = (size_t)(e - v);
			if (n >= size)
				n = size - 1;
			memcpy(buf, v, n);
			buf[n] = '\0';
			return buf;
		}
		p = strchr(p, '\n');
	}
	return NULL;
}

static const char *
origin_reason(int status)
{
	switch (status) {
	case 100: return "Continue";
	case 200: return "OK";
	case 201: return "Created";
	case 204: return "No Content";
	case 206: return "Partial Content";
	case 301: return "Moved Permanently";
	case 302: return "Found";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 500: return "Internal Server Error";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	default: return "Whatever";
	}
}

/* Does @p r match @p s? */
static int
origin_match(const struct origin_step *s, const struct origin_req *r)
{
	if (strncmp(r->line, s->expect, strlen(s->expect)) != 0)
		return 0;
	if (s->expect_hdr != NULL && strcasestr(r->head, s->expect_hdr) == NULL)
		return 0;
	return 1;
}

/* Choose the step for @p r, advancing past satisfied ORIGIN_REPEAT steps. */
static int
origin_pick(struct origin *o, const struct origin_req *r)
{
	const struct origin_step *s;

	while (o->cur < o->nsteps) {
		s = &o->steps[o->cur];
		if (origin_match(s, r)) {
			o->cur_hits++;
			if (!(s->flags & ORIGIN_REPEAT)) {
				o->cur++;
				o->cur_hits = 0;
				return o->cur - 1;
			}
			return o->cur;
		}
		if ((s->flags & ORIGIN_REPEAT) && o->cur_hits > 0) {
			o->cur++;
			o->cur_hits = 0;
			continue;
		}
		return -1;
	}
	return -1;
}

/* Send the body bytes [from, to) of the step's body. */
static int
origin_send_body(struct origin *o, struct origin_conn *c,
    const struct origin_step *s, const char *body, size_t from, size_t to)
{
	static const size_t sizes[] = { 1, 10, 1000, 8192, 65536, 333, 40000 };
	char buf[65536], hdr[32];
	size_t k, max;
	int n, i = 0;

	while (from < to) {
		max = (s->flags & ORIGIN_CHUNKED) ?
		    sizes[i++ % (sizeof(sizes) / sizeof(sizes[0]))] :
		    sizeof(buf);
		k = to - from < max ? to - from : max;
		if (k > sizeof(buf))
			k = sizeof(buf);
		if (body != NULL)
			memcpy(buf, body + from, k);
		else
			harness_pattern(buf, from, k);
		if (s->flags & ORIGIN_CHUNKED) {
			n = snprintf(hdr, sizeof(hdr), "%zx\r\n", k);
			if (origin_send(o, c, hdr, (size_t)n) == -1)
				return -1;
		}
		if (origin_send(o, c, buf, k) == -1)
			return -1;
		if ((s->flags & ORIGIN_CHUNKED) &&
		    origin_send(o, c, "\r\n", 2) == -1)
			return -1;
		from += k;
	}
	return 0;
}

/*
 * Answer @p r as step @p s says.
 * @return 0 keep the connection, -1 close it.
 */
static int
origin_respond(struct origin *o, struct origin_conn *c,
    const struct origin_step *s, const struct origin_req *r)
{
	char head[8192];
	const char *body;
	size_t blen, half;
	int n, has_framing, no_body, is_head;

	if (s->flags & ORIGIN_NO_CLOSE_NOTIFY)
		c->no_notify = 1;
	if (s->flags & ORIGIN_NO_RESPONSE)
		return -1;
	if (s->delay_ms > 0 && origin_pause(o, c, s->delay_ms) == -1)
		return -1;
	if (s->flags & ORIGIN_ECHO) {
		body = o->echo;
		blen = o->echo_len;
		if (body == NULL)
			body = "";
	} else if (s->body != NULL) {
		body = s->body;
		blen = s->body_len ? s->body_len : strlen(s->body);
	} else {
		body = NULL;
		blen = s->body_len;
	}
	if (s->flags & ORIGIN_RAW) {
		(void)origin_send(o, c, body != NULL ? body : "", blen);
		return -1;
	}

	is_head = strncmp(r->line, "HEAD ", 5) == 0;
	no_body = is_head || s->status / 100 == 1 || s->status == 204 ||
	    s->status == 304;
	has_framing = s->headers != NULL &&
	    (strcasestr(s->headers, "Content-Length:") != NULL ||
	    strcasestr(s->headers, "Transfer-Encoding:") != NULL);
	n = snprintf(head, sizeof(head), "HTTP/1.1 %d %s\r\n"
	    "Server: sluice-test-origin\r\n%s", s->status,
	    origin_reason(s->status), s->headers != NULL ? s->headers : "");
	if (!has_framing && s->status / 100 != 1 && s->status != 204 &&
	    s->status != 304) {
		if (s->flags & ORIGIN_CHUNKED)
			n += snprintf(head + n, sizeof(head) - (size_t)n,
			    "Transfer-Encoding: chunked\r\n");
		else if (!(s->flags & ORIGIN_NO_LENGTH))
			n += snprintf(head + n, sizeof(head) - (size_t)n,
			    "Content-Length: %zu\r\n", blen);
	}
	if (s->flags & (ORIGIN_CLOSE | ORIGIN_NO_LENGTH))
		n += snprintf(head + n, sizeof(head) - (size_t)n,
		    "Connection: close\r\n");
	n += snprintf(head + n, sizeof(head) - (size_t)n, "\r\n");
	if ((size_t)n >= sizeof(head)) {
		origin_note(o, "step \"%s\": response head too long",
		    s->expect);
		return -1;
	}
	if (origin_send(o, c, head, (size_t)n) == -1)
		return -1;
	if (no_body)
		return (s->flags & (ORIGIN_CLOSE | ORIGIN_NO_LENGTH)) ? -1 : 0;

	half = (s->flags & (ORIGIN_STALL | ORIGIN_RESET)) ? blen / 2 : blen;
	if (origin_send_body(o, c, s, body, 0, half) == -1)
		return -1;
	if (s->flags & ORIGIN_RESET) {
		struct linger l = { 1, 0 };

		if (s->stall_ms > 0 && origin_pause(o, c, s->stall_ms) == -1)
			return -1;
		/* close() with SO_LINGER 0 sends RST (origin_conn_close). */
		(void)setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
		return -1;
	}
	if (s->flags & ORIGIN_STALL) {
		if (origin_pause(o, c, s->stall_ms) == -1)
			return -1;
		if (origin_send_body(o, c, s, body, half, blen) == -1)
			return -1;
	}
	if ((s->flags & ORIGIN_CHUNKED) &&
	    origin_send(o, c, "0\r\n\r\n", 5) == -1)
		return -1;
	return (s->flags & (ORIGIN_CLOSE | ORIGIN_NO_LENGTH)) ? -1 : 0;
}

static void
origin_req_free(struct origin_req *r)
{
	if (r == NULL)
		return;
	free(r->line);
	free(r->head);
	free(r->body);
	free(r->sni);
	free(r->trailers);
	free(r);
}

/*
 * Read and answer one request on @p c.
 * @return 0 keep the connection, -1 close it.
 */
static int
origin_serve_one(struct origin *o, struct origin_conn *c)
{
	struct origin_sink sink;
	struct origin_req *r;
	const struct origin_step *s = NULL;
	char *end, val[256], *p;
	const char *msg;
	size_t hlen;
	long long clen = 0;
	int idx, rc;
	ssize_t n;

	/* The head, up to the empty line. */
	for (;;) {
		end = c->len >= 4 ? memmem(c->buf, c->len, "\r\n\r\n", 4) :
		    NULL;
		if (end != NULL)
			break;
		if (c->len > ORIGIN_MAX_HEAD) {
			origin_note(o, "conn %d: request head over %d bytes",
			    c->id, ORIGIN_MAX_HEAD);
			return -1;
		}
		n = origin_fill(o, c);
		if (n <= 0) {
			if (c->len > 0)
				origin_note(o, "conn %d: closed or timed out "
				    "in a request head (%zu bytes)", c->id,
				    c->len);
			return -1;
		}
	}
	hlen = (size_t)(end - c->buf) + 4;

	r = calloc(1, sizeof(*r));
	if (r == NULL)
		return -1;
	r->head = malloc(hlen + 1);
	r->body = malloc(ORIGIN_BODY_KEEP + 1);
	if (r->head == NULL || r->body == NULL) {
		origin_req_free(r);
		return -1;
	}
	memcpy(r->head, c->buf, hlen);
	r->head[hlen] = '\0';
	r->body[0] = '\0';
	r->line = strndup(r->head, strcspn(r->head, "\r\n"));
	r->conn = c->id;
	if (c->ssl != NULL) {
		r->tls = 1;
		if (c->sni[0] != '\0')
			r->sni = strdup(c->sni);
	}
	origin_consume(c, hlen);

	pthread_mutex_lock(&o->mtx);
	idx = origin_pick(o, r);
	pthread_mutex_unlock(&o->mtx);
	r->step = idx;
	if (idx >= 0)
		s = &o->steps[idx];
	o->echo_len = 0;

	/* RFC 9110 §10.1.1: answer 100-continue before reading the body. */
	if (origin_req_header(r, "Expect", val, sizeof(val)) != NULL &&
	    strcasecmp(val, "100-continue") == 0)
		(void)origin_send(o, c, "HTTP/1.1 100 Continue\r\n\r\n",
		    strlen("HTTP/1.1 100 Continue\r\n\r\n"));

	sink.r = r;
	sink.o = o;
	sink.keep_all = s != NULL && (s->flags & ORIGIN_ECHO);
	rc = 0;
	if (origin_req_header(r, "Transfer-Encoding", val, sizeof(val)) !=
	    NULL) {
		r->chunked = strcasestr(val, "chunked") != NULL;
		if (!r->chunked || origin_take_chunked(o, c, &sink) == -1) {
			origin_note(o, "conn %d: bad chunked request body "
			    "(%s)", c->id, r->line);
			rc = -1;
		}
	} else if (origin_req_header(r, "Content-Length", val, sizeof(val)) !=
	    NULL) {
		clen = strtoll(val, &p, 10);
		if (p == val || *p != '\0' || clen < 0 ||
		    origin_take(o, c, &sink, (size_t)clen) == -1) {
			origin_note(o, "conn %d: request body short or bad "
			    "Content-Length (%s)", c->id, r->line);
			rc = -1;
		}
	}

	pthread_mutex_lock(&o->mtx);
	if (o->nreq < ORIGIN_MAX_REQS)
		o->req[o->nreq++] = r;
	else
		origin_req_free(r);
	if (idx < 0)
		o->unexpected++;
	pthread_mutex_unlock(&o->mtx);

	if (idx < 0) {
		origin_note(o, "unexpected request on conn %d: \"%s\" "
		    "(next step: %s)", c->id, r->line,
		    o->cur < o->nsteps ? o->steps[o->cur].expect : "none");
		msg = "HTTP/1.1 500 Unexpected\r\nContent-Length: 0\r\n"
		    "Connection: close\r\n\r\n";
		(void)origin_send(o, c, msg, strlen(msg));
		return -1;
	}
	if (rc == -1)
		return -1;
	return origin_respond(o, c, s, r);
}

static void
origin_conn_close(struct origin_conn *c)
{
	if (c->ssl != NULL) {
		/* close_notify: a clean end (unless the step says not). */
		if (!c->no_notify)
			(void)SSL_shutdown(c->ssl);
		SSL_free(c->ssl);
		ERR_clear_error();
		c->ssl = NULL;
	}
	c->sni[0] = '\0';
	c->no_notify = 0;
	if (c->fd != -1)
		close(c->fd);
	c->fd = -1;
	free(c->buf);
	c->buf = NULL;
	c->len = c->cap = 0;
}

/*
 * TLS mode: the handshake, at once, bounded like every wait here.  A
 * failed one (the proxy refused our certificate) is counted, not noted:
 * tests make it happen on purpose.
 */
static int
origin_tls_accept(struct origin *o, struct origin_conn *c)
{
	const char *sni;
	int rc, e;

	ERR_clear_error();
	if ((c->ssl = SSL_new(o->tls)) == NULL ||
	    SSL_set_fd(c->ssl, c->fd) != 1)
		goto fail;
	SSL_set_accept_state(c->ssl);
	for (;;) {
		ERR_clear_error();
		rc = SSL_do_handshake(c->ssl);
		if (rc == 1)
			break;
		e = SSL_get_error(c->ssl, rc);
		if ((e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) ||
		    origin_wait(o, c->fd, e == SSL_ERROR_WANT_READ ? POLLIN :
		    POLLOUT, ORIGIN_IO_MS) != 1)
			goto fail;
	}
	sni = SSL_get_servername(c->ssl, TLSEXT_NAMETYPE_host_name);
	snprintf(c->sni, sizeof(c->sni), "%s", sni != NULL ? sni : "");
	return 0;
fail:
	ERR_clear_error();
	/* No close_notify after a failed handshake. */
	SSL_free(c->ssl);
	c->ssl = NULL;
	pthread_mutex_lock(&o->mtx);
	o->tls_failed++;
	pthread_mutex_unlock(&o->mtx);
	return -1;
}

static void *
origin_thread(void *arg)
{
	struct origin *o = arg;
	struct pollfd p[ORIGIN_MAX_CONNS + 2];
	int map[ORIGIN_MAX_CONNS + 2];
	struct origin_conn *c;
	int np, i, fd, rc;

	for (;;) {
		p[0].fd = o->stop[0];
		p[0].events = POLLIN;
		p[1].fd = o->lfd;
		p[1].events = POLLIN;
		np = 2;
		for (i = 0; i < ORIGIN_MAX_CONNS; i++) {
			if (o->conn[i].fd == -1)
				continue;
			p[np].fd = o->conn[i].fd;
			p[np].events = POLLIN;
			map[np++] = i;
		}
		rc = poll(p, (nfds_t)np, 1000);
		if (rc == -1 && errno != EINTR)
			break;
		if (rc <= 0)
			continue;
		if (p[0].revents != 0)
			break;
		if (p[1].revents & POLLIN) {
			fd = accept4(o->lfd, NULL, NULL,
			    SOCK_NONBLOCK | SOCK_CLOEXEC);
			for (i = 0; fd != -1 && i < ORIGIN_MAX_CONNS; i++)
				if (o->conn[i].fd == -1)
					break;
			if (fd != -1 && i == ORIGIN_MAX_CONNS) {
				origin_note(o, "more than %d connections",
				    ORIGIN_MAX_CONNS);
				close(fd);
			} else if (fd != -1) {
				c = &o->conn[i];
				c->fd = fd;
				c->cap = 65536;
				c->buf = malloc(c->cap);
				c->len = 0;
				pthread_mutex_lock(&o->mtx);
				c->id = ++o->nconn;
				pthread_mutex_unlock(&o->mtx);
				if (c->buf == NULL ||
				    (o->tls != NULL &&
				    origin_tls_accept(o, c) == -1))
					origin_conn_close(c);
			}
		}
		for (i = 2; i < np; i++) {
			if (p[i].revents == 0)
				continue;
			c = &o->conn[map[i]];
			/* Serve while pipelined bytes are waiting. */
			do {
				if (origin_serve_one(o, c) == -1) {
					origin_conn_close(c);
					break;
				}
			} while (c->len > 0 || (c->ssl != NULL &&
			    SSL_pending(c->ssl) > 0));
		}
	}
	for (i = 0; i < ORIGIN_MAX_CONNS; i++)
		origin_conn_close(&o->conn[i]);
	return NULL;
}

static struct origin *origin_launch(const struct origin_step *, int,
		    SSL_CTX *);

struct origin *
origin_start_tls(const struct origin_step *steps, int nsteps,
    const struct origin_tls *t)
{
	SSL_CTX *ctx;

	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL)
		bail_out("origin: cannot make a TLS context");
	/* Level 0: the origin under test may be as weak as the test wants;
	   sluice's side is what decides. */
	SSL_CTX_set_security_level(ctx, 0);
	SSL_CTX_set_min_proto_version(ctx, t->min_version != 0 ?
	    t->min_version : TLS1_VERSION);
	SSL_CTX_set_max_proto_version(ctx, t->max_version);
	if (t->ciphers != NULL &&
	    SSL_CTX_set_cipher_list(ctx, t->ciphers) != 1)
		bail_out("origin: bad cipher list %s", t->ciphers);
	if (SSL_CTX_use_certificate_chain_file(ctx, t->cert) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, t->key != NULL ? t->key :
	    t->cert, SSL_FILETYPE_PEM) != 1)
		bail_out("origin: cannot load %s", t->cert);
	return origin_launch(steps, nsteps, ctx);
}

int
origin_tls_failed(struct origin *o)
{
	int n;

	pthread_mutex_lock(&o->mtx);
	n = o->tls_failed;
	pthread_mutex_unlock(&o->mtx);
	return n;
}

struct origin *
origin_start(const struct origin_step *steps, int nsteps)
{
	return origin_launch(steps, nsteps, NULL);
}

/* Bind, then start the thread (which sees @p tls from its start). */
static struct origin *
origin_launch(const struct origin_step *steps, int nsteps, SSL_CTX *tls)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	struct origin *o;
	int i;

	(void)signal(SIGPIPE, SIG_IGN);
	o = calloc(1, sizeof(*o));
	if (o == NULL)
		bail_out("origin: out of memory");
	o->steps = steps;
	o->nsteps = nsteps;
	o->tls = tls;
	for (i = 0; i < ORIGIN_MAX_CONNS; i++)
		o->conn[i].fd = -1;
	pthread_mutex_init(&o->mtx, NULL);
	o->lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (o->lfd == -1 ||
	    bind(o->lfd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(o->lfd, 128) == -1 ||
	    getsockname(o->lfd, (struct sockaddr *)&sin, &len) == -1 ||
	    pipe2(o->stop, O_CLOEXEC) == -1)
		bail_out("origin: cannot listen: %s", strerror(errno));
	o->port = ntohs(sin.sin_port);
	if (pthread_create(&o->thread, NULL, origin_thread, o) != 0)
		bail_out("origin: cannot start its thread");
	o->running = 1;
	return o;
}

int
origin_port(const struct origin *o)
{
	return o->port;
}

int
origin_nreq(struct origin *o)
{
	int n;

	pthread_mutex_lock(&o->mtx);
	n = o->nreq;
	pthread_mutex_unlock(&o->mtx);
	return n;
}

int
origin_nconn(struct origin *o)
{
	int n;

	pthread_mutex_lock(&o->mtx);
	n = o->nconn;
	pthread_mutex_unlock(&o->mtx);
	return n;
}

const struct origin_req *
origin_req(struct origin *o, int i)
{
	const struct origin_req *r = NULL;

	pthread_mutex_lock(&o->mtx);
	if (i >= 0 && i < o->nreq)
		r = o->req[i];
	pthread_mutex_unlock(&o->mtx);
	return r;
}

/* End the thread and close the listening socket. */
static void
origin_stop(struct origin *o)
{
	if (!o->running)
		return;
	if (write(o->stop[1], "x", 1) != 1)
		diag("origin: cannot wake its thread");
	pthread_join(o->thread, NULL);
	o->running = 0;
	close(o->lfd);
	o->lfd = -1;
}

int
origin_finish(struct origin *o)
{
	int left, i;

	origin_stop(o);
	left = o->nsteps - o->cur;
	/* A repeat step that matched at least once is consumed. */
	if (o->cur < o->nsteps && (o->steps[o->cur].flags & ORIGIN_REPEAT) &&
	    o->cur_hits > 0)
		left--;
	for (i = 0; i < o->nnote; i++)
		diag("origin: %s", o->note[i]);
	if (!ok(left == 0 && o->unexpected == 0, "origin script of %d "
	    "steps fully consumed, no unexpected request (%d requests on %d "
	    "connections)", o->nsteps, o->nreq, o->nconn)) {
		diag("steps left over: %d, unexpected requests: %d", left,
		    o->unexpected);
		for (i = o->cur; i < o->nsteps; i++)
			diag("  not received: %s", o->steps[i].expect);
	}
	return left + o->unexpected;
}

void
origin_free(struct origin *o)
{
	int i;

	if (o == NULL)
		return;
	origin_stop(o);
	for (i = 0; i < o->nreq; i++)
		origin_req_free(o->req[i]);
	for (i = 0; i < o->nnote; i++)
		free(o->note[i]);
	close(o->stop[0]);
	close(o->stop[1]);
	free(o->echo);
	SSL_CTX_free(o->tls);
	pthread_mutex_destroy(&o->mtx);
	free(o);
}
