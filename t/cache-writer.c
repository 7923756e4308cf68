/*
 * cache-writer.c -- a write stuck in the store never stalls the event
 * loop: LMDB write transactions and body files are written by the
 * worker's writer thread (cache/writer.h), lookups stay on the loop.
 *
 * The test holds LMDB's one writer lock (shared by every process of the
 * cache) from outside, the way a long eviction or a slow fsync would.
 * While it is held, a response being stored cannot commit: its client
 * waits for the last bytes (they follow the commit, so that the next
 * request finds it stored), but a hit on the same single worker is still
 * served.  Once the lock is free the stored response completes and is a
 * hit from then on.
 *
 * Integration test: a real sluice with one worker and a cache_dir, a
 * scripted origin, raw clients, liblmdb in the test process.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lmdb.h>

#include "harness.h"
#include "origin.h"
#include "raw.h"
#include "tap.h"

#define BODY_B	(200 * 1024)

static const struct origin_step steps[] = {
	{ .expect = "GET /a", .status = 200, .body = "small and stored",
	    .headers = "Cache-Control: max-age=600\r\n" },
	{ .expect = "GET /b", .status = 200, .body_len = BODY_B,
	    .headers = "Cache-Control: max-age=600\r\n" },
};
#define NSTEPS	((int)(sizeof(steps) / sizeof(steps[0])))

static int oport;

static void
send_req(struct raw *c, struct harness *h, const char *path)
{
	char req[512];

	if (raw_open(c, h->port[0]) == -1)
		bail_out("connect to sluice");
	snprintf(req, sizeof(req), "GET http://127.0.0.1:%d%s HTTP/1.1\r\n"
	    "Host: x\r\nConnection: close\r\n\r\n", oport, path);
	raw_sends(c, req);
}

static int
ask(struct harness *h, const char *path, struct raw_resp *r)
{
	struct raw c;
	int st;

	send_req(&c, h, path);
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
	struct raw b;
	MDB_env *env = NULL;
	MDB_txn *txn = NULL;
	char dir[300];
	int rc, i, n;

	plan(10 + ORIGIN_FINISH_TESTS + HARNESS_STOP_TESTS +
	    HARNESS_END_TESTS);
	o = origin_start(steps, NSTEPS);
	oport = origin_port(o);
	harness_init(&h, 1);
	harness_conf(&h, "http_access allow localhost\nhttp_access deny all\n"
	    "workers 1\ncache_dir lmdb %DIR%/cache 64\n"
	    "read_timeout 30 seconds\n");
	if (harness_start(&h) == -1)
		bail_out("sluice did not start");

	is_int(ask(&h, "/a", &r), 200, "/a stored");
	raw_resp_free(&r);
	is_int(ask(&h, "/a", &r), 200, "/a again");
	ok(raw_has(&r, "Cache-Status", "hit"), "is a hit");
	raw_resp_free(&r);

	/* Take the store's writer lock, as a stuck writer would hold it. */
	snprintf(dir, sizeof(dir), "%s/cache", h.dir);
	rc = mdb_env_create(&env);
	if (rc == 0)
		rc = mdb_env_set_maxdbs(env, 8);
	if (rc == 0)
		rc = mdb_env_set_mapsize(env, (size_t)1 << 30);
	if (rc == 0)
		rc = mdb_env_open(env, dir, MDB_NOTLS, 0640);
	if (rc == 0)
		rc = mdb_txn_begin(env, NULL, 0, &txn);
	ok(rc == 0, "the test holds the cache's writer lock (%s)",
	    mdb_strerror(rc));

	/* A miss to store: its commit has to wait for the lock. */
	n = origin_nreq(o);
	send_req(&b, &h, "/b");
	for (i = 0; i < 250 && origin_nreq(o) == n; i++)
		harness_msleep(20);

	/* The same single worker still serves hits meanwhile. */
	is_int(ask(&h, "/a", &r), 200, "while a commit waits for the lock, "
	    "a hit on the same worker is served");
	ok(raw_has(&r, "Cache-Status", "hit"), "from the cache");
	raw_resp_free(&r);

	/* Let the writer go: the stored response completes. */
	if (txn != NULL)
		mdb_txn_abort(txn);
	if (env != NULL)
		mdb_env_close(env);
	is_int(raw_read_resp(&b, &r, 0, 20000), 200, "the lock released, "
	    "/b completes");
	ok(r.complete && r.body_len == BODY_B &&
	    r.body_hash == harness_pattern_hash(BODY_B), "whole and byte "
	    "for byte");
	raw_resp_free(&r);
	raw_close(&b);
	is_int(ask(&h, "/b", &r), 200, "/b again");
	ok(raw_has(&r, "Cache-Status", "hit"), "is a hit: it was committed "
	    "before its last bytes went out");
	raw_resp_free(&r);

	origin_finish(o);
	origin_free(o);
	harness_stop(&h);
	harness_end(&h);
	return exit_status();
}
