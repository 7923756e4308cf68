/*
 * store.c -- the on-disk object store (see store.h for the layout, the
 * commit order and the crash-safety argument).
 * Runs in the workers and the cache manager, after fork.
 *
 * Caveats:
 *  - Records are packed with memcpy (LMDB values are not aligned) in host
 *    byte order: the cache directory is not portable across endianness
 *    (the schema check does not detect that; do not share cache_dir).
 *  - Every write txn is short: no file I/O happens inside one, body
 *    files are unlinked after the commit.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/random.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <lmdb.h>
#include <openssl/evp.h>

#include "log.h"
#include "store.h"

#define STORE_EKEY_LEN	STORE_EKEY_BYTES	/* primary + SHA-256(skey) */
#define STORE_LKEY_LEN	(8 + STORE_EKEY_LEN)	/* access time + entry key */
#define STORE_ID_LEN	STORE_ID_BYTES		/* body id bytes */
#define STORE_REC_MAGIC	0x736c7263u		/* "slrc" */
#define STORE_HEAD_MAX	(1024 * 1024)
#define STORE_TMP_MAXAGE (24 * 3600)		/* a live writer's temp */

/* The fixed part of an entries value; head then inline body follow. */
struct store_rec {
	uint32_t	magic;
	uint16_t	status;
	uint16_t	inl;		/* 1: body inline after the head */
	uint32_t	flags;
	uint32_t	headlen;
	int64_t		request_time;
	int64_t		response_time;
	int64_t		date;
	int64_t		last_access;
	uint64_t	body_len;
	uint8_t		body_id[STORE_ID_LEN];
	uint32_t	pad;
};


struct store {
	char		*dir;
	MDB_env		*env;
	MDB_dbi		 meta, entries, vary, lru;
	uint64_t	 max_bytes;
	uint64_t	 id_prefix;	/* random per process */
	uint32_t	 id_next;
	unsigned	 tmp_next;
	int		 off;		/* storing off after ENOSPC/MAP_FULL */
	int64_t		 off_until;	/* monotonic seconds */
	uint64_t	 off_bytes;	/* the total when storing went off */
	MDB_txn		*rtxn;		/* store_lookup()'s read txn, reset
					   between lookups and renewed (one
					   thread looks up), or NULL */
};

struct store_writer {
	struct store	*s;
	uint8_t		 ekey[STORE_EKEY_LEN];
	struct store_meta meta;
	uint8_t		*head;
	size_t		 headlen;
	uint8_t		 inl[STORE_INLINE_MAX];
	size_t		 ninl;
	uint64_t	 len;
	int		 fd;		/* temp file, or -1 */
	char		 tmp[PATH_MAX];
};

static const char *store_dbname[] = { "meta", "entries", "vary", "lru" };

static int64_t
store_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

static void
store_ekey(uint8_t ekey[STORE_EKEY_LEN], const uint8_t key[STORE_KEY_LEN],
    const void *skey, size_t skeylen)
{
	unsigned int n = STORE_KEY_LEN;

	memcpy(ekey, key, STORE_KEY_LEN);
	if (EVP_Digest(skey ? skey : "", skeylen, ekey + STORE_KEY_LEN, &n,
	    EVP_sha256(), NULL) != 1)
		fatalx("store: SHA-256 failed");
}

static void
store_lkey(uint8_t lkey[STORE_LKEY_LEN], int64_t t, const uint8_t *ekey)
{
	uint64_t u = t < 0 ? 0 : (uint64_t)t;
	int i;

	for (i = 7; i >= 0; i--) {
		lkey[i] = u & 0xff;
		u >>= 8;
	}
	memcpy(lkey + 8, ekey, STORE_EKEY_LEN);
}

/* PATH/bodies/xx/<24 hex> */
static void
store_body_path(const struct store *s, const uint8_t *id, char *buf,
    size_t size)
{
	char hex[STORE_ID_LEN * 2 + 1];
	int i;

	for (i = 0; i < STORE_ID_LEN; i++)
		snprintf(hex + 2 * i, 3, "%02x", id[i]);
	snprintf(buf, size, "%s/bodies/%.2s/%s", s->dir, hex, hex);
}

static int
store_rec_get(const MDB_val *v, struct store_rec *r)
{
	if (v->mv_size < sizeof(*r))
		return -1;
	memcpy(r, v->mv_data, sizeof(*r));
	if (r->magic != STORE_REC_MAGIC ||
	    sizeof(*r) + (uint64_t)r->headlen +
	    (r->inl ? r->body_len : 0) != v->mv_size)
		return -1;
	return 0;
}

/* Bytes an entry costs: its record plus its body file. */
static uint64_t
store_rec_cost(const struct store_rec *r, size_t vsize)
{
	return vsize + (r->inl ? 0 : r->body_len);
}

static uint64_t
store_meta_u64(struct store *s, MDB_txn *txn, const char *name)
{
	MDB_val k = { strlen(name), (void *)name }, v;
	uint64_t u = 0;

	if (mdb_get(txn, s->meta, &k, &v) == 0 && v.mv_size == sizeof(u))
		memcpy(&u, v.mv_data, sizeof(u));
	return u;
}

static int
store_meta_put(struct store *s, MDB_txn *txn, const char *name, uint64_t u)
{
	MDB_val k = { strlen(name), (void *)name }, v = { sizeof(u), &u };

	return mdb_put(txn, s->meta, &k, &v, 0);
}

/* Add @dbytes (may be negative through wrap) and @dcount to the totals. */
static int
store_meta_add(struct store *s, MDB_txn *txn, int64_t dbytes, int64_t dcount)
{
	uint64_t b, c;
	int rc;

	b = store_meta_u64(s, txn, "bytes");
	c = store_meta_u64(s, txn, "count");
	b = dbytes < 0 && (uint64_t)-dbytes > b ? 0 : b + (uint64_t)dbytes;
	c = dcount < 0 && (uint64_t)-dcount > c ? 0 : c + (uint64_t)dcount;
	if ((rc = store_meta_put(s, txn, "bytes", b)) != 0)
		return rc;
	return store_meta_put(s, txn, "count", c);
}

