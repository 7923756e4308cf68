/*
 * upstream.c -- the origin side of a request: connect to each resolved
 * address in turn, send the request head and body, read the response
 * head and turn it into the head the client gets.
 * Runs in the workers.
 *
 * Connections are kept for later requests through pool.c: a request
 * first looks for an idle connection to one of its allowed addresses,
 * and a clean exchange gives the connection back (upstream_release()).
 * A request that fails on a reused connection before any response byte
 * is sent again once on a fresh connection when that is safe: an
 * idempotent method without a body (RFC 9110 §9.2.2, RFC 9112 §9.3.1).
 *
 * An https:// request (absolute-form, or inside a bumped connection)
 * goes over TLS: after the TCP connect, the TLS_CONNECT step (req_tls.c)
 * makes the handshake and verifies the origin, then upstream_ready()
 * goes on as for a plain connection.  Pooled TLS connections come back
 * with their TLS (pool.h), already verified for the same host.
 *
 * The cache is not called from here: the fields it wants sent (the
 * conditions of a revalidation) come as r_extra, and a final response
 * head goes to the CACHE_RESPONSE step, which decides what the cache
 * does with it and builds the client's head.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/epoll.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "conn.h"
#include "http_hdr.h"
#include "io.h"
#include "log.h"
#include "pool.h"
#include "sl.h"
#include "str.h"
#include "tls.h"
#include "upgrade.h"
#include "worker.h"

static const char upstream_established[] =
    "HTTP/1.1 200 Connection established\r\n\r\n";
static const char upstream_continue[] = "HTTP/1.1 100 Continue\r\n\r\n";

static void
upstream_close(struct conn *c)
{
	int fd = c->u_io.fd;

	if (fd < 0)
		return;
	io_tls_drop(c, fd);
	ev_io_stop(&c->u_io);
	close(fd);
}

void
upstream_release(struct conn *c)
{
	struct req *r = &c->r;
	int fd = c->u_io.fd;

	if (fd < 0)
		return;
	/* Bytes OpenSSL still holds were never asked for: not reusable. */
	if (r->r_up_reusable && r->r_addrs != NULL && r->r_host != NULL &&
	    (c->u_tls == NULL || !tls_pending(c->u_tls))) {
		r->r_up_reusable = 0;
		pool_put(&c->u_io, (struct sockaddr *)&r->r_addrs[r->r_addr_i],
		    r->r_host, c->u_tls, r->r_up_nreq + 1);
		c->u_tls = NULL;	/* the pool's now */
		return;
	}
	io_tls_drop(c, fd);
	ev_io_stop(&c->u_io);
	close(fd);
}

/* RFC 9110 §9.2.2, and nothing to send again but the head. */
static int
upstream_can_retry(const struct conn *c)
{
	const struct req *r = &c->r;
	static const char *const idem[] = {
		"GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"
	};
	size_t i;

	if (r->r_up_nreq == 0 || r->r_retried || r->r_body.mode !=
	    HTTP_BODY_NONE || r->r_ninterim > 0 || r->r_head_sent ||
	    r->r_uhead == NULL)
		return 0;
	for (i = 0; i < sizeof(idem) / sizeof(idem[0]); i++)
		if (strcmp(r->r_method, idem[i]) == 0)
			return 1;
	return 0;
}

/*
 * A reused connection failed before any response byte: open a fresh one
 * to the same address and send the same head (still in r_uhead).  The
 * caller moves to CONNECT_UP.
 */
static void
upstream_retry(struct conn *c, const char *what)
{
	struct req *r = &c->r;

	log_info("conn %u client %s: reused connection to %s %s before any "
	    "response to %s; sending it again on a new connection", c->id,
	    c->c_peer_text, r->r_peer, what, r->r_url);
	upstream_close(c);
	r->r_retried = 1;
	r->r_up_nreq = 0;
	r->r_up_events = 0;
	r->r_uhead->pos = r->r_uhead->start;
	if (c->ubuf != NULL)
		buf_reset(c->ubuf);
	memset(&r->r_scan, 0, sizeof(r->r_scan));
}

/* A buffer for a head of @p need bytes (a size class, buf.h). */
static struct buf *
upstream_head_buf(size_t need)
{
	return buf_get(need);
}

/*
 * X-Forwarded-For as forwarded_for says (squid's semantics): on appends
 * the client address to the list received (several fields are one list,
 * RFC 9110 §5.3), off appends "unknown", truncate keeps only the client
 * address, delete drops the field; transparent copies it unchanged (in
 * the caller's loop).  @p nxff fields were received.
 */
