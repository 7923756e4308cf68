/*
 * origin.h -- a scripted origin server for the integration tests, in the
 * spirit of varnishtest's `server` block.
 *
 * Runs in a thread of the test process, bound to 127.0.0.1:0.  The test
 * gives a static array of steps; each request the origin receives must
 * match the next step (its request line starts with @c expect and, when
 * set, its head holds @c expect_hdr), and is answered as the step says:
 *
 *	static const struct origin_step s[] = {
 *	  { .expect = "GET /a", .status = 200,
 *	    .headers = "ETag: \"v1\"\r\n", .body = "hello" },
 *	  { .expect = "POST /b", .expect_hdr = "Via: 1.1 sluice-test",
 *	    .status = 201, .flags = ORIGIN_ECHO },
 *	  { .expect = "GET /big", .status = 200, .body_len = 20 << 20,
 *	    .flags = ORIGIN_CHUNKED },
 *	};
 *	struct origin *o = origin_start(s, 3);
 *	... requests through sluice to 127.0.0.1:origin_port(o) ...
 *	origin_finish(o);		ORIGIN_FINISH_TESTS assertions
 *	r = origin_req(o, 1);		what the proxy sent
 *	origin_free(o);
 *
 * It keeps connections alive (several requests per connection, several
 * connections, pipelined requests answered in order), reads request bodies
 * framed by Content-Length or chunked (decoded), answers "Expect:
 * 100-continue" with a 100, and records every request: its head as
 * received, the body length, an FNV-1a hash of the body (harness_hash())
 * and its first ORIGIN_BODY_KEEP bytes.
 *
 * A request that matches no step is recorded with step -1, answered with a
 * 500 and its connection closed; origin_finish() fails on it and on steps
 * left over.
 *
 * Write steps with designated initializers: positional ones that leave
 * fields out trip -Wmissing-field-initializers (-Wextra).
 *
 * Caveats:
 *  - Not for tap calls from the thread: diagnostics are kept and printed by
 *    origin_finish() in the main thread.
 *  - Each wait in the thread is bounded (10 s) and ends at origin_finish();
 *    delays and stalls end early when the peer closes.
 *  - One request is served at a time: a delay on one connection holds the
 *    others.  Tests send their requests one after the other anyway.
 */
#ifndef SLUICE_ORIGIN_H
#define SLUICE_ORIGIN_H

#include <stddef.h>
#include <stdint.h>

/** Assertions made by origin_finish(). */
#define ORIGIN_FINISH_TESTS	1
/** Bytes of each request body kept in struct origin_req. */
#define ORIGIN_BODY_KEEP	65536

#define ORIGIN_CHUNKED		0x01	/* body sent chunked, in chunks of
					   varied sizes */
#define ORIGIN_CLOSE		0x02	/* "Connection: close", then close */
#define ORIGIN_NO_RESPONSE	0x04	/* read the request, close silently */
#define ORIGIN_NO_LENGTH	0x08	/* no framing: the body ends at close */
#define ORIGIN_STALL		0x10	/* head and half the body, stall_ms,
					   then the rest */
#define ORIGIN_ECHO		0x20	/* the body is the request's body */
#define ORIGIN_RAW		0x40	/* @c body is the whole response, sent
					   as is, then close */
#define ORIGIN_REPEAT		0x80	/* matches any number of requests
					   (at least one); the next request
					   that does not match moves on */
#define ORIGIN_NO_CLOSE_NOTIFY	0x100	/* TLS: when this step closes the
					   connection, no close_notify (a
					   truncation) */
#define ORIGIN_RESET		0x200	/* head and half the body, stall_ms,
					   then a TCP reset (SO_LINGER 0) */

struct origin_step {
	const char	*expect;	/* request line prefix: "GET /a" */
	const char	*expect_hdr;	/* substring of the head (case
					   insensitive), or NULL */
	int		 status;
	const char	*headers;	/* extra lines, each ending "\r\n" */
	const char	*body;		/* NULL: body_len pattern bytes */
	size_t		 body_len;	/* with @c body: 0 means strlen */
	unsigned	 flags;		/* ORIGIN_* */
	int		 delay_ms;	/* before the response */
	int		 stall_ms;	/* ORIGIN_STALL, ORIGIN_RESET */
};

struct origin_req {
	char		*line;		/* request line, without CRLF */
	char		*head;		/* request line and header lines */
	size_t		 body_len;
	uint64_t	 body_hash;	/* harness_hash() of the whole body */
	char		*body;		/* first ORIGIN_BODY_KEEP bytes + NUL */
	int		 chunked;	/* the body came chunked */
	char		*trailers;	/* its trailer field lines as
					   received, each with CRLF, or
					   NULL */
	int		 conn;		/* connection number, from 1 */
	int		 step;		/* step matched, -1 unexpected */
	int		 tls;		/* it came over TLS */
	char		*sni;		/* the SNI of its connection, or NULL */
};

/** TLS mode (origin_start_tls()). */
struct origin_tls {
	const char	*cert;		/* PEM: certificate and chain */
	const char	*key;		/* NULL: in @c cert */
	int		 min_version;	/* 0: TLS 1.0; else e.g. TLS1_2_VERSION */
	int		 max_version;	/* 0: the library's newest */
	const char	*ciphers;	/* TLS 1.2 and older, NULL: default */
};

struct origin;

/**
 * @brief Bind 127.0.0.1:0 and serve @p steps in a new thread.
 * @param[in] steps  must outlive the origin; NULL with @p nsteps 0 for an
 *	origin that must never be reached.
 * @return the origin; bails out when it cannot start.
 * @note Partner: origin_finish(), then origin_free().
 */
struct origin	*origin_start(const struct origin_step *steps, int nsteps);

/**
 * @brief origin_start() speaking TLS: each connection's handshake comes
 *	first (bounded), with @p t's certificate; the origin accepts TLS 1.0
 *	to 1.3 and every suite at security level 0 unless @p t narrows it,
 *	so that what a test sees is the client's choice.  Requests record
 *	tls = 1 and their connection's SNI.  A connection whose handshake
 *	fails is counted (origin_tls_failed()), never served.
 * @note Same partners as origin_start().
 */
struct origin	*origin_start_tls(const struct origin_step *steps, int nsteps,
		    const struct origin_tls *t);

/** @return TLS handshakes that failed (TLS mode). */
int	origin_tls_failed(struct origin *o);

/** @return the port the origin listens on. */
int	origin_port(const struct origin *o);

/** @return requests received so far (matched or not). */
int	origin_nreq(struct origin *o);

/** @return connections accepted so far. */
int	origin_nconn(struct origin *o);

/**
 * @return request @p i (from 0) as received, or NULL.
 * @note Valid until origin_free().
 */
const struct origin_req *origin_req(struct origin *o, int i);

/**
 * @brief The value of header @p name (case insensitive, first one) in @p r.
 * @param[out] buf  receives the value, blanks trimmed.
 * @return @p buf, or NULL when @p r has no such header.
 */
char	*origin_req_header(const struct origin_req *r, const char *name,
	    char *buf, size_t size);

/**
 * @brief Stop the thread and close every socket; assert that every step was
 * consumed and no request was unexpected (ORIGIN_FINISH_TESTS assertions).
 * @return the number of steps left over plus unexpected requests.
 */
int	origin_finish(struct origin *o);

/**
 * @brief Free @p o and its records; stops the thread (without the
 * assertion) when origin_finish() was not called.
 */
void	origin_free(struct origin *o);

#endif
