/*
 * log-batch.c -- access-log lines are batched (issue 15): the lines of
 * one event-loop turn go out in one write(2), never a line split between
 * writes; the line of a request that ends as the worker exits is written
 * at exit; two workers appending to one file never mix their lines; a
 * pipe (FIFO) as the log is written without blocking, in whole lines, and
 * when nobody reads it the proxy goes on answering and drops lines,
 * counted, instead of stopping.
 *
 * The write counts come from the line each worker logs at exit
 * ("access_log PATH: N lines in M writes, D dropped").
 *
 * Integration test: a real sluice, raw clients sending pipelined
 * requests (denied at once by the acls, so a whole pipeline is answered
 * in one loop turn), the scripted origin for the slow request, a FIFO.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "origin.h"
#include "raw.h"
#include "tap.h"

static const struct origin_step steps[] = {
	{ .expect = "GET /slow", .status = 200, .body = "late",
	    .delay_ms = 1000 },
};

/* @n pipelined GETs (the last one closes), answered 403 by the acls. */
static int
pipeline(struct harness *h, int n, const char *tag)
{
	struct raw c;
	struct raw_xfer x;
	char *req, *p, *resp;
	size_t len;
	int i, k = 0;

	if ((req = malloc((size_t)n * 128)) == NULL)
		bail_out("out of memory");
	for (i = 0, p = req; i < n; i++)
		p += sprintf(p, "GET http://127.0.0.1:9/%s/%d HTTP/1.1\r\n"
		    "Host: x\r\n%s\r\n", tag, i, i == n - 1 ?
		    "Connection: close\r\n" : "");
	if (raw_open(&c, h->port[0]) == -1)
		bail_out("connect");
	memset(&x, 0, sizeof(x));
	if (raw_send(&c, req, (size_t)(p - req)) == 0 &&
	    raw_read_all(&c, &resp, &len, 20000) == 0) {
		for (p = resp; (p = strstr(p, "HTTP/1.1 403")) != NULL; p++)
			k++;
		free(resp);
	}
	raw_close(&c);
	free(req);
	return k;
}

/* Lines of @text (NUL-terminated) with exactly ten fields; all in @n. */
static int
ten_fields(char *text, int *n)
{
	char *p, *nl, f[16];
	int good = 0;

	*n = 0;
	for (p = text; p != NULL && *p != '\0'; p = nl + 1) {
		if ((nl = strchr(p, '\n')) == NULL)
			break;
		*nl = '\0';
		(*n)++;
		good += harness_field(p, 9, f, sizeof(f)) != NULL &&
		    harness_field(p, 10, f, sizeof(f)) == NULL;
		*nl = '\n';
	}
	return good;
}

/* "PATH: N lines in M writes, D dropped" from cache_log. */
static int
stats(struct harness *h, const char *path, long *lines, long *writes,
    long *dropped)
{
	char needle[400], *text, *p;

	snprintf(needle, sizeof(needle), "access_log %s: ", path);
	if ((text = harness_file_read(h->cache_log, NULL)) == NULL)
		return -1;
	for (p = text; (p = strstr(p, needle)) != NULL; p++)
		if (sscanf(p + strlen(needle), "%ld lines in %ld writes, %ld "
		    "dropped", lines, writes, dropped) == 3) {
			free(text);
			return 0;
		}
	free(text);
	*lines = *writes = *dropped = -1;
	return -1;
}

