/*
 * http_hdr.c -- hop-by-hop fields and Via (see http_hdr.h).
 * Runs in the workers.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include <time.h>

#include "http_hdr.h"
#include "str.h"

/* RFC 9110 §7.6.1 and the legacy names proxies must also drop. */
static const char *const http_hdr_hop[] = {
	"Connection", "Keep-Alive", "Proxy-Connection", "Proxy-Authenticate",
	"Proxy-Authorization", "TE", "Trailer", "Transfer-Encoding",
	"Upgrade", NULL
};

int
http_hdr_is_hop(const struct http_head *h, size_t i)
{
	const struct http_field *f = &h->fields[i];
	char name[128];
	size_t j;

	for (j = 0; http_hdr_hop[j] != NULL; j++)
		if (http_field_is(f, http_hdr_hop[j]))
			return 1;
	if (f->name_len >= sizeof(name))
		return 0;
	memcpy(name, f->name, f->name_len);
	name[f->name_len] = '\0';
	for (j = 0; j < h->nfields; j++)
		if (http_field_is(&h->fields[j], "Connection") &&
		    http_list_has(h->fields[j].value, h->fields[j].value_len,
		    name))
			return 1;
	return 0;
}

int
http_hdr_copy(struct buf *b, const struct http_field *f)
{
	if (buf_room(b) < f->name_len + f->value_len + 4)
		return -1;
	buf_append(b, f->name, f->name_len);
	buf_append(b, ": ", 2);
	buf_append(b, f->value, f->value_len);
	buf_append(b, "\r\n", 2);
	return 0;
}

int
http_hdr_via(struct buf *b, int version, const char *host)
{
	return buf_printf(b, "Via: %s %s (sluice/" PACKAGE_VERSION ")\r\n",
	    version == 10 ? "1.0" : "1.1", host);
}

int
http_hdr_date(struct buf *b, time_t t)
{
	static const char days[7][4] = { "Sun", "Mon", "Tue", "Wed", "Thu",
	    "Fri", "Sat" };
	static const char months[12][4] = { "Jan", "Feb", "Mar", "Apr", "May",
	    "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct tm tm;

	/* Not strftime(): %a and %b follow the locale. */
	if (gmtime_r(&t, &tm) == NULL)
		return -1;
	return buf_printf(b, "Date: %s, %02d %s %04d %02d:%02d:%02d GMT\r\n",
	    days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900,
	    tm.tm_hour, tm.tm_min, tm.tm_sec);
}

const struct http_field *
http_hdr_find(const struct http_head *h, const char *name)
{
	size_t i;

	for (i = 0; i < h->nfields; i++)
		if (http_field_is(&h->fields[i], name))
			return &h->fields[i];
	return NULL;
}
