/*
 * ev.c -- epoll loop, timer heap and deferred frees (see ev.h).
 * Runs in the workers.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/epoll.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "ev.h"

#define EV_BATCH	256

static int		  ev_epfd = -1;
static int64_t		  ev_now_ms;
static struct ev_timer	**ev_heap;
static size_t		  ev_heap_len, ev_heap_cap;
static void		**ev_deferred;
static size_t		  ev_deferred_len, ev_deferred_cap;
static void		(*ev_before_wait_fn)(void);

static int64_t
ev_clock(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
ev_init(void)
{
	if (ev_epfd != -1)
		close(ev_epfd);
	ev_epfd = epoll_create1(EPOLL_CLOEXEC);
	if (ev_epfd == -1)
		return -1;
	ev_now_ms = ev_clock();
	return 0;
}

int64_t
ev_now(void)
{
	return ev_now_ms;
}

void
ev_wallclock(int64_t *sec, int *usec)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	*sec = tv.tv_sec;
	*usec = (int)tv.tv_usec;
}

int
ev_io_start(struct ev_io *io, int fd, uint32_t events, ev_io_f *cb, void *data)
{
	struct epoll_event ee;

	io->fd = fd;
	io->cb = cb;
	io->data = data;
	memset(&ee, 0, sizeof(ee));
	ee.events = events;
	ee.data.ptr = io;
	if (epoll_ctl(ev_epfd, EPOLL_CTL_ADD, fd, &ee) == -1) {
		io->fd = -1;
		return -1;
	}
	return 0;
}

int
ev_io_modify(struct ev_io *io, uint32_t events)
{
	struct epoll_event ee;

	memset(&ee, 0, sizeof(ee));
	ee.events = events;
	ee.data.ptr = io;
	return epoll_ctl(ev_epfd, EPOLL_CTL_MOD, io->fd, &ee);
}

int
ev_io_move(struct ev_io *from, struct ev_io *to, uint32_t events,
    ev_io_f *cb, void *data)
{
	struct epoll_event ee;
	int fd = from->fd;

	from->fd = -1;
	from->gen++;
	to->fd = fd;
	to->cb = cb;
	to->data = data;
	memset(&ee, 0, sizeof(ee));
	ee.events = events;
	ee.data.ptr = to;
	if (epoll_ctl(ev_epfd, EPOLL_CTL_MOD, fd, &ee) == -1) {
		(void)epoll_ctl(ev_epfd, EPOLL_CTL_DEL, fd, NULL);
		to->fd = -1;
		return -1;
	}
	return 0;
}

void
ev_io_stop(struct ev_io *io)
{
	if (io->fd < 0)
		return;
	(void)epoll_ctl(ev_epfd, EPOLL_CTL_DEL, io->fd, NULL);
	io->fd = -1;
	io->gen++;
}

/* Binary min-heap on t->when; t->idx is the 1-based slot. */
static void
ev_heap_swap(size_t a, size_t b)
{
	struct ev_timer *t;

	t = ev_heap[a];
	ev_heap[a] = ev_heap[b];
	ev_heap[b] = t;
	ev_heap[a]->idx = a + 1;
	ev_heap[b]->idx = b + 1;
}

static void
ev_heap_up(size_t i)
{
	while (i > 0 && ev_heap[(i - 1) / 2]->when > ev_heap[i]->when) {
		ev_heap_swap(i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static void
ev_heap_down(size_t i)
{
	size_t l, r, m;

	for (;;) {
		l = 2 * i + 1;
		r = l + 1;
		m = i;
		if (l < ev_heap_len && ev_heap[l]->when < ev_heap[m]->when)
			m = l;
		if (r < ev_heap_len && ev_heap[r]->when < ev_heap[m]->when)
			m = r;
		if (m == i)
			return;
		ev_heap_swap(i, m);
		i = m;
	}
}

void
ev_timer_stop(struct ev_timer *t)
{
	size_t i;

	if (t->idx == 0)
		return;
	i = t->idx - 1;
	t->idx = 0;
	ev_heap_len--;
	if (i == ev_heap_len)
		return;
	ev_heap[i] = ev_heap[ev_heap_len];
	ev_heap[i]->idx = i + 1;
	ev_heap_up(i);
	ev_heap_down(ev_heap[i]->idx - 1);
}

void
ev_timer_arm_at(struct ev_timer *t, int64_t when, ev_timer_f *cb, void *data)
{
	struct ev_timer **nh;
	size_t ncap;

	ev_timer_stop(t);
	t->when = when;
	t->cb = cb;
	t->data = data;
	if (ev_heap_len == ev_heap_cap) {
		/* Grows to the peak number of live timers, then stays. */
		ncap = ev_heap_cap ? ev_heap_cap * 2 : 1024;
		nh = realloc(ev_heap, ncap * sizeof(*nh));
		if (nh == NULL)
			abort();	/* out of memory in the loop: let the master restart us */
		ev_heap = nh;
		ev_heap_cap = ncap;
	}
	ev_heap[ev_heap_len] = t;
	t->idx = ++ev_heap_len;
	ev_heap_up(ev_heap_len - 1);
}

void
ev_timer_arm(struct ev_timer *t, int64_t ms, ev_timer_f *cb, void *data)
{
	ev_timer_arm_at(t, ev_now_ms + ms, cb, data);
}

void
ev_defer_free(void *p)
{
	void **nd;
	size_t ncap;

	if (ev_deferred_len == ev_deferred_cap) {
		ncap = ev_deferred_cap ? ev_deferred_cap * 2 : 64;
		nd = realloc(ev_deferred, ncap * sizeof(*nd));
		if (nd == NULL)
			abort();
		ev_deferred = nd;
		ev_deferred_cap = ncap;
	}
	ev_deferred[ev_deferred_len++] = p;
}

static void
ev_run_deferred(void)
{
	size_t i;

	for (i = 0; i < ev_deferred_len; i++)
		free(ev_deferred[i]);
	ev_deferred_len = 0;
}

static void
ev_run_timers(void)
{
	struct ev_timer *t;
	int n;

	/* Bounded per turn so that I/O is not starved by a timer storm. */
	for (n = 0; n < 4096 && ev_heap_len > 0; n++) {
		t = ev_heap[0];
		if (t->when > ev_now_ms)
			break;
		ev_timer_stop(t);
		t->cb(t);
	}
}

void
ev_before_wait(void (*fn)(void))
{
	ev_before_wait_fn = fn;
}

int
ev_run(int (*done)(void))
{
	struct epoll_event evs[EV_BATCH];
	struct ev_io *ios[EV_BATCH];
	uint32_t gens[EV_BATCH];
	int i, n, timeout;
	int64_t d;

	while (!done()) {
		if (ev_before_wait_fn != NULL)
			ev_before_wait_fn();
		timeout = -1;
		if (ev_heap_len > 0) {
			d = ev_heap[0]->when - ev_clock();
			timeout = d < 0 ? 0 : d > 60000 ? 60000 : (int)d;
		}
		n = epoll_wait(ev_epfd, evs, EV_BATCH, timeout);
		ev_now_ms = ev_clock();
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		/*
		 * Snapshot each io's generation first: a callback may stop
		 * (and free) another io of this batch, which bumps its gen.
		 */
		for (i = 0; i < n; i++) {
			ios[i] = evs[i].data.ptr;
			gens[i] = ios[i]->gen;
		}
		for (i = 0; i < n; i++) {
			if (ios[i]->fd < 0 || ios[i]->gen != gens[i])
				continue;
			ios[i]->cb(ios[i], evs[i].events);
		}
		ev_run_timers();
		ev_run_deferred();
	}
	return 0;
}
