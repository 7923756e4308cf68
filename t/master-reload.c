/*
 * master-reload.c -- SIGHUP reloads: a broken new configuration is
 * reported as FILE:LINE and the old one keeps serving; a good one takes
 * effect in a new generation of workers; no connection is refused while
 * reloads happen.
 *
 * Integration test: a real sluice, the scripted origin, libcurl.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "harness.h"
#include "origin.h"
#include "tap.h"

#define ALLOW	"http_access allow localhost\nhttp_access deny all\n"
#define LOOP	60

static const struct origin_step steps[] = {
	{ .expect = "GET /r", .status = 200, .body = "served",
	    .flags = ORIGIN_REPEAT },
};

static char	url[256];

/* One GET of /r on a fresh connection; @return the status (0: failed). */
static long
get(struct harness *h, struct client_resp *r)
{
	return client_get(h->port[0], url, r);
}

/* Poll (bounded) until a GET answers @p status. @return 1 seen. */
static int
wait_status(struct harness *h, long status, char *err, size_t errsz)
{
	struct client_resp r;
	const char *v;
	long st;
	int i;

	for (i = 0; i < 200; i++) {
		st = get(h, &r);
		if (st == status) {
			v = client_resp_header(&r, "X-Sluice-Error");
			snprintf(err, errsz, "%s", v != NULL ? v : "");
			client_resp_free(&r);
			return 1;
		}
		client_resp_free(&r);
		harness_msleep(50);
	}
	return 0;
}

/* Line number of the first line of @p path holding @p needle, or 0. */
static int
line_of(const char *path, const char *needle)
{
	char *text, *p;
	int n = 1;

	text = harness_file_read(path, NULL);
	if (text == NULL || (p = strstr(text, needle)) == NULL) {
		free(text);
		return 0;
	}
	*p = '\0';
	for (p = text; *p != '\0'; p++)
		if (*p == '\n')
			n++;
	free(text);
	return n;
}

int
main(void)
{
	struct harness h;
	struct origin *o;
	struct client_resp r;
	pid_t w[8], old;
	char want[400], err[128], *line;
	int n, bad, i, lineno;
	long st;

	plan(12 + ORIGIN_FINISH_TESTS + HARNESS_STOP_TESTS +
	    HARNESS_END_TESTS);

	o = origin_start(steps, 1);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/r", origin_port(o));
	harness_init(&h, 1);
	harness_conf(&h, ALLOW);
	if (harness_start(&h) == -1)
		bail_out("sluice did not start");

	is_int(get(&h, &r), 200, "before any reload: 200");
	client_resp_free(&r);
	n = harness_workers(&h, w, 8);
	if (n != 1)
		bail_out("expected one worker, found %d", n);
	old = w[0];

	/* A broken configuration: reported, and the old one stays. */
	harness_conf(&h, ALLOW "bogus_directive on\n");
	lineno = line_of(h.conf, "bogus_directive");
	harness_signal(&h, SIGHUP);
	snprintf(want, sizeof(want), "%s:%d:", h.conf, lineno);
	line = harness_file_wait(h.cache_log, 5000, want, NULL);
	ok(line != NULL, "SIGHUP with a broken file logs %s", want);
	free(line);
	ok(harness_signal(&h, 0) == 0, "the master keeps running");
	is_int(get(&h, &r), 200, "the old configuration still serves: 200");
	client_resp_free(&r);
	n = harness_workers(&h, w, 8);
	ok(n == 1 && w[0] == old, "no new generation was started (worker "
	    "%ld kept)", (long)old);

	/* A good configuration with a change: deny all. */
	harness_conf(&h, "http_access deny all\n");
	harness_signal(&h, SIGHUP);
	ok(wait_status(&h, 403, err, sizeof(err)),
	    "after SIGHUP with deny all, requests get 403");
	is_str(err, "ERR_ACCESS_DENIED", "and X-Sluice-Error: "
	    "ERR_ACCESS_DENIED");
	ok(harness_wait_workers(&h, 1, &old, 1, 10000),
	    "the old worker is replaced by the new generation");

	/* Back to allow. */
	harness_conf(&h, ALLOW);
	harness_signal(&h, SIGHUP);
	ok(wait_status(&h, 200, err, sizeof(err)),
	    "after SIGHUP back to allow, requests get 200 again");

	/* Requests while reloads happen: none refused, none failed. */
	bad = 0;
	for (i = 0; i < LOOP; i++) {
		if (i == 5 || i == 25 || i == 45) {
			harness_conf(&h, i == 25 ? ALLOW "# again\n" : ALLOW);
			harness_signal(&h, SIGHUP);
		}
		st = get(&h, &r);
		if (st != 200) {
			bad++;
			diag("request %d during reloads: status %ld (%s)", i,
			    st, r.error);
		}
		client_resp_free(&r);
	}
	is_int(bad, 0, "%d requests across 3 reloads: every one answered "
	    "200, none refused", LOOP);
	ok(harness_wait_workers(&h, 1, NULL, 0, 15000),
	    "old generations drain and exit: one worker remains");
	ok(harness_signal(&h, 0) == 0, "the master is still running");

	origin_finish(o);
	harness_stop(&h);
	harness_end(&h);
	origin_free(o);
	return exit_status();
}
