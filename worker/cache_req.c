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

#include <openssl/evp.h>

#include "cache_access.h"
#include "cache_req.h"
#include "conf.h"
#include "conn.h"
#include "http_hdr.h"
#include "log.h"
#include "policy.h"
#include "refresh.h"
#include "sl.h"
#include "store.h"
#include "str.h"
#include "worker.h"

static struct store	*cache_store;
static struct http_head	 cache_head;	/* a stored head, during one step */
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
}

/* The primary key: SHA-256 of the method class and the normalised URL. */
static int
cache_key(const char *url, uint8_t key[STORE_KEY_LEN])
{
	EVP_MD_CTX *x = EVP_MD_CTX_new();
	unsigned n = 0;
	int ok;

	ok = x != NULL && EVP_DigestInit_ex(x, EVP_sha256(), NULL) == 1 &&
	    EVP_DigestUpdate(x, "GET ", 4) == 1 &&
	    EVP_DigestUpdate(x, url, strlen(url)) == 1 &&
	    EVP_DigestFinal_ex(x, key, &n) == 1 && n == STORE_KEY_LEN;
	EVP_MD_CTX_free(x);
	return ok ? 0 : -1;
}

/*
 * Parse stored head bytes (they lack the empty line) into @p h.
 * @return the buffer @p h points into (free() it after), or NULL.
 */
