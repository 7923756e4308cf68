/*
 * harness.h -- run a real sluice for an integration test.
 *
 * Runs in the test process (main thread only: it reports through tap.h).
 * A test owns one struct harness per sluice it starts:
 *
 *	struct harness h;
 *
 *	harness_init(&h, 1);			temp dir, free loopback ports
 *	harness_set(&h, "ORIGIN", "%d", origin_port(o));
 *	harness_conf(&h, "http_access allow localhost\n");
 *	if (harness_start(&h) == -1)
 *		bail_out("sluice did not start");
 *	...					requests, assertions
 *	harness_stop(&h);			HARNESS_STOP_TESTS assertions
 *	harness_end(&h);			HARNESS_END_TESTS assertions
 *
 * The configuration is a base written by the harness (http_port on
 * %PORT%, pid_filename, access_log, cache_log, visible_hostname, workers 1,
 * short timeouts) followed by the test's snippet.  A base directive is left
 * out when the snippet sets it (a line starting with its name).  In the
 * snippet, %PORT% is the first port, %PORT1%..%PORT7% the others, %DIR%
 * the temp dir, and %NAME% any variable set with harness_set().  A snippet
 * with its own http_port lines must listen on 127.0.0.1:%PORT% among them:
 * readiness is checked on that port.
 *
 * Files in the temp dir: sluice.conf, stderr.log (sluice's stdout and
 * stderr), cache.log, access.log, sluice.pid.
 *
 * Implicit end checks, as nginx-tests' DESTROY does: harness_stop() or
 * harness_wait_exit() assert that the master exited with status 0 and that
 * every process seen (master and workers) is gone; harness_end() asserts
 * that no "[emerg]", "[alert]", "[crit]" line and no sanitizer report is in
 * stderr.log, cache.log or the output of harness_exec() runs (the severity
 * part is skipped when the test set expect_alert).
 *
 * Knobs (environment): SLUICE_BINARY (absolute path of the binary; default
 * "./sluice"), SLUICE_TEST_LEAVE=1 (keep the temp dir), SLUICE_TEST_VERBOSE=1
 * (echo sluice's logs as TAP diagnostics at harness_end()).
 *
 * Caveats:
 *  - The test process becomes a child subreaper (PR_SET_CHILD_SUBREAPER) so
 *    that workers orphaned by a dying master are reaped here, not left as
 *    zombies of a container's init.
 *  - SIGPIPE is ignored in the test process from harness_init() on.
 *  - Only processes the harness started are signalled, always by PID.  If
 *    the test exits early (bail_out), an atexit hook kills them and removes
 *    the temp dir.
 *  - Every wait is bounded; nothing here asserts on timing.
 */
#ifndef SLUICE_HARNESS_H
#define SLUICE_HARNESS_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#define HARNESS_MAX_PORTS	8
#define HARNESS_MAX_PIDS	128
#define HARNESS_MAX_VARS	16

/** Assertions made by harness_stop() and harness_wait_exit(). */
#define HARNESS_STOP_TESTS	2
/** Assertions made by harness_end(). */
#define HARNESS_END_TESTS	1

struct harness_var {
	char		 name[32];
	char		 value[256];
};

/*
 * Members are read-only for tests except expect_alert and workers, which a
 * test may set before harness_start().
 */
struct harness {
	char		 dir[256];	/* temp dir, mode 0755 */
	char		 conf[300];	/* DIR/sluice.conf */
	char		 access_log[300];
	char		 cache_log[300];
	char		 stderr_log[300];
	const char	*binary;	/* SLUICE_BINARY */
	int		 port[HARNESS_MAX_PORTS];	/* port[0] is %PORT% */
	int		 nports;
	int		 workers;	/* workers to wait for at start */
	int		 expect_alert;	/* [alert]/[crit] lines are expected */
	pid_t		 pid;		/* the master, 0 when not running */
	int		 status;	/* wait status of the master */
	int		 exited;	/* the master was reaped */
	pid_t		 seen[HARNESS_MAX_PIDS];	/* every pid observed */
	int		 nseen;
	struct harness_var var[HARNESS_MAX_VARS];
	int		 nvar;
	int		 verbose;
	int		 leave;
	int		 nexec;		/* harness_exec() output files */
	char		 binary_copy[300];	/* for harness_exec_user() */
};

/**
 * @brief Make the temp dir and reserve @p nports free loopback ports.
 * Bails out when the dir or the ports cannot be had.
 * @param[out] h  zeroed and filled in.
 * @param[in] nports  1..HARNESS_MAX_PORTS.
 * @note Partner: harness_end().
 */
void	harness_init(struct harness *h, int nports);

/**
 * @brief Define %NAME% for the snippets given to harness_conf().
 * @param[in] name  without the percent signs.
 */
