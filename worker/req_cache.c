/*
 * req_cache.c -- the cache's steps in a request: the worker's glue to
 * cache/cache.h (the only cache header it includes).
 * Runs in the workers.
 *
 *	CACHE_LOOKUP	squid's `cache allow|deny`, then the lookup: a hit is
 *			served (DELIVER from obuf, or HIT_SEND for a body
 *			file); a stale entry adds its conditions to the
 *			request (r_extra); a miss may follow a fetch under
 *			way (CF_WAIT); PURGE goes to PURGE.
 *	CF_WAIT		wait for the fetch followed; served as it is stored.
 *	HIT_SEND	a body from a file (sendfile), or a followed body.
 *	CACHE_RESPONSE	a final response head from the origin: a 304 to our
 *			conditions goes to REFRESH; a 500, 502, 503 or 504
 *			that stale-if-error or offline_mode lets a stored
 *			response replace is dropped for it; otherwise the
 *			cache decides what to store, and the client's head
 *			is built.
 *	REFRESH		the 304 merged into the stored entry, served once
 *			the store has it; a 304 about nothing we have is
 *			asked again without conditions (CONNECT_UP).
 *	STORE		the body is whole: the commit, before the held last
 *			bytes go (DELIVER).
 *	STALE		the origin could not be reached: a stale entry
 *			(RFC 9111 §4.2.4), or back to SYNTH.
 *
 * Callbacks from the cache (room in its writer, a commit done, a
 * followed fetch moving) all run req_wake(), which runs the request's
 * current step again.
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
#include <time.h>
#include <unistd.h>

#include "accesslog.h"
#include "acl.h"
#include "cache.h"
#include "conf.h"
#include "conn.h"
#include "gunzip.h"
#include "http_hdr.h"
#include "io.h"
#include "log.h"
#include "req_cache.h"
#include "sl.h"
#include "worker.h"

static int	req_cache_follow(struct conn *);

/* A sendfile(2) call moves at most this much. */
#define REQ_CACHE_SENDFILE_MAX	(1 << 20)

/* ------------------------------------------------- cache allow|deny */

int
req_cache_rules_compile(struct conf *cf)
{
	cf->cache_acl = NULL;
	if (cf->ncache_lines == 0)
		return 0;
	if (acl_set_compile_rules(cf, cf->cache_lines, cf->ncache_lines,
	    &cf->cache_acl) == -1) {
		cf->cache_acl = NULL;
		return -1;
	}
	return 0;
}

void
req_cache_rules_free(struct conf *cf)
{
	acl_set_free(cf->cache_acl);
	cf->cache_acl = NULL;
}

/*
 * squid's `cache allow|deny [!]acl...`: may the request use the cache?
 * As in squid, no line matching means the opposite of the last line.
 * @return 1 yes, 0 no, -1 a dst acl needs the address first.
 */
static int
req_cache_allowed(struct conn *c)
{
	const struct conf *cf = worker_conf;
	struct req *r = &c->r;
	struct acl_req ar;
	size_t rule = 0;
	int allow;

	if (cf->cache_acl == NULL)
		return 1;
	/* ACCESS_DST kept only allowed addresses: the first is the one. */
	req_acl_fill(c, &ar, r->r_naddrs > 0 ?
	    (const struct sockaddr *)&r->r_addrs[0] : NULL);
	ar.dst_failed = r->r_dns_failed;
	switch (acl_check(cf->cache_acl, &ar, &rule)) {
	case ACL_ALLOW:
		allow = 1;
		break;
	case ACL_DENY:
		if (rule != 0) {
			allow = 0;
			break;
		}
		allow = strcmp(cf->cache_lines[cf->ncache_lines - 1].argv[1],
		    "deny") == 0;
		log_debug("conn %u: %s: no cache rule matched: %s", c->id,
		    r->r_url, allow ? "allowed" : "denied");
		return allow;
	case ACL_NEED_DST:
		return -1;
	case ACL_NEED_AUTH:
	default:
		/* Never wait here: undecided is not cached. */
		log_debug("conn %u: %s: cache rule %s cannot be decided "
		    "without a user: not cached", c->id, r->r_url,
		    acl_rule_where(cf->cache_acl, rule));
		return 0;
	}
	log_debug("conn %u: %s: cache %s by %s", c->id, r->r_url,
	    allow ? "allowed" : "denied", acl_rule_where(cf->cache_acl, rule));
	return allow;
}

