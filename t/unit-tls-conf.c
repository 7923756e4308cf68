/*
 * unit-tls-conf.c -- the TLS directives (https_port, http_port ssl-bump,
 * tls_outgoing_options, ssl_bump): what a good configuration builds, and
 * every error, reported as "file:line: message" by conf.c or by
 * tls_conf_compile() (bad, missing, mismatched, encrypted, expired, weak
 * certificates and keys; a CA that is not one), all of them in one go.
 *
 * A test process: the test PKI and the configs go to a mkdtemp()
 * directory; the cache_log goes to a file there and is read back.
 * config_load() is the master's: conf_load, the acls, then TLS.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* memmem */
#endif

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "log.h"
#include "master.h"
#include "tap.h"
#include "tls.h"
#include "tlspki.h"

static char		 tdir[64];
static char		 logpath[128];
static char		 logbuf[65536];
static struct tlspki	 pki;

static void
t_log_reset(void)
{
	if (ftruncate(log_fd(), 0) == -1)
		bail_out("ftruncate: %s", strerror(errno));
}

static void
t_log_read(void)
{
	ssize_t n;
	int fd;

	if ((fd = open(logpath, O_RDONLY)) == -1)
		bail_out("open %s: %s", logpath, strerror(errno));
	n = read(fd, logbuf, sizeof(logbuf) - 1);
	logbuf[n > 0 ? n : 0] = '\0';
	close(fd);
}

/* Write @p text (every %D replaced by the temp dir) to DIR/@p name. */
static const char *
t_file(const char *name, const char *text)
{
	static char path[256];
	FILE *fp;
	const char *p;

	snprintf(path, sizeof(path), "%s/%s", tdir, name);
	if ((fp = fopen(path, "w")) == NULL)
		bail_out("%s: %s", path, strerror(errno));
	for (p = text; *p != '\0'; p++) {
		if (p[0] == '%' && p[1] == 'D') {
			fputs(tdir, fp);
			p++;
		} else
			fputc(*p, fp);
	}
	fclose(fp);
	return path;
}

/* Load @p text as DIR/e.conf: @return the config or NULL, logs in logbuf. */
static struct conf *
t_load(const char *text)
{
	struct conf *c;

	t_log_reset();
	c = config_load(t_file("e.conf", text));
	t_log_read();
	return c;
}

/* A line of logbuf holding both @p a and @p b. */
static int
t_logged(const char *a, const char *b)
{
	const char *p, *e;

	for (p = logbuf; *p != '\0'; p = *e != '\0' ? e + 1 : e) {
		if ((e = strchr(p, '\n')) == NULL)
			e = p + strlen(p);
		if (memmem(p, (size_t)(e - p), a, strlen(a)) != NULL &&
		    memmem(p, (size_t)(e - p), b, strlen(b)) != NULL)
			return 1;
	}
	return 0;
}

/*
 * The config must fail with a line that says "e.conf:LINE: " and
 * @p msg.
 */
static void
t_bad(const char *text, int line, const char *msg, const char *what)
{
	struct conf *c;
	char where[64];

	c = t_load(text);
	snprintf(where, sizeof(where), "/e.conf:%d: ", line);
	if (!ok(c == NULL && t_logged(where, msg), "%s", what))
		diag("wanted \"%s\" and \"%s\" in:\n%s", where, msg,
		    logbuf);
	config_free(c);
}

