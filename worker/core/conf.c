/*
 * conf.c -- the squid.conf dialect: tokenizer, units, include, the
 * directive table (conf_tbl.h) and its setters (see conf.h).
 *
 * Runs in the master only: at start, for `sluice -t`, and on SIGHUP,
 * where it builds a new struct conf next to the running one.
 *
 * A line is at most CONF_LINE_MAX bytes (without its LF or CRLF) and at
 * most CONF_MAX_ARGS words.  Words are separated by SP and HTAB; '#'
 * outside double quotes ends the line; "a quoted word" keeps its blanks
 * (no escapes) and is flagged in conf_line.quoted.  Each error is logged
 * once as "file:line: message" and parsing goes on (HAProxy's way), so
 * one run shows every mistake; conf_load() then fails as a whole.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <regex.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "conf.h"
#include "log.h"

#define CONF_ARGS_ANY		(CONF_MAX_ARGS - 1)
#define CONF_ARGS_TAIL		CONF_MAX_ARGS	/* the last: rest of the line */
#define CONF_LINE_MAX		8192
#define CONF_INCLUDE_MAX	8		/* include nesting levels */
#define CONF_FILE_MAX		(16 * 1024 * 1024)
#define CONF_WORKERS_MAX	64
#define CONF_HDR_MIN		1024
#define CONF_FIELDS_MAX		128	/* HTTP_MAX_FIELDS */
#define CONF_HDR_MAX		(256 * 1024)
#define CONF_REFRESH_YEAR	(60 * 24 * 365)	/* minutes, squid's crop */

/* The state of one conf_load(): where we are, how many errors so far. */
struct conf_parse {
	struct conf	*c;
	const char	*file;		/* interned; "(defaults)" for those */
	int		 line;
	int		 depth;		/* include nesting, 0 = top level */
	int		 nerrors;
};

struct conf_directive;

/*
 * A setter gets the whole line (argv[0] is the directive name), with
 * the count already checked against the table; it reports its own errors
 * with conf_error() and returns 0 or -1.
 */
typedef int conf_set_f(struct conf_parse *, const struct conf_directive *,
    int, char **, const unsigned char *);

struct conf_directive {
	const char	*name;
	int		 min_args;
	int		 max_args;
	conf_set_f	*set;
	size_t		 off;		/* into struct conf */
	const char	*def;		/* through the setter, or NULL */
	const char	*doc;
};

/* Prototypes of the setters, then the table, both from conf_tbl.h. */
#define CONF_DIRECTIVE(name, min, max, set, field, def, doc)		\
	static conf_set_f set;
#include "conf_tbl.h"
#undef CONF_DIRECTIVE

static const struct conf_directive conf_directives[] = {
#define CONF_DIRECTIVE(name, min, max, set, field, def, doc)		\
	{ #name, min, max, set, offsetof(struct conf, field), def, doc },
#include "conf_tbl.h"
#undef CONF_DIRECTIVE
};

#define CONF_NDIRECTIVES \
	(sizeof(conf_directives) / sizeof(conf_directives[0]))

/* The member of @c that directive @d sets, as a @type pointer. */
#define CONF_FIELD(c, d, type) \
	((type *)(void *)((char *)(c) + (d)->off))

static int	conf_file_parse(struct conf_parse *, const char *);
static int	conf_line_add(struct conf_parse *, struct conf_line **,
		    size_t *, int, char **, const unsigned char *);

/* "FILE:LINE: message", counted. */
#define conf_error(p, ...) \
	log_conf_error((p)->file, (p)->line, &(p)->nerrors, __VA_ARGS__)

/*
 * A decimal number in [min, max], digits only (no sign, no blanks).
 * Returns 0, or -1 (not a number), or -2 (a number out of range).
 */
static int
conf_number(const char *s, long long min, long long max, long long *out)
{
	unsigned long long v = 0;
	const char *q;

	if (*s == '\0')
		return -1;
	for (q = s; *q != '\0'; q++) {
		if (*q < '0' || *q > '9')
			return -1;
		if (v > (unsigned long long)LLONG_MAX / 10)
			return -2;
		v = v * 10 + (unsigned long long)(*q - '0');
	}
	if (v > (unsigned long long)LLONG_MAX || (long long)v < min ||
	    (long long)v > max)
		return -2;
	*out = (long long)v;
	return 0;
}

/* Leading digits of @num and the unit, attached ("64KB") or apart. */
static int
conf_unit_split(const char *num, const char *unit, unsigned long long *v,
    const char **u)
{
	const char *q;

	*v = 0;
	for (q = num; *q >= '0' && *q <= '9'; q++) {
		if (*v > (ULLONG_MAX - 9) / 10)
			return -1;
		*v = *v * 10 + (unsigned long long)(*q - '0');
	}
	if (q == num)
		return -1;
	if (*q != '\0' && unit != NULL)
		return -1;		/* "64KB KB" */
	*u = unit != NULL ? unit : q;
	return 0;
}

int
conf_parse_size(const char *num, const char *unit, size_t *out)
{
	static const struct { const char *name; unsigned long long mul; }
	    units[] = {
		{ "", 1 }, { "bytes", 1 }, { "byte", 1 }, { "b", 1 },
		{ "KB", 1024 }, { "K", 1024 },
		{ "MB", 1024 * 1024 }, { "M", 1024 * 1024 },
		{ "GB", 1024ULL * 1024 * 1024 }, { "G", 1024ULL * 1024 * 1024 },
	};
	unsigned long long v;
	const char *u;
	size_t i;

	if (conf_unit_split(num, unit, &v, &u) == -1)
		return -1;
	/* Squid's units: KB is 1024 bytes; case does not matter. */
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (strcasecmp(u, units[i].name) == 0)
			break;
	if (i == sizeof(units) / sizeof(units[0]))
		return -1;
	if (v > SIZE_MAX / units[i].mul)
		return -1;
	*out = (size_t)(v * units[i].mul);
	return 0;
}

int
conf_parse_time(const char *num, const char *unit, int64_t *out)
{
	static const struct { const char *name; unsigned long long mul; }
	    units[] = {
		{ "", 1000 },
		{ "ms", 1 }, { "msec", 1 }, { "msecs", 1 },
		{ "millisecond", 1 }, { "milliseconds", 1 },
		{ "s", 1000 }, { "sec", 1000 }, { "secs", 1000 },
		{ "second", 1000 }, { "seconds", 1000 },
		{ "min", 60000 }, { "mins", 60000 },
		{ "minute", 60000 }, { "minutes", 60000 },
		{ "h", 3600000 }, { "hour", 3600000 }, { "hours", 3600000 },
		{ "d", 86400000 }, { "day", 86400000 }, { "days", 86400000 },
		{ "week", 604800000 }, { "weeks", 604800000 },
	};
	unsigned long long v;
	const char *u;
	size_t i;

	if (conf_unit_split(num, unit, &v, &u) == -1)
		return -1;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (strcasecmp(u, units[i].name) == 0)
			break;
	if (i == sizeof(units) / sizeof(units[0]))
		return -1;
	if (v > (unsigned long long)INT64_MAX / units[i].mul)
		return -1;
	*out = (int64_t)(v * units[i].mul);
	return 0;
}

int
conf_parse_listen(const char *s, struct conf_listen *l, const char **why)
{
	struct sockaddr_in *sin;
	struct sockaddr_in6 *sin6;
	char host[INET6_ADDRSTRLEN + 1];
	const char *port, *end, *colon;
	long long n;
	size_t hlen;
	int family, rc;

	memset(l, 0, sizeof(*l));
	if (strlen(s) >= sizeof(l->text)) {
		*why = "too long";
		return -1;
	}
	strcpy(l->text, s);

	if (s[0] == '[') {
		/* "[v6addr]:port"; the brackets are required for IPv6. */
		if ((end = strchr(s, ']')) == NULL) {
			*why = "missing ']'";
			return -1;
		}
		if (end[1] == '\0') {
			*why = "missing port";
			return -1;
		}
		if (end[1] != ':') {
			*why = "bad address";
			return -1;
		}
		family = AF_INET6;
		hlen = (size_t)(end - s - 1);
		memcpy(host, s + 1, hlen < sizeof(host) ? hlen : 0);
		port = end + 2;
	} else if ((colon = strrchr(s, ':')) != NULL) {
		if (strchr(s, ':') != colon) {
			*why = "IPv6 addresses need brackets: [addr]:port";
			return -1;
		}
		family = AF_INET;
		hlen = (size_t)(colon - s);
		memcpy(host, s, hlen < sizeof(host) ? hlen : 0);
		port = colon + 1;
	} else {
		/* "port" alone: every IPv4 address. */
		family = AF_INET;
		hlen = 0;
		port = s;
	}
	if ((rc = conf_number(port, 1, 65535, &n)) != 0) {
		*why = rc == -2 ? "port must be 1..65535" : "bad port";
		return -1;
	}
	if (hlen >= sizeof(host) || (hlen == 0 && port != s)) {
		*why = "bad address";
		return -1;
	}
	host[hlen] = '\0';

	if (family == AF_INET6) {
		sin6 = (struct sockaddr_in6 *)&l->addr;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)n);
		if (inet_pton(AF_INET6, host, &sin6->sin6_addr) != 1) {
			*why = "bad address (a numeric IPv6 address)";
			return -1;
		}
		l->addrlen = sizeof(*sin6);
	} else {
		sin = (struct sockaddr_in *)&l->addr;
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)n);
		sin->sin_addr.s_addr = htonl(INADDR_ANY);
		/* Host names are not resolved: bind needs a numeric address. */
		if (hlen > 0 && inet_pton(AF_INET, host, &sin->sin_addr) != 1) {
			*why = "bad address (a numeric IPv4 address)";
			return -1;
		}
		l->addrlen = sizeof(*sin);
	}
	return 0;
}