/* ------------------------------------------------------------ helpers */

/* Where a request goes that the cache cannot answer: the origin. */
static enum req_step
req_cache_origin(struct conn *c)
{
	struct req *r = &c->r;

	r->r_cache.looked_up = 1;
	if (r->r_naddrs > 0)
		return REQ_CONNECT_UP;
	if (r->r_dns_failed) {
		r->r_err = ERR_DNS_FAIL;
		return REQ_SYNTH;
	}
	return REQ_RESOLVE;
}

/*
 * A gzip variant for a client that does not take gzip (cache.h): the
 * decoder, and the stored bytes to feed it (inline ones copied, a file
 * read as it goes).  @return 0, or -1 (no memory).
 */
static int
req_cache_gunzip_start(struct conn *c, const struct cache_hit *hit)
{
	struct req *r = &c->r;
	size_t in = hit->body != NULL ? (size_t)hit->len : BUF_SMALL;

	if ((r->r_cache.gz = gunzip_new(worker_conf->gunzip_max_size)) ==
	    NULL || (r->r_cache.gz_in = buf_get(in)) == NULL)
		return -1;
	if (hit->body != NULL)
		(void)buf_append(r->r_cache.gz_in, hit->body, (size_t)hit->len);
	r->r_cache.gz_chunked = r->r_version >= 11;
	if (!r->r_cache.gz_chunked)
		r->r_keepalive = 0;	/* the body ends at the close */
	return 0;
}

static void
req_cache_gunzip_end(struct conn *c)
{
	struct req *r = &c->r;

	gunzip_free(r->r_cache.gz);
	r->r_cache.gz = NULL;
	buf_put(r->r_cache.gz_in);
	r->r_cache.gz_in = NULL;
}

/*
 * Inflate the next piece into the empty obuf, framed as a chunk for
 * HTTP/1.1 (RFC 9112 §7.1), with the last chunk after the end.
 * @return SL_OK (obuf has bytes, or gz_done), SL_ERROR (logged).
 */
static int
req_cache_gunzip_fill(struct conn *c)
{
	struct req *r = &c->r;
	struct buf *o = c->obuf, *in = r->r_cache.gz_in;
	size_t used, produced, hdr = r->r_cache.gz_chunked ? 10 : 0;
	char size[16];
	ssize_t n;
	int rc, last, k;

	buf_reset(o);
	for (;;) {
		/* More of the stored file when the input is used up. */
		if (buf_len(in) == 0 && r->r_cache.hit_fd >= 0 &&
		    r->r_cache.hit_left > 0) {
			buf_reset(in);
			n = pread(r->r_cache.hit_fd, in->last, buf_room(in) <
			    r->r_cache.hit_left ? buf_room(in) :
			    (size_t)r->r_cache.hit_left,
			    (off_t)r->r_cache.hit_off);
			if (n <= 0) {
				log_warnx("conn %u: stored body of %s: %s",
				    c->id, r->r_url, n == 0 ? "ended early" :
				    strerror(errno));
				return SL_ERROR;
			}
			in->last += n;
			r->r_cache.hit_off += (uint64_t)n;
			r->r_cache.hit_left -= (uint64_t)n;
		}
		last = r->r_cache.hit_fd < 0 || r->r_cache.hit_left == 0;
		rc = gunzip_run(r->r_cache.gz, in->pos, buf_len(in), last,
		    o->start + hdr, buf_room(o) - hdr - 7, &used, &produced);
		in->pos += used;
		if (rc < 0) {
			log_warnx("conn %u: the stored gzip body of %s does "
			    "not inflate: %s", c->id, r->r_url,
			    gunzip_error(r->r_cache.gz));
			return SL_ERROR;
		}
		if (produced > 0 || rc == GUNZIP_END)
			break;
		if (buf_len(in) > 0 && used == 0)
			return SL_ERROR;	/* no progress: never spin */
	}
	if (produced > 0 && hdr > 0) {
		/* The chunk-size line right before the data. */
		k = snprintf(size, sizeof(size), "%zx\r\n", produced);
		o->pos = o->start + hdr - (size_t)k;
		memcpy(o->pos, size, (size_t)k);
		o->last = o->start + hdr + produced;
		memcpy(o->last, "\r\n", 2);
		o->last += 2;
	} else {
		o->pos = o->start + hdr;
		o->last = o->pos + produced;
	}
	if (rc == GUNZIP_END) {
		r->r_cache.gz_done = 1;
		if (r->r_cache.gz_chunked) {
			memcpy(o->last, "0\r\n\r\n", 5);
			o->last += 5;
		}
	}
	return SL_OK;
}

