/*
 * tap.h -- Test Anything Protocol output for the C tests in t/.
 *
 * Run by automake's tap-driver.sh from `make check`.  Each test states the
 * behaviour it proves in its description:
 *
 *	plan(2);
 *	ok(rc == 0, "config with two http_port lines loads");
 *	is_int(status, 403, "CONNECT to port 25 is denied (403)");
 *	return exit_status();
 *
 * Caveats:
 *  - Not thread-safe: call it from the test's main thread only.
 *  - bail_out() ends the process at once; use it when going on makes no sense.
 */
#ifndef SLUICE_TAP_H
#define SLUICE_TAP_H

/** @brief Announce @p n tests (print "1..n"). */
void	plan(int n);
/** @return @p cond; prints "ok N - desc" or "not ok N - desc". */
int	ok(int cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/** @brief ok(got == want), with both values in a diagnostic on failure. */
int	is_int(long long got, long long want, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/** @brief ok(strcmp(got, want) == 0); NULL equals only NULL. */
int	is_str(const char *got, const char *want, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/** @brief ok(strstr(got, want) != NULL). */
int	like(const char *got, const char *want, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/** @brief ok(got == NULL || strstr(got, want) == NULL). */
int	unlike(const char *got, const char *want, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/** @brief "# ..." diagnostic line (stdout, so the driver keeps it in the log). */
void	diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/** @brief Count @p n tests as skipped, with the reason. */
void	skip(int n, const char *why, ...) __attribute__((format(printf, 2, 3)));
/** @brief "Bail out! reason" and exit(255). */
void	bail_out(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
/** @return 0 when every planned test ran and passed, 1 otherwise. */
int	exit_status(void);

#endif
