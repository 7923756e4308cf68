/*
 * tlspki.c -- the test PKI (see tlspki.h).  Runs in the test process.
 */
#include <sys/stat.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>

#include "tap.h"
#include "tlspki.h"

static const char *const tlspki_names[TLSPKI_NLEAF] = {
	[TLSPKI_GOOD] = "good",
	[TLSPKI_EXPIRED] = "expired",
	[TLSPKI_NOT_YET] = "not-yet",
	[TLSPKI_WRONG_NAME] = "wrong-name",
	[TLSPKI_SELF_SIGNED] = "self-signed",
	[TLSPKI_UNTRUSTED] = "untrusted",
	[TLSPKI_IP] = "ip",
	[TLSPKI_CN_ONLY] = "cn-only",
	[TLSPKI_SHA1] = "sha1",
	[TLSPKI_CLIENT_EKU] = "client-eku",
	[TLSPKI_RSA1024] = "rsa1024",
	[TLSPKI_NOT_CA] = "not-ca",
};

const char *
tlspki_name(int leaf)
{
	return leaf >= 0 && leaf < TLSPKI_NLEAF ? tlspki_names[leaf] : "?";
}

static EVP_PKEY *
tlspki_key(int rsa_bits)
{
	EVP_PKEY_CTX *kc;
	EVP_PKEY *k = NULL;

	kc = EVP_PKEY_CTX_new_id(rsa_bits ? EVP_PKEY_RSA : EVP_PKEY_EC, NULL);
	if (kc == NULL || EVP_PKEY_keygen_init(kc) != 1)
		goto out;
	if (rsa_bits ? EVP_PKEY_CTX_set_rsa_keygen_bits(kc, rsa_bits) != 1 :
	    EVP_PKEY_CTX_set_ec_paramgen_curve_nid(kc,
	    NID_X9_62_prime256v1) != 1)
		goto out;
	if (EVP_PKEY_keygen(kc, &k) != 1)
		k = NULL;
out:
	EVP_PKEY_CTX_free(kc);
	return k;
}

static int
tlspki_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX xc;
	X509_EXTENSION *e;
	int ok;

	X509V3_set_ctx(&xc, issuer, x, NULL, NULL, 0);
	if ((e = X509V3_EXT_conf_nid(NULL, &xc, nid, value)) == NULL)
		return -1;
	ok = X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
	return ok == 1 ? 0 : -1;
}

/*
 * One certificate: @p cn, validity [now + nb, now + na] (seconds), the
 * extensions in @p exts (NID, value pairs, 0-terminated), issued by
 * @p issuer/@p ikey (NULL: self-signed) with @p md.
 */
static X509 *
tlspki_cert(const char *cn, long nb, long na, EVP_PKEY *key, X509 *issuer,
    EVP_PKEY *ikey, const EVP_MD *md, const int *nids,
    const char *const *values)
{
	static long serial = 1000;
	X509_NAME *n;
	X509 *x;
	int i;

	if ((x = X509_new()) == NULL)
		return NULL;
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
	X509_gmtime_adj(X509_getm_notBefore(x), nb);
	X509_gmtime_adj(X509_getm_notAfter(x), na);
	X509_set_pubkey(x, key);
	n = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC,
	    (const unsigned char *)"sluice tests", -1, -1, 0);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
	    (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, issuer != NULL ? X509_get_subject_name(issuer) :
	    n);
	for (i = 0; nids[i] != 0; i++)
		if (tlspki_ext(x, issuer != NULL ? issuer : x, nids[i],
		    values[i]) == -1)
			goto fail;
	if (X509_sign(x, ikey != NULL ? ikey : key, md) <= 0)
		goto fail;
	return x;
fail:
	X509_free(x);
	return NULL;
}

