/*
 * unit-acl.c -- ACL compilation and evaluation (acl/acl.c): src, port
 * and method values, built-in acls, values from files, rule order, AND
 * and negation within a rule, default deny, error messages with
 * file:line, and the rules of the shipped etc/sluice.conf.in.
 *
 * A test process: each case writes a config into a mkdtemp() directory,
 * loads it with conf_load(), compiles it with acl_set_compile() and runs
 * a table of requests through acl_check().
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "acl.h"
#include "conf.h"
#include "log.h"
#include "tap.h"

static char	 tdir[64];
static char	 logpath[128];
static char	 logbuf[65536];
static char	*tpaths[32];
static int	 ntpaths;

/* One request and what the rules must answer. */
struct t_req {
	const char	*src;		/* IPv4 or IPv6 text, or NULL */
	const char	*method;
	unsigned	 port;
	int		 verdict;	/* ACL_ALLOW or ACL_DENY */
	size_t		 rule;		/* 1-based, 0 = default deny */
	const char	*desc;
};

static const char *
t_file(const char *name, const char *content)
{
	char path[256];
	FILE *fp;
	int i;

	snprintf(path, sizeof(path), "%s/%s", tdir, name);
	if ((fp = fopen(path, "w")) == NULL)
		bail_out("cannot write %s: %s", path, strerror(errno));
	fputs(content, fp);
	fclose(fp);
	for (i = 0; i < ntpaths; i++)
		if (strcmp(tpaths[i], path) == 0)
			return tpaths[i];	/* rewritten: removed once */
	if (ntpaths == (int)(sizeof(tpaths) / sizeof(tpaths[0])) ||
	    (tpaths[ntpaths++] = strdup(path)) == NULL)
		bail_out("too many temp files");
	return tpaths[ntpaths - 1];
}

static void
t_log_read(void)
{
	ssize_t n;
	int fd;

	if ((fd = open(logpath, O_RDONLY)) == -1)
		bail_out("open %s: %s", logpath, strerror(errno));
	n = read(fd, logbuf, sizeof(logbuf) - 1);
	logbuf[n > 0 ? n : 0] = '\0';
	close(fd);
}

/*
 * Load "http_port 3128" plus @body as tdir/@name and compile its acls.
 * Returns acl_set_compile()'s result (-1 also when conf_load fails);
 * the log of both is in logbuf.
 */
static int
t_compile(const char *name, const char *body, struct conf **c,
    struct acl_set **s)
{
	char text[8192];
	int rc;

	snprintf(text, sizeof(text), "http_port 3128\n%s", body);
	*c = NULL;
	*s = NULL;
	if (ftruncate(log_fd(), 0) == -1)
		bail_out("ftruncate: %s", strerror(errno));
	rc = conf_load(t_file(name, text), c);
	if (rc == 0)
		rc = acl_set_compile(*c, s);
	t_log_read();
	return rc;
}

static void
t_free(struct conf *c, struct acl_set *s)
{
	acl_set_free(s);
	if (c != NULL) {
		c->acl = NULL;
		conf_free(c);
	}
}

/* Run @n requests against @s: two assertions each (verdict and rule). */
/* The destination every t_check() request goes to (a public address). */
static const char *t_dst = "198.51.100.7";
static const char *t_endpoint;	/* the proxy's own page asked, or NULL */

