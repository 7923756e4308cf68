/*
 * uri.c -- Location / Content-Location resolved against the request URL
 * (see uri.h).  Runs in the workers.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdio.h>
#include <string.h>

#include "host.h"
#include "str.h"
#include "uri.h"

#define URI_PATH_MAX	8192

/* RFC 3986 §5.2.4: remove "." and ".." segments of p (in place). */
static void
uri_dots(char *p)
{
	char *in = p, *out = p, *q;

	while (*in != '\0') {
		if (strncmp(in, "../", 3) == 0)
			in += 3;
		else if (strncmp(in, "./", 2) == 0)
			in += 2;
		else if (strncmp(in, "/./", 3) == 0)
			in += 2;
		else if (strcmp(in, "/.") == 0)
			in[1] = '\0';
		else if (strncmp(in, "/../", 4) == 0 || strcmp(in, "/..") == 0) {
			in += 3;
			if (*in == '\0')
				*--in = '/';
			else
				*in = '/';
			/* drop the last segment of the output */
			while (out > p && *--out != '/')
				;
			*out = '\0';
		} else if (strcmp(in, ".") == 0 || strcmp(in, "..") == 0)
			in += strlen(in);
		else {
			q = in + 1;
			while (*q != '\0' && *q != '/')
				q++;
			memmove(out, in, (size_t)(q - in));
			out += q - in;
			in = q;
		}
	}
	*out = '\0';
}

/*
 * The path of @p buf (path [ "?" query ]) without dot segments and with
 * its leading '/' (an empty path is "/", RFC 9110 §4.2.3); the query as
 * it is.
 */
static void
uri_path(char *buf, size_t size)
{
	char query[URI_PATH_MAX / 2], *q;
	size_t n;

	query[0] = '\0';
	if ((q = strchr(buf, '?')) != NULL) {
		snprintf(query, sizeof(query), "%s", q);
		*q = '\0';
	}
	uri_dots(buf);
	if (buf[0] != '/') {
		memmove(buf + 1, buf, strlen(buf) + 1);
		buf[0] = '/';
	}
	n = strlen(buf);
	snprintf(buf + n, size - n, "%s", query);
}

int
uri_same_origin(const char *host, unsigned port, const char *path,
    const char *ref, size_t reflen, char *out, size_t outsz)
{
	return uri_same_origin_scheme(0, host, port, path, ref, reflen, out,
	    outsz);
}

int
uri_same_origin_scheme(int https, const char *host, unsigned port,
    const char *path, const char *ref, size_t reflen, char *out, size_t outsz)
{
	char buf[URI_PATH_MAX], h[256], *q;
	const char *p = ref, *e = ref + reflen, *a, *ae, *colon, *hs, *he, *d;
	const char *why = NULL;
	unsigned rport = https ? 443 : 80;
	int kind;

	/* The fragment is not part of what is cached (RFC 9110 §4.2.4). */
	if ((q = memchr(ref, '#', reflen)) != NULL)
		e = q;
	while (p < e && (*p == ' ' || *p == '\t'))
		p++;
	if (p == e || (size_t)(e - p) >= sizeof(buf) / 2)
		return -1;
	if (str_iprefix(p, (size_t)(e - p), https ? "https://" : "http://"))
		p += https ? 6 : 5;	/* now "//authority..." */
	else if (str_iprefix(p, (size_t)(e - p), https ? "http://" :
	    "https://"))
		return 0;	/* the other scheme: another origin */
	else if ((size_t)(e - p) > 0 && *p != '/' && *p != '?' &&
	    (colon = memchr(p, ':', (size_t)(e - p))) != NULL &&
	    memchr(p, '/', (size_t)(colon - p)) == NULL &&
	    memchr(p, '?', (size_t)(colon - p)) == NULL)
		return -1;	/* another scheme (RFC 3986 §4.2) */
	if (e - p >= 2 && p[0] == '/' && p[1] == '/') {
		/* authority: host [":" port], no userinfo */
		a = p + 2;
		for (ae = a; ae < e && *ae != '/' && *ae != '?'; ae++)
			;
		if (memchr(a, '@', (size_t)(ae - a)) != NULL || ae == a)
			return -1;
		hs = a;
		if (*a == '[') {
			if ((he = memchr(a, ']', (size_t)(ae - a))) == NULL)
				return -1;
			hs = a + 1;
			colon = he + 1 < ae && he[1] == ':' ? he + 1 : NULL;
			if (he + 1 < ae && colon == NULL)
				return -1;
		} else {
			colon = memchr(a, ':', (size_t)(ae - a));
			he = colon != NULL ? colon : ae;
		}
		if (colon != NULL && colon + 1 < ae) {
			rport = 0;
			for (d = colon + 1; d < ae; d++) {
				if (*d < '0' || *d > '9' || rport > 6553)
					return -1;
				rport = rport * 10 + (unsigned)(*d - '0');
			}
			if (rport == 0 || rport > 65535)
				return -1;
		}
		kind = acl_host_normalise(hs, (size_t)(he - hs), h, sizeof(h),
		    NULL, &why);
		if (kind < 0)
			return -1;
		snprintf(buf, sizeof(buf), "%.*s", (int)(e - ae), ae);
		if (strcmp(h, host) != 0 || rport != port)
			return 0;
	} else {
		const char *bq = strchr(path, '?');
		size_t bl = bq ? (size_t)(bq - path) : strlen(path);

		if (bl >= sizeof(buf) / 2)
			return -1;
		if (p < e && *p == '/')		/* absolute path */
			snprintf(buf, sizeof(buf), "%.*s", (int)(e - p), p);
		else if (p < e && *p == '?')	/* same path, new query */
			snprintf(buf, sizeof(buf), "%.*s%.*s", (int)bl, path,
			    (int)(e - p), p);
		else {				/* merge (§5.2.3) */
			const char *slash = bl > 0 ?
			    (const char *)memrchr(path, '/', bl) : NULL;
			size_t dl = slash ? (size_t)(slash - path) + 1 : 0;

			snprintf(buf, sizeof(buf), "%s%.*s%.*s",
			    dl == 0 ? "/" : "", (int)dl, path, (int)(e - p), p);
		}
		snprintf(h, sizeof(h), "%s", host);
		rport = port;
	}
	uri_path(buf, sizeof(buf));
	return host_url_scheme(out, outsz, https, h, rport, buf) == 0 ? 1 : -1;
}
