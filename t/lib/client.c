/*
 * client.c -- libcurl helpers for the tests (see client.h).  Runs in the
 * test process, main thread.
 *
 * One easy handle per struct client; curl_easy_reset() between requests
 * clears the options but keeps the connection cache, so keep-alive can be
 * observed with CURLINFO_NUM_CONNECTS.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* strncasecmp, strcasestr */
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "client.h"
#include "harness.h"
#include "tap.h"

struct client {
	CURL		*curl;
	int		 proxy_port;
	char		 cafile[300];	/* client_tls(): "" none */
	char		 resolve[300];	/* "host:port:127.0.0.1" or "" */
	int		 proxy_https;	/* TLS to the proxy */
	char		 proxy_user[256];	/* "user:password", or "" */
};

/* Upload state for the read callback. */
struct client_upload {
	const char	*body;		/* NULL: pattern */
	size_t		 len;
	size_t		 off;
};

static int	client_global_done;

/* The capacity of a buffer holding @p len bytes: a power of two. */
static size_t
client_buf_cap(size_t len)
{
	size_t cap = 4096;

	while (cap < len + 1)
		cap *= 2;
	return cap;
}

static int
client_buf_add(char **buf, size_t *len, const char *p, size_t n)
{
	char *nb = *buf;

	if (nb == NULL || client_buf_cap(*len + n) != client_buf_cap(*len)) {
		nb = realloc(*buf, client_buf_cap(*len + n));
		if (nb == NULL)
			return -1;
	}
	memcpy(nb + *len, p, n);
	*len += n;
	nb[*len] = '\0';
	*buf = nb;
	return 0;
}

static size_t
client_body_cb(char *p, size_t size, size_t nmemb, void *arg)
{
	struct client_resp *r = arg;
	size_t n = size * nmemb;

	r->body_hash = harness_hash(r->body_hash, p, n);
	if (client_buf_add(&r->body, &r->body_len, p, n) == -1)
		return 0;
	return n;
}

static size_t
client_header_cb(char *p, size_t size, size_t nmemb, void *arg)
{
	struct client_resp *r = arg;
	size_t n = size * nmemb;

	if (client_buf_add(&r->headers, &r->headers_len, p, n) == -1)
		return 0;
	return n;
}

static size_t
client_read_cb(char *p, size_t size, size_t nmemb, void *arg)
{
	struct client_upload *u = arg;
	size_t n = size * nmemb;

	if (n > u->len - u->off)
		n = u->len - u->off;
	if (u->body != NULL)
		memcpy(p, u->body + u->off, n);
	else
		harness_pattern(p, u->off, n);
	u->off += n;
	return n;
}

struct client *
client_new(int proxy_port)
{
	struct client *c;

	if (!client_global_done) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
			bail_out("curl_global_init failed");
		client_global_done = 1;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		bail_out("client: out of memory");
	c->curl = curl_easy_init();
	if (c->curl == NULL)
		bail_out("curl_easy_init failed");
	c->proxy_port = proxy_port;
	return c;
}

void
client_free(struct client *c)
{
	if (c == NULL)
		return;
	curl_easy_cleanup(c->curl);
	free(c);
}

/* Split "A: b\nC: d" into a curl_slist, and add "Expect:". */
static struct curl_slist *
client_headers(const struct client_req *q)
{
	struct curl_slist *l = NULL;
	const char *p, *e;
	char line[2048];
	size_t n;

	l = curl_slist_append(l, "Expect:");
	if (q->chunked)
		l = curl_slist_append(l, "Transfer-Encoding: chunked");
	for (p = q->headers; p != NULL && *p != '\0'; p = e) {
		e = strchr(p, '\n');
		n = e != NULL ? (size_t)(e - p) : strlen(p);
		if (n > 0 && p[n - 1] == '\r')
			n--;
		if (n >= sizeof(line))
			n = sizeof(line) - 1;
		memcpy(line, p, n);
		line[n] = '\0';
		if (n > 0)
			l = curl_slist_append(l, line);
		e = e != NULL ? e + 1 : p + strlen(p);
	}
	return l;
}

long
client_do(struct client *c, const struct client_req *q,
    struct client_resp *r)
{
	struct client_upload up;
	struct curl_slist *hl, *rl = NULL;
	char proxy[64], errbuf[CURL_ERROR_SIZE];
	const char *method = q->method != NULL ? q->method : "GET";
	CURLcode rc;
	CURL *e = c->curl;

