/*
 * metrics.c -- shared counters and their two renderings (see metrics.h).
 *
 * Runs in every process: the master makes the mapping and tends the
 * slots of the children it reaps, the workers count and render, the
 * cache manager publishes the store's totals.
 *
 * The mapping, in order (one MAP_SHARED anonymous region):
 *	struct metrics_shm	header: restarts, start time, store totals,
 *				the per-domain table and its "other" row
 *	struct metrics_slot[n]	one per child-table slot
 * Every number is a C11 atomic read and written with relaxed order: a
 * slot has one writer (its child's event loop), a domain row many (each
 * add is one atomic add), readers only sum.  A domain row's name is
 * written once, before its state turns READY (release/acquire).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/mman.h>

#include <stdatomic.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "metrics.h"

#define METRICS_MAGIC	0x736c6d31U	/* "slm1" */
#define METRICS_PROBES	64

enum { MD_EMPTY = 0, MD_BUSY, MD_READY };

struct metrics_dom {
	_Atomic uint32_t	 state;
	char			 name[METRICS_DOMAIN_LEN];
	_Atomic uint64_t	 hits, misses, hit_bytes, miss_bytes;
};

struct metrics_slot {
	_Atomic uint32_t	 kind;		/* enum metrics_kind */
	_Atomic int64_t		 pid;
	_Atomic int64_t		 started;
	_Atomic uint64_t	 ctr[METRIC_NCTR];
	_Atomic int64_t		 gauge[METRIC_NGAUGE];
	_Atomic uint64_t	 req[METRICS_NMETHOD][METRICS_NCODE];
	_Atomic uint64_t	 status[METRICS_NSTATUS];
	_Atomic uint64_t	 hist[METRICS_NBUCKET];
	_Atomic uint64_t	 hist_sum_ms;
};

struct metrics_shm {
	uint32_t		 magic;
	uint32_t		 nslots;
	_Atomic uint32_t	 hiwater;	/* 1 + the highest slot used */
	_Atomic int64_t		 start_time;
	_Atomic uint64_t	 restarts;
	_Atomic uint64_t	 store_objects;
	_Atomic uint64_t	 store_bytes;
	_Atomic uint64_t	 store_max_bytes;
	_Atomic int64_t		 store_time;
	struct metrics_dom	 dom[METRICS_DOMAINS];
	struct metrics_dom	 other;
	struct metrics_slot	 slot[];
};

static struct metrics_shm	*m_shm;
static struct metrics_slot	*m_mine;	/* this child's slot, or NULL */
static size_t			 m_size;

/* The labels of sluice_requests_total, in index order. */
static const char *const metrics_methods[METRICS_NMETHOD] = {
	"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "TRACE", "PATCH",
	"CONNECT", "PURGE", "NONE", "OTHER"
};

/*
 * squid's result codes (src/LogTags.cc).  The first METRICS_NHIT are
 * hits as squid's LogTags::isTcpHit() counts them, plus sluice's
 * TCP_CF_HIT (a collapsed request served from the fetch it followed);
 * then the misses; then the rest.
 */
#define METRICS_NHIT	9
#define METRICS_NMISS	5
static const char *const metrics_codes[METRICS_NCODE] = {
	"TCP_HIT", "TCP_MEM_HIT", "TCP_CF_HIT", "TCP_INM_HIT", "TCP_IMS_HIT",
	"TCP_REFRESH_UNMODIFIED", "TCP_REFRESH_FAIL_OLD", "TCP_NEGATIVE_HIT",
	"TCP_OFFLINE_HIT",
	"TCP_MISS", "TCP_REFRESH_MODIFIED", "TCP_REFRESH_FAIL_ERR",
	"TCP_CLIENT_REFRESH_MISS", "TCP_SWAPFAIL_MISS",
	"TCP_DENIED", "TCP_TUNNEL", "NONE_NONE", "OTHER"
};

static const char *const metrics_status_names[METRICS_NSTATUS] = {
	"none", "1xx", "2xx", "3xx", "4xx", "5xx", "other"
};

/* Upper bounds of the duration buckets, in ms (the last is +Inf). */
static const int64_t metrics_bounds[METRICS_NBUCKET - 1] = {
	1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000,
	60000
};

static const struct {
	const char	*name;
	const char	*label;
	const char	*help;
} metrics_ctr_desc[METRIC_NCTR] = {
#define METRICS_CTR_DESC(id, name, label, help)	{ name, label, help },
	METRICS_COUNTERS(METRICS_CTR_DESC)
#undef METRICS_CTR_DESC
};

static const struct {
	const char	*name;
	const char	*help;
} metrics_gauge_desc[METRIC_NGAUGE] = {
#define METRICS_GAUGE_DESC(id, name, help)	{ name, help },
	METRICS_GAUGES(METRICS_GAUGE_DESC)
#undef METRICS_GAUGE_DESC
};

