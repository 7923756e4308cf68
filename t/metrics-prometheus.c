/*
 * metrics-prometheus.c -- a real Prometheus server scrapes sluice's
 * /metrics: the target is up (no scrape error: the text format parses),
 * sluice's series are stored with the values sluice served, and the
 * scrapes show in sluice's access log.
 *
 * Integration test: a real sluice, the prometheus binary of Debian's
 * prometheus package (./setup.sh takes it out of the package into
 * t/prometheus/ without installing the service; otherwise the test
 * skips and says so), started on a loopback port with a 1 s scrape
 * interval and stopped by its process group; its HTTP API is polled a
 * bounded number of times.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "harness.h"
#include "run.h"
#include "tap.h"

#define NTESTS	6

/* GET @p path of Prometheus' API; the body (malloc'd) or NULL. */
static char *
api(int port, const char *query)
{
	struct client_resp r;
	char url[400], *body;

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/api/v1/query?query=%s",
	    port, query);
	memset(&r, 0, sizeof(r));
	if (client_get(0, url, &r) != 200) {
		client_resp_free(&r);
		return NULL;
	}
	body = r.body ? strdup(r.body) : NULL;
	client_resp_free(&r);
	return body;
}

/* Poll @p query until its answer holds @p want (bounded: 40 s). */
static char *
api_wait(int port, const char *query, const char *want)
{
	char *b = NULL;
	int i;

	for (i = 0; i < 200; i++) {
		free(b);
		b = api(port, query);
		if (b != NULL && strstr(b, want) != NULL)
			return b;
		harness_msleep(200);
	}
	return b;
}

int
main(void)
{
	struct harness h;
	struct client_resp r;
	char prom[512], yml[300], tsdb[400], listen[100], cfg[400], url[200];
	char logp[300], want[200], *b;
	const char *argv[8];
	int pid, i;

	plan(NTESTS + HARNESS_STOP_TESTS + HARNESS_END_TESTS);
	snprintf(prom, sizeof(prom), "%s/t/prometheus/prometheus",
	    getenv("SLUICE_SRCDIR") ? getenv("SLUICE_SRCDIR") : ".");
	if (access(prom, X_OK) != 0 &&
	    run_find("prometheus", prom, sizeof(prom)) == -1) {
		skip(NTESTS + HARNESS_STOP_TESTS + HARNESS_END_TESTS,
		    "prometheus is not installed (./setup.sh takes it out of "
		    "Debian's prometheus package into t/prometheus/)");
		return exit_status();
	}
	harness_init(&h, 2);
	harness_conf(&h, "http_access allow manager localhost\n"
	    "http_access deny all\n");
	if (harness_start(&h) == -1)
		bail_out("sluice did not start");
	/* Some traffic first: three scrapes of our own. */
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/metrics", h.port[0]);
	for (i = 0; i < 3; i++) {
		client_get(0, url, &r);
		client_resp_free(&r);
	}

	snprintf(cfg, sizeof(cfg), "global:\n  scrape_interval: 1s\n"
	    "scrape_configs:\n  - job_name: sluice\n    static_configs:\n"
	    "      - targets: ['127.0.0.1:%d']\n", h.port[0]);
	if (harness_write(&h, "prometheus.yml", cfg, yml) == -1)
		bail_out("cannot write prometheus.yml");
	snprintf(tsdb, sizeof(tsdb), "--storage.tsdb.path=%s/tsdb", h.dir);
	snprintf(listen, sizeof(listen), "--web.listen-address=127.0.0.1:%d",
	    h.port[1]);
	snprintf(cfg, sizeof(cfg), "--config.file=%s", yml);
	snprintf(logp, sizeof(logp), "%s/prometheus.log", h.dir);
	argv[0] = prom;
	argv[1] = cfg;
	argv[2] = tsdb;
	argv[3] = listen;
	argv[4] = NULL;
	pid = run_start(argv, logp, NULL);
	ok(pid > 0, "prometheus started (pid %d)", pid);

	b = api_wait(h.port[1], "up", "\"1\"]");
	like(b, "\"job\":\"sluice\"},\"value\":[", "Prometheus scraped "
	    "sluice: up{job=\"sluice\"} is 1 (the text parses)");
	free(b);
	b = api_wait(h.port[1], "sluice_requests_total", "NONE_NONE");
	like(b, "\"code\":\"NONE_NONE\",", "sluice_requests_total{method="
	    "\"GET\",code=\"NONE_NONE\"} is stored");
	free(b);
	b = api_wait(h.port[1], "sluice_build_info", PACKAGE_VERSION);
	snprintf(want, sizeof(want), "\"version\":\"%s\"", PACKAGE_VERSION);
	like(b, want, "sluice_build_info has the version");
	free(b);
	b = api_wait(h.port[1], "sluice_workers", "\"1\"]");
	like(b, "\"value\":[", "sluice_workers is 1");
	free(b);
	b = harness_log_wait(&h, "NONE_NONE/200", "/metrics", NULL);
	ok(harness_file_count(h.access_log, "/metrics") > 3,
	    "its scrapes are in the access log");
	free(b);
	if (pid > 0 && run_stop(pid, 10000) != 0) {
		b = harness_file_read(logp, NULL);
		diag("prometheus did not stop cleanly: %s", b ? b : "");
		free(b);
	}
	harness_stop(&h);
	harness_end(&h);
	return exit_status();
}
