/*
 * writer.h -- the store's writer thread: every write of a worker's cache
 * (body files, LMDB write transactions) happens off the event loop.
 *
 * Internal to cache/ (cache.c and collapse.c call it).  Runs in the
 * workers: the functions below are called from the loop's thread; one
 * writer thread per worker executes the jobs they queue, in order, with
 * the store's write calls (cache/store.h: begin, append, commit, abort,
 * update, delete, vary_put, touch_apply, drop), and hands each finished
 * job back through an eventfd on the loop, where its callback runs.
 * Reads (store_lookup and friends) stay on the loop: they never wait on
 * the writer lock.
 *
 * Why: every worker and the cache manager share LMDB's one writer lock,
 * and body-file writes may wait on a slow disk; done inline, one slow
 * fsync or a long eviction would stall every client of every worker.
 *
 * Ordering: jobs run in the order they were queued, so a commit follows
 * the appends of its object, and wr_fence() completes after everything
 * queued before it.
 *
 * Memory: body bytes are copied into freelist buffers while queued; the
 * bytes queued and not yet written are bounded by WR_BUDGET.  Past it,
 * wr_room() says no and wr_wait() registers a wake-up for when the
 * writer has caught up (backpressure: the relay stops reading the origin
 * until then).
 *
 * Caveats:
 *  - A callback runs on the loop, never inside the call that queued its
 *    job.  A caller that goes away first must wr_forget() its pending
 *    job (or wr_unwait() its wait) so that nothing calls into freed
 *    memory.
 *  - A struct wr_obj belongs to the caller until wr_commit() or
 *    wr_abort(), then to the writer, which frees it right after the
 *    commit's callback ran (the callback, and progress callbacks until
 *    then, may still read it: wr_written(), wr_reader()).
 *  - wr_open() starts the thread; fork() must never happen while it runs
 *    (workers do not fork after opening the cache; auth helpers start
 *    before it).
 */
#ifndef SLUICE_CACHE_WRITER_H
#define SLUICE_CACHE_WRITER_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

#define WR_BUDGET	(32u * 1024 * 1024)	/* body bytes queued, at most */

struct wr_job;
struct wr_obj;

/** A job's result on the loop: @p rc >= 0 done (a count for deletes), -1 failed. */
typedef void wr_done_f(void *arg, int rc);

/** A wait for room (wr_wait()); lives in the waiter's memory. */
struct wr_wait {
	struct wr_wait	*next;
	int		 queued;
	void		(*fn)(void *arg);
	void		*arg;
};

/**
 * @brief Start the writer for store @p s (after fork, after the
 *	privilege drop).  @p threaded 0 runs each job at once in the
 *	caller's thread (completions still come through the loop).
 * @return 0, or -1 with @p err.
 * @note Partner: wr_close().
 */
int	wr_open(struct store *s, int threaded, char *err, size_t errlen);
/** @brief Finish every queued job, stop the thread, run the completions. */
void	wr_close(void);
/** @brief Bytes queued and not yet written. */
uint64_t wr_backlog(void);

/** @brief Is there room to queue @p n more body bytes (WR_BUDGET)? */
int	wr_room(size_t n);
/** @brief Call @p w->fn(@p w->arg) once the backlog fell below half the budget. */
void	wr_wait(struct wr_wait *w);
/** @brief Cancel a wr_wait(). */
void	wr_unwait(struct wr_wait *w);

/**
 * @brief Start storing an object (store_begin() in the writer).
 * @return the object, or NULL (out of memory).
 */
struct wr_obj *wr_begin(const uint8_t key[STORE_KEY_LEN], const void *skey,
	    size_t skeylen, const void *head, size_t headlen,
	    const struct store_meta *m);
/**
 * @brief Queue body bytes (copied).  Check wr_room() first.
 * @return 0, or -1 when the object already failed (storing it stopped;
 *	the caller should wr_abort() it) or memory ran out.
 */
int	wr_append(struct wr_obj *o, const void *p, size_t n);
/**
 * @brief Commit (store_commit()): @p done gets 0 once the record is in
 *	the index, -1 when nothing was stored.  @p o is the writer's now.
 * @return the job, for wr_forget().
 */
struct wr_job *wr_commit(struct wr_obj *o, int64_t now, wr_done_f *done,
	    void *arg);
/** @brief Drop the object (store_abort()); @p o is the writer's now. */
void	wr_abort(struct wr_obj *o);
/** @brief Body bytes of @p o already in its file or memory (readable by followers). */
uint64_t wr_written(const struct wr_obj *o);
/** @brief Has storing @p o failed (a full disk, an I/O error)? */
int	wr_failed(const struct wr_obj *o);
/**
 * @brief Call @p cb(@p arg, 0) on the loop each time more of @p o is
 *	written (collapsed forwarding follows it); NULL stops it.
 */
void	wr_progress(struct wr_obj *o, wr_done_f *cb, void *arg);
/**
 * @brief A read-only fd on @p o's temp file, once its body went there
 *	(past STORE_INLINE_MAX), for followers; the caller closes it.
 * @return the fd, or -1 (not in a file yet, or failed).
 */
int	wr_reader(struct wr_obj *o);

/** @brief store_delete(@p key); @p done gets the count. @return the job, or NULL (out of memory: nothing queued, no callback). */
struct wr_job *wr_delete(const uint8_t key[STORE_KEY_LEN], wr_done_f *done,
	    void *arg);
/** @brief store_update_head(); @p done gets 1 updated, 0 gone, -1. @return the job, or NULL (out of memory: nothing queued, no callback). */
struct wr_job *wr_update(const uint8_t key[STORE_KEY_LEN], const void *skey,
	    size_t skeylen, const void *head, size_t headlen,
	    const struct store_meta *m, wr_done_f *done, void *arg);
/**
 * @brief The Vary spec of @p key becomes @p spec (empty: none): when the
 *	stored one differs, every variant of @p key is deleted first.  Done
 *	in the writer, in order with the jobs before it.  No completion.
 */
void	wr_vary_set(const uint8_t key[STORE_KEY_LEN], const char *spec,
	    size_t len);
/** @brief store_drop() of a bad record that store_lookup() reported. */
void	wr_drop(const struct store_obj *o);
/** @brief Record an access time (batched: STORE_TOUCH_BATCH per txn, or each second). */
void	wr_touch(const uint8_t ekey[STORE_EKEY_BYTES], int64_t when);
/** @brief Queue the batched access times now. */
void	wr_touch_flush(void);
/** @brief @p done(@p arg, 0) once everything queued so far is done. @return the job, or NULL (out of memory: no callback). */
struct wr_job *wr_fence(wr_done_f *done, void *arg);
/** @brief The caller of @p j goes away: its callback will not run. */
void	wr_forget(struct wr_job *j);

#endif
