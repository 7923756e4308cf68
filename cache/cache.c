/*
 * cache.c -- the cache's facade for the worker (see cache.h): a request's
 * key and cache state, lookups and the answers they give, what is stored
 * of an origin's response, revalidation, stale answers, PURGE.
 * Runs in the workers, on the loop.
 *
 * It decides with the pure modules (policy.c for RFC 9111 freshness and
 * storability, cond.c for conditionals, merges and the stored head,
 * vary.c for secondary keys, range.c for Range, uri.c for invalidation,
 * refresh.c for refresh_pattern, storeid.c for store_id_rewrite), reads
 * the store inline (store.c) and writes through the writer thread
 * (writer.c); collapsed forwarding is collapse.c.
 *
 * The key (RFC 9111 §2): SHA-256 of "GET " and the normalised absolute
 * URL, or of its store ID when a store_id_rewrite line gives one (HEAD
 * is answered from GET responses, §4.3.5); the variant's secondary key
 * comes from Vary (§4.1).  struct cache_req lives in the
 * request's arena (bump-allocated in a struct buf, never freed alone).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/*
 * The key's SHA-256 uses the low-level API: EVP allocates a provider
 * context at every EVP_DigestInit (measured: one malloc per digest even
 * with a reused EVP_MD_CTX and a fetched EVP_MD); SHA256_CTX lives on
 * the stack.  The API is deprecated in OpenSSL 3 but present; this
 * selects its declarations without the deprecation warnings.
 */
#define OPENSSL_API_COMPAT	0x10100000L
#include <openssl/sha.h>

#include "buf.h"
#include "cache.h"
#include "collapse.h"
#include "cond.h"
#include "conf.h"
#include "http_hdr.h"
#include "http_parse.h"
#include "log.h"
#include "policy.h"
#include "shared.h"
#include "range.h"
#include "refresh.h"
#include "sl.h"
#include "store.h"
#include "storeid.h"
#include "str.h"
#include "uri.h"
#include "vary.h"
#include "writer.h"

/* struct cache_req flags. */
#define Q_LOOKUP	0x0001	/* GET/HEAD looked up: may store */
#define Q_HEAD		0x0002
#define Q_AUTH		0x0004	/* the request had Authorization (§3.5) */
#define Q_INVALIDATE	0x0008	/* unsafe method (§4.4) */
#define Q_PENDING	0x0010	/* writes the client should wait for */
#define Q_PURGED	0x0040	/* the PURGE's delete is done */
#define Q_BACKGROUND	0x0080	/* a stale-while-revalidate refresh */
#define Q_CLAIMED	0x0100	/* holds the URL's revalidation */

/* How long a revalidation claim lasts if its holder never gives it back. */
#define CACHE_SWR_CLAIM_MS	(120 * 1000)

struct cache_req {
	struct buf		*arena;
	uint8_t			 key[STORE_KEY_LEN];
	const char		*url;
	unsigned		 flags;
	struct cc		 rq;		/* the request's Cache-Control */
	char			*rqf;		/* its fields, for Vary */
	size_t			 rqflen;
	char			*vspec;		/* the stored Vary spec, or NULL */
	char			*vspec_new;	/* the response's */
	char			*skey;		/* secondary key, or NULL */
	size_t			 skeylen;
	char			*reval_etag;	/* validators sent upstream */
	char			*reval_lm;
	int			 stale_ok;	/* COND_STALE_* (cond.h) */
	struct refresh		 rp;		/* the URL's refresh_pattern */
	int			 rp_set;	/* rp was looked up */
	const char		*fwd;		/* Cache-Status fwd=, or NULL */
	int			 fwd_status;
	const char		*code;		/* squid's, when the cache changes it */
	int64_t			 request_time;
	/* Storing the response. */
	struct wr_obj		*obj;
	int			 chunked;	/* the tee's bytes carry chunks */
	struct http_chunked	 chunk;
	uint64_t		 len;		/* body bytes given to the store */
	struct wr_wait		 wait;		/* for room in the writer */
	struct wr_job		*job;		/* a job whose callback is ours */
	cache_wake_f		*done;
	void			*done_arg;
	int			 job_rc;
	/* A 304: the merged head, served once the store has it. */
	char			*merged;
	size_t			 mergedlen;
	struct store_meta	 merged_meta;
	struct store_obj	 robj;		/* the entry it updates */
	int			 have_robj;
	int			 purged;
	struct cf_member	 cf;
	/* A Range miss fetched whole (range_offset_limit): the client's. */
	char			*range;		/* its Range value, or NULL */
	char			*if_range;	/* its If-Range value, or NULL */
	int			 ae_gzip;	/* the client takes gzip */
};

/* The one hit being served in this worker. */
struct cache_hit_int {
	struct cache_hit	 pub;	/* first: the caller's view */
	struct store_obj	 o;
	int			 have_o;
	struct http_head	 h;	/* the stored head, parsed */
	int64_t			 age;
	int64_t			 ttl;
	int			 nm;	/* 304 to the client's condition */
	int			 gunzip;	/* the gzip variant, inflated */
	struct range		 rg;
	uint64_t		 body_len;
	char			 cs[160];	/* Cache-Status parameters */
};

static const struct conf	*cache_conf;
static struct store		*cache_store;
static struct cache_hit_int	 cache_hit;
static char			*cache_parse_buf;	/* what cache_hit.h points into */
static size_t			 cache_parse_cap;
static const char		 cache_no_url[] = "";

const char *
cache_strerror(int rc)
{
	switch (rc) {
	case CACHE_ENOMEM:	return "out of memory";
	case CACHE_EIO:		return "store error";
	case CACHE_EBROKEN:	return "the followed fetch broke off";
	case CACHE_EOFF:	return "no cache";
	default:		return "unknown cache error";
	}
}

int
cache_open(const struct conf *c, char *err, size_t errlen)
{
	cache_conf = c;
	if (c->cache_dir == NULL)
		return 0;
	if (store_open(c->cache_dir, c->cache_dir_size, &cache_store) == -1) {
		snprintf(err, errlen, "cache_dir %s cannot be opened",
		    c->cache_dir);
		cache_store = NULL;
		return CACHE_EIO;
	}
	if (wr_open(cache_store, 1, err, errlen) == -1) {
		store_close(cache_store);
		cache_store = NULL;
		return CACHE_EIO;
	}
	return 0;
}

void
cache_close(void)
{
	if (cache_store == NULL)
		return;
	wr_close();
	store_close(cache_store);
	cache_store = NULL;
	free(cache_parse_buf);
	cache_parse_buf = NULL;
	cache_parse_cap = 0;
}

int
cache_on(void)
{
	return cache_store != NULL;
}

/* ------------------------------------------------------------ helpers */

/* Bump-allocate @p n bytes in the request's arena. */
static void *
cache_alloc(struct cache_req *q, size_t n)
{
	return buf_alloc(q->arena, n);
}

