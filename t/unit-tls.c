/*
 * unit-tls.c -- the TLS module (worker/tls.h) with its engine on both
 * sides of non-blocking socketpairs, and plain OpenSSL peers for what the
 * engine must refuse: handshakes, ALPN, resumption (also across forked
 * "workers"), versions and suites refused, hostile ClientHellos, each
 * verification failure of the test PKI, IP SANs and SNI, minted
 * certificates and their bounded cache, partial writes, bytes pending in
 * OpenSSL under edge-triggered epoll, truncation versus a clean end, the
 * sendfile fallback, and the grader: what the server sides accept and the
 * client side offers.
 *
 * A test process: a temp dir under /tmp for the PKI and the config; a
 * server thread (and two forked children) for the tests that need a TCP
 * peer.  Every wait is a bounded poll.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "acl.h"
#include "conf.h"
#include "log.h"
#include "master.h"
#include "sl.h"
#include "tap.h"
#include "tls.h"
#include "tlsgrade.h"
#include "tlspki.h"

#define POLL_MS		5000	/* one wait; a test never waits longer */
#define ROUNDS		400	/* steps of a pump */

static char		 tdir[64];
static struct tlspki	 pki;
static struct conf	*cf;
static struct tls_server *https12;	/* https_port, TLS 1.2+ */
static struct tls_server *https13;	/* https_port tls-min-version=1.3 */
static struct tls_mint	*mint;		/* http_port ssl-bump */
static struct tls_client *cc;		/* tls_outgoing_options */

/* ------------------------------------------------------ memory counting */

/*
 * OpenSSL's allocations, counted (CRYPTO_set_mem_functions, before any
 * other OpenSSL call): bytes outstanding.  Each block carries its size in
 * a 16-byte header.
 */
static long long	 mem_live;

static void *
mem_malloc(size_t n, const char *file, int line)
{
	size_t *p = malloc(n + 16);

	if (p == NULL)
		return NULL;
	*p = n;
	__atomic_add_fetch(&mem_live, (long long)n, __ATOMIC_RELAXED);
	return (char *)p + 16;
}

static void
mem_free(void *q, const char *file, int line)
{
	size_t *p;

	if (q == NULL)
		return;
	p = (size_t *)(void *)((char *)q - 16);
	__atomic_sub_fetch(&mem_live, (long long)*p, __ATOMIC_RELAXED);
	free(p);
}

static void *
mem_realloc(void *q, size_t n, const char *file, int line)
{
	size_t *p, old;

	if (q == NULL)
		return mem_malloc(n, file, line);
	p = (size_t *)(void *)((char *)q - 16);
	old = *p;
	if ((p = realloc(p, n + 16)) == NULL)
		return NULL;
	*p = n;
	__atomic_add_fetch(&mem_live, (long long)n - (long long)old,
	    __ATOMIC_RELAXED);
	return (char *)p + 16;
}

/* ------------------------------------------------------------- the pump */

/*
 * One side of a socketpair: the engine (struct tls), a plain OpenSSL
 * peer (SSL), or raw bytes.  step() returns SL_OK (done), SL_AGAIN
 * (want set: POLLIN/POLLOUT) or SL_ERROR (done, failed).
 */
struct side {
	const char	*name;
	int		 fd;
	struct tls	*t;
	SSL		*ssl;
	const char	*raw;		/* raw: bytes to send, then */
	size_t		 rawlen;
	int		 raw_close;	/* 1: close after sending */
	size_t		 rawoff;
	int		 (*step)(struct side *);
	short		 want;
	int		 done;
	int		 rc;
};

static int
step_engine(struct side *s)
{
	int rc = tls_handshake(s->t);

	if (rc == SL_AGAIN)
		s->want = tls_want(s->t) == TLS_WANT_READ ? POLLIN : POLLOUT;
	return rc;
}

static int
step_ssl(struct side *s)
{
	int rc, e;

	ERR_clear_error();
	rc = SSL_do_handshake(s->ssl);
	if (rc == 1)
		return SL_OK;
	e = SSL_get_error(s->ssl, rc);
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
		s->want = e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT;
		return SL_AGAIN;
	}
	ERR_clear_error();
	return SL_ERROR;
}

/* Raw bytes: send them, then (raw_close) close, or wait for EOF. */
static int
step_raw(struct side *s)
{
	char buf[4096];
	ssize_t n;

	while (s->rawoff < s->rawlen) {
		n = send(s->fd, s->raw + s->rawoff, s->rawlen - s->rawoff,
		    MSG_NOSIGNAL);
		if (n > 0) {
			s->rawoff += (size_t)n;
			continue;
		}
		if (n == -1 && errno == EAGAIN) {
			s->want = POLLOUT;
			return SL_AGAIN;
		}
		return SL_ERROR;
	}
	if (s->raw_close) {
		shutdown(s->fd, SHUT_WR);
		s->raw_close = 0;
	}
	for (;;) {
		n = recv(s->fd, buf, sizeof(buf), 0);
		if (n > 0)
			continue;
		if (n == 0)
			return SL_OK;	/* the other side closed */
		if (errno == EAGAIN) {
			s->want = POLLIN;
			return SL_AGAIN;
		}
		return SL_OK;		/* reset: closed too */
	}
}

/*
 * Step both sides until both are done, bounded.  A side that fails
 * shuts its socket down, as the worker would close it.
 * @return 0, or -1 when a wait timed out.
 */
static int
pump(struct side *a, struct side *b)
{
	struct side *s[2] = { a, b };
	struct pollfd p[2];
	int round, i, np;

	for (round = 0; round < ROUNDS; round++) {
		for (i = 0; i < 2; i++) {
			if (s[i] == NULL || s[i]->done)
				continue;
			s[i]->rc = s[i]->step(s[i]);
			if (s[i]->rc != SL_AGAIN) {
				s[i]->done = 1;
				if (s[i]->rc == SL_ERROR)
					shutdown(s[i]->fd, SHUT_RDWR);
			}
		}
		if ((a == NULL || a->done) && (b == NULL || b->done))
			return 0;
		for (i = np = 0; i < 2; i++) {
			if (s[i] == NULL || s[i]->done)
				continue;
			p[np].fd = s[i]->fd;
			p[np].events = s[i]->want;
			p[np].revents = 0;
			np++;
		}
		if (poll(p, (nfds_t)np, POLL_MS) == 0) {
			diag("pump: no progress in %d ms", POLL_MS);
			return -1;
		}
	}
	diag("pump: more than %d rounds", ROUNDS);
	return -1;
}

static void
pair(int fd[2])
{
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0,
	    fd) == -1)
		bail_out("socketpair: %s", strerror(errno));
}

static void
side_engine(struct side *s, const char *name, int fd, struct tls *t)
{
	memset(s, 0, sizeof(*s));
	s->name = name;
	s->fd = fd;
	s->t = t;
	s->step = step_engine;
}

static void
side_ssl(struct side *s, const char *name, int fd, SSL_CTX *ctx, int server)
{
	memset(s, 0, sizeof(*s));
	s->name = name;
	s->fd = fd;
	s->step = step_ssl;
	if ((s->ssl = SSL_new(ctx)) == NULL || SSL_set_fd(s->ssl, fd) != 1)
		bail_out("SSL_new");
	if (server)
		SSL_set_accept_state(s->ssl);
	else
		SSL_set_connect_state(s->ssl);
}

static void
side_raw(struct side *s, const char *name, int fd, const void *bytes,
    size_t len, int close_after)
{
	memset(s, 0, sizeof(*s));
	s->name = name;
	s->fd = fd;
	s->raw = bytes;
	s->rawlen = len;
	s->raw_close = close_after;
	s->step = step_raw;
}

static void
side_end(struct side *s)
{
	if (s->t != NULL)
		tls_free(s->t);
	if (s->ssl != NULL) {
		/* Keep the session resumable (the engine does the same). */
		if (s->rc == SL_OK)
			SSL_set_shutdown(s->ssl, SSL_SENT_SHUTDOWN |
			    SSL_RECEIVED_SHUTDOWN);
		SSL_free(s->ssl);
	}
	ERR_clear_error();
	s->t = NULL;
	s->ssl = NULL;
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}

/* Read until @p want bytes came or the peer is done; bounded. */
static ssize_t
read_all(struct tls *t, int fd, char *buf, size_t want)
{
	struct pollfd p;
	size_t got = 0;
	ssize_t n;
	int i;

	for (i = 0; i < ROUNDS * 10 && got < want; i++) {
		n = tls_read(t, buf + got, want - got);
		if (n > 0) {
			got += (size_t)n;
			continue;
		}
		if (n == 0 || n == SL_ERROR)
			break;
		p.fd = fd;
		p.events = tls_want(t) == TLS_WANT_READ ? POLLIN : POLLOUT;
		if (poll(&p, 1, POLL_MS) == 0)
			break;
	}
	return (ssize_t)got;
}