/* One log line when storing turns off. */
static void
store_full(struct store *s, const char *what, int err)
{
	struct store_stats st;

	s->off_until = store_mono() + STORE_RETRY_SECS;
	s->off_bytes = store_stats(s, &st) == 0 ? st.bytes : 0;
	if (__atomic_load_n(&s->off, __ATOMIC_RELAXED))
		return;
	__atomic_store_n(&s->off, 1, __ATOMIC_RELAXED);
	log_warnx("cache %s: %s: storing off, proxying goes on; retrying "
	    "in %d s", s->dir, what, STORE_RETRY_SECS);
	(void)err;
}

static int
store_mdb_full(int rc)
{
	return rc == MDB_MAP_FULL || rc == ENOSPC || rc == EDQUOT;
}

static int
store_errno(int rc)
{
	if (store_mdb_full(rc))
		return ENOSPC;
	return rc > 0 ? rc : EIO;
}

/* --------------------------------------------------------------- dirs */

static int
store_mkdir(const char *path, const struct passwd *pw)
{
	if (mkdir(path, 0750) == -1 && errno != EEXIST) {
		log_warn("cache_dir: mkdir %s", path);
		return -1;
	}
	if (pw != NULL && chown(path, pw->pw_uid, pw->pw_gid) == -1) {
		log_warn("cache_dir: chown %s", path);
		return -1;
	}
	return 0;
}

int
store_dir_prepare(const char *dir, const char *user)
{
	struct passwd *pw = NULL;
	char path[PATH_MAX];
	int i;

	if (geteuid() == 0) {
		pw = getpwnam(user ? user : "nobody");
		if (pw == NULL) {
			log_warnx("cache_dir %s: no user %s", dir,
			    user ? user : "nobody");
			return -1;
		}
	}
	if (strlen(dir) > PATH_MAX - 64) {
		log_warnx("cache_dir %s: path too long", dir);
		return -1;
	}
	if (store_mkdir(dir, pw) == -1)
		return -1;
	snprintf(path, sizeof(path), "%s/tmp", dir);
	if (store_mkdir(path, pw) == -1)
		return -1;
	snprintf(path, sizeof(path), "%s/bodies", dir);
	if (store_mkdir(path, pw) == -1)
		return -1;
	for (i = 0; i < 256; i++) {
		snprintf(path, sizeof(path), "%s/bodies/%02x", dir, i);
		if (store_mkdir(path, pw) == -1)
			return -1;
	}
	/* The LMDB files, when they exist, belong to the children too. */
	if (pw != NULL) {
		snprintf(path, sizeof(path), "%s/data.mdb", dir);
		if (chown(path, pw->pw_uid, pw->pw_gid) == -1 &&
		    errno != ENOENT)
			log_warn("cache_dir: chown %s", path);
		snprintf(path, sizeof(path), "%s/lock.mdb", dir);
		if (chown(path, pw->pw_uid, pw->pw_gid) == -1 &&
		    errno != ENOENT)
			log_warn("cache_dir: chown %s", path);
	}
	return 0;
}

