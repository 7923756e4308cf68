/*
 * req_steps.h -- the request steps, in order, as one X-macro list:
 * X(NAME, function).  req.c builds the enum, the name table (for debug
 * traces) and the dispatch table from it.
 *
 * Only the steps marked (wait) may return SL_AGAIN, each with its own
 * timeout armed.  Every step sets the next one explicitly.
 */
#ifndef SLUICE_REQ_STEPS_H
#define SLUICE_REQ_STEPS_H

#define REQ_STEPS(X)							\
	X(RECV_HEAD,	req_step_recv_head)	/* (wait) request_timeout / idle */ \
	X(PARSE,	req_step_parse)		/* target form, framing, Host, Via */ \
	X(ACCESS_PRE,	req_step_access_pre)	/* http_access before DNS */ \
	X(AUTH,		req_step_auth)		/* (wait) auth helper, bounded */ \
	X(RESOLVE,	req_step_resolve)	/* (wait) dns_timeout */ \
	X(ACCESS_POST,	req_step_access_post)	/* http_access per address */ \
	X(CACHE_LOOKUP,	cache_step_lookup)	/* cache_req.c: hit, PURGE or on */ \
	X(CF_WAIT,	cache_step_cf_wait)	/* (wait) a collapsed fetch's head */ \
	X(HIT_SEND,	cache_step_hit_send)	/* (wait) read_timeout: sendfile */ \
	X(CONNECT_UP,	upstream_step_connect)	/* (wait) connect_timeout */ \
	X(SEND_REQ,	upstream_step_send)	/* (wait) read_timeout */ \
	X(RECV_RESP_HEAD, upstream_step_recv_head) /* (wait) read_timeout */ \
	X(DELIVER,	req_step_deliver)	/* (wait) read_timeout */ \
	X(TUNNEL,	tunnel_step)		/* (wait) read_timeout idle */ \
	X(SYNTH,	req_step_synth)		/* error page from errpage.h */ \
	X(LOG,		req_step_log)		/* one access-log line */ \
	X(FINISH,	req_step_finish)	/* keep-alive or close */ \
	X(LINGER,	req_step_linger)	/* (wait) drain input before close */

#endif
