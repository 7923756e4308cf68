/*
 * unit-metrics.c -- the shared counters (worker/core/metrics.h): sums
 * over child slots; requests by method and squid code (unknown ones as
 * OTHER, methods case-sensitive), status classes, the duration
 * histogram's buckets and sum; a dead child's gauges zeroed by the master
 * while its counters stay, and the next child of the slot adding to them
 * (no loss, nothing twice); hit and miss codes as squid counts them; the
 * bounded per-domain table (case folded, the busiest first, what does
 * not fit counted as "other"); the store's totals; the Prometheus text
 * (label values escaped, cumulative buckets, one HELP/TYPE per metric)
 * and the JSON renderings.
 *
 * Unit test: metrics_init() in this process; fork()ed children count in
 * their own slots as workers do.
 */
#include <sys/wait.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "metrics.h"
#include "tap.h"

static struct metrics_snap snap;

static void
take(void)
{
	memset(&snap, 0, sizeof(snap));
	(void)metrics_snapshot(&snap);
}

/* The request matrix cell of method @p m, code @p k (indexes below). */
enum { M_GET = 0, M_HEAD, M_POST, M_CONNECT = 8, M_NONE = 10, M_OTHER };
enum { K_HIT = 0, K_CF_HIT = 2, K_MISS = 9, K_DENIED = 14, K_TUNNEL,
	K_NONE, K_OTHER };

/* Run @p fn in a child counting in @p slot, wait for it. */
static void
in_child(unsigned slot, void (*fn)(void))
{
	pid_t pid;
	int st;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		metrics_child(slot, METRICS_WORKER, (long)getpid());
		fn();
		_exit(0);
	}
	(void)waitpid(pid, &st, 0);
}

static void
child_a(void)
{
	metrics_request("GET", "TCP_HIT", 200, 3, 1);
	metrics_request("GET", "TCP_HIT", 200, 1, 1);
	metrics_request("POST", "TCP_MISS", 502, 700, 1);
	metrics_request("get", "TCP_MISS", 200, 0, 1);
	metrics_request("CONNECT", "TCP_TUNNEL", 200, 5000, 0);
	metrics_request("GET", "TCP_WHATEVER", 0, 61000, 1);
	metrics_request("NONE", "NONE_NONE", 400, 0, 1);
	metrics_add(METRIC_CLIENT_SENT_BYTES, 1000);
	metrics_add(METRIC_CACHE_HITS, 2);
	metrics_gauge_add(METRIC_G_CLIENT_CONNECTIONS, 3);
	metrics_gauge_add(METRIC_G_TUNNELS, 1);
	metrics_gauge_set(METRIC_G_UPSTREAM_IDLE, 7);
}

static void
child_b(void)
{
	metrics_request("HEAD", "TCP_CF_HIT", 304, 30, 1);
	metrics_add(METRIC_CLIENT_SENT_BYTES, 24);
	metrics_gauge_add(METRIC_G_CLIENT_CONNECTIONS, 2);
}

static void
child_a2(void)
{
	/* The respawned worker of slot 1. */
	metrics_request("GET", "TCP_HIT", 200, 2, 1);
	metrics_add(METRIC_CLIENT_SENT_BYTES, 5);
	metrics_gauge_add(METRIC_G_CLIENT_CONNECTIONS, 1);
}

static void
child_domains(void)
{
	char name[64];
	int i;

	/* The busy ones first, one of them spelt in two cases... */
	metrics_domain("Busy.EXAMPLE", 100, 1000, 5, 50);
	metrics_domain("busy.example", 1, 10, 0, 0);
	metrics_domain("second.example", 50, 500, 0, 0);
	metrics_domain("tie-b.example", 20, 0, 0, 0);
	metrics_domain("tie-a.example", 20, 0, 0, 0);
	metrics_domain("a\"b\\c", 30, 0, 0, 0);
	/* ... then 2000 names, one hit each, in a table of 1024. */
	for (i = 0; i < 2000; i++) {
		snprintf(name, sizeof(name), "host%d.example", i);
		metrics_domain(name, 1, 10, 0, 0);
	}
	{
		char longname[300];

		memset(longname, 'y', sizeof(longname));
		longname[299] = '\0';
		metrics_domain(longname, 0, 0, 7, 70);	/* too long: other */
	}
}

static void
child_store(void)
{
	metrics_store(12, 34567, 1 << 20);
	metrics_add(METRIC_CACHE_EVICTIONS, 3);
}