/* Write all of @p buf; bounded. @return bytes written. */
static size_t
write_all(struct tls *t, int fd, const char *buf, size_t len)
{
	struct pollfd p;
	size_t done = 0;
	ssize_t n;
	int i;

	for (i = 0; i < ROUNDS * 10 && done < len; i++) {
		n = tls_write(t, buf + done, len - done);
		if (n > 0) {
			done += (size_t)n;
			continue;
		}
		if (n != SL_AGAIN)
			break;
		p.fd = fd;
		p.events = tls_want(t) == TLS_WANT_READ ? POLLIN : POLLOUT;
		if (poll(&p, 1, POLL_MS) == 0)
			break;
	}
	return done;
}

/* ------------------------------------------------------------ the setup */

static void
setup(void)
{
	char path[128];
	FILE *fp;
	size_t i;

	snprintf(tdir, sizeof(tdir), "/tmp/sluice-unit-tls.XXXXXX");
	if (mkdtemp(tdir) == NULL)
		bail_out("mkdtemp: %s", strerror(errno));
	if (tlspki_make(&pki, tdir) == -1)
		bail_out("cannot make the test PKI");
	snprintf(path, sizeof(path), "%s/sluice.conf", tdir);
	if ((fp = fopen(path, "w")) == NULL)
		bail_out("%s: %s", path, strerror(errno));
	fprintf(fp,
	    "http_port 127.0.0.1:1\n"
	    "https_port 127.0.0.1:2 tls-cert=good.pem tls-key=good.key\n"
	    "https_port 127.0.0.1:3 tls-cert=good.pem tls-key=good.key "
	    "tls-min-version=1.3\n"
	    "http_port 127.0.0.1:4 ssl-bump tls-cert=ca.pem tls-key=ca.key "
	    "generate-host-certificates=on dynamic_cert_mem_cache_size=32KB\n"
	    "tls_outgoing_options cafile=ca.pem default-ca=off\n"
	    "acl bumped dstdomain .bump.test\n"
	    "ssl_bump bump bumped\n");
	fclose(fp);
	if ((cf = config_load(path)) == NULL)
		bail_out("the test config does not load");
	for (i = 0; i < cf->nlisten; i++) {
		if (cf->listen[i].tls_server != NULL)
			*(cf->listen[i].tls.min_version == 0x0304 ? &https13 :
			    &https12) = cf->listen[i].tls_server;
		if (cf->listen[i].tls_mint != NULL)
			mint = cf->listen[i].tls_mint;
	}
	cc = cf->tls_client;
	if (https12 == NULL || https13 == NULL || mint == NULL || cc == NULL)
		bail_out("the test config lacks a TLS context");
	if (tls_worker_init(cf) == -1)
		bail_out("tls_worker_init");
}

/* A handshake between our client (to @p host) and our https server. */
static int
engine_pair(struct tls_server *srv, const char *host, struct side *c,
    struct side *s)
{
	struct tls *tc, *ts;
	int fd[2];

	pair(fd);
	if (tls_connect(cc, fd[0], host, 443, &tc) != SL_OK ||
	    tls_accept(srv, fd[1], &ts) != SL_OK)
		bail_out("tls_connect/tls_accept");
	side_engine(c, "client", fd[0], tc);
	side_engine(s, "server", fd[1], ts);
	return pump(c, s);
}

/* --------------------------------------------------------------- tests */

static void
t_handshake(void)
{
	struct side c, s;
	char buf[64];
	ssize_t n;

	is_int(engine_pair(https12, "origin.test", &c, &s), 0,
	    "engine to engine: the handshake ends");
	is_int(c.rc, SL_OK, "client side: SL_OK");
	is_int(s.rc, SL_OK, "server side: SL_OK");
	is_str(tls_version(c.t), "TLSv1.3", "TLS 1.3 is negotiated");
	is_str(tls_alpn(s.t) ? tls_alpn(s.t) : "(none)", "http/1.1",
	    "ALPN: the server selected http/1.1");
	is_str(tls_alpn(c.t) ? tls_alpn(c.t) : "(none)", "http/1.1",
	    "ALPN: the client offered http/1.1 and got it");
	is_str(tls_sni(s.t) ? tls_sni(s.t) : "(none)", "origin.test",
	    "SNI: the client sent the origin's name");
	ok(!tls_resumed(c.t), "first connection: a full handshake");

	is_int((int)write_all(c.t, c.fd, "hello", 5), 5, "client writes 5 bytes");
	n = read_all(s.t, s.fd, buf, 5);
	ok(n == 5 && memcmp(buf, "hello", 5) == 0, "server reads them");
	is_int((int)write_all(s.t, s.fd, "world", 5), 5, "server answers");
	/* Reading also takes in the TLS 1.3 session tickets. */
	n = read_all(c.t, c.fd, buf, 5);
	ok(n == 5 && memcmp(buf, "world", 5) == 0, "client reads the answer");
	is_int(tls_shutdown(c.t), SL_OK, "client: tls_shutdown sends "
	    "close_notify");
	n = read_all(s.t, s.fd, buf, 1);
	is_int((int)tls_read(s.t, buf, 1), 0, "server: tls_read returns 0 "
	    "after close_notify (a clean end)");
	is_int(tls_error(s.t), TLS_E_NONE, "a clean end is no error");
	side_end(&c);
	side_end(&s);

	/* The second connection to the same host:port resumes. */
	is_int(engine_pair(https12, "origin.test", &c, &s), 0,
	    "second connection: handshake ends");
	ok(c.rc == SL_OK && tls_resumed(c.t) && tls_resumed(s.t),
	    "second connection to origin.test:443 resumes the session "
	    "(TLS 1.3 ticket from the client's table)");
	side_end(&c);
	side_end(&s);
	/* A TLS 1.3 ticket is used once: the third one had the ticket of
	   the second connection only if that one read; it did not. */
	is_int(engine_pair(https12, "origin.test", &c, &s), 0,
	    "third connection: handshake ends");
	ok(c.rc == SL_OK && !tls_resumed(c.t), "a TLS 1.3 ticket is offered "
	    "once (RFC 8446 §C.4): the third connection is a full handshake");
	/* This one reads its tickets, then ends without close_notify (an
	   idle timeout): its session stays usable (RFC 5246 §7.2.1). */
	(void)write_all(s.t, s.fd, "z", 1);
	n = read_all(c.t, c.fd, buf, 1);
	side_end(&c);
	side_end(&s);
	is_int(engine_pair(https12, "origin.test", &c, &s), 0,
	    "fourth connection: handshake ends");
	ok(n == 1 && c.rc == SL_OK && tls_resumed(c.t), "a connection closed "
	    "without close_notify left a session the next one resumes");
	side_end(&c);
	side_end(&s);
}

/* A plain OpenSSL client, TLS 1.2 only, no tickets: the session cache. */
static void
t_resume12(void)
{
	SSL_SESSION *sess = NULL;
	struct side c, s;
	struct tls *ts;
	SSL_CTX *ctx;
	int fd[2], i, resumed[2] = { 0, 0 };

	ctx = tlspki_client_ctx(&pki);
	SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
	for (i = 0; i < 2; i++) {
		pair(fd);
		if (tls_accept(https12, fd[1], &ts) != SL_OK)
			bail_out("tls_accept");
		side_ssl(&c, "client", fd[0], ctx, 0);
		SSL_set_tlsext_host_name(c.ssl, "origin.test");
		SSL_set1_host(c.ssl, "origin.test");
		if (sess != NULL)
			SSL_set_session(c.ssl, sess);
		side_engine(&s, "server", fd[1], ts);
		if (pump(&c, &s) == 0 && c.rc == SL_OK && s.rc == SL_OK) {
			resumed[i] = tls_resumed(s.t);
			if (sess == NULL)
				sess = SSL_get1_session(c.ssl);
		}
		side_end(&c);
		side_end(&s);
	}
	ok(sess != NULL && !resumed[0] && resumed[1], "TLS 1.2 without "
	    "tickets: the server's session cache resumes the second "
	    "connection");
	SSL_SESSION_free(sess);
	SSL_CTX_free(ctx);
}

/*
 * Serve one connection in a forked child (a "worker"): handshake, write
 * "x", close_notify.  Exit status: 10 + resumed, 1 on failure.
 */
