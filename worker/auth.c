/*
 * auth.c -- proxy authentication helpers, their queue and the
 * credentials cache (see auth.h).  Runs in the workers; the helpers are
 * the worker's children.
 *
 * Wire format to a helper (squid's basic helper protocol), one line each
 * way, LF-terminated:
 *	request	[ID SP] user SP password LF	user and password rfc1738
 *						%XX-escaped (every byte but
 *						A-Z a-z 0-9 - . _)
 *	reply	[ID SP] OK|ERR|BH [SP key=value...] LF
 * ID (a decimal channel number) appears only with concurrency > 0.
 *
 * State: a fixed table of helper slots (children of them), a fixed pool
 * of AUTH_QUEUE_MAX queries (FREE -> QUEUED -> SENT -> FREE), one FIFO of
 * queued queries and one timer for every deadline (answer bound, queue
 * bound, restart back-off).  New work is dispatched from a zero-delay
 * timer so that no callback ever runs inside auth_check().
 *
 * Caveats:
 *  - The escaped request line (which holds the password) stays in the
 *    query until the answer comes, for the one retry after a helper
 *    death; it is wiped (explicit_bzero) when the query ends.
 *  - Helpers inherit the worker's privileges, stderr and nothing else
 *    (fds above 2 are closed before exec).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "auth.h"
#include "conf.h"
#include "ev.h"
#include "log.h"
#include "metrics.h"
#include "sl.h"
#include "stats.h"
#include "str.h"

#define AUTH_QUEUE_MAX		256	/* queries per worker, queued or sent */
#define AUTH_LINE_MAX		1600	/* 255 * 3 twice, an id, blanks */
#define AUTH_WBUF		8192	/* pending bytes to one helper */
#define AUTH_CACHE_SIZE		1024	/* credentials cache entries */
#define AUTH_CACHE_WAYS		4
#define AUTH_BACKOFF_MIN	100	/* ms */
#define AUTH_BACKOFF_MAX	10000
#define AUTH_STABLE_MS		10000	/* a helper that lived this long is fine */
#define AUTH_RESTART_WAIT	1000	/* queries wait at most this for a restart */
#define AUTH_QUERY_MAGIC	0x61757468U

enum auth_hstate { AUTH_H_FREE, AUTH_H_RUNNING, AUTH_H_DEAD };
enum auth_qstate { AUTH_Q_FREE, AUTH_Q_QUEUED, AUTH_Q_SENT };

struct auth_helper {
	enum auth_hstate state;
	pid_t		 pid;		/* 0 once reaped */
	struct ev_io	 io;
	char		 rbuf[AUTH_LINE_MAX];
	size_t		 rlen;
	char		 wbuf[AUTH_WBUF];
	size_t		 wlen;
	unsigned	 ninflight;
	unsigned	 nchan;		/* next channel id */
	unsigned	 fails;		/* quick deaths in a row */
	int64_t		 started;
	int64_t		 restart_at;	/* AUTH_H_DEAD */
};

struct auth_query {
	unsigned	 magic;
	enum auth_qstate state;
	struct auth_query *next;	/* queue */
	struct auth_helper *h;		/* AUTH_Q_SENT */
	unsigned	 chan;
	int		 retried;
	int64_t		 deadline;
	unsigned char	 key[32];	/* cache key */
	char		 line[AUTH_LINE_MAX];	/* without the channel id */
	size_t		 linelen;
	auth_done_f	*cb;
	void		*arg;
};

struct auth_cache_ent {
	unsigned char	 key[32];
	int64_t		 expires;	/* ev_now() ms; 0: empty */
};

static const struct conf	*auth_conf;
static struct auth_helper	*auth_h;
static int			 auth_nh;
static struct auth_query	 auth_q[AUTH_QUEUE_MAX];
static struct auth_query	*auth_qhead, *auth_qtail;
static struct auth_cache_ent	 auth_cache[AUTH_CACHE_SIZE];
static unsigned char		 auth_salt[16];
static struct ev_timer		 auth_timer;	/* deadlines and restarts */
static struct ev_timer		 auth_kick;	/* dispatch on the next turn */

static void	auth_dispatch(void);
static void	auth_timer_rearm(void);

