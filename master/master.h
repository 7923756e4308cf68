/*
 * master.h -- the supervisor: forks the workers, restarts the ones that
 * die (with a back-off when they crash in a loop), and turns signals into
 * actions:
 *	SIGTERM, SIGINT	graceful stop: workers drain for up to
 *			shutdown_lifetime, then the master exits 0
 *	SIGHUP		reload: parse and check the file first; on errors log
 *			them (file:line) and keep the running generation; else
 *			fork a new generation, then drain the old one
 *	SIGUSR1		reopen the logs (logrotate), here and in every worker
 *
 * Runs in the master only.  The master never serves traffic.
 */
#ifndef SLUICE_MASTER_H
#define SLUICE_MASTER_H

#include "conf.h"
#include "listen.h"

/**
 * Nonzero (the default): config_load() also checks the paths as their
 * users (check.h).  `sluice -n` clears it: printing no_proxy needs only
 * the file's meaning, and any user may ask.
 */
extern int	 config_check_paths;

/**
 * @brief Load and compile a configuration (conf_load + acl_set_compile).
 * @return the config, or NULL after every error was logged.
 * @note Release with config_free().
 */
struct conf	*config_load(const char *path);
/** @brief Free a config from config_load(). */
void		 config_free(struct conf *c);
/**
 * @brief Create the log files the workers write and give them to the
 *	workers' user.
 * @return 0, or -1 after logging which file and why.
 */
int		 config_prepare_files(const struct conf *c);

/**
 * @brief Supervise workers until a stop signal.  Takes ownership of
 *	@p c and @p ls.
 * @param[in] foreground  -d: cache_log lines also go to stderr.
 * @return the process exit status (0 after a graceful stop).
 */
int		 master_run(struct conf *c, struct listen_set *ls, int foreground);

#endif
