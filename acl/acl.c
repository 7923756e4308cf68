/*
 * acl.c -- squid-style named ACLs and ordered http_access rules (see
 * acl.h): compiled from the raw conf lines, evaluated without allocating.
 *
 * Compiled in the master (acl_set_compile() after conf_load(), at start
 * and on reload); evaluated in the workers (acl_check() from the
 * ACCESS_PRE step) on the copy they inherit across fork().
 *
 * Compiled form:
 *  - src: IPv4 ranges as host-order uint32 [lo, hi] pairs and IPv6
 *    ranges as 16-byte big-endian [lo, hi] pairs (memcmp() orders them),
 *    each array sorted by lo and merged so that ranges never overlap;
 *    a lookup is a binary search.  CIDR, netmask and a-b forms all
 *    become ranges.  An IPv4-mapped client (::ffff:a.b.c.d) is looked up
 *    as the IPv4 address too.
 *  - port: [lo, hi] pairs, scanned in order.
 *  - method: strings, compared case-sensitively as squid does.
 *  - rules: verdict plus a slice of the flat term array (acl index and
 *    a negation flag); the names of one rule AND together.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <ifaddrs.h>
#include <regex.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <string.h>
#include <strings.h>

#include "acl.h"
#include "host.h"
#include "conf.h"
#include "log.h"

enum acl_type {
	ACL_TYPE_SRC,
	ACL_TYPE_DST,
	ACL_TYPE_PORT,
	ACL_TYPE_METHOD,
	ACL_TYPE_DSTDOMAIN,
	ACL_TYPE_DSTDOM_REGEX,
	ACL_TYPE_URL_REGEX,
	ACL_TYPE_URLPATH_REGEX,
	ACL_TYPE_PROTO,
	ACL_TYPE_TIME,
	ACL_TYPE_PROXY_AUTH,
	ACL_TYPE_MAXCONN,
	ACL_TYPE_PROXY_ENDPOINT,
	ACL_TYPE_BROKEN		/* refused type: only to quiet later errors */
};

static const char *const acl_type_names[] = { "src", "dst", "port",
    "method", "dstdomain", "dstdom_regex", "url_regex", "urlpath_regex",
    "proto", "time", "proxy_auth", "maxconn", "proxy_endpoint",
    "(unsupported)" };

/* The proxy's own pages (origin form on http_port), see acl_endpoint(). */
static const char *const acl_endpoints[] = { "/proxy.pac", "/wpad.dat",
    "/no_proxy", "/metrics", "/status", NULL };

const char *
acl_endpoint(size_t i)
{
	return i < sizeof(acl_endpoints) / sizeof(acl_endpoints[0]) ?
	    acl_endpoints[i] : NULL;
}

const char *
acl_type_name(size_t i)
{
	return i < ACL_TYPE_BROKEN ? acl_type_names[i] : NULL;
}

/* Squid types that later issues will add: refused with a clear message. */
static const char *const acl_types_later[] = {
	"srcdomain", "srcdom_regex", "urllogin",
	"proxy_auth_regex", "max_user_ip", "myip",
	"myport", "localip", "localport", "myportname", "browser",
	"referer_regex", "req_header", "rep_header", "req_mime_type",
	"rep_mime_type", "http_status", "arp", "eui64", "external", "ident",
	"ident_regex", "src_as", "dst_as", "peername", "peername_regex",
	"ssl_error", "server_cert_fingerprint", "at_step",
	"ssl::server_name", "ssl::server_name_regex", "user_cert", "ca_cert",
	"ext_user", "ext_user_regex", "note", "any-of", "all-of", "random",
	"hier_code", "tag", "has", "transaction_initiator", "squid_error",
	"connections_encrypted", "annotate_transaction", "annotate_client",
	"adaptation_service", "snmp_community", "clientside_mark",
	"client_connection_mark",
	NULL
};

struct acl_v4 {
	uint32_t	 lo, hi;		/* host order, inclusive */
};

struct acl_v6 {
	unsigned char	 lo[16], hi[16];	/* network order, inclusive */
};

struct acl_range {
	unsigned	 lo, hi;
};

/* dstdomain: an open-addressed set of names, each exact or with subdomains. */
struct acl_dom {
	char		*name;		/* lower case, no leading or trailing dot */
	int		 sub;		/* ".example.com": subdomains too */
};

struct acl_time {
	unsigned	 days;		/* bit 0 Sunday .. bit 6 Saturday */
	unsigned	 from, to;	/* minutes of the day, from < to */
};

struct acl {
	char		 *name;
	enum acl_type	  type;
	const char	 *file;		/* first definition */
	int		  line;
	struct acl_v4	 *v4;
	size_t		  nv4;
	struct acl_v6	 *v6;
	size_t		  nv6;
	struct acl_range *ports;
	size_t		  nports;
	char		**words;	/* also proto names and user names */
	size_t		  nwords;
	struct acl_dom	 *doms;		/* dstdomain: hash table */
	size_t		  ndoms;	/* entries */
	size_t		  domcap;	/* slots, a power of two */
	regex_t		 *res;		/* *_regex */
	size_t		  nres;
	int		  icase;	/* -i seen: later regexes ignore case */
	struct acl_time	 *times;
	size_t		  ntimes;
	const char	 *tfile;	/* where the last day string was */
	int		  tline;
	int		  required;	/* proxy_auth REQUIRED */
	unsigned	  maxconn;
};

struct acl_term {
	size_t		 acl;		/* index in acl_set.acls */
	int		 negate;
};

struct acl_rule {
	enum acl_verdict verdict;
	size_t		 term;		/* first term in acl_set.terms */
	size_t		 nterms;
	char		*where;		/* "file:line" */
};

struct acl_set {
	struct acl	*acls;
	size_t		 nacls;
	struct acl_term	*terms;
	size_t		 nterms;
	struct acl_rule	*rules;
	size_t		 nrules;
	int		 has_maxconn;	/* a maxconn acl is defined */
};