#define RELAXED		memory_order_relaxed

int
metrics_init(unsigned nslots)
{
	size_t sz;
	void *p;

	if (m_shm != NULL)
		return 0;
	if (nslots == 0)
		nslots = 1;
	sz = sizeof(struct metrics_shm) + (size_t)nslots *
	    sizeof(struct metrics_slot);
	p = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
	    -1, 0);
	if (p == MAP_FAILED)
		return -1;
	/* Anonymous mappings are zero-filled: every counter starts at 0. */
	m_shm = p;
	m_size = sz;
	m_shm->magic = METRICS_MAGIC;
	m_shm->nslots = nslots;
	atomic_store(&m_shm->start_time, (int64_t)time(NULL));
	return 0;
}

void
metrics_child(unsigned slot, enum metrics_kind kind, long pid)
{
	struct metrics_slot *s;
	uint32_t hw;

	if (m_shm == NULL || slot >= m_shm->nslots) {
		m_mine = NULL;
		return;
	}
	s = &m_shm->slot[slot];
	atomic_store(&s->pid, (int64_t)pid);
	atomic_store(&s->started, (int64_t)time(NULL));
	atomic_store(&s->kind, (uint32_t)kind);
	hw = atomic_load(&m_shm->hiwater);
	while (hw < slot + 1 &&
	    !atomic_compare_exchange_weak(&m_shm->hiwater, &hw, slot + 1))
		;
	m_mine = s;
}

void
metrics_child_gone(unsigned slot)
{
	struct metrics_slot *s;
	int i;

	if (m_shm == NULL || slot >= m_shm->nslots)
		return;
	s = &m_shm->slot[slot];
	/* Counters stay: the next child of this slot adds to them. */
	for (i = 0; i < METRIC_NGAUGE; i++)
		atomic_store(&s->gauge[i], 0);
	atomic_store(&s->kind, METRICS_FREE);
	atomic_store(&s->pid, 0);
}

void
metrics_restart(void)
{
	if (m_shm != NULL)
		atomic_fetch_add_explicit(&m_shm->restarts, 1, RELAXED);
}

void
metrics_add(enum metric_ctr id, uint64_t n)
{
	if (m_mine != NULL && n > 0)
		atomic_fetch_add_explicit(&m_mine->ctr[id], n, RELAXED);
}

void
metrics_gauge_add(enum metric_gauge id, int64_t delta)
{
	if (m_mine != NULL)
		atomic_fetch_add_explicit(&m_mine->gauge[id], delta, RELAXED);
}

void
metrics_gauge_set(enum metric_gauge id, int64_t v)
{
	if (m_mine != NULL)
		atomic_store_explicit(&m_mine->gauge[id], v, RELAXED);
}

static int
metrics_code_index(const char *code)
{
	int i;

	if (code == NULL)
		return METRICS_NCODE - 1;
	for (i = 0; i < METRICS_NCODE - 1; i++)
		if (strcmp(code, metrics_codes[i]) == 0)
			return i;
	return METRICS_NCODE - 1;
}

int
metrics_code_is_hit(const char *code)
{
	return metrics_code_index(code) < METRICS_NHIT;
}

int
metrics_code_is_miss(const char *code)
{
	int i = metrics_code_index(code);

	return i >= METRICS_NHIT && i < METRICS_NHIT + METRICS_NMISS;
}

void
metrics_request(const char *method, const char *code, int status,
    int64_t elapsed_ms, int timed)
{
	int m, k, st;

	if (m_mine == NULL)
		return;
	/* Methods are case-sensitive (RFC 9110 §9.1): "get" is OTHER. */
	for (m = 0; m < METRICS_NMETHOD - 1; m++)
		if (method != NULL && strcmp(method, metrics_methods[m]) == 0)
			break;
	atomic_fetch_add_explicit(&m_mine->req[m][metrics_code_index(code)],
	    1, RELAXED);
	st = status == 0 ? 0 : status >= 100 && status < 600 ?
	    status / 100 : METRICS_NSTATUS - 1;
	atomic_fetch_add_explicit(&m_mine->status[st], 1, RELAXED);
	if (!timed)
		return;
	if (elapsed_ms < 0)
		elapsed_ms = 0;
	for (k = 0; k < METRICS_NBUCKET - 1; k++)
		if (elapsed_ms <= metrics_bounds[k])
			break;
	atomic_fetch_add_explicit(&m_mine->hist[k], 1, RELAXED);
	atomic_fetch_add_explicit(&m_mine->hist_sum_ms, (uint64_t)elapsed_ms,
	    RELAXED);
}

