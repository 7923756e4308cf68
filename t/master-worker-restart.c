/*
 * master-worker-restart.c -- the master replaces a worker that dies, logs
 * how it died, and the proxy keeps serving.
 *
 * Integration test: a real sluice with two workers, the scripted origin,
 * libcurl.  The test kills workers by PID: they are children of the
 * master it started.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "harness.h"
#include "origin.h"
#include "tap.h"

#define NREQ	10

static const struct origin_step steps[] = {
	{ .expect = "GET /after-one", .status = 200, .body = "still here",
	    .flags = ORIGIN_REPEAT },
	{ .expect = "GET /after-both", .status = 200, .body = "and here",
	    .flags = ORIGIN_REPEAT },
};

/* @return 1 when @p pid is among @p pids[0..n). */
static int
has(const pid_t *pids, int n, pid_t pid)
{
	int i;

	for (i = 0; i < n; i++)
		if (pids[i] == pid)
			return 1;
	return 0;
}

/* NREQ fresh-connection GETs of @p path; @return how many got 200. */
static int
burst(struct harness *h, int oport, const char *path)
{
	struct client_resp r;
	char u[256];
	int i, good = 0;

	snprintf(u, sizeof(u), "http://127.0.0.1:%d%s", oport, path);
	for (i = 0; i < NREQ; i++) {
		if (client_get(h->port[0], u, &r) == 200)
			good++;
		client_resp_free(&r);
	}
	return good;
}

int
main(void)
{
	struct harness h;
	struct origin *o;
	pid_t w[8], w2[8], gone[2];
	char pid[32], *line;
	int n, oport;

	plan(12 + ORIGIN_FINISH_TESTS + HARNESS_STOP_TESTS +
	    HARNESS_END_TESTS);

	o = origin_start(steps, 2);
	oport = origin_port(o);
	harness_init(&h, 1);
	harness_conf(&h,
	    "workers 2\n"
	    "http_access allow localhost\n"
	    "http_access deny all\n");
	if (harness_start(&h) == -1)
		bail_out("sluice did not start");

	n = harness_workers(&h, w, 8);
	is_int(n, 2, "workers 2: the master runs two workers");
	if (n != 2)
		bail_out("cannot go on without two workers");

	/* SIGKILL one worker. */
	kill(w[0], SIGKILL);
	gone[0] = w[0];
	ok(harness_wait_workers(&h, 2, gone, 1, 10000),
	    "a new worker replaces the killed one (two workers again)");
	n = harness_workers(&h, w2, 8);
	ok(n == 2 && has(w2, n, w[1]), "the other worker was left alone");
	snprintf(pid, sizeof(pid), "%ld", (long)w[0]);
	line = harness_file_wait(h.cache_log, 5000, pid, "died", "signal 9",
	    NULL);
	ok(line != NULL, "cache_log says worker %s died with signal 9", pid);
	free(line);
	ok(harness_signal(&h, 0) == 0, "the master is still running");
	is_int(burst(&h, oport, "/after-one"), NREQ,
	    "all %d requests after the restart succeed", NREQ);
	/*
	 * A worker writes the log line right after the last byte; wait for
	 * the lines before killing, or a kill in between loses one.
	 */
	is_int(harness_file_wait_count(h.access_log, "/after-one", NREQ, 2000),
	    NREQ, "access log has a line for each of the %d requests", NREQ);

	/* SIGKILL both workers at once. */
	n = harness_workers(&h, w, 8);
	if (n != 2)
		bail_out("cannot go on without two workers");
	kill(w[0], SIGKILL);
	kill(w[1], SIGKILL);
	gone[0] = w[0];
	gone[1] = w[1];
	ok(harness_wait_workers(&h, 2, gone, 2, 10000),
	    "both killed workers are replaced");
	snprintf(pid, sizeof(pid), "%ld", (long)w[0]);
	line = harness_file_wait(h.cache_log, 5000, pid, "died", NULL);
	ok(line != NULL, "cache_log reports the death of worker %s", pid);
	free(line);
	snprintf(pid, sizeof(pid), "%ld", (long)w[1]);
	line = harness_file_wait(h.cache_log, 5000, pid, "died", NULL);
	ok(line != NULL, "cache_log reports the death of worker %s", pid);
	free(line);
	is_int(burst(&h, oport, "/after-both"), NREQ,
	    "all %d requests after both restarts succeed", NREQ);
	is_int(harness_file_wait_count(h.access_log, "TCP_MISS/200", 2 * NREQ,
	    2000), 2 * NREQ,
	    "access log has a line for each of the %d requests", 2 * NREQ);

	origin_finish(o);
	harness_stop(&h);
	harness_end(&h);
	origin_free(o);
	return exit_status();
}
