/*
 * stats.h -- where the worker's facts meet the shared counters
 * (worker/core/metrics.h): one hook per fact, each one line at the place
 * the fact is known.
 *
 * Runs in the workers, on the event loop.  The hooks:
 *	conn.c		stats_conn_open() after accept, stats_conn_close()
 *			when a client connection ends
 *	req.c		stats_move() in req_next(): tunnels open
 *	req_deliver.c	stats_log() in the LOG step: the request's outcome
 *			(method, code, status, bytes, cache hit or miss,
 *			per-domain numbers, duration)
 *	dns.c		stats_dns() when the resolver answers
 *	auth.c		stats_auth_end() when a helper check ends
 * and, in the modules that own the number, one metrics_*() call each
 * (pool.c: idle connections; dns.c: cached answers; auth.c: the queue,
 * helper failures).
 */
#ifndef SLUICE_STATS_H
#define SLUICE_STATS_H

struct conn;

/** @brief A client connection was accepted (@p open: now open here). */
void	stats_conn_open(unsigned open);
/** @brief @p c is being closed (@p open: still open here after it). */
void	stats_conn_close(const struct conn *c, unsigned open);
/** @brief The request engine moves a request from step @p from to @p to. */
void	stats_move(int from, int to);
/** @brief The LOG step: count the request's outcome, once. */
void	stats_log(const struct conn *c);
/** @brief The resolver answered a lookup (@p ok: with addresses). */
void	stats_dns(int ok);
/** @brief A helper check ended with @p res (enum auth_result). */
void	stats_auth_end(int res);

#endif