/* The row of @p name, claimed when new; the "other" row when full. */
static struct metrics_dom *
metrics_dom_find(const char *name, size_t n)
{
	struct metrics_dom *d;
	uint32_t h = 2166136261u, st, expect;
	size_t i, k, spin;

	for (i = 0; i < n; i++)
		h = (h ^ (unsigned char)name[i]) * 16777619u;
	for (k = 0; k < METRICS_PROBES; k++) {
		d = &m_shm->dom[(h + k) % METRICS_DOMAINS];
		st = atomic_load_explicit(&d->state, memory_order_acquire);
		if (st == MD_EMPTY) {
			expect = MD_EMPTY;
			if (atomic_compare_exchange_strong(&d->state, &expect,
			    MD_BUSY)) {
				memcpy(d->name, name, n);
				d->name[n] = '\0';
				atomic_store_explicit(&d->state, MD_READY,
				    memory_order_release);
				return d;
			}
			st = expect;
		}
		/* Another child is writing this name: bounded wait. */
		for (spin = 0; st == MD_BUSY && spin < 10000; spin++)
			st = atomic_load_explicit(&d->state,
			    memory_order_acquire);
		if (st == MD_READY && strncmp(d->name, name, n) == 0 &&
		    d->name[n] == '\0')
			return d;
	}
	return &m_shm->other;
}

void
metrics_domain(const char *name, uint64_t hits, uint64_t hit_bytes,
    uint64_t misses, uint64_t miss_bytes)
{
	struct metrics_dom *d;
	char low[METRICS_DOMAIN_LEN];
	size_t n, i;

	if (m_mine == NULL || name == NULL)
		return;
	n = strlen(name);
	if (n == 0 || n >= sizeof(low))
		d = &m_shm->other;
	else {
		for (i = 0; i < n; i++)
			low[i] = name[i] >= 'A' && name[i] <= 'Z' ?
			    (char)(name[i] - 'A' + 'a') : name[i];
		d = metrics_dom_find(low, n);
	}
	if (hits > 0)
		atomic_fetch_add_explicit(&d->hits, hits, RELAXED);
	if (hit_bytes > 0)
		atomic_fetch_add_explicit(&d->hit_bytes, hit_bytes, RELAXED);
	if (misses > 0)
		atomic_fetch_add_explicit(&d->misses, misses, RELAXED);
	if (miss_bytes > 0)
		atomic_fetch_add_explicit(&d->miss_bytes, miss_bytes, RELAXED);
}

void
metrics_store(uint64_t objects, uint64_t bytes, uint64_t max_bytes)
{
	if (m_shm == NULL)
		return;
	atomic_store_explicit(&m_shm->store_objects, objects, RELAXED);
	atomic_store_explicit(&m_shm->store_bytes, bytes, RELAXED);
	atomic_store_explicit(&m_shm->store_max_bytes, max_bytes, RELAXED);
	atomic_store_explicit(&m_shm->store_time, (int64_t)time(NULL),
	    RELAXED);
}

static void
metrics_dom_read(const struct metrics_dom *d, struct metrics_domain_row *r)
{
	r->hits = atomic_load_explicit(&d->hits, RELAXED);
	r->misses = atomic_load_explicit(&d->misses, RELAXED);
	r->hit_bytes = atomic_load_explicit(&d->hit_bytes, RELAXED);
	r->miss_bytes = atomic_load_explicit(&d->miss_bytes, RELAXED);
}

/* Busiest first; equal ones by name, so the order is stable. */
static int
metrics_dom_cmp(const void *a, const void *b)
{
	const struct metrics_domain_row *p = a, *q = b;
	uint64_t x = p->hits + p->misses, y = q->hits + q->misses;

	if (x != y)
		return x > y ? -1 : 1;
	return strcmp(p->name, q->name);
}

