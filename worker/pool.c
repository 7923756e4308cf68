/*
 * pool.c -- the worker's pool of idle upstream connections (pool.h).
 *
 * Runs in the workers.  Entries live in a fixed hash table (chains) and
 * on one LRU list; the oldest idle connection goes first when a bound is
 * reached.  Entries are recycled through a small freelist, so a warm
 * pool allocates nothing per request.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/epoll.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "ev.h"
#include "log.h"
#include "metrics.h"
#include "pool.h"
#include "sockaddr.h"
#include "tls.h"
#include "worker.h"

#define POOL_BUCKETS	256
#define POOL_FREE_MAX	64

struct pconn {
	struct ev_io		 io;
	struct ev_timer		 timer;
	struct sockaddr_storage	 addr;
	struct tls		*tls;		/* NULL: plain */
	unsigned		 hash;
	unsigned		 nreq;
	struct pconn		*bnext;		/* bucket chain */
	struct pconn		*lprev;		/* LRU: head is the oldest */
	struct pconn		*lnext;
	char			 host[256];
};

static struct pconn	*pool_bucket[POOL_BUCKETS];
static struct pconn	*pool_lru_head, *pool_lru_tail;
static struct pconn	*pool_free;
static unsigned		 pool_nfree;
static unsigned		 pool_n;

/* FNV-1a over the address bytes, the port, TLS or not and the host. */
static unsigned
pool_hash(const struct sockaddr *sa, const char *host, int tls)
{
	const unsigned char *p;
	size_t n;
	uint32_t h = 2166136261u;

	if (sa->sa_family == AF_INET6) {
		p = (const unsigned char *)&((const struct sockaddr_in6 *)
		    (const void *)sa)->sin6_addr;
		n = 16;
	} else {
		p = (const unsigned char *)&((const struct sockaddr_in *)
		    (const void *)sa)->sin_addr;
		n = 4;
	}
	while (n-- > 0)
		h = (h ^ *p++) * 16777619u;
	h = (h ^ sockaddr_port(sa)) * 16777619u;
	h = (h ^ (tls ? 1u : 0u)) * 16777619u;
	for (; *host != '\0'; host++)
		h = (h ^ (unsigned char)*host) * 16777619u;
	return h;
}

static int
pool_same(const struct pconn *pc, unsigned hash, const struct sockaddr *sa,
    const char *host, int tls)
{
	const struct sockaddr *pa = (const struct sockaddr *)&pc->addr;

	if (pc->hash != hash || (pc->tls != NULL) != (tls != 0) ||
	    pa->sa_family != sa->sa_family ||
	    sockaddr_port(pa) != sockaddr_port(sa) || strcmp(pc->host, host))
		return 0;
	if (sa->sa_family == AF_INET6)
		return memcmp(&((const struct sockaddr_in6 *)(const void *)pa)->
		    sin6_addr, &((const struct sockaddr_in6 *)(const void *)sa)->
		    sin6_addr, 16) == 0;
	return ((const struct sockaddr_in *)(const void *)pa)->sin_addr.s_addr ==
	    ((const struct sockaddr_in *)(const void *)sa)->sin_addr.s_addr;
}

/* Unlink @p pc from its bucket and the LRU list; the fd stays open. */
static void
pool_unlink(struct pconn *pc)
{
	struct pconn **pp;

	for (pp = &pool_bucket[pc->hash % POOL_BUCKETS]; *pp != NULL;
	    pp = &(*pp)->bnext)
		if (*pp == pc) {
			*pp = pc->bnext;
			break;
		}
	if (pc->lprev != NULL)
		pc->lprev->lnext = pc->lnext;
	else
		pool_lru_head = pc->lnext;
	if (pc->lnext != NULL)
		pc->lnext->lprev = pc->lprev;
	else
		pool_lru_tail = pc->lprev;
	ev_timer_stop(&pc->timer);
	pool_n--;
	metrics_gauge_set(METRIC_G_UPSTREAM_IDLE, pool_n);
}

static void
pool_release(struct pconn *pc)
{
	if (pool_nfree < POOL_FREE_MAX) {
		pc->bnext = pool_free;
		pool_free = pc;
		pool_nfree++;
	} else
		ev_defer_free(pc);
}

/* Close an idle connection and forget it. */
static void
pool_drop(struct pconn *pc, const char *why)
{
	char peer[SOCKADDR_STRLEN];
	int fd = pc->io.fd;

	log_debug("pool: closing idle connection to %s for %s after %u "
	    "requests: %s", sockaddr_ntop((struct sockaddr *)&pc->addr, peer,
	    sizeof(peer)), pc->host, pc->nreq, why);
	pool_unlink(pc);
	ev_io_stop(&pc->io);
	tls_free(pc->tls);	/* no close_notify: it may be dead already */
	pc->tls = NULL;
	close(fd);
	pool_release(pc);
}

