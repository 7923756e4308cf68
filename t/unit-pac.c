/*
 * unit-pac.c -- the PAC file and no_proxy from pac_* lines (acl/pac.c)
 * and the proxy_endpoint acl type (acl/acl.c): address ranges written as
 * the fewest CIDR prefixes (IPv4 and IPv6, ranges that touch the ends of
 * the address space, ranges of several acls merged), names sorted and
 * deduplicated (the wider of "a.b" and ".a.b" wins), the proxy line from
 * the address the client reached (IPv4-mapped written as IPv4, IPv6 in
 * brackets) or from pac_proxy, the fallback, a strong ETag that changes
 * with the bytes and only with them; the built-in acls `pac` and
 * `manager` match only the proxy's own pages, never a proxied request.
 *
 * Unit test: configs written into a mkdtemp() directory, loaded with
 * conf_load(), compiled with acl_set_compile() and pac_compile().
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "acl.h"
#include "buf.h"
#include "conf.h"
#include "log.h"
#include "pac.h"
#include "tap.h"

static char	 tdir[64];
static char	 tpath[128];

/* Load @p text; NULL when conf_load, the acls or the PAC fail. */
static struct conf *
load(const char *text)
{
	struct conf *c;
	FILE *fp;

	if ((fp = fopen(tpath, "w")) == NULL)
		bail_out("cannot write %s", tpath);
	fprintf(fp, "http_port 3128\nhttp_access allow all\n%s", text);
	fclose(fp);
	if (conf_load(tpath, &c) == -1)
		return NULL;
	if (acl_set_compile(c, &c->acl) == -1) {
		conf_free(c);
		return NULL;
	}
	if (pac_compile(c) == -1) {
		acl_set_free(c->acl);
		c->acl = NULL;
		conf_free(c);
		return NULL;
	}
	return c;
}

static void
unload(struct conf *c)
{
	if (c == NULL)
		return;
	pac_free(c);
	acl_set_free(c->acl);
	c->acl = NULL;
	conf_free(c);
}

/* The no_proxy value of @p text ("(error)" when it does not load). */
static void
no_proxy_is(const char *text, const char *want, const char *desc)
{
	struct conf *c = load(text);

	is_str(c ? pac_no_proxy(c->pac) : "(error)", want, "%s", desc);
	unload(c);
}

static struct sockaddr_storage
sa(const char *addr, unsigned port)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, addr, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((unsigned short)port);
	} else {
		inet_pton(AF_INET6, addr, &sin6->sin6_addr);
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((unsigned short)port);
	}
	return ss;
}

/* The PAC file of @p c for a client that reached @p local, NUL-ended. */
static char *
render(struct conf *c, const char *local, unsigned port, char *etag)
{
	struct sockaddr_storage ss = sa(local, port);
	struct buf *b = buf_get(pac_render_size(c->pac) + 1);
	char *s;

	if (pac_render(c->pac, (struct sockaddr *)&ss, b, etag, 64) == -1) {
		buf_put(b);
		return NULL;
	}
	s = strndup(b->pos, buf_len(b));
	buf_put(b);
	return s;
}

