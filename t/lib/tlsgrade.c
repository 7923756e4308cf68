/*
 * tlsgrade.c -- the TLS grader (see tlsgrade.h).  Runs in the test
 * process; the capture server in a thread of its own.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <sys/socket.h>
#include <sys/time.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "tlsgrade.h"

#define TLSGRADE_MS	5000

/* tlsgrade_via_connect(): "" straight to the port. */
static char	tlsgrade_target[300];

static int64_t
tlsgrade_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
tlsgrade_via_connect(const char *target)
{
	snprintf(tlsgrade_target, sizeof(tlsgrade_target), "%s",
	    target != NULL ? target : "");
}

/*
 * The CONNECT and its answer, on the blocking socket @p fd: read byte by
 * byte up to the empty line, so that nothing of the TLS that follows is
 * taken.  @return 0 a 2xx came, -1 otherwise.
 */
static int
tlsgrade_connect_head(int fd)
{
	struct timeval tv = { TLSGRADE_MS / 1000, 0 };
	char req[400], head[2048];
	size_t n = 0;
	int len;

	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	len = snprintf(req, sizeof(req), "CONNECT %s HTTP/1.1\r\nHost: %s"
	    "\r\n\r\n", tlsgrade_target, tlsgrade_target);
	if (len <= 0 || (size_t)len >= sizeof(req) ||
	    send(fd, req, (size_t)len, MSG_NOSIGNAL) != len)
		return -1;
	while (n < sizeof(head) - 1) {
		if (recv(fd, head + n, 1, 0) != 1)
			return -1;
		n++;
		head[n] = '\0';
		if (n >= 4 && memcmp(head + n - 4, "\r\n\r\n", 4) == 0)
			return strncmp(head, "HTTP/1.1 2", 10) == 0 ? 0 : -1;
	}
	return -1;
}

static int
tlsgrade_connect(int port)
{
	struct sockaddr_in sin;
	int fd;

	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1) {
		close(fd);
		return -1;
	}
	if (tlsgrade_target[0] != '\0' && tlsgrade_connect_head(fd) == -1) {
		close(fd);
		return -1;
	}
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * Run @p fn (SSL_do_handshake-like) on @p ssl until it is done, bounded.
 * @return its last result.
 */
static int
tlsgrade_drive(SSL *ssl, int fd, int (*fn)(SSL *))
{
	int64_t end = tlsgrade_now() + TLSGRADE_MS;
	struct pollfd p;
	int rc, e, left;

	for (;;) {
		ERR_clear_error();
		rc = fn(ssl);
		if (rc == 1)
			return 1;
		e = SSL_get_error(ssl, rc);
		if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
			return rc;
		left = (int)(end - tlsgrade_now());
		if (left <= 0)
			return -1;
		p.fd = fd;
		p.events = e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT;
		if (poll(&p, 1, left) == 0)
			return -1;
	}
}

int
tlsgrade_probe(int port, int version, const char *ciphers, const char *sni,
    struct tlsgrade_result *r)
{
	const SSL_CIPHER *c;
	SSL_CTX *ctx;
	SSL *ssl = NULL;
	unsigned long e;
	int fd, rc;