int
metrics_snapshot(struct metrics_snap *s)
{
	struct metrics_child_row *child = s->child;
	size_t child_max = s->child_max, i, j;
	struct metrics_domain_row row;
	struct metrics_slot *sl;
	unsigned hw, n;
	uint32_t kind;
	uint64_t reqs;

	memset(s, 0, sizeof(*s));
	s->child = child;
	s->child_max = child_max;
	if (m_shm == NULL)
		return -1;
	hw = atomic_load(&m_shm->hiwater);
	if (hw > m_shm->nslots)
		hw = m_shm->nslots;
	for (n = 0; n < hw; n++) {
		sl = &m_shm->slot[n];
		for (i = 0; i < METRIC_NCTR; i++)
			s->ctr[i] += atomic_load_explicit(&sl->ctr[i], RELAXED);
		for (i = 0; i < METRIC_NGAUGE; i++)
			s->gauge[i] += atomic_load_explicit(&sl->gauge[i],
			    RELAXED);
		reqs = 0;
		for (i = 0; i < METRICS_NMETHOD; i++)
			for (j = 0; j < METRICS_NCODE; j++) {
				uint64_t v = atomic_load_explicit(
				    &sl->req[i][j], RELAXED);

				s->req[i][j] += v;
				reqs += v;
			}
		for (i = 0; i < METRICS_NSTATUS; i++)
			s->status[i] += atomic_load_explicit(&sl->status[i],
			    RELAXED);
		for (i = 0; i < METRICS_NBUCKET; i++)
			s->hist[i] += atomic_load_explicit(&sl->hist[i],
			    RELAXED);
		s->hist_sum_ms += atomic_load_explicit(&sl->hist_sum_ms,
		    RELAXED);
		kind = atomic_load(&sl->kind);
		if (kind == METRICS_WORKER)
			s->workers++;
		if (kind != METRICS_FREE && child != NULL &&
		    s->nchild < child_max) {
			struct metrics_child_row *c = &child[s->nchild++];

			c->slot = n;
			c->kind = (int)kind;
			c->pid = (long)atomic_load(&sl->pid);
			c->started = atomic_load(&sl->started);
			c->requests = reqs;
			for (i = 0; i < METRIC_NGAUGE; i++)
				c->gauge[i] = atomic_load_explicit(
				    &sl->gauge[i], RELAXED);
		}
	}
	s->restarts = atomic_load(&m_shm->restarts);
	s->start_time = atomic_load(&m_shm->start_time);
	s->store_objects = atomic_load(&m_shm->store_objects);
	s->store_bytes = atomic_load(&m_shm->store_bytes);
	s->store_max_bytes = atomic_load(&m_shm->store_max_bytes);
	s->store_time = atomic_load(&m_shm->store_time);

	/*
	 * Top METRICS_TOP domains: keep the best rows seen in domain[]
	 * (an insertion into a sorted array of at most 50 rows).
	 */
	for (i = 0; i < METRICS_DOMAINS; i++) {
		const struct metrics_dom *d = &m_shm->dom[i];

		if (atomic_load_explicit(&d->state, memory_order_acquire) !=
		    MD_READY)
			continue;
		s->domains_seen++;
		memcpy(row.name, d->name, sizeof(row.name));
		row.name[sizeof(row.name) - 1] = '\0';
		metrics_dom_read(d, &row);
		if (s->ndomain == METRICS_TOP && metrics_dom_cmp(&row,
		    &s->domain[METRICS_TOP - 1]) >= 0)
			continue;
		j = s->ndomain < METRICS_TOP ? s->ndomain++ : METRICS_TOP - 1;
		while (j > 0 && metrics_dom_cmp(&row, &s->domain[j - 1]) < 0) {
			s->domain[j] = s->domain[j - 1];
			j--;
		}
		s->domain[j] = row;
	}
	strcpy(s->other.name, "other");
	metrics_dom_read(&m_shm->other, &s->other);
	return 0;
}

/* ---------------------------------------------------------------- text */

/* A label value (Prometheus text format: \\, \" and \n escaped). */
static int
metrics_label(struct buf *b, const char *v)
{
	for (; *v != '\0'; v++) {
		if (*v == '\\' || *v == '"') {
			if (buf_printf(b, "\\%c", *v) == -1)
				return -1;
		} else if (*v == '\n') {
			if (buf_printf(b, "\\n") == -1)
				return -1;
		} else if (buf_append(b, v, 1) == -1)
			return -1;
	}
	return 0;
}

static int
metrics_head(struct buf *b, const char *name, const char *type,
    const char *help)
{
	return buf_printf(b, "# HELP sluice_%s %s\n# TYPE sluice_%s %s\n",
	    name, help, name, type);
}

/* le="..." of bucket @p k: seconds, as Prometheus clients write them. */
static void
metrics_le(int k, char *out, size_t n)
{
	int64_t ms;

	if (k == METRICS_NBUCKET - 1) {
		snprintf(out, n, "+Inf");
		return;
	}
	ms = metrics_bounds[k];
	if (ms % 1000 == 0)
		snprintf(out, n, "%lld", (long long)(ms / 1000));
	else
		snprintf(out, n, "%lld.%03lld", (long long)(ms / 1000),
		    (long long)(ms % 1000));
	/* Trailing zeros of the fraction: 0.250 is 0.25. */
	if (strchr(out, '.') != NULL) {
		size_t l = strlen(out);

		while (l > 0 && out[l - 1] == '0')
			out[--l] = '\0';
	}
}

static int
metrics_domain_series(struct buf *b, const char *metric,
    const struct metrics_domain_row *r, uint64_t v)
{
	if (buf_printf(b, "sluice_%s{domain=\"", metric) == -1 ||
	    metrics_label(b, r->name) == -1)
		return -1;
	return buf_printf(b, "\"} %llu\n", (unsigned long long)v);
}

