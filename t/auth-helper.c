/*
 * auth-helper.c -- proxy authentication through squid-style helpers
 * (auth_param basic): 407 with the Basic challenge without credentials
 * (RFC 9110 §11.7.1) or with wrong ones, 200 with good ones and the user
 * in the access log, Proxy-Authorization never forwarded (RFC 9110
 * §11.7.2: it is for the proxy), the credentials cache, channel ids with
 * concurrency, a helper that dies (restarted, the request retried), one
 * that hangs (killed, 503) and none that can start (503).
 *
 * Integration test: real sluice runs with t/helpers/auth-test-helper as
 * the helper (its options choose how it misbehaves; it appends each user
 * it is asked about to a file, which counts the helper calls), copied
 * into the temp dir so that the workers' user can run it wherever the
 * build tree is.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* strcasestr */
#endif
#include <sys/stat.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "harness.h"
#include "raw.h"
#include "origin.h"
#include "tap.h"

static const struct origin_step steps_ok[] = {
	{ .expect = "GET /ok", .status = 200, .body = "hello",
	    .flags = ORIGIN_REPEAT },
};

static char helper[PATH_MAX];

/* GET @p path of the origin with credentials "user:pass" (NULL: none). */
static long
get(struct harness *h, int oport, const char *path, const char *cred,
    struct client_resp *r)
{
	struct client *cl;
	struct client_req q;
	char u[256], hdr[700], enc[600];
	long st;

	snprintf(u, sizeof(u), "http://127.0.0.1:%d%s", oport, path);
	memset(&q, 0, sizeof(q));
	q.url = u;
	if (cred != NULL) {
		raw_b64(cred, enc);
		snprintf(hdr, sizeof(hdr), "Proxy-Authorization: Basic %s", enc);
		q.headers = hdr;
	}
	cl = client_new(h->port[0]);
	st = client_do(cl, &q, r);
	client_free(cl);
	return st;
}

static void
start(struct harness *h, int oport, const char *helper_opts,
    const char *extra)
{
	char conf[2048], path[300], copy[300];

	harness_init(h, 1);
	/*
	 * The workers run the helper as their user (nobody when we are
	 * root), who may not reach the build tree (a clone under /root):
	 * run a copy in the temp dir.
	 */
	if (harness_copy_program(h, helper, copy) == -1)
		bail_out("cannot copy %s into the temp dir", helper);
	harness_set(h, "HELPER", "%s", copy);
	harness_set(h, "OPTS", "%s", helper_opts);
	harness_set(h, "ORIGIN", "%d", oport);
	snprintf(conf, sizeof(conf),
	    "auth_param basic program %%HELPER%% %%OPTS%% -l %%DIR%%/calls "
	    "alice:secret \"bob:p@ss w:rd%%\"\n"
	    "auth_param basic realm Sluice Test Realm\n"
	    "auth_param basic credentialsttl 1 hour\n"
	    "auth_param basic timeout 1 second\n"
	    "%s"
	    "acl users proxy_auth REQUIRED\n"
	    "http_access allow localhost users\n"
	    "http_access deny all\n", extra);
	harness_conf(h, conf);
	/* The helper runs as the workers' user (nobody when we are root). */
	if (harness_write(h, "calls", "", path) == -1 || chmod(path, 0666) == -1)
		bail_out("cannot make the calls file");
	if (harness_start(h) == -1)
		bail_out("sluice did not start");
}

/* Helper calls so far: lines of DIR/calls holding @p user. */
static int
calls(struct harness *h, const char *user)
{
	char p[600];

	snprintf(p, sizeof(p), "%s/calls", h->dir);
	return harness_file_count(p, user);
}

