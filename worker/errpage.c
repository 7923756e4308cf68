/*
 * errpage.c -- error responses written by the proxy (see errpage.h).
 * Runs in the workers.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "errpage.h"

static const struct {
	const char	*name;
	int		 status;
	const char	*reason;
	const char	*text;
} errpage_tbl[] = {
#define ERRPAGE_ROW(name, status, reason, text)	{ #name, status, reason, text },
	ERRPAGE_LIST(ERRPAGE_ROW)
#undef ERRPAGE_ROW
};

int
errpage_status(enum errpage_id id)
{
	return errpage_tbl[id].status;
}

const char *
errpage_name(enum errpage_id id)
{
	return errpage_tbl[id].name;
}

const char *
errpage_reason(int status)
{
	size_t i;

	for (i = 0; i < ERRPAGE_COUNT; i++)
		if (errpage_tbl[i].status == status)
			return errpage_tbl[i].reason;
	switch (status) {
	case 200: return "OK";
	case 100: return "Continue";
	default: return "Unknown";
	}
}

/* Append @p s with &<>"' escaped, truncated at @p max bytes of input. */
static void
errpage_escape(char *out, size_t outlen, const char *s, size_t max)
{
	size_t o = 0, i;
	const char *rep;
	char one[2];

	for (i = 0; s[i] != '\0' && i < max; i++) {
		switch (s[i]) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		case '\'': rep = "&#39;"; break;
		default:
			one[0] = s[i];
			one[1] = '\0';
			rep = one;
		}
		if (o + strlen(rep) + 1 > outlen)
			break;
		memcpy(out + o, rep, strlen(rep));
		o += strlen(rep);
	}
	out[o] = '\0';
}

int
errpage_build(struct buf *b, enum errpage_id id, const char *url,
    const char *host, int keepalive)
{
	return errpage_build_hdrs(b, id, url, host, keepalive, NULL);
}

int
errpage_build_hdrs(struct buf *b, enum errpage_id id, const char *url,
    const char *host, int keepalive, const char *hdrs)
{
	char body[2048], eurl[1024], ehost[256], date[64];
	time_t now;
	struct tm tm;
	int n;

	errpage_escape(eurl, sizeof(eurl), url ? url : "", 600);
	errpage_escape(ehost, sizeof(ehost), host, 200);
	n = snprintf(body, sizeof(body),
	    "<!DOCTYPE html>\n<html><head><title>%d %s</title></head>\n"
	    "<body><h1>%d %s</h1>\n<p>%s</p>\n<p>URL: <code>%s</code></p>\n"
	    "<hr><address>%s (sluice/" PACKAGE_VERSION ") %s</address>\n"
	    "</body></html>\n",
	    errpage_tbl[id].status, errpage_tbl[id].reason,
	    errpage_tbl[id].status, errpage_tbl[id].reason,
	    errpage_tbl[id].text, eurl, ehost, errpage_tbl[id].name);
	if (n < 0 || (size_t)n >= sizeof(body))
		return -1;
	now = time(NULL);
	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
	buf_reset(b);
	if (buf_printf(b, "HTTP/1.1 %d %s\r\nServer: sluice/" PACKAGE_VERSION
	    "\r\nDate: %s\r\nContent-Type: text/html; charset=utf-8\r\n"
	    "Content-Length: %d\r\nCache-Control: no-store\r\n"
	    "X-Sluice-Error: %s\r\n%sConnection: %s\r\n\r\n%s",
	    errpage_tbl[id].status, errpage_tbl[id].reason, date, n,
	    errpage_tbl[id].name, hdrs != NULL ? hdrs : "",
	    keepalive ? "keep-alive" : "close", body) == -1) {
		buf_reset(b);
		return -1;
	}
	return 0;
}
