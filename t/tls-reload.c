/*
 * tls-reload.c -- an https_port's certificate is replaced by SIGHUP
 * without dropping tunnels: the master rebuilds the contexts, the new
 * generation presents the new certificate to new connections, and a
 * CONNECT tunnel opened inside TLS before the reload goes on in the old
 * worker (on the old certificate's session) until it ends; then that
 * worker exits.
 *
 * Integration test: a real sluice, the test PKI, the echo server, raw
 * TLS clients.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include <openssl/x509.h>

#include "echo.h"
#include "harness.h"
#include "raw.h"
#include "tap.h"
#include "tlspki.h"

static void
conf(struct harness *h, const char *leaf)
{
	char text[1024];

	snprintf(text, sizeof(text),
	    "http_port 127.0.0.1:%%PORT%%\n"
	    "https_port 127.0.0.1:%%PORT1%% tls-cert=%%DIR%%/%s.pem "
	    "tls-key=%%DIR%%/%s.key\n"
	    "shutdown_lifetime 60 seconds\n"
	    "http_access allow localhost\n"
	    "http_access deny all\n", leaf, leaf);
	if (harness_conf(h, text) == -1)
		bail_out("cannot write the config");
}

/*
 * A TLS connection to the https_port, then CONNECT to the echo server
 * inside it.  @return 0, or -1 (diagnosed).
 */
static int
tunnel(struct harness *h, struct tlspki *pki, struct raw *c, int eport)
{
	struct raw_tls_opts opts;
	struct raw_resp r;
	char req[200];
	int st;

	if (raw_open(c, h->port[1]) == -1)
		return -1;
	memset(&opts, 0, sizeof(opts));
	opts.cafile = pki->ca_pem;
	opts.verify_host = "127.0.0.1";
	if (raw_tls(c, &opts, 5000) == -1) {
		diag("TLS: %s", c->tls_error);
		return -1;
	}
	snprintf(req, sizeof(req), "CONNECT 127.0.0.1:%d HTTP/1.1\r\n"
	    "Host: 127.0.0.1:%d\r\n\r\n", eport, eport);
	raw_sends(c, req);
	st = raw_read_head(c, &r, 5000);
	raw_resp_free(&r);
	return st == 200 ? 0 : -1;
}

/* Send @p s through the tunnel and read it back. */
static int
echo(struct raw *c, const char *s)
{
	char buf[64];
	size_t got = 0, n = strlen(s);
	ssize_t k;

	if (raw_sends(c, s) == -1)
		return 0;
	while (got < n && (k = raw_read(c, buf + got, n - got, 5000)) > 0)
		got += (size_t)k;
	return got == n && memcmp(buf, s, n) == 0;
}

int
main(void)
{
	struct harness h;
	struct tlspki pki;
	struct echo *e;
	struct raw a, b;
	pid_t w[8], old;
	char *line;
	int n;

	plan(14 + HARNESS_STOP_TESTS + HARNESS_END_TESTS);
	harness_init(&h, 2);
	if (tlspki_make(&pki, h.dir) == -1)
		bail_out("cannot make the test PKI");
	e = echo_start();
	conf(&h, "good");
	if (harness_start(&h) == -1)
		bail_out("sluice did not start");
	n = harness_workers(&h, w, 8);
	if (n != 1)
		bail_out("expected one worker, found %d", n);
	old = w[0];

	ok(tunnel(&h, &pki, &a, echo_port(e)) == 0, "tunnel A: TLS to the "
	    "https_port, CONNECT to the echo server inside: 200");
	ok(X509_cmp(raw_tls_peer(&a), pki.cert[TLSPKI_GOOD]) == 0,
	    "... on the first certificate (good.pem)");
	ok(echo(&a, "before the reload"), "... bytes go both ways");

	/* The new certificate, by SIGHUP. */
	conf(&h, "ip");
	harness_signal(&h, SIGHUP);
	line = harness_file_wait(h.cache_log, 5000, "reloaded: generation",
	    NULL);
	ok(line != NULL, "SIGHUP with a new certificate: reloaded");
	free(line);
	/* The new generation takes new connections once it runs. */
	memset(&b, 0, sizeof(b));
	b.fd = -1;
	for (n = 0; n < 100; n++) {
		if (tunnel(&h, &pki, &b, echo_port(e)) == 0 &&
		    X509_cmp(raw_tls_peer(&b), pki.cert[TLSPKI_IP]) == 0)
			break;
		raw_close(&b);
		harness_msleep(50);
	}
	ok(n < 100, "tunnel B, after the reload: the new certificate "
	    "(ip.pem)");
	ok(echo(&b, "new generation"), "... and it works");
	n = harness_workers(&h, w, 8);
	ok(n == 2 && (w[0] == old || w[1] == old), "the old worker still "
	    "runs, draining (%d workers)", n);

	/* The old tunnel was not dropped. */
	ok(echo(&a, "after the reload"), "tunnel A still carries bytes both "
	    "ways after the reload");
	ok(echo(&a, "and again"), "... and again");
	ok(X509_cmp(raw_tls_peer(&a), pki.cert[TLSPKI_GOOD]) == 0,
	    "... still on its own session (good.pem)");

	/* It ends when its client ends it; then the old worker exits. */
	raw_shutdown(&a);
	ok(raw_wait_eof(&a, 5000), "tunnel A: after our close_notify and "
	    "FIN, the proxy closes too");
	ok(!a.tls_truncated, "... with a close_notify of its own");
	raw_close(&a);
	ok(harness_wait_workers(&h, 1, &old, 1, 10000), "the old worker "
	    "exits once its tunnel ended (not at shutdown_lifetime)");
	line = harness_log_wait(&h, "TCP_TUNNEL/200", NULL);
	ok(line != NULL, "access log: tunnel A's TCP_TUNNEL/200 line");
	free(line);
	raw_close(&b);

	harness_stop(&h);
	echo_stop(e);
	tlspki_free(&pki);
	harness_end(&h);
	return exit_status();
}