/*
 * Answer from @p hit: its head (with Via and our connection fields) into
 * obuf, and its body from obuf too (inline), or by HIT_SEND.
 * @return the next step (SYNTH with r_err set when it does not fit).
 */
static enum req_step
req_cache_serve(struct conn *c, const struct cache_hit *hit)
{
	struct req *r = &c->r;
	struct buf *b;
	size_t need;
	int tries, gz;

	/* Served stale: the revalidation runs on its own (RFC 5861 §3). */
	if (hit->revalidate) {
		struct conn *bg = conn_background(c);

		if (bg == NULL)
			log_warnx("conn %u: %s: cannot start its revalidation "
			    "in the background", c->id, r->r_url);
		else if ((bg->c_swr_key = malloc(CACHE_KEY_LEN)) != NULL &&
		    cache_swr_handoff(r->r_cache.q, bg->c_swr_key) == -1) {
			free(bg->c_swr_key);
			bg->c_swr_key = NULL;
		}
	}
	req_consume_head(c);
	buf_put(c->obuf);
	c->obuf = NULL;
	gz = hit->gunzip && !hit->head_only;
	if (gz && req_cache_gunzip_start(c, hit) == -1) {
		req_cache_gunzip_end(c);
		cache_hit_release();
		r->r_err = ERR_NO_RESOURCES;
		return REQ_SYNTH;
	}
	need = hit->body != NULL && !gz ? (size_t)hit->len : 0;
	for (tries = 0; tries < 2; tries++) {
		b = c->obuf = buf_get(tries == 0 ? BUF_SMALL :
		    worker_conf->reply_header_max_size + need + 1024);
		if (b == NULL)
			break;
		if (cache_hit_head(hit, b) == 0 &&
		    http_hdr_via(b, 11, worker_conf->visible_hostname) == 0 &&
		    (!gz || !r->r_cache.gz_chunked || buf_printf(b,
		    "Transfer-Encoding: chunked\r\n") == 0) &&
		    req_head_end(c, b) == 0 && (hit->body == NULL || gz ||
		    buf_append(b, hit->body, (size_t)hit->len) == 0))
			break;
		buf_put(b);
		b = c->obuf = NULL;
	}
	if (b == NULL) {
		req_cache_gunzip_end(c);
		cache_hit_release();
		r->r_err = ERR_NO_RESOURCES;
		return REQ_SYNTH;
	}
	accesslog_capture_reply(c, cache_hit_fields(hit), 0);
	r->r_status = hit->status;
	r->r_code = hit->code;
	r->r_hier = "HIER_NONE";
	r->r_bytes_out = 0;
	r->r_head = NULL;
	if (hit->head_only || (hit->body != NULL && !gz)) {
		cache_hit_release();
		r->r_synth = 1;
		return REQ_DELIVER;
	}
	r->r_cache.follow = hit->follow;
	r->r_cache.hit_fd = hit->follow || hit->body != NULL ? -1 :
	    cache_hit_take_fd(hit);
	r->r_cache.hit_off = hit->off;
	r->r_cache.hit_left = hit->body != NULL ? 0 : hit->len;
	cache_hit_release();
	req_timer(c, worker_conf->read_timeout);
	return REQ_HIT_SEND;
}

