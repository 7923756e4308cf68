/*
 * body.c -- message bodies through the worker (see body.h).
 * Runs in the workers.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
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

/* "0" CRLF CRLF: the last chunk and an empty trailer section. */
static const char body_last_chunk[] = "0\r\n\r\n";
#define BODY_LAST_LEN	(sizeof(body_last_chunk) - 1)

void
body_init(struct body *bd, enum http_body_mode mode, uint64_t len, int flags)
{
	struct spipe sp = bd->sp;	/* an open pipe stays with the body */

	memset(bd, 0, sizeof(*bd));
	bd->sp = sp;
	bd->sp.len = 0;
	bd->mode = mode;
	bd->left = bd->length = len;
	bd->decode = (flags & BODY_DECODE) != 0;
	bd->encode = (flags & BODY_ENCODE) != 0 && mode == HTTP_BODY_EOF;
	bd->enc_crlf = 2;	/* no chunk open */
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
		bd->wire += k;
		bd->left -= k;
		bd->ready += k;
		if (bd->left == 0)
			bd->done = 1;
		break;
	case HTTP_BODY_EOF:
		bd->wire += n;
		bd->ready += n;
		break;
	case HTTP_BODY_CHUNKED:
		/*
		 * Passed through as it came, but for the trailer fields
		 * RFC 9110 §6.5.1 does not allow, which are cut out; or
		 * de-chunked for an HTTP/1.0 client.
		 */
		done = 0;
		rc = http_chunked_scan(&bd->chunk, p, n, bd->decode ?
		    HTTP_CHUNKED_DECODE : HTTP_CHUNKED_TRAILERS, &out, &done);
		if (rc < 0)
			return -1;
		bd->wire += (uint64_t)rc;
		if (out < (size_t)rc) {
			/*
			 * Drop what the walker left behind (framing, trailer
			 * fields); bytes it did not consume yet (a trailer
			 * name it holds) move down and are scanned again.
			 */
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

static int	body_splice_encode(struct conn *, struct body *, int, int,
		    uint64_t *, int *);

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

	if (bd->encode)
		return body_splice_encode(c, bd, sfd, dfd, counter, side);
	if (spipe_pump(&bd->sp, sfd, dfd, bd->mode == HTTP_BODY_LENGTH ?
	    bd->left : UINT64_MAX, &in, &out, &eof, side) == -1)
		return SL_ERROR;
	*counter += out;
	bd->wire += in;
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

/*
 * The zero-copy leg with chunk framing (BODY_ENCODE, RFC 9112 §7.1):
 * when the pipe holds bytes and no chunk is open, one opens for all of
 * them: its "size CRLF" is sent, then that many bytes are spliced, then
 * CRLF; the pipe keeps filling meanwhile.  The last chunk goes once the
 * source closed cleanly and the pipe is empty; a source error ends here
 * without it.
 */
static int
body_splice_encode(struct conn *c, struct body *bd, int sfd, int dfd,
    uint64_t *counter, int *side)
{
	uint64_t in, out, moved = 0;
	ssize_t n;
	int eof = bd->done, progress;

	do {
		progress = 0;
		if (bd->enc_crlf == 2 && bd->sp.len > 0) {
			bd->enc_hlen = (unsigned)snprintf(bd->enc_hdr,
			    sizeof(bd->enc_hdr), "%zx\r\n", bd->sp.len);
			bd->enc_hoff = 0;
			bd->enc_left = bd->sp.len;
			bd->enc_crlf = 0;
		}
		if (bd->enc_crlf < 2 && bd->enc_hoff < bd->enc_hlen) {
			/* MSG_MORE: the chunk's bytes follow at once. */
			n = send(dfd, bd->enc_hdr + bd->enc_hoff, bd->enc_hlen -
			    bd->enc_hoff, MSG_NOSIGNAL | MSG_MORE);
			if (n > 0) {
				bd->enc_hoff += (unsigned)n;
				*counter += (uint64_t)n;
				progress = 1;
			} else if (n == -1 && errno != EAGAIN && errno != EINTR) {
				*side = 'd';
				return SL_ERROR;
			}
		}
		/* Out only within the open chunk, once its size went. */
		if (spipe_pump_max(&bd->sp, sfd, dfd, UINT64_MAX,
		    bd->enc_crlf < 2 && bd->enc_hoff == bd->enc_hlen ?
		    bd->enc_left : 0, &in, &out, &eof, side) == -1)
			return SL_ERROR;
		bd->enc_left -= out;
		*counter += out;
		moved += in + out;
		if (in > 0 || out > 0 || (eof && !bd->done))
			progress = 1;
		if (eof)
			bd->done = 1;
		if (bd->enc_crlf < 2 && bd->enc_hoff == bd->enc_hlen &&
		    bd->enc_left == 0) {
			n = send(dfd, "\r\n" + bd->enc_crlf, 2 - bd->enc_crlf,
			    MSG_NOSIGNAL);
			if (n > 0) {
				bd->enc_crlf += (unsigned)n;
				*counter += (uint64_t)n;
				progress = 1;
			} else if (n == -1 && errno != EAGAIN && errno != EINTR) {
				*side = 'd';
				return SL_ERROR;
			}
		}
		if (bd->done && bd->sp.len == 0 && bd->enc_crlf == 2 &&
		    bd->enc_last < BODY_LAST_LEN) {
			n = send(dfd, body_last_chunk + bd->enc_last,
			    BODY_LAST_LEN - bd->enc_last, MSG_NOSIGNAL);
			if (n > 0) {
				bd->enc_last += (unsigned)n;
				*counter += (uint64_t)n;
				progress = 1;
			} else if (n == -1 && errno != EAGAIN && errno != EINTR) {
				*side = 'd';
				return SL_ERROR;
			}
		}
	} while (progress);
	if (moved > 0)
		req_timer(c, worker_conf->read_timeout);
	if (bd->done && bd->sp.len == 0 && bd->enc_last == BODY_LAST_LEN)
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

/*
 * BODY_ENCODE (RFC 9112 §7.1): send up to @p avail bytes at @p p as a
 * chunk, with its framing: "size CRLF" before its first byte, CRLF after
 * its last and, when @p last (these are the final bytes of a body whose
 * source closed cleanly), the last chunk.  One sendmsg(2) per call; a
 * partial write resumes from the state kept in @p bd.  A new chunk takes
 * all of @p avail; an open one only what it still lacks.
 * @param[out] wire  bytes written, framing included.
 * @return bytes of @p p sent (0 with *wire > 0: framing only), or -1
 *	(errno).
 */
static ssize_t
body_encode_send(struct conn *c, struct body *bd, const char *p, size_t avail,
    int last, int dfd, size_t *wire)
{
	struct iovec iov[4];
	size_t data = 0, k, rest;
	ssize_t n;
	int niov = 0, closes;

	*wire = 0;
	if (bd->enc_crlf == 2 && avail > 0) {
		/* No chunk open: one for everything ready. */
		bd->enc_hlen = (unsigned)snprintf(bd->enc_hdr,
		    sizeof(bd->enc_hdr), "%zx\r\n", avail);
		bd->enc_hoff = 0;
		bd->enc_left = avail;
		bd->enc_crlf = 0;
	}
	if (bd->enc_crlf < 2) {
		if (bd->enc_hoff < bd->enc_hlen) {
			iov[niov].iov_base = bd->enc_hdr + bd->enc_hoff;
			iov[niov++].iov_len = bd->enc_hlen - bd->enc_hoff;
		}
		data = avail < bd->enc_left ? avail : bd->enc_left;
		if (data > 0) {
			iov[niov].iov_base = (void *)(uintptr_t)p;
			iov[niov++].iov_len = data;
		}
	}
	/* The chunk's CRLF goes when its data does; then the last chunk. */
	closes = bd->enc_crlf < 2 && data == bd->enc_left;
	if (closes) {
		iov[niov].iov_base = (void *)(uintptr_t)("\r\n" +
		    bd->enc_crlf);
		iov[niov++].iov_len = 2 - bd->enc_crlf;
	}
	if (last && avail == data && (closes || bd->enc_crlf == 2) &&
	    bd->enc_last < BODY_LAST_LEN) {
		iov[niov].iov_base = (void *)(uintptr_t)(body_last_chunk +
		    bd->enc_last);
		iov[niov++].iov_len = BODY_LAST_LEN - bd->enc_last;
	}
	if (niov == 0)
		return 0;
	n = io_sendmsg(c, dfd, iov, niov);
	if (n <= 0)
		return n == 0 ? 0 : -1;
	*wire = (size_t)n;
	/* Account for what went, in the order it was given. */
	rest = (size_t)n;
	data = 0;
	if (bd->enc_crlf < 2) {
		k = bd->enc_hlen - bd->enc_hoff;
		k = rest < k ? rest : k;
		bd->enc_hoff += (unsigned)k;
		rest -= k;
		data = rest < bd->enc_left ? rest : bd->enc_left;
		data = data < avail ? data : avail;
		bd->enc_left -= data;
		rest -= data;
		if (bd->enc_left == 0 && rest > 0) {
			k = rest < 2u - bd->enc_crlf ? rest : 2u - bd->enc_crlf;
			bd->enc_crlf += (unsigned)k;
			rest -= k;
		}
	}
	bd->enc_last += (unsigned)rest;
	return (ssize_t)data;
}

int
body_relay(struct conn *c, struct body *bd, struct buf *b, int sfd, int dfd,
    uint64_t *counter, int *side)
{
	ssize_t n;
	size_t out, wire;
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
		if (bd->encode && !bd->sink) {
			/* Chunk framing around the bytes (RFC 9112 §7.1). */
			n = body_encode_send(c, bd, b->pos, out, bd->done &&
			    out == bd->ready, dfd, &wire);
			if (wire > 0) {
				*counter += wire;
				progress = 1;
			}
			if (n > 0) {
				b->pos += n;
				bd->ready -= (size_t)n;
				bd->teed = bd->teed > (size_t)n ?
				    bd->teed - (size_t)n : 0;
				if (bd->limit != UINT64_MAX)
					bd->limit -= (uint64_t)n;
			} else if (n == -1 && errno != EAGAIN && errno != EINTR) {
				*side = 'd';
				return SL_ERROR;
			} else if (n == -1)
				bd->blocked = 1;
		} else if (out > 0) {
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
		/* Encoded: whole once the last chunk went too. */
		if (bd->done && bd->ready == 0 && (!bd->encode || bd->sink ||
		    bd->enc_last == BODY_LAST_LEN))
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
