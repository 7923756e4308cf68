/*
 * unit-http-parse.c -- table-driven unit test of worker/http_parse.c: the
 * head scanner, request and response parsers, framing rules and the
 * chunked walker (RFC 9110, RFC 9112).
 *
 * No processes, no sockets: the parser is linked directly.  Each case
 * states the behaviour and the RFC section it proves.  The chunked cases
 * are run whole, byte by byte and in pseudo-random splits, in both modes,
 * and every run must agree.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_parse.h"
#include "tap.h"

/* A literal with its length, so cases may hold NUL bytes. */
#define S(x)	x, sizeof(x) - 1

struct req_case {
	const char	*in;
	size_t		 len;
	int		 rc;		/* 0, 400, 431, 505 */
	const char	*why;		/* substring of *why, or NULL */
	const char	*desc;
};

static const struct req_case req_cases[] = {
	/* Valid forms (RFC 9112 §3.2). */
	{ S("GET /index.html?q=1 HTTP/1.1\r\nHost: a\r\n\r\n"), 0, NULL,
	    "request: origin-form GET is accepted (RFC 9112 §3.2.1)" },
	{ S("GET http://example.com/a?b=c HTTP/1.1\r\nHost: example.com\r\n"
	    "\r\n"), 0, NULL,
	    "request: absolute-form GET is accepted (RFC 9112 §3.2.2)" },
	{ S("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n"
	    "\r\n"), 0, NULL,
	    "request: authority-form CONNECT is accepted (RFC 9112 §3.2.3)" },
	{ S("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n"), 0, NULL,
	    "request: asterisk-form OPTIONS is accepted (RFC 9112 §3.2.4)" },
	{ S("GET / HTTP/1.0\r\n\r\n"), 0, NULL,
	    "request: HTTP/1.0 without Host is accepted (RFC 9112 §3.2)" },
	{ S("\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n"), 0, NULL,
	    "request: leading CRLF lines are skipped (RFC 9112 §2.2)" },
	{ S("M-SEARCH * HTTP/1.1\r\nHost: a\r\n\r\n"), 0, NULL,
	    "request: any token is a method (RFC 9110 §9.1)" },
	{ S("GET / HTTP/1.1\r\nHost: a\r\nX!#$%&'*+-.^_`|~9: v\r\n\r\n"), 0,
	    NULL, "request: every tchar is allowed in a field name "
	    "(RFC 9110 §5.6.2)" },
	{ S("GET / HTTP/1.1\r\nHost: a\r\nX: caf\xc3\xa9\tok\r\n\r\n"), 0,
	    NULL, "request: obs-text and HTAB inside a value are accepted "
	    "(RFC 9110 §5.5)" },
	{ S("GET / HTTP/1.1\r\nHost: a\r\nX:\r\n\r\n"), 0, NULL,
	    "request: an empty field value is accepted (RFC 9110 §5.5)" },
	/* Request line (RFC 9112 §3). */
	{ S("\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n"
	    "\r\n"), 400, "bad method",
	    "request: more than 8 leading CRLF -> 400 (RFC 9112 §2.2 bound)" },
	{ S("\nGET / HTTP/1.1\r\nHost: a\r\n\r\n"), 400, NULL,
	    "request: a leading bare LF line -> 400 (RFC 9112 §2.2)" },
	{ S("GET  / HTTP/1.1\r\nHost: a\r\n\r\n"), 400, NULL,
	    "request: two SP after the method -> 400 (RFC 9112 §3)" },
	{ S("GET /  HTTP/1.1\r\nHost: a\r\n\r\n"), 400, NULL,
	    "request: two SP after the target -> 400 (RFC 9112 §3)" },
	{ S("GET / HTTP/1.1 \r\nHost: a\r\n\r\n"), 400, "version",
	    "request: SP after the version -> 400 (RFC 9112 §3)" },
	{ S("GET\t/ HTTP/1.1\r\nHost: a\r\n\r\n"), 400, "bad method",
	    "request: HTAB as separator -> 400 (RFC 9112 §3)" },
	{ S(" GET / HTTP/1.1\r\nHost: a\r\n\r\n"), 400, "bad method",
	    "request: SP before the method -> 400 (RFC 9112 §3)" },
	{ S("G(T / HTTP/1.1\r\nHost: a\r\n\r\n"), 400, "bad method",
	    "request: a method that is not a token -> 400 (RFC 9110 §9.1)" },
	{ S("GET /a b HTTP/1.1\r\nHost: a\r\n\r\n"), 400, NULL,
	    "request: SP inside the target -> 400 (RFC 9112 §3.2)" },
	{ S("GET /a\x7f HTTP/1.1\r\nHost: a\r\n\r\n"), 400, "target",
	    "request: DEL in the target -> 400 (RFC 9112 §3.2)" },
	{ S("GET /a\x01 HTTP/1.1\r\nHost: a\r\n\r\n"), 400, "target",
	    "request: a CTL in the target -> 400 (RFC 9112 §3.2)" },
	{ S("GET /a\0b HTTP/1.1\r\nHost: a\r\n\r\n"), 400, "target",
	    "request: NUL in the target -> 400 (RFC 9112 §3.2)" },
	{ S("GET /caf\xc3\xa9 HTTP/1.1\r\nHost: a\r\n\r\n"), 400, "target",
	    "request: raw obs-text in the target -> 400 (RFC 3986 §2)" },
	{ S("GET /\r HTTP/1.1\r\nHost: a\r\n\r\n"), 400, "bare CR",
	    "request: bare CR in the request line -> 400 (RFC 9112 §2.2)" },
	{ S("GET / HTTP/1.1\nHost: a\r\n\r\n"), 400, "CRLF",
	    "request: request line ending in bare LF -> 400 (RFC 9112 §2.2)" },
	{ S("GET /\r\nHost: a\r\n\r\n"), 400, "request line",
	    "request: HTTP/0.9 style line without version -> 400 "
	    "(RFC 9112 §3)" },
	{ S("GET / http/1.1\r\nHost: a\r\n\r\n"), 400, "version",
	    "request: lower-case version -> 400 (RFC 9112 §2.3)" },
	{ S("GET / HTTP/1\r\nHost: a\r\n\r\n"), 400, "version",
	    "request: version without minor -> 400 (RFC 9112 §2.3)" },
	{ S("GET / HTTP/11.1\r\nHost: a\r\n\r\n"), 400, "version",
	    "request: two-digit major version -> 400 (RFC 9112 §2.3)" },
	{ S("GET / HTTP/2.0\r\nHost: a\r\n\r\n"), 505, "unsupported",
	    "request: HTTP/2.0 -> 505 (RFC 9110 §15.6.6)" },
	{ S("GET / HTTP/0.9\r\nHost: a\r\n\r\n"), 505, "unsupported",
	    "request: HTTP/0.9 version -> 505 (RFC 9110 §15.6.6)" },
	{ S("GET / HTTP/1.2\r\nHost: a\r\n\r\n"), 0, NULL,
	    "request: HTTP/1.2 is read as HTTP/1.1 (RFC 9110 §2.5)" },
	{ S("GET / HTTP/1.9\r\n\r\n"), 400, "Host",
	    "request: HTTP/1.9 is HTTP/1.1, so it needs Host (RFC 9110 §2.5)" },
	{ S("GET / HTTP/3.0\r\nHost: a\r\n\r\n"), 505, "unsupported",
	    "request: HTTP/3.0 -> 505 (RFC 9110 §15.6.6)" },
	/* Field lines (RFC 9112 §5). */
	{ S("GET / HTTP/1.1\r\nHost : a\r\n\r\n"), 400,
	    "whitespace before colon",
	    "request: whitespace before colon -> 400 (RFC 9112 §5.1)" },
	{ S("GET / HTTP/1.1\r\nHost\t: a\r\n\r\n"), 400,
	    "whitespace before colon",
	    "request: HTAB before colon -> 400 (RFC 9112 §5.1)" },
	{ S("GET / HTTP/1.1\r\nHost: a\r\nX: b\r\n c\r\n\r\n"), 400,
	    "obs-fold", "request: obs-fold -> 400 (RFC 9112 §5.2)" },
	{ S("GET / HTTP/1.1\r\n Host: a\r\n\r\n"), 400, "obs-fold",
	    "request: whitespace before the first field -> 400 "
	    "(RFC 9112 §2.2)" },
	{ S("GET / HTTP/1.1\r\nHost: a\r\nX b\r\n\r\n"), 400, "colon",
	    "request: field line without colon -> 400 (RFC 9112 §5)" },
	{ S("GET / HTTP/1.1\r\nHost: a\r\n: b\r\n\r\n"), 400,
	    "empty field name",
	    "request: empty field name -> 400 (RFC 9110 §5.1)" },
	{ S("GET / HTTP/1.1\r\nHost: a\r\nX(y: b\r\n\r\n"), 400, "field name",
	    "request: field name not a token -> 400 (RFC 9110 §5.1)" },
	{ S("GET / HTTP/1.1\r\nHost: a\r\nX: a\0b\r\n\r\n"), 400, "control",
	    "request: NUL in a value -> 400 (RFC 9110 §5.5)" },
	{ S("GET / HTTP/1.1\r\nHost: a\r\nX: a\x01" "b\r\n\r\n"), 400,
	    "control", "request: CTL in a value -> 400 (RFC 9110 §5.5)" },
	{ S("GET / HTTP/1.1\r\nHost: a\r\nX: a\x7f\r\n\r\n"), 400, "control",
	    "request: DEL in a value -> 400 (RFC 9110 §5.5)" },
	{ S("GET / HTTP/1.1\r\nHost: a\rX: b\r\n\r\n"), 400, "bare CR",
	    "request: bare CR in a value -> 400 (RFC 9112 §2.2)" },
	{ S("GET / HTTP/1.1\r\nHo\rst: a\r\n\r\n"), 400, "bare CR",
	    "request: bare CR in a name -> 400 (RFC 9112 §2.2)" },
	{ S("GET / HTTP/1.1\r\nHost: a\nX: b\r\n\r\n"), 400, "bare LF",
	    "request: field line ending in bare LF -> 400 (RFC 9112 §2.2)" },
	{ S("GET / HTTP/1.1\r\nHost: a\r\n\n"), 400, "bare LF",
	    "request: empty line as bare LF -> 400 (RFC 9112 §2.2)" },
	{ S("GET / HTTP/1.1\r\nHost: a\r\n"), 400, "empty line",
	    "request: head without the empty line -> 400 (RFC 9112 §2.1)" },
	{ S("GET / HTTP/1.1\r\nX: b\r\n\r\n"), 400, "no Host",
	    "request: HTTP/1.1 without Host -> 400 (RFC 9112 §3.2)" },
	{ S("GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n"), 400,
	    "several Host",
	    "request: two Host fields -> 400 (RFC 9112 §3.2)" },
	/* The Host value (RFC 9112 §3.2, RFC 9110 §7.2, RFC 3986 §3.2.2). */
	{ S("GET / HTTP/1.1\r\nHost: a b\r\n\r\n"), 400, "invalid Host",
	    "request: Host with a space -> 400 (RFC 9112 §3.2)" },
	{ S("GET / HTTP/1.0\r\nHost: a b\r\n\r\n"), 400, "invalid Host",
	    "request: HTTP/1.0 with an invalid Host -> 400 (RFC 9112 §3.2)" },
	{ S("GET / HTTP/1.1\r\nHost: a:x\r\n\r\n"), 400, "invalid Host",
	    "request: Host port not digits -> 400 (RFC 3986 §3.2.3)" },
	{ S("GET / HTTP/1.1\r\nHost: a:65536\r\n\r\n"), 400,
	    "invalid Host", "request: Host port 65536 -> 400" },
	{ S("GET / HTTP/1.1\r\nHost: a:0\r\n\r\n"), 400, "invalid Host",
	    "request: Host port 0 -> 400" },
	{ S("GET / HTTP/1.1\r\nHost: :80\r\n\r\n"), 400, "invalid Host",
	    "request: Host with an empty host -> 400 (RFC 9110 §4.2.1)" },
	{ S("GET / HTTP/1.1\r\nHost: u@a\r\n\r\n"), 400, "invalid Host",
	    "request: Host with userinfo -> 400 (RFC 9110 §4.2.4)" },
	{ S("GET / HTTP/1.1\r\nHost: a,b\r\n\r\n"), 400, "invalid Host",
	    "request: Host with a list of hosts -> 400" },
	{ S("GET / HTTP/1.1\r\nHost: [::1\r\n\r\n"), 400, "invalid Host",
	    "request: Host IPv6 literal unclosed -> 400 (RFC 3986 §3.2.2)" },
	{ S("GET / HTTP/1.1\r\nHost: [::1]:\r\n\r\n"), 0, NULL,
	    "request: Host IPv6 literal with an empty port is valid" },
	{ S("GET / HTTP/1.1\r\nHost: [::g]\r\n\r\n"), 400, "invalid Host",
	    "request: Host IPv6 literal that is not IPv6 -> 400" },
	{ S("GET / HTTP/1.1\r\nHost: [v1x.a]\r\n\r\n"), 400,
	    "invalid Host", "request: Host bad IPvFuture -> 400" },
	{ S("GET / HTTP/1.1\r\nHost: [v1f.a:b]:8\r\n\r\n"), 0, NULL,
	    "request: Host IPvFuture literal is valid (RFC 3986 §3.2.2)" },
	{ S("GET / HTTP/1.1\r\nHost: a%4\r\n\r\n"), 400, "invalid Host",
	    "request: Host truncated pct-encoding -> 400 (RFC 3986 §2.1)" },
	{ S("GET / HTTP/1.1\r\nHost: a%41-._~!$&'()*+;=:08080\r\n\r\n"), 0,
	    NULL, "request: Host reg-name of unreserved, pct-encoded and "
	    "sub-delims, 5-digit port, is valid" },
	{ S("GET / HTTP/1.1\r\nHost: a:123456\r\n\r\n"), 400,
	    "invalid Host", "request: Host port of 6 digits -> 400" },
	{ S("GET / HTTP/1.1\r\nHost:\r\n\r\n"), 0, NULL,
	    "request: empty Host is valid syntax (a target without an "
	    "authority, RFC 9112 §3.2)" },
};