int
main(void)
{
	struct conf *c;
	struct acl_req ar;
	struct sockaddr_storage src = sa("10.0.0.1", 0);
	char e1[64], e2[64], e3[64], *p1, *p2, *p3;

	plan(30);
	snprintf(tdir, sizeof(tdir), "%s/unit-pac.XXXXXX",
	    getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(tdir) == NULL)
		bail_out("mkdtemp");
	snprintf(tpath, sizeof(tpath), "%s/sluice.conf", tdir);
	log_open(NULL, 0);

	/* Lists into no_proxy. */
	no_proxy_is("", "", "no pac_direct: an empty no_proxy");
	no_proxy_is("acl d dstdomain .b.example a.example .A.example. "
	    "c.example\npac_direct d\n", "a.example,b.example,c.example",
	    "names sorted, lower case, once each, without the leading dot");
	no_proxy_is("acl n dst 10.0.0.1-10.0.0.254\npac_direct n\n",
	    "10.0.0.1,10.0.0.2/31,10.0.0.4/30,10.0.0.8/29,10.0.0.16/28,"
	    "10.0.0.32/27,10.0.0.64/26,10.0.0.128/26,10.0.0.192/27,"
	    "10.0.0.224/28,10.0.0.240/29,10.0.0.248/30,10.0.0.252/31,"
	    "10.0.0.254", "a range as the fewest CIDR prefixes");
	no_proxy_is("acl n dst all\npac_direct n\n", "0.0.0.0/0,::/0",
	    "all: 0.0.0.0/0 and ::/0");
	no_proxy_is("acl n dst 255.255.255.254-255.255.255.255 "
	    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fff0/124\npac_direct n\n",
	    "255.255.255.254/31,ffff:ffff:ffff:ffff:ffff:ffff:ffff:fff0/124",
	    "ranges that end at the top of the address space");
	no_proxy_is("acl a dst 10.0.0.0/9\nacl b dst 10.128.0.0/9 192.0.2.7\n"
	    "pac_direct a b\n", "10.0.0.0/8,192.0.2.7",
	    "adjacent ranges of two acls merge; one address alone");
	no_proxy_is("acl a dst fd00::/9 fd80::/9 2001:db8::1\npac_direct a\n",
	    "2001:db8::1,fd00::/8", "IPv6 ranges merge too");
	no_proxy_is("acl d dstdomain x.example\nacl e dstdomain .x.example\n"
	    "pac_direct d e\n", "x.example", "a host and its domain: once");

	/* The file. */
	c = load("acl d dstdomain .corp.example host.example\n"
	    "acl n dst 10.0.0.0/8 fd00::/8\npac_direct d n\n");
	ok(c != NULL, "a config with pac_direct loads");
	p1 = render(c, "192.0.2.1", 3128, e1);
	like(p1, "var sluice_proxy = \"PROXY 192.0.2.1:3128\";\n",
	    "the proxy: the address the client reached");
	like(p1, "\t\".corp.example\": 2,\n\t\".host.example\": 1\n",
	    "names: 2 domain and subdomains, 1 that host");
	like(p1, "\t[\"10.0.0.0\", \"255.0.0.0\"]\n", "IPv4: isInNet's mask");
	like(p1, "\t\"fd00::/8\"\n", "IPv6: isInNetEx's prefix");
	like(p1, "var sluice_plain_direct = false;", "plain names: proxy");
	p2 = render(c, "::ffff:192.0.2.1", 3128, e2);
	ok(p1 && p2 && strcmp(p1, p2) == 0 && strcmp(e1, e2) == 0,
	    "an IPv4-mapped local address is written as IPv4");
	p3 = render(c, "2001:db8::5", 8080, e3);
	like(p3, "\"PROXY [2001:db8::5]:8080\";", "IPv6 in brackets");
	ok(strcmp(e1, e3) != 0 && e1[0] == '"' && e3[0] == '"',
	    "another proxy line, another strong ETag (%s, %s)", e1, e3);
	free(p2);
	p2 = render(c, "192.0.2.1", 3128, e2);
	ok(p2 && strcmp(p1, p2) == 0 && strcmp(e1, e2) == 0,
	    "the same bytes, the same ETag");
	free(p1);
	free(p2);
	free(p3);
	ok(pac_loaded(c->pac) > 0, "the load time is kept (Last-Modified)");

	/* proxy_endpoint: pac and manager are the proxy's pages only. */
	memset(&ar, 0, sizeof(ar));
	ar.src = (struct sockaddr *)&src;
	ar.method = "GET";
	ar.port = 3128;
	ar.host = "proxy.example";
	ar.url = "http://proxy.example:3128/metrics";
	ar.path = "/metrics";
	unload(c);
	/* load() allows all first: these rules get a file of their own. */
	{
		FILE *fp = fopen(tpath, "w");

		fprintf(fp, "http_port 3128\nacl x proxy_endpoint /no_proxy\n"
		    "http_access allow manager\nhttp_access allow pac\n"
		    "http_access allow x\nhttp_access deny all\n");
		fclose(fp);
		ok(conf_load(tpath, &c) == 0 &&
		    acl_set_compile(c, &c->acl) == 0,
		    "proxy_endpoint acls load");
	}
	is_int(acl_check(c->acl, &ar, NULL), ACL_DENY,
	    "a proxied request for /metrics is no endpoint: denied");
	ar.endpoint = "/metrics";
	is_int(acl_check(c->acl, &ar, NULL), ACL_ALLOW, "/metrics: manager");
	ar.endpoint = "/status";
	is_int(acl_check(c->acl, &ar, NULL), ACL_ALLOW, "/status: manager");
	ar.endpoint = "/proxy.pac";
	{
		size_t rule;

		is_int(acl_check(c->acl, &ar, &rule), ACL_ALLOW,
		    "/proxy.pac: pac");
		is_int((long long)rule, 2, "... by the pac rule");
		ar.endpoint = "/wpad.dat";
		is_int(acl_check(c->acl, &ar, &rule), ACL_ALLOW,
		    "/wpad.dat: pac");
		ar.endpoint = "/no_proxy";
		is_int(acl_check(c->acl, &ar, &rule), ACL_ALLOW, "/no_proxy");
		is_int((long long)rule, 2, "... by the pac rule first");
	}
	acl_set_free(c->acl);
	c->acl = NULL;
	conf_free(c);

	/* pac_proxy and pac_fallback. */
	c = load("pac_proxy p1.example:3128 [2001:DB8::1]:80\n"
	    "pac_proxy 192.0.2.9:8080\npac_fallback direct\n"
	    "pac_plain_hostnames direct\n");
	p1 = c ? render(c, "192.0.2.1", 3128, e1) : NULL;
	like(p1, "var sluice_proxy = \"PROXY p1.example:3128; PROXY "
	    "[2001:db8::1]:80; PROXY 192.0.2.9:8080; DIRECT\";",
	    "pac_proxy lines in order, normalised, then DIRECT");
	like(p1, "var sluice_plain_direct = true;",
	    "pac_plain_hostnames direct");
	free(p1);
	unload(c);
	unlink(tpath);
	rmdir(tdir);
	return exit_status();
}
