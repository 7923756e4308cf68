/*
 * conn.h -- the client connection and the request it is serving.
 *
 * Runs in the workers.  One struct conn owns the client socket, at most
 * one upstream socket, its buffers and one timer; the request state lives
 * in it (struct req) and is reset for each request on a keep-alive
 * connection.  States are explicit: r_step says where the request is,
 * never which pointers happen to be NULL.
 *
 * Buffers (from buf.h), held only while a request is in flight:
 *	cbuf	bytes from the client (request head and body, tunnel up)
 *	ubuf	bytes from the upstream (response head and body, tunnel down)
 *	obuf	heads we write: the request head sent upstream, then the
 *		response head (or error page) sent to the client
 *	arena	request-scoped copies: method, URL, host, path, parsed head
 *
 * Caveats:
 *  - struct http_head fields point into cbuf (request) or ubuf
 *    (response): use them only before that buffer is consumed or compacted.
 *  - Check c->magic whenever a conn comes back through a callback.
 *  - conn_close() frees the conn after the current loop turn: callers
 *    return SL_DONE right after it and never touch the conn again.
 */
#ifndef SLUICE_CONN_H
#define SLUICE_CONN_H

#include <stdint.h>
#include <sys/socket.h>

#include "buf.h"
#include "dns.h"
#include "errpage.h"
#include "ev.h"
#include "http_parse.h"
#include "req_steps.h"
#include "sockaddr.h"
#include "splice.h"
#include "policy.h"

#define CONN_MAGIC	0x636f6e6eU

struct auth_query;

enum req_step {
#define REQ_STEP_ENUM(name, fn)	REQ_##name,
	REQ_STEPS(REQ_STEP_ENUM)
#undef REQ_STEP_ENUM
	REQ_NSTEPS
};

struct store_writer;
struct cache_cf;
struct logfmt_capture;

/** A message body on its way through one buffer (request or response). */
struct body {
	enum http_body_mode	mode;
	uint64_t		left;		/* LENGTH: bytes not yet scanned */
	uint64_t		length;		/* LENGTH: the declared length */
	struct http_chunked	chunk;
	int			decode;		/* de-chunk for an HTTP/1.0 client */
	int			done;		/* the whole body has been scanned */
	size_t			ready;		/* scanned bytes at buf->pos to write */
	struct spipe		sp;		/* zero-copy path, once the buffer is empty */
	int			copy;		/* bytes must cross user space (no splice) */
	struct store_writer	*w;		/* the cache copy of what is sent, or NULL */
	int			sink;		/* the client is gone: to the store only */
};

struct req {
	enum req_step		 r_step;
	int			 r_timed_out;	/* the conn timer fired in a wait */

	/* Set when the first byte of the request arrives. */
	int64_t			 r_start_ms;
	int64_t			 r_start_sec;
	int			 r_start_usec;

	struct http_head_scan	 r_scan;
	size_t			 r_head_len;
	int			 r_head_consumed;	/* cbuf->pos is past the head */
	struct http_head	*r_head;	/* the head being used, or NULL */
	struct http_head	*r_hstore;	/* in the arena: the request's, then the response's */

	/* Request (copies in the arena, NUL-terminated). */
	char			*r_method;
	char			*r_url;		/* for logs and error pages */
	char			*r_host;	/* lower case, no brackets */
	char			*r_path;	/* origin-form target */
	unsigned		 r_port;
	int			 r_version;	/* 10, 11 */
	int			 r_connect;	/* CONNECT */
	int			 r_is_head;	/* HEAD */
	int			 r_expect_continue;
	int			 r_maxfwd;	/* Max-Forwards of OPTIONS/TRACE, or -1 */
	char			*r_upgrade;	/* allowed Upgrade offer, or NULL */
	int			 r_continue_sent;
	int			 r_keepalive;	/* the client connection may be reused */
	struct body		 r_body;	/* request body, cbuf -> upstream */

	/* Resolution and connection. */
	struct dns_query	*r_dnsq;
	int			 r_dns_done;
	int			 r_dns_rc;
	int			 r_dns_sync;	/* inside dns_resolve() */
	struct sockaddr_storage	*r_addrs;	/* in the arena */
	size_t			 r_naddrs;
	size_t			 r_addr_i;
	uint32_t		 r_up_events;	/* epoll events seen on the upstream */
	unsigned		 r_up_nreq;	/* requests the upstream conn served before */
	int			 r_up_keep;	/* the origin lets us reuse it (RFC 9112 §9.3) */
	int			 r_up_reusable;	/* ... and the exchange ended cleanly */
	int			 r_retried;	/* resent once on a fresh connection */
	char			 r_peer[SOCKADDR_STRLEN];

