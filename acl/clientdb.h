/*
 * clientdb.h -- concurrent connections per client address, counted
 * across every worker (for the maxconn acl).
 *
 * One MAP_SHARED anonymous mapping, made by the master before the first
 * fork and inherited by every child; it survives reloads.  Each child
 * counts in its own column (its slot), so when a child dies the master
 * zeroes that column and nothing leaks.  Lock-free: C11 atomics only.
 *
 * Caveats:
 *  - A fixed table (CLIENTDB_ADDRS addresses): an address that finds no
 *    free place is not counted (logged once per child), so maxconn never
 *    matches it -- degraded, never blocked.
 *  - Places are never given back; a busy proxy sees far fewer distinct
 *    client addresses than the table holds.
 */
#ifndef SLUICE_CLIENTDB_H
#define SLUICE_CLIENTDB_H

#include <sys/socket.h>

#define CLIENTDB_ADDRS	8192

/** @brief Master, once, before the first fork. @return 0 or -1. */
int	clientdb_init(unsigned max_workers);
/** @brief In a child after fork: the column it counts in. */
void	clientdb_worker(unsigned slot);
/** @brief Master: the child of @p slot is gone; forget its counts. */
void	clientdb_reset_slot(unsigned slot);
/** @brief A connection from @p src opened. @return its count now, all workers. */
unsigned clientdb_enter(const struct sockaddr *src);
/** @brief Connections from @p src open now, all workers (0 when unknown). */
unsigned clientdb_count(const struct sockaddr *src);
/** @brief A connection from @p src closed. */
void	clientdb_leave(const struct sockaddr *src);

#endif
