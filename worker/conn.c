/*
 * conn.c -- client connections: accept, the worker's list, close.
 * Runs in the workers.
 *
 * A connection from an https_port starts in the TLS_ACCEPT step (its
 * handshake, req_tls.c) instead of RECV_HEAD; its TLS connection and the
 * upstream's are freed with their sockets here.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/epoll.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "auth.h"
#include "cache.h"
#include "clientdb.h"
#include "conf.h"
#include "conn.h"
#include "dns.h"
#include "http_hdr.h"
#include "io.h"
#include "log.h"
#include "sl.h"
#include "stats.h"
#include "tls.h"
#include "worker.h"

/*
 * What an idle client connection costs (bench part 3, issue 15's memory
 * row): grow it on purpose, not by the way.
 */
_Static_assert(sizeof(struct conn) <= 1440,
    "struct conn is over its budget of 1,440 bytes");

static struct conn	*conn_list;
static unsigned		 conn_n;
static unsigned		 conn_next_id;

/* A background request's first run (conn_background()). */
static void
conn_background_start(struct ev_timer *t)
{
	struct conn *c = t->data;

	CHECK_MAGIC(c, CONN_MAGIC);
	req_timer(c, worker_conf->request_timeout);
	req_run(c);
}

void
conn_io_cb(struct ev_io *io, uint32_t revents)
{
	struct conn *c = io->data;

	CHECK_MAGIC(c, CONN_MAGIC);
	if (io == &c->u_io)
		c->r.r_up_events |= revents;
	else if (revents & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		c->c_drained = 0;	/* more to read (req_client.c) */
	req_run(c);
}

int
conn_accept(int fd, const struct sockaddr *peer, socklen_t peerlen,
    const struct conf_listen *l)
{
	struct conn *c;
	int one = 1, lowat = CONN_NOTSENT_LOWAT;

	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		log_warnx("out of memory for a connection");
		close(fd);
		return SL_ERROR;
	}
	c->magic = CONN_MAGIC;
	c->id = ++conn_next_id;
	c->u_io.fd = -1;
	c->c_listen = l;
	memcpy(&c->c_peer, peer, peerlen < sizeof(c->c_peer) ? peerlen :
	    sizeof(c->c_peer));
	sockaddr_ntop(peer, c->c_peer_text, sizeof(c->c_peer_text));
	c->c_peer_port = sockaddr_port(peer);
	c->c_accepted_ms = ev_now();
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	/*
	 * At most CONN_NOTSENT_LOWAT bytes queued unsent: a large body (a
	 * 1 MiB hit by sendfile) goes out as the client takes it instead of
	 * as one burst the receiving side pays for, and a slow client pins
	 * that much kernel memory, not a whole send buffer.
	 */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NOTSENT_LOWAT, &lowat,
	    sizeof(lowat));
	if (l != NULL && l->tls_server != NULL &&
	    tls_accept(l->tls_server, fd, &c->c_tls) != SL_OK) {
		log_warnx("out of memory for a TLS connection");
		close(fd);
		free(c);
		return SL_ERROR;
	}
	if (ev_io_start(&c->c_io, fd, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
	    conn_io_cb, c) == -1) {
		log_warn("epoll add of client fd %d", fd);
		tls_free(c->c_tls);
		close(fd);
		free(c);
		return SL_ERROR;
	}
	/* maxconn: this client's connections across all workers. */
	c->c_nconn = clientdb_enter((const struct sockaddr *)&c->c_peer);
	c->next = conn_list;
	if (conn_list != NULL)
		conn_list->prev = c;
	conn_list = c;
	conn_n++;
	stats_conn_open(conn_n);
	req_reset(c);
	/* TLS first: the handshake is bounded by request_timeout too. */
	if (c->c_tls != NULL)
		c->r.r_step = REQ_TLS_ACCEPT;
	req_timer(c, worker_conf->request_timeout);
	req_run(c);
	return SL_OK;
}

struct conn *
conn_background(struct conn *src)
{
	const struct http_head *h = src->r.r_head;
	struct conn *c;
	struct buf *b;
	size_t i;
	int ok;

	if (h == NULL || src->r.r_url == NULL ||
	    (b = buf_get(worker_conf->request_header_max_size)) == NULL)
		return NULL;
	ok = buf_printf(b, "GET %s HTTP/1.1\r\n", src->r.r_url) == 0;
	for (i = 0; ok && i < h->nfields; i++) {
		const struct http_field *f = &h->fields[i];

		/* Its own conditions and range, its own freshness needs. */
		if ((f->name_len > 3 && strncasecmp(f->name, "If-", 3) == 0) ||
		    http_field_is(f, "Range") ||
		    http_field_is(f, "Cache-Control") ||
		    http_field_is(f, "Pragma") ||
		    http_field_is(f, "Expect") ||
		    http_field_is(f, "Content-Length") ||
		    http_field_is(f, "Transfer-Encoding") ||
		    http_field_is(f, "Connection") ||
		    http_field_is(f, "Proxy-Connection"))
			continue;
		ok = http_hdr_copy(b, f) == 0;
	}
	ok = ok && buf_printf(b, "Connection: close\r\n\r\n") == 0;
	if (!ok || (c = calloc(1, sizeof(*c))) == NULL) {
		buf_put(b);
		return NULL;
	}
	c->magic = CONN_MAGIC;
	c->id = ++conn_next_id;
	c->c_background = 1;
	c->c_io.fd = -1;
	c->u_io.fd = -1;
	c->c_peer = src->c_peer;
	memcpy(c->c_peer_text, src->c_peer_text, sizeof(c->c_peer_text));
	c->c_peer_port = src->c_peer_port;
	c->c_accepted_ms = ev_now();
	c->cbuf = b;
	/* Inside a bumped CONNECT: the same origin and proxy user. */
	if (src->c_bump != NULL) {
		if ((c->c_bump = malloc(sizeof(*c->c_bump))) == NULL) {
			buf_put(b);
			free(c);
			return NULL;
		}
		*c->c_bump = *src->c_bump;
		c->c_bump->user = NULL;
		if (src->c_bump->user != NULL &&
		    (c->c_bump->user = strdup(src->c_bump->user)) == NULL) {
			free(c->c_bump);
			buf_put(b);
			free(c);
			return NULL;
		}
	}
	c->next = conn_list;
	if (conn_list != NULL)
		conn_list->prev = c;
	conn_list = c;
	log_debug("conn %u: revalidating %s in the background (for conn %u)",
	    c->id, src->r.r_url, src->id);
	req_reset(c);
	req_timer(c, worker_conf->request_timeout);
	/* From the next turn of the loop: src goes on first. */
	ev_timer_arm(&c->c_timer, 0, conn_background_start, c);
	return c;
}