/* The tee of a response being stored (body.h). */
static int
req_cache_tee(struct conn *c, const char *p, size_t n)
{
	return cache_body(c->r.r_cache.q, p, n, req_wake, c) == CACHE_AGAIN ?
	    1 : 0;
}

int
req_cache_sink(struct conn *c)
{
	struct req *r = &c->r;
	const struct body *bd = &r->r_rbody;
	uint64_t total = bd->mode == HTTP_BODY_LENGTH ? bd->length : UINT64_MAX;
	uint64_t got = bd->mode == HTTP_BODY_LENGTH ? bd->length - bd->left : 0;
	unsigned n = cache_cf_followers(r->r_cache.q);

	if (!cache_keep_fetching(r->r_cache.q, got, total))
		return 0;
	if (n > 0)
		log_info("conn %u client %s: went away during %s; the fetch goes "
		    "on for %u waiting clients", c->id, c->c_peer_text,
		    r->r_url, n);
	else
		log_info("conn %u client %s: went away during %s; the fetch goes "
		    "on for the cache (quick_abort: %llu of %llu bytes in)",
		    c->id, c->c_peer_text, r->r_url, (unsigned long long)got,
		    (unsigned long long)total);
	return 1;
}

int
req_cache_lag(struct conn *c)
{
	struct req *r = &c->r;
	struct body *bd = &r->r_rbody;
	uint64_t sent;

	if (bd->mode != HTTP_BODY_LENGTH || bd->decode || bd->sink ||
	    bd->skip > 0 || bd->limit != UINT64_MAX || r->r_cache.lag ||
	    !cache_cf_lead_lag(r->r_cache.q, req_wake, c))
		return 0;
	/* What the client has; the rest it reads back from the store. */
	sent = bd->length - bd->left - bd->ready;
	r->r_cache.lag = 1;
	r->r_cache.hit_off = sent;
	r->r_cache.hit_left = bd->length - sent;
	bd->sink = 1;
	log_debug("conn %u: %s: the client is slower than the origin while "
	    "others follow the fetch: it reads back from the store at %llu",
	    c->id, r->r_url, (unsigned long long)sent);
	return 1;
}

void
req_cache_lag_left(struct conn *c)
{
	struct req *r = &c->r;

	log_info("conn %u client %s: went away during %s; the fetch goes on "
	    "for %u waiting clients", c->id, c->c_peer_text, r->r_url,
	    cache_cf_followers(r->r_cache.q));
}

int
req_cache_catchup(struct conn *c)
{
	return req_cache_follow(c);
}

int
req_cache_stale_possible(struct conn *c)
{
	struct req *r = &c->r;

	if (r->r_cache.stale_tried || !cache_stale_allowed(r->r_cache.q))
		return 0;
	switch (r->r_err) {
	case ERR_CONNECT_FAIL: case ERR_READ_ERROR: case ERR_DNS_FAIL:
	case ERR_CONNECT_TIMEOUT: case ERR_READ_TIMEOUT:
		return 1;
	default:
		return 0;	/* an answer, or not the origin's fault */
	}
}

void
req_cache_end(struct conn *c)
{
	struct req *r = &c->r;

	if (r->r_cache.hit_fd >= 0) {
		close(r->r_cache.hit_fd);
		r->r_cache.hit_fd = -1;
	}
	req_cache_gunzip_end(c);
	cache_req_end(r->r_cache.q);
	r->r_cache.q = NULL;
}

/* -------------------------------------------------------------- steps */

