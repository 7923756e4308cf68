/*
 * proxy-upgrade.c -- HTTP Upgrade (RFC 9110 §7.8) and WebSocket
 * (RFC 6455): by default the offer is dropped and the request goes on as
 * a plain one; with http_upgrade_request_protocols allowing the protocol
 * the offer is forwarded, the 101 is relayed and bytes then flow both
 * ways; acls and protocol names are honoured; a 101 for a protocol that
 * was not offered is a 502.
 *
 * Integration test: a real sluice and a small server written here that
 * answers 101 and then echoes in upper case (or answers 200 when the
 * request carries no Upgrade).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* strcasestr */
#endif
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "raw.h"
#include "tap.h"

struct ws {
	int		 lfd;
	int		 port;
	const char	*proto101;	/* what the 101 says it switched to */
	char		 last[4096];	/* head of the last request */
	pthread_t	 th;
	volatile int	 stop;
};

/* Serve connections one at a time until stopped (bounded waits). */
static void *
ws_main(void *arg)
{
	struct ws *w = arg;
	struct pollfd p;
	char buf[4096];
	ssize_t n;
	size_t len, i;
	int fd, waits;

	while (!w->stop) {
		p.fd = w->lfd;
		p.events = POLLIN;
		if (poll(&p, 1, 100) <= 0)
			continue;
		if ((fd = accept(w->lfd, NULL, NULL)) == -1)
			continue;
		len = 0;
		for (waits = 0; waits < 50 && len < sizeof(buf) - 1; waits++) {
			p.fd = fd;
			p.events = POLLIN;
			if (poll(&p, 1, 100) <= 0)
				continue;
			n = read(fd, buf + len, sizeof(buf) - 1 - len);
			if (n <= 0)
				break;
			len += (size_t)n;
			buf[len] = '\0';
			if (strstr(buf, "\r\n\r\n") != NULL)
				break;
		}
		buf[len] = '\0';
		snprintf(w->last, sizeof(w->last), "%s", buf);
		if (strcasestr(buf, "\r\nUpgrade:") == NULL) {
			const char *ok = "HTTP/1.1 200 OK\r\nContent-Length: 5"
			    "\r\nConnection: close\r\n\r\nplain";

			(void)!write(fd, ok, strlen(ok));
			close(fd);
			continue;
		}
		snprintf(buf, sizeof(buf), "HTTP/1.1 101 Switching Protocols\r\n"
		    "Upgrade: %s\r\nConnection: Upgrade\r\n\r\nHELLO", w->proto101);
		(void)!write(fd, buf, strlen(buf));
		/* Echo in upper case until the peer closes (bounded). */
		for (waits = 0; waits < 100 && !w->stop; waits++) {
			p.fd = fd;
			p.events = POLLIN;
			if (poll(&p, 1, 100) <= 0)
				continue;
			n = read(fd, buf, sizeof(buf));
			if (n <= 0)
				break;
			for (i = 0; i < (size_t)n; i++)
				buf[i] = (char)toupper((unsigned char)buf[i]);
			(void)!write(fd, buf, (size_t)n);
		}
		close(fd);
	}
	return NULL;
}

static void
ws_start(struct ws *w, const char *proto101)
{
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);

	memset(w, 0, sizeof(*w));
	w->proto101 = proto101;
	w->lfd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (w->lfd == -1 || bind(w->lfd, (struct sockaddr *)&sin,
	    sizeof(sin)) == -1 || listen(w->lfd, 16) == -1 ||
	    getsockname(w->lfd, (struct sockaddr *)&sin, &sl) == -1)
		bail_out("upgrade server: cannot listen");
	w->port = ntohs(sin.sin_port);
	if (pthread_create(&w->th, NULL, ws_main, w) != 0)
		bail_out("upgrade server: no thread");
}

static void
ws_stop(struct ws *w)
{
	w->stop = 1;
	pthread_join(w->th, NULL);
	close(w->lfd);
}

/* Send an Upgrade request offering @p offer; read the response head. */
static int
offer(struct raw *c, int port, int wport, const char *offer,
    struct raw_resp *r)
{
	char req[1024];

	if (raw_open(c, port) == -1)
		return -1;
	snprintf(req, sizeof(req), "GET http://127.0.0.1:%d/chat HTTP/1.1\r\n"
	    "Host: 127.0.0.1:%d\r\nConnection: Upgrade\r\nUpgrade: %s\r\n"
	    "Sec-WebSocket-Version: 13\r\n\r\n", wport, wport, offer);
	raw_sends(c, req);
	return raw_read_head(c, r, 5000);
}

static void
start(struct harness *h, const char *snippet)
{
	harness_init(h, 1);
	harness_conf(h, snippet);
	if (harness_start(h) == -1)
		bail_out("sluice did not start");
}

