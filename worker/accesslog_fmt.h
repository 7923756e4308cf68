/*
 * accesslog_fmt.h -- Squid's logformat language: a format is compiled once
 * (in the master, at config load) and rendered once per request and log
 * (in the workers) without the printf family.
 *
 * A format is text with % codes (squid.conf's logformat):
 *
 *	% [encoding] [-] [[0]min][.max] [{arg}] code [{arg}]
 *
 * encoding	how the value is protected; without one, each code has its
 *		own default (below):
 *		"  quoted-string: \" \\ \r \n \t, other controls and bytes
 *		   above 0x7e as \xHH (Apache's escaping, for "..." fields)
 *		[  Squid's mime-blob: %XX for controls, bytes above 0x7e,
 *		   % [ ] and (sluice) SP and "; \r \n \\ as two bytes
 *		#  URL encoding: %XX for what RFC 3986 does not allow, %
 *		   included
 *		/  shell-like: as " but no \xHH; quoted when it holds a blank
 *		'  raw: as received (sluice still %XX-encodes control bytes)
 *		=  (sluice) a JSON value: a string with JSON escaping, a
 *		   number as a number, null when absent
 * -		left-align within min
 * 0		zero-pad a number to min
 * .max		cut a longer string (never inside an escape)
 * {arg}	a header name (%{Referer}>h) or a strftime format (%{%H}tl)
 *
 * Codes (an "http::" prefix is accepted on the HTTP ones, as in Squid):
 *	%%	a literal %
 *	>a >A	client address (no reverse DNS: >A is the address too)
 *	>p	client port
 *	>la >lp	local address and port the client connected to (la, lp too)
 *	<a <p	address and port of the origin server contacted, or -
 *	<A	its host name, or -
 *	ts tu	seconds since the epoch, milliseconds, when the line is made
 *	tS	request start, seconds.milliseconds
 *	tl tg	local / GMT time, strftime format arg, default
 *		%d/%b/%Y:%H:%M:%S %z (tg: without %z)
 *	tr	response time, milliseconds
 *	un ul	authenticated user; ue external-acl user (always -)
 *	rm >rm	method; ru >ru URL; rp >rp path and query; rv >rv version
 *		(1.1); >rs scheme; >rd host; >rP port
 *	>h <h	with {Name}: that request / reply header field (several
 *		fields of one name joined by ", "); without: every field,
 *		"Name: value" lines
 *	>Hs	status sent to the client (Hs too); <Hs the origin's status
 *	mt	reply Content-Type
 *	st >st <st	bytes both ways, from the client (head and body),
 *		to the client; >sh request head bytes
 *	Ss Sh	result code (TCP_MISS...), hierarchy code (HIER_DIRECT...)
 *	sn	line sequence number in this worker
 *	err_code	squid's ERR_ name of an error answer, or -
 *	sluice::rule	sluice's own: what denied the request (FILE:LINE of
 *		the http_access rule, "default-deny", "no-purge-acl",
 *		"no-auth_param"), or -.  Squid has no such code; the
 *		namespace keeps it from clashing with any of Squid's.
 *
 * Default encodings: numbers, addresses, times and sluice's own codes are
 * written as they are; everything that comes from the network (method,
 * URL parts, user, headers, content type, the rule's file name) gets the
 * pass-through URL encoding: %XX for controls, blanks, bytes above 0x7e and
 * " < > \ ^ ` { | }, a % left as it is.  So no value ever holds a CR or LF,
 * and a field of a blank-separated format never holds a blank.
 *
 * Built-in formats (logfmt_builtin()): squid (Squid's native ten fields),
 * common, combined (Apache's, plus Squid's trailing result:hierarchy),
 * referrer, useragent, json (one JSON object per line).
 *
 * Caveats:
 *  - A value is cut at LOGFMT_VALUE_MAX bytes once encoded, and a line at
 *    LOGFMT_LINE_MAX; cuts fall between escapes, and every literal of the
 *    format is still written, so a line keeps its shape.
 *  - Header codes name fields: the compiler collects those names in a
 *    struct logfmt_caps shared by all formats of a config, and the worker
 *    copies just those values at parse time (accesslog.h).
 *  - Not supported (refused at load): header list-element selection
 *    (%{Name:element}>h), timing codes Squid measures that sluice does not
 *    (dt, <pt, <tt, busy_time), TLS, adaptation and note codes.
 */
#ifndef SLUICE_ACCESSLOG_FMT_H
#define SLUICE_ACCESSLOG_FMT_H

#include <stddef.h>
#include <stdint.h>

#define LOGFMT_LINE_MAX		32768	/* one line, its newline included */
#define LOGFMT_VALUE_MAX	8192	/* one value, encoded */

