/*
 * echo.h -- a TCP echo server for CONNECT tests.
 *
 * Runs in a thread of the test process, bound to 127.0.0.1:0.  Every byte
 * read on a connection is written back.  When the peer half-closes, the
 * server writes what it still holds, then shuts its own side down
 * (SHUT_WR) and closes: so a client that half-closes a tunnel reads
 * everything back and then EOF.
 *
 *	struct echo *e = echo_start();
 *	... CONNECT 127.0.0.1:echo_port(e) through sluice ...
 *	echo_stop(e);
 *
 * Caveats:
 *  - At most 32 connections at once; each holds a 64 KiB buffer and stops
 *    reading while it is full (backpressure).
 *  - echo_stop() ends the thread within a bounded time, closing open
 *    connections.
 */
#ifndef SLUICE_ECHO_H
#define SLUICE_ECHO_H

#include <stddef.h>

struct echo;

/**
 * @brief Start the server; bails out when it cannot.
 * @note Partner: echo_stop().
 */
struct echo	*echo_start(void);

/** @return the port it listens on. */
int	echo_port(const struct echo *e);

/** @return connections accepted so far. */
int	echo_nconn(struct echo *e);

/** @return bytes echoed so far, over every connection. */
size_t	echo_bytes(struct echo *e);

/** @brief Stop the thread, close everything, free @p e. */
void	echo_stop(struct echo *e);

#endif
