/*
 * req.c -- the request step engine (see req.h, req_steps.h).
 * Runs in the workers.
 *
 * req_run() calls the current step until one returns SL_AGAIN (an event
 * or the conn timer will call req_run() again) or SL_DONE (the conn is
 * closed).  A step returns SL_OK after moving with REQ_NEXT().  The steps
 * themselves are in req_client.c, req_access.c, req_cache.c, upstream.c,
 * req_deliver.c and tunnel.c, as req_steps.h lists.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/socket.h>

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "conf.h"
#include "conn.h"
#include "io.h"
#include "log.h"
#include "sl.h"
#include "stats.h"
#include "worker.h"

static int (*const req_step_fn[REQ_NSTEPS])(struct conn *) = {
#define REQ_STEP_FN(name, fn, file, wait)	fn,
	REQ_STEPS(REQ_STEP_FN)
#undef REQ_STEP_FN
};

static const char *const req_step_names[REQ_NSTEPS] = {
#define REQ_STEP_NAME(name, fn, file, wait)	#name,
	REQ_STEPS(REQ_STEP_NAME)
#undef REQ_STEP_NAME
};

static const char *const req_step_fnames[REQ_NSTEPS] = {
#define REQ_STEP_FNAME(name, fn, file, wait)	#fn,
	REQ_STEPS(REQ_STEP_FNAME)
#undef REQ_STEP_FNAME
};

/* Bit t of req_edge[f]: the move f -> t is allowed (req_steps.h). */
static uint64_t	req_edge[REQ_NSTEPS];
static int	req_trace;

void
req_init(void)
{
	static const unsigned char edges[][2] = {
#define REQ_EDGE(from, to)	{ REQ_##from, REQ_##to },
		REQ_EDGES(REQ_EDGE)
#undef REQ_EDGE
	};
	size_t i;

	/* The table is a bit per step: it must fit. */
	AN(REQ_NSTEPS <= 64);
	memset(req_edge, 0, sizeof(req_edge));
	for (i = 0; i < sizeof(edges) / sizeof(edges[0]); i++)
		req_edge[edges[i][0]] |= (uint64_t)1 << edges[i][1];
	req_trace = worker_conf != NULL && worker_conf->debug_level >= 3;
}

const char *
req_step_name(enum req_step s)
{
	return (unsigned)s < REQ_NSTEPS ? req_step_names[s] : "?";
}

int
req_next(struct conn *c, enum req_step to, const char *fn)
{
	enum req_step from = c->r.r_step;

	/*
	 * Only the step itself moves its request, and only along an edge
	 * of req_steps.h: a bug otherwise, which costs this worker.
	 */
	if (!(req_edge[from] & ((uint64_t)1 << to)) ||
	    strcmp(fn, req_step_fnames[from]) != 0) {
		log_alert("conn %u: illegal move %s -> %s by %s()", c->id,
		    req_step_names[from], req_step_names[to], fn);
		abort();
	}
	if (req_trace)
		log_debug("conn %u: %s -> %s", c->id, req_step_names[from],
		    req_step_names[to]);
	stats_move(from, to);	/* tunnels open (metrics) */
	c->r.r_step = to;
	return SL_OK;
}

void
req_run(struct conn *c)
{
	int rc;

	CHECK_MAGIC(c, CONN_MAGIC);
	for (;;) {
		rc = req_step_fn[c->r.r_step](c);
		if (rc == SL_OK)
			continue;
		if (rc == SL_AGAIN || rc == SL_DONE)
			return;
		/* A step that fails on its own closes the connection. */
		log_alert("conn %u: step %s returned %d", c->id,
		    req_step_names[c->r.r_step], rc);
		conn_close(c);
		return;
	}
}

void
req_wake(void *arg)
{
	struct conn *c = arg;

	CHECK_MAGIC(c, CONN_MAGIC);
	c->r.r_cache.woken = 1;
	req_run(c);
}

void
req_reset(struct conn *c)
{
	memset(&c->r, 0, sizeof(c->r));
	c->r.r_step = REQ_RECV_HEAD;
	c->r.r_code = "TCP_MISS";
	c->r.r_hier = "HIER_NONE";
	c->r.r_err = ERRPAGE_COUNT;
	c->r.r_maxfwd = -1;
	c->r.r_cache.hit_fd = -1;
	c->r.r_peer = "";
}

static void
req_timer_cb(struct ev_timer *t)
{
	struct conn *c = t->data;

	CHECK_MAGIC(c, CONN_MAGIC);
	c->r.r_timed_out = 1;
	req_run(c);
}

void
req_timer(struct conn *c, int64_t ms)
{
	int64_t when, limit;

	when = ev_now() + ms;
	limit = c->c_accepted_ms + worker_conf->client_lifetime;
	if (when > limit)
		when = limit;
	ev_timer_arm_at(&c->c_timer, when, req_timer_cb, c);
}

void *
req_alloc(struct conn *c, size_t n)
{
	return buf_alloc(c->arena, n);
}

char *
req_path_dup(struct conn *c, const char *p, size_t n)
{
	char *s;

	if (n == 0)
		return req_strdup(c, "/", 1);
	if (*p != '?')
		return req_strdup(c, p, n);
	if ((s = req_alloc(c, n + 2)) != NULL) {
		s[0] = '/';
		memcpy(s + 1, p, n);
		s[n + 1] = '\0';
	}
	return s;
}

int
req_set_dst(struct conn *c, const struct sockaddr_storage *ss)
{
	struct sockaddr_storage *d;

	if ((d = req_alloc(c, sizeof(*d))) == NULL)
		return -1;
	*d = *ss;
	c->r.r_dst = d;
	return 0;
}

char *
req_strdup(struct conn *c, const char *p, size_t n)
{
	char *s;

	s = req_alloc(c, n + 1);
	if (s == NULL)
		return NULL;
	memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

void
req_consume_head(struct conn *c)
{
	struct req *r = &c->r;

	if (r->r_head_consumed || r->r_head_len == 0)
		return;
	c->cbuf->pos += r->r_head_len;
	r->r_head_consumed = 1;
	r->r_head = NULL;
}

int
req_flush_obuf(struct conn *c)
{
	ssize_t n;

	/* A request of the cache's own: nobody to send to. */
	if (c->c_background) {
		buf_reset(c->obuf);
		return SL_OK;
	}
	while (buf_len(c->obuf) > 0) {
		n = io_send(c, c->c_io.fd, c->obuf->pos, buf_len(c->obuf));
		if (n > 0) {
			c->obuf->pos += n;
			c->r.r_bytes_out += (uint64_t)n;
			c->r.r_head_sent = 1;
			continue;
		}
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			return SL_AGAIN;
		return SL_ERROR;
	}
	return SL_OK;
}