int
metrics_render_prometheus(struct buf *b, const struct metrics_snap *s,
    const struct metrics_info *info)
{
	static const struct {
		const char	*name;
		const char	*help;
	} dm[4] = {
		{ "domain_cache_hits_total",
		    "Cache hits by origin host (the busiest hosts)." },
		{ "domain_cache_hit_bytes_total",
		    "Bytes served from the cache by origin host: what the "
		    "uplink was spared." },
		{ "domain_cache_misses_total",
		    "Cache misses by origin host (the busiest hosts)." },
		{ "domain_cache_miss_bytes_total",
		    "Bytes of cache misses by origin host." },
	};
	uint64_t cum, total;
	size_t i, j, k;
	char le[32];

	if (buf_printf(b, "# HELP sluice_build_info The running sluice.\n"
	    "# TYPE sluice_build_info gauge\n"
	    "sluice_build_info{version=\"%s\"} 1\n", info->version) == -1)
		return -1;
	if (metrics_head(b, "start_time_seconds", "gauge",
	    "When the master started, seconds since the epoch.") == -1 ||
	    buf_printf(b, "sluice_start_time_seconds %lld\n",
	    (long long)s->start_time) == -1)
		return -1;
	if (info->config_loaded != 0 && (metrics_head(b,
	    "config_loaded_time_seconds", "gauge",
	    "When the running configuration was loaded.") == -1 ||
	    buf_printf(b, "sluice_config_loaded_time_seconds %lld\n",
	    (long long)info->config_loaded) == -1))
		return -1;
	if (metrics_head(b, "workers", "gauge", "Worker processes running.")
	    == -1 || buf_printf(b, "sluice_workers %u\n", s->workers) == -1)
		return -1;
	if (metrics_head(b, "worker_restarts_total", "counter",
	    "Workers the master restarted after they died.") == -1 ||
	    buf_printf(b, "sluice_worker_restarts_total %llu\n",
	    (unsigned long long)s->restarts) == -1)
		return -1;

	/* Requests: only the method/code pairs seen. */
	if (metrics_head(b, "requests_total", "counter",
	    "Requests logged, by method and squid result code.") == -1)
		return -1;
	for (i = 0; i < METRICS_NMETHOD; i++)
		for (j = 0; j < METRICS_NCODE; j++)
			if (s->req[i][j] > 0 && buf_printf(b,
			    "sluice_requests_total{method=\"%s\",code=\"%s\"} "
			    "%llu\n", metrics_methods[i], metrics_codes[j],
			    (unsigned long long)s->req[i][j]) == -1)
				return -1;
	if (metrics_head(b, "responses_total", "counter",
	    "Requests logged, by the class of the status sent (none: "
	    "nothing was sent).") == -1)
		return -1;
	for (i = 0; i < METRICS_NSTATUS; i++)
		if (buf_printf(b, "sluice_responses_total{class=\"%s\"} %llu\n",
		    metrics_status_names[i],
		    (unsigned long long)s->status[i]) == -1)
			return -1;

	/* The counters of the table, one HELP/TYPE per name. */
	for (i = 0; i < METRIC_NCTR; i++) {
		if (i == 0 || strcmp(metrics_ctr_desc[i].name,
		    metrics_ctr_desc[i - 1].name) != 0) {
			if (metrics_head(b, metrics_ctr_desc[i].name,
			    "counter", metrics_ctr_desc[i].help) == -1)
				return -1;
		}
		if (buf_printf(b, "sluice_%s%s%s%s %llu\n",
		    metrics_ctr_desc[i].name,
		    metrics_ctr_desc[i].label ? "{" : "",
		    metrics_ctr_desc[i].label ? metrics_ctr_desc[i].label : "",
		    metrics_ctr_desc[i].label ? "}" : "",
		    (unsigned long long)s->ctr[i]) == -1)
			return -1;
	}
	for (i = 0; i < METRIC_NGAUGE; i++)
		if (metrics_head(b, metrics_gauge_desc[i].name, "gauge",
		    metrics_gauge_desc[i].help) == -1 ||
		    buf_printf(b, "sluice_%s %lld\n",
		    metrics_gauge_desc[i].name, (long long)s->gauge[i]) == -1)
			return -1;

	/* The store, as the cache manager last saw it. */
	if (info->cache_on) {
		if (metrics_head(b, "cache_objects", "gauge",
		    "Responses stored in cache_dir.") == -1 ||
		    buf_printf(b, "sluice_cache_objects %llu\n",
		    (unsigned long long)s->store_objects) == -1 ||
		    metrics_head(b, "cache_bytes", "gauge",
		    "Bytes stored in cache_dir (heads and bodies).") == -1 ||
		    buf_printf(b, "sluice_cache_bytes %llu\n",
		    (unsigned long long)s->store_bytes) == -1 ||
		    metrics_head(b, "cache_max_bytes", "gauge",
		    "The size of cache_dir.") == -1 ||
		    buf_printf(b, "sluice_cache_max_bytes %llu\n",
		    (unsigned long long)s->store_max_bytes) == -1)
			return -1;
	}

	/* Durations: cumulative buckets (Prometheus histograms). */
	if (metrics_head(b, "request_duration_seconds", "histogram",
	    "Time from the first byte of a request to its log line "
	    "(tunnels not included).") == -1)
		return -1;
	for (k = 0, cum = 0; k < METRICS_NBUCKET; k++) {
		cum += s->hist[k];
		metrics_le((int)k, le, sizeof(le));
		if (buf_printf(b, "sluice_request_duration_seconds_bucket"
		    "{le=\"%s\"} %llu\n", le, (unsigned long long)cum) == -1)
			return -1;
	}
	if (buf_printf(b, "sluice_request_duration_seconds_sum %llu.%03llu\n"
	    "sluice_request_duration_seconds_count %llu\n",
	    (unsigned long long)(s->hist_sum_ms / 1000),
	    (unsigned long long)(s->hist_sum_ms % 1000),
	    (unsigned long long)cum) == -1)
		return -1;

	/* Per domain: the busiest METRICS_TOP, then "other". */
	for (k = 0; k < 4; k++) {
		if (metrics_head(b, dm[k].name, "counter", dm[k].help) == -1)
			return -1;
		for (i = 0; i <= s->ndomain; i++) {
			const struct metrics_domain_row *r = i < s->ndomain ?
			    &s->domain[i] : &s->other;

			total = k == 0 ? r->hits : k == 1 ? r->hit_bytes :
			    k == 2 ? r->misses : r->miss_bytes;
			if (i == s->ndomain && r->hits + r->misses == 0)
				continue;
			if (metrics_domain_series(b, dm[k].name, r,
			    total) == -1)
				return -1;
		}
	}
	if (metrics_head(b, "domains_tracked", "gauge",
	    "Origin hosts in the per-domain table (at most 1024; the rest "
	    "count as other).") == -1 ||
	    buf_printf(b, "sluice_domains_tracked %zu\n",
	    s->domains_seen) == -1)
		return -1;
	return 0;
}

