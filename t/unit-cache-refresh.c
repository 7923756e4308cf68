/*
 * unit-cache-refresh.c -- refresh_pattern's options and store_id_rewrite,
 * as pure functions: what each option overrides of RFC 9111 (one table
 * row each, with its section), the store IDs of a rule set, and the
 * shipped knowledge of package repositories (etc/sluice.conf.in): which
 * line and which store ID real repository URLs get.
 *
 * Unit test: heads parsed by worker/core/http_parse.c from literal text,
 * configurations loaded by conf_load() from a temp dir, then
 * policy_lifetime(), refresh_use(), refresh_for(), storeid_rewrite().
 * No sockets, no clock.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "http_parse.h"
#include "log.h"
#include "policy.h"
#include "refresh.h"
#include "storeid.h"
#include "tap.h"

#define D0	"Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
#define LM2H	"Last-Modified: Sun, 06 Nov 1994 06:49:37 GMT\r\n"
#define T0	((int64_t)784111777)	/* D0 */

#define OE	REFRESH_OVERRIDE_EXPIRE
#define OL	REFRESH_OVERRIDE_LASTMOD
#define IR	REFRESH_IGNORE_RELOAD
#define IM	REFRESH_IMMUTABLE
#define RI	REFRESH_IMS
#define YEAR	(525600LL * 60)

static struct http_head reqh, resph;
static char reqbuf[2048], respbuf[2048];
static char tdir[64];

static void
parse(const char *req, const char *resp)
{
	const char *why = NULL;

	snprintf(reqbuf, sizeof(reqbuf), "GET http://h/ HTTP/1.1\r\nHost: h\r\n"
	    "%s\r\n", req);
	snprintf(respbuf, sizeof(respbuf), "%s\r\n", resp);
	if (http_request_parse(reqbuf, strlen(reqbuf), &reqh, &why) != 0)
		bail_out("test request does not parse: %s", why);
	if (http_response_parse(respbuf, strlen(respbuf), &resph, &why) != 0)
		bail_out("test response does not parse: %s", why);
}

/*
 * policy_lifetime() under a line's options: response, MIN, MAX (seconds),
 * PERCENT, options, expected lifetime.
 */