static const struct {
	const char	*conf;
	int		 line;
	const char	*msg;
	const char	*what;
} bad[] = {
	{ "http_port 3128\nhttps_port 3129\n", 2,
	    "https_port 3129 needs tls-cert=FILE",
	    "https_port without tls-cert= is an error" },
	{ "http_port 3128\nhttps_port 3129 tls-cert=%D/missing.pem\n", 2,
	    "cannot read tls-cert %D/missing.pem: No such file or directory",
	    "an unreadable certificate names the file and errno" },
	{ "http_port 3128\nhttps_port 3129 tls-cert=%D tls-key=%D/good.key\n",
	    2, "not a regular file", "a directory as tls-cert is refused" },
	{ "http_port 3128\nhttps_port 3129 tls-cert=%D/good.key "
	    "tls-key=%D/good.key\n", 2, "no PEM certificate in it",
	    "a key file as tls-cert: no certificate in it" },
	{ "http_port 3128\nhttps_port 3129 tls-cert=%D/good.pem "
	    "tls-key=%D/missing.key\n", 2, "cannot read tls-key "
	    "%D/missing.key: No such file or directory",
	    "an unreadable key names the file" },
	{ "http_port 3128\nhttps_port 3129 tls-cert=%D/good.pem "
	    "tls-key=%D/good.pem\n", 2, "no PEM private key in it",
	    "a certificate file as tls-key: no key in it" },
	{ "http_port 3128\nhttps_port 3129 tls-cert=%D/good.pem "
	    "tls-key=%D/wrong-name.key\n", 2, "tls-key %D/wrong-name.key does "
	    "not match tls-cert %D/good.pem", "a key of another certificate "
	    "is refused" },
	{ "http_port 3128\nhttps_port 3129 tls-cert=%D/good.pem "
	    "tls-key=%D/enc.key\n", 2, "is encrypted: passphrases are not "
	    "supported", "an encrypted key is refused with how to fix it" },
	{ "http_port 3128\nhttps_port 3129 tls-cert=%D/expired.pem "
	    "tls-key=%D/expired.key\n", 2, "the certificate expired on",
	    "an expired certificate is refused" },
	{ "http_port 3128\nhttps_port 3129 tls-cert=%D/not-yet.pem "
	    "tls-key=%D/not-yet.key\n", 2, "the certificate is not valid "
	    "before", "a certificate not valid yet is refused" },
	{ "http_port 3128\nhttps_port 3129 tls-cert=%D/rsa1024.pem "
	    "tls-key=%D/rsa1024.key\n", 2, "is refused: ee key too small",
	    "a 1024-bit RSA certificate is refused (security level 2)" },
	{ "http_port 3128\nhttps_port 3129 tls-cert=%D/sha1.pem "
	    "tls-key=%D/sha1.key\n", 2, "is refused: ca md too weak",
	    "a SHA-1-signed certificate is refused" },
	{ "http_port 3128\nhttps_port 3129 tls-cert=%D/good.pem "
	    "tls-min-version=1.1\n", 2, "https_port tls-min-version=1.1: only "
	    "1.2 and 1.3", "tls-min-version=1.1 is refused" },
	{ "http_port 3128\nhttps_port 3129 tls-cert=%D/good.pem "
	    "cipher=HIGH\n", 2, "https_port option cipher=HIGH is not "
	    "supported: the cipher policy is fixed",
	    "cipher= is refused with the reason" },
	{ "http_port 3128\nhttps_port 3129 tls-cert=%D/good.pem "
	    "options=NO_TLSv1\n", 2, "https_port option options=NO_TLSv1 is "
	    "not supported", "options= is refused" },
	{ "http_port 3128\nhttps_port 3129 tls-cert=%D/good.pem frob\n", 2,
	    "https_port option frob is not supported",
	    "an unknown https_port option is refused" },
	{ "http_port 3128\nhttps_port 3129 tls-cert=%D/good.pem ssl-bump\n",
	    2, "https_port ssl-bump is not supported",
	    "ssl-bump on an https_port is refused" },
	{ "http_port 3128\nhttps_port 3129 tls-cert=%D/a.pem "
	    "tls-cert=%D/b.pem\n", 2, "https_port option tls-cert given twice",
	    "tls-cert= twice is an error" },
	{ "http_port 3128 tls-cert=%D/ca.pem\n", 1, "http_port 3128: "
	    "TLS options need ssl-bump",
	    "tls-cert= on an http_port without ssl-bump is an error" },
	{ "http_port 3128 tls-min-version=1.3\n", 1, "http_port 3128: "
	    "TLS options need ssl-bump",
	    "tls-min-version= on an http_port without ssl-bump is an error" },
	{ "http_port 3128 dynamic_cert_mem_cache_size=8MB\n", 1,
	    "http_port 3128: TLS options need ssl-bump",
	    "dynamic_cert_mem_cache_size= without ssl-bump is an error" },
	{ "http_port 3128\nhttps_port 3129 tls-cert=%D/good.pem "
	    "generate-host-certificates=on\n", 2, "https_port 3129: "
	    "generate-host-certificates and dynamic_cert_mem_cache_size belong "
	    "to an http_port with ssl-bump", "bump options on an https_port "
	    "are an error" },
	{ "http_port 3128 ssl-bump\n", 1, "http_port 3128 ssl-bump needs "
	    "tls-cert=CA.pem", "ssl-bump without a CA is an error" },
	{ "http_port 3128 ssl-bump tls-cert=%D/not-ca.pem "
	    "tls-key=%D/not-ca.key\n", 1, "ssl-bump tls-cert %D/not-ca.pem is "
	    "not a CA certificate", "a certificate that is not a CA is "
	    "refused for ssl-bump" },
	{ "http_port 3128 ssl-bump tls-cert=%D/good.pem "
	    "tls-key=%D/good.key\n", 1, "is not a CA certificate",
	    "a server certificate is refused for ssl-bump" },
	{ "http_port 3128 ssl-bump tls-cert=%D/ca.pem "
	    "tls-key=%D/other-ca.key\n", 1, "ssl-bump tls-key "
	    "%D/other-ca.key does not match tls-cert %D/ca.pem",
	    "a CA with another CA's key is refused" },
	{ "http_port 3128 ssl-bump tls-cert=%D/ca.pem tls-key=%D/ca.key "
	    "generate-host-certificates=off\n", 1,
	    "generate-host-certificates=off: only on",
	    "generate-host-certificates=off is refused" },
	{ "http_port 3128 ssl-bump tls-cert=%D/ca.pem tls-key=%D/ca.key "
	    "dynamic_cert_mem_cache_size=1KB\n", 1,
	    "dynamic_cert_mem_cache_size=1KB: a size from 16KB to 1GB",
	    "a certificate cache under 16 KB is refused" },
	{ "http_port 3128\ntls_outgoing_options cafile=%D/missing.pem\n", 2,
	    "cannot read cafile %D/missing.pem",
	    "an unreadable cafile names the file and the line" },
	{ "http_port 3128\ntls_outgoing_options flags=DONT_VERIFY_PEER\n", 2,
	    "flags=DONT_VERIFY_PEER is not supported: origin certificates are "
	    "always verified", "verification cannot be turned off" },
	{ "http_port 3128\ntls_outgoing_options min-version=1.0\n", 2,
	    "min-version=1.0: only 1.2 and 1.3",
	    "tls_outgoing_options min-version=1.0 is refused" },
	{ "http_port 3128\ntls_outgoing_options default-ca=maybe\n", 2,
	    "default-ca= takes on or off, not 'maybe'", "default-ca= takes on or off" },
	{ "http_port 3128\ntls_outgoing_options sni=on\n", 2,
	    "tls_outgoing_options: unknown option 'sni=on'",
	    "an unknown tls_outgoing_options option is refused" },
	{ "http_port 3128\ntls_outgoing_options min-version=1.2\n"
	    "tls_outgoing_options min-version=1.3\n", 3,
	    "tls_outgoing_options repeats", "tls_outgoing_options twice is an "
	    "error" },
	{ "http_port 3128 ssl-bump tls-cert=%D/ca.pem tls-key=%D/ca.key\n"
	    "ssl_bump peek all\n", 2, "ssl_bump peek is not supported (only "
	    "bump and splice)", "ssl_bump peek is refused" },
	{ "http_port 3128 ssl-bump tls-cert=%D/ca.pem tls-key=%D/ca.key\n"
	    "ssl_bump bumpit all\n", 2, "ssl_bump takes bump or splice",
	    "an unknown ssl_bump action is refused" },
	{ "http_port 3128 ssl-bump tls-cert=%D/ca.pem tls-key=%D/ca.key\n"
	    "ssl_bump bump\n", 2, "ssl_bump bump needs at least one acl",
	    "ssl_bump without an acl is an error" },
	{ "http_port 3128 ssl-bump tls-cert=%D/ca.pem tls-key=%D/ca.key\n"
	    "ssl_bump bump nosuchacl\n", 2, "undefined acl 'nosuchacl'",
	    "ssl_bump naming an undefined acl is an error" },
	{ "http_port 3128\nacl reg dstdomain .npmjs.org\nssl_bump bump reg\n",
	    3, "ssl_bump rules, but no http_port has ssl-bump",
	    "ssl_bump without an ssl-bump port is an error" },
	{ "http_port 127.0.0.1:3128\nhttps_port 127.0.0.1:3128 "
	    "tls-cert=%D/good.pem\n", 2, "https_port 127.0.0.1:3128 repeats "
	    "%D/e.conf:1", "an https_port on an http_port's address is an "
	    "error" },
};

