/*
 * priv.h -- the one privilege drop (OpenBSD proc.c style).
 *
 * Runs in every child of the master right after fork(): the workers, the
 * cache manager, and the child that `sluice -t` forks to check what the
 * running proxy will need.  The master itself stays root (it binds ports
 * and creates the log files); nothing else ever runs with its rights.
 *
 * Caveats:
 *  - Call it before opening anything shared (LMDB, helper pipes): those
 *    must belong to the unprivileged user.
 *  - A no-op when the process is not root: an unprivileged sluice runs
 *    everything as its own user.
 */
#ifndef SLUICE_PRIV_H
#define SLUICE_PRIV_H

/**
 * @brief Switch to @p user (NULL: "nobody") for good: supplementary
 *	groups, then real/effective/saved gid and uid.  Keeps the process
 *	dumpable so that a crashing child still leaves a core.
 * @param[in] who  the caller, for the error message ("worker 2").
 * @return 0 (also when not root), or -1 with @p err filled in
 *	(no such user, or a set*id call failed, with its errno text).
 */
int	priv_drop(const char *user, const char *who, char *err, size_t errlen);

#endif