static int
tlspki_write(const char *pem, const char *keyp, X509 *x, EVP_PKEY *k,
    const char *pass)
{
	FILE *fp;
	int fd, ok;

	if ((fp = fopen(pem, "w")) == NULL)
		return -1;
	ok = PEM_write_X509(fp, x);
	fclose(fp);
	if (!ok || keyp == NULL)
		return ok ? 0 : -1;
	if ((fd = open(keyp, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1 ||
	    (fp = fdopen(fd, "w")) == NULL)
		return -1;
	ok = PEM_write_PrivateKey(fp, k, pass != NULL ? EVP_aes_128_cbc() :
	    NULL, NULL, 0, NULL, (void *)pass);
	fclose(fp);
	return ok ? 0 : -1;
}

static const int ca_nids[] = { NID_basic_constraints, NID_key_usage,
    NID_subject_key_identifier, 0 };
static const char *const ca_vals[] = { "critical,CA:TRUE,pathlen:0",
    "critical,keyCertSign,cRLSign", "hash" };

int
tlspki_make_ca(const char *cn, const char *pem, const char *key,
    X509 **cert, EVP_PKEY **pkey)
{
	return tlspki_make_ca_days(cn, pem, key, 3650, cert, pkey);
}

int
tlspki_make_ca_days(const char *cn, const char *pem, const char *key,
    int days, X509 **cert, EVP_PKEY **pkey)
{
	EVP_PKEY *k;
	X509 *x;

	if ((k = tlspki_key(0)) == NULL)
		return -1;
	x = tlspki_cert(cn, -86400, (long)days * 86400, k, NULL, NULL,
	    EVP_sha256(), ca_nids, ca_vals);
	if (x == NULL || tlspki_write(pem, key, x, k, NULL) == -1) {
		X509_free(x);
		EVP_PKEY_free(k);
		return -1;
	}
	*cert = x;
	*pkey = k;
	return 0;
}

int
tlspki_make(struct tlspki *p, const char *dir)
{
	static const int leaf_nids[] = { NID_basic_constraints, NID_key_usage,
	    NID_ext_key_usage, NID_subject_alt_name,
	    NID_subject_key_identifier, NID_authority_key_identifier, 0 };
	const char *vals[6];
	X509 *issuer;
	EVP_PKEY *ikey;
	const EVP_MD *md;
	long nb, na;
	int i;

	memset(p, 0, sizeof(*p));
	snprintf(p->dir, sizeof(p->dir), "%s", dir);
	snprintf(p->ca_pem, sizeof(p->ca_pem), "%s/ca.pem", dir);
	snprintf(p->ca_key, sizeof(p->ca_key), "%s/ca.key", dir);
	snprintf(p->other_pem, sizeof(p->other_pem), "%s/other-ca.pem", dir);
	snprintf(p->other_key, sizeof(p->other_key), "%s/other-ca.key", dir);
	snprintf(p->enc_key, sizeof(p->enc_key), "%s/enc.key", dir);
	if (tlspki_make_ca("sluice test CA", p->ca_pem, p->ca_key, &p->ca,
	    &p->ca_pkey) == -1 || tlspki_make_ca("untrusted test CA",
	    p->other_pem, p->other_key, &p->other, &p->other_pkey) == -1) {
		diag("tlspki: cannot make the CAs");
		goto fail;
	}
	for (i = 0; i < TLSPKI_NLEAF; i++) {
		snprintf(p->pem[i], sizeof(p->pem[i]), "%s/%s.pem", dir,
		    tlspki_names[i]);
		snprintf(p->key[i], sizeof(p->key[i]), "%s/%s.key", dir,
		    tlspki_names[i]);
		vals[0] = "critical,CA:FALSE";
		vals[1] = "critical,digitalSignature,keyEncipherment";
		vals[2] = "serverAuth";
		vals[3] = "DNS:origin.test";
		vals[4] = "hash";
		vals[5] = "keyid:always";
		nb = -3600;
		na = 90L * 86400;
		issuer = p->ca;
		ikey = p->ca_pkey;
		md = EVP_sha256();
		switch (i) {
		case TLSPKI_GOOD:
			vals[3] = "DNS:origin.test,DNS:*.wild.test,"
			    "IP:127.0.0.1,IP:::1";
			break;
		case TLSPKI_EXPIRED:
			nb = -30L * 86400;
			na = -86400;
			break;
		case TLSPKI_NOT_YET:
			nb = 86400;
			break;
		case TLSPKI_WRONG_NAME:
			vals[3] = "DNS:other.test";
			break;
		case TLSPKI_SELF_SIGNED:
			issuer = NULL;
			ikey = NULL;
			vals[5] = "keyid";	/* its own */
			break;
		case TLSPKI_UNTRUSTED:
			issuer = p->other;
			ikey = p->other_pkey;
			break;
		case TLSPKI_IP:
			vals[3] = "IP:127.0.0.1,IP:::1";
			break;
		case TLSPKI_CN_ONLY:
			vals[3] = NULL;
			break;
		case TLSPKI_SHA1:
			md = EVP_sha1();
			break;
		case TLSPKI_CLIENT_EKU:
			vals[2] = "clientAuth";
			break;
		case TLSPKI_NOT_CA:
			vals[1] = "critical,keyCertSign,cRLSign";
			vals[2] = "serverAuth";
			break;
		default:
			break;
		}
		p->pkey[i] = tlspki_key(i == TLSPKI_RSA1024 ? 1024 : 0);
		if (p->pkey[i] == NULL) {
			diag("tlspki: cannot make the key of %s",
			    tlspki_names[i]);
			goto fail;
		}
		if (vals[3] == NULL) {
			/* No SAN: drop it from the list, keep the rest. */
			static const int cn_nids[] = { NID_basic_constraints,
			    NID_key_usage, NID_ext_key_usage,
			    NID_subject_key_identifier,
			    NID_authority_key_identifier, 0 };
			const char *v2[5] = { vals[0], vals[1], vals[2],
			    vals[4], vals[5] };

			p->cert[i] = tlspki_cert("origin.test", nb, na,
			    p->pkey[i], issuer, ikey, md, cn_nids, v2);
		} else {
			p->cert[i] = tlspki_cert(i == TLSPKI_NOT_CA ?
			    "not a CA" : "origin.test", nb, na, p->pkey[i],
			    issuer, ikey, md, leaf_nids, vals);
		}
		if (p->cert[i] == NULL || tlspki_write(p->pem[i], p->key[i],
		    p->cert[i], p->pkey[i], NULL) == -1) {
			diag("tlspki: cannot make %s", tlspki_names[i]);
			goto fail;
		}
	}
	/* The good key again, encrypted: key files need no passphrase. */
	if (tlspki_write(p->pem[TLSPKI_GOOD], p->enc_key, p->cert[TLSPKI_GOOD],
	    p->pkey[TLSPKI_GOOD], "secret") == -1) {
		diag("tlspki: cannot write enc.key");
		goto fail;
	}
	return 0;
fail:
	ERR_print_errors_fp(stderr);
	tlspki_free(p);
	return -1;
}

void
tlspki_free(struct tlspki *p)
{
	int i;

	X509_free(p->ca);
	X509_free(p->other);
	EVP_PKEY_free(p->ca_pkey);
	EVP_PKEY_free(p->other_pkey);
	for (i = 0; i < TLSPKI_NLEAF; i++) {
		X509_free(p->cert[i]);
		EVP_PKEY_free(p->pkey[i]);
	}
	memset(p->cert, 0, sizeof(p->cert));
	memset(p->pkey, 0, sizeof(p->pkey));
	p->ca = p->other = NULL;
	p->ca_pkey = p->other_pkey = NULL;
}

SSL_CTX *
tlspki_server_ctx(const struct tlspki *p, int leaf)
{
	SSL_CTX *ctx;

	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL)
		return NULL;
	SSL_CTX_set_security_level(ctx, 0);
	SSL_CTX_set_min_proto_version(ctx, TLS1_VERSION);
	SSL_CTX_set_cipher_list(ctx, "DEFAULT:@SECLEVEL=0");
	if (SSL_CTX_use_certificate(ctx, p->cert[leaf]) != 1 ||
	    SSL_CTX_use_PrivateKey(ctx, p->pkey[leaf]) != 1) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

SSL_CTX *
tlspki_client_ctx(const struct tlspki *p)
{
	SSL_CTX *ctx;

	if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL)
		return NULL;
	if (X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx), p->ca) != 1) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	return ctx;
}
