/*
 * dns.c -- c-ares driven by the worker's event loop (see dns.h).
 * Runs in the workers.
 *
 * c-ares tells us which sockets to watch through ARES_OPT_SOCK_STATE_CB;
 * each gets an ev_io from a small fixed table.  After every call into
 * c-ares the one timer is re-armed from ares_timeout().
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/epoll.h>

#include <ares.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns.h"
#include "ev.h"
#include "log.h"
#include "metrics.h"
#include "stats.h"

#define DNS_MAX_SOCKS	16

struct dns_query {
	dns_done_f	*cb;		/* NULL once cancelled */
	void		*arg;
	int		 starting;	/* inside ares_getaddrinfo() */
	int		 finished;	/* the callback ran while starting */
	char		 host[256];	/* for the cache */
};

struct dns_cached {
	int64_t			 expires;	/* ev_now() ms; 0: empty slot */
	int			 rc;		/* 0, or the negative status */
	size_t			 naddrs;
	struct sockaddr_storage	 addrs[DNS_MAX_ADDRS];
	char			 host[256];
};

static struct dns_cached	*dns_cache;	/* DNS_CACHE_SLOTS, or NULL */
static int64_t			 dns_pos_ttl, dns_neg_ttl;

static ares_channel	dns_channel;
static struct ev_io	dns_io[DNS_MAX_SOCKS];
static struct ev_timer	dns_timer;

static void	dns_rearm(void);

static void
dns_io_cb(struct ev_io *io, uint32_t revents)
{
	ares_socket_t r = ARES_SOCKET_BAD, w = ARES_SOCKET_BAD;

	if (revents & (EPOLLIN | EPOLLERR | EPOLLHUP))
		r = io->fd;
	if (revents & EPOLLOUT)
		w = io->fd;
	ares_process_fd(dns_channel, r, w);
	dns_rearm();
}