static void
t_check(const struct acl_set *s, const struct t_req *rq, size_t n)
{
	struct sockaddr_storage ss, ds;
	struct sockaddr_in *dsin = (struct sockaddr_in *)&ds;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	struct acl_req r;
	size_t i, rule;
	int v;

	for (i = 0; i < n; i++) {
		memset(&ss, 0, sizeof(ss));
		memset(&r, 0, sizeof(r));
		if (rq[i].src == NULL)
			r.src = NULL;
		else if (inet_pton(AF_INET, rq[i].src, &sin->sin_addr) == 1)
			sin->sin_family = AF_INET;
		else if (inet_pton(AF_INET6, rq[i].src, &sin6->sin6_addr) == 1)
			sin6->sin6_family = AF_INET6;
		else
			bail_out("bad test address %s", rq[i].src);
		if (rq[i].src != NULL)
			r.src = (const struct sockaddr *)&ss;
		memset(&ds, 0, sizeof(ds));
		dsin->sin_family = AF_INET;
		if (inet_pton(AF_INET, t_dst, &dsin->sin_addr) != 1) {
			ds.ss_family = AF_INET6;
			inet_pton(AF_INET6, t_dst, &((struct sockaddr_in6 *)
			    &ds)->sin6_addr);
		}
		r.dst = (const struct sockaddr *)&ds;
		r.method = rq[i].method;
		r.port = rq[i].port;
		r.host = "example.com";
		r.endpoint = t_endpoint;
		rule = 99;
		v = acl_check(s, &r, &rule);
		is_int(v, rq[i].verdict, "%s: %s %s:%u is %s", rq[i].desc,
		    rq[i].method, rq[i].src ? rq[i].src : "-", rq[i].port,
		    rq[i].verdict == ACL_ALLOW ? "allowed" : "denied");
		is_int((long long)rule, (long long)rq[i].rule,
		    "%s: decided by rule %zu", rq[i].desc, rq[i].rule);
	}
}

/* ---------------------------------------------------------------- cases */

/* A config and the requests it must decide. */
struct t_case {
	const char		*name;
	const char		*conf;
	const struct t_req	*reqs;
	size_t			 nreqs;
};

static const struct t_req src_reqs[] = {
	{ "192.0.2.10", "GET", 80, ACL_ALLOW, 1, "a single IPv4 address" },
	{ "192.0.2.11", "GET", 80, ACL_DENY, 0, "the next IPv4 address" },
	{ "10.255.255.255", "GET", 80, ACL_ALLOW, 2, "the top of 10.0.0.0/8" },
	{ "11.0.0.0", "GET", 80, ACL_DENY, 0, "just past 10.0.0.0/8" },
	{ "172.31.1.1", "GET", 80, ACL_ALLOW, 3, "inside /255.240.0.0" },
	{ "172.32.0.0", "GET", 80, ACL_DENY, 0, "past /255.240.0.0" },
	{ "198.51.100.10", "GET", 80, ACL_ALLOW, 4, "the start of a range" },
	{ "198.51.100.20", "GET", 80, ACL_ALLOW, 4, "the end of a range" },
	{ "198.51.100.21", "GET", 80, ACL_DENY, 0, "past a range" },
	{ "198.51.100.9", "GET", 80, ACL_DENY, 0, "before a range" },
	{ "2001:db8::1", "GET", 80, ACL_ALLOW, 5, "a single IPv6 address" },
	{ "2001:db8::2", "GET", 80, ACL_DENY, 0, "the next IPv6 address" },
	{ "fdff:ffff::1", "GET", 80, ACL_ALLOW, 6, "inside fc00::/7" },
	{ "fe00::", "GET", 80, ACL_DENY, 0, "just past fc00::/7" },
	{ "2001:db8::150", "GET", 80, ACL_ALLOW, 7, "inside an IPv6 range" },
	{ "2001:db8::200", "GET", 80, ACL_DENY, 0, "past an IPv6 range" },
	{ "::ffff:10.1.2.3", "GET", 80, ACL_ALLOW, 2,
	    "an IPv4-mapped client matches an IPv4 CIDR" },
	{ "::ffff:192.0.2.11", "GET", 80, ACL_DENY, 0,
	    "an IPv4-mapped client outside every entry" },
	{ "10.9.8.7", "GET", 80, ACL_ALLOW, 2,
	    "a CIDR written with host bits set matches its network" },
	{ NULL, "GET", 80, ACL_DENY, 0, "a request without a source" },
};

