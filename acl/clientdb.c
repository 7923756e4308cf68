/*
 * clientdb.c -- per-client connection counts in shared memory
 * (clientdb.h).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/mman.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

#include "clientdb.h"
#include "log.h"

#define CLIENTDB_PROBES	64

enum { CDB_EMPTY = 0, CDB_BUSY, CDB_READY };

struct cdb_key {
	_Atomic uint32_t	state;
	unsigned char		addr[16];	/* IPv4 as ::ffff:a.b.c.d */
};

static struct cdb_key		*cdb_keys;	/* CLIENTDB_ADDRS */
static _Atomic uint32_t		*cdb_counts;	/* CLIENTDB_ADDRS x cdb_cols */
static unsigned			 cdb_cols;
static unsigned			 cdb_slot;
static int			 cdb_full_logged;

int
clientdb_init(unsigned max_workers)
{
	size_t sz;
	void *p;

	if (cdb_keys != NULL)
		return 0;
	if (max_workers == 0)
		max_workers = 1;
	sz = CLIENTDB_ADDRS * sizeof(struct cdb_key) +
	    (size_t)CLIENTDB_ADDRS * max_workers * sizeof(uint32_t);
	p = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
	    -1, 0);
	if (p == MAP_FAILED)
		return -1;
	cdb_keys = p;
	cdb_counts = (_Atomic uint32_t *)(void *)((char *)p +
	    CLIENTDB_ADDRS * sizeof(struct cdb_key));
	cdb_cols = max_workers;
	return 0;
}

void
clientdb_worker(unsigned slot)
{
	cdb_slot = slot < cdb_cols ? slot : 0;
	cdb_full_logged = 0;
}

void
clientdb_reset_slot(unsigned slot)
{
	size_t i;

	if (cdb_keys == NULL || slot >= cdb_cols)
		return;
	for (i = 0; i < CLIENTDB_ADDRS; i++)
		atomic_store(&cdb_counts[i * cdb_cols + slot], 0);
}

static int
cdb_addr(const struct sockaddr *sa, unsigned char a[16])
{
	if (sa == NULL)
		return -1;
	if (sa->sa_family == AF_INET) {
		memset(a, 0, 10);
		a[10] = a[11] = 0xff;
		memcpy(a + 12, &((const struct sockaddr_in *)(const void *)sa)->
		    sin_addr, 4);
		return 0;
	}
	if (sa->sa_family == AF_INET6) {
		memcpy(a, &((const struct sockaddr_in6 *)(const void *)sa)->
		    sin6_addr, 16);
		return 0;
	}
	return -1;
}

/* The place of @p a, claimed when @p claim; -1 when none. */
static long
cdb_find(const unsigned char a[16], int claim)
{
	uint32_t h = 2166136261u, st, expect;
	size_t i, k, spin;

	for (i = 0; i < 16; i++)
		h = (h ^ a[i]) * 16777619u;
	for (k = 0; k < CLIENTDB_PROBES; k++) {
		i = (h + k) % CLIENTDB_ADDRS;
		st = atomic_load(&cdb_keys[i].state);
		if (st == CDB_EMPTY) {
			if (!claim)
				return -1;
			expect = CDB_EMPTY;
			if (atomic_compare_exchange_strong(&cdb_keys[i].state,
			    &expect, CDB_BUSY)) {
				memcpy(cdb_keys[i].addr, a, 16);
				atomic_store(&cdb_keys[i].state, CDB_READY);
				return (long)i;
			}
			st = expect;
		}
		/*
		 * Another child is writing this key: wait for it, bounded (a
		 * child killed right there leaves the place busy for good).
		 */
		for (spin = 0; st == CDB_BUSY && spin < 10000; spin++)
			st = atomic_load(&cdb_keys[i].state);
		if (st == CDB_READY && memcmp(cdb_keys[i].addr, a, 16) == 0)
			return (long)i;
	}
	return -1;
}

unsigned
clientdb_enter(const struct sockaddr *src)
{
	unsigned char a[16];
	unsigned sum = 0, c;
	long i;

	if (cdb_keys == NULL || cdb_addr(src, a) == -1)
		return 0;
	if ((i = cdb_find(a, 1)) == -1) {
		if (!cdb_full_logged++)
			log_warnx("clientdb: table full; maxconn does not count "
			    "new client addresses");
		return 0;
	}
	atomic_fetch_add(&cdb_counts[(size_t)i * cdb_cols + cdb_slot], 1);
	for (c = 0; c < cdb_cols; c++)
		sum += atomic_load(&cdb_counts[(size_t)i * cdb_cols + c]);
	return sum;
}

unsigned
clientdb_count(const struct sockaddr *src)
{
	unsigned char a[16];
	unsigned sum = 0, c;
	long i;

	if (cdb_keys == NULL || cdb_addr(src, a) == -1 ||
	    (i = cdb_find(a, 0)) == -1)
		return 0;
	for (c = 0; c < cdb_cols; c++)
		sum += atomic_load(&cdb_counts[(size_t)i * cdb_cols + c]);
	return sum;
}

void
clientdb_leave(const struct sockaddr *src)
{
	unsigned char a[16];
	_Atomic uint32_t *p;
	uint32_t v;
	long i;

	if (cdb_keys == NULL || cdb_addr(src, a) == -1 ||
	    (i = cdb_find(a, 0)) == -1)
		return;
	p = &cdb_counts[(size_t)i * cdb_cols + cdb_slot];
	/* Never below zero (a reset column, then a late close). */
	v = atomic_load(p);
	while (v > 0 && !atomic_compare_exchange_weak(p, &v, v - 1))
		;
}
