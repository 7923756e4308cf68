/*
 * collapse.h -- collapsed forwarding: concurrent misses of one URL make
 * one origin fetch.
 *
 * Internal to cache/ (cache.c calls it; the worker uses the cache_cf_*
 * calls of cache.h).  Runs in the workers, on the loop.  One struct cf per
 * URL whose fetch is under way in this worker: the request that fetches
 * (the leader) publishes the response it stores; the others (followers)
 * wait for it, then are served from it while its body grows: the first
 * STORE_INLINE_MAX bytes from a copy kept here, the rest from the
 * store's temp file (a read-only fd from the writer), as far as the
 * writer has written it.  A body of unknown length is served once whole.
 *
 * API: join (by key: leader or follower), publish (the leader's stored
 * head and variant), progress (more body is readable), settle (the
 * leader's part ends: whole, broken, or nothing to share), leave; a
 * follower is woken by its callback, from a zero-delay timer, never from
 * inside the leader's call.  Keyed by the 32-byte cache key only, so
 * that the cross-worker version (shared memory, the same calls) can
 * replace it.
 *
 * Caveats:
 *  - At most CF_FOLLOWERS_MAX followers per fetch; more go to the origin.
 *  - A struct cf_member lives in its request's memory; cf_leave() before
 *    that memory goes.
 */
#ifndef SLUICE_CACHE_COLLAPSE_H
#define SLUICE_CACHE_COLLAPSE_H

#include <stddef.h>
#include <stdint.h>

#include "cache.h"
#include "store.h"

#define CF_FOLLOWERS_MAX	64

struct cf;
struct wr_obj;

/** Where a fetch is. */
enum cf_state {
	CF_WAIT_HEAD,		/* the leader waits for the origin */
	CF_BODY,		/* storing: followers may follow */
	CF_DONE,		/* stored whole */
	CF_FAILED,		/* storing broke after the head */
	CF_NOT_SHARED,		/* nothing to follow: go to the origin */
};

/** One request's part in a fetch (inside its struct cache_req). */
struct cf_member {
	struct cf		*cf;
	struct cf_member	*next, *prev;	/* followers of cf */
	int			 leader;
	cache_wake_f		*wake;
	void			*arg;
};

/**
 * @brief Lead a new fetch of @p key, or follow the one under way.
 * @param[in] follow  0: only lead (the request cannot follow: it has
 *	conditions or a Range; it still leads so that others may follow).
 * @return CACHE_CF_LEADER, CACHE_CF_FOLLOWER, or CACHE_OK (neither: a
 *	full fetch, or out of memory).
 */
int	cf_join(struct cf_member *m, const uint8_t key[STORE_KEY_LEN],
	    int follow, cache_wake_f *wake, void *arg);
/** @brief Stop following or leading (a leader settles the fetch first). */
void	cf_leave(struct cf_member *m);

/**
 * @brief The leader stores its response: followers may take it.
 * @param[in] total  the declared length, or UINT64_MAX.
 * @param[in] o  the writer's object (its progress drives the followers);
 *	valid until cf_settle().
 */
void	cf_publish(struct cf_member *m, const void *head, size_t headlen,
	    const struct store_meta *meta, const char *spec, const char *skey,
	    size_t skeylen, uint64_t total, struct wr_obj *o);
/** @brief The leader gave @p n more body bytes to the store (the inline copy). */
void	cf_body(struct cf_member *m, const char *p, size_t n);
/** @brief The leader's part ends (CF_DONE, CF_FAILED or CF_NOT_SHARED). */
void	cf_settle(struct cf_member *m, enum cf_state st);
/**
 * @brief The leader reads its own fetch back (its client lags behind the
 *	origin): @p wake(@p arg) as followers are woken; NULL stops it.
 */
void	cf_watch(struct cf_member *m, cache_wake_f *wake, void *arg);
/** @brief Do others (in this worker or another) follow the leader @p m's fetch? */
int	cf_shared(const struct cf_member *m);
/** @brief Does @p m follow another worker's fetch? */
int	cf_remote(const struct cf_member *m);
/** @brief Followers of the leader @p m. */
unsigned cf_followers(const struct cf_member *m);

/** @brief The fetch's state, for a follower. */
enum cf_state cf_state(const struct cf_member *m);
/**
 * @brief A follower: the published response (valid while followed).
 * @param[out] total  body length (known, or the stored length when done).
 */
int	cf_response(const struct cf_member *m, const char **head,
	    size_t *headlen, struct store_meta *meta, const char **spec,
	    const char **skey, size_t *skeylen, uint64_t *total);
/** @brief A follower: what is readable at @p off (see cache_cf_body()). */
int	cf_read(struct cf_member *m, uint64_t off, struct cache_slice *s);

#endif
