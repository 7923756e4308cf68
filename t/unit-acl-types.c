/*
 * unit-acl-types.c -- the acl types beyond src/port/method, their
 * two-phase evaluation (ACL_NEED_DST before DNS, ACL_NEED_AUTH without a
 * user), the built-in to_* acls, config errors with file:line, and a
 * timing of 10,000 domains and 10,000 networks (printed as a diagnostic:
 * no assertion is about time).
 *
 * Unit test: conf_load() + acl_set_compile() on generated files, then
 * acl_check() on hand-built requests.  No sockets, no processes.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "acl.h"
#include "conf.h"
#include "log.h"
#include "tap.h"

static char	tdir[64];
static char	logpath[128];
static char	logbuf[65536];

struct r {
	const char	*dst;		/* address text, or NULL (before DNS) */
	const char	*host;
	const char	*url;
	const char	*path;
	const char	*proto;
	const char	*method;
	unsigned	 port;
	const char	*user;
	time_t		 now;
	unsigned	 nconn;
	int		 verdict;
	size_t		 rule;
	const char	*desc;
};

struct c {
	const char	*desc;
	const char	*conf;
	const struct r	*reqs;
	size_t		 n;
};

static void
addr(const char *t, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, t, &((struct sockaddr_in *)ss)->sin_addr) == 1)
		ss->ss_family = AF_INET;
	else if (inet_pton(AF_INET6, t,
	    &((struct sockaddr_in6 *)ss)->sin6_addr) == 1)
		ss->ss_family = AF_INET6;
	else
		bail_out("bad test address %s", t);
}

static void
log_read(void)
{
	ssize_t n;
	int fd = open(logpath, O_RDONLY);

	logbuf[0] = '\0';
	if (fd == -1)
		return;
	n = read(fd, logbuf, sizeof(logbuf) - 1);
	logbuf[n > 0 ? n : 0] = '\0';
	close(fd);
}

static int
compile(const char *body, struct conf **c, struct acl_set **s)
{
	char path[256];
	FILE *fp;
	int rc;

	snprintf(path, sizeof(path), "%s/t.conf", tdir);
	if ((fp = fopen(path, "w")) == NULL)
		bail_out("cannot write %s", path);
	fprintf(fp, "http_port 3128\n%s", body);
	fclose(fp);
	if (ftruncate(log_fd(), 0) == -1)
		bail_out("ftruncate");
	*c = NULL;
	*s = NULL;
	rc = conf_load(path, c);
	if (rc == 0)
		rc = acl_set_compile(*c, s);
	log_read();
	return rc;
}

static void
release(struct conf *c, struct acl_set *s)
{
	acl_set_free(s);
	if (c != NULL)
		conf_free(c);
}

static enum acl_verdict
run(const struct acl_set *s, const struct r *q, size_t *rule)
{
	struct sockaddr_storage src, dst;
	struct acl_req a;

	memset(&a, 0, sizeof(a));
	addr("192.168.1.10", &src);
	a.src = (struct sockaddr *)&src;
	if (q->dst != NULL) {
		addr(q->dst, &dst);
		a.dst = (struct sockaddr *)&dst;
	}
	a.host = q->host ? q->host : "example.com";
	a.url = q->url ? q->url : "http://example.com/";
	a.path = q->path ? q->path : "/";
	a.proto = q->proto ? q->proto : "HTTP";
	a.method = q->method ? q->method : "GET";
	a.port = q->port ? q->port : 80;
	a.user = q->user;
	a.now = q->now;
	a.nconn = q->nconn;
	return acl_check(s, &a, rule);
}

/* 2026-11-25 is a Wednesday; local time is UTC here (TZ set in main). */
#define WED_1000	((time_t)1795600800)	/* 2026-11-25 10:00 UTC */
#define WED_2000	(WED_1000 + 10 * 3600)
#define SUN_1000	(WED_1000 - 3 * 86400)

