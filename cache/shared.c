/*
 * shared.c -- fetches under way, shared by every worker (see shared.h).
 * Runs in the workers; the master maps the table before the first fork.
 *
 * Memory order: whatever a slot's readers use (the key, the published
 * head, inline bytes, the file's fd) is written before the atomic that
 * announces it (state, ninl, written) with release order, and read after
 * that atomic with acquire order.  The generation, bumped at each claim,
 * tells a reader that its slot was freed and reused meanwhile.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "shared.h"

struct shf_slot {
	_Atomic uint32_t	 state;
	_Atomic uint32_t	 gen;
	_Atomic uint32_t	 readers;
	_Atomic int32_t		 leader;	/* pid */
	_Atomic int32_t		 fd;		/* the leader's fd on the body file */
	_Atomic uint64_t	 seq;		/* claim order */
	_Atomic uint64_t	 written;	/* body bytes in the file */
	_Atomic uint64_t	 ninl;		/* body bytes in inl */
	_Atomic uint64_t	 final;		/* the length, once DONE */
	_Atomic uint64_t	 dev, ino;	/* the body file, to check an open */
	uint8_t			 key[STORE_KEY_LEN];
	struct shf_pub		 pub;
	uint8_t			 inl[STORE_INLINE_MAX];
};

struct shf_claim_slot {
	_Atomic uint64_t	 tag;		/* from the key; 0: never used */
	_Atomic int64_t		 until;		/* ms; past: free for anyone */
	_Atomic int32_t		 pid;
};

struct shf_table {
	_Atomic uint64_t	 seq;
	struct shf_slot		 slot[SHF_SLOTS];
	struct shf_claim_slot	 claim[SHF_CLAIMS];
};

static struct shf_table	*shf;

