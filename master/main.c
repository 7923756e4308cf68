/*
 * main.c -- the sluice command: sluice [-f file] [-t] [-n] [-d] [-h] [-v],
 * or sluice -C DIR [-N NAME]...
 * Runs in the master, before anything is forked.
 *
 *	-f FILE	configuration (default SYSCONFDIR/sluice.conf)
 *	-t	check the configuration and exit 0 (good) or 1 (errors,
 *		each as "file:line: message" on stderr)
 *	-n	print the no_proxy value of the configuration (what its
 *		PAC file sends DIRECT) and exit
 *	-d	stay in the foreground and log to stderr too (systemd, tests;
 *		implied when NOTIFY_SOCKET is set, see notify.h)
 *	-h	usage and the list of directives
 *	-v	version
 *	-C DIR	make the CA for ssl-bump in DIR and exit (master/ca.h);
 *		each -N NAME limits it to that DNS name and those below
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/resource.h>

#include <limits.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "acl.h"
#include "ca.h"
#include "conf.h"
#include "listen.h"
#include "log.h"
#include "master.h"
#include "notify.h"
#include "pac.h"
#include "proc.h"

static void
usage(FILE *fp)
{
	fprintf(fp, "usage: sluice [-f file] [-t] [-n] [-d] [-h] [-v]\n"
	    "       sluice -C dir [-N name]...\n"
	    "  -f file  configuration file (default %s/sluice.conf)\n"
	    "  -t       check the configuration and exit\n"
	    "  -n       print the no_proxy value (what the PAC file sends "
	    "DIRECT) and exit\n"
	    "  -d       stay in the foreground, log to stderr too\n"
	    "  -h       this help and the configuration directives\n"
	    "  -v       print the version\n"
	    "  -C dir   make the CA for ssl-bump in dir (sluice-ca.pem, "
	    "sluice-ca.key)\n"
	    "  -N name  with -C: the CA may only sign for name and the "
	    "names below it\n", SYSCONFDIR);
}

int
main(int argc, char **argv)
{
	const char *path = SYSCONFDIR "/sluice.conf";
	char abspath[PATH_MAX];
	struct listen_set ls;
	struct rlimit rl;
	struct conf *c;
	const char *cadir = NULL;
	char *names[64];
	size_t i;
	int ch, test = 0, fg = 0, noproxy = 0, nnames = 0;

	while ((ch = getopt(argc, argv, "f:tndhvC:N:")) != -1) {
		switch (ch) {
		case 'C':
			cadir = optarg;
			break;
		case 'N':
			if (nnames == (int)(sizeof(names) / sizeof(names[0]))) {
				fprintf(stderr, "sluice: too many -N\n");
				return 1;
			}
			names[nnames++] = optarg;
			break;
		case 'f':
			path = optarg;
			break;
		case 't':
			test = 1;
			break;
		case 'n':
			noproxy = 1;
			break;
		case 'd':
			fg = 1;
			break;
		case 'h':
			usage(stdout);
			printf("\ndirectives:\n");
			conf_print_help(stdout);
			/* The acl compiler's own table: it cannot drift. */
			printf("\nacl types:\n ");
			for (i = 0; acl_type_name(i) != NULL; i++)
				printf(" %s", acl_type_name(i));
			printf("\n");
			return 0;
		case 'v':
			printf("sluice " PACKAGE_VERSION "\n");
			return 0;
		default:
			usage(stderr);
			return 1;
		}
	}
	if (optind != argc || (nnames > 0 && cadir == NULL)) {
		usage(stderr);
		return 1;
	}
	if (cadir != NULL)
		return ca_create(cadir, names, nnames) == 0 ? 0 : 1;
	/*
	 * The master reads the file again on SIGHUP, after the daemon's
	 * chdir("/"): a relative -f must name the same file then.
	 */
	if (path[0] != '/' && realpath(path, abspath) != NULL)
		path = abspath;
	/* Until cache_log is known, every line goes to stderr. */
	log_open(NULL, 1);
	if (noproxy)
		config_check_paths = 0;
	c = config_load(path);
	if (c == NULL) {
		fprintf(stderr, "sluice: %s: configuration has errors\n", path);
		return 1;
	}
	if (noproxy) {
		/* For `export no_proxy=$(sluice -n)`: the value alone. */
		printf("%s\n", pac_no_proxy(c->pac));
		/* Linux's MAX_ARG_STRLEN: one "name=value" string, 32 pages. */
		if (strlen(pac_no_proxy(c->pac)) + 10 > 32 * 4096)
			fprintf(stderr, "sluice: the no_proxy value is %zu bytes, "
			    "more than one environment variable can hold "
			    "(131072 with its name)\n",
			    strlen(pac_no_proxy(c->pac)));
		config_free(c);
		return 0;
	}
	if (test) {
		fprintf(stderr, "sluice: configuration file %s is ok\n", path);
		config_free(c);
		return 0;
	}
	/* Under systemd (Type=notify) the service is this very process. */
	if (notify_init() == 1)
		fg = 1;
	if (config_prepare_files(c) == -1) {
		config_free(c);
		return 1;
	}
	/* Until we detach, the operator's terminal sees every line too. */
	if (c->cache_log != NULL && log_open(c->cache_log, 1) == -1) {
		fprintf(stderr, "sluice: cache_log %s: cannot open\n",
		    c->cache_log);
		config_free(c);
		return 1;
	}
	if (c->pid_file != NULL && proc_pidfile_check(c->pid_file) == -1) {
		config_free(c);
		return 1;
	}
	if (listen_open(c, NULL, &ls) == -1) {
		config_free(c);
		return 1;
	}
	/*
	 * Each client costs a descriptor, each forwarded request another:
	 * the default soft limit (often 1024) would cap a worker far below
	 * what one event loop serves.  Take what the hard limit allows.
	 */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
			log_warn("setrlimit RLIMIT_NOFILE");
	}
	if (!fg) {
		if (proc_daemonize() == -1)
			fatal("cannot go to the background");
		if (c->cache_log != NULL && log_open(c->cache_log, 0) == -1)
			fatal("cache_log %s", c->cache_log);
	}
	if (c->pid_file != NULL && proc_pidfile_write(c->pid_file) == -1) {
		listen_retire(&ls, NULL);
		config_free(c);
		return 1;
	}
	return master_run(c, &ls, fg);
}