struct resp_case {
	const char	*in;
	size_t		 len;
	int		 rc;		/* 0 or -1 */
	int		 status;	/* when rc is 0 */
	const char	*desc;
};

static const struct resp_case resp_cases[] = {
	{ S("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"), 0, 200,
	    "response: plain 200 is accepted (RFC 9112 §4)" },
	{ S("HTTP/1.0 404 Not Found\r\nServer: x\r\n\r\n"), 0, 404,
	    "response: HTTP/1.0 404 is accepted (RFC 9112 §4)" },
	{ S("HTTP/1.1 200\r\n\r\n"), 0, 200,
	    "response: missing SP before an empty reason is tolerated "
	    "(RFC 9112 §4, lenient)" },
	{ S("HTTP/1.1 204 \r\n\r\n"), 0, 204,
	    "response: SP and empty reason are accepted (RFC 9112 §4)" },
	{ S("HTTP/1.1 599 Caf\xc3\xa9\tx y\r\n\r\n"), 0, 599,
	    "response: reason with obs-text and HTAB, status 599 "
	    "(RFC 9112 §4)" },
	{ S("HTTP/1.1 100 Continue\r\n\r\n"), 0, 100,
	    "response: status 100 is accepted (RFC 9110 §15.2)" },
	{ S("HTTP/1.1 099 X\r\n\r\n"), -1, 0,
	    "response: status below 100 -> -1 (RFC 9110 §15)" },
	{ S("HTTP/1.1 600 X\r\n\r\n"), -1, 0,
	    "response: status 600 -> -1 (RFC 9110 §15)" },
	{ S("HTTP/1.1 2000 X\r\n\r\n"), -1, 0,
	    "response: four-digit status -> -1 (RFC 9112 §4)" },
	{ S("HTTP/1.1 20 X\r\n\r\n"), -1, 0,
	    "response: two-digit status -> -1 (RFC 9112 §4)" },
	{ S("HTTP/1.1 2a0 X\r\n\r\n"), -1, 0,
	    "response: non-digit status -> -1 (RFC 9112 §4)" },
	{ S("HTTP/1.2 200 OK\r\n\r\n"), 0, 200,
	    "response: HTTP/1.2 is read as HTTP/1.1 (RFC 9110 §2.5)" },
	{ S("HTTP/2.0 200 OK\r\n\r\n"), -1, 0,
	    "response: HTTP/2.0 status line -> -1 (RFC 9112 §2.3)" },
	{ S("http/1.1 200 OK\r\n\r\n"), -1, 0,
	    "response: lower-case version -> -1 (RFC 9112 §2.3)" },
	{ S("HTTP/1.1  200 OK\r\n\r\n"), -1, 0,
	    "response: two SP before status -> -1 (RFC 9112 §4)" },
	{ S("HTTP/1.1 200 OK\n\r\n"), -1, 0,
	    "response: status line in bare LF -> -1 (RFC 9112 §2.2)" },
	{ S("HTTP/1.1 200 O\rK\r\n\r\n"), -1, 0,
	    "response: bare CR in the reason -> -1 (RFC 9112 §2.2)" },
	{ S("HTTP/1.1 200 O\x01K\r\n\r\n"), -1, 0,
	    "response: CTL in the reason -> -1 (RFC 9112 §4)" },
	{ S("HTTP/1.1 200 OK\r\nServer : x\r\n\r\n"), -1, 0,
	    "response: whitespace before colon -> -1 (RFC 9112 §5.1)" },
	{ S("HTTP/1.1 200 OK\r\nX: a\r\n\tb\r\n\r\n"), -1, 0,
	    "response: obs-fold -> -1 (RFC 9112 §5.2)" },
	{ S("HTTP/1.1 200 OK\r\nX: a\0\r\n\r\n"), -1, 0,
	    "response: NUL in a value -> -1 (RFC 9110 §5.5)" },
	{ S("HTTP/1.1 200 OK\r\nX: a\n\r\n"), -1, 0,
	    "response: field in bare LF -> -1 (RFC 9112 §2.2)" },
	{ S("\r\nHTTP/1.1 200 OK\r\n\r\n"), -1, 0,
	    "response: no leading empty line (RFC 9112 §2.2 is for requests)" },
};