int
conn_close(struct conn *c)
{
	int fd;

	CHECK_MAGIC(c, CONN_MAGIC);
	ev_timer_stop(&c->c_timer);
	if (c->r.r_dnsq != NULL) {
		dns_cancel(c->r.r_dnsq);
		c->r.r_dnsq = NULL;
	}
	auth_cancel(c->r.r_authq);
	c->r.r_authq = NULL;
	if (!c->c_background)
		clientdb_leave((const struct sockaddr *)&c->c_peer);
	req_cache_end(c);
	/* A background revalidation gives its URL's claim back. */
	if (c->c_swr_key != NULL) {
		cache_swr_release(c->c_swr_key);
		free(c->c_swr_key);
		c->c_swr_key = NULL;
	}
	upstream_release(c);
	buf_put(c->r.r_uhead);
	c->r.r_uhead = NULL;
	spipe_close(&c->r.r_body.sp);
	spipe_close(&c->r.r_rbody.sp);
	fd = c->c_io.fd;
	/*
	 * close_notify (RFC 8446 §6.1) only between requests, or after a
	 * response that went out whole: a close anywhere else may cut a
	 * response short, and a TLS client must be able to tell (a body
	 * that ends at the close is whole only with it).
	 */
	if (c->c_tls != NULL && ((c->r.r_step == REQ_RECV_HEAD &&
	    c->r.r_start_ms == 0) || (c->r.r_step == REQ_FINISH &&
	    c->r.r_code_sfx == NULL)))
		(void)io_shutdown(c, fd, 0);
	io_tls_drop(c, fd);
	if (c->c_bump != NULL) {
		free(c->c_bump->user);
		free(c->c_bump);
		c->c_bump = NULL;
	}
	ev_io_stop(&c->c_io);
	if (fd >= 0)
		close(fd);
	buf_put(c->cbuf);
	buf_put(c->ubuf);
	buf_put(c->obuf);
	buf_put(c->arena);
	c->cbuf = c->ubuf = c->obuf = c->arena = NULL;
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		conn_list = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	if (!c->c_background) {
		conn_n--;
		stats_conn_close(c, conn_n);
	}
	c->magic = 0;
	ev_defer_free(c);
	return SL_DONE;
}

int
conn_linger_reset(struct conn *c, int on)
{
	struct linger l;

	if (c->c_io.fd < 0)
		return 0;
	/*
	 * l_linger 0: close(2), ours or the kernel's when the process
	 * dies, sends a reset instead of a FIN.
	 */
	l.l_onoff = on;
	l.l_linger = 0;
	return setsockopt(c->c_io.fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
}

int
conn_abort(struct conn *c)
{
	CHECK_MAGIC(c, CONN_MAGIC);
	if (conn_linger_reset(c, 1) == -1)
		log_warn("conn %u: SO_LINGER", c->id);
	return conn_close(c);
}

void
conn_close_idle(void)
{
	struct conn *c, *next;

	for (c = conn_list; c != NULL; c = next) {
		next = c->next;
		if (c->r.r_step != REQ_RECV_HEAD || c->r.r_start_ms != 0)
			continue;
		/*
		 * A connection that has not sent its first request yet was
		 * accepted for one: it gets it answered (FINISH closes it
		 * after, and request_timeout bounds the wait).  An idle
		 * keep-alive connection is closed, unless its next request
		 * is already in the socket.
		 */
		if (c->c_nreq == 0)
			continue;
		if (io_pending(c, c->c_io.fd)) {
			req_run(c);
			continue;
		}
		conn_close(c);
	}
}

void
conn_close_all(void)
{
	struct conn *c, *next;

	for (c = conn_list; c != NULL; c = next) {
		next = c->next;
		log_info("conn %u client %s: closed at the end of "
		    "shutdown_lifetime", c->id, c->c_peer_text);
		/*
		 * A response under way is cut short: the client must be able
		 * to tell (a reset), whatever its framing.  One that was
		 * answered whole (lingering close) only waits for the
		 * client's FIN.
		 */
		if (c->r.r_head_sent && c->r.r_step != REQ_LINGER)
			conn_abort(c);
		else
			conn_close(c);
	}
}

unsigned
conn_count(void)
{
	return conn_n;
}
