/*
 * client.h -- libcurl as the test client, through sluice.
 *
 * Runs in the test process, main thread.  A struct client wraps one curl
 * easy handle, so consecutive requests reuse its connection (keep-alive);
 * CURLINFO_NUM_CONNECTS tells whether a request opened a new one:
 *
 *	struct client *cl = client_new(h.port[0]);
 *	struct client_req q = { .method = "POST", .url = url,
 *	    .body = NULL, .body_len = 20 << 20 };	20 MB pattern
 *	struct client_resp r;
 *
 *	client_do(cl, &q, &r);
 *	is_int(r.status, 200, "...");
 *	like(client_resp_header(&r, "Via"), "sluice-test", "...");
 *	client_resp_free(&r);
 *	client_free(cl);
 *
 * Every request has a 30 s overall timeout and a 10 s connect timeout.
 * "Expect: 100-continue" is never sent (curl would add it to uploads).
 * The proxy is used for every host, whatever no_proxy says.
 *
 * Caveats:
 *  - curl_global_init() is called once by the first client_new().
 *  - The response body is kept whole in memory (20 MB is fine).
 */
#ifndef SLUICE_CLIENT_H
#define SLUICE_CLIENT_H

#include <stddef.h>
#include <stdint.h>

struct client_req {
	const char	*method;	/* NULL: GET */
	const char	*url;		/* absolute URL */
	const char	*headers;	/* extra request header lines,
					   separated by "\n", or NULL */
	const char	*body;		/* NULL and body_len > 0: pattern */
	size_t		 body_len;	/* with @c body: 0 means strlen */
	int		 chunked;	/* upload with Transfer-Encoding:
					   chunked, no Content-Length */
};

struct client_resp {
	long		 status;	/* 0 when no response */
	int		 curl_rc;	/* CURLcode */
	char		 error[256];	/* curl's message when curl_rc != 0 */
	long		 num_connects;	/* new connections for this request */
	char		*headers;	/* every header line received */
	size_t		 headers_len;
	char		*body;		/* NUL-terminated */
	size_t		 body_len;
	uint64_t	 body_hash;	/* harness_hash() of the body */
	char		 hdrval[1024];	/* client_resp_header() result */
};

struct client;

/**
 * @brief A client that sends through the proxy at 127.0.0.1:@p proxy_port
 * (0: straight to the URL's host, for self-tests of the test library).
 * @note Partner: client_free().
 */
struct client	*client_new(int proxy_port);

/** @brief Free @p c and close its connections. */
void	client_free(struct client *c);

/**
 * @brief Perform @p q and fill @p r.
 * @return the HTTP status, or 0 when the transfer failed (see r->error).
 * @note Partner: client_resp_free(@p r).
 */
long	client_do(struct client *c, const struct client_req *q,
	    struct client_resp *r);

/**
 * @brief TLS settings of @p c for the next requests: trust only @p cafile
 *	(PEM; for origins and an HTTPS proxy; NULL: curl's default), reach
 *	@p host:@p port at 127.0.0.1 whatever DNS says (curl --resolve; NULL:
 *	none), and with @p proxy_https speak TLS to the proxy (curl --proxy
 *	https://127.0.0.1:PORT, its certificate checked for 127.0.0.1).
 *	https:// URLs through the proxy go by CONNECT, as curl does.
 */
void	client_tls(struct client *c, const char *cafile, const char *host,
	    int port, int proxy_https);

/**
 * @brief Credentials for the proxy (curl --proxy-user "user:password",
 *	Basic; sent in CONNECT and in proxied requests), NULL: none.
 */
void	client_proxy_user(struct client *c, const char *userpwd);

/**
 * @brief One GET of @p url through the proxy on a fresh connection.
 * @return the status as client_do().
 */
long	client_get(int proxy_port, const char *url, struct client_resp *r);

/**
 * @brief The value of response header @p name in the last header block
 * (after any 1xx), case insensitive, blanks trimmed.
 * @return r->hdrval (valid until the next call), or NULL.
 */
const char *client_resp_header(struct client_resp *r, const char *name);

/** @brief Free what client_do() put in @p r. */
void	client_resp_free(struct client_resp *r);

#endif
