/*
 * auth.h -- proxy authentication (Basic, RFC 7617 / RFC 9110 §11.7)
 * through squid-style helper processes.
 *
 * Runs in the workers.  auth_init() starts the helpers of `auth_param
 * basic program` after the worker dropped its privileges; they live as
 * long as the worker and talk to it over one socketpair each, registered
 * in the worker's event loop (non-blocking both ways).  The protocol is
 * squid's: a request line "user password\n" (both rfc1738 %XX escaped),
 * a reply "OK[ key=value...]", "ERR[ key=value...]" or "BH[ ...]"; with
 * concurrency=N each line starts with a channel id ("7 user pass" ->
 * "7 OK").  PATH `basic_file` is built in: the worker forks a child (no
 * exec) that checks an htpasswd file with crypt(3) (see auth_file.c), so
 * the cost of bcrypt never blocks the event loop.
 *
 * A credentials check (auth_check()) is answered from the per-worker
 * cache when the same user and password passed less than credentialsttl
 * ago (the cache keeps a salted SHA-256 of user and password, never the
 * password), else it is queued for a helper and its callback runs later
 * from the loop.  Failed checks are not cached.
 *
 * Caveats:
 *  - A helper that dies is restarted with a back-off (100 ms doubling to
 *    10 s, reset after 10 s of life); what it had in flight is retried
 *    once on another helper.  A helper that does not answer within
 *    `auth_param basic timeout` (sluice extension, default 10 seconds) is
 *    killed; its requests get AUTH_UNAVAIL.  With no helper alive, checks
 *    fail with AUTH_UNAVAIL at once instead of waiting.
 *  - The queue is bounded (AUTH_QUEUE_MAX per worker): beyond it
 *    auth_check() answers AUTH_UNAVAIL.
 *  - Call auth_reap() on SIGCHLD: the worker's only children are helpers.
 *  - The callback never runs from inside auth_check().
 */
#ifndef SLUICE_AUTH_H
#define SLUICE_AUTH_H

#include <stddef.h>

struct conf;
struct auth_query;

/** Results of a credentials check. */
enum auth_result {
	AUTH_OK = 0,		/* the helper said OK (or the cache did) */
	AUTH_FAIL,		/* the helper said ERR: wrong credentials */
	AUTH_UNAVAIL,		/* no answer could be had: 503 */
	AUTH_PENDING		/* auth_check(): the callback will tell */
};

/** Called from the loop when a pending check ends; @p r is OK, FAIL or UNAVAIL. */
typedef void auth_done_f(void *arg, enum auth_result r);

/**
 * @brief Start the helpers of @p c (nothing when no program is set).
 *	Call once in the worker, after privileges were dropped and
 *	ev_init().
 * @return 0, or -1 (logged).
 * @note Partner: auth_shutdown().
 */
int	auth_init(const struct conf *c);
/** @brief Nonzero when `auth_param basic program` is configured. */
int	auth_enabled(void);
/** @brief The realm for Proxy-Authenticate. */
const char *auth_realm(void);

/**
 * @brief Decode the value of a Proxy-Authorization field
 *	("Basic base64(user:password)", RFC 7617 §2).
 * @param[out] user, pass  NUL-terminated, at most 255 bytes each.
 * @return 0, or -1 (not Basic, bad base64, no colon, too long, a control
 *	character in the user name).
 * @note The caller wipes @p pass (explicit_bzero) once done with it.
 */
int	auth_basic_decode(const char *v, size_t n, char *user, size_t usz,
	    char *pass, size_t psz);

/**
 * @brief Check @p user and @p pass.  casesensitive off lower-cases
 *	@p user in place first (squid's behaviour).
 * @param[out] q  for AUTH_PENDING: the handle for auth_cancel().
 * @return AUTH_OK or AUTH_UNAVAIL at once (cache hit, no helper), or
 *	AUTH_PENDING: @p cb(@p arg, result) runs later unless cancelled.
 * @note @p pass is not kept beyond the helper write; @p user is copied.
 */
enum auth_result auth_check(char *user, const char *pass, auth_done_f *cb,
	    void *arg, struct auth_query **q);
/** @brief Forget a pending check: its callback will not run.  NULL is ignored. */
void	auth_cancel(struct auth_query *q);

/** @brief Reap dead helpers (waitpid WNOHANG); call on SIGCHLD. */
void	auth_reap(void);
/** @brief Stop every helper (end of the worker). */
void	auth_shutdown(void);

/**
 * @brief The built-in basic_file helper: answer squid helper lines on
 *	fds 0/1 from the htpasswd file @p path until EOF.  Runs in its own
 *	process (blocking I/O is fine there).
 * @param[in] concurrency  nonzero: lines carry channel ids.
 * @return the exit status.
 */
int	auth_file_main(const char *path, int concurrency);

#endif