static pid_t
child_serve(struct tls_server *srv, int fd)
{
	struct pollfd p;
	struct tls *t;
	pid_t pid;
	int rc, i;

	if ((pid = fork()) != 0)
		return pid;
	if (tls_accept(srv, fd, &t) != SL_OK)
		_exit(1);
	for (i = 0; i < ROUNDS; i++) {
		if ((rc = tls_handshake(t)) != SL_AGAIN)
			break;
		p.fd = fd;
		p.events = tls_want(t) == TLS_WANT_READ ? POLLIN : POLLOUT;
		if (poll(&p, 1, POLL_MS) == 0)
			_exit(1);
	}
	if (rc != SL_OK || write_all(t, fd, "x", 1) != 1)
		_exit(1);
	(void)tls_shutdown(t);
	_exit(10 + tls_resumed(t));
}

static int
child_wait(pid_t pid)
{
	int i, st;

	for (i = 0; i < 1000; i++) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
		usleep(10000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	return -1;
}

/*
 * Two forked children play two workers of one generation: a ticket the
 * first issued resumes on the second (the ticket keys come from the
 * master's context, shared across fork).  TLS 1.2 tickets: our client
 * keeps a TLS 1.2 session for more than one use.
 */
static void
t_resume_workers(void)
{
	SSL_SESSION *sess = NULL;
	struct side c;
	SSL_CTX *ctx;
	char b;
	int fd[2], i, st[2], got[2];
	pid_t pid;

	ctx = tlspki_client_ctx(&pki);
	SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION);
	for (i = 0; i < 2; i++) {
		pair(fd);
		pid = child_serve(https12, fd[1]);
		close(fd[1]);
		side_ssl(&c, "client", fd[0], ctx, 0);
		SSL_set_tlsext_host_name(c.ssl, "origin.test");
		if (sess != NULL)
			SSL_set_session(c.ssl, sess);
		got[i] = 0;
		if (pump(&c, NULL) == 0 && c.rc == SL_OK) {
			struct pollfd p = { .fd = fd[0], .events = POLLIN };
			int k;

			for (k = 0; k < ROUNDS; k++) {
				if (SSL_read(c.ssl, &b, 1) == 1) {
					got[i] = 1;
					break;
				}
				if (SSL_get_error(c.ssl, 0) == SSL_ERROR_SSL ||
				    poll(&p, 1, POLL_MS) == 0)
					break;
			}
			if (sess == NULL)
				sess = SSL_get1_session(c.ssl);
		}
		side_end(&c);
		st[i] = child_wait(pid);
	}
	ok(got[0] && got[1] && st[0] == 10 && st[1] == 11, "a TLS 1.2 ticket "
	    "from one forked worker resumes on another (status %d, %d)",
	    st[0], st[1]);
	SSL_SESSION_free(sess);
	SSL_CTX_free(ctx);
}

/* A plain OpenSSL client offering @p minv..@p maxv (and @p ciphers, @p
   alpn) to server @p srv: @return the server side's result. */
static int
offer(struct tls_server *srv, int minv, int maxv, const char *ciphers,
    const unsigned char *alpn, unsigned alpnlen, struct side *s)
{
	struct side c;
	struct tls *ts;
	SSL_CTX *ctx;
	int fd[2];

	ctx = tlspki_client_ctx(&pki);
	SSL_CTX_set_security_level(ctx, 0);
	SSL_CTX_set_min_proto_version(ctx, minv);
	SSL_CTX_set_max_proto_version(ctx, maxv);
	if (ciphers != NULL)
		SSL_CTX_set_cipher_list(ctx, ciphers);
	else
		SSL_CTX_set_cipher_list(ctx, "DEFAULT:@SECLEVEL=0");
	if (alpn != NULL)
		SSL_CTX_set_alpn_protos(ctx, alpn, alpnlen);
	pair(fd);
	if (tls_accept(srv, fd[1], &ts) != SL_OK)
		bail_out("tls_accept");
	side_ssl(&c, "client", fd[0], ctx, 0);
	side_engine(s, "server", fd[1], ts);
	if (pump(&c, s) == -1)
		s->rc = 99;
	side_end(&c);
	SSL_CTX_free(ctx);
	return s->rc;
}

static void
t_refused(void)
{
	struct side s;

	is_int(offer(https12, TLS1_VERSION, TLS1_VERSION, NULL, NULL, 0, &s),
	    SL_ERROR, "a TLS 1.0 ClientHello is refused");
	ok(tls_error(s.t) == TLS_E_VERSION && strstr(tls_reason(s.t),
	    "no TLS version in common") != NULL, "... as TLS_E_VERSION: %s",
	    tls_reason(s.t));
	side_end(&s);
	is_int(offer(https12, TLS1_1_VERSION, TLS1_1_VERSION, NULL, NULL, 0,
	    &s), SL_ERROR, "a TLS 1.1 ClientHello is refused");
	is_int(tls_error(s.t), TLS_E_VERSION, "... as TLS_E_VERSION");
	side_end(&s);
	is_int(offer(https13, TLS1_2_VERSION, TLS1_2_VERSION, NULL, NULL, 0,
	    &s), SL_ERROR, "tls-min-version=1.3 refuses a TLS 1.2 client");
	is_int(tls_error(s.t), TLS_E_VERSION, "... as TLS_E_VERSION");
	side_end(&s);
	is_int(offer(https13, TLS1_2_VERSION, TLS1_3_VERSION, NULL, NULL, 0,
	    &s), SL_OK, "tls-min-version=1.3 takes a TLS 1.3 client");
	side_end(&s);
	is_int(offer(https12, TLS1_2_VERSION, TLS1_2_VERSION,
	    "ECDHE-ECDSA-AES128-SHA:AES128-GCM-SHA256:DHE-RSA-AES128-GCM-SHA256",
	    NULL, 0, &s), SL_ERROR, "TLS 1.2 offering only CBC, static-RSA "
	    "and DHE suites is refused");
	ok(tls_error(s.t) == TLS_E_CIPHER, "... as TLS_E_CIPHER: %s",
	    tls_reason(s.t));
	side_end(&s);
	is_int(offer(https12, TLS1_2_VERSION, TLS1_2_VERSION,
	    "ECDHE-ECDSA-CHACHA20-POLY1305", NULL, 0, &s), SL_OK,
	    "TLS 1.2 with ECDHE-ECDSA-CHACHA20-POLY1305 is taken");
	side_end(&s);
	is_int(offer(https12, TLS1_2_VERSION, TLS1_3_VERSION, NULL,
	    (const unsigned char *)"\x02h2", 3, &s), SL_ERROR,
	    "ALPN offering h2 only is refused (RFC 7301 §3.2)");
	ok(tls_error(s.t) == TLS_E_ALPN, "... as TLS_E_ALPN: %s",
	    tls_reason(s.t));
	side_end(&s);
	is_int(offer(https12, TLS1_2_VERSION, TLS1_3_VERSION, NULL,
	    (const unsigned char *)"\x02h2\x08http/1.1", 12, &s), SL_OK,
	    "ALPN offering h2 and http/1.1 gets http/1.1");
	is_str(tls_alpn(s.t) ? tls_alpn(s.t) : "(none)", "http/1.1",
	    "... selected http/1.1");
	side_end(&s);
	is_int(offer(https12, TLS1_2_VERSION, TLS1_3_VERSION, NULL, NULL, 0,
	    &s), SL_OK, "a client without ALPN is served");
	ok(tls_alpn(s.t) == NULL, "... and no protocol is selected");
	side_end(&s);
}

/* A real ClientHello's bytes, from a memory BIO. */
static size_t
client_hello(unsigned char *buf, size_t size)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	BIO *rb = BIO_new(BIO_s_mem()), *wb = BIO_new(BIO_s_mem());
	SSL *ssl = SSL_new(ctx);
	int n;

	SSL_set_bio(ssl, rb, wb);
	SSL_set_tlsext_host_name(ssl, "origin.test");
	(void)SSL_connect(ssl);
	n = BIO_read(wb, buf, (int)size);
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	ERR_clear_error();
	return n > 0 ? (size_t)n : 0;
}

/* Hostile bytes at an https_port: the engine ends cleanly with a reason. */
static int
hostile(const void *bytes, size_t len, int close_after, struct side *s)
{
	struct side c;
	struct tls *ts;
	int fd[2];

	pair(fd);
	if (tls_accept(https12, fd[1], &ts) != SL_OK)
		bail_out("tls_accept");
	side_raw(&c, "client", fd[0], bytes, len, close_after);
	side_engine(s, "server", fd[1], ts);
	if (pump(&c, s) == -1)
		s->rc = 99;
	side_end(&c);
	return s->rc;
}

