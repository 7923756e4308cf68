/*
 * raw.c -- a raw TCP client (see raw.h).  Runs in the test process.
 *
 * The socket is non-blocking; every wait is a poll() against a deadline.
 * Responses are parsed just enough for tests: status line, headers by
 * name, body framed by chunked (RFC 9112 §7.1), Content-Length or close.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* memmem, strncasecmp */
#endif
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "harness.h"
#include "raw.h"

#define RAW_CONNECT_MS	5000
#define RAW_SEND_MS	10000
#define RAW_MAX_HEAD	(1 << 20)

static int64_t
raw_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Milliseconds left before @p until, at least 0. */
static int
raw_left(int64_t until)
{
	int64_t l = until - raw_now();

	return l > 0 ? (int)l : 0;
}

/*
 * recv(2) and send(2), or SSL_read() and SSL_write() in their shape
 * (-1 with EAGAIN and c->want set when the TLS wants an event; EOF as 0,
 * a TCP EOF without close_notify noted in c->tls_truncated).
 */
static ssize_t
raw_io_recv(struct raw *c, void *p, size_t n)
{
	unsigned long e;
	int rc;

	if (c->ssl == NULL) {
		c->want = POLLIN;
		return recv(c->fd, p, n, 0);
	}
	ERR_clear_error();
	errno = 0;
	rc = SSL_read(c->ssl, p, (int)(n > 1 << 30 ? 1 << 30 : n));
	if (rc > 0)
		return rc;
	switch (SSL_get_error(c->ssl, rc)) {
	case SSL_ERROR_ZERO_RETURN:
		return 0;
	case SSL_ERROR_WANT_READ:
		c->want = POLLIN;
		errno = EAGAIN;
		return -1;
	case SSL_ERROR_WANT_WRITE:
		c->want = POLLOUT;
		errno = EAGAIN;
		return -1;
	default:
		e = ERR_peek_error();
		if (e == 0 || ERR_GET_REASON(e) ==
		    SSL_R_UNEXPECTED_EOF_WHILE_READING)
			c->tls_truncated = 1;
		snprintf(c->tls_error, sizeof(c->tls_error), "read: %s",
		    e != 0 ? ERR_reason_error_string(e) : "EOF");
		ERR_clear_error();
		errno = ECONNRESET;
		return -1;
	}
}

static ssize_t
raw_io_send(struct raw *c, const void *p, size_t n)
{
	int rc;

	if (c->ssl == NULL) {
		c->want = POLLOUT;
		return send(c->fd, p, n, MSG_NOSIGNAL);
	}
	ERR_clear_error();
	rc = SSL_write(c->ssl, p, (int)(n > 1 << 30 ? 1 << 30 : n));
	if (rc > 0)
		return rc;
	switch (SSL_get_error(c->ssl, rc)) {
	case SSL_ERROR_WANT_READ:
		c->want = POLLIN;
		errno = EAGAIN;
		return -1;
	case SSL_ERROR_WANT_WRITE:
		c->want = POLLOUT;
		errno = EAGAIN;
		return -1;
	default:
		ERR_clear_error();
		errno = EPIPE;
		return -1;
	}
}

static int
raw_poll(int fd, short ev, int ms)
{
	struct pollfd p;
	int rc;

	p.fd = fd;
	p.events = ev;
	do
		rc = poll(&p, 1, ms);
	while (rc == -1 && errno == EINTR);
	return rc;
}

int
raw_open(struct raw *c, int port)
{
	struct sockaddr_in sin;
	socklen_t len;
	int err = 0, saved;

	memset(c, 0, sizeof(*c));
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd == -1)
		return -1;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(c->fd, (struct sockaddr *)&sin, sizeof(sin)) == -1) {
		if (errno != EINPROGRESS)
			goto fail;
		if (raw_poll(c->fd, POLLOUT, RAW_CONNECT_MS) != 1) {
			errno = ETIMEDOUT;
			goto fail;
		}
		len = sizeof(err);
		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
			goto fail;
		if (err != 0) {
			errno = err;
			goto fail;
		}
	}
	c->cap = 65536;
	c->buf = malloc(c->cap);
	if (c->buf == NULL)
		goto fail;
	return 0;