int
req_step_cache_lookup(struct conn *c)
{
	struct req *r = &c->r;
	const struct cache_hit *hit;
	enum cache_kind kind;
	char *extra;
	size_t n;
	int rc;

	if (r->r_cache.q == NULL && !r->r_cache.looked_up) {
		r->r_cache.q = cache_req_new(c->arena, r->r_method, r->r_url,
		    r->r_head, r->r_is_head, r->r_body.mode != HTTP_BODY_NONE,
		    r->r_start_sec, &kind);
		r->r_cache.kind = r->r_cache.q != NULL ? (int)kind :
		    CACHE_K_OTHER;
		if (c->c_background)
			cache_req_background(r->r_cache.q);
	}
	if (r->r_cache.kind == CACHE_K_PURGE)
		return REQ_NEXT(c, PURGE);
	if (r->r_cache.kind != CACHE_K_GET)
		return REQ_MOVE(c, req_cache_origin(c));
	switch (req_cache_allowed(c)) {
	case -1:
		if (r->r_naddrs == 0 && !r->r_dns_failed)
			return REQ_NEXT(c, RESOLVE);	/* and back */
		/* FALLTHROUGH */
	case 0:
		cache_req_bypass(r->r_cache.q);
		break;
	}
	rc = cache_lookup(r->r_cache.q, r->r_head, (int64_t)time(NULL), &hit);
	/* Whoever asks the origin asks in the coding stored (cache.h). */
	r->r_ae = cache_accept_encoding(r->r_cache.q);
	switch (rc) {
	case CACHE_FRESH:
		r->r_cache.looked_up = 1;
		return REQ_MOVE(c, req_cache_serve(c, hit));
	case CACHE_STALE:
		/* RFC 9111 §4.3.1: ask with the stored validators. */
		if ((extra = req_alloc(c, 1024)) != NULL) {
			struct buf b = { .start = extra, .pos = extra,
			    .last = extra, .end = extra + 1023, .size = 1023 };

			if (cache_cond_fields(r->r_cache.q, &b) == 0) {
				n = buf_len(&b);
				extra[n] = '\0';
				r->r_extra = n > 0 ? extra : NULL;
			}
		}
		break;
	case CACHE_ONLY_IF_CACHED:
		/* RFC 9111 §5.2.1.7: nothing servable and it will not wait. */
		log_info("conn %u client %s: only-if-cached and %s is not "
		    "stored", c->id, c->c_peer_text, r->r_url);
		r->r_cache.looked_up = 1;
		return REQ_FAIL(c, ERR_ONLY_IF_CACHED_MISS);
	case CACHE_MISS:
		if (cache_cf_join(r->r_cache.q, r->r_head, req_wake, c) ==
		    CACHE_CF_FOLLOWER) {
			log_debug("conn %u: %s: waits for the fetch under way",
			    c->id, r->r_url);
			r->r_cache.looked_up = 1;
			req_timer(c, worker_conf->server_first_byte_timeout +
			    worker_conf->connect_timeout);
			return REQ_NEXT(c, CF_WAIT);
		}
		/* A Range miss: the whole object, the range cut from it. */
		if (cache_range_whole(r->r_cache.q, r->r_head)) {
			log_debug("conn %u: %s: Range miss: fetching the whole "
			    "object", c->id, r->r_url);
			r->r_strip_range = 1;
		}
		break;
	default:
		break;
	}
	return REQ_MOVE(c, req_cache_origin(c));
}

/* PURGE (squid): remove every stored variant; 200, or 404 when none. */
int
req_step_purge(struct conn *c)
{
	struct req *r = &c->r;
	int n;

	if (r->r_timed_out) {
		r->r_timed_out = 0;
		return REQ_FAIL(c, ERR_NO_RESOURCES);
	}
	n = cache_purge(r->r_cache.q, req_wake, c);
	if (n == CACHE_AGAIN) {
		req_timer(c, worker_conf->read_timeout);
		return SL_AGAIN;
	}
	if (n < 0) {
		log_warnx("conn %u client %s: PURGE %s: %s", c->id,
		    c->c_peer_text, r->r_url, cache_strerror(n));
		return REQ_FAIL(c, ERR_NO_RESOURCES);
	}
	if ((c->obuf = buf_get(BUF_SMALL)) == NULL)
		return REQ_FAIL(c, ERR_NO_RESOURCES);
	r->r_status = n > 0 ? 200 : 404;
	if (!r->r_body.done || worker_draining())
		r->r_keepalive = 0;
	if (buf_printf(c->obuf, "HTTP/1.1 %d %s\r\nServer: sluice/"
	    PACKAGE_VERSION "\r\nContent-Length: 0\r\n%s\r\n", r->r_status,
	    n > 0 ? "OK" : "Not Found", r->r_keepalive ? "" :
	    "Connection: close\r\n") == -1)
		return REQ_FAIL(c, ERR_NO_RESOURCES);
	log_info("conn %u client %s: PURGE %s: %d entries removed", c->id,
	    c->c_peer_text, r->r_url, n);
	req_consume_head(c);
	r->r_synth = 1;
	return REQ_NEXT(c, DELIVER);
}

