/*
 * collapse.c -- collapsed forwarding, within a worker and across workers
 * (see collapse.h).  Runs in the workers, on the loop.
 *
 * Within a worker, a struct cf per URL in flight: the leader publishes
 * into it and wakes its followers.  Across workers, through the shared
 * table (shared.h): a leader also publishes there; a worker whose miss
 * finds another worker's fetch makes a local struct cf that mirrors it
 * ("remote"), which its own requests follow like a local one.  Remote
 * cfs are brought up to date by a poll every CF_POLL_MS while any
 * exists (no signal crosses processes); the leader keeps its cf, and the
 * descriptor others read its body file through, while remote readers
 * are attached ("held").
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collapse.h"
#include "ev.h"
#include "shared.h"
#include "sl.h"
#include "writer.h"

#define CF_FREE_MAX	16
#define CF_POLL_MS	2	/* remote fetches: how often they are read */

struct cf {
	struct cf		*next;		/* in cf_list while the leader runs */
	int			 listed;
	uint8_t			 key[STORE_KEY_LEN];
	enum cf_state		 state;
	unsigned		 refs;		/* leader + followers */
	char			*spec;		/* the response's Vary spec */
	char			*skey;		/* the leader's variant */
	size_t			 skeylen;
	char			*head;		/* stored head bytes */
	size_t			 headlen;
	struct store_meta	 meta;
	uint64_t		 total;		/* declared length, or UINT64_MAX */
	uint64_t		 ninl;		/* bytes in inl */
	uint8_t			 inl[STORE_INLINE_MAX];	/* the first body bytes */
	uint64_t		 len;		/* bytes readable (inline or file) */
	struct wr_obj		*obj;		/* the leader's, until settled */
	int			 fd;		/* the temp file, read-only, or -1 */
	struct cf_member	*fol;		/* followers */
	unsigned		 nfol;
	struct ev_timer		 wake;
	cache_wake_f		*lwake;		/* the leader's, when it lags */
	void			*larg;
	/* Across workers (shared.h). */
	struct shf_ref		 sh;		/* the shared slot, or slot -1 */
	int			 remote;	/* another worker leads it */
	int			 held;		/* released, kept for remote readers */
	struct cf		*pnext;		/* in cf_polled: remote or held */
	int			 polled;
};

static struct cf	*cf_list;
static struct cf	*cf_free;
static unsigned		 cf_nfree;
static struct cf	*cf_polled;	/* remote and held cfs */
static struct ev_timer	 cf_poll_timer;

static void	cf_poll_arm(void);
static void	cf_release(struct cf *);

static void
cf_unlist(struct cf *cf)
{
	struct cf **pp;

	if (!cf->listed)
		return;
	for (pp = &cf_list; *pp != NULL; pp = &(*pp)->next)
		if (*pp == cf) {
			*pp = cf->next;
			break;
		}
	cf->listed = 0;
	cf->next = NULL;
}

static void
cf_poll_add(struct cf *cf)
{
	if (cf->polled)
		return;
	cf->polled = 1;
	cf->pnext = cf_polled;
	cf_polled = cf;
	cf_poll_arm();
}

static void
cf_poll_del(struct cf *cf)
{
	struct cf **pp;

	if (!cf->polled)
		return;
	for (pp = &cf_polled; *pp != NULL; pp = &(*pp)->pnext)
		if (*pp == cf) {
			*pp = cf->pnext;
			break;
		}
	cf->polled = 0;
	cf->pnext = NULL;
}

static void
cf_put(struct cf *cf)
{
	if (--cf->refs > 0)
		return;
	cf_unlist(cf);
	/*
	 * A leader whose body others read through its descriptor keeps it
	 * open until they are gone (the poll lets it go).
	 */
	if (!cf->remote && cf->sh.slot >= 0 && shf_readers(&cf->sh) > 0) {
		cf->held = 1;
		cf_poll_add(cf);
		return;
	}
	cf_release(cf);
}