static const struct r dom_reqs[] = {
	{ .host = "example.com", .verdict = ACL_DENY, .rule = 1,
	  .desc = ".example.com matches the domain itself" },
	{ .host = "www.example.com", .verdict = ACL_DENY, .rule = 1,
	  .desc = ".example.com matches a subdomain" },
	{ .host = "a.b.example.com", .verdict = ACL_DENY, .rule = 1,
	  .desc = "... and a deeper one" },
	{ .host = "badexample.com", .verdict = ACL_ALLOW, .rule = 3,
	  .desc = "a name that only ends in the same letters does not match" },
	{ .host = "exact.test", .verdict = ACL_DENY, .rule = 1,
	  .desc = "exact.test matches itself (written EXACT.Test.)" },
	{ .host = "www.exact.test", .verdict = ACL_ALLOW, .rule = 3,
	  .desc = "exact.test does not match its subdomains" },
	{ .host = "127.0.0.1", .verdict = ACL_DENY, .rule = 1,
	  .desc = "an IP value written 2130706433 matches 127.0.0.1" },
	{ .host = "ads.tracker.test", .verdict = ACL_DENY, .rule = 2,
	  .desc = "dstdom_regex -i matches ignoring case" },
};

static const struct r url_reqs[] = {
	{ .url = "http://h/a.EXE", .path = "/a.EXE", .verdict = ACL_DENY,
	  .rule = 1, .desc = "url_regex -i" },
	{ .url = "http://h/a.txt", .path = "/secret/x", .verdict = ACL_DENY,
	  .rule = 2, .desc = "urlpath_regex on the path" },
	{ .url = "http://h/secret/x", .path = "/open", .verdict = ACL_ALLOW,
	  .rule = 4, .desc = "urlpath_regex does not look at the host part" },
	{ .proto = "NONE", .method = "CONNECT", .port = 443,
	  .verdict = ACL_DENY, .rule = 3, .desc = "proto NONE is CONNECT" },
};

static const struct r dst_reqs[] = {
	{ .dst = NULL, .verdict = ACL_NEED_DST, .rule = 1,
	  .desc = "before DNS a dst rule cannot be decided: NEED_DST" },
	{ .dst = "127.0.0.1", .verdict = ACL_DENY, .rule = 1,
	  .desc = "to_localhost: 127.0.0.1" },
	{ .dst = "127.9.9.9", .verdict = ACL_DENY, .rule = 1,
	  .desc = "to_localhost: all of 127/8" },
	{ .dst = "0.0.0.0", .verdict = ACL_DENY, .rule = 1,
	  .desc = "to_localhost: 0.0.0.0 (reaches this host on Linux)" },
	{ .dst = "::1", .verdict = ACL_DENY, .rule = 1,
	  .desc = "to_localhost: ::1" },
	{ .dst = "::ffff:127.0.0.1", .verdict = ACL_DENY, .rule = 1,
	  .desc = "to_localhost: IPv4-mapped 127.0.0.1" },
	{ .dst = "169.254.169.254", .verdict = ACL_DENY, .rule = 2,
	  .desc = "to_linklocal: the cloud metadata address" },
	{ .dst = "fe80::1", .verdict = ACL_DENY, .rule = 2,
	  .desc = "to_linklocal: fe80::/10" },
	{ .dst = "10.1.2.3", .verdict = ACL_DENY, .rule = 3,
	  .desc = "dst 10.0.0.0/8" },
	{ .dst = "192.0.2.7", .verdict = ACL_ALLOW, .rule = 4,
	  .desc = "an address no dst rule names" },
};

static const struct r auth_reqs[] = {
	{ .user = NULL, .host = "open.test", .verdict = ACL_ALLOW, .rule = 1,
	  .desc = "a rule before the proxy_auth one needs no user" },
	{ .user = NULL, .verdict = ACL_NEED_AUTH, .rule = 2,
	  .desc = "no user at a proxy_auth rule: NEED_AUTH" },
	{ .user = "alice", .verdict = ACL_ALLOW, .rule = 2,
	  .desc = "a listed user" },
	{ .user = "Alice", .verdict = ACL_DENY, .rule = 4,
	  .desc = "user names are case-sensitive" },
	{ .user = "bob", .method = "POST", .verdict = ACL_ALLOW, .rule = 3,
	  .desc = "proxy_auth REQUIRED: any authenticated user" },
};

