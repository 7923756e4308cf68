/*
 * tls.h -- TLS for sluice (OpenSSL's libssl): https_port contexts, TLS to
 * origins with browser-strict verification, certificates minted for
 * bumped CONNECTs, and sendfile of cached bodies over TLS.
 *
 * Who runs what:
 *  - The master, at config load (start, -t, SIGHUP): tls_conf_compile()
 *    reads every certificate and key (root-only files are fine: this runs
 *    before the privilege drop), checks them and builds the contexts:
 *    a struct tls_server per https_port (conf_listen.tls_server), a
 *    struct tls_mint per http_port with ssl-bump (conf_listen.tls_mint,
 *    holding the operator's CA), one struct tls_client for origins
 *    (conf->tls_client) and the ssl_bump rules (conf->ssl_bump_acl).
 *    Errors are "file:line: message", all of them, and the load fails:
 *    `sluice -t` exits 1, a reload keeps the running configuration.
 *  - Each worker, right after fork and the privilege drop:
 *    tls_worker_init() makes the worker's own key pair for minted
 *    certificates and finds out whether kernel TLS can carry sendfile.
 *  - The worker's event loop: one struct tls per TLS connection, made by
 *    tls_accept() (https_port), tls_bump_accept() (a bumped CONNECT) or
 *    tls_connect() (to an origin), driven by tls_handshake(), tls_read(),
 *    tls_write(), tls_sendfile(), tls_shutdown(), freed by tls_free().
 *
 * Policy, the same on every side (RFC 8996 retired TLS 1.0 and 1.1;
 * RFC 9325 §4): TLS 1.2 and 1.3 only (tls-min-version=1.3 / min-version=1.3
 * for 1.3 only); TLS 1.2 suites ECDHE-{ECDSA,RSA} with AES-128/256-GCM or
 * ChaCha20-Poly1305 (forward secret AEAD, nothing else); the TLS 1.3
 * suites; groups X25519, P-256, P-384; signature algorithms without SHA-1
 * or SHA-224; OpenSSL security level 2 (RSA and DH keys of 2048 bits or
 * more, no SHA-1 certificate signatures); no compression, no
 * renegotiation, no 0-RTT.  The server side offers ALPN "http/1.1" only
 * (a client offering ALPN without it is refused: RFC 7301 §3.2) and
 * resumes sessions with tickets (their keys are made in the master, so
 * every worker of a generation takes every other's tickets) and a bounded
 * per-worker session cache.  The client side verifies the chain against
 * the system trust store and/or tls_outgoing_options cafile=, the name
 * (DNS names from subjectAltName only, never the CN, as browsers do; an IP
 * literal against IP SANs, RFC 6125 §6 and RFC 9110 §4.3.4), validity,
 * key usage and extended key usage (serverAuth); sends SNI for names,
 * never for IP literals (RFC 6066 §3); and reuses a session per
 * host:port (bounded table per worker).
 *
 * Results (worker/core/sl.h): SL_OK done; SL_AGAIN: the operation wants
 * the socket readable or writable, tls_want() says which, call it again
 * when that happens; SL_ERROR: failed, tls_error() and tls_reason() say
 * why (for the logs), the connection must be closed (tls_free(), then
 * close(fd)).  tls_read() and tls_write() return a byte count >= 0 or
 * SL_AGAIN / SL_ERROR.
 *
 * Edge-triggered epoll (EPOLLET), the rules that keep a connection from
 * stalling:
 *  - A want is not necessarily the direction of the call: tls_read() may
 *    want writable (a TLS 1.3 KeyUpdate answer) and tls_write() readable.
 *    Arm what tls_want() says, for the operation that returned SL_AGAIN.
 *  - OpenSSL reads ahead (all the socket has, in one read(2)) and
 *    decrypts a whole record even when the caller's buffer takes less:
 *    after a tls_read() that filled the buffer, bytes (whole records
 *    too) may wait inside OpenSSL with no epoll event to come.  Read until SL_AGAIN (or 0); when reading stops early
 *    for backpressure, tls_pending() says whether to call tls_read() again
 *    as soon as there is room, without waiting for an event.
 *  - tls_write() returns as soon as a record went out whole
 *    (SSL_MODE_ENABLE_PARTIAL_WRITE): a count below the length asked is
 *    not an error.  After SL_AGAIN, call it again with the same bytes,
 *    at least as many as before; the buffer may have moved
 *    (SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER), e.g. after a compaction, but
 *    its contents must not change: OpenSSL may go on with the records
 *    after the one that waited before it returns a count, so keep the
 *    whole length in place until a call returns > 0.
 *
 * Caveats:
 *  - A struct tls never owns its fd: tls_free() does not close it.
 *  - Never tls_shutdown() a connection whose last call returned SL_ERROR,
 *    nor one whose handshake did not complete: free it and close.
 *  - Every wait is the caller's to bound: a peer that stops in the middle
 *    of a handshake keeps returning SL_AGAIN (use request_timeout or
 *    connect_timeout for the handshake).
 *  - Memory: OpenSSL allocates a record buffer (about 17 KB each way)
 *    while a record is in flight and gives it back when idle
 *    (SSL_MODE_RELEASE_BUFFERS): an idle server-side connection holds
 *    about 13 KB of OpenSSL memory, 8.7 KB of it the SSL object itself
 *    (t/unit-tls measures it).  sluice allocates nothing per record; one
 *    struct tls (496 bytes) per connection.  A remembered origin
 *    session is about 5.7 KB (TLS_CLIENT_SESSIONS of them at most per
 *    worker); a minted certificate about 2 KB.
 *  - The worker's minted-certificate cache and the client session table
 *    live in the worker (copy-on-write after fork); nothing is shared
 *    between workers but the ticket keys and the contexts, read-only.
 *  - Session ticket keys live as long as a generation: a reload makes new
 *    ones (and old tickets then fall back to a full handshake).
 */
