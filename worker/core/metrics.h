/*
 * metrics.h -- counters every process shares, for the /metrics
 * (Prometheus text format 0.0.4) and /status (JSON) endpoints.
 *
 * One MAP_SHARED anonymous mapping made by the master before the first
 * fork (metrics_init()); every child inherits it.  Each child counts in
 * its own slot (the index of its place in the master's child table,
 * metrics_child()), with relaxed C11 atomics and no lock, so the request
 * path costs a few uncontended atomic adds.  Whoever renders sums the
 * slots.  Besides the slots: the per-domain table (shared by every
 * child, entries claimed with a compare-and-swap as in acl/clientdb.c),
 * the cache store's totals (published by the cache manager) and the
 * worker restarts (counted by the master).
 *
 * A child that dies: its slot keeps every counter it made, and the child
 * that takes the slot next (the respawned worker, or a later generation)
 * adds to them, so a total never goes back and nothing is counted twice;
 * only its gauges (connections, tunnels, pooled connections, auth
 * queue: things that died with it) are zeroed by the master when it
 * reaps the child (metrics_child_gone()).  The mapping survives reloads.
 *
 * Who calls what:
 *	master		metrics_init(), metrics_child() (in the new child,
 *			before it runs), metrics_child_gone(),
 *			metrics_restart()
 *	workers		metrics_add(), metrics_gauge_add/set(),
 *			metrics_request(), metrics_domain(), the renderers
 *	cache manager	metrics_store(), metrics_add(METRIC_CACHE_EVICTIONS)
 * Every call is a no-op when there is no mapping (metrics_init() failed,
 * or a unit test of another module).
 *
 * Caveats:
 *  - Counters count at ONE place per fact (docs/architecture.md lists
 *    the hooks); a counter added twice for one fact is a bug.
 *  - The per-domain table is bounded (METRICS_DOMAINS names, each at
 *    most METRICS_DOMAIN_LEN - 1 bytes): a name that finds no place is
 *    counted under the "other" entry; entries are never given back.
 *  - A child killed while it claims a domain entry leaves that entry
 *    unusable (bounded spin, then "other"): degraded, never blocked.
 */
#ifndef SLUICE_METRICS_H
#define SLUICE_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/*
 * Counters: X(ID, name, label, help).  Entries that share a name are one
 * metric with a label each (rendered together, in this order).
 */
#define METRICS_COUNTERS(X)						\
	X(CLIENT_CONNECTIONS_TOTAL, "client_connections_total", NULL,	\
	    "Client connections accepted.")				\
	X(CLIENT_RECEIVED_BYTES, "client_bytes_total",			\
	    "direction=\"received\"",					\
	    "Bytes from and to clients: request heads and bodies, "	\
	    "everything sent back, tunnel data.")			\
	X(CLIENT_SENT_BYTES, "client_bytes_total", "direction=\"sent\"", NULL) \
	X(ORIGIN_RECEIVED_BYTES, "origin_bytes_total",			\
	    "direction=\"received\"",					\
	    "Bytes from and to origin servers: response heads and "	\
	    "bodies, request heads and bodies, tunnel data.")		\
	X(ORIGIN_SENT_BYTES, "origin_bytes_total", "direction=\"sent\"", NULL) \
	X(CACHE_HITS, "cache_hits_total", NULL,				\
	    "GET and HEAD requests answered from the cache (squid's hit " \
	    "codes, collapsed and revalidated ones included).")	\
	X(CACHE_MISSES, "cache_misses_total", NULL,			\
	    "GET and HEAD requests that went to the origin (squid's miss " \
	    "codes).")							\
	X(CACHE_HIT_BYTES, "cache_hit_bytes_total", NULL,		\
	    "Bytes sent to clients in answers from the cache.")	\
	X(CACHE_EVICTIONS, "cache_evictions_total", NULL,		\
	    "Entries the cache manager evicted to stay under the "	\
	    "cache_dir size.")						\
	X(DNS_LOOKUPS, "dns_lookups_total", NULL,			\
	    "Lookups sent to the resolver (answers from the worker's DNS " \
	    "cache not included).")					\
	X(DNS_FAILURES, "dns_failures_total", NULL,			\
	    "Resolver lookups that gave no address (no such name, no "	\
	    "data, timeout, error).")					\
	X(DNS_CACHED, "dns_cache_answers_total", NULL,			\
	    "Lookups answered from the worker's DNS cache.")		\
	X(AUTH_OK, "auth_checks_total", "result=\"ok\"",		\
	    "Credential checks by the auth helpers, by result.")	\
	X(AUTH_REJECTED, "auth_checks_total", "result=\"rejected\"", NULL) \
	X(AUTH_UNAVAILABLE, "auth_checks_total",			\
	    "result=\"unavailable\"", NULL)				\
	X(AUTH_HELPER_FAILURES, "auth_helper_failures_total", NULL,	\
	    "Auth helpers that exited or hung (killed).")		\
	X(REQ_ABORTED, "request_interruptions_total",			\
	    "reason=\"aborted\"",					\
	    "Requests that did not complete: a side went away, or a "	\
	    "timeout.")							\
	X(REQ_TIMEDOUT, "request_interruptions_total",			\
	    "reason=\"timedout\"", NULL)

