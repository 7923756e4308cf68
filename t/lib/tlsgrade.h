/*
 * tlsgrade.h -- grade the two sides of a TLS proxy: what a TLS server
 * accepts (offer it one protocol version and one cipher suite at a time)
 * and what a TLS client offers (capture its ClientHello).  For "never
 * weaker than the direct connection" (issue 13): a bumping proxy's
 * client-facing side must accept nothing its origin-facing side would
 * not offer, and neither may be weak.
 *
 * Runs in the test process.  Servers are reached on 127.0.0.1:PORT; the
 * capture server runs in a thread of its own.  Every wait is bounded (5 s
 * per probe).
 *
 *	struct tlsgrade_report r;
 *	tlsgrade_server(port, NULL, &r);	every (version, suite) accepted
 *	tlsgrade_weak(&r, buf, sizeof(buf))	the weak ones, if any
 *
 *	struct tlsgrade_capture *c = tlsgrade_capture_start();
 *	... a client connects to 127.0.0.1:tlsgrade_capture_port(c) ...
 *	tlsgrade_capture_finish(c, &hello);	what it offered
 *
 * Probes are made with the local OpenSSL at security level 0, so they
 * can offer everything it still implements: TLS 1.0 to 1.3, every suite
 * of `openssl ciphers ALL:COMPLEMENTOFALL:@SECLEVEL=0` (static RSA, DHE,
 * CBC, SHA-1 MACs, 3DES...).  Suites the library no longer has cannot be
 * offered; the ones a TLS 1.2 server would pick from are all there.
 */
#ifndef SLUICE_TLSGRADE_H
#define SLUICE_TLSGRADE_H

#include <stdint.h>

#define TLSGRADE_MAX	256

struct tlsgrade_result {
	int		 ok;		/* the handshake completed */
	int		 version;	/* negotiated, e.g. 0x0303 */
	char		 cipher[64];	/* negotiated, standard name */
	char		 error[128];	/* why not, when !ok */
};

/**
 * @brief One handshake to 127.0.0.1:@p port offering exactly protocol
 *	@p version (0x0301..0x0304) and @p ciphers (an OpenSSL cipher list
 *	for 1.0..1.2, a TLS 1.3 ciphersuites list for 1.3), SNI @p sni
 *	(NULL: none).  The certificate is not verified: only what the
 *	server accepts is graded.
 * @return 0 (see @p r->ok), -1 when the server could not be reached.
 */
int	tlsgrade_probe(int port, int version, const char *ciphers,
	    const char *sni, struct tlsgrade_result *r);

struct tlsgrade_report {
	int		 n;
	struct {
		int	 version;
		char	 cipher[64];
	}		 acc[TLSGRADE_MAX];
	int		 probes;	/* handshakes tried */
};

/**
 * @brief Reach the server through a proxy from now on: each probe first
 *	sends "CONNECT @p target" to 127.0.0.1:port and waits for its 2xx
 *	(bounded), then speaks TLS, as a client of a bumping proxy does.
 * @param[in] target  "host:port", copied; NULL: straight to the port.
 */
void	tlsgrade_via_connect(const char *target);

/**
 * @brief Offer the server every version, and for each every suite, one
 *	at a time; record what it accepted.
 * @return 0, or -1 when the server could not be reached.
 */
int	tlsgrade_server(int port, const char *sni, struct tlsgrade_report *r);

/**
 * @brief Is (@p version, @p cipher) weak: below TLS 1.2, or a TLS 1.2
 *	suite without ECDHE/DHE forward secrecy or without an AEAD?
 */
int	tlsgrade_is_weak(int version, const char *cipher);

/**
 * @brief The weak entries of @p r, as "TLSv1.0/ECDHE-RSA-AES128-SHA ...".
 * @return how many.
 */
int	tlsgrade_weak(const struct tlsgrade_report *r, char *buf, size_t size);

/** What a client offered in its ClientHello. */
struct tlsgrade_hello {
	int		 got;		/* a ClientHello arrived */
	int		 versions[8];	/* supported_versions, or the legacy
					   version when absent */
	int		 nversions;
	uint16_t	 ciphers[128];	/* IANA code points */
	int		 nciphers;
	char		 cipher_names[128][64];	/* standard names, "" unknown */
	uint16_t	 sigalgs[64];
	int		 nsigalgs;
	uint16_t	 groups[32];
	int		 ngroups;
	char		 sni[256];	/* "" when none */
	char		 alpn[64];	/* the first protocol offered */
};

struct tlsgrade_capture;

/**
 * @brief Listen on 127.0.0.1:0 in a thread; the first connection's
 *	ClientHello is recorded, then the handshake is refused.
 * @note Partner: tlsgrade_capture_finish().
 */
struct tlsgrade_capture *tlsgrade_capture_start(void);
int	tlsgrade_capture_port(const struct tlsgrade_capture *c);
/**
 * @brief Stop the thread and free @p c; call it once the client's
 *	handshake has ended (it is refused after the ClientHello).
 * @return 0 and @p h filled, or -1 when no ClientHello came.
 */
int	tlsgrade_capture_finish(struct tlsgrade_capture *c,
	    struct tlsgrade_hello *h);

/** @brief The standard name of suite @p id, or NULL when unknown. */
const char *tlsgrade_suite_name(uint16_t id);

#endif
