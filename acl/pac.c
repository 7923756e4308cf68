/*
 * pac.c -- the PAC file and the no_proxy value from pac_* lines and the
 * acls they name (see pac.h).
 *
 * Runs in the master (pac_compile(): config load, -t, -n, reload) and in
 * the workers (pac_render(), for /proxy.pac and /wpad.dat).
 *
 * The file is three parts: a fixed head (a comment), the one line that
 * names the proxies (per request when no pac_proxy is set: the address
 * the client reached), and a fixed rest (the lists and
 * FindProxyForURL()).  Its entity-tag is the FNV-1a 64 of head and rest,
 * computed once, and the FNV-1a 32 of the proxy line: a strong
 * validator, since equal tags mean equal bytes (up to the hash).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "acl.h"
#include "conf.h"
#include "host.h"
#include "log.h"
#include "pac.h"
#include "sockaddr.h"

struct pac {
	char		*head;		/* the comment */
	char		*rest;		/* lists and FindProxyForURL() */
	size_t		 headlen;
	size_t		 restlen;
	uint64_t	 hash;		/* FNV-1a 64 of head and rest */
	char		*proxies;	/* "PROXY a:1; PROXY b:2", or NULL */
	int		 fallback_direct;
	char		*no_proxy;
	time_t		 loaded;
};

/* What the pac_direct acls hold, gathered. */
struct pac_dom {
	char		*name;
	int		 sub;
};

struct pac_range {
	unsigned char	 lo[16], hi[16];
};

struct pac_build {
	const char	*file;		/* the line being compiled */
	int		 line;
	int		 nerrors;
	struct pac_dom	*dom;
	size_t		 ndom;
	struct pac_range *r4;
	size_t		 nr4;
	struct pac_range *r6;
	size_t		 nr6;
	int		 oom;
};

/* A growing string; out of memory sticks (s.err) and is reported once. */
struct pac_str {
	char		*p;
	size_t		 len;
	size_t		 cap;
	int		 err;
};

/* "FILE:LINE: message", counted. */
#define pac_error(x, ...) \
	log_conf_error((x)->file, (x)->line, &(x)->nerrors, __VA_ARGS__)

static void __attribute__((format(printf, 2, 3)))
pac_str_printf(struct pac_str *s, const char *fmt, ...)
{
	va_list ap;
	size_t need;
	char *n;
	int len;

	if (s->err)
		return;
	va_start(ap, fmt);
	len = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (len < 0) {
		s->err = 1;
		return;
	}
	need = s->len + (size_t)len + 1;
	if (need > s->cap) {
		size_t cap = s->cap ? s->cap : 4096;

		while (cap < need)
			cap *= 2;
		if ((n = realloc(s->p, cap)) == NULL) {
			s->err = 1;
			return;
		}
		s->p = n;
		s->cap = cap;
	}
	va_start(ap, fmt);
	vsnprintf(s->p + s->len, s->cap - s->len, fmt, ap);
	va_end(ap);
	s->len += (size_t)len;
}

static uint64_t
pac_fnv64(uint64_t h, const char *p, size_t n)
{
	while (n-- > 0)
		h = (h ^ (unsigned char)*p++) * 1099511628211ULL;
	return h;
}

/* ---------------------------------------------------------------- lists */

static int
pac_value_cb(void *arg, const struct acl_value *v)
{
	struct pac_build *x = arg;
	struct pac_range *r, **arr;
	struct pac_dom *d;
	size_t *n, len;

	if (v->family == 0) {
		if ((d = realloc(x->dom, (x->ndom + 1) * sizeof(*d))) == NULL)
			goto oom;
		x->dom = d;
		if ((d[x->ndom].name = strdup(v->domain)) == NULL)
			goto oom;
		d[x->ndom++].sub = v->sub;
		return 0;
	}
	arr = v->family == AF_INET ? &x->r4 : &x->r6;
	n = v->family == AF_INET ? &x->nr4 : &x->nr6;
	len = v->family == AF_INET ? 4 : 16;
	if ((r = realloc(*arr, (*n + 1) * sizeof(*r))) == NULL)
		goto oom;
	*arr = r;
	memset(&r[*n], 0, sizeof(r[*n]));
	memcpy(r[*n].lo, v->lo, len);
	memcpy(r[*n].hi, v->hi, len);
	(*n)++;
	return 0;
oom:
	x->oom = 1;
	return 1;
}

