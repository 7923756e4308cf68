/*
 * req_deliver.c -- the answer: the head of a forwarded response as the
 * client gets it, the body relay (DELIVER), error pages (SYNTH), the
 * access-log line (LOG) and what becomes of the connection (FINISH,
 * LINGER).
 * Runs in the workers.
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
#include "auth.h"
#include "conf.h"
#include "conn.h"
#include "dns.h"
#include "http_hdr.h"
#include "io.h"
#include "log.h"
#include "sl.h"
#include "stats.h"
#include "worker.h"

/* Lingering close: at most this long, and this many discarded bytes. */
#define REQ_LINGER_MS	2000
#define REQ_LINGER_MAX	(1024 * 1024)

int
req_head_end(struct conn *c, struct buf *b)
{
	struct req *r = &c->r;

	if (!r->r_keepalive && buf_printf(b, "Connection: close\r\n") == -1)
		return -1;
	if (r->r_keepalive && r->r_version == 10 &&
	    buf_printf(b, "Connection: keep-alive\r\n") == -1)
		return -1;
	return buf_append(b, "\r\n", 2);
}

int
req_response_head(struct conn *c, const struct http_head *h, int final,
    const char *fields)
{
	struct req *r = &c->r;
	struct buf *o = c->obuf;
	size_t i;

	buf_reset(o);
	if (final && r->r_range_rc != 0) {
		/* RFC 9110 §15.3.7, §15.5.17: our slice of the whole 200. */
		if (buf_printf(o, r->r_range_rc == 1 ?
		    "HTTP/1.1 206 Partial Content\r\n" :
		    "HTTP/1.1 416 Range Not Satisfiable\r\n") == -1)
			return -1;
		r->r_status = r->r_range_rc == 1 ? 206 : 416;
	} else if (buf_printf(o, "HTTP/1.1 %d %.*s\r\n", h->status,
	    (int)h->reason_len, h->reason) == -1)
		return -1;
	for (i = 0; i < h->nfields; i++) {
		const struct http_field *f = &h->fields[i];

		/*
		 * Chunked passes through unchanged, so its Transfer-Encoding
		 * stays; everything else hop-by-hop goes.
		 */
		if (http_field_is(f, "Transfer-Encoding") && final &&
		    r->r_rbody.mode == HTTP_BODY_CHUNKED && !r->r_rbody.decode) {
			if (http_hdr_copy(o, f) == -1)
				return -1;
			continue;
		}
		if (http_hdr_is_hop(h, i))
			continue;
		/* One canonical Content-Length for a body we frame (§8.6). */
		if (final && r->r_rbody.mode == HTTP_BODY_LENGTH &&
		    http_field_is(f, "Content-Length"))
			continue;
		if (http_hdr_copy(o, f) == -1)
			return -1;
	}
	if (final && r->r_range_rc == 1 && buf_printf(o, "Content-Range: bytes "
	    "%llu-%llu/%llu\r\nContent-Length: %llu\r\n",
	    (unsigned long long)r->r_range_first,
	    (unsigned long long)r->r_range_last,
	    (unsigned long long)r->r_rbody.length,
	    (unsigned long long)(r->r_range_last - r->r_range_first + 1)) == -1)
		return -1;
	if (final && r->r_range_rc == 2 && buf_printf(o, "Content-Range: bytes "
	    "*/%llu\r\nContent-Length: 0\r\n",
	    (unsigned long long)r->r_rbody.length) == -1)
		return -1;
	if (final && r->r_range_rc == 0 && r->r_rbody.mode == HTTP_BODY_LENGTH &&
	    buf_printf(o, "Content-Length: %llu\r\n",
	    (unsigned long long)r->r_rbody.length) == -1)
		return -1;
	/* A close-delimited body we frame ourselves (body.h, BODY_ENCODE). */
	if (final && r->r_rbody.encode &&
	    buf_printf(o, "Transfer-Encoding: chunked\r\n") == -1)
		return -1;
	if (final && fields != NULL && buf_append(o, fields,
	    strlen(fields)) == -1)
		return -1;
	/* RFC 9110 §6.6.1: we have a clock; a response without Date gets one. */
	if (final && !http_hdr_has(h, "Date") &&
	    http_hdr_date(o, time(NULL)) == -1)
		return -1;
	if (http_hdr_via(o, h->version, worker_conf->visible_hostname) == -1)
		return -1;
	if (!final)
		return buf_append(o, "\r\n", 2);
	return req_head_end(c, o);
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
		return REQ_NEXT(c, LOG);
	}
	/* A background revalidation: the body goes to the store only. */
	if (c->c_background) {
		r->r_rbody.sink = 1;
		r->r_keepalive = 0;
	}
	/*
	 * A body the client reads until we close (HTTP/1.0: from an origin
	 * that closes, or de-chunked) has no end the client could miss: a
	 * close while it is under way, ours or the kernel's when this
	 * worker is killed, must be a reset, never a FIN (RFC 9112 §8).
	 * Armed before the head goes, disarmed once the body is whole.
	 */
	if (!r->r_synth && !r->r_interim && !r->r_linger0 &&
	    ((r->r_rbody.mode == HTTP_BODY_EOF && !r->r_rbody.encode) ||
	    r->r_rbody.decode)) {
		if (conn_linger_reset(c, 1) == -1)
			log_warn("conn %u: SO_LINGER", c->id);
		r->r_linger0 = 1;
	}
	/*
	 * A response without a body is whole with its head: when the cache
	 * holds the end of the response, the head itself waits.
	 */
	if (r->r_rbody.tee != NULL && r->r_rbody.done &&
	    r->r_rbody.ready == 0 && !r->r_synth && !r->r_interim)
		return REQ_NEXT(c, STORE);
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
		/* Before its head went out: the fetch may still go on. */
		if (r->r_synth || r->r_interim || !req_cache_sink(c))
			return REQ_NEXT(c, LOG);
		buf_reset(c->obuf);
		r->r_rbody.sink = 1;
	}
	if (r->r_interim) {
		/*
		 * A 1xx went out whole; the final response is still to come,
		 * and an error page may still take its place.
		 */
		r->r_interim = 0;
		r->r_head_sent = 0;
		buf_reset(c->obuf);
		return REQ_NEXT(c, RECV_RESP_HEAD);
	}
	if (r->r_synth)
		return REQ_NEXT(c, LOG);
	for (;;) {
		rc = body_relay(c, &r->r_rbody, c->ubuf, c->u_io.fd,
		    c->c_io.fd, &r->r_bytes_out, &side);
		/* The client left, but others follow this fetch: go on. */
		if (rc == SL_ERROR && side == 'd' && !r->r_rbody.sink &&
		    req_cache_sink(c)) {
			r->r_rbody.sink = 1;
			r->r_code_sfx = "_ABORTED";	/* for its client */
			r->r_keepalive = 0;
			continue;
		}
		/*
		 * The client is slower than the origin and others follow
		 * this fetch: it must not wait for that client.
		 */
		if (rc == SL_AGAIN && r->r_rbody.blocked && req_cache_lag(c))
			continue;
		break;
	}
	/* A lagging client reads the body back from the store. */
	if (r->r_cache.lag && !r->r_cache.lag_done) {
		switch (req_cache_catchup(c)) {
		case SL_OK:
			r->r_cache.lag_done = 1;
			break;
		case SL_ERROR:
			req_cache_lag_left(c);
			r->r_cache.lag_done = 1;
			r->r_code_sfx = "_ABORTED";
			r->r_keepalive = 0;
			break;
		default:
			break;
		}
	}
	if (rc == SL_AGAIN || (rc == SL_OK && r->r_cache.lag &&
	    !r->r_cache.lag_done)) {
		req_timer(c, worker_conf->read_timeout);
		return SL_AGAIN;
	}
	if (rc == BODY_HOLD) {
		/* Whole and teed: the store commits before the last bytes go. */
		return REQ_NEXT(c, STORE);
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
		return REQ_NEXT(c, LOG);
	}
	if (r->r_up_keep && r->r_body.done && buf_len(c->ubuf) == 0)
		r->r_up_reusable = 1;	/* clean: upstream_release() */
	/* Whole: the close that ends it is a FIN again. */
	if (r->r_linger0 && conn_linger_reset(c, 0) == 0)
		r->r_linger0 = 0;
	return REQ_NEXT(c, LOG);
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
		/* Too late for an error page: cut short (FINISH resets). */
		r->r_keepalive = 0;
		r->r_code_sfx = "_ABORTED";
		return REQ_NEXT(c, LOG);
	}
	if (!r->r_body.done || worker_draining())
		r->r_keepalive = 0;
	/*
	 * RFC 9110 §9.3.6: any answer to CONNECT but a 2xx means there is no
	 * tunnel, yet what the client sent after its CONNECT (a TLS
	 * ClientHello, sent optimistically) was meant for one: it must never
	 * be read as a request.  The answer says "Connection: close" (a
	 * client retrying a 407 with credentials reconnects) and FINISH
	 * discards the rest (lingering close).
	 */
	if (r->r_connect)
		r->r_keepalive = 0;
	/* The origin is unreachable: a stale stored response may do. */
	if (req_cache_stale_possible(c))
		return REQ_NEXT(c, STALE);
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
	return REQ_NEXT(c, DELIVER);
}

