/*
 * writer.c -- the store's writer thread (see writer.h).
 * Runs in the workers: the wr_* calls on the loop's thread, wr_exec() on
 * the writer thread.
 *
 * Two lists cross between the threads, each under its own mutex: jobs
 * (loop -> writer, FIFO, a condition variable wakes the writer) and
 * finished jobs (writer -> loop, FIFO, an eventfd wakes the loop).  A
 * job is owned by exactly one side at a time.  struct wr_obj has a part
 * for each side: the loop's counters (queued, written, failed, reader)
 * change only in completions on the loop; the writer's store_writer only
 * on the writer thread.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/epoll.h>
#include <sys/eventfd.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "ev.h"
#include "log.h"
#include "sl.h"
#include "writer.h"

enum wr_op {
	WR_BEGIN, WR_APPEND, WR_COMMIT, WR_ABORT, WR_DELETE, WR_UPDATE,
	WR_VARY, WR_DROP, WR_TOUCH, WR_FENCE,
};

struct wr_obj {
	/* The loop's side. */
	uint64_t		 queued;	/* bytes given to wr_append() */
	uint64_t		 written;	/* bytes the writer has stored */
	int			 failed;
	int			 reader;	/* fd from the writer, or -1 */
	int			 handed;	/* committed or aborted */
	wr_done_f		*progress;
	void			*progress_arg;
	struct wr_job		*end;	/* the commit or abort, allocated
					   up front: ending never fails */
	/* The writer's side. */
	struct store_writer	*w;
	int			 w_reader_sent;
};

struct wr_job {
	struct wr_job		*next;
	enum wr_op		 op;
	struct wr_obj		*o;
	struct buf		*data;	/* APPEND body; BEGIN/UPDATE head+skey; VARY */
	size_t			 n1, n2;	/* head and skey lengths in data */
	uint8_t			 key[STORE_KEY_LEN];
	struct store_meta	 meta;
	int64_t			 now;
	struct store_obj	 drop;
	struct store_touch	*touch;
	unsigned		 ntouch;
	int			 rc;
	int			 fd;
	wr_done_f		*done;
	void			*arg;
};

#define WR_FREE_MAX	256

static struct store	*wr_store;
static int		 wr_threaded;
static pthread_t	 wr_tid;
static pthread_mutex_t	 wr_qmu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t	 wr_qcv = PTHREAD_COND_INITIALIZER;
static struct wr_job	*wr_qhead, **wr_qtail = &wr_qhead;	/* to the writer */
static int		 wr_stop;
static pthread_mutex_t	 wr_dmu = PTHREAD_MUTEX_INITIALIZER;
static struct wr_job	*wr_dhead, **wr_dtail = &wr_dhead;	/* back */
static int		 wr_efd = -1;
static struct ev_io	 wr_io;
static struct ev_timer	 wr_touch_timer;
static int		 wr_running;

/* The loop's bookkeeping. */
static struct wr_job	*wr_free;
static unsigned		 wr_nfree;
static uint64_t		 wr_bytes;	/* body bytes queued, not written */
static struct wr_wait	*wr_waiters;
static struct store_touch wr_touches[STORE_TOUCH_BATCH];
static unsigned		 wr_ntouches;

/* ---------------------------------------------------- the writer thread */

static void
wr_exec(struct wr_job *j)
{
	struct store *s = wr_store;
	struct wr_obj *o = j->o;
	int fd;

	j->rc = 0;
	j->fd = -1;
	switch (j->op) {
	case WR_BEGIN:
		if (store_begin(s, j->key, j->data->pos + j->n1, j->n2,
		    j->data->pos, j->n1, &j->meta, &o->w) == -1) {
			o->w = NULL;
			j->rc = -1;
		}
		break;
	case WR_APPEND:
		if (o->w == NULL) {
			j->rc = -1;
			break;
		}
		if (store_append(o->w, j->data->pos, buf_len(j->data)) == -1) {
			store_abort(o->w);
			o->w = NULL;
			j->rc = -1;
			break;
		}
		/* Once the body is in a file, followers can read it there. */
		if (!o->w_reader_sent &&
		    (fd = store_writer_reader(o->w)) != -1) {
			o->w_reader_sent = 1;
			j->fd = fd;
		}
		break;
	case WR_COMMIT:
		j->rc = o->w != NULL ? store_commit(o->w, j->now) : -1;
		o->w = NULL;
		break;
	case WR_ABORT:
		store_abort(o->w);
		o->w = NULL;
		break;
	case WR_DELETE:
		j->rc = store_delete(s, j->key);
		break;
	case WR_UPDATE:
		j->rc = store_update_head(s, j->key, j->data->pos + j->n1,
		    j->n2, j->data->pos, j->n1, &j->meta);
		break;
	case WR_VARY: {
		char cur[STORE_VARY_MAX];
		size_t n = 0, len = buf_len(j->data);

		if (store_vary_get(s, j->key, cur, sizeof(cur), &n) != 1)
			n = 0;
		if (n == len && memcmp(cur, j->data->pos, len) == 0)
			break;	/* the same spec: the variants stay */
		(void)store_delete(s, j->key);
		if (len > 0)
			j->rc = store_vary_put(s, j->key, j->data->pos, len);
		break;
	}
	case WR_DROP:
		store_drop(s, &j->drop);
		break;
	case WR_TOUCH:
		j->rc = store_touch_apply(s, j->touch, j->ntouch);
		break;
	case WR_FENCE:
		break;
	}
}