	memset(r, 0, sizeof(*r));
	errbuf[0] = '\0';
	curl_easy_reset(e);
	curl_easy_setopt(e, CURLOPT_URL, q->url);
	if (c->proxy_port > 0) {
		snprintf(proxy, sizeof(proxy), "%s://127.0.0.1:%d",
		    c->proxy_https ? "https" : "http", c->proxy_port);
		curl_easy_setopt(e, CURLOPT_PROXY, proxy);
		/* "" means: no host bypasses the proxy, whatever no_proxy. */
		curl_easy_setopt(e, CURLOPT_NOPROXY, "");
		if (c->proxy_user[0] != '\0') {
			/* curl --proxy-user: Basic, to the proxy only. */
			curl_easy_setopt(e, CURLOPT_PROXYUSERPWD,
			    c->proxy_user);
			curl_easy_setopt(e, CURLOPT_PROXYAUTH,
			    (long)CURLAUTH_BASIC);
		}
	} else {
		curl_easy_setopt(e, CURLOPT_PROXY, "");
	}
	if (c->cafile[0] != '\0') {
		/* Only the test CA, for origins and an HTTPS proxy alike. */
		curl_easy_setopt(e, CURLOPT_CAINFO, c->cafile);
		curl_easy_setopt(e, CURLOPT_CAPATH, NULL);
		curl_easy_setopt(e, CURLOPT_PROXY_CAINFO, c->cafile);
		curl_easy_setopt(e, CURLOPT_PROXY_CAPATH, NULL);
	}
	if (c->resolve[0] != '\0') {
		rl = curl_slist_append(NULL, c->resolve);
		curl_easy_setopt(e, CURLOPT_RESOLVE, rl);
	}
	curl_easy_setopt(e, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, client_body_cb);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, client_header_cb);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, r);
	/* Keep whatever the proxy sends, byte for byte. */
	curl_easy_setopt(e, CURLOPT_HTTP_CONTENT_DECODING, 0L);
	curl_easy_setopt(e, CURLOPT_HTTP_TRANSFER_DECODING, 1L);

	if (strcmp(method, "HEAD") == 0) {
		curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
	} else if (q->body != NULL || q->body_len > 0 || q->chunked) {
		up.body = q->body;
		up.len = q->body != NULL && q->body_len == 0 ?
		    strlen(q->body) : q->body_len;
		up.off = 0;
		curl_easy_setopt(e, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(e, CURLOPT_READFUNCTION, client_read_cb);
		curl_easy_setopt(e, CURLOPT_READDATA, &up);
		if (!q->chunked)
			curl_easy_setopt(e, CURLOPT_INFILESIZE_LARGE,
			    (curl_off_t)up.len);
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
	} else if (strcmp(method, "GET") != 0) {
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
	}
	hl = client_headers(q);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, hl);

	rc = curl_easy_perform(e);
	r->curl_rc = (int)rc;
	if (rc != CURLE_OK)
		snprintf(r->error, sizeof(r->error), "%s",
		    errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc));
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &r->status);
	curl_easy_getinfo(e, CURLINFO_NUM_CONNECTS, &r->num_connects);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, NULL);
	curl_easy_setopt(e, CURLOPT_RESOLVE, NULL);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, NULL);
	curl_slist_free_all(hl);
	curl_slist_free_all(rl);
	if (r->body == NULL)
		(void)client_buf_add(&r->body, &r->body_len, "", 0);
	if (r->headers == NULL)
		(void)client_buf_add(&r->headers, &r->headers_len, "", 0);
	if (rc != CURLE_OK) {
		diag("curl %s %s: %s", method, q->url, r->error);
		return 0;
	}
	return r->status;
}

void
client_tls(struct client *c, const char *cafile, const char *host, int port,
    int proxy_https)
{
	snprintf(c->cafile, sizeof(c->cafile), "%s", cafile != NULL ? cafile :
	    "");
	if (host != NULL)
		snprintf(c->resolve, sizeof(c->resolve), "%s:%d:127.0.0.1",
		    host, port);
	else
		c->resolve[0] = '\0';
	c->proxy_https = proxy_https;
}

void
client_proxy_user(struct client *c, const char *userpwd)
{
	snprintf(c->proxy_user, sizeof(c->proxy_user), "%s",
	    userpwd != NULL ? userpwd : "");
}

long
client_get(int proxy_port, const char *url, struct client_resp *r)
{
	struct client_req q;
	struct client *c;
	long st;

	memset(&q, 0, sizeof(q));
	q.url = url;
	c = client_new(proxy_port);
	st = client_do(c, &q, r);
	client_free(c);
	return st;
}

const char *
client_resp_header(struct client_resp *r, const char *name)
{
	const char *p, *block, *v, *e, *found = NULL;
	size_t nlen = strlen(name), n;

	if (r->headers == NULL)
		return NULL;
	/* The last header block starts at the last status line. */
	block = r->headers;
	for (p = r->headers; (p = strstr(p, "HTTP/")) != NULL; p++)
		if (p == r->headers || p[-1] == '\n')
			block = p;
	for (p = block; p != NULL && *p != '\0'; ) {
		if (strncasecmp(p, name, nlen) == 0 && p[nlen] == ':') {
			found = p + nlen + 1;
			break;
		}
		p = strchr(p, '\n');
		if (p != NULL)
			p++;
	}
	if (found == NULL)
		return NULL;
	v = found;
	while (*v == ' ' || *v == '\t')
		v++;
	e = v;
	while (*e != '\0' && *e != '\r' && *e != '\n')
		e++;
	while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	n = (size_t)(e - v);
	if (n >= sizeof(r->hdrval))
		n = sizeof(r->hdrval) - 1;
	memcpy(r->hdrval, v, n);
	r->hdrval[n] = '\0';
	return r->hdrval;
}

void
client_resp_free(struct client_resp *r)
{
	free(r->headers);
	free(r->body);
	r->headers = r->body = NULL;
	r->headers_len = r->body_len = 0;
}
