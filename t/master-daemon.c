/*
 * master-daemon.c -- without -d, sluice goes to the background: the
 * command returns 0 at once, the pid file names the running master,
 * which serves, logs to cache_log only, stops on SIGTERM and removes its
 * pid file.  A second start while it runs is refused.  Started with a
 * relative -f, as by hand from a directory: the daemon's chdir("/") does
 * not lose the file, a SIGHUP reloads it.
 *
 * Integration test: a real sluice started as an operator would, stopped
 * through the PID its pid file gives (the process this test started).
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
	{ .expect = "GET /bg", .status = 200, .body = "from the background" },
};

/* The pid in @p path, or 0. */
static pid_t
pidfile_read(const char *path)
{
	char *s;
	long v;

	s = harness_file_read(path, NULL);
	if (s == NULL)
		return 0;
	v = strtol(s, NULL, 10);
	free(s);
	return v > 1 ? (pid_t)v : 0;
}

int
main(void)
{
	const char *args[3];
	struct harness h;
	struct origin *o;
	struct client_resp r;
	char conf[300], pidf[320], url[128], *out = NULL, *line;
	char cwd[4096], rel[8192];
	const char *p;
	size_t len;
	pid_t pid = 0;
	int i, rc, alive;

	plan(13 + ORIGIN_FINISH_TESTS + HARNESS_END_TESTS);
	o = origin_start(steps, 1);
	harness_init(&h, 1);
	snprintf(pidf, sizeof(pidf), "%s/daemon.pid", h.dir);
	/* A complete config: the harness does not start this one. */
	harness_write(&h, "daemon.conf", "http_port 127.0.0.1:%PORT%\n"
	    "pid_filename %DIR%/daemon.pid\n"
	    "access_log %DIR%/access.log\ncache_log %DIR%/cache.log\n"
	    "workers 1\nshutdown_lifetime 5 seconds\n"
	    "http_access allow localhost\nhttp_access deny all\n", conf);
	/* The file by a relative name, from the test's directory. */
	if (getcwd(cwd, sizeof(cwd)) == NULL)
		bail_out("getcwd");
	for (len = 0, p = cwd; *p != '\0'; p++)
		if (*p == '/' && p[1] != '\0')
			len += (size_t)snprintf(rel + len, sizeof(rel) - len,
			    "../");
	snprintf(rel + len, sizeof(rel) - len, "%s", conf + 1);
	args[0] = "-f";
	args[1] = rel;
	args[2] = NULL;
	rc = harness_exec(&h, args, &out);
	is_int(rc, 0, "sluice without -d returns 0 once it is in the background");
	is_str(out, "", "and prints nothing on its terminal");
	free(out);
	out = NULL;

	for (i = 0; i < 100 && (pid = pidfile_read(pidf)) == 0; i++)
		harness_msleep(20);
	ok(pid > 0 && kill(pid, 0) == 0, "the pid file names a running master");
	line = harness_file_wait(h.cache_log, 5000, "worker 1 started",
	    (char *)NULL);
	ok(line != NULL, "cache_log shows the worker started");
	free(line);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/bg", origin_port(o));
	is_int(client_get(h.port[0], url, &r), 200,
	    "the background proxy serves requests");
	client_resp_free(&r);

	/* After the daemon's chdir("/"), the relative -f is the same file. */
	ok(pid > 0 && kill(pid, SIGHUP) == 0, "SIGHUP to the pid in the file "
	    "(started with -f %s)", rel);
	line = harness_file_wait(h.cache_log, 5000, "reloaded: generation 1",
	    (char *)NULL);
	ok(line != NULL, "the file is read again and a new generation "
	    "serves: %s", line != NULL ? line : "(no; cache_log has the "
	    "reason)");
	free(line);

	rc = harness_exec(&h, args, &out);
	is_int(rc, 1, "a second start while it runs exits 1");
	like(out, "already running", "and says sluice is already running");
	free(out);

	ok(pid > 0 && kill(pid, SIGTERM) == 0, "SIGTERM to the pid in the file");
	for (i = 0, alive = 1; pid > 0 && i < 500 && alive; i++) {
		/* Not our child: poll until it is gone (bounded, 10 s). */
		alive = kill(pid, 0) == 0 &&
		    harness_file_count(h.cache_log, "sluice stopped") == 0;
		if (alive)
			harness_msleep(20);
	}
	ok(!alive, "the master stops");
	line = harness_file_wait(h.cache_log, 2000, "sluice stopped",
	    (char *)NULL);
	ok(line != NULL, "cache_log says it stopped");
	free(line);
	for (i = 0; i < 100 && access(pidf, F_OK) == 0; i++)
		harness_msleep(20);
	ok(access(pidf, F_OK) != 0, "the pid file is removed");

	origin_finish(o);
	harness_end(&h);
	origin_free(o);
	return exit_status();
}