/* Two listeners on the same address and port (bind would fail later). */
static int
conf_listen_same(const struct conf_listen *a, const struct conf_listen *b)
{
	const struct sockaddr_in *a4, *b4;
	const struct sockaddr_in6 *a6, *b6;

	if (a->addr.ss_family != b->addr.ss_family)
		return 0;
	if (a->addr.ss_family == AF_INET) {
		a4 = (const struct sockaddr_in *)&a->addr;
		b4 = (const struct sockaddr_in *)&b->addr;
		return a4->sin_port == b4->sin_port &&
		    a4->sin_addr.s_addr == b4->sin_addr.s_addr;
	}
	a6 = (const struct sockaddr_in6 *)&a->addr;
	b6 = (const struct sockaddr_in6 *)&b->addr;
	return a6->sin6_port == b6->sin6_port &&
	    memcmp(&a6->sin6_addr, &b6->sin6_addr, sizeof(a6->sin6_addr)) == 0;
}

/* ---------------------------------------------------------------- setters */

/*
 * A file named by an option: relative to the directory of the file that
 * names it (like include and acl files).  @return a malloc'd path, NULL
 * after an error.
 */
static char *
conf_path(struct conf_parse *p, const char *opt, const char *v)
{
	const char *slash;
	size_t dlen;
	char *path;

	if (*v == '\0') {
		conf_error(p, "%s needs a file name", opt);
		return NULL;
	}
	slash = strrchr(p->file, '/');
	dlen = v[0] != '/' && slash != NULL ? (size_t)(slash - p->file) + 1 : 0;
	if ((path = malloc(dlen + strlen(v) + 1)) == NULL) {
		conf_error(p, "out of memory");
		return NULL;
	}
	memcpy(path, p->file, dlen);
	strcpy(path + dlen, v);
	return path;
}

/* "1.2" or "1.3" as a TLS protocol version; -1 otherwise. */
static int
conf_tls_version(const char *v)
{
	if (strcmp(v, "1.2") == 0)
		return 0x0303;
	if (strcmp(v, "1.3") == 0)
		return 0x0304;
	return -1;
}

/* Options of squid's http(s)_port that sluice refuses, with the reason. */
static const struct {
	const char	*name;		/* up to '=' when it takes a value */
	const char	*why;
} conf_listen_refused[] = {
	{ "options", "the protocol options are fixed (TLS 1.2 and 1.3, no "
	    "compression, no renegotiation)" },
	{ "cipher", "the cipher policy is fixed (ECDHE with AES-GCM or "
	    "ChaCha20-Poly1305 for TLS 1.2, the TLS 1.3 suites)" },
	{ "tls-dh", "only ECDHE key exchange is offered" },
	{ "dhparams", "only ECDHE key exchange is offered" },
	{ "sslflags", "verification cannot be changed" },
	{ "tls-cafile", "client certificates are not supported" },
	{ "clientca", "client certificates are not supported" },
	{ "tls-cert-chain", "put the chain after the certificate in tls-cert=" },
	{ "intercept", "interception is not supported" },
	{ "tproxy", "interception is not supported" },
	{ "accel", "reverse proxying is not supported" },
	{ NULL, NULL }
};

/*
 * The TLS options of one http_port or https_port word: tls-cert=FILE
 * (squid's older cert= too), tls-key=FILE (key=), tls-min-version=1.2|1.3,
 * and for http_port ssl-bump, generate-host-certificates=on and
 * dynamic_cert_mem_cache_size=SIZE.  @return 0, or -1 after an error.
 */
static int
conf_listen_option(struct conf_parse *p, const char *dname,
    struct conf_listen *l, const char *w, int *bumpopt)
{
	const char *eq = strchr(w, '='), *v = eq != NULL ? eq + 1 : "";
	size_t nlen = eq != NULL ? (size_t)(eq - w) : strlen(w);
	char **slot = NULL;
	size_t i;
	int ver;

#define CONF_OPT(s)	(nlen == strlen(s) && strncmp(w, (s), nlen) == 0)
	if (CONF_OPT("ssl-bump") && eq == NULL) {
		if (l->kind == CONF_LISTEN_HTTPS) {
			conf_error(p, "https_port ssl-bump is not supported "
			    "(bump CONNECTs received on an http_port)");
			return -1;
		}
		l->ssl_bump = 1;
		return 0;
	}
	if (eq != NULL && (CONF_OPT("tls-cert") || CONF_OPT("cert")))
		slot = &l->tls.cert;
	else if (eq != NULL && (CONF_OPT("tls-key") || CONF_OPT("key")))
		slot = &l->tls.key;
	if (slot != NULL) {
		if (*slot != NULL) {
			conf_error(p, "%s option %.*s given twice", dname,
			    (int)nlen, w);
			return -1;
		}
		return (*slot = conf_path(p, w, v)) == NULL ? -1 : 0;
	}
	if (eq != NULL && CONF_OPT("tls-min-version")) {
		if ((ver = conf_tls_version(v)) == -1) {
			conf_error(p, "%s tls-min-version=%s: only 1.2 and 1.3 "
			    "(TLS below 1.2 is never offered)", dname, v);
			return -1;
		}
		l->tls.min_version = ver;
		return 0;
	}
	if (eq != NULL && (CONF_OPT("generate-host-certificates") ||
	    CONF_OPT("dynamic_cert_mem_cache_size")))
		*bumpopt = 1;
	if (eq != NULL && CONF_OPT("generate-host-certificates")) {
		if (strcmp(v, "on") != 0) {
			conf_error(p, "%s generate-host-certificates=%s: only "
			    "on (sluice bumps with certificates it mints)",
			    dname, v);
			return -1;
		}
		return 0;
	}
	if (eq != NULL && CONF_OPT("dynamic_cert_mem_cache_size")) {
		if (conf_parse_size(v, NULL, &l->tls.cert_cache) == -1 ||
		    l->tls.cert_cache < 16 * 1024 ||
		    l->tls.cert_cache > 1024UL * 1024 * 1024) {
			conf_error(p, "%s dynamic_cert_mem_cache_size=%s: a size "
			    "from 16KB to 1GB", dname, v);
			return -1;
		}
		return 0;
	}
	for (i = 0; conf_listen_refused[i].name != NULL; i++)
		if (CONF_OPT(conf_listen_refused[i].name)) {
			conf_error(p, "%s option %s is not supported: %s",
			    dname, w, conf_listen_refused[i].why);
			return -1;
		}
#undef CONF_OPT
	conf_error(p, "%s option %s is not supported", dname, w);
	return -1;
}

static void
conf_tls_free(struct conf_tls *t)
{
	free(t->cert);
	free(t->key);
	memset(t, 0, sizeof(*t));
}

/*
 * http_port [addr:]port [ssl-bump tls-cert=CA tls-key=CAKEY
 *	generate-host-certificates=on dynamic_cert_mem_cache_size=SIZE
 *	tls-min-version=1.2|1.3]
 * https_port [addr:]port tls-cert=FILE [tls-key=FILE] [tls-min-version=..]
 * Both may repeat; an address is used once across both.  The files are
 * read and checked by the master (tls_conf_compile()), not here.
 */
static int
conf_set_listen(struct conf_parse *p, const struct conf_directive *d,
    int argc, char **argv, const unsigned char *quoted)
{
	struct conf *c = p->c;
	struct conf_listen l, *nl;
	const char *why;
	size_t i;
	int j, bad = 0, tlsopt = 0, bumpopt = 0;

	if (conf_parse_listen(argv[1], &l, &why) == -1) {
		conf_error(p, "%s '%s': %s", d->name, argv[1], why);
		bad = 1;
	}
	l.kind = strcmp(d->name, "https_port") == 0 ? CONF_LISTEN_HTTPS :
	    CONF_LISTEN_HTTP;
	l.tls.min_version = 0x0303;
	l.tls.cert_cache = 4 * 1024 * 1024;	/* squid's default */
	for (j = 2; j < argc; j++) {
		if (conf_listen_option(p, d->name, &l, argv[j], &bumpopt) ==
		    -1)
			bad = 1;
		if (strncmp(argv[j], "tls-", 4) == 0 ||
		    strncmp(argv[j], "cert=", 5) == 0 ||
		    strncmp(argv[j], "key=", 4) == 0)
			tlsopt = 1;
	}
	if (!bad && l.kind == CONF_LISTEN_HTTP && !l.ssl_bump &&
	    (tlsopt || bumpopt)) {
		conf_error(p, "http_port %s: TLS options need ssl-bump (or "
		    "use https_port)", argv[1]);
		bad = 1;
	}
	if (!bad && l.kind == CONF_LISTEN_HTTPS && bumpopt) {
		conf_error(p, "https_port %s: generate-host-certificates and "
		    "dynamic_cert_mem_cache_size belong to an http_port with "
		    "ssl-bump", argv[1]);
		bad = 1;
	}
	if (!bad && (l.kind == CONF_LISTEN_HTTPS || l.ssl_bump) &&
	    l.tls.cert == NULL) {
		conf_error(p, l.ssl_bump ? "http_port %s ssl-bump needs "
		    "tls-cert=CA.pem (the CA that signs the minted "
		    "certificates; see sluice -C)" : "https_port %s needs "
		    "tls-cert=FILE", argv[1]);
		bad = 1;
	}
	if (bad) {
		conf_tls_free(&l.tls);
		return -1;
	}
	/* squid: the key is in the certificate file unless named. */
	if (l.tls.cert != NULL && l.tls.key == NULL &&
	    (l.tls.key = strdup(l.tls.cert)) == NULL) {
		conf_error(p, "out of memory");
		conf_tls_free(&l.tls);
		return -1;
	}
	for (i = 0; i < c->nlisten; i++) {
		if (conf_listen_same(&c->listen[i], &l)) {
			conf_error(p, "%s %s repeats %s:%d", d->name, argv[1],
			    c->listen[i].file, c->listen[i].line);
			conf_tls_free(&l.tls);
			return -1;
		}
	}
	nl = realloc(c->listen, (c->nlisten + 1) * sizeof(*nl));
	if (nl == NULL) {
		conf_error(p, "out of memory");
		conf_tls_free(&l.tls);
		return -1;
	}
	l.file = p->file;
	l.line = p->line;
	nl[c->nlisten++] = l;
	c->listen = nl;
	return 0;
}

