/*
 * unit-clientdb.c -- connection counts per client address, shared by
 * every worker (the maxconn acl): children count in their own columns,
 * the sum is seen by all, a dead child's column is zeroed by the master,
 * IPv4-mapped IPv6 counts as the IPv4 address, and counts never go
 * below zero.
 *
 * Unit test: clientdb_init() in this process, fork()ed children as the
 * workers, a pipe to hear from them.
 */
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "clientdb.h"
#include "tap.h"

static struct sockaddr_storage
a4(const char *t)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

	memset(&ss, 0, sizeof(ss));
	sin->sin_family = AF_INET;
	inet_pton(AF_INET, t, &sin->sin_addr);
	return ss;
}

static struct sockaddr_storage
a6(const char *t)
{
	struct sockaddr_storage ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

	memset(&ss, 0, sizeof(ss));
	sin6->sin6_family = AF_INET6;
	inet_pton(AF_INET6, t, &sin6->sin6_addr);
	return ss;
}

/* A child in @slot opens @n connections from @who, then reports. */
static pid_t
child(unsigned slot, const struct sockaddr_storage *who, int n, int wfd)
{
	pid_t pid = fork();
	unsigned c = 0;
	int i;

	if (pid != 0)
		return pid;
	clientdb_worker(slot);
	for (i = 0; i < n; i++)
		c = clientdb_enter((const struct sockaddr *)who);
	if (write(wfd, &c, sizeof(c)) != (ssize_t)sizeof(c))
		_exit(1);
	_exit(0);
}

int
main(void)
{
	struct sockaddr_storage x = a4("192.0.2.1"), y = a4("192.0.2.2");
	struct sockaddr_storage xm = a6("::ffff:192.0.2.1");
	unsigned got;
	int p[2], st;
	pid_t pid;

	plan(10);
	ok(clientdb_init(4) == 0, "the shared table is made before fork");
	if (pipe(p) == -1)
		bail_out("pipe");

	pid = child(1, &x, 3, p[1]);
	waitpid(pid, &st, 0);
	if (read(p[0], &got, sizeof(got)) != (ssize_t)sizeof(got))
		bail_out("child 1 said nothing");
	is_int(got, 3, "a worker counts its own three connections");

	pid = child(2, &x, 2, p[1]);
	waitpid(pid, &st, 0);
	if (read(p[0], &got, sizeof(got)) != (ssize_t)sizeof(got))
		bail_out("child 2 said nothing");
	is_int(got, 5, "another worker sees 3 + 2: counted across workers");

	clientdb_worker(3);
	is_int(clientdb_enter((const struct sockaddr *)&y), 1,
	    "another address has its own count");
	is_int(clientdb_enter((const struct sockaddr *)&xm), 6,
	    "::ffff:192.0.2.1 is counted as 192.0.2.1");
	is_int(clientdb_count((const struct sockaddr *)&x), 6,
	    "clientdb_count() reads the sum without changing it");
	clientdb_leave((const struct sockaddr *)&xm);

	/* The child of slot 1 "died": the master forgets its three. */
	clientdb_reset_slot(1);
	is_int(clientdb_enter((const struct sockaddr *)&x), 3,
	    "after a dead worker's column is reset, its counts are gone "
	    "(2 + this one)");
	clientdb_leave((const struct sockaddr *)&x);

	clientdb_reset_slot(3);
	clientdb_leave((const struct sockaddr *)&y);
	clientdb_leave((const struct sockaddr *)&y);
	is_int(clientdb_enter((const struct sockaddr *)&y), 1,
	    "a close after a reset never takes a count below zero");
	clientdb_leave((const struct sockaddr *)&y);
	ok(clientdb_enter(NULL) == 0, "no address: not counted");
	got = clientdb_count((const struct sockaddr *)&x);
	ok(clientdb_init(4) == 0 && got > 0 &&
	    clientdb_count((const struct sockaddr *)&x) == got,
	    "a second init (a reload) keeps the table and its counts (%u)",
	    got);
	return exit_status();
}