int
req_step_log(struct conn *c)
{
	stats_log(c);	/* the shared counters: one place per request */
	accesslog_log(c);
	/* Followers of this fetch no longer wait for it. */
	req_cache_end(c);
	return REQ_NEXT(c, FINISH);
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
		n = io_read(c, c->c_io.fd, c->cbuf->last, buf_room(c->cbuf));
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
	int keep, rc;

	ev_timer_stop(&c->c_timer);
	if (c->c_background)
		return conn_close(c);	/* it had no client */
	req_cache_end(c);
	upstream_release(c);
	buf_put(r->r_uhead);
	r->r_uhead = NULL;
	spipe_close(&r->r_body.sp);
	spipe_close(&r->r_rbody.sp);
	if (r->r_dnsq != NULL)
		dns_cancel(r->r_dnsq);
	auth_cancel(r->r_authq);
	r->r_authq = NULL;
	/*
	 * RFC 9112 §8: a response cut short (its source broke, a timeout,
	 * the store's file ended early) must not look complete.  A missing
	 * last chunk or short Content-Length tells a careful client; a
	 * reset tells every client, an HTTP/1.0 one reading to the close
	 * included.
	 */
	if (r->r_code_sfx != NULL && r->r_head_sent) {
		log_debug("conn %u client %s: resetting the connection after "
		    "an incomplete response (%s%s)", c->id, c->c_peer_text,
		    r->r_code, r->r_code_sfx);
		return conn_abort(c);
	}
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
		(void)io_shutdown(c, c->c_io.fd, 0);
		buf_put(c->ubuf);
		buf_put(c->obuf);
		buf_put(c->arena);
		c->ubuf = c->obuf = c->arena = NULL;
		req_timer(c, REQ_LINGER_MS);
		return REQ_NEXT(c, LINGER);
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
	rc = REQ_NEXT(c, RECV_HEAD);
	req_reset(c);	/* a new request, in RECV_HEAD */
	req_timer(c, worker_conf->client_idle_pconn_timeout);
	return rc;
}
