/*
 * vary.c -- secondary cache keys from Vary (see vary.h).
 * Runs in the workers.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "http_parse.h"
#include "str.h"
#include "store.h"
#include "vary.h"

#define VARY_NAME_MAX	128	/* longer field names are refused */
#define VARY_VALUE_MAX	8192	/* joined value of one field */

static int
vary_ows(char ch)
{
	return ch == ' ' || ch == '\t';
}

/* Append p[0..n) to out at *len; 0, or -1 when it does not fit (+ NUL). */
static int
vary_put(char *out, size_t outsz, size_t *len, const char *p, size_t n)
{
	if (*len + n + 1 > outsz)
		return -1;
	memcpy(out + *len, p, n);
	*len += n;
	out[*len] = '\0';
	return 0;
}

/* One element of a comma list: [*p, *e) trimmed of OWS. */
static void
vary_trim(const char **p, const char **e)
{
	while (*p < *e && vary_ows(**p))
		(*p)++;
	while (*e > *p && vary_ows((*e)[-1]))
		(*e)--;
}

/* Sort short strings in place (insertion sort: at most a few dozen). */
static void
vary_sort(const char **s, size_t *l, size_t n)
{
	const char *ts;
	size_t i, j, tl, m;
	int c;

	for (i = 1; i < n; i++) {
		ts = s[i];
		tl = l[i];
		for (j = i; j > 0; j--) {
			m = tl < l[j - 1] ? tl : l[j - 1];
			c = memcmp(s[j - 1], ts, m);
			if (c < 0 || (c == 0 && l[j - 1] <= tl))
				break;
			s[j] = s[j - 1];
			l[j] = l[j - 1];
		}
		s[j] = ts;
		l[j] = tl;
	}
}

/* Join sorted, distinct strings with ','. */
static int
vary_join(const char **s, const size_t *l, size_t n, char *out,
    size_t outsz, size_t *len)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (i > 0 && l[i] == l[i - 1] && memcmp(s[i], s[i - 1], l[i]) == 0)
			continue;
		if ((*len > 0 && vary_put(out, outsz, len, ",", 1) == -1) ||
		    vary_put(out, outsz, len, s[i], l[i]) == -1)
			return -1;
	}
	return 0;
}

int
vary_spec(const struct http_head *h, char *out, size_t outsz)
{
	char names[VARY_NAMES_MAX][VARY_NAME_MAX];
	const char *s[VARY_NAMES_MAX];
	size_t l[VARY_NAMES_MAX], n = 0, i, k, len = 0;
	const char *p, *e, *end, *comma;

	if (outsz == 0)
		return VARY_TOOBIG;
	out[0] = '\0';
	for (i = 0; i < h->nfields; i++) {
		if (!http_field_is(&h->fields[i], "Vary"))
			continue;
		p = h->fields[i].value;
		end = p + h->fields[i].value_len;
		while (p < end) {
			comma = memchr(p, ',', (size_t)(end - p));
			e = comma != NULL ? comma : end;
			vary_trim(&p, &e);
			if (e - p == 1 && *p == '*')
				return VARY_STAR;
			if (e > p) {
				if (n == VARY_NAMES_MAX ||
				    (size_t)(e - p) > VARY_NAME_MAX)
					return VARY_TOOBIG;
				for (k = 0; k < (size_t)(e - p); k++)
					names[n][k] = str_lower(p[k]);
				s[n] = names[n];
				l[n] = (size_t)(e - p);
				n++;
			}
			p = comma != NULL ? comma + 1 : end;
		}
	}
	vary_sort(s, l, n);
	if (vary_join(s, l, n, out, outsz, &len) == -1)
		return VARY_TOOBIG;
	return VARY_OK;
}

size_t
vary_fields(const struct http_head *rq, char *out, size_t outsz)
{
	const struct http_field *f;
	size_t i, k, len = 0;

	if (outsz == 0)
		return (size_t)-1;
	out[0] = '\0';
	for (i = 0; i < rq->nfields; i++) {
		f = &rq->fields[i];
		if (len + f->name_len + f->value_len + 3 > outsz)
			return (size_t)-1;
		for (k = 0; k < f->name_len; k++)
			out[len++] = str_lower(f->name[k]);
		out[len++] = ':';
		memcpy(out + len, f->value, f->value_len);
		len += f->value_len;
		out[len++] = '\n';
	}
	out[len] = '\0';
	return len;
}