struct framing_case {
	const char	*in;		/* a whole head */
	int		 is_head;	/* responses: answer to HEAD */
	int		 rc;
	enum http_body_mode mode;	/* when rc is 0 */
	uint64_t	 length;
	const char	*desc;
};

#define RQ(f)	"POST / HTTP/1.1\r\nHost: a\r\n" f "\r\n"
#define RQ10(f)	"POST / HTTP/1.0\r\n" f "\r\n"

static const struct framing_case reqf_cases[] = {
	{ RQ(""), 0, 0, HTTP_BODY_NONE, 0,
	    "request framing: no TE, no CL -> no body (RFC 9112 §6.3 item 7)" },
	{ RQ("Content-Length: 5\r\n"), 0, 0, HTTP_BODY_LENGTH, 5,
	    "request framing: CL 5 -> length 5 (RFC 9112 §6.3 item 6)" },
	{ RQ("Content-Length: 0\r\n"), 0, 0, HTTP_BODY_LENGTH, 0,
	    "request framing: CL 0 -> length 0 (RFC 9110 §8.6)" },
	{ RQ("Transfer-Encoding: chunked\r\n"), 0, 0, HTTP_BODY_CHUNKED, 0,
	    "request framing: TE chunked -> chunked (RFC 9112 §6.3 item 4)" },
	{ RQ("transfer-encoding: ChUnKeD\r\n"), 0, 0, HTTP_BODY_CHUNKED, 0,
	    "request framing: coding names are case-insensitive "
	    "(RFC 9112 §7)" },
	{ RQ("Transfer-Encoding: chunked,\r\n"), 0, 0, HTTP_BODY_CHUNKED, 0,
	    "request framing: empty list elements are skipped "
	    "(RFC 9110 §5.6.1)" },
	{ RQ("Transfer-Encoding: chunked\r\nContent-Length: 5\r\n"), 0, 400,
	    0, 0, "request framing: TE with CL -> 400 (RFC 9112 §6.1)" },
	{ RQ("Content-Length: 5\r\nContent-Length: 5\r\n"), 0, 400,
	    0, 0, "request framing: two identical CL fields "
	    "-> 400 (RFC 9110 §8.6 allows rejecting)" },
	{ RQ("Content-Length: 5, 5\r\n"), 0, 400, 0, 0,
	    "request framing: CL list \"5, 5\" -> 400 (RFC 9110 §8.6)" },
	{ RQ("Content-Length: 5\r\nContent-Length: 6\r\n"), 0, 400, 0, 0,
	    "request framing: two different CL fields -> 400 "
	    "(RFC 9110 §8.6)" },
	{ RQ("Content-Length: 5, 6\r\n"), 0, 400, 0, 0,
	    "request framing: CL list \"5, 6\" -> 400 (RFC 9110 §8.6)" },
	{ RQ("Content-Length: 5,\r\n"), 0, 400, 0, 0,
	    "request framing: CL list with an empty element -> 400 "
	    "(RFC 9110 §8.6)" },
	{ RQ("Content-Length: +5\r\n"), 0, 400, 0, 0,
	    "request framing: CL \"+5\" -> 400 (RFC 9110 §8.6)" },
	{ RQ("Content-Length: -1\r\n"), 0, 400, 0, 0,
	    "request framing: CL \"-1\" -> 400 (RFC 9110 §8.6)" },
	{ RQ("Content-Length: 0x10\r\n"), 0, 400, 0, 0,
	    "request framing: CL \"0x10\" -> 400 (RFC 9110 §8.6)" },
	{ RQ("Content-Length:  5 5\r\n"), 0, 400, 0, 0,
	    "request framing: CL \" 5 5\" -> 400 (RFC 9110 §8.6)" },
	{ RQ("Content-Length:\r\n"), 0, 400, 0, 0,
	    "request framing: empty CL -> 400 (RFC 9110 §8.6)" },
	{ RQ("Content-Length: 99999999999999999999999\r\n"), 0, 400, 0, 0,
	    "request framing: CL overflow -> 400 (RFC 9110 §8.6)" },
	{ RQ("Content-Length: 40000000000000000000\r\n"), 0, 400, 0, 0,
	    "request framing: CL that wraps uint64 when multiplied -> 400 "
	    "(RFC 9110 §8.6)" },
	{ RQ("Content-Length: 4611686018427387904\r\n"), 0, 0,
	    HTTP_BODY_LENGTH, UINT64_C(4611686018427387904),
	    "request framing: CL 2^62 is the largest accepted "
	    "(RFC 9110 §8.6)" },
	{ RQ("Content-Length: 4611686018427387905\r\n"), 0, 400, 0, 0,
	    "request framing: CL 2^62+1 -> 400 (RFC 9110 §8.6 cap)" },
	{ RQ10("Transfer-Encoding: chunked\r\n"), 0, 400, 0, 0,
	    "request framing: TE in HTTP/1.0 -> 400 (RFC 9112 §6.1)" },
	{ RQ("Transfer-Encoding: gzip, chunked\r\n"), 0, 501, 0, 0,
	    "request framing: gzip, chunked -> 501 (RFC 9112 §6.1)" },
	{ RQ("Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n"),
	    0, 501, 0, 0, "request framing: gzip then chunked in two fields "
	    "-> 501 (RFC 9110 §5.3, RFC 9112 §6.1)" },
	{ RQ("Transfer-Encoding: chunked, chunked\r\n"), 0, 400, 0, 0,
	    "request framing: chunked twice -> 400 (RFC 9112 §6.1)" },
	{ RQ("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n"),
	    0, 400, 0, 0, "request framing: chunked in two fields -> 400 "
	    "(RFC 9112 §6.1)" },
	{ RQ("Transfer-Encoding: chunked, gzip\r\n"), 0, 400, 0, 0,
	    "request framing: chunked not final -> 400 "
	    "(RFC 9112 §6.3 item 4)" },
	{ RQ("Transfer-Encoding: gzip\r\n"), 0, 400, 0, 0,
	    "request framing: TE without chunked -> 400 "
	    "(RFC 9112 §6.3 item 4)" },
	{ RQ("Transfer-Encoding:\r\n"), 0, 400, 0, 0,
	    "request framing: empty TE -> 400 (RFC 9112 §6.1)" },
};

