/*
 * cache_req.c -- the cache in the request path (see cache_req.h).
 * Runs in the workers.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/sendfile.h>
#include <sys/socket.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
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

#include "accesslog.h"
#include "cache_access.h"
#include "cache_req.h"
#include "conf.h"
#include "conn.h"
#include "http_hdr.h"
#include "log.h"
#include "policy.h"
#include "range.h"
#include "refresh.h"
#include "sl.h"
#include "store.h"
#include "str.h"
#include "uri.h"
#include "vary.h"
#include "worker.h"

/* Collapsed forwarding (see the end of this file). */
enum cf_state {
	CF_WAIT_HEAD,		/* the leader waits for the origin */
	CF_BODY,		/* storing: followers may follow */
	CF_DONE,		/* stored whole */
	CF_FAILED,		/* storing broke after the head */
	CF_NOT_SHARED,		/* nothing to follow: go to the origin */
};

struct cache_cf;
static int	cache_cf_join(struct conn *);
static void	cache_cf_publish(struct conn *, const void *, size_t,
		    const struct store_meta *, const char *);
static void	cache_cf_progress(struct conn *, const char *, size_t);
static int	cache_cf_send(struct conn *);
static void	cf_settle(struct cache_cf *, int);

static struct store	*cache_store;
static struct http_head	 cache_head;	/* a stored head, during one step */
static char		*cache_parse_buf;	/* what cache_head points into */
static size_t		 cache_parse_cap;
static struct ev_timer	 cache_flush_timer;

static void
cache_flush_cb(struct ev_timer *t)
{
	store_touch_flush(cache_store);
	ev_timer_arm(t, 1000, cache_flush_cb, NULL);
}

void
cache_worker_init(void)
{
	if (worker_conf->cache_dir == NULL)
		return;
	if (store_open(worker_conf->cache_dir, worker_conf->cache_dir_size,
	    &cache_store) == -1) {
		log_warnx("cache_dir %s cannot be opened: proxying without "
		    "caching", worker_conf->cache_dir);
		cache_store = NULL;
		return;
	}
	ev_timer_arm(&cache_flush_timer, 1000, cache_flush_cb, NULL);
}

void
cache_worker_end(void)
{
	if (cache_store == NULL)
		return;
	ev_timer_stop(&cache_flush_timer);
	store_close(cache_store);
	cache_store = NULL;
	free(cache_parse_buf);
	cache_parse_buf = NULL;
	cache_parse_cap = 0;
}

/* The primary key: SHA-256 of the method class and the normalised URL. */
static int
cache_key(const char *url, uint8_t key[STORE_KEY_LEN])
{
	SHA256_CTX x;

	return SHA256_Init(&x) == 1 && SHA256_Update(&x, "GET ", 4) == 1 &&
	    SHA256_Update(&x, url, strlen(url)) == 1 &&
	    SHA256_Final(key, &x) == 1 ? 0 : -1;
}

/*
 * Parse stored head bytes (they lack the empty line) into @p h, which
 * then points into one buffer of this worker: valid until the next call.
 * The buffer grows to the largest head seen and is kept (no allocation
 * per hit).
 * @return 0, or -1 with @p *why.
 */
static int
cache_parse(const void *bytes, size_t len, struct http_head *h,
    const char **why)
{
	char *nb;

	if (len + 2 > cache_parse_cap) {
		if ((nb = realloc(cache_parse_buf, len + 2)) == NULL) {
			*why = "out of memory";
			return -1;
		}
		cache_parse_buf = nb;
		cache_parse_cap = len + 2;
	}
	memcpy(cache_parse_buf, bytes, len);
	memcpy(cache_parse_buf + len, "\r\n", 2);
	return http_response_parse(cache_parse_buf, len + 2, h, why) == 0 ?
	    0 : -1;
}

/*
 * Lifetime and current age of a stored head (RFC 9111 §4.2.1, §4.2.3);
 * a heuristic lifetime from the refresh_pattern of @p url (§4.2.2).
 */
static void
cache_times(const struct http_head *h, const struct store_meta *m,
    const char *url, int64_t now, int64_t *life, int64_t *age)
{
	struct refresh rp;
	struct cc rs;
	int64_t ageval = policy_age_field(h);
	int heur;

	policy_cc(h, 0, &rs);
	/* The refresh_pattern regexes only when the heuristic is needed. */
	*life = policy_lifetime(h, &rs, m->response_time, NULL, &heur);
	if (heur) {
		(void)refresh_for(worker_conf, url, &rp);
		*life = policy_lifetime(h, &rs, m->response_time, &rp, &heur);
	}
	*age = policy_age(m->date > 0 ? m->date : -1, ageval, m->request_time,
	    m->response_time, now);
}

/* PURGE (squid): remove every stored variant; 200, or 404 when none. */
static int
cache_purge(struct conn *c)
{
	struct req *r = &c->r;
	int n = store_delete(cache_store, r->r_cache_key);

	if ((c->obuf = buf_get(BUF_SMALL)) == NULL)
		return req_fail(c, ERR_NO_RESOURCES);
	r->r_status = n > 0 ? 200 : 404;
	if (!r->r_body.done || worker_draining())
		r->r_keepalive = 0;
	if (buf_printf(c->obuf, "HTTP/1.1 %d %s\r\nServer: sluice/"
	    PACKAGE_VERSION "\r\nContent-Length: 0\r\n%s\r\n", r->r_status,
	    n > 0 ? "OK" : "Not Found", r->r_keepalive ? "" :
	    "Connection: close\r\n") == -1)
		return req_fail(c, ERR_NO_RESOURCES);
	log_info("conn %u client %s: PURGE %s: %d entries removed", c->id,
	    c->c_peer_text, r->r_url, n < 0 ? 0 : n);
	req_consume_head(c);
	r->r_synth = 1;
	r->r_step = REQ_DELIVER;
	return SL_OK;
}

/* One entity-tag of a list, for the weak comparison (RFC 9110 §8.8.3.2). */
static int
cache_etag_in(const char *list, size_t n, const char *tag, size_t tn)
{
	const char *p = list, *e = list + n, *s;

	if (tn >= 2 && tag[0] == 'W' && tag[1] == '/') {
		tag += 2;
		tn -= 2;
	}
	while (p < e) {
		while (p < e && (*p == ' ' || *p == '\t' || *p == ','))
			p++;
		if (e - p >= 2 && p[0] == 'W' && p[1] == '/')
			p += 2;
		if (p >= e || *p != '"')
			return 0;	/* not an entity-tag list */
		if ((s = memchr(p + 1, '"', (size_t)(e - p - 1))) == NULL)
			return 0;
		if ((size_t)(s + 1 - p) == tn && memcmp(p, tag, tn) == 0)
			return 1;
		p = s + 1;
	}
	return 0;
}

/*
 * RFC 9110 §13.1.2, §13.1.3, §13.2.2: does the client's own condition
 * make a 304 of this fresh stored 200?  If-None-Match first; then
 * If-Modified-Since, only without it.
 */