static char *
cache_strdup(struct cache_req *q, const char *p, size_t n)
{
	char *s;

	if ((s = cache_alloc(q, n + 1)) == NULL)
		return NULL;
	memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

/* The primary key: SHA-256 of the method class and the normalised URL. */
int
cache_key(const char *url, uint8_t key[STORE_KEY_LEN])
{
	SHA256_CTX x;

	return SHA256_Init(&x) == 1 && SHA256_Update(&x, "GET ", 4) == 1 &&
	    SHA256_Update(&x, url, strlen(url)) == 1 &&
	    SHA256_Final(key, &x) == 1 ? 0 : -1;
}

/*
 * The key the cache stores @p url under: its store ID's when a
 * store_id_rewrite line gives one (storeid.h), else its own.
 */
static int
cache_key_stored(const char *url, uint8_t key[STORE_KEY_LEN])
{
	char id[STOREID_MAX + 1];

	if (storeid_rewrite(cache_conf, url, id, sizeof(id), NULL) == 1)
		return cache_key(id, key);
	return cache_key(url, key);
}

/*
 * Parse stored head bytes (they lack the empty line) into @p h, which
 * then points into one buffer of this worker: valid until the next call.
 * The buffer grows to the largest head seen and is kept (no allocation
 * per hit).
 */
static int
cache_parse(const void *bytes, size_t len, struct http_head *h)
{
	const char *why = NULL;
	char *nb;

	if (len + 2 > cache_parse_cap) {
		if ((nb = realloc(cache_parse_buf, len + 2)) == NULL)
			return -1;
		cache_parse_buf = nb;
		cache_parse_cap = len + 2;
	}
	memcpy(cache_parse_buf, bytes, len);
	memcpy(cache_parse_buf + len, "\r\n", 2);
	return http_response_parse(cache_parse_buf, len + 2, h, &why) == 0 ?
	    0 : -1;
}

/*
 * Lifetime and current age of a stored head (RFC 9111 §4.2.1, §4.2.3),
 * under the refresh_pattern line of the request's URL (§4.2.2 and the
 * line's options: policy_lifetime()), looked up once per request.
 */
static void
cache_times(struct cache_req *q, const struct http_head *h,
    const struct store_meta *m, int64_t now, int64_t *life, int64_t *age)
{
	struct cc rs;
	int64_t ageval = policy_age_field(h);
	int heur;

	policy_cc(h, 0, &rs);
	if (!q->rp_set) {
		(void)refresh_for(cache_conf, q->url, &q->rp);
		q->rp_set = 1;
	}
	*life = policy_lifetime(h, &rs, m->response_time, &q->rp, &heur);
	*age = policy_age(m->date > 0 ? m->date : -1, ageval, m->request_time,
	    m->response_time, now);
}

/*
 * The Date of @p h for the store's meta (RFC 9111 §4.2.3): 0 when it is
 * invalid, @p missing when there is none.
 */
static int64_t
cache_date(const struct http_head *h, int64_t missing)
{
	const struct http_field *f = http_hdr_find(h, "Date");
	int64_t d;

	if (f == NULL)
		return missing;
	return (d = policy_date(f->value, f->value_len)) < 0 ? 0 : d;
}

/* A store lookup; bad records and old access times go to the writer. */
static int
cache_get(struct cache_req *q, int64_t now, struct store_obj *o)
{
	int rc;

	rc = store_lookup(cache_store, q->key, q->skey, q->skeylen, now, o);
	if (rc == 0 && o->drop) {
		log_warnx("cache %s: %s: stored %s; removing it",
		    cache_conf->cache_dir, q->url, o->drop ==
		    STORE_DROP_BODY ? "body missing or truncated" :
		    "record malformed");
		wr_drop(o);
	} else if (rc == 1 && o->touch)
		wr_touch(o->ekey, now);
	return rc;
}

/* The job whose callback belongs to @p q finished. */
static void
cache_job_done(void *arg, int rc)
{
	struct cache_req *q = arg;
	cache_wake_f *done = q->done;

	q->job = NULL;
	q->job_rc = rc;
	q->done = NULL;
	if (done != NULL)
		done(q->done_arg);
}

/* Wait for @p j (queued by @p q): @p done(@p arg) when it finished. */
static int
cache_wait_job(struct cache_req *q, struct wr_job *j, cache_wake_f *done,
    void *arg)
{
	if (j == NULL)
		return CACHE_ENOMEM;
	q->job = j;
	q->done = done;
	q->done_arg = arg;
	return CACHE_AGAIN;
}

/* ------------------------------------------------------------ requests */

struct cache_req *
cache_req_new(struct buf *arena, const char *method, const char *url,
    const struct http_head *rq, int is_head, int has_body,
    int64_t request_time, enum cache_kind *kind)
{
	struct cache_req *q;
	size_t room, i, n;
	int get = is_head || strcmp(method, "GET") == 0;

	*kind = CACHE_K_OTHER;
	if ((q = buf_alloc(arena, sizeof(*q))) == NULL)
		return NULL;
	memset(q, 0, sizeof(*q));
	q->arena = arena;
	q->url = url != NULL ? url : cache_no_url;
	q->request_time = request_time;
	q->rq.max_age = q->rq.s_maxage = q->rq.max_stale =
	    q->rq.min_fresh = q->rq.stale_if_error = -1;
	if (is_head)
		q->flags |= Q_HEAD;
	if (cache_store == NULL || cache_key_stored(q->url, q->key) == -1) {
		q->fwd = "bypass";
		return q;
	}
	if (strcmp(method, "PURGE") == 0) {
		*kind = CACHE_K_PURGE;
		return q;
	}
	if (!get || has_body) {
		q->fwd = "method";
		/* RFC 9111 §4.4: unsafe methods invalidate (after success). */
		if (!get && strcmp(method, "OPTIONS") != 0 &&
		    strcmp(method, "TRACE") != 0) {
			q->flags |= Q_INVALIDATE;
			*kind = CACHE_K_UNSAFE;
		}
		return q;
	}
	*kind = CACHE_K_GET;
	policy_cc(rq, 1, &q->rq);
	if (http_hdr_has(rq, "Authorization"))
		q->flags |= Q_AUTH;
	/* Exactly the room the copy takes: "name:value\n" per field. */
	for (room = 1, i = 0; i < rq->nfields; i++)
		room += rq->fields[i].name_len + rq->fields[i].value_len + 2;
	if ((q->rqf = cache_alloc(q, room)) == NULL ||
	    (n = vary_fields(rq, q->rqf, room)) == (size_t)-1) {
		q->rqf = NULL;
		q->fwd = "bypass";	/* a key we cannot build */
		*kind = CACHE_K_OTHER;
		return q;
	}
	q->rqflen = n;
	q->ae_gzip = vary_request_gzip(rq);
	return q;
}

const char *
cache_accept_encoding(const struct cache_req *q)
{
	if (q == NULL || q->rqf == NULL || cache_store == NULL ||
	    (q->fwd != NULL && strcmp(q->fwd, "bypass") == 0))
		return NULL;
	return q->ae_gzip ? "gzip" : "identity";
}

void
cache_req_bypass(struct cache_req *q)
{
	q->fwd = "bypass";
	q->flags &= ~(unsigned)Q_LOOKUP;
	q->rqf = NULL;
}

void
cache_req_background(struct cache_req *q)
{
	if (q != NULL)
		q->flags |= Q_BACKGROUND;
}

int
cache_swr_handoff(struct cache_req *q, uint8_t key[CACHE_KEY_LEN])
{
	if (q == NULL || !(q->flags & Q_CLAIMED))
		return -1;
	memcpy(key, q->key, CACHE_KEY_LEN);
	q->flags &= ~(unsigned)Q_CLAIMED;
	return 0;
}

void
cache_swr_release(const uint8_t key[CACHE_KEY_LEN])
{
	shf_unclaim(key);
}

void
cache_req_end(struct cache_req *q)
{
	if (q == NULL)
		return;
	/* A claim nobody took over (cache_swr_handoff()): given back. */
	if (q->flags & Q_CLAIMED) {
		shf_unclaim(q->key);
		q->flags &= ~(unsigned)Q_CLAIMED;
	}
	if (q->obj != NULL) {
		cf_settle(&q->cf, CF_FAILED);
		wr_abort(q->obj);
		q->obj = NULL;
	}
	wr_unwait(&q->wait);
	wr_forget(q->job);
	q->job = NULL;
	q->done = NULL;
	if (q->have_robj)
		store_obj_release(&q->robj);
	q->have_robj = 0;
	cf_leave(&q->cf);
}

/* The secondary key of this request under @p spec, in the arena. */
static int
cache_skey(struct cache_req *q, const char *spec)
{
	struct buf *a = q->arena;
	size_t room = buf_room(a), n;
	char *k;

	q->skey = NULL;
	q->skeylen = 0;
	if (spec[0] == '\0')
		return 0;
	if (q->rqf == NULL || room < 64 || (k = buf_alloc(a, room - 8)) == NULL)
		return -1;
	if ((n = vary_key(spec, q->rqf, q->rqflen, k, room - 8)) ==
	    (size_t)-1) {
		a->last = k;
		return -1;
	}
	a->last = k + ((n + 1 + 7) & ~(size_t)7);
	q->skey = k;
	q->skeylen = n;
	return 0;
}

/* ---------------------------------------------------------------- hits */

/* What kind of answer a hit is, for Cache-Status and the log. */
enum cache_hit_kind {
	HIT_FRESH,		/* a fresh stored response */
	HIT_COLLAPSED,		/* another request's fetch, as it is stored */
	HIT_REVALIDATED,	/* stale, and the origin said 304 */
	HIT_STALE_ERROR,	/* stale, and the origin could not be reached */
};

/* The current hit, from the stored object and its parsed head. */
static const struct cache_hit *
cache_hit_fill(struct cache_req *q, int64_t age, int64_t life,
    enum cache_hit_kind kind, const char *detail)
{
	struct cache_hit_int *hi = &cache_hit;
	struct cache_hit *h = &hi->pub;
	long long ttl = (long long)(life - age);
	int part = hi->rg.rc == RANGE_OK, unsat =
	    hi->rg.rc == RANGE_UNSATISFIABLE;
	const char *code = "TCP_HIT";

	hi->age = age;
	hi->ttl = life - age;
	/* RFC 9211 parameters; squid's codes for the log. */
	switch (kind) {
	case HIT_FRESH:
		snprintf(hi->cs, sizeof(hi->cs), "hit; ttl=%lld%s%s", ttl,
		    detail != NULL ? "; detail=" : "", detail != NULL ?
		    detail : "");
		break;
	case HIT_COLLAPSED:
		snprintf(hi->cs, sizeof(hi->cs), "fwd=miss; fwd-status=%d; "
		    "collapsed; ttl=%lld", hi->h.status, ttl);
		code = "TCP_CF_HIT";
		break;
	case HIT_REVALIDATED:
		snprintf(hi->cs, sizeof(hi->cs), "fwd=stale; fwd-status=304; "
		    "ttl=%lld", ttl);
		code = "TCP_REFRESH_UNMODIFIED";
		break;
	case HIT_STALE_ERROR:
		snprintf(hi->cs, sizeof(hi->cs), "fwd=stale; ttl=%lld; "
		    "detail=%s", ttl, detail);
		code = "TCP_REFRESH_FAIL_OLD";
		break;
	}
	h->code = hi->nm ? "TCP_INM_HIT" : code;
	h->status = hi->nm ? 304 : part ? 206 : unsat ? 416 : hi->h.status;
	h->head_only = hi->nm || unsat || (q->flags & Q_HEAD) ||
	    hi->body_len == 0 || hi->h.status == 204 || hi->h.status == 304;
	h->off = part ? hi->rg.first : 0;
	h->len = h->head_only ? 0 : part ? hi->rg.last - hi->rg.first + 1 :
	    hi->body_len;
	h->body = hi->have_o && hi->o.body != NULL ? hi->o.body + h->off :
	    NULL;
	h->follow = 0;
	h->gunzip = hi->gunzip;
	h->revalidate = 0;
	return h;
}

int
cache_hit_head(const struct cache_hit *pub, struct buf *b)
{
	const struct cache_hit_int *hi = (const struct cache_hit_int *)pub;
	const struct http_head *h = &hi->h;
	const struct http_field *f;
	int part = hi->rg.rc == RANGE_OK;
	int unsat = hi->rg.rc == RANGE_UNSATISFIABLE;
	size_t i;

	if (hi->nm) {
		if (buf_printf(b, "HTTP/1.1 304 Not Modified\r\n") == -1)
			return -1;
	} else if (part || unsat) {
		/* RFC 9110 §15.3.7, §15.5.17. */
		if (buf_printf(b, part ? "HTTP/1.1 206 Partial Content\r\n" :
		    "HTTP/1.1 416 Range Not Satisfiable\r\n") == -1)
			return -1;
	} else if (buf_printf(b, "HTTP/1.1 %d %.*s\r\n", h->status,
	    (int)h->reason_len, h->reason) == -1)
		return -1;
	for (i = 0; i < h->nfields; i++) {
		f = &h->fields[i];
		if (http_field_is(f, "Age") ||
		    http_field_is(f, "Content-Length") ||
		    (hi->nm && !cond_304_field(f)) ||
		    ((part || unsat) && http_field_is(f, "Content-Range")))
			continue;
		/*
		 * Inflated: another representation (RFC 9110 §8.4): no
		 * coding, no ranges of it, and its ETag weak (§8.8.3: the
		 * bytes differ from the stored ones').
		 */
		if (hi->gunzip) {
			if (http_field_is(f, "Content-Encoding") ||
			    http_field_is(f, "Accept-Ranges"))
				continue;
			if (http_field_is(f, "ETag") && !(f->value_len > 2 &&
			    f->value[0] == 'W' && f->value[1] == '/')) {
				if (buf_printf(b, "%.*s: W/%.*s\r\n",
				    (int)f->name_len, f->name,
				    (int)f->value_len, f->value) == -1)
					return -1;
				continue;
			}
		}
		if (http_hdr_copy(b, f) == -1)
			return -1;
	}
	/*
	 * The length is the store's (a chunked original was stored whole);
	 * never on a 204 or 304 (RFC 9110 §8.6).
	 */
	if (!hi->nm && !part && !unsat && !hi->gunzip && h->status != 204 &&
	    h->status != 304 && buf_printf(b, "Content-Length: %llu\r\n",
	    (unsigned long long)hi->body_len) == -1)
		return -1;
	/* RFC 9211: what the cache did. */
	if (buf_printf(b, "Age: %lld\r\nCache-Status: sluice; %s\r\n",
	    (long long)hi->age, hi->cs) == -1)
		return -1;
	/* RFC 9110 §14.4: the slice, or only the length for a 416. */
	if (part && buf_printf(b, "Content-Range: bytes %llu-%llu/%llu\r\n"
	    "Content-Length: %llu\r\n", (unsigned long long)hi->rg.first,
	    (unsigned long long)hi->rg.last,
	    (unsigned long long)hi->body_len,
	    (unsigned long long)(hi->rg.last - hi->rg.first + 1)) == -1)
		return -1;
	if (unsat && buf_printf(b, "Content-Range: bytes */%llu\r\n"
	    "Content-Length: 0\r\n", (unsigned long long)hi->body_len) == -1)
		return -1;
	return 0;
}

const struct http_head *
cache_hit_fields(const struct cache_hit *pub)
{
	return &((const struct cache_hit_int *)pub)->h;
}

int
cache_hit_take_fd(const struct cache_hit *pub)
{
	struct cache_hit_int *hi = (struct cache_hit_int *)pub;
	int fd;

	if (!hi->have_o || pub->len == 0 || hi->o.body != NULL)
		return -1;
	fd = hi->o.body_fd;
	hi->o.body_fd = -1;
	return fd;
}

void
cache_hit_release(void)
{
	if (cache_hit.have_o)
		store_obj_release(&cache_hit.o);
	cache_hit.have_o = 0;
}

/* Begin a hit: the object and its parsed head. */
static int
cache_hit_begin(const void *head, size_t headlen)
{
	cache_hit_release();
	memset(&cache_hit.rg, 0, sizeof(cache_hit.rg));
	cache_hit.nm = 0;
	cache_hit.gunzip = 0;
	return cache_parse(head, headlen, &cache_hit.h);
}

/* ------------------------------------------------------------- lookup */

/* Is @p name one of the names of Vary spec @p spec? */
static int
cache_spec_has(const char *spec, const char *name)
{
	size_t n = strlen(name);
	const char *p;

	for (p = spec; p != NULL && *p != '\0'; p = strchr(p, ',')) {
		if (*p == ',')
			p++;
		if (strncmp(p, name, n) == 0 && (p[n] == ',' || p[n] == '\0'))
			return 1;
	}
	return 0;
}

/*
 * The content coding of stored head @p h: 0 none (or identity), 1 gzip
 * alone, -1 anything else.
 */
static int
cache_coding(const struct http_head *h)
{
	const struct http_field *f;
	const char *p, *e, *end;
	size_t i;
	int gzip = 0;

	for (i = 0; i < h->nfields; i++) {
		f = &h->fields[i];
		if (!http_field_is(f, "Content-Encoding"))
			continue;
		for (p = f->value, end = f->value + f->value_len; p < end;
		    p = e + 1) {
			if ((e = memchr(p, ',', (size_t)(end - p))) == NULL)
				e = end;
			while (p < e && (*p == ' ' || *p == '\t'))
				p++;
			while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
				e--;
			if (e == p || str_ieq(p, (size_t)(e - p), "identity"))
				continue;
			if (gzip || (!str_ieq(p, (size_t)(e - p), "gzip") &&
			    !str_ieq(p, (size_t)(e - p), "x-gzip")))
				return -1;
			gzip = 1;
			if (e == end)
				break;
		}
	}
	return gzip;
}

/*
 * A client that does not take gzip missed its variant: key the gzip
 * variant instead (served inflated).  @return 1 keyed, 0 not the case.
 */
static int
cache_gzip_key(struct cache_req *q)
{
	struct buf *a = q->arena;
	size_t room = buf_room(a), n;
	char *k;

	if (q->vspec == NULL || q->ae_gzip || q->rqf == NULL ||
	    !cache_spec_has(q->vspec, "accept-encoding") || room < 64 ||
	    (k = buf_alloc(a, room - 8)) == NULL)
		return 0;
	if ((n = vary_key_ae(q->vspec, q->rqf, q->rqflen, "gzip", k,
	    room - 8)) == (size_t)-1) {
		a->last = k;
		return 0;
	}
	a->last = k + ((n + 1 + 7) & ~(size_t)7);
	q->skey = k;
	q->skeylen = n;
	return 1;
}

/*
 * RFC 9111 §4.1: the URL's stored Vary spec, and the variant's key
 * under it.  @return 0, or -1 when the request cannot be keyed.
 */
static int
cache_vary_lookup(struct cache_req *q)
{
	char spec[STORE_VARY_MAX + 1];
	size_t n;

	if (store_vary_get(cache_store, q->key, spec, sizeof(spec) - 1,
	    &n) != 1)
		return 0;	/* no Vary stored (or an error: a miss) */
	spec[n] = '\0';
	if ((q->vspec = cache_strdup(q, spec, n)) == NULL)
		return -1;
	return cache_skey(q, spec);
}

/* RFC 9111 §4.3.1: remember the validators of a stale entry. */
static void
cache_validators(struct cache_req *q, const struct http_head *rq,
    const struct http_head *h)
{
	const struct http_field *f;

	if (cond_client_conditional(rq))
		return;	/* the exchange is the client's */
	if ((f = http_hdr_find(h, "ETag")) != NULL)
		q->reval_etag = cache_strdup(q, f->value, f->value_len);
	if ((f = http_hdr_find(h, "Last-Modified")) != NULL)
		q->reval_lm = cache_strdup(q, f->value, f->value_len);
}

int
cache_lookup(struct cache_req *q, const struct http_head *rq, int64_t now,
    const struct cache_hit **hit)
{
	struct cache_hit_int *hi = &cache_hit;
	struct store_obj o;
	struct cc rs, eff;
	int64_t life, age;
	enum policy_use use;
	char *id_skey = NULL;
	size_t id_skeylen = 0;
	int rc, gz = 0;

	*hit = NULL;
	if (q->fwd != NULL && strcmp(q->fwd, "bypass") == 0)
		goto miss;
	q->flags |= Q_LOOKUP;
	if (q->rq.flags & CC_NO_STORE) {
		q->fwd = "request";
		q->flags &= ~(unsigned)Q_LOOKUP;	/* §5.2.1.5: nor store */
		return CACHE_MISS;
	}
	if (cache_vary_lookup(q) == -1) {
		q->fwd = "bypass";
		q->flags &= ~(unsigned)Q_LOOKUP;
		return CACHE_MISS;
	}
	rc = cache_get(q, now, &o);
	if (rc != 1) {
		id_skey = q->skey;
		id_skeylen = q->skeylen;
		if (cache_gzip_key(q) && cache_get(q, now, &o) == 1)
			gz = 1;
		else {
			q->skey = id_skey;
			q->skeylen = id_skeylen;
			q->fwd = q->vspec != NULL ? "vary-miss" : "uri-miss";
			goto miss;
		}
	}
	if (cache_hit_begin(o.head, o.headlen) == -1) {
		log_warnx("cache %s: the stored head of %s does not parse",
		    cache_conf->cache_dir, q->url);
		store_obj_release(&o);
		q->fwd = "miss";
		goto miss;
	}
	hi->o = o;
	hi->have_o = 1;
	hi->body_len = o.body_len;
	policy_cc(&hi->h, 0, &rs);
	cache_times(q, &hi->h, &o.meta, now, &life, &age);
	/* RFC 9111 §4.2, §5.2, and the refresh_pattern options. */
	use = refresh_use(&q->rq, &rs, &q->rp, hi->h.status,
	    http_hdr_has(rq, "If-Modified-Since"), life, age, &eff);
	if (gz && (hi->h.status != 200 || cache_coding(&hi->h) != 1 ||
	    (use != USE_FRESH && use != USE_STALE_OK))) {
		/* Only a usable gzip 200 serves it; else its own variant. */
		cache_hit_release();
		q->skey = id_skey;
		q->skeylen = id_skeylen;
		q->fwd = "vary-miss";
		goto miss;
	}
	if (gz) {
		/* RFC 9110 §13.2.2 against the stored validators. */
		hi->gunzip = 1;
		hi->nm = cond_not_modified(rq, &hi->h);
		*hit = cache_hit_fill(q, age, life, HIT_FRESH, "gunzip");
		return CACHE_FRESH;
	}
	/*
	 * RFC 5861 §3: stale within its stale-while-revalidate window:
	 * answered now, revalidated in the background, once per URL (the
	 * claim, across workers); without room for the claim, first.
	 */
	if (use != USE_FRESH && use != USE_STALE_OK &&
	    !(q->flags & Q_BACKGROUND) && policy_swr(&q->rq, &rs, life, age) &&
	    (rc = shf_claim(q->key, now * 1000, CACHE_SWR_CLAIM_MS)) >= 0) {
		hi->nm = cond_not_modified(rq, &hi->h);
		if (!hi->nm && !(q->flags & Q_HEAD))
			(void)range_select(rq, &hi->h, o.body_len, &hi->rg);
		*hit = cache_hit_fill(q, age, life, HIT_FRESH,
		    "stale-while-revalidate");
		if (rc == 1) {
			q->flags |= Q_CLAIMED;
			hi->pub.revalidate = 1;
		}
		return CACHE_FRESH;
	}
	if (use == USE_FRESH || use == USE_STALE_OK) {
		/* RFC 9110 §13.2.2: a 304 first; HEAD gets the 200's head. */
		hi->nm = cond_not_modified(rq, &hi->h);
		if (!hi->nm && !(q->flags & Q_HEAD))
			(void)range_select(rq, &hi->h, o.body_len, &hi->rg);
		*hit = cache_hit_fill(q, age, life, HIT_FRESH, NULL);
		return CACHE_FRESH;
	}
	/* RFC 9211 fwd: the request made it go (a fresh entry), or age. */
	q->fwd = life > age || (eff.flags & CC_NO_CACHE) ? "request" :
	    "stale";
	q->stale_ok = cond_stale_if_error(&eff, &rs, life, age,
	    q->rp.max_stale >= 0 ? q->rp.max_stale :
	    cache_conf->max_stale / 1000, cache_conf->offline_mode);
	cache_validators(q, rq, &hi->h);
	cache_hit_release();
	return CACHE_STALE;
miss:
	/* §5.2.1.7: nothing servable and the client will not wait. */
	if (q->rq.flags & CC_ONLY_IF_CACHED)
		return CACHE_ONLY_IF_CACHED;
	return CACHE_MISS;
}

int
cache_cond_fields(const struct cache_req *q, struct buf *o)
{
	if (q->reval_etag != NULL && buf_printf(o, "If-None-Match: %s\r\n",
	    q->reval_etag) == -1)
		return -1;
	if (q->reval_lm != NULL && buf_printf(o, "If-Modified-Since: %s\r\n",
	    q->reval_lm) == -1)
		return -1;
	return 0;
}

int
cache_stale_allowed(const struct cache_req *q)
{
	return q != NULL && q->stale_ok != COND_STALE_NO && cache_store != NULL;
}

int
cache_stale_status(const struct cache_req *q, int status)
{
	/* RFC 5861 §4: "an error is any situation that would result in a
	   500, 502, 503, or 504 HTTP response status code". */
	return q != NULL && q->stale_ok == COND_STALE_ERRORS &&
	    cache_store != NULL && (status == 500 || status == 502 ||
	    status == 503 || status == 504);
}

int
cache_stale(struct cache_req *q, const char *why, int64_t now,
    const struct cache_hit **hit)
{
	struct cache_hit_int *hi = &cache_hit;
	struct store_obj o;
	int64_t life, age;

	*hit = NULL;
	if (!cache_stale_allowed(q) || cache_get(q, now, &o) != 1)
		return CACHE_MISS;
	if (cache_hit_begin(o.head, o.headlen) == -1) {
		store_obj_release(&o);
		return CACHE_MISS;
	}
	hi->o = o;
	hi->have_o = 1;
	hi->body_len = o.body_len;
	cache_times(q, &hi->h, &o.meta, now, &life, &age);
	*hit = cache_hit_fill(q, age, life, HIT_STALE_ERROR, why);
	return CACHE_FRESH;
}

/* -------------------------------------------------------------- PURGE */

int
cache_purge(struct cache_req *q, cache_wake_f *done, void *arg)
{
	int n;

	if (cache_store == NULL)
		return CACHE_EOFF;
	if (q->flags & Q_PURGED)
		return q->job != NULL ? CACHE_AGAIN : q->purged;
	/* The answer from what is there now; the delete in the writer. */
	if ((n = store_count(cache_store, q->key)) < 0)
		return CACHE_EIO;
	q->purged = n;
	q->flags |= Q_PURGED;
	/* Wait for it: the next request must not find what was purged. */
	return cache_wait_job(q, wr_delete(q->key, cache_job_done, q), done,
	    arg);
}

/* ---------------------------------------------------------- responses */

/*
 * RFC 9111 §4.4: the URI in a Location or Content-Location of a
 * non-error response to an unsafe method is invalidated too, when it has
 * the target's origin (only then; another origin could not have sent it
 * for itself).
 */
static void
cache_invalidate_ref(struct cache_req *q, int https, const char *host,
    unsigned port, const char *path, const struct http_field *f)
{
	uint8_t key[STORE_KEY_LEN];
	char url[4096];

	if (uri_same_origin_scheme(https, host, port, path, f->value,
	    f->value_len, url, sizeof(url)) != 1 ||
	    cache_key_stored(url, key) == -1)
		return;
	if (wr_delete(key, NULL, NULL) != NULL)
		q->flags |= Q_PENDING;
}

/* Host, port and path of the request URL (for uri_same_origin). */
static int
cache_url_parts(const char *url, int *https, char *host, size_t hostsz,
    unsigned *port, const char **path)
{
	const char *a, *e, *c;
	size_t n;

	*https = str_iprefix(url, strlen(url), "https://");
	if (!*https && !str_iprefix(url, strlen(url), "http://"))
		return -1;
	a = url + (*https ? 8 : 7);
	e = a + strcspn(a, "/?");
	*path = *e != '\0' ? e : "/";
	if (*a == '[') {
		if ((c = memchr(a, ']', (size_t)(e - a))) == NULL)
			return -1;
		n = (size_t)(c - a - 1);
		if (n >= hostsz)
			return -1;
		memcpy(host, a + 1, n);
		c++;
	} else {
		c = memchr(a, ':', (size_t)(e - a));
		n = (size_t)((c != NULL ? c : e) - a);
		if (n >= hostsz)
			return -1;
		memcpy(host, a, n);
	}
	host[n] = '\0';
	*port = *https ? 443 : 80;
	if (c != NULL && c < e && *c == ':')
		*port = (unsigned)strtoul(c + 1, NULL, 10);
	return 0;
}

/* Do @p a and @p b both carry @p name with different values? */
static int
cache_differ(const struct http_head *a, const struct http_head *b,
    const char *name)
{
	const struct http_field *fa = http_hdr_find(a, name),
	    *fb = http_hdr_find(b, name);

	return fa != NULL && fb != NULL && (fa->value_len != fb->value_len ||
	    memcmp(fa->value, fb->value, fa->value_len) != 0);
}

/*
 * RFC 9111 §4.3.5: a 200 to a HEAD we forwarded freshens the stored GET
 * response it matches (same ETag, Last-Modified and Content-Length where
 * both carry them), like a 304 would; one that does not match means the
 * stored response is outdated: it is removed (the shared-cache way of
 * "marking it stale": the next GET fetches it anew).
 */
static void
cache_head_response(struct cache_req *q, const struct http_head *nh,
    int64_t now)
{
	struct http_head *h = &cache_hit.h;
	struct store_meta m;
	struct store_obj o;
	struct buf *b = NULL;

	if (nh->status != 200 || cache_get(q, now, &o) != 1)
		return;
	cache_hit_release();
	if (cache_parse(o.head, o.headlen, h) == -1 || h->status != 200)
		goto out;
	if (cache_differ(h, nh, "ETag") || cache_differ(h, nh,
	    "Last-Modified") || cache_differ(h, nh, "Content-Length")) {
		log_debug("cache: HEAD %s: the stored response is outdated",
		    q->url);
		if (wr_delete(q->key, NULL, NULL) != NULL)
			q->flags |= Q_PENDING;
		goto out;
	}
	if ((b = buf_get(cache_conf->reply_header_max_size + 1024)) == NULL ||
	    cond_merge(b, h, nh, 1) == -1)
		goto out;
	m = o.meta;
	m.request_time = q->request_time;
	m.response_time = now;
	m.date = cache_date(nh, o.meta.date);
	if (wr_update(q->key, q->skey, q->skeylen, b->pos, buf_len(b), &m,
	    NULL, NULL) != NULL)
		q->flags |= Q_PENDING;
out:
	buf_put(b);
	store_obj_release(&o);
}

/*
 * RFC 9111 §4.1: the Vary of a response to store.  A spec other than
 * the stored one replaces it, and the variants of the old one go.
 * @return 0 (skey set for the variant), or -1: do not store.
 */
static int
cache_vary_store(struct cache_req *q, const struct http_head *h)
{
	char spec[STORE_VARY_MAX + 1];

	if (vary_spec(h, spec, sizeof(spec)) != VARY_OK)
		return -1;	/* Vary: *, or too large */
	/*
	 * Keyed gzip or identity (vary.h): only a response in that coding
	 * may be stored under the key, whatever an origin sent unasked.
	 */
	if (cache_spec_has(spec, "accept-encoding")) {
		int coding = cache_coding(h);

		if (coding == -1 || (coding == 1 && !q->ae_gzip))
			return -1;
	}
	/*
	 * The writer compares it with what is stored when its turn comes,
	 * in order with the commits queued before (another request may have
	 * changed it meanwhile): a spec other than the stored one replaces
	 * it, and the variants of the old one, unreachable now, go.
	 */
	wr_vary_set(q->key, spec, strlen(spec));
	if ((q->vspec_new = cache_strdup(q, spec, strlen(spec))) == NULL)
		return -1;
	/* The variant's key under the spec it is stored with. */
	return cache_skey(q, spec);
}

int
cache_response(struct cache_req *q, const struct http_head *h, int chunked,
    uint64_t length, int64_t now)
{
	const struct conf *c = cache_conf;
	char host[256];
	const char *path, *why = NULL;
	struct store_meta m;
	struct cc rs;
	struct buf *b;
	unsigned port;
	int https;
	size_t i;

	q->fwd_status = h->status;
	if (cache_store == NULL)
		return CACHE_OK;
	if (q->reval_etag != NULL || q->reval_lm != NULL)
		q->code = "TCP_REFRESH_MODIFIED";	/* a new 200 replaces it */
	/* RFC 9111 §4.4: a non-error answer to an unsafe method invalidates. */
	if ((q->flags & Q_INVALIDATE) && h->status < 400) {
		if (wr_delete(q->key, NULL, NULL) != NULL)
			q->flags |= Q_PENDING;
		if (cache_url_parts(q->url, &https, host, sizeof(host), &port,
		    &path) == 0)
			for (i = 0; i < h->nfields; i++)
				if (http_field_is(&h->fields[i], "Location") ||
				    http_field_is(&h->fields[i],
				    "Content-Location"))
					cache_invalidate_ref(q, https, host,
					    port, path, &h->fields[i]);
		return CACHE_OK;
	}
	if (!(q->flags & Q_LOOKUP))
		goto no;
	if (q->flags & Q_HEAD) {
		cache_head_response(q, h, now);
		goto no;
	}
	if (!store_storing(cache_store))
		goto no;
	policy_cc(h, 0, &rs);
	if (!policy_storable("GET", (q->flags & Q_AUTH) != 0, &q->rq, h, &rs,
	    &why)) {
		log_debug("cache: %s not stored: %s", q->url, why);
		goto no;
	}
	/* A declared length is checked now; others while they stream. */
	if (length != UINT64_MAX && (length > c->maximum_object_size ||
	    length < c->minimum_object_size))
		goto no;
	if (cache_vary_store(q, h) == -1)
		goto no;
	if ((b = buf_get(c->reply_header_max_size + 1024)) == NULL)
		goto no;
	memset(&m, 0, sizeof(m));
	m.status = h->status;
	m.request_time = q->request_time;
	m.response_time = now;
	/* No Date: cond_head_bytes() adds one, the time it came. */
	m.date = cache_date(h, now);
	if (cond_head_bytes(h, b, now) == 0 &&
	    (q->obj = wr_begin(q->key, q->skey, q->skeylen, b->pos,
	    buf_len(b), &m)) != NULL) {
		q->chunked = chunked;
		q->len = 0;
		memset(&q->chunk, 0, sizeof(q->chunk));
		cf_publish(&q->cf, b->pos, buf_len(b), &m, q->vspec_new,
		    q->skey, q->skeylen, length, q->obj);
	}
	buf_put(b);
	if (q->obj != NULL)
		return CACHE_STORING;
no:
	/* A fetch whose response is not stored has nothing to share. */
	cf_settle(&q->cf, CF_NOT_SHARED);
	return CACHE_OK;
}

void
cache_status_line(const struct cache_req *q, char *out, size_t n)
{
	if (q == NULL || q->fwd == NULL) {
		out[0] = '\0';
		return;
	}
	snprintf(out, n, "Cache-Status: sluice; fwd=%s; fwd-status=%d%s\r\n",
	    q->fwd, q->fwd_status, q->obj != NULL ? "; stored" : "");
}

int
cache_hold(const struct cache_req *q)
{
	return q != NULL && (q->obj != NULL || (q->flags & Q_PENDING));
}

const char *
cache_req_code(const struct cache_req *q)
{
	return q != NULL ? q->code : NULL;
}

int
cache_storing(const struct cache_req *q)
{
	return q != NULL && q->obj != NULL;
}

int
cache_keep_fetching(const struct cache_req *q, uint64_t got, uint64_t total)
{
	const struct conf *c = cache_conf;

	if (!cache_storing(q))
		return 0;
	if (cf_followers(&q->cf) > 0)
		return 1;	/* others wait for it */
	return policy_quick_abort(c->quick_abort_min, c->quick_abort_max,
	    c->quick_abort_pct, got, total);
}

/* Stop storing this response (the writer drops it). */
static void
cache_store_stop(struct cache_req *q, const char *why)
{
	log_info("cache: stopped storing %s: %s", q->url, why);
	cf_settle(&q->cf, CF_FAILED);
	wr_abort(q->obj);
	q->obj = NULL;
	wr_unwait(&q->wait);
}

static int
cache_append(struct cache_req *q, const char *p, size_t n)
{
	if (n == 0)
		return 0;
	q->len += n;
	if (q->len > cache_conf->maximum_object_size) {
		cache_store_stop(q, "larger than maximum_object_size");
		return -1;
	}
	if (wr_append(q->obj, p, n) == -1) {
		cache_store_stop(q, "the writer failed");
		return -1;
	}
	cf_body(&q->cf, p, n);
	return 0;
}

int
cache_body(struct cache_req *q, const char *p, size_t n, cache_wake_f *wake,
    void *arg)
{
	char scratch[16384];
	size_t k, out;
	ssize_t rc;
	int done;

	if (q == NULL || q->obj == NULL || n == 0)
		return CACHE_OK;
	if (wr_failed(q->obj)) {
		cache_store_stop(q, "the store refused it");
		return CACHE_OK;
	}
	if (!wr_room(n)) {
		/* Backpressure: the relay waits for the writer. */
		q->wait.fn = wake;
		q->wait.arg = arg;
		wr_wait(&q->wait);
		return CACHE_AGAIN;
	}
	if (!q->chunked) {
		(void)cache_append(q, p, n);
		return CACHE_OK;
	}
	/*
	 * The client gets the chunked framing as it came; the store keeps
	 * the data only (RFC 9112 §7.1), decoded from a copy.
	 */
	while (n > 0) {
		k = n < sizeof(scratch) ? n : sizeof(scratch);
		memcpy(scratch, p, k);
		done = 0;
		rc = http_chunked_scan(&q->chunk, scratch, k, 1, &out, &done);
		if (rc < 0) {
			cache_store_stop(q, "bad chunked framing");
			return CACHE_OK;
		}
		if (cache_append(q, scratch, out) == -1 || done)
			return CACHE_OK;
		p += k;
		n -= k;
	}
	return CACHE_OK;
}

/* The commit is done (or failed): followers of an unknown length may go. */
static void
cache_committed(void *arg, int rc)
{
	struct cache_req *q = arg;

	cf_settle(&q->cf, rc == 0 ? CF_DONE : CF_FAILED);
	if (rc != 0)
		log_info("cache: %s could not be stored", q->url);
	cache_job_done(q, rc);
}

int
cache_body_end(struct cache_req *q, int complete, cache_wake_f *done,
    void *arg)
{
	struct wr_obj *o;

	if (q == NULL)
		return CACHE_OK;
	if (q->job != NULL) {
		/* Called again while waiting: keep waiting. */
		q->done = done;
		q->done_arg = arg;
		return CACHE_AGAIN;
	}
	wr_unwait(&q->wait);
	if ((o = q->obj) != NULL) {
		q->obj = NULL;
		if (complete && q->len < cache_conf->minimum_object_size)
			complete = 0;	/* known only now for a chunked body */
		if (complete && !wr_failed(o)) {
			q->flags &= ~(unsigned)Q_PENDING;
			return cache_wait_job(q, wr_commit(o, (int64_t)time(NULL),
			    cache_committed, q), done, arg);
		}
		cf_settle(&q->cf, CF_FAILED);
		wr_abort(o);
	}
	/* Deletes or updates queued for this response: let them land first. */
	if (q->flags & Q_PENDING) {
		q->flags &= ~(unsigned)Q_PENDING;
		if (cache_wait_job(q, wr_fence(cache_job_done, q), done, arg) ==
		    CACHE_AGAIN)
			return CACHE_AGAIN;
	}
	return CACHE_OK;
}

/* ------------------------------------------------------ revalidation */

int
cache_revalidated(struct cache_req *q, const struct http_head *nh,
    int64_t now, const struct cache_hit **hit, cache_wake_f *wake, void *arg)
{
	struct cache_hit_int *hi = &cache_hit;
	struct store_meta m;
	struct buf *b = NULL, *bs = NULL;
	int64_t life, age;

	*hit = NULL;
	if (q->job != NULL)
		return CACHE_AGAIN;
	if (!q->have_robj) {
		/* The entry the 304 is about, kept until it is served. */
		if (cache_store == NULL || cache_get(q, now, &q->robj) != 1)
			goto gone;
		q->have_robj = 1;
		cache_hit_release();
		if (cache_parse(q->robj.head, q->robj.headlen, &hi->h) == -1 ||
		    !cond_304_matches(&hi->h, nh, q->reval_etag, q->reval_lm))
			goto gone;
		/* The store's copy leaves out what is not for others. */
		if ((b = buf_get(cache_conf->reply_header_max_size + 1024)) ==
		    NULL || (bs = buf_get(cache_conf->reply_header_max_size +
		    1024)) == NULL || cond_merge(bs, &hi->h, nh, 1) == -1 ||
		    cond_merge(b, &hi->h, nh, 0) == -1 ||
		    (q->merged = cache_strdup(q, b->pos, buf_len(b))) == NULL) {
			buf_put(b);
			buf_put(bs);
			goto gone;
		}
		q->mergedlen = buf_len(b);
		buf_put(b);
		m = q->robj.meta;
		m.request_time = q->request_time;
		m.response_time = now;
		m.date = cache_date(nh, q->robj.meta.date);
		q->merged_meta = m;
		/* Served once the store has it: the next request finds it. */
		if (cache_wait_job(q, wr_update(q->key, q->skey, q->skeylen,
		    bs->pos, buf_len(bs), &m, cache_job_done, q), wake, arg) ==
		    CACHE_AGAIN) {
			buf_put(bs);
			return CACHE_AGAIN;
		}
		buf_put(bs);
	}
	/* Serve the updated entry: the merged head, the stored body. */
	if (cache_hit_begin(q->merged, q->mergedlen) == -1)
		goto gone;
	hi->o = q->robj;
	hi->have_o = 1;
	q->have_robj = 0;
	hi->body_len = hi->o.body_len;
	cache_times(q, &hi->h, &q->merged_meta, now, &life, &age);
	*hit = cache_hit_fill(q, age, life, HIT_REVALIDATED, NULL);
	return CACHE_FRESH;
gone:
	/* §4.3.4: it matches nothing we have: ask without conditions. */
	if (q->have_robj)
		store_obj_release(&q->robj);
	q->have_robj = 0;
	q->reval_etag = q->reval_lm = NULL;
	q->code = NULL;
	q->fwd = "miss";
	return CACHE_MISS;
}

/* -------------------------------------------------- Range of a miss */

int
cache_range_whole(struct cache_req *q, const struct http_head *rq)
{
	const struct http_field *rf = http_hdr_find(rq, "Range"),
	    *ir = http_hdr_find(rq, "If-Range");
	int64_t limit = cache_conf->range_offset_limit;
	struct range rg;

	if (rf == NULL || !(q->flags & Q_LOOKUP) || (q->flags & Q_HEAD) ||
	    limit == 0 || cond_client_validating(rq) ||
	    !store_storing(cache_store))
		return 0;
	/*
	 * squid's range_offset_limit: a range that starts below it is worth
	 * the whole object.  Its start, against an unknown length: parse
	 * against the largest length (a suffix range starts at the end).
	 */
	if (range_parse(rf->value, rf->value_len, UINT64_MAX - 1, &rg) !=
	    RANGE_OK || (limit > 0 && rg.first >= (uint64_t)limit))
		return 0;
	if ((q->range = cache_strdup(q, rf->value, rf->value_len)) == NULL)
		return 0;
	if (ir != NULL && (q->if_range = cache_strdup(q, ir->value,
	    ir->value_len)) == NULL) {
		q->range = NULL;
		return 0;
	}
	return 1;
}

int
cache_range_answer(const struct cache_req *q, const struct http_head *h,
    uint64_t total, uint64_t *first, uint64_t *last)
{
	const struct http_field *et, *lm;
	struct range rg;

	if (q == NULL || q->range == NULL || h->status != 200 ||
	    total == UINT64_MAX)
		return RANGE_NONE;
	/* RFC 9110 §13.1.5: If-Range against the response's validators. */
	if (q->if_range != NULL) {
		et = http_hdr_find(h, "ETag");
		lm = http_hdr_find(h, "Last-Modified");
		if (!range_if_range(q->if_range, strlen(q->if_range),
		    et ? et->value : NULL, et ? et->value_len : 0,
		    lm ? lm->value : NULL, lm ? lm->value_len : 0))
			return RANGE_NONE;
	}
	(void)range_parse(q->range, strlen(q->range), total, &rg);
	*first = rg.first;
	*last = rg.last;
	return rg.rc;
}

/* ------------------------------------------------ collapsed forwarding */

int
cache_cf_join(struct cache_req *q, const struct http_head *rq,
    cache_wake_f *wake, void *arg)
{
	int rc;

	if (cache_store == NULL || !(q->flags & Q_LOOKUP) ||
	    (q->flags & Q_HEAD))
		return CACHE_OK;
	/*
	 * GETs without validator conditions take part; a Range is answered
	 * from the arriving response (cache_cf_poll()).
	 */
	if (cond_client_validating(rq))
		return CACHE_OK;
	rc = cf_join(&q->cf, q->key, 1, wake, arg);
	if (rc == CACHE_CF_FOLLOWER && cf_remote(&q->cf))
		log_debug("cache: %s: follows the fetch of another worker",
		    q->url);
	return rc;
}

int
cache_cf_poll(struct cache_req *q, const struct http_head *rq, int64_t now,
    const struct cache_hit **hit)
{
	struct cache_hit_int *hi = &cache_hit;
	const char *head, *spec, *skey;
	struct store_meta meta;
	size_t headlen, skeylen;
	uint64_t total;
	int64_t life, age;

	*hit = NULL;
	switch (cf_state(&q->cf)) {
	case CF_WAIT_HEAD:
		return CACHE_AGAIN;
	case CF_BODY:
	case CF_DONE:
		break;
	default:
		goto origin;
	}
	if (cf_response(&q->cf, &head, &headlen, &meta, &spec, &skey,
	    &skeylen, &total) == -1)
		goto origin;
	if (total == UINT64_MAX)
		return CACHE_AGAIN;	/* unknown length: wait for all */
	/* Vary: the leader's variant must be this request's too (§4.1). */
	if (spec[0] != '\0' && (cache_skey(q, spec) == -1 ||
	    q->skeylen != skeylen || memcmp(q->skey, skey, skeylen) != 0))
		goto origin;
	if (cache_hit_begin(head, headlen) == -1)
		goto origin;
	hi->body_len = total;
	/* RFC 9110 §14: a Range of the arriving body, as far as it goes. */
	if (rq != NULL && http_hdr_has(rq, "Range"))
		(void)range_select(rq, &hi->h, total, &hi->rg);
	cache_times(q, &hi->h, &meta, now, &life, &age);
	*hit = cache_hit_fill(q, age, life, HIT_COLLAPSED, NULL);
	((struct cache_hit *)*hit)->follow = !(*hit)->head_only;
	if ((*hit)->head_only)
		cf_leave(&q->cf);	/* nothing to follow */
	return CACHE_FRESH;
origin:
	cf_leave(&q->cf);
	q->fwd = "miss";
	return CACHE_MISS;
}

int
cache_cf_body(struct cache_req *q, uint64_t off, struct cache_slice *s)
{
	return cf_read(&q->cf, off, s);
}

int
cache_cf_lead_lag(struct cache_req *q, cache_wake_f *wake, void *arg)
{
	if (q == NULL || q->obj == NULL || !cf_shared(&q->cf))
		return 0;
	cf_watch(&q->cf, wake, arg);
	return 1;
}

unsigned
cache_cf_followers(const struct cache_req *q)
{
	return q != NULL ? cf_followers(&q->cf) : 0;
}

void
cache_cf_leave(struct cache_req *q)
{
	if (q == NULL || q->cf.cf == NULL)
		return;
	if (!q->cf.leader)
		q->fwd = "miss";	/* it asks the origin itself now */
	cf_leave(&q->cf);
}