/* Remove every file of one directory level (bodies/xx, tmp). */
static long
store_rm_files(const char *dir)
{
	char path[PATH_MAX + 300];
	struct dirent *de;
	long n = 0;
	DIR *d;

	if ((d = opendir(dir)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (unlink(path) == 0)
			n++;
	}
	closedir(d);
	return n;
}

static void
store_rm_bodies(const char *top)
{
	char path[PATH_MAX];
	int i;

	for (i = 0; i < 256; i++) {
		snprintf(path, sizeof(path), "%s/bodies/%02x", top, i);
		store_rm_files(path);
	}
}

/* --------------------------------------------------------------- open */

static int
store_env_open(struct store *s)
{
	size_t map;
	int rc;

	if ((rc = mdb_env_create(&s->env)) != 0)
		return rc;
	/*
	 * Records and inline bodies are a part of max_bytes, and storing
	 * stops at STORE_OVER of it, so they fill at most 1.5 x max_bytes;
	 * a record that just spills into an overflow page costs up to twice
	 * its size, plus free lists: 4 x max_bytes + 64 MB.  The map is
	 * virtual; the file only grows as pages are used.
	 */
	map = (size_t)s->max_bytes * 4 + (size_t)64 * 1024 * 1024;
	if ((rc = mdb_env_set_mapsize(s->env, map)) != 0 ||
	    (rc = mdb_env_set_maxdbs(s->env, 8)) != 0 ||
	    (rc = mdb_env_set_maxreaders(s->env, 256)) != 0 ||
	    (rc = mdb_env_open(s->env, s->dir,
	    MDB_NOTLS | MDB_NOSYNC | MDB_NORDAHEAD, 0640)) != 0) {
		mdb_env_close(s->env);
		s->env = NULL;
	}
	return rc;
}

/* Reset the databases to an empty current schema (inside @txn). */
static int
store_schema_reset(struct store *s, MDB_txn *txn, MDB_dbi main)
{
	MDB_dbi *dbi[] = { &s->meta, &s->entries, &s->vary, &s->lru };
	uint64_t v = STORE_SCHEMA;
	MDB_val k;
	int i, rc;

	for (i = 0; i < 4; i++) {
		rc = mdb_dbi_open(txn, store_dbname[i], MDB_CREATE, dbi[i]);
		if (rc == MDB_INCOMPATIBLE) {
			/* A foreign key of that name in the main DB. */
			k.mv_size = strlen(store_dbname[i]);
			k.mv_data = (void *)store_dbname[i];
			if ((rc = mdb_del(txn, main, &k, NULL)) != 0)
				return rc;
			rc = mdb_dbi_open(txn, store_dbname[i], MDB_CREATE,
			    dbi[i]);
		}
		if (rc != 0)
			return rc;
		if ((rc = mdb_drop(txn, *dbi[i], 0)) != 0)
			return rc;
	}
	if ((rc = store_meta_put(s, txn, "version", v)) != 0 ||
	    (rc = store_meta_put(s, txn, "bytes", 0)) != 0)
		return rc;
	return store_meta_put(s, txn, "count", 0);
}

static int
store_schema(struct store *s)
{
	MDB_dbi *dbi[] = { &s->meta, &s->entries, &s->vary, &s->lru };
	MDB_txn *txn;
	MDB_dbi main;
	MDB_stat st;
	MDB_val k = { 7, "version" }, v;
	uint64_t ver = 0;
	int i, rc, reset = 0, fresh = 0;
	const char *why = NULL;

	if ((rc = mdb_txn_begin(s->env, NULL, 0, &txn)) != 0)
		return rc;
	if ((rc = mdb_dbi_open(txn, NULL, 0, &main)) != 0)
		goto fail;
	for (i = 0; i < 4 && !reset; i++) {
		rc = mdb_dbi_open(txn, store_dbname[i], MDB_CREATE, dbi[i]);
		if (rc == MDB_INCOMPATIBLE) {
			reset = 1;
			why = "a foreign layout";
		} else if (rc != 0)
			goto fail;
	}
	if (!reset) {
		rc = mdb_get(txn, s->meta, &k, &v);
		if (rc == MDB_NOTFOUND) {
			if ((rc = mdb_stat(txn, s->entries, &st)) != 0)
				goto fail;
			if (mdb_stat(txn, main, &st) == 0 && st.ms_entries > 4) {
				reset = 1;
				why = "a foreign layout";
			} else if ((rc = mdb_stat(txn, s->entries, &st)) == 0 &&
			    st.ms_entries > 0) {
				reset = 1;
				why = "entries without a schema version";
			} else
				fresh = 1;
		} else if (rc != 0)
			goto fail;
		else {
			if (v.mv_size == sizeof(ver))
				memcpy(&ver, v.mv_data, sizeof(ver));
			if (v.mv_size != sizeof(ver) || ver != STORE_SCHEMA) {
				reset = 1;
				why = "another schema version";
			}
		}
	}
	if (reset || fresh) {
		if ((rc = store_schema_reset(s, txn, main)) != 0)
			goto fail;
	}
	if ((rc = mdb_txn_commit(txn)) != 0)
		return rc;
	if (reset) {
		log_warnx("cache %s: %s (schema %llu, expected %d): the "
		    "cache was reset", s->dir, why, (unsigned long long)ver,
		    STORE_SCHEMA);
		store_rm_bodies(s->dir);
	}
	return 0;
fail:
	mdb_txn_abort(txn);
	return rc;
}

int
store_open(const char *dir, uint64_t max_bytes, struct store **out)
{
	char path[PATH_MAX];
	struct store *s;
	int rc;

	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->dir = strdup(dir)) == NULL) {
		log_warn("cache %s", dir);
		free(s);
		return -1;
	}
	s->max_bytes = max_bytes;
	if (getrandom(&s->id_prefix, sizeof(s->id_prefix), 0) !=
	    (ssize_t)sizeof(s->id_prefix)) {
		/* Unique enough with the pid and the time. */
		s->id_prefix = ((uint64_t)getpid() << 32) ^
		    (uint64_t)time(NULL) ^ (uint64_t)(uintptr_t)s;
	}
	rc = store_env_open(s);
	if (rc == MDB_INVALID || rc == MDB_VERSION_MISMATCH) {
		log_warnx("cache %s: %s: the cache was reset", dir,
		    mdb_strerror(rc));
		snprintf(path, sizeof(path), "%s/data.mdb", dir);
		(void)unlink(path);
		snprintf(path, sizeof(path), "%s/lock.mdb", dir);
		(void)unlink(path);
		store_rm_bodies(dir);
		rc = store_env_open(s);
	}
	if (rc != 0) {
		log_warnx("cache %s: cannot open: %s", dir, mdb_strerror(rc));
		goto fail;
	}
	if ((rc = store_schema(s)) != 0) {
		log_warnx("cache %s: schema: %s", dir, mdb_strerror(rc));
		goto fail;
	}
	*out = s;
	return 0;
fail:
	if (s->env != NULL)
		mdb_env_close(s->env);
	free(s->dir);
	free(s);
	return -1;
}

void
store_close(struct store *s)
{
	if (s == NULL)
		return;
	if (s->rtxn != NULL)
		mdb_txn_abort(s->rtxn);
	mdb_env_close(s->env);
	free(s->dir);
	free(s);
}

int
store_storing(const struct store *s)
{
	/* The writer thread turns it off and on; the loop reads it. */
	return !__atomic_load_n(&s->off, __ATOMIC_RELAXED);
}

int
store_stats(struct store *s, struct store_stats *st)
{
	MDB_txn *txn;

	if (mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn) != 0)
		return -1;
	st->bytes = store_meta_u64(s, txn, "bytes");
	st->count = store_meta_u64(s, txn, "count");
	st->max_bytes = s->max_bytes;
	mdb_txn_abort(txn);
	return 0;
}

/* ------------------------------------------------------------- writer */

/* Storing is off: did eviction free a tenth of what we had then? */
static int
store_room_again(struct store *s)
{
	struct store_stats st;

	return store_stats(s, &st) == 0 &&
	    st.bytes <= s->off_bytes - s->off_bytes / 10;
}