#define RS(s, f)	"HTTP/1.1 " s "\r\n" f "\r\n"

static const struct framing_case respf_cases[] = {
	{ RS("200 OK", "Content-Length: 5\r\n"), 0, 0, HTTP_BODY_LENGTH, 5,
	    "response framing: CL 5 -> length (RFC 9112 §6.3 item 6)" },
	{ RS("200 OK", ""), 0, 0, HTTP_BODY_EOF, 0,
	    "response framing: no TE, no CL -> until close "
	    "(RFC 9112 §6.3 item 8)" },
	{ RS("200 OK", "Transfer-Encoding: chunked\r\n"), 0, 0,
	    HTTP_BODY_CHUNKED, 0,
	    "response framing: chunked (RFC 9112 §6.3 item 4)" },
	{ RS("200 OK", "Transfer-Encoding: gzip, chunked\r\n"), 0, 0,
	    HTTP_BODY_CHUNKED, 0, "response framing: gzip, chunked is "
	    "chunked, passed through (RFC 9112 §6.1)" },
	{ RS("200 OK", "Transfer-Encoding: gzip\r\n"), 0, 0, HTTP_BODY_EOF,
	    0, "response framing: TE not ending in chunked -> until close "
	    "(RFC 9112 §6.3 item 4)" },
	{ RS("200 OK", "Transfer-Encoding: chunked, gzip\r\n"), 0, 0,
	    HTTP_BODY_EOF, 0, "response framing: chunked not final -> until "
	    "close (RFC 9112 §6.3 item 4)" },
	{ RS("200 OK", "Content-Length: 5\r\n"), 1, 0, HTTP_BODY_NONE, 0,
	    "response framing: answer to HEAD has no body "
	    "(RFC 9112 §6.3 item 1)" },
	{ RS("200 OK", "Transfer-Encoding: chunked\r\n"), 1, 0,
	    HTTP_BODY_NONE, 0, "response framing: chunked answer to HEAD has "
	    "no body (RFC 9112 §6.3 item 1)" },
	{ RS("204 No Content", "Content-Length: 5\r\n"), 0, 0,
	    HTTP_BODY_NONE, 0,
	    "response framing: 204 has no body (RFC 9112 §6.3 item 1)" },
	{ RS("304 Not Modified", "Content-Length: 10\r\n"), 0, 0,
	    HTTP_BODY_NONE, 0,
	    "response framing: 304 has no body (RFC 9112 §6.3 item 1)" },
	{ RS("100 Continue", ""), 0, 0, HTTP_BODY_NONE, 0,
	    "response framing: 100 has no body (RFC 9112 §6.3 item 1)" },
	{ RS("101 Switching Protocols", ""), 0, 0, HTTP_BODY_NONE, 0,
	    "response framing: 101 has no body (RFC 9112 §6.3 item 1)" },
	{ RS("200 OK", "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n"),
	    0, -1, 0, 0, "response framing: TE with CL -> -1 "
	    "(RFC 9112 §6.3 item 3)" },
	{ RS("200 OK", "Content-Length: 5\r\nContent-Length: 6\r\n"), 0, -1,
	    0, 0, "response framing: different CL -> -1 (RFC 9110 §8.6)" },
	{ RS("200 OK", "Content-Length: 5, 5\r\n"), 0, -1, 0, 0,
	    "response framing: CL list \"5, 5\" -> -1 (RFC 9110 §8.6)" },
	{ RS("200 OK", "Content-Length: abc\r\n"), 0, -1, 0, 0,
	    "response framing: malformed CL -> -1 (RFC 9110 §8.6)" },
	{ RS("304 Not Modified", "Content-Length: 5, 6\r\n"), 0, -1, 0, 0,
	    "response framing: different CL on a 304 -> -1 (RFC 9110 §8.6)" },
	{ "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", 0, -1, 0,
	    0, "response framing: TE in HTTP/1.0 -> -1 (RFC 9112 §6.1)" },
	{ RS("200 OK", "Transfer-Encoding: chunked, chunked\r\n"), 0, -1, 0,
	    0, "response framing: chunked twice -> -1 (RFC 9112 §6.1)" },
};

struct chunk_case {
	const char	*in;
	size_t		 len;
	ssize_t		 rc;		/* bytes consumed, or -1 */
	int		 done;
	const char	*data;		/* decoded data, unless rc is -1 */
	const char	*desc;
};

#define CH_OK	"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"