/* A plain int (not used by the table yet; workers builds on it). */
static int
conf_set_int(struct conf_parse *p, const struct conf_directive *d,
    int argc, char **argv, const unsigned char *quoted)
{
	long long n;

	if (conf_number(argv[1], 0, INT_MAX, &n) != 0) {
		conf_error(p, "'%s': bad number '%s'", d->name, argv[1]);
		return -1;
	}
	*CONF_FIELD(p->c, d, int) = (int)n;
	return 0;
}

/* workers N (1..64) | auto: one per online CPU, within the same range. */
static int
conf_set_workers(struct conf_parse *p, const struct conf_directive *d,
    int argc, char **argv, const unsigned char *quoted)
{
	int *w = CONF_FIELD(p->c, d, int);
	long n;

	if (strcmp(argv[1], "auto") == 0) {
		n = sysconf(_SC_NPROCESSORS_ONLN);
		*w = n < 1 ? 1 : n > CONF_WORKERS_MAX ? CONF_WORKERS_MAX :
		    (int)n;
		return 0;
	}
	if (conf_set_int(p, d, argc, argv, quoted) == -1)
		return -1;
	if (*w < 1 || *w > CONF_WORKERS_MAX) {
		conf_error(p, "'workers' must be 1..%d or auto, not %s",
		    CONF_WORKERS_MAX, argv[1]);
		*w = 1;
		return -1;
	}
	return 0;
}

/* A size with an optional unit: "65536", "64KB", "64 KB". */
static int
conf_set_size(struct conf_parse *p, const struct conf_directive *d,
    int argc, char **argv, const unsigned char *quoted)
{
	if (conf_parse_size(argv[1], argc > 2 ? argv[2] : NULL,
	    CONF_FIELD(p->c, d, size_t)) == -1) {
		conf_error(p, "'%s': bad size '%s%s%s' (units: bytes KB MB GB)",
		    d->name, argv[1], argc > 2 ? " " : "",
		    argc > 2 ? argv[2] : "");
		return -1;
	}
	return 0;
}

/* A size, or -1 (squid's "none" / "unlimited" for some directives). */
static int
conf_set_ssize(struct conf_parse *p, const struct conf_directive *d,
    int argc, char **argv, const unsigned char *quoted)
{
	int64_t *v = CONF_FIELD(p->c, d, int64_t);
	size_t n;

	if (strcmp(argv[1], "-1") == 0 && (argc == 2 ||
	    strcmp(argv[2], "KB") == 0 || strcmp(argv[2], "MB") == 0 ||
	    strcmp(argv[2], "bytes") == 0)) {
		*v = -1;
		return 0;
	}
	if (conf_parse_size(argv[1], argc > 2 ? argv[2] : NULL, &n) == -1 ||
	    n > (size_t)INT64_MAX) {
		conf_error(p, "'%s': bad size '%s%s%s' (units: bytes KB MB GB; "
		    "or -1)", d->name, argv[1], argc > 2 ? " " : "",
		    argc > 2 ? argv[2] : "");
		return -1;
	}
	*v = (int64_t)n;
	return 0;
}

/* A percentage, 0..100, with or without '%'. */
static int
conf_set_pct(struct conf_parse *p, const struct conf_directive *d,
    int argc, char **argv, const unsigned char *quoted)
{
	char buf[16];
	size_t n = strlen(argv[1]);
	long long v;

	if (n == 0 || n >= sizeof(buf)) {
		conf_error(p, "'%s': bad percentage '%s'", d->name, argv[1]);
		return -1;
	}
	memcpy(buf, argv[1], n + 1);
	if (buf[n - 1] == '%')
		buf[n - 1] = '\0';
	if (conf_number(buf, 0, 100, &v) != 0) {
		conf_error(p, "'%s': bad percentage '%s' (0..100)", d->name,
		    argv[1]);
		return -1;
	}
	*CONF_FIELD(p->c, d, int) = (int)v;
	return 0;
}

/* A header size limit: below 1 KB nothing works, above 256 KB is abuse. */
static int
conf_set_hdrsize(struct conf_parse *p, const struct conf_directive *d,
    int argc, char **argv, const unsigned char *quoted)
{
	size_t *v = CONF_FIELD(p->c, d, size_t);

	if (conf_set_size(p, d, argc, argv, quoted) == -1)
		return -1;
	if (*v < CONF_HDR_MIN || *v > CONF_HDR_MAX) {
		conf_error(p, "'%s' must be between 1 KB and 256 KB", d->name);
		return -1;
	}
	return 0;
}

/* on | off (squid's boolean words). */
static int
conf_set_onoff(struct conf_parse *p, const struct conf_directive *d,
    int argc, char **argv, const unsigned char *quoted)
{
	int *v = CONF_FIELD(p->c, d, int);

	if (strcmp(argv[1], "on") == 0)
		*v = 1;
	else if (strcmp(argv[1], "off") == 0)
		*v = 0;
	else {
		conf_error(p, "'%s' must be on or off, not '%s'", d->name,
		    argv[1]);
		return -1;
	}
	return 0;
}

/* A count of header fields: the parser holds at most HTTP_MAX_FIELDS. */
static int
conf_set_fields(struct conf_parse *p, const struct conf_directive *d,
    int argc, char **argv, const unsigned char *quoted)
{
	long long n;

	if (conf_number(argv[1], 1, CONF_FIELDS_MAX, &n) != 0) {
		conf_error(p, "'%s' must be 1..%d, not '%s'", d->name,
		    CONF_FIELDS_MAX, argv[1]);
		return -1;
	}
	*CONF_FIELD(p->c, d, int) = (int)n;
	return 0;
}

/* A body size: like conf_set_size, into a uint64_t; 0 means no limit. */
static int
conf_set_bodysize(struct conf_parse *p, const struct conf_directive *d,
    int argc, char **argv, const unsigned char *quoted)
{
	size_t v;

	if (conf_parse_size(argv[1], argc > 2 ? argv[2] : NULL, &v) == -1) {
		conf_error(p, "'%s': bad size '%s%s%s' (units: bytes KB MB GB)",
		    d->name, argv[1], argc > 2 ? " " : "",
		    argc > 2 ? argv[2] : "");
		return -1;
	}
	*CONF_FIELD(p->c, d, uint64_t) = v;
	return 0;
}

/* forwarded_for on|off|transparent|delete|truncate (squid). */
static int
conf_set_forwarded_for(struct conf_parse *p, const struct conf_directive *d,
    int argc, char **argv, const unsigned char *quoted)
{
	static const char *const names[] = {
		[CONF_XFF_ON] = "on", [CONF_XFF_OFF] = "off",
		[CONF_XFF_TRANSPARENT] = "transparent",
		[CONF_XFF_DELETE] = "delete", [CONF_XFF_TRUNCATE] = "truncate",
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(argv[1], names[i]) == 0) {
			*CONF_FIELD(p->c, d, int) = (int)i;
			return 0;
		}
	conf_error(p, "'forwarded_for' must be on, off, transparent, delete "
	    "or truncate, not '%s'", argv[1]);
	return -1;
}

/*
 * debug_options ALL,N (squid's syntax, one section: ALL).  N 0 keeps
 * warnings and worse, 1 adds info (the default), 2..9 add debug.
 */
static int
conf_set_debug(struct conf_parse *p, const struct conf_directive *d,
    int argc, char **argv, const unsigned char *quoted)
{
	long long n;
	int i;

	for (i = 1; i < argc; i++) {
		if (strncmp(argv[i], "ALL,", 4) != 0 ||
		    conf_number(argv[i] + 4, 0, 9, &n) != 0) {
			conf_error(p, "'debug_options': expected ALL,N with N "
			    "0..9, not '%s'", argv[i]);
			return -1;
		}
		*CONF_FIELD(p->c, d, int) = (int)n;
	}
	return 0;
}

/* A time with an optional unit ("30 seconds"); no unit means seconds. */
static int
conf_set_time(struct conf_parse *p, const struct conf_directive *d,
    int argc, char **argv, const unsigned char *quoted)
{
	if (conf_parse_time(argv[1], argc > 2 ? argv[2] : NULL,
	    CONF_FIELD(p->c, d, int64_t)) == -1) {
		conf_error(p, "'%s': bad time '%s%s%s' (units: ms seconds "
		    "minutes hours days weeks)", d->name, argv[1],
		    argc > 2 ? " " : "", argc > 2 ? argv[2] : "");
		return -1;
	}
	return 0;
}