static int
upstream_xff(struct conn *c, struct buf *o, size_t nxff)
{
	const struct http_head *h = c->r.r_head;
	int mode = worker_conf->forwarded_for;
	const char *sep = "";
	size_t i;

	if (mode == CONF_XFF_TRANSPARENT || mode == CONF_XFF_DELETE)
		return 0;
	if (buf_printf(o, "X-Forwarded-For: ") == -1)
		return -1;
	for (i = 0; nxff > 0 && mode != CONF_XFF_TRUNCATE && i < h->nfields;
	    i++) {
		const struct http_field *f = &h->fields[i];

		if (!http_field_is(f, "X-Forwarded-For") || f->value_len == 0)
			continue;
		if (buf_printf(o, "%s%.*s", sep, (int)f->value_len,
		    f->value) == -1)
			return -1;
		sep = ", ";
	}
	return buf_printf(o, "%s%s\r\n", sep, mode == CONF_XFF_OFF ?
	    "unknown" : c->c_peer_text);
}

/*
 * The request as it goes upstream (RFC 9112 §3.2.1: origin-form to an
 * origin server; RFC 9110 §7.2: Host from the target URI; §7.6: no
 * hop-by-hop fields, our Via appended).
 */
static int
upstream_build_request(struct conn *c)
{
	struct req *r = &c->r;
	struct http_head *h = r->r_head;
	struct buf *o;
	size_t i, xff = 0;
	int v6 = strchr(r->r_host, ':') != NULL;

	o = r->r_uhead = upstream_head_buf(r->r_head_len + strlen(r->r_host) +
	    strlen(worker_conf->visible_hostname) + 256 +
	    (r->r_extra != NULL ? strlen(r->r_extra) : 0));
	if (o == NULL)
		return -1;
	if (buf_printf(o, "%s %s HTTP/1.1\r\nHost: %s%s%s", r->r_method,
	    r->r_path, v6 ? "[" : "", r->r_host, v6 ? "]" : "") == -1)
		return -1;
	/* RFC 9110 §4.2.1, §4.2.2: the scheme's default port is left out. */
	if (r->r_port != (r->r_https ? 443u : 80u) &&
	    buf_printf(o, ":%u", r->r_port) == -1)
		return -1;
	if (buf_append(o, "\r\n", 2) == -1)
		return -1;
	for (i = 0; i < h->nfields; i++) {
		struct http_field *f = &h->fields[i];

		if (http_hdr_is_hop(h, i) || http_field_is(f, "Host"))
			continue;
		/* The whole object for the cache; the range is cut here. */
		if (r->r_strip_range && (http_field_is(f, "Range") ||
		    http_field_is(f, "If-Range")))
			continue;
		/* The cache's Accept-Encoding instead (written below). */
		if (r->r_ae != NULL && http_field_is(f, "Accept-Encoding"))
			continue;
		/* We answer 100-continue ourselves (RFC 9110 §10.1.1). */
		if (r->r_expect_continue && http_field_is(f, "Expect"))
			continue;
		/*
		 * RFC 9110 §8.6: the length goes on as one canonical field
		 * (no leading zeros), written below from the parsed value.
		 */
		if (http_field_is(f, "Content-Length"))
			continue;
		if (http_field_is(f, "X-Forwarded-For") &&
		    worker_conf->forwarded_for != CONF_XFF_TRANSPARENT) {
			xff++;
			continue;	/* rewritten below */
		}
		if (r->r_maxfwd >= 0 && http_field_is(f, "Max-Forwards")) {
			/* RFC 9110 §7.6.2: decrement on the way. */
			if (buf_printf(o, "Max-Forwards: %d\r\n",
			    r->r_maxfwd - 1) == -1)
				return -1;
			continue;
		}
		if (http_hdr_copy(o, f) == -1)
			return -1;
	}
	if (upstream_xff(c, o, xff) == -1)
		return -1;
	if (r->r_ae != NULL && buf_printf(o, "Accept-Encoding: %s\r\n",
	    r->r_ae) == -1)
		return -1;
	if (r->r_body.mode == HTTP_BODY_CHUNKED &&
	    buf_printf(o, "Transfer-Encoding: chunked\r\n") == -1)
		return -1;
	if (r->r_body.mode == HTTP_BODY_LENGTH &&
	    buf_printf(o, "Content-Length: %llu\r\n",
	    (unsigned long long)r->r_body.length) == -1)
		return -1;
	if (http_hdr_via(o, r->r_version, worker_conf->visible_hostname) == -1)
		return -1;
	/* The cache's fields (a revalidation's conditions), removable. */
	r->r_extra_off = buf_len(o);
	if (r->r_extra != NULL && buf_append(o, r->r_extra,
	    strlen(r->r_extra)) == -1)
		return -1;
	if (r->r_upgrade != NULL) {
		/* RFC 9110 §7.8: the offer is hop-by-hop; we make it ours. */
		if (buf_printf(o, "Connection: upgrade\r\nUpgrade: %s\r\n",
		    r->r_upgrade) == -1)
			return -1;
	} else if (!worker_conf->server_persistent_connections &&
	    buf_printf(o, "Connection: close\r\n") == -1)
		return -1;
	return buf_append(o, "\r\n", 2);
}