static void
cf_release(struct cf *cf)
{
	cf_poll_del(cf);
	if (cf->sh.slot >= 0)
		shf_leave(&cf->sh, !cf->remote);
	ev_timer_stop(&cf->wake);
	if (cf->obj != NULL)
		wr_progress(cf->obj, NULL, NULL);
	if (cf->fd != -1)
		close(cf->fd);
	free(cf->spec);
	free(cf->skey);
	free(cf->head);
	if (cf_nfree < CF_FREE_MAX) {
		cf->next = cf_free;
		cf_free = cf;
		cf_nfree++;
	} else
		free(cf);
}

/* Run every waiting follower, from the loop (not the leader's stack). */
static void
cf_wake_cb(struct ev_timer *t)
{
	struct cf *cf = t->data;
	struct cf_member *snap[CF_FOLLOWERS_MAX], *m;
	unsigned i, n = 0;

	cf->refs++;		/* followers may leave while they run */
	for (m = cf->fol; m != NULL && n < CF_FOLLOWERS_MAX; m = m->next)
		snap[n++] = m;
	for (i = 0; i < n; i++) {
		/* Still following?  It may have left in an earlier wake. */
		for (m = cf->fol; m != NULL && m != snap[i]; m = m->next)
			;
		if (m != NULL)
			m->wake(m->arg);
	}
	if (cf->lwake != NULL)
		cf->lwake(cf->larg);
	cf_put(cf);
}

static void
cf_wake(struct cf *cf)
{
	if ((cf->nfol > 0 || cf->lwake != NULL) && cf->wake.idx == 0)
		ev_timer_arm(&cf->wake, 0, cf_wake_cb, cf);
}

/* The leader publishes its response to the other workers too. */
static void
cf_share(struct cf *cf)
{
	struct shf_pub *p;

	if ((p = malloc(sizeof(*p))) == NULL) {
		shf_end(&cf->sh, SHF_GONE, 0);
		return;
	}
	p->meta = cf->meta;
	p->total = cf->total;
	p->headlen = cf->headlen;
	p->speclen = strlen(cf->spec);
	p->skeylen = cf->skeylen;
	if (p->headlen <= SHF_HEAD_MAX && p->speclen <= SHF_SPEC_MAX &&
	    p->skeylen <= SHF_SKEY_MAX) {
		memcpy(p->head, cf->head, p->headlen);
		memcpy(p->spec, cf->spec, p->speclen);
		memcpy(p->skey, cf->skey, p->skeylen);
	}
	(void)shf_publish(&cf->sh, p);	/* too large: not shared (GONE) */
	free(p);
}

/* A remote fetch published its response: copy what followers need. */
static int
cf_remote_head(struct cf *cf)
{
	struct shf_pub *p;

	if ((p = malloc(sizeof(*p))) == NULL)
		return -1;
	if (shf_read_pub(&cf->sh, p) == -1 ||
	    (cf->head = malloc(p->headlen ? p->headlen : 1)) == NULL ||
	    (cf->spec = malloc(p->speclen + 1)) == NULL ||
	    (cf->skey = malloc(p->skeylen + 1)) == NULL) {
		free(p);
		return -1;
	}
	memcpy(cf->head, p->head, p->headlen);
	cf->headlen = p->headlen;
	memcpy(cf->spec, p->spec, p->speclen);
	cf->spec[p->speclen] = '\0';
	memcpy(cf->skey, p->skey, p->skeylen);
	cf->skeylen = p->skeylen;
	cf->meta = p->meta;
	cf->total = p->total;
	free(p);
	return 0;
}

