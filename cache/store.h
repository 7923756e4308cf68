/*
 * store.h -- the crash-safe on-disk object store: one LMDB environment
 * plus body files, under cache_dir.
 *
 * Runs in the workers (lookup, store, update, delete) and in the cache
 * manager (clean-up, eviction, reader check).  Never in the master: the
 * master only creates the directory (store_dir_prepare) before fork.
 *
 * Layout of cache_dir PATH:
 *	PATH/data.mdb, lock.mdb	the LMDB environment, named databases:
 *	  meta	  "version" -> u32 schema version (STORE_SCHEMA);
 *		  "bytes" -> u64 total bytes stored (records + body files);
 *		  "count" -> u64 number of entries.
 *	  entries key: primary (32-byte SHA-256 of the URL, the caller's)
 *		  + SHA-256 of the secondary key (normalised Vary values,
 *		  opaque bytes), 64 bytes -> record: fixed header (status,
 *		  flags, request/response time, Date, last access, body
 *		  length, body id), the response head bytes, then the body
 *		  when it is inline (<= STORE_INLINE_MAX bytes).
 *	  vary	  key: primary (32) -> opaque bytes (header names the URL
 *		  varies on, as the caller encodes them).
 *	  lru	  key: big-endian u64 last access (seconds) + entry key (64)
 *		  -> empty; the first keys are the least recently used.
 *	PATH/tmp/<pid>.<n>	a body being written (never referenced).
 *	PATH/bodies/xx/<id>	a committed body; <id> is 24 hex digits, a
 *				per-process random 64-bit prefix plus a
 *				counter; xx its first two digits.  A name is
 *				never reused (link() refuses an existing one),
 *				so an fd opened from a record is that record's
 *				body, even if eviction unlinks it afterwards.
 *
 * Commit order of a body: write the temp file, link() it to its final
 * name, unlink the temp, THEN one short LMDB write txn that puts the
 * record.  A record therefore never names a file that is not complete; a
 * body whose writer died is a temp file or an orphan, both removed by
 * the cache manager (store_cleanup).  LMDB commits are atomic, so SIGKILL
 * of any process at any moment leaves the index consistent.  The
 * environment is opened MDB_NOSYNC (no fsync per commit); the manager
 * flushes it every tick.  Body files are not fsynced.  Power loss and
 * kernel crashes are OUT OF SCOPE: they may lose recent entries, and a
 * record may then point at a body whose blocks never reached the disk.
 *
 * Schema: a missing meta is a fresh store; another version or a layout
 * that is not ours (a named database with foreign flags, a file that is
 * not LMDB) is reset: entries, vary, lru and bodies are removed, with one
 * log line.  Nothing is ever misread.
 *
 * Full disk / full map: a write that fails with ENOSPC, EDQUOT or
 * MDB_MAP_FULL, or a total above 150% of max_bytes (the cache manager
 * is behind; this also keeps the map, 4 x max_bytes + 64 MB, from ever
 * filling, so that eviction always has pages to work with), turns
 * storing off in this process with ONE log line
 * (store_begin then returns -1, errno ENOSPC); proxying goes on.  The
 * next store_begin tries again once STORE_RETRY_SECS have passed or the
 * total bytes fell by a tenth since (the cache manager evicted); the
 * first commit that succeeds then logs "storing resumed" once.
 *
 * Access times: store_lookup() says when a hit's recorded access time is
 * older than STORE_TOUCH_SECS (o->touch); the caller batches those entry
 * keys and writes them in one txn with store_touch_apply().  LRU is thus
 * approximate to STORE_TOUCH_SECS; a hit costs no write txn.
 *
 * Reads and writes: store_lookup(), store_vary_get(), store_stats() and
 * store_storing() are reads (a read txn at most, MDB_NOTLS) and may run
 * in one thread while another thread makes every write call (begin,
 * append, commit, abort, update, delete, vary_put, touch_apply, drop):
 * the workers' writer thread (cache/writer.c).  No call logs a
 * per-request error: each returns -1 with errno, and the caller decides;
 * only state changes of the whole store (storing off/resumed, a reset
 * schema) are logged here.
 *
 * Caveats:
 *  - Open after fork, in the child (store_open); one struct store per
 *    process; store_close() before exit.  Never fork with a store open
 *    and use it in the child.
 *  - Not thread-safe: one thread per struct store.
 *  - Every call is short and never waits for the network, but a write
 *    txn takes LMDB's process-shared writer lock (held for microseconds
 *    by other processes) and file writes may block on the disk.
 *  - maximum_object_size / minimum_object_size are the caller's checks
 *    (it knows Content-Length before store_begin and counts while it
 *    appends; store_abort() when the body grows too large).
 *  - Keys are 32 bytes chosen by the caller (SHA-256 of method class +
 *    normalised URI); the store does not interpret them.
 */