int
store_begin(struct store *s, const uint8_t key[STORE_KEY_LEN],
    const void *skey, size_t skeylen, const void *head, size_t headlen,
    const struct store_meta *m, struct store_writer **out)
{
	struct store_writer *w;
	struct store_stats st;

	if (__atomic_load_n(&s->off, __ATOMIC_RELAXED) &&
	    store_mono() < s->off_until &&
	    !store_room_again(s)) {
		errno = ENOSPC;
		return -1;
	}
	if (store_stats(s, &st) == 0 &&
	    st.bytes > s->max_bytes + s->max_bytes / 2) {
		store_full(s, "over 150% of its size (eviction behind)", 0);
		errno = ENOSPC;
		return -1;
	}
	if (headlen > STORE_HEAD_MAX) {
		errno = EFBIG;
		return -1;
	}
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return -1;
	if ((w->head = malloc(headlen ? headlen : 1)) == NULL) {
		free(w);
		return -1;
	}
	memcpy(w->head, head, headlen);
	w->headlen = headlen;
	w->s = s;
	w->meta = *m;
	w->fd = -1;
	store_ekey(w->ekey, key, skey, skeylen);
	*out = w;
	return 0;
}

static int
store_write_all(int fd, const void *p, size_t len)
{
	const uint8_t *b = p;
	ssize_t n;

	while (len > 0) {
		n = write(fd, b, len);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		b += n;
		len -= (size_t)n;
	}
	return 0;
}

static void
store_writer_free(struct store_writer *w)
{
	if (w->fd != -1) {
		close(w->fd);
		(void)unlink(w->tmp);
	}
	free(w->head);
	free(w);
}

int
store_append(struct store_writer *w, const void *p, size_t len)
{
	struct store *s = w->s;

	if (w->fd == -1 && w->ninl + len <= STORE_INLINE_MAX) {
		memcpy(w->inl + w->ninl, p, len);
		w->ninl += len;
		w->len += len;
		return 0;
	}
	if (w->fd == -1) {
		snprintf(w->tmp, sizeof(w->tmp), "%s/tmp/%ld.%u", s->dir,
		    (long)getpid(), s->tmp_next++);
		w->fd = open(w->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
		    0640);
		if (w->fd == -1)
			goto fail;
		if (store_write_all(w->fd, w->inl, w->ninl) == -1)
			goto fail;
		w->ninl = 0;
	}
	if (store_write_all(w->fd, p, len) == -1)
		goto fail;
	w->len += len;
	return 0;
fail:
	if (errno == ENOSPC || errno == EDQUOT)
		store_full(s, "disk full", errno);
	return -1;
}

int
store_writer_reader(const struct store_writer *w)
{
	if (w->fd == -1) {
		errno = ENOENT;
		return -1;
	}
	return open(w->tmp, O_RDONLY | O_CLOEXEC);
}

void
store_abort(struct store_writer *w)
{
	if (w != NULL)
		store_writer_free(w);
}

/* Delete the entry at @ekey if present (inside @txn); its body id out. */
static int
store_entry_del(struct store *s, MDB_txn *txn, const uint8_t *ekey,
    uint8_t *id, int *hasfile, int64_t *freed)
{
	MDB_val k = { STORE_EKEY_LEN, (void *)ekey }, v, lk;
	uint8_t lkey[STORE_LKEY_LEN];
	struct store_rec r;
	int rc;

	*hasfile = 0;
	*freed = 0;
	if ((rc = mdb_get(txn, s->entries, &k, &v)) != 0)
		return rc;
	if (store_rec_get(&v, &r) == 0) {
		*freed = (int64_t)store_rec_cost(&r, v.mv_size);
		if (!r.inl) {
			memcpy(id, r.body_id, STORE_ID_LEN);
			*hasfile = 1;
		}
		store_lkey(lkey, r.last_access, ekey);
		lk.mv_size = sizeof(lkey);
		lk.mv_data = lkey;
		rc = mdb_del(txn, s->lru, &lk, NULL);
		if (rc != 0 && rc != MDB_NOTFOUND)
			return rc;
	} else
		*freed = (int64_t)v.mv_size;
	return mdb_del(txn, s->entries, &k, NULL);
}

static void
store_unlink_body(struct store *s, const uint8_t *id)
{
	char path[PATH_MAX];

	store_body_path(s, id, path, sizeof(path));
	if (unlink(path) == -1 && errno != ENOENT)
		log_warn("cache: unlink %s", path);
}

