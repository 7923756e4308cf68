/*
 * pac-node.c -- the PAC file sluice serves, run by a real JavaScript
 * engine (node) with the standard PAC helper functions (t/pac/pacrun.js)
 * over a table of URLs: what pac_direct lists (exact hosts, domains and
 * their subdomains, plain names listed, IPv4 networks given as CIDR and
 * as a-b ranges, IPv6 networks) goes DIRECT, everything else to the
 * proxy the PAC file was fetched from; IPv6 networks need the browser's
 * isInNetEx (Chromium has it; without it they go to the proxy); names
 * are resolved by the browser only for the networks, after the names
 * missed.  Then pac_proxy, pac_fallback direct and pac_plain_hostnames
 * direct change the answers as documented.
 *
 * Integration test: real sluice runs, node (skips with the reason when
 * it is missing: setup.sh installs nodejs).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "harness.h"
#include "run.h"
#include "tap.h"

#define PROXY	"@PROXY@"	/* replaced by "PROXY 127.0.0.1:PORT" */
#define PROXIES2 \
	"PROXY proxy1.example:3128; PROXY [2001:db8::8]:8080; DIRECT"

struct pac_case {
	const char	*url;
	const char	*want;		/* with isInNetEx and dnsResolveEx */
	const char	*want_plain;	/* without them (NULL: same) */
};

/* The names the "browser" resolves (dns lines of the cases file). */
static const char dns_table[] =
	"dns www.example.com 93.184.216.34\n"
	"dns build.internal.test 192.168.5.5\n"
	"dns v6only.internal.test fd00::5\n"
	"dns dual.internal.test 93.184.216.35;fd00::6\n"
	"dns outside.test 203.0.113.9\n"
	"myip 192.168.1.20\n";

static const struct pac_case cases1[] = {
	{ "http://www.example.com/", PROXY, NULL },
	{ "http://corp.example/", "DIRECT", NULL },
	{ "http://a.b.corp.example/x?y=1", "DIRECT", NULL },
	{ "https://secure.corp.example/", "DIRECT", NULL },
	{ "http://WWW.CORP.EXAMPLE./", "DIRECT", NULL },
	{ "http://notcorp.example/", PROXY, NULL },
	{ "http://wiki.example.org/", "DIRECT", NULL },
	{ "http://x.wiki.example.org/", PROXY, NULL },
	{ "http://intranet/", "DIRECT", NULL },
	{ "http://printer/", PROXY, NULL },
	{ "http://10.1.2.3:8080/", "DIRECT", NULL },
	{ "http://11.0.0.1/", PROXY, NULL },
	{ "http://172.16.0.1/", "DIRECT", NULL },
	{ "http://172.16.0.6/", "DIRECT", NULL },
	{ "http://172.16.0.7/", PROXY, NULL },
	{ "http://build.internal.test/", "DIRECT", NULL },
	{ "http://outside.test/", PROXY, NULL },
	{ "http://unresolvable.test/", PROXY, NULL },
	{ "http://[fd00::1]/", "DIRECT", PROXY },
	{ "http://[2001:db8::1]/", PROXY, NULL },
	{ "http://v6only.internal.test/", "DIRECT", PROXY },
	{ "http://dual.internal.test/", "DIRECT", PROXY },
};

static const struct pac_case cases2[] = {
	{ "http://www.example.com/",
	    PROXIES2, NULL },
	{ "http://printer/", "DIRECT", NULL },
	{ "http://intranet/", "DIRECT", NULL },
	{ "http://corp.example/", "DIRECT", NULL },
	{ "http://[fd00::1]/",
	    PROXIES2, NULL },
};

#define NCASES1	(sizeof(cases1) / sizeof(cases1[0]))
#define NCASES2	(sizeof(cases2) / sizeof(cases2[0]))

static char node[256];

/* Write @p text to DIR/@p name (no placeholders). */
static int
write_file(struct harness *h, const char *name, const char *text,
    size_t len, char *path)
{
	FILE *fp;

	snprintf(path, 300, "%s/%s", h->dir, name);
	if ((fp = fopen(path, "w")) == NULL)
		return -1;
	if (fwrite(text, 1, len, fp) != len) {
		fclose(fp);
		return -1;
	}
	return fclose(fp);
}

/* The result of @p url in pacrun's output, or "" (in @p out). */
static void
result_of(const char *output, const char *url, char *out, size_t n)
{
	const char *p = output, *e;
	size_t ul = strlen(url);

	out[0] = '\0';
	while (p != NULL && *p != '\0') {
		e = strchr(p, '\n');
		if (strncmp(p, url, ul) == 0 && p[ul] == '\t') {
			snprintf(out, n, "%.*s", (int)((e ? e : p + strlen(p)) -
			    (p + ul + 1)), p + ul + 1);
			return;
		}
		p = e ? e + 1 : NULL;
	}
}