int
main(void)
{
	struct harness h;
	struct ws w;
	struct raw c;
	struct raw_resp r;
	char buf[64];
	ssize_t n;
	size_t got;

	plan(16 + 3 * HARNESS_STOP_TESTS + 4 * HARNESS_END_TESTS);
	ws_start(&w, "websocket");

	/* Default: no http_upgrade_request_protocols, the offer is dropped. */
	start(&h, "http_access allow localhost\nhttp_access deny all\n");
	is_int(offer(&c, h.port[0], w.port, "websocket", &r), 200, "no "
	    "http_upgrade_request_protocols: the request goes on without "
	    "its Upgrade and gets the plain answer");
	raw_resp_free(&r);
	raw_close(&c);
	ok(strcasestr(w.last, "\r\nUpgrade:") == NULL, "the origin saw no "
	    "Upgrade field");
	harness_stop(&h);
	harness_end(&h);

	/* Allowed for websocket. */
	start(&h, "http_access allow localhost\nhttp_access deny all\n"
	    "acl far src 10.0.0.0/8\n"
	    "http_upgrade_request_protocols websocket allow localhost\n"
	    "http_upgrade_request_protocols h2c allow far\n");
	is_int(offer(&c, h.port[0], w.port, "websocket", &r), 101,
	    "an allowed WebSocket offer: 101 relayed (RFC 9110 §15.2.2)");
	like(raw_resp_header(&r, "Upgrade"), "websocket",
	    "the 101 names the protocol");
	like(raw_resp_header(&r, "Connection"), "upgrade",
	    "and says Connection: upgrade");
	raw_resp_free(&r);
	memset(buf, 0, sizeof(buf));
	got = 0;
	while (got < 5 && (n = raw_read(&c, buf + got, 5 - got, 5000)) > 0)
		got += (size_t)n;
	is_str(buf, "HELLO", "bytes the origin sent right after its 101 "
	    "reach the client");
	raw_sends(&c, "ping-frame");
	memset(buf, 0, sizeof(buf));
	got = 0;
	while (got < 10 && (n = raw_read(&c, buf + got, 10 - got, 5000)) > 0)
		got += (size_t)n;
	is_str(buf, "PING-FRAME", "client bytes reach the origin and its "
	    "answer comes back: a tunnel");
	raw_close(&c);
	like(w.last, "Upgrade: websocket", "the origin saw the offer");
	ok(strcasestr(w.last, "Connection: upgrade") != NULL,
	    "with Connection: upgrade");

	/* Offered h2c from a client the acl does not allow: dropped. */
	is_int(offer(&c, h.port[0], w.port, "h2c", &r), 200, "an offer the "
	    "acls refuse (h2c, clients in 10/8 only) is dropped: 200");
	raw_resp_free(&r);
	raw_close(&c);
	ok(strcasestr(w.last, "\r\nUpgrade:") == NULL, "the origin saw no "
	    "Upgrade for it");

	/* A list: only the allowed element goes on; names ignore case. */
	is_int(offer(&c, h.port[0], w.port, "h2c, WebSocket/13", &r), 101,
	    "from 'h2c, WebSocket/13' the WebSocket offer goes on");
	raw_resp_free(&r);
	raw_close(&c);
	ok(strstr(w.last, "Upgrade: WebSocket/13\r\n") != NULL,
	    "and only it (%s)", strstr(w.last, "Upgrade:") ?
	    "seen" : "missing");
	harness_stop(&h);
	harness_end(&h);
	ws_stop(&w);

	/* The origin switches to something never offered. */
	ws_start(&w, "h2c");
	start(&h, "http_access allow localhost\nhttp_access deny all\n"
	    "http_upgrade_request_protocols websocket allow all\n");
	is_int(offer(&c, h.port[0], w.port, "websocket", &r), 502,
	    "a 101 to a protocol that was not offered: 502");
	raw_resp_free(&r);
	raw_close(&c);
	ok(harness_file_count(h.cache_log, "was not offered") > 0,
	    "and cache_log says why");
	harness_stop(&h);
	harness_end(&h);
	ws_stop(&w);

	/* A bad protocol name is refused with file:line by sluice -t. */
	{
		char *out = NULL, cpath[300];
		const char *args[] = { "-t", "-f", cpath, NULL };
		int rc;

		harness_init(&h, 1);
		harness_conf(&h, "http_access allow all\n"
		    "http_upgrade_request_protocols web/socket allow all\n");
		snprintf(cpath, sizeof(cpath), "%s", h.conf);
		rc = harness_exec(&h, args, &out);
		ok(rc != 0 && out != NULL && strstr(out, "sluice.conf:") &&
		    strstr(out, "not a protocol name"), "a bad protocol name "
		    "is refused with file:line");
		free(out);
		harness_end(&h);
	}
	return exit_status();
}
