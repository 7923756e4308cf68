/*
 * pool.h -- the worker's pool of idle upstream connections.
 *
 * Runs in the workers.  A connection whose response ended cleanly (a
 * self-delimited body read to its end, nothing more sent by the origin,
 * the origin willing: RFC 9112 §9.3) waits here for the next request to
 * the same origin.  The key is the connected address (with its port),
 * the host name the requests named, and whether the connection speaks
 * TLS: a name is never sent on a connection that was opened for another
 * name, so an ACL decision made after DNS for one name is never reused
 * for another, and an https:// request only ever goes on a TLS
 * connection verified for its host (tls.h), an http:// one never does.
 * A TLS connection is pooled with its struct tls, which the pool owns
 * while it holds the connection (tls_free() when it closes it).
 *
 * Bounds: server_idle_pconn_max_per_origin per key and
 * server_idle_pconn_max in all (the least recently used idle connection
 * is closed to make room); each waits at most server_idle_pconn_timeout.
 * An idle connection that becomes readable (the origin closed it, or
 * sent bytes nobody asked for) is closed at once.
 *
 * Caveats:
 *  - The epoll registration moves between the caller's ev_io and the
 *    pool's (ev_io_move()): one epoll_ctl per hand-over.
 *  - A connection taken from the pool may still turn out dead (the
 *    origin closed it while we were busy): the caller retries idempotent
 *    requests once on a fresh connection (upstream.c).
 */
#ifndef SLUICE_POOL_H
#define SLUICE_POOL_H

#include <sys/socket.h>

#include "ev.h"

struct tls;

/**
 * @brief Take an idle connection to @p sa for @p host into @p io, started
 *	with @p events, @p cb and @p data (no epoll DEL/ADD: the
 *	registration moves).
 * @param[in] tls  1: a TLS connection (its struct tls in @p *t), 0: plain.
 * @param[out] t  with @p tls, the connection's struct tls (the caller's
 *	from now on); untouched otherwise.
 * @param[out] nreq  requests already served on it.
 * @return 0, or -1 when none (then @p io is untouched).
 */
int	pool_get(const struct sockaddr *sa, const char *host, int tls,
	    struct tls **t, unsigned *nreq, struct ev_io *io, uint32_t events,
	    ev_io_f *cb, void *data);
/**
 * @brief Give the connection of started @p io to the pool (it owns the
 *	fd, and @p t when not NULL, from now on, even when it closes it at
 *	once because the pool is full, disabled or draining); @p io ends
 *	stopped.
 * @param[in] t  the connection's TLS (handshake done), or NULL: plain.
 * @param[in] nreq  requests served on it so far.
 */
void	pool_put(struct ev_io *io, const struct sockaddr *sa, const char *host,
	    struct tls *t, unsigned nreq);
/** @brief Close every idle connection (drain, shutdown). */
void	pool_close_all(void);
/** @brief Idle connections now in this worker's pool. */
unsigned pool_count(void);

#endif