int
auth_enabled(void)
{
	return auth_conf != NULL && auth_conf->auth_program != NULL;
}

const char *
auth_realm(void)
{
	return auth_conf != NULL && auth_conf->auth_realm != NULL ?
	    auth_conf->auth_realm : "sluice proxy";
}

/* ----------------------------------------------------- credentials */

static int
auth_b64val(int ch)
{
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A';
	if (ch >= 'a' && ch <= 'z')
		return ch - 'a' + 26;
	if (ch >= '0' && ch <= '9')
		return ch - '0' + 52;
	if (ch == '+')
		return 62;
	if (ch == '/')
		return 63;
	return -1;
}

int
auth_basic_decode(const char *v, size_t n, char *user, size_t usz,
    char *pass, size_t psz)
{
	unsigned char out[768];
	size_t i = 0, o = 0, pad = 0, k;
	uint32_t acc = 0;
	int bits = 0, d;
	const unsigned char *colon;

	/* RFC 9110 §11.4: the scheme is case-insensitive, then 1*SP. */
	if (n < 6 || strncasecmp(v, "Basic", 5) != 0 || v[5] != ' ')
		return -1;
	for (i = 5; i < n && v[i] == ' '; i++)
		continue;
	for (; i < n; i++) {
		if (v[i] == '=') {
			pad++;
			continue;
		}
		if (pad > 0 || (d = auth_b64val((unsigned char)v[i])) == -1)
			return -1;	/* data after padding, or not base64 */
		acc = acc << 6 | (uint32_t)d;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o == sizeof(out))
				return -1;
			out[o++] = (unsigned char)(acc >> bits);
		}
	}
	if (pad > 2 || bits >= 6)
		return -1;
	/* RFC 7617 §2: user-id ":" password; the user-id has no colon. */
	colon = memchr(out, ':', o);
	if (colon == NULL || colon == out)
		goto bad;
	k = (size_t)(colon - out);
	if (k >= usz || o - k - 1 >= psz)
		goto bad;
	for (i = 0; i < o; i++)
		if (out[i] == '\0' || (i < k && (out[i] < 0x20 || out[i] == 0x7f)))
			goto bad;
	memcpy(user, out, k);
	user[k] = '\0';
	memcpy(pass, colon + 1, o - k - 1);
	pass[o - k - 1] = '\0';
	explicit_bzero(out, sizeof(out));
	return 0;
bad:
	explicit_bzero(out, sizeof(out));
	return -1;
}

/* The cache key: SHA-256(salt, user, NUL, password); salt per worker. */
static void
auth_key(const char *user, const char *pass, unsigned char key[32])
{
	EVP_MD_CTX *x = EVP_MD_CTX_new();
	unsigned int len = 32;

	if (x == NULL || EVP_DigestInit_ex(x, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(x, auth_salt, sizeof(auth_salt)) != 1 ||
	    EVP_DigestUpdate(x, user, strlen(user) + 1) != 1 ||
	    EVP_DigestUpdate(x, pass, strlen(pass)) != 1 ||
	    EVP_DigestFinal_ex(x, key, &len) != 1)
		memset(key, 0, 32);	/* never matches: entries are non-zero */
	EVP_MD_CTX_free(x);
}

static struct auth_cache_ent *
auth_cache_find(const unsigned char key[32], int for_insert)
{
	struct auth_cache_ent *e, *victim = NULL;
	size_t base, i;
	int64_t now = ev_now();

	base = ((size_t)key[0] << 8 | key[1]) % (AUTH_CACHE_SIZE / AUTH_CACHE_WAYS) *
	    AUTH_CACHE_WAYS;
	for (i = 0; i < AUTH_CACHE_WAYS; i++) {
		e = &auth_cache[base + i];
		if (e->expires > now && memcmp(e->key, key, 32) == 0)
			return e;
		if (victim == NULL || e->expires < victim->expires)
			victim = e;
	}
	return for_insert ? victim : NULL;
}

static void
auth_cache_add(const unsigned char key[32])
{
	struct auth_cache_ent *e;
	static const unsigned char zero[32];

	if (auth_conf->auth_credentialsttl <= 0 || memcmp(key, zero, 32) == 0)
		return;
	e = auth_cache_find(key, 1);
	memcpy(e->key, key, 32);
	e->expires = ev_now() + auth_conf->auth_credentialsttl;
}

/* rfc1738-style escaping of one word, as squid sends it. */
static size_t
auth_escape(char *out, size_t outsz, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;
	unsigned char ch;

	for (; *s != '\0' && o + 4 < outsz; s++) {
		ch = (unsigned char)*s;
		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' ||
		    ch == '_')
			out[o++] = (char)ch;
		else {
			out[o++] = '%';
			out[o++] = hex[ch >> 4];
			out[o++] = hex[ch & 15];
		}
	}
	out[o] = '\0';
	return o;
}