static char *
cache_parse(const void *bytes, size_t len, struct http_head *h,
    const char **why)
{
	char *head;

	if ((head = malloc(len + 2)) == NULL) {
		*why = "out of memory";
		return NULL;
	}
	memcpy(head, bytes, len);
	memcpy(head + len, "\r\n", 2);
	if (http_response_parse(head, len + 2, h, why) != 0) {
		free(head);
		return NULL;
	}
	return head;
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
	int64_t ageval = -1;
	size_t i;
	int heur;

	for (i = 0; i < h->nfields; i++)
		if (http_field_is(&h->fields[i], "Age"))
			ageval = strtoll(h->fields[i].value, NULL, 10);
	policy_cc(h, 0, &rs);
	(void)refresh_for(worker_conf, url, &rp);
	*life = policy_lifetime(h, &rs, m->response_time, &rp, &heur);
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

/*
 * Serve @p o: the stored head without its Age, then Age, Cache-Status,
 * Via and our connection fields; the body inline or by sendfile.
 */
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

static int
cache_serve(struct conn *c, struct store_obj *o, const struct http_head *h,
    int64_t age, int64_t ttl, int nm)
{
	struct req *r = &c->r;
	struct buf *b;
	size_t i, need;

	buf_put(c->obuf);	/* after a revalidation: the request head */
	need = o->headlen + 512 + (o->body != NULL ? o->body_len : 0);
	b = c->obuf = buf_get(need <= BUF_SMALL ? BUF_SMALL :
	    worker_conf->reply_header_max_size + STORE_INLINE_MAX + 1024);
	if (b == NULL)
		return -1;
	if (nm) {
		if (buf_printf(b, "HTTP/1.1 304 Not Modified\r\n") == -1)
			return -1;
	} else if (buf_printf(b, "HTTP/1.1 %d %.*s\r\n", h->status,
	    (int)h->reason_len, h->reason) == -1)
		return -1;
	for (i = 0; i < h->nfields; i++) {
		if (http_field_is(&h->fields[i], "Age") ||
		    (nm && !cache_304_field(&h->fields[i])))
			continue;
		if (http_hdr_copy(b, &h->fields[i]) == -1)
			return -1;
	}
	if ((r->r_reval_done ? buf_printf(b, "Age: %lld\r\nCache-Status: "
	    "sluice; fwd=stale; fwd-status=304; ttl=%lld\r\n", (long long)age,
	    (long long)ttl) : buf_printf(b, "Age: %lld\r\nCache-Status: "
	    "sluice; hit; ttl=%lld\r\n", (long long)age, (long long)ttl)) == -1 ||
	    http_hdr_via(b, 11, worker_conf->visible_hostname) == -1)
		return -1;
	if (!r->r_keepalive && buf_printf(b, "Connection: close\r\n") == -1)
		return -1;
	if (r->r_keepalive && r->r_version == 10 &&
	    buf_printf(b, "Connection: keep-alive\r\n") == -1)
		return -1;
	if (buf_append(b, "\r\n", 2) == -1)
		return -1;
	r->r_status = nm ? 304 : h->status;
	r->r_code = r->r_reval_done ? "TCP_REFRESH_UNMODIFIED" :
	    nm ? "TCP_INM_HIT" : "TCP_HIT";
	r->r_hier = "HIER_NONE";
	r->r_bytes_out = 0;
	if (nm || r->r_is_head || o->body_len == 0) {
		r->r_synth = 1;
		r->r_step = REQ_DELIVER;
		return 0;
	}
	if (o->body != NULL) {
		if (buf_append(b, o->body, (size_t)o->body_len) == -1)
			return -1;
		r->r_synth = 1;
		r->r_step = REQ_DELIVER;
		return 0;
	}
	/* The body file: HIT_SEND sends it after the head (sendfile). */
	r->r_hit_fd = o->body_fd;
	o->body_fd = -1;
	r->r_hit_off = 0;
	r->r_hit_left = o->body_len;
	req_timer(c, worker_conf->read_timeout);
	r->r_step = REQ_HIT_SEND;
	return 0;
}

/*
 * RFC 9111 §4.3.1: a stored response that needs checking is asked for
 * with its validators, unless the client sent conditions of its own (or
 * a Range): then the exchange is the client's.
 */
/* A NUL-terminated copy in the request arena, or NULL. */
static char *
cache_strdup(struct conn *c, const char *p, size_t n)
{
	char *s = req_alloc(c, n + 1);

	if (s != NULL) {
		memcpy(s, p, n);
		s[n] = '\0';
	}
	return s;
}

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
			r->r_reval_etag = cache_strdup(c, f->value, f->value_len);
		else if (http_field_is(f, "Last-Modified") &&
		    r->r_reval_lm == NULL)
			r->r_reval_lm = cache_strdup(c, f->value, f->value_len);
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

int
cache_revalidated(struct conn *c, const struct http_head *nh, size_t n)
{
	struct req *r = &c->r;
	struct http_head *h = &cache_head;
	struct store_meta m;
	struct store_obj o;
	struct buf *b = NULL;
	const char *why = NULL;
	char *head = NULL;
	int64_t now = (int64_t)time(NULL), life, age;
	size_t i;
	int rc;

	c->ubuf->pos += n;	/* the 304 has no body (RFC 9110 §15.4.5) */
	r->r_head = NULL;
	r->r_up_reusable = r->r_up_keep && r->r_body.done &&
	    buf_len(c->ubuf) == 0;
	if (cache_store == NULL || store_lookup(cache_store, r->r_cache_key,
	    NULL, 0, now, &o) != 1) {
		log_warnx("conn %u: %s was revalidated but is no longer stored",
		    c->id, r->r_url);
		return req_fail(c, ERR_INVALID_RESP);
	}
	if ((b = buf_get(worker_conf->reply_header_max_size + 1024)) == NULL ||
	    (head = cache_parse(o.head, o.headlen, h, &why)) == NULL)
		goto fail;
	/* §4.3.4: the 304's fields replace the stored ones, but not framing. */
	if (buf_printf(b, "HTTP/1.1 %d %.*s\r\n", h->status,
	    (int)h->reason_len, h->reason) == -1)
		goto fail;
	for (i = 0; i < h->nfields; i++)
		if ((cache_keep_stored(&h->fields[i]) ||
		    !cache_in(nh, &h->fields[i])) &&
		    http_hdr_copy(b, &h->fields[i]) == -1)
			goto fail;
	for (i = 0; i < nh->nfields; i++)
		if (!http_hdr_is_hop(nh, i) && !cache_keep_stored(&nh->fields[i]) &&
		    http_hdr_copy(b, &nh->fields[i]) == -1)
			goto fail;
	m = o.meta;
	m.request_time = r->r_start_sec;
	m.response_time = now;
	for (i = 0; i < nh->nfields; i++)
		if (http_field_is(&nh->fields[i], "Date") &&
		    (m.date = policy_date(nh->fields[i].value,
		    nh->fields[i].value_len)) < 0)
			m.date = 0;
	if (store_update_head(cache_store, r->r_cache_key, NULL, 0, b->pos,
	    buf_len(b), &m) != 1)
		log_info("conn %u: the stored head of %s was not updated",
		    c->id, r->r_url);
	/* Serve the updated entry, parsed from the merged bytes. */
	free(head);
	if ((head = cache_parse(b->pos, buf_len(b), h, &why)) == NULL)
		goto fail;
	cache_times(h, &m, r->r_url, now, &life, &age);
	r->r_reval_done = 1;
	rc = cache_serve(c, &o, h, age, life - age, 0);
	free(head);
	buf_put(b);
	store_obj_release(&o);
	if (rc == -1)
		return req_fail(c, ERR_NO_RESOURCES);
	log_debug("conn %u: %s revalidated (304)", c->id, r->r_url);
	return SL_OK;
fail:
	log_warnx("conn %u: cannot serve the revalidated %s: %s", c->id,
	    r->r_url, why ? why : "no room");
	free(head);
	buf_put(b);
	store_obj_release(&o);
	return req_fail(c, ERR_INVALID_RESP);
}

int
cache_step_lookup(struct conn *c)
{
	struct req *r = &c->r;
	struct http_head *h;
	struct store_obj o;
	struct cc rq, rs;
	char *head;
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
	rc = store_lookup(cache_store, r->r_cache_key, NULL, 0, now, &o);
	if (rc != 1) {
		r->r_cache_fwd = "uri-miss";
		goto miss;
	}
	/* The stored head, made parseable again by its empty line. */
	h = &cache_head;
	if ((head = cache_parse(o.head, o.headlen, h, &why)) == NULL) {
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
		req_consume_head(c);
		rc = cache_serve(c, &o, h, age, life - age, nm);
		free(head);
		store_obj_release(&o);
		if (rc == -1)
			return req_fail(c, ERR_NO_RESOURCES);
		r->r_head = NULL;
		return SL_OK;
	}
	r->r_cache_fwd = rq.flags & CC_NO_CACHE ? "request" : "stale";
	cache_validators(c, h);
	free(head);
	store_obj_release(&o);
	return SL_OK;
miss:
	/* §5.2.1.7: nothing servable and the client will not wait. */
	if (rq.flags & CC_ONLY_IF_CACHED) {
		log_info("conn %u client %s: only-if-cached and %s is not "
		    "stored", c->id, c->c_peer_text, r->r_url);
		return req_fail(c, ERR_ONLY_IF_CACHED_MISS);
	}
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
	close(r->r_hit_fd);
	r->r_hit_fd = -1;
	r->r_keepalive = 0;
	r->r_step = REQ_LOG;
	return SL_OK;
}

/*
 * The head to store: the status line and every end-to-end field as the
 * origin sent it (Age included, for §4.2.3), without the empty line.
 */
static int
cache_head_bytes(const struct http_head *h, struct buf *b)
{
	size_t i;

	if (buf_printf(b, "HTTP/1.1 %d %.*s\r\n", h->status,
	    (int)h->reason_len, h->reason) == -1)
		return -1;
	for (i = 0; i < h->nfields; i++) {
		if (http_hdr_is_hop(h, i) || http_field_is(&h->fields[i], "Via"))
			continue;
		if (http_hdr_copy(b, &h->fields[i]) == -1)
			return -1;
	}
	return 0;
}

void
cache_response(struct conn *c, const struct http_head *h)
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
				log_debug("conn %u: %.*s not invalidated (only "
				    "the target URI is, so far)", c->id,
				    (int)h->fields[i].value_len,
				    h->fields[i].value);
		return;
	}
	if (!r->r_cache_key_ok || r->r_is_head || !store_storing(cache_store))
		return;
	policy_cc(h, 0, &rs);
	if (!policy_storable("GET", r->r_cache_auth, &r->r_cache_rq, h, &rs,
	    &why)) {
		log_debug("conn %u: %s not stored: %s", c->id, r->r_url, why);
		return;
	}
	/* Not yet: Vary variants, bodies of unknown length, Set-Cookie. */
	for (i = 0; i < h->nfields; i++)
		if (http_field_is(&h->fields[i], "Vary") ||
		    http_field_is(&h->fields[i], "Set-Cookie"))
			return;
	if (r->r_rbody.mode != HTTP_BODY_LENGTH ||
	    len > worker_conf->maximum_object_size ||
	    len < worker_conf->minimum_object_size)
		return;
	if ((b = buf_get(worker_conf->reply_header_max_size + 1024)) == NULL)
		return;
	memset(&m, 0, sizeof(m));
	m.status = h->status;
	m.request_time = r->r_start_sec;
	m.response_time = (int64_t)time(NULL);
	for (i = 0; i < h->nfields; i++)
		if (http_field_is(&h->fields[i], "Date"))
			m.date = policy_date(h->fields[i].value,
			    h->fields[i].value_len);
	if (m.date < 0)
		m.date = 0;
	if (cache_head_bytes(h, b) == 0 && store_begin(cache_store,
	    r->r_cache_key, NULL, 0, b->pos, buf_len(b), &m,
	    &r->r_rbody.w) == 0) {
		/* The bytes must cross user space to be written down. */
		r->r_rbody.copy = 1;
		r->r_cache_storing = 1;
	}
	buf_put(b);
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
	if (!ok) {
		store_abort(w);
		return;
	}
	if (store_commit(w, (int64_t)time(NULL)) == -1)
		log_info("conn %u: %s could not be stored: %s", c->id,
		    r->r_url, strerror(errno));
}
