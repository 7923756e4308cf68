/*
 * acl.h -- access control: squid-style named ACLs and ordered
 * http_access rules.
 *
 * Compiled in the master from the raw `acl` and `http_access` lines of
 * struct conf (acl_set_compile()); the compiled set is read-only and
 * travels to the workers across fork().  Evaluation allocates nothing.
 *
 * Model (squid): `acl NAME TYPE value...`; a NAME repeated with the same
 * TYPE adds values (OR).  `http_access allow|deny [!]NAME...`: the names
 * of one rule AND together, rules are tried in order, the first whose
 * names all match decides, and when none matches the request is denied.
 *
 * Types: src and dst (IPv4/IPv6 addresses, CIDR "10.0.0.0/8", netmask
 * "10.0.0.0/255.0.0.0", a-b ranges, `all`; an IPv4-mapped address
 * ::ffff:a.b.c.d matches IPv4 entries), dstdomain (".example.com" is the
 * domain and its subdomains, "example.com" that host; any case, trailing
 * dot ignored; kept in a hash set probed with the host and each parent),
 * dstdom_regex, url_regex, urlpath_regex (POSIX extended, compiled at
 * load; -i makes the values after it ignore case), port (1..65535, a-b),
 * method (case-sensitive tokens), proto (HTTP, NONE for CONNECT, ...),
 * time (squid: day letters SMTWHFA or D for weekdays, and/or
 * hh:mm-hh:mm, local time), proxy_auth (user names, or REQUIRED for any
 * authenticated user), maxconn N (the client has more than N
 * connections open, counted across workers by clientdb.h),
 * proxy_endpoint (the proxy's own pages, asked in origin form on an
 * http_port: /proxy.pac, /wpad.dat, /no_proxy, /metrics, /status; a
 * proxied request never matches).
 * Other squid types are refused with "file:line: acl type 'X' is not
 * supported yet"; unknown ones with "unknown acl type 'X'".
 *
 * Evaluation stops as soon as an acl needs what the request does not
 * have yet: dst before DNS gives ACL_NEED_DST, proxy_auth without a user
 * ACL_NEED_AUTH; the worker gets it and asks again from the first rule.
 * A dst acl asked after a lookup that failed (dst_failed) does not match,
 * as in squid, so a blocklist further down still answers 403.
 *
 * Built in, as in squid: `all` (src all), `localhost` (src 127.0.0.1/32
 * ::1), `CONNECT` (method CONNECT), `to_localhost` (dst 127.0.0.0/8
 * 0.0.0.0/32 ::1 ::), `to_linklocal` (dst 169.254.0.0/16 fe80::/10); and
 * sluice's `to_self` (to_localhost plus every address of this host's
 * interfaces, read when the config is compiled), `manager` (squid's name
 * for its own management pages: proxy_endpoint /metrics /status) and
 * `pac` (proxy_endpoint /proxy.pac /wpad.dat /no_proxy).  Redefining one with the same type
 * adds values; with another type is an error.
 *
 * Caveats:
 *  - A quoted value "/path/file" is read from that file (relative paths
 *    from the config file's directory): values separated by blanks or
 *    lines, '#' comments, blank lines skipped.  A bad value there is
 *    reported as "/path/file:N: ...".
 *  - Errors are reported as "file:line: message" with log_warnx(), all of
 *    them, before acl_set_compile() fails.
 *  - A rule may name an acl defined later in the file (squid would not).
 *  - A request without a source address (src NULL or not AF_INET/6)
 *    matches no src acl, not even `all`.
 */
#ifndef SLUICE_ACL_H
#define SLUICE_ACL_H

#include <stddef.h>
#include <sys/socket.h>
#include <time.h>

struct conf;
struct acl_set;

/** What a request looks like to the ACLs. */
struct acl_req {
	const struct sockaddr	*src;		/* client address */
	const struct sockaddr	*dst;		/* one destination address, NULL
						   before DNS (a literal: at once) */
	int			 dst_failed;	/* dst is NULL because the name
						   did not resolve: dst acls do
						   not match (squid) */
	const char		*method;	/* NUL-terminated, as received */
	const char		*proto;		/* "HTTP", "HTTPS" (an https://
						   URL), "NONE" for CONNECT */
	unsigned		 port;		/* destination port */
	const char		*host;		/* acl_host_normalise()d */
	const char		*url;		/* absolute URL (CONNECT: host:port) */
	const char		*path;		/* path and query ("" for CONNECT) */
	const char		*user;		/* authenticated user, or NULL */
	time_t			 now;		/* for time acls (local time) */
	unsigned		 nconn;		/* the client's open connections,
						   all workers (maxconn) */
	const char		*endpoint;	/* the proxy's own endpoint asked
						   in origin form ("/metrics"),
						   or NULL: a proxied request */
};