/* Where we are while compiling, for "file:line: message". */
struct acl_compile {
	struct acl_set	*s;
	const char	*file;
	int		 line;
	int		 nerrors;
};

/* "FILE:LINE: message", counted. */
#define acl_error(x, ...) \
	log_conf_error((x)->file, (x)->line, &(x)->nerrors, __VA_ARGS__)

/* Grow an array by one element; NULL (array untouched) on failure. */
static void *
acl_array_grow(void *base, size_t n, size_t size)
{
	return realloc(base, (n + 1) * size);
}

/* ---------------------------------------------------------------- values */

/* A decimal number 1..65535 (ports); -1 when not. */
static long
acl_port_number(const char *s, size_t len)
{
	long v = 0;
	size_t i;

	/* At most 5 digits: no overflow, and "080" is still 80. */
	if (len == 0 || len > 5)
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v >= 1 && v <= 65535 ? v : -1;
}

/* One numeric address of @len bytes: AF_INET or AF_INET6, or 0. */
static int
acl_addr_parse(const char *s, size_t len, unsigned char a[16])
{
	char buf[INET6_ADDRSTRLEN + 1];

	if (len == 0 || len >= sizeof(buf))
		return 0;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (inet_pton(AF_INET, buf, a) == 1)
		return AF_INET;
	if (inet_pton(AF_INET6, buf, a) == 1)
		return AF_INET6;
	return 0;
}