static const struct t_req all_reqs[] = {
	{ "203.0.113.5", "CONNECT", 443, ACL_DENY, 1,
	    "the built-in CONNECT acl matches CONNECT" },
	{ "203.0.113.5", "GET", 80, ACL_ALLOW, 3,
	    "the built-in all acl matches any IPv4 client" },
	{ "2001:db8::9", "GET", 80, ACL_ALLOW, 3,
	    "the built-in all acl matches any IPv6 client" },
	{ "127.0.0.1", "GET", 80, ACL_ALLOW, 2,
	    "the built-in localhost acl matches 127.0.0.1" },
	{ "::1", "GET", 80, ACL_ALLOW, 2,
	    "the built-in localhost acl matches ::1" },
	{ "127.0.0.2", "GET", 80, ACL_ALLOW, 3,
	    "localhost is 127.0.0.1/32 only" },
};

static const struct t_req port_reqs[] = {
	{ "10.0.0.1", "GET", 80, ACL_ALLOW, 1, "a listed port" },
	{ "10.0.0.1", "GET", 81, ACL_DENY, 0, "an unlisted port" },
	{ "10.0.0.1", "GET", 1024, ACL_DENY, 0, "just below a port range" },
	{ "10.0.0.1", "GET", 1025, ACL_ALLOW, 1, "the start of a port range" },
	{ "10.0.0.1", "GET", 65535, ACL_ALLOW, 1, "the end of a port range" },
	{ "10.0.0.1", "GET", 443, ACL_ALLOW, 1,
	    "a port added by a second line" },
};

static const struct t_req method_reqs[] = {
	{ "10.0.0.1", "GET", 80, ACL_ALLOW, 1, "a listed method" },
	{ "10.0.0.1", "HEAD", 80, ACL_ALLOW, 1, "a second listed method" },
	{ "10.0.0.1", "get", 80, ACL_DENY, 0, "methods are case-sensitive" },
	{ "10.0.0.1", "POST", 80, ACL_DENY, 0, "an unlisted method" },
	{ "10.0.0.1", "PURGE", 80, ACL_ALLOW, 1, "a method after -i" },
	{ "10.0.0.1", NULL, 80, ACL_DENY, 0, "a request without a method" },
};

static const struct t_req rule_reqs[] = {
	{ "10.1.1.1", "CONNECT", 25, ACL_DENY, 1,
	    "deny CONNECT !ssl: CONNECT to port 25" },
	{ "10.1.1.1", "CONNECT", 443, ACL_ALLOW, 2,
	    "negation fails on 443, so the next rule decides" },
	{ "10.1.1.1", "GET", 443, ACL_ALLOW, 2, "both names of a rule match" },
	{ "10.1.1.1", "GET", 80, ACL_DENY, 3,
	    "one name of a rule failing skips the rule (AND)" },
	{ "8.8.8.8", "GET", 80, ACL_ALLOW, 4,
	    "the last rule catches the rest" },
	{ "8.8.8.8", "CONNECT", 8443, ACL_DENY, 1,
	    "the first matching rule wins over later allows" },
};

static const struct t_req first_reqs[] = {
	{ "10.0.0.1", "GET", 80, ACL_ALLOW, 1, "allow all before deny all" },
};

static const struct t_req deny_reqs[] = {
	{ "192.0.2.1", "GET", 80, ACL_DENY, 0,
	    "no rule matching means deny with rule 0" },
	{ "10.0.0.1", "GET", 80, ACL_ALLOW, 1, "the one rule still matches" },
};

static const struct t_req none_reqs[] = {
	{ "127.0.0.1", "GET", 80, ACL_DENY, 0,
	    "no http_access at all denies everything" },
};

