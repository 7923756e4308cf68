/*
 * splice.h -- zero-copy relay through a pipe (Linux splice(2)).
 *
 * Runs in the workers.  A struct spipe is one direction of a relay:
 * bytes go source socket -> pipe -> destination socket without entering
 * user space.  The pipe holds at most one pipe buffer (64 KiB by
 * default), so a slow destination stops the reads from the source
 * (backpressure), as with a struct buf.
 *
 * A tunnel also bounds what each destination socket keeps queued but not
 * yet sent (spipe_dst_lowat(), TCP_NOTSENT_LOWAT, 16 KiB): the bytes wait
 * in the pipe and the source socket instead, which bounds the kernel
 * memory a slow reader pins, and on loopback made a 100 MiB tunnel 18%
 * faster at 13-19% less CPU for the whole path (splice.c).
 *
 * Caveats:
 *  - Open the pipe only once the user-space buffer of that direction is
 *    empty: bytes must leave in the order they came.
 *  - A zeroed struct spipe is closed (req_reset() zeroes the request).
 *  - Used for tunnels and for bodies whose bytes need no inspection
 *    (Content-Length or close-delimited, not de-chunked); a pipe that
 *    cannot be created (EMFILE) just means the buffer path goes on.
 */
#ifndef SLUICE_SPLICE_H
#define SLUICE_SPLICE_H

#include <stddef.h>
#include <stdint.h>

struct spipe {
	int	open;		/* fd[] are valid */
	int	fd[2];
	size_t	len;		/* bytes in the pipe */
	int	lowat;		/* spipe_dst_lowat(): 0 not yet, >0 the bound
				   set on the destination, -1 refused */
};

/** @brief Create the pipe. @return 0, or -1 (errno) and @p p stays closed. */
int	spipe_open(struct spipe *p);
/** @brief Close the pipe if open; bytes in it are lost. */
void	spipe_close(struct spipe *p);
/**
 * @brief Once per pipe: bound the bytes that @p dfd (a TCP socket, the
 *	destination of this direction) keeps queued but unsent to
 *	SPIPE_LOWAT (16 KiB) with TCP_NOTSENT_LOWAT.  Later calls do
 *	nothing.
 * @return the bound set (also in @p p->lowat), or -1 when the socket
 *	refused it (then the relay goes on without it).
 * @note The option stays on the socket after the pipe is closed: use it
 *	where the socket ends with the relay (tunnels).
 */
int	spipe_dst_lowat(struct spipe *p, int dfd);
/**
 * @brief Move bytes: pipe -> @p dfd, then @p sfd -> pipe (at most
 *	@p max_in more bytes from the source), until both would block.
 * @param[out] in   bytes taken from the source in this call.
 * @param[out] out  bytes given to the destination in this call.
 * @param[out] src_eof  set when the source reached EOF.
 * @return 0, or -1 with @p *side 's' (source error) or 'd' (destination).
 */
int	spipe_pump(struct spipe *p, int sfd, int dfd, uint64_t max_in,
	    uint64_t *in, uint64_t *out, int *src_eof, int *side);
/**
 * @brief spipe_pump() giving the destination at most @p max_out bytes in
 *	this call (0: only fill the pipe): for framing around the bytes
 *	(body.c adds chunk framing between what it splices).
 */
int	spipe_pump_max(struct spipe *p, int sfd, int dfd, uint64_t max_in,
	    uint64_t max_out, uint64_t *in, uint64_t *out, int *src_eof,
	    int *side);

#endif
