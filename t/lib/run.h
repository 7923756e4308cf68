/*
 * run.h -- run another program from a test (node, promtool, chromium):
 * in its own process group, output to files, every wait bounded.
 *
 * Runs in the test process, main thread.  Only the processes started
 * here are signalled, by their process group id (the program's pid).
 *
 *	const char *argv[] = { "node", "x.js", NULL };
 *	char node[256];
 *
 *	if (run_find("node", node, sizeof(node)) == -1)
 *		skip(1, "node is not installed");
 *	st = run_program(argv, "out.txt", NULL, 30000);
 *
 * Caveats:
 *  - The test process is a child subreaper (harness.h): children the
 *    program leaves behind come back to it; run_program() kills what is
 *    left of the group and reaps it before returning.
 */
#ifndef SLUICE_RUN_H
#define SLUICE_RUN_H

#include <stddef.h>

/**
 * @brief Find @p name in PATH (a name with a slash is taken as is).
 * @param[out] path  the executable found.
 * @return 0, or -1 when there is none.
 */
int	run_find(const char *name, char *path, size_t size);
/**
 * @brief Run @p argv (argv[0] found with run_find()) with stdin
 *	/dev/null, stdout into @p out (NULL: /dev/null), stderr into @p err
 *	(NULL: with stdout), for at most @p timeout_ms; then SIGTERM to
 *	its group, 2 s later SIGKILL.  Whatever is left of its group when
 *	it exits is killed and reaped.
 * @return its exit status, or -1 (not started, killed by a signal, or
 *	over time: diagnosed).
 */
int	run_program(const char *const *argv, const char *out, const char *err,
	    int timeout_ms);
/**
 * @brief Start @p argv as run_program() does, without waiting (a server
 *	for the test: Prometheus).
 * @return its pid (also its process group), or -1 (diagnosed).
 * @note Partner: run_stop().
 */
int	run_start(const char *const *argv, const char *out, const char *err);
/**
 * @brief SIGTERM the group of @p pid, SIGKILL after @p grace_ms, reap it.
 * @return its exit status, or -1 (killed by a signal).
 */
int	run_stop(int pid, int grace_ms);

#endif
