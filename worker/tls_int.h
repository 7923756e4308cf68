/*
 * tls_int.h -- private to worker/tls.c, tls_conf.c and tls_mint.c: the
 * structs behind tls.h's opaque types.  Nothing else includes it.
 *
 * Ownership: tls_conf.c builds every struct here in the master and frees
 * it (tls_conf_free()); tls.c makes and frees struct tls; tls_mint.c owns
 * the minted-certificate cache, which fills in each worker after fork.
 */
#ifndef SLUICE_TLS_INT_H
#define SLUICE_TLS_INT_H

#include <stdint.h>
#include <time.h>

#include <openssl/ssl.h>
#include <openssl/x509.h>

#define TLS_MAGIC		0x544c5321u
#define TLS_HOST_MAX		253	/* a DNS name (RFC 1035 §2.3.4) */
#define TLS_REASON_MAX		160
#define TLS_CLIENT_SESSIONS	128	/* origin sessions kept per worker */
#define TLS_SERVER_SESSIONS	20000	/* server session cache per worker */
#define TLS_SESSION_TIMEOUT	3600	/* seconds a session may be resumed */
/*
 * What one minted certificate costs in the cache: the X509 as OpenSSL
 * holds it (about 2.5 KB for a P-256 leaf, measured in t/unit-tls) plus
 * the entry; dynamic_cert_mem_cache_size / this = the most kept.
 */
#define TLS_MINT_ENTRY_COST	4096
#define TLS_MINT_DAYS		30	/* minted validity, at most */

/* struct tls flags */
#define TLS_F_SERVER		0x01	/* accepted, not connected */
#define TLS_F_DONE		0x02	/* handshake completed */
#define TLS_F_FATAL		0x04	/* an SL_ERROR was returned */
#define TLS_F_EOF		0x08	/* close_notify received */

struct tls_mint;
struct tls_client;

struct tls {
	unsigned		 magic;
	SSL			*ssl;
	int			 fd;
	int			 flags;
	enum tls_want		 want;
	int			 err;		/* enum tls_error */
	long			 verify;	/* first X509_V_ERR_*, 0 none */
	int			 verify_depth;
	size_t			 sf_pending;	/* tls_sendfile: bytes to repeat */
	struct tls_mint		*mint;		/* bump: where certificates
						   come from */
	struct tls_client	*cc;		/* connect: session table */
	unsigned		 port;		/* connect: origin port */
	char			 host[TLS_HOST_MAX + 1];	/* CONNECT host
						   or origin host */
	char			 reason[TLS_REASON_MAX];
};

struct tls_server {
	SSL_CTX			*ctx;
	char			 name[96];	/* "https_port ADDR", for logs */
};

/* One remembered origin session (tls_client). */
struct tls_session {
	SSL_SESSION		*sess;		/* NULL: free slot */
	uint64_t		 hash;
	uint64_t		 used;		/* tick of the last store */
	char			 key[TLS_HOST_MAX + 8];	/* "host:port" */
};

struct tls_client {
	SSL_CTX			*ctx;
	struct tls_session	 sessions[TLS_CLIENT_SESSIONS];
	uint64_t		 tick;
};

/* One minted certificate in a worker's cache (tls_mint.c). */
struct tls_mint_entry {
	struct tls_mint_entry	*hnext;		/* hash chain */
	struct tls_mint_entry	*prev, *next;	/* LRU, most recent first */
	X509			*cert;
	time_t			 not_after;
	uint32_t		 hash;
	char			 host[];
};

struct tls_mint {
	SSL_CTX			*ctx;		/* server side, no certificate:
						   the cert callback sets it */
	X509			*ca;
	STACK_OF(X509)		*chain;		/* sent after the leaf: the CA
						   and its chain when the CA
						   is not self-signed */
	EVP_PKEY		*ca_key;
	const EVP_MD		*md;		/* NULL for Ed25519 keys */
	time_t			 ca_not_before, ca_not_after;
	EVP_PKEY		*key;		/* the worker's, after fork */
	/* The cache: a hash of buckets and an LRU list. */
	struct tls_mint_entry	**buckets;
	size_t			 nbuckets;	/* a power of two, 0 until used */
	struct tls_mint_entry	*head, *tail;
	size_t			 count, cap;
	char			 name[96];	/* "http_port ADDR", for logs */
};

/* tls.c, for tls_conf.c and tls_mint.c */
int	tls_ctx_policy(SSL_CTX *ctx, int min_version, int server);
int	tls_client_session_new(SSL *ssl, SSL_SESSION *sess);
int	tls_verify_cb(int ok, X509_STORE_CTX *xs);
int	tls_host_ip(const char *host, unsigned char *addr, int *family);
int	tls_alpn_select(SSL *ssl, const unsigned char **out,
	    unsigned char *outlen, const unsigned char *in, unsigned int inlen,
	    void *arg);
struct tls *tls_new(SSL_CTX *ctx, int fd, int server);
void	tls_ktls_probe(void);

/* tls_mint.c, for tls_conf.c and tls.c */
int	tls_mint_servername_cb(SSL *ssl, int *alert, void *arg);
int	tls_mint_cert_cb(SSL *ssl, void *arg);
int	tls_mint_keygen(struct tls_mint *m);
void	tls_mint_cache_free(struct tls_mint *m);

#endif