int
main(void)
{
	struct harness h;
	struct origin *o;
	struct client_resp r;
	const struct origin_req *oq;
	char buf[256], *line, *bin, *s;
	int oport, n;

	plan(34 + ORIGIN_FINISH_TESTS + 6 * (HARNESS_STOP_TESTS +
	    HARNESS_END_TESTS));

	/* The helper is built next to sluice, in t/helpers/. */
	bin = getenv("SLUICE_BINARY");
	if (bin == NULL || bin[0] != '/')
		bail_out("SLUICE_BINARY must be an absolute path");
	snprintf(helper, sizeof(helper), "%s", bin);
	if ((s = strrchr(helper, '/')) == NULL)
		bail_out("bad SLUICE_BINARY");
	snprintf(s + 1, sizeof(helper) - (size_t)(s + 1 - helper),
	    "t/helpers/auth-test-helper");
	if (access(helper, X_OK) == -1)
		bail_out("no %s", helper);

	o = origin_start(steps_ok, 1);
	oport = origin_port(o);

	/* 1. The normal helper, children 2, no concurrency. */
	start(&h, oport, "", "auth_param basic children 2\n");
	is_int(get(&h, oport, "/ok", NULL, &r), 407,
	    "no credentials: 407 (RFC 9110 §15.5.8)");
	is_str(client_resp_header(&r, "Proxy-Authenticate"),
	    "Basic realm=\"Sluice Test Realm\"",
	    "the 407 carries the Basic challenge with the realm (RFC 7617 §2)");
	is_str(client_resp_header(&r, "X-Sluice-Error"),
	    "ERR_CACHE_ACCESS_DENIED", "X-Sluice-Error: ERR_CACHE_ACCESS_DENIED");
	client_resp_free(&r);
	line = harness_log_wait(&h, "TCP_DENIED/407", NULL);
	ok(line != NULL, "the challenge is logged TCP_DENIED/407");
	free(line);
	is_int(origin_nreq(o), 0, "nothing reached the origin");

	is_int(get(&h, oport, "/ok", "alice:secret", &r), 200,
	    "good credentials: 200");
	is_str(r.body, "hello", "the origin's answer comes through");
	client_resp_free(&r);
	oq = origin_req(o, 0);
	ok(oq != NULL && strcasestr(oq->head, "Proxy-Authorization") == NULL,
	    "Proxy-Authorization is not forwarded (RFC 9110 §11.7.2)");
	line = harness_log_wait(&h, "TCP_MISS/200", NULL);
	is_str(line ? harness_field(line, 7, buf, sizeof(buf)) : NULL, "alice",
	    "the access log names the user in field 8");
	free(line);
	is_int(calls(&h, "alice"), 1, "the helper was asked once");

	is_int(get(&h, oport, "/ok", "alice:secret", &r), 200,
	    "same credentials again: 200");
	client_resp_free(&r);
	is_int(get(&h, oport, "/ok", "alice:secret", &r), 200,
	    "and again: 200");
	client_resp_free(&r);
	is_int(calls(&h, "alice"), 1,
	    "credentials that passed are cached: the helper was not asked again");

	is_int(get(&h, oport, "/ok", "alice:wrong", &r), 407,
	    "wrong password: 407");
	ok(client_resp_header(&r, "Proxy-Authenticate") != NULL,
	    "with the challenge again");
	client_resp_free(&r);
	is_int(get(&h, oport, "/ok", "alice:wrong", &r), 407,
	    "wrong password again: 407");
	client_resp_free(&r);
	is_int(calls(&h, "alice"), 3, "failed checks are not cached");
	is_int(get(&h, oport, "/ok", "mallory:secret", &r), 407,
	    "unknown user: 407");
	client_resp_free(&r);
	is_int(get(&h, oport, "/ok", "bob:p@ss w:rd%", &r), 200,
	    "a password with blank, colon, '@' and '%%' reaches the helper "
	    "intact (rfc1738 escaping): 200");
	client_resp_free(&r);
	n = origin_nreq(o);
	is_int(n, 4, "only the authenticated requests reached the origin");
	harness_stop(&h);
	harness_end(&h);

	/* 2. concurrency: channel ids on every line. */
	start(&h, oport, "-c",
	    "auth_param basic children 1 concurrency=4\n");
	is_int(get(&h, oport, "/ok", "alice:secret", &r), 200,
	    "concurrency=4: good credentials: 200 (the channel id matched)");
	client_resp_free(&r);
	is_int(get(&h, oport, "/ok", "alice:bad", &r), 407,
	    "concurrency=4: wrong password: 407");
	client_resp_free(&r);
	harness_stop(&h);
	harness_end(&h);

	/* 3. A helper that dies on its second request. */
	start(&h, oport, "-d 1", "auth_param basic children 1\n");
	is_int(get(&h, oport, "/ok", "alice:secret", &r), 200,
	    "dying helper: first request: 200");
	client_resp_free(&r);
	is_int(get(&h, oport, "/ok", "bob:p@ss w:rd%", &r), 200,
	    "the helper died on the second request: it was restarted and the "
	    "request retried: 200");
	client_resp_free(&r);
	is_int(calls(&h, "bob"), 2, "the helper was asked twice about bob "
	    "(the dead one, then its successor)");
	line = harness_file_wait(h.cache_log, 2000, "auth helper",
	    "restart in", NULL);
	ok(line != NULL, "cache_log tells the helper died and is restarted");
	free(line);
	harness_stop(&h);
	harness_end(&h);

	/* 4. A helper that never answers. */
	start(&h, oport, "-H", "auth_param basic children 1\n");
	is_int(get(&h, oport, "/ok", "alice:secret", &r), 503,
	    "hung helper: 503 after the helper timeout");
	is_str(client_resp_header(&r, "X-Sluice-Error"), "ERR_AUTH_UNAVAILABLE",
	    "X-Sluice-Error: ERR_AUTH_UNAVAILABLE");
	client_resp_free(&r);
	line = harness_file_wait(h.cache_log, 2000, "did not answer", NULL);
	ok(line != NULL, "cache_log tells the hung helper was killed");
	free(line);
	is_int(get(&h, oport, "/ok", "alice:secret", &r), 503,
	    "its successor hangs too: 503 again, not a hang of the proxy");
	client_resp_free(&r);
	harness_stop(&h);
	harness_end(&h);

	/* 5. A helper that cannot start at all. */
	start(&h, oport, "-x", "auth_param basic children 2\n");
	is_int(get(&h, oport, "/ok", "alice:secret", &r), 503,
	    "no helper can run: 503");
	client_resp_free(&r);
	is_int(get(&h, oport, "/ok", "bob:p@ss w:rd%", &r), 503,
	    "still none: 503");
	client_resp_free(&r);
	harness_stop(&h);
	harness_end(&h);

	/* 6. casesensitive off (squid's default): the user is lower-cased. */
	start(&h, oport, "", "");
	is_int(get(&h, oport, "/ok", "ALICE:secret", &r), 200,
	    "casesensitive off: ALICE is alice: 200");
	client_resp_free(&r);
	line = harness_log_wait(&h, "TCP_MISS/200", NULL);
	is_str(line ? harness_field(line, 7, buf, sizeof(buf)) : NULL, "alice",
	    "the lower-cased name is logged");
	free(line);
	harness_stop(&h);
	harness_end(&h);

	origin_finish(o);
	origin_free(o);
	return exit_status();
}
