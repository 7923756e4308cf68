/*
 * body.c -- message bodies through the worker (see body.h).
 * Runs in the workers.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/socket.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "body.h"
#include "buf.h"
#include "conf.h"
#include "conn.h"
#include "io.h"
#include "log.h"
#include "sl.h"
#include "worker.h"

/* Bodies at least this long go through splice(2) once the buffer is empty. */
#define BODY_SPLICE_MIN	65536

void
body_init(struct body *bd, enum http_body_mode mode, uint64_t len, int decode)
{
	struct spipe sp = bd->sp;	/* an open pipe stays with the body */

	memset(bd, 0, sizeof(*bd));
	bd->sp = sp;
	bd->sp.len = 0;
	bd->mode = mode;
	bd->left = bd->length = len;
	bd->decode = decode;
	bd->limit = UINT64_MAX;
	bd->done = mode == HTTP_BODY_NONE ||
	    (mode == HTTP_BODY_LENGTH && len == 0);
}

int
body_scan(struct body *bd, struct buf *b)
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

/*
 * The zero-copy leg of body_relay(): the buffer is empty and the rest of
 * the body needs no inspection (its length is known or it ends at close,
 * nothing to de-chunk, no tee).  Reads stop at the body's end, so
 * whatever follows it stays in the socket.
 */
static int
body_splice(struct conn *c, struct body *bd, int sfd, int dfd,
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
body_splice_start(struct conn *c, struct body *bd, const struct buf *b)
{
	if (bd->sp.open)
		return 1;
	/* splice(2) moves raw bytes: both sides plain only (io.h). */
	if (bd->tee != NULL || bd->sink || bd->decode || bd->done ||
	    io_any_tls(c) || bd->skip > 0 || bd->limit != UINT64_MAX ||
	    bd->ready > 0 || buf_len(b) > 0 || !(bd->mode == HTTP_BODY_EOF ||
	    (bd->mode == HTTP_BODY_LENGTH && bd->left >= BODY_SPLICE_MIN)))
		return 0;
	if (spipe_open(&bd->sp) == -1)
		return 0;	/* EMFILE and the like: copy instead */
	log_debug("conn %u: splicing a body of %s bytes", c->id,
	    bd->mode == HTTP_BODY_EOF ? "unknown" : "known");
	return 1;
}

int
body_relay(struct conn *c, struct body *bd, struct buf *b, int sfd, int dfd,
    uint64_t *counter, int *side)
{
	ssize_t n;
	size_t out;
	int progress, rc;

	bd->blocked = 0;
	for (;;) {
		if (body_splice_start(c, bd, b))
			return body_splice(c, bd, sfd, dfd, counter, side);
		progress = 0;
		/* The tee first: what is sent is what the cache got. */
		if (bd->tee != NULL && bd->ready > bd->teed) {
			rc = bd->tee(c, b->pos + bd->teed, bd->ready - bd->teed);
			if (rc == 1)
				return SL_AGAIN;	/* the tee wakes us */
			if (rc == -1)
				bd->tee = NULL;
			else
				bd->teed = bd->ready;
		}
		if (bd->done && bd->tee != NULL)
			return BODY_HOLD;
		out = bd->tee != NULL ? bd->teed : bd->ready;
		/* A window: what comes before it is dropped, not sent. */
		if (out > 0 && bd->skip > 0) {
			n = (ssize_t)(out < bd->skip ? out : bd->skip);
			b->pos += n;
			bd->ready -= (size_t)n;
			bd->teed = bd->teed > (size_t)n ?
			    bd->teed - (size_t)n : 0;
			bd->skip -= (uint64_t)n;
			out -= (size_t)n;
			progress = 1;
		}
		if (bd->limit == 0)
			bd->sink = 1;	/* the window is out: the tee only */
		else if (bd->limit != UINT64_MAX && out > bd->limit)
			out = (size_t)bd->limit;
		if (out > 0) {
			n = bd->sink ? (ssize_t)out :
			    io_send(c, dfd, b->pos, out);
			if (n > 0) {
				b->pos += n;
				bd->ready -= (size_t)n;
				bd->teed = bd->teed > (size_t)n ?
				    bd->teed - (size_t)n : 0;
				if (!bd->sink)
					*counter += (uint64_t)n;
				if (!bd->sink && bd->limit != UINT64_MAX)
					bd->limit -= (uint64_t)n;
				progress = 1;
			} else if (n == -1 && errno != EAGAIN && errno != EINTR) {
				*side = 'd';
				return SL_ERROR;
			} else if (n == -1)
				bd->blocked = 1;
		}
		if (bd->done && bd->ready == 0)
			return SL_OK;
		if (body_splice_start(c, bd, b))
			return body_splice(c, bd, sfd, dfd, counter, side);
		if (!bd->done) {
			if (buf_room(b) == 0)
				buf_compact(b);
			if (buf_room(b) > 0) {
				n = io_read(c, sfd, b->last, buf_room(b));
				if (n > 0) {
					b->last += n;
					if (body_scan(bd, b) == -1) {
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