fail:
	saved = errno;
	close(c->fd);
	c->fd = -1;
	errno = saved;
	return -1;
}

void
raw_close(struct raw *c)
{
	SSL_free(c->ssl);
	SSL_CTX_free(c->ssl_ctx);
	ERR_clear_error();
	c->ssl = c->ssl_ctx = NULL;
	if (c->fd != -1)
		close(c->fd);
	c->fd = -1;
	free(c->buf);
	c->buf = NULL;
	c->len = c->cap = 0;
}

int
raw_send(struct raw *c, const void *p, size_t n)
{
	const char *q = p;
	int64_t until = raw_now() + RAW_SEND_MS;
	ssize_t w;

	while (n > 0) {
		w = raw_io_send(c, q, n);
		if (w > 0) {
			q += w;
			n -= (size_t)w;
			continue;
		}
		if (w == -1 && errno == EINTR)
			continue;
		if (w == -1 && (errno == EAGAIN || errno == EWOULDBLOCK) &&
		    raw_poll(c->fd, c->want, raw_left(until)) == 1)
			continue;
		return -1;
	}
	return 0;
}

int
raw_sends(struct raw *c, const char *s)
{
	return raw_send(c, s, strlen(s));
}

int
raw_shutdown(struct raw *c)
{
	if (c->ssl != NULL) {
		/* close_notify, our direction only (RFC 8446 §6.1). */
		ERR_clear_error();
		(void)SSL_shutdown(c->ssl);
		ERR_clear_error();
	}
	return shutdown(c->fd, SHUT_WR);
}

int
raw_tls(struct raw *c, const struct raw_tls_opts *o, int ms)
{
	int64_t until = raw_now() + ms;
	unsigned long e;
	long v;
	int rc, err;

	c->tls_error[0] = '\0';
	ERR_clear_error();
	if ((c->ssl_ctx = SSL_CTX_new(TLS_client_method())) == NULL)
		goto fail;
	if (o->seclevel0)
		SSL_CTX_set_security_level(c->ssl_ctx, 0);
	if (o->max_version != 0) {
		SSL_CTX_set_min_proto_version(c->ssl_ctx, 0);
		SSL_CTX_set_max_proto_version(c->ssl_ctx, o->max_version);
	}
	if (o->ciphers != NULL &&
	    SSL_CTX_set_cipher_list(c->ssl_ctx, o->ciphers) != 1)
		goto fail;
	if (o->cafile != NULL) {
		if (SSL_CTX_load_verify_locations(c->ssl_ctx, o->cafile,
		    NULL) != 1)
			goto fail;
		SSL_CTX_set_verify(c->ssl_ctx, SSL_VERIFY_PEER, NULL);
	}
	SSL_CTX_set_mode(c->ssl_ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	if ((c->ssl = SSL_new(c->ssl_ctx)) == NULL ||
	    SSL_set_fd(c->ssl, c->fd) != 1)
		goto fail;
	if (o->sni != NULL && SSL_set_tlsext_host_name(c->ssl, o->sni) != 1)
		goto fail;
	if (o->cafile != NULL && o->verify_host != NULL) {
		X509_VERIFY_PARAM *vp = SSL_get0_param(c->ssl);

		if (X509_VERIFY_PARAM_set1_ip_asc(vp, o->verify_host) != 1 &&
		    X509_VERIFY_PARAM_set1_host(vp, o->verify_host, 0) != 1)
			goto fail;
	}
	SSL_set_connect_state(c->ssl);
	for (;;) {
		ERR_clear_error();
		rc = SSL_do_handshake(c->ssl);
		if (rc == 1)
			return 0;
		err = SSL_get_error(c->ssl, rc);
		if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE)
			break;
		if (raw_poll(c->fd, err == SSL_ERROR_WANT_READ ? POLLIN :
		    POLLOUT, raw_left(until)) != 1) {
			snprintf(c->tls_error, sizeof(c->tls_error),
			    "handshake timed out");
			return -1;
		}
	}
	v = SSL_get_verify_result(c->ssl);
	e = ERR_peek_error();
	snprintf(c->tls_error, sizeof(c->tls_error), "%s%s%s",
	    e != 0 ? ERR_reason_error_string(e) : "EOF in the handshake",
	    v != X509_V_OK ? ": " : "", v != X509_V_OK ?
	    X509_verify_cert_error_string(v) : "");
	ERR_clear_error();
	return -1;
fail:
	e = ERR_peek_error();
	snprintf(c->tls_error, sizeof(c->tls_error), "set-up: %s",
	    e != 0 ? ERR_reason_error_string(e) : "?");
	ERR_clear_error();
	return -1;
}

