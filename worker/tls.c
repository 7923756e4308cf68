/*
 * tls.c -- TLS connections over non-blocking sockets (see tls.h): the
 * policy every context shares, the handshake, read, write, sendfile and
 * shutdown in the SL_ vocabulary, the reasons for the logs, and the
 * per-worker table of origin sessions.
 *
 * Runs in the workers (connections); tls_ctx_policy() also in the master,
 * which builds the contexts (tls_conf.c).
 *
 * OpenSSL's error queue is per thread and sticky: every call into
 * SSL_* that may fail is preceded by ERR_clear_error(), so that
 * SSL_get_error() and the reason read afterwards are about that call.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/opensslv.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "sl.h"
#include "tls.h"
#include "tls_int.h"

/*
 * The suites (tls.h "Policy"): TLS 1.2 forward-secret AEAD only, in
 * OpenSSL's names; the TLS 1.3 suites OpenSSL enables by default.
 */
static const char tls_ciphers12[] =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";
static const char tls_suites13[] =
    "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:"
    "TLS_CHACHA20_POLY1305_SHA256";
static const char tls_groups[] = "X25519:P-256:P-384";
/* No SHA-1, no SHA-224 (RFC 9155 deprecates SHA-1 in TLS 1.2). */
static const char tls_sigalgs[] =
    "ECDSA+SHA256:ECDSA+SHA384:ECDSA+SHA512:ed25519:ed448:"
    "rsa_pss_pss_sha256:rsa_pss_pss_sha384:rsa_pss_pss_sha512:"
    "rsa_pss_rsae_sha256:rsa_pss_rsae_sha384:rsa_pss_rsae_sha512:"
    "RSA+SHA256:RSA+SHA384:RSA+SHA512";

static char	tls_sf_path[160] = "userspace copy (TLS not initialised)";
/* tls_ktls_probe(): the kernel has the tls ULP (else each handshake's two
   setsockopt calls for it would fail every time). */
static int	tls_ktls_ok = 1;

int
tls_ctx_policy(SSL_CTX *ctx, int min_version, int server)
{
	long opts = SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION;

#if OPENSSL_VERSION_NUMBER >= 0x30000000L && !defined(OPENSSL_NO_KTLS)
	/* Kernel TLS for what we send to clients (sendfile of hits). */
	if (server)
		opts |= SSL_OP_ENABLE_KTLS;
#endif
	SSL_CTX_set_options(ctx, opts);
	SSL_CTX_set_security_level(ctx, 2);
	if (SSL_CTX_set_min_proto_version(ctx, min_version) != 1 ||
	    SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) != 1 ||
	    SSL_CTX_set_cipher_list(ctx, tls_ciphers12) != 1 ||
	    SSL_CTX_set_ciphersuites(ctx, tls_suites13) != 1 ||
	    SSL_CTX_set1_groups_list(ctx, tls_groups) != 1 ||
	    SSL_CTX_set1_sigalgs_list(ctx, tls_sigalgs) != 1)
		return -1;
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
	    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
	/*
	 * Read what the socket has in one read(2), not a record header and
	 * then its body: half the reads.  Bytes read ahead stay in OpenSSL,
	 * which tls_pending() reports (SSL_has_pending()).
	 */
	SSL_CTX_set_read_ahead(ctx, 1);
	/* No 0-RTT: early data can be replayed (RFC 8446 §8). */
	SSL_CTX_set_max_early_data(ctx, 0);
	return 0;
}

/*
 * ALPN (RFC 7301 §3.2): select http/1.1 from the client's list; a client
 * that offers ALPN without it gets no_application_protocol.  A client
 * that offers no ALPN at all is served (curl with --no-alpn, old tools).
 */
int
tls_alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen,
    const unsigned char *in, unsigned int inlen, void *arg)
{
	struct tls *t = SSL_get_app_data(ssl);
	unsigned int i, n;

	for (i = 0; i < inlen; i += n + 1) {
		n = in[i];
		if (n == 0 || n > inlen - i - 1)
			break;		/* malformed: refuse below */
		if (n == 8 && memcmp(in + i + 1, "http/1.1", 8) == 0) {
			*out = in + i + 1;
			*outlen = 8;
			return SSL_TLSEXT_ERR_OK;
		}
	}
	if (t != NULL) {
		t->err = TLS_E_ALPN;
		snprintf(t->reason, sizeof(t->reason), "client offered ALPN "
		    "without http/1.1");
	}
	return SSL_TLSEXT_ERR_ALERT_FATAL;
}

