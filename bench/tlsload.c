/*
 * tlsload.c -- an HTTPS load generator for bench/tlshit, able to go
 * through a proxy's CONNECT first (wrk cannot): each connection connects
 * to 127.0.0.1:PORT, optionally sends "CONNECT AUTHORITY" and reads its
 * 2xx, makes a TLS handshake (SNI, no session resumption: every handshake
 * is a full one), then sends GET requests one after the other (keep-alive
 * mode) or one per connection (new-connection mode: the handshake rate).
 *
 * Runs as its own process, one thread, one epoll loop, non-blocking
 * sockets.  Prints one line:
 *	reqs/s p50_ms p99_ms requests errors handshakes
 * counting only what completed within the measured window (after a
 * warm-up second).  Every response must be 200 with a Content-Length
 * equal to -b BYTES, else it counts as an error.
 *
 *	tlsload -p PORT [-C host:port] -s SNI -u PATH -b BYTES -c CONNS
 *	    -d SECONDS [-n]		(-n: a new connection per request;
 *					 -s -: no SNI, as for an IP address)
 *
 * The certificate is not verified: the client's CPU goes to the
 * exchange, not to checking chains; tlshit checks the proxy's
 * certificates with curl before it measures.
 */
#define _GNU_SOURCE
#include <sys/epoll.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

enum st { S_CONNECTING, S_PROXY, S_TLS, S_SEND, S_HEAD, S_BODY };

struct lc {
	int		 fd;
	SSL		*ssl;
	enum st		 st;
	char		 head[4096];
	size_t		 hlen;
	size_t		 sent;
	uint64_t	 left;
	int64_t		 t0;		/* request (or connection) start, us */
};

static int		 port, conns, seconds, newconn;
static const char	*proxy_auth, *sni, *path;
static uint64_t		 bytes;
static SSL_CTX		*ctx;
static int		 ep;
static char		 req[1024];
static size_t		 reqlen;
static int64_t		 t_start, t_end;
static uint64_t		 nreq, nerr, nhs;
static uint32_t		*lat;
static size_t		 nlat, caplat;
static char		 sink[1 << 16];

static int64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void
arm(struct lc *c, uint32_t ev)
{
	struct epoll_event e = { .events = ev, .data.ptr = c };

	if (epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &e) == -1)
		(void)epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &e);
}

static void
lc_open(struct lc *c)
{
	struct sockaddr_in sin;
	int one = 1;

	memset(c, 0, sizeof(*c));
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (c->fd == -1) {
		perror("socket");
		exit(1);
	}
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	c->t0 = now_us();
	if (connect(c->fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 &&
	    errno != EINPROGRESS) {
		perror("connect");
		exit(1);
	}
	c->st = S_CONNECTING;
	arm(c, EPOLLOUT);
}

static void
lc_close(struct lc *c, int err)
{
	if (err)
		nerr++;
	if (c->ssl != NULL)
		SSL_free(c->ssl);
	epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	ERR_clear_error();
	lc_open(c);
}

/* One request done: count it when inside the window. */
static void
done(struct lc *c)
{
	int64_t t = now_us();

	if (t >= t_start && t < t_end) {
		nreq++;
		if (nlat < caplat)
			lat[nlat++] = (uint32_t)(t - c->t0);
	}
}

/* @return 1 progress, 0 wait (armed), -1 error */
static int
step(struct lc *c)
{
	char *e;
	ssize_t n;
	int rc, er;

	switch (c->st) {
	case S_CONNECTING: {
		int err = 0;
		socklen_t l = sizeof(err);

		getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &l);
		if (err != 0)
			return -1;
		if (proxy_auth != NULL) {
			char h[512];

			n = snprintf(h, sizeof(h), "CONNECT %s HTTP/1.1\r\nHost: "
			    "%s\r\n\r\n", proxy_auth, proxy_auth);
			if (send(c->fd, h, (size_t)n, MSG_NOSIGNAL) != n)
				return -1;
			c->st = S_PROXY;
			c->hlen = 0;
			arm(c, EPOLLIN);
			return 0;
		}
		c->st = S_TLS;
		return 1;
	}
	case S_PROXY:
		n = recv(c->fd, c->head + c->hlen, sizeof(c->head) - 1 -
		    c->hlen, 0);
		if (n == -1 && errno == EAGAIN)
			return 0;
		if (n <= 0)
			return -1;
		c->hlen += (size_t)n;
		c->head[c->hlen] = '\0';
		if ((e = strstr(c->head, "\r\n\r\n")) == NULL)
			return 0;
		if (strncmp(c->head, "HTTP/1.1 200", 12) != 0 ||
		    e + 4 != c->head + c->hlen)
			return -1;
		c->st = S_TLS;
		return 1;
	case S_TLS:
		if (c->ssl == NULL) {
			c->ssl = SSL_new(ctx);
			SSL_set_fd(c->ssl, c->fd);
			if (strcmp(sni, "-") != 0)
				SSL_set_tlsext_host_name(c->ssl, sni);
			SSL_set_connect_state(c->ssl);
		}
		rc = SSL_do_handshake(c->ssl);
		if (rc == 1) {
			if (now_us() >= t_start && now_us() < t_end)
				nhs++;
			c->st = S_SEND;
			c->sent = 0;
			if (!newconn)
				c->t0 = now_us();
			return 1;
		}
		er = SSL_get_error(c->ssl, rc);
		if (er == SSL_ERROR_WANT_READ) {
			arm(c, EPOLLIN);
			return 0;
		}
		if (er == SSL_ERROR_WANT_WRITE) {
			arm(c, EPOLLOUT);
			return 0;
		}
		return -1;
	case S_SEND:
		rc = SSL_write(c->ssl, req + c->sent, (int)(reqlen - c->sent));
		if (rc > 0) {
			c->sent += (size_t)rc;
			if (c->sent < reqlen)
				return 1;
			c->st = S_HEAD;
			c->hlen = 0;
			return 1;
		}
		er = SSL_get_error(c->ssl, rc);
		if (er == SSL_ERROR_WANT_READ || er == SSL_ERROR_WANT_WRITE) {
			arm(c, er == SSL_ERROR_WANT_READ ? EPOLLIN : EPOLLOUT);
			return 0;
		}
		return -1;
	case S_HEAD:
		rc = SSL_read(c->ssl, c->head + c->hlen, (int)(sizeof(c->head) -
		    1 - c->hlen));
		if (rc <= 0) {
			er = SSL_get_error(c->ssl, rc);
			if (er == SSL_ERROR_WANT_READ ||
			    er == SSL_ERROR_WANT_WRITE) {
				arm(c, er == SSL_ERROR_WANT_READ ? EPOLLIN :
				    EPOLLOUT);
				return 0;
			}
			return -1;
		}
		c->hlen += (size_t)rc;
		c->head[c->hlen] = '\0';
		if ((e = strstr(c->head, "\r\n\r\n")) == NULL)
			return c->hlen < sizeof(c->head) - 1 ? 1 : -1;
		{
			const char *cl = strcasestr(c->head,
			    "\r\nContent-Length:");
			uint64_t len;

			if (strncmp(c->head, "HTTP/1.1 200", 12) != 0 ||
			    cl == NULL || cl > e)
				return -1;
			len = strtoull(cl + 17, NULL, 10);
			if (len != bytes)
				return -1;
			e += 4;
			c->left = len - (uint64_t)(c->head + c->hlen - e);
		}
		c->st = S_BODY;
		/* FALLTHROUGH */
	case S_BODY:
		while (c->left > 0) {
			rc = SSL_read(c->ssl, sink, (int)(c->left <
			    sizeof(sink) ? c->left : sizeof(sink)));
			if (rc <= 0) {
				er = SSL_get_error(c->ssl, rc);
				if (er == SSL_ERROR_WANT_READ ||
				    er == SSL_ERROR_WANT_WRITE) {
					arm(c, er == SSL_ERROR_WANT_READ ?
					    EPOLLIN : EPOLLOUT);
					return 0;
				}
				return -1;
			}
			c->left -= (uint64_t)rc;
		}
		done(c);
		if (newconn) {
			/* A clean end, then a new connection. */
			(void)SSL_shutdown(c->ssl);
			lc_close(c, 0);
			return 0;
		}
		c->st = S_SEND;
		c->sent = 0;
		c->t0 = now_us();
		return 1;
	}
	return -1;
}

