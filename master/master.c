/*
 * master.c -- the supervisor loop (see master.h).
 * Runs in the master.
 *
 * Signals stay blocked and are taken synchronously with sigtimedwait(),
 * which gives the same "flags, then act in the loop" discipline as
 * handlers plus sigsuspend, without a window between them, and a timeout
 * for the respawn back-off.
 *
 * Children live in one table; each has a generation.  The current
 * generation's dead workers are respawned; older generations are only
 * waited for (they are draining after a reload).  The cache manager
 * (cache/manager.h), when cache_dir is set, is one more child of each
 * generation, in slot 0.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "accesslog.h"
#include "acl.h"
#include "check.h"
#include "req_cache.h"
#include "manager.h"
#include "clientdb.h"
#include "log.h"
#include "tls.h"
#include "upgrade.h"
#include "master.h"
#include "metrics.h"
#include "notify.h"
#include "pac.h"
#include "proc.h"
#include "worker.h"

#define MASTER_MAX_CHILDREN	512
#define MASTER_BACKOFF_MAX	30000	/* ms */
#define MASTER_STABLE_MS	10000	/* a worker that lived this long is healthy */

enum child_state { CHILD_FREE, CHILD_RUNNING, CHILD_DRAINING, CHILD_WAITING };

struct child {
	enum child_state state;
	pid_t		 pid;
	int		 slot;		/* 1-based; 0: the cache manager */
	unsigned	 gen;
	int64_t		 started;	/* ms */
	int64_t		 respawn_at;	/* CHILD_WAITING: when */
	unsigned	 fails;		/* quick deaths in a row */
};

static struct child	 master_child[MASTER_MAX_CHILDREN];
static unsigned		 master_gen;
static struct conf	*master_conf;
static struct listen_set master_ls;
static int		 master_fg;	/* -d: lines also go to stderr */
int			 config_check_paths = 1;

static int64_t
master_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct conf *
config_load(const char *path)
{
	struct conf *c;

	if (conf_load(path, &c) == -1)
		return NULL;
	if (acl_set_compile(c, &c->acl) == -1) {
		c->acl = NULL;
		conf_free(c);
		return NULL;
	}
	if (upgrade_compile(c) == -1) {
		acl_set_free(c->acl);
		c->acl = NULL;
		conf_free(c);
		return NULL;
	}
	if (req_cache_rules_compile(c) == -1) {
		upgrade_free(c);
		acl_set_free(c->acl);
		c->acl = NULL;
		conf_free(c);
		return NULL;
	}
	if (accesslog_compile(c) == -1) {
		config_free(c);
		return NULL;
	}
	/* Certificates and keys are read now, before any privilege drop. */
	if (tls_conf_compile(c) == -1) {
		config_free(c);
		return NULL;
	}
	/* The PAC file and no_proxy, from the acls pac_direct names. */
	if (pac_compile(c) == -1) {
		config_free(c);
		return NULL;
	}
	/* -t, start and reload: the paths, as whoever will use them. */
	if (config_check_paths && config_check_access(c) == -1) {
		config_free(c);
		return NULL;
	}
	return c;
}

void
config_free(struct conf *c)
{
	if (c == NULL)
		return;
	tls_conf_free(c);
	acl_set_free(c->acl);
	c->acl = NULL;
	upgrade_free(c);
	req_cache_rules_free(c);
	accesslog_free(c);
	pac_free(c);
	conf_free(c);
}

int
config_prepare_files(const struct conf *c)
{
	const char *path;
	size_t i;

	for (i = 0; (path = accesslog_file(c, i)) != NULL; i++)
		if (proc_prepare_file(path, c->effective_user) == -1) {
			log_warn("access_log %s", path);
			return -1;
		}
	if (c->cache_log != NULL &&
	    proc_prepare_file(c->cache_log, c->effective_user) == -1) {
		log_warn("cache_log %s", c->cache_log);
		return -1;
	}
	if (cache_manager_prepare(c) == -1)
		return -1;
	return 0;
}

static struct child *
master_child_free(void)
{
	int i;

	for (i = 0; i < MASTER_MAX_CHILDREN; i++)
		if (master_child[i].state == CHILD_FREE)
			return &master_child[i];
	return NULL;
}

/* "worker N" or "cache manager", for log lines. */
static const char *
master_child_name(const struct child *ch)
{
	static char buf[32];

	if (ch->slot == 0)
		return "cache manager";
	snprintf(buf, sizeof(buf), "worker %d", ch->slot);
	return buf;
}