/* What the formats of a config need collected during a request. */
#define LOGFMT_NEED_LOCAL	0x01	/* >la >lp: getsockname() at log time */
#define LOGFMT_NEED_REQ_HDR	0x02	/* >h: request fields captured */
#define LOGFMT_NEED_REP_HDR	0x04	/* <h: reply fields captured */
#define LOGFMT_NEED_STATUS_IN	0x08	/* <Hs: the origin's status kept */
#define LOGFMT_NEED_TYPE	0x10	/* mt */

struct logfmt;		/* a compiled format */

/** The header names a set of formats captures, and what else it needs. */
struct logfmt_caps {
	char		**req;		/* request field names, as written */
	size_t		  nreq;
	char		**rep;		/* reply field names */
	size_t		  nrep;
	int		  req_all;	/* %>h without a name */
	int		  rep_all;	/* %<h without a name */
	unsigned	  need;		/* LOGFMT_NEED_* */
};

/** A string value; p NULL (or n 0) is absent and written "-" (JSON null). */
struct logfmt_str {
	const char	*p;
	size_t		 n;
};

/** Captured header values, indexed like struct logfmt_caps. */
struct logfmt_capture {
	struct logfmt_str	*req;		/* [caps.nreq] */
	struct logfmt_str	*rep;		/* [caps.nrep] */
	struct logfmt_str	 req_all;
	struct logfmt_str	 rep_all;
	int			 status_in;	/* <Hs, -1: none */
};

/**
 * What one request looks like to a format.  Strings are NUL-terminated or
 * NULL (absent); numbers that can be absent say so.
 */
struct logfmt_entry {
	int64_t		 now_sec;	/* line made (ts tu tl tg) */
	int		 now_usec;
	int64_t		 start_sec;	/* tS */
	int		 start_usec;
	int64_t		 elapsed_ms;	/* tr */
	const char	*client;	/* >a */
	unsigned	 client_port;	/* >p */
	const char	*local;		/* >la, NULL: unknown */
	unsigned	 local_port;	/* >lp, 0: unknown */
	const char	*code;		/* Ss: TCP_MISS ... */
	const char	*code_sfx;	/* "_ABORTED" appended, or NULL */
	const char	*hier;		/* Sh */
	const char	*peer;		/* <a, NULL: no server contacted */
	const char	*server;	/* <A */
	unsigned	 server_port;	/* <p, 0: none */
	int		 status;	/* >Hs, 0 when nothing was sent */
	uint64_t	 bytes_out;	/* <st */
	uint64_t	 bytes_in;	/* >st */
	uint64_t	 head_in;	/* >sh */
	const char	*method;
	const char	*url;
	const char	*path;
	const char	*scheme;
	const char	*host;
	unsigned	 port;		/* >rP, 0: none */
	int		 version;	/* 10, 11; 0: unknown */
	const char	*user;
	const char	*type;		/* mt */
	const char	*rule;		/* sluice::rule */
	const char	*err;		/* err_code */
	uint64_t	 seq;		/* sn */
	const struct logfmt_capture *cap;	/* NULL: no header values */
};

/**
 * @brief Compile @p spec (the text after "logformat NAME").
 * @param[in,out] caps  header names used are added to it (shared by every
 *	format of one config).
 * @param[out] out  the format on success.
 * @param[out] err  on failure, why (NUL-terminated, @p errlen bytes).
 * @return 0, or -1 (nothing allocated remains but what @p caps holds).
 * @note Partner: logfmt_free(); logfmt_caps_free() for @p caps.
 */
int	logfmt_compile(const char *name, const char *spec,
	    struct logfmt_caps *caps, struct logfmt **out, char *err,
	    size_t errlen);
/** @brief Free a format from logfmt_compile(); NULL is ignored. */
void	logfmt_free(struct logfmt *f);
/** @brief Free the names in @p caps and zero it. */
void	logfmt_caps_free(struct logfmt_caps *caps);
/** @brief The format's name. */
const char *logfmt_name(const struct logfmt *f);
/**
 * @brief The definition of built-in format @p name (squid, common,
 *	combined, referrer, useragent, json).
 * @return the spec, or NULL when @p name is not built in.
 */
const char *logfmt_builtin(const char *name);
/**
 * @brief Render one line of @p f for @p e into @p out, newline included.
 * @param[in] size  room in @p out; at least 64.  Lines longer than
 *	min(@p size, LOGFMT_LINE_MAX) have values cut (see the caveats).
 * @return the bytes written (the last is '\n').
 */
size_t	logfmt_render(const struct logfmt *f, const struct logfmt_entry *e,
	    char *out, size_t size);

#endif