static const struct {
	const char	*resp;
	int64_t		 min, max;
	int		 pct;
	unsigned	 flags;
	int64_t		 life;
	const char	*desc;
} lifetimes[] = {
	{ "HTTP/1.1 200 OK\r\n" D0 "Cache-Control: max-age=60\r\n",
	  3600, 86400, 20, 0, 60, "without options max-age stands "
	  "(RFC 9111 §4.2.1)" },
	{ "HTTP/1.1 200 OK\r\n" D0 "Cache-Control: max-age=60\r\n",
	  3600, 86400, 20, OE, 3600, "override-expire: a max-age below MIN "
	  "counts as MIN (overrides §4.2.1, §5.2.2.1)" },
	{ "HTTP/1.1 200 OK\r\n" D0 "Cache-Control: max-age=7200\r\n",
	  3600, 86400, 20, OE, 7200, "override-expire never shortens a "
	  "longer max-age" },
	{ "HTTP/1.1 200 OK\r\n" D0 "Expires: Sun, 06 Nov 1994 08:50:37 GMT\r\n",
	  3600, 86400, 20, OE, 3600, "override-expire: Expires - Date below "
	  "MIN counts as MIN (overrides §5.3)" },
	{ "HTTP/1.1 200 OK\r\n" D0 "Expires: 0\r\n", 3600, 86400, 20, OE,
	  3600, "override-expire: an invalid Expires (already expired, §5.3) "
	  "counts as MIN" },
	{ "HTTP/1.1 200 OK\r\n" D0 "Cache-Control: s-maxage=60\r\n",
	  3600, 86400, 20, OE, 60, "override-expire does not touch s-maxage: "
	  "it demands revalidation once stale (§5.2.2.10)" },
	{ "HTTP/1.1 200 OK\r\n" D0 "Cache-Control: max-age=60, "
	  "must-revalidate\r\n", 3600, 86400, 20, OE, 60, "nor a response "
	  "under must-revalidate (§5.2.2.2)" },
	{ "HTTP/1.1 200 OK\r\n" D0 "Cache-Control: max-age=60, no-cache\r\n",
	  3600, 86400, 20, OE, 60, "nor under no-cache (§5.2.2.4)" },
	{ "HTTP/1.1 200 OK\r\n" D0 LM2H, 3600, 86400, 10, 0, 720,
	  "without options the LM-factor stands below MIN (squid, §4.2.2)" },
	{ "HTTP/1.1 200 OK\r\n" D0 LM2H, 3600, 86400, 10, OL, 3600,
	  "override-lastmod: the LM-factor below MIN counts as MIN (overrides "
	  "the §4.2.2 heuristic)" },
	{ "HTTP/1.1 200 OK\r\n" D0 LM2H, 7200, 3600, 10, OL, 3600,
	  "override-lastmod: never above MAX" },
	{ "HTTP/1.1 200 OK\r\n" D0 LM2H "Cache-Control: proxy-revalidate\r\n",
	  3600, 86400, 10, OL, 720, "override-lastmod does not touch "
	  "proxy-revalidate responses (§5.2.2.8)" },
	{ "HTTP/1.1 200 OK\r\n" D0 "Cache-Control: max-age=60\r\n",
	  3600, 86400, 20, OL, 60, "override-lastmod leaves explicit expiry "
	  "alone" },
	{ "HTTP/1.1 200 OK\r\n" D0, 0, YEAR, 0, 0, 0, "no validators, no "
	  "expiry, MIN 0: stale at once (the .deb of issue 12)" },
	{ "HTTP/1.1 200 OK\r\n" D0, 0, YEAR, 0, IM, YEAR, "immutable: a 200 "
	  "without any expiry or validator is fresh for MAX (overrides "
	  "§4.2.2)" },
	{ "HTTP/1.1 200 OK\r\n" D0 "Cache-Control: max-age=0\r\n", 0, YEAR, 0,
	  IM, YEAR, "immutable: max-age=0 counts as MAX (overrides §4.2.1, "
	  "§5.2.2.1)" },
	{ "HTTP/1.1 200 OK\r\n" D0 "Expires: Sat, 05 Nov 1994 08:49:37 GMT\r\n",
	  0, YEAR, 0, IM, YEAR, "immutable: an Expires in the past too "
	  "(overrides §5.3)" },
	{ "HTTP/1.1 200 OK\r\n" D0 "Cache-Control: max-age=abc\r\n", 0, YEAR,
	  0, IM, YEAR, "immutable: an invalid max-age too (§4.2.1 would make "
	  "it stale)" },
	{ "HTTP/1.1 200 OK\r\n" D0 "Age: -1\r\n", 0, YEAR, 0, IM, YEAR,
	  "immutable: an invalid Age too (§5.1)" },
	{ "HTTP/1.1 200 OK\r\n" D0 "Cache-Control: max-age=99999999\r\n",
	  0, YEAR, 0, IM, 99999999, "immutable never shortens a longer "
	  "max-age" },
	{ "HTTP/1.1 404 Not Found\r\n" D0, 0, YEAR, 0, IM, 0, "immutable is "
	  "for a 200 only: a 404 (not yet on the mirror) gets MIN" },
	{ "HTTP/1.1 301 Moved Permanently\r\n" D0, 0, YEAR, 0, IM, 0,
	  "nor a redirect" },
	{ "HTTP/1.1 200 OK\r\n" D0 "Cache-Control: max-age=0, "
	  "must-revalidate\r\n", 0, YEAR, 0, IM, 0, "immutable does not touch "
	  "must-revalidate (§5.2.2.2)" },
	{ "HTTP/1.1 200 OK\r\n" D0 "Cache-Control: no-cache\r\n", 0, YEAR, 0,
	  IM, 0, "nor no-cache (§5.2.2.4)" },
	{ "HTTP/1.1 200 OK\r\n" D0 "Cache-Control: s-maxage=10\r\n", 0, YEAR,
	  0, IM, 10, "nor s-maxage (§5.2.2.10)" },
};

/*
 * refresh_use(): request fields, response fields, options, status,
 * If-Modified-Since sent, lifetime, age, expected use.
 */