/* Bring a remote cf up to date with its slot. @return 1 when it changed. */
static int
cf_remote_update(struct cf *cf)
{
	enum shf_state st = shf_state(&cf->sh);
	uint64_t w, fin;
	size_t n;
	int changed = 0;

	if ((st == SHF_WAITING || st == SHF_BODY) &&
	    !shf_leader_alive(&cf->sh))
		st = SHF_FAILED;	/* its worker died mid-fetch */
	switch (st) {
	case SHF_WAITING:
		return 0;
	case SHF_BODY:
	case SHF_DONE:
		if (cf->state == CF_WAIT_HEAD) {
			if (cf_remote_head(cf) == -1) {
				cf->state = CF_NOT_SHARED;
				return 1;
			}
			cf->state = CF_BODY;
			changed = 1;
		}
		n = shf_read_inline(&cf->sh, cf->ninl, cf->inl + cf->ninl,
		    STORE_INLINE_MAX - cf->ninl);
		if (n > 0) {
			cf->ninl += n;
			if (cf->ninl > cf->len)
				cf->len = cf->ninl;
			changed = 1;
		}
		w = shf_read_file(&cf->sh, &cf->fd);
		if (w > cf->len) {
			cf->len = w;
			changed = 1;
		}
		if (st == SHF_DONE && cf->state == CF_BODY) {
			fin = shf_final(&cf->sh);
			/* Whole only when every byte is readable here too. */
			cf->state = cf->len >= fin ? CF_DONE : CF_FAILED;
			if (cf->state == CF_DONE)
				cf->len = fin;
			changed = 1;
		}
		return changed;
	default:
		cf->state = cf->state == CF_WAIT_HEAD ? CF_NOT_SHARED :
		    CF_FAILED;
		return 1;
	}
}

static void
cf_poll_cb(struct ev_timer *t)
{
	struct cf *cf, *next;

	(void)t;
	for (cf = cf_polled; cf != NULL; cf = next) {
		next = cf->pnext;
		if (cf->held) {
			/* Every remote reader left: the descriptor may go. */
			if (shf_readers(&cf->sh) == 0)
				cf_release(cf);
			continue;
		}
		if (cf_remote_update(cf))
			cf_wake(cf);
		if (cf->state != CF_WAIT_HEAD && cf->state != CF_BODY) {
			/* Ended: new requests look in the store again. */
			cf_unlist(cf);
			cf_poll_del(cf);
		}
	}
	cf_poll_arm();
}

static void
cf_poll_arm(void)
{
	if (cf_polled != NULL && cf_poll_timer.idx == 0)
		ev_timer_arm(&cf_poll_timer, CF_POLL_MS, cf_poll_cb, NULL);
}

/* The writer wrote more of the leader's body. */
static void
cf_progress_cb(void *arg, int rc)
{
	struct cf *cf = arg;

	if (cf->state != CF_BODY || cf->obj == NULL)
		return;
	if (rc < 0 || wr_failed(cf->obj)) {
		cf->state = CF_FAILED;
		if (cf->sh.slot >= 0)
			shf_end(&cf->sh, SHF_FAILED, cf->len);
		cf_unlist(cf);
		cf_wake(cf);
		return;
	}
	if (cf->fd == -1)
		cf->fd = wr_reader(cf->obj);
	if (cf->fd != -1 && wr_written(cf->obj) > cf->len)
		cf->len = wr_written(cf->obj);
	if (cf->sh.slot >= 0)
		shf_progress(&cf->sh, wr_written(cf->obj), cf->fd);
	cf_wake(cf);
}

