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
 * Types that work now: src (addresses, CIDR, a-b ranges, `all`), port
 * (numbers and a-b ranges), method.  Other squid types are refused at
 * load with "file:line: acl type X is not supported".
 *
 * Caveats:
 *  - A value written "/path/file" (quoted) is read from that file, one
 *    value per line, '#' comments allowed.
 *  - Errors are reported as "file:line: message" with log_warnx().
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
/** @brief "file:line" of rule @p rule (1-based), for the logs. */
const char *acl_rule_where(const struct acl_set *s, size_t rule);

#endif
