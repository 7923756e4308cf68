/*
 * policy.c -- RFC 9111 decisions of a shared cache (see policy.h).
 * Pure functions: no I/O, no allocation, no clock.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "http_parse.h"
#include "policy.h"
#include "str.h"

/* struct cc.stale_if_error while policy_cc() runs: bad or repeated. */
#define POLICY_SIE_BAD	(-2)

static int
policy_is(const struct http_field *f, const char *name)
{
	return str_ieq(f->name, f->name_len, name);
}

/* delta-seconds (RFC 9111 §1.2.2): 1*DIGIT, capped at 2^31; -1 if bad. */
static int64_t
policy_delta(const char *p, size_t n)
{
	int64_t v = 0;
	size_t i;

	if (n >= 2 && p[0] == '"' && p[n - 1] == '"') {
		p++;
		n -= 2;
	}
	if (n == 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		if (v < CC_DELTA_MAX)
			v = v * 10 + (p[i] - '0');
	}
	return v > CC_DELTA_MAX ? CC_DELTA_MAX : v;
}

/* A delta-seconds directive: bad or repeated spoils freshness (§4.2.1). */
static void
policy_cc_delta(struct cc *cc, int64_t *slot, const char *v, size_t vn,
    int has_value)
{
	int64_t d = has_value ? policy_delta(v, vn) : -1;

	if (d < 0 || *slot >= 0) {
		cc->flags |= CC_INVALID;
		*slot = -1;
		return;
	}
	*slot = d;
}

/* One directive "name[=value]" of a Cache-Control list. */
static void
policy_cc_one(struct cc *cc, const char *d, size_t n, int is_request)
{
	const char *eq = memchr(d, '=', n), *v = NULL;
	size_t nn = eq ? (size_t)(eq - d) : n, vn = 0;

	/*
	 * §5.2: token [ "=" ( token / quoted-string ) ], no whitespace around
	 * "=": "max-age =60" is another (unknown) name and "max-age= 60" a bad
	 * value.
	 */
	if (eq != NULL) {
		v = eq + 1;
		vn = n - nn - 1;
	}
	if (str_ieq(d, nn, "no-store"))
		cc->flags |= CC_NO_STORE;
	else if (str_ieq(d, nn, "no-cache"))
		cc->flags |= eq && !is_request ? CC_NO_CACHE_FIELDS :
		    CC_NO_CACHE;
	else if (str_ieq(d, nn, "private"))
		cc->flags |= eq ? CC_PRIVATE_FIELDS : CC_PRIVATE;
	else if (str_ieq(d, nn, "public"))
		cc->flags |= CC_PUBLIC;
	else if (str_ieq(d, nn, "must-revalidate"))
		cc->flags |= CC_MUST_REVALIDATE;
	else if (str_ieq(d, nn, "proxy-revalidate"))
		cc->flags |= CC_PROXY_REVALIDATE;
	else if (str_ieq(d, nn, "must-understand"))
		cc->flags |= CC_MUST_UNDERSTAND;
	else if (str_ieq(d, nn, "only-if-cached"))
		cc->flags |= CC_ONLY_IF_CACHED;
	else if (str_ieq(d, nn, "max-age"))
		policy_cc_delta(cc, &cc->max_age, v, vn, eq != NULL);
	else if (str_ieq(d, nn, "s-maxage"))
		policy_cc_delta(cc, &cc->s_maxage, v, vn, eq != NULL);
	else if (str_ieq(d, nn, "min-fresh"))
		policy_cc_delta(cc, &cc->min_fresh, v, vn, eq != NULL);
	else if (str_ieq(d, nn, "stale-while-revalidate") && !is_request) {
		/* RFC 5861 §3: delta-seconds; anything else is ignored. */
		int64_t s = 0;
		size_t k;

		for (k = 0; v != NULL && k < vn && v[k] >= '0' && v[k] <= '9' &&
		    s < CC_DELTA_MAX; k++)
			s = s * 10 + (v[k] - '0');
		if (v != NULL && k == vn && vn > 0)
			cc->swr = s;
	} else if (str_ieq(d, nn, "max-stale")) {
		/* §5.2.1.2: without a value, any staleness is accepted. */
		if (eq == NULL)
			cc->flags |= CC_MAX_STALE_ANY;
		else
			policy_cc_delta(cc, &cc->max_stale, v, vn, 1);
	} else if (str_ieq(d, nn, "immutable"))
		cc->flags |= CC_IMMUTABLE;	/* RFC 8246 §2 */
	else if (str_ieq(d, nn, "stale-if-error")) {
		/*
		 * RFC 5861 §4: stale-if-error=delta-seconds.  Not a freshness
		 * directive: a bad or repeated one does not spoil freshness,
		 * it only gives no permission (POLICY_SIE_BAD until the end
		 * of policy_cc(), then absent).
		 */
		int64_t sie = eq != NULL ? policy_delta(v, vn) : -1;

		cc->stale_if_error = sie < 0 || cc->stale_if_error != -1 ?
		    POLICY_SIE_BAD : sie;
	}
	/* §5.2.3: unknown extensions are ignored. */
}