#ifndef SLUICE_TLS_H
#define SLUICE_TLS_H

#include <sys/types.h>

#include <stddef.h>

struct conf;
struct conf_listen;
struct acl_req;

struct tls;		/* one TLS connection */
struct tls_server;	/* an https_port's context */
struct tls_client;	/* the context for origins */
struct tls_mint;	/* an ssl-bump port: CA, worker key, certificates */

/** What an operation that returned SL_AGAIN waits for (tls_want()). */
enum tls_want {
	TLS_WANT_NOTHING = 0,
	TLS_WANT_READ,		/* the socket readable: EPOLLIN */
	TLS_WANT_WRITE,		/* the socket writable: EPOLLOUT */
};

/** Why a connection failed (tls_error()); tls_reason() has the detail. */
enum tls_error {
	TLS_E_NONE = 0,
	TLS_E_PROTOCOL,		/* not TLS (garbage, plain HTTP) or a
				   malformed message */
	TLS_E_VERSION,		/* no version in common: the peer offered
				   only TLS 1.1 or older (or 1.2 when 1.3
				   is required) */
	TLS_E_CIPHER,		/* no cipher suite or group in common */
	TLS_E_ALPN,		/* ALPN offered without http/1.1 */
	TLS_E_VERIFY,		/* the origin's certificate did not verify:
				   tls_verify_error() has X509_V_ERR_* */
	TLS_E_SNI,		/* bump: SNI differs from the CONNECT host */
	TLS_E_MINT,		/* bump: no certificate could be made for
				   the name (not a host name, or OpenSSL) */
	TLS_E_ALERT,		/* the peer sent a fatal alert */
	TLS_E_TRUNCATED,	/* TCP EOF without close_notify: the data
				   may be cut short (a truncation attack
				   looks like this too) */
	TLS_E_SYSCALL,		/* a socket error: errno in the reason */
	TLS_E_INTERNAL,		/* out of memory, or an OpenSSL failure */
};

/* ---------------------------------------------------------------- master */

/**
 * @brief Build every TLS context @p c asks for: read and check each
 *	https_port certificate and key, each ssl-bump CA, the outgoing trust
 *	store, and compile the ssl_bump rules (after acl_set_compile(): they
 *	use the same acls).  Runs in the master.
 *
 * A certificate file is PEM: the certificate, then its chain.  Checked:
 * the files can be read, hold what they should, the key matches the
 * certificate and is not encrypted, the certificate is valid now (not
 * expired, not before its start), it passes security level 2 (no RSA
 * below 2048 bits, no SHA-1 signature); an ssl-bump certificate must be a
 * CA (basicConstraints CA:TRUE, keyCertSign when keyUsage is present).
 * @return 0, or -1 after every error was logged as "file:line: message"
 *	(the line of the directive that names the file); then nothing is
 *	left allocated.
 * @note Partner: tls_conf_free().  Called by config_load() in master.c.
 */
