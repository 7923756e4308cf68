/*
 * master-log-reopen.c -- SIGUSR1 reopens the logs, as logrotate expects:
 * after the files are renamed and the master gets SIGUSR1, new lines go
 * to new files at the configured paths and the renamed files keep the old
 * lines.  Also run as root: the recreated files belong to the workers'
 * user, so the workers can reopen them after dropping privileges.
 *
 * Integration test: a real sluice, the scripted origin, libcurl.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "harness.h"
#include "origin.h"
#include "tap.h"

static const struct origin_step steps[] = {
	{ .expect = "GET /before", .status = 200, .body = "before" },
	{ .expect = "GET /after", .status = 200, .body = "after" },
};
#define NSTEPS	((int)(sizeof(steps) / sizeof(steps[0])))

int
main(void)
{
	struct harness h;
	struct origin *o;
	struct client_resp r;
	char url[256], old_access[320], old_cache[320], *line;
	int oport;

	plan(10 + ORIGIN_FINISH_TESTS + HARNESS_STOP_TESTS + HARNESS_END_TESTS);
	o = origin_start(steps, NSTEPS);
	oport = origin_port(o);
	harness_init(&h, 1);
	harness_conf(&h, "http_access allow localhost\nhttp_access deny all\n");
	if (harness_start(&h) == -1)
		bail_out("sluice did not start");

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/before", oport);
	is_int(client_get(h.port[0], url, &r), 200, "request before rotation");
	client_resp_free(&r);
	line = harness_log_wait(&h, "/before", (char *)NULL);
	ok(line != NULL, "its line is in the access log");
	free(line);

	/* logrotate: rename, then signal. */
	snprintf(old_access, sizeof(old_access), "%s.1", h.access_log);
	snprintf(old_cache, sizeof(old_cache), "%s.1", h.cache_log);
	ok(rename(h.access_log, old_access) == 0 &&
	    rename(h.cache_log, old_cache) == 0, "logs renamed away");
	ok(harness_signal(&h, SIGUSR1) == 0, "SIGUSR1 sent to the master");
	line = harness_file_wait(h.cache_log, 5000, "log files reopened",
	    (char *)NULL);
	ok(line != NULL, "a new cache_log is written after SIGUSR1");
	free(line);
	line = harness_file_wait(h.cache_log, 5000, "worker 1: log files "
	    "reopened", (char *)NULL);
	ok(line != NULL, "the worker reopened its logs");
	free(line);

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/after", oport);
	is_int(client_get(h.port[0], url, &r), 200, "request after rotation");
	client_resp_free(&r);
	line = harness_log_wait(&h, "/after", (char *)NULL);
	ok(line != NULL, "its line is in the new access log");
	free(line);
	is_int(harness_file_count(old_access, "/after"), 0,
	    "the rotated access log does not get new lines");
	is_int(harness_file_count(old_access, "/before"), 1,
	    "the rotated access log keeps the old line");

	origin_finish(o);
	harness_stop(&h);
	harness_end(&h);
	origin_free(o);
	return exit_status();
}