/*
 * Every directive of one Cache-Control line: comma-separated, commas
 * inside quoted-strings kept, OWS around elements dropped (RFC 9110
 * §5.6.1).  @p fn returns 1 to stop; so does policy_cc_each().
 */
static int
policy_cc_each(const struct http_field *f,
    int (*fn)(void *, const char *, size_t), void *arg)
{
	const char *p, *e = f->value + f->value_len, *s, *t;
	int quoted;

	for (p = f->value; p < e; p = s + 1) {
		while (p < e && (*p == ' ' || *p == '\t' || *p == ','))
			p++;
		for (s = p, quoted = 0; s < e && (quoted || *s != ','); s++)
			if (*s == '"')
				quoted = !quoted;
		for (t = s; t > p && (t[-1] == ' ' || t[-1] == '\t'); t--)
			;
		if (t > p && fn(arg, p, (size_t)(t - p)))
			return 1;
	}
	return 0;
}

struct policy_cc_arg {
	struct cc	*cc;
	int		 is_request;
};

static int
policy_cc_cb(void *arg, const char *d, size_t n)
{
	struct policy_cc_arg *a = arg;

	policy_cc_one(a->cc, d, n, a->is_request);
	return 0;
}

void
policy_cc(const struct http_head *h, int is_request, struct cc *cc)
{
	struct policy_cc_arg a = { cc, is_request };
	const struct http_field *f;
	size_t i;
	int seen = 0, pragma = 0;

	memset(cc, 0, sizeof(*cc));
	cc->max_age = cc->s_maxage = cc->max_stale = cc->min_fresh =
	    cc->stale_if_error = -1;
	cc->swr = -1;
	for (i = 0; i < h->nfields; i++) {
		f = &h->fields[i];
		if (is_request && policy_is(f, "Pragma") &&
		    http_list_has(f->value, f->value_len, "no-cache"))
			pragma = 1;
		if (!policy_is(f, "Cache-Control"))
			continue;
		seen = 1;
		(void)policy_cc_each(f, policy_cc_cb, &a);
	}
	/* §5.4: Pragma: no-cache counts only without Cache-Control. */
	if (pragma && !seen)
		cc->flags |= CC_NO_CACHE;
	if (cc->stale_if_error == POLICY_SIE_BAD)
		cc->stale_if_error = -1;
}

/* Does no-cache="..." or private="..." (directive @p d) name arg's field? */
static int
policy_listed_cb(void *arg, const char *d, size_t n)
{
	const char *name = arg, *eq = memchr(d, '=', n), *v;
	size_t vn;

	if (eq == NULL || !(str_ieq(d, (size_t)(eq - d), "no-cache") ||
	    str_ieq(d, (size_t)(eq - d), "private")))
		return 0;
	v = eq + 1;
	vn = n - (size_t)(v - d);
	if (vn >= 2 && v[0] == '"' && v[vn - 1] == '"') {
		v++;
		vn -= 2;
	}
	return http_list_has(v, vn, name);
}