static void
t_hostile(void)
{
	static const char http[] = "GET http://example.com/ HTTP/1.1\r\n"
	    "Host: example.com\r\n\r\n";
	static const unsigned char junk[] = { 0x16, 0x03, 0x01, 0xff, 0xff,
	    0x01, 0x00, 0xff, 0xfb, 0x03, 0x03, 0xde, 0xad, 0xbe, 0xef };
	static const unsigned char noise[] = "\x80\x01\x02\x03\x04\x05\x06\x07"
	    "\x08\x09garbage garbage garbage garbage";
	unsigned char hello[2048];
	struct side s;
	size_t n;

	is_int(hostile(http, sizeof(http) - 1, 0, &s), SL_ERROR,
	    "plain HTTP on the TLS port: the handshake fails");
	ok(tls_error(s.t) == TLS_E_PROTOCOL && strstr(tls_reason(s.t),
	    "plain HTTP") != NULL, "... reason: %s", tls_reason(s.t));
	side_end(&s);
	is_int(hostile(noise, sizeof(noise) - 1, 0, &s), SL_ERROR,
	    "garbage bytes: the handshake fails");
	ok(tls_error(s.t) == TLS_E_PROTOCOL && tls_reason(s.t)[0] != '\0',
	    "... as TLS_E_PROTOCOL: %s", tls_reason(s.t));
	side_end(&s);
	is_int(hostile(junk, sizeof(junk), 0, &s), SL_ERROR,
	    "a handshake record with a 65535-byte length: refused");
	ok(tls_error(s.t) == TLS_E_PROTOCOL, "... as TLS_E_PROTOCOL: %s",
	    tls_reason(s.t));
	side_end(&s);
	n = client_hello(hello, sizeof(hello));
	ok(n > 100, "a real ClientHello is %zu bytes", n);
	is_int(hostile(hello, n / 2, 1, &s), SL_ERROR,
	    "half a ClientHello, then EOF: the handshake fails");
	ok(tls_error(s.t) == TLS_E_TRUNCATED && strstr(tls_reason(s.t),
	    "in the handshake") != NULL, "... as TLS_E_TRUNCATED: %s",
	    tls_reason(s.t));
	side_end(&s);
	is_int(hostile("", 0, 1, &s), SL_ERROR,
	    "EOF before any byte: the handshake fails");
	is_int(tls_error(s.t), TLS_E_TRUNCATED, "... as TLS_E_TRUNCATED");
	side_end(&s);
	/* Further calls after a failure keep failing, never abort. */
	is_int(hostile(noise, sizeof(noise) - 1, 0, &s), SL_ERROR,
	    "garbage again");
	ok(tls_handshake(s.t) == SL_ERROR && tls_read(s.t, hello, 1) ==
	    SL_ERROR && tls_write(s.t, "x", 1) == SL_ERROR &&
	    tls_shutdown(s.t) == SL_ERROR, "after a failure every call "
	    "returns SL_ERROR (no close_notify after a fatal error)");
	side_end(&s);
}

/* Our client against a plain OpenSSL server presenting @p leaf. */
static int
verify(int leaf, const char *host, SSL_CTX *sctx, struct side *c,
    char *sni, size_t snilen)
{
	struct side s;
	struct tls *tc;
	SSL_CTX *ctx = sctx != NULL ? sctx : tlspki_server_ctx(&pki, leaf);
	const char *name;
	int fd[2];

	pair(fd);
	if (tls_connect(cc, fd[0], host, 443, &tc) != SL_OK)
		bail_out("tls_connect %s", host);
	side_engine(c, "client", fd[0], tc);
	side_ssl(&s, "server", fd[1], ctx, 1);
	if (pump(c, &s) == -1)
		c->rc = 99;
	if (sni != NULL) {
		name = SSL_get_servername(s.ssl, TLSEXT_NAMETYPE_host_name);
		snprintf(sni, snilen, "%s", name != NULL ? name : "");
	}
	side_end(&s);
	if (sctx == NULL)
		SSL_CTX_free(ctx);
	return c->rc;
}

static void
t_verify(void)
{
	static const struct {
		int		 leaf;
		const char	*host;
		long		 err;
		const char	*why;
	} v[] = {
		{ TLSPKI_GOOD, "origin.test", X509_V_OK, "the good leaf" },
		{ TLSPKI_GOOD, "ORIGIN.test.", X509_V_OK,
		    "the good leaf, name in another case with a final dot" },
		{ TLSPKI_GOOD, "x.wild.test", X509_V_OK,
		    "a wildcard SAN covers one label" },
		{ TLSPKI_GOOD, "a.b.wild.test", X509_V_ERR_HOSTNAME_MISMATCH,
		    "a wildcard SAN covers no more than one label" },
		{ TLSPKI_EXPIRED, "origin.test", X509_V_ERR_CERT_HAS_EXPIRED,
		    "an expired leaf" },
		{ TLSPKI_NOT_YET, "origin.test", X509_V_ERR_CERT_NOT_YET_VALID,
		    "a leaf not valid yet" },
		{ TLSPKI_WRONG_NAME, "origin.test",
		    X509_V_ERR_HOSTNAME_MISMATCH, "a leaf for another name" },
		{ TLSPKI_SELF_SIGNED, "origin.test",
		    X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT,
		    "a self-signed leaf" },
		{ TLSPKI_UNTRUSTED, "origin.test",
		    X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY,
		    "a leaf from an untrusted CA" },
		{ TLSPKI_CN_ONLY, "origin.test", X509_V_ERR_HOSTNAME_MISMATCH,
		    "the name only in the CN, no SAN (browsers ignore the CN)" },
		{ TLSPKI_SHA1, "origin.test", X509_V_ERR_CA_MD_TOO_WEAK,
		    "a leaf signed with SHA-1" },
		{ TLSPKI_CLIENT_EKU, "origin.test", X509_V_ERR_INVALID_PURPOSE,
		    "a leaf for clientAuth only (extended key usage)" },
		{ TLSPKI_RSA1024, "origin.test", X509_V_ERR_EE_KEY_TOO_SMALL,
		    "a leaf with a 1024-bit RSA key" },
		{ TLSPKI_IP, "127.0.0.1", X509_V_OK, "an IPv4 literal against "
		    "an IP SAN" },
		{ TLSPKI_IP, "::1", X509_V_OK, "an IPv6 literal against an IP "
		    "SAN" },
		{ TLSPKI_IP, "[::1]", X509_V_OK, "a bracketed IPv6 literal" },
		{ TLSPKI_IP, "127.0.0.2", X509_V_ERR_IP_ADDRESS_MISMATCH,
		    "another IP literal" },
		{ TLSPKI_IP, "origin.test", X509_V_ERR_HOSTNAME_MISMATCH,
		    "a name against a leaf with only IP SANs" },
		{ TLSPKI_WRONG_NAME, "127.0.0.1", X509_V_ERR_IP_ADDRESS_MISMATCH,
		    "an IP literal against a leaf without IP SANs" },
	};
	struct side c;
	char sni[256];
	size_t i;
	int rc;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		rc = verify(v[i].leaf, v[i].host, NULL, &c, sni, sizeof(sni));
		if (v[i].err == X509_V_OK)
			ok(rc == SL_OK, "%s (%s): verified", v[i].why,
			    v[i].host);
		else
			ok(rc == SL_ERROR && tls_error(c.t) == TLS_E_VERIFY &&
			    tls_verify_error(c.t) == v[i].err, "%s (%s): "
			    "refused with %s: %s", v[i].why, v[i].host,
			    X509_verify_cert_error_string(v[i].err),
			    tls_reason(c.t));
		if (i == 0)
			is_str(sni, "origin.test", "SNI origin.test sent");
		if (v[i].leaf == TLSPKI_IP && v[i].err == X509_V_OK)
			is_str(sni, "", "no SNI for the IP literal %s "
			    "(RFC 6066 §3)", v[i].host);
		if (v[i].leaf == TLSPKI_GOOD && v[i].host[0] == 'O')
			is_str(sni, "ORIGIN.test", "SNI without the final dot");
		side_end(&c);
	}
	rc = verify(TLSPKI_EXPIRED, "origin.test", NULL, &c, NULL, 0);
	is_str(tls_reason(c.t), "certificate verify failed: certificate has "
	    "expired (depth 0)", "the reason says what failed and where");
	side_end(&c);
}

