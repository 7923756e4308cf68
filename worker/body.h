/*
 * body.h -- a message body on its way through the worker: framing as it
 * is scanned (RFC 9112 §6), the relay from one socket to the other with
 * backpressure, zero copy through splice(2) where nothing needs to see
 * the bytes, and one tee hook through which the cache takes a copy.
 *
 * Runs in the workers.  The request body goes cbuf -> upstream, the
 * response body ubuf -> client.  The tee sees every body byte as it came
 * from the source (in the source's framing) BEFORE it is sent on, and may
 * hold the relay back (the cache's writer is behind).  When the body is
 * complete, a relay with a tee stops before sending the last bytes read
 * (BODY_HOLD): the caller commits the copy, removes the tee and relays
 * again, so that a client that has the whole response can count on the
 * next request finding it stored.
 *
 * A body the source ends by closing (RFC 9112 §6.3 item 8) goes to an
 * HTTP/1.1 client chunked (BODY_ENCODE): the relay frames each run of
 * bytes it sends (or each pipeful it splices) as a chunk, and sends the
 * last chunk only once the source closed cleanly.  The tee still sees
 * the source's bytes.
 *
 * Caveats:
 *  - A body owns a pipe (sp) once it went zero-copy: body_init() keeps it
 *    for the next body, spipe_close() at the end of the request.
 *  - With a tee, or de-chunking, the bytes cross user space (no splice).
 */
#ifndef SLUICE_BODY_H
#define SLUICE_BODY_H

#include <stddef.h>
#include <stdint.h>

#include "http_parse.h"
#include "splice.h"

struct buf;
struct conn;

/** A relay's answer beyond the SL_* codes: complete, the tail held. */
#define BODY_HOLD	1

/* body_init() flags. */
#define BODY_DECODE	0x01	/* de-chunk (an HTTP/1.0 client) */
#define BODY_ENCODE	0x02	/* frame as chunked what has no framing (a
				   close-delimited body for an HTTP/1.1
				   client, RFC 9112 §7.1) */

/**
 * The tee: @p n body bytes at @p p, about to be sent.
 * @return 0 taken; 1 not now (the relay waits: the tee wakes the conn);
 *	-1 stop teeing (the relay goes on without it).
 */
typedef int body_tee_f(struct conn *c, const char *p, size_t n);

/** A message body on its way through one buffer. */
struct body {
	enum http_body_mode	mode;
	uint64_t		left;		/* LENGTH: bytes not yet scanned */
	uint64_t		length;		/* LENGTH: the declared length */
	struct http_chunked	chunk;
	int			decode;		/* de-chunk for an HTTP/1.0 client */
	int			encode;		/* add chunked framing as it goes */
	int			done;		/* the whole body has been scanned */
	size_t			ready;		/* scanned bytes at buf->pos to write */
	size_t			teed;		/* ... of which the tee has taken */
	struct spipe		sp;		/* zero-copy path, once the buffer is empty */
	body_tee_f		*tee;		/* the cache's copy, or NULL */
	int			sink;		/* the destination is gone: the
						   bytes go to the tee only */
	/*
	 * A window of the body for the destination (a Range answered from
	 * a whole fetch): @c skip bytes are dropped first, then @c limit
	 * bytes sent; after them the rest goes to the tee only.
	 */
	uint64_t		skip;
	uint64_t		limit;		/* UINT64_MAX: no window */
	int			blocked;	/* the last relay waited on the
						   destination (send: EAGAIN) */
	uint64_t		wire;		/* body bytes taken from the
						   source, framing included
						   (metrics) */
	/* BODY_ENCODE: the chunk being written (framing around b's bytes). */
	char			enc_hdr[24];	/* "size CRLF" */
	unsigned		enc_hlen;
	unsigned		enc_hoff;	/* of it already sent */
	size_t			enc_left;	/* data bytes of the chunk to send */
	unsigned		enc_crlf;	/* of the CRLF after the data, sent */
	unsigned		enc_last;	/* of "0" CRLF CRLF, sent */
};

/**
 * @brief Start a body: mode and length from the framing call.
 * @param[in] flags  BODY_DECODE, BODY_ENCODE (only for HTTP_BODY_EOF:
 *	the last chunk then goes out only when the source closed cleanly,
 *	so a body cut short never looks complete), or 0.
 */
void	body_init(struct body *bd, enum http_body_mode mode, uint64_t len,
	    int flags);
/** @brief Account for bytes already in @p b after the head. @return 0 or -1 (framing). */
int	body_scan(struct body *bd, struct buf *b);
/**
 * @brief Move a body from @p sfd through @p b to @p dfd until it ends.
 *	Re-arms the conn's idle timer on progress.
 * @return SL_OK (complete and written), BODY_HOLD (complete, teed, the
 *	last bytes still in @p b: end the tee, then call again), SL_AGAIN,
 *	or SL_ERROR with @p *side set to 's' (source broke or ended early:
 *	truncated), 'f' (framing error from the source) or 'd' (destination
 *	broke).
 */
int	body_relay(struct conn *c, struct body *bd, struct buf *b, int sfd,
	    int dfd, uint64_t *counter, int *side);

#endif
