/*
 * dns.h -- non-blocking name resolution for the workers (c-ares on the
 * event loop).
 *
 * One c-ares channel per worker, created after fork.  Its sockets are
 * watched by ev.c and its timeouts by one ev timer, so a lookup never
 * blocks the loop.  /etc/hosts is consulted first, then the servers of
 * `dns_nameservers` (or /etc/resolv.conf).
 *
 * Lifecycle: dns_resolve() ... the callback runs exactly once, unless
 * dns_cancel() was called first, in which case it never runs.
 *
 * Answers are cached per worker (squid's ipcache and fqdncache in one):
 * a name's addresses for the smallest TTL of its records, at most
 * positive_dns_ttl; a name that does not exist (NXDOMAIN, no address)
 * for negative_dns_ttl.  Failures to reach a server are not cached.  The
 * cache is a fixed table of DNS_CACHE_SLOTS entries: a new name takes the
 * slot of its hash, so it never grows.
 *
 * Caveats:
 *  - Answers from the cache, like those from the hosts file, run the
 *    callback inside dns_resolve().
 *  - The callback may run from inside dns_resolve() (answers from the
 *    hosts file come at once): callers must be ready for that.
 *  - The caller bounds the whole lookup with its own timer (dns_timeout)
 *    and calls dns_cancel() when it fires.
 */
#ifndef SLUICE_DNS_H
#define SLUICE_DNS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define DNS_MAX_ADDRS	8
#define DNS_CACHE_SLOTS	1024

struct dns_query;

/**
 * @param[in] rc  0 on success, else a c-ares status (see dns_strerror()).
 * @param[in] addrs  up to DNS_MAX_ADDRS addresses, port 0; valid during the call.
 */
typedef void dns_done_f(void *arg, int rc, const struct sockaddr_storage *addrs,
    size_t naddrs);

/**
 * @brief Create the worker's resolver.
 * @param[in] servers  "ip[:port],..." or NULL for resolv.conf.
 * @param[in] timeout_ms  per-try timeout given to c-ares.
 * @param[in] pos_ttl_ms  longest a positive answer is kept (0: not cached).
 * @param[in] neg_ttl_ms  how long "no such name" is kept (0: not cached).
 * @return 0, or -1 after logging why.
 */
int		  dns_init(const char *servers, int64_t timeout_ms,
		    int64_t pos_ttl_ms, int64_t neg_ttl_ms);
/**
 * @brief Start resolving @p host (a name, not a literal).
 * @param[out] qp  the pending query, or NULL when the callback already ran
 *	(an answer from the hosts file or an immediate failure).
 * @return 0, or -1 when out of memory (the callback will not run).
 */
int		  dns_resolve(const char *host, dns_done_f *cb, void *arg,
		    struct dns_query **qp);
/** @brief The callback of @p q will not run.  @p q must not be used again. */
void		  dns_cancel(struct dns_query *q);
/** @brief Text for a status given to a dns_done_f. */
const char	 *dns_strerror(int rc);

#endif
