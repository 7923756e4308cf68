/*
 * worker.h -- a worker process: post-fork set-up, the accept loop,
 * signals, graceful drain.
 *
 * Entered from the master right after fork() (worker_main()); never
 * returns.  The worker drops privileges before it opens anything shared
 * (LMDB, later), runs one event loop and exits 0 when drained.
 *
 * Caveats:
 *  - worker_conf is the config the worker was forked with; it never
 *    changes (a reload forks new workers).
 */
#ifndef SLUICE_WORKER_H
#define SLUICE_WORKER_H

#include <stddef.h>

struct conf;

/** The config this worker serves (read-only). */
extern const struct conf *worker_conf;

struct conf_listen;

/**
 * @brief Run a worker.  Does not return.
 * @param[in] lfds  the listening sockets (inherited), @p nlfds of them.
 * @param[in] laddrs  what each of them is (http_port or https_port, its
 *	TLS context), in the same order; owned by the master's config.
 * @param[in] slot  the worker's number, for logs (1-based).
 */
void	worker_main(const struct conf *c, const int *lfds,
	    const struct conf_listen *laddrs, size_t nlfds, int slot)
	    __attribute__((noreturn));
/** @brief Nonzero once a drain (SIGTERM from the master) started. */
int	worker_draining(void);

#endif
