/*
 * json.c -- a strict JSON checker for the tests (see json.h).
 * Runs in the test process.  A recursive-descent parser over RFC 8259's
 * grammar that only says yes or no and where members are.
 */
#include <string.h>

#include "json.h"

#define JSON_DEPTH	32

struct json_p {
	const unsigned char	*p;
	const unsigned char	*e;
	int			 depth;
};

static int	json_value(struct json_p *);

static void
json_ws(struct json_p *j)
{
	while (j->p < j->e && (*j->p == ' ' || *j->p == '\t' ||
	    *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

/* A valid UTF-8 sequence (RFC 3629 §4) at j->p: its length, else 0. */
static size_t
json_utf8(const struct json_p *j)
{
	const unsigned char *s = j->p;
	size_t n = (size_t)(j->e - j->p), len, i;
	unsigned lo = 0x80, hi = 0xbf;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		lo = s[0] == 0xe0 ? 0xa0 : 0x80;
		hi = s[0] == 0xed ? 0x9f : 0xbf;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		lo = s[0] == 0xf0 ? 0x90 : 0x80;
		hi = s[0] == 0xf4 ? 0x8f : 0xbf;
	} else
		return 0;
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

static int
json_hex(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	    (c >= 'A' && c <= 'F');
}

static int
json_string(struct json_p *j)
{
	size_t k;

	if (j->p >= j->e || *j->p != '"')
		return 0;
	for (j->p++; j->p < j->e; ) {
		if (*j->p == '"') {
			j->p++;
			return 1;
		}
		if (*j->p < 0x20)
			return 0;	/* §7: controls must be escaped */
		if (*j->p == '\\') {
			if (j->e - j->p < 2)
				return 0;
			if (strchr("\"\\/bfnrt", j->p[1]) != NULL && j->p[1]) {
				j->p += 2;
				continue;
			}
			if (j->p[1] != 'u' || j->e - j->p < 6)
				return 0;
			for (k = 2; k < 6; k++)
				if (!json_hex(j->p[k]))
					return 0;
			j->p += 6;
			continue;
		}
		if (*j->p >= 0x80) {
			if ((k = json_utf8(j)) == 0)
				return 0;
			j->p += k;
			continue;
		}
		j->p++;
	}
	return 0;
}

static int
json_digits(struct json_p *j)
{
	const unsigned char *s = j->p;

	while (j->p < j->e && *j->p >= '0' && *j->p <= '9')
		j->p++;
	return j->p > s;
}

/* §6: -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)? */
static int
json_number(struct json_p *j)
{
	if (j->p < j->e && *j->p == '-')
		j->p++;
	if (j->p < j->e && *j->p == '0')
		j->p++;
	else if (!json_digits(j))
		return 0;
	if (j->p < j->e && *j->p == '.') {
		j->p++;
		if (!json_digits(j))
			return 0;
	}
	if (j->p < j->e && (*j->p == 'e' || *j->p == 'E')) {
		j->p++;
		if (j->p < j->e && (*j->p == '+' || *j->p == '-'))
			j->p++;
		if (!json_digits(j))
			return 0;
	}
	return 1;
}

static int
json_word(struct json_p *j, const char *w)
{
	size_t n = strlen(w);

	if ((size_t)(j->e - j->p) < n || memcmp(j->p, w, n) != 0)
		return 0;
	j->p += n;
	return 1;
}

/* An object or array; @members counts an object's members. */
static int
json_container(struct json_p *j, int *members)
{
	int obj = *j->p == '{', n = 0;
	unsigned char close = obj ? '}' : ']';

	if (++j->depth > JSON_DEPTH)
		return 0;
	j->p++;
	json_ws(j);
	if (j->p < j->e && *j->p == close) {
		j->p++;
		j->depth--;
		if (members != NULL)
			*members = 0;
		return 1;
	}
	for (;;) {
		json_ws(j);
		if (obj) {
			if (!json_string(j))
				return 0;
			json_ws(j);
			if (j->p >= j->e || *j->p != ':')
				return 0;
			j->p++;
		}
		if (!json_value(j))
			return 0;
		n++;
		json_ws(j);
		if (j->p < j->e && *j->p == ',') {
			j->p++;
			continue;
		}
		if (j->p < j->e && *j->p == close) {
			j->p++;
			break;
		}
		return 0;
	}
	j->depth--;
	if (members != NULL)
		*members = n;
	return 1;
}

static int
json_value(struct json_p *j)
{
	json_ws(j);
	if (j->p >= j->e)
		return 0;
	switch (*j->p) {
	case '{':
	case '[':
		return json_container(j, NULL);
	case '"':
		return json_string(j);
	case 't':
		return json_word(j, "true");
	case 'f':
		return json_word(j, "false");
	case 'n':
		return json_word(j, "null");
	default:
		return json_number(j);
	}
}

int
json_valid(const char *s, size_t n, int *nmembers)
{
	struct json_p j = { (const unsigned char *)s,
	    (const unsigned char *)s + n, 0 };
	int members = -1, ok;

	json_ws(&j);
	if (j.p < j.e && *j.p == '{')
		ok = json_container(&j, &members);
	else
		ok = json_value(&j);
	json_ws(&j);
	if (nmembers != NULL)
		*nmembers = ok ? members : -1;
	return ok && j.p == j.e;
}

char *
json_member(const char *s, size_t n, const char *key, char *out, size_t size)
{
	struct json_p j = { (const unsigned char *)s,
	    (const unsigned char *)s + n, 1 };
	const unsigned char *k, *v;
	size_t klen = strlen(key), len;

	if (!json_valid(s, n, NULL) || size == 0)
		return NULL;
	json_ws(&j);
	if (j.p >= j.e || *j.p != '{')
		return NULL;
	j.p++;
	for (;;) {
		json_ws(&j);
		k = j.p;
		if (!json_string(&j))
			return NULL;
		json_ws(&j);
		j.p++;			/* ':' (checked by json_valid) */
		json_ws(&j);
		v = j.p;
		if (!json_value(&j))
			return NULL;
		if ((size_t)(j.p - k) >= klen + 2 &&
		    (size_t)(v - k) >= klen + 2 && k[klen + 1] == '"' &&
		    memcmp(k + 1, key, klen) == 0) {
			len = (size_t)(j.p - v);
			if (len >= size)
				len = size - 1;
			memcpy(out, v, len);
			out[len] = '\0';
			return out;
		}
		json_ws(&j);
		if (j.p >= j.e || *j.p != ',')
			return NULL;
		j.p++;
	}
}
