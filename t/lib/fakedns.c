/*
 * fakedns.c -- UDP DNS responder for tests (see fakedns.h).  Runs in its
 * own thread of the test process.
 *
 * Wire format, RFC 1035 §4.1: a 12-byte header (ID, flags, QDCOUNT,
 * ANCOUNT, NSCOUNT, ARCOUNT, each 16-bit big-endian), then the question
 * (QNAME as length-prefixed labels ending in a zero byte, QTYPE, QCLASS).
 * The answer copies ID, opcode and RD, sets QR, AA and RA, echoes the
 * question, and for a known name and QTYPE A adds one record: a pointer to
 * the question name (0xC00C), TYPE 1, CLASS 1, TTL 60, RDLENGTH 4,
 * the address, for each address given (127.0.0.1 by default).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* pipe2 */
#endif
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "fakedns.h"
#include "tap.h"

#define FAKEDNS_MAX_NAMES	16
#define FAKEDNS_MAX_ADDRS	4

struct fakedns {
	int		 fd;
	int		 port;
	int		 stop[2];
	pthread_t	 thread;
	pthread_mutex_t	 mtx;
	int		 queries;
	char		*name[FAKEDNS_MAX_NAMES];
	struct in_addr	 addr[FAKEDNS_MAX_NAMES][FAKEDNS_MAX_ADDRS];
	int		 naddr[FAKEDNS_MAX_NAMES];
	/* fakedns_once_after(): A queries to let by, then this answer once */
	int		 alt_skip[FAKEDNS_MAX_NAMES];	/* -1: none */
	struct in_addr	 alt[FAKEDNS_MAX_NAMES][FAKEDNS_MAX_ADDRS];
	int		 nalt[FAKEDNS_MAX_NAMES];
	int		 nname;
};

/*
 * Decode the question name at @p q into dotted form.
 * @return bytes the name takes on the wire, or -1.
 */
static int
fakedns_qname(const unsigned char *q, size_t len, char *out, size_t outsz)
{
	size_t i = 0, o = 0, l;

	while (i < len && q[i] != 0) {
		l = q[i];
		if (l > 63 || i + 1 + l > len || o + l + 2 > outsz)
			return -1;
		if (o > 0)
			out[o++] = '.';
		memcpy(out + o, q + i + 1, l);
		o += l;
		i += 1 + l;
	}
	if (i >= len)
		return -1;
	out[o] = '\0';
	return (int)i + 1;
}

static void
fakedns_answer(struct fakedns *d, const unsigned char *q, size_t len,
    const struct sockaddr_in *from)
{
	static const unsigned char rr[] = {
		0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x3c,
		0x00, 0x04
	};
	unsigned char a[600];
	char name[256];
	const struct in_addr *ad;
	size_t qlen;
	int nlen, known = 0, i, j, qtype, idx = 0, nad = 0;

	if (len < 12 || (q[2] & 0x80) != 0)
		return;				/* not a query */
	nlen = fakedns_qname(q + 12, len - 12, name, sizeof(name));
	if (nlen < 0 || 12 + (size_t)nlen + 4 > len)
		return;
	qlen = (size_t)nlen + 4;
	qtype = q[12 + nlen] << 8 | q[12 + nlen + 1];
	for (i = 0; i < d->nname; i++)
		if (strcasecmp(d->name[i], name) == 0) {
			known = 1;
			idx = i;
		}
	if (known && qtype == 1) {
		ad = d->addr[idx];
		nad = d->naddr[idx];
		if (d->alt_skip[idx] == 0) {
			ad = d->alt[idx];
			nad = d->nalt[idx];
		}
		if (d->alt_skip[idx] >= 0)
			d->alt_skip[idx]--;
	}

	memcpy(a, q, 2);			/* ID */
	a[2] = (unsigned char)(0x80 | (q[2] & 0x78) | 0x04 | (q[2] & 0x01));
	a[3] = (unsigned char)(0x80 | (known ? 0 : 3));	/* RA, RCODE */
	a[4] = 0;
	a[5] = 1;				/* QDCOUNT */
	a[6] = 0;
	a[7] = (unsigned char)nad;
	memset(a + 8, 0, 4);
	memcpy(a + 12, q + 12, qlen);
	for (j = 0; j < nad; j++) {
		memcpy(a + 12 + qlen, rr, sizeof(rr));
		memcpy(a + 12 + qlen + sizeof(rr), &ad[j], 4);
		qlen += sizeof(rr) + 4;
	}
	(void)sendto(d->fd, a, 12 + qlen, 0, (const struct sockaddr *)from,
	    sizeof(*from));
}

