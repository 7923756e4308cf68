/*
 * req.h -- a request in a worker: its state, its steps, the engine.
 *
 * Runs in the workers.  A struct req lives in its struct conn (conn.h)
 * and is reset for each request of a keep-alive connection.  Where a
 * request is, is r_step and nothing else; the steps and the moves
 * between them are listed in req_steps.h, and only a step moves a
 * request, with REQ_NEXT() (or REQ_FAIL(), which is REQ_NEXT to SYNTH
 * with an error page chosen).  Helpers return a code; the step that
 * called them decides.
 *
 * Results: step functions return SL_OK (a move was made: run the next
 * step), SL_AGAIN (a wait step is waiting: an event or the conn timer
 * calls req_run() again) or SL_DONE (the conn is closed).  Helpers
 * return 0 / -1, or their own codes, documented where they are declared.
 *
 * The parts of a request that belong to one module are sub-structs only
 * that module touches: r_cache (req_cache.c), r_tun (tunnel.c).
 *
 * Caveats:
 *  - struct http_head fields point into cbuf (request) or ubuf
 *    (response): use them only before that buffer is consumed or
 *    compacted; r_head is NULL once that happened.
 *  - Everything request-scoped is in the arena (c->arena): reset with
 *    the request, never freed alone.
 */
#ifndef SLUICE_REQ_H
#define SLUICE_REQ_H

#include <stdint.h>
#include <sys/socket.h>

#include "body.h"
#include "errpage.h"
#include "http_parse.h"
#include "req_steps.h"
#include "sockaddr.h"

struct auth_query;
struct cache_req;
struct gunzip;
struct conn;
struct dns_query;
struct acl_req;
struct logfmt_capture;

enum req_step {
#define REQ_STEP_ENUM(name, fn, file, wait)	REQ_##name,
	REQ_STEPS(REQ_STEP_ENUM)
#undef REQ_STEP_ENUM
	REQ_NSTEPS
};

/** The cache's part of a request (req_cache.c only). */
struct req_cache {
	struct cache_req	*q;		/* NULL: the cache is not involved */
	int			 kind;		/* enum cache_kind */
	int			 looked_up;	/* CACHE_LOOKUP decided */
	int			 storing;	/* the response is being stored */
	int			 stale_tried;	/* STALE ran once */
	int			 hit_fd;	/* HIT_SEND: body file, or -1 */
	uint64_t		 hit_off;	/* next byte to send */
	uint64_t		 hit_left;
	int			 follow;	/* HIT_SEND follows a fetch */
	int			 lag;		/* a leader's client reads its
						   fetch back from the store */
	int			 lag_done;	/* ... all of it, or it left */
	/* HIT_SEND of a gzip variant, inflated (cache_hit.gunzip). */
	struct gunzip		*gz;
	struct buf		*gz_in;		/* compressed bytes read */
	int			 gz_chunked;	/* framed for HTTP/1.1 */
	int			 gz_done;	/* the last bytes are in obuf */
	int			 woken;		/* a cache callback ran */
	int			 purge_status;
};

/** The tunnel's part of a request (tunnel.c only). */
struct req_tunnel {
	int			 up_src_eof;	/* client sent EOF */
	int			 up_eof;	/* ... and it was passed upstream */
	int			 down_src_eof;	/* upstream sent EOF */
	int			 down_eof;	/* ... and it was passed to the client */
};

struct req {
	enum req_step		 r_step;

	/* Set when the first byte of the request arrives. */
	int64_t			 r_start_ms;
	int64_t			 r_start_sec;
	int			 r_start_usec;

	struct http_head_scan	 r_scan;
	size_t			 r_head_len;
	struct http_head	*r_head;	/* the head being used, or NULL */
	struct http_head	*r_hstore;	/* in the arena: the request's, then the response's */

	/* Request (copies in the arena, NUL-terminated). */
	char			*r_method;
	char			*r_url;		/* for logs and error pages */
	char			*r_host;	/* lower case, no brackets */
	char			*r_path;	/* origin-form target */
	const char		*r_endpoint;	/* the proxy's own page asked
						   (endpoint.h), or NULL */
	unsigned		 r_port;
	int			 r_version;	/* 10, 11 */
	int			 r_maxfwd;	/* Max-Forwards of OPTIONS/TRACE, or -1 */
	char			*r_upgrade;	/* allowed Upgrade offer, or NULL */
	int			 r_continue_sent;
	struct body		 r_body;	/* request body, cbuf -> upstream */
	int64_t			 r_body_wait_since;	/* SEND_REQ waits for client
							   body bytes since (ms), or 0 */
	int64_t			 r_body_waited;	/* ms of such waits that ended */