int
store_commit(struct store_writer *w, int64_t now)
{
	struct store *s = w->s;
	struct store_rec r;
	uint8_t lkey[STORE_LKEY_LEN], oid[STORE_ID_LEN];
	char path[PATH_MAX];
	MDB_val k, v, lk, lv = { 0, NULL };
	MDB_txn *txn = NULL;
	int64_t freed;
	size_t vsize;
	uint8_t *val;
	int rc, ofile = 0, err;
	uint64_t ctr;

	memset(&r, 0, sizeof(r));
	r.magic = STORE_REC_MAGIC;
	r.status = (uint16_t)w->meta.status;
	r.flags = w->meta.flags & STORE_F_CALLER_MASK;
	r.headlen = (uint32_t)w->headlen;
	r.request_time = w->meta.request_time;
	r.response_time = w->meta.response_time;
	r.date = w->meta.date;
	r.last_access = now;
	r.body_len = w->len;
	path[0] = '\0';
	if (w->fd == -1)
		r.inl = 1;
	else {
		if (close(w->fd) == -1) {
			w->fd = -1;
			err = errno;
			(void)unlink(w->tmp);
			if (err == ENOSPC || err == EDQUOT)
				store_full(s, "disk full", err);
			store_writer_free(w);
			errno = err;
			return -1;
		}
		w->fd = -1;
		/* A fresh name: link() refuses to reuse one. */
		do {
			ctr = s->id_next++;
			memcpy(r.body_id, &s->id_prefix, 8);
			memcpy(r.body_id + 8, &ctr, 4);
			store_body_path(s, r.body_id, path, sizeof(path));
			rc = link(w->tmp, path);
		} while (rc == -1 && errno == EEXIST);
		err = errno;
		(void)unlink(w->tmp);
		if (rc == -1) {
			if (err == ENOSPC || err == EDQUOT)
				store_full(s, "disk full", err);
			store_writer_free(w);
			errno = err;
			return -1;
		}
	}
	vsize = sizeof(r) + w->headlen + (r.inl ? w->ninl : 0);
	if ((val = malloc(vsize)) == NULL) {
		err = errno;
		goto fail_unlink;
	}
	memcpy(val, &r, sizeof(r));
	memcpy(val + sizeof(r), w->head, w->headlen);
	if (r.inl)
		memcpy(val + sizeof(r) + w->headlen, w->inl, w->ninl);

	k.mv_size = STORE_EKEY_LEN;
	k.mv_data = w->ekey;
	v.mv_size = vsize;
	v.mv_data = val;
	store_lkey(lkey, now, w->ekey);
	lk.mv_size = sizeof(lkey);
	lk.mv_data = lkey;
	if ((rc = mdb_txn_begin(s->env, NULL, 0, &txn)) != 0)
		goto fail_txn;
	rc = store_entry_del(s, txn, w->ekey, oid, &ofile, &freed);
	if (rc != 0 && rc != MDB_NOTFOUND)
		goto fail_txn;
	if ((rc = mdb_put(txn, s->entries, &k, &v, 0)) != 0 ||
	    (rc = mdb_put(txn, s->lru, &lk, &lv, 0)) != 0 ||
	    (rc = store_meta_add(s, txn,
	    (int64_t)store_rec_cost(&r, vsize) - freed,
	    freed > 0 ? 0 : 1)) != 0)
		goto fail_txn;
	if ((rc = mdb_txn_commit(txn)) != 0) {
		txn = NULL;
		goto fail_txn;
	}
	free(val);
	if (ofile)
		store_unlink_body(s, oid);
	if (__atomic_load_n(&s->off, __ATOMIC_RELAXED)) {
		__atomic_store_n(&s->off, 0, __ATOMIC_RELAXED);
		log_notice("cache %s: storing resumed", s->dir);
	}
	store_writer_free(w);
	return 0;

fail_txn:
	if (txn != NULL)
		mdb_txn_abort(txn);
	if (store_mdb_full(rc))
		store_full(s, rc == MDB_MAP_FULL ? "index full (map size)" :
		    "disk full", rc);
	err = store_errno(rc);
	free(val);
fail_unlink:
	if (path[0] != '\0')
		(void)unlink(path);
	store_writer_free(w);
	errno = err;
	return -1;
}

/* ------------------------------------------------------------- lookup */

void
store_drop(struct store *s, const struct store_obj *o)
{
	const uint8_t *ekey = o->ekey, *id = o->drop_id;
	MDB_val k = { STORE_EKEY_LEN, (void *)ekey }, v;
	struct store_rec r;
	uint8_t oid[STORE_ID_LEN];
	int64_t freed;
	MDB_txn *txn;
	int f;

	if (!o->drop)
		return;
	if (mdb_txn_begin(s->env, NULL, 0, &txn) != 0)
		return;
	/* A malformed record goes whatever it names. */
	if (mdb_get(txn, s->entries, &k, &v) == 0 &&
	    (o->drop == STORE_DROP_MALFORMED ||
	    (store_rec_get(&v, &r) == 0 && !r.inl &&
	    memcmp(r.body_id, id, STORE_ID_LEN) == 0)) &&
	    store_entry_del(s, txn, ekey, oid, &f, &freed) == 0 &&
	    store_meta_add(s, txn, -freed, -1) == 0) {
		if (mdb_txn_commit(txn) == 0)
			store_unlink_body(s, id);
		return;
	}
	mdb_txn_abort(txn);
}

/*
 * The lookup's read transaction: the one kept from the last lookup,
 * renewed (a fresh snapshot, no allocation, the same reader slot), or a
 * new one.  Given back with mdb_txn_reset().
 * @return 0 or an LMDB error.
 */
static int
store_rtxn(struct store *s, MDB_txn **txn)
{
	int rc;

	if (s->rtxn != NULL) {
		if (mdb_txn_renew(s->rtxn) == 0) {
			*txn = s->rtxn;
			return 0;
		}
		mdb_txn_abort(s->rtxn);
		s->rtxn = NULL;
	}
	if ((rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &s->rtxn)) != 0) {
		s->rtxn = NULL;
		return rc;
	}
	*txn = s->rtxn;
	return 0;
}

int
store_lookup(struct store *s, const uint8_t key[STORE_KEY_LEN],
    const void *skey, size_t skeylen, int64_t now, struct store_obj *o)
{
	uint8_t *ekey = o->ekey, id[STORE_ID_LEN];
	char path[PATH_MAX];
	struct store_rec r;
	struct stat st;
	MDB_val k, v;
	MDB_txn *txn;
	int rc, bad = 0;

	memset(o, 0, sizeof(*o));
	o->body_fd = -1;
	store_ekey(ekey, key, skey, skeylen);
	k.mv_size = STORE_EKEY_LEN;
	k.mv_data = ekey;
	if ((rc = store_rtxn(s, &txn)) != 0) {
		errno = store_errno(rc);
		return -1;
	}
	rc = mdb_get(txn, s->entries, &k, &v);
	if (rc != 0) {
		mdb_txn_reset(txn);
		if (rc == MDB_NOTFOUND)
			return 0;
		errno = store_errno(rc);
		return -1;
	}
	if (store_rec_get(&v, &r) == -1) {
		mdb_txn_reset(txn);
		o->drop = STORE_DROP_MALFORMED;
		return 0;
	}
	if ((o->head = malloc(r.headlen ? r.headlen : 1)) == NULL)
		goto nomem;
	memcpy(o->head, (uint8_t *)v.mv_data + sizeof(r), r.headlen);
	o->headlen = r.headlen;
	if (r.inl) {
		if ((o->body = malloc(r.body_len ? r.body_len : 1)) == NULL)
			goto nomem;
		memcpy(o->body, (uint8_t *)v.mv_data + sizeof(r) + r.headlen,
		    r.body_len);
	} else {
		/* Opened inside the txn: the name is never reused. */
		memcpy(id, r.body_id, sizeof(id));
		store_body_path(s, id, path, sizeof(path));
		o->body_fd = open(path, O_RDONLY | O_CLOEXEC);
		if (o->body_fd == -1 || fstat(o->body_fd, &st) == -1 ||
		    (uint64_t)st.st_size != r.body_len)
			bad = 1;
	}
	mdb_txn_reset(txn);
	if (bad) {
		store_obj_release(o);
		o->drop = STORE_DROP_BODY;
		memcpy(o->drop_id, id, STORE_ID_LEN);
		return 0;
	}
	o->meta.status = r.status;
	o->meta.flags = r.flags;
	o->meta.request_time = r.request_time;
	o->meta.response_time = r.response_time;
	o->meta.date = r.date;
	o->last_access = r.last_access;
	o->body_len = r.body_len;
	o->touch = now - r.last_access >= STORE_TOUCH_SECS;
	return 1;
nomem:
	mdb_txn_reset(txn);
	store_obj_release(o);
	errno = ENOMEM;
	return -1;
}

