/*
 * tls-ca.c -- `sluice -C DIR [-N NAME]...` makes the operator's CA: an EC
 * P-256 key in a 0600 file, a self-signed CA certificate (CA:TRUE
 * pathlen:0, keyCertSign and cRLSign, three years), name constraints with
 * -N; prints how to use and trust it; never overwrites a CA; and the CA
 * is one `sluice -t` takes for ssl-bump.
 *
 * Integration test: runs the real sluice binary; reads the files with
 * OpenSSL; no traffic.
 */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "harness.h"
#include "tap.h"

static X509 *
read_cert(const char *path)
{
	FILE *fp = fopen(path, "r");
	X509 *x;

	if (fp == NULL)
		return NULL;
	x = PEM_read_X509(fp, NULL, NULL, NULL);
	fclose(fp);
	return x;
}

static EVP_PKEY *
read_key(const char *path)
{
	FILE *fp = fopen(path, "r");
	EVP_PKEY *k;

	if (fp == NULL)
		return NULL;
	k = PEM_read_PrivateKey(fp, NULL, NULL, NULL);
	fclose(fp);
	return k;
}

/*
 * A leaf for @p san signed by the CA (@p ca, @p key), verified against
 * it alone.  @return the X509_V_ERR_* result.
 */
static int
leaf_verify(X509 *ca, EVP_PKEY *key, const char *san)
{
	EVP_PKEY_CTX *kc = EVP_PKEY_CTX_new_id(EVP_PKEY_EC, NULL);
	X509_STORE *st = X509_STORE_new();
	X509_STORE_CTX *xs = X509_STORE_CTX_new();
	X509_EXTENSION *e;
	EVP_PKEY *lk = NULL;
	X509V3_CTX v3;
	X509 *x = X509_new();
	int rc;

	EVP_PKEY_keygen_init(kc);
	EVP_PKEY_CTX_set_ec_paramgen_curve_nid(kc, NID_X9_62_prime256v1);
	EVP_PKEY_keygen(kc, &lk);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
	X509_set_issuer_name(x, X509_get_subject_name(ca));
	X509_gmtime_adj(X509_getm_notBefore(x), -60);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	X509_set_pubkey(x, lk);
	X509V3_set_ctx(&v3, ca, x, NULL, NULL, 0);
	e = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name, san);
	X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
	X509_sign(x, key, EVP_sha256());
	X509_STORE_add_cert(st, ca);
	X509_STORE_CTX_init(xs, st, x, NULL);
	rc = X509_verify_cert(xs) == 1 ? X509_V_OK :
	    X509_STORE_CTX_get_error(xs);
	X509_STORE_CTX_free(xs);
	X509_STORE_free(st);
	X509_free(x);
	EVP_PKEY_free(lk);
	EVP_PKEY_CTX_free(kc);
	ERR_clear_error();
	return rc;
}