static const struct {
	const char	*rq;
	const char	*rs;
	unsigned	 flags;
	int		 status;
	int		 ims;
	int64_t		 life, age;
	enum policy_use	 use;
	const char	*desc;
} uses[] = {
	{ "Cache-Control: max-age=0\r\n", "", 0, 200, 0, 600, 10,
	  USE_REVALIDATE, "without options a client's max-age=0 revalidates "
	  "(§5.2.1.1)" },
	{ "Cache-Control: max-age=0\r\n", "", IR, 200, 0, 600, 10, USE_FRESH,
	  "ignore-reload: max-age=0 is ignored (overrides §5.2.1.1)" },
	{ "Cache-Control: no-cache\r\n", "", IR, 200, 0, 600, 10, USE_FRESH,
	  "ignore-reload: no-cache is ignored (overrides §5.2.1.4)" },
	{ "Pragma: no-cache\r\n", "", IR, 200, 0, 600, 10, USE_FRESH,
	  "ignore-reload: Pragma: no-cache is ignored (overrides §5.4)" },
	{ "Cache-Control: max-age=5\r\n", "", IR, 200, 0, 600, 10,
	  USE_REVALIDATE, "ignore-reload: max-age=5 is an age limit, not a "
	  "reload: honoured (squid)" },
	{ "Cache-Control: no-cache\r\n", "", IR, 200, 0, 0, 10, USE_REVALIDATE,
	  "ignore-reload does not make a stale response fresh" },
	{ "Cache-Control: no-cache\r\n", "Cache-Control: no-cache\r\n", IR,
	  200, 0, 600, 10, USE_REVALIDATE, "ignore-reload: the origin's "
	  "no-cache still revalidates (§5.2.2.4)" },
	{ "Cache-Control: max-age=5\r\n", "", IM, 200, 0, YEAR, 10, USE_FRESH,
	  "immutable: any client max-age is ignored (overrides §5.2.1.1)" },
	{ "Cache-Control: no-cache\r\n", "", IM, 200, 0, YEAR, 10, USE_FRESH,
	  "immutable: no-cache is ignored (overrides §5.2.1.4)" },
	{ "Pragma: no-cache\r\n", "", IM, 200, 0, YEAR, 10, USE_FRESH,
	  "immutable: Pragma: no-cache is ignored (overrides §5.4)" },
	{ "Cache-Control: min-fresh=99999999\r\n", "", IM, 200, 0, YEAR, 10,
	  USE_FRESH, "immutable: min-fresh is ignored (overrides §5.2.1.3)" },
	{ "Cache-Control: no-cache\r\n", "", IM, 404, 0, 0, 10, USE_REVALIDATE,
	  "immutable: not for a 404" },
	{ "Cache-Control: no-cache\r\n", "Cache-Control: no-cache\r\n", IM,
	  200, 0, 0, 10, USE_REVALIDATE, "immutable: the origin's no-cache "
	  "still revalidates (§5.2.2.4)" },
	{ "", "Cache-Control: must-revalidate\r\n", IM, 200, 0, 0, 10,
	  USE_REVALIDATE, "immutable: a stale must-revalidate response is "
	  "revalidated (§5.2.2.2)" },
	{ "Cache-Control: max-age=0\r\n", "Cache-Control: immutable\r\n", 0,
	  200, 0, 600, 10, USE_FRESH, "a fresh `immutable` response ignores a "
	  "client's max-age (RFC 8246 §2)" },
	{ "Cache-Control: no-cache\r\n", "Cache-Control: immutable\r\n", 0,
	  200, 0, 600, 10, USE_REVALIDATE, "but not a forced reload: no-cache "
	  "(RFC 8246 §2)" },
	{ "Cache-Control: max-age=0\r\n", "Cache-Control: immutable\r\n", 0,
	  200, 0, 0, 10, USE_REVALIDATE, "nor once stale" },
	{ "", "", RI, 200, 1, 600, 10, USE_REVALIDATE, "refresh-ims: a fresh "
	  "response does not answer an If-Modified-Since: the origin does" },
	{ "", "", RI, 200, 0, 600, 10, USE_FRESH, "refresh-ims: without "
	  "If-Modified-Since the fresh response answers" },
	{ "", "", 0, 200, 1, 600, 10, USE_FRESH, "without refresh-ims the "
	  "fresh response answers the If-Modified-Since (RFC 9111 §4.3.2)" },
	{ "Cache-Control: max-stale=30\r\n", "", RI, 200, 0, 0, 10,
	  USE_STALE_OK, "the options leave max-stale alone (§5.2.1.2)" },
};