static const struct r time_reqs[] = {
	{ .now = WED_1000, .verdict = ACL_ALLOW, .rule = 1,
	  .desc = "time MTWHF 08:00-18:00 on Wednesday 10:00" },
	{ .now = WED_2000, .verdict = ACL_DENY, .rule = 0,
	  .desc = "... not at 20:00" },
	{ .now = SUN_1000, .verdict = ACL_ALLOW, .rule = 1,
	  .desc = "a second line ORs: S all day" },
};

static const struct r conn_reqs[] = {
	{ .nconn = 3, .verdict = ACL_ALLOW, .rule = 2,
	  .desc = "maxconn 3: three connections do not match" },
	{ .nconn = 4, .verdict = ACL_DENY, .rule = 1,
	  .desc = "maxconn 3: a fourth matches" },
};

static const struct c cases[] = {
	{ "dstdomain",
	  "acl bad dstdomain .example.com EXACT.Test. 2130706433\n"
	  "acl ads dstdom_regex -i TRACKER\\.test$\n"
	  "http_access deny bad\nhttp_access deny ads\nhttp_access allow all\n",
	  dom_reqs, sizeof(dom_reqs) / sizeof(dom_reqs[0]) },
	{ "url",
	  "acl exe url_regex -i \\.exe$\nacl sec urlpath_regex ^/secret/\n"
	  "acl tun proto NONE\n"
	  "http_access deny exe\nhttp_access deny sec\nhttp_access deny tun\n"
	  "http_access allow all\n",
	  url_reqs, sizeof(url_reqs) / sizeof(url_reqs[0]) },
	{ "dst",
	  "acl ten dst 10.0.0.0/8\n"
	  "http_access deny to_localhost\nhttp_access deny to_linklocal\n"
	  "http_access deny ten\nhttp_access allow all\n",
	  dst_reqs, sizeof(dst_reqs) / sizeof(dst_reqs[0]) },
	{ "proxy_auth",
	  "acl open dstdomain open.test\nacl users proxy_auth alice\n"
	  "acl any_user proxy_auth REQUIRED\nacl post method POST\n"
	  "http_access allow open\nhttp_access allow users\n"
	  "http_access allow post any_user\nhttp_access deny all\n",
	  auth_reqs, sizeof(auth_reqs) / sizeof(auth_reqs[0]) },
	{ "time",
	  "acl work time MTWHF 08:00-18:00\nacl work time S\n"
	  "http_access allow work\n",
	  time_reqs, sizeof(time_reqs) / sizeof(time_reqs[0]) },
	{ "maxconn",
	  "acl many maxconn 3\nhttp_access deny many\nhttp_access allow all\n",
	  conn_reqs, sizeof(conn_reqs) / sizeof(conn_reqs[0]) },
};

static const struct {
	const char	*conf;
	const char	*msg;
	const char	*desc;
} errors[] = {
	{ "acl a dst 10.0.0.0/33\n", "t.conf:2: bad address '10.0.0.0/33'",
	  "a bad CIDR is refused with file:line" },
	{ "acl a dstdomain bad_dom%41in.test\n", "t.conf:2: bad domain",
	  "a bad domain is refused with file:line" },
	{ "acl a url_regex (unclosed\n", "t.conf:2: bad regular expression",
	  "a bad regex is refused with file:line" },
	{ "acl a time 25:00-26:00\n", "t.conf:2: bad time",
	  "a bad time is refused with file:line" },
	{ "acl a time MXQ\n", "t.conf:2: bad time",
	  "bad day letters are refused" },
	{ "acl a proto GOPHERISH\n", "t.conf:2: unknown proto 'GOPHERISH'",
	  "an unknown proto is refused" },
	{ "acl a maxconn many\n", "t.conf:2: maxconn needs one number",
	  "maxconn without a number is refused" },
	{ "acl a dstdomain \"/nonexistent/sluice/domains\"\n",
	  "t.conf:2: cannot read acl file /nonexistent/sluice/domains",
	  "an unreadable values file is refused with file:line" },
	{ "http_access allow nosuchacl\n", "t.conf:2: undefined acl "
	  "'nosuchacl'", "an undefined acl is refused with file:line" },
};

