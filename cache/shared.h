/*
 * shared.h -- fetches under way, shared by every worker: the table that
 * lets a miss in one worker follow another worker's fetch of the same
 * URL instead of asking the origin again (collapsed forwarding across
 * workers, read-while-write).
 *
 * One MAP_SHARED anonymous mapping, made by the master before the first
 * fork (shf_init(), from cache_manager_prepare()) and inherited by every
 * child; it survives reloads, so two generations collapse together.  A
 * slot describes one fetch: its key, the leader (pid), the stored head
 * and variant it publishes, the first STORE_INLINE_MAX body bytes, how
 * far the body file has been written, and the fd through which others
 * read the file (/proc/PID/fd/FD of the leader: the same inode the store
 * links into place at commit, so a reader never loses it).
 *
 * Lock-free: C11 atomics.  A slot is claimed by a leader (state FREE ->
 * CLAIMING -> WAITING), published once (BODY: the head and the rest are
 * written before the state, with release order), grows (inline bytes,
 * written), and ends (DONE, FAILED, GONE: nothing shared).  Followers
 * attach (readers + 1, then check the generation) and detach; the slot is
 * FREE again when it ended and no reader is left.  Two workers that claim
 * the same key at once: the one with the lower sequence number leads,
 * the other follows it.
 *
 * Runs in the workers (collapse.c); the master only creates the mapping.
 *
 * Caveats:
 *  - A fixed table: a fetch that finds no free slot is not shared across
 *    workers (it still is within its worker).
 *  - Heads over SHF_HEAD_MAX bytes (and Vary specs and keys over their
 *    limits) are not shared across workers.
 *  - A leader killed mid-fetch leaves its slot in WAITING or BODY;
 *    followers notice that its pid is gone (shf_leader_alive()) and treat
 *    the fetch as broken; the slot is reclaimed by shf_reap() (the master
 *    calls it for a dead child's pid).
 */
#ifndef SLUICE_CACHE_SHARED_H
#define SLUICE_CACHE_SHARED_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "store.h"

#define SHF_SLOTS	256
#define SHF_HEAD_MAX	8192
#define SHF_SPEC_MAX	1024
#define SHF_SKEY_MAX	2048

/** Where a shared fetch is (the slot's state). */
enum shf_state {
	SHF_FREE = 0,
	SHF_CLAIMING,		/* a leader is filling in the key */
	SHF_WAITING,		/* the leader waits for the origin's head */
	SHF_BODY,		/* published: the body grows */
	SHF_DONE,		/* stored whole: final length known */
	SHF_FAILED,		/* broke after the head */
	SHF_GONE,		/* nothing to share (not stored, another variant) */
};

/** A worker's handle on a slot: the slot and the generation it attached to. */
struct shf_ref {
	int		 slot;		/* -1: none */
	uint32_t	 gen;
};

/** What a follower copies once the fetch is published. */
struct shf_pub {
	struct store_meta meta;
	uint64_t	 total;		/* declared length, or UINT64_MAX */
	size_t		 headlen, speclen, skeylen;
	char		 head[SHF_HEAD_MAX];
	char		 spec[SHF_SPEC_MAX];
	char		 skey[SHF_SKEY_MAX];
};

/** @brief Master, before the first fork: map the table (once). @return 0 or -1. */
int	shf_init(void);
/** @brief 1 when the table exists (cache_dir set in the master). */
int	shf_on(void);

/**
 * @brief Lead a fetch of @p key, or find the one another worker leads.
 * @param[out] ref  the slot, when either.
 * @return 1 leader (claimed), 2 follower (attached: a fetch of another
 *	process under way), 0 neither (no slot free, or out of table).
 */
int	shf_join(const uint8_t key[STORE_KEY_LEN], struct shf_ref *ref);
/** @brief Leave a slot (leader or follower); the last one out frees it. */
void	shf_leave(struct shf_ref *ref, int leader);

/** @brief The slot's state as the reader sees it (SHF_GONE when reused). */
enum shf_state shf_state(const struct shf_ref *ref);
/** @brief Is the leader of @p ref still alive (kill 0)? */
int	shf_leader_alive(const struct shf_ref *ref);
/** @brief Followers attached to @p ref now (all workers). */
unsigned shf_readers(const struct shf_ref *ref);

/** @brief Leader: publish the stored head and variant. @return 0, -1 too large (then GONE). */
int	shf_publish(const struct shf_ref *ref, const struct shf_pub *p);
/** @brief Follower: copy what was published. @return 0, -1 not (any more) there. */
int	shf_read_pub(const struct shf_ref *ref, struct shf_pub *p);
/** @brief Leader: @p n more inline bytes (at most STORE_INLINE_MAX in all). */
void	shf_inline(const struct shf_ref *ref, const void *p, size_t n);
/** @brief Follower: inline bytes from @p off. @return bytes copied (may be 0). */
size_t	shf_read_inline(const struct shf_ref *ref, uint64_t off, void *p,
	    size_t n);
/** @brief Leader: the body file is written up to @p written; readable as @p fd. */
void	shf_progress(const struct shf_ref *ref, uint64_t written, int fd);
/**
 * @brief Follower: bytes in the file, and a new fd on it when it exists
 *	(@p *fd -1 on entry: opened here; the caller closes it).
 * @return bytes readable in the file (0 while it does not exist).
 */
uint64_t shf_read_file(const struct shf_ref *ref, int *fd);
/** @brief Leader: the end (SHF_DONE with the final length, SHF_FAILED, SHF_GONE). */
void	shf_end(const struct shf_ref *ref, enum shf_state st, uint64_t len);
/** @brief Follower of a DONE fetch: its final length. */
uint64_t shf_final(const struct shf_ref *ref);
/** @brief Master: the process @p pid died: end the fetches it led. */
void	shf_reap(pid_t pid);

/*
 * Revalidations in the background (stale-while-revalidate, RFC 5861 §3):
 * one per URL across the workers.  A claim names the key and lasts until
 * it is given back or its deadline passes (or its process is gone).
 */
#define SHF_CLAIMS	256
#define SHF_CLAIM_PROBES	8

/**
 * @brief Claim the revalidation of @p key until @p now_ms + @p ttl_ms.
 * @return 1 claimed (revalidate, then shf_unclaim()), 0 another process
 *	holds it, -1 no table or no room (revalidate before answering).
 */
int	shf_claim(const uint8_t key[STORE_KEY_LEN], int64_t now_ms,
	    int64_t ttl_ms);
/** @brief Give back a claim this process holds. */
void	shf_unclaim(const uint8_t key[STORE_KEY_LEN]);

#endif
