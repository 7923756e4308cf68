/*
 * http_parse.c -- strict HTTP/1.x head parser, body framing rules and the
 * resumable chunked walker (see http_parse.h for the contract).
 *
 * Runs in the workers: RECV_HEAD/PARSE for client requests, RECV_RESP_HEAD
 * for origin responses, and the body relay for chunked bodies.  Pure
 * functions over the caller's bytes: no allocation, no I/O, no logging.
 * Fuzzed by t/fuzz/fuzz-{request-head,response-head,chunked}.c.
 *
 * Wire format accepted (RFC 9112), every line ending in CRLF:
 *
 *	*( CRLF )				8 at most, requests only
 *	method SP request-target SP HTTP/d.d CRLF	(§3)
 *   or	HTTP/d.d SP 3DIGIT [ SP reason ] CRLF	(§4)
 *	*( field-name ":" OWS field-value OWS CRLF )	(§5)
 *	CRLF
 *
 * Chunked body (RFC 9112 §7.1):
 *
 *	*( 1*16HEXDIG [ BWS ";" ext ] CRLF data CRLF )
 *	1*16"0" [ BWS ";" ext ] CRLF *( trailer-field CRLF ) CRLF
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <netinet/in.h>
#include <arpa/inet.h>

#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "http_parse.h"

#define HTTP_MAX_LEADING_CRLF	8	/* empty lines before a request */
#define HTTP_MAX_CHUNK_EXT	4096	/* bytes between size and CR */
#define HTTP_MAX_TRAILERS	16384	/* bytes of the trailer section */
/* Content-Length cap: far above any body, far below overflow. */
#define HTTP_MAX_LENGTH		(UINT64_C(1) << 62)
#define HTTP_MAX_CHUNK_DIGITS	16	/* hex digits: cannot overflow */