/* Hand finished jobs back and wake the loop. */
static void
wr_finished(struct wr_job *first, struct wr_job **last)
{
	uint64_t one = 1;

	pthread_mutex_lock(&wr_dmu);
	*wr_dtail = first;
	wr_dtail = last;
	pthread_mutex_unlock(&wr_dmu);
	(void)!write(wr_efd, &one, sizeof(one));
}

static void *
wr_main(void *arg)
{
	struct wr_job *list, *j, **last;

	(void)arg;
	for (;;) {
		pthread_mutex_lock(&wr_qmu);
		while (wr_qhead == NULL && !wr_stop)
			pthread_cond_wait(&wr_qcv, &wr_qmu);
		list = wr_qhead;
		wr_qhead = NULL;
		wr_qtail = &wr_qhead;
		pthread_mutex_unlock(&wr_qmu);
		if (list == NULL)
			break;	/* stopping, nothing left */
		last = &list;
		for (j = list; j != NULL; j = j->next) {
			wr_exec(j);
			last = &j->next;
		}
		wr_finished(list, last);
	}
	return NULL;
}

/* ------------------------------------------------------------ the loop */

static struct wr_job *
wr_job_new(enum wr_op op)
{
	struct wr_job *j;

	if ((j = wr_free) != NULL) {
		wr_free = j->next;
		wr_nfree--;
	} else if ((j = malloc(sizeof(*j))) == NULL)
		return NULL;
	memset(j, 0, sizeof(*j));
	j->op = op;
	j->fd = -1;
	return j;
}

static void
wr_job_free(struct wr_job *j)
{
	buf_put(j->data);
	free(j->touch);
	if (wr_nfree < WR_FREE_MAX) {
		j->next = wr_free;
		wr_free = j;
		wr_nfree++;
	} else
		free(j);
}

static void
wr_submit(struct wr_job *j)
{
	j->next = NULL;
	if (!wr_threaded) {
		/* No thread: do it now; the completion still takes the loop. */
		wr_exec(j);
		wr_finished(j, &j->next);
		return;
	}
	pthread_mutex_lock(&wr_qmu);
	*wr_qtail = j;
	wr_qtail = &j->next;
	pthread_cond_signal(&wr_qcv);
	pthread_mutex_unlock(&wr_qmu);
}

static void	wr_job_free(struct wr_job *);

static void
wr_obj_free(struct wr_obj *o)
{
	if (o->reader != -1)
		close(o->reader);
	if (o->end != NULL)
		wr_job_free(o->end);
	free(o);
}

static void
wr_wake_waiters(void)
{
	struct wr_wait *w, *next;

	if (wr_bytes >= WR_BUDGET / 2)
		return;
	w = wr_waiters;
	wr_waiters = NULL;
	for (; w != NULL; w = next) {
		next = w->next;
		w->next = NULL;
		w->queued = 0;
		w->fn(w->arg);
	}
}

/* A finished job, on the loop. */
static void
wr_complete(struct wr_job *j)
{
	struct wr_obj *o = j->o;
	size_t n;

	switch (j->op) {
	case WR_BEGIN:
		if (j->rc < 0)
			o->failed = 1;
		break;
	case WR_APPEND:
		n = buf_len(j->data);
		wr_bytes -= n;
		if (j->rc < 0)
			o->failed = 1;
		else
			o->written += n;
		if (j->fd != -1) {
			if (o->reader == -1)
				o->reader = j->fd;
			else
				close(j->fd);
		}
		if (o->progress != NULL)
			o->progress(o->progress_arg, j->rc < 0 ? -1 : 0);
		break;
	case WR_COMMIT:
	case WR_ABORT:
		/* The callback may still read the object; then it goes. */
		if (j->done != NULL)
			j->done(j->arg, j->rc);
		j->done = NULL;
		wr_obj_free(o);
		j->o = NULL;
		break;
	default:
		break;
	}
	if (j->done != NULL)
		j->done(j->arg, j->rc);
}

