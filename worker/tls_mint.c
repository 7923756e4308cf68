/*
 * tls_mint.c -- certificates for bumped CONNECTs (see tls.h): the
 * worker's key pair, leaf certificates minted for a host name and signed
 * by the operator's CA, a bounded LRU cache of them, and the handshake
 * callbacks that check the client's SNI and hand OpenSSL the certificate.
 *
 * Runs in the workers (the master only builds struct tls_mint, in
 * tls_conf.c, and never mints).
 *
 * A minted certificate (RFC 5280), nothing taken from the origin's:
 *	version 3, a random 127-bit serial (§4.1.2.2: positive, <= 20 bytes)
 *	issuer	the CA's subject
 *	subject	CN=<host> (empty for names over 64 bytes, ub-common-name)
 *	validity from an hour ago (clock skew) to TLS_MINT_DAYS days on,
 *		clipped to the CA's own validity
 *	key	the worker's EC P-256 key
 *	basicConstraints critical CA:FALSE; keyUsage critical
 *	digitalSignature (ECDHE signing, §4.2.1.3); extendedKeyUsage
 *	serverAuth; subjectAltName DNS:<host> or IP:<addr> (critical when
 *	the subject is empty, §4.2.1.6); subject and authority key ids.
 *	Signed with SHA-256 (nothing for an Ed25519 CA key).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/socket.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "sl.h"
#include "tls.h"
#include "tls_int.h"

/*
 * A name we mint for: an IP literal, or a DNS name of LDH labels
 * (RFC 1123 §2.1), 1..63 bytes each, 253 in all, the last one not all
 * digits (it would read as an address); no wildcard; one trailing dot
 * ignored.  Written to @p out in lower case (the cache key and the SAN).
 * @return 1 a name, 2 an IP literal (brackets dropped), 0 neither.
 */
static int
tls_mint_host(const char *host, char *out, size_t size)
{
	unsigned char a[16];
	size_t len = strlen(host), i, label = 0, digits = 0;
	int family;
	char c;

	if (len > 0 && host[len - 1] == '.')
		len--;
	if (len == 0 || len > TLS_HOST_MAX || len >= size)
		return 0;
	memcpy(out, host, len);
	out[len] = '\0';
	if (tls_host_ip(out, a, &family)) {
		if (out[0] == '[') {
			memmove(out, out + 1, len - 2);
			out[len - 2] = '\0';
		}
		return 2;
	}
	for (i = 0; i < len; i++) {
		c = host[i];
		if (c == '.') {
			if (label == 0)
				return 0;
			label = digits = 0;
		} else if ((c >= 'a' && c <= 'z') || c == '-') {
			label++;
		} else if (c >= '0' && c <= '9') {
			label++;
			digits++;
		} else if (c >= 'A' && c <= 'Z') {
			c = (char)(c - 'A' + 'a');
			label++;
		} else
			return 0;
		if (label > 63)
			return 0;
		out[i] = c;
	}
	if (label == 0 || digits == label)
		return 0;
	return 1;
}

static uint32_t
tls_mint_hash(const char *s)
{
	uint32_t h = 2166136261u;	/* FNV-1a 32 */

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 16777619u;
	}
	return h;
}

int
tls_mint_keygen(struct tls_mint *m)
{
	EVP_PKEY_CTX *kc;
	EVP_PKEY *k = NULL;

	if (m->key != NULL)
		return 0;
	ERR_clear_error();
	if ((kc = EVP_PKEY_CTX_new_id(EVP_PKEY_EC, NULL)) == NULL)
		return -1;
	if (EVP_PKEY_keygen_init(kc) != 1 ||
	    EVP_PKEY_CTX_set_ec_paramgen_curve_nid(kc,
	    NID_X9_62_prime256v1) != 1 || EVP_PKEY_keygen(kc, &k) != 1) {
		EVP_PKEY_CTX_free(kc);
		ERR_clear_error();
		return -1;
	}
	EVP_PKEY_CTX_free(kc);
	m->key = k;
	return 0;
}

/* One extension from its OpenSSL configuration string. */
static int
tls_mint_ext(X509 *x, X509V3_CTX *xc, int nid, const char *value)
{
	X509_EXTENSION *e;
	int ok;

	if ((e = X509V3_EXT_conf_nid(NULL, xc, nid, value)) == NULL)
		return -1;
	ok = X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
	return ok == 1 ? 0 : -1;
}