/* Keep the first verification failure and its depth for the reason. */
int
tls_verify_cb(int ok, X509_STORE_CTX *xs)
{
	SSL *ssl;
	struct tls *t;

	if (ok)
		return ok;
	ssl = X509_STORE_CTX_get_ex_data(xs,
	    SSL_get_ex_data_X509_STORE_CTX_idx());
	if (ssl != NULL && (t = SSL_get_app_data(ssl)) != NULL &&
	    t->verify == X509_V_OK) {
		t->verify = X509_STORE_CTX_get_error(xs);
		t->verify_depth = X509_STORE_CTX_get_error_depth(xs);
	}
	return ok;
}

/*
 * An IP literal: "192.0.2.1", "2001:db8::1" or "[2001:db8::1]".
 * @return 1 (@p addr, @p family filled when not NULL), 0 a name.
 */
int
tls_host_ip(const char *host, unsigned char *addr, int *family)
{
	unsigned char a[16];
	char buf[64];
	size_t len = strlen(host);

	if (inet_pton(AF_INET, host, a) == 1) {
		if (addr != NULL)
			memcpy(addr, a, 4);
		if (family != NULL)
			*family = AF_INET;
		return 1;
	}
	if (len >= 2 && host[0] == '[' && host[len - 1] == ']') {
		if (len - 2 >= sizeof(buf))
			return 0;
		memcpy(buf, host + 1, len - 2);
		buf[len - 2] = '\0';
		host = buf;
	}
	if (inet_pton(AF_INET6, host, a) == 1) {
		if (addr != NULL)
			memcpy(addr, a, 16);
		if (family != NULL)
			*family = AF_INET6;
		return 1;
	}
	return 0;
}

int
tls_host_same(const char *a, const char *b)
{
	unsigned char aa[16], ba[16];
	char ca[TLS_HOST_MAX + 3], cb[TLS_HOST_MAX + 3];
	size_t la = strlen(a), lb = strlen(b);
	int ia, ib, fa, fb;

	/* A fully qualified name's trailing dot is the same name. */
	if (la > 0 && a[la - 1] == '.')
		la--;
	if (lb > 0 && b[lb - 1] == '.')
		lb--;
	if (la == 0 || lb == 0 || la >= sizeof(ca) || lb >= sizeof(cb))
		return 0;
	memcpy(ca, a, la);
	ca[la] = '\0';
	memcpy(cb, b, lb);
	cb[lb] = '\0';
	ia = tls_host_ip(ca, aa, &fa);
	ib = tls_host_ip(cb, ba, &fb);
	if (ia || ib)
		return ia && ib && fa == fb &&
		    memcmp(aa, ba, fa == AF_INET ? 4 : 16) == 0;
	return la == lb && strncasecmp(ca, cb, la) == 0;
}

struct tls *
tls_new(SSL_CTX *ctx, int fd, int server)
{
	struct tls *t;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	t->magic = TLS_MAGIC;
	t->fd = fd;
	ERR_clear_error();
	if ((t->ssl = SSL_new(ctx)) == NULL || SSL_set_fd(t->ssl, fd) != 1) {
		SSL_free(t->ssl);
		free(t);
		ERR_clear_error();
		return NULL;
	}
	SSL_set_app_data(t->ssl, t);
#if OPENSSL_VERSION_NUMBER >= 0x30000000L && !defined(OPENSSL_NO_KTLS)
	if (!tls_ktls_ok)
		SSL_clear_options(t->ssl, SSL_OP_ENABLE_KTLS);
#endif
	if (server) {
		t->flags |= TLS_F_SERVER;
		SSL_set_accept_state(t->ssl);
	} else
		SSL_set_connect_state(t->ssl);
	return t;
}

int
tls_accept(struct tls_server *s, int fd, struct tls **out)
{
	struct tls *t;

	if ((t = tls_new(s->ctx, fd, 1)) == NULL)
		return SL_ERROR;
	*out = t;
	return SL_OK;
}

/* ------------------------------------------------------- origin sessions */

