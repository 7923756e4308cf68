/*
 * log-syslog.c -- access_log syslog[:FACILITY[.PRIORITY]]: one datagram
 * per request on a unix datagram socket, "<PRI>Mmm dd hh:mm:ss
 * sluice[PID]: " then the line without its newline, as syslog(3) writes
 * it; Squid's default local4.info, or the facility and priority given;
 * any format.  When the syslog daemon goes away the lines are dropped
 * (said once in cache_log) and the worker connects again by itself,
 * saying how many lines were lost.
 *
 * Integration test: a real sluice, the scripted origin, raw clients; the
 * test plays the syslog daemon on sockets in its temp dir (socket=PATH,
 * the same code path as /dev/log).
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "json.h"
#include "origin.h"
#include "raw.h"
#include "tap.h"

static const struct origin_step steps[] = {
	{ .expect = "GET /", .status = 200, .body = "ok",
	    .flags = ORIGIN_REPEAT },
};

static int oport;

static int
ask(struct harness *h, const char *path)
{
	struct raw c;
	struct raw_resp r;
	char req[512];
	int st;

	if (raw_open(&c, h->port[0]) == -1)
		return -1;
	snprintf(req, sizeof(req), "GET http://127.0.0.1:%d%s HTTP/1.1\r\n"
	    "Host: x\r\nConnection: close\r\n\r\n", oport, path);
	raw_sends(&c, req);
	st = raw_read_resp(&c, &r, 0, 10000);
	raw_resp_free(&r);
	raw_close(&c);
	return st;
}

/* A syslog daemon: a datagram socket at @path anyone may write to. */
static int
daemon_open(const char *path)
{
	struct sockaddr_un sun;
	int fd;

	unlink(path);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1 ||
	    bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    chmod(path, 0666) == -1)
		bail_out("syslog socket %s: %s", path, strerror(errno));
	return fd;
}

/* One datagram (NUL-terminated) within @ms; its length or -1. */
static ssize_t
daemon_recv(int fd, char *buf, size_t size, int ms)
{
	struct pollfd p = { fd, POLLIN, 0 };
	ssize_t n;

	if (poll(&p, 1, ms) != 1)
		return -1;
	if ((n = recv(fd, buf, size - 1, 0)) < 0)
		return -1;
	buf[n] = '\0';
	return n;
}

/* "<PRI>Mmm dd hh:mm:ss sluice[PID]: " at @m: the message after it. */
static const char *
syslog_head(const char *m, const char *pri, pid_t pid)
{
	char want[64];
	size_t n = strlen(pri);

	if (strncmp(m, pri, n) != 0 || strlen(m) < n + 16)
		return NULL;
	m += n;
	/* RFC 3164 §4.1.2: "Mmm dd hh:mm:ss " (day padded with a blank). */
	if (strchr("JFMASOND", m[0]) == NULL || m[3] != ' ' ||
	    (m[4] != ' ' && (m[4] < '1' || m[4] > '3')) || m[5] < '0' ||
	    m[5] > '9' || m[6] != ' ' || m[9] != ':' || m[12] != ':' ||
	    m[15] != ' ')
		return NULL;
	m += 16;
	snprintf(want, sizeof(want), "sluice[%ld]: ", (long)pid);
	if (strncmp(m, want, strlen(want)) != 0)
		return NULL;
	return m + strlen(want);
}

int
main(void)
{
	struct harness h;
	struct origin *o;
	char p1[320], p2[320], m[8192], f[64], *line;
	const char *msg;
	pid_t w;
	int d1, d2, i, got, members;

	plan(12 + ORIGIN_FINISH_TESTS + HARNESS_STOP_TESTS +
	    HARNESS_END_TESTS);
	o = origin_start(steps, 1);
	oport = origin_port(o);
	harness_init(&h, 1);
	snprintf(p1, sizeof(p1), "%s/log1.sock", h.dir);
	snprintf(p2, sizeof(p2), "%s/log2.sock", h.dir);
	d1 = daemon_open(p1);
	d2 = daemon_open(p2);
	harness_conf(&h,
	    "http_access allow localhost\n"
	    "http_access deny all\n"
	    "access_log %DIR%/access.log\n"
	    "access_log syslog socket=%DIR%/log1.sock\n"
	    "access_log syslog:daemon.notice json socket=%DIR%/log2.sock\n");
	if (harness_start(&h) == -1)
		bail_out("sluice did not start");
	if (harness_workers(&h, &w, 1) != 1)
		bail_out("no worker");

	is_int(ask(&h, "/one"), 200, "a request");
	ok(daemon_recv(d1, m, sizeof(m), 5000) > 0, "a datagram comes");
	msg = syslog_head(m, "<166>", w);
	ok(msg != NULL, "local4.info by default (<166>), RFC 3164 time, "
	    "sluice[worker pid]");
	ok(msg != NULL && strstr(msg, " TCP_MISS/200 ") != NULL &&
	    strstr(msg, "/one - HIER_DIRECT/127.0.0.1 ") != NULL &&
	    harness_field(msg, 9, f, sizeof(f)) != NULL &&
	    harness_field(msg, 10, f, sizeof(f)) == NULL &&
	    strchr(msg, '\n') == NULL,
	    "the message is the squid line, without a newline");
	if (msg == NULL)
		diag("got: %s", m);
	ok(daemon_recv(d2, m, sizeof(m), 5000) > 0, "the second log's "
	    "datagram comes");
	msg = syslog_head(m, "<29>", w);
	ok(msg != NULL && json_valid(msg, strlen(msg), &members) &&
	    members == 19, "daemon.notice (<29>), the json format");
	is_int(ask(&h, "/two"), 200, "another request");
	got = daemon_recv(d1, m, sizeof(m), 5000) > 0 && strstr(m, "/two ");
	ok(got, "one datagram per request");

	/* The daemon goes away: lines are dropped, said once. */
	close(d1);
	unlink(p1);
	is_int(ask(&h, "/lost"), 200, "a request while syslog is away");
	line = harness_file_wait(h.cache_log, 2000, "log1.sock",
	    "dropped", (char *)NULL);
	ok(line != NULL, "cache_log says lines are dropped");
	free(line);

	/* It comes back: the worker connects again (bounded retries). */
	d1 = daemon_open(p1);
	for (i = 0, got = 0; i < 50 && !got; i++) {
		ask(&h, "/back");
		while (daemon_recv(d1, m, sizeof(m), 100) > 0)
			got |= strstr(m, "/back ") != NULL;
	}
	ok(got, "after the daemon is back, lines reach it again");
	line = harness_file_wait(h.cache_log, 2000, "log1.sock",
	    "writing again", (char *)NULL);
	ok(line != NULL && strstr(line, "lines were lost") != NULL,
	    "cache_log says it works again and how many lines were lost");
	free(line);

	origin_finish(o);
	harness_stop(&h);
	harness_end(&h);
	close(d1);
	close(d2);
	origin_free(o);
	return exit_status();
}