static const struct t_req file_reqs[] = {
	{ "10.2.3.4", "GET", 80, ACL_ALLOW, 1, "a CIDR read from a file" },
	{ "192.0.2.1", "GET", 80, ACL_ALLOW, 1,
	    "an address with a trailing comment in a file" },
	{ "192.0.2.2", "GET", 80, ACL_DENY, 0, "an address not in the file" },
	{ "198.51.100.7", "GET", 80, ACL_ALLOW, 2,
	    "a file named relative to the config's directory" },
	{ "2001:db8::7", "GET", 80, ACL_ALLOW, 1,
	    "an IPv6 address read from a file" },
};

static const struct t_req redef_reqs[] = {
	{ "192.0.2.7", "GET", 80, ACL_ALLOW, 1,
	    "redefining localhost with the same type adds a value" },
	{ "127.0.0.1", "GET", 80, ACL_ALLOW, 1,
	    "the built-in localhost value stays" },
	{ "10.0.0.1", "GET", 22, ACL_ALLOW, 2,
	    "a name on two lines is the OR of both" },
	{ "10.0.0.1", "GET", 23, ACL_ALLOW, 2,
	    "the second line of a name adds its values" },
	{ "10.0.0.1", "GET", 24, ACL_DENY, 0, "a port on neither line" },
};

#define T_CASE(n, conf, reqs) \
	{ n, conf, reqs, sizeof(reqs) / sizeof(reqs[0]) }

static const struct t_case cases[] = {
	T_CASE("src.conf",
	    "acl one src 192.0.2.10\n"
	    "acl net src 10.1.2.3/8\n"
	    "acl mask src 172.16.0.0/255.240.0.0\n"
	    "acl rng src 198.51.100.10-198.51.100.20\n"
	    "acl v6 src 2001:db8::1\n"
	    "acl v6net src fc00::/7\n"
	    "acl v6rng src 2001:db8::100-2001:db8::1ff\n"
	    "http_access allow one\n"
	    "http_access allow net\n"
	    "http_access allow mask\n"
	    "http_access allow rng\n"
	    "http_access allow v6\n"
	    "http_access allow v6net\n"
	    "http_access allow v6rng\n",
	    src_reqs),
	T_CASE("all.conf",
	    "http_access deny CONNECT\n"
	    "http_access allow localhost\n"
	    "http_access allow all\n",
	    all_reqs),
	T_CASE("port.conf",
	    "acl p port 80 1025-65535\n"
	    "acl p port 443\n"
	    "http_access allow p\n",
	    port_reqs),
	T_CASE("method.conf",
	    "acl m method GET HEAD\n"
	    "acl m method -i PURGE\n"
	    "http_access allow m\n",
	    method_reqs),
	T_CASE("rules.conf",
	    "acl local src 10.0.0.0/8\n"
	    "acl ssl port 443\n"
	    "http_access deny CONNECT !ssl\n"
	    "http_access allow local ssl\n"
	    "http_access deny local\n"
	    "http_access allow all\n",
	    rule_reqs),
	T_CASE("first.conf",
	    "http_access allow all\n"
	    "http_access deny all\n",
	    first_reqs),
	T_CASE("deny.conf",
	    "acl x src 10.0.0.0/8\n"
	    "http_access allow x\n",
	    deny_reqs),
	T_CASE("none.conf", "", none_reqs),
	T_CASE("redef.conf",
	    "acl localhost src 192.0.2.7\n"
	    "acl p port 22\n"
	    "acl p port 23\n"
	    "http_access allow localhost\n"
	    "http_access allow p\n",
	    redef_reqs),
};