void *
raw_tls_peer(struct raw *c)
{
	return c->ssl != NULL ? SSL_get0_peer_certificate(c->ssl) : NULL;
}

const char *
raw_tls_version(struct raw *c)
{
	return c->ssl != NULL ? SSL_get_version(c->ssl) : NULL;
}

/* Read more into the buffer. @return bytes, 0 EOF, -1 timeout/error. */
static ssize_t
raw_fill(struct raw *c, int64_t until)
{
	ssize_t n;
	char *nb;

	if (c->eof)
		return 0;
	if (c->cap - c->len < 16384) {
		nb = realloc(c->buf, c->cap * 2);
		if (nb == NULL)
			return -1;
		c->buf = nb;
		c->cap *= 2;
	}
	for (;;) {
		n = raw_io_recv(c, c->buf + c->len, c->cap - c->len - 1);
		if (n > 0) {
			c->len += (size_t)n;
			return n;
		}
		if (n == 0 || (n == -1 && errno == ECONNRESET)) {
			c->eof = 1;
			return 0;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -1;
		if (raw_poll(c->fd, c->want, raw_left(until)) != 1)
			return -1;
	}
}

static void
raw_consume(struct raw *c, size_t n)
{
	memmove(c->buf, c->buf + n, c->len - n);
	c->len -= n;
}

ssize_t
raw_read(struct raw *c, void *p, size_t n, int ms)
{
	int64_t until = raw_now() + ms;
	ssize_t rc;

	if (c->len == 0) {
		rc = raw_fill(c, until);
		if (rc <= 0)
			return rc;
	}
	if (n > c->len)
		n = c->len;
	memcpy(p, c->buf, n);
	raw_consume(c, n);
	return (ssize_t)n;
}

int
raw_read_head(struct raw *c, struct raw_resp *r, int ms)
{
	int64_t until = raw_now() + ms;
	char *end;
	size_t hlen;
	ssize_t n;

	memset(r, 0, sizeof(*r));
	for (;;) {
		end = c->len >= 4 ? memmem(c->buf, c->len, "\r\n\r\n", 4) :
		    NULL;
		if (end != NULL)
			break;
		if (c->len > RAW_MAX_HEAD)
			return -1;
		n = raw_fill(c, until);
		if (n <= 0) {
			/* Keep what came, for the diagnostic. */
			r->head = strndup(c->buf, c->len);
			return -1;
		}
	}
	hlen = (size_t)(end - c->buf) + 4;
	r->head = strndup(c->buf, hlen);
	raw_consume(c, hlen);
	if (r->head == NULL || strncmp(r->head, "HTTP/1.", 7) != 0 ||
	    sscanf(r->head + 8, " %3d", &r->status) != 1)
		return -1;
	return r->status;
}

const char *
raw_resp_header(struct raw_resp *r, const char *name)
{
	const char *p, *v, *e;
	size_t nlen = strlen(name), n;

	if (r->head == NULL)
		return NULL;
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
			if (n >= sizeof(r->hdrval))
				n = sizeof(r->hdrval) - 1;
			memcpy(r->hdrval, v, n);
			r->hdrval[n] = '\0';
			return r->hdrval;
		}
		p = strchr(p, '\n');
	}
	return NULL;
}

static int
raw_body_add(struct raw_resp *r, const char *p, size_t n)
{
	char *nb;

	nb = realloc(r->body, r->body_len + n + 1);
	if (nb == NULL)
		return -1;
	memcpy(nb + r->body_len, p, n);
	r->body = nb;
	r->body_len += n;
	r->body[r->body_len] = '\0';
	r->body_hash = harness_hash(r->body_hash, p, n);
	return 0;
}