static uint32_t
acl_v4_get(const unsigned char a[4])
{
	return (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 |
	    (uint32_t)a[2] << 8 | (uint32_t)a[3];
}

static int
acl_v4_add(struct acl_compile *x, struct acl *a, uint32_t lo, uint32_t hi)
{
	struct acl_v4 *n;

	if ((n = acl_array_grow(a->v4, a->nv4, sizeof(*n))) == NULL) {
		acl_error(x, "out of memory");
		return -1;
	}
	n[a->nv4].lo = lo;
	n[a->nv4].hi = hi;
	a->v4 = n;
	a->nv4++;
	return 0;
}

static int
acl_v6_add(struct acl_compile *x, struct acl *a, const unsigned char lo[16],
    const unsigned char hi[16])
{
	struct acl_v6 *n;

	if ((n = acl_array_grow(a->v6, a->nv6, sizeof(*n))) == NULL) {
		acl_error(x, "out of memory");
		return -1;
	}
	memcpy(n[a->nv6].lo, lo, 16);
	memcpy(n[a->nv6].hi, hi, 16);
	a->v6 = n;
	a->nv6++;
	return 0;
}

/* The range an IPv6 prefix covers: host bits cleared in lo, set in hi. */
static void
acl_v6_prefix(const unsigned char a[16], unsigned bits, unsigned char lo[16],
    unsigned char hi[16])
{
	unsigned i, keep;
	unsigned char m;

	for (i = 0; i < 16; i++) {
		/* Bits of byte i inside the prefix: all, some or none. */
		keep = bits >= 8 * (i + 1) ? 8 :
		    bits > 8 * i ? bits - 8 * i : 0;
		m = (unsigned char)(0xff00 >> keep);
		lo[i] = a[i] & m;
		hi[i] = a[i] | (unsigned char)~m;
	}
}

/*
 * src values: "all", an address, a CIDR ("10.0.0.0/8", "fc00::/7"), a
 * netmask ("10.0.0.0/255.0.0.0", squid's older form) or "lo-hi".
 * Host names are not resolved (squid would, at load time).
 */
static int
acl_src_add(struct acl_compile *x, struct acl *a, const char *v)
{
	unsigned char lo[16], hi[16], m[16];
	const char *dash, *slash;
	uint32_t lo4, mask;
	int f, f2;
	long bits;

	if (strcmp(v, "all") == 0) {
		memset(lo, 0, 16);
		memset(hi, 0xff, 16);
		if (acl_v4_add(x, a, 0, UINT32_MAX) == -1)
			return -1;
		return acl_v6_add(x, a, lo, hi);
	}
	if ((dash = strchr(v, '-')) != NULL) {
		f = acl_addr_parse(v, (size_t)(dash - v), lo);
		f2 = acl_addr_parse(dash + 1, strlen(dash + 1), hi);
		if (f == 0 || f != f2)
			goto bad;
		if (f == AF_INET) {
			if (acl_v4_get(lo) > acl_v4_get(hi))
				goto bad;
			return acl_v4_add(x, a, acl_v4_get(lo), acl_v4_get(hi));
		}
		if (memcmp(lo, hi, 16) > 0)
			goto bad;
		return acl_v6_add(x, a, lo, hi);
	}
	slash = strchr(v, '/');
	f = acl_addr_parse(v, slash != NULL ? (size_t)(slash - v) : strlen(v),
	    lo);
	if (f == 0)
		goto bad;
	bits = f == AF_INET ? 32 : 128;
	if (slash != NULL) {
		if (f == AF_INET && strchr(slash + 1, '.') != NULL) {
			/* A netmask: its one bits must be contiguous. */
			if (acl_addr_parse(slash + 1, strlen(slash + 1), m) !=
			    AF_INET)
				goto bad;
			mask = acl_v4_get(m);
			if (((~mask + 1) & ~mask) != 0)
				goto bad;
			for (bits = 0; bits < 32 &&
			    (mask & (UINT32_C(0x80000000) >> bits)); bits++)
				continue;
		} else {
			bits = acl_port_number(slash + 1, strlen(slash + 1));
			if (strcmp(slash + 1, "0") == 0)
				bits = 0;
			if (bits < 0 || bits > (f == AF_INET ? 32 : 128))
				goto bad;
		}
	}
	if (f == AF_INET) {
		/* Host bits set in the address are cleared, as squid does. */
		mask = bits == 0 ? 0 : UINT32_MAX << (32 - bits);
		lo4 = acl_v4_get(lo) & mask;
		return acl_v4_add(x, a, lo4, lo4 | ~mask);
	}
	acl_v6_prefix(lo, (unsigned)bits, m, hi);
	return acl_v6_add(x, a, m, hi);
bad:
	acl_error(x, "bad address '%s'", v);
	return -1;
}

/* port values: "80" or "1025-65535". */
static int
acl_port_add(struct acl_compile *x, struct acl *a, const char *v)
{
	struct acl_range *n;
	const char *dash;
	long lo, hi;

	if ((dash = strchr(v, '-')) != NULL) {
		lo = acl_port_number(v, (size_t)(dash - v));
		hi = acl_port_number(dash + 1, strlen(dash + 1));
	} else {
		lo = hi = acl_port_number(v, strlen(v));
	}
	if (lo == -1 || hi == -1 || lo > hi) {
		acl_error(x, "bad port '%s'", v);
		return -1;
	}
	if ((n = acl_array_grow(a->ports, a->nports, sizeof(*n))) == NULL) {
		acl_error(x, "out of memory");
		return -1;
	}
	n[a->nports].lo = (unsigned)lo;
	n[a->nports].hi = (unsigned)hi;
	a->ports = n;
	a->nports++;
	return 0;
}

/* method values: an RFC 9110 §5.6.2 token, kept as written. */
static int	acl_word_add(struct acl_compile *, struct acl *, const char *);

static int
acl_method_add(struct acl_compile *x, struct acl *a, const char *v)
{
	const char *q;

	if (*v == '\0')
		goto bad;
	for (q = v; *q != '\0'; q++)
		if (!((*q >= 'A' && *q <= 'Z') || (*q >= 'a' && *q <= 'z') ||
		    (*q >= '0' && *q <= '9') || strchr("!#$%&'*+-.^_`|~", *q)))
			goto bad;
	return acl_word_add(x, a, v);
bad:
	acl_error(x, "bad method '%s'", v);
	return -1;
}

/* FNV-1a of a NUL-terminated name. */
static uint32_t
acl_hash(const char *p, size_t n)
{
	uint32_t h = 2166136261u;

	while (n-- > 0)
		h = (h ^ (unsigned char)*p++) * 16777619u;
	return h;
}

static int
acl_dom_insert(struct acl *a, char *name, int sub)
{
	struct acl_dom *d;
	size_t i, n = strlen(name);

	for (i = acl_hash(name, n) & (a->domcap - 1);; i = (i + 1) &
	    (a->domcap - 1)) {
		d = &a->doms[i];
		if (d->name == NULL) {
			d->name = name;
			d->sub = sub;
			a->ndoms++;
			return 1;
		}
		if (strcmp(d->name, name) == 0) {
			d->sub |= sub;	/* ".a.b" and "a.b": the wider wins */
			return 0;
		}
	}
}

/* Keep the table at most half full: probes stay short. */
static int
acl_dom_grow(struct acl *a)
{
	struct acl_dom *old = a->doms;
	size_t i, oldcap = a->domcap;

	if (a->domcap != 0 && (a->ndoms + 1) * 2 <= a->domcap)
		return 0;
	a->domcap = oldcap ? oldcap * 2 : 64;
	if ((a->doms = calloc(a->domcap, sizeof(*a->doms))) == NULL) {
		a->doms = old;
		a->domcap = oldcap;
		return -1;
	}
	a->ndoms = 0;
	for (i = 0; i < oldcap; i++)
		if (old[i].name != NULL)
			(void)acl_dom_insert(a, old[i].name, old[i].sub);
	free(old);
	return 0;
}

/*
 * dstdomain values: "example.com" (that host) or ".example.com" (it and
 * every subdomain), any case, a trailing dot ignored; an IP literal in
 * any spelling is normalised like request hosts are.
 */
static int
acl_dom_add(struct acl_compile *x, struct acl *a, const char *v)
{
	char out[256], *name;
	const char *why = NULL;
	int sub = v[0] == '.';

	if (acl_host_normalise(v + sub, strlen(v + sub), out, sizeof(out),
	    NULL, &why) == -1) {
		acl_error(x, "bad domain '%s': %s", v, why ? why : "?");
		return -1;
	}
	if (acl_dom_grow(a) == -1 || (name = strdup(out)) == NULL) {
		acl_error(x, "out of memory");
		return -1;
	}
	if (acl_dom_insert(a, name, sub) == 0)
		free(name);
	return 0;
}

static int
acl_regex_add(struct acl_compile *x, struct acl *a, const char *v)
{
	regex_t *n;
	char msg[256];
	int rc;

	if ((n = acl_array_grow(a->res, a->nres, sizeof(*n))) == NULL) {
		acl_error(x, "out of memory");
		return -1;
	}
	a->res = n;
	rc = regcomp(&n[a->nres], v, REG_EXTENDED | REG_NOSUB |
	    (a->icase ? REG_ICASE : 0));
	if (rc != 0) {
		regerror(rc, &n[a->nres], msg, sizeof(msg));
		acl_error(x, "bad regular expression '%s': %s", v, msg);
		return -1;
	}
	a->nres++;
	return 0;
}

/* A word kept as written (proto is compared ignoring case, users not). */
static int
acl_word_add(struct acl_compile *x, struct acl *a, const char *v)
{
	char **n, *m;

	if ((m = strdup(v)) == NULL ||
	    (n = acl_array_grow(a->words, a->nwords, sizeof(*n))) == NULL) {
		free(m);
		acl_error(x, "out of memory");
		return -1;
	}
	n[a->nwords++] = m;
	a->words = n;
	return 0;
}

/* squid's proto names. */
static int
acl_proto_add(struct acl_compile *x, struct acl *a, const char *v)
{
	static const char *const known[] = { "HTTP", "HTTPS", "FTP", "GOPHER",
	    "WAIS", "CACHE_OBJECT", "ICP", "URN", "WHOIS", "NONE", "WS",
	    "WSS", NULL };
	size_t i;

	for (i = 0; known[i] != NULL; i++)
		if (strcasecmp(v, known[i]) == 0)
			return acl_word_add(x, a, known[i]);
	acl_error(x, "unknown proto '%s'", v);
	return -1;
}

/* "hh:mm-hh:mm" into minutes; -1 when bad. */
static int
acl_time_range(const char *v, unsigned *from, unsigned *to)
{
	unsigned h1, m1, h2, m2;
	char tail;

	if (sscanf(v, "%2u:%2u-%2u:%2u%c", &h1, &m1, &h2, &m2, &tail) != 4 ||
	    h1 > 24 || h2 > 24 || m1 > 59 || m2 > 59 ||
	    h1 * 60 + m1 > 1440 || h2 * 60 + m2 > 1440 ||
	    h1 * 60 + m1 >= h2 * 60 + m2)
		return -1;
	*from = h1 * 60 + m1;
	*to = h2 * 60 + m2;
	return 0;
}

/*
 * time values (squid): a day string of S M T W H F A (D: weekdays), a
 * range hh:mm-hh:mm, or a day string then a range.  One acl line is one
 * time spec; several lines OR together.
 */
static int
acl_time_add(struct acl_compile *x, struct acl *a, const char *v)
{
	static const char days[] = "SMTWHFA";
	struct acl_time *n, t;
	const char *p, *d;

	memset(&t, 0, sizeof(t));
	if (strchr(v, ':') != NULL) {
		if (acl_time_range(v, &t.from, &t.to) == -1)
			goto bad;
		t.days = 0x7f;
		/* "MTWHF 08:00-17:00": the range narrows the days before. */
		if (a->ntimes > 0 && a->times[a->ntimes - 1].to == 1441 &&
		    a->tline == x->line && a->tfile == x->file) {
			a->times[a->ntimes - 1].from = t.from;
			a->times[a->ntimes - 1].to = t.to;
			return 0;
		}
	} else {
		for (p = v; *p != '\0'; p++) {
			if (*p == 'D') {
				t.days |= 0x3e;
				continue;
			}
			if ((d = strchr(days, *p)) == NULL)
				goto bad;
			t.days |= 1u << (d - days);
		}
		if (t.days == 0)
			goto bad;
		t.from = 0;
		t.to = 1441;	/* all day, unless a range follows */
		a->tline = x->line;
		a->tfile = x->file;
	}
	if ((n = acl_array_grow(a->times, a->ntimes, sizeof(*n))) == NULL) {
		acl_error(x, "out of memory");
		return -1;
	}
	n[a->ntimes++] = t;
	a->times = n;
	return 0;
bad:
	acl_error(x, "bad time '%s' (days SMTWHFA or D, hh:mm-hh:mm)", v);
	return -1;
}

static int
acl_value_add(struct acl_compile *x, struct acl *a, const char *v)
{
	long long n;
	char *end;

	switch (a->type) {
	case ACL_TYPE_SRC:
	case ACL_TYPE_DST:
		return acl_src_add(x, a, v);
	case ACL_TYPE_PORT:
		return acl_port_add(x, a, v);
	case ACL_TYPE_METHOD:
		return acl_method_add(x, a, v);
	case ACL_TYPE_DSTDOMAIN:
		return acl_dom_add(x, a, v);
	case ACL_TYPE_DSTDOM_REGEX:
	case ACL_TYPE_URL_REGEX:
	case ACL_TYPE_URLPATH_REGEX:
		return acl_regex_add(x, a, v);
	case ACL_TYPE_PROTO:
		return acl_proto_add(x, a, v);
	case ACL_TYPE_TIME:
		return acl_time_add(x, a, v);
	case ACL_TYPE_PROXY_AUTH:
		if (strcmp(v, "REQUIRED") == 0) {
			a->required = 1;
			return 0;
		}
		return acl_word_add(x, a, v);
	case ACL_TYPE_MAXCONN:
		errno = 0;
		n = strtoll(v, &end, 10);
		if (errno != 0 || *end != '\0' || end == v || n < 0 ||
		    n > 1000000 || a->required) {
			acl_error(x, "maxconn needs one number, not '%s'", v);
			return -1;
		}
		a->maxconn = (unsigned)n;
		a->required = 1;	/* set: a value was given */
		return 0;
	case ACL_TYPE_PROXY_ENDPOINT:
		for (n = 0; acl_endpoints[n] != NULL; n++)
			if (strcmp(v, acl_endpoints[n]) == 0)
				return acl_word_add(x, a, v);
		acl_error(x, "unknown proxy_endpoint '%s' (/proxy.pac, "
		    "/wpad.dat, /no_proxy, /metrics, /status)", v);
		return -1;
	default:
		return 0;
	}
}

/*
 * Values from a file: one or more per line, '#' comments, blank lines
 * skipped.  A relative path is taken from the directory of @conffile.
 * Bad values are reported with the values file's own path and line.
 */
static void
acl_file_add(struct acl_compile *x, struct acl *a, const char *conffile,
    const char *name)
{
	char path[4096], *line = NULL, *w, *save;
	const char *slash, *file;
	size_t cap = 0;
	int n, lineno;
	FILE *fp;

	slash = strrchr(conffile, '/');
	if (name[0] != '/' && slash != NULL)
		n = snprintf(path, sizeof(path), "%.*s/%s",
		    (int)(slash - conffile), conffile, name);
	else
		n = snprintf(path, sizeof(path), "%s", name);
	if (n < 0 || (size_t)n >= sizeof(path)) {
		acl_error(x, "cannot read acl file %s: path too long", name);
		return;
	}
	if ((fp = fopen(path, "re")) == NULL) {
		acl_error(x, "cannot read acl file %s: %s", path,
		    strerror(errno));
		return;
	}
	file = x->file;
	lineno = x->line;
	x->file = path;
	x->line = 0;
	while (getline(&line, &cap, fp) != -1) {
		x->line++;
		if ((w = strchr(line, '#')) != NULL)
			*w = '\0';
		for (w = strtok_r(line, " \t\r\n", &save); w != NULL;
		    w = strtok_r(NULL, " \t\r\n", &save))
			(void)acl_value_add(x, a, w);
	}
	if (ferror(fp))
		acl_error(x, "cannot read acl file %s: %s", path,
		    strerror(errno));
	free(line);
	fclose(fp);
	x->file = file;
	x->line = lineno;
}

/* ---------------------------------------------------------------- acls */

/* Names are case-sensitive, as in squid ("CONNECT" is not "connect"). */
static struct acl *
acl_find(const struct acl_set *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->nacls; i++)
		if (strcmp(s->acls[i].name, name) == 0)
			return &s->acls[i];
	return NULL;
}

