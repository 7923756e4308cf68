/*
 * cache-packages.c -- the shipped package-repository knowledge, through a
 * real sluice: with etc/sluice.conf.in's refresh_pattern and
 * store_id_rewrite lines and a mirror that sends no Last-Modified, ETag,
 * Cache-Control or Expires (issue 12), a .deb is served from the cache on
 * the second request without asking the origin, also when the client
 * sends Cache-Control: max-age=0, no-cache or Pragma: no-cache, and also
 * from another official Debian mirror's URL (one store ID); a by-hash
 * index likewise (apt sends max-age=0 for it); InRelease goes to the
 * origin every time; Packages.xz is fresh for a few minutes unless the
 * client asks; a .deb outside a pool (a "current" name) and a 404 are not
 * taken as immutable; a PURGE of one mirror's URL removes the shared
 * stored object, a Location invalidates it, and Vary variants live under
 * it (invalidation and Vary by the stored key).
 *
 * Integration test: a real sluice, the shipped lines read from
 * etc/sluice.conf.in at run time, a fake DNS naming deb.debian.org,
 * ftp.de.debian.org and archive.ubuntu.com 127.0.0.1, a scripted origin
 * without validators, raw clients.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fakedns.h"
#include "harness.h"
#include "origin.h"
#include "raw.h"
#include "tap.h"

#define DEB	"/debian/pool/main/h/hello/hello_2.10-3_amd64.deb"
#define H64	"0123456789abcdef0123456789abcdef" \
		"0123456789abcdef0123456789abcdef"
#define BYHASH	"/dists/bookworm/main/binary-amd64/by-hash/SHA256/" H64
#define CURRENT	"/linux/direct/thing-stable_current_amd64.deb"
#define DSC	"/debian/pool/main/h/hello/hello_2.10-3.dsc"
#define MISSING	"/debian/dists/bookworm/main/binary-arm64/by-hash/SHA256/" \
		"fedcba9876543210fedcba9876543210" \
		"fedcba9876543210fedcba9876543210"

/*
 * No validators, no expiry: only Content-Type (and the framing), and an
 * Age from a CDN in front, so that a client's max-age=0 is exceeded by
 * construction (an age of 0 would satisfy it: RFC 9111 §5.2.1.1).
 */
#define BARE	"Content-Type: application/vnd.debian.binary-package\r\n" \
		"Age: 5\r\n"

static const struct origin_step steps[] = {
	{ .expect = "GET " DEB, .status = 200, .headers = BARE,
	    .body_len = 70000 },
	{ .expect = "GET /debian" BYHASH, .status = 200,
	    .headers = "Content-Type: application/x-xz\r\nAge: 5\r\n",
	    .body = "by-hash Packages.xz" },
	{ .expect = "GET /debian/dists/bookworm/InRelease", .status = 200,
	    .headers = "Content-Type: text/plain\r\n", .body = "InRelease 1" },
	{ .expect = "GET /debian/dists/bookworm/InRelease", .status = 200,
	    .headers = "Content-Type: text/plain\r\n", .body = "InRelease 2" },
	{ .expect = "GET /debian/dists/bookworm/InRelease", .status = 200,
	    .headers = "Content-Type: text/plain\r\n", .body = "InRelease 3" },
	{ .expect = "GET /debian/dists/bookworm/main/binary-amd64/Packages.xz",
	    .status = 200, .headers = "Content-Type: application/x-xz\r\n"
	    "Age: 5\r\n", .body = "Packages.xz 1" },
	{ .expect = "GET /debian/dists/bookworm/main/binary-amd64/Packages.xz",
	    .status = 200, .headers = "Content-Type: application/x-xz\r\n",
	    .body = "Packages.xz 2" },
	{ .expect = "GET " CURRENT, .status = 200, .headers = BARE,
	    .body = "current 1" },
	{ .expect = "GET " CURRENT, .status = 200, .headers = BARE,
	    .body = "current 2" },
	{ .expect = "GET " MISSING, .status = 404,
	    .headers = "Content-Type: text/html\r\n", .body = "not yet" },
	{ .expect = "GET " MISSING, .status = 200,
	    .headers = "Content-Type: application/x-xz\r\n", .body = "now" },
	{ .expect = "GET " DEB, .status = 200, .headers = BARE,
	    .body_len = 70000 },
	{ .expect = "GET " DSC, .expect_hdr = "Accept-Encoding: gzip",
	    .status = 200, .headers = "Vary: Accept-Encoding\r\n",
	    .body = "dsc gzip" },
	{ .expect = "GET " DSC, .expect_hdr = "Accept-Encoding: identity",
	    .status = 200,
	    .headers = "Vary: Accept-Encoding\r\n", .body = "dsc plain" },
	{ .expect = "POST /debian/upload", .status = 201,
	    .headers = "Location: /debian/pool/main/h/hello/"
	    "hello_2.10-3_amd64.deb\r\n", .body = "created" },
	{ .expect = "GET " DEB, .status = 200, .headers = BARE,
	    .body_len = 70000 },
};
#define NSTEPS	((int)(sizeof(steps) / sizeof(steps[0])))

