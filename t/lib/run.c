/*
 * run.c -- run another program from a test (see run.h).
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "run.h"
#include "tap.h"

int
run_find(const char *name, char *path, size_t size)
{
	const char *env = getenv("PATH"), *p, *e;
	int n;

	if (strchr(name, '/') != NULL) {
		snprintf(path, size, "%s", name);
		return access(path, X_OK) == 0 ? 0 : -1;
	}
	if (env == NULL)
		env = "/usr/local/bin:/usr/bin:/bin";
	for (p = env; *p != '\0'; p = *e ? e + 1 : e) {
		e = strchr(p, ':');
		if (e == NULL)
			e = p + strlen(p);
		n = snprintf(path, size, "%.*s/%s", (int)(e - p), p, name);
		if (n > 0 && (size_t)n < size && access(path, X_OK) == 0)
			return 0;
	}
	return -1;
}

/* Kill and reap what is left of group @p pg (bounded). */
static void
run_group_end(pid_t pg)
{
	int i;

	if (kill(-pg, 0) == -1)
		return;
	(void)kill(-pg, SIGKILL);
	for (i = 0; i < 200 && kill(-pg, 0) == 0; i++) {
		while (waitpid(-pg, NULL, WNOHANG) > 0)
			;
		harness_msleep(10);
	}
	while (waitpid(-pg, NULL, WNOHANG) > 0)
		;
}

/* Fork @p argv in its own group, output to files. @return pid or -1. */
static pid_t
run_fork(const char *const *argv, const char *out, const char *err)
{
	char path[512];
	pid_t pid;
	int ofd, efd;

	if (run_find(argv[0], path, sizeof(path)) == -1) {
		diag("run: %s not found", argv[0]);
		return -1;
	}
	ofd = open(out ? out : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC |
	    O_CLOEXEC, 0644);
	efd = err ? open(err, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644) :
	    -1;
	if (ofd == -1 || (err != NULL && efd == -1)) {
		diag("run: cannot open the output of %s: %s", argv[0],
		    strerror(errno));
		if (ofd != -1)
			close(ofd);
		return -1;
	}
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY);

		(void)setpgid(0, 0);
		if (null != -1)
			(void)dup2(null, 0);
		(void)dup2(ofd, 1);
		(void)dup2(efd != -1 ? efd : ofd, 2);
		(void)signal(SIGPIPE, SIG_DFL);
		execv(path, (char *const *)argv);
		dprintf(2, "run: exec %s: %s\n", path, strerror(errno));
		_exit(127);
	}
	if (pid > 0)
		(void)setpgid(pid, pid);	/* either side may win */
	close(ofd);
	if (efd != -1)
		close(efd);
	return pid;
}

/* Wait for @p pid; after @p timeout_ms SIGTERM, 2 s later SIGKILL. */
static int
run_wait(pid_t pid, const char *name, int timeout_ms, int *status)
{
	pid_t r;
	int waited = 0, termed = 0;

	for (;;) {
		r = waitpid(pid, status, WNOHANG);
		if (r == pid)
			break;
		if (r == -1 && errno != EINTR) {
			*status = -1;
			break;
		}
		if (waited >= timeout_ms && !termed) {
			if (timeout_ms > 0)
				diag("run: %s still running after %d ms: "
				    "SIGTERM", name, timeout_ms);
			(void)kill(-pid, SIGTERM);
			termed = 1;
		} else if (termed && waited >= timeout_ms + 2000) {
			(void)kill(-pid, SIGKILL);
			(void)waitpid(pid, status, 0);
			break;
		}
		harness_msleep(20);
		waited += 20;
	}
	run_group_end(pid);
	return termed;
}

int
run_program(const char *const *argv, const char *out, const char *err,
    int timeout_ms)
{
	pid_t pid;
	int status = 0, termed;

	if ((pid = run_fork(argv, out, err)) == -1)
		return -1;
	termed = run_wait(pid, argv[0], timeout_ms, &status);
	if (termed || status == -1)
		return -1;
	if (WIFSIGNALED(status)) {
		diag("run: %s killed by signal %d", argv[0], WTERMSIG(status));
		return -1;
	}
	return WEXITSTATUS(status);
}

int
run_start(const char *const *argv, const char *out, const char *err)
{
	return (int)run_fork(argv, out, err);
}

int
run_stop(int pid, int grace_ms)
{
	int status = 0;

	(void)kill(-pid, SIGTERM);
	(void)run_wait((pid_t)pid, "server", grace_ms, &status);
	if (status == -1 || WIFSIGNALED(status))
		return -1;
	return WEXITSTATUS(status);
}
