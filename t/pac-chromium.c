/*
 * pac-chromium.c -- a real browser configured only with sluice's PAC URL:
 * headless Chromium, started with --proxy-pac-url pointing at
 * http://127.0.0.1:PORT/proxy.pac, fetches the file from sluice, loads a
 * page of a loopback origin through sluice (the access log has it, the
 * origin got it from sluice) and a page of a pac_direct host directly
 * (not in the access log, the origin got it all the same).
 *
 * Integration test: a real sluice, the fake DNS server (sluice resolves
 * the proxied name through it), a permissive origin written here (a
 * browser also asks for /favicon.ico), Chromium (Debian's `chromium`;
 * `./setup.sh check` installs it; without it the test skips and says
 * so).  Each Chromium run is bounded (60 s) and only the Chromium this
 * test started is killed, by its process group (t/lib/run.h).
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fakedns.h"
#include "harness.h"
#include "run.h"
#include "tap.h"

#define NTESTS	11

/* A permissive origin: any GET gets a page naming its path. */
struct web {
	int		 fd;
	int		 port;
	int		 stop;
	pthread_t	 thr;
	pthread_mutex_t	 mu;
	char		 seen[4096];	/* request lines, one a line */
};

static void
web_serve(struct web *w, int fd)
{
	char req[4096], page[512], resp[1024], path[256];
	size_t n = 0;
	ssize_t rd;
	struct pollfd p;
	int len, tries;

	/* The head, bounded in time and size. */
	for (tries = 0; tries < 100 && n < sizeof(req) - 1; tries++) {
		p.fd = fd;
		p.events = POLLIN;
		if (poll(&p, 1, 50) != 1)
			continue;
		rd = read(fd, req + n, sizeof(req) - 1 - n);
		if (rd <= 0)
			break;
		n += (size_t)rd;
		req[n] = '\0';
		if (strstr(req, "\r\n\r\n") != NULL)
			break;
	}
	req[n] = '\0';
	if (sscanf(req, "GET %255s", path) != 1)
		snprintf(path, sizeof(path), "?");
	pthread_mutex_lock(&w->mu);
	if (strlen(w->seen) + strlen(path) + 6 < sizeof(w->seen)) {
		strcat(w->seen, "GET ");
		strcat(w->seen, path);
		strcat(w->seen, "\n");
	}
	pthread_mutex_unlock(&w->mu);
	len = snprintf(page, sizeof(page), "<html><head><title>t</title>"
	    "</head><body><p id=\"m\">page-of%s</p></body></html>", path);
	len = snprintf(resp, sizeof(resp), "HTTP/1.1 200 OK\r\n"
	    "Content-Type: text/html\r\nContent-Length: %d\r\n"
	    "Cache-Control: no-store\r\nConnection: close\r\n\r\n%s", len,
	    page);
	(void)!write(fd, resp, (size_t)len);
	close(fd);
}

static void *
web_thread(void *arg)
{
	struct web *w = arg;
	struct pollfd p;
	int fd;

	while (!w->stop) {
		p.fd = w->fd;
		p.events = POLLIN;
		if (poll(&p, 1, 100) != 1)
			continue;
		fd = accept(w->fd, NULL, NULL);
		if (fd >= 0)
			web_serve(w, fd);
	}
	return NULL;
}

static void
web_start(struct web *w)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);

	memset(w, 0, sizeof(*w));
	pthread_mutex_init(&w->mu, NULL);
	w->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (w->fd == -1 || bind(w->fd, (struct sockaddr *)&sin,
	    sizeof(sin)) == -1 || listen(w->fd, 64) == -1 ||
	    getsockname(w->fd, (struct sockaddr *)&sin, &len) == -1)
		bail_out("origin: %s", strerror(errno));
	w->port = ntohs(sin.sin_port);
	if (pthread_create(&w->thr, NULL, web_thread, w) != 0)
		bail_out("origin thread");
}

static void
web_stop(struct web *w)
{
	w->stop = 1;
	pthread_join(w->thr, NULL);
	close(w->fd);
}

