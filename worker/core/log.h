/*
 * log.h -- the cache_log API (errors and process events).
 *
 * Used by every process: the master before and after fork, the workers.
 * Modelled on OpenBSD's log.c: a handful of calls, one line per event,
 * nginx's level names.  A line looks like
 *
 *	2026/11/25 00:31:40 [notice] 1234: worker 1 started
 *
 * Caveats:
 *  - Lines at [alert] and above mean a bug or a broken host; the test
 *    harness treats one as a failure.
 *  - fatal()/fatalx() exit the process: allowed only in the master
 *    before it forks (and in a child before it serves traffic).
 *  - Modules below the worker (acl, cache, core) never log per-request
 *    errors; they return a code and the calling step logs it once.
 */
#ifndef SLUICE_LOG_H
#define SLUICE_LOG_H

#include <stdarg.h>

enum log_level {
	LOG_LVL_EMERG, LOG_LVL_ALERT, LOG_LVL_CRIT, LOG_LVL_ERR,
	LOG_LVL_WARN, LOG_LVL_NOTICE, LOG_LVL_INFO, LOG_LVL_DEBUG
};

/**
 * @brief Set where lines go.
 * @param[in] path  cache_log file (opened O_APPEND, created 0640), or NULL.
 * @param[in] to_stderr  also write every line to stderr (-d).
 * @return 0, or -1 with errno set when @p path cannot be opened (the
 *	previous destination is kept).
 */
int	log_open(const char *path, int to_stderr);
/** @brief Reopen the current file (SIGUSR1, logrotate). @return as log_open(). */
int	log_reopen(void);
/** @brief The fd lines are written to, or -1 (for fchown before a privilege drop). */
int	log_fd(void);
/** @brief Lines above @p lvl are dropped (default LOG_LVL_INFO). */
void	log_set_level(enum log_level lvl);

void	log_emerg(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_alert(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_crit(const char *, ...) __attribute__((format(printf, 1, 2)));
/** @brief [error] line ending with ": strerror(errno)". */
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
/** @brief [warn] line without errno. */
void	log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_notice(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_vwrite(enum log_level, int with_errno, const char *, va_list);
/**
 * @brief A configuration error: "FILE:LINE: message" as a [warn] line,
 *	and one more in *@p nerrors (every parser of a config file counts
 *	its errors and refuses the file when there are any).
 */
void	log_conf_error(const char *file, int line, int *nerrors,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/** @brief [emerg] line with strerror(errno), then exit(1). */
void	fatal(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));
/** @brief [emerg] line, then exit(1). */
void	fatalx(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