/*
 * A new, empty acl at the end of the set.  Pointers into s->acls do not
 * survive the next acl_new() (realloc); rules keep indexes for that reason.
 */
static struct acl *
acl_new(struct acl_compile *x, const char *name, enum acl_type type)
{
	struct acl_set *s = x->s;
	struct acl *n;

	if ((n = acl_array_grow(s->acls, s->nacls, sizeof(*n))) == NULL)
		goto oom;
	s->acls = n;
	n = &s->acls[s->nacls];
	memset(n, 0, sizeof(*n));
	if ((n->name = strdup(name)) == NULL)
		goto oom;
	n->type = type;
	n->file = x->file;
	n->line = x->line;
	s->nacls++;
	return n;
oom:
	acl_error(x, "out of memory");
	return NULL;
}

static int
acl_v4_cmp(const void *a, const void *b)
{
	const struct acl_v4 *p = a, *q = b;

	return p->lo < q->lo ? -1 : p->lo > q->lo;
}

static int
acl_v6_cmp(const void *a, const void *b)
{
	const struct acl_v6 *p = a, *q = b;

	return memcmp(p->lo, q->lo, 16);
}

/* Sort the address ranges and merge overlaps, for the binary search. */
static void
acl_src_finish(struct acl *a)
{
	size_t i, j;

	if (a->nv4 > 1) {
		qsort(a->v4, a->nv4, sizeof(*a->v4), acl_v4_cmp);
		for (i = 0, j = 1; j < a->nv4; j++) {
			/* Overlapping or adjacent: extend the current one. */
			if (a->v4[i].hi == UINT32_MAX ||
			    a->v4[j].lo <= a->v4[i].hi + 1) {
				if (a->v4[j].hi > a->v4[i].hi)
					a->v4[i].hi = a->v4[j].hi;
			} else {
				a->v4[++i] = a->v4[j];
			}
		}
		a->nv4 = i + 1;
	}
	if (a->nv6 > 1) {
		qsort(a->v6, a->nv6, sizeof(*a->v6), acl_v6_cmp);
		for (i = 0, j = 1; j < a->nv6; j++) {
			if (memcmp(a->v6[j].lo, a->v6[i].hi, 16) <= 0) {
				if (memcmp(a->v6[j].hi, a->v6[i].hi, 16) > 0)
					memcpy(a->v6[i].hi, a->v6[j].hi, 16);
			} else {
				a->v6[++i] = a->v6[j];
			}
		}
		a->nv6 = i + 1;
	}
}