/* storeid_rewrite() on a rule set: URL, expected result and store ID. */
static const char storeid_conf[] =
    "http_port 3128\n"
    "store_id_rewrite ^http://m[0-9]\\.example/pub/(.*)$ "
    "http://m.example/pub/\\1\n"
    "store_id_rewrite -i ^http://(A|B)\\.example/([^?]*)(\\?.*)?$ "
    "http://ab/\\2\n"
    "store_id_rewrite ^http://g\\.example/(x)?(y) \\0|\\1|\\2|\\\\|\n"
    "store_id_rewrite ^http://long\\.example/(.*)$ \\1\\1\\1\\1\n"
    "store_id_rewrite ^http://m1\\.example/ later-line\n";

static const struct {
	const char	*url;
	int		 rc;
	const char	*id;
	int		 line;
	const char	*desc;
} storeids[] = {
	{ "http://m1.example/pub/f_1.deb", 1, "http://m.example/pub/f_1.deb",
	  0, "\\1 is the first group" },
	{ "http://m2.example/pub/f_1.deb", 1, "http://m.example/pub/f_1.deb",
	  0, "another mirror: the same store ID" },
	{ "http://m1.example/other", 1, "later-line", 4, "a URL the first "
	  "line does not match goes on to the next lines" },
	{ "http://a.example/blob?sig=1", 1, "http://ab/blob", 1, "-i: A "
	  "matches a; the query string is left out" },
	{ "http://B.example/blob?sig=2", 1, "http://ab/blob", 1, "another "
	  "signature, another host: the same store ID" },
	{ "http://g.example/y", 1, "http://g.example/y||y|\\|", 2, "\\0 the "
	  "match, an unmatched group empty, \\\\ a backslash" },
	{ "http://g.example/xy", 1, "http://g.example/xy|x|y|\\|", 2,
	  "every group filled" },
	{ "http://nomatch.example/", 0, NULL, -1, "no line matches: key by "
	  "the URL" },
};

/*
 * The shipped refresh_pattern and store_id_rewrite lines on real
 * repository URLs.  Kind: 'I' immutable, 'V' volatile (MAX 0), 'S' short
 * (MAX of 10 minutes or less), 'D' the catch-all . 0 20% 4320.
 */
#define H64	"0123456789abcdef0123456789abcdef" \
		"0123456789abcdef0123456789abcdef"