static const struct chunk_case chunk_cases[] = {
	{ S(CH_OK), sizeof(CH_OK) - 1, 1, "hello world",
	    "chunked: two chunks and last-chunk (RFC 9112 §7.1)" },
	{ S(CH_OK "GET / HTTP/1.1\r\n"), sizeof(CH_OK) - 1, 1, "hello world",
	    "chunked: bytes after the end are not consumed (RFC 9112 §7.1)" },
	{ S("A\r\n0123456789\r\na\r\nabcdefghij\r\n0\r\n\r\n"), 35, 1,
	    "0123456789abcdefghij",
	    "chunked: hex sizes in either case (RFC 9112 §7.1)" },
	{ S("5;name=val\r\nhello\r\n0;x;y=\"q s\"\r\n\r\n"), 34, 1, "hello",
	    "chunked: extensions are accepted (RFC 9112 §7.1.1)" },
	{ S("5 ;a\r\nhello\r\n0\t; b\r\n\r\n"), 22, 1, "hello",
	    "chunked: BWS before ';' is tolerated (RFC 9112 §7.1.1)" },
	{ S("5\r\nhello\r\n0\r\nExpires: x\r\nX-T:y \r\n\r\n"), 35, 1, "hello",
	    "chunked: trailer fields are accepted (RFC 9112 §7.1.2)" },
	{ S("0000\r\n\r\n"), 8, 1, "",
	    "chunked: last-chunk of several zeros (RFC 9112 §7.1)" },
	{ S("0000000000000005\r\nhello\r\n0\r\n\r\n"), 30, 1, "hello",
	    "chunked: 16 hex digits are accepted (RFC 9112 §7.1)" },
	{ S("5\r\nhel"), 6, 0, "hel",
	    "chunked: incomplete data is consumed, not done (RFC 9112 §7.1)" },
	{ S("ffffffffffffffff\r\nab"), 20, 0, "ab",
	    "chunked: the largest size does not overflow (RFC 9112 §7.1)" },
	{ S(""), 0, 0, "", "chunked: no bytes, nothing consumed" },
	{ S("00000000000000005\r\nhello\r\n0\r\n\r\n"), -1, 0, NULL,
	    "chunked: 17 hex digits -> -1 (RFC 9112 §7.1)" },
	{ S("g\r\n"), -1, 0, NULL,
	    "chunked: size not hex -> -1 (RFC 9112 §7.1)" },
	{ S("0x5\r\nhello\r\n"), -1, 0, NULL,
	    "chunked: \"0x\" prefix -> -1 (RFC 9112 §7.1)" },
	{ S("\r\nhello\r\n"), -1, 0, NULL,
	    "chunked: empty size -> -1 (RFC 9112 §7.1)" },
	{ S(" 5\r\nhello\r\n0\r\n\r\n"), -1, 0, NULL,
	    "chunked: whitespace before the size -> -1 (RFC 9112 §7.1)" },
	{ S("5 \r\nhello\r\n0\r\n\r\n"), -1, 0, NULL,
	    "chunked: whitespace after the size without ';' -> -1 "
	    "(RFC 9112 §7.1.1)" },
	{ S("-5\r\nhello\r\n"), -1, 0, NULL,
	    "chunked: signed size -> -1 (RFC 9112 §7.1)" },
	{ S("5\r\nhelloX\r\n0\r\n\r\n"), -1, 0, NULL,
	    "chunked: data not followed by CRLF -> -1 (RFC 9112 §7.1)" },
	{ S("5\r\nhello\r\r\n0\r\n\r\n"), -1, 0, NULL,
	    "chunked: CR CR after data -> -1 (RFC 9112 §7.1)" },
	{ S("5\nhello\r\n0\r\n\r\n"), -1, 0, NULL,
	    "chunked: size line in bare LF -> -1 (RFC 9112 §7.1)" },
	{ S("5\r\nhello\n0\r\n\r\n"), -1, 0, NULL,
	    "chunked: data ending in bare LF -> -1 (RFC 9112 §7.1)" },
	{ S("0\r\n\n"), -1, 0, NULL,
	    "chunked: final empty line as bare LF -> -1 (RFC 9112 §7.1)" },
	{ S("5\rhello\r\n"), -1, 0, NULL,
	    "chunked: size line in bare CR -> -1 (RFC 9112 §7.1)" },
	{ S("5;a\x01\r\nhello\r\n0\r\n\r\n"), -1, 0, NULL,
	    "chunked: CTL in an extension -> -1 (RFC 9112 §7.1.1)" },
	{ S("5;a\nhello\r\n0\r\n\r\n"), -1, 0, NULL,
	    "chunked: bare LF in an extension -> -1 (RFC 9112 §7.1.1)" },
	{ S("0\r\nExpires x\r\n\r\n"), -1, 0, NULL,
	    "chunked: trailer line without colon -> -1 (RFC 9112 §7.1.2)" },
	{ S("0\r\nExpires : x\r\n\r\n"), -1, 0, NULL,
	    "chunked: whitespace before colon in a trailer -> -1 "
	    "(RFC 9112 §5.1)" },
	{ S("0\r\nA: x\r\n b\r\n\r\n"), -1, 0, NULL,
	    "chunked: obs-fold in the trailers -> -1 (RFC 9112 §5.2)" },
	{ S("0\r\nA: x\0y\r\n\r\n"), -1, 0, NULL,
	    "chunked: NUL in a trailer value -> -1 (RFC 9110 §5.5)" },
	{ S("0\r\nA: x\n\r\n"), -1, 0, NULL,
	    "chunked: trailer line in bare LF -> -1 (RFC 9112 §7.1.2)" },
	{ S("0\r\n: x\r\n\r\n"), -1, 0, NULL,
	    "chunked: trailer with empty name -> -1 (RFC 9112 §7.1.2)" },
};

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

static struct http_head h;	/* 4 KB: not on the stack */

static void
test_req_cases(void)
{
	const struct req_case *t;
	const char *why;
	size_t i;
	int rc;

	for (i = 0; i < NELEM(req_cases); i++) {
		t = &req_cases[i];
		rc = http_request_parse(t->in, t->len, &h, &why);
		is_int(rc, t->rc, "%s", t->desc);
		if (t->why != NULL)
			like(why != NULL ? why : "(null)", t->why,
			    "%s: reason says \"%s\"", t->desc, t->why);
		if (t->rc == 0)
			is_int((long long)h.head_len, (long long)t->len,
			    "%s: head_len is the whole head", t->desc);
	}
}

static int
plan_req_cases(void)
{
	size_t i;
	int n = 0;

	for (i = 0; i < NELEM(req_cases); i++)
		n += 1 + (req_cases[i].why != NULL) + (req_cases[i].rc == 0);
	return n;
}

/* Pieces of a valid parse: the pointers must land on the right bytes. */
static void
test_req_pieces(void)
{
	static const char in[] =
	    "\r\nGET http://a.example/p?q HTTP/1.1\r\n"
	    "Host:a.example\r\n"
	    "X-Pad:  \t v a \t\r\n"
	    "Empty: \t \r\n"
	    "\r\nBODY";
	const char *why;
	int rc;

	rc = http_request_parse(in, sizeof(in) - 1 - 4, &h, &why);
	is_int(rc, 0, "request pieces: parses (RFC 9112 §3)");
	ok(h.method_len == 3 && memcmp(h.method, "GET", 3) == 0,
	    "request pieces: method is GET (RFC 9112 §3.1)");
	ok(h.target_len == 20 && memcmp(h.target, "http://a.example/p?q",
	    20) == 0, "request pieces: target is the absolute URI "
	    "(RFC 9112 §3.2.2)");
	is_int(h.version, 11, "request pieces: version 11 (RFC 9112 §2.3)");
	is_int((long long)h.nfields, 3, "request pieces: three fields");
	ok(h.fields[0].value_len == 9 &&
	    memcmp(h.fields[0].value, "a.example", 9) == 0,
	    "request pieces: value without OWS is kept (RFC 9112 §5.1)");
	ok(h.fields[1].name_len == 5 && h.fields[1].value_len == 3 &&
	    memcmp(h.fields[1].value, "v a", 3) == 0,
	    "request pieces: leading/trailing OWS stripped, inner SP kept "
	    "(RFC 9112 §5.1)");
	is_int((long long)h.fields[2].value_len, 0,
	    "request pieces: all-OWS value is empty (RFC 9112 §5.1)");
	is_int((long long)h.head_len, (long long)(sizeof(in) - 1 - 4),
	    "request pieces: head_len stops at the empty line (RFC 9112 §2.1)");

	rc = http_request_parse("GET / HTTP/1.0\r\n\r\n", 18, &h, &why);
	ok(rc == 0 && h.version == 10 && h.nfields == 0,
	    "request pieces: HTTP/1.0 version is 10 (RFC 9112 §2.3)");
}

static void
test_resp_cases(void)
{
	const struct resp_case *t;
	const char *why;
	size_t i;
	int rc;

	for (i = 0; i < NELEM(resp_cases); i++) {
		t = &resp_cases[i];
		rc = http_response_parse(t->in, t->len, &h, &why);
		if (t->rc == 0)
			ok(rc == 0 && h.status == t->status &&
			    h.head_len == t->len, "%s", t->desc);
		else
			ok(rc == -1 && why != NULL, "%s", t->desc);
	}
}