/* ----------------------------------------------------------- helpers */

static int
auth_helper_capacity(const struct auth_helper *h)
{
	return auth_conf->auth_concurrency > 0 ? auth_conf->auth_concurrency : 1;
}

static void
auth_helper_flush(struct auth_helper *h)
{
	ssize_t n;

	while (h->wlen > 0) {
		n = write(h->io.fd, h->wbuf, h->wlen);
		if (n > 0) {
			memmove(h->wbuf, h->wbuf + n, h->wlen - (size_t)n);
			h->wlen -= (size_t)n;
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		/* EAGAIN: EPOLLOUT comes; EPIPE: EPOLLHUP comes. */
		break;
	}
	/* The bytes sent held passwords: do not leave them behind. */
	explicit_bzero(h->wbuf + h->wlen, sizeof(h->wbuf) - h->wlen);
}

static void
auth_query_end(struct auth_query *q, enum auth_result res)
{
	auth_done_f *cb = q->cb;
	void *arg = q->arg;

	stats_auth_end(res);	/* the queue, results (metrics) */
	if (res == AUTH_OK)
		auth_cache_add(q->key);
	explicit_bzero(q->line, sizeof(q->line));
	q->state = AUTH_Q_FREE;
	q->h = NULL;
	q->cb = NULL;
	if (cb != NULL)
		cb(arg, res);
}

static void
auth_queue_push(struct auth_query *q, int front)
{
	q->state = AUTH_Q_QUEUED;
	q->h = NULL;
	if (front) {
		q->next = auth_qhead;
		auth_qhead = q;
		if (auth_qtail == NULL)
			auth_qtail = q;
		return;
	}
	q->next = NULL;
	if (auth_qtail != NULL)
		auth_qtail->next = q;
	else
		auth_qhead = q;
	auth_qtail = q;
}

static void
auth_queue_remove(struct auth_query *q)
{
	struct auth_query **pp, *prev = NULL;

	for (pp = &auth_qhead; *pp != NULL; prev = *pp, pp = &(*pp)->next) {
		if (*pp == q) {
			*pp = q->next;
			if (auth_qtail == q)
				auth_qtail = prev;
			q->next = NULL;
			return;
		}
	}
}

static void
auth_kick_cb(struct ev_timer *t)
{
	auth_dispatch();
}

static void
auth_kick_arm(void)
{
	ev_timer_arm(&auth_kick, 0, auth_kick_cb, NULL);
}

/*
 * A helper is gone (EOF, exit) or hung (@p hung: kill it).  Its queries
 * are retried once elsewhere, or fail with AUTH_UNAVAIL when it hung or
 * they were retried already.
 */
static void
auth_helper_dead(struct auth_helper *h, int hung, const char *why)
{
	int64_t now = ev_now(), delay;
	int i, fd;

	if (h->state != AUTH_H_RUNNING)
		return;
	fd = h->io.fd;
	ev_io_stop(&h->io);
	close(fd);
	h->io.fd = -1;
	if (hung && h->pid > 0)
		(void)kill(h->pid, SIGKILL);
	h->state = AUTH_H_DEAD;
	metrics_add(METRIC_AUTH_HELPER_FAILURES, 1);
	h->wlen = 0;
	h->rlen = 0;
	explicit_bzero(h->wbuf, sizeof(h->wbuf));
	if (!hung && now - h->started < AUTH_STABLE_MS)
		h->fails++;
	else
		h->fails = 0;
	delay = h->fails == 0 ? 0 : (int64_t)AUTH_BACKOFF_MIN <<
	    (h->fails > 8 ? 7 : h->fails - 1);
	if (delay > AUTH_BACKOFF_MAX)
		delay = AUTH_BACKOFF_MAX;
	h->restart_at = now + delay;
	log_warnx("auth helper %d (pid %ld) %s; %u requests in flight; "
	    "restart in %lld ms", (int)(h - auth_h), (long)h->pid, why,
	    h->ninflight, (long long)delay);
	h->ninflight = 0;
	for (i = 0; i < AUTH_QUEUE_MAX; i++) {
		struct auth_query *q = &auth_q[i];

		if (q->state != AUTH_Q_SENT || q->h != h)
			continue;
		if (hung || q->retried) {
			auth_query_end(q, AUTH_UNAVAIL);
			continue;
		}
		q->retried = 1;
		q->deadline = now + auth_conf->auth_timeout;
		auth_queue_push(q, 1);
	}
	auth_kick_arm();
}

static void
auth_helper_reply(struct auth_helper *h, char *line)
{
	struct auth_query *q = NULL;
	char *p = line, *end;
	unsigned long chan = 0;
	enum auth_result res;
	int i;

	if (auth_conf->auth_concurrency > 0) {
		chan = strtoul(p, &end, 10);
		if (end == p || *end != ' ') {
			log_warnx("auth helper %d: reply without a channel id: "
			    "'%.80s'", (int)(h - auth_h), line);
			return;
		}
		p = end + 1;
	}
	for (i = 0; i < AUTH_QUEUE_MAX; i++) {
		if (auth_q[i].state == AUTH_Q_SENT && auth_q[i].h == h &&
		    (auth_conf->auth_concurrency == 0 || auth_q[i].chan == chan)) {
			q = &auth_q[i];
			break;
		}
	}
	if (q == NULL) {
		log_warnx("auth helper %d: reply to no request: '%.80s'",
		    (int)(h - auth_h), line);
		return;
	}
	if (strncmp(p, "OK", 2) == 0 && (p[2] == '\0' || p[2] == ' '))
		res = AUTH_OK;
	else if (strncmp(p, "ERR", 3) == 0 && (p[3] == '\0' || p[3] == ' '))
		res = AUTH_FAIL;
	else {
		/* BH (broken helper) or garbage: no verdict on the user. */
		log_warnx("auth helper %d: no verdict: '%.80s'",
		    (int)(h - auth_h), p);
		res = AUTH_UNAVAIL;
	}
	h->ninflight--;
	auth_query_end(q, res);
}

static void
auth_helper_io(struct ev_io *io, uint32_t revents)
{
	struct auth_helper *h = io->data;
	char *nl;
	ssize_t n;

	if (revents & EPOLLOUT)
		auth_helper_flush(h);
	for (;;) {
		if (h->state != AUTH_H_RUNNING)
			return;
		n = read(io->fd, h->rbuf + h->rlen, sizeof(h->rbuf) - 1 - h->rlen);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			break;
		if (n <= 0) {
			auth_helper_dead(h, 0, n == 0 ? "closed its pipe" :
			    "broke its pipe");
			return;
		}
		h->rlen += (size_t)n;
		h->rbuf[h->rlen] = '\0';
		while (h->state == AUTH_H_RUNNING &&
		    (nl = memchr(h->rbuf, '\n', h->rlen)) != NULL) {
			*nl = '\0';
			if (nl > h->rbuf && nl[-1] == '\r')
				nl[-1] = '\0';
			auth_helper_reply(h, h->rbuf);
			if (h->state != AUTH_H_RUNNING)
				return;
			h->rlen -= (size_t)(nl + 1 - h->rbuf);
			memmove(h->rbuf, nl + 1, h->rlen);
		}
		if (h->rlen == sizeof(h->rbuf) - 1) {
			auth_helper_dead(h, 1, "sent a line too long");
			return;
		}
	}
	auth_timer_rearm();
	if (auth_qhead != NULL)
		auth_kick_arm();
}

/* Fork (and exec) a helper into slot @p h.  @return 0 or -1 (logged). */
static int
auth_helper_spawn(struct auth_helper *h)
{
	char *const *av = auth_conf->auth_program;
	sigset_t none;
	int sv[2];
	pid_t pid;
	int lfd = log_fd();

	/* On a failure before the fork, try this slot again in a while. */
	h->state = AUTH_H_DEAD;
	h->pid = 0;
	h->restart_at = ev_now() + AUTH_BACKOFF_MAX;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1) {
		log_warn("auth helper: socketpair");
		return -1;
	}
	pid = fork();
	if (pid == -1) {
		log_warn("auth helper: fork");
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (pid == 0) {
		/* The helper: stdin and stdout are the socket, stderr stays. */
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		(void)prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (dup2(sv[1], 0) == -1 || dup2(sv[1], 1) == -1)
			_exit(127);
		if (strcmp(av[0], "basic_file") == 0) {
			/* Keep cache_log: the built-in helper logs there. */
			if (lfd > 3)
				(void)close_range(3, (unsigned)lfd - 1, 0);
			(void)close_range(lfd >= 3 ? (unsigned)lfd + 1 : 3,
			    ~0U, 0);
			(void)prctl(PR_SET_NAME, "sluice-auth");
			_exit(auth_file_main(av[1], auth_conf->auth_concurrency));
		}
		/* As in squid, a helper's stderr goes to cache_log. */
		if (lfd > 2)
			(void)dup2(lfd, 2);
		(void)close_range(3, ~0U, 0);
		execv(av[0], av);
		dprintf(2, "auth helper: cannot run %s: %s\n", av[0],
		    strerror(errno));
		_exit(127);
	}
	close(sv[1]);
	if (fcntl(sv[0], F_SETFL, O_NONBLOCK) == -1 ||
	    ev_io_start(&h->io, sv[0], EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
	    auth_helper_io, h) == -1) {
		log_warn("auth helper: epoll add");
		close(sv[0]);
		(void)kill(pid, SIGKILL);
		h->pid = pid;	/* reaped by auth_reap() */
		return -1;
	}
	h->pid = pid;
	h->state = AUTH_H_RUNNING;
	h->started = ev_now();
	h->rlen = h->wlen = 0;
	h->ninflight = 0;
	log_info("auth helper %d started, pid %ld", (int)(h - auth_h),
	    (long)pid);
	return 0;
}

/* A running helper with room, or a slot we may start one in now. */
static struct auth_helper *
auth_helper_pick(void)
{
	struct auth_helper *h, *best = NULL;
	int64_t now = ev_now();
	int i;

	for (i = 0; i < auth_nh; i++) {
		h = &auth_h[i];
		if (h->state == AUTH_H_RUNNING &&
		    h->ninflight < (unsigned)auth_helper_capacity(h) &&
		    h->wlen + AUTH_LINE_MAX + 16 <= sizeof(h->wbuf) &&
		    (best == NULL || h->ninflight < best->ninflight))
			best = h;
	}
	if (best != NULL)
		return best;
	for (i = 0; i < auth_nh; i++) {
		h = &auth_h[i];
		if ((h->state == AUTH_H_FREE || (h->state == AUTH_H_DEAD &&
		    h->pid == 0 && h->restart_at <= now)) &&
		    auth_helper_spawn(h) == 0)
			return h;
	}
	return NULL;
}

/* Nonzero when some helper runs or may be (re)started soon. */
static int
auth_helpers_available(void)
{
	int64_t now = ev_now();
	int i;

	for (i = 0; i < auth_nh; i++) {
		if (auth_h[i].state == AUTH_H_RUNNING ||
		    auth_h[i].state == AUTH_H_FREE ||
		    (auth_h[i].state == AUTH_H_DEAD &&
		    auth_h[i].restart_at <= now + AUTH_RESTART_WAIT))
			return 1;
	}
	return 0;
}

static void
auth_dispatch(void)
{
	struct auth_helper *h;
	struct auth_query *q;
	char id[16];
	size_t idl = 0;

	while ((q = auth_qhead) != NULL) {
		if ((h = auth_helper_pick()) == NULL)
			break;
		auth_queue_remove(q);
		if (auth_conf->auth_concurrency > 0) {
			q->chan = h->nchan++ % 1000000;
			idl = (size_t)snprintf(id, sizeof(id), "%u ", q->chan);
			memcpy(h->wbuf + h->wlen, id, idl);
			h->wlen += idl;
		}
		memcpy(h->wbuf + h->wlen, q->line, q->linelen);
		h->wlen += q->linelen;
		q->state = AUTH_Q_SENT;
		q->h = h;
		q->deadline = ev_now() + auth_conf->auth_timeout;
		h->ninflight++;
		auth_helper_flush(h);
	}
	if (auth_qhead != NULL && !auth_helpers_available()) {
		/* Everything is down for a while: answer now, not later. */
		while ((q = auth_qhead) != NULL) {
			auth_queue_remove(q);
			auth_query_end(q, AUTH_UNAVAIL);
		}
	}
	auth_timer_rearm();
}

static void
auth_timer_cb(struct ev_timer *t)
{
	int64_t now = ev_now();
	int i;

	for (i = 0; i < AUTH_QUEUE_MAX; i++) {
		struct auth_query *q = &auth_q[i];

		if (q->state == AUTH_Q_FREE || q->deadline > now)
			continue;
		if (q->state == AUTH_Q_SENT) {
			log_warnx("auth helper %d (pid %ld) did not answer "
			    "within %lld ms: killing it", (int)(q->h - auth_h),
			    (long)q->h->pid,
			    (long long)auth_conf->auth_timeout);
			auth_helper_dead(q->h, 1, "hung");
		} else {
			auth_queue_remove(q);
			auth_query_end(q, AUTH_UNAVAIL);
		}
	}
	auth_dispatch();
	/* Keep `startup` helpers running. */
	for (i = 0; i < auth_nh && i < auth_conf->auth_startup; i++)
		if (auth_h[i].state == AUTH_H_DEAD && auth_h[i].pid == 0 &&
		    auth_h[i].restart_at <= now)
			(void)auth_helper_spawn(&auth_h[i]);
	auth_timer_rearm();
}

static void
auth_timer_rearm(void)
{
	int64_t when = 0;
	int i;

	for (i = 0; i < AUTH_QUEUE_MAX; i++)
		if (auth_q[i].state != AUTH_Q_FREE &&
		    (when == 0 || auth_q[i].deadline < when))
			when = auth_q[i].deadline;
	/* Restarts: the startup helpers always, the others when needed. */
	for (i = 0; i < auth_nh; i++)
		if (auth_h[i].state == AUTH_H_DEAD && auth_h[i].pid == 0 &&
		    (i < auth_conf->auth_startup || auth_qhead != NULL) &&
		    (when == 0 || auth_h[i].restart_at < when))
			when = auth_h[i].restart_at;
	if (when == 0)
		ev_timer_stop(&auth_timer);
	else
		ev_timer_arm_at(&auth_timer, when, auth_timer_cb, NULL);
}

/* ------------------------------------------------------------- API */

int
auth_init(const struct conf *c)
{
	int i;

	auth_conf = c;
	if (c->auth_program == NULL)
		return 0;
	if (RAND_bytes(auth_salt, sizeof(auth_salt)) != 1) {
		log_warnx("auth: no random bytes for the cache salt");
		return -1;
	}
	auth_nh = c->auth_children;
	auth_h = calloc((size_t)auth_nh, sizeof(*auth_h));
	if (auth_h == NULL) {
		log_warnx("auth: out of memory for %d helpers", auth_nh);
		return -1;
	}
	for (i = 0; i < auth_nh; i++)
		auth_h[i].io.fd = -1;
	for (i = 0; i < AUTH_QUEUE_MAX; i++)
		auth_q[i].magic = AUTH_QUERY_MAGIC;
	for (i = 0; i < c->auth_startup && i < auth_nh; i++)
		if (auth_helper_spawn(&auth_h[i]) == -1)
			break;
	auth_timer_rearm();
	return 0;
}

enum auth_result
auth_check(char *user, const char *pass, auth_done_f *cb, void *arg,
    struct auth_query **qp)
{
	char euser[256 * 3 + 1], epass[256 * 3 + 1];
	unsigned char key[32];
	struct auth_query *q = NULL;
	size_t i;
	int n;

	*qp = NULL;
	if (!auth_enabled())
		return AUTH_UNAVAIL;
	if (!auth_conf->auth_casesensitive)
		for (i = 0; user[i] != '\0'; i++)
			user[i] = str_lower(user[i]);
	for (i = 0; i < AUTH_QUEUE_MAX; i++)
		if (auth_q[i].state == AUTH_Q_FREE) {
			q = &auth_q[i];
			break;
		}
	auth_key(user, pass, key);
	if (auth_cache_find(key, 0) != NULL)
		return AUTH_OK;
	if (q == NULL) {
		log_warnx("auth: %d checks pending, refusing more",
		    AUTH_QUEUE_MAX);
		return AUTH_UNAVAIL;
	}
	if (!auth_helpers_available())
		return AUTH_UNAVAIL;
	auth_escape(euser, sizeof(euser), user);
	auth_escape(epass, sizeof(epass), pass);
	n = snprintf(q->line, sizeof(q->line), "%s %s\n", euser, epass);
	explicit_bzero(epass, sizeof(epass));
	if (n < 0 || (size_t)n >= sizeof(q->line)) {
		explicit_bzero(q->line, sizeof(q->line));
		return AUTH_FAIL;
	}
	q->linelen = (size_t)n;
	memcpy(q->key, key, sizeof(key));
	q->cb = cb;
	q->arg = arg;
	q->retried = 0;
	q->deadline = ev_now() + auth_conf->auth_timeout;
	auth_queue_push(q, 0);
	metrics_gauge_add(METRIC_G_AUTH_PENDING, 1);
	auth_kick_arm();
	*qp = q;
	return AUTH_PENDING;
}

void
auth_cancel(struct auth_query *q)
{
	if (q == NULL)
		return;
	CHECK_MAGIC(q, AUTH_QUERY_MAGIC);
	/*
	 * A sent query stays SENT without a callback, so the helper's answer
	 * still finds it (the channel stays in step); a queued one goes.
	 */
	q->cb = NULL;
	q->arg = NULL;
	if (q->state == AUTH_Q_QUEUED) {
		auth_queue_remove(q);
		explicit_bzero(q->line, sizeof(q->line));
		q->state = AUTH_Q_FREE;
		metrics_gauge_add(METRIC_G_AUTH_PENDING, -1);
	}
}

void
auth_reap(void)
{
	pid_t pid;
	int status, i;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (i = 0; i < auth_nh; i++) {
			struct auth_helper *h = &auth_h[i];

			if (h->pid != pid)
				continue;
			if (WIFSIGNALED(status))
				log_info("auth helper %d (pid %ld) ended with "
				    "signal %d", i, (long)pid, WTERMSIG(status));
			else
				log_info("auth helper %d (pid %ld) exited with "
				    "status %d", i, (long)pid,
				    WEXITSTATUS(status));
			auth_helper_dead(h, 0, "exited");
			h->pid = 0;
		}
	}
	if (auth_conf != NULL && auth_nh > 0) {
		auth_kick_arm();
		auth_timer_rearm();
	}
}

