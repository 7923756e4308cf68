/*
 * io.h -- the bytes of both sockets of a conn: through the side's TLS
 * connection when it has one (worker/tls.h), straight to the socket
 * otherwise.
 *
 * Runs in the workers.  Every place that moves data on c->c_io.fd or
 * c->u_io.fd calls these instead of read(2), send(2), sendfile(2) and
 * shutdown(2); the side is picked by the fd: c_io.fd goes through
 * c->c_tls, u_io.fd through c->u_tls, and a NULL one (a plain side) means
 * the system call itself, inline, with no extra syscall or copy.  The
 * results are the system calls' own, so that callers keep one shape:
 *	> 0	bytes moved
 *	0	io_read: the peer ended (EOF; over TLS, close_notify)
 *	-1	errno EAGAIN: wait for an event and call again; any other
 *		errno: the side is broken (over TLS: EPROTO, or EPIPE for a
 *		write; the TLS reason goes to cache.log at debug level)
 *
 * TLS and edge-triggered epoll (both sockets of a conn are registered
 * EPOLLIN | EPOLLOUT | EPOLLET for their whole life, see conn.c and
 * upstream.c, and any event on either runs the current step again):
 *  - A read may want the socket writable and a write readable (tls.h).
 *    That want only follows an EAGAIN of the other direction inside
 *    OpenSSL, whose edge is therefore still to come: the step is run
 *    again by it without re-arming anything.
 *  - OpenSSL may hold decrypted bytes the kernel no longer announces.
 *    Every step tries its reads each time it runs, whatever event woke
 *    it, and a step that stops reading for backpressure reads again as
 *    soon as it has room; io_pending() is for the places that look at a
 *    socket instead of reading it (an idle keep-alive connection, a
 *    connection going back to the pool).
 *  - After -1/EAGAIN from io_send() or io_sendfile(), call again with the
 *    same bytes, at least as many (the TLS record is built already).
 *
 * Truncation: over TLS a TCP EOF without close_notify is not an end.
 * From an upstream it is -1/ECONNRESET (a close-delimited body must not
 * look whole); from a client it is 0 (requests are self-delimited, so a
 * missing close_notify cuts nothing the proxy would accept as whole).
 */
#ifndef SLUICE_IO_H
#define SLUICE_IO_H

#include <sys/types.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "conn.h"

/** @return the TLS connection carrying @p fd of @p c, or NULL (plain). */
static inline struct tls *
io_tls(const struct conn *c, int fd)
{
	if (fd == c->c_io.fd)
		return c->c_tls;
	if (fd == c->u_io.fd)
		return c->u_tls;
	return NULL;
}

/* The TLS halves, in io.c. */
ssize_t	io_tls_read(struct conn *c, struct tls *t, void *buf, size_t n);
ssize_t	io_tls_send(struct conn *c, struct tls *t, const void *buf, size_t n);
ssize_t	io_tls_sendfile(struct conn *c, struct tls *t, int file, off_t *off,
	    size_t n);
ssize_t	io_tls_sendmsg(struct conn *c, struct tls *t, const struct iovec *iov,
	    int niov);

/** @brief read(2) of @p fd, a socket of @p c. */
static inline ssize_t
io_read(struct conn *c, int fd, void *buf, size_t n)
{
	struct tls *t = io_tls(c, fd);

	if (t == NULL)
		return read(fd, buf, n);
	return io_tls_read(c, t, buf, n);
}

/** @brief send(2) of @p fd, a socket of @p c, without SIGPIPE. */
static inline ssize_t
io_send(struct conn *c, int fd, const void *buf, size_t n)
{
	struct tls *t = io_tls(c, fd);

	if (t == NULL)
		return send(fd, buf, n, MSG_NOSIGNAL);
	return io_tls_send(c, t, buf, n);
}

/**
 * @brief sendmsg(2) of @p niov pieces to @p fd, a socket of @p c, without
 *	SIGPIPE.  Over TLS: one record of them gathered (up to the scratch
 *	buffer's size: a partial write, as sendmsg may make).
 */
static inline ssize_t
io_sendmsg(struct conn *c, int fd, const struct iovec *iov, int niov)
{
	struct tls *t = io_tls(c, fd);
	struct msghdr mh;

	if (t == NULL) {
		memset(&mh, 0, sizeof(mh));
		mh.msg_iov = (struct iovec *)(uintptr_t)iov;
		mh.msg_iovlen = (size_t)niov;
		return sendmsg(fd, &mh, MSG_NOSIGNAL);
	}
	return io_tls_sendmsg(c, t, iov, niov);
}

/**
 * @brief sendfile(2) of @p n bytes of @p file from @p *off to @p fd;
 *	@p *off moves by what was sent.  Over TLS: tls_sendfile() (kernel
 *	TLS, or pread into a scratch buffer and a TLS write).
 * @return as sendfile(2); 0 when the file ends before @p *off + @p n.
 */
static inline ssize_t
io_sendfile(struct conn *c, int fd, int file, off_t *off, size_t n)
{
	struct tls *t = io_tls(c, fd);

	if (t == NULL)
		return sendfile(fd, file, off, n);
	return io_tls_sendfile(c, t, file, off, n);
}

/**
 * @brief End what we send on @p fd (half-close): over TLS close_notify
 *	first, then shutdown(SHUT_WR).
 * @param[in] wait  1: when close_notify cannot go out yet, return SL_AGAIN
 *	and do nothing else (call again on the next event); 0: best effort,
 *	the TCP half-close happens anyway.
 * @return SL_OK, or SL_AGAIN (only with @p wait).
 */
int	io_shutdown(struct conn *c, int fd, int wait);

/**
 * @brief Does @p fd have input the kernel may not announce again: bytes
 *	OpenSSL holds (TLS), or bytes in the socket (plain, MSG_PEEK)?
 */
int	io_pending(struct conn *c, int fd);

/** @brief Does either side of @p c speak TLS?  Then nothing is spliced. */
static inline int
io_any_tls(const struct conn *c)
{
	return c->c_tls != NULL || c->u_tls != NULL;
}

/**
 * @brief Forget the TLS connection of @p fd (tls_free()): before the fd
 *	is closed or handed over.  NULL-safe.
 */
void	io_tls_drop(struct conn *c, int fd);

#endif
