/*
 * http_parse.h -- HTTP/1.x message head parser and body framing
 * (RFC 9110, RFC 9112).
 *
 * Runs in the workers.  Pure functions over bytes: no I/O, no allocation,
 * no logging; every function is unit-tested and fuzzed (t/fuzz/).
 *
 * The head is parsed in place: struct http_head points into the caller's
 * buffer, which must stay unchanged while the head is used.
 *
 * Strictness is the point (smuggling, splitting and cache poisoning come
 * from two parties reading one message differently).  A head is refused
 * when: a line does not end in CRLF (bare LF or bare CR); a field name is
 * not a token or is followed by whitespace before the colon; a line has
 * no colon; a line starts with whitespace (obs-fold, or whitespace before
 * the first field); a value holds NUL or another control character except
 * HTAB; the request line is not "method SP target SP HTTP/d.d" (target:
 * VCHAR only, no obs-text); the status line is not "HTTP/d.d SP 3DIGIT
 * SP reason" (the SP before an empty reason may be missing: origins omit
 * it); an HTTP/1.1 request has no Host, any request several (RFC 9112
 * §3.2).
 *
 * Caveats:
 *  - The caller bounds the head: it gives at most its buffer, and turns
 *    "no end in a full buffer" into 414 (no end of request line yet) or
 *    431 (see http_head_end()).
 *  - Framing (which body follows) is a separate call, because it needs
 *    the request method and the status.
 */
#ifndef SLUICE_HTTP_PARSE_H
#define SLUICE_HTTP_PARSE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define HTTP_MAX_FIELDS	128

struct http_field {
	const char	*name;
	size_t		 name_len;
	const char	*value;		/* OWS stripped on both sides */
	size_t		 value_len;
};

struct http_head {
	/* Request line (requests only). */
	const char	*method;
	size_t		 method_len;
	const char	*target;
	size_t		 target_len;
	/* Status line (responses only). */
	int		 status;
	const char	*reason;
	size_t		 reason_len;

	int		 version;	/* 10 for HTTP/1.0, 11 for HTTP/1.1 */
	struct http_field fields[HTTP_MAX_FIELDS];
	size_t		 nfields;
	size_t		 head_len;	/* bytes up to and including the empty line */
};

/**
 * Incremental search for the end of a head: resume state, zero it before
 * the first call on a new message.  Offsets are from the start of the
 * buffer given to http_head_end(): if the caller moves the unparsed bytes,
 * it must zero the state again (the scan then restarts from the start).
 */
struct http_head_scan {
	size_t	pos;		/* next byte to look at */
	size_t	line_start;	/* start of the current line */
	int	first_line_done;/* an LF was seen */
};

/**
 * @brief Find the end of the head in buf[0..len), resuming where the last
 *	call stopped.
 * @return the head length (through the empty line, "\r\n" or a bare "\n")
 *	when it is complete, 0 when more bytes are needed.  Each byte is
 *	examined once over all calls (the cost is O(new bytes)).  Empty
 *	lines before the first line are skipped (not an end); the parser
 *	then accepts at most 8 of them.
 * @note s->first_line_done tells the caller, on a full buffer, whether to
 *	answer 414 (0) or 431 (1).  An empty line that ends in a bare LF is
 *	accepted here as the end so that http_request_parse() can refuse it
 *	with 400 instead of waiting for bytes that never come.
 */
size_t	http_head_end(const char *buf, size_t len, struct http_head_scan *s);

/**
 * @brief Parse a complete request head buf[0..len) (len from http_head_end()).
 * @param[out] why  a static reason for the logs when it fails.
 * @return 0, or the status to answer: 400 (malformed, including no Host
 *	in HTTP/1.1, several Host fields and a Host value that is not
 *	valid (http_host_valid()), RFC 9112 §3.2), 431 (more than
 *	HTTP_MAX_FIELDS fields), 505 (a well-formed HTTP version whose major
 *	is not 1, e.g. HTTP/2.0 or HTTP/0.9; a malformed version is 400).
 *	HTTP/1.2 to HTTP/1.9 are handled as HTTP/1.1 (RFC 9110 §2.5):
 *	h->version is 11.
 * @note Leading empty lines before the request line (RFC 9112 §2.2) are
 *	skipped only when they are CRLF, at most 8 of them.  On success
 *	h->head_len == len when @p len came from http_head_end().  On
 *	failure @p h is partly filled and must not be used.
 */
int	http_request_parse(const char *buf, size_t len, struct http_head *h,
	    const char **why);

/**
 * @brief Is v[0..n) a valid Host field value (RFC 9110 §7.2: uri-host
 *	[ ":" port ], RFC 3986 §3.2.2)?  A reg-name of unreserved,
 *	sub-delims (but ",": a list of hosts is not one host) and
 *	pct-encoded bytes, an IPv4 address, or an IP-literal in brackets
 *	(IPv6 without zone id, or IPvFuture); then an optional port of at
 *	most 5 digits, 1..65535, or empty.  The host part is never empty
 *	(RFC 9110 §4.2.1), but the whole value may be: a target without
 *	an authority (RFC 9112 §3.2); the caller checks that case.
 * @return 1 valid, 0 not.
 * @note http_request_parse() answers 400 for an invalid one.
 */
int	http_host_valid(const char *v, size_t n);

/**
 * @brief Parse a complete response head.
 * @return 0, or -1 (the caller answers 502) with @p *why set.  Only
 *	HTTP/1.x (1.2..1.9 read as 1.1) and status codes 100..599 are
 *	accepted.
 */
int	http_response_parse(const char *buf, size_t len, struct http_head *h,
	    const char **why);