/* The origin side refuses what the policy refuses. */
static void
t_origin_policy(void)
{
	struct side c;
	SSL_CTX *sctx;

	sctx = tlspki_server_ctx(&pki, TLSPKI_GOOD);
	SSL_CTX_set_max_proto_version(sctx, TLS1_1_VERSION);
	is_int(verify(TLSPKI_GOOD, "origin.test", sctx, &c, NULL, 0),
	    SL_ERROR, "an origin that speaks TLS 1.1 at most is refused");
	ok(tls_error(c.t) == TLS_E_VERSION, "... as TLS_E_VERSION: %s",
	    tls_reason(c.t));
	side_end(&c);
	SSL_CTX_free(sctx);

	sctx = tlspki_server_ctx(&pki, TLSPKI_GOOD);
	SSL_CTX_set_max_proto_version(sctx, TLS1_2_VERSION);
	SSL_CTX_set_cipher_list(sctx, "ECDHE-ECDSA-AES128-SHA:@SECLEVEL=0");
	is_int(verify(TLSPKI_GOOD, "origin.test", sctx, &c, NULL, 0),
	    SL_ERROR, "an origin with only a CBC suite is refused");
	ok(tls_error(c.t) == TLS_E_CIPHER, "... as TLS_E_CIPHER: %s",
	    tls_reason(c.t));
	side_end(&c);
	SSL_CTX_free(sctx);
}

/* A plain OpenSSL client (trusting the test CA) to a bumped CONNECT. */
static int
bump(const char *connect_host, const char *sni, const char *verify_host,
    struct side *s, X509 **peer)
{
	struct side c;
	struct tls *ts;
	SSL_CTX *ctx = tlspki_client_ctx(&pki);
	int fd[2];

	pair(fd);
	if (tls_bump_accept(mint, fd[1], connect_host, &ts) != SL_OK)
		bail_out("tls_bump_accept");
	side_ssl(&c, "client", fd[0], ctx, 0);
	if (sni != NULL)
		SSL_set_tlsext_host_name(c.ssl, sni);
	if (verify_host != NULL && tls_host_same(verify_host, "127.0.0.1"))
		X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c.ssl),
		    verify_host);
	else if (verify_host != NULL)
		SSL_set1_host(c.ssl, verify_host);
	side_engine(s, "server", fd[1], ts);
	if (pump(&c, s) == -1)
		s->rc = 99;
	if (peer != NULL)
		*peer = c.rc == SL_OK ? SSL_get1_peer_certificate(c.ssl) : NULL;
	side_end(&c);
	SSL_CTX_free(ctx);
	return s->rc;
}

/* The subjectAltName of @p x as text ("DNS:a.test"). */
static void
san_text(X509 *x, char *buf, size_t size)
{
	GENERAL_NAMES *g = X509_get_ext_d2i(x, NID_subject_alt_name, NULL,
	    NULL);
	const GENERAL_NAME *n;
	const unsigned char *ip;
	int i;

	buf[0] = '\0';
	for (i = 0; g != NULL && i < sk_GENERAL_NAME_num(g); i++) {
		n = sk_GENERAL_NAME_value(g, i);
		if (n->type == GEN_DNS)
			snprintf(buf + strlen(buf), size - strlen(buf),
			    "%sDNS:%s", i ? "," : "",
			    (const char *)ASN1_STRING_get0_data(n->d.dNSName));
		else if (n->type == GEN_IPADD && n->d.iPAddress->length == 4) {
			ip = ASN1_STRING_get0_data(n->d.iPAddress);
			snprintf(buf + strlen(buf), size - strlen(buf),
			    "%sIP:%u.%u.%u.%u", i ? "," : "", ip[0], ip[1],
			    ip[2], ip[3]);
		}
	}
	GENERAL_NAMES_free(g);
}

static void
t_bump(void)
{
	X509 *x, *y;
	X509_STORE *st;
	X509_STORE_CTX *xs;
	EVP_PKEY *k;
	struct side s;
	char san[256], name[64];
	time_t now = time(NULL), na;
	int ok1, i, diff;
	void *c0, *c1;
	long long m0 = mem_live, m1;

	/* The first certificate of this worker: what it costs. */
	(void)tls_mint_cert(mint, "first.bump.test");
	m1 = mem_live;
	diag("a minted certificate holds %lld bytes of OpenSSL memory",
	    m1 - m0);
	ok(m1 - m0 > 500 && m1 - m0 + 300 < 4096, "a minted certificate and "
	    "its entry cost under the 4 KB the cache budgets for each (%lld "
	    "bytes)", m1 - m0 + 300);

	is_int(bump("registry.bump.test", "registry.bump.test",
	    "registry.bump.test", &s, &x), SL_OK, "bump: a client with SNI "
	    "registry.bump.test verifies the minted certificate");
	side_end(&s);
	if (x == NULL)
		bail_out("no minted certificate");
	san_text(x, san, sizeof(san));
	is_str(san, "DNS:registry.bump.test", "its only SAN is the name");
	/* Chains to the CA, as a client that trusts only it checks. */
	st = X509_STORE_new();
	xs = X509_STORE_CTX_new();
	X509_STORE_add_cert(st, pki.ca);
	X509_STORE_CTX_init(xs, st, x, NULL);
	X509_STORE_CTX_set_purpose(xs, X509_PURPOSE_SSL_SERVER);
	ok1 = X509_verify_cert(xs) == 1;
	ok(ok1, "it chains to the test CA for serverAuth (%s)",
	    X509_verify_cert_error_string(X509_STORE_CTX_get_error(xs)));
	X509_STORE_CTX_free(xs);
	X509_STORE_free(st);
	ok(X509_NAME_cmp(X509_get_issuer_name(x),
	    X509_get_subject_name(pki.ca)) == 0, "issuer is the CA's subject");
	ok(X509_check_ca(x) == 0, "it is not a CA (basicConstraints "
	    "CA:FALSE)");
	ok((X509_get_extended_key_usage(x) & XKU_SSL_SERVER) &&
	    (X509_get_key_usage(x) & KU_DIGITAL_SIGNATURE),
	    "keyUsage digitalSignature, extendedKeyUsage serverAuth");
	X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName,
	    name, sizeof(name));
	is_str(name, "registry.bump.test", "CN is the name");
	ok(ASN1_TIME_cmp_time_t(X509_get0_notAfter(x), now + 30L * 86400 +
	    60) <= 0 && X509_cmp_time(X509_get0_notAfter(pki.ca),
	    NULL) > 0 && ASN1_TIME_compare(X509_get0_notAfter(x),
	    X509_get0_notAfter(pki.ca)) <= 0, "valid 30 days at most, never "
	    "beyond the CA");
	ok(ASN1_TIME_cmp_time_t(X509_get0_notBefore(x), now) < 0,
	    "valid from before now (clock skew)");
	k = X509_get0_pubkey(x);
	ok(EVP_PKEY_id(k) == EVP_PKEY_EC && EVP_PKEY_bits(k) == 256,
	    "its key is EC P-256");
	is_int(X509_get_ext_count(x), 6, "six extensions (bc, ku, eku, san, "
	    "skid, akid), nothing else");

	/* The same name again: from the cache, the same certificate. */
	is_int(bump("registry.bump.test", NULL, "registry.bump.test", &s, &y),
	    SL_OK, "bump without SNI: the CONNECT host names the certificate");
	side_end(&s);
	ok(y != NULL && X509_cmp(x, y) == 0, "the second handshake gets the "
	    "cached certificate");
	X509_free(y);
	is_int(bump("other.bump.test", "other.bump.test", "other.bump.test",
	    &s, &y), SL_OK, "another name: another certificate");
	side_end(&s);
	ok(y != NULL && EVP_PKEY_eq(X509_get0_pubkey(x), X509_get0_pubkey(y))
	    == 1, "... with the same worker key (one key pair per worker)");
	X509_free(y);
	X509_free(x);

	is_int(bump("127.0.0.1", NULL, "127.0.0.1", &s, &x), SL_OK,
	    "bump of CONNECT 127.0.0.1 without SNI: verified by IP");
	side_end(&s);
	if (x != NULL)
		san_text(x, san, sizeof(san));
	is_str(x != NULL ? san : "", "IP:127.0.0.1", "an IP SAN, no DNS name");
	X509_free(x);

	is_int(bump("a.bump.test", "b.bump.test", NULL, &s, NULL), SL_ERROR,
	    "SNI b.bump.test on a CONNECT to a.bump.test is refused");
	ok(tls_error(s.t) == TLS_E_SNI && strstr(tls_reason(s.t),
	    "b.bump.test") != NULL, "... as TLS_E_SNI: %s", tls_reason(s.t));
	side_end(&s);
	is_int(bump("A.Bump.Test.", "a.bump.test", "a.bump.test", &s, NULL),
	    SL_OK, "SNI equal to the CONNECT host but for case and the final "
	    "dot is the same name");
	side_end(&s);
	is_int(bump("bad_name.bump.test", NULL, NULL, &s, NULL), SL_ERROR,
	    "a CONNECT host that is not a host name gets no certificate");
	ok(tls_error(s.t) == TLS_E_MINT, "... as TLS_E_MINT: %s",
	    tls_reason(s.t));
	side_end(&s);
	ok(tls_mint_cert(mint, "*.bump.test") == NULL &&
	    tls_mint_cert(mint, "") == NULL &&
	    tls_mint_cert(mint, "a..b") == NULL &&
	    tls_mint_cert(mint, "1.2.3.4.5") == NULL, "no certificate for a "
	    "wildcard, an empty name, an empty label, a numeric last label");
	x = tls_mint_cert(mint, "10.1.2.3.");
	if (x != NULL)
		san_text(x, san, sizeof(san));
	is_str(x != NULL ? san : "", "IP:10.1.2.3", "\"10.1.2.3.\" is the "
	    "address, an IP SAN (never a numeric DNS name)");

	/* The cache is bounded: 32 KB = 8 certificates. */
	is_int((int)tls_mint_capacity(mint), 8, "dynamic_cert_mem_cache_size="
	    "32KB keeps 8 certificates");
	c0 = tls_mint_cert(mint, "n0.bump.test");
	for (i = 1; i < 20; i++) {
		snprintf(name, sizeof(name), "n%d.bump.test", i);
		c1 = tls_mint_cert(mint, name);
	}
	is_int((int)tls_mint_count(mint), 8, "after 20 names the cache holds "
	    "8");
	ok(c1 != NULL && tls_mint_cert(mint, "n19.bump.test") == c1,
	    "the most recent name is still cached");
	diff = tls_mint_cert(mint, "n0.bump.test") != NULL;
	ok(diff && tls_mint_count(mint) == 8, "the oldest was evicted and is "
	    "minted again, the count stays 8 (%p was the first)", c0);
	/* Touching a name keeps it: the least recently used goes. */
	(void)tls_mint_cert(mint, "n13.bump.test");
	for (i = 20; i < 27; i++) {
		snprintf(name, sizeof(name), "n%d.bump.test", i);
		(void)tls_mint_cert(mint, name);
	}
	c0 = tls_mint_cert(mint, "n13.bump.test");
	na = (time_t)tls_mint_count(mint);
	ok(c0 != NULL && na == 8, "a recently used name survives 7 new ones "
	    "(LRU)");
}