/** One value of a dstdomain or dst acl, for acl_values(). */
struct acl_value {
	int			 family;	/* 0: a domain; AF_INET, AF_INET6 */
	const char		*domain;	/* family 0: normalised, no dots
						   at either end */
	int			 sub;		/* family 0: subdomains too */
	unsigned char		 lo[16];	/* addresses: the first and the */
	unsigned char		 hi[16];	/* last of a range, network order
						   (4 bytes for AF_INET) */
};

/** Called by acl_values() for each value; nonzero stops the walk. */
typedef int acl_value_f(void *arg, const struct acl_value *v);

#define ACL_VALUES_NONE		(-1)	/* no acl of that name */
#define ACL_VALUES_TYPE		(-2)	/* neither dstdomain nor dst */

enum acl_verdict {
	ACL_DENY = 0,
	ACL_ALLOW = 1,
	ACL_NEED_DST,		/* a rule reached needs dst, which is NULL */
	ACL_NEED_AUTH,		/* a rule reached has proxy_auth, user is NULL */
};

/**
 * @brief Compile the acl and http_access lines of @p c.
 * @param[out] out  the compiled set on success.
 * @return 0, or -1 after every error was logged as "file:line: message".
 * @note Release with acl_set_free().
 */
int	acl_set_compile(const struct conf *c, struct acl_set **out);
/**
 * @brief Compile the acl lines of @p c with other allow/deny rules
 *	(`cache`, `http_upgrade_request_protocols`...): @p rules[0..n), each
 *	"WORD allow|deny [!]acl...".
 */
struct conf_line;
int	acl_set_compile_rules(const struct conf *c,
	    const struct conf_line *rules, size_t n, struct acl_set **out);
/** @brief Free a set from acl_set_compile(); NULL is ignored. */
void	acl_set_free(struct acl_set *s);

/**
 * @brief Evaluate the http_access rules for @p r.
 * @param[out] rule  the 1-based index of the rule that matched, 0 when
 *	none did (default deny); may be NULL.
 * @return ACL_ALLOW, ACL_DENY, or ACL_NEED_DST / ACL_NEED_AUTH (then
 *	@p rule is the rule that could not be decided).
 */
enum acl_verdict acl_check(const struct acl_set *s, const struct acl_req *r,
	    size_t *rule);
/**
 * @brief Does an acl of type method in @p s name @p method?  (squid
 *	enables PURGE only then.)
 */
int	acl_set_has_method(const struct acl_set *s, const char *method);
/** @brief Does @p s define a maxconn acl (connection counts needed)? */
int	acl_set_has_maxconn(const struct acl_set *s);
/**
 * @brief The name of acl type @p i, from the table the compiler uses, for
 *	`sluice -h`: iterate from 0 until NULL.
 */
const char *acl_type_name(size_t i);
/**
 * @brief The proxy's own endpoints (the values of proxy_endpoint acls,
 *	the origin-form paths the worker answers): iterate from 0 until
 *	NULL.
 */
const char *acl_endpoint(size_t i);
/**
 * @brief Walk the values of acl @p name of @p s, when it is a dstdomain
 *	(domains) or dst acl (address ranges, merged and sorted), for what
 *	is generated from the same lists (the PAC file, no_proxy).
 * @param[out] type  the acl's type name (also on ACL_VALUES_TYPE).
 * @return 0, the first nonzero return of @p cb, ACL_VALUES_NONE or
 *	ACL_VALUES_TYPE.
 */
int	acl_values(const struct acl_set *s, const char *name, acl_value_f *cb,
	    void *arg, const char **type);
/**
 * @brief "file:line" of rule @p rule (1-based), for the logs.
 * @return a string owned by @p s, or "(no rule)" for 0 or out of range.
 */
const char *acl_rule_where(const struct acl_set *s, size_t rule);

#endif
