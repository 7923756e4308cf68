/*
 * upgrade.h -- which protocols a client may switch to through the proxy
 * (HTTP Upgrade, RFC 9110 §7.8; WebSocket, RFC 6455).
 *
 * Squid's directive: `http_upgrade_request_protocols PROTOCOL allow|deny
 * [!]acl...`.  The lines of one protocol are tried in order, the first
 * whose acls all match decides, and a protocol with no matching line is
 * not allowed.  `OTHER` stands for every protocol no line names.  With no
 * line at all (the default) every Upgrade is dropped: the request goes on
 * as a plain request.
 *
 * An allowed offer is forwarded with `Connection: upgrade`; a 101 answer
 * naming an offered protocol turns the connection into a tunnel
 * (tunnel.c, tunnel_idle_timeout); a 101 for anything else is a 502.
 *
 * Compiled in the master (upgrade_compile() after acl_set_compile()):
 * each protocol's lines become an acl set of their own, built through
 * acl_set_compile() from the same acl lines, so the acl language is the
 * one http_access speaks.  Read-only in the workers.
 *
 * Caveats:
 *  - Protocol names compare case-insensitively, without the "/version"
 *    part (`websocket` allows `WebSocket/13`).
 *  - An acl that needs data not known before DNS or authentication does
 *    not match here.
 */
#ifndef SLUICE_UPGRADE_H
#define SLUICE_UPGRADE_H

#include <stddef.h>

struct conf;
struct acl_req;

/**
 * @brief Compile the http_upgrade_request_protocols lines of @p c into
 *	c->upgrade (left NULL when there are none).
 * @return 0, or -1 after logging every error as "file:line: message".
 */
int	upgrade_compile(struct conf *c);
/** @brief Free c->upgrade. */
void	upgrade_free(struct conf *c);
/**
 * @brief The protocols of an `Upgrade` value that @p r may switch to.
 * @param[out] out  "proto[/v], proto..." as offered, NUL-terminated.
 * @return how many, 0 when none (then @p out is "").
 */
int	upgrade_filter(const struct conf *c, const struct acl_req *r,
	    const char *value, size_t len, char *out, size_t outsz);
/**
 * @brief Is @p proto (the value of a 101's Upgrade) among @p offered?
 * @return 1 or 0.
 */
int	upgrade_offered(const char *offered, const char *proto, size_t len);

#endif