int
cf_join(struct cf_member *m, const uint8_t key[STORE_KEY_LEN], int follow,
    cache_wake_f *wake, void *arg)
{
	struct cf *cf;

	memset(m, 0, sizeof(*m));
	for (cf = cf_list; cf != NULL; cf = cf->next)
		if (memcmp(cf->key, key, STORE_KEY_LEN) == 0)
			break;
	if (cf != NULL) {
		if (!follow || cf->nfol == CF_FOLLOWERS_MAX)
			return CACHE_OK;
		m->cf = cf;
		m->wake = wake;
		m->arg = arg;
		m->next = cf->fol;
		if (cf->fol != NULL)
			cf->fol->prev = m;
		cf->fol = m;
		cf->nfol++;
		cf->refs++;
		return CACHE_CF_FOLLOWER;
	}
	if (cf_free != NULL) {
		cf = cf_free;
		cf_free = cf->next;
		cf_nfree--;
	} else if ((cf = malloc(sizeof(*cf))) == NULL)
		return CACHE_OK;
	memset(cf, 0, offsetof(struct cf, inl));
	cf->len = 0;
	cf->obj = NULL;
	cf->fd = -1;
	cf->fol = NULL;
	cf->nfol = 0;
	memset(&cf->wake, 0, sizeof(cf->wake));
	cf->sh.slot = -1;
	cf->lwake = NULL;
	cf->larg = NULL;
	cf->remote = cf->held = cf->polled = 0;
	cf->pnext = NULL;
	memcpy(cf->key, key, STORE_KEY_LEN);
	cf->state = CF_WAIT_HEAD;
	cf->total = UINT64_MAX;
	cf->next = cf_list;
	cf_list = cf;
	cf->listed = 1;
	/* Another worker's fetch of it: follow that one (read-while-write). */
	if (follow && shf_join(key, &cf->sh) == 2) {
		cf->remote = 1;
		cf->refs = 1;
		m->cf = cf;
		m->wake = wake;
		m->arg = arg;
		m->next = NULL;
		cf->fol = m;
		cf->nfol = 1;
		cf_poll_add(cf);
		return CACHE_CF_FOLLOWER;
	}
	cf->refs = 1;
	m->cf = cf;
	m->leader = 1;
	return CACHE_CF_LEADER;
}

void
cf_settle(struct cf_member *m, enum cf_state st)
{
	struct cf *cf = m->cf;
	int ending;

	if (cf == NULL || !m->leader)
		return;
	/* Only the first end counts (a leader leaving after DONE changes nothing). */
	ending = cf->state == CF_WAIT_HEAD || cf->state == CF_BODY;
	if (ending)
		cf->state = st;
	if (ending && cf->sh.slot >= 0 && !cf->remote) {
		/* Others read until the end; the body file stays readable. */
		if (st == CF_DONE && cf->obj != NULL) {
			if (cf->fd == -1)
				cf->fd = wr_reader(cf->obj);
			shf_progress(&cf->sh, wr_written(cf->obj), cf->fd);
		}
		shf_end(&cf->sh, st == CF_DONE ? SHF_DONE : st == CF_FAILED ?
		    SHF_FAILED : SHF_GONE, st == CF_DONE && cf->obj != NULL ?
		    wr_written(cf->obj) : cf->len);
	}
	if (cf->obj != NULL) {
		/* Whole: everything the writer wrote is readable. */
		if (st == CF_DONE && cf->fd == -1)
			cf->fd = wr_reader(cf->obj);
		if (st == CF_DONE && wr_written(cf->obj) > cf->len)
			cf->len = wr_written(cf->obj);
		wr_progress(cf->obj, NULL, NULL);
		cf->obj = NULL;
	}
	cf_unlist(cf);
	cf_wake(cf);
}

void
cf_leave(struct cf_member *m)
{
	struct cf *cf = m->cf;

	if (cf == NULL)
		return;
	if (m->leader) {
		cf->lwake = NULL;
		cf->larg = NULL;
		cf_settle(m, cf->state == CF_BODY ? CF_FAILED : CF_NOT_SHARED);
	} else {
		if (m->prev != NULL)
			m->prev->next = m->next;
		else
			cf->fol = m->next;
		if (m->next != NULL)
			m->next->prev = m->prev;
		cf->nfol--;
	}
	m->cf = NULL;
	m->next = m->prev = NULL;
	cf_put(cf);
}