int
policy_cc_omits(const struct http_head *h, const char *name, size_t len)
{
	char n[256];
	size_t i;

	if (len >= sizeof(n))
		return 0;
	memcpy(n, name, len);
	n[len] = '\0';
	for (i = 0; i < h->nfields; i++)
		if (policy_is(&h->fields[i], "Cache-Control") &&
		    policy_cc_each(&h->fields[i], policy_listed_cb, n))
			return 1;
	return 0;
}

/* ---------------------------------------------------------------- dates */

static int
policy_month(const char *m)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	const char *p;

	if (strlen(m) != 3 || (p = strstr(months, m)) == NULL ||
	    (p - months) % 3 != 0)
		return -1;
	return (int)((p - months) / 3);
}

/* Two or four digits at p, or -1. */
static int
policy_digits(const char *p, int n)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	return v;
}

/* "Sun, 06 Nov 1994 08:49:37 GMT" at fixed offsets (29 bytes). */
static int
policy_fixdate(const char *b, char *wd, int *d, char *mon, int *y, int *hh,
    int *mm, int *ss)
{
	int i;

	for (i = 0; i < 3; i++)
		if (!((b[i] >= 'A' && b[i] <= 'Z') || (b[i] >= 'a' &&
		    b[i] <= 'z')) || !((b[8 + i] >= 'A' && b[8 + i] <= 'Z') ||
		    (b[8 + i] >= 'a' && b[8 + i] <= 'z')))
			return 0;
	if (b[3] != ',' || b[4] != ' ' || b[7] != ' ' || b[11] != ' ' ||
	    b[16] != ' ' || b[19] != ':' || b[22] != ':' ||
	    memcmp(b + 25, " GMT", 4) != 0)
		return 0;
	memcpy(wd, b, 3);
	wd[3] = '\0';
	memcpy(mon, b + 8, 3);
	mon[3] = '\0';
	*d = policy_digits(b + 5, 2);
	*y = policy_digits(b + 12, 4);
	*hh = policy_digits(b + 17, 2);
	*mm = policy_digits(b + 20, 2);
	*ss = policy_digits(b + 23, 2);
	return *d >= 0 && *y >= 0 && *hh >= 0 && *mm >= 0 && *ss >= 0;
}

int64_t
policy_date(const char *s, size_t n)
{
	char buf[64], wd[16], mon[8];
	struct tm tm;
	int d, y, hh, mm, ss, used = 0, m;
	time_t t;

	if (n == 0 || n >= sizeof(buf))
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	memset(&tm, 0, sizeof(tm));
	/* IMF-fixdate, the form every current sender uses: no sscanf. */
	if (n == 29 && policy_fixdate(buf, wd, &d, mon, &y, &hh, &mm, &ss))
		;
	/* IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT */
	else if (sscanf(buf, "%3[A-Za-z], %2d %3[A-Za-z] %4d %2d:%2d:%2d GMT%n",
	    wd, &d, mon, &y, &hh, &mm, &ss, &used) == 7 && (size_t)used == n)
		;
	/* rfc850-date: Sunday, 06-Nov-94 08:49:37 GMT */
	else if (used = 0, sscanf(buf, "%9[A-Za-z], %2d-%3[A-Za-z]-%2d "
	    "%2d:%2d:%2d GMT%n", wd, &d, mon, &y, &hh, &mm, &ss, &used) == 7 &&
	    (size_t)used == n)
		y += y < 70 ? 2000 : 1900;	/* §5.6.7: the nearest past */
	/* asctime-date: Sun Nov  6 08:49:37 1994 */
	else if (used = 0, sscanf(buf, "%3[A-Za-z] %3[A-Za-z] %2d %2d:%2d:%2d "
	    "%4d%n", wd, mon, &d, &hh, &mm, &ss, &y, &used) == 7 &&
	    (size_t)used == n)
		;
	else
		return -1;
	if ((m = policy_month(mon)) == -1 || d < 1 || d > 31 || hh > 23 ||
	    mm > 59 || ss > 60 || y < 1900 || hh < 0 || mm < 0 || ss < 0)
		return -1;
	tm.tm_year = y - 1900;
	tm.tm_mon = m;
	tm.tm_mday = d;
	tm.tm_hour = hh;
	tm.tm_min = mm;
	tm.tm_sec = ss;
	t = timegm(&tm);
	if (t == (time_t)-1 || tm.tm_mday != d)
		return -1;	/* 31 Feb and the like */
	return (int64_t)t;
}

