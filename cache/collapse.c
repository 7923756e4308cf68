/*
 * collapse.c -- collapsed forwarding within a worker (see collapse.h).
 * Runs in the workers, on the loop.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collapse.h"
#include "ev.h"
#include "sl.h"
#include "writer.h"

#define CF_FREE_MAX	16

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
};

static struct cf	*cf_list;
static struct cf	*cf_free;
static unsigned		 cf_nfree;

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
cf_put(struct cf *cf)
{
	if (--cf->refs > 0)
		return;
	cf_unlist(cf);
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
	cf_put(cf);
}

static void
cf_wake(struct cf *cf)
{
	if (cf->nfol > 0 && cf->wake.idx == 0)
		ev_timer_arm(&cf->wake, 0, cf_wake_cb, cf);
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
		cf_unlist(cf);
		cf_wake(cf);
		return;
	}
	if (cf->fd == -1)
		cf->fd = wr_reader(cf->obj);
	if (cf->fd != -1 && wr_written(cf->obj) > cf->len)
		cf->len = wr_written(cf->obj);
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
	memcpy(cf->key, key, STORE_KEY_LEN);
	cf->state = CF_WAIT_HEAD;
	cf->total = UINT64_MAX;
	cf->refs = 1;
	cf->next = cf_list;
	cf_list = cf;
	cf->listed = 1;
	m->cf = cf;
	m->leader = 1;
	return CACHE_CF_LEADER;
}

void
cf_settle(struct cf_member *m, enum cf_state st)
{
	struct cf *cf = m->cf;

	if (cf == NULL || !m->leader)
		return;
	if (cf->state == CF_WAIT_HEAD || cf->state == CF_BODY)
		cf->state = st;
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
		cf->ninl += k;
		if (cf->ninl > cf->len)
			cf->len = cf->ninl;
		cf_wake(cf);
	}
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