/*
 * Fetch the PAC file from @p h, run pacrun.js over @p cases with and
 * without the IPv6 extensions, check each answer (2 * n tests) and
 * the fetch (2 tests).
 */
static void
run_cases(struct harness *h, const struct pac_case *cases, size_t n,
    const char *proxy)
{
	struct client_resp r;
	char url[200], pac[300], cfile[300], out[300], script[600], res[300];
	char *text, *output;
	const char *want;
	size_t i, len;
	int pass, rc;

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/proxy.pac", h->port[0]);
	memset(&r, 0, sizeof(r));
	client_get(0, url, &r);
	is_int(r.status, 200, "GET /proxy.pac in origin form: 200");
	is_str(client_resp_header(&r, "Content-Type"),
	    "application/x-ns-proxy-autoconfig",
	    "Content-Type: application/x-ns-proxy-autoconfig");
	if (r.body == NULL || write_file(h, "proxy.pac", r.body, r.body_len,
	    pac) == -1)
		bail_out("cannot write the PAC file");
	client_resp_free(&r);

	/* The cases file: the DNS table, then one URL a line. */
	len = strlen(dns_table) + n * 120 + 1;
	if ((text = malloc(len)) == NULL)
		bail_out("out of memory");
	snprintf(text, len, "%s", dns_table);
	for (i = 0; i < n; i++)
		snprintf(text + strlen(text), len - strlen(text), "case %s\n",
		    cases[i].url);
	if (write_file(h, "cases.txt", text, strlen(text), cfile) == -1)
		bail_out("cannot write the cases");
	free(text);
	snprintf(script, sizeof(script), "%s/t/pac/pacrun.js",
	    getenv("SLUICE_SRCDIR") ? getenv("SLUICE_SRCDIR") : ".");

	for (pass = 0; pass < 2; pass++) {
		const char *argv[] = { node, script, pac, cfile,
		    pass == 0 ? "ex" : "plain", NULL };

		snprintf(out, sizeof(out), "%s/pacrun-%d.out", h->dir, pass);
		rc = run_program(argv, out, NULL, 30000);
		output = harness_file_read(out, NULL);
		if (rc != 0)
			diag("pacrun exited %d: %s", rc, output ? output : "");
		for (i = 0; i < n; i++) {
			want = pass == 1 && cases[i].want_plain ?
			    cases[i].want_plain : cases[i].want;
			if (strcmp(want, PROXY) == 0)
				want = proxy;
			result_of(output ? output : "", cases[i].url, res,
			    sizeof(res));
			is_str(res, want, "%s %s -> %s", pass == 0 ?
			    "with isInNetEx:" : "standard helpers only:",
			    cases[i].url, want);
		}
		free(output);
	}
}

int
main(void)
{
	struct harness h;
	char proxy[100];

	plan((int)(2 + 2 * NCASES1 + 2 + 2 * NCASES2) +
	    2 * (HARNESS_STOP_TESTS + HARNESS_END_TESTS));
	if (run_find("node", node, sizeof(node)) == -1) {
		skip((int)(2 + 2 * NCASES1 + 2 + 2 * NCASES2) +
		    2 * (HARNESS_STOP_TESTS + HARNESS_END_TESTS),
		    "node is not installed (setup.sh installs nodejs)");
		return exit_status();
	}

	harness_init(&h, 1);
	harness_conf(&h,
	    "acl direct_names dstdomain .corp.example intranet "
	    "wiki.example.org\n"
	    "acl direct_nets dst 10.0.0.0/8 192.168.0.0/16 "
	    "172.16.0.1-172.16.0.6 fd00::/8\n"
	    "pac_direct direct_names\n"
	    "pac_direct direct_nets\n"
	    "http_access allow pac localhost\n"
	    "http_access deny all\n");
	if (harness_start(&h) == -1)
		bail_out("sluice did not start");
	snprintf(proxy, sizeof(proxy), "PROXY 127.0.0.1:%d", h.port[0]);
	run_cases(&h, cases1, NCASES1, proxy);
	harness_stop(&h);
	harness_end(&h);

	harness_init(&h, 1);
	harness_conf(&h,
	    "acl direct_names dstdomain .corp.example intranet\n"
	    "pac_direct direct_names\n"
	    "pac_proxy proxy1.example:3128\n"
	    "pac_proxy [2001:DB8:0::8]:8080\n"
	    "pac_fallback direct\n"
	    "pac_plain_hostnames direct\n"
	    "http_access allow pac localhost\n"
	    "http_access deny all\n");
	if (harness_start(&h) == -1)
		bail_out("sluice did not start");
	run_cases(&h, cases2, NCASES2, proxy);
	harness_stop(&h);
	harness_end(&h);
	return exit_status();
}
