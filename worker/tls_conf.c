/*
 * tls_conf.c -- the TLS contexts of a configuration (see tls.h): read and
 * check certificates and keys, build the https_port, ssl-bump and origin
 * contexts, compile the ssl_bump rules; and the worker's part after fork.
 *
 * tls_conf_compile() and tls_conf_free() run in the master (start, -t,
 * SIGHUP); tls_worker_init() and tls_bump_check() in the workers.
 *
 * Files are read here with open(2) and parsed from memory, so that an
 * error names the file and errno in plain words ("cannot read tls-key
 * /etc/sluice/k.pem: Permission denied") rather than an OpenSSL stack;
 * every message is "file:line: ..." with the line of the directive.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "acl.h"
#include "conf.h"
#include "log.h"
#include "sl.h"
#include "tls.h"
#include "tls_int.h"

#define TLS_FILE_MAX	(1024 * 1024)	/* a PEM file: certificates, a key */
#define TLS_CA_WARN	(30 * 86400)	/* warn when the CA expires sooner */

/* Where errors go: the directive's place, and how many so far. */
struct tls_conf_ctx {
	const char	*file;
	int		 line;
	int		 nerrors;
};

/* "FILE:LINE: message", counted. */
#define tls_conf_error(x, ...) \
	log_conf_error((x)->file, (x)->line, &(x)->nerrors, __VA_ARGS__)


