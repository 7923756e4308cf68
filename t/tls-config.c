/*
 * tls-config.c -- TLS configuration in a running sluice: `sluice -t`
 * refuses a bad key or certificate with FILE:LINE; a good https_port and
 * ssl-bump port start, with the sendfile path in cache.log; the
 * https_port speaks TLS (curl --proxy https:// gets its answer) and is
 * never served as plain HTTP (closed with a log line); plain http_port
 * requests go on; a SIGHUP with a bad key keeps the running
 * configuration, one with a new certificate starts a new generation.
 *
 * Integration test: a real sluice, the test PKI, the scripted origin,
 * libcurl and a raw client.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "harness.h"
#include "origin.h"
#include "raw.h"
#include "tap.h"
#include "tlspki.h"

static const struct origin_step steps[] = {
	{ .expect = "GET /p", .status = 200, .body = "plain",
	    .flags = ORIGIN_REPEAT },
};

/* The running config, with https_port's certificate and key. */
static void
conf(struct harness *h, const char *cert, const char *key)
{
	char text[2048];

	snprintf(text, sizeof(text),
	    "http_port 127.0.0.1:%%PORT%%\n"
	    "https_port 127.0.0.1:%%PORT1%% tls-cert=%s tls-key=%s\n"
	    "http_port 127.0.0.1:%%PORT2%% ssl-bump tls-cert=%%DIR%%/ca.pem "
	    "tls-key=%%DIR%%/ca.key generate-host-certificates=on\n"
	    "tls_outgoing_options cafile=%%DIR%%/ca.pem\n"
	    "acl bumped dstdomain .bump.test\n"
	    "ssl_bump bump bumped\n"
	    "http_access allow localhost\n"
	    "http_access deny all\n", cert, key);
	if (harness_conf(h, text) == -1)
		bail_out("cannot write the config");
}

/* Line of @p path holding @p needle (1-based), 0 none. */
static int
line_of(const char *path, const char *needle)
{
	char *text, *p;
	int n = 1;

	if ((text = harness_file_read(path, NULL)) == NULL ||
	    (p = strstr(text, needle)) == NULL) {
		free(text);
		return 0;
	}
	*p = '\0';
	for (p = text; *p != '\0'; p++)
		n += *p == '\n';
	free(text);
	return n;
}

