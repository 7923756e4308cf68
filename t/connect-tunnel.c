/*
 * connect-tunnel.c -- CONNECT opens a byte-exact tunnel to an allowed
 * port, honours half-close, is logged once at its end as TCP_TUNNEL/200;
 * CONNECT to a port outside SSL_ports is denied (403, TCP_DENIED/403).
 *
 * Integration test: a real sluice, the echo server, a raw client.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "echo.h"
#include "harness.h"
#include "raw.h"
#include "tap.h"

#define TUNNEL_BYTES	(1u << 20)

/* Send "CONNECT 127.0.0.1:@p port" on @p c; read the response head. */
static int
connect_to(struct raw *c, struct raw_resp *r, int port)
{
	char req[256];

	snprintf(req, sizeof(req), "CONNECT 127.0.0.1:%d HTTP/1.1\r\n"
	    "Host: 127.0.0.1:%d\r\nUser-Agent: sluice-test\r\n\r\n", port,
	    port);
	if (raw_sends(c, req) == -1)
		return -1;
	return raw_read_head(c, r, 10000);
}

int
main(void)
{
	struct harness h;
	struct echo *e;
	struct raw c;
	struct raw_resp r;
	struct raw_xfer x;
	char target[64], buf[64], *line;
	int dead, other, rc;

	plan(20 + HARNESS_STOP_TESTS + HARNESS_END_TESTS);

	e = echo_start();
	dead = harness_free_port();
	other = harness_free_port();
	harness_init(&h, 1);
	harness_set(&h, "ECHO", "%d", echo_port(e));
	harness_set(&h, "DEAD", "%d", dead);
	harness_conf(&h,
	    "acl SSL_ports port %ECHO% %DEAD%\n"
	    "http_access deny CONNECT !SSL_ports\n"
	    "http_access allow localhost\n"
	    "http_access deny all\n"
	    "debug_options ALL,2\n");
	if (harness_start(&h) == -1)
		bail_out("sluice did not start");

	/* A tunnel to the echo server: 1 MB there and back, half-close. */
	if (raw_open(&c, h.port[0]) == -1)
		bail_out("cannot connect to sluice");
	memset(&r, 0, sizeof(r));
	is_int(connect_to(&c, &r, echo_port(e)), 200,
	    "CONNECT to an SSL_ports port: 200");
	raw_resp_free(&r);
	rc = raw_exchange(&c, NULL, TUNNEL_BYTES, 1, &x, 30000);
	is_int(rc, 0, "1 MB sent through the tunnel, our side half-closed, "
	    "EOF came back");
	is_int((long long)x.received, TUNNEL_BYTES,
	    "all 1 MB came back through the tunnel");
	ok(x.hash == harness_pattern_hash(TUNNEL_BYTES),
	    "what came back is byte-exact");
	ok(x.eof, "the far side's close reaches the client (after our "
	    "half-close was relayed)");
	raw_close(&c);
	is_int(echo_nconn(e), 1, "the echo server saw one connection");

	snprintf(target, sizeof(target), "127.0.0.1:%d", echo_port(e));
	line = harness_log_wait(&h, "TCP_TUNNEL/200", " CONNECT ", target,
	    NULL);
	ok(line != NULL, "access log: TCP_TUNNEL/200 CONNECT %s", target);
	like(line, "HIER_DIRECT/127.0.0.1", "access log: tunnel went direct");
	ok(line != NULL && harness_field(line, 4, buf, sizeof(buf)) != NULL &&
	    strtoull(buf, NULL, 10) >= TUNNEL_BYTES,
	    "access log: the tunnel's byte count covers the 1 MB (%s)",
	    line != NULL ? buf : "no line");
	free(line);
	line = harness_file_wait(h.cache_log, 2000, "tunnel to", target,
	    "done", NULL);
	like(line, ", spliced", "both directions went through splice(2), "
	    "not user space");
	free(line);

	/* A small exchange, then the client closes without half-close. */
	if (raw_open(&c, h.port[0]) == -1)
		bail_out("cannot connect to sluice");
	is_int(connect_to(&c, &r, echo_port(e)), 200,
	    "second CONNECT: 200");
	raw_resp_free(&r);
	raw_sends(&c, "ping\n");
	memset(buf, 0, sizeof(buf));
	ok(raw_read(&c, buf, 5, 10000) == 5 && strcmp(buf, "ping\n") == 0,
	    "bytes echo through the second tunnel");
	raw_close(&c);
	is_int(harness_file_wait_count(h.access_log, "TCP_TUNNEL/200", 2,
	    2000), 2, "the second tunnel is logged when the client closes");

	/* CONNECT to a port outside SSL_ports. */
	if (raw_open(&c, h.port[0]) == -1)
		bail_out("cannot connect to sluice");
	is_int(connect_to(&c, &r, other), 403,
	    "CONNECT to a port outside SSL_ports: 403");
	is_str(raw_resp_header(&r, "X-Sluice-Error"), "ERR_ACCESS_DENIED",
	    "X-Sluice-Error: ERR_ACCESS_DENIED");
	raw_resp_free(&r);
	raw_close(&c);
	snprintf(target, sizeof(target), "127.0.0.1:%d", other);
	line = harness_log_wait(&h, "TCP_DENIED/403", " CONNECT ", target,
	    NULL);
	ok(line != NULL, "access log: TCP_DENIED/403 CONNECT %s", target);
	like(line, "HIER_NONE/-", "access log: denied CONNECT went nowhere");
	free(line);

	/* CONNECT allowed, but nobody listens there. */
	if (raw_open(&c, h.port[0]) == -1)
		bail_out("cannot connect to sluice");
	is_int(connect_to(&c, &r, dead), 502,
	    "CONNECT to an allowed port nobody listens on: 502");
	raw_resp_free(&r);
	raw_close(&c);
	snprintf(target, sizeof(target), "127.0.0.1:%d", dead);
	line = harness_log_wait(&h, "/502", " CONNECT ", target, NULL);
	ok(line != NULL, "access log: the failed CONNECT is logged with 502");
	free(line);

	is_int(harness_file_count(h.access_log, "TCP_TUNNEL/200"), 2,
	    "access log: denied and failed CONNECTs are not logged as "
	    "tunnels");

	harness_stop(&h);
	harness_end(&h);
	echo_stop(e);
	return exit_status();
}