/* Replace the string member of @d with a copy of @s (NULL: none). */
static int
conf_string_store(struct conf_parse *p, const struct conf_directive *d,
    const char *s)
{
	char **field = CONF_FIELD(p->c, d, char *);
	char *v = NULL;

	if (s != NULL && (v = strdup(s)) == NULL) {
		conf_error(p, "out of memory");
		return -1;
	}
	free(*field);
	*field = v;
	return 0;
}

static int
conf_set_string(struct conf_parse *p, const struct conf_directive *d,
    int argc, char **argv, const unsigned char *quoted)
{
	if (argv[1][0] == '\0') {
		conf_error(p, "'%s' must not be empty", d->name);
		return -1;
	}
	return conf_string_store(p, d, argv[1]);
}

/* A path, or "none" for no file at all (stored as NULL). */
static int
conf_set_path_none(struct conf_parse *p, const struct conf_directive *d,
    int argc, char **argv, const unsigned char *quoted)
{
	if (strcmp(argv[1], "none") == 0)
		return conf_string_store(p, d, NULL);
	return conf_set_string(p, d, argc, argv, quoted);
}

/*
 * access_log ... and logformat NAME FORMAT: kept whole for
 * worker/accesslog.c, which checks them once every acl and logformat
 * line is known.
 */
static int
conf_set_access_log(struct conf_parse *p, const struct conf_directive *d,
    int argc, char **argv, const unsigned char *quoted)
{
	return conf_line_add(p, &p->c->access_log_lines,
	    &p->c->naccess_log_lines, argc, argv, quoted);
}

static int
conf_set_logformat(struct conf_parse *p, const struct conf_directive *d,
    int argc, char **argv, const unsigned char *quoted)
{
	return conf_line_add(p, &p->c->logformat_lines,
	    &p->c->nlogformat_lines, argc, argv, quoted);
}

/*
 * cache_dir lmdb PATH SIZE_MB, or cache_dir none.  One cache_dir only;
 * squid's ufs/aufs/rock types and their options are refused.
 */
static int
conf_set_cache_dir(struct conf_parse *p, const struct conf_directive *d,
    int argc, char **argv, const unsigned char *quoted)
{
	unsigned long long mb;
	char *end;

	if (argc == 2 && strcmp(argv[1], "none") == 0) {
		p->c->cache_dir_size = 0;
		return conf_string_store(p, d, NULL);
	}
	if (argc != 4) {
		conf_error(p, "'cache_dir' takes lmdb PATH SIZE_MB, or none");
		return -1;
	}
	if (strcmp(argv[1], "lmdb") != 0) {
		conf_error(p, "'cache_dir': type '%s' is not supported "
		    "(only lmdb)", argv[1]);
		return -1;
	}
	if (argv[2][0] != '/') {
		conf_error(p, "'cache_dir': '%s' is not an absolute path",
		    argv[2]);
		return -1;
	}
	if (strlen(argv[2]) > 3900) {
		conf_error(p, "'cache_dir': path too long");
		return -1;
	}
	errno = 0;
	mb = strtoull(argv[3], &end, 10);
	if (argv[3][0] < '0' || argv[3][0] > '9' || *end != '\0' ||
	    errno != 0 || mb == 0 || mb > 16ULL * 1024 * 1024) {
		conf_error(p, "'cache_dir': size '%s' must be 1..16777216 "
		    "(megabytes)", argv[3]);
		return -1;
	}
	if (p->c->cache_dir != NULL) {
		conf_error(p, "'cache_dir': only one cache_dir is supported");
		return -1;
	}
	p->c->cache_dir_size = (uint64_t)mb * 1024 * 1024;
	return conf_string_store(p, d, argv[2]);
}

/* cache_effective_user NAME: the user must exist now, not at the drop. */
static int
conf_set_user(struct conf_parse *p, const struct conf_directive *d,
    int argc, char **argv, const unsigned char *quoted)
{
	if (getpwnam(argv[1]) == NULL) {
		conf_error(p, "cache_effective_user: unknown user '%s'",
		    argv[1]);
		return -1;
	}
	return conf_string_store(p, d, argv[1]);
}

/*
 * One resolver: "ip", "ip:port", "[v6]", "[v6]:port" or a bare v6.
 * Returns NULL when good, else why not.
 */
static const char *
conf_nameserver_check(const char *s)
{
	unsigned char a[sizeof(struct in6_addr)];
	char host[INET6_ADDRSTRLEN + 1];
	const char *end, *colon, *port = NULL;
	long long n;
	size_t hlen;
	int family;

	if (s[0] == '[') {
		if ((end = strchr(s, ']')) == NULL)
			return "missing ']'";
		if (end[1] == ':')
			port = end + 2;
		else if (end[1] != '\0')
			return "bad address";
		family = AF_INET6;
		hlen = (size_t)(end - s - 1);
		s++;
	} else if ((colon = strchr(s, ':')) != NULL &&
	    strchr(colon + 1, ':') == NULL) {
		family = AF_INET;
		hlen = (size_t)(colon - s);
		port = colon + 1;
	} else {
		family = colon != NULL ? AF_INET6 : AF_INET;
		hlen = strlen(s);
	}
	if (hlen >= sizeof(host))
		return "bad address";
	memcpy(host, s, hlen);
	host[hlen] = '\0';
	if (inet_pton(family, host, a) != 1)
		return "bad address (numeric addresses only)";
	if (port != NULL && conf_number(port, 1, 65535, &n) != 0)
		return "port must be 1..65535";
	return NULL;
}

/*
 * dns_nameservers ADDR...; may repeat (adds).  Stored joined by "," as
 * written, the format of c-ares' ares_set_servers_ports_csv().
 */
static int
conf_set_nameservers(struct conf_parse *p, const struct conf_directive *d,
    int argc, char **argv, const unsigned char *quoted)
{
	char **field = CONF_FIELD(p->c, d, char *);
	const char *why;
	size_t len;
	char *v;
	int i, bad = 0;

	len = *field != NULL ? strlen(*field) : 0;
	for (i = 1; i < argc; i++) {
		if ((why = conf_nameserver_check(argv[i])) != NULL) {
			conf_error(p, "dns_nameservers '%s': %s", argv[i], why);
			bad = 1;
		}
		len += strlen(argv[i]) + 1;
	}
	if (bad)
		return -1;
	if ((v = malloc(len + 1)) == NULL) {
		conf_error(p, "out of memory");
		return -1;
	}
	v[0] = '\0';
	if (*field != NULL)
		strcpy(v, *field);
	for (i = 1; i < argc; i++) {
		if (v[0] != '\0')
			strcat(v, ",");
		strcat(v, argv[i]);
	}
	free(*field);
	*field = v;
	return 0;
}

/*
 * Keep a whole line for a later pass (acl/).  argv, quoted and the
 * strings live in one block, freed with argv.
 */
static int
conf_line_add(struct conf_parse *p, struct conf_line **lines, size_t *n,
    int argc, char **argv, const unsigned char *quoted)
{
	struct conf_line *nl, *l;
	size_t size, len;
	char *block, *s;
	int i;

	size = (size_t)(argc + 1) * sizeof(char *) + (size_t)argc;
	for (i = 0; i < argc; i++)
		size += strlen(argv[i]) + 1;
	if ((block = malloc(size)) == NULL) {
		conf_error(p, "out of memory");
		return -1;
	}
	if ((nl = realloc(*lines, (*n + 1) * sizeof(*nl))) == NULL) {
		free(block);
		conf_error(p, "out of memory");
		return -1;
	}
	*lines = nl;
	l = &nl[(*n)++];
	l->file = p->file;
	l->line = p->line;
	l->argc = argc;
	l->argv = (char **)(void *)block;
	l->quoted = (unsigned char *)block +
	    (size_t)(argc + 1) * sizeof(char *);
	s = (char *)l->quoted + argc;
	for (i = 0; i < argc; i++) {
		len = strlen(argv[i]) + 1;
		memcpy(s, argv[i], len);
		l->argv[i] = s;
		l->quoted[i] = quoted[i];
		s += len;
	}
	l->argv[argc] = NULL;
	return 0;
}

static int
conf_set_acl(struct conf_parse *p, const struct conf_directive *d,
    int argc, char **argv, const unsigned char *quoted)
{
	return conf_line_add(p, &p->c->acl_lines, &p->c->nacl_lines, argc,
	    argv, quoted);
}

/* http_access: "allow"/"deny" and the names are checked by acl/. */
static int
conf_set_access(struct conf_parse *p, const struct conf_directive *d,
    int argc, char **argv, const unsigned char *quoted)
{
	return conf_line_add(p, &p->c->access_lines, &p->c->naccess_lines,
	    argc, argv, quoted);
}

/* http_upgrade_request_protocols PROTO allow|deny [!]acl...: see upgrade.h. */
static int
conf_set_upgrade(struct conf_parse *p, const struct conf_directive *d,
    int argc, char **argv, const unsigned char *quoted)
{
	return conf_line_add(p, &p->c->upgrade_lines, &p->c->nupgrade_lines,
	    argc, argv, quoted);
}

/* pac_direct, pac_proxy, pac_fallback...: checked by acl/pac.c. */
static int
conf_set_pac(struct conf_parse *p, const struct conf_directive *d,
    int argc, char **argv, const unsigned char *quoted)
{
	return conf_line_add(p, &p->c->pac_lines, &p->c->npac_lines, argc,
	    argv, quoted);
}

