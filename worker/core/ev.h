/*
 * ev.h -- the event loop: epoll, timers, deferred calls.
 *
 * One loop per process (a worker; the master does not use it).  Sockets
 * are registered once, edge-triggered for connections and level-triggered
 * for listeners; a callback must then do its I/O until EAGAIN.  Timers
 * live in a binary min-heap keyed by a monotonic millisecond clock that is
 * read once per loop turn (ev_now()).
 *
 * Caveats:
 *  - An ev_io whose fd was closed must be ev_io_stop()ed first; events
 *    already fetched for it in the same turn are then dropped, so a
 *    callback may free the object that embeds another ev_io, as long as
 *    it stops that ev_io and frees it through ev_defer_free().
 *  - Callbacks run on the loop's stack: never block in them.
 */
#ifndef SLUICE_EV_H
#define SLUICE_EV_H

#include <stddef.h>
#include <stdint.h>

struct ev_io;
struct ev_timer;
typedef void ev_io_f(struct ev_io *, uint32_t revents);
typedef void ev_timer_f(struct ev_timer *);

struct ev_io {
	int		 fd;		/* -1 when stopped */
	ev_io_f		*cb;
	void		*data;
	uint32_t	 gen;		/* bumped at stop; stale events are dropped */
};

struct ev_timer {
	int64_t		 when;		/* ev_now() ms at which it fires */
	size_t		 idx;		/* heap slot + 1; 0 when not armed */
	ev_timer_f	*cb;
	void		*data;
};

/** @brief Create the loop. @return 0, or -1 with errno. Call once per process, after fork. */
int	ev_init(void);
/** @brief Monotonic milliseconds, read at the start of this loop turn. */
int64_t	ev_now(void);
/** @brief Wall-clock time (for logs), microsecond precision. */
void	ev_wallclock(int64_t *sec, int *usec);

/**
 * @brief Watch @p fd.  @p events are EPOLL* flags (EPOLLET for connections).
 * @return 0, or -1 with errno.
 * @note Lifecycle partner: ev_io_stop(), before the fd is closed.
 */
int	ev_io_start(struct ev_io *io, int fd, uint32_t events, ev_io_f *cb, void *data);
/** @brief Change the events of a started io. @return 0 or -1. */
int	ev_io_modify(struct ev_io *io, uint32_t events);
/**
 * @brief Hand the fd of started io @p from to @p to (one epoll_ctl MOD
 *	instead of DEL and ADD): @p from ends as if stopped (its pending
 *	events of this turn are dropped), @p to is started with @p events.
 * @return 0, or -1 (both stopped, the fd left open and unregistered).
 */
int	ev_io_move(struct ev_io *from, struct ev_io *to, uint32_t events,
	    ev_io_f *cb, void *data);
/** @brief Stop watching (idempotent).  The caller closes the fd afterwards. */
void	ev_io_stop(struct ev_io *io);

/** @brief Arm (or re-arm) @p t to fire in @p ms milliseconds. */
void	ev_timer_arm(struct ev_timer *t, int64_t ms, ev_timer_f *cb, void *data);
/** @brief Arm at an absolute ev_now() time. */
void	ev_timer_arm_at(struct ev_timer *t, int64_t when, ev_timer_f *cb, void *data);
/** @brief Disarm (idempotent). */
void	ev_timer_stop(struct ev_timer *t);

/** @brief free(@p p) after the current loop turn's callbacks have all run. */
void	ev_defer_free(void *p);

/**
 * @brief Call @p fn at the start of each loop turn, before waiting (the
 *	access log writes its batch there); NULL for none.  One hook only.
 */
void	ev_before_wait(void (*fn)(void));

/**
 * @brief Run until @p done returns nonzero (checked once per turn).
 * @return 0, or -1 on an epoll error (logged by the caller).
 */
int	ev_run(int (*done)(void));

#endif