int
main(void)
{
	struct harness h;
	struct tlspki pki;
	struct origin *o;
	struct client *cl;
	struct client_resp r;
	struct raw c;
	char url[256], path[300], want[1200], addr[160], *out, *line;
	const char *args[4];
	pid_t w[8], old;
	int n, rc;
	long st;

	plan(18 + ORIGIN_FINISH_TESTS + HARNESS_STOP_TESTS +
	    HARNESS_END_TESTS);
	harness_init(&h, 3);
	if (tlspki_make(&pki, h.dir) == -1)
		bail_out("cannot make the test PKI");
	o = origin_start(steps, 1);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/p", origin_port(o));

	/* -t: a key that is not the certificate's, on line 2. */
	harness_write(&h, "bad.conf",
	    "http_port 127.0.0.1:%PORT%\n"
	    "https_port 127.0.0.1:%PORT1% tls-cert=%DIR%/good.pem "
	    "tls-key=%DIR%/wrong-name.key\n", path);
	args[0] = "-t";
	args[1] = "-f";
	args[2] = path;
	args[3] = NULL;
	rc = harness_exec(&h, args, &out);
	is_int(rc, 1, "sluice -t with a mismatched https_port key exits 1");
	snprintf(want, sizeof(want), "%s:2: tls-key %s/wrong-name.key does "
	    "not match tls-cert %s/good.pem", path, h.dir, h.dir);
	like(out, want, "... and names FILE:2 and both files");
	free(out);
	harness_write(&h, "bad2.conf",
	    "http_port 127.0.0.1:%PORT%\n"
	    "http_port 127.0.0.1:%PORT1% ssl-bump tls-cert=%DIR%/good.pem "
	    "tls-key=%DIR%/good.key\n", path);
	rc = harness_exec(&h, args, &out);
	is_int(rc, 1, "sluice -t with a non-CA ssl-bump certificate exits 1");
	snprintf(want, sizeof(want), "%s:2: ssl-bump tls-cert %s/good.pem is "
	    "not a CA certificate", path, h.dir);
	like(out, want, "... and names FILE:2");
	free(out);

	conf(&h, "%DIR%/good.pem", "%DIR%/good.key");
	args[2] = h.conf;
	is_int(harness_exec(&h, args, NULL), 0, "sluice -t takes the good "
	    "config");
	if (harness_start(&h) == -1)
		bail_out("sluice did not start");
	line = harness_file_wait(h.cache_log, 5000, "TLS: cached bodies go to "
	    "TLS clients by ", NULL);
	ok(line != NULL, "cache.log says how cached bodies reach TLS clients: "
	    "%s", line != NULL ? strstr(line, "TLS:") : "(none)");
	free(line);

	st = client_get(h.port[0], url, &r);
	is_int(st, 200, "a plain request on the http_port: 200");
	client_resp_free(&r);

	/* curl --proxy https://127.0.0.1:PORT1: served over TLS. */
	cl = client_new(h.port[1]);
	client_tls(cl, pki.ca_pem, NULL, 0, 1);
	{
		struct client_req q;

		memset(&q, 0, sizeof(q));
		q.url = url;
		st = client_do(cl, &q, &r);
	}
	is_int(st, 200, "curl through https_port (verified against the test "
	    "CA): 200");
	is_str(r.body, "plain", "... with the origin's body");
	client_resp_free(&r);
	client_free(cl);

	/* Plain HTTP on the TLS port is never served. */
	if (raw_open(&c, h.port[1]) == -1)
		bail_out("cannot connect to the https_port");
	(void)raw_sends(&c, "GET http://127.0.0.1/p HTTP/1.1\r\n"
	    "Host: 127.0.0.1\r\n\r\n");
	{
		char *all = NULL;
		size_t len = 0;

		rc = raw_read_all(&c, &all, &len, 5000);
		ok(rc == 0 && (len == 0 || (unsigned char)all[0] == 0x15),
		    "plain HTTP on the https_port: closed, no HTTP back (%zu "
		    "bytes: a TLS alert at most)", len);
		free(all);
	}
	raw_close(&c);
	snprintf(addr, sizeof(addr), "https_port 127.0.0.1:%d: TLS handshake "
	    "failed: plain HTTP on a TLS port", h.port[1]);
	n = harness_file_wait_count(h.cache_log, addr, 1, 5000);
	is_int(n, 1, "one cache.log line: %s", addr);

	/* A reload with a key that does not match: the old config stays. */
	n = harness_workers(&h, w, 8);
	if (n != 1)
		bail_out("expected one worker, found %d", n);
	old = w[0];
	conf(&h, "%DIR%/good.pem", "%DIR%/wrong-name.key");
	snprintf(want, sizeof(want), "%s:%d: tls-key", h.conf,
	    line_of(h.conf, "https_port"));
	harness_signal(&h, SIGHUP);
	line = harness_file_wait(h.cache_log, 5000, want, "does not match",
	    NULL);
	ok(line != NULL, "SIGHUP with a bad key logs FILE:LINE: %s",
	    line != NULL ? strstr(line, "tls-key") : "(none)");
	free(line);
	line = harness_file_wait(h.cache_log, 5000, "the running "
	    "configuration stays", NULL);
	ok(line != NULL, "... and keeps the running configuration");
	free(line);
	n = harness_workers(&h, w, 8);
	ok(n == 1 && w[0] == old, "the same worker runs");
	st = client_get(h.port[0], url, &r);
	is_int(st, 200, "plain requests are still served");
	client_resp_free(&r);

	/* A reload with another good certificate: a new generation. */
	conf(&h, "%DIR%/ip.pem", "%DIR%/ip.key");
	harness_signal(&h, SIGHUP);
	line = harness_file_wait(h.cache_log, 5000, "reloaded: generation",
	    NULL);
	ok(line != NULL, "SIGHUP with a new certificate reloads");
	free(line);
	ok(harness_wait_workers(&h, 1, &old, 1, 10000),
	    "a new worker replaced the old one");
	st = client_get(h.port[0], url, &r);
	is_int(st, 200, "plain requests are served after the reload");
	client_resp_free(&r);

	harness_stop(&h);
	origin_finish(o);
	origin_free(o);
	tlspki_free(&pki);
	harness_end(&h);
	return exit_status();
}
