/*
 * cache-manager.c -- with cache_dir set, the master runs a cache manager
 * child: it opens the store after fork (the master never touches LMDB),
 * removes the temp files of dead writers at start, is restarted when it
 * dies, is replaced on reload, and stops with the master.  One that
 * cannot open cache_dir is not restarted in a loop: one line says caching
 * is off until a reload.
 *
 * Integration test: a real sluice; the test kills the cache manager by
 * the PID it logged (a child of the master this test started).
 */
#include <sys/stat.h>

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "tap.h"

int
main(void)
{
	struct harness h, h2;
	char path[600], pid[32], *line, *p;
	struct stat st;
	long mpid = 0;
	int fd;

	plan(16 + 2 * (HARNESS_STOP_TESTS + HARNESS_END_TESTS));

	harness_init(&h, 1);
	/* A temp file of a writer that died before this start. */
	snprintf(path, sizeof(path), "%s/cache", h.dir);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/cache/tmp", h.dir);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/cache/tmp/999999999.1", h.dir);
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	if (fd == -1)
		bail_out("cannot create %s", path);
	close(fd);
	harness_conf(&h,
	    "cache_dir lmdb %DIR%/cache 10\n"
	    "http_access allow localhost\n"
	    "http_access deny all\n");
	if (harness_start(&h) == -1)
		bail_out("sluice did not start");

	line = harness_file_wait(h.cache_log, 10000, "cache manager started",
	    NULL);
	ok(line != NULL, "cache_dir set: the master starts a cache manager");
	if (line != NULL && (p = strstr(line, "pid ")) != NULL)
		mpid = atol(p + 4);
	free(line);
	ok(mpid > 0 && mpid != (long)h.pid,
	    "the cache manager is its own process");
	line = harness_file_wait(h.cache_log, 5000, "removed 1 temporary",
	    NULL);
	ok(line != NULL, "at start it removes a dead writer's temp file");
	free(line);
	ok(stat(path, &st) == -1, "the temp file is gone");
	snprintf(path, sizeof(path), "%s/cache/data.mdb", h.dir);
	ok(stat(path, &st) == 0, "the LMDB environment is created in cache_dir");

	if (mpid > 0)
		kill((pid_t)mpid, SIGKILL);
	snprintf(pid, sizeof(pid), "%ld", mpid);
	line = harness_file_wait(h.cache_log, 5000, "cache manager", pid,
	    "died", "signal 9", NULL);
	ok(line != NULL, "the master logs the cache manager's death");
	free(line);
	is_int(harness_file_wait_count(h.cache_log, "cache manager started",
	    2, 10000), 2, "the master restarts the cache manager");
	ok(harness_signal(&h, 0) == 0, "the master is still running");

	/* Reload: a new generation has its own manager; the old one stops. */
	harness_signal(&h, SIGHUP);
	is_int(harness_file_wait_count(h.cache_log, "cache manager started",
	    3, 10000), 3, "a reload starts the new generation's manager");
	line = harness_file_wait(h.cache_log, 10000, "cache manager",
	    "finished draining", NULL);
	ok(line != NULL, "the old generation's manager exits on SIGTERM");
	free(line);

	harness_stop(&h);
	harness_end(&h);

	/*
	 * A cache_dir that cannot be opened at run time (its parent closed
	 * after the start, so the start's checks passed): the manager that
	 * fails says why once, the master says once that caching is off, and
	 * does not restart it in a loop; a reload once it is fixed does.
	 */
	harness_init(&h2, 1);
	snprintf(path, sizeof(path), "%s/p", h2.dir);
	if (mkdir(path, 0755) == -1)
		bail_out("mkdir %s", path);
	harness_conf(&h2, "cache_dir lmdb %DIR%/p/cache 10\n"
	    "http_access allow localhost\nhttp_access deny all\n");
	if (harness_start(&h2) == -1)
		bail_out("sluice did not start");
	line = harness_file_wait(h2.cache_log, 10000, "cache manager started",
	    NULL);
	mpid = line != NULL && (p = strstr(line, "pid ")) != NULL ?
	    atol(p + 4) : 0;
	free(line);
	if (mpid <= 0 || mpid == (long)h2.pid)
		bail_out("no cache manager pid in cache.log");
	/* The worker opens the store too: let it do so before the chmod. */
	free(harness_file_wait(h2.cache_log, 10000, "worker 1 started", NULL));
	chmod(path, 0);		/* nobody (we, not root) cannot enter */
	kill((pid_t)mpid, SIGKILL);
	line = harness_file_wait(h2.cache_log, 10000, "cache_dir", "cannot be "
	    "opened: caching is off", "not restarted until a reload", NULL);
	ok(line != NULL, "a manager that cannot open cache_dir: the master "
	    "says caching is off and does not restart it");
	free(line);
	is_int(harness_file_count(h2.cache_log, "cannot open: Permission "
	    "denied"), 1, "the cause is logged once (the store's line)");
	is_int(harness_file_count(h2.cache_log, "restarting cache manager"), 1,
	    "the only restart is the one after SIGKILL");
	ok(harness_signal(&h2, 0) == 0 && harness_workers(&h2, NULL, 0) == 1,
	    "the master and its worker run on (proxying without caching)");
	chmod(path, 0755);
	harness_signal(&h2, SIGHUP);
	is_int(harness_file_wait_count(h2.cache_log, "cache manager started",
	    2, 10000), 2, "once fixed, a reload starts a cache manager again");
	is_int(harness_file_count(h2.cache_log, "cannot open: Permission "
	    "denied"), 1, "and still one line about the cause: no restart "
	    "loop in between");
	harness_stop(&h2);
	harness_end(&h2);
	return exit_status();
}
