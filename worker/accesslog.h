/*
 * accesslog.h -- one line per request in Squid's native format:
 *
 *	time.ms elapsed client code/status bytes method URL user hier/peer type
 *	1764031234.567     12 127.0.0.1 TCP_MISS/200 5123 GET http://h/a - HIER_DIRECT/10.0.0.9 text/plain
 *
 * so that GoAccess, SARG and Calamaris read it.  A denied request gets
 * one more field after the ten native ones, "rule=FILE:LINE" (the
 * http_access line that denied it) or "rule=default-deny"; the user
 * field is the authenticated proxy user or "-".  Runs in the workers; the
 * master creates the file (owned by the workers' user) before forking and
 * on SIGUSR1, and each worker (re)opens it by path.
 *
 * Caveats:
 *  - One write(2) per line with O_APPEND: lines from several workers never
 *    interleave (they are far below PIPE_BUF... and a regular file append
 *    is atomic in position on Linux).
 */
#ifndef SLUICE_ACCESSLOG_H
#define SLUICE_ACCESSLOG_H

#include <stdint.h>

struct accesslog_entry {
	int64_t		 start_sec;	/* wall clock at the start of the request */
	int		 start_msec;
	int64_t		 elapsed_ms;
	const char	*client;	/* address text */
	const char	*code;		/* TCP_MISS, TCP_DENIED, TCP_TUNNEL, NONE_NONE */
	int		 status;	/* 0 when nothing was sent */
	uint64_t	 bytes;		/* bytes sent to the client */
	const char	*method;
	const char	*url;
	const char	*user;		/* NULL: "-" */
	const char	*hier;		/* HIER_DIRECT, HIER_NONE */
	const char	*peer;		/* NULL: "-" */
	const char	*type;		/* content type, NULL: "-" */
	const char	*rule;		/* denials: "FILE:LINE" or
					   "default-deny", appended as an
					   11th field "rule=..."; else NULL */
};

/** @brief Open @p path (NULL: no access log). @return 0, or -1 with errno. */
int	accesslog_open(const char *path);
/** @brief Reopen the same path (SIGUSR1); keeps the old fd on failure. @return 0 or -1. */
int	accesslog_reopen(void);
/** @brief Write one line (dropped silently when no log is open). */
void	accesslog_write(const struct accesslog_entry *e);

#endif
