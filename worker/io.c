/*
 * io.c -- the TLS halves of the conn I/O layer (see io.h): tls_read(),
 * tls_write(), tls_sendfile() and tls_shutdown() turned into the results
 * of the system calls they stand for.
 * Runs in the workers.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/socket.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "conn.h"
#include "io.h"
#include "log.h"
#include "sl.h"
#include "tls.h"

/*
 * Scratch for the copy path of tls_sendfile(): one record's worth.  The
 * worker is single-threaded and tls_sendfile() reads the same file bytes
 * again after SL_AGAIN, so one buffer serves every connection.
 */
#define IO_SENDFILE_SCRATCH	16384
static char	io_scratch[IO_SENDFILE_SCRATCH];

/* Which side @p t is, for the logs. */
static const char *
io_side(const struct conn *c, const struct tls *t)
{
	return t == c->c_tls ? "client" : "upstream";
}

ssize_t
io_tls_read(struct conn *c, struct tls *t, void *buf, size_t n)
{
	ssize_t rc;

	rc = tls_read(t, buf, n);
	if (rc >= 0)
		return rc;
	if (rc == SL_AGAIN) {
		errno = EAGAIN;
		return -1;
	}
	if (tls_error(t) == TLS_E_TRUNCATED) {
		/* io.h: a client's missing close_notify cuts nothing. */
		if (t == c->c_tls)
			return 0;
		log_debug("conn %u: TLS from the upstream: %s", c->id,
		    tls_reason(t));
		errno = ECONNRESET;
		return -1;
	}
	log_debug("conn %u: TLS read from the %s: %s", c->id, io_side(c, t),
	    tls_reason(t));
	errno = EPROTO;
	return -1;
}

ssize_t
io_tls_send(struct conn *c, struct tls *t, const void *buf, size_t n)
{
	ssize_t rc;

	if (n == 0)
		return 0;
	rc = tls_write(t, buf, n);
	if (rc > 0)
		return rc;
	if (rc == SL_AGAIN) {
		errno = EAGAIN;
		return -1;
	}
	log_debug("conn %u: TLS write to the %s: %s", c->id, io_side(c, t),
	    tls_reason(t));
	errno = tls_error(t) == TLS_E_SYSCALL ? EPIPE : EPROTO;
	return -1;
}

ssize_t
io_tls_sendmsg(struct conn *c, struct tls *t, const struct iovec *iov,
    int niov)
{
	size_t len = 0, k;
	int i;

	/*
	 * One TLS write of the pieces gathered, as far as the scratch
	 * buffer goes: the same bytes first again after an EAGAIN, since
	 * the caller's pieces start where they did.
	 */
	for (i = 0; i < niov && len < sizeof(io_scratch); i++) {
		k = iov[i].iov_len < sizeof(io_scratch) - len ?
		    iov[i].iov_len : sizeof(io_scratch) - len;
		memcpy(io_scratch + len, iov[i].iov_base, k);
		len += k;
	}
	return io_tls_send(c, t, io_scratch, len);
}

ssize_t
io_tls_sendfile(struct conn *c, struct tls *t, int file, off_t *off,
    size_t n)
{
	ssize_t rc;

	if (n == 0)
		return 0;
	rc = tls_sendfile(t, file, *off, n, io_scratch, sizeof(io_scratch));
	if (rc > 0) {
		*off += rc;
		return rc;
	}
	if (rc == SL_AGAIN) {
		errno = EAGAIN;
		return -1;
	}
	/*
	 * tls.h: a short pread is the file's end, which sendfile(2) says
	 * with 0; the connection is unusable after it either way.
	 */
	if (strncmp(tls_reason(t), "sendfile: pread", 15) == 0)
		return 0;
	log_debug("conn %u: TLS sendfile to the %s: %s", c->id,
	    io_side(c, t), tls_reason(t));
	errno = tls_error(t) == TLS_E_SYSCALL ? EPIPE : EPROTO;
	return -1;
}

int
io_shutdown(struct conn *c, int fd, int wait)
{
	struct tls *t = io_tls(c, fd);

	/* RFC 8446 §6.1: close_notify ends our direction only. */
	if (t != NULL && tls_shutdown(t) == SL_AGAIN && wait)
		return SL_AGAIN;
	(void)shutdown(fd, SHUT_WR);
	return SL_OK;
}

int
io_pending(struct conn *c, int fd)
{
	struct tls *t = io_tls(c, fd);
	char byte;

	if (t != NULL && tls_pending(t))
		return 1;
	return recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT) == 1;
}

void
io_tls_drop(struct conn *c, int fd)
{
	if (fd < 0)
		return;
	if (fd == c->c_io.fd) {
		tls_free(c->c_tls);
		c->c_tls = NULL;
	} else if (fd == c->u_io.fd) {
		tls_free(c->u_tls);
		c->u_tls = NULL;
	}
}