/* Mint the certificate for @p name (checked by tls_mint_host()). */
static X509 *
tls_mint_make(struct tls_mint *m, const char *name, int ip, time_t now,
    time_t *not_after)
{
	unsigned char serial[16];
	char san[TLS_HOST_MAX + 8];
	X509V3_CTX xc;
	X509_NAME *subj = NULL;
	BIGNUM *bn = NULL;
	time_t nb, na;
	X509 *x;

	if (m->key == NULL && tls_mint_keygen(m) == -1)
		return NULL;
	ERR_clear_error();
	if ((x = X509_new()) == NULL)
		return NULL;
	if (X509_set_version(x, 2) != 1)
		goto fail;
	/* Random, positive, never zero: 127 bits. */
	if (RAND_bytes(serial, sizeof(serial)) != 1)
		goto fail;
	serial[0] &= 0x7f;
	serial[0] |= 0x01;
	if ((bn = BN_bin2bn(serial, sizeof(serial), NULL)) == NULL ||
	    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) == NULL)
		goto fail;
	if (X509_set_issuer_name(x, X509_get_subject_name(m->ca)) != 1)
		goto fail;
	if ((subj = X509_NAME_new()) == NULL)
		goto fail;
	if (strlen(name) <= 64 && X509_NAME_add_entry_by_NID(subj,
	    NID_commonName, MBSTRING_ASC, (const unsigned char *)name, -1, -1,
	    0) != 1)
		goto fail;
	if (X509_set_subject_name(x, subj) != 1)
		goto fail;
	/* Never outside the CA's own validity. */
	nb = now - 3600;
	if (nb < m->ca_not_before)
		nb = m->ca_not_before;
	na = now + (time_t)TLS_MINT_DAYS * 86400;
	if (na > m->ca_not_after)
		na = m->ca_not_after;
	if (X509_time_adj_ex(X509_getm_notBefore(x), 0, 0, &nb) == NULL ||
	    X509_time_adj_ex(X509_getm_notAfter(x), 0, 0, &na) == NULL)
		goto fail;
	if (X509_set_pubkey(x, m->key) != 1)
		goto fail;
	X509V3_set_ctx(&xc, m->ca, x, NULL, NULL, 0);
	/* @p name is LDH or an IP literal: nothing the parser would read
	   as a separator. */
	snprintf(san, sizeof(san), "%s%s:%s", X509_NAME_entry_count(subj) ==
	    0 ? "critical," : "", ip ? "IP" : "DNS", name);
	if (tls_mint_ext(x, &xc, NID_basic_constraints, "critical,CA:FALSE") ||
	    tls_mint_ext(x, &xc, NID_key_usage,
	    "critical,digitalSignature") ||
	    tls_mint_ext(x, &xc, NID_ext_key_usage, "serverAuth") ||
	    tls_mint_ext(x, &xc, NID_subject_alt_name, san) ||
	    tls_mint_ext(x, &xc, NID_subject_key_identifier, "hash") ||
	    tls_mint_ext(x, &xc, NID_authority_key_identifier,
	    "keyid:always"))
		goto fail;
	if (X509_sign(x, m->ca_key, m->md) <= 0)
		goto fail;
	X509_NAME_free(subj);
	BN_free(bn);
	*not_after = na;
	return x;
fail:
	ERR_clear_error();
	X509_NAME_free(subj);
	BN_free(bn);
	X509_free(x);
	return NULL;
}

/* Off the LRU list only. */
static void
tls_mint_lru_unlink(struct tls_mint *m, struct tls_mint_entry *e)
{
	if (e->prev != NULL)
		e->prev->next = e->next;
	else
		m->head = e->next;
	if (e->next != NULL)
		e->next->prev = e->prev;
	else
		m->tail = e->prev;
}

/* Out of the cache (the caller frees it). */
static void
tls_mint_unlink(struct tls_mint *m, struct tls_mint_entry *e)
{
	struct tls_mint_entry **pp;

	for (pp = &m->buckets[e->hash & (m->nbuckets - 1)]; *pp != e;
	    pp = &(*pp)->hnext)
		continue;
	*pp = e->hnext;
	tls_mint_lru_unlink(m, e);
	m->count--;
}

static void
tls_mint_front(struct tls_mint *m, struct tls_mint_entry *e)
{
	e->prev = NULL;
	e->next = m->head;
	if (m->head != NULL)
		m->head->prev = e;
	m->head = e;
	if (m->tail == NULL)
		m->tail = e;
}

