/*
 * cond.c -- RFC 9111 decisions about one stored response (see cond.h).
 * Pure functions; runs wherever cache.c does (the workers).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include <strings.h>

#include "buf.h"
#include "cond.h"
#include "http_hdr.h"
#include "http_parse.h"
#include "policy.h"
#include "str.h"

int
cond_etag_in(const char *list, size_t n, const char *tag, size_t tn)
{
	const char *p = list, *e = list + n, *s;

	/* The weak comparison ignores the W/ of either side (§8.8.3.2). */
	if (tn >= 2 && tag[0] == 'W' && tag[1] == '/') {
		tag += 2;
		tn -= 2;
	}
	while (p < e) {
		while (p < e && (*p == ' ' || *p == '\t' || *p == ','))
			p++;
		if (p >= e)
			break;
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

int
cond_not_modified(const struct http_head *rq, const struct http_head *h)
{
	const struct http_field *inm, *ims, *etag, *lm;
	int64_t since, mod;

	/* §13.2.1: only a 200 (here: what a GET would get) is evaluated. */
	if (h->status != 200)
		return 0;
	inm = http_hdr_find(rq, "If-None-Match");
	ims = http_hdr_find(rq, "If-Modified-Since");
	etag = http_hdr_find(h, "ETag");
	lm = http_hdr_find(h, "Last-Modified");
	if (inm != NULL) {
		/* §13.1.2: "*" matches any current representation. */
		if (str_ieq(inm->value, inm->value_len, "*"))
			return 1;
		return etag != NULL && cond_etag_in(inm->value,
		    inm->value_len, etag->value, etag->value_len);
	}
	/* §13.1.3: an invalid date, or no Last-Modified: the full answer. */
	if (ims == NULL || lm == NULL ||
	    (since = policy_date(ims->value, ims->value_len)) < 0 ||
	    (mod = policy_date(lm->value, lm->value_len)) < 0)
		return 0;
	return mod <= since;
}

int
cond_client_conditional(const struct http_head *rq)
{
	static const char *const names[] = { "If-None-Match",
	    "If-Modified-Since", "If-Match", "If-Unmodified-Since", "If-Range",
	    "Range", NULL };
	size_t i, k;

	for (i = 0; i < rq->nfields; i++)
		for (k = 0; names[k] != NULL; k++)
			if (http_field_is(&rq->fields[i], names[k]))
				return 1;
	return 0;
}

int
cond_client_validating(const struct http_head *rq)
{
	return http_hdr_has(rq, "If-None-Match") ||
	    http_hdr_has(rq, "If-Modified-Since") ||
	    http_hdr_has(rq, "If-Match") ||
	    http_hdr_has(rq, "If-Unmodified-Since");
}

int
cond_304_field(const struct http_field *f)
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

int
cond_unstored_field(const struct http_head *h, size_t i)
{
	const struct http_field *f = &h->fields[i];

	return http_hdr_is_hop(h, i) || http_field_is(f, "Via") ||
	    http_field_is(f, "Set-Cookie") || http_field_is(f, "Set-Cookie2") ||
	    policy_cc_omits(h, f->name, f->name_len);
}

int
cond_head_bytes(const struct http_head *h, struct buf *b, int64_t received)
{
	size_t i;

	if (buf_printf(b, "HTTP/1.1 %d %.*s\r\n", h->status,
	    (int)h->reason_len, h->reason) == -1)
		return -1;
	for (i = 0; i < h->nfields; i++)
		if (!cond_unstored_field(h, i) &&
		    http_hdr_copy(b, &h->fields[i]) == -1)
			return -1;
	/* RFC 9110 §6.6.1: no Date from the origin: the time it came. */
	if (!http_hdr_has(h, "Date") && http_hdr_date(b, (time_t)received) == -1)
		return -1;
	return 0;
}

int
cond_keep_stored(const struct http_field *f)
{
	return http_field_is(f, "Content-Length") ||
	    http_field_is(f, "Content-Encoding") ||
	    http_field_is(f, "Content-Range") || http_field_is(f, "Via");
}

/* Is a field named like @p f in @p h? */
static int
cond_has_name(const struct http_head *h, const struct http_field *f)
{
	size_t i;

	for (i = 0; i < h->nfields; i++)
		if (h->fields[i].name_len == f->name_len &&
		    strncasecmp(h->fields[i].name, f->name, f->name_len) == 0)
			return 1;
	return 0;
}

int
cond_merge(struct buf *b, const struct http_head *h,
    const struct http_head *nh, int to_store)
{
	size_t i;

	if (buf_printf(b, "HTTP/1.1 %d %.*s\r\n", h->status,
	    (int)h->reason_len, h->reason) == -1)
		return -1;
	for (i = 0; i < h->nfields; i++)
		if ((cond_keep_stored(&h->fields[i]) ||
		    !cond_has_name(nh, &h->fields[i])) &&
		    http_hdr_copy(b, &h->fields[i]) == -1)
			return -1;
	for (i = 0; i < nh->nfields; i++) {
		if (http_hdr_is_hop(nh, i) || cond_keep_stored(&nh->fields[i]))
			continue;
		if (to_store && cond_unstored_field(nh, i))
			continue;
		if (http_hdr_copy(b, &nh->fields[i]) == -1)
			return -1;
	}
	return 0;
}

/* Is @p name's value in @p h exactly @p v (NULL: absent)? */
static int
cond_value_is(const struct http_head *h, const char *name, const char *v)
{
	const struct http_field *f = http_hdr_find(h, name);

	if (f == NULL || v == NULL)
		return f == NULL && v == NULL;
	return strlen(v) == f->value_len && memcmp(f->value, v,
	    f->value_len) == 0;
}

int
cond_304_matches(const struct http_head *h, const struct http_head *nh,
    const char *sent_etag, const char *sent_lm)
{
	const struct http_field *ne = http_hdr_find(nh, "ETag"),
	    *nl = http_hdr_find(nh, "Last-Modified"), *se, *sl;
	int64_t a, b;

	if (ne != NULL) {
		/* §4.3.4: the stored response with this entity-tag. */
		se = http_hdr_find(h, "ETag");
		return se != NULL && cond_etag_in(ne->value, ne->value_len,
		    se->value, se->value_len);
	}
	if (nl != NULL) {
		sl = http_hdr_find(h, "Last-Modified");
		return sl != NULL &&
		    (a = policy_date(nl->value, nl->value_len)) >= 0 &&
		    (b = policy_date(sl->value, sl->value_len)) >= 0 && a == b;
	}
	/*
	 * No validator in the 304: it answers the condition we sent, so it
	 * is about this response only if this response still has exactly
	 * the validators that condition was built from.
	 */
	if (sent_etag == NULL && sent_lm == NULL)
		return 0;
	return cond_value_is(h, "ETag", sent_etag) &&
	    cond_value_is(h, "Last-Modified", sent_lm);
}

int
cond_stale_if_error(const struct cc *rq, const struct cc *rs, int64_t life,
    int64_t age, int64_t limit, int offline)
{
	int64_t stale = age > life ? age - life : 0;

	/* §4.2.4: the origin's explicit demands bind, offline or not. */
	if (policy_demands(rs))
		return COND_STALE_NO;
	/* offline_mode: the operator prefers any stored answer to none. */
	if (offline)
		return COND_STALE_ERRORS;
	/* RFC 5861 §4: the client's own permission, for this request. */
	if (rq->stale_if_error >= 0)
		return stale <= rq->stale_if_error ? COND_STALE_ERRORS :
		    COND_STALE_NO;
	/* §5.2.1.1, §5.2.1.3, §5.2.1.4: the client wants it fresh. */
	if ((rq->flags & CC_NO_CACHE) || rq->max_age >= 0 ||
	    rq->min_fresh >= 0)
		return COND_STALE_NO;
	/* RFC 5861 §4: the origin's permission, and its upper limit. */
	if (rs->stale_if_error >= 0)
		return stale <= rs->stale_if_error ? COND_STALE_ERRORS :
		    COND_STALE_NO;
	return stale <= limit ? COND_STALE_UNREACHABLE : COND_STALE_NO;
}