static int
cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
	struct epoll_event evs[256];
	struct lc *cs;
	int i, n, o, rc;
	int64_t t;

	conns = 50;
	seconds = 10;
	while ((o = getopt(argc, argv, "p:C:s:u:b:c:d:n")) != -1) {
		switch (o) {
		case 'p': port = atoi(optarg); break;
		case 'C': proxy_auth = optarg; break;
		case 's': sni = optarg; break;
		case 'u': path = optarg; break;
		case 'b': bytes = strtoull(optarg, NULL, 10); break;
		case 'c': conns = atoi(optarg); break;
		case 'd': seconds = atoi(optarg); break;
		case 'n': newconn = 1; break;
		default: goto usage;
		}
	}
	if (port == 0 || sni == NULL || path == NULL || conns <= 0)
		goto usage;
	signal(SIGPIPE, SIG_IGN);
	ctx = SSL_CTX_new(TLS_client_method());
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	/* Full handshakes every time: no session is offered again. */
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
	SSL_CTX_set_alpn_protos(ctx, (const unsigned char *)"\x08http/1.1",
	    9);
	reqlen = (size_t)snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: "
	    "%s\r\nUser-Agent: tlsload\r\n\r\n", path, proxy_auth != NULL ?
	    proxy_auth : strcmp(sni, "-") != 0 ? sni : "127.0.0.1");
	caplat = 4 << 20;
	lat = malloc(caplat * sizeof(*lat));
	ep = epoll_create1(0);
	cs = calloc((size_t)conns, sizeof(*cs));
	if (lat == NULL || cs == NULL || ep == -1)
		return 1;
	t_start = now_us() + 1000000;	/* a warm-up second */
	t_end = t_start + (int64_t)seconds * 1000000;
	for (i = 0; i < conns; i++)
		lc_open(&cs[i]);
	while ((t = now_us()) < t_end) {
		n = epoll_wait(ep, evs, 256, 100);
		for (i = 0; i < n; i++) {
			struct lc *c = evs[i].data.ptr;

			while ((rc = step(c)) == 1)
				;
			if (rc == -1)
				lc_close(c, t >= t_start);
		}
	}
	qsort(lat, nlat, sizeof(*lat), cmp);
	printf("%.1f %.3f %.3f %llu %llu %llu\n", (double)nreq / seconds,
	    nlat ? lat[nlat / 2] / 1000.0 : 0, nlat ? lat[nlat * 99 / 100] /
	    1000.0 : 0, (unsigned long long)nreq, (unsigned long long)nerr,
	    (unsigned long long)nhs);
	return 0;
usage:
	fprintf(stderr, "usage: tlsload -p PORT [-C host:port] -s SNI -u PATH "
	    "-b BYTES [-c CONNS] [-d SECONDS] [-n]\n");
	return 2;
}