void *
tls_mint_cert(struct tls_mint *m, const char *host)
{
	struct tls_mint_entry *e, **b;
	char name[TLS_HOST_MAX + 1];
	time_t now = time(NULL), na;
	uint32_t h;
	size_t n;
	X509 *x;
	int kind;

	if ((kind = tls_mint_host(host, name, sizeof(name))) == 0)
		return NULL;
	if (m->nbuckets == 0) {
		/* First use in this worker: about one bucket per entry. */
		for (n = 16; n < m->cap && n < ((size_t)1 << 20); n <<= 1)
			continue;
		if ((m->buckets = calloc(n, sizeof(*m->buckets))) == NULL)
			return NULL;
		m->nbuckets = n;
	}
	h = tls_mint_hash(name);
	for (e = m->buckets[h & (m->nbuckets - 1)]; e != NULL; e = e->hnext)
		if (e->hash == h && strcmp(e->host, name) == 0)
			break;
	/* Kept while it has an hour left (or cannot have more: the CA). */
	if (e != NULL && (e->not_after > now + 3600 ||
	    e->not_after >= m->ca_not_after)) {
		if (m->head != e) {
			tls_mint_lru_unlink(m, e);
			tls_mint_front(m, e);
		}
		return e->cert;
	}
	if (e != NULL) {
		tls_mint_unlink(m, e);
		X509_free(e->cert);
		free(e);
	}
	if ((x = tls_mint_make(m, name, kind == 2, now, &na)) == NULL)
		return NULL;
	if ((e = calloc(1, sizeof(*e) + strlen(name) + 1)) == NULL) {
		X509_free(x);
		return NULL;
	}
	e->cert = x;
	e->not_after = na;
	e->hash = h;
	strcpy(e->host, name);
	b = &m->buckets[h & (m->nbuckets - 1)];
	e->hnext = *b;
	*b = e;
	tls_mint_front(m, e);
	m->count++;
	/* Bounded: the least recently used goes. */
	while (m->count > m->cap && m->tail != NULL && m->tail != e) {
		struct tls_mint_entry *old = m->tail;

		tls_mint_unlink(m, old);
		X509_free(old->cert);
		free(old);
	}
	return x;
}

void
tls_mint_cache_free(struct tls_mint *m)
{
	struct tls_mint_entry *e, *next;

	for (e = m->head; e != NULL; e = next) {
		next = e->next;
		X509_free(e->cert);
		free(e);
	}
	free(m->buckets);
	m->buckets = NULL;
	m->nbuckets = 0;
	m->head = m->tail = NULL;
	m->count = 0;
}

size_t
tls_mint_count(const struct tls_mint *m)
{
	return m->count;
}

size_t
tls_mint_capacity(const struct tls_mint *m)
{
	return m->cap;
}

int
tls_bump_accept(struct tls_mint *m, int fd, const char *connect_host,
    struct tls **out)
{
	struct tls *t;
	size_t len = strlen(connect_host);

	if (len == 0 || len > TLS_HOST_MAX)
		return SL_ERROR;
	if ((t = tls_new(m->ctx, fd, 1)) == NULL)
		return SL_ERROR;
	memcpy(t->host, connect_host, len + 1);
	t->mint = m;
	*out = t;
	return SL_OK;
}

/*
 * SNI (RFC 6066 §3), at the ClientHello: a client asking for another
 * name than its CONNECT named is refused with unrecognized_name; the
 * certificate would otherwise be for a name the ACLs never saw.
 */
int
tls_mint_servername_cb(SSL *ssl, int *alert, void *arg)
{
	struct tls *t = SSL_get_app_data(ssl);
	const char *sni = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);

	if (t == NULL || t->mint == NULL || sni == NULL)
		return SSL_TLSEXT_ERR_OK;
	if (!tls_host_same(sni, t->host)) {
		t->err = TLS_E_SNI;
		snprintf(t->reason, sizeof(t->reason), "SNI %.64s is not the "
		    "CONNECT host %.64s", sni, t->host);
		*alert = SSL_AD_UNRECOGNIZED_NAME;
		return SSL_TLSEXT_ERR_ALERT_FATAL;
	}
	return SSL_TLSEXT_ERR_OK;
}

/* After the ClientHello: the certificate for the CONNECT host. */
int
tls_mint_cert_cb(SSL *ssl, void *arg)
{
	struct tls *t = SSL_get_app_data(ssl);
	struct tls_mint *m;
	X509 *x;

	if (t == NULL || (m = t->mint) == NULL)
		return 0;
	if ((x = tls_mint_cert(m, t->host)) == NULL) {
		t->err = TLS_E_MINT;
		snprintf(t->reason, sizeof(t->reason), "no certificate could "
		    "be made for %.64s", t->host);
		return 0;
	}
	ERR_clear_error();
	if (SSL_use_certificate(ssl, x) != 1 ||
	    SSL_use_PrivateKey(ssl, m->key) != 1 ||
	    (m->chain != NULL && SSL_set1_chain(ssl, m->chain) != 1)) {
		t->err = TLS_E_MINT;
		snprintf(t->reason, sizeof(t->reason), "the certificate "
		    "minted for %.64s was refused by OpenSSL", t->host);
		return 0;
	}
	return 1;
}