static int
pac_dom_cmp(const void *a, const void *b)
{
	const struct pac_dom *p = a, *q = b;

	return strcmp(p->name, q->name);
}

static int
pac_range_cmp(const void *a, const void *b)
{
	const struct pac_range *p = a, *q = b;

	return memcmp(p->lo, q->lo, 16);
}

/* a + 1 in place (big-endian, @p n bytes). */
static void
pac_inc(unsigned char *a, size_t n)
{
	while (n-- > 0)
		if (++a[n] != 0)
			return;
}

/* Sort, merge overlapping or adjacent ranges (several acls may overlap). */
static void
pac_ranges_merge(struct pac_range *r, size_t *n, size_t len)
{
	unsigned char next[16];
	size_t i, j;

	if (*n < 2)
		return;
	qsort(r, *n, sizeof(*r), pac_range_cmp);
	for (i = 0, j = 1; j < *n; j++) {
		memcpy(next, r[i].hi, 16);
		pac_inc(next, len);
		/* next wrapped to 0: r[i] reaches the top and covers all. */
		if (memcmp(r[j].lo, next, len) <= 0 ||
		    memcmp(next, (unsigned char[16]){ 0 }, len) == 0) {
			if (memcmp(r[j].hi, r[i].hi, len) > 0)
				memcpy(r[i].hi, r[j].hi, 16);
		} else
			r[++i] = r[j];
	}
	*n = i + 1;
}

/* Are the low @p hb bits of @p a (len bytes) all zero? */
static int
pac_low_zero(const unsigned char *a, size_t len, unsigned hb)
{
	size_t i;

	for (i = len; i > 0 && hb > 0; i--, hb = hb > 8 ? hb - 8 : 0) {
		unsigned char m = hb >= 8 ? 0xff :
		    (unsigned char)((1u << hb) - 1);

		if (a[i - 1] & m)
			return 0;
	}
	return 1;
}

/* @p out = @p a with its low @p hb bits set. */
static void
pac_low_set(const unsigned char *a, size_t len, unsigned hb,
    unsigned char *out)
{
	size_t i;

	memcpy(out, a, len);
	for (i = len; i > 0 && hb > 0; i--, hb = hb > 8 ? hb - 8 : 0)
		out[i - 1] |= hb >= 8 ? 0xff : (unsigned char)((1u << hb) - 1);
}

/*
 * A range as the fewest CIDR prefixes: at each step the largest aligned
 * block that starts at lo and ends at or before hi.
 */
static void
pac_range_cidrs(const struct pac_range *r, size_t len,
    void (*emit)(void *, const unsigned char *, unsigned), void *arg)
{
	unsigned char lo[16], last[16];
	unsigned bits = (unsigned)len * 8, hb;

	memcpy(lo, r->lo, len);
	for (;;) {
		for (hb = bits; hb > 0; hb--) {
			if (!pac_low_zero(lo, len, hb))
				continue;
			pac_low_set(lo, len, hb, last);
			if (memcmp(last, r->hi, len) <= 0)
				break;
		}
		if (hb == 0)
			memcpy(last, lo, len);
		emit(arg, lo, bits - hb);
		if (memcmp(last, r->hi, len) >= 0)
			return;
		memcpy(lo, last, len);
		pac_inc(lo, len);
	}
}

/* ---------------------------------------------------------------- output */

struct pac_emit {
	struct pac_str	*s;
	int		 family;
	int		 pac;		/* PAC list entry, else no_proxy item */
	int		*first;
};

