/*
 * host.c -- host normalisation (see host.h).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <string.h>

#include "host.h"

#define HOST_MAX	253	/* RFC 1035 §2.3.4, without the final dot */
#define LABEL_MAX	63

static int
host_fail(const char **why, const char *reason)
{
	if (why != NULL)
		*why = reason;
	return -1;
}

/* Is the label p[0..n) a number as inet_aton() reads one (dec, 0x, 0)? */
static int
host_numeric_label(const char *p, size_t n)
{
	size_t i = 0;

	if (n == 0)
		return 0;
	if (n > 1 && p[0] == '0' && p[1] == 'x') {
		for (i = 2; i < n; i++)
			if (!((p[i] >= '0' && p[i] <= '9') ||
			    (p[i] >= 'a' && p[i] <= 'f')))
				return 0;
		return 1;
	}
	for (; i < n; i++)
		if (p[i] < '0' || p[i] > '9')
			return 0;
	return 1;
}

static int
host_v4(struct in_addr a, char *out, size_t outsz,
    struct sockaddr_storage *ss)
{
	if (inet_ntop(AF_INET, &a, out, (socklen_t)outsz) == NULL)
		return -1;
	if (ss != NULL) {
		struct sockaddr_in *sin = (struct sockaddr_in *)(void *)ss;

		memset(ss, 0, sizeof(*ss));
		sin->sin_family = AF_INET;
		sin->sin_addr = a;
	}
	return HOST_IPV4;
}

int
acl_host_normalise(const char *in, size_t n, char *out, size_t outsz,
    struct sockaddr_storage *ss, const char **why)
{
	char buf[HOST_MAX + 2];
	const char *label, *last;
	struct in6_addr a6;
	struct in_addr a4;
	size_t i, len;

	if (n == 0)
		return host_fail(why, "empty host");
	if (n > HOST_MAX + 1)
		return host_fail(why, "host name too long");
	if (outsz < 256)
		return host_fail(why, "no room");
	if (memchr(in, '%', n) != NULL)
		return host_fail(why, memchr(in, ':', n) != NULL ?
		    "IPv6 zone ids are refused" : "percent-encoded host");
	for (i = 0; i < n; i++) {
		char ch = in[i];

		if (ch >= 'A' && ch <= 'Z')
			ch = (char)(ch - 'A' + 'a');
		if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
		    ch == '-' || ch == '.' || ch == '_' || ch == ':'))
			return host_fail(why, "bad character in host");
		buf[i] = ch;
	}
	buf[n] = '\0';

	if (memchr(buf, ':', n) != NULL) {
		/* An IPv6 literal (RFC 3986 §3.2.2), in its canonical form. */
		if (inet_pton(AF_INET6, buf, &a6) != 1)
			return host_fail(why, "bad IPv6 address");
		if (IN6_IS_ADDR_V4MAPPED(&a6)) {
			memcpy(&a4, a6.s6_addr + 12, 4);
			return host_v4(a4, out, outsz, ss);
		}
		if (inet_ntop(AF_INET6, &a6, out, (socklen_t)outsz) == NULL)
			return host_fail(why, "bad IPv6 address");
		if (ss != NULL) {
			struct sockaddr_in6 *sin6 =
			    (struct sockaddr_in6 *)(void *)ss;

			memset(ss, 0, sizeof(*ss));
			sin6->sin6_family = AF_INET6;
			sin6->sin6_addr = a6;
		}
		return HOST_IPV6;
	}

	/* One trailing dot is the root: "example.com." is "example.com". */
	len = n;
	if (buf[len - 1] == '.')
		buf[--len] = '\0';
	if (len == 0 || len > HOST_MAX)
		return host_fail(why, len == 0 ? "empty host" :
		    "host name too long");
	for (label = buf, last = buf;; label++) {
		const char *dot = strchr(label, '.');
		size_t ll = dot ? (size_t)(dot - label) : strlen(label);

		if (ll == 0)
			return host_fail(why, "empty label in host");
		if (ll > LABEL_MAX)
			return host_fail(why, "label over 63 bytes in host");
		last = label;
		if (dot == NULL)
			break;
		label = dot;
	}
	/* A numeric last label: an IPv4 address in any inet_aton spelling. */
	if (host_numeric_label(last, strlen(last))) {
		if (inet_aton(buf, &a4) == 0)
			return host_fail(why, "bad IPv4 address");
		return host_v4(a4, out, outsz, ss);
	}
	memcpy(out, buf, len + 1);
	if (ss != NULL)
		memset(ss, 0, sizeof(*ss));
	return HOST_NAME;
}

int
host_url(char *out, size_t outsz, const char *host, unsigned port,
    const char *path)
{
	return host_url_scheme(out, outsz, 0, host, port, path);
}

int
host_url_scheme(char *out, size_t outsz, int https, const char *host,
    unsigned port, const char *path)
{
	int v6 = strchr(host, ':') != NULL, n;
	char p[8] = "";

	/* RFC 9110 §4.2.1, §4.2.2: each scheme's default port is implied. */
	if (port != (https ? 443u : 80u))
		snprintf(p, sizeof(p), ":%u", port);
	n = snprintf(out, outsz, "%s://%s%s%s%s%s", https ? "https" : "http",
	    v6 ? "[" : "", host, v6 ? "]" : "", p, path);
	return n >= 0 && (size_t)n < outsz ? 0 : -1;
}
