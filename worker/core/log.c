/*
 * log.c -- the cache_log writer (see log.h).
 *
 * Runs in every process: the master before and after fork, the workers
 * and the cache manager.  A line is
 *
 *	YYYY/MM/DD HH:MM:SS [level] PID: message\n
 *
 * built in a stack buffer (truncated to LOG_LINE_MAX bytes, always
 * ending in '\n') and written with one write(2) per destination, so that
 * lines from several processes sharing one O_APPEND file never interleave.
 * No stdio buffering: nothing is lost at fork() or _exit().
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

#define LOG_LINE_MAX	2048

static int		 log_file_fd = -1;	/* cache_log, or -1 */
static char		*log_path;		/* its path, for log_reopen() */
static int		 log_to_stderr;
static enum log_level	 log_level = LOG_LVL_INFO;

/* nginx's level names, indexed by enum log_level. */
static const char *const log_level_names[] = {
	"emerg", "alert", "crit", "error", "warn", "notice", "info", "debug"
};

static int
log_file_open(const char *path)
{
	return open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
}

int
log_open(const char *path, int to_stderr)
{
	char *p;
	int fd;

	if (path == NULL) {
		if (log_file_fd != -1)
			close(log_file_fd);
		free(log_path);
		log_file_fd = -1;
		log_path = NULL;
		log_to_stderr = to_stderr;
		return 0;
	}
	/* Open the new file first: on failure the old destination stays. */
	if ((fd = log_file_open(path)) == -1)
		return -1;
	if ((p = strdup(path)) == NULL) {
		close(fd);
		errno = ENOMEM;
		return -1;
	}
	if (log_file_fd != -1)
		close(log_file_fd);
	free(log_path);
	log_file_fd = fd;
	log_path = p;
	log_to_stderr = to_stderr;
	return 0;
}

int
log_reopen(void)
{
	int fd, saved;

	if (log_path == NULL)
		return 0;
	if ((fd = log_file_open(log_path)) == -1)
		return -1;
	if (log_file_fd == -1) {
		log_file_fd = fd;
		return 0;
	}
	/*
	 * Keep the fd number: it may have been handed to fchown() or listed
	 * as inherited.  dup2() clears FD_CLOEXEC, so set it again.
	 */
	if (dup2(fd, log_file_fd) == -1) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	close(fd);
	(void)fcntl(log_file_fd, F_SETFD, FD_CLOEXEC);
	return 0;
}

int
log_fd(void)
{
	return log_file_fd;
}

void
log_set_level(enum log_level lvl)
{
	log_level = lvl;
}

/* Append what fits of a formatted string; returns the new length. */
static size_t
log_buf_vadd(char *buf, size_t len, size_t size, const char *fmt, va_list ap)
{
	int n;

	if (len >= size)
		return len;
	n = vsnprintf(buf + len, size - len, fmt, ap);
	if (n < 0)
		return len;
	if ((size_t)n >= size - len)
		return size - 1;	/* truncated; vsnprintf left a NUL */
	return len + (size_t)n;
}

static size_t
log_buf_add(char *buf, size_t len, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	len = log_buf_vadd(buf, len, size, fmt, ap);
	va_end(ap);
	return len;
}

void
log_vwrite(enum log_level lvl, int with_errno, const char *fmt, va_list ap)
{
	char buf[LOG_LINE_MAX];
	struct tm tm;
	time_t now;
	size_t len;
	int saved;

	saved = errno;
	if (lvl > log_level)
		return;
	if ((unsigned)lvl > LOG_LVL_DEBUG)
		lvl = LOG_LVL_DEBUG;

	now = time(NULL);
	if (localtime_r(&now, &tm) == NULL)
		memset(&tm, 0, sizeof(tm));
	/* Leave one byte for the '\n' that ends every line. */
	len = strftime(buf, sizeof(buf) - 1, "%Y/%m/%d %H:%M:%S", &tm);
	len = log_buf_add(buf, len, sizeof(buf) - 1, " [%s] %ld: ",
	    log_level_names[lvl], (long)getpid());
	len = log_buf_vadd(buf, len, sizeof(buf) - 1, fmt, ap);
	if (with_errno)
		len = log_buf_add(buf, len, sizeof(buf) - 1, ": %s",
		    strerror(saved));
	buf[len++] = '\n';

	/* A failed log write has nowhere to be reported: ignore it. */
	if (log_file_fd != -1)
		(void)!write(log_file_fd, buf, len);
	if (log_to_stderr || log_file_fd == -1)
		(void)!write(STDERR_FILENO, buf, len);
	errno = saved;
}

#define LOG_FUNC(fn, lvl, with_errno)					\
void									\
fn(const char *fmt, ...)						\
{									\
	va_list ap;							\
									\
	va_start(ap, fmt);						\
	log_vwrite(lvl, with_errno, fmt, ap);				\
	va_end(ap);							\
}

LOG_FUNC(log_emerg, LOG_LVL_EMERG, 0)
LOG_FUNC(log_alert, LOG_LVL_ALERT, 0)
LOG_FUNC(log_crit, LOG_LVL_CRIT, 0)
LOG_FUNC(log_warn, LOG_LVL_ERR, 1)
LOG_FUNC(log_warnx, LOG_LVL_WARN, 0)
LOG_FUNC(log_notice, LOG_LVL_NOTICE, 0)
LOG_FUNC(log_info, LOG_LVL_INFO, 0)
LOG_FUNC(log_debug, LOG_LVL_DEBUG, 0)

void
log_conf_error(const char *file, int line, int *nerrors, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_warnx("%s:%d: %s", file, line, msg);
	(*nerrors)++;
}

void
fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(LOG_LVL_EMERG, 1, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(LOG_LVL_EMERG, 0, fmt, ap);
	va_end(ap);
	exit(1);
}