static int oport;

/* GET http://HOST:PORT/PATH with @p extra fields, on a new connection. */
static int
ask(struct harness *h, const char *method, const char *host,
    const char *path, const char *extra, struct raw_resp *r)
{
	struct raw c;
	char req[1024];
	int st;

	if (raw_open(&c, h->port[0]) == -1)
		return -1;
	snprintf(req, sizeof(req), "%s http://%s:%d%s HTTP/1.1\r\n"
	    "Host: %s:%d\r\nUser-Agent: Debian APT-HTTP/1.3 (2.6.1)\r\n"
	    "%sConnection: close\r\n\r\n", method, host, oport, path, host,
	    oport, extra != NULL ? extra : "");
	raw_sends(&c, req);
	st = raw_read_resp(&c, r, 0, 10000);
	raw_close(&c);
	return st;
}

/* etc/sluice.conf.in's refresh_pattern and store_id_rewrite lines. */
static char *
shipped_lines(void)
{
	char path[512], line[8192], *out;
	const char *src;
	size_t n = 0, k;
	FILE *fp;

	if ((src = getenv("SLUICE_SRCDIR")) == NULL &&
	    (src = getenv("srcdir")) == NULL)
		src = ".";
	snprintf(path, sizeof(path), "%s/etc/sluice.conf.in", src);
	if ((fp = fopen(path, "r")) == NULL)
		bail_out("%s: %s", path, strerror(errno));
	if ((out = calloc(1, 65536)) == NULL)
		bail_out("out of memory");
	while (fgets(line, sizeof(line), fp) != NULL) {
		if (strncmp(line, "refresh_pattern ", 16) != 0 &&
		    strncmp(line, "store_id_rewrite ", 17) != 0)
			continue;
		k = strlen(line);
		if (n + k + 1 > 65536)
			bail_out("too many shipped lines");
		memcpy(out + n, line, k + 1);
		n += k;
	}
	fclose(fp);
	return out;
}