static void *
fakedns_thread(void *arg)
{
	struct fakedns *d = arg;
	struct pollfd p[2];
	struct sockaddr_in from;
	socklen_t flen;
	unsigned char q[512];
	ssize_t n;
	int rc;

	for (;;) {
		p[0].fd = d->stop[0];
		p[0].events = POLLIN;
		p[1].fd = d->fd;
		p[1].events = POLLIN;
		rc = poll(p, 2, 1000);
		if (rc == -1 && errno != EINTR)
			break;
		if (rc <= 0)
			continue;
		if (p[0].revents != 0)
			break;
		flen = sizeof(from);
		n = recvfrom(d->fd, q, sizeof(q), 0, (struct sockaddr *)&from,
		    &flen);
		if (n <= 0)
			continue;
		pthread_mutex_lock(&d->mtx);
		d->queries++;
		fakedns_answer(d, q, (size_t)n, &from);
		pthread_mutex_unlock(&d->mtx);
	}
	return NULL;
}

struct fakedns *
fakedns_start(void)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	struct fakedns *d;

	d = calloc(1, sizeof(*d));
	if (d == NULL)
		bail_out("fakedns: out of memory");
	pthread_mutex_init(&d->mtx, NULL);
	d->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (d->fd == -1 ||
	    bind(d->fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    getsockname(d->fd, (struct sockaddr *)&sin, &len) == -1 ||
	    pipe2(d->stop, O_CLOEXEC) == -1)
		bail_out("fakedns: cannot bind: %s", strerror(errno));
	d->port = ntohs(sin.sin_port);
	if (pthread_create(&d->thread, NULL, fakedns_thread, d) != 0)
		bail_out("fakedns: cannot start its thread");
	return d;
}

void
fakedns_add(struct fakedns *d, const char *name)
{
	fakedns_add_addrs(d, name, "127.0.0.1");
}

/* Parse the blank-separated @p addrs into @p out; bails out when bad. */
static int
fakedns_addrs(const char *addrs, struct in_addr *out)
{
	char buf[256], *w, *save = NULL;
	int n = 0;

	snprintf(buf, sizeof(buf), "%s", addrs);
	for (w = strtok_r(buf, " ", &save); w != NULL;
	    w = strtok_r(NULL, " ", &save)) {
		if (n == FAKEDNS_MAX_ADDRS || inet_pton(AF_INET, w, &out[n]) != 1)
			bail_out("fakedns: bad address list '%s'", addrs);
		n++;
	}
	return n;
}

void
fakedns_add_addrs(struct fakedns *d, const char *name, const char *addrs)
{
	if (d->nname >= FAKEDNS_MAX_NAMES)
		bail_out("fakedns: more than %d names", FAKEDNS_MAX_NAMES);
	pthread_mutex_lock(&d->mtx);
	d->naddr[d->nname] = fakedns_addrs(addrs, d->addr[d->nname]);
	d->alt_skip[d->nname] = -1;
	d->name[d->nname++] = strdup(name);
	pthread_mutex_unlock(&d->mtx);
}

void
fakedns_once_after(struct fakedns *d, const char *name, int skip,
    const char *addrs)
{
	int i;

	pthread_mutex_lock(&d->mtx);
	for (i = 0; i < d->nname; i++)
		if (strcasecmp(d->name[i], name) == 0)
			break;
	if (i == d->nname || skip < 0)
		bail_out("fakedns: %s was not added", name);
	d->nalt[i] = fakedns_addrs(addrs, d->alt[i]);
	d->alt_skip[i] = skip;
	pthread_mutex_unlock(&d->mtx);
}

int
fakedns_port(const struct fakedns *d)
{
	return d->port;
}

int
fakedns_queries(struct fakedns *d)
{
	int n;

	pthread_mutex_lock(&d->mtx);
	n = d->queries;
	pthread_mutex_unlock(&d->mtx);
	return n;
}

void
fakedns_stop(struct fakedns *d)
{
	int i;

	if (d == NULL)
		return;
	if (write(d->stop[1], "x", 1) != 1)
		diag("fakedns: cannot wake its thread");
	pthread_join(d->thread, NULL);
	close(d->fd);
	close(d->stop[0]);
	close(d->stop[1]);
	for (i = 0; i < d->nname; i++)
		free(d->name[i]);
	pthread_mutex_destroy(&d->mtx);
	free(d);
}