	memset(r, 0, sizeof(*r));
	if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL)
		return -1;
	SSL_CTX_set_security_level(ctx, 0);
	SSL_CTX_set_min_proto_version(ctx, version);
	SSL_CTX_set_max_proto_version(ctx, version);
	ERR_clear_error();
	if (version == TLS1_3_VERSION ?
	    SSL_CTX_set_ciphersuites(ctx, ciphers) != 1 :
	    SSL_CTX_set_cipher_list(ctx, ciphers) != 1) {
		snprintf(r->error, sizeof(r->error), "cannot offer %s",
		    ciphers);
		SSL_CTX_free(ctx);
		return 0;
	}
	if ((fd = tlsgrade_connect(port)) == -1) {
		SSL_CTX_free(ctx);
		return -1;
	}
	if ((ssl = SSL_new(ctx)) == NULL || SSL_set_fd(ssl, fd) != 1)
		goto out;
	if (sni != NULL)
		SSL_set_tlsext_host_name(ssl, sni);
	SSL_set_connect_state(ssl);
	rc = tlsgrade_drive(ssl, fd, SSL_do_handshake);
	if (rc == 1) {
		r->ok = 1;
		r->version = SSL_version(ssl);
		c = SSL_get_current_cipher(ssl);
		snprintf(r->cipher, sizeof(r->cipher), "%s",
		    c != NULL ? SSL_CIPHER_get_name(c) : "?");
		(void)SSL_shutdown(ssl);
	} else {
		e = ERR_peek_error();
		snprintf(r->error, sizeof(r->error), "%s", e != 0 ?
		    ERR_reason_error_string(e) : rc == -1 ? "timeout or EOF" :
		    "refused");
	}
out:
	ERR_clear_error();
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	close(fd);
	return 0;
}

static const char *
tlsgrade_vname(int v)
{
	switch (v) {
	case TLS1_VERSION:
		return "TLSv1.0";
	case TLS1_1_VERSION:
		return "TLSv1.1";
	case TLS1_2_VERSION:
		return "TLSv1.2";
	case TLS1_3_VERSION:
		return "TLSv1.3";
	default:
		return "?";
	}
}

/* The oldest version suite @p c works with. */
static int
tlsgrade_cipher_min(const SSL_CIPHER *c)
{
	const char *v = SSL_CIPHER_get_version(c);

	if (strcmp(v, "TLSv1.3") == 0)
		return TLS1_3_VERSION;
	if (strcmp(v, "TLSv1.2") == 0)
		return TLS1_2_VERSION;
	return TLS1_VERSION;
}

int
tlsgrade_server(int port, const char *sni, struct tlsgrade_report *r)
{
	static const int versions[] = { TLS1_VERSION, TLS1_1_VERSION,
	    TLS1_2_VERSION, TLS1_3_VERSION };
	STACK_OF(SSL_CIPHER) *sk;
	struct tlsgrade_result res;
	const SSL_CIPHER *c;
	const char *name;
	SSL_CTX *ctx;
	SSL *ssl;
	size_t v;
	int i, rc, min;

	memset(r, 0, sizeof(*r));
	/* Every suite the library has, at security level 0. */
	if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL)
		return -1;
	SSL_CTX_set_security_level(ctx, 0);
	SSL_CTX_set_min_proto_version(ctx, TLS1_VERSION);
	if (SSL_CTX_set_cipher_list(ctx,
	    "ALL:COMPLEMENTOFALL:@SECLEVEL=0") != 1 ||
	    (ssl = SSL_new(ctx)) == NULL) {
		SSL_CTX_free(ctx);
		return -1;
	}
	sk = SSL_get_ciphers(ssl);
	for (v = 0; v < sizeof(versions) / sizeof(versions[0]); v++) {
		for (i = 0; i < sk_SSL_CIPHER_num(sk); i++) {
			c = sk_SSL_CIPHER_value(sk, i);
			name = SSL_CIPHER_get_name(c);
			/* TLS 1.3 suites only with 1.3, and vice versa;
			   TLS 1.2 suites not with older versions. */
			min = tlsgrade_cipher_min(c);
			if ((min == TLS1_3_VERSION) !=
			    (versions[v] == TLS1_3_VERSION))
				continue;
			if (min > versions[v])
				continue;
			rc = tlsgrade_probe(port, versions[v], name, sni, &res);
			r->probes++;
			if (rc == -1) {
				SSL_free(ssl);
				SSL_CTX_free(ctx);
				return -1;
			}
			if (res.ok && r->n < TLSGRADE_MAX) {
				r->acc[r->n].version = res.version;
				snprintf(r->acc[r->n].cipher,
				    sizeof(r->acc[r->n].cipher), "%s",
				    res.cipher);
				r->n++;
			}
		}
	}
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	return 0;
}