/* Read @p path (at most TLS_FILE_MAX) into a memory BIO. */
static BIO *
tls_conf_read(struct tls_conf_ctx *x, const char *what, const char *path)
{
	struct stat st;
	char *data;
	ssize_t n;
	size_t len = 0;
	BIO *b;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		tls_conf_error(x, "cannot read %s %s: %s", what, path,
		    strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_size > TLS_FILE_MAX) {
		tls_conf_error(x, "cannot read %s %s: %s", what, path,
		    !S_ISREG(st.st_mode) ? "not a regular file" :
		    "larger than 1 MB");
		close(fd);
		return NULL;
	}
	if ((data = malloc((size_t)st.st_size + 1)) == NULL) {
		tls_conf_error(x, "out of memory");
		close(fd);
		return NULL;
	}
	while (len < (size_t)st.st_size) {
		n = read(fd, data + len, (size_t)st.st_size - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (len != (size_t)st.st_size) {
		tls_conf_error(x, "cannot read %s %s: %s", what, path,
		    "short read");
		free(data);
		return NULL;
	}
	b = BIO_new(BIO_s_mem());
	if (b == NULL || BIO_write(b, data, (int)len) != (int)len) {
		tls_conf_error(x, "out of memory");
		BIO_free(b);
		b = NULL;
	}
	OPENSSL_cleanse(data, len);	/* it may hold a private key */
	free(data);
	return b;
}

/* "Mar  3 12:00:00 2031 GMT" */
static const char *
tls_conf_time(const ASN1_TIME *t)
{
	static char buf[64];
	BIO *b = BIO_new(BIO_s_mem());
	int n = 0;

	buf[0] = '\0';
	if (b != NULL && ASN1_TIME_print(b, t) == 1)
		n = BIO_read(b, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	BIO_free(b);
	return buf;
}

/*
 * The certificates of a PEM file: the first in @p leaf, the others in
 * @p chain (made when there are any).  @return 0, or -1 after an error.
 */
static int
tls_conf_certs(struct tls_conf_ctx *x, const char *what, const char *path,
    X509 **leaf, STACK_OF(X509) **chain)
{
	unsigned long e;
	X509 *c;
	BIO *b;

	*leaf = NULL;
	*chain = NULL;
	if ((b = tls_conf_read(x, what, path)) == NULL)
		return -1;
	ERR_clear_error();
	while ((c = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL) {
		if (*leaf == NULL) {
			*leaf = c;
			continue;
		}
		if ((*chain == NULL && (*chain = sk_X509_new_null()) == NULL) ||
		    sk_X509_push(*chain, c) == 0) {
			X509_free(c);
			tls_conf_error(x, "out of memory");
			goto fail;
		}
	}
	/* The loop ends at the end of the file, or at a broken block. */
	e = ERR_peek_last_error();
	if (ERR_GET_LIB(e) == ERR_LIB_PEM &&
	    ERR_GET_REASON(e) == PEM_R_NO_START_LINE)
		ERR_clear_error();
	else if (e != 0) {
		tls_conf_error(x, "%s %s: a certificate does not parse (%s)",
		    what, path, tls_ossl_reason());
		goto fail;
	}
	if (*leaf == NULL) {
		tls_conf_error(x, "%s %s: no PEM certificate in it", what,
		    path);
		goto fail;
	}
	BIO_free(b);
	return 0;
fail:
	BIO_free(b);
	X509_free(*leaf);
	sk_X509_pop_free(*chain, X509_free);
	*leaf = NULL;
	*chain = NULL;
	return -1;
}

/* A PEM key has no passphrase we could ask for: note that it wanted one. */
static int
tls_conf_pass(char *buf, int size, int rw, void *arg)
{
	*(int *)arg = 1;
	return -1;
}

static EVP_PKEY *
tls_conf_key(struct tls_conf_ctx *x, const char *what, const char *path)
{
	EVP_PKEY *k;
	int wanted = 0;
	BIO *b;

	if ((b = tls_conf_read(x, what, path)) == NULL)
		return NULL;
	ERR_clear_error();
	k = PEM_read_bio_PrivateKey(b, NULL, tls_conf_pass, &wanted);
	BIO_free(b);
	if (k == NULL) {
		if (wanted)
			tls_conf_error(x, "%s %s is encrypted: passphrases are "
			    "not supported (openssl pkey -in KEY -out NEW "
			    "writes it in clear; keep it mode 0600)", what,
			    path);
		else
			tls_conf_error(x, "%s %s: no PEM private key in it "
			    "(%s)", what, path, tls_ossl_reason());
		ERR_clear_error();
	}
	return k;
}

/* Valid now?  @return 0, or -1 after an error naming @p what. */
static int
tls_conf_valid(struct tls_conf_ctx *x, const char *what, const char *path,
    X509 *c)
{
	if (X509_cmp_current_time(X509_get0_notAfter(c)) <= 0) {
		tls_conf_error(x, "%s %s: the certificate expired on %s", what,
		    path, tls_conf_time(X509_get0_notAfter(c)));
		return -1;
	}
	if (X509_cmp_current_time(X509_get0_notBefore(c)) > 0) {
		tls_conf_error(x, "%s %s: the certificate is not valid before "
		    "%s", what, path, tls_conf_time(X509_get0_notBefore(c)));
		return -1;
	}
	return 0;
}

/*
 * Give @p ctx its certificate, chain and key, with the checks of tls.h:
 * validity, security level 2 (SSL_CTX_use_certificate refuses a weak
 * key or signature), the key matching the certificate.
 */
static int
tls_conf_use(struct tls_conf_ctx *x, SSL_CTX *ctx, const char *cpath,
    const char *kpath, X509 *leaf, STACK_OF(X509) *chain, EVP_PKEY *key)
{
	int i, bad = 0;

	if (tls_conf_valid(x, "tls-cert", cpath, leaf) == -1)
		bad = 1;
	for (i = 0; chain != NULL && i < sk_X509_num(chain); i++) {
		if (tls_conf_valid(x, "tls-cert (chain)", cpath,
		    sk_X509_value(chain, i)) == -1)
			bad = 1;
		/* Clients want each certificate issued by the next one. */
		if (X509_check_issued(sk_X509_value(chain, i), i == 0 ? leaf :
		    sk_X509_value(chain, i - 1)) != X509_V_OK)
			log_warnx("%s:%d: tls-cert %s: certificate %d of the "
			    "chain did not issue the one before it; clients "
			    "may fail to verify (order: leaf, then each "
			    "issuer)", x->file, x->line, cpath, i + 2);
	}
	if (bad)
		return -1;
	ERR_clear_error();
	if (SSL_CTX_use_certificate(ctx, leaf) != 1) {
		tls_conf_error(x, "tls-cert %s is refused: %s (TLS needs RSA "
		    "keys of 2048 bits or more, EC keys of 224 bits or more, "
		    "and no SHA-1 signature)", cpath, tls_ossl_reason());
		return -1;
	}
	if (chain != NULL && SSL_CTX_set1_chain(ctx, chain) != 1) {
		tls_conf_error(x, "tls-cert %s: the chain is refused: %s",
		    cpath, tls_ossl_reason());
		return -1;
	}
	if (SSL_CTX_use_PrivateKey(ctx, key) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		tls_conf_error(x, "tls-key %s does not match tls-cert %s",
		    kpath, cpath);
		ERR_clear_error();
		return -1;
	}
	return 0;
}

/* A server-side context with sluice's policy (tls.h). */
static SSL_CTX *
tls_conf_server_ctx(struct tls_conf_ctx *x, int min_version)
{
	static const unsigned char sid[] = "sluice";
	SSL_CTX *ctx;

	ERR_clear_error();
	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL ||
	    tls_ctx_policy(ctx, min_version, 1) == -1) {
		tls_conf_error(x, "cannot make a TLS context: %s",
		    tls_ossl_reason());
		SSL_CTX_free(ctx);
		return NULL;
	}
	SSL_CTX_set_alpn_select_cb(ctx, tls_alpn_select, NULL);
	/* Resumption: tickets (keys made here, shared by the workers) and a
	   bounded cache per worker for clients without tickets. */
	SSL_CTX_set_session_id_context(ctx, sid, sizeof(sid) - 1);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER);
	SSL_CTX_sess_set_cache_size(ctx, TLS_SERVER_SESSIONS);
	SSL_CTX_set_timeout(ctx, TLS_SESSION_TIMEOUT);
	return ctx;
}

static struct tls_server *
tls_conf_https_port(struct tls_conf_ctx *x, const struct conf_listen *l)
{
	STACK_OF(X509) *chain = NULL;
	struct tls_server *s;
	EVP_PKEY *key = NULL;
	X509 *leaf = NULL;
	int bad = 0;

	if (tls_conf_certs(x, "tls-cert", l->tls.cert, &leaf, &chain) == -1)
		bad = 1;
	if ((key = tls_conf_key(x, "tls-key", l->tls.key)) == NULL)
		bad = 1;
	if (bad || (s = calloc(1, sizeof(*s))) == NULL) {
		if (!bad)
			tls_conf_error(x, "out of memory");
		goto fail;
	}
	snprintf(s->name, sizeof(s->name), "https_port %s", l->text);
	if ((s->ctx = tls_conf_server_ctx(x, l->tls.min_version)) == NULL ||
	    tls_conf_use(x, s->ctx, l->tls.cert, l->tls.key, leaf, chain,
	    key) == -1) {
		SSL_CTX_free(s->ctx);
		free(s);
		goto fail;
	}
	X509_free(leaf);
	sk_X509_pop_free(chain, X509_free);
	EVP_PKEY_free(key);
	return s;
fail:
	X509_free(leaf);
	sk_X509_pop_free(chain, X509_free);
	EVP_PKEY_free(key);
	return NULL;
}

static void
tls_mint_free(struct tls_mint *m)
{
	if (m == NULL)
		return;
	tls_mint_cache_free(m);
	SSL_CTX_free(m->ctx);
	X509_free(m->ca);
	sk_X509_pop_free(m->chain, X509_free);
	EVP_PKEY_free(m->ca_key);
	EVP_PKEY_free(m->key);
	free(m);
}

/* ASN1_TIME to time_t, for clipping minted validity. */
static int
tls_conf_time_t(const ASN1_TIME *a, time_t *out)
{
	struct tm tm;

	if (ASN1_TIME_to_tm(a, &tm) != 1)
		return -1;
	*out = timegm(&tm);
	return 0;
}

/*
 * http_port ... ssl-bump tls-cert=CA tls-key=KEY: the CA must be one
 * (RFC 5280 §4.2.1.9 basicConstraints CA:TRUE; §4.2.1.3 keyCertSign
 * when keyUsage is there), valid, and its key must match.
 */
static struct tls_mint *
tls_conf_bump_port(struct tls_conf_ctx *x, const struct conf_listen *l)
{
	STACK_OF(X509) *chain = NULL;
	struct tls_mint *m = NULL;
	EVP_PKEY *key = NULL;
	X509 *ca = NULL;
	int bad = 0, id;
	time_t now = time(NULL);

	if (tls_conf_certs(x, "ssl-bump tls-cert", l->tls.cert, &ca,
	    &chain) == -1)
		bad = 1;
	if ((key = tls_conf_key(x, "ssl-bump tls-key", l->tls.key)) == NULL)
		bad = 1;
	if (bad)
		goto fail;
	if (X509_check_ca(ca) != 1 ||
	    ((X509_get_extension_flags(ca) & EXFLAG_KUSAGE) != 0 &&
	    (X509_get_key_usage(ca) & KU_KEY_CERT_SIGN) == 0)) {
		tls_conf_error(x, "ssl-bump tls-cert %s is not a CA "
		    "certificate (basicConstraints CA:TRUE and keyUsage "
		    "keyCertSign needed; sluice -C DIR makes one)",
		    l->tls.cert);
		goto fail;
	}
	if (tls_conf_valid(x, "ssl-bump tls-cert", l->tls.cert, ca) == -1)
		goto fail;
	if (X509_check_private_key(ca, key) != 1) {
		ERR_clear_error();
		tls_conf_error(x, "ssl-bump tls-key %s does not match tls-cert "
		    "%s", l->tls.key, l->tls.cert);
		goto fail;
	}
	if ((m = calloc(1, sizeof(*m))) == NULL) {
		tls_conf_error(x, "out of memory");
		goto fail;
	}
	snprintf(m->name, sizeof(m->name), "http_port %s", l->text);
	if (tls_conf_time_t(X509_get0_notBefore(ca), &m->ca_not_before) ==
	    -1 || tls_conf_time_t(X509_get0_notAfter(ca), &m->ca_not_after) ==
	    -1) {
		tls_conf_error(x, "ssl-bump tls-cert %s: bad validity dates",
		    l->tls.cert);
		goto fail;
	}
	if (m->ca_not_after - now < TLS_CA_WARN)
		log_warnx("%s:%d: ssl-bump tls-cert %s: the CA expires on %s; "
		    "minted certificates never outlive it", x->file, x->line,
		    l->tls.cert, tls_conf_time(X509_get0_notAfter(ca)));
	id = EVP_PKEY_id(key);
	m->md = id == EVP_PKEY_ED25519 || id == EVP_PKEY_ED448 ? NULL :
	    EVP_sha256();
	/* An intermediate CA goes with each leaf (with its own chain), so
	   that clients trusting only the root build the path. */
	if (X509_check_issued(ca, ca) != X509_V_OK) {
		if (chain == NULL && (chain = sk_X509_new_null()) == NULL) {
			tls_conf_error(x, "out of memory");
			goto fail;
		}
		if (!X509_up_ref(ca) || sk_X509_insert(chain, ca, 0) == 0) {
			tls_conf_error(x, "out of memory");
			goto fail;
		}
	}
	m->ca = ca;
	m->ca_key = key;
	m->chain = chain;
	ca = NULL;
	key = NULL;
	chain = NULL;
	m->cap = l->tls.cert_cache / TLS_MINT_ENTRY_COST;
	if (m->cap == 0)
		m->cap = 1;
	if ((m->ctx = tls_conf_server_ctx(x, l->tls.min_version)) == NULL)
		goto fail;
	SSL_CTX_set_tlsext_servername_callback(m->ctx, tls_mint_servername_cb);
	SSL_CTX_set_cert_cb(m->ctx, tls_mint_cert_cb, NULL);
	return m;
fail:
	X509_free(ca);
	sk_X509_pop_free(chain, X509_free);
	EVP_PKEY_free(key);
	tls_mint_free(m);
	return NULL;
}

/*
 * The origin side: the trust store (system and/or cafile=, read now, in
 * the master, so no worker ever reads a CA file) and verification.
 */
static struct tls_client *
tls_conf_client(struct tls_conf_ctx *x, const struct conf *c)
{
	X509_VERIFY_PARAM *vp;
	struct tls_client *cc;
	const char *deffile, *defdir, *env;
	X509_STORE *st;
	struct stat sb;
	X509 *leaf;
	STACK_OF(X509) *more;
	size_t i;
	int j, n;

	if ((cc = calloc(1, sizeof(*cc))) == NULL) {
		tls_conf_error(x, "out of memory");
		return NULL;
	}
	ERR_clear_error();
	if ((cc->ctx = SSL_CTX_new(TLS_client_method())) == NULL ||
	    tls_ctx_policy(cc->ctx, c->tls_out_min, 0) == -1) {
		tls_conf_error(x, "cannot make a TLS context: %s",
		    tls_ossl_reason());
		goto fail;
	}
	st = SSL_CTX_get_cert_store(cc->ctx);
	for (i = 0; c->tls_cafile != NULL && c->tls_cafile[i] != NULL; i++) {
		if (tls_conf_certs(x, "cafile", c->tls_cafile[i], &leaf,
		    &more) == -1)
			continue;
		n = 0;
		if (X509_STORE_add_cert(st, leaf) == 1)
			n++;
		for (j = 0; more != NULL && j < sk_X509_num(more); j++)
			if (X509_STORE_add_cert(st, sk_X509_value(more, j)) == 1)
				n++;
		X509_free(leaf);
		sk_X509_pop_free(more, X509_free);
		ERR_clear_error();
		log_debug("%s:%d: cafile %s: %d certificates", x->file,
		    x->line, c->tls_cafile[i], n);
	}
	if (c->tls_default_ca) {
		/*
		 * The system trust store as OpenSSL finds it ($SSL_CERT_FILE,
		 * else its bundle, /usr/lib/ssl/cert.pem on Debian): read
		 * here, once.  Without a bundle, the hashed directory
		 * ($SSL_CERT_DIR, /usr/lib/ssl/certs), whose files OpenSSL
		 * reads when a verification needs one.
		 */
		env = getenv(X509_get_default_cert_file_env());
		deffile = env != NULL ? env : X509_get_default_cert_file();
		env = getenv(X509_get_default_cert_dir_env());
		defdir = env != NULL ? env : X509_get_default_cert_dir();
		if (stat(deffile, &sb) == 0) {
			if (SSL_CTX_load_verify_locations(cc->ctx, deffile,
			    NULL) != 1)
				log_warnx("%s: the system trust store %s does "
				    "not load (%s): origins are verified "
				    "against cafile= only", c->path, deffile,
				    tls_ossl_reason());
		} else if (stat(defdir, &sb) == 0 && S_ISDIR(sb.st_mode) &&
		    SSL_CTX_load_verify_locations(cc->ctx, NULL, defdir) ==
		    1) {
			log_debug("%s: system trust store: the directory %s",
			    c->path, defdir);
		} else {
			ERR_clear_error();
			log_warnx("%s: no system trust store (neither %s nor "
			    "%s): origins are verified against cafile= only",
			    c->path, deffile, defdir);
		}
	}
	SSL_CTX_set_verify(cc->ctx, SSL_VERIFY_PEER, tls_verify_cb);
	vp = SSL_CTX_get0_param(cc->ctx);
	/* Browser rules: names from subjectAltName only, no partial
	   wildcards ("f*.example.com"), a server certificate's purpose. */
	X509_VERIFY_PARAM_set_hostflags(vp, X509_CHECK_FLAG_NEVER_CHECK_SUBJECT |
	    X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
	if (X509_VERIFY_PARAM_set_purpose(vp, X509_PURPOSE_SSL_SERVER) != 1 ||
	    X509_VERIFY_PARAM_set_trust(vp, X509_TRUST_SSL_SERVER) != 1 ||
	    SSL_CTX_set_alpn_protos(cc->ctx,
	    (const unsigned char *)"\x08http/1.1", 9) != 0) {
		tls_conf_error(x, "cannot set up verification: %s",
		    tls_ossl_reason());
		goto fail;
	}
	/* Sessions live in our table (tls.c), one per origin host:port. */
	SSL_CTX_set_session_cache_mode(cc->ctx, SSL_SESS_CACHE_CLIENT |
	    SSL_SESS_CACHE_NO_INTERNAL_STORE);
	SSL_CTX_sess_set_new_cb(cc->ctx, tls_client_session_new);
	return cc;
fail:
	SSL_CTX_free(cc->ctx);
	free(cc);
	return NULL;
}

static void
tls_client_free(struct tls_client *cc)
{
	size_t i;

	if (cc == NULL)
		return;
	for (i = 0; i < TLS_CLIENT_SESSIONS; i++)
		SSL_SESSION_free(cc->sessions[i].sess);
	SSL_CTX_free(cc->ctx);
	free(cc);
}

/*
 * ssl_bump lines as acl rules: bump is allow, splice is deny, so that
 * acl_check() says ALLOW for a bump and DENY for a splice, and rule 0
 * when no line matched (then splice: squid's default).
 */
static int
tls_conf_bump_rules(struct conf *c)
{
	struct conf_line *lines;
	char **argv;
	size_t i;
	int j, rc;

	if (c->nssl_bump_lines == 0)
		return 0;
	if ((lines = calloc(c->nssl_bump_lines, sizeof(*lines))) == NULL) {
		log_warnx("%s: out of memory", c->path);
		return -1;
	}
	rc = 0;
	for (i = 0; i < c->nssl_bump_lines; i++) {
		lines[i] = c->ssl_bump_lines[i];
		argv = malloc((size_t)(lines[i].argc + 1) * sizeof(*argv));
		if (argv == NULL) {
			rc = -1;
			break;
		}
		for (j = 0; j <= lines[i].argc; j++)
			argv[j] = c->ssl_bump_lines[i].argv[j];
		argv[1] = strcmp(argv[1], "bump") == 0 ? "allow" : "deny";
		lines[i].argv = argv;
	}
	if (rc == 0 && acl_set_compile_rules(c, lines, c->nssl_bump_lines,
	    &c->ssl_bump_acl) == -1) {
		c->ssl_bump_acl = NULL;
		rc = -1;
	}
	for (i = 0; i < c->nssl_bump_lines; i++)
		if (lines[i].argv != c->ssl_bump_lines[i].argv)
			free(lines[i].argv);
	free(lines);
	return rc;
}

int
tls_conf_compile(struct conf *c)
{
	struct tls_conf_ctx x;
	struct conf_listen *l;
	size_t i;

	memset(&x, 0, sizeof(x));
	for (i = 0; i < c->nlisten; i++) {
		l = &c->listen[i];
		l->tls_server = NULL;
		l->tls_mint = NULL;
		x.file = l->file;
		x.line = l->line;
		if (l->kind == CONF_LISTEN_HTTPS)
			l->tls_server = tls_conf_https_port(&x, l);
		else if (l->ssl_bump)
			l->tls_mint = tls_conf_bump_port(&x, l);
	}
	x.file = c->tls_out_file != NULL ? c->tls_out_file : c->path;
	x.line = c->tls_out_line;
	if ((c->tls_client = tls_conf_client(&x, c)) == NULL)
		x.nerrors++;
	if (tls_conf_bump_rules(c) == -1)
		x.nerrors++;
	if (x.nerrors > 0) {
		tls_conf_free(c);
		return -1;
	}
	return 0;
}

void
tls_conf_free(struct conf *c)
{
	size_t i;

	for (i = 0; i < c->nlisten; i++) {
		if (c->listen[i].tls_server != NULL) {
			SSL_CTX_free(c->listen[i].tls_server->ctx);
			free(c->listen[i].tls_server);
			c->listen[i].tls_server = NULL;
		}
		tls_mint_free(c->listen[i].tls_mint);
		c->listen[i].tls_mint = NULL;
	}
	tls_client_free(c->tls_client);
	c->tls_client = NULL;
	acl_set_free(c->ssl_bump_acl);
	c->ssl_bump_acl = NULL;
}

int
tls_bump_check(const struct conf *c, const struct acl_req *r, size_t *rule)
{
	size_t dummy;

	if (rule == NULL)
		rule = &dummy;
	*rule = 0;
	if (c->ssl_bump_acl == NULL)
		return TLS_SPLICE;
	switch (acl_check(c->ssl_bump_acl, r, rule)) {
	case ACL_ALLOW:
		return TLS_BUMP;
	case ACL_NEED_DST:
		return TLS_BUMP_NEED_DST;
	case ACL_NEED_AUTH:
		return TLS_BUMP_NEED_AUTH;
	case ACL_DENY:
	default:
		return TLS_SPLICE;
	}
}

int
tls_worker_init(const struct conf *c)
{
	const struct conf_listen *l;
	size_t i;
	int ntls = 0;

	tls_ktls_probe();
	for (i = 0; i < c->nlisten; i++) {
		l = &c->listen[i];
		if (l->tls_server != NULL)
			ntls++;
		if (l->tls_mint == NULL)
			continue;
		ntls++;
		/* This worker's key: made here, after fork, never shared. */
		if (tls_mint_keygen(l->tls_mint) == -1) {
			log_warnx("%s:%d: http_port %s: cannot make the key "
			    "for minted certificates", l->file, l->line,
			    l->text);
			return -1;
		}
	}
	if (ntls > 0)
		log_info("TLS: cached bodies go to TLS clients by %s",
		    tls_sendfile_path());
	return 0;
}