/*
 * The TCP connection is up: TLS first for an https:// request on a new
 * connection, else upstream_ready().
 * @return the next step (SYNTH with r_err set on an error).
 */
static enum req_step
upstream_connected(struct conn *c)
{
	struct req *r = &c->r;
	char *peer;
	int one = 1;

	ev_timer_stop(&c->c_timer);
	/* In the arena: an idle conn does not carry it (a full one: ""). */
	if ((peer = req_alloc(c, SOCKADDR_STRLEN)) != NULL) {
		sockaddr_ntop((struct sockaddr *)&r->r_addrs[r->r_addr_i], peer,
		    SOCKADDR_STRLEN);
		r->r_peer = peer;
	}
	r->r_hier = "HIER_DIRECT";
	if (r->r_up_nreq == 0)
		(void)setsockopt(c->u_io.fd, IPPROTO_TCP, TCP_NODELAY, &one,
		    sizeof(one));
	log_debug("conn %u client %s: %s connection to %s for %s (request %u "
	    "on it)", c->id, c->c_peer_text, r->r_up_nreq ? "reusing the" :
	    "new", r->r_peer, r->r_url, r->r_up_nreq + 1);
	if (r->r_https && c->u_tls == NULL) {
		/* The handshake is bounded like the connect. */
		req_timer(c, worker_conf->connect_timeout);
		return REQ_TLS_CONNECT;
	}
	return upstream_ready(c);
}

enum req_step
upstream_ready(struct conn *c)
{
	struct req *r = &c->r;

	if (r->r_uhead != NULL && buf_len(r->r_uhead) > 0) {
		/* A retry or a refetch: the head is still in r_uhead. */
		req_timer(c, worker_conf->read_timeout);
		return REQ_SEND_REQ;
	}

	if (r->r_connect) {
		c->obuf = buf_get(BUF_SMALL);
		if (c->obuf == NULL) {
			r->r_err = ERR_NO_RESOURCES;
			return REQ_SYNTH;
		}
		buf_append(c->obuf, upstream_established,
		    STR_LIT_LEN(upstream_established));
		/* Bytes the client sent after the head go up the tunnel. */
		req_consume_head(c);
		r->r_status = 200;
		r->r_code = "TCP_TUNNEL";
		req_timer(c, worker_conf->tunnel_idle_timeout);
		return REQ_TUNNEL;
	}
	if (upstream_build_request(c) == -1) {
		log_warnx("conn %u client %s: request head for %s does not fit",
		    c->id, c->c_peer_text, r->r_url);
		r->r_err = ERR_TOO_BIG;
		return REQ_SYNTH;
	}
	/* The head in cbuf is not needed any more: what follows is body. */
	req_consume_head(c);
	if (body_scan(&r->r_body, c->cbuf) == -1) {
		log_info("conn %u client %s: bad chunked request body", c->id,
		    c->c_peer_text);
		r->r_err = ERR_INVALID_REQ;
		return REQ_SYNTH;
	}
	req_timer(c, worker_conf->read_timeout);
	return REQ_SEND_REQ;
}