#define H60	"0123456789abcdef0123456789abcdef0123456789abcdef0123456789ab"
#define DEB	"/debian/pool/main/h/hello/hello_2.10-3_amd64.deb"
#define UBU	"/ubuntu/pool/main/b/bash/bash_5.1-6ubuntu1_amd64.deb"
static const struct {
	const char	*url;
	char		 kind;
	const char	*id;
	const char	*desc;
} shipped[] = {
	{ "http://deb.debian.org" DEB, 'I', "http://debian.sluice.invalid"
	  DEB, "a Debian .deb: immutable, keyed by its pool path" },
	{ "http://ftp.de.debian.org" DEB, 'I', "http://debian.sluice.invalid"
	  DEB, "the same .deb from a country mirror: the same key" },
	{ "http://deb.debian.org:8080" DEB, 'I', "http://debian.sluice.invalid"
	  DEB, "a port on the official host: the same key" },
	{ "http://security.debian.org/debian-security/pool/updates/main/o/"
	  "openssl/libssl3_3.0.11-1~deb12u2_amd64.deb", 'I',
	  "http://debian.sluice.invalid/debian-security/pool/updates/main/o/"
	  "openssl/libssl3_3.0.11-1~deb12u2_amd64.deb", "a security update: "
	  "keyed under debian-security, its own path" },
	{ "http://evil.example" DEB, 'I', NULL, "the same path on another "
	  "host: immutable, but keyed by its own URL (cannot fill Debian's)" },
	{ "http://deb.debian.org.evil.example" DEB, 'I', NULL, "a host that "
	  "only starts like Debian's: its own key" },
	{ "http://deb.debian.org/debian/pool/main/h/hello/hello_2.10-3.dsc",
	  'I', "http://debian.sluice.invalid/debian/pool/main/h/hello/"
	  "hello_2.10-3.dsc", "a .dsc: immutable" },
	{ "http://deb.debian.org/debian/pool/main/h/hello/"
	  "hello_2.10.orig.tar.gz", 'I', "http://debian.sluice.invalid/debian/"
	  "pool/main/h/hello/hello_2.10.orig.tar.gz", "an .orig.tar.gz: "
	  "immutable" },
	{ "http://deb.debian.org/debian/pool/main/h/hello/"
	  "hello_2.10-3.debian.tar.xz", 'I', "http://debian.sluice.invalid/"
	  "debian/pool/main/h/hello/hello_2.10-3.debian.tar.xz",
	  "a .debian.tar.xz: immutable" },
	{ "http://deb.debian.org/debian/pool/main/h/hello/"
	  "hello_2.10.orig.tar.gz.asc", 'I', "http://debian.sluice.invalid/"
	  "debian/pool/main/h/hello/hello_2.10.orig.tar.gz.asc",
	  "its signature: immutable" },
	{ "http://deb.debian.org/debian/pool/main/d/debian-installer/"
	  "net-retriever_1.60_all.udeb", 'I', "http://debian.sluice.invalid/"
	  "debian/pool/main/d/debian-installer/net-retriever_1.60_all.udeb",
	  "a .udeb: immutable" },
	{ "http://deb.debian.org/debian/dists/bookworm/InRelease", 'V', NULL,
	  "InRelease: volatile, keyed per mirror" },
	{ "http://deb.debian.org/debian/dists/bookworm-updates/Release.gpg",
	  'V', NULL, "Release.gpg: volatile" },
	{ "http://deb.debian.org/debian/dists/bookworm/main/binary-amd64/"
	  "Packages.xz", 'S', NULL, "Packages.xz: short, keyed per mirror" },
	{ "http://deb.debian.org/debian/dists/bookworm/main/i18n/"
	  "Translation-en.bz2", 'S', NULL, "Translation-en.bz2: short" },
	{ "http://deb.debian.org/debian/dists/bookworm/main/Contents-amd64.gz",
	  'S', NULL, "Contents-amd64.gz: short" },
	{ "http://deb.debian.org/debian/dists/bookworm/main/source/Sources",
	  'S', NULL, "Sources: short" },
	{ "http://deb.debian.org/debian/dists/bookworm/main/binary-amd64/"
	  "by-hash/SHA256/" H64, 'I', "http://by-hash.sluice.invalid/SHA256/"
	  H64, "a Debian by-hash file: immutable, keyed by its hash" },
	{ "http://archive.ubuntu.com/ubuntu/dists/jammy/main/binary-amd64/"
	  "by-hash/SHA256/" H64, 'I', "http://by-hash.sluice.invalid/SHA256/"
	  H64, "the same hash on Ubuntu's archive: the same key" },
	{ "http://repo.example/apt/dists/x/main/binary-amd64/by-hash/SHA256/"
	  H64, 'I', NULL, "a third-party by-hash file: immutable, its own "
	  "key" },
	{ "http://deb.debian.org/debian/dists/bookworm/main/binary-amd64/"
	  "by-hash/MD5Sum/0123456789abcdef0123456789abcdef", 'I', NULL,
	  "an MD5 by-hash name: immutable, but no shared key (MD5 collides)" },
	{ "http://archive.ubuntu.com" UBU, 'I', "http://ubuntu.sluice.invalid"
	  UBU, "an Ubuntu .deb: immutable, keyed by path" },
	{ "http://de.archive.ubuntu.com" UBU, 'I',
	  "http://ubuntu.sluice.invalid" UBU, "from a country mirror: the "
	  "same key" },
	{ "http://security.ubuntu.com" UBU, 'I', "http://ubuntu.sluice.invalid"
	  UBU, "from security.ubuntu.com: the same key" },
	{ "http://ports.ubuntu.com/ubuntu-ports/pool/main/b/bash/"
	  "bash_5.1-6ubuntu1_arm64.deb", 'I', "http://ubuntu.sluice.invalid/"
	  "ubuntu-ports/pool/main/b/bash/bash_5.1-6ubuntu1_arm64.deb",
	  "ports: keyed under ubuntu-ports" },
	{ "http://dl.google.com/linux/direct/google-chrome-stable_current_"
	  "amd64.deb", 'D', NULL, "a .deb outside a pool, \"current\" in its "
	  "name: it changes, not immutable" },
	{ "http://dl.google.com/linux/chrome/deb/pool/main/g/google-chrome-"
	  "stable/google-chrome-stable_120.0.6099.109-1_amd64.deb", 'I', NULL,
	  "the same in its apt repository's pool: versioned, immutable" },
	{ "http://download.docker.com/linux/debian/dists/bookworm/pool/stable/"
	  "amd64/docker-ce_24.0.7-1~debian.12~bookworm_amd64.deb", 'I', NULL,
	  "a pool laid out otherwise (Docker's): still name_version" },
	{ "http://example.com/pool/party.tar.gz", 'D', NULL, "a tarball under "
	  "some /pool/ without name_version: not immutable" },
	{ "http://mirror.example/fedora/updates/39/Everything/x86_64/Packages/"
	  "b/bash-5.2.15-5.fc39.x86_64.rpm", 'I', NULL, "an RPM named "
	  "name-version-release.arch: immutable" },
	{ "http://dl.google.com/linux/direct/google-chrome-stable_current_"
	  "x86_64.rpm", 'D', NULL, "an RPM without version-release: not" },
	{ "http://mirror.example/fedora/updates/39/Everything/x86_64/repodata/"
	  "repomd.xml", 'V', NULL, "repomd.xml: volatile" },
	{ "http://mirror.example/fedora/updates/39/Everything/x86_64/repodata/"
	  H64 "-primary.xml.zst", 'I', NULL, "repodata named by checksum: "
	  "immutable" },
	{ "http://mirror.example/el/repodata/primary.xml.gz", 'D', NULL,
	  "repodata without a checksum in its name: not" },
	{ "https://files.pythonhosted.org/packages/aa/bb/" H60 "/requests-"
	  "2.31.0-py3-none-any.whl", 'I', "http://pypi-files.sluice.invalid/"
	  "packages/aa/bb/" H60 "/requests-2.31.0-py3-none-any.whl",
	  "a PyPI file: immutable, its query string not part of its key" },
	{ "https://files.pythonhosted.org/packages/aa/bb/" H60 "/requests-"
	  "2.31.0-py3-none-any.whl?x=1", 'I',
	  "http://pypi-files.sluice.invalid/"
	  "packages/aa/bb/" H60 "/requests-2.31.0-py3-none-any.whl",
	  "the same file with a query: the same key" },
	{ "http://pypi.mirror.example/packages/aa/bb/" H60
	  "/requests-2.31.0.tar.gz", 'I', NULL, "a PyPI mirror's hashed "
	  "layout: immutable" },
	{ "http://pypi.mirror.example/simple/requests/", 'S', NULL,
	  "a /simple/ index: short" },
	{ "http://registry.npmjs.org/lodash/-/lodash-4.17.21.tgz", 'I', NULL,
	  "an npm tarball: immutable" },
	{ "http://registry.npmjs.org/@types/node/-/node-20.10.0.tgz", 'I',
	  NULL, "a scoped npm tarball: immutable" },
	{ "http://registry.npmjs.org/lodash", 'S', NULL, "npm metadata: "
	  "short" },
	{ "http://gitlab.example/group/proj/-/archive/v1.0/proj-v1.0.tgz",
	  'D', NULL, "a /-/ path that is not an npm tarball: not immutable" },
	{ "https://static.crates.io/crates/serde/serde-1.0.193.crate", 'I',
	  NULL, "a crate: immutable" },
	{ "http://crates.mirror.example/crates/serde/serde-1.0.193.crate", 'I',
	  NULL, "a crate from a mirror: immutable" },
	{ "https://index.crates.io/se/rd/serde", 'S', NULL, "the sparse "
	  "index: short" },
	{ "http://proxy.golang.org/golang.org/x/text/@v/v0.14.0.zip", 'I',
	  NULL, "a Go module zip: immutable" },
	{ "http://proxy.golang.org/golang.org/x/text/@v/"
	  "v0.0.0-20191109021931-daa7c04131f5.mod", 'I', NULL,
	  "a pseudo-version's .mod: immutable" },
	{ "http://proxy.golang.org/golang.org/x/text/@v/master.info", 'D',
	  NULL, "a branch's .info: not a version, not immutable" },
	{ "http://proxy.golang.org/golang.org/x/text/@v/list", 'S', NULL,
	  "the version list: short" },
	{ "http://proxy.golang.org/golang.org/x/text/@latest", 'S', NULL,
	  "@latest: short" },
	{ "http://registry.example/v2/library/alpine/blobs/sha256:" H64, 'I',
	  NULL, "a blob by digest: immutable" },
	{ "http://registry.example/v2/library/alpine/manifests/sha256:" H64,
	  'I', NULL, "a manifest by digest: immutable" },
	{ "http://registry.example/v2/library/alpine/manifests/3.19", 'V',
	  NULL, "a manifest by tag: always asked again" },
	{ "https://production.cloudflare.docker.com/registry-v2/docker/"
	  "registry/v2/blobs/sha256/01/" H64 "/data?verify=1700000000-abc",
	  'I', "http://docker-blob.sluice.invalid/sha256/" H64,
	  "Docker Hub's signed blob URL: one key per digest" },
	{ "https://production.cloudflare.docker.com/registry-v2/docker/"
	  "registry/v2/blobs/sha256/01/" H64 "/data?verify=1700009999-xyz",
	  'I', "http://docker-blob.sluice.invalid/sha256/" H64,
	  "signed anew: the same key" },
	{ "http://example.com/index.html", 'D', NULL, "anything else: "
	  "squid's default" },
};