/* The single value of @p name, or NULL; *many set when it repeats. */
static const struct http_field *
policy_field(const struct http_head *h, const char *name, int *many)
{
	const struct http_field *f = NULL;
	size_t i;

	*many = 0;
	for (i = 0; i < h->nfields; i++)
		if (policy_is(&h->fields[i], name)) {
			if (f != NULL)
				*many = 1;
			else
				f = &h->fields[i];
		}
	return f;
}

/* ---------------------------------------------------------------- policy */

/* RFC 9111 §4.2.2: heuristically cacheable by default. */
static int
policy_heuristic_status(int st)
{
	switch (st) {
	case 200: case 203: case 204: case 206: case 300: case 301:
	case 308: case 404: case 405: case 410: case 414: case 501:
		return 1;
	default:
		return 0;
	}
}

/*
 * Final statuses whose caching requirements this cache implements, for
 * must-understand (§5.2.2.3): those of RFC 9110 §15 but 206 (no partial
 * storage) and 304 (an update, not a response to store).
 */
static int
policy_understood(int st)
{
	switch (st) {
	case 200: case 201: case 202: case 203: case 204: case 205:
	case 300: case 301: case 302: case 303: case 307: case 308:
	case 400: case 401: case 402: case 403: case 404: case 405:
	case 406: case 407: case 408: case 409: case 410: case 411:
	case 412: case 413: case 414: case 415: case 416: case 417:
	case 421: case 422: case 426: case 451:
	case 500: case 501: case 502: case 503: case 504: case 505:
		return 1;
	default:
		return 0;
	}
}

int
policy_storable(const char *method, int authorization, const struct cc *rq,
    const struct http_head *resp, const struct cc *rs, const char **why)
{
	const struct http_field *f;
	int many;

#define NO(reason)	do { if (why != NULL) *why = (reason); return 0; } while (0)
	if (strcmp(method, "GET") != 0)
		NO("method is not GET");
	/*
	 * §3: any final status, except that 206 and 304 would need the cache
	 * to understand them (it stores neither), and so does any status
	 * under must-understand (§5.2.2.3), which then outranks no-store.
	 */
	if (resp->status < 200 || resp->status == 206 || resp->status == 304)
		NO("status not stored");
	if ((rs->flags & CC_MUST_UNDERSTAND) && !policy_understood(resp->status))
		NO("must-understand and a status not understood");
	if ((rq->flags & CC_NO_STORE) || ((rs->flags & CC_NO_STORE) &&
	    !(rs->flags & CC_MUST_UNDERSTAND)))
		NO("no-store");
	/* private="f": the rest is storable, without f (§5.2.2.7). */
	if (rs->flags & CC_PRIVATE)
		NO("private");
	/* §3.5: a response to an authenticated request, only when allowed. */
	if (authorization &&
	    !(rs->flags & (CC_MUST_REVALIDATE | CC_PUBLIC)) && rs->s_maxage < 0)
		NO("Authorization");
	if ((f = policy_field(resp, "Vary", &many)) != NULL) {
		size_t i;

		for (i = 0; i < resp->nfields; i++)
			if (policy_is(&resp->fields[i], "Vary") &&
			    http_list_has(resp->fields[i].value,
			    resp->fields[i].value_len, "*"))
				NO("Vary: *");
	}
	/* §3: something that allows reuse. */
	if (rs->flags & CC_PUBLIC || rs->max_age >= 0 || rs->s_maxage >= 0 ||
	    policy_field(resp, "Expires", &many) != NULL ||
	    policy_heuristic_status(resp->status))
		return 1;
	NO("no freshness information");
#undef NO
}

int
policy_demands(const struct cc *rs)
{
	return (rs->flags & (CC_NO_CACHE | CC_NO_CACHE_FIELDS |
	    CC_MUST_REVALIDATE | CC_PROXY_REVALIDATE)) != 0 ||
	    rs->s_maxage >= 0;
}