	/* Response. */
	int			 r_status;	/* sent to the client */
	int			 r_ninterim;	/* 1xx responses seen */
	int			 r_interim;	/* obuf holds a 1xx head */
	int			 r_synth;	/* obuf holds our own whole answer */
	int			 r_head_sent;	/* some response bytes reached the client */
	struct body		 r_rbody;	/* response body, ubuf -> client */
	char			*r_ctype;	/* Content-Type, in the arena */
	uint64_t		 r_bytes_out;	/* to the client */
	uint64_t		 r_bytes_up;	/* to the upstream (tunnel) */
	uint64_t		 r_lingered;	/* bytes discarded in LINGER */

	/* Tunnel. */
	int			 r_t_up_src_eof;	/* client sent EOF */
	int			 r_t_up_eof;	/* ... and it was passed upstream */
	int			 r_t_down_src_eof;	/* upstream sent EOF */
	int			 r_t_down_eof;	/* ... and it was passed to the client */

	/* Access control and proxy authentication (auth.h). */
	char			*r_user;	/* authenticated user, arena */
	const char		*r_rule;	/* denial: "FILE:LINE" / "default-deny" */
	int			 r_dst_lit;	/* the host is an IP literal: r_dst */
	struct sockaddr_storage	 r_dst;
	enum req_step		 r_auth_ret;	/* step to go back to after AUTH */
	struct auth_query	*r_authq;	/* pending helper check */
	char			*r_auth_user;	/* the user being checked, arena */
	int			 r_auth_done;	/* its answer came */
	int			 r_auth_rc;	/* enum auth_result */

	/* Cache (cache_req.c). */
	uint8_t			 r_cache_key[32];
	int			 r_cache_key_ok;	/* GET/HEAD looked up: may store */
	int			 r_cache_auth;	/* the request had Authorization */
	struct cc		 r_cache_rq;	/* its Cache-Control */
	int			 r_cache_invalidate;	/* unsafe method (RFC 9111 §4.4) */
	int			 r_cache_storing;
	const char		*r_cache_fwd;	/* Cache-Status fwd=, or NULL */
	int			 r_cache_fwd_status;
	char			*r_reval_etag;	/* validators of a stale entry */
	char			*r_reval_lm;
	int			 r_reval_done;	/* a 304 refreshed it */
	int			 r_hit_fd;	/* HIT_SEND: body file, or -1 */
	off_t			 r_hit_off;
	uint64_t		 r_hit_left;
	char			*r_cache_rqf;	/* request fields, for Vary */
	size_t			 r_cache_rqf_len;
	char			*r_cache_vspec;	/* stored Vary names, or NULL */
	const char		*r_cache_vspec_new;	/* the response's */
	char			*r_cache_skey;	/* secondary key, or NULL */
	size_t			 r_cache_skey_len;
	struct http_chunked	 r_cache_chunk;	/* de-chunking for the store */
	uint64_t		 r_cache_len;	/* body bytes given to the store */
	struct cache_cf		*r_cf;		/* collapsed forwarding, or NULL */
	int			 r_cache_stale_ok;	/* may serve stale on error */
	const char		*r_cache_stale_err;	/* served stale: why */
	int			 r_cf_leader;	/* r_cf is ours to publish */

	/* Outcome, for the log. */
	enum errpage_id		 r_err;
	const char		*r_code;	/* TCP_MISS ... */
	const char		*r_code_sfx;	/* squid's "_ABORTED", "_TIMEDOUT", or NULL */
	const char		*r_hier;	/* HIER_DIRECT, HIER_NONE */
	struct logfmt_capture	*r_logcap;	/* header values for the access
						   log (accesslog.h), arena */
};

struct conn {
	unsigned		 magic;
	unsigned		 id;
	struct ev_io		 c_io;		/* client */
	struct ev_io		 u_io;		/* upstream, fd -1 when none */
	struct ev_timer		 c_timer;
	struct sockaddr_storage	 c_peer;
	char			 c_peer_text[SOCKADDR_STRLEN];
	unsigned		 c_peer_port;
	int64_t			 c_accepted_ms;
	unsigned		 c_nreq;	/* requests served on this conn */
	unsigned		 c_nconn;	/* conns from this client, all workers */