int
shf_init(void)
{
	void *p;

	if (shf != NULL)
		return 0;
	p = mmap(NULL, sizeof(*shf), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -1;
	shf = p;	/* zero: every slot FREE */
	return 0;
}

int
shf_on(void)
{
	return shf != NULL;
}

static struct shf_slot *
shf_slot(const struct shf_ref *ref)
{
	if (shf == NULL || ref->slot < 0 || ref->slot >= SHF_SLOTS)
		return NULL;
	return &shf->slot[ref->slot];
}

/*
 * A fetch others may still attach to.  Not once it ended: the leader
 * lets its descriptor go when no reader is left, so a reader must never
 * count itself in after that (a DONE fetch is in the store anyway).
 */
static int
shf_live(uint32_t st)
{
	return st == SHF_WAITING || st == SHF_BODY;
}

/* Free the slot when it ended and nobody reads it any more. */
static void
shf_maybe_free(struct shf_slot *s, uint32_t gen)
{
	uint32_t st = atomic_load_explicit(&s->state, memory_order_acquire);

	if (atomic_load_explicit(&s->gen, memory_order_acquire) != gen ||
	    !(st == SHF_DONE || st == SHF_FAILED || st == SHF_GONE) ||
	    atomic_load_explicit(&s->readers, memory_order_acquire) != 0)
		return;
	(void)atomic_compare_exchange_strong(&s->state, &st, SHF_FREE);
}

/* Attach to slot @p i if it still holds a live fetch of @p key. */
static int
shf_attach(int i, const uint8_t key[STORE_KEY_LEN], uint64_t before_seq,
    struct shf_ref *ref)
{
	struct shf_slot *s = &shf->slot[i];
	uint32_t st, gen;

	st = atomic_load_explicit(&s->state, memory_order_acquire);
	if (!shf_live(st) || memcmp(s->key, key, STORE_KEY_LEN) != 0)
		return 0;
	/* Our own fetches are followed within the process (collapse.c). */
	if (atomic_load(&s->leader) == (int32_t)getpid())
		return 0;
	gen = atomic_load_explicit(&s->gen, memory_order_acquire);
	if (before_seq != 0 && atomic_load_explicit(&s->seq,
	    memory_order_acquire) >= before_seq)
		return 0;
	atomic_fetch_add(&s->readers, 1);
	/* Still the same fetch once we count as its reader? */
	st = atomic_load_explicit(&s->state, memory_order_acquire);
	if (atomic_load_explicit(&s->gen, memory_order_acquire) != gen ||
	    !shf_live(st) || memcmp(s->key, key, STORE_KEY_LEN) != 0) {
		atomic_fetch_sub(&s->readers, 1);
		shf_maybe_free(s, gen);
		return 0;
	}
	ref->slot = i;
	ref->gen = gen;
	return 1;
}

int
shf_join(const uint8_t key[STORE_KEY_LEN], struct shf_ref *ref)
{
	struct shf_slot *s;
	uint32_t expect;
	uint64_t seq;
	int i, start, k;

	ref->slot = -1;
	ref->gen = 0;
	if (shf == NULL)
		return 0;
	start = (key[0] | key[1] << 8) % SHF_SLOTS;
	for (k = 0; k < SHF_SLOTS; k++)
		if (shf_attach((start + k) % SHF_SLOTS, key, 0, ref))
			return 2;
	/* Nobody fetches it: claim a slot. */
	for (k = 0; k < SHF_SLOTS; k++) {
		i = (start + k) % SHF_SLOTS;
		s = &shf->slot[i];
		expect = SHF_FREE;
		if (!atomic_compare_exchange_strong(&s->state, &expect,
		    SHF_CLAIMING))
			continue;
		atomic_fetch_add(&s->gen, 1);
		memcpy(s->key, key, STORE_KEY_LEN);
		atomic_store(&s->leader, (int32_t)getpid());
		atomic_store(&s->fd, -1);
		atomic_store(&s->written, 0);
		atomic_store(&s->ninl, 0);
		atomic_store(&s->final, 0);
		atomic_store(&s->dev, 0);
		atomic_store(&s->ino, 0);
		seq = atomic_fetch_add(&shf->seq, 1) + 1;
		atomic_store(&s->seq, seq);
		atomic_store_explicit(&s->state, SHF_WAITING,
		    memory_order_release);
		ref->slot = i;
		ref->gen = atomic_load(&s->gen);
		/*
		 * Another worker may have claimed the same key at the same
		 * moment: the older claim leads, this one follows it.
		 */
		for (k = 0; k < SHF_SLOTS; k++) {
			struct shf_ref other;

			if ((start + k) % SHF_SLOTS == i)
				continue;
			if (shf_attach((start + k) % SHF_SLOTS, key, seq,
			    &other)) {
				shf_end(ref, SHF_GONE, 0);
				shf_leave(ref, 1);
				*ref = other;
				return 2;
			}
		}
		return 1;
	}
	return 0;
}

void
shf_leave(struct shf_ref *ref, int leader)
{
	struct shf_slot *s = shf_slot(ref);

	if (s == NULL)
		return;
	if (!leader)
		atomic_fetch_sub(&s->readers, 1);
	shf_maybe_free(s, ref->gen);
	ref->slot = -1;
}

enum shf_state
shf_state(const struct shf_ref *ref)
{
	struct shf_slot *s = shf_slot(ref);
	uint32_t st;

	if (s == NULL)
		return SHF_GONE;
	st = atomic_load_explicit(&s->state, memory_order_acquire);
	if (atomic_load_explicit(&s->gen, memory_order_acquire) != ref->gen)
		return SHF_GONE;
	return (enum shf_state)st;
}

int
shf_leader_alive(const struct shf_ref *ref)
{
	struct shf_slot *s = shf_slot(ref);
	pid_t pid;

	if (s == NULL)
		return 0;
	pid = (pid_t)atomic_load(&s->leader);
	return pid > 0 && (kill(pid, 0) == 0 || errno != ESRCH);
}

unsigned
shf_readers(const struct shf_ref *ref)
{
	struct shf_slot *s = shf_slot(ref);

	return s != NULL ? atomic_load(&s->readers) : 0;
}

int
shf_publish(const struct shf_ref *ref, const struct shf_pub *p)
{
	struct shf_slot *s = shf_slot(ref);

	if (s == NULL)
		return -1;
	if (p->headlen > SHF_HEAD_MAX || p->speclen > SHF_SPEC_MAX ||
	    p->skeylen > SHF_SKEY_MAX) {
		shf_end(ref, SHF_GONE, 0);
		return -1;
	}
	s->pub.meta = p->meta;
	s->pub.total = p->total;
	s->pub.headlen = p->headlen;
	s->pub.speclen = p->speclen;
	s->pub.skeylen = p->skeylen;
	memcpy(s->pub.head, p->head, p->headlen);
	memcpy(s->pub.spec, p->spec, p->speclen);
	memcpy(s->pub.skey, p->skey, p->skeylen);
	atomic_store_explicit(&s->state, SHF_BODY, memory_order_release);
	return 0;
}

int
shf_read_pub(const struct shf_ref *ref, struct shf_pub *p)
{
	struct shf_slot *s = shf_slot(ref);
	enum shf_state st = shf_state(ref);

	if (s == NULL || (st != SHF_BODY && st != SHF_DONE))
		return -1;
	p->meta = s->pub.meta;
	p->total = s->pub.total;
	p->headlen = s->pub.headlen;
	p->speclen = s->pub.speclen;
	p->skeylen = s->pub.skeylen;
	memcpy(p->head, s->pub.head, p->headlen);
	memcpy(p->spec, s->pub.spec, p->speclen);
	memcpy(p->skey, s->pub.skey, p->skeylen);
	/* Reused while we copied? */
	return shf_state(ref) == SHF_GONE ? -1 : 0;
}

void
shf_inline(const struct shf_ref *ref, const void *p, size_t n)
{
	struct shf_slot *s = shf_slot(ref);
	uint64_t have;

	if (s == NULL)
		return;
	have = atomic_load_explicit(&s->ninl, memory_order_relaxed);
	if (have >= STORE_INLINE_MAX)
		return;
	if (n > STORE_INLINE_MAX - have)
		n = STORE_INLINE_MAX - have;
	memcpy(s->inl + have, p, n);
	atomic_store_explicit(&s->ninl, have + n, memory_order_release);
}

size_t
shf_read_inline(const struct shf_ref *ref, uint64_t off, void *p, size_t n)
{
	struct shf_slot *s = shf_slot(ref);
	uint64_t have;

	if (s == NULL)
		return 0;
	have = atomic_load_explicit(&s->ninl, memory_order_acquire);
	if (off >= have)
		return 0;
	if (n > have - off)
		n = (size_t)(have - off);
	memcpy(p, s->inl + off, n);
	return n;
}

void
shf_progress(const struct shf_ref *ref, uint64_t written, int fd)
{
	struct shf_slot *s = shf_slot(ref);

	if (s == NULL)
		return;
	if (fd != -1 && atomic_load(&s->fd) == -1) {
		struct stat st;

		if (fstat(fd, &st) == -1)
			return;
		atomic_store(&s->dev, (uint64_t)st.st_dev);
		atomic_store(&s->ino, (uint64_t)st.st_ino);
		atomic_store_explicit(&s->fd, fd, memory_order_release);
	}
	if (atomic_load(&s->fd) != -1)
		atomic_store_explicit(&s->written, written,
		    memory_order_release);
}

uint64_t
shf_read_file(const struct shf_ref *ref, int *fd)
{
	struct shf_slot *s = shf_slot(ref);
	char path[64];
	uint64_t w;
	int lfd;

	if (s == NULL)
		return 0;
	w = atomic_load_explicit(&s->written, memory_order_acquire);
	lfd = atomic_load_explicit(&s->fd, memory_order_acquire);
	if (*fd == -1 && lfd != -1) {
		/* The leader's own descriptor: the same inode, even unlinked. */
		snprintf(path, sizeof(path), "/proc/%d/fd/%d",
		    (int)atomic_load(&s->leader), lfd);
		*fd = open(path, O_RDONLY | O_CLOEXEC);
		/*
		 * The file it must be: a dead leader's pid may be reused, and
		 * its descriptor number with it.
		 */
		if (*fd != -1) {
			struct stat st;

			if (fstat(*fd, &st) == -1 || shf_state(ref) ==
			    SHF_GONE || (uint64_t)st.st_dev != atomic_load(
			    &s->dev) || (uint64_t)st.st_ino != atomic_load(
			    &s->ino)) {
				close(*fd);
				*fd = -1;
			}
		}
	}
	return *fd != -1 ? w : 0;
}

void
shf_end(const struct shf_ref *ref, enum shf_state st, uint64_t len)
{
	struct shf_slot *s = shf_slot(ref);

	if (s == NULL)
		return;
	if (st == SHF_DONE)
		atomic_store_explicit(&s->final, len, memory_order_release);
	atomic_store_explicit(&s->state, st, memory_order_release);
}

uint64_t
shf_final(const struct shf_ref *ref)
{
	struct shf_slot *s = shf_slot(ref);

	return s != NULL ? atomic_load_explicit(&s->final,
	    memory_order_acquire) : 0;
}

void
shf_reap(pid_t pid)
{
	struct shf_slot *s;
	uint32_t st;
	int i;

	if (shf == NULL)
		return;
	for (i = 0; i < SHF_SLOTS; i++) {
		s = &shf->slot[i];
		st = atomic_load(&s->state);
		if (atomic_load(&s->leader) != (int32_t)pid)
			continue;
		/*
		 * A whole fetch stays DONE: its readers have their own
		 * descriptors on the file and its length.  One cut short
		 * can never be whole now.
		 */
		if ((st == SHF_CLAIMING || st == SHF_WAITING ||
		    st == SHF_BODY) && !atomic_compare_exchange_strong(
		    &s->state, &st, st == SHF_BODY ? SHF_FAILED : SHF_GONE))
			continue;
		shf_maybe_free(s, atomic_load(&s->gen));
	}
}

/* ------------------------------------------------------------- claims */

static uint64_t
shf_tag(const uint8_t key[STORE_KEY_LEN])
{
	uint64_t t;

	memcpy(&t, key, sizeof(t));
	return t | 1;	/* never 0 */
}

static int
shf_claim_live(struct shf_claim_slot *c, int64_t now_ms)
{
	pid_t pid = (pid_t)atomic_load(&c->pid);

	/* pid 0: being taken right now (the deadline bounds it). */
	return atomic_load(&c->until) > now_ms && (pid <= 0 ||
	    kill(pid, 0) == 0 || errno != ESRCH);
}

/* Take @p c (its tag is ours): from an ended claim, atomically. */
static int
shf_claim_take(struct shf_claim_slot *c, int64_t now_ms, int64_t ttl_ms)
{
	int64_t old = atomic_load(&c->until);

	if (shf_claim_live(c, now_ms))
		return 0;
	atomic_store(&c->pid, 0);
	if (!atomic_compare_exchange_strong(&c->until, &old, now_ms + ttl_ms))
		return 0;	/* another process took it just now */
	atomic_store(&c->pid, (int32_t)getpid());
	return 1;
}

int
shf_claim(const uint8_t key[STORE_KEY_LEN], int64_t now_ms, int64_t ttl_ms)
{
	uint64_t t = shf_tag(key), cur;
	struct shf_claim_slot *c;
	unsigned i, k;

	if (shf == NULL)
		return -1;
	/*
	 * The same probe sequence for every claimer of a key: they meet on
	 * one slot, where compare-and-swap picks one.
	 */
	for (k = 0; k < SHF_CLAIM_PROBES; k++) {
		i = (unsigned)((t >> 8) + k) % SHF_CLAIMS;
		c = &shf->claim[i];
		cur = atomic_load(&c->tag);
		if (cur == t)
			return shf_claim_take(c, now_ms, ttl_ms);
		if (cur != 0 && shf_claim_live(c, now_ms))
			continue;	/* another key's, under way */
		/* Empty, or another key's that ended: make it ours. */
		if (!atomic_compare_exchange_strong(&c->tag, &cur, t)) {
			if (cur == t)
				return shf_claim_take(c, now_ms, ttl_ms);
			continue;
		}
		return shf_claim_take(c, now_ms, ttl_ms);
	}
	return -1;
}

void
shf_unclaim(const uint8_t key[STORE_KEY_LEN])
{
	uint64_t t = shf_tag(key);
	struct shf_claim_slot *c;
	unsigned i, k;

	if (shf == NULL)
		return;
	for (k = 0; k < SHF_CLAIM_PROBES; k++) {
		i = (unsigned)((t >> 8) + k) % SHF_CLAIMS;
		c = &shf->claim[i];
		if (atomic_load(&c->tag) == t &&
		    atomic_load(&c->pid) == (int32_t)getpid()) {
			atomic_store(&c->until, 0);
			return;
		}
	}
}