static void
pac_emit_cidr(void *arg, const unsigned char *a, unsigned plen)
{
	struct pac_emit *e = arg;
	char text[INET6_ADDRSTRLEN], mask[INET_ADDRSTRLEN];
	unsigned char m[4];
	uint32_t mv;

	inet_ntop(e->family, a, text, sizeof(text));
	if (e->pac && e->family == AF_INET) {
		mv = plen == 0 ? 0 : UINT32_MAX << (32 - plen);
		m[0] = (unsigned char)(mv >> 24);
		m[1] = (unsigned char)(mv >> 16);
		m[2] = (unsigned char)(mv >> 8);
		m[3] = (unsigned char)mv;
		inet_ntop(AF_INET, m, mask, sizeof(mask));
		pac_str_printf(e->s, "%s\t[\"%s\", \"%s\"]",
		    *e->first ? "" : ",\n", text, mask);
	} else if (e->pac) {
		pac_str_printf(e->s, "%s\t\"%s/%u\"", *e->first ? "" : ",\n",
		    text, plen);
	} else {
		/* no_proxy: one address alone, else CIDR. */
		if (plen == (e->family == AF_INET ? 32u : 128u))
			pac_str_printf(e->s, "%s%s", *e->first ? "" : ",",
			    text);
		else
			pac_str_printf(e->s, "%s%s/%u", *e->first ? "" : ",",
			    text, plen);
	}
	*e->first = 0;
}

static const char pac_function[] =
"/* Is host @h, or a domain it is in, listed? */\n"
"function sluice_direct_name(h)\n"
"{\n"
"\tvar v, i, exact = true;\n"
"\n"
"\tfor (;;) {\n"
"\t\tv = sluice_names[\".\" + h];\n"
"\t\tif (v == 2 || (v == 1 && exact))\n"
"\t\t\treturn true;\n"
"\t\ti = h.indexOf(\".\");\n"
"\t\tif (i < 0)\n"
"\t\t\treturn false;\n"
"\t\th = h.substring(i + 1);\n"
"\t\texact = false;\n"
"\t}\n"
"}\n"
"\n"
"/* Is address @ip in a listed network? */\n"
"function sluice_direct_addr(ip)\n"
"{\n"
"\tvar i;\n"
"\n"
"\tif (ip.indexOf(\":\") < 0) {\n"
"\t\tfor (i = 0; i < sluice_nets.length; i++)\n"
"\t\t\tif (isInNet(ip, sluice_nets[i][0], sluice_nets[i][1]))\n"
"\t\t\t\treturn true;\n"
"\t\treturn false;\n"
"\t}\n"
"\tif (typeof isInNetEx != \"function\")\n"
"\t\treturn false;\n"
"\tfor (i = 0; i < sluice_nets6.length; i++)\n"
"\t\tif (isInNetEx(ip, sluice_nets6[i]))\n"
"\t\t\treturn true;\n"
"\treturn false;\n"
"}\n"
"\n"
"function FindProxyForURL(url, host)\n"
"{\n"
"\tvar h = host.toLowerCase(), ips, i;\n"
"\n"
"\tif (h.charAt(0) == \"[\")\n"
"\t\th = h.substring(1, h.length - 1);\n"
"\tif (h.length > 1 && h.charAt(h.length - 1) == \".\")\n"
"\t\th = h.substring(0, h.length - 1);\n"
"\tif (sluice_plain_direct && h.indexOf(\":\") < 0 && "
    "isPlainHostName(h))\n"
"\t\treturn \"DIRECT\";\n"
"\tif (sluice_direct_name(h))\n"
"\t\treturn \"DIRECT\";\n"
"\tif (sluice_nets.length + sluice_nets6.length == 0)\n"
"\t\treturn sluice_proxy;\n"
"\t/* The networks need the address: a literal, else the browser's DNS. */\n"
"\tif (/^[0-9]+\\.[0-9]+\\.[0-9]+\\.[0-9]+$/.test(h) || "
    "h.indexOf(\":\") >= 0)\n"
"\t\tips = [h];\n"
"\telse if (typeof dnsResolveEx == \"function\")\n"
"\t\tips = (dnsResolveEx(h) || \"\").split(\";\");\n"
"\telse\n"
"\t\tips = [dnsResolve(h) || \"\"];\n"
"\tfor (i = 0; i < ips.length; i++)\n"
"\t\tif (ips[i] != \"\" && sluice_direct_addr(ips[i]))\n"
"\t\t\treturn \"DIRECT\";\n"
"\treturn sluice_proxy;\n"
"}\n";