#ifndef SLUICE_STORE_H
#define SLUICE_STORE_H

#include <stddef.h>
#include <stdint.h>

#define STORE_SCHEMA		1	/* bump on any layout change */
#define STORE_KEY_LEN		32	/* primary key bytes */
#define STORE_INLINE_MAX	4096	/* bodies up to this are inline */
#define STORE_TOUCH_SECS	60	/* access time granularity */
#define STORE_TOUCH_BATCH	256	/* access times written in one txn */
#define STORE_EKEY_BYTES	64	/* entry key: primary + SHA-256(skey) */
#define STORE_ID_BYTES		12	/* body file id */
#define STORE_RETRY_SECS	10	/* after ENOSPC / MAP_FULL */
#define STORE_VARY_MAX		4096	/* largest vary value */

/** Record flags (opaque to the store, for the caller's policy). */
#define STORE_F_CALLER_MASK	0xffff

struct store;
struct store_writer;

/** Times and status stored with an object (seconds since the epoch). */
struct store_meta {
	int		status;		/* HTTP status of the stored response */
	uint32_t	flags;		/* caller's bits, STORE_F_CALLER_MASK */
	int64_t		request_time;	/* RFC 9111 4.2.3 request_time */
	int64_t		response_time;	/* RFC 9111 4.2.3 response_time */
	int64_t		date;		/* Date header value, or 0 */
};

/** What store_lookup() found wrong with a record (o->drop). */
#define STORE_DROP_MALFORMED	1	/* not a record of ours */
#define STORE_DROP_BODY		2	/* its body file is missing or short */

/** A hit: a copy of the record, owned by the caller until store_obj_release(). */
struct store_obj {
	struct store_meta meta;
	int64_t		 last_access;	/* seconds, approximate */
	uint8_t		 ekey[STORE_EKEY_BYTES];	/* the entry's key */
	int		 touch;		/* last_access is old: store_touch_apply() */
	int		 drop;		/* a miss because the record is bad:
					   store_drop() it (STORE_DROP_*) */
	uint8_t		 drop_id[STORE_ID_BYTES];
	uint8_t		*head;		/* response head bytes (malloc) */
	size_t		 headlen;
	uint64_t	 body_len;
	uint8_t		*body;		/* inline body (malloc), or NULL */
	int		 body_fd;	/* file body, O_RDONLY|O_CLOEXEC, or -1 */
};

/** Counters of a store, for logs and tests. */
struct store_stats {
	uint64_t	bytes;		/* meta "bytes" */
	uint64_t	count;		/* meta "count" */
	uint64_t	max_bytes;
};

/**
 * @brief Create @p dir, @p dir/tmp and @p dir/bodies/00..ff and, when we
 *	are root, give them to @p user (NULL: nobody).  For the master,
 *	before fork; touches no LMDB file.
 * @return 0, or -1 after logging which directory and why.
 */
int	store_dir_prepare(const char *dir, const char *user);

/**
 * @brief Open the store in @p dir (after fork, in the child).  Checks the
 *	schema and resets a foreign or old one (one log line).
 * @param[in] dir        cache_dir path (store_dir_prepare done).
 * @param[in] max_bytes  cache_dir SIZE in bytes; the map is sized from it.
 * @param[out] out       the store.
 * @return 0, or -1 after logging why (caching is then off in this
 *	process; the caller goes on proxying).
 * @note Release with store_close().
 */
int	store_open(const char *dir, uint64_t max_bytes, struct store **out);
/** @brief Flush queued touches, close the environment, free @p s (NULL ok). */
void	store_close(struct store *s);

/**
 * @brief Start storing an object.  The head and meta are copied.
 * @param[in] key   32-byte primary key.
 * @param[in] skey  secondary key (normalised Vary values), @p skeylen
 *	bytes, may be empty.
 * @param[out] out  the writer.
 * @return 0; or -1 with errno ENOSPC (storing is off, see above), EFBIG
 *	(head too large), or the errno of creating the temp file.
 * @note Finish with store_commit() or store_abort(), exactly once.
 */
int	store_begin(struct store *s, const uint8_t key[STORE_KEY_LEN],
	    const void *skey, size_t skeylen, const void *head, size_t headlen,
	    const struct store_meta *m, struct store_writer **out);
/**
 * @brief Append body bytes.  The first STORE_INLINE_MAX bytes stay in
 *	memory; beyond that they go to the temp file.
 * @return 0, or -1 (errno; ENOSPC turns storing off): the caller must
 *	then store_abort().
 */
int	store_append(struct store_writer *w, const void *p, size_t len);
/**
 * @brief Commit: rename the body into place, then put the record (and
 *	replace any previous record of this key + secondary key, whose body
 *	file is unlinked).  Frees @p w in every case.
 * @param[in] now  current time (seconds), the entry's first access time.
 * @return 0, or -1 (nothing stored, temp removed, errno set).
 */
