/*
 * cache-collapse-workers.c -- one origin fetch, whatever the worker:
 * a miss in one worker process follows a fetch of the same URL that
 * another worker process leads, through the shared table of fetches
 * (cache/shared.h), reading the body file while it is being written
 * (read-while-write); each client gets the whole body byte for byte.
 *
 * Which worker accepts a connection is the kernel's choice, so the test
 * makes it certain: the leader's request goes to the first generation of
 * workers, then a reload (SIGHUP) starts a second generation, which alone
 * accepts from then on, while the first drains -- the followers are in
 * other processes than the leader, by construction.  The table survives
 * reloads, so the two generations collapse together.
 *
 * Then the same with the leading worker killed (SIGKILL) in the middle
 * of the body others follow: no client may get a body that looks
 * complete and is not the whole of it.
 *
 * Integration test: sluice (1 worker per generation) with a cache_dir,
 * a scripted origin that stalls half-way through its body, raw clients.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "origin.h"
#include "raw.h"
#include "tap.h"

#define NCLI	8
#define BODY	(8 << 20)

static const struct origin_step steps[] = {
	{ .expect = "GET /shared ", .status = 200, .body_len = BODY,
	    .headers = "Cache-Control: max-age=600\r\n",
	    .flags = ORIGIN_STALL, .stall_ms = 2500 },
	{ .expect = "GET /killed ", .status = 200, .body_len = BODY,
	    .headers = "Cache-Control: max-age=600\r\n",
	    .flags = ORIGIN_STALL, .stall_ms = 3000 },
};
#define NSTEPS	((int)(sizeof(steps) / sizeof(steps[0])))

static struct harness h;
static struct origin *o;

/* Every client reads at once, as real clients do (one thread each). */
struct reader {
	struct raw	*c;
	pthread_t	 t;
	int		 status, complete;
	size_t		 len;
	uint64_t	 hash;
};

static void *
reader_main(void *arg)
{
	struct reader *rd = arg;
	struct raw_resp r;

	memset(&r, 0, sizeof(r));
	rd->status = raw_read_resp(rd->c, &r, 0, 30000);
	rd->complete = r.complete;
	rd->len = r.body_len;
	rd->hash = r.body_hash;
	raw_resp_free(&r);
	return NULL;
}

/* Read the responses on @p c[0..n) at once. */
static void
read_all(struct raw *c, struct reader *rd, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		memset(&rd[i], 0, sizeof(rd[i]));
		rd[i].c = &c[i];
		if (pthread_create(&rd[i].t, NULL, reader_main, &rd[i]) != 0)
			bail_out("pthread_create");
	}
	for (i = 0; i < n; i++) {
		pthread_join(rd[i].t, NULL);
		raw_close(&c[i]);
	}
}

static int
whole(const struct reader *rd)
{
	return rd->status == 200 && rd->complete && rd->len == BODY &&
	    rd->hash == harness_pattern_hash(BODY);
}

/* Send the request for @p path on @p c. */
static void
ask(struct raw *c, const char *path)
{
	char req[256];

	if (raw_open(c, h.port[0]) == -1)
		bail_out("connect to sluice");
	snprintf(req, sizeof(req), "GET http://127.0.0.1:%d%s HTTP/1.1\r\n"
	    "Host: x\r\nConnection: close\r\n\r\n", origin_port(o), path);
	(void)raw_sends(c, req);
}

/*
 * The leader's request for @p path on the running generation, then a
 * reload: the next requests are accepted by the new generation only.
 * @return the leading worker's pid.
 */
static pid_t
lead_then_reload(struct raw *lc, const char *path)
{
	pid_t old;
	int n, i;

	if (harness_workers(&h, &old, 1) != 1)
		bail_out("not one worker");
	n = origin_nreq(o);
	ask(lc, path);
	for (i = 0; i < 250 && origin_nreq(o) == n; i++)
		harness_msleep(20);
	harness_signal(&h, SIGHUP);
	/* The old generation drains (it leads the fetch), the new serves. */
	if (!harness_wait_workers(&h, 2, NULL, 0, 10000))
		bail_out("no new generation");
	harness_msleep(200);	/* the old one has closed its listeners */
	return old;
}

int
main(void)
{
	static struct raw c[NCLI + 1];
	static struct reader rd[NCLI + 1];
	pid_t leader;
	int i, good, nwhole, cut, wrong, n0;
	char *line;

	plan(7 + ORIGIN_FINISH_TESTS + HARNESS_STOP_TESTS +
	    HARNESS_END_TESTS);
	o = origin_start(steps, NSTEPS);
	harness_init(&h, 1);
	harness_conf(&h, "http_access allow localhost\nhttp_access deny all\n"
	    "workers 1\ncache_dir lmdb %DIR%/cache 256\n"
	    "debug_options ALL,2\nshutdown_lifetime 30 seconds\n");
	if (harness_start(&h) == -1)
		bail_out("sluice did not start");

	/* 1. Followers in another process than the leader's: c[0] leads. */
	n0 = origin_nreq(o);
	leader = lead_then_reload(&c[0], "/shared");
	for (i = 1; i <= NCLI; i++)
		ask(&c[i], "/shared");
	read_all(c, rd, NCLI + 1);
	ok(whole(&rd[0]), "the leader's client (worker %ld, the old "
	    "generation) got the whole body", (long)leader);
	for (i = 1, good = 0; i <= NCLI; i++)
		good += whole(&rd[i]);
	is_int(good, NCLI, "%d clients on the new generation's worker got the "
	    "whole %d-byte body, byte for byte", NCLI, BODY);
	is_int(origin_nreq(o) - n0, 1, "one origin fetch for all of them");
	ok(harness_file_count(h.cache_log, "follows the fetch of another "
	    "worker") >= 1, "they followed the other worker's fetch "
	    "(cache_log)");
	line = harness_file_wait(h.access_log, 2000, "TCP_CF_HIT/200",
	    "/shared", NULL);
	ok(line != NULL, "access log: TCP_CF_HIT/200 for them");
	free(line);

	/* 2. The leading worker is killed in the middle of the body. */
	n0 = origin_nreq(o);
	leader = lead_then_reload(&c[0], "/killed");
	for (i = 1; i <= NCLI; i++)
		ask(&c[i], "/killed");
	/* Half the body is out and the origin stalls: kill the leader. */
	harness_msleep(1000);
	(void)kill(leader, SIGKILL);
	read_all(c, rd, NCLI + 1);
	nwhole = cut = wrong = 0;
	for (i = 0; i <= NCLI; i++) {
		if (whole(&rd[i]))
			nwhole++;
		else if (!rd[i].complete)
			cut++;
		else
			wrong++;
	}
	is_int(wrong, 0, "leader killed mid-body: no client got a "
	    "complete-looking body that is not the whole one (%d cut short, "
	    "%d whole)", cut, nwhole);
	is_int(origin_nreq(o) - n0, 1, "and no second fetch was made for it");
	h.expect_alert = 1;	/* the master logs the killed worker */

	origin_finish(o);
	origin_free(o);
	harness_stop(&h);
	harness_end(&h);
	return exit_status();
}
