/*
 * acl-maxconn.c -- `acl NAME maxconn N` counts a client's connections
 * across every worker: with two workers and N idle connections open
 * (spread over both), one more connection's request is denied; closing
 * one lets the next in; a worker that dies takes its connections out of
 * the count (the master zeroes its slot).
 *
 * Integration test: a real sluice with two workers, raw idle
 * connections, libcurl.  Which worker accepted what is read from
 * /proc/PID/fd (socket counts); one worker is paused (SIGSTOP, by PID)
 * while half the connections arrive, so both workers hold some.
 */
#include <sys/types.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "harness.h"
#include "origin.h"
#include "raw.h"
#include "tap.h"

#define MAXCONN	4

static const struct origin_step steps[] = {
	{ .expect = "GET /m", .status = 200, .body = "m",
	    .flags = ORIGIN_REPEAT },
};

/* Sockets open in process @p pid. */
static int
nsockets(pid_t pid)
{
	char path[64], lnk[128], target[128];
	struct dirent *de;
	DIR *dir;
	ssize_t n;
	int count = 0;

	snprintf(path, sizeof(path), "/proc/%ld/fd", (long)pid);
	if ((dir = opendir(path)) == NULL)
		return -1;
	while ((de = readdir(dir)) != NULL) {
		snprintf(lnk, sizeof(lnk), "%s/%.20s", path, de->d_name);
		n = readlink(lnk, target, sizeof(target) - 1);
		if (n > 0) {
			target[n] = '\0';
			if (strncmp(target, "socket:", 7) == 0)
				count++;
		}
	}
	closedir(dir);
	return count;
}

/* Connections the two workers accepted since @p base was taken. */
static int
accepted(const pid_t *w, const int *base)
{
	return nsockets(w[0]) - base[0] + nsockets(w[1]) - base[1];
}

int
main(void)
{
	struct harness h;
	struct origin *o;
	struct raw idle[MAXCONN];
	struct client_resp r;
	pid_t w[8], gone[2];
	char u[256];
	int base[2], n, i, k, busy, oport;

	plan(7 + ORIGIN_FINISH_TESTS + HARNESS_STOP_TESTS + HARNESS_END_TESTS);
	o = origin_start(steps, 1);
	oport = origin_port(o);
	harness_init(&h, 1);
	harness_conf(&h,
	    "workers 2\n"
	    "acl many maxconn 4\n"
	    "http_access deny many\n"
	    "http_access allow localhost\n"
	    "http_access deny all\n");
	if (harness_start(&h) == -1)
		bail_out("sluice did not start");
	if (harness_workers(&h, w, 8) != 2)
		bail_out("two workers expected");
	base[0] = nsockets(w[0]);
	base[1] = nsockets(w[1]);
	snprintf(u, sizeof(u), "http://127.0.0.1:%d/m", oport);

	/*
	 * Half the idle connections first; then the worker that took them
	 * is stopped (SIGSTOP: it leaves epoll_wait, so the kernel wakes
	 * the other one) while the other half arrive, and continued.
	 */
	for (i = 0; i < MAXCONN / 2; i++)
		if (raw_open(&idle[i], h.port[0]) == -1)
			bail_out("cannot connect");
	for (k = 0; k < 100 && accepted(w, base) < MAXCONN / 2; k++)
		harness_msleep(20);
	busy = nsockets(w[0]) - base[0] > 0 ? 0 : 1;
	kill(w[busy], SIGSTOP);
	for (; i < MAXCONN; i++)
		if (raw_open(&idle[i], h.port[0]) == -1)
			bail_out("cannot connect");
	for (k = 0; k < 100 && accepted(w, base) < MAXCONN; k++)
		harness_msleep(20);
	kill(w[busy], SIGCONT);
	n = nsockets(w[0]) - base[0];
	diag("idle connections: %d in worker %ld, %d in worker %ld", n,
	    (long)w[0], nsockets(w[1]) - base[1], (long)w[1]);
	ok(n > 0 && n < MAXCONN && accepted(w, base) == MAXCONN,
	    "the %d idle connections are spread over both workers", MAXCONN);

	is_int(client_get(h.port[0], u, &r), 403,
	    "a %dth connection from the same client: maxconn %d denies it",
	    MAXCONN + 1, MAXCONN);
	client_resp_free(&r);

	raw_close(&idle[0]);
	/* The close is seen by its worker in its next loop turn. */
	for (k = 0; k < 100 && accepted(w, base) >= MAXCONN; k++)
		harness_msleep(20);
	is_int(client_get(h.port[0], u, &r), 200,
	    "after one closes, a new connection is allowed");
	client_resp_free(&r);
	if (raw_open(&idle[0], h.port[0]) == -1)
		bail_out("cannot connect");
	for (k = 0; k < 100 && accepted(w, base) < MAXCONN; k++)
		harness_msleep(20);
	is_int(client_get(h.port[0], u, &r), 403,
	    "back at %d idle connections: denied again", MAXCONN);
	client_resp_free(&r);

	/* Both workers die with the idle connections: their counts go. */
	kill(w[0], SIGKILL);
	kill(w[1], SIGKILL);
	gone[0] = w[0];
	gone[1] = w[1];
	ok(harness_wait_workers(&h, 2, gone, 2, 10000),
	    "both killed workers are replaced");
	is_int(client_get(h.port[0], u, &r), 200,
	    "the dead workers' connections no longer count: 200");
	client_resp_free(&r);
	for (i = 0; i < MAXCONN; i++)
		raw_close(&idle[i]);
	ok(harness_signal(&h, 0) == 0, "the master is still running");
	harness_stop(&h);
	harness_end(&h);
	origin_finish(o);
	origin_free(o);
	return exit_status();
}