/* ---------------------------------------------------------------- JSON */

/* A JSON string (RFC 8259 §7): quotes, backslash, controls escaped. */
static int
metrics_json_str(struct buf *b, const char *v)
{
	if (buf_append(b, "\"", 1) == -1)
		return -1;
	for (; *v != '\0'; v++) {
		unsigned char ch = (unsigned char)*v;

		if (ch == '"' || ch == '\\') {
			if (buf_printf(b, "\\%c", ch) == -1)
				return -1;
		} else if (ch < 0x20) {
			if (buf_printf(b, "\\u%04x", ch) == -1)
				return -1;
		} else if (buf_append(b, v, 1) == -1)
			return -1;
	}
	return buf_append(b, "\"", 1);
}

/* "name": value for each counter of the table whose name is @p name. */
static int
metrics_json_ctr_group(struct buf *b, const struct metrics_snap *s,
    const char *name)
{
	const char *l, *q;
	size_t i;
	int first = 1;

	for (i = 0; i < METRIC_NCTR; i++) {
		if (strcmp(metrics_ctr_desc[i].name, name) != 0)
			continue;
		/* direction="sent" -> "sent" */
		l = metrics_ctr_desc[i].label;
		q = l != NULL ? strchr(l, '"') : NULL;
		if (buf_printf(b, "%s\"%.*s\": %llu", first ? "" : ", ",
		    q != NULL ? (int)(strlen(q + 1) - 1) : (int)strlen("total"),
		    q != NULL ? q + 1 : "total",
		    (unsigned long long)s->ctr[i]) == -1)
			return -1;
		first = 0;
	}
	return 0;
}