static void
master_spawn(struct child *ch)
{
	pid_t pid;

	pid = fork();
	if (pid == -1) {
		log_warn("fork of %s", master_child_name(ch));
		ch->state = CHILD_WAITING;
		ch->respawn_at = master_now() + 1000;
		return;
	}
	if (pid == 0) {
		/*
		 * maxconn counts live per child-table slot, not per worker
		 * number: generations overlap during a reload.
		 */
		clientdb_worker((unsigned)(ch - master_child));
		/* Counters too: the slot keeps what a dead child counted. */
		metrics_child((unsigned)(ch - master_child), ch->slot == 0 ?
		    METRICS_CACHE_MANAGER : METRICS_WORKER, (long)getpid());
		/* Signals stay blocked until the worker sets its own mask. */
		if (ch->slot == 0)
			cache_manager_main(master_conf);
		worker_main(master_conf, master_ls.fds, master_ls.addrs,
		    master_ls.n, ch->slot);
	}
	ch->pid = pid;
	ch->state = CHILD_RUNNING;
	ch->gen = master_gen;
	ch->started = master_now();
}

static void
master_spawn_generation(void)
{
	struct child *ch;
	int i;

	for (i = 1; i <= master_conf->workers; i++) {
		ch = master_child_free();
		if (ch == NULL) {
			log_crit("no room for worker %d in the child table", i);
			return;
		}
		memset(ch, 0, sizeof(*ch));
		ch->slot = i;
		master_spawn(ch);
	}
	if (master_conf->cache_dir != NULL) {
		if ((ch = master_child_free()) == NULL) {
			log_crit("no room for the cache manager in the child "
			    "table");
			return;
		}
		memset(ch, 0, sizeof(*ch));
		ch->slot = 0;
		master_spawn(ch);
	}
}

static void
master_signal_children(int sig, int only_gen, unsigned gen)
{
	int i;

	for (i = 0; i < MASTER_MAX_CHILDREN; i++) {
		struct child *ch = &master_child[i];

		if (ch->state != CHILD_RUNNING && ch->state != CHILD_DRAINING)
			continue;
		if (only_gen && ch->gen != gen)
			continue;
		if (sig == SIGTERM)
			ch->state = CHILD_DRAINING;
		(void)kill(ch->pid, sig);
	}
}

static int
master_nchildren(void)
{
	int i, n = 0;

	for (i = 0; i < MASTER_MAX_CHILDREN; i++)
		if (master_child[i].state == CHILD_RUNNING ||
		    master_child[i].state == CHILD_DRAINING)
			n++;
	return n;
}

static void
master_reap(int stopping)
{
	struct child *ch;
	int64_t now, delay;
	pid_t pid;
	int status, i;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		ch = NULL;
		for (i = 0; i < MASTER_MAX_CHILDREN; i++)
			if (master_child[i].pid == pid &&
			    (master_child[i].state == CHILD_RUNNING ||
			    master_child[i].state == CHILD_DRAINING))
				ch = &master_child[i];
		if (ch == NULL)
			continue;
		/* Its clients are gone with it (maxconn), and its fetches. */
		clientdb_reset_slot((unsigned)(ch - master_child));
		cache_manager_reaped(pid);
		metrics_child_gone((unsigned)(ch - master_child));
		/* One line, not a restart loop: the cache stays unusable. */
		if (ch->slot == 0 && ch->gen == master_gen &&
		    WIFEXITED(status) &&
		    WEXITSTATUS(status) == MANAGER_EXIT_NOSTORE) {
			log_warnx("cache manager (pid %ld): cache_dir %s "
			    "cannot be opened: caching is off and the cache "
			    "manager is not restarted until a reload",
			    (long)pid, master_conf->cache_dir);
			ch->state = CHILD_FREE;
			continue;
		}
		if (WIFSIGNALED(status))
			log_warnx("%s (pid %ld) died with signal %d%s",
			    master_child_name(ch), (long)pid, WTERMSIG(status),
			    WCOREDUMP(status) ? " (core dumped)" : "");
		else if (WEXITSTATUS(status) != 0 || ch->state == CHILD_RUNNING)
			log_warnx("%s (pid %ld) exited with status %d",
			    master_child_name(ch), (long)pid, WEXITSTATUS(status));
		else
			log_info("%s (pid %ld) finished draining",
			    master_child_name(ch), (long)pid);
		if (ch->state == CHILD_DRAINING || stopping ||
		    ch->gen != master_gen) {
			ch->state = CHILD_FREE;
			continue;
		}
		/* A worker of the running generation died: respawn it. */
		now = master_now();
		if (now - ch->started < MASTER_STABLE_MS)
			ch->fails++;
		else
			ch->fails = 0;
		delay = ch->fails == 0 ? 0 : 100LL << (ch->fails > 9 ? 9 :
		    ch->fails - 1);
		if (delay > MASTER_BACKOFF_MAX)
			delay = MASTER_BACKOFF_MAX;
		ch->state = CHILD_WAITING;
		ch->respawn_at = now + delay;
		log_notice("restarting %s in %lld ms", master_child_name(ch),
		    (long long)delay);
		if (ch->slot != 0)
			metrics_restart();
	}
}

static void
master_respawn_due(int64_t *next)
{
	int64_t now = master_now();
	int i;

	for (i = 0; i < MASTER_MAX_CHILDREN; i++) {
		struct child *ch = &master_child[i];

		if (ch->state != CHILD_WAITING)
			continue;
		if (ch->gen != master_gen) {
			ch->state = CHILD_FREE;
			continue;
		}
		if (ch->respawn_at <= now)
			master_spawn(ch);
		else if (*next == 0 || ch->respawn_at < *next)
			*next = ch->respawn_at;
	}
}