/* 10,000 domains and 10,000 networks: how long does a check take? */
static void
timing(void)
{
	struct conf *c;
	struct acl_set *s;
	struct acl_req a;
	struct sockaddr_storage src, dst;
	struct timespec t0, t1;
	char host[64], path[256];
	FILE *fp;
	unsigned i, hits = 0;
	double ns;

	snprintf(path, sizeof(path), "%s/doms", tdir);
	fp = fopen(path, "w");
	for (i = 0; i < 10000; i++)
		fprintf(fp, ".d%u.example\n", i * 7919u);
	fclose(fp);
	snprintf(path, sizeof(path), "%s/nets", tdir);
	fp = fopen(path, "w");
	for (i = 0; i < 10000; i++)
		fprintf(fp, "10.%u.%u.0/24\n", (i * 37u) / 256 % 256,
		    (i * 37u) % 256);
	fclose(fp);
	ok(compile("acl doms dstdomain \"doms\"\nacl nets dst \"nets\"\n"
	    "http_access deny doms\nhttp_access deny nets\n"
	    "http_access allow all\n", &c, &s) == 0,
	    "10,000 domains and 10,000 networks compile");
	memset(&a, 0, sizeof(a));
	addr("192.168.1.10", &src);
	a.src = (struct sockaddr *)&src;
	a.dst = (struct sockaddr *)&dst;
	a.method = "GET";
	a.proto = "HTTP";
	a.port = 80;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < 1000000; i++) {
		snprintf(host, sizeof(host), "www.d%u.example", (i % 20000) *
		    7919u);
		memset(&dst, 0, sizeof(dst));
		((struct sockaddr_in *)&dst)->sin_family = AF_INET;
		((struct sockaddr_in *)&dst)->sin_addr.s_addr =
		    htonl(0x0a000000u | (i * 2654435761u >> 8));
		a.host = host;
		hits += acl_check(s, &a, NULL) == ACL_DENY;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ns = ((double)(t1.tv_sec - t0.tv_sec) * 1e9 +
	    (double)(t1.tv_nsec - t0.tv_nsec)) / 1e6;
	diag("1,000,000 checks against 10,000 domains + 10,000 networks: "
	    "%.0f ns per check (with the snprintf), %u denied", ns, hits);
	ok(hits > 0 && hits < 1000000, "the timing run saw both hits and "
	    "misses (%u denied)", hits);
	release(c, s);
}

int
main(void)
{
	struct conf *c;
	struct acl_set *s;
	size_t i, j, n = 0, rule;
	enum acl_verdict v;

	setenv("TZ", "UTC", 1);
	tzset();
	snprintf(tdir, sizeof(tdir), "/tmp/sluice-unit-acl2-XXXXXX");
	if (mkdtemp(tdir) == NULL)
		bail_out("mkdtemp: %s", strerror(errno));
	snprintf(logpath, sizeof(logpath), "%s/cache.log", tdir);
	if (log_open(logpath, 0) == -1)
		bail_out("log_open");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		n += 1 + 2 * cases[i].n;
	n += 2 * sizeof(errors) / sizeof(errors[0]) + 2;
	plan((int)n);

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (compile(cases[i].conf, &c, &s) != 0) {
			ok(0, "%s: compiles (%s)", cases[i].desc, logbuf);
			skip(2 * (int)cases[i].n, "did not compile");
			release(c, s);
			continue;
		}
		ok(1, "%s: compiles", cases[i].desc);
		for (j = 0; j < cases[i].n; j++) {
			rule = 99;
			v = run(s, &cases[i].reqs[j], &rule);
			is_int(v, cases[i].reqs[j].verdict, "%s: %s",
			    cases[i].desc, cases[i].reqs[j].desc);
			is_int((long long)rule, (long long)cases[i].reqs[j].rule,
			    "%s: %s: rule %zu", cases[i].desc,
			    cases[i].reqs[j].desc, cases[i].reqs[j].rule);
		}
		release(c, s);
	}
	for (i = 0; i < sizeof(errors) / sizeof(errors[0]); i++) {
		is_int(compile(errors[i].conf, &c, &s), -1, "%s: refused",
		    errors[i].desc);
		like(logbuf, errors[i].msg, "%s: message", errors[i].desc);
		release(c, s);
	}
	timing();
	log_open(NULL, 1);
	{
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", tdir);
		if (system(cmd) != 0)
			diag("could not remove %s", tdir);
	}
	return exit_status();
}