/* A CA that expires in 5 days: minted certificates end with it. */
static void
t_short_ca(void)
{
	char pem[128], key[128], path[128];
	struct conf *c2;
	EVP_PKEY *k;
	X509 *ca, *x;
	FILE *fp;
	size_t i;
	struct tls_mint *m = NULL;

	snprintf(pem, sizeof(pem), "%s/short-ca.pem", tdir);
	snprintf(key, sizeof(key), "%s/short-ca.key", tdir);
	if (tlspki_make_ca_days("short CA", pem, key, 5, &ca, &k) == -1)
		bail_out("cannot make the short CA");
	snprintf(path, sizeof(path), "%s/short.conf", tdir);
	if ((fp = fopen(path, "w")) == NULL)
		bail_out("%s", path);
	fprintf(fp, "http_port 127.0.0.1:1 ssl-bump tls-cert=short-ca.pem "
	    "tls-key=short-ca.key\n");
	fclose(fp);
	if ((c2 = config_load(path)) == NULL)
		bail_out("the short CA config does not load");
	for (i = 0; i < c2->nlisten; i++)
		if (c2->listen[i].tls_mint != NULL)
			m = c2->listen[i].tls_mint;
	x = m != NULL ? tls_mint_cert(m, "short.bump.test") : NULL;
	ok(x != NULL && ASN1_TIME_compare(X509_get0_notAfter(x),
	    X509_get0_notAfter(ca)) == 0, "a CA that expires in 5 days: the "
	    "minted certificate ends when the CA does, not in 30 days");
	config_free(c2);
	X509_free(ca);
	EVP_PKEY_free(k);
}