/* acl NAME TYPE [-i] value... | "file" */
static void
acl_line_compile(struct acl_compile *x, const struct conf_line *l)
{
	enum acl_type type;
	const char *tname;
	struct acl *a;
	size_t i;
	int v, nvalues;

	/* conf_tbl.h already demands NAME and TYPE; stay safe anyway. */
	if (l->argc < 3) {
		acl_error(x, "acl needs a name and a type");
		return;
	}
	tname = l->argv[2];
	for (i = 0; i < ACL_TYPE_BROKEN; i++)
		if (strcmp(tname, acl_type_names[i]) == 0)
			break;
	type = (enum acl_type)i;
	if (type == ACL_TYPE_BROKEN) {
		for (i = 0; acl_types_later[i] != NULL; i++)
			if (strcmp(tname, acl_types_later[i]) == 0)
				break;
		if (acl_types_later[i] != NULL)
			acl_error(x, "acl type '%s' is not supported yet",
			    tname);
		else
			acl_error(x, "unknown acl type '%s'", tname);
		/* Keep the name so http_access lines do not add errors. */
		if (acl_find(x->s, l->argv[1]) == NULL)
			(void)acl_new(x, l->argv[1], ACL_TYPE_BROKEN);
		return;
	}
	/*
	 * squid: the same NAME again with the same TYPE adds values (OR);
	 * with another TYPE it is an error, built-in names included.
	 */
	if ((a = acl_find(x->s, l->argv[1])) != NULL) {
		if (a->type == ACL_TYPE_BROKEN)
			return;
		if (a->type != type) {
			if (a->line == 0)
				acl_error(x, "acl '%s' is built in with type "
				    "'%s'", a->name, acl_type_names[a->type]);
			else
				acl_error(x, "acl '%s' is already defined "
				    "with type '%s' at %s:%d", a->name,
				    acl_type_names[a->type], a->file, a->line);
			return;
		}
	} else if ((a = acl_new(x, l->argv[1], type)) == NULL) {
		return;
	}

	/* Squid's flags come before the values; -i/+i mean nothing here. */
	for (v = 3; v < l->argc && !l->quoted[v] && (l->argv[v][0] == '-' ||
	    l->argv[v][0] == '+') && l->argv[v][1] != '\0' &&
	    !(type == ACL_TYPE_TIME || type == ACL_TYPE_MAXCONN); v++) {
		if (strcmp(l->argv[v], "-i") == 0)
			a->icase = 1;
		else if (strcmp(l->argv[v], "+i") == 0)
			a->icase = 0;
		else {
			acl_error(x, "acl flag '%s' is not supported",
			    l->argv[v]);
			return;
		}
	}
	/* A quoted value names a file of values (squid's "/path" form). */
	for (nvalues = 0; v < l->argc; v++, nvalues++) {
		if (l->quoted[v])
			acl_file_add(x, a, l->file, l->argv[v]);
		else
			(void)acl_value_add(x, a, l->argv[v]);
	}
	if (nvalues == 0)
		acl_error(x, "acl '%s' has no values", l->argv[1]);
}