int
tlsgrade_is_weak(int version, const char *cipher)
{
	if (version < TLS1_2_VERSION)
		return 1;
	if (version >= TLS1_3_VERSION)
		return 0;	/* every TLS 1.3 suite is AEAD with (EC)DHE */
	/* TLS 1.2: (EC)DHE key exchange and an AEAD, in OpenSSL's names. */
	if (strncmp(cipher, "ECDHE-", 6) != 0 && strncmp(cipher, "DHE-", 4) !=
	    0)
		return 1;
	if (strstr(cipher, "-GCM-") == NULL && strstr(cipher, "CHACHA20") ==
	    NULL && strstr(cipher, "-CCM") == NULL)
		return 1;
	if (strstr(cipher, "PSK") != NULL || strstr(cipher, "anon") != NULL)
		return 1;
	return 0;
}

int
tlsgrade_weak(const struct tlsgrade_report *r, char *buf, size_t size)
{
	size_t len = 0;
	int i, n = 0;

	if (size > 0)
		buf[0] = '\0';
	for (i = 0; i < r->n; i++) {
		if (!tlsgrade_is_weak(r->acc[i].version, r->acc[i].cipher))
			continue;
		n++;
		if (len < size)
			len += (size_t)snprintf(buf + len, size - len, "%s%s/%s",
			    len > 0 ? " " : "", tlsgrade_vname(r->acc[i].version),
			    r->acc[i].cipher);
	}
	return n;
}

/* ---------------------------------------------------------------- capture */

struct tlsgrade_capture {
	int			 lfd;
	int			 port;
	int			 stop[2];
	pthread_t		 thread;
	struct tlsgrade_hello	 h;
};

const char *
tlsgrade_suite_name(uint16_t id)
{
	static SSL_CTX *ctx;
	static SSL *ssl;
	unsigned char b[2];
	const SSL_CIPHER *c;

	if (ctx == NULL) {
		/* One SSL that knows every suite, kept for the process. */
		if ((ctx = SSL_CTX_new(TLS_method())) == NULL ||
		    (ssl = SSL_new(ctx)) == NULL)
			return NULL;
	}
	b[0] = (unsigned char)(id >> 8);
	b[1] = (unsigned char)id;
	c = SSL_CIPHER_find(ssl, b);
	return c != NULL ? SSL_CIPHER_standard_name(c) : NULL;
}

/* Extension @p type of the ClientHello as a list of 16-bit values with a
   length prefix of @p lenbytes. */
static int
tlsgrade_u16s(SSL *ssl, unsigned type, size_t lenbytes, uint16_t *out,
    int max)
{
	const unsigned char *p;
	size_t len, i;
	int n = 0;

	if (SSL_client_hello_get0_ext(ssl, type, &p, &len) != 1 ||
	    len < lenbytes)
		return 0;
	for (i = lenbytes; i + 1 < len && n < max; i += 2)
		out[n++] = (uint16_t)(p[i] << 8 | p[i + 1]);
	return n;
}

