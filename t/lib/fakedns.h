/*
 * fakedns.h -- a tiny UDP DNS server for tests that resolve names.
 *
 * Runs in a thread of the test process, bound to 127.0.0.1:0.  Point
 * sluice at it with `dns_nameservers 127.0.0.1:PORT`.  Every query is
 * answered NXDOMAIN (RCODE 3, question echoed), except names added with
 * fakedns_add(): their A query gets one record, 127.0.0.1 (TTL 60), and
 * any other type gets an empty NOERROR answer.
 *
 *	struct fakedns *d = fakedns_start();
 *	fakedns_add(d, "origin.test");
 *	... dns_nameservers 127.0.0.1:fakedns_port(d) ...
 *	fakedns_stop(d);
 *
 * Caveats:
 *  - UDP only, no EDNS, no compression in questions; enough for c-ares
 *    and getaddrinfo.
 *  - fakedns_add() before the queries: the map is not locked.
 */
#ifndef SLUICE_FAKEDNS_H
#define SLUICE_FAKEDNS_H

struct fakedns;

/**
 * @brief Start the server; bails out when it cannot.
 * @note Partner: fakedns_stop().
 */
struct fakedns	*fakedns_start(void);

/** @brief Answer A queries for @p name (case insensitive) with 127.0.0.1. */
void	fakedns_add(struct fakedns *d, const char *name);

/**
 * @brief Answer A queries for @p name with the IPv4 addresses of the
 *	blank-separated list @p addrs (1..4, in that order).
 */
void	fakedns_add_addrs(struct fakedns *d, const char *name,
	    const char *addrs);

/**
 * @brief The A query for @p name (added before) that comes after @p skip
 *	more of them is answered with @p addrs instead, once: a DNS answer
 *	that changes between two lookups.
 */
void	fakedns_once_after(struct fakedns *d, const char *name, int skip,
	    const char *addrs);

/** @return the UDP port it listens on. */
int	fakedns_port(const struct fakedns *d);

/** @return queries received so far. */
int	fakedns_queries(struct fakedns *d);

/** @brief Stop the thread and free @p d. */
void	fakedns_stop(struct fakedns *d);

#endif