int
main(void)
{
	struct buf *b;
	char *p, want[128];
	size_t i;
	int found;

	plan(61);
	ok(metrics_snapshot(&snap) == -1, "no mapping: snapshot says so");
	metrics_add(METRIC_CACHE_HITS, 1);	/* a no-op, not a crash */
	ok(metrics_init(8) == 0, "metrics_init(8)");

	in_child(1, child_a);
	in_child(2, child_b);
	take();
	is_int((long long)snap.req[M_GET][K_HIT], 2, "GET TCP_HIT: 2");
	is_int((long long)snap.req[M_POST][K_MISS], 1, "POST TCP_MISS: 1");
	is_int((long long)snap.req[M_OTHER][K_MISS], 1,
	    "\"get\" is not GET (methods are case-sensitive): OTHER");
	is_int((long long)snap.req[M_CONNECT][K_TUNNEL], 1,
	    "CONNECT TCP_TUNNEL");
	is_int((long long)snap.req[M_GET][K_OTHER], 1,
	    "an unknown code counts as OTHER");
	is_int((long long)snap.req[M_NONE][K_NONE], 1, "NONE NONE_NONE");
	is_int((long long)snap.req[M_HEAD][K_CF_HIT], 1,
	    "HEAD TCP_CF_HIT, from the other slot");
	is_int((long long)snap.status[0], 1, "status class none: 1");
	is_int((long long)snap.status[2], 4, "status class 2xx: 4");
	is_int((long long)snap.status[3], 1, "status class 3xx: 1");
	is_int((long long)snap.status[4], 1, "status class 4xx: 1");
	is_int((long long)snap.status[5], 1, "status class 5xx: 1");
	/* Buckets (ms): 1 5 10 25 50 100 250 500 1000 ... 60000 +Inf. */
	is_int((long long)snap.hist[0], 3, "le 1 ms: the 0, 0 and 1 ms ones");
	is_int((long long)snap.hist[1], 1, "le 5 ms: 3 ms");
	is_int((long long)snap.hist[4], 1, "le 50 ms: 30 ms");
	is_int((long long)snap.hist[8], 1, "le 1 s: 700 ms");
	is_int((long long)snap.hist[14], 1, "+Inf: 61 s");
	is_int((long long)snap.hist_sum_ms, 3 + 1 + 700 + 0 + 61000 + 0 + 30,
	    "the sum leaves the untimed tunnel out");
	is_int((long long)snap.ctr[METRIC_CLIENT_SENT_BYTES], 1024,
	    "counters sum over slots");
	is_int((long long)snap.gauge[METRIC_G_CLIENT_CONNECTIONS], 5,
	    "gauges sum over slots");
	is_int((long long)snap.gauge[METRIC_G_UPSTREAM_IDLE], 7, "a set gauge");

	/* Slot 1 dies: the master zeroes its gauges, not its counters. */
	metrics_child_gone(1);
	metrics_restart();
	take();
	is_int((long long)snap.gauge[METRIC_G_CLIENT_CONNECTIONS], 2,
	    "a dead child's gauges are gone");
	is_int((long long)snap.gauge[METRIC_G_TUNNELS], 0,
	    "... its tunnels too");
	is_int((long long)snap.req[M_GET][K_HIT], 2, "... its counters stay");
	is_int((long long)snap.restarts, 1, "one restart counted");
	in_child(1, child_a2);
	take();
	is_int((long long)snap.req[M_GET][K_HIT], 3,
	    "the respawned child adds to the slot: 2 + 1, nothing twice");
	is_int((long long)snap.ctr[METRIC_CLIENT_SENT_BYTES], 1029,
	    "bytes: 1024 + 5");
	is_int((long long)snap.gauge[METRIC_G_CLIENT_CONNECTIONS], 3,
	    "gauges: its own 1 and the other slot's 2");

	ok(metrics_code_is_hit("TCP_REFRESH_UNMODIFIED") &&
	    metrics_code_is_hit("TCP_CF_HIT") &&
	    metrics_code_is_hit("TCP_HIT") &&
	    metrics_code_is_hit("TCP_REFRESH_FAIL_OLD"),
	    "hits: TCP_HIT, TCP_CF_HIT, TCP_REFRESH_UNMODIFIED, "
	    "TCP_REFRESH_FAIL_OLD (squid's isTcpHit)");
	ok(metrics_code_is_miss("TCP_MISS") &&
	    metrics_code_is_miss("TCP_REFRESH_MODIFIED") &&
	    !metrics_code_is_hit("TCP_MISS") &&
	    !metrics_code_is_miss("TCP_DENIED") &&
	    !metrics_code_is_hit("TCP_TUNNEL") && !metrics_code_is_miss(NULL),
	    "misses: TCP_MISS, TCP_REFRESH_MODIFIED; neither: TCP_DENIED, "
	    "TCP_TUNNEL");

	/* The domain table. */
	in_child(3, child_domains);
	take();
	ok(snap.domains_seen <= METRICS_DOMAINS && snap.domains_seen > 900,
	    "the table holds at most %d names (%zu)", METRICS_DOMAINS,
	    snap.domains_seen);
	is_int((long long)snap.other.hits, 2005 - (long long)
	    snap.domains_seen, "every name that found no place is in "
	    "\"other\" (%llu)", (unsigned long long)snap.other.hits);
	is_int((long long)snap.other.misses, 7, "... and a name too long");
	is_int((long long)snap.ndomain, METRICS_TOP, "the top %d are kept",
	    METRICS_TOP);
	found = strcmp(snap.domain[0].name, "busy.example") == 0;
	ok(found, "the busiest first, case folded: %s", snap.domain[0].name);
	is_int((long long)snap.domain[0].hits, 101, "... 100 + 1 hits");
	is_int((long long)snap.domain[0].hit_bytes, 1010, "... 1010 bytes");
	is_str(snap.domain[1].name, "second.example", "then second.example");
	is_str(snap.domain[3].name, "tie-a.example",
	    "equal counts: by name (tie-a before tie-b)");

	in_child(4, child_store);
	take();
	is_int((long long)snap.store_objects, 12, "store: objects");
	is_int((long long)snap.store_bytes, 34567, "store: bytes");
	is_int((long long)snap.ctr[METRIC_CACHE_EVICTIONS], 3, "evictions");

	/* Prometheus text. */
	b = buf_get(256 * 1024);
	{
		struct metrics_info info = { "9.9", 1234, 1, 5678 };

		ok(metrics_render_prometheus(b, &snap, &info) == 0,
		    "render the Prometheus text");
		buf_append(b, "", 1);
		like(b->pos, "\nsluice_requests_total{method=\"GET\","
		    "code=\"TCP_HIT\"} 3\n", "requests by method and code");
		like(b->pos, "\nsluice_request_duration_seconds_bucket"
		    "{le=\"0.005\"} 5\n", "buckets are cumulative (3 + 1 + "
		    "the 2 ms of the respawned child)");
		like(b->pos, "\nsluice_request_duration_seconds_bucket"
		    "{le=\"+Inf\"} 8\n", "+Inf counts every timed request");
		like(b->pos, "\nsluice_request_duration_seconds_sum 61.736\n",
		    "the sum in seconds");
		like(b->pos, "\nsluice_domain_cache_hits_total{domain="
		    "\"a\\\"b\\\\c\"} 30\n", "label values are escaped");
		like(b->pos, "\nsluice_client_bytes_total{direction=\"sent\"} "
		    "1029\n", "a labelled counter of the table");
		for (i = 0, p = b->pos; (p = strstr(p, "# TYPE "
		    "sluice_client_bytes_total ")) != NULL; p++, i++)
			;
		is_int((long long)i, 1, "one TYPE line per metric");
		like(b->pos, "\nsluice_cache_objects 12\n",
		    "the store's objects");
	}
	buf_reset(b);
	{
		struct metrics_info info = { "9.9", 1234, 1, 5678 };

		ok(metrics_render_json(b, &snap, &info) == 0,
		    "render the JSON");
		buf_append(b, "", 1);
		like(b->pos, "\"GET\": {\"TCP_HIT\": 3", "... with the same "
		    "numbers");
	}
	buf_reset(b);
	ok(metrics_render_summary(b, &snap, 2) == 0, "render the cache_log "
	    "summary");
	buf_append(b, "", 1);
	ok(strncmp(b->pos, "cache summary: 12 objects, 33.8 KB of ", 38) == 0,
	    "summary: the store's objects and size");
	like(b->pos, "; by host: busy.example 101 hits (1010 bytes saved) 5 "
	    "misses (50 bytes), second.example 50 hits ", "summary: the "
	    "busiest hosts first, as many as asked");
	ok(strstr(b->pos, "tie-a") == NULL, "... and no more");
	snprintf(want, sizeof(want), ", other hosts %llu hits (",
	    (unsigned long long)snap.other.hits);
	like(b->pos, want, "summary: what the table could not name");
	buf_reset(b);
	b->end = b->start + 40;
	ok(metrics_render_summary(b, &snap, 2) == -1, "a short buffer: -1");
	b->end = b->start + b->size;
	buf_put(b);
	return exit_status();
}