static void
t_good(void)
{
	struct conf *c;
	size_t i;
	int https = 0, bump = 0, plain = 0;

	c = t_load("http_port 127.0.0.1:3128 ssl-bump tls-cert=ca.pem "
	    "tls-key=ca.key generate-host-certificates=on "
	    "dynamic_cert_mem_cache_size=10MB\n"
	    "http_port 127.0.0.1:3130\n"
	    "https_port 127.0.0.1:3129 tls-cert=good.pem tls-key=good.key "
	    "tls-min-version=1.3\n"
	    "tls_outgoing_options cafile=ca.pem cafile=other-ca.pem "
	    "default-ca=off min-version=1.3\n"
	    "acl reg dstdomain .npmjs.org\n"
	    "ssl_bump splice localhost\n"
	    "ssl_bump bump reg\n");
	if (!ok(c != NULL, "a config with https_port, ssl-bump, "
	    "tls_outgoing_options and ssl_bump loads (relative file names "
	    "from the config's directory)"))
		diag("%s", logbuf);
	if (c == NULL) {
		skip(8, "no config");
		return;
	}
	for (i = 0; i < c->nlisten; i++) {
		if (c->listen[i].kind == CONF_LISTEN_HTTPS &&
		    c->listen[i].tls_server != NULL &&
		    c->listen[i].tls.min_version == 0x0304)
			https++;
		else if (c->listen[i].ssl_bump && c->listen[i].tls_mint != NULL)
			bump++;
		else if (c->listen[i].kind == CONF_LISTEN_HTTP &&
		    !c->listen[i].ssl_bump)
			plain++;
	}
	is_int(https, 1, "the https_port is marked TLS, with its context and "
	    "tls-min-version=1.3");
	is_int(bump, 1, "the ssl-bump http_port has its CA context");
	is_int(plain, 1, "the plain http_port stays plain");
	for (i = 0; i < c->nlisten && !c->listen[i].ssl_bump; i++)
		continue;
	is_int((int)tls_mint_capacity(c->listen[i].tls_mint), 2560,
	    "dynamic_cert_mem_cache_size=10MB keeps 2560 certificates");
	ok(c->tls_cafile != NULL && c->tls_cafile[0] != NULL &&
	    c->tls_cafile[1] != NULL && c->tls_cafile[2] == NULL &&
	    strstr(c->tls_cafile[1], "/other-ca.pem") != NULL,
	    "two cafile= kept, resolved from the config's directory");
	ok(!c->tls_default_ca && c->tls_out_min == 0x0304 &&
	    c->tls_client != NULL, "default-ca=off, min-version=1.3, an "
	    "origin context");
	is_int((int)c->nssl_bump_lines, 2, "two ssl_bump lines");
	ok(c->ssl_bump_acl != NULL, "compiled into an acl set");
	config_free(c);

	/* squid: without tls-key= the key is in the certificate file. */
	{
		char both[300], cmd[1024];

		snprintf(both, sizeof(both), "%s/both.pem", tdir);
		snprintf(cmd, sizeof(cmd), "cat '%s' '%s' > '%s'",
		    pki.pem[TLSPKI_GOOD], pki.key[TLSPKI_GOOD], both);
		if (system(cmd) != 0)
			bail_out("cannot write both.pem");
	}
	c = t_load("http_port 3128\nhttps_port 3129 tls-cert=both.pem\n");
	ok(c != NULL && strcmp(c->listen[1].tls.key, c->listen[1].tls.cert) ==
	    0, "tls-key= defaults to the certificate file (squid)");
	config_free(c);

	/* squid's older names cert= and key=. */
	c = t_load("http_port 3128\nhttps_port 3129 cert=good.pem "
	    "key=good.key\n");
	ok(c != NULL, "cert= and key= are taken as tls-cert= and tls-key=");
	config_free(c);
}