/* The fixed parts and no_proxy from the gathered lists. */
static int
pac_build_text(struct pac_build *x, struct pac *p, int plain_direct)
{
	struct pac_str head = { 0 }, rest = { 0 }, np = { 0 };
	struct pac_emit e;
	size_t i, j;
	int first = 1;

	/* Names: sorted, one entry each (the wider of "a.b" and ".a.b"). */
	if (x->ndom > 1)
		qsort(x->dom, x->ndom, sizeof(*x->dom), pac_dom_cmp);
	for (i = 0, j = 0; i < x->ndom; i++) {
		if (j > 0 && strcmp(x->dom[j - 1].name, x->dom[i].name) == 0) {
			x->dom[j - 1].sub |= x->dom[i].sub;
			free(x->dom[i].name);
			continue;
		}
		x->dom[j++] = x->dom[i];
	}
	x->ndom = j;
	pac_ranges_merge(x->r4, &x->nr4, 4);
	pac_ranges_merge(x->r6, &x->nr6, 16);

	pac_str_printf(&head, "/*\n * proxy.pac -- written by sluice "
	    PACKAGE_VERSION " from its configuration.\n"
	    " * DIRECT: %zu names and %zu IPv4 and %zu IPv6 ranges "
	    "(pac_direct)%s;\n * everything else: sluice_proxy (pac_proxy, "
	    "pac_fallback).\n */\n", x->ndom, x->nr4, x->nr6, plain_direct ?
	    " and names without a dot" : "");
	pac_str_printf(&rest, "var sluice_plain_direct = %s;\n"
	    "/* Names sent DIRECT: 1 that host, 2 it and its subdomains. */\n"
	    "var sluice_names = {\n", plain_direct ? "true" : "false");
	for (i = 0; i < x->ndom; i++)
		pac_str_printf(&rest, "\t\".%s\": %d%s\n", x->dom[i].name,
		    x->dom[i].sub ? 2 : 1, i + 1 < x->ndom ? "," : "");
	pac_str_printf(&rest, "};\n/* IPv4 networks sent DIRECT "
	    "(isInNet). */\nvar sluice_nets = [\n");
	e.s = &rest;
	e.pac = 1;
	e.first = &first;
	e.family = AF_INET;
	for (i = 0; i < x->nr4; i++)
		pac_range_cidrs(&x->r4[i], 4, pac_emit_cidr, &e);
	pac_str_printf(&rest, "%s];\n/* IPv6 networks sent DIRECT (isInNetEx, "
	    "where the browser has it). */\nvar sluice_nets6 = [\n",
	    first ? "" : "\n");
	first = 1;
	e.family = AF_INET6;
	for (i = 0; i < x->nr6; i++)
		pac_range_cidrs(&x->r6[i], 16, pac_emit_cidr, &e);
	pac_str_printf(&rest, "%s];\n\n%s", first ? "" : "\n", pac_function);

	/* no_proxy: the same lists. */
	first = 1;
	pac_str_printf(&np, "%s", "");
	for (i = 0; i < x->ndom; i++) {
		pac_str_printf(&np, "%s%s", first ? "" : ",", x->dom[i].name);
		first = 0;
	}
	e.s = &np;
	e.pac = 0;
	e.family = AF_INET;
	for (i = 0; i < x->nr4; i++)
		pac_range_cidrs(&x->r4[i], 4, pac_emit_cidr, &e);
	e.family = AF_INET6;
	for (i = 0; i < x->nr6; i++)
		pac_range_cidrs(&x->r6[i], 16, pac_emit_cidr, &e);

	if (head.err || rest.err || np.err) {
		free(head.p);
		free(rest.p);
		free(np.p);
		x->oom = 1;
		return -1;
	}
	p->head = head.p;
	p->headlen = head.len;
	p->rest = rest.p;
	p->restlen = rest.len;
	p->no_proxy = np.p;
	p->hash = pac_fnv64(pac_fnv64(14695981039346656037ULL, p->head,
	    p->headlen), p->rest, p->restlen);
	return 0;
}

/* ---------------------------------------------------------------- lines */