static int
tlsgrade_hello_cb(SSL *ssl, int *al, void *arg)
{
	struct tlsgrade_hello *h = arg;
	const unsigned char *p;
	size_t len, i, n;
	const char *name;

	h->got = 1;
	n = SSL_client_hello_get0_ciphers(ssl, &p);
	for (i = 0; i + 1 < n && h->nciphers < 128; i += 2) {
		h->ciphers[h->nciphers] = (uint16_t)(p[i] << 8 | p[i + 1]);
		name = tlsgrade_suite_name(h->ciphers[h->nciphers]);
		snprintf(h->cipher_names[h->nciphers], 64, "%s",
		    name != NULL ? name : "");
		h->nciphers++;
	}
	/* supported_versions (43): a 1-byte length, then versions. */
	if (SSL_client_hello_get0_ext(ssl, 43, &p, &len) == 1 && len >= 1) {
		for (i = 1; i + 1 < len && h->nversions < 8; i += 2)
			h->versions[h->nversions++] = p[i] << 8 | p[i + 1];
	} else {
		h->versions[0] = (int)SSL_client_hello_get0_legacy_version(ssl);
		h->nversions = 1;
	}
	h->nsigalgs = tlsgrade_u16s(ssl, 13, 2, h->sigalgs, 64);
	h->ngroups = tlsgrade_u16s(ssl, 10, 2, h->groups, 32);
	/* server_name (0): list length, type 0, name length, name. */
	if (SSL_client_hello_get0_ext(ssl, 0, &p, &len) == 1 && len >= 5 &&
	    p[2] == 0) {
		n = (size_t)(p[3] << 8 | p[4]);
		if (n + 5 <= len && n < sizeof(h->sni)) {
			memcpy(h->sni, p + 5, n);
			h->sni[n] = '\0';
		}
	}
	/* ALPN (16): list length, then length-prefixed names. */
	if (SSL_client_hello_get0_ext(ssl, 16, &p, &len) == 1 && len >= 3) {
		n = p[2];
		if (n + 3 <= len && n < sizeof(h->alpn)) {
			memcpy(h->alpn, p + 3, n);
			h->alpn[n] = '\0';
		}
	}
	*al = SSL_AD_HANDSHAKE_FAILURE;
	return SSL_CLIENT_HELLO_ERROR;
}

static void *
tlsgrade_capture_thread(void *arg)
{
	struct tlsgrade_capture *c = arg;
	struct pollfd p[2];
	SSL_CTX *ctx;
	SSL *ssl;
	int fd, rc;

	p[0].fd = c->lfd;
	p[0].events = POLLIN;
	p[1].fd = c->stop[0];
	p[1].events = POLLIN;
	rc = poll(p, 2, 2 * TLSGRADE_MS);
	if (rc <= 0 || p[1].revents != 0)
		return NULL;
	if ((fd = accept4(c->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) ==
	    -1)
		return NULL;
	if ((ctx = SSL_CTX_new(TLS_server_method())) != NULL) {
		SSL_CTX_set_client_hello_cb(ctx, tlsgrade_hello_cb, &c->h);
		if ((ssl = SSL_new(ctx)) != NULL && SSL_set_fd(ssl, fd) == 1) {
			SSL_set_accept_state(ssl);
			(void)tlsgrade_drive(ssl, fd, SSL_do_handshake);
		}
		SSL_free(ssl);
		SSL_CTX_free(ctx);
	}
	ERR_clear_error();
	close(fd);
	return NULL;
}

struct tlsgrade_capture *
tlsgrade_capture_start(void)
{
	struct tlsgrade_capture *c;
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((c->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    bind(c->lfd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(c->lfd, 8) == -1 ||
	    getsockname(c->lfd, (struct sockaddr *)&sin, &len) == -1 ||
	    pipe2(c->stop, O_CLOEXEC) == -1) {
		if (c->lfd != -1)
			close(c->lfd);
		free(c);
		return NULL;
	}
	c->port = ntohs(sin.sin_port);
	if (pthread_create(&c->thread, NULL, tlsgrade_capture_thread, c) !=
	    0) {
		close(c->lfd);
		close(c->stop[0]);
		close(c->stop[1]);
		free(c);
		return NULL;
	}
	return c;
}

int
tlsgrade_capture_port(const struct tlsgrade_capture *c)
{
	return c->port;
}

int
tlsgrade_capture_finish(struct tlsgrade_capture *c, struct tlsgrade_hello *h)
{
	int got;

	/* The thread ends by itself after one connection; else stop it. */
	(void)write(c->stop[1], "x", 1);
	pthread_join(c->thread, NULL);
	*h = c->h;
	got = c->h.got;
	close(c->lfd);
	close(c->stop[0]);
	close(c->stop[1]);
	free(c);
	return got ? 0 : -1;
}