/* Squid's built-in ACLs, defined as if by these lines. */
static void
acl_predefined_add(struct acl_compile *x)
{
	static const char *const lines[][8] = {
		{ "acl", "all", "src", "all", NULL },
		{ "acl", "localhost", "src", "127.0.0.1/32", "::1", NULL },
		{ "acl", "CONNECT", "method", "CONNECT", NULL },
		/* squid: destinations on this host's loopback or "any". */
		{ "acl", "to_localhost", "dst", "127.0.0.0/8", "0.0.0.0/32",
		    "::1/128", "::/128", NULL },
		/* squid 6: link-local, where cloud metadata services live. */
		{ "acl", "to_linklocal", "dst", "169.254.0.0/16", "fe80::/10",
		    NULL },
		{ "acl", "to_self", "dst", "127.0.0.0/8", "0.0.0.0/32",
		    "::1/128", "::/128", NULL },
		/* squid's name for its own management pages. */
		{ "acl", "manager", "proxy_endpoint", "/metrics", "/status",
		    NULL },
		/* The proxy auto-config files and the no_proxy value. */
		{ "acl", "pac", "proxy_endpoint", "/proxy.pac", "/wpad.dat",
		    "/no_proxy", NULL },
	};
	static const unsigned char quoted[8];
	struct conf_line l;
	struct ifaddrs *ifa, *i_;
	struct acl *self;
	char addr[INET6_ADDRSTRLEN];
	size_t i;

	x->file = "(built-in)";
	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		l.file = x->file;
		l.line = x->line = 0;
		l.argv = (char **)(uintptr_t)lines[i];
		for (l.argc = 0; l.argc < 8 && lines[i][l.argc] != NULL;
		    l.argc++)
			continue;
		l.quoted = (unsigned char *)(uintptr_t)quoted;
		acl_line_compile(x, &l);
	}
	/*
	 * to_self (sluice): also every address of this host's interfaces,
	 * read when the config is compiled (each reload reads them again).
	 */
	if ((self = acl_find(x->s, "to_self")) == NULL || getifaddrs(&ifa) == -1)
		return;
	for (i_ = ifa; i_ != NULL; i_ = i_->ifa_next) {
		if (i_->ifa_addr == NULL)
			continue;
		if (i_->ifa_addr->sa_family == AF_INET)
			inet_ntop(AF_INET, &((struct sockaddr_in *)(void *)
			    i_->ifa_addr)->sin_addr, addr, sizeof(addr));
		else if (i_->ifa_addr->sa_family == AF_INET6)
			inet_ntop(AF_INET6, &((struct sockaddr_in6 *)(void *)
			    i_->ifa_addr)->sin6_addr, addr, sizeof(addr));
		else
			continue;
		(void)acl_src_add(x, self, addr);
	}
	freeifaddrs(ifa);
}

/* ---------------------------------------------------------------- rules */

/* http_access allow|deny [!]NAME... */
static void
acl_rule_compile(struct acl_compile *x, const struct conf_line *l)
{
	struct acl_set *s = x->s;
	struct acl_rule *r;
	struct acl_term *t;
	const struct acl *a;
	enum acl_verdict verdict;
	const char *name;
	size_t first;
	int i, negate, bad = 0, n;

	if (l->argc < 2 || (strcmp(l->argv[1], "allow") != 0 &&
	    strcmp(l->argv[1], "deny") != 0)) {
		acl_error(x, "http_access needs allow or deny, not '%s'",
		    l->argc < 2 ? "" : l->argv[1]);
		return;
	}
	verdict = strcmp(l->argv[1], "allow") == 0 ? ACL_ALLOW : ACL_DENY;
	if (l->argc < 3) {
		acl_error(x, "http_access %s needs at least one acl name",
		    l->argv[1]);
		return;
	}
	/* The terms of one rule are contiguous in s->terms: [first, n). */
	first = s->nterms;
	for (i = 2; i < l->argc; i++) {
		name = l->argv[i];
		negate = name[0] == '!';
		name += negate;
		if (*name == '\0') {
			acl_error(x, "acl name expected after '!'");
			bad = 1;
			continue;
		}
		if ((a = acl_find(s, name)) == NULL) {
			acl_error(x, "undefined acl '%s'", name);
			bad = 1;
			continue;
		}
		if ((t = acl_array_grow(s->terms, s->nterms, sizeof(*t))) ==
		    NULL) {
			acl_error(x, "out of memory");
			return;
		}
		s->terms = t;
		t[s->nterms].acl = (size_t)(a - s->acls);
		t[s->nterms].negate = negate;
		s->nterms++;
	}
	if (bad)
		return;
	if ((r = acl_array_grow(s->rules, s->nrules, sizeof(*r))) == NULL) {
		acl_error(x, "out of memory");
		return;
	}
	s->rules = r;
	r = &s->rules[s->nrules];
	r->verdict = verdict;
	r->term = first;
	r->nterms = s->nterms - first;
	/* Formatted once here so acl_rule_where() is a plain lookup. */
	n = snprintf(NULL, 0, "%s:%d", l->file, l->line);
	if ((r->where = malloc((size_t)n + 1)) == NULL) {
		acl_error(x, "out of memory");
		return;
	}
	snprintf(r->where, (size_t)n + 1, "%s:%d", l->file, l->line);
	s->nrules++;
}

