/*
 * auth-ncsa.c -- squid's own basic_ncsa_auth helper behind sluice: the
 * helper protocol (rfc1738-escaped "user password" lines, OK/ERR
 * answers) is squid's, so squid's helpers work unchanged.
 *
 * Integration test: a real sluice with squid's basic_ncsa_auth, from an
 * installed squid (/usr/lib/squid/...) or from t/squid/ next to the
 * binary, where setup.sh puts the one program it takes out of Debian's
 * squid package (installing squid would start a squid on port 3128); a
 * TAP skip naming the places looked at otherwise.  The helper runs from a
 * copy in the temp dir, which the workers' user can reach.  The password
 * file holds a SHA-512 crypt hash made here with crypt().
 */
#include <crypt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "harness.h"
#include "origin.h"
#include "tap.h"

#define NTESTS	3

static const char *const candidates[] = {
	"/usr/lib/squid/basic_ncsa_auth",
	"/usr/lib/squid3/basic_ncsa_auth",
	"/usr/lib64/squid/basic_ncsa_auth",
	"/usr/libexec/squid/basic_ncsa_auth",
	NULL
};

static const struct origin_step steps[] = {
	{ .expect = "GET /n", .status = 200, .body = "ncsa ok" },
};

static long
get(struct harness *h, int oport, const char *b64cred)
{
	struct client *cl;
	struct client_req q;
	struct client_resp r;
	char u[256], hdr[300];
	long st;

	snprintf(u, sizeof(u), "http://127.0.0.1:%d/n", oport);
	memset(&q, 0, sizeof(q));
	q.url = u;
	snprintf(hdr, sizeof(hdr), "Proxy-Authorization: Basic %s", b64cred);
	q.headers = hdr;
	cl = client_new(h->port[0]);
	st = client_do(cl, &q, &r);
	client_resp_free(&r);
	client_free(cl);
	return st;
}

int
main(void)
{
	struct harness h;
	struct origin *o;
	const char *helper = NULL, *hash, *bin;
	char salt[CRYPT_GENSALT_OUTPUT_SIZE], text[512], local[600], copy[300];
	int i;

	for (i = 0; candidates[i] != NULL; i++)
		if (access(candidates[i], X_OK) == 0) {
			helper = candidates[i];
			break;
		}
	/* setup.sh's copy: t/squid/ in the build tree, beside sluice. */
	bin = getenv("SLUICE_BINARY");
	snprintf(local, sizeof(local), "%.*st/squid/basic_ncsa_auth",
	    bin != NULL && strrchr(bin, '/') != NULL ?
	    (int)(strrchr(bin, '/') - bin + 1) : 0, bin != NULL ? bin : "");
	if (helper == NULL && access(local, X_OK) == 0)
		helper = local;
	if (helper == NULL) {
		plan(NTESTS + ORIGIN_FINISH_TESTS + HARNESS_STOP_TESTS +
		    HARNESS_END_TESTS);
		skip(NTESTS + ORIGIN_FINISH_TESTS + HARNESS_STOP_TESTS +
		    HARNESS_END_TESTS, "squid's basic_ncsa_auth is neither "
		    "installed (%s) nor in %s (setup.sh puts it there)",
		    candidates[0], local);
		return exit_status();
	}
	plan(NTESTS + ORIGIN_FINISH_TESTS + HARNESS_STOP_TESTS +
	    HARNESS_END_TESTS);
	o = origin_start(steps, 1);
	harness_init(&h, 1);
	if (crypt_gensalt_rn("$6$", 0, NULL, 0, salt, sizeof(salt)) == NULL ||
	    (hash = crypt("open sesame", salt)) == NULL || hash[0] == '*')
		bail_out("crypt failed");
	snprintf(text, sizeof(text), "ali:%s\n", hash);
	harness_write(&h, "passwd", text, NULL);
	if (harness_copy_program(&h, helper, copy) == -1)
		bail_out("cannot copy %s into the temp dir", helper);
	harness_set(&h, "NCSA", "%s", copy);
	harness_conf(&h,
	    "auth_param basic program %NCSA% %DIR%/passwd\n"
	    "acl users proxy_auth REQUIRED\n"
	    "http_access allow localhost users\n"
	    "http_access deny all\n");
	if (harness_start(&h) == -1)
		bail_out("sluice did not start");
	/* "ali:open sesameE", "ali:open sesame", "bob:open sesame" in base64. */
	is_int(get(&h, origin_port(o), "YWxpOm9wZW4gc2VzYW1lRQ=="), 407,
	    "basic_ncsa_auth: wrong password: 407");
	is_int(get(&h, origin_port(o), "YWxpOm9wZW4gc2VzYW1l"), 200,
	    "basic_ncsa_auth: right password (with a blank, escaped as "
	    "squid does): 200");
	is_int(get(&h, origin_port(o), "Ym9iOm9wZW4gc2VzYW1l"), 407,
	    "basic_ncsa_auth: unknown user: 407");
	harness_stop(&h);
	harness_end(&h);
	origin_finish(o);
	origin_free(o);
	return exit_status();
}