	struct buf		*cbuf;
	struct buf		*ubuf;
	struct buf		*obuf;
	struct buf		*arena;

	struct req		 r;

	struct conn		*next;		/* the worker's list */
	struct conn		*prev;
};

/**
 * @brief Take a freshly accepted client socket.
 * @return SL_OK, or SL_ERROR (the fd is closed, logged).
 */
/** @brief The epoll callback of both sockets of a conn: runs its request. */
void	conn_io_cb(struct ev_io *io, uint32_t revents);
int	conn_accept(int fd, const struct sockaddr *peer, socklen_t peerlen);
/** @brief Close both sockets, give everything back, free after this turn. @return SL_DONE. */
int	conn_close(struct conn *c);
/**
 * @brief Graceful drain: close the conns that sit idle between requests;
 *	those that have not sent their first request yet are kept for it.
 */
void	conn_close_idle(void);
/** @brief Close every conn (end of shutdown_lifetime). */
void	conn_close_all(void);
/** @brief Number of open client connections in this worker. */
unsigned conn_count(void);

/* req.c */
/** @brief Run the steps of @p c's request until one waits or the conn is done. */
void	req_run(struct conn *c);
/** @brief Reset the request state for a new request on @p c. */
void	req_reset(struct conn *c);
/** @brief Answer @p err with an error page (jump to SYNTH). @return SL_OK. */
int	req_fail(struct conn *c, enum errpage_id err);
/** @brief Bump-allocate @p n bytes in the request arena. @return NULL when full. */
void	*req_alloc(struct conn *c, size_t n);
/** @brief A NUL-terminated copy of p[0..n) in the arena, or NULL. */
char	*req_strdup(struct conn *c, const char *p, size_t n);
/** @brief Arm the conn timer for a wait of @p ms (bounded by client_lifetime). */
void	req_timer(struct conn *c, int64_t ms);
/**
 * @brief Move a body from @p sfd through @p b to @p dfd until it ends
 *	(see struct body).  Re-arms the idle timer on progress.
 * @return SL_OK (body complete and written), SL_AGAIN, or SL_ERROR with
 *	@p *side set to 's' (source broke or ended early: truncated),
 *	'f' (framing error from the source) or 'd' (destination broke).
 */
int	req_relay_body(struct conn *c, struct body *bd, struct buf *b,
	    int sfd, int dfd, uint64_t *counter, int *side);
/** @brief Start a body: mode and length from the framing call. */
void	req_body_init(struct body *bd, enum http_body_mode mode, uint64_t len,
	    int decode);
/** @brief Account for bytes already in @p b after the head. @return 0 or -1 (framing). */
int	req_body_scan(struct body *bd, struct buf *b);
/** @brief Drop the request head from cbuf (once); its fields are invalid after. */
void	req_consume_head(struct conn *c);
/** @brief Write obuf to the client. @return SL_OK when empty, SL_AGAIN, SL_ERROR. */
int	req_flush_obuf(struct conn *c);
struct acl_req;
/** @brief What the ACLs see of @p c's request; @p dst NULL before DNS. */
void	req_acl_fill(struct conn *c, struct acl_req *ar,
	    const struct sockaddr *dst);

/* upstream.c */
/**
 * @brief Let go of the upstream connection: into the pool when the
 *	exchange ended cleanly and the origin allows it, else closed.
 */
void	upstream_release(struct conn *);

/* Steps, in req_steps.h order. */
int	cache_step_lookup(struct conn *);
int	cache_step_hit_send(struct conn *);
int	cache_step_cf_wait(struct conn *);
int	req_step_recv_head(struct conn *);
int	req_step_parse(struct conn *);
int	req_step_access_pre(struct conn *);
int	req_step_auth(struct conn *);
int	req_step_resolve(struct conn *);
int	req_step_access_post(struct conn *);
int	upstream_step_connect(struct conn *);
int	upstream_step_send(struct conn *);
int	upstream_step_recv_head(struct conn *);
int	req_step_deliver(struct conn *);
int	tunnel_step(struct conn *);
int	req_step_synth(struct conn *);
int	req_step_log(struct conn *);
int	req_step_finish(struct conn *);
int	req_step_linger(struct conn *);

#endif
