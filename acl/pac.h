/*
 * pac.h -- the proxy auto-config file (PAC, WPAD) and the no_proxy value
 * generated from the configuration, so that browsers, command-line tools
 * and the proxy's own rules agree.
 *
 * Compiled in the master with the acls (pac_compile(), at start, for
 * `sluice -t` and `-n`, and on reload) from these directives:
 *
 *	pac_direct ACL...		dstdomain and dst acls whose hosts,
 *					domains and networks go DIRECT
 *	pac_proxy HOST:PORT...		the proxies, in order (default: the
 *					address and port the PAC request
 *					came in on)
 *	pac_fallback direct|none	after the proxies, DIRECT or nothing
 *					(default none: no proxy, no web)
 *	pac_plain_hostnames direct|proxy  names without a dot (default
 *					proxy, as no_proxy cannot say it)
 *
 * The result is read-only and travels to the workers across fork(); a
 * worker renders the file for each request (pac_render(): the proxy line
 * can depend on the address the client reached) from two fixed parts.
 *
 * The PAC file uses only the standard helper functions (isPlainHostName,
 * isInNet, dnsResolve) and, where the browser has them, isInNetEx and
 * dnsResolveEx for IPv6 networks.  Names are matched as dstdomain
 * matches them (".example.com" is the domain and its subdomains,
 * "example.com" that host).  Networks are matched against the address
 * of the host: an IP literal as it is, a name resolved by the browser --
 * only when pac_direct names a dst acl, and only after the names missed.
 *
 * no_proxy (curl, wget, Python, Go): the domains without their leading
 * dot ("example.com": curl and the others match it and its subdomains,
 * so an exact dstdomain host also lets its subdomains through), then the
 * networks in CIDR form (addresses alone for one address).
 *
 * Caveats:
 *  - pac_direct takes acl names (negation "!" is refused) defined by
 *    `acl` lines; dstdom_regex and other types are refused with
 *    file:line: a regex cannot be written as a no_proxy value.
 *  - The file is at most PAC_MAX_SIZE bytes; a longer one is a config
 *    error.
 */
#ifndef SLUICE_PAC_H
#define SLUICE_PAC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

#include "buf.h"

#define PAC_MAX_SIZE	(1024 * 1024)

struct conf;
struct pac;

/**
 * @brief Compile the pac_* lines of @p c against its acls (c->acl, from
 *	acl_set_compile()) into c->pac.  Without pac_* lines the file
 *	sends everything to the proxy it was fetched from.
 * @return 0, or -1 after every error was logged as "file:line: message".
 * @note Release with pac_free().
 */
int	pac_compile(struct conf *c);
/** @brief Free c->pac (NULL is fine) and set it to NULL. */
void	pac_free(struct conf *c);

/**
 * @brief The PAC file for a client that reached the proxy at @p local
 *	(used when no pac_proxy is set), into @p b.
 * @param[out] etag  its strong entity-tag, quotes included (RFC 9110
 *	§8.8.3), at least 40 bytes.
 * @return 0, or -1 when @p b is too small (pac_render_size()).
 */
int	pac_render(const struct pac *p, const struct sockaddr *local,
	    struct buf *b, char *etag, size_t etagsz);
/** @brief The most bytes pac_render() writes. */
size_t	pac_render_size(const struct pac *p);
/** @brief The no_proxy value (comma-separated, "" when nothing is DIRECT). */
const char *pac_no_proxy(const struct pac *p);
/** @brief When the configuration was loaded (Last-Modified). */
time_t	pac_loaded(const struct pac *p);

#endif