void	harness_set(struct harness *h, const char *name, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

/**
 * @brief Write DIR/sluice.conf: the base directives, then @p snippet, both
 * with placeholders replaced.  Sets h->workers from a "workers N" line.
 * @return 0, or -1 when the file cannot be written (diagnosed).
 */
int	harness_conf(struct harness *h, const char *snippet);

/**
 * @brief Write @p text (placeholders replaced, no base) to DIR/@p name.
 * @param[out] path  when not NULL, receives the full path (300 bytes).
 * @return 0, or -1 (diagnosed).
 */
int	harness_write(struct harness *h, const char *name, const char *text,
	    char *path);

/**
 * @brief Copy the program @p src into the temp dir, mode 0755, under its
 * own base name.  Helpers sluice's workers run (auth_param program) must
 * be reachable by the workers' user, nobody when the test runs as root,
 * and a build tree under a 0700 home (/root) is not: run the copy.
 * @param[out] path  when not NULL, receives the copy's path (300 bytes).
 * @return 0, or -1 (diagnosed).
 */
int	harness_copy_program(struct harness *h, const char *src, char *path);

/**
 * @brief Start `SLUICE_BINARY -d -f DIR/sluice.conf` and wait until the
 * port accepts connections and h->workers workers run.
 * @return 0 ready; -1 the master exited or was not ready in time (then it
 * is stopped; diagnosed with the tail of stderr.log).
 * @note Partner: harness_stop().
 */
int	harness_start(struct harness *h);

/**
 * @brief Run `SLUICE_BINARY ARGS...` to completion (bounded: 10 s, then
 * SIGTERM, then SIGKILL) with stdout and stderr captured.
 * @param[in] args  NULL-terminated, without the program name.
 * @param[out] out  when not NULL, the output (free()).
 * @return the exit status, or -1 when it was killed by a signal or did not
 * start.
 */
int	harness_exec(struct harness *h, const char *const *args, char **out);

/**
 * @brief harness_exec() as @p user (the test must be root to switch):
 * e.g. `sluice -t` as an unprivileged user.  It runs a copy of the binary
 * in the temp dir (0755), which that user can reach wherever the build
 * tree is, and can read what the test wrote there.
 * @param[in] user  a user name, or NULL for the test's own identity.
 */
int	harness_exec_user(struct harness *h, const char *user,
	    const char *const *args, char **out);

/** @brief Send @p sig to the master (by PID). @return 0, or -1 not running. */
int	harness_signal(struct harness *h, int sig);

/**
 * @brief The master's current workers: its children whose name
 * (/proc/PID/comm) contains "worker", or that are not renamed yet.
 * Each pid found is remembered for the end check.
 * @param[out] pids  up to @p max pids.
 * @return the number of workers (may exceed @p max), -1 not running.
 */
int	harness_workers(struct harness *h, pid_t *pids, int max);

/**
 * @brief Poll (bounded by @p ms) until exactly @p n workers run, none of
 * them in @p gone[0..ngone).
 * @return 1 reached, 0 not within @p ms.
 */
int	harness_wait_workers(struct harness *h, int n, const pid_t *gone,
	    int ngone, int ms);

/**
 * @brief SIGTERM the master, then harness_wait_exit().
 * Makes HARNESS_STOP_TESTS assertions.
 */
void	harness_stop(struct harness *h);

/**
 * @brief Wait (bounded, 15 s, then SIGKILL) for the master, already
 * signalled, to exit; assert exit status 0 and that every pid seen is gone
 * (HARNESS_STOP_TESTS assertions).
 * @return the master's exit status, -1 killed by a signal.
 */
int	harness_wait_exit(struct harness *h);

/**
 * @brief Check the logs (HARNESS_END_TESTS assertions), echo them when
 * verbose, kill anything left, remove the temp dir unless SLUICE_TEST_LEAVE.
 */
void	harness_end(struct harness *h);

/**
 * @brief Read a whole file.
 * @param[out] len  when not NULL, its length.
 * @return a NUL-terminated malloc'd copy (free()), or NULL.
 */
char	*harness_file_read(const char *path, size_t *len);

/**
 * @brief Poll @p path (every 20 ms, bounded by @p ms) for a line holding
 * every string of the NULL-terminated list.
 * @return that line, malloc'd without its newline (free()), or NULL.
 */
char	*harness_file_wait(const char *path, int ms, ...)
	    __attribute__((sentinel));

/**
 * @brief harness_file_wait() on the access log with a 2 s bound.
 */
char	*harness_log_wait(struct harness *h, ...) __attribute__((sentinel));

/**
 * @brief Lines of @p path that hold @p needle (every line when NULL).
 * @return the count, 0 when the file is missing.
 */
int	harness_file_count(const char *path, const char *needle);

/**
 * @brief Field @p n (from 0) of a whitespace-separated line; in the Squid
 * access log: 0 time, 1 elapsed, 2 client, 3 code/status, 4 bytes,
 * 5 method, 6 URL, 7 user, 8 hierarchy/peer, 9 content type.
 * @return @p buf, or NULL when the line has fewer fields.
 */
char	*harness_field(const char *line, int n, char *buf, size_t size);

/**
 * @brief Poll @p path (every 20 ms, bounded by @p ms) until at least @p n
 * lines hold @p needle: log lines are written after the response's last
 * byte, so a count taken at once can be short by one.
 * @return the last count seen.
 */
int	harness_file_wait_count(const char *path, const char *needle, int n,
	    int ms);

/** @brief A loopback port that nobody listens on (bound, then closed). */
int	harness_free_port(void);

/** @brief Sleep @p ms milliseconds (for pacing polls, never as a check). */
void	harness_msleep(int ms);

/**
 * @brief The test byte pattern: byte @p off of an endless stream with no
 * short period, so a shifted, dropped or repeated block shows.
 * @param[out] p  receives bytes off..off+n-1.
 */
void	harness_pattern(void *p, uint64_t off, size_t n);

/** @brief FNV-1a 64 over @p n bytes, chained through @p h (start with 0). */
uint64_t harness_hash(uint64_t h, const void *p, size_t n);

/** @brief harness_hash() of the first @p n pattern bytes. */
uint64_t harness_pattern_hash(size_t n);

#endif