/* Gauges (per child; zeroed by the master when the child dies). */
#define METRICS_GAUGES(X)						\
	X(CLIENT_CONNECTIONS, "client_connections",			\
	    "Client connections open now.")				\
	X(TUNNELS, "tunnels",						\
	    "CONNECT and Upgrade tunnels open now.")			\
	X(UPSTREAM_IDLE, "upstream_idle_connections",			\
	    "Idle origin connections in the workers' pools.")		\
	X(AUTH_PENDING, "auth_pending",					\
	    "Credential checks queued or at an auth helper.")

enum metric_ctr {
#define METRICS_CTR_ENUM(id, name, label, help)	METRIC_##id,
	METRICS_COUNTERS(METRICS_CTR_ENUM)
#undef METRICS_CTR_ENUM
	METRIC_NCTR
};

enum metric_gauge {
#define METRICS_GAUGE_ENUM(id, name, help)	METRIC_G_##id,
	METRICS_GAUGES(METRICS_GAUGE_ENUM)
#undef METRICS_GAUGE_ENUM
	METRIC_NGAUGE
};

/* Methods and squid result codes of sluice_requests_total. */
#define METRICS_NMETHOD		12	/* 11 names (NONE: unparsed), OTHER */
#define METRICS_NCODE		18	/* 17 codes and OTHER */
/* Status classes: none (nothing sent), 1xx..5xx, other. */
#define METRICS_NSTATUS		7
/* Request duration buckets (ms), and +Inf. */
#define METRICS_NBUCKET		15

/* The per-domain table. */
#define METRICS_DOMAINS		1024
#define METRICS_DOMAIN_LEN	128
/* Domains rendered: the busiest ones (hits + misses). */
#define METRICS_TOP		50

/** Kinds of slots (metrics_child()). */
enum metrics_kind { METRICS_FREE = 0, METRICS_WORKER, METRICS_CACHE_MANAGER };

/** One domain's numbers, as read. */
struct metrics_domain_row {
	char		 name[METRICS_DOMAIN_LEN];
	uint64_t	 hits, misses, hit_bytes, miss_bytes;
};

/** One child's state, as read (for /status). */
struct metrics_child_row {
	unsigned	 slot;
	int		 kind;		/* enum metrics_kind */
	long		 pid;
	int64_t		 started;	/* wall clock, seconds */
	uint64_t	 requests;
	int64_t		 gauge[METRIC_NGAUGE];
};

