/*
 * manager.c -- the cache manager process (see manager.h).
 * Runs in the cache manager child, entered right after fork().
 *
 * Signals stay blocked and are taken with sigtimedwait(), whose timeout
 * is the tick: no handler, no race.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/prctl.h>

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"
#include "manager.h"
#include "metrics.h"
#include "priv.h"
#include "shared.h"
#include "store.h"

int
cache_manager_prepare(const struct conf *c)
{
	if (c->cache_dir == NULL)
		return 0;
	/* Fetches shared across workers: mapped once, kept across reloads. */
	if (shf_init() == -1) {
		log_warn("cache: the table of shared fetches");
		return -1;
	}
	return store_dir_prepare(c->cache_dir, c->effective_user);
}

void
cache_manager_reaped(pid_t pid)
{
	shf_reap(pid);
}

long
cache_manager_tick(struct store *s, uint64_t max_bytes)
{
	struct store_stats st;
	int dead;

	if ((dead = store_maintain(s)) > 0)
		log_notice("cache manager: cleared %d stale readers", dead);
	if (store_stats(s, &st) == -1)
		return -1;
	metrics_store(st.count, st.bytes, max_bytes);	/* for /metrics */
	if (st.bytes <= max_bytes - max_bytes / 20)
		return 0;
	return store_evict(s, max_bytes - max_bytes / 10, MANAGER_BATCH);
}

/* The summary line for cache_log, from the shared counters. */
static void
cache_manager_summary(void)
{
	struct metrics_snap *snap;
	struct buf b;
	char line[4096];

	if ((snap = calloc(1, sizeof(*snap))) == NULL)
		return;
	if (metrics_snapshot(snap) == 0) {
		b.start = b.pos = b.last = line;
		b.end = line + sizeof(line) - 1;
		b.size = sizeof(line);
		(void)metrics_render_summary(&b, snap, MANAGER_SUMMARY_HOSTS);
		*b.last = '\0';
		log_info("%s", line);
	}
	free(snap);
}

void
cache_manager_main(const struct conf *c)
{
	struct store *s;
	struct timespec ts;
	char err[256];
	sigset_t set;
	time_t last_clean, last_summary;
	long n;
	int sig, tick;

	(void)prctl(PR_SET_PDEATHSIG, SIGTERM);
	(void)prctl(PR_SET_NAME, "sluice-cachemgr");
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_SETMASK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (priv_drop(c->effective_user, "cache manager", err,
	    sizeof(err)) == -1)
		fatalx("%s", err);
	if (getppid() == 1)
		exit(1);

	/*
	 * store_open() said why; restarting would only say it again (the
	 * master does not, until a reload): see MANAGER_EXIT_NOSTORE.
	 */
	if (store_open(c->cache_dir, c->cache_dir_size, &s) == -1)
		exit(MANAGER_EXIT_NOSTORE);
	log_notice("cache manager started, pid %ld, cache_dir %s",
	    (long)getpid(), c->cache_dir);
	n = store_cleanup(s, MANAGER_GRACE, time(NULL));
	if (n > 0)
		log_notice("cache manager: removed %ld temporary or orphaned "
		    "files", n);
	last_clean = last_summary = time(NULL);
	for (;;) {
		n = cache_manager_tick(s, c->cache_dir_size);
		/* Stores outrunning eviction: look again soon. */
		tick = n > 0 ? MANAGER_BUSY_TICK_MS : MANAGER_TICK_MS;
		if (n > 0) {
			log_info("cache manager: evicted %ld entries", n);
			metrics_add(METRIC_CACHE_EVICTIONS, (uint64_t)n);
		}
		if (time(NULL) - last_clean >= MANAGER_CLEAN_SECS) {
			n = store_cleanup(s, MANAGER_GRACE, time(NULL));
			if (n > 0)
				log_notice("cache manager: removed %ld "
				    "orphaned files", n);
			last_clean = time(NULL);
		}
		if (c->cache_summary_period > 0 && (time(NULL) -
		    last_summary) * 1000 >= c->cache_summary_period) {
			cache_manager_summary();
			last_summary = time(NULL);
		}
		ts.tv_sec = tick / 1000;
		ts.tv_nsec = (tick % 1000) * 1000000L;
		sig = sigtimedwait(&set, NULL, &ts);
		if (sig == SIGTERM || sig == SIGINT)
			break;
		if (sig == SIGUSR1 && log_reopen() == -1)
			log_warn("cache manager: reopen cache_log");
	}
	store_close(s);
	if (c->cache_summary_period > 0)
		cache_manager_summary();
	log_info("cache manager exiting");
	exit(0);
}