int	store_commit(struct store_writer *w, int64_t now);
/**
 * @brief A read-only fd on the body being written, once it went to its
 *	temp file (past STORE_INLINE_MAX bytes), for collapsed forwarding:
 *	readers follow the writer with pread/sendfile up to the length
 *	appended so far.  The fd stays valid after commit (the same inode
 *	is linked into place) and after abort (then the bytes are only
 *	what was appended).
 * @return the fd (close() it), or -1 (errno; ENOENT: still in memory).
 */
int	store_writer_reader(const struct store_writer *w);
/** @brief Drop a writer: the temp file is unlinked, nothing is stored.  Frees @p w. */
void	store_abort(struct store_writer *w);

/**
 * @brief Look an object up.
 * @param[in] now  current time (seconds), for the access time.
 * @param[out] o   filled on a hit.
 * @return 1 hit (@p o filled; release it with store_obj_release()),
 *	0 miss (also when the record is malformed or its body file is
 *	missing or has the wrong length: then o->drop is set and the caller
 *	should store_drop() it from the writer), -1 error (errno; treat as
 *	a miss).  Never writes.
 */
int	store_lookup(struct store *s, const uint8_t key[STORE_KEY_LEN],
	    const void *skey, size_t skeylen, int64_t now, struct store_obj *o);
/** @brief Free what store_lookup() put in @p o and close its body fd. */
void	store_obj_release(struct store_obj *o);

/**
 * @brief Replace the head and meta of a stored object, keeping its body
 *	(304 merge, RFC 9111 4.3.4).
 * @return 1 updated, 0 no such object, -1 error (errno ENOSPC: full map).
 */
int	store_update_head(struct store *s, const uint8_t key[STORE_KEY_LEN],
	    const void *skey, size_t skeylen, const void *head, size_t headlen,
	    const struct store_meta *m);
/**
 * @brief Delete every variant of @p key and its vary value (PURGE,
 *	invalidation, RFC 9111 4.4).  Body files are unlinked after commit.
 * @return the number of entries deleted (0: none), or -1 on error.
 */
int	store_delete(struct store *s, const uint8_t key[STORE_KEY_LEN]);

/**
 * @brief How many variants of @p key are stored (a read: PURGE answers
 *	200 or 404 from it while store_delete() runs in the writer).
 * @return the count, or -1 (errno).
 */
int	store_count(struct store *s, const uint8_t key[STORE_KEY_LEN]);

/**
 * @brief Set the vary value of @p key (the header names it varies on, as
 *	the caller encodes them; at most STORE_VARY_MAX bytes).
 * @return 0, or -1 (errno EINVAL too long, ENOSPC full map).
 */
int	store_vary_put(struct store *s, const uint8_t key[STORE_KEY_LEN],
	    const void *p, size_t len);
/**
 * @brief Copy the vary value of @p key into @p buf (@p bufsz bytes).
 * @return 1 and @p *len, 0 none, -1 error (ERANGE: @p buf too small).
 */
int	store_vary_get(struct store *s, const uint8_t key[STORE_KEY_LEN],
	    void *buf, size_t bufsz, size_t *len);

/** One access time to record (from a hit: o->ekey, now). */
struct store_touch {
	uint8_t		ekey[STORE_EKEY_BYTES];
	int64_t		when;
};
/**
 * @brief Record access times in one txn (entries gone since are skipped).
 * @return 0, or -1 (errno): access times are approximate, drop them.
 */
int	store_touch_apply(struct store *s, const struct store_touch *t,
	    unsigned n);
/**
 * @brief Delete the record @p o named as bad (o->drop), if it is still
 *	that record (a writer may have replaced it since).
 */
void	store_drop(struct store *s, const struct store_obj *o);
/** @brief 1 when storing is on in this process, 0 after ENOSPC/MAP_FULL. */
int	store_storing(const struct store *s);
/** @brief Read the totals. @return 0 or -1. */
int	store_stats(struct store *s, struct store_stats *st);

/* ---- for the cache manager ----------------------------------------- */

/**
 * @brief Remove temp files of dead processes and temp or body files
 *	older than @p grace seconds that no record names (orphans).
 * @return the number of files removed, or -1 on error (logged).
 */
long	store_cleanup(struct store *s, int64_t grace, int64_t now);
/**
 * @brief Evict least-recently-used entries, in short write txns of at
 *	most @p batch entries, until the total is at most @p target bytes.
 *	Body files are unlinked after each commit.
 * @return the number of entries evicted, or -1 on error (logged).
 */
long	store_evict(struct store *s, uint64_t target, unsigned batch);
/**
 * @brief Clear reader slots of dead processes (mdb_reader_check) and flush
 *	the environment to disk.
 * @return the number of stale readers cleared, or -1.
 */
int	store_maintain(struct store *s);

#endif
