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
 * Types that work now: src (IPv4/IPv6 addresses, CIDR "10.0.0.0/8",
 * netmask "10.0.0.0/255.0.0.0", a-b ranges, `all`; an IPv4-mapped client
 * ::ffff:a.b.c.d matches IPv4 entries), port (1..65535 and a-b ranges),
 * method (case-sensitive tokens).  Other squid types are refused at load
 * with "file:line: acl type 'X' is not supported yet"; unknown ones with
 * "file:line: unknown acl type 'X'".  The flag -i is accepted and ignored.
 *
 * Built in, as in squid: `all` (src all), `localhost` (src 127.0.0.1/32
 * ::1), `CONNECT` (method CONNECT).  Redefining one with the same type
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

struct conf;
struct acl_set;

/** What a request looks like to the ACLs before DNS. */
struct acl_req {
	const struct sockaddr	*src;		/* client address */
	const char		*method;	/* NUL-terminated, as received */
	unsigned		 port;		/* destination port */
	const char		*host;		/* destination host, lower case */
};

enum acl_verdict { ACL_DENY = 0, ACL_ALLOW = 1 };

/**
 * @brief Compile the acl and http_access lines of @p c.
 * @param[out] out  the compiled set on success.
 * @return 0, or -1 after every error was logged as "file:line: message".
 * @note Release with acl_set_free().
 */
int	acl_set_compile(const struct conf *c, struct acl_set **out);
/** @brief Free a set from acl_set_compile(); NULL is ignored. */
void	acl_set_free(struct acl_set *s);

/**
 * @brief Evaluate the http_access rules for @p r.
 * @param[out] rule  the 1-based index of the rule that matched, 0 when
 *	none did (default deny); may be NULL.
 * @return ACL_ALLOW or ACL_DENY.
 */
enum acl_verdict acl_check(const struct acl_set *s, const struct acl_req *r,
	    size_t *rule);
/**
 * @brief "file:line" of rule @p rule (1-based), for the logs.
 * @return a string owned by @p s, or "(no rule)" for 0 or out of range.
 */
const char *acl_rule_where(const struct acl_set *s, size_t rule);

#endif
