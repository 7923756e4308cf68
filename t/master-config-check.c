/*
 * master-config-check.c -- `sluice -t`, a start and a reload check what
 * the running proxy will need from the file system, as the identity that
 * will need it (master/check.h): the workers' user (nobody when sluice
 * starts as root) must reach cache_dir, the log directories and the auth
 * helper; the master must be able to create its own files.  Each problem
 * is "file:line: message" naming the directive's line, all of them in one
 * run; -t and the start exit 1 and nothing listens; a reload that fails
 * the checks keeps the running configuration and its workers.
 *
 * Integration test: the real binary with -t and -d on generated files,
 * and one running sluice for the reload.  As root: a 0700 directory
 * stands between the workers' user and the paths, and `sluice -t` also
 * runs as nobody for the unprivileged case.  As another user: a directory
 * it cannot write; the root-only cases are skipped, saying why.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "raw.h"
#include "tap.h"

#define NROOT	20	/* tests that need root (harness_stop's apart) */

static struct harness h;

/* `sluice -t -f DIR/name` on @p text, as @p user (NULL: ourselves). */
static int
check_t(const char *user, const char *name, const char *text, char **out)
{
	const char *args[4];
	char path[300];

	if (harness_write(&h, name, text, path) == -1)
		bail_out("cannot write %s", name);
	args[0] = "-t";
	args[1] = "-f";
	args[2] = path;
	args[3] = NULL;
	return harness_exec_user(&h, user, args, out);
}

/* "DIR/name:line: what" in @p want. */
static const char *
at(char *want, size_t size, const char *name, int line, const char *what)
{
	snprintf(want, size, "%s/%s:%d: %s", h.dir, name, line, what);
	return want;
}

static void
dir_make(const char *name, mode_t mode)
{
	char path[300];

	snprintf(path, sizeof(path), "%s/%s", h.dir, name);
	if (mkdir(path, mode) == -1 || chmod(path, mode) == -1)
		bail_out("mkdir %s: %s", path, strerror(errno));
}

/* Line number of the first line of @p path holding @p needle, or 0. */
static int
line_of(const char *path, const char *needle)
{
	char *text, *p;
	int n = 1;

	text = harness_file_read(path, NULL);
	if (text == NULL || (p = strstr(text, needle)) == NULL) {
		free(text);
		return 0;
	}
	*p = '\0';
	for (p = text; *p != '\0'; p++)
		if (*p == '\n')
			n++;
	free(text);
	return n;
}

