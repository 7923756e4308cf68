/*
 * cache-manager.c -- with cache_dir set, the master runs a cache manager
 * child: it opens the store after fork (the master never touches LMDB),
 * removes the temp files of dead writers at start, is restarted when it
 * dies, is replaced on reload, and stops with the master.
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
	struct harness h;
	char path[600], pid[32], *line, *p;
	struct stat st;
	long mpid = 0;
	int fd;

	plan(10 + HARNESS_STOP_TESTS + HARNESS_END_TESTS);

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
	return exit_status();
}
