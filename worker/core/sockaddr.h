/*
 * sockaddr.h -- socket address helpers (IPv4 and IPv6).
 * Used by the master (listeners) and the workers (peers, upstreams).
 */
#ifndef SLUICE_SOCKADDR_H
#define SLUICE_SOCKADDR_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define SOCKADDR_STRLEN	64	/* "[v6]:port" fits */

/** @brief The address alone ("10.0.0.1", "::1") into @p buf. @return buf. */
const char	*sockaddr_ntop(const struct sockaddr *sa, char *buf, size_t len);
/** @brief The port of @p sa (host order), 0 for other families. */
unsigned	 sockaddr_port(const struct sockaddr *sa);
/** @brief Set the port of @p sa. */
void		 sockaddr_set_port(struct sockaddr *sa, unsigned port);
/** @brief socklen of the family of @p sa. */
socklen_t	 sockaddr_len(const struct sockaddr *sa);
/**
 * @brief Parse an IP literal (no brackets) with @p port into @p ss.
 * @return 0, or -1 when @p host is not a numeric IPv4/IPv6 address.
 */
int		 sockaddr_from_literal(const char *host, unsigned port,
		    struct sockaddr_storage *ss);
/** @brief Do two addresses (and ports) match? */
int		 sockaddr_equal(const struct sockaddr *a, const struct sockaddr *b);

#endif
