/*
 * install-logrotate.c -- the shipped logrotate snippet works with a
 * running sluice: logrotate renames access.log and cache.log, its
 * postrotate finds the master through the pid file and sends SIGUSR1,
 * and the next lines land in fresh files while the rotated ones keep
 * theirs.  Also: the pid file's directory is made when missing (as
 * /run/sluice is, after a reboot without tmpfiles).
 *
 * Integration test: a real sluice and the real logrotate(8) (skipped,
 * saying so, when it is not installed) reading the snippet make built
 * (etc/logrotate.d/sluice), its paths pointed into the test's temp dir
 * and its "create" owner turned into the user running the test.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "harness.h"
#include "tap.h"

#define NTESTS	10

static const char *const logrotate_paths[] = {
	"/usr/sbin/logrotate", "/sbin/logrotate", "/usr/bin/logrotate", NULL
};

/* @p text with every @p from replaced by @p to (malloc'd). */
static char *
replace(const char *text, const char *from, const char *to)
{
	size_t nf = strlen(from), nt = strlen(to), n = 0;
	const char *p;
	char *out, *q;

	for (p = text; (p = strstr(p, from)) != NULL; p += nf)
		n++;
	out = malloc(strlen(text) + n * (nt + 1) + 1);
	if (out == NULL)
		bail_out("out of memory");
	for (p = text, q = out; *p != '\0'; ) {
		if (nf > 0 && strncmp(p, from, nf) == 0) {
			memcpy(q, to, nt);
			q += nt;
			p += nf;
		} else
			*q++ = *p++;
	}
	*q = '\0';
	return out;
}