int
metrics_render_json(struct buf *b, const struct metrics_snap *s,
    const struct metrics_info *info)
{
	uint64_t total = 0, cum;
	size_t i, j;
	int first;
	char le[32];

	for (i = 0; i < METRICS_NSTATUS; i++)
		total += s->status[i];
	if (buf_printf(b, "{\n  \"version\": ") == -1 ||
	    metrics_json_str(b, info->version) == -1 ||
	    buf_printf(b, ",\n  \"now\": %lld,\n  \"start_time\": %lld,\n"
	    "  \"config_loaded_time\": %lld,\n  \"workers\": %u,\n"
	    "  \"worker_restarts\": %llu,\n", (long long)info->now,
	    (long long)s->start_time, (long long)info->config_loaded,
	    s->workers, (unsigned long long)s->restarts) == -1)
		return -1;

	if (buf_printf(b, "  \"children\": [") == -1)
		return -1;
	for (i = 0; i < s->nchild; i++) {
		const struct metrics_child_row *c = &s->child[i];

		if (buf_printf(b, "%s\n    {\"slot\": %u, \"kind\": \"%s\", "
		    "\"pid\": %ld, \"started\": %lld, \"requests\": %llu",
		    i ? "," : "", c->slot, c->kind == METRICS_WORKER ?
		    "worker" : "cache_manager", c->pid, (long long)c->started,
		    (unsigned long long)c->requests) == -1)
			return -1;
		for (j = 0; j < METRIC_NGAUGE; j++)
			if (buf_printf(b, ", \"%s\": %lld",
			    metrics_gauge_desc[j].name,
			    (long long)c->gauge[j]) == -1)
				return -1;
		if (buf_printf(b, "}") == -1)
			return -1;
	}
	if (buf_printf(b, "%s],\n", s->nchild ? "\n  " : "") == -1)
		return -1;

	if (buf_printf(b, "  \"requests\": {\n    \"total\": %llu,\n"
	    "    \"by_method_and_code\": {", (unsigned long long)total) == -1)
		return -1;
	for (i = 0, first = 1; i < METRICS_NMETHOD; i++) {
		int any = 0;

		for (j = 0; j < METRICS_NCODE; j++) {
			if (s->req[i][j] == 0)
				continue;
			/* The method opens its object before its first code. */
			if (!any && buf_printf(b, "%s\"%s\": {", first ? "" :
			    ", ", metrics_methods[i]) == -1)
				return -1;
			if (buf_printf(b, "%s\"%s\": %llu", any ? ", " : "",
			    metrics_codes[j],
			    (unsigned long long)s->req[i][j]) == -1)
				return -1;
			any = 1;
			first = 0;
		}
		if (any && buf_append(b, "}", 1) == -1)
			return -1;
	}
	if (buf_printf(b, "},\n    \"by_status_class\": {") == -1)
		return -1;
	for (i = 0; i < METRICS_NSTATUS; i++)
		if (buf_printf(b, "%s\"%s\": %llu", i ? ", " : "",
		    metrics_status_names[i],
		    (unsigned long long)s->status[i]) == -1)
			return -1;
	if (buf_printf(b, "},\n    \"interruptions\": {") == -1 ||
	    metrics_json_ctr_group(b, s, "request_interruptions_total") == -1)
		return -1;
	for (i = 0, cum = 0; i < METRICS_NBUCKET; i++)
		cum += s->hist[i];
	/* The histogram leaves tunnels out: its own count. */
	if (buf_printf(b, "},\n    \"duration_ms\": {\"count\": %llu, "
	    "\"sum\": %llu, \"buckets\": {", (unsigned long long)cum,
	    (unsigned long long)s->hist_sum_ms) == -1)
		return -1;
	for (i = 0, cum = 0; i < METRICS_NBUCKET; i++) {
		cum += s->hist[i];
		metrics_le((int)i, le, sizeof(le));
		if (buf_printf(b, "%s\"%s\": %llu", i ? ", " : "", le,
		    (unsigned long long)cum) == -1)
			return -1;
	}
	if (buf_printf(b, "}}\n  },\n") == -1)
		return -1;

	if (buf_printf(b, "  \"clients\": {\"connections_total\": %llu, "
	    "\"connections\": %lld, \"tunnels\": %lld, \"bytes\": {",
	    (unsigned long long)s->ctr[METRIC_CLIENT_CONNECTIONS_TOTAL],
	    (long long)s->gauge[METRIC_G_CLIENT_CONNECTIONS],
	    (long long)s->gauge[METRIC_G_TUNNELS]) == -1 ||
	    metrics_json_ctr_group(b, s, "client_bytes_total") == -1 ||
	    buf_printf(b, "}},\n  \"origins\": {\"idle_connections\": %lld, "
	    "\"bytes\": {",
	    (long long)s->gauge[METRIC_G_UPSTREAM_IDLE]) == -1 ||
	    metrics_json_ctr_group(b, s, "origin_bytes_total") == -1 ||
	    buf_printf(b, "}},\n") == -1)
		return -1;

	if (buf_printf(b, "  \"cache\": {\"enabled\": %s, \"hits\": %llu, "
	    "\"misses\": %llu, \"hit_bytes\": %llu, \"evictions\": %llu",
	    info->cache_on ? "true" : "false",
	    (unsigned long long)s->ctr[METRIC_CACHE_HITS],
	    (unsigned long long)s->ctr[METRIC_CACHE_MISSES],
	    (unsigned long long)s->ctr[METRIC_CACHE_HIT_BYTES],
	    (unsigned long long)s->ctr[METRIC_CACHE_EVICTIONS]) == -1)
		return -1;
	if (info->cache_on && buf_printf(b, ", \"objects\": %llu, "
	    "\"bytes\": %llu, \"max_bytes\": %llu, \"store_time\": %lld",
	    (unsigned long long)s->store_objects,
	    (unsigned long long)s->store_bytes,
	    (unsigned long long)s->store_max_bytes,
	    (long long)s->store_time) == -1)
		return -1;
	if (buf_printf(b, ",\n    \"domains_tracked\": %zu, \"domains\": [",
	    s->domains_seen) == -1)
		return -1;
	for (i = 0; i <= s->ndomain; i++) {
		const struct metrics_domain_row *r = i < s->ndomain ?
		    &s->domain[i] : &s->other;

		if (i == s->ndomain && r->hits + r->misses == 0)
			continue;
		if (buf_printf(b, "%s\n      {\"domain\": ",
		    i ? "," : "") == -1 ||
		    metrics_json_str(b, r->name) == -1 ||
		    buf_printf(b, ", \"hits\": %llu, \"hit_bytes\": %llu, "
		    "\"misses\": %llu, \"miss_bytes\": %llu}",
		    (unsigned long long)r->hits,
		    (unsigned long long)r->hit_bytes,
		    (unsigned long long)r->misses,
		    (unsigned long long)r->miss_bytes) == -1)
			return -1;
	}
	if (buf_printf(b, "]\n  },\n") == -1)
		return -1;

	if (buf_printf(b, "  \"dns\": {") == -1 ||
	    buf_printf(b, "\"lookups\": %llu, \"failures\": %llu, "
	    "\"cache_answers\": %llu},\n",
	    (unsigned long long)s->ctr[METRIC_DNS_LOOKUPS],
	    (unsigned long long)s->ctr[METRIC_DNS_FAILURES],
	    (unsigned long long)s->ctr[METRIC_DNS_CACHED]) == -1)
		return -1;
	if (buf_printf(b, "  \"auth\": {\"pending\": %lld, \"checks\": {",
	    (long long)s->gauge[METRIC_G_AUTH_PENDING]) == -1 ||
	    metrics_json_ctr_group(b, s, "auth_checks_total") == -1 ||
	    buf_printf(b, "}, \"helper_failures\": %llu}\n}\n",
	    (unsigned long long)s->ctr[METRIC_AUTH_HELPER_FAILURES]) == -1)
		return -1;
	return 0;
}