/* Everything in the FIFO now (non-blocking reader), appended to @buf. */
static size_t
fifo_drain(int fd, char *buf, size_t len, size_t size, int ms)
{
	struct pollfd p = { fd, POLLIN, 0 };
	ssize_t n;

	while (len + 1 < size && poll(&p, 1, ms) == 1) {
		n = read(fd, buf + len, size - 1 - len);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	return len;
}

int
main(void)
{
	struct harness h;
	struct origin *o;
	struct raw c, cs[20];
	struct raw_resp r;
	char path[320], req[512], *text, *buf;
	long lines, writes, dropped;
	size_t len;
	int i, k, n, good, ffd;

	plan(4 + 5 + 3 + 9 + ORIGIN_FINISH_TESTS +
	    4 * (HARNESS_STOP_TESTS + HARNESS_END_TESTS));

	/* 1. One loop turn, one write. */
	harness_init(&h, 1);
	harness_conf(&h, "http_access deny all\n");
	if (harness_start(&h) == -1)
		bail_out("sluice did not start");
	is_int(pipeline(&h, 50, "p"), 50, "50 pipelined requests, 50 answers");
	is_int(harness_file_wait_count(h.access_log, "/p/", 50, 2000), 50,
	    "50 lines");
	harness_stop(&h);
	i = stats(&h, h.access_log, &lines, &writes, &dropped);
	ok(i == 0 && lines == 50 && dropped == 0,
	    "the worker counted 50 lines");
	ok(writes >= 1 && writes * 10 <= lines, "... written in %ld write(s) "
	    "(one per loop turn, not one per line)", writes);
	harness_end(&h);

	/* 2. A request that ends while the worker exits is logged. */
	o = origin_start(steps, 1);
	harness_init(&h, 1);
	harness_set(&h, "O", "%d", origin_port(o));
	harness_conf(&h, "http_access allow localhost\nhttp_access deny all\n");
	if (harness_start(&h) == -1)
		bail_out("sluice did not start");
	if (raw_open(&c, h.port[0]) == -1)
		bail_out("connect");
	snprintf(req, sizeof(req), "GET http://127.0.0.1:%d/slow HTTP/1.1\r\n"
	    "Host: x\r\nConnection: close\r\n\r\n", origin_port(o));
	raw_sends(&c, req);
	for (i = 0; i < 250 && origin_nreq(o) == 0; i++)
		harness_msleep(20);
	is_int(origin_nreq(o), 1, "the slow request reached the origin");
	ok(harness_signal(&h, SIGTERM) == 0, "SIGTERM while it is in flight");
	is_int(raw_read_resp(&c, &r, 0, 10000), 200, "it is answered");
	raw_resp_free(&r);
	raw_close(&c);
	harness_wait_exit(&h);
	is_int(harness_file_count(h.access_log, "/slow"), 1,
	    "its line was written as the worker exited");
	origin_finish(o);
	origin_free(o);
	is_int(harness_file_count(h.access_log, "TCP_MISS/200"), 1,
	    "once");
	harness_end(&h);

	/* 3. Two workers, one file: whole lines only. */
	harness_init(&h, 1);
	harness_conf(&h, "workers 2\nhttp_access deny all\n");
	if (harness_start(&h) == -1)
		bail_out("sluice did not start");
	if ((buf = malloc(64 * 128)) == NULL)
		bail_out("out of memory");
	for (i = 0; i < 20; i++) {
		char *p = buf;

		for (k = 0; k < 25; k++)
			p += sprintf(p, "GET http://127.0.0.1:9/w%d/%d "
			    "HTTP/1.1\r\nHost: x\r\n%s\r\n", i, k, k == 24 ?
			    "Connection: close\r\n" : "");
		if (raw_open(&cs[i], h.port[0]) == -1 ||
		    raw_send(&cs[i], buf, (size_t)(p - buf)) == -1)
			bail_out("connection %d", i);
	}
	for (i = 0, good = 0; i < 20; i++) {
		if (raw_read_all(&cs[i], &text, &len, 20000) == 0)
			good++;
		free(text);
		raw_close(&cs[i]);
	}
	free(buf);
	is_int(good, 20, "20 connections of 25 pipelined requests answered");
	is_int(harness_file_wait_count(h.access_log, NULL, 500, 5000), 500,
	    "500 lines from two workers");
	text = harness_file_read(h.access_log, NULL);
	good = ten_fields(text, &n);
	free(text);
	ok(n == 500 && good == 500, "every line whole: ten fields (%d of %d)",
	    good, n);
	harness_stop(&h);
	harness_end(&h);

	/* 4. A FIFO nobody reads does not stop the proxy. */
	harness_init(&h, 1);
	snprintf(path, sizeof(path), "%s/fifo", h.dir);
	if (mkfifo(path, 0666) == -1 || chmod(path, 0666) == -1)
		bail_out("mkfifo %s: %s", path, strerror(errno));
	/* Our read end first, so that sluice's open does not wait. */
	if ((ffd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) == -1)
		bail_out("open %s: %s", path, strerror(errno));
	/* The smallest pipe: it is full after a few dozen lines. */
	if (fcntl(ffd, F_SETPIPE_SZ, 4096) == -1)
		diag("F_SETPIPE_SZ: %s (the default size is used)",
		    strerror(errno));
	harness_conf(&h, "http_access deny all\n"
	    "access_log %DIR%/fifo\naccess_log %DIR%/access.log\n");
	if (harness_start(&h) == -1)
		bail_out("sluice did not start");
	is_int(pipeline(&h, 30, "f"), 30, "30 requests logged to a FIFO");
	if ((buf = malloc(1 << 20)) == NULL)
		bail_out("out of memory");
	len = 0;
	for (i = 0, good = 0; i < 100 && good < 30; i++) {
		len = fifo_drain(ffd, buf, len, 1 << 20, 20);
		good = ten_fields(buf, &n);
	}
	ok(n == 30 && good == 30, "the FIFO gets 30 whole lines (%d of %d)",
	    good, n);
	/* Nobody reads now: 1500 lines are more than the pipe and the
	   worker's buffer hold. */
	is_int(pipeline(&h, 1500, "g"), 1500, "1500 more requests answered "
	    "while the FIFO is full");
	is_int(harness_file_wait_count(h.access_log, "/g/", 1500, 5000), 1500,
	    "the file log still gets every line");
	text = harness_file_wait(h.cache_log, 2000, "fifo",
	    "lines are being dropped", (char *)NULL);
	ok(text != NULL, "cache_log says the FIFO's lines are dropped");
	free(text);
	/* Room for one more chunk, and no new request: what comes now was
	   kept back and is retried by the worker itself. */
	{
		struct pollfd pf = { ffd, POLLIN, 0 };
		ssize_t r0;

		r0 = read(ffd, buf, 4096);
		len = r0 > 0 ? (size_t)r0 : 0;
		k = poll(&pf, 1, 5000);
		ok(r0 > 0 && k == 1, "lines kept back follow by themselves "
		    "once the pipe has room");
	}
	/* At exit it writes what the pipe takes; EOF then. */
	harness_stop(&h);
	len = fifo_drain(ffd, buf, len, 1 << 20, 2000);
	good = ten_fields(buf, &n);
	ok(n > 0 && n < 1500 && good == n, "what the FIFO got is whole "
	    "lines (%d), the rest dropped", n);
	i = stats(&h, path, &lines, &writes, &dropped);
	ok(i == 0 && lines == 1530 && dropped > 0 && lines - dropped == 30 + n,
	    "the worker counts them: %ld lines, %ld dropped, %d read",
	    lines, dropped, 30 + n);
	ok(writes > 1, "several writes of at most PIPE_BUF (%ld)", writes);
	close(ffd);
	free(buf);
	harness_end(&h);
	return exit_status();
}