/* cache allow|deny [!]acl...: the names are checked by acl/. */
static int
conf_set_cache(struct conf_parse *p, const struct conf_directive *d,
    int argc, char **argv, const unsigned char *quoted)
{
	if (strcmp(argv[1], "allow") != 0 && strcmp(argv[1], "deny") != 0) {
		conf_error(p, "'cache' takes allow or deny, not '%s'", argv[1]);
		return -1;
	}
	if (argc < 3) {
		conf_error(p, "'cache %s' needs at least one acl name",
		    argv[1]);
		return -1;
	}
	return conf_line_add(p, &p->c->cache_lines, &p->c->ncache_lines,
	    argc, argv, quoted);
}

/*
 * MIN or MAX of refresh_pattern: minutes, a number.  Squid crops values
 * above a year to a year, with a warning; so do we.
 */
static int
conf_refresh_minutes(struct conf_parse *p, const char *what, const char *s,
    int64_t *out)
{
	long long n;

	if (conf_number(s, 0, LLONG_MAX, &n) != 0) {
		conf_error(p, "refresh_pattern: bad %s '%s' (minutes, 0 or "
		    "more)", what, s);
		return -1;
	}
	if (n > CONF_REFRESH_YEAR) {
		log_warnx("%s:%d: refresh_pattern: %s %s is above a year: "
		    "cropped to %d minutes", p->file, p->line, what, s,
		    CONF_REFRESH_YEAR);
		n = CONF_REFRESH_YEAR;
	}
	*out = (int64_t)n * 60;
	return 0;
}

/* The end of the bracket expression opening at @p p ('['), or NULL. */
static const char *
conf_bracket_end(const char *p)
{
	p++;
	if (*p == '^')
		p++;
	if (*p == ']')
		p++;		/* a ']' first is a member */
	for (; *p != '\0'; p++) {
		if (*p == '[' && (p[1] == ':' || p[1] == '=' || p[1] == '.')) {
			char k = p[1];

			/* [:class:], [=equiv=], [.coll.]: to their close. */
			for (p += 2; *p != '\0' && !(p[0] == k && p[1] == ']');
			    p++)
				;
			if (*p == '\0')
				return NULL;
			p++;
			continue;
		}
		if (*p == ']')
			return p;
	}
	return NULL;
}

size_t
conf_regex_hint(const char *re, char out[CONF_HINT_MAX + 1])
{
	char cur[CONF_HINT_MAX + 1];
	size_t best = 0, n = 0;
	const char *p;
	int depth = 0, last_lit = 0;

#define HINT_BREAK() do {						\
	if (n > best) {							\
		memcpy(out, cur, n);					\
		best = n;						\
	}								\
	n = 0;								\
	last_lit = 0;							\
} while (0)
	for (p = re; *p != '\0'; p++) {
		char c = *p, lit;

		switch (c) {
		case '\\':
			/* \. is a '.'; \w, \b, \1...: not plain, break. */
			lit = p[1];
			if (lit == '\0' || (lit >= '0' && lit <= '9') ||
			    (lit >= 'a' && lit <= 'z') ||
			    (lit >= 'A' && lit <= 'Z')) {
				HINT_BREAK();
				if (lit != '\0')
					p++;
				continue;
			}
			p++;
			break;
		case '[':
			HINT_BREAK();
			if ((p = conf_bracket_end(p)) == NULL) {
				out[0] = '\0';	/* regcomp refuses it anyway */
				return 0;
			}
			continue;
		case '(':
			depth++;
			HINT_BREAK();
			continue;
		case ')':
			depth--;
			HINT_BREAK();
			continue;
		case '|':
			if (depth == 0) {
				out[0] = '\0';	/* either side may match */
				return 0;
			}
			HINT_BREAK();
			continue;
		case '?': case '*': case '{':
			/* The atom before may be absent: not required. */
			if (last_lit && n > 0)
				n--;
			HINT_BREAK();
			if (c == '{')
				while (p[1] != '\0' && *p != '}')
					p++;
			continue;
		case '+':
			/* At least once: what came before stays required. */
			HINT_BREAK();
			continue;
		case '.': case '^': case '$':
			HINT_BREAK();
			continue;
		default:
			lit = c;
			break;
		}
		if (depth > 0) {
			HINT_BREAK();
			continue;
		}
		if (n < CONF_HINT_MAX) {
			cur[n++] = lit;
			last_lit = 1;
		} else
			last_lit = 0;	/* a ? after cannot reach the kept */
	}
	HINT_BREAK();
#undef HINT_BREAK
	if (best < 3)
		best = 0;
	out[best] = '\0';
	return best;
}

/*
 * squid's refresh_pattern options (cache/refresh.h says what each one
 * overrides); the values are REFRESH_* of cache/policy.h, which core/
 * cannot include: t/unit-conf checks that they agree.
 */
static const struct {
	const char	*name;
	unsigned	 flag;
} conf_refresh_options[] = {
	{ "override-expire",	0x0001 },	/* REFRESH_OVERRIDE_EXPIRE */
	{ "override-lastmod",	0x0002 },	/* REFRESH_OVERRIDE_LASTMOD */
	{ "ignore-reload",	0x0004 },	/* REFRESH_IGNORE_RELOAD */
	{ "reload-into-ims",	0x0008 },	/* REFRESH_RELOAD_INTO_IMS */
	{ "store-stale",	0x0010 },	/* REFRESH_STORE_STALE */
	{ "refresh-ims",	0x0020 },	/* REFRESH_IMS */
	{ "immutable",		0x0040 },	/* REFRESH_IMMUTABLE */
	{ NULL,			0 }
};

/*
 * squid's options that would store or share what the origin keeps for
 * one client, or serve without the check an origin demands: refused.
 */
static const char *const conf_refresh_refused[] = {
	"ignore-no-store", "ignore-private", "ignore-must-revalidate",
	"ignore-auth", "ignore-no-cache", NULL
};

/* One option word of a refresh_pattern line into @p rp. */
static int
conf_refresh_option(struct conf_parse *p, struct conf_refresh *rp,
    const char *w)
{
	long long n;
	size_t i;

	for (i = 0; conf_refresh_options[i].name != NULL; i++)
		if (strcmp(w, conf_refresh_options[i].name) == 0) {
			rp->flags |= conf_refresh_options[i].flag;
			return 0;
		}
	if (strncmp(w, "max-stale=", 10) == 0) {
		/* squid: seconds, an integer. */
		if (conf_number(w + 10, 0, INT64_MAX / 1000, &n) != 0) {
			conf_error(p, "refresh_pattern: bad max-stale '%s' "
			    "(seconds, 0 or more)", w + 10);
			return -1;
		}
		rp->max_stale = (int64_t)n;
		return 0;
	}
	for (i = 0; conf_refresh_refused[i] != NULL; i++)
		if (strcmp(w, conf_refresh_refused[i]) == 0) {
			conf_error(p, "refresh_pattern option '%s' is not "
			    "supported: it would share or serve what the "
			    "origin keeps for one client or demands to check "
			    "(RFC 9111 §3, §3.5, §5.2.2)", w);
			return -1;
		}
	conf_error(p, "refresh_pattern: unknown option '%s'", w);
	return -1;
}

/*
 * refresh_pattern [-i] REGEX MIN PERCENT MAX [options] (squid): MIN and
 * MAX in minutes, PERCENT an integer with or without '%'.  The regex is
 * POSIX extended, matched against the whole URL (cache/refresh.h).
 */
static int
conf_set_refresh(struct conf_parse *p, const struct conf_directive *d,
    int argc, char **argv, const unsigned char *quoted)
{
	struct conf *c = p->c;
	struct conf_refresh *rp, **nr;
	char err[256], pct[32];
	long long n;
	size_t len;
	int a = 1, flags = REG_EXTENDED | REG_NOSUB, rc, bad = 0;

	/* "-i" ignores case, "+i" (squid) says the default again. */
	if (strcmp(argv[a], "-i") == 0 || strcmp(argv[a], "+i") == 0) {
		if (argv[a][0] == '-')
			flags |= REG_ICASE;
		a++;
	}
	if (argc - a < 4) {
		conf_error(p, "refresh_pattern takes [-i] REGEX MIN PERCENT "
		    "MAX");
		return -1;
	}
	if ((rp = calloc(1, sizeof(*rp))) == NULL ||
	    (rp->pattern = strdup(argv[a])) == NULL) {
		free(rp);
		conf_error(p, "out of memory");
		return -1;
	}
	rp->file = p->file;
	rp->line = p->line;
	rp->max_stale = -1;
	if (conf_refresh_minutes(p, "MIN", argv[a + 1], &rp->min) == -1)
		bad = 1;
	len = strlen(argv[a + 2]);
	if (len > 0 && len < sizeof(pct) && argv[a + 2][len - 1] == '%')
		len--;
	snprintf(pct, sizeof(pct), "%.*s", (int)len, argv[a + 2]);
	if (len >= sizeof(pct) || conf_number(pct, 0, INT_MAX, &n) != 0) {
		conf_error(p, "refresh_pattern: bad PERCENT '%s' (an integer, "
		    "like 20%%)", argv[a + 2]);
		bad = 1;
	} else
		rp->percent = (int)n;
	if (conf_refresh_minutes(p, "MAX", argv[a + 3], &rp->max) == -1)
		bad = 1;
	for (a += 4; a < argc; a++)
		if (conf_refresh_option(p, rp, argv[a]) == -1)
			bad = 1;
	/* immutable: a 200 is fresh for MAX; MAX 0 would mean never. */
	if (!bad && (rp->flags & 0x0040) && rp->max == 0) {
		conf_error(p, "refresh_pattern: immutable needs a MAX above 0 "
		    "(how long a 200 stays fresh)");
		bad = 1;
	}
	if (bad)
		goto fail;
	if ((rc = regcomp(&rp->re, rp->pattern, flags)) != 0) {
		regerror(rc, &rp->re, err, sizeof(err));
		conf_error(p, "refresh_pattern: bad regex '%s': %s",
		    rp->pattern, err);
		goto fail;
	}
	rp->icase = (flags & REG_ICASE) != 0;
	(void)conf_regex_hint(rp->pattern, rp->hint);
	if ((nr = realloc(c->refresh, (c->nrefresh + 1) * sizeof(*nr))) ==
	    NULL) {
		regfree(&rp->re);
		conf_error(p, "out of memory");
		goto fail;
	}
	nr[c->nrefresh++] = rp;
	c->refresh = nr;
	return 0;
fail:
	free(rp->pattern);
	free(rp);
	return -1;
}