int
main(void)
{
	struct harness h;
	struct fakedns *d;
	struct origin *o;
	struct raw_resp r;
	char *lines, *conf, *line;
	size_t n;
	int before;

	plan(46 + ORIGIN_FINISH_TESTS + HARNESS_STOP_TESTS +
	    HARNESS_END_TESTS);
	d = fakedns_start();
	fakedns_add(d, "deb.debian.org");
	fakedns_add(d, "ftp.de.debian.org");
	fakedns_add(d, "archive.ubuntu.com");
	fakedns_add(d, "dl.example.com");
	o = origin_start(steps, NSTEPS);
	oport = origin_port(o);
	harness_init(&h, 1);
	harness_set(&h, "DNS", "%d", fakedns_port(d));
	lines = shipped_lines();
	n = strlen(lines) + 1024;
	if ((conf = malloc(n)) == NULL)
		bail_out("out of memory");
	snprintf(conf, n, "dns_nameservers 127.0.0.1:%%DNS%%\n"
	    "acl purge method PURGE\n"
	    "http_access allow purge localhost\n"
	    "http_access allow localhost\nhttp_access deny all\n"
	    "cache_dir lmdb %%DIR%%/cache 64\n%s", lines);
	free(lines);
	harness_conf(&h, conf);
	free(conf);
	if (harness_start(&h) == -1)
		bail_out("sluice did not start");

	/* A .deb from a mirror without validators or expiry. */
	is_int(ask(&h, "GET", "deb.debian.org", DEB, NULL, &r), 200,
	    ".deb: the first GET is fetched");
	ok(r.body_len == 70000 && raw_has(&r, "Cache-Status", "fwd=uri-miss") &&
	    raw_has(&r, "Cache-Status", "stored"),
	    ".deb: the whole body, stored");
	raw_resp_free(&r);
	before = origin_nreq(o);
	is_int(ask(&h, "GET", "deb.debian.org", DEB, NULL, &r), 200,
	    ".deb: the second GET");
	ok(r.body_len == 70000 && raw_has(&r, "Cache-Status", "hit") &&
	    origin_nreq(o) == before, ".deb: served from the cache, the "
	    "origin not asked (refresh_pattern ... immutable)");
	raw_resp_free(&r);
	is_int(ask(&h, "GET", "deb.debian.org", DEB, "Cache-Control: "
	    "max-age=0\r\n", &r), 200, ".deb with max-age=0");
	ok(raw_has(&r, "Cache-Status", "hit") && origin_nreq(o) == before,
	    ".deb: a client's max-age=0 is still a hit");
	raw_resp_free(&r);
	is_int(ask(&h, "GET", "deb.debian.org", DEB, "Cache-Control: "
	    "no-cache\r\n", &r), 200, ".deb with no-cache");
	ok(raw_has(&r, "Cache-Status", "hit") && origin_nreq(o) == before,
	    ".deb: a client's no-cache is still a hit");
	raw_resp_free(&r);
	is_int(ask(&h, "GET", "deb.debian.org", DEB, "Pragma: no-cache\r\n",
	    &r), 200, ".deb with Pragma: no-cache");
	ok(raw_has(&r, "Cache-Status", "hit") && origin_nreq(o) == before,
	    ".deb: Pragma: no-cache is still a hit");
	raw_resp_free(&r);
	is_int(ask(&h, "GET", "ftp.de.debian.org", DEB, NULL, &r), 200,
	    ".deb from another official mirror");
	ok(r.body_len == 70000 && raw_has(&r, "Cache-Status", "hit") &&
	    origin_nreq(o) == before, ".deb: the same stored object (one "
	    "store ID for the mirrors), the origin not asked");
	raw_resp_free(&r);
	line = harness_log_wait(&h, "TCP_HIT/200", "ftp.de.debian.org", NULL);
	ok(line != NULL && strstr(line, "http://ftp.de.debian.org:") != NULL,
	    "access log: TCP_HIT with the URL as asked");
	free(line);

	/* A by-hash index, which apt asks with max-age=0. */
	is_int(ask(&h, "GET", "deb.debian.org", "/debian" BYHASH,
	    "Cache-Control: max-age=0\r\n", &r), 200, "by-hash: fetched");
	raw_resp_free(&r);
	before = origin_nreq(o);
	is_int(ask(&h, "GET", "deb.debian.org", "/debian" BYHASH,
	    "Cache-Control: max-age=0\r\n", &r), 200, "by-hash again with "
	    "max-age=0");
	ok(raw_has(&r, "Cache-Status", "hit") && origin_nreq(o) == before &&
	    r.body != NULL && strcmp(r.body, "by-hash Packages.xz") == 0,
	    "by-hash: a hit, the origin not asked");
	raw_resp_free(&r);
	is_int(ask(&h, "GET", "archive.ubuntu.com", "/ubuntu" BYHASH,
	    "Cache-Control: max-age=0\r\n", &r), 200, "the same hash on "
	    "Ubuntu's archive");
	ok(raw_has(&r, "Cache-Status", "hit") && origin_nreq(o) == before,
	    "by-hash: one object per hash across the official archives");
	raw_resp_free(&r);

	/* InRelease: volatile, asked again every time. */
	is_int(ask(&h, "GET", "deb.debian.org", "/debian/dists/bookworm/"
	    "InRelease", "Cache-Control: max-age=0\r\n", &r), 200,
	    "InRelease: fetched");
	raw_resp_free(&r);
	is_int(ask(&h, "GET", "deb.debian.org", "/debian/dists/bookworm/"
	    "InRelease", "Cache-Control: max-age=0\r\n", &r), 200,
	    "InRelease again with max-age=0");
	ok(r.body != NULL && strcmp(r.body, "InRelease 2") == 0,
	    "InRelease: refetched as the client asks");
	raw_resp_free(&r);
	is_int(ask(&h, "GET", "deb.debian.org", "/debian/dists/bookworm/"
	    "InRelease", NULL, &r), 200, "InRelease without Cache-Control");
	ok(r.body != NULL && strcmp(r.body, "InRelease 3") == 0,
	    "InRelease: volatile, asked again even when the client does not "
	    "ask (0 0%% 0)");
	raw_resp_free(&r);

	/* Packages.xz under its own name: short-lived. */
	is_int(ask(&h, "GET", "deb.debian.org", "/debian/dists/bookworm/main/"
	    "binary-amd64/Packages.xz", NULL, &r), 200, "Packages.xz: fetched");
	raw_resp_free(&r);
	before = origin_nreq(o);
	is_int(ask(&h, "GET", "deb.debian.org", "/debian/dists/bookworm/main/"
	    "binary-amd64/Packages.xz", NULL, &r), 200, "Packages.xz again");
	ok(raw_has(&r, "Cache-Status", "hit") && origin_nreq(o) == before,
	    "Packages.xz: fresh for a few minutes (5 20%% 5)");
	raw_resp_free(&r);
	is_int(ask(&h, "GET", "deb.debian.org", "/debian/dists/bookworm/main/"
	    "binary-amd64/Packages.xz", "Cache-Control: max-age=0\r\n", &r),
	    200, "Packages.xz with max-age=0");
	ok(r.body != NULL && strcmp(r.body, "Packages.xz 2") == 0,
	    "Packages.xz: the client's max-age=0 is honoured (not immutable)");
	raw_resp_free(&r);

	/* Not everything named .deb is immutable; not every status is. */
	is_int(ask(&h, "GET", "dl.example.com", CURRENT, NULL, &r), 200,
	    "a .deb outside a pool");
	raw_resp_free(&r);
	is_int(ask(&h, "GET", "dl.example.com", CURRENT, NULL, &r), 200,
	    "again");
	ok(r.body != NULL && strcmp(r.body, "current 2") == 0,
	    "a \"current\" .deb outside a pool is asked again (. 0 20%% 4320)");
	raw_resp_free(&r);
	is_int(ask(&h, "GET", "deb.debian.org", MISSING, "Cache-Control: "
	    "max-age=0\r\n", &r), 404, "a by-hash file not yet on the mirror");
	raw_resp_free(&r);
	is_int(ask(&h, "GET", "deb.debian.org", MISSING, "Cache-Control: "
	    "max-age=0\r\n", &r), 200, "asked again: immutable is for 200s "
	    "only, the 404 was not kept");
	raw_resp_free(&r);

	/* Invalidation by the stored key. */
	is_int(ask(&h, "PURGE", "ftp.de.debian.org", DEB, NULL, &r), 200,
	    "PURGE of the .deb through the other mirror's URL: found");
	raw_resp_free(&r);
	before = origin_nreq(o);
	is_int(ask(&h, "GET", "deb.debian.org", DEB, NULL, &r), 200,
	    ".deb after the PURGE");
	ok(origin_nreq(o) == before + 1 && raw_has(&r, "Cache-Status", "miss"),
	    "the shared object was removed: fetched again");
	raw_resp_free(&r);

	/* Vary under a shared key: the variants follow the stored key. */
	is_int(ask(&h, "GET", "deb.debian.org", DSC,
	    "Accept-Encoding: gzip\r\n", &r), 200, "a .dsc with Vary: "
	    "Accept-Encoding, gzip variant");
	raw_resp_free(&r);
	before = origin_nreq(o);
	is_int(ask(&h, "GET", "ftp.de.debian.org", DSC, "Accept-Encoding: "
	    "gzip\r\n", &r), 200, "the same variant from the other mirror");
	ok(raw_body_is(&r, "dsc gzip") && origin_nreq(o) == before,
	    "a hit on the shared key's variant");
	raw_resp_free(&r);
	is_int(ask(&h, "GET", "ftp.de.debian.org", DSC, NULL, &r), 200,
	    "another variant (no Accept-Encoding) from the other mirror");
	ok(raw_body_is(&r, "dsc plain") && raw_has(&r, "Cache-Status",
	    "fwd=vary-miss"), "a vary-miss: fetched (RFC 9111 §4.1)");
	raw_resp_free(&r);

	/* An unsafe method's Location invalidates the shared key. */
	is_int(ask(&h, "GET", "ftp.de.debian.org", DEB, NULL, &r), 200,
	    ".deb stored again");
	ok(raw_has(&r, "Cache-Status", "hit"), "(a hit from the fetch before)");
	raw_resp_free(&r);
	is_int(ask(&h, "POST", "deb.debian.org", "/debian/upload",
	    "Content-Length: 0\r\n", &r), 201, "a POST answered 201 with "
	    "Location: the .deb's path");
	raw_resp_free(&r);
	before = origin_nreq(o);
	is_int(ask(&h, "GET", "ftp.de.debian.org", DEB, NULL, &r), 200,
	    ".deb from the other mirror after that");
	ok(origin_nreq(o) == before + 1, "fetched again: the Location "
	    "invalidated the stored key (RFC 9111 §4.4)");
	raw_resp_free(&r);

	harness_stop(&h);
	origin_finish(o);
	origin_free(o);
	fakedns_stop(d);
	harness_end(&h);
	return exit_status();
}
