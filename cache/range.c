/*
 * range.c -- byte Range requests against a complete stored body (see
 * range.h).  Pure functions: no I/O, no allocation, no clock.  Runs in
 * the workers, on a cache hit.
 *
 * The grammar read here (RFC 9110 §14.1.1, §14.1.2, list rule §5.6.1.2):
 *	Range		= ranges-specifier
 *	ranges-specifier = range-unit "=" range-set
 *	range-set	= [ range-spec ] *( OWS "," OWS [ range-spec ] )
 *	range-spec	= int-range / suffix-range
 *	int-range	= first-pos "-" [ last-pos ]
 *	suffix-range	= "-" suffix-length
 * with at least one range-spec.  other-range (§14.1.1) has no meaning
 * for bytes: it makes the field invalid, hence ignored.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdint.h>
#include <string.h>

#include "http_parse.h"
#include "policy.h"
#include "range.h"
#include "str.h"

static int
range_ows(char c)
{
	return c == ' ' || c == '\t';
}

/*
 * 1*DIGIT at p (before e), saturating at 2^64-1 (beyond any body).
 * @return the end of the digits, or NULL when there is none.
 */
static const char *
range_num(const char *p, const char *e, uint64_t *out)
{
	const char *s = p;
	uint64_t v = 0;
	unsigned d;

	for (; p < e && *p >= '0' && *p <= '9'; p++) {
		d = (unsigned)(*p - '0');
		v = v > (UINT64_MAX - d) / 10 ? UINT64_MAX : v * 10 + d;
	}
	*out = v;
	return p == s ? NULL : p;
}

enum range_rc
range_parse(const char *v, size_t n, uint64_t length, struct range *rg)
{
	const char *p = v, *e = v + n, *q;
	uint64_t first = 0, last = 0, suffix = 0;
	int nspec = 0, has_last = 0, is_suffix = 0;

	rg->rc = RANGE_NONE;
	rg->first = rg->last = 0;
	while (p < e && range_ows(*p))
		p++;
	while (e > p && range_ows(e[-1]))
		e--;
	/* §14.1: the unit, case-insensitive, then "=" at once. */
	if ((size_t)(e - p) < 6 || !str_ieq(p, 5, "bytes") || p[5] != '=')
		return RANGE_NONE;
	p += 6;
	for (;;) {
		/* One range-spec, unless the element is empty. */
		if (p < e && *p != ',' && !range_ows(*p)) {
			if (*p == '-') {
				/* suffix-range = "-" suffix-length */
				if ((q = range_num(p + 1, e, &suffix)) == NULL)
					return RANGE_NONE;
				is_suffix = 1;
			} else {
				/* int-range = first-pos "-" [ last-pos ] */
				if ((q = range_num(p, e, &first)) == NULL ||
				    q >= e || *q != '-')
					return RANGE_NONE;
				q++;
				has_last = 0;
				if (q < e && *q >= '0' && *q <= '9') {
					q = range_num(q, e, &last);
					has_last = 1;
				}
				is_suffix = 0;
			}
			nspec++;
			p = q;
		}
		/* OWS "," OWS, or the end. */
		while (p < e && range_ows(*p))
			p++;
		if (p == e)
			break;
		if (*p != ',')
			return RANGE_NONE;	/* junk, or other-range */
		p++;
		while (p < e && range_ows(*p))
			p++;
	}
	/* No range-spec at all is invalid; several: we serve the 200. */
	if (nspec != 1)
		return RANGE_NONE;
	if (is_suffix) {
		/* §14.1.1: a zero suffix-length is unsatisfiable. */
		if (suffix == 0)
			return rg->rc = RANGE_UNSATISFIABLE;
		/* Satisfiable, but a 206 cannot carry an empty slice. */
		if (length == 0)
			return RANGE_NONE;
		/* §14.1.2: a suffix longer than the body is all of it. */
		rg->first = suffix >= length ? 0 : length - suffix;
		rg->last = length - 1;
		return rg->rc = RANGE_OK;
	}
	/* §14.1.1: last-pos below first-pos makes the int-range invalid. */
	if (has_last && last < first)
		return RANGE_NONE;
	/* §14.1.1: a first-pos at or beyond the length does not overlap. */
	if (first >= length)
		return rg->rc = RANGE_UNSATISFIABLE;
	/* §14.1.2: a last-pos beyond the end means the last byte. */
	rg->first = first;
	rg->last = !has_last || last >= length ? length - 1 : last;
	return rg->rc = RANGE_OK;
}