static int
cache_not_modified(const struct http_head *rq, const struct http_head *h)
{
	const struct http_field *inm = NULL, *ims = NULL, *etag = NULL,
	    *lm = NULL;
	int64_t since, mod;
	size_t i;

	if (h->status != 200)
		return 0;
	for (i = 0; i < rq->nfields; i++) {
		if (http_field_is(&rq->fields[i], "If-None-Match"))
			inm = &rq->fields[i];
		else if (http_field_is(&rq->fields[i], "If-Modified-Since"))
			ims = &rq->fields[i];
	}
	for (i = 0; i < h->nfields; i++) {
		if (http_field_is(&h->fields[i], "ETag"))
			etag = &h->fields[i];
		else if (http_field_is(&h->fields[i], "Last-Modified"))
			lm = &h->fields[i];
	}
	if (inm != NULL) {
		if (str_ieq(inm->value, inm->value_len, "*"))
			return 1;
		return etag != NULL && cache_etag_in(inm->value,
		    inm->value_len, etag->value, etag->value_len);
	}
	if (ims == NULL || lm == NULL ||
	    (since = policy_date(ims->value, ims->value_len)) < 0 ||
	    (mod = policy_date(lm->value, lm->value_len)) < 0)
		return 0;
	return mod <= since;
}

/* Fields a 304 carries (RFC 9110 §15.4.5). */
static int
cache_304_field(const struct http_field *f)
{
	static const char *const keep[] = { "ETag", "Cache-Control",
	    "Expires", "Last-Modified", "Date", "Vary", "Content-Location",
	    NULL };
	size_t i;

	for (i = 0; keep[i] != NULL; i++)
		if (http_field_is(f, keep[i]))
			return 1;
	return 0;
}

/*
 * A ranged answer (206 or 416, cache/range.h) carries its own framing:
 * the stored Content-Length and any Content-Range are not copied.
 */
static int
cache_range_skip(const struct range *rg, const struct http_field *f)
{
	return rg != NULL && rg->rc != RANGE_NONE &&
	    (http_field_is(f, "Content-Length") ||
	    http_field_is(f, "Content-Range"));
}

/*
 * Serve @p o: the stored head without its Age and framing, then
 * Content-Length (or the range's), Age, Cache-Status, Via and our
 * connection fields; the body inline or by sendfile (HIT_SEND).
 */
static int
cache_serve(struct conn *c, struct store_obj *o, const struct http_head *h,
    int64_t age, int64_t ttl, int nm, const struct range *rg)
{
	struct req *r = &c->r;
	struct buf *b;
	char cs[128];
	size_t i, need;
	int part = rg != NULL && rg->rc == RANGE_OK;
	int unsat = rg != NULL && rg->rc == RANGE_UNSATISFIABLE;

	buf_put(c->obuf);	/* after a revalidation: the request head */
	need = o->headlen + 512 + (part || unsat ? 128 : 0) +
	    (o->body != NULL ? o->body_len : 0);
	b = c->obuf = buf_get(need <= BUF_SMALL ? BUF_SMALL :
	    worker_conf->reply_header_max_size + STORE_INLINE_MAX + 1024);
	if (b == NULL)
		return -1;
	if (nm) {
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
		if (http_field_is(&h->fields[i], "Age") ||
		    http_field_is(&h->fields[i], "Content-Length") ||
		    (nm && !cache_304_field(&h->fields[i])) ||
		    cache_range_skip(rg, &h->fields[i]))
			continue;
		if (http_hdr_copy(b, &h->fields[i]) == -1)
			return -1;
	}
	/*
	 * The length is the store's (a chunked original was stored whole);
	 * never on a 204 (RFC 9110 §8.6).
	 */
	if (!nm && !part && !unsat && h->status != 204 &&
	    buf_printf(b, "Content-Length: %llu\r\n",
	    (unsigned long long)o->body_len) == -1)
		return -1;
	/* RFC 9211: what the cache did; squid's code for the log. */
	if (r->r_cache_stale_err != NULL) {
		snprintf(cs, sizeof(cs), "fwd=stale; ttl=%lld; detail=%s",
		    (long long)ttl, r->r_cache_stale_err);
		r->r_code = "TCP_REFRESH_FAIL_OLD";
	} else if (r->r_cf != NULL) {
		snprintf(cs, sizeof(cs), "fwd=miss; fwd-status=%d; collapsed; "
		    "ttl=%lld", h->status, (long long)ttl);
		r->r_code = "TCP_CF_HIT";
	} else if (r->r_reval_done) {
		snprintf(cs, sizeof(cs), "fwd=stale; fwd-status=304; ttl=%lld",
		    (long long)ttl);
		r->r_code = "TCP_REFRESH_UNMODIFIED";
	} else {
		snprintf(cs, sizeof(cs), "hit; ttl=%lld", (long long)ttl);
		r->r_code = nm ? "TCP_INM_HIT" : "TCP_HIT";
	}
	if (buf_printf(b, "Age: %lld\r\nCache-Status: sluice; %s\r\n",
	    (long long)age, cs) == -1 ||
	    http_hdr_via(b, 11, worker_conf->visible_hostname) == -1)
		return -1;
	/* RFC 9110 §14.4: the slice, or only the length for a 416. */
	if (part && buf_printf(b, "Content-Range: bytes %llu-%llu/%llu\r\n"
	    "Content-Length: %llu\r\n", (unsigned long long)rg->first,
	    (unsigned long long)rg->last, (unsigned long long)o->body_len,
	    (unsigned long long)(rg->last - rg->first + 1)) == -1)
		return -1;
	if (unsat && buf_printf(b, "Content-Range: bytes */%llu\r\n"
	    "Content-Length: 0\r\n", (unsigned long long)o->body_len) == -1)
		return -1;
	if (!r->r_keepalive && buf_printf(b, "Connection: close\r\n") == -1)
		return -1;
	if (r->r_keepalive && r->r_version == 10 &&
	    buf_printf(b, "Connection: keep-alive\r\n") == -1)
		return -1;
	if (buf_append(b, "\r\n", 2) == -1)
		return -1;
	accesslog_capture_reply(c, h, 0);
	r->r_status = nm ? 304 : part ? 206 : unsat ? 416 : h->status;
	r->r_hier = "HIER_NONE";
	r->r_bytes_out = 0;
	if (nm || unsat || r->r_is_head || o->body_len == 0) {
		r->r_synth = 1;
		r->r_step = REQ_DELIVER;
		return 0;
	}
	if (o->body != NULL) {
		if (buf_append(b, o->body + (part ? rg->first : 0),
		    part ? (size_t)(rg->last - rg->first + 1) :
		    (size_t)o->body_len) == -1)
			return -1;
		r->r_synth = 1;
		r->r_step = REQ_DELIVER;
		return 0;
	}
	/* The body file: HIT_SEND sends it after the head (sendfile). */
	r->r_hit_fd = o->body_fd;
	o->body_fd = -1;
	r->r_hit_off = part ? (off_t)rg->first : 0;
	r->r_hit_left = part ? rg->last - rg->first + 1 : o->body_len;
	req_timer(c, worker_conf->read_timeout);
	r->r_step = REQ_HIT_SEND;
	return 0;
}