/* Run logrotate (bounded: 10 s), output to @p out. @return exit status. */
static int
run_logrotate(const char *prog, const char *state, const char *conf,
    const char *out)
{
	pid_t pid;
	int status, i, fd;

	fflush(stdout);
	pid = fork();
	if (pid == -1)
		return -1;
	if (pid == 0) {
		fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd != -1) {
			(void)dup2(fd, 1);
			(void)dup2(fd, 2);
		}
		execl(prog, prog, "-f", "-s", state, conf, (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 500; i++) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
		harness_msleep(20);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return -1;
}

int
main(void)
{
	struct harness h;
	struct client_resp r;
	struct passwd *pw, *owner;
	struct group *gr;
	struct stat st;
	const char *prog = NULL, *build, *lsd, *rsd, *user, *group;
	char path[600], from[600], to[600], conf[600], state[600], out[600];
	char rotated[600], *text, *t1, *t2, *t3, *t4, *line;
	char create_from[300], create_to[300], url[128];
	FILE *fp;
	int i;

	plan(NTESTS + HARNESS_STOP_TESTS + HARNESS_END_TESTS);
	for (i = 0; logrotate_paths[i] != NULL; i++)
		if (access(logrotate_paths[i], X_OK) == 0) {
			prog = logrotate_paths[i];
			break;
		}
	if (prog == NULL) {
		skip(NTESTS + HARNESS_STOP_TESTS + HARNESS_END_TESTS,
		    "logrotate is not installed (Debian package logrotate)");
		return exit_status();
	}
	build = getenv("SLUICE_BUILDDIR");
	lsd = getenv("localstatedir");
	rsd = getenv("runstatedir");
	user = getenv("SLUICE_USER");
	group = getenv("SLUICE_GROUP");
	if (build == NULL || lsd == NULL || rsd == NULL || user == NULL ||
	    group == NULL)
		bail_out("SLUICE_BUILDDIR, localstatedir, runstatedir, "
		    "SLUICE_USER, SLUICE_GROUP must be set (make check)");
	pw = getpwuid(getuid());
	gr = getgrgid(getgid());
	if (pw == NULL || gr == NULL)
		bail_out("who am I?");

	harness_init(&h, 1);
	/* The pid file in a directory nobody made yet. */
	harness_conf(&h, "pid_filename %DIR%/run/sluice.pid\n"
	    "http_access deny all\n");
	if (harness_start(&h) == -1)
		bail_out("sluice did not start");
	snprintf(path, sizeof(path), "%s/run/sluice.pid", h.dir);
	text = harness_file_read(path, NULL);
	ok(text != NULL && atol(text) == (long)h.pid, "the pid file's "
	    "directory was made and the file holds the master's pid");
	free(text);
	snprintf(path, sizeof(path), "%s/run", h.dir);
	ok(stat(path, &st) == 0 && (st.st_mode & 07777) == 0755 &&
	    st.st_uid == getuid(), "that directory is 0755 and the "
	    "master's user's");

	/* The snippet make built, pointed into the temp dir. */
	snprintf(path, sizeof(path), "%s/etc/logrotate.d/sluice", build);
	text = harness_file_read(path, NULL);
	if (text == NULL)
		bail_out("cannot read %s", path);
	snprintf(from, sizeof(from), "%s/log/sluice/", lsd);
	snprintf(to, sizeof(to), "%s/", h.dir);
	t1 = replace(text, from, to);
	snprintf(from, sizeof(from), "%s/sluice/sluice.pid", rsd);
	snprintf(to, sizeof(to), "%s/run/sluice.pid", h.dir);
	t2 = replace(t1, from, to);
	snprintf(create_from, sizeof(create_from), "create 0640 %s %s", user,
	    group);
	snprintf(create_to, sizeof(create_to), "create 0640 %s %s",
	    pw->pw_name, gr->gr_name);
	t3 = replace(t2, create_from, create_to);
	t4 = strstr(t3, create_to);
	if (strstr(t3, h.dir) == NULL || t4 == NULL)
		bail_out("the snippet did not have the expected paths and "
		    "create line:\n%s", text);
	snprintf(conf, sizeof(conf), "%s/logrotate.conf", h.dir);
	snprintf(state, sizeof(state), "%s/logrotate.state", h.dir);
	snprintf(out, sizeof(out), "%s/logrotate.out", h.dir);
	if ((fp = fopen(conf, "w")) == NULL || fputs(t3, fp) == EOF ||
	    fclose(fp) == EOF)
		bail_out("cannot write %s", conf);
	chmod(conf, 0644);
	free(text);
	free(t1);
	free(t2);
	free(t3);

	/* One line before the rotation. */
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/before",
	    harness_free_port());
	client_get(h.port[0], url, &r);
	client_resp_free(&r);
	line = harness_log_wait(&h, "/before", NULL);
	ok(line != NULL, "a request before the rotation is logged");
	free(line);

	i = run_logrotate(prog, state, conf, out);
	if (!is_int(i, 0, "logrotate -f with the shipped snippet exits 0"))
		diag("%s", (text = harness_file_read(out, NULL)) ? text : "");
	snprintf(rotated, sizeof(rotated), "%s.1", h.access_log);
	is_int(harness_file_count(rotated, "/before"), 1,
	    "access.log.1 holds the line from before");
	snprintf(path, sizeof(path), "%s.1", h.cache_log);
	ok(access(path, F_OK) == 0, "cache.log was rotated too");
	line = harness_file_wait(h.cache_log, 5000, "log files reopened",
	    NULL);
	ok(line != NULL, "postrotate's SIGUSR1 reached the master: the new "
	    "cache.log says \"log files reopened\"");
	free(line);

	/* The worker reopened too: the next line is in the new file. */
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/after",
	    harness_free_port());
	client_get(h.port[0], url, &r);
	client_resp_free(&r);
	line = harness_log_wait(&h, "/after", NULL);
	ok(line != NULL, "a request after the rotation is in the new "
	    "access.log");
	free(line);
	is_int(harness_file_count(rotated, NULL), 1,
	    "and access.log.1 still holds one line");
	/* sluice gives it to the workers' user (as root: nobody here). */
	owner = geteuid() == 0 ? getpwnam("nobody") : getpwuid(getuid());
	ok(owner != NULL && stat(h.access_log, &st) == 0 &&
	    (st.st_mode & 07777) == 0640 && st.st_uid == owner->pw_uid,
	    "the new access.log is 0640 and the workers' user's (%s)",
	    owner != NULL ? owner->pw_name : "?");

	harness_stop(&h);
	harness_end(&h);
	return exit_status();
}