/* Accept-Encoding as the sorted set of what it accepts (see vary.h). */
static size_t
vary_accept_encoding(const char *v, size_t n, char *out, size_t outsz)
{
	char toks[VARY_NAMES_MAX][40];
	const char *s[VARY_NAMES_MAX];
	size_t l[VARY_NAMES_MAX], nt = 0, k, len = 0, tl;
	const char *p = v, *end = v + n, *e, *comma, *semi, *q;
	int refused;

	out[0] = '\0';
	while (p < end) {
		comma = memchr(p, ',', (size_t)(end - p));
		e = comma != NULL ? comma : end;
		semi = memchr(p, ';', (size_t)(e - p));
		refused = 0;
		/* A q of zero (RFC 9110 §12.4.2): 0, 0., 0.0, 0.00, 0.000. */
		for (q = semi; q != NULL && q < e; q++) {
			if ((*q == 'q' || *q == 'Q') && q + 1 < e && q[1] == '=' &&
			    (q[-1] == ';' || vary_ows(q[-1]))) {
				const char *d = q + 2;

				if (d < e && *d == '0') {
					d++;
					if (d < e && *d == '.')
						d++;
					while (d < e && *d == '0')
						d++;
					while (d < e && vary_ows(*d))
						d++;
					refused = d == e || *d == ';';
				}
				break;
			}
		}
		if (semi != NULL)
			e = semi;
		vary_trim(&p, &e);
		tl = (size_t)(e - p);
		if (tl > 0) {
			if (nt == VARY_NAMES_MAX || tl + 2 > sizeof(toks[0]))
				return (size_t)-1;
			k = 0;
			if (refused)
				toks[nt][k++] = '!';
			if (str_ieq(p, tl, "x-gzip")) {
				memcpy(toks[nt] + k, "gzip", 4);
				k += 4;
			} else if (str_ieq(p, tl, "x-compress")) {
				memcpy(toks[nt] + k, "compress", 8);
				k += 8;
			} else {
				for (; p < e; p++)
					toks[nt][k++] = str_lower(*p);
			}
			/* identity is acceptable unless refused (§12.5.3). */
			if (!(k == 8 && memcmp(toks[nt], "identity", 8) == 0)) {
				s[nt] = toks[nt];
				l[nt] = k;
				nt++;
			}
		}
		p = comma != NULL ? comma + 1 : end;
	}
	vary_sort(s, l, nt);
	if (vary_join(s, l, nt, out, outsz, &len) == -1)
		return (size_t)-1;
	return len;
}

/*
 * Accept-Language as the sorted set of its elements (RFC 9110 §12.5.4:
 * preference is by q, language tags are case-insensitive, RFC 4647),
 * each in lower case without whitespace.
 */
static size_t
vary_accept_language(const char *v, size_t n, char *out, size_t outsz)
{
	char toks[VARY_NAMES_MAX][64];
	const char *s[VARY_NAMES_MAX];
	size_t l[VARY_NAMES_MAX], nt = 0, k, len = 0;
	const char *p = v, *end = v + n, *e, *comma;

	out[0] = '\0';
	while (p < end) {
		comma = memchr(p, ',', (size_t)(end - p));
		e = comma != NULL ? comma : end;
		for (k = 0; p < e; p++) {
			if (vary_ows(*p))
				continue;
			if (k + 1 >= sizeof(toks[0]))
				return (size_t)-1;
			toks[nt][k++] = str_lower(*p);
		}
		if (k > 0) {
			s[nt] = toks[nt];
			l[nt] = k;
			if (++nt == VARY_NAMES_MAX && comma != NULL)
				return (size_t)-1;
		}
		p = comma != NULL ? comma + 1 : end;
	}
	vary_sort(s, l, nt);
	if (vary_join(s, l, nt, out, outsz, &len) == -1)
		return (size_t)-1;
	return len;
}

int
vary_ae_gzip(const char *v, size_t n)
{
	char set[VARY_VALUE_MAX];
	const char *p, *e;
	size_t len;
	int star = 0, gzip = 0, refused = 0;

	if ((len = vary_accept_encoding(v, n, set, sizeof(set))) ==
	    (size_t)-1)
		return 0;
	for (p = set; p < set + len; p = e + 1) {
		if ((e = memchr(p, ',', (size_t)(set + len - p))) == NULL)
			e = set + len;
		if (e - p == 4 && memcmp(p, "gzip", 4) == 0)
			gzip = 1;
		else if (e - p == 5 && memcmp(p, "!gzip", 5) == 0)
			refused = 1;
		else if (e - p == 1 && *p == '*')
			star = 1;
	}
	return !refused && (gzip || star);
}