/* The lifetime of RFC 9111 alone: §4.2.1, §4.2.2 (see policy_lifetime). */
static int64_t
policy_lifetime_rfc(const struct http_head *resp, const struct cc *rs,
    int64_t response_time, const struct refresh *rp, int *heuristic,
    int *explicit)
{
	const struct http_field *f;
	int64_t date, exp, lm, life;
	int many;

	*heuristic = *explicit = 0;
	if (rs->flags & CC_INVALID)
		return 0;		/* §4.2.1: invalid freshness: stale */
	/*
	 * An Age that is not delta-seconds (§5.1, §1.2.2) cannot say how
	 * old the response is; §4.2.1 encourages treating invalid freshness
	 * information as stale, and here it is the only safe reading: an
	 * ignored "Age: -1" or "Age: 1e9" would let a response an upstream
	 * cache holds as old be served as new.  Stale: revalidate first.
	 */
	if (policy_age_field(resp) == POLICY_AGE_INVALID)
		return 0;
	*explicit = 1;
	if (rs->s_maxage >= 0)
		return rs->s_maxage;	/* shared caches: s-maxage first */
	if (rs->max_age >= 0)
		return rs->max_age;
	f = policy_field(resp, "Date", &many);
	date = f && !many ? policy_date(f->value, f->value_len) : -1;
	if (date < 0)
		date = response_time;
	if ((f = policy_field(resp, "Expires", &many)) != NULL) {
		/* §5.3: invalid (or repeated) Expires means already expired. */
		exp = many ? -1 : policy_date(f->value, f->value_len);
		if (exp < 0)
			return 0;
		return exp > date ? exp - date : 0;
	}
	*explicit = 0;
	/* §4.2.2: a heuristic only for these statuses, or when public. */
	if (!policy_heuristic_status(resp->status) && !(rs->flags & CC_PUBLIC))
		return 0;
	*heuristic = 1;
	if (rp == NULL)
		return 0;	/* the caller looks the refresh_pattern up */
	f = policy_field(resp, "Last-Modified", &many);
	lm = f && !many ? policy_date(f->value, f->value_len) : -1;
	/*
	 * squid's refresh_pattern (refreshStaleness()): past MAX is stale;
	 * with a Last-Modified before Date, PERCENT of Date - Last-Modified
	 * (the LM-factor; MIN does not raise it unless override-lastmod
	 * says so); otherwise MIN.
	 */
	if (lm >= 0 && lm < date) {
		life = rp->percent > 0 && date - lm > INT64_MAX / rp->percent ?
		    rp->max : (date - lm) * rp->percent / 100;
		if ((rp->flags & REFRESH_OVERRIDE_LASTMOD) && life < rp->min &&
		    !policy_demands(rs))
			life = rp->min;
	} else
		life = rp->min;
	if (life > rp->max)
		life = rp->max;
	return life;
}

int64_t
policy_lifetime(const struct http_head *resp, const struct cc *rs,
    int64_t response_time, const struct refresh *rp, int *heuristic)
{
	int64_t life;
	int explicit;

	life = policy_lifetime_rfc(resp, rs, response_time, rp, heuristic,
	    &explicit);
	if (rp == NULL || policy_demands(rs))
		return life;
	/*
	 * refresh_pattern ... immutable (sluice): the URL names content that
	 * never changes (a version or a hash in the name), so a 200 stays
	 * fresh for MAX whatever its Expires, max-age, Last-Modified or
	 * their absence say.  Only a 200: a 404 for a file not yet on the
	 * mirror, or a redirect, gets the ordinary rules.
	 */
	if ((rp->flags & REFRESH_IMMUTABLE) && resp->status == 200)
		return life > rp->max ? life : rp->max;
	/*
	 * squid's override-expire: an explicit lifetime (§4.2.1) shorter than
	 * MIN is raised to MIN (refreshCheck(): FRESH_OVERRIDE_EXPIRES).
	 */
	if ((rp->flags & REFRESH_OVERRIDE_EXPIRE) && explicit &&
	    life < rp->min)
		return rp->min;
	return life;
}