/* RFC 9110 §5.6.2: tchar, the bytes of a token (method, field name). */
static const unsigned char http_tchar[256] = {
	['!'] = 1, ['#'] = 1, ['$'] = 1, ['%'] = 1, ['&'] = 1, ['\''] = 1,
	['*'] = 1, ['+'] = 1, ['-'] = 1, ['.'] = 1, ['^'] = 1, ['_'] = 1,
	['`'] = 1, ['|'] = 1, ['~'] = 1,
	['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1,
	['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1,
	['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1,
	['G'] = 1, ['H'] = 1, ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1,
	['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1, ['Q'] = 1, ['R'] = 1,
	['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1,
	['Y'] = 1, ['Z'] = 1,
	['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1,
	['g'] = 1, ['h'] = 1, ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1,
	['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1,
	['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1,
	['y'] = 1, ['z'] = 1,
};

static int
http_char_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

static int
http_char_hex(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (unsigned char)http_char_lower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/*
 * RFC 9110 §5.5: field-value bytes are field-vchar (VCHAR / obs-text)
 * with SP and HTAB inside; the same set serves the reason-phrase (RFC 9112
 * §4) and chunk extensions.  NUL, CR, LF, other CTLs and DEL are out.
 */
static int
http_char_is_value(unsigned char c)
{
	return c == '\t' || c == ' ' || (c > 0x20 && c != 0x7f);
}

static int
http_char_is_ows(int c)
{
	return c == ' ' || c == '\t';
}

size_t
http_head_end(const char *buf, size_t len, struct http_head_scan *s)
{
	const char *nl;
	size_t i;

	/* Resume at s->pos: each byte is looked at once over all calls. */
	for (i = s->pos; i < len; i = (size_t)(nl - buf) + 1) {
		nl = memchr(buf + i, '\n', len - i);
		if (nl == NULL)
			break;
		i = (size_t)(nl - buf);
		/* An empty line: "\n" or "\r\n" right at a line start. */
		if (i == s->line_start ||
		    (i == s->line_start + 1 && buf[i - 1] == '\r')) {
			if (!s->first_line_done) {
				/*
				 * Empty lines before the start line
				 * (RFC 9112 §2.2) are not the end; the parser
				 * bounds how many it skips.
				 */
				s->line_start = i + 1;
				continue;
			}
			s->pos = i + 1;
			return i + 1;
		}
		s->first_line_done = 1;
		s->line_start = i + 1;
	}
	s->pos = len;
	return 0;
}

/*
 * Parse the field lines in buf[p..len), which ends with the empty line,
 * into h->fields.  Every line must end in CRLF (RFC 9112 §2.2: bare CR
 * and bare LF are refused), must not start with whitespace (§5.2 obs-fold,
 * §2.2 whitespace before the first field), must start with a token with
 * ':' right after it (§5.1), and carry a value of field-vchar / SP / HTAB
 * (RFC 9110 §5.5).  0, or -1 with *why; *too_many on the field limit.
 */
static int
http_head_fields_parse(const char *buf, size_t p, size_t len,
    struct http_head *h, const char **why, int *too_many)
{
	const char *line, *end, *colon, *v, *ve;
	struct http_field *f;

	h->nfields = 0;
	for (;;) {
		line = buf + p;
		end = p < len ? memchr(line, '\n', len - p) : NULL;
		if (end == NULL) {
			*why = "head ends without an empty line";
			return -1;
		}
		if (end == line || end[-1] != '\r') {
			*why = "bare LF";
			return -1;
		}
		end--;		/* at the CR */
		if (end == line) {	/* the empty line: end of the head */
			h->head_len = (size_t)(end + 2 - buf);
			return 0;
		}
		if (http_char_is_ows(*line)) {
			*why = "obs-fold or whitespace before a field";
			return -1;
		}
		for (colon = line; colon < end && *colon != ':'; colon++) {
			if (http_tchar[(unsigned char)*colon])
				continue;
			if (http_char_is_ows(*colon))
				*why = "whitespace before colon";
			else if (*colon == '\r')
				*why = "bare CR";
			else
				*why = "bad character in a field name";
			return -1;
		}
		if (colon == end) {
			*why = "field line without a colon";
			return -1;
		}
		if (colon == line) {
			*why = "empty field name";
			return -1;
		}
		for (v = colon + 1; v < end; v++) {
			if (http_char_is_value((unsigned char)*v))
				continue;
			*why = *v == '\r' ? "bare CR" :
			    "control character in a field value";
			return -1;
		}
		/* RFC 9112 §5.1: OWS around the value is not part of it. */
		v = colon + 1;
		ve = end;
		while (v < ve && http_char_is_ows(*v))
			v++;
		while (ve > v && http_char_is_ows(ve[-1]))
			ve--;
		if (h->nfields == HTTP_MAX_FIELDS) {
			*why = "too many fields";
			*too_many = 1;
			return -1;
		}
		f = &h->fields[h->nfields++];
		f->name = line;
		f->name_len = (size_t)(colon - line);
		f->value = v;
		f->value_len = (size_t)(ve - v);
		p = (size_t)(end + 2 - buf);
	}
}

/*
 * HTTP-version = "HTTP/" DIGIT "." DIGIT, case-sensitive (RFC 9112 §2.3).
 * 0 for 1.0 and 1.1, 1 for another well-formed version, -1 malformed.
 */
static int
http_version_parse(const char *p, size_t n, int *version)
{
	if (n != 8 || memcmp(p, "HTTP/", 5) != 0 || p[5] < '0' || p[5] > '9' ||
	    p[6] != '.' || p[7] < '0' || p[7] > '9')
		return -1;
	*version = (p[5] - '0') * 10 + (p[7] - '0');
	/*
	 * RFC 9110 §2.5: a higher minor version of a major version we
	 * implement is processed as the highest minor we know: 1.2 is 1.1.
	 */
	if (*version > 11 && *version < 20)
		*version = 11;
	return *version == 10 || *version == 11 ? 0 : 1;
}

static void
http_head_reset(struct http_head *h)
{
	/* The field array is filled as it goes: no need to clear 4 KB. */
	memset(h, 0, offsetof(struct http_head, fields));
	h->nfields = 0;
	h->head_len = 0;
}

/* RFC 3986 §2.3 unreserved and §2.2 sub-delims but ",": a reg-name byte. */
static int
http_char_is_regname(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	return c != '\0' && strchr("-._~!$&'()*+;=", c) != NULL;
}

/*
 * RFC 3986 §3.2.2 IP-literal without its brackets: an IPv6address
 * (inet_pton() is the grammar; no zone id) or an IPvFuture,
 * "v" 1*HEXDIG "." 1*( unreserved / sub-delims / ":" ).
 */
static int
http_ip_literal_valid(const char *p, size_t n)
{
	struct in6_addr a;
	char tmp[INET6_ADDRSTRLEN];
	size_t i;

	if (n > 0 && (p[0] == 'v' || p[0] == 'V')) {
		for (i = 1; i < n && http_char_hex((unsigned char)p[i]) >= 0;
		    i++)
			;
		if (i == 1 || i + 1 >= n || p[i] != '.')
			return 0;
		for (i++; i < n; i++)
			if (!http_char_is_regname((unsigned char)p[i]) &&
			    p[i] != ':' && p[i] != ',')
				return 0;
		return 1;
	}
	if (n == 0 || n >= sizeof(tmp))
		return 0;
	memcpy(tmp, p, n);
	tmp[n] = '\0';
	return inet_pton(AF_INET6, tmp, &a) == 1;
}

int
http_host_valid(const char *v, size_t n)
{
	const char *e = v + n, *h = v, *he, *port;
	unsigned long pv;
	size_t i;

	if (n == 0)
		return 1;	/* the target has no authority (§3.2) */
	if (*h == '[') {
		he = memchr(h, ']', n);
		if (he == NULL || !http_ip_literal_valid(h + 1,
		    (size_t)(he - h - 1)))
			return 0;
		port = he + 1;
		if (port < e && *port != ':')
			return 0;
	} else {
		for (he = h; he < e && *he != ':'; he++) {
			if (http_char_is_regname((unsigned char)*he))
				continue;
			/* pct-encoded = "%" HEXDIG HEXDIG */
			if (*he != '%' || e - he < 3 ||
			    http_char_hex((unsigned char)he[1]) < 0 ||
			    http_char_hex((unsigned char)he[2]) < 0)
				return 0;
			he += 2;
		}
		/* RFC 9110 §4.2.1: an http URI never has an empty host. */
		if (he == h)
			return 0;
		port = he;
	}
	if (port == e)
		return 1;
	/* ":" port, port = *DIGIT; an empty port means the default. */
	for (i = 1, pv = 0; port + i < e; i++) {
		if (port[i] < '0' || port[i] > '9' || i > 5)
			return 0;
		pv = pv * 10 + (unsigned long)(port[i] - '0');
	}
	return i == 1 || (pv > 0 && pv <= 65535);
}

int
http_request_parse(const char *buf, size_t len, struct http_head *h,
    const char **why)
{
	const char *p, *end, *sp1, *sp2, *t;
	size_t start = 0, i;
	int n, too_many = 0, rc;

	http_head_reset(h);
	*why = NULL;
	/*
	 * RFC 9112 §2.2: a server SHOULD ignore at least one empty line
	 * (CRLF) received before the request-line.  A few, not unbounded.
	 */
	for (n = 0; n < HTTP_MAX_LEADING_CRLF && start + 1 < len &&
	    buf[start] == '\r' && buf[start + 1] == '\n'; n++)
		start += 2;
	p = buf + start;
	end = start < len ? memchr(p, '\n', len - start) : NULL;
	if (end == NULL || end == p || end[-1] != '\r') {
		*why = "request line does not end in CRLF";
		return 400;
	}
	end--;			/* at the CR */
	/* request-line = method SP request-target SP HTTP-version (§3) */
	for (sp1 = p; sp1 < end && http_tchar[(unsigned char)*sp1]; sp1++)
		;
	if (sp1 == p || sp1 == end || *sp1 != ' ') {
		*why = "bad method";
		return 400;
	}
	/*
	 * RFC 9112 §3.2: every form of request-target is URI syntax (RFC 3986
	 * §2), i.e. VCHAR only: no CTL, no SP (a second SP means an extra
	 * field), no DEL, no raw bytes above 0x7f.  §3 allows a 400 for an
	 * invalid request-line.
	 */
	for (sp2 = sp1 + 1; sp2 < end && *sp2 != ' '; sp2++) {
		if ((unsigned char)*sp2 < 0x21 || (unsigned char)*sp2 > 0x7e) {
			*why = *sp2 == '\r' ? "bare CR" :
			    "bad character in the request target";
			return 400;
		}
	}
	if (sp2 == sp1 + 1 || sp2 == end) {
		*why = "bad request line";
		return 400;
	}
	t = sp2 + 1;
	rc = http_version_parse(t, (size_t)(end - t), &h->version);
	if (rc == -1) {
		*why = "bad HTTP version";
		return 400;
	}
	if (rc == 1) {
		/* RFC 9110 §15.6.6: 505 for a major version we refuse. */
		h->version = 0;
		*why = "unsupported HTTP version";
		return 505;
	}
	h->method = p;
	h->method_len = (size_t)(sp1 - p);
	h->target = sp1 + 1;
	h->target_len = (size_t)(sp2 - sp1 - 1);
	if (http_head_fields_parse(buf, (size_t)(end + 2 - buf), len, h, why,
	    &too_many) == -1)
		return too_many ? 431 : 400;
	/*
	 * RFC 9112 §3.2: a server MUST answer 400 to an HTTP/1.1 request
	 * without Host and to any request with more than one Host line.
	 */
	for (i = 0, n = 0; i < h->nfields; i++)
		if (http_field_is(&h->fields[i], "Host")) {
			n++;
			/* ... and to a Host with an invalid value. */
			if (!http_host_valid(h->fields[i].value,
			    h->fields[i].value_len)) {
				*why = "invalid Host value";
				return 400;
			}
		}
	if (n > 1 || (n == 0 && h->version == 11)) {
		*why = n > 1 ? "several Host fields" : "no Host field";
		return 400;
	}
	return 0;
}

int
http_response_parse(const char *buf, size_t len, struct http_head *h,
    const char **why)
{
	const char *p = buf, *end, *r;
	int too_many = 0;

	http_head_reset(h);
	*why = NULL;
	end = len > 0 ? memchr(p, '\n', len) : NULL;
	if (end == NULL || end == p || end[-1] != '\r') {
		*why = "status line does not end in CRLF";
		return -1;
	}
	end--;			/* at the CR */
	/* status-line = HTTP-version SP status-code SP [ reason ] (§4) */
	if (end - p < 12 || p[8] != ' ') {
		*why = "bad status line";
		return -1;
	}
	if (http_version_parse(p, 8, &h->version) != 0) {
		h->version = 0;
		*why = "bad HTTP version";
		return -1;
	}
	/* RFC 9110 §15: 3DIGIT, and we only know classes 1xx..5xx. */
	if (p[9] < '1' || p[9] > '5' || p[10] < '0' || p[10] > '9' ||
	    p[11] < '0' || p[11] > '9') {
		*why = "bad status code";
		return -1;
	}
	h->status = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
	if (end - p > 12) {
		if (p[12] != ' ') {
			*why = "bad status line";
			return -1;
		}
		/* reason-phrase = 1*( HTAB / SP / VCHAR / obs-text ) */
		for (r = p + 13; r < end; r++) {
			if (http_char_is_value((unsigned char)*r))
				continue;
			*why = *r == '\r' ? "bare CR" :
			    "control character in the reason";
			return -1;
		}
		h->reason = p + 13;
		h->reason_len = (size_t)(end - p - 13);
	} else {
		/*
		 * "HTTP/1.1 200\r\n": RFC 9112 §4 requires the SP before an
		 * empty reason, but origins omit it, and nothing is ambiguous.
		 */
		h->reason = end;
		h->reason_len = 0;
	}
	if (http_head_fields_parse(buf, (size_t)(end + 2 - buf), len, h, why,
	    &too_many) == -1)
		return -1;
	return 0;
}

int
http_field_is(const struct http_field *f, const char *name)
{
	size_t i;

	/* RFC 9110 §5.1: field names are case-insensitive. */
	for (i = 0; i < f->name_len; i++)
		if (name[i] == '\0' ||
		    http_char_lower((unsigned char)f->name[i]) !=
		    http_char_lower((unsigned char)name[i]))
			return 0;
	return name[i] == '\0';
}

/*
 * Next element of a comma list (RFC 9110 §5.6.1) in v[*i..len): sets
 * [*s, *e) with OWS trimmed (maybe empty) and steps *i past the comma.
 * 0 when the list is exhausted.  Every comma ends an element, so "a,"
 * yields "a" then "".
 */
static int
http_list_next(const char *v, size_t len, size_t *i, size_t *s, size_t *e)
{
	if (*i > len)
		return 0;
	*s = *i;
	while (*i < len && v[*i] != ',')
		(*i)++;
	*e = *i;
	(*i)++;
	while (*s < *e && http_char_is_ows(v[*s]))
		(*s)++;
	while (*e > *s && http_char_is_ows(v[*e - 1]))
		(*e)--;
	return 1;
}

int
http_list_has(const char *value, size_t len, const char *token)
{
	size_t i = 0, s, e, tl = strlen(token);

	while (http_list_next(value, len, &i, &s, &e))
		if (e - s == tl && tl > 0 &&
		    strncasecmp(value + s, token, tl) == 0)
			return 1;
	return 0;
}

int
http_parse_length(const char *value, size_t len, uint64_t *out)
{
	uint64_t v = 0, d;
	size_t i;

	/* RFC 9110 §8.6: Content-Length = 1*DIGIT; no sign, no space. */
	if (len == 0)
		return -1;
	for (i = 0; i < len; i++) {
		if (value[i] < '0' || value[i] > '9')
			return -1;
		d = (uint64_t)(value[i] - '0');
		/* Check before multiplying: v * 10 must not wrap. */
		if (v > (HTTP_MAX_LENGTH - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

/* What the framing fields of a message say (RFC 9112 §6). */
struct http_framing {
	int		has_te;		/* Transfer-Encoding seen */
	int		last_chunked;	/* final coding is chunked */
	int		nchunked;	/* how often chunked appears */
	int		other;		/* a coding but chunked */
	int		has_cl;		/* a Content-Length field */
	uint64_t	cl;
};

/*
 * Collect the framing fields.  Content-Length must come once, with one
 * value: repeated (several fields or a list, even of one value, RFC 9110
 * §8.6 allows refusing it), malformed or empty is an error.  Transfer-Encoding codings are read from every field in order,
 * as one list (RFC 9110 §5.3); empty elements are skipped (§5.6.1).
 * 0, or -1 with *why.
 */
static int
http_framing_collect(const struct http_head *h, struct http_framing *fr,
    const char **why)
{
	const struct http_field *f;
	size_t i, j, s, e;
	uint64_t v;

	memset(fr, 0, sizeof(*fr));
	for (i = 0; i < h->nfields; i++) {
		f = &h->fields[i];
		if (http_field_is(f, "Content-Length")) {
			j = 0;
			while (http_list_next(f->value, f->value_len, &j, &s,
			    &e)) {
				if (http_parse_length(f->value + s, e - s,
				    &v) == -1) {
					*why = "bad Content-Length";
					return -1;
				}
				/*
				 * RFC 9110 §8.6 lets a recipient reject
				 * repeated values; forwarding them as they
				 * are is not an option it gives, and a
				 * next hop may read "5, 5" differently.
				 */
				if (fr->has_cl) {
					*why = v != fr->cl ?
					    "different Content-Lengths" :
					    "repeated Content-Length";
					return -1;
				}
				fr->has_cl = 1;
				fr->cl = v;
			}
		} else if (http_field_is(f, "Transfer-Encoding")) {
			fr->has_te = 1;
			j = 0;
			while (http_list_next(f->value, f->value_len, &j, &s,
			    &e)) {
				if (e == s)
					continue;
				/* RFC 9112 §7: codings are case-insensitive. */
				if (e - s == 7 && strncasecmp(f->value + s,
				    "chunked", 7) == 0) {
					fr->nchunked++;
					fr->last_chunked = 1;
				} else {
					fr->other = 1;
					fr->last_chunked = 0;
				}
			}
		}
	}
	if (fr->has_te && fr->nchunked == 0 && !fr->other) {
		*why = "empty Transfer-Encoding";
		return -1;
	}
	return 0;
}

int
http_request_framing(const struct http_head *h, enum http_body_mode *mode,
    uint64_t *length, const char **why)
{
	struct http_framing fr;

	*why = NULL;
	*mode = HTTP_BODY_NONE;
	*length = 0;
	if (http_framing_collect(h, &fr, why) == -1)
		return 400;
	if (fr.has_te) {
		/*
		 * RFC 9112 §6.1: TE with CL "ought to be handled as an error"
		 * (request smuggling); TE in HTTP/1.0 is faulty framing.
		 */
		if (fr.has_cl) {
			*why = "Transfer-Encoding and Content-Length";
			return 400;
		}
		if (h->version == 10) {
			*why = "Transfer-Encoding in HTTP/1.0";
			return 400;
		}
		/* RFC 9112 §6.1: chunked MUST NOT be applied twice. */
		if (fr.nchunked > 1) {
			*why = "chunked applied twice";
			return 400;
		}
		/* RFC 9112 §6.3 item 4: chunked not final: 400. */
		if (!fr.last_chunked) {
			*why = "chunked is not the final coding";
			return 400;
		}
		/* RFC 9112 §6.1: 501 for a coding we do not understand. */
		if (fr.other) {
			*why = "unsupported transfer coding";
			return 501;
		}
		*mode = HTTP_BODY_CHUNKED;
		return 0;
	}
	/* RFC 9112 §6.3 items 5-6: Content-Length, else no body. */
	if (fr.has_cl) {
		*mode = HTTP_BODY_LENGTH;
		*length = fr.cl;
	}
	return 0;
}

int
http_response_framing(const struct http_head *h, int is_head,
    enum http_body_mode *mode, uint64_t *length, const char **why)
{
	struct http_framing fr;

	*why = NULL;
	*mode = HTTP_BODY_NONE;
	*length = 0;
	/* Faulty framing is refused even when no body follows: 502. */
	if (http_framing_collect(h, &fr, why) == -1)
		return -1;
	if (fr.has_te && fr.has_cl) {
		/* RFC 9112 §6.3 item 3: possible response splitting. */
		*why = "Transfer-Encoding and Content-Length";
		return -1;
	}
	if (fr.has_te && h->version == 10) {
		*why = "Transfer-Encoding in HTTP/1.0";
		return -1;
	}
	if (fr.nchunked > 1) {
		*why = "chunked applied twice";
		return -1;
	}
	/* RFC 9112 §6.3 item 1: HEAD, 1xx, 204, 304 never have a body. */
	if (is_head || h->status < 200 || h->status == 204 ||
	    h->status == 304)
		return 0;
	if (fr.has_te) {
		/*
		 * RFC 9112 §6.3 item 4: in a response, chunked final means
		 * chunked framing (earlier codings such as gzip are passed
		 * through as they are); anything else is read until close.
		 */
		*mode = fr.last_chunked ? HTTP_BODY_CHUNKED : HTTP_BODY_EOF;
		return 0;
	}
	if (fr.has_cl) {
		/* RFC 9112 §6.3 item 6. */
		*mode = HTTP_BODY_LENGTH;
		*length = fr.cl;
		return 0;
	}
	/* RFC 9112 §6.3 item 8: no framing field, read until close. */
	*mode = HTTP_BODY_EOF;
	return 0;
}

/* Chunked walker states (RFC 9112 §7.1); 0 is the start. */
enum {
	HTTP_CH_SIZE = 0,	/* hex digits of chunk-size */
	HTTP_CH_SIZE_BWS,	/* BWS after the size, before ';' */
	HTTP_CH_EXT,		/* chunk-ext after ';', up to CR */
	HTTP_CH_SIZE_LF,	/* LF ending the chunk-size line */
	HTTP_CH_DATA,		/* chunk-data */
	HTTP_CH_DATA_CR,	/* CR after the data */
	HTTP_CH_DATA_LF,	/* LF after the data */
	HTTP_CH_TRAILER,	/* start of a trailer line, or the final CR */
	HTTP_CH_TR_NAME,	/* trailer field name, up to ':' */
	HTTP_CH_TR_VALUE,	/* trailer field value, up to CR */
	HTTP_CH_TR_LF,		/* LF ending a trailer field line */
	HTTP_CH_END_LF,		/* LF of the final empty line */
	HTTP_CH_DONE,
	/* Only with HTTP_CHUNKED_TRAILERS: */
	HTTP_CH_TR_HOLD,	/* a name being held until its ':' */
};

/*
 * RFC 9110 §6.5.1: fields a sender must not put in trailers and that a
 * recipient must not act on there: framing (§6.1: Content-Length,
 * Transfer-Encoding), routing (Host), request modifiers (controls §7.6,
 * §10.1: Cache-Control, Expect, Max-Forwards, Pragma, Range, TE;
 * conditionals §13.1), authentication (§11: the credentials and
 * challenges; Cookie and Set-Cookie, RFC 6265), response control data
 * (§10.2: Age, Date, Expires, Location, Retry-After, Vary, Warning),
 * how to process the content (Content-Encoding, Content-Type,
 * Content-Range, Trailer), and hop-by-hop fields (§7.6.1).
 */
static const char *const http_trailer_denied[] = {
	"Age", "Authentication-Info", "Authorization", "Cache-Control",
	"Connection", "Content-Encoding", "Content-Length",
	"Content-Range", "Content-Type", "Cookie", "Date", "Expect",
	"Expires", "Host", "If-Match", "If-Modified-Since", "If-None-Match",
	"If-Range", "If-Unmodified-Since", "Keep-Alive", "Location",
	"Max-Forwards", "Pragma", "Proxy-Authenticate",
	"Proxy-Authentication-Info", "Proxy-Authorization",
	"Proxy-Connection", "Range", "Retry-After", "Set-Cookie", "TE",
	"Trailer", "Transfer-Encoding", "Upgrade", "Vary", "Warning",
	"WWW-Authenticate",
};

/*
 * A trailer name longer than this is none of the denied ones: it is
 * passed on without being held whole.  The longest denied name is
 * Proxy-Authentication-Info (25).
 */
#define HTTP_TRAILER_HOLD	32

int
http_trailer_allowed(const char *name, size_t n)
{
	struct http_field f;
	size_t i;

	f.name = name;
	f.name_len = n;
	for (i = 0; i < sizeof(http_trailer_denied) /
	    sizeof(http_trailer_denied[0]); i++)
		if (http_field_is(&f, http_trailer_denied[i]))
			return 0;
	return 1;
}

ssize_t
http_chunked_scan(struct http_chunked *c, char *p, size_t n, int flags,
    size_t *out, int *done)
{
	size_t i = 0, o = 0, k, hold = 0;
	unsigned char ch;
	int hv, decode, filter, emit;

	decode = (flags & HTTP_CHUNKED_DECODE) != 0;
	/* De-chunking drops every trailer: nothing to filter then. */
	filter = !decode && (flags & HTTP_CHUNKED_TRAILERS) != 0;
	*done = 0;
	*out = 0;
	while (i < n && c->state != HTTP_CH_DONE) {
		ch = (unsigned char)p[i];
		/*
		 * emit: the byte is part of what the caller passes on.  With
		 * decode only data is; with filter everything but the
		 * trailer fields dropped (and a name still held).
		 */
		emit = !decode;
		/* One byte per step except data, which is taken in bulk. */
		switch (c->state) {
		case HTTP_CH_SIZE:
			/* chunk-size = 1*HEXDIG; 16 digits cannot overflow. */
			hv = http_char_hex(ch);
			if (hv >= 0) {
				if (++c->digits > HTTP_MAX_CHUNK_DIGITS)
					return -1;
				c->remaining = c->remaining << 4 | (uint64_t)hv;
				break;
			}
			if (c->digits == 0)
				return -1;
			if (ch == '\r')
				c->state = HTTP_CH_SIZE_LF;
			else if (ch == ';')
				c->state = HTTP_CH_EXT;
			else if (http_char_is_ows(ch))
				c->state = HTTP_CH_SIZE_BWS;
			else
				return -1;
			c->ext_len = 1;
			break;
		case HTTP_CH_SIZE_BWS:
			/*
			 * RFC 9112 §7.1.1: BWS is allowed before ';' only;
			 * whitespace then CRLF is not a chunk-size line.
			 */
			if (++c->ext_len > HTTP_MAX_CHUNK_EXT)
				return -1;
			if (ch == ';')
				c->state = HTTP_CH_EXT;
			else if (!http_char_is_ows(ch))
				return -1;
			break;
		case HTTP_CH_EXT:
			/*
			 * chunk-ext = *( BWS ";" BWS ext-name [ BWS "=" BWS
			 * ext-value ] ): kept opaque (we neither use nor
			 * forward-interpret it), but bounded and free of
			 * CTLs, so CR can only end the line.
			 */
			if (ch == '\r') {
				c->state = HTTP_CH_SIZE_LF;
				break;
			}
			if (!http_char_is_value(ch) ||
			    ++c->ext_len > HTTP_MAX_CHUNK_EXT)
				return -1;
			break;
		case HTTP_CH_SIZE_LF:
			/* RFC 9112 §7.1: the line ends in CRLF, never bare. */
			if (ch != '\n')
				return -1;
			c->digits = 0;
			c->ext_len = 0;
			if (c->remaining == 0) {
				/* last-chunk: the trailer section follows. */
				c->state = HTTP_CH_TRAILER;
				c->trailer_len = 0;
			} else
				c->state = HTTP_CH_DATA;
			break;
		case HTTP_CH_DATA:
			k = n - i;
			if (k > c->remaining)
				k = (size_t)c->remaining;
			if ((decode || filter) && o != i)
				memmove(p + o, p + i, k);
			o += k;
			i += k;
			c->remaining -= k;
			if (c->remaining == 0)
				c->state = HTTP_CH_DATA_CR;
			continue;	/* i already moved */
		case HTTP_CH_DATA_CR:
			/* chunk = chunk-size [ chunk-ext ] CRLF data CRLF */
			if (ch != '\r')
				return -1;
			c->state = HTTP_CH_DATA_LF;
			break;
		case HTTP_CH_DATA_LF:
			if (ch != '\n')
				return -1;
			c->state = HTTP_CH_SIZE;
			break;
		case HTTP_CH_TRAILER:
			/*
			 * RFC 9112 §7.1.2: trailer-section = *( field-line
			 * CRLF ), checked like head fields (§5): a token
			 * first, so no obs-fold and no bare LF.
			 */
			if (++c->trailer_len > HTTP_MAX_TRAILERS)
				return -1;
			c->drop = 0;
			if (ch == '\r')
				c->state = HTTP_CH_END_LF;
			else if (http_tchar[ch] && filter) {
				/* Held until the ':' says what it is. */
				c->state = HTTP_CH_TR_HOLD;
				hold = i;
				emit = 0;
			} else if (http_tchar[ch])
				c->state = HTTP_CH_TR_NAME;
			else
				return -1;
			break;
		case HTTP_CH_TR_HOLD:
			if (++c->trailer_len > HTTP_MAX_TRAILERS)
				return -1;
			emit = 0;
			if (ch == ':') {
				/* RFC 9110 §6.5.1: keep it only if allowed. */
				c->drop = !http_trailer_allowed(p + hold,
				    i - hold);
				if (!c->drop) {
					memmove(p + o, p + hold, i - hold);
					o += i - hold;
					emit = 1;	/* and the ':' */
				}
				c->state = HTTP_CH_TR_VALUE;
			} else if (!http_tchar[ch])
				return -1;
			else if (i - hold >= HTTP_TRAILER_HOLD) {
				/* Too long to be denied: pass it on. */
				memmove(p + o, p + hold, i - hold);
				o += i - hold;
				emit = 1;
				c->state = HTTP_CH_TR_NAME;
			}
			break;
		case HTTP_CH_TR_NAME:
			/* RFC 9112 §5.1: no whitespace before the colon. */
			if (++c->trailer_len > HTTP_MAX_TRAILERS)
				return -1;
			if (ch == ':')
				c->state = HTTP_CH_TR_VALUE;
			else if (!http_tchar[ch])
				return -1;
			break;
		case HTTP_CH_TR_VALUE:
			if (++c->trailer_len > HTTP_MAX_TRAILERS)
				return -1;
			if (ch == '\r')
				c->state = HTTP_CH_TR_LF;
			else if (!http_char_is_value(ch))
				return -1;
			emit = emit && !c->drop;
			break;
		case HTTP_CH_TR_LF:
			if (ch != '\n' || ++c->trailer_len > HTTP_MAX_TRAILERS)
				return -1;
			emit = emit && !c->drop;
			c->state = HTTP_CH_TRAILER;
			break;
		case HTTP_CH_END_LF:
			if (ch != '\n' || ++c->trailer_len > HTTP_MAX_TRAILERS)
				return -1;
			c->state = HTTP_CH_DONE;
			break;
		default:
			/* A state we never set: a corrupted struct. */
			return -1;
		}
		if (filter && emit)
			p[o++] = p[i];
		i++;
	}
	if (c->state == HTTP_CH_TR_HOLD) {
		/*
		 * The input ends inside a held name: give it back, so that
		 * the caller hands it again with what follows (the name is
		 * always whole within one call, at most HTTP_TRAILER_HOLD
		 * bytes).
		 */
		c->trailer_len -= (unsigned)(i - hold);
		c->state = HTTP_CH_TRAILER;
		i = hold;
	}
	if (c->state == HTTP_CH_DONE)
		*done = 1;
	*out = decode || filter ? o : i;
	return (ssize_t)i;
}