int
acl_set_compile(const struct conf *c, struct acl_set **out)
{
	return acl_set_compile_rules(c, c->access_lines, c->naccess_lines,
	    out);
}

int
acl_set_compile_rules(const struct conf *c, const struct conf_line *rules,
    size_t n, struct acl_set **out)
{
	struct acl_compile x;
	size_t i;

	memset(&x, 0, sizeof(x));
	if ((x.s = calloc(1, sizeof(*x.s))) == NULL) {
		log_warn("%s: cannot compile the acls", c->path);
		return -1;
	}
	/*
	 * Every acl before any rule: a rule may name an acl defined further
	 * down (squid would refuse that; accepting it loses nothing).  The
	 * src ranges are sorted once all lines, files included, are in.
	 */
	acl_predefined_add(&x);
	for (i = 0; i < c->nacl_lines; i++) {
		x.file = c->acl_lines[i].file;
		x.line = c->acl_lines[i].line;
		acl_line_compile(&x, &c->acl_lines[i]);
	}
	for (i = 0; i < x.s->nacls; i++) {
		if (x.s->acls[i].type == ACL_TYPE_SRC ||
		    x.s->acls[i].type == ACL_TYPE_DST)
			acl_src_finish(&x.s->acls[i]);
		if (x.s->acls[i].type == ACL_TYPE_MAXCONN)
			x.s->has_maxconn = 1;
	}
	for (i = 0; i < n; i++) {
		x.file = rules[i].file;
		x.line = rules[i].line;
		acl_rule_compile(&x, &rules[i]);
	}
	if (x.nerrors > 0) {
		acl_set_free(x.s);
		return -1;
	}
	*out = x.s;
	return 0;
}

void
acl_set_free(struct acl_set *s)
{
	struct acl *a;
	size_t i, j;

	if (s == NULL)
		return;
	for (i = 0; i < s->nacls; i++) {
		a = &s->acls[i];
		free(a->name);
		free(a->v4);
		free(a->v6);
		free(a->ports);
		for (j = 0; j < a->nwords; j++)
			free(a->words[j]);
		free(a->words);
		for (j = 0; j < a->domcap; j++)
			free(a->doms[j].name);
		free(a->doms);
		for (j = 0; j < a->nres; j++)
			regfree(&a->res[j]);
		free(a->res);
		free(a->times);
	}
	free(s->acls);
	free(s->terms);
	for (i = 0; i < s->nrules; i++)
		free(s->rules[i].where);
	free(s->rules);
	free(s);
}

/* ---------------------------------------------------------------- eval */

static int
acl_v4_match(const struct acl *a, uint32_t ip)
{
	size_t lo = 0, hi = a->nv4, mid;

	/* The last range starting at or below ip is the only candidate. */
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (a->v4[mid].lo <= ip)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo > 0 && ip <= a->v4[lo - 1].hi;
}

static int
acl_v6_match(const struct acl *a, const unsigned char ip[16])
{
	size_t lo = 0, hi = a->nv6, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (memcmp(a->v6[mid].lo, ip, 16) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo > 0 && memcmp(ip, a->v6[lo - 1].hi, 16) <= 0;
}

static int
acl_src_match(const struct acl *a, const struct sockaddr *sa)
{
	const struct sockaddr_in *sin;
	const struct sockaddr_in6 *sin6;
	const unsigned char *b;

	/* No address (or AF_UNIX): no src acl matches, not even "all". */
	if (sa == NULL)
		return 0;
	if (sa->sa_family == AF_INET) {
		sin = (const struct sockaddr_in *)(const void *)sa;
		return acl_v4_match(a, ntohl(sin->sin_addr.s_addr));
	}
	if (sa->sa_family != AF_INET6)
		return 0;
	sin6 = (const struct sockaddr_in6 *)(const void *)sa;
	b = sin6->sin6_addr.s6_addr;
	/* ::ffff:a.b.c.d from a dual-stack socket is the IPv4 client. */
	if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr) &&
	    acl_v4_match(a, acl_v4_get(b + 12)))
		return 1;
	return acl_v6_match(a, b);
}

/* Is @p host (normalised) in the dstdomain set, itself or by a parent? */
static int
acl_dom_match(const struct acl *a, const char *host)
{
	const struct acl_dom *d;
	const char *p;
	size_t i, n;
	int exact = 1;

	if (host == NULL || a->domcap == 0)
		return 0;
	for (p = host; p != NULL; exact = 0, p = strchr(p, '.') ?
	    strchr(p, '.') + 1 : NULL) {
		n = strlen(p);
		for (i = acl_hash(p, n) & (a->domcap - 1);; i = (i + 1) &
		    (a->domcap - 1)) {
			d = &a->doms[i];
			if (d->name == NULL)
				break;
			if (strcmp(d->name, p) == 0) {
				if (exact || d->sub)
					return 1;
				break;
			}
		}
	}
	return 0;
}

static int
acl_regex_match(const struct acl *a, const char *s)
{
	size_t i;

	if (s == NULL)
		return 0;
	for (i = 0; i < a->nres; i++)
		if (regexec(&a->res[i], s, 0, NULL, 0) == 0)
			return 1;
	return 0;
}

static int
acl_time_match(const struct acl *a, time_t now)
{
	struct tm tm;
	unsigned m;
	size_t i;

	if (localtime_r(&now, &tm) == NULL)
		return 0;
	m = (unsigned)(tm.tm_hour * 60 + tm.tm_min);
	for (i = 0; i < a->ntimes; i++)
		if ((a->times[i].days & (1u << tm.tm_wday)) &&
		    m >= a->times[i].from && (m < a->times[i].to ||
		    a->times[i].to == 1441))
			return 1;
	return 0;
}