/* ------------------------------------------------------------- summary */

/* @p v bytes as "1.5 GB" (powers of 1024, one decimal). */
static const char *
metrics_size(uint64_t v, char *out, size_t n)
{
	static const char *unit[] = { "bytes", "KB", "MB", "GB", "TB", "PB" };
	double d = (double)v;
	size_t u = 0;

	if (v < 1024) {
		snprintf(out, n, "%llu bytes", (unsigned long long)v);
		return out;
	}
	while (d >= 1024 && u + 1 < sizeof(unit) / sizeof(unit[0])) {
		d /= 1024;
		u++;
	}
	snprintf(out, n, "%.1f %s", d, unit[u]);
	return out;
}

int
metrics_render_summary(struct buf *b, const struct metrics_snap *s,
    size_t top)
{
	uint64_t hits = s->ctr[METRIC_CACHE_HITS];
	uint64_t misses = s->ctr[METRIC_CACHE_MISSES];
	char a[32], c[32], d[32];
	size_t i;

	if (buf_printf(b, "cache summary: %llu objects, %s of %s; since the "
	    "start %llu hits (%s served from the cache), %llu misses, "
	    "%llu%% hits", (unsigned long long)s->store_objects,
	    metrics_size(s->store_bytes, a, sizeof(a)),
	    metrics_size(s->store_max_bytes, c, sizeof(c)),
	    (unsigned long long)hits,
	    metrics_size(s->ctr[METRIC_CACHE_HIT_BYTES], d, sizeof(d)),
	    (unsigned long long)misses, (unsigned long long)(hits + misses ?
	    hits * 100 / (hits + misses) : 0)) == -1)
		return -1;
	if (top > s->ndomain)
		top = s->ndomain;
	for (i = 0; i < top; i++) {
		const struct metrics_domain_row *r = &s->domain[i];

		if (buf_printf(b, "%s %s %llu hits (%s saved) %llu misses "
		    "(%s)", i == 0 ? "; by host:" : ",", r->name,
		    (unsigned long long)r->hits,
		    metrics_size(r->hit_bytes, a, sizeof(a)),
		    (unsigned long long)r->misses,
		    metrics_size(r->miss_bytes, c, sizeof(c))) == -1)
			return -1;
	}
	if (s->other.hits + s->other.misses > 0 && buf_printf(b, ", other "
	    "hosts %llu hits (%s saved) %llu misses (%s)",
	    (unsigned long long)s->other.hits,
	    metrics_size(s->other.hit_bytes, a, sizeof(a)),
	    (unsigned long long)s->other.misses,
	    metrics_size(s->other.miss_bytes, c, sizeof(c))) == -1)
		return -1;
	return 0;
}
