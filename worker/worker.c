/*
 * worker.c -- a worker process (see worker.h).
 * Runs in the workers, entered right after fork().
 *
 * Signals from the master arrive through a signalfd on the loop:
 *	SIGTERM, SIGINT	drain: stop accepting, close idle keep-alive
 *			connections, finish what is in flight, exit 0; after
 *			shutdown_lifetime close whatever is left.
 *	SIGUSR1		reopen the access log and cache_log.
 * A worker exits by itself if the master dies (PR_SET_PDEATHSIG).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "accesslog.h"
#include "auth.h"
#include "buf.h"
#include "conf.h"
#include "conn.h"
#include "dns.h"
#include "ev.h"
#include "cache.h"
#include "log.h"
#include "pool.h"
#include "priv.h"
#include "sl.h"
#include "sockaddr.h"
#include "tls.h"
#include "worker.h"

#define WORKER_MAX_LISTEN	64
#define WORKER_ACCEPT_BATCH	64

const struct conf	*worker_conf;
static int		 worker_drain;
static int		 worker_exit_now;
static int		 worker_slot;
static struct ev_io	 worker_lio[WORKER_MAX_LISTEN];
static int		 worker_lfd[WORKER_MAX_LISTEN];
static const struct conf_listen *worker_laddr[WORKER_MAX_LISTEN];
static size_t		 worker_nlio;
static struct ev_io	 worker_sigio;
static struct ev_timer	 worker_drain_timer;
static struct ev_timer	 worker_accept_timer;
static struct ev_timer	 worker_trim_timer;

int
worker_draining(void)
{
	return worker_drain;
}

static void	worker_listen_resume(struct ev_timer *);

static void
worker_accept(struct ev_io *io, uint32_t revents)
{
	struct sockaddr_storage ss;
	socklen_t len;
	size_t i;
	int fd, n;

	for (n = 0; n < WORKER_ACCEPT_BATCH; n++) {
		len = sizeof(ss);
		fd = accept4(io->fd, (struct sockaddr *)&ss, &len,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1) {
			if (errno == EAGAIN || errno == EINTR ||
			    errno == ECONNABORTED)
				return;
			if (errno == EMFILE || errno == ENFILE ||
			    errno == ENOBUFS || errno == ENOMEM) {
				/* Out of descriptors: pause accepting a moment. */
				log_warn("worker %d: accept", worker_slot);
				/* EPOLLEXCLUSIVE forbids EPOLL_CTL_MOD: remove, re-add. */
				for (i = 0; i < worker_nlio; i++)
					ev_io_stop(&worker_lio[i]);
				ev_timer_arm(&worker_accept_timer, 500,
				    worker_listen_resume, NULL);
				return;
			}
			log_warn("worker %d: accept", worker_slot);
			return;
		}
		/* io->data is the port's conf_listen (TLS or not). */
		conn_accept(fd, (struct sockaddr *)&ss, len, io->data);
	}
}

static int
worker_listen_start(void)
{
	size_t i;

	for (i = 0; i < worker_nlio; i++) {
		if (worker_lio[i].fd >= 0)
			continue;
		/* One wake-up per connection across workers, as nginx does. */
		if (ev_io_start(&worker_lio[i], worker_lfd[i],
		    EPOLLIN | EPOLLEXCLUSIVE, worker_accept,
		    (void *)worker_laddr[i]) == -1)
			return -1;
	}
	return 0;
}

static void
worker_listen_resume(struct ev_timer *t)
{
	if (worker_drain)
		return;
	if (worker_listen_start() == -1)
		log_warn("worker %d: epoll add listener", worker_slot);
}

static void
worker_drain_expired(struct ev_timer *t)
{
	log_notice("worker %d: shutdown_lifetime over, closing %u "
	    "connections", worker_slot, conn_count());
	conn_close_all();
	worker_exit_now = 1;
}

static void
worker_start_drain(void)
{
	size_t i;

	if (worker_drain)
		return;
	worker_drain = 1;
	/*
	 * Stop accepting: the master and the next generation keep the
	 * sockets.  With EPOLLEXCLUSIVE the kernel may have woken only us for
	 * connections already queued, so take those before closing our
	 * copies; they are served like any other.
	 */
	for (i = 0; i < worker_nlio; i++) {
		if (worker_lio[i].fd >= 0)
			worker_accept(&worker_lio[i], EPOLLIN);
		ev_io_stop(&worker_lio[i]);
		close(worker_lfd[i]);
	}
	worker_nlio = 0;
	ev_timer_stop(&worker_accept_timer);
	conn_close_idle();
	pool_close_all();
	log_info("worker %d: draining %u connections", worker_slot,
	    conn_count());
	ev_timer_arm(&worker_drain_timer, worker_conf->shutdown_lifetime,
	    worker_drain_expired, NULL);
}

