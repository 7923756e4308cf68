#define _GNU_SOURCE	/* POLLRDHUP */
/*
 * proxy-early-response.c -- an origin may answer before it has read the
 * request body (RFC 9112 §9.5: 401, 413...) and stop reading.  Its answer
 * reaches the client instead of the upload hanging until read_timeout,
 * and neither connection is reused.  An unasked "100 Continue" from an
 * origin is not such an answer: the body still goes up whole.
 *
 * Integration test: a real sluice, a raw client, and an origin written
 * here (the scripted origin always reads a body before answering).
 */
#include <sys/socket.h>
#include <netinet/in.h>

#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "raw.h"
#include "tap.h"

#define UPLOAD	(256 * 1024)	/* sent of a declared 8 MiB */

struct early {
	int		 lfd;
	int		 port;
	int		 mode;		/* 0: 413 at once; 1: 100, body, 200 */
	size_t		 body_got;
	pthread_t	 th;
};

/* Read until the end of the head; return the bytes after it in @p extra. */
static int
early_read_head(int fd, size_t *extra)
{
	char buf[8192];
	size_t len = 0;
	ssize_t n;
	char *e;

	while (len < sizeof(buf) - 1) {
		struct pollfd p = { .fd = fd, .events = POLLIN };

		if (poll(&p, 1, 10000) != 1)
			return -1;
		n = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (n <= 0)
			return -1;
		len += (size_t)n;
		buf[len] = '\0';
		if ((e = strstr(buf, "\r\n\r\n")) != NULL) {
			*extra = len - (size_t)(e + 4 - buf);
			return 0;
		}
	}
	return -1;
}

static void *
early_main(void *arg)
{
	struct early *o = arg;
	static const char r413[] = "HTTP/1.1 413 Content Too Large\r\n"
	    "Content-Length: 9\r\nConnection: close\r\n\r\ntoo large";
	static const char r100[] = "HTTP/1.1 100 Continue\r\n\r\n";
	char buf[65536], ok200[128];
	struct pollfd p;
	size_t extra = 0;
	ssize_t n;
	int fd, k;

	p.fd = o->lfd;
	p.events = POLLIN;
	if (poll(&p, 1, 10000) != 1 || (fd = accept(o->lfd, NULL, NULL)) == -1)
		return NULL;
	if (early_read_head(fd, &extra) == -1)
		goto done;
	if (o->mode == 0) {
		/* Answer now and read nothing more; hold on until sluice goes. */
		(void)!write(fd, r413, sizeof(r413) - 1);
		p.fd = fd;
		p.events = POLLRDHUP;
		(void)poll(&p, 1, 10000);
		goto done;
	}
	(void)!write(fd, r100, sizeof(r100) - 1);
	o->body_got = extra;
	while (o->body_got < UPLOAD) {
		p.fd = fd;
		p.events = POLLIN;
		if (poll(&p, 1, 10000) != 1 ||
		    (n = read(fd, buf, sizeof(buf))) <= 0)
			goto done;
		o->body_got += (size_t)n;
	}
	k = snprintf(ok200, sizeof(ok200), "HTTP/1.1 200 OK\r\n"
	    "Content-Length: 8\r\n\r\ngot-body");
	(void)!write(fd, ok200, (size_t)k);
	(void)shutdown(fd, SHUT_WR);
	p.fd = fd;
	p.events = POLLIN;
	(void)poll(&p, 1, 5000);
done:
	close(fd);
	return NULL;
}

static void
early_start(struct early *o, int mode)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);

	memset(o, 0, sizeof(*o));
	o->mode = mode;
	o->lfd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (o->lfd == -1 || bind(o->lfd, (struct sockaddr *)&sin,
	    sizeof(sin)) == -1 || listen(o->lfd, 4) == -1 ||
	    getsockname(o->lfd, (struct sockaddr *)&sin, &len) == -1)
		bail_out("cannot start the test origin");
	o->port = ntohs(sin.sin_port);
	pthread_create(&o->th, NULL, early_main, o);
}

static void
early_stop(struct early *o)
{
	pthread_join(o->th, NULL);
	close(o->lfd);
}

/* Send the head of an 8 MiB PUT and UPLOAD bytes of its body. */
static void
upload(struct raw *c, int port, const char *path, size_t declared)
{
	char req[256], *body;
	int n;

	n = snprintf(req, sizeof(req), "PUT http://127.0.0.1:%d%s HTTP/1.1\r\n"
	    "Host: 127.0.0.1:%d\r\nContent-Length: %zu\r\n\r\n", port, path,
	    port, declared);
	raw_send(c, req, (size_t)n);
	body = malloc(UPLOAD);
	harness_pattern(body, 0, UPLOAD);
	raw_send(c, body, UPLOAD);
	free(body);
}

int
main(void)
{
	struct harness h;
	struct early o;
	struct raw c;
	struct raw_resp r;
	char *line;

	plan(8 + HARNESS_STOP_TESTS + HARNESS_END_TESTS);
	harness_init(&h, 1);
	harness_conf(&h, "http_access allow localhost\nhttp_access deny all\n"
	    "read_timeout 4 seconds\n");
	if (harness_start(&h) == -1)
		bail_out("sluice did not start");

	/* 1. 413 before the body is read. */
	early_start(&o, 0);
	if (raw_open(&c, h.port[0]) == -1)
		bail_out("cannot connect to sluice");
	upload(&c, o.port, "/big", 8 << 20);
	memset(&r, 0, sizeof(r));
	is_int(raw_read_resp(&c, &r, 0, 10000), 413,
	    "an origin's early 413 reaches the client (not a 504 later)");
	is_str(r.body, "too large", "with its body");
	raw_resp_free(&r);
	ok(raw_wait_eof(&c, 10000), "then the client connection is closed "
	    "(the rest of its body was never read)");
	raw_close(&c);
	early_stop(&o);
	line = harness_log_wait(&h, "TCP_MISS/413", "PUT", (char *)NULL);
	ok(line != NULL, "access log: TCP_MISS/413 PUT");
	free(line);

	/* 2. An unasked 100 Continue does not stop the upload. */
	early_start(&o, 1);
	if (raw_open(&c, h.port[0]) == -1)
		bail_out("cannot connect to sluice");
	upload(&c, o.port, "/whole", UPLOAD);
	is_int(raw_read_resp(&c, &r, 0, 10000), 200,
	    "after an unasked 100 Continue the final answer still comes");
	is_str(r.body, "got-body", "from an origin that read the whole body");
	raw_resp_free(&r);
	raw_close(&c);
	early_stop(&o);
	is_int((long long)o.body_got, UPLOAD, "the origin got all %d bytes",
	    UPLOAD);
	line = harness_log_wait(&h, "TCP_MISS/200", "/whole", (char *)NULL);
	ok(line != NULL, "access log: TCP_MISS/200 for it");
	free(line);

	harness_stop(&h);
	harness_end(&h);
	return exit_status();
}
