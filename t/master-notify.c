/*
 * master-notify.c -- sluice speaks systemd's sd_notify protocol on
 * NOTIFY_SOCKET: READY=1 (with MAINPID and STATUS) once its workers run,
 * RELOADING=1 with MONOTONIC_USEC then READY=1 around a SIGHUP (a good
 * reload and a refused one), STOPPING=1 on SIGTERM; an @abstract socket
 * name works too, and with NOTIFY_SOCKET set sluice stays in the
 * foreground without -d (Type=notify watches the process it started); a
 * NOTIFY_SOCKET it cannot use is reported and ignored.
 *
 * Integration test: the test plays systemd's part, binding a unix
 * datagram socket in its temp dir (and one in the abstract namespace)
 * and reading what the master sends.  Every read is bounded.
 */
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "tap.h"

#define ALLOW		"http_access allow localhost\nhttp_access deny all\n"
#define WAIT_MS		10000
#define MSG_MAX		4096

/* Bind a datagram socket at @p name: "/path" or "@abstract". */
static int
sock_bind(const char *name)
{
	struct sockaddr_un sa;
	socklen_t len;
	size_t n = strlen(name);
	int fd;

	if (n >= sizeof(sa.sun_path))
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, name, n);
	if (name[0] == '@') {
		sa.sun_path[0] = '\0';
		len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
	} else
		len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -1;
	if (bind(fd, (struct sockaddr *)&sa, len) == -1) {
		diag("bind %s: %s", name, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* One datagram within @p ms into @p buf. @return its length, -1 none. */
static int
sock_recv(int fd, char *buf, size_t size, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	ssize_t n;

	if (poll(&p, 1, ms) != 1)
		return -1;
	n = recv(fd, buf, size - 1, 0);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return (int)n;
}

/* Does @p msg hold the line @p line ("READY=1")? */
static int
has_line(const char *msg, const char *line)
{
	size_t n = strlen(line);
	const char *p;

	for (p = msg; p != NULL && *p != '\0'; p = strchr(p, '\n')) {
		if (*p == '\n')
			p++;
		if (strncmp(p, line, n) == 0 && (p[n] == '\n' || p[n] == '\0'))
			return 1;
	}
	return 0;
}

/* The value of "VAR=value" in @p msg, copied to @p out; "" when absent. */
static const char *
value_of(const char *msg, const char *var, char *out, size_t size)
{
	size_t n = strlen(var);
	const char *p, *e;

	out[0] = '\0';
	for (p = msg; p != NULL && *p != '\0'; p = strchr(p, '\n')) {
		if (*p == '\n')
			p++;
		if (strncmp(p, var, n) == 0 && p[n] == '=') {
			p += n + 1;
			e = strchr(p, '\n');
			if (e == NULL)
				e = p + strlen(p);
			snprintf(out, size, "%.*s", (int)(e - p), p);
			break;
		}
	}
	return out;
}

/* N of "generation N" in a STATUS= value, or -1. */
static int
generation(const char *status)
{
	const char *p = strstr(status, "generation ");

	return p == NULL ? -1 : atoi(p + strlen("generation "));
}

static unsigned long long
mono_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000ULL +
	    (unsigned long long)ts.tv_nsec / 1000ULL;
}

int
main(void)
{
	struct harness h;
	char path[300], abstract[108], msg[MSG_MAX], v[256], log[300];
	char *line;
	unsigned long long t0, t1, mono;
	pid_t w[8], old, pid;
	int fd, afd, status, i, n, alive, gen0, gen1;

	plan(25 + 2 * HARNESS_STOP_TESTS + 2 * HARNESS_END_TESTS);

	/* 1. A socket file, sluice started with -d by the harness. */
	harness_init(&h, 1);
	snprintf(path, sizeof(path), "%s/notify", h.dir);
	if ((fd = sock_bind(path)) == -1)
		bail_out("cannot bind %s", path);
	setenv("NOTIFY_SOCKET", path, 1);
	harness_conf(&h, ALLOW);
	if (harness_start(&h) == -1)
		bail_out("sluice did not start");

	n = sock_recv(fd, msg, sizeof(msg), WAIT_MS);
	ok(n > 0 && has_line(msg, "READY=1"),
	    "after start, the first message is READY=1");
	is_int(atol(value_of(msg, "MAINPID", v, sizeof(v))), (long)h.pid,
	    "with MAINPID= the master's pid");
	like(value_of(msg, "STATUS", v, sizeof(v)), "running",
	    "and a STATUS= line: \"%s\"", v);
	gen0 = generation(v);
	ok(harness_workers(&h, w, 8) == 1, "one worker runs when READY=1 "
	    "is read");
	old = w[0];

	/* 2. A good reload: RELOADING=1 (with our clock), then READY=1. */
	harness_conf(&h, ALLOW "# changed\n");
	t0 = mono_usec();
	harness_signal(&h, SIGHUP);
	n = sock_recv(fd, msg, sizeof(msg), WAIT_MS);
	t1 = mono_usec();
	ok(n > 0 && has_line(msg, "RELOADING=1"),
	    "SIGHUP: the next message is RELOADING=1");
	mono = strtoull(value_of(msg, "MONOTONIC_USEC", v, sizeof(v)),
	    NULL, 10);
	ok(mono >= t0 && mono <= t1, "with MONOTONIC_USEC= from "
	    "CLOCK_MONOTONIC, taken between the signal and its receipt "
	    "(%llu <= %llu <= %llu)", t0, mono, t1);
	n = sock_recv(fd, msg, sizeof(msg), WAIT_MS);
	ok(n > 0 && has_line(msg, "READY=1") && !has_line(msg, "RELOADING=1"),
	    "then READY=1 once the new generation runs");
	like(value_of(msg, "STATUS", v, sizeof(v)), "reloaded",
	    "its STATUS= says so: \"%s\"", v);
	gen1 = generation(v);
	ok(gen0 >= 0 && gen1 == gen0 + 1, "and names the next generation "
	    "(%d, then %d)", gen0, gen1);
	ok(harness_wait_workers(&h, 1, &old, 1, WAIT_MS),
	    "and the old worker was replaced");

	/* 3. A refused reload: RELOADING=1, then READY=1 with the reason. */
	harness_conf(&h, ALLOW "no_such_directive on\n");
	harness_signal(&h, SIGHUP);
	n = sock_recv(fd, msg, sizeof(msg), WAIT_MS);
	ok(n > 0 && has_line(msg, "RELOADING=1"),
	    "SIGHUP with a broken file: RELOADING=1");
	n = sock_recv(fd, msg, sizeof(msg), WAIT_MS);
	ok(n > 0 && has_line(msg, "READY=1"),
	    "then READY=1: the running generation goes on");
	like(value_of(msg, "STATUS", v, sizeof(v)), "reload refused",
	    "with STATUS= \"%s\"", v);
	is_int(generation(v), gen1, "and the generation that still runs");
	ok(harness_signal(&h, 0) == 0, "the master still runs");

	/* 4. SIGTERM: STOPPING=1. */
	harness_conf(&h, ALLOW);
	harness_signal(&h, SIGTERM);
	n = sock_recv(fd, msg, sizeof(msg), WAIT_MS);
	ok(n > 0 && has_line(msg, "STOPPING=1"), "SIGTERM: STOPPING=1");
	harness_wait_exit(&h);
	ok(sock_recv(fd, msg, sizeof(msg), 0) == -1,
	    "nothing was sent besides those six messages");
	close(fd);

	/*
	 * 5. An abstract name, and no -d: the process started is the one
	 * that stays (a daemonizing master's first process would exit).
	 */
	snprintf(abstract, sizeof(abstract), "@sluice-test-%ld-notify",
	    (long)getpid());
	if ((afd = sock_bind(abstract)) == -1)
		bail_out("cannot bind %s", abstract);
	setenv("NOTIFY_SOCKET", abstract, 1);
	snprintf(log, sizeof(log), "%s/stderr-nod.log", h.dir);
	fflush(stdout);
	pid = fork();
	if (pid == -1)
		bail_out("fork: %s", strerror(errno));
	if (pid == 0) {
		int o = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);

		if (o != -1) {
			(void)dup2(o, 1);
			(void)dup2(o, 2);
		}
		execl(h.binary, h.binary, "-f", h.conf, (char *)NULL);
		_exit(127);
	}
	n = sock_recv(afd, msg, sizeof(msg), WAIT_MS);
	ok(n > 0 && has_line(msg, "READY=1"),
	    "%s: READY=1 arrives on the abstract socket", abstract);
	is_int(atol(value_of(msg, "MAINPID", v, sizeof(v))), (long)pid,
	    "MAINPID= is the process started, without -d");
	alive = waitpid(pid, &status, WNOHANG) == 0;
	ok(alive, "which is still running: it did not go to the background");
	kill(pid, SIGTERM);
	n = sock_recv(afd, msg, sizeof(msg), WAIT_MS);
	ok(n > 0 && has_line(msg, "STOPPING=1"),
	    "SIGTERM: STOPPING=1 on the abstract socket");
	for (i = 0; i < WAIT_MS / 20; i++) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			break;
		harness_msleep(20);
	}
	if (i == WAIT_MS / 20) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "and it exits 0 after the graceful stop");
	close(afd);
	line = harness_file_wait(log, 0, "NOTIFY_SOCKET", NULL);
	ok(line == NULL, "nothing about NOTIFY_SOCKET went wrong");
	free(line);
	harness_end(&h);

	/* 6. A NOTIFY_SOCKET that is not an address: said, then ignored. */
	harness_init(&h, 1);
	setenv("NOTIFY_SOCKET", "relative/notify", 1);
	harness_conf(&h, ALLOW);
	ok(harness_start(&h) == 0, "NOTIFY_SOCKET=relative/notify: sluice "
	    "starts all the same");
	line = harness_file_wait(h.stderr_log, 2000, "[warn]",
	    "NOTIFY_SOCKET", "relative/notify", NULL);
	ok(line != NULL, "with a warning naming it");
	free(line);
	harness_stop(&h);
	harness_end(&h);
	unsetenv("NOTIFY_SOCKET");
	return exit_status();
}