static uint64_t
tls_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;	/* FNV-1a 64 */

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	return h;
}

static struct tls_session *
tls_session_find(struct tls_client *cc, const char *key, uint64_t h)
{
	size_t i;

	for (i = 0; i < TLS_CLIENT_SESSIONS; i++)
		if (cc->sessions[i].sess != NULL && cc->sessions[i].hash == h &&
		    strcmp(cc->sessions[i].key, key) == 0)
			return &cc->sessions[i];
	return NULL;
}

/*
 * A new session from an origin (after the handshake; for TLS 1.3 when a
 * ticket arrives, during a read): keep it for the next connection to the
 * same host:port, in the slot of the same key or the least recently
 * stored one.  Only connections that verified reach this point: a
 * failed verification ends the handshake.  @return 1: we keep the
 * reference.
 */
int
tls_client_session_new(SSL *ssl, SSL_SESSION *sess)
{
	struct tls *t = SSL_get_app_data(ssl);
	struct tls_client *cc;
	struct tls_session *slot;
	char key[TLS_HOST_MAX + 8];
	uint64_t h;
	size_t i;

	if (t == NULL || (cc = t->cc) == NULL || !SSL_SESSION_is_resumable(sess))
		return 0;
	snprintf(key, sizeof(key), "%s:%u", t->host, t->port);
	h = tls_hash(key);
	if ((slot = tls_session_find(cc, key, h)) == NULL) {
		slot = &cc->sessions[0];
		for (i = 0; i < TLS_CLIENT_SESSIONS; i++) {
			if (cc->sessions[i].sess == NULL) {
				slot = &cc->sessions[i];
				break;
			}
			if (cc->sessions[i].used < slot->used)
				slot = &cc->sessions[i];
		}
	}
	SSL_SESSION_free(slot->sess);
	slot->sess = sess;
	slot->hash = h;
	slot->used = ++cc->tick;
	memcpy(slot->key, key, sizeof(key));
	return 1;
}

/*
 * The session to offer for host:port, or NULL.  A TLS 1.3 ticket is used
 * once (RFC 8446 §C.4: reuse would let observers link connections); a
 * TLS 1.2 session stays for the next connections too.
 */
static SSL_SESSION *
tls_client_session_take(struct tls_client *cc, const char *host,
    unsigned port)
{
	struct tls_session *slot;
	SSL_SESSION *s;
	char key[TLS_HOST_MAX + 8];
	time_t now = time(NULL);

	snprintf(key, sizeof(key), "%s:%u", host, port);
	if ((slot = tls_session_find(cc, key, tls_hash(key))) == NULL)
		return NULL;
	s = slot->sess;
	if ((time_t)(SSL_SESSION_get_time(s) + SSL_SESSION_get_timeout(s)) <=
	    now) {
		SSL_SESSION_free(s);
		slot->sess = NULL;
		return NULL;
	}
	if (SSL_SESSION_get_protocol_version(s) >= TLS1_3_VERSION)
		slot->sess = NULL;	/* the caller's reference now */
	else
		SSL_SESSION_up_ref(s);
	return s;
}

int
tls_connect(struct tls_client *cc, int fd, const char *host, unsigned port,
    struct tls **out)
{
	X509_VERIFY_PARAM *vp;
	SSL_SESSION *sess;
	struct tls *t;
	char h[TLS_HOST_MAX + 3];
	size_t len = strlen(host);
	int ip, ok;

	if (len == 0 || len > TLS_HOST_MAX + 2)
		return SL_ERROR;
	memcpy(h, host, len + 1);
	if (len >= 2 && h[0] == '[' && h[len - 1] == ']') {
		memmove(h, h + 1, len - 2);
		h[len -= 2] = '\0';
	}
	ip = tls_host_ip(h, NULL, NULL);
	if (!ip && len > 1 && h[len - 1] == '.')
		h[--len] = '\0';	/* no trailing dot in SNI (RFC 6066 §3) */
	if (len > TLS_HOST_MAX)
		return SL_ERROR;
	if ((t = tls_new(cc->ctx, fd, 0)) == NULL)
		return SL_ERROR;
	memcpy(t->host, h, len + 1);
	t->port = port;
	t->cc = cc;
	vp = SSL_get0_param(t->ssl);
	ERR_clear_error();
	if (ip) {
		/* RFC 6066 §3: no IP literal in SNI; RFC 6125: IP SANs. */
		ok = X509_VERIFY_PARAM_set1_ip_asc(vp, h) == 1;
	} else {
		ok = SSL_set_tlsext_host_name(t->ssl, h) == 1 &&
		    X509_VERIFY_PARAM_set1_host(vp, h, 0) == 1;
	}
	if (!ok) {
		ERR_clear_error();
		tls_free(t);
		return SL_ERROR;
	}
	if ((sess = tls_client_session_take(cc, t->host, port)) != NULL) {
		(void)SSL_set_session(t->ssl, sess);
		SSL_SESSION_free(sess);
	}
	*out = t;
	return SL_OK;
}

