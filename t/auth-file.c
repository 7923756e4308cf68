/*
 * auth-file.c -- the built-in basic_file helper (`auth_param basic
 * program basic_file FILE`): bcrypt and SHA-512 crypt hashes from an
 * htpasswd file, good and bad passwords, unknown users, a hash format it
 * does not take (logged, never matches), and a changed file picked up
 * without a reload.
 *
 * Integration test: a real sluice; the hashes are made here with
 * libxcrypt's crypt_gensalt() and crypt().
 */
#include <crypt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "harness.h"
#include "raw.h"
#include "origin.h"
#include "tap.h"

static const struct origin_step steps[] = {
	{ .expect = "GET /f", .status = 200, .body = "file ok",
	    .flags = ORIGIN_REPEAT },
};

static long
get(struct harness *h, int oport, const char *cred)
{
	struct client *cl;
	struct client_req q;
	struct client_resp r;
	char u[256], hdr[700], enc[600];
	long st;

	snprintf(u, sizeof(u), "http://127.0.0.1:%d/f", oport);
	memset(&q, 0, sizeof(q));
	q.url = u;
	raw_b64(cred, enc);
	snprintf(hdr, sizeof(hdr), "Proxy-Authorization: Basic %s", enc);
	q.headers = hdr;
	cl = client_new(h->port[0]);
	st = client_do(cl, &q, &r);
	client_resp_free(&r);
	client_free(cl);
	return st;
}

/* "user:" crypt(pass) with a fresh salt of @p prefix, then LF. */
static void
entry(char *out, size_t outsz, const char *user, const char *pass,
    const char *prefix, unsigned long cost)
{
	char salt[CRYPT_GENSALT_OUTPUT_SIZE];
	const char *hash;

	if (crypt_gensalt_rn(prefix, cost, NULL, 0, salt, sizeof(salt)) == NULL)
		bail_out("crypt_gensalt %s failed", prefix);
	hash = crypt(pass, salt);
	if (hash == NULL || hash[0] == '*')
		bail_out("crypt %s failed", prefix);
	snprintf(out + strlen(out), outsz - strlen(out), "%s:%s\n", user, hash);
}

/* Replace DIR/htpasswd atomically (a new inode: the change shows). */
static void
write_file(struct harness *h, const char *text)
{
	char tmp[400], path[400];

	if (harness_write(h, "htpasswd.new", text, tmp) == -1)
		bail_out("cannot write htpasswd");
	snprintf(path, sizeof(path), "%s/htpasswd", h->dir);
	if (rename(tmp, path) == -1)
		bail_out("cannot rename htpasswd");
}

int
main(void)
{
	struct harness h;
	struct origin *o;
	char text[4096], *line;
	int oport;

	plan(11 + ORIGIN_FINISH_TESTS + HARNESS_STOP_TESTS +
	    HARNESS_END_TESTS);
	o = origin_start(steps, 1);
	oport = origin_port(o);

	harness_init(&h, 1);
	text[0] = '\0';
	strcat(text, "# users of the test\n\n");
	entry(text, sizeof(text), "alice", "secret", "$2b$", 5);
	entry(text, sizeof(text), "bob", "hunter2", "$6$", 0);
	/* MD5-crypt: not taken, even with the right password. */
	strcat(text, "carol:$1$abcdefgh$Vf2Pab3yGm0o6iXB4Ykia0\n");
	write_file(&h, text);
	harness_conf(&h,
	    "auth_param basic program basic_file %DIR%/htpasswd\n"
	    "auth_param basic credentialsttl 0 seconds\n"
	    "acl users proxy_auth REQUIRED\n"
	    "http_access allow localhost users\n"
	    "http_access deny all\n");
	if (harness_start(&h) == -1)
		bail_out("sluice did not start");

	is_int(get(&h, oport, "alice:secret"), 200,
	    "bcrypt ($2b$) hash, right password: 200");
	is_int(get(&h, oport, "alice:Secret"), 407,
	    "bcrypt hash, wrong password: 407");
	is_int(get(&h, oport, "bob:hunter2"), 200,
	    "SHA-512 crypt ($6$) hash, right password: 200");
	is_int(get(&h, oport, "bob:hunter3"), 407,
	    "SHA-512 crypt hash, wrong password: 407");
	is_int(get(&h, oport, "nobody:secret"), 407, "unknown user: 407");
	is_int(get(&h, oport, "carol:x"), 407,
	    "a user with an MD5-crypt hash never matches: 407");
	line = harness_file_wait(h.cache_log, 2000, "carol",
	    "unsupported hash format", NULL);
	ok(line != NULL, "the unsupported hash format is logged, naming the "
	    "file line and user");
	free(line);

	/* The file changes: alice's password, and a new user. */
	text[0] = '\0';
	entry(text, sizeof(text), "alice", "changed", "$6$", 0);
	entry(text, sizeof(text), "dave", "pw", "$2b$", 5);
	write_file(&h, text);
	is_int(get(&h, oport, "alice:changed"), 200,
	    "changed file: alice's new password works: 200");
	is_int(get(&h, oport, "alice:secret"), 407,
	    "changed file: her old one does not: 407");
	is_int(get(&h, oport, "dave:pw"), 200,
	    "changed file: the new user dave works: 200");
	is_int(get(&h, oport, "bob:hunter2"), 407,
	    "changed file: bob, removed, is refused: 407");
	harness_stop(&h);
	harness_end(&h);
	origin_finish(o);
	origin_free(o);
	return exit_status();
}