int64_t
policy_age(int64_t date, int64_t age_value, int64_t request_time,
    int64_t response_time, int64_t now)
{
	int64_t apparent, delay, corrected, initial;

	/* RFC 9111 §4.2.3, step by step. */
	apparent = date >= 0 && response_time > date ? response_time - date : 0;
	delay = response_time > request_time ? response_time - request_time : 0;
	corrected = (age_value > 0 ? age_value : 0) + delay;
	initial = apparent > corrected ? apparent : corrected;
	return initial + (now > response_time ? now - response_time : 0);
}

enum policy_use
policy_use(const struct cc *rq, const struct cc *rs, int64_t lifetime,
    int64_t age)
{
	int fresh = lifetime > age;

	/* §5.2.1.4 (and Pragma, §5.4), §5.2.2.4: always ask. */
	/* no-cache="f": the fields are not stored, the rest may be reused. */
	if (rq->flags & CC_NO_CACHE || rs->flags & CC_NO_CACHE)
		return USE_REVALIDATE;
	/* §5.2.1.1: no older than max-age. */
	if (rq->max_age >= 0 && age > rq->max_age)
		return USE_REVALIDATE;
	/* §5.2.1.3: fresh for at least min-fresh more. */
	if (rq->min_fresh >= 0 && lifetime - age < rq->min_fresh)
		return USE_REVALIDATE;
	if (fresh)
		return USE_FRESH;
	/* §4.2.4, §5.2.2.2, §5.2.2.8, §5.2.2.10: stale must be checked. */
	if (rs->flags & (CC_MUST_REVALIDATE | CC_PROXY_REVALIDATE) ||
	    rs->s_maxage >= 0)
		return USE_REVALIDATE;
	/* §5.2.1.2: the client accepts this much staleness. */
	if (rq->flags & CC_MAX_STALE_ANY ||
	    (rq->max_stale >= 0 && age - lifetime <= rq->max_stale))
		return USE_STALE_OK;
	return USE_REVALIDATE;
}

int64_t
policy_age_field(const struct http_head *h)
{
	const char *p, *e;
	int64_t v = 0;
	size_t i;

	for (i = 0; i < h->nfields; i++) {
		if (!policy_is(&h->fields[i], "Age"))
			continue;
		p = h->fields[i].value;
		e = p + h->fields[i].value_len;
		/* A list: its first member (§5.1). */
		if ((e = memchr(p, ',', (size_t)(e - p))) == NULL)
			e = h->fields[i].value + h->fields[i].value_len;
		while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		if (p == e)
			return POLICY_AGE_INVALID;
		/* 1*DIGIT: no sign, fraction, exponent or parameters. */
		for (; p < e; p++) {
			if (*p < '0' || *p > '9')
				return POLICY_AGE_INVALID;
			if (v < CC_DELTA_MAX)
				v = v * 10 + (*p - '0');
		}
		return v > CC_DELTA_MAX ? CC_DELTA_MAX : v;
	}
	return -1;
}

int
policy_quick_abort(int64_t min, int64_t max, int pct, uint64_t got,
    uint64_t total)
{
	uint64_t left;

	if (min < 0)
		return 1;		/* always finish */
	if (total == UINT64_MAX || got > total)
		return 0;		/* how much is left is not known */
	left = total - got;
	if (left <= (uint64_t)min)
		return 1;		/* only a little more: finish */
	if (max >= 0 && left > (uint64_t)max)
		return 0;		/* too much left: let it go */
	if (total < 100)
		return 1;
	return got / (total / 100) >= (uint64_t)pct;
}

int
policy_swr(const struct cc *rq, const struct cc *rs, int64_t lifetime,
    int64_t age)
{
	/* RFC 5861 §3, within RFC 9111's limits on stale responses (§4.2.4). */
	if (rs->swr < 0 || age < lifetime || age - lifetime > rs->swr)
		return 0;
	if (rs->flags & (CC_MUST_REVALIDATE | CC_PROXY_REVALIDATE |
	    CC_NO_CACHE | CC_NO_CACHE_FIELDS) || rs->s_maxage >= 0)
		return 0;
	/* A client that asks for freshness gets it (§5.2.1). */
	if ((rq->flags & CC_NO_CACHE) || rq->max_age >= 0 || rq->min_fresh >= 0)
		return 0;
	return 1;
}