void
store_obj_release(struct store_obj *o)
{
	free(o->head);
	free(o->body);
	if (o->body_fd != -1)
		close(o->body_fd);
	o->head = NULL;
	o->body = NULL;
	o->body_fd = -1;
}

int
store_touch_apply(struct store *s, const struct store_touch *t, unsigned n)
{
	uint8_t lkey[STORE_LKEY_LEN], *val = NULL;
	MDB_val k, v, lk, lv = { 0, NULL };
	struct store_rec r;
	MDB_txn *txn;
	unsigned i;
	int rc;

	if (n == 0)
		return 0;
	if ((rc = mdb_txn_begin(s->env, NULL, 0, &txn)) != 0)
		goto out;
	for (i = 0; i < n; i++) {
		k.mv_size = STORE_EKEY_LEN;
		k.mv_data = (void *)t[i].ekey;
		if (mdb_get(txn, s->entries, &k, &v) != 0 ||
		    store_rec_get(&v, &r) == -1 ||
		    r.last_access >= t[i].when)
			continue;
		store_lkey(lkey, r.last_access, t[i].ekey);
		lk.mv_size = sizeof(lkey);
		lk.mv_data = lkey;
		rc = mdb_del(txn, s->lru, &lk, NULL);
		if (rc != 0 && rc != MDB_NOTFOUND)
			goto fail;
		r.last_access = t[i].when;
		/* Rewrite the header in place in a private copy. */
		if ((val = malloc(v.mv_size)) == NULL) {
			rc = ENOMEM;
			goto fail;
		}
		memcpy(val, v.mv_data, v.mv_size);
		memcpy(val, &r, sizeof(r));
		v.mv_data = val;
		if ((rc = mdb_put(txn, s->entries, &k, &v, 0)) != 0)
			goto fail;
		free(val);
		val = NULL;
		store_lkey(lkey, r.last_access, t[i].ekey);
		if ((rc = mdb_put(txn, s->lru, &lk, &lv, 0)) != 0)
			goto fail;
	}
	if ((rc = mdb_txn_commit(txn)) != 0)
		goto out;
	return 0;
fail:
	free(val);
	mdb_txn_abort(txn);
out:
	/* Access times are approximate: the caller drops them. */
	errno = store_errno(rc);
	return -1;
}

/* ------------------------------------------------------ update/delete */

int
store_update_head(struct store *s, const uint8_t key[STORE_KEY_LEN],
    const void *skey, size_t skeylen, const void *head, size_t headlen,
    const struct store_meta *m)
{
	uint8_t ekey[STORE_EKEY_LEN], *val;
	struct store_rec r;
	MDB_val k, v;
	MDB_txn *txn;
	size_t inl, vsize;
	int rc;

	if (headlen > STORE_HEAD_MAX) {
		errno = EFBIG;
		return -1;
	}
	store_ekey(ekey, key, skey, skeylen);
	k.mv_size = sizeof(ekey);
	k.mv_data = ekey;
	if ((rc = mdb_txn_begin(s->env, NULL, 0, &txn)) != 0)
		goto fail0;
	if ((rc = mdb_get(txn, s->entries, &k, &v)) != 0 ||
	    store_rec_get(&v, &r) == -1) {
		mdb_txn_abort(txn);
		if (rc == 0 || rc == MDB_NOTFOUND)
			return 0;
		goto fail0;
	}
	inl = r.inl ? r.body_len : 0;
	vsize = sizeof(r) + headlen + inl;
	if ((val = malloc(vsize)) == NULL) {
		mdb_txn_abort(txn);
		return -1;
	}
	memcpy(val + sizeof(r) + headlen,
	    (uint8_t *)v.mv_data + sizeof(r) + r.headlen, inl);
	memcpy(val + sizeof(r), head, headlen);
	r.status = (uint16_t)m->status;
	r.flags = m->flags & STORE_F_CALLER_MASK;
	r.request_time = m->request_time;
	r.response_time = m->response_time;
	r.date = m->date;
	r.headlen = (uint32_t)headlen;
	memcpy(val, &r, sizeof(r));
	rc = store_meta_add(s, txn, (int64_t)vsize - (int64_t)v.mv_size, 0);
	v.mv_size = vsize;
	v.mv_data = val;
	if (rc == 0)
		rc = mdb_put(txn, s->entries, &k, &v, 0);
	free(val);
	if (rc != 0) {
		mdb_txn_abort(txn);
		goto fail0;
	}
	if ((rc = mdb_txn_commit(txn)) != 0)
		goto fail0;
	return 1;
fail0:
	if (store_mdb_full(rc))
		store_full(s, "index full (map size)", rc);
	errno = store_errno(rc);
	return -1;
}

