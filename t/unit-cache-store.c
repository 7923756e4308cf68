/*
 * unit-cache-store.c -- the on-disk store (cache/store.c) and the cache
 * manager's pass (cache/manager.c): store and look up inline and file
 * bodies, variants, head update, delete, vary values, persistence across
 * a reopen (100,000 entries, timed), SIGKILL of writers at varied points
 * (every surviving record's body verified byte for byte), eviction in
 * LRU order, orphan and temp clean-up, schema reset, stale readers, and
 * storing off/on around a full map.
 *
 * A test process: everything lives in a mkdtemp() directory under /tmp;
 * children are fork()ed writers that open the store after fork, as the
 * workers do.  Timings are printed as diagnostics, never checked.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <lmdb.h>

#include "manager.h"
#include "log.h"
#include "store.h"
#include "tap.h"

#define T_NOW	1000000		/* a fixed "now" for stored objects */

static char	tdir[64];
static char	logpath[128];

static const size_t t_sizes[] = {
	0, 1, 100, 4095, 4096, 4097, 8192, 65536, 300000, 1048583
};
#define T_NSIZES	(sizeof(t_sizes) / sizeof(t_sizes[0]))

static double
t_secs(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
t_key(uint8_t key[STORE_KEY_LEN], unsigned a, unsigned b)
{
	memset(key, 0, STORE_KEY_LEN);
	snprintf((char *)key, STORE_KEY_LEN, "k%u-%u", a, b);
}

/* Byte @j of the body of object (@a, @b): any byte can be checked. */
static uint8_t
t_byte(unsigned a, unsigned b, size_t j)
{
	return (uint8_t)(a * 131 + b * 17 + j * 7 + (j >> 9));
}

static size_t
t_size(unsigned a, unsigned b)
{
	return t_sizes[(a * 7 + b) % T_NSIZES];
}

static int
t_head(char *buf, size_t size, unsigned a, unsigned b)
{
	return snprintf(buf, size, "HTTP/1.1 200 OK\r\nX-Key: %u-%u\r\n\r\n",
	    a, b);
}

/* Store object (a, b) of @len bytes in chunks of varied size. */
static int
t_put(struct store *s, unsigned a, unsigned b, size_t len, const char *skey,
    int64_t now)
{
	uint8_t key[STORE_KEY_LEN], chunk[7919];
	struct store_meta m = { 200, 0, now - 1, now, now };
	struct store_writer *w;
	char head[128];
	size_t off = 0, n, j;
	int hl;

	t_key(key, a, b);
	hl = t_head(head, sizeof(head), a, b);
	if (store_begin(s, key, skey, skey ? strlen(skey) : 0, head,
	    (size_t)hl, &m, &w) == -1)
		return -1;
	while (off < len) {
		n = 1 + (off * 31 + b) % sizeof(chunk);
		if (n > len - off)
			n = len - off;
		for (j = 0; j < n; j++)
			chunk[j] = t_byte(a, b, off + j);
		if (store_append(w, chunk, n) == -1) {
			store_abort(w);
			return -1;
		}
		off += n;
	}
	return store_commit(w, now);
}

/*
 * Look (a, b) up and check head and every body byte.
 * @return 1 hit and right, 0 miss, -1 hit but wrong (diag says why).
 */
/*
 * What the cache does with a lookup's reports (cache/cache.c): old access
 * times are batched, bad records dropped; here without the writer thread.
 */
static struct store_touch t_touches[STORE_TOUCH_BATCH];
static unsigned t_ntouches;

static void
t_touch_flush(struct store *s)
{
	(void)store_touch_apply(s, t_touches, t_ntouches);
	t_ntouches = 0;
}

static int
t_lookup(struct store *s, const uint8_t *key, const char *skey, int64_t now,
    struct store_obj *o)
{
	int rc = store_lookup(s, key, skey, skey ? strlen(skey) : 0, now, o);

	if (rc == 0 && o->drop)
		store_drop(s, o);
	if (rc == 1 && o->touch) {
		memcpy(t_touches[t_ntouches].ekey, o->ekey, STORE_EKEY_BYTES);
		t_touches[t_ntouches].when = now;
		if (++t_ntouches == STORE_TOUCH_BATCH)
			t_touch_flush(s);
	}
	return rc;
}

static int
t_check(struct store *s, unsigned a, unsigned b, size_t len,
    const char *skey, int64_t now)
{
	uint8_t key[STORE_KEY_LEN], buf[65536];
	struct store_obj o;
	char head[128];
	size_t off = 0, j;
	ssize_t n;
	int rc, hl, bad = 0;

	t_key(key, a, b);
	rc = t_lookup(s, key, skey, now, &o);
	if (rc != 1)
		return rc == 0 ? 0 : -1;
	hl = t_head(head, sizeof(head), a, b);
	if (o.headlen != (size_t)hl || memcmp(o.head, head, o.headlen) != 0) {
		diag("%u-%u: wrong head", a, b);
		bad = 1;
	}
	if (o.body_len != len) {
		diag("%u-%u: body_len %llu, want %zu", a, b,
		    (unsigned long long)o.body_len, len);
		bad = 1;
	} else if (o.body_fd == -1) {
		if (len > STORE_INLINE_MAX || (len > 0 && o.body == NULL))
			bad = 1;
		for (j = 0; !bad && j < len; j++)
			if (o.body[j] != t_byte(a, b, j))
				bad = 1;
	} else {
		if (len <= STORE_INLINE_MAX)
			bad = 1;
		while (!bad && (n = read(o.body_fd, buf, sizeof(buf))) > 0) {
			for (j = 0; j < (size_t)n; j++)
				if (buf[j] != t_byte(a, b, off + j))
					bad = 1;
			off += (size_t)n;
		}
		if (off != len)
			bad = 1;
	}
	if (bad)
		diag("%u-%u: wrong body", a, b);
	store_obj_release(&o);
	return bad ? -1 : 1;
}

/* Files under dir/bodies/xx/ (or dir/tmp with @tmp). */
static long
t_count_files(int tmp)
{
	char path[PATH_MAX];
	struct dirent *de;
	long n = 0;
	int i;
	DIR *d;

	for (i = 0; i < (tmp ? 1 : 256); i++) {
		if (tmp)
			snprintf(path, sizeof(path), "%s/tmp", tdir);
		else
			snprintf(path, sizeof(path), "%s/bodies/%02x", tdir, i);
		if ((d = opendir(path)) == NULL)
			continue;
		while ((de = readdir(d)) != NULL)
			if (de->d_name[0] != '.')
				n++;
		closedir(d);
	}
	return n;
}

static void
t_rm_rf(const char *path)
{
	char cmd[PATH_MAX + 16];

	if (strncmp(path, "/tmp/sluice-", 12) != 0)
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
	if (system(cmd) != 0)
		diag("could not remove %s", path);
}

/* A fresh store directory. */
static struct store *
t_fresh(uint64_t max)
{
	struct store *s;

	t_rm_rf(tdir);
	if (mkdir(tdir, 0700) == -1 || store_dir_prepare(tdir, NULL) == -1 ||
	    store_open(tdir, max, &s) == -1)
		bail_out("cannot create a store in %s", tdir);
	return s;
}

static char *
t_log(void)
{
	static char buf[65536];
	ssize_t n;
	int fd;

	buf[0] = '\0';
	if ((fd = open(logpath, O_RDONLY)) == -1)
		return buf;
	n = read(fd, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	close(fd);
	return buf;
}

static int
t_count_str(const char *hay, const char *needle)
{
	int n = 0;

	while ((hay = strstr(hay, needle)) != NULL) {
		n++;
		hay++;
	}
	return n;
}

static uint64_t
t_count(struct store *s)
{
	struct store_stats st;

	return store_stats(s, &st) == 0 ? st.count : (uint64_t)-1;
}

static void
test_basic(void)
{
	struct store *s = t_fresh(64 << 20);
	struct store_meta m = { 200, 0, 1, 2, 3 };
	struct store_writer *w;
	struct store_obj o;
	uint8_t key[STORE_KEY_LEN];
	char path[PATH_MAX], vbuf[64];
	size_t vlen;
	int rc;

	is_int(t_put(s, 1, 1, 100, NULL, T_NOW), 0, "a small object is stored");
	is_int(t_check(s, 1, 1, 100, NULL, T_NOW), 1,
	    "a small body comes back inline, byte for byte");
	is_int(t_put(s, 1, 2, 300000, NULL, T_NOW), 0,
	    "a large object is stored");
	is_int(t_check(s, 1, 2, 300000, NULL, T_NOW), 1,
	    "a large body comes back as a file descriptor, byte for byte");
	is_int(t_count_files(0), 1, "one body file for the large object");
	is_int(t_count_files(1), 0, "no temp file after a commit");
	is_int(t_check(s, 1, 3, 100, NULL, T_NOW), 0,
	    "another key is a miss");

	/* Variants: the secondary key selects the stored response. */
	is_int(t_put(s, 2, 1, 5000, "gzip", T_NOW), 0, "variant gzip stored");
	is_int(t_put(s, 2, 1, 70, "identity", T_NOW), 0,
	    "variant identity stored");
	is_int(t_check(s, 2, 1, 5000, "gzip", T_NOW), 1,
	    "the gzip variant comes back (RFC 9111 4.1)");
	is_int(t_check(s, 2, 1, 70, "identity", T_NOW), 1,
	    "the identity variant comes back");
	is_int(t_check(s, 2, 1, 70, "br", T_NOW), 0,
	    "an unstored variant is a miss");
	t_key(key, 2, 1);
	is_int(store_vary_put(s, key, "accept-encoding", 15), 0,
	    "a vary value is stored");
	ok(store_vary_get(s, key, vbuf, sizeof(vbuf), &vlen) == 1 &&
	    vlen == 15 && memcmp(vbuf, "accept-encoding", 15) == 0,
	    "the vary value comes back");
	ok(store_vary_get(s, key, vbuf, 4, &vlen) == -1 && errno == ERANGE,
	    "a vary value larger than the buffer is ERANGE");

	/* Replacing an object unlinks the old body. */
	is_int(t_put(s, 1, 2, 65536, NULL, T_NOW), 0, "an object is replaced");
	is_int(t_check(s, 1, 2, 65536, NULL, T_NOW), 1,
	    "the replacement comes back");
	is_int(t_count_files(0), 2, "the replaced body file is gone");
	is_int((long)t_count(s), 4, "meta count is the number of entries");

	/* Abort: nothing stored, temp removed. */
	t_key(key, 3, 1);
	rc = store_begin(s, key, NULL, 0, "H", 1, &m, &w);
	is_int(rc, 0, "a writer begins");
	if (rc == 0) {
		char big[10000];

		memset(big, 'x', sizeof(big));
		store_append(w, big, sizeof(big));
		is_int(t_count_files(1), 1, "a large body streams to tmp/");
		store_abort(w);
	}
	is_int(t_count_files(1), 0, "abort removes the temp file");
	is_int(store_lookup(s, key, NULL, 0, T_NOW, &o), 0,
	    "an aborted object is not stored");

	/* Head update keeps the body (304 merge, RFC 9111 4.3.4). */
	t_key(key, 1, 2);
	m.status = 200;
	m.date = 77;
	is_int(store_update_head(s, key, NULL, 0, "HTTP/1.1 200 OK\r\n"
	    "X-New: 1\r\n\r\n", 29, &m), 1, "the head is updated");
	rc = store_lookup(s, key, NULL, 0, T_NOW, &o);
	ok(rc == 1 && o.headlen == 29 && memcmp(o.head + 17, "X-New", 5) == 0 &&
	    o.meta.date == 77 && o.body_len == 65536 && o.body_fd != -1,
	    "the updated head comes back with the old body");
	if (rc == 1)
		store_obj_release(&o);
	t_key(key, 9, 9);
	is_int(store_update_head(s, key, NULL, 0, "x", 1, &m), 0,
	    "updating a missing object is 0");

	/* Delete every variant (RFC 9111 4.4 invalidation, PURGE). */
	t_key(key, 2, 1);
	is_int(store_delete(s, key), 2, "delete removes both variants");
	is_int(t_check(s, 2, 1, 5000, "gzip", T_NOW), 0,
	    "a deleted variant is a miss");
	is_int(store_vary_get(s, key, vbuf, sizeof(vbuf), &vlen), 0,
	    "delete removes the vary value");
	is_int(t_count_files(0), 1, "delete unlinks the body file");
	is_int(store_delete(s, key), 0, "deleting again deletes nothing");

	/* A missing or truncated body is a miss, and the record goes. */
	is_int(t_put(s, 4, 1, 8192, NULL, T_NOW), 0, "an object to damage");
	is_int(t_put(s, 4, 2, 8192, NULL, T_NOW), 0, "another to damage");
	{
		char dir[PATH_MAX - 300];
		struct dirent *de;
		DIR *d;
		int i, cut = 0;
		struct store_obj o2;

		t_key(key, 4, 1);
		rc = store_lookup(s, key, NULL, 0, T_NOW, &o2);
		/* Find the file by its inode. */
		path[0] = '\0';
		if (rc == 1) {
			struct stat st1, st2;

			fstat(o2.body_fd, &st1);
			for (i = 0; i < 256 && path[0] == '\0'; i++) {
				snprintf(dir, sizeof(dir), "%s/bodies/%02x",
				    tdir, i);
				if ((d = opendir(dir)) == NULL)
					continue;
				while ((de = readdir(d)) != NULL) {
					snprintf(path, sizeof(path), "%s/%s",
					    dir, de->d_name);
					if (de->d_name[0] != '.' &&
					    stat(path, &st2) == 0 &&
					    st2.st_ino == st1.st_ino)
						break;
					path[0] = '\0';
				}
				closedir(d);
			}
			store_obj_release(&o2);
		}
		cut = path[0] != '\0' && truncate(path, 100) == 0;
		ok(cut, "the body file of 4-1 is truncated");
	}
	is_int(t_check(s, 4, 1, 8192, NULL, T_NOW), 0,
	    "a truncated body is a miss");
	is_int(t_count_files(0), 2, "the truncated body file is removed");
	t_key(key, 4, 1);
	is_int(t_check(s, 4, 2, 8192, NULL, T_NOW), 1,
	    "the other object is still served");
	{
		uint64_t before = t_count(s);

		(void)t_check(s, 4, 1, 8192, NULL, T_NOW);
		is_int((long)t_count(s), (long)before,
		    "the record of a truncated body was deleted");
	}
	store_close(s);
}

/* 100,000 entries: store, reopen (timed), every one served. */
static void
test_persist(void)
{
	struct store *s = t_fresh(1024ULL << 20);
	double t0, t1;
	unsigned i, nbad = 0, nhit = 0;
	const unsigned n = 100000;

	t0 = t_secs();
	for (i = 0; i < n; i++)
		if (t_put(s, 7, i, 200 + i % 1500, NULL, T_NOW) == -1)
			nbad++;
	t1 = t_secs();
	is_int(nbad, 0, "100,000 small objects are stored");
	diag("store: %u objects in %.2f s, %.0f/s", n, t1 - t0,
	    n / (t1 - t0));
	store_close(s);

	t0 = t_secs();
	if (store_open(tdir, 1024ULL << 20, &s) == -1)
		bail_out("reopen");
	t1 = t_secs();
	diag("start-up (store_open) with %u entries: %.4f s", n, t1 - t0);
	is_int((long)t_count(s), n,
	    "after a reopen the index holds every entry (no rebuild)");
	t0 = t_secs();
	for (i = 0; i < n; i++) {
		int rc = t_check(s, 7, i, 200 + i % 1500, NULL, T_NOW);

		if (rc == 1)
			nhit++;
	}
	t1 = t_secs();
	diag("lookup (+ copy, verify): %u in %.2f s, %.0f/s", n, t1 - t0,
	    n / (t1 - t0));
	is_int(nhit, n, "after a reopen every entry is served byte for byte");
	t0 = t_secs();
	(void)store_cleanup(s, 60, time(NULL));
	t1 = t_secs();
	diag("cache manager clean-up scan with %u entries: %.3f s", n,
	    t1 - t0);
	/* Every hit older than STORE_TOUCH_SECS: batched access times. */
	t0 = t_secs();
	for (i = 0; i < n; i++)
		(void)t_check(s, 7, i, 200 + i % 1500, NULL, T_NOW + 100);
	t_touch_flush(s);
	t1 = t_secs();
	diag("lookup with an access-time update each (batched by %d): "
	    "%.0f/s", STORE_TOUCH_BATCH, n / (t1 - t0));

	/* Large bodies: file path rate. */
	t0 = t_secs();
	for (i = 0; i < 500; i++)
		if (t_put(s, 8, i, 65536, NULL, T_NOW) == -1)
			nbad++;
	t1 = t_secs();
	diag("store of 64 KiB file bodies: %.0f/s", 500 / (t1 - t0));
	is_int(nbad, 0, "500 file bodies are stored");
	store_close(s);
}

/* A writer child: stores objects (round, 0..n-1) until killed. */
static void __attribute__((noreturn))
t_writer(unsigned round, unsigned first, unsigned n, int ready)
{
	struct store *s;
	unsigned i;

	if (store_open(tdir, 1024ULL << 20, &s) == -1)
		_exit(2);
	(void)!write(ready, "x", 1);
	for (i = first; i < first + n; i++)
		(void)t_put(s, round, i, t_size(round, i), NULL, T_NOW);
	store_close(s);
	_exit(0);
}

static void
test_sigkill(void)
{
	const unsigned rounds = 24, per = 60;
	struct store *s;
	unsigned r, i, nhit = 0, nbad = 0, killed = 0, w;
	pid_t pid[2];
	int p[2], st;
	char c;
	long nf;

	s = t_fresh(1024ULL << 20);
	store_close(s);
	for (r = 0; r < rounds; r++) {
		/* Two writers at once, on disjoint keys; both die. */
		for (w = 0; w < 2; w++) {
			if (pipe(p) == -1)
				bail_out("pipe");
			if ((pid[w] = fork()) == -1)
				bail_out("fork");
			if (pid[w] == 0) {
				close(p[0]);
				t_writer(r, w * per, per, p[1]);
			}
			close(p[1]);
			if (read(p[0], &c, 1) != 1)
				diag("writer %u of round %u did not start",
				    w, r);
			close(p[0]);
		}
		/* Varied points: 0..9.6 ms after both opened the store. */
		usleep((r * 419) % 9700);
		for (w = 0; w < 2; w++) {
			kill(pid[w], SIGKILL);
			if (waitpid(pid[w], &st, 0) == pid[w] &&
			    WIFSIGNALED(st))
				killed++;
		}
	}
	diag("%u of %u writers were killed before they finished", killed,
	    2 * rounds);
	if (store_open(tdir, 1024ULL << 20, &s) == -1) {
		ok(0, "the store opens after the SIGKILLs");
		return;
	}
	ok(1, "the store opens after the SIGKILLs");
	for (r = 0; r < rounds; r++)
		for (i = 0; i < 2 * per; i++)
			switch (t_check(s, r, i, t_size(r, i), NULL, T_NOW)) {
			case 1:
				nhit++;
				break;
			case -1:
				nbad++;
				break;
			}
	diag("%u objects survived", nhit);
	is_int(nbad, 0, "no surviving record has a wrong or truncated body");
	ok(nhit > 0, "objects committed before the kill are served");
	is_int((long)t_count(s), nhit,
	    "meta count equals the records found (the index is consistent)");
	nf = store_cleanup(s, 0, time(NULL) + 1);
	diag("clean-up removed %ld files", nf);
	is_int(t_count_files(1), 0,
	    "clean-up removes the temp files of killed writers");
	{
		unsigned nfile = 0;

		for (r = 0; r < rounds; r++)
			for (i = 0; i < 2 * per; i++)
				if (t_size(r, i) > STORE_INLINE_MAX &&
				    t_check(s, r, i, t_size(r, i), NULL,
				    T_NOW) == 1)
					nfile++;
		is_int(t_count_files(0), nfile,
		    "after clean-up every body file belongs to a record");
	}
	store_close(s);
}

/*
 * SIGKILL of the evictor (the cache manager) at varied points, while a
 * writer stores: the index stays consistent, no record loses its body,
 * and clean-up removes what a kill between commit and unlink left.
 */
static void
test_evict_kill(void)
{
	const unsigned nobj = 400, rounds = 12;
	struct store *s = t_fresh(1024ULL << 20);
	unsigned i, r, nhit = 0, nbad = 0, nfile = 0;
	pid_t ev, wr;
	int p[2], st;
	char c;

	for (i = 0; i < nobj; i++)
		(void)t_put(s, 11, i, t_size(11, i), NULL, T_NOW + i);
	store_close(s);
	for (r = 0; r < rounds; r++) {
		if (pipe(p) == -1 || (ev = fork()) == -1)
			bail_out("fork");
		if (ev == 0) {
			close(p[0]);
			if (store_open(tdir, 1024ULL << 20, &s) == -1)
				_exit(2);
			(void)!write(p[1], "x", 1);
			/* One entry per txn, down to nothing. */
			(void)store_evict(s, 0, 1);
			store_close(s);
			_exit(0);
		}
		close(p[1]);
		if (read(p[0], &c, 1) != 1)
			diag("evictor of round %u did not start", r);
		close(p[0]);
		if (pipe(p) == -1 || (wr = fork()) == -1)
			bail_out("fork");
		if (wr == 0) {
			close(p[0]);
			t_writer(12 + r, 0, 20, p[1]);
		}
		close(p[1]);
		if (read(p[0], &c, 1) != 1)
			diag("writer of round %u did not start", r);
		close(p[0]);
		usleep((r * 173) % 1100);
		kill(ev, SIGKILL);
		kill(wr, SIGKILL);
		waitpid(ev, &st, 0);
		waitpid(wr, &st, 0);
	}
	if (store_open(tdir, 1024ULL << 20, &s) == -1) {
		ok(0, "the store opens after the evictor was killed");
		skip(3, "no store");
		return;
	}
	ok(1, "the store opens after the evictor was killed");
	for (r = 11; r < 12 + rounds; r++)
		for (i = 0; i < (r == 11 ? nobj : 20); i++) {
			switch (t_check(s, r, i, t_size(r, i), NULL, T_NOW)) {
			case 1:
				nhit++;
				if (t_size(r, i) > STORE_INLINE_MAX)
					nfile++;
				break;
			case -1:
				nbad++;
				break;
			}
		}
	diag("%u objects left after %u killed evictors", nhit, rounds);
	is_int(nbad, 0,
	    "after killed evictions no record has a wrong or missing body");
	is_int((long)t_count(s), nhit,
	    "meta count equals the records found after killed evictions");
	(void)store_cleanup(s, 0, time(NULL) + 1);
	is_int(t_count_files(0), nfile,
	    "clean-up removes bodies a killed evictor left behind");
	store_close(s);
}

/* Eviction keeps the total under the size, least recently used first. */
static void
test_evict(void)
{
	const uint64_t max = 1 << 20;
	struct store *s = t_fresh(max);
	struct store_stats st;
	unsigned i, survived_touched = 0, survived_new = 0;
	long n;

	/* 20 x 64 KiB = 1.25 MB, accessed at T_NOW + i. */
	for (i = 0; i < 20; i++)
		if (t_put(s, 5, i, 65536, NULL, T_NOW + i) == -1)
			diag("put 5-%u failed", i);
	/* The 5 oldest are used again, later than everything. */
	for (i = 0; i < 5; i++)
		(void)t_check(s, 5, i, 65536, NULL, T_NOW + 1000);
	t_touch_flush(s);
	n = cache_manager_tick(s, max);
	ok(n > 0, "the cache manager evicts when over the size");
	store_stats(s, &st);
	ok(st.bytes <= max - max / 10,
	    "after eviction the total is under 90%% of the size");
	for (i = 0; i < 5; i++)
		if (t_check(s, 5, i, 65536, NULL, T_NOW + 1000) == 1)
			survived_touched++;
	for (i = 15; i < 20; i++)
		if (t_check(s, 5, i, 65536, NULL, T_NOW + 1000) == 1)
			survived_new++;
	is_int(survived_touched, 5,
	    "recently used entries survive eviction (LRU, batched access "
	    "times)");
	is_int(t_check(s, 5, 5, 65536, NULL, T_NOW + 1000), 0,
	    "the least recently used entry is evicted");
	is_int(survived_new, 5, "the newest entries survive eviction");
	is_int(t_count_files(0), (long)st.count,
	    "evicted body files are unlinked");
	is_int(cache_manager_tick(s, max), 0,
	    "under the size, nothing more is evicted");
	store_close(s);
}

static void
test_cleanup(void)
{
	struct store *s = t_fresh(64 << 20);
	struct timeval tv[2];
	char path[PATH_MAX];
	int fd;

	is_int(t_put(s, 6, 1, 10000, NULL, T_NOW), 0, "an object with a file");
	/* An old orphan, a fresh orphan (maybe in commit), temp files. */
	snprintf(path, sizeof(path), "%s/bodies/ab/abababababababababababab",
	    tdir);
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	close(fd);
	tv[0].tv_sec = tv[1].tv_sec = time(NULL) - 3600;
	tv[0].tv_usec = tv[1].tv_usec = 0;
	utimes(path, tv);
	snprintf(path, sizeof(path), "%s/bodies/cd/cdcdcdcdcdcdcdcdcdcdcdcd",
	    tdir);
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	close(fd);
	snprintf(path, sizeof(path), "%s/tmp/999999999.1", tdir);
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	close(fd);
	snprintf(path, sizeof(path), "%s/tmp/%ld.77", tdir, (long)getpid());
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	close(fd);
	is_int(store_cleanup(s, 60, time(NULL)), 2,
	    "clean-up removes the old orphan and the dead writer's temp");
	is_int(t_count_files(0), 2,
	    "a body younger than the grace period stays (in-flight commit)");
	is_int(t_count_files(1), 1, "a live writer's temp file stays");
	is_int(t_check(s, 6, 1, 10000, NULL, T_NOW), 1,
	    "a body named by a record is never removed");
	unlink(path);
	store_close(s);
}

static void
test_schema(void)
{
	struct store *s = t_fresh(64 << 20);
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_val k = { 7, "version" }, v;
	uint64_t ver = 99;
	char path[PATH_MAX];
	int rc, fd;

	is_int(t_put(s, 1, 1, 10000, NULL, T_NOW), 0, "an object to lose");
	store_close(s);
	/* Another version, written with LMDB directly. */
	rc = mdb_env_create(&env);
	mdb_env_set_maxdbs(env, 8);
	rc = rc ? rc : mdb_env_open(env, tdir, 0, 0600);
	rc = rc ? rc : mdb_txn_begin(env, NULL, 0, &txn);
	rc = rc ? rc : mdb_dbi_open(txn, "meta", 0, &dbi);
	v.mv_size = sizeof(ver);
	v.mv_data = &ver;
	rc = rc ? rc : mdb_put(txn, dbi, &k, &v, 0);
	rc = rc ? rc : mdb_txn_commit(txn);
	mdb_env_close(env);
	is_int(rc, 0, "the schema version is set to 99 behind our back");
	if (ftruncate(open(logpath, O_WRONLY | O_CLOEXEC), 0) == -1)
		diag("truncate log");
	if (store_open(tdir, 64 << 20, &s) == -1)
		bail_out("open after version change");
	is_int(t_count_str(t_log(), "another schema version"), 1,
	    "another schema version is reset with one log line");
	is_int(t_check(s, 1, 1, 10000, NULL, T_NOW), 0,
	    "after a reset old entries are gone, never misread");
	is_int(t_count_files(0), 0, "after a reset old bodies are removed");
	is_int(t_put(s, 1, 2, 10000, NULL, T_NOW), 0,
	    "storing works after a reset");
	store_close(s);
	if (store_open(tdir, 64 << 20, &s) == -1)
		bail_out("reopen");
	is_int(t_check(s, 1, 2, 10000, NULL, T_NOW), 1,
	    "a reopen after the reset keeps entries (no second reset)");
	store_close(s);

	/* A data.mdb that is not LMDB at all. */
	snprintf(path, sizeof(path), "%s/data.mdb", tdir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/lock.mdb", tdir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/data.mdb", tdir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	{
		char junk[16384];

		memset(junk, 'J', sizeof(junk));
		(void)!write(fd, junk, sizeof(junk));
	}
	close(fd);
	if (ftruncate(open(logpath, O_WRONLY | O_CLOEXEC), 0) == -1)
		diag("truncate log");
	rc = store_open(tdir, 64 << 20, &s);
	is_int(rc, 0, "a foreign data.mdb does not stop the store");
	like(t_log(), "the cache was reset",
	    "a foreign data.mdb is reset with a log line");
	if (rc == 0) {
		is_int(t_put(s, 1, 3, 100, NULL, T_NOW), 0,
		    "storing works after a foreign file was reset");
		store_close(s);
	} else
		skip(1, "no store");
}

/* A reader killed inside a read txn leaves a slot; the manager clears it. */
static void
test_readers(void)
{
	struct store *s = t_fresh(64 << 20);
	pid_t pid;
	int p[2], st;
	char c;

	/*
	 * The store stays open: the last process to open the environment
	 * alone resets the reader table, which would hide the stale slot.
	 * The child does not use it; it opens its own environment.
	 */
	if (pipe(p) == -1 || (pid = fork()) == -1)
		bail_out("fork");
	if (pid == 0) {
		MDB_env *env;
		MDB_txn *txn;

		close(p[0]);
		if (mdb_env_create(&env) || mdb_env_set_maxdbs(env, 8) ||
		    mdb_env_open(env, tdir, MDB_NOTLS, 0600) ||
		    mdb_txn_begin(env, NULL, MDB_RDONLY, &txn))
			_exit(2);
		(void)!write(p[1], "x", 1);
		pause();
		_exit(0);
	}
	close(p[1]);
	if (read(p[0], &c, 1) != 1)
		diag("reader did not start");
	close(p[0]);
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	is_int(store_maintain(s), 1,
	    "the reader slot of a killed process is cleared");
	is_int(store_maintain(s), 0, "then no stale reader is left");
	store_close(s);
}

/*
 * A cache 150% full (no manager) turns storing off with one line;
 * eviction turns it on again.
 */
static void
test_full(void)
{
	struct store *s = t_fresh(1 << 20);
	unsigned i, nok = 0;
	int off = 0;

	if (ftruncate(open(logpath, O_WRONLY | O_CLOEXEC), 0) == -1)
		diag("truncate log");
	for (i = 0; i < 40000; i++) {
		if (t_put(s, 9, i, 4000, NULL, T_NOW + i) == 0)
			nok++;
		else if (!store_storing(s)) {
			off = 1;
			break;
		}
	}
	diag("%u inline objects stored before storing went off", nok);
	ok(off, "a cache over 150%% of its size turns storing off");
	ok(t_put(s, 9, 999999, 10, NULL, T_NOW) == -1 && errno == ENOSPC,
	    "while off, store_begin refuses with ENOSPC");
	is_int(t_count_str(t_log(), "storing off"), 1,
	    "storing off is logged once");
	is_int(t_check(s, 9, 0, 4000, NULL, T_NOW), 1,
	    "lookups still work while storing is off");
	ok(store_evict(s, 512 << 10, 256) > 0, "eviction makes room");
	is_int(t_put(s, 9, 999999, 10, NULL, T_NOW), 0,
	    "after eviction storing resumes");
	ok(store_storing(s), "storing is on again");
	is_int(t_count_str(t_log(), "storing resumed"), 1,
	    "storing resumed is logged once");
	store_close(s);
}

int
main(void)
{
	snprintf(tdir, sizeof(tdir), "/tmp/sluice-unit-store-XXXXXX");
	if (mkdtemp(tdir) == NULL)
		bail_out("mkdtemp: %s", strerror(errno));
	snprintf(logpath, sizeof(logpath), "%s.log", tdir);
	if (log_open(logpath, 0) == -1)
		bail_out("log_open");
	strcat(tdir, "/c");

	plan(84);
	test_basic();
	test_persist();
	test_sigkill();
	test_evict();
	test_evict_kill();
	test_cleanup();
	test_schema();
	test_readers();
	test_full();

	log_open(NULL, 0);
	unlink(logpath);
	tdir[strlen(tdir) - 2] = '\0';
	t_rm_rf(tdir);
	return exit_status();
}