static void
worker_signal(struct ev_io *io, uint32_t revents)
{
	struct signalfd_siginfo si;

	while (read(io->fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGTERM:
		case SIGINT:
			worker_start_drain();
			break;
		case SIGUSR1:
			if (log_reopen() == -1)
				log_warn("worker %d: reopen cache_log",
				    worker_slot);
			if (accesslog_reopen() == -1)
				log_warnx("worker %d: an access log could not "
				    "be reopened", worker_slot);
			else
				log_info("worker %d: log files reopened",
				    worker_slot);
			break;
		case SIGCHLD:
			auth_reap();	/* our only children are auth helpers */
			break;
		default:
			break;
		}
	}
}

/*
 * Every few seconds: memory a burst of connections freed goes back to
 * the system (buf.h), so that a worker's size follows its load.
 */
#define WORKER_TRIM_MS	2000

static void
worker_trim(struct ev_timer *t)
{
	if (buf_trim())
		log_debug("worker %d: freed buffer memory given back",
		    worker_slot);
	ev_timer_arm(t, WORKER_TRIM_MS, worker_trim, NULL);
}

static int
worker_done(void)
{
	return worker_exit_now || (worker_drain && conn_count() == 0);
}

void
worker_main(const struct conf *c, const int *lfds,
    const struct conf_listen *laddrs, size_t nlfds, int slot)
{
	sigset_t set;
	size_t i;
	int sfd;
	char err[256];

	worker_conf = c;
	worker_slot = slot;
	log_set_level(c->debug_level == 0 ? LOG_LVL_NOTICE :
	    c->debug_level == 1 ? LOG_LVL_INFO : LOG_LVL_DEBUG);
	(void)prctl(PR_SET_PDEATHSIG, SIGTERM);
	(void)prctl(PR_SET_NAME, "sluice-worker");

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_SETMASK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	/* Opened as root; the master made the file ours before fork. */
	if (accesslog_open(c) == -1)
		fatalx("worker %d: cannot open the access logs", slot);
	if (priv_drop(c->effective_user, "worker", err, sizeof(err)) == -1)
		fatalx("worker %d: %s", slot, err);

	if (ev_init() == -1)
		fatal("worker %d: epoll_create", slot);
	if (dns_init(c->dns_nameservers, c->dns_timeout,
	    c->positive_dns_ttl, c->negative_dns_ttl) == -1)
		fatalx("worker %d: cannot start the resolver", slot);
	/* Helpers run with the worker's (dropped) privileges. */
	if (auth_init(c) == -1)
		fatalx("worker %d: cannot start the auth helpers", slot);
	req_init();
	/* LMDB is opened in each child, after fork (cache/store.h). */
	if (cache_open(c, err, sizeof(err)) != 0)
		log_warnx("worker %d: %s: proxying without caching", slot, err);
	/* The key for minted certificates is this worker's own. */
	if (tls_worker_init(c) == -1)
		fatalx("worker %d: cannot set up TLS", slot);
	sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (sfd == -1 || ev_io_start(&worker_sigio, sfd, EPOLLIN,
	    worker_signal, NULL) == -1)
		fatal("worker %d: signalfd", slot);
	if (nlfds > WORKER_MAX_LISTEN)
		fatalx("worker %d: more than %d http_port", slot,
		    WORKER_MAX_LISTEN);
	for (i = 0; i < nlfds; i++) {
		worker_lfd[i] = lfds[i];
		worker_laddr[i] = &laddrs[i];
		worker_lio[i].fd = -1;
	}
	worker_nlio = nlfds;
	if (worker_listen_start() == -1)
		fatal("worker %d: epoll add listener", slot);
	ev_timer_arm(&worker_trim_timer, WORKER_TRIM_MS, worker_trim, NULL);
	/* A master that died before we got here would never stop us. */
	if (getppid() == 1)
		exit(1);
	log_notice("worker %d started, pid %ld", slot, (long)getpid());
	if (ev_run(worker_done) == -1)
		fatal("worker %d: epoll_wait", slot);
	accesslog_close();
	auth_shutdown();
	cache_close();
	log_info("worker %d exiting", slot);
	exit(0);
}