/*
 * REPLACEMENT of store_id_rewrite: text, with \0..\9 (the match, its
 * groups) and \\ (a backslash); a group the regex does not have is an
 * error.
 */
static int
conf_storeid_check(struct conf_parse *p, const char *repl, size_t nsub)
{
	const char *s;

	if (*repl == '\0') {
		conf_error(p, "store_id_rewrite: empty REPLACEMENT");
		return -1;
	}
	for (s = repl; *s != '\0'; s++) {
		if (*s != '\\')
			continue;
		s++;
		if (*s == '\\')
			continue;
		if (*s < '0' || *s > '9') {
			conf_error(p, "store_id_rewrite: '\\%c' in "
			    "REPLACEMENT: only \\0..\\9 and \\\\",
			    *s != '\0' ? *s : ' ');
			return -1;
		}
		if ((size_t)(*s - '0') > nsub) {
			conf_error(p, "store_id_rewrite: REPLACEMENT uses \\%c "
			    "but the regex has %zu group%s", *s, nsub,
			    nsub == 1 ? "" : "s");
			return -1;
		}
	}
	return 0;
}

/*
 * store_id_rewrite [-i] REGEX REPLACEMENT: squid's store_id without a
 * helper process.  The regex is POSIX extended, matched against the
 * whole URL; the lines are tried in file order, the first match wins
 * (cache/storeid.h).
 */
static int
conf_set_store_id(struct conf_parse *p, const struct conf_directive *d,
    int argc, char **argv, const unsigned char *quoted)
{
	struct conf *c = p->c;
	struct conf_storeid *e, **ne;
	char err[256];
	int a = 1, flags = REG_EXTENDED, rc;

	if (strcmp(argv[a], "-i") == 0) {
		flags |= REG_ICASE;
		a++;
	}
	if (argc - a != 2) {
		conf_error(p, "store_id_rewrite takes [-i] REGEX REPLACEMENT");
		return -1;
	}
	if ((e = calloc(1, sizeof(*e))) == NULL ||
	    (e->pattern = strdup(argv[a])) == NULL ||
	    (e->repl = strdup(argv[a + 1])) == NULL) {
		if (e != NULL)
			free(e->pattern);
		free(e);
		conf_error(p, "out of memory");
		return -1;
	}
	e->file = p->file;
	e->line = p->line;
	if ((rc = regcomp(&e->re, e->pattern, flags)) != 0) {
		regerror(rc, &e->re, err, sizeof(err));
		conf_error(p, "store_id_rewrite: bad regex '%s': %s",
		    e->pattern, err);
		goto fail;
	}
	e->icase = (flags & REG_ICASE) != 0;
	(void)conf_regex_hint(e->pattern, e->hint);
	if (conf_storeid_check(p, e->repl, e->re.re_nsub) == -1) {
		regfree(&e->re);
		goto fail;
	}
	if ((ne = realloc(c->store_id, (c->nstore_id + 1) *
	    sizeof(*ne))) == NULL) {
		conf_error(p, "out of memory");
		regfree(&e->re);
		goto fail;
	}
	ne[c->nstore_id++] = e;
	c->store_id = ne;
	return 0;
fail:
	free(e->pattern);
	free(e->repl);
	free(e);
	return -1;
}

/* squid's defaults for auth_param basic, applied once per load. */
static int
conf_auth_defaults(struct conf_parse *p)
{
	struct conf *c = p->c;

	if (c->auth_defaults)
		return 0;
	c->auth_defaults = 1;
	c->auth_children = 5;
	c->auth_startup = 1;
	c->auth_idle = 1;
	c->auth_credentialsttl = 2 * 3600 * 1000LL;	/* squid: 2 hours */
	c->auth_timeout = 10 * 1000;
	if ((c->auth_realm = strdup("sluice proxy")) == NULL) {
		conf_error(p, "out of memory");
		return -1;
	}
	return 0;
}

/* "name=N" with N in [min, max]; @return 1 matched, 0 not this name, -1 bad. */
static int
conf_auth_opt(struct conf_parse *p, const char *arg, const char *name,
    long long min, long long max, int *out)
{
	size_t n = strlen(name);
	long long v;

	if (strncmp(arg, name, n) != 0 || arg[n] != '=')
		return 0;
	if (conf_number(arg + n + 1, min, max, &v) != 0) {
		conf_error(p, "auth_param basic children: '%s' must be "
		    "%lld..%lld", arg, min, max);
		return -1;
	}
	*out = (int)v;
	return 1;
}

/*
 * auth_param basic program PATH [ARGS...] | program basic_file FILE
 * auth_param basic children N [startup=N] [idle=N] [concurrency=N]
 * auth_param basic realm TEXT...
 * auth_param basic credentialsttl TIME
 * auth_param basic casesensitive on|off
 * auth_param basic timeout TIME		(sluice: helper answer bound)
 * squid's syntax; only the basic scheme.  idle= is accepted and has no
 * effect: helpers are not stopped when idle.
 */
static int
conf_set_auth_param(struct conf_parse *p, const struct conf_directive *d,
    int argc, char **argv, const unsigned char *quoted)
{
	struct conf *c = p->c;
	const char *what;
	size_t len, i;
	char **av, *s;
	long long n;
	int j, rc;

	if (conf_auth_defaults(p) == -1)
		return -1;
	if (strcmp(argv[1], "basic") != 0) {
		conf_error(p, "auth_param scheme '%s' is not supported "
		    "(only basic)", argv[1]);
		return -1;
	}
	what = argv[2];
	if (strcmp(what, "program") == 0) {
		if (argc < 4) {
			conf_error(p, "auth_param basic program needs a path");
			return -1;
		}
		if (strcmp(argv[3], "basic_file") == 0) {
			if (argc != 5) {
				conf_error(p, "auth_param basic program "
				    "basic_file takes one htpasswd file");
				return -1;
			}
		} else if (argv[3][0] != '/') {
			conf_error(p, "auth_param basic program '%s' must be "
			    "an absolute path or basic_file", argv[3]);
			return -1;
		}
		/* One block: the pointers, then the strings. */
		len = (size_t)(argc - 2) * sizeof(char *);
		for (j = 3; j < argc; j++)
			len += strlen(argv[j]) + 1;
		if ((av = malloc(len)) == NULL) {
			conf_error(p, "out of memory");
			return -1;
		}
		s = (char *)(av + (argc - 2));
		for (j = 3; j < argc; j++) {
			av[j - 3] = s;
			strcpy(s, argv[j]);
			s += strlen(argv[j]) + 1;
		}
		av[argc - 3] = NULL;
		free(c->auth_program);
		c->auth_program = av;
		c->auth_program_where.file = p->file;
		c->auth_program_where.line = p->line;
		return 0;
	}
	if (strcmp(what, "children") == 0) {
		if (argc < 4 || conf_number(argv[3], 1, 1000, &n) != 0) {
			conf_error(p, "auth_param basic children needs a "
			    "number 1..1000");
			return -1;
		}
		c->auth_children = (int)n;
		for (j = 4; j < argc; j++) {
			if ((rc = conf_auth_opt(p, argv[j], "startup", 0, 1000,
			    &c->auth_startup)) != 0 ||
			    (rc = conf_auth_opt(p, argv[j], "idle", 0, 1000,
			    &c->auth_idle)) != 0 ||
			    (rc = conf_auth_opt(p, argv[j], "concurrency", 0,
			    1000, &c->auth_concurrency)) != 0) {
				if (rc == -1)
					return -1;
				continue;
			}
			conf_error(p, "auth_param basic children: unknown "
			    "option '%s'", argv[j]);
			return -1;
		}
		if (c->auth_startup > c->auth_children)
			c->auth_startup = c->auth_children;
		return 0;
	}
	if (strcmp(what, "realm") == 0) {
		if (argc < 4) {
			conf_error(p, "auth_param basic realm needs a text");
			return -1;
		}
		for (len = 0, j = 3; j < argc; j++)
			len += strlen(argv[j]) + 1;
		if ((s = malloc(len)) == NULL) {
			conf_error(p, "out of memory");
			return -1;
		}
		s[0] = '\0';
		for (j = 3; j < argc; j++) {
			if (j > 3)
				strcat(s, " ");
			strcat(s, argv[j]);
		}
		/* It goes into a quoted-string (RFC 9110 §5.6.4). */
		for (i = 0; s[i] != '\0'; i++) {
			if (s[i] == '"' || s[i] == '\\' ||
			    (unsigned char)s[i] < 0x20 || s[i] == 0x7f) {
				conf_error(p, "auth_param basic realm must not "
				    "hold quotes, backslashes or controls");
				free(s);
				return -1;
			}
		}
		free(c->auth_realm);
		c->auth_realm = s;
		return 0;
	}
	if (strcmp(what, "credentialsttl") == 0 || strcmp(what, "timeout") == 0) {
		int64_t *t = what[0] == 'c' ? &c->auth_credentialsttl :
		    &c->auth_timeout;

		if (argc < 4 || argc > 5 || conf_parse_time(argv[3],
		    argc > 4 ? argv[4] : NULL, t) == -1) {
			conf_error(p, "auth_param basic %s: bad time (units: "
			    "ms seconds minutes hours days weeks)", what);
			return -1;
		}
		if (what[0] == 't' && *t <= 0) {
			conf_error(p, "auth_param basic timeout must be above 0");
			return -1;
		}
		return 0;
	}
	if (strcmp(what, "casesensitive") == 0) {
		if (argc != 4 || (strcmp(argv[3], "on") != 0 &&
		    strcmp(argv[3], "off") != 0)) {
			conf_error(p, "auth_param basic casesensitive on|off");
			return -1;
		}
		c->auth_casesensitive = strcmp(argv[3], "on") == 0;
		return 0;
	}
	conf_error(p, "auth_param basic '%s' is not supported", what);
	return -1;
}