/* @return 0 the new generation runs, -1 refused (the old one goes on). */
static int
master_reload(void)
{
	struct conf *nc;
	struct listen_set nls, ols;
	unsigned ogen;

	log_notice("reloading %s", master_conf->path);
	nc = config_load(master_conf->path);
	if (nc == NULL) {
		log_warnx("reload: %s has errors; the running configuration "
		    "stays", master_conf->path);
		return -1;
	}
	if (listen_open(nc, &master_ls, &nls) == -1) {
		log_warnx("reload: the running configuration stays");
		config_free(nc);
		return -1;
	}
	if (config_prepare_files(nc) == -1) {
		log_warnx("reload: the running configuration stays");
		listen_retire(&nls, &master_ls);
		config_free(nc);
		return -1;
	}
	if (nc->cache_log != NULL && (master_conf->cache_log == NULL ||
	    strcmp(nc->cache_log, master_conf->cache_log) != 0) &&
	    log_open(nc->cache_log, master_fg) == -1)
		log_warn("reload: cache_log %s", nc->cache_log);
	/* The new generation starts before the old one stops accepting. */
	ols = master_ls;
	master_ls = nls;
	config_free(master_conf);
	master_conf = nc;
	ogen = master_gen++;
	/*
	 * Close removed ports first so the new workers do not inherit them;
	 * the old workers keep their own copies until they drain.
	 */
	listen_retire(&ols, &master_ls);
	master_spawn_generation();
	master_signal_children(SIGTERM, 1, ogen);
	log_notice("reloaded: generation %u, %d workers", master_gen,
	    master_conf->workers);
	return 0;
}

static void
master_reopen(void)
{
	if (config_prepare_files(master_conf) == -1)
		log_warnx("log reopen: files could not be prepared");
	if (log_reopen() == -1)
		log_warn("reopen cache_log");
	master_signal_children(SIGUSR1, 0, 0);
	log_notice("log files reopened");
}

int
master_run(struct conf *c, struct listen_set *ls, int foreground)
{
	struct timespec ts;
	siginfo_t si;
	sigset_t set;
	int64_t next, deadline = 0, now;
	int sig, rc, stopping = 0;

	master_conf = c;
	master_ls = *ls;
	master_fg = foreground;
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGQUIT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	log_notice("sluice " PACKAGE_VERSION " starting, pid %ld, %d workers",
	    (long)getpid(), c->workers);
	/* Shared maxconn counts, one row per child slot; survives reloads. */
	if (clientdb_init(MASTER_MAX_CHILDREN) == -1)
		log_warnx("maxconn counts unavailable: maxconn acls never "
		    "match");
	/* Shared counters for /metrics and /status, one slot per child. */
	if (metrics_init(MASTER_MAX_CHILDREN) == -1)
		log_warn("metrics unavailable: /metrics and /status show zeros");
	master_spawn_generation();
	notify_ready(master_gen, master_conf->workers);

	for (;;) {
		next = 0;
		if (!stopping)
			master_respawn_due(&next);
		if (stopping && master_nchildren() == 0)
			break;
		now = master_now();
		if (stopping && now >= deadline) {
			log_warnx("workers still running %lld ms after the stop; "
			    "killing them", (long long)(now - deadline));
			master_signal_children(SIGKILL, 0, 0);
			deadline = now + 1000;
		}
		if (stopping && (next == 0 || deadline < next))
			next = deadline;
		ts.tv_sec = 1;
		ts.tv_nsec = 0;
		if (next != 0) {
			int64_t d = next - now;

			if (d < 0)
				d = 0;
			if (d < 1000) {
				ts.tv_sec = 0;
				ts.tv_nsec = (long)d * 1000000;
			}
		}
		sig = sigtimedwait(&set, &si, &ts);
		if (sig == -1)
			continue;	/* EAGAIN (timeout) or EINTR */
		switch (sig) {
		case SIGCHLD:
			master_reap(stopping);
			break;
		case SIGHUP:
			if (stopping)
				break;
			notify_reloading(master_conf->path);
			rc = master_reload();
			notify_reloaded(rc, master_gen, master_conf->workers);
			break;
		case SIGUSR1:
			master_reopen();
			break;
		case SIGTERM:
		case SIGINT:
		case SIGQUIT:
			if (stopping)
				break;
			log_notice("received signal %d, stopping: draining "
			    "workers for up to shutdown_lifetime", sig);
			stopping = 1;
			notify_stopping();
			deadline = master_now() +
			    master_conf->shutdown_lifetime + 5000;
			master_signal_children(SIGTERM, 0, 0);
			break;
		}
	}
	log_notice("sluice stopped");
	if (master_conf->pid_file != NULL)
		proc_pidfile_remove(master_conf->pid_file);
	listen_retire(&master_ls, NULL);
	config_free(master_conf);
	return 0;
}