static const char *
t_write(const char *name, const char *text)
{
	static char path[128];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", tdir, name);
	if ((fp = fopen(path, "w")) == NULL)
		bail_out("cannot write %s: %s", path, strerror(errno));
	fputs(text, fp);
	fclose(fp);
	return path;
}

/* The shipped template's refresh_pattern and store_id_rewrite lines. */
static char *
t_shipped_lines(void)
{
	char path[512], line[8192], *out;
	const char *srcdir;
	size_t n = 0, k;
	FILE *fp;

	if ((srcdir = getenv("srcdir")) == NULL)
		srcdir = ".";
	snprintf(path, sizeof(path), "%s/etc/sluice.conf.in", srcdir);
	if ((fp = fopen(path, "r")) == NULL)
		bail_out("%s: %s", path, strerror(errno));
	if ((out = malloc(65536)) == NULL)
		bail_out("out of memory");
	n = (size_t)snprintf(out, 65536, "http_port 3128\n");
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

static char
t_kind(const struct refresh *rp, int idx)
{
	if (idx < 0)
		return '?';	/* the shipped file ends with its own "." */
	if (rp->flags & REFRESH_IMMUTABLE)
		return 'I';
	if (rp->max == 0)
		return 'V';
	if (rp->max <= 600)
		return 'S';
	if (rp->min == 0 && rp->percent == 20 && rp->max == 4320 * 60)
		return 'D';
	return '?';
}

int
main(void)
{
	char id[STOREID_MAX + 1], logpath[128], resp[512];
	struct refresh rp;
	struct cc rq, rs, eff;
	struct conf *c;
	enum policy_use u;
	char *text;
	size_t i;
	int heur, rc, line, idx;

	plan((int)(sizeof(lifetimes) / sizeof(lifetimes[0]) +
	    sizeof(uses) / sizeof(uses[0]) +
	    sizeof(storeids) / sizeof(storeids[0]) +
	    2 * sizeof(shipped) / sizeof(shipped[0])) + 6);

	snprintf(tdir, sizeof(tdir), "/tmp/sluice-unit-refresh-XXXXXX");
	if (mkdtemp(tdir) == NULL)
		bail_out("mkdtemp: %s", strerror(errno));
	snprintf(logpath, sizeof(logpath), "%s/cache.log", tdir);
	if (log_open(logpath, 0) == -1)
		bail_out("log_open %s: %s", logpath, strerror(errno));

	for (i = 0; i < sizeof(lifetimes) / sizeof(lifetimes[0]); i++) {
		parse("", lifetimes[i].resp);
		policy_cc(&resph, 0, &rs);
		rp.min = lifetimes[i].min;
		rp.max = lifetimes[i].max;
		rp.percent = lifetimes[i].pct;
		rp.flags = lifetimes[i].flags;
		rp.max_stale = -1;
		is_int(policy_lifetime(&resph, &rs, T0, &rp, &heur),
		    lifetimes[i].life, "%s", lifetimes[i].desc);
	}

	for (i = 0; i < sizeof(uses) / sizeof(uses[0]); i++) {
		snprintf(resp, sizeof(resp), "HTTP/1.1 200 OK\r\n%s",
		    uses[i].rs);
		parse(uses[i].rq, resp);
		policy_cc(&reqh, 1, &rq);
		policy_cc(&resph, 0, &rs);
		rp.min = 0;
		rp.max = YEAR;
		rp.percent = 0;
		rp.flags = uses[i].flags;
		rp.max_stale = -1;
		u = refresh_use(&rq, &rs, &rp, uses[i].status, uses[i].ims,
		    uses[i].life, uses[i].age, &eff);
		is_int(u, uses[i].use, "%s", uses[i].desc);
	}

	/* The request directives the options leave, for stale on error. */
	parse("Cache-Control: max-age=0, stale-if-error=30\r\n",
	    "HTTP/1.1 200 OK\r\n");
	policy_cc(&reqh, 1, &rq);
	policy_cc(&resph, 0, &rs);
	rp.flags = IR;
	(void)refresh_use(&rq, &rs, &rp, 200, 0, 0, 10, &eff);
	ok(eff.max_age == -1 && eff.stale_if_error == 30 &&
	    rq.max_age == 0, "ignore-reload leaves no max-age=0 in the "
	    "effective directives (a stale copy may then serve an error), the "
	    "rest as sent, the request's own untouched");
	rp.flags = 0;
	(void)refresh_use(&rq, &rs, &rp, 200, 0, 0, 10, &eff);
	ok(eff.max_age == 0, "without the option the client's max-age=0 "
	    "stays");

	/* store_id_rewrite. */
	c = NULL;
	rc = conf_load(t_write("storeid.conf", storeid_conf), &c);
	if (rc != 0 || c == NULL)
		bail_out("storeid.conf did not load");
	for (i = 0; i < sizeof(storeids) / sizeof(storeids[0]); i++) {
		memset(id, 0, sizeof(id));
		rc = storeid_rewrite(c, storeids[i].url, id, sizeof(id), &line);
		ok(rc == storeids[i].rc && line == storeids[i].line &&
		    (storeids[i].id == NULL || strcmp(id, storeids[i].id) == 0),
		    "store_id %s: %s (got %d, line %d, '%s')", storeids[i].url,
		    storeids[i].desc, rc, line, rc == 1 ? id : "");
	}
	rc = storeid_rewrite(c, "http://long.example/0123456789", id, 30,
	    &line);
	ok(rc == -1 && line == 3, "a store ID that does not fit: -1 (key by "
	    "the URL), not a cut one");
	rc = storeid_rewrite(c, "http://long.example/0123456789", id, 41,
	    &line);
	ok(rc == 1 && strlen(id) == 40, "one that just fits is used");
	conf_free(c);

	/* The shipped knowledge. */
	text = t_shipped_lines();
	c = NULL;
	rc = conf_load(t_write("shipped.conf", text), &c);
	ok(rc == 0 && c != NULL && c->nrefresh > 20 && c->nstore_id >= 5,
	    "etc/sluice.conf.in: its refresh_pattern and store_id_rewrite "
	    "lines load (%zu and %zu)", c != NULL ? c->nrefresh : 0,
	    c != NULL ? c->nstore_id : 0);
	free(text);
	if (c == NULL)
		bail_out("the shipped lines do not load");
	idx = refresh_for(c, "http://example.com/", &rp);
	ok(idx == (int)c->nrefresh - 1, "its last line is the catch-all");
	for (i = 0; i < sizeof(shipped) / sizeof(shipped[0]); i++) {
		idx = refresh_for(c, shipped[i].url, &rp);
		ok(t_kind(&rp, idx) == shipped[i].kind, "shipped: %s: %s (%c, "
		    "line %d)", shipped[i].url, shipped[i].desc,
		    t_kind(&rp, idx), idx);
		memset(id, 0, sizeof(id));
		rc = storeid_rewrite(c, shipped[i].url, id, sizeof(id), NULL);
		if (shipped[i].id == NULL)
			ok(rc == 0, "shipped: %s: keyed by its URL (got '%s')",
			    shipped[i].url, rc == 1 ? id : "");
		else
			ok(rc == 1 && strcmp(id, shipped[i].id) == 0,
			    "shipped: %s: store ID %s (got '%s')",
			    shipped[i].url, shipped[i].id, rc == 1 ? id : "");
	}
	conf_free(c);

	log_open(NULL, 1);
	unlink(logpath);
	snprintf(logpath, sizeof(logpath), "%s/storeid.conf", tdir);
	unlink(logpath);
	snprintf(logpath, sizeof(logpath), "%s/shipped.conf", tdir);
	unlink(logpath);
	rmdir(tdir);
	return exit_status();
}
