/*
 * accesslog.h -- the access logs: squid.conf's `logformat` and
 * `access_log`, one line per request in every log whose acls match.
 *
 *	logformat NAME FORMAT			(accesslog_fmt.h: the % codes)
 *	access_log PATH|stdio:PATH [FORMAT] [logformat=FORMAT] [acl...]
 *	access_log syslog[:FACILITY[.PRIORITY]] [FORMAT] [socket=PATH] [acl...]
 *	access_log none [acl...]
 *
 * Logs are tried in the order written.  A log with acls takes the lines
 * of the requests its acls all match (evaluated as an http_access rule's
 * operands, allocation-free); `none` ends the list for the requests its
 * acls match (no acls: for every request), as in Squid.  FORMAT is a
 * built-in (squid, the default; common, combined, referrer, useragent,
 * json) or a logformat NAME defined anywhere in the file.  syslog sends
 * each line as one datagram ("<PRI>Mmm dd hh:mm:ss sluice[PID]: line",
 * RFC 3164 as syslog(3) writes it) to /dev/log or the socket= PATH
 * (sluice's option), facility local4 and priority info unless given.
 * Without any access_log line nothing is logged.
 *
 * Processes: the master compiles the lines (accesslog_compile(), errors
 * as "file:line: message"), creates the files owned by the workers' user
 * before forking and on SIGUSR1 (accesslog_file()).  Each worker opens its
 * own descriptors (accesslog_open(), as root, before the privilege drop),
 * reopens regular files by path on SIGUSR1 and closes them at exit.
 *
 * Batching: the lines of a file log collect in a per-worker buffer
 * (ACCESSLOG_BUF bytes) and go out in one write(2) at the end of each
 * event-loop turn (ev_before_wait()), when the buffer cannot take another
 * line, before a reopen and at exit.  A write holds whole lines only; with
 * O_APPEND, lines of several workers never interleave in a regular file.
 * A pipe or other non-regular file is written without blocking, in
 * chunks of at most PIPE_BUF bytes (atomic there) that end at a line end
 * (a single line above PIPE_BUF goes alone, and only it could be split by
 * another writer's); when the pipe is full, lines wait in the buffer (a
 * retry within a second) and, once that is full too, are dropped and
 * counted.  A pipe or device path (/dev/stdout) is neither chowned by the
 * master nor reopened on SIGUSR1.
 *
 * Capture: header codes (%{Name}>h ...) need values that are gone by the
 * time the line is made (the request head's bytes are consumed).  The
 * request step and the response steps each call one hook, which copies
 * just the fields the configured formats name into the request arena:
 *	accesslog_capture_request()	req.c, req_step_parse()
 *	accesslog_capture_reply()	upstream.c, upstream_response() (the
 *					origin's head) and cache_req.c,
 *					cache_serve() (the head served)
 * Both return at once when no format needs them.
 *
 * Caveats:
 *  - A worker that dies loses the lines of its current loop turn.
 *  - Lines that cannot be written (disk full, syslog gone) are dropped;
 *    the first failure is logged, and the count when it works again.
 *  - The squid format is Squid's ten fields exactly: which rule denied a
 *    request is in cache_log (info) and in the %sluice::rule code.
 */
#ifndef SLUICE_ACCESSLOG_H
#define SLUICE_ACCESSLOG_H

#include <stddef.h>

#define ACCESSLOG_BUF		(64 * 1024)	/* per file log and worker */

struct conf;
struct conn;
struct http_head;
struct accesslog_conf;		/* compiled, in struct conf */

/**
 * @brief Compile the logformat and access_log lines of @p c into
 *	c->accesslog (NULL when there is no access_log line).  Runs in the
 *	master, after acl_set_compile() (acls are looked up).
 * @return 0, or -1 after every error was logged as "file:line: message".
 * @note Partner: accesslog_free().
 */
int	accesslog_compile(struct conf *c);
/** @brief Free c->accesslog and set it to NULL. */
void	accesslog_free(struct conf *c);
/**
 * @brief The path of the @p i-th file log (0-based) the master creates
 *	and chowns: a regular file, or a path that does not exist yet (a
 *	pipe or a device such as /dev/stdout is skipped).
 * @return the path, or NULL past the last one.
 */
const char *accesslog_file(const struct conf *c, size_t i);

/**
 * @brief Open every log of @p c in this worker (files, syslog sockets)
 *	and hook the flush into the event loop.  Call before dropping
 *	privileges.
 * @return 0, or -1 when a file cannot be opened (logged with its path).
 * @note Partner: accesslog_close().
 */
int	accesslog_open(const struct conf *c);
/**
 * @brief SIGUSR1: write what is buffered, then reopen each file by path
 *	(keeping the old descriptor when that fails) and reconnect syslog.
 * @return 0, or -1 when a file could not be reopened (logged).
 */
int	accesslog_reopen(void);
/** @brief Write every buffered line now (the loop calls it each turn). */
void	accesslog_flush(void);
/** @brief Flush, close everything, log the counts (worker exit). */
void	accesslog_close(void);

/**
 * @brief The LOG step: one line for @p c's request in each log that
 *	takes it.
 */
void	accesslog_log(struct conn *c);
/**
 * @brief Copy the request fields the formats name (and the whole head
 *	for %>h) from @p h into the request arena.  Call once the head is
 *	parsed, while its bytes are still in cbuf.
 */
void	accesslog_capture_request(struct conn *c, const struct http_head *h);
/**
 * @brief Copy the reply fields the formats name from @p h, the head the
 *	client is answered from; with @p from_origin also its status (%<Hs).
 *	Sets the content type (%mt) when nothing did.  May be called more
 *	than once (a 304 from the origin, then the refreshed stored head):
 *	the last call wins.
 */
void	accesslog_capture_reply(struct conn *c, const struct http_head *h,
	    int from_origin);

#endif