int	tls_conf_compile(struct conf *c);
/** @brief Free what tls_conf_compile() built (NULL pointers are fine). */
void	tls_conf_free(struct conf *c);

/* ---------------------------------------------------------------- worker */

/**
 * @brief After fork and the privilege drop: make this worker's key pair
 *	for minted certificates (EC P-256, one per worker, never written
 *	anywhere) and probe kernel TLS.  Logs the sendfile path at info
 *	level when a TLS port is configured.
 * @return 0, or -1 when no key could be made (logged).
 */
int	tls_worker_init(const struct conf *c);

/** What an ssl_bump rule decided (tls_bump_check()). */
enum tls_bump {
	TLS_SPLICE = 0,		/* tunnel the bytes as they are */
	TLS_BUMP,		/* terminate TLS with a minted certificate */
	TLS_BUMP_NEED_DST,	/* a rule needs dst: resolve, ask again */
	TLS_BUMP_NEED_AUTH,	/* a rule needs proxy_auth: ask again
				   once the user is known */
};

/**
 * @brief Apply the ssl_bump rules of @p c to the CONNECT described by @p r
 *	(squid: first matching line wins, none matched: splice).
 * @param[out] rule  1-based index of the deciding line, 0 none; may be NULL.
 * @return enum tls_bump.
 */
int	tls_bump_check(const struct conf *c, const struct acl_req *r,
	    size_t *rule);

/**
 * @brief A server-side connection on @p fd for an https_port.
 * @param[out] out  the connection; drive it with tls_handshake().
 * @return SL_OK, or SL_ERROR (out of memory).
 * @note Partner: tls_free().  @p fd stays the caller's.
 */
int	tls_accept(struct tls_server *s, int fd, struct tls **out);

/**
 * @brief A server-side connection on @p fd for a bumped CONNECT to
 *	@p connect_host.  During the handshake the certificate is taken from
 *	the worker's cache or minted for the client's SNI, or for
 *	@p connect_host when the client sends none.  A client whose SNI is
 *	not @p connect_host (compared as host names: case, a trailing dot)
 *	is refused with TLS_E_SNI: a CONNECT to one name must not become a
 *	certificate for another.
 * @param[in] connect_host  the CONNECT host, normalised (no brackets
 *	around an IPv6 literal); copied.
 * @return SL_OK, or SL_ERROR (out of memory, or a name too long).
 * @note Partner: tls_free().
 */
int	tls_bump_accept(struct tls_mint *m, int fd, const char *connect_host,
	    struct tls **out);

/**
 * @brief A client-side connection on @p fd (already connected) to origin
 *	@p host port @p port: SNI and name verification for @p host, an IP
 *	literal (IPv4, or IPv6 with or without brackets) checked against IP
 *	SANs without SNI; a session of an earlier connection to host:port is
 *	offered when the worker has one.
 * @return SL_OK, or SL_ERROR (out of memory, a bad host).
 * @note Partner: tls_free().  A verification failure shows at
 *	tls_handshake() as SL_ERROR with TLS_E_VERIFY: answer 503 with
 *	X-Sluice-Error: ERR_SECURE_CONNECT_FAIL, never relay nor store.
 */
int	tls_connect(struct tls_client *cc, int fd, const char *host,
	    unsigned port, struct tls **out);

/**
 * @brief Advance the handshake.
 * @return SL_OK (done: tls_read()/tls_write() from now on), SL_AGAIN
 *	(tls_want()), SL_ERROR (tls_error(), tls_reason()).
 */
int	tls_handshake(struct tls *t);

/**
 * @brief Read decrypted bytes.
 * @return bytes read (> 0); 0 when the peer ended cleanly (close_notify);
 *	SL_AGAIN (tls_want()); SL_ERROR, TLS_E_TRUNCATED for a TCP EOF
 *	without close_notify (a body framed by the close is then cut short).
 */
ssize_t	tls_read(struct tls *t, void *buf, size_t len);

