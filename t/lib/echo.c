/*
 * echo.c -- TCP echo server with half-close (see echo.h).  Runs in its own
 * thread of the test process: one poll() loop over the listening socket,
 * a stop pipe and the connections, each with a 64 KiB ring-less buffer
 * (read when there is room, write when there are bytes).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* accept4, pipe2 */
#endif
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "echo.h"
#include "tap.h"

#define ECHO_MAX_CONNS	32
#define ECHO_BUF	65536

struct echo_conn {
	int		 fd;		/* -1: free slot */
	char		 buf[ECHO_BUF];
	size_t		 pos, len;	/* bytes [pos, len) to write back */
	int		 rd_eof;	/* the peer half-closed */
};

struct echo {
	int		 lfd;
	int		 port;
	int		 stop[2];
	pthread_t	 thread;
	pthread_mutex_t	 mtx;
	int		 nconn;
	size_t		 bytes;
	struct echo_conn conn[ECHO_MAX_CONNS];
};

static void
echo_conn_close(struct echo_conn *c)
{
	if (c->fd != -1)
		close(c->fd);
	c->fd = -1;
	c->pos = c->len = 0;
	c->rd_eof = 0;
}

/* Move bytes one step on @p c. @return -1 when the connection is done. */
static int
echo_conn_run(struct echo *e, struct echo_conn *c, short revents)
{
	ssize_t n;

	if ((revents & (POLLIN | POLLHUP | POLLERR)) && !c->rd_eof &&
	    c->len < ECHO_BUF) {
		n = recv(c->fd, c->buf + c->len, ECHO_BUF - c->len, 0);
		if (n > 0) {
			c->len += (size_t)n;
		} else if (n == 0) {
			c->rd_eof = 1;
		} else if (errno != EAGAIN && errno != EINTR) {
			return -1;
		}
	}
	if (c->pos < c->len) {
		n = send(c->fd, c->buf + c->pos, c->len - c->pos,
		    MSG_NOSIGNAL);
		if (n > 0) {
			c->pos += (size_t)n;
			pthread_mutex_lock(&e->mtx);
			e->bytes += (size_t)n;
			pthread_mutex_unlock(&e->mtx);
		} else if (n == -1 && errno != EAGAIN && errno != EINTR) {
			return -1;
		}
		if (c->pos == c->len)
			c->pos = c->len = 0;
	}
	if (c->rd_eof && c->len == 0) {
		/* Everything echoed: half-close in turn, then done. */
		(void)shutdown(c->fd, SHUT_WR);
		return -1;
	}
	return 0;
}

static void *
echo_thread(void *arg)
{
	struct echo *e = arg;
	struct pollfd p[ECHO_MAX_CONNS + 2];
	int map[ECHO_MAX_CONNS + 2];
	struct echo_conn *c;
	int np, i, fd, rc;

	for (;;) {
		p[0].fd = e->stop[0];
		p[0].events = POLLIN;
		p[1].fd = e->lfd;
		p[1].events = POLLIN;
		np = 2;
		for (i = 0; i < ECHO_MAX_CONNS; i++) {
			c = &e->conn[i];
			if (c->fd == -1)
				continue;
			p[np].fd = c->fd;
			p[np].events = (short)(
			    (!c->rd_eof && c->len < ECHO_BUF ? POLLIN : 0) |
			    (c->pos < c->len ? POLLOUT : 0));
			map[np++] = i;
		}
		rc = poll(p, (nfds_t)np, 1000);
		if (rc == -1 && errno != EINTR)
			break;
		if (rc <= 0)
			continue;
		if (p[0].revents != 0)
			break;
		if (p[1].revents & POLLIN) {
			fd = accept4(e->lfd, NULL, NULL,
			    SOCK_NONBLOCK | SOCK_CLOEXEC);
			for (i = 0; fd != -1 && i < ECHO_MAX_CONNS; i++)
				if (e->conn[i].fd == -1)
					break;
			if (fd != -1 && i == ECHO_MAX_CONNS) {
				close(fd);
			} else if (fd != -1) {
				e->conn[i].fd = fd;
				pthread_mutex_lock(&e->mtx);
				e->nconn++;
				pthread_mutex_unlock(&e->mtx);
			}
		}
		for (i = 2; i < np; i++) {
			if (p[i].revents == 0)
				continue;
			c = &e->conn[map[i]];
			if (echo_conn_run(e, c, p[i].revents) == -1)
				echo_conn_close(c);
		}
	}
	for (i = 0; i < ECHO_MAX_CONNS; i++)
		echo_conn_close(&e->conn[i]);
	return NULL;
}

struct echo *
echo_start(void)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	struct echo *e;
	int i;

	(void)signal(SIGPIPE, SIG_IGN);
	e = calloc(1, sizeof(*e));
	if (e == NULL)
		bail_out("echo: out of memory");
	for (i = 0; i < ECHO_MAX_CONNS; i++)
		e->conn[i].fd = -1;
	pthread_mutex_init(&e->mtx, NULL);
	e->lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (e->lfd == -1 ||
	    bind(e->lfd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(e->lfd, 64) == -1 ||
	    getsockname(e->lfd, (struct sockaddr *)&sin, &len) == -1 ||
	    pipe2(e->stop, O_CLOEXEC) == -1)
		bail_out("echo: cannot listen: %s", strerror(errno));
	e->port = ntohs(sin.sin_port);
	if (pthread_create(&e->thread, NULL, echo_thread, e) != 0)
		bail_out("echo: cannot start its thread");
	return e;
}

int
echo_port(const struct echo *e)
{
	return e->port;
}

int
echo_nconn(struct echo *e)
{
	int n;

	pthread_mutex_lock(&e->mtx);
	n = e->nconn;
	pthread_mutex_unlock(&e->mtx);
	return n;
}

size_t
echo_bytes(struct echo *e)
{
	size_t n;

	pthread_mutex_lock(&e->mtx);
	n = e->bytes;
	pthread_mutex_unlock(&e->mtx);
	return n;
}

void
echo_stop(struct echo *e)
{
	if (e == NULL)
		return;
	if (write(e->stop[1], "x", 1) != 1)
		diag("echo: cannot wake its thread");
	pthread_join(e->thread, NULL);
	close(e->lfd);
	close(e->stop[0]);
	close(e->stop[1]);
	pthread_mutex_destroy(&e->mtx);
	free(e);
}