/* ---------------------------------------------------------------- errors */

const char *
tls_ossl_reason(void)
{
	static char buf[160];
	unsigned long e = ERR_peek_last_error();
	const char *s = e != 0 ? ERR_reason_error_string(e) : NULL;

	snprintf(buf, sizeof(buf), "%s", s != NULL ? s : "OpenSSL failure");
	ERR_clear_error();
	return buf;
}

/* The reason of an OpenSSL error in the TLS vocabulary of tls.h. */
static void
tls_classify(struct tls *t, unsigned long e)
{
	const char *s;
	int reason = ERR_GET_REASON(e);

	if (ERR_GET_LIB(e) != ERR_LIB_SSL) {
		t->err = TLS_E_INTERNAL;
		s = ERR_reason_error_string(e);
		snprintf(t->reason, sizeof(t->reason), "%s",
		    s != NULL ? s : "OpenSSL failure");
		return;
	}
	switch (reason) {
	case SSL_R_HTTP_REQUEST:
	case SSL_R_HTTPS_PROXY_REQUEST:
		t->err = TLS_E_PROTOCOL;
		snprintf(t->reason, sizeof(t->reason), "plain HTTP on a TLS "
		    "port");
		return;
	case SSL_R_WRONG_VERSION_NUMBER:
	case SSL_R_PACKET_LENGTH_TOO_LONG:
	case SSL_R_RECORD_LENGTH_MISMATCH:
	case SSL_R_BAD_PACKET_LENGTH:
	case SSL_R_LENGTH_MISMATCH:
	case SSL_R_LENGTH_TOO_SHORT:
	case SSL_R_BAD_LENGTH:
	case SSL_R_UNEXPECTED_MESSAGE:
	case SSL_R_UNEXPECTED_RECORD:
	case SSL_R_BAD_EXTENSION:
		t->err = TLS_E_PROTOCOL;
		snprintf(t->reason, sizeof(t->reason), "not TLS or malformed "
		    "(%s)", ERR_reason_error_string(e));
		return;
	case SSL_R_UNSUPPORTED_PROTOCOL:
	case SSL_R_VERSION_TOO_LOW:
	case SSL_R_NO_PROTOCOLS_AVAILABLE:
	case SSL_R_TLSV1_ALERT_PROTOCOL_VERSION:
		t->err = TLS_E_VERSION;
		snprintf(t->reason, sizeof(t->reason), "no TLS version in "
		    "common (%s; sluice speaks TLS 1.2 and 1.3 only)",
		    reason == SSL_R_TLSV1_ALERT_PROTOCOL_VERSION ?
		    "the peer refused ours" : "the peer offered older ones");
		return;
	case SSL_R_NO_SHARED_CIPHER:
	case SSL_R_NO_SHARED_GROUPS:
	case SSL_R_NO_SUITABLE_KEY_SHARE:
	case SSL_R_NO_CIPHERS_AVAILABLE:
	case SSL_R_NO_SHARED_SIGNATURE_ALGORITHMS:
	case SSL_R_NO_SUITABLE_SIGNATURE_ALGORITHM:
	case SSL_R_SSLV3_ALERT_HANDSHAKE_FAILURE:
	case SSL_R_TLSV1_ALERT_INSUFFICIENT_SECURITY:
		t->err = TLS_E_CIPHER;
		snprintf(t->reason, sizeof(t->reason), "no cipher suite, group "
		    "or signature algorithm in common (%s)",
		    ERR_reason_error_string(e));
		return;
	case SSL_R_NO_APPLICATION_PROTOCOL:
		t->err = TLS_E_ALPN;
		snprintf(t->reason, sizeof(t->reason), "ALPN: no protocol in "
		    "common (sluice speaks http/1.1)");
		return;
	case SSL_R_CERTIFICATE_VERIFY_FAILED:
		t->err = TLS_E_VERIFY;
		if (t->verify == X509_V_OK)
			t->verify = SSL_get_verify_result(t->ssl);
		snprintf(t->reason, sizeof(t->reason), "certificate verify "
		    "failed: %s (depth %d)",
		    X509_verify_cert_error_string(t->verify), t->verify_depth);
		return;
#ifdef SSL_R_UNEXPECTED_EOF_WHILE_READING
	case SSL_R_UNEXPECTED_EOF_WHILE_READING:
		t->err = TLS_E_TRUNCATED;
		snprintf(t->reason, sizeof(t->reason), "truncated: TCP EOF "
		    "without close_notify%s", t->flags & TLS_F_DONE ? "" :
		    " in the handshake");
		return;
#endif
	default:
		break;
	}
	s = ERR_reason_error_string(e);
	/* Alerts from the peer: OpenSSL names them "sslv3 alert ..." or
	   "tlsv1 alert ...". */
	if (s != NULL && (strncmp(s, "sslv3 alert", 11) == 0 ||
	    strncmp(s, "tlsv1 alert", 11) == 0 ||
	    strncmp(s, "tlsv13 alert", 12) == 0)) {
		t->err = TLS_E_ALERT;
		snprintf(t->reason, sizeof(t->reason), "the peer sent the "
		    "alert: %s", s);
		return;
	}
	t->err = TLS_E_PROTOCOL;
	snprintf(t->reason, sizeof(t->reason), "%s", s != NULL ? s :
	    "TLS protocol error");
}