static void
dns_timer_cb(struct ev_timer *t)
{
	ares_process_fd(dns_channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
	dns_rearm();
}

static void
dns_rearm(void)
{
	struct timeval tv, *tvp;

	tvp = ares_timeout(dns_channel, NULL, &tv);
	if (tvp == NULL) {
		ev_timer_stop(&dns_timer);
		return;
	}
	ev_timer_arm(&dns_timer, (int64_t)tvp->tv_sec * 1000 +
	    tvp->tv_usec / 1000 + 1, dns_timer_cb, NULL);
}

/* c-ares opens, closes or changes interest in one of its sockets. */
static void
dns_sock_state(void *data, ares_socket_t fd, int readable, int writable)
{
	struct ev_io *io = NULL, *freeio = NULL;
	uint32_t events;
	int i;

	for (i = 0; i < DNS_MAX_SOCKS; i++) {
		if (dns_io[i].fd == fd) {
			io = &dns_io[i];
			break;
		}
		if (freeio == NULL && dns_io[i].fd == -1)
			freeio = &dns_io[i];
	}
	if (!readable && !writable) {
		if (io != NULL)
			ev_io_stop(io);
		return;
	}
	events = (readable ? EPOLLIN : 0) | (writable ? EPOLLOUT : 0);
	if (io != NULL) {
		if (ev_io_modify(io, events) == -1)
			log_warn("dns: epoll modify of fd %d", (int)fd);
		return;
	}
	if (freeio == NULL) {
		/* The lookup on this socket will time out inside c-ares. */
		log_warnx("dns: more than %d resolver sockets", DNS_MAX_SOCKS);
		return;
	}
	if (ev_io_start(freeio, fd, events, dns_io_cb, NULL) == -1)
		log_warn("dns: epoll add of fd %d", (int)fd);
}

static struct dns_cached *
dns_cache_slot(const char *host)
{
	uint32_t h = 2166136261u;
	const char *p;

	for (p = host; *p != '\0'; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	return &dns_cache[h % DNS_CACHE_SLOTS];
}

/* Keep an answer: addresses for their TTL, "no such name" for a while. */
static void
dns_cache_put(const char *host, int rc, const struct sockaddr_storage *addrs,
    size_t naddrs, int64_t ttl_ms)
{
	struct dns_cached *e;

	if (dns_cache == NULL || ttl_ms <= 0 || strlen(host) >= sizeof(e->host))
		return;
	e = dns_cache_slot(host);
	e->expires = ev_now() + ttl_ms;
	e->rc = rc;
	e->naddrs = naddrs;
	if (naddrs > 0)
		memcpy(e->addrs, addrs, naddrs * sizeof(addrs[0]));
	strcpy(e->host, host);
}

int
dns_init(const char *servers, int64_t timeout_ms, int64_t pos_ttl_ms,
    int64_t neg_ttl_ms)
{
	struct ares_options o;
	int rc, i;

	dns_pos_ttl = pos_ttl_ms;
	dns_neg_ttl = neg_ttl_ms;
	if ((pos_ttl_ms > 0 || neg_ttl_ms > 0) &&
	    (dns_cache = calloc(DNS_CACHE_SLOTS, sizeof(*dns_cache))) == NULL)
		log_warnx("dns: no memory for the cache; going without");

	for (i = 0; i < DNS_MAX_SOCKS; i++)
		dns_io[i].fd = -1;
	rc = ares_library_init(ARES_LIB_INIT_ALL);
	if (rc != ARES_SUCCESS) {
		log_warnx("dns: ares_library_init: %s", ares_strerror(rc));
		return -1;
	}
	memset(&o, 0, sizeof(o));
	o.sock_state_cb = dns_sock_state;
	o.timeout = (int)(timeout_ms > 2000 ? timeout_ms / 2 : timeout_ms);
	o.tries = 2;
	rc = ares_init_options(&dns_channel, &o,
	    ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES);
	if (rc != ARES_SUCCESS) {
		log_warnx("dns: ares_init_options: %s", ares_strerror(rc));
		return -1;
	}
	if (servers != NULL) {
		rc = ares_set_servers_ports_csv(dns_channel, servers);
		if (rc != ARES_SUCCESS) {
			log_warnx("dns: dns_nameservers %s: %s", servers,
			    ares_strerror(rc));
			return -1;
		}
	}
	return 0;
}

static void
dns_addrinfo_cb(void *arg, int status, int timeouts, struct ares_addrinfo *res)
{
	struct dns_query *q = arg;
	struct sockaddr_storage addrs[DNS_MAX_ADDRS];
	struct ares_addrinfo_node *n;
	size_t naddrs = 0;
	int64_t ttl = dns_pos_ttl;

	(void)timeouts;
	if (status == ARES_SUCCESS && res != NULL) {
		for (n = res->nodes; n != NULL && naddrs < DNS_MAX_ADDRS;
		    n = n->ai_next) {
			if ((n->ai_family != AF_INET && n->ai_family != AF_INET6) ||
			    (size_t)n->ai_addrlen > sizeof(addrs[0]))
				continue;
			memset(&addrs[naddrs], 0, sizeof(addrs[0]));
			memcpy(&addrs[naddrs], n->ai_addr, n->ai_addrlen);
			naddrs++;
			/* The smallest TTL; 0 (the hosts file) is not kept. */
			if ((int64_t)n->ai_ttl * 1000 < ttl)
				ttl = n->ai_ttl < 0 ? 0 : (int64_t)n->ai_ttl * 1000;
		}
		if (naddrs == 0)
			status = ARES_ENODATA;
		else
			dns_cache_put(q->host, 0, addrs, naddrs, ttl);
	}
	stats_dns(status == ARES_SUCCESS);	/* lookups, failures */
	/* RFC 2308: the name or its addresses do not exist. */
	if (status == ARES_ENOTFOUND || status == ARES_ENODATA)
		dns_cache_put(q->host, status, NULL, 0, dns_neg_ttl);
	if (res != NULL)
		ares_freeaddrinfo(res);
	if (q->cb != NULL)
		q->cb(q->arg, status == ARES_SUCCESS ? 0 : status, addrs, naddrs);
	if (q->starting)
		q->finished = 1;	/* dns_resolve() frees it */
	else
		free(q);
}

int
dns_resolve(const char *host, dns_done_f *cb, void *arg, struct dns_query **qp)
{
	struct ares_addrinfo_hints hints;
	struct dns_query *q;

	*qp = NULL;
	if (dns_cache != NULL) {
		struct dns_cached *e = dns_cache_slot(host);

		if (e->expires > ev_now() && strcmp(e->host, host) == 0) {
			metrics_add(METRIC_DNS_CACHED, 1);
			cb(arg, e->rc, e->addrs, e->naddrs);
			return 0;
		}
	}
	/* One small allocation per lookup: it must outlive a closed conn. */
	q = malloc(sizeof(*q));
	if (q == NULL)
		return -1;
	snprintf(q->host, sizeof(q->host), "%s", host);
	q->cb = cb;
	q->arg = arg;
	q->starting = 1;
	q->finished = 0;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = ARES_AI_NOSORT;
	ares_getaddrinfo(dns_channel, host, NULL, &hints, dns_addrinfo_cb, q);
	q->starting = 0;
	dns_rearm();
	if (q->finished) {
		free(q);
		return 0;
	}
	*qp = q;
	return 0;
}

void
dns_cancel(struct dns_query *q)
{
	if (q != NULL)
		q->cb = NULL;
}

const char *
dns_strerror(int rc)
{
	return ares_strerror(rc);
}