int
main(void)
{
	struct harness h;
	struct stat sk, sc, sk2;
	char dir[300], dir2[300], key[400], pem[400], key2[400], pem2[400];
	char conf[400], text[1400], *out;
	const char *args[8];
	X509 *ca, *ca2;
	EVP_PKEY *k, *k2;
	BASIC_CONSTRAINTS *bc;
	NAME_CONSTRAINTS *nc;
	int crit, rc;
	long life;

	plan(23 + HARNESS_END_TESTS);
	harness_init(&h, 1);
	snprintf(dir, sizeof(dir), "%s/ca", h.dir);
	snprintf(key, sizeof(key), "%s/sluice-ca.key", dir);
	snprintf(pem, sizeof(pem), "%s/sluice-ca.pem", dir);

	args[0] = "-C";
	args[1] = dir;
	args[2] = NULL;
	rc = harness_exec(&h, args, &out);
	is_int(rc, 0, "sluice -C DIR exits 0");
	like(out, "update-ca-certificates", "it says how to trust the CA "
	    "system-wide");
	like(out, "NODE_EXTRA_CA_CERTS", "... and for Node/npm");
	like(out, "ssl-bump tls-cert=", "... and how to use it in sluice.conf");
	free(out);
	if (stat(key, &sk) == -1 || stat(pem, &sc) == -1)
		bail_out("sluice -C wrote no files");
	ok((sk.st_mode & 0777) == 0600, "the key is mode 0600 (%o)",
	    (unsigned)(sk.st_mode & 0777));
	ok((sc.st_mode & 0777) == 0644, "the certificate is mode 0644 (%o)",
	    (unsigned)(sc.st_mode & 0777));
	ca = read_cert(pem);
	k = read_key(key);
	if (ca == NULL || k == NULL)
		bail_out("cannot read the CA files");
	ok(X509_check_private_key(ca, k) == 1, "the key is the "
	    "certificate's");
	ok(EVP_PKEY_id(k) == EVP_PKEY_EC && EVP_PKEY_bits(k) == 256,
	    "an EC P-256 key");
	ok(X509_check_issued(ca, ca) == X509_V_OK && X509_verify(ca, k) == 1,
	    "self-signed, and the signature verifies");
	bc = X509_get_ext_d2i(ca, NID_basic_constraints, &crit, NULL);
	ok(bc != NULL && bc->ca && crit && bc->pathlen != NULL &&
	    ASN1_INTEGER_get(bc->pathlen) == 0, "basicConstraints critical "
	    "CA:TRUE, pathlen:0");
	BASIC_CONSTRAINTS_free(bc);
	ok(X509_get_key_usage(ca) == (KU_KEY_CERT_SIGN | KU_CRL_SIGN) &&
	    X509_get_ext_by_NID(ca, NID_key_usage, -1) >= 0 &&
	    X509_EXTENSION_get_critical(X509_get_ext(ca,
	    X509_get_ext_by_NID(ca, NID_key_usage, -1))),
	    "keyUsage critical: keyCertSign and cRLSign only");
	{
		int days, secs;

		ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(ca),
		    X509_get0_notAfter(ca));
		life = days;
	}
	ok(life >= 1095 && life <= 1097, "valid three years (%ld days)",
	    life);
	ok(X509_get_ext_by_NID(ca, NID_name_constraints, -1) < 0,
	    "without -N: no name constraints");
	is_int(leaf_verify(ca, k, "DNS:anything.example"), X509_V_OK,
	    "a leaf it signs verifies against it");

	/* Never over an existing CA. */
	rc = harness_exec(&h, args, &out);
	is_int(rc, 1, "sluice -C on a directory with a CA exits 1");
	like(out, "already has a CA", "... and says why");
	free(out);
	ok(stat(key, &sk2) == 0 && sk2.st_ino == sk.st_ino &&
	    sk2.st_mtime == sk.st_mtime, "the key was left alone");

	/* The CA works for ssl-bump. */
	snprintf(text, sizeof(text), "http_port 127.0.0.1:%%PORT%% ssl-bump "
	    "tls-cert=%s tls-key=%s generate-host-certificates=on\n"
	    "acl reg dstdomain registry.npmjs.org\nssl_bump bump reg\n"
	    "http_access allow localhost\n", pem, key);
	harness_write(&h, "bump.conf", text, conf);
	args[0] = "-t";
	args[1] = "-f";
	args[2] = conf;
	args[3] = NULL;
	is_int(harness_exec(&h, args, NULL), 0, "sluice -t takes it as the "
	    "ssl-bump CA");

	/* -N: name constraints. */
	snprintf(dir2, sizeof(dir2), "%s/ca2", h.dir);
	snprintf(key2, sizeof(key2), "%s/sluice-ca.key", dir2);
	snprintf(pem2, sizeof(pem2), "%s/sluice-ca.pem", dir2);
	args[0] = "-C";
	args[1] = dir2;
	args[2] = "-N";
	args[3] = "registry.npmjs.org";
	args[4] = "-N";
	args[5] = ".pythonhosted.org";
	args[6] = NULL;
	is_int(harness_exec(&h, args, NULL), 0, "sluice -C DIR -N ... exits 0");
	ca2 = read_cert(pem2);
	k2 = read_key(key2);
	if (ca2 == NULL || k2 == NULL)
		bail_out("cannot read the constrained CA");
	nc = X509_get_ext_d2i(ca2, NID_name_constraints, &crit, NULL);
	ok(nc != NULL && crit && sk_GENERAL_SUBTREE_num(nc->permittedSubtrees)
	    == 2 && sk_GENERAL_SUBTREE_num(nc->excludedSubtrees) == 2,
	    "critical nameConstraints: two DNS names permitted, every IP "
	    "excluded");
	NAME_CONSTRAINTS_free(nc);
	ok(leaf_verify(ca2, k2, "DNS:files.pythonhosted.org") == X509_V_OK &&
	    leaf_verify(ca2, k2, "DNS:registry.npmjs.org") == X509_V_OK,
	    "leaves for the permitted names verify");
	ok(leaf_verify(ca2, k2, "DNS:www.example.com") ==
	    X509_V_ERR_PERMITTED_VIOLATION && leaf_verify(ca2, k2,
	    "IP:127.0.0.1") == X509_V_ERR_EXCLUDED_VIOLATION, "a leaf for "
	    "another name, or an IP, does not (even with the key)");

	args[0] = "-C";
	args[1] = dir2;
	args[2] = "-N";
	args[3] = "bad,name";
	args[4] = NULL;
	is_int(harness_exec(&h, args, NULL), 1, "-N with a name that is not "
	    "a DNS name is refused");

	X509_free(ca);
	X509_free(ca2);
	EVP_PKEY_free(k);
	EVP_PKEY_free(k2);
	harness_end(&h);
	return exit_status();
}