/*
 * Turn the result @p rc of an SSL_* call into SL_AGAIN or SL_ERROR (with
 * the reason); @p saved is errno right after the call.
 */
static int
tls_result(struct tls *t, int rc, int saved, const char *what)
{
	unsigned long e;

	switch (SSL_get_error(t->ssl, rc)) {
	case SSL_ERROR_WANT_READ:
		t->want = TLS_WANT_READ;
		return SL_AGAIN;
	case SSL_ERROR_WANT_WRITE:
		t->want = TLS_WANT_WRITE;
		return SL_AGAIN;
	case SSL_ERROR_SYSCALL:
		t->flags |= TLS_F_FATAL;
		if ((e = ERR_peek_error()) != 0) {
			tls_classify(t, e);
		} else if (saved == 0 || saved == EPIPE) {
			/* OpenSSL 1.1.1's way of saying EOF. */
			t->err = saved == 0 ? TLS_E_TRUNCATED : TLS_E_SYSCALL;
			snprintf(t->reason, sizeof(t->reason), saved == 0 ?
			    "truncated: TCP EOF without close_notify%s" :
			    "%s: the peer closed the connection", saved == 0 ?
			    (t->flags & TLS_F_DONE ? "" : " in the handshake") :
			    what);
		} else {
			t->err = TLS_E_SYSCALL;
			snprintf(t->reason, sizeof(t->reason), "%s: %s", what,
			    strerror(saved));
		}
		ERR_clear_error();
		return SL_ERROR;
	case SSL_ERROR_SSL:
		t->flags |= TLS_F_FATAL;
		/* A callback of ours may have said why already. */
		if (t->err == TLS_E_NONE || t->reason[0] == '\0') {
			e = ERR_peek_error();
			if (e != 0)
				tls_classify(t, e);
			else {
				t->err = TLS_E_INTERNAL;
				snprintf(t->reason, sizeof(t->reason), "%s "
				    "failed", what);
			}
		}
		ERR_clear_error();
		return SL_ERROR;
	default:
		t->flags |= TLS_F_FATAL;
		if (t->err == TLS_E_NONE) {
			t->err = TLS_E_INTERNAL;
			snprintf(t->reason, sizeof(t->reason), "%s: unexpected "
			    "OpenSSL state", what);
		}
		ERR_clear_error();
		return SL_ERROR;
	}
}

/* ------------------------------------------------------------------ I/O */