int
req_step_connect_up(struct conn *c)
{
	struct req *r = &c->r;
	struct sockaddr *sa;
	char peer[SOCKADDR_STRLEN];
	socklen_t len;
	size_t i;
	int fd, err, rc;

	/* A CONNECT on an ssl-bump port: bumped, or a tunnel as ever. */
	if (r->r_connect && !r->r_bump_checked && c->c_listen != NULL &&
	    c->c_listen->tls_mint != NULL && req_tls_bump_wanted(c))
		return REQ_NEXT(c, BUMP);
	if (r->r_timed_out) {
		r->r_timed_out = 0;
		log_info("conn %u client %s: connect to %s timed out", c->id,
		    c->c_peer_text, r->r_url);
		upstream_close(c);
		if (++r->r_addr_i >= r->r_naddrs)
			return REQ_FAIL(c, ERR_CONNECT_TIMEOUT);
	}
	if (c->u_io.fd >= 0) {
		/* Waiting for the connect to finish. */
		if (!(r->r_up_events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
			return SL_AGAIN;
		err = 0;
		len = sizeof(err);
		if (getsockopt(c->u_io.fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
			err = errno;
		if (err == 0)
			return REQ_MOVE(c, upstream_connected(c));
		upstream_close(c);
		log_info("conn %u client %s: connect to %s for %s: %s", c->id,
		    c->c_peer_text, sockaddr_ntop((struct sockaddr *)
		    &r->r_addrs[r->r_addr_i], peer, sizeof(peer)),
		    r->r_url, strerror(err));
		r->r_peer = "";
		r->r_addr_i++;
	}
	if (!r->r_connect && !r->r_retried && r->r_addr_i == 0) {
		/* An idle connection to any allowed address will do. */
		for (i = 0; i < r->r_naddrs; i++) {
			sa = (struct sockaddr *)&r->r_addrs[i];
			if (pool_get(sa, r->r_host, r->r_https, &c->u_tls,
			    &r->r_up_nreq, &c->u_io, EPOLLIN | EPOLLOUT |
			    EPOLLRDHUP | EPOLLET, conn_io_cb, c) == -1)
				continue;
			r->r_addr_i = i;
			r->r_up_events = 0;
			return REQ_MOVE(c, upstream_connected(c));
		}
	}
	for (; r->r_addr_i < r->r_naddrs; r->r_addr_i++) {
		sa = (struct sockaddr *)&r->r_addrs[r->r_addr_i];
		r->r_up_nreq = 0;
		fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, 0);
		if (fd == -1) {
			log_warn("conn %u: socket for %s", c->id, r->r_url);
			return REQ_FAIL(c, ERR_NO_RESOURCES);
		}
		rc = connect(fd, sa, sockaddr_len(sa));
		if (rc == 0 || errno == EINPROGRESS) {
			r->r_up_events = 0;
			if (ev_io_start(&c->u_io, fd, EPOLLIN | EPOLLOUT |
			    EPOLLRDHUP | EPOLLET, conn_io_cb, c) == -1) {
				log_warn("conn %u: epoll add of upstream", c->id);
				close(fd);
				return REQ_FAIL(c, ERR_NO_RESOURCES);
			}
			if (rc == 0)
				return REQ_MOVE(c, upstream_connected(c));
			req_timer(c, worker_conf->connect_timeout);
			return SL_AGAIN;
		}
		log_info("conn %u client %s: connect to %s for %s: %s", c->id,
		    c->c_peer_text, sockaddr_ntop(sa, peer, sizeof(peer)),
		    r->r_url, strerror(errno));
		r->r_peer = "";
		close(fd);
	}
	return REQ_FAIL(c, ERR_CONNECT_FAIL);
}

/*
 * While the request body is still going up: has the upstream sent a
 * final answer (or closed)?  Bytes read here stay in ubuf for
 * RECV_RESP_HEAD.  1xx heads do not count: some origins send
 * "100 Continue" unasked, and the body must go on after it.
 * @return 1 answered or gone, 0 keep sending.
 */
static int
upstream_answered(struct conn *c)
{
	struct req *r = &c->r;
	struct http_head_scan scan;
	size_t off, hl;
	ssize_t n;

	if (!(r->r_up_events & (EPOLLIN | EPOLLRDHUP)))
		return 0;
	r->r_up_events &= ~(uint32_t)(EPOLLIN | EPOLLRDHUP);
	if (c->ubuf == NULL && (c->ubuf = buf_get(BUF_SMALL)) == NULL)
		return 1;
	for (;;) {
		if (buf_room(c->ubuf) == 0)
			return 1;	/* a large head: RECV_RESP_HEAD judges it */
		n = io_read(c, c->u_io.fd, c->ubuf->last, buf_room(c->ubuf));
		if (n > 0) {
			c->ubuf->last += n;
			continue;
		}
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			break;
		return 1;	/* closed or broken */
	}
	for (off = 0; off < buf_len(c->ubuf); off += hl) {
		memset(&scan, 0, sizeof(scan));
		hl = http_head_end(c->ubuf->pos + off, buf_len(c->ubuf) - off,
		    &scan);
		if (hl == 0)
			return 0;	/* a head still arriving */
		if (hl < 12 || c->ubuf->pos[off + 9] != '1')
			return 1;	/* a final status (or junk: 502 later) */
	}
	return 0;
}

/* Stop sending the request and read what the upstream answered. */
static void
upstream_early_response(struct conn *c)
{
	struct req *r = &c->r;

	r->r_keepalive = 0;
	buf_reset(r->r_uhead);
	memset(&r->r_scan, 0, sizeof(r->r_scan));
	req_timer(c, worker_conf->server_first_byte_timeout);
}

/*
 * The request body's waits on the client.  While the relay waits for
 * client bytes (all it read went upstream), the client is the slow
 * party: each wait is bounded by request_body_timeout, and all of them
 * together by request_body_timeout plus the time the bytes moved so far
 * take at request_body_min_rate (as Apache's mod_reqtimeout MinRate
 * does), so a client that trickles its body cannot hold the request
 * until client_lifetime.  A wait on the upstream (bytes read but not
 * taken) is the origin's: read_timeout, re-armed by the relay on
 * progress.
 */

/*
 * After the relay returned SL_AGAIN: who is it waiting for?  The client
 * when all it read went upstream: arm the timer for the nearer of the
 * idle limit (request_body_timeout since the last byte that moved) and
 * the rate limit (all client waits so far within request_body_timeout +
 * bytes moved / request_body_min_rate).  @p moved: bytes went upstream
 * in this run.
 */
static void
upstream_body_wait(struct conn *c, int moved)
{
	struct req *r = &c->r;
	int64_t now = ev_now(), t, allowed, w;
	size_t rate = worker_conf->request_body_min_rate;

	if (r->r_body_wait_since != 0 && (moved || r->r_body.done ||
	    r->r_body.ready > 0)) {
		/* That wait is over. */
		r->r_body_waited += now - r->r_body_wait_since;
		r->r_body_wait_since = 0;
	}
	if (r->r_body.done || r->r_body.ready > 0)
		return;		/* the upstream's: read_timeout stays */
	if (r->r_body_wait_since == 0)
		r->r_body_wait_since = now;
	t = r->r_body_wait_since + worker_conf->request_body_timeout - now;
	if (rate > 0) {
		w = r->r_body_waited + (now - r->r_body_wait_since);
		allowed = worker_conf->request_body_timeout +
		    (int64_t)(r->r_bytes_up * 1000 / rate) - w;
		if (allowed < t)
			t = allowed;
	}
	req_timer(c, t > 1 ? t : 1);
}

int
req_step_send_req(struct conn *c)
{
	struct req *r = &c->r;
	uint64_t up = r->r_bytes_up;
	int64_t idle;
	ssize_t n;
	int rc, side = 0;

	if (r->r_timed_out) {
		r->r_timed_out = 0;
		if (r->r_body_wait_since != 0) {
			/*
			 * RFC 9110 §15.5.9: the client did not send its
			 * request in time: 408; the origin's connection,
			 * which got part of it, is closed (SYNTH).
			 */
			idle = ev_now() - r->r_body_wait_since;
			log_info("conn %u client %s: request body of %s: %s "
			    "(%llu bytes sent on, %lld ms spent waiting for "
			    "the client); 408", c->id, c->c_peer_text,
			    r->r_url, idle >= worker_conf->request_body_timeout
			    ? "no byte within request_body_timeout" :
			    "slower than request_body_min_rate",
			    (unsigned long long)r->r_bytes_up,
			    (long long)(r->r_body_waited + idle));
			r->r_keepalive = 0;
			return REQ_FAIL(c, ERR_REQUEST_TIMEOUT);
		}
		log_info("conn %u client %s: sending %s upstream timed out",
		    c->id, c->c_peer_text, r->r_url);
		return REQ_FAIL(c, ERR_READ_TIMEOUT);
	}
	while (buf_len(r->r_uhead) > 0) {
		n = io_send(c, c->u_io.fd, r->r_uhead->pos,
		    buf_len(r->r_uhead));
		if (n > 0) {
			r->r_uhead->pos += n;
			continue;
		}
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			return SL_AGAIN;
		if (upstream_can_retry(c)) {
			upstream_retry(c, "failed");
			return REQ_NEXT(c, CONNECT_UP);
		}
		log_info("conn %u client %s: send to %s: %s", c->id,
		    c->c_peer_text, r->r_peer, strerror(errno));
		return REQ_FAIL(c, ERR_READ_ERROR);
	}
	while (r->r_expect_continue &&
	    r->r_continue_sent < (int)STR_LIT_LEN(upstream_continue)) {
		n = io_send(c, c->c_io.fd, upstream_continue +
		    r->r_continue_sent, STR_LIT_LEN(upstream_continue) -
		    (size_t)r->r_continue_sent);
		if (n > 0) {
			r->r_continue_sent += (int)n;
			r->r_bytes_out += (uint64_t)n;
			continue;
		}
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			return SL_AGAIN;
		r->r_keepalive = 0;
		return conn_close(c);
	}
	/*
	 * RFC 9112 §9.5: a server may answer before the request is
	 * complete (401, 413) and stop reading.  Its answer goes to the
	 * client; the rest of the request is not sent, so neither
	 * connection can be reused.
	 */
	if (!r->r_body.done && upstream_answered(c)) {
		log_info("conn %u client %s: %s answered before the end of the "
		    "request body of %s", c->id, c->c_peer_text, r->r_peer,
		    r->r_url);
		upstream_early_response(c);
		return REQ_NEXT(c, RECV_RESP_HEAD);
	}
	rc = body_relay(c, &r->r_body, c->cbuf, c->c_io.fd, c->u_io.fd,
	    &r->r_bytes_up, &side);
	/*
	 * A chunked body has no declared length: it is cut when it passes
	 * request_body_max_size.  The origin got an incomplete request, so
	 * its connection goes; the client gets 413 (RFC 9110 §15.5.14).
	 */
	if (worker_conf->request_body_max_size > 0 &&
	    r->r_bytes_up > worker_conf->request_body_max_size) {
		log_info("conn %u client %s: chunked request body for %s over "
		    "request_body_max_size", c->id, c->c_peer_text, r->r_url);
		r->r_keepalive = 0;
		return REQ_FAIL(c, ERR_BODY_TOO_BIG);
	}
	if (rc == SL_AGAIN) {
		if (!upstream_answered(c)) {
			upstream_body_wait(c, r->r_bytes_up != up);
			return SL_AGAIN;
		}
		upstream_early_response(c);
		return REQ_NEXT(c, RECV_RESP_HEAD);
	}
	if (rc == SL_ERROR) {
		if (side == 'f') {
			log_info("conn %u client %s: bad chunked request body",
			    c->id, c->c_peer_text);
			return REQ_FAIL(c, ERR_INVALID_REQ);
		}
		if (side == 's') {
			log_info("conn %u client %s: client went away while "
			    "sending the body of %s", c->id, c->c_peer_text,
			    r->r_url);
			return conn_close(c);
		}
		/* The upstream stopped reading: maybe it answered. */
		log_info("conn %u client %s: send to %s: %s", c->id,
		    c->c_peer_text, r->r_peer, strerror(errno));
		upstream_early_response(c);
		return REQ_NEXT(c, RECV_RESP_HEAD);
	}
	/* r_uhead keeps the head until the response comes: a retry. */
	r->r_uhead->pos = r->r_uhead->start;
	memset(&r->r_scan, 0, sizeof(r->r_scan));
	req_timer(c, worker_conf->server_first_byte_timeout);
	return REQ_NEXT(c, RECV_RESP_HEAD);
}

/*
 * RFC 9110 §15.2.2: the origin switched to a protocol we offered: pass
 * the 101 on, then relay bytes both ways (tunnel.c).  A 101 naming
 * anything else is a protocol error.
 * @return ERRPAGE_COUNT, or the error page.
 */
static enum errpage_id
upstream_switch(struct conn *c, const struct http_head *h, size_t n)
{
	struct req *r = &c->r;
	size_t i;

	for (i = 0; i < h->nfields; i++)
		if (http_field_is(&h->fields[i], "Upgrade"))
			break;
	if (i == h->nfields || !upgrade_offered(r->r_upgrade,
	    h->fields[i].value, h->fields[i].value_len)) {
		log_warnx("conn %u client %s: 101 from %s for %s switches to a "
		    "protocol that was not offered", c->id, c->c_peer_text,
		    r->r_peer, r->r_url);
		return ERR_INVALID_RESP;
	}
	if (req_response_head(c, h, 0, NULL) == -1)
		return ERR_INVALID_RESP;
	/* The head dropped the hop-by-hop pair: the switch needs it. */
	c->obuf->last -= 2;
	if (buf_printf(c->obuf, "Connection: upgrade\r\nUpgrade: %.*s\r\n\r\n",
	    (int)h->fields[i].value_len, h->fields[i].value) == -1)
		return ERR_INVALID_RESP;
	c->ubuf->pos += n;	/* what follows the head is the new protocol */
	r->r_head = NULL;
	r->r_status = 101;
	r->r_keepalive = 0;
	r->r_up_keep = 0;
	log_info("conn %u client %s: %s switched to %.*s for %s", c->id,
	    c->c_peer_text, r->r_peer, (int)h->fields[i].value_len,
	    h->fields[i].value, r->r_url);
	req_timer(c, worker_conf->tunnel_idle_timeout);
	return ERRPAGE_COUNT;
}

/*
 * The final response head (@p n bytes at ubuf->pos, parsed into @p h):
 * framing and what it says about the connections.  It stays in ubuf for
 * CACHE_RESPONSE.
 * @return ERRPAGE_COUNT, or the error page.
 */
static enum errpage_id
upstream_final(struct conn *c, const struct http_head *h)
{
	struct req *r = &c->r;
	enum http_body_mode mode;
	const char *why = NULL;
	uint64_t len;
	size_t i;

	/*
	 * RFC 9112 §6.1: only chunked is relayed.  Another transfer coding
	 * would reach the client unmarked once the hop-by-hop field is gone
	 * (or stay coded after de-chunking for HTTP/1.0), so it is a 502.
	 */
	for (i = 0; i < h->nfields; i++)
		if (http_field_is(&h->fields[i], "Transfer-Encoding") &&
		    !str_ieq(h->fields[i].value, h->fields[i].value_len,
		    "chunked")) {
			log_warnx("conn %u client %s: transfer coding '%.*s' "
			    "from %s for %s is not supported", c->id,
			    c->c_peer_text, (int)h->fields[i].value_len,
			    h->fields[i].value, r->r_peer, r->r_url);
			return ERR_INVALID_RESP;
		}
	if (http_response_framing(h, r->r_is_head, &mode, &len, &why) == -1) {
		log_warnx("conn %u client %s: invalid response framing from %s "
		    "for %s: %s", c->id, c->c_peer_text, r->r_peer, r->r_url,
		    why ? why : "?");
		return ERR_INVALID_RESP;
	}
	/*
	 * RFC 9112 §6.3 item 8: a body the origin ends by closing goes to
	 * an HTTP/1.1 client chunked, so that one cut short never looks
	 * whole (the last chunk goes only after a clean close); an HTTP/1.0
	 * client gets it (and a de-chunked body) until we close.
	 */
	body_init(&r->r_rbody, mode, len,
	    (mode == HTTP_BODY_CHUNKED && r->r_version == 10 ? BODY_DECODE :
	    0) | (mode == HTTP_BODY_EOF && r->r_version == 11 ? BODY_ENCODE :
	    0));
	/* RFC 9112 §9.3: only a self-delimited body allows reuse. */
	if ((mode == HTTP_BODY_EOF && !r->r_rbody.encode) ||
	    r->r_rbody.decode || worker_draining())
		r->r_keepalive = 0;
	r->r_status = h->status;
	/* RFC 9112 §9.3: may this upstream connection serve another request? */
	r->r_up_keep = h->version == 11 && mode != HTTP_BODY_EOF &&
	    !r->r_connect && worker_conf->server_persistent_connections;
	for (i = 0; i < h->nfields; i++)
		if (http_field_is(&h->fields[i], "Connection") &&
		    http_list_has(h->fields[i].value, h->fields[i].value_len,
		    "close"))
			r->r_up_keep = 0;
	for (i = 0; i < h->nfields; i++)
		if (http_field_is(&h->fields[i], "Content-Type")) {
			r->r_ctype = req_strdup(c, h->fields[i].value,
			    h->fields[i].value_len);
			break;
		}
	return ERRPAGE_COUNT;
}

/*
 * A response head of @p n bytes is in ubuf: parse it and decide.
 * @return the next step (SYNTH with r_err set), or REQ_NSTEPS for a 1xx
 *	dropped here (read on).
 */
static enum req_step
upstream_response(struct conn *c, size_t n)
{
	struct req *r = &c->r;
	struct http_head *h;
	enum errpage_id err;
	const char *why = NULL;

	/* The request head is consumed: its storage holds the response's. */
	h = r->r_head = r->r_hstore;
	if (http_response_parse(c->ubuf->pos, n, h, &why) == -1) {
		log_warnx("conn %u client %s: invalid response head from %s "
		    "for %s: %s", c->id, c->c_peer_text, r->r_peer, r->r_url,
		    why ? why : "?");
		r->r_err = ERR_INVALID_RESP;
		return REQ_SYNTH;
	}
	memset(&r->r_scan, 0, sizeof(r->r_scan));
	if (c->obuf == NULL || c->obuf->size < n + 1024) {
		buf_put(c->obuf);
		c->obuf = upstream_head_buf(n + 1024);
		if (c->obuf == NULL) {
			r->r_err = ERR_NO_RESOURCES;
			return REQ_SYNTH;
		}
	}
	if (h->status >= 200) {
		if ((err = upstream_final(c, h)) != ERRPAGE_COUNT) {
			r->r_err = err;
			return REQ_SYNTH;
		}
		r->r_resp_len = n;
		return REQ_CACHE_RESPONSE;
	}
	if (h->status == 101 && r->r_upgrade != NULL) {
		if ((err = upstream_switch(c, h, n)) != ERRPAGE_COUNT) {
			r->r_err = err;
			return REQ_SYNTH;
		}
		return REQ_TUNNEL;
	}
	/* RFC 9110 §15.2: forward 1xx, but never a 101 we did not ask for. */
	if (h->status == 101 || ++r->r_ninterim > 8) {
		log_warnx("conn %u client %s: %s from %s for %s", c->id,
		    c->c_peer_text, h->status == 101 ? "unrequested 101" :
		    "too many 1xx responses", r->r_peer, r->r_url);
		r->r_err = ERR_INVALID_RESP;
		return REQ_SYNTH;
	}
	if (r->r_version == 10 || (h->status == 100 && r->r_continue_sent > 0)) {
		c->ubuf->pos += n;	/* not for this client */
		r->r_head = NULL;
		return REQ_NSTEPS;
	}
	if (req_response_head(c, h, 0, NULL) == -1) {
		r->r_err = ERR_INVALID_RESP;
		return REQ_SYNTH;
	}
	c->ubuf->pos += n;
	r->r_head = NULL;
	r->r_interim = 1;
	return REQ_DELIVER;
}

int
req_step_recv_resp_head(struct conn *c)
{
	struct req *r = &c->r;
	struct buf *nb;
	enum req_step next;
	size_t n, max;
	ssize_t rd;

	if (r->r_timed_out) {
		r->r_timed_out = 0;
		log_info("conn %u client %s: no response from %s for %s within "
		    "server_first_byte_timeout", c->id, c->c_peer_text,
		    r->r_peer, r->r_url);
		return REQ_FAIL(c, ERR_READ_TIMEOUT);
	}
	if (c->ubuf == NULL && (c->ubuf = buf_get(BUF_SMALL)) == NULL)
		return REQ_FAIL(c, ERR_NO_RESOURCES);
	max = worker_conf->reply_header_max_size;
	for (;;) {
		if (buf_len(c->ubuf) > 0) {
			n = http_head_end(c->ubuf->pos, buf_len(c->ubuf),
			    &r->r_scan);
			if (n > 0) {
				next = upstream_response(c, n);
				if (next == REQ_NSTEPS)
					continue;	/* a dropped 1xx */
				return REQ_MOVE(c, next);
			}
			if (buf_len(c->ubuf) >= max) {
				log_warnx("conn %u client %s: response head from "
				    "%s for %s over %zu bytes", c->id,
				    c->c_peer_text, r->r_peer, r->r_url, max);
				return REQ_FAIL(c, ERR_INVALID_RESP);
			}
		}
		if (buf_room(c->ubuf) == 0) {
			buf_compact(c->ubuf);
			if (buf_room(c->ubuf) == 0) {
				nb = buf_get(max);
				if (nb == NULL)
					return REQ_FAIL(c, ERR_NO_RESOURCES);
				buf_append(nb, c->ubuf->pos, buf_len(c->ubuf));
				buf_put(c->ubuf);
				c->ubuf = nb;
			}
		}
		rd = io_read(c, c->u_io.fd, c->ubuf->last, buf_room(c->ubuf));
		if (rd > 0) {
			c->ubuf->last += rd;
			continue;
		}
		if (rd == -1 && (errno == EAGAIN || errno == EINTR))
			return SL_AGAIN;
		if (buf_len(c->ubuf) == 0 && upstream_can_retry(c)) {
			upstream_retry(c, "closed");
			return REQ_NEXT(c, CONNECT_UP);
		}
		log_info("conn %u client %s: %s closed %s for %s%s%s", c->id,
		    c->c_peer_text, r->r_peer, buf_len(c->ubuf) ?
		    "in the middle of the response head" :
		    "without a response", r->r_url, rd == -1 ? ": " : "",
		    rd == -1 ? strerror(errno) : "");
		return REQ_FAIL(c, buf_len(c->ubuf) ? ERR_INVALID_RESP :
		    ERR_READ_ERROR);
	}
}

void
upstream_refetch(struct conn *c)
{
	struct req *r = &c->r;
	struct buf *o = r->r_uhead;
	size_t tail;

	/* Cut the cache's fields out of the head, keep what follows them. */
	if (r->r_extra != NULL && o != NULL) {
		tail = (size_t)(o->last - (o->start + r->r_extra_off)) -
		    strlen(r->r_extra);
		memmove(o->start + r->r_extra_off, o->start + r->r_extra_off +
		    strlen(r->r_extra), tail);
		o->last = o->start + r->r_extra_off + tail;
	}
	r->r_extra = NULL;
	if (o != NULL)
		o->pos = o->start;
	/* The 304 had no body: the connection may serve the next request. */
	upstream_release(c);
	r->r_addr_i = 0;
	r->r_retried = 0;
	r->r_up_events = 0;
	r->r_status = 0;
	memset(&r->r_scan, 0, sizeof(r->r_scan));
}
