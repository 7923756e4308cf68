/*
 * raw.h -- a raw TCP client for the bytes libcurl would not send.
 *
 * Runs in the test process.  A struct raw is one connection to
 * 127.0.0.1:PORT with a read buffer, so pipelined responses are read one
 * after the other and a CONNECT tunnel can be used once its 200 head is
 * read:
 *
 *	struct raw c;
 *	struct raw_resp r;
 *
 *	raw_open(&c, h.port[0]);
 *	raw_sends(&c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
 *	raw_read_resp(&c, &r, 0, 5000);
 *	is_int(r.status, 400, "origin-form request is answered 400");
 *	ok(raw_wait_eof(&c, 5000), "and the connection is closed");
 *	raw_resp_free(&r);
 *	raw_close(&c);
 *
 * Every call that waits takes a bound in milliseconds.
 *
 * TLS: raw_tls() starts a TLS client on the connection (at once for an
 * https_port, or after a CONNECT's 200 for a bumped or tunnelled one);
 * from then on every call here reads and writes through it, and
 * raw_shutdown() sends close_notify before the FIN.  A TCP EOF without
 * close_notify is an EOF with tls_truncated set.
 */
#ifndef SLUICE_RAW_H
#define SLUICE_RAW_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

struct raw {
	int		 fd;
	char		*buf;		/* bytes read, not consumed yet */
	size_t		 len, cap;
	int		 eof;		/* the peer closed (or reset) */
	void		*ssl;		/* SSL * after raw_tls(), or NULL */
	void		*ssl_ctx;	/* its SSL_CTX * */
	short		 want;		/* TLS: what the last call waits for */
	int		 tls_truncated;	/* TLS: EOF came without close_notify */
	char		 tls_error[256];	/* why raw_tls() failed */
};

/** What raw_tls() should do. */
struct raw_tls_opts {
	const char	*sni;		/* server_name, or NULL: none */
	const char	*cafile;	/* verify the chain against it, or
					   NULL: no verification */
	const char	*verify_host;	/* with cafile: check the name (or
					   IP literal), NULL: chain only */
	int		 max_version;	/* 0, or e.g. TLS1_VERSION */
	const char	*ciphers;	/* TLS 1.2 list, or NULL: default */
	int		 seclevel0;	/* security level 0 (old versions) */
};

struct raw_resp {
	int		 status;	/* 0: no status line */
	char		*head;		/* status line and headers + NUL */
	char		*body;		/* de-chunked, NUL-terminated */
	size_t		 body_len;
	uint64_t	 body_hash;	/* harness_hash() of the body */
	int		 complete;	/* body framing satisfied */
	char		 hdrval[1024];	/* raw_resp_header() result */
};

/* What raw_exchange() moved. */
struct raw_xfer {
	size_t		 sent;
	size_t		 received;
	uint64_t	 hash;		/* harness_hash() of what came back */
	int		 eof;		/* the peer closed after it */
};

/**
 * @brief Connect to 127.0.0.1:@p port (bounded, 5 s).
 * @return 0, or -1 with errno set (ECONNREFUSED when nobody listens).
 * @note Partner: raw_close().
 */
int	raw_open(struct raw *c, int port);

/** @brief Close the connection and free the buffer (and the TLS). */
void	raw_close(struct raw *c);

/**
 * @brief Start TLS on @p c as a client and complete the handshake
 *	(bounded by @p ms).
 * @return 0, or -1 with c->tls_error saying why (the verification
 *	error, the alert received, or a timeout).
 */
int	raw_tls(struct raw *c, const struct raw_tls_opts *o, int ms);

/**
 * @brief The peer's certificate after raw_tls() (an X509 *, owned by
 *	the connection), or NULL.
 */
void	*raw_tls_peer(struct raw *c);

/** @brief "TLSv1.3"... after raw_tls(), or NULL. */
const char *raw_tls_version(struct raw *c);

/** @brief Send all of @p p (bounded, 10 s). @return 0, -1 error. */
int	raw_send(struct raw *c, const void *p, size_t n);

/** @brief raw_send() of a string. */
int	raw_sends(struct raw *c, const char *s);

/** @brief shutdown(SHUT_WR): half-close our side. */
int	raw_shutdown(struct raw *c);

/**
 * @brief Read up to @p n bytes, buffered bytes first.
 * @return bytes read, 0 at EOF, -1 timeout or error.
 */
ssize_t	raw_read(struct raw *c, void *p, size_t n, int ms);

/**
 * @brief Read one response head (status line to the empty line); the body
 * stays in the buffer.  1xx heads are read, too: call again.
 * @return the status, or -1 (timeout, EOF, not HTTP; r->head holds what
 * came).
 * @note Partner: raw_resp_free().
 */
int	raw_read_head(struct raw *c, struct raw_resp *r, int ms);

/**
 * @brief Read one final response (skipping 1xx) with its body: chunked
 * (decoded), Content-Length, or up to EOF; none for HEAD (@p is_head),
 * 204 and 304.
 * @return the status, or -1 (r->complete tells whether the body is whole).
 * @note Partner: raw_resp_free().
 */
int	raw_read_resp(struct raw *c, struct raw_resp *r, int is_head, int ms);

/**
 * @brief Read the body that follows the head in @p r (read by
 * raw_read_head()), framed as raw_read_resp() says.
 * @return r->status when the body is whole, else -1.
 */
int	raw_read_body(struct raw *c, struct raw_resp *r, int is_head, int ms);

/**
 * @brief The value of header @p name in @p r (case insensitive, first).
 * @return r->hdrval (valid until the next call), or NULL.
 */
const char *raw_resp_header(struct raw_resp *r, const char *name);

/**
 * @brief Base64 (RFC 4648 §4) of the string @p in into @p out, which has
 *	room for 4 * ((strlen(in) + 2) / 3) + 1 bytes (Basic credentials).
 */
void	raw_b64(const char *in, char *out);

/** @return 1 when header @p name is there and its value contains @p sub. */
int	raw_has(struct raw_resp *r, const char *name, const char *sub);

/** @return 1 when the body is there and is the string @p s exactly. */
int	raw_body_is(const struct raw_resp *r, const char *s);

/** @brief Free what raw_read_head()/raw_read_resp() put in @p r. */
void	raw_resp_free(struct raw_resp *r);

/**
 * @brief Read and discard until the peer closes.
 * @return 1 EOF or reset seen, 0 still open after @p ms.
 */
int	raw_wait_eof(struct raw *c, int ms);

/**
 * @brief Read everything until EOF.
 * @param[out] out  malloc'd, NUL-terminated (free()).
 * @return 0 EOF seen, -1 timeout or error (what came is in @p out).
 */
int	raw_read_all(struct raw *c, char **out, size_t *len, int ms);

/**
 * @brief Send @p n bytes (@p p, or the test pattern when NULL) while
 * reading what comes back, so neither side blocks the other; after the
 * last byte, half-close when @p shut; then read until EOF.  Bounded by
 * @p ms overall.
 * @param[out] x  byte counts and the hash of what came back.
 * @return 0 everything sent and EOF seen, -1 otherwise.
 */
int	raw_exchange(struct raw *c, const void *p, size_t n, int shut,
	    struct raw_xfer *x, int ms);

#endif