/* As root: the workers' user (nobody) is kept out by a 0700 directory. */
static void
root_cases(void)
{
	char want[1200], text[1024], path[700], *out, *line;
	const char *args[4];
	pid_t w[8], old;
	struct raw c;
	int rc, refused, fd;

	/* cache_dir under DIR/priv (0700, root's). */
	snprintf(text, sizeof(text), "http_port 127.0.0.1:%%PORT%%\n"
	    "http_access allow localhost\n"
	    "cache_dir lmdb %%DIR%%/priv/cache 10\n");
	rc = check_t(NULL, "c.conf", text, &out);
	is_int(rc, 1, "-t: cache_dir under a 0700 directory exits 1");
	snprintf(path, sizeof(path), "cache_dir %s/priv/cache: user nobody "
	    "cannot search %s/priv: Permission denied", h.dir, h.dir);
	like(out, at(want, sizeof(want), "c.conf", 3, path), "-t names "
	    "FILE:3:, the user and the directory it cannot search");
	free(out);

	/* The start refuses it the same way, and nothing listens. */
	args[0] = "-d";
	args[1] = "-f";
	snprintf(path, sizeof(path), "%s/c.conf", h.dir);
	args[2] = path;
	args[3] = NULL;
	rc = harness_exec(&h, args, &out);
	is_int(rc, 1, "a start with it exits 1 (not a cache manager "
	    "restarting in a loop)");
	snprintf(path, sizeof(path), "cache_dir %s/priv/cache: user nobody "
	    "cannot search %s/priv", h.dir, h.dir);
	like(out, at(want, sizeof(want), "c.conf", 3, path), "the start "
	    "names FILE:3: and the cause");
	free(out);
	refused = raw_open(&c, h.port[0]) == -1 && errno == ECONNREFUSED;
	if (!refused)
		raw_close(&c);
	ok(refused, "nothing listens after the refused start");

	/* access_log under it: the workers reopen it as nobody. */
	rc = check_t(NULL, "a.conf", "http_port 127.0.0.1:%PORT%\n"
	    "access_log %DIR%/priv/logs/access.log\n"
	    "http_access allow localhost\n", &out);
	is_int(rc, 1, "-t: access_log under a 0700 directory exits 1");
	snprintf(path, sizeof(path), "access_log %s/priv/logs/access.log: "
	    "user nobody cannot search %s/priv", h.dir, h.dir);
	like(out, at(want, sizeof(want), "a.conf", 2, path), "-t names "
	    "FILE:2: and the directory");
	free(out);

	/* The auth helper: out of reach, then not executable. */
	if (harness_copy_program(&h, "/bin/true", path) == -1)
		bail_out("cannot copy /bin/true");
	snprintf(want, sizeof(want), "%s/priv/true", h.dir);
	if (rename(path, want) == -1)
		bail_out("rename %s: %s", path, strerror(errno));
	rc = check_t(NULL, "h.conf", "http_port 127.0.0.1:%PORT%\n"
	    "acl users proxy_auth REQUIRED\n"
	    "auth_param basic program %DIR%/priv/true\n"
	    "http_access allow users\n", &out);
	is_int(rc, 1, "-t: an auth helper under a 0700 directory exits 1");
	snprintf(path, sizeof(path), "auth_param basic program %s/priv/true: "
	    "user nobody cannot search %s/priv", h.dir, h.dir);
	like(out, at(want, sizeof(want), "h.conf", 3, path), "-t names "
	    "its FILE:3: and the directory (the workers run it as nobody)");
	free(out);
	if (harness_write(&h, "noexec", "#!/bin/sh\n", path) == -1 ||
	    chmod(path, 0644) == -1)
		bail_out("cannot write noexec");
	rc = check_t(NULL, "x.conf", "http_port 127.0.0.1:%PORT%\n"
	    "acl users proxy_auth REQUIRED\n"
	    "http_access allow users\n"
	    "auth_param basic program %DIR%/noexec\n", &out);
	is_int(rc, 1, "-t: an auth helper without execute permission exits 1");
	snprintf(path, sizeof(path), "auth_param basic program %s/noexec: "
	    "user nobody cannot execute it", h.dir);
	like(out, at(want, sizeof(want), "x.conf", 4, path), "-t names "
	    "FILE:4:");
	free(out);

	/* basic_file: unreadable by nobody is an error; missing is not. */
	snprintf(path, sizeof(path), "%s/htpasswd", h.dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd == -1 || fchmod(fd, 0600) == -1)
		bail_out("cannot create %s", path);
	close(fd);
	rc = check_t(NULL, "f.conf", "http_port 127.0.0.1:%PORT%\n"
	    "auth_param basic program basic_file %DIR%/htpasswd\n"
	    "acl users proxy_auth REQUIRED\n"
	    "http_access allow users\n", &out);
	is_int(rc, 1, "-t: a basic_file only root can read exits 1");
	snprintf(path, sizeof(path), "auth_param basic program basic_file "
	    "%s/htpasswd: user nobody cannot read it", h.dir);
	like(out, at(want, sizeof(want), "f.conf", 2, path), "-t names "
	    "FILE:2:");
	free(out);
	rc = check_t(NULL, "f2.conf", "http_port 127.0.0.1:%PORT%\n"
	    "auth_param basic program basic_file %DIR%/no-such-htpasswd\n"
	    "acl users proxy_auth REQUIRED\n"
	    "http_access allow users\n", &out);
	is_int(rc, 0, "-t: a missing basic_file is no error (no users yet)");
	free(out);

	/* An existing cache_dir whose mode leaves its owner no write. */
	dir_make("c0500", 0500);
	rc = check_t(NULL, "m.conf", "http_port 127.0.0.1:%PORT%\n"
	    "cache_dir lmdb %DIR%/c0500 10\n"
	    "http_access allow localhost\n", &out);
	is_int(rc, 1, "-t: an existing cache_dir of mode 0500 exits 1");
	snprintf(path, sizeof(path), "cache_dir %s/c0500: its mode 0500 "
	    "leaves its owner (user nobody", h.dir);
	like(out, at(want, sizeof(want), "m.conf", 2, path), "-t names "
	    "FILE:2: and the mode");
	free(out);

	/* Another cache_effective_user is the one named. */
	rc = check_t(NULL, "u.conf", "http_port 127.0.0.1:%PORT%\n"
	    "cache_effective_user daemon\n"
	    "cache_dir lmdb %DIR%/priv/cache 10\n"
	    "http_access allow localhost\n", &out);
	snprintf(path, sizeof(path), "cache_dir %s/priv/cache: user daemon "
	    "cannot search", h.dir);
	ok(rc == 1 && strstr(out, path) != NULL, "with cache_effective_user "
	    "daemon, -t checks as daemon and says so");
	free(out);

	/* A reload that fails the checks keeps what runs. */
	harness_conf(&h, "http_access allow localhost\n"
	    "cache_dir lmdb %DIR%/cache 10\n");
	if (harness_start(&h) == -1)
		bail_out("sluice did not start");
	harness_conf(&h, "http_access allow localhost\n"
	    "cache_dir lmdb %DIR%/priv/cache 10\n");
	snprintf(want, sizeof(want), "%s:%d: cache_dir %s/priv/cache: user "
	    "nobody cannot search %s/priv", h.conf,
	    line_of(h.conf, "cache_dir"), h.dir, h.dir);
	if (harness_workers(&h, w, 8) != 1)
		bail_out("expected one worker");
	old = w[0];
	harness_signal(&h, SIGHUP);
	line = harness_file_wait(h.cache_log, 10000, want, NULL);
	ok(line != NULL, "SIGHUP: cache.log has %s", want);
	free(line);
	line = harness_file_wait(h.cache_log, 5000, "the running "
	    "configuration stays", NULL);
	ok(line != NULL, "and the running configuration stays");
	free(line);
	ok(harness_workers(&h, w, 8) == 1 && w[0] == old, "no new "
	    "generation: worker %ld kept", (long)old);
	harness_stop(&h);
}