int
store_delete(struct store *s, const uint8_t key[STORE_KEY_LEN])
{
	uint8_t ekey[STORE_EKEY_LEN], (*ids)[STORE_ID_LEN] = NULL, id[STORE_ID_LEN];
	MDB_val k, v;
	MDB_cursor *cur;
	MDB_txn *txn;
	int64_t freed, tfreed = 0;
	size_t nids = 0, cap = 0, i;
	int rc, f, n = 0;
	void *p;

	memset(ekey, 0, sizeof(ekey));
	memcpy(ekey, key, STORE_KEY_LEN);
	if ((rc = mdb_txn_begin(s->env, NULL, 0, &txn)) != 0)
		goto fail0;
	if ((rc = mdb_cursor_open(txn, s->entries, &cur)) != 0)
		goto fail;
	k.mv_size = sizeof(ekey);
	k.mv_data = ekey;
	rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
	while (rc == 0 && k.mv_size == STORE_EKEY_LEN &&
	    memcmp(k.mv_data, key, STORE_KEY_LEN) == 0) {
		memcpy(ekey, k.mv_data, sizeof(ekey));
		mdb_cursor_close(cur);
		if ((rc = store_entry_del(s, txn, ekey, id, &f, &freed)) != 0)
			goto fail;
		tfreed += freed;
		n++;
		if (f) {
			if (nids == cap) {
				cap = cap ? cap * 2 : 8;
				if ((p = realloc(ids, cap * STORE_ID_LEN)) ==
				    NULL) {
					rc = ENOMEM;
					goto fail;
				}
				ids = p;
			}
			memcpy(ids[nids++], id, STORE_ID_LEN);
		}
		if ((rc = mdb_cursor_open(txn, s->entries, &cur)) != 0)
			goto fail;
		k.mv_size = sizeof(ekey);
		k.mv_data = ekey;
		rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
	}
	mdb_cursor_close(cur);
	if (rc != 0 && rc != MDB_NOTFOUND)
		goto fail;
	k.mv_size = STORE_KEY_LEN;
	k.mv_data = (void *)key;
	rc = mdb_del(txn, s->vary, &k, NULL);
	if (rc != 0 && rc != MDB_NOTFOUND)
		goto fail;
	if (n > 0 && (rc = store_meta_add(s, txn, -tfreed, -n)) != 0)
		goto fail;
	if ((rc = mdb_txn_commit(txn)) != 0)
		goto fail0;
	for (i = 0; i < nids; i++)
		store_unlink_body(s, ids[i]);
	free(ids);
	return n;
fail:
	mdb_txn_abort(txn);
fail0:
	free(ids);
	errno = store_errno(rc);
	return -1;
}

int
store_count(struct store *s, const uint8_t key[STORE_KEY_LEN])
{
	uint8_t ekey[STORE_EKEY_LEN];
	MDB_val k, v;
	MDB_cursor *cur;
	MDB_txn *txn;
	int rc, n = 0;

	memset(ekey, 0, sizeof(ekey));
	memcpy(ekey, key, STORE_KEY_LEN);
	if ((rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn)) != 0)
		goto fail;
	if ((rc = mdb_cursor_open(txn, s->entries, &cur)) != 0) {
		mdb_txn_abort(txn);
		goto fail;
	}
	k.mv_size = sizeof(ekey);
	k.mv_data = ekey;
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0 &&
	    k.mv_size == STORE_EKEY_LEN &&
	    memcmp(k.mv_data, key, STORE_KEY_LEN) == 0;
	    rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
		n++;
	mdb_cursor_close(cur);
	mdb_txn_abort(txn);
	if (rc != 0 && rc != MDB_NOTFOUND)
		goto fail;
	return n;
fail:
	errno = store_errno(rc);
	return -1;
}

int
store_vary_put(struct store *s, const uint8_t key[STORE_KEY_LEN],
    const void *p, size_t len)
{
	MDB_val k = { STORE_KEY_LEN, (void *)key }, v = { len, (void *)p };
	MDB_txn *txn;
	int rc;

	if (len > STORE_VARY_MAX) {
		errno = EINVAL;
		return -1;
	}
	if ((rc = mdb_txn_begin(s->env, NULL, 0, &txn)) != 0)
		goto fail;
	if ((rc = mdb_put(txn, s->vary, &k, &v, 0)) != 0) {
		mdb_txn_abort(txn);
		goto fail;
	}
	if ((rc = mdb_txn_commit(txn)) != 0)
		goto fail;
	return 0;
fail:
	if (store_mdb_full(rc))
		store_full(s, "index full (map size)", rc);
	errno = store_errno(rc);
	return -1;
}

int
store_vary_get(struct store *s, const uint8_t key[STORE_KEY_LEN],
    void *buf, size_t bufsz, size_t *len)
{
	MDB_val k = { STORE_KEY_LEN, (void *)key }, v;
	MDB_txn *txn;
	int rc;

	if ((rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn)) != 0) {
		errno = store_errno(rc);
		return -1;
	}
	rc = mdb_get(txn, s->vary, &k, &v);
	if (rc == 0) {
		if (v.mv_size > bufsz) {
			mdb_txn_abort(txn);
			errno = ERANGE;
			return -1;
		}
		memcpy(buf, v.mv_data, v.mv_size);
		*len = v.mv_size;
	}
	mdb_txn_abort(txn);
	if (rc == MDB_NOTFOUND)
		return 0;
	if (rc != 0) {
		errno = store_errno(rc);
		return -1;
	}
	return 1;
}

/* -------------------------------------------------------- the manager */

static int
store_id_cmp(const void *a, const void *b)
{
	return memcmp(a, b, STORE_ID_LEN);
}

static int
store_hex_id(const char *name, uint8_t *id)
{
	unsigned v;
	int i;

	if (strlen(name) != STORE_ID_LEN * 2)
		return -1;
	for (i = 0; i < STORE_ID_LEN; i++) {
		if (sscanf(name + 2 * i, "%2x", &v) != 1)
			return -1;
		id[i] = (uint8_t)v;
	}
	return 0;
}