/* Move @p n bytes from the connection to the body. */
static int
raw_take(struct raw *c, struct raw_resp *r, size_t n, int64_t until)
{
	size_t k;

	while (n > 0) {
		if (c->len == 0 && raw_fill(c, until) <= 0)
			return -1;
		k = c->len < n ? c->len : n;
		if (raw_body_add(r, c->buf, k) == -1)
			return -1;
		raw_consume(c, k);
		n -= k;
	}
	return 0;
}

/* One line without its CRLF into @p line. */
static int
raw_line(struct raw *c, char *line, size_t size, int64_t until)
{
	char *nl;
	size_t n;

	while ((nl = memchr(c->buf, '\n', c->len)) == NULL)
		if (c->len > 4096 || raw_fill(c, until) <= 0)
			return -1;
	n = (size_t)(nl - c->buf);
	if (n > 0 && c->buf[n - 1] == '\r')
		n--;
	if (n >= size)
		n = size - 1;
	memcpy(line, c->buf, n);
	line[n] = '\0';
	raw_consume(c, (size_t)(nl - c->buf) + 1);
	return 0;
}

static int
raw_take_chunked(struct raw *c, struct raw_resp *r, int64_t until)
{
	char line[4096], *end;
	unsigned long long size;

	for (;;) {
		if (raw_line(c, line, sizeof(line), until) == -1)
			return -1;
		size = strtoull(line, &end, 16);
		if (end == line)
			return -1;
		if (size == 0)
			break;
		if (raw_take(c, r, (size_t)size, until) == -1 ||
		    raw_line(c, line, sizeof(line), until) == -1 ||
		    line[0] != '\0')
			return -1;
	}
	do {
		if (raw_line(c, line, sizeof(line), until) == -1)
			return -1;
	} while (line[0] != '\0');
	return 0;
}

int
raw_read_resp(struct raw *c, struct raw_resp *r, int is_head, int ms)
{
	int64_t until = raw_now() + ms;
	int st;

	for (;;) {
		st = raw_read_head(c, r, raw_left(until));
		if (st < 100 || st >= 200)
			break;
		raw_resp_free(r);
	}
	if (st == -1)
		return -1;
	return raw_read_body(c, r, is_head, raw_left(until));
}

int
raw_read_body(struct raw *c, struct raw_resp *r, int is_head, int ms)
{
	int64_t until = raw_now() + ms;
	const char *v;
	char *e;
	long long clen;
	int st = r->status;

	if (raw_body_add(r, "", 0) == -1)
		return -1;
	if (is_head || st == 204 || st == 304) {
		r->complete = 1;
		return st;
	}
	v = raw_resp_header(r, "Transfer-Encoding");
	if (v != NULL && strcasestr(v, "chunked") != NULL) {
		r->complete = raw_take_chunked(c, r, until) == 0;
		return r->complete ? st : -1;
	}
	v = raw_resp_header(r, "Content-Length");
	if (v != NULL) {
		clen = strtoll(v, &e, 10);
		if (e == v || clen < 0)
			return -1;
		r->complete = raw_take(c, r, (size_t)clen, until) == 0;
		return r->complete ? st : -1;
	}
	/* Delimited by close. */
	for (;;) {
		if (c->len > 0) {
			if (raw_body_add(r, c->buf, c->len) == -1)
				return -1;
			raw_consume(c, c->len);
		}
		if (c->eof) {
			r->complete = 1;
			return st;
		}
		if (raw_fill(c, until) < 0)
			return -1;
	}
}

void
raw_resp_free(struct raw_resp *r)
{
	free(r->head);
	free(r->body);
	r->head = r->body = NULL;
	r->body_len = 0;
}

int
raw_wait_eof(struct raw *c, int ms)
{
	int64_t until = raw_now() + ms;
	ssize_t n;

	for (;;) {
		c->len = 0;
		n = raw_fill(c, until);
		if (n == 0)
			return 1;
		if (n < 0)
			return 0;
	}
}

