/*
 * ca.c -- `sluice -C DIR`: the operator's CA for ssl-bump (see ca.h).
 * Runs in the sluice command only, before anything is configured.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/stat.h>

#include <errno.h>
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
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "ca.h"
#include "tls.h"


/* "host.example" or ".example": LDH labels, nothing the config parser
   of nameConstraints would read as a separator. */
static int
ca_name_ok(const char *n)
{
	size_t len = strlen(n), i, label = 0;

	if (n[0] == '.')
		n++, len--;
	if (len == 0 || len > 253)
		return 0;
	for (i = 0; i < len; i++) {
		if (n[i] == '.') {
			if (label == 0)
				return 0;
			label = 0;
			continue;
		}
		if (!((n[i] >= 'a' && n[i] <= 'z') || (n[i] >= 'A' &&
		    n[i] <= 'Z') || (n[i] >= '0' && n[i] <= '9') ||
		    n[i] == '-') || ++label > 63)
			return 0;
	}
	return label > 0;
}

static int
ca_ext(X509 *x, int nid, const char *value)
{
	X509V3_CTX xc;
	X509_EXTENSION *e;
	int ok;

	X509V3_set_ctx(&xc, x, x, NULL, NULL, 0);
	if ((e = X509V3_EXT_conf_nid(NULL, &xc, nid, value)) == NULL)
		return -1;
	ok = X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
	return ok == 1 ? 0 : -1;
}

/* Write @p what with mode @p mode, never over an existing file. */
static int
ca_write(const char *path, mode_t mode, X509 *x, EVP_PKEY *k)
{
	FILE *fp;
	int fd, ok;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    mode)) == -1) {
		fprintf(stderr, "sluice: %s: %s%s\n", path, strerror(errno),
		    errno == EEXIST ? " (remove it to make a new CA)" : "");
		return -1;
	}
	if ((fp = fdopen(fd, "w")) == NULL) {
		close(fd);
		return -1;
	}
	ok = x != NULL ? PEM_write_X509(fp, x) :
	    PEM_write_PrivateKey(fp, k, NULL, NULL, 0, NULL, NULL);
	if (fclose(fp) != 0 || !ok) {
		fprintf(stderr, "sluice: cannot write %s\n", path);
		unlink(path);
		return -1;
	}
	return 0;
}