long
store_cleanup(struct store *s, int64_t grace, int64_t now)
{
	uint8_t (*ids)[STORE_ID_LEN] = NULL, id[STORE_ID_LEN];
	char dir[PATH_MAX], path[PATH_MAX + 300];
	size_t nids = 0, cap = 0;
	struct store_rec r;
	struct dirent *de;
	struct stat st;
	MDB_cursor *cur;
	MDB_txn *txn = NULL;
	MDB_val k, v;
	long n = 0, pid;
	char *end;
	void *p;
	int rc, i;
	DIR *d;

	/* The body ids the index names (12 bytes each: 1.2 MB per 100k). */
	if ((rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn)) != 0)
		txn = NULL;
	if (rc != 0 || (rc = mdb_cursor_open(txn, s->entries, &cur)) != 0) {
		if (txn != NULL)
			mdb_txn_abort(txn);
		log_warnx("cache %s: clean-up: %s", s->dir, mdb_strerror(rc));
		return -1;
	}
	while ((rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) == 0) {
		if (store_rec_get(&v, &r) == -1 || r.inl)
			continue;
		if (nids == cap) {
			cap = cap ? cap * 2 : 1024;
			if ((p = realloc(ids, cap * STORE_ID_LEN)) == NULL) {
				mdb_cursor_close(cur);
				mdb_txn_abort(txn);
				free(ids);
				log_warn("cache %s: clean-up", s->dir);
				return -1;
			}
			ids = p;
		}
		memcpy(ids[nids++], r.body_id, STORE_ID_LEN);
	}
	mdb_cursor_close(cur);
	mdb_txn_abort(txn);
	if (nids > 0)
		qsort(ids, nids, STORE_ID_LEN, store_id_cmp);

	for (i = 0; i < 256; i++) {
		snprintf(dir, sizeof(dir), "%s/bodies/%02x", s->dir, i);
		if ((d = opendir(dir)) == NULL)
			continue;
		while ((de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
			if (store_hex_id(de->d_name, id) == 0 && nids > 0 &&
			    bsearch(id, ids, nids, STORE_ID_LEN,
			    store_id_cmp) != NULL)
				continue;
			/* Between link() and the commit a body is unnamed. */
			if (lstat(path, &st) == -1 || now - st.st_mtime < grace)
				continue;
			if (unlink(path) == 0)
				n++;
		}
		closedir(d);
	}
	free(ids);

	snprintf(dir, sizeof(dir), "%s/tmp", s->dir);
	if ((d = opendir(dir)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
			pid = strtol(de->d_name, &end, 10);
			if (lstat(path, &st) == -1)
				continue;
			/* A live writer's file stays unless it is stalled. */
			if (end != de->d_name && *end == '.' && pid > 0 &&
			    (kill((pid_t)pid, 0) == 0 || errno == EPERM) &&
			    now - st.st_mtime < STORE_TMP_MAXAGE)
				continue;
			if (unlink(path) == 0)
				n++;
		}
		closedir(d);
	}
	return n;
}

long
store_evict(struct store *s, uint64_t target, unsigned batch)
{
	uint8_t (*ids)[STORE_ID_LEN], ekey[STORE_EKEY_LEN], id[STORE_ID_LEN];
	MDB_cursor *cur;
	MDB_txn *txn;
	MDB_val k, v;
	int64_t freed, tfreed;
	uint64_t total;
	size_t nids, i;
	long n = 0;
	unsigned j;
	int rc, f, nent;

	if (batch == 0)
		batch = 1;
	if ((ids = calloc(batch, STORE_ID_LEN)) == NULL)
		return -1;
	for (;;) {
		if ((rc = mdb_txn_begin(s->env, NULL, 0, &txn)) != 0)
			goto fail0;
		if ((total = store_meta_u64(s, txn, "bytes")) <= target) {
			mdb_txn_abort(txn);
			break;
		}
		nids = 0;
		tfreed = 0;
		nent = 0;
		for (j = 0; j < batch && total - (uint64_t)tfreed > target;
		    j++) {
			if ((rc = mdb_cursor_open(txn, s->lru, &cur)) != 0)
				goto fail;
			rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
			if (rc == 0 && k.mv_size == STORE_LKEY_LEN)
				memcpy(ekey, (uint8_t *)k.mv_data + 8,
				    sizeof(ekey));
			if (rc == 0) {
				/* Stale or foreign lru key: drop it. */
				rc = mdb_cursor_del(cur, 0);
			}
			mdb_cursor_close(cur);
			if (rc == MDB_NOTFOUND)
				break;
			if (rc != 0)
				goto fail;
			if (k.mv_size != STORE_LKEY_LEN)
				continue;
			rc = store_entry_del(s, txn, ekey, id, &f, &freed);
			if (rc == MDB_NOTFOUND)
				continue;
			if (rc != 0)
				goto fail;
			tfreed += freed;
			nent++;
			if (f)
				memcpy(ids[nids++], id, STORE_ID_LEN);
		}
		if (nent == 0 && j < batch) {
			/* Nothing left to evict: the totals drifted. */
			mdb_txn_abort(txn);
			break;
		}
		if (nent > 0 && (rc = store_meta_add(s, txn, -tfreed,
		    -nent)) != 0)
			goto fail;
		if ((rc = mdb_txn_commit(txn)) != 0)
			goto fail0;
		for (i = 0; i < nids; i++)
			store_unlink_body(s, ids[i]);
		n += nent;
	}
	free(ids);
	return n;
fail:
	mdb_txn_abort(txn);
fail0:
	free(ids);
	log_warnx("cache %s: eviction: %s", s->dir, mdb_strerror(rc));
	return -1;
}

int
store_maintain(struct store *s)
{
	int dead = 0, rc;

	if ((rc = mdb_reader_check(s->env, &dead)) != 0) {
		log_warnx("cache %s: reader check: %s", s->dir,
		    mdb_strerror(rc));
		return -1;
	}
	if ((rc = mdb_env_sync(s->env, 1)) != 0)
		log_warnx("cache %s: sync: %s", s->dir, mdb_strerror(rc));
	return dead;
}
