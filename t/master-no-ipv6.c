/*
 * master-no-ipv6.c -- on a host without IPv6 (many containers), an IPv6
 * http_port is skipped with a warning, as squid does, and sluice serves
 * on the rest; a config with nothing it can listen on is still refused.
 *
 * Integration test in a network namespace the test creates for itself
 * (unshare(CLONE_NEWNET), loopback up, IPv6 disabled on it), so it needs
 * root; without it every case is skipped with the reason.
 */
#define _GNU_SOURCE	/* unshare() */
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <net/if.h>

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "harness.h"
#include "origin.h"
#include "tap.h"

#define NTESTS	(6 + ORIGIN_FINISH_TESTS + HARNESS_STOP_TESTS + \
	    HARNESS_END_TESTS)

static const struct origin_step steps[] = {
	{ .expect = "GET /v4", .status = 200, .body = "over IPv4" },
};

/* A private network namespace: loopback up, IPv6 off.  0 or -1 (why). */
static int
netns_without_ipv6(const char **why)
{
	struct ifreq ifr;
	int fd;

	if (geteuid() != 0) {
		*why = "needs root for a network namespace";
		return -1;
	}
	if (unshare(CLONE_NEWNET) == -1) {
		*why = "unshare(CLONE_NEWNET) is not permitted here";
		return -1;
	}
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	if (fd == -1 || ioctl(fd, SIOCGIFFLAGS, &ifr) == -1) {
		*why = "cannot read the loopback flags";
		return -1;
	}
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr) == -1) {
		*why = "cannot bring the loopback up";
		return -1;
	}
	close(fd);
	fd = open("/proc/sys/net/ipv6/conf/lo/disable_ipv6", O_WRONLY);
	if (fd == -1 || write(fd, "1", 1) != 1) {
		*why = "cannot disable IPv6 in the namespace";
		return -1;
	}
	close(fd);
	return 0;
}

int
main(void)
{
	const char *why = NULL;
	const char *args[4];
	struct harness h;
	struct origin *o;
	struct client_resp r;
	char url[128], path[300], *out = NULL, *log;
	int rc;

	plan(NTESTS);
	if (netns_without_ipv6(&why) == -1) {
		skip(NTESTS, "%s", why);
		return exit_status();
	}
	o = origin_start(steps, 1);
	harness_init(&h, 2);
	harness_conf(&h, "http_port 127.0.0.1:%PORT%\n"
	    "http_port [::1]:%PORT1%\n"
	    "http_access allow localhost\nhttp_access deny all\n");
	rc = harness_start(&h);
	is_int(rc, 0, "with IPv6 unavailable, sluice starts on the IPv4 port");
	if (rc == -1)
		bail_out("sluice did not start");
	log = harness_file_wait(h.cache_log, 2000, "[::1]:",
	    "IPv6 is not available on this host", (char *)NULL);
	ok(log != NULL, "the skipped IPv6 http_port is named in a warning");
	like(log, "sluice.conf:", "the warning gives the file and line");
	free(log);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/v4", origin_port(o));
	is_int(client_get(h.port[0], url, &r), 200,
	    "requests are served on the IPv4 port");
	client_resp_free(&r);

	/* Nothing left to listen on: refused, with the reason. */
	harness_write(&h, "v6only.conf", "http_port [::1]:%PORT1%\n"
	    "http_access deny all\n", path);
	args[0] = "-d";
	args[1] = "-f";
	args[2] = path;
	args[3] = NULL;
	is_int(harness_exec(&h, args, &out), 1,
	    "a config whose only http_port is IPv6 exits 1 here");
	like(out, "no http_port could be opened",
	    "and says that no http_port could be opened");
	free(out);

	origin_finish(o);
	harness_stop(&h);
	harness_end(&h);
	origin_free(o);
	return exit_status();
}