void
auth_shutdown(void)
{
	struct timespec ts = { 0, 10 * 1000000L };
	int i, left, tries;

	for (i = 0; i < auth_nh; i++) {
		struct auth_helper *h = &auth_h[i];

		if (h->state == AUTH_H_RUNNING) {
			ev_io_stop(&h->io);
			close(h->io.fd);	/* EOF: squid helpers exit on it */
			h->io.fd = -1;
			h->state = AUTH_H_DEAD;
		}
		if (h->pid > 0)
			(void)kill(h->pid, SIGTERM);
	}
	ev_timer_stop(&auth_timer);
	ev_timer_stop(&auth_kick);
	/*
	 * The loop is over: wait for them here (bounded, 1 s), so that no
	 * helper outlives its worker; SIGKILL what is left.
	 */
	for (tries = 0; tries < 100; tries++) {
		for (left = 0, i = 0; i < auth_nh; i++) {
			if (auth_h[i].pid <= 0)
				continue;
			if (waitpid(auth_h[i].pid, NULL, WNOHANG) != 0)
				auth_h[i].pid = 0;
			else
				left++;
		}
		if (left == 0)
			return;
		nanosleep(&ts, NULL);
	}
	for (i = 0; i < auth_nh; i++) {
		if (auth_h[i].pid <= 0)
			continue;
		(void)kill(auth_h[i].pid, SIGKILL);
		(void)waitpid(auth_h[i].pid, NULL, 0);
		auth_h[i].pid = 0;
	}
}