/*
 * An entity-tag (RFC 9110 §8.8.3): [ "W/" ] DQUOTE *etagc DQUOTE, the
 * whole of p[0..n).  @return 1 strong, 2 weak, 0 not an entity-tag.
 */
static int
range_etag(const char *p, size_t n)
{
	int weak = 0;

	if (n >= 2 && p[0] == 'W' && p[1] == '/') {
		weak = 1;
		p += 2;
		n -= 2;
	}
	if (n < 2 || p[0] != '"' || p[n - 1] != '"' ||
	    memchr(p + 1, '"', n - 2) != NULL)
		return 0;
	return weak ? 2 : 1;
}

int
range_if_range(const char *v, size_t n, const char *etag, size_t etag_len,
    const char *lm, size_t lm_len)
{
	int64_t d, m;

	while (n > 0 && range_ows(*v)) {
		v++;
		n--;
	}
	while (n > 0 && range_ows(v[n - 1]))
		n--;
	/* An entity-tag starts with DQUOTE or "W/" ("Wed, ..." is a date). */
	if ((n > 0 && *v == '"') || (n > 1 && v[0] == 'W' && v[1] == '/')) {
		/*
		 * §13.1.5 rule 1 with §8.8.3.2: the strong comparison; a weak
		 * tag (given or stored) never matches.
		 */
		if (range_etag(v, n) != 1 || etag == NULL ||
		    range_etag(etag, etag_len) != 1)
			return 0;
		return etag_len == n && memcmp(etag, v, n) == 0;
	}
	/* §13.1.5 rule 2: an HTTP-date must be exactly Last-Modified. */
	if ((d = policy_date(v, n)) < 0 || lm == NULL ||
	    (m = policy_date(lm, lm_len)) < 0)
		return 0;
	return d == m;
}

/* The one field named @p name of @p h: NULL when none, @p many when more. */
static const struct http_field *
range_field(const struct http_head *h, const char *name, int *many)
{
	const struct http_field *f = NULL;
	size_t i;

	*many = 0;
	for (i = 0; i < h->nfields; i++) {
		if (!http_field_is(&h->fields[i], name))
			continue;
		if (f != NULL)
			*many = 1;
		f = &h->fields[i];
	}
	return f;
}

enum range_rc
range_select(const struct http_head *rq, const struct http_head *resp,
    uint64_t length, struct range *rg)
{
	const struct http_field *ra, *ir, *etag, *lm;
	int many, etags, lms;

	rg->rc = RANGE_NONE;
	rg->first = rg->last = 0;
	/* §14.2: Range is about a 200's representation; one field only. */
	if (resp->status != 200 ||
	    (ra = range_field(rq, "Range", &many)) == NULL || many)
		return RANGE_NONE;
	if ((ir = range_field(rq, "If-Range", &many)) != NULL) {
		if (many)
			return RANGE_NONE;
		etag = range_field(resp, "ETag", &etags);
		lm = range_field(resp, "Last-Modified", &lms);
		/* A stored head with two ETags has no usable validator. */
		if (etags)
			etag = NULL;
		if (lms)
			lm = NULL;
		/* §13.1.5: false: ignore the Range, send the whole 200. */
		if (!range_if_range(ir->value, ir->value_len,
		    etag ? etag->value : NULL, etag ? etag->value_len : 0,
		    lm ? lm->value : NULL, lm ? lm->value_len : 0))
			return RANGE_NONE;
	}
	return range_parse(ra->value, ra->value_len, length, rg);
}
