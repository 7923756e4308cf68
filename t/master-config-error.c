/*
 * master-config-error.c -- configuration errors are reported as
 * "FILE:LINE: message" (in included files too, all of them in one go) and
 * make both `sluice -t` and a start exit 1; a valid file passes -t.
 * `sluice -h` lists every acl type, and only types a config may use.
 *
 * Integration test: runs the real sluice binary with -t and -d on
 * generated files; no traffic.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "raw.h"
#include "tap.h"

/* Run sluice with @p a1 @p a2 @p a3; @return its exit status. */
static int
run(struct harness *h, const char *a1, const char *a2, const char *a3,
    char **out)
{
	const char *args[4];

	args[0] = a1;
	args[1] = a2;
	args[2] = a3;
	args[3] = NULL;
	return harness_exec(h, args, out);
}

int
main(void)
{
	struct harness h;
	struct raw c;
	char path[300], inc[300], want[400], *out, *types;
	int rc, refused, ntypes, bad;

	plan(25 + HARNESS_END_TESTS);

	harness_init(&h, 1);
	/* A start that fails on its configuration may log at [emerg]
	 * (fatalx in the master before fork): expected here. */
	h.expect_alert = 1;

	/* A valid configuration passes -t. */
	harness_conf(&h, "http_access allow localhost\nhttp_access deny all\n");
	rc = run(&h, "-t", "-f", h.conf, &out);
	is_int(rc, 0, "-t on a valid configuration exits 0");
	free(out);

	/* Unknown directive on line 3. */
	harness_write(&h, "unknown.conf",
	    "http_port 127.0.0.1:%PORT%\n"
	    "workers 1\n"
	    "frobnicate yes\n"
	    "http_access allow localhost\n", path);
	rc = run(&h, "-t", "-f", path, &out);
	is_int(rc, 1, "-t with an unknown directive exits 1");
	snprintf(want, sizeof(want), "%s:3:", path);
	like(out, want, "-t names the file and line 3 (FILE:3:)");
	like(out, "frobnicate", "-t names the unknown directive");
	free(out);

	/* Starting with it fails the same way, and nothing listens. */
	rc = run(&h, "-d", "-f", path, &out);
	is_int(rc, 1, "a start with an unknown directive exits 1");
	like(out, want, "the start names FILE:3: too");
	free(out);
	refused = raw_open(&c, h.port[0]) == -1 && errno == ECONNREFUSED;
	if (!refused)
		raw_close(&c);
	ok(refused, "nothing listens on the port after the failed start");

	/* A bad http_port value on line 2. */
	harness_write(&h, "badport.conf",
	    "workers 1\n"
	    "http_port 127.0.0.1:99999\n"
	    "http_access allow localhost\n", path);
	rc = run(&h, "-t", "-f", path, &out);
	is_int(rc, 1, "-t with http_port 127.0.0.1:99999 exits 1");
	snprintf(want, sizeof(want), "%s:2:", path);
	like(out, want, "-t names FILE:2: for the bad http_port");
	free(out);

	/* An error in an included file names that file and its line. */
	harness_write(&h, "inc.conf",
	    "# included\n"
	    "workers 1\n"
	    "bogus_directive 1\n", inc);
	harness_write(&h, "main.conf",
	    "http_port 127.0.0.1:%PORT%\n"
	    "include inc.conf\n"
	    "http_access allow localhost\n", path);
	rc = run(&h, "-t", "-f", path, &out);
	is_int(rc, 1, "-t with an error in an included file exits 1");
	snprintf(want, sizeof(want), "%s:3:", inc);
	like(out, want, "the error names the included file and its line "
	    "(inc.conf:3:)");
	free(out);

	/* Every error is reported in one run. */
	harness_write(&h, "multi.conf",
	    "http_port 127.0.0.1:%PORT%\n"
	    "read_timeout 10 parsecs\n"
	    "http_access allow localhost\n"
	    "workers many\n", path);
	rc = run(&h, "-t", "-f", path, &out);
	is_int(rc, 1, "-t with two bad lines exits 1");
	snprintf(want, sizeof(want), "%s:2:", path);
	like(out, want, "the bad time unit on line 2 is reported");
	snprintf(want, sizeof(want), "%s:4:", path);
	like(out, want, "and the bad workers value on line 4 in the same run");
	free(out);

	/* An http_access naming an undefined acl. */
	harness_write(&h, "noacl.conf",
	    "http_port 127.0.0.1:%PORT%\n"
	    "http_access allow nosuchacl\n", path);
	rc = run(&h, "-t", "-f", path, &out);
	is_int(rc, 1, "-t with http_access naming an undefined acl exits 1");
	snprintf(want, sizeof(want), "%s:2:", path);
	like(out, want, "the undefined acl is reported at FILE:2:");
	free(out);

	/* A missing file. */
	snprintf(path, sizeof(path), "%s/does-not-exist.conf", h.dir);
	rc = run(&h, "-t", "-f", path, &out);
	is_int(rc, 1, "-t on a missing file exits 1");
	like(out, "does-not-exist.conf", "and names the file");
	free(out);

	/* A valid include passes. */
	harness_write(&h, "inc-ok.conf", "workers 1\n", inc);
	harness_write(&h, "main-ok.conf",
	    "http_port 127.0.0.1:%PORT%\n"
	    "include inc-ok.conf\n"
	    "http_access allow localhost\n", path);
	rc = run(&h, "-t", "-f", path, &out);
	is_int(rc, 0, "-t on a valid configuration with an include exits 0");
	free(out);

	/*
	 * `sluice -h` lists the acl types from the acl compiler's own table:
	 * every type it names is one a config may use (no "unknown" or "not
	 * supported" error for it), and the list is more than the three it
	 * once named.
	 */
	rc = run(&h, "-h", NULL, NULL, &out);
	is_int(rc, 0, "-h exits 0");
	types = strstr(out, "\nacl types:\n");
	ok(types != NULL, "-h has an \"acl types:\" section");
	ntypes = 0;
	bad = 0;
	if (types != NULL) {
		char *w, *save = NULL, *line;

		line = strndup(types + strlen("\nacl types:\n"),
		    strcspn(types + strlen("\nacl types:\n"), "\n"));
		for (w = strtok_r(line, " ", &save); w != NULL;
		    w = strtok_r(NULL, " ", &save)) {
			char conf[256], *o2;

			ntypes++;
			snprintf(conf, sizeof(conf), "http_port "
			    "127.0.0.1:%%PORT%%\nacl x %s 1\n"
			    "http_access deny x\n", w);
			harness_write(&h, "type.conf", conf, path);
			(void)run(&h, "-t", "-f", path, &o2);
			if (strstr(o2, "unknown acl type") != NULL ||
			    strstr(o2, "not supported") != NULL) {
				diag("-h lists '%s', which -t refuses: %s", w,
				    o2);
				bad++;
			}
			free(o2);
		}
		free(line);
	}
	ok(ntypes >= 12, "-h lists %d acl types (src, dst, dstdomain, "
	    "maxconn... not only src port method)", ntypes);
	is_int(bad, 0, "-t accepts every type -h lists");
	like(types, "dstdomain", "dstdomain among them");
	like(types, "proxy_auth", "proxy_auth among them");
	free(out);

	harness_end(&h);
	return exit_status();
}