/*
 * tls_outgoing_options [cafile=FILE]... [default-ca=on|off]
 *	[min-version=1.2|1.3] (squid's syntax): how sluice speaks TLS to
 * origins.  cafile= adds trusted CAs (PEM, may repeat); default-ca=off
 * leaves out the system trust store.  Verification cannot be turned off:
 * squid's flags=DONT_VERIFY_PEER and friends are refused.  Once per file.
 */
static int
conf_set_tls_outgoing(struct conf_parse *p, const struct conf_directive *d,
    int argc, char **argv, const unsigned char *quoted)
{
	struct conf *c = p->c;
	char *paths[CONF_MAX_ARGS], **av, *s, *v;
	size_t len;
	int i, n = 0, ver, bad = 0;

	if (c->tls_out_file != NULL) {
		conf_error(p, "tls_outgoing_options repeats %s:%d (give every "
		    "option on one line)", c->tls_out_file, c->tls_out_line);
		return -1;
	}
	for (i = 1; i < argc; i++) {
		v = strchr(argv[i], '=');
		v = v != NULL ? v + 1 : NULL;
		if (strncmp(argv[i], "cafile=", 7) == 0) {
			if ((paths[n] = conf_path(p, "cafile=", v)) == NULL)
				bad = 1;
			else
				n++;
		} else if (strncmp(argv[i], "default-ca=", 11) == 0) {
			if (strcmp(v, "on") != 0 && strcmp(v, "off") != 0) {
				conf_error(p, "tls_outgoing_options default-ca= "
				    "takes on or off, not '%s'", v);
				bad = 1;
			} else
				c->tls_default_ca = strcmp(v, "on") == 0;
		} else if (strncmp(argv[i], "min-version=", 12) == 0) {
			if ((ver = conf_tls_version(v)) == -1) {
				conf_error(p, "tls_outgoing_options min-version="
				    "%s: only 1.2 and 1.3 (TLS below 1.2 is "
				    "never used)", v);
				bad = 1;
			} else
				c->tls_out_min = ver;
		} else if (strncmp(argv[i], "flags=", 6) == 0) {
			conf_error(p, "tls_outgoing_options %s is not supported: "
			    "origin certificates are always verified",
			    argv[i]);
			bad = 1;
		} else if (strncmp(argv[i], "options=", 8) == 0 ||
		    strncmp(argv[i], "cipher=", 7) == 0) {
			conf_error(p, "tls_outgoing_options %s is not supported: "
			    "the protocol and cipher policy is fixed", argv[i]);
			bad = 1;
		} else {
			conf_error(p, "tls_outgoing_options: unknown option "
			    "'%s'", argv[i]);
			bad = 1;
		}
	}
	if (!bad && n > 0) {
		/* One block: the pointers, then the strings. */
		len = (size_t)(n + 1) * sizeof(char *);
		for (i = 0; i < n; i++)
			len += strlen(paths[i]) + 1;
		if ((av = malloc(len)) == NULL) {
			conf_error(p, "out of memory");
			bad = 1;
		} else {
			s = (char *)(av + n + 1);
			for (i = 0; i < n; i++) {
				av[i] = s;
				strcpy(s, paths[i]);
				s += strlen(paths[i]) + 1;
			}
			av[n] = NULL;
			c->tls_cafile = av;
		}
	}
	for (i = 0; i < n; i++)
		free(paths[i]);
	if (bad)
		return -1;
	c->tls_out_file = p->file;
	c->tls_out_line = p->line;
	return 0;
}

/*
 * ssl_bump bump|splice [!]acl... (squid's syntax, its two final actions):
 * in order, the first line whose acls all match decides what happens to a
 * CONNECT received on an http_port with ssl-bump; none matched: splice (a
 * plain tunnel).  The names are checked by acl/ (tls_conf_compile()).
 */
static int
conf_set_ssl_bump(struct conf_parse *p, const struct conf_directive *d,
    int argc, char **argv, const unsigned char *quoted)
{
	static const char *const later[] = { "peek", "stare", "terminate",
	    "client-first", "server-first", "none", NULL };
	int i;

	if (strcmp(argv[1], "bump") != 0 && strcmp(argv[1], "splice") != 0) {
		for (i = 0; later[i] != NULL; i++)
			if (strcmp(argv[1], later[i]) == 0)
				break;
		if (later[i] != NULL)
			conf_error(p, "ssl_bump %s is not supported (only bump "
			    "and splice)", argv[1]);
		else
			conf_error(p, "ssl_bump takes bump or splice, not '%s'",
			    argv[1]);
		return -1;
	}
	if (argc < 3) {
		conf_error(p, "ssl_bump %s needs at least one acl name (all "
		    "for every CONNECT)", argv[1]);
		return -1;
	}
	return conf_line_add(p, &p->c->ssl_bump_lines, &p->c->nssl_bump_lines,
	    argc, argv, quoted);
}

/* include FILE: relative to the directory of the including file. */
static int
conf_set_include(struct conf_parse *p, const struct conf_directive *d,
    int argc, char **argv, const unsigned char *quoted)
{
	const char *slash, *file;
	char *path;
	size_t dlen;
	int line, rc;

	if (p->depth >= CONF_INCLUDE_MAX) {
		conf_error(p, "include nesting too deep (max %d levels)",
		    CONF_INCLUDE_MAX);
		return -1;
	}
	slash = strrchr(p->file, '/');
	dlen = argv[1][0] != '/' && slash != NULL ?
	    (size_t)(slash - p->file) + 1 : 0;
	if ((path = malloc(dlen + strlen(argv[1]) + 1)) == NULL) {
		conf_error(p, "out of memory");
		return -1;
	}
	memcpy(path, p->file, dlen);
	strcpy(path + dlen, argv[1]);

	file = p->file;
	line = p->line;
	p->depth++;
	rc = conf_file_parse(p, path);
	p->depth--;
	p->file = file;
	p->line = line;
	if (rc == -1)
		conf_error(p, "cannot open %s: %s", path, strerror(errno));
	free(path);
	return rc;
}

/* ---------------------------------------------------------------- parser */

/* The one copy of a file name that conf_line and conf_listen point to. */
static const char *
conf_file_intern(struct conf *c, const char *path)
{
	char **nf, *s;
	size_t i;

	for (i = 0; i < c->nfiles; i++)
		if (strcmp(c->files[i], path) == 0)
			return c->files[i];
	if ((s = strdup(path)) == NULL)
		return NULL;
	if ((nf = realloc(c->files, (c->nfiles + 1) * sizeof(*nf))) == NULL) {
		free(s);
		return NULL;
	}
	nf[c->nfiles++] = s;
	c->files = nf;
	return s;
}