/* Warnings that do not stop the load. */
static void
t_warnings(void)
{
	struct conf *c;
	char cmd[2048];

	snprintf(cmd, sizeof(cmd), "cat '%s' '%s' > '%s/chain-bad.pem' && "
	    "cat '%s' '%s' > '%s/chain-good.pem'", pki.pem[TLSPKI_GOOD],
	    pki.other_pem, tdir, pki.pem[TLSPKI_GOOD], pki.ca_pem, tdir);
	if (system(cmd) != 0)
		bail_out("cannot write the chains");
	c = t_load("http_port 3128\nhttps_port 3129 tls-cert=chain-bad.pem "
	    "tls-key=good.key\n");
	ok(c != NULL && t_logged("/e.conf:2: ", "certificate 2 of the chain "
	    "did not issue the one before it"), "a chain in the wrong order "
	    "loads with a FILE:LINE warning");
	config_free(c);
	c = t_load("http_port 3128\nhttps_port 3129 tls-cert=chain-good.pem "
	    "tls-key=good.key\n");
	ok(c != NULL && strstr(logbuf, "did not issue") == NULL,
	    "a chain in order loads without one");
	config_free(c);

	/* A CA close to its end: a warning with its date. */
	{
		char pem[300], key[300];
		X509 *x;
		EVP_PKEY *k;

		snprintf(pem, sizeof(pem), "%s/short-ca.pem", tdir);
		snprintf(key, sizeof(key), "%s/short-ca.key", tdir);
		if (tlspki_make_ca_days("short", pem, key, 10, &x, &k) == -1)
			bail_out("cannot make the short CA");
		X509_free(x);
		EVP_PKEY_free(k);
	}
	c = t_load("http_port 3128 ssl-bump tls-cert=short-ca.pem "
	    "tls-key=short-ca.key\n");
	ok(c != NULL && t_logged("/e.conf:1: ", "the CA expires on"),
	    "a CA that expires within 30 days loads with a FILE:LINE warning");
	config_free(c);

	/* No system trust store: a warning; cafile= still works. */
	setenv("SSL_CERT_FILE", "/nonexistent/cert.pem", 1);
	setenv("SSL_CERT_DIR", "/nonexistent/certs", 1);
	c = t_load("http_port 3128\ntls_outgoing_options cafile=ca.pem\n");
	ok(c != NULL && strstr(logbuf, "no system trust store (neither "
	    "/nonexistent/cert.pem nor /nonexistent/certs)") != NULL,
	    "without a system trust store the load warns and goes on");
	config_free(c);
	unsetenv("SSL_CERT_FILE");
	unsetenv("SSL_CERT_DIR");
}

