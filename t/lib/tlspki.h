/*
 * tlspki.h -- a test PKI made at test time with the OpenSSL API: a test
 * CA, a second CA nobody trusts, and leaf certificates good and bad, as
 * PEM files in a directory and as OpenSSL objects.
 *
 * Runs in the test process (unit and integration tests).  Every key is
 * EC P-256 (fast to make) except the RSA-1024 leaf; every leaf is issued
 * for "origin.test" unless its name says otherwise:
 *
 *	TLSPKI_GOOD		DNS:origin.test, DNS:*.wild.test,
 *				IP:127.0.0.1, IP:::1; serverAuth
 *	TLSPKI_EXPIRED		valid from 30 days ago to yesterday
 *	TLSPKI_NOT_YET		valid from tomorrow
 *	TLSPKI_WRONG_NAME	DNS:other.test only
 *	TLSPKI_SELF_SIGNED	its own issuer
 *	TLSPKI_UNTRUSTED	issued by the other CA
 *	TLSPKI_IP		IP:127.0.0.1 and IP:::1 only
 *	TLSPKI_CN_ONLY		CN=origin.test and no subjectAltName
 *	TLSPKI_SHA1		signed with SHA-1
 *	TLSPKI_CLIENT_EKU	extendedKeyUsage clientAuth only
 *	TLSPKI_RSA1024		an RSA key of 1024 bits
 *	TLSPKI_NOT_CA		a CA-looking cert without CA:TRUE (for
 *				"ssl-bump tls-cert= is not a CA")
 *
 * Files (in the directory given to tlspki_make()): ca.pem ca.key
 * other-ca.pem other-ca.key, and NAME.pem NAME.key for each leaf, NAME
 * being tlspki_name(); keys unencrypted, mode 0600; plus enc.key (the
 * good key encrypted with the passphrase "secret").
 *
 * Caveats:
 *  - The CA is valid from a day ago for ten years; it is marked CA:TRUE
 *    pathlen:0 with keyCertSign, like the one `sluice -C` makes.
 *  - Objects are owned by the struct until tlspki_free().
 */
#ifndef SLUICE_TLSPKI_H
#define SLUICE_TLSPKI_H

#include <openssl/ssl.h>
#include <openssl/x509.h>

enum tlspki_leaf {
	TLSPKI_GOOD = 0,
	TLSPKI_EXPIRED,
	TLSPKI_NOT_YET,
	TLSPKI_WRONG_NAME,
	TLSPKI_SELF_SIGNED,
	TLSPKI_UNTRUSTED,
	TLSPKI_IP,
	TLSPKI_CN_ONLY,
	TLSPKI_SHA1,
	TLSPKI_CLIENT_EKU,
	TLSPKI_RSA1024,
	TLSPKI_NOT_CA,
	TLSPKI_NLEAF
};

struct tlspki {
	char		 dir[256];
	char		 ca_pem[300], ca_key[300];
	char		 other_pem[300], other_key[300];
	char		 pem[TLSPKI_NLEAF][300], key[TLSPKI_NLEAF][300];
	char		 enc_key[300];		/* TLSPKI_GOOD's, encrypted */
	X509		*ca, *other;
	EVP_PKEY	*ca_pkey, *other_pkey;
	X509		*cert[TLSPKI_NLEAF];
	EVP_PKEY	*pkey[TLSPKI_NLEAF];
};

/**
 * @brief Make the PKI and write it to @p dir (which must exist).
 * @return 0, or -1 (diagnosed).
 * @note Partner: tlspki_free(); the files stay (the test's temp dir).
 */
int	tlspki_make(struct tlspki *p, const char *dir);
/** @brief Free the objects. */
void	tlspki_free(struct tlspki *p);
/** @return the file name stem of @p leaf ("good", "expired"...). */
const char *tlspki_name(int leaf);

/**
 * @brief A plain OpenSSL server context presenting @p leaf (any TLS
 *	version 1.0..1.3 and OpenSSL's default suites at security level 0,
 *	so that only the side under test decides).
 * @return the context (SSL_CTX_free()), or NULL.
 */
SSL_CTX	*tlspki_server_ctx(const struct tlspki *p, int leaf);
/**
 * @brief A plain OpenSSL client context that trusts the test CA and
 *	verifies (peer, name set per SSL by the caller).
 */
SSL_CTX	*tlspki_client_ctx(const struct tlspki *p);

/**
 * @brief Make a CA (EC P-256, self-signed) with @p cn and write it to
 *	@p pem and @p key; for tests that need a CA of their own.
 * @return 0, or -1.
 */
int	tlspki_make_ca(const char *cn, const char *pem, const char *key,
	    X509 **cert, EVP_PKEY **pkey);
/** @brief tlspki_make_ca() valid for @p days from now (from a day ago). */
int	tlspki_make_ca_days(const char *cn, const char *pem, const char *key,
	    int days, X509 **cert, EVP_PKEY **pkey);

#endif