int
tls_handshake(struct tls *t)
{
	int rc;

	CHECK_MAGIC(t, TLS_MAGIC);
	if (t->flags & TLS_F_FATAL)
		return SL_ERROR;
	if (t->flags & TLS_F_DONE)
		return SL_OK;
	ERR_clear_error();
	errno = 0;
	rc = SSL_do_handshake(t->ssl);
	if (rc == 1) {
		t->flags |= TLS_F_DONE;
		t->want = TLS_WANT_NOTHING;
		return SL_OK;
	}
	return tls_result(t, rc, errno, "handshake");
}

ssize_t
tls_read(struct tls *t, void *buf, size_t len)
{
	size_t n = 0;
	int rc;

	CHECK_MAGIC(t, TLS_MAGIC);
	if (t->flags & TLS_F_FATAL)
		return SL_ERROR;
	if (t->flags & TLS_F_EOF)
		return 0;
	if (len == 0)
		return 0;
	ERR_clear_error();
	errno = 0;
	rc = SSL_read_ex(t->ssl, buf, len, &n);
	if (rc == 1)
		return (ssize_t)n;
	if (SSL_get_error(t->ssl, rc) == SSL_ERROR_ZERO_RETURN) {
		/* close_notify: the clean end (RFC 8446 §6.1). */
		t->flags |= TLS_F_EOF;
		return 0;
	}
	return tls_result(t, rc, errno, "read");
}

ssize_t
tls_write(struct tls *t, const void *buf, size_t len)
{
	size_t n = 0;
	int rc;

	CHECK_MAGIC(t, TLS_MAGIC);
	if (t->flags & TLS_F_FATAL)
		return SL_ERROR;
	if (len == 0)
		return 0;
	ERR_clear_error();
	errno = 0;
	rc = SSL_write_ex(t->ssl, buf, len, &n);
	if (rc == 1)
		return (ssize_t)n;
	return tls_result(t, rc, errno, "write");
}

ssize_t
tls_sendfile(struct tls *t, int fd, off_t off, size_t len, void *buf,
    size_t size)
{
	ssize_t n, w;
	size_t want;

	CHECK_MAGIC(t, TLS_MAGIC);
	if (t->flags & TLS_F_FATAL)
		return SL_ERROR;
	if (len == 0)
		return 0;
#if OPENSSL_VERSION_NUMBER >= 0x30000000L && !defined(OPENSSL_NO_KTLS)
	if (BIO_get_ktls_send(SSL_get_wbio(t->ssl))) {
		ERR_clear_error();
		errno = 0;
		n = SSL_sendfile(t->ssl, fd, off, len, 0);
		if (n > 0)
			return n;
		return tls_result(t, (int)n, errno, "sendfile");
	}
#endif
	/*
	 * The copy path.  After SL_AGAIN, OpenSSL holds a record made of
	 * the bytes we gave it and must be given them again: the same
	 * count from the same offset (a committed cache body never
	 * changes, so reading it again gives the same bytes).
	 */
	want = t->sf_pending != 0 ? t->sf_pending : len < size ? len : size;
	if (want > size)
		want = size;
	for (;;) {
		n = pread(fd, buf, want, off);
		if (n >= 0 || errno != EINTR)
			break;
	}
	if (n < 0 || (size_t)n != want) {
		t->flags |= TLS_F_FATAL;
		t->err = TLS_E_SYSCALL;
		snprintf(t->reason, sizeof(t->reason), "sendfile: pread: %s",
		    n < 0 ? strerror(errno) : "the file is shorter than its "
		    "length");
		return SL_ERROR;
	}
	w = tls_write(t, buf, want);
	if (w == SL_AGAIN) {
		t->sf_pending = want;
		return SL_AGAIN;
	}
	t->sf_pending = 0;
	return w;
}

int
tls_shutdown(struct tls *t)
{
	int rc;

	CHECK_MAGIC(t, TLS_MAGIC);
	if ((t->flags & TLS_F_FATAL) || !(t->flags & TLS_F_DONE))
		return SL_ERROR;
	ERR_clear_error();
	errno = 0;
	rc = SSL_shutdown(t->ssl);
	/* 0: ours is sent (theirs not waited for); 1: both. */
	if (rc >= 0)
		return SL_OK;
	return tls_result(t, rc, errno, "shutdown");
}