/* Each body fails to compile and logs the message. */
static const struct {
	const char	*conf;
	const char	*msg;
	const char	*desc;
} error_cases[] = {
	{ "acl d srcdomain .example.com\n",
	    "e.conf:2: acl type 'srcdomain' is not supported yet",
	    "a squid type not done yet is refused by name" },
	{ "acl d external helper\n",
	    "e.conf:2: acl type 'external' is not supported yet",
	    "external acls are refused for now" },
	{ "acl d frobnicate 1\n", "e.conf:2: unknown acl type 'frobnicate'",
	    "an unknown acl type is refused" },
	{ "http_access allow nosuch\n", "e.conf:2: undefined acl 'nosuch'",
	    "an undefined acl in http_access is refused" },
	{ "http_access deny !nosuch\n", "e.conf:2: undefined acl 'nosuch'",
	    "an undefined negated acl is refused" },
	{ "http_access allow\n",
	    "e.conf:2: http_access allow needs at least one acl name",
	    "http_access without names is refused" },
	{ "http_access permit all\n",
	    "e.conf:2: http_access needs allow or deny, not 'permit'",
	    "an http_access action other than allow/deny is refused" },
	{ "http_access allow !\n", "e.conf:2: acl name expected after '!'",
	    "a lone '!' is refused" },
	{ "acl a src 10.0.0.0/33\n", "e.conf:2: bad address '10.0.0.0/33'",
	    "an IPv4 prefix over 32 is refused" },
	{ "acl a src fc00::/129\n", "e.conf:2: bad address 'fc00::/129'",
	    "an IPv6 prefix over 128 is refused" },
	{ "acl a src 300.1.1.1\n", "e.conf:2: bad address '300.1.1.1'",
	    "an invalid IPv4 address is refused" },
	{ "acl a src example.com\n", "e.conf:2: bad address 'example.com'",
	    "a host name in src is refused" },
	{ "acl a src 10.0.0.0/255.0.255.0\n",
	    "e.conf:2: bad address '10.0.0.0/255.0.255.0'",
	    "a non-contiguous netmask is refused" },
	{ "acl a src 10.0.0.9-10.0.0.1\n",
	    "e.conf:2: bad address '10.0.0.9-10.0.0.1'",
	    "a backwards range is refused" },
	{ "acl a src 10.0.0.1-::1\n", "e.conf:2: bad address '10.0.0.1-::1'",
	    "a range mixing IPv4 and IPv6 is refused" },
	{ "acl p port 0\n", "e.conf:2: bad port '0'", "port 0 is refused" },
	{ "acl p port 70000\n", "e.conf:2: bad port '70000'",
	    "port 70000 is refused" },
	{ "acl p port 90-80\n", "e.conf:2: bad port '90-80'",
	    "a backwards port range is refused" },
	{ "acl p port https\n", "e.conf:2: bad port 'https'",
	    "a port name is refused" },
	{ "acl m method GE(T\n", "e.conf:2: bad method 'GE(T'",
	    "a method that is not a token is refused" },
	{ "acl a src\n", "e.conf:2: acl 'a' has no values",
	    "an acl without values is refused" },
	{ "acl a src -i\n", "e.conf:2: acl 'a' has no values",
	    "an acl with only a flag is refused" },
	{ "acl a src -n 10.0.0.1\n", "e.conf:2: acl flag '-n' is not supported",
	    "an unknown acl flag is refused" },
	{ "acl a src \"/nonexistent/sluice-nets\"\n",
	    "e.conf:2: cannot read acl file /nonexistent/sluice-nets: No such",
	    "an unreadable acl file is refused" },
	{ "acl a src 10.0.0.1\nacl a port 80\n",
	    "e.conf:3: acl 'a' is already defined with type 'src' at ",
	    "a name redefined with another type is refused" },
	{ "acl all port 80\n",
	    "e.conf:2: acl 'all' is built in with type 'src'",
	    "a built-in name with another type is refused" },
	{ "acl CONNECT src 10.0.0.1\n",
	    "e.conf:2: acl 'CONNECT' is built in with type 'method'",
	    "CONNECT stays a method acl" },
};

/* ---------------------------------------------------------------- tests */

