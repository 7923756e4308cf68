/*
 * req_steps.h -- every step a request can be in, and every move between
 * steps: the whole story of a request, in one place.
 *
 * REQ_STEPS: X(NAME, function, file, wait), in the order a request
 * usually meets them.  req.c builds the enum (REQ_NAME), the name table
 * (debug traces) and the dispatch table from it; docs/architecture.md's
 * step table is checked against it by t/docs-steps.  Only the steps with
 * a wait ("W") may return SL_AGAIN, each with its own timeout armed.
 *
 * REQ_EDGES: E(FROM, TO) for each move a step may make.  A step moves
 * only through REQ_NEXT() (req.h), which asserts that the move is listed
 * here and that it is made by FROM's own function, and traces it at
 * `debug_options ALL,3`.  Moves back (keep-alive, 1xx, retries, refetch,
 * stale on error, the held tail of a stored body) are edges like any
 * other.  conn_close() is not a step: any step may end the connection.
 */
#ifndef SLUICE_REQ_STEPS_H
#define SLUICE_REQ_STEPS_H

#define REQ_STEPS(X)							\
	/* An https_port connection's TLS handshake, once. */		\
	X(TLS_ACCEPT,	req_step_tls_accept,	req_tls.c,	W)	\
	/* The client's request. */					\
	X(RECV_HEAD,	req_step_recv_head,	req_client.c,	W)	\
	X(PARSE,	req_step_parse,		req_client.c,	-)	\
	/* Access: http_access before DNS, auth, DNS, after DNS. */	\
	X(ACCESS_PRE,	req_step_access_pre,	req_access.c,	-)	\
	X(AUTH,		req_step_auth,		req_access.c,	W)	\
	X(RESOLVE,	req_step_resolve,	req_access.c,	W)	\
	X(ACCESS_DST,	req_step_access_dst,	req_access.c,	-)	\
	/* The proxy's own answers (Max-Forwards: 0). */		\
	X(LOCAL,	req_step_local,		req_client.c,	-)	\
	/* The cache. */						\
	X(CACHE_LOOKUP,	req_step_cache_lookup,	req_cache.c,	-)	\
	X(PURGE,	req_step_purge,		req_cache.c,	W)	\
	X(CF_WAIT,	req_step_cf_wait,	req_cache.c,	W)	\
	X(HIT_SEND,	req_step_hit_send,	req_cache.c,	W)	\
	/* The origin. */						\
	X(CONNECT_UP,	req_step_connect_up,	upstream.c,	W)	\
	X(TLS_CONNECT,	req_step_tls_connect,	req_tls.c,	W)	\
	X(BUMP,		req_step_bump,		req_tls.c,	W)	\
	X(SEND_REQ,	req_step_send_req,	upstream.c,	W)	\
	X(RECV_RESP_HEAD, req_step_recv_resp_head, upstream.c,	W)	\
	X(CACHE_RESPONSE, req_step_cache_response, req_cache.c,	-)	\
	X(REFRESH,	req_step_refresh,	req_cache.c,	W)	\
	/* The answer. */						\
	X(DELIVER,	req_step_deliver,	req_deliver.c,	W)	\
	X(STORE,	req_step_store,		req_cache.c,	W)	\
	X(TUNNEL,	req_step_tunnel,	tunnel.c,	W)	\
	X(SYNTH,	req_step_synth,		req_deliver.c,	-)	\
	X(STALE,	req_step_stale,		req_cache.c,	-)	\
	X(LOG,		req_step_log,		req_deliver.c,	-)	\
	X(FINISH,	req_step_finish,	req_deliver.c,	-)	\
	X(LINGER,	req_step_linger,	req_deliver.c,	W)

