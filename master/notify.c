/*
 * notify.c -- the sd_notify protocol on NOTIFY_SOCKET (see notify.h).
 * Runs in the master.
 *
 * Wire format (sd_notify(3)): one SOCK_DGRAM datagram per call, sent to
 * the AF_UNIX address in NOTIFY_SOCKET, payload "VAR=value\n..." with no
 * NUL.  A leading '@' names the abstract namespace: sun_path[0] is NUL,
 * the name follows, and the address length counts exactly the name (no
 * terminator), as systemd binds it.  systemd learns the sender's pid from
 * SO_PASSCRED on its side, so no SCM_CREDENTIALS message is needed while
 * the master speaks for itself (NotifyAccess=main).
 *
 * A new socket per message: they are rare (start, reload, stop), and no
 * descriptor is left for fork() to hand to the children.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "notify.h"

static struct sockaddr_un	notify_addr;
static socklen_t		notify_addrlen;	/* 0: notifications off */

int
notify_init(void)
{
	const char *e;
	size_t n;

	e = getenv("NOTIFY_SOCKET");
	if (e == NULL || *e == '\0')
		return 0;
	n = strlen(e);
	memset(&notify_addr, 0, sizeof(notify_addr));
	notify_addr.sun_family = AF_UNIX;
	if ((e[0] != '/' && e[0] != '@') || n < 2 ||
	    n >= sizeof(notify_addr.sun_path)) {
		/* e.g. systemd 254's "vsock:CID:PORT", not spoken here */
		log_warnx("NOTIFY_SOCKET \"%s\" is not an absolute path nor "
		    "an @abstract name; not notifying the service manager", e);
		(void)unsetenv("NOTIFY_SOCKET");
		return -1;
	}
	memcpy(notify_addr.sun_path, e, n);
	if (e[0] == '@') {
		notify_addr.sun_path[0] = '\0';
		notify_addrlen = (socklen_t)(offsetof(struct sockaddr_un,
		    sun_path) + n);
	} else
		notify_addrlen = (socklen_t)(offsetof(struct sockaddr_un,
		    sun_path) + n + 1);
	/* Our children must not speak for the service. */
	(void)unsetenv("NOTIFY_SOCKET");
	return 1;
}

static void __attribute__((format(printf, 1, 2)))
notify_send(const char *fmt, ...)
{
	struct timeval tv;
	char msg[512];
	va_list ap;
	ssize_t n;
	int fd, len;

	if (notify_addrlen == 0)
		return;
	va_start(ap, fmt);
	len = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (len < 0)
		return;
	if ((size_t)len >= sizeof(msg))
		len = sizeof(msg) - 1;	/* STATUS= is last: only it is cut */
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		log_warn("sd_notify: socket");
		return;
	}
	/* A full receive queue must not stall the master. */
	tv.tv_sec = NOTIFY_SEND_MS / 1000;
	tv.tv_usec = (NOTIFY_SEND_MS % 1000) * 1000;
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	n = sendto(fd, msg, (size_t)len, MSG_NOSIGNAL,
	    (struct sockaddr *)&notify_addr, notify_addrlen);
	if (n == -1)
		log_warn("sd_notify: send to %s%s", notify_addr.sun_path[0] ?
		    "" : "@", notify_addr.sun_path + !notify_addr.sun_path[0]);
	close(fd);
}

void
notify_ready(unsigned gen, int workers)
{
	notify_send("READY=1\nMAINPID=%ld\nSTATUS=running: generation %u, "
	    "%d worker%s", (long)getpid(), gen, workers,
	    workers == 1 ? "" : "s");
}

void
notify_reloading(const char *path)
{
	struct timespec ts;

	/* systemd matches RELOADING=1 to its own clock (sd_notify(3)). */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	notify_send("RELOADING=1\nMONOTONIC_USEC=%llu\nSTATUS=reloading %s",
	    (unsigned long long)ts.tv_sec * 1000000ULL +
	    (unsigned long long)ts.tv_nsec / 1000ULL, path);
}

void
notify_reloaded(int rc, unsigned gen, int workers)
{
	if (rc == 0)
		notify_send("READY=1\nSTATUS=running: generation %u, %d "
		    "worker%s (reloaded)", gen, workers,
		    workers == 1 ? "" : "s");
	else
		notify_send("READY=1\nSTATUS=reload refused (see the log); "
		    "running: generation %u, %d worker%s", gen, workers,
		    workers == 1 ? "" : "s");
}

void
notify_stopping(void)
{
	notify_send("STOPPING=1\nSTATUS=stopping: workers drain for up to "
	    "shutdown_lifetime");
}
