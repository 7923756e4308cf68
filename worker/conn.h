/*
 * conn.h -- the client connection and the request it is serving.
 *
 * Runs in the workers.  One struct conn owns the client socket, at most
 * one upstream socket, its buffers and one timer; the request state lives
 * in it (struct req, req.h) and is reset for each request on a keep-alive
 * connection.  States are explicit: r_step says where the request is,
 * never which pointers happen to be NULL.
 *
 * Buffers (from buf.h), held only while a request is in flight:
 *	cbuf	bytes from the client (request head and body, tunnel up)
 *	ubuf	bytes from the upstream (response head and body, tunnel down)
 *	obuf	heads we write to the client: the response head (or a
 *		whole error page); the head sent upstream is r.r_uhead
 *	arena	request-scoped copies: method, URL, host, path, parsed head
 *
 * TLS (worker/tls.h, through worker/io.h): c_tls carries the client side
 * of an https_port connection from its first byte, or of a bumped
 * CONNECT once the 200 went out; u_tls the upstream side of an https://
 * request.  Both are freed with their socket.  A bumped connection keeps
 * what its CONNECT decided in c_bump, for every request inside it.
 *
 * Caveats:
 *  - struct http_head fields point into cbuf (request) or ubuf
 *    (response): use them only before that buffer is consumed or compacted.
 *  - Check c->magic whenever a conn comes back through a callback.
 *  - conn_close() frees the conn after the current loop turn: callers
 *    return SL_DONE right after it and never touch the conn again.
 */
#ifndef SLUICE_CONN_H
#define SLUICE_CONN_H

#include <stdint.h>
#include <sys/socket.h>

#include "buf.h"
#include "ev.h"
#include "req.h"
#include "sockaddr.h"

#define CONN_MAGIC	0x636f6e6eU
/* TCP_NOTSENT_LOWAT of client sockets (conn_accept()). */
#define CONN_NOTSENT_LOWAT	(16 * 1024)

struct conf_listen;
struct tls;

/** A bumped CONNECT (req_tls.c): where the requests inside it go. */
struct conn_bump {
	char			 host[256];	/* the CONNECT host */
	unsigned		 port;
	char			*user;		/* the CONNECT's proxy user, or
						   NULL; malloc'd */
};

struct conn {
	unsigned		 magic;
	unsigned		 id;
	struct ev_io		 c_io;		/* client */
	struct ev_io		 u_io;		/* upstream, fd -1 when none */
	struct tls		*c_tls;		/* client TLS, or NULL */
	struct tls		*u_tls;		/* upstream TLS, or NULL */
	const struct conf_listen *c_listen;	/* the port it came in on */
	struct conn_bump	*c_bump;	/* a bumped CONNECT, or NULL */
	struct ev_timer		 c_timer;
	struct sockaddr_storage	 c_peer;
	char			 c_peer_text[SOCKADDR_STRLEN];
	unsigned		 c_peer_port;
	int64_t			 c_accepted_ms;
	unsigned		 c_nreq;	/* requests served on this conn */
	unsigned		 c_nconn;	/* conns from this client, all workers */
	uint8_t			 c_drained;	/* the last read of the client
						   socket was short: wait for
						   EPOLLIN before reading again */
	uint8_t			 c_background;	/* no client: a revalidation the
						   cache runs on its own
						   (conn_background()) */
	uint8_t			*c_swr_key;	/* ... holding the claim of
						   this cache key (malloc'd,
						   CACHE_KEY_LEN), or NULL */

	struct buf		*cbuf;
	struct buf		*ubuf;
	struct buf		*obuf;
	struct buf		*arena;

	struct req		 r;

	struct conn		*next;		/* the worker's list */
	struct conn		*prev;
};

/** @brief The epoll callback of both sockets of a conn: runs its request. */
void	conn_io_cb(struct ev_io *io, uint32_t revents);
/**
 * @brief Take a freshly accepted client socket from port @p l (an
 *	https_port's connection starts with the TLS handshake).
 * @return SL_OK, or SL_ERROR (the fd is closed, logged).
 */
int	conn_accept(int fd, const struct sockaddr *peer, socklen_t peerlen,
	    const struct conf_listen *l);
/**
 * @brief A request of the worker's own, for the cache: the revalidation
 *	of what @p src was just served stale (stale-while-revalidate).  A
 *	conn without a client socket runs a copy of @p src's request head
 *	(GET, without its conditions, Range and Cache-Control) through the
 *	same steps and rules, as @p src's client; what it would send back is
 *	dropped, the response goes to the store.  Call while @p src's head
 *	is still parsed.
 * @return the new conn (its first run comes on the next turn of the
 *	loop), or NULL (nothing started: no memory, or the head too large).
 */
struct conn *conn_background(struct conn *src);
/** @brief Close both sockets, give everything back, free after this turn. @return SL_DONE. */
int	conn_close(struct conn *c);
/**
 * @brief conn_close() with a TCP reset to the client (SO_LINGER 0): for a
 *	response cut short, so that no client, whatever the framing, takes
 *	it for a whole one (RFC 9112 §8).  Unread bytes the client has not
 *	taken yet are lost with it, which is the point.
 * @return SL_DONE.
 */
int	conn_abort(struct conn *c);
/**
 * @brief Arm (@p on 1) or disarm SO_LINGER 0 on the client socket: while
 *	armed, any close, the kernel's when the worker is killed included,
 *	is a reset.  Armed while a close-delimited response is sent.
 * @return 0, or -1 (errno).
 */
int	conn_linger_reset(struct conn *c, int on);
/**
 * @brief Graceful drain: close the conns that sit idle between requests;
 *	those that have not sent their first request yet are kept for it.
 */
void	conn_close_idle(void);
/** @brief Close every conn (end of shutdown_lifetime). */
void	conn_close_all(void);
/** @brief Number of open client connections in this worker. */
unsigned conn_count(void);

#endif