static void
wr_io_cb(struct ev_io *io, uint32_t revents)
{
	struct wr_job *list, *j, *next;
	uint64_t v;

	(void)io;
	(void)revents;
	(void)!read(wr_efd, &v, sizeof(v));
	pthread_mutex_lock(&wr_dmu);
	list = wr_dhead;
	wr_dhead = NULL;
	wr_dtail = &wr_dhead;
	pthread_mutex_unlock(&wr_dmu);
	for (j = list; j != NULL; j = next) {
		next = j->next;
		wr_complete(j);
		wr_job_free(j);
	}
	wr_wake_waiters();
}

static void
wr_touch_cb(struct ev_timer *t)
{
	wr_touch_flush();
	ev_timer_arm(t, 1000, wr_touch_cb, NULL);
}

int
wr_open(struct store *s, int threaded, char *err, size_t errlen)
{
	int rc;

	wr_store = s;
	wr_threaded = threaded;
	wr_stop = 0;
	if ((wr_efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) == -1) {
		snprintf(err, errlen, "eventfd: %s", strerror(errno));
		return -1;
	}
	if (ev_io_start(&wr_io, wr_efd, EPOLLIN, wr_io_cb, NULL) == -1) {
		snprintf(err, errlen, "epoll: %s", strerror(errno));
		close(wr_efd);
		wr_efd = -1;
		return -1;
	}
	if (threaded && (rc = pthread_create(&wr_tid, NULL, wr_main,
	    NULL)) != 0) {
		snprintf(err, errlen, "writer thread: %s", strerror(rc));
		ev_io_stop(&wr_io);
		close(wr_efd);
		wr_efd = -1;
		return -1;
	}
	wr_running = 1;
	ev_timer_arm(&wr_touch_timer, 1000, wr_touch_cb, NULL);
	return 0;
}

void
wr_close(void)
{
	struct wr_job *j;

	if (!wr_running)
		return;
	ev_timer_stop(&wr_touch_timer);
	wr_touch_flush();
	if (wr_threaded) {
		pthread_mutex_lock(&wr_qmu);
		wr_stop = 1;
		pthread_cond_signal(&wr_qcv);
		pthread_mutex_unlock(&wr_qmu);
		pthread_join(wr_tid, NULL);
	}
	wr_io_cb(&wr_io, EPOLLIN);
	ev_io_stop(&wr_io);
	close(wr_efd);
	wr_efd = -1;
	wr_running = 0;
	while ((j = wr_free) != NULL) {
		wr_free = j->next;
		free(j);
	}
	wr_nfree = 0;
}

uint64_t
wr_backlog(void)
{
	return wr_bytes;
}

int
wr_room(size_t n)
{
	return wr_bytes + n <= WR_BUDGET || wr_bytes == 0;
}

void
wr_wait(struct wr_wait *w)
{
	if (w->queued)
		return;
	w->queued = 1;
	w->next = wr_waiters;
	wr_waiters = w;
}

void
wr_unwait(struct wr_wait *w)
{
	struct wr_wait **pp;

	if (!w->queued)
		return;
	for (pp = &wr_waiters; *pp != NULL; pp = &(*pp)->next)
		if (*pp == w) {
			*pp = w->next;
			break;
		}
	w->queued = 0;
	w->next = NULL;
}

/* A buffer holding @p a then @p b. */
static struct buf *
wr_copy2(const void *a, size_t na, const void *b, size_t nb)
{
	struct buf *d;

	if ((d = buf_get(na + nb ? na + nb : 1)) == NULL)
		return NULL;
	if (na > 0)
		memcpy(d->last, a, na);
	if (nb > 0)
		memcpy(d->last + na, b, nb);
	d->last += na + nb;
	return d;
}

struct wr_obj *
wr_begin(const uint8_t key[STORE_KEY_LEN], const void *skey, size_t skeylen,
    const void *head, size_t headlen, const struct store_meta *m)
{
	struct wr_obj *o;
	struct wr_job *j;

	if ((o = calloc(1, sizeof(*o))) == NULL)
		return NULL;
	o->reader = -1;
	if ((o->end = wr_job_new(WR_ABORT)) == NULL ||
	    (j = wr_job_new(WR_BEGIN)) == NULL) {
		wr_obj_free(o);
		return NULL;
	}
	if ((j->data = wr_copy2(head, headlen, skey, skeylen)) == NULL) {
		wr_job_free(j);
		wr_obj_free(o);
		return NULL;
	}
	j->o = o;
	j->n1 = headlen;
	j->n2 = skeylen;
	memcpy(j->key, key, STORE_KEY_LEN);
	j->meta = *m;
	wr_submit(j);
	return o;
}

int
wr_append(struct wr_obj *o, const void *p, size_t n)
{
	struct wr_job *j;

	if (o->failed)
		return -1;
	if (n == 0)
		return 0;
	if ((j = wr_job_new(WR_APPEND)) == NULL ||
	    (j->data = wr_copy2(p, n, NULL, 0)) == NULL) {
		if (j != NULL)
			wr_job_free(j);
		return -1;
	}
	j->o = o;
	o->queued += n;
	wr_bytes += n;
	wr_submit(j);
	return 0;
}