static void
t_all_at_once(void)
{
	struct conf *c;

	c = t_load("http_port 3128\n"
	    "https_port 3129 tls-cert=%D/expired.pem tls-key=%D/expired.key\n"
	    "https_port 3130 tls-cert=%D/good.pem tls-key=%D/wrong-name.key\n"
	    "tls_outgoing_options cafile=%D/missing.pem\n");
	ok(c == NULL && strstr(logbuf, "e.conf:2: ") != NULL &&
	    strstr(logbuf, "e.conf:3: ") != NULL &&
	    strstr(logbuf, "e.conf:4: ") != NULL, "three bad TLS lines: all "
	    "three reported in one go");
	config_free(c);
}

int
main(void)
{
	char path[256];
	size_t i;
	int n;

	n = (int)(sizeof(bad) / sizeof(bad[0]));
	plan(n + 16);
	snprintf(tdir, sizeof(tdir), "/tmp/sluice-unit-tls-conf.XXXXXX");
	if (mkdtemp(tdir) == NULL)
		bail_out("mkdtemp: %s", strerror(errno));
	snprintf(logpath, sizeof(logpath), "%s/cache.log", tdir);
	if (log_open(logpath, 0) == -1)
		bail_out("log_open %s", logpath);
	if (tlspki_make(&pki, tdir) == -1)
		bail_out("cannot make the test PKI");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char conf[1024], msg[512];
		const char *p;
		char *q;

		/* %D in the message too. */
		for (p = bad[i].msg, q = msg; *p != '\0' &&
		    q < msg + sizeof(msg) - 80; p++) {
			if (p[0] == '%' && p[1] == 'D') {
				q += snprintf(q, 80, "%s", tdir);
				p++;
			} else
				*q++ = *p;
		}
		*q = '\0';
		snprintf(conf, sizeof(conf), "%s", bad[i].conf);
		t_bad(conf, bad[i].line, msg, bad[i].what);
	}
	t_good();
	t_warnings();
	t_all_at_once();
	tlspki_free(&pki);
	log_open(NULL, 0);
	snprintf(path, sizeof(path), "rm -rf '%s'", tdir);
	if (system(path) != 0)
		diag("cannot remove %s", tdir);
	return exit_status();
}