/* pac_proxy HOST:PORT...: each checked and written back normalised. */
static void
pac_proxy_add(struct pac_build *x, struct pac_str *s, const char *v)
{
	char host[256];
	const char *colon, *h, *why = NULL, *q;
	size_t hl;
	long port = 0;
	int kind;

	if (v[0] == '[') {
		q = strchr(v, ']');
		if (q == NULL || q[1] != ':')
			goto bad;
		h = v + 1;
		hl = (size_t)(q - h);
		colon = q + 1;
	} else {
		colon = strrchr(v, ':');
		if (colon == NULL)
			goto bad;
		h = v;
		hl = (size_t)(colon - v);
	}
	for (q = colon + 1; *q >= '0' && *q <= '9' && port <= 65535; q++)
		port = port * 10 + (*q - '0');
	if (q == colon + 1 || *q != '\0' || port < 1 || port > 65535)
		goto bad;
	kind = hl == 0 ? -1 : acl_host_normalise(h, hl, host, sizeof(host),
	    NULL, &why);
	if (kind == -1 || (v[0] == '[') != (kind == HOST_IPV6)) {
		pac_error(x, "pac_proxy: bad host in '%s'%s%s", v,
		    why ? ": " : "", why ? why : "");
		return;
	}
	pac_str_printf(s, "%sPROXY %s%s%s:%ld", s->len ? "; " : "",
	    kind == HOST_IPV6 ? "[" : "", host, kind == HOST_IPV6 ? "]" : "",
	    port);
	return;
bad:
	pac_error(x, "pac_proxy: '%s' is not HOST:PORT ([v6addr]:PORT for "
	    "IPv6; port 1..65535)", v);
}

/* One acl name of a pac_direct line: its values, or the error. */
static void
pac_direct_add(struct pac_build *x, const struct conf *c, const char *name)
{
	const char *type = NULL;
	int rc;

	if (name[0] == '!') {
		pac_error(x, "pac_direct: '%s': a PAC file lists what goes "
		    "DIRECT; '!' is not supported", name);
		return;
	}
	rc = acl_values(c->acl, name, pac_value_cb, x, &type);
	if (rc == ACL_VALUES_NONE)
		pac_error(x, "pac_direct: undefined acl '%s'", name);
	else if (rc == ACL_VALUES_TYPE)
		pac_error(x, "pac_direct: acl '%s' is of type %s; only "
		    "dstdomain and dst acls can be written into a PAC file "
		    "and no_proxy", name, type);
}

int
pac_compile(struct conf *c)
{
	struct pac_build x;
	struct pac_str proxies = { 0 };
	const struct conf_line *l;
	struct pac *p;
	size_t i, size;
	int j, plain_direct = 0, fallback_direct = 0;
	const char *last_direct_file = NULL;
	int last_direct_line = 0;

	memset(&x, 0, sizeof(x));
	c->pac = NULL;
	for (i = 0; i < c->npac_lines; i++) {
		l = &c->pac_lines[i];
		x.file = l->file;
		x.line = l->line;
		if (strcmp(l->argv[0], "pac_direct") == 0) {
			last_direct_file = l->file;
			last_direct_line = l->line;
			for (j = 1; j < l->argc && !x.oom; j++)
				pac_direct_add(&x, c, l->argv[j]);
		} else if (strcmp(l->argv[0], "pac_proxy") == 0) {
			for (j = 1; j < l->argc; j++)
				pac_proxy_add(&x, &proxies, l->argv[j]);
		} else if (strcmp(l->argv[0], "pac_fallback") == 0) {
			if (strcmp(l->argv[1], "direct") == 0)
				fallback_direct = 1;
			else if (strcmp(l->argv[1], "none") == 0)
				fallback_direct = 0;
			else
				pac_error(&x, "pac_fallback takes direct or "
				    "none, not '%s'", l->argv[1]);
		} else if (strcmp(l->argv[0], "pac_plain_hostnames") == 0) {
			if (strcmp(l->argv[1], "direct") == 0)
				plain_direct = 1;
			else if (strcmp(l->argv[1], "proxy") == 0)
				plain_direct = 0;
			else
				pac_error(&x, "pac_plain_hostnames takes "
				    "direct or proxy, not '%s'", l->argv[1]);
		}
	}
	if ((p = calloc(1, sizeof(*p))) == NULL)
		x.oom = 1;
	if (p != NULL && !x.oom && x.nerrors == 0 &&
	    pac_build_text(&x, p, plain_direct) == 0) {
		p->fallback_direct = fallback_direct;
		p->proxies = proxies.len > 0 ? proxies.p : NULL;
		if (p->proxies == NULL)
			free(proxies.p);
		proxies.p = NULL;
		p->loaded = time(NULL);
		c->pac = p;
		size = pac_render_size(p);
		if (size > PAC_MAX_SIZE) {
			x.file = last_direct_file ? last_direct_file : c->path;
			x.line = last_direct_line;
			pac_error(&x, "pac_direct: the PAC file would be %zu "
			    "bytes, over %d", size, PAC_MAX_SIZE);
		}
	} else if (x.nerrors == 0 || x.oom) {
		log_warnx("%s: out of memory for the PAC file", c->path);
		x.nerrors++;
	}
	free(proxies.p);
	if (c->pac == NULL)
		free(p);
	for (i = 0; i < x.ndom; i++)
		free(x.dom[i].name);
	free(x.dom);
	free(x.r4);
	free(x.r6);
	if (x.nerrors > 0) {
		pac_free(c);
		return -1;
	}
	return 0;
}

