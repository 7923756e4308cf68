/*
 * cache-full.c -- a full disk stops storing with one log line while
 * proxying goes on (issue: "A full disk or a full LMDB map stops storing
 * with one log line while proxying continues").  The cache_dir is a 2 MB
 * tmpfs in a mount namespace of this test's own, so the disk really
 * fills (ENOSPC) while cache_dir's own size (100 MB) is far away: every
 * response still reaches its client whole, objects stored before stay
 * hits, later ones are not stored, and cache.log says "storing off" once.
 *
 * Integration test: needs root (unshare + mount); skipped otherwise, the
 * skip naming the step that failed and why (not root; unshare or mount
 * refused, as in a container without CAP_SYS_ADMIN).  The namespace ends
 * with the test process (sluice is its child).
 */
#define _GNU_SOURCE
#include <sys/mount.h>

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "origin.h"
#include "raw.h"
#include "tap.h"

#define NOBJ	6
#define SZ	600000
#define NTESTS	(2 * NOBJ + 4)

#define STEP(p) { .expect = "GET " p, .status = 200, .body_len = SZ, \
	.headers = "Cache-Control: max-age=600\r\n", .flags = ORIGIN_REPEAT }
static const struct origin_step steps[] = {
	STEP("/o0"), STEP("/o1"), STEP("/o2"), STEP("/o3"), STEP("/o4"),
	STEP("/o5"),
};

static int oport;

static int
fetch(struct harness *h, int i, struct raw_resp *r)
{
	struct raw c;
	char req[256];
	int st;

	if (raw_open(&c, h->port[0]) == -1)
		return -1;
	snprintf(req, sizeof(req), "GET http://127.0.0.1:%d/o%d HTTP/1.1\r\n"
	    "Host: x\r\nConnection: close\r\n\r\n", oport, i);
	raw_sends(&c, req);
	st = raw_read_resp(&c, r, 0, 10000);
	raw_close(&c);
	return st;
}

int
main(void)
{
	struct harness h;
	struct origin *o;
	struct raw_resp r;
	char mnt[] = "/tmp/sluice-full.XXXXXX", conf[512], why[256];
	const char *cs;
	int i, st, whole, hits0, n;

	plan(NTESTS + ORIGIN_FINISH_TESTS + HARNESS_STOP_TESTS +
	    HARNESS_END_TESTS);
	/* Each step that can fail names itself and its errno in the skip. */
	why[0] = '\0';
	if (geteuid() != 0)
		snprintf(why, sizeof(why), "not root (euid %ld): mounting a "
		    "tmpfs needs CAP_SYS_ADMIN", (long)geteuid());
	else if (unshare(CLONE_NEWNS) == -1)
		snprintf(why, sizeof(why), "unshare(CLONE_NEWNS): %s",
		    strerror(errno));
	else if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == -1)
		snprintf(why, sizeof(why), "making / private in the new mount "
		    "namespace: %s", strerror(errno));
	else if (mkdtemp(mnt) == NULL)
		snprintf(why, sizeof(why), "mkdtemp %s: %s", mnt,
		    strerror(errno));
	else if (mount("tmpfs", mnt, "tmpfs", 0, "size=2m,mode=0777") == -1)
		snprintf(why, sizeof(why), "mounting a 2 MB tmpfs on %s: %s",
		    mnt, strerror(errno));
	if (why[0] != '\0') {
		skip(NTESTS + ORIGIN_FINISH_TESTS + HARNESS_STOP_TESTS +
		    HARNESS_END_TESTS, "needs a small tmpfs in a mount "
		    "namespace of its own: %s", why);
		return exit_status();
	}
	o = origin_start(steps, NOBJ);
	oport = origin_port(o);
	harness_init(&h, 1);
	snprintf(conf, sizeof(conf), "http_access allow localhost\n"
	    "http_access deny all\ncache_dir lmdb %s/cache 100\n", mnt);
	harness_conf(&h, conf);
	if (harness_start(&h) == -1)
		bail_out("sluice did not start");

	/* Each object twice: first from the origin, then maybe a hit. */
	for (i = 0, hits0 = 0; i < NOBJ; i++) {
		st = fetch(&h, i, &r);
		whole = st == 200 && r.complete && r.body_len == SZ &&
		    r.body_hash == harness_pattern_hash(SZ);
		ok(whole, "/o%d (600 KB): whole and byte-exact from the origin",
		    i);
		raw_resp_free(&r);
		st = fetch(&h, i, &r);
		whole = st == 200 && r.complete && r.body_len == SZ &&
		    r.body_hash == harness_pattern_hash(SZ);
		cs = raw_resp_header(&r, "Cache-Status");
		ok(whole, "/o%d again: whole and byte-exact (%s)", i,
		    cs ? cs : "no Cache-Status");
		if (cs != NULL && strstr(cs, "hit") != NULL && i == hits0)
			hits0++;
		raw_resp_free(&r);
	}
	ok(hits0 >= 1, "the first %d object(s), stored before the disk "
	    "filled, are hits", hits0);
	ok(hits0 < NOBJ, "the disk filled: %d of %d objects are not stored",
	    NOBJ - hits0, NOBJ);
	n = harness_file_wait_count(h.cache_log, "storing off", 1, 2000);
	is_int(n, 1, "cache.log says \"storing off\" exactly once");
	st = fetch(&h, NOBJ - 1, &r);
	ok(st == 200 && r.complete && r.body_len == SZ, "proxying goes on "
	    "after it");
	raw_resp_free(&r);

	harness_stop(&h);
	origin_finish(o);
	origin_free(o);
	harness_end(&h);
	(void)umount2(mnt, MNT_DETACH);
	(void)rmdir(mnt);
	return exit_status();
}