/* An idle connection is readable: the origin closed it or misbehaves. */
static void
pool_io_cb(struct ev_io *io, uint32_t revents)
{
	(void)revents;
	pool_drop(io->data, "the origin closed it or sent unasked bytes");
}

static void
pool_timer_cb(struct ev_timer *t)
{
	pool_drop(t->data, "server_idle_pconn_timeout");
}

int
pool_get(const struct sockaddr *sa, const char *host, int tls,
    struct tls **t, unsigned *nreq, struct ev_io *io, uint32_t events,
    ev_io_f *cb, void *data)
{
	struct pconn *pc, *next;
	struct tls *pt;
	unsigned hash = pool_hash(sa, host, tls);
	char c;
	ssize_t n;
	int rc, fd;

	for (pc = pool_bucket[hash % POOL_BUCKETS]; pc != NULL; pc = next) {
		next = pc->bnext;
		if (!pool_same(pc, hash, sa, host, tls))
			continue;
		/*
		 * Its close may still sit unread in this loop turn's
		 * events: look before trusting it (over TLS, any byte is a
		 * close_notify, an alert or something nobody asked for).
		 */
		n = recv(pc->io.fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
		if (n >= 0 || (errno != EAGAIN && errno != EINTR)) {
			pool_drop(pc, "closed by the origin");
			continue;
		}
		*nreq = pc->nreq;
		fd = pc->io.fd;
		pt = pc->tls;
		pc->tls = NULL;
		pool_unlink(pc);
		if ((rc = ev_io_move(&pc->io, io, events, cb, data)) == -1) {
			tls_free(pt);
			close(fd);
		}
		pool_release(pc);
		if (rc == -1)
			continue;
		if (tls)
			*t = pt;
		return 0;
	}
	return -1;
}

void
pool_put(struct ev_io *io, const struct sockaddr *sa, const char *host,
    struct tls *t, unsigned nreq)
{
	struct pconn *pc, *q;
	unsigned hash, same = 0;
	uint32_t gen = 0;
	size_t hl = strlen(host);
	int fd = io->fd;

	if (!worker_conf->server_persistent_connections ||
	    worker_conf->server_idle_pconn_max <= 0 || worker_draining() ||
	    hl >= sizeof(pc->host)) {
		ev_io_stop(io);
		tls_free(t);
		close(fd);
		return;
	}
	hash = pool_hash(sa, host, t != NULL);
	for (q = pool_bucket[hash % POOL_BUCKETS]; q != NULL; q = q->bnext)
		if (pool_same(q, hash, sa, host, t != NULL))
			same++;
	if ((int)same >= worker_conf->server_idle_pconn_max_per_origin) {
		/* The oldest of this origin's idle connections goes. */
		for (q = pool_lru_head; q != NULL; q = q->lnext)
			if (pool_same(q, hash, sa, host, t != NULL))
				break;
		if (q != NULL)
			pool_drop(q, "server_idle_pconn_max_per_origin");
	}
	if ((int)pool_n >= worker_conf->server_idle_pconn_max)
		pool_drop(pool_lru_head, "server_idle_pconn_max");

	if (pool_free != NULL) {
		pc = pool_free;
		pool_free = pc->bnext;
		pool_nfree--;
		gen = pc->io.gen;
	} else if ((pc = malloc(sizeof(*pc))) == NULL) {
		ev_io_stop(io);
		tls_free(t);
		close(fd);
		return;
	}
	/* A recycled entry keeps its io generation: stale events stay stale. */
	memset(pc, 0, sizeof(*pc));
	pc->io.gen = gen + 1;
	pc->io.fd = -1;
	memcpy(&pc->addr, sa, sockaddr_len(sa));
	memcpy(pc->host, host, hl + 1);
	pc->hash = hash;
	pc->nreq = nreq;
	if (ev_io_move(io, &pc->io, EPOLLIN | EPOLLRDHUP, pool_io_cb,
	    pc) == -1) {
		tls_free(t);
		close(fd);
		pool_release(pc);
		return;
	}
	pc->tls = t;
	pc->bnext = pool_bucket[hash % POOL_BUCKETS];
	pool_bucket[hash % POOL_BUCKETS] = pc;
	pc->lprev = pool_lru_tail;
	if (pool_lru_tail != NULL)
		pool_lru_tail->lnext = pc;
	else
		pool_lru_head = pc;
	pool_lru_tail = pc;
	pool_n++;
	metrics_gauge_set(METRIC_G_UPSTREAM_IDLE, pool_n);
	ev_timer_arm(&pc->timer, worker_conf->server_idle_pconn_timeout,
	    pool_timer_cb, pc);
}

void
pool_close_all(void)
{
	while (pool_lru_head != NULL)
		pool_drop(pool_lru_head, "draining");
}

unsigned
pool_count(void)
{
	return pool_n;
}