void
pac_free(struct conf *c)
{
	struct pac *p = c->pac;

	if (p == NULL)
		return;
	free(p->head);
	free(p->rest);
	free(p->proxies);
	free(p->no_proxy);
	free(p);
	c->pac = NULL;
}

/* ---------------------------------------------------------------- workers */

/* Room for "var sluice_proxy = \"PROXY [v6]:65535; DIRECT\";\n". */
#define PAC_LINE_MAX	(SOCKADDR_STRLEN + 80)

size_t
pac_render_size(const struct pac *p)
{
	return p->headlen + p->restlen + PAC_LINE_MAX +
	    (p->proxies != NULL ? strlen(p->proxies) : 0);
}

int
pac_render(const struct pac *p, const struct sockaddr *local, struct buf *b,
    char *etag, size_t etagsz)
{
	char text[SOCKADDR_STRLEN], host[256], line[PAC_LINE_MAX];
	const char *proxies = p->proxies;
	uint32_t h = 2166136261u;
	char *start = b->last;
	size_t i, n;
	int kind, ll;

	if (proxies == NULL) {
		/*
		 * The address the client reached (a dual-stack socket gives
		 * ::ffff:a.b.c.d for IPv4 clients: written as IPv4).
		 */
		sockaddr_ntop(local, text, sizeof(text));
		kind = acl_host_normalise(text, strlen(text), host,
		    sizeof(host), NULL, NULL);
		if (kind == -1)
			snprintf(host, sizeof(host), "%s", text);
		ll = snprintf(line, sizeof(line), "PROXY %s%s%s:%u",
		    kind == HOST_IPV6 ? "[" : "", host, kind == HOST_IPV6 ?
		    "]" : "", sockaddr_port(local));
	} else
		ll = snprintf(line, sizeof(line), "%s", "");
	if (ll < 0 || (size_t)ll >= sizeof(line))
		return -1;
	if (buf_append(b, p->head, p->headlen) == -1 ||
	    buf_printf(b, "var sluice_proxy = \"%s%s%s\";\n", proxies ?
	    proxies : line, p->fallback_direct ? "; " : "",
	    p->fallback_direct ? "DIRECT" : "") == -1)
		return -1;
	/* The proxy line is what follows the head. */
	n = (size_t)(b->last - start) - p->headlen;
	for (i = 0; i < n; i++)
		h = (h ^ (unsigned char)start[p->headlen + i]) * 16777619u;
	if (buf_append(b, p->rest, p->restlen) == -1)
		return -1;
	snprintf(etag, etagsz, "\"%016llx-%08x\"", (unsigned long long)p->hash,
	    h);
	return 0;
}

const char *
pac_no_proxy(const struct pac *p)
{
	return p != NULL && p->no_proxy != NULL ? p->no_proxy : "";
}

time_t
pac_loaded(const struct pac *p)
{
	return p != NULL ? p->loaded : 0;
}
