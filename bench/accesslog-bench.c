/*
 * accesslog-bench.c -- the cost of one access-log line, for bench/accesslog.
 *
 * A test program, not part of sluice: it logs N requests in Squid's native
 * format to FILE, the way a worker does, and leaves the measuring to
 * callgrind (instructions inside bench_loop(), --toggle-collect) and strace
 * (write(2) calls).  Built twice by bench/accesslog:
 *
 *	-DBENCH_OLD	against the access log before batching (one snprintf
 *			line and one write(2) per request; its accesslog.c
 *			taken from git)
 *	(default)	against libsluice.a: accesslog_log() on a struct conn,
 *			accesslog_flush() every K lines as the event loop does
 *			after each turn
 *
 *	accesslog-bench FILE N K
 *
 * Both read the wall clock once per request, as req_started() does.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "accesslog.h"

#ifndef BENCH_OLD
#include "conf.h"
#include "conn.h"
#include "ev.h"
#include "log.h"

struct conf	*config_load(const char *path);
#endif

static const char url[] = "http://deb.debian.org/debian/pool/main/c/"
    "curl/libcurl4_7.88.1-10+deb12u5_amd64.deb";

/* Not inlined: callgrind collects inside it only (--toggle-collect). */
#define BENCH_LOOP	__attribute__((noinline)) static void

#ifdef BENCH_OLD
BENCH_LOOP
bench_loop(long n, long k)
{
	struct accesslog_entry e;
	struct timeval tv;
	long i;

	(void)k;
	for (i = 0; i < n; i++) {
		gettimeofday(&tv, NULL);	/* req_started() */
		memset(&e, 0, sizeof(e));	/* req_step_log() */
		e.start_sec = tv.tv_sec;
		e.start_msec = (int)(tv.tv_usec / 1000);
		e.elapsed_ms = 12;
		e.client = "192.168.10.23";
		e.code = "TCP_MISS";
		e.status = 200;
		e.bytes = 1537;
		e.method = "GET";
		e.url = url;
		e.hier = "HIER_DIRECT";
		e.peer = "151.101.2.132";
		e.type = "application/vnd.debian.binary-package";
		accesslog_write(&e);
	}
}

int
main(int argc, char **argv)
{
	if (argc != 4 || accesslog_open(argv[1]) == -1) {
		fprintf(stderr, "usage: accesslog-bench FILE N K\n");
		return 1;
	}
	bench_loop(atol(argv[2]), atol(argv[3]));
	return 0;
}
#else
BENCH_LOOP
bench_loop(struct conn *c, long n, long k)
{
	struct req *r = &c->r;
	long i;

	for (i = 0; i < n; i++) {
		r->r_start_ms = ev_now();	/* req_started() */
		ev_wallclock(&r->r_start_sec, &r->r_start_usec);
		accesslog_log(c);		/* req_step_log() */
		if ((i + 1) % k == 0)
			accesslog_flush();	/* the end of a loop turn */
	}
	accesslog_flush();
}

int
main(int argc, char **argv)
{
	struct conf *cf;
	struct conn *c;
	char path[512];
	FILE *fp;

	if (argc != 4 || atol(argv[3]) < 1) {
		fprintf(stderr, "usage: accesslog-bench FILE N K\n");
		return 1;
	}
	snprintf(path, sizeof(path), "%s.conf", argv[1]);
	if ((fp = fopen(path, "w")) == NULL)
		return 1;
	fprintf(fp, "http_port 127.0.0.1:3128\naccess_log %s squid\n",
	    argv[1]);
	fclose(fp);
	log_open(NULL, 1);
	if ((cf = config_load(path)) == NULL || ev_init() == -1 ||
	    accesslog_open(cf) == -1)
		return 1;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return 1;
	snprintf(c->c_peer_text, sizeof(c->c_peer_text), "192.168.10.23");
	c->c_peer_port = 40000;
	c->c_io.fd = -1;
	c->r.r_code = "TCP_MISS";
	c->r.r_hier = "HIER_DIRECT";
	snprintf(c->r.r_peer, sizeof(c->r.r_peer), "151.101.2.132");
	c->r.r_status = 200;
	c->r.r_bytes_out = 1537;
	c->r.r_method = (char *)"GET";
	c->r.r_url = (char *)url;
	c->r.r_host = (char *)"deb.debian.org";
	c->r.r_port = 80;
	c->r.r_version = 11;
	c->r.r_head_len = 180;
	c->r.r_ctype = (char *)"application/vnd.debian.binary-package";
	c->r.r_err = ERRPAGE_COUNT;
	bench_loop(c, atol(argv[2]), atol(argv[3]));
	accesslog_close();
	remove(path);
	return 0;
}
#endif
