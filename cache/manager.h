/*
 * manager.h -- the cache manager process: keeps cache_dir healthy while
 * the workers serve.
 *
 * Runs in its own child of the master (forked like a worker, one per
 * generation, respawned when it dies), as the effective user.  It opens
 * the store after fork and, at start, removes temp files of dead writers
 * and orphaned body files older than MANAGER_GRACE; then every
 * MANAGER_TICK_MS (MANAGER_BUSY_TICK_MS after a tick that evicted):
 * clears reader slots of dead processes
 * (mdb_reader_check), flushes the environment, and when the total is
 * above 95% of the cache_dir size evicts least-recently-used entries down
 * to 90% (short write txns of MANAGER_BATCH entries).  Orphans are
 * looked for again every MANAGER_CLEAN_SECS.  Every cache_summary_period
 * (and when it exits) it writes one line of the cache's numbers to
 * cache_log: the store's objects and size, hits, misses and bytes served
 * from the cache since the start, the MANAGER_SUMMARY_HOSTS busiest hosts
 * (from the shared counters, metrics.h).
 *
 * Signals: SIGTERM/SIGINT exit 0 (store closed first); the manager exits
 * too when the master dies (PR_SET_PDEATHSIG).  A store that cannot be
 * opened ends it with MANAGER_EXIT_NOSTORE, which the master does not
 * answer with a restart.
 */
#ifndef SLUICE_CACHE_MANAGER_H
#define SLUICE_CACHE_MANAGER_H

#include <sys/types.h>

#include "conf.h"

#define MANAGER_TICK_MS	1000
/* The tick after one that evicted: stores may be outrunning eviction. */
#define MANAGER_BUSY_TICK_MS	50
/* Hosts named in the cache_log summary (cache_summary_period). */
#define MANAGER_SUMMARY_HOSTS	10
#define MANAGER_GRACE		60	/* s: an unnamed body may be in commit */
#define MANAGER_CLEAN_SECS	3600
#define MANAGER_BATCH		64
/*
 * Exit status of a cache manager that cannot open cache_dir (the reason
 * is logged by the store).  The master logs one line and does not
 * restart it until a reload; the workers proxy without caching.
 */
#define MANAGER_EXIT_NOSTORE	3

/**
 * @brief The cache manager's main, entered right after fork() with the
 *	master's signals blocked.  Never returns.
 * @param[in] c  the configuration (c->cache_dir != NULL).
 */
void	cache_manager_main(const struct conf *c) __attribute__((noreturn));

/**
 * @brief In the master, before fork: create cache_dir and its tmp/ and
 *	bodies/ directories and give them to the children's user.  No LMDB.
 * @return 0 (also when no cache_dir is set), or -1 after logging why.
 */
int	cache_manager_prepare(const struct conf *c);

/**
 * @brief In the master, when a child died: the fetches it led and shared
 *	with other workers end (their followers stop waiting).
 */
void	cache_manager_reaped(pid_t pid);

/**
 * @brief One maintenance pass (reader check, sync, eviction) on @p s,
 *	sized for @p max_bytes.  Exported for the tests.
 * @return entries evicted, or -1 on error (logged).
 */
struct store;
long	cache_manager_tick(struct store *s, uint64_t max_bytes);

#endif
