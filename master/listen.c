/*
 * listen.c -- bind http_port and https_port sockets, keep them across
 * reloads.  Runs in the master.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/socket.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "listen.h"
#include "log.h"
#include "sockaddr.h"

#define LISTEN_BACKLOG	4096

static int
listen_bind(const struct conf_listen *l)
{
	int fd, one = 1, flags;

	fd = socket(l->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (fd == -1)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == -1)
		goto fail;
	if (l->addr.ss_family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6,
	    IPV6_V6ONLY, &one, sizeof(one)) == -1)
		goto fail;
	if (bind(fd, (const struct sockaddr *)&l->addr, l->addrlen) == -1 ||
	    listen(fd, LISTEN_BACKLOG) == -1)
		goto fail;
	/* Inherited by the workers across fork(), never across exec(). */
	flags = fcntl(fd, F_GETFD);
	if (flags == -1 || fcntl(fd, F_SETFD, flags | FD_CLOEXEC) == -1)
		goto fail;
	return fd;
fail:
	{
		int e = errno;

		close(fd);
		errno = e;
	}
	return -1;
}

int
listen_open(const struct conf *c, const struct listen_set *old,
    struct listen_set *out)
{
	size_t i, j, n = 0;
	int *reused, fd;

	out->fds = calloc(c->nlisten, sizeof(int));
	out->addrs = calloc(c->nlisten, sizeof(struct conf_listen));
	reused = calloc(c->nlisten, sizeof(int));
	if (out->fds == NULL || out->addrs == NULL || reused == NULL) {
		log_warnx("out of memory for listening sockets");
		goto fail;
	}
	for (i = 0; i < c->nlisten; i++) {
		fd = -1;
		for (j = 0; old != NULL && j < old->n; j++) {
			if (sockaddr_equal((const struct sockaddr *)
			    &old->addrs[j].addr, (const struct sockaddr *)
			    &c->listen[i].addr)) {
				fd = old->fds[j];
				reused[n] = 1;
				break;
			}
		}
		if (fd == -1)
			fd = listen_bind(&c->listen[i]);
		if (fd == -1 && c->listen[i].addr.ss_family == AF_INET6 &&
		    (errno == EADDRNOTAVAIL || errno == EAFNOSUPPORT)) {
			/*
			 * A host without IPv6 (many containers): skip the
			 * port with a warning, as squid does, instead of
			 * refusing a config that works everywhere else.
			 */
			log_warnx("%s:%d: %s %s: IPv6 is not available "
			    "on this host (%s); not listening there",
			    c->listen[i].file, c->listen[i].line,
			    c->listen[i].kind == CONF_LISTEN_HTTPS ?
			    "https_port" : "http_port",
			    c->listen[i].text, strerror(errno));
			continue;
		}
		if (fd == -1) {
			log_warnx("%s:%d: cannot listen on %s: %s",
			    c->listen[i].file, c->listen[i].line,
			    c->listen[i].text, strerror(errno));
			goto fail;
		}
		out->fds[n] = fd;
		out->addrs[n] = c->listen[i];
		n++;
	}
	out->n = n;
	if (n == 0) {
		log_warnx("%s: no http_port could be opened", c->path);
		goto fail;
	}
	free(reused);
	return 0;
fail:
	for (i = 0; out->fds != NULL && i < n; i++)
		if (!reused[i])
			close(out->fds[i]);
	free(out->fds);
	free(out->addrs);
	free(reused);
	memset(out, 0, sizeof(*out));
	return -1;
}

void
listen_retire(struct listen_set *old, const struct listen_set *keep)
{
	size_t i, j;
	int used;

	for (i = 0; i < old->n; i++) {
		used = 0;
		for (j = 0; keep != NULL && j < keep->n; j++)
			if (keep->fds[j] == old->fds[i])
				used = 1;
		if (!used)
			close(old->fds[i]);
	}
	free(old->fds);
	free(old->addrs);
	memset(old, 0, sizeof(*old));
}