/* CF_WAIT: a follower waits for the leader's head. */
int
req_step_cf_wait(struct conn *c)
{
	struct req *r = &c->r;
	const struct cache_hit *hit;

	if (r->r_timed_out) {
		r->r_timed_out = 0;
		log_info("conn %u: %s: the fetch it waited for took too long; "
		    "asking the origin", c->id, r->r_url);
		cache_cf_leave(r->r_cache.q);
		return REQ_MOVE(c, req_cache_origin(c));
	}
	switch (cache_cf_poll(r->r_cache.q, r->r_head, (int64_t)time(NULL),
	    &hit)) {
	case CACHE_AGAIN:
		return SL_AGAIN;	/* woken by the leader's progress */
	case CACHE_FRESH:
		return REQ_MOVE(c, req_cache_serve(c, hit));
	default:
		return REQ_MOVE(c, req_cache_origin(c));
	}
}

/*
 * HIT_SEND for a follower: the bytes the leader stored so far, from
 * memory or the temp file; then wait for more.
 * @return SL_OK (whole), SL_AGAIN, or SL_ERROR (client gone: errno, or
 *	the fetch broke: 0).
 */
static int
req_cache_follow(struct conn *c)
{
	struct req *r = &c->r;
	struct cache_slice s;
	off_t off;
	uint64_t n64;
	ssize_t n;
	int rc;

	while (r->r_cache.hit_left > 0) {
		rc = cache_cf_body(r->r_cache.q, r->r_cache.hit_off, &s);
		if (rc == CACHE_AGAIN)
			return SL_AGAIN;	/* woken by the leader */
		if (rc != CACHE_OK) {
			log_info("conn %u: the fetch of %s that this response "
			    "followed broke off", c->id, r->r_url);
			errno = 0;
			return SL_ERROR;
		}
		n64 = s.n < r->r_cache.hit_left ? s.n : r->r_cache.hit_left;
		if (n64 > REQ_CACHE_SENDFILE_MAX)
			n64 = REQ_CACHE_SENDFILE_MAX;
		if (s.p != NULL)
			n = io_send(c, c->c_io.fd, s.p, (size_t)n64);
		else {
			off = (off_t)r->r_cache.hit_off;
			n = io_sendfile(c, c->c_io.fd, s.fd, &off, (size_t)n64);
		}
		if (n > 0) {
			r->r_cache.hit_off += (uint64_t)n;
			r->r_cache.hit_left -= (uint64_t)n;
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

/* HIT_SEND: the body of a hit after its head, by sendfile(2). */
int
req_step_hit_send(struct conn *c)
{
	struct req *r = &c->r;
	off_t off;
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
	/* A background revalidation: the store has it, nobody to send to. */
	if (c->c_background) {
		if (r->r_cache.follow)
			cache_cf_leave(r->r_cache.q);
		req_cache_gunzip_end(c);
		goto sent;
	}
	if (r->r_cache.follow) {
		rc = req_cache_follow(c);
		if (rc == SL_AGAIN)
			return SL_AGAIN;
		cache_cf_leave(r->r_cache.q);
		if (rc == SL_OK)
			return REQ_NEXT(c, LOG);
		/* Never complete a response whose source broke off. */
		r->r_keepalive = 0;
		r->r_code_sfx = "_ABORTED";	/* FINISH resets */
		return REQ_NEXT(c, LOG);
	}
	/* A gzip variant, inflated: obuf is filled and sent in turn. */
	while (r->r_cache.gz != NULL) {
		if (r->r_cache.gz_done) {
			req_cache_gunzip_end(c);
			goto sent;
		}
		if (req_cache_gunzip_fill(c) == SL_ERROR) {
			/* Never complete a response cut short. */
			r->r_code_sfx = "_ABORTED";	/* FINISH resets */
			goto end;
		}
		rc = req_flush_obuf(c);
		if (rc == SL_AGAIN)
			return SL_AGAIN;
		if (rc == SL_ERROR)
			goto gone;
		req_timer(c, worker_conf->read_timeout);
	}
	while (r->r_cache.hit_left > 0) {
		off = (off_t)r->r_cache.hit_off;
		n = io_sendfile(c, c->c_io.fd, r->r_cache.hit_fd, &off,
		    r->r_cache.hit_left > REQ_CACHE_SENDFILE_MAX ?
		    REQ_CACHE_SENDFILE_MAX : (size_t)r->r_cache.hit_left);
		if (n > 0) {
			r->r_cache.hit_off += (uint64_t)n;
			r->r_cache.hit_left -= (uint64_t)n;
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
			r->r_code_sfx = "_ABORTED";	/* FINISH resets */
			goto end;
		}
		goto gone;
	}
sent:
	if (r->r_cache.hit_fd >= 0)
		close(r->r_cache.hit_fd);
	r->r_cache.hit_fd = -1;
	return REQ_NEXT(c, LOG);
gone:
	log_info("conn %u client %s: client went away during a hit on %s",
	    c->id, c->c_peer_text, r->r_url);
	r->r_code_sfx = "_ABORTED";
end:
	if (r->r_cache.hit_fd >= 0)
		close(r->r_cache.hit_fd);
	r->r_cache.hit_fd = -1;
	r->r_keepalive = 0;
	return REQ_NEXT(c, LOG);
}

/*
 * CACHE_RESPONSE: a final response head from the origin (r_head, in ubuf
 * for r_resp_len bytes).  What the cache does with it, then the client's
 * head, then the body.
 */
int
req_step_cache_response(struct conn *c)
{
	struct req *r = &c->r;
	struct cache_req *q = r->r_cache.q;
	const struct http_head *h = r->r_head;
	const struct cache_hit *hit;
	const char *code;
	char cs[192];

	accesslog_capture_reply(c, h, 1);
	/* A 304 to the conditions we added: the stored entry is good. */
	if (h->status == 304 && r->r_extra != NULL && q != NULL)
		return REQ_NEXT(c, REFRESH);
	/* RFC 5861 §4, offline_mode: the stored response, not a 5xx. */
	if (cache_stale_status(q, h->status)) {
		snprintf(cs, sizeof(cs), "origin-%d", h->status);
		r->r_cache.stale_tried = 1;
		if (cache_stale(q, cs, (int64_t)time(NULL), &hit) ==
		    CACHE_FRESH) {
			log_info("conn %u client %s: %s: the origin answered "
			    "%d; serving the stored response (stale-if-error "
			    "or offline_mode)", c->id, c->c_peer_text,
			    r->r_url, h->status);
			/* Its answer is dropped unread: the conn is closed. */
			r->r_up_reusable = 0;
			upstream_release(c);
			r->r_head = NULL;
			return REQ_MOVE(c, req_cache_serve(c, hit));
		}
	}
	if (q != NULL) {
		if (cache_response(q, h, r->r_rbody.mode == HTTP_BODY_CHUNKED &&
		    !r->r_rbody.decode, r->r_rbody.mode == HTTP_BODY_LENGTH ?
		    r->r_rbody.length : UINT64_MAX,
		    (int64_t)time(NULL)) == CACHE_STORING)
			r->r_cache.storing = 1;
		/* The tee: the store's copy, and the last bytes held for it. */
		if (cache_hold(q))
			r->r_rbody.tee = req_cache_tee;
		/* A Range miss fetched whole: the client gets its slice. */
		if (r->r_strip_range) {
			r->r_range_rc = cache_range_answer(q, h,
			    r->r_rbody.mode == HTTP_BODY_LENGTH ?
			    r->r_rbody.length : UINT64_MAX, &r->r_range_first,
			    &r->r_range_last);
			if (r->r_range_rc != 0) {
				r->r_rbody.skip = r->r_range_rc == 1 ?
				    r->r_range_first : 0;
				r->r_rbody.limit = r->r_range_rc == 1 ?
				    r->r_range_last - r->r_range_first + 1 : 0;
				/* The fetch goes on after the client's part. */
				r->r_keepalive = 0;
			}
		}
		if ((code = cache_req_code(q)) != NULL)
			r->r_code = code;
	}
	cache_status_line(q, cs, sizeof(cs));
	if (req_response_head(c, h, 1, cs) == -1) {
		log_warnx("conn %u client %s: response head for %s does not fit",
		    c->id, c->c_peer_text, r->r_url);
		return REQ_FAIL(c, ERR_INVALID_RESP);
	}
	c->ubuf->pos += r->r_resp_len;
	r->r_head = NULL;
	if (body_scan(&r->r_rbody, c->ubuf) == -1) {
		log_warnx("conn %u client %s: bad chunked body from %s for %s",
		    c->id, c->c_peer_text, r->r_peer, r->r_url);
		return REQ_FAIL(c, ERR_INVALID_RESP);
	}
	req_timer(c, worker_conf->read_timeout);
	return REQ_NEXT(c, DELIVER);
}

/* REFRESH: a 304 answered our revalidation (RFC 9111 §4.3.4). */
int
req_step_refresh(struct conn *c)
{
	struct req *r = &c->r;
	const struct cache_hit *hit;
	const struct http_head *h = r->r_head;
	int rc;

	if (r->r_timed_out) {
		r->r_timed_out = 0;
		return REQ_FAIL(c, ERR_NO_RESOURCES);
	}
	rc = cache_revalidated(r->r_cache.q, h, (int64_t)time(NULL), &hit,
	    req_wake, c);
	if (h != NULL) {
		/* The 304 has no body (RFC 9110 §15.4.5). */
		c->ubuf->pos += r->r_resp_len;
		r->r_head = NULL;
		r->r_up_reusable = r->r_up_keep && r->r_body.done &&
		    buf_len(c->ubuf) == 0;
	}
	switch (rc) {
	case CACHE_AGAIN:
		req_timer(c, worker_conf->read_timeout);
		return SL_AGAIN;
	case CACHE_FRESH:
		log_debug("conn %u: %s revalidated (304)", c->id, r->r_url);
		return REQ_MOVE(c, req_cache_serve(c, hit));
	default:
		/* Gone, replaced or not the one the 304 is about: ask anew. */
		log_info("conn %u client %s: the 304 for %s matches no stored "
		    "response; asking without conditions", c->id,
		    c->c_peer_text, r->r_url);
		upstream_refetch(c);
		return REQ_NEXT(c, CONNECT_UP);
	}
}

/* STORE: the whole body was teed: commit, then let the last bytes go. */
int
req_step_store(struct conn *c)
{
	struct req *r = &c->r;

	if (r->r_timed_out) {
		r->r_timed_out = 0;
		log_warnx("conn %u: the store took over read_timeout for %s; "
		    "answering without waiting", c->id, r->r_url);
		req_cache_end(c);	/* its callback must not come later */
	} else if (cache_body_end(r->r_cache.q, 1, req_wake, c) ==
	    CACHE_AGAIN) {
		req_timer(c, worker_conf->read_timeout);
		return SL_AGAIN;
	}
	r->r_rbody.tee = NULL;
	return REQ_NEXT(c, DELIVER);
}

/* STALE: the origin could not be reached; a stale entry may answer. */
int
req_step_stale(struct conn *c)
{
	struct req *r = &c->r;
	const struct cache_hit *hit;
	const char *why = errpage_name(r->r_err);

	r->r_cache.stale_tried = 1;
	if (cache_stale(r->r_cache.q, why, (int64_t)time(NULL), &hit) !=
	    CACHE_FRESH)
		return REQ_NEXT(c, SYNTH);
	log_info("conn %u client %s: %s: %s; serving the stale stored "
	    "response (RFC 9111 §4.2.4)", c->id, c->c_peer_text, r->r_url,
	    why);
	r->r_err = ERRPAGE_COUNT;
	return REQ_MOVE(c, req_cache_serve(c, hit));
}
