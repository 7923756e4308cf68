/*
 * endpoint.h -- the proxy's own pages, asked in origin form on any
 * http_port (RFC 9112 §3.2.1: a request to the proxy itself, not to be
 * forwarded):
 *
 *	/proxy.pac, /wpad.dat	the PAC file (acl/pac.h), with ETag and
 *				Last-Modified (the configuration's load
 *				time), 304 to If-None-Match and
 *				If-Modified-Since
 *	/no_proxy		the same lists as a no_proxy value
 *	/metrics		Prometheus text format 0.0.4 (core/metrics.h)
 *	/status			the same numbers in JSON
 *
 * Runs in the workers.  PARSE hands an origin-form target to
 * endpoint_parse(); a request for one of these goes through http_access
 * like any other (its destination is the proxy's own address, its port
 * the one it reached; the acls `pac` and `manager`, type
 * proxy_endpoint, name them) and is answered in LOCAL by
 * endpoint_answer().  Any other origin-form target is still a 400.
 *
 * Caveats:
 *  - GET and HEAD only: another method gets 405 with Allow.
 *  - The answer is built whole in obuf (sized for it; a PAC file is at
 *    most PAC_MAX_SIZE, the metrics are bounded by their tables).
 */
#ifndef SLUICE_ENDPOINT_H
#define SLUICE_ENDPOINT_H

#include "errpage.h"

struct conn;

/**
 * @brief PARSE: is the origin-form target of @p c's request one of the
 *	proxy's pages?  Then set up the request for it: r_endpoint (the
 *	path), r_path, r_host (the address the client reached, never the
 *	Host field: acls must not see a name the client chose), r_port
 *	(the port it reached) and r_dst (that address: the proxy is the
 *	destination).
 * @return 0 it is one; -1 it is not (the caller answers 400).
 */
int	endpoint_parse(struct conn *c);
/**
 * @brief PARSE: an absolute-form request whose authority is the proxy
 *	itself -- the address and port the client reached, or
 *	visible_hostname with that port -- for one of its pages is that
 *	page (squid does the same for its internal URLs): a client with
 *	http_proxy set asks for http://proxy:3128/metrics that way.  Sets
 *	up the request as endpoint_parse() does; anything else is left
 *	alone, to be proxied.
 */
void	endpoint_absolute(struct conn *c);
/**
 * @brief LOCAL: the whole answer to @p c's request for its endpoint, into
 *	obuf; the head is consumed.
 * @return ERRPAGE_COUNT (answered: on to DELIVER), or the error page.
 */
enum errpage_id endpoint_answer(struct conn *c);

#endif
