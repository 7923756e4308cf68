/*
 * check.h -- before a configuration runs, check that the file system
 * gives it what it will need, as the identities that will need it.
 *
 * Runs in the master: for `sluice -t`, at the start and at each reload,
 * through config_load().  The checks run in one short-lived child of the
 * master: first as the master (what it creates and writes itself), then,
 * after dropping privileges exactly as the workers do, as the children's
 * user (what the workers and the cache manager open later).
 *
 * What is checked, and as whom (M: the master's identity; U: the
 * children's, cache_effective_user or nobody when M is root, else M):
 *	access_log, cache_log	M can create the file, and its directory
 *				when one level is missing (the master makes
 *				that one); U can reach the directory, since
 *				the workers reopen the file (SIGUSR1).
 *	cache_dir		M can create it (one level) or write in it;
 *				U can reach its parent and, as the owner the
 *				master makes it, read, write and search it.
 *	pid_filename		M can create or write it; its directory
 *				exists.
 *	auth_param program	U can reach and execute it (a regular file);
 *				for basic_file, U can read the file when it
 *				exists (a missing one means no users).
 * When M is root the master gives what it creates to U (chown), so for U
 * what matters is every directory on the way: the first one U cannot
 * search is named ("user nobody cannot search /root").  The check models
 * what the master will do; it creates and changes nothing.
 *
 * Caveats:
 *  - Each problem is logged once with log_warnx() as "file:line: message"
 *    naming the directive's line (conf_where()), from the child, so the
 *    lines go where the master's go (stderr for -t, cache_log later).
 *  - The wait for the child is bounded (CHECK_TIMEOUT_MS; a hung file
 *    system counts as a problem).
 *  - The privilege drop repeats the workers' own steps (setgroups with
 *    the user's group only, setresgid, setresuid); keep them in step.
 */
#ifndef SLUICE_CHECK_H
#define SLUICE_CHECK_H

#include "conf.h"

#define CHECK_TIMEOUT_MS	10000

/**
 * @brief Check the paths of @p c as described above.
 * @return 0 when nothing stands in the way; -1 after each problem was
 *	logged as "file:line: message" (or the check could not run, logged).
 */
int	config_check_access(const struct conf *c);

#endif