static void
test_cases(void)
{
	struct acl_set *s;
	struct conf *c;
	size_t i;
	int rc;

	t_file("nets.txt", "# nets\n\n10.0.0.0/8\n  192.0.2.1   # a host\n"
	    "2001:db8::7\n");
	t_file("more.txt", "198.51.100.7\n");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		rc = t_compile(cases[i].name, cases[i].conf, &c, &s);
		if (!is_int(rc, 0, "%s compiles", cases[i].name)) {
			diag("%s", logbuf);
			skip((int)(2 * cases[i].nreqs), "no acl set");
		} else {
			t_check(s, cases[i].reqs, cases[i].nreqs);
		}
		t_free(c, s);
	}

	/* Values from files: absolute and relative paths. */
	{
		char body[512];

		snprintf(body, sizeof(body),
		    "acl f src \"%s/nets.txt\"\n"
		    "acl g src 192.0.2.99 \"more.txt\"\n"
		    "http_access allow f\n"
		    "http_access allow g\n", tdir);
		rc = t_compile("file.conf", body, &c, &s);
		if (!is_int(rc, 0, "acl values from files compile")) {
			diag("%s", logbuf);
			skip(10, "no acl set");
		} else {
			t_check(s, file_reqs, sizeof(file_reqs) /
			    sizeof(file_reqs[0]));
		}
		t_free(c, s);
	}
}

static void
test_errors(void)
{
	struct acl_set *s;
	struct conf *c;
	size_t i;
	int rc;

	for (i = 0; i < sizeof(error_cases) / sizeof(error_cases[0]); i++) {
		rc = t_compile("e.conf", error_cases[i].conf, &c, &s);
		ok(rc == -1 && s == NULL, "fails: %s", error_cases[i].desc);
		like(logbuf, error_cases[i].msg, "%s", error_cases[i].desc);
		t_free(c, s);
	}

	/* A bad value inside a values file names that file and line. */
	t_file("bad.txt", "10.0.0.1\n10.0.0.300\n");
	rc = t_compile("e.conf", "acl a src \"bad.txt\"\n", &c, &s);
	is_int(rc, -1, "a bad value in an acl file fails the compile");
	like(logbuf, "bad.txt:2: bad address '10.0.0.300'",
	    "a bad value in an acl file is reported at its own line");
	t_free(c, s);

	/* Every error is reported; a refused acl adds no "undefined" error. */
	rc = t_compile("e.conf", "acl d srcdomain x.test\nacl p port 0\n"
	    "http_access deny d\nhttp_access allow nosuch\n", &c, &s);
	is_int(rc, -1, "a config with three acl errors fails");
	like(logbuf, "e.conf:2: acl type 'srcdomain'",
	    "the first error is reported");
	like(logbuf, "e.conf:3: bad port '0'", "the second error is reported");
	like(logbuf, "e.conf:5: undefined acl 'nosuch'",
	    "the third error is reported");
	unlike(logbuf, "undefined acl 'd'",
	    "an acl refused for its type is not reported again as undefined");
	t_free(c, s);
}

static void
test_where(void)
{
	struct acl_set *s;
	struct conf *c;
	char want[256];
	int rc;

	rc = t_compile("where.conf", "acl x src 10.0.0.0/8\n"
	    "http_access deny x\n"
	    "# comment\n"
	    "http_access allow all\n", &c, &s);
	is_int(rc, 0, "where.conf compiles");
	snprintf(want, sizeof(want), "%s/where.conf:5", tdir);
	is_str(acl_rule_where(s, 2), want, "acl_rule_where gives file:line");
	snprintf(want, sizeof(want), "%s/where.conf:3", tdir);
	is_str(acl_rule_where(s, 1), want,
	    "acl_rule_where of rule 1 is its own line");
	is_str(acl_rule_where(s, 0), "(no rule)",
	    "acl_rule_where of rule 0 says no rule");
	is_str(acl_rule_where(s, 3), "(no rule)",
	    "acl_rule_where past the last rule says no rule");
	t_free(c, s);
}