void
cf_publish(struct cf_member *m, const void *head, size_t headlen,
    const struct store_meta *meta, const char *spec, const char *skey,
    size_t skeylen, uint64_t total, struct wr_obj *o)
{
	struct cf *cf = m->cf;

	if (cf == NULL || !m->leader || cf->state != CF_WAIT_HEAD)
		return;
	cf->head = malloc(headlen ? headlen : 1);
	cf->spec = strdup(spec);
	cf->skey = malloc(skeylen + 1);
	if (cf->head == NULL || cf->spec == NULL || cf->skey == NULL) {
		cf_settle(m, CF_NOT_SHARED);
		return;
	}
	memcpy(cf->head, head, headlen);
	cf->headlen = headlen;
	if (skeylen > 0)
		memcpy(cf->skey, skey, skeylen);
	cf->skeylen = skeylen;
	cf->meta = *meta;
	cf->total = total;
	cf->obj = o;
	wr_progress(o, cf_progress_cb, cf);
	cf->state = CF_BODY;
	if (cf->sh.slot >= 0)
		cf_share(cf);
	cf_wake(cf);
}

void
cf_body(struct cf_member *m, const char *p, size_t n)
{
	struct cf *cf = m->cf;
	size_t k;

	if (cf == NULL || !m->leader || cf->state != CF_BODY)
		return;
	/* The first bytes are readable at once, from memory. */
	if (cf->ninl < STORE_INLINE_MAX) {
		k = STORE_INLINE_MAX - cf->ninl;
		if (k > n)
			k = n;
		memcpy(cf->inl + cf->ninl, p, k);
		if (cf->sh.slot >= 0)
			shf_inline(&cf->sh, p, k);
		cf->ninl += k;
		if (cf->ninl > cf->len)
			cf->len = cf->ninl;
		cf_wake(cf);
	}
}

void
cf_watch(struct cf_member *m, cache_wake_f *wake, void *arg)
{
	if (m->cf == NULL || !m->leader)
		return;
	m->cf->lwake = wake;
	m->cf->larg = arg;
}

int
cf_shared(const struct cf_member *m)
{
	return m->cf != NULL && m->leader && (m->cf->nfol > 0 ||
	    (m->cf->sh.slot >= 0 && shf_readers(&m->cf->sh) > 0));
}

int
cf_remote(const struct cf_member *m)
{
	return m->cf != NULL && m->cf->remote;
}

unsigned
cf_followers(const struct cf_member *m)
{
	return m->cf != NULL && m->leader ? m->cf->nfol : 0;
}

enum cf_state
cf_state(const struct cf_member *m)
{
	return m->cf != NULL ? m->cf->state : CF_NOT_SHARED;
}

int
cf_response(const struct cf_member *m, const char **head, size_t *headlen,
    struct store_meta *meta, const char **spec, const char **skey,
    size_t *skeylen, uint64_t *total)
{
	const struct cf *cf = m->cf;

	if (cf == NULL || cf->head == NULL)
		return -1;
	*head = cf->head;
	*headlen = cf->headlen;
	*meta = cf->meta;
	*spec = cf->spec;
	*skey = cf->skey;
	*skeylen = cf->skeylen;
	*total = cf->state == CF_DONE ? cf->len : cf->total;
	return 0;
}

int
cf_read(struct cf_member *m, uint64_t off, struct cache_slice *s)
{
	struct cf *cf = m->cf;

	memset(s, 0, sizeof(*s));
	s->fd = -1;
	if (cf == NULL)
		return CACHE_EBROKEN;
	if (off < cf->ninl) {
		s->p = cf->inl + off;
		s->n = cf->ninl - off;
		return CACHE_OK;
	}
	if (off < cf->len && cf->fd != -1) {
		s->fd = cf->fd;
		s->n = cf->len - off;
		return CACHE_OK;
	}
	switch (cf->state) {
	case CF_BODY:
		return CACHE_AGAIN;
	case CF_DONE:
		return off >= cf->len ? CACHE_EOF : CACHE_EBROKEN;
	default:
		return CACHE_EBROKEN;
	}
}