int
raw_read_all(struct raw *c, char **out, size_t *lenp, int ms)
{
	int64_t until = raw_now() + ms;
	ssize_t n;
	int rc = 0;

	for (;;) {
		n = raw_fill(c, until);
		if (n == 0)
			break;
		if (n < 0) {
			rc = -1;
			break;
		}
	}
	*out = malloc(c->len + 1);
	if (*out == NULL)
		return -1;
	memcpy(*out, c->buf, c->len);
	(*out)[c->len] = '\0';
	if (lenp != NULL)
		*lenp = c->len;
	c->len = 0;
	return rc;
}

int
raw_exchange(struct raw *c, const void *p, size_t n, int shut,
    struct raw_xfer *x, int ms)
{
	int64_t until = raw_now() + ms;
	char out[65536], in[65536];
	struct pollfd pf;
	size_t k, olen = 0, opos = 0;
	ssize_t w, got;
	int shut_done = 0, rc;

	memset(x, 0, sizeof(*x));
	/* Bytes already buffered (after a CONNECT head) come first. */
	if (c->len > 0) {
		x->hash = harness_hash(x->hash, c->buf, c->len);
		x->received += c->len;
		c->len = 0;
	}
	for (;;) {
		if (x->sent == n && shut && !shut_done) {
			if (raw_shutdown(c) == -1)
				return -1;
			shut_done = 1;
		}
		if (x->sent == n && c->eof) {
			x->eof = 1;
			return 0;
		}
		/* Refill the send window. */
		if (opos == olen && x->sent < n) {
			k = n - x->sent < sizeof(out) ? n - x->sent :
			    sizeof(out);
			if (p != NULL)
				memcpy(out, (const char *)p + x->sent, k);
			else
				harness_pattern(out, x->sent, k);
			olen = k;
			opos = 0;
		}
		pf.fd = c->fd;
		pf.events = (short)((c->eof ? 0 : POLLIN) |
		    (opos < olen ? POLLOUT : 0));
		if (pf.events == 0)
			return -1;	/* peer closed before we sent it all */
		/* Bytes OpenSSL holds come without a poll event. */
		if (c->ssl != NULL && !c->eof && SSL_pending(c->ssl) > 0) {
			rc = 1;
			pf.revents = POLLIN;
		} else
			rc = poll(&pf, 1, raw_left(until));
		if (rc == -1 && errno == EINTR)
			continue;
		if (rc <= 0)
			return -1;
		if (c->ssl != NULL && (pf.revents & POLLOUT) && !c->eof)
			pf.revents |= POLLIN;	/* a TLS read may want it */
		if (pf.revents & (POLLIN | POLLHUP | POLLERR)) {
			got = raw_io_recv(c, in, sizeof(in));
			if (got > 0) {
				x->hash = harness_hash(x->hash, in,
				    (size_t)got);
				x->received += (size_t)got;
			} else if (got == 0 || errno == ECONNRESET) {
				c->eof = 1;
			} else if (errno != EAGAIN && errno != EINTR) {
				return -1;
			}
		}
		if ((pf.revents & (POLLOUT | POLLIN)) && opos < olen) {
			w = raw_io_send(c, out + opos, olen - opos);
			if (w > 0) {
				opos += (size_t)w;
				x->sent += (size_t)w;
			} else if (w == -1 && errno != EAGAIN &&
			    errno != EINTR) {
				return -1;
			}
		}
	}
}

int
raw_has(struct raw_resp *r, const char *name, const char *sub)
{
	const char *v = raw_resp_header(r, name);

	return v != NULL && strstr(v, sub) != NULL;
}

int
raw_body_is(const struct raw_resp *r, const char *s)
{
	return r->body != NULL && strcmp(r->body, s) == 0;
}

void
raw_b64(const char *in, char *out)
{
	static const char t[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t n = strlen(in), i, o = 0;
	unsigned v;

	for (i = 0; i < n; i += 3) {
		v = (unsigned char)in[i] << 16;
		if (i + 1 < n)
			v |= (unsigned char)in[i + 1] << 8;
		if (i + 2 < n)
			v |= (unsigned char)in[i + 2];
		out[o++] = t[v >> 18 & 63];
		out[o++] = t[v >> 12 & 63];
		out[o++] = i + 1 < n ? t[v >> 6 & 63] : '=';
		out[o++] = i + 2 < n ? t[v & 63] : '=';
	}
	out[o] = '\0';
}