/* The rules of etc/sluice.conf.in decide as its comments say. */
static const struct t_req shipped_reqs[] = {
	{ "127.0.0.1", "GET", 80, ACL_ALLOW, 10, "loopback may GET port 80" },
	{ "192.168.1.5", "CONNECT", 443, ACL_ALLOW, 10,
	    "a LAN client may CONNECT to 443" },
	{ "192.168.1.5", "CONNECT", 22, ACL_DENY, 1,
	    "port 22 is not a Safe_port" },
	{ "192.168.1.5", "CONNECT", 8443, ACL_DENY, 2,
	    "CONNECT to a safe port other than 443 is denied" },
	{ "192.168.1.5", "GET", 8443, ACL_ALLOW, 10,
	    "GET to an unregistered port is allowed" },
	{ "203.0.113.9", "GET", 80, ACL_DENY, 11,
	    "a client outside localnet is denied by deny all" },
	{ "fd00::1", "GET", 80, ACL_ALLOW, 10, "a ULA client is allowed" },
	{ "fe80::1", "GET", 80, ACL_ALLOW, 10,
	    "a link-local v6 client is allowed" },
	{ "2001:db8::1", "GET", 80, ACL_DENY, 11,
	    "a global IPv6 client is denied" },
	{ "::ffff:172.16.0.1", "GET", 80, ACL_ALLOW, 10,
	    "an IPv4-mapped RFC 1918 client is allowed" },
};

/* The same rules for destinations on this host or link-local. */
static const struct t_req shipped_local_reqs[] = {
	{ "192.168.1.5", "GET", 80, ACL_DENY, 6,
	    "to 127.0.0.1: denied by to_localhost" },
	{ "127.0.0.1", "GET", 8080, ACL_DENY, 6,
	    "to 127.0.0.1 even from loopback: denied by to_localhost" },
};
static const struct t_req shipped_meta_reqs[] = {
	{ "192.168.1.5", "GET", 80, ACL_DENY, 7,
	    "to 169.254.169.254 (cloud metadata): denied by to_linklocal" },
};
static const struct t_req shipped_meta6_reqs[] = {
	{ "192.168.1.5", "GET", 80, ACL_DENY, 8,
	    "to fd00:ec2::254 (cloud metadata over IPv6): denied" },
};

/* The proxy's own pages (destination: the proxy's own address). */
static const struct t_req shipped_pac_reqs[] = {
	{ "192.168.1.5", "GET", 3128, ACL_ALLOW, 3,
	    "/proxy.pac from the LAN: allowed by allow pac localnet" },
	{ "203.0.113.9", "GET", 3128, ACL_DENY, 6,
	    "/proxy.pac from outside localnet: denied (to the proxy's own "
	    "host)" },
};
static const struct t_req shipped_mgr_reqs[] = {
	{ "127.0.0.1", "GET", 3128, ACL_ALLOW, 4,
	    "/metrics from this host: allowed by allow manager localhost" },
	{ "192.168.1.5", "GET", 3128, ACL_DENY, 5,
	    "/metrics from the LAN: deny manager" },
};

