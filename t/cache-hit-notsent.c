/*
 * cache-hit-notsent.c -- a large hit to a client that does not read:
 * sluice keeps at most about CONN_NOTSENT_LOWAT (16 KiB, TCP_NOTSENT_LOWAT)
 * unsent in the client socket, not a whole send buffer.  That is what
 * makes a 1 MiB hit go out as the client takes it (the receiver of one
 * big burst pays for it: issue 15), and what bounds the kernel memory a
 * slow client pins.  Then the client reads: the body arrives whole.
 *
 * Integration test: a real sluice with cache_dir, the scripted origin, a
 * raw client with a small receive buffer; the socket's unsent bytes read
 * with ss(8) (iproute2); skipped when ss is missing.
 */
#include <sys/socket.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "origin.h"
#include "raw.h"
#include "tap.h"

#define BIG	(8 << 20)

static const struct origin_step steps[] = {
	{ .expect = "GET /big", .status = 200, .body_len = BIG,
	    .headers = "Cache-Control: max-age=3600\r\n" },
};

/* The largest "notsent:N" of sluice's sockets on @p port (ss -ti). */
static long
notsent(int port)
{
	char cmd[256], line[4096], *p;
	long best = -1, v;
	FILE *fp;

	snprintf(cmd, sizeof(cmd), "ss -tinH state established "
	    "'( sport = :%d )' 2>/dev/null", port);
	if ((fp = popen(cmd, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), fp) != NULL) {
		if (best < 0)
			best = 0;
		if ((p = strstr(line, "notsent:")) != NULL &&
		    (v = strtol(p + 8, NULL, 10)) > best)
			best = v;
	}
	pclose(fp);
	return best;
}

int
main(void)
{
	struct harness h;
	struct origin *o;
	struct raw c;
	struct raw_resp r;
	char req[256];
	long n, prev, most = 0;
	int i, st, rcv = 256 * 1024, stable;

	if (system("command -v ss >/dev/null 2>&1") != 0) {
		plan(1);
		skip(1, "ss (iproute2) is not installed");
		return exit_status();
	}
	plan(5 + ORIGIN_FINISH_TESTS + HARNESS_STOP_TESTS +
	    HARNESS_END_TESTS);
	o = origin_start(steps, 1);
	harness_init(&h, 1);
	harness_conf(&h, "http_access allow localhost\nhttp_access deny all\n"
	    "cache_dir lmdb %DIR%/cache 64\n");
	if (harness_start(&h) == -1)
		bail_out("sluice did not start");
	snprintf(req, sizeof(req), "GET http://127.0.0.1:%d/big HTTP/1.1\r\n"
	    "Host: x\r\nConnection: close\r\n\r\n", origin_port(o));

	/* Stored first. */
	if (raw_open(&c, h.port[0]) == -1)
		bail_out("cannot connect");
	raw_sends(&c, req);
	st = raw_read_resp(&c, &r, 0, 20000);
	ok(st == 200 && r.body_len == BIG, "8 MB stored");
	raw_resp_free(&r);
	raw_close(&c);

	/* A hit to a client that stops reading after the head. */
	if (raw_open(&c, h.port[0]) == -1)
		bail_out("cannot connect");
	(void)setsockopt(c.fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
	raw_sends(&c, req);
	st = raw_read_head(&c, &r, 10000);
	ok(st == 200 && strstr(r.head, "Cache-Status: sluice; hit") != NULL,
	    "a hit: the head read, then the client stops reading");
	/* Until the socket's figures settle (bounded: 5 s). */
	for (i = 0, prev = -2, stable = 0; i < 100 && stable < 5; i++) {
		harness_msleep(50);
		n = notsent(h.port[0]);
		stable = n == prev ? stable + 1 : 0;
		prev = n;
		if (n > most)
			most = n;
	}
	ok(most >= 0, "ss shows sluice's side of the connection");
	ok(most <= 256 * 1024, "unsent bytes in sluice's socket stay near "
	    "16 KiB (TCP_NOTSENT_LOWAT): at most %ld", most);
	st = raw_read_body(&c, &r, 0, 30000);
	ok(st == 200 && r.complete && r.body_len == BIG &&
	    r.body_hash == harness_pattern_hash(BIG), "then it reads: 8 MB "
	    "whole, byte-exact");
	if (st != 200 || r.body_len != BIG)
		diag("got %d, %zu bytes, complete %d", st, r.body_len, r.complete);
	raw_resp_free(&r);
	raw_close(&c);

	harness_stop(&h);
	origin_finish(o);
	origin_free(o);
	harness_end(&h);
	return exit_status();
}