/*
 * RFC 9111 §4.3.1: a stored response that needs checking is asked for
 * with its validators, unless the client sent conditions of its own (or
 * a Range): then the exchange is the client's.
 */
static void
cache_validators(struct conn *c, const struct http_head *h)
{
	struct req *r = &c->r;
	const struct http_field *f;
	size_t i;

	for (i = 0; i < r->r_head->nfields; i++) {
		f = &r->r_head->fields[i];
		if (http_field_is(f, "If-None-Match") ||
		    http_field_is(f, "If-Modified-Since") ||
		    http_field_is(f, "If-Match") ||
		    http_field_is(f, "If-Unmodified-Since") ||
		    http_field_is(f, "If-Range") || http_field_is(f, "Range"))
			return;
	}
	for (i = 0; i < h->nfields; i++) {
		f = &h->fields[i];
		if (http_field_is(f, "ETag") && r->r_reval_etag == NULL)
			r->r_reval_etag = req_strdup(c, f->value, f->value_len);
		else if (http_field_is(f, "Last-Modified") &&
		    r->r_reval_lm == NULL)
			r->r_reval_lm = req_strdup(c, f->value, f->value_len);
	}
}

int
cache_conditional_fields(struct conn *c, struct buf *o)
{
	struct req *r = &c->r;

	if (r->r_reval_etag != NULL && buf_printf(o, "If-None-Match: %s\r\n",
	    r->r_reval_etag) == -1)
		return -1;
	if (r->r_reval_lm != NULL && buf_printf(o, "If-Modified-Since: %s\r\n",
	    r->r_reval_lm) == -1)
		return -1;
	return 0;
}

/* RFC 9111 §3.2: fields a 304 must not replace in the stored head. */
static int
cache_keep_stored(const struct http_field *f)
{
	return http_field_is(f, "Content-Length") ||
	    http_field_is(f, "Content-Encoding") ||
	    http_field_is(f, "Content-Range") || http_field_is(f, "Via");
}

/* Is a field named like @p f in @p h (the 304)? */
static int
cache_in(const struct http_head *h, const struct http_field *f)
{
	size_t i;

	for (i = 0; i < h->nfields; i++)
		if (h->fields[i].name_len == f->name_len &&
		    strncasecmp(h->fields[i].name, f->name, f->name_len) == 0)
			return 1;
	return 0;
}

/*
 * Set-Cookie (and the obsolete Set-Cookie2) is for the client whose
 * request brought it: a shared cache that served it to others would hand
 * one user's session to the next.  RFC 9111 lets a cache store it (§3;
 * §7.3 on the privacy risk); sluice stores the rest of the response and
 * leaves these fields out, as if the origin had sent
 * no-cache="Set-Cookie" (§5.2.2.4).  The fields named by a qualified
 * no-cache or private are left out the same way.
 */
static int
cache_private_field(const struct http_head *h, const struct http_field *f)
{
	return http_field_is(f, "Set-Cookie") ||
	    http_field_is(f, "Set-Cookie2") ||
	    policy_cc_omits(h, f->name, f->name_len);
}

/*
 * §3.2, §4.3.4: the stored head @p h updated by @p nh (a 304, or a 200 to
 * HEAD): its fields replace the stored ones, but not framing; into @p b.
 */