void
tls_free(struct tls *t)
{
	if (t == NULL)
		return;
	CHECK_MAGIC(t, TLS_MAGIC);
	t->magic = 0;
	/*
	 * A connection that ends without close_notify (an idle timeout, the
	 * peer gone) keeps its session: since TLS 1.1 a missing close_notify
	 * no longer forbids resumption (RFC 5246 §7.2.1), but SSL_free()
	 * would drop the session from the caches, as nginx's quiet shutdown
	 * avoids too.  After a fatal error OpenSSL dropped it already.
	 */
	if ((t->flags & (TLS_F_DONE | TLS_F_FATAL)) == TLS_F_DONE)
		SSL_set_shutdown(t->ssl, SSL_SENT_SHUTDOWN |
		    SSL_RECEIVED_SHUTDOWN);
	SSL_free(t->ssl);
	free(t);
}

/* -------------------------------------------------------------- queries */

enum tls_want
tls_want(const struct tls *t)
{
	return t->want;
}

int
tls_pending(const struct tls *t)
{
	return SSL_pending(t->ssl) > 0 || SSL_has_pending(t->ssl);
}

int
tls_error(const struct tls *t)
{
	return t->err;
}

const char *
tls_reason(const struct tls *t)
{
	return t->reason;
}

long
tls_verify_error(const struct tls *t)
{
	return t->verify;
}

const char *
tls_sni(const struct tls *t)
{
	return SSL_get_servername(t->ssl, TLSEXT_NAMETYPE_host_name);
}

const char *
tls_alpn(const struct tls *t)
{
	const unsigned char *p;
	unsigned int n;

	/* http/1.1 is the only protocol either side ever agrees to. */
	SSL_get0_alpn_selected(t->ssl, &p, &n);
	if (p != NULL && n == 8 && memcmp(p, "http/1.1", 8) == 0)
		return "http/1.1";
	return NULL;
}

const char *
tls_version(const struct tls *t)
{
	return SSL_get_version(t->ssl);
}

const char *
tls_cipher(const struct tls *t)
{
	const SSL_CIPHER *c = SSL_get_current_cipher(t->ssl);

	return c != NULL ? SSL_CIPHER_standard_name(c) : NULL;
}

int
tls_resumed(const struct tls *t)
{
	return SSL_session_reused(t->ssl);
}

int
tls_ktls_send(const struct tls *t)
{
#if OPENSSL_VERSION_NUMBER >= 0x30000000L && !defined(OPENSSL_NO_KTLS)
	return BIO_get_ktls_send(SSL_get_wbio(t->ssl)) ? 1 : 0;
#else
	return 0;
#endif
}

const char *
tls_sendfile_path(void)
{
	return tls_sf_path;
}

/*
 * Can kernel TLS carry sendfile here?  The library must have it, and the
 * kernel its "tls" upper layer protocol: on an unconnected TCP socket,
 * setsockopt(TCP_ULP) fails with ENOENT when the kernel has no tls
 * module, and with ENOTCONN once it found one.
 */
void
tls_ktls_probe(void)
{
#if OPENSSL_VERSION_NUMBER >= 0x30000000L && !defined(OPENSSL_NO_KTLS)
	int fd, rc, e;

	if (OpenSSL_version_num() < 0x30000000L) {
		snprintf(tls_sf_path, sizeof(tls_sf_path), "userspace copy "
		    "(the OpenSSL library is older than 3.0)");
		return;
	}
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		snprintf(tls_sf_path, sizeof(tls_sf_path), "userspace copy "
		    "(socket: %s)", strerror(errno));
		return;
	}
	rc = setsockopt(fd, SOL_TCP, TCP_ULP, "tls", 3);
	e = errno;
	close(fd);
	if (rc == 0 || e == ENOTCONN) {
		snprintf(tls_sf_path, sizeof(tls_sf_path), "kernel TLS "
		    "(SSL_sendfile) where a connection's cipher allows it");
		return;
	}
	tls_ktls_ok = 0;
	snprintf(tls_sf_path, sizeof(tls_sf_path), "userspace copy (the "
	    "kernel has no tls ULP: setsockopt TCP_ULP: %s)", strerror(e));
#else
	snprintf(tls_sf_path, sizeof(tls_sf_path), "userspace copy "
	    "(OpenSSL was built without kernel TLS)");
#endif
}