static void
test_shipped(void)
{
	char src[512], *text, *out, *p, *q;
	const char *srcdir;
	struct acl_set *s = NULL;
	struct conf *c = NULL;
	size_t n;
	FILE *fp;
	int rc;

	if ((srcdir = getenv("srcdir")) == NULL)
		srcdir = ".";
	snprintf(src, sizeof(src), "%s/etc/sluice.conf.in", srcdir);
	if ((fp = fopen(src, "r")) == NULL) {
		ok(0, "etc/sluice.conf.in is readable (%s)", strerror(errno));
		skip(20, "no template");
		return;
	}
	text = calloc(1, 65536);
	out = calloc(1, 65536 + 4096);
	if (text == NULL || out == NULL)
		bail_out("out of memory");
	n = fread(text, 1, 65535, fp);
	fclose(fp);
	/* Makefile.am's substitutions, pointing into the temp dir. */
	for (p = text, q = out; *p != '\0'; ) {
		if (strncmp(p, "@runstatedir@", 13) == 0 ||
		    strncmp(p, "@localstatedir@", 15) == 0) {
			q += sprintf(q, "%s", tdir);
			p += p[1] == 'r' ? 13 : 15;
		} else if (strncmp(p, "@SLUICE_USER@", 13) == 0) {
			/* configure's --with-user, by default */
			q += sprintf(q, "nobody");
			p += 13;
		} else {
			*q++ = *p++;
		}
	}
	*q = '\0';
	if (getpwnam("nobody") == NULL && (p = strstr(out, "user nobody")))
		memcpy(p + 5, "root  ", 6);
	if (ftruncate(log_fd(), 0) == -1)
		bail_out("ftruncate: %s", strerror(errno));
	rc = conf_load(t_file("sluice.conf", out), &c);
	if (rc == 0)
		rc = acl_set_compile(c, &s);
	t_log_read();
	if (!is_int(rc, 0,
	    "the shipped sluice.conf loads and its acls compile")) {
		diag("%s", logbuf);
		skip(20, "no acl set");
	} else {
		t_check(s, shipped_reqs, sizeof(shipped_reqs) /
		    sizeof(shipped_reqs[0]));
		t_dst = "127.0.0.1";
		t_check(s, shipped_local_reqs, sizeof(shipped_local_reqs) /
		    sizeof(shipped_local_reqs[0]));
		t_dst = "169.254.169.254";
		t_check(s, shipped_meta_reqs, sizeof(shipped_meta_reqs) /
		    sizeof(shipped_meta_reqs[0]));
		t_dst = "fd00:ec2::254";
		t_check(s, shipped_meta6_reqs, sizeof(shipped_meta6_reqs) /
		    sizeof(shipped_meta6_reqs[0]));
		t_dst = "127.0.0.1";
		t_endpoint = "/proxy.pac";
		t_check(s, shipped_pac_reqs, sizeof(shipped_pac_reqs) /
		    sizeof(shipped_pac_reqs[0]));
		t_endpoint = "/metrics";
		t_check(s, shipped_mgr_reqs, sizeof(shipped_mgr_reqs) /
		    sizeof(shipped_mgr_reqs[0]));
		t_endpoint = NULL;
		t_dst = "198.51.100.7";
	}
	t_free(c, s);
	free(text);
	free(out);
	(void)n;
}

int
main(void)
{
	size_t i, n = 0;
	int k;

	snprintf(tdir, sizeof(tdir), "/tmp/sluice-unit-acl-XXXXXX");
	if (mkdtemp(tdir) == NULL)
		bail_out("mkdtemp: %s", strerror(errno));
	snprintf(logpath, sizeof(logpath), "%s/cache.log", tdir);
	if (log_open(logpath, 0) == -1)
		bail_out("log_open %s: %s", logpath, strerror(errno));

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		n += 1 + 2 * cases[i].nreqs;
	n += 1 + 2 * sizeof(file_reqs) / sizeof(file_reqs[0]);
	n += 2 * sizeof(error_cases) / sizeof(error_cases[0]) + 2 + 5;
	n += 5;
	n += 1 + 2 * sizeof(shipped_reqs) / sizeof(shipped_reqs[0]);
	n += 2 * sizeof(shipped_local_reqs) / sizeof(shipped_local_reqs[0]);
	n += 2 * sizeof(shipped_meta_reqs) / sizeof(shipped_meta_reqs[0]);
	n += 2 * sizeof(shipped_meta6_reqs) / sizeof(shipped_meta6_reqs[0]);
	n += 2 * sizeof(shipped_pac_reqs) / sizeof(shipped_pac_reqs[0]);
	n += 2 * sizeof(shipped_mgr_reqs) / sizeof(shipped_mgr_reqs[0]);
	plan((int)n);

	test_cases();
	test_errors();
	test_where();
	test_shipped();

	log_open(NULL, 1);
	for (k = ntpaths - 1; k >= 0; k--) {
		unlink(tpaths[k]);
		free(tpaths[k]);
	}
	unlink(logpath);
	rmdir(tdir);
	return exit_status();
}