/* Read a whole file into a malloc'd buffer; -1 with errno. */
static int
conf_file_slurp(const char *path, char **out, size_t *outlen)
{
	char *data = NULL, *nd;
	size_t len = 0, size = 0;
	ssize_t n;
	int fd, saved;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	for (;;) {
		if (len == size) {
			if (size >= CONF_FILE_MAX) {
				errno = EFBIG;
				goto fail;
			}
			size = size == 0 ? 8192 : size * 2;
			if ((nd = realloc(data, size)) == NULL)
				goto fail;
			data = nd;
		}
		n = read(fd, data + len, size - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			goto fail;
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	*out = data;
	*outlen = len;
	return 0;
fail:
	saved = errno;
	free(data);
	close(fd);
	errno = saved;
	return -1;
}

/* Split one line (NUL-terminated, modified in place) and run it. */
static void
conf_line_run(struct conf_parse *p, char *s)
{
	char *argv[CONF_MAX_ARGS + 1];
	unsigned char quoted[CONF_MAX_ARGS];
	const struct conf_directive *d = NULL;
	int argc = 0, q, end = 0, tail_at = 0;
	size_t i = 0, len;
	char *w;

	while (!end) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (tail_at > 0 && argc == tail_at) {
			/* The rest of the line as written, '#' and quotes too. */
			len = strlen(s);
			while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
				s[--len] = '\0';
			if (len > 0) {
				argv[argc] = s;
				quoted[argc++] = 0;
			}
			break;
		}
		if (*s == '\0' || *s == '#')
			break;
		if (argc == CONF_MAX_ARGS) {
			conf_error(p, "too many words (max %d)", CONF_MAX_ARGS);
			return;
		}
		if (*s == '"') {
			w = ++s;
			if ((s = strchr(s, '"')) == NULL) {
				conf_error(p, "unterminated quoted word");
				return;
			}
			*s++ = '\0';
			if (*s != '\0' && *s != ' ' && *s != '\t' &&
			    *s != '#') {
				conf_error(p, "blank expected after a quoted "
				    "word");
				return;
			}
			q = 1;
		} else {
			w = s;
			while (*s != '\0' && *s != ' ' && *s != '\t' &&
			    *s != '#')
				s++;
			q = 0;
		}
		/* A '#' right after a word ends the line too. */
		if (*s == '#' || *s == '\0')
			end = 1;
		if (*s != '\0')
			*s++ = '\0';
		argv[argc] = w;
		quoted[argc++] = (unsigned char)q;
		if (argc == 1) {
			for (i = 0; i < CONF_NDIRECTIVES; i++)
				if (strcmp(conf_directives[i].name, argv[0]) == 0)
					break;
			if (i == CONF_NDIRECTIVES) {
				conf_error(p, "unknown directive '%s'", argv[0]);
				return;
			}
			d = &conf_directives[i];
			if (d->max_args == CONF_ARGS_TAIL)
				tail_at = d->min_args;
		}
	}
	if (argc == 0)
		return;
	argv[argc] = NULL;
	if (d->max_args == CONF_ARGS_TAIL) {
		if (argc - 1 != d->min_args) {
			conf_error(p, "'%s' takes %d arguments, the last one "
			    "being the rest of the line", d->name, d->min_args);
			return;
		}
	} else if (argc - 1 < d->min_args || argc - 1 > d->max_args) {
		conf_error(p, "'%s' takes %d..%d arguments", d->name,
		    d->min_args, d->max_args);
		return;
	}
	/* Remembered for checks after the load (conf_where()). */
	if (d->set(p, d, argc, argv, quoted) == 0 && p->line > 0 &&
	    p->c->where != NULL) {
		p->c->where[i].file = p->file;
		p->c->where[i].line = p->line;
	}
}

/*
 * Parse one file.  Returns -1 with errno when it cannot be read (the
 * caller says where it was named); every other error is counted in @p.
 */
static int
conf_file_parse(struct conf_parse *p, const char *path)
{
	char buf[CONF_LINE_MAX + 1];
	char *data, *pos, *end, *nl;
	size_t len, llen;

	if (conf_file_slurp(path, &data, &len) == -1)
		return -1;
	if ((p->file = conf_file_intern(p->c, path)) == NULL) {
		free(data);
		errno = ENOMEM;
		return -1;
	}
	p->line = 0;
	for (pos = data, end = data + len; pos < end; pos = nl + 1) {
		if ((nl = memchr(pos, '\n', (size_t)(end - pos))) == NULL)
			nl = end;
		llen = (size_t)(nl - pos);
		p->line++;
		if (llen > 0 && pos[llen - 1] == '\r')
			llen--;		/* CRLF */
		if (llen > CONF_LINE_MAX) {
			conf_error(p, "line longer than %d bytes",
			    CONF_LINE_MAX);
			continue;
		}
		if (memchr(pos, '\0', llen) != NULL) {
			conf_error(p, "NUL byte in line");
			continue;
		}
		memcpy(buf, pos, llen);
		buf[llen] = '\0';
		conf_line_run(p, buf);
	}
	free(data);
	return 0;
}

/* Run every default through its setter, as if written first. */
static void
conf_defaults_apply(struct conf_parse *p)
{
	char buf[128];
	size_t i;

	p->file = "(defaults)";
	p->line = 0;
	for (i = 0; i < CONF_NDIRECTIVES; i++) {
		if (conf_directives[i].def == NULL)
			continue;
		snprintf(buf, sizeof(buf), "%s %s", conf_directives[i].name,
		    conf_directives[i].def);
		conf_line_run(p, buf);
	}
}

/* Checks that need the whole file, and computed defaults. */
static void
conf_validate(struct conf_parse *p)
{
	struct conf *c = p->c;
	char host[256];
	size_t i;

	if (conf_auth_defaults(p) == -1)
		return;

	if (c->nlisten == 0) {
		log_warnx("%s: no http_port", c->path);
		p->nerrors++;
	}
	if (c->request_line_max_size > c->request_header_max_size) {
		log_warnx("%s: request_line_max_size (%zu) is above "
		    "request_header_max_size (%zu)", c->path,
		    c->request_line_max_size, c->request_header_max_size);
		p->nerrors++;
	}
	if (c->nssl_bump_lines > 0) {
		for (i = 0; i < c->nlisten; i++)
			if (c->listen[i].ssl_bump)
				break;
		if (i == c->nlisten) {
			log_warnx("%s:%d: ssl_bump rules, but no http_port has "
			    "ssl-bump", c->ssl_bump_lines[0].file,
			    c->ssl_bump_lines[0].line);
			p->nerrors++;
		}
	}
	if (c->server_idle_pconn_max_per_origin > c->server_idle_pconn_max) {
		log_warnx("%s: server_idle_pconn_max_per_origin is above "
		    "server_idle_pconn_max", c->path);
		p->nerrors++;
	}
	if (c->visible_hostname == NULL) {
		if (gethostname(host, sizeof(host)) == -1 || host[0] == '\0')
			strcpy(host, "localhost");
		host[sizeof(host) - 1] = '\0';
		if ((c->visible_hostname = strdup(host)) == NULL) {
			log_warnx("%s: out of memory", c->path);
			p->nerrors++;
		}
	}
}

int
conf_load(const char *path, struct conf **out)
{
	struct conf_parse p;
	struct conf *c;

	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->path = strdup(path)) == NULL ||
	    (c->where = calloc(CONF_NDIRECTIVES, sizeof(*c->where))) == NULL) {
		log_warn("%s: cannot load", path);
		if (c != NULL)
			free(c->path);
		free(c);
		return -1;
	}
	c->tls_default_ca = 1;
	c->tls_out_min = 0x0303;
	memset(&p, 0, sizeof(p));
	p.c = c;
	conf_defaults_apply(&p);
	if (p.nerrors > 0) {
		/* A bad default in conf_tbl.h is a bug, not a user error. */
		log_crit("%s: the built-in defaults do not parse", path);
	} else if (conf_file_parse(&p, path) == -1) {
		log_warnx("%s: cannot open: %s", path, strerror(errno));
		p.nerrors++;
	} else {
		conf_validate(&p);
	}
	if (p.nerrors > 0) {
		conf_free(c);
		return -1;
	}
	*out = c;
	return 0;
}

static void
conf_lines_free(struct conf_line *lines, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(lines[i].argv);	/* one block with quoted and strings */
	free(lines);
}

void
conf_free(struct conf *c)
{
	size_t i;

	if (c == NULL)
		return;
	free(c->path);
	for (i = 0; i < c->nlisten; i++)
		conf_tls_free(&c->listen[i].tls);
	free(c->listen);
	free(c->tls_cafile);
	conf_lines_free(c->ssl_bump_lines, c->nssl_bump_lines);
	free(c->effective_user);
	free(c->pid_file);
	free(c->cache_log);
	free(c->visible_hostname);
	free(c->dns_nameservers);
	free(c->cache_dir);
	free(c->auth_program);
	free(c->auth_realm);
	conf_lines_free(c->acl_lines, c->nacl_lines);
	conf_lines_free(c->access_lines, c->naccess_lines);
	conf_lines_free(c->upgrade_lines, c->nupgrade_lines);
	conf_lines_free(c->cache_lines, c->ncache_lines);
	conf_lines_free(c->logformat_lines, c->nlogformat_lines);
	conf_lines_free(c->access_log_lines, c->naccess_log_lines);
	conf_lines_free(c->pac_lines, c->npac_lines);
	for (i = 0; i < c->nrefresh; i++) {
		regfree(&c->refresh[i]->re);
		free(c->refresh[i]->pattern);
		free(c->refresh[i]);
	}
	free(c->refresh);
	for (i = 0; i < c->nstore_id; i++) {
		regfree(&c->store_id[i]->re);
		free(c->store_id[i]->pattern);
		free(c->store_id[i]->repl);
		free(c->store_id[i]);
	}
	free(c->store_id);
	for (i = 0; i < c->nfiles; i++)
		free(c->files[i]);
	free(c->files);
	free(c->where);
	free(c);
}

struct conf_where
conf_where(const struct conf *c, const char *name)
{
	struct conf_where none = { NULL, 0 };
	size_t i;

	for (i = 0; i < CONF_NDIRECTIVES; i++)
		if (strcmp(conf_directives[i].name, name) == 0)
			return c->where != NULL ? c->where[i] : none;
	return none;
}

void
conf_print_help(void *fp)
{
	const struct conf_directive *d;
	size_t i;

	fprintf(fp, "Configuration directives (squid.conf syntax):\n");
	for (i = 0; i < CONF_NDIRECTIVES; i++) {
		d = &conf_directives[i];
		fprintf(fp, "  %-26s %s\n      %s\n", d->name,
		    d->def != NULL ? d->def : "(no default)", d->doc);
	}
}
