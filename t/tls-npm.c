/*
 * tls-npm.c -- a real client through a bumped sluice: npm installs a
 * package from an HTTPS registry (the npm layout, served by the TLS
 * origin with the test CA) through an http_port with ssl-bump, trusting
 * only the bump CA; the second install, with an empty npm cache, is
 * served from sluice's cache (TCP_HIT for the packument and the tarball)
 * and the registry sees no new request.
 *
 * Skipped, saying why, when npm is not installed (setup.sh does not
 * install Node; Debian package npm).
 *
 * Integration test: a real sluice, the test PKI and a bump CA, a TLS
 * origin, the fake DNS, npm and tar.
 */
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "fakedns.h"
#include "harness.h"
#include "origin.h"
#include "tap.h"
#include "tlspki.h"

#define NTESTS	12

/* The path of @p name in PATH, into @p out. @return 1 found, 0 not. */
static int
have_tool(const char *name, char *out, size_t size)
{
	const char *path = getenv("PATH"), *p, *e;

	for (p = path; p != NULL && *p != '\0'; p = *e ? e + 1 : e) {
		e = strchr(p, ':');
		if (e == NULL)
			e = p + strlen(p);
		snprintf(out, size, "%.*s/%s", (int)(e - p), p, name);
		if (access(out, X_OK) == 0)
			return 1;
	}
	return 0;
}

/*
 * Run @p argv with the environment @p envp, output to @p log, bounded
 * (120 s, then SIGKILL).  @return the exit status, -1 killed or failed.
 */
static int
run(char *const argv[], char *const envp[], const char *log,
    const char *cwd)
{
	pid_t pid;
	int st = 0, i;

	if ((pid = fork()) == -1)
		return -1;
	if (pid == 0) {
		FILE *f = fopen(log, "a");

		if (f == NULL || chdir(cwd) == -1)
			_exit(127);
		dup2(fileno(f), 1);
		dup2(fileno(f), 2);
		execve(argv[0], argv, envp);
		_exit(127);
	}
	for (i = 0; i < 1200; i++) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
		harness_msleep(100);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	return -1;
}