static void
test_resp_pieces(void)
{
	static const char in[] = "HTTP/1.0 404 Not  Found\r\nA: b\r\n\r\n";
	const char *why;
	int rc;

	rc = http_response_parse(in, sizeof(in) - 1, &h, &why);
	ok(rc == 0 && h.version == 10 && h.status == 404 &&
	    h.reason_len == 10 && memcmp(h.reason, "Not  Found", 10) == 0 &&
	    h.nfields == 1, "response pieces: version, status and reason "
	    "(RFC 9112 §4)");
	rc = http_response_parse("HTTP/1.1 200\r\n\r\n", 16, &h, &why);
	ok(rc == 0 && h.reason_len == 0 && h.reason != NULL,
	    "response pieces: missing reason is empty, not NULL");
}

/* Build "GET / ..." with @p n extra fields; for 128/129 fields. */
static size_t
build_fields(char *buf, size_t size, int response, size_t n)
{
	size_t len, i;

	len = (size_t)snprintf(buf, size, "%s", response ?
	    "HTTP/1.1 200 OK\r\n" : "GET / HTTP/1.1\r\nHost: a\r\n");
	for (i = 0; i < n; i++)
		len += (size_t)snprintf(buf + len, size - len, "X-%zu: v\r\n",
		    i);
	len += (size_t)snprintf(buf + len, size - len, "\r\n");
	return len;
}

static void
test_field_limit(void)
{
	static char buf[8192];
	const char *why;
	size_t len;
	int rc;

	len = build_fields(buf, sizeof(buf), 0, HTTP_MAX_FIELDS - 1);
	rc = http_request_parse(buf, len, &h, &why);
	ok(rc == 0 && h.nfields == HTTP_MAX_FIELDS,
	    "request: exactly HTTP_MAX_FIELDS fields are accepted");
	len = build_fields(buf, sizeof(buf), 0, HTTP_MAX_FIELDS);
	rc = http_request_parse(buf, len, &h, &why);
	is_int(rc, 431, "request: more than HTTP_MAX_FIELDS fields -> 431 "
	    "(RFC 6585 §5)");
	len = build_fields(buf, sizeof(buf), 1, HTTP_MAX_FIELDS + 1);
	rc = http_response_parse(buf, len, &h, &why);
	is_int(rc, -1, "response: more than HTTP_MAX_FIELDS fields -> -1");
}

static void
test_framing(const struct framing_case *cases, size_t n, int response)
{
	const struct framing_case *t;
	enum http_body_mode mode;
	uint64_t length;
	const char *why;
	size_t i;
	int rc;

	for (i = 0; i < n; i++) {
		t = &cases[i];
		if (response)
			rc = http_response_parse(t->in, strlen(t->in), &h,
			    &why);
		else
			rc = http_request_parse(t->in, strlen(t->in), &h, &why);
		if (rc != 0) {
			ok(0, "%s (head did not parse: %s)", t->desc, why);
			continue;
		}
		mode = (enum http_body_mode)-1;
		length = 12345;
		why = NULL;
		if (response)
			rc = http_response_framing(&h, t->is_head, &mode,
			    &length, &why);
		else
			rc = http_request_framing(&h, &mode, &length, &why);
		if (t->rc != 0) {
			if (!ok(rc == t->rc && why != NULL, "%s", t->desc))
				diag("got rc %d", rc);
		} else if (!ok(rc == 0 && mode == t->mode &&
		    length == t->length, "%s", t->desc))
			diag("got rc %d mode %d length %llu (%s)", rc,
			    (int)mode, (unsigned long long)length,
			    why ? why : "-");
	}
}

/*
 * Feed one chunked body in pieces.  @p step: 0 whole, 1 byte by byte,
 * otherwise a seed for pseudo-random pieces of 1..13 bytes.  The data
 * the caller would see (decoded, or the consumed bytes as they are) is
 * appended to @p got.  Returns the total consumed or -1; -2 when the
 * walker broke its contract (consumed less than given but not done).
 */
static ssize_t
chunk_feed(const char *in, size_t n, int decode, unsigned step,
    char *got, size_t *gotlen, int *done)
{
	static char work[32768];
	struct http_chunked c;
	size_t pos = 0, k, out;
	ssize_t rc, total = 0;
	unsigned seed = step;

	memcpy(work, in, n);
	memset(&c, 0, sizeof(c));
	*gotlen = 0;
	*done = 0;
	do {
		if (step == 0)
			k = n - pos;
		else if (step == 1)
			k = n - pos > 0 ? 1 : 0;
		else {
			seed = seed * 1103515245u + 12345u;
			k = 1 + (seed >> 16) % 13;
			if (k > n - pos)
				k = n - pos;
		}
		rc = http_chunked_scan(&c, work + pos, k, decode, &out, done);
		if (rc == -1)
			return -1;
		if ((size_t)rc > k || out > (size_t)rc ||
		    ((size_t)rc < k && !*done) ||
		    (!decode && out != (size_t)rc))
			return -2;
		memcpy(got + *gotlen, work + pos, out);
		*gotlen += out;
		total += rc;
		pos += k;
	} while (!*done && pos < n);
	return total;
}

/* Five assertions per case. */
static void
chunk_case_run(const struct chunk_case *t)
{
	static char got[32768], got2[32768];
	size_t gotlen, gotlen2;
	ssize_t rc, rc2;
	int done, done2, same, decode;
	unsigned step;

	rc = chunk_feed(t->in, t->len, 0, 0, got, &gotlen, &done);
	is_int(rc, t->rc, "%s", t->desc);
	is_int(done, t->done, "%s: done flag", t->desc);

	rc = chunk_feed(t->in, t->len, 1, 0, got, &gotlen, &done);
	if (t->rc == -1)
		is_int(rc, -1, "%s: also in decode mode", t->desc);
	else
		ok(rc == t->rc && gotlen == strlen(t->data) &&
		    memcmp(got, t->data, gotlen) == 0,
		    "%s: decoded data is exact", t->desc);

	/* The same answer whatever the split (resumable state machine). */
	for (same = 1, decode = 0; decode <= 1; decode++) {
		rc = chunk_feed(t->in, t->len, decode, 0, got, &gotlen, &done);
		rc2 = chunk_feed(t->in, t->len, decode, 1, got2, &gotlen2,
		    &done2);
		same &= rc == rc2 && done == done2 && (rc == -1 ||
		    (gotlen == gotlen2 && memcmp(got, got2, gotlen) == 0));
	}
	ok(same, "%s: byte by byte equals one-shot", t->desc);
	for (same = 1, step = 2; step < 52; step++) {
		decode = step & 1;
		rc = chunk_feed(t->in, t->len, decode, 0, got, &gotlen, &done);
		rc2 = chunk_feed(t->in, t->len, decode, step, got2, &gotlen2,
		    &done2);
		same &= rc == rc2 && done == done2 && (rc == -1 ||
		    (gotlen == gotlen2 && memcmp(got, got2, gotlen) == 0));
	}
	ok(same, "%s: 50 random splits equal one-shot", t->desc);
}

static char ext_ok[8192], ext_long[16384], trl_ok[20000], trl_long[20000];