	/* Access, resolution and connection. */
	struct dns_query	*r_dnsq;
	int			 r_dns_rc;
	struct sockaddr_storage	*r_addrs;	/* in the arena */
	size_t			 r_naddrs;
	size_t			 r_addr_i;
	uint32_t		 r_up_events;	/* epoll events seen on the upstream */
	unsigned		 r_up_nreq;	/* requests the upstream conn served before */
	struct buf		*r_uhead;	/* the head sent upstream, kept for a retry */
	size_t			 r_extra_off;	/* where r_extra's fields start in it */
	char			*r_extra;	/* fields to add upstream (conditionals), or NULL */
	const char		*r_ae;		/* Accept-Encoding to send upstream
						   instead of the client's (the
						   cache's key), or NULL */
	int			 r_range_rc;	/* 1: the client gets a 206 of the
						   whole response, 2: a 416 */
	uint64_t		 r_range_first, r_range_last;
	const char		*r_peer;	/* the upstream's address and
						   port (arena), or "" */

	/* Response. */
	int			 r_status;	/* sent to the client */
	int			 r_ninterim;	/* 1xx responses seen */
	size_t			 r_resp_len;	/* the response head's bytes in ubuf */
	struct body		 r_rbody;	/* response body, ubuf -> client */
	char			*r_ctype;	/* Content-Type, in the arena */
	uint64_t		 r_bytes_out;	/* to the client */
	uint64_t		 r_bytes_up;	/* to the upstream (tunnel) */
	uint64_t		 r_lingered;	/* bytes discarded in LINGER */

	/* Access control and proxy authentication (auth.h). */
	char			*r_user;	/* authenticated user, arena */
	const char		*r_rule;	/* denial: "FILE:LINE" / "default-deny" */
	struct sockaddr_storage	*r_dst;		/* the host is an IP literal:
						   that address (arena, see
						   req_set_dst()), or NULL */
	enum req_step		 r_auth_ret;	/* step to go back to after AUTH */
	struct auth_query	*r_authq;	/* pending helper check */
	char			*r_auth_user;	/* the user being checked, arena */
	int			 r_auth_rc;	/* enum auth_result */

	struct req_cache	 r_cache;
	struct req_tunnel	 r_tun;

	/* Outcome, for the log. */
	enum errpage_id		 r_err;
	const char		*r_code;	/* TCP_MISS ... */
	const char		*r_code_sfx;	/* squid's "_ABORTED", "_TIMEDOUT", or
						   NULL; with r_head_sent, the
						   response was cut short: FINISH
						   resets the connection */
	const char		*r_hier;	/* HIER_DIRECT, HIER_NONE */
	struct logfmt_capture	*r_logcap;	/* header values for the access
						   log (accesslog.h), arena */

	/* Flags (0 or 1), together: a conn is small (issue 15's memory row). */
	uint8_t			 r_timed_out;	/* the conn timer fired in a wait */
	uint8_t			 r_head_consumed; /* cbuf->pos is past the head */
	uint8_t			 r_https;	/* https://: origin over TLS */
	uint8_t			 r_connect;	/* CONNECT */
	uint8_t			 r_bump_checked; /* ssl_bump asked (req_tls) */
	uint8_t			 r_is_head;	/* HEAD */
	uint8_t			 r_expect_continue;
	uint8_t			 r_keepalive;	/* the client connection may be reused */
	uint8_t			 r_acl_final;	/* http_access decided for every address */
	uint8_t			 r_dns_done;
	uint8_t			 r_dns_sync;	/* inside dns_resolve() */
	uint8_t			 r_dns_failed;	/* no address could be had */
	uint8_t			 r_up_keep;	/* the origin lets us reuse it (RFC 9112 §9.3) */
	uint8_t			 r_up_reusable;	/* ... and the exchange ended cleanly */
	uint8_t			 r_retried;	/* resent once on a fresh connection */
	uint8_t			 r_strip_range;	/* send no Range/If-Range upstream:
						   the whole object is fetched */
	uint8_t			 r_interim;	/* obuf holds a 1xx head */
	uint8_t			 r_synth;	/* obuf holds our own whole answer */
	uint8_t			 r_head_sent;	/* some response bytes reached the client */
	uint8_t			 r_linger0;	/* SO_LINGER 0 armed: a close
						   is a reset (a close-delimited
						   response under way) */
	uint8_t			 r_auth_done;	/* its answer came */
};

/**
 * @brief Move @p c's request to step @p to (a REQ_EDGES entry from the
 *	current step, made by the current step's function: both asserted).
 *	Use only as `return REQ_NEXT(c, STEP);` in a step function.
 */
#define REQ_NEXT(c, to)		req_next((c), REQ_##to, __func__)
/** @brief REQ_NEXT() to a step computed by a helper (an enum req_step). */
#define REQ_MOVE(c, to)		req_next((c), (to), __func__)
/** @brief Answer the error page @p err: REQ_NEXT to SYNTH. */
#define REQ_FAIL(c, err)	((c)->r.r_err = (err), REQ_NEXT(c, SYNTH))

