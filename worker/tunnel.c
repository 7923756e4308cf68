/*
 * tunnel.c -- the CONNECT relay (RFC 9110 §9.3.6).
 * Runs in the workers.
 *
 * After "200 Connection established" the bytes flow both ways through
 * two buffers: cbuf (client to upstream) and ubuf (upstream to client).
 * Each direction reads only when its buffer has room and writes only
 * when it has data, so a slow reader slows its writer (backpressure).
 * An EOF from one side is passed on as shutdown(SHUT_WR) to the other
 * once its buffer is drained (half-close); the tunnel ends when both
 * directions have ended, on an error, or after tunnel_idle_timeout of
 * silence.
 *
 * Once a direction's buffer is empty it moves to a pipe and splice(2):
 * the bytes no longer cross user space, and the buffers go back to the
 * freelist, so a long-lived tunnel holds two pipes and no buffer.  Not
 * when a side speaks TLS (a CONNECT inside an https_port connection, a
 * 101 inside a bumped one): then the bytes go through the buffers and
 * worker/io.h, and a half-close is close_notify then FIN.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/socket.h>

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "conn.h"
#include "io.h"
#include "log.h"
#include "sl.h"
#include "worker.h"

/*
 * One direction: src -> b -> dst.  Returns 1 on progress, 0 when it must
 * wait, -1 on an error.  *eof is set once src's EOF was passed on.
 */
static int
tunnel_pump(struct conn *c, int sfd, int dfd, struct buf *b, int *eof,
    int *src_eof, uint64_t *counter)
{
	ssize_t n;
	int progress = 0;

	if (buf_len(b) > 0) {
		n = io_send(c, dfd, b->pos, buf_len(b));
		if (n > 0) {
			b->pos += n;
			*counter += (uint64_t)n;
			progress = 1;
			if (buf_len(b) == 0)
				buf_reset(b);
		} else if (n == -1 && errno != EAGAIN && errno != EINTR)
			return -1;
	}
	if (!*src_eof && buf_room(b) > 0) {
		n = io_read(c, sfd, b->last, buf_room(b));
		if (n > 0) {
			b->last += n;
			progress = 1;
		} else if (n == 0) {
			*src_eof = 1;
			progress = 1;
		} else if (errno != EAGAIN && errno != EINTR)
			return -1;
	}
	if (*src_eof && !*eof && buf_len(b) == 0) {
		/* Half-close: the peer learns that no more bytes come. */
		if (io_shutdown(c, dfd, 1) == SL_AGAIN)
			return progress;
		*eof = 1;
		progress = 1;
	}
	return progress;
}

/* One direction through its pipe; same contract as tunnel_pump(). */
static int
tunnel_splice(int sfd, int dfd, struct spipe *sp, int *eof, int *src_eof,
    uint64_t *counter)
{
	uint64_t in, out;
	int side = 0, was_eof = *src_eof;

	(void)spipe_dst_lowat(sp, dfd);
	if (spipe_pump(sp, sfd, dfd, UINT64_MAX, &in, &out, src_eof,
	    &side) == -1)
		return -1;
	*counter += out;
	if (*src_eof && !*eof && sp->len == 0) {
		(void)shutdown(dfd, SHUT_WR);
		*eof = 1;
		return 1;
	}
	return in > 0 || out > 0 || *src_eof != was_eof;
}

/* Move a direction whose buffer is empty to splice; keep the buffer if not. */
static void
tunnel_try_splice(struct conn *c, struct buf **b, struct spipe *sp)
{
	if (sp->open || *b == NULL || buf_len(*b) > 0 || io_any_tls(c))
		return;
	if (spipe_open(sp) == -1) {
		log_debug("conn %u: no pipe for the tunnel (%s): copying",
		    c->id, strerror(errno));
		return;
	}
	buf_put(*b);
	*b = NULL;
}

int
req_step_tunnel(struct conn *c)
{
	struct req *r = &c->r;
	int rc, up, down, moved;

	if (r->r_timed_out) {
		r->r_timed_out = 0;
		log_info("conn %u client %s: tunnel to %s idle for "
		    "tunnel_idle_timeout",
		    c->id, c->c_peer_text, r->r_url);
		r->r_keepalive = 0;
		return REQ_NEXT(c, LOG);
	}
	rc = req_flush_obuf(c);
	if (rc == SL_AGAIN)
		return SL_AGAIN;
	if (rc == SL_ERROR) {
		r->r_keepalive = 0;
		return REQ_NEXT(c, LOG);
	}
	/* Bytes already read (after a 101) go first, through ubuf. */
	if (!r->r_rbody.sp.open && (c->ubuf == NULL || buf_len(c->ubuf) == 0) &&
	    !io_any_tls(c) && spipe_open(&r->r_rbody.sp) == -1)
		log_debug("conn %u: no pipe for the tunnel (%s): copying",
		    c->id, strerror(errno));
	if (!r->r_rbody.sp.open && c->ubuf == NULL &&
	    (c->ubuf = buf_get(BUF_SMALL)) == NULL) {
		r->r_keepalive = 0;
		return REQ_NEXT(c, LOG);
	}
	do {
		tunnel_try_splice(c, &c->cbuf, &r->r_body.sp);
		tunnel_try_splice(c, &c->ubuf, &r->r_rbody.sp);
		if (r->r_body.sp.open)
			up = tunnel_splice(c->c_io.fd, c->u_io.fd,
			    &r->r_body.sp, &r->r_tun.up_eof, &r->r_tun.up_src_eof,
			    &r->r_bytes_up);
		else
			up = tunnel_pump(c, c->c_io.fd, c->u_io.fd, c->cbuf,
			    &r->r_tun.up_eof, &r->r_tun.up_src_eof,
			    &r->r_bytes_up);
		if (r->r_rbody.sp.open)
			down = tunnel_splice(c->u_io.fd, c->c_io.fd,
			    &r->r_rbody.sp, &r->r_tun.down_eof,
			    &r->r_tun.down_src_eof, &r->r_bytes_out);
		else
			down = tunnel_pump(c, c->u_io.fd, c->c_io.fd, c->ubuf,
			    &r->r_tun.down_eof, &r->r_tun.down_src_eof,
			    &r->r_bytes_out);
		if (up < 0 || down < 0) {
			log_info("conn %u client %s: tunnel to %s: %s", c->id,
			    c->c_peer_text, r->r_url, strerror(errno));
			r->r_keepalive = 0;
			return REQ_NEXT(c, LOG);
		}
		moved = up > 0 || down > 0;
		if (moved)
			req_timer(c, worker_conf->tunnel_idle_timeout);
	} while (moved);
	if (r->r_tun.up_eof && r->r_tun.down_eof) {
		log_debug("conn %u client %s: tunnel to %s done, %llu bytes up, "
		    "%llu down%s, unsent bounded at %d up, %d down", c->id,
		    c->c_peer_text, r->r_url,
		    (unsigned long long)r->r_bytes_up,
		    (unsigned long long)r->r_bytes_out, r->r_body.sp.open &&
		    r->r_rbody.sp.open ? ", spliced" : "",
		    r->r_body.sp.lowat, r->r_rbody.sp.lowat);
		r->r_keepalive = 0;
		return REQ_NEXT(c, LOG);
	}
	return SL_AGAIN;
}
