/*
 * proc.c -- daemonizing, pid file, log file ownership (see proc.h).
 * Runs in the master.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "proc.h"

int
proc_daemonize(void)
{
	pid_t pid;
	int fd;

	pid = fork();
	if (pid == -1)
		return -1;
	if (pid > 0)
		_exit(0);
	if (setsid() == -1)
		return -1;
	if (chdir("/") == -1)
		return -1;
	fd = open("/dev/null", O_RDWR);
	if (fd == -1)
		return -1;
	dup2(fd, 0);
	dup2(fd, 1);
	dup2(fd, 2);
	if (fd > 2)
		close(fd);
	return 0;
}

int
proc_pidfile_check(const char *path)
{
	char buf[32];
	long pid;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -1)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	pid = strtol(buf, NULL, 10);
	if (pid > 1 && pid != (long)getpid() && kill((pid_t)pid, 0) == 0) {
		log_warnx("pid_filename %s: sluice is already running as pid %ld",
		    path, pid);
		return -1;
	}
	return 0;
}

/*
 * The pid file's own directory (/run/sluice), made when missing: it
 * belongs to the master's user, never to cache_effective_user, so that a
 * worker cannot point a root `kill` (logrotate) at another process.
 */
static int
proc_pidfile_mkdir(const char *path)
{
	char dir[PATH_MAX], *slash;

	if (strlen(path) >= sizeof(dir))
		return -1;
	strcpy(dir, path);
	slash = strrchr(dir, '/');
	if (slash == NULL || slash == dir)
		return -1;
	*slash = '\0';
	if (mkdir(dir, 0755) == -1 && errno != EEXIST)
		return -1;
	return 0;
}

int
proc_pidfile_write(const char *path)
{
	char buf[32];
	ssize_t n;
	int fd;

	if (proc_pidfile_check(path) == -1)
		return -1;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd == -1 && errno == ENOENT && proc_pidfile_mkdir(path) == 0)
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd == -1) {
		log_warn("pid_filename %s", path);
		return -1;
	}
	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (write(fd, buf, (size_t)n) != n) {
		log_warn("pid_filename %s", path);
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

void
proc_pidfile_remove(const char *path)
{
	char buf[32];
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -1)
		return;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	if (strtol(buf, NULL, 10) == (long)getpid())
		unlink(path);
}

int
proc_prepare_file(const char *path, const char *user)
{
	struct passwd *pw = NULL;
	char dir[PATH_MAX], *slash;
	struct stat st;
	int fd;

	if (geteuid() == 0) {
		pw = getpwnam(user ? user : "nobody");
		if (pw == NULL) {
			errno = ENOENT;
			return -1;
		}
	}
	if (strlen(path) >= sizeof(dir)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(dir, path);
	slash = strrchr(dir, '/');
	if (slash != NULL && slash != dir) {
		*slash = '\0';
		if (stat(dir, &st) == -1) {
			if (errno != ENOENT || mkdir(dir, 0755) == -1)
				return -1;
			if (pw != NULL && chown(dir, pw->pw_uid, pw->pw_gid) == -1)
				return -1;
		}
	}
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (fd == -1)
		return -1;
	if (pw != NULL && fchown(fd, pw->pw_uid, pw->pw_gid) == -1) {
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}