/** Everything summed, for the renderers (and the tests). */
struct metrics_snap {
	uint64_t	 ctr[METRIC_NCTR];
	int64_t		 gauge[METRIC_NGAUGE];
	uint64_t	 req[METRICS_NMETHOD][METRICS_NCODE];
	uint64_t	 status[METRICS_NSTATUS];
	uint64_t	 hist[METRICS_NBUCKET];	/* not cumulative */
	uint64_t	 hist_sum_ms;
	uint64_t	 restarts;
	int64_t		 start_time;	/* master start, wall seconds */
	uint64_t	 store_objects;
	uint64_t	 store_bytes;
	uint64_t	 store_max_bytes;
	int64_t		 store_time;	/* last publication, 0: never */
	unsigned	 workers;	/* worker slots in use */
	struct metrics_domain_row domain[METRICS_TOP];
	size_t		 ndomain;	/* rows in domain[], busiest first */
	size_t		 domains_seen;	/* entries in the table */
	struct metrics_domain_row other;	/* the table was full */
	struct metrics_child_row *child;	/* caller's array, or NULL */
	size_t		 nchild;	/* rows filled */
	size_t		 child_max;	/* room in child[] */
};

/** What the renderers print besides the counters. */
struct metrics_info {
	const char	*version;	/* PACKAGE_VERSION */
	int64_t		 config_loaded;	/* wall seconds, 0: unknown */
	int		 cache_on;	/* cache_dir is set */
	int64_t		 now;		/* wall seconds */
};

/**
 * @brief Master, once, before the first fork: the shared mapping with
 *	@p nslots child slots.
 * @return 0, or -1 (errno; every call is then a no-op).
 */
int	metrics_init(unsigned nslots);
/**
 * @brief In a new child, before it runs: count in slot @p slot from now
 *	on (what the slot counted before stays).
 */
void	metrics_child(unsigned slot, enum metrics_kind kind, long pid);
/** @brief Master: the child of @p slot was reaped: zero its gauges. */
void	metrics_child_gone(unsigned slot);
/** @brief Master: a dead worker is being restarted. */
void	metrics_restart(void);

/** @brief Add @p n to counter @p id of this child. */
void	metrics_add(enum metric_ctr id, uint64_t n);
/** @brief Move gauge @p id of this child by @p delta. */
void	metrics_gauge_add(enum metric_gauge id, int64_t delta);
/** @brief Set gauge @p id of this child to @p v. */
void	metrics_gauge_set(enum metric_gauge id, int64_t v);
/**
 * @brief One request ended (the LOG step): by method and squid code,
 *	status class and, when @p timed, its duration.
 * @param[in] code  the base code ("TCP_MISS"), without _ABORTED.
 */
void	metrics_request(const char *method, const char *code, int status,
	    int64_t elapsed_ms, int timed);
/** @brief Is @p code one of squid's hit codes (TCP_HIT, TCP_CF_HIT...)? */
int	metrics_code_is_hit(const char *code);
/** @brief Is @p code one of squid's miss codes (TCP_MISS...)? */
int	metrics_code_is_miss(const char *code);
/**
 * @brief Per-domain cache numbers: @p hits, @p misses and their bytes
 *	for host @p name (any case; stored in lower case).
 */
void	metrics_domain(const char *name, uint64_t hits, uint64_t hit_bytes,
	    uint64_t misses, uint64_t miss_bytes);
/** @brief Cache manager: the store's totals now. */
void	metrics_store(uint64_t objects, uint64_t bytes, uint64_t max_bytes);

/**
 * @brief Sum every slot into @p s (relaxed reads: each number is one
 *	moment's, the set is not one instant's).  Set s->child and
 *	s->child_max first to get a row per live child.
 * @return 0, or -1 when there is no mapping (@p s is zeroed).
 */
int	metrics_snapshot(struct metrics_snap *s);
/**
 * @brief The Prometheus text exposition format 0.0.4 of @p s into @p b.
 * @return 0, or -1 when @p b is too small.
 */
int	metrics_render_prometheus(struct buf *b, const struct metrics_snap *s,
	    const struct metrics_info *info);
/**
 * @brief The same numbers as one JSON object (the /status endpoint).
 * @return 0, or -1 when @p b is too small.
 */
int	metrics_render_json(struct buf *b, const struct metrics_snap *s,
	    const struct metrics_info *info);

/**
 * @brief The cache's numbers as one line for cache_log (the cache
 *	manager's summary): the store's objects and size, hits, misses and
 *	their bytes since the start, and the @p top busiest hosts.
 * @return 0, or -1 when @p b is too small.
 */
int	metrics_render_summary(struct buf *b, const struct metrics_snap *s,
	    size_t top);

#endif