/* Cases built at run time: the 4096-byte extension, 16384-byte trailers. */
static void
test_chunk_limits(void)
{
	struct chunk_case t;
	size_t len;

	/* ";" + 4095 'x' = 4096 bytes between the size and CR. */
	memset(ext_long, 'x', 5000);
	len = (size_t)snprintf(ext_ok, sizeof(ext_ok), "1;%.*s\r\nz\r\n0\r\n"
	    "\r\n", 4095, ext_long);
	t.in = ext_ok;
	t.len = len;
	t.rc = (ssize_t)len;
	t.done = 1;
	t.data = "z";
	t.desc = "chunked: 4096-byte extension is accepted (RFC 9112 §7.1.1 "
	    "bound)";
	chunk_case_run(&t);

	len = (size_t)snprintf(ext_long + 5000, sizeof(ext_long) - 5000,
	    "1;%.*s\r\nz\r\n0\r\n\r\n", 4096, ext_long);
	t.in = ext_long + 5000;
	t.len = len;
	t.rc = -1;
	t.done = 0;
	t.data = NULL;
	t.desc = "chunked: 4097-byte extension -> -1 (RFC 9112 §7.1.1 bound)";
	chunk_case_run(&t);

	/* After "0\r\n": "A:" + v + "\r\n" + "\r\n" = 16384 trailer bytes. */
	memset(trl_long, 'v', sizeof(trl_long) - 1);
	len = (size_t)snprintf(trl_ok, sizeof(trl_ok), "0\r\nA:%.*s\r\n\r\n",
	    16384 - 6, trl_long);
	t.in = trl_ok;
	t.len = len;
	t.rc = (ssize_t)len;
	t.done = 1;
	t.data = "";
	t.desc = "chunked: 16384-byte trailer section is accepted "
	    "(RFC 9112 §7.1.2 bound)";
	chunk_case_run(&t);

	len = (size_t)snprintf(trl_ok, sizeof(trl_ok), "0\r\nA:%.*s\r\n\r\n",
	    16384 - 5, trl_long);
	t.in = trl_ok;
	t.len = len;
	t.rc = -1;
	t.done = 0;
	t.data = NULL;
	t.desc = "chunked: 16385-byte trailer section -> -1 "
	    "(RFC 9112 §7.1.2 bound)";
	chunk_case_run(&t);
}

static void
test_chunk_misc(void)
{
	static char buf[] = "3\r\nabc\r\n0\r\n\r\nNEXT";
	struct http_chunked c;
	size_t out;
	ssize_t rc;
	int done;

	memset(&c, 0, sizeof(c));
	rc = http_chunked_scan(&c, buf, sizeof(buf) - 1, 1, &out, &done);
	ok(rc == 13 && out == 3 && done == 1 && memcmp(buf, "abc", 3) == 0 &&
	    memcmp(buf + 13, "NEXT", 4) == 0, "chunked decode: data moved "
	    "down, next message left in place (RFC 9112 §7.1)");
	rc = http_chunked_scan(&c, buf + 13, 4, 1, &out, &done);
	ok(rc == 0 && out == 0 && done == 1,
	    "chunked: once done, nothing more is consumed");
}

/* Trailer filter cases (HTTP_CHUNKED_TRAILERS, RFC 9110 §6.5.1). */
struct trl_case {
	const char	*in;
	size_t		 len;
	ssize_t		 rc;		/* bytes of the message, -1, or 0:
					   the whole input */
	const char	*out;		/* the message as passed on */
	const char	*desc;
};

#define TRL_LONG	"X-A-Trailer-Name-Of-33-Bytes-Long"	/* 33 */

static const struct trl_case trl_cases[] = {
	{ S("5\r\nhello\r\n0\r\n\r\n"), 0, "5\r\nhello\r\n0\r\n\r\n",
	    "trailers: no trailer section, unchanged" },
	{ S("5\r\nhello\r\n0\r\nContent-Length: 999\r\nX-Checksum: abc\r\n"
	    "Transfer-Encoding: gzip\r\n\r\n"), 0,
	    "5\r\nhello\r\n0\r\nX-Checksum: abc\r\n\r\n",
	    "trailers: framing fields dropped, others kept "
	    "(RFC 9110 §6.5.1)" },
	{ S("0\r\nhost: evil\r\nX-A: 1\r\nCONNECTION: close\r\nTE: x\r\n"
	    "Trailer: X-A\r\n\r\n"), 0, "0\r\nX-A: 1\r\n\r\n",
	    "trailers: routing, hop-by-hop and Trailer dropped, any case" },
	{ S("0\r\nAuthorization: a\r\nProxy-Authorization: b\r\n"
	    "Set-Cookie: c\r\nCookie: d\r\nWWW-Authenticate: e\r\n"
	    "Proxy-Authenticate: f\r\n\r\n"), 0, "0\r\n\r\n",
	    "trailers: authentication fields dropped (RFC 9110 §6.5.1)" },
	{ S("0\r\nCache-Control: no-store\r\nContent-Type: a/b\r\n"
	    "Content-Encoding: gzip\r\nContent-Range: bytes 0-1/2\r\n"
	    "Range: bytes=0-\r\nIf-None-Match: \"x\"\r\nExpect: 100-continue"
	    "\r\nMax-Forwards: 1\r\nLocation: /x\r\nAge: 1\r\nVary: *\r\n"
	    "Keep-Alive: 1\r\nUpgrade: h2c\r\nProxy-Connection: x\r\n\r\n"),
	    0, "0\r\n\r\n",
	    "trailers: controls, conditionals, content metadata, response "
	    "control data dropped" },
	{ S("0\r\nServer-Timing: db;dur=53\r\nDigest: sha=x\r\n"
	    "Content-Lengthx: 1\r\nX-Host: h\r\n\r\n"), 0,
	    "0\r\nServer-Timing: db;dur=53\r\nDigest: sha=x\r\n"
	    "Content-Lengthx: 1\r\nX-Host: h\r\n\r\n",
	    "trailers: allowed fields pass, names are matched whole" },
	{ S("0\r\n" TRL_LONG ":v\r\nTE:\r\n\r\n"), 0,
	    "0\r\n" TRL_LONG ":v\r\n\r\n",
	    "trailers: a name too long to be denied passes unheld; an empty "
	    "denied field is dropped" },
	{ S("0\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\n"), 14, "0\r\n\r\n",
	    "trailers: the next message after the end is left alone" },
	{ S("0\r\nHost : x\r\n\r\n"), -1, NULL,
	    "trailers: whitespace before the colon is still -1 "
	    "(RFC 9112 §5.1)" },
	{ S("0\r\nX-A: 1\r\nHost\r\n\r\n"), -1, NULL,
	    "trailers: a line without a colon is still -1" },
};

/*
 * Feed @p in as body_scan() does: each piece is appended to what the
 * walker gave back (a held name), passed-on bytes go to @p got.  @p
 * step as chunk_feed().  Returns the message bytes consumed, -1, or -2
 * when the contract is broken (out > rc, or a short consumption that is
 * neither done nor a held name of at most 32 bytes).
 */
static ssize_t
trl_feed(const char *in, size_t n, unsigned step, char *got, size_t *gotlen,
    int *done)
{
	static char work[32768];
	struct http_chunked c;
	size_t pos = 0, have = 0, k, out;
	ssize_t rc, total = 0;
	unsigned seed = step;

	memset(&c, 0, sizeof(c));
	*gotlen = 0;
	*done = 0;
	do {
		if (step == 0)
			k = n - pos;
		else if (step == 1)
			k = n - pos > 0 ? 1 : 0;
		else {
			seed = seed * 1103515245u + 12345u;
			k = 1 + (seed >> 16) % 13;
			if (k > n - pos)
				k = n - pos;
		}
		memcpy(work + have, in + pos, k);
		have += k;
		pos += k;
		rc = http_chunked_scan(&c, work, have, HTTP_CHUNKED_TRAILERS,
		    &out, done);
		if (rc == -1)
			return -1;
		if ((size_t)rc > have || out > (size_t)rc ||
		    (!*done && have - (size_t)rc > 32))
			return -2;
		memcpy(got + *gotlen, work, out);
		*gotlen += out;
		total += rc;
		memmove(work, work + rc, have - (size_t)rc);
		have -= (size_t)rc;
	} while (!*done && pos < n);
	return total;
}