struct wr_job *
wr_commit(struct wr_obj *o, int64_t now, wr_done_f *done, void *arg)
{
	struct wr_job *j;

	o->handed = 1;
	j = o->end;
	o->end = NULL;
	j->op = WR_COMMIT;
	j->o = o;
	j->now = now;
	j->done = done;
	j->arg = arg;
	wr_submit(j);
	return j;
}

void
wr_abort(struct wr_obj *o)
{
	struct wr_job *j;

	o->handed = 1;
	j = o->end;
	o->end = NULL;
	j->op = WR_ABORT;
	j->o = o;
	wr_submit(j);
}

uint64_t
wr_written(const struct wr_obj *o)
{
	return o->written;
}

int
wr_failed(const struct wr_obj *o)
{
	return o->failed;
}

void
wr_progress(struct wr_obj *o, wr_done_f *cb, void *arg)
{
	o->progress = cb;
	o->progress_arg = arg;
}

int
wr_reader(struct wr_obj *o)
{
	if (o->reader == -1)
		return -1;
	return fcntl(o->reader, F_DUPFD_CLOEXEC, 0);
}

struct wr_job *
wr_delete(const uint8_t key[STORE_KEY_LEN], wr_done_f *done, void *arg)
{
	struct wr_job *j;

	if ((j = wr_job_new(WR_DELETE)) == NULL)
		return NULL;
	memcpy(j->key, key, STORE_KEY_LEN);
	j->done = done;
	j->arg = arg;
	wr_submit(j);
	return j;
}

struct wr_job *
wr_update(const uint8_t key[STORE_KEY_LEN], const void *skey, size_t skeylen,
    const void *head, size_t headlen, const struct store_meta *m,
    wr_done_f *done, void *arg)
{
	struct wr_job *j;

	if ((j = wr_job_new(WR_UPDATE)) == NULL)
		return NULL;
	if ((j->data = wr_copy2(head, headlen, skey, skeylen)) == NULL) {
		wr_job_free(j);
		return NULL;
	}
	j->n1 = headlen;
	j->n2 = skeylen;
	memcpy(j->key, key, STORE_KEY_LEN);
	j->meta = *m;
	j->done = done;
	j->arg = arg;
	wr_submit(j);
	return j;
}

void
wr_vary_set(const uint8_t key[STORE_KEY_LEN], const char *spec, size_t len)
{
	struct wr_job *j;

	/* Without memory the Vary is not recorded: the object is a miss. */
	if ((j = wr_job_new(WR_VARY)) == NULL)
		return;
	if ((j->data = wr_copy2(spec, len, NULL, 0)) == NULL) {
		wr_job_free(j);
		return;
	}
	memcpy(j->key, key, STORE_KEY_LEN);
	wr_submit(j);
}

void
wr_drop(const struct store_obj *o)
{
	struct wr_job *j;

	if ((j = wr_job_new(WR_DROP)) == NULL)
		return;	/* the next lookup reports it again */
	memcpy(j->drop.ekey, o->ekey, sizeof(j->drop.ekey));
	memcpy(j->drop.drop_id, o->drop_id, sizeof(j->drop.drop_id));
	j->drop.drop = o->drop;
	j->drop.body_fd = -1;
	wr_submit(j);
}

void
wr_touch(const uint8_t ekey[STORE_EKEY_BYTES], int64_t when)
{
	memcpy(wr_touches[wr_ntouches].ekey, ekey, STORE_EKEY_BYTES);
	wr_touches[wr_ntouches].when = when;
	if (++wr_ntouches == STORE_TOUCH_BATCH)
		wr_touch_flush();
}

void
wr_touch_flush(void)
{
	struct wr_job *j;

	if (wr_ntouches == 0)
		return;
	/* Access times are approximate: without memory they are dropped. */
	if ((j = wr_job_new(WR_TOUCH)) != NULL &&
	    (j->touch = malloc(wr_ntouches * sizeof(*j->touch))) != NULL) {
		memcpy(j->touch, wr_touches, wr_ntouches * sizeof(*j->touch));
		j->ntouch = wr_ntouches;
		wr_submit(j);
	} else if (j != NULL)
		wr_job_free(j);
	wr_ntouches = 0;
}

struct wr_job *
wr_fence(wr_done_f *done, void *arg)
{
	struct wr_job *j;

	if ((j = wr_job_new(WR_FENCE)) == NULL)
		return NULL;
	j->done = done;
	j->arg = arg;
	wr_submit(j);
	return j;
}

void
wr_forget(struct wr_job *j)
{
	if (j != NULL)
		j->done = NULL;
}