int
vary_request_gzip(const struct http_head *rq)
{
	char joined[VARY_VALUE_MAX];
	size_t i, jl = 0;
	int found = 0;

	for (i = 0; i < rq->nfields; i++) {
		const struct http_field *f = &rq->fields[i];

		if (!str_ieq(f->name, f->name_len, "accept-encoding"))
			continue;
		if (jl + f->value_len + 2 > sizeof(joined))
			return 0;
		if (found)
			joined[jl++] = ',';
		memcpy(joined + jl, f->value, f->value_len);
		jl += f->value_len;
		found = 1;
	}
	return found && vary_ae_gzip(joined, jl);
}

size_t
vary_normalise(const char *name, const char *v, size_t n, char *out,
    size_t outsz)
{
	const char *p = v, *end = v + n, *e, *comma;
	size_t len = 0;
	int space;

	if (outsz == 0)
		return (size_t)-1;
	if (strcmp(name, "accept-encoding") == 0) {
		v = vary_ae_gzip(v, n) ? "gzip" : "identity";
		if ((len = strlen(v)) >= outsz)
			return (size_t)-1;
		memcpy(out, v, len + 1);
		return len;
	}
	if (strcmp(name, "accept-language") == 0)
		return vary_accept_language(v, n, out, outsz);
	out[0] = '\0';
	while (p < end) {
		comma = memchr(p, ',', (size_t)(end - p));
		e = comma != NULL ? comma : end;
		vary_trim(&p, &e);
		if (e > p) {	/* empty list elements mean nothing (§5.6.1) */
			if (len > 0 && vary_put(out, outsz, &len, ",", 1) == -1)
				return (size_t)-1;
			for (space = 0; p < e; p++) {
				if (vary_ows(*p)) {
					space = 1;
					continue;
				}
				if ((space && vary_put(out, outsz, &len, " ", 1) == -1) ||
				    vary_put(out, outsz, &len, p, 1) == -1)
					return (size_t)-1;
				space = 0;
			}
		}
		p = comma != NULL ? comma + 1 : end;
	}
	return len;
}

size_t
vary_key(const char *spec, const char *rqf, size_t rqflen, char *out,
    size_t outsz)
{
	return vary_key_ae(spec, rqf, rqflen, NULL, out, outsz);
}

size_t
vary_key_ae(const char *spec, const char *rqf, size_t rqflen, const char *ae,
    char *out, size_t outsz)
{
	char name[VARY_NAME_MAX + 1], joined[VARY_VALUE_MAX], norm[VARY_VALUE_MAX];
	const char *p = spec, *e, *line, *lend, *rend = rqf + rqflen;
	size_t nl, jl, len = 0, m;
	int found;

	if (outsz == 0)
		return (size_t)-1;
	out[0] = '\0';
	while (*p != '\0') {
		e = strchr(p, ',');
		if (e == NULL)
			e = p + strlen(p);
		nl = (size_t)(e - p);
		if (nl == 0 || nl > VARY_NAME_MAX)
			return (size_t)-1;
		memcpy(name, p, nl);
		name[nl] = '\0';
		/* RFC 9110 §5.3: every line of the field, joined by ','. */
		jl = 0;
		found = 0;
		for (line = rqf; line < rend; line = lend + 1) {
			lend = memchr(line, '\n', (size_t)(rend - line));
			if (lend == NULL)
				lend = rend;
			if ((size_t)(lend - line) <= nl || line[nl] != ':' ||
			    memcmp(line, name, nl) != 0)
				continue;
			m = (size_t)(lend - line) - nl - 1;
			if (jl + m + 2 > sizeof(joined))
				return (size_t)-1;
			if (found)
				joined[jl++] = ',';
			memcpy(joined + jl, line + nl + 1, m);
			jl += m;
			found = 1;
		}
		if (vary_put(out, outsz, &len, name, nl) == -1)
			return (size_t)-1;
		/* Accept-Encoding: gzip or identity (see vary.h). */
		if (strcmp(name, "accept-encoding") == 0) {
			if (ae == NULL)
				ae = found && vary_ae_gzip(joined, jl) ?
				    "gzip" : "identity";
			if (vary_put(out, outsz, &len, "=", 1) == -1 ||
			    vary_put(out, outsz, &len, ae, strlen(ae)) == -1 ||
			    vary_put(out, outsz, &len, "\n", 1) == -1)
				return (size_t)-1;
		} else if (!found) {
			if (vary_put(out, outsz, &len, "!\n", 2) == -1)
				return (size_t)-1;
		} else if ((m = vary_normalise(name, joined, jl, norm,
		    sizeof(norm))) == (size_t)-1 ||
		    vary_put(out, outsz, &len, "=", 1) == -1 ||
		    vary_put(out, outsz, &len, norm, m) == -1 ||
		    vary_put(out, outsz, &len, "\n", 1) == -1)
			return (size_t)-1;
		p = *e == ',' ? e + 1 : e;
	}
	return len;
}