/* Partial writes, a moved buffer, and reads in small pieces. */
static void
t_bulk(void)
{
	static char src[1 << 20], dst[1 << 20], moved[1 << 20];
	struct side c, s;
	struct pollfd p[2];
	size_t sent = 0, got = 0, want;
	ssize_t n;
	int partial = 0, again = 0, rounds, sz = 65536, mvd = 0;
	const char *from;

	for (n = 0; n < (ssize_t)sizeof(src); n++)
		src[n] = (char)(n * 7 + (n >> 9));
	if (engine_pair(https12, "origin.test", &c, &s) != 0 || c.rc != SL_OK)
		bail_out("handshake for the bulk test");
	setsockopt(c.fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	setsockopt(s.fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	from = src;
	for (rounds = 0; rounds < 100000 && got < sizeof(src); rounds++) {
		if (sent < sizeof(src)) {
			want = sizeof(src) - sent;
			n = tls_write(c.t, from + sent, want);
			if (n > 0) {
				if ((size_t)n < want)
					partial++;
				sent += (size_t)n;
				/* Back to the original buffer after a move. */
				from = src;
			} else if (n == SL_AGAIN) {
				again++;
				/* Move the unsent bytes, as a compaction
				   would: the retry comes from elsewhere. */
				memcpy(moved + sent, src + sent, want);
				from = moved;
				mvd++;
			} else
				break;
		}
		n = tls_read(s.t, dst + got, 5000);
		if (n > 0) {
			got += (size_t)n;
			continue;
		}
		if (n != SL_AGAIN)
			break;
		p[0].fd = s.fd;
		p[0].events = POLLIN;
		p[1].fd = c.fd;
		p[1].events = POLLOUT;
		if (poll(p, sent < sizeof(src) ? 2 : 1, POLL_MS) == 0)
			break;
	}
	ok(got == sizeof(src) && memcmp(src, dst, sizeof(src)) == 0,
	    "1 MiB through 64 KB socket buffers arrives whole and in order");
	ok(partial > 0, "tls_write took less than asked %d times (partial "
	    "writes)", partial);
	ok(again > 0 && mvd > 0, "tls_write said SL_AGAIN %d times and the "
	    "retry came from a moved buffer", again);
	side_end(&c);
	side_end(&s);
}

/* Under EPOLLET: bytes OpenSSL holds raise no event; tls_pending() says. */
static void
t_pending(void)
{
	struct epoll_event ev, out[4];
	struct side c, s;
	static char big[30000], buf[30000];
	size_t got;
	ssize_t n;
	int ep, i, n1, n2;

	memset(big, 'p', sizeof(big));
	if (engine_pair(https12, "origin.test", &c, &s) != 0 || c.rc != SL_OK)
		bail_out("handshake for the pending test");
	/* Take in the tickets first: nothing else is left to read. */
	(void)write_all(s.t, s.fd, "t", 1);
	(void)read_all(c.t, c.fd, buf, 1);
	ep = epoll_create1(EPOLL_CLOEXEC);
	ev.events = EPOLLIN | EPOLLET;
	ev.data.fd = c.fd;
	epoll_ctl(ep, EPOLL_CTL_ADD, c.fd, &ev);
	(void)epoll_wait(ep, out, 4, 0);	/* consume any old edge */
	is_int((int)write_all(s.t, s.fd, big, sizeof(big)), (int)sizeof(big),
	    "the server sends 30000 bytes (two records)");
	n1 = epoll_wait(ep, out, 4, POLL_MS);
	is_int(n1, 1, "one EPOLLIN edge");
	n = tls_read(c.t, buf, 100);
	is_int((int)n, 100, "the client reads 100 bytes of a record");
	ok(tls_pending(c.t), "tls_pending(): OpenSSL holds the rest of the "
	    "record");
	n2 = epoll_wait(ep, out, 4, 0);
	is_int(n2, 0, "and no new edge will come for it (EPOLLET)");
	got = (size_t)n;
	for (i = 0; i < ROUNDS && got < sizeof(big); i++) {
		n = tls_read(c.t, buf + got, sizeof(buf) - got);
		if (n > 0) {
			got += (size_t)n;
			continue;
		}
		if (n != SL_AGAIN || epoll_wait(ep, out, 4, POLL_MS) == 0)
			break;
	}
	is_int((int)got, (int)sizeof(big), "reading until SL_AGAIN takes all "
	    "30000 bytes");
	ok(!tls_pending(c.t), "nothing pending afterwards");
	close(ep);
	side_end(&c);
	side_end(&s);
}

/* A clean end (close_notify) and a truncation (EOF without it). */
static void
t_truncation(void)
{
	struct side c, s;
	char buf[16];
	ssize_t n;

	if (engine_pair(https12, "origin.test", &c, &s) != 0 || c.rc != SL_OK)
		bail_out("handshake");
	(void)write_all(s.t, s.fd, "abc", 3);
	is_int(tls_shutdown(s.t), SL_OK, "server: close_notify sent");
	shutdown(s.fd, SHUT_WR);
	n = read_all(c.t, c.fd, buf, 3);
	is_int((int)n, 3, "the client reads the 3 bytes");
	n = tls_read(c.t, buf, sizeof(buf));
	ok(n == 0 && tls_error(c.t) == TLS_E_NONE, "then 0: a clean end");
	side_end(&c);
	side_end(&s);

	if (engine_pair(https12, "origin.test", &c, &s) != 0 || c.rc != SL_OK)
		bail_out("handshake");
	(void)write_all(s.t, s.fd, "abc", 3);
	shutdown(s.fd, SHUT_WR);	/* TCP FIN, no close_notify */
	n = read_all(c.t, c.fd, buf, 3);
	is_int((int)n, 3, "the client reads the 3 bytes");
	n = tls_read(c.t, buf, sizeof(buf));
	ok(n == SL_ERROR && tls_error(c.t) == TLS_E_TRUNCATED,
	    "then SL_ERROR with TLS_E_TRUNCATED, not 0: %s", tls_reason(c.t));
	side_end(&c);
	side_end(&s);
}

/* tls_sendfile: the copy path here, and the same bytes either way. */
static void
t_sendfile(void)
{
	static char data[300000], got[300000], scratch[16384];
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	struct side c, s;
	struct tls *tc, *ts;
	struct pollfd p[2];
	char path[128];
	size_t sent = 0, rcvd = 0;
	ssize_t n;
	int fd, lfd, cfd, sfd, sz = 8192, i, again = 0, avail;
	FILE *fp;

	for (i = 0; i < (int)sizeof(data); i++)
		data[i] = (char)(i % 251);
	snprintf(path, sizeof(path), "%s/body", tdir);
	fp = fopen(path, "w");
	fwrite(data, 1, sizeof(data), fp);
	fclose(fp);
	fd = open(path, O_RDONLY);

	avail = strncmp(tls_sendfile_path(), "kernel TLS", 10) == 0;
	ok(avail || strncmp(tls_sendfile_path(), "userspace copy (", 16) == 0,
	    "tls_sendfile_path(): %s", tls_sendfile_path());

	/* Over real TCP, where kernel TLS could apply. */
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd == -1 || bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) ||
	    listen(lfd, 1) || getsockname(lfd, (struct sockaddr *)&sin, &len))
		bail_out("listen: %s", strerror(errno));
	cfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (connect(cfd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    (sfd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) ==
	    -1)
		bail_out("connect: %s", strerror(errno));
	close(lfd);
	fcntl(cfd, F_SETFL, O_NONBLOCK);
	setsockopt(sfd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	if (tls_connect(cc, cfd, "127.0.0.1", 443, &tc) != SL_OK ||
	    tls_accept(https12, sfd, &ts) != SL_OK)
		bail_out("tls_connect");
	side_engine(&c, "client", cfd, tc);
	side_engine(&s, "server", sfd, ts);
	if (pump(&c, &s) != 0 || c.rc != SL_OK || s.rc != SL_OK)
		bail_out("TCP handshake: %s / %s", tls_reason(tc),
		    tls_reason(ts));
	is_int(tls_ktls_send(s.t), avail, "kernel TLS on the connection %s "
	    "the probe (%s)", avail ? "as found by" : "is off, as said by",
	    avail ? "available" : "unavailable");
	for (i = 0; i < 100000 && rcvd < sizeof(data); i++) {
		/* Send until the socket is full, then read all there is:
		   300000 bytes cannot fit, so SL_AGAIN must come. */
		n = 0;
		while (sent < sizeof(data)) {
			n = tls_sendfile(s.t, fd, (off_t)sent,
			    sizeof(data) - sent, scratch, sizeof(scratch));
			if (n <= 0)
				break;
			sent += (size_t)n;
		}
		if (n == SL_AGAIN)
			again++;
		else if (n < 0)
			break;
		while ((n = tls_read(c.t, got + rcvd, sizeof(got) - rcvd)) > 0)
			rcvd += (size_t)n;
		if (n != SL_AGAIN)
			break;
		if (rcvd == sizeof(data))
			break;
		p[0].fd = cfd;
		p[0].events = POLLIN;
		p[1].fd = sfd;
		p[1].events = POLLOUT;
		if (poll(p, sent < sizeof(data) ? 2 : 1, POLL_MS) == 0)
			break;
	}
	ok(rcvd == sizeof(data) && memcmp(data, got, sizeof(data)) == 0,
	    "300000 bytes of a file arrive whole through tls_sendfile");
	ok(again > 0, "... across %d SL_AGAIN (the length in flight is "
	    "remembered)", again);
	/* A file shorter than its length: an error, never a short send. */
	n = tls_sendfile(s.t, fd, (off_t)sizeof(data) - 10, 100, scratch,
	    sizeof(scratch));
	ok(avail || (n == SL_ERROR && tls_error(s.t) == TLS_E_SYSCALL &&
	    strstr(tls_reason(s.t), "shorter") != NULL), "a file shorter than "
	    "asked: SL_ERROR (%s)", tls_reason(s.t));
	close(fd);
	side_end(&c);
	side_end(&s);
}

/* ----------------------------------------------------------- the grader */

/* Engine servers on TCP for the grader, in a thread. */
struct gsrv {
	int		 lfd, port, stop[2];
	struct tls_server *srv;
	struct tls_mint	*mint;
	pthread_t	 th;
	int		 ok, failed;
};

static void *
gsrv_thread(void *arg)
{
	struct gsrv *g = arg;
	struct pollfd p[2];
	struct tls *t;
	int fd, rc, i;

	for (;;) {
		p[0].fd = g->lfd;
		p[0].events = POLLIN;
		p[1].fd = g->stop[0];
		p[1].events = POLLIN;
		if (poll(p, 2, 10 * POLL_MS) <= 0 || p[1].revents != 0)
			return NULL;
		fd = accept4(g->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1)
			continue;
		if ((g->srv != NULL ? tls_accept(g->srv, fd, &t) :
		    tls_bump_accept(g->mint, fd, "grade.bump.test", &t)) !=
		    SL_OK) {
			close(fd);
			continue;
		}
		for (i = 0; i < ROUNDS; i++) {
			if ((rc = tls_handshake(t)) != SL_AGAIN)
				break;
			p[0].fd = fd;
			p[0].events = tls_want(t) == TLS_WANT_READ ? POLLIN :
			    POLLOUT;
			if (poll(p, 1, POLL_MS) == 0)
				break;
		}
		if (rc == SL_OK) {
			g->ok++;
			(void)tls_shutdown(t);
		} else
			g->failed++;
		tls_free(t);
		close(fd);
	}
}

static void
gsrv_start(struct gsrv *g)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((g->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    bind(g->lfd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(g->lfd, 16) == -1 ||
	    getsockname(g->lfd, (struct sockaddr *)&sin, &len) == -1 ||
	    pipe(g->stop) == -1 ||
	    pthread_create(&g->th, NULL, gsrv_thread, g) != 0)
		bail_out("grader server: %s", strerror(errno));
	g->port = ntohs(sin.sin_port);
}

static void
gsrv_stop(struct gsrv *g)
{
	(void)write(g->stop[1], "x", 1);
	pthread_join(g->th, NULL);
	close(g->lfd);
	close(g->stop[0]);
	close(g->stop[1]);
}

static const char *
vname(int v)
{
	return v == TLS1_3_VERSION ? "TLSv1.3" : v == TLS1_2_VERSION ?
	    "TLSv1.2" : "older";
}

static void
t_grade(void)
{
	struct tlsgrade_report rs, rb;
	struct tlsgrade_capture *cap;
	struct tlsgrade_hello h;
	struct gsrv g;
	struct side c;
	struct tls *tc;
	char weak[1024], list[2048];
	int fd, i, j, bad, found, missing;
	struct sockaddr_in sin;

	memset(&g, 0, sizeof(g));
	g.srv = https12;
	gsrv_start(&g);
	is_int(tlsgrade_server(g.port, "origin.test", &rs), 0,
	    "grader: the https_port engine answers");
	gsrv_stop(&g);
	list[0] = '\0';
	for (i = 0; i < rs.n; i++)
		snprintf(list + strlen(list), sizeof(list) - strlen(list),
		    " %s/%s", vname(rs.acc[i].version), rs.acc[i].cipher);
	diag("https_port accepts (of %d probes):%s", rs.probes, list);
	ok(rs.probes > 60, "the grader offered %d (version, suite) pairs",
	    rs.probes);
	is_int(tlsgrade_weak(&rs, weak, sizeof(weak)), 0,
	    "https_port: nothing weak accepted %s", weak);
	for (i = bad = 0; i < rs.n; i++)
		if (rs.acc[i].version < TLS1_2_VERSION)
			bad++;
	ok(rs.n >= 5 && bad == 0, "https_port accepts %d pairs, all TLS 1.2 "
	    "or 1.3", rs.n);

	memset(&g, 0, sizeof(g));
	g.mint = mint;
	gsrv_start(&g);
	is_int(tlsgrade_server(g.port, "grade.bump.test", &rb), 0,
	    "grader: the bump engine answers");
	gsrv_stop(&g);
	is_int(tlsgrade_weak(&rb, weak, sizeof(weak)), 0,
	    "bump side: nothing weak accepted %s", weak);

	/* What our origin side offers, from its ClientHello. */
	if ((cap = tlsgrade_capture_start()) == NULL)
		bail_out("capture server");
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)tlsgrade_capture_port(cap));
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1)
		bail_out("connect: %s", strerror(errno));
	fcntl(fd, F_SETFL, O_NONBLOCK);
	if (tls_connect(cc, fd, "origin.test", 443, &tc) != SL_OK)
		bail_out("tls_connect");
	side_engine(&c, "client", fd, tc);
	(void)pump(&c, NULL);
	side_end(&c);
	is_int(tlsgrade_capture_finish(cap, &h), 0, "the client's "
	    "ClientHello was captured");
	for (i = bad = 0; i < h.nversions; i++)
		if (h.versions[i] != TLS1_2_VERSION &&
		    h.versions[i] != TLS1_3_VERSION)
			bad++;
	ok(h.nversions == 2 && bad == 0, "the origin side offers TLS 1.3 and "
	    "1.2 only (%d versions)", h.nversions);
	list[0] = '\0';
	for (i = bad = 0; i < h.nciphers; i++) {
		snprintf(list + strlen(list), sizeof(list) - strlen(list),
		    " %s", h.cipher_names[i][0] ? h.cipher_names[i] : "?");
		if (h.ciphers[i] == 0x00ff)	/* renegotiation SCSV */
			continue;
		if (strncmp(h.cipher_names[i], "TLS_AES_", 8) == 0 ||
		    strncmp(h.cipher_names[i], "TLS_CHACHA20", 12) == 0)
			continue;
		if (strncmp(h.cipher_names[i], "TLS_ECDHE_", 10) != 0 ||
		    (strstr(h.cipher_names[i], "_GCM_") == NULL &&
		    strstr(h.cipher_names[i], "CHACHA20_POLY1305") == NULL))
			bad++;
	}
	diag("the origin side offers:%s", list);
	ok(h.nciphers >= 9 && bad == 0, "... only ECDHE+AEAD suites for 1.2 "
	    "and the 1.3 suites (%d suites)", h.nciphers);
	for (i = bad = 0; i < h.nsigalgs; i++)
		if ((h.sigalgs[i] & 0xff) == 0x01 && h.sigalgs[i] >> 8 <= 3)
			bad++;	/* 0x0201 rsa_pkcs1_sha1, 0x0203 ecdsa_sha1 */
		else if ((h.sigalgs[i] >> 8) == 0x02 ||
		    (h.sigalgs[i] >> 8) == 0x03)
			bad++;	/* SHA-1 and SHA-224 */
	ok(h.nsigalgs > 0 && bad == 0, "... no SHA-1 or SHA-224 signature "
	    "algorithm (%d offered)", h.nsigalgs);
	for (i = bad = 0; i < h.ngroups; i++)
		if (h.groups[i] != 0x001d && h.groups[i] != 0x0017 &&
		    h.groups[i] != 0x0018)
			bad++;
	ok(h.ngroups == 3 && bad == 0, "... groups X25519, P-256, P-384");
	is_str(h.sni, "origin.test", "... SNI origin.test");
	is_str(h.alpn, "http/1.1", "... ALPN http/1.1");

	/*
	 * Never weaker than the direct connection: each suite the bump
	 * side accepts (what a client gets from sluice) is one the origin
	 * side offers (what sluice would ask of the origin).
	 */
	for (i = missing = 0; i < rb.n; i++) {
		const char *std = NULL;
		SSL_CTX *x = SSL_CTX_new(TLS_method());
		SSL *s = SSL_new(x);
		STACK_OF(SSL_CIPHER) *sk;

		SSL_set_cipher_list(s, "ALL:@SECLEVEL=0");
		sk = SSL_get_ciphers(s);
		for (j = 0; j < sk_SSL_CIPHER_num(sk); j++)
			if (strcmp(SSL_CIPHER_get_name(sk_SSL_CIPHER_value(sk,
			    j)), rb.acc[i].cipher) == 0)
				std = SSL_CIPHER_standard_name(
				    sk_SSL_CIPHER_value(sk, j));
		if (std == NULL)
			std = rb.acc[i].cipher;	/* 1.3: same name */
		for (j = found = 0; j < h.nciphers; j++)
			if (strcmp(h.cipher_names[j], std) == 0)
				found = 1;
		if (!found) {
			diag("accepted by the bump side, not offered to "
			    "origins: %s", std);
			missing++;
		}
		SSL_free(s);
		SSL_CTX_free(x);
	}
	ok(rb.n > 0 && missing == 0, "every suite the bump side accepts (%d) "
	    "is one the origin side offers: never weaker than direct", rb.n);
}

