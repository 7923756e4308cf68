/*
 * proc.h -- process plumbing for the master: daemonizing, the pid file,
 * files the workers must be able to reopen after they drop privileges.
 *
 * Runs in the master only.
 */
#ifndef SLUICE_PROC_H
#define SLUICE_PROC_H

#include <sys/types.h>

/** @brief Fork into the background, new session, stdio on /dev/null. @return 0 or -1. */
int	proc_daemonize(void);
/**
 * @brief Refuse (log, -1) when @p path names another live process; 0 otherwise.
 */
int	proc_pidfile_check(const char *path);
/**
 * @brief Write our pid to @p path, refusing when it names a live sluice.
 * @return 0, or -1 after logging why.
 */
int	proc_pidfile_write(const char *path);
/** @brief Remove the pid file if it still holds our pid. */
void	proc_pidfile_remove(const char *path);
/**
 * @brief Create @p path (and its directory) if missing, and when we are
 *	root give both to @p user (NULL: "nobody") so that a worker can
 *	reopen the file after dropping privileges.
 * @return 0, or -1 with errno set.
 */
int	proc_prepare_file(const char *path, const char *user);

#endif