static int
cache_merge(struct buf *b, const struct http_head *h,
    const struct http_head *nh, int to_store)
{
	size_t i;

	if (buf_printf(b, "HTTP/1.1 %d %.*s\r\n", h->status,
	    (int)h->reason_len, h->reason) == -1)
		return -1;
	for (i = 0; i < h->nfields; i++)
		if ((cache_keep_stored(&h->fields[i]) ||
		    !cache_in(nh, &h->fields[i])) &&
		    http_hdr_copy(b, &h->fields[i]) == -1)
			return -1;
	for (i = 0; i < nh->nfields; i++)
		if (!http_hdr_is_hop(nh, i) && !cache_keep_stored(&nh->fields[i]) &&
		    !(to_store && cache_private_field(nh, &nh->fields[i])) &&
		    http_hdr_copy(b, &nh->fields[i]) == -1)
			return -1;
	return 0;
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
cache_head_response(struct conn *c, const struct http_head *nh)
{
	struct req *r = &c->r;
	struct http_head *h = &cache_head;
	struct store_meta m;
	struct store_obj o;
	struct buf *b = NULL;
	const char *why = NULL;
	int64_t now = (int64_t)time(NULL);

	if (nh->status != 200 || store_lookup(cache_store, r->r_cache_key,
	    r->r_cache_skey, r->r_cache_skey_len, now, &o) != 1)
		return;
	if (cache_parse(o.head, o.headlen, h, &why) == -1 ||
	    h->status != 200)
		goto out;
	if (cache_differ(h, nh, "ETag") || cache_differ(h, nh,
	    "Last-Modified") || cache_differ(h, nh, "Content-Length")) {
		log_debug("conn %u: HEAD %s: the stored response is outdated",
		    c->id, r->r_url);
		(void)store_delete(cache_store, r->r_cache_key);
		goto out;
	}
	if ((b = buf_get(worker_conf->reply_header_max_size + 1024)) == NULL ||
	    cache_merge(b, h, nh, 1) == -1)
		goto out;
	m = o.meta;
	m.request_time = r->r_start_sec;
	m.response_time = now;
	m.date = cache_date(nh, o.meta.date);
	if (store_update_head(cache_store, r->r_cache_key, r->r_cache_skey,
	    r->r_cache_skey_len, b->pos, buf_len(b), &m) == 1)
		log_debug("conn %u: HEAD %s freshened the stored response",
		    c->id, r->r_url);
out:
	buf_put(b);
	store_obj_release(&o);
}

int
cache_revalidated(struct conn *c, const struct http_head *nh, size_t n)
{
	struct req *r = &c->r;
	struct http_head *h = &cache_head;
	struct store_meta m;
	struct store_obj o;
	struct buf *b = NULL, *bs = NULL;
	const char *why = NULL;
	int64_t now = (int64_t)time(NULL), life, age;
	int rc;

	c->ubuf->pos += n;	/* the 304 has no body (RFC 9110 §15.4.5) */
	r->r_head = NULL;
	r->r_up_reusable = r->r_up_keep && r->r_body.done &&
	    buf_len(c->ubuf) == 0;
	if (cache_store == NULL || store_lookup(cache_store, r->r_cache_key,
	    r->r_cache_skey, r->r_cache_skey_len, now, &o) != 1) {
		log_warnx("conn %u: %s was revalidated but is no longer stored",
		    c->id, r->r_url);
		return req_fail(c, ERR_INVALID_RESP);
	}
	if ((b = buf_get(worker_conf->reply_header_max_size + 1024)) == NULL ||
	    cache_parse(o.head, o.headlen, h, &why) == -1)
		goto fail;
	/* The stored head leaves out what is not for other clients. */
	if ((bs = buf_get(worker_conf->reply_header_max_size + 1024)) == NULL ||
	    cache_merge(bs, h, nh, 1) == -1 || cache_merge(b, h, nh, 0) == -1)
		goto fail;
	m = o.meta;
	m.request_time = r->r_start_sec;
	m.response_time = now;
	m.date = cache_date(nh, o.meta.date);
	if (store_update_head(cache_store, r->r_cache_key, r->r_cache_skey,
	    r->r_cache_skey_len, bs->pos, buf_len(bs), &m) != 1)
		log_info("conn %u: the stored head of %s was not updated",
		    c->id, r->r_url);
	buf_put(bs);
	bs = NULL;
	/* Serve the updated entry, parsed from the merged bytes. */
	if (cache_parse(b->pos, buf_len(b), h, &why) == -1)
		goto fail;
	cache_times(h, &m, r->r_url, now, &life, &age);
	r->r_reval_done = 1;
	rc = cache_serve(c, &o, h, age, life - age, 0, NULL);
	buf_put(b);
	store_obj_release(&o);
	if (rc == -1)
		return req_fail(c, ERR_NO_RESOURCES);
	log_debug("conn %u: %s revalidated (304)", c->id, r->r_url);
	return SL_OK;
fail:
	log_warnx("conn %u: cannot serve the revalidated %s: %s", c->id,
	    r->r_url, why ? why : "no room");
	buf_put(bs);
	buf_put(b);
	store_obj_release(&o);
	return req_fail(c, ERR_INVALID_RESP);
}

/*
 * The secondary key of this request under @p spec, in the arena.
 * @return 0, or -1 when it does not fit.
 */
static int
cache_vary_skey(struct conn *c, const char *spec)
{
	struct req *r = &c->r;
	size_t room = c->arena->end - c->arena->last, n;
	char *k;

	if (r->r_cache_rqf == NULL || room < 64 ||
	    (k = req_alloc(c, room - 8)) == NULL)
		return -1;
	if ((n = vary_key(spec, r->r_cache_rqf, r->r_cache_rqf_len, k,
	    room - 8)) == (size_t)-1) {
		c->arena->last = k;
		return -1;
	}
	c->arena->last = k + ((n + 1 + 7) & ~(size_t)7);
	r->r_cache_skey = k;
	r->r_cache_skey_len = n;
	return 0;
}

/*
 * RFC 9111 §4.1: the request's fields are kept (for a Vary that the
 * response may bring), and when the URL has a stored Vary, the variant's
 * secondary key is built from them.
 * @return 0, or -1 when the request cannot be keyed (too large).
 */
static int
cache_vary_lookup(struct conn *c)
{
	struct req *r = &c->r;
	char spec[STORE_VARY_MAX + 1];
	size_t n, room, i;
	int rc;

	/* Exactly the room the copy takes: "name:value\n" per field. */
	for (room = 1, i = 0; i < r->r_head->nfields; i++)
		room += r->r_head->fields[i].name_len +
		    r->r_head->fields[i].value_len + 2;
	if ((r->r_cache_rqf = req_alloc(c, room)) == NULL)
		return -1;
	if ((n = vary_fields(r->r_head, r->r_cache_rqf, room)) ==
	    (size_t)-1) {
		r->r_cache_rqf = NULL;
		return -1;
	}
	r->r_cache_rqf_len = n;
	rc = store_vary_get(cache_store, r->r_cache_key, spec, sizeof(spec) - 1,
	    &n);
	if (rc != 1)
		return 0;	/* no Vary stored (or an error: a miss) */
	spec[n] = '\0';
	if ((r->r_cache_vspec = req_strdup(c, spec, n)) == NULL)
		return -1;
	return cache_vary_skey(c, spec);
}

int
cache_step_lookup(struct conn *c)
{
	struct req *r = &c->r;
	struct http_head *h;
	struct store_obj o;
	struct cc rq, rs;
	struct range rg;
	int64_t now, life, age;
	const char *why = NULL;
	size_t i;
	enum policy_use use;
	int rc, get, nm;

	r->r_step = REQ_CONNECT_UP;
	if (r->r_connect)
		return SL_OK;
	get = strcmp(r->r_method, "GET") == 0 || r->r_is_head;
	if (cache_store == NULL) {
		r->r_cache_fwd = "bypass";
		return SL_OK;
	}
	if (cache_key(r->r_url, r->r_cache_key) == -1) {
		r->r_cache_fwd = "bypass";
		return SL_OK;
	}
	if (strcmp(r->r_method, "PURGE") == 0)
		return cache_purge(c);
	if (!get || r->r_body.mode != HTTP_BODY_NONE) {
		r->r_cache_fwd = "method";
		/* RFC 9111 §4.4: unsafe methods invalidate (after success). */
		r->r_cache_invalidate = strcmp(r->r_method, "OPTIONS") != 0 &&
		    strcmp(r->r_method, "TRACE") != 0 && !get;
		return SL_OK;
	}
	policy_cc(r->r_head, 1, &rq);
	r->r_cache_rq = rq;
	/* squid's `cache deny`: neither served from nor stored in the cache. */
	if (!cache_access_allowed(c)) {
		r->r_cache_fwd = "bypass";
		goto miss;
	}
	for (i = 0; i < r->r_head->nfields; i++)
		if (http_field_is(&r->r_head->fields[i], "Authorization"))
			r->r_cache_auth = 1;
	r->r_cache_key_ok = 1;
	if (rq.flags & CC_NO_STORE) {
		r->r_cache_fwd = "request";
		r->r_cache_key_ok = 0;	/* §5.2.1.5: do not store either */
		return SL_OK;
	}
	now = (int64_t)time(NULL);
	if (cache_vary_lookup(c) == -1) {
		r->r_cache_fwd = "bypass";	/* a key we cannot build */
		r->r_cache_key_ok = 0;
		return SL_OK;
	}
	rc = store_lookup(cache_store, r->r_cache_key, r->r_cache_skey,
	    r->r_cache_skey_len, now, &o);
	if (rc != 1) {
		r->r_cache_fwd = r->r_cache_vspec != NULL ? "vary-miss" :
		    "uri-miss";
		goto miss;
	}
	/* The stored head, made parseable again by its empty line. */
	h = &cache_head;
	if (cache_parse(o.head, o.headlen, h, &why) == -1) {
		log_warnx("conn %u: stored head of %s does not parse: %s",
		    c->id, r->r_url, why ? why : "?");
		store_obj_release(&o);
		r->r_cache_fwd = "miss";
		goto miss;
	}
	policy_cc(h, 0, &rs);
	cache_times(h, &o.meta, r->r_url, now, &life, &age);
	use = policy_use(&rq, &rs, life, age);
	if (use == USE_FRESH || use == USE_STALE_OK) {
		nm = cache_not_modified(r->r_head, h);
		/* RFC 9110 §13.2.2: a 304 first; HEAD gets the 200's head. */
		rg.rc = RANGE_NONE;
		if (!nm && !r->r_is_head)
			(void)range_select(r->r_head, h, o.body_len, &rg);
		req_consume_head(c);
		rc = cache_serve(c, &o, h, age, life - age, nm, &rg);
		store_obj_release(&o);
		if (rc == -1)
			return req_fail(c, ERR_NO_RESOURCES);
		r->r_head = NULL;
		return SL_OK;
	}
	r->r_cache_fwd = rq.flags & CC_NO_CACHE ? "request" : "stale";
	/*
	 * §4.2.4: when the origin cannot be reached, a stale response may
	 * still be served, unless a directive forbids it: must-revalidate,
	 * proxy-revalidate, s-maxage (§5.2.2.10), no-cache, or a client
	 * that asked for freshness (no-cache, max-age, min-fresh).
	 */
	r->r_cache_stale_ok = age >= life && !(rs.flags & (CC_MUST_REVALIDATE |
	    CC_PROXY_REVALIDATE | CC_NO_CACHE | CC_NO_CACHE_FIELDS)) &&
	    rs.s_maxage < 0 && !(rq.flags & CC_NO_CACHE) && rq.max_age < 0 &&
	    rq.min_fresh < 0;
	cache_validators(c, h);
	store_obj_release(&o);
	return SL_OK;
miss:
	/* §5.2.1.7: nothing servable and the client will not wait. */
	if (rq.flags & CC_ONLY_IF_CACHED) {
		log_info("conn %u client %s: only-if-cached and %s is not "
		    "stored", c->id, c->c_peer_text, r->r_url);
		return req_fail(c, ERR_ONLY_IF_CACHED_MISS);
	}
	if (r->r_cache_key_ok)
		(void)cache_cf_join(c);
	return SL_OK;
}

/* HIT_SEND: the body file of a hit, after its head, by sendfile(2). */
int
cache_step_hit_send(struct conn *c)
{
	struct req *r = &c->r;
	ssize_t n;
	int rc;

	if (r->r_timed_out) {
		r->r_timed_out = 0;
		log_info("conn %u client %s: %s timed out while sending a hit",
		    c->id, c->c_peer_text, r->r_url);
		r->r_code_sfx = "_TIMEDOUT";
		goto end;
	}
	rc = req_flush_obuf(c);
	if (rc == SL_AGAIN)
		return SL_AGAIN;
	if (rc == SL_ERROR)
		goto gone;
	if (r->r_cf != NULL) {
		rc = cache_cf_send(c);
		if (rc == SL_AGAIN)
			return SL_AGAIN;
		cache_cf_leave(c);
		if (rc == SL_OK) {
			r->r_step = REQ_LOG;
			return SL_OK;
		}
		r->r_keepalive = 0;
		r->r_step = REQ_LOG;
		return SL_OK;
	}
	while (r->r_hit_left > 0) {
		n = sendfile(c->c_io.fd, r->r_hit_fd, &r->r_hit_off,
		    r->r_hit_left > (1 << 20) ? (1 << 20) :
		    (size_t)r->r_hit_left);
		if (n > 0) {
			r->r_hit_left -= (uint64_t)n;
			r->r_bytes_out += (uint64_t)n;
			req_timer(c, worker_conf->read_timeout);
			continue;
		}
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			return SL_AGAIN;
		if (n == 0) {
			/* The file is shorter than its record: never pad. */
			log_warnx("conn %u: stored body of %s ended early",
			    c->id, r->r_url);
			goto end;
		}
		goto gone;
	}
	close(r->r_hit_fd);
	r->r_hit_fd = -1;
	r->r_step = REQ_LOG;
	return SL_OK;
gone:
	log_info("conn %u client %s: client went away during a hit on %s",
	    c->id, c->c_peer_text, r->r_url);
	r->r_code_sfx = "_ABORTED";
end:
	if (r->r_hit_fd >= 0)
		close(r->r_hit_fd);
	r->r_hit_fd = -1;
	r->r_keepalive = 0;
	r->r_step = REQ_LOG;
	return SL_OK;
}

/*
 * The head to store: the status line and every end-to-end field as the
 * origin sent it (Age included, for §4.2.3), without the empty line and
 * without the fields that are not for other clients.
 */
static int
cache_head_bytes(const struct http_head *h, struct buf *b, int64_t received)
{
	size_t i;

	if (buf_printf(b, "HTTP/1.1 %d %.*s\r\n", h->status,
	    (int)h->reason_len, h->reason) == -1)
		return -1;
	for (i = 0; i < h->nfields; i++) {
		if (http_hdr_is_hop(h, i) || http_field_is(&h->fields[i], "Via") ||
		    cache_private_field(h, &h->fields[i]))
			continue;
		if (http_hdr_copy(b, &h->fields[i]) == -1)
			return -1;
	}
	/* RFC 9110 §6.6.1: no Date from the origin: the time it came. */
	if (!http_hdr_has(h, "Date") && http_hdr_date(b, (time_t)received) == -1)
		return -1;
	return 0;
}

/*
 * RFC 9111 §4.1: the Vary of a response to store.  A spec other than
 * the stored one replaces it, and the variants of the old one go.
 * @return 0 (r_cache_skey set for the variant), or -1: do not store.
 */
static int
cache_vary_store(struct conn *c, const struct http_head *h)
{
	struct req *r = &c->r;
	char spec[STORE_VARY_MAX + 1], cur[STORE_VARY_MAX + 1];
	size_t n;
	int rc;

	rc = vary_spec(h, spec, sizeof(spec));
	if (rc != VARY_OK) {
		log_debug("conn %u: %s not stored: %s", c->id, r->r_url,
		    rc == VARY_STAR ? "Vary: *" : "Vary too large");
		return -1;
	}
	/* What is stored now: another request may have changed it. */
	if (store_vary_get(cache_store, r->r_cache_key, cur, sizeof(cur) - 1,
	    &n) == 1)
		cur[n] = '\0';
	else
		cur[0] = '\0';
	if (strcmp(spec, cur) != 0) {
		/* The URL varies otherwise now: its variants are unreachable. */
		(void)store_delete(cache_store, r->r_cache_key);
		if (spec[0] != '\0' && store_vary_put(cache_store,
		    r->r_cache_key, spec, strlen(spec)) == -1)
			return -1;
	}
	if ((r->r_cache_vspec_new = req_strdup(c, spec, strlen(spec))) ==
	    NULL)
		return -1;
	/* The variant's key under the spec it is stored with. */
	r->r_cache_skey = NULL;
	r->r_cache_skey_len = 0;
	if (spec[0] != '\0' && cache_vary_skey(c, spec) == -1)
		return -1;
	return 0;
}

static void	cache_response_store(struct conn *, const struct http_head *);

/*
 * RFC 9111 §4.4: the URI in a Location or Content-Location of a
 * non-error response to an unsafe method is invalidated too, when it has
 * the target's origin (only then; another origin could not have sent it
 * for itself).
 */
static void
cache_invalidate_ref(struct conn *c, const struct http_field *f)
{
	struct req *r = &c->r;
	uint8_t key[STORE_KEY_LEN];
	char url[4096];
	int rc, n;

	rc = uri_same_origin(r->r_host, r->r_port, r->r_path, f->value,
	    f->value_len, url, sizeof(url));
	if (rc != 1 || cache_key(url, key) == -1) {
		log_debug("conn %u: %.*s %.*s not invalidated: %s", c->id,
		    (int)f->name_len, f->name, (int)f->value_len, f->value,
		    rc == 0 ? "another origin" : "not understood");
		return;
	}
	n = store_delete(cache_store, key);
	log_debug("conn %u: %.*s %s invalidated (%d entries)", c->id,
	    (int)f->name_len, f->name, url, n < 0 ? 0 : n);
}

void
cache_response(struct conn *c, const struct http_head *h)
{
	struct req *r = &c->r;

	cache_response_store(c, h);
	/* A fetch whose response is not stored has nothing to share. */
	if (r->r_cf != NULL && r->r_cf_leader && !r->r_cache_storing)
		cache_cf_leave(c);
}

static void
cache_response_store(struct conn *c, const struct http_head *h)
{
	struct req *r = &c->r;
	struct store_meta m;
	struct cc rs;
	struct buf *b;
	const char *why = NULL;
	size_t i;
	uint64_t len = r->r_rbody.length;

	r->r_cache_fwd_status = h->status;
	if (cache_store == NULL)
		return;
	if (r->r_reval_etag != NULL || r->r_reval_lm != NULL)
		r->r_code = "TCP_REFRESH_MODIFIED";	/* a new 200 replaces it */
	/* RFC 9111 §4.4: a non-error answer to an unsafe method invalidates. */
	if (r->r_cache_invalidate && h->status < 400) {
		(void)store_delete(cache_store, r->r_cache_key);
		for (i = 0; i < h->nfields; i++)
			if (http_field_is(&h->fields[i], "Location") ||
			    http_field_is(&h->fields[i], "Content-Location"))
				cache_invalidate_ref(c, &h->fields[i]);
		return;
	}
	if (r->r_cache_key_ok && r->r_is_head) {
		cache_head_response(c, h);
		return;
	}
	if (!r->r_cache_key_ok || !store_storing(cache_store))
		return;
	policy_cc(h, 0, &rs);
	if (!policy_storable("GET", r->r_cache_auth, &r->r_cache_rq, h, &rs,
	    &why)) {
		log_debug("conn %u: %s not stored: %s", c->id, r->r_url, why);
		return;
	}
	/* A declared length is checked now; others while they stream. */
	if (r->r_rbody.mode == HTTP_BODY_LENGTH &&
	    (len > worker_conf->maximum_object_size ||
	    len < worker_conf->minimum_object_size))
		return;
	if (cache_vary_store(c, h) == -1)
		return;
	if ((b = buf_get(worker_conf->reply_header_max_size + 1024)) == NULL)
		return;
	memset(&m, 0, sizeof(m));
	m.status = h->status;
	m.request_time = r->r_start_sec;
	m.response_time = (int64_t)time(NULL);
	/* No Date: cache_head_bytes() adds one, the time it came. */
	m.date = cache_date(h, m.response_time);
	if (cache_head_bytes(h, b, m.response_time) == 0 && store_begin(cache_store,
	    r->r_cache_key, r->r_cache_skey, r->r_cache_skey_len, b->pos,
	    buf_len(b), &m, &r->r_rbody.w) == 0) {
		/* The bytes must cross user space to be written down. */
		r->r_rbody.copy = 1;
		r->r_cache_storing = 1;
		r->r_cache_len = 0;
		memset(&r->r_cache_chunk, 0, sizeof(r->r_cache_chunk));
		cache_cf_publish(c, b->pos, buf_len(b), &m,
		    r->r_cache_vspec_new);
	}
	buf_put(b);
}

/* Stop storing this response (the writer is dropped). */
static void
cache_store_stop(struct conn *c, const char *why)
{
	struct req *r = &c->r;

	log_info("conn %u: stopped storing %s: %s", c->id, r->r_url, why);
	store_abort(r->r_rbody.w);
	r->r_rbody.w = NULL;
	r->r_cache_storing = 0;
	if (r->r_cf_leader)
		cache_cf_leave(c);	/* followers cannot follow any more */
}

static int
cache_append_decoded(struct conn *c, const char *p, size_t n)
{
	struct req *r = &c->r;

	if (n == 0)
		return 0;
	r->r_cache_len += n;
	if (r->r_cache_len > worker_conf->maximum_object_size) {
		cache_store_stop(c, "larger than maximum_object_size");
		return -1;
	}
	if (store_append(r->r_rbody.w, p, n) == -1) {
		cache_store_stop(c, strerror(errno));
		return -1;
	}
	cache_cf_progress(c, p, n);
	return 0;
}

void
cache_body_append(struct conn *c, const char *p, size_t n)
{
	static char scratch[16384];
	struct req *r = &c->r;
	size_t k, out;
	ssize_t rc;
	int done;

	if (r->r_rbody.w == NULL)
		return;
	if (r->r_rbody.mode != HTTP_BODY_CHUNKED || r->r_rbody.decode) {
		(void)cache_append_decoded(c, p, n);
		return;
	}
	/*
	 * The client gets the chunked framing as it came; the store keeps
	 * the data only (RFC 9112 §7.1), decoded from a copy.
	 */
	while (n > 0) {
		k = n < sizeof(scratch) ? n : sizeof(scratch);
		memcpy(scratch, p, k);
		done = 0;
		rc = http_chunked_scan(&r->r_cache_chunk, scratch, k, 1, &out,
		    &done);
		if (rc < 0) {
			cache_store_stop(c, "bad chunked framing");
			return;
		}
		if (cache_append_decoded(c, scratch, out) == -1)
			return;
		if (done)
			return;
		p += k;
		n -= k;
	}
}

int
cache_status_fields(struct conn *c, struct buf *o)
{
	struct req *r = &c->r;

	if (r->r_cache_fwd == NULL)
		return 0;
	return buf_printf(o, "Cache-Status: sluice; fwd=%s; fwd-status=%d%s\r\n",
	    r->r_cache_fwd, r->r_cache_fwd_status, r->r_cache_storing ?
	    "; stored" : "");
}

void
cache_body_end(struct conn *c, int ok)
{
	struct req *r = &c->r;
	struct store_writer *w = r->r_rbody.w;

	if (w == NULL)
		return;
	r->r_rbody.w = NULL;
	if (ok && r->r_cache_len < worker_conf->minimum_object_size)
		ok = 0;		/* known only now for a chunked body */
	if (!ok) {
		store_abort(w);
		cache_cf_leave(c);
		return;
	}
	if (store_commit(w, (int64_t)time(NULL)) == -1) {
		log_info("conn %u: %s could not be stored: %s", c->id,
		    r->r_url, strerror(errno));
		cache_cf_leave(c);
		return;
	}
	/* Whole: followers of an unknown length may go now. */
	if (r->r_cf != NULL && r->r_cf_leader)
		cf_settle(r->r_cf, CF_DONE);
	cache_cf_leave(c);
}

/* ------------------------------------------------ collapsed forwarding */

/*
 * Two clients missing the same URL in one worker cause one origin fetch:
 * the first (the leader) goes to the origin; the others (followers)
 * wait for its response head.  When the leader stores the response, the
 * followers are answered from what it has stored so far and follow the
 * body as it grows (the inline bytes from a copy here, the rest from the
 * store's temp file, by sendfile); a body of unknown length is served
 * once it is whole.  When the leader's response is not stored, or its
 * variant is not theirs, the followers go to the origin themselves.
 */

#define CF_FOLLOWERS_MAX	64
#define CF_FREE_MAX		16

struct cache_cf {
	struct cache_cf	*next;		/* in cf_list, while the leader runs */
	int		 listed;
	uint8_t		 key[STORE_KEY_LEN];
	enum cf_state	 state;
	unsigned	 refs;		/* leader + followers */
	char		*spec;		/* the response's Vary spec (malloc) */
	char		*skey;		/* the leader's variant (malloc) */
	size_t		 skeylen;
	char		*head;		/* stored head bytes (malloc) */
	size_t		 headlen;
	struct store_meta meta;
	uint64_t	 total;		/* declared length, or UINT64_MAX */
	uint64_t	 len;		/* body bytes stored so far */
	char		 inl[STORE_INLINE_MAX];	/* the first of them */
	int		 fd;		/* store_writer_reader(), or -1 */
	struct conn	*fol[CF_FOLLOWERS_MAX];
	unsigned	 nfol;
	struct ev_timer	 wake;
};

static struct cache_cf	*cf_list;
static struct cache_cf	*cf_free;
static unsigned		 cf_nfree;

static void
cf_unlist(struct cache_cf *cf)
{
	struct cache_cf **pp;

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
cf_put(struct cache_cf *cf)
{
	if (--cf->refs > 0)
		return;
	cf_unlist(cf);
	ev_timer_stop(&cf->wake);
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

/* Run every waiting follower (from the loop, not from the leader's stack). */
static void
cf_wake_cb(struct ev_timer *t)
{
	struct cache_cf *cf = t->data;
	struct conn *snap[CF_FOLLOWERS_MAX];
	unsigned i, j, n = cf->nfol;

	cf->refs++;		/* followers may leave while they run */
	memcpy(snap, cf->fol, n * sizeof(snap[0]));
	for (i = 0; i < n; i++) {
		for (j = 0; j < cf->nfol; j++)
			if (cf->fol[j] == snap[i])
				break;
		if (j < cf->nfol)
			req_run(snap[i]);
	}
	cf_put(cf);
}

static void
cf_wake(struct cache_cf *cf)
{
	if (cf->nfol > 0 && cf->wake.idx == 0)
		ev_timer_arm(&cf->wake, 0, cf_wake_cb, cf);
}

/* The leader's part ends: new requests no longer join this fetch. */
static void
cf_settle(struct cache_cf *cf, int st)
{
	if (cf->state == CF_WAIT_HEAD || cf->state == CF_BODY)
		cf->state = st;
	cf_unlist(cf);
	cf_wake(cf);
}

void
cache_cf_leave(struct conn *c)
{
	struct req *r = &c->r;
	struct cache_cf *cf = r->r_cf;
	unsigned i;

	if (cf == NULL)
		return;
	r->r_cf = NULL;
	if (r->r_cf_leader) {
		r->r_cf_leader = 0;
		cf_settle(cf, cf->state == CF_BODY ? CF_FAILED : CF_NOT_SHARED);
	} else {
		for (i = 0; i < cf->nfol; i++)
			if (cf->fol[i] == c) {
				cf->fol[i] = cf->fol[--cf->nfol];
				break;
			}
	}
	cf_put(cf);
}

/*
 * A miss: follow a fetch of the same URL already under way in this
 * worker, or lead one.  Only plain GETs take part: no conditions, no
 * Range (those exchanges are the client's).
 * @return 1 when @p c now waits as a follower (r_step set), else 0.
 */
static int
cache_cf_join(struct conn *c)
{
	struct req *r = &c->r;
	struct cache_cf *cf;
	const struct http_field *f;
	size_t i;

	if (r->r_is_head)
		return 0;
	for (i = 0; i < r->r_head->nfields; i++) {
		f = &r->r_head->fields[i];
		if (str_iprefix(f->name, f->name_len, "If-") ||
		    http_field_is(f, "Range"))
			return 0;
	}
	for (cf = cf_list; cf != NULL; cf = cf->next)
		if (memcmp(cf->key, r->r_cache_key, STORE_KEY_LEN) == 0)
			break;
	if (cf != NULL) {
		if (cf->nfol == CF_FOLLOWERS_MAX)
			return 0;
		cf->fol[cf->nfol++] = c;
		cf->refs++;
		r->r_cf = cf;
		r->r_cf_leader = 0;
		req_timer(c, worker_conf->server_first_byte_timeout +
		    worker_conf->connect_timeout);
		r->r_step = REQ_CF_WAIT;
		log_debug("conn %u: %s: waits for the fetch under way",
		    c->id, r->r_url);
		return 1;
	}
	if (cf_free != NULL) {
		cf = cf_free;
		cf_free = cf->next;
		cf_nfree--;
	} else if ((cf = malloc(sizeof(*cf))) == NULL)
		return 0;
	cf->next = cf_list;
	cf_list = cf;
	cf->listed = 1;
	memcpy(cf->key, r->r_cache_key, STORE_KEY_LEN);
	cf->state = CF_WAIT_HEAD;
	cf->refs = 1;
	cf->spec = cf->skey = cf->head = NULL;
	cf->skeylen = cf->headlen = 0;
	cf->total = UINT64_MAX;
	cf->len = 0;
	cf->fd = -1;
	cf->nfol = 0;
	memset(&cf->wake, 0, sizeof(cf->wake));
	r->r_cf = cf;
	r->r_cf_leader = 1;
	return 0;
}

/* The leader stores its response: followers may take it. */
static void
cache_cf_publish(struct conn *c, const void *head, size_t headlen,
    const struct store_meta *m, const char *spec)
{
	struct req *r = &c->r;
	struct cache_cf *cf = r->r_cf;

	if (cf == NULL || !r->r_cf_leader || cf->state != CF_WAIT_HEAD)
		return;
	cf->head = malloc(headlen);
	cf->spec = strdup(spec);
	cf->skey = malloc(r->r_cache_skey_len + 1);
	if (cf->head == NULL || cf->spec == NULL || cf->skey == NULL) {
		cf_settle(cf, CF_NOT_SHARED);
		return;
	}
	memcpy(cf->head, head, headlen);
	cf->headlen = headlen;
	if (r->r_cache_skey_len > 0)
		memcpy(cf->skey, r->r_cache_skey, r->r_cache_skey_len);
	cf->skeylen = r->r_cache_skey_len;
	cf->meta = *m;
	cf->total = r->r_rbody.mode == HTTP_BODY_LENGTH ? r->r_rbody.length :
	    UINT64_MAX;
	cf->state = CF_BODY;
	cf_wake(cf);
}

/* The leader stored @p n more body bytes. */
static void
cache_cf_progress(struct conn *c, const char *p, size_t n)
{
	struct req *r = &c->r;
	struct cache_cf *cf = r->r_cf;
	size_t k;

	if (cf == NULL || !r->r_cf_leader || cf->state != CF_BODY)
		return;
	if (cf->len < STORE_INLINE_MAX) {
		k = STORE_INLINE_MAX - cf->len;
		memcpy(cf->inl + cf->len, p, n < k ? n : k);
	}
	cf->len += n;
	if (cf->len > STORE_INLINE_MAX && cf->fd == -1 &&
	    (cf->fd = store_writer_reader(r->r_rbody.w)) == -1) {
		log_warnx("conn %u: cannot follow the body of %s being "
		    "stored: %s", c->id, r->r_url, strerror(errno));
		cf_settle(cf, CF_FAILED);
		return;
	}
	cf_wake(cf);
}

/* CF_WAIT: a follower waits for the leader's head. */
int
cache_step_cf_wait(struct conn *c)
{
	struct req *r = &c->r;
	struct cache_cf *cf = r->r_cf;
	struct http_head *h = &cache_head;
	struct store_obj o;
	const char *why = NULL;
	int64_t now, life, age;
	int rc;

	if (r->r_timed_out) {
		r->r_timed_out = 0;
		log_info("conn %u: %s: the fetch it waited for took too long; "
		    "asking the origin", c->id, r->r_url);
		goto origin;
	}
	switch (cf->state) {
	case CF_WAIT_HEAD:
		return SL_AGAIN;	/* woken by cf_wake() */
	case CF_BODY:
		if (cf->total == UINT64_MAX)
			return SL_AGAIN;	/* unknown length: wait for all */
		break;
	case CF_DONE:
		break;
	case CF_FAILED:
	case CF_NOT_SHARED:
		goto origin;
	}
	/* Vary: the leader's variant must be this request's too (§4.1). */
	if (cf->spec[0] != '\0') {
		r->r_cache_skey = NULL;
		r->r_cache_skey_len = 0;
		if (cache_vary_skey(c, cf->spec) == -1 ||
		    r->r_cache_skey_len != cf->skeylen ||
		    memcmp(r->r_cache_skey, cf->skey, cf->skeylen) != 0)
			goto origin;
	}
	if (cache_parse(cf->head, cf->headlen, h, &why) == -1)
		goto origin;
	memset(&o, 0, sizeof(o));
	o.meta = cf->meta;
	o.headlen = cf->headlen;
	o.body_len = cf->state == CF_DONE ? cf->len : cf->total;
	o.body_fd = -1;
	now = (int64_t)time(NULL);
	cache_times(h, &o.meta, r->r_url, now, &life, &age);
	req_consume_head(c);
	rc = cache_serve(c, &o, h, age, life - age, 0, NULL);
	if (rc == -1)
		return req_fail(c, ERR_NO_RESOURCES);
	r->r_head = NULL;
	if (r->r_step != REQ_HIT_SEND)
		cache_cf_leave(c);	/* no body to follow */
	return SL_OK;
origin:
	cache_cf_leave(c);
	r->r_cache_fwd = "miss";
	r->r_step = REQ_CONNECT_UP;
	return SL_OK;
}

/*
 * HIT_SEND for a follower: the bytes the leader stored so far, from the
 * inline copy or the temp file; then wait for more.
 * @return SL_OK (done, or give up), SL_AGAIN, or SL_ERROR (client gone).
 */
static int
cache_cf_send(struct conn *c)
{
	struct req *r = &c->r;
	struct cache_cf *cf = r->r_cf;
	uint64_t avail;
	ssize_t n;

	while (r->r_hit_left > 0) {
		avail = cf->len - (uint64_t)r->r_hit_off;
		if (avail == 0) {
			if (cf->state == CF_BODY)
				return SL_AGAIN;	/* woken by cf_wake() */
			log_info("conn %u: the fetch of %s that this response "
			    "followed broke off", c->id, r->r_url);
			return SL_ERROR;
		}
		if (avail > r->r_hit_left)
			avail = r->r_hit_left;
		if ((uint64_t)r->r_hit_off < STORE_INLINE_MAX) {
			if (avail > STORE_INLINE_MAX - (uint64_t)r->r_hit_off)
				avail = STORE_INLINE_MAX - (uint64_t)r->r_hit_off;
			n = send(c->c_io.fd, cf->inl + r->r_hit_off,
			    (size_t)avail, MSG_NOSIGNAL);
			if (n > 0)
				r->r_hit_off += n;
		} else if (cf->fd == -1)
			return SL_ERROR;
		else
			n = sendfile(c->c_io.fd, cf->fd, &r->r_hit_off,
			    avail > (1 << 20) ? (1 << 20) : (size_t)avail);
		if (n > 0) {
			r->r_hit_left -= (uint64_t)n;
			r->r_bytes_out += (uint64_t)n;
			req_timer(c, worker_conf->read_timeout);
			continue;
		}
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			return SL_AGAIN;
		r->r_code_sfx = "_ABORTED";
		return SL_ERROR;
	}
	return SL_OK;
}

int
cache_finish_fetch(struct conn *c)
{
	struct req *r = &c->r;
	struct cache_cf *cf = r->r_cf;

	if (cf == NULL || !r->r_cf_leader || cf->state != CF_BODY ||
	    cf->nfol == 0)
		return 0;
	log_info("conn %u client %s: went away during %s; the fetch goes on "
	    "for %u waiting clients", c->id, c->c_peer_text, r->r_url,
	    cf->nfol);
	return 1;
}

int
cache_stale_on_error(struct conn *c)
{
	struct req *r = &c->r;
	struct http_head *h = &cache_head;
	struct store_obj o;
	const char *why = NULL;
	int64_t now, life, age;
	int rc;

	if (!r->r_cache_stale_ok || cache_store == NULL)
		return 0;
	switch (r->r_err) {
	case ERR_CONNECT_FAIL: case ERR_READ_ERROR: case ERR_DNS_FAIL:
	case ERR_CONNECT_TIMEOUT: case ERR_READ_TIMEOUT:
		break;
	default:
		return 0;	/* an answer, or not the origin's fault */
	}
	now = (int64_t)time(NULL);
	if (store_lookup(cache_store, r->r_cache_key, r->r_cache_skey,
	    r->r_cache_skey_len, now, &o) != 1)
		return 0;
	if (cache_parse(o.head, o.headlen, h, &why) == -1) {
		store_obj_release(&o);
		return 0;
	}
	cache_times(h, &o.meta, r->r_url, now, &life, &age);
	r->r_cache_stale_err = errpage_name(r->r_err);
	rc = cache_serve(c, &o, h, age, life - age, 0, NULL);
	store_obj_release(&o);
	if (rc == -1) {
		r->r_cache_stale_err = NULL;
		return 0;
	}
	log_info("conn %u client %s: %s: %s; serving the stale stored "
	    "response (RFC 9111 §4.2.4)", c->id, c->c_peer_text, r->r_url,
	    r->r_cache_stale_err);
	r->r_err = ERRPAGE_COUNT;
	return 1;
}