int
main(void)
{
	const char *user;
	char want[1200], path[700], *out;
	int rc;

	plan(NROOT + 7 + HARNESS_STOP_TESTS + HARNESS_END_TESTS);
	harness_init(&h, 1);
	/* As root the unprivileged case is nobody; otherwise ourselves. */
	user = geteuid() == 0 ? "nobody" : NULL;
	dir_make("ro", 0555);
	dir_make("w", 0777);
	dir_make("priv", 0700);

	/*
	 * Paths the master cannot create: every one reported, with its line,
	 * in one run.
	 */
	rc = check_t(user, "ro.conf", "http_port 127.0.0.1:%PORT%\n"
	    "cache_dir lmdb %DIR%/ro/cache 10\n"
	    "pid_filename %DIR%/ro/sluice.pid\n"
	    "access_log %DIR%/ro/access.log\n"
	    "cache_log %DIR%/missing/deeper/cache.log\n"
	    "http_access allow localhost\n", &out);
	is_int(rc, 1, "-t as %s: paths in a directory it cannot write exit 1",
	    user ? user : "ourselves");
	snprintf(path, sizeof(path), "cache_dir %s/ro/cache: cannot create it "
	    "in %s/ro: Permission denied", h.dir, h.dir);
	like(out, at(want, sizeof(want), "ro.conf", 2, path), "cache_dir: "
	    "FILE:2: cannot create it");
	snprintf(path, sizeof(path), "pid_filename %s/ro/sluice.pid: cannot "
	    "create it in %s/ro", h.dir, h.dir);
	like(out, at(want, sizeof(want), "ro.conf", 3, path), "pid_filename: "
	    "FILE:3: cannot create it");
	snprintf(path, sizeof(path), "access_log %s/ro/access.log: cannot "
	    "create it in %s/ro", h.dir, h.dir);
	like(out, at(want, sizeof(want), "ro.conf", 4, path), "access_log: "
	    "FILE:4: cannot create it");
	snprintf(path, sizeof(path), "cache_log %s/missing/deeper/cache.log: "
	    "directory %s/missing does not exist", h.dir, h.dir);
	like(out, at(want, sizeof(want), "ro.conf", 5, path), "cache_log: "
	    "FILE:5: a directory two levels missing");
	free(out);

	/* The same paths in a directory it can write pass. */
	rc = check_t(user, "w.conf", "http_port 127.0.0.1:%PORT%\n"
	    "cache_dir lmdb %DIR%/w/cache 10\n"
	    "pid_filename %DIR%/w/sluice.pid\n"
	    "access_log %DIR%/w/access.log\n"
	    "cache_log %DIR%/w/logs/cache.log\n"
	    "http_access allow localhost\n", &out);
	is_int(rc, 0, "-t as %s: the same paths in a writable directory pass",
	    user ? user : "ourselves");
	like(out, "is ok", "and -t says the file is ok");
	free(out);

	if (geteuid() == 0)
		root_cases();
	else {
		skip(NROOT + HARNESS_STOP_TESTS, "not root (euid %ld): the "
		    "workers' user differs from the master's only when sluice "
		    "starts as root", (long)geteuid());
	}
	harness_end(&h);
	return exit_status();
}