#define REQ_EDGES(E)							\
	E(TLS_ACCEPT, RECV_HEAD)	/* the handshake is done */	\
	E(RECV_HEAD, PARSE)	/* a whole head */			\
	E(RECV_HEAD, SYNTH)	/* 408, 414, 431 */			\
	E(PARSE, ACCESS_PRE)						\
	E(PARSE, SYNTH)		/* 400, 413, 417, 501, 505, 508 */	\
	E(ACCESS_PRE, AUTH)	/* a proxy_auth acl needs a user */	\
	E(ACCESS_PRE, LOCAL)	/* allowed whatever the address */	\
	E(ACCESS_PRE, RESOLVE)	/* a dst acl needs the address */	\
	E(ACCESS_PRE, SYNTH)	/* 403 */				\
	E(AUTH, ACCESS_PRE)	/* back to the check that asked */	\
	E(AUTH, ACCESS_DST)						\
	E(AUTH, SYNTH)		/* 407, 503 */				\
	E(RESOLVE, ACCESS_DST)	/* addresses, or none (dst acls fail) */ \
	E(RESOLVE, SYNTH)	/* 504 after the lookup */		\
	E(ACCESS_DST, AUTH)						\
	E(ACCESS_DST, LOCAL)	/* decided: on to the cache */		\
	E(ACCESS_DST, CONNECT_UP) /* decided after a miss */		\
	E(ACCESS_DST, SYNTH)	/* 403 */				\
	E(LOCAL, DELIVER)	/* answered by the proxy */		\
	E(LOCAL, CACHE_LOOKUP)						\
	E(LOCAL, RESOLVE)	/* CONNECT */				\
	E(LOCAL, CONNECT_UP)	/* CONNECT to a known address */	\
	E(LOCAL, SYNTH)							\
	E(CACHE_LOOKUP, DELIVER)	/* a hit in the head buffer */	\
	E(CACHE_LOOKUP, HIT_SEND)	/* a hit with a body file */	\
	E(CACHE_LOOKUP, PURGE)						\
	E(CACHE_LOOKUP, CF_WAIT)	/* follow a fetch under way */	\
	E(CACHE_LOOKUP, RESOLVE)	/* a miss: now the address */	\
	E(CACHE_LOOKUP, CONNECT_UP)	/* a miss, address known */	\
	E(CACHE_LOOKUP, SYNTH)		/* 504 only-if-cached, DNS */	\
	E(PURGE, DELIVER)						\
	E(PURGE, SYNTH)							\
	E(CF_WAIT, DELIVER)						\
	E(CF_WAIT, HIT_SEND)						\
	E(CF_WAIT, RESOLVE)		/* nothing to follow */		\
	E(CF_WAIT, CONNECT_UP)						\
	E(CF_WAIT, SYNTH)						\
	E(HIT_SEND, LOG)						\
	E(CONNECT_UP, SEND_REQ)						\
	E(CONNECT_UP, TUNNEL)		/* CONNECT: 200 */		\
	E(CONNECT_UP, SYNTH)		/* 502, 503, 504 */		\
	E(CONNECT_UP, TLS_CONNECT)	/* https://: the handshake */	\
	E(CONNECT_UP, BUMP)		/* a CONNECT ssl_bump bumps */	\
	E(TLS_CONNECT, SEND_REQ)					\
	E(TLS_CONNECT, SYNTH)		/* 503 ERR_SECURE_CONNECT_FAIL */ \
	E(BUMP, LOG)			/* the CONNECT; then keep-alive */ \
	E(BUMP, SYNTH)			/* before the 200 only */	\
	E(SEND_REQ, RECV_RESP_HEAD)					\
	E(SEND_REQ, CONNECT_UP)		/* retry on a fresh connection */ \
	E(SEND_REQ, SYNTH)						\
	E(RECV_RESP_HEAD, CACHE_RESPONSE)	/* a final head */	\
	E(RECV_RESP_HEAD, DELIVER)	/* a 1xx to pass on */		\
	E(RECV_RESP_HEAD, TUNNEL)	/* 101 */			\
	E(RECV_RESP_HEAD, CONNECT_UP)	/* retry on a fresh connection */ \
	E(RECV_RESP_HEAD, SYNTH)	/* 502, 504 */			\
	E(CACHE_RESPONSE, REFRESH)	/* a 304 to our condition */	\
	E(CACHE_RESPONSE, DELIVER)					\
	E(CACHE_RESPONSE, HIT_SEND)	/* stale instead of a 5xx */	\
	E(CACHE_RESPONSE, SYNTH)					\
	E(REFRESH, DELIVER)						\
	E(REFRESH, HIT_SEND)						\
	E(REFRESH, CONNECT_UP)		/* refetch without conditions */ \
	E(REFRESH, SYNTH)						\
	E(DELIVER, RECV_RESP_HEAD)	/* after a 1xx */		\
	E(DELIVER, STORE)		/* whole: commit, tail held */	\
	E(DELIVER, LOG)							\
	E(STORE, DELIVER)		/* the held tail */		\
	E(TUNNEL, LOG)							\
	E(SYNTH, STALE)			/* stale on error (§4.2.4) */	\
	E(SYNTH, DELIVER)						\
	E(SYNTH, LOG)			/* too late for an error page */ \
	E(STALE, DELIVER)						\
	E(STALE, HIT_SEND)						\
	E(STALE, SYNTH)			/* nothing stale: the error */	\
	E(LOG, FINISH)							\
	E(FINISH, RECV_HEAD)		/* keep-alive */		\
	E(FINISH, LINGER)		/* lingering close */

#endif