/*
 * Idle memory of a server-side TLS connection: what freeing it gives
 * back, once the handshake and an exchange are over (the client's side
 * freed first, its session kept in the client table is not counted).
 */
static void
t_memory(void)
{
	struct side c, s;
	char buf[8];
	long long with, without;

	if (engine_pair(https12, "origin.test", &c, &s) != 0 || c.rc != SL_OK)
		bail_out("handshake");
	(void)write_all(s.t, s.fd, "x", 1);
	(void)read_all(c.t, c.fd, buf, 1);
	(void)write_all(c.t, c.fd, "y", 1);
	(void)read_all(s.t, s.fd, buf, 1);
	side_end(&c);
	with = mem_live;
	tls_free(s.t);
	s.t = NULL;
	without = mem_live;
	side_end(&s);
	diag("an idle server-side TLS connection holds %lld bytes of OpenSSL "
	    "memory", with - without);
	ok(with - without < 16 * 1024, "an idle server-side TLS connection "
	    "holds under 16 KiB (%lld bytes: no record buffers kept)",
	    with - without);
}

static void
t_hosts(void)
{
	static const struct {
		const char	*a, *b;
		int		 same;
	} h[] = {
		{ "Example.COM", "example.com", 1 },
		{ "example.com.", "example.com", 1 },
		{ "example.com", "example.org", 0 },
		{ "example.com", "xexample.com", 0 },
		{ "127.0.0.1", "127.0.0.1", 1 },
		{ "::1", "[::1]", 1 },
		{ "::1", "0:0:0:0:0:0:0:1", 1 },
		{ "127.0.0.1", "localhost", 0 },
		{ "127.0.0.1.", "127.0.0.1", 1 },
		{ "", "", 0 },
		{ ".", ".", 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(h) / sizeof(h[0]); i++)
		is_int(tls_host_same(h[i].a, h[i].b), h[i].same,
		    "tls_host_same(\"%s\", \"%s\") = %d", h[i].a, h[i].b,
		    h[i].same);
}

static void
t_bump_rules(void)
{
	struct acl_req r;
	size_t rule = 99;

	memset(&r, 0, sizeof(r));
	r.method = "CONNECT";
	r.proto = "NONE";
	r.port = 443;
	r.host = "registry.bump.test";
	r.url = "registry.bump.test:443";
	r.path = "";
	r.now = time(NULL);
	is_int(tls_bump_check(cf, &r, &rule), TLS_BUMP,
	    "ssl_bump bump bumped: registry.bump.test is bumped");
	is_int((int)rule, 1, "... by rule 1");
	r.host = "pypi.org";
	r.url = "pypi.org:443";
	is_int(tls_bump_check(cf, &r, &rule), TLS_SPLICE,
	    "pypi.org matches no rule: spliced");
	is_int((int)rule, 0, "... by no rule (the default)");
}

int
main(void)
{
	char cmd[128];

	/* Before any other OpenSSL call: count its memory. */
	if (!CRYPTO_set_mem_functions(mem_malloc, mem_realloc, mem_free))
		bail_out("CRYPTO_set_mem_functions");
	signal(SIGPIPE, SIG_IGN);
	plan(162);
	log_open(NULL, 1);
	setup();
	t_handshake();
	t_resume12();
	t_resume_workers();
	t_refused();
	t_hostile();
	t_verify();
	t_origin_policy();
	t_bump();
	t_short_ca();
	t_bulk();
	t_pending();
	t_truncation();
	t_sendfile();
	t_grade();
	t_memory();
	t_hosts();
	t_bump_rules();
	config_free(cf);
	tlspki_free(&pki);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tdir);
	if (system(cmd) != 0)
		diag("cannot remove %s", tdir);
	return exit_status();
}