int
ca_create(const char *dir, char *const *names, int nnames)
{
	char keyp[4096], pemp[4096], host[256], cn[320], until[64];
	unsigned char serial[16];
	EVP_PKEY_CTX *kc = NULL;
	EVP_PKEY *k = NULL;
	X509 *x = NULL;
	X509_NAME *n;
	BIGNUM *bn = NULL;
	char *nc = NULL;
	size_t len;
	BIO *b;
	int i, rc = -1, rn;

	if (snprintf(keyp, sizeof(keyp), "%s/sluice-ca.key", dir) >=
	    (int)sizeof(keyp) || snprintf(pemp, sizeof(pemp),
	    "%s/sluice-ca.pem", dir) >= (int)sizeof(pemp)) {
		fprintf(stderr, "sluice: -C %s: path too long\n", dir);
		return -1;
	}
	for (i = 0; i < nnames; i++)
		if (!ca_name_ok(names[i])) {
			fprintf(stderr, "sluice: -N %s: not a DNS name (labels "
			    "of letters, digits and '-'; a leading '.' is "
			    "allowed)\n", names[i]);
			return -1;
		}
	if (mkdir(dir, 0755) == -1 && errno != EEXIST) {
		fprintf(stderr, "sluice: -C %s: %s\n", dir, strerror(errno));
		return -1;
	}
	if (access(keyp, F_OK) == 0 || access(pemp, F_OK) == 0) {
		fprintf(stderr, "sluice: %s already has a CA (sluice-ca.key or "
		    "sluice-ca.pem); remove both to make a new one\n", dir);
		return -1;
	}

	/* EC P-256: small, fast, taken by every TLS client in use. */
	if ((kc = EVP_PKEY_CTX_new_id(EVP_PKEY_EC, NULL)) == NULL ||
	    EVP_PKEY_keygen_init(kc) != 1 ||
	    EVP_PKEY_CTX_set_ec_paramgen_curve_nid(kc,
	    NID_X9_62_prime256v1) != 1 || EVP_PKEY_keygen(kc, &k) != 1)
		goto ossl;
	if ((x = X509_new()) == NULL || X509_set_version(x, 2) != 1 ||
	    RAND_bytes(serial, sizeof(serial)) != 1)
		goto ossl;
	serial[0] = (unsigned char)((serial[0] & 0x7f) | 0x01);
	if ((bn = BN_bin2bn(serial, sizeof(serial), NULL)) == NULL ||
	    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) == NULL)
		goto ossl;
	if (gethostname(host, sizeof(host)) == -1 || host[0] == '\0')
		strcpy(host, "localhost");
	host[sizeof(host) - 1] = '\0';
	snprintf(cn, sizeof(cn), "sluice proxy CA (%.40s)", host);
	n = X509_get_subject_name(x);
	if (X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC,
	    (const unsigned char *)"sluice", -1, -1, 0) != 1 ||
	    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8,
	    (const unsigned char *)cn, -1, -1, 0) != 1 ||
	    X509_set_issuer_name(x, n) != 1)
		goto ossl;
	if (X509_gmtime_adj(X509_getm_notBefore(x), -3600) == NULL ||
	    X509_gmtime_adj(X509_getm_notAfter(x), (long)CA_DAYS * 86400) ==
	    NULL || X509_set_pubkey(x, k) != 1)
		goto ossl;
	if (ca_ext(x, NID_basic_constraints, "critical,CA:TRUE,pathlen:0") ||
	    ca_ext(x, NID_key_usage, "critical,keyCertSign,cRLSign") ||
	    ca_ext(x, NID_subject_key_identifier, "hash") ||
	    ca_ext(x, NID_authority_key_identifier, "keyid:always"))
		goto ossl;
	if (nnames > 0) {
		/* Only these DNS subtrees, and no IP address at all. */
		for (len = 64, i = 0; i < nnames; i++)
			len += strlen(names[i]) + 16;
		if ((nc = malloc(len + 128)) == NULL)
			goto ossl;
		strcpy(nc, "critical");
		for (i = 0; i < nnames; i++) {
			strcat(nc, ",permitted;DNS:");
			strcat(nc, names[i][0] == '.' ? names[i] + 1 :
			    names[i]);
		}
		strcat(nc, ",excluded;IP:0.0.0.0/0.0.0.0,"
		    "excluded;IP:0:0:0:0:0:0:0:0/0:0:0:0:0:0:0:0");
		if (ca_ext(x, NID_name_constraints, nc))
			goto ossl;
	}
	if (X509_sign(x, k, EVP_sha256()) <= 0)
		goto ossl;

	if (ca_write(keyp, 0600, NULL, k) == -1)
		goto out;
	if (ca_write(pemp, 0644, x, NULL) == -1) {
		unlink(keyp);
		goto out;
	}
	until[0] = '\0';
	if ((b = BIO_new(BIO_s_mem())) != NULL) {
		if (ASN1_TIME_print(b, X509_get0_notAfter(x)) == 1 &&
		    (rn = BIO_read(b, until, sizeof(until) - 1)) > 0)
			until[rn] = '\0';
		BIO_free(b);
	}
	printf("sluice: made the CA for ssl-bump in %s\n"
	    "  %s  the private key (EC P-256, mode 0600: keep it so; sluice "
	    "reads it\n"
	    "      as root before dropping privileges)\n"
	    "  %s  the certificate, \"%s\", valid until %s\n",
	    dir, keyp, pemp, cn, until);
	if (nnames > 0) {
		printf("  name constraints: only");
		for (i = 0; i < nnames; i++)
			printf(" %s", names[i]);
		printf(" (and the names below them), no IP address\n");
	} else
		printf("  no name constraints (sluice -C DIR -N NAME... "
		    "limits the CA to those names)\n");
	printf("\nIn sluice.conf:\n"
	    "  http_port 3128 ssl-bump tls-cert=%s tls-key=%s "
	    "generate-host-certificates=on\n"
	    "  acl bumped dstdomain registry.npmjs.org pypi.org "
	    "files.pythonhosted.org\n"
	    "  ssl_bump bump bumped\n"
	    "\nTrust the certificate (never the key) on each client:\n"
	    "  Debian, Ubuntu  cp %s /usr/local/share/ca-certificates/"
	    "sluice-ca.crt && update-ca-certificates\n"
	    "  Fedora, RHEL    cp %s /etc/pki/ca-trust/source/anchors/ && "
	    "update-ca-trust\n"
	    "  Node, npm       NODE_EXTRA_CA_CERTS=%s (adds to Node's own "
	    "list)\n"
	    "  pip             REQUESTS_CA_BUNDLE=BUNDLE or pip config set "
	    "global.cert BUNDLE\n"
	    "  cargo           CARGO_HTTP_CAINFO=BUNDLE\n"
	    "  git             git config --global http.sslCAInfo BUNDLE\n"
	    "  docker          cp %s /etc/docker/certs.d/REGISTRY/ca.crt "
	    "(each registry bumped)\n"
	    "  where BUNDLE replaces the client's list: use the system "
	    "bundle once it has\n"
	    "  this CA (/etc/ssl/certs/ca-certificates.crt on Debian), not "
	    "the file alone.\n", pemp, keyp, pemp, pemp, pemp, pemp);
	rc = 0;
	goto out;
ossl:
	fprintf(stderr, "sluice: cannot make the CA: %s\n", tls_ossl_reason());
out:
	free(nc);
	BN_free(bn);
	X509_free(x);
	EVP_PKEY_free(k);
	EVP_PKEY_CTX_free(kc);
	return rc;
}
