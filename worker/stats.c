/*
 * stats.c -- the worker's facts into the shared counters (see stats.h).
 * Runs in the workers.
 *
 * What a request counts, at its LOG step (the one place its outcome is
 * known):
 *	requests_total{method,code}, responses_total{class}, the duration
 *	histogram (tunnels left out: their duration is the tunnel's life)
 *	client bytes: received = request head + what was passed on
 *	    upstream (request body, tunnel data); sent = everything
 *	    written to the client
 *	origin bytes: sent = the request head as sent (a retried head
 *	    once) + request body or tunnel data; received = response head
 *	    + response body as framed on the wire, or tunnel data
 *	cache: a GET or HEAD with one of squid's hit codes is a hit (its
 *	    bytes to the client are bytes served from the cache), with a
 *	    miss code a miss; both also per origin host
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "auth.h"
#include "conn.h"
#include "metrics.h"
#include "stats.h"

void
stats_conn_open(unsigned open)
{
	metrics_add(METRIC_CLIENT_CONNECTIONS_TOTAL, 1);
	metrics_gauge_set(METRIC_G_CLIENT_CONNECTIONS, (int64_t)open);
}

void
stats_conn_close(const struct conn *c, unsigned open)
{
	metrics_gauge_set(METRIC_G_CLIENT_CONNECTIONS, (int64_t)open);
	/* Closed in the middle of a tunnel (shutdown): it ends here. */
	if (c->r.r_step == REQ_TUNNEL)
		metrics_gauge_add(METRIC_G_TUNNELS, -1);
}

void
stats_move(int from, int to)
{
	/* TUNNEL's only way out is LOG (req_steps.h), or conn_close(). */
	if (to == REQ_TUNNEL)
		metrics_gauge_add(METRIC_G_TUNNELS, 1);
	else if (from == REQ_TUNNEL)
		metrics_gauge_add(METRIC_G_TUNNELS, -1);
}

void
stats_log(const struct conn *c)
{
	const struct req *r = &c->r;
	int hit, miss, tunnel;
	uint64_t up_head;

	/* A tunnel that was opened (a CONNECT refused is a request). */
	tunnel = (r->r_connect && r->r_status == 200) || r->r_status == 101;
	metrics_request(r->r_method ? r->r_method : "NONE", r->r_code,
	    r->r_status, r->r_start_ms ? ev_now() - r->r_start_ms : 0,
	    !tunnel);
	if (r->r_code_sfx != NULL)
		metrics_add(strcmp(r->r_code_sfx, "_TIMEDOUT") == 0 ?
		    METRIC_REQ_TIMEDOUT : METRIC_REQ_ABORTED, 1);
	metrics_add(METRIC_CLIENT_SENT_BYTES, r->r_bytes_out);
	metrics_add(METRIC_CLIENT_RECEIVED_BYTES, r->r_head_len +
	    r->r_bytes_up);
	/* r_uhead is rewound to its start once sent (kept for a retry). */
	up_head = r->r_peer[0] != '\0' && r->r_uhead != NULL ?
	    (uint64_t)buf_len(r->r_uhead) : 0;
	metrics_add(METRIC_ORIGIN_SENT_BYTES, up_head + r->r_bytes_up);
	metrics_add(METRIC_ORIGIN_RECEIVED_BYTES, tunnel ? r->r_bytes_out :
	    r->r_resp_len + r->r_rbody.wire);
	if (r->r_method == NULL || (strcmp(r->r_method, "GET") != 0 &&
	    strcmp(r->r_method, "HEAD") != 0))
		return;
	hit = metrics_code_is_hit(r->r_code);
	miss = metrics_code_is_miss(r->r_code);
	if (!hit && !miss)
		return;
	metrics_add(hit ? METRIC_CACHE_HITS : METRIC_CACHE_MISSES, 1);
	if (hit)
		metrics_add(METRIC_CACHE_HIT_BYTES, r->r_bytes_out);
	metrics_domain(r->r_host, hit, hit ? r->r_bytes_out : 0, miss,
	    miss ? r->r_bytes_out : 0);
}

void
stats_dns(int ok)
{
	metrics_add(METRIC_DNS_LOOKUPS, 1);
	if (!ok)
		metrics_add(METRIC_DNS_FAILURES, 1);
}

void
stats_auth_end(int res)
{
	metrics_gauge_add(METRIC_G_AUTH_PENDING, -1);
	metrics_add(res == AUTH_OK ? METRIC_AUTH_OK : res == AUTH_FAIL ?
	    METRIC_AUTH_REJECTED : METRIC_AUTH_UNAVAILABLE, 1);
}
