/*
 * connect-splice.c -- large CONNECT tunnels through splice(2) arrive
 * byte-exact, at full speed and with a client that stops reading now and
 * then, and each spliced direction bounds the bytes its destination socket
 * holds unsent (TCP_NOTSENT_LOWAT, 16 KiB), as the debug log line at the
 * tunnel's end reports.
 *
 * Integration test: a real sluice, the echo server, a raw client.
 */
#include <sys/socket.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "echo.h"
#include "harness.h"
#include "raw.h"
#include "tap.h"

#define FAST_BYTES	(64u << 20)	/* both ways, read at once */
#define SLOW_BYTES	(16u << 20)	/* both ways, reader pauses */
#define SLOW_EVERY	(1u << 20)	/* pause after each MiB read */
#define SLOW_PAUSE_MS	20
#define XFER_MS		120000

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* CONNECT to 127.0.0.1:@p port on a new connection; 0 on a 200. */
static int
tunnel_open(struct raw *c, int proxy, int port)
{
	struct raw_resp r;
	char req[256];
	int status;

	if (raw_open(c, proxy) == -1)
		return -1;
	snprintf(req, sizeof(req), "CONNECT 127.0.0.1:%d HTTP/1.1\r\n"
	    "Host: 127.0.0.1:%d\r\n\r\n", port, port);
	memset(&r, 0, sizeof(r));
	if (raw_sends(c, req) == -1)
		return -1;
	status = raw_read_head(c, &r, 10000);
	raw_resp_free(&r);
	return status == 200 ? 0 : -1;
}

/*
 * Send @p n pattern bytes while reading the echo, pausing SLOW_PAUSE_MS
 * after each SLOW_EVERY bytes read, so the worker's writes to us meet a
 * full socket again and again; half-close after the last byte, then read
 * to EOF.  Bounded by XFER_MS.  Returns 0 when all was sent and EOF seen.
 */
static int
slow_exchange(struct raw *c, size_t n, struct raw_xfer *x)
{
	long long until = now_ms() + XFER_MS;
	char out[65536], in[65536];
	struct pollfd pf;
	size_t k, olen = 0, opos = 0, next_pause = SLOW_EVERY;
	ssize_t got, w;
	int shut = 0, rc, left;

	memset(x, 0, sizeof(*x));
	if (c->len > 0) {
		x->hash = harness_hash(x->hash, c->buf, c->len);
		x->received += c->len;
		c->len = 0;
	}
	while ((left = (int)(until - now_ms())) > 0) {
		if (x->sent == n && !shut) {
			if (shutdown(c->fd, SHUT_WR) == -1)
				return -1;
			shut = 1;
		}
		if (x->sent == n && c->eof) {
			x->eof = 1;
			return 0;
		}
		if (opos == olen && x->sent < n) {
			k = n - x->sent < sizeof(out) ? n - x->sent :
			    sizeof(out);
			harness_pattern(out, x->sent, k);
			olen = k;
			opos = 0;
		}
		pf.fd = c->fd;
		pf.events = (short)((c->eof ? 0 : POLLIN) |
		    (opos < olen ? POLLOUT : 0));
		if (pf.events == 0)
			return -1;
		rc = poll(&pf, 1, left);
		if (rc == -1 && errno == EINTR)
			continue;
		if (rc <= 0)
			return -1;
		if (pf.revents & (POLLIN | POLLHUP | POLLERR)) {
			got = recv(c->fd, in, sizeof(in), 0);
			if (got > 0) {
				x->hash = harness_hash(x->hash, in,
				    (size_t)got);
				x->received += (size_t)got;
				if (x->received >= next_pause) {
					harness_msleep(SLOW_PAUSE_MS);
					next_pause += SLOW_EVERY;
				}
			} else if (got == 0 || errno == ECONNRESET)
				c->eof = 1;
			else if (errno != EAGAIN && errno != EINTR)
				return -1;
		}
		if ((pf.revents & POLLOUT) && opos < olen) {
			w = send(c->fd, out + opos, olen - opos, MSG_NOSIGNAL);
			if (w > 0) {
				opos += (size_t)w;
				x->sent += (size_t)w;
			} else if (w == -1 && errno != EAGAIN &&
			    errno != EINTR)
				return -1;
		}
	}
	return -1;
}

int
main(void)
{
	struct harness h;
	struct echo *e;
	struct raw c;
	struct raw_xfer x;
	char target[64];
	char *line;

	plan(12 + HARNESS_STOP_TESTS + HARNESS_END_TESTS);

	e = echo_start();
	harness_init(&h, 1);
	harness_set(&h, "ECHO", "%d", echo_port(e));
	harness_conf(&h,
	    "acl SSL_ports port %ECHO%\n"
	    "http_access deny CONNECT !SSL_ports\n"
	    "http_access allow localhost\n"
	    "http_access deny all\n"
	    "debug_options ALL,2\n");
	if (harness_start(&h) == -1)
		bail_out("sluice did not start");
	snprintf(target, sizeof(target), "127.0.0.1:%d", echo_port(e));

	/* 64 MiB there and back, read as fast as it comes. */
	if (tunnel_open(&c, h.port[0], echo_port(e)) == -1)
		bail_out("CONNECT to the echo server failed");
	is_int(raw_exchange(&c, NULL, FAST_BYTES, 1, &x, XFER_MS), 0,
	    "64 MiB sent through a tunnel, half-closed, EOF came back");
	is_int((long long)x.received, FAST_BYTES,
	    "all 64 MiB came back");
	ok(x.hash == harness_pattern_hash(FAST_BYTES),
	    "what came back is byte-exact");
	raw_close(&c);
	line = harness_file_wait(h.cache_log, 5000, "tunnel to", target,
	    "done", NULL);
	ok(line != NULL, "the tunnel's end is logged");
	like(line, ", spliced", "both directions went through splice(2)");
	like(line, "unsent bounded at 16384 up, 16384 down",
	    "both destination sockets hold at most 16 KiB unsent "
	    "(TCP_NOTSENT_LOWAT)");
	free(line);

	/* 16 MiB with a reader that pauses after every MiB. */
	if (tunnel_open(&c, h.port[0], echo_port(e)) == -1)
		bail_out("second CONNECT to the echo server failed");
	is_int(slow_exchange(&c, SLOW_BYTES, &x), 0,
	    "16 MiB through a tunnel whose client pauses after each MiB "
	    "read: all sent, EOF came back");
	is_int((long long)x.received, SLOW_BYTES, "all 16 MiB came back");
	ok(x.hash == harness_pattern_hash(SLOW_BYTES),
	    "what came back is byte-exact");
	raw_close(&c);
	is_int(harness_file_wait_count(h.cache_log, "unsent bounded at "
	    "16384 up, 16384 down", 2, 5000), 2,
	    "the second tunnel's end is logged with both bounds");

	is_int(echo_nconn(e), 2, "the echo server saw two connections");
	is_int(harness_file_wait_count(h.access_log, "TCP_TUNNEL/200", 2,
	    5000), 2, "access log: both tunnels as TCP_TUNNEL/200");

	harness_stop(&h);
	harness_end(&h);
	echo_stop(e);
	return exit_status();
}