/* Is @p w one of the acl's words (words, protos, user names)? */
static int
acl_word_match(const struct acl *a, const char *w, int icase)
{
	size_t i;

	if (w == NULL)
		return 0;
	for (i = 0; i < a->nwords; i++)
		if ((icase ? strcasecmp(w, a->words[i]) :
		    strcmp(w, a->words[i])) == 0)
			return 1;
	return 0;
}

/* 1 match, 0 no match, or ACL_NEED_DST / ACL_NEED_AUTH (negative). */
#define ACL_M_DST	(-1)
#define ACL_M_AUTH	(-2)

static int
acl_match(const struct acl *a, const struct acl_req *r)
{
	size_t i;

	switch (a->type) {
	case ACL_TYPE_SRC:
		return acl_src_match(a, r->src);
	case ACL_TYPE_DST:
		/*
		 * squid: a dst acl whose lookup failed does not match (its
		 * negation does), so the rules after it still decide.
		 */
		if (r->dst == NULL)
			return r->dst_failed ? 0 : ACL_M_DST;
		return acl_src_match(a, r->dst);
	case ACL_TYPE_PORT:
		for (i = 0; i < a->nports; i++)
			if (r->port >= a->ports[i].lo &&
			    r->port <= a->ports[i].hi)
				return 1;
		return 0;
	case ACL_TYPE_METHOD:
		return acl_word_match(a, r->method, 0);
	case ACL_TYPE_DSTDOMAIN:
		return acl_dom_match(a, r->host);
	case ACL_TYPE_DSTDOM_REGEX:
		return acl_regex_match(a, r->host);
	case ACL_TYPE_URL_REGEX:
		return acl_regex_match(a, r->url);
	case ACL_TYPE_URLPATH_REGEX:
		return acl_regex_match(a, r->path);
	case ACL_TYPE_PROTO:
		return acl_word_match(a, r->proto, 1);
	case ACL_TYPE_TIME:
		return acl_time_match(a, r->now);
	case ACL_TYPE_PROXY_AUTH:
		if (r->user == NULL)
			return ACL_M_AUTH;
		return a->required || acl_word_match(a, r->user, 0);
	case ACL_TYPE_MAXCONN:
		/* squid: matches once the client has more than N open. */
		return r->nconn > a->maxconn;
	case ACL_TYPE_PROXY_ENDPOINT:
		return acl_word_match(a, r->endpoint, 0);
	default:
		return 0;
	}
}

enum acl_verdict
acl_check(const struct acl_set *s, const struct acl_req *r, size_t *rule)
{
	const struct acl_rule *ru;
	const struct acl_term *t;
	size_t i, j;
	int m;

	if (rule != NULL)
		*rule = 0;
	if (s == NULL)
		return ACL_DENY;
	/* First rule whose terms all hold decides (squid's http_access). */
	for (i = 0; i < s->nrules; i++) {
		ru = &s->rules[i];
		for (j = 0; j < ru->nterms; j++) {
			t = &s->terms[ru->term + j];
			/* A term holds when match != negate ("!name"). */
			m = acl_match(&s->acls[t->acl], r);
			if (m == ACL_M_DST || m == ACL_M_AUTH) {
				/* Undecidable without it: the caller gets it. */
				if (rule != NULL)
					*rule = i + 1;
				return m == ACL_M_DST ? ACL_NEED_DST :
				    ACL_NEED_AUTH;
			}
			if (m == t->negate)
				break;
		}
		if (j == ru->nterms) {
			if (rule != NULL)
				*rule = i + 1;
			return ru->verdict;
		}
	}
	return ACL_DENY;	/* squid: nothing matched, deny */
}

int
acl_set_has_maxconn(const struct acl_set *s)
{
	return s != NULL && s->has_maxconn;
}

int
acl_set_has_method(const struct acl_set *s, const char *method)
{
	size_t i;

	if (s == NULL)
		return 0;
	for (i = 0; i < s->nacls; i++)
		if (s->acls[i].type == ACL_TYPE_METHOD &&
		    acl_word_match(&s->acls[i], method, 0))
			return 1;
	return 0;
}

int
acl_values(const struct acl_set *s, const char *name, acl_value_f *cb,
    void *arg, const char **type)
{
	const struct acl *a;
	struct acl_value v;
	size_t i;
	int rc;

	if (s == NULL || (a = acl_find(s, name)) == NULL)
		return ACL_VALUES_NONE;
	*type = acl_type_names[a->type];
	if (a->type != ACL_TYPE_DSTDOMAIN && a->type != ACL_TYPE_DST)
		return ACL_VALUES_TYPE;
	memset(&v, 0, sizeof(v));
	for (i = 0; i < a->domcap; i++) {
		if (a->doms[i].name == NULL)
			continue;
		v.domain = a->doms[i].name;
		v.sub = a->doms[i].sub;
		if ((rc = cb(arg, &v)) != 0)
			return rc;
	}
	v.domain = NULL;
	v.sub = 0;
	v.family = AF_INET;
	for (i = 0; i < a->nv4; i++) {
		uint32_t lo = htonl(a->v4[i].lo), hi = htonl(a->v4[i].hi);

		memcpy(v.lo, &lo, 4);
		memcpy(v.hi, &hi, 4);
		if ((rc = cb(arg, &v)) != 0)
			return rc;
	}
	v.family = AF_INET6;
	for (i = 0; i < a->nv6; i++) {
		memcpy(v.lo, a->v6[i].lo, 16);
		memcpy(v.hi, a->v6[i].hi, 16);
		if ((rc = cb(arg, &v)) != 0)
			return rc;
	}
	return 0;
}

const char *
acl_rule_where(const struct acl_set *s, size_t rule)
{
	if (s == NULL || rule == 0 || rule > s->nrules)
		return "(no rule)";
	return s->rules[rule - 1].where;
}