/**
 * @brief Encrypt and send up to @p len bytes.
 * @return bytes taken (1..@p len; @p len 0 returns 0), SL_AGAIN
 *	(tls_want(); call again with the same bytes), SL_ERROR.
 */
ssize_t	tls_write(struct tls *t, const void *buf, size_t len);

/**
 * @brief Send @p len bytes of file @p fd from @p off: SSL_sendfile() when
 *	kernel TLS carries this connection (zero copy), else pread() into
 *	@p buf (@p size bytes of scratch, 16 KB makes full records) and
 *	tls_write().
 * @return bytes sent (> 0, maybe fewer than @p len), SL_AGAIN (tls_want();
 *	call again with the same @p off and @p size and a @p len at least as
 *	large: the copy path remembers how many bytes are in flight and
 *	reads them again, which is right only for a file that does not
 *	change, as committed cache bodies do not), SL_ERROR (TLS_E_SYSCALL
 *	with a short read: the file is shorter than @p off + @p len).
 */
ssize_t	tls_sendfile(struct tls *t, int fd, off_t off, size_t len,
	    void *buf, size_t size);

/**
 * @brief Send close_notify (the clean end of what we send; the peer's
 *	close_notify is not waited for).
 * @return SL_OK, SL_AGAIN (tls_want()), SL_ERROR.
 */
int	tls_shutdown(struct tls *t);

/** @brief Free @p t (NULL is fine); the fd stays open. */
void	tls_free(struct tls *t);

/** @return what the last SL_AGAIN waits for. */
enum tls_want tls_want(const struct tls *t);
/** @return nonzero when OpenSSL holds bytes tls_read() can return
 *	without a new epoll event. */
int	tls_pending(const struct tls *t);
/** @return enum tls_error of the last failure, TLS_E_NONE before one. */
int	tls_error(const struct tls *t);
/** @return a short reason for the logs ("" before a failure); valid
 *	until tls_free(). */
const char *tls_reason(const struct tls *t);
/**
 * @brief The reason of this thread's last OpenSSL error, for messages
 *	(static storage, "OpenSSL failure" when there is none); clears the
 *	error queue.
 */
const char *tls_ossl_reason(void);
/** @return the X509_V_ERR_* code of a failed verification, 0 (X509_V_OK)
 *	otherwise. */
long	tls_verify_error(const struct tls *t);
/** @return the SNI the client sent (server side), or NULL. */
const char *tls_sni(const struct tls *t);
/** @return the negotiated ALPN protocol ("http/1.1"), or NULL. */
const char *tls_alpn(const struct tls *t);
/** @return "TLSv1.2" or "TLSv1.3" once the handshake is done. */
const char *tls_version(const struct tls *t);
/** @return the cipher suite's standard name ("TLS_AES_128_GCM_SHA256"). */
const char *tls_cipher(const struct tls *t);
/** @return nonzero when the handshake resumed a session. */
int	tls_resumed(const struct tls *t);
/** @return nonzero when kernel TLS sends for this connection. */
int	tls_ktls_send(const struct tls *t);

/**
 * @brief Are @p a and @p b the same host (ASCII case, one trailing dot,
 *	brackets around an IPv6 literal, IP literals compared as addresses)?
 *	For comparing a client's SNI with its CONNECT host.
 * @return 1 same, 0 not.
 */
int	tls_host_same(const char *a, const char *b);

/**
 * @brief How cached bodies reach TLS clients in this worker, for
 *	cache.log: "kernel TLS (SSL_sendfile)" or "userspace copy (why)".
 * @note Valid after tls_worker_init(); static storage.
 */
const char *tls_sendfile_path(void);

/* Test hooks for the minted-certificate cache (t/unit-tls). */
/** @return certificates in the worker's cache of @p m. */
size_t	tls_mint_count(const struct tls_mint *m);
/** @return the most @p m keeps (from dynamic_cert_mem_cache_size). */
size_t	tls_mint_capacity(const struct tls_mint *m);
/**
 * @brief The certificate for @p host, from the cache or minted now.
 * @return an X509 * owned by the cache (valid until the next mint), or
 *	NULL (not a host name, or OpenSSL failed).
 */
void	*tls_mint_cert(struct tls_mint *m, const char *host);

#endif