/* Run Chromium on @p url; its DOM dump into DIR/@p name.out. */
static int
browse(struct harness *h, const char *chromium, const char *name,
    const char *url, const char *rules, char **dom)
{
	char pac[200], ud[400], out[400], err[400], rulearg[200];
	const char *argv[20];
	int i = 0, rc;

	snprintf(pac, sizeof(pac), "--proxy-pac-url=http://127.0.0.1:%d/"
	    "proxy.pac", h->port[0]);
	snprintf(ud, sizeof(ud), "--user-data-dir=%s/chromium-%s", h->dir,
	    name);
	snprintf(out, sizeof(out), "%s/%s.out", h->dir, name);
	snprintf(err, sizeof(err), "%s/%s.err", h->dir, name);
	argv[i++] = chromium;
	argv[i++] = "--headless";
	argv[i++] = "--no-sandbox";
	argv[i++] = "--disable-gpu";
	argv[i++] = "--disable-quic";
	argv[i++] = "--no-first-run";
	argv[i++] = "--disable-background-networking";
	argv[i++] = "--disable-component-update";
	argv[i++] = "--disable-sync";
	argv[i++] = ud;
	argv[i++] = pac;
	if (rules != NULL) {
		snprintf(rulearg, sizeof(rulearg), "--host-resolver-rules=%s",
		    rules);
		argv[i++] = rulearg;
	}
	argv[i++] = "--dump-dom";
	argv[i++] = url;
	argv[i] = NULL;
	rc = run_program(argv, out, err, 60000);
	*dom = harness_file_read(out, NULL);
	if (rc != 0 || *dom == NULL || strstr(*dom, "page-of") == NULL) {
		char *e = harness_file_read(err, NULL);

		diag("chromium exited %d; its stderr ends with: %s", rc,
		    e ? (strlen(e) > 1500 ? e + strlen(e) - 1500 : e) : "");
		free(e);
	}
	return rc;
}

int
main(void)
{
	struct harness h;
	struct fakedns *dns;
	struct web w;
	char chromium[256], url[200], want[300], rules[100], *dom, *line;
	int rc;

	plan(NTESTS + HARNESS_STOP_TESTS + HARNESS_END_TESTS);
	if (run_find("chromium", chromium, sizeof(chromium)) == -1) {
		skip(NTESTS + HARNESS_STOP_TESTS + HARNESS_END_TESTS,
		    "chromium is not installed (Debian package chromium; "
		    "./setup.sh check installs it)");
		return exit_status();
	}
	dns = fakedns_start();
	fakedns_add(dns, "www.proxied.test");
	web_start(&w);
	harness_init(&h, 1);
	harness_set(&h, "DNS", "%d", fakedns_port(dns));
	harness_conf(&h,
	    "dns_nameservers 127.0.0.1:%DNS%\n"
	    "acl direct dstdomain .direct.test\n"
	    "pac_direct direct\n"
	    "http_access allow pac localhost\n"
	    "http_access allow localhost\n"
	    "http_access deny all\n");
	if (harness_start(&h) == -1)
		bail_out("sluice did not start");

	/* Through sluice. */
	snprintf(url, sizeof(url), "http://www.proxied.test:%d/via-proxy",
	    w.port);
	rc = browse(&h, chromium, "proxied", url, NULL, &dom);
	is_int(rc, 0, "chromium with --proxy-pac-url loads %s", url);
	like(dom, "page-of/via-proxy", "... and shows the page");
	free(dom);
	line = harness_log_wait(&h, "NONE_NONE/200", "/proxy.pac", NULL);
	ok(line != NULL, "chromium fetched the PAC file from sluice");
	free(line);
	snprintf(want, sizeof(want), "GET %s ", url);
	line = harness_log_wait(&h, "TCP_MISS/200", want, NULL);
	ok(line != NULL, "the page went through sluice (access log: %s)",
	    line ? line : "none");
	free(line);
	pthread_mutex_lock(&w.mu);
	like(w.seen, "GET /via-proxy\n", "the origin got it (from sluice)");
	pthread_mutex_unlock(&w.mu);
	ok(fakedns_queries(dns) > 0, "sluice resolved the name, not the "
	    "browser");

	/* DIRECT, as pac_direct says. */
	snprintf(url, sizeof(url), "http://www.direct.test:%d/direct-page",
	    w.port);
	snprintf(rules, sizeof(rules), "MAP *.direct.test 127.0.0.1");
	rc = browse(&h, chromium, "direct", url, rules, &dom);
	is_int(rc, 0, "chromium loads %s", url);
	like(dom, "page-of/direct-page", "... and shows the page");
	free(dom);
	pthread_mutex_lock(&w.mu);
	like(w.seen, "GET /direct-page\n", "the origin got it");
	pthread_mutex_unlock(&w.mu);
	is_int(harness_file_count(h.access_log, "direct.test"), 0,
	    "... straight from the browser: not in sluice's access log");
	ok(harness_file_count(h.access_log, "/proxy.pac") >= 2,
	    "the second browser fetched the PAC file from sluice too");

	harness_stop(&h);
	harness_end(&h);
	web_stop(&w);
	fakedns_stop(dns);
	return exit_status();
}