int
main(void)
{
	struct harness h;
	struct tlspki pki;
	struct origin *o;
	struct origin_tls t;
	struct origin_step steps[2];
	struct fakedns *d;
	const struct origin_req *rq;
	unsigned char md[EVP_MAX_MD_SIZE], b64[200];
	unsigned int mdlen;
	char npm[300], tar[300], dir[600], cmd[4096];
	char packument[2048], reg[128], proxy[64], bump_pem[300];
	char bump_key[300], log[400], cache[400], prefix[400], path[600];
	char home[400], envpath[4200], envhome[450], usercfg[300];
	char globalcfg[300];
	char *tgz, *line;
	size_t tgzlen;
	X509 *bca;
	EVP_PKEY *bkey;
	int rc, i;

	plan(NTESTS + ORIGIN_FINISH_TESTS + HARNESS_STOP_TESTS +
	    HARNESS_END_TESTS);
	if (!have_tool("npm", npm, sizeof(npm)) ||
	    !have_tool("tar", tar, sizeof(tar))) {
		skip(NTESTS + ORIGIN_FINISH_TESTS + HARNESS_STOP_TESTS +
		    HARNESS_END_TESTS, "npm is not installed (Debian package "
		    "npm; setup.sh does not install Node)");
		return exit_status();
	}
	harness_init(&h, 1);
	if (tlspki_make(&pki, h.dir) == -1)
		bail_out("cannot make the test PKI");
	snprintf(bump_pem, sizeof(bump_pem), "%s/bump-ca.pem", h.dir);
	snprintf(bump_key, sizeof(bump_key), "%s/bump-ca.key", h.dir);
	if (tlspki_make_ca("sluice npm test CA", bump_pem, bump_key, &bca,
	    &bkey) == -1)
		bail_out("cannot make the bump CA");

	/* The package: package/package.json and index.js, tar.gz. */
	snprintf(dir, sizeof(dir), "%s/pkg/package", h.dir);
	snprintf(cmd, sizeof(cmd), "mkdir -p %s && printf '%%s' "
	    "'{\"name\":\"sluice-demo\",\"version\":\"1.0.0\","
	    "\"main\":\"index.js\",\"license\":\"MIT\"}' > %s/package.json && "
	    "echo 'module.exports = \"bumped\";' > %s/index.js && cd %s/pkg && "
	    "%s -czf ../demo.tgz package", dir, dir, dir, h.dir, tar);
	if (system(cmd) != 0)
		bail_out("cannot make the package tarball");
	snprintf(path, sizeof(path), "%s/demo.tgz", h.dir);
	if ((tgz = harness_file_read(path, &tgzlen)) == NULL)
		bail_out("cannot read the tarball");
	EVP_Digest(tgz, tgzlen, md, &mdlen, EVP_sha512(), NULL);
	EVP_EncodeBlock(b64, md, (int)mdlen);

	/* The registry: packument, then the tarball (npm asks in order). */
	memset(&t, 0, sizeof(t));
	t.cert = pki.pem[TLSPKI_GOOD];
	t.key = pki.key[TLSPKI_GOOD];
	memset(steps, 0, sizeof(steps));
	steps[0].expect = "GET /sluice-demo ";
	steps[0].status = 200;
	steps[0].headers = "Content-Type: application/json\r\n"
	    "Cache-Control: max-age=300\r\n";
	steps[0].body = packument;
	steps[1].expect = "GET /sluice-demo/-/sluice-demo-1.0.0.tgz";
	steps[1].status = 200;
	steps[1].headers = "Content-Type: application/octet-stream\r\n"
	    "Cache-Control: max-age=31536000, immutable\r\n";
	steps[1].body = tgz;
	steps[1].body_len = tgzlen;
	o = origin_start_tls(steps, 2, &t);
	snprintf(reg, sizeof(reg), "https://origin.test:%d/", origin_port(o));
	snprintf(packument, sizeof(packument), "{\"name\":\"sluice-demo\","
	    "\"dist-tags\":{\"latest\":\"1.0.0\"},\"versions\":{\"1.0.0\":{"
	    "\"name\":\"sluice-demo\",\"version\":\"1.0.0\",\"dist\":{"
	    "\"tarball\":\"%ssluice-demo/-/sluice-demo-1.0.0.tgz\","
	    "\"integrity\":\"sha512-%s\"}}}}", reg, b64);

	d = fakedns_start();
	fakedns_add(d, "origin.test");
	harness_set(&h, "DNS", "%d", fakedns_port(d));
	harness_conf(&h,
	    "http_port 127.0.0.1:%PORT% ssl-bump tls-cert=%DIR%/bump-ca.pem "
	    "tls-key=%DIR%/bump-ca.key generate-host-certificates=on\n"
	    "dns_nameservers 127.0.0.1:%DNS%\n"
	    "tls_outgoing_options cafile=%DIR%/ca.pem\n"
	    "cache_dir lmdb %DIR%/cache 64\n"
	    "acl registries dstdomain origin.test\n"
	    "ssl_bump bump registries\n"
	    "http_access allow localhost\n"
	    "http_access deny all\n");
	if (harness_start(&h) == -1)
		bail_out("sluice did not start");
	snprintf(proxy, sizeof(proxy), "http://127.0.0.1:%d", h.port[0]);

	/* Two installs, each with its own empty npm cache and project. */
	snprintf(home, sizeof(home), "%s/home", h.dir);
	mkdir(home, 0755);
	/* Empty npmrc files: nothing from the machine's npm config. */
	harness_write(&h, "npmrc-user", "", usercfg);
	harness_write(&h, "npmrc-global", "", globalcfg);
	snprintf(envhome, sizeof(envhome), "HOME=%s", home);
	snprintf(envpath, sizeof(envpath), "PATH=%s",
	    getenv("PATH") != NULL ? getenv("PATH") : "/usr/bin:/bin");
	for (i = 1; i <= 2; i++) {
		char *env[] = { envpath, envhome, "NO_PROXY=", "no_proxy=",
		    NULL };
		char *argv[] = { npm, "install", "--registry", reg, "--proxy",
		    proxy, "--https-proxy", proxy, "--cafile", bump_pem,
		    "--cache", cache, "--prefix", prefix, "--no-audit",
		    "--no-fund", "--no-update-notifier", "--userconfig",
		    usercfg, "--globalconfig", globalcfg, "sluice-demo",
		    NULL };

		snprintf(cache, sizeof(cache), "%s/npmcache%d", h.dir, i);
		snprintf(prefix, sizeof(prefix), "%s/proj%d", h.dir, i);
		snprintf(log, sizeof(log), "%s/npm%d.log", h.dir, i);
		mkdir(prefix, 0755);
		rc = run(argv, env, log, prefix);
		if (rc != 0) {
			char *out = harness_file_read(log, NULL);

			diag("npm: %s", out != NULL ? out : "(no output)");
			free(out);
		}
		is_int(rc, 0, "npm install #%d through the bump: exit 0", i);
		snprintf(path, sizeof(path), "%s/node_modules/sluice-demo/"
		    "index.js", prefix);
		ok(access(path, R_OK) == 0, "... the package is installed");
	}
	line = harness_log_wait(&h, "TCP_MISS/200", "GET https://origin.test",
	    "sluice-demo-1.0.0.tgz", NULL);
	ok(line != NULL, "access log: the first install fetched the tarball "
	    "(TCP_MISS)");
	free(line);
	line = harness_log_wait(&h, "TCP_HIT/200", "GET https://origin.test",
	    "sluice-demo-1.0.0.tgz", NULL);
	ok(line != NULL, "access log: the second got it from the cache "
	    "(TCP_HIT): %s", line != NULL ? strstr(line, "TCP") : "none");
	free(line);
	line = harness_log_wait(&h, "TCP_HIT/200", "/sluice-demo ", NULL);
	ok(line != NULL, "... and the packument too");
	free(line);
	ok(harness_file_count(h.access_log, "NONE_NONE/200") >= 2,
	    "bumped CONNECTs: at least one per install");
	is_int(origin_nreq(o), 2, "the registry saw two requests in all");
	rq = origin_req(o, 1);
	ok(rq != NULL && rq->tls && rq->sni != NULL &&
	    strcmp(rq->sni, "origin.test") == 0, "... over TLS with SNI "
	    "origin.test, from sluice");
	ok(rq != NULL && strstr(rq->head, "npm/") != NULL, "... carrying "
	    "npm's User-Agent");
	ok(harness_file_count(h.cache_log, "TLS to") == 0, "no TLS failure "
	    "in cache.log");

	harness_stop(&h);
	origin_finish(o);
	origin_free(o);
	fakedns_stop(d);
	X509_free(bca);
	EVP_PKEY_free(bkey);
	tlspki_free(&pki);
	free(tgz);
	harness_end(&h);
	return exit_status();
}