/** How the body of a message is delimited (RFC 9112 §6.3). */
enum http_body_mode {
	HTTP_BODY_NONE,		/* no body */
	HTTP_BODY_LENGTH,	/* Content-Length bytes */
	HTTP_BODY_CHUNKED,	/* chunked, ends with the last chunk and trailers */
	HTTP_BODY_EOF		/* until the connection closes (responses only) */
};

/**
 * @brief Framing of a request (RFC 9112 §6.1-6.3).
 * @param[out] mode  NONE, LENGTH or CHUNKED.
 * @param[out] length  the Content-Length when LENGTH.
 * @return 0, or the status to answer: 400 (Transfer-Encoding with
 *	Content-Length; a repeated Content-Length, even with one value
 *	(RFC 9110 §8.6 allows refusing it; "5, 5" must not be forwarded as
 *	it is), or a malformed one;
 *	Transfer-Encoding in HTTP/1.0; chunked not final or applied twice),
 *	501 (a transfer coding other than chunked).
 */
int	http_request_framing(const struct http_head *h, enum http_body_mode *mode,
	    uint64_t *length, const char **why);

/**
 * @brief Framing of a response to a request with @p is_head (RFC 9112 §6.3).
 *	HEAD, 1xx, 204 and 304 have no body whatever the fields say.
 * @return 0, or -1 (the caller answers 502) for the same faults as a
 *	request, checked even when no body follows; with one difference:
 *	earlier codings are allowed ("gzip, chunked" is CHUNKED, passed
 *	through as it is) and a Transfer-Encoding whose final coding is not
 *	chunked means HTTP_BODY_EOF (RFC 9112 §6.3 item 4).  No framing
 *	field: HTTP_BODY_EOF.
 * @note A 2xx answer to CONNECT is a tunnel (RFC 9112 §6.3 item 2): the
 *	caller handles it and does not ask for framing.
 */
int	http_response_framing(const struct http_head *h, int is_head,
	    enum http_body_mode *mode, uint64_t *length, const char **why);

/**
 * Chunked body state (RFC 9112 §7.1).  Zero it before the first call.
 */
struct http_chunked {
	int		state;
	uint64_t	remaining;	/* data bytes left in the current chunk */
	unsigned	digits;		/* hex digits in the size so far (max 16) */
	unsigned	ext_len;	/* bytes of chunk extension so far (bounded) */
	unsigned	trailer_len;	/* bytes of trailer section so far (bounded) */
	int		drop;		/* the trailer field being read is dropped */
};

/* http_chunked_scan() flags. */
#define HTTP_CHUNKED_DECODE	0x01	/* keep the data only (de-chunk) */
#define HTTP_CHUNKED_TRAILERS	0x02	/* drop the trailer fields that
					   RFC 9110 §6.5.1 does not allow */

/**
 * @brief Walk chunked framing over p[0..n), resuming in @p c: the result
 *	does not depend on how the body is split across calls.
 * @param[in] flags  0: leave the bytes as they are (pass-through);
 *	HTTP_CHUNKED_DECODE: move the chunk data down in place so that
 *	p[0..*out) holds the decoded data only (for an HTTP/1.0 peer, or
 *	the cache); HTTP_CHUNKED_TRAILERS (without DECODE): pass the
 *	framing through but rewrite the trailer section in place, without
 *	the fields http_trailer_allowed() refuses: p[0..*out) is the
 *	message as it goes on.
 * @param[out] out  with DECODE or TRAILERS, the count of bytes to pass on
 *	at p; without, equal to the return value.
 * @param[out] done  1 when the last chunk and the trailer section ended.
 * @return bytes of p consumed, or -1 on a syntax error: a size that is
 *	not hex or has more than 16 digits, a chunk line or data not
 *	followed by CRLF, whitespace after the size not followed by ';'
 *	(BWS, RFC 9112 §7.1.1), an extension with a control byte or over
 *	4096 bytes, a trailer section over 16384 bytes or with a line that
 *	is not "token:value CRLF" (as head fields).  After -1 the state is
 *	unusable.
 * @note Fewer bytes than @p n are consumed only when done (p[ret..n) is
 *	the next message) or, with TRAILERS, when p ends inside a trailer
 *	field name of at most 32 bytes, which is held until its ':' says
 *	whether it goes: the caller keeps p[ret..n) and gives those bytes
 *	again, followed by more, in the next call.  With DECODE or
 *	TRAILERS, p[*out..ret) is left over (framing, dropped fields) and
 *	p[ret..n) is untouched; with DECODE the trailer fields are dropped.
 *	Once done, further calls consume nothing.
 */
ssize_t	http_chunked_scan(struct http_chunked *c, char *p, size_t n,
	    int flags, size_t *out, int *done);

/**
 * @brief May the field named name[0..n) be passed on in a trailer
 *	section (RFC 9110 §6.5.1)?  No for framing, routing, request
 *	modifiers, authentication, response control data, Content-Encoding,
 *	-Type and -Range, Trailer and the hop-by-hop fields.
 * @return 1 allowed, 0 not.
 */
int	http_trailer_allowed(const char *name, size_t n);

/** @brief Case-insensitive compare of a field name with @p name. */
int	http_field_is(const struct http_field *f, const char *name);
/**
 * @brief Is @p token one of the comma-separated tokens of the value
 *	(case-insensitive, OWS around elements ignored, empty elements skipped)?
 */
int	http_list_has(const char *value, size_t len, const char *token);
/**
 * @brief Strict decimal Content-Length: 1*DIGIT, no sign, no space
 *	(RFC 9110 §8.6), at most 2^62.
 * @return 0 with @p *out set, or -1.
 */
int	http_parse_length(const char *value, size_t len, uint64_t *out);

#endif