/* Three assertions per case. */
static void
trl_case_run(const struct trl_case *t)
{
	static char got[32768], got2[32768];
	size_t gotlen, gotlen2;
	ssize_t rc, rc2;
	int done, done2, same;
	unsigned step;

	rc = trl_feed(t->in, t->len, 0, got, &gotlen, &done);
	is_int(rc, t->rc == 0 ? (ssize_t)t->len : t->rc, "%s", t->desc);
	if (t->rc == -1)
		ok(1, "%s: (refused)", t->desc);
	else
		ok(done && gotlen == strlen(t->out) &&
		    memcmp(got, t->out, gotlen) == 0,
		    "%s: the passed-on message is exact", t->desc);
	for (same = 1, step = 1; step < 52; step++) {
		rc2 = trl_feed(t->in, t->len, step, got2, &gotlen2, &done2);
		same &= rc == rc2 && done == done2 && (rc == -1 ||
		    (gotlen == gotlen2 && memcmp(got, got2, gotlen) == 0));
	}
	ok(same, "%s: byte by byte and 50 random splits equal one-shot",
	    t->desc);
}

static void
test_trailer_filter(void)
{
	static char buf[] = "0\r\nContent-Len";
	struct http_chunked c;
	size_t i, out;
	ssize_t rc;
	int done;

	for (i = 0; i < NELEM(trl_cases); i++)
		trl_case_run(&trl_cases[i]);
	memset(&c, 0, sizeof(c));
	rc = http_chunked_scan(&c, buf, sizeof(buf) - 1, HTTP_CHUNKED_TRAILERS,
	    &out, &done);
	ok(rc == 3 && out == 3 && !done && memcmp(buf + 3, "Content-Len",
	    11) == 0, "trailers: a name cut by the end of the input is held: "
	    "given back, untouched");
	ok(!http_trailer_allowed("content-length", 14) &&
	    http_trailer_allowed("X-Foo", 5) &&
	    !http_trailer_allowed("Trailer", 7),
	    "trailer_allowed: the RFC 9110 §6.5.1 list, case-insensitive");
}

static void
test_head_end(void)
{
	static const char req[] = "GET / HTTP/1.1\r\nHost: a\r\n\r\nBODY";
	static const char lead[] = "\r\n\r\nGET / HTTP/1.1\r\n\r\n";
	struct http_head_scan s;
	size_t i, r = 0, hl = sizeof(req) - 1 - 4;
	int all_zero = 1, flag_ok = 1;

	memset(&s, 0, sizeof(s));
	is_int((long long)http_head_end(req, sizeof(req) - 1, &s),
	    (long long)hl, "head_end: one call finds the empty line, body "
	    "excluded (RFC 9112 §2.1)");

	memset(&s, 0, sizeof(s));
	for (i = 1; i <= sizeof(req) - 1; i++) {
		r = http_head_end(req, i, &s);
		if (i < hl && r != 0)
			all_zero = 0;
		if (i < 16 && s.first_line_done)
			flag_ok = 0;
		if (i == hl)
			break;
	}
	ok(all_zero && r == hl, "head_end: byte by byte, 0 until the last "
	    "LF, then the head length");
	ok(flag_ok && s.first_line_done, "head_end: first_line_done only "
	    "after the request line's LF (414 vs 431)");

	memset(&s, 0, sizeof(s));
	r = http_head_end(req, hl - 1, &s);
	ok(r == 0 && s.pos == hl - 1, "head_end: split between CR and LF "
	    "of the empty line waits, pos resumes at the end");
	is_int((long long)http_head_end(req, hl, &s), (long long)hl,
	    "head_end: resumed call completes the head");

	memset(&s, 0, sizeof(s));
	is_int((long long)http_head_end(lead, 4, &s), 0,
	    "head_end: leading empty lines are not the end (RFC 9112 §2.2)");
	ok(s.first_line_done == 0, "head_end: leading empty lines do not "
	    "count as the first line");
	is_int((long long)http_head_end(lead, sizeof(lead) - 1, &s),
	    (long long)(sizeof(lead) - 1), "head_end: head after leading "
	    "CRLF ends at its empty line");

	memset(&s, 0, sizeof(s));
	is_int((long long)http_head_end("GET / HTTP/1.1\nHost: a\n\nX", 25,
	    &s), 24, "head_end: bare LF empty line ends the head, so parse "
	    "can refuse it (RFC 9112 §2.2)");

	memset(&s, 0, sizeof(s));
	is_int((long long)http_head_end("GET / HTTP/1.1\r\nA: b\r\n\r", 24,
	    &s), 0, "head_end: CR without LF is not the end");
	memset(&s, 0, sizeof(s));
	is_int((long long)http_head_end("HTTP/1.1 200 OK\r\n\r\n", 19, &s), 19,
	    "head_end: response head with no field ends at the empty line");
}

static void
test_helpers(void)
{
	struct http_field f = { "Content-Length", 14, "5", 1 };
	uint64_t v = 7;

	ok(http_field_is(&f, "content-length"),
	    "field_is: names compare case-insensitively (RFC 9110 §5.1)");
	ok(!http_field_is(&f, "Content-Lengt"),
	    "field_is: a prefix of the name does not match");
	ok(!http_field_is(&f, "Content-Lengths"),
	    "field_is: a longer name does not match");
	ok(http_list_has(" keep-alive , Close ", 20, "close"),
	    "list_has: OWS around elements ignored, case-insensitive "
	    "(RFC 9110 §5.6.1)");
	ok(http_list_has(",,close", 7, "close"),
	    "list_has: empty elements skipped (RFC 9110 §5.6.1)");
	ok(!http_list_has("closed, x-close", 15, "close"),
	    "list_has: only whole elements match");
	ok(!http_list_has("close", 4, "close"),
	    "list_has: bytes past len are not read");
	ok(http_parse_length("0042", 4, &v) == 0 && v == 42,
	    "parse_length: leading zeros are digits (RFC 9110 §8.6)");
	ok(http_parse_length("4 2", 3, &v) == -1,
	    "parse_length: inner space -> -1 (RFC 9110 §8.6)");
	ok(http_parse_length("", 0, &v) == -1,
	    "parse_length: empty -> -1 (RFC 9110 §8.6)");
	ok(http_parse_length("18446744073709551616", 20, &v) == -1,
	    "parse_length: 2^64 -> -1 (no overflow)");
}

int
main(void)
{
	size_t i;

	plan(plan_req_cases() + 10 + (int)NELEM(resp_cases) + 2 + 3 +
	    (int)NELEM(reqf_cases) + (int)NELEM(respf_cases) +
	    5 * ((int)NELEM(chunk_cases) + 4) + 2 + 11 + 11 +
	    3 * (int)NELEM(trl_cases) + 2);
	test_req_cases();
	test_req_pieces();
	test_resp_cases();
	test_resp_pieces();
	test_field_limit();
	test_framing(reqf_cases, NELEM(reqf_cases), 0);
	test_framing(respf_cases, NELEM(respf_cases), 1);
	for (i = 0; i < NELEM(chunk_cases); i++)
		chunk_case_run(&chunk_cases[i]);
	test_chunk_limits();
	test_chunk_misc();
	test_trailer_filter();
	test_head_end();
	test_helpers();
	return exit_status();
}