/** @brief The engine's half of REQ_NEXT(). @return SL_OK. */
int	req_next(struct conn *c, enum req_step to, const char *fn);
/** @brief Build the move table (once per worker, before any request). */
void	req_init(void);
/** @brief Run the steps of @p c's request until one waits or the conn is done. */
void	req_run(struct conn *c);
/** @brief Reset the request state for a new request on @p c. */
void	req_reset(struct conn *c);
/** @brief The name of step @p s ("RECV_HEAD"). */
const char *req_step_name(enum req_step s);
/** @brief Bump-allocate @p n bytes in the request arena. @return NULL when full. */
void	*req_alloc(struct conn *c, size_t n);
/**
 * @brief The request's host is the address @p ss (an IP literal, or the
 *	proxy itself): r_dst, a copy in the arena.
 * @return 0, or -1 when the arena is full.
 */
int	req_set_dst(struct conn *c, const struct sockaddr_storage *ss);
/**
 * @brief The origin-form path of what follows an absolute URL's
 *	authority, p[0..n), in the arena: "/" when empty, and "?q" is
 *	"/?q" (RFC 3986 §6.2.3).
 * @return the copy, or NULL when the arena is full.
 */
char	*req_path_dup(struct conn *c, const char *p, size_t n);
/** @brief A NUL-terminated copy of p[0..n) in the arena, or NULL. */
char	*req_strdup(struct conn *c, const char *p, size_t n);
/** @brief Arm the conn timer for a wait of @p ms (bounded by client_lifetime). */
void	req_timer(struct conn *c, int64_t ms);
/** @brief Drop the request head from cbuf (once); its fields are invalid after. */
void	req_consume_head(struct conn *c);
/** @brief Write obuf to the client. @return SL_OK when empty, SL_AGAIN, SL_ERROR. */
int	req_flush_obuf(struct conn *c);
/** @brief Wake @p c's request from a callback (cache, DNS...): run it. */
void	req_wake(void *arg);

/* req_access.c */
/** @brief What the ACLs see of @p c's request; @p dst NULL before DNS. */
void	req_acl_fill(struct conn *c, struct acl_req *ar,
	    const struct sockaddr *dst);

/* req_deliver.c */
/**
 * @brief The head of a response forwarded from the origin, as the client
 *	gets it, into obuf (hop-by-hop fields out, framing, Date, Via,
 *	connection fields, and @p fields, whole lines, when not NULL).
 * @param[in] final  0 for a 1xx.
 * @return 0, or -1 when it does not fit.
 */
int	req_response_head(struct conn *c, const struct http_head *h, int final,
	    const char *fields);
/** @brief The connection fields and the empty line that end our heads, into obuf. */
int	req_head_end(struct conn *c, struct buf *b);

/* req_cache.c */
/** @brief Can SYNTH hand the request to STALE (an origin error, a stale entry)? */
int	req_cache_stale_possible(struct conn *c);
/** @brief The request ends: the cache lets go of it. */
void	req_cache_end(struct conn *c);
/**
 * @brief The client of a response being stored went away: go on for the
 *	store (bytes to the tee only)?  Yes when other requests follow it.
 */
int	req_cache_sink(struct conn *c);
/**
 * @brief A leader's client is slower than the origin while others follow
 *	the fetch: let the fetch go on into the store and this client read
 *	it back from there (req_cache_catchup()).
 * @return 1 switched (the body relay is a sink now), 0 not.
 */
int	req_cache_lag(struct conn *c);
/** @brief A lagging leader's client left: say so (the fetch goes on). */
void	req_cache_lag_left(struct conn *c);
/** @brief Send what the store has of the body to a lagging leader's client. @return SL_OK, SL_AGAIN, SL_ERROR. */
int	req_cache_catchup(struct conn *c);

/* upstream.c */
/**
 * @brief The upstream connection is ready for the request (connected,
 *	and over TLS when the request is https://): the tunnel's 200, or the
 *	head to send.
 * @return the next step: TUNNEL, SEND_REQ, or SYNTH with r_err set.
 */
enum req_step upstream_ready(struct conn *c);
/**
 * @brief Let go of the upstream connection: into the pool when the
 *	exchange ended cleanly and the origin allows it, else closed.
 */
void	upstream_release(struct conn *c);
/**
 * @brief Ask again without the cache's conditions (a 304 that matched
 *	nothing): the head loses r_extra, the connection goes to the pool;
 *	the caller moves to CONNECT_UP.
 */
void	upstream_refetch(struct conn *c);

/* req_tls.c */
/**
 * @brief A CONNECT on an ssl-bump port: do the ssl_bump rules bump it?
 *	(squid: first match wins, none matched: splice).  Logged.
 * @return 1 bump, 0 splice.
 */
int	req_tls_bump_wanted(struct conn *c);
/**
 * @brief PARSE, inside a bumped connection: the target (origin-form, or
 *	absolute-form naming the CONNECT's origin) gives the https:// URL
 *	of the CONNECT host; the Host field must name it too.  Logged.
 * @return ERRPAGE_COUNT, or the error page.
 */
enum errpage_id req_tls_bumped_target(struct conn *c);

/* Steps, in req_steps.h order. */
#define REQ_STEP_PROTO(name, fn, file, wait)	int fn(struct conn *);
REQ_STEPS(REQ_STEP_PROTO)
#undef REQ_STEP_PROTO

#endif
